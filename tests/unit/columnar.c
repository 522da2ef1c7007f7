/*
 * columnar.c — unit tests for the columnar core and the base modules under
 * it: types and schemas (type.c), arrays, builders and batches (array.c),
 * the allocation hook and arenas (mem.c), capped buffers (buf.c), UTF-8
 * validation (utf8.c) and the worker pool (pool.c).
 */
#include <stdatomic.h>
#include <stdint.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/mem.h"
#include "base/pool.h"
#include "columnar/array.h"
#include "columnar/type.h"
#include "columnar/utf8.h"
#include "tarn.h"
#include "unit.h"

#define OK(x) REQUIRE((x) == TARN_OK)

/* Type text → type → text. */
static char *type_text(const struct tarn_type *t)
{
	struct tarn_buf b;
	tarn_buf_init(&b);
	if (tarn_type_to_text(t, &b) || tarn_buf_cstr(&b)) {
		tarn_buf_free(&b);
		return NULL;
	}
	return tarn_buf_steal(&b);
}

static bool reprint(const char *in, const char *want)
{
	struct tarn_type t;
	struct tarn_err err;
	tarn_err_clear(&err);
	if (tarn_type_parse(in, &t, &err)) {
		fprintf(stderr, "parse '%s': %s\n", in, err.msg);
		return false;
	}
	char *s = type_text(&t);
	bool ok = s && strcmp(s, want) == 0;
	if (!ok)
		fprintf(stderr, "'%s' printed as '%s', want '%s'\n", in, s ? s : "(null)", want);
	/* the canonical text parses back to an equal type */
	struct tarn_type t2;
	if (ok && tarn_type_parse(s, &t2, &err) == TARN_OK) {
		ok = tarn_type_equal(&t, &t2);
		tarn_type_clear(&t2);
	} else if (ok) {
		ok = false;
	}
	tarn_free(s);
	tarn_type_clear(&t);
	return ok;
}

/* ---- type.c ------------------------------------------------------------------ */

TEST(type_basics)
{
	CHECK(tarn_type_width(TARN_T_INT8) == 1 && tarn_type_width(TARN_T_UINT16) == 2);
	CHECK(tarn_type_width(TARN_T_DATE32) == 4 && tarn_type_width(TARN_T_TIMESTAMP) == 8);
	CHECK(tarn_type_width(TARN_T_DECIMAL128) == 16 && tarn_type_width(TARN_T_BOOL) == 0);
	CHECK(tarn_type_width(TARN_T_STRING) == 0 && tarn_type_width((enum tarn_type_id)99) == 0);
	CHECK(tarn_type_is_integer(TARN_T_UINT64) && !tarn_type_is_integer(TARN_T_FLOAT32));
	CHECK(tarn_type_is_signed(TARN_T_INT64) && !tarn_type_is_signed(TARN_T_UINT8));
	CHECK(tarn_type_is_nested(TARN_T_MAP) && !tarn_type_is_nested(TARN_T_STRING));
	CHECK_STR(tarn_type_id_name(TARN_T_FLOAT64), "float64");
	CHECK_STR(tarn_type_id_name((enum tarn_type_id)99), "?");
	CHECK_STR(tarn_time_unit_name(TARN_UNIT_NS), "ns");
	CHECK(tarn_time_unit_per_second(TARN_UNIT_MS) == 1000);
	CHECK(tarn_time_unit_per_second(TARN_UNIT_NS) == 1000000000);
	struct tarn_type t;
	tarn_type_init(&t, TARN_T_TIMESTAMP);
	CHECK(t.unit == TARN_UNIT_US && t.tz == NULL);
	tarn_type_init(&t, TARN_T_DECIMAL128);
	CHECK(t.precision == 38 && t.scale == 0);
	CHECK(t.arrow_storage == 0 && t.arrow_dict_index == 0);
}

TEST(type_text_round_trip)
{
	const char *canon[] = { "null", "bool", "int8", "int16", "int32", "int64", "uint8",
				"uint16", "uint32", "uint64", "float32", "float64", "string",
				"binary", "date32", "decimal(15,2)", "decimal(38,38)",
				"time64[s]", "time64[ns]", "timestamp[us]", "timestamp[ms, UTC]",
				"timestamp[ns, America/New_York]", "list<string>",
				"list<list<int64>>", "struct<a: int64, b: string>",
				"map<string, int64>", "map<int32, list<struct<x: bool>>>",
				"struct<>", "struct<Name: int64, camelCase: string>",
				("struct<\"with space\": int8, \"1st\": int8, \"q\\\"uote\": int8, "
				 "\"back\\\\slash\": int8, \"\": int8>"),
				"struct<\"tab\\u0009nl\\u000a\": int8>",
				"struct<\"ünï\": struct<inner: list<decimal(5,1)>>>" };
	for (size_t i = 0; i < sizeof canon / sizeof canon[0]; i++)
		CHECK(reprint(canon[i], canon[i]));
	/* aliases and spacing */
	CHECK(reprint("INT", "int32"));
	CHECK(reprint("bigint", "int64"));
	CHECK(reprint("double", "float64"));
	CHECK(reprint("real", "float32"));
	CHECK(reprint("text", "string"));
	CHECK(reprint("bytes", "binary"));
	CHECK(reprint("date", "date32"));
	CHECK(reprint("time", "time64[us]"));
	CHECK(reprint("datetime", "timestamp[us]"));
	CHECK(reprint("timestamptz", "timestamp[us, UTC]"));
	CHECK(reprint("numeric(10, 2)", "decimal(10,2)"));
	CHECK(reprint("decimal", "decimal(38,0)"));
	CHECK(reprint(" list < map<str,double> > ", "list<map<string, float64>>"));
	CHECK(reprint("array<int>", "list<int32>"));
	CHECK(reprint("struct<1a: int>", "struct<\"1a\": int32>")); /* lenient in, quoted out */
	CHECK(reprint("struct<a:int,b:struct<c:bool>>", "struct<a: int32, b: struct<c: bool>>"));
	/* a long field name is kept whole */
	char longname[400];
	memset(longname, 'n', 300);
	strcpy(longname + 300, ": int8>");
	char text[420] = "struct<";
	strcat(text, longname);
	struct tarn_type t;
	OK(tarn_type_parse(text, &t, NULL));
	CHECK(strlen(t.children[0].name) == 300);
	tarn_type_clear(&t);
	/* escapes decode */
	OK(tarn_type_parse("struct<\"a\\\"b\\u00e9\": int8>", &t, NULL));
	CHECK_STR(t.children[0].name, "a\"b\xc3\xa9");
	tarn_type_clear(&t);
}

TEST(type_parse_errors)
{
	const char *bad[] = { "",           "foo",         "decimal(0,0)",   "decimal(5,6)",
			      "decimal(39)", "list<int",    "list int",       "map<int>",
			      "struct<a int>", "int64 extra", "time[fortnight]", "timestamp[us",
			      "struct<\"open: int>", "struct<\"\\q\": int>",
			      "struct<\"\\ud800\": int>" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct tarn_type t;
		struct tarn_err err;
		tarn_err_clear(&err);
		tarn_rc rc = tarn_type_parse(bad[i], &t, &err);
		CHECK(rc == TARN_EUSAGE);
		if (rc == TARN_OK)
			tarn_type_clear(&t);
		CHECK_CONTAINS(err.msg, "bad type");
		CHECK_CONTAINS(err.msg, "column");
	}
	/* nesting limit */
	char deep[1200] = "";
	for (int i = 0; i < 100; i++)
		strcat(deep, "list<");
	strcat(deep, "int");
	for (int i = 0; i < 100; i++)
		strcat(deep, ">");
	struct tarn_type t;
	struct tarn_err err;
	tarn_err_clear(&err);
	CHECK(tarn_type_parse(deep, &t, &err) == TARN_EUSAGE);
	CHECK_CONTAINS(err.msg, "nested too deeply");
}

TEST(type_copy_equal_clear)
{
	struct tarn_type t, c;
	OK(tarn_type_parse("struct<a: list<timestamp[ns, UTC]>, m: map<string, decimal(9,3)>>", &t,
			   NULL));
	OK(tarn_type_copy(&c, &t));
	CHECK(tarn_type_equal(&t, &c));
	CHECK(c.children[0].type.children[0].type.tz != t.children[0].type.children[0].type.tz);
	/* differences that matter */
	c.children[0].type.children[0].type.unit = TARN_UNIT_US;
	CHECK(!tarn_type_equal(&t, &c));
	c.children[0].type.children[0].type.unit = TARN_UNIT_NS;
	c.children[1].nullable = false;
	CHECK(!tarn_type_equal(&t, &c));
	c.children[1].nullable = true;
	c.children[1].type.children[0].type.children[1].type.scale = 2;
	CHECK(!tarn_type_equal(&t, &c));
	c.children[1].type.children[0].type.children[1].type.scale = 3;
	CHECK(tarn_type_equal(&t, &c));
	/* the Arrow storage hints do not count */
	c.children[1].type.children[0].type.children[0].type.arrow_storage = TARN_ARROW_LARGE;
	CHECK(tarn_type_equal(&t, &c));
	tarn_type_clear(&c);
	CHECK(c.n_children == 0 && c.children == NULL);
	tarn_type_clear(&t);

	struct tarn_type a, b;
	OK(tarn_type_init_timestamp(&a, TARN_UNIT_S, "UTC"));
	OK(tarn_type_init_timestamp(&b, TARN_UNIT_S, NULL));
	CHECK(!tarn_type_equal(&a, &b));
	tarn_type_clear(&a);
	tarn_type_clear(&b);
}

TEST(type_constructors)
{
	struct tarn_type item, l;
	tarn_type_init(&item, TARN_T_INT16);
	OK(tarn_type_init_list(&l, &item, false));
	CHECK(item.id == TARN_T_NULL); /* moved out */
	CHECK(l.n_children == 1 && !l.children[0].nullable);
	CHECK_STR(l.children[0].name, "item");
	CHECK(l.children[0].type.id == TARN_T_INT16);
	struct tarn_type k, v, m;
	tarn_type_init(&k, TARN_T_STRING);
	OK(tarn_type_copy(&v, &l));
	OK(tarn_type_init_map(&m, &k, &v, true));
	CHECK_STR(m.children[0].name, "entries");
	CHECK(!m.children[0].nullable);
	const struct tarn_type *e = &m.children[0].type;
	CHECK(e->id == TARN_T_STRUCT && e->n_children == 2);
	CHECK_STR(e->children[0].name, "key");
	CHECK(!e->children[0].nullable && e->children[1].nullable);
	CHECK_STR(e->children[1].name, "value");
	char *txt = type_text(&m);
	CHECK_STR(txt, "map<string, list<int16>>");
	tarn_free(txt);
	struct tarn_type s;
	OK(tarn_type_init_struct(&s, 2));
	CHECK(s.children[0].nullable && s.children[0].type.id == TARN_T_NULL);
	OK(tarn_field_set_name(&s.children[0], "abcdef", 3));
	CHECK_STR(s.children[0].name, "abc");
	OK(tarn_field_set_note(&s.children[0], "a note"));
	OK(tarn_field_set_note(&s.children[0], NULL));
	CHECK(s.children[0].note == NULL);
	tarn_type_clear(&s);
	tarn_type_clear(&m);
	tarn_type_clear(&l);
	struct tarn_type d;
	tarn_type_init_decimal(&d, 7, 2);
	txt = type_text(&d);
	CHECK_STR(txt, "decimal(7,2)");
	tarn_free(txt);
}

TEST(schemas)
{
	struct tarn_schema *s;
	OK(tarn_schema_new(3, &s));
	CHECK(s->refs == 1 && s->fields[2].nullable);
	const char *names[] = { "id", "na\"me", "when" };
	const char *types[] = { "int64", "string", "timestamp[ms, UTC]" };
	for (int i = 0; i < 3; i++) {
		OK(tarn_field_set_name(&s->fields[i], names[i], strlen(names[i])));
		OK(tarn_type_parse(types[i], &s->fields[i].type, NULL));
	}
	s->fields[0].nullable = false;
	OK(tarn_field_set_note(&s->fields[1], "mixed \"x\"\n"));
	CHECK(tarn_schema_num_fields(s) == 3);
	CHECK_STR(tarn_schema_field_name(s, 1), "na\"me");
	CHECK(tarn_schema_field_name(s, 3) == NULL && tarn_schema_field_name(s, -1) == NULL);
	CHECK(tarn_schema_find(s, "when") == 2 && tarn_schema_find(s, "nope") == -1);
	CHECK(!tarn_schema_field_nullable(s, 0) && tarn_schema_field_nullable(s, 1));
	CHECK_STR(tarn_schema_field_note(s, 1), "mixed \"x\"\n");
	char buf[64];
	tarn_schema_field_type_text(s, 2, buf, sizeof buf);
	CHECK_STR(buf, "timestamp[ms, UTC]");
	tarn_schema_field_type_text(s, 2, buf, 6);
	CHECK_STR(buf, "times");
	tarn_schema_field_type_text(s, 9, buf, sizeof buf);
	CHECK_STR(buf, "");
	char *json;
	OK(tarn_schema_to_json(s, &json, NULL));
	CHECK_STR(json, "{\"fields\":[{\"name\":\"id\",\"type\":\"int64\",\"nullable\":false},"
			"{\"name\":\"na\\\"me\",\"type\":\"string\",\"nullable\":true,"
			"\"note\":\"mixed \\\"x\\\"\\u000a\"},"
			"{\"name\":\"when\",\"type\":\"timestamp[ms, UTC]\",\"nullable\":true}]}");
	tarn_free(json);
	struct tarn_schema *c;
	OK(tarn_schema_copy(s, &c));
	CHECK(tarn_schema_equal(s, c) && c != s && c->refs == 1);
	CHECK_STR(c->fields[1].note, "mixed \"x\"\n");
	OK(tarn_field_set_name(&c->fields[2], "then", 4));
	CHECK(!tarn_schema_equal(s, c));
	tarn_schema_ref(s);
	CHECK(s->refs == 2);
	tarn_schema_unref(s);
	tarn_schema_unref(s);
	tarn_schema_unref(c);
	tarn_schema_unref(NULL);
}

/* ---- array.c ------------------------------------------------------------------- */

static struct tarn_type *parsed(const char *text)
{
	struct tarn_type *t = tarn_calloc(1, sizeof *t);
	if (t && tarn_type_parse(text, t, NULL)) {
		tarn_free(t);
		return NULL;
	}
	return t;
}

static void type_free(struct tarn_type *t)
{
	if (t)
		tarn_type_clear(t);
	tarn_free(t);
}

TEST(array_lazy_validity)
{
	struct tarn_type *t = parsed("int32");
	REQUIRE(t);
	struct tarn_array *a;
	OK(tarn_array_new(t, 0, &a));
	for (int i = 0; i < 100; i++)
		OK(tarn_array_append_int(a, i));
	CHECK(a->validity == NULL && a->null_count == 0);
	OK(tarn_array_append_null(a));
	CHECK(a->validity != NULL && a->null_count == 1);
	for (int i = 0; i < 100; i++)
		CHECK(!tarn_array_is_null(a, i));
	CHECK(tarn_array_is_null(a, 100));
	/* growth after the bitmap exists: new rows valid, bits preserved */
	for (int i = 0; i < 1000; i++)
		OK(i % 7 == 0 ? tarn_array_append_null(a) : tarn_array_append_int(a, i));
	CHECK(a->length == 1101 && a->null_count == 1 + 143);
	CHECK(tarn_array_is_null(a, 101) && !tarn_array_is_null(a, 102));
	CHECK(tarn_array_get_int(a, 102) == 1);
	CHECK(tarn_array_validate(a, false, NULL) == TARN_OK);
	/* direct writes after a reserve (the parsers' hot path): rows count as
	 * valid without touching the bitmap */
	OK(tarn_array_reserve(a, 5000));
	CHECK(a->cap >= a->length + 5000);
	int32_t *v = (int32_t *)a->values;
	for (int i = 0; i < 5000; i++)
		v[a->length + i] = -i;
	a->length += 5000;
	for (int64_t i = 1101; i < a->length; i++)
		CHECK(!tarn_array_is_null(a, i));
	CHECK(tarn_array_validate(a, false, NULL) == TARN_OK);
	CHECK(tarn_array_get_int(a, 1101 + 4999) == -4999);
	/* set_null */
	OK(tarn_array_set_null(a, 5));
	OK(tarn_array_set_null(a, 5));
	CHECK(tarn_array_is_null(a, 5) && a->null_count == 145);
	/* reset keeps the buffers */
	int64_t cap = a->cap;
	tarn_array_reset(a);
	CHECK(a->length == 0 && a->null_count == 0 && a->validity == NULL && a->cap == cap);
	OK(tarn_array_append_int(a, 9));
	CHECK(tarn_array_get_int(a, 0) == 9 && !tarn_array_is_null(a, 0));
	tarn_array_free(a);
	type_free(t);
}

TEST(array_set_null_on_fresh_array)
{
	struct tarn_type *t = parsed("float64");
	REQUIRE(t);
	struct tarn_array *a;
	OK(tarn_array_new(t, 3, &a));
	OK(tarn_array_append_double(a, 1.25));
	OK(tarn_array_append_double(a, -2.5));
	OK(tarn_array_set_null(a, 0));
	CHECK(tarn_array_is_null(a, 0) && !tarn_array_is_null(a, 1));
	CHECK(tarn_array_get_double(a, 1) == -2.5);
	for (int i = 0; i < 200; i++)
		OK(tarn_array_append_double(a, i));
	CHECK(tarn_array_validate(a, false, NULL) == TARN_OK && a->null_count == 1);
	tarn_array_free(a);
	type_free(t);
}

TEST(array_widths_and_getters)
{
	const char *types[] = { "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32",
				"uint64", "date32", "time64[ns]", "timestamp[s]" };
	int64_t vals[] = { -128, -32768, INT32_MIN, INT64_MIN, 255, 65535, UINT32_MAX, -1, -3, 7, 8 };
	for (int i = 0; i < 11; i++) {
		struct tarn_type *t = parsed(types[i]);
		REQUIRE(t);
		struct tarn_array *a;
		OK(tarn_array_new(t, 1, &a));
		OK(tarn_array_append_int(a, vals[i]));
		OK(tarn_array_append_int(a, 1));
		if (t->id == TARN_T_UINT64) {
			CHECK(tarn_array_get_uint(a, 0) == UINT64_MAX);
			CHECK(tarn_array_get_double(a, 0) == 18446744073709551615.0);
		} else {
			CHECK(tarn_array_get_int(a, 0) == vals[i]);
		}
		CHECK(tarn_array_get_int(a, 1) == 1);
		tarn_array_free(a);
		type_free(t);
	}
	struct tarn_type *bt = parsed("bool");
	struct tarn_array *b;
	OK(tarn_array_new(bt, 0, &b));
	for (int i = 0; i < 130; i++)
		OK(i == 64 ? tarn_array_append_null(b) : tarn_array_append_bool(b, i % 3 == 0));
	CHECK(tarn_array_get_int(b, 3) == 1 && tarn_array_get_int(b, 4) == 0);
	CHECK(tarn_array_is_null(b, 64) && tarn_array_get_int(b, 129) == 1);
	tarn_array_free(b);
	type_free(bt);
	struct tarn_type *ft = parsed("float32");
	struct tarn_array *f;
	OK(tarn_array_new(ft, 0, &f));
	OK(tarn_array_append_double(f, 0.1));
	CHECK(tarn_array_get_double(f, 0) == (double)0.1f);
	tarn_array_free(f);
	type_free(ft);
}

TEST(array_strings_and_limits)
{
	struct tarn_type *t = parsed("string");
	REQUIRE(t);
	struct tarn_array *a;
	OK(tarn_array_new(t, 0, &a));
	char big[3000];
	memset(big, 'x', sizeof big);
	for (int i = 0; i < 300; i++)
		OK(i % 10 == 9 ? tarn_array_append_null(a)
			       : tarn_array_append_bytes(a, big, (size_t)(i * 7 % 3000)));
	CHECK(a->values_len <= a->values_cap);
	size_t n;
	tarn_array_get_bytes(a, 299, &n);
	CHECK(n == 0 && tarn_array_is_null(a, 299));
	tarn_array_get_bytes(a, 298, &n);
	CHECK(n == 298 * 7 % 3000);
	CHECK(tarn_array_validate(a, true, NULL) == TARN_OK);
	/* limits */
	CHECK(tarn_array_append_bytes(a, big, (size_t)1 << 40) == TARN_ELIMIT);
	CHECK(tarn_array_reserve(a, -1) == TARN_ELIMIT);
	CHECK(tarn_array_reserve(a, (int64_t)1 << 50) == TARN_ELIMIT);
	CHECK(tarn_array_reserve(a, (int64_t)INT32_MAX) == TARN_ELIMIT); /* int32 offsets */
	CHECK(tarn_array_reserve_bytes(a, TARN_ARRAY_MAX_BYTES) == TARN_ELIMIT);
	CHECK(a->length == 300); /* failed calls change nothing */
	CHECK(tarn_array_validate(a, true, NULL) == TARN_OK);
	tarn_array_free(a);
	type_free(t);
}

TEST(array_struct_null_propagates)
{
	struct tarn_type *t = parsed("struct<a: int64, b: string, c: struct<d: bool>, e: list<int8>>");
	REQUIRE(t);
	struct tarn_array *a;
	OK(tarn_array_new(t, 2, &a));
	CHECK(a->n_children == 4 && a->children[2]->n_children == 1);
	OK(tarn_array_append_int(a->children[0], 1));
	OK(tarn_array_append_bytes(a->children[1], "x", 1));
	OK(tarn_array_append_bool(a->children[2]->children[0], true));
	OK(tarn_array_struct_end(a->children[2], true));
	OK(tarn_array_append_int(a->children[3]->children[0], 5));
	OK(tarn_array_list_end(a->children[3], true));
	OK(tarn_array_struct_end(a, true));
	OK(tarn_array_append_null(a));
	CHECK(a->length == 2 && a->null_count == 1);
	for (int c = 0; c < 4; c++) {
		CHECK(a->children[c]->length == 2);
		CHECK(tarn_array_is_null(a->children[c], 1));
	}
	CHECK(a->children[2]->children[0]->length == 2);
	CHECK(tarn_array_is_null(a->children[2]->children[0], 1));
	CHECK(a->children[3]->offsets[2] == 1); /* null list: no items */
	/* a null struct row via struct_end(false) after its members */
	OK(tarn_array_append_int(a->children[0], 3));
	OK(tarn_array_append_null(a->children[1]));
	OK(tarn_array_append_null(a->children[2]));
	OK(tarn_array_list_end(a->children[3], true));
	OK(tarn_array_struct_end(a, false));
	CHECK(tarn_array_is_null(a, 2) && a->null_count == 2);
	CHECK(tarn_array_validate(a, true, NULL) == TARN_OK);
	tarn_array_free(a);
	type_free(t);
}

TEST(array_lists_and_append_from)
{
	struct tarn_type *t = parsed("list<struct<k: string, v: list<int32>>>");
	REQUIRE(t);
	struct tarn_array *a;
	OK(tarn_array_new(t, 0, &a));
	struct tarn_array *st = a->children[0];
	for (int r = 0; r < 50; r++) {
		if (r % 5 == 4) {
			OK(tarn_array_append_null(a));
			continue;
		}
		for (int k = 0; k < r % 3; k++) {
			char key[8];
			int n = snprintf(key, sizeof key, "k%d", r);
			OK(tarn_array_append_bytes(st->children[0], key, (size_t)n));
			for (int q = 0; q < k; q++)
				OK(tarn_array_append_int(st->children[1]->children[0], r * 100 + q));
			OK(tarn_array_list_end(st->children[1], k != 2));
			OK(tarn_array_struct_end(st, true));
		}
		OK(tarn_array_list_end(a, true));
	}
	CHECK(a->length == 50 && a->null_count == 10);
	CHECK(a->offsets[0] == 0);
	CHECK(a->offsets[2] - a->offsets[1] == 1 && a->offsets[3] - a->offsets[2] == 2);
	CHECK(tarn_array_validate(a, true, NULL) == TARN_OK);
	/* append_from copies nested rows, skipping nulls' payloads */
	struct tarn_array *c;
	OK(tarn_array_new(t, 0, &c));
	for (int64_t r = 49; r >= 0; r--)
		OK(tarn_array_append_from(c, a, r));
	CHECK(c->length == 50 && c->null_count == 10);
	CHECK(tarn_array_validate(c, true, NULL) == TARN_OK);
	/* row 47 of a = row 2 of c: 2 structs, second has v = [4700] */
	const struct tarn_array *cs = c->children[0];
	int32_t s0 = c->offsets[2];
	CHECK(c->offsets[3] - s0 == 2);
	size_t n;
	const uint8_t *p = tarn_array_get_bytes(cs->children[0], s0 + 1, &n);
	CHECK(n == 3 && memcmp(p, "k47", 3) == 0);
	const struct tarn_array *vl = cs->children[1];
	CHECK(vl->offsets[s0 + 2] - vl->offsets[s0 + 1] == 1);
	CHECK(tarn_array_get_int(vl->children[0], vl->offsets[s0 + 1]) == 4700);
	tarn_array_free(c);
	tarn_array_free(a);
	type_free(t);

	/* maps go through append_from too */
	struct tarn_type *mt = parsed("map<string, float64>");
	struct tarn_array *m, *m2;
	OK(tarn_array_new(mt, 0, &m));
	struct tarn_array *e = m->children[0];
	OK(tarn_array_append_bytes(e->children[0], "a", 1));
	OK(tarn_array_append_double(e->children[1], 0.5));
	OK(tarn_array_struct_end(e, true));
	OK(tarn_array_list_end(m, true));
	OK(tarn_array_list_end(m, false));
	OK(tarn_array_new(mt, 0, &m2));
	OK(tarn_array_append_from(m2, m, 0));
	OK(tarn_array_append_from(m2, m, 1));
	CHECK(m2->length == 2 && tarn_array_is_null(m2, 1) && m2->offsets[1] == 1);
	CHECK(tarn_array_get_double(m2->children[0]->children[1], 0) == 0.5);
	tarn_array_free(m);
	tarn_array_free(m2);
	type_free(mt);
}

TEST(array_validate_catches)
{
	struct tarn_type *t = parsed("string");
	REQUIRE(t);
	struct tarn_array *a;
	struct tarn_err err;
	OK(tarn_array_new(t, 0, &a));
	OK(tarn_array_append_bytes(a, "ab", 2));
	OK(tarn_array_append_bytes(a, "\xc3\xa9", 2));
	OK(tarn_array_append_null(a));
	CHECK(tarn_array_validate(a, true, NULL) == TARN_OK);
	a->null_count = 0;
	tarn_err_clear(&err);
	CHECK(tarn_array_validate(a, false, &err) == TARN_EDATA);
	CHECK_CONTAINS(err.msg, "null_count 0 but bitmap has 1");
	a->null_count = 1;
	a->offsets[1] = 3; /* splits the é */
	tarn_err_clear(&err);
	CHECK(tarn_array_validate(a, true, &err) == TARN_EDATA);
	CHECK_CONTAINS(err.msg, "invalid UTF-8 in row 0 at byte 2");
	CHECK(tarn_array_validate(a, false, NULL) == TARN_OK);
	a->offsets[1] = 5;
	tarn_err_clear(&err);
	CHECK(tarn_array_validate(a, false, &err) == TARN_EDATA);
	CHECK_CONTAINS(err.msg, "offsets decrease at row 1");
	a->offsets[1] = 2;
	a->offsets[3] = 9;
	a->offsets[2] = 9;
	tarn_err_clear(&err);
	CHECK(tarn_array_validate(a, false, &err) == TARN_EDATA);
	CHECK_CONTAINS(err.msg, "past the data");
	tarn_array_free(a);
	type_free(t);

	/* nested: the message names the member path */
	t = parsed("map<string, struct<x: string>>");
	REQUIRE(t);
	OK(tarn_array_new(t, 0, &a));
	struct tarn_array *e = a->children[0];
	OK(tarn_array_append_bytes(e->children[0], "k", 1));
	OK(tarn_array_append_bytes(e->children[1]->children[0], "\xff", 1));
	OK(tarn_array_struct_end(e->children[1], true));
	OK(tarn_array_struct_end(e, true));
	OK(tarn_array_list_end(a, true));
	tarn_err_clear(&err);
	CHECK(tarn_array_validate(a, true, &err) == TARN_EDATA);
	CHECK_CONTAINS(err.msg, "entries.value.x: invalid UTF-8 in row 0 at byte 0");
	/* struct member length mismatch */
	OK(tarn_array_append_bytes(e->children[0], "k2", 2));
	tarn_err_clear(&err);
	CHECK(tarn_array_validate(a, false, &err) == TARN_EDATA);
	CHECK_CONTAINS(err.msg, "struct member 'key' has 2 rows, struct 1");
	tarn_array_free(a);
	type_free(t);
}

TEST(batches)
{
	struct tarn_schema *s;
	OK(tarn_schema_new(2, &s));
	OK(tarn_field_set_name(&s->fields[0], "a", 1));
	OK(tarn_field_set_name(&s->fields[1], "b", 1));
	tarn_type_init(&s->fields[0].type, TARN_T_INT64);
	tarn_type_init(&s->fields[1].type, TARN_T_STRING);
	struct tarn_batch *b;
	OK(tarn_batch_new(s, 16, &b));
	CHECK(s->refs == 2 && b->cols[0]->cap >= 16);
	OK(tarn_array_append_int(b->cols[0], 1));
	OK(tarn_array_append_int(b->cols[0], 2));
	OK(tarn_array_append_bytes(b->cols[1], "x", 1));
	struct tarn_err err;
	tarn_err_clear(&err);
	CHECK(tarn_batch_seal(b, &err) == TARN_EINTERNAL);
	CHECK_CONTAINS(err.msg, "differ in length");
	OK(tarn_array_append_null(b->cols[1]));
	OK(tarn_batch_seal(b, NULL));
	CHECK(tarn_batch_num_rows(b) == 2 && tarn_batch_num_cols(b) == 2);
	CHECK(tarn_batch_schema(b) == s);
	CHECK(tarn_batch_is_null(b, 1, 1) && !tarn_batch_is_null(b, 0, 1));
	tarn_batch_free(b);
	CHECK(s->refs == 1);
	tarn_schema_unref(s);
	tarn_batch_free(NULL);
}

/* ---- mem.c ----------------------------------------------------------------- */

TEST(memory_hook_and_arenas)
{
	char *p = tarn_malloc(0);
	CHECK(p != NULL);
	p = tarn_realloc(p, 100);
	REQUIRE(p);
	memset(p, 'a', 100);
	p = tarn_realloc(p, 10000);
	REQUIRE(p);
	CHECK(p[99] == 'a');
	tarn_free(p);
	int *z = tarn_calloc(10, sizeof *z);
	CHECK(z && z[9] == 0);
	tarn_free(z);
	CHECK(tarn_calloc(SIZE_MAX / 2, 4) == NULL); /* overflow is refused */
	char *d = tarn_strndup("hello world", 5);
	CHECK_STR(d, "hello");
	tarn_free(d);
	d = tarn_strdup("");
	CHECK_STR(d, "");
	tarn_free(d);

	uint8_t *al = tarn_alloc_aligned(1);
	CHECK(al && ((uintptr_t)al & 63) == 0);
	al[0] = 7;
	al = tarn_realloc_aligned(al, 1, 1000);
	CHECK(al && ((uintptr_t)al & 63) == 0 && al[0] == 7);
	tarn_free_aligned(al);
	CHECK(tarn_alloc_aligned(SIZE_MAX) == NULL);
	CHECK(tarn_alloc_aligned(SIZE_MAX - 10) == NULL);
	tarn_free_aligned(NULL);

	/* fault injection: N successes, then failures until switched off */
	CHECK(tarn_mem_fail_after(1) == -1);
	void *ok1 = tarn_malloc(1);
	CHECK(ok1 != NULL);
	CHECK(tarn_malloc(1) == NULL && tarn_realloc(NULL, 4) == NULL);
	CHECK(tarn_strdup("x") == NULL && tarn_alloc_aligned(4) == NULL);
	CHECK(tarn_mem_fail_after(-1) == 0);
	tarn_free(ok1);

	struct tarn_arena ar;
	tarn_arena_init(&ar, 128);
	void *prev = NULL;
	for (int i = 1; i < 200; i++) {
		uint8_t *q = tarn_arena_alloc(&ar, (size_t)i);
		REQUIRE(q);
		CHECK(((uintptr_t)q & 15) == 0 && q != prev);
		memset(q, i, (size_t)i);
		prev = q;
	}
	uint8_t *big = tarn_arena_alloc(&ar, 5000); /* larger than a block */
	CHECK(big != NULL);
	memset(big, 1, 5000);
	char *sd = tarn_arena_strndup(&ar, "abcdef", 3);
	CHECK_STR(sd, "abc");
	CHECK(ar.total >= 5000);
	CHECK(tarn_arena_alloc(&ar, SIZE_MAX) == NULL);
	CHECK(tarn_arena_alloc(&ar, SIZE_MAX - 8) == NULL);
	tarn_arena_reset(&ar);
	CHECK(ar.head == NULL && ar.total == 0);
	CHECK(tarn_arena_alloc(&ar, 16) != NULL);
	tarn_arena_free(&ar);
	tarn_arena_free(&ar);
}

/* ---- buf.c ----------------------------------------------------------------- */

TEST(buffers)
{
	struct tarn_buf b;
	tarn_buf_init(&b);
	OK(tarn_buf_append(&b, "abc", 3));
	OK(tarn_buf_append(&b, NULL, 0));
	OK(tarn_buf_putc(&b, '-'));
	OK(tarn_buf_printf(&b, "%d/%s", 42, "x"));
	OK(tarn_buf_cstr(&b));
	CHECK_STR(b.data, "abc-42/x");
	CHECK(b.len == 8);
	for (int i = 0; i < 10000; i++)
		OK(tarn_buf_putc(&b, (char)('a' + i % 26)));
	CHECK(b.len == 10008 && b.cap >= b.len);
	char *s = tarn_buf_steal(&b);
	CHECK(s && strlen(s) == 10008 && b.data == NULL && b.len == 0);
	tarn_free(s);
	/* an empty buffer steals as "" */
	s = tarn_buf_steal(&b);
	CHECK_STR(s, "");
	tarn_free(s);

	/* the cap */
	tarn_buf_init(&b);
	b.limit = 10;
	OK(tarn_buf_append(&b, "0123456789", 10));
	CHECK(tarn_buf_putc(&b, 'x') == TARN_ELIMIT);
	CHECK(tarn_buf_append(&b, "x", 1) == TARN_ELIMIT);
	CHECK(tarn_buf_printf(&b, "%d", 1) == TARN_ELIMIT);
	CHECK(b.len == 10);
	OK(tarn_buf_cstr(&b)); /* a full buffer can still be terminated */
	CHECK_STR(b.data, "0123456789");
	CHECK(tarn_buf_reserve(&b, SIZE_MAX) == TARN_ELIMIT);
	tarn_buf_free(&b);
	/* printf text that exactly reaches the limit fits */
	tarn_buf_init(&b);
	b.limit = 8;
	OK(tarn_buf_append(&b, "abc", 3));
	OK(tarn_buf_printf(&b, "%05d", 42));
	CHECK(b.len == 8 && memcmp(b.data, "abc00042", 8) == 0);
	CHECK(tarn_buf_printf(&b, "%s", "") == TARN_OK);
	CHECK(tarn_buf_printf(&b, "%d", 1) == TARN_ELIMIT);
	tarn_buf_free(&b);
	CHECK(b.data == NULL && b.cap == 0);
	tarn_buf_init(&b);
	b.limit = SIZE_MAX;
	OK(tarn_buf_append(&b, "abc", 3));
	OK(tarn_buf_cstr(&b));
	CHECK_STR(b.data, "abc");
	tarn_buf_free(&b);
}

/* ---- utf8.c ------------------------------------------------------------------ */

static bool utf8_ok(const char *s, size_t n, size_t *bad)
{
	return tarn_utf8_valid((const uint8_t *)s, n, bad);
}

TEST(utf8_validation)
{
	const char *good[] = { "", "plain ascii that is longer than eight bytes",
			       "\x7f", "\xc2\x80", "\xdf\xbf", "\xe0\xa0\x80", "\xef\xbf\xbf",
			       "\xf0\x90\x80\x80", "\xf4\x8f\xbf\xbf", "héllo wörld 日本 🦀",
			       "\xed\x9f\xbf" /* U+D7FF */, "\xee\x80\x80" /* U+E000 */ };
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
		CHECK(utf8_ok(good[i], strlen(good[i]), NULL));
	struct {
		const char *s;
		size_t bad_at;
	} bad[] = {
		{ "\x80", 0 },                    /* lone continuation */
		{ "\xc0\x80", 0 },                /* overlong NUL */
		{ "\xc1\xbf", 0 },                /* overlong */
		{ "\xe0\x80\x80", 0 },            /* overlong 3-byte */
		{ "\xe0\x9f\xbf", 0 },
		{ "\xf0\x80\x80\x80", 0 },        /* overlong 4-byte */
		{ "\xf0\x8f\xbf\xbf", 0 },
		{ "\xed\xa0\x80", 0 },            /* surrogate U+D800 */
		{ "\xed\xbf\xbf", 0 },            /* surrogate U+DFFF */
		{ "\xf4\x90\x80\x80", 0 },        /* > U+10FFFF */
		{ "\xf5\x80\x80\x80", 0 },
		{ "\xff", 0 },
		{ "ab\xc3", 2 },                  /* truncated at the end */
		{ "abc\xe2\x82", 3 },
		{ "\xc3\x28", 0 },                /* bad continuation */
		{ "0123456789abcdef\xe2\x28\xa1", 16 }, /* after the 8-byte fast path */
		{ "0123456\xff", 7 },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		size_t at = 999;
		CHECK(!utf8_ok(bad[i].s, strlen(bad[i].s), &at));
		CHECK(at == bad[i].bad_at);
	}
	/* an embedded NUL is valid UTF-8 */
	CHECK(utf8_ok("a\0b", 3, NULL));
	/* a NULL bad_at is allowed */
	CHECK(!utf8_ok("\xff", 1, NULL));
}

/* ---- pool.c ------------------------------------------------------------------ */

struct counted {
	struct tarn_task task;
	_Atomic int runs;
	int sleep_us;
};

static void count_run(void *arg)
{
	struct counted *c = arg;
	if (c->sleep_us)
		usleep((useconds_t)c->sleep_us);
	atomic_fetch_add(&c->runs, 1);
}

static void *submitter(void *arg)
{
	struct counted *cs = arg;
	for (int i = 0; i < 50; i++) {
		cs[i].task.fn = count_run;
		cs[i].task.arg = &cs[i];
		tarn_pool_submit(&cs[i].task);
	}
	for (int i = 0; i < 50; i++)
		tarn_task_wait(&cs[i].task);
	return NULL;
}

TEST(worker_pool)
{
	tarn_config_set_threads(3);
	CHECK(tarn_config_threads() == 3);
	CHECK(tarn_pool_size() == 3);
	CHECK(tarn_cpu_count() >= 1);
	static struct counted cs[200];
	for (int i = 0; i < 200; i++) {
		cs[i].task.fn = count_run;
		cs[i].task.arg = &cs[i];
		cs[i].sleep_us = i % 10 == 0 ? 2000 : 0;
		tarn_pool_submit(&cs[i].task);
	}
	for (int i = 199; i >= 0; i--)
		tarn_task_wait(&cs[i].task);
	int total = 0;
	for (int i = 0; i < 200; i++) {
		CHECK(atomic_load(&cs[i].runs) == 1);
		total += atomic_load(&cs[i].runs);
	}
	CHECK(total == 200);
	/* a task struct can be reused once done */
	tarn_pool_submit(&cs[0].task);
	tarn_task_wait(&cs[0].task);
	CHECK(atomic_load(&cs[0].runs) == 2);
	/* waiting on a never-submitted task returns at once */
	struct counted idle = { .task = { .fn = count_run, .arg = NULL } };
	tarn_task_wait(&idle.task);
	CHECK(atomic_load(&idle.runs) == 0);
	/* several threads submitting and waiting at once */
	static struct counted per[4][50];
	pthread_t th[4];
	for (int t = 0; t < 4; t++)
		REQUIRE(pthread_create(&th[t], NULL, submitter, per[t]) == 0);
	for (int t = 0; t < 4; t++)
		pthread_join(th[t], NULL);
	for (int t = 0; t < 4; t++)
		for (int i = 0; i < 50; i++)
			CHECK(atomic_load(&per[t][i].runs) == 1);
}

int main(void)
{
	RUN(type_basics);
	RUN(type_text_round_trip);
	RUN(type_parse_errors);
	RUN(type_copy_equal_clear);
	RUN(type_constructors);
	RUN(schemas);
	RUN(array_lazy_validity);
	RUN(array_set_null_on_fresh_array);
	RUN(array_widths_and_getters);
	RUN(array_strings_and_limits);
	RUN(array_struct_null_propagates);
	RUN(array_lists_and_append_from);
	RUN(array_validate_catches);
	RUN(batches);
	RUN(memory_hook_and_arenas);
	RUN(buffers);
	RUN(utf8_validation);
	RUN(worker_pool);
	return unit_done();
}
