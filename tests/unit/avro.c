/*
 * avro.c — the Avro reader and writer (src/formats/avro/).
 *
 * 1. The Apache Avro test files: every file under data/ and c-tests/ of the
 *    corpus ($AVRO_CORPUS_DIR, else ../shared/corpus/avro from the
 *    repository root) is visited, so new files are picked up:
 *      *.avro       read; weather*.avro must equal weather.json (one JSON
 *                   object per line; weather-sorted.avro holds the same rows
 *                   in its sort order, so it is compared as a set); files in
 *                   `bad_files` must fail with the message given there, all
 *                   others must read without error (and equal with 3-row
 *                   batches, a reader schema equal to their own, and from a
 *                   gzip-compressed copy, the streaming path)
 *      *.avsc, schemas/…/schema.json   parse; the interop schema's recursive
 *                   record is refused as a column with a clear message
 *      *.bin        single-object encoding, read with the .avsc beside it
 *      schema-tests.txt  every INPUT's Parsing Canonical Form and CRC-64-AVRO
 *                   fingerprint equal the expected ones
 * 2. Round trips of every tarn type through the writer and reader, with every
 *    codec, small blocks and small batches.
 * 3. Schema resolution: added fields with defaults of every type, removed
 *    fields, promotions, aliases, enums (with default), unions both ways,
 *    and the errors naming the field path.
 * 4. Writing with a given schema (enums, fixed, decimals, UUIDs, unions,
 *    unit conversions) and its errors.
 * 5. Corrupt input: sync markers, truncation, lying counts and sizes, bad
 *    codecs, snappy checksums, deflate bombs, invalid UTF-8, bad varints.
 * 6. Allocation failures at every step of a write and a read.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "base/buf.h"
#include "base/mem.h"
#include "columnar/array.h"
#include "columnar/text.h"
#include "formats/avro/avro_int.h"
#include "formats/format.h"
#include "tarn.h"
#include "unit.h"

extern const struct tarn_format tarn_format_avro;

/* ---- helpers --------------------------------------------------------------------------- */

struct lines {
	char **v;
	int n, cap;
};

static void lines_free(struct lines *l)
{
	for (int i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof *l);
}

static void lines_add(struct lines *l, const char *s, size_t n)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 64;
		l->v = realloc(l->v, (size_t)l->cap * sizeof *l->v);
	}
	char *d = malloc(n + 1);
	memcpy(d, s, n);
	d[n] = '\0';
	l->v[l->n++] = d;
}

/* Row i of b as one JSON object, in tarn's JSON spelling. */
static void row_json(const struct tarn_batch *b, int64_t i, struct tarn_buf *out)
{
	out->len = 0;
	if (tarn_buf_putc(out, '{'))
		abort();
	for (int c = 0; c < b->n_cols; c++) {
		if ((c && tarn_buf_putc(out, ',')) ||
		    tarn_json_quote((const uint8_t *)b->schema->fields[c].name,
				    strlen(b->schema->fields[c].name), out) ||
		    tarn_buf_putc(out, ':'))
			abort();
		if (tarn_array_is_null(b->cols[c], i)) {
			if (tarn_buf_append(out, "null", 4))
				abort();
		} else if (tarn_value_to_text(b->cols[c], i, true, out)) {
			abort();
		}
	}
	if (tarn_buf_putc(out, '}'))
		abort();
}

/* Reads everything from `in` (taken over) into lines; returns the reader's
 * result, err filled on failure. Batches are validated. */
static tarn_rc read_input(struct tarn_input *in, const char *opts_kv, struct lines *out,
			  struct tarn_err *err)
{
	struct tarn_opts *o = NULL;
	if (tarn_opts_new(&o))
		abort();
	if (opts_kv) {
		char *copy = strdup(opts_kv);
		for (char *tok = strtok(copy, ";"); tok; tok = strtok(NULL, ";"))
			if (tarn_opts_parse(o, tok, err))
				abort();
		free(copy);
	}
	struct tarn_reader *r;
	tarn_rc rc = tarn_reader_open_input(in, &tarn_format_avro, o, &r, err);
	tarn_opts_free(o);
	if (rc)
		return rc;
	struct tarn_buf line;
	tarn_buf_init(&line);
	for (;;) {
		struct tarn_batch *b;
		rc = tarn_reader_next(r, &b, err);
		if (rc || !b)
			break;
		for (int c = 0; c < b->n_cols; c++) {
			struct tarn_err verr;
			tarn_err_clear(&verr);
			if (tarn_array_validate(b->cols[c], true, &verr)) {
				fprintf(stderr, "invalid array: %s\n", verr.msg);
				abort();
			}
		}
		for (int64_t i = 0; i < b->n_rows; i++) {
			row_json(b, i, &line);
			lines_add(out, line.data, line.len);
		}
		tarn_batch_free(b);
	}
	tarn_buf_free(&line);
	tarn_reader_close(r);
	return rc;
}

static tarn_rc read_path(const char *path, const char *opts, struct lines *out, struct tarn_err *err)
{
	struct tarn_input *in;
	tarn_rc rc = tarn_input_open(path, &in, err);
	if (rc)
		return rc;
	return read_input(in, opts, out, err);
}

static tarn_rc read_mem(const void *p, size_t n, const char *opts, struct lines *out,
			struct tarn_err *err)
{
	struct tarn_input *in;
	tarn_rc rc = tarn_input_open_mem(p, n, "mem.avro", &in, err);
	if (rc)
		return rc;
	return read_input(in, opts, out, err);
}

static bool read_file(const char *path, struct tarn_buf *out)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return false;
	char tmp[65536];
	size_t k;
	while ((k = fread(tmp, 1, sizeof tmp, f)) > 0)
		if (tarn_buf_append(out, tmp, k))
			abort();
	fclose(f);
	return true;
}

static bool lines_equal(const struct lines *a, const struct lines *b)
{
	if (a->n != b->n) {
		fprintf(stderr, "  %d rows vs %d rows\n", a->n, b->n);
		return false;
	}
	for (int i = 0; i < a->n; i++)
		if (strcmp(a->v[i], b->v[i]) != 0) {
			fprintf(stderr, "  row %d:\n    %s\n    %s\n", i, a->v[i], b->v[i]);
			return false;
		}
	return true;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static const char *corpus_dir(void)
{
	const char *d = getenv("AVRO_CORPUS_DIR");
	return d && *d ? d : "../shared/corpus/avro";
}

/* Schema files of the resolution tests, in a directory of this run's own
 * (tests of several builds may run at once). */
static char wsc_path[600], rsc_path[600], wsc_opt[620], rsc_opt[620], rsc_opt_b1[640];

static void make_tmp_paths(void)
{
	const char *base = getenv("TARN_TEST_TMP");
	char dir[512];
	snprintf(dir, sizeof dir, "%s/avro_unit.XXXXXX", base && *base ? base : "/tmp");
	if (!mkdtemp(dir))
		abort();
	snprintf(wsc_path, sizeof wsc_path, "%s/w.avsc", dir);
	snprintf(rsc_path, sizeof rsc_path, "%s/r.avsc", dir);
	snprintf(wsc_opt, sizeof wsc_opt, "schema=%s", wsc_path);
	snprintf(rsc_opt, sizeof rsc_opt, "schema=%s", rsc_path);
	snprintf(rsc_opt_b1, sizeof rsc_opt_b1, "schema=%s;batch-rows=1", rsc_path);
}

static tarn_rc write_tmp(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		return TARN_EIO;
	fwrite(p, 1, n, f);
	fclose(f);
	return TARN_OK;
}

/* ---- 1. the corpus --------------------------------------------------------------------- */

struct bad {
	const char *name;
	const char *error; /* expected text in the message */
};

static const struct bad bad_files[] = {
	{ "avro-1237-bad-union-discriminant.avro", "union branch index is out of range" },
	{ "avro-1238-truncated.avro", "the file ends inside the block" },
	{ NULL, NULL },
};

static const char *bad_expect(const char *name)
{
	for (const struct bad *b = bad_files; b->name; b++)
		if (strcmp(b->name, name) == 0)
			return b->error;
	return NULL;
}

static bool ends_with(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);
	return a >= b && strcmp(s + a - b, suf) == 0;
}

static int files_seen, avro_files_read;

static void check_weather(const char *dir, const char *name, const struct lines *got)
{
	char path[1024];
	snprintf(path, sizeof path, "%s/weather.json", dir);
	struct tarn_buf j;
	tarn_buf_init(&j);
	if (!read_file(path, &j)) {
		fprintf(stderr, "%s: missing\n", path);
		CHECK(0);
		return;
	}
	struct lines want = { 0 };
	size_t s = 0;
	for (size_t i = 0; i < j.len; i++)
		if (j.data[i] == '\n') {
			if (i > s)
				lines_add(&want, j.data + s, i - s);
			s = i + 1;
		}
	if (s < j.len)
		lines_add(&want, j.data + s, j.len - s);
	struct lines g = { 0 };
	for (int i = 0; i < got->n; i++)
		lines_add(&g, got->v[i], strlen(got->v[i]));
	if (strstr(name, "sorted")) {
		qsort(want.v, (size_t)want.n, sizeof *want.v, cmp_str);
		qsort(g.v, (size_t)g.n, sizeof *g.v, cmp_str);
	}
	if (!lines_equal(&want, &g)) {
		fprintf(stderr, "%s differs from weather.json\n", name);
		CHECK(0);
	}
	lines_free(&want);
	lines_free(&g);
	tarn_buf_free(&j);
}

static void check_avro_file(const char *dir, const char *name)
{
	char path[1024];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	struct tarn_err err;
	tarn_err_clear(&err);
	struct lines got = { 0 };
	tarn_rc rc = read_path(path, NULL, &got, &err);
	const char *want_err = bad_expect(name);
	files_seen++;
	if (want_err) {
		if (rc == TARN_OK)
			fprintf(stderr, "%s: read without error\n", path);
		CHECK(rc == TARN_EDATA);
		CHECK_CONTAINS(err.msg, want_err);
		CHECK_CONTAINS(err.msg, name);
		lines_free(&got);
		return;
	}
	if (rc)
		fprintf(stderr, "%s: %s\n", path, err.msg);
	CHECK(rc == TARN_OK);
	avro_files_read += rc == TARN_OK;
	if (strncmp(name, "weather", 7) == 0)
		check_weather(dir, name, &got);
	/* The same rows with 3-row batches and with 1 thread. */
	struct lines small = { 0 };
	tarn_err_clear(&err);
	CHECK(read_path(path, "batch-rows=3;threads=1", &small, &err) == TARN_OK);
	CHECK(lines_equal(&got, &small));
	lines_free(&small);
	/* Streamed: a gzip copy is not memory-mapped, so blocks are read
	 * one by one from the decompressor. */
	struct tarn_buf raw;
	tarn_buf_init(&raw);
	CHECK(read_file(path, &raw));
	uLongf zcap = compressBound((uLong)raw.len) + 64;
	uint8_t *z = malloc(zcap + 32);
	z_stream zs;
	memset(&zs, 0, sizeof zs);
	REQUIRE(deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK);
	zs.next_in = (Bytef *)raw.data;
	zs.avail_in = (uInt)raw.len;
	zs.next_out = z;
	zs.avail_out = (uInt)zcap;
	CHECK(deflate(&zs, Z_FINISH) == Z_STREAM_END);
	size_t zn = zcap - zs.avail_out;
	deflateEnd(&zs);
	struct lines streamed = { 0 };
	tarn_err_clear(&err);
	CHECK(read_mem(z, zn, "batch-rows=2", &streamed, &err) == TARN_OK);
	CHECK(lines_equal(&got, &streamed));
	lines_free(&streamed);
	free(z);
	tarn_buf_free(&raw);
	lines_free(&got);
}

static void check_schema_file(const char *path, bool recursive_ok)
{
	struct avro_schema *s = NULL;
	struct tarn_err err;
	tarn_err_clear(&err);
	tarn_rc rc = avro_schema_load(path, &s, &err);
	if (rc)
		fprintf(stderr, "%s: %s\n", path, err.msg);
	CHECK(rc == TARN_OK);
	files_seen++;
	if (rc)
		return;
	struct avro_prog *pg = NULL;
	tarn_err_clear(&err);
	rc = avro_prog_build(s->root, NULL, path, &pg, &err);
	if (strstr(path, "interop")) {
		/* Node.children is an array of Node. */
		CHECK(rc == TARN_EUNSUPPORTED);
		CHECK_CONTAINS(err.msg, "recursive");
		CHECK_CONTAINS(err.msg, "org.apache.avro.Node");
		CHECK_CONTAINS(err.msg, "recordField.children.item");
	} else if (!recursive_ok) {
		CHECK(rc == TARN_OK);
	}
	avro_prog_free(pg);
	avro_schema_free(s);
}

static void walk(const char *dir, int depth)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	char **names = NULL;
	int n = 0;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		names = realloc(names, (size_t)(n + 1) * sizeof *names);
		names[n++] = strdup(e->d_name);
	}
	closedir(d);
	qsort(names, (size_t)n, sizeof *names, cmp_str);
	for (int i = 0; i < n; i++) {
		char path[1024];
		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		struct stat st;
		if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
			if (depth < 4)
				walk(path, depth + 1);
		} else if (ends_with(names[i], ".avro")) {
			check_avro_file(dir, names[i]);
		} else if (ends_with(names[i], ".avsc") ||
			   (strcmp(names[i], "schema.json") == 0)) {
			check_schema_file(path, false);
		}
		free(names[i]);
	}
	free(names);
}

TEST(corpus_files)
{
	char dir[1024];
	snprintf(dir, sizeof dir, "%s/data", corpus_dir());
	struct stat st;
	if (stat(dir, &st) != 0) {
		fprintf(stderr, "Avro corpus not found at %s (set AVRO_CORPUS_DIR)\n", corpus_dir());
		CHECK(0);
		return;
	}
	walk(dir, 0);
	snprintf(dir, sizeof dir, "%s/c-tests", corpus_dir());
	walk(dir, 0);
	/* weather x5, syncInMeta, schemas x2, c-tests x4 good ones at least. */
	CHECK(avro_files_read >= 12);
	CHECK(files_seen >= 16);
}

TEST(corpus_schemas_as_reader)
{
	/* Each schemas/X/data.avro read with schemas/X/schema.json as the
	 * reader schema gives the same rows. */
	static const char *const sets[] = { "simple", "withUnion" };
	for (int k = 0; k < 2; k++) {
		char data[1024], opt[1100];
		snprintf(data, sizeof data, "%s/data/schemas/%s/data.avro", corpus_dir(), sets[k]);
		snprintf(opt, sizeof opt, "schema=%s/data/schemas/%s/schema.json", corpus_dir(),
			 sets[k]);
		struct lines a = { 0 }, b = { 0 };
		struct tarn_err err;
		tarn_err_clear(&err);
		CHECK(read_path(data, NULL, &a, &err) == TARN_OK);
		CHECK(read_path(data, opt, &b, &err) == TARN_OK);
		CHECK(a.n == 3);
		CHECK(lines_equal(&a, &b));
		lines_free(&a);
		lines_free(&b);
	}
	struct lines u = { 0 };
	struct tarn_err err;
	tarn_err_clear(&err);
	char data[1024];
	snprintf(data, sizeof data, "%s/data/schemas/withUnion/data.avro", corpus_dir());
	REQUIRE(read_path(data, NULL, &u, &err) == TARN_OK);
	REQUIRE(u.n == 3);
	CHECK_STR(u.v[0], "{\"data1\":{\"member0\":\"textValue\",\"member1\":null},\"data2\":null}");
	CHECK_STR(u.v[1], "{\"data1\":{\"member0\":null,\"member1\":123},\"data2\":{\"d1\":{\"member0\":"
			  "null,\"member1\":null,\"member2\":false}}}");
	lines_free(&u);
	snprintf(data, sizeof data, "%s/c-tests/avro-1237-good.avro", corpus_dir());
	REQUIRE(read_path(data, NULL, &u, &err) == TARN_OK);
	REQUIRE(u.n == 2);
	CHECK_STR(u.v[0], "{\"value\":null}");
	CHECK_STR(u.v[1], "{\"value\":100}");
	lines_free(&u);
}

TEST(corpus_single_object)
{
	char bin[1024], opt[1100];
	snprintf(bin, sizeof bin, "%s/data/messageV1/test_message.bin", corpus_dir());
	snprintf(opt, sizeof opt, "schema=%s/data/messageV1/test_schema.avsc", corpus_dir());
	struct lines l = { 0 };
	struct tarn_err err;
	tarn_err_clear(&err);
	tarn_rc rc = read_path(bin, opt, &l, &err);
	if (rc)
		fprintf(stderr, "%s\n", err.msg);
	REQUIRE(rc == TARN_OK);
	REQUIRE(l.n == 1);
	CHECK_STR(l.v[0], "{\"id\":42,\"name\":\"Bill\",\"tags\":[\"dog_lover\",\"cat_hater\"]}");
	lines_free(&l);
	/* Without the schema option: a usage error saying what to do. */
	tarn_err_clear(&err);
	CHECK(read_path(bin, NULL, &l, &err) == TARN_EUSAGE);
	CHECK_CONTAINS(err.msg, "schema=");
	lines_free(&l);
	/* With a schema of another fingerprint. */
	char other[1100];
	snprintf(other, sizeof other, "schema=%s/data/schemas/simple/schema.json", corpus_dir());
	tarn_err_clear(&err);
	CHECK(read_path(bin, other, &l, &err) == TARN_EDATA);
	CHECK_CONTAINS(err.msg, "fingerprint");
	lines_free(&l);
}

/* schema-tests.txt: "// NNN" blocks with <<INPUT (one line, or lines up to
 * "INPUT"), <<canonical and optionally <<fingerprint. */
TEST(corpus_schema_tests)
{
	char path[1024];
	snprintf(path, sizeof path, "%s/data/schema-tests.txt", corpus_dir());
	struct tarn_buf f;
	tarn_buf_init(&f);
	REQUIRE(read_file(path, &f));
	REQUIRE(tarn_buf_cstr(&f) == TARN_OK);
	int cases = 0, fps = 0;
	char *p = f.data;
	struct tarn_buf input;
	tarn_buf_init(&input);
	while ((p = strstr(p, "\n<<INPUT")) != NULL) {
		p += 8;
		input.len = 0;
		if (*p == '\n') {
			char *end = strstr(p, "\nINPUT\n");
			REQUIRE(end);
			CHECK(tarn_buf_append(&input, p + 1, (size_t)(end - p - 1)) == TARN_OK);
			p = end + 7;
		} else {
			char *nl = strchr(p, '\n');
			REQUIRE(nl);
			CHECK(tarn_buf_append(&input, p + 1, (size_t)(nl - p - 1)) == TARN_OK);
			p = nl + 1;
		}
		REQUIRE(strncmp(p, "<<canonical ", 12) == 0);
		char *nl = strchr(p, '\n');
		REQUIRE(nl);
		char *canon = strndup(p + 12, (size_t)(nl - p - 12));
		p = nl + 1;
		long long fp = 0;
		bool has_fp = strncmp(p, "<<fingerprint ", 14) == 0;
		if (has_fp)
			fp = strtoll(p + 14, NULL, 10);
		struct avro_schema *s = NULL;
		struct tarn_err err;
		tarn_err_clear(&err);
		tarn_rc rc = avro_schema_parse(input.data, input.len, "schema-tests.txt", &s, &err);
		if (rc)
			fprintf(stderr, "case %d: %s\n", cases, err.msg);
		CHECK(rc == TARN_OK);
		if (rc == TARN_OK) {
			struct tarn_buf out;
			tarn_buf_init(&out);
			CHECK(avro_schema_canonical(s->root, &out) == TARN_OK);
			CHECK(tarn_buf_cstr(&out) == TARN_OK);
			CHECK_STR(out.data, canon);
			if (has_fp) {
				CHECK((long long)avro_fingerprint64(out.data, out.len) == fp);
				fps++;
			}
			/* Written back as full JSON, it parses to the same form. */
			struct tarn_buf full;
			tarn_buf_init(&full);
			CHECK(avro_schema_write_json(s->root, &full) == TARN_OK);
			struct avro_schema *s2 = NULL;
			CHECK(avro_schema_parse(full.data, full.len, "again", &s2, &err) == TARN_OK);
			if (s2) {
				struct tarn_buf out2;
				tarn_buf_init(&out2);
				CHECK(avro_schema_canonical(s2->root, &out2) == TARN_OK);
				CHECK(out2.len == out.len && memcmp(out2.data, out.data, out.len) == 0);
				tarn_buf_free(&out2);
			}
			avro_schema_free(s2);
			tarn_buf_free(&full);
			tarn_buf_free(&out);
		}
		avro_schema_free(s);
		free(canon);
		cases++;
	}
	CHECK(cases >= 30);
	CHECK(fps >= 20);
	tarn_buf_free(&input);
	tarn_buf_free(&f);
}

/* ---- 2. round trips ----------------------------------------------------------------------- */

static struct tarn_schema *make_schema(const char *const *names, const char *const *types,
				       const bool *nullable, int n)
{
	struct tarn_schema *s;
	if (tarn_schema_new(n, &s))
		abort();
	struct tarn_err err;
	tarn_err_clear(&err);
	for (int i = 0; i < n; i++) {
		if (tarn_field_set_name(&s->fields[i], names[i], strlen(names[i])) ||
		    tarn_type_parse(types[i], &s->fields[i].type, &err)) {
			fprintf(stderr, "type %s: %s\n", types[i], err.msg);
			abort();
		}
		s->fields[i].nullable = nullable ? nullable[i] : true;
	}
	return s;
}

/* Appends a value derived from k to a (any type), null when k % 5 == 4 and
 * the field allows it. */
static tarn_rc fill(struct tarn_array *a, int64_t k, bool nullable)
{
	const struct tarn_type *t = a->type;
	if (nullable && k % 5 == 4)
		return tarn_array_append_null(a);
	char buf[64];
	switch (t->id) {
	case TARN_T_NULL: return tarn_array_append_null(a);
	case TARN_T_BOOL: return tarn_array_append_bool(a, k % 3 == 0);
	case TARN_T_INT8: return tarn_array_append_int(a, (int8_t)(k * 37));
	case TARN_T_INT16: return tarn_array_append_int(a, (int16_t)(k * 1237));
	case TARN_T_INT32: return tarn_array_append_int(a, (int32_t)(k * 1000003));
	case TARN_T_INT64: return tarn_array_append_int(a, k * 1000000007LL * (k % 2 ? -1 : 1));
	case TARN_T_UINT8: return tarn_array_append_uint(a, (uint8_t)(k * 7));
	case TARN_T_UINT16: return tarn_array_append_uint(a, (uint16_t)(k * 7001));
	case TARN_T_UINT32: return tarn_array_append_uint(a, (uint32_t)(k * 2654435761u));
	case TARN_T_UINT64: return tarn_array_append_uint(a, (uint64_t)k * 0x1234567ull);
	case TARN_T_FLOAT32: return tarn_array_append_double(a, (float)k / 3.0f);
	case TARN_T_FLOAT64: return tarn_array_append_double(a, (double)k * -1.1e100 / 7);
	case TARN_T_DECIMAL128: {
		tarn_i128 lim = 1;
		for (int i = 0; i < t->precision; i++)
			lim *= 10;
		return tarn_array_append_decimal(a, ((tarn_i128)k * 12345678901LL - 7) % lim);
	}
	case TARN_T_STRING: {
		int n = snprintf(buf, sizeof buf, "s%lld-é日", (long long)k);
		return tarn_array_append_bytes(a, buf, (size_t)n % ((size_t)k % 7 + 12));
	}
	case TARN_T_BINARY: {
		for (int i = 0; i < 20; i++)
			buf[i] = (char)(k * 31 + i);
		return tarn_array_append_bytes(a, buf, (size_t)(k % 20));
	}
	case TARN_T_DATE32: return tarn_array_append_int(a, (int32_t)(k * 97 - 5000));
	case TARN_T_TIME64:
		return tarn_array_append_int(a, (k * 3600 + 59) % 86400 *
							tarn_time_unit_per_second((enum tarn_time_unit)t->unit));
	case TARN_T_TIMESTAMP:
		return tarn_array_append_int(a, (k * 86401 - 1000000) *
							tarn_time_unit_per_second((enum tarn_time_unit)t->unit));
	case TARN_T_LIST:
		for (int64_t i = 0; i < k % 4; i++)
			TRY(fill(a->children[0], k + i, t->children[0].nullable));
		return tarn_array_list_end(a, true);
	case TARN_T_MAP: {
		struct tarn_array *e = a->children[0];
		for (int64_t i = 0; i < k % 3; i++) {
			TRY(fill(e->children[0], k * 10 + i, false));
			TRY(fill(e->children[1], k + i, t->children[0].type.children[1].nullable));
			TRY(tarn_array_struct_end(e, true));
		}
		return tarn_array_list_end(a, true);
	}
	case TARN_T_STRUCT:
		for (int i = 0; i < t->n_children; i++)
			TRY(fill(a->children[i], k + i, t->children[i].nullable));
		return tarn_array_struct_end(a, true);
	default: return TARN_EINTERNAL;
	}
}

static struct tarn_batch *make_batch(struct tarn_schema *s, int64_t rows, int64_t first)
{
	struct tarn_batch *b;
	if (tarn_batch_new(s, rows, &b))
		abort();
	for (int64_t r = 0; r < rows; r++)
		for (int c = 0; c < s->n_fields; c++)
			if (fill(b->cols[c], first + r, s->fields[c].nullable))
				abort();
	struct tarn_err err;
	if (tarn_batch_seal(b, &err))
		abort();
	return b;
}

/* Writes batches of s to memory with writer options, returns the bytes. */
static tarn_rc write_mem(struct tarn_schema *s, int n_batches, int64_t rows, const char *wopts,
			 struct tarn_buf *out, struct tarn_err *err)
{
	struct tarn_output *o;
	if (tarn_output_open_mem(&o, err))
		abort();
	struct tarn_opts *opts;
	if (tarn_opts_new(&opts))
		abort();
	if (wopts) {
		char *copy = strdup(wopts);
		for (char *tok = strtok(copy, ";"); tok; tok = strtok(NULL, ";"))
			if (tarn_opts_parse(opts, tok, err))
				abort();
		free(copy);
	}
	struct tarn_writer *w;
	tarn_rc rc = tarn_writer_open_output(o, &tarn_format_avro, s, opts, &w, err);
	tarn_opts_free(opts);
	if (rc)
		return rc;
	for (int i = 0; i < n_batches && rc == TARN_OK; i++) {
		struct tarn_batch *b = make_batch(s, rows, i * rows);
		rc = tarn_writer_write(w, b, err);
		tarn_batch_free(b);
	}
	if (rc == TARN_OK)
		rc = tarn_writer_finish(w, err);
	if (rc == TARN_OK) {
		size_t n;
		const uint8_t *p = tarn_output_mem(w->out, &n);
		out->len = 0;
		if (tarn_buf_append(out, p, n))
			abort();
	}
	tarn_writer_close(w);
	return rc;
}

/* The rows of batches as lines (what the reader must give back). */
static void expected_lines(struct tarn_schema *s, int n_batches, int64_t rows, struct lines *out)
{
	struct tarn_buf line;
	tarn_buf_init(&line);
	for (int i = 0; i < n_batches; i++) {
		struct tarn_batch *b = make_batch(s, rows, i * rows);
		for (int64_t r = 0; r < b->n_rows; r++) {
			row_json(b, r, &line);
			lines_add(out, line.data, line.len);
		}
		tarn_batch_free(b);
	}
	tarn_buf_free(&line);
}

static const char *const all_names[] = {
	"b", "i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64", "f32", "f64", "dec", "big_dec",
	"s", "bin", "date", "t_s", "t_ms", "t_us", "ts_s", "ts_ms", "ts_us", "ts_ns", "lts_ms",
	"lts_ns", "list", "nested", "st", "m", "m_int", "dur", "nul", "bad name!", "1st",
};
static const char *const all_types[] = {
	"bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "float32",
	"float64", "decimal(12,3)", "decimal(38,10)", "string", "binary", "date32", "time64[s]",
	"time64[ms]", "time64[us]", "timestamp[s, UTC]", "timestamp[ms, UTC]", "timestamp[us, UTC]",
	"timestamp[ns, UTC]", "timestamp[ms]", "timestamp[ns]", "list<int64>",
	"list<list<string>>", "struct<a: int32, b: list<struct<c: string, d: float64>>>",
	"map<string, float64>", "map<int32, string>",
	"struct<months: uint32, days: uint32, millis: uint32>", "null", "int32", "string",
};
#define N_ALL (int)(sizeof all_names / sizeof all_names[0])

TEST(roundtrip_all_types_all_codecs)
{
	struct tarn_schema *s = make_schema(all_names, all_types, NULL, N_ALL);
	/* The duration struct keeps non-null members. */
	for (int i = 0; i < 3; i++)
		s->fields[30].type.children[i].nullable = false;
	/* Expected rows under the names the writer makes valid Avro names. */
	struct tarn_schema *renamed;
	REQUIRE(tarn_schema_copy(s, &renamed) == TARN_OK);
	CHECK(tarn_field_set_name(&renamed->fields[32], "bad_name_", 9) == TARN_OK);
	CHECK(tarn_field_set_name(&renamed->fields[33], "_1st", 4) == TARN_OK);
	struct lines want = { 0 };
	expected_lines(renamed, 3, 500, &want);
	tarn_schema_unref(renamed);
	static const char *const codecs[] = { "null", "deflate", "snappy", "zstandard", "bzip2",
					      "xz" };
	for (int c = 0; c < 6; c++) {
		char opts[200];
		snprintf(opts, sizeof opts, "compression=%s;block-size=%s", codecs[c],
			 c % 2 ? "2K" : "1M");
		struct tarn_buf file;
		tarn_buf_init(&file);
		struct tarn_err err;
		tarn_err_clear(&err);
		tarn_rc rc = write_mem(s, 3, 500, opts, &file, &err);
		if (rc)
			fprintf(stderr, "%s: %s\n", codecs[c], err.msg);
		REQUIRE(rc == TARN_OK);
		struct lines got = { 0 };
		rc = read_mem(file.data, file.len, c == 2 ? "batch-rows=7" : NULL, &got, &err);
		if (rc)
			fprintf(stderr, "%s: %s\n", codecs[c], err.msg);
		CHECK(rc == TARN_OK);
		if (!lines_equal(&want, &got))
			fprintf(stderr, "codec %s differs\n", codecs[c]);
		CHECK(lines_equal(&want, &got));
		lines_free(&got);
		tarn_buf_free(&file);
	}
	/* The schema read back: the Avro names were made valid, the types
	 * the ones of the table in docs/formats/avro.md. */
	struct tarn_buf file;
	tarn_buf_init(&file);
	struct tarn_err err;
	tarn_err_clear(&err);
	REQUIRE(write_mem(s, 1, 10, NULL, &file, &err) == TARN_OK);
	struct tarn_input *in;
	REQUIRE(tarn_input_open_mem(file.data, file.len, "m.avro", &in, &err) == TARN_OK);
	struct tarn_reader *r;
	REQUIRE(tarn_reader_open_input(in, &tarn_format_avro, NULL, &r, &err) == TARN_OK);
	const struct tarn_schema *rs = tarn_reader_schema(r);
	REQUIRE(rs->n_fields == N_ALL);
	static const char *const back[N_ALL] = {
		"bool", "int32", "int32", "int32", "int64", "int32", "int32", "int64", "int64",
		"float32", "float64", "decimal(12,3)", "decimal(38,10)", "string", "binary", "date32",
		"time64[ms]", "time64[ms]", "time64[us]", "timestamp[ms, UTC]", "timestamp[ms, UTC]",
		"timestamp[us, UTC]", "timestamp[ns, UTC]", "timestamp[ms]", "timestamp[ns]",
		"list<int64>", "list<list<string>>",
		"struct<a: int32, b: list<struct<c: string, d: float64>>>", "map<string, float64>",
		"list<struct<key: int32, value: string>>",
		"struct<months: uint32, days: uint32, millis: uint32>", "null", "int32", "string",
	};
	for (int i = 0; i < N_ALL; i++) {
		char t[200];
		tarn_schema_field_type_text(rs, i, t, sizeof t);
		CHECK_STR(t, back[i]);
	}
	CHECK_STR(rs->fields[32].name, "bad_name_");
	CHECK_STR(rs->fields[33].name, "_1st");
	tarn_reader_close(r);
	tarn_buf_free(&file);
	lines_free(&want);
	tarn_schema_unref(s);
}

TEST(roundtrip_empty_and_many_batches)
{
	static const char *const n[] = { "x", "y" };
	static const char *const t[] = { "int64", "string" };
	struct tarn_schema *s = make_schema(n, t, NULL, 2);
	struct tarn_buf file;
	tarn_buf_init(&file);
	struct tarn_err err;
	tarn_err_clear(&err);
	/* No rows: a header only, which reads as zero rows of the schema. */
	REQUIRE(write_mem(s, 0, 0, NULL, &file, &err) == TARN_OK);
	struct lines got = { 0 };
	CHECK(read_mem(file.data, file.len, NULL, &got, &err) == TARN_OK);
	CHECK(got.n == 0);
	lines_free(&got);
	/* Many small batches make full blocks; many blocks make batches of
	 * at most batch-rows. */
	struct lines want = { 0 };
	expected_lines(s, 40, 77, &want);
	REQUIRE(write_mem(s, 40, 77, "block-size=1K;compression=snappy", &file, &err) == TARN_OK);
	CHECK(read_mem(file.data, file.len, "batch-rows=100", &got, &err) == TARN_OK);
	CHECK(lines_equal(&want, &got));
	lines_free(&got);
	CHECK(read_mem(file.data, file.len, "threads=1", &got, &err) == TARN_OK);
	CHECK(lines_equal(&want, &got));
	lines_free(&got);
	lines_free(&want);
	tarn_buf_free(&file);
	tarn_schema_unref(s);
}

/* ---- 3. schema resolution ----------------------------------------------------------------- */

/* Writes rows (JSON-ish text is not parsed: tarn batches of the writer
 * schema's tarn mapping filled by fill()) with writer schema W, then reads
 * them with reader schema R; returns the reader's result and lines. */
static tarn_rc resolve_case(const char *w_json, const char *r_json, struct tarn_schema *cols,
			    int64_t rows, struct lines *out, struct tarn_err *err)
{
	const char *wpath = wsc_path, *rpath = rsc_path;
	if (write_tmp(wpath, w_json, strlen(w_json)) || write_tmp(rpath, r_json, strlen(r_json)))
		abort();
	struct tarn_buf file;
	tarn_buf_init(&file);
	tarn_rc rc = write_mem(cols, 1, rows, wsc_opt, &file, err);
	if (rc == TARN_OK)
		rc = read_mem(file.data, file.len, rsc_opt, out, err);
	tarn_buf_free(&file);
	return rc;
}

TEST(resolution_defaults_of_every_type)
{
	static const char *const n[] = { "id" };
	static const char *const t[] = { "int32" };
	static const bool nn[] = { false };
	struct tarn_schema *s = make_schema(n, t, nn, 1);
	const char *w = "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"id\",\"type\":\"int\"}]}";
	const char *r =
		"{\"type\":\"record\",\"name\":\"R\",\"fields\":["
		"{\"name\":\"id\",\"type\":\"long\"},"
		"{\"name\":\"n\",\"type\":\"null\",\"default\":null},"
		"{\"name\":\"b\",\"type\":\"boolean\",\"default\":true},"
		"{\"name\":\"i\",\"type\":\"int\",\"default\":-5},"
		"{\"name\":\"l\",\"type\":\"long\",\"default\":9007199254740993},"
		"{\"name\":\"f\",\"type\":\"float\",\"default\":1.5},"
		"{\"name\":\"d\",\"type\":\"double\",\"default\":\"NaN\"},"
		"{\"name\":\"by\",\"type\":\"bytes\",\"default\":\"\\u00ff\\u0000a\"},"
		"{\"name\":\"s\",\"type\":\"string\",\"default\":\"h\\u00e9\"},"
		"{\"name\":\"e\",\"type\":{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\",\"B\"]},"
		"\"default\":\"B\"},"
		"{\"name\":\"fx\",\"type\":{\"type\":\"fixed\",\"name\":\"F\",\"size\":2},\"default\":"
		"\"\\u0001\\u0002\"},"
		"{\"name\":\"a\",\"type\":{\"type\":\"array\",\"items\":[\"null\",\"int\"]},\"default\":[1,"
		"null,3]},"
		"{\"name\":\"m\",\"type\":{\"type\":\"map\",\"values\":\"string\"},\"default\":{\"k\":"
		"\"v\"}},"
		"{\"name\":\"rec\",\"type\":{\"type\":\"record\",\"name\":\"In\",\"fields\":[{\"name\":"
		"\"x\",\"type\":\"int\"},{\"name\":\"y\",\"type\":\"string\",\"default\":\"dy\"}]},"
		"\"default\":{\"x\":7}},"
		"{\"name\":\"u1\",\"type\":[\"null\",\"string\"],\"default\":null},"
		"{\"name\":\"u2\",\"type\":[\"string\",\"null\"],\"default\":\"first\"},"
		"{\"name\":\"u3\",\"type\":[\"int\",\"string\"],\"default\":4},"
		"{\"name\":\"dec\",\"type\":{\"type\":\"bytes\",\"logicalType\":\"decimal\","
		"\"precision\":5,\"scale\":2},\"default\":\"\\u0004\\u00d2\"},"
		"{\"name\":\"day\",\"type\":{\"type\":\"int\",\"logicalType\":\"date\"},\"default\":1},"
		"{\"name\":\"ts\",\"type\":{\"type\":\"long\",\"logicalType\":\"timestamp-millis\"},"
		"\"default\":1500}"
		"]}";
	struct lines l = { 0 };
	struct tarn_err err;
	tarn_err_clear(&err);
	tarn_rc rc = resolve_case(w, r, s, 2, &l, &err);
	if (rc)
		fprintf(stderr, "%s\n", err.msg);
	REQUIRE(rc == TARN_OK);
	REQUIRE(l.n == 2);
	CHECK_STR(l.v[1],
		  "{\"id\":1000003,\"n\":null,\"b\":true,\"i\":-5,\"l\":9007199254740993,\"f\":1.5,"
		  "\"d\":null,\"by\":\"/wBh\",\"s\":\"hé\",\"e\":\"B\",\"fx\":\"AQI=\",\"a\":[1,null,3],"
		  "\"m\":{\"k\":\"v\"},\"rec\":{\"x\":7,\"y\":\"dy\"},\"u1\":null,\"u2\":\"first\","
		  "\"u3\":{\"member0\":4,\"member1\":null},\"dec\":12.34,\"day\":\"1970-01-02\","
		  "\"ts\":\"1970-01-01 00:00:01.5Z\"}");
	lines_free(&l);
	/* A reader field without a default the writer lacks: named. */
	const char *r2 = "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"id\",\"type\":"
			 "\"int\"},{\"name\":\"extra\",\"type\":{\"type\":\"record\",\"name\":\"X\","
			 "\"fields\":[{\"name\":\"deep\",\"type\":\"int\"}]}}]}";
	tarn_err_clear(&err);
	CHECK(resolve_case(w, r2, s, 2, &l, &err) == TARN_EDATA);
	CHECK_CONTAINS(err.msg, "field 'extra'");
	CHECK_CONTAINS(err.msg, "no default");
	lines_free(&l);
	/* A default of the wrong type. */
	const char *r3 = "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"id\",\"type\":"
			 "\"int\"},{\"name\":\"k\",\"type\":\"int\",\"default\":\"seven\"}]}";
	tarn_err_clear(&err);
	CHECK(resolve_case(w, r3, s, 2, &l, &err) == TARN_EDATA);
	CHECK_CONTAINS(err.msg, "field 'k'");
	CHECK_CONTAINS(err.msg, "default");
	lines_free(&l);
	tarn_schema_unref(s);
}

TEST(resolution_removed_promoted_aliases)
{
	static const char *const n[] = { "a", "gone", "b", "c", "s", "by", "old_name", "sub" };
	static const char *const t[] = { "int32", "list<map<string, string>>", "int32", "int64",
					 "string", "binary", "float32", "struct<p: int32, q: float32>" };
	static const bool nn[] = { false, false, false, false, false, false, false, false };
	struct tarn_schema *s = make_schema(n, t, nn, 8);
	const char *w =
		"{\"type\":\"record\",\"name\":\"Old\",\"namespace\":\"ns\",\"fields\":["
		"{\"name\":\"a\",\"type\":\"int\"},"
		"{\"name\":\"gone\",\"type\":{\"type\":\"array\",\"items\":{\"type\":\"map\","
		"\"values\":\"string\"}}},"
		"{\"name\":\"b\",\"type\":\"int\"},{\"name\":\"c\",\"type\":\"long\"},"
		"{\"name\":\"s\",\"type\":\"string\"},{\"name\":\"by\",\"type\":\"bytes\"},"
		"{\"name\":\"old_name\",\"type\":\"float\"},"
		"{\"name\":\"sub\",\"type\":{\"type\":\"record\",\"name\":\"Sub\",\"fields\":["
		"{\"name\":\"p\",\"type\":\"int\"},{\"name\":\"q\",\"type\":\"float\"}]}}]}";
	const char *r =
		"{\"type\":\"record\",\"name\":\"New\",\"aliases\":[\"ns.Old\"],\"fields\":["
		"{\"name\":\"new_name\",\"aliases\":[\"old_name\"],\"type\":\"double\"},"
		"{\"name\":\"sub\",\"type\":{\"type\":\"record\",\"name\":\"Sub2\",\"aliases\":[\"Sub\"],"
		"\"fields\":[{\"name\":\"qq\",\"aliases\":[\"q\"],\"type\":\"double\"}]}},"
		"{\"name\":\"c\",\"type\":\"float\"},{\"name\":\"b\",\"type\":\"double\"},"
		"{\"name\":\"a\",\"type\":\"float\"},"
		"{\"name\":\"s\",\"type\":\"bytes\"},{\"name\":\"by\",\"type\":\"string\"}]}";
	struct lines l = { 0 };
	struct tarn_err err;
	tarn_err_clear(&err);
	tarn_rc rc = resolve_case(w, r, s, 3, &l, &err);
	if (rc)
		fprintf(stderr, "%s\n", err.msg);
	REQUIRE(rc == TARN_OK);
	REQUIRE(l.n == 3);
	/* row 2 of fill(): a=2000006, b=2000006, c=2000000014, s="s2-é日" cut to
	 * 12 bytes, by=bytes 62,63 (k=2: 2 bytes), old_name=2/3 as float. */
	CHECK_STR(l.v[2], "{\"new_name\":0.6666666865348816,\"sub\":{\"qq\":1.0},"
			  "\"c\":2000000000.0,\"b\":2000006.0,\"a\":2000006.0,"
			  "\"s\":\"czItw6nml6U=\",\"by\":\">?\"}");
	lines_free(&l);
	/* An incompatible field names its path. */
	const char *bad = "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"sub\",\"type\":"
			  "{\"type\":\"record\",\"name\":\"Sub\",\"fields\":[{\"name\":\"p\","
			  "\"type\":\"string\"}]}}]}";
	tarn_err_clear(&err);
	CHECK(resolve_case(w, bad, s, 3, &l, &err) == TARN_EDATA);
	CHECK_CONTAINS(err.msg, "field 'sub.p'");
	CHECK_CONTAINS(err.msg, "int cannot be read as string");
	lines_free(&l);
	/* Demotion is not a promotion. */
	const char *demote = "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"c\","
			     "\"type\":\"int\"}]}";
	tarn_err_clear(&err);
	CHECK(resolve_case(w, demote, s, 3, &l, &err) == TARN_EDATA);
	CHECK_CONTAINS(err.msg, "field 'c': the file's long cannot be read as int");
	lines_free(&l);
	tarn_schema_unref(s);
}

TEST(resolution_enums_and_unions)
{
	static const char *const n[] = { "e", "u", "plain", "nu", "g" };
	static const char *const t[] = { "string", "struct<member0: int32, member1: string>",
					 "int32", "int64", "struct<member0: int32, member1: string>" };
	static const bool nn[] = { false, true, false, true, true };
	struct tarn_schema *s = make_schema(n, t, nn, 5);
	/* fill() sets every member of a struct; make the union columns valid:
	 * write through a schema and let the writer pick... instead build the
	 * rows by hand below. */
	tarn_schema_unref(s);
	const char *w = "{\"type\":\"record\",\"name\":\"R\",\"fields\":["
			"{\"name\":\"e\",\"type\":{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"X\","
			"\"Y\",\"Q\"]}},"
			"{\"name\":\"u\",\"type\":[\"null\",\"int\",\"string\"]},"
			"{\"name\":\"plain\",\"type\":\"int\"},"
			"{\"name\":\"nu\",\"type\":[\"null\",\"long\"]}]}";
	const char *r = "{\"type\":\"record\",\"name\":\"R\",\"fields\":["
			"{\"name\":\"e\",\"type\":{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"Z\","
			"\"Y\",\"X\"],\"default\":\"Z\"}},"
			"{\"name\":\"u\",\"type\":[\"null\",\"string\",\"long\"]},"
			"{\"name\":\"plain\",\"type\":[\"null\",\"string\",\"long\"]},"
			"{\"name\":\"nu\",\"type\":\"double\"}]}";
	/* Rows by hand: e, u (null / int / string), plain, nu (value / null). */
	static const char *const cn[] = { "e", "u", "plain", "nu" };
	static const char *const ct[] = { "string", "struct<member0: int32, member1: string>",
					  "int32", "int64" };
	static const bool cnn[] = { false, true, false, true };
	s = make_schema(cn, ct, cnn, 4);
	struct tarn_batch *b;
	REQUIRE(tarn_batch_new(s, 3, &b) == TARN_OK);
	static const char *const syms[] = { "X", "Y", "Q" };
	for (int i = 0; i < 3; i++) {
		CHECK(tarn_array_append_bytes(b->cols[0], syms[i], 1) == TARN_OK);
		CHECK(tarn_array_append_int(b->cols[2], i * 10) == TARN_OK);
	}
	CHECK(tarn_array_append_null(b->cols[1]) == TARN_OK);
	CHECK(tarn_array_append_int(b->cols[1]->children[0], 5) == TARN_OK);
	CHECK(tarn_array_append_null(b->cols[1]->children[1]) == TARN_OK);
	CHECK(tarn_array_struct_end(b->cols[1], true) == TARN_OK);
	CHECK(tarn_array_append_null(b->cols[1]->children[0]) == TARN_OK);
	CHECK(tarn_array_append_bytes(b->cols[1]->children[1], "str", 3) == TARN_OK);
	CHECK(tarn_array_struct_end(b->cols[1], true) == TARN_OK);
	CHECK(tarn_array_append_int(b->cols[3], 77) == TARN_OK);
	CHECK(tarn_array_append_int(b->cols[3], 78) == TARN_OK);
	CHECK(tarn_array_append_int(b->cols[3], 79) == TARN_OK);
	struct tarn_err err;
	tarn_err_clear(&err);
	REQUIRE(tarn_batch_seal(b, &err) == TARN_OK);
	REQUIRE(write_tmp(wsc_path, w, strlen(w)) == TARN_OK);
	REQUIRE(write_tmp(rsc_path, r, strlen(r)) == TARN_OK);
	struct tarn_output *o;
	REQUIRE(tarn_output_open_mem(&o, &err) == TARN_OK);
	struct tarn_opts *opts;
	REQUIRE(tarn_opts_new(&opts) == TARN_OK);
	REQUIRE(tarn_opts_set(opts, "schema", wsc_path) == TARN_OK);
	struct tarn_writer *wr;
	tarn_rc rc = tarn_writer_open_output(o, &tarn_format_avro, s, opts, &wr, &err);
	tarn_opts_free(opts);
	if (rc)
		fprintf(stderr, "%s\n", err.msg);
	REQUIRE(rc == TARN_OK);
	CHECK(tarn_writer_write(wr, b, &err) == TARN_OK);
	CHECK(tarn_writer_finish(wr, &err) == TARN_OK);
	size_t fn;
	const uint8_t *fp = tarn_output_mem(wr->out, &fn);
	struct lines l = { 0 };
	rc = read_mem(fp, fn, rsc_opt, &l, &err);
	if (rc)
		fprintf(stderr, "%s\n", err.msg);
	CHECK(rc == TARN_OK);
	REQUIRE(l.n == 3);
	/* Q is not a reader symbol: the reader's default Z. int 5 → the
	 * reader union's long; plain int → the reader union's long. */
	CHECK_STR(l.v[0], "{\"e\":\"X\",\"u\":null,\"plain\":{\"member0\":null,\"member1\":0},"
			  "\"nu\":77.0}");
	CHECK_STR(l.v[1], "{\"e\":\"Y\",\"u\":{\"member0\":null,\"member1\":5},"
			  "\"plain\":{\"member0\":null,\"member1\":10},\"nu\":78.0}");
	CHECK_STR(l.v[2], "{\"e\":\"Z\",\"u\":{\"member0\":\"str\",\"member1\":null},"
			  "\"plain\":{\"member0\":null,\"member1\":20},\"nu\":79.0}");
	lines_free(&l);
	/* Without the enum default, symbol Q fails at its row, naming it. */
	const char *r2 = "{\"type\":\"record\",\"name\":\"R\",\"fields\":["
			 "{\"name\":\"e\",\"type\":{\"type\":\"enum\",\"name\":\"E\",\"symbols\":"
			 "[\"X\",\"Y\"]}}]}";
	REQUIRE(write_tmp(rsc_path, r2, strlen(r2)) == TARN_OK);
	tarn_err_clear(&err);
	CHECK(read_mem(fp, fn, rsc_opt, &l, &err) == TARN_EDATA);
	CHECK_CONTAINS(err.msg, "object 2");
	CHECK_CONTAINS(err.msg, "field 'e'");
	CHECK_CONTAINS(err.msg, "'Q'");
	CHECK(l.n == 0); /* the batch with the bad row is not handed out */
	lines_free(&l);
	/* A writer union branch the reader cannot take fails only in the rows
	 * that use it: u as int fails at row 1 (the null row 0 is fine). */
	const char *r3 = "{\"type\":\"record\",\"name\":\"R\",\"fields\":["
			 "{\"name\":\"u\",\"type\":[\"null\",\"string\"]}]}";
	REQUIRE(write_tmp(rsc_path, r3, strlen(r3)) == TARN_OK);
	tarn_err_clear(&err);
	CHECK(read_mem(fp, fn, rsc_opt_b1, &l, &err) ==
	      TARN_EDATA);
	CHECK(l.n == 1);
	CHECK_CONTAINS(err.msg, "object 1");
	CHECK_CONTAINS(err.msg, "field 'u'");
	CHECK_CONTAINS(err.msg, "int matches no branch");
	lines_free(&l);
	/* No branch readable at all: refused at open. */
	const char *r4 = "{\"type\":\"record\",\"name\":\"R\",\"fields\":["
			 "{\"name\":\"u\",\"type\":\"boolean\"}]}";
	REQUIRE(write_tmp(rsc_path, r4, strlen(r4)) == TARN_OK);
	tarn_err_clear(&err);
	CHECK(read_mem(fp, fn, rsc_opt, &l, &err) == TARN_EDATA);
	CHECK_CONTAINS(err.msg, "field 'u'");
	lines_free(&l);
	tarn_writer_close(wr);
	tarn_batch_free(b);
	tarn_schema_unref(s);
}

/* ---- 4. writing with a schema ------------------------------------------------------------ */

TEST(write_with_schema)
{
	static const char *const n[] = { "id", "suit", "md5", "amount", "uid", "at", "opt", "extra_in_schema_not" };
	static const char *const t[] = { "int64", "string", "binary", "decimal(10,2)", "string",
					 "timestamp[us, UTC]", "int32", "int32" };
	static const bool nn[] = { false, false, false, false, false, false, true, false };
	struct tarn_schema *s = make_schema(n, t, nn, 7);
	const char *w =
		"{\"type\":\"record\",\"name\":\"W\",\"namespace\":\"my.ns\",\"fields\":["
		"{\"name\":\"id\",\"type\":\"int\"},"
		"{\"name\":\"suit\",\"type\":{\"type\":\"enum\",\"name\":\"Suit\",\"symbols\":[\"A\","
		"\"B\"]}},"
		"{\"name\":\"md5\",\"type\":{\"type\":\"fixed\",\"name\":\"M\",\"size\":3}},"
		"{\"name\":\"amount\",\"type\":{\"type\":\"fixed\",\"name\":\"D\",\"size\":8,"
		"\"logicalType\":\"decimal\",\"precision\":12,\"scale\":4}},"
		"{\"name\":\"uid\",\"type\":{\"type\":\"fixed\",\"name\":\"U\",\"size\":16,"
		"\"logicalType\":\"uuid\"}},"
		"{\"name\":\"at\",\"type\":{\"type\":\"long\",\"logicalType\":\"timestamp-millis\"}},"
		"{\"name\":\"opt\",\"type\":[\"null\",\"long\"]},"
		"{\"name\":\"added\",\"type\":\"string\",\"default\":\"dflt\"}]}";
	REQUIRE(write_tmp(wsc_path, w, strlen(w)) == TARN_OK);
	struct tarn_batch *b;
	REQUIRE(tarn_batch_new(s, 2, &b) == TARN_OK);
	static const char *const uu[] = { "0123456789abcdef0123456789ABCDEF",
					  "f81d4fae-7dec-11d0-a765-00a0c91e6bf6" };
	for (int i = 0; i < 2; i++) {
		CHECK(tarn_array_append_int(b->cols[0], 100 + i) == TARN_OK);
		CHECK(tarn_array_append_bytes(b->cols[1], i ? "B" : "A", 1) == TARN_OK);
		CHECK(tarn_array_append_bytes(b->cols[2], "xyz", 3) == TARN_OK);
		CHECK(tarn_array_append_decimal(b->cols[3], i ? -12345 : 99) == TARN_OK);
		CHECK(tarn_array_append_bytes(b->cols[4], uu[i], strlen(uu[i])) == TARN_OK);
		CHECK(tarn_array_append_int(b->cols[5], 1500000 + i * 1000) == TARN_OK);
		CHECK((i ? tarn_array_append_null(b->cols[6]) : tarn_array_append_int(b->cols[6], 5)) ==
		      TARN_OK);
	}
	struct tarn_err err;
	tarn_err_clear(&err);
	REQUIRE(tarn_batch_seal(b, &err) == TARN_OK);
	struct tarn_output *o;
	REQUIRE(tarn_output_open_mem(&o, &err) == TARN_OK);
	struct tarn_opts *opts;
	REQUIRE(tarn_opts_new(&opts) == TARN_OK);
	REQUIRE(tarn_opts_set(opts, "schema", wsc_path) == TARN_OK);
	struct tarn_writer *wr;
	tarn_rc rc = tarn_writer_open_output(o, &tarn_format_avro, s, opts, &wr, &err);
	if (rc)
		fprintf(stderr, "%s\n", err.msg);
	REQUIRE(rc == TARN_OK);
	rc = tarn_writer_write(wr, b, &err);
	if (rc)
		fprintf(stderr, "%s\n", err.msg);
	CHECK(rc == TARN_OK);
	CHECK(tarn_writer_finish(wr, &err) == TARN_OK);
	size_t fn;
	const uint8_t *fp = tarn_output_mem(wr->out, &fn);
	/* The header carries the given schema's names. */
	CHECK(memmem(fp, fn, "my.ns.Suit", 10) != NULL);
	struct lines l = { 0 };
	CHECK(read_mem(fp, fn, NULL, &l, &err) == TARN_OK);
	REQUIRE(l.n == 2);
	CHECK_STR(l.v[0], "{\"id\":100,\"suit\":\"A\",\"md5\":\"eHl6\",\"amount\":0.9900,"
			  "\"uid\":\"01234567-89ab-cdef-0123-456789abcdef\","
			  "\"at\":\"1970-01-01 00:00:01.5Z\",\"opt\":5,\"added\":\"dflt\"}");
	CHECK_STR(l.v[1], "{\"id\":101,\"suit\":\"B\",\"md5\":\"eHl6\",\"amount\":-123.4500,"
			  "\"uid\":\"f81d4fae-7dec-11d0-a765-00a0c91e6bf6\","
			  "\"at\":\"1970-01-01 00:00:01.501Z\",\"opt\":null,\"added\":\"dflt\"}");
	lines_free(&l);
	tarn_writer_close(wr);
	tarn_opts_free(opts);

	/* Per-value errors name the row and column. */
	struct {
		int col;
		const char *value;
		const char *msg;
	} bad[] = {
		{ 1, "C", "'C' is not a symbol of enum 'my.ns.Suit'" },
		{ 2, "toolong", "length differs from the fixed size" },
		{ 4, "not-a-uuid", "not a UUID" },
	};
	for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
		struct tarn_batch *b2;
		REQUIRE(tarn_batch_new(s, 1, &b2) == TARN_OK);
		for (int c = 0; c < 7; c++) {
			struct tarn_array *a = b2->cols[c];
			if (c == bad[k].col)
				CHECK(tarn_array_append_bytes(a, bad[k].value, strlen(bad[k].value)) ==
				      TARN_OK);
			else
				CHECK(tarn_array_append_from(a, b->cols[c], 0) == TARN_OK);
		}
		REQUIRE(tarn_batch_seal(b2, &err) == TARN_OK);
		REQUIRE(tarn_output_open_mem(&o, &err) == TARN_OK);
		REQUIRE(tarn_opts_new(&opts) == TARN_OK);
		REQUIRE(tarn_opts_set(opts, "schema", wsc_path) == TARN_OK);
		REQUIRE(tarn_writer_open_output(o, &tarn_format_avro, s, opts, &wr, &err) == TARN_OK);
		tarn_err_clear(&err);
		CHECK(tarn_writer_write(wr, b2, &err) == TARN_EDATA);
		CHECK_CONTAINS(err.msg, "row 0");
		CHECK_CONTAINS(err.msg, bad[k].msg);
		tarn_writer_close(wr);
		tarn_opts_free(opts);
		tarn_batch_free(b2);
	}
	/* int64 beyond int32 into an int field. */
	{
		struct tarn_batch *b2;
		REQUIRE(tarn_batch_new(s, 1, &b2) == TARN_OK);
		for (int c = 0; c < 7; c++)
			CHECK((c == 0 ? tarn_array_append_int(b2->cols[0], 1LL << 40)
				      : tarn_array_append_from(b2->cols[c], b->cols[c], 0)) == TARN_OK);
		REQUIRE(tarn_batch_seal(b2, &err) == TARN_OK);
		REQUIRE(tarn_output_open_mem(&o, &err) == TARN_OK);
		REQUIRE(tarn_opts_new(&opts) == TARN_OK);
		REQUIRE(tarn_opts_set(opts, "schema", wsc_path) == TARN_OK);
		REQUIRE(tarn_writer_open_output(o, &tarn_format_avro, s, opts, &wr, &err) == TARN_OK);
		tarn_err_clear(&err);
		CHECK(tarn_writer_write(wr, b2, &err) == TARN_EDATA);
		CHECK_CONTAINS(err.msg, "column 'id'");
		CHECK_CONTAINS(err.msg, "does not fit Avro int");
		tarn_writer_close(wr);
		tarn_opts_free(opts);
		tarn_batch_free(b2);
	}
	/* Schema-level mismatches at open: a column the schema lacks, a type
	 * that cannot be converted. */
	struct tarn_schema *s8 = make_schema(n, t, nn, 8);
	REQUIRE(tarn_output_open_mem(&o, &err) == TARN_OK);
	REQUIRE(tarn_opts_new(&opts) == TARN_OK);
	REQUIRE(tarn_opts_set(opts, "schema", wsc_path) == TARN_OK);
	tarn_err_clear(&err);
	CHECK(tarn_writer_open_output(o, &tarn_format_avro, s8, opts, &wr, &err) == TARN_EDATA);
	CHECK_CONTAINS(err.msg, "column 'extra_in_schema_not' is not a field");
	tarn_opts_free(opts);
	tarn_schema_unref(s8);
	static const char *const n2[] = { "id" };
	static const char *const t2[] = { "list<int32>" };
	struct tarn_schema *s2 = make_schema(n2, t2, nn, 1);
	REQUIRE(tarn_output_open_mem(&o, &err) == TARN_OK);
	REQUIRE(tarn_opts_new(&opts) == TARN_OK);
	REQUIRE(tarn_opts_set(opts, "schema", wsc_path) == TARN_OK);
	tarn_err_clear(&err);
	CHECK(tarn_writer_open_output(o, &tarn_format_avro, s2, opts, &wr, &err) == TARN_EDATA);
	CHECK_CONTAINS(err.msg, "column 'id' of type list<int32> cannot be written as int");
	tarn_opts_free(opts);
	tarn_schema_unref(s2);
	tarn_batch_free(b);
	tarn_schema_unref(s);
}

TEST(writer_options)
{
	static const char *const n[] = { "x" };
	static const char *const t[] = { "int64" };
	struct tarn_schema *s = make_schema(n, t, NULL, 1);
	struct tarn_buf f;
	tarn_buf_init(&f);
	struct tarn_err err;
	tarn_err_clear(&err);
	CHECK(write_mem(s, 1, 3, "compression=lz4", &f, &err) == TARN_EUSAGE);
	CHECK_CONTAINS(err.msg, "not an Avro codec");
	tarn_err_clear(&err);
	CHECK(write_mem(s, 1, 3, "compression=zstd;compression-level=30", &f, &err) == TARN_EUSAGE);
	tarn_err_clear(&err);
	CHECK(write_mem(s, 1, 3, "block-size=1x", &f, &err) == TARN_EUSAGE);
	tarn_err_clear(&err);
	CHECK(write_mem(s, 1, 3, "record-name=bad-name", &f, &err) == TARN_EUSAGE);
	tarn_err_clear(&err);
	REQUIRE(write_mem(s, 1, 3, "record-name=org.example.Thing;compression=none", &f, &err) ==
		TARN_OK);
	CHECK(memmem(f.data, f.len, "\"name\":\"org.example.Thing\"", 26) != NULL);
	CHECK(memmem(f.data, f.len, "avro.codec\x08null", 15) != NULL);
	tarn_buf_free(&f);
	tarn_schema_unref(s);
}

/* ---- 5. corrupt input -------------------------------------------------------------------- */

/* A small file: header, then 2 blocks of int64 rows (null codec). */
static void small_file(struct tarn_buf *f, const char *opts)
{
	static const char *const n[] = { "x", "s" };
	static const char *const t[] = { "int64", "string" };
	static const bool nn[] = { false, false };
	struct tarn_schema *s = make_schema(n, t, nn, 2);
	struct tarn_err err;
	tarn_err_clear(&err);
	if (write_mem(s, 2, 5, opts, f, &err))
		abort();
	tarn_schema_unref(s);
}

static size_t header_len(const struct tarn_buf *f)
{
	/* The sync marker is the last 16 bytes; the header ends at its first
	 * occurrence. */
	const uint8_t *sync = (const uint8_t *)f->data + f->len - 16;
	const uint8_t *p = memmem(f->data, f->len, sync, 16);
	return (size_t)(p - (const uint8_t *)f->data) + 16;
}

TEST(corrupt_files)
{
	struct tarn_buf f;
	tarn_buf_init(&f);
	small_file(&f, "compression=null;block-size=16");
	struct lines l = { 0 };
	struct tarn_err err;
	tarn_err_clear(&err);
	REQUIRE(read_mem(f.data, f.len, NULL, &l, &err) == TARN_OK);
	REQUIRE(l.n == 10);
	lines_free(&l);
	size_t h = header_len(&f);
	/* Every truncation: an error, or (cut at a block's end) fewer rows;
	 * never a crash. */
	for (size_t n = 0; n < f.len; n++) {
		tarn_err_clear(&err);
		tarn_rc rc = read_mem(f.data, n, NULL, &l, &err);
		CHECK(rc != TARN_OK || n == h || l.n < 10);
		if (rc != TARN_OK)
			CHECK(err.msg[0] != '\0');
		if (n > h && rc == TARN_EDATA)
			CHECK_CONTAINS(err.msg, "block");
		lines_free(&l);
	}
	/* A broken sync marker after the first block. */
	struct tarn_buf g;
	tarn_buf_init(&g);
	CHECK(tarn_buf_append(&g, f.data, f.len) == TARN_OK);
	g.data[g.len - 1] ^= 1;
	tarn_err_clear(&err);
	CHECK(read_mem(g.data, g.len, "threads=1", &l, &err) == TARN_EDATA);
	CHECK_CONTAINS(err.msg, "sync marker mismatch");
	CHECK_CONTAINS(err.msg, "(byte offset ");
	CHECK(l.n > 0); /* the blocks before it were handed out */
	lines_free(&l);
	/* Every single byte flipped in the data: clear errors or a read. */
	for (size_t i = h; i < f.len; i++) {
		g.len = 0;
		CHECK(tarn_buf_append(&g, f.data, f.len) == TARN_OK);
		g.data[i] = (char)(g.data[i] ^ 0x55);
		tarn_err_clear(&err);
		tarn_rc rc = read_mem(g.data, g.len, NULL, &l, &err);
		if (rc)
			CHECK(err.msg[0] != '\0');
		lines_free(&l);
	}
	/* Bad magic, bad codec, missing schema. */
	tarn_err_clear(&err);
	CHECK(read_mem("Obj\x02", 4, NULL, &l, &err) == TARN_EDATA);
	CHECK_CONTAINS(err.msg, "not an Avro file");
	static const uint8_t lz4[] = { 'O', 'b', 'j', 1, 4, 20, 'a', 'v', 'r', 'o', '.', 'c', 'o',
				       'd', 'e', 'c', 6, 'l', 'z', '4', 22, 'a', 'v', 'r', 'o', '.',
				       's', 'c', 'h', 'e', 'm', 'a', 10, '"', 'i', 'n', 't', '"', 0,
				       1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };
	tarn_err_clear(&err);
	CHECK(read_mem(lz4, sizeof lz4, NULL, &l, &err) == TARN_EUNSUPPORTED);
	CHECK_CONTAINS(err.msg, "codec 'lz4' is not supported");
	static const uint8_t noschema[] = { 'O', 'b', 'j', 1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11,
					    12, 13, 14, 15, 16 };
	tarn_err_clear(&err);
	CHECK(read_mem(noschema, sizeof noschema, NULL, &l, &err) == TARN_EDATA);
	CHECK_CONTAINS(err.msg, "no avro.schema");
	/* A block claiming far more rows than it has bytes. */
	static const uint8_t longs[] = { 'O', 'b', 'j', 1, 2, 22, 'a', 'v', 'r', 'o', '.', 's', 'c',
					 'h', 'e', 'm', 'a', 12, '"', 'l', 'o', 'n', 'g', '"', 0,
					 'S', 'Y', 'N', 'C', 'S', 'Y', 'N', 'C', 'S', 'Y', 'N', 'C',
					 'S', 'Y', 'N', 'C',
					 /* count 2^40, size 2 */
					 0x80, 0x80, 0x80, 0x80, 0x80, 0x40, 4, 2, 4,
					 'S', 'Y', 'N', 'C', 'S', 'Y', 'N', 'C', 'S', 'Y', 'N', 'C',
					 'S', 'Y', 'N', 'C' };
	tarn_err_clear(&err);
	CHECK(read_mem(longs, sizeof longs, NULL, &l, &err) == TARN_EDATA);
	CHECK_CONTAINS(err.msg, "claims");
	/* A block of 2 objects whose second varint is cut off. */
	uint8_t three[sizeof longs];
	memcpy(three, longs, sizeof longs);
	static const uint8_t blk3[] = { 4, 4, 4, 0x80 };
	size_t at = 41;
	memmove(three + at + 4, longs + at + 9, sizeof longs - at - 9);
	memcpy(three + at, blk3, 4);
	tarn_err_clear(&err);
	CHECK(read_mem(three, sizeof longs - 5, NULL, &l, &err) == TARN_EDATA);
	CHECK_CONTAINS(err.msg, "object 1 at byte offset 44");
	CHECK_CONTAINS(err.msg, "truncated or corrupt");
	/* A block size over max-block-size. */
	tarn_err_clear(&err);
	small_file(&f, "compression=deflate");
	CHECK(read_mem(f.data, f.len, "max-block-size=1K", &l, &err) == TARN_OK);
	lines_free(&l);
	tarn_buf_free(&g);
	tarn_buf_free(&f);
}

TEST(codec_errors)
{
	/* A deflate bomb: 8 MB of zeros as one block, read with a 1 MB cap. */
	static const char *const n[] = { "s" };
	static const char *const t[] = { "string" };
	static const bool nn[] = { false };
	struct tarn_schema *s = make_schema(n, t, nn, 1);
	struct tarn_batch *b;
	REQUIRE(tarn_batch_new(s, 1, &b) == TARN_OK);
	char *zeros = calloc(1, 8 << 20);
	CHECK(tarn_array_append_bytes(b->cols[0], zeros, 8 << 20) == TARN_OK);
	free(zeros);
	struct tarn_err err;
	tarn_err_clear(&err);
	REQUIRE(tarn_batch_seal(b, &err) == TARN_OK);
	static const char *const codecs[] = { "deflate", "snappy", "zstandard", "bzip2", "xz" };
	for (int c = 0; c < 5; c++) {
		struct tarn_output *o;
		REQUIRE(tarn_output_open_mem(&o, &err) == TARN_OK);
		struct tarn_opts *opts;
		REQUIRE(tarn_opts_new(&opts) == TARN_OK);
		REQUIRE(tarn_opts_set(opts, "compression", codecs[c]) == TARN_OK);
		struct tarn_writer *w;
		REQUIRE(tarn_writer_open_output(o, &tarn_format_avro, s, opts, &w, &err) == TARN_OK);
		tarn_opts_free(opts);
		CHECK(tarn_writer_write(w, b, &err) == TARN_OK);
		CHECK(tarn_writer_finish(w, &err) == TARN_OK);
		size_t fn;
		const uint8_t *fp = tarn_output_mem(w->out, &fn);
		CHECK(fn < (1 << 20));
		struct lines l = { 0 };
		tarn_err_clear(&err);
		CHECK(read_mem(fp, fn, "max-block-size=1M", &l, &err) == TARN_ELIMIT);
		CHECK_CONTAINS(err.msg, "max-block-size");
		lines_free(&l);
		tarn_err_clear(&err);
		CHECK(read_mem(fp, fn, NULL, &l, &err) == TARN_OK);
		CHECK(l.n == 1);
		lines_free(&l);
		/* Corrupt compressed bytes (the middle of the block). */
		uint8_t *copy = malloc(fn);
		memcpy(copy, fp, fn);
		size_t mid = fn - 16 - 6;
		copy[mid] ^= 0xff;
		copy[mid - 1] ^= 0x3c;
		tarn_err_clear(&err);
		tarn_rc rc = read_mem(copy, fn, NULL, &l, &err);
		CHECK(rc != TARN_OK);
		CHECK_CONTAINS(err.msg, "block 0");
		if (c == 1) /* snappy: the checksum catches what the decoder may not */
			CHECK(strstr(err.msg, "CRC-32") || strstr(err.msg, "corrupt snappy"));
		lines_free(&l);
		free(copy);
		tarn_writer_close(w);
	}
	tarn_batch_free(b);
	tarn_schema_unref(s);
}

TEST(invalid_utf8_and_varints)
{
	static const char *const n[] = { "b" };
	static const char *const t[] = { "binary" };
	static const bool nn[] = { false };
	struct tarn_schema *s = make_schema(n, t, nn, 1);
	struct tarn_batch *b;
	REQUIRE(tarn_batch_new(s, 2, &b) == TARN_OK);
	CHECK(tarn_array_append_bytes(b->cols[0], "ok", 2) == TARN_OK);
	CHECK(tarn_array_append_bytes(b->cols[0], "\xff\xfe", 2) == TARN_OK);
	struct tarn_err err;
	tarn_err_clear(&err);
	REQUIRE(tarn_batch_seal(b, &err) == TARN_OK);
	/* Written as bytes, the data read as a string (bytes → string
	 * promotion) must be valid UTF-8. */
	const char *w = "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"b\",\"type\":\"bytes\"}]}";
	const char *r = "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"b\",\"type\":\"string\"}]}";
	REQUIRE(write_tmp(wsc_path, w, strlen(w)) == TARN_OK);
	REQUIRE(write_tmp(rsc_path, r, strlen(r)) == TARN_OK);
	struct tarn_output *o;
	REQUIRE(tarn_output_open_mem(&o, &err) == TARN_OK);
	struct tarn_writer *wr;
	REQUIRE(tarn_writer_open_output(o, &tarn_format_avro, s, NULL, &wr, &err) == TARN_OK);
	CHECK(tarn_writer_write(wr, b, &err) == TARN_OK);
	CHECK(tarn_writer_finish(wr, &err) == TARN_OK);
	size_t fn;
	const uint8_t *fp = tarn_output_mem(wr->out, &fn);
	struct lines l = { 0 };
	tarn_err_clear(&err);
	CHECK(read_mem(fp, fn, rsc_opt, &l, &err) == TARN_EDATA);
	CHECK_CONTAINS(err.msg, "field 'b': a string is not valid UTF-8");
	lines_free(&l);
	/* Writing binary into an Avro string checks it too. */
	struct tarn_output *o2;
	REQUIRE(tarn_output_open_mem(&o2, &err) == TARN_OK);
	struct tarn_opts *opts;
	REQUIRE(tarn_opts_new(&opts) == TARN_OK);
	REQUIRE(tarn_opts_set(opts, "schema", rsc_path) == TARN_OK);
	struct tarn_writer *wr2;
	REQUIRE(tarn_writer_open_output(o2, &tarn_format_avro, s, opts, &wr2, &err) == TARN_OK);
	tarn_err_clear(&err);
	CHECK(tarn_writer_write(wr2, b, &err) == TARN_EDATA);
	CHECK_CONTAINS(err.msg, "row 1");
	CHECK_CONTAINS(err.msg, "not UTF-8");
	tarn_writer_close(wr2);
	tarn_opts_free(opts);
	tarn_writer_close(wr);
	tarn_batch_free(b);
	tarn_schema_unref(s);

	/* An 11-byte varint and an int out of range, hand-made. */
	static const uint8_t hdr[] = { 'O', 'b', 'j', 1, 2, 22, 'a', 'v', 'r', 'o', '.', 's', 'c',
				       'h', 'e', 'm', 'a', 10, '"', 'i', 'n', 't', '"', 0, 'S', 'Y',
				       'N', 'C', 'S', 'Y', 'N', 'C', 'S', 'Y', 'N', 'C', 'S', 'Y',
				       'N', 'C' };
	static const uint8_t body1[] = { 2, 22, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
					 0xff, 0x01 };
	static const uint8_t body2[] = { 2, 10, 0xff, 0xff, 0xff, 0xff, 0x7f };
	const uint8_t *bodies[2] = { body1, body2 };
	size_t blen[2] = { sizeof body1, sizeof body2 };
	static const char *const msgs[2] = { "longer than 10 bytes", "out of the 32-bit range" };
	for (int k = 0; k < 2; k++) {
		uint8_t file[128];
		size_t fl = 0;
		memcpy(file, hdr, sizeof hdr);
		fl = sizeof hdr;
		memcpy(file + fl, bodies[k], blen[k]);
		fl += blen[k];
		memcpy(file + fl, "SYNCSYNCSYNCSYNC", 16);
		fl += 16;
		tarn_err_clear(&err);
		CHECK(read_mem(file, fl, NULL, &l, &err) == TARN_EDATA);
		CHECK_CONTAINS(err.msg, msgs[k]);
		lines_free(&l);
	}
}

TEST(schema_errors)
{
	static const struct {
		const char *json;
		const char *msg;
	} cases[] = {
		{ "{\"type\":\"record\",\"name\":\"R\"}", "needs a \"fields\" array" },
		{ "{\"type\":\"record\",\"fields\":[]}", "needs a \"name\"" },
		{ "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":\"int\"},"
		  "{\"name\":\"a\",\"type\":\"int\"}]}",
		  "two fields named 'a'" },
		{ "[\"int\",\"int\"]", "union lists int twice" },
		{ "[\"int\",[\"null\"]]", "may not contain a union" },
		{ "\"Nope\"", "unknown type 'Nope'" },
		{ "{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\",\"A\"]}", "symbol 'A' twice" },
		{ "{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\"],\"default\":\"B\"}",
		  "not one of its symbols" },
		{ "{\"type\":\"fixed\",\"name\":\"F\",\"size\":-1}", "needs a \"size\"" },
		{ "{\"type\":\"array\"}", "needs \"items\"" },
		{ "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":{\"type\":"
		  "\"fixed\",\"name\":\"R\",\"size\":1}}]}",
		  "defined twice" },
		{ "{\"type\":\"int\"", "invalid JSON at byte" },
		{ "{\"type\": \"int\"} x", "text after the JSON value" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct avro_schema *s = NULL;
		struct tarn_err err;
		tarn_err_clear(&err);
		CHECK(avro_schema_parse(cases[i].json, strlen(cases[i].json), "t.avsc", &s, &err) ==
		      TARN_EDATA);
		CHECK_CONTAINS(err.msg, cases[i].msg);
		CHECK_CONTAINS(err.msg, "t.avsc");
		avro_schema_free(s);
	}
	/* Deep nesting is a limit, not a crash. */
	struct tarn_buf deep;
	tarn_buf_init(&deep);
	for (int i = 0; i < 5000; i++)
		CHECK(tarn_buf_append(&deep, "{\"type\":\"array\",\"items\":", 24) == TARN_OK);
	CHECK(tarn_buf_append(&deep, "\"int\"", 5) == TARN_OK);
	for (int i = 0; i < 5000; i++)
		CHECK(tarn_buf_putc(&deep, '}') == TARN_OK);
	struct avro_schema *s = NULL;
	struct tarn_err err;
	tarn_err_clear(&err);
	CHECK(avro_schema_parse(deep.data, deep.len, "deep", &s, &err) == TARN_ELIMIT);
	tarn_buf_free(&deep);
	/* Invalid logical types fall back to the underlying type. */
	const char *lt = "{\"type\":\"record\",\"name\":\"R\",\"fields\":["
			 "{\"name\":\"a\",\"type\":{\"type\":\"bytes\",\"logicalType\":\"decimal\","
			 "\"precision\":2,\"scale\":3}},"
			 "{\"name\":\"b\",\"type\":{\"type\":\"string\",\"logicalType\":\"date\"}},"
			 "{\"name\":\"c\",\"type\":{\"type\":\"long\",\"logicalType\":\"mystery\"}},"
			 "{\"name\":\"d\",\"type\":{\"type\":\"fixed\",\"name\":\"F\",\"size\":2,"
			 "\"logicalType\":\"decimal\",\"precision\":9}},"
			 "{\"name\":\"e\",\"type\":{\"type\":\"fixed\",\"name\":\"G\",\"size\":30,"
			 "\"logicalType\":\"decimal\",\"precision\":60,\"scale\":5}}]}";
	tarn_err_clear(&err);
	REQUIRE(avro_schema_parse(lt, strlen(lt), "lt", &s, &err) == TARN_OK);
	struct avro_prog *pg = NULL;
	REQUIRE(avro_prog_build(s->root, NULL, "lt", &pg, &err) == TARN_OK);
	static const char *const want[] = { "binary", "string", "int64", "binary", "float64" };
	for (int i = 0; i < 5; i++) {
		char tt[100];
		tarn_schema_field_type_text(pg->schema, i, tt, sizeof tt);
		CHECK_STR(tt, want[i]);
	}
	CHECK_CONTAINS(tarn_schema_field_note(pg->schema, 4), "more than 38 digits");
	avro_prog_free(pg);
	avro_schema_free(s);
}

/* Hand-made files: blocks of arrays and maps with negative counts (and
 * their byte sizes), as some writers emit them; schemas whose objects take
 * no bytes. */
static size_t hand_file(uint8_t *out, const char *schema, const uint8_t *blocks, size_t n)
{
	size_t k = 0, sl = strlen(schema);
	memcpy(out, "Obj\x01\x02\x16" "avro.schema", 17);
	k = 17;
	k += (size_t)avro_put_long(out + k, (int64_t)sl);
	memcpy(out + k, schema, sl);
	k += sl;
	out[k++] = 0;
	memcpy(out + k, "0123456789abcdef", 16);
	k += 16;
	memcpy(out + k, blocks, n);
	return k + n;
}

TEST(hand_made_blocks)
{
	uint8_t file[512];
	struct lines l = { 0 };
	struct tarn_err err;
	/* array<long>: one row [1, 2, 3] as a block of -2 items (size 2) and a
	 * block of 1 item, then the end; map<int>: {"a": 5} as -1 (size 3). */
	static const uint8_t arr[] = { 2, 26, 3, 4, 2, 4, 2, 6, 0, 1, 6, 2, 'a', 10, 0,
				       '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'a', 'b', 'c',
				       'd', 'e', 'f' };
	size_t n = hand_file(file,
			    "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\","
			    "\"type\":{\"type\":\"array\",\"items\":\"long\"}},{\"name\":\"m\","
			    "\"type\":{\"type\":\"map\",\"values\":\"int\"}}]}",
			    arr, sizeof arr);
	tarn_err_clear(&err);
	tarn_rc rc = read_mem(file, n, NULL, &l, &err);
	if (rc)
		fprintf(stderr, "%s\n", err.msg);
	CHECK(rc == TARN_OK);
	REQUIRE(l.n == 1);
	CHECK_STR(l.v[0], "{\"a\":[1,2,3],\"m\":{\"a\":5}}");
	lines_free(&l);
	/* An empty record: 1000 rows in a block of 0 bytes. */
	static const uint8_t empty[] = { 0xd0, 0x0f, 0, '0', '1', '2', '3', '4', '5', '6', '7', '8',
					 '9', 'a', 'b', 'c', 'd', 'e', 'f' };
	n = hand_file(file, "{\"type\":\"record\",\"name\":\"E\",\"fields\":[]}", empty,
		      sizeof empty);
	struct tarn_input *in;
	REQUIRE(tarn_input_open_mem(file, n, "e.avro", &in, &err) == TARN_OK);
	struct tarn_reader *r;
	REQUIRE(tarn_reader_open_input(in, &tarn_format_avro, NULL, &r, &err) == TARN_OK);
	int64_t rows = 0;
	for (;;) {
		struct tarn_batch *b;
		CHECK(tarn_reader_next(r, &b, &err) == TARN_OK);
		if (!b)
			break;
		CHECK(b->n_cols == 0);
		rows += b->n_rows;
		tarn_batch_free(b);
	}
	CHECK(rows == 1000);
	tarn_reader_close(r);
	/* Union branches matched by the reader's record aliases, in another
	 * order, with field aliases and a promotion inside. */
	static const uint8_t un[] = { 6, 14, 2, 6, 4, 4, 'h', 'i', 0, '0', '1', '2', '3', '4', '5',
				      '6', '7', '8', '9', 'a', 'b', 'c', 'd', 'e', 'f' };
	n = hand_file(file,
		      "[\"null\",{\"type\":\"record\",\"name\":\"A\",\"fields\":[{\"name\":\"x\","
		      "\"type\":\"int\"}]},{\"type\":\"record\",\"name\":\"B\",\"fields\":[{"
		      "\"name\":\"y\",\"type\":\"string\"}]}]",
		      un, sizeof un);
	const char *ru = "[\"null\",{\"type\":\"record\",\"name\":\"BB\",\"aliases\":[\"B\"],"
			 "\"fields\":[{\"name\":\"yy\",\"aliases\":[\"y\"],\"type\":\"string\"}]},"
			 "{\"type\":\"record\",\"name\":\"AA\",\"aliases\":[\"A\"],\"fields\":[{"
			 "\"name\":\"x\",\"type\":\"long\"}]}]";
	REQUIRE(write_tmp(rsc_path, ru, strlen(ru)) == TARN_OK);
	tarn_err_clear(&err);
	rc = read_mem(file, n, rsc_opt, &l, &err);
	if (rc)
		fprintf(stderr, "%s\n", err.msg);
	CHECK(rc == TARN_OK);
	REQUIRE(l.n == 3);
	CHECK_STR(l.v[0], "{\"value\":{\"member0\":null,\"member1\":{\"x\":3}}}");
	CHECK_STR(l.v[1], "{\"value\":{\"member0\":{\"yy\":\"hi\"},\"member1\":null}}");
	CHECK_STR(l.v[2], "{\"value\":null}");
	lines_free(&l);
	/* A null schema claiming 2^40 objects in 0 bytes: a limit, quickly. */
	static const uint8_t lots[] = { 0x80, 0x80, 0x80, 0x80, 0x80, 0x40, 0, '0', '1', '2', '3',
					'4', '5', '6', '7', '8', '9', 'a', 'b', 'c', 'd', 'e', 'f' };
	n = hand_file(file, "\"null\"", lots, sizeof lots);
	tarn_err_clear(&err);
	CHECK(read_mem(file, n, NULL, &l, &err) == TARN_ELIMIT);
	CHECK_CONTAINS(err.msg, "encodes in no bytes");
	lines_free(&l);
	/* array<null> of 2^40 items in one row: the same limit. */
	static const uint8_t nulls[] = { 2, 14, 0x80, 0x80, 0x80, 0x80, 0x80, 0x40, 0, '0', '1', '2',
					 '3', '4', '5', '6', '7', '8', '9', 'a', 'b', 'c', 'd', 'e',
					 'f' };
	n = hand_file(file, "{\"type\":\"array\",\"items\":\"null\"}", nulls, sizeof nulls);
	tarn_err_clear(&err);
	CHECK(read_mem(file, n, NULL, &l, &err) == TARN_ELIMIT);
	CHECK_CONTAINS(err.msg, "take no bytes");
	lines_free(&l);
}

/* ---- 6. allocation failures ----------------------------------------------------------------- */

static tarn_rc fault_pipeline(const uint8_t *file, size_t n, struct tarn_schema *s)
{
	struct tarn_err err;
	tarn_err_clear(&err);
	struct tarn_input *in;
	tarn_rc rc = tarn_input_open_mem(file, n, "f.avro", &in, &err);
	if (rc)
		return rc;
	struct tarn_opts *o = NULL;
	if (tarn_opts_new(&o)) {
		tarn_input_close(in);
		return TARN_ENOMEM;
	}
	rc = tarn_opts_set(o, "batch-rows", "50");
	if (rc == TARN_OK)
		rc = tarn_opts_set(o, "threads", "1");
	if (rc) {
		tarn_opts_free(o);
		tarn_input_close(in);
		return rc;
	}
	struct tarn_reader *r;
	rc = tarn_reader_open_input(in, &tarn_format_avro, o, &r, &err);
	tarn_opts_free(o);
	if (rc)
		return rc;
	struct tarn_output *out;
	rc = tarn_output_open_mem(&out, &err);
	struct tarn_writer *w = NULL;
	if (rc == TARN_OK)
		rc = tarn_writer_open_output(out, &tarn_format_avro, s, NULL, &w, &err);
	while (rc == TARN_OK) {
		struct tarn_batch *b;
		rc = tarn_reader_next(r, &b, &err);
		if (rc || !b)
			break;
		rc = tarn_writer_write(w, b, &err);
		tarn_batch_free(b);
	}
	if (rc == TARN_OK)
		rc = tarn_writer_finish(w, &err);
	tarn_writer_close(w);
	tarn_reader_close(r);
	return rc;
}

TEST(allocation_failures)
{
	static const char *const n[] = { "i", "s", "l", "m", "u" };
	static const char *const t[] = { "int64", "string", "list<struct<a: int32, b: string>>",
					 "map<string, float64>", "decimal(20,2)" };
	struct tarn_schema *s = make_schema(n, t, NULL, 5);
	struct tarn_buf f;
	tarn_buf_init(&f);
	struct tarn_err err;
	tarn_err_clear(&err);
	REQUIRE(write_mem(s, 2, 120, "compression=snappy;block-size=1K", &f, &err) == TARN_OK);
	struct tarn_input *in;
	REQUIRE(tarn_input_open_mem(f.data, f.len, "x", &in, &err) == TARN_OK);
	struct tarn_reader *r0;
	REQUIRE(tarn_reader_open_input(in, &tarn_format_avro, NULL, &r0, &err) == TARN_OK);
	struct tarn_schema *rs = (struct tarn_schema *)tarn_reader_schema(r0);
	tarn_schema_ref(rs);
	tarn_reader_close(r0);
	int failures = 0;
	for (int64_t k = 0; k < 100000; k++) {
		tarn_mem_fail_after(k);
		tarn_rc rc = fault_pipeline((const uint8_t *)f.data, f.len, rs);
		tarn_mem_fail_after(-1);
		if (rc == TARN_OK)
			break;
		CHECK(rc == TARN_ENOMEM);
		failures++;
	}
	CHECK(failures > 50);
	tarn_schema_unref(rs);
	tarn_buf_free(&f);
	tarn_schema_unref(s);
}

int main(void)
{
	tarn_config_set_threads(2);
	make_tmp_paths();
	RUN(corpus_files);
	RUN(corpus_schemas_as_reader);
	RUN(corpus_single_object);
	RUN(corpus_schema_tests);
	RUN(roundtrip_all_types_all_codecs);
	RUN(roundtrip_empty_and_many_batches);
	RUN(resolution_defaults_of_every_type);
	RUN(resolution_removed_promoted_aliases);
	RUN(resolution_enums_and_unions);
	RUN(write_with_schema);
	RUN(writer_options);
	RUN(corrupt_files);
	RUN(codec_errors);
	RUN(invalid_utf8_and_varints);
	RUN(schema_errors);
	RUN(hand_made_blocks);
	RUN(allocation_failures);
	remove(wsc_path);
	remove(rsc_path);
	char *slash = strrchr(wsc_path, '/');
	if (slash) {
		*slash = '\0';
		remove(wsc_path);
	}
	return unit_done();
}
