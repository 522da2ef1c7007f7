/*
 * arrow_ipc.c — unit tests for the Arrow IPC formats (src/formats/arrow/):
 * the flatbuffers reader and builder (round trip, hostile buffers), round
 * trips of every tarn type through the file and stream formats with each
 * compression, dictionary encoding (explicit columns, auto, deltas across
 * batches), record batches split by batch-rows, streamed (non-mapped) input,
 * the schema notes of converted types, and hostile files: every truncation,
 * byte flips, corrupted offsets and lying lengths must fail cleanly (ASan
 * runs this too).
 *
 * Test data comes from the JSON Lines reader with declared types; files are
 * written to and read from memory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "base/mem.h"
#include "formats/arrow/arrow_int.h"
#include "formats/format.h"
#include "unit.h"

extern const struct tarn_format tarn_format_jsonl, tarn_format_arrow, tarn_format_arrows;

/* ---- harness ------------------------------------------------------------------- */

struct tbl {
	struct tarn_schema *s;
	struct tarn_batch **b;
	int n;
};

static void tbl_free(struct tbl *t)
{
	for (int i = 0; i < t->n; i++)
		tarn_batch_free(t->b[i]);
	free(t->b);
	if (t->s)
		tarn_schema_unref(t->s);
	memset(t, 0, sizeof *t);
}

static struct tarn_opts *mkopts(const char *spec)
{
	struct tarn_opts *o;
	if (tarn_opts_new(&o))
		abort();
	char buf[1024];
	snprintf(buf, sizeof buf, "%s", spec ? spec : "");
	for (char *save = NULL, *kv = strtok_r(buf, ";", &save); kv;
	     kv = strtok_r(NULL, ";", &save))
		if (tarn_opts_parse(o, kv, NULL))
			abort();
	return o;
}

static tarn_rc read_input(struct tarn_input *in, const struct tarn_format *f, const char *opts,
			  struct tbl *out, struct tarn_err *err)
{
	memset(out, 0, sizeof *out);
	struct tarn_opts *o = mkopts(opts);
	struct tarn_reader *r;
	tarn_rc rc = tarn_reader_open_input(in, f, o, &r, err);
	tarn_opts_free(o);
	if (rc)
		return rc;
	out->s = (struct tarn_schema *)tarn_reader_schema(r);
	tarn_schema_ref(out->s);
	for (;;) {
		struct tarn_batch *b;
		rc = tarn_reader_next(r, &b, err);
		if (rc || !b)
			break;
		out->b = realloc(out->b, sizeof *out->b * (size_t)(out->n + 1));
		out->b[out->n++] = b;
	}
	tarn_reader_close(r);
	return rc;
}

static tarn_rc read_mem(const void *p, size_t n, const struct tarn_format *f, const char *opts,
			struct tbl *out, struct tarn_err *err)
{
	struct tarn_input *in;
	tarn_rc rc = tarn_input_open_mem(p, n, "t.arrow", &in, err);
	if (rc)
		return rc;
	return read_input(in, f, opts, out, err);
}

static tarn_rc write_mem(const struct tbl *t, const struct tarn_format *f, const char *opts,
			 uint8_t **out, size_t *n, struct tarn_err *err)
{
	*out = NULL;
	*n = 0;
	struct tarn_output *o;
	tarn_rc rc = tarn_output_open_mem(&o, err);
	if (rc)
		return rc;
	struct tarn_opts *op = mkopts(opts);
	struct tarn_writer *w;
	rc = tarn_writer_open_output(o, f, t->s, op, &w, err);
	tarn_opts_free(op);
	if (rc)
		return rc;
	for (int i = 0; i < t->n && !rc; i++)
		rc = tarn_writer_write(w, t->b[i], err);
	if (!rc)
		rc = tarn_writer_finish(w, err);
	if (!rc) {
		size_t k;
		const uint8_t *p = tarn_output_mem(w->out, &k);
		*out = malloc(k ? k : 1);
		memcpy(*out, p, k);
		*n = k;
	}
	tarn_writer_close(w);
	return rc;
}

/* Every cell as tarn prints it, rows on lines, '|' between cells, "~" for
 * null. */
static char *dump(const struct tbl *t)
{
	size_t cap = 1 << 16, len = 0;
	char *s = malloc(cap), cell[4096];
	s[0] = '\0';
	for (int i = 0; i < t->n; i++) {
		const struct tarn_batch *b = t->b[i];
		for (int64_t r = 0; r < b->n_rows; r++) {
			for (int c = 0; c < b->n_cols; c++) {
				if (tarn_batch_is_null(b, c, r))
					snprintf(cell, sizeof cell, "~");
				else
					tarn_batch_cell_text(b, c, r, cell, sizeof cell);
				size_t k = strlen(cell) + 2;
				while (len + k + 1 > cap)
					s = realloc(s, cap *= 2);
				len += (size_t)snprintf(s + len, cap - len, "%s%s", cell,
							c + 1 < b->n_cols ? "|" : "\n");
			}
		}
	}
	return s;
}

static int64_t rows_of(const struct tbl *t)
{
	int64_t n = 0;
	for (int i = 0; i < t->n; i++)
		n += t->b[i]->n_rows;
	return n;
}

static void schema_text(const struct tarn_schema *s, char *out, size_t cap)
{
	size_t len = 0;
	out[0] = '\0';
	for (int i = 0; i < s->n_fields; i++) {
		char t[512];
		tarn_schema_field_type_text(s, i, t, sizeof t);
		const char *note = tarn_schema_field_note(s, i);
		len += (size_t)snprintf(out + len, cap - len, "%s: %s%s%s\n", s->fields[i].name, t,
					note ? "  # " : "", note ? note : "");
		if (len >= cap)
			return;
	}
}

/* ---- test data ------------------------------------------------------------------ */

static const char *all_types =
	"types=id=int64,b=bool,i8=int8,i16=int16,i32=int32,u8=uint8,u16=uint16,u32=uint32,"
	"u64=uint64,f32=float32,f64=float64,d=decimal(20,3),s=string,bin=binary,dt=date32,"
	"t_s=time64[s],t_ms=time64[ms],t_us=time64[us],t_ns=time64[ns],ts=timestamp[us],"
	"tsz=timestamp[ms, UTC],l=list<int64>,ls=list<string>,st=struct<a: int32, b: string>,"
	"m=map<string, int64>,ll=list<list<int32>>,lst=list<struct<p: bool, q: float64>>";

/* n rows of JSON Lines with every type and nulls everywhere. */
static char *gen_rows(int n, int card)
{
	size_t cap = (size_t)n * 1200 + 64, len = 0;
	char *s = malloc(cap);
	static const char *b64[] = { "", "AA==", "AAEC", "/////w==", "aGVsbG8gd29ybGQ=" };
	for (int i = 0; i < n; i++) {
		int nul = i % 7 == 3;
#define F(...) len += (size_t)snprintf(s + len, cap - len, __VA_ARGS__)
		F("{\"id\":%d", i);
		if (nul) {
			F(",\"b\":null,\"i8\":null,\"i16\":null,\"i32\":null,\"u8\":null,\"u16\":null,"
			  "\"u32\":null,\"u64\":null,\"f32\":null,\"f64\":null,\"d\":null,\"s\":null,"
			  "\"bin\":null,\"dt\":null,\"t_s\":null,\"t_ms\":null,\"t_us\":null,"
			  "\"t_ns\":null,\"ts\":null,\"tsz\":null,\"l\":null,\"ls\":null,\"st\":null,"
			  "\"m\":null,\"ll\":null,\"lst\":null}\n");
			continue;
		}
		F(",\"b\":%s,\"i8\":%d,\"i16\":%d,\"i32\":%d", i % 3 ? "true" : "false",
		  i % 256 - 128, i * 37 % 65536 - 32768, i * 100003 - 7);
		F(",\"u8\":%d,\"u16\":%d,\"u32\":%u,\"u64\":%llu", i % 256, i * 7 % 65536,
		  4000000000u - (unsigned)i, 18000000000000000000ull + (unsigned long long)i);
		F(",\"f32\":%g,\"f64\":%.17g", i / 8.0, i / 3.0 - 1e6);
		F(",\"d\":%d.%03d", i * 1234 - 50000, i % 1000);
		F(",\"s\":\"v%d\\u00e9\"", i % card);
		F(",\"bin\":\"%s\"", b64[i % 5]);
		F(",\"dt\":\"%04d-%02d-%02d\"", 1950 + i % 100, 1 + i % 12, 1 + i % 28);
		F(",\"t_s\":\"%02d:%02d:%02d\"", i % 24, i % 60, (i * 7) % 60);
		F(",\"t_ms\":\"%02d:%02d:%02d.%03d\"", i % 24, i % 60, (i * 7) % 60, i % 1000);
		F(",\"t_us\":\"%02d:%02d:%02d.%06d\"", i % 24, i % 60, (i * 7) % 60, i * 13 % 1000000);
		F(",\"t_ns\":\"%02d:%02d:%02d.%09d\"", i % 24, i % 60, (i * 7) % 60,
		  i * 1013 % 1000000000);
		F(",\"ts\":\"%04d-03-04 05:06:07.%06d\"", 1900 + i % 200, i % 1000000);
		F(",\"tsz\":\"2024-05-06 07:08:09.%03dZ\"", i % 1000);
		if (i % 5 == 1)
			F(",\"l\":[]");
		else
			F(",\"l\":[%d,null,%d]", i, -i);
		F(",\"ls\":[\"a%d\",null,\"\"]", i);
		F(",\"st\":{\"a\":%d,\"b\":%s}", i, i % 4 ? "\"x\"" : "null");
		F(",\"m\":{\"k%d\":%d,\"z\":null}", i % 3, i);
		F(",\"ll\":[[%d],[],null]", i);
		F(",\"lst\":[{\"p\":true,\"q\":%d.5},null]}\n", i);
#undef F
	}
	s[len] = '\0';
	return s;
}

static tarn_rc load_jsonl(const char *text, const char *opts, struct tbl *t, struct tarn_err *err)
{
	return read_mem(text, strlen(text), &tarn_format_jsonl, opts, t, err);
}

/* Writes src in fmt with wopts, reads it back with ropts, and checks the
 * cells and the schema are the same. Returns the file size. */
static size_t roundtrip(const struct tbl *src, const struct tarn_format *f, const char *wopts,
			const char *ropts)
{
	struct tarn_err err;
	tarn_err_clear(&err);
	uint8_t *p;
	size_t n;
	tarn_rc rc = write_mem(src, f, wopts, &p, &n, &err);
	if (rc) {
		fprintf(stderr, "write (%s): %s\n", wopts, err.msg);
		CHECK(rc == TARN_OK);
		return 0;
	}
	struct tbl back;
	rc = read_mem(p, n, f, ropts, &back, &err);
	if (rc)
		fprintf(stderr, "read (%s): %s\n", wopts, err.msg);
	CHECK(rc == TARN_OK);
	if (rc == TARN_OK) {
		char *a = dump(src), *b = dump(&back);
		CHECK(strcmp(a, b) == 0);
		if (strcmp(a, b) != 0) {
			size_t i = 0;
			while (a[i] && a[i] == b[i])
				i++;
			fprintf(stderr, "differ at %zu (%s):\n  want %.200s\n  got  %.200s\n", i,
				wopts, a + (i > 40 ? i - 40 : 0), b + (i > 40 ? i - 40 : 0));
		}
		CHECK(tarn_schema_equal(src->s, back.s));
		for (int i = 0; i < back.n; i++)
			CHECK(back.b[i]->n_rows <= TARN_BATCH_ROWS);
		free(a);
		free(b);
	}
	tbl_free(&back);
	free(p);
	return n;
}

/* ---- flatbuffers ------------------------------------------------------------------ */

TEST(fb_roundtrip)
{
	struct fb_builder b;
	fb_builder_init(&b);
	fb_ref s = fb_create_string(&b, "hello", 5);
	fb_start(&b);
	fb_add_i32(&b, 0, 42);
	fb_ref kid0 = fb_end(&b);
	fb_start(&b);
	fb_add_i32(&b, 0, -7);
	fb_add_u8(&b, 2, 1);
	fb_ref kid1 = fb_end(&b);
	fb_ref kids[2] = { kid0, kid1 };
	fb_ref kv = fb_create_refs(&b, kids, 2);
	int64_t pairs[4] = { 1, 2, 3, INT64_MIN };
	fb_ref sv = fb_create_structs(&b, pairs, 16, 2, 8);
	fb_start(&b);
	fb_add_i64(&b, 0, 1234567890123ll);
	fb_add_ref(&b, 1, s);
	fb_add_ref(&b, 2, kv);
	fb_add_i16(&b, 3, -3);
	fb_add_ref(&b, 5, sv);
	fb_ref root = fb_end(&b);
	const uint8_t *p;
	size_t n;
	REQUIRE(fb_finish(&b, root, &p, &n) == TARN_OK);
	CHECK(n % 8 == 0);

	struct fb_ctx c;
	fb_ctx_init(&c, p, n, 8, NULL, "test");
	struct fb_table t, k;
	REQUIRE(fb_root(&c, &t));
	CHECK(fb_i64(&t, 0, 0) == 1234567890123ll);
	const char *str;
	size_t sl;
	CHECK(fb_string(&t, 1, &str, &sl) && sl == 5 && memcmp(str, "hello", 5) == 0);
	CHECK(fb_i16(&t, 3, 0) == -3);
	CHECK(fb_i32(&t, 4, 99) == 99); /* absent: default */
	CHECK(!fb_has(&t, 4) && fb_has(&t, 0));
	CHECK(fb_i32(&t, 40, 5) == 5); /* beyond the vtable */
	struct fb_vec v;
	REQUIRE(fb_vector(&t, 2, 4, &v) && v.len == 2);
	REQUIRE(fb_vec_table(&v, 1, &k));
	CHECK(fb_i32(&k, 0, 0) == -7 && fb_bool(&k, 2, false));
	REQUIRE(fb_vec_table(&v, 0, &k));
	CHECK(fb_i32(&k, 0, 0) == 42 && !fb_bool(&k, 2, false));
	REQUIRE(fb_vector(&t, 5, 16, &v) && v.len == 2);
	CHECK(fb_load_i64(fb_vec_at(&v, 1) + 8) == INT64_MIN);
	CHECK(c.rc == TARN_OK);

	/* Every truncation and every single-byte corruption is either read or
	 * reported; ASan checks nothing is read out of bounds. */
	uint8_t *copy = malloc(n);
	for (size_t cut = 0; cut < n; cut++) {
		memcpy(copy, p, cut);
		fb_ctx_init(&c, copy, cut, 8, NULL, "cut");
		if (fb_root(&c, &t)) {
			fb_string(&t, 1, &str, &sl);
			if (fb_vector(&t, 2, 4, &v))
				for (uint32_t i = 0; i < v.len; i++)
					if (fb_vec_table(&v, i, &k))
						(void)fb_i32(&k, 0, 0);
		}
	}
	for (size_t i = 0; i < n; i++) {
		for (int x = 1; x < 256; x <<= 1) {
			memcpy(copy, p, n);
			copy[i] ^= (uint8_t)x;
			fb_ctx_init(&c, copy, n, 8, NULL, "flip");
			if (fb_root(&c, &t)) {
				(void)fb_i64(&t, 0, 0);
				fb_string(&t, 1, &str, &sl);
				if (fb_vector(&t, 2, 4, &v))
					for (uint32_t j = 0; j < v.len && j < 4; j++)
						if (fb_vec_table(&v, j, &k))
							(void)fb_i32(&k, 0, 0);
				if (fb_vector(&t, 5, 16, &v) && v.len)
					(void)fb_load_i64(fb_vec_at(&v, v.len - 1));
			}
		}
	}
	free(copy);
	fb_builder_free(&b);
}

TEST(fb_depth_limit)
{
	/* A table whose field 0 points at itself: depth must stop it. */
	uint8_t buf[32] = { 0 };
	uint32_t root = 12;
	memcpy(buf, &root, 4);
	uint16_t vt[3] = { 6, 8, 4 }; /* vtable at 4: len 6, table len 8, field 0 at +4 */
	memcpy(buf + 4, vt, 6);
	int32_t so = 12 - 4;
	memcpy(buf + 12, &so, 4);
	uint32_t self = (uint32_t)-4; /* field at 16 points back to 12 */
	memcpy(buf + 16, &self, 4);
	struct fb_ctx c;
	fb_ctx_init(&c, buf, sizeof buf, 16, NULL, "loop");
	struct fb_table t;
	REQUIRE(fb_root(&c, &t));
	/* uoffsets are unsigned: pointing backwards wraps past the end. */
	struct fb_table u;
	CHECK(!fb_table(&t, 0, &u));
	CHECK(c.rc == TARN_EDATA);
}

/* ---- round trips ------------------------------------------------------------------ */

TEST(all_types_both_formats)
{
	struct tarn_err err;
	tarn_err_clear(&err);
	char *text = gen_rows(700, 13);
	struct tbl src;
	tarn_rc rc = load_jsonl(text, all_types, &src, &err);
	if (rc)
		fprintf(stderr, "%s\n", err.msg);
	REQUIRE(rc == TARN_OK);
	CHECK(rows_of(&src) == 700);
	size_t plain = roundtrip(&src, &tarn_format_arrow, "", "");
	roundtrip(&src, &tarn_format_arrows, "", "");
	size_t lz4 = roundtrip(&src, &tarn_format_arrow, "compression=lz4", "");
	size_t zstd = roundtrip(&src, &tarn_format_arrows, "compression=zstd;compression-level=9",
				"");
	CHECK(lz4 < plain && zstd < plain);
	roundtrip(&src, &tarn_format_arrow, "compression=zstd;dictionary=s", "batch-rows=33");
	roundtrip(&src, &tarn_format_arrows, "dictionary=s,bin", "batch-rows=1");
	roundtrip(&src, &tarn_format_arrow, "dictionary=auto", "");
	tbl_free(&src);
	free(text);
}

TEST(schema_details)
{
	struct tarn_err err;
	tarn_err_clear(&err);
	const char *text = "{\"a\":1,\"t\":\"2024-01-02 03:04:05+01:00\",\"n\":null}\n";
	struct tbl src;
	REQUIRE(load_jsonl(text, "types=a=int32,t=timestamp[ns, America/New_York],n=null", &src,
			   &err) == TARN_OK);
	src.s->fields[0].nullable = false;
	uint8_t *p;
	size_t n;
	REQUIRE(write_mem(&src, &tarn_format_arrow, "", &p, &n, &err) == TARN_OK);
	CHECK(memcmp(p, "ARROW1\0\0", 8) == 0 && memcmp(p + n - 6, "ARROW1", 6) == 0);
	struct tbl back;
	REQUIRE(read_mem(p, n, NULL, "", &back, &err) == TARN_OK); /* sniffed */
	char st[1024];
	schema_text(back.s, st, sizeof st);
	CHECK_STR(st, "a: int32\nt: timestamp[ns, America/New_York]\nn: null\n");
	CHECK(!back.s->fields[0].nullable && back.s->fields[1].nullable);
	char *a = dump(&src), *b = dump(&back);
	CHECK_STR(a, b);
	free(a);
	free(b);
	tbl_free(&back);
	free(p);

	/* The stream format sniffs as arrows. */
	REQUIRE(write_mem(&src, &tarn_format_arrows, "", &p, &n, &err) == TARN_OK);
	struct tarn_input *in;
	REQUIRE(tarn_input_open_mem(p, n, "s", &in, &err) == TARN_OK);
	struct tarn_reader *r;
	REQUIRE(tarn_reader_open_input(in, NULL, NULL, &r, &err) == TARN_OK);
	CHECK_STR(tarn_reader_format(r), "arrows");
	tarn_reader_close(r);
	free(p);

	/* An empty table keeps its schema, in both formats. */
	struct tbl empty = { src.s, NULL, 0 };
	for (int k = 0; k < 2; k++) {
		REQUIRE(write_mem(&empty, k ? &tarn_format_arrows : &tarn_format_arrow, "", &p, &n,
				  &err) == TARN_OK);
		REQUIRE(read_mem(p, n, k ? &tarn_format_arrows : &tarn_format_arrow, "", &back,
				 &err) == TARN_OK);
		CHECK(back.n == 0 && back.s->n_fields == 3);
		tbl_free(&back);
		free(p);
	}
	tbl_free(&src);
}

/* The stream read through a non-mapped (gzip) input, and a file-format
 * input read as its embedded stream. */
static uint8_t *gzip(const uint8_t *p, size_t n, size_t *out_n)
{
	z_stream z;
	memset(&z, 0, sizeof z);
	deflateInit2(&z, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY);
	size_t cap = deflateBound(&z, n) + 64;
	uint8_t *o = malloc(cap);
	z.next_in = (uint8_t *)p;
	z.avail_in = (unsigned)n;
	z.next_out = o;
	z.avail_out = (unsigned)cap;
	deflate(&z, Z_FINISH);
	*out_n = cap - z.avail_out;
	deflateEnd(&z);
	return o;
}

TEST(streamed_input)
{
	struct tarn_err err;
	tarn_err_clear(&err);
	char *text = gen_rows(300, 5);
	struct tbl src;
	REQUIRE(load_jsonl(text, all_types, &src, &err) == TARN_OK);
	char *want = dump(&src);
	for (int k = 0; k < 4; k++) {
		const struct tarn_format *f = k & 1 ? &tarn_format_arrows : &tarn_format_arrow;
		uint8_t *p;
		size_t n, zn;
		REQUIRE(write_mem(&src, f, k & 2 ? "dictionary=s;compression=lz4" : "", &p, &n,
				  &err) == TARN_OK);
		uint8_t *z = gzip(p, n, &zn);
		struct tbl back;
		tarn_rc rc = read_mem(z, zn, f, "batch-rows=100", &back, &err);
		if (rc)
			fprintf(stderr, "%s\n", err.msg);
		CHECK(rc == TARN_OK);
		char *got = dump(&back);
		CHECK_STR(got, want);
		free(got);
		tbl_free(&back);
		/* Truncated streamed input fails with a message. */
		free(z);
		z = gzip(p, n / 2, &zn);
		tarn_err_clear(&err);
		rc = read_mem(z, zn, f, "", &back, &err);
		CHECK(rc == TARN_EDATA && strstr(err.msg, "t.arrow") && strstr(err.msg, "truncated"));
		tbl_free(&back);
		/* Cut just before the footer: the embedded stream is complete. */
		free(z);
		z = gzip(p, n - 20, &zn);
		CHECK(read_mem(z, zn, f, "", &back, &err) == ((k & 1) ? TARN_EDATA : TARN_OK));
		tbl_free(&back);
		free(z);
		free(p);
	}
	free(want);
	tbl_free(&src);
	free(text);
}

/* Several input batches, dictionary values growing across them: deltas. */
TEST(dictionary_deltas)
{
	struct tarn_err err;
	tarn_err_clear(&err);
	struct tbl src = { 0 };
	for (int part = 0; part < 4; part++) {
		char text[8192];
		/* Values: part 0 uses v0..v4, part 1 adds v5..v9, ... */
		size_t len = 0;
		for (int i = 0; i < 50; i++) {
			char v[32];
			snprintf(v, sizeof v, "\"v%d\"", part * 5 + i % 5 + (i % 2 ? 0 : -part * 5));
			len += (size_t)snprintf(text + len, sizeof text - len,
						"{\"s\":%s,\"b\":\"QUJD\"}\n",
						i % 9 == 0 ? "null" : v);
		}
		struct tbl one;
		REQUIRE(load_jsonl(text, "types=s=string,b=binary", &one, &err) == TARN_OK);
		if (!src.s) {
			src.s = one.s;
			tarn_schema_ref(src.s);
		}
		for (int i = 0; i < one.n; i++) {
			/* Batches must share the schema object's equality. */
			src.b = realloc(src.b, sizeof *src.b * (size_t)(src.n + 1));
			src.b[src.n++] = one.b[i];
		}
		one.n = 0;
		tbl_free(&one);
	}
	REQUIRE(src.n >= 4);
	roundtrip(&src, &tarn_format_arrows, "dictionary=s,b", "");
	roundtrip(&src, &tarn_format_arrow, "dictionary=s,b;compression=zstd", "batch-rows=7");
	roundtrip(&src, &tarn_format_arrow, "dictionary=auto", "");

	/* Count the dictionary batches and their delta flags in the stream. */
	uint8_t *p;
	size_t n;
	REQUIRE(write_mem(&src, &tarn_format_arrows, "dictionary=s", &p, &n, &err) == TARN_OK);
	int dicts = 0, deltas = 0;
	size_t at = 0;
	while (at + 8 <= n) {
		uint32_t w, len;
		memcpy(&w, p + at, 4);
		memcpy(&len, p + at + 4, 4);
		if (w != AX_CONTINUATION || len == 0)
			break;
		struct fb_ctx c;
		fb_ctx_init(&c, p + at + 8, len, 16, NULL, "m");
		struct fb_table root, h;
		REQUIRE(fb_root(&c, &root));
		int64_t body = fb_i64(&root, MSG_BODY_LENGTH, 0);
		if (fb_u8(&root, MSG_HEADER_TYPE, 0) == HDR_DICTIONARY_BATCH) {
			dicts++;
			REQUIRE(fb_table(&root, MSG_HEADER, &h));
			deltas += fb_bool(&h, DB_IS_DELTA, false);
		}
		at += 8 + len + (size_t)body;
		CHECK(at % 8 == 0);
	}
	CHECK(dicts == 4 && deltas == 3);
	free(p);

	/* Options naming what cannot be encoded. */
	tarn_err_clear(&err);
	CHECK(write_mem(&src, &tarn_format_arrow, "dictionary=nope", &p, &n, &err) == TARN_EUSAGE);
	CHECK_CONTAINS(err.msg, "nope");
	tarn_err_clear(&err);
	CHECK(write_mem(&src, &tarn_format_arrow, "compression=snappy", &p, &n, &err) ==
	      TARN_EUSAGE);
	CHECK_CONTAINS(err.msg, "snappy");
	tbl_free(&src);
}

TEST(dictionary_rejects_non_strings)
{
	struct tarn_err err;
	tarn_err_clear(&err);
	struct tbl src;
	REQUIRE(load_jsonl("{\"x\":1}\n", "types=x=int64", &src, &err) == TARN_OK);
	uint8_t *p;
	size_t n;
	CHECK(write_mem(&src, &tarn_format_arrow, "dictionary=x", &p, &n, &err) == TARN_EUSAGE);
	CHECK_CONTAINS(err.msg, "only string and binary");
	tbl_free(&src);
}

TEST(batch_rows_split)
{
	struct tarn_err err;
	tarn_err_clear(&err);
	char *text = gen_rows(1000, 7);
	struct tbl src;
	REQUIRE(load_jsonl(text, all_types, &src, &err) == TARN_OK);
	uint8_t *p;
	size_t n;
	REQUIRE(write_mem(&src, &tarn_format_arrow, "", &p, &n, &err) == TARN_OK);
	struct tbl back;
	REQUIRE(read_mem(p, n, &tarn_format_arrow, "batch-rows=64", &back, &err) == TARN_OK);
	CHECK(rows_of(&back) == 1000);
	for (int i = 0; i < back.n; i++)
		CHECK(back.b[i]->n_rows <= 64);
	char *a = dump(&src), *b = dump(&back);
	CHECK_STR(a, b);
	free(a);
	free(b);
	tbl_free(&back);
	CHECK(read_mem(p, n, &tarn_format_arrow, "batch-rows=0", &back, &err) == TARN_EUSAGE);
	tbl_free(&back);
	free(p);
	tbl_free(&src);
	free(text);
}

/* time64[s]/[ms] go out as time32: values beyond int32 cannot. */
TEST(time32_out_of_range)
{
	struct tarn_err err;
	tarn_err_clear(&err);
	struct tbl src;
	REQUIRE(load_jsonl("{\"t\":\"01:00:00\"}\n", "types=t=time64[ms]", &src, &err) == TARN_OK);
	int64_t big = (int64_t)1 << 40;
	memcpy(src.b[0]->cols[0]->values, &big, 8);
	uint8_t *p;
	size_t n;
	CHECK(write_mem(&src, &tarn_format_arrows, "", &p, &n, &err) == TARN_EDATA);
	CHECK_CONTAINS(err.msg, "time32");
	tbl_free(&src);
}

/* A dictionary column whose first batch is all null still gets its
 * (empty) dictionary batch, so readers can resolve the indices. */
TEST(dictionary_all_null_first_batch)
{
	struct tarn_err err;
	tarn_err_clear(&err);
	struct tbl a, b;
	REQUIRE(load_jsonl("{\"s\":null}\n{\"s\":null}\n", "types=s=string", &a, &err) == TARN_OK);
	REQUIRE(load_jsonl("{\"s\":\"x\"}\n{\"s\":null}\n", "types=s=string", &b, &err) == TARN_OK);
	a.b = realloc(a.b, sizeof *a.b * 2);
	a.b[a.n++] = b.b[0];
	b.n = 0;
	roundtrip(&a, &tarn_format_arrows, "dictionary=s", "");
	roundtrip(&a, &tarn_format_arrow, "dictionary=s;compression=zstd", "");
	tbl_free(&a);
	tbl_free(&b);
}

/* ---- hostile files ------------------------------------------------------------------ */

/* Reads p as fmt; whatever happens must be OK or a described error, and
 * every batch must be valid. */
static void read_hostile(const uint8_t *p, size_t n, const struct tarn_format *f)
{
	struct tarn_err err;
	tarn_err_clear(&err);
	struct tarn_input *in;
	if (tarn_input_open_mem(p, n, "h.arrow", &in, &err))
		return;
	struct tarn_opts *o = mkopts("max-message-size=16M;batch-rows=50");
	struct tarn_reader *r;
	tarn_rc rc = tarn_reader_open_input(in, f, o, &r, &err);
	tarn_opts_free(o);
	if (rc) {
		CHECK(err.msg[0] != '\0');
		return;
	}
	for (;;) {
		struct tarn_batch *b;
		rc = tarn_reader_next(r, &b, &err);
		if (rc || !b)
			break;
		for (int c = 0; c < b->n_cols; c++) {
			struct tarn_err v;
			tarn_err_clear(&v);
			CHECK(tarn_array_validate(b->cols[c], true, &v) == TARN_OK);
		}
		tarn_batch_free(b);
	}
	if (rc)
		CHECK(err.msg[0] != '\0');
	tarn_reader_close(r);
}

TEST(hostile_truncations_and_flips)
{
	struct tarn_err err;
	tarn_err_clear(&err);
	char *text = gen_rows(20, 3);
	struct tbl src;
	REQUIRE(load_jsonl(text, all_types, &src, &err) == TARN_OK);
	for (int k = 0; k < 3; k++) {
		const struct tarn_format *f = k == 1 ? &tarn_format_arrows : &tarn_format_arrow;
		uint8_t *p;
		size_t n;
		REQUIRE(write_mem(&src, f, k == 2 ? "dictionary=s;compression=lz4" : "", &p, &n,
				  &err) == TARN_OK);
		uint8_t *copy = malloc(n);
		for (size_t cut = 0; cut < n; cut += (cut < 512 ? 1 : 7)) {
			memcpy(copy, p, cut);
			read_hostile(copy, cut, f);
		}
		uint32_t seed = 12345;
		for (int t = 0; t < 3000; t++) {
			memcpy(copy, p, n);
			for (int j = 0; j < 1 + t % 3; j++) {
				seed = seed * 1103515245 + 12345;
				size_t at = (seed >> 8) % n;
				seed = seed * 1103515245 + 12345;
				copy[at] ^= (uint8_t)(1 + (seed >> 16) % 255);
			}
			read_hostile(copy, n, f);
		}
		free(copy);
		free(p);
	}
	tbl_free(&src);
	free(text);
}

/* Finds the int32 sequence 0,a,b in p (an offsets buffer). */
static uint8_t *find_i32s(uint8_t *p, size_t n, const int32_t *seq, int k)
{
	for (size_t i = 0; i + 4 * (size_t)k <= n; i += 4)
		if (memcmp(p + i, seq, 4 * (size_t)k) == 0)
			return p + i;
	return NULL;
}

TEST(hostile_offsets)
{
	struct tarn_err err;
	tarn_err_clear(&err);
	struct tbl src;
	REQUIRE(load_jsonl("{\"s\":\"abc\"}\n{\"s\":\"defgh\"}\n{\"s\":\"ij\"}\n",
			   "types=s=string", &src, &err) == TARN_OK);
	uint8_t *p;
	size_t n;
	REQUIRE(write_mem(&src, &tarn_format_arrow, "", &p, &n, &err) == TARN_OK);
	int32_t seq[4] = { 0, 3, 8, 10 };
	uint8_t *o = find_i32s(p, n, seq, 4);
	REQUIRE(o != NULL);
	struct tbl back;

	int32_t bad1[4] = { 0, 8, 3, 10 }; /* decreasing */
	memcpy(o, bad1, 16);
	tarn_err_clear(&err);
	CHECK(read_mem(p, n, NULL, "", &back, &err) == TARN_EDATA);
	CHECK_CONTAINS(err.msg, "offsets decrease at row 1");
	CHECK_CONTAINS(err.msg, "column 's'");
	tbl_free(&back);

	int32_t bad2[4] = { 0, 3, 8, 1000 }; /* past the data */
	memcpy(o, bad2, 16);
	tarn_err_clear(&err);
	CHECK(read_mem(p, n, NULL, "", &back, &err) == TARN_EDATA);
	CHECK_CONTAINS(err.msg, "data buffer");
	tbl_free(&back);

	int32_t bad3[4] = { -5, 3, 8, 10 }; /* negative */
	memcpy(o, bad3, 16);
	tarn_err_clear(&err);
	CHECK(read_mem(p, n, NULL, "", &back, &err) == TARN_EDATA);
	CHECK_CONTAINS(err.msg, "negative offset");
	tbl_free(&back);

	/* Invalid UTF-8 in a string column. */
	memcpy(o, seq, 16);
	uint8_t *d = o + 16;
	REQUIRE(memcmp(d, "abcdefghij", 10) == 0);
	d[4] = 0xff;
	tarn_err_clear(&err);
	CHECK(read_mem(p, n, NULL, "", &back, &err) == TARN_EDATA);
	CHECK_CONTAINS(err.msg, "UTF-8");
	tbl_free(&back);

	/* Not an Arrow file at all, and a file missing its footer. */
	tarn_err_clear(&err);
	CHECK(read_mem("hello world, not arrow", 22, &tarn_format_arrow, "", &back, &err) ==
	      TARN_EDATA);
	tbl_free(&back);
	d[4] = 'e';
	tarn_err_clear(&err);
	CHECK(read_mem(p, n - 16, &tarn_format_arrow, "", &back, &err) == TARN_EDATA);
	CHECK_CONTAINS(err.msg, "truncated");
	tbl_free(&back);
	free(p);
	tbl_free(&src);
}

/* max-message-size caps what a stream may make the reader allocate. */
TEST(message_size_limit)
{
	struct tarn_err err;
	tarn_err_clear(&err);
	char *text = gen_rows(2000, 3);
	struct tbl src, back;
	REQUIRE(load_jsonl(text, all_types, &src, &err) == TARN_OK);
	uint8_t *p, *z;
	size_t n, zn;
	REQUIRE(write_mem(&src, &tarn_format_arrows, "", &p, &n, &err) == TARN_OK);
	z = gzip(p, n, &zn);
	CHECK(read_mem(z, zn, &tarn_format_arrows, "max-message-size=64K", &back, &err) ==
	      TARN_ELIMIT);
	CHECK_CONTAINS(err.msg, "max-message-size");
	tbl_free(&back);
	free(z);
	free(p);
	tbl_free(&src);
	free(text);
}

int main(void)
{
	RUN(fb_roundtrip);
	RUN(fb_depth_limit);
	RUN(all_types_both_formats);
	RUN(schema_details);
	RUN(streamed_input);
	RUN(dictionary_deltas);
	RUN(dictionary_rejects_non_strings);
	RUN(dictionary_all_null_first_batch);
	RUN(batch_rows_split);
	RUN(time32_out_of_range);
	RUN(hostile_truncations_and_flips);
	RUN(hostile_offsets);
	RUN(message_size_limit);
	return unit_done();
}
