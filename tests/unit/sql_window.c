/*
 * sql_window.c — the window operator (op_window.c) against naive
 * computations: sliding, running and suffix ROWS frames over partitions of
 * ~47k rows that cross 65536-row batch boundaries; RANGE frames and ranks
 * over keys with many ties and NULLs (ascending and descending); results
 * equal at 1 and 4 threads; empty input; the memory limit; allocation
 * failures at every step (no leak, no crash: run under ASan).
 */
#include <math.h>
#include <stdint.h>

#include "sql_exec_util.h"
#include "unit.h"

static uint64_t rng_state = 88172645463325252ULL;

static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

#define NUL INT64_MIN

struct table {
	int n;
	int64_t *g, *o, *x; /* NUL = NULL */
	char *text;
};

static void cell(char **p, int64_t v, char sep)
{
	if (v == NUL)
		*p += sprintf(*p, "NULL%c", sep);
	else
		*p += sprintf(*p, "%lld%c", (long long)v, sep);
}

static void table_text(struct table *t)
{
	t->text = malloc((size_t)t->n * 72 + 1);
	char *p = t->text;
	for (int i = 0; i < t->n; i++) {
		cell(&p, t->g[i], '|');
		cell(&p, t->o[i], '|');
		cell(&p, t->x[i], '\n');
	}
	*p = 0;
}

static void table_free(struct table *t)
{
	free(t->g);
	free(t->o);
	free(t->x);
	free(t->text);
}

/* Result cells: rows of ncol int64 (NUL = NULL; doubles scaled by 1e6). */
static int64_t *parse(const char *text, int ncol, int n)
{
	int64_t *v = malloc((size_t)n * ncol * sizeof *v);
	const char *p = text;
	for (int i = 0; i < n * ncol; i++) {
		if (!p || !*p) {
			free(v);
			return NULL;
		}
		if (!strncmp(p, "NULL", 4)) {
			v[i] = NUL;
			p += 4;
		} else {
			char *end;
			double d = strtod(p, &end);
			bool frac = memchr(p, '.', (size_t)(end - p)) != NULL;
			v[i] = frac ? (int64_t)(d * 1e6 + (d < 0 ? -0.5 : 0.5)) : strtoll(p, NULL, 10);
			p = end;
		}
		p++; /* '|' or '\n' */
	}
	return v;
}

/* The plan's result (4 threads) parsed as rows of ncol int64; NULL when
 * the run fails (its error printed) or the result is short. */
static int64_t *run_parsed(struct ex_op *op, int ncol, int n)
{
	struct tarn_err e = { 0 };
	char *r = run_text(op, 4, &e);
	if (!r) {
		fprintf(stderr, "run failed: %s\n", e.msg);
		return NULL;
	}
	int64_t *v = parse(r, ncol, n);
	free(r);
	return v;
}

static struct ex_win_spec agg(enum ex_agg_fn fn, struct ex_expr *arg, enum ex_frame_unit u,
			      enum ex_frame_bound s, int64_t sn, enum ex_frame_bound e, int64_t en,
			      const char *name)
{
	struct ex_win_spec w;
	memset(&w, 0, sizeof w);
	w.fn = EX_WIN_AGG;
	w.agg = fn;
	w.arg = arg;
	w.frame.unit = u;
	w.frame.start = s;
	w.frame.end = e;
	w.frame.start_n = sn;
	w.frame.end_n = en;
	w.name = name;
	return w;
}

static struct ex_op *window_plan(struct tarn_schema *s, const char *text, int per_batch,
				 bool desc, bool nulls_first, struct ex_win_spec *specs, int n)
{
	struct ex_op *in = values_of(s, text, per_batch);
	struct ex_expr *part[1] = { col(s, "g") };
	struct ex_sort_key order[1] = { { col(s, "o"), desc, nulls_first } };
	struct ex_op *op;
	struct tarn_err e = { 0 };
	if (ex_op_window(in, part, 1, order, 1, specs, n, &op, &e))
		die("window", e.msg);
	return op;
}

/* ---- ROWS frames over large partitions ------------------------------------------------ */

static struct table big_table(int n)
{
	struct table t = { n, malloc((size_t)n * 8), malloc((size_t)n * 8), malloc((size_t)n * 8), NULL };
	for (int i = 0; i < n; i++) {
		t.g[i] = i % 3;
		t.o[i] = (int64_t)(((uint64_t)i * 7919) % (uint64_t)n); /* a permutation */
		t.x[i] = rnd() % 10 == 0 ? NUL : (int64_t)(rnd() % 2001) - 1000;
	}
	table_text(&t);
	return t;
}

static void naive_rows(const int64_t *x, int64_t ps, int64_t pe, int64_t i, int64_t a, int64_t b,
		       bool excl_cur, int64_t *sum, int64_t *mn, int64_t *mx, int64_t *cnt)
{
	int64_t lo = a < ps ? ps : a, hi = b > pe ? pe : b;
	*sum = 0, *mn = NUL, *mx = NUL, *cnt = 0;
	for (int64_t j = lo; j < hi; j++) {
		if (x[j] == NUL || (excl_cur && j == i))
			continue;
		*sum += x[j];
		if (*mn == NUL || x[j] < *mn)
			*mn = x[j];
		if (*mx == NUL || x[j] > *mx)
			*mx = x[j];
		(*cnt)++;
	}
}

TEST(rows_frames_large_partitions)
{
	enum { N = 140000, NC = 10 };
	struct table t = big_table(N);
	struct tarn_schema *s = schema_of("g int64; o int64; x int64");
	struct ex_win_spec sp[7];
	sp[0] = agg(EX_AGG_SUM, col(s, "x"), EX_FRAME_ROWS, EX_FB_PRECEDING, 700, EX_FB_FOLLOWING,
		    300, "s");
	sp[1] = agg(EX_AGG_MIN, col(s, "x"), EX_FRAME_ROWS, EX_FB_FOLLOWING, 50, EX_FB_FOLLOWING,
		    900, "mn");
	sp[2] = agg(EX_AGG_MAX, col(s, "x"), EX_FRAME_ROWS, EX_FB_PRECEDING, 1000,
		    EX_FB_CURRENT_ROW, 0, "mx");
	sp[2].frame.exclude = EX_EXCLUDE_CURRENT_ROW;
	sp[3] = agg(EX_AGG_COUNT, col(s, "x"), EX_FRAME_ROWS, EX_FB_UNBOUNDED_PRECEDING, 0,
		    EX_FB_CURRENT_ROW, 0, "c");
	sp[4] = agg(EX_AGG_SUM, col(s, "x"), EX_FRAME_ROWS, EX_FB_CURRENT_ROW, 0,
		    EX_FB_UNBOUNDED_FOLLOWING, 0, "suf");
	memset(&sp[5], 0, sizeof sp[5]);
	sp[5].fn = EX_WIN_LAG;
	sp[5].arg = col(s, "x");
	sp[5].arg2 = i64(2);
	sp[5].name = "lag";
	memset(&sp[6], 0, sizeof sp[6]);
	sp[6].fn = EX_WIN_FIRST_VALUE;
	sp[6].arg = col(s, "x");
	sp[6].ignore_nulls = true;
	sp[6].frame = (struct ex_win_frame){ .unit = EX_FRAME_ROWS, .start = EX_FB_PRECEDING,
					     .start_n = 10, .end = EX_FB_FOLLOWING, .end_n = 10 };
	sp[6].name = "fv";
	struct ex_op *op = window_plan(s, t.text, 4096, false, false, sp, 7);
	int64_t *v = run_parsed(op, NC, N);
	REQUIRE(v);
	int64_t *g = malloc(N * 8), *o = malloc(N * 8), *x = malloc(N * 8);
	for (int i = 0; i < N; i++) {
		g[i] = v[i * NC];
		o[i] = v[i * NC + 1];
		x[i] = v[i * NC + 2];
	}
	int bad = 0;
	int64_t ps = 0, pe = 0, run = 0, *suf = malloc(N * 8);
	for (int64_t i = 0; i < N; i++) {
		if (i > 0 && (g[i] < g[i - 1] || (g[i] == g[i - 1] && o[i] <= o[i - 1])))
			bad++; /* sorted by (g, o) */
		if (i == pe) {
			ps = i;
			while (pe < N && g[pe] == g[i])
				pe++;
			/* suffix sums of the partition, running counts from its start */
			int64_t ss = 0, sc = 0;
			for (int64_t j = pe - 1; j >= ps; j--) {
				ss += x[j] == NUL ? 0 : x[j];
				sc += x[j] != NUL;
				suf[j] = sc ? ss : NUL;
			}
			run = 0;
		}
		run += x[i] != NUL;
		const int64_t *row = v + i * NC;
		int64_t sum, mn, mx, cnt;
		naive_rows(x, ps, pe, i, i - 700, i + 301, false, &sum, &mn, &mx, &cnt);
		bad += row[3] != (cnt ? sum : NUL);
		naive_rows(x, ps, pe, i, i + 50, i + 901, false, &sum, &mn, &mx, &cnt);
		bad += row[4] != mn;
		naive_rows(x, ps, pe, i, i - 1000, i + 1, true, &sum, &mn, &mx, &cnt);
		bad += row[5] != mx;
		bad += row[6] != run;
		bad += row[7] != suf[i];
		bad += row[8] != (i - 2 >= ps ? x[i - 2] : NUL);
		int64_t fv = NUL;
		for (int64_t j = i - 10 < ps ? ps : i - 10; j < pe && j <= i + 10 && fv == NUL; j++)
			fv = x[j];
		bad += row[9] != fv;
		if (bad && bad < 3)
			fprintf(stderr, "row %lld differs\n", (long long)i);
	}
	CHECK(bad == 0);
	free(g);
	free(o);
	free(x);
	free(suf);
	free(v);
	tarn_schema_unref(s);
	table_free(&t);
}

/* ---- RANGE frames and ranks over ties and NULLs ----------------------------------------- */

static struct table tie_table(int n, int groups)
{
	struct table t = { n, malloc((size_t)n * 8), malloc((size_t)n * 8), malloc((size_t)n * 8), NULL };
	for (int i = 0; i < n; i++) {
		t.g[i] = (int64_t)(rnd() % (uint64_t)groups);
		t.o[i] = rnd() % 20 == 0 ? NUL : (int64_t)(rnd() % 300);
		t.x[i] = rnd() % 10 == 0 ? NUL : (int64_t)(rnd() % 100);
	}
	table_text(&t);
	return t;
}

static void range_case(bool desc, bool nulls_first)
{
	enum { N = 6000, NC = 9 };
	struct table t = tie_table(N, 2);
	struct tarn_schema *s = schema_of("g int64; o int64; x int64");
	struct ex_win_spec sp[6];
	/* sum(x) RANGE BETWEEN 5 PRECEDING AND 3 FOLLOWING */
	sp[0] = agg(EX_AGG_SUM, col(s, "x"), EX_FRAME_RANGE, EX_FB_PRECEDING, 0, EX_FB_FOLLOWING, 0,
		    "s");
	sp[0].frame.range_key = col(s, "o");
	sp[0].frame.start_val = arith(desc ? EX_ADD : EX_SUB, col(s, "o"), i64(5));
	sp[0].frame.end_val = arith(desc ? EX_SUB : EX_ADD, col(s, "o"), i64(3));
	/* count(*) RANGE BETWEEN 2 FOLLOWING AND 10 FOLLOWING */
	sp[1] = agg(EX_AGG_COUNT_STAR, NULL, EX_FRAME_RANGE, EX_FB_FOLLOWING, 0, EX_FB_FOLLOWING, 0,
		    "c");
	sp[1].frame.range_key = col(s, "o");
	sp[1].frame.start_val = arith(desc ? EX_SUB : EX_ADD, col(s, "o"), i64(2));
	sp[1].frame.end_val = arith(desc ? EX_SUB : EX_ADD, col(s, "o"), i64(10));
	/* the default frame: RANGE UNBOUNDED PRECEDING .. CURRENT ROW (peers) */
	sp[2] = agg(EX_AGG_MAX, col(s, "x"), EX_FRAME_RANGE, EX_FB_UNBOUNDED_PRECEDING, 0,
		    EX_FB_CURRENT_ROW, 0, "m");
	memset(&sp[3], 0, sizeof sp[3] * 3);
	sp[3].fn = EX_WIN_RANK;
	sp[3].name = "r";
	sp[4].fn = EX_WIN_DENSE_RANK;
	sp[4].name = "dr";
	sp[5].fn = EX_WIN_CUME_DIST;
	sp[5].name = "cd";
	struct ex_op *op = window_plan(s, t.text, 1000, desc, nulls_first, sp, 6);
	int64_t *v = run_parsed(op, NC, N);
	REQUIRE(v);
	int bad = 0;
	/* "before" in window order: smaller (asc) / larger (desc); NULLs first or last */
#define BEFORE(a, b)                                                                 \
	((a) == NUL ? ((b) != NUL && nulls_first)                                    \
		    : (b) == NUL ? !nulls_first : desc ? (a) > (b) : (a) < (b))
	for (int i = 0; i < N; i++) {
		const int64_t *ri = v + i * NC;
		int64_t gi = ri[0], oi = ri[1];
		int64_t sum = 0, sn = 0, cnt = 0, mx = NUL, before = 0, distinct_before = 0, upto = 0,
			m = 0;
		/* distinct earlier keys, for dense_rank */
		static uint8_t seen[302];
		memset(seen, 0, sizeof seen);
		for (int j = 0; j < N; j++) {
			const int64_t *rj = v + j * NC;
			if (rj[0] != gi)
				continue;
			int64_t oj = rj[1], xj = rj[2];
			m++;
			bool peer = oj == oi;
			bool bef = BEFORE(oj, oi);
			if (bef) {
				before++;
				int k = oj == NUL ? 301 : (int)oj;
				if (!seen[k]) {
					seen[k] = 1;
					distinct_before++;
				}
			}
			if (bef || peer) {
				upto++;
				if (xj != NUL && (mx == NUL || xj > mx))
					mx = xj;
			}
			bool in_s, in_c;
			if (oi == NUL) {
				in_s = in_c = peer; /* NULL keys frame their NULL peers */
			} else if (oj == NUL) {
				in_s = in_c = false;
			} else {
				int64_t d = desc ? oi - oj : oj - oi; /* position relative to current */
				in_s = d >= -5 && d <= 3;
				in_c = d >= 2 && d <= 10;
			}
			if (in_s && xj != NUL) {
				sum += xj;
				sn++;
			}
			cnt += in_c;
		}
		bad += ri[3] != (sn ? sum : NUL);
		bad += ri[4] != cnt;
		bad += ri[5] != mx;
		bad += ri[6] != before + 1;
		bad += ri[7] != distinct_before + 1;
		int64_t cd = (int64_t)((double)upto / (double)m * 1e6 + 0.5);
		bad += ri[8] < cd - 1 || ri[8] > cd + 1;
		if (bad && bad < 3)
			fprintf(stderr, "range row %d differs (desc %d nulls_first %d)\n", i, desc,
				nulls_first);
	}
#undef BEFORE
	CHECK(bad == 0);
	free(v);
	tarn_schema_unref(s);
	table_free(&t);
}

TEST(range_frames_ties_nulls)
{
	range_case(false, false);
	range_case(false, true);
	range_case(true, false);
	range_case(true, true);
}

/* ---- holistic and DISTINCT aggregates over frames ------------------------------------------ */

static struct ex_expr *f64c(double v)
{
	struct ex_expr *x;
	if (ex_expr_const_double(v, &x))
		die("constant", "out of memory");
	return x;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

/* The frame's non-null values of [a, b) minus row `skip`, sorted into buf. */
static int64_t frame_vals(const int64_t *x, int64_t ps, int64_t pe, int64_t a, int64_t b,
			  int64_t skip, int64_t *buf)
{
	int64_t m = 0;
	for (int64_t j = a < ps ? ps : a; j < (b > pe ? pe : b); j++)
		if (x[j] != NUL && j != skip)
			buf[m++] = x[j];
	qsort(buf, (size_t)m, sizeof *buf, cmp_i64);
	return m;
}

static int64_t distinct_sorted(const int64_t *v, int64_t m)
{
	int64_t d = 0;
	for (int64_t k = 0; k < m; k++)
		d += k == 0 || v[k] != v[k - 1];
	return d;
}

static bool near(int64_t got, double want)
{
	double w = want * 1e6;
	double diff = (double)got - w;
	return fabs(diff) <= 2 + 1e-9 * fabs(w);
}

/* median (sliding), quantile_disc 0.9 (EXCLUDE CURRENT ROW), count(DISTINCT)
 * (centred), approx_count_distinct (running), covar_pop(x, o), sum(DISTINCT)
 * (running). */
static struct ex_op *holistic_plan(struct tarn_schema *s, const char *text)
{
	struct ex_win_spec sp[6];
	sp[0] = agg(EX_AGG_MEDIAN, col(s, "x"), EX_FRAME_ROWS, EX_FB_PRECEDING, 60, EX_FB_FOLLOWING,
		    40, "med");
	sp[1] = agg(EX_AGG_QUANTILE_DISC, col(s, "x"), EX_FRAME_ROWS, EX_FB_PRECEDING, 100,
		    EX_FB_CURRENT_ROW, 0, "q9");
	sp[1].frame.exclude = EX_EXCLUDE_CURRENT_ROW;
	sp[1].arg3 = f64c(0.9);
	sp[2] = agg(EX_AGG_COUNT, col(s, "x"), EX_FRAME_ROWS, EX_FB_PRECEDING, 80, EX_FB_FOLLOWING,
		    80, "cd");
	sp[2].distinct = true;
	sp[3] = agg(EX_AGG_APPROX_COUNT_DISTINCT, col(s, "x"), EX_FRAME_ROWS,
		    EX_FB_UNBOUNDED_PRECEDING, 0, EX_FB_CURRENT_ROW, 0, "acd");
	sp[4] = agg(EX_AGG_COVAR_POP, col(s, "x"), EX_FRAME_ROWS, EX_FB_PRECEDING, 50,
		    EX_FB_FOLLOWING, 50, "cov");
	sp[4].arg2 = col(s, "o");
	sp[5] = agg(EX_AGG_SUM, col(s, "x"), EX_FRAME_ROWS, EX_FB_UNBOUNDED_PRECEDING, 0,
		    EX_FB_CURRENT_ROW, 0, "sd");
	sp[5].distinct = true;
	return window_plan(s, text, 4096, false, false, sp, 6);
}

TEST(holistic_frames)
{
	enum { N = 140000, NC = 9 };
	struct table t = big_table(N);
	struct tarn_schema *s = schema_of("g int64; o int64; x int64");
	struct tarn_err e = { 0 };
	char *r = run_text(holistic_plan(s, t.text), 4, &e);
	REQUIRE(r);
	/* the same plan at 1 thread gives the same text */
	char *r1 = run_text(holistic_plan(s, t.text), 1, &e);
	REQUIRE(r1);
	CHECK(strcmp(r, r1) == 0);
	free(r1);
	int64_t *v = parse(r, NC, N);
	free(r);
	REQUIRE(v);
	int64_t *g = malloc(N * 8), *o = malloc(N * 8), *x = malloc(N * 8), *buf = malloc(N * 8);
	bool *seen = calloc(2001, 1);
	for (int i = 0; i < N; i++) {
		g[i] = v[i * NC];
		o[i] = v[i * NC + 1];
		x[i] = v[i * NC + 2];
	}
	int bad = 0;
	int64_t ps = 0, pe = 0, run_d = 0;
	__int128 run_s = 0;
	for (int64_t i = 0; i < N; i++) {
		if (i == pe) {
			ps = i;
			while (pe < N && g[pe] == g[i])
				pe++;
			memset(seen, 0, 2001);
			run_d = 0;
			run_s = 0;
		}
		if (x[i] != NUL && !seen[x[i] + 1000]) {
			seen[x[i] + 1000] = true;
			run_d++;
			run_s += x[i];
		}
		const int64_t *row = v + i * NC;
		int64_t m = frame_vals(x, ps, pe, i - 60, i + 41, -1, buf);
		if (m == 0) {
			bad += row[3] != NUL;
		} else {
			double rn = (double)(m - 1) * 0.5;
			int64_t lo = (int64_t)floor(rn), hi = (int64_t)ceil(rn);
			bad += !near(row[3], (double)buf[lo] + ((double)buf[hi] - (double)buf[lo]) *
								       (rn - (double)lo));
		}
		m = frame_vals(x, ps, pe, i - 100, i + 1, i, buf);
		if (m == 0)
			bad += row[4] != NUL;
		else {
			int64_t k = (int64_t)ceil((double)m * 0.9) - 1;
			bad += row[4] != buf[k < 0 ? 0 : k];
		}
		m = frame_vals(x, ps, pe, i - 80, i + 81, -1, buf);
		bad += row[5] != distinct_sorted(buf, m);
		bad += row[6] != run_d;
		/* covar_pop over pairs with x non-null */
		double sx = 0, so = 0, sxo = 0, c = 0;
		for (int64_t j = i - 50 < ps ? ps : i - 50; j < pe && j <= i + 50; j++)
			if (x[j] != NUL) {
				sx += (double)x[j];
				so += (double)o[j];
				c++;
			}
		for (int64_t j = i - 50 < ps ? ps : i - 50; j < pe && j <= i + 50; j++)
			if (x[j] != NUL)
				sxo += ((double)x[j] - sx / c) * ((double)o[j] - so / c);
		bad += c ? !near(row[7], sxo / c) : row[7] != NUL;
		bad += row[8] != (run_d ? (int64_t)run_s : NUL);
		if (bad && bad < 3)
			fprintf(stderr, "row %lld differs\n", (long long)i);
	}
	CHECK(bad == 0);
	free(g);
	free(o);
	free(x);
	free(buf);
	free(seen);
	free(v);
	tarn_schema_unref(s);
	table_free(&t);
}

/* ---- threads, empty input, limits, allocation failures ------------------------------------ */

static struct ex_op *small_plan(struct tarn_schema *s, const char *text, int per_batch)
{
	struct ex_win_spec sp[4];
	sp[0] = agg(EX_AGG_SUM, col(s, "x"), EX_FRAME_ROWS, EX_FB_PRECEDING, 3, EX_FB_FOLLOWING, 2,
		    "s");
	sp[1] = agg(EX_AGG_AVG, col(s, "x"), EX_FRAME_RANGE, EX_FB_UNBOUNDED_PRECEDING, 0,
		    EX_FB_CURRENT_ROW, 0, "a");
	memset(&sp[2], 0, sizeof sp[2] * 2);
	sp[2].fn = EX_WIN_ROW_NUMBER;
	sp[2].name = "rn";
	sp[3].fn = EX_WIN_LEAD;
	sp[3].arg = col(s, "x");
	sp[3].arg2 = i64(1);
	sp[3].arg3 = i64(-1);
	sp[3].name = "ld";
	return window_plan(s, text, per_batch, false, false, sp, 4);
}

TEST(threads_equal)
{
	/* one chunk at 1 thread, several (split at partitions) at 4 */
	for (int groups = 2; groups <= 200; groups *= 10) {
		struct table t = tie_table(100000, groups);
		struct tarn_schema *s = schema_of("g int64; o int64; x int64");
		struct tarn_err e = { 0 };
		char *r1 = run_text(small_plan(s, t.text, 7000), 1, &e);
		char *r4 = run_text(small_plan(s, t.text, 7000), 4, &e);
		REQUIRE(r1 && r4);
		CHECK(strcmp(r1, r4) == 0);
		free(r1);
		free(r4);
		tarn_schema_unref(s);
		table_free(&t);
	}
}

TEST(empty_input)
{
	struct tarn_schema *s = schema_of("g int64; o int64; x int64");
	struct tarn_err e = { 0 };
	char *r = run_text(small_plan(s, "", 10), 2, &e);
	CHECK_STR(r, "");
	free(r);
	tarn_schema_unref(s);
}

TEST(small_exact)
{
	struct tarn_schema *s = schema_of("g int64; o int64; x int64");
	struct tarn_err e = { 0 };
	const char *rows = "1|3|30\n1|1|10\n2|1|NULL\n1|2|NULL\n2|2|5\n1|4|40\nNULL|1|7";
	char *r = run_text(small_plan(s, rows, 2), 2, &e);
	/* sum: ROWS 3 PRECEDING..2 FOLLOWING; avg: running; lead(x, 1, -1) */
	CHECK_STR(r, "1|1|10|40|10.0|1|NULL\n"
		     "1|2|NULL|80|10.0|2|30\n"
		     "1|3|30|80|20.0|3|40\n"
		     "1|4|40|80|26.666666666666668|4|-1\n"
		     "2|1|NULL|5|NULL|1|5\n"
		     "2|2|5|5|5.0|2|-1\n"
		     "NULL|1|7|7|7.0|1|-1\n");
	free(r);
	tarn_schema_unref(s);
}

TEST(memory_limit)
{
	struct table t = big_table(50000);
	struct tarn_schema *s = schema_of("g int64; o int64; x int64");
	struct tarn_err e = { 0 };
	char *r = run_text_opts(small_plan(s, t.text, 4096), 2, 1 << 20, &e);
	CHECK(r == NULL);
	CHECK_CONTAINS(e.msg, "memory limit");
	free(r);
	tarn_schema_unref(s);
	table_free(&t);
}

/* Every allocation of a run failing in turn: an error or the right result. */
static void fail_each_allocation(struct ex_op *(*plan)(struct tarn_schema *, const char *),
				 const char *rows)
{
	struct tarn_schema *s = schema_of("g int64; o int64; x int64");
	struct tarn_err e = { 0 };
	char *want = run_text(plan(s, rows), 1, &e);
	REQUIRE(want);
	int ok = 0;
	for (int64_t k = 0; k < 400; k++) {
		struct tarn_err ek = { 0 };
		char *r = run_text_fail(plan(s, rows), 1, 0, k, &ek);
		if (r) {
			CHECK_STR(r, want);
			ok++;
		}
		free(r);
	}
	CHECK(ok > 0);
	free(want);
	tarn_schema_unref(s);
}

static struct ex_op *small_plan2(struct tarn_schema *s, const char *text)
{
	return small_plan(s, text, 2);
}

TEST(allocation_failures)
{
	fail_each_allocation(small_plan2,
			     "1|3|30\n1|1|10\n2|1|NULL\n1|2|NULL\n2|2|5\n1|4|40\nNULL|1|7");
}

TEST(holistic_allocation_failures)
{
	fail_each_allocation(holistic_plan,
			     "1|3|30\n1|1|10\n2|1|NULL\n1|2|NULL\n2|2|5\n1|4|40\nNULL|1|7\n1|5|30");
}

int main(void)
{
	tarn_config_set_threads(4);
	RUN(rows_frames_large_partitions);
	RUN(range_frames_ties_nulls);
	RUN(holistic_frames);
	RUN(threads_equal);
	RUN(empty_input);
	RUN(small_exact);
	RUN(memory_limit);
	RUN(allocation_failures);
	RUN(holistic_allocation_failures);
	return unit_done();
}
