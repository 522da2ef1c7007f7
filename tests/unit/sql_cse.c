/*
 * sql_cse.c — common-subexpression elimination (src/sql/cse.c): a repeated
 * subtree is computed once (EXPLAIN shows the __cseN projection; a
 * counting function runs once per batch), results equal the ones computed
 * without it, subtrees under a CASE branch are not hoisted (no error from
 * rows the branch never sees), and a volatile function is never merged.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tarn.h"
#include "base/mem.h"
#include "unit.h"
#include "sql/cse.h"
#include "sql/exec.h"
#include "sql/expr_int.h"
#include "sql_exec_util.h"

static char home[256];


/* Rows of a (one column per line) and b zipped as "a|b\n". */
static char *zip(const char *a, const char *b)
{
	char *out = calloc(1, strlen(a) + strlen(b) + 2);
	size_t n = 0;
	while (*a && *b) {
		size_t la = strcspn(a, "\n"), lb = strcspn(b, "\n");
		memcpy(out + n, a, la);
		n += la;
		out[n++] = '|';
		memcpy(out + n, b, lb);
		n += lb;
		out[n++] = '\n';
		a += la + (a[la] != 0);
		b += lb + (b[lb] != 0);
	}
	return out;
}

static void write_lineitem(void)
{
	FILE *f = fopen("cse_li.csv", "w");
	if (!f)
		abort();
	fprintf(f, "k,p,d,t,s\n");
	for (int i = 0; i < 3000; i++)
		fprintf(f, "%d,%d.%02d,0.0%d,0.0%d,%s\n", i % 4, 100 + i, i % 100, i % 10,
			(i * 7) % 9, i % 3 ? "12" : "abc");
	fclose(f);
}

TEST(q1_hoisted_and_equal)
{
	write_lineitem();
	for (int threads = 1; threads <= 3; threads += 2) {
		struct tarn_sql_session *s = session_at(home, threads);
		struct tarn_err err;
		const char *both = "SELECT k, sum(p * (1 - d)), sum(p * (1 - d) * (1 + t)) "
				   "FROM 'cse_li.csv' GROUP BY k ORDER BY k";
		char *plan = session_rows(s, "EXPLAIN SELECT k, sum(p * (1 - d)), sum(p * (1 - d) * (1 + t)) "
				    "FROM 'cse_li.csv' GROUP BY k ORDER BY k", &err);
		REQUIRE(plan);
		CHECK(strstr(plan, "AS __cse1") != NULL);
		CHECK(strstr(plan, "sum(__cse1), sum((__cse1 * ") != NULL);
		free(plan);
		/* each aggregate alone has nothing to share: the un-hoisted values */
		char *got = session_rows(s, both, &err);
		char *a = session_rows(s, "SELECT k, sum(p * (1 - d)) FROM 'cse_li.csv' GROUP BY k ORDER BY k",
			      &err);
		char *b = session_rows(s, "SELECT sum(p * (1 - d) * (1 + t)) FROM 'cse_li.csv' GROUP BY k "
				 "ORDER BY k", &err);
		REQUIRE(got && a && b);
		char *want = zip(a, b);
		CHECK_STR(got, want);
		free(want);
		free(got);
		free(a);
		free(b);
		/* a select list: the shared (p * d) + 1 computed once */
		plan = session_rows(s, "EXPLAIN SELECT (p * d) + 1, ((p * d) + 1) * 2 FROM 'cse_li.csv'", &err);
		REQUIRE(plan);
		CHECK(strstr(plan, "AS __cse1") != NULL);
		free(plan);
		got = session_rows(s, "SELECT (p * d) + 1, ((p * d) + 1) * 2 FROM 'cse_li.csv'", &err);
		a = session_rows(s, "SELECT (p * d) + 1 FROM 'cse_li.csv'", &err);
		b = session_rows(s, "SELECT ((p * d) + 1) * 2 FROM 'cse_li.csv'", &err);
		REQUIRE(got && a && b);
		want = zip(a, b);
		CHECK_STR(got, want);
		free(want);
		free(got);
		free(a);
		free(b);
		/* CAST(s AS INTEGER) fails on 'abc'; it sits only in THEN branches
		 * that skip those rows, so it must stay there */
		got = session_rows(s, "SELECT sum(CASE WHEN s <> 'abc' THEN CAST(s AS INTEGER) END), "
			     "max(CASE WHEN s <> 'abc' THEN CAST(s AS INTEGER) * 2 END) FROM 'cse_li.csv'",
			  &err);
		if (!got)
			fprintf(stderr, "%s\n", err.msg);
		CHECK_STR(got, "24000|24\n");
		free(got);
		tarn_sql_session_free(s);
	}
	remove("cse_li.csv");
}

/* A test function that counts its calls (one per batch): x + 1. */
static int n_calls;

static tarn_rc eval_count(const struct ex_expr *e, const struct ex_fargs *a, const uint32_t *sel,
			  int64_t n, struct tarn_array *r, struct tarn_err *err)
{
	(void)e;
	(void)err;
	n_calls++;
	const struct ex_vec *x = &a->v[0];
	TRY(ex_validity_and(r, x, 1, r->length));
	const int64_t *s = (const int64_t *)x->a->values;
	int64_t *z = (int64_t *)r->values;
	for (int64_t k = 0; k < n; k++) {
		int64_t i = sel ? sel[k] : k;
		z[i] = s[x->is_const ? 0 : i] + 1;
	}
	return TARN_OK;
}

static const struct ex_func fn_counted = { "counted", 1, 1, "counted(x): x + 1", NULL,
					   eval_count };
/* the same evaluation under a volatile name: must never be merged */
static const struct ex_func fn_random = { "random", 1, 1, "random(x)", NULL, eval_count };

static struct ex_expr *call(const struct ex_func *fn)
{
	struct ex_expr *e = tarn_calloc(1, sizeof *e), *col = NULL;
	if (!(e))
		die("setup", "cse setup");
	e->kind = EX_E_FUNC;
	e->fn = fn;
	e->type.id = TARN_T_INT64;
	e->args = tarn_calloc(1, sizeof *e->args);
	if (!(e->args))
		die("setup", "cse setup");
	struct tarn_type t = { .id = TARN_T_INT64 };
	if (!(ex_expr_column(0, &t, "x", &col) == TARN_OK))
		die("setup", "cse setup");
	e->args[0] = col;
	e->n_args = 1;
	return e;
}

/* counted(x) * 2 and counted(x) * 3 over 5 rows in one batch. */
static char *plan_and_run(const struct ex_func *fn, bool *hoisted, struct tarn_err *err)
{
	struct tarn_schema *s = schema_of("x int64");
	struct ex_op *child = values_of(s, "1\n2\n3\n4\n5", 100);
	tarn_schema_unref(s); /* the operator holds its own reference */
	struct ex_op *orig = child;
	struct ex_expr *e[2], *two = NULL, *three = NULL;
	if (!(ex_expr_const_int(TARN_T_INT64, 2, &two) == TARN_OK))
		die("setup", "cse setup");
	if (!(ex_expr_const_int(TARN_T_INT64, 3, &three) == TARN_OK))
		die("setup", "cse setup");
	if (!(ex_expr_arith(EX_MUL, call(fn), two, &e[0], err) == TARN_OK))
		die("setup", "cse setup");
	if (!(ex_expr_arith(EX_MUL, call(fn), three, &e[1], err) == TARN_OK))
		die("setup", "cse setup");
	if (!(sql_cse_project(&child, e, 2, err) == TARN_OK))
		die("setup", "cse setup");
	*hoisted = child != orig;
	struct ex_op *p = NULL;
	if (!(ex_op_project(child, e, NULL, 2, &p, err) == TARN_OK))
		die("setup", "cse setup");
	n_calls = 0;
	return run_text(p, 1, err);
}

TEST(counted_once_volatile_not_merged)
{
	struct tarn_err err = { 0 };
	bool hoisted = false;
	char *got = plan_and_run(&fn_counted, &hoisted, &err);
	CHECK(hoisted);
	CHECK_STR(got, "4|6\n6|9\n8|12\n10|15\n12|18\n");
	CHECK(n_calls == 1); /* one batch, one evaluation */
	free(got);
	got = plan_and_run(&fn_random, &hoisted, &err);
	CHECK(!hoisted);
	CHECK_STR(got, "4|6\n6|9\n8|12\n10|15\n12|18\n");
	CHECK(n_calls == 2);
	free(got);
	CHECK(sql_cse_volatile_name("gen_random_uuid") && sql_cse_volatile_name("RANDOM") &&
	      !sql_cse_volatile_name("abs"));
}

/* Every allocation of planning and running a query with hoisted subtrees
 * failing in turn: a clear error each time, no leak, then the result. */
TEST(allocation_failures)
{
	FILE *f = fopen("cse_oom.csv", "w");
	REQUIRE(f);
	fprintf(f, "k,p,d\n1,10,2\n1,20,3\n2,30,4\n");
	fclose(f);
	const char *sql = "SELECT k, sum(p * (1 - d)), sum(p * (1 - d) * 2), (k + 1) * 2, "
			  "(k + 1) * 3 FROM 'cse_oom.csv' GROUP BY k ORDER BY k";
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
		CHECK(err.msg[0] != 0);
	}
	CHECK(failed > 10 && n < 5000);
	struct tarn_err err;
	char *got = session_rows(s, sql, &err);
	CHECK_STR(got, "1|-50|-100|4|6\n2|-90|-180|6|9\n");
	free(got);
	tarn_sql_session_free(s);
	remove("cse_oom.csv");
}

int main(void)
{
	char tmpl[] = "/tmp/tarn-sql-cse-XXXXXX";
	if (!mkdtemp(tmpl))
		return 1;
	snprintf(home, sizeof home, "%s", tmpl);
	if (chdir(home) != 0)
		return 1;
	RUN(q1_hoisted_and_equal);
	RUN(counted_once_volatile_not_merged);
	RUN(allocation_failures);
	char cmd[512];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", home);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", home);
	return unit_done();
}
