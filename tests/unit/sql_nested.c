/*
 * sql_nested.c — nested values in SQL (expr_nested.c, op_unnest.c) through
 * tarn_sql_open: results at 1 and 4 threads, a multi-batch unnest, and
 * allocation failures at every step of a nested query (each must end with a
 * clean error; ASan checks that nothing leaks). The conformance records are
 * tests/sql/structs_lists_maps.test, unnest.test and nested_more.test.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "tarn.h"
#include "unit.h"

/* Rows as "a|b\n" (NULL for nulls), or NULL with err set. Batches are
 * formatted after allocation failures are switched off again. */
static char *run_sql(const char *sql, int threads, int64_t fail_after, struct tarn_err *err)
{
	struct tarn_sql_opts o = { .threads = threads };
	struct tarn_reader *r = NULL;
	int nb = 0, bcap = 16;
	struct tarn_batch **bs = malloc((size_t)bcap * sizeof *bs);
	if (fail_after >= 0)
		tarn_mem_fail_after(fail_after);
	tarn_rc rc = tarn_sql_open(sql, strlen(sql), &o, &r, err);
	while (!rc) {
		struct tarn_batch *b;
		rc = tarn_reader_next(r, &b, err);
		if (rc || !b)
			break;
		if (nb == bcap)
			bs = realloc(bs, (size_t)(bcap *= 2) * sizeof *bs);
		bs[nb++] = b;
	}
	if (fail_after >= 0)
		tarn_mem_fail_after(-1);
	tarn_reader_close(r);
	size_t cap = 1024, len = 0;
	char *out = malloc(cap);
	out[0] = 0;
	for (int i = 0; i < nb; i++) {
		const struct tarn_batch *b = bs[i];
		for (int64_t row = 0; row < tarn_batch_num_rows(b); row++)
			for (int c = 0; c < tarn_batch_num_cols(b); c++) {
				char cell[512];
				if (tarn_batch_is_null(b, c, row))
					snprintf(cell, sizeof cell, "NULL");
				else
					tarn_batch_cell_text(b, c, row, cell, sizeof cell);
				size_t cl = strlen(cell);
				while (len + cl + 3 > cap)
					out = realloc(out, cap *= 2);
				memcpy(out + len, cell, cl);
				len += cl;
				out[len++] = c + 1 < tarn_batch_num_cols(b) ? '|' : '\n';
				out[len] = 0;
			}
		tarn_batch_free(bs[i]);
	}
	free(bs);
	if (rc) {
		free(out);
		return NULL;
	}
	return out;
}

static void check_sql(const char *sql, const char *want)
{
	for (int th = 1; th <= 4; th += 3) {
		struct tarn_err e = { 0 };
		char *got = run_sql(sql, th, -1, &e);
		if (!got)
			fprintf(stderr, "%s: %s\n", sql, e.msg);
		CHECK_STR(got, want);
		free(got);
	}
}

TEST(values)
{
	check_sql("SELECT [1, NULL, 3][2], [[1], []][-2], len([]), {'a': [1, 2]}.a[2]",
		  "NULL|[1]|0|2\n");
	check_sql("SELECT s.x, l[1:2], map_keys(m) FROM (VALUES ({'x': 1}, [1, 2, 3], MAP {'k': 1}), "
		  "(NULL, NULL, NULL)) t(s, l, m)",
		  "1|[1,2]|[\"k\"]\nNULL|NULL|NULL\n");
	check_sql("SELECT CAST([1, 2] AS VARCHAR), CAST({'a': 'x y'} AS VARCHAR), "
		  "CAST('[1, NULL]' AS INTEGER[])",
		  "[1, 2]|{'a': x y}|[1,null]\n");
	check_sql("SELECT list_sort(list_distinct([3, 1, 3, NULL])), list_contains([1, 2], 2), "
		  "list_position(['a', 'b'], 'b'), [1] || [2]",
		  "[1,3]|true|2|[1,2]\n");
}

TEST(unnest)
{
	check_sql("SELECT id, unnest(l), unnest([id]) FROM (VALUES (1, [10, 20]), (2, NULL), "
		  "(3, [])) t(id, l)",
		  "1|10|1\n1|20|NULL\n2|NULL|2\n3|NULL|3\n");
	check_sql("SELECT x FROM unnest(['a', NULL]) AS u(x)", "a\nNULL\n");
	/* one row unnests into more than one batch (65536 rows) */
	check_sql("SELECT count(*), sum(length(w)), count(DISTINCT w) FROM (SELECT "
		  "unnest(string_split(repeat('abc,', 100000), ',')) AS w)",
		  "100001|300000|2\n");
}

TEST(allocation_failures)
{
	const char *sql =
		"SELECT id, unnest(l) AS v, s.a, list_sort(l, 'DESC')[1], CAST(l AS VARCHAR), "
		"map(['k'], [s]), coalesce(l, [0]) FROM (VALUES (1, [3, 1, 2], {'a': 'x'}), "
		"(2, NULL, NULL), (3, [], {'a': NULL})) t(id, l, s) ORDER BY id, v";
	struct tarn_err e = { 0 };
	char *want = run_sql(sql, 1, -1, &e);
	CHECK_STR(want, "1|1|x|3|[3, 1, 2]|{\"k\":{\"a\":\"x\"}}|[3,1,2]\n"
			"1|2|x|3|[3, 1, 2]|{\"k\":{\"a\":\"x\"}}|[3,1,2]\n"
			"1|3|x|3|[3, 1, 2]|{\"k\":{\"a\":\"x\"}}|[3,1,2]\n");
	int failures = 0;
	for (int64_t n = 0; n < 20000; n++) {
		tarn_err_clear(&e);
		char *r = run_sql(sql, (int)(n % 2) * 3 + 1, n, &e);
		if (r) {
			CHECK_STR(r, want);
			free(r);
			break;
		}
		/* (some binder paths return TARN_ENOMEM without a message) */
		failures++;
	}
	CHECK(failures > 20);
	free(want);
}

int main(void)
{
	RUN(values);
	RUN(unnest);
	RUN(allocation_failures);
	return unit_done();
}
