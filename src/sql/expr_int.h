/*
 * expr_int.h — internals shared by the expression files:
 *   expr.c       construction, typing, folding, text, the evaluator's dispatch
 *   expr_kern.c  arithmetic and comparison kernels
 *   expr_cast.c  casts between scalar types
 *   expr_str.c   LIKE/ILIKE and IN sets
 *   func.c       the scalar function registry and its kernels
 *
 * Kernel contract: operands are struct ex_vec (an array, or a one-row
 * constant); the result array r was prepared (ex_scratch_prepare) for the
 * batch's rows; a kernel writes the rows sel[0..n) (sel NULL = rows 0..n)
 * and, when the result can hold nulls, gives r a bitmap. Kernels may also
 * compute rows outside the selection when that is cheaper (dense loops),
 * but report errors only for selected, non-null rows.
 */
#ifndef TARN_SQL_EXPR_INT_H
#define TARN_SQL_EXPR_INT_H

#include "sql/expr.h"

/* Value of row i of v (constant: row 0). */
#define VROW(v, i) ((v)->is_const ? 0 : (i))

static inline bool vec_null(const struct ex_vec *v, int64_t i)
{
	return ex_is_null(v->a, VROW(v, i));
}

static inline bool vec_has_nulls(const struct ex_vec *v)
{
	return ex_has_nulls(v->a);
}

/* Gives r the AND of the operands' validity over rows [0, rows) (no bitmap
 * when none has nulls). A null constant operand makes every row null. */
TARN_MUST_USE tarn_rc ex_validity_and(struct tarn_array *r, const struct ex_vec *v, int nv,
				       int64_t rows);

/* 10^k for k in 0..38. */
tarn_i128 ex_pow10(int k);
/* Digits an integer type needs as a decimal (int32: 10); 0 if not integer. */
int ex_int_digits(enum tarn_type_id id);
/* Formats one value of v (row i) for an error message (quoted strings,
 * truncated). Always NUL-terminated. */
void ex_value_text(const struct tarn_array *a, int64_t i, char *buf, size_t cap);

/* expr_kern.c */
TARN_MUST_USE tarn_rc ex_kern_arith(const struct ex_expr *e, const struct ex_vec *a,
				     const struct ex_vec *b, const uint32_t *sel, int64_t n,
				     struct tarn_array *r, struct tarn_err *err);
TARN_MUST_USE tarn_rc ex_kern_neg(const struct ex_expr *e, const struct ex_vec *a,
				   const uint32_t *sel, int64_t n, struct tarn_array *r,
				   struct tarn_err *err);
/* Comparison into a boolean array. */
TARN_MUST_USE tarn_rc ex_kern_cmp(int op, const struct ex_vec *a, const struct ex_vec *b,
				   const uint32_t *sel, int64_t n, struct tarn_array *r);
/* Comparison as a selection: rows where it is TRUE. */
int64_t ex_kern_cmp_select(int op, const struct ex_vec *a, const struct ex_vec *b,
			    const uint32_t *sel, int64_t n, uint32_t *out);
/* lo_cmp AND hi_cmp, two comparisons of one column (int32, date32,
 * int64 or float64) with constants, as one selection pass (expr.c
 * checks the shape). */
int64_t ex_kern_range_select(const struct ex_expr *x, const struct ex_expr *y,
			     const struct ex_batch *b, const uint32_t *sel, int64_t n,
			     uint32_t *out);
/* IS [NOT] DISTINCT FROM into a boolean array (never null). */
TARN_MUST_USE tarn_rc ex_kern_distinct(bool negate, const struct ex_vec *a,
					const struct ex_vec *b, const uint32_t *sel, int64_t n,
					struct tarn_array *r);
/* Three-way comparison of two values of the same scalar type (NULLs are
 * the caller's business): the total order the sort and min/max use
 * (NaN greatest, -0.0 = 0.0, strings bytewise). */
int ex_value_cmp(const struct tarn_array *a, int64_t i, const struct tarn_array *b, int64_t j);
/* Whether comparison op (enum ex_cmp) holds for a three-way result c. */
static inline bool ex_cmp_holds(int op, int c)
{
	switch (op) {
	case EX_EQ: return c == 0;
	case EX_NE: return c != 0;
	case EX_LT: return c < 0;
	case EX_LE: return c <= 0;
	case EX_GT: return c > 0;
	default: return c >= 0;
	}
}

/* Date arithmetic node. */
TARN_MUST_USE tarn_rc ex_kern_date_add(const struct ex_expr *e, const struct ex_vec *a,
					const uint32_t *sel, int64_t n, struct tarn_array *r,
					struct tarn_err *err);
/* Adds months to a day count, clamping to the end of the month. */
int64_t ex_days_add_months(int64_t days, int64_t months);

/* expr_cast.c */
bool ex_cast_allowed(const struct tarn_type *from, const struct tarn_type *to);
TARN_MUST_USE tarn_rc ex_kern_cast(const struct tarn_type *to, bool try_cast,
				    const struct ex_vec *a, const uint32_t *sel, int64_t n,
				    struct tarn_array *r, struct tarn_err *err);

/* expr_str.c: LIKE */
TARN_MUST_USE tarn_rc ex_like_compile(const uint8_t *pat, size_t n, int esc, bool ci,
				       struct ex_like **out, struct tarn_err *err);
void ex_like_free(struct ex_like *l);
bool ex_like_match(const struct ex_like *l, const uint8_t *s, size_t n);
/* LIKE of a string vector against a compiled pattern (pat NULL: the
 * pattern is the vector p, escape esc, compiled per row). */
TARN_MUST_USE tarn_rc ex_kern_like(const struct ex_expr *e, const struct ex_vec *a,
				    const struct ex_vec *p, int esc, const uint32_t *sel,
				    int64_t n, struct tarn_array *r, struct tarn_err *err);

/* expr_str.c: IN sets over constant lists (values already cast to the
 * probe type). has_null: the list holds a NULL. */
TARN_MUST_USE tarn_rc ex_inset_new(const struct tarn_type *t, struct ex_expr **items, int n,
				    struct ex_inset **out);
void ex_inset_free(struct ex_inset *s);
TARN_MUST_USE tarn_rc ex_kern_in(const struct ex_expr *e, const struct ex_vec *a,
				  const uint32_t *sel, int64_t n, struct tarn_array *r);
/* Copies the list for ex_expr_copy. */
TARN_MUST_USE tarn_rc ex_inset_copy(const struct ex_inset *s, struct ex_inset **out);
/* The list's non-null values (one array of the set's type). */
const struct tarn_array *ex_inset_values(const struct ex_inset *s);
void ex_inset_text(const struct ex_inset *s, struct tarn_buf *out);

/* expr.c: wraps x in a cast to t when its type differs (folding constants). */
TARN_MUST_USE tarn_rc ex_expr_coerce(struct ex_expr **x, const struct tarn_type *t,
				      struct tarn_err *err);
/* A node of kind k with n argument slots (type NULL-typed). */
TARN_MUST_USE tarn_rc ex_expr_node(enum ex_expr_kind k, int n, struct ex_expr **out);

/* Writing a string result in row order: rows before the next one written
 * (unselected rows) get empty values, keeping offsets monotonic. */
struct ex_strout {
	struct tarn_array *r;
	int32_t off;
	int64_t next; /* first row whose start offset is not yet written */
};

static inline void ex_strout_init(struct ex_strout *o, struct tarn_array *r)
{
	o->r = r;
	o->off = 0;
	o->next = 0;
	r->values_len = 0;
}

/* Starts row i (rows must come in ascending order). */
static inline void ex_strout_row(struct ex_strout *o, int64_t i)
{
	for (; o->next <= i; o->next++)
		o->r->offsets[o->next] = o->off;
}

static inline tarn_rc ex_strout_put(struct ex_strout *o, const void *p, size_t n)
{
	if (n > 0) {
		if ((int64_t)o->off + (int64_t)n > TARN_ARRAY_MAX_BYTES)
			return TARN_ELIMIT;
		o->r->values_len = o->off;
		TRY(tarn_array_reserve_bytes(o->r, (int64_t)n));
		memcpy(o->r->values + o->off, p, n);
		o->off += (int32_t)n;
		o->r->values_len = o->off;
	}
	return TARN_OK;
}

/* Ends the last row and fills offsets to the array's length. */
static inline void ex_strout_done(struct ex_strout *o)
{
	for (; o->next <= o->r->length; o->next++)
		o->r->offsets[o->next] = o->off;
	o->r->values_len = o->off;
}

/* func.c: argument checks shared by the function files (each coerces
 * argument i when it can, else fails naming the function and argument). */
TARN_MUST_USE tarn_rc ex_fn_bind_fail(struct ex_expr *e, int arg, const char *want,
				      struct tarn_err *err);
TARN_MUST_USE tarn_rc ex_fn_coerce(struct ex_expr *e, int i, enum tarn_type_id id,
				   struct tarn_err *err);
TARN_MUST_USE tarn_rc ex_fn_want_numeric(struct ex_expr *e, int i, struct tarn_err *err);
TARN_MUST_USE tarn_rc ex_fn_want_string(struct ex_expr *e, int i, struct tarn_err *err);
TARN_MUST_USE tarn_rc ex_fn_want_int(struct ex_expr *e, int i, struct tarn_err *err);
TARN_MUST_USE tarn_rc ex_fn_want_temporal(struct ex_expr *e, int i, bool time_ok,
					  struct tarn_err *err);
/* ENOMEM/ELIMIT of a string kernel as an error naming the function. */
tarn_rc ex_fn_str_fail(tarn_rc rc, const char *fn, struct tarn_err *err);
/* md5()/sha256(): digest(s) of each string as 2 * bytes lower-case hex
 * digits (bytes <= 64). */
TARN_MUST_USE tarn_rc ex_fn_digest_hex(const struct ex_fargs *a, const uint32_t *sel, int64_t n,
				       struct tarn_array *r,
				       void (*digest)(const uint8_t *, size_t, uint8_t *), int bytes,
				       const char *fn, struct tarn_err *err);
/* The common type of all arguments (greatest, list_value, ...) into *out
 * (the caller clears it), every argument coerced to it. */
TARN_MUST_USE tarn_rc ex_fn_coerce_common(struct ex_expr *e, struct tarn_type *out,
					  struct tarn_err *err);
/* A part name (date_part, date_diff, ...) and its number. */
struct ex_part_name {
	const char *name;
	int part;
};
/* args[0] must be a constant string naming one of names[0..n) (any case):
 * e->fn_arg gets its number; else a usage error about the `what`. */
TARN_MUST_USE tarn_rc ex_fn_const_part(struct ex_expr *e, const struct ex_part_name *names,
				       size_t n, const char *what, struct tarn_err *err);
/* ascii()/unicode(): each string's first code point, `empty` for '' */
TARN_MUST_USE tarn_rc ex_fn_first_codepoint(const struct ex_fargs *a, const uint32_t *sel,
					     int64_t n, struct tarn_array *r, int32_t empty);
/* func_regex.c: compiled regular expressions of regexp_* calls */
void ex_regex_free(struct ex_regex *re);
TARN_MUST_USE tarn_rc ex_regex_copy(const struct ex_regex *re, struct ex_regex **out);
/* func_more.c: the registry's second table */
extern const struct ex_func ex_funcs_more[];
extern const int ex_funcs_more_n;
extern const struct ex_func ex_funcs_regex[];
extern const int ex_funcs_regex_n;
/* func_extra.c (bit operators, sha256, unicode) and func_time.c (time
 * zones, strptime, epoch and interval constructors): more tables */
extern const struct ex_func ex_funcs_extra[];
extern const int ex_funcs_extra_n;
extern const struct ex_func ex_funcs_time[];
extern const int ex_funcs_time_n;
/* func_time.c: what the constructors route intervals to. applies: l op r
 * involves an interval, or is timestamp - timestamp. Both take l and r. */
bool ex_interval_arith_applies(enum ex_arith op, const struct ex_expr *l, const struct ex_expr *r);
TARN_MUST_USE tarn_rc ex_interval_arith(enum ex_arith op, struct ex_expr *l, struct ex_expr *r,
					 struct ex_expr **out, struct tarn_err *err);
TARN_MUST_USE tarn_rc ex_interval_cmp(enum ex_cmp op, struct ex_expr *l, struct ex_expr *r,
				       struct ex_expr **out, struct tarn_err *err);

/* Bytes of string row i of v (constant: row 0). */
static inline const uint8_t *ex_str_at(const struct ex_vec *v, int64_t i, size_t *n)
{
	int64_t j = VROW(v, i);
	const int32_t *o = v->a->offsets;
	*n = (size_t)(o[j + 1] - o[j]);
	return v->a->values + o[j];
}

/* Booleans are bit-packed; these keep kernels readable. */
static inline void bits_set(uint8_t *bits, int64_t i, bool v)
{
	tarn_bit_set(bits, i, v);
}

#endif
