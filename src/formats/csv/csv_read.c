/*
 * csv_read.c — from tokenized fields to typed column arrays, and the text of
 * every data error the reader reports.
 *
 * csv_parse_rows alternates the tokenizer (csv_scan.c), which fills an index
 * of up to CSV_BLOCK_FIELDS field spans, with conversion: one column at a
 * time over the block's rows, a loop per column kind (the switch is outside
 * the loop), writing straight into the array buffers after one reserve.
 * Common spellings (plain integers, fixed-point decimals, ISO dates) take
 * inline fast paths; anything else goes through the text.h kernels, so the
 * accepted set is theirs.
 *
 * Nested columns (list, struct, map; only by --types) hold JSON text, the
 * CSV writer's spelling; each cell is parsed by the JSON reader's value
 * parser (formats/json/json_value.h), so what a cell may hold and the error
 * text are the JSON reader's.
 *
 * Bad values: with on-bad-row=error the first bad value in row-major order
 * is reported; null-fill stores a null and counts the row; skip marks the
 * row, and the block is converted again without the marked rows.
 *
 * Thread-safety: a job touches only its own batch, scratch and result; the
 * plan is read-only. Many jobs run at once on the pool.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base/err.h"
#include "base/mem.h"
#include "columnar/text.h"
#include "columnar/utf8.h"
#include "formats/csv/csv_int.h"
#include "formats/json/json_value.h"

/* ---- column plans ------------------------------------------------------------ */

tarn_rc csv_col_plan(const struct tarn_type *t, bool inferred, int layout, struct csv_col *out,
		     struct tarn_err *err)
{
	memset(out, 0, sizeof *out);
	out->inferred = inferred;
	out->layout = (uint8_t)layout;
	switch (t->id) {
	case TARN_T_NULL: out->kind = CSV_K_NULL; break;
	case TARN_T_BOOL: out->kind = CSV_K_BOOL; break;
	case TARN_T_INT8:
	case TARN_T_INT16:
	case TARN_T_INT32:
	case TARN_T_INT64:
		out->kind = CSV_K_INT;
		out->width = (uint8_t)tarn_type_width(t->id);
		break;
	case TARN_T_UINT8:
	case TARN_T_UINT16:
	case TARN_T_UINT32:
	case TARN_T_UINT64:
		out->kind = CSV_K_UINT;
		out->width = (uint8_t)tarn_type_width(t->id);
		break;
	case TARN_T_FLOAT32: out->kind = CSV_K_FLOAT32; break;
	case TARN_T_FLOAT64: out->kind = CSV_K_FLOAT64; break;
	case TARN_T_DECIMAL128:
		out->kind = CSV_K_DECIMAL;
		out->precision = t->precision;
		out->scale = t->scale;
		break;
	case TARN_T_STRING: out->kind = CSV_K_STRING; break;
	case TARN_T_BINARY: out->kind = CSV_K_BINARY; break;
	case TARN_T_DATE32: out->kind = CSV_K_DATE; break;
	case TARN_T_TIME64:
		out->kind = CSV_K_TIME;
		out->unit = t->unit;
		break;
	case TARN_T_TIMESTAMP:
		out->kind = CSV_K_TIMESTAMP;
		out->unit = t->unit;
		out->utc = t->tz != NULL;
		break;
	case TARN_T_LIST:
	case TARN_T_STRUCT:
	case TARN_T_MAP: out->kind = CSV_K_NESTED; break;
	default:
		return tarn_err_set(err, TARN_EUNSUPPORTED, "CSV columns cannot be of type %s",
				    tarn_type_id_name(t->id));
	}
	return TARN_OK;
}

/* ---- scratch ----------------------------------------------------------------- */

tarn_rc csv_scratch_init(struct csv_scratch *s, int ncols)
{
	memset(s, 0, sizeof *s);
	s->ncols = ncols;
	s->f = tarn_malloc(sizeof *s->f * ((size_t)CSV_BLOCK_FIELDS + (size_t)ncols + 1));
	s->dropped_cap = (size_t)CSV_BLOCK_FIELDS + 1;
	s->dropped = tarn_malloc(s->dropped_cap);
	if (!s->f || !s->dropped) {
		csv_scratch_free(s);
		return TARN_ENOMEM;
	}
	return TARN_OK;
}

void csv_scratch_free(struct csv_scratch *s)
{
	tarn_free(s->f);
	tarn_free(s->tmp);
	tarn_free(s->dropped);
	if (s->json)
		for (int c = 0; c < s->ncols; c++)
			json_value_parser_free(s->json[c]);
	tarn_free(s->json);
	tarn_free(s->fix);
	memset(s, 0, sizeof *s);
}

static bool tmp_reserve(struct csv_scratch *s, size_t n)
{
	if (n <= s->tmp_cap)
		return true;
	size_t cap = s->tmp_cap ? s->tmp_cap : 256;
	while (cap < n)
		cap *= 2;
	uint8_t *p = tarn_realloc(s->tmp, cap);
	if (!p)
		return false;
	s->tmp = p;
	s->tmp_cap = cap;
	return true;
}

/* ---- fast value paths -------------------------------------------------------- */

static inline bool leading_zero(const char *s, size_t n)
{
	size_t i = (n && (s[0] == '-' || s[0] == '+')) ? 1 : 0;
	return i + 1 < n && s[i] == '0' && s[i + 1] >= '0' && s[i + 1] <= '9';
}

/* [-]digits with 1..18 digits and no leading zero. */
static inline bool fast_i64(const char *s, size_t n, int64_t *out)
{
	size_t i = 0;
	bool neg = false;
	if (n && s[0] == '-') {
		neg = true;
		i = 1;
	}
	size_t nd = n - i;
	if (nd == 0 || nd > 18 || (nd > 1 && s[i] == '0'))
		return false;
	uint64_t v = 0;
	for (; i < n; i++) {
		unsigned d = (unsigned)(uint8_t)s[i] - '0';
		if (d > 9)
			return false;
		v = v * 10 + d;
	}
	*out = neg ? -(int64_t)v : (int64_t)v;
	return true;
}

static const int64_t p10[19] = { 1LL,
				 10LL,
				 100LL,
				 1000LL,
				 10000LL,
				 100000LL,
				 1000000LL,
				 10000000LL,
				 100000000LL,
				 1000000000LL,
				 10000000000LL,
				 100000000000LL,
				 1000000000000LL,
				 10000000000000LL,
				 100000000000000LL,
				 1000000000000000LL,
				 10000000000000000LL,
				 100000000000000000LL,
				 1000000000000000000LL };

/* [-]D+[.D+] with at most `scale` fraction digits, fitting precision <= 18,
 * no leading zero in the integer part. */
static inline bool fast_dec18(const char *s, size_t n, int precision, int scale, int64_t *out)
{
	size_t i = 0;
	bool neg = false;
	if (n && s[0] == '-') {
		neg = true;
		i = 1;
	}
	size_t is = i;
	uint64_t v = 0;
	while (i < n) {
		unsigned d = (unsigned)(uint8_t)s[i] - '0';
		if (d > 9)
			break;
		v = v * 10 + d;
		i++;
	}
	size_t ni = i - is;
	if (ni == 0 || ni > 18 || (ni > 1 && s[is] == '0'))
		return false;
	size_t nfrac = 0;
	if (i < n) {
		if (s[i] != '.')
			return false;
		i++;
		size_t fs = i;
		while (i < n) {
			unsigned d = (unsigned)(uint8_t)s[i] - '0';
			if (d > 9)
				return false;
			v = v * 10 + d;
			i++;
		}
		nfrac = i - fs;
		if (nfrac == 0 || nfrac > (size_t)scale)
			return false;
	}
	/* Integer digits (less leading zeros) must fit precision - scale. */
	if (v != 0 && ni + (size_t)scale > (size_t)precision) {
		uint64_t ip = v / (uint64_t)p10[nfrac];
		if (ip >= (uint64_t)p10[precision - scale])
			return false;
	}
	v *= (uint64_t)p10[(size_t)scale - nfrac];
	*out = neg ? -(int64_t)v : (int64_t)v;
	return true;
}

static inline bool is_leap(unsigned y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Day numbers of the first of each month for years TABLE_Y0..+255, so the
 * common dates skip the calendar arithmetic. */
#define TABLE_Y0 1900u
static int32_t month_start[256][13];
static pthread_once_t month_once = PTHREAD_ONCE_INIT;

static void month_init(void)
{
	for (unsigned y = 0; y < 256; y++)
		for (unsigned m = 1; m <= 12; m++)
			month_start[y][m] = tarn_days_from_civil(TABLE_Y0 + y, m, 1);
}

static inline int32_t days_of(unsigned y, unsigned m, unsigned d)
{
	if (y - TABLE_Y0 < 256)
		return month_start[y - TABLE_Y0][m] + (int32_t)d - 1;
	return tarn_days_from_civil(y, m, d);
}

/* Exactly YYYY-MM-DD. */
static inline bool fast_iso_date(const char *s, size_t n, int32_t *out)
{
	if (n != 10 || s[4] != '-' || s[7] != '-')
		return false;
	unsigned y = 0;
	for (int i = 0; i < 4; i++) {
		unsigned d = (unsigned)(uint8_t)s[i] - '0';
		if (d > 9)
			return false;
		y = y * 10 + d;
	}
	unsigned m1 = (unsigned)(uint8_t)s[5] - '0', m2 = (unsigned)(uint8_t)s[6] - '0';
	unsigned d1 = (unsigned)(uint8_t)s[8] - '0', d2 = (unsigned)(uint8_t)s[9] - '0';
	if (m1 > 9 || m2 > 9 || d1 > 9 || d2 > 9)
		return false;
	unsigned m = m1 * 10 + m2, d = d1 * 10 + d2;
	static const unsigned char dim[13] = { 0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	if (m < 1 || m > 12 || d < 1 || d > (m == 2 && is_leap(y) ? 29u : dim[m]))
		return false;
	*out = days_of(y, m, d);
	return true;
}

/* ---- generic value parse -------------------------------------------------------- */

union csv_val {
	int64_t i;
	uint64_t u;
	double f;
	tarn_i128 dec;
	bool b;
};

enum vres { V_OK = 0, V_NULL, V_FAIL, V_ZERO };

static bool parse_hexbin(const char *s, size_t n)
{
	if (n < 2 || s[0] != '\\' || s[1] != 'x' || (n % 2) != 0)
		return false;
	for (size_t i = 2; i < n; i++) {
		char c = s[i];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
			return false;
	}
	return true;
}

/* Parses a non-empty value of a non-string column. */
static enum vres parse_value(const struct csv_col *col, const char *s, size_t n,
			     union csv_val *v)
{
	switch (col->kind) {
	case CSV_K_BOOL:
		if (col->inferred) {
			if (n == 4 && !strncasecmp(s, "true", 4)) {
				v->b = true;
				return V_OK;
			}
			if (n == 5 && !strncasecmp(s, "false", 5)) {
				v->b = false;
				return V_OK;
			}
			return V_FAIL;
		}
		if (n == 1 && (s[0] == '1' || s[0] == '0')) {
			v->b = s[0] == '1';
			return V_OK;
		}
		return tarn_parse_bool(s, n, &v->b) ? V_OK : V_FAIL;
	case CSV_K_INT:
		if (col->inferred && leading_zero(s, n))
			return V_ZERO;
		if (!tarn_parse_int64(s, n, &v->i))
			return V_FAIL;
		if (col->width < 8) {
			int64_t lim = (int64_t)1 << (col->width * 8 - 1);
			if (v->i < -lim || v->i >= lim)
				return V_FAIL;
		}
		return V_OK;
	case CSV_K_UINT:
		if (!tarn_parse_uint64(s, n, &v->u))
			return V_FAIL;
		if (col->width < 8 && v->u >= ((uint64_t)1 << (col->width * 8)))
			return V_FAIL;
		return V_OK;
	case CSV_K_FLOAT32: {
		/* straight to float32: through double it would round twice */
		float x;
		if (!tarn_parse_float(s, n, &x))
			return V_FAIL;
		v->f = x;
		return V_OK;
	}
	case CSV_K_FLOAT64:
		if (col->inferred && leading_zero(s, n))
			return V_ZERO;
		return tarn_parse_double(s, n, &v->f) ? V_OK : V_FAIL;
	case CSV_K_DECIMAL:
		if (col->inferred && leading_zero(s, n))
			return V_ZERO;
		return tarn_parse_decimal(s, n, col->precision, col->scale, &v->dec) ? V_OK : V_FAIL;
	case CSV_K_DATE: {
		int32_t d;
		if (!csv_parse_date_layout(s, n, col->layout, &d))
			return V_FAIL;
		v->i = d;
		return V_OK;
	}
	case CSV_K_TIME:
		return tarn_parse_time(s, n, col->unit, &v->i) ? V_OK : V_FAIL;
	case CSV_K_TIMESTAMP: {
		bool off = false;
		int nd;
		bool ok = (col->layout == CSV_DATE_ISO &&
			   tarn_parse_timestamp(s, n, col->unit, &v->i, &off)) ||
			  csv_parse_ts_layout(s, n, col->layout, col->unit, &v->i, &off, &nd);
		if (!ok)
			return V_FAIL;
		/* An inferred column keeps to what the sample showed: all values
		 * with a zone or all without. */
		if (col->inferred && off != col->utc)
			return V_FAIL;
		return V_OK;
	}
	case CSV_K_NULL: return V_FAIL;
	default: return V_FAIL;
	}
}

/* ---- block conversion -------------------------------------------------------------- */

struct conv {
	struct csv_job *job;
	const struct csv_plan *pl;
	const uint8_t *ob; /* base + origin */
	const struct csv_field *F;
	uint32_t ncols, nrows;
	bool hi;
	bool mark;        /* null-fill/skip: mark bad rows instead of stopping */
	uint8_t *bad;     /* per-row marks (mark mode) */
	uint32_t n_bad;
	/* first failure (error mode) */
	int64_t fail_row;
	int fail_col;
	enum csv_fail_kind fail_kind;
	bool nomem;
	bool too_big;
	bool fatal; /* a nested cell hit a JSON limit: stop, whatever on-bad-row says */
	/* CSV_FAIL_NESTED at fail_row: the JSON error and where in the cell */
	tarn_rc nested_rc;
	size_t nested_at;
	bool nested_fixed; /* the cell was parsed from a utf8=replace copy */
	char nested_msg[320];
};

static inline bool set_null(struct conv *cv, struct tarn_array *a, int64_t i)
{
	if (!a->validity && tarn_array_ensure_validity(a) != TARN_OK) {
		cv->nomem = true;
		return false;
	}
	a->validity[i >> 3] &= (uint8_t) ~(1u << (i & 7));
	a->null_count++;
	return true;
}

/* A value in row r failed: returns true to go on (marked) or false to stop. */
static inline bool value_failed(struct conv *cv, uint32_t r, int c, enum csv_fail_kind k)
{
	if (cv->mark) {
		if (!cv->bad[r]) {
			cv->bad[r] = 1;
			cv->n_bad++;
		}
		return true;
	}
	if ((int64_t)r < cv->fail_row) {
		cv->fail_row = r;
		cv->fail_col = c;
		cv->fail_kind = k;
	}
	return false;
}

/* The field's bytes with escapes removed (into scratch when needed). */
static inline const char *field_text(struct conv *cv, const struct csv_field *f, size_t *n)
{
	const char *s = (const char *)cv->ob + f->start;
	*n = f->len & CSV_F_LEN;
	if (UNLIKELY(f->len & CSV_F_ESCAPED)) {
		struct csv_scratch *sc = cv->job->s;
		if (!tmp_reserve(sc, *n + 1)) {
			cv->nomem = true;
			*n = 0;
			return s;
		}
		*n = csv_unescape((const uint8_t *)s, *n, &cv->pl->cfg->d, sc->tmp);
		return (const char *)sc->tmp;
	}
	return s;
}

/*
 * The slow path for one value of a non-string column: null tokens, escapes,
 * the generic parsers. Returns V_OK (value in *v), V_NULL, or V_FAIL/V_ZERO.
 */
static enum vres slow_value(struct conv *cv, const struct csv_col *col, const struct csv_field *f,
			    union csv_val *v)
{
	size_t n;
	const char *s = field_text(cv, f, &n);
	if (cv->nomem)
		return V_FAIL;
	if (n == 0)
		return V_NULL;
	enum vres r = parse_value(col, s, n, v);
	if (r != V_OK && !(f->len & CSV_F_QUOTED) &&
	    csv_is_null_token(&cv->pl->cfg->nulls, (const uint8_t *)s, n))
		return V_NULL;
	return r;
}

#define ROWS_LOOP for (uint32_t r = 0; r < limit; r++)
#define FLD(r) (&cv->F[(size_t)(r) * cv->ncols + (size_t)c])

/* Handles a value that missed the fast path. Evaluates to false when
 * conversion of this column must stop at row r. */
#define SLOW(store_ok)                                                              \
	do {                                                                        \
		enum vres vr_ = slow_value(cv, col, f, &v);                         \
		if (vr_ == V_OK) {                                                  \
			store_ok;                                                   \
		} else {                                                            \
			if (cv->nomem)                                              \
				goto stop;                                          \
			if (!set_null(cv, a, base + r))                             \
				goto stop;                                          \
			if (vr_ != V_NULL &&                                        \
			    !value_failed(cv, r, c,                                 \
					  vr_ == V_ZERO ? CSV_FAIL_LEADING_ZERO      \
							: CSV_FAIL_TYPE)) {         \
				limit = r;                                          \
				goto stop;                                          \
			}                                                           \
		}                                                                   \
	} while (0)

static void conv_int64(struct conv *cv, int c, const struct csv_col *col, struct tarn_array *a,
		       uint32_t limit)
{
	int64_t base = a->length;
	int64_t *out = (int64_t *)a->values + base;
	ROWS_LOOP {
		const struct csv_field *f = FLD(r);
		int64_t x;
		if (LIKELY(fast_i64((const char *)cv->ob + f->start, f->len, &x))) {
			out[r] = x;
			continue;
		}
		union csv_val v;
		out[r] = 0;
		SLOW(out[r] = v.i);
	}
stop:
	a->length = base + limit;
}

static void conv_dec18(struct conv *cv, int c, const struct csv_col *col, struct tarn_array *a,
		       uint32_t limit)
{
	int64_t base = a->length;
	uint8_t *out = a->values + base * 16;
	const int prec = col->precision, scale = col->scale;
	ROWS_LOOP {
		const struct csv_field *f = FLD(r);
		int64_t x;
		tarn_i128 w;
		if (LIKELY(f->len <= 40 &&
			   fast_dec18((const char *)cv->ob + f->start, f->len, prec, scale, &x))) {
			w = x;
			memcpy(out + (size_t)r * 16, &w, 16);
			continue;
		}
		union csv_val v;
		w = 0;
		memcpy(out + (size_t)r * 16, &w, 16);
		SLOW(memcpy(out + (size_t)r * 16, &v.dec, 16));
	}
stop:
	a->length = base + limit;
}

static void conv_date(struct conv *cv, int c, const struct csv_col *col, struct tarn_array *a,
		      uint32_t limit)
{
	int64_t base = a->length;
	int32_t *out = (int32_t *)a->values + base;
	const bool iso = col->layout == CSV_DATE_ISO;
	pthread_once(&month_once, month_init);
	ROWS_LOOP {
		const struct csv_field *f = FLD(r);
		int32_t d;
		if (LIKELY(iso && fast_iso_date((const char *)cv->ob + f->start, f->len, &d))) {
			out[r] = d;
			continue;
		}
		union csv_val v;
		out[r] = 0;
		SLOW(out[r] = (int32_t)v.i);
	}
stop:
	a->length = base + limit;
}

static void conv_float64(struct conv *cv, int c, const struct csv_col *col, struct tarn_array *a,
			 uint32_t limit)
{
	int64_t base = a->length;
	uint8_t *out = a->values + base * 8;
	ROWS_LOOP {
		const struct csv_field *f = FLD(r);
		const char *s = (const char *)cv->ob + f->start;
		size_t n = f->len;
		double x = 0;
		if (LIKELY(n != 0 && n <= CSV_F_LEN && !(col->inferred && leading_zero(s, n)) &&
			   tarn_parse_double(s, n, &x))) {
			memcpy(out + (size_t)r * 8, &x, 8);
			continue;
		}
		union csv_val v;
		x = 0;
		memcpy(out + (size_t)r * 8, &x, 8);
		SLOW(memcpy(out + (size_t)r * 8, &v.f, 8));
	}
stop:
	a->length = base + limit;
}

/* Every other fixed-width kind: generic parse, then store by kind. */
static void conv_generic(struct conv *cv, int c, const struct csv_col *col, struct tarn_array *a,
			 uint32_t limit)
{
	int64_t base = a->length;
	ROWS_LOOP {
		const struct csv_field *f = FLD(r);
		union csv_val v;
		int64_t i = base + r;
		/* zero the slot first so nulls hold defined bytes */
		switch (col->kind) {
		case CSV_K_BOOL: tarn_bit_set(a->values, i, false); break;
		case CSV_K_INT:
		case CSV_K_UINT: memset(a->values + i * col->width, 0, col->width); break;
		case CSV_K_FLOAT32: memset(a->values + i * 4, 0, 4); break;
		case CSV_K_FLOAT64:
		case CSV_K_TIME:
		case CSV_K_TIMESTAMP: memset(a->values + i * 8, 0, 8); break;
		case CSV_K_DECIMAL: memset(a->values + i * 16, 0, 16); break;
		case CSV_K_DATE: memset(a->values + i * 4, 0, 4); break;
		default: break;
		}
		SLOW({
			switch (col->kind) {
			case CSV_K_BOOL: tarn_bit_set(a->values, i, v.b); break;
			case CSV_K_INT:
			case CSV_K_UINT: {
				uint64_t u = col->kind == CSV_K_INT ? (uint64_t)v.i : v.u;
				switch (col->width) {
				case 1: a->values[i] = (uint8_t)u; break;
				case 2: {
					uint16_t x = (uint16_t)u;
					memcpy(a->values + i * 2, &x, 2);
					break;
				}
				case 4: {
					uint32_t x = (uint32_t)u;
					memcpy(a->values + i * 4, &x, 4);
					break;
				}
				default: memcpy(a->values + i * 8, &u, 8); break;
				}
				break;
			}
			case CSV_K_FLOAT32: {
				float x = (float)v.f;
				memcpy(a->values + i * 4, &x, 4);
				break;
			}
			case CSV_K_FLOAT64: memcpy(a->values + i * 8, &v.f, 8); break;
			case CSV_K_DECIMAL: memcpy(a->values + i * 16, &v.dec, 16); break;
			case CSV_K_DATE: {
				int32_t x = (int32_t)v.i;
				memcpy(a->values + i * 4, &x, 4);
				break;
			}
			case CSV_K_TIME:
			case CSV_K_TIMESTAMP: memcpy(a->values + i * 8, &v.i, 8); break;
			default: break;
			}
		});
	}
stop:
	a->length = base + limit;
}

/* Copies s with each invalid UTF-8 sequence replaced by U+FFFD; dst needs
 * room for 3 * n bytes. */
static size_t utf8_replace(const uint8_t *s, size_t n, uint8_t *dst)
{
	size_t o = 0, i = 0;
	while (i < n) {
		size_t bad;
		if (tarn_utf8_valid(s + i, n - i, &bad)) {
			memcpy(dst + o, s + i, n - i);
			return o + n - i;
		}
		memcpy(dst + o, s + i, bad);
		o += bad;
		i += bad + 1;
		for (int k = 0; k < 3 && i < n && (s[i] & 0xc0) == 0x80; k++)
			i++;
		dst[o++] = 0xef;
		dst[o++] = 0xbf;
		dst[o++] = 0xbd;
	}
	return o;
}

static void conv_string(struct conv *cv, int c, const struct csv_col *col, struct tarn_array *a,
			uint32_t limit)
{
	int64_t base = a->length;
	const bool binary = col->kind == CSV_K_BINARY;
	const bool check = cv->hi && !binary;
	const bool replace = cv->pl->cfg->utf8_replace;
	const struct csv_nulls *nl = &cv->pl->cfg->nulls;
	const struct csv_dialect *d = &cv->pl->cfg->d;
	int64_t total = 0;
	for (uint32_t r = 0; r < limit; r++)
		total += FLD(r)->len & CSV_F_LEN;
	if (check && replace)
		total *= 3;
	/* First block of a batch: reserve for the whole batch at this block's
	 * average, so the buffer is not regrown (and copied) block by block. */
	if (base == 0 && limit > 0 && cv->job->rows_hint > (int64_t)limit)
		total = (int64_t)((double)total * (double)cv->job->rows_hint / limit * 1.1) + 64;
	tarn_rc rc = tarn_array_reserve_bytes(a, total);
	if (rc) {
		if (rc == TARN_ELIMIT)
			cv->too_big = true; /* the column outgrew one batch */
		else
			cv->nomem = true;
		limit = 0;
		goto stop;
	}
	int32_t *off = a->offsets + base;
	uint8_t *vals = a->values;
	int64_t vl = a->values_len;
	ROWS_LOOP {
		const struct csv_field *f = FLD(r);
		const uint8_t *s = cv->ob + f->start;
		size_t n = f->len & CSV_F_LEN;
		if (!(f->len & CSV_F_QUOTED) &&
		    (n == 0 || (!binary && UNLIKELY(csv_is_null_token(nl, s, n))))) {
			off[r + 1] = (int32_t)vl;
			if (!set_null(cv, a, base + r))
				goto stop;
			continue;
		}
		uint8_t *dst = vals + vl;
		if (UNLIKELY(f->len & CSV_F_ESCAPED))
			n = csv_unescape(s, n, d, dst);
		else
			csv_copy(dst, s, n);
		if (binary && parse_hexbin((const char *)dst, n)) {
			size_t o = 0;
			for (size_t i = 2; i < n; i += 2) {
				unsigned h = dst[i], l = dst[i + 1];
				h = h <= '9' ? h - '0' : (h | 0x20) - 'a' + 10;
				l = l <= '9' ? l - '0' : (l | 0x20) - 'a' + 10;
				dst[o++] = (uint8_t)(h << 4 | l);
			}
			n = o;
		}
		if (check) {
			size_t bad;
			if (UNLIKELY(!tarn_utf8_valid(dst, n, &bad))) {
				if (replace) {
					struct csv_scratch *sc = cv->job->s;
					if (!tmp_reserve(sc, n)) {
						cv->nomem = true;
						goto stop;
					}
					memcpy(sc->tmp, dst, n);
					n = utf8_replace(sc->tmp, n, dst);
				} else {
					off[r + 1] = (int32_t)vl;
					if (!set_null(cv, a, base + r))
						goto stop;
					if (!value_failed(cv, r, c, CSV_FAIL_UTF8)) {
						limit = r;
						goto stop;
					}
					continue;
				}
			}
		}
		vl += (int64_t)n;
		off[r + 1] = (int32_t)vl;
	}
stop:
	a->values_len = a->offsets[base + limit];
	a->length = base + limit;
}

static void conv_null(struct conv *cv, int c, const struct csv_col *col, struct tarn_array *a,
		      uint32_t limit)
{
	int64_t base = a->length;
	(void)col;
	ROWS_LOOP {
		const struct csv_field *f = FLD(r);
		size_t n;
		const char *s = field_text(cv, f, &n);
		if (cv->nomem)
			goto stop;
		if (!set_null(cv, a, base + r))
			goto stop;
		if (n == 0 ||
		    (!(f->len & CSV_F_QUOTED) &&
		     csv_is_null_token(&cv->pl->cfg->nulls, (const uint8_t *)s, n)))
			continue;
		if (!value_failed(cv, r, c, CSV_FAIL_NULL_ONLY)) {
			limit = r;
			goto stop;
		}
	}
stop:
	a->length = base + limit;
}

/* The JSON value parser of nested column c, made on first use (one per job:
 * parsers keep per-thread state). */
static struct json_value_parser *nested_parser(struct conv *cv, int c, const struct tarn_type *t)
{
	struct csv_scratch *sc = cv->job->s;
	if (!sc->json) {
		sc->json = tarn_calloc((size_t)sc->ncols, sizeof *sc->json);
		if (!sc->json)
			return NULL;
	}
	if (!sc->json[c]) {
		struct json_limits lim;
		json_limits_default(&lim);
		/* A cell is already bounded by max-field-size. */
		lim.max_value = cv->pl->cfg->max_field;
		if (json_value_parser_new(t, &lim, &sc->json[c], NULL) != TARN_OK)
			return NULL;
	}
	return sc->json[c];
}

/* utf8=replace for a nested cell: a copy with U+FFFD for bad bytes, so the
 * JSON parser sees valid text. NULL when out of memory. */
static const char *nested_fix_utf8(struct conv *cv, const char *s, size_t *n)
{
	struct csv_scratch *sc = cv->job->s;
	size_t need = *n * 3 + 1;
	if (need > sc->fix_cap) {
		uint8_t *p = tarn_realloc(sc->fix, need);
		if (!p)
			return NULL;
		sc->fix = p;
		sc->fix_cap = need;
	}
	*n = utf8_replace((const uint8_t *)s, *n, sc->fix);
	return (const char *)sc->fix;
}

/* List, struct and map cells: JSON text parsed straight into the column
 * (appends; the array grows its own children). A cell that is not JSON of
 * the column's type is a bad value; a JSON limit (depth, value size) always
 * stops the read, as it does in the JSON reader. */
static void conv_nested(struct conv *cv, int c, const struct csv_col *col, struct tarn_array *a,
			uint32_t limit)
{
	(void)col;
	const struct csv_nulls *nl = &cv->pl->cfg->nulls;
	const bool fix = cv->hi && cv->pl->cfg->utf8_replace;
	struct json_value_parser *vp = nested_parser(cv, c, a->type);
	if (!vp) {
		cv->nomem = true;
		return;
	}
	struct tarn_err e;
	ROWS_LOOP {
		const struct csv_field *f = FLD(r);
		size_t n;
		const char *s = field_text(cv, f, &n);
		if (cv->nomem)
			return;
		if (n == 0 ||
		    (!(f->len & CSV_F_QUOTED) && csv_is_null_token(nl, (const uint8_t *)s, n))) {
			if (tarn_array_append_null(a) != TARN_OK) {
				cv->nomem = true;
				return;
			}
			continue;
		}
		size_t bad;
		bool fixed = fix && !tarn_utf8_valid((const uint8_t *)s, n, &bad);
		if (fixed && !(s = nested_fix_utf8(cv, s, &n))) {
			cv->nomem = true;
			return;
		}
		size_t at = 0;
		tarn_err_clear(&e);
		tarn_rc rc = json_value_parse(vp, (const uint8_t *)s, n, a, &at, &e);
		if (LIKELY(rc == TARN_OK))
			continue;
		if (rc == TARN_ENOMEM) {
			cv->nomem = true;
			return;
		}
		if (rc == TARN_EDATA && cv->mark) {
			if (tarn_array_append_null(a) != TARN_OK) {
				cv->nomem = true;
				return;
			}
			value_failed(cv, r, c, CSV_FAIL_NESTED);
			continue;
		}
		/* on-bad-row=error, or a limit: the first failure in row-major
		 * order is reported; this column stops at row r. */
		if ((int64_t)r < cv->fail_row) {
			cv->fail_row = r;
			cv->fail_col = c;
			cv->fail_kind = CSV_FAIL_NESTED;
			cv->nested_rc = rc;
			cv->nested_at = at;
			cv->nested_fixed = fixed;
			size_t k = strlen(e.msg);
			if (k >= sizeof cv->nested_msg)
				k = sizeof cv->nested_msg - 1;
			memcpy(cv->nested_msg, e.msg, k);
			cv->nested_msg[k] = '\0';
		}
		if (rc != TARN_EDATA)
			cv->fatal = true;
		return;
	}
}

/* State of one array before a block, for rolling back (skip mode). */
struct snap {
	int64_t length, null_count, values_len;
};

static void rollback(struct tarn_array *a, const struct snap *s)
{
	int64_t end = a->length;
	if (tarn_type_is_nested(a->type->id))
		json_array_truncate(a, s->length); /* children and the null count too */
	if (a->validity)
		for (int64_t i = s->length; i < end; i++)
			tarn_bit_set(a->validity, i, true);
	a->length = s->length;
	a->null_count = s->null_count;
	a->values_len = s->values_len;
}

static void convert_columns(struct conv *cv, struct tarn_batch *b)
{
	uint32_t limit = cv->nrows;
	const int *sel = cv->pl->sel;
	for (int i = 0; i < cv->pl->n_out && !cv->nomem && !cv->too_big && !cv->fatal; i++) {
		uint32_t c = sel ? (uint32_t)sel[i] : (uint32_t)i; /* the file column */
		const struct csv_col *col = &cv->pl->cols[c];
		struct tarn_array *a = b->cols[i];
		if (cv->fail_row < (int64_t)limit)
			limit = (uint32_t)cv->fail_row;
		if (limit == 0 && !cv->mark)
			break;
		if (tarn_array_reserve(a, cv->nrows) != TARN_OK) {
			cv->nomem = true;
			break;
		}
		switch (col->kind) {
		case CSV_K_STRING:
		case CSV_K_BINARY: conv_string(cv, (int)c, col, a, limit); break;
		case CSV_K_INT:
			if (col->width == 8)
				conv_int64(cv, (int)c, col, a, limit);
			else
				conv_generic(cv, (int)c, col, a, limit);
			break;
		case CSV_K_DECIMAL:
			if (col->precision <= 18)
				conv_dec18(cv, (int)c, col, a, limit);
			else
				conv_generic(cv, (int)c, col, a, limit);
			break;
		case CSV_K_DATE: conv_date(cv, (int)c, col, a, limit); break;
		case CSV_K_FLOAT64: conv_float64(cv, (int)c, col, a, limit); break;
		case CSV_K_NULL: conv_null(cv, (int)c, col, a, limit); break;
		case CSV_K_NESTED: conv_nested(cv, (int)c, col, a, limit); break;
		default: conv_generic(cv, (int)c, col, a, limit); break;
		}
	}
}

/* The offset in a field's raw bytes of byte k of its unescaped text (the
 * inverse of csv_unescape). */
static size_t raw_offset(const uint8_t *s, size_t n, const struct csv_dialect *d, size_t k)
{
	size_t i = 0;
	for (size_t o = 0; i < n && o < k; i++, o++) {
		if (d->escape == CSV_ESC_BACKSLASH) {
			if (s[i] == '\\' && i + 1 < n)
				i++;
		} else if (s[i] == d->quote && i + 1 < n && s[i + 1] == d->quote) {
			i++;
		}
	}
	return i;
}

/* Copies a value for an error message. */
static void fail_value(struct csv_fail *fl, const uint8_t *s, size_t n)
{
	size_t k = n < sizeof fl->value ? n : sizeof fl->value;
	memcpy(fl->value, s, k);
	fl->value_len = n;
}

/* Converts the rows of one tokenizer block; false on failure (job->fail). */
static bool convert_block(struct csv_job *job, struct csv_tok *t)
{
	const struct csv_plan *pl = job->plan;
	struct tarn_batch *b = job->batch;
	struct conv cv = { 0 };
	cv.job = job;
	cv.pl = pl;
	cv.ob = t->base + t->origin;
	cv.F = job->s->f;
	cv.ncols = (uint32_t)pl->ncols;
	cv.nrows = t->nrows;
	cv.hi = t->hi != 0;
	cv.mark = pl->cfg->bad != CSV_BAD_ERROR;
	cv.bad = job->s->dropped;
	cv.fail_row = INT64_MAX;
	struct snap snaps_small[16], *snaps = snaps_small;
	bool skip = pl->cfg->bad == CSV_BAD_SKIP;
	if (skip && pl->n_out > 16) {
		snaps = tarn_malloc(sizeof *snaps * (size_t)pl->n_out);
		if (!snaps) {
			job->fail.kind = CSV_FAIL_NOMEM;
			return false;
		}
	}
	if (cv.mark)
		memset(cv.bad, 0, cv.nrows);
	if (skip)
		for (int c = 0; c < pl->n_out; c++)
			snaps[c] = (struct snap){ b->cols[c]->length, b->cols[c]->null_count,
						  b->cols[c]->values_len };
	convert_columns(&cv, b);
	if (!cv.nomem && !cv.too_big && !cv.fatal && skip && cv.n_bad) {
		/* Drop the marked rows from the index and convert again. */
		for (int c = 0; c < pl->n_out; c++)
			rollback(b->cols[c], &snaps[c]);
		struct csv_field *F = job->s->f;
		uint32_t w = 0;
		for (uint32_t r = 0; r < cv.nrows; r++) {
			if (cv.bad[r])
				continue;
			if (w != r)
				memmove(F + (size_t)w * cv.ncols, F + (size_t)r * cv.ncols,
					sizeof *F * cv.ncols);
			w++;
		}
		job->bad_rows += cv.n_bad;
		cv.nrows = w;
		cv.n_bad = 0;
		cv.mark = false;
		convert_columns(&cv, b);
	} else if (cv.mark) {
		job->bad_rows += cv.n_bad;
	}
	if (snaps != snaps_small)
		tarn_free(snaps);
	if (cv.nomem) {
		job->fail.kind = CSV_FAIL_NOMEM;
		return false;
	}
	if (cv.too_big) {
		memset(&job->fail, 0, sizeof job->fail);
		job->fail.kind = CSV_FAIL_ROW_SIZE;
		job->fail.col = -1;
		job->fail.pos = job->fail.row_pos = job->file_off + (int64_t)t->origin;
		return false;
	}
	if (cv.fail_row != INT64_MAX) {
		struct csv_fail *fl = &job->fail;
		const struct csv_field *f = &cv.F[(size_t)cv.fail_row * cv.ncols + (size_t)cv.fail_col];
		const struct csv_field *f0 = &cv.F[(size_t)cv.fail_row * cv.ncols];
		int64_t origin = job->file_off + (int64_t)t->origin;
		memset(fl, 0, sizeof *fl);
		fl->kind = cv.fail_kind;
		fl->col = cv.fail_col;
		fl->pos = origin + f->start;
		fl->row_pos = origin + f0->start - ((f0->len & CSV_F_QUOTED) ? 1 : 0);
		size_t n = f->len & CSV_F_LEN;
		const uint8_t *s = cv.ob + f->start;
		if (f->len & CSV_F_ESCAPED) {
			uint8_t tmp[sizeof fl->value];
			size_t k = n < sizeof tmp ? n : sizeof tmp;
			/* unescaping a prefix is enough for the message */
			size_t m = csv_unescape(s, k, &pl->cfg->d, tmp);
			fail_value(fl, tmp, m);
			fl->value_len = m + (n - k);
		} else {
			fail_value(fl, s, n);
		}
		if (fl->kind == CSV_FAIL_UTF8) {
			size_t bad = 0;
			tarn_utf8_valid(s, n, &bad);
			fl->pos += (int64_t)bad;
			fl->byte = s[bad < n ? bad : 0];
		} else if (fl->kind == CSV_FAIL_NESTED) {
			fl->rc = cv.nested_rc;
			memcpy(fl->detail, cv.nested_msg, sizeof fl->detail);
			/* Point at the JSON error inside the cell (exact unless a
			 * utf8=replace copy changed the offsets). */
			if (!cv.nested_fixed)
				fl->pos += (int64_t)raw_offset(s, n, &pl->cfg->d, cv.nested_at);
		}
		return false;
	}
	return true;
}

/* ---- the parse loop ---------------------------------------------------------------- */

/* String payload one batch may reach before it is handed out early. */
#define BATCH_BYTES_SOFT ((int64_t)1 << 30)

/* The largest string payload in a column (nested columns keep theirs in
 * their children). */
static int64_t payload_bytes(const struct tarn_array *a)
{
	int64_t m = a->values_len;
	for (int i = 0; i < a->n_children; i++) {
		int64_t k = payload_bytes(a->children[i]);
		if (k > m)
			m = k;
	}
	return m;
}

enum csv_tok_status csv_parse_rows(struct csv_job *job)
{
	const struct csv_plan *pl = job->plan;
	const struct csv_config *cfg = pl->cfg;
	struct csv_tok t;
	memset(&t, 0, sizeof t);
	t.base = job->base;
	t.end = job->end;
	t.final = job->final;
	t.stop = job->stop;
	t.ncols = pl->ncols;
	t.d = cfg->d;
	t.bad = cfg->bad;
	t.max_field = (size_t)cfg->max_field;
	t.max_row = (size_t)cfg->max_row;
	t.f = job->s->f;
	t.pos = job->pos;
	struct tarn_batch *b = job->batch;
	for (;;) {
		int64_t have = b->cols[0]->length;
		if (have >= job->max_rows)
			return CSV_TOK_BLOCK;
		t.max_rows = job->max_rows - have;
		t.hi = 0;
		t.bad_rows = 0;
		memset(&t.fail, 0, sizeof t.fail);
		enum csv_tok_status st = csv_tokenize(&t, job->simd);
		job->bad_rows += t.bad_rows;
		if (t.nrows && !convert_block(job, &t))
			return CSV_TOK_FAIL;
		job->pos = t.pos;
		if (st == CSV_TOK_FAIL) {
			job->fail = t.fail;
			job->fail.pos += job->file_off;
			job->fail.row_pos += job->file_off;
			if (job->fail.kind == CSV_FAIL_AFTER_QUOTE || job->fail.kind == CSV_FAIL_FIELD_SIZE)
				; /* col already set by the tokenizer */
			else if (job->fail.kind != CSV_FAIL_UNTERMINATED)
				job->fail.col = -1;
			return st;
		}
		if (st != CSV_TOK_BLOCK)
			return st;
		for (int c = 0; c < pl->n_out; c++)
			if (payload_bytes(b->cols[c]) > BATCH_BYTES_SOFT)
				return CSV_TOK_BLOCK;
	}
}

tarn_rc csv_batch_finish(struct tarn_batch *b, struct tarn_err *err)
{
	return tarn_batch_seal(b, err);
}

/* ---- error messages ------------------------------------------------------------------ */

tarn_rc csv_fail_rc(const struct csv_fail *f)
{
	switch (f->kind) {
	case CSV_FAIL_NOMEM: return TARN_ENOMEM;
	case CSV_FAIL_FIELD_SIZE:
	case CSV_FAIL_ROW_SIZE: return TARN_ELIMIT;
	case CSV_FAIL_NESTED: return f->rc ? f->rc : TARN_EDATA;
	default: return TARN_EDATA;
	}
}

/* Printable, quoted form of a value for messages. */
static void show_value(const struct csv_fail *f, char *out, size_t cap)
{
	size_t o = 0;
	size_t n = f->value_len < sizeof f->value ? f->value_len : sizeof f->value;
	size_t shown = n > 60 ? 60 : n;
	out[o++] = '\'';
	for (size_t i = 0; i < shown && o + 6 < cap; i++) {
		uint8_t c = (uint8_t)f->value[i];
		if (c >= 0x20 && c < 0x7f && c != '\'')
			out[o++] = (char)c;
		else if (c == '\'')
			o += (size_t)snprintf(out + o, cap - o, "\\'");
		else if (c == '\n')
			o += (size_t)snprintf(out + o, cap - o, "\\n");
		else if (c >= 0x80)
			out[o++] = (char)c; /* UTF-8 text is shown as is */
		else
			o += (size_t)snprintf(out + o, cap - o, "\\x%02x", c);
	}
	if (f->value_len > shown && o + 4 < cap) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	if (o + 1 < cap)
		out[o++] = '\'';
	out[o < cap ? o : cap - 1] = '\0';
}

tarn_rc csv_fail_format(const struct csv_fail *f, const struct csv_plan *plan, const uint8_t *p,
			int64_t base_off, int64_t line_at_base, int64_t line_prefix,
			struct tarn_err *err)
{
	tarn_rc rc = csv_fail_rc(f);
	if (f->kind == CSV_FAIL_NOMEM)
		return tarn_err_nomem(err, "CSV parser");
	/* Line and column (1-based, bytes) of f->pos. */
	size_t pos = (size_t)(f->pos - base_off);
	int64_t line = line_at_base + csv_count_lines(p, 0, pos, NULL);
	size_t ls = pos;
	while (ls > 0 && p[ls - 1] != '\n' && p[ls - 1] != '\r')
		ls--;
	int64_t colno = (int64_t)(pos - ls) + 1 + (ls == 0 ? line_prefix : 0);
	size_t rpos = (size_t)(f->row_pos - base_off);
	int64_t row_line = line_at_base + csv_count_lines(p, 0, rpos, NULL);
	const char *name = plan->name;
	const char *cname = (f->col >= 0 && f->col < plan->ncols)
				    ? plan->schema->fields[f->col].name
				    : NULL;
	char val[200];
	show_value(f, val, sizeof val);
	char tbuf[96];
	if (f->col >= 0 && f->col < plan->ncols)
		tarn_schema_field_type_text(plan->schema, f->col, tbuf, sizeof tbuf);
	else
		tbuf[0] = '\0';
	const struct csv_col *col = (f->col >= 0 && f->col < plan->ncols) ? &plan->cols[f->col] : NULL;
	switch (f->kind) {
	case CSV_FAIL_TYPE:
	case CSV_FAIL_LEADING_ZERO:
	case CSV_FAIL_NULL_ONLY:
		if (col && col->inferred)
			return tarn_err_set(
				err, rc,
				"%s:%lld:%lld: value %s in column '%s' does not fit its inferred type "
				"%s%s (inferred from the first %lld rows); use --types %s=string or "
				"--infer-rows 0 (infer from every row)",
				name, (long long)line, (long long)colno, val, cname, tbuf,
				f->kind == CSV_FAIL_LEADING_ZERO ? " (it has leading zeros)" : "",
				(long long)plan->infer_rows, cname);
		return tarn_err_set(err, rc,
				    "%s:%lld:%lld: value %s in column '%s' is not a valid %s "
				    "(the type set with --types)",
				    name, (long long)line, (long long)colno, val, cname, tbuf);
	case CSV_FAIL_NESTED:
		return tarn_err_set(err, rc,
				    "%s:%lld:%lld: value %s in column '%s' is not a valid %s (the type "
				    "set with --types; nested values are JSON text): %s",
				    name, (long long)line, (long long)colno, val, cname, tbuf,
				    f->detail);
	case CSV_FAIL_RAGGED:
		return tarn_err_set(err, rc,
				    "%s:%lld: expected %d fields, found %d (use --on-bad-row skip or "
				    "null-fill to read past such rows)",
				    name, (long long)row_line, plan->ncols, f->nfields);
	case CSV_FAIL_UNTERMINATED:
		return tarn_err_set(err, rc,
				    "%s: unterminated quoted field starting at line %lld, column %lld",
				    name, (long long)line, (long long)colno);
	case CSV_FAIL_AFTER_QUOTE:
		return tarn_err_set(err, rc,
				    "%s:%lld:%lld: unexpected character '%c' after the closing quote "
				    "of a quoted field (a quote inside a quoted field must be doubled)",
				    name, (long long)line, (long long)colno,
				    f->byte >= 0x20 && f->byte < 0x7f ? f->byte : '?');
	case CSV_FAIL_UTF8:
		return tarn_err_set(err, rc,
				    "%s:%lld:%lld: invalid UTF-8 (byte 0x%02x) in column '%s'; use "
				    "utf8=replace to substitute U+FFFD",
				    name, (long long)line, (long long)colno, f->byte,
				    cname ? cname : "?");
	case CSV_FAIL_FIELD_SIZE:
		return tarn_err_set(err, rc,
				    "%s:%lld:%lld: field is longer than max-field-size (%lld bytes)",
				    name, (long long)line, (long long)colno,
				    (long long)plan->cfg->max_field);
	case CSV_FAIL_ROW_SIZE:
		return tarn_err_set(err, rc,
				    "%s:%lld: row is longer than max-row-size (%lld bytes) or too "
				    "large for one batch",
				    name, (long long)row_line, (long long)plan->cfg->max_row);
	default:
		return tarn_err_set(err, TARN_EINTERNAL, "%s:%lld: CSV parser failure", name,
				    (long long)line);
	}
}
