/*
 * json.c — unit tests for the JSON and JSON Lines formats
 * (src/formats/json/): schema inference and every unification rule, nested
 * structs/lists/maps, escapes and UTF-8, each error message with its
 * location, limits (including 1e6-deep nesting), compressed input, the
 * streaming / mapped / parallel drivers agreeing with each other, the
 * writer's options, round trips, json_value.h (one value into a builder,
 * the CSV reader's nested cells), maps in both spellings, and allocation
 * failures.
 *
 * Inputs are memory blocks (tarn_input_open_mem); outputs are memory
 * outputs, so every test is self-contained.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "base/mem.h"
#include "columnar/text.h"
#include "formats/format.h"
#include "formats/json/json_value.h"
#include "unit.h"

extern const struct tarn_format tarn_format_json, tarn_format_jsonl, tarn_format_csv;

/* ---- harness ------------------------------------------------------------------ */

struct res {
	tarn_rc rc; /* first failure: open, next, write or finish */
	char err[TARN_ERR_MSG_MAX];
	char schema[8192]; /* "name: type  # note" lines */
	char *out;         /* writer output, NUL-terminated */
	size_t out_len;
	int64_t rows;
	int64_t bad_rows;
	const char *format; /* the reader's format name */
};

static void res_free(struct res *r)
{
	free(r->out);
	r->out = NULL;
}

static tarn_rc parse_opts(struct tarn_opts *o, const char *spec, struct tarn_err *err)
{
	/* "k=v;k=v": ';' separates options since values (types) hold commas. */
	char buf[1024];
	snprintf(buf, sizeof buf, "%s", spec ? spec : "");
	for (char *save = NULL, *kv = strtok_r(buf, ";", &save); kv;
	     kv = strtok_r(NULL, ";", &save)) {
		tarn_rc rc = tarn_opts_parse(o, kv, err);
		if (rc)
			return rc;
	}
	return TARN_OK;
}

static void describe(const struct tarn_schema *s, char *buf, size_t cap)
{
	size_t len = 0;
	buf[0] = '\0';
	for (int i = 0; i < tarn_schema_num_fields(s) && len < cap; i++) {
		char t[1024];
		tarn_schema_field_type_text(s, i, t, sizeof t);
		const char *note = tarn_schema_field_note(s, i);
		int w = snprintf(buf + len, cap - len, "%s: %s%s%s\n", tarn_schema_field_name(s, i), t,
				 note ? "  # " : "", note ? note : "");
		if (w < 0)
			break;
		len += (size_t)w;
	}
}

/* Reads data with format fin (NULL = sniff) and reader options ropts,
 * writing every batch with format fout (NULL = jsonl). */
static void run_ex(const void *data, size_t n, const struct tarn_format *fin, const char *ropts,
		   const struct tarn_format *fout, const char *wopts, struct res *res)
{
	memset(res, 0, sizeof *res);
	struct tarn_err err;
	tarn_err_clear(&err);
	struct tarn_opts *ro = NULL, *wo = NULL;
	struct tarn_input *in = NULL;
	struct tarn_reader *r = NULL;
	struct tarn_output *out = NULL;
	struct tarn_writer *w = NULL;
	tarn_rc rc;
	if ((rc = tarn_opts_new(&ro)) || (rc = tarn_opts_new(&wo)))
		goto done;
	if ((rc = parse_opts(ro, ropts, &err)) || (rc = parse_opts(wo, wopts, &err)))
		goto done;
	if ((rc = tarn_input_open_mem(data, n, "t.jsonl", &in, &err)))
		goto done;
	rc = tarn_reader_open_input(in, fin, ro, &r, &err); /* takes `in` */
	if (rc)
		goto done;
	res->format = tarn_reader_format(r);
	describe(tarn_reader_schema(r), res->schema, sizeof res->schema);
	if ((rc = tarn_output_open_mem(&out, &err)))
		goto done;
	rc = tarn_writer_open_output(out, fout ? fout : &tarn_format_jsonl, tarn_reader_schema(r),
				     wo, &w, &err); /* takes `out` */
	out = NULL;
	if (rc)
		goto done;
	for (;;) {
		struct tarn_batch *b;
		if ((rc = tarn_reader_next(r, &b, &err)))
			goto done;
		if (!b)
			break;
		res->rows += tarn_batch_num_rows(b);
		rc = tarn_writer_write(w, b, &err);
		tarn_batch_free(b);
		if (rc)
			goto done;
	}
	if ((rc = tarn_writer_finish(w, &err)))
		goto done;
	size_t on;
	const uint8_t *m = tarn_output_mem(w->out, &on);
	res->out = malloc(on + 1);
	if (res->out) {
		memcpy(res->out, m, on);
		res->out[on] = '\0';
		res->out_len = on;
	}
done:
	res->rc = rc;
	if (r)
		res->bad_rows = tarn_reader_bad_rows(r);
	snprintf(res->err, sizeof res->err, "%s", err.msg);
	tarn_writer_close(w);
	tarn_output_close(out);
	tarn_reader_close(r);
	tarn_opts_free(ro);
	tarn_opts_free(wo);
}

static void run(const char *text, const char *ropts, struct res *res)
{
	run_ex(text, strlen(text), &tarn_format_jsonl, ropts, NULL, NULL, res);
}

/* The output of reading text, or the error message prefixed with "ERR ". */
static char *read_text(const char *text, const char *ropts)
{
	struct res r;
	run(text, ropts, &r);
	if (r.rc) {
		char *e = malloc(strlen(r.err) + 5);
		sprintf(e, "ERR %s", r.err);
		res_free(&r);
		return e;
	}
	return r.out;
}

/* ---- inference -------------------------------------------------------------------- */

TEST(infer_scalars)
{
	struct res r;
	run("{\"i\":1,\"f\":1.5,\"s\":\"x\",\"b\":true,\"n\":null,\"if\":1}\n"
	    "{\"i\":-2,\"f\":2,\"s\":\"y\",\"b\":false,\"n\":null,\"if\":2.25}\n",
	    NULL, &r);
	REQUIRE(r.rc == TARN_OK);
	CHECK_STR(r.schema, "i: int64\n"
			    "f: float64\n"
			    "s: string\n"
			    "b: bool\n"
			    "n: string  # only null values in the sample; typed as string\n"
			    "if: float64\n");
	CHECK_STR(r.out, "{\"i\":1,\"f\":1.5,\"s\":\"x\",\"b\":true,\"n\":null,\"if\":1.0}\n"
			 "{\"i\":-2,\"f\":2.0,\"s\":\"y\",\"b\":false,\"n\":null,\"if\":2.25}\n");
	CHECK(r.rows == 2);
	res_free(&r);
}

TEST(infer_mixed_notes)
{
	struct res r;
	run("{\"sn\":\"a\",\"bn\":true,\"os\":{\"x\":1},\"as\":[1],\"oa\":{\"k\":2},\"snb\":1}\n"
	    "{\"sn\":2,\"bn\":3,\"os\":\"t\",\"as\":false,\"oa\":[2, 3],\"snb\":\"q\"}\n"
	    "{\"snb\":true}\n",
	    NULL, &r);
	REQUIRE(r.rc == TARN_OK);
	CHECK_STR(r.schema,
		  "sn: string  # mixed string and number values; kept as string\n"
		  "bn: string  # mixed boolean and number values; kept as string\n"
		  "os: string  # mixed object and string values; kept as JSON text\n"
		  "as: string  # mixed array and boolean values; kept as JSON text\n"
		  "oa: string  # mixed object and array values; kept as JSON text\n"
		  "snb: string  # mixed string, number and boolean values; kept as string\n");
	CHECK_STR(r.out,
		  "{\"sn\":\"a\",\"bn\":\"true\",\"os\":\"{\\\"x\\\":1}\",\"as\":\"[1]\",\"oa\":"
		  "\"{\\\"k\\\":2}\",\"snb\":\"1\"}\n"
		  "{\"sn\":\"2\",\"bn\":\"3\",\"os\":\"t\",\"as\":\"false\",\"oa\":\"[2,3]\",\"snb\":"
		  "\"q\"}\n"
		  "{\"sn\":null,\"bn\":null,\"os\":null,\"as\":null,\"oa\":null,\"snb\":\"true\"}\n");
	res_free(&r);
}

TEST(infer_big_integers)
{
	struct res r;
	run("{\"d\":12345678901234567890,\"f\":99999999999999999999,\"h\":1,\"m\":-9223372036854775808}\n"
	    "{\"d\":1,\"f\":0.5,\"h\":123456789012345678901234567890123456789012}\n",
	    NULL, &r);
	REQUIRE(r.rc == TARN_OK);
	CHECK_STR(r.schema,
		  "d: decimal(38,0)  # integers beyond the int64 range; read as decimal(38,0)\n"
		  "f: float64  # integers beyond the int64 range; read as float64 (digits past the "
		  "17th may be lost)\n"
		  "h: float64  # integers beyond the int64 range; read as float64 (digits past the "
		  "17th may be lost)\n"
		  "m: int64\n");
	CHECK_CONTAINS(r.out, "\"d\":12345678901234567890,");
	CHECK_CONTAINS(r.out, "\"m\":-9223372036854775808}");
	CHECK_CONTAINS(r.out, "\"f\":0.5,");
	res_free(&r);
}

TEST(infer_nested)
{
	struct res r;
	run("{\"s\":{\"a\":1,\"b\":[1,2]},\"l\":[{\"x\":1},{\"y\":\"q\"}],\"ll\":[[1],[2,3]],\"e\":[]}\n"
	    "{\"s\":{\"c\":true},\"l\":[],\"ll\":[[]],\"e\":[]}\n"
	    "{\"s\":null,\"l\":null}\n",
	    NULL, &r);
	REQUIRE(r.rc == TARN_OK);
	CHECK_STR(r.schema,
		  "s: struct<a: int64, b: list<int64>, c: bool>\n"
		  "l: list<struct<x: int64, y: string>>\n"
		  "ll: list<list<int64>>\n"
		  "e: list<string>  # e[]: no values in the sample; typed as string\n");
	CHECK_STR(r.out,
		  "{\"s\":{\"a\":1,\"b\":[1,2],\"c\":null},\"l\":[{\"x\":1,\"y\":null},{\"x\":null,"
		  "\"y\":\"q\"}],\"ll\":[[1],[2,3]],\"e\":[]}\n"
		  "{\"s\":{\"a\":null,\"b\":null,\"c\":true},\"l\":[],\"ll\":[[]],\"e\":[]}\n"
		  "{\"s\":null,\"l\":null,\"ll\":null,\"e\":null}\n");
	res_free(&r);
}

TEST(infer_nested_notes)
{
	struct res r;
	run("{\"s\":{\"a\":1,\"b\":[1,\"x\"]}}\n{\"s\":{\"a\":\"z\"}}\n", NULL, &r);
	REQUIRE(r.rc == TARN_OK);
	CHECK_STR(r.schema, "s: struct<a: string, b: list<string>>  # s.a: mixed string and "
			    "number values; kept as string; s.b[]: mixed string and number values; "
			    "kept as string\n");
	CHECK_STR(r.out, "{\"s\":{\"a\":\"1\",\"b\":[\"1\",\"x\"]}}\n{\"s\":{\"a\":\"z\",\"b\":null}}\n");
	res_free(&r);
}

TEST(infer_key_order_and_missing)
{
	char *o = read_text("{\"b\":1}\n{\"a\":2,\"b\":3}\n{}\n{\"c\":\"x\",\"a\":4}\n", NULL);
	CHECK_STR(o, "{\"b\":1,\"a\":null,\"c\":null}\n{\"b\":3,\"a\":2,\"c\":null}\n"
		     "{\"b\":null,\"a\":null,\"c\":null}\n{\"b\":null,\"a\":4,\"c\":\"x\"}\n");
	free(o);
}

TEST(infer_dates)
{
	struct res r;
	run("{\"d\":\"2024-02-29\",\"t\":\"2024-01-02T03:04:05.5Z\",\"l\":\"2024-01-02 03:04:05\","
	    "\"m\":\"2024-01-02T00:00:00Z\",\"x\":\"2024-13-01\",\"dt\":\"2024-01-01\"}\n"
	    "{\"d\":null,\"t\":\"2024-01-02T03:04:05+01:00\",\"l\":\"2024-01-03\","
	    "\"m\":\"2024-01-02 00:00:00\",\"x\":\"a\",\"dt\":\"2024-01-01T10:00:00\"}\n",
	    "infer-dates=true", &r);
	REQUIRE(r.rc == TARN_OK);
	CHECK_STR(r.schema,
		  "d: date32\n"
		  "t: timestamp[us, UTC]\n"
		  "l: timestamp[us]\n"
		  "m: string  # timestamps with and without a UTC offset; kept as string\n"
		  "x: string\n"
		  "dt: timestamp[us]\n");
	CHECK_STR(r.out,
		  "{\"d\":\"2024-02-29\",\"t\":\"2024-01-02 03:04:05.5Z\",\"l\":\"2024-01-02 03:04:05\","
		  "\"m\":\"2024-01-02T00:00:00Z\",\"x\":\"2024-13-01\",\"dt\":\"2024-01-01 00:00:00\"}\n"
		  "{\"d\":null,\"t\":\"2024-01-02 02:04:05Z\",\"l\":\"2024-01-03 00:00:00\","
		  "\"m\":\"2024-01-02 00:00:00\",\"x\":\"a\",\"dt\":\"2024-01-01 10:00:00\"}\n");
	res_free(&r);
	/* Off by default: ISO strings stay strings. */
	run("{\"d\":\"2024-02-29\"}\n", NULL, &r);
	CHECK_STR(r.schema, "d: string\n");
	res_free(&r);
}

TEST(value_column)
{
	struct res r;
	run("1\n2.5\nnull\n", NULL, &r);
	REQUIRE(r.rc == TARN_OK);
	CHECK_STR(r.schema, "value: float64\n");
	CHECK_STR(r.out, "{\"value\":1.0}\n{\"value\":2.5}\n{\"value\":null}\n");
	res_free(&r);
	run("[1,2]\n[3]\n", NULL, &r); /* a sequence of arrays, not one array */
	REQUIRE(r.rc == TARN_OK);
	CHECK_STR(r.schema, "value: list<int64>\n");
	CHECK_STR(r.out, "{\"value\":[1,2]}\n{\"value\":[3]}\n");
	res_free(&r);
	run("[\"a\", 1, {\"k\":true}]", NULL, &r);
	REQUIRE(r.rc == TARN_OK);
	CHECK_STR(r.schema, "value: string  # mixed object, string and number values; kept as JSON text\n");
	CHECK_STR(r.out, "{\"value\":\"a\"}\n{\"value\":\"1\"}\n{\"value\":\"{\\\"k\\\":true}\"}\n");
	res_free(&r);
	run("null\nnull\n", NULL, &r);
	CHECK_STR(r.schema, "value: string  # only null values in the sample; typed as string\n");
	CHECK(r.rows == 2);
	res_free(&r);
}

TEST(types_override)
{
	struct res r;
	run("{\"a\":1,\"m\":{\"x\":1,\"y\":2},\"b\":\"aGVsbG8=\",\"d\":\"12.50\",\"n\":12.5}\n"
	    "{\"a\":200,\"m\":{},\"b\":\"\",\"d\":null,\"n\":-0.25}\n",
	    "types=a=uint8,m=map<string, int32>,b=binary,n=decimal(10,2)", &r);
	REQUIRE(r.rc == TARN_OK);
	CHECK_STR(r.schema, "a: uint8\nm: map<string, int32>\nb: binary\nd: string\nn: decimal(10,2)\n");
	CHECK_STR(r.out, "{\"a\":1,\"m\":{\"x\":1,\"y\":2},\"b\":\"aGVsbG8=\",\"d\":\"12.50\",\"n\":12.50}\n"
			 "{\"a\":200,\"m\":{},\"b\":\"\",\"d\":null,\"n\":-0.25}\n");
	res_free(&r);
	run("{\"a\":300}\n", "types=a=uint8", &r);
	CHECK(r.rc == TARN_EDATA);
	CHECK_CONTAINS(r.err, "key \"a\": 300 does not fit the column type uint8");
	res_free(&r);
	run("{\"a\":1}\n", "types=zz=int32", &r);
	CHECK(r.rc == TARN_EUSAGE);
	CHECK_CONTAINS(r.err, "types: no column named 'zz' (columns: a)");
	res_free(&r);
	run("{\"b\":\"!!\"}\n", "types=b=binary", &r);
	CHECK(r.rc == TARN_EDATA);
	CHECK_CONTAINS(r.err, "\"!!\" does not fit the column type binary");
	res_free(&r);
}

/* ---- values ------------------------------------------------------------------------ */

TEST(escapes_and_unicode)
{
	struct res r;
	run("{\"s\":\"q\\\"b\\\\s\\/n\\nt\\tr\\rb\\bf\\f\\u00e9\\u20ac\\ud83d\\ude00\\u0001\"}\n"
	    "{\"s\":\"h\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"}\n"
	    "{\"k\\u0041\":1}\n",
	    NULL, &r);
	REQUIRE(r.rc == TARN_OK);
	CHECK_STR(r.schema, "s: string\nkA: int64\n");
	CHECK_STR(r.out, "{\"s\":\"q\\\"b\\\\s/n\\nt\\tr\\rb\\bf\\f\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"
			 "\\u0001\",\"kA\":null}\n"
			 "{\"s\":\"h\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\",\"kA\":null}\n"
			 "{\"s\":null,\"kA\":1}\n");
	res_free(&r);
}

/* Specials at every position of strings of every short length: the 16-,
 * 8- and 1-byte scanning steps each see them. */
TEST(string_scan_positions)
{
	for (int len = 1; len <= 40; len++) {
		for (int k = 0; k < len; k++) {
			char body[64], in[128], want[256];
			struct res r;
			/* An escape at k. */
			memset(body, 'a', (size_t)len);
			body[len] = '\0';
			snprintf(in, sizeof in, "{\"s\":\"%.*s\\t%s\"}", k, body, body + k + 1);
			run(in, NULL, &r);
			snprintf(want, sizeof want, "{\"s\":\"%.*s\\t%s\"}\n", k, body, body + k + 1);
			CHECK_STR(r.out, want);
			res_free(&r);
			/* Two-byte UTF-8 at k. */
			snprintf(in, sizeof in, "{\"s\":\"%.*s\xc3\xa9%s\"}", k, body, body + k + 1);
			run(in, NULL, &r);
			snprintf(want, sizeof want, "{\"s\":\"%.*s\xc3\xa9%s\"}\n", k, body, body + k + 1);
			CHECK_STR(r.out, want);
			res_free(&r);
			/* A raw control character at k. */
			body[k] = '\x01';
			snprintf(in, sizeof in, "{\"s\":\"%s\"}", body);
			run(in, NULL, &r);
			snprintf(want, sizeof want,
				 "t.jsonl:1:%d (byte %d): control character U+0001 in a string (must "
				 "be escaped)",
				 7 + k, 6 + k);
			CHECK_STR(r.err, want);
			res_free(&r);
			/* An invalid UTF-8 byte at k. */
			body[k] = '\xff';
			snprintf(in, sizeof in, "{\"s\":\"%s\"}", body);
			run(in, NULL, &r);
			snprintf(want, sizeof want,
				 "t.jsonl:1:%d (byte %d): invalid UTF-8 in a string (byte 0xFF)", 7 + k,
				 6 + k);
			CHECK_STR(r.err, want);
			res_free(&r);
		}
	}
}

TEST(duplicate_keys_last_wins)
{
	char *o = read_text("{\"a\":1,\"b\":{\"x\":[1,2]},\"a\":2,\"b\":{\"x\":[3]}}\n"
			    "{\"a\":null,\"a\":5,\"b\":null}\n",
			    NULL);
	CHECK_STR(o, "{\"a\":2,\"b\":{\"x\":[3]}}\n{\"a\":5,\"b\":null}\n");
	free(o);
}

TEST(numbers)
{
	char *o = read_text("{\"f\":0.1,\"g\":1e2,\"h\":-0.0,\"i\":0}\n"
			    "{\"f\":1.7976931348623157e308,\"g\":5e-324,\"h\":123456789.123456789,\"i\":-7}\n"
			    "{\"f\":2.2250738585072011e-308,\"g\":1E+2,\"h\":0.30000000000000004,\"i\":9223372036854775807}\n",
			    NULL);
	CHECK_STR(o, "{\"f\":0.1,\"g\":100.0,\"h\":-0.0,\"i\":0}\n"
		     "{\"f\":1.7976931348623157e+308,\"g\":5e-324,\"h\":123456789.12345679,\"i\":-7}\n"
		     "{\"f\":2.225073858507201e-308,\"g\":100.0,\"h\":0.30000000000000004,"
		     "\"i\":9223372036854775807}\n");
	free(o);
}

TEST(nan_option)
{
	struct res r;
	run("{\"x\":NaN}\n", NULL, &r);
	CHECK(r.rc == TARN_EDATA);
	CHECK_STR(r.err, "t.jsonl:1:6 (byte 5): unexpected 'N' where a value was expected");
	res_free(&r);
	run("{\"x\":NaN}\n{\"x\":-Infinity}\n{\"x\":Infinity}\n{\"x\":1}\n", "allow-nan=true", &r);
	REQUIRE(r.rc == TARN_OK);
	CHECK_STR(r.schema, "x: float64\n");
	/* JSON has no spelling for them: the writer writes null. */
	CHECK_STR(r.out, "{\"x\":null}\n{\"x\":null}\n{\"x\":null}\n{\"x\":1.0}\n");
	res_free(&r);
}

/* ---- errors and their locations ---------------------------------------------------- */

struct err_case {
	const char *in;
	const char *opts;
	tarn_rc rc;
	const char *msg; /* the whole message */
};

TEST(syntax_errors)
{
	static const struct err_case cases[] = {
		{ "{\"a\":1}\n{\"a\":2,}\n", NULL, TARN_EDATA,
		  "t.jsonl:2:8 (byte 15): trailing comma before '}'" },
		{ "[1,2,]", NULL, TARN_EDATA, "t.jsonl:1:6 (byte 5): trailing comma before ']'" },
		{ "{\"a\":[1,]}", NULL, TARN_EDATA, "t.jsonl:1:9 (byte 8): trailing comma before ']'" },
		{ "{\"a\" 1}", NULL, TARN_EDATA,
		  "t.jsonl:1:6 (byte 5): expected ':' after object key, found '1'" },
		{ "{\"a\":1 \"b\":2}", NULL, TARN_EDATA,
		  "t.jsonl:1:8 (byte 7): expected ',' or '}' after object member, found '\"'" },
		{ "{\"a\":[1 2]}", NULL, TARN_EDATA,
		  "t.jsonl:1:9 (byte 8): expected ',' or ']' after array element, found '2'" },
		{ "{a:1}", NULL, TARN_EDATA,
		  "t.jsonl:1:2 (byte 1): expected '\"' to start an object key, found 'a'" },
		{ "{\"a\":01}", NULL, TARN_EDATA,
		  "t.jsonl:1:6 (byte 5): leading zeros are not allowed in numbers" },
		{ "{\"a\":1.}", NULL, TARN_EDATA,
		  "t.jsonl:1:8 (byte 7): expected a digit after the decimal point" },
		{ "{\"a\":1e}", NULL, TARN_EDATA,
		  "t.jsonl:1:8 (byte 7): expected a digit in the exponent" },
		{ "{\"a\":-x}", NULL, TARN_EDATA,
		  "t.jsonl:1:7 (byte 6): expected a digit after '-', found 'x'" },
		{ "{\"a\":tru}", NULL, TARN_EDATA,
		  "t.jsonl:1:6 (byte 5): invalid value starting with 't' (expected true)" },
		{ "{\"a\":\"x", NULL, TARN_EDATA,
		  "t.jsonl:1:6 (byte 5): unterminated string (end of input before the closing '\"')" },
		{ "{\"a\":[1,2", NULL, TARN_EDATA,
		  "t.jsonl:1:10 (byte 9): unexpected end of input inside an array" },
		{ "[{\"a\":1}", NULL, TARN_EDATA,
		  "t.jsonl:1:9 (byte 8): unexpected end of input inside the top-level array "
		  "(missing ']')" },
		{ "[{\"a\":1},{\"a\":2}] {\"a\":3}", "infer-rows=1", TARN_EDATA,
		  "t.jsonl:1:19 (byte 18): unexpected '{' after the end of the top-level array" },
		{ "{\"a\":1}x", NULL, TARN_EDATA,
		  "t.jsonl:1:8 (byte 7): unexpected 'x' where a value was expected" },
		{ "1 2x", NULL, TARN_EDATA,
		  "t.jsonl:1:4 (byte 3): expected whitespace or a newline after the record, found 'x'" },
		{ "{\"a\":\"\\x\"}", NULL, TARN_EDATA,
		  "t.jsonl:1:7 (byte 6): invalid escape '\\' followed by 'x'" },
		{ "{\"a\":\"\\u12g4\"}", NULL, TARN_EDATA,
		  "t.jsonl:1:7 (byte 6): invalid \\u escape (expected four hex digits)" },
		{ "{\"a\":\"\\ud83d\"}", NULL, TARN_EDATA,
		  "t.jsonl:1:7 (byte 6): lone surrogate \\uD83D (a high surrogate must be followed "
		  "by a \\u escape of a low one)" },
		{ "{\"a\":\"\\ud83dx\\ude00\"}", NULL, TARN_EDATA,
		  "t.jsonl:1:7 (byte 6): lone surrogate \\uD83D (a high surrogate must be followed "
		  "by a \\u escape of a low one)" },
		{ "{\"a\":\"\\ude00\"}", NULL, TARN_EDATA,
		  "t.jsonl:1:7 (byte 6): lone surrogate \\uDE00 (a low surrogate without a high one "
		  "before it)" },
		{ "{\"a\":\"ok\"}\n{\"a\":\"\xc3\x28\"}", NULL, TARN_EDATA,
		  "t.jsonl:2:7 (byte 17): invalid UTF-8 in a string (byte 0xC3)" },
		{ "{\"a\":\"\xed\xa0\x80\"}", NULL, TARN_EDATA,
		  "t.jsonl:1:7 (byte 6): invalid UTF-8 in a string (byte 0xED)" },
		{ "{\"a\":\"x\ty\"}", NULL, TARN_EDATA,
		  "t.jsonl:1:8 (byte 7): control character U+0009 in a string (must be escaped)" },
		{ "{\"a\\u0000b\":1}", NULL, TARN_EUNSUPPORTED,
		  "t.jsonl:1:2 (byte 1): an object key containing \\u0000 cannot name a column" },
		{ "\n\n  {\"a\":\n  @}", NULL, TARN_EDATA,
		  "t.jsonl:4:3 (byte 12): unexpected '@' where a value was expected" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct res r;
		run(cases[i].in, cases[i].opts, &r);
		CHECK(r.rc == cases[i].rc);
		CHECK_STR(r.err, cases[i].msg);
		res_free(&r);
	}
}

TEST(record_shape_errors)
{
	struct res r;
	/* A scalar record after the sample's objects (infer-rows=1). */
	run("{\"a\":1}\n5\n", "infer-rows=1", &r);
	CHECK(r.rc == TARN_EDATA);
	CHECK_STR(r.err, "t.jsonl:2:1 (byte 8, record 2): the record is a number, but the records "
			 "the schema was inferred from were objects");
	res_free(&r);
	/* Inside the sample it makes one "value" column. */
	run("{\"a\":1}\n5\n", NULL, &r);
	CHECK(r.rc == TARN_OK);
	CHECK_STR(r.schema, "value: string  # mixed object and number values; kept as JSON text\n");
	res_free(&r);
}

TEST(type_errors_after_sample)
{
	struct res r;
	run("{\"a\":1}\n{\"a\":2.5}\n", "infer-rows=1", &r);
	CHECK(r.rc == TARN_EDATA);
	CHECK_STR(r.err, "t.jsonl:2:6 (byte 13, record 2): key \"a\": 2.5 does not fit the column "
			 "type int64 (the type was inferred from the first 1 records; use "
			 "infer-rows=0 to infer from all of them, or set it with types=COLUMN=TYPE)");
	res_free(&r);
	run("{\"a\":{\"b\":[1,2]}}\n{\"a\":{\"b\":[3,\"x\"]}}\n", "infer-rows=1", &r);
	CHECK(r.rc == TARN_EDATA);
	CHECK_CONTAINS(r.err, "t.jsonl:2:14 (byte 31, record 2): key \"a.b[1]\": \"x\" does not fit "
			      "the column type int64");
	res_free(&r);
	run("{\"a\":true}\n{\"a\":{}}\n", "infer-rows=1", &r);
	CHECK_CONTAINS(r.err, "key \"a\": an object does not fit the column type bool");
	res_free(&r);
	run("{\"a\":\"s\"}\n{\"a\":[1]}\n{\"a\":7}\n", "infer-rows=1", &r);
	/* A string column takes any value as its JSON text. */
	CHECK(r.rc == TARN_OK);
	CHECK_STR(r.out, "{\"a\":\"s\"}\n{\"a\":\"[1]\"}\n{\"a\":\"7\"}\n");
	res_free(&r);
	run("{\"a\":1}\n{\"a\":99999999999999999999}\n", "infer-rows=1", &r);
	CHECK_CONTAINS(r.err, "key \"a\": 99999999999999999999 does not fit the column type int64");
	res_free(&r);
	/* With infer-rows=0 the mix is seen and unified instead. */
	run("{\"a\":1}\n{\"a\":2.5}\n", "infer-rows=0", &r);
	CHECK(r.rc == TARN_OK);
	CHECK_STR(r.schema, "a: float64\n");
	res_free(&r);
}

TEST(unknown_keys)
{
	struct res r;
	run("{\"a\":1}\n{\"a\":2,\"b\":{\"c\":[1]}}\n{\"a\":3,\"s\":{\"z\":1}}\n", "infer-rows=1", &r);
	CHECK(r.rc == TARN_EDATA);
	CHECK_STR(r.err, "t.jsonl:2:8 (byte 15, record 2): key \"b\" is not in the schema (it did "
			 "not appear in the first 1 records, which the schema was inferred from); "
			 "use infer-rows=0 to infer from every record, or unknown-keys=ignore to "
			 "drop such keys");
	res_free(&r);
	run("{\"a\":1}\n{\"a\":2,\"b\":{\"c\":[1]}}\n{\"b\":[],\"a\":3}\n", "infer-rows=1;unknown-keys=ignore",
	    &r);
	CHECK(r.rc == TARN_OK);
	CHECK_STR(r.out, "{\"a\":1}\n{\"a\":2}\n{\"a\":3}\n");
	res_free(&r);
	/* Nested keys too, with their path. */
	run("{\"s\":{\"x\":1}}\n{\"s\":{\"x\":1,\"y\":2}}\n", "infer-rows=1", &r);
	CHECK_CONTAINS(r.err, "key \"s.y\" is not in the schema");
	res_free(&r);
	/* Ignored values are still checked. */
	run("{\"a\":1}\n{\"b\":[1,}\n", "infer-rows=1;unknown-keys=ignore", &r);
	CHECK_STR(r.err, "t.jsonl:2:9 (byte 16): unexpected '}' where a value was expected");
	res_free(&r);
}

TEST(options)
{
	struct res r;
	run("{}", "bogus=1", &r);
	CHECK(r.rc == TARN_EUSAGE);
	CHECK_CONTAINS(r.err, "the jsonl reader has no option 'bogus' (known: infer-rows,");
	res_free(&r);
	run("{}", "max-depth=0", &r);
	CHECK(r.rc == TARN_EUSAGE);
	CHECK_CONTAINS(r.err, "max-depth: must be 1..1000");
	res_free(&r);
	run("{}", "max-value-size=12X", &r);
	CHECK(r.rc == TARN_EUSAGE);
	CHECK_CONTAINS(r.err, "option max-value-size: '12X' is not a size");
	res_free(&r);
	run("{}", "unknown-keys=maybe", &r);
	CHECK(r.rc == TARN_EUSAGE);
	res_free(&r);
	run("{}", "infer-rows=-1", &r);
	CHECK(r.rc == TARN_EUSAGE);
	res_free(&r);
}

TEST(on_bad_row)
{
	const char *in = "{\"a\":1,\"b\":\"x\"}\n"
			 "{\"a\":2,\"b\":}\n"
			 "{\"a\":\"zz\",\"b\":\"y\"}\n"
			 "{\"a\":4,\"b\":\"w\",\"c\":1}\n"
			 "{\"a\":5,\"b\":\"v\"} junk\n"
			 "{\"a\":6,\"b\":\"u\"}\n"
			 "{\"a\":7";
	static const char *const drivers[] = { "", ";chunk-size=1", ";chunk-size=20",
					       ";read-size=3" };
	for (size_t i = 0; i < sizeof drivers / sizeof drivers[0]; i++) {
		char o[128];
		struct res r;
		snprintf(o, sizeof o, "infer-rows=1;on-bad-row=skip%s", drivers[i]);
		if (strstr(o, "read-size")) {
			/* Streaming needs a non-mapped input: zstd it. */
			void *z;
			size_t zn = ZSTD_compressBound(strlen(in));
			z = malloc(zn);
			zn = ZSTD_compress(z, zn, in, strlen(in), 1);
			run_ex(z, zn, &tarn_format_jsonl, o, NULL, NULL, &r);
			free(z);
		} else {
			run(in, o, &r);
		}
		CHECK(r.rc == TARN_OK);
		CHECK_STR(r.out, "{\"a\":1,\"b\":\"x\"}\n{\"a\":5,\"b\":\"v\"}\n{\"a\":6,\"b\":\"u\"}\n");
		CHECK(r.bad_rows == 5);
		res_free(&r);
		snprintf(o, sizeof o, "infer-rows=1;on-bad-row=null-fill%s", drivers[i]);
		run(in, o, &r);
		CHECK(r.rc == TARN_OK);
		CHECK_STR(r.out, "{\"a\":1,\"b\":\"x\"}\n{\"a\":null,\"b\":\"y\"}\n"
				 "{\"a\":4,\"b\":\"w\"}\n{\"a\":5,\"b\":\"v\"}\n{\"a\":6,\"b\":\"u\"}\n");
		CHECK(r.bad_rows == 5);
		res_free(&r);
	}
	/* Nested misfits: null-fill nulls the value, not the record. */
	struct res r;
	run("{\"l\":[1,2]}\n{\"l\":[3,\"x\",{\"q\":[1]}]}\n{\"l\":{\"k\":1}}\n",
	    "infer-rows=1;on-bad-row=null-fill", &r);
	CHECK(r.rc == TARN_OK);
	CHECK_STR(r.out, "{\"l\":[1,2]}\n{\"l\":[3,null,null]}\n{\"l\":null}\n");
	CHECK(r.bad_rows == 2);
	res_free(&r);
	/* Inside a top-level array: misfits are skipped, syntax errors stay
	 * errors (there is no line to resume at). */
	run("[{\"a\":1},{\"a\":\"x\"},{\"a\":3}]", "infer-rows=1;on-bad-row=skip", &r);
	CHECK(r.rc == TARN_OK);
	CHECK_STR(r.out, "{\"a\":1}\n{\"a\":3}\n");
	CHECK(r.bad_rows == 1);
	res_free(&r);
	run("[{\"a\":1},{\"a\":},{\"a\":3}]", "on-bad-row=skip", &r);
	CHECK(r.rc == TARN_EDATA);
	CHECK_CONTAINS(r.err, "unexpected '}' where a value was expected");
	res_free(&r);
	/* Limits are not bad rows. */
	run("{\"a\":1}\n{\"a\":[[[[1]]]]}\n", "on-bad-row=skip;max-depth=3", &r);
	CHECK(r.rc == TARN_ELIMIT);
	res_free(&r);
	run("{}", "on-bad-row=maybe", &r);
	CHECK(r.rc == TARN_EUSAGE);
	res_free(&r);
}

/* ---- limits -------------------------------------------------------------------------- */

static char *nested(const char *open, const char *mid, const char *close, int depth)
{
	size_t lo = strlen(open), lc = strlen(close), lm = strlen(mid);
	char *s = malloc((lo + lc) * (size_t)depth + lm + 1);
	size_t k = 0;
	for (int i = 0; i < depth; i++, k += lo)
		memcpy(s + k, open, lo);
	memcpy(s + k, mid, lm);
	k += lm;
	for (int i = 0; i < depth; i++, k += lc)
		memcpy(s + k, close, lc);
	s[k] = '\0';
	return s;
}

TEST(depth_limits)
{
	struct res r;
	char *s = nested("[", "1", "]", 1000000);
	run(s, NULL, &r);
	CHECK(r.rc == TARN_ELIMIT);
	/* The top-level array is the file's shape, not nesting: the record
	 * starts at byte 1 and its 65th level is too deep. */
	CHECK_STR(r.err, "t.jsonl:1:66 (byte 65): nesting deeper than max-depth (64)");
	res_free(&r);
	free(s);
	s = nested("{\"a\":", "1", "}", 1000000);
	run(s, "max-depth=1000", &r);
	CHECK(r.rc == TARN_ELIMIT);
	CHECK_CONTAINS(r.err, "nesting deeper than max-depth (1000)");
	res_free(&r);
	free(s);
	/* Deep nesting in a string column's JSON text (iterative copy). */
	s = nested("[", "1", "]", 1000000);
	char *t = malloc(strlen(s) + 64);
	sprintf(t, "{\"a\":\"x\"}\n{\"a\":%s}\n", s);
	run(t, "infer-rows=1", &r);
	CHECK(r.rc == TARN_ELIMIT);
	CHECK_CONTAINS(r.err, "nesting deeper than max-depth (64)");
	res_free(&r);
	/* And when skipping an unknown key. */
	sprintf(t, "{\"a\":\"x\"}\n{\"b\":%s}\n", s);
	run(t, "infer-rows=1;unknown-keys=ignore", &r);
	CHECK(r.rc == TARN_ELIMIT);
	res_free(&r);
	free(t);
	free(s);
	/* Exactly at the limit is fine: depth 3 = a record with two levels inside. */
	run("{\"a\":{\"b\":[1]}}", "max-depth=3", &r);
	CHECK(r.rc == TARN_OK);
	res_free(&r);
	run("{\"a\":{\"b\":[1]}}", "max-depth=2", &r);
	CHECK(r.rc == TARN_ELIMIT);
	CHECK_STR(r.err, "t.jsonl:1:11 (byte 10): nesting deeper than max-depth (2)");
	res_free(&r);
}

TEST(size_limits)
{
	struct res r;
	run("{\"a\":\"0123456789\"}", "max-value-size=9", &r);
	CHECK(r.rc == TARN_ELIMIT);
	CHECK_STR(r.err, "t.jsonl:1:6 (byte 5): string longer than max-value-size (9 bytes)");
	res_free(&r);
	run("{\"a\":\"0123456789\"}", "max-value-size=10", &r);
	CHECK(r.rc == TARN_OK);
	res_free(&r);
	run("{\"a\":12345678901}", "max-value-size=10", &r);
	CHECK(r.rc == TARN_ELIMIT);
	CHECK_CONTAINS(r.err, "number longer than max-value-size (10 bytes)");
	res_free(&r);
	run("{\"a\":\"x\"}\n{\"a\":[1,2,3,4,5,6]}\n", "infer-rows=1;max-value-size=8", &r);
	CHECK(r.rc == TARN_ELIMIT);
	CHECK_CONTAINS(r.err, "value longer than max-value-size (8 bytes)");
	res_free(&r);
	run("{\"a\":1}\n{\"a\":1234567890}\n", "max-record-size=12", &r);
	CHECK(r.rc == TARN_ELIMIT);
	CHECK_STR(r.err, "t.jsonl:2:1 (byte 8): record longer than max-record-size (12 bytes)");
	res_free(&r);
	run("{\"a\":1}\n{\"a\":1234567890}\n", "max-value-size=1k;max-record-size=1K", &r);
	CHECK(r.rc == TARN_OK);
	res_free(&r);
}

/* ---- shapes and drivers ----------------------------------------------------------------- */

TEST(array_and_lines_agree)
{
	const char *lines = "{\"a\":1,\"b\":\"x\"}\n{\"a\":2,\"b\":\"y\"}\r\n\n{\"a\":3}";
	const char *array = "\xef\xbb\xbf [ {\"a\":1,\"b\":\"x\"} ,\n{\"a\":2,\"b\":\"y\"},{\"a\":3} ] \n";
	const char *pretty = "{\n  \"a\": 1,\n  \"b\": \"x\"\n}\n{\n  \"a\": 2,\n  \"b\": \"y\"\n}{\"a\":3}";
	char *o1 = read_text(lines, NULL);
	char *o2 = read_text(array, NULL);
	char *o3 = read_text(pretty, NULL);
	const char *want = "{\"a\":1,\"b\":\"x\"}\n{\"a\":2,\"b\":\"y\"}\n{\"a\":3,\"b\":null}\n";
	CHECK_STR(o1, want);
	CHECK_STR(o2, want);
	CHECK_STR(o3, want);
	free(o1);
	free(o2);
	free(o3);
}

TEST(empty_inputs)
{
	static const char *const ins[] = { "", "  \n\t\r\n", "[]", " [ ] \n", "\xef\xbb\xbf" };
	for (size_t i = 0; i < sizeof ins / sizeof ins[0]; i++) {
		struct res r;
		run_ex(ins[i], strlen(ins[i]), &tarn_format_json, NULL, &tarn_format_json, NULL, &r);
		CHECK(r.rc == TARN_OK);
		CHECK_STR(r.schema, "");
		CHECK(r.rows == 0);
		CHECK_STR(r.out, "[]\n");
		res_free(&r);
	}
	/* Objects without keys: rows without columns. */
	struct res r;
	run("{}\n{}\n", NULL, &r);
	CHECK(r.rc == TARN_OK);
	CHECK(r.rows == 2);
	CHECK_STR(r.out, "{}\n{}\n");
	res_free(&r);
}

/* Input of n records with variety (escapes, nesting, missing keys). */
static char *make_lines(int n, bool pretty_every_7th)
{
	size_t cap = (size_t)n * 200 + 64, len = 0;
	char *s = malloc(cap);
	for (int i = 0; i < n; i++) {
		if (pretty_every_7th && i % 7 == 3)
			len += (size_t)snprintf(s + len, cap - len,
						"{\n \"id\": %d,\n \"s\": \"p\\n%d\"\n}\n", i, i);
		else
			len += (size_t)snprintf(
				s + len, cap - len,
				"{\"id\":%d,\"s\":\"r\\u00e9%d\\\"\",\"f\":%d.%02d,\"l\":[%d,%d],"
				"\"o\":{\"k\":%s}%s}\n",
				i, i, i, i % 100, i, -i, i % 3 ? "true" : "null",
				i % 5 ? "" : ",\"x\":\"extra\"");
	}
	s[len] = '\0';
	return s;
}

TEST(drivers_agree)
{
	/* Mapped sequential, streaming with tiny windows, parallel with tiny
	 * chunks (and the fallback when records span lines): same output. */
	for (int pretty = 0; pretty < 2; pretty++) {
		char *in = make_lines(3000, pretty);
		char *base = read_text(in, "infer-rows=0");
		REQUIRE(strncmp(base, "ERR", 3) != 0);
		static const char *const opts[] = {
			"infer-rows=0;chunk-size=1",
			"infer-rows=0;chunk-size=1000",
			"infer-rows=0;chunk-size=100000",
		};
		for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++) {
			char *o = read_text(in, opts[i]);
			CHECK_STR(o, base);
			free(o);
		}
		/* Streaming: gzip the input and read it with tiny reads. */
		uLong cl = compressBound((uLong)strlen(in)) + 64;
		unsigned char *gz = malloc(cl);
		z_stream zs;
		memset(&zs, 0, sizeof zs);
		REQUIRE(deflateInit2(&zs, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY) == Z_OK);
		zs.next_in = (Bytef *)in;
		zs.avail_in = (uInt)strlen(in);
		zs.next_out = gz;
		zs.avail_out = (uInt)cl;
		REQUIRE(deflate(&zs, Z_FINISH) == Z_STREAM_END);
		size_t gzn = zs.total_out;
		deflateEnd(&zs);
		/* A small sample leaves most records to the streaming window,
		 * so records are cut mid-value (inside nested structs and
		 * lists) and rolled back. */
		static const char *const sopts[] = { "infer-rows=0;read-size=1",
						     "infer-rows=0;read-size=7",
						     "infer-rows=0;read-size=4096", "infer-rows=0",
						     "infer-rows=3;read-size=1",
						     "infer-rows=3;read-size=5",
						     "infer-rows=3;read-size=13",
						     "infer-rows=3;read-size=1000" };
		for (size_t i = 0; i < sizeof sopts / sizeof sopts[0]; i++) {
			struct res r;
			run_ex(gz, gzn, NULL, sopts[i], NULL, NULL, &r);
			CHECK(r.rc == TARN_OK);
			CHECK_STR(r.out, base);
			CHECK_STR(r.format, "jsonl");
			res_free(&r);
		}
		free(gz);
		free(base);
		free(in);
	}
}

TEST(errors_located_in_later_chunks)
{
	char *in = make_lines(2000, false);
	size_t n = strlen(in);
	/* Break record 1500 (line 1500): its "id" value becomes "x". */
	char *p = in;
	for (int line = 1; line < 1500; line++)
		p = strchr(p, '\n') + 1;
	long off = p - in;
	p[6] = 'x';
	char want[128];
	snprintf(want, sizeof want, "t.jsonl:1500:7 (byte %ld): unexpected 'x'", off + 6);
	static const char *const opts[] = { "infer-rows=10", "infer-rows=10;chunk-size=1",
					    "infer-rows=10;chunk-size=777" };
	for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++) {
		struct res r;
		run_ex(in, n, &tarn_format_jsonl, opts[i], NULL, NULL, &r);
		CHECK(r.rc == TARN_EDATA);
		CHECK_CONTAINS(r.err, want);
		res_free(&r);
	}
	/* A type error names the record. */
	p[6] = '1';
	p[7] = '.';
	for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++) {
		struct res r;
		run_ex(in, n, &tarn_format_jsonl, opts[i], NULL, NULL, &r);
		CHECK(r.rc == TARN_EDATA);
		snprintf(want, sizeof want, "t.jsonl:1500:7 (byte %ld, record 1500): key \"id\"", off + 6);
		CHECK_CONTAINS(r.err, want);
		res_free(&r);
	}
	free(in);
}

TEST(array_records_in_parallel)
{
	/* One record per line inside a top-level array: chunked like JSONL. */
	size_t cap = 400000, len = 0;
	char *s = malloc(cap);
	len += (size_t)snprintf(s + len, cap - len, "[\n");
	for (int i = 0; i < 5000; i++)
		len += (size_t)snprintf(s + len, cap - len, "{\"i\":%d,\"t\":\"v%d\"}%s\n", i, i,
					i < 4999 ? "," : "");
	len += (size_t)snprintf(s + len, cap - len, "]\n");
	char *a = read_text(s, NULL);
	char *b = read_text(s, "chunk-size=300");
	CHECK(strncmp(a, "{\"i\":0,\"t\":\"v0\"}\n", 17) == 0);
	CHECK_STR(a, b);
	free(a);
	free(b);
	free(s);
}

static size_t zstd_pack(const char *in, void **out)
{
	size_t cap = ZSTD_compressBound(strlen(in));
	*out = malloc(cap);
	size_t n = ZSTD_compress(*out, cap, in, strlen(in), 3);
	return ZSTD_isError(n) ? 0 : n;
}

TEST(compressed_inputs)
{
	const char *text = "[{\"a\":1},{\"a\":2}]";
	void *z;
	size_t zn = zstd_pack(text, &z);
	REQUIRE(zn > 0);
	struct res r;
	run_ex(z, zn, NULL, NULL, NULL, NULL, &r);
	CHECK(r.rc == TARN_OK);
	CHECK_STR(r.format, "json");
	CHECK_STR(r.out, "{\"a\":1}\n{\"a\":2}\n");
	res_free(&r);
	/* A truncated zstd stream is an error, not a short table. */
	run_ex(z, zn - 3, NULL, NULL, NULL, NULL, &r);
	CHECK(r.rc == TARN_EDATA);
	res_free(&r);
	free(z);
	/* Streamed record longer than max-record-size. */
	char big[300];
	memset(big, 'x', sizeof big);
	snprintf(big, sizeof big, "{\"a\":\"%0200d\"}\n", 7);
	zn = zstd_pack(big, &z);
	run_ex(z, zn, NULL, "max-record-size=100;read-size=16", NULL, NULL, &r);
	CHECK(r.rc == TARN_ELIMIT);
	res_free(&r);
	free(z);
}

TEST(sniffing)
{
	struct res r;
	run_ex("{\"a\":1}\n{\"a\":2}\n", 16, NULL, NULL, NULL, NULL, &r);
	CHECK_STR(r.format, "jsonl");
	res_free(&r);
	run_ex("{\n \"a\": 1\n}\n", 12, NULL, NULL, NULL, NULL, &r);
	CHECK_STR(r.format, "json");
	res_free(&r);
	run_ex(" [ {\"a\":1} ]", 12, NULL, NULL, NULL, NULL, &r);
	CHECK_STR(r.format, "json");
	res_free(&r);
	CHECK(tarn_format_json.sniff((const uint8_t *)"a,b\n1,2\n", 8) == 0);
	CHECK(tarn_format_jsonl.sniff((const uint8_t *)"{x}", 3) == 0);
}

/* ---- writer ---------------------------------------------------------------------------------- */

TEST(writer_shapes_and_options)
{
	const char *in = "{\"a\":1,\"b\":null,\"c\":[null]}\n{\"a\":null,\"b\":\"x\",\"c\":null}\n";
	struct res r;
	run_ex(in, strlen(in), NULL, NULL, &tarn_format_json, NULL, &r);
	CHECK_STR(r.out, "[\n{\"a\":1,\"b\":null,\"c\":[null]},\n{\"a\":null,\"b\":\"x\",\"c\":null}\n]\n");
	res_free(&r);
	run_ex(in, strlen(in), NULL, NULL, &tarn_format_jsonl, "omit-nulls=true", &r);
	CHECK_STR(r.out, "{\"a\":1,\"c\":[null]}\n{\"b\":\"x\"}\n");
	res_free(&r);
	run_ex(in, strlen(in), NULL, NULL, &tarn_format_json, "pretty=true", &r);
	CHECK(r.rc == TARN_EUSAGE);
	res_free(&r);
	/* Keys that need escaping. */
	run("{\"q\\\"k\":1,\"\\u0001\":2}", NULL, &r);
	CHECK_STR(r.out, "{\"q\\\"k\":1,\"\\u0001\":2}\n");
	res_free(&r);
}

/* Every column kind the writer formats, from a hand-built batch (so types
 * the reader never infers, and invalid UTF-8 from other sources, are
 * covered too). */
TEST(writer_all_types)
{
	static const char *const types[] = { "bool",   "int8",          "uint16",  "uint64",
					     "float32", "float64",      "decimal(7,3)", "string",
					     "binary", "date32",        "time64[ms]", "timestamp[us, UTC]",
					     "timestamp[s]", "null", "list<int32>", "struct<x: bool>" };
	int n = (int)(sizeof types / sizeof types[0]);
	struct tarn_schema *sc;
	struct tarn_err err;
	tarn_err_clear(&err);
	REQUIRE(tarn_schema_new(n, &sc) == TARN_OK);
	for (int i = 0; i < n; i++) {
		char name[16];
		snprintf(name, sizeof name, "c%d", i);
		REQUIRE(tarn_field_set_name(&sc->fields[i], name, strlen(name)) == TARN_OK);
		REQUIRE(tarn_type_parse(types[i], &sc->fields[i].type, &err) == TARN_OK);
	}
	struct tarn_batch *b;
	REQUIRE(tarn_batch_new(sc, 2, &b) == TARN_OK);
	tarn_rc rc = TARN_OK;
	rc |= tarn_array_append_bool(b->cols[0], true);
	rc |= tarn_array_append_int(b->cols[1], -128);
	rc |= tarn_array_append_int(b->cols[2], 65535);
	rc |= tarn_array_append_uint(b->cols[3], UINT64_MAX);
	rc |= tarn_array_append_double(b->cols[4], 0.1);
	rc |= tarn_array_append_double(b->cols[5], 1e300 * 1e10); /* inf */
	rc |= tarn_array_append_decimal(b->cols[6], -1234567);
	rc |= tarn_array_append_bytes(b->cols[7], "a\xff\"b", 4);
	rc |= tarn_array_append_bytes(b->cols[8], "\x00\x01\xfe", 3);
	rc |= tarn_array_append_int(b->cols[9], 19000);
	rc |= tarn_array_append_int(b->cols[10], 3723004);
	rc |= tarn_array_append_int(b->cols[11], 1500);
	rc |= tarn_array_append_int(b->cols[12], -1);
	rc |= tarn_array_append_null(b->cols[13]);
	rc |= tarn_array_append_int(b->cols[14]->children[0], 7);
	rc |= tarn_array_list_end(b->cols[14], true);
	rc |= tarn_array_append_bool(b->cols[15]->children[0], false);
	rc |= tarn_array_struct_end(b->cols[15], true);
	for (int i = 0; i < n; i++)
		rc |= tarn_array_append_null(b->cols[i]);
	REQUIRE(rc == TARN_OK);
	REQUIRE(tarn_batch_seal(b, &err) == TARN_OK);
	struct tarn_output *o;
	struct tarn_writer *w;
	REQUIRE(tarn_output_open_mem(&o, &err) == TARN_OK);
	REQUIRE(tarn_writer_open_output(o, &tarn_format_jsonl, sc, NULL, &w, &err) == TARN_OK);
	REQUIRE(tarn_writer_write(w, b, &err) == TARN_OK);
	REQUIRE(tarn_writer_finish(w, &err) == TARN_OK);
	size_t on;
	const char *out = (const char *)tarn_output_mem(w->out, &on);
	char *got = strndup(out, on);
	CHECK_STR(got, "{\"c0\":true,\"c1\":-128,\"c2\":65535,\"c3\":18446744073709551615,"
		       "\"c4\":0.1,\"c5\":null,\"c6\":-1234.567,\"c7\":\"a\xef\xbf\xbd\\\"b\","
		       "\"c8\":\"AAH+\",\"c9\":\"2022-01-08\",\"c10\":\"01:02:03.004\","
		       "\"c11\":\"1970-01-01 00:00:00.0015Z\",\"c12\":\"1969-12-31 23:59:59\","
		       "\"c13\":null,\"c14\":[7],\"c15\":{\"x\":false}}\n"
		       "{\"c0\":null,\"c1\":null,\"c2\":null,\"c3\":null,\"c4\":null,\"c5\":null,"
		       "\"c6\":null,\"c7\":null,\"c8\":null,\"c9\":null,\"c10\":null,\"c11\":null,"
		       "\"c12\":null,\"c13\":null,\"c14\":null,\"c15\":null}\n");
	free(got);
	tarn_writer_close(w);
	tarn_batch_free(b);
	tarn_schema_unref(sc);
}

TEST(writer_parallel_order)
{
	/* Enough rows for parallel formatting; order and separators kept. */
	size_t cap = 2000000, len = 0;
	char *s = malloc(cap);
	for (int i = 0; i < 50000; i++)
		len += (size_t)snprintf(s + len, cap - len, "{\"i\":%d}\n", i);
	struct res r;
	run_ex(s, len, NULL, NULL, &tarn_format_json, NULL, &r);
	REQUIRE(r.rc == TARN_OK);
	CHECK(strncmp(r.out, "[\n{\"i\":0},\n{\"i\":1},\n", 20) == 0);
	CHECK(strcmp(r.out + r.out_len - 16, ",\n{\"i\":49999}\n]\n") == 0);
	int64_t rows = 0;
	for (char *p = r.out; (p = strstr(p, "{\"i\":")); p++)
		rows++;
	CHECK(rows == 50000);
	/* Read back: the same values in the same order. */
	struct res r2;
	run_ex(r.out, r.out_len, &tarn_format_json, NULL, NULL, NULL, &r2);
	CHECK_STR(r2.out, s);
	res_free(&r2);
	res_free(&r);
	free(s);
}

/* ---- round trips ---------------------------------------------------------------------------- */

static const char *const round_trip_doc =
	"[{\"id\":1,\"name\":\"a\\u00e9\\\"\\n\",\"f\":1.5,\"big\":12345678901234567890,"
	"\"t\":true,\"n\":null,\"s\":{\"x\":[1,2,{\"deep\":\"y\"}]},\"mixed\":1,"
	"\"l\":[[1.25],[]]},"
	"{\"id\":-2,\"name\":\"\",\"f\":-0.001,\"big\":1,\"t\":false,\"n\":null,"
	"\"s\":{\"x\":[]},\"mixed\":\"q\",\"l\":null},"
	"{\"id\":3}]";

static void strip_notes(char *schema)
{
	char *w = schema;
	for (char *r = schema; *r;) {
		char *nl = strchr(r, '\n');
		char *hash = strstr(r, "  # ");
		size_t keep = hash && hash < nl ? (size_t)(hash - r) : (size_t)(nl - r);
		memmove(w, r, keep);
		w += keep;
		*w++ = '\n';
		r = nl + 1;
	}
	*w = '\0';
}

TEST(round_trip_json_jsonl_json)
{
	/* JSON -> JSON, and JSON -> JSONL -> JSON: value-identical. */
	struct res direct, lines, back;
	run_ex(round_trip_doc, strlen(round_trip_doc), &tarn_format_json, NULL, &tarn_format_json,
	       NULL, &direct);
	REQUIRE(direct.rc == TARN_OK);
	run_ex(round_trip_doc, strlen(round_trip_doc), &tarn_format_json, NULL, &tarn_format_jsonl,
	       NULL, &lines);
	REQUIRE(lines.rc == TARN_OK);
	run_ex(lines.out, lines.out_len, &tarn_format_jsonl, NULL, &tarn_format_json, NULL, &back);
	REQUIRE(back.rc == TARN_OK);
	CHECK_STR(back.out, direct.out);
	/* The types are the same; only the notes go (JSON text read back is
	 * plain strings). */
	strip_notes(back.schema);
	strip_notes(direct.schema);
	CHECK_STR(back.schema, direct.schema);
	/* And once more: a fixed point. */
	struct res again;
	run_ex(back.out, back.out_len, &tarn_format_json, NULL, &tarn_format_json, NULL, &again);
	CHECK_STR(again.out, back.out);
	res_free(&again);
	res_free(&direct);
	res_free(&lines);
	res_free(&back);
}

TEST(round_trip_through_csv)
{
	if (!tarn_format_csv.open_reader || !tarn_format_csv.open_writer) {
		fprintf(stderr, "json: CSV format not available yet; JSON->CSV->JSON skipped\n");
		return;
	}
	const char *doc = "[{\"id\":1,\"name\":\"a, \\\"b\\\"\",\"f\":1.5,\"ok\":true},"
			  "{\"id\":2,\"name\":\"line\\nbreak\",\"f\":-2.25,\"ok\":false},"
			  "{\"id\":3,\"name\":\"\\u00e9\",\"f\":0.5,\"ok\":null}]";
	struct res direct, csv, back;
	run_ex(doc, strlen(doc), &tarn_format_json, NULL, &tarn_format_json, NULL, &direct);
	REQUIRE(direct.rc == TARN_OK);
	run_ex(doc, strlen(doc), &tarn_format_json, NULL, &tarn_format_csv, NULL, &csv);
	REQUIRE(csv.rc == TARN_OK);
	/* CSV carries no types: name the float column's (the sniffer would
	 * take 1.5 for a decimal and write 1.50). */
	run_ex(csv.out, csv.out_len, &tarn_format_csv, "types=f=float64", &tarn_format_json, NULL,
	       &back);
	CHECK(back.rc == TARN_OK);
	CHECK_STR(back.out, direct.out);
	res_free(&direct);
	res_free(&csv);
	res_free(&back);
}

TEST(long_numbers)
{
	/* Numbers longer than the text kernels take (4096 bytes) keep their
	 * value: the first 800 significant digits and a sticky digit for the
	 * rest decide the rounding. */
	const char *heads[] = { "0.", "1", "-2.5", "9007199254740993.", "9007199254740993." };
	const char *tails[] = { "1e5000", "", "e-1", "1", "" };
	struct sbuf {
		char *p;
		size_t n;
	} b = { malloc(64 * 1024), 0 };
	REQUIRE(b.p != NULL);
	for (int i = 0; i < 5; i++) {
		b.n += (size_t)sprintf(b.p + b.n, "{\"f\":%s", heads[i]);
		memset(b.p + b.n, '0', 5000);
		b.n += 5000;
		b.n += (size_t)sprintf(b.p + b.n, "%s}\n", tails[i]);
	}
	b.p[b.n] = '\0';
	struct res r;
	run(b.p, NULL, &r);
	CHECK(r.rc == TARN_OK);
	/* 1e5000 is infinity (written null); just past the tie between
	 * 2^53 and 2^53+2 rounds up, the tie itself to even */
	CHECK_STR(r.out, "{\"f\":0.1}\n{\"f\":null}\n{\"f\":-0.25}\n"
			 "{\"f\":9007199254740994.0}\n{\"f\":9007199254740992.0}\n");
	res_free(&r);
	run(b.p, "types=f=float32", &r);
	CHECK_STR(r.out, "{\"f\":0.1}\n{\"f\":null}\n{\"f\":-0.25}\n"
			 "{\"f\":9007199000000000.0}\n{\"f\":9007199000000000.0}\n");
	res_free(&r);
	free(b.p);
}

/* ---- one value for other formats (json_value.h) ---------------------------------------- */

/* A parser for `type` over text; *out gets the array's rows as JSON text
 * (one per line, "null" for null rows) or "ERR <rc> @<offset>: <message>". */
struct vres {
	char text[2048];
	tarn_rc rc;
	size_t at;
	int64_t length;
};

static void vparse(const char *type, const char *const *values, int n_values,
		   const struct json_limits *lim, struct vres *res)
{
	memset(res, 0, sizeof *res);
	struct tarn_type t;
	struct tarn_err err;
	tarn_err_clear(&err);
	if (tarn_type_parse(type, &t, &err) != TARN_OK) {
		snprintf(res->text, sizeof res->text, "bad type");
		res->rc = TARN_EUSAGE;
		return;
	}
	struct json_value_parser *vp = NULL;
	struct tarn_array *a = NULL;
	tarn_rc rc = json_value_parser_new(&t, lim, &vp, &err);
	if (rc == TARN_OK)
		rc = tarn_array_new(&t, 4, &a);
	for (int i = 0; rc == TARN_OK && i < n_values; i++)
		rc = json_value_parse(vp, (const uint8_t *)values[i], strlen(values[i]), a,
				      &res->at, &err);
	res->rc = rc;
	if (a) {
		res->length = a->length;
		CHECK(tarn_array_validate(a, true, NULL) == TARN_OK);
	}
	if (rc) {
		snprintf(res->text, sizeof res->text, "ERR %d @%zu: %s", (int)rc, res->at, err.msg);
	} else {
		struct tarn_buf b;
		tarn_buf_init(&b);
		for (int64_t i = 0; i < a->length; i++) {
			if (tarn_array_is_null(a, i))
				CHECK(tarn_buf_append(&b, "null", 4) == TARN_OK);
			else
				CHECK(tarn_value_to_text(a, i, true, &b) == TARN_OK);
			CHECK(tarn_buf_putc(&b, '\n') == TARN_OK);
		}
		snprintf(res->text, sizeof res->text, "%.*s", (int)b.len, b.data ? b.data : "");
		tarn_buf_free(&b);
	}
	tarn_array_free(a);
	json_value_parser_free(vp);
	tarn_type_clear(&t);
}

#define VALS(...) ((const char *const[]){ __VA_ARGS__ }), \
	(int)(sizeof((const char *const[]){ __VA_ARGS__ }) / sizeof(const char *))

TEST(value_parse_types)
{
	struct vres r;
	vparse("struct<a: int64, b: list<string>, c: struct<d: float64>>",
	       VALS("{\"a\":1,\"b\":[\"x\",null],\"c\":{\"d\":-0.0}}", " null ",
		    "{\"c\":null,\"b\":[],\"a\":-9223372036854775808}", "{}",
		    "{\"a\":1,\"a\":2,\"b\":[\"\\u00e9\"]}"),
	       NULL, &r);
	CHECK(r.rc == TARN_OK);
	CHECK_STR(r.text, "{\"a\":1,\"b\":[\"x\",null],\"c\":{\"d\":-0.0}}\n"
			  "null\n"
			  "{\"a\":-9223372036854775808,\"b\":[],\"c\":null}\n"
			  "{\"a\":null,\"b\":null,\"c\":null}\n"
			  "{\"a\":2,\"b\":[\"\xc3\xa9\"],\"c\":null}\n");
	/* Scalars spelled as the JSON reader reads them: dates as strings,
	 * binary as base64, decimals exact, uint64 above INT64_MAX. */
	vparse("list<date32>", VALS("[\"2024-02-29\",\"-0044-03-15\",null]"), NULL, &r);
	CHECK_STR(r.text, "[\"2024-02-29\",\"-0044-03-15\",null]\n");
	vparse("list<binary>", VALS("[\"AP8Q\",\"\"]"), NULL, &r);
	CHECK_STR(r.text, "[\"AP8Q\",\"\"]\n");
	vparse("list<decimal(38,2)>", VALS("[123456789012345678901234567890123456.78,-0.5]"),
	       NULL, &r);
	CHECK_STR(r.text, "[123456789012345678901234567890123456.78,-0.50]\n");
	vparse("list<uint64>", VALS("[18446744073709551615,0]"), NULL, &r);
	CHECK_STR(r.text, "[18446744073709551615,0]\n");
	vparse("list<timestamp[ns, UTC]>", VALS("[\"2024-01-02T03:04:05.123456789+01:00\"]"), NULL,
	       &r);
	CHECK_STR(r.text, "[\"2024-01-02 02:04:05.123456789Z\"]\n");
	/* float32 from the text, not through double (which rounds twice). */
	vparse("list<float32>", VALS("[7.038531e-26,0.1,3.4028235e+38]"), NULL, &r);
	CHECK_STR(r.text, "[7.038531e-26,0.1,3.4028235e+38]\n");
	/* A string type takes any value as its JSON text. */
	vparse("list<string>", VALS("[{\"k\": [1, 2]}, true, 1.50]"), NULL, &r);
	CHECK_STR(r.text, "[\"{\\\"k\\\":[1,2]}\",\"true\",\"1.50\"]\n");
}

TEST(value_parse_maps)
{
	struct vres r;
	/* Both spellings text.c writes: an object for string keys, a list of
	 * {"key":..,"value":..} for any key type. */
	vparse("map<string, int64>",
	       VALS("{\"a\":1,\"\":null}", "[{\"key\":\"b\",\"value\":2},{\"value\":3,\"key\":\"c\"}]",
		    "{}", "[]", "[{\"key\":\"d\"}]"),
	       NULL, &r);
	CHECK(r.rc == TARN_OK);
	CHECK_STR(r.text, "{\"a\":1,\"\":null}\n{\"b\":2,\"c\":3}\n{}\n{}\n{\"d\":null}\n");
	vparse("map<int64, list<bool>>",
	       VALS("[{\"key\":-1,\"value\":[true,null]},{\"key\":2,\"value\":null}]"), NULL, &r);
	CHECK_STR(r.text, "[{\"key\":-1,\"value\":[true,null]},{\"key\":2,\"value\":null}]\n");
	/* object keys read as the key type's text spelling */
	vparse("map<date32, int8>", VALS("{\"2024-01-02\":1}"), NULL, &r);
	CHECK_STR(r.text, "[{\"key\":\"2024-01-02\",\"value\":1}]\n");
	vparse("map<int64, int64>", VALS("[{\"key\":null,\"value\":1}]"), NULL, &r);
	CHECK(r.rc == TARN_EDATA);
	CHECK_CONTAINS(r.text, "a map key cannot be null");
	vparse("map<int64, int64>", VALS("[{\"value\":1}]"), NULL, &r);
	CHECK_CONTAINS(r.text, "@1: key \"[0]\": a map entry without \"key\"");
	vparse("map<int64, int64>", VALS("[{\"key\":1,\"val\":2}]"), NULL, &r);
	CHECK_CONTAINS(r.text, "member \"val\" in a map entry (an entry has \"key\" and \"value\")");
	vparse("map<int64, int64>", VALS("[1]"), NULL, &r);
	CHECK_CONTAINS(r.text, "a number where a map entry {\"key\":..,\"value\":..} was expected");
	/* numeric keys in an object, as JSON writers spell them */
	vparse("map<int64, int64>", VALS("{\"1\":2,\"-3\":4}"), NULL, &r);
	CHECK_STR(r.text, "[{\"key\":1,\"value\":2},{\"key\":-3,\"value\":4}]\n");
	vparse("map<int8, int64>", VALS("{\"1\":2,\"300\":4}"), NULL, &r);
	CHECK_CONTAINS(r.text, "\"300\" does not fit the column type int8");
	vparse("map<decimal(5,2), bool>", VALS("{\"1.5\":true}"), NULL, &r);
	CHECK_STR(r.text, "[{\"key\":1.50,\"value\":true}]\n");
	vparse("map<string, int64>", VALS("[{\"key\":\"a\",\"value\":\"x\"}]"), NULL, &r);
	CHECK_CONTAINS(r.text, "key \"[0].value\": \"x\" does not fit the column type int64");
}

TEST(value_parse_errors)
{
	struct vres r;
	/* the JSON reader's messages, without its hints, and where */
	vparse("struct<a: int64>", VALS("{\"a\":1}", "{\"a\":\"x\"}"), NULL, &r);
	CHECK(r.rc == TARN_EDATA);
	CHECK_STR(r.text, "ERR 2 @5: key \"a\": \"x\" does not fit the column type int64");
	CHECK(r.length == 1); /* the failed value left nothing behind */
	vparse("struct<a: int64>", VALS("{\"b\":1}"), NULL, &r);
	CHECK_STR(r.text, "ERR 2 @1: key \"b\" is not in the schema");
	vparse("list<int64>", VALS("[1,2,]"), NULL, &r);
	CHECK_STR(r.text, "ERR 2 @5: trailing comma before ']'");
	vparse("list<int64>", VALS("[1] x"), NULL, &r);
	CHECK_STR(r.text, "ERR 2 @4: unexpected 'x' after the value");
	vparse("list<int64>", VALS("  "), NULL, &r);
	CHECK_STR(r.text, "ERR 2 @2: unexpected end of input where a value was expected");
	vparse("list<list<int64>>", VALS("[[1], [2"), NULL, &r);
	CHECK_CONTAINS(r.text, "unexpected end of input inside an array");
	vparse("list<string>", VALS("[\"\xff\"]"), NULL, &r);
	CHECK_STR(r.text, "ERR 2 @2: invalid UTF-8 in a string (byte 0xFF)");
	vparse("list<float64>", VALS("[NaN]"), NULL, &r);
	CHECK(r.rc == TARN_EDATA);
	vparse("list<int64>", VALS("5"), NULL, &r);
	CHECK_STR(r.text, "ERR 2 @0: value: 5 does not fit the column type list<int64>");
	/* A partly appended nested value is rolled back, children included. */
	vparse("list<struct<a: list<int64>>>", VALS("[{\"a\":[1]}]", "[{\"a\":[1,2]},{\"a\":[3,\"x\"]}]"),
	       NULL, &r);
	CHECK(r.rc == TARN_EDATA && r.length == 1);

	/* limits */
	struct json_limits lim;
	json_limits_default(&lim);
	CHECK(lim.max_depth == 64 && lim.max_value == (int64_t)64 << 20 && !lim.allow_nan);
	lim.max_depth = 2;
	vparse("list<list<int64>>", VALS("[[1]]"), &lim, &r);
	CHECK(r.rc == TARN_OK);
	vparse("list<list<list<int64>>>", VALS("[[[1]]]"), &lim, &r);
	CHECK_STR(r.text, "ERR 6 @2: nesting deeper than max-depth (2)");
	vparse("list<string>", VALS("[[[[[[1]]]]]]"), &lim, &r);
	CHECK(r.rc == TARN_ELIMIT);
	json_limits_default(&lim);
	lim.max_value = 4;
	vparse("list<string>", VALS("[\"abcd\",\"abcde\"]"), &lim, &r);
	CHECK_STR(r.text, "ERR 6 @8: string longer than max-value-size (4 bytes)");
	lim.max_value = 64;
	lim.allow_nan = true;
	vparse("list<float64>", VALS("[NaN,-Infinity]"), &lim, &r);
	CHECK_STR(r.text, "[null,null]\n");
	lim.max_depth = 0;
	vparse("list<int64>", VALS("[]"), &lim, &r);
	CHECK(r.rc == TARN_EUSAGE);
}

TEST(value_append_one_shot)
{
	struct tarn_type t;
	REQUIRE(tarn_type_parse("list<int32>", &t, NULL) == TARN_OK);
	struct tarn_array *a;
	REQUIRE(tarn_array_new(&t, 1, &a) == TARN_OK);
	struct tarn_err err;
	tarn_err_clear(&err);
	CHECK(json_value_append((const uint8_t *)"[1,2]", 5, a, NULL, &err) == TARN_OK);
	CHECK(json_value_append((const uint8_t *)"[1,99999999999]", 15, a, NULL, &err) ==
	      TARN_EDATA);
	CHECK_STR(err.msg, "byte 3: key \"[1]\": 99999999999 does not fit the column type int32");
	CHECK(a->length == 1 && a->children[0]->length == 2);
	/* Allocation failures: a clean ENOMEM and an intact array. */
	int ok = 0, failed = 0;
	for (int64_t k = 0; k < 40; k++) {
		int64_t len = a->length, items = a->children[0]->length;
		tarn_mem_fail_after(k);
		tarn_rc rc = json_value_append((const uint8_t *)"[3,4,5,6,7,8,9,10,11,12]", 24, a,
					       NULL, NULL);
		tarn_mem_fail_after(-1);
		if (rc == TARN_OK) {
			ok++;
			CHECK(a->length == len + 1 && a->children[0]->length == items + 10);
		} else {
			failed++;
			CHECK(rc == TARN_ENOMEM);
			CHECK(a->length == len && a->children[0]->length == items);
		}
		CHECK(tarn_array_validate(a, false, NULL) == TARN_OK);
	}
	CHECK(ok > 0 && failed > 0);
	tarn_array_free(a);
	tarn_type_clear(&t);
}

TEST(reader_maps_and_declared_columns)
{
	struct res r;
	/* The reader takes both map spellings too, with any key type. */
	run("{\"m\":[{\"key\":1,\"value\":\"a\"}],\"n\":{\"x\":[1]}}\n"
	    "{\"m\":{},\"n\":[{\"key\":\"y\",\"value\":null}]}\n",
	    "types=m=map<int64, string>,n=map<string, list<int64>>", &r);
	CHECK(r.rc == TARN_OK);
	CHECK_STR(r.out, "{\"m\":[{\"key\":1,\"value\":\"a\"}],\"n\":{\"x\":[1]}}\n"
			 "{\"m\":[],\"n\":{\"y\":null}}\n");
	res_free(&r);
	/* null-fill nulls a map that is not one, entries and all */
	run("{\"m\":[{\"key\":1,\"value\":\"a\"},{\"key\":null}]}\n{\"m\":[]}\n",
	    "types=m=map<int64, string>;on-bad-row=null-fill", &r);
	CHECK(r.rc == TARN_OK && r.bad_rows == 1);
	CHECK_STR(r.out, "{\"m\":null}\n{\"m\":[]}\n");
	res_free(&r);
	run("{\"m\":[{\"key\":1,\"value\":\"a\"},{\"key\":null}]}\n",
	    "types=m=map<int64, string>", &r);
	CHECK(r.rc == TARN_EDATA);
	CHECK_CONTAINS(r.err, "t.jsonl:1:36 (byte 35, record 1): key \"m[1]\": a map key cannot be null");
	res_free(&r);
	/* A declared column is not inferred: map keys need not be usable as
	 * column names (\u0000), nor agree in type with each other. */
	run("{\"m\":{\"a\\u0000b\":1,\"c\":2},\"s\":1}\n{\"m\":{\"c\":{\"x\":1}},\"s\":2}\n",
	    "types=m=map<string, string>", &r);
	CHECK(r.rc == TARN_OK);
	CHECK_STR(r.schema, "m: map<string, string>\ns: int64\n");
	CHECK_STR(r.out, "{\"m\":{\"a\\u0000b\":\"1\",\"c\":\"2\"},\"s\":1}\n"
			 "{\"m\":{\"c\":\"{\\\"x\\\":1}\"},\"s\":2}\n");
	res_free(&r);
	run("{\"m\":{\"a\\u0000b\":1}}\n", NULL, &r);
	CHECK(r.rc == TARN_EUNSUPPORTED);
	CHECK_CONTAINS(r.err, "an object key containing \\u0000 cannot name a column");
	res_free(&r);
	/* float32 reads the text itself */
	run("{\"f\":7.038531e-26}\n", "types=f=float32", &r);
	CHECK_STR(r.out, "{\"f\":7.038531e-26}\n");
	res_free(&r);
}

/* ---- allocation failures ---------------------------------------------------------------------- */

TEST(allocation_failures)
{
	const char *in = "[{\"a\":1,\"s\":\"x\\u00e9\",\"l\":[{\"k\":1}],\"m\":\"q\"},"
			 "{\"a\":2,\"s\":\"y\",\"l\":[],\"m\":2}]";
	struct res ok;
	run_ex(in, strlen(in), NULL, NULL, &tarn_format_json, NULL, &ok);
	REQUIRE(ok.rc == TARN_OK);
	int failures = 0, successes = 0;
	for (int64_t n = 0; n < 400; n++) {
		struct res r;
		tarn_mem_fail_after(n);
		run_ex(in, strlen(in), NULL, NULL, &tarn_format_json, NULL, &r);
		tarn_mem_fail_after(-1);
		if (r.rc == TARN_OK) {
			successes++;
			CHECK_STR(r.out, ok.out);
		} else {
			failures++;
			CHECK(r.rc == TARN_ENOMEM);
		}
		res_free(&r);
	}
	CHECK(failures > 10);
	CHECK(successes > 0);
	res_free(&ok);
}

int main(void)
{
	/* Parallel chunking and formatting need workers even on one core. */
	tarn_config_set_threads(2);
	RUN(infer_scalars);
	RUN(infer_mixed_notes);
	RUN(infer_big_integers);
	RUN(infer_nested);
	RUN(infer_nested_notes);
	RUN(infer_key_order_and_missing);
	RUN(infer_dates);
	RUN(value_column);
	RUN(types_override);
	RUN(escapes_and_unicode);
	RUN(string_scan_positions);
	RUN(duplicate_keys_last_wins);
	RUN(numbers);
	RUN(nan_option);
	RUN(syntax_errors);
	RUN(record_shape_errors);
	RUN(type_errors_after_sample);
	RUN(unknown_keys);
	RUN(options);
	RUN(on_bad_row);
	RUN(depth_limits);
	RUN(size_limits);
	RUN(array_and_lines_agree);
	RUN(empty_inputs);
	RUN(drivers_agree);
	RUN(errors_located_in_later_chunks);
	RUN(array_records_in_parallel);
	RUN(compressed_inputs);
	RUN(sniffing);
	RUN(writer_shapes_and_options);
	RUN(writer_all_types);
	RUN(writer_parallel_order);
	RUN(round_trip_json_jsonl_json);
	RUN(round_trip_through_csv);
	RUN(long_numbers);
	RUN(value_parse_types);
	RUN(value_parse_maps);
	RUN(value_parse_errors);
	RUN(value_append_one_shot);
	RUN(reader_maps_and_declared_columns);
	RUN(allocation_failures);
	return unit_done();
}
