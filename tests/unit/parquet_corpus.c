/*
 * parquet_corpus.c — every file of the apache/parquet-testing corpus, read by
 * tarn and compared with DuckDB's reading of the same file.
 *
 * The corpus is found at $PARQUET_TESTING_DIR, else ../shared/corpus/
 * parquet-testing (relative to the repository root, where tests run). Every
 * file under data/ and bad_data/ whose name contains ".parquet" is checked,
 * so new corpus files are picked up without editing this test:
 *
 *   data/…*.parquet          read equal to DuckDB (tests/peers/duckdb_dump.mjs
 *                            writes DuckDB's rows in the canonical form
 *                            below), and again with 3-row batches (row and
 *                            page boundaries inside batches) equal to that
 *   data/…*.encrypted        fail with "encrypted Parquet is not supported yet"
 *   bad_data/…               fail with a clear error (never crash), unless
 *                            listed in `valid_bad_data` (then read = DuckDB)
 *
 * Where DuckDB cannot serve as the reference (it errors, or is wrong), the
 * `references` table below names another reference and says why. Files tarn
 * cannot read yet are in `known_unsupported` with the reason; they are
 * printed on every run and do not fail the test (one that starts passing is
 * reported so the entry can go). Any other difference is a failure.
 *
 * Canonical row form: see tests/peers/duckdb_dump.mjs.
 */
#include <dirent.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "columnar/array.h"
#include "formats/format.h"
#include "tarn.h"
#include "unit.h"

/* ---- what is expected where DuckDB is not the reference ----------------------------- */

struct known {
	const char *name;
	const char *reason;
};

static const struct known known_unsupported[] = {
	{ "large_string_map.brotli.parquet",
	  "two 1 GiB strings in one dictionary page: tarn's string arrays hold at most 2 GiB "
	  "(int32 offsets) and pages are capped at 1 GiB" },
	{ NULL, NULL },
};

/* bad_data files that are valid Parquet after all: read them like data. */
static const struct known valid_bad_data[] = {
	{ "ARROW-GH-43605.parquet",
	  "dictionary indices with bit width 0 are valid when the dictionary has one entry; "
	  "DuckDB and Arrow read it" },
	{ NULL, NULL },
};

enum ref_kind { REF_TWIN, REF_ROWS, REF_SELF_PAIRS, REF_ERROR };

struct reference {
	const char *name;
	enum ref_kind kind;
	const char *arg;     /* twin file name, expected rows, or expected error text */
	const char *options; /* reader options for tarn, "k=v;k=v" */
	const char *why;
};

static const struct reference references[] = {
	{ "hadoop_lz4_compressed.parquet", REF_TWIN, "lz4_raw_compressed.parquet", NULL,
	  "DuckDB lacks the Hadoop LZ4 codec; same rows as the LZ4_RAW file" },
	{ "hadoop_lz4_compressed_larger.parquet", REF_TWIN, "lz4_raw_compressed_larger.parquet",
	  NULL, "DuckDB lacks the Hadoop LZ4 codec; same rows as the LZ4_RAW file" },
	{ "non_hadoop_lz4_compressed.parquet", REF_TWIN, "lz4_raw_compressed.parquet", NULL,
	  "DuckDB lacks the LZ4 codec; same rows as the LZ4_RAW file" },
	{ "byte_stream_split_extended.gzip.parquet", REF_SELF_PAIRS, NULL, NULL,
	  "DuckDB reads BYTE_STREAM_SPLIT only for floats; each *_byte_stream_split column must "
	  "equal its *_plain twin" },
	{ "map_no_value.parquet", REF_ROWS,
	  "[[[1,null],[2,null],[3,null]],[1,2,3],[1,2,3]]\n"
	  "[[[4,null],[5,null],[6,null]],[4,5,6],[4,5,6]]\n"
	  "[[[7,null],[8,null],[9,null]],[7,8,9],[7,8,9]]\n",
	  NULL, "DuckDB rejects a MAP without values; rows from map_no_value.md (keys-only map "
		"read as the list of its keys)" },
	{ "int96_from_spark.parquet", REF_ROWS,
	  "[\"T:1704141296123456000\"]\n[\"T:1704070800000000000\"]\n"
	  "[\"T:253402225200000000000\"]\n[\"T:1735599600000000000\"]\n[null]\n"
	  "[\"T:9089380393200000000000\"]\n",
	  "int96-unit=us",
	  "DuckDB overflows the year-290000 value; rows from int96_from_spark.md, read with "
	  "int96-unit=us (the default ns must refuse that value with a clear error)" },
	{ "datapage_v1-corrupt-checksum.parquet", REF_ERROR, "checksum (CRC-32) mismatch", NULL,
	  "a page's CRC is wrong on purpose: the error must name column and page" },
	{ "rle-dict-uncompressed-corrupt-checksum.parquet", REF_ERROR,
	  "checksum (CRC-32) mismatch", NULL,
	  "a page's CRC is wrong on purpose: the error must name column and page" },
	{ NULL, 0, NULL, NULL, NULL },
};

/* ---- canonical form of tarn's values -------------------------------------------------- */

static void must(tarn_rc rc)
{
	if (rc) {
		fprintf(stderr, "parquet_corpus: out of memory\n");
		exit(1);
	}
}

static void put_json_string(struct tarn_buf *b, const uint8_t *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	must(tarn_buf_putc(b, '"'));
	for (size_t i = 0; i < n; i++) {
		uint8_t c = s[i];
		switch (c) {
		case '"': must(tarn_buf_append(b, "\\\"", 2)); break;
		case '\\': must(tarn_buf_append(b, "\\\\", 2)); break;
		case '\b': must(tarn_buf_append(b, "\\b", 2)); break;
		case '\f': must(tarn_buf_append(b, "\\f", 2)); break;
		case '\n': must(tarn_buf_append(b, "\\n", 2)); break;
		case '\r': must(tarn_buf_append(b, "\\r", 2)); break;
		case '\t': must(tarn_buf_append(b, "\\t", 2)); break;
		default:
			if (c < 0x20) {
				char u[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
				must(tarn_buf_append(b, u, 6));
			} else {
				must(tarn_buf_putc(b, (char)c));
			}
		}
	}
	must(tarn_buf_putc(b, '"'));
}

static void put_i128(struct tarn_buf *b, __int128 v)
{
	char tmp[48];
	int n = 0;
	bool neg = v < 0;
	unsigned __int128 u = neg ? -(unsigned __int128)v : (unsigned __int128)v;
	do {
		tmp[n++] = (char)('0' + (int)(u % 10));
		u /= 10;
	} while (u);
	if (neg)
		must(tarn_buf_putc(b, '-'));
	while (n)
		must(tarn_buf_putc(b, tmp[--n]));
}

static void put_float(struct tarn_buf *b, double d)
{
	if (isnan(d)) {
		must(tarn_buf_append(b, "\"nan\"", 5));
		return;
	}
	uint64_t u;
	memcpy(&u, &d, 8);
	must(tarn_buf_printf(b, "\"f:%016" PRIx64 "\"", u));
}

static const int64_t ns_per[] = { 1000000000LL, 1000000LL, 1000LL, 1LL };

static void canon(struct tarn_buf *b, const struct tarn_array *a, int64_t i)
{
	if (tarn_array_is_null(a, i) || a->type->id == TARN_T_NULL) {
		must(tarn_buf_append(b, "null", 4));
		return;
	}
	const struct tarn_type *t = a->type;
	switch (t->id) {
	case TARN_T_BOOL:
		if (tarn_bit_get(a->values, i))
			must(tarn_buf_append(b, "true", 4));
		else
			must(tarn_buf_append(b, "false", 5));
		return;
	case TARN_T_INT8:
	case TARN_T_INT16:
	case TARN_T_INT32:
	case TARN_T_INT64:
	case TARN_T_UINT8:
	case TARN_T_UINT16:
	case TARN_T_UINT32:
		must(tarn_buf_printf(b, "%" PRId64, tarn_array_get_int(a, i)));
		return;
	case TARN_T_UINT64: must(tarn_buf_printf(b, "%" PRIu64, tarn_array_get_uint(a, i))); return;
	case TARN_T_FLOAT32: put_float(b, ((const float *)a->values)[i]); return;
	case TARN_T_FLOAT64: put_float(b, ((const double *)a->values)[i]); return;
	case TARN_T_DECIMAL128: {
		__int128 v = tarn_array_get_decimal(a, i);
		int s = t->scale;
		while (s > 0 && v != 0 && v % 10 == 0) {
			v /= 10;
			s--;
		}
		if (v == 0)
			s = 0;
		must(tarn_buf_append(b, "\"d:", 3));
		put_i128(b, v);
		must(tarn_buf_printf(b, "/%d\"", s));
		return;
	}
	case TARN_T_STRING: {
		size_t n;
		const uint8_t *p = tarn_array_get_bytes(a, i, &n);
		put_json_string(b, p, n);
		return;
	}
	case TARN_T_BINARY: {
		size_t n;
		const uint8_t *p = tarn_array_get_bytes(a, i, &n);
		must(tarn_buf_append(b, "\"x:", 3));
		for (size_t k = 0; k < n; k++)
			must(tarn_buf_printf(b, "%02x", p[k]));
		must(tarn_buf_putc(b, '"'));
		return;
	}
	case TARN_T_DATE32: must(tarn_buf_printf(b, "\"D:%" PRId64 "\"", tarn_array_get_int(a, i))); return;
	case TARN_T_TIME64:
	case TARN_T_TIMESTAMP: {
		__int128 v = (__int128)tarn_array_get_int(a, i) * ns_per[t->unit];
		must(tarn_buf_append(b, t->id == TARN_T_TIME64 ? "\"t:" : "\"T:", 3));
		put_i128(b, v);
		must(tarn_buf_putc(b, '"'));
		return;
	}
	case TARN_T_LIST: {
		must(tarn_buf_putc(b, '['));
		for (int32_t k = a->offsets[i]; k < a->offsets[i + 1]; k++) {
			if (k > a->offsets[i])
				must(tarn_buf_putc(b, ','));
			canon(b, a->children[0], k);
		}
		must(tarn_buf_putc(b, ']'));
		return;
	}
	case TARN_T_MAP: {
		const struct tarn_array *e = a->children[0];
		must(tarn_buf_putc(b, '['));
		for (int32_t k = a->offsets[i]; k < a->offsets[i + 1]; k++) {
			if (k > a->offsets[i])
				must(tarn_buf_putc(b, ','));
			must(tarn_buf_putc(b, '['));
			canon(b, e->children[0], k);
			must(tarn_buf_putc(b, ','));
			canon(b, e->children[1], k);
			must(tarn_buf_putc(b, ']'));
		}
		must(tarn_buf_putc(b, ']'));
		return;
	}
	case TARN_T_STRUCT: {
		must(tarn_buf_putc(b, '{'));
		for (int c = 0; c < a->n_children; c++) {
			if (c)
				must(tarn_buf_putc(b, ','));
			const char *nm = t->children[c].name;
			put_json_string(b, (const uint8_t *)nm, strlen(nm));
			must(tarn_buf_putc(b, ':'));
			canon(b, a->children[c], i);
		}
		must(tarn_buf_putc(b, '}'));
		return;
	}
	default: must(tarn_buf_append(b, "\"?\"", 3)); return;
	}
}

/* Reads a whole file with tarn into canonical lines. Returns the rc; the
 * error message goes to err. */
static tarn_rc tarn_dump(const char *path, const char *options, int64_t batch_rows,
			 struct tarn_buf *out, struct tarn_err *err)
{
	struct tarn_opts *o = NULL;
	tarn_rc rc = tarn_opts_new(&o);
	if (rc)
		return rc;
	if (options) {
		char tmp[256];
		snprintf(tmp, sizeof tmp, "%s", options);
		for (char *kv = strtok(tmp, ";"); kv; kv = strtok(NULL, ";"))
			if ((rc = tarn_opts_parse(o, kv, err)))
				goto done;
	}
	if (batch_rows > 0) {
		char n[32];
		snprintf(n, sizeof n, "%lld", (long long)batch_rows);
		if ((rc = tarn_opts_set(o, "batch-rows", n)))
			goto done;
	}
	struct tarn_reader *r;
	if ((rc = tarn_reader_open(path, "parquet", o, &r, err)))
		goto done;
	for (;;) {
		struct tarn_batch *bt;
		if ((rc = tarn_reader_next(r, &bt, err)) || !bt)
			break;
		struct tarn_err verr = { 0 };
		for (int c = 0; c < bt->n_cols; c++) {
			if (tarn_array_validate(bt->cols[c], true, &verr)) {
				rc = tarn_err_set(err, TARN_EINTERNAL, "invalid array from the reader: %s",
						  verr.msg);
				break;
			}
		}
		for (int64_t row = 0; row < bt->n_rows && !rc; row++) {
			must(tarn_buf_putc(out, '['));
			for (int c = 0; c < bt->n_cols; c++) {
				if (c)
					must(tarn_buf_putc(out, ','));
				canon(out, bt->cols[c], row);
			}
			must(tarn_buf_append(out, "]\n", 2));
		}
		tarn_batch_free(bt);
		if (rc)
			break;
	}
	tarn_reader_close(r);
done:
	tarn_opts_free(o);
	return rc;
}

/* ---- files --------------------------------------------------------------------------- */

struct file {
	char *path;
	const char *name; /* basename */
	bool bad_data, encrypted;
	int duck; /* index in DuckDB's outputs, or -1 */
	char *canon;         /* tarn's rows when the read passed (for the write phase) */
	const char *options; /* reader options used */
};

static struct file *files;
static int n_files, cap_files;

static int cmp_files(const void *a, const void *b)
{
	return strcmp(((const struct file *)a)->path, ((const struct file *)b)->path);
}

static void walk(const char *dir, bool bad)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char path[4096];
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		struct stat st;
		if (stat(path, &st) != 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			walk(path, bad);
			continue;
		}
		if (!strstr(e->d_name, ".parquet") || strstr(e->d_name, ".json"))
			continue;
		if (n_files == cap_files) {
			cap_files = cap_files ? cap_files * 2 : 64;
			files = realloc(files, (size_t)cap_files * sizeof *files);
		}
		struct file *f = &files[n_files++];
		memset(f, 0, sizeof *f);
		f->path = strdup(path);
		f->name = strrchr(f->path, '/') + 1;
		f->bad_data = bad;
		size_t nl = strlen(e->d_name);
		f->encrypted = nl > 10 && strcmp(e->d_name + nl - 10, ".encrypted") == 0;
	}
	closedir(d);
}

static char *slurp(const char *path)
{
	FILE *fp = fopen(path, "rb");
	if (!fp)
		return NULL;
	fseek(fp, 0, SEEK_END);
	long n = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	char *s = malloc((size_t)n + 1);
	if (s && fread(s, 1, (size_t)n, fp) != (size_t)n) {
		free(s);
		s = NULL;
	}
	if (s)
		s[n] = '\0';
	fclose(fp);
	return s;
}

static const char *lookup(const struct known *k, const char *name)
{
	for (; k->name; k++)
		if (strcmp(k->name, name) == 0)
			return k->reason;
	return NULL;
}

static const struct reference *find_reference(const char *name)
{
	for (const struct reference *r = references; r->name; r++)
		if (strcmp(r->name, name) == 0)
			return r;
	return NULL;
}

static int find_file(const char *name)
{
	for (int i = 0; i < n_files; i++)
		if (strcmp(files[i].name, name) == 0 && !files[i].bad_data)
			return i;
	return -1;
}

/* First line where a and b differ, for the failure message. */
static void show_diff(const char *a, const char *b)
{
	int line = 1;
	while (*a && *b) {
		const char *ea = strchr(a, '\n'), *eb = strchr(b, '\n');
		size_t la = ea ? (size_t)(ea - a) : strlen(a), lb = eb ? (size_t)(eb - b) : strlen(b);
		if (la != lb || memcmp(a, b, la) != 0) {
			fprintf(stderr, "      row %d\n        tarn:   %.*s\n        duckdb: %.*s\n",
				line, (int)(la > 400 ? 400 : la), a, (int)(lb > 400 ? 400 : lb), b);
			return;
		}
		a += la + (ea != NULL);
		b += lb + (eb != NULL);
		line++;
	}
	fprintf(stderr, "      row %d: one side ends (tarn %s, reference %s)\n", line,
		*a ? "has more rows" : "ends", *b ? "has more rows" : "ends");
}

/* byte_stream_split_extended: column 2k+1 must equal column 2k in every
 * row. The canonical line is a JSON array of scalars here, so splitting on
 * commas outside quotes is enough. */
static bool pairs_equal(const char *rows, char *why, size_t cap)
{
	int line = 0;
	for (const char *p = rows; *p;) {
		const char *e = strchr(p, '\n');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		line++;
		char cells[32][96];
		int nc = 0;
		size_t k = 1, start = 1;
		bool q = false;
		for (; k < n; k++) {
			if (p[k] == '"')
				q = !q;
			if (!q && (p[k] == ',' || p[k] == ']')) {
				if (nc < 32)
					snprintf(cells[nc++], sizeof cells[0], "%.*s", (int)(k - start),
						 p + start);
				start = k + 1;
			}
		}
		if (nc % 2 || nc == 0) {
			snprintf(why, cap, "row %d: odd number of columns", line);
			return false;
		}
		for (int c = 0; c < nc; c += 2)
			if (strcmp(cells[c], cells[c + 1]) != 0) {
				snprintf(why, cap, "row %d: column %d is %s but its PLAIN twin is %s",
					 line, c + 1, cells[c + 1], cells[c]);
				return false;
			}
		p += n + (e != NULL);
	}
	if (line == 0) {
		snprintf(why, cap, "no rows");
		return false;
	}
	return true;
}

/* ---- the write phase ---------------------------------------------------------------- */

/* Writer options per file, rotating through codecs, page versions, page and
 * row group sizes and dictionary on/off so the corpus exercises them all. */
static const char *write_options(int k)
{
	static const char *const sets[] = {
		"compression=snappy",
		"compression=zstd;page-version=2;page-size=4096",
		"compression=gzip;compression-level=9;row-group-size=2048",
		"compression=lz4;dictionary=false",
		"compression=brotli;page-version=2;row-group-size=4096;page-size=256",
		"compression=none;dictionary-size=64",
		"compression=zstd;compression-level=19;statistics=false",
	};
	return sets[k % (int)(sizeof sets / sizeof sets[0])];
}

static tarn_rc tarn_copy(const char *src, const char *ropts, const char *dst, const char *wopts,
			 struct tarn_err *err)
{
	struct tarn_opts *ro = NULL, *wo = NULL;
	struct tarn_reader *r = NULL;
	struct tarn_writer *w = NULL;
	tarn_rc rc = tarn_opts_new(&ro);
	if (!rc)
		rc = tarn_opts_new(&wo);
	char tmp[512];
	if (!rc && ropts) {
		snprintf(tmp, sizeof tmp, "%s", ropts);
		for (char *kv = strtok(tmp, ";"); kv && !rc; kv = strtok(NULL, ";"))
			rc = tarn_opts_parse(ro, kv, err);
	}
	if (!rc && wopts) {
		snprintf(tmp, sizeof tmp, "%s", wopts);
		for (char *kv = strtok(tmp, ";"); kv && !rc; kv = strtok(NULL, ";"))
			rc = tarn_opts_parse(wo, kv, err);
	}
	if (!rc)
		rc = tarn_reader_open(src, "parquet", ro, &r, err);
	if (!rc)
		rc = tarn_writer_open(dst, "parquet", tarn_reader_schema(r), wo, &w, err);
	while (!rc) {
		struct tarn_batch *b;
		rc = tarn_reader_next(r, &b, err);
		if (rc || !b)
			break;
		rc = tarn_writer_write(w, b, err);
		tarn_batch_free(b);
	}
	if (!rc)
		rc = tarn_writer_finish(w, err);
	tarn_writer_close(w);
	tarn_reader_close(r);
	tarn_opts_free(ro);
	tarn_opts_free(wo);
	return rc;
}

/* Every file tarn read correctly is written back by tarn (options rotating)
 * and must read the same in tarn and in DuckDB. */
static void write_phase(const char *outdir, int *pass, int *failed)
{
	char wdir[4200];
	snprintf(wdir, sizeof wdir, "%s/written", outdir);
	if (mkdir(wdir, 0700) != 0) {
		fprintf(stderr, "FAIL cannot create %s\n", wdir);
		(*failed)++;
		return;
	}
	int *idx = calloc((size_t)n_files + 1, sizeof *idx);
	struct tarn_buf cmd;
	tarn_buf_init(&cmd);
	must(tarn_buf_printf(&cmd, "node tests/peers/duckdb_dump.mjs '%s/duck'", wdir));
	int n = 0;
	for (int i = 0; i < n_files; i++) {
		struct file *f = &files[i];
		idx[i] = -1;
		if (!f->canon)
			continue;
		char dst[4300];
		snprintf(dst, sizeof dst, "%s/%d.parquet", wdir, i);
		struct tarn_err err = { 0 };
		const char *wo = write_options(i);
		if (tarn_copy(f->path, f->options, dst, wo, &err)) {
			fprintf(stderr, "FAIL write %s (%s): %s\n", f->name, wo, err.msg);
			(*failed)++;
			unit_cur_failed = 1;
			unit_failed_checks++;
			continue;
		}
		struct tarn_buf back;
		tarn_buf_init(&back);
		struct tarn_err e2 = { 0 };
		tarn_rc rc = tarn_dump(dst, NULL, 0, &back, &e2);
		must(tarn_buf_cstr(&back));
		if (rc || strcmp(back.data ? back.data : "", f->canon) != 0) {
			fprintf(stderr, "FAIL write %s (%s): tarn reads its own file differently%s%s\n",
				f->name, wo, rc ? ": " : "", rc ? e2.msg : "");
			if (!rc)
				show_diff(back.data ? back.data : "", f->canon);
			(*failed)++;
			unit_cur_failed = 1;
			unit_failed_checks++;
			tarn_buf_free(&back);
			continue;
		}
		tarn_buf_free(&back);
		idx[i] = n++;
		must(tarn_buf_printf(&cmd, " '%s'", dst));
	}
	must(tarn_buf_cstr(&cmd));
	int st = system(cmd.data);
	tarn_buf_free(&cmd);
	if (st != 0) {
		fprintf(stderr, "FAIL the DuckDB dump of tarn's files failed\n");
		(*failed)++;
		free(idx);
		return;
	}
	for (int i = 0; i < n_files; i++) {
		if (idx[i] < 0)
			continue;
		struct file *f = &files[i];
		char p[4400];
		snprintf(p, sizeof p, "%s/duck/%d.txt", wdir, idx[i]);
		char *d = slurp(p);
		if (d && strcmp(d, f->canon) == 0) {
			(*pass)++;
		} else {
			fprintf(stderr, "FAIL write %s (%s): DuckDB reads tarn's file differently%s%.300s\n",
				f->name, write_options(i), d && !strncmp(d, "ERROR", 5) ? ": " : "",
				d && !strncmp(d, "ERROR", 5) ? d : "");
			if (d && strncmp(d, "ERROR", 5))
				show_diff(f->canon, d);
			(*failed)++;
			unit_cur_failed = 1;
			unit_failed_checks++;
		}
		free(d);
	}
	free(idx);
}

TEST(corpus)
{
	const char *root = getenv("PARQUET_TESTING_DIR");
	if (!root)
		root = "../shared/corpus/parquet-testing";
	char dir[4096];
	snprintf(dir, sizeof dir, "%s/data", root);
	walk(dir, false);
	snprintf(dir, sizeof dir, "%s/bad_data", root);
	walk(dir, true);
	REQUIRE(n_files > 0);
	qsort(files, (size_t)n_files, sizeof *files, cmp_files);

	/* DuckDB's reading of every file, in one node process. */
	char outdir[] = "/tmp/tarn-pqcorpus.XXXXXX";
	REQUIRE(mkdtemp(outdir) != NULL);
	struct tarn_buf cmd;
	tarn_buf_init(&cmd);
	must(tarn_buf_printf(&cmd, "node tests/peers/duckdb_dump.mjs '%s'", outdir));
	int n_duck = 0;
	for (int i = 0; i < n_files; i++) {
		struct file *f = &files[i];
		f->duck = -1;
		const struct reference *rf = find_reference(f->name);
		if (f->encrypted || lookup(known_unsupported, f->name) ||
		    (f->bad_data && !lookup(valid_bad_data, f->name)) || (rf && rf->kind == REF_ERROR))
			continue;
		f->duck = n_duck++;
		must(tarn_buf_printf(&cmd, " '%s'", f->path));
	}
	must(tarn_buf_cstr(&cmd));
	int st = system(cmd.data);
	tarn_buf_free(&cmd);
	REQUIRE(st == 0);

	int pass = 0, fail = 0, known = 0;
	for (int i = 0; i < n_files; i++) {
		struct file *f = &files[i];
		const char *kreason = lookup(known_unsupported, f->name);
		const char *valid_reason = lookup(valid_bad_data, f->name);
		const struct reference *ref = find_reference(f->name);
		char why[2048] = "";
		bool ok = false;
		struct tarn_buf got;
		tarn_buf_init(&got);
		struct tarn_err err = { 0 };
		if (kreason) {
			/* Still read it: it must not crash, and should it start
			 * working we want to know. Skipped only when reading it is
			 * itself the problem (the 2 GiB file takes minutes). */
			printf("known-unsupported %s: %s\n", f->name, kreason);
			known++;
			continue;
		}
		if (f->encrypted) {
			tarn_rc rc = tarn_dump(f->path, NULL, 0, &got, &err);
			ok = rc == TARN_EUNSUPPORTED &&
			     strstr(err.msg, "encrypted Parquet is not supported yet");
			if (!ok)
				snprintf(why, sizeof why, "expected the encryption error, got rc %d: %.900s",
					 rc, err.msg);
		} else if (ref && ref->kind == REF_ERROR) {
			tarn_rc rc = tarn_dump(f->path, NULL, 0, &got, &err);
			ok = rc == TARN_EDATA && strstr(err.msg, ref->arg) && strstr(err.msg, "column '") &&
			     strstr(err.msg, "page ");
			if (!ok)
				snprintf(why, sizeof why, "expected \"%s\" naming column and page, got rc %d: %.900s",
					 ref->arg, rc, err.msg);
			else
				printf("ok   %s (%s): %s\n", f->name, ref->why, err.msg);
		} else if (f->bad_data && !valid_reason) {
			tarn_rc rc = tarn_dump(f->path, NULL, 0, &got, &err);
			ok = (rc == TARN_EDATA || rc == TARN_ELIMIT || rc == TARN_EUNSUPPORTED) &&
			     strstr(err.msg, f->name) != NULL;
			if (!ok)
				snprintf(why, sizeof why,
					 "expected a clear error naming the file, got rc %d: %s", rc,
					 err.msg);
			else
				printf("ok   %s: %s\n", f->name, err.msg);
		} else {
			char *expect = NULL;
			const char *opts = ref ? ref->options : NULL;
			if (ref && ref->kind == REF_ROWS) {
				expect = strdup(ref->arg);
			} else if (ref && ref->kind == REF_TWIN) {
				int t = find_file(ref->arg);
				char p[4200];
				snprintf(p, sizeof p, "%s/%d.txt", outdir, t >= 0 ? files[t].duck : -1);
				expect = t >= 0 ? slurp(p) : NULL;
			} else if (!ref) {
				char p[4200];
				snprintf(p, sizeof p, "%s/%d.txt", outdir, f->duck);
				expect = slurp(p);
			}
			tarn_rc rc = tarn_dump(f->path, opts, 0, &got, &err);
			must(tarn_buf_cstr(&got));
			const char *g = got.data ? got.data : "";
			if (rc) {
				snprintf(why, sizeof why, "tarn failed: %.900s", err.msg);
			} else if (ref && ref->kind == REF_SELF_PAIRS) {
				ok = pairs_equal(g, why, sizeof why);
			} else if (!expect) {
				snprintf(why, sizeof why, "no reference rows");
			} else if (strncmp(expect, "ERROR ", 6) == 0) {
				snprintf(why, sizeof why, "DuckDB cannot read it (%.300s) and no other "
							  "reference is listed",
					 expect + 6);
			} else if (strcmp(g, expect) != 0) {
				snprintf(why, sizeof why, "rows differ from the reference");
				show_diff(g, expect);
			} else {
				ok = true;
			}
			if (ok) {
				/* Small batches: boundaries inside pages and rows. */
				struct tarn_buf small;
				tarn_buf_init(&small);
				struct tarn_err e2 = { 0 };
				rc = tarn_dump(f->path, opts, 3, &small, &e2);
				must(tarn_buf_cstr(&small));
				if (rc || strcmp(small.data ? small.data : "", g) != 0) {
					ok = false;
					snprintf(why, sizeof why, "3-row batches read differently%s%.900s",
						 rc ? ": " : "", rc ? e2.msg : "");
				}
				tarn_buf_free(&small);
			}
			if (ok && ref && ref->options && strstr(f->name, "int96")) {
				/* The default unit must refuse the out-of-range value. */
				struct tarn_buf dflt;
				tarn_buf_init(&dflt);
				struct tarn_err e3 = { 0 };
				rc = tarn_dump(f->path, NULL, 0, &dflt, &e3);
				if (rc != TARN_EDATA || !strstr(e3.msg, "int96-unit")) {
					ok = false;
					snprintf(why, sizeof why,
						 "default int96-unit should give a clear range error, got "
						 "rc %d: %.900s",
						 rc, e3.msg);
				}
				tarn_buf_free(&dflt);
			}
			if (ok) {
				f->canon = strdup(g);
				f->options = opts;
			}
			if (ok && ref)
				printf("ok   %s (reference: %s)\n", f->name, ref->why);
			else if (ok)
				printf("ok   %s\n", f->name);
			free(expect);
		}
		if (ok) {
			pass++;
		} else {
			fail++;
			fprintf(stderr, "FAIL %s: %s\n", f->path, why);
			unit_cur_failed = 1;
			unit_failed_checks++;
		}
		tarn_buf_free(&got);
	}
	int wpass = 0, wfail = 0;
	write_phase(outdir, &wpass, &wfail);
	for (int i = 0; i < n_files; i++) {
		free(files[i].path);
		free(files[i].canon);
	}
	char rm[4200];
	snprintf(rm, sizeof rm, "rm -rf '%s'", outdir);
	if (system(rm) != 0)
		fprintf(stderr, "could not remove %s\n", outdir);
	printf("parquet corpus: %d files: %d pass, %d fail, %d known-unsupported\n", n_files, pass,
	       fail, known);
	printf("parquet corpus, written by tarn: %d pass, %d fail\n", wpass, wfail);
	free(files);
}

int main(void)
{
	RUN(corpus);
	return unit_done();
}
