/*
 * csv_write.c — the CSV/TSV writer (RFC 4180 output).
 *
 * A field is quoted only when it must be: it contains the delimiter, the
 * quote, CR or LF; or it is a string that would otherwise read back as
 * null (the empty string is written "", a null as an empty field or the
 * `null` option's text; a string equal to a null token such as NA is
 * quoted); or it is a first-column value starting with '#', which the
 * reader could take for a comment line.
 *
 * Speed: a batch is cut into row ranges formatted in parallel on the pool
 * into per-range buffers and written in order. Within a range, rows go in
 * blocks of up to BLOCK_ROWS (fewer for wide tables, so a block's cells
 * stay within BLOCK_CELLS): each column is formatted for the whole block by a
 * loop chosen once per column (canonical spellings from columnar/text.h),
 * then the cells are stitched into rows.
 *
 * Thread-safety: one writer per thread; the range tasks of one batch share
 * only the read-only batch and settings.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/mem.h"
#include "base/pool.h"
#include "columnar/text.h"
#include "formats/csv/csv_int.h"

#define BLOCK_ROWS 64
#define BLOCK_CELLS 4096
#define PART_MIN_ROWS 8192
#define MAX_PARTS 64

enum cell_kind { CELL_PLAIN = 0, CELL_QUOTE, CELL_NULL };

struct cell {
	const char *p;
	uint32_t n;
	uint32_t kind;
};

enum wkind {
	W_STRING,
	W_BINARY,
	W_BOOL,
	W_I8,
	W_I16,
	W_I32,
	W_I64,
	W_U8,
	W_U16,
	W_U32,
	W_U64,
	W_F32,
	W_F64,
	W_DEC18,
	W_DEC,
	W_DATE,
	W_TIME,
	W_TS,
	W_NULL,
	W_NESTED,
};

struct wcol {
	enum wkind kind;
	int scale;
	enum tarn_time_unit unit;
	bool utc;
	bool check; /* its text may contain the delimiter or quote */
};

/* Recently formatted dates, direct-mapped by day number: columns of dates
 * repeat a few thousand distinct values. */
#define DATE_CACHE 4096
struct date_slot {
	int32_t days;
	uint8_t n;
	char txt[11];
};

struct part {
	struct tarn_task task;
	struct date_slot *dcache; /* DATE_CACHE slots, on first use */
	struct csv_writer *w;
	const struct tarn_batch *b;
	int64_t r0, r1;
	struct tarn_buf out;
	struct cell *cells; /* ncols * block_rows */
	char *arena;        /* text of formatted values */
	size_t arena_cap;
	struct tarn_buf nested;
	tarn_rc rc;
};

struct csv_writer {
	struct tarn_writer base;
	uint8_t delim, quote;
	char *null_text;
	size_t null_len;
	bool header, crlf;
	bool started;
	int ncols;
	struct wcol *cols;
	struct csv_nulls reread; /* spellings that would read back as null */
	uint8_t special[256];    /* bytes that force quoting */
	int max_parts;
	int block_rows; /* rows per formatting block */
	struct part *parts; /* max_parts */
};

/* ---- quoting ------------------------------------------------------------------ */

/* Does p[0..n) hold a byte that forces quoting? Eight bytes at a time; the
 * tail is one more load when `room` bytes may be read past p (masked). */
static inline bool has_special(const struct csv_writer *w, const uint8_t *p, size_t n,
			       size_t room)
{
	const uint64_t one = 0x0101010101010101ull, high = 0x8080808080808080ull;
	const uint64_t bd = one * w->delim, bq = one * w->quote, bl = one * '\n',
		       bc = one * '\r';
	size_t i = 0;
	for (;; i += 8) {
		uint64_t x;
		size_t left = n - i;
		if (left >= 8) {
			memcpy(&x, p + i, 8);
		} else if (left == 0) {
			return false;
		} else if (room >= 8 - left) {
			memcpy(&x, p + i, 8);
			/* bytes past the end become 0, which matches no needle */
			x &= ~0ull >> (8 * (8 - left));
		} else {
			for (; i < n; i++)
				if (w->special[p[i]])
					return true;
			return false;
		}
		uint64_t a = x ^ bd, b = x ^ bq, c = x ^ bl, d = x ^ bc;
		uint64_t z = ((a - one) & ~a) | ((b - one) & ~b) | ((c - one) & ~c) |
			     ((d - one) & ~d);
		if (z & high) /* exact as a yes/no: some byte equals a needle */
			return true;
		if (left <= 8)
			return false;
	}
}

static inline bool string_needs_quote(const struct csv_writer *w, const uint8_t *p, size_t n,
				      bool first_col, size_t room)
{
	if (n == 0)
		return true;
	if (first_col && p[0] == '#')
		return true;
	if (csv_is_null_token(&w->reread, p, n))
		return true;
	return has_special(w, p, n, room);
}

/* Appends the quoted form of p[0..n) at dst; returns bytes written. */
static size_t put_quoted(const struct csv_writer *w, char *dst, const uint8_t *p, size_t n)
{
	char *o = dst;
	*o++ = (char)w->quote;
	const uint8_t *end = p + n;
	while (p < end) {
		const uint8_t *q = memchr(p, w->quote, (size_t)(end - p));
		size_t k = q ? (size_t)(q - p) : (size_t)(end - p);
		memcpy(o, p, k);
		o += k;
		p += k;
		if (q) {
			*o++ = (char)w->quote;
			*o++ = (char)w->quote;
			p++;
		}
	}
	*o++ = (char)w->quote;
	return (size_t)(o - dst);
}

/* ---- number formatting fast paths ---------------------------------------------- */

/* decimal(p<=18, scale) stored in the low 64 bits. Same spelling as
 * tarn_fmt_decimal: digits with exactly `scale` fraction digits. */
static size_t fmt_dec18(char *dst, int64_t v, int scale)
{
	char tmp[32];
	char *p = dst;
	uint64_t u = (uint64_t)v;
	if (v < 0) {
		*p++ = '-';
		u = 0 - u;
	}
	size_t n = tarn_fmt_uint64(tmp, u);
	if (scale == 0) {
		memcpy(p, tmp, n);
		return (size_t)(p - dst) + n;
	}
	size_t s = (size_t)scale;
	if (n <= s) {
		*p++ = '0';
		*p++ = '.';
		memset(p, '0', s - n);
		p += s - n;
		memcpy(p, tmp, n);
		return (size_t)(p - dst) + n;
	}
	memcpy(p, tmp, n - s);
	p += n - s;
	*p++ = '.';
	memcpy(p, tmp + n - s, s);
	return (size_t)(p - dst) + s;
}

static inline size_t fmt_date_cached(struct part *pt, char *dst, int32_t days)
{
	struct date_slot *sl = &pt->dcache[(uint32_t)days & (DATE_CACHE - 1)];
	if (sl->days == days && sl->n) {
		memcpy(dst, sl->txt, 10);
		if (sl->n > 10)
			memcpy(dst, sl->txt, sl->n);
		return sl->n;
	}
	size_t n = tarn_fmt_date(dst, days);
	if (n <= sizeof sl->txt) {
		sl->days = days;
		sl->n = (uint8_t)n;
		memcpy(sl->txt, dst, n);
	}
	return n;
}

static inline float load_f32(const uint8_t *p)
{
	float v;
	memcpy(&v, p, 4);
	return v;
}

static inline double load_f64(const uint8_t *p)
{
	double v;
	memcpy(&v, p, 8);
	return v;
}

/* ---- formatting one block -------------------------------------------------------- */

static bool arena_reserve(struct part *pt, size_t n)
{
	if (n <= pt->arena_cap)
		return true;
	char *a = tarn_realloc(pt->arena, n);
	if (!a)
		return false;
	pt->arena = a;
	pt->arena_cap = n;
	return true;
}

/* Fills cells[0..n) for column c, rows r0.., and returns the bytes they
 * need in the output (upper bound). */
static tarn_rc format_column(struct part *pt, int c, int64_t r0, int n, size_t *need)
{
	struct csv_writer *w = pt->w;
	const struct tarn_array *a = pt->b->cols[c];
	const struct wcol *wc = &w->cols[c];
	struct cell *cells = pt->cells + (size_t)c * (size_t)w->block_rows;
	char *ar = pt->arena + (size_t)c * (size_t)w->block_rows * TARN_FMT_MAX;
	size_t total = 0;
	const bool nulls = a->validity != NULL && a->null_count > 0;

#define NULLCHK(i)                                         \
	if (nulls && tarn_array_is_null(a, (i))) {          \
		cells[k].kind = CELL_NULL;                  \
		cells[k].n = 0;                             \
		total += w->null_len;                       \
		continue;                                   \
	}
#define FIXED_LOOP(expr)                                             \
	for (int k = 0; k < n; k++) {                                 \
		int64_t i = r0 + k;                                   \
		NULLCHK(i);                                           \
		char *dst = ar + (size_t)k * TARN_FMT_MAX;            \
		size_t len = (expr);                                  \
		cells[k].p = dst;                                     \
		cells[k].n = (uint32_t)len;                           \
		cells[k].kind = CELL_PLAIN;                           \
		total += len;                                         \
	}

	switch (wc->kind) {
	case W_STRING:
	case W_BINARY:
		if (wc->kind == W_BINARY) {
			/* \x + hex into the nested buffer */
			pt->nested.len = 0;
			size_t bytes = 0;
			for (int k = 0; k < n; k++)
				if (!tarn_array_is_null(a, r0 + k))
					bytes += (size_t)(a->offsets[r0 + k + 1] - a->offsets[r0 + k]);
			TRY(tarn_buf_reserve(&pt->nested, bytes * 2 + (size_t)n * 2 + 1));
			for (int k = 0; k < n; k++) {
				int64_t i = r0 + k;
				NULLCHK(i);
				size_t len;
				const uint8_t *s = tarn_array_get_bytes(a, i, &len);
				char *dst = pt->nested.data + pt->nested.len;
				static const char hex[] = "0123456789abcdef";
				dst[0] = '\\';
				dst[1] = 'x';
				for (size_t j = 0; j < len; j++) {
					dst[2 + 2 * j] = hex[s[j] >> 4];
					dst[3 + 2 * j] = hex[s[j] & 15];
				}
				cells[k].p = dst;
				cells[k].n = (uint32_t)(2 + 2 * len);
				pt->nested.len += 2 + 2 * len;
				bool q = has_special(w, (const uint8_t *)dst, cells[k].n, 0);
				cells[k].kind = q ? CELL_QUOTE : CELL_PLAIN;
				total += q ? 2 * cells[k].n + 2 : cells[k].n;
			}
			break;
		}
		for (int k = 0; k < n; k++) {
			int64_t i = r0 + k;
			NULLCHK(i);
			size_t len;
			const uint8_t *s = tarn_array_get_bytes(a, i, &len);
			cells[k].p = (const char *)s;
			cells[k].n = (uint32_t)len;
			/* bytes readable past this value inside the buffer */
			int64_t end = a->offsets[i + 1];
			size_t room = a->values_cap > end ? (size_t)(a->values_cap - end) : 0;
			if (string_needs_quote(w, s, len, c == 0, room)) {
				cells[k].kind = CELL_QUOTE;
				total += 2 * len + 2;
			} else {
				cells[k].kind = CELL_PLAIN;
				total += len;
			}
		}
		break;
	case W_BOOL:
		for (int k = 0; k < n; k++) {
			int64_t i = r0 + k;
			NULLCHK(i);
			bool v = tarn_bit_get(a->values, i);
			cells[k].p = v ? "true" : "false";
			cells[k].n = v ? 4 : 5;
			cells[k].kind = CELL_PLAIN;
			total += cells[k].n;
		}
		break;
	case W_I8: FIXED_LOOP(tarn_fmt_int64(dst, ((const int8_t *)a->values)[i])); break;
	case W_I16: FIXED_LOOP(tarn_fmt_int64(dst, ((const int16_t *)a->values)[i])); break;
	case W_I32: FIXED_LOOP(tarn_fmt_int64(dst, ((const int32_t *)a->values)[i])); break;
	case W_I64: FIXED_LOOP(tarn_fmt_int64(dst, ((const int64_t *)a->values)[i])); break;
	case W_U8: FIXED_LOOP(tarn_fmt_uint64(dst, ((const uint8_t *)a->values)[i])); break;
	case W_U16: FIXED_LOOP(tarn_fmt_uint64(dst, ((const uint16_t *)a->values)[i])); break;
	case W_U32: FIXED_LOOP(tarn_fmt_uint64(dst, ((const uint32_t *)a->values)[i])); break;
	case W_U64: FIXED_LOOP(tarn_fmt_uint64(dst, ((const uint64_t *)a->values)[i])); break;
	case W_F32: FIXED_LOOP(tarn_fmt_float(dst, load_f32(a->values + i * 4))); break;
	case W_F64: FIXED_LOOP(tarn_fmt_double(dst, load_f64(a->values + i * 8))); break;
	case W_DEC18:
		FIXED_LOOP(fmt_dec18(dst, (int64_t)tarn_array_get_decimal(a, i), wc->scale));
		break;
	case W_DEC: FIXED_LOOP(tarn_fmt_decimal(dst, tarn_array_get_decimal(a, i), wc->scale)); break;
	case W_DATE:
		if (!pt->dcache && !(pt->dcache = tarn_calloc(DATE_CACHE, sizeof *pt->dcache)))
			return TARN_ENOMEM;
		FIXED_LOOP(fmt_date_cached(pt, dst, ((const int32_t *)a->values)[i]));
		break;
	case W_TIME: FIXED_LOOP(tarn_fmt_time(dst, ((const int64_t *)a->values)[i], wc->unit)); break;
	case W_TS:
		FIXED_LOOP(tarn_fmt_timestamp(dst, ((const int64_t *)a->values)[i], wc->unit, wc->utc));
		break;
	case W_NULL:
		for (int k = 0; k < n; k++) {
			cells[k].kind = CELL_NULL;
			cells[k].n = 0;
			total += w->null_len;
		}
		break;
	case W_NESTED: {
		pt->nested.len = 0;
		size_t *ends = tarn_malloc(sizeof *ends * (size_t)n);
		if (!ends)
			return TARN_ENOMEM;
		for (int k = 0; k < n; k++) {
			int64_t i = r0 + k;
			if (tarn_array_is_null(a, i)) {
				ends[k] = pt->nested.len;
				continue;
			}
			tarn_rc rc = tarn_value_to_text(a, i, false, &pt->nested);
			if (rc) {
				tarn_free(ends);
				return rc;
			}
			ends[k] = pt->nested.len;
		}
		size_t st = 0;
		for (int k = 0; k < n; k++) {
			int64_t i = r0 + k;
			size_t en = ends[k];
			if (tarn_array_is_null(a, i)) {
				cells[k].kind = CELL_NULL;
				cells[k].n = 0;
				total += w->null_len;
				st = en;
				continue;
			}
			cells[k].p = pt->nested.data + st;
			cells[k].n = (uint32_t)(en - st);
			bool q = has_special(w, (const uint8_t *)cells[k].p, cells[k].n, 0);
			cells[k].kind = q ? CELL_QUOTE : CELL_PLAIN;
			total += q ? 2 * (size_t)cells[k].n + 2 : cells[k].n;
			st = en;
		}
		tarn_free(ends);
		break;
	}
	}
#undef FIXED_LOOP
#undef NULLCHK
	if (wc->check) {
		/* the delimiter or quote can occur in this type's text */
		for (int k = 0; k < n; k++) {
			if (cells[k].kind == CELL_PLAIN &&
			    has_special(w, (const uint8_t *)cells[k].p, cells[k].n, 0)) {
				cells[k].kind = CELL_QUOTE;
				total += (size_t)cells[k].n + 2;
			}
		}
	}
	*need += total;
	return TARN_OK;
}

static tarn_rc format_rows(struct part *pt)
{
	struct csv_writer *w = pt->w;
	const int ncols = w->ncols;
	const size_t eol = w->crlf ? 2 : 1;
	const int br = w->block_rows;
	if (!pt->cells) {
		pt->cells = tarn_malloc(sizeof *pt->cells * (size_t)ncols * (size_t)br);
		if (!pt->cells)
			return TARN_ENOMEM;
	}
	if (!arena_reserve(pt, (size_t)ncols * (size_t)br * TARN_FMT_MAX))
		return TARN_ENOMEM;
	pt->out.len = 0;
	for (int64_t r0 = pt->r0; r0 < pt->r1; r0 += br) {
		int n = (int)(pt->r1 - r0 < br ? pt->r1 - r0 : br);
		size_t need = (size_t)n * ((size_t)ncols + eol);
		/* Binary and nested columns share one text buffer (pt->nested):
		 * such tables are formatted a row at a time. */
		bool any_nested = false;
		for (int c = 0; c < ncols; c++)
			any_nested |= w->cols[c].kind == W_NESTED || w->cols[c].kind == W_BINARY;
		if (any_nested) {
			for (int k = 0; k < n; k++) {
				for (int c = 0; c < ncols; c++) {
					size_t need1 = 0;
					TRY(format_column(pt, c, r0 + k, 1, &need1));
					TRY(tarn_buf_reserve(&pt->out, need1 + 4));
					struct cell *ce = pt->cells + (size_t)c * (size_t)br;
					char *o = pt->out.data + pt->out.len;
					if (ce->kind == CELL_PLAIN) {
						memcpy(o, ce->p, ce->n);
						o += ce->n;
					} else if (ce->kind == CELL_QUOTE) {
						o += put_quoted(w, o, (const uint8_t *)ce->p, ce->n);
					} else {
						memcpy(o, w->null_text, w->null_len);
						o += w->null_len;
					}
					if (c + 1 < ncols) {
						*o++ = (char)w->delim;
					} else {
						if (w->crlf)
							*o++ = '\r';
						*o++ = '\n';
					}
					pt->out.len = (size_t)(o - pt->out.data);
				}
			}
			continue;
		}
		for (int c = 0; c < ncols; c++)
			TRY(format_column(pt, c, r0, n, &need));
		TRY(tarn_buf_reserve(&pt->out, need + 16));
		char *o = pt->out.data + pt->out.len;
		const char delim = (char)w->delim;
		for (int k = 0; k < n; k++) {
			for (int c = 0; c < ncols; c++) {
				const struct cell *ce = &pt->cells[(size_t)c * (size_t)br + (size_t)k];
				if (LIKELY(ce->kind == CELL_PLAIN)) {
					csv_copy(o, ce->p, ce->n);
					o += ce->n;
				} else if (ce->kind == CELL_QUOTE) {
					o += put_quoted(w, o, (const uint8_t *)ce->p, ce->n);
				} else {
					memcpy(o, w->null_text, w->null_len);
					o += w->null_len;
				}
				*o++ = delim;
			}
			o--; /* the last delimiter becomes the line end */
			if (w->crlf)
				*o++ = '\r';
			*o++ = '\n';
		}
		pt->out.len = (size_t)(o - pt->out.data);
	}
	return TARN_OK;
}

static void part_run(void *arg)
{
	struct part *pt = arg;
	pt->rc = format_rows(pt);
}

static tarn_rc write_header(struct csv_writer *w, struct tarn_err *err)
{
	struct tarn_buf b;
	tarn_buf_init(&b);
	tarn_rc rc = TARN_OK;
	const struct tarn_schema *s = w->base.schema;
	for (int c = 0; c < s->n_fields && !rc; c++) {
		const char *nm = s->fields[c].name ? s->fields[c].name : "";
		size_t n = strlen(nm);
		if (c)
			rc = tarn_buf_putc(&b, (char)w->delim);
		if (!rc)
			rc = tarn_buf_reserve(&b, 2 * n + 2);
		if (!rc) {
			if (string_needs_quote(w, (const uint8_t *)nm, n, c == 0, 0))
				b.len += put_quoted(w, b.data + b.len, (const uint8_t *)nm, n);
			else
				rc = tarn_buf_append(&b, nm, n);
		}
	}
	if (!rc && w->crlf)
		rc = tarn_buf_putc(&b, '\r');
	if (!rc)
		rc = tarn_buf_putc(&b, '\n');
	if (rc)
		rc = tarn_err_nomem(err, "CSV header");
	else
		rc = tarn_output_write(w->base.out, b.data, b.len, err);
	tarn_buf_free(&b);
	return rc;
}

static tarn_rc start(struct csv_writer *w, struct tarn_err *err)
{
	if (w->started)
		return TARN_OK;
	w->started = true;
	if (w->header && w->ncols > 0)
		return write_header(w, err);
	return TARN_OK;
}

static tarn_rc csv_write(struct tarn_writer *base, const struct tarn_batch *b,
			 struct tarn_err *err)
{
	struct csv_writer *w = (struct csv_writer *)base;
	TRY(start(w, err));
	int64_t rows = b->n_rows;
	if (rows == 0 || w->ncols == 0)
		return TARN_OK;
	int parts = (int)(rows / PART_MIN_ROWS);
	if (parts > w->max_parts)
		parts = w->max_parts;
	if (parts < 1)
		parts = 1;
	int64_t per = (rows + parts - 1) / parts;
	for (int i = 0; i < parts; i++) {
		struct part *pt = &w->parts[i];
		pt->w = w;
		pt->b = b;
		pt->r0 = per * i;
		pt->r1 = pt->r0 + per < rows ? pt->r0 + per : rows;
		pt->rc = TARN_OK;
		pt->task.fn = part_run;
		pt->task.arg = pt;
		if (i > 0)
			tarn_pool_submit(&pt->task);
	}
	part_run(&w->parts[0]);
	tarn_rc rc = TARN_OK;
	for (int i = 0; i < parts; i++) {
		struct part *pt = &w->parts[i];
		if (i > 0)
			tarn_task_wait(&pt->task);
		if (!rc && pt->rc)
			rc = pt->rc == TARN_ENOMEM ? tarn_err_nomem(err, "CSV writer")
						   : tarn_err_set(err, pt->rc,
								  "CSV writer: formatting failed (%s)",
								  tarn_rc_name(pt->rc));
		if (!rc)
			rc = tarn_output_write(w->base.out, pt->out.data, pt->out.len, err);
	}
	return rc;
}

static tarn_rc csv_finish(struct tarn_writer *base, struct tarn_err *err)
{
	return start((struct csv_writer *)base, err);
}

static void csv_wclose(struct tarn_writer *base)
{
	struct csv_writer *w = (struct csv_writer *)base;
	for (int i = 0; w->parts && i < w->max_parts; i++) {
		tarn_buf_free(&w->parts[i].out);
		tarn_buf_free(&w->parts[i].nested);
		tarn_free(w->parts[i].cells);
		tarn_free(w->parts[i].arena);
		tarn_free(w->parts[i].dcache);
	}
	tarn_free(w->parts);
	tarn_free(w->cols);
	tarn_free(w->null_text);
	csv_nulls_free(&w->reread);
	tarn_free(w);
}

static const struct tarn_writer_ops csv_writer_ops = { csv_write, csv_finish, csv_wclose };

/* Characters a type's canonical text can contain (to decide whether the
 * delimiter or quote could show up in it). */
static const char *type_chars(enum wkind k)
{
	switch (k) {
	case W_BOOL: return "truefals";
	case W_I8: case W_I16: case W_I32: case W_I64: return "0123456789-";
	case W_U8: case W_U16: case W_U32: case W_U64: return "0123456789";
	case W_F32: case W_F64: return "0123456789-+.eEinfaN";
	case W_DEC18: case W_DEC: return "0123456789-.";
	case W_DATE: return "0123456789-+";
	case W_TIME: return "0123456789:.-";
	case W_TS: return "0123456789-+:. Z";
	default: return "";
	}
}

static tarn_rc plan_column(const struct tarn_type *t, struct wcol *wc)
{
	memset(wc, 0, sizeof *wc);
	switch (t->id) {
	case TARN_T_NULL: wc->kind = W_NULL; break;
	case TARN_T_BOOL: wc->kind = W_BOOL; break;
	case TARN_T_INT8: wc->kind = W_I8; break;
	case TARN_T_INT16: wc->kind = W_I16; break;
	case TARN_T_INT32: wc->kind = W_I32; break;
	case TARN_T_INT64: wc->kind = W_I64; break;
	case TARN_T_UINT8: wc->kind = W_U8; break;
	case TARN_T_UINT16: wc->kind = W_U16; break;
	case TARN_T_UINT32: wc->kind = W_U32; break;
	case TARN_T_UINT64: wc->kind = W_U64; break;
	case TARN_T_FLOAT32: wc->kind = W_F32; break;
	case TARN_T_FLOAT64: wc->kind = W_F64; break;
	case TARN_T_DECIMAL128:
		wc->kind = t->precision <= 18 ? W_DEC18 : W_DEC;
		wc->scale = t->scale;
		break;
	case TARN_T_STRING: wc->kind = W_STRING; break;
	case TARN_T_BINARY: wc->kind = W_BINARY; break;
	case TARN_T_DATE32: wc->kind = W_DATE; break;
	case TARN_T_TIME64:
		wc->kind = W_TIME;
		wc->unit = (enum tarn_time_unit)t->unit;
		break;
	case TARN_T_TIMESTAMP:
		wc->kind = W_TS;
		wc->unit = (enum tarn_time_unit)t->unit;
		wc->utc = t->tz != NULL;
		break;
	default: wc->kind = W_NESTED; break;
	}
	return TARN_OK;
}

tarn_rc csv_open_writer(struct tarn_output *out, struct tarn_schema *schema,
			const struct tarn_opts *opts, uint8_t default_delim,
			struct tarn_writer **wout, struct tarn_err *err)
{
	*wout = NULL;
	struct csv_writer *w = tarn_calloc(1, sizeof *w);
	if (!w)
		return tarn_err_nomem(err, "CSV writer");
	w->base.ops = &csv_writer_ops;
	w->base.out = out;
	w->delim = default_delim;
	w->quote = '"';
	w->header = true;
	tarn_rc rc = TARN_OK;
	const char *v;
	if ((v = tarn_opts_get(opts, "delimiter"))) {
		int ch = csv_parse_char_opt(v, false);
		if (ch <= 0 || ch == '\n' || ch == '\r') {
			rc = tarn_err_set(err, TARN_EUSAGE,
					  "option delimiter: '%s' is not one character", v);
			goto fail;
		}
		w->delim = (uint8_t)ch;
	}
	if ((v = tarn_opts_get(opts, "quote"))) {
		int ch = csv_parse_char_opt(v, false);
		if (ch <= 0 || ch == '\n' || ch == '\r') {
			rc = tarn_err_set(err, TARN_EUSAGE, "option quote: '%s' is not one character",
					  v);
			goto fail;
		}
		w->quote = (uint8_t)ch;
	}
	if (w->quote == w->delim) {
		rc = tarn_err_set(err, TARN_EUSAGE, "the delimiter and the quote must differ");
		goto fail;
	}
	if ((v = tarn_opts_get(opts, "newline"))) {
		if (!strcasecmp(v, "crlf") || !strcmp(v, "\\r\\n"))
			w->crlf = true;
		else if (strcasecmp(v, "lf") && strcmp(v, "\\n")) {
			rc = tarn_err_set(err, TARN_EUSAGE, "option newline: '%s' is not lf or crlf",
					  v);
			goto fail;
		}
	}
	rc = tarn_opts_bool(opts, "header", true, &w->header, err);
	if (rc)
		goto fail;
	v = tarn_opts_get(opts, "null");
	w->null_text = tarn_strdup(v ? v : "");
	if (!w->null_text) {
		rc = tarn_err_nomem(err, "CSV writer");
		goto fail;
	}
	w->null_len = strlen(w->null_text);
	{
		/* strings spelled like a null token are quoted so they stay strings */
		char toks[512];
		snprintf(toks, sizeof toks, "%s%s%s", CSV_DEFAULT_NULLS, w->null_len ? "," : "",
			 w->null_len < 256 ? w->null_text : "");
		rc = csv_nulls_parse(&w->reread, toks, err);
		if (rc)
			goto fail;
	}
	int64_t threads;
	rc = tarn_opts_int(opts, "threads", 0, &threads, err);
	if (rc)
		goto fail;
	if (threads < 0 || threads > 4096) {
		rc = tarn_err_set(err, TARN_EUSAGE, "option threads: use 0..4096");
		goto fail;
	}
	w->max_parts = threads > 0 ? (int)threads : tarn_pool_size();
	if (w->max_parts > MAX_PARTS)
		w->max_parts = MAX_PARTS;
	w->parts = tarn_calloc((size_t)w->max_parts, sizeof *w->parts);
	if (!w->parts) {
		rc = tarn_err_nomem(err, "CSV writer");
		goto fail;
	}
	w->special[w->delim] = w->special[w->quote] = w->special['\n'] = w->special['\r'] = 1;
	w->ncols = schema->n_fields;
	w->block_rows = w->ncols > 0 ? BLOCK_CELLS / w->ncols : BLOCK_ROWS;
	if (w->block_rows > BLOCK_ROWS)
		w->block_rows = BLOCK_ROWS;
	if (w->block_rows < 1)
		w->block_rows = 1;
	w->cols = tarn_calloc((size_t)(w->ncols ? w->ncols : 1), sizeof *w->cols);
	if (!w->cols) {
		rc = tarn_err_nomem(err, "CSV writer");
		goto fail;
	}
	for (int c = 0; c < w->ncols; c++) {
		plan_column(&schema->fields[c].type, &w->cols[c]);
		const char *chars = type_chars(w->cols[c].kind);
		w->cols[c].check = strchr(chars, w->delim) || strchr(chars, w->quote);
	}
	tarn_schema_ref(schema);
	w->base.schema = schema;
	*wout = &w->base;
	return TARN_OK;
fail:
	csv_wclose(&w->base);
	return rc;
}
