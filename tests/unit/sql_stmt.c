/*
 * sql_stmt.c — SQL statements through the public API: sessions (views and
 * SET across runs), lake tables (CREATE/INSERT/DROP, part files, defaults,
 * a failed CREATE leaves nothing), EXPLAIN text, EXPLAIN ANALYZE counts
 * that do not depend on the thread count, and the cancel flag.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tarn.h"
#include "base/mem.h"
#include "unit.h"
#include "sql/exec.h"
#include "sql_exec_util.h"

static char home[256];


#define EXPECT_ROWS(s, sql, want)                                               \
	do {                                                                    \
		struct tarn_err e_;                                             \
		char *got_ = session_rows(s, sql, &e_);                                  \
		if (!got_)                                                      \
			fprintf(stderr, "%s: %s\n", sql, e_.msg);               \
		CHECK_STR(got_, want);                                          \
		free(got_);                                                     \
	} while (0)

TEST(session_keeps_views_and_settings)
{
	struct tarn_sql_session *s = session_at(home, 1);
	EXPECT_ROWS(s, "CREATE VIEW v (a, b) AS SELECT 1, 'x'", "1\n");
	EXPECT_ROWS(s, "SELECT b, a FROM v", "x|1\n");
	EXPECT_ROWS(s, "CREATE OR REPLACE VIEW v AS SELECT 2 AS a", "1\n");
	EXPECT_ROWS(s, "SELECT a FROM v", "2\n");
	/* a view over a missing table is an error at CREATE, and nothing is kept */
	struct tarn_err err;
	CHECK(session_rows(s, "CREATE VIEW w AS SELECT * FROM nowhere", &err) == NULL);
	CHECK(err.rc == TARN_ENOTFOUND);
	CHECK(session_rows(s, "SELECT * FROM w", &err) == NULL);
	/* an error in one run leaves the session usable */
	EXPECT_ROWS(s, "SELECT a + 1 FROM v", "3\n");
	EXPECT_ROWS(s, "DROP VIEW v", "1\n");
	CHECK(session_rows(s, "SELECT a FROM v", &err) == NULL);
	tarn_sql_session_free(s);
}

TEST(lake_tables)
{
	struct tarn_sql_session *s = session_at(home, 2);
	EXPECT_ROWS(s, "CREATE TABLE t AS SELECT * FROM (VALUES (1, 'a'), (2, 'b')) x(id, s)",
		    "2\n");
	EXPECT_ROWS(s, "INSERT INTO t VALUES (3, 'c')", "1\n");
	EXPECT_ROWS(s, "INSERT INTO t (s) VALUES ('d')", "1\n");
	EXPECT_ROWS(s, "SELECT id, s FROM t", "1|a\n2|b\n3|c\nNULL|d\n");
	char p[512];
	struct stat st;
	snprintf(p, sizeof p, "%s/lake/tables/t/part-000003.parquet", home);
	CHECK(stat(p, &st) == 0);
	/* another session (another process, in effect) sees the table */
	struct tarn_sql_session *s2 = session_at(home, 1);
	EXPECT_ROWS(s2, "SELECT count(*) FROM T", "4\n");
	tarn_sql_session_free(s2);
	/* defaults, evaluated at CREATE */
	EXPECT_ROWS(s, "CREATE TABLE d (id INTEGER, tag VARCHAR DEFAULT 'n' || 'ew', k INT DEFAULT 1 + 1)",
		    "0\n");
	EXPECT_ROWS(s, "INSERT INTO d (id) VALUES (7)", "1\n");
	EXPECT_ROWS(s, "SELECT * FROM d", "7|new|2\n");
	/* a failed CREATE leaves no table */
	struct tarn_err err;
	CHECK(session_rows(s, "CREATE TABLE bad AS SELECT CAST('x' AS INTEGER) AS i", &err) == NULL);
	snprintf(p, sizeof p, "%s/lake/tables/bad", home);
	CHECK(stat(p, &st) != 0);
	CHECK(session_rows(s, "CREATE TABLE t AS SELECT 1", &err) == NULL);
	CHECK(strstr(err.msg, "already exists") != NULL);
	EXPECT_ROWS(s, "SHOW TABLES", "d|table\nt|table\n");
	EXPECT_ROWS(s, "DESCRIBE d", "id|int32|YES\ntag|string|YES\nk|int32|YES\n");
	EXPECT_ROWS(s, "DROP TABLE t, d", "2\n");
	CHECK(session_rows(s, "SELECT * FROM t", &err) == NULL);
	CHECK(strstr(err.msg, "unknown table 't'") != NULL);
	tarn_sql_session_free(s);
}

/* The rows=N of each line of an EXPLAIN ANALYZE result, in order. */
static void analyze_rows(int threads, char *out, size_t cap)
{
	struct tarn_sql_session *s = session_at(home, threads);
	struct tarn_err err;
	char *text = session_rows(s,
			 "EXPLAIN ANALYZE SELECT k % 3 AS g, count(*) AS n, sum(v) FROM "
			 "(SELECT * FROM 'sql_stmt_in.csv') t WHERE v > 10 GROUP BY 1 ORDER BY n DESC "
			 "LIMIT 2",
			 &err);
	size_t n = 0;
	out[0] = 0;
	for (char *p = text; p && (p = strstr(p, "[rows=")) != NULL; p++)
		n += (size_t)snprintf(out + n, cap - n, "%ld,", strtol(p + 6, NULL, 10));
	if (!text)
		fprintf(stderr, "%s\n", err.msg);
	free(text);
	tarn_sql_session_free(s);
}

TEST(explain)
{
	FILE *f = fopen("sql_stmt_in.csv", "w");
	REQUIRE(f);
	fprintf(f, "k,v\n");
	for (int i = 0; i < 5000; i++)
		fprintf(f, "%d,%d\n", i, i % 50);
	fclose(f);
	struct tarn_sql_session *s = session_at(home, 1);
	struct tarn_err err;
	char *text = session_rows(s, "EXPLAIN SELECT k FROM 'sql_stmt_in.csv' WHERE v = 3 ORDER BY k LIMIT 4",
			 &err);
	REQUIRE(text);
	CHECK(strncmp(text, "limit  4 offset 0\n  sort  top 4 by k\n", 37) == 0);
	CHECK(strstr(text, "      filter  (v = 3)\n") != NULL);
	CHECK(strstr(text, "scan  sql_stmt_in.csv (csv) columns: k, v\n") != NULL);
	free(text);
	/* EXPLAIN of a non-query */
	CHECK(session_rows(s, "EXPLAIN DROP TABLE x", &err) == NULL);
	CHECK(err.rc == TARN_EUNSUPPORTED);
	tarn_sql_session_free(s);
	/* per-operator rows out: limit, sort, project, aggregate, filter, scan,
	 * then the total — the same at any thread count */
	char one[256], three[256];
	analyze_rows(1, one, sizeof one);
	analyze_rows(3, three, sizeof three);
	CHECK_STR(one, "2,2,3,3,3900,5000,5000,2,");
	CHECK_STR(three, one);
	remove("sql_stmt_in.csv");
}

TEST(cancel_flag)
{
	struct tarn_schema *sch = schema_of("a int64");
	struct ex_op *op = values_of(sch, "1\n2\n3\n4", 1);
	tarn_schema_unref(sch);
	struct tarn_err err;
	tarn_err_clear(&err);
	struct ex_query *q = NULL;
	struct ex_opts xo = { 1, 0 };
	REQUIRE(ex_query_new(op, &xo, &q, &err) == TARN_OK);
	_Atomic int flag = 0;
	ex_query_set_cancel(q, &flag);
	struct tarn_batch *b = NULL;
	CHECK(ex_query_next(q, &b, &err) == TARN_OK && b != NULL);
	tarn_batch_free(b);
	flag = 1; /* as a signal handler would */
	b = NULL;
	CHECK(ex_query_next(q, &b, &err) == TARN_ELIMIT && b == NULL);
	CHECK(strstr(err.msg, "interrupted") != NULL);
	ex_query_free(q);
}

/* Every allocation of a session's statements failing in turn: an error
 * (never a crash or a leak, under ASan), and the same session works after. */
TEST(allocation_failures)
{
	FILE *f = fopen("sql_stmt_oom.csv", "w");
	REQUIRE(f);
	fprintf(f, "k,v\n1,2\n3,4\n");
	fclose(f);
	const char *sql = "CREATE OR REPLACE VIEW v (a, b) AS SELECT k, v FROM 'sql_stmt_oom.csv'; "
			  "EXPLAIN ANALYZE SELECT a, sum(b) FROM v WHERE b > 0 GROUP BY a ORDER BY a; "
			  "SHOW TABLES; DESCRIBE v; SELECT * REPLACE (a * 2 AS a) FROM v";
	struct tarn_sql_session *s = session_at(home, 1);
	int failed = 0, n;
	for (n = 0; n < 5000; n++) {
		struct tarn_err err;
		tarn_err_clear(&err);
		struct tarn_reader *r = NULL;
		tarn_mem_fail_after(n);
		tarn_rc rc = tarn_sql_session_run(s, sql, strlen(sql), &r, &err);
		struct tarn_batch *b = NULL;
		while (!rc && !(rc = tarn_reader_next(r, &b, &err)) && b)
			tarn_batch_free(b);
		tarn_mem_fail_after(-1);
		tarn_reader_close(r);
		if (!rc)
			break;
		failed++;
		if (!err.msg[0])
			fprintf(stderr, "no message at allocation %d (rc %d)\n", n, (int)rc);
		CHECK(err.msg[0] != 0);
	}
	CHECK(failed > 10 && n < 5000);
	EXPECT_ROWS(s, "SELECT * REPLACE (a * 2 AS a) FROM v", "2|2\n6|4\n");
	tarn_sql_session_free(s);
	remove("sql_stmt_oom.csv");
}

int main(void)
{
	char tmpl[] = "/tmp/tarn-sql-stmt-XXXXXX";
	if (!mkdtemp(tmpl))
		return 1;
	snprintf(home, sizeof home, "%s", tmpl);
	if (chdir(home) != 0) /* SHOW TABLES lists the files here */
		return 1;
	RUN(session_keeps_views_and_settings);
	RUN(lake_tables);
	RUN(explain);
	RUN(cancel_flag);
	RUN(allocation_failures);
	char cmd[512];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", home);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", home);
	return unit_done();
}
