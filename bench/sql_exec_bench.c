/*
 * sql_exec_bench.c — times the execution core on TPC-H Q1 and Q6 (the
 * hand-built plans of bench/sql_tpch.h) over a lineitem Parquet file, and
 * the bare Parquet scan of the same columns for comparison.
 *
 * Build (the root Makefile does not know it; it links libtarn.a):
 *   cc -O2 -std=c11 -D_GNU_SOURCE -Iinclude -Isrc -o build/bench/sql_exec_bench \
 *      bench/sql_exec_bench.c build/libtarn.a -lz -lzstd -llz4 -lsnappy \
 *      -lbrotlienc -lbrotlidec -llzma -lbz2 -lpthread -lm
 * Run:
 *   build/bench/sql_exec_bench [--runs N] [--threads N] [--print] FILE [q1|q6|scan1|scan6]...
 * Prints the best wall time of N runs per case (the process is started
 * once, so this is the query time alone; compare DuckDB's query time, or
 * add the ~3 ms process start when comparing whole commands).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "columnar/text.h"
#include "sql/exec.h"
#include "sql_tpch.h"

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static struct ex_op *scan_only(const char *path, bool q1)
{
	static const char *const c1[] = { "l_returnflag", "l_linestatus", "l_quantity",
					  "l_extendedprice", "l_discount", "l_tax", "l_shipdate" };
	static const char *const c6[] = { "l_shipdate", "l_discount", "l_quantity",
					  "l_extendedprice" };
	struct ex_op *sc = tp_scan(path, q1 ? c1 : c6, q1 ? 7 : 4, NULL, NULL);
	/* count(*) so the result is one row */
	struct ex_agg_spec sp[1] = { { EX_AGG_COUNT_STAR, false, NULL, NULL, NULL, "rows", NULL, NULL, 0 } };
	struct ex_op *a;
	struct tarn_err e = { 0 };
	if (ex_op_agg(sc, NULL, NULL, 0, sp, 1, &a, &e)) {
		fprintf(stderr, "%s\n", e.msg);
		exit(2);
	}
	return a;
}

int main(int argc, char **argv)
{
	int runs = 3, threads = 0;
	bool print = false;
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--runs") && i + 1 < argc)
			runs = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--threads") && i + 1 < argc)
			threads = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--print"))
			print = true;
		else {
			fprintf(stderr, "usage: %s [--runs N] [--threads N] [--print] FILE [q1|q6|scan1|scan6]...\n", argv[0]);
			return 2;
		}
	}
	if (i >= argc) {
		fprintf(stderr, "usage: %s [--runs N] [--threads N] [--print] FILE [q1|q6|scan1|scan6]...\n", argv[0]);
		return 2;
	}
	const char *path = argv[i++];
	const char *deflt[] = { "q1", "q6" };
	const char **cases = i < argc ? (const char **)argv + i : deflt;
	int n_cases = i < argc ? argc - i : 2;
	if (threads > 0)
		tarn_config_set_threads(threads);
	for (int c = 0; c < n_cases; c++) {
		double best = 1e30;
		for (int r = 0; r < runs; r++) {
			double t0 = now();
			struct ex_op *plan = !strcmp(cases[c], "q1")	   ? tp_q1(path)
					     : !strcmp(cases[c], "q6")	   ? tp_q6(path)
					     : !strcmp(cases[c], "scan1") ? scan_only(path, true)
									   : scan_only(path, false);
			struct ex_query *q;
			struct tarn_err e = { 0 };
			struct ex_opts o = { threads, 0 };
			if (ex_query_new(plan, &o, &q, &e)) {
				fprintf(stderr, "%s\n", e.msg);
				return 1;
			}
			for (;;) {
				struct tarn_batch *b;
				if (ex_query_next(q, &b, &e)) {
					fprintf(stderr, "%s: %s\n", cases[c], e.msg);
					return 1;
				}
				if (!b)
					break;
				if (print && r == 0)
					for (int64_t row = 0; row < b->n_rows; row++) {
						for (int k = 0; k < b->n_cols; k++) {
							char cell[128];
							tarn_batch_cell_text(b, k, row, cell, sizeof cell);
							printf("%s%s", k ? "\t" : "", cell);
						}
						printf("\n");
					}
				tarn_batch_free(b);
			}
			ex_query_free(q);
			double t = now() - t0;
			if (t < best)
				best = t;
		}
		printf("%s: best of %d: %.3f s\n", cases[c], runs, best);
	}
	return 0;
}
