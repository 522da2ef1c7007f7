/*
 * expr_kern.c — arithmetic and comparison kernels over vectors.
 *
 * Each kernel switches on the physical type once, then runs a loop
 * specialised for the operation and the operand shapes (vector/vector,
 * vector/constant, constant/vector). Integer arithmetic uses the checked
 * builtins and only ORs an overflow flag in the loop; when the flag is set
 * a second pass over the selected, non-null rows finds the row to name in
 * the error (unselected rows and null rows may hold anything). Where the
 * selection keeps most rows the loop runs densely over every row — no
 * index indirection, so the compiler can vectorise it — except for
 * division, whose garbage rows could trap.
 *
 * Decimal arithmetic is exact on 128-bit integers: operands of + - % come
 * with one scale (expr.c casts them), products add scales, and every
 * result is checked against its type's precision. Floats follow IEEE
 * (x/0 is ±inf or NaN). Comparisons order NaN above every other float and
 * equal to itself (Postgres, DuckDB), strings bytewise.
 *
 * Pure functions over caller-owned arrays; thread-safe.
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "columnar/text.h"
#include "sql/expr_int.h"
#include "sql/expr_nested.h"

/* ---- shared helpers ---------------------------------------------------------------------- */

static tarn_i128 pow10_table[39];
static pthread_once_t pow10_once = PTHREAD_ONCE_INIT;

static void pow10_init(void)
{
	tarn_i128 v = 1;
	for (int i = 0; i <= 38; i++) {
		pow10_table[i] = v;
		if (i < 38)
			v *= 10;
	}
}

tarn_i128 ex_pow10(int k)
{
	pthread_once(&pow10_once, pow10_init);
	return pow10_table[k < 0 ? 0 : k > 38 ? 38 : k];
}

tarn_rc ex_validity_and(struct tarn_array *r, const struct ex_vec *v, int nv, int64_t rows)
{
	bool any = false, all_null = false;
	for (int k = 0; k < nv; k++) {
		if (v[k].a->type->id == TARN_T_NULL) {
			any = all_null = true;
			continue;
		}
		if (!ex_has_nulls(v[k].a))
			continue;
		any = true;
		if (v[k].is_const && !tarn_bit_get(v[k].a->validity, 0))
			all_null = true;
	}
	if (!any)
		return TARN_OK;
	TRY(ex_scratch_validity(r));
	size_t nb = (size_t)((rows + 7) / 8);
	if (all_null) {
		memset(r->validity, 0, nb);
		return TARN_OK;
	}
	uint8_t *d = r->validity;
	for (int k = 0; k < nv; k++) {
		if (v[k].is_const || !ex_has_nulls(v[k].a))
			continue;
		const uint8_t *s = v[k].a->validity;
		for (size_t i = 0; i < nb; i++)
			d[i] &= s[i];
	}
	return TARN_OK;
}

static bool row_valid(const struct tarn_array *r, int64_t i)
{
	return !r->validity || tarn_bit_get(r->validity, i);
}

/* Runs densely when most rows are selected and the loop cannot trap. */
static inline bool go_dense(const uint32_t *sel, int64_t n, int64_t rows)
{
	return !sel || n * 4 >= rows * 3;
}

/* ---- integer arithmetic --------------------------------------------------------------------- */

#define SHAPES(BODY)                                                                     \
	do {                                                                             \
		if (dense) {                                                             \
			if (ac)                                                          \
				for (int64_t i = 0; i < rows; i++) {                     \
					const int64_t ia = 0, ib = i;                    \
					BODY;                                            \
				}                                                        \
			else if (bc)                                                     \
				for (int64_t i = 0; i < rows; i++) {                     \
					const int64_t ia = i, ib = 0;                    \
					BODY;                                            \
				}                                                        \
			else                                                             \
				for (int64_t i = 0; i < rows; i++) {                     \
					const int64_t ia = i, ib = i;                    \
					BODY;                                            \
				}                                                        \
		} else {                                                                 \
			for (int64_t k = 0; k < n; k++) {                                \
				const int64_t i = sel[k];                                \
				const int64_t ia = ac ? 0 : i, ib = bc ? 0 : i;          \
				BODY;                                                    \
			}                                                                \
		}                                                                        \
	} while (0)

static tarn_rc overflow_error(const struct ex_expr *e, const struct ex_vec *a,
			      const struct ex_vec *b, int64_t i, const char *what,
			      struct tarn_err *err)
{
	char x[100], y[100] = "";
	ex_value_text(a->a, VROW(a, i), x, sizeof x);
	if (b)
		ex_value_text(b->a, VROW(b, i), y, sizeof y);
	struct tarn_buf t;
	tarn_buf_init(&t);
	tarn_rc trc = tarn_type_to_text(&e->type, &t);
	if (!trc)
		trc = tarn_buf_cstr(&t);
	static const char *const ops[] = { "+", "-", "*", "/", "%", "//" };
	tarn_rc rc;
	if (b)
		rc = tarn_err_set(err, TARN_EDATA, "%s: %s %s %s does not fit %s", what, x,
				  e->kind == EX_E_ARITH ? ops[e->op] : "?", y,
				  trc ? "the result type" : t.data);
	else
		rc = tarn_err_set(err, TARN_EDATA, "%s: -%s does not fit %s", what, x,
				  trc ? "the result type" : t.data);
	tarn_buf_free(&t);
	return rc;
}

/* Integer + - * with a flag; the recheck names the first bad row. */
#define INT_ARITH(T, SIGNED)                                                                           \
	static bool arith_##T(int op, const T *x, bool ac, const T *y, bool bc, T *z,             \
			      const uint32_t *sel, int64_t n, int64_t rows, bool dense)           \
	{                                                                                         \
		bool ovf = false;                                                                 \
		switch (op) {                                                                     \
		case EX_ADD: SHAPES(ovf |= __builtin_add_overflow(x[ia], y[ib], &z[i])); break;  \
		case EX_SUB: SHAPES(ovf |= __builtin_sub_overflow(x[ia], y[ib], &z[i])); break;  \
		case EX_MUL: SHAPES(ovf |= __builtin_mul_overflow(x[ia], y[ib], &z[i])); break;  \
		default: break;                                                                   \
		}                                                                                 \
		return ovf;                                                                       \
	}                                                                                         \
	static int64_t arith_bad_##T(int op, const T *x, bool ac, const T *y, bool bc,            \
				     const struct tarn_array *r, const uint32_t *sel, int64_t n)  \
	{                                                                                         \
		for (int64_t k = 0; k < n; k++) {                                                 \
			int64_t i = sel ? sel[k] : k, ia = ac ? 0 : i, ib = bc ? 0 : i;            \
			T t;                                                                      \
			bool o = op == EX_ADD   ? __builtin_add_overflow(x[ia], y[ib], &t)       \
				 : op == EX_SUB ? __builtin_sub_overflow(x[ia], y[ib], &t)       \
						 : __builtin_mul_overflow(x[ia], y[ib], &t);      \
			if (o && row_valid(r, i))                                                 \
				return i;                                                         \
		}                                                                                 \
		return -1;                                                                        \
	}                                                                                         \
	/* // and %: only selected rows; a zero divisor makes the row NULL       \
	 * (DuckDB), MIN // -1 overflows. */                                                     \
	static int64_t divmod_##T(int op, const T *x, bool ac, const T *y, bool bc, T *z,         \
				  struct tarn_array *r, const uint32_t *sel, int64_t n,           \
				  bool *ovf)                                                      \
	{                                                                                         \
		T minus1 = (T)-1;                                                                 \
		const bool is_signed = SIGNED;                                                    \
		for (int64_t k = 0; k < n; k++) {                                                 \
			int64_t i = sel ? sel[k] : k, ia = ac ? 0 : i, ib = bc ? 0 : i;            \
			if (!row_valid(r, i))                                                     \
				continue;                                                         \
			T d = y[ib];                                                              \
			if (d == 0) {                                                             \
				if (!r->validity && ex_scratch_validity(r)) {                     \
					*ovf = false;                                             \
					return -2; /* out of memory */                            \
				}                                                                 \
				ex_set_null(r, i);                                                \
				z[i] = 0;                                                         \
				continue;                                                         \
			}                                                                         \
			if (is_signed && d == minus1) {                                           \
				T t;                                                              \
				if (__builtin_mul_overflow(x[ia], minus1, &t)) {                  \
					if (op == EX_MOD) {                                      \
						z[i] = 0;                                         \
						continue;                                         \
					}                                                         \
					*ovf = true;                                              \
					return i;                                                 \
				}                                                                 \
			}                                                                         \
			z[i] = op == EX_IDIV ? (T)(x[ia] / d) : (T)(x[ia] % d);                  \
		}                                                                                 \
		return -1;                                                                        \
	}

INT_ARITH(int8_t, true)
INT_ARITH(int16_t, true)
INT_ARITH(int32_t, true)
INT_ARITH(int64_t, true)
INT_ARITH(uint8_t, false)
INT_ARITH(uint16_t, false)
INT_ARITH(uint32_t, false)
INT_ARITH(uint64_t, false)

#define DISPATCH_INT(T)                                                                          \
	do {                                                                                     \
		const T *x = (const T *)a->a->values, *y = (const T *)b->a->values;              \
		T *z = (T *)r->values;                                                           \
		if (e->op == EX_IDIV || e->op == EX_MOD) {                                     \
			bool ovf = false;                                                        \
			int64_t bad = divmod_##T(e->op, x, ac, y, bc, z, r, sel, n, &ovf);       \
			if (bad == -2)                                                           \
				return tarn_err_nomem(err, "division");                          \
			if (bad >= 0)                                                            \
				return overflow_error(e, a, b, bad, "integer overflow", err);    \
			return TARN_OK;                                                          \
		}                                                                                \
		if (arith_##T(e->op, x, ac, y, bc, z, sel, n, rows, dense)) {                    \
			int64_t bad = arith_bad_##T(e->op, x, ac, y, bc, r, sel, n);             \
			if (bad >= 0)                                                            \
				return overflow_error(e, a, b, bad, "integer overflow", err);    \
		}                                                                                \
		return TARN_OK;                                                                  \
	} while (0)

/* ---- decimal arithmetic ------------------------------------------------------------------------ */

static inline bool mul_i128(tarn_i128 x, tarn_i128 y, tarn_i128 lim, tarn_i128 *z)
{
	if (x >= INT64_MIN && x <= INT64_MAX && y >= INT64_MIN && y <= INT64_MAX) {
		*z = (tarn_i128)(int64_t)x * (int64_t)y;
		return *z >= lim || *z <= -lim;
	}
	unsigned __int128 ux = x < 0 ? -(unsigned __int128)x : (unsigned __int128)x;
	unsigned __int128 uy = y < 0 ? -(unsigned __int128)y : (unsigned __int128)y;
	if (ux && uy > (unsigned __int128)(lim - 1) / ux)
		return true;
	*z = x * y;
	return false;
}

static tarn_rc decimal_arith(const struct ex_expr *e, const struct ex_vec *a,
			     const struct ex_vec *b, const uint32_t *sel, int64_t n,
			     struct tarn_array *r, int64_t rows, bool dense, struct tarn_err *err)
{
	const tarn_i128 *x = (const tarn_i128 *)a->a->values, *y = (const tarn_i128 *)b->a->values;
	tarn_i128 *z = (tarn_i128 *)r->values;
	tarn_i128 lim = ex_pow10(e->type.precision);
	bool ac = a->is_const, bc = b->is_const, ovf = false;
	switch (e->op) {
	case EX_ADD:
		SHAPES(ovf |= __builtin_add_overflow(x[ia], y[ib], &z[i]) || z[i] >= lim || z[i] <= -lim);
		break;
	case EX_SUB:
		SHAPES(ovf |= __builtin_sub_overflow(x[ia], y[ib], &z[i]) || z[i] >= lim || z[i] <= -lim);
		break;
	case EX_MUL: SHAPES(ovf |= mul_i128(x[ia], y[ib], lim, &z[i])); break;
	case EX_MOD:
		for (int64_t k = 0; k < n; k++) {
			int64_t i = sel ? sel[k] : k, ia = ac ? 0 : i, ib = bc ? 0 : i;
			if (!row_valid(r, i))
				continue;
			if (y[ib] == 0) { /* NULL, as DuckDB */
				if (!r->validity && ex_scratch_validity(r))
					return tarn_err_nomem(err, "division");
				ex_set_null(r, i);
				z[i] = 0;
				continue;
			}
			z[i] = x[ia] % y[ib];
		}
		return TARN_OK;
	default: return tarn_err_set(err, TARN_EINTERNAL, "decimal operator %d", e->op);
	}
	if (!ovf)
		return TARN_OK;
	for (int64_t k = 0; k < n; k++) {
		int64_t i = sel ? sel[k] : k, ia = ac ? 0 : i, ib = bc ? 0 : i;
		tarn_i128 t = 0;
		bool o = e->op == EX_ADD   ? __builtin_add_overflow(x[ia], y[ib], &t) || t >= lim || t <= -lim
			 : e->op == EX_SUB ? __builtin_sub_overflow(x[ia], y[ib], &t) || t >= lim || t <= -lim
					    : mul_i128(x[ia], y[ib], lim, &t);
		if (o && row_valid(r, i))
			return overflow_error(e, a, b, i, "decimal overflow", err);
	}
	return TARN_OK;
}

/* ---- float arithmetic ---------------------------------------------------------------------------- */

#define FLOAT_ARITH(T, FMOD)                                                                      \
	static void farith_##T(int op, const T *x, bool ac, const T *y, bool bc, T *z,            \
			       const uint32_t *sel, int64_t n, int64_t rows, bool dense)          \
	{                                                                                         \
		switch (op) {                                                                     \
		case EX_ADD: SHAPES(z[i] = x[ia] + y[ib]); break;                                \
		case EX_SUB: SHAPES(z[i] = x[ia] - y[ib]); break;                                \
		case EX_MUL: SHAPES(z[i] = x[ia] * y[ib]); break;                                \
		case EX_DIV: SHAPES(z[i] = x[ia] / y[ib]); break;                                \
		default: SHAPES(z[i] = FMOD(x[ia], y[ib])); break;                                \
		}                                                                                 \
	}

FLOAT_ARITH(float, fmodf)
FLOAT_ARITH(double, fmod)

/* ---- dates ------------------------------------------------------------------------------------------ */

static tarn_rc date_arith(const struct ex_expr *e, const struct ex_vec *a,
			  const struct ex_vec *b, const uint32_t *sel, int64_t n,
			  struct tarn_array *r, struct tarn_err *err)
{
	bool ac = a->is_const, bc = b->is_const;
	const int32_t *x = (const int32_t *)a->a->values;
	if (e->type.id == TARN_T_INT64) { /* date - date */
		const int32_t *y = (const int32_t *)b->a->values;
		int64_t *z = (int64_t *)r->values;
		for (int64_t k = 0; k < n; k++) {
			int64_t i = sel ? sel[k] : k;
			z[i] = (int64_t)x[ac ? 0 : i] - y[bc ? 0 : i];
		}
		return TARN_OK;
	}
	const int64_t *y = (const int64_t *)b->a->values;
	int32_t *z = (int32_t *)r->values;
	for (int64_t k = 0; k < n; k++) {
		int64_t i = sel ? sel[k] : k;
		int64_t d = y[bc ? 0 : i], v;
		bool o = e->op == EX_ADD ? __builtin_add_overflow((int64_t)x[ac ? 0 : i], d, &v)
					  : __builtin_sub_overflow((int64_t)x[ac ? 0 : i], d, &v);
		if ((o || v < INT32_MIN || v > INT32_MAX) && row_valid(r, i))
			return overflow_error(e, a, b, i, "date out of range", err);
		z[i] = (int32_t)v;
	}
	return TARN_OK;
}

tarn_rc ex_kern_arith(const struct ex_expr *e, const struct ex_vec *a, const struct ex_vec *b,
		       const uint32_t *sel, int64_t n, struct tarn_array *r, struct tarn_err *err)
{
	struct ex_vec v[2] = { *a, *b };
	TRY(ex_validity_and(r, v, 2, r->length));
	int64_t rows = r->length;
	bool ac = a->is_const, bc = b->is_const;
	if (ac && bc) {
		/* both constant (an unfolded subtree): one row does */
		rows = 1;
		n = sel ? n : 1;
	}
	bool dense = go_dense(sel, n, rows) && !(ac && bc && sel);
	if (!sel)
		n = rows;
	if (a->a->type->id == TARN_T_DATE32)
		return date_arith(e, a, b, sel, n, r, err);
	switch (e->type.id) {
	case TARN_T_INT8: DISPATCH_INT(int8_t);
	case TARN_T_INT16: DISPATCH_INT(int16_t);
	case TARN_T_INT32: DISPATCH_INT(int32_t);
	case TARN_T_INT64: DISPATCH_INT(int64_t);
	case TARN_T_UINT8: DISPATCH_INT(uint8_t);
	case TARN_T_UINT16: DISPATCH_INT(uint16_t);
	case TARN_T_UINT32: DISPATCH_INT(uint32_t);
	case TARN_T_UINT64: DISPATCH_INT(uint64_t);
	case TARN_T_FLOAT32:
		farith_float(e->op, (const float *)a->a->values, ac, (const float *)b->a->values, bc,
			     (float *)r->values, sel, n, rows, dense);
		return TARN_OK;
	case TARN_T_FLOAT64:
		farith_double(e->op, (const double *)a->a->values, ac, (const double *)b->a->values,
			      bc, (double *)r->values, sel, n, rows, dense);
		return TARN_OK;
	case TARN_T_DECIMAL128: return decimal_arith(e, a, b, sel, n, r, rows, dense, err);
	case TARN_T_NULL: return TARN_OK;
	default: return tarn_err_set(err, TARN_EINTERNAL, "arithmetic on type %s",
				     tarn_type_id_name(e->type.id));
	}
}

tarn_rc ex_kern_neg(const struct ex_expr *e, const struct ex_vec *a, const uint32_t *sel,
		     int64_t n, struct tarn_array *r, struct tarn_err *err)
{
	TRY(ex_validity_and(r, a, 1, r->length));
	if (!sel)
		n = r->length;
	bool ac = a->is_const;
#define NEG_INT(T, MIN)                                                                  \
	{                                                                                \
		const T *x = (const T *)a->a->values;                                    \
		T *z = (T *)r->values;                                                   \
		for (int64_t k = 0; k < n; k++) {                                        \
			int64_t i = sel ? sel[k] : k;                                    \
			T v = x[ac ? 0 : i];                                             \
			if (v == MIN && row_valid(r, i))                                 \
				return overflow_error(e, a, NULL, i, "integer overflow", err); \
			z[i] = (T)(v == MIN ? 0 : -v);                                   \
		}                                                                        \
		return TARN_OK;                                                          \
	}
	switch (e->type.id) {
	case TARN_T_INT8: NEG_INT(int8_t, INT8_MIN)
	case TARN_T_INT16: NEG_INT(int16_t, INT16_MIN)
	case TARN_T_INT32: NEG_INT(int32_t, INT32_MIN)
	case TARN_T_INT64: NEG_INT(int64_t, INT64_MIN)
	case TARN_T_FLOAT32: {
		const float *x = (const float *)a->a->values;
		float *z = (float *)r->values;
		for (int64_t k = 0; k < n; k++) {
			int64_t i = sel ? sel[k] : k;
			z[i] = -x[ac ? 0 : i];
		}
		return TARN_OK;
	}
	case TARN_T_FLOAT64: {
		const double *x = (const double *)a->a->values;
		double *z = (double *)r->values;
		for (int64_t k = 0; k < n; k++) {
			int64_t i = sel ? sel[k] : k;
			z[i] = -x[ac ? 0 : i];
		}
		return TARN_OK;
	}
	case TARN_T_DECIMAL128: {
		const tarn_i128 *x = (const tarn_i128 *)a->a->values;
		tarn_i128 *z = (tarn_i128 *)r->values;
		for (int64_t k = 0; k < n; k++) {
			int64_t i = sel ? sel[k] : k;
			z[i] = -x[ac ? 0 : i];
		}
		return TARN_OK;
	}
	case TARN_T_NULL: return TARN_OK;
	default: return tarn_err_set(err, TARN_EINTERNAL, "negation of %s",
				     tarn_type_id_name(e->type.id));
	}
#undef NEG_INT
}

/* ---- comparisons --------------------------------------------------------------------------------- */

static inline int bytes_cmp(const uint8_t *a, int32_t an, const uint8_t *b, int32_t bn)
{
	int32_t m = an < bn ? an : bn;
	int c = m ? memcmp(a, b, (size_t)m) : 0;
	if (c)
		return c < 0 ? -1 : 1;
	return (an > bn) - (an < bn);
}

/* NaN-aware float comparisons (NaN = NaN, NaN above everything). */
#define F_EQ(x, y) ((x) == (y) || ((x) != (x) && (y) != (y)))
#define F_LT(x, y) ((x) < (y) || ((x) == (x) && (y) != (y)))
#define F_LE(x, y) ((x) <= (y) || (y) != (y))

/* Selection loop: out gets every row where COND holds. */
#define SEL_LOOP(COND)                                                           \
	do {                                                                     \
		if (!sel) {                                                      \
			for (int64_t i = 0; i < n; i++) {                        \
				out[m] = (uint32_t)i;                            \
				m += (COND);                                     \
			}                                                        \
		} else {                                                         \
			for (int64_t k = 0; k < n; k++) {                        \
				const int64_t i = sel[k];                        \
				out[m] = (uint32_t)i;                            \
				m += (COND);                                     \
			}                                                        \
		}                                                                \
	} while (0)

/* Boolean result loop: bits of r->values. */
#define BIT_LOOP(COND)                                                                     \
	do {                                                                               \
		uint8_t *bits_ = r->values;                                                \
		if (!sel) {                                                                \
			for (int64_t base = 0; base < n; base += 64) {                     \
				int64_t lim = n - base < 64 ? n - base : 64;               \
				uint64_t w = 0;                                            \
				for (int64_t j = 0; j < lim; j++) {                        \
					const int64_t i = base + j;                        \
					w |= (uint64_t)(COND) << j;                        \
				}                                                          \
				memcpy(bits_ + base / 8, &w, (size_t)((lim + 7) / 8));     \
			}                                                                  \
		} else {                                                                   \
			for (int64_t k = 0; k < n; k++) {                                  \
				const int64_t i = sel[k];                                  \
				bits_set(bits_, i, (COND));                                \
			}                                                                  \
		}                                                                          \
	} while (0)

#define CMP_OPS(LOOP, X, Y, EQ, LT, LE)              \
	switch (op) {                                \
	case EX_EQ: LOOP(EQ(X, Y)); break;          \
	case EX_NE: LOOP(!EQ(X, Y)); break;         \
	case EX_LT: LOOP(LT(X, Y)); break;          \
	case EX_LE: LOOP(LE(X, Y)); break;          \
	case EX_GT: LOOP(LT(Y, X)); break;          \
	default: LOOP(LE(Y, X)); break;              \
	}

#define P_EQ(x, y) ((x) == (y))
#define P_LT(x, y) ((x) < (y))
#define P_LE(x, y) ((x) <= (y))

/* The body for one physical type, both shapes (b constant or vector). */
#define CMP_TYPED(LOOP, T, EQ, LT, LE)                                           \
	do {                                                                     \
		const T *x = (const T *)a->a->values, *y = (const T *)b->a->values; \
		if (b->is_const) {                                               \
			const T c = y[0];                                        \
			CMP_OPS(LOOP, x[i], c, EQ, LT, LE)                       \
		} else {                                                         \
			CMP_OPS(LOOP, x[i], y[i], EQ, LT, LE)                    \
		}                                                                \
	} while (0)

/* Equal-length test first: most unequal strings differ in length. */
#define STR_EQ_FAST(xo, xv, i, cp, cn) \
	((xo)[(i) + 1] - (xo)[i] == (cn) && memcmp((xv) + (xo)[i], (cp), (size_t)(cn)) == 0)

/* Strings by a three-way comparison expression C (of row i). */
#define STR_OPS(LOOP, C)                      \
	switch (op) {                         \
	case EX_EQ: LOOP((C) == 0); break;    \
	case EX_NE: LOOP((C) != 0); break;    \
	case EX_LT: LOOP((C) < 0); break;     \
	case EX_LE: LOOP((C) <= 0); break;    \
	case EX_GT: LOOP((C) > 0); break;     \
	default: LOOP((C) >= 0); break;       \
	}

#define CMP_ALL(LOOP)                                                                            \
	do {                                                                                     \
		switch (a->a->type->id) {                                                        \
		case TARN_T_INT8: CMP_TYPED(LOOP, int8_t, P_EQ, P_LT, P_LE); break;              \
		case TARN_T_INT16: CMP_TYPED(LOOP, int16_t, P_EQ, P_LT, P_LE); break;            \
		case TARN_T_INT32:                                                               \
		case TARN_T_DATE32: CMP_TYPED(LOOP, int32_t, P_EQ, P_LT, P_LE); break;           \
		case TARN_T_INT64:                                                               \
		case TARN_T_TIME64:                                                              \
		case TARN_T_TIMESTAMP: CMP_TYPED(LOOP, int64_t, P_EQ, P_LT, P_LE); break;        \
		case TARN_T_UINT8: CMP_TYPED(LOOP, uint8_t, P_EQ, P_LT, P_LE); break;            \
		case TARN_T_UINT16: CMP_TYPED(LOOP, uint16_t, P_EQ, P_LT, P_LE); break;          \
		case TARN_T_UINT32: CMP_TYPED(LOOP, uint32_t, P_EQ, P_LT, P_LE); break;          \
		case TARN_T_UINT64: CMP_TYPED(LOOP, uint64_t, P_EQ, P_LT, P_LE); break;          \
		case TARN_T_FLOAT32: CMP_TYPED(LOOP, float, F_EQ, F_LT, F_LE); break;            \
		case TARN_T_FLOAT64: CMP_TYPED(LOOP, double, F_EQ, F_LT, F_LE); break;           \
		case TARN_T_DECIMAL128: CMP_TYPED(LOOP, tarn_i128, P_EQ, P_LT, P_LE); break;     \
		case TARN_T_BOOL: {                                                              \
			const uint8_t *xb = a->a->values, *yb = b->a->values;                    \
			if (b->is_const) {                                                       \
				const int c = tarn_bit_get(yb, 0);                               \
				CMP_OPS(LOOP, (int)tarn_bit_get(xb, i), c, P_EQ, P_LT, P_LE)     \
			} else {                                                                 \
				CMP_OPS(LOOP, (int)tarn_bit_get(xb, i), (int)tarn_bit_get(yb, i), \
					P_EQ, P_LT, P_LE)                                        \
			}                                                                        \
			break;                                                                   \
		}                                                                                \
		case TARN_T_STRING:                                                              \
		case TARN_T_BINARY: {                                                            \
			const int32_t *xo = a->a->offsets, *yo = b->a->offsets;                  \
			const uint8_t *xv = a->a->values, *yv = b->a->values;                    \
			if (b->is_const) {                                                       \
				const uint8_t *cp = yv + yo[0];                                  \
				const int32_t cn = yo[1] - yo[0];                                \
				if (op == EX_EQ)                                                 \
					LOOP(STR_EQ_FAST(xo, xv, i, cp, cn));                    \
				else if (op == EX_NE)                                            \
					LOOP(!STR_EQ_FAST(xo, xv, i, cp, cn));                   \
				else                                                             \
					STR_OPS(LOOP, bytes_cmp(xv + xo[i], xo[i + 1] - xo[i],   \
								cp, cn))                         \
			} else {                                                                 \
				STR_OPS(LOOP, bytes_cmp(xv + xo[i], xo[i + 1] - xo[i],           \
							yv + yo[i], yo[i + 1] - yo[i]))          \
			}                                                                        \
			break;                                                                   \
		}                                                                                \
		default: break;                                                                  \
		}                                                                                \
	} while (0)


/* Drops rows whose operands are null from a selection result. */
static int64_t drop_nulls(const struct ex_vec *a, const struct ex_vec *b, uint32_t *out,
			  int64_t m)
{
	int64_t w = 0;
	for (int64_t k = 0; k < m; k++) {
		uint32_t i = out[k];
		out[w] = i;
		w += !vec_null(a, i) && !vec_null(b, i);
	}
	return w;
}

static int flip(int op)
{
	switch (op) {
	case EX_LT: return EX_GT;
	case EX_LE: return EX_GE;
	case EX_GT: return EX_LT;
	case EX_GE: return EX_LE;
	default: return op;
	}
}

static bool const_null(const struct ex_vec *v)
{
	return v->a->type->id == TARN_T_NULL || (v->is_const && vec_null(v, 0));
}

/* One comparison of row i of a with row j of b (same type). */
static bool cmp_one(int op, const struct ex_vec *a, int64_t i, const struct ex_vec *b, int64_t j)
{
	return ex_cmp_holds(op, ex_value_cmp(a->a, VROW(a, i), b->a, VROW(b, j)));
}

int64_t ex_kern_cmp_select(int op, const struct ex_vec *a, const struct ex_vec *b,
			    const uint32_t *sel, int64_t n, uint32_t *out)
{
	if (const_null(a) || const_null(b))
		return 0;
	if (tarn_type_is_nested(a->a->type->id) || tarn_type_is_nested(b->a->type->id))
		return ex_nested_cmp_select(op, a, b, sel, n, out);
	if (a->is_const && !b->is_const) {
		const struct ex_vec *t = a;
		a = b;
		b = t;
		op = flip(op);
	}
	int64_t m = 0;
	if (a->is_const) {
		if (!cmp_one(op, a, 0, b, 0))
			return 0;
		for (int64_t k = 0; k < n; k++)
			out[k] = sel ? sel[k] : (uint32_t)k;
		return n;
	}
	CMP_ALL(SEL_LOOP);
	if (ex_has_nulls(a->a) || (!b->is_const && ex_has_nulls(b->a)))
		m = drop_nulls(a, b, out, m);
	return m;
}

#define RANGE_LOOP(T, LOOK)                                                               \
	do {                                                                              \
		const T *v = (const T *)a->values;                                        \
		T lo = ((const T *)lov->values)[0], hi = ((const T *)hiv->values)[0];    \
		if (lo_strict && hi_strict)                                               \
			SEL_LOOP(LOOK(v[i] > lo && v[i] < hi));                           \
		else if (lo_strict)                                                       \
			SEL_LOOP(LOOK(v[i] > lo && v[i] <= hi));                          \
		else if (hi_strict)                                                       \
			SEL_LOOP(LOOK(v[i] >= lo && v[i] < hi));                          \
		else                                                                      \
			SEL_LOOP(LOOK(v[i] >= lo && v[i] <= hi));                         \
	} while (0)

/* (expr.c keeps NaN bounds away: with them the IEEE tests below would
 * disagree with SQL's order, where NaN is above every number.) */
#define PLAIN(c) (c)

int64_t ex_kern_range_select(const struct ex_expr *x, const struct ex_expr *y,
			     const struct ex_batch *b, const uint32_t *sel, int64_t n,
			     uint32_t *out)
{
	/* which comparison is the lower bound */
	if (x->op == EX_LE || x->op == EX_LT) {
		const struct ex_expr *t = x;
		x = y;
		y = t;
	}
	const struct tarn_array *a = b->cols[x->args[0]->col];
	const struct tarn_array *lov = x->args[1]->value, *hiv = y->args[1]->value;
	bool lo_strict = x->op == EX_GT, hi_strict = y->op == EX_LT;
	if (!sel)
		n = a->length;
	int64_t m = 0;
	switch (a->type->id) {
	case TARN_T_INT32:
	case TARN_T_DATE32: RANGE_LOOP(int32_t, PLAIN); break;
	case TARN_T_INT64: RANGE_LOOP(int64_t, PLAIN); break;
	default: RANGE_LOOP(double, PLAIN); break;
	}
	if (ex_has_nulls(a)) {
		int64_t w = 0;
		for (int64_t k = 0; k < m; k++) {
			out[w] = out[k];
			w += tarn_bit_get(a->validity, out[k]);
		}
		m = w;
	}
	return m;
}

tarn_rc ex_kern_cmp(int op, const struct ex_vec *a, const struct ex_vec *b, const uint32_t *sel,
		     int64_t n, struct tarn_array *r)
{
	struct ex_vec v[2] = { *a, *b };
	TRY(ex_validity_and(r, v, 2, r->length));
	if (const_null(a) || const_null(b))
		return TARN_OK;
	if (tarn_type_is_nested(a->a->type->id) || tarn_type_is_nested(b->a->type->id))
		return ex_nested_kern_cmp(op, a, b, sel, n, r);
	if (a->is_const && !b->is_const) {
		const struct ex_vec *t = a;
		a = b;
		b = t;
		op = flip(op);
	}
	if (!sel)
		n = r->length;
	if (a->is_const) {
		bool t = cmp_one(op, a, 0, b, 0);
		for (int64_t k = 0; k < n; k++)
			bits_set(r->values, sel ? sel[k] : k, t);
		return TARN_OK;
	}
	CMP_ALL(BIT_LOOP);
	return TARN_OK;
}

tarn_rc ex_kern_distinct(bool negate, const struct ex_vec *a, const struct ex_vec *b,
			  const uint32_t *sel, int64_t n, struct tarn_array *r)
{
	if (!sel)
		n = r->length;
	bool an_all = a->a->type->id == TARN_T_NULL, bn_all = b->a->type->id == TARN_T_NULL;
	for (int64_t k = 0; k < n; k++) {
		int64_t i = sel ? sel[k] : k;
		bool an = an_all || vec_null(a, i), bn = bn_all || vec_null(b, i);
		bool distinct;
		if (an || bn)
			distinct = an != bn;
		else
			distinct = (tarn_type_is_nested(a->a->type->id)
					    ? ex_nested_value_cmp(a->a, VROW(a, i), b->a, VROW(b, i))
					    : ex_value_cmp(a->a, VROW(a, i), b->a, VROW(b, i))) != 0;
		bits_set(r->values, i, distinct != negate);
	}
	return TARN_OK;
}

int ex_value_cmp(const struct tarn_array *a, int64_t i, const struct tarn_array *b, int64_t j)
{
	const uint8_t *x = a->values, *y = b->values;
	switch (a->type->id) {
	case TARN_T_BOOL: return (int)tarn_bit_get(x, i) - (int)tarn_bit_get(y, j);
	case TARN_T_INT8: {
		int8_t p = ((const int8_t *)x)[i], q = ((const int8_t *)y)[j];
		return (p > q) - (p < q);
	}
	case TARN_T_INT16: {
		int16_t p = ((const int16_t *)x)[i], q = ((const int16_t *)y)[j];
		return (p > q) - (p < q);
	}
	case TARN_T_INT32:
	case TARN_T_DATE32: {
		int32_t p = ((const int32_t *)x)[i], q = ((const int32_t *)y)[j];
		return (p > q) - (p < q);
	}
	case TARN_T_INT64:
	case TARN_T_TIME64:
	case TARN_T_TIMESTAMP: {
		int64_t p = ((const int64_t *)x)[i], q = ((const int64_t *)y)[j];
		return (p > q) - (p < q);
	}
	case TARN_T_UINT8: return (int)x[i] - (int)y[j];
	case TARN_T_UINT16: {
		uint16_t p = ((const uint16_t *)x)[i], q = ((const uint16_t *)y)[j];
		return (p > q) - (p < q);
	}
	case TARN_T_UINT32: {
		uint32_t p = ((const uint32_t *)x)[i], q = ((const uint32_t *)y)[j];
		return (p > q) - (p < q);
	}
	case TARN_T_UINT64: {
		uint64_t p = ((const uint64_t *)x)[i], q = ((const uint64_t *)y)[j];
		return (p > q) - (p < q);
	}
	case TARN_T_FLOAT32:
	case TARN_T_FLOAT64: {
		double p = tarn_array_get_double(a, i), q = tarn_array_get_double(b, j);
		if (F_LT(p, q))
			return -1;
		return F_EQ(p, q) ? 0 : 1;
	}
	case TARN_T_DECIMAL128: {
		tarn_i128 p = ((const tarn_i128 *)x)[i], q = ((const tarn_i128 *)y)[j];
		return (p > q) - (p < q);
	}
	case TARN_T_INTERVAL: {
		tarn_i128 p = ex_interval_key(x + i * 16), q = ex_interval_key(y + j * 16);
		return (p > q) - (p < q);
	}
	case TARN_T_STRING:
	case TARN_T_BINARY:
		return bytes_cmp(x + a->offsets[i], a->offsets[i + 1] - a->offsets[i],
				 y + b->offsets[j], b->offsets[j + 1] - b->offsets[j]);
	default: return 0;
	}
}

/* ---- date + interval --------------------------------------------------------------------------------- */

static int days_in_month(int64_t y, unsigned m)
{
	static const int d[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return d[m - 1];
}

int64_t ex_days_add_months(int64_t days, int64_t months)
{
	if (months == 0)
		return days;
	int64_t y;
	unsigned m, d;
	tarn_civil_from_days(days, &y, &m, &d);
	int64_t total = y * 12 + (int64_t)(m - 1) + months;
	int64_t ny = total >= 0 ? total / 12 : -((-total + 11) / 12);
	unsigned nm = (unsigned)(total - ny * 12) + 1;
	int dim = days_in_month(ny, nm);
	if ((int)d > dim)
		d = (unsigned)dim;
	return tarn_days_from_civil(ny, nm, d);
}

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

tarn_rc ex_kern_date_add(const struct ex_expr *e, const struct ex_vec *a, const uint32_t *sel,
			  int64_t n, struct tarn_array *r, struct tarn_err *err)
{
	TRY(ex_validity_and(r, a, 1, r->length));
	if (!sel)
		n = r->length;
	bool ac = a->is_const;
	enum tarn_type_id in = a->a->type->id;
	if (in == TARN_T_NULL)
		return TARN_OK;
	if (e->type.id == TARN_T_DATE32) {
		const int32_t *x = (const int32_t *)a->a->values;
		int32_t *z = (int32_t *)r->values;
		for (int64_t k = 0; k < n; k++) {
			int64_t i = sel ? sel[k] : k;
			int64_t v = ex_days_add_months(x[ac ? 0 : i], e->months) + e->days;
			if ((v < INT32_MIN || v > INT32_MAX) && row_valid(r, i))
				return overflow_error(e, a, NULL, i, "date out of range", err);
			z[i] = (int32_t)v;
		}
		return TARN_OK;
	}
	/* timestamp result */
	int unit = e->type.unit;
	int64_t per_s = tarn_time_unit_per_second((enum tarn_time_unit)unit);
	int64_t per_day = per_s * 86400;
	int64_t add;
	if (unit == TARN_UNIT_NS)
		add = e->micros * 1000;
	else if (unit == TARN_UNIT_US)
		add = e->micros;
	else
		add = e->micros / (1000000 / per_s);
	int64_t *z = (int64_t *)r->values;
	for (int64_t k = 0; k < n; k++) {
		int64_t i = sel ? sel[k] : k, ia = ac ? 0 : i;
		int64_t v;
		if (in == TARN_T_DATE32)
			v = (int64_t)((const int32_t *)a->a->values)[ia] * per_day;
		else
			v = ((const int64_t *)a->a->values)[ia];
		int64_t day = floor_div(v, per_day), tod = v - day * per_day;
		int64_t nd = ex_days_add_months(day, e->months) + e->days, out;
		bool o = __builtin_mul_overflow(nd, per_day, &out) ||
			 __builtin_add_overflow(out, tod, &out) || __builtin_add_overflow(out, add, &out);
		if (o && row_valid(r, i))
			return overflow_error(e, a, NULL, i, "timestamp out of range", err);
		z[i] = out;
	}
	return TARN_OK;
}
