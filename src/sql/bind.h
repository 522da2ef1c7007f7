/*
 * bind.h — from syntax (ast.h) to a physical plan (exec.h): name
 * resolution, typing, and the planning decisions tarn makes today.
 *
 * The binder walks a query once and builds ex_op operators directly:
 *   FROM items      scans (only the columns the statement names), CTEs and
 *                   subqueries; JOIN ... ON/USING as hash joins on the
 *                   equality conjuncts, the rest as a residual predicate
 *   WHERE           split into conjuncts: one-table conjuncts filter that
 *                   table before any join (and give Parquet scans a pruning
 *                   range); equalities between two tables of a comma FROM
 *                   list become hash-join keys, joined greedily from the
 *                   largest input outwards, each new table the build side;
 *                   [NOT] EXISTS / [NOT] IN (subquery) become semi, anti,
 *                   mark or null-aware anti joins (correlation by equality);
 *                   uncorrelated scalar subqueries run first, as constants
 *   GROUP BY/aggregates, HAVING, SELECT list, DISTINCT, ORDER BY, LIMIT
 *                   hash aggregate, filter, project, aggregate, sort (top-N
 *                   with a LIMIT), limit; ROLLUP/CUBE/GROUPING SETS put a
 *                   grouping-sets expansion under the aggregate; DISTINCT
 *                   ON a first-row-per-key filter after the sort
 *   UNION/INTERSECT/EXCEPT  set operators (types unified by casts on either
 *                   side), ORDER BY/LIMIT over the whole chain
 *   WITH RECURSIVE  run while binding, round by round, into an in-memory
 *                   source
 * Expressions after GROUP BY are matched to group keys and aggregates by
 * their normalised text (sql_print_expr), so `GROUP BY a + b` serves
 * `SELECT a + b`.
 *
 * Errors point into the SQL text (line:column with a caret, via
 * sql_err_at); unknown names suggest the closest known one.
 *
 * Thread-safety: a binder is used by one thread; plans it makes run on the
 * pool.
 */
#ifndef TARN_SQL_BIND_H
#define TARN_SQL_BIND_H

#include "sql/ast.h"
#include "sql/exec.h"

struct sql_env; /* views and settings a session keeps (query.c) */

/* Binds query q of the script (text for error positions) into a plan. */
TARN_MUST_USE tarn_rc sql_bind_query(const struct sql_query *q, const char *text, size_t len,
				     const struct ex_opts *xo, struct sql_env *env,
				     struct ex_op **out, struct tarn_err *err);

/* Views: name → query (owned by the script arena the env keeps alive). */
struct sql_view {
	char *name;
	const struct sql_query *query;
	const char *text; /* the script text the query's locations point into */
	size_t len;
	int n_cols;                  /* CREATE VIEW v (a, b): column names, or 0 */
	const struct sql_name *cols;
};

struct sql_env {
	int n_views;
	struct sql_view *views;
	/* Tables (CREATE TABLE, INSERT INTO) live in the lake under
	 * HOME/lake/tables/ (lake.h); NULL = $TARN_HOME, else ./tarn-data. */
	char *home;
	/* Directories where a bare table name T finds T/ or T.<ext>
	 * (comma-separated; NULL = "."). SET file_search_path = '...'. */
	char *search_path;
	/* The session time zone (SET TimeZone = 'Europe/Paris'): an IANA name
	 * from the tz database; NULL = UTC, the default (see bind.c). */
	char *timezone;
};

/* A deep copy of a dense batch (same schema, referenced). */
TARN_MUST_USE tarn_rc sql_batch_copy(const struct tarn_batch *src, struct tarn_batch **out);

#endif
