/*
 * expr_cast.c — CAST and TRY_CAST between scalar types.
 *
 * Numeric casts run in two typed passes: the source is loaded into one of
 * four lanes (int64, uint64, double, or int128 with the decimal's scale)
 * by a loop specialised for its type, then stored into the target type by a
 * loop specialised for (lane, target), which checks the range. Rounding
 * follows DuckDB: doubles to integers round half to even; decimals to
 * integers, doubles to decimals and decimals losing scale round half away
 * from zero; NaN and infinities do not convert to integers or decimals.
 *
 * Text: values become their text.h spellings (nested values their JSON
 * text); strings parse with the text.h parsers after trimming spaces, and
 * decimals from text round to the target scale. Temporal: date <->
 * timestamp (midnight), timestamp units (coarser units floor), timestamp
 * to time of day. A value that does not convert is TARN_EDATA naming the
 * value and the target type; TRY_CAST makes it NULL instead.
 *
 * Pure functions over caller-owned arrays; thread-safe.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/mem.h"
#include "columnar/text.h"
#include "columnar/utf8.h"
#include "sql/expr_int.h"
#include "sql/expr_nested.h"

enum lane { L_I64, L_U64, L_F64, L_I128, L_NONE };

static enum lane lane_of(enum tarn_type_id id)
{
	switch (id) {
	case TARN_T_BOOL:
	case TARN_T_INT8:
	case TARN_T_INT16:
	case TARN_T_INT32:
	case TARN_T_INT64: return L_I64;
	case TARN_T_UINT8:
	case TARN_T_UINT16:
	case TARN_T_UINT32:
	case TARN_T_UINT64: return L_U64;
	case TARN_T_FLOAT32:
	case TARN_T_FLOAT64: return L_F64;
	case TARN_T_DECIMAL128: return L_I128;
	default: return L_NONE;
	}
}

static bool is_temporal(enum tarn_type_id id)
{
	return id == TARN_T_DATE32 || id == TARN_T_TIMESTAMP || id == TARN_T_TIME64;
}

bool ex_cast_allowed(const struct tarn_type *from, const struct tarn_type *to)
{
	enum tarn_type_id f = from->id, t = to->id;
	if (f == TARN_T_NULL)
		return true;
	if (f == TARN_T_STRING && t == TARN_T_INTERVAL)
		return true;
	if (!ex_type_is_scalar(t))
		return ex_nested_cast_allowed(from, to);
	if (f == t)
		return true;
	if (t == TARN_T_STRING)
		return true; /* everything has a text spelling */
	if (f == TARN_T_STRING)
		return t != TARN_T_NULL;
	if (f == TARN_T_BINARY || t == TARN_T_BINARY)
		return false;
	if (lane_of(f) != L_NONE && lane_of(t) != L_NONE)
		return true;
	if (f == TARN_T_DATE32 && t == TARN_T_TIMESTAMP)
		return true;
	if (f == TARN_T_TIMESTAMP && (t == TARN_T_DATE32 || t == TARN_T_TIME64))
		return true;
	return false;
}

/* ---- errors ---------------------------------------------------------------------------- */

static tarn_rc cast_fail(const struct tarn_array *src, int64_t row, const struct tarn_type *to,
			 const char *why, struct tarn_err *err)
{
	char v[100];
	ex_value_text(src, row, v, sizeof v);
	struct tarn_buf t;
	tarn_buf_init(&t);
	tarn_rc trc = tarn_type_to_text(to, &t);
	if (!trc)
		trc = tarn_buf_cstr(&t);
	tarn_rc rc = tarn_err_set(err, TARN_EDATA, "cannot cast %s to %s%s%s", v,
				  trc ? "the target type" : t.data, why ? ": " : "", why ? why : "");
	tarn_buf_free(&t);
	return rc;
}

/* A failed row: NULL under TRY_CAST, else the error. */
#define FAIL(i, why)                                                                      \
	do {                                                                              \
		if (!try_cast)                                                            \
			return cast_fail(src, VROW(a, i), to, why, err);                  \
		if (!r->validity)                                                         \
			TRY(ex_scratch_validity(r));                                     \
		ex_set_null(r, i);                                                       \
	} while (0)

#define ROWS_LOOP(...)                                                                    \
	do {                                                                              \
		for (int64_t k = 0; k < n; k++) {                                         \
			const int64_t i = sel ? sel[k] : k;                               \
			const int64_t ia = ac ? 0 : i;                                    \
			(void)ia;                                                         \
			if (nulls && !row_ok(r, i))                                       \
				continue;                                                 \
			__VA_ARGS__;                                                      \
		}                                                                         \
	} while (0)

static inline bool row_ok(const struct tarn_array *r, int64_t i)
{
	return !r->validity || tarn_bit_get(r->validity, i);
}

/* ---- loading lanes ------------------------------------------------------------------------ */

union lv {
	int64_t i;
	uint64_t u;
	double d;
	tarn_i128 q;
};

#define LOAD(T, FIELD)                                                           \
	do {                                                                     \
		const T *x = (const T *)src->values;                             \
		for (int64_t k = 0; k < n; k++) {                                \
			int64_t i = sel ? sel[k] : k;                            \
			tmp[i].FIELD = x[ac ? 0 : i];                            \
		}                                                                \
	} while (0)

static void load_lane(const struct tarn_array *src, bool ac, const uint32_t *sel, int64_t n,
		      union lv *tmp)
{
	switch (src->type->id) {
	case TARN_T_BOOL:
		for (int64_t k = 0; k < n; k++) {
			int64_t i = sel ? sel[k] : k;
			tmp[i].i = tarn_bit_get(src->values, ac ? 0 : i);
		}
		break;
	case TARN_T_INT8: LOAD(int8_t, i); break;
	case TARN_T_INT16: LOAD(int16_t, i); break;
	case TARN_T_INT32: LOAD(int32_t, i); break;
	case TARN_T_INT64: LOAD(int64_t, i); break;
	case TARN_T_UINT8: LOAD(uint8_t, u); break;
	case TARN_T_UINT16: LOAD(uint16_t, u); break;
	case TARN_T_UINT32: LOAD(uint32_t, u); break;
	case TARN_T_UINT64: LOAD(uint64_t, u); break;
	case TARN_T_FLOAT32: LOAD(float, d); break;
	case TARN_T_FLOAT64: LOAD(double, d); break;
	case TARN_T_DECIMAL128: LOAD(tarn_i128, q); break;
	default: break;
	}
}

/* Divides by 10^k rounding half away from zero. */
static tarn_i128 div_round(tarn_i128 v, int k)
{
	if (k <= 0)
		return v;
	tarn_i128 p = ex_pow10(k), q = v / p, rem = v % p;
	if (rem < 0)
		rem = -rem;
	if (rem * 2 >= p)
		q += v < 0 ? -1 : 1;
	return q;
}

/* Decimal value as a double: exact operands where possible, so the result
 * is correctly rounded for every value below 2^53 at scale <= 22. */
static double dec_to_double(tarn_i128 v, int scale)
{
	static const double p10[] = { 1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
				      1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
				      1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22 };
	tarn_i128 lim = (tarn_i128)1 << 53;
	if (v > -lim && v < lim && scale <= 22)
		return (double)(int64_t)v / p10[scale];
	return (double)((long double)v / powl(10.0L, (long double)scale));
}

/* ---- storing from lanes --------------------------------------------------------------------- */

/* Integer targets. */
static bool lane_to_i64(enum lane l, const union lv *x, int scale, int64_t lo, int64_t hi,
			int64_t *out, const char **why)
{
	switch (l) {
	case L_I64:
		if (x->i < lo || x->i > hi)
			return *why = "out of range", false;
		*out = x->i;
		return true;
	case L_U64:
		if (x->u > (uint64_t)hi)
			return *why = "out of range", false;
		*out = (int64_t)x->u;
		return true;
	case L_F64: {
		double d = x->d;
		if (d != d || isinf(d))
			return *why = "not a finite number", false;
		d = nearbyint(d); /* half to even, as DuckDB casts doubles */
		if (d < (double)lo || d >= (double)hi + 1.0)
			return *why = "out of range", false;
		*out = (int64_t)d;
		return true;
	}
	case L_I128: {
		tarn_i128 v = div_round(x->q, scale);
		if (v < lo || v > hi)
			return *why = "out of range", false;
		*out = (int64_t)v;
		return true;
	}
	default: return *why = "unsupported", false;
	}
}

static bool lane_to_u64(enum lane l, const union lv *x, int scale, uint64_t hi, uint64_t *out,
			const char **why)
{
	switch (l) {
	case L_I64:
		if (x->i < 0 || (uint64_t)x->i > hi)
			return *why = "out of range", false;
		*out = (uint64_t)x->i;
		return true;
	case L_U64:
		if (x->u > hi)
			return *why = "out of range", false;
		*out = x->u;
		return true;
	case L_F64: {
		double d = x->d;
		if (d != d || isinf(d))
			return *why = "not a finite number", false;
		d = nearbyint(d);
		if (d < 0 || d >= 18446744073709551616.0 || d > (double)hi)
			return *why = "out of range", false;
		*out = (uint64_t)d;
		return true;
	}
	case L_I128: {
		tarn_i128 v = div_round(x->q, scale);
		if (v < 0 || v > (tarn_i128)hi)
			return *why = "out of range", false;
		*out = (uint64_t)v;
		return true;
	}
	default: return *why = "unsupported", false;
	}
}

static bool lane_to_dec(enum lane l, const union lv *x, int from_scale, int p, int s,
			tarn_i128 *out, const char **why)
{
	tarn_i128 lim = ex_pow10(p), v;
	switch (l) {
	case L_I64:
		if (__builtin_mul_overflow((tarn_i128)x->i, ex_pow10(s), &v))
			return *why = "out of range", false;
		break;
	case L_U64:
		if (__builtin_mul_overflow((tarn_i128)x->u, ex_pow10(s), &v))
			return *why = "out of range", false;
		break;
	case L_F64: {
		double d = x->d;
		if (d != d || isinf(d))
			return *why = "not a finite number", false;
		long double t = roundl((long double)d * powl(10.0L, (long double)s));
		if (fabsl(t) >= 1e38L)
			return *why = "out of range", false;
		v = (tarn_i128)t;
		break;
	}
	case L_I128:
		if (s >= from_scale) {
			if (__builtin_mul_overflow(x->q, ex_pow10(s - from_scale), &v))
				return *why = "out of range", false;
		} else {
			v = div_round(x->q, from_scale - s);
		}
		break;
	default: return *why = "unsupported", false;
	}
	if (v >= lim || v <= -lim)
		return *why = "out of range for its precision", false;
	*out = v;
	return true;
}

static double lane_to_f64(enum lane l, const union lv *x, int scale)
{
	switch (l) {
	case L_I64: return (double)x->i;
	case L_U64: return (double)x->u;
	case L_F64: return x->d;
	case L_I128: return dec_to_double(x->q, scale);
	default: return 0;
	}
}

static tarn_rc numeric_cast(const struct tarn_type *to, bool try_cast, const struct ex_vec *a,
			    const uint32_t *sel, int64_t n, struct tarn_array *r,
			    struct tarn_err *err)
{
	const struct tarn_array *src = a->a;
	bool ac = a->is_const, nulls = r->validity != NULL;
	int64_t rows = r->length;
	union lv *tmp = tarn_malloc((size_t)(rows > 0 ? rows : 1) * sizeof *tmp);
	if (!tmp)
		return tarn_err_nomem(err, "cast");
	load_lane(src, ac, sel, n, tmp);
	enum lane l = lane_of(src->type->id);
	int fs = src->type->id == TARN_T_DECIMAL128 ? src->type->scale : 0;
	tarn_rc rc = TARN_OK;
	const char *why = NULL;
#define INT_STORE(T, LO, HI)                                                              \
	do {                                                                              \
		T *z = (T *)r->values;                                                    \
		ROWS_LOOP({                                                               \
			int64_t v;                                                        \
			if (lane_to_i64(l, &tmp[i], fs, LO, HI, &v, &why))                \
				z[i] = (T)v;                                              \
			else                                                              \
				FAIL_OUT(i);                                              \
		});                                                                       \
	} while (0)
#define UINT_STORE(T, HI)                                                                 \
	do {                                                                              \
		T *z = (T *)r->values;                                                    \
		ROWS_LOOP({                                                               \
			uint64_t v;                                                       \
			if (lane_to_u64(l, &tmp[i], fs, HI, &v, &why))                    \
				z[i] = (T)v;                                              \
			else                                                              \
				FAIL_OUT(i);                                              \
		});                                                                       \
	} while (0)
#define FAIL_OUT(i)                                                                       \
	do {                                                                              \
		if (!try_cast) {                                                          \
			rc = cast_fail(src, VROW(a, i), to, why, err);                    \
			goto out;                                                         \
		}                                                                         \
		if (!r->validity && (rc = ex_scratch_validity(r)) != TARN_OK)            \
			goto out;                                                         \
		nulls = true;                                                             \
		ex_set_null(r, i);                                                       \
	} while (0)
	switch (to->id) {
	case TARN_T_INT8: INT_STORE(int8_t, INT8_MIN, INT8_MAX); break;
	case TARN_T_INT16: INT_STORE(int16_t, INT16_MIN, INT16_MAX); break;
	case TARN_T_INT32: INT_STORE(int32_t, INT32_MIN, INT32_MAX); break;
	case TARN_T_INT64: INT_STORE(int64_t, INT64_MIN, INT64_MAX); break;
	case TARN_T_UINT8: UINT_STORE(uint8_t, UINT8_MAX); break;
	case TARN_T_UINT16: UINT_STORE(uint16_t, UINT16_MAX); break;
	case TARN_T_UINT32: UINT_STORE(uint32_t, UINT32_MAX); break;
	case TARN_T_UINT64: UINT_STORE(uint64_t, UINT64_MAX); break;
	case TARN_T_BOOL:
		ROWS_LOOP({
			bool b;
			switch (l) {
			case L_I64: b = tmp[i].i != 0; break;
			case L_U64: b = tmp[i].u != 0; break;
			case L_F64: b = tmp[i].d != 0; break;
			default: b = tmp[i].q != 0; break;
			}
			bits_set(r->values, i, b);
		});
		break;
	case TARN_T_FLOAT32: {
		float *z = (float *)r->values;
		ROWS_LOOP(z[i] = (float)lane_to_f64(l, &tmp[i], fs));
		break;
	}
	case TARN_T_FLOAT64: {
		double *z = (double *)r->values;
		if (l == L_I64 && !sel)
			for (int64_t i = 0; i < n; i++)
				z[i] = (double)tmp[i].i;
		else
			ROWS_LOOP(z[i] = lane_to_f64(l, &tmp[i], fs));
		break;
	}
	case TARN_T_DECIMAL128: {
		tarn_i128 *z = (tarn_i128 *)r->values;
		ROWS_LOOP({
			tarn_i128 v;
			if (lane_to_dec(l, &tmp[i], fs, to->precision, to->scale, &v, &why))
				z[i] = v;
			else
				FAIL_OUT(i);
		});
		break;
	}
	default: rc = tarn_err_set(err, TARN_EINTERNAL, "numeric cast to %s", tarn_type_id_name(to->id));
	}
out:
	tarn_free(tmp);
	return rc;
#undef INT_STORE
#undef UINT_STORE
#undef FAIL_OUT
}

/* ---- temporal ------------------------------------------------------------------------------------- */

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

static tarn_rc temporal_cast(const struct tarn_type *to, bool try_cast, const struct ex_vec *a,
			     const uint32_t *sel, int64_t n, struct tarn_array *r,
			     struct tarn_err *err)
{
	const struct tarn_array *src = a->a;
	bool ac = a->is_const, nulls = r->validity != NULL;
	enum tarn_type_id f = src->type->id;
	if (f == TARN_T_DATE32 && to->id == TARN_T_DATE32) {
		const int32_t *x = (const int32_t *)src->values;
		int32_t *z = (int32_t *)r->values;
		ROWS_LOOP(z[i] = x[ia]);
		return TARN_OK;
	}
	if (f == TARN_T_DATE32 && to->id == TARN_T_TIMESTAMP) {
		int64_t per_day = tarn_time_unit_per_second((enum tarn_time_unit)to->unit) * 86400;
		const int32_t *x = (const int32_t *)src->values;
		int64_t *z = (int64_t *)r->values;
		ROWS_LOOP({
			int64_t v;
			if (__builtin_mul_overflow((int64_t)x[ia], per_day, &v))
				FAIL(i, "out of range");
			else
				z[i] = v;
		});
		return TARN_OK;
	}
	const int64_t *x = (const int64_t *)src->values;
	int64_t from_per_s = tarn_time_unit_per_second((enum tarn_time_unit)src->type->unit);
	if (to->id == TARN_T_DATE32) {
		int32_t *z = (int32_t *)r->values;
		int64_t per_day = from_per_s * 86400;
		ROWS_LOOP({
			int64_t d = floor_div(x[ia], per_day);
			if (d < INT32_MIN || d > INT32_MAX)
				FAIL(i, "out of range");
			else
				z[i] = (int32_t)d;
		});
		return TARN_OK;
	}
	int64_t to_per_s = tarn_time_unit_per_second((enum tarn_time_unit)to->unit);
	int64_t *z = (int64_t *)r->values;
	if (f == TARN_T_TIMESTAMP && to->id == TARN_T_TIME64) {
		int64_t per_day = from_per_s * 86400;
		ROWS_LOOP({
			int64_t tod = x[ia] - floor_div(x[ia], per_day) * per_day;
			z[i] = to_per_s >= from_per_s ? tod * (to_per_s / from_per_s)
						      : tod / (from_per_s / to_per_s);
		});
		return TARN_OK;
	}
	/* same kind, unit change */
	if (to_per_s >= from_per_s) {
		int64_t m = to_per_s / from_per_s;
		ROWS_LOOP({
			int64_t v;
			if (__builtin_mul_overflow(x[ia], m, &v))
				FAIL(i, "out of range");
			else
				z[i] = v;
		});
	} else {
		int64_t d = from_per_s / to_per_s;
		ROWS_LOOP(z[i] = floor_div(x[ia], d));
	}
	return TARN_OK;
}

/* ---- to text ----------------------------------------------------------------------------------------- */

static tarn_rc to_string(const struct ex_vec *a, const uint32_t *sel, int64_t n,
			 struct tarn_array *r, struct tarn_err *err)
{
	const struct tarn_array *src = a->a;
	bool ac = a->is_const;
	struct ex_strout o;
	ex_strout_init(&o, r);
	struct tarn_buf tb;
	tarn_buf_init(&tb);
	tarn_rc rc = TARN_OK;
	enum tarn_type_id f = src->type->id;
	char buf[TARN_FMT_MAX];
	for (int64_t k = 0; k < n && !rc; k++) {
		int64_t i = sel ? sel[k] : k, ia = ac ? 0 : i;
		ex_strout_row(&o, i);
		if (ex_is_null(src, ia) || f == TARN_T_NULL)
			continue;
		size_t len;
		switch (f) {
		case TARN_T_STRING:
		case TARN_T_BINARY: {
			const uint8_t *p = tarn_array_get_bytes(src, ia, &len);
			if (f == TARN_T_BINARY && !tarn_utf8_valid(p, len, NULL)) {
				rc = tarn_err_set(err, TARN_EDATA,
						  "cannot cast binary value to string: not valid UTF-8");
				break;
			}
			rc = ex_strout_put(&o, p, len);
			break;
		}
		case TARN_T_INT8:
		case TARN_T_INT16:
		case TARN_T_INT32:
		case TARN_T_INT64:
			len = tarn_fmt_int64(buf, tarn_array_get_int(src, ia));
			rc = ex_strout_put(&o, buf, len);
			break;
		case TARN_T_UINT8:
		case TARN_T_UINT16:
		case TARN_T_UINT32:
		case TARN_T_UINT64:
			len = tarn_fmt_uint64(buf, tarn_array_get_uint(src, ia));
			rc = ex_strout_put(&o, buf, len);
			break;
		case TARN_T_FLOAT64:
		case TARN_T_FLOAT32: {
			/* DuckDB spells NaN "nan" (inf and -inf as text.h does) */
			double d = tarn_array_get_double(src, ia);
			if (d != d)
				len = (size_t)snprintf(buf, sizeof buf, "nan");
			else if (f == TARN_T_FLOAT64)
				len = tarn_fmt_double(buf, d);
			else
				len = tarn_fmt_float(buf, ((const float *)src->values)[ia]);
			rc = ex_strout_put(&o, buf, len);
			break;
		}
		case TARN_T_DECIMAL128:
			len = tarn_fmt_decimal(buf, tarn_array_get_decimal(src, ia), src->type->scale);
			rc = ex_strout_put(&o, buf, len);
			break;
		case TARN_T_DATE32:
			len = tarn_fmt_date(buf, ((const int32_t *)src->values)[ia]);
			rc = ex_strout_put(&o, buf, len);
			break;
		case TARN_T_LIST:
		case TARN_T_STRUCT:
		case TARN_T_MAP:
			tb.len = 0;
			rc = ex_nested_text(src, ia, &tb);
			if (!rc)
				rc = ex_strout_put(&o, tb.data, tb.len);
			break;
		default:
			tb.len = 0;
			rc = tarn_value_to_text(src, ia, false, &tb);
			if (!rc)
				rc = ex_strout_put(&o, tb.data, tb.len);
			break;
		}
	}
	ex_strout_done(&o);
	tarn_buf_free(&tb);
	if (rc == TARN_ENOMEM)
		return tarn_err_nomem(err, "cast to string");
	if (rc == TARN_ELIMIT)
		return tarn_err_set(err, rc, "cast to string: result over 2 GiB in one batch");
	return rc;
}

/* ---- from text ----------------------------------------------------------------------------------------- */

/* [+-]digits[.digits][e[+-]digits] to a decimal of (p, s), rounding half
 * away from zero past the scale. */
static bool parse_decimal_round(const char *p, size_t n, int prec, int scale, tarn_i128 *out)
{
	size_t i = 0;
	bool neg = false;
	if (i < n && (p[i] == '+' || p[i] == '-'))
		neg = p[i++] == '-';
	char dig[80];
	int nd = 0, point = -1, seen = 0;
	for (; i < n; i++) {
		char c = p[i];
		if (c >= '0' && c <= '9') {
			seen++;
			if (nd == 0 && c == '0' && point < 0)
				continue; /* leading zeros */
			if (nd < 78)
				dig[nd++] = c;
			else if (point < 0)
				return false;
		} else if (c == '.' && point < 0) {
			point = nd;
		} else {
			break;
		}
	}
	if (!seen)
		return false;
	if (point < 0)
		point = nd;
	int64_t exp = 0;
	if (i < n && (p[i] == 'e' || p[i] == 'E')) {
		i++;
		bool eneg = false;
		if (i < n && (p[i] == '+' || p[i] == '-'))
			eneg = p[i++] == '-';
		if (i >= n)
			return false;
		for (; i < n && p[i] >= '0' && p[i] <= '9'; i++) {
			exp = exp * 10 + (p[i] - '0');
			if (exp > 1000)
				return false;
		}
		if (eneg)
			exp = -exp;
	}
	if (i != n)
		return false;
	/* value = 0.dig * 10^(point + exp); keep digits up to `scale` after the point */
	int64_t keep = point + exp + scale; /* digits of dig that land at or above 10^-scale */
	tarn_i128 v = 0;
	for (int64_t k = 0; k < keep; k++) {
		int d = k < nd ? dig[k] - '0' : 0;
		if (v > (ex_pow10(38) - 1 - d) / 10)
			return false;
		v = v * 10 + d;
	}
	if (keep >= 0 && keep < nd && dig[keep] >= '5')
		v += 1;
	if (v >= ex_pow10(prec))
		return false;
	*out = neg ? -v : v;
	return true;
}

static tarn_rc from_string(const struct tarn_type *to, bool try_cast, const struct ex_vec *a,
			   const uint32_t *sel, int64_t n, struct tarn_array *r,
			   struct tarn_err *err)
{
	const struct tarn_array *src = a->a;
	bool ac = a->is_const, nulls = r->validity != NULL;
	enum tarn_type_id t = to->id;
	if (t == TARN_T_BINARY) {
		struct ex_strout o;
		ex_strout_init(&o, r);
		tarn_rc rc = TARN_OK;
		for (int64_t k = 0; k < n && !rc; k++) {
			int64_t i = sel ? sel[k] : k, ia = ac ? 0 : i;
			ex_strout_row(&o, i);
			if (nulls && !row_ok(r, i))
				continue;
			size_t len;
			const uint8_t *p = tarn_array_get_bytes(src, ia, &len);
			rc = ex_strout_put(&o, p, len);
		}
		ex_strout_done(&o);
		return rc ? tarn_err_set(err, rc, "cast to binary: out of memory or over 2 GiB") : rc;
	}
	uint8_t *v = r->values;
	ROWS_LOOP({
		size_t len;
		const char *p = (const char *)tarn_array_get_bytes(src, ia, &len);
		while (len && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
			p++, len--;
		while (len && (p[len - 1] == ' ' || p[len - 1] == '\t' || p[len - 1] == '\n' ||
			       p[len - 1] == '\r'))
			len--;
		bool ok = true;
		switch (t) {
		case TARN_T_BOOL: {
			bool b = false;
			ok = tarn_parse_bool(p, len, &b);
			if (ok)
				bits_set(v, i, b);
			break;
		}
		case TARN_T_INT8:
		case TARN_T_INT16:
		case TARN_T_INT32:
		case TARN_T_INT64: {
			int64_t x = 0;
			ok = tarn_parse_int64(p, len, &x);
			int w = tarn_type_width(t);
			if (ok && w < 8) {
				int64_t hi = ((int64_t)1 << (w * 8 - 1)) - 1;
				ok = x >= -hi - 1 && x <= hi;
			}
			if (ok) {
				if (w == 1)
					((int8_t *)v)[i] = (int8_t)x;
				else if (w == 2)
					((int16_t *)v)[i] = (int16_t)x;
				else if (w == 4)
					((int32_t *)v)[i] = (int32_t)x;
				else
					((int64_t *)v)[i] = x;
			}
			break;
		}
		case TARN_T_UINT8:
		case TARN_T_UINT16:
		case TARN_T_UINT32:
		case TARN_T_UINT64: {
			uint64_t x = 0;
			ok = tarn_parse_uint64(p, len, &x);
			int w = tarn_type_width(t);
			if (ok && w < 8)
				ok = x <= (((uint64_t)1 << (w * 8)) - 1);
			if (ok) {
				if (w == 1)
					((uint8_t *)v)[i] = (uint8_t)x;
				else if (w == 2)
					((uint16_t *)v)[i] = (uint16_t)x;
				else if (w == 4)
					((uint32_t *)v)[i] = (uint32_t)x;
				else
					((uint64_t *)v)[i] = x;
			}
			break;
		}
		case TARN_T_FLOAT32: ok = tarn_parse_float(p, len, &((float *)v)[i]); break;
		case TARN_T_FLOAT64: ok = tarn_parse_double(p, len, &((double *)v)[i]); break;
		case TARN_T_DECIMAL128: {
			tarn_i128 x;
			ok = tarn_parse_decimal(p, len, to->precision, to->scale, &x) ||
			     parse_decimal_round(p, len, to->precision, to->scale, &x);
			if (ok)
				memcpy(v + i * 16, &x, 16);
			break;
		}
		case TARN_T_DATE32: ok = tarn_parse_date(p, len, &((int32_t *)v)[i]); break;
		case TARN_T_INTERVAL: {
			struct tarn_interval iv;
			ok = tarn_parse_interval(p, len, &iv);
			if (ok)
				memcpy(v + (size_t)i * sizeof iv, &iv, sizeof iv);
			break;
		}
		case TARN_T_TIME64:
			ok = tarn_parse_time(p, len, (enum tarn_time_unit)to->unit, &((int64_t *)v)[i]);
			break;
		case TARN_T_TIMESTAMP: {
			bool has_off;
			ok = tarn_parse_timestamp(p, len, (enum tarn_time_unit)to->unit,
						  &((int64_t *)v)[i], &has_off);
			if (!ok) {
				int32_t d;
				ok = tarn_parse_date(p, len, &d);
				int64_t per_day =
				    tarn_time_unit_per_second((enum tarn_time_unit)to->unit) * 86400;
				if (ok)
					ok = !__builtin_mul_overflow((int64_t)d, per_day,
								     &((int64_t *)v)[i]);
			}
			break;
		}
		default: ok = false; break;
		}
		if (!ok)
			FAIL(i, NULL);
	});
	return TARN_OK;
}

tarn_rc ex_kern_cast(const struct tarn_type *to, bool try_cast, const struct ex_vec *a,
		      const uint32_t *sel, int64_t n, struct tarn_array *r, struct tarn_err *err)
{
	if (tarn_type_is_nested(to->id))
		return ex_nested_cast(to, try_cast, a, sel, n, r, err);
	TRY(ex_validity_and(r, a, 1, r->length));
	if (!sel)
		n = r->length;
	if (a->is_const && !sel && n > 1)
		n = r->length;
	enum tarn_type_id f = a->a->type->id, t = to->id;
	if (f == TARN_T_NULL) {
		TRY(ex_scratch_validity(r));
		memset(r->validity, 0, (size_t)((r->length + 7) / 8));
		if (r->offsets)
			memset(r->offsets, 0, (size_t)(r->length + 1) * sizeof(int32_t));
		return TARN_OK;
	}
	if (t == TARN_T_STRING)
		return to_string(a, sel, n, r, err);
	if (f == TARN_T_STRING || f == TARN_T_BINARY)
		return from_string(to, try_cast, a, sel, n, r, err);
	if (lane_of(f) != L_NONE && lane_of(t) != L_NONE)
		return numeric_cast(to, try_cast, a, sel, n, r, err);
	if (is_temporal(f) && is_temporal(t))
		return temporal_cast(to, try_cast, a, sel, n, r, err);
	return tarn_err_set(err, TARN_EINTERNAL, "cast from %s to %s", tarn_type_id_name(f),
			    tarn_type_id_name(t));
}
