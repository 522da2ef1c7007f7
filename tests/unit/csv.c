/*
 * csv.c — tests of the CSV/TSV reader and writer (src/formats/csv/):
 * dialect and header sniffing, type inference, quoting, errors and their
 * messages, limits, the parallel splitter against the sequential parse, the
 * SIMD paths against the scalar one, compressed streams, the writer's
 * quoting and byte-exact round trips, nested columns read as JSON text,
 * every scalar type read back under --types, and allocation-failure
 * injection.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "base/io.h"
#include "base/mem.h"
#include "columnar/utf8.h"
#include "formats/format.h"
#include "unit.h"

extern const struct tarn_format tarn_format_csv;
extern const struct tarn_format tarn_format_tsv;

/* ---- helpers ----------------------------------------------------------------- */

struct res {
	tarn_rc rc;
	char err[TARN_ERR_MSG_MAX];
	char *schema; /* "name:type;..." */
	char *dump;   /* rows: cells joined by '|', nulls as <null>, rows by '\n' */
	char *notes;  /* notes joined by ';' */
	int64_t rows, bad;
	int batches;
};

static void res_free(struct res *r)
{
	free(r->schema);
	free(r->dump);
	free(r->notes);
	memset(r, 0, sizeof *r);
}

struct sbuf {
	char *p;
	size_t n, cap;
};

static void sb_add(struct sbuf *b, const char *s, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		b->cap = (b->n + n + 1) * 2;
		b->p = realloc(b->p, b->cap);
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
}

static void sb_str(struct sbuf *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

static struct tarn_opts *mkopts(const char *const *kv)
{
	struct tarn_opts *o = NULL;
	if (tarn_opts_new(&o))
		return NULL;
	for (int i = 0; kv && kv[i]; i++) {
		struct tarn_err e;
		tarn_err_clear(&e);
		if (tarn_opts_parse(o, kv[i], &e)) {
			tarn_opts_free(o);
			return NULL;
		}
	}
	return o;
}

static void dump_schema(const struct tarn_schema *s, struct res *r)
{
	struct sbuf b = { 0 }, nb = { 0 };
	sb_str(&b, "");
	sb_str(&nb, "");
	for (int i = 0; i < tarn_schema_num_fields(s); i++) {
		char t[128];
		tarn_schema_field_type_text(s, i, t, sizeof t);
		if (i)
			sb_str(&b, ";");
		sb_str(&b, tarn_schema_field_name(s, i));
		sb_str(&b, ":");
		sb_str(&b, t);
		const char *note = tarn_schema_field_note(s, i);
		if (note) {
			if (nb.n)
				sb_str(&nb, ";");
			sb_str(&nb, note);
		}
	}
	r->schema = b.p;
	r->notes = nb.p;
}

static void dump_batch(const struct tarn_batch *bt, struct sbuf *b)
{
	char cell[4096];
	for (int64_t row = 0; row < tarn_batch_num_rows(bt); row++) {
		for (int c = 0; c < tarn_batch_num_cols(bt); c++) {
			if (c)
				sb_str(b, "|");
			if (tarn_batch_is_null(bt, c, row)) {
				sb_str(b, "<null>");
				continue;
			}
			size_t n = tarn_batch_cell_text(bt, c, row, cell, sizeof cell);
			sb_add(b, cell, n);
		}
		sb_str(b, "\n");
	}
}

/* Reads `data` with the given format and options ("k=v" strings). */
static struct res read_fmt(const struct tarn_format *fmt, const void *data, size_t n,
			   const char *const *kv)
{
	struct res r = { 0 };
	struct tarn_err e;
	tarn_err_clear(&e);
	struct tarn_opts *o = mkopts(kv);
	struct tarn_input *in = NULL;
	struct tarn_reader *rd = NULL;
	struct sbuf b = { 0 };
	sb_str(&b, "");
	r.rc = tarn_input_open_mem(data, n, "t.csv", &in, &e);
	if (!r.rc)
		r.rc = tarn_reader_open_input(in, fmt, o, &rd, &e);
	if (!r.rc) {
		dump_schema(tarn_reader_schema(rd), &r);
		for (;;) {
			struct tarn_batch *bt = NULL;
			r.rc = tarn_reader_next(rd, &bt, &e);
			if (r.rc || !bt)
				break;
			if (tarn_array_validate(bt->cols[0], true, NULL) != TARN_OK)
				r.rc = TARN_EINTERNAL;
			for (int c = 0; c < bt->n_cols; c++)
				if (tarn_array_validate(bt->cols[c], true, &e) != TARN_OK)
					r.rc = TARN_EINTERNAL;
			r.rows += tarn_batch_num_rows(bt);
			r.batches++;
			dump_batch(bt, &b);
			tarn_batch_free(bt);
			if (r.rc)
				break;
		}
		r.bad = tarn_reader_bad_rows(rd);
	}
	r.dump = b.p;
	snprintf(r.err, sizeof r.err, "%s", e.msg);
	tarn_reader_close(rd);
	tarn_opts_free(o);
	return r;
}

static struct res rd(const char *text, const char *const *kv)
{
	return read_fmt(&tarn_format_csv, text, strlen(text), kv);
}

#define OPTS(...) ((const char *const[]){ __VA_ARGS__, NULL })

/* Reads and writes back with the CSV writer; returns malloc'd output. */
static char *roundtrip(const struct tarn_format *fmt, const void *data, size_t n,
		       const char *const *rkv, const char *const *wkv, size_t *out_n,
		       tarn_rc *rc_out)
{
	struct tarn_err e;
	tarn_err_clear(&e);
	struct tarn_opts *ro = mkopts(rkv), *wo = mkopts(wkv);
	struct tarn_input *in = NULL;
	struct tarn_reader *r = NULL;
	struct tarn_output *out = NULL;
	struct tarn_writer *w = NULL;
	char *res = NULL;
	tarn_rc rc = tarn_input_open_mem(data, n, "rt.csv", &in, &e);
	if (!rc)
		rc = tarn_reader_open_input(in, fmt, ro, &r, &e);
	if (!rc)
		rc = tarn_output_open_mem(&out, &e);
	if (!rc) {
		rc = tarn_writer_open_output(out, fmt, tarn_reader_schema(r), wo, &w, &e);
		out = w ? out : NULL; /* the writer owns it, also on failure */
	}
	while (!rc) {
		struct tarn_batch *b;
		rc = tarn_reader_next(r, &b, &e);
		if (rc || !b)
			break;
		rc = tarn_writer_write(w, b, &e);
		tarn_batch_free(b);
	}
	if (!rc)
		rc = tarn_writer_finish(w, &e);
	if (!rc) {
		size_t m;
		const uint8_t *p = tarn_output_mem(out, &m);
		res = malloc(m + 1);
		memcpy(res, p, m);
		res[m] = '\0';
		*out_n = m;
	} else {
		fprintf(stderr, "roundtrip: %s\n", e.msg);
	}
	*rc_out = rc;
	if (w)
		tarn_writer_close(w);
	else if (out)
		tarn_output_close(out);
	tarn_reader_close(r);
	tarn_opts_free(ro);
	tarn_opts_free(wo);
	return res;
}

static char *rt(const char *text, const char *const *rkv, const char *const *wkv)
{
	size_t n;
	tarn_rc rc;
	char *o = roundtrip(&tarn_format_csv, text, strlen(text), rkv, wkv, &n, &rc);
	return rc ? NULL : o;
}

/* ---- dialect sniffing ---------------------------------------------------------- */

TEST(sniff_delimiters)
{
	const char delims[] = { ',', ';', '|', '\t', ':', '^', 0x01, '~' };
	for (size_t i = 0; i < sizeof delims; i++) {
		char d = delims[i];
		char text[256];
		snprintf(text, sizeof text,
			 "id%cname%cwhen\n1%calpha%c2024-01-02\n2%cbeta%c2024-02-03\n3%cgamma%c2024-03-04\n",
			 d, d, d, d, d, d, d, d);
		struct res r = rd(text, NULL);
		CHECK(r.rc == TARN_OK);
		CHECK_STR(r.schema, "id:int64;name:string;when:date32");
		CHECK_STR(r.dump, "1|alpha|2024-01-02\n2|beta|2024-02-03\n3|gamma|2024-03-04\n");
		if (r.rc || strcmp(r.schema ? r.schema : "", "id:int64;name:string;when:date32"))
			fprintf(stderr, "delimiter 0x%02x: %s\n", d, r.err);
		res_free(&r);
	}
}

TEST(sniff_quotes_and_escapes)
{
	struct res r = rd("a,b\n\"x, y\",1\n\"say \"\"hi\"\"\",2\n\"multi\nline\",3\n", NULL);
	CHECK(r.rc == TARN_OK);
	CHECK_STR(r.schema, "a:string;b:int64");
	CHECK_STR(r.dump, "x, y|1\nsay \"hi\"|2\nmulti\nline|3\n");
	res_free(&r);

	r = rd("a,b\n'x, y',1\n'it''s',2\n'q',3\n", NULL);
	CHECK(r.rc == TARN_OK);
	CHECK_STR(r.dump, "x, y|1\nit's|2\nq|3\n");
	res_free(&r);

	/* backslash escapes inside quotes */
	r = rd("a,b\n\"x\\\"y\",1\n\"p\\\\q\",2\n\"z\",3\n", NULL);
	CHECK(r.rc == TARN_OK);
	CHECK_STR(r.dump, "x\"y|1\np\\q|2\nz|3\n");
	res_free(&r);

	/* quote=none: quotes are data */
	r = rd("a,b\n\"x,1\n", OPTS("quote=none", "header=true"));
	CHECK(r.rc == TARN_OK);
	CHECK_STR(r.dump, "\"x|1\n");
	res_free(&r);

	/* a quote inside an unquoted field is data */
	r = rd("a,b\n5'11\",1\nx,2\n", NULL);
	CHECK(r.rc == TARN_OK);
	CHECK_STR(r.dump, "5'11\"|1\nx|2\n");
	res_free(&r);
}

TEST(sniff_bom_line_endings_blank_lines)
{
	struct res r = rd("\xef\xbb\xbf\r\n\r\nk,v\r\n1,a\r\n2,b\r\n", NULL);
	CHECK(r.rc == TARN_OK);
	CHECK_STR(r.schema, "k:int64;v:string");
	CHECK_STR(r.dump, "1|a\n2|b\n");
	res_free(&r);

	r = rd("k,v\r1,a\r2,b\r", NULL); /* lone CR */
	CHECK(r.rc == TARN_OK);
	CHECK_STR(r.dump, "1|a\n2|b\n");
	res_free(&r);

	/* no final newline; blank line in the middle is skipped */
	r = rd("k,v\n1,a\n\n2,b", NULL);
	CHECK(r.rc == TARN_OK);
	CHECK_STR(r.dump, "1|a\n2|b\n");
	res_free(&r);

	/* one column: an empty line is a null */
	r = rd("k\n1\n\n3\n", NULL);
	CHECK(r.rc == TARN_OK);
	CHECK_STR(r.dump, "1\n<null>\n3\n");
	res_free(&r);
}

TEST(sniff_comments)
{
	struct res r = rd("# generated by x\n# another\nk,v\n1,a\n# in the middle, with \"quote\n2,b\n",
			  NULL);
	CHECK(r.rc == TARN_OK);
	CHECK_STR(r.schema, "k:int64;v:string");
	CHECK_STR(r.dump, "1|a\n2|b\n");
	res_free(&r);

	r = rd("k,v\n1,a\n;skip me\n2,b\n", OPTS("comment=;"));
	CHECK(r.rc == TARN_OK);
	CHECK_STR(r.dump, "1|a\n2|b\n");
	res_free(&r);

	/* a data value starting with # stays data when no comment is sniffed */
	r = rd("color,n\nred,1\n#ff0000,2\nblue,3\n", NULL);
	CHECK(r.rc == TARN_OK);
	CHECK_STR(r.dump, "red|1\n#ff0000|2\nblue|3\n");
	res_free(&r);
}

TEST(sniff_header)
{
	/* typed columns, no header */
	struct res r = rd("1,2.5,x\n2,3.5,y\n3,4.5,z\n", NULL);
	CHECK(r.rc == TARN_OK);
	CHECK_STR(r.schema, "column0:int64;column1:decimal(18,1);column2:string");
	CHECK(r.rows == 3);
	res_free(&r);

	/* all strings with a header */
	r = rd("first,last\nada,lovelace\ngrace,hopper\n", NULL);
	CHECK_STR(r.schema, "first:string;last:string");
	CHECK(r.rows == 2);
	res_free(&r);

	/* all strings, row 1 values recur: data */
	r = rd("a,b\nc,d\na,b\n", NULL);
	CHECK_STR(r.schema, "column0:string;column1:string");
	CHECK(r.rows == 3);
	res_free(&r);

	/* forced */
	r = rd("a,b\nc,d\n", OPTS("header=false"));
	CHECK(r.rows == 2);
	res_free(&r);
	r = rd("1,2\n3,4\n", OPTS("header=true"));
	CHECK_STR(r.schema, "1:int64;2:int64");
	CHECK(r.rows == 1);
	res_free(&r);

	/* empty and duplicate names */
	r = rd("a,,a\n1,2,3\n", NULL);
	CHECK_STR(r.schema, "a:int64;column1:int64;a_1:int64");
	res_free(&r);

	/* header only */
	r = rd("x,y\n", NULL);
	CHECK(r.rc == TARN_OK);
	CHECK_STR(r.schema, "x:string;y:string");
	CHECK(r.rows == 0);
	res_free(&r);

	/* empty input */
	r = rd("", NULL);
	CHECK(r.rc == TARN_OK);
	CHECK_STR(r.schema, "");
	CHECK(r.rows == 0);
	res_free(&r);

	/* skip-rows and title lines */
	r = rd("report v1\nk,v\n1,a\n", OPTS("skip-rows=1"));
	CHECK_STR(r.schema, "k:int64;v:string");
	res_free(&r);
	r = rd("Sales report\nk,v,w\n1,a,x\n2,b,y\n3,c,z\n4,d,w\n5,e,v\n", NULL);
	CHECK_STR(r.schema, "k:int64;v:string;w:string");
	CHECK(r.rows == 5);
	res_free(&r);
	/* a header one field short of rows ending in a delimiter is kept (and
	 * the rows are ragged) */
	r = rd("k,v\n1,a,\n2,b,\n3,c,\n4,d,\n5,e,\n", NULL);
	CHECK_STR(r.schema, "k:int64;v:string");
	CHECK(r.rc == TARN_EDATA);
	CHECK_CONTAINS(r.err, "t.csv:2: expected 2 fields, found 3");
	res_free(&r);
}

/* ---- type inference ------------------------------------------------------------- */

static void check_type(const char *values, const char *want_type, const char *want_dump)
{
	char text[1024];
	snprintf(text, sizeof text, "v\n%s", values);
	struct res r = rd(text, NULL);
	char want[128];
	snprintf(want, sizeof want, "v:%s", want_type);
	CHECK(r.rc == TARN_OK);
	CHECK_STR(r.schema, want);
	if (want_dump)
		CHECK_STR(r.dump, want_dump);
	if (r.rc)
		fprintf(stderr, "values %s: %s\n", values, r.err);
	res_free(&r);
}

TEST(infer_types)
{
	check_type("true\nFALSE\n\n", "bool", "true\nfalse\n<null>\n");
	check_type("1\n-2\n0\n", "int64", "1\n-2\n0\n");
	check_type("0.10\n1.5\n-3\n", "decimal(18,2)", "0.10\n1.50\n-3.00\n");
	check_type("1e3\n2.5\n", "float64", "1000.0\n2.5\n");
	check_type("inf\n1.5\n", "float64", "inf\n1.5\n");
	check_type("2024-01-02\n1999-12-31\n", "date32", "2024-01-02\n1999-12-31\n");
	check_type("01/02/2024\n12/31/1999\n", "date32", "2024-01-02\n1999-12-31\n");
	check_type("13/02/2024\n31/12/1999\n", "date32", "2024-02-13\n1999-12-31\n");
	check_type("13.02.2024\n1.1.1999\n", "date32", "2024-02-13\n1999-01-01\n");
	check_type("2024/02/13\n", "date32", "2024-02-13\n");
	check_type("12:30:00\n01:02:03.5\n", "time64[us]", "12:30:00\n01:02:03.5\n");
	check_type("2024-01-02 03:04:05\n2024-01-02T03:04:05.123456\n", "timestamp[us]",
		   "2024-01-02 03:04:05\n2024-01-02 03:04:05.123456\n");
	check_type("2024-01-02 03:04:05.1234567\n", "timestamp[ns]",
		   "2024-01-02 03:04:05.1234567\n");
	check_type("2024-01-02T03:04:05Z\n2024-01-02T05:04:05+02:00\n", "timestamp[us, UTC]",
		   "2024-01-02 03:04:05Z\n2024-01-02 03:04:05Z\n");
	check_type("01/02/2024 01:30:00 PM\n", "timestamp[us]", "2024-01-02 13:30:00\n");
	check_type("abc\n1\n", "string", NULL);
	/* leading zeros stay strings; 0 and 0.5 are numbers */
	check_type("00501\n02134\n", "string", "00501\n02134\n");
	check_type("0\n0.5\n", "decimal(18,1)", "0.0\n0.5\n");
	/* integers past int64 */
	check_type("123456789012345678901\n1\n", "decimal(38,0)", "123456789012345678901\n1\n");
	check_type("1234567890123456789012345678901234567890\n", "string", NULL);
	/* more than 18 significant digits with a fraction: float64 */
	check_type("1234567890123456789.5\n", "float64", NULL);
	/* null tokens; NaN is null except in float columns */
	check_type("1\nNA\nN/A\nNULL\nnull\nNaN\n\n", "int64",
		   "1\n<null>\n<null>\n<null>\n<null>\n<null>\n<null>\n");
	check_type("1.5e0\nNaN\n", "float64", "1.5\nNaN\n");
	check_type("NA\n\n", "string", "<null>\n<null>\n");
	/* a quoted value is never a null token */
	check_type("\"NA\"\nx\n", "string", "NA\nx\n");
	check_type("\"\"\nx\n", "string", "\nx\n");
}

TEST(infer_notes)
{
	struct res r = rd("zip,n\n00501,1\n2134,2\nabc,3\n", NULL);
	CHECK_STR(r.schema, "zip:string;n:int64");
	CHECK_CONTAINS(r.notes, "mixed numbers and text");
	res_free(&r);
	r = rd("zip\n00501\n12345\n", NULL);
	CHECK_STR(r.schema, "zip:string");
	CHECK_CONTAINS(r.notes, "leading zeros");
	res_free(&r);
	r = rd("t\n2024-01-02T03:04:05Z\n2024-01-02T03:04:05\n", NULL);
	CHECK_STR(r.schema, "t:string");
	CHECK_CONTAINS(r.notes, "zone offset");
	res_free(&r);
}

TEST(null_option)
{
	struct res r = rd("a,b\n-,x\n1,-\n", OPTS("null=-"));
	CHECK(r.rc == TARN_OK);
	CHECK_STR(r.schema, "a:int64;b:string");
	CHECK_STR(r.dump, "<null>|x\n1|<null>\n");
	res_free(&r);
	/* with a custom list, NA is data */
	r = rd("a\nNA\nx\n", OPTS("null=NULL"));
	CHECK_STR(r.dump, "NA\nx\n");
	res_free(&r);
}

TEST(types_override)
{
	struct res r = rd("zip,n\n00501,1\n02134,2\n", OPTS("types=zip=int32,n=string"));
	CHECK(r.rc == TARN_OK);
	CHECK_STR(r.schema, "zip:int32;n:string");
	CHECK_STR(r.dump, "501|1\n2134|2\n");
	res_free(&r);

	r = rd("a,b\n1,2\n", OPTS("types=c=int64"));
	CHECK(r.rc == TARN_EUSAGE);
	CHECK_CONTAINS(r.err, "no column named 'c'");
	CHECK_CONTAINS(r.err, "columns: a, b");
	res_free(&r);

	/* nested types read JSON text (more in nested_columns) */
	r = rd("a,b\n\"[1,2]\",2\n", OPTS("types=a=list<int64>"));
	CHECK(r.rc == TARN_OK);
	CHECK_STR(r.dump, "[1,2]|2\n");
	res_free(&r);

	/* every scalar type through an override */
	r = rd("a,b,c,d,e,f,g,h\n1,255,1.5,1.25,yes,2024-01-02,\\x0aff,12:00\n",
	       OPTS("types=a=int8,b=uint8,c=float32,d=decimal(10,3),e=bool,f=timestamp[ms],g=binary,h=time[s]"));
	CHECK(r.rc == TARN_OK);
	CHECK_STR(r.dump, "1|255|1.5|1.250|true|2024-01-02 00:00:00|\\x0aff|12:00:00\n");
	res_free(&r);

	r = rd("a\n300\n", OPTS("types=a=int8"));
	CHECK(r.rc == TARN_EDATA);
	CHECK_CONTAINS(r.err, "t.csv:2:1: value '300' in column 'a' is not a valid int8");
	res_free(&r);
}

/* columns=: only those columns, in that order; the others are split but
 * not converted (a bad value there is not reported), a short row still is */
TEST(columns_option)
{
	struct res r = rd("a,b,c,d\n1,x,2.5,4\n2,y,3.5,5\n", OPTS("columns=d,a"));
	CHECK(r.rc == TARN_OK);
	CHECK_STR(r.schema, "d:int64;a:int64");
	CHECK_STR(r.dump, "4|1\n5|2\n");
	res_free(&r);

	r = rd("a,b\n1,2\n3,oops\n", OPTS("types=b=int32", "columns=a"));
	CHECK(r.rc == TARN_OK);
	CHECK_STR(r.dump, "1\n3\n");
	res_free(&r);

	r = rd("a,b,c\n1,2,3\n4,5\n", OPTS("columns=c"));
	CHECK(r.rc == TARN_EDATA);
	res_free(&r);

	/* quoted fields, null-fill of a selected column, skip of bad rows */
	r = rd("a,b,c\n\"x,y\",1,z\n\"p\",bad,q\n", OPTS("types=b=int64", "columns=b,a",
							    "on-bad-row=null-fill"));
	CHECK(r.rc == TARN_OK);
	CHECK_STR(r.dump, "1|x,y\n<null>|p\n");
	res_free(&r);
	r = rd("a,b,c\n1,1,z\n2,bad,q\n3,3,w\n", OPTS("types=b=int64", "columns=c,b",
							 "on-bad-row=skip"));
	CHECK(r.rc == TARN_OK);
	CHECK_STR(r.dump, "z|1\nw|3\n");
	res_free(&r);

	r = rd("a,b\n1,2\n", OPTS("columns=a,nope"));
	CHECK(r.rc == TARN_ENOTFOUND);
	CHECK_CONTAINS(r.err, "no column 'nope'");
	res_free(&r);
	r = rd("a,b\n1,2\n", OPTS("columns=b,b"));
	CHECK(r.rc == TARN_EUSAGE);
	CHECK_CONTAINS(r.err, "selected twice");
	res_free(&r);
	r = rd("a,b\n1,2\n", OPTS("columns=,"));
	CHECK(r.rc == TARN_EUSAGE);
	res_free(&r);

	/* the parallel splitter: many chunks, one selected column */
	struct sbuf big = { 0 };
	sb_str(&big, "i,s,j\n");
	char line[64];
	int64_t want = 0;
	for (int i = 0; i < 20000; i++) {
		snprintf(line, sizeof line, "%d,row %d,%d\n", i, i, 2 * i);
		sb_str(&big, line);
		want += 2 * i;
	}
	r = read_fmt(&tarn_format_csv, big.p, big.n, OPTS("columns=j", "chunk-size=4096", "threads=2"));
	CHECK(r.rc == TARN_OK);
	CHECK(r.rows == 20000);
	int64_t got = 0;
	for (const char *p = r.dump; *p;) {
		got += strtoll(p, NULL, 10);
		p = strchr(p, '\n') + 1;
	}
	CHECK(got == want);
	res_free(&r);
	free(big.p);
}

/* ---- errors ------------------------------------------------------------------- */

TEST(type_error_after_sample)
{
	struct sbuf b = { 0 };
	sb_str(&b, "id,qty\n");
	for (int i = 0; i < 30; i++) {
		char line[64];
		snprintf(line, sizeof line, "%d,%d\n", i, i * 2);
		sb_str(&b, line);
	}
	sb_str(&b, "31,lots\n");
	struct res r = rd(b.p, OPTS("infer-rows=10"));
	CHECK(r.rc == TARN_EDATA);
	CHECK_CONTAINS(r.err, "t.csv:32:4: value 'lots' in column 'qty'");
	CHECK_CONTAINS(r.err, "inferred type int64");
	CHECK_CONTAINS(r.err, "use --types qty=string or --infer-rows 0");
	res_free(&r);

	/* leading zeros after the sample are not turned into numbers */
	free(b.p);
	b = (struct sbuf){ 0 };
	sb_str(&b, "zip\n");
	for (int i = 0; i < 30; i++)
		sb_str(&b, "12345\n");
	sb_str(&b, "00501\n");
	r = rd(b.p, OPTS("infer-rows=10"));
	CHECK(r.rc == TARN_EDATA);
	CHECK_CONTAINS(r.err, "'00501'");
	CHECK_CONTAINS(r.err, "leading zeros");
	res_free(&r);

	/* the same with on-bad-row */
	r = rd(b.p, OPTS("infer-rows=10", "on-bad-row=null-fill"));
	CHECK(r.rc == TARN_OK);
	CHECK(r.bad == 1);
	CHECK(r.rows == 31);
	res_free(&r);
	r = rd(b.p, OPTS("infer-rows=10", "on-bad-row=skip"));
	CHECK(r.rc == TARN_OK);
	CHECK(r.bad == 1);
	CHECK(r.rows == 30);
	res_free(&r);
	free(b.p);

	/* first bad value in row order wins across columns */
	r = rd("a,b\n1,2\n3,4\n", OPTS("types=a=int64,b=int64"));
	CHECK(r.rc == TARN_OK);
	res_free(&r);
	r = rd("a,b\n1,2\n3,x\ny,4\n", OPTS("types=a=int64,b=int64"));
	CHECK(r.rc == TARN_EDATA);
	CHECK_CONTAINS(r.err, ":3:3: value 'x' in column 'b'");
	res_free(&r);
}

TEST(ragged_rows)
{
	const char *text = "a,b,c\n1,2,3\n4,5\n6,7,8\n9,10,11,12\n13,14,15\n";
	struct res r = rd(text, NULL);
	CHECK(r.rc == TARN_EDATA);
	CHECK_CONTAINS(r.err, "t.csv:3: expected 3 fields, found 2");
	res_free(&r);

	r = rd(text, OPTS("on-bad-row=skip"));
	CHECK(r.rc == TARN_OK);
	CHECK(r.bad == 2);
	CHECK_STR(r.dump, "1|2|3\n6|7|8\n13|14|15\n");
	res_free(&r);

	/* null-fill repairs short rows; a long row is still an error */
	r = rd(text, OPTS("on-bad-row=null-fill"));
	CHECK(r.rc == TARN_EDATA);
	CHECK_CONTAINS(r.err, "t.csv:5: expected 3 fields, found 4");
	res_free(&r);
	r = rd("a,b,c\n1,2,3\n4,5\n6\n", OPTS("on-bad-row=null-fill"));
	CHECK(r.rc == TARN_OK);
	CHECK(r.bad == 2);
	CHECK_STR(r.dump, "1|2|3\n4|5|<null>\n6|<null>|<null>\n");
	res_free(&r);
}

TEST(quote_errors)
{
	struct res r = rd("a,b\n1,x\n2,\"open\n3,y\n", OPTS("quote=\"", "delimiter=,"));
	CHECK(r.rc == TARN_EDATA);
	CHECK_CONTAINS(r.err, "unterminated quoted field starting at line 3, column 3");
	res_free(&r);

	r = rd("a,b\n1,\"x\"y\n", OPTS("quote=\"", "delimiter=,"));
	CHECK(r.rc == TARN_EDATA);
	CHECK_CONTAINS(r.err, "t.csv:2:6: unexpected character 'y' after the closing quote");
	res_free(&r);
}

TEST(utf8)
{
	struct res r = rd("name,n\nok,1\nb\xff\xfe" "d,2\n", NULL);
	CHECK(r.rc == TARN_EDATA);
	CHECK_CONTAINS(r.err, "t.csv:3:2: invalid UTF-8 (byte 0xff) in column 'name'");
	res_free(&r);

	r = rd("name,n\nok,1\nb\xff\xfe" "d,2\n", OPTS("utf8=replace"));
	CHECK(r.rc == TARN_OK);
	CHECK_STR(r.dump, "ok|1\nb\xef\xbf\xbd\xef\xbf\xbd" "d|2\n");
	res_free(&r);

	r = rd("name,n\nh\xc3\xa9llo \xe2\x82\xac,1\n", NULL);
	CHECK(r.rc == TARN_OK);
	CHECK_STR(r.dump, "h\xc3\xa9llo \xe2\x82\xac|1\n");
	res_free(&r);
}

TEST(limits)
{
	struct sbuf b = { 0 };
	sb_str(&b, "a,b\n1,x\n2,");
	for (int i = 0; i < 200; i++)
		sb_str(&b, "y");
	sb_str(&b, "\n");
	struct res r = rd(b.p, OPTS("max-field-size=100"));
	CHECK(r.rc == TARN_ELIMIT);
	CHECK_CONTAINS(r.err, "t.csv:3:3: field is longer than max-field-size (100 bytes)");
	res_free(&r);
	r = rd(b.p, OPTS("max-field-size=1K"));
	CHECK(r.rc == TARN_OK);
	res_free(&r);
	free(b.p);

	b = (struct sbuf){ 0 };
	for (int i = 0; i < 50; i++)
		sb_str(&b, i ? ",c" : "c");
	sb_str(&b, "\n");
	r = rd(b.p, OPTS("max-columns=20"));
	CHECK(r.rc == TARN_ELIMIT);
	CHECK_CONTAINS(r.err, "more than 20 fields (max-columns)");
	res_free(&r);
	free(b.p);

	/* a giant unterminated field in a stream never grows past max-row-size */
	size_t n = 3u << 20;
	char *big = malloc(n);
	memcpy(big, "a\n\"", 3);
	memset(big + 3, 'z', n - 3);
	uLongf gzn = compressBound(n) + 64;
	unsigned char *gz = malloc(gzn);
	z_stream zs = { 0 };
	deflateInit2(&zs, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
	zs.next_in = (Bytef *)big;
	zs.avail_in = (uInt)n;
	zs.next_out = gz;
	zs.avail_out = (uInt)gzn;
	deflate(&zs, Z_FINISH);
	gzn = zs.total_out;
	deflateEnd(&zs);
	r = read_fmt(&tarn_format_csv, gz, gzn, OPTS("max-row-size=1M", "max-field-size=1M",
						    "header=true", "chunk-size=4096"));
	CHECK(r.rc == TARN_ELIMIT);
	CHECK_CONTAINS(r.err, "max-row-size");
	res_free(&r);
	free(gz);
	free(big);
}

TEST(bad_options)
{
	struct res r = rd("a\n1\n", OPTS("delimiter=ab"));
	CHECK(r.rc == TARN_EUSAGE);
	CHECK_CONTAINS(r.err, "delimiter");
	res_free(&r);
	r = rd("a\n1\n", OPTS("on-bad-row=maybe"));
	CHECK(r.rc == TARN_EUSAGE);
	res_free(&r);
	r = rd("a\n1\n", OPTS("max-field-size=lots"));
	CHECK(r.rc == TARN_EUSAGE);
	res_free(&r);
	r = rd("a\n1\n", OPTS("bogus=1"));
	CHECK(r.rc == TARN_EUSAGE);
	CHECK_CONTAINS(r.err, "no option 'bogus'");
	res_free(&r);
	r = rd("a\n1\n", OPTS("delimiter=,", "quote=,"));
	CHECK(r.rc == TARN_EUSAGE);
	res_free(&r);
}

TEST(error_is_sticky)
{
	struct tarn_err e;
	tarn_err_clear(&e);
	const char *text = "a,b\n1,2\n3\n";
	struct tarn_input *in;
	struct tarn_reader *r;
	REQUIRE(tarn_input_open_mem(text, strlen(text), "s.csv", &in, &e) == TARN_OK);
	REQUIRE(tarn_reader_open_input(in, &tarn_format_csv, NULL, &r, &e) == TARN_OK);
	struct tarn_batch *b;
	CHECK(tarn_reader_next(r, &b, &e) == TARN_EDATA);
	CHECK(b == NULL);
	struct tarn_err e2;
	tarn_err_clear(&e2);
	CHECK(tarn_reader_next(r, &b, &e2) == TARN_EDATA);
	CHECK_STR(e2.msg, e.msg);
	tarn_reader_close(r);
}

/* ---- parallel splitter, SIMD paths, streams ------------------------------------- */

static uint64_t rng_state = 88172645463325252ull;
static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* A file with quoted fields holding delimiters, quotes and newlines at all
 * offsets, CRLF and LF rows, some comment lines. */
static char *gen_tricky(size_t rows, bool comments, bool backslash, size_t *n)
{
	struct sbuf b = { 0 };
	sb_str(&b, "id,txt,num,day\n");
	for (size_t i = 0; i < rows; i++) {
		char line[512];
		char txt[256];
		size_t tl = 0;
		int kind = (int)(rnd() % 6);
		int len = (int)(rnd() % 90);
		if (kind == 0) {
			txt[tl++] = '"';
			for (int k = 0; k < len; k++) {
				int c = (int)(rnd() % 8);
				if (c == 0 && !backslash) {
					txt[tl++] = '"';
					txt[tl++] = '"';
				} else if (c == 0) {
					txt[tl++] = '\\';
					txt[tl++] = '"';
				} else if (c == 1) {
					txt[tl++] = '\n';
				} else if (c == 2) {
					txt[tl++] = ',';
				} else if (c == 3) {
					txt[tl++] = '\r';
					txt[tl++] = '\n';
				} else {
					txt[tl++] = (char)('a' + rnd() % 26);
				}
			}
			txt[tl++] = '"';
		} else if (kind == 1) {
			tl = 0; /* null */
		} else if (kind == 2) {
			memcpy(txt, "\"\"", 2);
			tl = 2;
		} else {
			for (int k = 0; k < len; k++)
				txt[tl++] = (char)('a' + rnd() % 26);
		}
		txt[tl] = '\0';
		snprintf(line, sizeof line, "%zu,%s,%d.%02d,2024-%02d-%02d%s", i, txt,
			 (int)(rnd() % 1000), (int)(rnd() % 100), (int)(rnd() % 12) + 1,
			 (int)(rnd() % 28) + 1, rnd() % 3 == 0 ? "\r\n" : "\n");
		sb_str(&b, line);
		if (comments && rnd() % 50 == 0)
			sb_str(&b, "# a comment with a \" quote, and a comma\n");
	}
	*n = b.n;
	return b.p;
}

TEST(parallel_equals_sequential)
{
	size_t n;
	char *text = gen_tricky(20000, false, false, &n);
	struct res seq = read_fmt(&tarn_format_csv, text, n, OPTS("threads=1", "comment=#"));
	REQUIRE(seq.rc == TARN_OK);
	CHECK(seq.rows == 20000);
	CHECK_STR(seq.schema, "id:int64;txt:string;num:decimal(18,2);day:date32");
	const char *sizes[] = { "chunk-size=1K", "chunk-size=4099", "chunk-size=64K" };
	for (int i = 0; i < 3; i++) {
		struct res par = read_fmt(&tarn_format_csv, text, n,
					  OPTS("threads=4", sizes[i], "comment=#"));
		CHECK(par.rc == TARN_OK);
		CHECK(par.batches > 1);
		CHECK(par.dump && seq.dump && strcmp(par.dump, seq.dump) == 0);
		res_free(&par);
	}
	res_free(&seq);
	free(text);

	/* comment lines with odd quotes defeat the quote-parity guess: the
	 * verification pass must still give the sequential result */
	text = gen_tricky(20000, true, false, &n);
	seq = read_fmt(&tarn_format_csv, text, n, OPTS("threads=1", "comment=#"));
	REQUIRE(seq.rc == TARN_OK);
	struct res par = read_fmt(&tarn_format_csv, text, n,
				  OPTS("threads=3", "chunk-size=2K", "comment=#"));
	CHECK(par.rc == TARN_OK);
	CHECK(par.dump && seq.dump && strcmp(par.dump, seq.dump) == 0);
	res_free(&par);
	res_free(&seq);
	free(text);

	/* backslash escapes */
	text = gen_tricky(10000, false, true, &n);
	seq = read_fmt(&tarn_format_csv, text, n, OPTS("threads=1", "escape=backslash"));
	REQUIRE(seq.rc == TARN_OK);
	par = read_fmt(&tarn_format_csv, text, n,
		       OPTS("threads=4", "chunk-size=3K", "escape=backslash"));
	CHECK(par.rc == TARN_OK);
	CHECK(par.dump && seq.dump && strcmp(par.dump, seq.dump) == 0);
	res_free(&par);
	res_free(&seq);
	free(text);
}

TEST(parallel_errors_have_exact_lines)
{
	size_t n;
	char *text = gen_tricky(5000, false, false, &n);
	/* break a row deep into the file: find the line start of row 4000 */
	char *p = strstr(text, "\n4000,");
	REQUIRE(p != NULL);
	p[1] = 'X'; /* id no longer an integer */
	struct res seq = read_fmt(&tarn_format_csv, text, n, OPTS("threads=1", "infer-rows=100"));
	struct res par = read_fmt(&tarn_format_csv, text, n,
				  OPTS("threads=4", "chunk-size=1K", "infer-rows=100"));
	CHECK(seq.rc == TARN_EDATA);
	CHECK(par.rc == TARN_EDATA);
	CHECK_STR(par.err, seq.err);
	CHECK_CONTAINS(seq.err, "value 'X000' in column 'id'");
	/* the reported line is the physical line (quoted newlines count) */
	long line = 1;
	for (char *q = text; q <= p; q++)
		line += *q == '\n';
	char want[64];
	snprintf(want, sizeof want, "t.csv:%ld:1:", line);
	CHECK_CONTAINS(seq.err, want);
	res_free(&seq);
	res_free(&par);
	free(text);
}

TEST(simd_env_override)
{
	const char *text = "a,b\n\"x,\ny\",1\n";
	setenv("TARN_CSV_SIMD", "scalar", 1);
	struct res s = rd(text, NULL);
	setenv("TARN_CSV_SIMD", "sse2", 1);
	struct res e = rd(text, NULL);
	unsetenv("TARN_CSV_SIMD");
	struct res a = rd(text, NULL);
	CHECK(s.rc == TARN_OK && e.rc == TARN_OK && a.rc == TARN_OK);
	CHECK_STR(s.dump, "x,\ny|1\n");
	CHECK_STR(e.dump, s.dump);
	CHECK_STR(a.dump, s.dump);
	res_free(&s);
	res_free(&e);
	res_free(&a);
}

TEST(simd_paths_agree)
{
	size_t n;
	char *text = gen_tricky(8000, true, false, &n);
	struct res base = read_fmt(&tarn_format_csv, text, n, OPTS("simd=scalar", "comment=#"));
	REQUIRE(base.rc == TARN_OK);
	const char *paths[] = { "simd=sse2", "simd=avx2", "simd=auto" };
	for (int i = 0; i < 3; i++) {
		struct res r = read_fmt(&tarn_format_csv, text, n, OPTS(paths[i], "comment=#"));
		CHECK(r.rc == TARN_OK);
		CHECK(r.dump && base.dump && strcmp(r.dump, base.dump) == 0);
		res_free(&r);
	}
	res_free(&base);
	free(text);

	/* quotes, CRLF and delimiters at every position around 64-byte blocks */
	for (int shift = 0; shift < 70; shift++) {
		struct sbuf b = { 0 };
		sb_str(&b, "a,b\n");
		for (int k = 0; k < shift; k++)
			sb_str(&b, "x");
		sb_str(&b, ",\"q\"\"\r\n,\"\r\n\"\"\"\",z\r\n1,2\r\n");
		struct res s = read_fmt(&tarn_format_csv, b.p, b.n, OPTS("simd=scalar"));
		struct res v = read_fmt(&tarn_format_csv, b.p, b.n, OPTS("simd=avx2"));
		struct res e = read_fmt(&tarn_format_csv, b.p, b.n, OPTS("simd=sse2"));
		CHECK(s.rc == TARN_OK && v.rc == TARN_OK && e.rc == TARN_OK);
		CHECK(s.dump && v.dump && e.dump && !strcmp(s.dump, v.dump) && !strcmp(s.dump, e.dump));
		CHECK(s.rows == 3);
		res_free(&s);
		res_free(&v);
		res_free(&e);
		free(b.p);
	}
}

static unsigned char *gzip_mem(const void *p, size_t n, size_t *out_n)
{
	uLongf cap = compressBound(n) + 64;
	unsigned char *o = malloc(cap);
	z_stream zs = { 0 };
	deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
	zs.next_in = (Bytef *)p;
	zs.avail_in = (uInt)n;
	zs.next_out = o;
	zs.avail_out = (uInt)cap;
	deflate(&zs, Z_FINISH);
	*out_n = zs.total_out;
	deflateEnd(&zs);
	return o;
}

TEST(compressed_streams)
{
	size_t n;
	char *text = gen_tricky(6000, true, false, &n);
	struct res plain = read_fmt(&tarn_format_csv, text, n, OPTS("comment=#"));
	REQUIRE(plain.rc == TARN_OK);
	size_t gn;
	unsigned char *gz = gzip_mem(text, n, &gn);
	const char *bufs[] = { "chunk-size=16", "chunk-size=333", "chunk-size=1M" };
	for (int i = 0; i < 3; i++) {
		struct res g = read_fmt(&tarn_format_csv, gz, gn, OPTS("comment=#", bufs[i]));
		CHECK(g.rc == TARN_OK);
		CHECK(g.dump && plain.dump && strcmp(g.dump, plain.dump) == 0);
		res_free(&g);
	}
	size_t zcap = ZSTD_compressBound(n);
	void *zs = malloc(zcap);
	size_t zn = ZSTD_compress(zs, zcap, text, n, 3);
	REQUIRE(!ZSTD_isError(zn));
	struct res z = read_fmt(&tarn_format_csv, zs, zn, OPTS("comment=#", "chunk-size=1000"));
	CHECK(z.rc == TARN_OK);
	CHECK(z.dump && plain.dump && strcmp(z.dump, plain.dump) == 0);
	res_free(&z);

	/* errors in a stream name the right line too */
	char *p = strstr(text, "\n3000,");
	REQUIRE(p != NULL);
	p[1] = 'Y';
	struct res mapped = read_fmt(&tarn_format_csv, text, n, OPTS("comment=#", "infer-rows=50"));
	free(gz);
	gz = gzip_mem(text, n, &gn);
	struct res streamed = read_fmt(&tarn_format_csv, gz, gn,
				       OPTS("comment=#", "infer-rows=50", "chunk-size=100"));
	CHECK(mapped.rc == TARN_EDATA);
	CHECK(streamed.rc == TARN_EDATA);
	CHECK_STR(streamed.err, mapped.err);
	res_free(&mapped);
	res_free(&streamed);
	res_free(&plain);
	free(zs);
	free(gz);
	free(text);
}

/* ---- writer ---------------------------------------------------------------------- */

TEST(writer_quoting)
{
	char *o = rt("s,n\n\"a,b\",1\n\"say \"\"x\"\"\",2\n\"line\nbreak\",3\n\"\",4\n,5\n\"NA\",6\n"
		     "\"cr\rx\",7\nplain,8\n",
		     OPTS("types=s=string"), NULL);
	CHECK_STR(o, "s,n\n\"a,b\",1\n\"say \"\"x\"\"\",2\n\"line\nbreak\",3\n\"\",4\n,5\n"
		     "\"NA\",6\n\"cr\rx\",7\nplain,8\n");
	free(o);

	o = rt("s,n\nx,1\n,2\n", OPTS("types=s=string"), OPTS("null=NULL", "header=false"));
	CHECK_STR(o, "x,1\nNULL,2\n");
	free(o);

	/* a string spelled like the chosen null is quoted */
	o = rt("s\n\"NULL\"\nx\n", NULL, OPTS("null=NULL"));
	CHECK_STR(o, "s\n\"NULL\"\nx\n");
	free(o);

	o = rt("a,b\n1,x;y\n", NULL, OPTS("delimiter=;", "newline=crlf"));
	CHECK_STR(o, "a;b\r\n1;\"x;y\"\r\n");
	free(o);

	/* a first-column value starting with # would look like a comment */
	o = rt("h,n\n\"#x\",1\n", NULL, NULL);
	CHECK_STR(o, "h,n\n\"#x\",1\n");
	free(o);

	/* a delimiter that numbers contain forces quotes on them */
	o = rt("a,b\n2024-01-02,-1\n", NULL, OPTS("delimiter=-"));
	CHECK_STR(o, "a-b\n\"2024-01-02\"-\"-1\"\n");
	free(o);

	/* TSV */
	size_t n;
	tarn_rc rc;
	const char *tsv = "a\tb\n1\tx y\n2\t\"t\tab\"\n";
	o = roundtrip(&tarn_format_tsv, tsv, strlen(tsv), NULL, NULL, &n, &rc);
	CHECK(rc == TARN_OK);
	CHECK_STR(o, tsv);
	free(o);
}

TEST(roundtrip_canonical)
{
	const char *canon =
		"id,flag,small,price,ratio,day,at,atz,t,name,note\n"
		"1,true,-5,0.10,1.5,2024-01-02,2024-01-02 03:04:05,2024-01-02 03:04:05Z,12:30:00,"
		"alice,plain\n"
		"2,false,0,12.50,-0.001,1999-12-31,1999-12-31 23:59:59.5,2000-01-01 00:00:00.25Z,"
		"00:00:01.5,\"bob, jr\",\"say \"\"hi\"\"\"\n"
		"3,,7,,1e+300,,,,,\"\",\"two\nlines\"\n"
		"4,true,,-3.00,NaN,2024-02-29,2024-02-29 00:00:00,2024-02-29 00:00:00Z,23:59:59,"
		"h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80,\"\"\"NA\"\"\"\n"
		",false,9,1.00,-inf,1970-01-01,1970-01-01 00:00:00,1970-01-01 00:00:00Z,01:00:00,"
		"\"NA\",\"cr\rlf\r\nend\"\n";
	struct res r = rd(canon, NULL);
	CHECK(r.rc == TARN_OK);
	CHECK_STR(r.schema, "id:int64;flag:bool;small:int64;price:decimal(18,2);ratio:float64;"
			    "day:date32;at:timestamp[us];atz:timestamp[us, UTC];t:time64[us];"
			    "name:string;note:string");
	res_free(&r);
	char *o = rt(canon, NULL, NULL);
	CHECK_STR(o, canon);
	free(o);
	/* and again through TSV-free parallel chunks */
	size_t n;
	tarn_rc rc;
	o = roundtrip(&tarn_format_csv, canon, strlen(canon), OPTS("threads=3", "chunk-size=64"),
		      OPTS("threads=3"), &n, &rc);
	CHECK(rc == TARN_OK);
	CHECK_STR(o, canon);
	free(o);
}

TEST(roundtrip_large_parallel_writer)
{
	size_t n;
	char *text = gen_tricky(30000, false, false, &n);
	tarn_rc rc;
	size_t n1, n2;
	char *a = roundtrip(&tarn_format_csv, text, n, OPTS("threads=1"), OPTS("threads=1"), &n1, &rc);
	CHECK(rc == TARN_OK);
	char *b = roundtrip(&tarn_format_csv, text, n, OPTS("threads=4", "chunk-size=8K"),
			    OPTS("threads=4"), &n2, &rc);
	CHECK(rc == TARN_OK);
	CHECK(a && b && n1 == n2 && memcmp(a, b, n1) == 0);
	/* the output reads back to the same values */
	struct res r1 = read_fmt(&tarn_format_csv, text, n, NULL);
	struct res r2 = read_fmt(&tarn_format_csv, a, n1, NULL);
	CHECK(r1.rc == TARN_OK && r2.rc == TARN_OK);
	CHECK_STR(r2.schema, r1.schema);
	CHECK(r1.dump && r2.dump && strcmp(r1.dump, r2.dump) == 0);
	res_free(&r1);
	res_free(&r2);
	free(a);
	free(b);
	free(text);
}

TEST(wide_table)
{
	struct sbuf b = { 0 };
	for (int c = 0; c < 3000; c++) {
		char cell[16];
		snprintf(cell, sizeof cell, "%sc%d", c ? "," : "", c);
		sb_str(&b, cell);
	}
	sb_str(&b, "\n");
	for (int r = 0; r < 5; r++) {
		for (int c = 0; c < 3000; c++) {
			char cell[16];
			snprintf(cell, sizeof cell, "%s%d", c ? "," : "", r * c);
			sb_str(&b, cell);
		}
		sb_str(&b, "\n");
	}
	char *o = rt(b.p, NULL, NULL);
	CHECK(o && strcmp(o, b.p) == 0);
	free(o);
	free(b.p);
}

/* ---- nested columns (JSON text, by --types) ------------------------------------------ */

#define NESTED_TYPES                                                                      \
	"types=l=list<int64>,s=struct<a: string, b: list<bool>>,m=map<string, float64>,"  \
	"k=map<int32, date32>"

TEST(nested_columns)
{
	/* The writer's spelling of every nested type reads back: JSON text,
	 * quoted where it holds the delimiter or a quote. */
	const char *canon = "id,l,s,m,k\n"
			    "1,\"[1,-2,null]\",\"{\"\"a\"\":\"\"x, \\\"\"y\\\"\"\\n\"\",\"\"b\"\":[true,null]}\","
			    "\"{\"\"\xc3\xa9\"\":0.1,\"\"\"\":-0.0}\",\"[{\"\"key\"\":-7,\"\"value\"\":\"\"2024-02-29\"\"}]\"\n"
			    "2,[],\"{\"\"a\"\":null,\"\"b\"\":[]}\",{},[]\n"
			    "3,,,,\n";
	struct res r = rd(canon, OPTS(NESTED_TYPES));
	CHECK(r.rc == TARN_OK);
	CHECK_STR(r.schema, "id:int64;l:list<int64>;s:struct<a: string, b: list<bool>>;"
			    "m:map<string, float64>;k:map<int32, date32>");
	CHECK_STR(r.dump, "1|[1,-2,null]|{\"a\":\"x, \\\"y\\\"\\n\",\"b\":[true,null]}|"
			  "{\"\xc3\xa9\":0.1,\"\":-0.0}|[{\"key\":-7,\"value\":\"2024-02-29\"}]\n"
			  "2|[]|{\"a\":null,\"b\":[]}|{}|[]\n"
			  "3|<null>|<null>|<null>|<null>\n");
	res_free(&r);
	char *o = rt(canon, OPTS(NESTED_TYPES), NULL);
	CHECK_STR(o, canon);
	free(o);

	/* Nulls: an empty field, a null token, "" (as in every non-string
	 * column) and JSON null; a quoted null token is text, not JSON. */
	r = rd("id,l\n1,\n2,NA\n3,\"\"\n4,null\n5, [ 1 ] \n", OPTS("types=l=list<int64>"));
	CHECK(r.rc == TARN_OK);
	CHECK_STR(r.dump, "1|<null>\n2|<null>\n3|<null>\n4|<null>\n5|[1]\n");
	res_free(&r);
	r = rd("id,l\n1,\"NA\"\n", OPTS("types=l=list<int64>"));
	CHECK(r.rc == TARN_EDATA);
	CHECK_CONTAINS(r.err, "t.csv:2:4: value 'NA' in column 'l' is not a valid list<int64>");
	CHECK_CONTAINS(r.err, "unexpected 'N' where a value was expected");
	res_free(&r);

	/* Errors point into the cell (line and column of the JSON error, also
	 * after line breaks and doubled quotes inside it) and give the JSON
	 * reader's message. */
	r = rd("id,s\n1,\"{\"\"a\"\":\"\"x\"\",\n \"\"b\"\":[1]}\"\n",
	       OPTS("types=s=struct<a: string, b: list<bool>>"));
	CHECK(r.rc == TARN_EDATA);
	CHECK_STR(r.err, "t.csv:3:9: value '{\"a\":\"x\",\\n \"b\":[1]}' in column 's' is not a "
			 "valid struct<a: string, b: list<bool>> (the type set with --types; nested "
			 "values are JSON text): key \"b[0]\": 1 does not fit the column type bool");
	res_free(&r);
	r = rd("id,m\n1,{}\n2,\"{\"\"a\"\":1,}\"\n", OPTS("types=m=map<string, int64>"));
	CHECK(r.rc == TARN_EDATA);
	CHECK_CONTAINS(r.err, "t.csv:3:13: value '{\"a\":1,}' in column 'm'");
	CHECK_CONTAINS(r.err, "trailing comma before '}'");
	res_free(&r);
	r = rd("id,k\n1,\"[{\"\"key\"\":null,\"\"value\"\":null}]\"\n",
	       OPTS("types=k=map<int32, date32>"));
	CHECK(r.rc == TARN_EDATA);
	CHECK_CONTAINS(r.err, "a map key cannot be null");
	res_free(&r);
	r = rd("id,l\n1,[1] [2]\n", OPTS("types=l=list<int64>"));
	CHECK_CONTAINS(r.err, "t.csv:2:7: value '[1] [2]' in column 'l'");
	CHECK_CONTAINS(r.err, "unexpected '[' after the value");
	res_free(&r);
	r = rd("id,l\n1,[\"\xff\"]\n", OPTS("types=l=list<string>"));
	CHECK(r.rc == TARN_EDATA);
	CHECK_CONTAINS(r.err, "invalid UTF-8 in a string (byte 0xFF)");
	res_free(&r);
	r = rd("id,l\n1,[\"\xff\"]\n", OPTS("types=l=list<string>", "utf8=replace"));
	CHECK(r.rc == TARN_OK);
	CHECK_STR(r.dump, "1|[\"\xef\xbf\xbd\"]\n");
	res_free(&r);

	/* on-bad-row: null-fill nulls the cell, skip drops the row; a JSON
	 * limit is never a bad row. */
	const char *bad = "id,l\n1,[1]\n2,[x]\n3,[3]\n4,\"[1,\"\"2\"\"]\"\n";
	r = rd(bad, OPTS("types=l=list<int64>", "on-bad-row=null-fill"));
	CHECK(r.rc == TARN_OK && r.bad == 2);
	CHECK_STR(r.dump, "1|[1]\n2|<null>\n3|[3]\n4|<null>\n");
	res_free(&r);
	r = rd(bad, OPTS("types=l=list<int64>", "on-bad-row=skip"));
	CHECK(r.rc == TARN_OK && r.bad == 2);
	CHECK_STR(r.dump, "1|[1]\n3|[3]\n");
	res_free(&r);
	struct sbuf deep = { 0 };
	sb_str(&deep, "id,l\n1,[1]\n2,");
	for (int i = 0; i < 70; i++)
		sb_str(&deep, "[");
	for (int i = 0; i < 70; i++)
		sb_str(&deep, "]");
	sb_str(&deep, "\n");
	r = rd(deep.p, OPTS("types=l=list<string>", "on-bad-row=null-fill"));
	CHECK(r.rc == TARN_ELIMIT);
	CHECK_CONTAINS(r.err, "t.csv:3:67: value '[[[");
	CHECK_CONTAINS(r.err, "nesting deeper than max-depth (64)");
	res_free(&r);
	free(deep.p);
}

TEST(nested_parallel_and_streamed)
{
	/* Many rows of nested cells: parallel chunks, streamed (gzip) reads
	 * and the sequential read agree, and the writer gives the input back. */
	struct sbuf b = { 0 };
	sb_str(&b, "id,l,s\n");
	for (int i = 0; i < 20000; i++) {
		char row[256];
		if (i % 7 == 3)
			snprintf(row, sizeof row, "%d,,\n", i);
		else
			snprintf(row, sizeof row,
				 "%d,\"[%d,%d,null]\",\"{\"\"k\"\":\"\"v%d,\\n\"\",\"\"n\"\":[[%d],[]]}\"\n",
				 i, i, -i, i, i % 5);
		sb_str(&b, row);
	}
	const char *types = "types=l=list<int64>,s=struct<k: string, n: list<list<int32>>>";
	struct res seq = read_fmt(&tarn_format_csv, b.p, b.n, OPTS(types, "threads=1"));
	REQUIRE(seq.rc == TARN_OK);
	CHECK(seq.rows == 20000);
	struct res par = read_fmt(&tarn_format_csv, b.p, b.n,
				  OPTS(types, "threads=4", "chunk-size=8K"));
	CHECK(par.rc == TARN_OK && par.batches > 1);
	CHECK(par.dump && seq.dump && strcmp(par.dump, seq.dump) == 0);
	res_free(&par);
	size_t gn;
	unsigned char *gz = gzip_mem(b.p, b.n, &gn);
	struct res st = read_fmt(&tarn_format_csv, gz, gn, OPTS(types, "chunk-size=333"));
	CHECK(st.rc == TARN_OK);
	CHECK(st.dump && seq.dump && strcmp(st.dump, seq.dump) == 0);
	res_free(&st);
	free(gz);
	size_t n;
	tarn_rc rc;
	char *o = roundtrip(&tarn_format_csv, b.p, b.n, OPTS(types, "threads=4", "chunk-size=8K"),
			    OPTS("threads=4"), &n, &rc);
	CHECK(rc == TARN_OK && o && n == b.n && memcmp(o, b.p, n) == 0);
	free(o);
	/* skip mode rolls nested columns back and converts the block again */
	char *p = strstr(b.p, "\n12345,");
	REQUIRE(p != NULL);
	p[9] = 'x'; /* 12345,"[x2345,... */
	struct res sk = read_fmt(&tarn_format_csv, b.p, b.n,
				 OPTS(types, "threads=4", "chunk-size=8K", "on-bad-row=skip"));
	CHECK(sk.rc == TARN_OK && sk.rows == 19999 && sk.bad == 1);
	res_free(&sk);
	struct res er = read_fmt(&tarn_format_csv, b.p, b.n, OPTS(types, "threads=4", "chunk-size=8K"));
	CHECK(er.rc == TARN_EDATA);
	CHECK_CONTAINS(er.err, "t.csv:12347:9: value '[x");
	res_free(&er);
	res_free(&seq);
	free(b.p);
}

TEST(every_type_reads_back)
{
	/* What the writer writes for each scalar type reads back under that
	 * type: binary hex, time and timestamp units, zones, decimal(38,x),
	 * uint64 above INT64_MAX, float32 (straight from the text), the int
	 * ranges, signed years. */
	const char *canon =
		"b,t_s,t_ns,ts_ms,tsz_ns,d,dec,u64,f32,i8,i16,u8,u16,u32,i32\n"
		"\\x00ff10,23:59:59,00:00:00.000000001,0999-12-31 23:59:59.999,"
		"1677-09-21 00:12:43.145224192Z,-0044-03-15,-1234567890123456789012345678901234.5678,"
		"18446744073709551615,7.038531e-26,-128,32767,255,65535,4294967295,-2147483648\n"
		"\\x,00:00:00,23:59:59.999999999,+12345-01-01 00:00:00,2262-04-11 23:47:16.854775807Z,"
		"+12345-01-01,0.0001,9223372036854775808,3.4028235e+38,127,-32768,0,0,0,2147483647\n"
		",,,,,,,,,,,,,,\n";
	const char *types = "types=b=binary,t_s=time64[s],t_ns=time64[ns],ts_ms=timestamp[ms],"
			    "tsz_ns=timestamp[ns, UTC],d=date32,dec=decimal(38,4),u64=uint64,"
			    "f32=float32,i8=int8,i16=int16,u8=uint8,u16=uint16,u32=uint32,i32=int32";
	char *o = rt(canon, OPTS(types), NULL);
	CHECK_STR(o, canon);
	free(o);
	/* and out of range is an error, not a wrapped value */
	struct res r = rd("a,b\n-129,1\n", OPTS("types=a=int8"));
	CHECK(r.rc == TARN_EDATA);
	res_free(&r);
	r = rd("a,b\n-1,1\n", OPTS("types=a=uint64"));
	CHECK(r.rc == TARN_EDATA);
	res_free(&r);
	r = rd("a,b\n18446744073709551616,1\n", OPTS("types=a=uint64"));
	CHECK(r.rc == TARN_EDATA);
	res_free(&r);
	r = rd("a,b\n12:00:00.5,1\n", OPTS("types=a=time64[s]"));
	CHECK(r.rc == TARN_EDATA);
	res_free(&r);
}

TEST(infer_timestamps_any_year)
{
	/* Timestamps outside the years nanoseconds can hold (1677..2262) are
	 * timestamps in microseconds, not strings. */
	struct res r = rd("a,b\n2024-02-29 01:02:03,1\n0999-01-01 00:00:00.5,2\n", NULL);
	CHECK_STR(r.schema, "a:timestamp[us];b:int64");
	CHECK_STR(r.dump, "2024-02-29 01:02:03|1\n0999-01-01 00:00:00.5|2\n");
	res_free(&r);
	r = rd("a,b\n2024-02-29 01:02:03.123456789,1\n2000-01-01 00:00:00,2\n", NULL);
	CHECK_STR(r.schema, "a:timestamp[ns];b:int64");
	res_free(&r);
	/* nine zero digits still fit microseconds */
	r = rd("a,b\n2024-02-29 01:02:03.100000000,1\n3000-01-01 00:00:00,2\n", NULL);
	CHECK_STR(r.schema, "a:timestamp[us];b:int64");
	res_free(&r);
	/* nanoseconds that matter and a year ns cannot hold: no unit fits */
	r = rd("a,b\n2024-02-29 01:02:03.123456789,1\n3000-01-01 00:00:00,2\n", NULL);
	CHECK_STR(r.schema, "a:string;b:int64");
	CHECK_CONTAINS(r.notes, "timestamps with nanoseconds and timestamps outside the years");
	res_free(&r);
}

TEST(notes_are_valid_utf8)
{
	/* An example cut to fit a note ends on a character boundary. */
	struct res r = rd("a\n1\n\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe3\x83\x86\xe3\x82\xad\xe3\x82"
			  "\xb9\xe3\x83\x88\xe3\x81\xa7\xe3\x81\x99\n",
			  OPTS("header=true"));
	CHECK(r.rc == TARN_OK);
	REQUIRE(r.notes != NULL);
	CHECK(tarn_utf8_valid((const uint8_t *)r.notes, strlen(r.notes), NULL));
	CHECK_CONTAINS(r.notes, "'\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe3\x83\x86\xe3\x82\xad"
				"\xe3\x82\xb9\xe3\x83\x88'");
	res_free(&r);
}

/* ---- allocation failures ---------------------------------------------------------- */

TEST(allocation_failures)
{
	size_t n;
	char *text = gen_tricky(300, false, false, &n);
	int ok = 0, failed = 0;
	for (int64_t k = 0; k < 400; k += 3) {
		tarn_mem_fail_after(k);
		size_t m;
		tarn_rc rc;
		char *o = roundtrip(&tarn_format_csv, text, n, OPTS("threads=2", "chunk-size=2K"),
				    NULL, &m, &rc);
		tarn_mem_fail_after(-1);
		if (rc == TARN_OK)
			ok++;
		else
			failed++;
		CHECK(rc == TARN_OK || rc == TARN_ENOMEM);
		free(o);
	}
	CHECK(failed > 0);
	CHECK(ok > 0);
	free(text);

	/* nested columns: the JSON value parsers and child arrays */
	const char *nested = "id,l,m\n1,\"[1,2]\",\"{\"\"a\"\":[\"\"x\"\"]}\"\n2,[],{}\n3,,\n"
			     "4,\"[3,null,4]\",\"{\"\"b\"\":null,\"\"c\"\":[]}\"\n";
	ok = failed = 0;
	for (int64_t k = 0; k < 300; k++) {
		tarn_mem_fail_after(k);
		size_t m;
		tarn_rc rc;
		char *o = roundtrip(&tarn_format_csv, nested, strlen(nested),
				    OPTS("types=l=list<int64>,m=map<string, list<string>>"), NULL, &m,
				    &rc);
		tarn_mem_fail_after(-1);
		if (rc == TARN_OK) {
			ok++;
			CHECK_STR(o, nested);
		} else {
			failed++;
		}
		CHECK(rc == TARN_OK || rc == TARN_ENOMEM);
		free(o);
	}
	CHECK(failed > 0);
	CHECK(ok > 0);
}

int main(void)
{
	RUN(sniff_delimiters);
	RUN(sniff_quotes_and_escapes);
	RUN(sniff_bom_line_endings_blank_lines);
	RUN(sniff_comments);
	RUN(sniff_header);
	RUN(infer_types);
	RUN(infer_notes);
	RUN(null_option);
	RUN(types_override);
	RUN(type_error_after_sample);
	RUN(ragged_rows);
	RUN(quote_errors);
	RUN(utf8);
	RUN(limits);
	RUN(bad_options);
	RUN(error_is_sticky);
	RUN(parallel_equals_sequential);
	RUN(parallel_errors_have_exact_lines);
	RUN(simd_env_override);
	RUN(simd_paths_agree);
	RUN(compressed_streams);
	RUN(writer_quoting);
	RUN(roundtrip_canonical);
	RUN(roundtrip_large_parallel_writer);
	RUN(wide_table);
	RUN(nested_columns);
	RUN(nested_parallel_and_streamed);
	RUN(every_type_reads_back);
	RUN(infer_timestamps_any_year);
	RUN(notes_are_valid_utf8);
	RUN(columns_option);
	RUN(allocation_failures);
	return unit_done();
}
