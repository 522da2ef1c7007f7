/*
 * sql_func.c — tests of the scalar functions in func_regex.c, func_extra.c
 * and func_time.c: PCRE2 regular expressions (bad patterns, per-row
 * patterns, NULLs, Unicode, huge values, runaway backtracking, options,
 * RE2's global-replace rule, results equal at 1 and 2 threads), sha256
 * (FIPS 180-4 test vectors), the bit operators, time zones (DST gaps and
 * overlaps, unknown zones, zones per row), strptime and date_sub. Expected
 * values are DuckDB's or the standards' published vectors.
 */
#include "unit.h"
#include "sql_exec_util.h"

static struct ex_expr *null_of(enum tarn_type_id id)
{
	struct tarn_type t;
	tarn_type_init(&t, id);
	struct ex_expr *x;
	if (ex_expr_const_null(&t, &x))
		die("null", "");
	return x;
}

static struct ex_expr *fn_err(const char *name, struct ex_expr **args, int n, struct tarn_err *e)
{
	struct ex_expr *x = NULL;
	tarn_err_clear(e);
	if (ex_expr_func(name, args, n, &x, e) == TARN_OK)
		return x;
	return NULL;
}

TEST(regex_bad_patterns)
{
	struct tarn_err e = { 0 };
	struct tarn_schema *s = schema_of("s string; p string");
	struct ex_expr *a1[2] = { col(s, "s"), lit("string", "(") };
	CHECK(fn_err("regexp_matches", a1, 2, &e) == NULL);
	CHECK(e.rc == TARN_EUSAGE);
	CHECK_CONTAINS(e.msg, "'('");
	CHECK_CONTAINS(e.msg, "missing closing parenthesis");
	CHECK_CONTAINS(e.msg, "offset 1");
	struct ex_expr *a2[3] = { col(s, "s"), lit("string", "[z-a]"), lit("string", "x") };
	CHECK(fn_err("regexp_replace", a2, 3, &e) == NULL);
	CHECK_CONTAINS(e.msg, "range out of order");
	/* unknown option letters; 'g' only for regexp_replace */
	struct ex_expr *a3[3] = { col(s, "s"), lit("string", "a"), lit("string", "q") };
	CHECK(fn_err("regexp_matches", a3, 3, &e) == NULL);
	CHECK_CONTAINS(e.msg, "unknown regular expression option 'q'");
	struct ex_expr *a4[3] = { col(s, "s"), lit("string", "a"), lit("string", "g") };
	CHECK(fn_err("regexp_matches", a4, 3, &e) == NULL);
	/* a bad pattern in a column fails at run time, naming it */
	struct ex_expr *m = fn("regexp_matches", 2, col(s, "s"), col(s, "p"));
	tarn_err_clear(&e);
	char *r = select_text(s, "abc|b\nabc|a)", &m, 1, 1, &e);
	CHECK(r == NULL);
	CHECK(e.rc == TARN_EUSAGE);
	CHECK_CONTAINS(e.msg, "'a)'");
	free(r);
	tarn_schema_unref(s);
}

TEST(regex_rows_and_nulls)
{
	struct tarn_err e = { 0 };
	struct tarn_schema *s = schema_of("s string; p string");
	struct ex_expr *ex[3] = {
		fn("regexp_matches", 2, col(s, "s"), col(s, "p")),
		fn("regexp_replace", 4, col(s, "s"), col(s, "p"), lit("string", "<\\0>"),
		   lit("string", "g")),
		fn("regexp_extract", 3, col(s, "s"), col(s, "p"), lit("int32", "1")),
	};
	/* the same pattern on consecutive rows is compiled once; NULLs in either */
	char *r = select_text(s, "abc|(b)\nxbx|(b)\nabc|NULL\nNULL|b\nabc|(z)", ex, 3, 1, &e);
	CHECK_STR(r, "true|a<b>c|b\ntrue|x<b>x|b\nNULL|NULL|NULL\nNULL|NULL|NULL\nfalse|abc|\n");
	free(r);
	/* a NULL group or a NULL pattern constant: NULL */
	struct ex_expr *nx[2] = {
		fn("regexp_extract", 3, col(s, "s"), lit("string", "(a)"), null_of(TARN_T_INT32)),
		fn("regexp_matches", 2, col(s, "s"), null_of(TARN_T_STRING)),
	};
	r = select_text(s, "abc|x", nx, 2, 1, &e);
	CHECK_STR(r, "NULL|NULL\n");
	free(r);
	tarn_schema_unref(s);
}

TEST(regex_semantics)
{
	struct tarn_err e = { 0 };
	struct tarn_schema *s = schema_of("s string");
	struct ex_expr *ex[8] = {
		/* RE2's global replace: no empty match right after a match */
		fn("regexp_replace", 4, col(s, "s"), lit("string", "a*"), lit("string", "X"),
		   lit("string", "g")),
		fn("regexp_replace", 4, col(s, "s"), lit("string", ""), lit("string", "-"),
		   lit("string", "g")),
		/* \\ is a backslash, a group the match did not set is empty */
		fn("regexp_replace", 3, col(s, "s"), lit("string", "(a)|(z)"),
		   lit("string", "[\\1\\2\\\\]")),
		/* '.' does not match a newline unless 's'; '$' is the very end */
		fn("regexp_matches", 2, col(s, "s"), lit("string", "a.b")),
		fn("regexp_matches", 3, col(s, "s"), lit("string", "a.b"), lit("string", "s")),
		fn("regexp_matches", 2, col(s, "s"), lit("string", "b$")),
		/* 'l': the pattern is literal text */
		fn("regexp_matches", 3, col(s, "s"), lit("string", "a.*"), lit("string", "l")),
		/* a group past the pattern's count: '' */
		fn("regexp_extract", 3, col(s, "s"), lit("string", "(a)"), lit("int32", "5")),
	};
	char *r = select_text(s, "aaa\na\nb\nba.*", ex, 8, 1, &e);
	CHECK_STR(r, "X|-a-a-a-|[a\\]aa|false|false|false|false|\n"
		     "X|-a-|[a\\]|false|false|false|false|\n"
		     "XbX|-b-|b|false|false|true|false|\n"
		     "XbX.X*X|-b-a-.-*-|b[a\\].*|false|false|false|true|\n");
	free(r);
	/* newlines: '.' matches one only with 's'; ^ and $ anchor the whole
	 * value even with 'm' (DuckDB); $ is not satisfied before a final \n */
	struct tarn_schema *n = schema_of("s string");
#define NLV() fn("concat", 3, col(n, "s"), fn("chr", 1, lit("int32", "10")), lit("string", "b"))
	struct ex_expr *nl[5] = {
		fn("regexp_matches", 2, NLV(), lit("string", "a.b")),
		fn("regexp_matches", 3, NLV(), lit("string", "a.b"), lit("string", "s")),
		fn("regexp_matches", 3, NLV(), lit("string", "^b$"), lit("string", "m")),
		fn("regexp_matches", 2, NLV(), lit("string", "(?m)^b$")),
		fn("regexp_matches", 2, fn("concat", 2, col(n, "s"), fn("chr", 1, lit("int32", "10"))),
		   lit("string", "a$")),
	};
#undef NLV
	r = select_text(n, "a", nl, 5, 1, &e);
	CHECK_STR(r, "false|true|false|true|false\n");
	free(r);
	tarn_schema_unref(n);
	tarn_schema_unref(s);
}

TEST(regex_unicode)
{
	struct tarn_err e = { 0 };
	struct tarn_schema *s = schema_of("s string");
	struct ex_expr *ex[5] = {
		/* 'i' folds case beyond ASCII */
		fn("regexp_matches", 3, col(s, "s"), lit("string", "ÄB"), lit("string", "i")),
		fn("regexp_matches", 2, col(s, "s"), lit("string", "^.{4}$")),
		fn("regexp_replace", 4, col(s, "s"), lit("string", "."), lit("string", "[\\0]"),
		   lit("string", "g")),
		/* \d is ASCII only (RE2) */
		fn("regexp_matches", 2, col(s, "s"), lit("string", "\\d")),
		fn("regexp_extract", 2, col(s, "s"), lit("string", "\\w+")),
	};
	char *r = select_text(s, "äbc☃\n٣x1y", ex, 5, 1, &e);
	CHECK_STR(r, "true|true|[ä][b][c][☃]|false|bc\n"
		     "false|true|[٣][x][1][y]|true|x1y\n");
	free(r);
	/* invalid UTF-8 in a value is no error; it just does not match a character */
	struct ex_expr *bad = fn("regexp_replace", 4, col(s, "s"), lit("string", "b"),
				 lit("string", "B"), lit("string", "g"));
	r = select_text(s, "a\xff" "b", &bad, 1, 1, &e);
	CHECK_STR(r, "a\xff" "B\n");
	free(r);
	tarn_schema_unref(s);
}

TEST(regex_huge_and_runaway)
{
	struct tarn_err e = { 0 };
	struct tarn_schema *s = schema_of("s string");
	size_t big = 1 << 20;
	char *rows = malloc(big + 16);
	REQUIRE(rows != NULL);
	for (size_t i = 0; i < big; i++)
		rows[i] = i % 2 ? 'b' : 'a';
	strcpy(rows + big, "\nxyz");
	struct ex_expr *ex[3] = {
		fn("length", 1, fn("regexp_replace", 4, col(s, "s"), lit("string", "b"),
				   lit("string", ""), lit("string", "g"))),
		fn("regexp_full_match", 2, col(s, "s"), lit("string", "(ab)+")),
		fn("length", 1, fn("regexp_extract", 2, col(s, "s"), lit("string", "(ab)+$"))),
	};
	char *r = select_text(s, rows, ex, 3, 1, &e);
	CHECK_STR(r, "524288|true|1048576\n3|false|0\n");
	free(r);
	free(rows);
	/* nested quantifiers that backtrack exponentially end (match limit or
	 * PCRE2's auto-possessification), never hang */
	struct ex_expr *run = fn("regexp_matches", 2, col(s, "s"), lit("string", "^(a|aa)+$"));
	tarn_err_clear(&e);
	r = select_text(s, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab", &run, 1, 1, &e);
	CHECK(r == NULL || strcmp(r, "false\n") == 0);
	if (!r) {
		CHECK(e.rc == TARN_ELIMIT);
		CHECK_CONTAINS(e.msg, "regexp_matches");
	}
	free(r);
	tarn_schema_unref(s);
}

TEST(regex_threads_agree)
{
	struct tarn_err e = { 0 };
	struct tarn_schema *s = schema_of("s string");
	size_t n = 3000;
	char *rows = malloc(n * 16);
	REQUIRE(rows != NULL);
	size_t at = 0;
	for (size_t i = 0; i < n; i++)
		at += (size_t)sprintf(rows + at, "%s%zu-k%zu", i ? "\n" : "", i, i % 7);
	char *res[2];
	for (int t = 0; t < 2; t++) {
		struct ex_expr *ex[2] = {
			fn("regexp_replace", 4, col(s, "s"), lit("string", "(\\d+)-k(\\d)"),
			   lit("string", "\\2:\\1"), lit("string", "g")),
			fn("regexp_matches", 2, col(s, "s"), lit("string", "7")),
		};
		res[t] = select_text(s, rows, ex, 2, t + 1, &e);
	}
	REQUIRE(res[0] && res[1]);
	CHECK(strcmp(res[0], res[1]) == 0);
	CHECK(strncmp(res[0], "0:0|false\n1:1|false\n", 20) == 0);
	free(res[0]);
	free(res[1]);
	free(rows);
	tarn_schema_unref(s);
}

TEST(sha256_vectors)
{
	struct tarn_err e = { 0 };
	struct tarn_schema *s = schema_of("s string");
	struct ex_expr *h = fn("sha256", 1, col(s, "s"));
	char *r = select_text(s, "abc\n\nabcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq\nNULL",
			      &h, 1, 1, &e);
	CHECK_STR(r, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\n"
		     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
		     "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1\n"
		     "NULL\n");
	free(r);
	/* one million 'a' (FIPS 180-2 appendix B.3) */
	size_t big = 1000000;
	char *rows = malloc(big + 1);
	REQUIRE(rows != NULL);
	memset(rows, 'a', big);
	rows[big] = 0;
	h = fn("sha256", 1, col(s, "s"));
	r = select_text(s, rows, &h, 1, 1, &e);
	CHECK_STR(r, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0\n");
	free(r);
	free(rows);
	tarn_schema_unref(s);
}

TEST(bit_operators)
{
	struct tarn_err e = { 0 };
	struct tarn_schema *s = schema_of("a int32; b int32");
	struct ex_expr *ex[6] = {
		fn("&", 2, col(s, "a"), col(s, "b")),  fn("|", 2, col(s, "a"), col(s, "b")),
		fn("xor", 2, col(s, "a"), col(s, "b")), fn("<<", 2, col(s, "a"), col(s, "b")),
		fn(">>", 2, col(s, "a"), col(s, "b")), fn("~", 1, col(s, "a")),
	};
	char *r = select_text(s, "12|2\n-8|1\n5|40\nNULL|1", ex, 6, 1, &e);
	CHECK(r == NULL); /* -8 << 1: a negative number */
	CHECK_CONTAINS(e.msg, "negative");
	free(r);
	struct ex_expr *ok[5] = {
		fn("&", 2, col(s, "a"), col(s, "b")),  fn("|", 2, col(s, "a"), col(s, "b")),
		fn("xor", 2, col(s, "a"), col(s, "b")), fn(">>", 2, col(s, "a"), col(s, "b")),
		fn("~", 1, col(s, "a")),
	};
	r = select_text(s, "12|2\n-8|1\n-8|40\n5|40\nNULL|1", ok, 5, 1, &e);
	CHECK_STR(r, "0|14|14|3|-13\n0|-7|-7|-4|7\n40|-8|-48|-1|7\n0|45|45|0|-6\n"
		     "NULL|NULL|NULL|NULL|NULL\n");
	free(r);
	/* left shifts: past the width, by a negative amount, and overflow */
	const char *bad[3] = { "1|32", "1|-1", "1073741824|1" };
	const char *why[3] = { "out of range", "negative", "overflow" };
	for (int i = 0; i < 3; i++) {
		struct ex_expr *sh = fn("<<", 2, col(s, "a"), col(s, "b"));
		tarn_err_clear(&e);
		r = select_text(s, bad[i], &sh, 1, 1, &e);
		CHECK(r == NULL);
		CHECK_CONTAINS(e.msg, why[i]);
		free(r);
	}
	struct ex_expr *sh = fn("<<", 2, col(s, "a"), col(s, "b"));
	r = select_text(s, "1|30\n3|4", &sh, 1, 1, &e);
	CHECK_STR(r, "1073741824\n48\n");
	free(r);
	struct ex_expr *f[2] = { lit("float64", "1.5"), lit("int32", "1") };
	CHECK(fn_err("&", f, 2, &e) == NULL);
	CHECK_CONTAINS(e.msg, "integer");
	tarn_schema_unref(s);
}

TEST(time_zones)
{
	struct tarn_err e = { 0 };
	struct tarn_schema *s = schema_of("t timestamp; z string");
	struct ex_expr *ex[3] = {
		fn("timezone", 2, lit("string", "America/New_York"), col(s, "t")),
		/* and back to the wall time */
		fn("timezone", 2, lit("string", "America/New_York"),
		   fn("timezone", 2, lit("string", "America/New_York"), col(s, "t"))),
		/* the zone from a column */
		fn("timezone", 2, col(s, "z"), col(s, "t")),
	};
	/* 02:30 on 2024-03-10 does not exist (spring forward): the offset before
	 * the gap, -5h, reads it as 03:30 EDT; 01:30 on 2024-11-03 happens twice:
	 * the later, EST (-5h), as DuckDB (ICU) */
	char *r = select_text(s,
			      "2024-01-15 09:00:00|Europe/Berlin\n"
			      "2024-03-10 02:30:00|Asia/Kolkata\n"
			      "2024-11-03 01:30:00|UTC\n"
			      "2024-07-01 12:00:00.25|NULL",
			      ex, 3, 1, &e);
	CHECK_STR(r, "2024-01-15 14:00:00Z|2024-01-15 09:00:00|2024-01-15 08:00:00Z\n"
		     "2024-03-10 07:30:00Z|2024-03-10 03:30:00|2024-03-09 21:00:00Z\n"
		     "2024-11-03 06:30:00Z|2024-11-03 01:30:00|2024-11-03 01:30:00Z\n"
		     "2024-07-01 16:00:00.25Z|2024-07-01 12:00:00.25|NULL\n");
	free(r);
	struct ex_expr *a[2] = { lit("string", "Mars/Olympus_Mons"), col(s, "t") };
	CHECK(fn_err("timezone", a, 2, &e) == NULL);
	CHECK(e.rc == TARN_EUSAGE);
	CHECK_CONTAINS(e.msg, "unknown time zone 'Mars/Olympus_Mons'");
	struct ex_expr *row = fn("timezone", 2, col(s, "z"), col(s, "t"));
	tarn_err_clear(&e);
	r = select_text(s, "2024-01-01 00:00:00|../../etc/passwd", &row, 1, 1, &e);
	CHECK(r == NULL);
	CHECK_CONTAINS(e.msg, "unknown time zone");
	free(r);
	tarn_schema_unref(s);
}

TEST(strptime_and_date_sub)
{
	struct tarn_err e = { 0 };
	struct tarn_schema *s = schema_of("s string");
	struct ex_expr *ex[4] = {
		fn("try_strptime", 2, col(s, "s"), lit("string", "%d/%m/%Y %H:%M")),
		fn("try_strptime", 2, col(s, "s"), lit("string", "%Y-%m-%d %I:%M:%S %p")),
		fn("try_strptime", 2, col(s, "s"), lit("string", "%a %d %b %Y %H:%M:%S.%f %z")),
		fn("try_strptime", 2, col(s, "s"), lit("string", "%Y/%j")),
	};
	char *r = select_text(s,
			      "05/03/2024 14:30\n"
			      "2024-03-05 12:15:00 AM\n"
			      "Tue 05 Mar 2024 14:30:00.5 +02:00\n"
			      "2024/060\n"
			      "31/02/2024 10:00",
			      ex, 4, 1, &e);
	CHECK_STR(r, "2024-03-05 14:30:00|NULL|NULL|NULL\n"
		     "NULL|2024-03-05 00:15:00|NULL|NULL\n"
		     "NULL|NULL|2024-03-05 12:30:00.5Z|NULL\n"
		     "NULL|NULL|NULL|2024-02-29 00:00:00\n"
		     "NULL|NULL|NULL|NULL\n");
	free(r);
	struct ex_expr *st = fn("strptime", 2, col(s, "s"), lit("string", "%Y-%m-%d"));
	tarn_err_clear(&e);
	r = select_text(s, "2024-01-01\n2024-13-01", &st, 1, 1, &e);
	CHECK(r == NULL);
	CHECK(e.rc == TARN_EDATA);
	CHECK_CONTAINS(e.msg, "'2024-13-01'");
	CHECK_CONTAINS(e.msg, "'%Y-%m-%d'");
	free(r);
	tarn_schema_unref(s);

	struct tarn_schema *d = schema_of("a timestamp; b timestamp");
	struct ex_expr *ds[4] = {
		fn("date_sub", 3, lit("string", "month"), col(d, "a"), col(d, "b")),
		fn("date_sub", 3, lit("string", "year"), col(d, "a"), col(d, "b")),
		fn("date_sub", 3, lit("string", "day"), col(d, "a"), col(d, "b")),
		fn("date_diff", 3, lit("string", "month"), col(d, "a"), col(d, "b")),
	};
	/* whole months: Jan 31 -> Feb 29 (the end's last day) is one; the
	 * time of day counts; negative spans mirror positive ones */
	r = select_text(d,
			"2024-01-31 00:00:00|2024-02-29 00:00:00\n"
			"2024-01-15 12:00:00|2024-03-15 11:59:59\n"
			"2024-03-14 00:00:00|2023-01-15 00:00:00\n"
			"2020-02-29 00:00:00|2024-02-28 23:00:00",
			ds, 4, 1, &e);
	CHECK_STR(r, "1|0|29|1\n1|0|59|2\n-13|-1|-424|-14\n47|3|1460|48\n");
	free(r);
	tarn_schema_unref(d);
}

static struct ex_expr *iv(int32_t m, int32_t d, int64_t us)
{
	struct ex_expr *x;
	if (ex_expr_const_interval(m, d, us, &x))
		die("interval", "");
	return x;
}

static struct ex_expr *tostr(struct ex_expr *x)
{
	struct tarn_type t;
	tarn_type_init(&t, TARN_T_STRING);
	struct tarn_err e = { 0 };
	struct ex_expr *c;
	return must(ex_expr_cast(x, &t, false, &c, &e), &c, &e);
}

TEST(intervals)
{
	struct tarn_err e = { 0 };
	struct tarn_schema *s = schema_of("t timestamp; u timestamp; n int64");
	struct ex_expr *ex[6] = {
		/* DuckDB's spelling, signs per part, hours past 24 */
		tostr(arith(EX_SUB, iv(0, 1, 0), iv(0, 0, 3600000000LL))),
		tostr(arith(EX_MUL, col(s, "n"), iv(14, 1, 1500000))),
		/* timestamp - timestamp: whole days and the rest, one sign */
		tostr(arith(EX_SUB, col(s, "t"), col(s, "u"))),
		/* month arithmetic clamps; then days; then microseconds */
		arith(EX_ADD, col(s, "t"), iv(1, 1, 1)),
		fn("date_part", 2, lit("string", "hour"), arith(EX_SUB, col(s, "t"), col(s, "u"))),
		cmp(EX_EQ, iv(1, 0, 0), iv(0, 30, 0)),
	};
	char *r = select_text(s,
			      "2024-01-31 10:00:00|2024-01-29 22:30:00|2\n"
			      "2024-01-01 00:00:00|2024-01-03 12:00:00|-1\n"
			      "NULL|2024-01-01 00:00:00|NULL",
			      ex, 6, 1, &e);
	CHECK_STR(r, "1 day -01:00:00|2 years 4 months 2 days 00:00:03|1 day 11:30:00|"
		     "2024-03-01 10:00:00.000001|11|true\n"
		     "1 day -01:00:00|-1 year -2 months -1 day -00:00:01.5|-2 days -12:00:00|"
		     "2024-02-02 00:00:00.000001|-12|true\n"
		     "1 day -01:00:00|NULL|NULL|NULL|NULL|true\n");
	free(r);
	/* parts that leave their range are errors, not wraparound */
	struct ex_expr *big = arith(EX_MUL, col(s, "n"), iv(1 << 30, 0, 0));
	tarn_err_clear(&e);
	r = select_text(s, "NULL|NULL|4", &big, 1, 1, &e);
	CHECK(r == NULL);
	CHECK(e.rc == TARN_EDATA);
	CHECK_CONTAINS(e.msg, "out of range");
	free(r);
	/* to_* constructors; a fraction of a second */
	struct ex_expr *to[3] = {
		tostr(fn("to_hours", 1, col(s, "n"))),
		tostr(fn("to_seconds", 1, lit("float64", "1.25"))),
		tostr(fn("to_years", 1, col(s, "n"))),
	};
	r = select_text(s, "NULL|NULL|30", to, 3, 1, &e);
	CHECK_STR(r, "30:00:00|00:00:01.25|30 years\n");
	free(r);
	/* intervals take + - * only */
	struct ex_expr *dv;
	CHECK(ex_expr_arith(EX_DIV, iv(0, 1, 0), lit("int64", "2"), &dv, &e) == TARN_EUNSUPPORTED);
	tarn_schema_unref(s);
}

/* Every allocation while running fails in turn (PCRE2's go through the
 * tarn_malloc hook): each run ends with a clean error, none leaks (ASan),
 * until one succeeds with the full answer. */
static struct ex_op *plan_fail(void *arg)
{
	struct tarn_schema *s = arg;
	struct ex_expr *ex[3] = {
		fn("regexp_replace", 4, col(s, "s"), col(s, "p"), lit("string", "<\\0>"),
		   lit("string", "g")),
		fn("regexp_extract", 3, col(s, "s"), lit("string", "(\\d+)"), lit("int32", "1")),
		fn("timezone", 2, col(s, "z"), fn("to_timestamp", 1, lit("int64", "0"))),
	};
	struct ex_op *v = values_of(s, "a1b22|\\d|UTC\nxyz|y|Asia/Tokyo\nq333|\\d+|UTC", 2), *p;
	struct tarn_err e = { 0 };
	if (ex_op_project(v, ex, NULL, 3, &p, &e))
		die("project", e.msg);
	return p;
}

TEST(allocation_failures)
{
	struct tarn_err e = { 0 };
	struct tarn_schema *s = schema_of("s string; p string; z string");
	char *want = run_text(plan_fail(s), 1, &e);
	CHECK_STR(want, "a<1>b<2><2>|1|1970-01-01 00:00:00\n"
			"x<y>z||1970-01-01 09:00:00\n"
			"q<333>|333|1970-01-01 00:00:00\n");
	CHECK(fail_sweep(plan_fail, s, want, 3000, 2) > 5);
	free(want);
	tarn_schema_unref(s);
}

TEST(glob_patterns)
{
	struct tarn_err e = { 0 };
	struct tarn_schema *s = schema_of("x string; p string");
	struct ex_expr *ex[1] = { fn("~~~", 2, col(s, "x"), col(s, "p")) };
	/* DuckDB: case-sensitive, bytewise ('?' is one byte), a class without
	 * its ']' is a literal '[', ']' first in a class is a member */
	char *r = select_text(s,
			      "abd|a*[bc]?\n"
			      "abcd|a*[bc]?\n"
			      "ABD|a*[bc]?\n"
			      "ac|a[!b]\n"
			      "ab|a[!b]\n"
			      "a]|a[]]\n"
			      "a[|a[\n"
			      "x-|x[a-]\n"
			      "h\xc3\xa9llo|h?llo\n"
			      "h\xc3\xa9llo|h??llo\n"
			      "|*\n"
			      "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab|*a*a*a*a*a*a*a*c\n"
			      "NULL|a\n"
			      "a|NULL",
			      ex, 1, 1, &e);
	CHECK_STR(r, "true\ntrue\nfalse\ntrue\nfalse\ntrue\ntrue\ntrue\nfalse\ntrue\ntrue\nfalse\n"
		     "NULL\nNULL\n");
	free(r);
	tarn_schema_unref(s);
}

TEST(session_zone_functions)
{
	struct tarn_err e = { 0 };
	struct tarn_schema *s = schema_of("t timestamp; x string");
	struct ex_expr *ex[2] = {
		fn("__tstz_text", 2, lit("string", "Europe/Paris"),
		   fn("timezone", 2, lit("string", "UTC"), col(s, "t"))),
		fn("__tstz_parse", 2, lit("string", "Asia/Kolkata"), col(s, "x")),
	};
	char *r = select_text(s,
			      "2024-03-31 00:59:59|2024-01-01 05:30:00\n"
			      "2024-03-31 01:00:00|2024-01-01 05:30:00+00\n"
			      "2024-10-27 00:30:00.5|2024-01-01\n"
			      "NULL| 2024-01-01 05:30:00Z \n"
			      "1969-12-31 23:59:59|NULL",
			      ex, 2, 1, &e);
	CHECK_STR(r, "2024-03-31 01:59:59+01|2024-01-01 00:00:00Z\n"
		     "2024-03-31 03:00:00+02|2024-01-01 05:30:00Z\n"
		     "2024-10-27 02:30:00.5+02|2023-12-31 18:30:00Z\n"
		     "NULL|2024-01-01 05:30:00Z\n"
		     "1970-01-01 00:59:59+01|NULL\n");
	free(r);
	/* bad text, a zone that is not a constant, an unknown zone */
	struct ex_expr *bad = fn("__tstz_parse", 2, lit("string", "UTC"), col(s, "x"));
	tarn_err_clear(&e);
	r = select_text(s, "2024-01-01 00:00:00|yesterday", &bad, 1, 1, &e);
	CHECK(r == NULL);
	CHECK(e.rc == TARN_EDATA);
	CHECK_CONTAINS(e.msg, "'yesterday' is not a TIMESTAMPTZ");
	free(r);
	struct ex_expr *a[2] = { col(s, "x"), col(s, "t") };
	CHECK(fn_err("__tstz_text", a, 2, &e) == NULL);
	CHECK_CONTAINS(e.msg, "the zone must be a constant");
	struct ex_expr *b[2] = { lit("string", "Nowhere/Town"), col(s, "x") };
	CHECK(fn_err("__tstz_parse", b, 2, &e) == NULL);
	CHECK_CONTAINS(e.msg, "unknown time zone 'Nowhere/Town'");
	tarn_schema_unref(s);
}

/* The first row of sql's result as "a|b" (NULL for nulls), or NULL with
 * err set. */
static char *sql_row(const char *sql, int threads, const char *tz, struct tarn_err *err)
{
	struct tarn_sql_opts o = { .threads = threads, .timezone = tz };
	struct tarn_reader *r = NULL;
	tarn_err_clear(err);
	tarn_rc rc = tarn_sql_open(sql, strlen(sql), &o, &r, err);
	struct tarn_batch *b = NULL;
	if (!rc)
		rc = tarn_reader_next(r, &b, err);
	char *out = NULL;
	if (!rc && b && tarn_batch_num_rows(b) > 0) {
		out = calloc(1, 1024);
		for (int c = 0; c < tarn_batch_num_cols(b); c++) {
			char cell[256];
			if (tarn_batch_is_null(b, c, 0))
				snprintf(cell, sizeof cell, "NULL");
			else
				tarn_batch_cell_text(b, c, 0, cell, sizeof cell);
			snprintf(out + strlen(out), 1024 - strlen(out), "%s%s", c ? "|" : "", cell);
		}
	}
	tarn_batch_free(b);
	tarn_reader_close(r);
	return out;
}

TEST(session_zone_sql)
{
	struct tarn_err e;
	char *r = sql_row("SET TimeZone = 'Europe/Paris'; SELECT current_setting('TimeZone'), "
			  "CAST(TIMESTAMPTZ '2024-03-31 03:00:00' AS VARCHAR), "
			  "date_trunc('day', TIMESTAMPTZ '2024-03-30 23:30:00Z')",
			  1, NULL, &e);
	CHECK_STR(r, "Europe/Paris|2024-03-31 03:00:00+02|2024-03-30 23:00:00Z");
	free(r);
	/* the option is the same as the statement; RESET goes back to UTC */
	r = sql_row("SELECT CAST(TIMESTAMPTZ '2024-07-01 00:00:00Z' AS VARCHAR)", 1, "Asia/Kolkata",
		    &e);
	CHECK_STR(r, "2024-07-01 05:30:00+05:30");
	free(r);
	r = sql_row("RESET TimeZone; SELECT current_setting('TimeZone'), "
		    "CAST(TIMESTAMP '2024-07-01 00:00:00' AS TIMESTAMPTZ)",
		    1, "Asia/Kolkata", &e);
	CHECK_STR(r, "UTC|2024-07-01 00:00:00Z");
	free(r);
	r = sql_row("SELECT 1", 1, "Nowhere/Town", &e);
	CHECK(r == NULL);
	CHECK(e.rc == TARN_EUSAGE);
	CHECK_CONTAINS(e.msg, "unknown time zone 'Nowhere/Town'");
	r = sql_row("SET TimeZone = 'Nowhere/Town'", 1, NULL, &e);
	CHECK(r == NULL);
	CHECK_CONTAINS(e.msg, "line 1");
	CHECK_CONTAINS(e.msg, "unknown time zone 'Nowhere/Town'");
	r = sql_row("SET TimeZone = 42", 1, NULL, &e);
	CHECK(r == NULL);
	CHECK_CONTAINS(e.msg, "zone name in quotes");
	r = sql_row("SELECT current_setting('threads')", 1, NULL, &e);
	CHECK(r == NULL);
	CHECK_CONTAINS(e.msg, "unknown setting 'threads'");
	/* a computed interval on a TIMESTAMPTZ is refused under a session zone */
	r = sql_row("SELECT TIMESTAMPTZ '2024-03-31 01:00:00Z' + to_days(x) FROM (VALUES (1)) t(x)",
		    1, "Europe/Paris", &e);
	CHECK(r == NULL);
	CHECK(e.rc == TARN_EUNSUPPORTED);
	CHECK_CONTAINS(e.msg, "computed interval under SET TimeZone");
}

TEST(interval_keys)
{
	struct tarn_err e;
	/* '1 day' = '24 hours' = '1440 minutes'; '1 month' = '30 days' */
	const char *q = "SELECT count(DISTINCT x), min(x), max(x), (SELECT count(*) FROM (SELECT x "
			"FROM v GROUP BY x)), (SELECT string_agg(CAST(x AS VARCHAR), ',' ORDER BY "
			"x) FROM (SELECT DISTINCT x FROM v WHERE x < INTERVAL '2 days')) FROM v";
	char sql[1024];
	snprintf(sql, sizeof sql,
		 "CREATE VIEW v AS SELECT * FROM (VALUES (INTERVAL '1 day'), (INTERVAL '24 hours'), "
		 "(INTERVAL '1440 minutes'), (INTERVAL '1 month'), (INTERVAL '30 days'), "
		 "(INTERVAL '-2 hours'), (NULL)) t(x); %s",
		 q);
	for (int threads = 1; threads <= 2; threads++) {
		char *r = sql_row(sql, threads, NULL, &e);
		CHECK_STR(r, "3|-02:00:00|1 month|4|-02:00:00,1 day");
		free(r);
	}
}

int main(void)
{
	RUN(regex_bad_patterns);
	RUN(regex_rows_and_nulls);
	RUN(regex_semantics);
	RUN(regex_unicode);
	RUN(regex_huge_and_runaway);
	RUN(regex_threads_agree);
	RUN(sha256_vectors);
	RUN(bit_operators);
	RUN(time_zones);
	RUN(strptime_and_date_sub);
	RUN(intervals);
	RUN(allocation_failures);
	RUN(glob_patterns);
	RUN(session_zone_functions);
	RUN(session_zone_sql);
	RUN(interval_keys);
	return unit_done();
}
