/*
 * sql_exec.c — tests of the physical operators and the driver (exec.h):
 * hash aggregation (NULL semantics, empty inputs, DISTINCT, FILTER,
 * variance against a two-pass computation, overflow), every hash join
 * kind with NULL keys and duplicates, sort (NULL ordering, stability,
 * long strings, top-N = full sort + LIMIT), LIMIT/OFFSET, Parquet and CSV
 * scans with projection and pruning, the memory limit, allocation
 * failures, and results that do not depend on the thread count (every
 * plan here runs with 1 and 4 threads and must give the same text).
 */
#include "unit.h"
#include "sql_exec_util.h"

#include <math.h>
#include <unistd.h>

#include "base/pool.h"

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The lines of text sorted (for results whose order SQL leaves open). */
static char *sorted_lines(const char *text)
{
	if (!text)
		return NULL;
	char *copy = strdup(text);
	char *lines[4096];
	int n = 0;
	for (char *save = NULL, *l = strtok_r(copy, "\n", &save); l && n < 4096;
	     l = strtok_r(NULL, "\n", &save))
		lines[n++] = l;
	qsort(lines, (size_t)n, sizeof *lines, cmp_str);
	size_t len = strlen(text) + 2;
	char *out = malloc(len);
	out[0] = 0;
	for (int i = 0; i < n; i++) {
		strcat(out, lines[i]);
		strcat(out, "\n");
	}
	free(copy);
	return out;
}

/* ---- aggregation ---------------------------------------------------------------------------- */

static const char *AGG_ROWS = "a|1|1.5|true\n"
			      "b|NULL|NULL|false\n"
			      "a|3|2.5|NULL\n"
			      "NULL|4|1.0|true\n"
			      "b|NULL|3.0|true\n"
			      "NULL|NULL|NULL|NULL\n"
			      "c|NULL|NULL|NULL";

static struct ex_op *plan_agg_nulls(void *arg)
{
	struct tarn_schema *s = schema_of("k string; v int64; f float64; b bool");
	struct ex_op *v = values_of(s, AGG_ROWS, 2), *a;
	struct ex_expr *k = col(s, "k");
	struct ex_agg_spec sp[] = {
		{ EX_AGG_COUNT_STAR, false, NULL, NULL, NULL, "n", NULL, NULL, 0 },
		{ EX_AGG_COUNT, false, col(s, "v"), NULL, NULL, "nv", NULL, NULL, 0 },
		{ EX_AGG_SUM, false, col(s, "v"), NULL, NULL, "sv", NULL, NULL, 0 },
		{ EX_AGG_AVG, false, col(s, "v"), NULL, NULL, "av", NULL, NULL, 0 },
		{ EX_AGG_MIN, false, col(s, "v"), NULL, NULL, "mn", NULL, NULL, 0 },
		{ EX_AGG_MAX, false, col(s, "f"), NULL, NULL, "mx", NULL, NULL, 0 },
		{ EX_AGG_BOOL_AND, false, col(s, "b"), NULL, NULL, "ba", NULL, NULL, 0 },
		{ EX_AGG_BOOL_OR, false, col(s, "b"), NULL, NULL, "bo", NULL, NULL, 0 },
		{ EX_AGG_SUM, false, col(s, "f"), NULL, NULL, "sf", NULL, NULL, 0 },
	};
	struct tarn_err e = { 0 };
	if (ex_op_agg(v, &k, NULL, 1, sp, 9, &a, &e))
		die("agg", e.msg);
	tarn_schema_unref(s);
	return a;
}

TEST(agg_null_semantics)
{
	struct tarn_err e = { 0 };
	char *r = run_both(plan_agg_nulls, NULL, &e);
	/* (this order is deterministic: the same for every thread count); NULL
	 * is a group of its own;
	 * aggregates skip NULLs and give NULL when they saw no value */
	CHECK_STR(r, "a|2|2|4|2.0|1|2.5|true|true|4.0\n"
		     "b|2|0|NULL|NULL|NULL|3.0|false|true|3.0\n"
		     "NULL|2|1|4|4.0|4|1.0|true|true|1.0\n"
		     "c|1|0|NULL|NULL|NULL|NULL|NULL|NULL|NULL\n");
	free(r);
}

static struct ex_op *plan_agg_empty(void *arg)
{
	bool grouped = arg != NULL;
	struct tarn_schema *s = schema_of("k string; v int64; f float64; b bool");
	struct ex_op *v = values_of(s, AGG_ROWS, 3), *f, *a;
	struct tarn_err e = { 0 };
	if (ex_op_filter(v, cmp(EX_GT, col(s, "v"), i64(100)), &f, &e))
		die("filter", e.msg);
	struct ex_expr *k = col(s, "k");
	struct ex_agg_spec sp[] = {
		{ EX_AGG_COUNT_STAR, false, NULL, NULL, NULL, NULL, NULL, NULL, 0 },
		{ EX_AGG_COUNT, false, col(s, "v"), NULL, NULL, NULL, NULL, NULL, 0 },
		{ EX_AGG_SUM, false, col(s, "v"), NULL, NULL, NULL, NULL, NULL, 0 },
		{ EX_AGG_MIN, false, col(s, "k"), NULL, NULL, NULL, NULL, NULL, 0 },
		{ EX_AGG_AVG, false, col(s, "f"), NULL, NULL, NULL, NULL, NULL, 0 },
	};
	if (ex_op_agg(f, grouped ? &k : NULL, NULL, grouped ? 1 : 0, sp, 5, &a, &e))
		die("agg", e.msg);
	if (!grouped)
		ex_expr_free(k);
	tarn_schema_unref(s);
	return a;
}

TEST(agg_empty_input)
{
	struct tarn_err e = { 0 };
	/* ungrouped: one row; count 0, everything else NULL */
	char *r = run_both(plan_agg_empty, NULL, &e);
	CHECK_STR(r, "0|0|NULL|NULL|NULL\n");
	free(r);
	/* grouped: no groups, no rows */
	r = run_both(plan_agg_empty, (void *)1, &e);
	CHECK_STR(r, "");
	free(r);
}

static struct ex_op *plan_agg_distinct(void *arg)
{
	struct tarn_schema *s = schema_of("g int32; v int64; t string");
	/* duplicates spread over several morsels (3 rows each) */
	const char *rows = "1|5|x\n1|5|y\n2|7|x\n1|6|x\n2|7|z\n1|NULL|NULL\n"
			   "1|5|x\n2|8|z\n2|7|z\n3|NULL|NULL\n1|6|y\n2|9|x";
	struct ex_op *v = values_of(s, rows, 3), *a;
	struct ex_expr *k = col(s, "g");
	struct ex_expr *filt = cmp(EX_NE, col(s, "t"), lit("string", "z"));
	struct ex_agg_spec sp[] = {
		{ EX_AGG_COUNT, true, col(s, "v"), NULL, NULL, "cd", NULL, NULL, 0 },
		{ EX_AGG_SUM, true, col(s, "v"), NULL, NULL, "sd", NULL, NULL, 0 },
		{ EX_AGG_COUNT, true, col(s, "t"), NULL, NULL, "ct", NULL, NULL, 0 },
		{ EX_AGG_COUNT, false, col(s, "v"), NULL, NULL, "c", NULL, NULL, 0 },
		{ EX_AGG_COUNT_STAR, false, NULL, NULL, filt, "cf", NULL, NULL, 0 },
		{ EX_AGG_SUM, true, col(s, "v"), NULL,
		  cmp(EX_EQ, col(s, "t"), lit("string", "x")), "sdf", NULL, NULL, 0 },
	};
	struct tarn_err e = { 0 };
	if (ex_op_agg(v, &k, NULL, 1, sp, 6, &a, &e))
		die("agg", e.msg);
	tarn_schema_unref(s);
	return a;
}

TEST(agg_distinct_and_filter)
{
	struct tarn_err e = { 0 };
	char *r = run_both(plan_agg_distinct, NULL, &e);
	/* g=1: v {5,5,6,5,6} -> distinct {5,6}: count 2, sum 11; t {x,y,x,x,y} -> 2;
	 *      count(v) 5; rows with t <> 'z' (NULL t fails): 5; distinct v where t='x': {5,6} -> 11
	 * g=2: v {7,7,8,7,9} -> {7,8,9}: 3, 24; t {x,z,z,z,x} -> 2; 5; t <> 'z': 2; t='x': {7,9} -> 16
	 * g=3: nothing but NULLs: 0, NULL, 0, 0, 0, NULL */
	CHECK_STR(r, "1|2|11|2|5|5|11\n2|3|24|2|5|2|16\n3|0|NULL|0|0|0|NULL\n");
	free(r);
}

static struct ex_op *plan_agg_var(void *arg)
{
	const char *rows = arg;
	struct tarn_schema *s = schema_of("g int32; x float64; d decimal(8,2)");
	struct ex_op *v = values_of(s, rows, 37), *a;
	struct ex_expr *k = col(s, "g");
	struct ex_agg_spec sp[] = {
		{ EX_AGG_VAR_SAMP, false, col(s, "x"), NULL, NULL, NULL, NULL, NULL, 0 },
		{ EX_AGG_VAR_POP, false, col(s, "x"), NULL, NULL, NULL, NULL, NULL, 0 },
		{ EX_AGG_STDDEV_SAMP, false, col(s, "d"), NULL, NULL, NULL, NULL, NULL, 0 },
		{ EX_AGG_STDDEV_POP, false, col(s, "d"), NULL, NULL, NULL, NULL, NULL, 0 },
		{ EX_AGG_AVG, false, col(s, "d"), NULL, NULL, NULL, NULL, NULL, 0 },
		{ EX_AGG_SUM, false, col(s, "d"), NULL, NULL, NULL, NULL, NULL, 0 },
	};
	struct tarn_err e = { 0 };
	if (ex_op_agg(v, &k, NULL, 1, sp, 6, &a, &e))
		die("agg", e.msg);
	tarn_schema_unref(s);
	return a;
}

TEST(agg_variance_two_pass)
{
	/* 3 groups of pseudo-random values; the expected statistics come from a
	 * two-pass computation in long double here */
	enum { N = 1000 };
	static double xs[N];
	static long long ds[N];
	char *rows = malloc(64 * N);
	size_t len = 0;
	uint64_t seed = 12345;
	for (int i = 0; i < N; i++) {
		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		xs[i] = (double)(seed >> 40) / 1024.0 - 5000.0;
		ds[i] = (long long)((seed >> 20) % 2000000) - 1000000; /* cents */
		len += (size_t)sprintf(rows + len, "%s%d|%.17g|%s%lld.%02lld", i ? "\n" : "", i % 3 + 1,
				       xs[i], ds[i] < 0 ? "-" : "", llabs(ds[i]) / 100, llabs(ds[i]) % 100);
	}
	struct tarn_err e = { 0 };
	char *r = run_both(plan_agg_var, rows, &e);
	REQUIRE(r);
	char *line = r;
	for (int g = 1; g <= 3; g++) {
		long double sx = 0, sd = 0;
		long long dsum = 0;
		int n = 0;
		for (int i = 0; i < N; i++)
			if (i % 3 + 1 == g) {
				sx += xs[i];
				sd += (long double)ds[i] / 100;
				dsum += ds[i];
				n++;
			}
		long double mx = sx / n, md = sd / n, qx = 0, qd = 0;
		for (int i = 0; i < N; i++)
			if (i % 3 + 1 == g) {
				qx += (xs[i] - mx) * (xs[i] - mx);
				long double dv = (long double)ds[i] / 100 - md;
				qd += dv * dv;
			}
		int gg;
		double vs, vp, ss, sp, av;
		char sum[64];
		REQUIRE(sscanf(line, "%d|%lf|%lf|%lf|%lf|%lf|%63[^\n]", &gg, &vs, &vp, &ss, &sp, &av,
			       sum) == 7);
		CHECK(gg == g);
		CHECK(fabs(vs - (double)(qx / (n - 1))) <= 1e-9 * fabs(vs));
		CHECK(fabs(vp - (double)(qx / n)) <= 1e-9 * fabs(vp));
		CHECK(fabs(ss - (double)sqrtl(qd / (n - 1))) <= 1e-9 * ss);
		CHECK(fabs(sp - (double)sqrtl(qd / n)) <= 1e-9 * sp);
		CHECK(fabs(av - (double)md) <= 1e-9 * fabs(av) + 1e-12);
		/* the decimal sum is exact */
		char want[64];
		snprintf(want, sizeof want, "%s%lld.%02lld", dsum < 0 ? "-" : "", llabs(dsum) / 100,
			 llabs(dsum) % 100);
		CHECK_STR(sum, want);
		line = strchr(line, '\n') + 1;
	}
	free(r);
	free(rows);
}

static struct ex_op *plan_agg_arg(void *arg)
{
	struct tarn_schema *s = schema_of("g int32; who string; score int64; day date");
	const char *rows = "1|ann|5|2024-01-03\n1|bob|9|2024-01-01\n1|cat|9|2024-01-02\n"
			   "2|dan|NULL|2024-01-05\n2|NULL|1|2024-01-04\n1|eve|2|NULL\n3|fay|NULL|NULL";
	struct ex_op *v = values_of(s, rows, 2), *a;
	struct ex_expr *k = col(s, "g");
	struct ex_agg_spec sp[] = {
		{ EX_AGG_ARG_MAX, false, col(s, "who"), col(s, "score"), NULL, NULL, NULL, NULL, 0 },
		{ EX_AGG_ARG_MIN, false, col(s, "who"), col(s, "score"), NULL, NULL, NULL, NULL, 0 },
		{ EX_AGG_ARG_MIN, false, col(s, "score"), col(s, "day"), NULL, NULL, NULL, NULL, 0 },
		{ EX_AGG_MIN, false, col(s, "day"), NULL, NULL, NULL, NULL, NULL, 0 },
		{ EX_AGG_MAX, false, col(s, "who"), NULL, NULL, NULL, NULL, NULL, 0 },
	};
	struct tarn_err e = { 0 };
	if (ex_op_agg(v, &k, NULL, 1, sp, 5, &a, &e))
		die("agg", e.msg);
	tarn_schema_unref(s);
	return a;
}

TEST(agg_arg_min_max)
{
	struct tarn_err e = { 0 };
	char *r = run_both(plan_agg_arg, NULL, &e);
	/* g=1: max score 9 first reached by bob (cat ties later); min score 2: eve;
	 *      earliest day 2024-01-01 (bob): score 9; max who: eve
	 * g=2: only score 1 (who NULL) counts: arg NULL both ways; earliest day
	 *      2024-01-04 -> score 1
	 * g=3: no score, no day: NULL */
	CHECK_STR(r, "1|bob|eve|9|2024-01-01|eve\n2|NULL|NULL|1|2024-01-04|dan\n"
		     "3|NULL|NULL|NULL|NULL|fay\n");
	free(r);
}

static struct ex_op *plan_sum(void *arg)
{
	const char *spec = ((const char **)arg)[0], *rows = ((const char **)arg)[1];
	struct tarn_schema *s = schema_of(spec);
	struct ex_op *v = values_of(s, rows, 1), *a;
	struct ex_agg_spec sp[] = { { EX_AGG_SUM, false, col(s, "v"), NULL, NULL, NULL, NULL, NULL, 0 } };
	struct tarn_err e = { 0 };
	if (ex_op_agg(v, NULL, NULL, 0, sp, 1, &a, &e))
		die("agg", e.msg);
	tarn_schema_unref(s);
	return a;
}

TEST(agg_sum_overflow_and_exactness)
{
	struct tarn_err e = { 0 };
	const char *a1[] = { "v int64", "9000000000000000000\n9000000000000000000\n-9000000000000000000" };
	/* the int128 accumulator gets through the intermediate overflow */
	char *r = run_both(plan_sum, a1, &e);
	CHECK_STR(r, "9000000000000000000\n");
	free(r);
	const char *a2[] = { "v int64", "9000000000000000000\n9000000000000000000" };
	r = run_both(plan_sum, a2, &e);
	CHECK(r == NULL);
	CHECK(e.rc == TARN_EDATA);
	CHECK_CONTAINS(e.msg, "sum: integer overflow");
	free(r);
	tarn_err_clear(&e);
	/* 0.10 a thousand times is exactly 100.00 */
	char rows[8000] = "";
	for (int i = 0; i < 1000; i++)
		strcat(rows, i ? "\n0.10" : "0.10");
	const char *a3[] = { "v decimal(10,2)", rows };
	r = run_both(plan_sum, a3, &e);
	CHECK_STR(r, "100.00\n");
	free(r);
	const char *a4[] = { "v int32", "2147483647\n2147483647\n2147483647" };
	r = run_both(plan_sum, a4, &e);
	CHECK_STR(r, "6442450941\n");
	free(r);
}

/* Group keys of every shape the group table handles differently: a direct
 * small-int key, packed keys (short strings + small ints), strings too long
 * to pack mixed in the same batches, NULLs, and wide keys; counts and sums
 * checked against a brute-force tally. */
static const char *SHAPE_STR[] = { "a", "bb", "NULL", "a-much-longer-key", "ccc", "",
				   "another long one", "dd" };

struct shape_arg {
	const char *rows;
	int which;
};

static struct ex_op *plan_shapes(void *arg)
{
	const struct shape_arg *a = arg;
	struct tarn_schema *s = schema_of("s string; i int16; w int64; v int64");
	struct ex_op *v = values_of(s, a->rows, 500), *g;
	struct ex_expr *keys[2];
	int nk;
	if (a->which == 0) {
		keys[0] = col(s, "i"); /* direct */
		nk = 1;
	} else if (a->which == 1) {
		keys[0] = col(s, "s"); /* packed + general */
		keys[1] = col(s, "i");
		nk = 2;
	} else {
		keys[0] = col(s, "w"); /* general only */
		keys[1] = col(s, "s");
		nk = 2;
	}
	struct ex_agg_spec sp[] = { { EX_AGG_COUNT_STAR, false, NULL, NULL, NULL, NULL, NULL, NULL, 0 },
				    { EX_AGG_SUM, false, col(s, "v"), NULL, NULL, NULL, NULL, NULL, 0 } };
	struct tarn_err e = { 0 };
	if (ex_op_agg(v, keys, NULL, nk, sp, 2, &g, &e))
		die("agg", e.msg);
	tarn_schema_unref(s);
	return g;
}

TEST(agg_group_key_shapes)
{
	enum { N = 4000 };
	static int si[N], ii[N];
	static long long wi[N], vi[N];
	char *rows = malloc(64 * N);
	size_t len = 0;
	uint64_t seed = 5;
	for (int r = 0; r < N; r++) {
		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		si[r] = (int)((seed >> 33) % 8);
		ii[r] = (int)((seed >> 40) % 5) - 2; /* -2..2; 2 stands for NULL */
		wi[r] = (long long)((seed >> 20) % 3) * 10000000000LL;
		vi[r] = (long long)((seed >> 45) % 1000);
		char ib[8];
		if (ii[r] == 2)
			snprintf(ib, sizeof ib, "NULL");
		else
			snprintf(ib, sizeof ib, "%d", ii[r]);
		len += (size_t)sprintf(rows + len, "%s%s|%s|%lld|%lld", r ? "\n" : "", SHAPE_STR[si[r]], ib,
				       wi[r], vi[r]);
	}
	for (int which = 0; which < 3; which++) {
		struct shape_arg a = { rows, which };
		struct tarn_err e = { 0 };
		char *got = run_both(plan_shapes, &a, &e);
		REQUIRE(got);
		/* brute force */
		char *want = malloc(128 * N);
		size_t wl = 0;
		static bool done[N];
		memset(done, 0, sizeof done);
		for (int r = 0; r < N; r++) {
			if (done[r])
				continue;
			long long cnt = 0, sum = 0;
			for (int q = r; q < N; q++) {
				bool same = which == 0	 ? ii[q] == ii[r]
					    : which == 1 ? si[q] == si[r] && ii[q] == ii[r]
							 : wi[q] == wi[r] && si[q] == si[r];
				if (same) {
					done[q] = true;
					cnt++;
					sum += vi[q];
				}
			}
			char ib[8];
			if (ii[r] == 2)
				snprintf(ib, sizeof ib, "NULL");
			else
				snprintf(ib, sizeof ib, "%d", ii[r]);
			if (which == 0)
				wl += (size_t)sprintf(want + wl, "%s|%lld|%lld\n", ib, cnt, sum);
			else if (which == 1)
				wl += (size_t)sprintf(want + wl, "%s|%s|%lld|%lld\n", SHAPE_STR[si[r]], ib, cnt, sum);
			else
				wl += (size_t)sprintf(want + wl, "%lld|%s|%lld|%lld\n", wi[r], SHAPE_STR[si[r]], cnt,
						      sum);
		}
		/* group order is deterministic but not first-appearance order */
		char *sg = sorted_lines(got), *sw = sorted_lines(want);
		CHECK_STR(sg, sw);
		free(sg);
		free(sw);
		free(got);
		free(want);
	}
	free(rows);
}

/* ---- joins ----------------------------------------------------------------------------------- */

static const char *PROBE_ROWS = "1|a\n2|b\n2|b2\nNULL|n\n3|c";
static const char *BUILD_ROWS = "2|x\n2|y\n4|z\nNULL|w\n1|q";

struct join_case {
	enum ex_join_kind kind;
	const char *build_rows;
	int residual; /* 0 none, 1: bv <> 'x', 2: bv = 'y' */
};

static struct ex_op *plan_join(void *arg)
{
	const struct join_case *c = arg;
	struct tarn_schema *ps = schema_of("id int64; pv string");
	struct tarn_schema *bs = schema_of("bid int32; bv string");
	struct ex_op *p = values_of(ps, PROBE_ROWS, 2), *b = values_of(bs, c->build_rows, 2), *j;
	struct ex_expr *pk = col(ps, "id"), *bk = col(bs, "bid"), *res = NULL;
	if (c->residual) {
		/* over probe ++ build columns: bv is column 3 */
		struct ex_expr *bv;
		if (ex_expr_column(3, &bs->fields[1].type, "bv", &bv))
			die("col", NULL);
		res = cmp(c->residual == 1 ? EX_NE : EX_EQ, bv, lit("string", c->residual == 1 ? "x" : "y"));
	}
	struct tarn_err e = { 0 };
	if (ex_op_hash_join(c->kind, p, b, &pk, &bk, 1, res, &j, &e))
		die("join", e.msg);
	tarn_schema_unref(ps);
	tarn_schema_unref(bs);
	return j;
}

static void check_join(enum ex_join_kind kind, const char *build_rows, int residual, const char *want)
{
	struct tarn_err e = { 0 };
	struct join_case c = { kind, build_rows, residual };
	char *r = run_both(plan_join, &c, &e);
	char *sr = sorted_lines(r), *sw = sorted_lines(want);
	if (!sr || strcmp(sr, sw))
		fprintf(stderr, "join kind %d residual %d: %s\n", (int)kind, residual, r ? r : e.msg);
	CHECK_STR(sr, sw);
	free(r);
	free(sr);
	free(sw);
}

TEST(join_kinds)
{
	const char *inner = "1|a|1|q\n2|b|2|x\n2|b|2|y\n2|b2|2|x\n2|b2|2|y\n";
	check_join(EX_JOIN_INNER, BUILD_ROWS, 0, inner);
	check_join(EX_JOIN_LEFT, BUILD_ROWS, 0,
		   "1|a|1|q\n2|b|2|x\n2|b|2|y\n2|b2|2|x\n2|b2|2|y\nNULL|n|NULL|NULL\n3|c|NULL|NULL\n");
	check_join(EX_JOIN_RIGHT, BUILD_ROWS, 0,
		   "1|a|1|q\n2|b|2|x\n2|b|2|y\n2|b2|2|x\n2|b2|2|y\nNULL|NULL|4|z\nNULL|NULL|NULL|w\n");
	check_join(EX_JOIN_FULL, BUILD_ROWS, 0,
		   "1|a|1|q\n2|b|2|x\n2|b|2|y\n2|b2|2|x\n2|b2|2|y\nNULL|n|NULL|NULL\n3|c|NULL|NULL\n"
		   "NULL|NULL|4|z\nNULL|NULL|NULL|w\n");
	check_join(EX_JOIN_SEMI, BUILD_ROWS, 0, "1|a\n2|b\n2|b2\n");
	/* NOT EXISTS: NULL keys match nothing, so those rows stay */
	check_join(EX_JOIN_ANTI, BUILD_ROWS, 0, "NULL|n\n3|c\n");
	/* x IN (build): NULL when unmatched and the build side has a NULL */
	check_join(EX_JOIN_MARK, BUILD_ROWS, 0, "1|a|true\n2|b|true\n2|b2|true\nNULL|n|NULL\n3|c|NULL\n");
	check_join(EX_JOIN_MARK, "2|x\n4|z", 0, "1|a|false\n2|b|true\n2|b2|true\nNULL|n|NULL\n3|c|false\n");
	check_join(EX_JOIN_MARK, "", 0, "1|a|false\n2|b|false\n2|b2|false\nNULL|n|false\n3|c|false\n");
	/* x NOT IN (build): nothing when the build side has a NULL; NULL x never */
	check_join(EX_JOIN_ANTI_NULL_AWARE, BUILD_ROWS, 0, "");
	check_join(EX_JOIN_ANTI_NULL_AWARE, "2|x\n4|z", 0, "1|a\n3|c\n");
	check_join(EX_JOIN_ANTI_NULL_AWARE, "", 0, "1|a\n2|b\n2|b2\nNULL|n\n3|c\n");
	/* empty build side */
	check_join(EX_JOIN_INNER, "", 0, "");
	check_join(EX_JOIN_LEFT, "", 0,
		   "1|a|NULL|NULL\n2|b|NULL|NULL\n2|b2|NULL|NULL\nNULL|n|NULL|NULL\n3|c|NULL|NULL\n");
	check_join(EX_JOIN_ANTI, "", 0, "1|a\n2|b\n2|b2\nNULL|n\n3|c\n");
	/* residual predicates: a key match must also pass them */
	check_join(EX_JOIN_INNER, BUILD_ROWS, 1, "1|a|1|q\n2|b|2|y\n2|b2|2|y\n");
	check_join(EX_JOIN_LEFT, BUILD_ROWS, 2,
		   "2|b|2|y\n2|b2|2|y\n1|a|NULL|NULL\nNULL|n|NULL|NULL\n3|c|NULL|NULL\n");
	check_join(EX_JOIN_RIGHT, BUILD_ROWS, 2,
		   "2|b|2|y\n2|b2|2|y\nNULL|NULL|2|x\nNULL|NULL|4|z\nNULL|NULL|NULL|w\nNULL|NULL|1|q\n");
	check_join(EX_JOIN_SEMI, BUILD_ROWS, 2, "2|b\n2|b2\n");
	check_join(EX_JOIN_ANTI, BUILD_ROWS, 2, "1|a\nNULL|n\n3|c\n");
}

static struct ex_op *plan_join_multi(void *arg)
{
	struct tarn_schema *ps = schema_of("a string; b int64; c decimal(5,1)");
	struct tarn_schema *bs = schema_of("x string; y int32; z float64");
	struct ex_op *p = values_of(ps, "k|1|1.5\nk|2|1.5\nm|1|2.0\nk|1|NULL\nNULL|1|1.5", 2);
	struct ex_op *b = values_of(bs, "k|1|1.5\nk|1|1.5\nm|1|2.0\nk|2|9\nk|NULL|1.5", 3);
	/* three keys of different types: string = string, int64 = int32,
	 * decimal = float64 (compared as float64) */
	struct ex_expr *pk[3] = { col(ps, "a"), col(ps, "b"), col(ps, "c") };
	struct ex_expr *bk[3] = { col(bs, "x"), col(bs, "y"), col(bs, "z") };
	struct ex_op *j;
	struct tarn_err e = { 0 };
	if (ex_op_hash_join(EX_JOIN_INNER, p, b, pk, bk, 3, NULL, &j, &e))
		die("join", e.msg);
	tarn_schema_unref(ps);
	tarn_schema_unref(bs);
	return j;
}

TEST(join_multi_key)
{
	struct tarn_err e = { 0 };
	char *r = run_both(plan_join_multi, NULL, &e);
	char *sr = sorted_lines(r);
	CHECK_STR(sr, "k|1|1.5|k|1|1.5\nk|1|1.5|k|1|1.5\nm|1|2.0|m|1|2.0\n");
	free(r);
	free(sr);
}

/* A build side big enough for the partitioned chain insert (over 64K
 * buckets), with duplicate and NULL keys; joins summarised by aggregates
 * and checked against arithmetic on how the keys were made. */
static char *BIG_BUILD, *BIG_PROBE;

static struct ex_op *plan_big_join(void *arg)
{
	enum ex_join_kind kind = *(const enum ex_join_kind *)arg;
	struct tarn_schema *ps = schema_of("pk int64");
	struct tarn_schema *bs = schema_of("bk int64; bv int64");
	struct ex_op *p = values_of(ps, BIG_PROBE, 8192), *b = values_of(bs, BIG_BUILD, 8192), *j, *a;
	struct ex_expr *pk = col(ps, "pk"), *bk = col(bs, "bk");
	struct tarn_err e = { 0 };
	if (ex_op_hash_join(kind, p, b, &pk, &bk, 1, NULL, &j, &e))
		die("join", e.msg);
	struct ex_agg_spec sp[2] = { { EX_AGG_COUNT_STAR, false, NULL, NULL, NULL, NULL, NULL, NULL, 0 },
				     { EX_AGG_SUM, false, NULL, NULL, NULL, NULL, NULL, NULL, 0 } };
	int sc = kind == EX_JOIN_INNER ? 2 : 0;
	if (ex_expr_column(sc, &j->schema->fields[sc].type, "v", &sp[1].arg))
		die("col", NULL);
	if (ex_op_agg(j, NULL, NULL, 0, sp, 2, &a, &e))
		die("agg", e.msg);
	tarn_schema_unref(ps);
	tarn_schema_unref(bs);
	return a;
}

TEST(join_large_build)
{
	/* build: keys 0..99999, even keys twice (bv = 1 and 2), key % 1000 == 7
	 * NULL instead; probe: 0..149999 */
	enum { NB = 100000, NP = 150000 };
	BIG_BUILD = malloc(32 * (NB * 2));
	BIG_PROBE = malloc(16 * NP);
	size_t bl = 0, pl = 0;
	long long inner_rows = 0, inner_sum = 0, anti_rows = 0, anti_sum = 0;
	for (int k = 0; k < NB; k++) {
		bool null = k % 1000 == 7;
		int copies = k % 2 == 0 ? 2 : 1;
		for (int c = 1; c <= copies; c++) {
			if (null)
				bl += (size_t)sprintf(BIG_BUILD + bl, "%sNULL|%d", bl ? "\n" : "", c);
			else
				bl += (size_t)sprintf(BIG_BUILD + bl, "%s%d|%d", bl ? "\n" : "", k, c);
		}
	}
	for (int k = 0; k < NP; k++) {
		pl += (size_t)sprintf(BIG_PROBE + pl, "%s%d", pl ? "\n" : "", k);
		bool matched = k < NB && k % 1000 != 7;
		if (matched) {
			inner_rows += k % 2 == 0 ? 2 : 1;
			inner_sum += k % 2 == 0 ? 3 : 1;
		} else {
			anti_rows++;
			anti_sum += k;
		}
	}
	struct tarn_err e = { 0 };
	enum ex_join_kind kinds[3] = { EX_JOIN_INNER, EX_JOIN_ANTI, EX_JOIN_SEMI };
	char want[3][64];
	snprintf(want[0], sizeof want[0], "%lld|%lld\n", inner_rows, inner_sum);
	snprintf(want[1], sizeof want[1], "%lld|%lld\n", anti_rows, anti_sum);
	long long all = (long long)NP * (NP - 1) / 2;
	snprintf(want[2], sizeof want[2], "%lld|%lld\n", NP - anti_rows, all - anti_sum);
	for (int i = 0; i < 3; i++) {
		char *r = run_both(plan_big_join, &kinds[i], &e);
		CHECK_STR(r, want[i]);
		free(r);
	}
	free(BIG_BUILD);
	free(BIG_PROBE);
}

/* ---- sort ------------------------------------------------------------------------------------- */

struct sort_case {
	const char *spec, *rows;
	int n;
	const char *keys[3];
	bool desc[3], nulls_first[3];
	int64_t top;
};

static struct ex_op *plan_sort(void *arg)
{
	const struct sort_case *c = arg;
	struct tarn_schema *s = schema_of(c->spec);
	struct ex_op *v = values_of(s, c->rows, 3), *o;
	struct ex_sort_key k[3];
	for (int i = 0; i < c->n; i++)
		k[i] = (struct ex_sort_key){ col(s, c->keys[i]), c->desc[i], c->nulls_first[i] };
	struct tarn_err e = { 0 };
	if (ex_op_sort(v, k, c->n, c->top, &o, &e))
		die("sort", e.msg);
	tarn_schema_unref(s);
	return o;
}

TEST(sort_orders)
{
	struct tarn_err e = { 0 };
	const char *rows = "3|b|1\nNULL|a|2\n1|b|3\n3|a|4\nNULL|b|5\n2|NULL|6\n1|a|7\n-0.0|c|8\nnan|c|9";
	struct sort_case c1 = { "x float64; s string; i int64", rows, 1, { "x" }, { false }, { false }, -1 };
	/* ASC NULLS LAST; ties keep input order; -0.0 sorts as 0, NaN above all */
	char *r = run_both(plan_sort, &c1, &e);
	CHECK_STR(r, "-0.0|c|8\n1.0|b|3\n1.0|a|7\n2.0|NULL|6\n3.0|b|1\n3.0|a|4\nNaN|c|9\nNULL|a|2\nNULL|b|5\n");
	free(r);
	struct sort_case c2 = { "x float64; s string; i int64", rows, 2, { "s", "x" },
				{ true, false }, { true, true }, -1 };
	/* s DESC NULLS FIRST, then x ASC NULLS FIRST */
	r = run_both(plan_sort, &c2, &e);
	CHECK_STR(r, "2.0|NULL|6\n-0.0|c|8\nNaN|c|9\nNULL|b|5\n1.0|b|3\n3.0|b|1\nNULL|a|2\n1.0|a|7\n3.0|a|4\n");
	free(r);
	/* strings that agree on their first 16 bytes and differ after */
	const char *long_rows = "abcdefghijklmnopz|1\nabcdefghijklmnop|2\nabcdefghijklmnopa|3\n"
				"abcdefghijklmnopzz|4\nabcdefghijklmno|5\nabcdefghijklmnopa|6";
	struct sort_case c3 = { "s string; i int64", long_rows, 1, { "s" }, { false }, { false }, -1 };
	r = run_both(plan_sort, &c3, &e);
	CHECK_STR(r, "abcdefghijklmno|5\nabcdefghijklmnop|2\nabcdefghijklmnopa|3\nabcdefghijklmnopa|6\n"
		     "abcdefghijklmnopz|1\nabcdefghijklmnopzz|4\n");
	free(r);
	c3.desc[0] = true;
	r = run_both(plan_sort, &c3, &e);
	CHECK_STR(r, "abcdefghijklmnopzz|4\nabcdefghijklmnopz|1\nabcdefghijklmnopa|3\nabcdefghijklmnopa|6\n"
		     "abcdefghijklmnop|2\nabcdefghijklmno|5\n");
	free(r);
	/* decimals, dates, negative numbers */
	struct sort_case c4 = { "d decimal(6,2); t date", "1.50|2024-01-02\n-2.25|1969-12-31\n1.05|NULL\n-0.01|1900-03-01",
				2, { "t", "d" }, { true, false }, { false, false }, -1 };
	r = run_both(plan_sort, &c4, &e);
	CHECK_STR(r, "1.50|2024-01-02\n-2.25|1969-12-31\n-0.01|1900-03-01\n1.05|NULL\n");
	free(r);
}

TEST(top_n_equals_sort_limit)
{
	struct tarn_err e = { 0 };
	enum { N = 3000 };
	char *rows = malloc(48 * N);
	size_t len = 0;
	uint64_t seed = 99;
	for (int i = 0; i < N; i++) {
		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		int a = (int)((seed >> 33) % 50);
		int b = (int)((seed >> 20) % 7);
		if (a == 13)
			len += (size_t)sprintf(rows + len, "%sNULL|s%d|%d", i ? "\n" : "", b, i);
		else
			len += (size_t)sprintf(rows + len, "%s%d|s%d|%d", i ? "\n" : "", a, b, i);
	}
	int64_t tops[] = { 0, 1, 5, 17, 100, 1024, 2999, 5000 };
	for (size_t t = 0; t < sizeof tops / sizeof *tops; t++) {
		struct sort_case full = { "a int32; b string; i int64", rows, 2, { "a", "b" },
					  { true, false }, { false, true }, -1 };
		struct sort_case top = full;
		top.top = tops[t];
		char *rf = run_both(plan_sort, &full, &e);
		char *rt = run_both(plan_sort, &top, &e);
		REQUIRE(rf && rt);
		/* the first tops[t] lines of the full sort */
		char *cut = rf;
		for (int64_t k = 0; k < tops[t] && *cut; k++)
			cut = strchr(cut, '\n') + 1;
		*cut = 0;
		CHECK_STR(rt, rf);
		free(rf);
		free(rt);
	}
	free(rows);
}

/* ---- limit ----------------------------------------------------------------------------------- */

static struct ex_op *plan_limit(void *arg)
{
	const int64_t *lo = arg;
	struct tarn_schema *s = schema_of("i int64");
	char rows[512] = "";
	for (int i = 0; i < 20; i++)
		sprintf(rows + strlen(rows), i ? "\n%d" : "%d", i);
	struct ex_op *v = values_of(s, rows, 4), *f, *l;
	struct tarn_err e = { 0 };
	/* drop multiples of 5 first, so LIMIT counts selected rows */
	if (ex_op_filter(v, cmp(EX_NE, arith(EX_MOD, col(s, "i"), i64(5)), i64(0)), &f, &e) ||
	    ex_op_limit(f, lo[0], lo[1], &l, &e))
		die("limit", e.msg);
	tarn_schema_unref(s);
	return l;
}

TEST(limit_offset)
{
	struct tarn_err e = { 0 };
	int64_t a[2] = { 5, 3 };
	char *r = run_both(plan_limit, a, &e);
	CHECK_STR(r, "4\n6\n7\n8\n9\n");
	free(r);
	int64_t b[2] = { 0, 0 };
	r = run_both(plan_limit, b, &e);
	CHECK_STR(r, "");
	free(r);
	int64_t c[2] = { -1, 14 };
	r = run_both(plan_limit, c, &e);
	CHECK_STR(r, "18\n19\n");
	free(r);
	int64_t d[2] = { 100, 100 };
	r = run_both(plan_limit, d, &e);
	CHECK_STR(r, "");
	free(r);
}

/* ---- parallel = serial on a bigger plan ---------------------------------------------------------- */

static char *BIG_ROWS;

static struct ex_op *plan_big(void *arg)
{
	int which = *(const int *)arg;
	struct tarn_schema *s = schema_of("k int64; f float64; t string; d decimal(12,2)");
	struct ex_op *v = values_of(s, BIG_ROWS, 4096), *out = NULL;
	struct tarn_err e = { 0 };
	struct ex_op *f;
	if (ex_op_filter(v, cmp(EX_NE, arith(EX_MOD, col(s, "k"), i64(11)), i64(0)), &f, &e))
		die("filter", e.msg);
	if (which == 0) {
		/* GROUP BY k % 97 with float sums (order-sensitive), distinct, then sort */
		struct ex_expr *g = arith(EX_MOD, col(s, "k"), i64(97)), *a;
		struct ex_agg_spec sp[] = {
			{ EX_AGG_SUM, false, arith(EX_MUL, col(s, "f"), lit("float64", "1.1")), NULL, NULL, NULL, NULL, NULL, 0 },
			{ EX_AGG_AVG, false, col(s, "f"), NULL, NULL, NULL, NULL, NULL, 0 },
			{ EX_AGG_COUNT, true, col(s, "t"), NULL, NULL, NULL, NULL, NULL, 0 },
			{ EX_AGG_SUM, false, col(s, "d"), NULL, NULL, NULL, NULL, NULL, 0 },
			{ EX_AGG_STDDEV_SAMP, false, col(s, "f"), NULL, NULL, NULL, NULL, NULL, 0 },
			{ EX_AGG_MAX, false, col(s, "t"), NULL, NULL, NULL, NULL, NULL, 0 },
		};
		struct ex_op *ag;
		if (ex_op_agg(f, &g, NULL, 1, sp, 6, &ag, &e))
			die("agg", e.msg);
		if (ex_expr_column(0, &ag->schema->fields[0].type, "g", &a))
			die("col", NULL);
		struct ex_sort_key k = { a, false, false };
		if (ex_op_sort(ag, &k, 1, -1, &out, &e))
			die("sort", e.msg);
	} else if (which == 1) {
		/* join with a derived build side, then top-N */
		struct tarn_schema *bs = schema_of("bk int64; name string");
		char brow[64 * 200] = "";
		for (int i = 0; i < 200; i++)
			sprintf(brow + strlen(brow), i ? "\nnull_or_%d|n%d" : "%d|n%d", i * 3, i);
		/* "null_or_..." is not a number: build the rows differently */
		brow[0] = 0;
		for (int i = 0; i < 200; i++) {
			if (i % 17 == 0)
				sprintf(brow + strlen(brow), i ? "\nNULL|n%d" : "NULL|n%d", i);
			else
				sprintf(brow + strlen(brow), i ? "\n%d|n%d" : "%d|n%d", i * 3, i);
		}
		struct ex_op *b = values_of(bs, brow, 50), *j;
		struct ex_expr *pk = arith(EX_MOD, col(s, "k"), i64(700)), *bk = col(bs, "bk");
		if (ex_op_hash_join(EX_JOIN_LEFT, f, b, &pk, &bk, 1, NULL, &j, &e))
			die("join", e.msg);
		struct ex_expr *a, *b2;
		if (ex_expr_column(5, &j->schema->fields[5].type, "name", &a) ||
		    ex_expr_column(0, &j->schema->fields[0].type, "k", &b2))
			die("col", NULL);
		struct ex_sort_key k[2] = { { a, true, true }, { b2, false, false } };
		if (ex_op_sort(j, k, 2, 500, &out, &e))
			die("sort", e.msg);
		tarn_schema_unref(bs);
	} else {
		/* ungrouped float aggregates straight from the filter */
		struct ex_agg_spec sp[] = {
			{ EX_AGG_SUM, false, col(s, "f"), NULL, NULL, NULL, NULL, NULL, 0 },
			{ EX_AGG_VAR_POP, false, col(s, "f"), NULL, NULL, NULL, NULL, NULL, 0 },
			{ EX_AGG_COUNT_STAR, false, NULL, NULL, NULL, NULL, NULL, NULL, 0 },
		};
		if (ex_op_agg(f, NULL, NULL, 0, sp, 3, &out, &e))
			die("agg", e.msg);
	}
	tarn_schema_unref(s);
	return out;
}

TEST(parallel_equals_serial)
{
	enum { N = 60000 };
	BIG_ROWS = malloc(80 * (size_t)N);
	size_t len = 0;
	uint64_t seed = 7;
	for (int i = 0; i < N; i++) {
		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		len += (size_t)sprintf(BIG_ROWS + len, "%s%d|%.6f|w%llu|%lld.%02d", i ? "\n" : "", i,
				       (double)(seed >> 11) / 9007199254740992.0 * 1000 - 300,
				       (unsigned long long)(seed >> 50) % 300, (long long)(seed >> 45) % 100000,
				       (int)((seed >> 30) % 100));
	}
	for (int which = 0; which < 3; which++) {
		struct tarn_err e = { 0 };
		char *r = run_both(plan_big, &which, &e);
		CHECK(r != NULL && strlen(r) > 10);
		if (!r)
			fprintf(stderr, "plan %d: %s\n", which, e.msg);
		free(r);
	}
	free(BIG_ROWS);
}

/* ---- memory limit and allocation failures ---------------------------------------------------------- */

TEST(memory_limit)
{
	struct tarn_schema *s = schema_of("k int64");
	char *rows = malloc(16 * 100000);
	size_t len = 0;
	for (int i = 0; i < 100000; i++)
		len += (size_t)sprintf(rows + len, i ? "\n%d" : "%d", i);
	struct ex_op *v = values_of(s, rows, 8192), *a;
	struct ex_expr *k = col(s, "k");
	struct ex_agg_spec sp[] = { { EX_AGG_COUNT_STAR, false, NULL, NULL, NULL, NULL, NULL, NULL, 0 } };
	struct tarn_err e = { 0 };
	REQUIRE(!ex_op_agg(v, &k, NULL, 1, sp, 1, &a, &e));
	char *r = run_text_opts(a, 2, 1 << 20, &e);
	CHECK(r == NULL);
	CHECK(e.rc == TARN_ELIMIT);
	CHECK_CONTAINS(e.msg, "hash aggregate");
	CHECK_CONTAINS(e.msg, "memory limit of 1.0 MiB");
	/* the same plan under a generous limit */
	tarn_err_clear(&e);
	v = values_of(s, rows, 8192);
	k = col(s, "k");
	REQUIRE(!ex_op_agg(v, &k, NULL, 1, sp, 1, &a, &e));
	r = run_text_opts(a, 2, (int64_t)1 << 30, &e);
	CHECK(r != NULL);
	free(r);
	free(rows);
	tarn_schema_unref(s);
}

static struct ex_op *plan_mixed(void *arg)
{
	struct tarn_schema *s = schema_of("k int64; t string");
	struct tarn_schema *bs = schema_of("k2 int64; u string");
	struct ex_op *v = values_of(s, "1|a\n2|b\n3|c\n2|d\n5|e\nNULL|f", 2);
	struct ex_op *b = values_of(bs, "2|x\n3|y\n3|z", 2), *j, *a, *o;
	struct ex_expr *pk = col(s, "k"), *bk = col(bs, "k2"), *g, *sk;
	struct tarn_err e = { 0 };
	if (ex_op_hash_join(EX_JOIN_LEFT, v, b, &pk, &bk, 1, NULL, &j, &e))
		die("join", e.msg);
	if (ex_expr_column(0, &j->schema->fields[0].type, "k", &g))
		die("col", NULL);
	struct ex_expr *ut;
	if (ex_expr_column(3, &j->schema->fields[3].type, "u", &ut))
		die("col", NULL);
	struct ex_agg_spec sp[] = { { EX_AGG_COUNT, false, ut, NULL, NULL, NULL, NULL, NULL, 0 },
				    { EX_AGG_MAX, false, NULL, NULL, NULL, NULL, NULL, NULL, 0 } };
	if (ex_expr_column(1, &j->schema->fields[1].type, "t", &sp[1].arg))
		die("col", NULL);
	if (ex_op_agg(j, &g, NULL, 1, sp, 2, &a, &e))
		die("agg", e.msg);
	if (ex_expr_column(0, &a->schema->fields[0].type, "k", &sk))
		die("col", NULL);
	struct ex_sort_key k = { sk, false, true };
	if (ex_op_sort(a, &k, 1, -1, &o, &e))
		die("sort", e.msg);
	tarn_schema_unref(s);
	tarn_schema_unref(bs);
	return o;
}

TEST(allocation_failures)
{
	/* every allocation of the run fails in turn: each run must end with a
	 * clean error (ASan checks nothing leaks), until one succeeds */
	struct tarn_err e = { 0 };
	char *want = run_text(plan_mixed(NULL), 1, &e);
	CHECK_STR(want, "NULL|0|f\n1|0|a\n2|2|d\n3|2|c\n5|0|e\n");
	CHECK(fail_sweep(plan_mixed, NULL, want, 5000, 4) > 20);
	free(want);
}

/* ---- scans ------------------------------------------------------------------------------------------ */

static char tmpdir[256];

static const char *tmp_path(const char *name)
{
	static char p[512];
	if (!tmpdir[0]) {
		const char *t = getenv("TARN_TEST_TMP");
		snprintf(tmpdir, sizeof tmpdir, "%s/sql_exec_XXXXXX", t ? t : "/tmp");
		if (!mkdtemp(tmpdir))
			die("mkdtemp", tmpdir);
	}
	snprintf(p, sizeof p, "%s/%s", tmpdir, name);
	return p;
}

/* Writes rows (text) of spec to path in format fmt with writer options. */
static void write_file(const char *path, const char *fmt, const char *spec, const char *rows,
		       const char *wopt)
{
	struct tarn_schema *s = schema_of(spec);
	struct tarn_batch **b;
	int n = batches_of(s, rows, 50, &b); /* small batches: the writer cuts row groups between them */
	struct tarn_opts *o = NULL;
	struct tarn_err e = { 0 };
	if (wopt && (tarn_opts_new(&o) || tarn_opts_parse(o, wopt, &e)))
		die("opts", e.msg);
	struct tarn_writer *w;
	if (tarn_writer_open(path, fmt, s, o, &w, &e))
		die("writer", e.msg);
	for (int i = 0; i < n; i++) {
		if (tarn_writer_write(w, b[i], &e))
			die("write", e.msg);
		tarn_batch_free(b[i]);
	}
	if (tarn_writer_finish(w, &e))
		die("finish", e.msg);
	tarn_writer_close(w);
	tarn_opts_free(o);
	free(b);
	tarn_schema_unref(s);
}

struct scan_case {
	const char *path, *format;
	bool prune, filter;
};

static struct ex_op *plan_scan(void *arg)
{
	const struct scan_case *c = arg;
	const char *cols[] = { "d", "n" };
	struct ex_op *sc;
	struct tarn_err e = { 0 };
	if (ex_op_scan(c->path, c->format, NULL, cols, 2, &sc, &e))
		die("scan", e.msg);
	const struct tarn_schema *s = sc->schema;
	if (c->prune) {
		struct ex_expr *lo = lit("date", "2020-03-01"), *hi = lit("date", "2020-03-10");
		if (ex_op_scan_prune(sc, "d", lo, hi, &e))
			die("prune", e.msg);
		ex_expr_free(lo);
		ex_expr_free(hi);
	}
	if (!c->filter)
		return sc;
	struct ex_op *f;
	struct ex_expr *d1 = col(s, "d"), *d2 = col(s, "d");
	if (ex_op_filter(sc, and2(cmp(EX_GE, d1, lit("date", "2020-03-01")),
				  cmp(EX_LE, d2, lit("date", "2020-03-10"))),
			 &f, &e))
		die("filter", e.msg);
	return f;
}

TEST(scan_parquet_and_csv)
{
	/* 400 rows, one day each from 2020-01-01, in row groups of ~100 rows */
	char *rows = malloc(64 * 400);
	size_t len = 0;
	for (int i = 0; i < 400; i++) {
		int32_t d = tarn_days_from_civil(2020, 1, 1) + i;
		char ds[16];
		ds[tarn_fmt_date(ds, d)] = 0;
		len += (size_t)sprintf(rows + len, "%s%d|%s|pad%d", i ? "\n" : "", i, ds, i % 5);
	}
	const char *pq = strdup(tmp_path("t.parquet"));
	write_file(pq, "parquet", "n int64; d date; s string", rows, "row-group-size=1K");
	const char *csv = strdup(tmp_path("t.csv"));
	write_file(csv, "csv", "n int64; d date; s string", rows, NULL);
	/* days 60..69 are 2020-03-01..03-10 */
	const char *want = "2020-03-01|60\n2020-03-02|61\n2020-03-03|62\n2020-03-04|63\n2020-03-05|64\n"
			   "2020-03-06|65\n2020-03-07|66\n2020-03-08|67\n2020-03-09|68\n2020-03-10|69\n";
	struct tarn_err e = { 0 };
	for (int f = 0; f < 2; f++) {
		for (int prune = 0; prune < 2; prune++) {
			struct scan_case c = { f ? csv : pq, f ? "csv" : NULL, prune, true };
			char *r = run_both(plan_scan, &c, &e);
			CHECK_STR(r, want);
			free(r);
		}
	}
	/* pruning alone: the Parquet scan returns only the row groups that can
	 * hold the range (a strict subset of the 400 rows, all 10 wanted ones) */
	struct scan_case c = { pq, NULL, true, false };
	char *r = run_both(plan_scan, &c, &e);
	REQUIRE(r);
	int lines = 0;
	for (char *p = r; *p; p++)
		lines += *p == '\n';
	CHECK(lines >= 10 && lines < 400);
	if (!(lines >= 10 && lines < 400))
		fprintf(stderr, "pruned scan: %d lines: %.300s\n", lines, r);
	CHECK(strstr(r, "2020-03-05|64\n") != NULL);
	free(r);
	c.prune = false;
	r = run_both(plan_scan, &c, &e);
	lines = 0;
	for (char *p = r; p && *p; p++)
		lines += *p == '\n';
	CHECK(lines == 400);
	free(r);
	/* a column the file lacks */
	struct ex_op *sc;
	const char *bad[] = { "nope" };
	CHECK(ex_op_scan(pq, NULL, NULL, bad, 1, &sc, &e) != TARN_OK);
	CHECK_CONTAINS(e.msg, "nope");
	unlink(pq);
	unlink(csv);
	rmdir(tmpdir);
	free((void *)pq);
	free((void *)csv);
	free(rows);
}

int main(void)
{
	tarn_config_set_threads(4);
	RUN(agg_null_semantics);
	RUN(agg_empty_input);
	RUN(agg_distinct_and_filter);
	RUN(agg_variance_two_pass);
	RUN(agg_arg_min_max);
	RUN(agg_sum_overflow_and_exactness);
	RUN(agg_group_key_shapes);
	RUN(join_kinds);
	RUN(join_multi_key);
	RUN(join_large_build);
	RUN(sort_orders);
	RUN(top_n_equals_sort_limit);
	RUN(limit_offset);
	RUN(parallel_equals_serial);
	RUN(memory_limit);
	RUN(allocation_failures);
	RUN(scan_parquet_and_csv);
	return unit_done();
}
