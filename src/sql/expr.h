/*
 * expr.h — bound scalar expressions and their vectorised evaluator.
 *
 * A bound expression is an immutable tree (struct ex_expr). Leaves are
 * column references (an index into the input batch's columns with the
 * column's resolved tarn_type) and typed constants (a one-row array, which
 * may hold NULL); inner nodes are operators, CASE/COALESCE/NULLIF, casts,
 * date arithmetic and calls into the scalar function registry (func.c).
 * Every node carries its result type. The constructors below do the typing:
 * they find the common type of the operands (DuckDB/Postgres rules, listed
 * in docs/internals.md "SQL execution"), wrap operands in implicit casts so
 * that every kernel sees operands of one type, and fold any subtree whose
 * inputs are all constants into a constant (an error while folding leaves
 * the subtree unfolded, so `CASE WHEN false THEN 1/0 END` is not an error).
 * Constructors take ownership of their argument nodes, also on failure.
 *
 * Evaluation works on a whole batch (struct ex_batch, up to 65536 rows)
 * restricted to a selection vector. ex_eval_run computes a node over the
 * selected rows into a scratch array the node owns in the evaluation state
 * (values defined only at selected rows, see vec.h); a column reference
 * returns the input column itself and a constant returns its one-row array
 * flagged is_const — nothing is copied. ex_eval_select computes a
 * predicate straight into a narrower selection (rows where it is TRUE), the
 * way filters and CASE branches use it; comparisons, AND/OR/NOT, IS NULL,
 * IN and LIKE have direct selection kernels, other predicates go through
 * a boolean array.
 *
 * Kernels switch on the physical type once per batch and run a tight loop
 * per (operation, type, operand shape); validity is combined 64 rows per
 * word. Conditional parts (AND/OR right sides, CASE branches, COALESCE
 * fallbacks) are evaluated only on the rows that need them, so errors in a
 * branch not taken never fire.
 *
 * Errors at run time (integer or decimal overflow, a cast that cannot
 * convert) are TARN_EDATA with the values involved; TRY_CAST yields NULL
 * instead. Division follows DuckDB (see enum ex_arith): no error. Type errors at construction are TARN_EUSAGE naming
 * the operation and the types.
 *
 * Thread-safety: a prepared expression tree is read-only and may be
 * evaluated by many threads at once, each with its own struct ex_eval.
 */
#ifndef TARN_SQL_EXPR_H
#define TARN_SQL_EXPR_H

#include <stdbool.h>
#include <stdint.h>

#include "columnar/array.h"
#include "sql/vec.h"

enum ex_expr_kind {
	EX_E_COLUMN,
	EX_E_CONST,
	EX_E_ARITH,    /* op: enum ex_arith; args[0] op args[1] */
	EX_E_NEG,      /* -args[0] */
	EX_E_CMP,      /* op: enum ex_cmp */
	EX_E_AND,      /* n-ary, three-valued */
	EX_E_OR,
	EX_E_NOT,
	EX_E_IS_NULL,  /* negate: IS NOT NULL */
	EX_E_DISTINCT, /* IS DISTINCT FROM; negate: IS NOT DISTINCT FROM */
	EX_E_IN,       /* args[0] IN (constant list in `in`); negate: NOT IN */
	EX_E_LIKE,     /* args[0] LIKE pattern; ci: ILIKE; negate: NOT LIKE */
	EX_E_CASE,     /* args: when1, then1, ..., whenN, thenN, else */
	EX_E_COALESCE,
	EX_E_NULLIF,
	EX_E_CAST,     /* try_cast: NULL instead of an error */
	EX_E_FUNC,     /* fn: a registry entry */
	EX_E_DATE_ADD, /* args[0] (date or timestamp) + interval */
};

/* DuckDB's operators: / divides as float64 (integers and decimals are
 * converted; x / 0 is +-inf or NaN), // divides integers truncating, %
 * takes the dividend's sign; // and % by zero give NULL. */
enum ex_arith { EX_ADD, EX_SUB, EX_MUL, EX_DIV, EX_MOD, EX_IDIV };
enum ex_cmp { EX_EQ, EX_NE, EX_LT, EX_LE, EX_GT, EX_GE };

struct ex_func;
struct ex_like;
struct ex_inset;
struct ex_regex;

struct ex_expr {
	enum ex_expr_kind kind;
	struct tarn_type type; /* result type (owned) */
	int id;                /* preorder number within the prepared tree */
	int n_nodes;           /* root of a prepared tree: nodes in it */
	int n_args;
	struct ex_expr **args;
	int op;                /* enum ex_arith / enum ex_cmp */
	bool negate;           /* IS NOT NULL, IS NOT DISTINCT, NOT IN, NOT LIKE */
	bool try_cast;
	bool ci;               /* ILIKE */
	int col;               /* EX_E_COLUMN: input column index */
	char *name;            /* EX_E_COLUMN: name for messages (may be NULL) */
	struct tarn_array *value;  /* EX_E_CONST: one row */
	const struct ex_func *fn; /* EX_E_FUNC */
	int fn_arg;            /* EX_E_FUNC: a constant option folded at bind (date part) */
	struct ex_like *like; /* EX_E_LIKE: compiled pattern */
	struct ex_inset *in;  /* EX_E_IN: the list as a set */
	struct ex_regex *re;  /* EX_E_FUNC regexp_*: the compiled constant pattern */
	/* EX_E_FUNC: read-only state a bind made from constant arguments (a
	 * loaded time zone), with the functions that free and copy it */
	void *fn_state;
	void (*fn_state_free)(void *state);
	tarn_rc (*fn_state_copy)(const void *state, void **out);
	int32_t months, days;  /* EX_E_DATE_ADD */
	int64_t micros;
};

/* ---- construction ------------------------------------------------------------------
 * All constructors take ownership of the nodes passed in (freed on failure)
 * and set *out only on success. */

TARN_MUST_USE tarn_rc ex_expr_column(int col, const struct tarn_type *t, const char *name,
				      struct ex_expr **out);
/* A constant from row `row` of array a (copied). */
TARN_MUST_USE tarn_rc ex_expr_const(const struct tarn_array *a, int64_t row,
				     struct ex_expr **out);
TARN_MUST_USE tarn_rc ex_expr_const_null(const struct tarn_type *t, struct ex_expr **out);
TARN_MUST_USE tarn_rc ex_expr_const_int(enum tarn_type_id id, int64_t v, struct ex_expr **out);
TARN_MUST_USE tarn_rc ex_expr_const_double(double v, struct ex_expr **out);
TARN_MUST_USE tarn_rc ex_expr_const_bool(bool v, struct ex_expr **out);
TARN_MUST_USE tarn_rc ex_expr_const_decimal(tarn_i128 v, int precision, int scale,
					     struct ex_expr **out);
TARN_MUST_USE tarn_rc ex_expr_const_string(const char *s, size_t n, struct ex_expr **out);
TARN_MUST_USE tarn_rc ex_expr_const_date(int32_t days, struct ex_expr **out);
TARN_MUST_USE tarn_rc ex_expr_const_interval(int32_t months, int32_t days, int64_t micros,
					      struct ex_expr **out);
/* A constant of type t spelled as text (the text.h spellings): the way
 * typed literals (DATE '1998-12-01', 12.50) are made. */
TARN_MUST_USE tarn_rc ex_expr_const_text(const struct tarn_type *t, const char *s, size_t n,
					  struct ex_expr **out, struct tarn_err *err);

TARN_MUST_USE tarn_rc ex_expr_arith(enum ex_arith op, struct ex_expr *l, struct ex_expr *r,
				     struct ex_expr **out, struct tarn_err *err);
TARN_MUST_USE tarn_rc ex_expr_neg(struct ex_expr *x, struct ex_expr **out,
				   struct tarn_err *err);
TARN_MUST_USE tarn_rc ex_expr_cmp(enum ex_cmp op, struct ex_expr *l, struct ex_expr *r,
				   struct ex_expr **out, struct tarn_err *err);
/* AND/OR of n boolean operands (n >= 1). */
TARN_MUST_USE tarn_rc ex_expr_and(struct ex_expr **args, int n, struct ex_expr **out,
				   struct tarn_err *err);
TARN_MUST_USE tarn_rc ex_expr_or(struct ex_expr **args, int n, struct ex_expr **out,
				  struct tarn_err *err);
TARN_MUST_USE tarn_rc ex_expr_not(struct ex_expr *x, struct ex_expr **out,
				   struct tarn_err *err);
TARN_MUST_USE tarn_rc ex_expr_is_null(struct ex_expr *x, bool negate, struct ex_expr **out,
				       struct tarn_err *err);
TARN_MUST_USE tarn_rc ex_expr_distinct(struct ex_expr *l, struct ex_expr *r, bool negate,
					struct ex_expr **out, struct tarn_err *err);
/* x [NOT] BETWEEN lo AND hi, lowered to x >= lo AND x <= hi (x copied). */
TARN_MUST_USE tarn_rc ex_expr_between(struct ex_expr *x, struct ex_expr *lo,
				       struct ex_expr *hi, bool negate, struct ex_expr **out,
				       struct tarn_err *err);
/* x [NOT] IN (list): a constant list becomes a set (hashed when long);
 * otherwise it is lowered to ORed equalities. */
TARN_MUST_USE tarn_rc ex_expr_in(struct ex_expr *x, struct ex_expr **list, int n, bool negate,
				  struct ex_expr **out, struct tarn_err *err);
/* x [NOT] [I]LIKE pattern [ESCAPE esc]; esc NULL = no escape character.
 * A constant pattern is compiled once (exact, prefix%, %suffix, %infix%
 * fast paths). */
TARN_MUST_USE tarn_rc ex_expr_like(struct ex_expr *x, struct ex_expr *pattern,
				    struct ex_expr *esc, bool ci, bool negate,
				    struct ex_expr **out, struct tarn_err *err);
/* CASE WHEN whens[i] THEN thens[i] ... ELSE els END (els NULL = ELSE NULL).
 * The simple form CASE x WHEN v ... is the binder's to lower to x = v. */
TARN_MUST_USE tarn_rc ex_expr_case(struct ex_expr **whens, struct ex_expr **thens, int n,
				    struct ex_expr *els, struct ex_expr **out,
				    struct tarn_err *err);
TARN_MUST_USE tarn_rc ex_expr_coalesce(struct ex_expr **args, int n, struct ex_expr **out,
					struct tarn_err *err);
TARN_MUST_USE tarn_rc ex_expr_nullif(struct ex_expr *a, struct ex_expr *b,
				      struct ex_expr **out, struct tarn_err *err);
TARN_MUST_USE tarn_rc ex_expr_cast(struct ex_expr *x, const struct tarn_type *t, bool try_cast,
				    struct ex_expr **out, struct tarn_err *err);
/* A call of the named scalar function (case-insensitive); see func.c for the
 * list. Names that are special forms (coalesce, nullif) build those nodes. */
TARN_MUST_USE tarn_rc ex_expr_func(const char *name, struct ex_expr **args, int n,
				    struct ex_expr **out, struct tarn_err *err);
/* x + INTERVAL (months, days, micros); subtract by negating them. The
 * result is a timestamp (a date's midnight plus the interval, as DuckDB);
 * month arithmetic clamps to the month's end (Jan 31 + 1 month = Feb
 * 28/29). Comparing a date with a constant timestamp compares dates
 * (ex_expr_cmp rewrites it), so `d <= DATE x - INTERVAL '90' DAY` stays a
 * date filter. */
TARN_MUST_USE tarn_rc ex_expr_date_add(struct ex_expr *x, int32_t months, int32_t days,
					int64_t micros, struct ex_expr **out,
					struct tarn_err *err);

TARN_MUST_USE tarn_rc ex_expr_copy(const struct ex_expr *e, struct ex_expr **out);
void ex_expr_free(struct ex_expr *e);
/* Numbers the nodes of the tree (ids, n_nodes at the root). Call once on
 * each root before making evaluation states for it. */
void ex_expr_prepare(struct ex_expr *e);
/* Folds *e into a constant when its inputs are all constants (the
 * constructors already do this); leaves it when evaluation fails. */
TARN_MUST_USE tarn_rc ex_expr_fold(struct ex_expr **e);
bool ex_expr_is_const(const struct ex_expr *e);
/* Appends a readable SQL spelling of e (for messages and EXPLAIN). */
TARN_MUST_USE tarn_rc ex_expr_text(const struct ex_expr *e, struct tarn_buf *out);

/* The common supertype of a and b for comparison/union (into *out, which
 * the caller clears), or TARN_EUSAGE. */
TARN_MUST_USE tarn_rc ex_type_common(const struct tarn_type *a, const struct tarn_type *b,
				      struct tarn_type *out, struct tarn_err *err);
/* Whether values of type t can be compared/hashed by the executor. */
bool ex_type_is_scalar(enum tarn_type_id id);

/* ---- evaluation ------------------------------------------------------------------- */

/* A result: an array whose selected rows hold the values, or a one-row
 * array (is_const) standing for every row. */
struct ex_vec {
	const struct tarn_array *a;
	bool is_const;
};

struct ex_eval; /* one thread's scratch space for one prepared tree */

TARN_MUST_USE tarn_rc ex_eval_new(const struct ex_expr *root, struct ex_eval **out);
void ex_eval_free(struct ex_eval *ev);
/* Evaluates root over rows sel[0..n_sel) of b (sel NULL = all b->n_rows).
 * out->a stays valid until the next evaluation with ev. */
TARN_MUST_USE tarn_rc ex_eval_run(struct ex_eval *ev, const struct ex_expr *root,
				   const struct ex_batch *b, const uint32_t *sel, int64_t n_sel,
				   struct ex_vec *out, struct tarn_err *err);
/* Like ex_eval_run, but the result is a new array of b->n_rows rows owned
 * by the caller (constants are broadcast, column references copied). */
TARN_MUST_USE tarn_rc ex_eval_array(struct ex_eval *ev, const struct ex_expr *root,
				     const struct ex_batch *b, const uint32_t *sel,
				     int64_t n_sel, struct tarn_array **out,
				     struct tarn_err *err);
/* The rows of sel[0..n_sel) (NULL = all) where boolean root is TRUE, in
 * order, into out_sel (room for n_sel rows; may equal sel). */
TARN_MUST_USE tarn_rc ex_eval_select(struct ex_eval *ev, const struct ex_expr *root,
				      const struct ex_batch *b, const uint32_t *sel,
				      int64_t n_sel, uint32_t *out_sel, int64_t *n_out,
				      struct tarn_err *err);

/* ---- the scalar function registry (func.c) --------------------------------------- */

struct ex_fargs {
	int n;
	const struct ex_vec *v; /* evaluated arguments */
};

struct ex_func {
	const char *name;
	int min_args, max_args;
	const char *help; /* "round(x [, digits]): ..." */
	/* Checks/convers the call's argument types (may wrap args in casts or
	 * fold a constant option into e->fn_arg) and sets e->type. */
	tarn_rc (*bind)(struct ex_expr *e, struct tarn_err *err);
	/* Computes rows sel[0..n) into r (prepared for b->n_rows rows). */
	tarn_rc (*eval)(const struct ex_expr *e, const struct ex_fargs *a, const uint32_t *sel,
			int64_t n, struct tarn_array *r, struct tarn_err *err);
};

const struct ex_func *ex_func_find(const char *name);
/* The registered name closest to an unknown one (at most 2 edits away,
 * case-insensitive), for "did you mean" messages; NULL if none. */
const char *ex_func_suggest(const char *name);
/* Registry entries in order, NULL past the end. */
const struct ex_func *ex_func_at(int i);

#endif
