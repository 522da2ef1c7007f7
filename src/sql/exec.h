/*
 * exec.h — physical operators and the query driver.
 *
 * A physical plan is a tree of operators (struct ex_op) built bottom-up
 * with the constructors below; each constructor takes ownership of its
 * children and expressions (also on failure). The planner hands the root
 * to ex_query_new and pulls result batches with ex_query_next.
 *
 * Execution model (exec.c). The driver cuts the tree into pipelines at the
 * operators that must see all their input first (hash aggregate, sort, the
 * build side of a hash join): a pipeline is a source (a scan, an in-memory
 * batch list, or a finished breaker), a chain of streaming operators
 * (filter, project, the probe side of joins, limit) and a sink (a breaker,
 * or the query's output). Pipelines run one after another in dependency
 * order; within a pipeline, work is split into morsels — one source batch
 * each (a Parquet reader batch: rows of one row group) — and every morsel
 * runs the whole chain and the sink's per-morsel step as one task on the
 * worker pool (base/pool.h), up to `threads` morsels in flight.
 *
 * Determinism: sink steps produce a per-morsel partial result (a partial
 * aggregate, a sorted run, a slice of the build side) which the driver
 * merges on the calling thread strictly in morsel order; output batches
 * also leave in morsel order. So a query gives identical results — the
 * same rows in the same order, the same floating-point sums — with 1 or N
 * threads. Order-dependent streaming operators (LIMIT) run at that
 * ordered merge point too.
 *
 * Memory: every operator that holds data beyond the morsels in flight
 * (aggregate tables, sort runs, join build sides) reserves its bytes with
 * ex_mem_reserve against the query's limit; going over is TARN_ELIMIT
 * naming the operator and the limit. This is the seam for spilling: an
 * operator that can spill would do so where its reservation fails.
 *
 * Thread-safety: a query runs on the thread that calls ex_query_next (plus
 * the pool's workers it submits to); operators are not shared between
 * queries.
 */
#ifndef TARN_SQL_EXEC_H
#define TARN_SQL_EXEC_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/buf.h"
#include "sql/expr.h"
#include "sql/vec.h"

/* ---- query context ------------------------------------------------------------------- */

struct ex_ctx {
	int threads;                /* morsels in flight; 1 = everything on the caller */
	int64_t mem_limit;          /* bytes; 0 = unlimited */
	bool analyze;               /* count rows and time per operator (EXPLAIN ANALYZE) */
	_Atomic int64_t mem_used;
	_Atomic int64_t mem_peak;
};

/* Counts bytes held by operator `op` (its display name); TARN_ELIMIT when
 * the query would go over its limit (nothing is counted then). */
TARN_MUST_USE tarn_rc ex_mem_reserve(struct ex_ctx *q, const char *op, int64_t bytes,
				     struct tarn_err *err);
void ex_mem_release(struct ex_ctx *q, int64_t bytes);

/* ---- operators --------------------------------------------------------------------------- */

struct ex_sort_key;

/* Batches produced by one streaming step (0..n, in order). */
struct ex_emit {
	struct ex_batch **v;
	int n, cap;
};
TARN_MUST_USE tarn_rc ex_emit_push(struct ex_emit *e, struct ex_batch *b);

struct ex_op;

/* What an operator can do; NULL members are roles it does not play. */
struct ex_op_vt {
	const char *name; /* "hash aggregate", for messages and EXPLAIN */
	/* Source role (serial, on the driver's thread): the next batch in
	 * order, NULL at the end. */
	tarn_rc (*next)(struct ex_op *op, struct ex_batch **out, struct tarn_err *err);
	/* Streaming role (any thread, with a per-task local state): consumes
	 * `in`, pushes 0..n batches. */
	tarn_rc (*local_new)(struct ex_op *op, void **out);
	void (*local_free)(struct ex_op *op, void *local);
	tarn_rc (*stream)(struct ex_op *op, void *local, struct ex_batch *in, struct ex_emit *out,
			  struct tarn_err *err);
	/* After the last input batch (driver's thread): trailing batches
	 * (the unmatched build rows of right/full joins). */
	tarn_rc (*stream_end)(struct ex_op *op, struct ex_emit *out, struct tarn_err *err);
	/* Streaming operators whose output depends on input order (LIMIT)
	 * run on the driver's thread in morsel order; done() tells the driver
	 * it needs no more input. */
	bool ordered;
	bool (*done)(struct ex_op *op);
	/* Sink role: sink() folds a batch into a per-task partial (any
	 * thread); merge() folds a partial into the operator's total, in
	 * morsel order, and leaves the partial empty for reuse; finish()
	 * runs after the last merge; then the operator is a source. */
	tarn_rc (*sink_new)(struct ex_op *op, void **out);
	void (*sink_free)(struct ex_op *op, void *part);
	tarn_rc (*sink)(struct ex_op *op, void *part, struct ex_batch *in, struct tarn_err *err);
	tarn_rc (*merge)(struct ex_op *op, void *part, struct tarn_err *err);
	tarn_rc (*finish)(struct ex_op *op, struct tarn_err *err);
	/* For joins: the sink role belongs to child[1] (build side), the
	 * streaming role to child[0]. */
	bool two_inputs;
	void (*free)(struct ex_op *op);
	/* EXPLAIN (optional): appends the operator's essentials after its
	 * name ("keys: a, b; aggregates: sum(x)"); NULL = the name alone. */
	tarn_rc (*describe)(const struct ex_op *op, struct tarn_buf *out);
};

struct ex_op {
	const struct ex_op_vt *vt;
	struct ex_op *child[2];
	struct ex_ctx *q;          /* set by ex_query_new */
	struct tarn_schema *schema; /* output columns (names, types); referenced */
	int64_t mem_held;          /* bytes reserved with ex_mem_reserve */
	/* EXPLAIN ANALYZE (counted only when q->analyze): rows the operator
	 * produced, nanoseconds spent in its own callbacks summed over every
	 * task (exclusive of its children; may exceed wall time). */
	_Atomic int64_t stat_rows, stat_ns;
};

/* The per-task local state of an operator that evaluates a list of
 * expressions (project, grouping-sets expand): one evaluator per
 * expression; skip_columns leaves ev[i] NULL for plain column references
 * (read directly). ex_eval_set_free fits ex_op_vt.local_free. */
struct ex_eval_set {
	struct ex_eval **ev;
	int n;
};
TARN_MUST_USE tarn_rc ex_eval_set_new(struct ex_expr *const *exprs, int n, bool skip_columns,
				      void **out);
void ex_eval_set_free(struct ex_op *op, void *local);

void ex_op_free(struct ex_op *op);
const struct tarn_schema *ex_op_schema(const struct ex_op *op);

/* Sources. */

/* Reads PATH (any format tarn reads, or a dataset directory/glob) and
 * returns only COLUMNS (names; NULL = all), in that order. Formats that take
 * a `columns` option (Parquet) decode only those columns. */
TARN_MUST_USE tarn_rc ex_op_scan(const char *path, const char *format,
				 const struct tarn_opts *opts, const char *const *columns,
				 int n_columns, struct ex_op **out, struct tarn_err *err);
/* Scans an open reader (taken over). */
TARN_MUST_USE tarn_rc ex_op_scan_reader(struct tarn_reader *r, struct ex_op **out,
					struct tarn_err *err);
/* Names the scan's input for EXPLAIN (a scan of an opened reader). */
void ex_op_scan_set_path(struct ex_op *scan, const char *path);
/* Predicate hook: only rows whose COLUMN may lie in [lo, hi] (constant
 * expressions of the column's type, NULL = unbounded) are needed. For a
 * single Parquet file the reader skips row groups (and pages, with a page
 * index) whose statistics rule the range out; for a single ORC file,
 * stripes (and row groups, by the row index); other inputs ignore it. It
 * is a hint: the filter above must still test every row. Several calls
 * (before the first batch) push several ranges, all of which must hold:
 * the first prunes row groups and pages (stripes and row groups), later
 * ones row groups (stripes). */
TARN_MUST_USE tarn_rc ex_op_scan_prune(struct ex_op *scan, const char *column,
				       const struct ex_expr *lo, const struct ex_expr *hi,
				       struct tarn_err *err);
/* Pushes what conjuncts conj[0..n) (bound over the scan's output columns)
 * say of single columns into the scan as pruning ranges
 * (ex_op_scan_prune): `col op constant` for =, <, <=, >, >=, BETWEEN and
 * IN lists (their min and max), also through order-preserving casts of
 * the column (integer widening, date to timestamp). Conjuncts it cannot
 * use are left alone; the filter above still tests every row. Does
 * nothing when op is not a scan (pushdown.c). */
TARN_MUST_USE tarn_rc ex_op_scan_push(struct ex_op *op, struct ex_expr *const *conj, int n,
				      struct tarn_err *err);
/* In-memory batches (taken over), all of schema s. */
TARN_MUST_USE tarn_rc ex_op_values(struct tarn_schema *s, struct tarn_batch **batches, int n,
				   struct ex_op **out, struct tarn_err *err);

/* Set operations (op_setop.c). left and right have the same column types;
 * the output has left's schema. Rows compare IS NOT DISTINCT (NULL equals
 * NULL). UNION ALL emits the left rows, then the right rows; the others
 * emit left rows in input order, UNION then the right rows the left lacked. */
enum ex_setop_kind {
	EX_SETOP_UNION_ALL,
	EX_SETOP_UNION,
	EX_SETOP_INTERSECT,
	EX_SETOP_INTERSECT_ALL, /* min(left, right) copies of each row */
	EX_SETOP_EXCEPT,
	EX_SETOP_EXCEPT_ALL,    /* max(left - right, 0) copies */
};
TARN_MUST_USE tarn_rc ex_op_setop(enum ex_setop_kind kind, struct ex_op *left,
				  struct ex_op *right, struct ex_op **out, struct tarn_err *err);

/* DISTINCT ON (op_setop.c): the first row (in input order) of every
 * distinct combination of columns cols[0..n), compared IS NOT DISTINCT.
 * Ordered: it runs on the driver after the sort it usually sits on. */
TARN_MUST_USE tarn_rc ex_op_distinct_on(struct ex_op *child, const int *cols, int n,
					struct ex_op **out, struct tarn_err *err);

/* Grouping-sets expansion (op_expand.c): every input batch comes out
 * n_sets times; copy s holds the input columns, then the n_keys keys
 * (keys[k] over the input; NULL where bit k of masks[s] is clear), then
 * an INTEGER column s. keys are taken over; masks are copied. */
TARN_MUST_USE tarn_rc ex_op_expand(struct ex_op *child, struct ex_expr **keys,
				   const char *const *key_names, int n_keys,
				   const uint64_t *masks, int n_sets, struct ex_op **out,
				   struct tarn_err *err);

/* Distinct-row filter (op_setop.c), for the UNION of a recursive CTE:
 * of each batch handed to it, the rows never seen before (compared IS NOT
 * DISTINCT), across all batches. */
struct ex_dedup;
TARN_MUST_USE tarn_rc ex_dedup_new(const struct tarn_schema *s, struct ex_dedup **out);
void ex_dedup_free(struct ex_dedup *d);
/* sel[0..*n_out) = the rows of b (dense; at most EX_BATCH_MAX rows) not
 * seen in any earlier batch or earlier in b. */
TARN_MUST_USE tarn_rc ex_dedup_rows(struct ex_dedup *d, const struct tarn_batch *b, uint32_t *sel,
				     int64_t *n_out);
/* Bytes the filter holds. */
int64_t ex_dedup_bytes(const struct ex_dedup *d);

/* Integer series (op_series.c): start, start + step, ... up to stop
 * (included when `inclusive`), one BIGINT column named `name`. TARN_EUSAGE
 * when step is 0. */
TARN_MUST_USE tarn_rc ex_op_series(int64_t start, int64_t stop, int64_t step, bool inclusive,
				   const char *name, struct ex_op **out, struct tarn_err *err);

/* Streaming. */

TARN_MUST_USE tarn_rc ex_op_filter(struct ex_op *child, struct ex_expr *pred, struct ex_op **out,
				   struct tarn_err *err);
/* Output columns = exprs (over the child's columns), named names[i]
 * (NULL = the expression's text). */
TARN_MUST_USE tarn_rc ex_op_project(struct ex_op *child, struct ex_expr **exprs,
				    const char *const *names, int n, struct ex_op **out,
				    struct tarn_err *err);
/* Skips `offset` rows, then passes at most `limit` (-1 = no limit). */
TARN_MUST_USE tarn_rc ex_op_limit(struct ex_op *child, int64_t limit, int64_t offset,
				  struct ex_op **out, struct tarn_err *err);

/* UNNEST (op_unnest.c): output columns = the child's, then one per list
 * expression exprs[i] (its item type, named names[i]; NULL = "unnest").
 * Each input row becomes as many rows as its longest list (none if all are
 * NULL or empty); shorter lists are padded with NULL. */
TARN_MUST_USE tarn_rc ex_op_unnest(struct ex_op *child, struct ex_expr **exprs,
				   const char *const *names, int n, struct ex_op **out,
				   struct tarn_err *err);

/* Hash aggregate. Output: the keys, then one column per aggregate. With no
 * keys, exactly one row (also for empty input). */
enum ex_agg_fn {
	EX_AGG_COUNT_STAR, /* count(*): rows */
	EX_AGG_COUNT,      /* count(x): non-null x */
	EX_AGG_SUM,        /* integers: int64 (overflow is an error); decimal(p,s):
			      decimal(38,s); floats: float64. NULL when no input */
	EX_AGG_AVG,        /* float64 (decimals: float64, as DuckDB) */
	EX_AGG_MIN,
	EX_AGG_MAX,
	EX_AGG_BOOL_AND,
	EX_AGG_BOOL_OR,
	EX_AGG_VAR_SAMP,   /* float64; fewer than 2 values: NULL */
	EX_AGG_VAR_POP,
	EX_AGG_STDDEV_SAMP,
	EX_AGG_STDDEV_POP,
	EX_AGG_ARG_MIN,    /* arg at the least val (first such row wins) */
	EX_AGG_ARG_MAX,
	/* Two-argument statistics (arg, val): float64, rows where both are
	 * non-null. regr_*(y, x): arg is y, val is x. */
	EX_AGG_CORR,
	EX_AGG_COVAR_POP,
	EX_AGG_COVAR_SAMP,
	EX_AGG_REGR_SLOPE,
	EX_AGG_REGR_INTERCEPT,
	EX_AGG_REGR_R2,
	EX_AGG_PRODUCT,     /* float64 */
	EX_AGG_BIT_AND,     /* integers: the argument's type */
	EX_AGG_BIT_OR,
	EX_AGG_BIT_XOR,
	EX_AGG_FIRST,       /* first row's value, NULL included (in ORDER BY order if given) */
	EX_AGG_LAST,
	EX_AGG_ANY_VALUE,   /* first non-null value */
	EX_AGG_APPROX_COUNT_DISTINCT, /* int64: HyperLogLog estimate (exact when small) */
	/* Holistic: every group's values are kept until the end. */
	EX_AGG_MEDIAN,        /* quantile_cont at 0.5 */
	EX_AGG_QUANTILE_CONT, /* param: the fraction; numbers: float64 (decimals
				 keep their type), dates/timestamps: timestamp */
	EX_AGG_QUANTILE_DISC, /* param: the fraction; the argument's type */
	EX_AGG_MODE,          /* most frequent value; ties: the one seen first */
	EX_AGG_STRING_AGG,    /* param: the separator (a constant string, NULL = ",") */
	EX_AGG_LIST,          /* list<x>: the values, NULLs included (ORDER BY order if given) */
	EX_AGG__COUNT
};

struct ex_agg_spec {
	enum ex_agg_fn fn;
	bool distinct;           /* aggregate over distinct (non-null) values */
	struct ex_expr *arg;     /* NULL for count(*) */
	struct ex_expr *val;     /* arg_min/arg_max: the value ordered by */
	struct ex_expr *filter;  /* FILTER (WHERE ...), or NULL */
	const char *name;        /* output column name (NULL = "fn") */
	/* quantile_*: the fraction in [0, 1]; string_agg: the separator. A
	 * constant expression (taken over), or NULL. */
	struct ex_expr *param;
	/* f(x ORDER BY ...): keys over the input columns (taken over along
	 * with their expressions); used by string_agg, first and last (other
	 * aggregates do not depend on the order and ignore it). */
	struct ex_sort_key *order;
	int n_order;
};

/* The result type of fn over an argument of type t (TARN_EUSAGE if fn
 * does not take t). */
TARN_MUST_USE tarn_rc ex_agg_type(enum ex_agg_fn fn, const struct tarn_type *t,
				  struct tarn_type *out, struct tarn_err *err);
const char *ex_agg_name(enum ex_agg_fn fn);

/* keys/aggs (their expressions) are taken over; the spec arrays are not. */
TARN_MUST_USE tarn_rc ex_op_agg(struct ex_op *child, struct ex_expr **keys,
				const char *const *key_names, int n_keys,
				const struct ex_agg_spec *aggs, int n_aggs, struct ex_op **out,
				struct tarn_err *err);

/* Hash join: the build side (child[1]) is materialised and hashed on its
 * keys; the probe side streams. Null keys never match. */
enum ex_join_kind {
	EX_JOIN_INNER,
	EX_JOIN_LEFT,   /* every probe row; build columns NULL when unmatched */
	EX_JOIN_RIGHT,  /* every build row */
	EX_JOIN_FULL,
	EX_JOIN_SEMI,   /* probe rows with a match (once each): EXISTS */
	EX_JOIN_ANTI,   /* probe rows without a match: NOT EXISTS */
	EX_JOIN_MARK,   /* probe rows + bool column: x IN (build) with SQL's
			   NULL rules (NULL when no match and x or a build key
			   is NULL); single key */
	EX_JOIN_ANTI_NULL_AWARE, /* NOT IN: probe rows whose key is not NULL, matches
				    nothing, and the build side has no NULL key (all
				    rows when the build side is empty); single key */
	EX_JOIN_RIGHT_SEMI, /* build rows with a match, in build order, build
			       columns only: EXISTS with the outer side built */
	EX_JOIN_RIGHT_ANTI, /* build rows without a match: NOT EXISTS likewise */
};

/* Output columns: probe ++ build for inner/left/right/full; probe only for
 * semi/anti; probe ++ "mark" for mark. residual (may be NULL) is a
 * predicate over probe ++ build columns that a key match must also pass.
 * probe_keys[i] (over the probe columns) pairs with build_keys[i]. */
TARN_MUST_USE tarn_rc ex_op_hash_join(enum ex_join_kind kind, struct ex_op *probe,
				      struct ex_op *build, struct ex_expr **probe_keys,
				      struct ex_expr **build_keys, int n_keys,
				      struct ex_expr *residual, struct ex_op **out,
				      struct tarn_err *err);

/* Nested-loop join (op_nljoin.c): every probe row meets every build row;
 * pairs pass when pred (over probe ++ build columns; NULL = always) is
 * TRUE. For joins without an equality conjunct: inner, left, right, full,
 * semi, anti (not mark / null-aware anti). The build side is materialised
 * (reserved); output columns as ex_op_hash_join. */
TARN_MUST_USE tarn_rc ex_op_nl_join(enum ex_join_kind kind, struct ex_op *probe,
				    struct ex_op *build, struct ex_expr *pred, struct ex_op **out,
				    struct tarn_err *err);

/* ASOF join (op_asof.c): each probe row takes the one build row that is
 * equal on the key pairs and whose build_time is closest to probe_time
 * among those with `probe_time cmp build_time` (cmp: EX_GE, EX_GT, EX_LE,
 * EX_LT; NULL keys and times never match). kind: EX_JOIN_INNER (probe rows
 * without such a row are dropped) or EX_JOIN_LEFT (kept, build columns
 * NULL). Output: probe ++ build columns. */
TARN_MUST_USE tarn_rc ex_op_asof_join(enum ex_join_kind kind, struct ex_op *probe,
				      struct ex_op *build, struct ex_expr **probe_keys,
				      struct ex_expr **build_keys, int n_keys,
				      struct ex_expr *probe_time, struct ex_expr *build_time,
				      enum ex_cmp cmp, struct ex_op **out, struct tarn_err *err);

/* Dependent evaluation (op_apply.c), the fallback for correlated
 * subqueries: output = input ++ one column of type t (named name), whose
 * value for a row is what fn appends to `out` (exactly one value) given
 * the row's values of the input columns params[0..n) (vals[k] is that
 * column's array, row the physical row). fn runs once per distinct
 * parameter combination per task (cached), from any worker thread. ctx is
 * freed with ctx_free when the operator is (also on failure). */
typedef tarn_rc (*ex_apply_fn)(void *ctx, const struct tarn_array *const *vals, int64_t row,
			       struct tarn_array *out, struct tarn_err *err);
TARN_MUST_USE tarn_rc ex_op_apply(struct ex_op *child, const int *params, int n_params,
				  const struct tarn_type *t, const char *name, ex_apply_fn fn,
				  void *ctx, void (*ctx_free)(void *ctx), struct ex_op **out,
				  struct tarn_err *err);

/* Sort (stable: ties keep input order). top_n >= 0: only the first top_n
 * rows are wanted (ORDER BY ... LIMIT: a bounded heap per morsel). */
struct ex_sort_key {
	struct ex_expr *expr; /* taken over */
	bool desc;
	bool nulls_first;     /* the binder picks the default (DuckDB: NULLS LAST
				 for ASC and DESC alike) */
};

TARN_MUST_USE tarn_rc ex_op_sort(struct ex_op *child, struct ex_sort_key *keys, int n,
				 int64_t top_n, struct ex_op **out, struct tarn_err *err);

/* Window functions (op_window.c): one operator per (PARTITION BY, ORDER BY)
 * spec. It sorts its input by (partition keys ASC NULLS LAST, order keys)
 * with a sort operator it puts below itself, materialises it, and outputs
 * the rows in that order: the child's columns, then one column per
 * function. */
enum ex_win_fn {
	EX_WIN_ROW_NUMBER, /* BIGINT */
	EX_WIN_RANK,
	EX_WIN_DENSE_RANK,
	EX_WIN_NTILE,        /* arg2: bucket count (BIGINT) */
	EX_WIN_PERCENT_RANK, /* DOUBLE */
	EX_WIN_CUME_DIST,
	EX_WIN_LAG,          /* arg; arg2: offset (BIGINT); arg3: default (arg's type) */
	EX_WIN_LEAD,
	EX_WIN_FIRST_VALUE,  /* over the frame */
	EX_WIN_LAST_VALUE,
	EX_WIN_NTH_VALUE,    /* arg2: n (BIGINT) */
	EX_WIN_AGG,          /* agg over the frame (arg; arg2: arg_min/max's value) */
	EX_WIN_STRING_AGG,   /* arg (VARCHAR); arg2: separator (VARCHAR) */
};

enum ex_frame_unit { EX_FRAME_ROWS, EX_FRAME_RANGE, EX_FRAME_GROUPS };
enum ex_frame_bound {
	EX_FB_UNBOUNDED_PRECEDING,
	EX_FB_PRECEDING,
	EX_FB_CURRENT_ROW,
	EX_FB_FOLLOWING,
	EX_FB_UNBOUNDED_FOLLOWING,
};
enum ex_frame_exclude { EX_EXCLUDE_NONE, EX_EXCLUDE_CURRENT_ROW, EX_EXCLUDE_GROUP, EX_EXCLUDE_TIES };

struct ex_win_frame {
	enum ex_frame_unit unit;
	enum ex_frame_bound start, end;
	int64_t start_n, end_n; /* ROWS/GROUPS offsets (>= 0) */
	/* RANGE with an offset (one ORDER BY key): range_key is the key, and
	 * start_val/end_val the bounds' values per row (key -/+ offset as the
	 * direction says), all three of one type. */
	struct ex_expr *range_key, *start_val, *end_val;
	enum ex_frame_exclude exclude;
};

struct ex_win_spec {
	enum ex_win_fn fn;
	enum ex_agg_fn agg;                /* EX_WIN_AGG */
	struct ex_expr *arg, *arg2, *arg3; /* as enum ex_win_fn says; NULL = absent */
	struct ex_expr *filter;            /* aggregates: FILTER (WHERE ...) */
	bool ignore_nulls;                 /* lag/lead/first/last/nth_value */
	bool distinct;                     /* count/sum/avg: over distinct values */
	struct ex_sort_key *order;         /* string_agg, list: f(x ORDER BY ...), taken over */
	int n_order;
	struct ex_win_frame frame;
	const char *name;                  /* output column name */
};

/* The result type of a window function (TARN_EUSAGE when it does not take
 * its argument's type). */
TARN_MUST_USE tarn_rc ex_win_type(const struct ex_win_spec *s, struct tarn_type *out,
				  struct tarn_err *err);
/* part/order/spec expressions are taken over (also on failure); the arrays
 * are not. */
TARN_MUST_USE tarn_rc ex_op_window(struct ex_op *child, struct ex_expr **part, int n_part,
				   struct ex_sort_key *order, int n_order, struct ex_win_spec *specs,
				   int n_specs, struct ex_op **out, struct tarn_err *err);

/* ---- running a plan --------------------------------------------------------------------- */

struct ex_opts {
	int threads;       /* 0 = the pool's size */
	int64_t mem_limit; /* 0 = unlimited */
};

struct ex_query;

/* Takes over the plan (freed with the query, also on failure). */
TARN_MUST_USE tarn_rc ex_query_new(struct ex_op *root, const struct ex_opts *o,
				   struct ex_query **out, struct tarn_err *err);
const struct tarn_schema *ex_query_schema(const struct ex_query *q);
/* The next result batch (dense, at most 65536 rows), NULL at the end. The
 * caller frees it. After an error the query stays failed. */
TARN_MUST_USE tarn_rc ex_query_next(struct ex_query *q, struct tarn_batch **out,
				    struct tarn_err *err);
/* Peak bytes the operators held. */
int64_t ex_query_mem_peak(const struct ex_query *q);
void ex_query_free(struct ex_query *q);
/* EXPLAIN ANALYZE: collect per-operator statistics (before the first
 * ex_query_next); the plan the query runs, to print them after the last
 * batch. */
void ex_query_set_analyze(struct ex_query *q);
/* When *flag becomes non-zero (any thread, or a signal handler) the query
 * stops at the next morsel with TARN_ELIMIT "interrupted". */
void ex_query_set_cancel(struct ex_query *q, const _Atomic int *flag);
int ex_query_threads(const struct ex_query *q);
const struct ex_op *ex_query_plan(const struct ex_query *q);

/* ---- EXPLAIN (explain.c) ----------------------------------------------------------------- */

/* The plan as an indented operator tree, one operator per line ending in
 * '\n': "name  details"; with analyze, the statistics gathered by a run
 * with ex_query_set_analyze ("rows=N time=X ms mem=Y"). */
TARN_MUST_USE tarn_rc ex_plan_explain(const struct ex_op *root, bool analyze,
				      struct tarn_buf *out);
/* An expression as compact SQL-like text (column names from e->name, else
 * from `in`, the operator's input schema, else "#i"). */
TARN_MUST_USE tarn_rc ex_expr_describe(const struct ex_expr *e, const struct tarn_schema *in,
				       struct tarn_buf *out);

/* ---- for operator files ------------------------------------------------------------------ */

/* A schema of n fields (names copied; NULL name = "colN"), types copied. */
TARN_MUST_USE tarn_rc ex_schema_make(int n, const char *const *names,
				     const struct tarn_type *const *types,
				     struct tarn_schema **out);
/* A batch of the selected rows, dense (no selection), arrays owned. */
TARN_MUST_USE tarn_rc ex_batch_compact(const struct ex_batch *b, const struct tarn_schema *s,
				       struct ex_batch **out, struct tarn_err *err);

#endif
