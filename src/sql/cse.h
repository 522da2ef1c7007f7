/*
 * cse.h — common-subexpression elimination for the binder (cse.c).
 *
 * An operator that evaluates several expressions over its child (a
 * projection's list, a hash aggregate's keys, arguments and FILTERs) may
 * compute the same subtree more than once, as TPC-H Q1's
 * sum(l_extendedprice * (1 - l_discount)) and
 * sum(l_extendedprice * (1 - l_discount) * (1 + l_tax)). These calls find
 * the repeated subtrees (not columns or constants, deterministic, at a
 * position that is evaluated on every row), compute each once in a new
 * projection over the child (the child's columns passed through, then one
 * column __cseN per subtree), and rewrite the expressions to read those
 * columns. Column indices into the child stay valid.
 *
 * On success *child may be the new projection (it owns the old child).
 * On failure (TARN_ENOMEM) *child may have been freed (set to NULL); the
 * expressions are always whole, equivalent trees the caller still owns.
 */
#ifndef TARN_SQL_CSE_H
#define TARN_SQL_CSE_H

#include "sql/exec.h"

/* exprs[0..n) are the list a projection will evaluate over *child. */
TARN_MUST_USE tarn_rc sql_cse_project(struct ex_op **child, struct ex_expr **exprs, int n,
				      struct tarn_err *err);
/* keys[0..nk) and specs[0..na) are what a hash aggregate will evaluate over
 * *child (arguments and FILTERs; an argument under a FILTER is evaluated
 * only on the rows that pass it, so it is left alone). */
TARN_MUST_USE tarn_rc sql_cse_agg(struct ex_op **child, struct ex_expr **keys, int nk,
				  struct ex_agg_spec *specs, int na, struct tarn_err *err);
/* Whether the named scalar function gives a new value per call (random(),
 * gen_random_uuid(), nextval(), ...): never merged or hoisted. */
bool sql_cse_volatile_name(const char *name);

#endif
