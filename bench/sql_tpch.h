/*
 * sql_tpch.h — hand-built physical plans for TPC-H Q1 and Q6 over a
 * lineitem file, shared by the benchmark (bench/sql_exec_bench.c) and the
 * unit test (tests/unit/sql_tpch.c) until the binder builds them from SQL.
 *
 *   Q1: SELECT l_returnflag, l_linestatus, sum(l_quantity),
 *              sum(l_extendedprice), sum(l_extendedprice * (1 - l_discount)),
 *              sum(l_extendedprice * (1 - l_discount) * (1 + l_tax)),
 *              avg(l_quantity), avg(l_extendedprice), avg(l_discount), count(*)
 *       FROM lineitem WHERE l_shipdate <= DATE '1998-12-01' - INTERVAL '90' DAY
 *       GROUP BY l_returnflag, l_linestatus ORDER BY l_returnflag, l_linestatus
 *   Q6: SELECT sum(l_extendedprice * l_discount) FROM lineitem
 *       WHERE l_shipdate >= DATE '1994-01-01' AND l_shipdate < DATE '1995-01-01'
 *         AND l_discount BETWEEN 0.06 - 0.01 AND 0.06 + 0.01 AND l_quantity < 24
 *
 * The plans are what a planner would make: scan only the needed columns
 * with the shipdate range pushed into the scan, filter, compute
 * l_extendedprice * (1 - l_discount) once (Q1), aggregate, sort. They
 * work for both column typings in use: DECIMAL(15,2) prices (dbgen) or
 * DOUBLE (DuckDB's CSV import), since the expression constructors type
 * everything from the scan's schema.
 *
 * Header-only, static functions; die() reports setup errors.
 */
#ifndef TARN_BENCH_SQL_TPCH_H
#define TARN_BENCH_SQL_TPCH_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "columnar/text.h"
#include "sql/exec.h"

static struct ex_expr *tp_must(tarn_rc rc, struct ex_expr **x, const struct tarn_err *e)
{
	if (rc) {
		fprintf(stderr, "tpch plan: %s\n", e->msg);
		exit(2);
	}
	return *x;
}

static struct ex_expr *tp_col(const struct tarn_schema *s, const char *name)
{
	int i = tarn_schema_find(s, name);
	struct ex_expr *x = NULL;
	struct tarn_err e = { 0 };
	if (i < 0)
		tarn_err_set(&e, TARN_ENOTFOUND, "no column %s", name);
	return tp_must(i < 0 ? TARN_ENOTFOUND : ex_expr_column(i, &s->fields[i].type, name, &x), &x, &e);
}

static struct ex_expr *tp_lit(const char *type, const char *text)
{
	struct tarn_type t;
	struct tarn_err e = { 0 };
	struct ex_expr *x = NULL;
	if (tarn_type_parse(type, &t, &e))
		tp_must(TARN_EUSAGE, &x, &e);
	tarn_rc rc = ex_expr_const_text(&t, text, strlen(text), &x, &e);
	tarn_type_clear(&t);
	return tp_must(rc, &x, &e);
}

static struct ex_expr *tp_bin(int kind, int op, struct ex_expr *l, struct ex_expr *r)
{
	struct ex_expr *x = NULL;
	struct tarn_err e = { 0 };
	tarn_rc rc = kind ? ex_expr_cmp((enum ex_cmp)op, l, r, &x, &e)
			  : ex_expr_arith((enum ex_arith)op, l, r, &x, &e);
	return tp_must(rc, &x, &e);
}

static struct ex_op *tp_scan(const char *path, const char *const *cols, int n, const char *lo,
			     const char *hi)
{
	struct ex_op *sc;
	struct tarn_err e = { 0 };
	if (ex_op_scan(path, NULL, NULL, cols, n, &sc, &e)) {
		fprintf(stderr, "tpch scan: %s\n", e.msg);
		exit(2);
	}
	struct ex_expr *l = lo ? tp_lit("date", lo) : NULL, *h = hi ? tp_lit("date", hi) : NULL;
	if (ex_op_scan_prune(sc, "l_shipdate", l, h, &e)) {
		fprintf(stderr, "tpch prune: %s\n", e.msg);
		exit(2);
	}
	ex_expr_free(l);
	ex_expr_free(h);
	return sc;
}

static struct ex_op *tp_q1(const char *path)
{
	static const char *const cols[] = { "l_returnflag", "l_linestatus", "l_quantity",
					    "l_extendedprice", "l_discount", "l_tax", "l_shipdate" };
	struct tarn_err e = { 0 };
	/* DATE '1998-12-01' - INTERVAL '90' DAY folds to TIMESTAMP '1998-09-02
	 * 00:00:00'; compared with the date column it becomes a date compare */
	struct ex_expr *cut;
	tp_must(ex_expr_date_add(tp_lit("date", "1998-12-01"), 0, -90, 0, &cut, &e), &cut, &e);
	struct ex_op *sc = tp_scan(path, cols, 7, NULL, NULL), *f, *p1, *p2, *a, *o;
	/* the same bound pushed into the scan (cast to the column's type) */
	if (ex_op_scan_prune(sc, "l_shipdate", NULL, cut, &e))
		goto fail;
	const struct tarn_schema *s = sc->schema;
	if (ex_op_filter(sc, tp_bin(1, EX_LE, tp_col(s, "l_shipdate"), cut), &f, &e))
		goto fail;
	/* project: flag, status, qty, price, disc, tax, disc_price */
	{
		struct ex_expr *ex[7] = {
			tp_col(s, "l_returnflag"), tp_col(s, "l_linestatus"), tp_col(s, "l_quantity"),
			tp_col(s, "l_extendedprice"), tp_col(s, "l_discount"), tp_col(s, "l_tax"),
			tp_bin(0, EX_MUL, tp_col(s, "l_extendedprice"),
			       tp_bin(0, EX_SUB, tp_lit("int32", "1"), tp_col(s, "l_discount"))),
		};
		const char *names[7] = { "l_returnflag", "l_linestatus", "l_quantity", "l_extendedprice",
					 "l_discount", "l_tax", "disc_price" };
		if (ex_op_project(f, ex, names, 7, &p1, &e))
			goto fail;
	}
	s = p1->schema;
	{
		struct ex_expr *ex[7] = {
			tp_col(s, "l_returnflag"), tp_col(s, "l_linestatus"), tp_col(s, "l_quantity"),
			tp_col(s, "l_extendedprice"), tp_col(s, "l_discount"), tp_col(s, "disc_price"),
			tp_bin(0, EX_MUL, tp_col(s, "disc_price"),
			       tp_bin(0, EX_ADD, tp_lit("int32", "1"), tp_col(s, "l_tax"))),
		};
		const char *names[7] = { "l_returnflag", "l_linestatus", "l_quantity", "l_extendedprice",
					 "l_discount", "disc_price", "charge" };
		if (ex_op_project(p1, ex, names, 7, &p2, &e))
			goto fail;
	}
	s = p2->schema;
	{
		struct ex_expr *keys[2] = { tp_col(s, "l_returnflag"), tp_col(s, "l_linestatus") };
		struct ex_agg_spec sp[8] = {
			{ EX_AGG_SUM, false, tp_col(s, "l_quantity"), NULL, NULL, "sum_qty", NULL, NULL, 0 },
			{ EX_AGG_SUM, false, tp_col(s, "l_extendedprice"), NULL, NULL, "sum_base_price", NULL, NULL, 0 },
			{ EX_AGG_SUM, false, tp_col(s, "disc_price"), NULL, NULL, "sum_disc_price", NULL, NULL, 0 },
			{ EX_AGG_SUM, false, tp_col(s, "charge"), NULL, NULL, "sum_charge", NULL, NULL, 0 },
			{ EX_AGG_AVG, false, tp_col(s, "l_quantity"), NULL, NULL, "avg_qty", NULL, NULL, 0 },
			{ EX_AGG_AVG, false, tp_col(s, "l_extendedprice"), NULL, NULL, "avg_price", NULL, NULL, 0 },
			{ EX_AGG_AVG, false, tp_col(s, "l_discount"), NULL, NULL, "avg_disc", NULL, NULL, 0 },
			{ EX_AGG_COUNT_STAR, false, NULL, NULL, NULL, "count_order", NULL, NULL, 0 },
		};
		if (ex_op_agg(p2, keys, NULL, 2, sp, 8, &a, &e))
			goto fail;
	}
	s = a->schema;
	{
		struct ex_sort_key k[2] = { { tp_col(s, "l_returnflag"), false, false },
					    { tp_col(s, "l_linestatus"), false, false } };
		if (ex_op_sort(a, k, 2, -1, &o, &e))
			goto fail;
	}
	return o;
fail:
	fprintf(stderr, "tpch q1: %s\n", e.msg);
	exit(2);
}

static struct ex_op *tp_q6(const char *path)
{
	static const char *const cols[] = { "l_shipdate", "l_discount", "l_quantity",
					    "l_extendedprice" };
	struct tarn_err e = { 0 };
	struct ex_op *sc = tp_scan(path, cols, 4, "1994-01-01", "1995-01-01"), *f, *a;
	const struct tarn_schema *s = sc->schema;
	/* 0.06 - 0.01 and 0.06 + 0.01 fold to the decimals 0.05 and 0.07 */
	struct ex_expr *lo = tp_bin(0, EX_SUB, tp_lit("decimal(3,2)", "0.06"), tp_lit("decimal(3,2)", "0.01"));
	struct ex_expr *hi = tp_bin(0, EX_ADD, tp_lit("decimal(3,2)", "0.06"), tp_lit("decimal(3,2)", "0.01"));
	struct ex_expr *between;
	tp_must(ex_expr_between(tp_col(s, "l_discount"), lo, hi, false, &between, &e), &between, &e);
	struct ex_expr *conj[4] = {
		tp_bin(1, EX_GE, tp_col(s, "l_shipdate"), tp_lit("date", "1994-01-01")),
		tp_bin(1, EX_LT, tp_col(s, "l_shipdate"), tp_lit("date", "1995-01-01")),
		between,
		tp_bin(1, EX_LT, tp_col(s, "l_quantity"), tp_lit("int32", "24")),
	};
	struct ex_expr *pred;
	tp_must(ex_expr_and(conj, 4, &pred, &e), &pred, &e);
	if (ex_op_filter(sc, pred, &f, &e))
		goto fail;
	{
		struct ex_agg_spec sp[1] = {
			{ EX_AGG_SUM, false,
			  tp_bin(0, EX_MUL, tp_col(s, "l_extendedprice"), tp_col(s, "l_discount")), NULL,
			  NULL, "revenue", NULL, NULL, 0 },
		};
		if (ex_op_agg(f, NULL, NULL, 0, sp, 1, &a, &e))
			goto fail;
	}
	return a;
fail:
	fprintf(stderr, "tpch q6: %s\n", e.msg);
	exit(2);
}

#endif
