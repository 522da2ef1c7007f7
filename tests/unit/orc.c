/*
 * orc.c — tests of the ORC reader and writer (src/formats/orc/).
 *
 *  corpus        every .orc under the Apache ORC examples (found at
 *                $ORC_EXAMPLES_DIR, else ../shared/corpus/orc/examples)
 *                with an expected file examples/expected/<name>.jsn.gz reads
 *                to exactly those rows, printed the way ORC's C++
 *                ColumnPrinter prints them (TestMatch.cc); again with
 *                7-row batches; and again projected to every single
 *                column. The directory is listed at run time, so a new
 *                file is checked without editing this test. Files without
 *                expected rows must read without error unless listed in
 *                `no_rows` with the error they must give; every file under
 *                corrupt/ must fail with a message (never crash).
 *  rle_*         RLE v1/v2 (each sub-encoding), byte and boolean RLE,
 *                encoded and decoded back, plus the spec's worked examples
 *  roundtrip_*   every type and codec written by tarn and read back
 *  structure     tarn's files checked against the specification by an
 *                independent protobuf walk (tail, stripes, stream
 *                directory, encodings, row index, statistics)
 *  prune_*       stripe and row-group pruning (orc_reader_prune)
 *  timezones     TZif + POSIX rule offsets
 */
#include <dirent.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/io.h"
#include "columnar/array.h"
#include "columnar/text.h"
#include "formats/format.h"
#include "formats/orc/orc_int.h"
#include "tarn.h"
#include "unit.h"

extern const struct tarn_format tarn_format_orc;

/* Test output buffers: an allocation failure here is not under test. */
#define BUF_APPEND(...) do { if (tarn_buf_append(__VA_ARGS__)) abort(); } while (0)
#define BUF_PRINTF(...) do { if (tarn_buf_printf(__VA_ARGS__)) abort(); } while (0)
#define BUF_PUTC(...) do { if (tarn_buf_putc(__VA_ARGS__)) abort(); } while (0)

static const char *examples_dir(void)
{
	const char *d = getenv("ORC_EXAMPLES_DIR");
	return d && *d ? d : "../shared/corpus/orc/examples";
}

/* ---- printing rows the way ORC's ColumnPrinter does ---------------------------------- */

static void put_json_string(struct tarn_buf *o, const uint8_t *s, size_t n)
{
	BUF_PUTC(o, '"');
	for (size_t i = 0; i < n; i++) {
		char c = (char)s[i];
		switch (c) {
		case '"': BUF_APPEND(o, "\\\"", 2); break;
		case '\\': BUF_APPEND(o, "\\\\", 2); break;
		case '\b': BUF_APPEND(o, "\\b", 2); break;
		case '\f': BUF_APPEND(o, "\\f", 2); break;
		case '\n': BUF_APPEND(o, "\\n", 2); break;
		case '\r': BUF_APPEND(o, "\\r", 2); break;
		case '\t': BUF_APPEND(o, "\\t", 2); break;
		default: BUF_PUTC(o, c);
		}
	}
	BUF_PUTC(o, '"');
}

static bool is_union_shape(const struct tarn_type *t)
{
	if (t->id != TARN_T_STRUCT || t->n_children < 2 || strcmp(t->children[0].name, "tag") ||
	    t->children[0].type.id != TARN_T_INT8)
		return false;
	for (int i = 1; i < t->n_children; i++) {
		char nm[32];
		snprintf(nm, sizeof nm, "field%d", i - 1);
		if (strcmp(t->children[i].name, nm))
			return false;
	}
	return true;
}

static void print_value(struct tarn_buf *o, const struct tarn_array *a, int64_t i)
{
	if (tarn_array_is_null(a, i)) {
		BUF_PRINTF(o, "null");
		return;
	}
	const struct tarn_type *t = a->type;
	char buf[TARN_FMT_MAX + 8];
	switch (t->id) {
	case TARN_T_BOOL: BUF_PRINTF(o, "%s", tarn_bit_get(a->values, i) ? "true" : "false"); break;
	case TARN_T_INT8:
	case TARN_T_INT16:
	case TARN_T_INT32:
	case TARN_T_INT64: BUF_PRINTF(o, "%" PRId64, tarn_array_get_int(a, i)); break;
	case TARN_T_FLOAT32: BUF_PRINTF(o, "%.7g", tarn_array_get_double(a, i)); break;
	case TARN_T_FLOAT64: BUF_PRINTF(o, "%.14g", tarn_array_get_double(a, i)); break;
	case TARN_T_DECIMAL128: {
		size_t n = tarn_fmt_decimal(buf, tarn_array_get_decimal(a, i), t->scale);
		BUF_APPEND(o, buf, n);
		break;
	}
	case TARN_T_STRING: {
		size_t n;
		const uint8_t *p = tarn_array_get_bytes(a, i, &n);
		put_json_string(o, p, n);
		break;
	}
	case TARN_T_BINARY: {
		size_t n;
		const uint8_t *p = tarn_array_get_bytes(a, i, &n);
		BUF_PUTC(o, '[');
		for (size_t k = 0; k < n; k++)
			BUF_PRINTF(o, "%s%u", k ? ", " : "", p[k]);
		BUF_PUTC(o, ']');
		break;
	}
	case TARN_T_DATE32: {
		size_t n = tarn_fmt_date(buf, (int32_t)tarn_array_get_int(a, i));
		BUF_PUTC(o, '"');
		BUF_APPEND(o, buf, n);
		BUF_PUTC(o, '"');
		break;
	}
	case TARN_T_TIMESTAMP: {
		/* YYYY-MM-DD HH:MM:SS.f, the fraction trimmed but at least ".0" */
		int64_t v = tarn_array_get_int(a, i);
		int64_t per = tarn_time_unit_per_second((enum tarn_time_unit)t->unit);
		int64_t s = v / per, f = v % per;
		if (f < 0)
			f += per, s -= 1;
		int64_t days = s / 86400, sod = s % 86400;
		if (sod < 0)
			sod += 86400, days -= 1;
		size_t n = tarn_fmt_date(buf, (int32_t)days);
		buf[n] = '\0';
		int64_t ns = f * (1000000000 / per);
		char frac[16];
		snprintf(frac, sizeof frac, "%09" PRId64, ns);
		int fl = 9;
		while (fl > 1 && frac[fl - 1] == '0')
			fl--;
		frac[fl] = '\0';
		BUF_PRINTF(o, "\"%s %02d:%02d:%02d.%s\"", buf, (int)(sod / 3600),
				      (int)(sod / 60 % 60), (int)(sod % 60), frac);
		break;
	}
	case TARN_T_LIST: {
		BUF_PUTC(o, '[');
		for (int32_t k = a->offsets[i]; k < a->offsets[i + 1]; k++) {
			if (k > a->offsets[i])
				BUF_APPEND(o, ", ", 2);
			print_value(o, a->children[0], k);
		}
		BUF_PUTC(o, ']');
		break;
	}
	case TARN_T_MAP: {
		const struct tarn_array *e = a->children[0];
		BUF_PUTC(o, '[');
		for (int32_t k = a->offsets[i]; k < a->offsets[i + 1]; k++) {
			if (k > a->offsets[i])
				BUF_APPEND(o, ", ", 2);
			BUF_APPEND(o, "{\"key\": ", 8);
			print_value(o, e->children[0], k);
			BUF_APPEND(o, ", \"value\": ", 11);
			print_value(o, e->children[1], k);
			BUF_PUTC(o, '}');
		}
		BUF_PUTC(o, ']');
		break;
	}
	case TARN_T_STRUCT: {
		if (is_union_shape(t)) {
			int tag = (int)tarn_array_get_int(a->children[0], i);
			BUF_PRINTF(o, "{\"tag\": %d, \"value\": ", tag);
			print_value(o, a->children[tag + 1], i);
			BUF_PUTC(o, '}');
			break;
		}
		BUF_PUTC(o, '{');
		for (int k = 0; k < t->n_children; k++) {
			if (k)
				BUF_APPEND(o, ", ", 2);
			put_json_string(o, (const uint8_t *)t->children[k].name, strlen(t->children[k].name));
			BUF_APPEND(o, ": ", 2);
			print_value(o, a->children[k], i);
		}
		BUF_PUTC(o, '}');
		break;
	}
	default: BUF_PRINTF(o, "?"); break;
	}
}

/* One row as a line: an object of the top-level columns, or the bare value
 * when the file's root type is not a struct (bare = true). */
static void print_row(struct tarn_buf *o, const struct tarn_batch *b, int64_t r, bool bare)
{
	if (bare) {
		print_value(o, b->cols[0], r);
		return;
	}
	BUF_PUTC(o, '{');
	for (int c = 0; c < b->n_cols; c++) {
		if (c)
			BUF_APPEND(o, ", ", 2);
		const char *nm = b->schema->fields[c].name;
		put_json_string(o, (const uint8_t *)nm, strlen(nm));
		BUF_APPEND(o, ": ", 2);
		print_value(o, b->cols[c], r);
	}
	BUF_PUTC(o, '}');
}

/* ---- reading helpers ------------------------------------------------------------------ */

static tarn_rc open_reader(const char *path, const char *opts_text, struct tarn_reader **r,
			   struct tarn_err *err)
{
	struct tarn_opts *o = NULL;
	if (tarn_opts_new(&o))
		return TARN_ENOMEM;
	if (opts_text) {
		char tmp[512];
		snprintf(tmp, sizeof tmp, "%s", opts_text);
		for (char *save = NULL, *kv = strtok_r(tmp, ";", &save); kv;
		     kv = strtok_r(NULL, ";", &save))
			if (tarn_opts_parse(o, kv, err)) {
				tarn_opts_free(o);
				return TARN_EUSAGE;
			}
	}
	tarn_rc rc = tarn_reader_open(path, "orc", o, r, err);
	tarn_opts_free(o);
	return rc;
}

/* Reads a whole file into lines (one per row, NUL-separated in out).
 * bare: the root type is not a struct. */
static tarn_rc read_lines(const char *path, const char *opts, bool bare, struct tarn_buf *out,
			  int64_t *rows, struct tarn_err *err)
{
	struct tarn_reader *r;
	*rows = 0;
	TRY(open_reader(path, opts, &r, err));
	tarn_rc rc;
	for (;;) {
		struct tarn_batch *b;
		rc = tarn_reader_next(r, &b, err);
		if (rc || !b)
			break;
		for (int c = 0; c < b->n_cols; c++) {
			struct tarn_err verr;
			tarn_err_clear(&verr);
			if (tarn_array_validate(b->cols[c], true, &verr)) {
				fprintf(stderr, "%s: invalid array: %s\n", path, verr.msg);
				rc = TARN_EINTERNAL;
			}
		}
		for (int64_t i = 0; i < b->n_rows && !rc; i++) {
			print_row(out, b, i, bare);
			BUF_PUTC(out, '\n');
		}
		*rows += b->n_rows;
		tarn_batch_free(b);
		if (rc)
			break;
	}
	tarn_reader_close(r);
	return rc;
}

static bool read_gz(const char *path, struct tarn_buf *out)
{
	gzFile g = gzopen(path, "rb");
	if (!g)
		return false;
	char buf[65536];
	int n;
	while ((n = gzread(g, buf, sizeof buf)) > 0)
		BUF_APPEND(out, buf, (size_t)n);
	gzclose(g);
	return n == 0;
}

/* Compares line by line; prints the first few differences. */
static int compare_lines(const char *name, const struct tarn_buf *got, const struct tarn_buf *want)
{
	const char *g = got->data ? got->data : "", *w = want->data ? want->data : "";
	const char *ge = g + got->len, *we = w + want->len;
	int line = 0, diffs = 0;
	while (g < ge || w < we) {
		line++;
		const char *gn = memchr(g, '\n', (size_t)(ge - g)), *wn = memchr(w, '\n', (size_t)(we - w));
		size_t gl = gn ? (size_t)(gn - g) : (size_t)(ge - g);
		size_t wl = wn ? (size_t)(wn - w) : (size_t)(we - w);
		if (gl != wl || memcmp(g, w, gl) != 0) {
			if (diffs++ < 3)
				fprintf(stderr, "%s: line %d differs\n  got:  %.*s\n  want: %.*s\n", name,
					line, (int)(gl > 600 ? 600 : gl), g, (int)(wl > 600 ? 600 : wl), w);
		}
		g = gn ? gn + 1 : ge;
		w = wn ? wn + 1 : we;
	}
	return diffs;
}

static bool root_is_struct(const char *path)
{
	struct tarn_input *in;
	struct tarn_err err;
	tarn_err_clear(&err);
	if (tarn_input_open(path, &in, &err))
		return true;
	size_t n;
	const uint8_t *p = tarn_input_mapped(in, &n);
	bool s = true;
	struct orc_tail t;
	if (p && n > 0 && orc_tail_read(p, n, path, &t, &err) == TARN_OK)
		s = t.footer.n_types == 0 || t.footer.types[0].kind == ORC_STRUCT;
	if (p && n > 0)
		orc_tail_free(&t);
	tarn_input_close(in);
	return s;
}

/* ---- corpus ----------------------------------------------------------------------------- */

struct known {
	const char *name;
	const char *error; /* text the error must contain */
};

/* Files without expected rows that tarn cannot read, and why. */
static const struct known no_rows[] = {
	{ "sample1.orc", "encrypted ORC files" },
	{ "sample2.orc", "encrypted ORC files" },
	{ NULL, NULL },
};

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int list_dir(const char *dir, const char *suffix, char ***out)
{
	DIR *d = opendir(dir);
	int n = 0, cap = 0;
	*out = NULL;
	if (!d)
		return 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name), sl = strlen(suffix);
		if (l <= sl || strcmp(e->d_name + l - sl, suffix))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			*out = realloc(*out, (size_t)cap * sizeof **out);
		}
		(*out)[n++] = strdup(e->d_name);
	}
	closedir(d);
	qsort(*out, (size_t)n, sizeof **out, cmp_str);
	return n;
}

static void free_list(char **v, int n)
{
	for (int i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void check_expected(const char *path, const char *name, const char *expected)
{
	struct tarn_buf want, got;
	tarn_buf_init(&want);
	tarn_buf_init(&got);
	bool bare = !root_is_struct(path);
	CHECK(read_gz(expected, &want));
	struct tarn_err err;
	tarn_err_clear(&err);
	int64_t rows;
	tarn_rc rc = read_lines(path, NULL, bare, &got, &rows, &err);
	if (rc)
		fprintf(stderr, "%s: %s\n", name, err.msg);
	CHECK(rc == TARN_OK);
	int d = compare_lines(name, &got, &want);
	if (d)
		fprintf(stderr, "%s: %d lines differ\n", name, d);
	CHECK(d == 0);
	/* 7-row batches: stripe and run boundaries fall inside batches */
	tarn_buf_free(&got);
	tarn_buf_init(&got);
	rc = read_lines(path, "batch-rows=7", bare, &got, &rows, &err);
	CHECK(rc == TARN_OK);
	CHECK(compare_lines(name, &got, &want) == 0);
	tarn_buf_free(&got);
	tarn_buf_free(&want);
	printf("  ok  %s (%" PRId64 " rows)\n", name, rows);
}

/* Each column alone (projection) must read the same values as in the
 * whole read. */
static void check_projection(const char *path, const char *name)
{
	struct tarn_reader *r;
	struct tarn_err err;
	tarn_err_clear(&err);
	if (open_reader(path, NULL, &r, &err))
		return;
	const struct tarn_schema *s = tarn_reader_schema(r);
	int nf = s->n_fields;
	char **names = calloc((size_t)nf + 1, sizeof *names);
	for (int i = 0; i < nf; i++)
		names[i] = strdup(s->fields[i].name);
	tarn_reader_close(r);
	if (!root_is_struct(path))
		nf = 0;
	for (int i = 0; i < nf; i++) {
		if (strchr(names[i], ',') || strchr(names[i], ';'))
			continue;
		char opt[300];
		snprintf(opt, sizeof opt, "columns=%s", names[i]);
		struct tarn_buf a, b;
		tarn_buf_init(&a);
		tarn_buf_init(&b);
		int64_t rows;
		tarn_rc rc = read_lines(path, opt, false, &a, &rows, &err);
		/* the same column from the whole read */
		struct tarn_reader *w;
		CHECK(rc == TARN_OK);
		if (open_reader(path, NULL, &w, &err) == TARN_OK) {
			for (;;) {
				struct tarn_batch *bt;
				if (tarn_reader_next(w, &bt, &err) || !bt)
					break;
				for (int64_t k = 0; k < bt->n_rows; k++) {
					BUF_PRINTF(&b, "{\"%s\": ", names[i]);
					print_value(&b, bt->cols[i], k);
					BUF_PRINTF(&b, "}\n");
				}
				tarn_batch_free(bt);
			}
			tarn_reader_close(w);
		}
		char label[400];
		snprintf(label, sizeof label, "%s columns=%s", name, names[i]);
		CHECK(compare_lines(label, &a, &b) == 0);
		tarn_buf_free(&a);
		tarn_buf_free(&b);
	}
	for (int i = 0; s && i < (int)0; i++)
		;
	for (int i = 0; names[i]; i++)
		free(names[i]);
	free(names);
}

static void check_readable(const char *path, const char *name)
{
	const struct known *k = NULL;
	for (const struct known *q = no_rows; q->name; q++)
		if (!strcmp(q->name, name))
			k = q;
	struct tarn_buf got;
	tarn_buf_init(&got);
	struct tarn_err err;
	tarn_err_clear(&err);
	int64_t rows;
	tarn_rc rc = read_lines(path, NULL, !root_is_struct(path), &got, &rows, &err);
	if (k) {
		CHECK(rc != TARN_OK);
		CHECK_CONTAINS(err.msg, k->error);
		printf("  ok  %s (fails as expected: %s)\n", name, err.msg);
	} else {
		if (rc)
			fprintf(stderr, "%s: %s\n", name, err.msg);
		CHECK(rc == TARN_OK);
		printf("  ok  %s (%" PRId64 " rows, no expected rows)\n", name, rows);
	}
	tarn_buf_free(&got);
}

TEST(corpus)
{
	const char *dir = examples_dir();
	char **files;
	int n = list_dir(dir, ".orc", &files);
	if (n == 0) {
		printf("  skip: no ORC examples at %s\n", dir);
		return;
	}
	int with_rows = 0;
	for (int i = 0; i < n; i++) {
		char path[1024], exp[1024], base[512];
		snprintf(path, sizeof path, "%s/%s", dir, files[i]);
		snprintf(base, sizeof base, "%.*s", (int)(strlen(files[i]) - 4), files[i]);
		snprintf(exp, sizeof exp, "%s/expected/%s.jsn.gz", dir, base);
		struct stat st;
		if (stat(exp, &st) == 0) {
			check_expected(path, files[i], exp);
			check_projection(path, files[i]);
			with_rows++;
		} else {
			check_readable(path, files[i]);
		}
	}
	CHECK(with_rows >= 25);
	free_list(files, n);
	/* encrypted/ */
	char sub[1024];
	snprintf(sub, sizeof sub, "%s/encrypted", dir);
	n = list_dir(sub, ".orc", &files);
	for (int i = 0; i < n; i++) {
		char path[1100];
		snprintf(path, sizeof path, "%s/%s", sub, files[i]);
		check_readable(path, files[i]);
	}
	free_list(files, n);
}

TEST(corrupt)
{
	char dir[1024];
	snprintf(dir, sizeof dir, "%s/corrupt", examples_dir());
	char **files;
	int n = list_dir(dir, ".orc", &files);
	for (int i = 0; i < n; i++) {
		char path[1100];
		snprintf(path, sizeof path, "%s/%s", dir, files[i]);
		struct tarn_buf got;
		tarn_buf_init(&got);
		struct tarn_err err;
		tarn_err_clear(&err);
		int64_t rows;
		tarn_rc rc = read_lines(path, NULL, false, &got, &rows, &err);
		CHECK(rc == TARN_EDATA || rc == TARN_ELIMIT);
		CHECK(err.msg[0] != '\0');
		CHECK_CONTAINS(err.msg, files[i]);
		printf("  ok  corrupt/%s: %s\n", files[i], err.msg);
		tarn_buf_free(&got);
	}
	free_list(files, n);
}


/* ---- RLE ------------------------------------------------------------------------------- */

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void stream_over(struct orc_stream *s, const void *p, size_t n)
{
	memset(s, 0, sizeof *s);
	orc_stream_init(s, p, n, ORC_C_NONE, 0, NULL);
}

static bool decode_ints(const uint8_t *p, size_t n, bool v2, bool sgn, int64_t *out, int64_t count)
{
	struct orc_stream s;
	stream_over(&s, p, n);
	static struct orc_irle d;
	orc_irle_init(&d, &s, v2, sgn);
	bool ok = orc_irle_get(&d, out, count) == TARN_OK && orc_stream_done(&s);
	orc_stream_free(&s);
	return ok;
}

TEST(rle_spec_examples)
{
	/* ORCv1.md worked examples */
	int64_t v[100];
	static const uint8_t sr[] = { 0x0a, 0x27, 0x10 };
	REQUIRE(decode_ints(sr, sizeof sr, true, false, v, 5));
	for (int i = 0; i < 5; i++)
		CHECK(v[i] == 10000);
	static const uint8_t direct[] = { 0x5e, 0x03, 0x5c, 0xa1, 0xab, 0x1e, 0xde, 0xad, 0xbe, 0xef };
	REQUIRE(decode_ints(direct, sizeof direct, true, false, v, 4));
	CHECK(v[0] == 23713 && v[1] == 43806 && v[2] == 57005 && v[3] == 48879);
	static const uint8_t patched[] = { 0x8e, 0x13, 0x2b, 0x21, 0x07, 0xd0, 0x1e, 0x00, 0x14,
					   0x70, 0x28, 0x32, 0x3c, 0x46, 0x50, 0x5a, 0x64, 0x6e,
					   0x78, 0x82, 0x8c, 0x96, 0xa0, 0xaa, 0xb4, 0xbe, 0xfc, 0xe8 };
	static const int64_t pv[] = { 2030, 2000, 2020, 1000000, 2040, 2050, 2060, 2070, 2080, 2090,
				      2100, 2110, 2120, 2130, 2140, 2150, 2160, 2170, 2180, 2190 };
	REQUIRE(decode_ints(patched, sizeof patched, true, false, v, 20));
	for (int i = 0; i < 20; i++)
		CHECK(v[i] == pv[i]);
	static const uint8_t delta[] = { 0xc6, 0x09, 0x02, 0x02, 0x22, 0x42, 0x42, 0x46 };
	static const int64_t dv[] = { 2, 3, 5, 7, 11, 13, 17, 19, 23, 29 };
	REQUIRE(decode_ints(delta, sizeof delta, true, false, v, 10));
	for (int i = 0; i < 10; i++)
		CHECK(v[i] == dv[i]);
	/* RLE v1 */
	static const uint8_t r1[] = { 0x61, 0x00, 0x07 };
	REQUIRE(decode_ints(r1, sizeof r1, false, false, v, 100));
	for (int i = 0; i < 100; i++)
		CHECK(v[i] == 7);
	static const uint8_t r2[] = { 0x61, 0xff, 0x64 };
	REQUIRE(decode_ints(r2, sizeof r2, false, false, v, 100));
	for (int i = 0; i < 100; i++)
		CHECK(v[i] == 100 - i);
	static const uint8_t r3[] = { 0xfb, 0x02, 0x03, 0x04, 0x07, 0x0b };
	REQUIRE(decode_ints(r3, sizeof r3, false, false, v, 5));
	CHECK(v[0] == 2 && v[1] == 3 && v[2] == 4 && v[3] == 7 && v[4] == 11);
	/* the encoders produce the spec's bytes where the choice is forced */
	struct tarn_buf b;
	tarn_buf_init(&b);
	struct orc_irle_enc e;
	orc_irle_enc_init(&e, &b, false, false);
	for (int i = 0; i < 100; i++)
		CHECK(orc_irle_put(&e, 7) == TARN_OK);
	CHECK(orc_irle_flush(&e) == TARN_OK);
	CHECK(b.len == 3 && memcmp(b.data, r1, 3) == 0);
	b.len = 0;
	orc_irle_enc_init(&e, &b, true, false);
	for (int i = 0; i < 5; i++)
		CHECK(orc_irle_put(&e, 10000) == TARN_OK);
	CHECK(orc_irle_flush(&e) == TARN_OK);
	CHECK(b.len == 3 && memcmp(b.data, sr, 3) == 0);
	b.len = 0;
	CHECK(orc_rlev2_encode_as(&b, dv, 10, false, 3) == TARN_OK);
	CHECK(b.len == sizeof delta && memcmp(b.data, delta, sizeof delta) == 0);
	b.len = 0;
	static const int64_t direct_v[] = { 23713, 43806, 57005, 48879 };
	CHECK(orc_rlev2_encode_as(&b, direct_v, 4, false, 1) == TARN_OK);
	CHECK(b.len == sizeof direct && memcmp(b.data, direct, sizeof direct) == 0);
	/* byte RLE: a hundred zeros; two literals */
	b.len = 0;
	struct orc_brle_enc be;
	orc_brle_enc_init(&be, &b);
	for (int i = 0; i < 100; i++)
		CHECK(orc_brle_put(&be, 0) == TARN_OK);
	CHECK(orc_brle_put(&be, 0x44) == TARN_OK);
	CHECK(orc_brle_put(&be, 0x45) == TARN_OK);
	CHECK(orc_brle_flush(&be) == TARN_OK);
	CHECK(b.len == 5 && memcmp(b.data, "\x61\x00\xfe\x44\x45", 5) == 0);
	/* boolean RLE: [0xff, 0x80] is one true then seven false */
	struct orc_stream s;
	stream_over(&s, "\xff\x80", 2);
	struct orc_bool bd;
	orc_bool_init(&bd, &s);
	uint8_t f[8];
	REQUIRE(orc_bool_get(&bd, f, 8) == TARN_OK);
	CHECK(f[0] == 1);
	for (int i = 1; i < 8; i++)
		CHECK(f[i] == 0);
	tarn_buf_free(&b);
}

/* Random sequences of several shapes through each encoder and back. */
TEST(rle_roundtrip)
{
	static int64_t v[3000], o[3000];
	int subs_seen[4] = { 0 };
	for (int t = 0; t < 3000; t++) {
		int n = 1 + (int)(rnd() % 2500);
		int mode = (int)(rnd() % 7);
		int64_t x = (int64_t)(rnd() % 1000);
		for (int i = 0; i < n; i++) {
			switch (mode) {
			case 0: v[i] = (int64_t)(rnd() % 1000); break;
			case 1: x += (int64_t)(rnd() % 3); v[i] = x; break;
			case 2: v[i] = rnd() % 20 == 0 ? (int64_t)(rnd() >> 20) : (int64_t)(rnd() % 100); break;
			case 3: x -= (int64_t)(rnd() % 5); v[i] = x; break;
			case 4: v[i] = rnd() % 3 ? x : (int64_t)rnd(); break;
			case 5: v[i] = (int64_t)rnd(); break;
			default: v[i] = i % 7 == 0 ? INT64_MIN : INT64_MAX - (int64_t)(rnd() % 3); break;
			}
		}
		bool sgn = rnd() & 1, v2 = rnd() % 4 != 0;
		if (!sgn)
			for (int i = 0; i < n; i++)
				v[i] = v[i] < 0 ? (v[i] == INT64_MIN ? 0 : -v[i]) : v[i];
		struct tarn_buf b;
		tarn_buf_init(&b);
		struct orc_irle_enc e;
		orc_irle_enc_init(&e, &b, v2, sgn);
		for (int i = 0; i < n; i++)
			REQUIRE(orc_irle_put(&e, v[i]) == TARN_OK);
		REQUIRE(orc_irle_flush(&e) == TARN_OK);
		if (v2)
			for (size_t k = 0; k < b.len && k < 1; k++)
				subs_seen[(uint8_t)b.data[0] >> 6]++;
		bool ok = decode_ints((const uint8_t *)b.data, b.len, v2, sgn, o, n);
		for (int i = 0; ok && i < n; i++)
			ok = o[i] == v[i];
		if (!ok)
			fprintf(stderr, "rle_roundtrip: trial %d (mode %d, n %d, signed %d, v2 %d)\n", t, mode,
				n, sgn, v2);
		CHECK(ok);
		/* each sub-encoding on its own, where it applies */
		for (int sub = 0; sub < 4 && v2; sub++) {
			int m = n < 512 ? n : 512;
			b.len = 0;
			if (orc_rlev2_encode_as(&b, v, m, sgn, sub) != TARN_OK)
				continue;
			subs_seen[sub]++;
			CHECK(decode_ints((const uint8_t *)b.data, b.len, true, sgn, o, m));
			for (int i = 0; i < m; i++)
				CHECK(o[i] == v[i]);
		}
		tarn_buf_free(&b);
	}
	for (int k = 0; k < 4; k++)
		CHECK(subs_seen[k] > 0);
	/* byte and boolean RLE */
	for (int t = 0; t < 500; t++) {
		int n = 1 + (int)(rnd() % 3000);
		static uint8_t bv[3000], bo[3000];
		int mode = (int)(rnd() % 3);
		for (int i = 0; i < n; i++)
			bv[i] = mode == 0 ? (uint8_t)rnd() : mode == 1 ? (uint8_t)(i / 50) : (uint8_t)(rnd() % 2);
		struct tarn_buf b;
		tarn_buf_init(&b);
		struct orc_brle_enc be;
		orc_brle_enc_init(&be, &b);
		for (int i = 0; i < n; i++)
			REQUIRE(orc_brle_put(&be, bv[i]) == TARN_OK);
		REQUIRE(orc_brle_flush(&be) == TARN_OK);
		struct orc_stream s;
		stream_over(&s, b.data, b.len);
		struct orc_brle bd;
		orc_brle_init(&bd, &s);
		CHECK(orc_brle_get(&bd, bo, n) == TARN_OK && memcmp(bo, bv, (size_t)n) == 0);
		CHECK(orc_stream_done(&s));
		b.len = 0;
		struct orc_bool_enc ge;
		orc_bool_enc_init(&ge, &b);
		for (int i = 0; i < n; i++)
			REQUIRE(orc_bool_put(&ge, bv[i] & 1) == TARN_OK);
		REQUIRE(orc_bool_finish(&ge) == TARN_OK);
		stream_over(&s, b.data, b.len);
		struct orc_bool gd;
		orc_bool_init(&gd, &s);
		CHECK(orc_bool_get(&gd, bo, n) == TARN_OK);
		for (int i = 0; i < n; i++)
			CHECK(bo[i] == (bv[i] & 1));
		tarn_buf_free(&b);
	}
}

/* Truncated and hostile run data fails cleanly. */
TEST(rle_bad_input)
{
	int64_t v[600];
	static const uint8_t cut[] = { 0x5e, 0x03, 0x5c, 0xa1 };      /* DIRECT, 4 of 8 bytes */
	CHECK(!decode_ints(cut, sizeof cut, true, false, v, 4));
	/* the spec's patched-base run claiming two patches but holding one */
	static const uint8_t badpatch[] = { 0x8e, 0x13, 0x2b, 0x22, 0x07, 0xd0, 0x1e, 0x00, 0x14,
					    0x70, 0x28, 0x32, 0x3c, 0x46, 0x50, 0x5a, 0x64, 0x6e,
					    0x78, 0x82, 0x8c, 0x96, 0xa0, 0xaa, 0xb4, 0xbe, 0xfc, 0xe8 };
	CHECK(!decode_ints(badpatch, sizeof badpatch, true, false, v, 20));
	static const uint8_t longvarint[] = { 0x80, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01 };
	CHECK(!decode_ints(longvarint, sizeof longvarint, false, false, v, 1));
	CHECK(!decode_ints((const uint8_t *)"", 0, true, false, v, 1));
	/* LZO: garbage fails, never overruns */
	uint8_t out[64];
	size_t got;
	for (int t = 0; t < 2000; t++) {
		uint8_t in[32];
		for (int i = 0; i < 32; i++)
			in[i] = (uint8_t)rnd();
		tarn_rc rc = orc_lzo_decompress(in, 1 + rnd() % 32, out, sizeof out, &got);
		CHECK(rc == TARN_OK || rc == TARN_EDATA);
	}
}

/* ---- writing and reading back ------------------------------------------------------------- */

/* A random value of type t appended to a (nulls ~1 in 8 where nullable). */
static tarn_rc append_random(struct tarn_array *a, const struct tarn_type *t, bool nullable)
{
	if ((nullable && rnd() % 8 == 0) || t->id == TARN_T_NULL)
		return tarn_array_append_null(a);
	switch (t->id) {
	case TARN_T_BOOL: return tarn_array_append_bool(a, rnd() & 1);
	case TARN_T_INT8: return tarn_array_append_int(a, (int8_t)rnd());
	case TARN_T_INT16: return tarn_array_append_int(a, (int16_t)rnd());
	case TARN_T_INT32: return tarn_array_append_int(a, rnd() % 2 ? (int32_t)rnd() : (int32_t)(rnd() % 100));
	case TARN_T_INT64: return tarn_array_append_int(a, rnd() % 2 ? (int64_t)rnd() : (int64_t)(rnd() % 1000) - 500);
	case TARN_T_UINT8: return tarn_array_append_uint(a, (uint8_t)rnd());
	case TARN_T_UINT16: return tarn_array_append_uint(a, (uint16_t)rnd());
	case TARN_T_UINT32: return tarn_array_append_uint(a, (uint32_t)rnd());
	case TARN_T_UINT64: return tarn_array_append_uint(a, rnd());
	case TARN_T_FLOAT32: return tarn_array_append_double(a, (float)((double)(int64_t)rnd() / 1e12));
	case TARN_T_FLOAT64: {
		uint64_t bits = rnd();
		double d;
		memcpy(&d, &bits, 8);
		if (rnd() % 4 == 0)
			d = (double)(int64_t)(rnd() % 100000) / 100.0;
		return tarn_array_append_double(a, d);
	}
	case TARN_T_DECIMAL128: {
		tarn_i128 lim = 1;
		for (int i = 0; i < t->precision; i++)
			lim *= 10;
		tarn_i128 v = (tarn_i128)((((unsigned __int128)rnd() << 64) | rnd()) % (unsigned __int128)lim);
		return tarn_array_append_decimal(a, rnd() % 2 ? v : -v);
	}
	case TARN_T_STRING: {
		static const char *const words[] = { "", "a", "orc", "stripe", "zebra", "Ünïcødé ✓",
						     "a much longer value that repeats now and then" };
		if (rnd() % 3 == 0) {
			char buf[40];
			int n = (int)(rnd() % 30);
			for (int i = 0; i < n; i++)
				buf[i] = (char)('a' + rnd() % 26);
			return tarn_array_append_bytes(a, buf, (size_t)n);
		}
		const char *w = words[rnd() % 7];
		return tarn_array_append_bytes(a, w, strlen(w));
	}
	case TARN_T_BINARY: {
		uint8_t buf[20];
		int n = (int)(rnd() % 20);
		for (int i = 0; i < n; i++)
			buf[i] = (uint8_t)rnd();
		return tarn_array_append_bytes(a, buf, (size_t)n);
	}
	case TARN_T_DATE32: return tarn_array_append_int(a, (int32_t)(rnd() % 200000) - 100000);
	case TARN_T_TIME64: return tarn_array_append_int(a, (int64_t)(rnd() % 86400000000ull));
	case TARN_T_TIMESTAMP: {
		/* +-150 years in the type's unit; (-1 s, 0) has no ORC
		 * spelling the Java/C++ readers agree on, so it is avoided */
		int64_t per = tarn_time_unit_per_second((enum tarn_time_unit)t->unit);
		int64_t secs = (int64_t)(rnd() % 9000000000ull) - 4500000000;
		if (secs == -1)
			secs = -2;
		int64_t v = secs * per + (int64_t)(rnd() % (uint64_t)per);
		if (rnd() % 5 == 0)
			v = secs * per;
		return tarn_array_append_int(a, v);
	}
	case TARN_T_LIST: {
		int n = (int)(rnd() % 4);
		for (int i = 0; i < n; i++)
			TRY(append_random(a->children[0], &t->children[0].type, true));
		return tarn_array_list_end(a, true);
	}
	case TARN_T_MAP: {
		int n = (int)(rnd() % 4);
		struct tarn_array *e = a->children[0];
		for (int i = 0; i < n; i++) {
			TRY(append_random(e->children[0], &e->type->children[0].type, false));
			TRY(append_random(e->children[1], &e->type->children[1].type, true));
			TRY(tarn_array_struct_end(e, true));
		}
		return tarn_array_list_end(a, true);
	}
	case TARN_T_STRUCT: {
		if (is_union_shape(t)) {
			int k = (int)(rnd() % (uint64_t)(t->n_children - 1));
			TRY(tarn_array_append_int(a->children[0], k));
			for (int i = 1; i < t->n_children; i++) {
				if (i == k + 1)
					TRY(append_random(a->children[i], &t->children[i].type, true));
				else
					TRY(tarn_array_append_null(a->children[i]));
			}
			return tarn_array_struct_end(a, true);
		}
		for (int i = 0; i < t->n_children; i++)
			TRY(append_random(a->children[i], &t->children[i].type, t->children[i].nullable));
		return tarn_array_struct_end(a, true);
	}
	default: return tarn_array_append_null(a);
	}
}

static struct tarn_schema *make_schema(const char *const *names, const char *const *types, int n)
{
	struct tarn_schema *s;
	if (tarn_schema_new(n, &s))
		abort();
	for (int i = 0; i < n; i++) {
		struct tarn_err err;
		tarn_err_clear(&err);
		if (tarn_field_set_name(&s->fields[i], names[i], strlen(names[i])) ||
		    tarn_type_parse(types[i], &s->fields[i].type, &err)) {
			fprintf(stderr, "bad type %s: %s\n", types[i], err.msg);
			abort();
		}
		s->fields[i].nullable = true;
	}
	return s;
}

static struct tarn_batch *random_batch(struct tarn_schema *s, int64_t rows)
{
	struct tarn_batch *b;
	if (tarn_batch_new(s, rows, &b))
		abort();
	for (int64_t r = 0; r < rows; r++)
		for (int c = 0; c < s->n_fields; c++)
			if (append_random(b->cols[c], &s->fields[c].type, true))
				abort();
	struct tarn_err err;
	tarn_err_clear(&err);
	if (tarn_batch_seal(b, &err))
		abort();
	return b;
}

/* Writes batches to memory as ORC with writer options "k=v;k=v";
 * returns the bytes (caller frees) or NULL with err set. */
static uint8_t *write_orc(struct tarn_schema *s, struct tarn_batch **bs, int nb, const char *opts,
			  size_t *n, struct tarn_err *err)
{
	struct tarn_output *out;
	if (tarn_output_open_mem(&out, err))
		return NULL;
	struct tarn_opts *o;
	if (tarn_opts_new(&o)) {
		tarn_output_close(out);
		tarn_err_set(err, TARN_ENOMEM, "options");
		return NULL;
	}
	if (opts) {
		char tmp[512];
		snprintf(tmp, sizeof tmp, "%s", opts);
		for (char *save = NULL, *kv = strtok_r(tmp, ";", &save); kv; kv = strtok_r(NULL, ";", &save))
			if (tarn_opts_parse(o, kv, err)) {
				tarn_opts_free(o);
				tarn_output_close(out);
				return NULL;
			}
	}
	struct tarn_writer *w;
	tarn_rc rc = tarn_writer_open_output(out, &tarn_format_orc, s, o, &w, err);
	tarn_opts_free(o);
	if (rc)
		return NULL;
	for (int i = 0; i < nb && !rc; i++)
		rc = tarn_writer_write(w, bs[i], err);
	if (!rc)
		rc = tarn_writer_finish(w, err);
	uint8_t *copy = NULL;
	if (!rc) {
		size_t len;
		const uint8_t *p = tarn_output_mem(w->out, &len);
		copy = malloc(len ? len : 1);
		memcpy(copy, p, len);
		*n = len;
	}
	tarn_writer_close(w);
	return copy;
}

/* Reads ORC bytes back; every batch validated and appended to *rows (one
 * text line per row, tarn's JSON spelling). */
static tarn_rc read_orc_text(const uint8_t *p, size_t n, const char *opts, struct tarn_buf *rows,
			     int64_t *count, struct tarn_err *err)
{
	struct tarn_input *in;
	TRY(tarn_input_open_mem(p, n, "mem.orc", &in, err));
	struct tarn_opts *o;
	if (tarn_opts_new(&o))
		abort();
	if (opts) {
		char tmp[512];
		snprintf(tmp, sizeof tmp, "%s", opts);
		for (char *save = NULL, *kv = strtok_r(tmp, ";", &save); kv; kv = strtok_r(NULL, ";", &save))
			if (tarn_opts_parse(o, kv, err))
				abort();
	}
	struct tarn_reader *r;
	tarn_rc rc = tarn_reader_open_input(in, &tarn_format_orc, o, &r, err);
	tarn_opts_free(o);
	if (rc)
		return rc;
	*count = 0;
	for (;;) {
		struct tarn_batch *b;
		rc = tarn_reader_next(r, &b, err);
		if (rc || !b)
			break;
		for (int c = 0; c < b->n_cols && !rc; c++)
			rc = tarn_array_validate(b->cols[c], true, err);
		for (int64_t i = 0; i < b->n_rows && !rc; i++) {
			for (int c = 0; c < b->n_cols; c++) {
				if (c)
					BUF_PUTC(rows, '\t');
				if (tarn_array_is_null(b->cols[c], i))
					BUF_APPEND(rows, "null", 4);
				else if (tarn_value_to_text(b->cols[c], i, true, rows))
					abort();
			}
			BUF_PUTC(rows, '\n');
		}
		*count += b->n_rows;
		tarn_batch_free(b);
		if (rc)
			break;
	}
	tarn_reader_close(r);
	return rc;
}

/* The same rows as read back, from the batches written: types the writer
 * widens are spelled as the reader gives them back. */
static void batch_text(const struct tarn_batch *b, struct tarn_buf *rows)
{
	for (int64_t i = 0; i < b->n_rows; i++) {
		for (int c = 0; c < b->n_cols; c++) {
			const struct tarn_array *a = b->cols[c];
			if (c)
				BUF_PUTC(rows, '\t');
			if (tarn_array_is_null(a, i) || a->type->id == TARN_T_NULL)
				BUF_APPEND(rows, "null", 4);
			else if (a->type->id == TARN_T_TIME64)
				BUF_PRINTF(rows, "%" PRId64, tarn_array_get_int(a, i));
			else if (a->type->id == TARN_T_UINT64) {
				BUF_PRINTF(rows, "%" PRIu64, tarn_array_get_uint(a, i));
			} else if (tarn_value_to_text(a, i, true, rows))
				abort();
		}
		BUF_PUTC(rows, '\n');
	}
}

static const char *const all_names[] = {
	"b", "i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64", "f32", "f64", "dec", "dec38",
	"s", "bin", "d", "t", "ts_s", "ts_ms", "ts_us", "ts_ns", "tsz", "lst", "st", "mp", "un",
	"nul", "deep",
};
static const char *const all_types[] = {
	"bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
	"float32", "float64", "decimal(10,3)", "decimal(38,10)", "string", "binary", "date",
	"time64[us]", "timestamp[s]", "timestamp[ms]", "timestamp[us]", "timestamp[ns]",
	"timestamp[us, UTC]", "list<int64>", "struct<a: int32, b: string, c: list<date>>",
	"map<string, float64>", "struct<tag: int8, field0: int64, field1: string, field2: list<int16>>",
	"null", "list<struct<x: map<string, list<decimal(5,2)>>, y: bool>>",
};
#define N_ALL ((int)(sizeof all_names / sizeof all_names[0]))

static void roundtrip_case(const char *wopts, const char *ropts, int64_t rows, int nbatches)
{
	struct tarn_schema *s = make_schema(all_names, all_types, N_ALL);
	struct tarn_batch *bs[8];
	struct tarn_buf want, got;
	tarn_buf_init(&want);
	tarn_buf_init(&got);
	for (int i = 0; i < nbatches; i++) {
		bs[i] = random_batch(s, rows);
		batch_text(bs[i], &want);
	}
	struct tarn_err err;
	tarn_err_clear(&err);
	size_t n = 0;
	uint8_t *file = write_orc(s, bs, nbatches, wopts, &n, &err);
	if (!file)
		fprintf(stderr, "write (%s): %s\n", wopts, err.msg);
	REQUIRE(file);
	int64_t count;
	tarn_rc rc = read_orc_text(file, n, ropts, &got, &count, &err);
	if (rc)
		fprintf(stderr, "read (%s): %s\n", wopts, err.msg);
	CHECK(rc == TARN_OK);
	CHECK(count == rows * nbatches);
	char label[200];
	snprintf(label, sizeof label, "roundtrip %s / %s", wopts, ropts ? ropts : "");
	CHECK(compare_lines(label, &got, &want) == 0);
	free(file);
	for (int i = 0; i < nbatches; i++)
		tarn_batch_free(bs[i]);
	tarn_schema_unref(s);
	tarn_buf_free(&want);
	tarn_buf_free(&got);
}

TEST(roundtrip_types_codecs)
{
	static const char *const codecs[] = { "none", "zlib", "snappy", "lz4", "zstd", "brotli" };
	for (int c = 0; c < 6; c++) {
		char o[200];
		snprintf(o, sizeof o, "compression=%s;row-index-stride=100;compression-block-size=4096",
			 codecs[c]);
		roundtrip_case(o, NULL, 1500, 2);
		snprintf(o, sizeof o, "compression=%s;format-version=0.11;stripe-size=20000", codecs[c]);
		roundtrip_case(o, "batch-rows=333", 700, 3);
	}
	/* no index, no dictionaries, every string a dictionary, tiny stripes */
	roundtrip_case("row-index-stride=0;dictionary-key-size-threshold=0", NULL, 3000, 1);
	roundtrip_case("dictionary-key-size-threshold=1;stripe-size=5000;row-index-stride=7", NULL, 2000, 2);
	roundtrip_case("compression=zstd;compression-level=19;unions=true", "batch-rows=1", 50, 1);
}

/* An empty file (no rows) and a schema with no columns. */
TEST(roundtrip_empty)
{
	struct tarn_schema *s = make_schema(all_names, all_types, N_ALL);
	struct tarn_err err;
	tarn_err_clear(&err);
	size_t n;
	uint8_t *file = write_orc(s, NULL, 0, NULL, &n, &err);
	REQUIRE(file);
	struct tarn_buf got;
	tarn_buf_init(&got);
	int64_t count = -1;
	CHECK(read_orc_text(file, n, NULL, &got, &count, &err) == TARN_OK);
	CHECK(count == 0);
	free(file);
	tarn_schema_unref(s);
	tarn_buf_free(&got);
}

TEST(writer_options)
{
	struct tarn_schema *s = make_schema(all_names, all_types, 3);
	struct tarn_err err;
	size_t n;
	static const char *const bad[] = { "compression=lzo", "compression-level=99",
					   "stripe-size=1", "row-index-stride=-1",
					   "dictionary-key-size-threshold=2", "format-version=0.13",
					   "compression-block-size=16M" };
	for (int i = 0; i < 7; i++) {
		tarn_err_clear(&err);
		CHECK(write_orc(s, NULL, 0, bad[i], &n, &err) == NULL);
		CHECK(err.rc == TARN_EUSAGE);
	}
	tarn_schema_unref(s);
}

/* ---- structure: an independent walk of tarn's files against the spec -----------------------
 * Its own protobuf reading and decompression (not orc_proto.c / orc_codec.c),
 * so a bug shared by tarn's writer and reader cannot hide here. */

struct msg {
	const uint8_t *p, *end;
	bool bad;
};

static uint64_t m_varint(struct msg *m)
{
	uint64_t v = 0;
	for (int s = 0; s < 64; s += 7) {
		if (m->p >= m->end) {
			m->bad = true;
			return 0;
		}
		uint8_t b = *m->p++;
		v |= (uint64_t)(b & 0x7f) << s;
		if (!(b & 0x80))
			return v;
	}
	m->bad = true;
	return 0;
}

/* Next field: number, wire type, varint value or sub-message. */
static bool m_next(struct msg *m, int *f, uint64_t *v, struct msg *sub)
{
	if (m->bad || m->p >= m->end)
		return false;
	uint64_t k = m_varint(m);
	*f = (int)(k >> 3);
	switch (k & 7) {
	case 0: *v = m_varint(m); break;
	case 1: *v = 0; m->p += 8; break;
	case 2: {
		uint64_t n = m_varint(m);
		if (n > (uint64_t)(m->end - m->p)) {
			m->bad = true;
			return false;
		}
		sub->p = m->p;
		sub->end = m->p + n;
		sub->bad = false;
		*v = n;
		m->p += n;
		break;
	}
	case 5: *v = 0; m->p += 4; break;
	default: m->bad = true; return false;
	}
	return !m->bad && m->p <= m->end;
}

/* Decompresses an ORC section (3-byte chunk headers) with the codec
 * libraries directly. */
static bool section(int codec, const uint8_t *p, size_t n, struct tarn_buf *out)
{
	out->len = 0;
	if (codec == 0)
		return tarn_buf_append(out, p, n) == TARN_OK;
	size_t i = 0;
	while (i < n) {
		if (n - i < 3)
			return false;
		uint32_t h = p[i] | (uint32_t)p[i + 1] << 8 | (uint32_t)p[i + 2] << 16;
		size_t len = h >> 1;
		i += 3;
		if (len > n - i)
			return false;
		if (h & 1) {
			if (tarn_buf_append(out, p + i, len))
				return false;
		} else {
			if (tarn_buf_reserve(out, 1 << 22))
				return false;
			uLongf got = 1 << 22;
			if (codec == 1) {
				z_stream z;
				memset(&z, 0, sizeof z);
				if (inflateInit2(&z, -15) != Z_OK)
					return false;
				z.next_in = (Bytef *)(p + i);
				z.avail_in = (uInt)len;
				z.next_out = (Bytef *)out->data + out->len;
				z.avail_out = 1 << 22;
				int r = inflate(&z, Z_FINISH);
				got = (1 << 22) - z.avail_out;
				inflateEnd(&z);
				if (r != Z_STREAM_END)
					return false;
			} else {
				/* other codecs: checked through tarn's reader (roundtrip tests) */
				return false;
			}
			out->len += got;
		}
		i += len;
	}
	return true;
}

/* Positions a row index entry holds for column kind k, encoding enc, with
 * or without PRESENT, compressed or not (ORCv1.md "Row Group Index"). */
static int expected_positions(int kind, int enc, bool present, bool compressed)
{
	int raw = compressed ? 2 : 1, rle = raw + 1, boolp = raw + 2;
	int n = present ? boolp : 0;
	switch (kind) {
	case ORC_BOOLEAN: return n + boolp;
	case ORC_BYTE:
	case ORC_UNION:
	case ORC_SHORT:
	case ORC_INT:
	case ORC_LONG:
	case ORC_DATE:
	case ORC_LIST:
	case ORC_MAP: return n + rle;
	case ORC_FLOAT:
	case ORC_DOUBLE: return n + raw;
	case ORC_STRING:
	case ORC_BINARY:
		return n + (enc == ORC_E_DICTIONARY || enc == ORC_E_DICTIONARY_V2 ? rle : raw + rle);
	case ORC_TIMESTAMP:
	case ORC_TIMESTAMP_INSTANT: return n + 2 * rle;
	case ORC_DECIMAL: return n + raw + rle;
	default: return n;
	}
}

/* Checks a whole file; codec 0 (none) or 1 (zlib). */
static void check_structure(const uint8_t *f, size_t n, int codec, uint64_t stride, int64_t rows)
{
	REQUIRE(n > 4 && memcmp(f, "ORC", 3) == 0);
	size_t pl = f[n - 1];
	REQUIRE(pl > 0 && pl < n - 4);
	struct msg ps = { f + n - 1 - pl, f + n - 1, false }, sub;
	int fld;
	uint64_t v, footer_len = 0, meta_len = 0, comp = 99, block = 0;
	bool magic = false, version = false;
	while (m_next(&ps, &fld, &v, &sub)) {
		if (fld == 1) footer_len = v;
		if (fld == 2) comp = v;
		if (fld == 3) block = v;
		if (fld == 5) meta_len = v;
		if (fld == 4) version = v == 2 && sub.p[0] == 0 && (sub.p[1] == 12 || sub.p[1] == 11);
		if (fld == 8000) magic = v == 3 && memcmp(sub.p, "ORC", 3) == 0;
	}
	CHECK(!ps.bad && magic && version);
	CHECK(comp == (uint64_t)codec);
	CHECK(codec == 0 || block > 0);
	REQUIRE(footer_len + meta_len + pl + 1 + 3 <= n);
	size_t footer_at = n - 1 - pl - footer_len, meta_at = footer_at - meta_len;
	struct tarn_buf fb, mb, sb, ib;
	tarn_buf_init(&fb);
	tarn_buf_init(&mb);
	tarn_buf_init(&sb);
	tarn_buf_init(&ib);
	REQUIRE(section(codec, f + footer_at, footer_len, &fb));
	REQUIRE(section(codec, f + meta_at, meta_len, &mb));
	/* Footer */
	struct msg ft = { (const uint8_t *)fb.data, (const uint8_t *)fb.data + fb.len, false };
	uint64_t header = 0, content = 0, nrows = 0, fstride = 0;
	int ntypes = 0, nstats = 0, nstripes = 0;
	int kinds[256];
	uint64_t next_off = 3, sum_rows = 0;
	struct { uint64_t off, index, data, footer, rows; } st[64];
	while (m_next(&ft, &fld, &v, &sub)) {
		switch (fld) {
		case 1: header = v; break;
		case 2: content = v; break;
		case 3: {
			REQUIRE(nstripes < 64);
			int sf;
			uint64_t sv;
			struct msg ss;
			memset(&st[nstripes], 0, sizeof st[0]);
			while (m_next(&sub, &sf, &sv, &ss)) {
				if (sf == 1) st[nstripes].off = sv;
				if (sf == 2) st[nstripes].index = sv;
				if (sf == 3) st[nstripes].data = sv;
				if (sf == 4) st[nstripes].footer = sv;
				if (sf == 5) st[nstripes].rows = sv;
			}
			CHECK(st[nstripes].off == next_off); /* stripes are contiguous */
			next_off = st[nstripes].off + st[nstripes].index + st[nstripes].data + st[nstripes].footer;
			sum_rows += st[nstripes].rows;
			nstripes++;
			break;
		}
		case 4: {
			int tf;
			uint64_t tv;
			struct msg ts;
			REQUIRE(ntypes < 256);
			kinds[ntypes] = -1;
			while (m_next(&sub, &tf, &tv, &ts))
				if (tf == 1)
					kinds[ntypes] = (int)tv;
			ntypes++;
			break;
		}
		case 6: nrows = v; break;
		case 7: nstats++; break;
		case 8: fstride = v; break;
		default: break;
		}
	}
	CHECK(!ft.bad);
	CHECK(header == 3);
	CHECK(content == next_off && content == meta_at);
	CHECK(nrows == (uint64_t)rows && sum_rows == nrows);
	CHECK(nstats == ntypes);
	CHECK(fstride == stride);
	CHECK(kinds[0] == ORC_STRUCT);
	/* Metadata: one StripeStatistics per stripe, one entry per column;
	 * remember each column's per-stripe value counts and null flags */
	struct msg mt = { (const uint8_t *)mb.data, (const uint8_t *)mb.data + mb.len, false };
	int nss = 0;
	static uint64_t svals[64][256];
	static bool snull[64][256];
	while (m_next(&mt, &fld, &v, &sub)) {
		if (fld != 1)
			continue;
		int c = 0, cf;
		uint64_t cv;
		struct msg cs;
		while (m_next(&sub, &cf, &cv, &cs)) {
			int k;
			uint64_t kv;
			struct msg ks;
			svals[nss][c] = 0;
			snull[nss][c] = false;
			while (m_next(&cs, &k, &kv, &ks)) {
				if (k == 1) svals[nss][c] = kv;
				if (k == 10) snull[nss][c] = kv != 0;
			}
			c++;
		}
		CHECK(c == ntypes);
		nss++;
	}
	CHECK(nss == nstripes);
	/* each stripe */
	for (int s = 0; s < nstripes; s++) {
		REQUIRE(section(codec, f + st[s].off + st[s].index + st[s].data, st[s].footer, &sb));
		struct msg sf = { (const uint8_t *)sb.data, (const uint8_t *)sb.data + sb.len, false };
		uint64_t off = 0, index_bytes = 0;
		bool data_started = false;
		int ne = 0, encs[256];
		bool has[256][7];
		uint64_t at[256][7], len[256][7];
		memset(has, 0, sizeof has);
		bool tz_utc = false;
		while (m_next(&sf, &fld, &v, &sub)) {
			if (fld == 1) {
				int k = -1, col = -1, x;
				uint64_t xv, l = 0;
				struct msg xs;
				while (m_next(&sub, &x, &xv, &xs)) {
					if (x == 1) k = (int)xv;
					if (x == 2) col = (int)xv;
					if (x == 3) l = xv;
				}
				REQUIRE(col >= 0 && col < ntypes && k >= 0 && k <= 6);
				CHECK(!has[col][k]); /* one stream of a kind per column */
				has[col][k] = true;
				at[col][k] = off;
				len[col][k] = l;
				if (k == ORC_S_ROW_INDEX) {
					CHECK(!data_started); /* index streams come first */
					index_bytes += l;
				} else {
					data_started = true;
				}
				off += l;
			} else if (fld == 2) {
				int x;
				uint64_t xv;
				struct msg xs;
				encs[ne] = -1;
				while (m_next(&sub, &x, &xv, &xs))
					if (x == 1)
						encs[ne] = (int)xv;
				ne++;
			} else if (fld == 3) {
				tz_utc = v == 3 && memcmp(sub.p, "UTC", 3) == 0;
			}
		}
		CHECK(!sf.bad);
		CHECK(off == st[s].index + st[s].data);
		CHECK(index_bytes == st[s].index);
		CHECK(ne == ntypes);
		CHECK(tz_utc);
		int64_t groups = stride ? (int64_t)((st[s].rows + stride - 1) / stride) : 0;
		for (int c = 0; c < ntypes; c++) {
			int k = kinds[c], e = encs[c];
			bool dict = e == ORC_E_DICTIONARY || e == ORC_E_DICTIONARY_V2;
			/* PRESENT exactly when the stripe statistics say nulls */
			CHECK(has[c][ORC_S_PRESENT] == snull[s][c]);
			bool need_data = k != ORC_STRUCT && k != ORC_LIST && k != ORC_MAP;
			CHECK(has[c][ORC_S_DATA] == need_data);
			bool need_len = k == ORC_LIST || k == ORC_MAP || k == ORC_STRING || k == ORC_BINARY;
			CHECK(has[c][ORC_S_LENGTH] == need_len);
			CHECK(has[c][ORC_S_DICTIONARY_DATA] == dict);
			bool need_sec = k == ORC_TIMESTAMP || k == ORC_TIMESTAMP_INSTANT || k == ORC_DECIMAL;
			CHECK(has[c][ORC_S_SECONDARY] == need_sec);
			CHECK(!dict || k == ORC_STRING);
			CHECK(has[c][ORC_S_ROW_INDEX] == (stride > 0));
			if (!stride || !has[c][ORC_S_ROW_INDEX])
				continue;
			/* the row index: one entry per row group, positions per
			 * stream, value counts adding up to the stripe's */
			REQUIRE(section(codec, f + st[s].off + at[c][ORC_S_ROW_INDEX], len[c][ORC_S_ROW_INDEX], &ib));
			struct msg ri = { (const uint8_t *)ib.data, (const uint8_t *)ib.data + ib.len, false };
			int64_t entries = 0;
			uint64_t vals = 0;
			while (m_next(&ri, &fld, &v, &sub)) {
				entries++;
				int x;
				uint64_t xv;
				struct msg xs;
				int npos = 0;
				while (m_next(&sub, &x, &xv, &xs)) {
					if (x == 1) {
						while (xs.p < xs.end && !xs.bad) {
							(void)m_varint(&xs);
							npos++;
						}
					} else if (x == 2) {
						int y;
						uint64_t yv;
						struct msg ys;
						while (m_next(&xs, &y, &yv, &ys))
							if (y == 1)
								vals += yv;
					}
				}
				CHECK(npos == expected_positions(k, e, has[c][ORC_S_PRESENT], codec != 0));
			}
			CHECK(!ri.bad);
			CHECK(entries == groups);
			CHECK(vals == svals[s][c]);
		}
	}
	tarn_buf_free(&fb);
	tarn_buf_free(&mb);
	tarn_buf_free(&sb);
	tarn_buf_free(&ib);
}

TEST(structure)
{
	struct tarn_schema *s = make_schema(all_names, all_types, N_ALL);
	struct tarn_batch *bs[3] = { random_batch(s, 2500), random_batch(s, 2500), random_batch(s, 17) };
	static const char *const opts[] = {
		"compression=none;row-index-stride=1000;stripe-size=200000",
		"compression=zlib;row-index-stride=333;compression-block-size=8192",
		"compression=zlib;row-index-stride=0",
		"compression=none;format-version=0.11;row-index-stride=64;dictionary-key-size-threshold=1",
	};
	static const uint64_t strides[] = { 1000, 333, 0, 64 };
	for (int i = 0; i < 4; i++) {
		struct tarn_err err;
		tarn_err_clear(&err);
		size_t n;
		uint8_t *file = write_orc(s, bs, 3, opts[i], &n, &err);
		REQUIRE(file);
		check_structure(file, n, strstr(opts[i], "zlib") ? 1 : 0, strides[i], 5017);
		free(file);
	}
	for (int i = 0; i < 3; i++)
		tarn_batch_free(bs[i]);
	tarn_schema_unref(s);
}

/* ---- pruning ------------------------------------------------------------------------------ */

struct rowset {
	struct tarn_buf text; /* lines */
	int64_t *key;         /* int key per row (column key_col) */
	int64_t n, cap;
};

static void rowset_free(struct rowset *r)
{
	tarn_buf_free(&r->text);
	free(r->key);
}

/* Reads a file (path) or bytes, optionally pruned on column with int64 or
 * string bounds; collects each row's text and its int key. */
static tarn_rc read_rows(const char *path, const uint8_t *p, size_t n, const char *opts,
			 const char *col, const struct orc_bound *lo, const struct orc_bound *hi,
			 int key_col, struct rowset *out, int *sk, int *st, int64_t *gk, int64_t *gt,
			 struct tarn_err *err)
{
	memset(out, 0, sizeof *out);
	tarn_buf_init(&out->text);
	struct tarn_input *in;
	if (path)
		TRY(tarn_input_open(path, &in, err));
	else
		TRY(tarn_input_open_mem(p, n, "mem.orc", &in, err));
	struct tarn_opts *o;
	if (tarn_opts_new(&o))
		abort();
	if (opts && tarn_opts_parse(o, opts, err))
		abort();
	struct tarn_reader *r;
	tarn_rc rc = tarn_reader_open_input(in, &tarn_format_orc, o, &r, err);
	tarn_opts_free(o);
	if (rc)
		return rc;
	if (col)
		rc = orc_reader_prune(r, col, lo, hi, err);
	for (; !rc;) {
		struct tarn_batch *b;
		rc = tarn_reader_next(r, &b, err);
		if (rc || !b)
			break;
		for (int c = 0; c < b->n_cols && !rc; c++)
			rc = tarn_array_validate(b->cols[c], true, err);
		for (int64_t i = 0; i < b->n_rows; i++) {
			print_row(&out->text, b, i, false);
			BUF_PUTC(&out->text, '\n');
			if (out->n == out->cap) {
				out->cap = out->cap ? out->cap * 2 : 1024;
				out->key = realloc(out->key, (size_t)out->cap * sizeof *out->key);
			}
			const struct tarn_array *ka = b->cols[key_col];
			out->key[out->n++] = tarn_array_is_null(ka, i) ? INT64_MIN
					     : ka->type->id == TARN_T_STRING ? 0
									  : tarn_array_get_int(ka, i);
		}
		tarn_batch_free(b);
	}
	if (sk)
		orc_reader_prune_counts(r, sk, st, gk, gt);
	tarn_reader_close(r);
	return rc;
}

/* The pruned lines are a subsequence of the full ones and contain every
 * full row whose key is in [lo, hi]. */
static void check_subset(const struct rowset *full, const struct rowset *part, int64_t lo, int64_t hi)
{
	const char *f = full->text.data ? full->text.data : "", *fe = f + full->text.len;
	const char *q = part->text.data ? part->text.data : "", *qe = q + part->text.len;
	int64_t fi = 0, matched = 0;
	int64_t want = 0;
	for (int64_t i = 0; i < full->n; i++)
		want += full->key[i] >= lo && full->key[i] <= hi;
	for (int64_t pi = 0; pi < part->n; pi++) {
		const char *qn = memchr(q, '\n', (size_t)(qe - q));
		size_t ql = (size_t)(qn - q);
		bool found = false;
		while (f < fe) {
			const char *fn = memchr(f, '\n', (size_t)(fe - f));
			size_t fl = (size_t)(fn - f);
			bool same = fl == ql && memcmp(f, q, ql) == 0;
			f = fn + 1;
			fi++;
			if (same) {
				found = true;
				break;
			}
		}
		CHECK(found);
		if (!found)
			return;
		matched += part->key[pi] >= lo && part->key[pi] <= hi;
		q = qn + 1;
	}
	CHECK(matched == want);
}

static void prune_case(const uint8_t *file, size_t n, const char *col, int64_t lo, int64_t hi,
		       int key_col, int64_t max_rows)
{
	struct tarn_err err;
	tarn_err_clear(&err);
	struct rowset full, part;
	REQUIRE(read_rows(NULL, file, n, NULL, NULL, NULL, NULL, key_col, &full, NULL, NULL, NULL,
			  NULL, &err) == TARN_OK);
	struct orc_bound l = { &lo, 8 }, h = { &hi, 8 };
	int sk, st;
	int64_t gk, gt;
	tarn_rc rc = read_rows(NULL, file, n, NULL, col, &l, &h, key_col, &part, &sk, &st, &gk, &gt, &err);
	if (rc)
		fprintf(stderr, "prune %s: %s\n", col, err.msg);
	CHECK(rc == TARN_OK);
	check_subset(&full, &part, lo, hi);
	CHECK(part.n <= max_rows);
	rowset_free(&full);
	rowset_free(&part);
}

TEST(prune_written)
{
	/* k: 0..N-1 in order (stripe and group statistics cut sharply);
	 * m: the row group's number mod 3, so a [1,1] bound keeps every
	 * third group and the reader seeks over the others; nested and
	 * string columns ride along to be positioned too */
	static const char *const names[] = { "k", "m", "s", "lst", "st", "f", "b", "ts", "dec", "un" };
	static const char *const types[] = {
		"int64", "int32", "string", "list<string>", "struct<a: int16, b: list<float64>>",
		"float32", "bool", "timestamp[us]", "decimal(12,2)",
		"struct<tag: int8, field0: int64, field1: string>",
	};
	struct tarn_schema *sc = make_schema(names, types, 10);
	int64_t rows = 20000;
	struct tarn_batch *b = random_batch(sc, rows);
	for (int64_t i = 0; i < rows; i++) {
		((int64_t *)b->cols[0]->values)[i] = i;
		((int32_t *)b->cols[1]->values)[i] = (int32_t)((i / 500) % 3);
	}
	/* keys never null */
	for (int c = 0; c < 2; c++) {
		tarn_free_aligned(b->cols[c]->validity);
		b->cols[c]->validity = NULL;
		b->cols[c]->null_count = 0;
	}
	static const char *const opts[] = {
		"compression=none;row-index-stride=500;stripe-size=60000",
		"compression=zstd;row-index-stride=500;stripe-size=60000;compression-block-size=2048",
		"compression=zlib;row-index-stride=500;format-version=0.11;stripe-size=100000",
		"compression=snappy;row-index-stride=500;dictionary-key-size-threshold=1",
	};
	for (int i = 0; i < 4; i++) {
		struct tarn_err err;
		tarn_err_clear(&err);
		size_t n;
		uint8_t *file = write_orc(sc, &b, 1, opts[i], &n, &err);
		REQUIRE(file);
		prune_case(file, n, "k", 4500, 4600, 0, 500);   /* one row group */
		prune_case(file, n, "k", 4499, 5001, 0, 1500);  /* three */
		prune_case(file, n, "k", -10, -1, 0, 0);        /* nothing */
		prune_case(file, n, "k", 19990, 30000, 0, 500); /* the last group */
		/* m = 1: every third group, each read after a seek */
		struct tarn_err e2;
		tarn_err_clear(&e2);
		struct rowset full, part;
		REQUIRE(read_rows(NULL, file, n, NULL, NULL, NULL, NULL, 1, &full, NULL, NULL, NULL, NULL,
				  &e2) == TARN_OK);
		int32_t one = 1;
		struct orc_bound l = { &one, 4 };
		int sk, st;
		int64_t gk, gt;
		tarn_rc rc = read_rows(NULL, file, n, NULL, "m", &l, &l, 1, &part, &sk, &st, &gk, &gt, &e2);
		if (rc)
			fprintf(stderr, "prune m (%s): %s\n", opts[i], e2.msg);
		CHECK(rc == TARN_OK);
		check_subset(&full, &part, 1, 1);
		CHECK(gt == 40 && gk == 13);
		CHECK(part.n == 13 * 500);
		rowset_free(&full);
		rowset_free(&part);
		/* the nested field st.a and a string bound */
		int16_t a = 5;
		struct orc_bound la = { &a, 2 };
		tarn_err_clear(&e2);
		CHECK(read_rows(NULL, file, n, NULL, "st.a", &la, &la, 0, &part, NULL, NULL, NULL, NULL,
				&e2) == TARN_OK);
		rowset_free(&part);
		struct orc_bound ls = { "orc", 3 };
		CHECK(read_rows(NULL, file, n, NULL, "s", &ls, &ls, 0, &part, NULL, NULL, NULL, NULL,
				&e2) == TARN_OK);
		CHECK(part.n > 0);
		rowset_free(&part);
		free(file);
	}
	tarn_batch_free(b);
	tarn_schema_unref(sc);
}

TEST(prune_corpus)
{
	/* Java-written row indexes: testPredicatePushdown (int1 = 300 * row,
	 * stride 1000, uncompressed); orc_index_int_string (zlib, stride 2000) */
	char path[1024];
	snprintf(path, sizeof path, "%s/TestOrcFile.testPredicatePushdown.orc", examples_dir());
	struct stat sst;
	if (stat(path, &sst) != 0) {
		printf("  skip: corpus not found\n");
		return;
	}
	struct tarn_err err;
	tarn_err_clear(&err);
	struct rowset full, part;
	REQUIRE(read_rows(path, NULL, 0, NULL, NULL, NULL, NULL, 0, &full, NULL, NULL, NULL, NULL, &err) ==
		TARN_OK);
	int32_t lo = 300 * 1500, hi = 300 * 1600;
	struct orc_bound l = { &lo, 4 }, h = { &hi, 4 };
	int sk, st;
	int64_t gk, gt;
	REQUIRE(read_rows(path, NULL, 0, NULL, "int1", &l, &h, 0, &part, &sk, &st, &gk, &gt, &err) ==
		TARN_OK);
	check_subset(&full, &part, lo, hi);
	CHECK(part.n == 1000 && gk == 1 && gt == 4);
	rowset_free(&part);
	/* with the projection to string1 only: the pruning column is not read */
	lo = 300 * 3100;
	hi = 300 * 3499;
	REQUIRE(read_rows(path, NULL, 0, "columns=string1", "int1", &l, &h, 0, &part, &sk, &st, &gk, &gt,
			  &err) == TARN_OK);
	CHECK(part.n == 500);
	rowset_free(&part);
	rowset_free(&full);
	snprintf(path, sizeof path, "%s/orc_index_int_string.orc", examples_dir());
	REQUIRE(read_rows(path, NULL, 0, NULL, NULL, NULL, NULL, 0, &full, NULL, NULL, NULL, NULL, &err) ==
		TARN_OK);
	lo = 2500;
	hi = 4100;
	REQUIRE(read_rows(path, NULL, 0, NULL, "_col0", &l, &h, 0, &part, &sk, &st, &gk, &gt, &err) ==
		TARN_OK);
	check_subset(&full, &part, lo, hi);
	CHECK(part.n == 4000 && gk == 2 && gt == 3);
	rowset_free(&part);
	rowset_free(&full);
	/* misuse */
	struct tarn_reader *r;
	REQUIRE(open_reader(path, NULL, &r, &err) == TARN_OK);
	CHECK(orc_reader_prune(r, "nope", &l, &h, &err) == TARN_ENOTFOUND);
	CHECK(orc_reader_prune(r, "_col0", &l, &h, NULL) == TARN_OK);
	CHECK(orc_reader_prune(r, "_col0", &l, &h, NULL) == TARN_EUSAGE);
	tarn_reader_close(r);
	/* narrowing: the first call prunes; a second range that no stripe
	 * meets leaves nothing to read */
	REQUIRE(open_reader(path, NULL, &r, &err) == TARN_OK);
	CHECK(orc_reader_narrow(r, "_col0", &l, &h, &err) == TARN_OK);
	int32_t far = 2000000000;
	struct orc_bound fl = { &far, 4 };
	CHECK(orc_reader_narrow(r, "nope", &fl, NULL, &err) == TARN_ENOTFOUND);
	CHECK(orc_reader_narrow(r, "_col0", &fl, NULL, &err) == TARN_OK);
	orc_reader_prune_counts(r, &sk, &st, &gk, &gt);
	CHECK(sk == 0 && st >= 1);
	struct tarn_batch *b = NULL;
	CHECK(tarn_reader_next(r, &b, &err) == TARN_OK && b == NULL);
	tarn_batch_free(b);
	CHECK(orc_reader_narrow(r, "_col0", &fl, NULL, &err) == TARN_EUSAGE); /* started */
	tarn_reader_close(r);
}

TEST(timezones)
{
	const char *why = NULL;
	struct orc_tz *tz;
	if (orc_tz_load("America/Los_Angeles", &tz, &why) != TARN_OK) {
		printf("  skip: no tz database (%s)\n", why);
		return;
	}
	CHECK(orc_tz_offset(tz, 1688169600) == -7 * 3600);  /* 2023-07-01: PDT */
	CHECK(orc_tz_offset(tz, 1672531200) == -8 * 3600);  /* 2023-01-01: PST */
	CHECK(orc_tz_offset(tz, 2539728000LL) == -7 * 3600); /* 2050-06-25: the POSIX rule */
	CHECK(orc_tz_offset(tz, 2556057600LL) == -8 * 3600); /* 2051-01-01 */
	CHECK(orc_tz_offset(tz, -2208988800LL) == -8 * 3600); /* 1900-01-01 */
	/* 2024-03-10 10:00 UTC is 03:00 PDT, just after the change */
	CHECK(orc_tz_offset(tz, 1710064800) == -7 * 3600);
	CHECK(orc_tz_offset(tz, 1710064800 - 1) == -8 * 3600);
	orc_tz_free(tz);
	REQUIRE(orc_tz_load("Australia/Sydney", &tz, &why) == TARN_OK);
	CHECK(orc_tz_offset(tz, 2524608000LL) == 11 * 3600); /* 2050-01-01: southern summer */
	CHECK(orc_tz_offset(tz, 2540332800LL) == 10 * 3600); /* 2050-07-01 */
	orc_tz_free(tz);
	REQUIRE(orc_tz_load("GMT+08:00", &tz, &why) == TARN_OK); /* Java's custom id */
	CHECK(orc_tz_offset(tz, 0) == 8 * 3600);
	orc_tz_free(tz);
	REQUIRE(orc_tz_load("UTC", &tz, &why) == TARN_OK);
	CHECK(orc_tz_is_utc(tz) && orc_tz_offset(tz, 123) == 0);
	orc_tz_free(tz);
	CHECK(orc_tz_load("Nowhere/Atlantis", &tz, &why) == TARN_ENOTFOUND);
	CHECK(orc_tz_load("../../etc/passwd", &tz, &why) == TARN_ENOTFOUND);
}

/* Reads ORC bytes to the end, counting rows (no allocation of its own). */
static tarn_rc read_count(const uint8_t *p, size_t n, int64_t *count, struct tarn_err *err)
{
	struct tarn_input *in;
	TRY(tarn_input_open_mem(p, n, "mem.orc", &in, err));
	struct tarn_reader *r;
	TRY(tarn_reader_open_input(in, &tarn_format_orc, NULL, &r, err));
	tarn_rc rc;
	*count = 0;
	for (;;) {
		struct tarn_batch *b;
		rc = tarn_reader_next(r, &b, err);
		if (rc || !b)
			break;
		*count += b->n_rows;
		tarn_batch_free(b);
	}
	tarn_reader_close(r);
	return rc;
}

/* Every allocation of a write and a read failing in turn: an error (never
 * a crash or a leak; ASan checks the latter), and success once there are
 * enough. */
TEST(alloc_failures)
{
	static const char *const names[] = { "a", "s", "l", "u" };
	static const char *const types[] = { "int64", "string", "list<struct<x: decimal(9,2)>>",
					     "struct<tag: int8, field0: int32, field1: string>" };
	struct tarn_schema *s = make_schema(names, types, 4);
	struct tarn_batch *b = random_batch(s, 300);
	struct tarn_err err;
	size_t n = 0;
	uint8_t *good = write_orc(s, &b, 1, "row-index-stride=50;compression=zlib", &n, &err);
	REQUIRE(good);
	bool write_ok = false, read_ok = false;
	for (int64_t k = 0; k < 5000 && !(write_ok && read_ok); k++) {
		tarn_err_clear(&err);
		size_t m;
		if (!write_ok) {
			tarn_mem_fail_after(k);
			uint8_t *f = write_orc(s, &b, 1, "row-index-stride=50;compression=zlib", &m, &err);
			tarn_mem_fail_after(-1);
			if (f)
				write_ok = true;
			else
				CHECK(err.rc == TARN_ENOMEM || err.rc == TARN_ELIMIT || err.rc == TARN_EIO);
			free(f);
		}
		if (!read_ok) {
			struct tarn_buf got;
			tarn_buf_init(&got);
			int64_t count = 0;
			tarn_err_clear(&err);
			tarn_mem_fail_after(k);
			tarn_rc rc = read_count(good, n, &count, &err);
			tarn_mem_fail_after(-1);
			if (rc == TARN_OK) {
				read_ok = true;
				CHECK(count == 300);
			} else {
				if (rc != TARN_ENOMEM && rc != TARN_ELIMIT)
					fprintf(stderr, "alloc %lld: %s\n", (long long)k, err.msg);
				CHECK(rc == TARN_ENOMEM || rc == TARN_ELIMIT);
			}
			tarn_buf_free(&got);
		}
	}
	CHECK(write_ok && read_ok);
	free(good);
	tarn_batch_free(b);
	tarn_schema_unref(s);
}

int main(void)
{
	RUN(corpus);
	RUN(corrupt);
	RUN(rle_spec_examples);
	RUN(rle_roundtrip);
	RUN(rle_bad_input);
	RUN(roundtrip_types_codecs);
	RUN(roundtrip_empty);
	RUN(writer_options);
	RUN(structure);
	RUN(prune_written);
	RUN(prune_corpus);
	RUN(timezones);
	RUN(alloc_failures);
	return unit_done();
}
