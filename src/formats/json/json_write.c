/*
 * json_write.c — the JSON and JSON Lines writers.
 *
 * jsonl: one object per row, keys in schema order, "\n" after each row.
 * json:  "[\n", rows separated by ",\n", then "\n]\n"; no rows gives "[]\n".
 * Nulls are written as null, or left out with omit-nulls=true.
 *
 * Each column gets a formatter kind when the writer opens, so the row loop
 * switches on a small enum instead of re-reading the type tree; scalar
 * spellings come from columnar/text.h (the same as every other tarn output),
 * nested and binary values from tarn_value_to_text. Rows are formatted into
 * memory and written in large pieces; a big batch is cut into row ranges
 * formatted by the worker pool in parallel and written in order.
 *
 * Thread-safety: one writer per thread; format tasks read the batch and
 * write only their own buffer.
 */
#include <math.h>
#include <stdio.h>

#include "base/pool.h"
#include "columnar/text.h"
#include "formats/json/json_int.h"

/* Rows below this are formatted on the calling thread. */
#define PARALLEL_MIN_ROWS 4096
/* Serial formatting writes to the output every this many bytes. */
#define FLUSH_BYTES (1u << 20)
#define MAX_PARTS 64

enum wkind {
	W_BOOL,
	W_INT,
	W_UINT64,
	W_FLOAT32,
	W_FLOAT64,
	W_DECIMAL,
	W_STRING,
	W_DATE,
	W_TIME,
	W_TIMESTAMP,
	W_OTHER, /* binary, nested, null type: tarn_value_to_text */
};

struct wcol {
	enum wkind kind;
	char *key; /* "\"name\":" */
	size_t key_len;
	int scale;
	enum tarn_time_unit unit;
	bool utc;
};

struct part {
	struct tarn_task task;
	struct jwriter *w;
	const struct tarn_batch *b;
	int64_t r0, r1;
	struct tarn_buf buf;
	tarn_rc rc;
};

struct jwriter {
	struct tarn_writer base;
	bool array;
	bool omit_nulls;
	int64_t rows;
	int n;
	struct wcol *cols;
	size_t fixed; /* room for one row's keys and scalar values */
	struct tarn_buf buf;
	struct part parts[MAX_PARTS];
};

static enum wkind kind_of(const struct tarn_type *t)
{
	switch (t->id) {
	case TARN_T_BOOL: return W_BOOL;
	case TARN_T_INT8:
	case TARN_T_INT16:
	case TARN_T_INT32:
	case TARN_T_INT64:
	case TARN_T_UINT8:
	case TARN_T_UINT16:
	case TARN_T_UINT32: return W_INT;
	case TARN_T_UINT64: return W_UINT64;
	case TARN_T_FLOAT32: return W_FLOAT32;
	case TARN_T_FLOAT64: return W_FLOAT64;
	case TARN_T_DECIMAL128: return W_DECIMAL;
	case TARN_T_STRING: return W_STRING;
	case TARN_T_DATE32: return W_DATE;
	case TARN_T_TIME64: return W_TIME;
	case TARN_T_TIMESTAMP: return W_TIMESTAMP;
	default: return W_OTHER;
	}
}

/* Length of the prefix of s that needs no escaping: ASCII other than
 * '"', '\\' and control characters. */
static inline size_t plain_prefix(const uint8_t *s, size_t n)
{
	size_t i = 0;
#ifdef __SSE2__
	for (; i + 16 <= n; i += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
		__m128i sp = _mm_or_si128(
			_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
				     _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))),
			_mm_cmpeq_epi8(_mm_subs_epu8(v, _mm_set1_epi8(0x1f)), _mm_setzero_si128()));
		unsigned m = (unsigned)(_mm_movemask_epi8(sp) | _mm_movemask_epi8(v));
		if (m)
			return i + (unsigned)__builtin_ctz(m);
	}
#endif
	for (; i + 8 <= n; i += 8) {
		uint64_t w;
		memcpy(&w, s + i, 8);
		uint64_t m = json_special_bytes(w) | (w & 0x8080808080808080ull);
		if (m)
			return i + ((unsigned)__builtin_ctzll(m) >> 3);
	}
	for (; i < n; i++)
		if (s[i] < 0x20 || s[i] >= 0x80 || s[i] == '"' || s[i] == '\\')
			break;
	return i;
}

/* A JSON string literal: plain text copied in one piece, anything else
 * (escapes, UTF-8 to check) through tarn_json_quote. */
static inline tarn_rc put_quoted(struct tarn_buf *out, const uint8_t *s, size_t n)
{
	if (plain_prefix(s, n) != n)
		return tarn_json_quote(s, n, out);
	TRY(tarn_buf_reserve(out, n + 2));
	char *p = out->data + out->len;
	*p++ = '"';
	if (n)
		memcpy(p, s, n);
	p[n] = '"';
	out->len += n + 2;
	return TARN_OK;
}

/* Formats rows [r0, r1) of b, appending to out. */
static tarn_rc format_rows(const struct jwriter *w, const struct tarn_batch *b, int64_t r0,
			   int64_t r1, int64_t first_index, struct tarn_buf *out)
{
	for (int64_t row = r0; row < r1; row++) {
		TRY(tarn_buf_reserve(out, w->fixed));
		char *p = out->data + out->len;
		if (w->array) {
			if (first_index + (row - r0) == 0)
				memcpy(p, "[\n", 2);
			else
				memcpy(p, ",\n", 2);
			p += 2;
		}
		*p++ = '{';
		bool first = true;
		for (int c = 0; c < w->n; c++) {
			const struct tarn_array *a = b->cols[c];
			const struct wcol *wc = &w->cols[c];
			bool null = tarn_array_is_null(a, row) || a->type->id == TARN_T_NULL;
			if (null && w->omit_nulls)
				continue;
			if (!first)
				*p++ = ',';
			first = false;
			memcpy(p, wc->key, wc->key_len);
			p += wc->key_len;
			if (null) {
				memcpy(p, "null", 4);
				p += 4;
				continue;
			}
			switch (wc->kind) {
			case W_BOOL:
				if (tarn_bit_get(a->values, row)) {
					memcpy(p, "true", 4);
					p += 4;
				} else {
					memcpy(p, "false", 5);
					p += 5;
				}
				break;
			case W_INT:
				p += tarn_fmt_int64(p, a->type->id == TARN_T_INT64
							       ? ((const int64_t *)a->values)[row]
							       : tarn_array_get_int(a, row));
				break;
			case W_UINT64:
				p += tarn_fmt_uint64(p, ((const uint64_t *)a->values)[row]);
				break;
			case W_FLOAT64: {
				double d = ((const double *)a->values)[row];
				if (isfinite(d)) {
					p += tarn_fmt_double(p, d);
				} else {
					memcpy(p, "null", 4);
					p += 4;
				}
				break;
			}
			case W_FLOAT32: {
				float f = ((const float *)a->values)[row];
				if (isfinite(f)) {
					p += tarn_fmt_float(p, f);
				} else {
					memcpy(p, "null", 4);
					p += 4;
				}
				break;
			}
			case W_DECIMAL:
				p += tarn_fmt_decimal(p, tarn_array_get_decimal(a, row), wc->scale);
				break;
			case W_DATE:
				*p++ = '"';
				p += tarn_fmt_date(p, ((const int32_t *)a->values)[row]);
				*p++ = '"';
				break;
			case W_TIME:
				*p++ = '"';
				p += tarn_fmt_time(p, ((const int64_t *)a->values)[row], wc->unit);
				*p++ = '"';
				break;
			case W_TIMESTAMP:
				*p++ = '"';
				p += tarn_fmt_timestamp(p, ((const int64_t *)a->values)[row], wc->unit,
							wc->utc);
				*p++ = '"';
				break;
			case W_STRING:
			case W_OTHER: {
				/* Variable-length: go through the buffer, then reserve
				 * room for the rest of the row again. */
				out->len = (size_t)(p - out->data);
				if (wc->kind == W_STRING) {
					/* Not tarn_array_get_bytes: a column of empty
					 * strings may have no payload buffer at all. */
					size_t n = (size_t)(a->offsets[row + 1] - a->offsets[row]);
					const uint8_t *s = n ? a->values + a->offsets[row]
							     : (const uint8_t *)"";
					TRY(put_quoted(out, s, n));
				} else {
					TRY(tarn_value_to_text(a, row, true, out));
				}
				TRY(tarn_buf_reserve(out, w->fixed));
				p = out->data + out->len;
				break;
			}
			}
		}
		*p++ = '}';
		if (!w->array)
			*p++ = '\n';
		out->len = (size_t)(p - out->data);
	}
	return TARN_OK;
}

static void part_run(void *arg)
{
	struct part *pt = arg;
	pt->buf.len = 0;
	pt->rc = format_rows(pt->w, pt->b, pt->r0, pt->r1, pt->w->rows + pt->r0, &pt->buf);
}

static tarn_rc format_fail(tarn_rc rc, struct tarn_err *err)
{
	if (rc == TARN_ENOMEM)
		return tarn_err_nomem(err, "formatting JSON");
	return tarn_err_set(err, rc, "formatting JSON: %s (a row longer than 2 GiB?)",
			    tarn_rc_name(rc));
}

static tarn_rc writer_write(struct tarn_writer *base, const struct tarn_batch *b,
			    struct tarn_err *err)
{
	struct jwriter *w = (struct jwriter *)base;
	int64_t n = b->n_rows;
	int threads = n >= PARALLEL_MIN_ROWS && tarn_config_threads() > 1 ? tarn_pool_size() : 1;
	if (threads > 1) {
		int parts = threads * 2 < MAX_PARTS ? threads * 2 : MAX_PARTS;
		for (int i = 0; i < parts; i++) {
			struct part *pt = &w->parts[i];
			pt->w = w;
			pt->b = b;
			pt->r0 = n * i / parts;
			pt->r1 = n * (i + 1) / parts;
			pt->task.fn = part_run;
			pt->task.arg = pt;
			tarn_pool_submit(&pt->task);
		}
		tarn_rc rc = TARN_OK;
		for (int i = 0; i < parts; i++) {
			struct part *pt = &w->parts[i];
			tarn_task_wait(&pt->task);
			if (rc == TARN_OK && pt->rc)
				rc = format_fail(pt->rc, err);
			if (rc == TARN_OK)
				rc = tarn_output_write(base->out, pt->buf.data, pt->buf.len, err);
		}
		if (rc == TARN_OK)
			w->rows += n;
		return rc;
	}
	for (int64_t r = 0; r < n;) {
		int64_t e = r + 1024 < n ? r + 1024 : n;
		w->buf.len = 0;
		tarn_rc rc = format_rows(w, b, r, e, w->rows + r, &w->buf);
		if (rc)
			return format_fail(rc, err);
		TRY(tarn_output_write(base->out, w->buf.data, w->buf.len, err));
		r = e;
	}
	w->rows += n;
	return TARN_OK;
}

static tarn_rc writer_finish(struct tarn_writer *base, struct tarn_err *err)
{
	struct jwriter *w = (struct jwriter *)base;
	if (!w->array)
		return TARN_OK;
	if (w->rows == 0)
		return tarn_output_write(base->out, "[]\n", 3, err);
	return tarn_output_write(base->out, "\n]\n", 3, err);
}

static void writer_close(struct tarn_writer *base)
{
	struct jwriter *w = (struct jwriter *)base;
	for (int i = 0; i < w->n; i++)
		tarn_free(w->cols[i].key);
	tarn_free(w->cols);
	tarn_buf_free(&w->buf);
	for (int i = 0; i < MAX_PARTS; i++)
		tarn_buf_free(&w->parts[i].buf);
	tarn_free(w);
}

static const struct tarn_writer_ops writer_ops = { writer_write, writer_finish, writer_close };

static tarn_rc open_writer(struct tarn_output *out, struct tarn_schema *schema,
			   const struct tarn_opts *opts, bool array, struct tarn_writer **wout,
			   struct tarn_err *err)
{
	(void)out;
	*wout = NULL;
	struct jwriter *w = tarn_calloc(1, sizeof *w);
	if (!w)
		return tarn_err_nomem(err, "JSON writer");
	w->base.ops = &writer_ops;
	w->array = array;
	tarn_buf_init(&w->buf);
	for (int i = 0; i < MAX_PARTS; i++)
		tarn_buf_init(&w->parts[i].buf);
	tarn_rc rc = tarn_opts_bool(opts, "omit-nulls", false, &w->omit_nulls, err);
	if (rc)
		goto out;
	w->cols = tarn_calloc((size_t)(schema->n_fields ? schema->n_fields : 1), sizeof *w->cols);
	if (!w->cols) {
		rc = tarn_err_nomem(err, "JSON writer");
		goto out;
	}
	w->n = schema->n_fields;
	w->fixed = 8;
	for (int i = 0; i < w->n; i++) {
		const struct tarn_field *f = &schema->fields[i];
		struct wcol *c = &w->cols[i];
		c->kind = kind_of(&f->type);
		c->scale = f->type.scale;
		c->unit = (enum tarn_time_unit)f->type.unit;
		c->utc = f->type.tz != NULL;
		struct tarn_buf k;
		tarn_buf_init(&k);
		const char *name = f->name ? f->name : "";
		rc = tarn_json_quote((const uint8_t *)name, strlen(name), &k);
		if (rc == TARN_OK)
			rc = tarn_buf_putc(&k, ':');
		if (rc) {
			tarn_buf_free(&k);
			rc = tarn_err_nomem(err, "JSON writer");
			goto out;
		}
		c->key_len = k.len;
		c->key = tarn_buf_steal(&k);
		if (!c->key) {
			rc = tarn_err_nomem(err, "JSON writer");
			goto out;
		}
		w->fixed += c->key_len + TARN_FMT_MAX + 4;
	}
	tarn_schema_ref(schema);
	w->base.schema = schema;
	*wout = &w->base;
	return TARN_OK;
out:
	writer_close(&w->base);
	return rc;
}

tarn_rc json_open_writer_json(struct tarn_output *out, struct tarn_schema *schema,
			      const struct tarn_opts *opts, struct tarn_writer **w,
			      struct tarn_err *err)
{
	return open_writer(out, schema, opts, true, w, err);
}

tarn_rc json_open_writer_jsonl(struct tarn_output *out, struct tarn_schema *schema,
			       const struct tarn_opts *opts, struct tarn_writer **w,
			       struct tarn_err *err)
{
	return open_writer(out, schema, opts, false, w, err);
}
