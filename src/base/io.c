/*
 * io.c — inputs (file, stdin, memory; gzip/zstd streams; mmap) and atomic
 * outputs (temp file + fsync + rename + directory fsync). See io.h.
 *
 * Design notes
 *  1. An input has a "raw" source (fd or memory) and an optional decoder. The
 *     decoded bytes flow through `pend`, a small buffer that also backs peek():
 *     read() drains pend before decoding more.
 *  2. mmap is offered only while nothing has been consumed, so a reader either
 *     parses the map or streams, never both.
 *  3. An output's temporary lives beside the destination so rename(2) is
 *     atomic; the destination is replaced only by tarn_output_commit.
 */
#include "base/io.h"

#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/mem.h"

#define RAW_CHUNK (1u << 20)

enum tarn_codec tarn_codec_for_path(const char *path)
{
	size_t n = strlen(path);
	if (n >= 3 && strcmp(path + n - 3, ".gz") == 0)
		return TARN_CODEC_GZIP;
	if (n >= 4 && strcmp(path + n - 4, ".zst") == 0)
		return TARN_CODEC_ZSTD;
	return TARN_CODEC_NONE;
}

size_t tarn_codec_suffix_len(const char *path)
{
	switch (tarn_codec_for_path(path)) {
	case TARN_CODEC_GZIP: return 3;
	case TARN_CODEC_ZSTD: return 4;
	default: return 0;
	}
}

int tarn_codec_parse(const char *name)
{
	if (!strcmp(name, "gzip") || !strcmp(name, "gz"))
		return TARN_CODEC_GZIP;
	if (!strcmp(name, "zstd") || !strcmp(name, "zst"))
		return TARN_CODEC_ZSTD;
	if (!strcmp(name, "none") || !strcmp(name, "uncompressed"))
		return TARN_CODEC_NONE;
	return -1;
}

/* ---- inputs ---------------------------------------------------------------- */

struct tarn_input {
	char *name;
	int fd;           /* -1 for memory inputs */
	bool close_fd;
	const uint8_t *mem; /* memory input or mmap of a regular file */
	size_t mem_len;
	bool mapped;      /* mem is an mmap we must unmap */
	size_t released;  /* mapped bytes below this were given back (page-aligned) */
	size_t mem_pos;   /* raw bytes consumed from mem */
	int64_t raw_total, raw_done;
	bool raw_eof;

	enum tarn_codec codec;
	z_stream zs;
	bool zs_init;
	ZSTD_DStream *zd;
	uint8_t *raw;     /* raw read buffer for compressed fd input */
	size_t raw_len, raw_pos;
	bool dec_done;    /* decoder reached end of all input */
	int64_t gz_members; /* gzip members decoded completely */

	uint8_t *pend;    /* decoded bytes waiting (peek buffer) */
	size_t pend_len, pend_pos, pend_cap;
	bool consumed_any;
};

/* Raw bytes: returns a window of unconsumed raw input, refilling from fd. */
static tarn_rc raw_fill(struct tarn_input *in, struct tarn_err *err)
{
	if (in->mem) {
		in->raw_eof = in->mem_pos >= in->mem_len;
		return TARN_OK;
	}
	if (in->raw_pos < in->raw_len || in->raw_eof)
		return TARN_OK;
	if (!in->raw) {
		in->raw = tarn_malloc(RAW_CHUNK);
		if (!in->raw)
			return tarn_err_nomem(err, "input buffer");
	}
	for (;;) {
		ssize_t k = read(in->fd, in->raw, RAW_CHUNK);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return tarn_err_set(err, TARN_EIO, "%s: read failed: %s", in->name,
					    strerror(errno));
		in->raw_len = (size_t)k;
		in->raw_pos = 0;
		in->raw_done += k;
		if (k == 0)
			in->raw_eof = true;
		return TARN_OK;
	}
}

static void raw_window(struct tarn_input *in, const uint8_t **p, size_t *n)
{
	if (in->mem) {
		*p = in->mem + in->mem_pos;
		*n = in->mem_len - in->mem_pos;
	} else {
		*p = in->raw + in->raw_pos;
		*n = in->raw_len - in->raw_pos;
	}
}

static void raw_advance(struct tarn_input *in, size_t n)
{
	if (in->mem) {
		in->mem_pos += n;
		in->raw_done = (int64_t)in->mem_pos;
	} else {
		in->raw_pos += n;
	}
}

/* Decodes (or copies) up to cap bytes into dst. */
static tarn_rc decode_some(struct tarn_input *in, uint8_t *dst, size_t cap, size_t *got,
			   struct tarn_err *err)
{
	*got = 0;
	while (*got == 0 && !in->dec_done) {
		TRY(raw_fill(in, err));
		const uint8_t *p;
		size_t n;
		raw_window(in, &p, &n);
		if (n == 0 && in->raw_eof) {
			if (in->codec == TARN_CODEC_GZIP && in->zs_init && in->zs.total_in > 0 &&
			    !in->dec_done) {
				/* stream ended mid-member */
				return tarn_err_set(err, TARN_EDATA,
						    "%s: truncated gzip data at byte %lld",
						    in->name, (long long)in->raw_done);
			}
			if (in->codec == TARN_CODEC_ZSTD && in->zs_init)
				return tarn_err_set(err, TARN_EDATA,
						    "%s: truncated zstd data at byte %lld",
						    in->name, (long long)in->raw_done);
			in->dec_done = true;
			break;
		}
		if (in->codec == TARN_CODEC_NONE) {
			size_t k = n < cap ? n : cap;
			memcpy(dst, p, k);
			raw_advance(in, k);
			*got = k;
		} else if (in->codec == TARN_CODEC_GZIP) {
			if (!in->zs_init && in->gz_members > 0) {
				/* GNU gzip tolerates zero padding after the last
				 * member (tape blocking); so do we. */
				size_t z = 0;
				while (z < n && p[z] == 0)
					z++;
				raw_advance(in, z);
				if (z == n)
					continue;
				p += z;
				n -= z;
			}
			if (!in->zs_init) {
				memset(&in->zs, 0, sizeof in->zs);
				if (inflateInit2(&in->zs, 15 + 32) != Z_OK)
					return tarn_err_nomem(err, "gzip decoder");
				in->zs_init = true;
			}
			in->zs.next_in = (Bytef *)p;
			in->zs.avail_in = (uInt)(n > UINT32_MAX ? UINT32_MAX : n);
			in->zs.next_out = dst;
			in->zs.avail_out = (uInt)(cap > UINT32_MAX ? UINT32_MAX : cap);
			uInt before_in = in->zs.avail_in;
			int zrc = inflate(&in->zs, Z_NO_FLUSH);
			raw_advance(in, before_in - in->zs.avail_in);
			*got = (size_t)(in->zs.next_out - dst);
			if (zrc == Z_STREAM_END) {
				/* Another member may follow (concatenated gzip). */
				inflateEnd(&in->zs);
				in->zs_init = false;
				in->gz_members++;
			} else if (zrc != Z_OK && zrc != Z_BUF_ERROR) {
				return tarn_err_set(err, TARN_EDATA,
						    "%s: corrupt gzip data near byte %lld: %s",
						    in->name, (long long)in->raw_done,
						    in->zs.msg ? in->zs.msg : "inflate failed");
			}
		} else {
			if (!in->zd) {
				in->zd = ZSTD_createDStream();
				if (!in->zd)
					return tarn_err_nomem(err, "zstd decoder");
				ZSTD_initDStream(in->zd);
			}
			in->zs_init = true; /* marks "inside a frame" for truncation checks */
			ZSTD_inBuffer ib = { p, n, 0 };
			ZSTD_outBuffer ob = { dst, cap, 0 };
			size_t zr = ZSTD_decompressStream(in->zd, &ob, &ib);
			raw_advance(in, ib.pos);
			*got = ob.pos;
			if (ZSTD_isError(zr))
				return tarn_err_set(err, TARN_EDATA,
						    "%s: corrupt zstd data near byte %lld: %s",
						    in->name, (long long)in->raw_done,
						    ZSTD_getErrorName(zr));
			if (zr == 0)
				in->zs_init = false; /* frame complete */
		}
	}
	return TARN_OK;
}

static tarn_rc input_init(struct tarn_input *in, struct tarn_err *err)
{
	/* Detect compression from the magic bytes. */
	const uint8_t *p;
	size_t n;
	if (in->mem) {
		p = in->mem;
		n = in->mem_len;
	} else {
		TRY(raw_fill(in, err));
		raw_window(in, &p, &n);
	}
	if (n >= 2 && p[0] == 0x1f && p[1] == 0x8b)
		in->codec = TARN_CODEC_GZIP;
	else if (n >= 4 && p[0] == 0x28 && p[1] == 0xb5 && p[2] == 0x2f && p[3] == 0xfd)
		in->codec = TARN_CODEC_ZSTD;
	return TARN_OK;
}

tarn_rc tarn_input_open(const char *path, struct tarn_input **out, struct tarn_err *err)
{
	*out = NULL;
	struct tarn_input *in = tarn_calloc(1, sizeof *in);
	if (!in)
		return tarn_err_nomem(err, "input");
	in->fd = -1;
	in->raw_total = -1;
	tarn_rc rc = TARN_OK;
	bool is_stdin = strcmp(path, "-") == 0;
	in->name = tarn_strdup(is_stdin ? "<stdin>" : path);
	if (!in->name) {
		rc = tarn_err_nomem(err, "input name");
		goto out;
	}
	if (is_stdin) {
		in->fd = 0;
	} else {
		in->fd = open(path, O_RDONLY | O_CLOEXEC);
		if (in->fd < 0) {
			rc = tarn_err_set(err, errno == ENOENT ? TARN_ENOTFOUND : TARN_EIO,
					  "cannot open '%s': %s", path, strerror(errno));
			goto out;
		}
		in->close_fd = true;
	}
	struct stat st;
	if (fstat(in->fd, &st) == 0 && S_ISREG(st.st_mode)) {
		in->raw_total = st.st_size;
		if (S_ISDIR(st.st_mode)) {
			rc = tarn_err_set(err, TARN_EUSAGE, "'%s' is a directory", path);
			goto out;
		}
		if (st.st_size > 0) {
			void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, in->fd, 0);
			if (m != MAP_FAILED) {
				madvise(m, (size_t)st.st_size, MADV_SEQUENTIAL);
				in->mem = m;
				in->mem_len = (size_t)st.st_size;
				in->mapped = true;
			}
		}
	} else if (fstat(in->fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		rc = tarn_err_set(err, TARN_EUSAGE, "'%s' is a directory, not a file", path);
		goto out;
	}
	TRY_OUT(input_init(in, err));
out:
	if (rc) {
		tarn_input_close(in);
		return rc;
	}
	*out = in;
	return TARN_OK;
}

tarn_rc tarn_input_open_mem(const void *p, size_t n, const char *name, struct tarn_input **out,
			    struct tarn_err *err)
{
	*out = NULL;
	struct tarn_input *in = tarn_calloc(1, sizeof *in);
	if (!in)
		return tarn_err_nomem(err, "input");
	in->fd = -1;
	in->mem = p ? p : (const uint8_t *)"";
	in->mem_len = n;
	in->raw_total = (int64_t)n;
	in->name = tarn_strdup(name ? name : "<memory>");
	if (!in->name) {
		tarn_input_close(in);
		return tarn_err_nomem(err, "input name");
	}
	tarn_rc rc = input_init(in, err);
	if (rc) {
		tarn_input_close(in);
		return rc;
	}
	*out = in;
	return TARN_OK;
}

const char *tarn_input_name(const struct tarn_input *in)
{
	return in->name;
}

enum tarn_codec tarn_input_codec(const struct tarn_input *in)
{
	return in->codec;
}

const uint8_t *tarn_input_mapped(const struct tarn_input *in, size_t *n)
{
	if (!in->mem || in->codec != TARN_CODEC_NONE || in->consumed_any || in->mem_pos != 0 ||
	    in->pend_len != 0)
		return NULL;
	*n = in->mem_len;
	return in->mem;
}

void tarn_input_release(struct tarn_input *in, size_t upto)
{
	if (!in->mapped)
		return;
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t hi = (upto < in->mem_len ? upto : in->mem_len) / page * page;
	if (hi > in->released) {
		madvise((void *)(in->mem + in->released), hi - in->released, MADV_DONTNEED);
		in->released = hi;
	}
}

void tarn_input_set_consumed(struct tarn_input *in, int64_t raw_bytes)
{
	in->consumed_any = true;
	in->raw_done = raw_bytes;
}

tarn_rc tarn_input_peek(struct tarn_input *in, size_t want, const uint8_t **p, size_t *n,
			struct tarn_err *err)
{
	if (in->mem && in->codec == TARN_CODEC_NONE) {
		/* Directly addressable: peek into the map itself. Copying into
		 * pend would advance mem_pos and withdraw tarn_input_mapped
		 * after format sniffing (design note 2). pend stays empty. */
		*p = in->mem + in->mem_pos;
		*n = in->mem_len - in->mem_pos;
		return TARN_OK;
	}
	if (in->pend_pos > 0 && in->pend_pos == in->pend_len)
		in->pend_pos = in->pend_len = 0;
	if (in->pend_len - in->pend_pos < want) {
		if (in->pend_pos > 0) {
			memmove(in->pend, in->pend + in->pend_pos, in->pend_len - in->pend_pos);
			in->pend_len -= in->pend_pos;
			in->pend_pos = 0;
		}
		if (want > in->pend_cap) {
			uint8_t *np = tarn_realloc(in->pend, want);
			if (!np)
				return tarn_err_nomem(err, "peek buffer");
			in->pend = np;
			in->pend_cap = want;
		}
		while (in->pend_len < want) {
			size_t got;
			TRY(decode_some(in, in->pend + in->pend_len, want - in->pend_len, &got, err));
			if (got == 0)
				break;
			in->pend_len += got;
		}
	}
	*p = in->pend + in->pend_pos;
	*n = in->pend_len - in->pend_pos;
	return TARN_OK;
}

tarn_rc tarn_input_read(struct tarn_input *in, void *buf, size_t cap, size_t *n,
			struct tarn_err *err)
{
	in->consumed_any = true;
	if (in->pend_pos < in->pend_len) {
		size_t k = in->pend_len - in->pend_pos;
		if (k > cap)
			k = cap;
		memcpy(buf, in->pend + in->pend_pos, k);
		in->pend_pos += k;
		*n = k;
		return TARN_OK;
	}
	return decode_some(in, buf, cap, n, err);
}

void tarn_input_progress(const struct tarn_input *in, int64_t *done, int64_t *total)
{
	*done = in->raw_done;
	*total = in->raw_total;
}

void tarn_input_close(struct tarn_input *in)
{
	if (!in)
		return;
	if (in->mapped)
		munmap((void *)in->mem, in->mem_len);
	if (in->close_fd && in->fd >= 0)
		close(in->fd);
	if (in->codec == TARN_CODEC_GZIP && in->zs_init)
		inflateEnd(&in->zs);
	if (in->zd)
		ZSTD_freeDStream(in->zd);
	tarn_free(in->raw);
	tarn_free(in->pend);
	tarn_free(in->name);
	tarn_free(in);
}

/* ---- outputs --------------------------------------------------------------- */

#define OUT_BUF (1u << 20)

struct tarn_output {
	char *name;     /* destination as the user named it */
	char *tmp;      /* temporary path, or NULL when writing in place */
	int fd;         /* -1 for memory outputs */
	bool close_fd;
	bool committed, failed;
	enum tarn_codec codec;
	int level;
	z_stream zs;
	bool zs_init;
	ZSTD_CStream *zc;
	uint8_t *cbuf;  /* compressed staging buffer */
	struct tarn_buf mem;
	bool is_mem;
	int64_t bytes;
};

static tarn_rc write_all(struct tarn_output *o, const void *p, size_t n, struct tarn_err *err)
{
	if (o->is_mem) {
		tarn_rc rc = tarn_buf_append(&o->mem, p, n);
		if (rc == TARN_ENOMEM)
			return tarn_err_nomem(err, "memory output");
		if (rc)
			return tarn_err_set(err, rc, "%s: output too large for memory", o->name);
		return TARN_OK;
	}
	const char *c = p;
	while (n > 0) {
		ssize_t k = write(o->fd, c, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			o->failed = true;
			return tarn_err_set(err, TARN_EIO, "%s: write failed: %s", o->name,
					    strerror(errno));
		}
		c += k;
		n -= (size_t)k;
	}
	return TARN_OK;
}

tarn_rc tarn_output_open(const char *path, int codec, int level, struct tarn_output **out,
			 struct tarn_err *err)
{
	*out = NULL;
	struct tarn_output *o = tarn_calloc(1, sizeof *o);
	if (!o)
		return tarn_err_nomem(err, "output");
	o->fd = -1;
	tarn_rc rc = TARN_OK;
	bool is_stdout = strcmp(path, "-") == 0;
	o->name = tarn_strdup(is_stdout ? "<stdout>" : path);
	if (!o->name) {
		rc = tarn_err_nomem(err, "output name");
		goto out;
	}
	o->codec = codec < 0 ? (is_stdout ? TARN_CODEC_NONE : tarn_codec_for_path(path))
			     : (enum tarn_codec)codec;
	o->level = level;
	if (is_stdout) {
		o->fd = 1;
	} else {
		struct stat st;
		if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
			rc = tarn_err_set(err, TARN_EUSAGE, "output '%s' is a directory", path);
			goto out;
		}
		if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
			/* /dev/null, a FIFO, a terminal: write in place. */
			o->fd = open(path, O_WRONLY | O_CLOEXEC);
			if (o->fd < 0) {
				rc = tarn_err_set(err, TARN_EIO, "cannot open '%s': %s", path,
						  strerror(errno));
				goto out;
			}
			o->close_fd = true;
		} else {
			char *dcopy = tarn_strdup(path), *bcopy = tarn_strdup(path);
			if (!dcopy || !bcopy) {
				tarn_free(dcopy);
				tarn_free(bcopy);
				rc = tarn_err_nomem(err, "output name");
				goto out;
			}
			struct tarn_buf t;
			tarn_buf_init(&t);
			rc = tarn_buf_printf(&t, "%s/.%s.tarn-tmp-%ld-%lx", dirname(dcopy),
					     basename(bcopy), (long)getpid(),
					     (unsigned long)random());
			tarn_free(dcopy);
			tarn_free(bcopy);
			if (rc) {
				tarn_buf_free(&t);
				rc = tarn_err_nomem(err, "output name");
				goto out;
			}
			o->tmp = tarn_buf_steal(&t);
			if (!o->tmp) {
				rc = tarn_err_nomem(err, "output name");
				goto out;
			}
			o->fd = open(o->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
			if (o->fd < 0) {
				rc = tarn_err_set(err, errno == ENOENT ? TARN_ENOTFOUND : TARN_EIO,
						  "cannot create '%s': %s", path,
						  strerror(errno));
				tarn_free(o->tmp);
				o->tmp = NULL;
				goto out;
			}
			/* Replacing a file keeps its permission bits. */
			if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
				(void)fchmod(o->fd, st.st_mode & 07777);
			o->close_fd = true;
		}
	}
out:
	if (rc) {
		tarn_output_close(o);
		return rc;
	}
	*out = o;
	return TARN_OK;
}

tarn_rc tarn_output_open_mem(struct tarn_output **out, struct tarn_err *err)
{
	*out = NULL;
	struct tarn_output *o = tarn_calloc(1, sizeof *o);
	if (!o)
		return tarn_err_nomem(err, "output");
	o->fd = -1;
	o->is_mem = true;
	tarn_buf_init(&o->mem);
	o->name = tarn_strdup("<memory>");
	if (!o->name) {
		tarn_free(o);
		return tarn_err_nomem(err, "output");
	}
	*out = o;
	return TARN_OK;
}

const char *tarn_output_name(const struct tarn_output *o)
{
	return o->name;
}

int64_t tarn_output_bytes(const struct tarn_output *o)
{
	return o->bytes;
}

static tarn_rc compress_step(struct tarn_output *o, const void *p, size_t n, bool finish,
			     struct tarn_err *err)
{
	if (!o->cbuf) {
		o->cbuf = tarn_malloc(OUT_BUF);
		if (!o->cbuf)
			return tarn_err_nomem(err, "compression buffer");
	}
	if (o->codec == TARN_CODEC_GZIP) {
		if (!o->zs_init) {
			memset(&o->zs, 0, sizeof o->zs);
			int lvl = o->level > 0 ? (o->level > 9 ? 9 : o->level) : 6;
			if (deflateInit2(&o->zs, lvl, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
			    Z_OK)
				return tarn_err_nomem(err, "gzip encoder");
			o->zs_init = true;
		}
		o->zs.next_in = (Bytef *)p;
		o->zs.avail_in = (uInt)n;
		for (;;) {
			o->zs.next_out = o->cbuf;
			o->zs.avail_out = OUT_BUF;
			int zrc = deflate(&o->zs, finish ? Z_FINISH : Z_NO_FLUSH);
			if (zrc == Z_STREAM_ERROR)
				return tarn_err_set(err, TARN_EINTERNAL, "gzip encoder failed");
			TRY(write_all(o, o->cbuf, OUT_BUF - o->zs.avail_out, err));
			if (finish ? zrc == Z_STREAM_END : o->zs.avail_in == 0)
				break;
		}
		return TARN_OK;
	}
	if (!o->zc) {
		o->zc = ZSTD_createCStream();
		if (!o->zc)
			return tarn_err_nomem(err, "zstd encoder");
		/* A content checksum lets readers detect corruption that still
		 * decodes (zstd's default frames carry none). */
		if (ZSTD_isError(ZSTD_CCtx_setParameter(o->zc, ZSTD_c_compressionLevel,
							o->level > 0 ? o->level : 3)) ||
		    ZSTD_isError(ZSTD_CCtx_setParameter(o->zc, ZSTD_c_checksumFlag, 1)))
			return tarn_err_set(err, TARN_EINTERNAL, "zstd encoder setup failed");
	}
	ZSTD_inBuffer ib = { p, n, 0 };
	for (;;) {
		ZSTD_outBuffer ob = { o->cbuf, OUT_BUF, 0 };
		size_t zr = ZSTD_compressStream2(o->zc, &ob, &ib, finish ? ZSTD_e_end : ZSTD_e_continue);
		if (ZSTD_isError(zr))
			return tarn_err_set(err, TARN_EINTERNAL, "zstd encoder failed: %s",
					    ZSTD_getErrorName(zr));
		TRY(write_all(o, o->cbuf, ob.pos, err));
		if (finish ? zr == 0 : ib.pos == ib.size)
			break;
	}
	return TARN_OK;
}

tarn_rc tarn_output_write(struct tarn_output *o, const void *p, size_t n, struct tarn_err *err)
{
	if (n == 0)
		return TARN_OK;
	o->bytes += (int64_t)n;
	if (o->codec == TARN_CODEC_NONE)
		return write_all(o, p, n, err);
	/* zlib counts input in uInt: feed huge writes in pieces. */
	const uint8_t *c = p;
	while (n > 0) {
		size_t k = n < ((size_t)1 << 30) ? n : ((size_t)1 << 30);
		TRY(compress_step(o, c, k, false, err));
		c += k;
		n -= k;
	}
	return TARN_OK;
}

static tarn_rc fsync_dir_of(const char *path)
{
	char *d = tarn_strdup(path);
	if (!d)
		return TARN_ENOMEM;
	int fd = open(dirname(d), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	tarn_free(d);
	if (fd < 0)
		return TARN_EIO;
	fsync(fd); /* best effort: some filesystems refuse fsync on directories */
	close(fd);
	return TARN_OK;
}

tarn_rc tarn_output_commit(struct tarn_output *o, struct tarn_err *err)
{
	if (o->committed)
		return TARN_OK;
	if (o->codec != TARN_CODEC_NONE)
		TRY(compress_step(o, "", 0, true, err));
	if (o->is_mem) {
		o->committed = true;
		return TARN_OK;
	}
	if (o->tmp) {
		if (fsync(o->fd) != 0)
			return tarn_err_set(err, TARN_EIO, "%s: fsync failed: %s", o->name,
					    strerror(errno));
		if (close(o->fd) != 0) {
			o->fd = -1;
			return tarn_err_set(err, TARN_EIO, "%s: close failed: %s", o->name,
					    strerror(errno));
		}
		o->fd = -1;
		if (rename(o->tmp, o->name) != 0)
			return tarn_err_set(err, TARN_EIO, "cannot rename '%s' to '%s': %s", o->tmp,
					    o->name, strerror(errno));
		tarn_free(o->tmp);
		o->tmp = NULL;
		fsync_dir_of(o->name);
	}
	o->committed = true;
	return TARN_OK;
}

const uint8_t *tarn_output_mem(const struct tarn_output *o, size_t *n)
{
	*n = o->mem.len;
	return (const uint8_t *)o->mem.data;
}

void tarn_output_close(struct tarn_output *o)
{
	if (!o)
		return;
	if (o->close_fd && o->fd >= 0)
		close(o->fd);
	if (o->tmp) {
		unlink(o->tmp);
		tarn_free(o->tmp);
	}
	if (o->zs_init)
		deflateEnd(&o->zs);
	if (o->zc)
		ZSTD_freeCStream(o->zc);
	tarn_free(o->cbuf);
	tarn_buf_free(&o->mem);
	tarn_free(o->name);
	tarn_free(o);
}

tarn_rc tarn_remove_tree(const char *dir, struct tarn_err *err)
{
	DIR *d = opendir(dir);
	if (!d)
		return errno == ENOENT || errno == ENOTDIR
			       ? TARN_OK
			       : tarn_err_set(err, TARN_EIO, "cannot read '%s': %s", dir, strerror(errno));
	struct dirent *de;
	tarn_rc rc = TARN_OK;
	while (!rc && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		char p[4096];
		snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
		struct stat st;
		if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
			rc = tarn_remove_tree(p, err);
		else if (unlink(p) != 0)
			rc = tarn_err_set(err, TARN_EIO, "cannot remove '%s': %s", p, strerror(errno));
	}
	closedir(d);
	if (!rc && rmdir(dir) != 0)
		rc = tarn_err_set(err, TARN_EIO, "cannot remove '%s': %s", dir, strerror(errno));
	return rc;
}
