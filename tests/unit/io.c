/*
 * io.c — tests of src/base/io.c: file, FIFO and memory inputs; gzip
 * (concatenated members) and zstd (several frames) decoding; errors on
 * truncated and corrupt compressed data; peek/read interplay; when the mmap
 * is offered; atomic outputs (nothing at the destination before commit, no
 * leftovers after an uncommitted close), /dev/null, and gzip/zstd output
 * read back.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#define ZSTD_STATIC_LINKING_ONLY /* ZSTD_getFrameHeader */
#include <zstd.h>

#include "base/io.h"
#include "base/mem.h"
#include "tarn.h"
#include "unit.h"

#define OK(x) REQUIRE((x) == TARN_OK)

static char dir[256];

static void path_in(char *out, size_t cap, const char *name)
{
	snprintf(out, cap, "%s/%s", dir, name);
}

static bool write_file(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		return false;
	bool ok = fwrite(p, 1, n, f) == n;
	return fclose(f) == 0 && ok;
}

/* Entries in the scratch directory other than . and .. */
static int dir_entries(const char *must_contain)
{
	DIR *d = opendir(dir);
	if (!d)
		return -1;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") &&
		    (!must_contain || strstr(e->d_name, must_contain)))
			n++;
	closedir(d);
	return n;
}

static void clear_dir(void)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	char p[512];
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
		unlink(p);
	}
	closedir(d);
}

/* Deterministic, somewhat compressible test data. */
static uint8_t *make_data(size_t n, uint32_t seed)
{
	uint8_t *p = malloc(n ? n : 1);
	uint32_t x = seed | 1;
	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = (uint8_t)("abcdefgh,\n0123"[x % 14]);
	}
	return p;
}

static uint8_t *gzip(const uint8_t *p, size_t n, size_t *out_n)
{
	z_stream zs;
	memset(&zs, 0, sizeof zs);
	if (deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return NULL;
	size_t cap = deflateBound(&zs, (uLong)n) + 64;
	uint8_t *o = malloc(cap);
	zs.next_in = (Bytef *)p;
	zs.avail_in = (uInt)n;
	zs.next_out = o;
	zs.avail_out = (uInt)cap;
	int rc = deflate(&zs, Z_FINISH);
	*out_n = zs.total_out;
	deflateEnd(&zs);
	if (rc != Z_STREAM_END) {
		free(o);
		return NULL;
	}
	return o;
}

static uint8_t *zstd(const uint8_t *p, size_t n, size_t *out_n)
{
	size_t cap = ZSTD_compressBound(n);
	uint8_t *o = malloc(cap);
	/* with a checksum, so that corruption anywhere is detectable */
	ZSTD_CCtx *cc = ZSTD_createCCtx();
	ZSTD_CCtx_setParameter(cc, ZSTD_c_compressionLevel, 3);
	ZSTD_CCtx_setParameter(cc, ZSTD_c_checksumFlag, 1);
	size_t k = ZSTD_compress2(cc, o, cap, p, n);
	ZSTD_freeCCtx(cc);
	if (ZSTD_isError(k)) {
		free(o);
		return NULL;
	}
	*out_n = k;
	return o;
}

/* Reads the whole input in pieces of `step` bytes. */
static tarn_rc read_all(struct tarn_input *in, size_t step, uint8_t **out, size_t *n,
			struct tarn_err *err)
{
	size_t cap = 1 << 16, len = 0;
	uint8_t *buf = malloc(cap);
	for (;;) {
		if (len + step > cap) {
			cap = (len + step) * 2;
			buf = realloc(buf, cap);
		}
		size_t got;
		tarn_rc rc = tarn_input_read(in, buf + len, step, &got, err);
		if (rc) {
			free(buf);
			return rc;
		}
		if (got == 0)
			break;
		len += got;
	}
	*out = buf;
	*n = len;
	return TARN_OK;
}

static bool same(const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
	return an == bn && (an == 0 || memcmp(a, b, an) == 0);
}

/* ---- inputs ------------------------------------------------------------------ */

TEST(codec_names)
{
	CHECK(tarn_codec_for_path("a.csv.gz") == TARN_CODEC_GZIP);
	CHECK(tarn_codec_for_path("a.zst") == TARN_CODEC_ZSTD);
	CHECK(tarn_codec_for_path("a.csv") == TARN_CODEC_NONE);
	CHECK(tarn_codec_for_path("gz") == TARN_CODEC_NONE);
	CHECK(tarn_codec_suffix_len("x.jsonl.zst") == 4 && tarn_codec_suffix_len("x.gz") == 3);
	CHECK(tarn_codec_suffix_len("x") == 0);
	CHECK(tarn_codec_parse("gzip") == TARN_CODEC_GZIP && tarn_codec_parse("zst") == TARN_CODEC_ZSTD);
	CHECK(tarn_codec_parse("none") == TARN_CODEC_NONE && tarn_codec_parse("lzma") == -1);
}

TEST(file_input_and_mmap)
{
	char p[300];
	path_in(p, sizeof p, "plain.csv");
	size_t n = 3 * 1024 * 1024 + 17;
	uint8_t *data = make_data(n, 1);
	REQUIRE(write_file(p, data, n));
	struct tarn_input *in;
	OK(tarn_input_open(p, &in, NULL));
	CHECK_STR(tarn_input_name(in), p);
	CHECK(tarn_input_codec(in) == TARN_CODEC_NONE);
	size_t mn = 0;
	const uint8_t *m = tarn_input_mapped(in, &mn);
	CHECK(m != NULL && same(m, mn, data, n));
	int64_t done, total;
	tarn_input_progress(in, &done, &total);
	CHECK(done == 0 && total == (int64_t)n);
	/* peeking (format sniffing) leaves the map on offer */
	const uint8_t *pp;
	size_t pn;
	OK(tarn_input_peek(in, 100, &pp, &pn, NULL));
	CHECK(pn >= 100 && memcmp(pp, data, 100) == 0);
	CHECK(tarn_input_mapped(in, &mn) != NULL);
	/* a reader that parses the map marks it consumed */
	tarn_input_set_consumed(in, (int64_t)n);
	CHECK(tarn_input_mapped(in, &mn) == NULL);
	tarn_input_progress(in, &done, &total);
	CHECK(done == (int64_t)n);
	tarn_input_close(in);

	/* streaming the same file: after the first read the map is withdrawn */
	OK(tarn_input_open(p, &in, NULL));
	uint8_t buf[10];
	size_t got;
	OK(tarn_input_read(in, buf, sizeof buf, &got, NULL));
	CHECK(got == 10 && memcmp(buf, data, 10) == 0);
	CHECK(tarn_input_mapped(in, &mn) == NULL);
	uint8_t *rest;
	size_t rn;
	OK(read_all(in, 65536, &rest, &rn, NULL));
	CHECK(same(rest, rn, data + 10, n - 10));
	free(rest);
	tarn_input_close(in);
	free(data);

	/* empty file: end at once */
	path_in(p, sizeof p, "empty.csv");
	REQUIRE(write_file(p, "", 0));
	OK(tarn_input_open(p, &in, NULL));
	OK(tarn_input_read(in, buf, sizeof buf, &got, NULL));
	CHECK(got == 0);
	OK(tarn_input_peek(in, 10, &pp, &pn, NULL));
	CHECK(pn == 0);
	tarn_input_close(in);
	clear_dir();
}

TEST(open_errors)
{
	char p[300];
	struct tarn_input *in;
	struct tarn_err err;
	path_in(p, sizeof p, "missing.csv");
	tarn_err_clear(&err);
	CHECK(tarn_input_open(p, &in, &err) == TARN_ENOTFOUND);
	CHECK(in == NULL);
	CHECK_CONTAINS(err.msg, "missing.csv");
	tarn_err_clear(&err);
	CHECK(tarn_input_open(dir, &in, &err) == TARN_EUSAGE);
	CHECK_CONTAINS(err.msg, "directory");
}

TEST(memory_input_peek_read)
{
	size_t n = 100000;
	uint8_t *data = make_data(n, 2);
	struct tarn_input *in;
	OK(tarn_input_open_mem(data, n, "mem.csv", &in, NULL));
	CHECK_STR(tarn_input_name(in), "mem.csv");
	size_t mn;
	CHECK(tarn_input_mapped(in, &mn) == data && mn == n);
	const uint8_t *pp;
	size_t pn;
	OK(tarn_input_peek(in, 50, &pp, &pn, NULL));
	CHECK(pn >= 50 && memcmp(pp, data, 50) == 0);
	CHECK(tarn_input_mapped(in, &mn) == data);
	uint8_t buf[30];
	size_t got;
	OK(tarn_input_read(in, buf, 30, &got, NULL));
	CHECK(got == 30 && memcmp(buf, data, 30) == 0);
	OK(tarn_input_peek(in, 20, &pp, &pn, NULL));
	CHECK(pn >= 20 && memcmp(pp, data + 30, 20) == 0);
	OK(tarn_input_peek(in, n, &pp, &pn, NULL)); /* more than is left: all that is */
	CHECK(pn == n - 30);
	uint8_t *rest;
	size_t rn;
	OK(read_all(in, 777, &rest, &rn, NULL));
	CHECK(same(rest, rn, data + 30, n - 30));
	free(rest);
	int64_t done, total;
	tarn_input_progress(in, &done, &total);
	CHECK(done == (int64_t)n && total == (int64_t)n);
	tarn_input_close(in);
	/* NULL/empty memory */
	OK(tarn_input_open_mem(NULL, 0, NULL, &in, NULL));
	CHECK_STR(tarn_input_name(in), "<memory>");
	OK(tarn_input_read(in, buf, 30, &got, NULL));
	CHECK(got == 0);
	tarn_input_close(in);
	free(data);
}

TEST(gzip_input)
{
	size_t n1 = 200000, n2 = 54321;
	uint8_t *d1 = make_data(n1, 3), *d2 = make_data(n2, 4);
	size_t z1n, z2n;
	uint8_t *z1 = gzip(d1, n1, &z1n), *z2 = gzip(d2, n2, &z2n);
	REQUIRE(z1 && z2);
	/* concatenated members decode to the concatenation */
	uint8_t *cat = malloc(z1n + z2n);
	memcpy(cat, z1, z1n);
	memcpy(cat + z1n, z2, z2n);
	uint8_t *want = malloc(n1 + n2);
	memcpy(want, d1, n1);
	memcpy(want + n1, d2, n2);
	struct tarn_input *in;
	OK(tarn_input_open_mem(cat, z1n + z2n, "cat.gz", &in, NULL));
	CHECK(tarn_input_codec(in) == TARN_CODEC_GZIP);
	size_t mn;
	CHECK(tarn_input_mapped(in, &mn) == NULL); /* compressed: never mapped */
	/* peek across the member boundary, then read in odd steps */
	const uint8_t *pp;
	size_t pn;
	OK(tarn_input_peek(in, n1 + 10, &pp, &pn, NULL));
	CHECK(pn >= n1 + 10 && memcmp(pp, want, n1 + 10) == 0);
	uint8_t *got;
	size_t gn;
	OK(read_all(in, 4093, &got, &gn, NULL));
	CHECK(same(got, gn, want, n1 + n2));
	free(got);
	tarn_input_close(in);

	/* the same from a file */
	char p[300];
	path_in(p, sizeof p, "data.csv.gz");
	REQUIRE(write_file(p, cat, z1n + z2n));
	OK(tarn_input_open(p, &in, NULL));
	CHECK(tarn_input_codec(in) == TARN_CODEC_GZIP);
	OK(read_all(in, 65536, &got, &gn, NULL));
	CHECK(same(got, gn, want, n1 + n2));
	int64_t done, total;
	tarn_input_progress(in, &done, &total);
	CHECK(done == (int64_t)(z1n + z2n) && total == (int64_t)(z1n + z2n));
	free(got);
	tarn_input_close(in);

	/* zero padding after the last member is tolerated (as GNU gzip does),
	 * other trailing bytes are not */
	uint8_t *padded = calloc(1, z1n + 1000);
	memcpy(padded, z1, z1n);
	OK(tarn_input_open_mem(padded, z1n + 1000, "padded.gz", &in, NULL));
	OK(read_all(in, 65536, &got, &gn, NULL));
	CHECK(same(got, gn, d1, n1));
	free(got);
	tarn_input_close(in);
	padded[z1n + 500] = 'x';
	struct tarn_err perr;
	tarn_err_clear(&perr);
	OK(tarn_input_open_mem(padded, z1n + 1000, "garbage.gz", &in, NULL));
	CHECK(read_all(in, 65536, &got, &gn, &perr) == TARN_EDATA);
	CHECK_CONTAINS(perr.msg, "garbage.gz");
	tarn_input_close(in);
	free(padded);

	/* truncated in the middle of the second member */
	struct tarn_err err;
	tarn_err_clear(&err);
	OK(tarn_input_open_mem(cat, z1n + z2n / 2, "trunc.gz", &in, NULL));
	CHECK(read_all(in, 65536, &got, &gn, &err) == TARN_EDATA);
	CHECK_CONTAINS(err.msg, "trunc.gz");
	CHECK_CONTAINS(err.msg, "truncated gzip");
	tarn_input_close(in);
	/* truncated right after the header */
	tarn_err_clear(&err);
	OK(tarn_input_open_mem(z1, 12, "hdr.gz", &in, NULL));
	CHECK(read_all(in, 100, &got, &gn, &err) == TARN_EDATA);
	CHECK_CONTAINS(err.msg, "truncated gzip");
	tarn_input_close(in);
	/* corrupt deflate data */
	uint8_t *bad = malloc(z1n);
	memcpy(bad, z1, z1n);
	for (size_t i = 20; i < 60; i++)
		bad[i] ^= 0x5a;
	tarn_err_clear(&err);
	OK(tarn_input_open_mem(bad, z1n, "bad.gz", &in, NULL));
	CHECK(read_all(in, 65536, &got, &gn, &err) == TARN_EDATA);
	CHECK_CONTAINS(err.msg, "bad.gz");
	CHECK(strstr(err.msg, "corrupt gzip") || strstr(err.msg, "truncated gzip"));
	tarn_input_close(in);
	/* a flipped CRC is caught too */
	memcpy(bad, z1, z1n);
	bad[z1n - 6] ^= 1;
	tarn_err_clear(&err);
	OK(tarn_input_open_mem(bad, z1n, "crc.gz", &in, NULL));
	CHECK(read_all(in, 65536, &got, &gn, &err) == TARN_EDATA);
	CHECK_CONTAINS(err.msg, "crc.gz");
	tarn_input_close(in);
	free(bad);
	free(cat);
	free(want);
	free(z1);
	free(z2);
	free(d1);
	free(d2);
	clear_dir();
}

TEST(zstd_input)
{
	size_t n1 = 300000, n2 = 1000;
	uint8_t *d1 = make_data(n1, 5), *d2 = make_data(n2, 6);
	size_t z1n, z2n;
	uint8_t *z1 = zstd(d1, n1, &z1n), *z2 = zstd(d2, n2, &z2n);
	REQUIRE(z1 && z2);
	size_t cn = 2 * z1n + z2n;
	uint8_t *cat = malloc(cn);
	memcpy(cat, z1, z1n);
	memcpy(cat + z1n, z2, z2n);
	memcpy(cat + z1n + z2n, z1, z1n);
	uint8_t *want = malloc(2 * n1 + n2);
	memcpy(want, d1, n1);
	memcpy(want + n1, d2, n2);
	memcpy(want + n1 + n2, d1, n1);
	struct tarn_input *in;
	OK(tarn_input_open_mem(cat, cn, "frames.zst", &in, NULL));
	CHECK(tarn_input_codec(in) == TARN_CODEC_ZSTD);
	const uint8_t *pp;
	size_t pn;
	OK(tarn_input_peek(in, 7, &pp, &pn, NULL));
	CHECK(pn >= 7 && memcmp(pp, want, 7) == 0);
	uint8_t *got;
	size_t gn;
	OK(read_all(in, 100000, &got, &gn, NULL));
	CHECK(same(got, gn, want, 2 * n1 + n2));
	free(got);
	tarn_input_close(in);

	char p[300];
	path_in(p, sizeof p, "frames.bin");
	REQUIRE(write_file(p, cat, cn));
	OK(tarn_input_open(p, &in, NULL));
	CHECK(tarn_input_codec(in) == TARN_CODEC_ZSTD); /* by magic, not by name */
	OK(read_all(in, 1 << 20, &got, &gn, NULL));
	CHECK(same(got, gn, want, 2 * n1 + n2));
	free(got);
	tarn_input_close(in);

	struct tarn_err err;
	tarn_err_clear(&err);
	OK(tarn_input_open_mem(cat, z1n + z2n / 2, "cut.zst", &in, NULL));
	CHECK(read_all(in, 65536, &got, &gn, &err) == TARN_EDATA);
	CHECK_CONTAINS(err.msg, "cut.zst");
	CHECK_CONTAINS(err.msg, "truncated zstd");
	tarn_input_close(in);
	uint8_t *bad = malloc(z1n);
	memcpy(bad, z1, z1n);
	for (size_t i = z1n / 2; i < z1n / 2 + 64; i++)
		bad[i] = (uint8_t)(bad[i] * 7 + 1);
	tarn_err_clear(&err);
	OK(tarn_input_open_mem(bad, z1n, "bad.zst", &in, NULL));
	CHECK(read_all(in, 65536, &got, &gn, &err) == TARN_EDATA);
	CHECK_CONTAINS(err.msg, "bad.zst");
	CHECK(strstr(err.msg, "corrupt zstd") || strstr(err.msg, "truncated zstd"));
	tarn_input_close(in);
	free(bad);
	free(cat);
	free(want);
	free(z1);
	free(z2);
	free(d1);
	free(d2);
	clear_dir();
}

struct fifo_writer {
	const char *path;
	const uint8_t *p;
	size_t n;
};

static void *fifo_write(void *arg)
{
	struct fifo_writer *w = arg;
	int fd = open(w->path, O_WRONLY);
	if (fd < 0)
		return NULL;
	size_t off = 0;
	while (off < w->n) {
		size_t k = w->n - off < 8192 ? w->n - off : 8192; /* small pipe writes */
		ssize_t r = write(fd, w->p + off, k);
		if (r <= 0)
			break;
		off += (size_t)r;
	}
	close(fd);
	return NULL;
}

TEST(fifo_input_streams)
{
	/* A FIFO is not mmap-able: exercises the fd read path with gzip data
	 * spanning many raw reads. */
	char p[300];
	path_in(p, sizeof p, "pipe");
	REQUIRE(mkfifo(p, 0600) == 0);
	size_t n = 2 * 1024 * 1024 + 3;
	uint8_t *d = make_data(n, 7);
	size_t zn;
	uint8_t *z = gzip(d, n, &zn);
	REQUIRE(z);
	struct fifo_writer w = { p, z, zn };
	pthread_t th;
	REQUIRE(pthread_create(&th, NULL, fifo_write, &w) == 0);
	struct tarn_input *in;
	tarn_rc rc = tarn_input_open(p, &in, NULL);
	if (rc == TARN_OK) {
		size_t mn;
		CHECK(tarn_input_mapped(in, &mn) == NULL);
		CHECK(tarn_input_codec(in) == TARN_CODEC_GZIP);
		const uint8_t *pp;
		size_t pn;
		OK(tarn_input_peek(in, 5000, &pp, &pn, NULL));
		CHECK(pn >= 5000 && memcmp(pp, d, 5000) == 0);
		uint8_t *got;
		size_t gn;
		OK(read_all(in, 30000, &got, &gn, NULL));
		CHECK(same(got, gn, d, n));
		free(got);
		int64_t done, total;
		tarn_input_progress(in, &done, &total);
		CHECK(done == (int64_t)zn && total == -1);
		tarn_input_close(in);
	}
	CHECK(rc == TARN_OK);
	pthread_join(th, NULL);
	free(z);
	free(d);
	clear_dir();
}

/* ---- outputs ----------------------------------------------------------------- */

TEST(atomic_output)
{
	char p[300];
	path_in(p, sizeof p, "out.csv");
	struct tarn_output *o;
	OK(tarn_output_open(p, -1, 0, &o, NULL));
	CHECK_STR(tarn_output_name(o), p);
	OK(tarn_output_write(o, "a,b\n", 4, NULL));
	OK(tarn_output_write(o, "1,2\n", 4, NULL));
	CHECK(tarn_output_bytes(o) == 8);
	CHECK(access(p, F_OK) != 0);                /* not there before commit */
	CHECK(dir_entries(".tarn-tmp-") == 1);      /* only the temporary */
	OK(tarn_output_commit(o, NULL));
	OK(tarn_output_commit(o, NULL));            /* once is enough; twice is harmless */
	tarn_output_close(o);
	CHECK(access(p, F_OK) == 0);
	CHECK(dir_entries(NULL) == 1 && dir_entries(".tarn-tmp-") == 0);
	struct tarn_input *in;
	OK(tarn_input_open(p, &in, NULL));
	uint8_t *got;
	size_t gn;
	OK(read_all(in, 100, &got, &gn, NULL));
	CHECK(same(got, gn, (const uint8_t *)"a,b\n1,2\n", 8));
	free(got);
	tarn_input_close(in);

	/* replacing keeps the file's permission bits */
	REQUIRE(chmod(p, 0640) == 0);
	OK(tarn_output_open(p, -1, 0, &o, NULL));
	OK(tarn_output_write(o, "a,b\n1,2\n", 8, NULL));
	OK(tarn_output_commit(o, NULL));
	tarn_output_close(o);
	struct stat st;
	CHECK(stat(p, &st) == 0 && (st.st_mode & 0777) == 0640);

	/* replacing: the old content stays until commit; an uncommitted close
	 * leaves it untouched and removes the temporary */
	OK(tarn_output_open(p, -1, 0, &o, NULL));
	OK(tarn_output_write(o, "new", 3, NULL));
	tarn_output_close(o);
	CHECK(dir_entries(NULL) == 1 && dir_entries(".tarn-tmp-") == 0);
	OK(tarn_input_open(p, &in, NULL));
	OK(read_all(in, 100, &got, &gn, NULL));
	CHECK(gn == 8);
	free(got);
	tarn_input_close(in);
	clear_dir();

	/* an uncommitted new file: nothing at all is left */
	path_in(p, sizeof p, "never.csv");
	OK(tarn_output_open(p, -1, 0, &o, NULL));
	OK(tarn_output_write(o, "partial", 7, NULL));
	CHECK(dir_entries(NULL) == 1);
	tarn_output_close(o);
	CHECK(access(p, F_OK) != 0);
	CHECK(dir_entries(NULL) == 0);
}

TEST(output_errors_and_devices)
{
	struct tarn_output *o;
	struct tarn_err err;
	tarn_err_clear(&err);
	char p[300];
	path_in(p, sizeof p, "no/such/dir/x.csv");
	CHECK(tarn_output_open(p, -1, 0, &o, &err) == TARN_ENOTFOUND);
	CHECK(o == NULL);
	CHECK_CONTAINS(err.msg, "x.csv");
	tarn_err_clear(&err);
	CHECK(tarn_output_open(dir, -1, 0, &o, &err) == TARN_EUSAGE);
	CHECK_CONTAINS(err.msg, "directory");
	/* /dev/null is written in place: no temporary beside it */
	OK(tarn_output_open("/dev/null", -1, 0, &o, NULL));
	for (int i = 0; i < 1000; i++)
		OK(tarn_output_write(o, "discarded line\n", 15, NULL));
	OK(tarn_output_commit(o, NULL));
	tarn_output_close(o);
	OK(tarn_output_open("/dev/null", TARN_CODEC_GZIP, 0, &o, NULL));
	OK(tarn_output_write(o, "x", 1, NULL));
	tarn_output_close(o); /* uncommitted: nothing to clean up */
	/* memory output */
	OK(tarn_output_open_mem(&o, NULL));
	OK(tarn_output_write(o, "hello ", 6, NULL));
	OK(tarn_output_write(o, "world", 5, NULL));
	OK(tarn_output_commit(o, NULL));
	size_t n;
	const uint8_t *m = tarn_output_mem(o, &n);
	CHECK(same(m, n, (const uint8_t *)"hello world", 11));
	tarn_output_close(o);
}

static void compressed_round_trip(const char *name, int codec, enum tarn_codec want_codec)
{
	char p[300];
	path_in(p, sizeof p, name);
	size_t n = 3 * 1024 * 1024 + 11;
	uint8_t *d = make_data(n, 8);
	struct tarn_output *o;
	OK(tarn_output_open(p, codec, 0, &o, NULL));
	/* writes of assorted sizes, including a big one */
	size_t off = 0, steps[] = { 1, 10, 4096, 2 * 1024 * 1024, 77 };
	for (int i = 0; off < n; i = (i + 1) % 5) {
		size_t k = steps[i] < n - off ? steps[i] : n - off;
		OK(tarn_output_write(o, d + off, k, NULL));
		off += k;
	}
	CHECK(tarn_output_bytes(o) == (int64_t)n);
	CHECK(access(p, F_OK) != 0);
	OK(tarn_output_commit(o, NULL));
	tarn_output_close(o);
	struct stat st;
	CHECK(stat(p, &st) == 0 && st.st_size > 0 && (size_t)st.st_size < n * 3 / 4);
	struct tarn_input *in;
	OK(tarn_input_open(p, &in, NULL));
	CHECK(tarn_input_codec(in) == want_codec);
	uint8_t *got;
	size_t gn;
	OK(read_all(in, 65536, &got, &gn, NULL));
	CHECK(same(got, gn, d, n));
	free(got);
	tarn_input_close(in);
	free(d);
	if (want_codec != TARN_CODEC_ZSTD)
		return;
	/* tarn's zstd frames carry a checksum: a flipped byte is caught */
	FILE *f = fopen(p, "rb");
	REQUIRE(f);
	size_t fn = (size_t)st.st_size;
	uint8_t *raw = malloc(fn);
	REQUIRE(fread(raw, 1, fn, f) == fn);
	fclose(f);
	ZSTD_frameHeader zfh;
	CHECK(ZSTD_getFrameHeader(&zfh, raw, fn) == 0 && zfh.checksumFlag == 1);
	raw[fn / 2] ^= 0x10;
	struct tarn_err err;
	tarn_err_clear(&err);
	OK(tarn_input_open_mem(raw, fn, name, &in, NULL));
	CHECK(read_all(in, 65536, &got, &gn, &err) == TARN_EDATA);
	CHECK_CONTAINS(err.msg, name);
	tarn_input_close(in);
	free(raw);
}

TEST(compressed_output_round_trip)
{
	compressed_round_trip("out.csv.gz", -1, TARN_CODEC_GZIP);
	compressed_round_trip("out.jsonl.zst", -1, TARN_CODEC_ZSTD);
	compressed_round_trip("explicit.bin", TARN_CODEC_GZIP, TARN_CODEC_GZIP);
	compressed_round_trip("explicit2.bin", TARN_CODEC_ZSTD, TARN_CODEC_ZSTD);
	CHECK(dir_entries(".tarn-tmp-") == 0);
	/* an empty compressed file is still a valid stream */
	char p[300];
	path_in(p, sizeof p, "empty.gz");
	struct tarn_output *o;
	OK(tarn_output_open(p, -1, 0, &o, NULL));
	OK(tarn_output_commit(o, NULL));
	tarn_output_close(o);
	struct tarn_input *in;
	OK(tarn_input_open(p, &in, NULL));
	uint8_t b[4];
	size_t got;
	OK(tarn_input_read(in, b, 4, &got, NULL));
	CHECK(got == 0);
	tarn_input_close(in);
	clear_dir();
}

int main(void)
{
	const char *base = getenv("TARN_TEST_TMP");
	snprintf(dir, sizeof dir, "%s/tarn-io-XXXXXX", base && *base ? base : "/tmp");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	RUN(codec_names);
	RUN(file_input_and_mmap);
	RUN(open_errors);
	RUN(memory_input_peek_read);
	RUN(gzip_input);
	RUN(zstd_input);
	RUN(fifo_input_streams);
	RUN(atomic_output);
	RUN(output_errors_and_devices);
	RUN(compressed_output_round_trip);
	clear_dir();
	rmdir(dir);
	return unit_done();
}
