/*
 * func_more.c — the scalar function registry's second table: math
 * (sqrt, exp, ln, log10, log2, pow, trigonometry, sign, trunc, isnan,
 * isinf, isfinite, gcd, lcm, greatest, least), strings (repeat, left,
 * right, lpad, rpad, reverse, split_part, concat_ws, ascii, chr, md5) and
 * dates (date_diff/datediff, epoch, epoch_ms, make_date, dayname,
 * monthname, strftime). Same contract as func.c; ex_func_find searches
 * both tables.
 *
 * Semantics follow DuckDB: float math on float64 (the square root of a
 * negative number and the logarithm of zero or a negative number are
 * errors), greatest/least skip NULLs, date_diff counts part
 * boundaries crossed, strftime takes C's % codes.
 *
 * Pure kernels over caller-owned arrays; the tables are const.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base/mem.h"
#include "columnar/text.h"
#include "sql/expr_int.h"

#define ROW(k) (sel ? (int64_t)sel[k] : (int64_t)(k))

/* ---- float math ---------------------------------------------------------------------------- */

enum fmath { F_SQRT, F_CBRT, F_EXP, F_LN, F_LOG10, F_LOG2, F_SIN, F_COS, F_TAN, F_ASIN, F_ACOS,
	     F_ATAN, F_DEGREES, F_RADIANS };

static const struct {
	const char *name;
	int op;
} fmath_ops[] = {
	{ "sqrt", F_SQRT }, { "cbrt", F_CBRT },	 { "exp", F_EXP },     { "ln", F_LN },
	{ "log", F_LOG10 }, { "log10", F_LOG10 }, { "log2", F_LOG2 },   { "sin", F_SIN },
	{ "cos", F_COS },   { "tan", F_TAN },	 { "asin", F_ASIN },   { "acos", F_ACOS },
	{ "atan", F_ATAN }, { "degrees", F_DEGREES }, { "radians", F_RADIANS },
};

static tarn_rc bind_fmath(struct ex_expr *e, struct tarn_err *err)
{
	TRY(ex_fn_want_numeric(e, 0, err));
	TRY(ex_fn_coerce(e, 0, TARN_T_FLOAT64, err));
	for (size_t i = 0; i < sizeof fmath_ops / sizeof *fmath_ops; i++)
		if (!strcasecmp(fmath_ops[i].name, e->fn->name))
			e->fn_arg = fmath_ops[i].op;
	tarn_type_init(&e->type, TARN_T_FLOAT64);
	return TARN_OK;
}

#define FLOOP(EXPR)                                                  \
	do {                                                         \
		for (int64_t k = 0; k < n; k++) {                    \
			int64_t i = ROW(k);                          \
			double v = x[c ? 0 : i];                     \
			z[i] = (EXPR);                               \
		}                                                    \
	} while (0)

static tarn_rc eval_fmath(const struct ex_expr *e, const struct ex_fargs *a, const uint32_t *sel,
			  int64_t n, struct tarn_array *r, struct tarn_err *err)
{
	TRY(ex_validity_and(r, a->v, 1, r->length));
	const double *x = (const double *)a->v[0].a->values;
	double *z = (double *)r->values;
	bool c = a->v[0].is_const;
	int op = e->fn_arg;
	if (op == F_SQRT || op == F_LN || op == F_LOG10 || op == F_LOG2) {
		/* domain errors, as DuckDB: no square root of a negative number,
		 * no logarithm of zero or a negative number (NaN passes) */
		for (int64_t k = 0; k < n; k++) {
			int64_t i = ROW(k);
			double v = x[c ? 0 : i];
			if (r->validity && !tarn_bit_get(r->validity, i))
				continue;
			if (op == F_SQRT ? v < 0 : v <= 0)
				return tarn_err_set(err, TARN_EDATA, "%s: cannot take %s of %s", e->fn->name,
						    op == F_SQRT ? "the square root" : "the logarithm",
						    v == 0 ? "zero" : "a negative number");
		}
	}
	switch (e->fn_arg) {
	case F_SQRT: FLOOP(sqrt(v)); break;
	case F_CBRT: FLOOP(cbrt(v)); break;
	case F_EXP: FLOOP(exp(v)); break;
	case F_LN: FLOOP(log(v)); break;
	case F_LOG10: FLOOP(log10(v)); break;
	case F_LOG2: FLOOP(log2(v)); break;
	case F_SIN: FLOOP(sin(v)); break;
	case F_COS: FLOOP(cos(v)); break;
	case F_TAN: FLOOP(tan(v)); break;
	case F_ASIN: FLOOP(asin(v)); break;
	case F_ACOS: FLOOP(acos(v)); break;
	case F_ATAN: FLOOP(atan(v)); break;
	case F_DEGREES: FLOOP(v * (180.0 / M_PI)); break;
	default: FLOOP(v * (M_PI / 180.0)); break;
	}
	return TARN_OK;
}

static tarn_rc bind_f2(struct ex_expr *e, struct tarn_err *err)
{
	for (int i = 0; i < 2; i++) {
		TRY(ex_fn_want_numeric(e, i, err));
		TRY(ex_fn_coerce(e, i, TARN_T_FLOAT64, err));
	}
	tarn_type_init(&e->type, TARN_T_FLOAT64);
	return TARN_OK;
}

static tarn_rc eval_pow(const struct ex_expr *e, const struct ex_fargs *a, const uint32_t *sel,
			int64_t n, struct tarn_array *r, struct tarn_err *err)
{
	TRY(ex_validity_and(r, a->v, 2, r->length));
	const double *x = (const double *)a->v[0].a->values, *y = (const double *)a->v[1].a->values;
	double *z = (double *)r->values;
	bool ac = a->v[0].is_const, bc = a->v[1].is_const;
	bool atan2_ = !strcasecmp(e->fn->name, "atan2");
	for (int64_t k = 0; k < n; k++) {
		int64_t i = ROW(k);
		double u = x[ac ? 0 : i], w = y[bc ? 0 : i];
		z[i] = atan2_ ? atan2(u, w) : pow(u, w);
	}
	return TARN_OK;
}

static tarn_rc bind_pi(struct ex_expr *e, struct tarn_err *err)
{
	tarn_type_init(&e->type, TARN_T_FLOAT64);
	return TARN_OK;
}

static tarn_rc eval_pi(const struct ex_expr *e, const struct ex_fargs *a, const uint32_t *sel,
		       int64_t n, struct tarn_array *r, struct tarn_err *err)
{
	for (int64_t k = 0; k < n; k++)
		((double *)r->values)[ROW(k)] = M_PI;
	return TARN_OK;
}

/* isnan / isinf / isfinite: integers and decimals are finite numbers */
static tarn_rc bind_fclass(struct ex_expr *e, struct tarn_err *err)
{
	TRY(ex_fn_want_numeric(e, 0, err));
	TRY(ex_fn_coerce(e, 0, TARN_T_FLOAT64, err));
	e->fn_arg = !strcasecmp(e->fn->name, "isnan") ? 0 : !strcasecmp(e->fn->name, "isinf") ? 1 : 2;
	tarn_type_init(&e->type, TARN_T_BOOL);
	return TARN_OK;
}

static tarn_rc eval_fclass(const struct ex_expr *e, const struct ex_fargs *a, const uint32_t *sel,
			   int64_t n, struct tarn_array *r, struct tarn_err *err)
{
	TRY(ex_validity_and(r, a->v, 1, r->length));
	const double *x = (const double *)a->v[0].a->values;
	bool c = a->v[0].is_const;
	for (int64_t k = 0; k < n; k++) {
		int64_t i = ROW(k);
		double v = x[c ? 0 : i];
		bool b = e->fn_arg == 0 ? isnan(v) : e->fn_arg == 1 ? isinf(v) : isfinite(v);
		bits_set(r->values, i, b);
	}
	return TARN_OK;
}

/* sign(x): -1, 0 or 1 as int8 (NaN: 0) */
static tarn_rc bind_sign(struct ex_expr *e, struct tarn_err *err)
{
	TRY(ex_fn_want_numeric(e, 0, err));
	tarn_type_init(&e->type, TARN_T_INT8);
	return TARN_OK;
}

static tarn_rc eval_sign(const struct ex_expr *e, const struct ex_fargs *a, const uint32_t *sel,
			 int64_t n, struct tarn_array *r, struct tarn_err *err)
{
	TRY(ex_validity_and(r, a->v, 1, r->length));
	const struct ex_vec *x = &a->v[0];
	int8_t *z = (int8_t *)r->values;
	for (int64_t k = 0; k < n; k++) {
		int64_t i = ROW(k), j = VROW(x, i);
		int s;
		switch (x->a->type->id) {
		case TARN_T_FLOAT32:
		case TARN_T_FLOAT64: {
			double d = tarn_array_get_double(x->a, j);
			s = (d > 0) - (d < 0);
			break;
		}
		case TARN_T_DECIMAL128: {
			tarn_i128 d = tarn_array_get_decimal(x->a, j);
			s = (d > 0) - (d < 0);
			break;
		}
		case TARN_T_UINT64: s = tarn_array_get_uint(x->a, j) > 0; break;
		default: {
			int64_t d = tarn_array_get_int(x->a, j);
			s = (d > 0) - (d < 0);
		}
		}
		z[i] = (int8_t)s;
	}
	return TARN_OK;
}

/* trunc(x): toward zero; decimals to scale 0, integers unchanged */
static tarn_rc bind_trunc(struct ex_expr *e, struct tarn_err *err)
{
	TRY(ex_fn_want_numeric(e, 0, err));
	const struct tarn_type *t = &e->args[0]->type;
	if (t->id == TARN_T_DECIMAL128) {
		tarn_type_init_decimal(&e->type, t->precision, 0);
		return TARN_OK;
	}
	return tarn_type_copy(&e->type, t);
}

static tarn_rc eval_trunc(const struct ex_expr *e, const struct ex_fargs *a, const uint32_t *sel,
			  int64_t n, struct tarn_array *r, struct tarn_err *err)
{
	const struct ex_vec *x = &a->v[0];
	TRY(ex_validity_and(r, x, 1, r->length));
	bool c = x->is_const;
	switch (e->type.id) {
	case TARN_T_FLOAT64:
		for (int64_t k = 0; k < n; k++) {
			int64_t i = ROW(k);
			((double *)r->values)[i] = trunc(((const double *)x->a->values)[c ? 0 : i]);
		}
		return TARN_OK;
	case TARN_T_FLOAT32:
		for (int64_t k = 0; k < n; k++) {
			int64_t i = ROW(k);
			((float *)r->values)[i] = truncf(((const float *)x->a->values)[c ? 0 : i]);
		}
		return TARN_OK;
	case TARN_T_DECIMAL128: {
		tarn_i128 p = ex_pow10(x->a->type->scale);
		for (int64_t k = 0; k < n; k++) {
			int64_t i = ROW(k);
			((tarn_i128 *)r->values)[i] = ((const tarn_i128 *)x->a->values)[c ? 0 : i] / p;
		}
		return TARN_OK;
	}
	default: return ex_kern_cast(&e->type, false, x, sel, n, r, err);
	}
}

static tarn_rc bind_gcd(struct ex_expr *e, struct tarn_err *err)
{
	TRY(ex_fn_want_int(e, 0, err));
	TRY(ex_fn_want_int(e, 1, err));
	tarn_type_init(&e->type, TARN_T_INT64);
	return TARN_OK;
}

static uint64_t ugcd(uint64_t a, uint64_t b)
{
	while (b) {
		uint64_t t = a % b;
		a = b;
		b = t;
	}
	return a;
}

static tarn_rc eval_gcd(const struct ex_expr *e, const struct ex_fargs *a, const uint32_t *sel,
			int64_t n, struct tarn_array *r, struct tarn_err *err)
{
	TRY(ex_validity_and(r, a->v, 2, r->length));
	const int64_t *x = (const int64_t *)a->v[0].a->values, *y = (const int64_t *)a->v[1].a->values;
	bool ac = a->v[0].is_const, bc = a->v[1].is_const, lcm = !strcasecmp(e->fn->name, "lcm");
	int64_t *z = (int64_t *)r->values;
	for (int64_t k = 0; k < n; k++) {
		int64_t i = ROW(k), u = x[ac ? 0 : i], w = y[bc ? 0 : i];
		uint64_t au = u < 0 ? -(uint64_t)u : (uint64_t)u, aw = w < 0 ? -(uint64_t)w : (uint64_t)w;
		uint64_t g = ugcd(au, aw), v;
		if (!lcm) {
			v = g;
		} else if (g == 0) {
			v = 0;
		} else if (__builtin_mul_overflow(au / g, aw, &v)) {
			if (!(r->validity && !tarn_bit_get(r->validity, i)))
				return tarn_err_set(err, TARN_EDATA, "lcm: integer overflow for %lld, %lld",
						    (long long)u, (long long)w);
		}
		if (v > INT64_MAX && !(r->validity && !tarn_bit_get(r->validity, i)))
			return tarn_err_set(err, TARN_EDATA, "%s: integer overflow", e->fn->name);
		z[i] = (int64_t)v;
	}
	return TARN_OK;
}

/* greatest / least: the common type of the arguments, NULLs skipped */
static tarn_rc bind_greatest(struct ex_expr *e, struct tarn_err *err)
{
	struct tarn_type t;
	TRY(ex_fn_coerce_common(e, &t, err));
	tarn_rc rc = tarn_type_copy(&e->type, &t);
	tarn_type_clear(&t);
	e->fn_arg = !strcasecmp(e->fn->name, "greatest");
	return rc;
}

static tarn_rc eval_greatest(const struct ex_expr *e, const struct ex_fargs *a, const uint32_t *sel,
			     int64_t n, struct tarn_array *r, struct tarn_err *err)
{
	/* per row, the winning argument; then one typed copy pass */
	int *win = tarn_malloc((size_t)(r->length > 0 ? r->length : 1) * sizeof *win);
	if (!win)
		return tarn_err_nomem(err, e->fn->name);
	bool nulls = false;
	for (int64_t k = 0; k < n; k++) {
		int64_t i = ROW(k);
		int w = -1;
		for (int j = 0; j < a->n; j++) {
			const struct ex_vec *v = &a->v[j];
			if (vec_null(v, i) || v->a->type->id == TARN_T_NULL)
				continue;
			if (w < 0) {
				w = j;
				continue;
			}
			const struct ex_vec *b = &a->v[w];
			int c = ex_value_cmp(v->a, VROW(v, i), b->a, VROW(b, i));
			if (e->fn_arg ? c > 0 : c < 0)
				w = j;
		}
		win[i] = w;
		nulls |= w < 0;
	}
	tarn_rc rc = TARN_OK;
	if (nulls && (rc = ex_scratch_validity(r))) {
		tarn_free(win);
		return tarn_err_nomem(err, e->fn->name);
	}
	struct ex_strout o = { 0 };
	bool str = r->type->id == TARN_T_STRING || r->type->id == TARN_T_BINARY;
	if (str)
		ex_strout_init(&o, r);
	int wd = tarn_type_width(r->type->id);
	for (int64_t k = 0; k < n && !rc; k++) {
		int64_t i = ROW(k);
		if (str)
			ex_strout_row(&o, i);
		if (win[i] < 0) {
			ex_set_null(r, i);
			continue;
		}
		const struct ex_vec *v = &a->v[win[i]];
		int64_t j = VROW(v, i);
		if (str) {
			size_t len;
			const uint8_t *p = tarn_array_get_bytes(v->a, j, &len);
			rc = ex_strout_put(&o, p, len);
		} else if (r->type->id == TARN_T_BOOL) {
			bits_set(r->values, i, tarn_bit_get(v->a->values, j));
		} else {
			memcpy(r->values + i * wd, v->a->values + j * wd, (size_t)wd);
		}
	}
	if (str)
		ex_strout_done(&o);
	tarn_free(win);
	return rc ? ex_fn_str_fail(rc, e->fn->name, err) : TARN_OK;
}

/* ---- strings ------------------------------------------------------------------------------------ */

static inline bool is_cont(uint8_t c)
{
	return (c & 0xc0) == 0x80;
}

static int64_t chars_in(const uint8_t *p, size_t n)
{
	int64_t c = 0;
	for (size_t i = 0; i < n; i++)
		c += !is_cont(p[i]);
	return c;
}

/* byte offset of character ch, clamped */
static size_t char_at(const uint8_t *p, size_t n, int64_t ch)
{
	size_t i = 0;
	for (; i < n && ch > 0; ch--) {
		i++;
		while (i < n && is_cont(p[i]))
			i++;
	}
	return i;
}

static tarn_rc bind_str_int(struct ex_expr *e, struct tarn_err *err)
{
	TRY(ex_fn_want_string(e, 0, err));
	TRY(ex_fn_want_int(e, 1, err));
	for (int i = 2; i < e->n_args; i++)
		TRY(ex_fn_want_string(e, i, err));
	tarn_type_init(&e->type, TARN_T_STRING);
	return TARN_OK;
}

enum { S_REPEAT, S_LEFT, S_RIGHT, S_LPAD, S_RPAD };

static tarn_rc str_int_kernel(int what, const struct ex_expr *e, const struct ex_fargs *a,
			      const uint32_t *sel, int64_t n, struct tarn_array *r,
			      struct tarn_err *err)
{
	TRY(ex_validity_and(r, a->v, a->n, r->length));
	struct ex_strout o;
	ex_strout_init(&o, r);
	tarn_rc rc = TARN_OK;
	for (int64_t k = 0; k < n && !rc; k++) {
		int64_t i = ROW(k);
		ex_strout_row(&o, i);
		if (r->validity && !tarn_bit_get(r->validity, i))
			continue;
		size_t len;
		const uint8_t *p = ex_str_at(&a->v[0], i, &len);
		int64_t cnt = ((const int64_t *)a->v[1].a->values)[VROW(&a->v[1], i)];
		int64_t chars = chars_in(p, len);
		switch (what) {
		case S_REPEAT:
			if (cnt > 0 && (int64_t)len * cnt > TARN_ARRAY_MAX_BYTES) {
				rc = TARN_ELIMIT;
				break;
			}
			for (int64_t t = 0; t < cnt && !rc; t++)
				rc = ex_strout_put(&o, p, len);
			break;
		case S_LEFT: {
			int64_t take = cnt >= 0 ? cnt : chars + cnt;
			if (take > 0)
				rc = ex_strout_put(&o, p, char_at(p, len, take));
			break;
		}
		case S_RIGHT: {
			int64_t take = cnt >= 0 ? cnt : chars + cnt;
			if (take > 0) {
				size_t from = char_at(p, len, chars > take ? chars - take : 0);
				rc = ex_strout_put(&o, p + from, len - from);
			}
			break;
		}
		default: {
			/* lpad/rpad to cnt characters with the fill (truncate when longer) */
			size_t fl;
			const uint8_t *fill = a->n > 2 ? ex_str_at(&a->v[2], i, &fl) : (const uint8_t *)" ";
			if (a->n <= 2)
				fl = 1;
			if (cnt > (int64_t)1 << 28) {
				rc = TARN_ELIMIT;
				break;
			}
			if (cnt <= chars) {
				if (cnt > 0)
					rc = ex_strout_put(&o, p, char_at(p, len, cnt));
				break;
			}
			int64_t need = cnt - chars;
			if (what == S_RPAD)
				rc = ex_strout_put(&o, p, len);
			int64_t fchars = chars_in(fill, fl);
			for (int64_t done = 0; !rc && fchars > 0 && done < need;) {
				int64_t take = need - done < fchars ? need - done : fchars;
				rc = ex_strout_put(&o, fill, char_at(fill, fl, take));
				done += take;
			}
			if (!rc && what == S_LPAD)
				rc = ex_strout_put(&o, p, len);
		}
		}
	}
	ex_strout_done(&o);
	return rc ? ex_fn_str_fail(rc, e->fn->name, err) : TARN_OK;
}

#define STR_INT(NAME, WHAT)                                                                  \
	static tarn_rc eval_##NAME(const struct ex_expr *e, const struct ex_fargs *a,        \
				   const uint32_t *sel, int64_t n, struct tarn_array *r,     \
				   struct tarn_err *err)                                     \
	{                                                                                    \
		return str_int_kernel(WHAT, e, a, sel, n, r, err);                           \
	}
STR_INT(repeat, S_REPEAT)
STR_INT(left, S_LEFT)
STR_INT(right, S_RIGHT)
STR_INT(lpad, S_LPAD)
STR_INT(rpad, S_RPAD)

static tarn_rc bind_strs(struct ex_expr *e, struct tarn_err *err)
{
	for (int i = 0; i < e->n_args; i++)
		TRY(ex_fn_want_string(e, i, err));
	tarn_type_init(&e->type, TARN_T_STRING);
	return TARN_OK;
}

static tarn_rc eval_reverse(const struct ex_expr *e, const struct ex_fargs *a, const uint32_t *sel,
			    int64_t n, struct tarn_array *r, struct tarn_err *err)
{
	TRY(ex_validity_and(r, a->v, 1, r->length));
	struct ex_strout o;
	ex_strout_init(&o, r);
	tarn_rc rc = TARN_OK;
	for (int64_t k = 0; k < n && !rc; k++) {
		int64_t i = ROW(k);
		ex_strout_row(&o, i);
		if (vec_null(&a->v[0], i))
			continue;
		size_t len;
		const uint8_t *p = ex_str_at(&a->v[0], i, &len);
		/* characters in reverse order, each kept whole */
		for (size_t end = len; end > 0 && !rc;) {
			size_t st = end - 1;
			while (st > 0 && is_cont(p[st]))
				st--;
			rc = ex_strout_put(&o, p + st, end - st);
			end = st;
		}
	}
	ex_strout_done(&o);
	return rc ? ex_fn_str_fail(rc, "reverse", err) : TARN_OK;
}

/* split_part(s, delim, k): the k-th field (1-based; negative from the
 * end); '' when there is no such field */
static tarn_rc bind_split_part(struct ex_expr *e, struct tarn_err *err)
{
	TRY(ex_fn_want_string(e, 0, err));
	TRY(ex_fn_want_string(e, 1, err));
	TRY(ex_fn_want_int(e, 2, err));
	tarn_type_init(&e->type, TARN_T_STRING);
	return TARN_OK;
}

static tarn_rc eval_split_part(const struct ex_expr *e, const struct ex_fargs *a,
			       const uint32_t *sel, int64_t n, struct tarn_array *r,
			       struct tarn_err *err)
{
	TRY(ex_validity_and(r, a->v, 3, r->length));
	struct ex_strout o;
	ex_strout_init(&o, r);
	tarn_rc rc = TARN_OK;
	for (int64_t k = 0; k < n && !rc; k++) {
		int64_t i = ROW(k);
		ex_strout_row(&o, i);
		if (r->validity && !tarn_bit_get(r->validity, i))
			continue;
		size_t len, dl;
		const uint8_t *p = ex_str_at(&a->v[0], i, &len), *d = ex_str_at(&a->v[1], i, &dl);
		int64_t want = ((const int64_t *)a->v[2].a->values)[VROW(&a->v[2], i)];
		/* field boundaries */
		size_t starts[1024], ends[1024];
		int nf = 0;
		size_t pos = 0;
		for (;;) {
			const uint8_t *hit = dl && pos <= len ? memmem(p + pos, len - pos, d, dl) : NULL;
			size_t end = hit ? (size_t)(hit - p) : len;
			if (nf < 1024) {
				starts[nf] = pos;
				ends[nf] = end;
			}
			nf++;
			if (!hit)
				break;
			pos = end + dl;
		}
		if (nf > 1024)
			nf = 1024;
		int64_t f = want > 0 ? want - 1 : nf + want;
		if (want != 0 && f >= 0 && f < nf)
			rc = ex_strout_put(&o, p + starts[f], ends[f] - starts[f]);
	}
	ex_strout_done(&o);
	return rc ? ex_fn_str_fail(rc, "split_part", err) : TARN_OK;
}

/* concat_ws(sep, a, ...): NULL arguments skipped; NULL separator gives NULL */
static tarn_rc bind_concat_ws(struct ex_expr *e, struct tarn_err *err)
{
	struct tarn_type st;
	tarn_type_init(&st, TARN_T_STRING);
	for (int i = 0; i < e->n_args; i++)
		TRY(ex_expr_coerce(&e->args[i], &st, err));
	tarn_type_init(&e->type, TARN_T_STRING);
	return TARN_OK;
}

static tarn_rc eval_concat_ws(const struct ex_expr *e, const struct ex_fargs *a,
			      const uint32_t *sel, int64_t n, struct tarn_array *r,
			      struct tarn_err *err)
{
	TRY(ex_validity_and(r, a->v, 1, r->length));
	struct ex_strout o;
	ex_strout_init(&o, r);
	tarn_rc rc = TARN_OK;
	for (int64_t k = 0; k < n && !rc; k++) {
		int64_t i = ROW(k);
		ex_strout_row(&o, i);
		if (vec_null(&a->v[0], i) || a->v[0].a->type->id == TARN_T_NULL)
			continue;
		size_t sl;
		const uint8_t *sp = ex_str_at(&a->v[0], i, &sl);
		bool first = true;
		for (int j = 1; j < a->n && !rc; j++) {
			if (vec_null(&a->v[j], i) || a->v[j].a->type->id == TARN_T_NULL)
				continue;
			size_t l;
			const uint8_t *p = ex_str_at(&a->v[j], i, &l);
			if (!first)
				rc = ex_strout_put(&o, sp, sl);
			if (!rc)
				rc = ex_strout_put(&o, p, l);
			first = false;
		}
	}
	ex_strout_done(&o);
	return rc ? ex_fn_str_fail(rc, "concat_ws", err) : TARN_OK;
}

/* ascii(s): the first character's code point (0 for ''); chr(n): back */
static tarn_rc bind_ascii(struct ex_expr *e, struct tarn_err *err)
{
	TRY(ex_fn_want_string(e, 0, err));
	tarn_type_init(&e->type, TARN_T_INT32);
	return TARN_OK;
}

/* The first character's code point of each string, `empty` for '' (ascii
 * gives 0, unicode -1, as DuckDB); shared with func_extra.c. */
tarn_rc ex_fn_first_codepoint(const struct ex_fargs *a, const uint32_t *sel, int64_t n,
			      struct tarn_array *r, int32_t empty)
{
	TRY(ex_validity_and(r, a->v, 1, r->length));
	for (int64_t k = 0; k < n; k++) {
		int64_t i = ROW(k);
		size_t len;
		const uint8_t *p = ex_str_at(&a->v[0], i, &len);
		int32_t cp = empty;
		if (len) {
			uint8_t c = p[0];
			int extra = c < 0x80 ? 0 : c < 0xe0 ? 1 : c < 0xf0 ? 2 : 3;
			uint32_t u = extra == 0 ? c : (uint32_t)(c & (0x3f >> extra));
			for (int b = 1; b <= extra && (size_t)b < len; b++)
				u = (u << 6) | (p[b] & 0x3f);
			cp = (int32_t)u;
		}
		((int32_t *)r->values)[i] = cp;
	}
	return TARN_OK;
}

static tarn_rc eval_ascii(const struct ex_expr *e, const struct ex_fargs *a, const uint32_t *sel,
			  int64_t n, struct tarn_array *r, struct tarn_err *err)
{
	return ex_fn_first_codepoint(a, sel, n, r, 0);
}

static tarn_rc bind_chr(struct ex_expr *e, struct tarn_err *err)
{
	TRY(ex_fn_want_int(e, 0, err));
	tarn_type_init(&e->type, TARN_T_STRING);
	return TARN_OK;
}

static tarn_rc eval_chr(const struct ex_expr *e, const struct ex_fargs *a, const uint32_t *sel,
			int64_t n, struct tarn_array *r, struct tarn_err *err)
{
	TRY(ex_validity_and(r, a->v, 1, r->length));
	struct ex_strout o;
	ex_strout_init(&o, r);
	tarn_rc rc = TARN_OK;
	for (int64_t k = 0; k < n && !rc; k++) {
		int64_t i = ROW(k);
		ex_strout_row(&o, i);
		if (vec_null(&a->v[0], i))
			continue;
		int64_t cp = ((const int64_t *)a->v[0].a->values)[VROW(&a->v[0], i)];
		if (cp < 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
			ex_strout_done(&o);
			return tarn_err_set(err, TARN_EDATA, "chr: %lld is not a Unicode code point",
					    (long long)cp);
		}
		uint8_t b[4];
		size_t l;
		if (cp < 0x80) {
			b[0] = (uint8_t)cp;
			l = 1;
		} else if (cp < 0x800) {
			b[0] = (uint8_t)(0xc0 | (cp >> 6));
			b[1] = (uint8_t)(0x80 | (cp & 0x3f));
			l = 2;
		} else if (cp < 0x10000) {
			b[0] = (uint8_t)(0xe0 | (cp >> 12));
			b[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
			b[2] = (uint8_t)(0x80 | (cp & 0x3f));
			l = 3;
		} else {
			b[0] = (uint8_t)(0xf0 | (cp >> 18));
			b[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
			b[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
			b[3] = (uint8_t)(0x80 | (cp & 0x3f));
			l = 4;
		}
		rc = ex_strout_put(&o, b, l);
	}
	ex_strout_done(&o);
	return rc ? ex_fn_str_fail(rc, "chr", err) : TARN_OK;
}

/* MD5 (RFC 1321) of the bytes, as 32 lowercase hex digits. */
static void md5(const uint8_t *msg, size_t len, uint8_t out[16])
{
	static const uint32_t K[64] = {
		0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613,
		0xfd469501, 0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193,
		0xa679438e, 0x49b40821, 0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d,
		0x02441453, 0xd8a1e681, 0xe7d3fbc8, 0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed,
		0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a, 0xfffa3942, 0x8771f681, 0x6d9d6122,
		0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70, 0x289b7ec6, 0xeaa127fa,
		0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665, 0xf4292244,
		0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
		0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb,
		0xeb86d391
	};
	static const uint8_t S[64] = { 7,  12, 17, 22, 7,  12, 17, 22, 7,  12, 17, 22, 7,  12, 17, 22,
				       5,  9,  14, 20, 5,  9,  14, 20, 5,  9,  14, 20, 5,  9,  14, 20,
				       4,  11, 16, 23, 4,  11, 16, 23, 4,  11, 16, 23, 4,  11, 16, 23,
				       6,  10, 15, 21, 6,  10, 15, 21, 6,  10, 15, 21, 6,  10, 15, 21 };
	uint32_t h[4] = { 0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476 };
	uint64_t bits = (uint64_t)len * 8;
	size_t total = ((len + 8) / 64 + 1) * 64;
	for (size_t off = 0; off < total; off += 64) {
		uint8_t blk[64];
		for (size_t b = 0; b < 64; b++) {
			size_t at = off + b;
			blk[b] = at < len ? msg[at] : at == len ? 0x80 : 0;
		}
		if (off + 64 == total)
			for (int b = 0; b < 8; b++)
				blk[56 + b] = (uint8_t)(bits >> (8 * b));
		uint32_t m[16];
		for (int w = 0; w < 16; w++)
			m[w] = (uint32_t)blk[4 * w] | (uint32_t)blk[4 * w + 1] << 8 |
			       (uint32_t)blk[4 * w + 2] << 16 | (uint32_t)blk[4 * w + 3] << 24;
		uint32_t A = h[0], B = h[1], C = h[2], D = h[3];
		for (int i = 0; i < 64; i++) {
			uint32_t F;
			int g;
			if (i < 16) {
				F = (B & C) | (~B & D);
				g = i;
			} else if (i < 32) {
				F = (D & B) | (~D & C);
				g = (5 * i + 1) % 16;
			} else if (i < 48) {
				F = B ^ C ^ D;
				g = (3 * i + 5) % 16;
			} else {
				F = C ^ (B | ~D);
				g = (7 * i) % 16;
			}
			F = F + A + K[i] + m[g];
			A = D;
			D = C;
			C = B;
			B = B + ((F << S[i]) | (F >> (32 - S[i])));
		}
		h[0] += A;
		h[1] += B;
		h[2] += C;
		h[3] += D;
	}
	for (int w = 0; w < 4; w++)
		for (int b = 0; b < 4; b++)
			out[4 * w + b] = (uint8_t)(h[w] >> (8 * b));
}

tarn_rc ex_fn_digest_hex(const struct ex_fargs *a, const uint32_t *sel, int64_t n,
			  struct tarn_array *r, void (*digest)(const uint8_t *, size_t, uint8_t *),
			  int bytes, const char *fn, struct tarn_err *err)
{
	TRY(ex_validity_and(r, a->v, 1, r->length));
	struct ex_strout o;
	ex_strout_init(&o, r);
	tarn_rc rc = TARN_OK;
	static const char hex[] = "0123456789abcdef";
	for (int64_t k = 0; k < n && !rc; k++) {
		int64_t i = ROW(k);
		ex_strout_row(&o, i);
		if (vec_null(&a->v[0], i))
			continue;
		size_t len;
		const uint8_t *p = ex_str_at(&a->v[0], i, &len);
		uint8_t d[64];
		char t[128];
		digest(p, len, d);
		for (int b = 0; b < bytes; b++) {
			t[2 * b] = hex[d[b] >> 4];
			t[2 * b + 1] = hex[d[b] & 15];
		}
		rc = ex_strout_put(&o, t, (size_t)bytes * 2);
	}
	ex_strout_done(&o);
	return rc ? ex_fn_str_fail(rc, fn, err) : TARN_OK;
}

static tarn_rc eval_md5(const struct ex_expr *e, const struct ex_fargs *a, const uint32_t *sel,
			int64_t n, struct tarn_array *r, struct tarn_err *err)
{
	return ex_fn_digest_hex(a, sel, n, r, md5, 16, "md5", err);
}

/* ---- dates ---------------------------------------------------------------------------------------- */

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

/* A temporal value as microseconds since the epoch (dates: midnight). */
static int64_t to_us(const struct tarn_array *a, int64_t i)
{
	if (a->type->id == TARN_T_DATE32)
		return (int64_t)((const int32_t *)a->values)[i] * 86400000000LL;
	int64_t v = ((const int64_t *)a->values)[i];
	switch (a->type->unit) {
	case TARN_UNIT_S: return v * 1000000;
	case TARN_UNIT_MS: return v * 1000;
	case TARN_UNIT_NS: return floor_div(v, 1000);
	default: return v;
	}
}

enum dpart { D_YEAR, D_QUARTER, D_MONTH, D_WEEK, D_DAY, D_HOUR, D_MINUTE, D_SECOND, D_MS, D_US };

static const struct ex_part_name dparts[] = {
	{ "year", D_YEAR },	{ "years", D_YEAR },	 { "quarter", D_QUARTER }, { "quarters", D_QUARTER },
	{ "month", D_MONTH },	{ "months", D_MONTH },	 { "week", D_WEEK },	   { "weeks", D_WEEK },
	{ "day", D_DAY },	{ "days", D_DAY },	 { "hour", D_HOUR },	   { "hours", D_HOUR },
	{ "minute", D_MINUTE }, { "minutes", D_MINUTE }, { "second", D_SECOND },   { "seconds", D_SECOND },
	{ "millisecond", D_MS }, { "milliseconds", D_MS }, { "microsecond", D_US }, { "microseconds", D_US },
};

static tarn_rc bind_date_diff(struct ex_expr *e, struct tarn_err *err)
{
	TRY(ex_fn_const_part(e, dparts, sizeof dparts / sizeof *dparts, "part", err));
	TRY(ex_fn_want_temporal(e, 1, false, err));
	TRY(ex_fn_want_temporal(e, 2, false, err));
	tarn_type_init(&e->type, TARN_T_INT64);
	return TARN_OK;
}

static int64_t months_of(int64_t us)
{
	int64_t y;
	unsigned m, d;
	tarn_civil_from_days(floor_div(us, 86400000000LL), &y, &m, &d);
	return y * 12 + (int64_t)(m - 1);
}

static tarn_rc eval_date_diff(const struct ex_expr *e, const struct ex_fargs *a, const uint32_t *sel,
			      int64_t n, struct tarn_array *r, struct tarn_err *err)
{
	TRY(ex_validity_and(r, a->v + 1, 2, r->length));
	int64_t *z = (int64_t *)r->values;
	static const int64_t unit[] = { 0, 0, 0, 7 * 86400000000LL, 86400000000LL, 3600000000LL,
					60000000LL, 1000000LL, 1000LL, 1LL };
	for (int64_t k = 0; k < n; k++) {
		int64_t i = ROW(k);
		if (r->validity && !tarn_bit_get(r->validity, i))
			continue;
		int64_t s = to_us(a->v[1].a, VROW(&a->v[1], i)), t = to_us(a->v[2].a, VROW(&a->v[2], i));
		int64_t v;
		switch (e->fn_arg) {
		case D_YEAR: v = months_of(t) / 12 - months_of(s) / 12; break;
		case D_QUARTER: v = floor_div(months_of(t), 3) - floor_div(months_of(s), 3); break;
		case D_MONTH: v = months_of(t) - months_of(s); break;
		case D_WEEK: {
			/* ISO weeks start on Monday: count Mondays crossed */
			int64_t ds = floor_div(s, 86400000000LL), dt = floor_div(t, 86400000000LL);
			v = floor_div(dt + 3, 7) - floor_div(ds + 3, 7);
			break;
		}
		default: v = floor_div(t, unit[e->fn_arg]) - floor_div(s, unit[e->fn_arg]); break;
		}
		z[i] = v;
	}
	return TARN_OK;
}

/* epoch(x): seconds as float64; epoch_ms(x): milliseconds as int64 */
static tarn_rc bind_epoch(struct ex_expr *e, struct tarn_err *err)
{
	/* epoch_ms(integer): the timestamp that many milliseconds after 1970 */
	if (!strcasecmp(e->fn->name, "epoch_ms") && tarn_type_is_integer(e->args[0]->type.id)) {
		TRY(ex_fn_coerce(e, 0, TARN_T_INT64, err));
		e->fn_arg = 2;
		return tarn_type_init_timestamp(&e->type, TARN_UNIT_US, NULL);
	}
	TRY(ex_fn_want_temporal(e, 0, false, err));
	e->fn_arg = !strcasecmp(e->fn->name, "epoch_ms");
	tarn_type_init(&e->type, e->fn_arg ? TARN_T_INT64 : TARN_T_FLOAT64);
	return TARN_OK;
}

static tarn_rc eval_epoch(const struct ex_expr *e, const struct ex_fargs *a, const uint32_t *sel,
			  int64_t n, struct tarn_array *r, struct tarn_err *err)
{
	TRY(ex_validity_and(r, a->v, 1, r->length));
	if (e->fn_arg == 2) {
		for (int64_t k = 0; k < n; k++) {
			int64_t i = ROW(k), ms = ((const int64_t *)a->v[0].a->values)[VROW(&a->v[0], i)];
			if (r->validity && !tarn_bit_get(r->validity, i))
				continue;
			if (ms > INT64_MAX / 1000 || ms < INT64_MIN / 1000)
				return tarn_err_set(err, TARN_EDATA, "epoch_ms: %lld is out of range",
						    (long long)ms);
			((int64_t *)r->values)[i] = ms * 1000;
		}
		return TARN_OK;
	}
	for (int64_t k = 0; k < n; k++) {
		int64_t i = ROW(k), us = to_us(a->v[0].a, VROW(&a->v[0], i));
		if (e->fn_arg)
			((int64_t *)r->values)[i] = floor_div(us, 1000);
		else
			((double *)r->values)[i] = (double)us / 1e6;
	}
	return TARN_OK;
}

static tarn_rc bind_make_date(struct ex_expr *e, struct tarn_err *err)
{
	for (int i = 0; i < 3; i++)
		TRY(ex_fn_want_int(e, i, err));
	tarn_type_init(&e->type, TARN_T_DATE32);
	return TARN_OK;
}

static tarn_rc eval_make_date(const struct ex_expr *e, const struct ex_fargs *a, const uint32_t *sel,
			      int64_t n, struct tarn_array *r, struct tarn_err *err)
{
	TRY(ex_validity_and(r, a->v, 3, r->length));
	for (int64_t k = 0; k < n; k++) {
		int64_t i = ROW(k);
		if (r->validity && !tarn_bit_get(r->validity, i))
			continue;
		int64_t y = ((const int64_t *)a->v[0].a->values)[VROW(&a->v[0], i)];
		int64_t m = ((const int64_t *)a->v[1].a->values)[VROW(&a->v[1], i)];
		int64_t d = ((const int64_t *)a->v[2].a->values)[VROW(&a->v[2], i)];
		static const int dim[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
		bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
		if (y < -5000000 || y > 5000000 || m < 1 || m > 12 || d < 1 ||
		    d > dim[m - 1] + (m == 2 && leap))
			return tarn_err_set(err, TARN_EDATA, "make_date: %lld-%lld-%lld is not a date",
					    (long long)y, (long long)m, (long long)d);
		((int32_t *)r->values)[i] = tarn_days_from_civil(y, (unsigned)m, (unsigned)d);
	}
	return TARN_OK;
}

static const char *const day_names[] = { "Sunday",   "Monday", "Tuesday", "Wednesday",
					 "Thursday", "Friday", "Saturday" };
static const char *const month_names[] = { "January", "February", "March",     "April",
					   "May",     "June",     "July",      "August",
					   "September", "October", "November", "December" };

static tarn_rc bind_dayname(struct ex_expr *e, struct tarn_err *err)
{
	TRY(ex_fn_want_temporal(e, 0, false, err));
	e->fn_arg = !strcasecmp(e->fn->name, "monthname");
	tarn_type_init(&e->type, TARN_T_STRING);
	return TARN_OK;
}

/* Appends strftime(fmt) of a microsecond instant. */
static tarn_rc format_time(struct ex_strout *o, const uint8_t *fmt, size_t fl, int64_t us)
{
	int64_t days = floor_div(us, 86400000000LL), tod = us - days * 86400000000LL;
	int64_t y;
	unsigned m, d;
	tarn_civil_from_days(days, &y, &m, &d);
	int dow = (int)(((days + 4) % 7 + 7) % 7);
	int64_t h = tod / 3600000000LL, mi = tod / 60000000LL % 60, s = tod / 1000000 % 60,
		frac = tod % 1000000;
	char b[64];
	for (size_t i = 0; i < fl; i++) {
		if (fmt[i] != '%' || i + 1 >= fl) {
			TRY(ex_strout_put(o, fmt + i, 1));
			continue;
		}
		int len;
		bool nopad = fmt[i + 1] == '-' && i + 2 < fl;
		if (nopad)
			i++;
		switch (fmt[++i]) {
		case 'Y': len = snprintf(b, sizeof b, "%04lld", (long long)y); break;
		case 'y': len = snprintf(b, sizeof b, "%02lld", (long long)(((y % 100) + 100) % 100)); break;
		case 'm': len = snprintf(b, sizeof b, "%02u", m); break;
		case 'd': len = snprintf(b, sizeof b, "%02u", d); break;
		case 'H': len = snprintf(b, sizeof b, "%02lld", (long long)h); break;
		case 'I': len = snprintf(b, sizeof b, "%02lld", (long long)((h + 11) % 12 + 1)); break;
		case 'p': len = snprintf(b, sizeof b, "%s", h < 12 ? "AM" : "PM"); break;
		case 'M': len = snprintf(b, sizeof b, "%02lld", (long long)mi); break;
		case 'S': len = snprintf(b, sizeof b, "%02lld", (long long)s); break;
		case 'f': len = snprintf(b, sizeof b, "%06lld", (long long)frac); break;
		case 'j': len = snprintf(b, sizeof b, "%03lld",
					 (long long)(days - tarn_days_from_civil(y, 1, 1) + 1)); break;
		case 'a': len = snprintf(b, sizeof b, "%.3s", day_names[dow]); break;
		case 'A': len = snprintf(b, sizeof b, "%s", day_names[dow]); break;
		case 'w': len = snprintf(b, sizeof b, "%d", dow); break;
		case 'b': len = snprintf(b, sizeof b, "%.3s", month_names[m - 1]); break;
		case 'B': len = snprintf(b, sizeof b, "%s", month_names[m - 1]); break;
		case '%': len = snprintf(b, sizeof b, "%%"); break;
		default: len = snprintf(b, sizeof b, "%%%c", fmt[i]); break;
		}
		const char *bp = b;
		if (nopad) /* %-d, %-m, ...: without leading zeros */
			while (len > 1 && *bp == '0') {
				bp++;
				len--;
			}
		TRY(ex_strout_put(o, bp, (size_t)len));
	}
	return TARN_OK;
}

static tarn_rc eval_dayname(const struct ex_expr *e, const struct ex_fargs *a, const uint32_t *sel,
			    int64_t n, struct tarn_array *r, struct tarn_err *err)
{
	TRY(ex_validity_and(r, a->v, 1, r->length));
	struct ex_strout o;
	ex_strout_init(&o, r);
	tarn_rc rc = TARN_OK;
	const uint8_t *f = (const uint8_t *)(e->fn_arg ? "%B" : "%A");
	for (int64_t k = 0; k < n && !rc; k++) {
		int64_t i = ROW(k);
		ex_strout_row(&o, i);
		if (!vec_null(&a->v[0], i))
			rc = format_time(&o, f, 2, to_us(a->v[0].a, VROW(&a->v[0], i)));
	}
	ex_strout_done(&o);
	return rc ? ex_fn_str_fail(rc, e->fn->name, err) : TARN_OK;
}

static tarn_rc bind_strftime(struct ex_expr *e, struct tarn_err *err)
{
	TRY(ex_fn_want_temporal(e, 0, false, err));
	TRY(ex_fn_want_string(e, 1, err));
	tarn_type_init(&e->type, TARN_T_STRING);
	return TARN_OK;
}

static tarn_rc eval_strftime(const struct ex_expr *e, const struct ex_fargs *a, const uint32_t *sel,
			     int64_t n, struct tarn_array *r, struct tarn_err *err)
{
	TRY(ex_validity_and(r, a->v, 2, r->length));
	struct ex_strout o;
	ex_strout_init(&o, r);
	tarn_rc rc = TARN_OK;
	for (int64_t k = 0; k < n && !rc; k++) {
		int64_t i = ROW(k);
		ex_strout_row(&o, i);
		if (r->validity && !tarn_bit_get(r->validity, i))
			continue;
		size_t fl;
		const uint8_t *f = ex_str_at(&a->v[1], i, &fl);
		rc = format_time(&o, f, fl, to_us(a->v[0].a, VROW(&a->v[0], i)));
	}
	ex_strout_done(&o);
	return rc ? ex_fn_str_fail(rc, "strftime", err) : TARN_OK;
}

/* hash(a, ...): a 64-bit hash of the values (uint64); NULL hashes too.
 * Equal values hash equal within a build of tarn (not DuckDB's values). */
static tarn_rc bind_hash(struct ex_expr *e, struct tarn_err *err)
{
	tarn_type_init(&e->type, TARN_T_UINT64);
	return TARN_OK;
}

static tarn_rc eval_hash(const struct ex_expr *e, const struct ex_fargs *a, const uint32_t *sel,
			 int64_t n, struct tarn_array *r, struct tarn_err *err)
{
	uint64_t *z = (uint64_t *)r->values;
	uint64_t *h = tarn_malloc((size_t)(n > 0 ? n : 1) * sizeof *h);
	if (!h)
		return tarn_err_nomem(err, "hash");
	for (int j = 0; j < a->n; j++)
		ex_hash_column(a->v[j].a, a->v[j].is_const, sel, n, h, j > 0);
	for (int64_t k = 0; k < n; k++)
		z[ROW(k)] = ex_hash_u64(h[k] ^ (uint64_t)a->n);
	tarn_free(h);
	return TARN_OK;
}

/* last_day(x): the last day of x's month (a date) */
static tarn_rc bind_last_day(struct ex_expr *e, struct tarn_err *err)
{
	TRY(ex_fn_want_temporal(e, 0, false, err));
	tarn_type_init(&e->type, TARN_T_DATE32);
	return TARN_OK;
}

static tarn_rc eval_last_day(const struct ex_expr *e, const struct ex_fargs *a, const uint32_t *sel,
			     int64_t n, struct tarn_array *r, struct tarn_err *err)
{
	TRY(ex_validity_and(r, a->v, 1, r->length));
	for (int64_t k = 0; k < n; k++) {
		int64_t i = ROW(k), y;
		unsigned m, d;
		int64_t days = floor_div(to_us(a->v[0].a, VROW(&a->v[0], i)), 86400000000LL);
		tarn_civil_from_days(days, &y, &m, &d);
		int64_t first_next = m == 12 ? tarn_days_from_civil(y + 1, 1, 1)
					     : tarn_days_from_civil(y, m + 1, 1);
		((int32_t *)r->values)[i] = (int32_t)(first_next - 1);
	}
	return TARN_OK;
}

/* make_timestamp(y, m, d, h, mi, s): microseconds; s may have a fraction */
static tarn_rc bind_make_ts(struct ex_expr *e, struct tarn_err *err)
{
	for (int i = 0; i < 5; i++)
		TRY(ex_fn_want_int(e, i, err));
	TRY(ex_fn_want_numeric(e, 5, err));
	TRY(ex_fn_coerce(e, 5, TARN_T_FLOAT64, err));
	return tarn_type_init_timestamp(&e->type, TARN_UNIT_US, NULL);
}

static tarn_rc eval_make_ts(const struct ex_expr *e, const struct ex_fargs *a, const uint32_t *sel,
			    int64_t n, struct tarn_array *r, struct tarn_err *err)
{
	TRY(ex_validity_and(r, a->v, 6, r->length));
	for (int64_t k = 0; k < n; k++) {
		int64_t i = ROW(k), f[5];
		if (r->validity && !tarn_bit_get(r->validity, i))
			continue;
		for (int j = 0; j < 5; j++)
			f[j] = ((const int64_t *)a->v[j].a->values)[VROW(&a->v[j], i)];
		double sec = ((const double *)a->v[5].a->values)[VROW(&a->v[5], i)];
		static const int dim[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
		bool leap = (f[0] % 4 == 0 && f[0] % 100 != 0) || f[0] % 400 == 0;
		if (f[0] < -290000 || f[0] > 290000 || f[1] < 1 || f[1] > 12 || f[2] < 1 ||
		    f[2] > dim[f[1] - 1] + (f[1] == 2 && leap) || f[3] < 0 || f[3] > 23 || f[4] < 0 ||
		    f[4] > 59 || !(sec >= 0 && sec < 60))
			return tarn_err_set(err, TARN_EDATA, "make_timestamp: not a valid date and time");
		int64_t days = tarn_days_from_civil(f[0], (unsigned)f[1], (unsigned)f[2]);
		((int64_t *)r->values)[i] = days * 86400000000LL + f[3] * 3600000000LL +
					    f[4] * 60000000LL + (int64_t)llround(sec * 1e6);
	}
	return TARN_OK;
}

/* ---- the table --------------------------------------------------------------------------------------- */

#define FMATH(NAME, HELP) { NAME, 1, 1, HELP, bind_fmath, eval_fmath }

const struct ex_func ex_funcs_more[] = {
	FMATH("sqrt", "sqrt(x): square root (float64)"),
	FMATH("cbrt", "cbrt(x): cube root"),
	FMATH("exp", "exp(x): e to the x"),
	FMATH("ln", "ln(x): natural logarithm"),
	FMATH("log", "log(x): base-10 logarithm"),
	FMATH("log10", "log10(x): base-10 logarithm"),
	FMATH("log2", "log2(x): base-2 logarithm"),
	FMATH("sin", "sin(x)"),
	FMATH("cos", "cos(x)"),
	FMATH("tan", "tan(x)"),
	FMATH("asin", "asin(x)"),
	FMATH("acos", "acos(x)"),
	FMATH("atan", "atan(x)"),
	FMATH("degrees", "degrees(x): radians to degrees"),
	FMATH("radians", "radians(x): degrees to radians"),
	{ "pow", 2, 2, "pow(x, y): x to the y (float64)", bind_f2, eval_pow },
	{ "power", 2, 2, "power(x, y): pow", bind_f2, eval_pow },
	{ "atan2", 2, 2, "atan2(y, x)", bind_f2, eval_pow },
	{ "pi", 0, 0, "pi()", bind_pi, eval_pi },
	{ "isnan", 1, 1, "isnan(x)", bind_fclass, eval_fclass },
	{ "isinf", 1, 1, "isinf(x)", bind_fclass, eval_fclass },
	{ "isfinite", 1, 1, "isfinite(x)", bind_fclass, eval_fclass },
	{ "sign", 1, 1, "sign(x): -1, 0 or 1", bind_sign, eval_sign },
	{ "trunc", 1, 1, "trunc(x): toward zero (decimals: scale 0)", bind_trunc, eval_trunc },
	{ "gcd", 2, 2, "gcd(a, b): greatest common divisor", bind_gcd, eval_gcd },
	{ "lcm", 2, 2, "lcm(a, b): least common multiple (overflow is an error)", bind_gcd, eval_gcd },
	{ "greatest", 1, -1, "greatest(a, ...): the largest, NULLs skipped", bind_greatest,
	  eval_greatest },
	{ "least", 1, -1, "least(a, ...): the smallest, NULLs skipped", bind_greatest, eval_greatest },
	{ "repeat", 2, 2, "repeat(s, n): s n times", bind_str_int, eval_repeat },
	{ "left", 2, 2, "left(s, n): the first n characters (n < 0: all but the last -n)",
	  bind_str_int, eval_left },
	{ "right", 2, 2, "right(s, n): the last n characters", bind_str_int, eval_right },
	{ "lpad", 2, 3, "lpad(s, n [, fill]): pad on the left to n characters (or cut)",
	  bind_str_int, eval_lpad },
	{ "rpad", 2, 3, "rpad(s, n [, fill]): pad on the right", bind_str_int, eval_rpad },
	{ "reverse", 1, 1, "reverse(s): the characters in reverse order", bind_strs, eval_reverse },
	{ "split_part", 3, 3, "split_part(s, delim, k): the k-th field (1-based, negative from the end)",
	  bind_split_part, eval_split_part },
	{ "concat_ws", 2, -1, "concat_ws(sep, a, ...): joined with sep, NULLs skipped",
	  bind_concat_ws, eval_concat_ws },
	{ "ascii", 1, 1, "ascii(s): code point of the first character", bind_ascii, eval_ascii },
	{ "chr", 1, 1, "chr(n): the character with code point n", bind_chr, eval_chr },
	{ "md5", 1, 1, "md5(s): MD5 digest as 32 hex digits", bind_strs, eval_md5 },
	{ "date_diff", 3, 3,
	  "date_diff(part, start, end): part boundaries crossed (year ... microsecond; week = ISO)",
	  bind_date_diff, eval_date_diff },
	{ "datediff", 3, 3, "datediff(part, start, end): date_diff", bind_date_diff, eval_date_diff },
	{ "epoch", 1, 1, "epoch(x): seconds since 1970-01-01 (float64)", bind_epoch, eval_epoch },
	{ "epoch_ms", 1, 1,
	  "epoch_ms(x): milliseconds since 1970-01-01 (of an integer: that timestamp)", bind_epoch,
	  eval_epoch },
	{ "make_date", 3, 3, "make_date(y, m, d)", bind_make_date, eval_make_date },
	{ "dayname", 1, 1, "dayname(x): Monday ... Sunday", bind_dayname, eval_dayname },
	{ "monthname", 1, 1, "monthname(x): January ... December", bind_dayname, eval_dayname },
	{ "hash", 1, -1, "hash(a, ...): 64-bit hash of the values (uint64; NULL hashes too)",
	  bind_hash, eval_hash },
	{ "last_day", 1, 1, "last_day(x): the last day of the month", bind_last_day, eval_last_day },
	{ "make_timestamp", 6, 6, "make_timestamp(y, m, d, h, mi, s)", bind_make_ts, eval_make_ts },
	{ "strftime", 2, 2, "strftime(x, fmt): %Y %m %d %H %M %S %f %j %a %A %b %B %p %I %y %w %%",
	  bind_strftime, eval_strftime },
};

const int ex_funcs_more_n = (int)(sizeof ex_funcs_more / sizeof *ex_funcs_more);
