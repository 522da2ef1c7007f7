/*
 * sql_tpch.c — TPC-H Q1 and Q6 through the execution core (the plans of
 * bench/sql_tpch.h) over a generated lineitem table written as Parquet.
 *
 * The table follows dbgen's rules for the columns the queries read
 * (quantity 1..50, price = quantity * the part's retail price, discount
 * 0..0.10, tax 0..0.08, ship/receipt dates after a random order date,
 * return flag R/A before 1995-06-17 else N, line status F/O by ship date).
 * Expected answers are computed a second way: a plain loop over the
 * generated rows with exact 128-bit integer arithmetic on cents, so the
 * engine's decimal sums must match to the last digit; averages agree to
 * 1e-12. The same file also goes through DuckDB (bench/duckdb_run.mjs)
 * when node and the DuckDB peer are installed, for a third opinion; and a
 * float64 copy of the table checks the typing the SF1 benchmark file has.
 * Both plans run with 1 and 4 threads and must agree exactly.
 */
#include "unit.h"
#include "sql_exec_util.h"

#include <math.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/pool.h"
#include "../../bench/sql_tpch.h"

enum { ROWS = 60000 };

struct li {
	int64_t qty, price, disc, tax; /* cents */
	char flag, status;
	int32_t ship;
};

static struct li T[ROWS];
static char dir[256];

static uint64_t rng = 20240101;
static int64_t uniform(int64_t lo, int64_t hi)
{
	rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
	return lo + (int64_t)((rng >> 33) % (uint64_t)(hi - lo + 1));
}

static void gen(void)
{
	int32_t start = tarn_days_from_civil(1992, 1, 1), end = tarn_days_from_civil(1998, 8, 2);
	int32_t current = tarn_days_from_civil(1995, 6, 17);
	for (int i = 0; i < ROWS; i++) {
		int64_t part = uniform(1, 200000);
		int64_t retail = 90000 + ((part / 10) % 20001) + 100 * (part % 1000); /* cents */
		struct li *r = &T[i];
		r->qty = uniform(1, 50) * 100;
		r->price = r->qty / 100 * retail;
		r->disc = uniform(0, 10);
		r->tax = uniform(0, 8);
		int32_t order = (int32_t)uniform(start, end - 151);
		r->ship = order + (int32_t)uniform(1, 121);
		int32_t receipt = r->ship + (int32_t)uniform(1, 30);
		r->flag = receipt <= current ? (uniform(0, 1) ? 'R' : 'A') : 'N';
		r->status = r->ship > current ? 'O' : 'F';
	}
}

static void fmt_cents(char *buf, tarn_i128 c, int scale)
{
	buf[tarn_fmt_decimal(buf, c, scale)] = 0;
}

/* Writes the table as Parquet, decimal(15,2) (dbgen) or double typing. */
static void write_lineitem(const char *path, bool dbl)
{
	char spec[512];
	snprintf(spec, sizeof spec,
		 "l_quantity %s; l_extendedprice %s; l_discount %s; l_tax %s; l_returnflag string; "
		 "l_linestatus string; l_shipdate date",
		 dbl ? "int64" : "decimal(15,2)", dbl ? "float64" : "decimal(15,2)",
		 dbl ? "float64" : "decimal(15,2)", dbl ? "float64" : "decimal(15,2)");
	struct tarn_schema *s = schema_of(spec);
	struct tarn_writer *w;
	struct tarn_err e = { 0 };
	if (tarn_writer_open(path, "parquet", s, NULL, &w, &e))
		die("writer", e.msg);
	for (int b = 0; b < ROWS; b += 10000) {
		struct tarn_batch *tb;
		if (tarn_batch_new(s, 10000, &tb))
			die("batch", NULL);
		for (int i = b; i < b + 10000; i++) {
			const struct li *r = &T[i];
			tarn_rc rc;
			if (dbl) {
				rc = tarn_array_append_int(tb->cols[0], r->qty / 100);
				rc |= tarn_array_append_double(tb->cols[1], (double)r->price / 100);
				rc |= tarn_array_append_double(tb->cols[2], (double)r->disc / 100);
				rc |= tarn_array_append_double(tb->cols[3], (double)r->tax / 100);
			} else {
				rc = tarn_array_append_decimal(tb->cols[0], r->qty);
				rc |= tarn_array_append_decimal(tb->cols[1], r->price);
				rc |= tarn_array_append_decimal(tb->cols[2], r->disc);
				rc |= tarn_array_append_decimal(tb->cols[3], r->tax);
			}
			rc |= tarn_array_append_bytes(tb->cols[4], &r->flag, 1);
			rc |= tarn_array_append_bytes(tb->cols[5], &r->status, 1);
			rc |= tarn_array_append_int(tb->cols[6], r->ship);
			if (rc)
				die("append", NULL);
		}
		if (tarn_batch_seal(tb, &e) || tarn_writer_write(w, tb, &e))
			die("write", e.msg);
		tarn_batch_free(tb);
	}
	if (tarn_writer_finish(w, &e))
		die("finish", e.msg);
	tarn_writer_close(w);
	tarn_schema_unref(s);
}

static char *run_plan(struct ex_op *plan, int threads, struct tarn_err *err)
{
	return run_text(plan, threads, err);
}

/* Q1 the second way: exact sums in cents (scale 2), price * (1 - disc)
 * at scale 4, and * (1 + tax) at scale 6. */
static char *q1_expected(void)
{
	const char *groups[4] = { "AF", "NF", "NO", "RF" };
	int32_t cut = tarn_days_from_civil(1998, 9, 2);
	char *out = malloc(4096);
	out[0] = 0;
	for (int g = 0; g < 4; g++) {
		__int128 sq = 0, sp = 0, sd = 0, sc = 0, sdisc = 0;
		int64_t n = 0;
		for (int i = 0; i < ROWS; i++) {
			const struct li *r = &T[i];
			if (r->ship > cut || r->flag != groups[g][0] || r->status != groups[g][1])
				continue;
			sq += r->qty;
			sp += r->price;
			sd += (__int128)r->price * (100 - r->disc);
			sc += (__int128)r->price * (100 - r->disc) * (100 + r->tax);
			sdisc += r->disc;
			n++;
		}
		if (n == 0)
			continue;
		char a[64], b[64], c[64], d[64];
		fmt_cents(a, sq, 2);
		fmt_cents(b, sp, 2);
		fmt_cents(c, sd, 4);
		fmt_cents(d, sc, 6);
		long double aq = (long double)sq / 100 / n, ap = (long double)sp / 100 / n;
		long double ad = (long double)sdisc / 100 / n;
		sprintf(out + strlen(out), "%c|%c|%s|%s|%s|%s|%.17g|%.17g|%.17g|%lld\n", groups[g][0],
			groups[g][1], a, b, c, d, (double)aq, (double)ap, (double)ad, (long long)n);
	}
	return out;
}

static char *q6_expected(void)
{
	int32_t lo = tarn_days_from_civil(1994, 1, 1), hi = tarn_days_from_civil(1995, 1, 1);
	__int128 rev = 0;
	for (int i = 0; i < ROWS; i++) {
		const struct li *r = &T[i];
		if (r->ship >= lo && r->ship < hi && r->disc >= 5 && r->disc <= 7 && r->qty < 2400)
			rev += (__int128)r->price * r->disc;
	}
	char *out = malloc(64);
	out[tarn_fmt_decimal(out, rev, 4)] = 0;
	strcat(out, "\n");
	return out;
}

/* Compares two result texts field by field: equal text, or numbers within
 * a relative 1e-12 (averages and float sums). */
static bool close_enough(const char *got, const char *want, double tol)
{
	if (!got || !want)
		return false;
	while (*got && *want) {
		size_t gl = strcspn(got, "|\n\t"), wl = strcspn(want, "|\n\t");
		if (gl != wl || strncmp(got, want, gl)) {
			char *ge, *we;
			double g = strtod(got, &ge), w = strtod(want, &we);
			if (ge != got + gl || we != want + wl || fabs(g - w) > tol * fabs(w))
				return false;
		}
		got += gl;
		want += wl;
		if (!*got || !*want)
			break;
		got++;
		want++;
	}
	return !*got && !*want;
}

static const char *Q1_SQL =
	"SELECT l_returnflag, l_linestatus, sum(l_quantity), sum(l_extendedprice), "
	"sum(l_extendedprice*(1-l_discount)), sum(l_extendedprice*(1-l_discount)*(1+l_tax)), "
	"avg(l_quantity), avg(l_extendedprice), avg(l_discount), count(*) FROM '%s' "
	"WHERE l_shipdate <= date '1998-12-01' - interval '90' day "
	"GROUP BY l_returnflag, l_linestatus ORDER BY l_returnflag, l_linestatus";
static const char *Q6_SQL =
	"SELECT sum(l_extendedprice*l_discount) FROM '%s' WHERE l_shipdate >= date '1994-01-01' "
	"AND l_shipdate < date '1995-01-01' AND l_discount BETWEEN 0.06 - 0.01 AND 0.06 + 0.01 "
	"AND l_quantity < 24";

/* DuckDB's answer as our text (tabs to '|', header dropped), or NULL
 * when DuckDB is not available. */
static char *duckdb(const char *fmt, const char *path)
{
	if (access("tests/peers/node_modules/@duckdb/node-api", F_OK) != 0 ||
	    system("node --version >/dev/null 2>&1") != 0)
		return NULL;
	char sql[2048], cmd[2600];
	snprintf(sql, sizeof sql, fmt, path);
	snprintf(cmd, sizeof cmd, "node bench/duckdb_run.mjs --threads 2 --print \"%s\" 2>/dev/null", sql);
	FILE *p = popen(cmd, "r");
	if (!p)
		return NULL;
	char *out = calloc(1, 65536);
	size_t n = fread(out, 1, 65535, p);
	int st = pclose(p);
	if (st != 0 || n == 0) {
		free(out);
		return NULL;
	}
	char *body = strchr(out, '\n');
	if (!body) {
		free(out);
		return NULL;
	}
	memmove(out, body + 1, strlen(body + 1) + 1);
	for (char *c = out; *c; c++)
		if (*c == '\t')
			*c = '|';
	return out;
}

TEST(q1_q6_decimal)
{
	char path[300];
	snprintf(path, sizeof path, "%s/lineitem_dec.parquet", dir);
	write_lineitem(path, false);
	struct tarn_err e = { 0 };
	char *q1 = run_plan(tp_q1(path), 1, &e);
	char *q1p = run_plan(tp_q1(path), 4, &e);
	char *want1 = q1_expected();
	REQUIRE(q1 && q1p);
	CHECK_STR(q1, q1p);
	/* decimal sums exact, averages within 1e-12 */
	if (!close_enough(q1, want1, 1e-12))
		fprintf(stderr, "q1 got:\n%swant:\n%s", q1, want1);
	CHECK(close_enough(q1, want1, 1e-12));
	char *q6 = run_plan(tp_q6(path), 1, &e), *q6p = run_plan(tp_q6(path), 4, &e);
	char *want6 = q6_expected();
	CHECK_STR(q6, want6);
	CHECK_STR(q6, q6p);
	char *d1 = duckdb(Q1_SQL, path), *d6 = duckdb(Q6_SQL, path);
	if (d1 && d6) {
		if (!close_enough(q1, d1, 1e-12))
			fprintf(stderr, "q1 tarn:\n%sduckdb:\n%s", q1, d1);
		CHECK(close_enough(q1, d1, 1e-12));
		CHECK_STR(q6, d6);
		fprintf(stderr, "sql_tpch: DuckDB agrees (decimal lineitem)\n");
	} else {
		fprintf(stderr, "sql_tpch: DuckDB not available, its cross-check skipped\n");
	}
	free(d1);
	free(d6);
	free(q1);
	free(q1p);
	free(want1);
	free(q6);
	free(q6p);
	free(want6);
	unlink(path);
}

TEST(q1_q6_double)
{
	char path[300];
	snprintf(path, sizeof path, "%s/lineitem_dbl.parquet", dir);
	write_lineitem(path, true);
	struct tarn_err e = { 0 };
	char *q1 = run_plan(tp_q1(path), 1, &e), *q1p = run_plan(tp_q1(path), 4, &e);
	char *q6 = run_plan(tp_q6(path), 1, &e), *q6p = run_plan(tp_q6(path), 4, &e);
	REQUIRE(q1 && q6);
	/* floating-point sums are merged in morsel order: bit-identical */
	CHECK_STR(q1, q1p);
	CHECK_STR(q6, q6p);
	/* the exact answers, within float rounding */
	char *want1 = q1_expected(), *want6 = q6_expected();
	CHECK(close_enough(q1, want1, 1e-9));
	CHECK(close_enough(q6, want6, 1e-9));
	char *d1 = duckdb(Q1_SQL, path), *d6 = duckdb(Q6_SQL, path);
	if (d1 && d6) {
		CHECK(close_enough(q1, d1, 1e-9));
		CHECK(close_enough(q6, d6, 1e-9));
	}
	free(d1);
	free(d6);
	free(q1);
	free(q1p);
	free(q6);
	free(q6p);
	free(want1);
	free(want6);
	unlink(path);
}

int main(void)
{
	tarn_config_set_threads(4);
	const char *t = getenv("TARN_TEST_TMP");
	snprintf(dir, sizeof dir, "%s/sql_tpch_XXXXXX", t ? t : "/tmp");
	if (!mkdtemp(dir))
		die("mkdtemp", dir);
	gen();
	RUN(q1_q6_decimal);
	RUN(q1_q6_double);
	rmdir(dir);
	return unit_done();
}
