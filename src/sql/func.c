/*
 * func.c — the scalar function registry: one const table of entries (name,
 * argument count, bind, kernel), looked up by name (case-insensitive). An
 * entry's bind checks and coerces its argument types, may fold a constant
 * option (a date part, rounding digits) into the node, and sets the result
 * type; its kernel computes a whole selection of rows into a scratch array.
 * Adding a function is adding one entry (and its two functions) here.
 *
 * Semantics follow DuckDB where they differ from Postgres (listed per
 * function in the table's help text and in docs/internals.md). Strings are
 * UTF-8: lengths and substring positions count characters; lower/upper map
 * ASCII, Latin-1, Greek and Cyrillic letters and leave other characters.
 * All functions are strict (NULL in, NULL out) except concat, which skips
 * NULL arguments.
 *
 * The table is const and the kernels pure: thread-safe.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base/mem.h"
#include "columnar/text.h"
#include "sql/expr_int.h"
#include "sql/expr_nested.h"

#define ROW(k) (sel ? (int64_t)sel[k] : (int64_t)(k))

tarn_rc ex_fn_bind_fail(struct ex_expr *e, int arg, const char *want, struct tarn_err *err)
{
	struct tarn_buf t;
	tarn_buf_init(&t);
	tarn_rc trc = tarn_type_to_text(&e->args[arg]->type, &t);
	if (!trc)
		trc = tarn_buf_cstr(&t);
	tarn_rc rc = tarn_err_set(err, TARN_EUSAGE, "%s: argument %d is %s, expected %s",
				  e->fn->name, arg + 1, trc ? "of another type" : t.data, want);
	tarn_buf_free(&t);
	return rc;
}

static bool numeric(enum tarn_type_id id)
{
	return tarn_type_is_integer(id) || id == TARN_T_FLOAT32 || id == TARN_T_FLOAT64 ||
	       id == TARN_T_DECIMAL128;
}

tarn_rc ex_fn_coerce(struct ex_expr *e, int i, enum tarn_type_id id, struct tarn_err *err)
{
	struct tarn_type t;
	tarn_type_init(&t, id);
	return ex_expr_coerce(&e->args[i], &t, err);
}

/* Numeric argument i; a NULL constant becomes float64. */
tarn_rc ex_fn_want_numeric(struct ex_expr *e, int i, struct tarn_err *err)
{
	if (e->args[i]->type.id == TARN_T_NULL)
		return ex_fn_coerce(e, i, TARN_T_FLOAT64, err);
	if (e->args[i]->type.id == TARN_T_STRING && e->args[i]->kind == EX_E_CONST)
		return ex_fn_coerce(e, i, TARN_T_FLOAT64, err);
	return numeric(e->args[i]->type.id) ? TARN_OK : ex_fn_bind_fail(e, i, "a number", err);
}

tarn_rc ex_fn_want_string(struct ex_expr *e, int i, struct tarn_err *err)
{
	enum tarn_type_id id = e->args[i]->type.id;
	if (id == TARN_T_STRING)
		return TARN_OK;
	if (id == TARN_T_NULL)
		return ex_fn_coerce(e, i, TARN_T_STRING, err);
	return ex_fn_bind_fail(e, i, "a string", err);
}

tarn_rc ex_fn_want_int(struct ex_expr *e, int i, struct tarn_err *err)
{
	enum tarn_type_id id = e->args[i]->type.id;
	if (!tarn_type_is_integer(id) && id != TARN_T_NULL &&
	    !(id == TARN_T_DECIMAL128 && e->args[i]->type.scale == 0))
		return ex_fn_bind_fail(e, i, "an integer", err);
	return ex_fn_coerce(e, i, TARN_T_INT64, err);
}

/* Constant integer argument i (for options that decide the result type). */
static tarn_rc const_int(struct ex_expr *e, int i, int lo, int hi, int *out, struct tarn_err *err)
{
	TRY(ex_fn_want_int(e, i, err));
	const struct ex_expr *a = e->args[i];
	if (a->kind != EX_E_CONST || ex_is_null(a->value, 0))
		return tarn_err_set(err, TARN_EUSAGE, "%s: argument %d must be a constant integer",
				    e->fn->name, i + 1);
	int64_t v = ((const int64_t *)a->value->values)[0];
	if (v < lo || v > hi)
		return tarn_err_set(err, TARN_EUSAGE, "%s: argument %d must be in %d..%d",
				    e->fn->name, i + 1, lo, hi);
	*out = (int)v;
	return TARN_OK;
}

/* ---- numeric --------------------------------------------------------------------------- */

static tarn_rc bind_same_numeric(struct ex_expr *e, struct tarn_err *err)
{
	TRY(ex_fn_want_numeric(e, 0, err));
	return tarn_type_copy(&e->type, &e->args[0]->type);
}

static tarn_rc eval_abs(const struct ex_expr *e, const struct ex_fargs *a, const uint32_t *sel,
			int64_t n, struct tarn_array *r, struct tarn_err *err)
{
	const struct ex_vec *x = &a->v[0];
	TRY(ex_validity_and(r, x, 1, r->length));
	bool c = x->is_const;
#define ABS_INT(T, MIN)                                                                       \
	{                                                                                     \
		const T *s = (const T *)x->a->values;                                         \
		T *z = (T *)r->values;                                                        \
		for (int64_t k = 0; k < n; k++) {                                             \
			int64_t i = ROW(k);                                                   \
			T v = s[c ? 0 : i];                                                   \
			if (v == MIN && !vec_null(x, i))                                      \
				return tarn_err_set(err, TARN_EDATA,                          \
						    "abs: integer overflow for %lld",         \
						    (long long)v);                            \
			z[i] = (T)(v < 0 && v != MIN ? -v : v);                               \
		}                                                                             \
		return TARN_OK;                                                               \
	}
#define ABS_PLAIN(T, F)                                                                       \
	{                                                                                     \
		const T *s = (const T *)x->a->values;                                         \
		T *z = (T *)r->values;                                                        \
		for (int64_t k = 0; k < n; k++) {                                             \
			int64_t i = ROW(k);                                                   \
			z[i] = F(s[c ? 0 : i]);                                               \
		}                                                                             \
		return TARN_OK;                                                               \
	}
#define ID(v) (v)
#define DABS(v) ((v) < 0 ? -(v) : (v))
	switch (e->type.id) {
	case TARN_T_INT8: ABS_INT(int8_t, INT8_MIN)
	case TARN_T_INT16: ABS_INT(int16_t, INT16_MIN)
	case TARN_T_INT32: ABS_INT(int32_t, INT32_MIN)
	case TARN_T_INT64: ABS_INT(int64_t, INT64_MIN)
	case TARN_T_UINT8: ABS_PLAIN(uint8_t, ID)
	case TARN_T_UINT16: ABS_PLAIN(uint16_t, ID)
	case TARN_T_UINT32: ABS_PLAIN(uint32_t, ID)
	case TARN_T_UINT64: ABS_PLAIN(uint64_t, ID)
	case TARN_T_FLOAT32: ABS_PLAIN(float, fabsf)
	case TARN_T_FLOAT64: ABS_PLAIN(double, fabs)
	case TARN_T_DECIMAL128: ABS_PLAIN(tarn_i128, DABS)
	default: return tarn_err_set(err, TARN_EINTERNAL, "abs of %s", tarn_type_id_name(e->type.id));
	}
#undef ABS_INT
#undef ABS_PLAIN
}

/* round(x [, d]): d constant. Decimals keep their precision and get scale
 * min(d, s); floats round half away from zero at d digits; integers with
 * d < 0 round to 10^-d. */
static tarn_rc bind_round(struct ex_expr *e, struct tarn_err *err)
{
	TRY(ex_fn_want_numeric(e, 0, err));
	int d = 0;
	if (e->n_args > 1)
		TRY(const_int(e, 1, -38, 38, &d, err));
	e->fn_arg = d;
	const struct tarn_type *t = &e->args[0]->type;
	if (t->id == TARN_T_DECIMAL128) {
		int s = d < 0 ? 0 : d < t->scale ? d : t->scale;
		tarn_type_init_decimal(&e->type, t->precision, s);
		return TARN_OK;
	}
	return tarn_type_copy(&e->type, t);
}

static tarn_i128 dec_round_at(tarn_i128 v, int k)
{
	if (k <= 0)
		return v;
	if (k > 38)
		return 0;
	tarn_i128 p = ex_pow10(k), q = v / p, rem = v % p;
	if (rem < 0)
		rem = -rem;
	if (rem * 2 >= p)
		q += v < 0 ? -1 : 1;
	return q;
}

static tarn_rc eval_round(const struct ex_expr *e, const struct ex_fargs *a, const uint32_t *sel,
			  int64_t n, struct tarn_array *r, struct tarn_err *err)
{
	const struct ex_vec *x = &a->v[0];
	TRY(ex_validity_and(r, x, 1, r->length));
	bool c = x->is_const;
	int d = e->fn_arg;
	switch (e->type.id) {
	case TARN_T_FLOAT32:
	case TARN_T_FLOAT64: {
		double m = pow(10.0, d);
		for (int64_t k = 0; k < n; k++) {
			int64_t i = ROW(k), ia = c ? 0 : i;
			double v = e->type.id == TARN_T_FLOAT64 ? ((const double *)x->a->values)[ia]
								  : ((const float *)x->a->values)[ia];
			double res = d == 0 ? round(v) : isfinite(v * m) ? round(v * m) / m : v;
			if (e->type.id == TARN_T_FLOAT64)
				((double *)r->values)[i] = res;
			else
				((float *)r->values)[i] = (float)res;
		}
		return TARN_OK;
	}
	case TARN_T_DECIMAL128: {
		int s = x->a->type->scale, target = e->type.scale;
		const tarn_i128 *v = (const tarn_i128 *)x->a->values;
		tarn_i128 *z = (tarn_i128 *)r->values;
		for (int64_t k = 0; k < n; k++) {
			int64_t i = ROW(k);
			tarn_i128 q = dec_round_at(v[c ? 0 : i], s - target);
			if (d < 0) /* round further left of the point, keep scale 0 */
				q = dec_round_at(q, -d) * ex_pow10(-d);
			if ((q >= ex_pow10(e->type.precision) || q <= -ex_pow10(e->type.precision)) &&
			    !vec_null(x, i))
				return tarn_err_set(err, TARN_EDATA, "round: decimal overflow");
			z[i] = q;
		}
		return TARN_OK;
	}
	default: {
		/* integers: identity unless d < 0 */
		struct ex_vec in = *x;
		if (d >= 0)
			return ex_kern_cast(&e->type, false, &in, sel, n, r, err);
		struct tarn_type dt;
		tarn_type_init_decimal(&dt, 38, 0);
		for (int64_t k = 0; k < n; k++) {
			int64_t i = ROW(k), ia = c ? 0 : i;
			if (vec_null(x, i))
				continue;
			tarn_i128 v = tarn_type_is_signed(x->a->type->id)
					      ? (tarn_i128)tarn_array_get_int(x->a, ia)
					      : (tarn_i128)tarn_array_get_uint(x->a, ia);
			v = dec_round_at(v, -d) * ex_pow10(-d);
			int w = tarn_type_width(e->type.id);
			bool sg = tarn_type_is_signed(e->type.id);
			tarn_i128 hi = sg ? ((tarn_i128)1 << (w * 8 - 1)) - 1
					  : ((tarn_i128)1 << (w * 8)) - 1;
			tarn_i128 lo = sg ? -hi - 1 : 0;
			if (v > hi || v < lo)
				return tarn_err_set(err, TARN_EDATA, "round: integer overflow");
			switch (w) {
			case 1: r->values[i] = (uint8_t)(int8_t)v; break;
			case 2: ((int16_t *)r->values)[i] = (int16_t)v; break;
			case 4: ((int32_t *)r->values)[i] = (int32_t)v; break;
			default: ((int64_t *)r->values)[i] = (int64_t)v; break;
			}
		}
		return TARN_OK;
	}
	}
}

static tarn_rc bind_floor_ceil(struct ex_expr *e, struct tarn_err *err)
{
	TRY(ex_fn_want_numeric(e, 0, err));
	const struct tarn_type *t = &e->args[0]->type;
	if (t->id == TARN_T_DECIMAL128) {
		tarn_type_init_decimal(&e->type, t->precision, 0);
		return TARN_OK;
	}
	return tarn_type_copy(&e->type, t);
}

static tarn_rc floor_ceil(bool up, const struct ex_expr *e, const struct ex_fargs *a,
			  const uint32_t *sel, int64_t n, struct tarn_array *r,
			  struct tarn_err *err)
{
	const struct ex_vec *x = &a->v[0];
	TRY(ex_validity_and(r, x, 1, r->length));
	bool c = x->is_const;
	switch (e->type.id) {
	case TARN_T_FLOAT64: {
		const double *v = (const double *)x->a->values;
		double *z = (double *)r->values;
		for (int64_t k = 0; k < n; k++) {
			int64_t i = ROW(k);
			z[i] = up ? ceil(v[c ? 0 : i]) : floor(v[c ? 0 : i]);
		}
		return TARN_OK;
	}
	case TARN_T_FLOAT32: {
		const float *v = (const float *)x->a->values;
		float *z = (float *)r->values;
		for (int64_t k = 0; k < n; k++) {
			int64_t i = ROW(k);
			z[i] = up ? ceilf(v[c ? 0 : i]) : floorf(v[c ? 0 : i]);
		}
		return TARN_OK;
	}
	case TARN_T_DECIMAL128: {
		tarn_i128 p = ex_pow10(x->a->type->scale);
		const tarn_i128 *v = (const tarn_i128 *)x->a->values;
		tarn_i128 *z = (tarn_i128 *)r->values;
		for (int64_t k = 0; k < n; k++) {
			int64_t i = ROW(k);
			tarn_i128 s = v[c ? 0 : i], q = s / p, rem = s % p;
			if (rem != 0 && up && s > 0)
				q++;
			if (rem != 0 && !up && s < 0)
				q--;
			z[i] = q;
		}
		return TARN_OK;
	}
	default: {
		struct ex_vec in = *x;
		return ex_kern_cast(&e->type, false, &in, sel, n, r, err);
	}
	}
}

static tarn_rc eval_floor(const struct ex_expr *e, const struct ex_fargs *a, const uint32_t *sel,
			  int64_t n, struct tarn_array *r, struct tarn_err *err)
{
	return floor_ceil(false, e, a, sel, n, r, err);
}

static tarn_rc eval_ceil(const struct ex_expr *e, const struct ex_fargs *a, const uint32_t *sel,
			 int64_t n, struct tarn_array *r, struct tarn_err *err)
{
	return floor_ceil(true, e, a, sel, n, r, err);
}

/* ---- strings ------------------------------------------------------------------------------ */


static inline bool is_cont(uint8_t c)
{
	return (c & 0xc0) == 0x80;
}

static int64_t char_count(const uint8_t *p, size_t n)
{
	int64_t c = 0;
	for (size_t i = 0; i < n; i++)
		c += !is_cont(p[i]);
	return c;
}

/* Byte offset of character ch (0-based) in p[0..n), clamped to n. */
static size_t char_offset(const uint8_t *p, size_t n, int64_t ch)
{
	size_t i = 0;
	for (; i < n && ch > 0; ch--) {
		i++;
		while (i < n && is_cont(p[i]))
			i++;
	}
	return i;
}

static tarn_rc bind_length(struct ex_expr *e, struct tarn_err *err)
{
	TRY(ex_fn_want_string(e, 0, err));
	tarn_type_init(&e->type, TARN_T_INT64);
	return TARN_OK;
}

static tarn_rc length_kernel(bool bytes, const struct ex_fargs *a, const uint32_t *sel,
			     int64_t n, struct tarn_array *r)
{
	const struct ex_vec *x = &a->v[0];
	TRY(ex_validity_and(r, x, 1, r->length));
	int64_t *z = (int64_t *)r->values;
	for (int64_t k = 0; k < n; k++) {
		int64_t i = ROW(k);
		size_t len;
		const uint8_t *p = ex_str_at(x, i, &len);
		z[i] = bytes ? (int64_t)len : char_count(p, len);
	}
	return TARN_OK;
}

static tarn_rc eval_length(const struct ex_expr *e, const struct ex_fargs *a, const uint32_t *sel,
			   int64_t n, struct tarn_array *r, struct tarn_err *err)
{
	return length_kernel(false, a, sel, n, r);
}

static tarn_rc eval_octet_length(const struct ex_expr *e, const struct ex_fargs *a,
				 const uint32_t *sel, int64_t n, struct tarn_array *r,
				 struct tarn_err *err)
{
	return length_kernel(true, a, sel, n, r);
}

static tarn_rc bind_strings(struct ex_expr *e, enum tarn_type_id result, struct tarn_err *err)
{
	for (int i = 0; i < e->n_args; i++)
		TRY(ex_fn_want_string(e, i, err));
	tarn_type_init(&e->type, result);
	return TARN_OK;
}

static tarn_rc bind_str_to_str(struct ex_expr *e, struct tarn_err *err)
{
	return bind_strings(e, TARN_T_STRING, err);
}

static tarn_rc bind_str_to_bool(struct ex_expr *e, struct tarn_err *err)
{
	return bind_strings(e, TARN_T_BOOL, err);
}

static tarn_rc bind_str_to_int(struct ex_expr *e, struct tarn_err *err)
{
	return bind_strings(e, TARN_T_INT64, err);
}

tarn_rc ex_fn_str_fail(tarn_rc rc, const char *fn, struct tarn_err *err)
{
	if (rc == TARN_ELIMIT)
		return tarn_err_set(err, rc, "%s: result over 2 GiB in one batch", fn);
	return rc == TARN_ENOMEM ? tarn_err_nomem(err, fn) : rc;
}

/* Case mapping of one code point (ASCII, Latin-1, Greek, Cyrillic). */
static uint32_t map_case(uint32_t c, bool up)
{
	if (up) {
		if ((c >= 'a' && c <= 'z') || (c >= 0xe0 && c <= 0xfe && c != 0xf7) ||
		    (c >= 0x3b1 && c <= 0x3c9 && c != 0x3c2) || (c >= 0x430 && c <= 0x44f))
			return c - 32;
		if (c >= 0x450 && c <= 0x45f)
			return c - 80;
		return c;
	}
	if ((c >= 'A' && c <= 'Z') || (c >= 0xc0 && c <= 0xde && c != 0xd7) ||
	    (c >= 0x391 && c <= 0x3a9 && c != 0x3a2) || (c >= 0x410 && c <= 0x42f))
		return c + 32;
	if (c >= 0x400 && c <= 0x40f)
		return c + 80;
	return c;
}

static tarn_rc case_kernel(bool up, const struct ex_fargs *a, const uint32_t *sel, int64_t n,
			   struct tarn_array *r, struct tarn_err *err)
{
	const struct ex_vec *x = &a->v[0];
	TRY(ex_validity_and(r, x, 1, r->length));
	struct ex_strout o;
	ex_strout_init(&o, r);
	for (int64_t k = 0; k < n; k++) {
		int64_t i = ROW(k);
		ex_strout_row(&o, i);
		if (vec_null(x, i))
			continue;
		size_t len;
		const uint8_t *p = ex_str_at(x, i, &len);
		int32_t start = o.off;
		tarn_rc rc = ex_strout_put(&o, p, len);
		if (rc)
			return ex_fn_str_fail(rc, up ? "upper" : "lower", err);
		uint8_t *d = r->values + start;
		for (size_t j = 0; j < len; j++) {
			uint8_t c = d[j];
			if (c < 0x80) {
				if (up ? (c >= 'a' && c <= 'z') : (c >= 'A' && c <= 'Z'))
					d[j] = (uint8_t)(c ^ 0x20);
			} else if ((c & 0xe0) == 0xc0 && j + 1 < len) {
				/* two-byte characters keep their length under these maps */
				uint32_t cp = ((uint32_t)(c & 0x1f) << 6) | (d[j + 1] & 0x3f);
				uint32_t m = map_case(cp, up);
				if (m != cp && m >= 0x80 && m < 0x800) {
					d[j] = (uint8_t)(0xc0 | (m >> 6));
					d[j + 1] = (uint8_t)(0x80 | (m & 0x3f));
				}
				j++;
			}
		}
	}
	ex_strout_done(&o);
	return TARN_OK;
}

static tarn_rc eval_lower(const struct ex_expr *e, const struct ex_fargs *a, const uint32_t *sel,
			  int64_t n, struct tarn_array *r, struct tarn_err *err)
{
	return case_kernel(false, a, sel, n, r, err);
}

static tarn_rc eval_upper(const struct ex_expr *e, const struct ex_fargs *a, const uint32_t *sel,
			  int64_t n, struct tarn_array *r, struct tarn_err *err)
{
	return case_kernel(true, a, sel, n, r, err);
}

static tarn_rc bind_substring(struct ex_expr *e, struct tarn_err *err)
{
	TRY(ex_fn_want_string(e, 0, err));
	TRY(ex_fn_want_int(e, 1, err));
	if (e->n_args > 2)
		TRY(ex_fn_want_int(e, 2, err));
	tarn_type_init(&e->type, TARN_T_STRING);
	return TARN_OK;
}

/* DuckDB's substring: 1-based; a negative start counts from the end; the
 * window [start, start + len) is clipped to the string (so start 0 with
 * length 2 gives one character); a negative length gives ''. */
static tarn_rc eval_substring(const struct ex_expr *e, const struct ex_fargs *a,
			      const uint32_t *sel, int64_t n, struct tarn_array *r,
			      struct tarn_err *err)
{
	TRY(ex_validity_and(r, a->v, a->n, r->length));
	const struct ex_vec *x = &a->v[0], *st = &a->v[1], *ln = a->n > 2 ? &a->v[2] : NULL;
	struct ex_strout o;
	ex_strout_init(&o, r);
	for (int64_t k = 0; k < n; k++) {
		int64_t i = ROW(k);
		ex_strout_row(&o, i);
		if (vec_null(x, i) || vec_null(st, i) || (ln && vec_null(ln, i)))
			continue;
		size_t len;
		const uint8_t *p = ex_str_at(x, i, &len);
		int64_t start = ((const int64_t *)st->a->values)[VROW(st, i)];
		int64_t count = ln ? ((const int64_t *)ln->a->values)[VROW(ln, i)] : INT64_MAX / 4;
		if (count < 0)
			continue;
		int64_t chars = -1;
		if (start < 0) {
			chars = char_count(p, len);
			start = chars + start + 1;
		}
		int64_t end = start > INT64_MAX / 4 ? start : start + (count > INT64_MAX / 4 ? INT64_MAX / 4 : count);
		if (start < 1)
			start = 1;
		if (end <= start)
			continue;
		size_t b0 = char_offset(p, len, start - 1);
		size_t b1 = b0 + char_offset(p + b0, len - b0, end - start);
		tarn_rc rc = ex_strout_put(&o, p + b0, b1 - b0);
		if (rc)
			return ex_fn_str_fail(rc, "substring", err);
	}
	ex_strout_done(&o);
	return TARN_OK;
}

/* trim/ltrim/rtrim(s [, chars]): strips characters of the set (default
 * ' '). */
static bool in_set(const uint8_t *set, size_t sn, const uint8_t *c, size_t cl)
{
	for (size_t i = 0; i < sn;) {
		size_t l = 1;
		while (i + l < sn && is_cont(set[i + l]))
			l++;
		if (l == cl && memcmp(set + i, c, cl) == 0)
			return true;
		i += l;
	}
	return false;
}

static tarn_rc trim_kernel(int sides, const struct ex_fargs *a, const uint32_t *sel, int64_t n,
			   struct tarn_array *r, struct tarn_err *err)
{
	TRY(ex_validity_and(r, a->v, a->n, r->length));
	const struct ex_vec *x = &a->v[0], *cs = a->n > 1 ? &a->v[1] : NULL;
	struct ex_strout o;
	ex_strout_init(&o, r);
	for (int64_t k = 0; k < n; k++) {
		int64_t i = ROW(k);
		ex_strout_row(&o, i);
		if (vec_null(x, i) || (cs && vec_null(cs, i)))
			continue;
		size_t len, sn = 1;
		const uint8_t *p = ex_str_at(x, i, &len);
		const uint8_t *set = (const uint8_t *)" ";
		if (cs)
			set = ex_str_at(cs, i, &sn);
		size_t b = 0, e = len;
		if (sides & 1)
			while (b < e) {
				size_t cl = 1;
				while (b + cl < e && is_cont(p[b + cl]))
					cl++;
				if (!in_set(set, sn, p + b, cl))
					break;
				b += cl;
			}
		if (sides & 2)
			while (e > b) {
				size_t s = e - 1;
				while (s > b && is_cont(p[s]))
					s--;
				if (!in_set(set, sn, p + s, e - s))
					break;
				e = s;
			}
		tarn_rc rc = ex_strout_put(&o, p + b, e - b);
		if (rc)
			return ex_fn_str_fail(rc, "trim", err);
	}
	ex_strout_done(&o);
	return TARN_OK;
}

static tarn_rc eval_trim(const struct ex_expr *e, const struct ex_fargs *a, const uint32_t *sel,
			 int64_t n, struct tarn_array *r, struct tarn_err *err)
{
	return trim_kernel(3, a, sel, n, r, err);
}

static tarn_rc eval_ltrim(const struct ex_expr *e, const struct ex_fargs *a, const uint32_t *sel,
			  int64_t n, struct tarn_array *r, struct tarn_err *err)
{
	return trim_kernel(1, a, sel, n, r, err);
}

static tarn_rc eval_rtrim(const struct ex_expr *e, const struct ex_fargs *a, const uint32_t *sel,
			  int64_t n, struct tarn_array *r, struct tarn_err *err)
{
	return trim_kernel(2, a, sel, n, r, err);
}

/* concat(...) skips NULLs; || (the operator) is NULL when any side is. */
static tarn_rc bind_concat(struct ex_expr *e, struct tarn_err *err)
{
	struct tarn_type st;
	tarn_type_init(&st, TARN_T_STRING);
	for (int i = 0; i < e->n_args; i++)
		TRY(ex_expr_coerce(&e->args[i], &st, err));
	tarn_type_init(&e->type, TARN_T_STRING);
	return TARN_OK;
}

static tarn_rc concat_kernel(bool strict, const struct ex_fargs *a, const uint32_t *sel, int64_t n,
			     struct tarn_array *r, struct tarn_err *err)
{
	if (strict)
		TRY(ex_validity_and(r, a->v, a->n, r->length));
	struct ex_strout o;
	ex_strout_init(&o, r);
	for (int64_t k = 0; k < n; k++) {
		int64_t i = ROW(k);
		ex_strout_row(&o, i);
		if (strict && r->validity && !tarn_bit_get(r->validity, i))
			continue;
		for (int j = 0; j < a->n; j++) {
			if (vec_null(&a->v[j], i) || a->v[j].a->type->id == TARN_T_NULL)
				continue;
			size_t len;
			const uint8_t *p = ex_str_at(&a->v[j], i, &len);
			tarn_rc rc = ex_strout_put(&o, p, len);
			if (rc)
				return ex_fn_str_fail(rc, "concat", err);
		}
	}
	ex_strout_done(&o);
	return TARN_OK;
}

static tarn_rc eval_concat(const struct ex_expr *e, const struct ex_fargs *a, const uint32_t *sel,
			   int64_t n, struct tarn_array *r, struct tarn_err *err)
{
	return concat_kernel(false, a, sel, n, r, err);
}

static tarn_rc eval_concat_op(const struct ex_expr *e, const struct ex_fargs *a,
			      const uint32_t *sel, int64_t n, struct tarn_array *r,
			      struct tarn_err *err)
{
	return concat_kernel(true, a, sel, n, r, err);
}

static tarn_rc eval_starts_with(const struct ex_expr *e, const struct ex_fargs *a,
				const uint32_t *sel, int64_t n, struct tarn_array *r,
				struct tarn_err *err)
{
	TRY(ex_validity_and(r, a->v, 2, r->length));
	for (int64_t k = 0; k < n; k++) {
		int64_t i = ROW(k);
		size_t sl, pl;
		const uint8_t *s = ex_str_at(&a->v[0], i, &sl), *p = ex_str_at(&a->v[1], i, &pl);
		bits_set(r->values, i, pl <= sl && (pl == 0 || memcmp(s, p, pl) == 0));
	}
	return TARN_OK;
}

static tarn_rc eval_ends_with(const struct ex_expr *e, const struct ex_fargs *a,
			      const uint32_t *sel, int64_t n, struct tarn_array *r,
			      struct tarn_err *err)
{
	TRY(ex_validity_and(r, a->v, 2, r->length));
	for (int64_t k = 0; k < n; k++) {
		int64_t i = ROW(k);
		size_t sl, pl;
		const uint8_t *s = ex_str_at(&a->v[0], i, &sl), *p = ex_str_at(&a->v[1], i, &pl);
		bits_set(r->values, i, pl <= sl && (pl == 0 || memcmp(s + sl - pl, p, pl) == 0));
	}
	return TARN_OK;
}

static tarn_rc eval_contains(const struct ex_expr *e, const struct ex_fargs *a,
			     const uint32_t *sel, int64_t n, struct tarn_array *r,
			     struct tarn_err *err)
{
	TRY(ex_validity_and(r, a->v, 2, r->length));
	for (int64_t k = 0; k < n; k++) {
		int64_t i = ROW(k);
		size_t sl, pl;
		const uint8_t *s = ex_str_at(&a->v[0], i, &sl), *p = ex_str_at(&a->v[1], i, &pl);
		bits_set(r->values, i, pl == 0 || (pl <= sl && memmem(s, sl, p, pl) != NULL));
	}
	return TARN_OK;
}

/* strpos/position: 1-based character position of the first match, 0 if none. */
static tarn_rc eval_strpos(const struct ex_expr *e, const struct ex_fargs *a, const uint32_t *sel,
			   int64_t n, struct tarn_array *r, struct tarn_err *err)
{
	TRY(ex_validity_and(r, a->v, 2, r->length));
	int64_t *z = (int64_t *)r->values;
	for (int64_t k = 0; k < n; k++) {
		int64_t i = ROW(k);
		size_t sl, pl;
		const uint8_t *s = ex_str_at(&a->v[0], i, &sl), *p = ex_str_at(&a->v[1], i, &pl);
		const uint8_t *hit = pl == 0 ? s : pl <= sl ? memmem(s, sl, p, pl) : NULL;
		z[i] = hit ? char_count(s, (size_t)(hit - s)) + 1 : 0;
	}
	return TARN_OK;
}

static tarn_rc eval_replace(const struct ex_expr *e, const struct ex_fargs *a, const uint32_t *sel,
			    int64_t n, struct tarn_array *r, struct tarn_err *err)
{
	TRY(ex_validity_and(r, a->v, 3, r->length));
	struct ex_strout o;
	ex_strout_init(&o, r);
	for (int64_t k = 0; k < n; k++) {
		int64_t i = ROW(k);
		ex_strout_row(&o, i);
		if (r->validity && !tarn_bit_get(r->validity, i))
			continue;
		size_t sl, fl, tl;
		const uint8_t *s = ex_str_at(&a->v[0], i, &sl), *f = ex_str_at(&a->v[1], i, &fl);
		const uint8_t *t = ex_str_at(&a->v[2], i, &tl);
		tarn_rc rc = TARN_OK;
		if (fl == 0) {
			rc = ex_strout_put(&o, s, sl);
		} else {
			size_t pos = 0;
			while (!rc && pos < sl) {
				const uint8_t *hit = fl <= sl - pos ? memmem(s + pos, sl - pos, f, fl) : NULL;
				if (!hit) {
					rc = ex_strout_put(&o, s + pos, sl - pos);
					break;
				}
				rc = ex_strout_put(&o, s + pos, (size_t)(hit - (s + pos)));
				if (!rc)
					rc = ex_strout_put(&o, t, tl);
				pos = (size_t)(hit - s) + fl;
			}
		}
		if (rc)
			return ex_fn_str_fail(rc, "replace", err);
	}
	ex_strout_done(&o);
	return TARN_OK;
}

/* ---- dates --------------------------------------------------------------------------------- */

enum part {
	P_YEAR, P_QUARTER, P_MONTH, P_WEEK, P_DAY, P_DOW, P_ISODOW, P_DOY, P_HOUR, P_MINUTE,
	P_SECOND, P_MILLISECOND, P_MICROSECOND, P_EPOCH, P_DECADE, P_CENTURY, P_MILLENNIUM,
	P_ISOYEAR
};

static const struct ex_part_name part_names[] = {
	{ "year", P_YEAR },	    { "years", P_YEAR },	 { "y", P_YEAR },
	{ "quarter", P_QUARTER },   { "quarters", P_QUARTER },	 { "month", P_MONTH },
	{ "months", P_MONTH },	    { "mon", P_MONTH },		 { "week", P_WEEK },
	{ "weeks", P_WEEK },	    { "w", P_WEEK },		 { "day", P_DAY },
	{ "days", P_DAY },	    { "d", P_DAY },		 { "dayofmonth", P_DAY },
	{ "dow", P_DOW },	    { "dayofweek", P_DOW },	 { "isodow", P_ISODOW },
	{ "doy", P_DOY },	    { "dayofyear", P_DOY },	 { "hour", P_HOUR },
	{ "hours", P_HOUR },	    { "h", P_HOUR },		 { "minute", P_MINUTE },
	{ "minutes", P_MINUTE },    { "m", P_MINUTE },		 { "second", P_SECOND },
	{ "seconds", P_SECOND },    { "s", P_SECOND },		 { "millisecond", P_MILLISECOND },
	{ "milliseconds", P_MILLISECOND }, { "ms", P_MILLISECOND }, { "microsecond", P_MICROSECOND },
	{ "microseconds", P_MICROSECOND }, { "us", P_MICROSECOND }, { "epoch", P_EPOCH },
	{ "decade", P_DECADE },	    { "century", P_CENTURY },	 { "millennium", P_MILLENNIUM },
	{ "isoyear", P_ISOYEAR },
};

tarn_rc ex_fn_const_part(struct ex_expr *e, const struct ex_part_name *names, size_t n,
			  const char *what, struct tarn_err *err)
{
	TRY(ex_fn_want_string(e, 0, err));
	const struct ex_expr *p = e->args[0];
	if (p->kind != EX_E_CONST || ex_is_null(p->value, 0))
		return tarn_err_set(err, TARN_EUSAGE, "%s: the %s must be a constant string",
				    e->fn->name, what);
	size_t len;
	const uint8_t *s = tarn_array_get_bytes(p->value, 0, &len);
	for (size_t i = 0; i < n; i++)
		if (strlen(names[i].name) == len && !strncasecmp(names[i].name, (const char *)s, len)) {
			e->fn_arg = names[i].part;
			return TARN_OK;
		}
	return tarn_err_set(err, TARN_EUSAGE, "%s: unknown %s '%.*s'", e->fn->name, what,
			    (int)(len > 40 ? 40 : len), (const char *)s);
}

static tarn_rc bind_part(struct ex_expr *e, struct tarn_err *err)
{
	return ex_fn_const_part(e, part_names, sizeof part_names / sizeof *part_names, "date part",
				err);
}

tarn_rc ex_fn_coerce_common(struct ex_expr *e, struct tarn_type *out, struct tarn_err *err)
{
	tarn_type_init(out, TARN_T_NULL);
	for (int i = 0; i < e->n_args; i++) {
		struct tarn_type u;
		tarn_type_init(&u, TARN_T_NULL);
		tarn_rc rc = ex_type_common(out, &e->args[i]->type, &u, err);
		tarn_type_clear(out);
		if (rc)
			return rc;
		*out = u;
	}
	for (int i = 0; i < e->n_args; i++) {
		tarn_rc rc = ex_expr_coerce(&e->args[i], out, err);
		if (rc) {
			tarn_type_clear(out);
			return rc;
		}
	}
	return TARN_OK;
}

/* The temporal argument: date, timestamp or time (strings cast to timestamp). */
tarn_rc ex_fn_want_temporal(struct ex_expr *e, int i, bool time_ok, struct tarn_err *err)
{
	enum tarn_type_id id = e->args[i]->type.id;
	if (id == TARN_T_DATE32 || id == TARN_T_TIMESTAMP || (time_ok && id == TARN_T_TIME64))
		return TARN_OK;
	if (id == TARN_T_NULL || (id == TARN_T_STRING && e->args[i]->kind == EX_E_CONST)) {
		struct tarn_type t;
		TRY(tarn_type_init_timestamp(&t, TARN_UNIT_US, NULL));
		tarn_rc rc = ex_expr_coerce(&e->args[i], &t, err);
		tarn_type_clear(&t);
		return rc;
	}
	return ex_fn_bind_fail(e, i, time_ok ? "a date, timestamp or time" : "a date or timestamp", err);
}

static tarn_rc bind_extract(struct ex_expr *e, struct tarn_err *err)
{
	if (e->args[1]->type.id == TARN_T_INTERVAL) { /* parts of an interval: func_time.c */
		e->fn = ex_func_find("interval_part");
		return e->fn->bind(e, err);
	}
	TRY(bind_part(e, err));
	TRY(ex_fn_want_temporal(e, 1, true, err));
	tarn_type_init(&e->type, e->fn_arg == P_EPOCH ? TARN_T_FLOAT64 : TARN_T_INT64);
	return TARN_OK;
}

static tarn_rc bind_date_trunc(struct ex_expr *e, struct tarn_err *err)
{
	TRY(bind_part(e, err));
	TRY(ex_fn_want_temporal(e, 1, false, err));
	int p = e->fn_arg;
	if (p == P_DOW || p == P_ISODOW || p == P_DOY || p == P_EPOCH || p == P_ISOYEAR)
		return tarn_err_set(err, TARN_EUSAGE, "date_trunc: cannot truncate to that part");
	if (e->args[1]->type.id == TARN_T_DATE32) /* a timestamp, as DuckDB */
		return tarn_type_init_timestamp(&e->type, TARN_UNIT_US, NULL);
	return tarn_type_copy(&e->type, &e->args[1]->type);
}

/* year(x), month(x), day(x): extract with a fixed part. */
static tarn_rc bind_fixed_part(struct ex_expr *e, int part, struct tarn_err *err)
{
	TRY(ex_fn_want_temporal(e, 0, false, err));
	e->fn_arg = part;
	tarn_type_init(&e->type, TARN_T_INT64);
	return TARN_OK;
}

static tarn_rc bind_year(struct ex_expr *e, struct tarn_err *err)
{
	return bind_fixed_part(e, P_YEAR, err);
}

static tarn_rc bind_month(struct ex_expr *e, struct tarn_err *err)
{
	return bind_fixed_part(e, P_MONTH, err);
}

static tarn_rc bind_day(struct ex_expr *e, struct tarn_err *err)
{
	return bind_fixed_part(e, P_DAY, err);
}

static int64_t floordiv(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

/* Splits a temporal value into days since the epoch and the unit value
 * within the day. */
static void split(const struct tarn_array *a, int64_t i, int64_t per_s, int64_t *days,
		  int64_t *tod)
{
	switch (a->type->id) {
	case TARN_T_DATE32:
		*days = ((const int32_t *)a->values)[i];
		*tod = 0;
		return;
	case TARN_T_TIME64:
		*days = 0;
		*tod = ((const int64_t *)a->values)[i];
		return;
	default: {
		int64_t v = ((const int64_t *)a->values)[i];
		*days = floordiv(v, per_s * 86400);
		*tod = v - *days * per_s * 86400;
	}
	}
}

static int dow_of(int64_t days)
{
	int64_t w = (days + 4) % 7; /* 1970-01-01 was a Thursday */
	return (int)(w < 0 ? w + 7 : w);
}

/* ISO 8601 week and week-year. */
static void iso_week(int64_t days, int64_t *week, int64_t *year)
{
	int isodow = dow_of(days) == 0 ? 7 : dow_of(days);
	int64_t thursday = days - isodow + 4;
	int64_t y;
	unsigned m, d;
	tarn_civil_from_days(thursday, &y, &m, &d);
	int64_t jan1 = tarn_days_from_civil(y, 1, 1);
	*week = (thursday - jan1) / 7 + 1;
	*year = y;
}

static int64_t extract_one(int part, int64_t days, int64_t tod, int64_t per_s)
{
	int64_t y;
	unsigned m, d;
	tarn_civil_from_days(days, &y, &m, &d);
	switch (part) {
	case P_YEAR: return y;
	case P_QUARTER: return (m - 1) / 3 + 1;
	case P_MONTH: return m;
	case P_DAY: return d;
	case P_DOW: return dow_of(days);
	case P_ISODOW: return dow_of(days) == 0 ? 7 : dow_of(days);
	case P_DOY: return days - tarn_days_from_civil(y, 1, 1) + 1;
	case P_WEEK: {
		int64_t w, iy;
		iso_week(days, &w, &iy);
		return w;
	}
	case P_ISOYEAR: {
		int64_t w, iy;
		iso_week(days, &w, &iy);
		return iy;
	}
	case P_HOUR: return tod / (per_s * 3600);
	case P_MINUTE: return tod / (per_s * 60) % 60;
	case P_SECOND: return tod / per_s % 60;
	case P_MILLISECOND: return (tod % (per_s * 60)) * 1000 / per_s;
	case P_MICROSECOND: return per_s >= 1000000 ? (tod % (per_s * 60)) / (per_s / 1000000)
						    : (tod % (per_s * 60)) * (1000000 / per_s);
	case P_DECADE: return floordiv(y, 10);
	case P_CENTURY: return y > 0 ? (y - 1) / 100 + 1 : -((-y) / 100 + 1);
	case P_MILLENNIUM: return y > 0 ? (y - 1) / 1000 + 1 : -((-y) / 1000 + 1);
	default: return 0;
	}
}

static tarn_rc eval_extract(const struct ex_expr *e, const struct ex_fargs *a, const uint32_t *sel,
			    int64_t n, struct tarn_array *r, struct tarn_err *err)
{
	const struct ex_vec *x = &a->v[a->n - 1];
	TRY(ex_validity_and(r, x, 1, r->length));
	const struct tarn_array *s = x->a;
	int64_t per_s = s->type->id == TARN_T_DATE32
				? 1
				: tarn_time_unit_per_second((enum tarn_time_unit)s->type->unit);
	int part = e->fn_arg;
	if (part == P_EPOCH) {
		double *z = (double *)r->values;
		for (int64_t k = 0; k < n; k++) {
			int64_t i = ROW(k), ia = VROW(x, i);
			if (s->type->id == TARN_T_DATE32)
				z[i] = (double)((const int32_t *)s->values)[ia] * 86400.0;
			else
				z[i] = (double)((const int64_t *)s->values)[ia] / (double)per_s;
		}
		return TARN_OK;
	}
	int64_t *z = (int64_t *)r->values;
	if (part == P_YEAR && s->type->id == TARN_T_DATE32) {
		/* the common case, without the general split */
		const int32_t *v = (const int32_t *)s->values;
		for (int64_t k = 0; k < n; k++) {
			int64_t i = ROW(k), y;
			unsigned m, d;
			tarn_civil_from_days(v[VROW(x, i)], &y, &m, &d);
			z[i] = y;
		}
		return TARN_OK;
	}
	for (int64_t k = 0; k < n; k++) {
		int64_t i = ROW(k), days, tod;
		split(s, VROW(x, i), per_s, &days, &tod);
		z[i] = extract_one(part, days, tod, per_s);
	}
	return TARN_OK;
}

static int64_t trunc_days(int part, int64_t days)
{
	int64_t y;
	unsigned m, d;
	tarn_civil_from_days(days, &y, &m, &d);
	switch (part) {
	case P_MILLENNIUM: return tarn_days_from_civil(floordiv(y - 1, 1000) * 1000 + 1, 1, 1);
	case P_CENTURY: return tarn_days_from_civil(floordiv(y - 1, 100) * 100 + 1, 1, 1);
	case P_DECADE: return tarn_days_from_civil(floordiv(y, 10) * 10, 1, 1);
	case P_YEAR: return tarn_days_from_civil(y, 1, 1);
	case P_QUARTER: return tarn_days_from_civil(y, (m - 1) / 3 * 3 + 1, 1);
	case P_MONTH: return tarn_days_from_civil(y, m, 1);
	case P_WEEK: {
		int isodow = dow_of(days) == 0 ? 7 : dow_of(days);
		return days - (isodow - 1);
	}
	default: return days;
	}
}

static tarn_rc eval_date_trunc(const struct ex_expr *e, const struct ex_fargs *a,
			       const uint32_t *sel, int64_t n, struct tarn_array *r,
			       struct tarn_err *err)
{
	const struct ex_vec *x = &a->v[1];
	TRY(ex_validity_and(r, x, 1, r->length));
	const struct tarn_array *s = x->a;
	int part = e->fn_arg;
	if (s->type->id == TARN_T_DATE32) {
		/* the result is a timestamp (microseconds): midnight of the day */
		const int32_t *v = (const int32_t *)s->values;
		int64_t *z = (int64_t *)r->values;
		for (int64_t k = 0; k < n; k++) {
			int64_t i = ROW(k);
			z[i] = trunc_days(part, v[VROW(x, i)]) * 86400000000LL;
		}
		return TARN_OK;
	}
	int64_t per_s = tarn_time_unit_per_second((enum tarn_time_unit)s->type->unit);
	int64_t *z = (int64_t *)r->values;
	for (int64_t k = 0; k < n; k++) {
		int64_t i = ROW(k), days, tod;
		split(s, VROW(x, i), per_s, &days, &tod);
		int64_t step = part == P_HOUR	     ? per_s * 3600
			       : part == P_MINUTE    ? per_s * 60
			       : part == P_SECOND    ? per_s
			       : part == P_MILLISECOND ? (per_s >= 1000 ? per_s / 1000 : 1)
			       : part == P_MICROSECOND ? (per_s >= 1000000 ? per_s / 1000000 : 1)
						     : 0;
		if (step)
			tod = tod / step * step;
		else
			days = trunc_days(part, days), tod = 0;
		z[i] = days * per_s * 86400 + tod;
	}
	return TARN_OK;
}

/* ---- the table ------------------------------------------------------------------------------ */

static const struct ex_func funcs[] = {
	{ "abs", 1, 1, "abs(x): absolute value (integer overflow is an error)", bind_same_numeric,
	  eval_abs },
	{ "round", 1, 2,
	  "round(x [, d]): round half away from zero to d digits (constant); decimals keep "
	  "precision, scale min(d, s)",
	  bind_round, eval_round },
	{ "floor", 1, 1, "floor(x): largest integer <= x (decimals: scale 0)", bind_floor_ceil,
	  eval_floor },
	{ "ceil", 1, 1, "ceil(x): smallest integer >= x (decimals: scale 0)", bind_floor_ceil,
	  eval_ceil },
	{ "ceiling", 1, 1, "ceiling(x): ceil", bind_floor_ceil, eval_ceil },
	{ "length", 1, 1, "length(s): characters in s", bind_length, eval_length },
	{ "char_length", 1, 1, "char_length(s): characters in s", bind_length, eval_length },
	{ "character_length", 1, 1, "character_length(s): characters in s", bind_length,
	  eval_length },
	{ "len", 1, 1, "len(s): characters in s", bind_length, eval_length },
	{ "octet_length", 1, 1, "octet_length(s): bytes in s", bind_length, eval_octet_length },
	{ "lower", 1, 1, "lower(s): lower case (ASCII, Latin-1, Greek, Cyrillic)", bind_str_to_str,
	  eval_lower },
	{ "upper", 1, 1, "upper(s): upper case (ASCII, Latin-1, Greek, Cyrillic)", bind_str_to_str,
	  eval_upper },
	{ "substring", 2, 3,
	  "substring(s, start [, len]): characters from start (1-based; negative counts from "
	  "the end)",
	  bind_substring, eval_substring },
	{ "substr", 2, 3, "substr(s, start [, len]): substring", bind_substring, eval_substring },
	{ "trim", 1, 2, "trim(s [, chars]): strip characters (default space) at both ends",
	  bind_str_to_str, eval_trim },
	{ "ltrim", 1, 2, "ltrim(s [, chars]): strip at the start", bind_str_to_str, eval_ltrim },
	{ "rtrim", 1, 2, "rtrim(s [, chars]): strip at the end", bind_str_to_str, eval_rtrim },
	{ "concat", 1, -1, "concat(a, ...): text of the arguments joined, NULLs skipped",
	  bind_concat, eval_concat },
	{ "||", 2, 2, "a || b: concatenation, NULL if either is NULL", bind_concat,
	  eval_concat_op },
	{ "starts_with", 2, 2, "starts_with(s, prefix)", bind_str_to_bool, eval_starts_with },
	{ "ends_with", 2, 2, "ends_with(s, suffix)", bind_str_to_bool, eval_ends_with },
	{ "contains", 2, 2, "contains(s, part)", bind_str_to_bool, eval_contains },
	{ "strpos", 2, 2, "strpos(s, part): 1-based character position, 0 if absent",
	  bind_str_to_int, eval_strpos },
	{ "position", 2, 2, "position(part IN s) as position(s, part)", bind_str_to_int,
	  eval_strpos },
	{ "replace", 3, 3, "replace(s, from, to): every occurrence", bind_str_to_str, eval_replace },
	{ "date_trunc", 2, 2,
	  "date_trunc(part, x): x truncated to the part, as a timestamp (week = ISO Monday)",
	  bind_date_trunc, eval_date_trunc },
	{ "extract", 2, 2,
	  "extract(part, x): year, quarter, month, week (ISO), day, dow (0 = Sunday), isodow, "
	  "doy, hour, minute, second, millisecond, microsecond, epoch (float64), decade, "
	  "century, millennium, isoyear",
	  bind_extract, eval_extract },
	{ "date_part", 2, 2, "date_part(part, x): extract", bind_extract, eval_extract },
	{ "year", 1, 1, "year(x): extract(year from x)", bind_year, eval_extract },
	{ "month", 1, 1, "month(x): extract(month from x)", bind_month, eval_extract },
	{ "day", 1, 1, "day(x): extract(day from x)", bind_day, eval_extract },
};

const struct ex_func *ex_func_find(const char *name)
{
	for (size_t i = 0; i < sizeof funcs / sizeof *funcs; i++)
		if (!strcasecmp(funcs[i].name, name))
			return &funcs[i];
	for (int i = 0; i < ex_funcs_more_n; i++)
		if (!strcasecmp(ex_funcs_more[i].name, name))
			return &ex_funcs_more[i];
	for (int i = 0; i < ex_funcs_regex_n; i++)
		if (!strcasecmp(ex_funcs_regex[i].name, name))
			return &ex_funcs_regex[i];
	for (int i = 0; i < ex_funcs_extra_n; i++)
		if (!strcasecmp(ex_funcs_extra[i].name, name))
			return &ex_funcs_extra[i];
	for (int i = 0; i < ex_funcs_time_n; i++)
		if (!strcasecmp(ex_funcs_time[i].name, name))
			return &ex_funcs_time[i];
	for (int i = 0; i < ex_nested_funcs_n; i++)
		if (!strcasecmp(ex_nested_func_at(i)->name, name))
			return ex_nested_func_at(i);
	return NULL;
}

const struct ex_func *ex_func_at(int i)
{
	int n = (int)(sizeof funcs / sizeof *funcs);
	if (i >= 0 && i < n)
		return &funcs[i];
	if (i >= n && i < n + ex_funcs_more_n)
		return &ex_funcs_more[i - n];
	n += ex_funcs_more_n;
	if (i >= n && i < n + ex_funcs_regex_n)
		return &ex_funcs_regex[i - n];
	n += ex_funcs_regex_n;
	if (i >= n && i < n + ex_funcs_extra_n)
		return &ex_funcs_extra[i - n];
	n += ex_funcs_extra_n;
	if (i >= n && i < n + ex_funcs_time_n)
		return &ex_funcs_time[i - n];
	n += ex_funcs_time_n;
	return ex_nested_func_at(i - n);
}
