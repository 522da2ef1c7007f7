/*
 * sql_parse.c — tests for the SQL front end (src/sql/): lexer, parser, AST
 * printer and the SQL-to-tarn type mapping.
 *
 * Most cases parse a statement and compare the normalized print; every
 * successful parse is also printed, reparsed and printed again, and the two
 * prints must match (the invariant the fuzz target checks). Error cases
 * check the return code and the exact line:column. The TPC-H queries in
 * tests/sql/tpch/ must all parse (the test runs from the repository root).
 */
#include <dirent.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "columnar/type.h"
#include "sql/lex.h"
#include "sql/parse.h"
#include "unit.h"

/* ---- helpers ------------------------------------------------------------------------ */

static char out_buf[1 << 16];

/* print(parse(print(parse(x)))) == print(parse(x)) */
static bool stable(const char *printed, size_t n)
{
	struct tarn_arena a;
	tarn_arena_init(&a, 0);
	struct tarn_err err;
	tarn_err_clear(&err);
	struct sql_script *s;
	bool ok = false;
	if (sql_parse(n ? printed : "", n, &a, &s, &err) != TARN_OK) {
		fprintf(stderr, "reparse failed: %s\n  text: %s\n", err.msg, printed);
	} else {
		struct tarn_buf b;
		tarn_buf_init(&b);
		if (sql_print_script(s, &b) == TARN_OK && b.len == n && (n == 0 || memcmp(b.data, printed, n) == 0))
			ok = true;
		else
			fprintf(stderr, "unstable print:\n  1: %s\n  2: %.*s\n", printed, (int)b.len,
				b.data);
		tarn_buf_free(&b);
	}
	tarn_arena_free(&a);
	return ok;
}

/* The normalized print of a script (without the final ";\n" when it has one
 * statement), or "ERROR: <message>". */
static const char *norm(const char *sql)
{
	struct tarn_arena a;
	tarn_arena_init(&a, 0);
	struct tarn_err err;
	tarn_err_clear(&err);
	struct sql_script *s;
	if (sql_parse(sql, strlen(sql), &a, &s, &err) != TARN_OK) {
		snprintf(out_buf, sizeof out_buf, "ERROR: %s", err.msg);
		tarn_arena_free(&a);
		return out_buf;
	}
	struct tarn_buf b;
	tarn_buf_init(&b);
	if (sql_print_script(s, &b) != TARN_OK) {
		snprintf(out_buf, sizeof out_buf, "ERROR: print failed");
	} else {
		if (!stable(b.data, b.len)) {
			unit_cur_failed = 1;
			unit_failed_checks++;
		}
		size_t n = b.len;
		if (s->n == 1 && n >= 2)
			n -= 2;
		snprintf(out_buf, sizeof out_buf, "%.*s", (int)n, n ? b.data : "");
	}
	tarn_buf_free(&b);
	tarn_arena_free(&a);
	return out_buf;
}

/* The print of an expression parsed alone. */
static const char *norm_expr(const char *sql)
{
	struct tarn_arena a;
	tarn_arena_init(&a, 0);
	struct tarn_err err;
	tarn_err_clear(&err);
	struct sql_expr *e;
	if (sql_parse_expr(sql, strlen(sql), &a, &e, &err) != TARN_OK) {
		snprintf(out_buf, sizeof out_buf, "ERROR: %s", err.msg);
	} else {
		struct tarn_buf b;
		tarn_buf_init(&b);
		if (sql_print_expr(e, &b) == TARN_OK)
			snprintf(out_buf, sizeof out_buf, "%.*s", (int)b.len, b.data);
		tarn_buf_free(&b);
	}
	tarn_arena_free(&a);
	return out_buf;
}

#define PRINTS(sql, expected) CHECK_STR(norm(sql), expected)
#define EXPR(sql, expected) CHECK_STR(norm_expr(sql), expected)

/* Parse fails with rc and a message containing `part`. */
static bool fails_with(const char *sql, size_t len, tarn_rc rc, const char *part)
{
	struct tarn_arena a;
	tarn_arena_init(&a, 0);
	struct tarn_err err;
	tarn_err_clear(&err);
	struct sql_script *s = (struct sql_script *)&a; /* must be reset to NULL */
	tarn_rc got = sql_parse(sql, len, &a, &s, &err);
	bool ok = got == rc && err.rc == rc && s == NULL && strstr(err.msg, part) != NULL;
	if (!ok)
		fprintf(stderr, "for: %.200s\n  want rc %d and \"%s\"\n  got rc %d: %s\n", sql, rc,
			part, got, err.msg);
	tarn_arena_free(&a);
	return ok;
}

#define FAILS(sql, part) CHECK(fails_with(sql, strlen(sql), TARN_EDATA, part))

/* Parses one statement into the arena (the test frees it). */
static struct sql_stmt *parse1(struct tarn_arena *a, const char *sql)
{
	struct tarn_err err;
	tarn_err_clear(&err);
	struct sql_script *s;
	if (sql_parse(sql, strlen(sql), a, &s, &err) != TARN_OK || s->n != 1) {
		fprintf(stderr, "parse1 failed: %s\n", err.msg);
		return NULL;
	}
	return s->stmts[0];
}

static bool name_is(const struct sql_name *n, const char *s)
{
	return n->s && strlen(s) == n->len && memcmp(n->s, s, n->len) == 0;
}

/* ---- lexer ------------------------------------------------------------------------ */

TEST(keyword_table)
{
	/* Sorted, findable in any case, and nothing else is a keyword. */
	for (int k = KW_NONE + 2; k < KW__COUNT; k++)
		CHECK(strcmp(sql_keyword_name((enum sql_kw)(k - 1)), sql_keyword_name((enum sql_kw)k)) < 0);
	for (int k = KW_NONE + 1; k < KW__COUNT; k++) {
		const char *nm = sql_keyword_name((enum sql_kw)k);
		char lower[32];
		size_t n = strlen(nm);
		for (size_t i = 0; i <= n; i++)
			lower[i] = (char)(nm[i] >= 'A' && nm[i] <= 'Z' ? nm[i] + 32 : nm[i]);
		CHECK(sql_keyword_find(nm, n) == (enum sql_kw)k);
		CHECK(sql_keyword_find(lower, n) == (enum sql_kw)k);
		CHECK(sql_keyword_find(lower, n - 1) != (enum sql_kw)k);
	}
	CHECK(sql_keyword_find("selectx", 7) == KW_NONE);
	CHECK(sql_keyword_find("year", 4) == KW_NONE);
	CHECK(sql_keyword_find("s", 1) == KW_NONE);
	CHECK(sql_keyword_find("CURRENT_TIMESTAMPS", 18) == KW_NONE);
	CHECK(sql_keyword_category(KW_SELECT) == SQL_KW_RESERVED);
	CHECK(sql_keyword_category(KW_LEFT) == SQL_KW_TYPEFUNC);
	CHECK(sql_keyword_category(KW_NAME) == SQL_KW_UNRESERVED);
}

static int lex_all(const char *src, enum sql_tok *kinds, int max)
{
	struct tarn_arena a;
	tarn_arena_init(&a, 0);
	struct sql_lexer lx;
	sql_lex_init(&lx, src, strlen(src), &a);
	int n = 0;
	for (;;) {
		struct sql_token t;
		if (sql_lex_next(&lx, &t, NULL) != TARN_OK) {
			n = -1;
			break;
		}
		if (n < max)
			kinds[n] = t.kind;
		n++;
		if (t.kind == TOK_EOF)
			break;
	}
	tarn_arena_free(&a);
	return n;
}

TEST(lexer_operators)
{
	enum sql_tok k[64];
	const char *src = ":: := : => = == <> != < <= > >= << >> || | // / ** * ~ ~* !~ !~* & # ^ % ? $3";
	enum sql_tok want[] = {TOK_DCOLON, TOK_COLONEQ, TOK_COLON, TOK_ARROW, TOK_EQ, TOK_EQ,
			       TOK_NE, TOK_NE, TOK_LT, TOK_LE, TOK_GT, TOK_GE, TOK_SHL, TOK_SHR,
			       TOK_CONCAT, TOK_PIPE, TOK_DSLASH, TOK_SLASH, TOK_DSTAR, TOK_STAR,
			       TOK_TILDE, TOK_TILDE_STAR, TOK_NTILDE, TOK_NTILDE_STAR, TOK_AMP,
			       TOK_HASH, TOK_CARET, TOK_PERCENT, TOK_PARAM, TOK_PARAM, TOK_EOF};
	int n = lex_all(src, k, 64);
	REQUIRE(n == (int)(sizeof want / sizeof want[0]));
	for (int i = 0; i < n; i++)
		CHECK(k[i] == want[i]);
	/* Comments vanish; block comments nest. */
	CHECK(lex_all("a -- x\n/* b /* c */ d */ e", k, 64) == 3 && k[0] == TOK_IDENT &&
	      k[1] == TOK_IDENT && k[2] == TOK_EOF);
	CHECK(lex_all("1.5 .5 1. 1e3 1E-3 0x1f 7", k, 64) == 8 && k[0] == TOK_DECIMAL &&
	      k[1] == TOK_DECIMAL && k[2] == TOK_DECIMAL && k[3] == TOK_FLOAT && k[4] == TOK_FLOAT &&
	      k[5] == TOK_INTEGER && k[6] == TOK_INTEGER);
	CHECK(lex_all("e'x' E'y' e 'z' \"q\"", k, 64) == 6 && k[0] == TOK_STRING &&
	      k[1] == TOK_STRING && k[2] == TOK_IDENT && k[3] == TOK_STRING && k[4] == TOK_QIDENT);
}

TEST(strings_and_identifiers)
{
	PRINTS("SELECT 'it''s', '', E'a\\tb\\\\c\\'d', E'\\x41\\101\\u00e9\\U0001F600'",
	       "SELECT 'it''s', '', 'a\tb\\c''d', 'AAé😀'");
	PRINTS("SELECT E'\\uD83D\\uDE00'", "SELECT '😀'");
	PRINTS("SELECT \"a\"\"b\", \"Mixed Case\", \"select\", MyCol, über", 
	       "SELECT \"a\"\"b\", \"Mixed Case\", \"select\", MyCol, über");
	PRINTS("SELECT \"date\", date, \"year\", year", "SELECT \"date\", date, \"year\", year");
	FAILS("SELECT E'\\u12'", "line 1, column 10: invalid Unicode escape: \\u needs 4 hex digits");
	FAILS("SELECT E'\\uDC00'", "invalid Unicode surrogate pair");
	FAILS("SELECT E'\\x00'", "NUL character in string literal");
	FAILS("SELECT E'\\xff'", "invalid UTF-8");
	FAILS("SELECT E'\\400'", "above \\377");
	FAILS("SELECT \"\"", "zero-length quoted identifier");
}

TEST(numbers)
{
	PRINTS("SELECT 1, -1, - 1, -(1), - -1, +1, 1.50, .5, 1., 1e10, 1.5E-3, -2.5e+3",
	       "SELECT 1, -1, -1, -1, 1, (+ 1), 1.50, .5, 1., 1e10, 1.5E-3, -2.5e+3");
	PRINTS("SELECT 0x1F, 0XfF, 0xFFFFFFFFFFFFFFFF", "SELECT 31, 255, 18446744073709551615");
	struct tarn_arena a;
	tarn_arena_init(&a, 0);
	struct sql_stmt *s = parse1(&a, "SELECT 9223372036854775807, -9223372036854775808, "
					 "9223372036854775808, 2.5, 1e3");
	REQUIRE(s && s->kind == SQL_STMT_QUERY);
	struct sql_select *sel = s->query->select;
	REQUIRE(sel->n_items == 5);
	struct sql_lit *l = &sel->items[0].expr->lit;
	CHECK(l->kind == SQL_LIT_INTEGER && l->fits_i64 && l->i == INT64_MAX);
	l = &sel->items[1].expr->lit;
	CHECK(l->kind == SQL_LIT_INTEGER && l->fits_i64 && l->i == INT64_MIN);
	CHECK(sel->items[1].expr->loc == 28); /* the minus sign */
	l = &sel->items[2].expr->lit;
	CHECK(l->kind == SQL_LIT_INTEGER && !l->fits_i64 && strcmp(l->text, "9223372036854775808") == 0);
	CHECK(sel->items[3].expr->lit.kind == SQL_LIT_DECIMAL);
	CHECK(sel->items[4].expr->lit.kind == SQL_LIT_FLOAT);
	tarn_arena_free(&a);
	FAILS("SELECT 12abc", "line 1, column 8: trailing junk after numeric literal: '12abc'");
	FAILS("SELECT 1e", "trailing junk");
	FAILS("SELECT 0x", "no digits after 0x");
	FAILS("SELECT 0x10000000000000000", "more than 64 bits");
	FAILS("SELECT 1_000", "trailing junk");
}

/* ---- expressions ------------------------------------------------------------------ */

TEST(precedence)
{
	/* Postgres precedence, checked against DuckDB where the two agree. */
	EXPR("1 + 2 * 3", "(1 + (2 * 3))");
	EXPR("1 - 2 - 3", "((1 - 2) - 3)");
	EXPR("1 + 4 // 2", "(1 + (4 // 2))");
	EXPR("5 % 3 * 2", "((5 % 3) * 2)");
	EXPR("2 ^ 3 ^ 2", "((2 ^ 3) ^ 2)");
	EXPR("2 ** 3", "(2 ^ 3)");
	EXPR("-2 ^ 2", "(-2 ^ 2)");
	EXPR("-x ^ 2", "((- x) ^ 2)");
	EXPR("2 * 3 ^ 2", "(2 * (3 ^ 2))");
	EXPR("'a' || 1 + 2", "('a' || (1 + 2))");
	EXPR("1 | 2 + 3", "(1 | (2 + 3))");
	EXPR("1 << 2 + 1", "(1 << (2 + 1))");
	EXPR("a || b || c", "((a || b) || c)");
	EXPR("a ~ b || c", "((a ~ b) || c)");
	EXPR("a = b || c", "(a = (b || c))");
	EXPR("a < b + 1", "(a < (b + 1))");
	EXPR("a = 1 AND b = 2 OR c = 3", "(((a = 1) AND (b = 2)) OR (c = 3))");
	EXPR("a OR b AND c", "(a OR (b AND c))");
	EXPR("a AND b AND c AND d", "(a AND b AND c AND d)");
	EXPR("(a AND b) AND c", "((a AND b) AND c)");
	EXPR("NOT a = b", "(NOT (a = b))");
	EXPR("NOT a AND b", "((NOT a) AND b)");
	EXPR("NOT NOT a", "(NOT NOT a)");
	EXPR("- - - x", "(- - - x)");
	EXPR("NOT -x", "(NOT - x)");
	EXPR("-(NOT x)", "(- NOT x)");
	EXPR("NOT a IS NULL", "(NOT (a IS NULL))");
	EXPR("a = b IS NULL", "((a = b) IS NULL)");
	EXPR("a + 1 IS NULL", "((a + 1) IS NULL)");
	EXPR("a IS NULL IS NULL", "((a IS NULL) IS NULL)");
	EXPR("a IS NOT DISTINCT FROM b = c", "(a IS NOT DISTINCT FROM (b = c))");
	EXPR("1 IN (1) = true", "((1 IN (1)) = TRUE)");
	EXPR("1 = 1 IN (true)", "(1 = (1 IN (TRUE)))");
	EXPR("1 IN (1) IN (true)", "((1 IN (1)) IN (TRUE))");
	EXPR("a BETWEEN 1 AND 2 AND b", "((a BETWEEN 1 AND 2) AND b)");
	EXPR("a BETWEEN 1 + 1 AND 2 * 3 = true", "((a BETWEEN (1 + 1) AND (2 * 3)) = TRUE)");
	EXPR("a LIKE b || '%'", "(a LIKE (b || '%'))");
	EXPR("a LIKE 'x' = true", "((a LIKE 'x') = TRUE)");
	EXPR("x::int + 1", "(CAST(x AS INTEGER) + 1)");
	EXPR("-1::int", "(- CAST(1 AS INTEGER))");
	EXPR("-x[1]", "(- x[1])");
	EXPR("a.b[1].c", "a.b[1].c");
	EXPR("x AT TIME ZONE 'UTC' + 1", "((x AT TIME ZONE 'UTC') + 1)");
	EXPR("- x AT TIME ZONE 'UTC'", "((- x) AT TIME ZONE 'UTC')");
	EXPR("x AT TIME ZONE a AT TIME ZONE b", "((x AT TIME ZONE a) AT TIME ZONE b)");
	EXPR("~ 5 & 3", "((~ 5) & 3)");
	EXPR("a = ANY (b) AND c", "((a = ANY (b)) AND c)");
	/* Non-associative levels. */
	CHECK_CONTAINS(norm_expr("1 = 2 = 3"), "line 1, column 7: comparison operators cannot be chained");
	CHECK_CONTAINS(norm_expr("1 < 2 < 3"), "cannot be chained");
	CHECK_CONTAINS(norm_expr("a LIKE b LIKE c"), "line 1, column 10: BETWEEN, LIKE");
	CHECK_CONTAINS(norm_expr("a BETWEEN 1 AND 2 BETWEEN 3 AND 4"), "cannot be chained");
	EXPR("(1 = 2) = 3", "((1 = 2) = 3)");
}

TEST(predicates)
{
	EXPR("a IS NULL", "(a IS NULL)");
	EXPR("a IS NOT NULL", "(a IS NOT NULL)");
	EXPR("a ISNULL", "(a IS NULL)");
	EXPR("a NOTNULL", "(a IS NOT NULL)");
	EXPR("a IS TRUE", "(a IS TRUE)");
	EXPR("a IS NOT FALSE", "(a IS NOT FALSE)");
	EXPR("a is unknown", "(a IS UNKNOWN)");
	EXPR("a IS DISTINCT FROM b", "(a IS DISTINCT FROM b)");
	EXPR("a NOT BETWEEN 1 AND 2", "(a NOT BETWEEN 1 AND 2)");
	EXPR("a BETWEEN SYMMETRIC 2 AND 1", "(a BETWEEN SYMMETRIC 2 AND 1)");
	EXPR("a BETWEEN ASYMMETRIC 1 AND 2", "(a BETWEEN 1 AND 2)");
	EXPR("a IN (1, 2, 3)", "(a IN (1, 2, 3))");
	EXPR("a NOT IN ('x')", "(a NOT IN ('x'))");
	EXPR("a IN (SELECT b FROM t)", "(a IN (SELECT b FROM t))");
	EXPR("a IN ((SELECT b FROM t))", "(a IN (SELECT b FROM t))");
	EXPR("a IN ((SELECT 1), 2)", "(a IN ((SELECT 1), 2))");
	EXPR("a IN (SELECT 1 UNION SELECT 2)", "(a IN ((SELECT 1) UNION (SELECT 2)))");
	EXPR("a IN ((SELECT 1) UNION (SELECT 2) ORDER BY 1)", "(a IN ((SELECT 1) UNION (SELECT 2) ORDER BY 1))");
	EXPR("a = ANY ((SELECT 1) UNION (SELECT 2))", "(a = ANY ((SELECT 1) UNION (SELECT 2)))");
	EXPR("EXISTS ((SELECT 1) EXCEPT (SELECT 2))", "EXISTS ((SELECT 1) EXCEPT (SELECT 2))");
	EXPR("a LIKE 'x%'", "(a LIKE 'x%')");
	EXPR("a NOT LIKE 'x\\_%' ESCAPE '\\'", "(a NOT LIKE 'x\\_%' ESCAPE '\\')");
	EXPR("a ILIKE 'x'", "(a ILIKE 'x')");
	EXPR("a NOT ILIKE 'x'", "(a NOT ILIKE 'x')");
	EXPR("a SIMILAR TO 'x|y'", "(a SIMILAR TO 'x|y')");
	EXPR("a NOT SIMILAR TO 'x' ESCAPE '#'", "(a NOT SIMILAR TO 'x' ESCAPE '#')");
	EXPR("a GLOB '*.csv'", "(a GLOB '*.csv')");
	EXPR("a ~ 'r' OR a ~* 'r' OR a !~ 'r' OR a !~* 'r'",
	     "((a ~ 'r') OR (a ~* 'r') OR (a !~ 'r') OR (a !~* 'r'))");
	EXPR("EXISTS (SELECT 1)", "EXISTS (SELECT 1)");
	EXPR("NOT EXISTS (SELECT 1)", "(NOT EXISTS (SELECT 1))");
	EXPR("a = ANY (SELECT b FROM t)", "(a = ANY (SELECT b FROM t))");
	EXPR("a > ALL (SELECT b FROM t)", "(a > ALL (SELECT b FROM t))");
	EXPR("a <> SOME (arr)", "(a <> ANY (arr))");
	EXPR("a == b", "(a = b)");
	EXPR("a != b", "(a <> b)");
}

TEST(calls_and_special_forms)
{
	EXPR("count(*)", "count(*)");
	EXPR("count(DISTINCT a)", "count(DISTINCT a)");
	EXPR("count(ALL a)", "count(a)");
	EXPR("f()", "f()");
	EXPR("main.f(1)", "main.f(1)");
	EXPR("coalesce(a, b, 0)", "coalesce(a, b, 0)");
	EXPR("NULLIF(a, 0)", "NULLIF(a, 0)");
	EXPR("string_agg(x, ',' ORDER BY y DESC NULLS FIRST, z)",
	     "string_agg(x, ',' ORDER BY y DESC NULLS FIRST, z)");
	EXPR("struct_pack(a := 1, b => 2)", "struct_pack(a := 1, b := 2)");
	EXPR("sum(x) FILTER (WHERE x > 0)", "sum(x) FILTER (WHERE (x > 0))");
	EXPR("percentile_cont(0.5) WITHIN GROUP (ORDER BY x)",
	     "percentile_cont(0.5) WITHIN GROUP (ORDER BY x)");
	EXPR("quantile_disc(0.9) WITHIN GROUP (ORDER BY x DESC) FILTER (WHERE y)",
	     "quantile_disc(0.9) WITHIN GROUP (ORDER BY x DESC) FILTER (WHERE y)");
	EXPR("first_value(x IGNORE NULLS) OVER (ORDER BY t)",
	     "first_value(x IGNORE NULLS) OVER (ORDER BY t)");
	EXPR("lag(x) RESPECT NULLS OVER w", "lag(x RESPECT NULLS) OVER w");
	EXPR("count(t.*)", "count(t.*)");
	EXPR("left(s, 2) || right(s, 1)", "(left(s, 2) || right(s, 1))");
	EXPR("CAST(a AS INT)", "CAST(a AS INTEGER)");
	EXPR("TRY_CAST(a AS DOUBLE)", "TRY_CAST(a AS DOUBLE)");
	EXPR("a::text::int", "CAST(CAST(a AS VARCHAR) AS INTEGER)");
	EXPR("EXTRACT(year FROM d)", "date_part('year', d)");
	EXPR("extract('Month' from d)", "date_part('month', d)");
	EXPR("EXTRACT(EPOCH FROM ts)", "date_part('epoch', ts)");
	EXPR("SUBSTRING(s FROM 2 FOR 3)", "substring(s, 2, 3)");
	EXPR("SUBSTRING(s FROM 2)", "substring(s, 2)");
	EXPR("SUBSTRING(s FOR 3)", "substring(s, 1, 3)");
	EXPR("substring(s, 2, 3)", "substring(s, 2, 3)");
	EXPR("POSITION('a' IN s)", "strpos(s, 'a')");
	EXPR("TRIM(s)", "trim(s)");
	EXPR("TRIM(BOTH 'x' FROM s)", "trim(s, 'x')");
	EXPR("TRIM(LEADING FROM s)", "ltrim(s)");
	EXPR("TRIM(TRAILING 'x' FROM s)", "rtrim(s, 'x')");
	EXPR("TRIM('x' FROM s)", "trim(s, 'x')");
	EXPR("trim(s, 'x')", "trim(s, 'x')");
	EXPR("CASE WHEN a THEN 1 WHEN b THEN 2 ELSE 3 END", "CASE WHEN a THEN 1 WHEN b THEN 2 ELSE 3 END");
	EXPR("CASE x WHEN 1 THEN 'a' END", "CASE x WHEN 1 THEN 'a' END");
	EXPR("CURRENT_DATE + current_timestamp", "(CURRENT_DATE + CURRENT_TIMESTAMP)");
	EXPR("localtime", "LOCALTIME");
	EXPR("(SELECT max(x) FROM t)", "(SELECT max(x) FROM t)");
	EXPR("((SELECT 1) UNION (SELECT 2))", "((SELECT 1) UNION (SELECT 2))");
	EXPR("((SELECT 1) ORDER BY 1 LIMIT 1)", "(SELECT 1 ORDER BY 1 LIMIT 1)");
	/* Quoted keyword function names read back as calls. */
	EXPR("\"substring\"(s) OVER ()", "\"substring\"(s) OVER ()");
	EXPR("\"row\"(1)", "\"row\"(1)");
}

TEST(literals_and_nested_values)
{
	EXPR("true", "TRUE");
	EXPR("NULL", "NULL");
	EXPR("DATE '2020-01-01'", "DATE '2020-01-01'");
	EXPR("CAST('2020-01-01' AS DATE)", "DATE '2020-01-01'");
	EXPR("'5'::VARCHAR(3)", "CAST('5' AS VARCHAR(3))");
	EXPR("TRY_CAST('5' AS INT)", "TRY_CAST('5' AS INTEGER)");
	EXPR("CAST('1' AS INTERVAL)", "CAST('1' AS INTERVAL)");
	EXPR("(DATE 'x')[1]", "(DATE 'x')[1]");
	EXPR("TIMESTAMP '2020-01-01 10:00:00'", "TIMESTAMP '2020-01-01 10:00:00'");
	EXPR("TIMESTAMPTZ '2020-01-01'", "TIMESTAMPTZ '2020-01-01'");
	EXPR("CAST('1' AS TIME WITH TIME ZONE)", "CAST('1' AS TIME WITH TIME ZONE)");
	EXPR("TIME '12:00'", "TIME '12:00'");
	EXPR("integer '5'", "INTEGER '5'");
	EXPR("INTERVAL '1 day'", "INTERVAL '1 day'");
	EXPR("INTERVAL '2' MONTH", "INTERVAL '2' MONTH");
	EXPR("INTERVAL 3 DAY", "INTERVAL 3 DAY");
	EXPR("INTERVAL 3 days", "INTERVAL 3 DAY");
	EXPR("INTERVAL 1.5 hours", "INTERVAL 1.5 HOUR");
	EXPR("INTERVAL -2 YEAR", "INTERVAL -2 YEAR");
	EXPR("INTERVAL (n + 1) MINUTE", "INTERVAL (n + 1) MINUTE");
	EXPR("INTERVAL (n) MINUTE", "INTERVAL (n) MINUTE");
	EXPR("INTERVAL ((SELECT 1)) DAY", "INTERVAL ((SELECT 1)) DAY");
	EXPR("d - INTERVAL '90' DAY", "(d - INTERVAL '90' DAY)");
	EXPR("[1, 2, 3]", "[1, 2, 3]");
	EXPR("[]", "[]");
	EXPR("ARRAY[1, 2]", "[1, 2]");
	EXPR("[[1], [2, 3]]", "[[1], [2, 3]]");
	EXPR("{'a': 1, b: 'x', 'c d': [1]}", "{'a': 1, 'b': 'x', 'c d': [1]}");
	EXPR("{}", "{}");
	EXPR("MAP {'k': 1, 'j': 2}", "MAP {'k': 1, 'j': 2}");
	EXPR("(1, 'a')", "(1, 'a')");
	EXPR("ROW(1)", "ROW(1)");
	EXPR("ROW(1, 2)", "ROW(1, 2)");
	EXPR("l[1]", "l[1]");
	EXPR("l[1:3]", "l[1:3]");
	EXPR("l[:3]", "l[:3]");
	EXPR("l[2:]", "l[2:]");
	EXPR("l[:]", "l[:]");
	EXPR("m['key']", "m['key']");
	EXPR("[1, 2][1]", "[1, 2][1]");
	EXPR("(-1)[1]", "(-1)[1]");
	EXPR("s.f", "s.f");
	EXPR("t.s.f.g", "t.s.f.g");
	EXPR("(s).f", "(s).f");
	EXPR("f(x).a", "f(x).a");
	EXPR("l[1].a", "l[1].a");
	EXPR("(a + b).c", "(a + b).c");
	EXPR("(a + b)[1]", "(a + b)[1]");
	EXPR("\"T\".\"Col\"", "\"T\".\"Col\"");
	EXPR("t.\"select\"", "t.\"select\"");
	EXPR("t.order", "t.\"order\"");
	EXPR("?", "?");
	EXPR("$2", "$2");
}

TEST(types)
{
	EXPR("x::BOOLEAN::BOOL::TINYINT::INT1::SMALLINT::INT2::INTEGER::INT4::SIGNED",
	     "CAST(CAST(CAST(CAST(CAST(CAST(CAST(CAST(CAST(x AS BOOLEAN) AS BOOLEAN) AS TINYINT) AS "
	     "TINYINT) AS SMALLINT) AS SMALLINT) AS INTEGER) AS INTEGER) AS INTEGER)");
	EXPR("x::BIGINT::INT8::LONG::HUGEINT", "CAST(CAST(CAST(CAST(x AS BIGINT) AS BIGINT) AS BIGINT) AS HUGEINT)");
	EXPR("x::UTINYINT::USMALLINT::UINTEGER::UBIGINT",
	     "CAST(CAST(CAST(CAST(x AS UTINYINT) AS USMALLINT) AS UINTEGER) AS UBIGINT)");
	EXPR("x::REAL::FLOAT4::FLOAT::DOUBLE::FLOAT8",
	     "CAST(CAST(CAST(CAST(CAST(x AS FLOAT) AS FLOAT) AS FLOAT) AS DOUBLE) AS DOUBLE)");
	EXPR("CAST(x AS DOUBLE PRECISION)", "CAST(x AS DOUBLE)");
	EXPR("CAST(x AS DECIMAL(15, 2))", "CAST(x AS DECIMAL(15, 2))");
	EXPR("CAST(x AS NUMERIC(10))", "CAST(x AS DECIMAL(10))");
	EXPR("CAST(x AS DECIMAL)", "CAST(x AS DECIMAL)");
	EXPR("CAST(x AS VARCHAR(20))", "CAST(x AS VARCHAR(20))");
	EXPR("CAST(x AS TEXT)", "CAST(x AS VARCHAR)");
	EXPR("CAST(x AS STRING)", "CAST(x AS VARCHAR)");
	EXPR("CAST(x AS CHAR(3))", "CAST(x AS VARCHAR(3))");
	EXPR("CAST(x AS CHARACTER VARYING(3))", "CAST(x AS VARCHAR(3))");
	EXPR("CAST(x AS BLOB)", "CAST(x AS BLOB)");
	EXPR("CAST(x AS BYTEA)", "CAST(x AS BLOB)");
	EXPR("CAST(x AS VARBINARY)", "CAST(x AS BLOB)");
	EXPR("CAST(x AS DATE)", "CAST(x AS DATE)");
	EXPR("CAST(x AS TIME)", "CAST(x AS TIME)");
	EXPR("CAST(x AS TIME WITH TIME ZONE)", "CAST(x AS TIME WITH TIME ZONE)");
	EXPR("CAST(x AS TIMESTAMP)", "CAST(x AS TIMESTAMP)");
	EXPR("CAST(x AS TIMESTAMP(3))", "CAST(x AS TIMESTAMP(3))");
	EXPR("CAST(x AS TIMESTAMP WITH TIME ZONE)", "CAST(x AS TIMESTAMP WITH TIME ZONE)");
	EXPR("CAST(x AS TIMESTAMP WITHOUT TIME ZONE)", "CAST(x AS TIMESTAMP)");
	EXPR("CAST(x AS TIMESTAMPTZ)", "CAST(x AS TIMESTAMP WITH TIME ZONE)");
	EXPR("CAST(x AS TIMESTAMP_MS)", "CAST(x AS TIMESTAMP_MS)");
	EXPR("CAST(x AS DATETIME)", "CAST(x AS TIMESTAMP)");
	EXPR("CAST(x AS INTERVAL)", "CAST(x AS INTERVAL)");
	EXPR("CAST(x AS INTEGER[])", "CAST(x AS INTEGER[])");
	EXPR("CAST(x AS INT[3][])", "CAST(x AS INTEGER[3][])");
	EXPR("CAST(x AS STRUCT(a INT, \"b c\" VARCHAR[], key MAP(TEXT, DOUBLE)))",
	     "CAST(x AS STRUCT(a INTEGER, \"b c\" VARCHAR[], key MAP(VARCHAR, DOUBLE)))");
	EXPR("CAST(x AS MAP(VARCHAR, STRUCT(a INT)[]))", "CAST(x AS MAP(VARCHAR, STRUCT(a INTEGER)[]))");
	EXPR("CAST(x AS uuid)", "CAST(x AS UUID)");
	EXPR("CAST(x AS json)", "CAST(x AS JSON)");
	EXPR("CAST(x AS my_type)", "CAST(x AS \"my_type\")");
	EXPR("CAST(x AS \"varchar\")", "CAST(x AS \"varchar\")");

	struct tarn_arena a;
	tarn_arena_init(&a, 0);
	struct sql_type *t;
	struct tarn_err err;
	tarn_err_clear(&err);
	REQUIRE(sql_parse_type("STRUCT(a INT, b TIMESTAMP_MS[])", 31, &a, &t, &err) == TARN_OK);
	CHECK(t->id == SQL_TYPE_STRUCT && t->n_fields == 2 && name_is(&t->fields[0].name, "a") &&
	      t->fields[1].type->id == SQL_TYPE_LIST &&
	      t->fields[1].type->elem->ts_unit == SQL_TS_MS);
	tarn_err_clear(&err);
	CHECK(sql_parse_type("DECIMAL(1, 2, 3)", 16, &a, &t, &err) == TARN_EDATA);
	CHECK_CONTAINS(err.msg, "line 1, column 13: expected ')', found ','");
	tarn_arena_free(&a);
}

/* sql_type_to_tarn: the mapping onto tarn's column types. */
static const char *tarn_type_of(const char *sql)
{
	struct tarn_arena a;
	tarn_arena_init(&a, 0);
	struct sql_type *t;
	struct tarn_err err;
	tarn_err_clear(&err);
	if (sql_parse_type(sql, strlen(sql), &a, &t, &err) != TARN_OK) {
		tarn_arena_free(&a);
		return "parse error";
	}
	struct tarn_type tt;
	if (sql_type_to_tarn(t, sql, strlen(sql), &tt, &err) != TARN_OK) {
		snprintf(out_buf, sizeof out_buf, "ERROR %d: %s", err.rc, err.msg);
	} else {
		struct tarn_buf b;
		tarn_buf_init(&b);
		if (tarn_type_to_text(&tt, &b) == TARN_OK)
			snprintf(out_buf, sizeof out_buf, "%.*s", (int)b.len, b.data);
		tarn_buf_free(&b);
		tarn_type_clear(&tt);
	}
	tarn_arena_free(&a);
	return out_buf;
}

TEST(type_mapping)
{
	CHECK_STR(tarn_type_of("INTEGER"), "int32");
	CHECK_STR(tarn_type_of("BIGINT"), "int64");
	CHECK_STR(tarn_type_of("UTINYINT"), "uint8");
	CHECK_STR(tarn_type_of("REAL"), "float32");
	CHECK_STR(tarn_type_of("DOUBLE PRECISION"), "float64");
	CHECK_STR(tarn_type_of("DECIMAL(15, 2)"), "decimal(15,2)");
	CHECK_STR(tarn_type_of("NUMERIC"), "decimal(18,3)");
	CHECK_STR(tarn_type_of("DECIMAL(7)"), "decimal(7,0)");
	CHECK_STR(tarn_type_of("TEXT"), "string");
	CHECK_STR(tarn_type_of("BLOB"), "binary");
	CHECK_STR(tarn_type_of("DATE"), "date32");
	CHECK_STR(tarn_type_of("TIME"), "time64[us]");
	CHECK_STR(tarn_type_of("TIMESTAMP"), "timestamp[us]");
	CHECK_STR(tarn_type_of("TIMESTAMP(3)"), "timestamp[ms]");
	CHECK_STR(tarn_type_of("TIMESTAMP_NS"), "timestamp[ns]");
	CHECK_STR(tarn_type_of("TIMESTAMPTZ"), "timestamp[us, UTC]");
	CHECK_STR(tarn_type_of("INT[]"), "list<int32>");
	CHECK_STR(tarn_type_of("STRUCT(a INT, b VARCHAR[])"), "struct<a: int32, b: list<string>>");
	CHECK_STR(tarn_type_of("MAP(VARCHAR, DOUBLE)"), "map<string, float64>");
	CHECK_CONTAINS(tarn_type_of("DECIMAL(40, 2)"), "ERROR 2: type error at line 1, column 1: DECIMAL(p, s)");
	CHECK_CONTAINS(tarn_type_of("STRUCT(a HUGEINT)"), "ERROR 5: type error at line 1, column 10");
	CHECK_STR(tarn_type_of("INTERVAL"), "interval");
	CHECK_CONTAINS(tarn_type_of("UUID"), "ERROR 5");
	CHECK_CONTAINS(tarn_type_of("nosuch"), "ERROR 8: type error at line 1, column 1: unknown type 'nosuch'");
}

TEST(keywords_as_identifiers)
{
	/* Non-reserved keywords work as column, table and alias names. */
	PRINTS("SELECT date, year, value, key, name, type, month, filter, over, first, last, range "
	       "FROM t",
	       "SELECT date, year, value, \"key\", \"name\", type, month, \"filter\", \"over\", "
	       "\"first\", \"last\", \"range\" FROM t");
	PRINTS("SELECT x value, y key, z AS select FROM name AS range",
	       "SELECT x AS value, y AS key, z AS \"select\" FROM name AS range");
	PRINTS("SELECT count(*) filter FROM t", "SELECT count(*) AS filter FROM t");
	PRINTS("SELECT sum(x) over FROM t", "SELECT sum(x) AS over FROM t");
	PRINTS("SELECT interval FROM t WHERE interval > 1", "SELECT \"interval\" FROM t WHERE (\"interval\" > 1)");
	PRINTS("SELECT date - 1 AS d FROM t", "SELECT (date - 1) AS d FROM t");
	PRINTS("SELECT * FROM range(3), generate_series(1, 2)", "SELECT * FROM range(3), generate_series(1, 2)");
	PRINTS("CREATE TABLE t (date DATE, name VARCHAR, value DOUBLE, key INT)",
	       "CREATE TABLE t (date DATE, name VARCHAR, value DOUBLE, key INTEGER)");
	FAILS("SELECT select FROM t", "line 1, column 8: expected expression, found 'select'");
	FAILS("SELECT x FROM left", "expected table name");
	FAILS("SELECT left FROM t", "found 'LEFT' (a keyword; write \"left\" for a column");
}

/* ---- queries ---------------------------------------------------------------------- */

TEST(select_clauses)
{
	PRINTS("select a, b as c, d e from t", "SELECT a, b AS c, d AS e FROM t");
	PRINTS("SELECT DISTINCT a FROM t", "SELECT DISTINCT a FROM t");
	PRINTS("SELECT ALL a FROM t", "SELECT a FROM t");
	PRINTS("SELECT DISTINCT ON (a, b) a, b, c FROM t ORDER BY a",
	       "SELECT DISTINCT ON (a, b) a, b, c FROM t ORDER BY a");
	PRINTS("SELECT * FROM t", "SELECT * FROM t");
	PRINTS("SELECT t.*, s.* FROM t, s", "SELECT t.*, s.* FROM t, s");
	PRINTS("SELECT * EXCLUDE (a, b) FROM t", "SELECT * EXCLUDE (a, b) FROM t");
	PRINTS("SELECT * EXCLUDE a FROM t", "SELECT * EXCLUDE (a) FROM t");
	PRINTS("SELECT * REPLACE (a + 1 AS a, upper(b) AS b) FROM t",
	       "SELECT * REPLACE ((a + 1) AS a, upper(b) AS b) FROM t");
	PRINTS("SELECT t.* EXCLUDE (x) REPLACE (1 AS y) FROM t",
	       "SELECT t.* EXCLUDE (x) REPLACE (1 AS y) FROM t");
	PRINTS("SELECT a, b, FROM t", "SELECT a, b FROM t");
	PRINTS("SELECT 1", "SELECT 1");
	PRINTS("SELECT a FROM t WHERE a > 1 GROUP BY a HAVING count(*) > 2 QUALIFY rank() OVER (ORDER BY a) = 1",
	       "SELECT a FROM t WHERE (a > 1) GROUP BY a HAVING (count(*) > 2) QUALIFY (rank() OVER (ORDER BY a) = 1)");
	PRINTS("SELECT a FROM t GROUP BY ALL ORDER BY ALL", "SELECT a FROM t GROUP BY ALL ORDER BY ALL");
	PRINTS("SELECT a FROM t ORDER BY ALL DESC NULLS LAST", "SELECT a FROM t ORDER BY ALL DESC NULLS LAST");
	PRINTS("SELECT a FROM t ORDER BY a ASC, b DESC, c NULLS FIRST, d DESC NULLS LAST",
	       "SELECT a FROM t ORDER BY a ASC, b DESC, c NULLS FIRST, d DESC NULLS LAST");
	PRINTS("SELECT a FROM t LIMIT 10 OFFSET 5", "SELECT a FROM t LIMIT 10 OFFSET 5");
	PRINTS("SELECT a FROM t OFFSET 5 LIMIT 10", "SELECT a FROM t LIMIT 10 OFFSET 5");
	PRINTS("SELECT a FROM t OFFSET 5 ROWS", "SELECT a FROM t OFFSET 5");
	PRINTS("SELECT a FROM t LIMIT ALL", "SELECT a FROM t");
	PRINTS("SELECT a FROM t FETCH FIRST 3 ROWS ONLY", "SELECT a FROM t LIMIT 3");
	PRINTS("SELECT a FROM t OFFSET 2 ROWS FETCH NEXT ROW ONLY", "SELECT a FROM t LIMIT 1 OFFSET 2");
	PRINTS("SELECT a FROM t LIMIT ?", "SELECT a FROM t LIMIT ?");
	FAILS("SELECT 1 LIMIT 1 LIMIT 2", "line 1, column 18: multiple LIMIT clauses");
	CHECK(fails_with("SELECT 1 FETCH FIRST 1 ROWS WITH TIES", 37, TARN_EUNSUPPORTED, "line 1, column 29: FETCH ... WITH TIES is not supported"));
	FAILS("SELECT", "line 1, column 7: expected expression, found end of input");
	FAILS("SELECT a b c FROM t", "line 1, column 12: expected ';' or end of input, found 'c'");
}

TEST(group_by)
{
	PRINTS("SELECT a, b, sum(c) FROM t GROUP BY a, b", "SELECT a, b, sum(c) FROM t GROUP BY a, b");
	PRINTS("SELECT 1 FROM t GROUP BY ROLLUP (a, (b, c))", "SELECT 1 FROM t GROUP BY ROLLUP(a, (b, c))");
	PRINTS("SELECT 1 FROM t GROUP BY CUBE(a, b)", "SELECT 1 FROM t GROUP BY CUBE(a, b)");
	PRINTS("SELECT 1 FROM t GROUP BY GROUPING SETS ((a, b), (a), ())",
	       "SELECT 1 FROM t GROUP BY GROUPING SETS ((a, b), a, ())");
	PRINTS("SELECT 1 FROM t GROUP BY a, ROLLUP(b), GROUPING SETS (c, CUBE(d, e), GROUPING SETS ((f)))",
	       "SELECT 1 FROM t GROUP BY a, ROLLUP(b), GROUPING SETS (c, CUBE(d, e), GROUPING SETS (f))");
	PRINTS("SELECT 1 FROM t GROUP BY ()", "SELECT 1 FROM t GROUP BY ()");
	PRINTS("SELECT grouping(a), rollup FROM t GROUP BY rollup",
	       "SELECT grouping(a), \"rollup\" FROM t GROUP BY \"rollup\"");
	struct tarn_arena a;
	tarn_arena_init(&a, 0);
	struct sql_stmt *s = parse1(&a, "SELECT 1 GROUP BY ROLLUP(a, (b, c)), GROUPING SETS ((a), ())");
	REQUIRE(s);
	struct sql_select *sel = s->query->select;
	REQUIRE(sel->n_group == 2);
	CHECK(sel->group[0].kind == SQL_GROUP_ROLLUP && sel->group[0].n_args == 2 &&
	      sel->group[0].args[1]->kind == SQL_EXPR_ROW && !sel->group[0].args[1]->list.explicit_row);
	CHECK(sel->group[1].kind == SQL_GROUP_SETS && sel->group[1].n_sets == 2 &&
	      sel->group[1].sets[0].kind == SQL_GROUP_EXPR && sel->group[1].sets[1].kind == SQL_GROUP_EMPTY);
	tarn_arena_free(&a);
}

TEST(windows)
{
	PRINTS("SELECT row_number() OVER () FROM t", "SELECT row_number() OVER () FROM t");
	PRINTS("SELECT sum(x) OVER (PARTITION BY a, b ORDER BY c DESC) FROM t",
	       "SELECT sum(x) OVER (PARTITION BY a, b ORDER BY c DESC) FROM t");
	PRINTS("SELECT sum(x) OVER (ORDER BY c ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) FROM t",
	       "SELECT sum(x) OVER (ORDER BY c ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) FROM t");
	PRINTS("SELECT sum(x) OVER (ORDER BY c RANGE BETWEEN INTERVAL '1' DAY PRECEDING AND UNBOUNDED FOLLOWING) FROM t",
	       "SELECT sum(x) OVER (ORDER BY c RANGE BETWEEN INTERVAL '1' DAY PRECEDING AND UNBOUNDED FOLLOWING) FROM t");
	PRINTS("SELECT sum(x) OVER (ORDER BY c GROUPS 2 PRECEDING EXCLUDE CURRENT ROW) FROM t",
	       "SELECT sum(x) OVER (ORDER BY c GROUPS 2 PRECEDING EXCLUDE CURRENT ROW) FROM t");
	PRINTS("SELECT sum(x) OVER (ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING EXCLUDE NO OTHERS) FROM t",
	       "SELECT sum(x) OVER (ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING EXCLUDE NO OTHERS) FROM t");
	PRINTS("SELECT sum(x) OVER (ROWS CURRENT ROW EXCLUDE GROUP), sum(y) OVER (ROWS UNBOUNDED PRECEDING EXCLUDE TIES) FROM t",
	       "SELECT sum(x) OVER (ROWS CURRENT ROW EXCLUDE GROUP), sum(y) OVER (ROWS UNBOUNDED PRECEDING EXCLUDE TIES) FROM t");
	PRINTS("SELECT sum(x) OVER w, avg(x) OVER (w ORDER BY y) FROM t WINDOW w AS (PARTITION BY z), v AS (w ROWS 1 PRECEDING)",
	       "SELECT sum(x) OVER w, avg(x) OVER (w ORDER BY y) FROM t WINDOW w AS (PARTITION BY z), v AS (w ROWS 1 PRECEDING)");
	PRINTS("SELECT sum(x) OVER (rows) FROM t WINDOW rows AS ()",
	       "SELECT sum(x) OVER (\"rows\") FROM t WINDOW \"rows\" AS ()");
	FAILS("SELECT sum(x) OVER (ROWS 1) FROM t", "line 1, column 27: expected PRECEDING or FOLLOWING, found ')'");
	FAILS("SELECT sum(x) OVER (ROWS 1 PRECEDING EXCLUDE x) FROM t", "expected CURRENT ROW, GROUP, TIES or NO OTHERS");
}

TEST(from_and_joins)
{
	PRINTS("SELECT * FROM a.b.c AS x(p, q)", "SELECT * FROM a.b.c AS x(p, q)");
	PRINTS("SELECT * FROM t x", "SELECT * FROM t AS x");
	PRINTS("SELECT * FROM 'lake/x/*.parquet'", "SELECT * FROM 'lake/x/*.parquet'");
	PRINTS("SELECT * FROM 'data.csv' d", "SELECT * FROM 'data.csv' AS d");
	PRINTS("SELECT * FROM a JOIN b ON a.id = b.id", "SELECT * FROM a INNER JOIN b ON (a.id = b.id)");
	PRINTS("SELECT * FROM a INNER JOIN b USING (id, k)", "SELECT * FROM a INNER JOIN b USING (id, k)");
	PRINTS("SELECT * FROM a LEFT JOIN b ON x LEFT OUTER JOIN c ON y",
	       "SELECT * FROM (a LEFT JOIN b ON x) LEFT JOIN c ON y");
	PRINTS("SELECT * FROM a RIGHT OUTER JOIN b ON x FULL JOIN c ON y FULL OUTER JOIN d ON z",
	       "SELECT * FROM ((a RIGHT JOIN b ON x) FULL JOIN c ON y) FULL JOIN d ON z");
	PRINTS("SELECT * FROM a CROSS JOIN b, c", "SELECT * FROM a CROSS JOIN b, c");
	PRINTS("SELECT * FROM a NATURAL JOIN b NATURAL LEFT JOIN c",
	       "SELECT * FROM (a NATURAL INNER JOIN b) NATURAL LEFT JOIN c");
	PRINTS("SELECT * FROM t ASOF JOIN q ON t.k = q.k AND t.ts >= q.ts",
	       "SELECT * FROM t ASOF INNER JOIN q ON ((t.k = q.k) AND (t.ts >= q.ts))");
	PRINTS("SELECT * FROM t ASOF LEFT JOIN q USING (k, ts)", "SELECT * FROM t ASOF LEFT JOIN q USING (k, ts)");
	PRINTS("SELECT * FROM a SEMI JOIN b ON x ANTI JOIN c ON y POSITIONAL JOIN d",
	       "SELECT * FROM ((a SEMI JOIN b ON x) ANTI JOIN c ON y) POSITIONAL JOIN d");
	PRINTS("SELECT * FROM a JOIN (b JOIN c ON x) ON y", "SELECT * FROM a INNER JOIN (b INNER JOIN c ON x) ON y");
	PRINTS("SELECT * FROM (a JOIN b ON x) AS j", "SELECT * FROM (a INNER JOIN b ON x) AS j");
	PRINTS("SELECT * FROM ((a JOIN b ON x))", "SELECT * FROM a INNER JOIN b ON x");
	PRINTS("SELECT * FROM (SELECT 1) AS s(a), (SELECT 2) t", "SELECT * FROM (SELECT 1) AS s(a), (SELECT 2) AS t");
	PRINTS("SELECT * FROM ((SELECT 1) UNION ALL (SELECT 2)) u",
	       "SELECT * FROM ((SELECT 1) UNION ALL (SELECT 2)) AS u");
	PRINTS("SELECT * FROM ((SELECT 1) ORDER BY 1) u", "SELECT * FROM (SELECT 1 ORDER BY 1) AS u");
	PRINTS("SELECT * FROM (VALUES (1, 'a'), (2, 'b')) AS v(x, y)",
	       "SELECT * FROM (VALUES (1, 'a'), (2, 'b')) AS v(x, y)");
	PRINTS("SELECT * FROM VALUES (1), (2) v(x), t", "SELECT * FROM (VALUES (1), (2)) AS v(x), t");
	PRINTS("SELECT * FROM t, LATERAL (SELECT t.a) s, LATERAL unnest(t.l) u(x)",
	       "SELECT * FROM t, LATERAL (SELECT t.a) AS s, LATERAL unnest(t.l) AS u(x)");
	PRINTS("SELECT * FROM read_csv('a.csv', delim=',', header=true, types={'a': 'INT'}, columns := {'b': 'VARCHAR'})",
	       "SELECT * FROM read_csv('a.csv', delim := ',', header := TRUE, types := {'a': 'INT'}, columns := {'b': 'VARCHAR'})");
	PRINTS("SELECT * FROM read_csv('x', types = 'a=int', auto_detect => false)",
	       "SELECT * FROM read_csv('x', types := 'a=int', auto_detect := FALSE)");
	PRINTS("SELECT * FROM read_parquet(['a.parquet', 'b.parquet'], hive_partitioning = 1)",
	       "SELECT * FROM read_parquet(['a.parquet', 'b.parquet'], hive_partitioning := 1)");
	PRINTS("SELECT * FROM read_json('x.json'), read_avro('x.avro'), read_orc('x.orc')",
	       "SELECT * FROM read_json('x.json'), read_avro('x.avro'), read_orc('x.orc')");
	PRINTS("SELECT i FROM generate_series(1, 10, 2) AS g(i), range(3) r, unnest([1, 2]) u",
	       "SELECT i FROM generate_series(1, 10, 2) AS g(i), range(3) AS r, unnest([1, 2]) AS u");
	PRINTS("SELECT * FROM f()", "SELECT * FROM f()");
	FAILS("SELECT * FROM a JOIN b", "line 1, column 23: expected ON or USING, found end of input");
	FAILS("SELECT * FROM a NATURAL b", "expected JOIN, found 'b'");
	FAILS("SELECT * FROM a NATURAL CROSS JOIN b", "NATURAL and ASOF cannot be combined with CROSS JOIN");
	FAILS("SELECT * FROM LATERAL t", "LATERAL must be followed by a subquery or a table function");
	FAILS("SELECT * FROM ((SELECT 1) AS a) AS b", "already has an alias");
	FAILS("SELECT * FROM", "line 1, column 14: expected table name, file path, table function or subquery");
}

TEST(set_operations)
{
	PRINTS("SELECT 1 UNION SELECT 2", "(SELECT 1) UNION (SELECT 2)");
	PRINTS("SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3", "(SELECT 1) UNION ALL (SELECT 2) UNION ALL (SELECT 3)");
	PRINTS("SELECT 1 UNION DISTINCT SELECT 2", "(SELECT 1) UNION (SELECT 2)");
	PRINTS("SELECT 1 UNION SELECT 2 UNION ALL SELECT 3",
	       "((SELECT 1) UNION (SELECT 2)) UNION ALL (SELECT 3)");
	PRINTS("SELECT 1 UNION SELECT 2 INTERSECT SELECT 3",
	       "(SELECT 1) UNION ((SELECT 2) INTERSECT (SELECT 3))");
	PRINTS("SELECT 1 INTERSECT SELECT 2 UNION SELECT 3",
	       "((SELECT 1) INTERSECT (SELECT 2)) UNION (SELECT 3)");
	PRINTS("SELECT 1 EXCEPT SELECT 2 EXCEPT SELECT 3", "(SELECT 1) EXCEPT (SELECT 2) EXCEPT (SELECT 3)");
	PRINTS("SELECT 1 EXCEPT (SELECT 2 EXCEPT SELECT 3)",
	       "(SELECT 1) EXCEPT ((SELECT 2) EXCEPT (SELECT 3))");
	PRINTS("SELECT 1 INTERSECT ALL SELECT 2 EXCEPT ALL SELECT 3",
	       "((SELECT 1) INTERSECT ALL (SELECT 2)) EXCEPT ALL (SELECT 3)");
	PRINTS("SELECT a FROM t UNION ALL BY NAME SELECT b FROM u",
	       "(SELECT a FROM t) UNION ALL BY NAME (SELECT b FROM u)");
	PRINTS("SELECT 1 UNION SELECT 2 ORDER BY 1 LIMIT 3", "(SELECT 1) UNION (SELECT 2) ORDER BY 1 LIMIT 3");
	PRINTS("(SELECT 1 ORDER BY 1 LIMIT 1) UNION ALL (SELECT 2 LIMIT 2) ORDER BY 1",
	       "(SELECT 1 ORDER BY 1 LIMIT 1) UNION ALL (SELECT 2 LIMIT 2) ORDER BY 1");
	PRINTS("((SELECT 1))", "SELECT 1");
	PRINTS("VALUES (1, 2), (3, 4)", "VALUES (1, 2), (3, 4)");
	PRINTS("VALUES (1) UNION SELECT 2", "(VALUES (1)) UNION (SELECT 2)");
	FAILS("VALUES (1, 2), (3)", "line 1, column 16: VALUES rows must have the same number of values: row 2 has 1");
	FAILS("(SELECT 1 ORDER BY 1) ORDER BY 1", "line 1, column 23: multiple ORDER BY clauses");
	FAILS("SELECT 1 UNION", "expected SELECT, VALUES or '('");
	FAILS("SELECT 1 ORDER BY 1 UNION SELECT 2", "expected ';' or end of input, found 'UNION'");

	struct tarn_arena a;
	tarn_arena_init(&a, 0);
	struct sql_stmt *s = parse1(&a, "SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 "
					 "UNION ALL SELECT 5");
	REQUIRE(s);
	CHECK(s->query->kind == SQL_QUERY_SETOP && s->query->n_args == 5 && s->query->all &&
	      s->query->op == SQL_SETOP_UNION);
	tarn_arena_free(&a);
}

TEST(with_queries)
{
	PRINTS("WITH a AS (SELECT 1), b (x, y) AS (SELECT 2, 3) SELECT * FROM a, b",
	       "WITH a AS (SELECT 1), b (x, y) AS (SELECT 2, 3) SELECT * FROM a, b");
	PRINTS("WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM t WHERE n < 5) SELECT n FROM t",
	       "WITH RECURSIVE t (n) AS ((SELECT 1) UNION ALL (SELECT (n + 1) FROM t WHERE (n < 5))) SELECT n FROM t");
	PRINTS("WITH a AS MATERIALIZED (SELECT 1), b AS NOT MATERIALIZED (SELECT 2) SELECT 3",
	       "WITH a AS MATERIALIZED (SELECT 1), b AS NOT MATERIALIZED (SELECT 2) SELECT 3");
	PRINTS("WITH a AS (SELECT 1) SELECT 1 UNION SELECT 2 ORDER BY 1",
	       "WITH a AS (SELECT 1) (SELECT 1) UNION (SELECT 2) ORDER BY 1");
	PRINTS("SELECT * FROM (WITH a AS (SELECT 1) SELECT * FROM a) s",
	       "SELECT * FROM (WITH a AS (SELECT 1) SELECT * FROM a) AS s");
	FAILS("WITH a AS (SELECT 1) (WITH b AS (SELECT 2) SELECT 3)", "multiple WITH clauses");
	FAILS("WITH a (SELECT 1) SELECT 2", "line 1, column 9: expected column name, found 'SELECT'");
	FAILS("WITH a SELECT 2", "expected AS, found 'SELECT'");
}

TEST(statements)
{
	PRINTS("EXPLAIN SELECT 1", "EXPLAIN SELECT 1");
	PRINTS("EXPLAIN ANALYZE SELECT * FROM t", "EXPLAIN ANALYZE SELECT * FROM t");
	PRINTS("COPY (SELECT * FROM t) TO 'out.parquet' (FORMAT parquet, PARTITION_BY (year, month), COMPRESSION zstd)",
	       "COPY (SELECT * FROM t) TO 'out.parquet' (FORMAT parquet, PARTITION_BY (year, month), COMPRESSION zstd)");
	PRINTS("COPY t TO 'x.csv' WITH (HEADER, DELIMITER '|', NULL 'NA', QUOTE '\"', FORMAT 'csv')",
	       "COPY t TO 'x.csv' (HEADER, DELIMITER '|', NULL 'NA', QUOTE '\"', FORMAT 'csv')");
	PRINTS("COPY t (a, b) FROM 'x.csv' (AUTO_DETECT true, header = false, row_group_size 100000)",
	       "COPY t (a, b) FROM 'x.csv' (AUTO_DETECT TRUE, header FALSE, row_group_size 100000)");
	PRINTS("COPY t FROM STDIN", "COPY t FROM STDIN");
	PRINTS("COPY t TO 'x' (A (1), B = (1), C 1 + 2, D = (1, 2), E (1, 2), F = (x)[1], G x[1])",
	       "COPY t TO 'x' (A (1), B 1, C = (1 + 2), D = (1, 2), E (1, 2), F x[1], G x[1])");
	PRINTS("COPY s.t TO STDOUT (FORMAT csv, HEADER on)", "COPY s.t TO STDOUT (FORMAT csv, HEADER \"on\")");
	PRINTS("CREATE VIEW v AS SELECT 1", "CREATE VIEW v AS SELECT 1");
	PRINTS("CREATE OR REPLACE VIEW s.v (a, b) AS SELECT 1, 2", "CREATE OR REPLACE VIEW s.v (a, b) AS SELECT 1, 2");
	PRINTS("CREATE VIEW IF NOT EXISTS v AS SELECT 1", "CREATE VIEW IF NOT EXISTS v AS SELECT 1");
	PRINTS("CREATE TABLE t AS SELECT * FROM 'x.csv'", "CREATE TABLE t AS SELECT * FROM 'x.csv'");
	PRINTS("CREATE OR REPLACE TABLE t AS (SELECT 1)", "CREATE OR REPLACE TABLE t AS SELECT 1");
	PRINTS("CREATE TABLE IF NOT EXISTS t (a, b) AS VALUES (1, 2)", "CREATE TABLE IF NOT EXISTS t (a, b) AS VALUES (1, 2)");
	PRINTS("CREATE TEMP TABLE t (id BIGINT PRIMARY KEY, name VARCHAR(20) NOT NULL, price DECIMAL(10, 2) DEFAULT 0, "
	       "tags VARCHAR[] NULL, u INT UNIQUE, ts TIMESTAMP WITH TIME ZONE)",
	       "CREATE TEMPORARY TABLE t (id BIGINT PRIMARY KEY, name VARCHAR(20) NOT NULL, price DECIMAL(10, 2) "
	       "DEFAULT 0, tags VARCHAR[], u INTEGER UNIQUE, ts TIMESTAMP WITH TIME ZONE)");
	PRINTS("INSERT INTO t VALUES (1, 'a'), (2, 'b')", "INSERT INTO t VALUES (1, 'a'), (2, 'b')");
	PRINTS("INSERT INTO t (a, b) SELECT x, y FROM u", "INSERT INTO t (a, b) SELECT x, y FROM u");
	PRINTS("INSERT INTO t (SELECT 1)", "INSERT INTO t SELECT 1");
	PRINTS("INSERT INTO t DEFAULT VALUES", "INSERT INTO t DEFAULT VALUES");
	PRINTS("INSERT INTO t WITH a AS (SELECT 1) SELECT * FROM a", "INSERT INTO t WITH a AS (SELECT 1) SELECT * FROM a");
	PRINTS("DROP TABLE t", "DROP TABLE t");
	PRINTS("DROP TABLE IF EXISTS a, s.b CASCADE", "DROP TABLE IF EXISTS a, s.b CASCADE");
	PRINTS("DROP VIEW v RESTRICT", "DROP VIEW v");
	PRINTS("SET threads = 4", "SET threads = 4");
	PRINTS("SET memory_limit TO '1GB'", "SET memory_limit = '1GB'");
	PRINTS("SET SESSION search_path = a, b", "SET SESSION search_path = a, b");
	PRINTS("SET s3.region = 'eu-west-1'", "SET s3.region = 'eu-west-1'");
	PRINTS("SET x = DEFAULT", "SET x = DEFAULT");
	PRINTS("SET TIME ZONE 'UTC'", "SET timezone = 'UTC'");
	PRINTS("SET enable_progress_bar = on", "SET enable_progress_bar = \"on\"");
	PRINTS("RESET threads", "RESET threads");
	PRINTS("RESET ALL", "RESET ALL");
	PRINTS("SHOW TABLES", "SHOW TABLES");
	PRINTS("SHOW ALL TABLES", "SHOW ALL TABLES");
	PRINTS("SHOW DATABASES", "SHOW DATABASES");
	PRINTS("SHOW threads", "SHOW threads");
	PRINTS("DESCRIBE t", "DESCRIBE t");
	PRINTS("DESCRIBE s.t", "DESCRIBE s.t");
	PRINTS("DESCRIBE SELECT 1 AS x", "DESCRIBE SELECT 1 AS x");
	PRINTS("select 1; select 2;; ;select 3", "SELECT 1;\nSELECT 2;\nSELECT 3;\n");
	PRINTS("", "");
	PRINTS(" ; -- nothing\n ; /* at all */", "");
	FAILS(".tables", "line 1, column 1: dot commands such as .tables belong to the tarn sql shell");
	FAILS("FOO", "expected a statement (SELECT, WITH, VALUES, EXPLAIN, COPY, CREATE, INSERT, DROP, "
		     "SET, RESET, SHOW or DESCRIBE), found 'FOO'");
	FAILS("COPY t TO out.csv", "expected a file path string or STDOUT, found 'out'");
	FAILS("COPY (SELECT 1) FROM 'x'", "expected TO after COPY (query), found 'FROM'");
	FAILS("CREATE INDEX i ON t (a)", "expected VIEW or TABLE, found 'INDEX'");
	FAILS("CREATE OR REPLACE TABLE IF NOT EXISTS t AS SELECT 1", "line 1, column 25: OR REPLACE and IF NOT EXISTS cannot be combined");
	FAILS("CREATE TABLE t", "expected AS or a column list, found end of input");
	CHECK(fails_with("CREATE TABLE t (a INT, PRIMARY KEY (a))", 39, TARN_EUNSUPPORTED,
			 "table constraints are not supported"));
	FAILS("INSERT INTO t", "expected a query, VALUES or DEFAULT VALUES, found end of input");
	FAILS("DROP t", "expected TABLE or VIEW, found 't'");
	FAILS("SET x", "expected '=' or TO, found end of input");
	FAILS("SELECT 1 SELECT 2", "line 1, column 10: expected ';' or end of input, found 'SELECT'");
}

TEST(statement_ast)
{
	struct tarn_arena a;
	tarn_arena_init(&a, 0);
	const char *text = "SELECT 1;\n  COPY (SELECT a FROM t) TO 'out/x.parquet' (FORMAT parquet, PARTITION_BY (a, b), COMPRESSION 'zstd') ;";
	struct tarn_err err;
	tarn_err_clear(&err);
	struct sql_script *s;
	REQUIRE(sql_parse(text, strlen(text), &a, &s, &err) == TARN_OK);
	REQUIRE(s->n == 2);
	CHECK(s->stmts[0]->loc == 0 && s->stmts[0]->end == 8);
	struct sql_stmt *c = s->stmts[1];
	CHECK(c->kind == SQL_STMT_COPY && c->loc == 12 && text[c->end - 1] == ')');
	CHECK(c->copy.query && !c->copy.from && strcmp(c->copy.path, "out/x.parquet") == 0);
	REQUIRE(c->copy.n_opts == 3);
	CHECK(name_is(&c->copy.opts[0].key, "FORMAT") && c->copy.opts[0].value->kind == SQL_EXPR_NAME &&
	      name_is(&c->copy.opts[0].value->name.parts[0], "parquet"));
	CHECK(c->copy.opts[1].is_list && c->copy.opts[1].n_list == 2);
	CHECK(c->copy.opts[2].value->kind == SQL_EXPR_LITERAL &&
	      strcmp(c->copy.opts[2].value->lit.text, "zstd") == 0);
	CHECK(s->text != text && memcmp(s->text, text, s->len) == 0 && s->len == strlen(text));

	struct sql_stmt *t = parse1(&a, "CREATE TABLE t (id INT NOT NULL, d DATE DEFAULT DATE '2020-01-01')");
	REQUIRE(t && t->kind == SQL_STMT_CREATE_TABLE && t->create.n_defs == 2);
	CHECK(t->create.defs[0].not_null && t->create.defs[0].type->id == SQL_TYPE_INTEGER);
	CHECK(t->create.defs[1].default_value->kind == SQL_EXPR_CAST);

	t = parse1(&a, "SET LOCAL a.b TO 1, 'x'");
	REQUIRE(t && t->kind == SQL_STMT_SET);
	CHECK(t->set.scope == SQL_SET_LOCAL && t->set.name.n == 2 && t->set.n_values == 2);
	t = parse1(&a, "EXPLAIN ANALYZE DESCRIBE t");
	REQUIRE(t && t->kind == SQL_STMT_EXPLAIN && t->explain.analyze);
	CHECK(t->explain.stmt->kind == SQL_STMT_DESCRIBE && name_is(&t->explain.stmt->describe.name.parts[0], "t"));
	tarn_arena_free(&a);
}

TEST(expression_ast)
{
	struct tarn_arena a;
	tarn_arena_init(&a, 0);
	struct sql_stmt *s = parse1(&a, "SELECT t.a.b, \"Q\", x[1:2], count(*) FILTER (WHERE y) OVER w, "
					 "? + ?, INTERVAL 2 HOUR, CAST(z AS STRUCT(k INT)) FROM t");
	REQUIRE(s);
	struct sql_select_item *it = s->query->select->items;
	REQUIRE(s->query->select->n_items == 7);
	CHECK(it[0].expr->kind == SQL_EXPR_NAME && it[0].expr->name.n == 3 && it[0].expr->loc == 7);
	CHECK(it[1].expr->kind == SQL_EXPR_NAME && it[1].expr->name.parts[0].quoted &&
	      name_is(&it[1].expr->name.parts[0], "Q"));
	CHECK(it[2].expr->kind == SQL_EXPR_SLICE && it[2].expr->slice.lo && it[2].expr->slice.hi);
	struct sql_func *f = &it[3].expr->func;
	CHECK(it[3].expr->kind == SQL_EXPR_FUNC && f->star && f->filter && f->over && f->over->bare_ref &&
	      name_is(&f->over->ref, "w"));
	struct sql_expr *plus = it[4].expr;
	CHECK(plus->kind == SQL_EXPR_BINARY && plus->binary.op == SQL_OP_ADD &&
	      plus->binary.l->param.index == 1 && plus->binary.r->param.index == 2 &&
	      plus->binary.r->param.anon);
	CHECK(s->n_params == 2);
	CHECK(it[5].expr->kind == SQL_EXPR_INTERVAL && it[5].expr->interval.unit == SQL_IV_HOUR);
	CHECK(it[6].expr->cast.type->id == SQL_TYPE_STRUCT);
	s = parse1(&a, "SELECT $3 + $1");
	REQUIRE(s);
	CHECK(s->n_params == 3);
	tarn_arena_free(&a);
	FAILS("SELECT ?, $1", "line 1, column 11: cannot mix ? and $n parameters");
	FAILS("SELECT $0", "parameter $0 is out of range (1..65535)");
	FAILS("SELECT $65536", "out of range");
	FAILS("SELECT $1a", "invalid parameter");
	FAILS("SELECT $$x$$", "dollar-quoted strings are not supported");
}

/* ---- errors and limits ---------------------------------------------------------------- */

TEST(error_positions)
{
	FAILS("SELECT a,\n  b\n  FROM t WHERE", "line 3, column 15: expected expression, found end of input");
	FAILS("SELECT 'é', x FROM t WHERE x = )", "line 1, column 32: expected expression, found ')'");
	FAILS("SELECT\tx\tFROM\tt\tWHERE\t)", "line 1, column 23: expected expression, found ')'");
	/* The caret sits under the offending token, tabs kept so it lines up. */
	CHECK(fails_with("SELECT\t(1 +)", 12, TARN_EDATA,
			 "syntax error at line 1, column 12: expected expression, found ')'\n"
			 "  SELECT\t(1 +)\n"
			 "        \t    ^"));
	CHECK(fails_with("SELECT 1\nFROM t WHERE a = 'open", 31, TARN_EDATA,
			 "line 2, column 18: unterminated string literal\n  FROM t WHERE a = 'open\n"
			 "                   ^"));
	FAILS("SELECT \"open", "line 1, column 8: unterminated quoted identifier");
	FAILS("SELECT 1 /* a /* b */", "line 1, column 10: unterminated /* comment");
	FAILS("SELECT 1 -- fine\n, 'x", "line 2, column 3: unterminated string literal");
	FAILS("SELECT a FROM t WHERE b = 'x' 'y'", "expected ';' or end of input, found string 'y'");
	FAILS("SELECT ! 1", "unexpected character '!'");
	FAILS("SELECT @x", "unexpected character '@'");
	FAILS("SELECT 1 \x01", "unexpected character U+0001");
	FAILS("SELECT CAST(1 AS)", "line 1, column 17: expected type name, found ')'");
	FAILS("SELECT CASE END", "expected WHEN, found 'END'");
	FAILS("SELECT count(*) FILTER (x > 1) FROM t", "expected WHERE, found 'x'");
	FAILS("SELECT EXISTS (1)", "expected a query after EXISTS (, found '1'");
	FAILS("SELECT INTERVAL 3", "expected an interval unit (YEAR, MONTH, DAY, HOUR, MINUTE, SECOND, ...)");
	FAILS("SELECT ARRAY(SELECT 1)", "ARRAY(subquery) is not supported");
	FAILS("SELECT (1", "expected ')', found end of input");
	FAILS("SELECT x IS 5", "expected NULL, TRUE, FALSE, UNKNOWN or DISTINCT FROM, found '5'");
	FAILS("SELECT a FROM t GROUP a", "expected BY, found 'a'");
	FAILS("SELECT 'a very long string literal that is cut in the message' 'b'", "");
	/* A long line is cut to a window around the column. */
	char longsql[600];
	snprintf(longsql, sizeof longsql, "SELECT %0300d + ) FROM t", 0);
	CHECK(fails_with(longsql, strlen(longsql), TARN_EDATA, "column 311: expected expression"));
	CHECK(fails_with(longsql, strlen(longsql), TARN_EDATA, "')'\n  ...000000"));
	CHECK(fails_with(longsql, strlen(longsql), TARN_EDATA, "000 + ) FROM t\n"));
	/* Bad bytes in the text. */
	CHECK(fails_with("SELECT 1\0", 9, TARN_EDATA, "line 1, column 9: NUL byte in SQL text"));
	CHECK(fails_with("SELECT '\xff'", 10, TARN_EDATA, "line 1, column 9: invalid UTF-8 (byte 0xff)"));
	uint32_t line, col;
	sql_loc_linecol("ab\ncé\nx", 8, 6, &line, &col);
	CHECK(line == 2 && col == 3);
	sql_loc_linecol("ab", 2, 99, &line, &col);
	CHECK(line == 1 && col == 3);
}

TEST(limits)
{
	/* ~1000 levels are fine (the statement and query take a few), more are a
	 * clear ELIMIT error, never a crash. */
	size_t cap = 256 << 10;
	char *sql = malloc(cap);
	REQUIRE(sql);
	int n = sprintf(sql, "SELECT ");
	for (int i = 0; i < 990; i++)
		sql[n++] = '(';
	sql[n++] = '1';
	for (int i = 0; i < 990; i++)
		sql[n++] = ')';
	sql[n] = '\0';
	CHECK_STR(norm(sql), "SELECT 1");
	const char *deep[] = {"(", "NOT ", "- ", "[", "(SELECT ", "STRUCT(a ", "::int", "[1]",
			      "CASE WHEN x THEN ", "{'a': ", "f(", "EXISTS (SELECT ", "x IN ("};
	const char *start[] = {"", "", "", "", "", "CAST(x AS ", "x", "x", "", "", "", "", ""};
	for (size_t k = 0; k < sizeof deep / sizeof deep[0]; k++) {
		n = sprintf(sql, "SELECT %s", start[k]);
		for (int i = 0; i < 5000; i++)
			n += sprintf(sql + n, "%s", deep[k]);
		CHECK(fails_with(sql, (size_t)n, TARN_ELIMIT,
				 k == 0 ? "nested too deeply (more than 2100 levels of parentheses)"
					: "nested too deeply (more than 1000 levels of operators"));
	}
	/* Grouping parentheses have their own, larger budget (the printer adds
	 * them), in expressions, queries and FROM. */
	const char *group[][3] = {{"SELECT ", "(", "1"}, {"", "(", "SELECT 1"},
				  {"SELECT * FROM ", "(", "a JOIN b ON x"}};
	for (size_t k = 0; k < 3; k++) {
		for (int depth = 2050; depth <= 2150; depth += 100) {
			n = sprintf(sql, "%s", group[k][0]);
			for (int i = 0; i < depth; i++)
				sql[n++] = '(';
			n += sprintf(sql + n, "%s", group[k][2]);
			for (int i = 0; i < depth; i++)
				sql[n++] = ')';
			sql[n] = '\0';
			if (depth < SQL_MAX_PARENS)
				CHECK(norm(sql)[0] == 'S');
			else
				CHECK(fails_with(sql, (size_t)n, TARN_ELIMIT, "levels of parentheses"));
		}
	}
	/* Left-deep chains count too, except AND/OR, UNION runs and lists. */
	n = sprintf(sql, "SELECT 1");
	for (int i = 0; i < 2000; i++)
		n += sprintf(sql + n, " + 1");
	CHECK(fails_with(sql, (size_t)n, TARN_ELIMIT, "nested too deeply"));
	n = sprintf(sql, "SELECT 1 FROM t WHERE a = 0");
	for (int i = 0; i < 3000; i++)
		n += sprintf(sql + n, " OR a = %d", i);
	CHECK(norm(sql)[0] == 'S');
	n = sprintf(sql, "SELECT 0");
	for (int i = 0; i < 3000; i++)
		n += sprintf(sql + n, " UNION ALL SELECT %d", i);
	CHECK(norm(sql)[0] == '(');
	n = sprintf(sql, "SELECT x IN (0");
	for (int i = 0; i < 5000; i++)
		n += sprintf(sql + n, ",%d", i);
	sprintf(sql + n, ")");
	CHECK(norm(sql)[0] == 'S');
	free(sql);

	/* Text size: 16 MiB is the cap. */
	size_t big = SQL_MAX_TEXT + 1;
	char *huge = malloc(big);
	REQUIRE(huge);
	memset(huge, ' ', big);
	memcpy(huge, "SELECT 1", 8);
	CHECK(fails_with(huge, big, TARN_ELIMIT, "the limit is 16777216 bytes (16 MiB)"));
	struct tarn_arena a;
	tarn_arena_init(&a, 0);
	struct sql_script *s;
	CHECK(sql_parse(huge, SQL_MAX_TEXT, &a, &s, NULL) == TARN_OK && s->n == 1);
	tarn_arena_free(&a);
	free(huge);
}

TEST(out_of_memory)
{
	/* Failing the Nth allocation gives ENOMEM (or success), never a crash or
	 * a leak (the ASan run checks leaks). */
	const char *sql = "WITH a AS (SELECT 1) SELECT x::INT[], 'it''s', E'\\n', f(y ORDER BY z) "
			  "FROM a JOIN b USING (k) WHERE c IN (1, 2) GROUP BY ROLLUP(x)";
	int ok = 0;
	for (int k = 0; k < 200; k++) {
		struct tarn_arena a;
		tarn_arena_init(&a, 256);
		struct tarn_err err;
		tarn_err_clear(&err);
		struct sql_script *s;
		tarn_mem_fail_after(k);
		tarn_rc rc = sql_parse(sql, strlen(sql), &a, &s, &err);
		tarn_mem_fail_after(-1);
		CHECK(rc == TARN_OK || (rc == TARN_ENOMEM && err.rc == TARN_ENOMEM &&
					strstr(err.msg, "out of memory")));
		ok += rc == TARN_OK;
		tarn_arena_free(&a);
	}
	CHECK(ok > 0);
}

/* ---- TPC-H -------------------------------------------------------------------------- */

static char *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *buf = malloc(1 << 16);
	*n = buf ? fread(buf, 1, (1 << 16) - 1, f) : 0;
	fclose(f);
	if (buf)
		buf[*n] = '\0';
	return buf;
}

TEST(tpch)
{
	struct {
		const char *file;
		int stmts, items, from, group, order;
		bool limit;
	} q[] = {
		{"q01", 1, 10, 1, 2, 2, false}, {"q02", 1, 8, 5, 0, 4, true},
		{"q03", 1, 4, 3, 3, 2, true},	{"q04", 1, 2, 1, 1, 1, false},
		{"q05", 1, 2, 6, 1, 1, false},	{"q06", 1, 1, 1, 0, 0, false},
		{"q07", 1, 4, 1, 3, 3, false},	{"q08", 1, 2, 1, 1, 1, false},
		{"q09", 1, 3, 1, 2, 2, false},	{"q10", 1, 8, 4, 7, 1, true},
		{"q11", 1, 2, 3, 1, 1, false},	{"q12", 1, 3, 2, 1, 1, false},
		{"q13", 1, 2, 1, 1, 2, false},	{"q14", 1, 1, 2, 0, 0, false},
		{"q15", 1, 5, 2, 0, 1, false},	{"q15_view", 3, 0, 0, 0, 0, false},
		{"q16", 1, 4, 2, 3, 4, false},	{"q17", 1, 1, 2, 0, 0, false},
		{"q18", 1, 6, 3, 5, 2, true},	{"q19", 1, 1, 2, 0, 0, false},
		{"q20", 1, 2, 2, 0, 1, false},	{"q21", 1, 2, 4, 1, 2, true},
		{"q22", 1, 3, 1, 1, 1, false},
	};
	for (size_t i = 0; i < sizeof q / sizeof q[0]; i++) {
		char path[64];
		snprintf(path, sizeof path, "tests/sql/tpch/%s.sql", q[i].file);
		size_t n;
		char *text = slurp(path, &n);
		if (!text) {
			fprintf(stderr, "cannot read %s (run from the repository root)\n", path);
			CHECK(text != NULL);
			continue;
		}
		struct tarn_arena a;
		tarn_arena_init(&a, 0);
		struct tarn_err err;
		tarn_err_clear(&err);
		struct sql_script *s;
		tarn_rc rc = sql_parse(text, n, &a, &s, &err);
		if (rc != TARN_OK)
			fprintf(stderr, "%s: %s\n", path, err.msg);
		CHECK(rc == TARN_OK);
		if (rc == TARN_OK) {
			CHECK(s->n == q[i].stmts);
			if (q[i].stmts == 1) {
				struct sql_query *qq = s->stmts[0]->query;
				struct sql_select *sel = qq->select;
				CHECK(s->stmts[0]->kind == SQL_STMT_QUERY && qq->kind == SQL_QUERY_SELECT);
				CHECK(sel->n_items == q[i].items && sel->n_from == q[i].from &&
				      sel->n_group == q[i].group && qq->n_order == q[i].order &&
				      (qq->limit != NULL) == q[i].limit);
			} else {
				CHECK(s->stmts[0]->kind == SQL_STMT_CREATE_VIEW &&
				      s->stmts[1]->kind == SQL_STMT_QUERY && s->stmts[2]->kind == SQL_STMT_DROP);
			}
			struct tarn_buf b;
			tarn_buf_init(&b);
			CHECK(sql_print_script(s, &b) == TARN_OK && stable(b.data, b.len));
			tarn_buf_free(&b);
		}
		tarn_arena_free(&a);
		free(text);
	}
	/* Q15's CTE and view forms print the same query body. */
	CHECK_CONTAINS(norm("with revenue0 (supplier_no, total_revenue) as (select 1) select * from revenue0"),
		       "WITH revenue0 (supplier_no, total_revenue) AS (SELECT 1) SELECT * FROM revenue0");
}

TEST(tpch_speed)
{
	/* Microseconds per query, not milliseconds: a loose bound so a slow CI
	 * machine or a sanitizer build still passes, while a quadratic slip
	 * would not. */
	size_t n;
	char *text = slurp("tests/sql/tpch/q02.sql", &n);
	REQUIRE(text);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int reps = 2000;
	for (int r = 0; r < reps; r++) {
		struct tarn_arena a;
		tarn_arena_init(&a, 0);
		struct sql_script *s;
		CHECK(sql_parse(text, n, &a, &s, NULL) == TARN_OK);
		tarn_arena_free(&a);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double us = ((double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec)) / 1e3 / reps;
	CHECK(us < 1000);
	free(text);
}

/* Every `statement ok` and `query` record in the engine's sqllogictest files
 * (the .test files in tests/sql/) must parse and print stably: the parser keeps up with
 * the SQL the engine is tested with. */
TEST(sqllogic_files_parse)
{
	DIR *d = opendir("tests/sql");
	REQUIRE(d);
	struct dirent *de;
	int files = 0, records = 0;
	while ((de = readdir(d)) != NULL) {
		size_t nl = strlen(de->d_name);
		if (nl < 5 || strcmp(de->d_name + nl - 5, ".test") != 0)
			continue;
		char path[512];
		snprintf(path, sizeof path, "tests/sql/%s", de->d_name);
		FILE *f = fopen(path, "r");
		if (!f)
			continue;
		files++;
		char line[8192];
		struct tarn_buf sql;
		tarn_buf_init(&sql);
		bool in_sql = false, check = false;
		int lineno = 0, start = 0;
		for (;;) {
			char *got = fgets(line, sizeof line, f);
			lineno += got != NULL;
			bool end = !got || line[0] == '\n' || strncmp(line, "----", 4) == 0;
			if (in_sql && end) {
				if (check) {
					records++;
					struct tarn_arena a;
					tarn_arena_init(&a, 0);
					struct tarn_err err;
					tarn_err_clear(&err);
					struct sql_script *s;
					if (sql_parse(sql.data, sql.len, &a, &s, &err) != TARN_OK) {
						fprintf(stderr, "%s:%d: %s\n", path, start, err.msg);
						CHECK(false);
					} else {
						struct tarn_buf b;
						tarn_buf_init(&b);
						CHECK(sql_print_script(s, &b) == TARN_OK && stable(b.data, b.len));
						tarn_buf_free(&b);
					}
					tarn_arena_free(&a);
				}
				in_sql = false;
				sql.len = 0;
			} else if (in_sql) {
				CHECK(tarn_buf_append(&sql, line, strlen(line)) == TARN_OK);
			} else if (got && (strncmp(line, "statement ", 10) == 0 ||
					   strncmp(line, "query ", 6) == 0)) {
				in_sql = true;
				check = strncmp(line, "statement error", 15) != 0;
				start = lineno + 1;
			}
			if (!got)
				break;
		}
		tarn_buf_free(&sql);
		fclose(f);
	}
	closedir(d);
	/* The directory may be empty in a checkout without the engine's tests;
	 * when it has files, they must have contributed records. */
	CHECK(files == 0 || records > 0);
}

/* ---- DuckDB as the reference ------------------------------------------------------ */

static void json_string(struct tarn_buf *b, const char *s, size_t n)
{
	CHECK(tarn_buf_putc(b, '"') == TARN_OK);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\')
			CHECK(tarn_buf_printf(b, "\\%c", c) == TARN_OK);
		else if (c < 0x20)
			CHECK(tarn_buf_printf(b, "\\u%04x", c) == TARN_OK);
		else
			CHECK(tarn_buf_putc(b, (char)c) == TARN_OK);
	}
	CHECK(tarn_buf_putc(b, '"') == TARN_OK);
}

/* Appends [name, text, print(parse(text))] for a one-statement text. */
static void add_pair(struct tarn_buf *b, const char *name, const char *text, size_t n, bool *first)
{
	struct tarn_arena a;
	tarn_arena_init(&a, 0);
	struct tarn_err err;
	tarn_err_clear(&err);
	struct sql_script *s;
	struct tarn_buf out;
	tarn_buf_init(&out);
	if (sql_parse(text, n, &a, &s, &err) != TARN_OK || s->n != 1 ||
	    sql_print_stmt(s->stmts[0], &out) != TARN_OK) {
		fprintf(stderr, "%s does not parse: %s\n", name, err.msg);
		CHECK(false);
	} else {
		CHECK(tarn_buf_printf(b, "%s[", *first ? "" : ",\n") == TARN_OK);
		json_string(b, name, strlen(name));
		CHECK(tarn_buf_putc(b, ',') == TARN_OK);
		json_string(b, text, s->stmts[0]->end);
		CHECK(tarn_buf_putc(b, ',') == TARN_OK);
		json_string(b, out.data, out.len);
		CHECK(tarn_buf_putc(b, ']') == TARN_OK);
		*first = false;
	}
	tarn_buf_free(&out);
	tarn_arena_free(&a);
}

TEST(duckdb_agrees)
{
	/* Each query as written and as tarn prints it must give DuckDB the same
	 * answer: precedence, desugaring and printing checked against the
	 * engine tarn's dialect follows. (Hex literals, ~* and BETWEEN
	 * SYMMETRIC are left out: DuckDB lacks them.) */
	static const char *const queries[] = {
		"SELECT 1 + 2 * 3 - 4 / 2, 7 // 2 * 3, 2 ^ 3 ^ 2, -2 ^ 2, 2 * 3 ^ 2, 5 % 3 * 2, 1 + 4 // 2",
		"SELECT 'a' || 1 + 2, 1 | 2 + 3, 1 << 2 + 1, 6 & 3 | 8",
		"SELECT NOT 1 = 2, NOT true AND false, true OR false AND false, NULL IS NULL IS NULL, 1 + 1 IS NULL",
		"SELECT 1 IN (1) = true, 1 = 1 IN (true), 1 IN (1) IN (true), 1 IS NOT DISTINCT FROM 1 = true",
		"SELECT 1 BETWEEN 0 AND 2 AND true, 2 BETWEEN 1 + 1 AND 2 * 3 = true, 5 NOT BETWEEN 1 AND 3",
		"SELECT 'abc' LIKE 'a%' = true, 'abc' NOT LIKE 'b%', 'ABC' ILIKE 'a%', 'a_c' LIKE 'a\\_c' ESCAPE '\\', 'abc' SIMILAR TO 'a.*', 'abc' GLOB 'a*'",
		"SELECT 'abc' ~ 'b', 'abc' !~ 'x'",
		"SELECT -1::INTEGER, (-1)::VARCHAR, CAST('12' AS INTEGER) + 1, TRY_CAST('x' AS INTEGER), '5'::INTEGER * 2",
		"SELECT [1, 2, 3][2], [1, 2, 3][2:3], [1, 2, 3][:2], [1, 2, 3][2:], {'a': 1, 'b': 'x'}.b, ({'a': 1}).a, [[1, 2], [3]][2][1]",
		"SELECT substring('hello' FROM 2 FOR 3), substring('hello' FROM 3), substring('hello' FOR 2), TRIM(LEADING 'x' FROM 'xxabcxx'), TRIM(TRAILING 'x' FROM 'xxabcxx'), TRIM(BOTH 'x' FROM 'xxabcxx'), TRIM('  a  '), POSITION('c' IN 'abcd')",
		"SELECT EXTRACT(year FROM DATE '2020-05-17'), EXTRACT(month FROM TIMESTAMP '2020-05-17 10:00:00'), date_part('day', DATE '2020-05-17')",
		"SELECT DATE '2020-01-31' + INTERVAL 1 MONTH, DATE '1998-12-01' - INTERVAL '90' DAY, INTERVAL '2' MONTH, INTERVAL (1 + 2) DAY, TIMESTAMP '2020-01-01 00:00:00' + INTERVAL '1 day 2 hours'",
		"SELECT CASE WHEN 1 < 2 THEN 'a' ELSE 'b' END || 'c', CASE 2 WHEN 1 THEN 'x' WHEN 2 THEN 'y' END, coalesce(NULL, 3), nullif(4, 4)",
		"SELECT (1, 2) = (1, 2), ROW(1, 'a'), [1, 2] || [3]",
		"SELECT 3 = ANY (SELECT 3), 3 > ALL (SELECT 1 UNION SELECT 2), EXISTS (SELECT 1), NOT EXISTS (SELECT 1 WHERE false), (SELECT 42)",
		"SELECT x, sum(x) OVER (ORDER BY x ROWS BETWEEN 1 PRECEDING AND CURRENT ROW), row_number() OVER w, lag(x) OVER (w) FROM range(5) t(x) WINDOW w AS (ORDER BY x DESC) ORDER BY x",
		"SELECT g, count(*), sum(x) FILTER (WHERE x > 1), string_agg(x::VARCHAR, ',' ORDER BY x DESC) FROM (VALUES (1, 'a'), (2, 'a'), (3, 'b')) v(x, g) GROUP BY g ORDER BY g",
		"SELECT a, b, count(*) FROM (VALUES (1, 1), (1, 2), (2, 2)) t(a, b) GROUP BY ROLLUP(a, b) ORDER BY ALL",
		"SELECT a, b, count(*) FROM (VALUES (1, 1), (1, 2), (2, 2)) t(a, b) GROUP BY GROUPING SETS ((a), (b), ()) ORDER BY ALL",
		"SELECT a, count(*) FROM (VALUES (1, 1), (1, 2), (2, 2)) t(a, b) GROUP BY CUBE(a) ORDER BY ALL NULLS FIRST",
		"SELECT quantile_cont(x, 0.5), percentile_cont(0.5) WITHIN GROUP (ORDER BY x) FROM range(10) t(x)",
		"SELECT 1 UNION SELECT 2 INTERSECT SELECT 2 ORDER BY 1",
		"SELECT 1 UNION ALL SELECT 1 EXCEPT SELECT 2 ORDER BY 1",
		"(SELECT x FROM range(5) t(x) ORDER BY x DESC LIMIT 2) UNION ALL (SELECT 10) ORDER BY 1",
		"WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 5) SELECT sum(n) FROM r",
		"SELECT * FROM (VALUES (1, 'a'), (2, 'b')) v(x, y) JOIN (VALUES (1, 'c')) w(x, z) USING (x)",
		"SELECT * FROM (VALUES (1), (2)) a(x) LEFT JOIN (VALUES (1)) b(y) ON a.x = b.y ORDER BY x",
		"SELECT * FROM (VALUES (1), (2)) a(x) NATURAL JOIN (VALUES (2)) b(x)",
		"SELECT * FROM (VALUES (1), (2)) a(x) CROSS JOIN (VALUES ('p'), ('q')) b(y) ORDER BY ALL",
		"SELECT * EXCLUDE (y) FROM (VALUES (1, 2, 3)) t(x, y, z)",
		"SELECT * REPLACE (x * 10 AS x) FROM (VALUES (1, 2)) t(x, y)",
		"SELECT DISTINCT ON (g) g, x FROM (VALUES (1, 'a'), (2, 'a'), (3, 'b')) v(x, g) ORDER BY g, x DESC",
		"SELECT x FROM range(10) t(x) QUALIFY row_number() OVER (ORDER BY x DESC) <= 2 ORDER BY x",
		"SELECT x FROM range(10) t(x) ORDER BY x LIMIT 3 OFFSET 2",
		"SELECT x FROM range(10) t(x) ORDER BY x OFFSET 8 ROWS",
		"SELECT x FROM range(10) t(x) ORDER BY x FETCH FIRST 2 ROWS ONLY",
		"SELECT i FROM generate_series(1, 10, 3) g(i)",
		"SELECT u.x FROM unnest([3, 1, 2]) AS u(x) ORDER BY 1",
		"SELECT count(*) FROM range(3), range(4)",
		"SELECT 1e3, 1.5e-3, .5, -9223372036854775808, 'it''s', E'a\\tb'",
		"SELECT \"x\" FROM (SELECT 1 AS \"x\")",
		"SELECT date, value, name FROM (SELECT 1 AS date, 2 AS value, 3 AS name)",
		"SELECT NULL::INTEGER IS NULL, 1 ISNULL, 2 NOTNULL",
		"SELECT TIMESTAMPTZ '2020-01-01 00:00:00+00' = CAST('2020-01-01 00:00:00+00' AS TIMESTAMP WITH TIME ZONE)",
		"SELECT 3 IN (1, 2, 3), 4 NOT IN (SELECT 1), x FROM (SELECT 1 AS x) WHERE x IN ((SELECT 1))",
		"SELECT a, sum(b) FROM (VALUES (1, 2), (1, 3)) t(a, b) GROUP BY ALL",
		"SELECT 10 - 2 - 3, 100 / 10 / 5, 2 - -2, - - 3, -(-(3)), +4"
	};
	struct tarn_buf b;
	tarn_buf_init(&b);
	size_t n;
	char *setup = slurp("tests/sql/tpch/tiny_data.sql", &n);
	REQUIRE(setup);
	CHECK(tarn_buf_printf(&b, "{\"setup\": ") == TARN_OK);
	json_string(&b, setup, n);
	free(setup);
	CHECK(tarn_buf_printf(&b, ", \"pairs\": [") == TARN_OK);
	bool first = true;
	char name[64];
	for (size_t i = 0; i < sizeof queries / sizeof queries[0]; i++) {
		snprintf(name, sizeof name, "query %zu", i + 1);
		add_pair(&b, name, queries[i], strlen(queries[i]), &first);
	}
	for (int q = 1; q <= 22; q++) {
		char path[64];
		snprintf(path, sizeof path, "tests/sql/tpch/q%02d.sql", q);
		char *text = slurp(path, &n);
		REQUIRE(text);
		snprintf(name, sizeof name, "TPC-H Q%d", q);
		add_pair(&b, name, text, n, &first);
		free(text);
	}
	CHECK(tarn_buf_printf(&b, "]}\n") == TARN_OK);

	char path[] = "/tmp/tarn-sql-equiv.XXXXXX";
	int fd = mkstemp(path);
	REQUIRE(fd >= 0);
	FILE *f = fdopen(fd, "w");
	REQUIRE(f);
	CHECK(fwrite(b.data, 1, b.len, f) == b.len);
	fclose(f);
	tarn_buf_free(&b);
	char cmd[256];
	snprintf(cmd, sizeof cmd, "node tests/peers/sql_equiv.mjs %s 1>&2", path);
	int status = system(cmd);
	CHECK(status == 0);
	unlink(path);
}

int main(void)
{
	RUN(keyword_table);
	RUN(lexer_operators);
	RUN(strings_and_identifiers);
	RUN(numbers);
	RUN(precedence);
	RUN(predicates);
	RUN(calls_and_special_forms);
	RUN(literals_and_nested_values);
	RUN(types);
	RUN(type_mapping);
	RUN(keywords_as_identifiers);
	RUN(select_clauses);
	RUN(group_by);
	RUN(windows);
	RUN(from_and_joins);
	RUN(set_operations);
	RUN(with_queries);
	RUN(statements);
	RUN(statement_ast);
	RUN(expression_ast);
	RUN(error_positions);
	RUN(limits);
	RUN(out_of_memory);
	RUN(tpch);
	RUN(tpch_speed);
	RUN(sqllogic_files_parse);
	RUN(duckdb_agrees);
	return unit_done();
}
