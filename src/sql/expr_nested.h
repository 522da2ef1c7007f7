/*
 * expr_nested.h — LIST, STRUCT and MAP values in expressions (expr_nested.c):
 * the hooks the generic expression code calls for nested types, and the
 * registry's nested function table.
 */
#ifndef TARN_SQL_EXPR_NESTED_H
#define TARN_SQL_EXPR_NESTED_H

#include "sql/expr.h"

/* Common type of two types of which one at least is nested (same shape,
 * struct field names equal; leaves by ex_type_common). */
TARN_MUST_USE tarn_rc ex_nested_common(const struct tarn_type *a, const struct tarn_type *b,
					struct tarn_type *out, struct tarn_err *err);
/* Whether from casts to nested type to (same shape, castable leaves). */
bool ex_nested_cast_allowed(const struct tarn_type *from, const struct tarn_type *to);
/* Cast kernel for a nested target type (NULL source included). */
TARN_MUST_USE tarn_rc ex_nested_cast(const struct tarn_type *to, bool try_cast,
				      const struct ex_vec *a, const uint32_t *sel, int64_t n,
				      struct tarn_array *r, struct tarn_err *err);
/* Appends DuckDB's text of row i (CAST to VARCHAR): [1, 2], {'a': x},
 * {k=v}, NULL; item texts quoted ('..', \' escaped) when they hold syntax. */
TARN_MUST_USE tarn_rc ex_nested_text(const struct tarn_array *a, int64_t i, struct tarn_buf *out);
/* Three-way order of two values of one type, nested or not; NULLs (at any
 * level) after values. */
int ex_nested_value_cmp(const struct tarn_array *a, int64_t i, const struct tarn_array *b,
			int64_t j);
/* Comparisons of nested operands (as ex_kern_cmp / ex_kern_cmp_select). */
TARN_MUST_USE tarn_rc ex_nested_kern_cmp(int op, const struct ex_vec *a, const struct ex_vec *b,
					  const uint32_t *sel, int64_t n, struct tarn_array *r);
int64_t ex_nested_cmp_select(int op, const struct ex_vec *a, const struct ex_vec *b,
			     const uint32_t *sel, int64_t n, uint32_t *out);

/* CASE/COALESCE result assembly for a nested type: row i (of sel) takes
 * vals[choice[i]] (choice == none: NULL); r is rebuilt over its length. */
TARN_MUST_USE tarn_rc ex_nested_merge(struct tarn_array *r, const struct ex_vec *vals,
				       const uint16_t *choice, uint16_t none, const uint32_t *sel,
				       int64_t n);

/* The nested table: the entry named name for these arguments, or NULL
 * (len/length/|| only when an argument is nested). */
const struct ex_func *ex_nested_func_find(const char *name, struct ex_expr *const *args, int n);
bool ex_func_is_nested(const struct ex_func *f);
const struct ex_func *ex_nested_func_at(int i);
extern const int ex_nested_funcs_n;

/* A struct value {names[0]: args[0], ...} (takes the args, also on
 * failure; names are copied). */
TARN_MUST_USE tarn_rc ex_expr_struct_pack(char **names, struct ex_expr **args, int n,
					   struct ex_expr **out, struct tarn_err *err);

#endif
