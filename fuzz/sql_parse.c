/*
 * sql_parse.c — fuzz target for the SQL front end (src/sql/).
 *
 * Each input is parsed as a script, as one expression and as one type.
 * Failures must be clean errors (EDATA, ELIMIT or EUNSUPPORTED, with a
 * message). Every successful parse must print, the printed text must parse
 * again, and printing that must give the same text (print(parse(x)) is a
 * fixed point). Types that parse are also mapped onto tarn's type tree.
 * Never crash, leak or hang; abort() on a broken invariant.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/mem.h"
#include "columnar/type.h"
#include "sql/parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_failure(tarn_rc rc, const struct tarn_err *err)
{
	if ((rc != TARN_EDATA && rc != TARN_ELIMIT && rc != TARN_EUNSUPPORTED) || err->rc != rc ||
	    err->msg[0] == '\0') {
		fprintf(stderr, "bad failure: rc %d, err rc %d: %s\n", rc, err->rc, err->msg);
		abort();
	}
}

static void script_roundtrip(const char *text, size_t size)
{
	struct tarn_arena a;
	tarn_arena_init(&a, 0);
	struct tarn_err err;
	tarn_err_clear(&err);
	struct sql_script *s;
	tarn_rc rc = sql_parse(text, size, &a, &s, &err);
	if (rc != TARN_OK) {
		check_failure(rc, &err);
		tarn_arena_free(&a);
		return;
	}
	struct tarn_buf b1, b2;
	tarn_buf_init(&b1);
	tarn_buf_init(&b2);
	if (sql_print_script(s, &b1) != TARN_OK || tarn_buf_cstr(&b1) != TARN_OK)
		abort();
	struct sql_script *s2;
	tarn_err_clear(&err);
	if (sql_parse(b1.data, b1.len, &a, &s2, &err) != TARN_OK) {
		fprintf(stderr, "printed text does not parse: %s\n--- printed:\n%s\n", err.msg, b1.data);
		abort();
	}
	if (s2->n != s->n)
		abort();
	if (sql_print_script(s2, &b2) != TARN_OK || tarn_buf_cstr(&b2) != TARN_OK)
		abort();
	if (b1.len != b2.len || memcmp(b1.data, b2.data, b1.len) != 0) {
		fprintf(stderr, "print is not a fixed point:\n1: %s\n2: %s\n", b1.data, b2.data);
		abort();
	}
	tarn_buf_free(&b1);
	tarn_buf_free(&b2);
	tarn_arena_free(&a);
}

static void expr_roundtrip(const char *text, size_t size)
{
	struct tarn_arena a;
	tarn_arena_init(&a, 0);
	struct tarn_err err;
	tarn_err_clear(&err);
	struct sql_expr *e;
	tarn_rc rc = sql_parse_expr(text, size, &a, &e, &err);
	if (rc != TARN_OK) {
		check_failure(rc, &err);
	} else {
		struct tarn_buf b1, b2;
		tarn_buf_init(&b1);
		tarn_buf_init(&b2);
		if (sql_print_expr(e, &b1) != TARN_OK || tarn_buf_cstr(&b1) != TARN_OK)
			abort();
		struct sql_expr *e2;
		if (sql_parse_expr(b1.data, b1.len, &a, &e2, &err) != TARN_OK) {
			fprintf(stderr, "printed expression does not parse: %s\n%s\n", err.msg, b1.data);
			abort();
		}
		if (sql_print_expr(e2, &b2) != TARN_OK || tarn_buf_cstr(&b2) != TARN_OK)
			abort();
		if (b1.len != b2.len || memcmp(b1.data, b2.data, b1.len) != 0) {
			fprintf(stderr, "print is not a fixed point:\n1: %s\n2: %s\n", b1.data, b2.data);
			abort();
		}
		tarn_buf_free(&b1);
		tarn_buf_free(&b2);
	}
	tarn_arena_free(&a);
}

static void type_roundtrip(const char *text, size_t size)
{
	struct tarn_arena a;
	tarn_arena_init(&a, 0);
	struct tarn_err err;
	tarn_err_clear(&err);
	struct sql_type *t;
	tarn_rc rc = sql_parse_type(text, size, &a, &t, &err);
	if (rc != TARN_OK) {
		check_failure(rc, &err);
	} else {
		struct tarn_type tt;
		tarn_err_clear(&err);
		rc = sql_type_to_tarn(t, text, size, &tt, &err);
		if (rc == TARN_OK)
			tarn_type_clear(&tt);
		else if (err.rc != rc || err.msg[0] == '\0')
			abort();
	}
	tarn_arena_free(&a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	script_roundtrip(text, size);
	if (size < 4096) {
		expr_roundtrip(text, size);
		type_roundtrip(text, size);
	}
	return 0;
}
