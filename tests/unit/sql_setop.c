/*
 * sql_setop.c — tests of the set operator (UNION [ALL], INTERSECT [ALL],
 * EXCEPT [ALL]) with duplicates and NULLs, inputs of many batches, the
 * grouping-sets expansion, DISTINCT ON, the integer series source, the
 * memory limit and allocation failures. Every plan runs with 1 and 4
 * threads and must give the same text.
 */
#include "unit.h"
#include "sql_exec_util.h"

#include <stdint.h>

#include "base/pool.h"

static int count_lines(const char *t)
{
	int n = 0;
	for (; t && *t; t++)
		n += *t == '\n';
	return n;
}

/* ---- small inputs: every kind -------------------------------------------------------------- */

static const char *LEFT = "1|a\n1|a\n1|a\n2|NULL\n2|NULL\nNULL|b\nNULL|NULL\n4|d";
static const char *RIGHT = "1|a\n2|NULL\nNULL|NULL\nNULL|NULL\n3|c";

static struct ex_op *plan_setop(void *arg)
{
	enum ex_setop_kind kind = *(enum ex_setop_kind *)arg;
	struct tarn_schema *s = schema_of("k int64; s string");
	struct ex_op *l = values_of(s, LEFT, 3), *r = values_of(s, RIGHT, 2), *o;
	struct tarn_err e = { 0 };
	if (ex_op_setop(kind, l, r, &o, &e))
		die("setop", e.msg);
	tarn_schema_unref(s);
	return o;
}

static void check_setop(enum ex_setop_kind kind, const char *want)
{
	struct tarn_err e = { 0 };
	char *r = run_both(plan_setop, &kind, &e);
	if (!r || strcmp(r, want))
		fprintf(stderr, "set operation %d: %s\n", (int)kind, r ? r : e.msg);
	CHECK_STR(r, want);
	free(r);
}

TEST(setop_kinds)
{
	/* left rows in input order (first occurrences), UNION then the right-only rows */
	check_setop(EX_SETOP_UNION_ALL, "1|a\n1|a\n1|a\n2|NULL\n2|NULL\nNULL|b\nNULL|NULL\n4|d\n"
					"1|a\n2|NULL\nNULL|NULL\nNULL|NULL\n3|c\n");
	check_setop(EX_SETOP_UNION, "1|a\n2|NULL\nNULL|b\nNULL|NULL\n4|d\n3|c\n");
	check_setop(EX_SETOP_INTERSECT, "1|a\n2|NULL\nNULL|NULL\n");
	check_setop(EX_SETOP_INTERSECT_ALL, "1|a\n2|NULL\nNULL|NULL\n");
	check_setop(EX_SETOP_EXCEPT, "NULL|b\n4|d\n");
	check_setop(EX_SETOP_EXCEPT_ALL, "1|a\n1|a\n2|NULL\nNULL|b\n4|d\n");
}

TEST(setop_type_mismatch)
{
	struct tarn_schema *a = schema_of("k int64");
	struct tarn_schema *b = schema_of("k int32");
	struct ex_op *o = NULL;
	struct tarn_err e = { 0 };
	CHECK(ex_op_setop(EX_SETOP_UNION, values_of(a, "1", 1), values_of(b, "1", 1), &o, &e) ==
	      TARN_EUSAGE);
	CHECK(o == NULL);
	tarn_schema_unref(a);
	tarn_schema_unref(b);
}

/* ---- many batches --------------------------------------------------------------------------- */

static char *BIG_L, *BIG_R;

static char *mod_rows(int n, int m)
{
	char *t = malloc((size_t)n * 12 + 1);
	size_t len = 0;
	for (int i = 0; i < n; i++)
		len += (size_t)sprintf(t + len, i ? "\n%d" : "%d", i % m);
	return t;
}

static struct ex_op *plan_big(void *arg)
{
	enum ex_setop_kind kind = *(enum ex_setop_kind *)arg;
	struct tarn_schema *s = schema_of("k int64");
	struct ex_op *l = values_of(s, BIG_L, 40000), *r = values_of(s, BIG_R, 30000), *o;
	struct tarn_err e = { 0 };
	if (ex_op_setop(kind, l, r, &o, &e))
		die("setop", e.msg);
	tarn_schema_unref(s);
	return o;
}

TEST(setop_many_batches)
{
	/* left: 150000 rows of 0..999 (150 each); right: 90000 rows of 0..499 (180 each) */
	BIG_L = mod_rows(150000, 1000);
	BIG_R = mod_rows(90000, 500);
	struct {
		enum ex_setop_kind kind;
		int rows;
	} cases[] = {
		{ EX_SETOP_UNION_ALL, 240000 }, { EX_SETOP_UNION, 1000 },
		{ EX_SETOP_INTERSECT, 500 },	{ EX_SETOP_INTERSECT_ALL, 500 * 150 },
		{ EX_SETOP_EXCEPT, 500 },	{ EX_SETOP_EXCEPT_ALL, 500 * 150 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct tarn_err e = { 0 };
		char *r = run_both(plan_big, &cases[i].kind, &e);
		CHECK(r != NULL);
		if (count_lines(r) != cases[i].rows)
			fprintf(stderr, "kind %d: %d rows, want %d\n", (int)cases[i].kind,
				count_lines(r), cases[i].rows);
		CHECK(count_lines(r) == cases[i].rows);
		free(r);
	}
	free(BIG_L);
	free(BIG_R);
}

/* ---- grouping sets expansion, DISTINCT ON, series ----------------------------------------------- */

static struct ex_op *plan_expand(void *arg)
{
	(void)arg;
	struct tarn_schema *s = schema_of("a int64; b string; v int64");
	struct ex_op *in = values_of(s, "1|x|10\n1|y|20\nNULL|x|30", 2), *x;
	struct ex_expr *keys[2] = { col(s, "a"), col(s, "b") };
	const char *names[2] = { "a", "b" };
	uint64_t masks[3] = { 3, 1, 0 };
	struct tarn_err e = { 0 };
	if (ex_op_expand(in, keys, names, 2, masks, 3, &x, &e))
		die("expand", e.msg);
	tarn_schema_unref(s);
	return x;
}

TEST(expand_sets)
{
	struct tarn_err e = { 0 };
	char *r = run_both(plan_expand, NULL, &e);
	/* per input batch: set 0 (a, b), set 1 (a), set 2 () */
	CHECK_STR(r, "1|x|10|1|x|0\n1|y|20|1|y|0\n"
		     "1|x|10|1|NULL|1\n1|y|20|1|NULL|1\n"
		     "1|x|10|NULL|NULL|2\n1|y|20|NULL|NULL|2\n"
		     "NULL|x|30|NULL|x|0\nNULL|x|30|NULL|NULL|1\nNULL|x|30|NULL|NULL|2\n");
	free(r);
}

static struct ex_op *plan_don(void *arg)
{
	(void)arg;
	struct tarn_schema *s = schema_of("k int64; s string; n int64");
	struct ex_op *in = values_of(s, "1|a|1\n1|a|2\nNULL|NULL|3\n1|NULL|4\nNULL|NULL|5\n1|a|6", 2);
	struct ex_op *d;
	int cols[2] = { 0, 1 };
	struct tarn_err e = { 0 };
	if (ex_op_distinct_on(in, cols, 2, &d, &e))
		die("distinct on", e.msg);
	tarn_schema_unref(s);
	return d;
}

TEST(distinct_on_first_row)
{
	struct tarn_err e = { 0 };
	char *r = run_both(plan_don, NULL, &e);
	CHECK_STR(r, "1|a|1\nNULL|NULL|3\n1|NULL|4\n");
	free(r);
}

static char *series_text(int64_t a, int64_t b, int64_t step, bool incl, struct tarn_err *e)
{
	struct ex_op *op;
	if (ex_op_series(a, b, step, incl, "range", &op, e))
		return NULL;
	return run_text(op, 2, e);
}

TEST(series_bounds)
{
	struct tarn_err e = { 0 };
	char *r = series_text(1, 10, 3, true, &e);
	CHECK_STR(r, "1\n4\n7\n10\n");
	free(r);
	r = series_text(10, 1, -4, false, &e);
	CHECK_STR(r, "10\n6\n2\n");
	free(r);
	r = series_text(5, 5, 1, false, &e);
	CHECK_STR(r, "");
	free(r);
	/* no overflow at the top of int64 */
	r = series_text(INT64_MAX - 2, INT64_MAX, 1, true, &e);
	CHECK_STR(r, "9223372036854775805\n9223372036854775806\n9223372036854775807\n");
	free(r);
	r = series_text(0, 200000, 1, false, &e);
	CHECK(count_lines(r) == 200000);
	free(r);
	CHECK(series_text(0, 1, 0, false, &e) == NULL);
	CHECK(e.rc == TARN_EUSAGE);
}

/* ---- memory limit and allocation failures ----------------------------------------------------- */

TEST(setop_memory_limit)
{
	BIG_L = mod_rows(150000, 150000);
	BIG_R = mod_rows(90000, 90000);
	enum ex_setop_kind kinds[] = { EX_SETOP_UNION, EX_SETOP_UNION_ALL, EX_SETOP_EXCEPT_ALL };
	const char *names[] = { "UNION", "UNION ALL", "EXCEPT ALL" };
	for (int i = 0; i < 3; i++) {
		struct tarn_err e = { 0 };
		char *r = run_text_opts(plan_big(&kinds[i]), 2, 1 << 19, &e);
		CHECK(r == NULL);
		CHECK(e.rc == TARN_ELIMIT);
		CHECK_CONTAINS(e.msg, names[i]);
		CHECK_CONTAINS(e.msg, "memory limit of 512.0 KiB");
	}
	free(BIG_L);
	free(BIG_R);
}

static struct ex_op *plan_mixed(void *arg)
{
	(void)arg;
	struct tarn_schema *s = schema_of("k int64; s string");
	struct ex_op *l = values_of(s, LEFT, 3), *r = values_of(s, RIGHT, 2), *o, *x, *d;
	struct tarn_err e = { 0 };
	if (ex_op_setop(EX_SETOP_EXCEPT_ALL, l, r, &o, &e))
		die("setop", e.msg);
	struct ex_expr *k = col(s, "s");
	uint64_t masks[2] = { 1, 0 };
	if (ex_op_expand(o, &k, NULL, 1, masks, 2, &x, &e))
		die("expand", e.msg);
	int cols[2] = { 2, 3 };
	if (ex_op_distinct_on(x, cols, 2, &d, &e))
		die("distinct on", e.msg);
	struct tarn_schema *u = schema_of("k int64; s string; s2 string; g int32");
	struct ex_op *r2 = values_of(u, "9|z|z|0", 1), *out;
	if (ex_op_setop(EX_SETOP_UNION, d, r2, &out, &e))
		die("union", e.msg);
	tarn_schema_unref(s);
	tarn_schema_unref(u);
	return out;
}

TEST(allocation_failures)
{
	struct tarn_err e = { 0 };
	char *want = run_text(plan_mixed(NULL), 1, &e);
	CHECK_STR(want, "1|a|a|0\n1|a|NULL|1\n2|NULL|NULL|0\nNULL|b|b|0\n4|d|d|0\n9|z|z|0\n");
	CHECK(fail_sweep(plan_mixed, NULL, want, 5000, 4) > 20);
	free(want);
}

int main(void)
{
	tarn_config_set_threads(4);
	RUN(setop_kinds);
	RUN(setop_type_mismatch);
	RUN(setop_many_batches);
	RUN(expand_sets);
	RUN(distinct_on_first_row);
	RUN(series_bounds);
	RUN(setop_memory_limit);
	RUN(allocation_failures);
	return unit_done();
}
