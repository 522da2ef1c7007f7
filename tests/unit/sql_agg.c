/*
 * sql_agg.c — the hash aggregate's holistic and statistical aggregates
 * (median, quantiles, mode, string_agg with ORDER BY, first/last, corr,
 * covariance, bit_xor, approx_count_distinct, count(DISTINCT) with
 * FILTER) against naive computations over 200000 rows in 1000 and in
 * 50000 groups with nulls, run with 1 and 4 threads (the results must be identical); the
 * HyperLogLog error bound; constant-parameter errors; and the memory limit
 * on a holistic aggregate.
 */
#include "unit.h"
#include "sql_exec_util.h"

#include <math.h>

#include "base/pool.h"

enum { N = 200000, PER = 200 };

/* Groups of the current run (k % G): 1000 with small morsels, or 50000
 * with 65536-row morsels (tens of thousands of groups per partial). */
static int G = 1000, BATCH = 4096;

struct row {
	int64_t v;
	bool vnull;
	double f;
	bool fnull;
	char s[16];
	int64_t o;
};

static struct row *ROWS;
static char *TEXT;

static uint64_t rng(uint64_t *s)
{
	*s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
	return *s >> 17;
}

static void make_rows(void)
{
	ROWS = calloc(N, sizeof *ROWS);
	TEXT = malloc((size_t)N * 64);
	uint64_t seed = 42;
	size_t len = 0;
	for (int i = 0; i < N; i++) {
		struct row *r = &ROWS[i];
		r->vnull = rng(&seed) % 13 == 0;
		r->v = (int64_t)(rng(&seed) % 61) - 30;
		r->fnull = rng(&seed) % 17 == 0;
		r->f = (double)(rng(&seed) % 100000) / 100.0 - 200 + 0.5 * (double)r->v;
		snprintf(r->s, sizeof r->s, "s%d", (int)(rng(&seed) % 40));
		r->o = (int64_t)((uint64_t)i * 7919 % N);
		char vb[32], fb[32];
		if (r->vnull)
			snprintf(vb, sizeof vb, "NULL");
		else
			snprintf(vb, sizeof vb, "%lld", (long long)r->v);
		if (r->fnull)
			snprintf(fb, sizeof fb, "NULL");
		else
			snprintf(fb, sizeof fb, "%.2f", r->f);
		r->f = strtod(fb, NULL); /* the value the table holds */
		len += (size_t)sprintf(TEXT + len, "%s%d|%s|%s|%s|%lld", i ? "\n" : "", i, vb, fb,
				       r->s, (long long)r->o);
	}
}

static struct tarn_schema *schema(void)
{
	return schema_of("k int64; v int64; f float64; s string; o int64");
}

static struct ex_expr *mod_eq0(struct tarn_schema *s, const char *c, int m)
{
	return cmp(EX_EQ, arith(EX_MOD, col(s, c), i64(m)), i64(0));
}

enum { NA = 14 };

static struct ex_op *plan_aggs(void *arg)
{
	(void)arg;
	struct tarn_schema *s = schema();
	struct ex_op *v = values_of(s, TEXT, BATCH), *out;
	struct tarn_err e = { 0 };
	struct ex_expr *g = arith(EX_MOD, col(s, "k"), i64(G));
	struct ex_sort_key *ko = calloc(1, sizeof *ko), *kd = calloc(1, sizeof *kd);
	ko->expr = col(s, "o");
	kd->expr = col(s, "o");
	kd->desc = true;
	struct ex_agg_spec sp[NA] = {
		{ .fn = EX_AGG_MEDIAN, .arg = col(s, "v") },
		{ .fn = EX_AGG_QUANTILE_CONT, .arg = col(s, "v"), .param = lit("float64", "0.3") },
		{ .fn = EX_AGG_QUANTILE_DISC, .arg = col(s, "v"), .param = lit("decimal(3,2)", "0.75") },
		{ .fn = EX_AGG_MODE, .arg = col(s, "v") },
		{ .fn = EX_AGG_CORR, .arg = col(s, "f"), .val = col(s, "v") },
		{ .fn = EX_AGG_COVAR_SAMP, .arg = col(s, "f"), .val = col(s, "v") },
		{ .fn = EX_AGG_APPROX_COUNT_DISTINCT, .arg = col(s, "s") },
		{ .fn = EX_AGG_STRING_AGG, .arg = col(s, "s"), .param = lit("string", "+"),
		  .filter = mod_eq0(s, "o", 37), .order = ko, .n_order = 1 },
		{ .fn = EX_AGG_FIRST, .arg = col(s, "v"), .order = kd, .n_order = 1 },
		{ .fn = EX_AGG_BIT_XOR, .arg = col(s, "v") },
		{ .fn = EX_AGG_COUNT, .distinct = true, .arg = col(s, "v"),
		  .filter = cmp(EX_GT, col(s, "f"), i64(0)) },
		{ .fn = EX_AGG_LAST, .arg = col(s, "v") },
		{ .fn = EX_AGG_MEDIAN, .distinct = true, .arg = col(s, "f") },
		{ .fn = EX_AGG_MODE, .arg = col(s, "s") },
	};
	if (ex_op_agg(v, &g, NULL, 1, sp, NA, &out, &e))
		die("agg", e.msg);
	tarn_schema_unref(s);
	return out;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

static int cmp_f64(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static int cmp_by_o(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (ROWS[x].o > ROWS[y].o) - (ROWS[x].o < ROWS[y].o);
}

static bool close_to(const char *got, double want)
{
	double x = strtod(got, NULL);
	return fabs(x - want) <= 1e-9 * fmax(1, fabs(want));
}

/* The naive answers for group gg (key gg), cell by cell, checked against
 * cells. Groups come out in group-id order (group.h: roughly first
 * appearance), so the key says which group a line is. */
static int check_group(int gg, char **cells)
{
	int bad = 0;
	int64_t vs[PER];
	double fs[PER];
	int rows[PER], nv = 0, nf = 0, nr = 0;
	for (int i = gg; i < N; i += G)
		rows[nr++] = i;
	for (int k = 0; k < nr; k++) {
		const struct row *r = &ROWS[rows[k]];
		if (!r->vnull)
			vs[nv++] = r->v;
	}
	/* mode of v: the most frequent, ties to the earliest arrival */
	int64_t mode = 0;
	int best = 0, best_first = N;
	for (int k = 0; k < nv; k++) {
		int c = 0, first = -1;
		for (int j = 0; j < nv; j++)
			if (vs[j] == vs[k]) {
				c++;
				if (first < 0)
					first = j;
			}
		if (c > best || (c == best && first < best_first)) {
			best = c;
			best_first = first;
			mode = vs[k];
		}
	}
	int64_t bx = 0;
	for (int k = 0; k < nv; k++)
		bx ^= (uint64_t)vs[k];
	qsort(vs, (size_t)nv, sizeof *vs, cmp_i64);
	if (nv == 0)
		vs[0] = 0; /* not read: the results are NULL */
	double med = nv == 0 ? 0 : nv % 2 ? (double)vs[nv / 2] : ((double)vs[nv / 2 - 1] + (double)vs[nv / 2]) / 2;
	double rn = nv ? (nv - 1) * 0.3 : 0;
	int lo = (int)floor(rn), hi = (int)ceil(rn);
	double q3 = (double)vs[lo] + ((double)vs[hi] - (double)vs[lo]) * (rn - lo);
	int di = (int)((nv * 75 + 99) / 100) - 1;
	int64_t q75 = vs[di < 0 ? 0 : di];
	/* corr / covar_samp over rows with both */
	double sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
	int nb = 0;
	for (int k = 0; k < nr; k++) {
		const struct row *r = &ROWS[rows[k]];
		if (r->vnull || r->fnull)
			continue;
		nb++;
		sx += r->f;
		sy += (double)r->v;
	}
	double mx = sx / nb, my = sy / nb;
	for (int k = 0; k < nr; k++) {
		const struct row *r = &ROWS[rows[k]];
		if (r->vnull || r->fnull)
			continue;
		sxx += (r->f - mx) * (r->f - mx);
		syy += ((double)r->v - my) * ((double)r->v - my);
		sxy += (r->f - mx) * ((double)r->v - my);
	}
	double corr = sxy / sqrt(sxx * syy), cov = sxy / (nb - 1);
	/* distinct s, string_agg, first by o desc, count distinct v where f > 0 */
	char seen[40] = { 0 };
	int nds = 0;
	for (int k = 0; k < nr; k++) {
		int si = atoi(ROWS[rows[k]].s + 1);
		nds += !seen[si];
		seen[si] = 1;
	}
	int ord[PER];
	memcpy(ord, rows, sizeof ord);
	qsort(ord, (size_t)nr, sizeof *ord, cmp_by_o);
	char sagg[PER * 8] = "";
	for (int k = 0; k < nr; k++)
		if (ROWS[ord[k]].o % 37 == 0)
			sprintf(sagg + strlen(sagg), "%s%s", sagg[0] ? "+" : "", ROWS[ord[k]].s);
	const struct row *fr = &ROWS[ord[nr - 1]];
	char first[32];
	snprintf(first, sizeof first, fr->vnull ? "NULL" : "%lld", (long long)fr->v);
	char dseen[61] = { 0 };
	int ndv = 0;
	for (int k = 0; k < nr; k++) {
		const struct row *r = &ROWS[rows[k]];
		if (r->vnull || r->fnull || !(r->f > 0))
			continue;
		ndv += !dseen[r->v + 30];
		dseen[r->v + 30] = 1;
	}
	const struct row *lr = &ROWS[rows[nr - 1]];
	char last[32];
	snprintf(last, sizeof last, lr->vnull ? "NULL" : "%lld", (long long)lr->v);
	/* median of distinct f */
	for (int k = 0; k < nr; k++)
		if (!ROWS[rows[k]].fnull)
			fs[nf++] = ROWS[rows[k]].f;
	qsort(fs, (size_t)nf, sizeof *fs, cmp_f64);
	int nu = 0;
	for (int k = 0; k < nf; k++)
		if (!nu || fs[k] != fs[nu - 1])
			fs[nu++] = fs[k];
	double fmed = nu == 0 ? NAN : nu % 2 ? fs[nu / 2] : (fs[nu / 2 - 1] + fs[nu / 2]) / 2;
	/* mode of s, ties to the earliest */
	int cnt[40] = { 0 }, firstpos[40];
	for (int k = nr - 1; k >= 0; k--) {
		int si = atoi(ROWS[rows[k]].s + 1);
		cnt[si]++;
		firstpos[si] = k;
	}
	int ms = -1;
	for (int si = 0; si < 40; si++)
		if (cnt[si] && (ms < 0 || cnt[si] > cnt[ms] ||
				(cnt[si] == cnt[ms] && firstpos[si] < firstpos[ms])))
			ms = si;
	char smode[16];
	snprintf(smode, sizeof smode, "s%d", ms);

	char buf[64];
#define MISS(cond, c)                                                              \
	do {                                                                       \
		if (cond) {                                                        \
			bad++;                                                     \
			fprintf(stderr, "group %d column %d: got %s\n", gg, c, cells[c]); \
		}                                                                  \
	} while (0)
	if (nv == 0) {
		/* no values: NULL, except the counts */
		for (int c = 1; c <= 4; c++)
			MISS(strcmp(cells[c], "NULL") != 0, c);
		MISS(strcmp(cells[10], "NULL") != 0, 10);
		MISS(atoi(cells[11]) != 0, 11);
		return bad;
	}
	MISS(!close_to(cells[1], med), 1);
	MISS(!close_to(cells[2], q3), 2);
	snprintf(buf, sizeof buf, "%lld", (long long)q75);
	MISS(strcmp(cells[3], buf) != 0, 3);
	snprintf(buf, sizeof buf, "%lld", (long long)mode);
	MISS(strcmp(cells[4], buf) != 0, 4);
	if (nb >= 1 && sxx > 0 && syy > 0)
		MISS(!close_to(cells[5], corr), 5);
	else
		MISS(strcmp(cells[5], "NULL") != 0, 5);
	if (nb >= 2)
		MISS(!close_to(cells[6], cov), 6);
	else
		MISS(strcmp(cells[6], "NULL") != 0, 6);
	MISS(atoi(cells[7]) != nds, 7);
	MISS(strcmp(cells[8], sagg[0] ? sagg : "NULL") != 0, 8);
	MISS(strcmp(cells[9], first) != 0, 9);
	snprintf(buf, sizeof buf, "%lld", (long long)bx);
	MISS(strcmp(cells[10], buf) != 0, 10);
	MISS(atoi(cells[11]) != ndv, 11);
	MISS(strcmp(cells[12], last) != 0, 12);
	if (nu)
		MISS(!close_to(cells[13], fmed), 13);
	else
		MISS(strcmp(cells[13], "NULL") != 0, 13);
	MISS(strcmp(cells[14], smode) != 0, 14);
	return bad;
}

static void vs_naive(void)
{
	struct tarn_err e1 = { 0 }, e4 = { 0 };
	char *r1 = run_text(plan_aggs(NULL), 1, &e1);
	char *r4 = run_text(plan_aggs(NULL), 4, &e4);
	REQUIRE(r1 != NULL);
	REQUIRE(r4 != NULL);
	CHECK_STR(r1, r4);
	int groups = 0, bad = 0;
	char *save = NULL;
	for (char *line = strtok_r(r1, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *cells[NA + 1];
		int nc = 0;
		char *s2 = NULL;
		for (char *c = strtok_r(line, "|", &s2); c && nc <= NA; c = strtok_r(NULL, "|", &s2))
			cells[nc++] = c;
		CHECK(nc == NA + 1);
		if (nc != NA + 1)
			break;
		int gk = atoi(cells[0]);
		CHECK(gk >= 0 && gk < G);
		int b = gk >= 0 && gk < G ? check_group(gk, cells) : 1;
		if (b && bad < 3) {
			fprintf(stderr, "group %d differs:", groups);
			for (int c = 0; c < nc; c++)
				fprintf(stderr, " [%s]", cells[c]);
			fprintf(stderr, "\n");
		}
		bad += b;
		groups++;
	}
	CHECK(groups == G);
	CHECK(bad == 0);
	free(r1);
	free(r4);
}

TEST(holistic_and_stats_vs_naive)
{
	G = 1000;
	BATCH = 4096;
	vs_naive();
}

TEST(many_groups_vs_naive)
{
	G = 50000;
	BATCH = 65536;
	vs_naive();
}

/* Ungrouped approx_count_distinct over N distinct keys and a few sets. */
static struct ex_op *plan_hll(void *arg)
{
	(void)arg;
	struct tarn_schema *s = schema();
	struct ex_op *v = values_of(s, TEXT, 4096), *out;
	struct tarn_err e = { 0 };
	struct ex_agg_spec sp[] = {
		{ .fn = EX_AGG_APPROX_COUNT_DISTINCT, .arg = col(s, "k") },
		{ .fn = EX_AGG_APPROX_COUNT_DISTINCT, .arg = arith(EX_MOD, col(s, "k"), i64(50000)) },
		{ .fn = EX_AGG_APPROX_COUNT_DISTINCT, .arg = col(s, "v") },
		{ .fn = EX_AGG_APPROX_COUNT_DISTINCT, .arg = col(s, "k"), .filter = mod_eq0(s, "k", 1000000) },
	};
	if (ex_op_agg(v, NULL, NULL, 0, sp, 4, &out, &e))
		die("agg", e.msg);
	tarn_schema_unref(s);
	return out;
}

TEST(approx_count_distinct_bound)
{
	struct tarn_err e = { 0 };
	char *r1 = run_text(plan_hll(NULL), 1, &e), *r4 = run_text(plan_hll(NULL), 4, &e);
	REQUIRE(r1 && r4);
	CHECK_STR(r1, r4);
	long long a, b, c, d;
	CHECK(sscanf(r1, "%lld|%lld|%lld|%lld", &a, &b, &c, &d) == 4);
	CHECK(llabs(a - N) <= N / 50);
	CHECK(llabs(b - 50000) <= 50000 / 50);
	CHECK(c == 61); /* small sets are exact */
	CHECK(d == 1);
	free(r1);
	free(r4);
}

TEST(parameter_errors)
{
	struct tarn_schema *s = schema();
	struct tarn_err e = { 0 };
	struct ex_op *out = NULL;
	struct ex_agg_spec q[] = { { .fn = EX_AGG_QUANTILE_CONT, .arg = col(s, "v"),
				     .param = lit("float64", "1.5") } };
	CHECK(ex_op_agg(values_of(s, "1|1|1|a|1", 16), NULL, NULL, 0, q, 1, &out, &e) ==
	      TARN_EUSAGE);
	CHECK_CONTAINS(e.msg, "between 0 and 1");
	tarn_err_clear(&e);
	struct ex_agg_spec q2[] = { { .fn = EX_AGG_QUANTILE_DISC, .arg = col(s, "v"),
				      .param = col(s, "f") } };
	CHECK(ex_op_agg(values_of(s, "1|1|1|a|1", 16), NULL, NULL, 0, q2, 1, &out, &e) ==
	      TARN_EUSAGE);
	CHECK_CONTAINS(e.msg, "constant");
	tarn_err_clear(&e);
	struct ex_agg_spec q3[] = { { .fn = EX_AGG_MEDIAN, .arg = col(s, "s") } };
	CHECK(ex_op_agg(values_of(s, "1|1|1|a|1", 16), NULL, NULL, 0, q3, 1, &out, &e) ==
	      TARN_EUSAGE);
	CHECK_CONTAINS(e.msg, "median");
	tarn_schema_unref(s);
}

/* A holistic aggregate keeps every value: past the limit it stops with
 * TARN_ELIMIT naming the operator. */
TEST(holistic_memory_limit)
{
	for (int threads = 1; threads <= 4; threads += 3) {
		struct tarn_schema *s = schema();
		struct ex_op *v = values_of(s, TEXT, 4096), *a;
		struct tarn_err e = { 0 };
		struct ex_agg_spec sp[] = { { .fn = EX_AGG_STRING_AGG, .arg = col(s, "s") },
					    { .fn = EX_AGG_MEDIAN, .arg = col(s, "f") } };
		REQUIRE(!ex_op_agg(v, NULL, NULL, 0, sp, 2, &a, &e));
		char *r = run_text_opts(a, threads, 1 << 20, &e);
		CHECK(r == NULL);
		CHECK(e.rc == TARN_ELIMIT);
		CHECK_CONTAINS(e.msg, "hash aggregate");
		free(r);
		tarn_schema_unref(s);
	}
}

/* Every allocation of a run with each kind of new state fails in turn:
 * each run ends with a clean error (ASan checks nothing leaks) until one
 * succeeds with the right answer. */
static const char *SMALL = "1|5|1.5|a|3\n1|3|2.5|b|2\n2|NULL|NULL|a|1\n1|3|0.5|a|9\n2|4|4.5|c|5\n"
			   "3|NULL|1|NULL|4\n2|4|3|b|8";

static struct ex_op *plan_small(void *arg)
{
	int threads_batch = *(const int *)arg;
	struct tarn_schema *s = schema();
	struct ex_op *v = values_of(s, SMALL, threads_batch), *out;
	struct tarn_err e = { 0 };
	struct ex_expr *g = col(s, "k");
	struct ex_sort_key *ko = calloc(1, sizeof *ko), *kd = calloc(1, sizeof *kd);
	struct ex_sort_key *kl = calloc(1, sizeof *kl);
	ko->expr = col(s, "o");
	kd->expr = col(s, "o");
	kd->desc = true;
	kl->expr = col(s, "o");
	struct ex_agg_spec sp[] = {
		{ .fn = EX_AGG_MEDIAN, .arg = col(s, "v") },
		{ .fn = EX_AGG_MODE, .arg = col(s, "s") },
		{ .fn = EX_AGG_STRING_AGG, .arg = col(s, "s"), .distinct = true, .order = ko,
		  .n_order = 1 },
		{ .fn = EX_AGG_LAST, .arg = col(s, "f"), .order = kd, .n_order = 1 },
		{ .fn = EX_AGG_APPROX_COUNT_DISTINCT, .arg = col(s, "s") },
		{ .fn = EX_AGG_COVAR_POP, .arg = col(s, "f"), .val = col(s, "v") },
		{ .fn = EX_AGG_ANY_VALUE, .arg = col(s, "s") },
		{ .fn = EX_AGG_QUANTILE_DISC, .arg = col(s, "f"), .param = lit("float64", "0.5"),
		  .distinct = true },
		{ .fn = EX_AGG_LIST, .arg = col(s, "s"), .order = kl, .n_order = 1 },
	};
	if (ex_op_agg(v, &g, NULL, 1, sp, 9, &out, &e))
		die("agg", e.msg);
	tarn_schema_unref(s);
	return out;
}

TEST(allocation_failures)
{
	int per = 2;
	struct tarn_err e = { 0 };
	char *want = run_text(plan_small(&per), 1, &e);
	/* string_agg(DISTINCT s ORDER BY o): each value's first row, then by o */
	CHECK_STR(want, "1|3.0|a|b,a|2.5|2|0.0|a|1.5|[\"b\",\"a\",\"a\"]\n"
			"2|4.0|a|a,c,b|NULL|3|0.0|a|3.0|[\"a\",\"c\",\"b\"]\n"
			"3|NULL|NULL|NULL|1.0|0|NULL|NULL|1.0|[null]\n");
	CHECK(fail_sweep(plan_small, &per, want, 5000, 4) > 20);
	free(want);
}

/* A constant list<decimal(3,2)> of the given hundredths. */
static struct ex_expr *qlist(int n, const int *hundredths)
{
	struct tarn_type t;
	struct tarn_err e = { 0 };
	struct tarn_array *a;
	struct ex_expr *x;
	if (tarn_type_parse("list<decimal(3,2)>", &t, &e) || tarn_array_new(&t, 1, &a))
		die("list type", e.msg);
	for (int i = 0; i < n; i++)
		if (tarn_array_append_decimal(a->children[0], hundredths[i]))
			die("list", NULL);
	if (tarn_array_list_end(a, true) || ex_expr_const(a, 0, &x))
		die("list", NULL);
	tarn_array_free(a);
	tarn_type_clear(&t);
	return x;
}

TEST(quantile_lists)
{
	int per = 3;
	struct tarn_schema *s = schema();
	struct tarn_err e = { 0 };
	struct ex_op *out = NULL;
	static const int q3[] = { 10, 50, 90 }, q2[] = { 25, 75 };
	struct ex_expr *g = col(s, "k");
	struct ex_agg_spec sp[] = {
		{ .fn = EX_AGG_QUANTILE_DISC, .arg = col(s, "v"), .param = qlist(3, q3) },
		{ .fn = EX_AGG_QUANTILE_CONT, .arg = col(s, "v"), .param = qlist(2, q2) },
	};
	REQUIRE(!ex_op_agg(values_of(s, SMALL, per), &g, NULL, 1, sp, 2, &out, &e));
	char *r = run_text(out, 2, &e);
	CHECK_STR(r, "1|[3,3,5]|[3.0,4.0]\n2|[4,4,4]|[4.0,4.0]\n3|NULL|NULL\n");
	free(r);
	struct ex_agg_spec bad[] = { { .fn = EX_AGG_QUANTILE_DISC, .arg = col(s, "v"),
				       .param = qlist(2, (const int[]){ 50, 150 }) } };
	CHECK(ex_op_agg(values_of(s, SMALL, per), NULL, NULL, 0, bad, 1, &out, &e) ==
	      TARN_EUSAGE);
	CHECK_CONTAINS(e.msg, "between 0 and 1");
	tarn_schema_unref(s);
}

int main(void)
{
	tarn_config_set_threads(4);
	make_rows();
	RUN(holistic_and_stats_vs_naive);
	RUN(many_groups_vs_naive);
	RUN(approx_count_distinct_bound);
	RUN(parameter_errors);
	RUN(holistic_memory_limit);
	RUN(allocation_failures);
	RUN(quantile_lists);
	free(ROWS);
	free(TEXT);
	return unit_done();
}
