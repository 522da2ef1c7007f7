/*
 * avro_codec.c — the block codecs of object container files (specification,
 * "Required Codecs" and "Optional Codecs"): null, deflate (RFC 1951 raw;
 * zlib-wrapped data from writers that got this wrong is accepted too),
 * snappy (a raw snappy block followed by the big-endian CRC-32 of the
 * uncompressed data, which is verified), zstandard (one or more frames),
 * bzip2 (one or more streams) and xz (one or more streams).
 *
 * Decompression never trusts a size from the data beyond `max`: output
 * grows by doubling up to that cap, so a block that inflates past it is
 * TARN_ELIMIT rather than an allocation the file chose. The output buffer
 * always has 16 zero bytes after its length (the decoder's slack).
 *
 * Relies on zlib, libsnappy, libzstd, libbz2 and liblzma (all linked into
 * tarn). Thread-safety: no shared state; one codec context per call.
 */
#include <bzlib.h>
#include <lzma.h>
#include <snappy-c.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>
#include <zstd.h>

#include "formats/avro/avro_int.h"

#define SLACK 16

static const char *const names[] = { "null", "deflate", "snappy", "zstandard", "bzip2", "xz" };

int avro_codec_parse(const char *name, size_t n, bool lenient)
{
	for (int i = 0; i < 6; i++)
		if (strlen(names[i]) == n && memcmp(names[i], name, n) == 0)
			return i;
	if (lenient) {
		if (n == 4 && strncasecmp(name, "none", 4) == 0)
			return AC_NULL;
		if (n == 4 && strncasecmp(name, "zstd", 4) == 0)
			return AC_ZSTD;
		if (n == 4 && strncasecmp(name, "gzip", 4) == 0)
			return AC_DEFLATE;
		for (int i = 0; i < 6; i++)
			if (strlen(names[i]) == n && strncasecmp(names[i], name, n) == 0)
				return i;
	}
	return -1;
}

const char *avro_codec_name(int codec)
{
	return codec >= 0 && codec < 6 ? names[codec] : "?";
}

/* Makes room for `want` more bytes (plus the slack) in out, doubling, up
 * to max bytes of data. */
static tarn_rc room(struct tarn_buf *out, size_t want, size_t max)
{
	if (out->len + want > max)
		want = max - out->len;
	size_t need = out->len + want + SLACK;
	if (need <= out->cap)
		return TARN_OK;
	size_t extra = out->cap ? out->cap : 65536;
	if (extra < want + SLACK)
		extra = want + SLACK;
	if (out->len + extra > max + SLACK)
		extra = max + SLACK - out->len;
	return tarn_buf_reserve(out, extra);
}

static tarn_rc finish(struct tarn_buf *out)
{
	TRY(tarn_buf_reserve(out, SLACK));
	memset(out->data + out->len, 0, SLACK);
	return TARN_OK;
}

static tarn_rc too_big(const char **why)
{
	*why = "the block decompresses to more than max-block-size bytes";
	return TARN_ELIMIT;
}

static tarn_rc inflate_block(const uint8_t *src, size_t n, size_t max, struct tarn_buf *out,
			     int window, const char **why)
{
	z_stream z;
	memset(&z, 0, sizeof z);
	if (inflateInit2(&z, window) != Z_OK) {
		*why = "cannot start the deflate decoder";
		return TARN_ENOMEM;
	}
	tarn_rc rc = TARN_OK;
	z.next_in = (Bytef *)src;
	size_t in_left = n;
	uint8_t probe;
	for (;;) {
		if (out->len >= max) {
			/* Full: only the end of the stream may remain. */
			z.next_out = &probe;
			z.avail_out = 1;
		} else {
			if (room(out, n * 3 + 1024, max)) {
				rc = TARN_ENOMEM;
				*why = "out of memory";
				break;
			}
			size_t avail = out->cap - out->len - SLACK;
			if (avail > max - out->len)
				avail = max - out->len;
			z.next_out = (Bytef *)out->data + out->len;
			z.avail_out = avail > UINT32_MAX ? UINT32_MAX : (uInt)avail;
		}
		uInt before_out = z.avail_out;
		uInt chunk = in_left > UINT32_MAX ? UINT32_MAX : (uInt)in_left;
		z.avail_in = chunk;
		int zr = inflate(&z, Z_NO_FLUSH);
		in_left -= chunk - z.avail_in;
		size_t produced = before_out - z.avail_out;
		if (out->len >= max) {
			if (produced) {
				rc = too_big(why);
				break;
			}
		} else {
			out->len += produced;
		}
		if (zr == Z_STREAM_END)
			break;
		if (zr == Z_BUF_ERROR && in_left == 0 && z.avail_in == 0) {
			*why = "the deflate data is truncated";
			rc = TARN_EDATA;
			break;
		}
		if (zr != Z_OK && zr != Z_BUF_ERROR) {
			*why = zr == Z_MEM_ERROR ? "out of memory in the deflate decoder"
						 : "corrupt deflate data";
			rc = zr == Z_MEM_ERROR ? TARN_ENOMEM : TARN_EDATA;
			break;
		}
	}
	inflateEnd(&z);
	return rc;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static tarn_rc unsnappy(const uint8_t *src, size_t n, size_t max, struct tarn_buf *out,
			const char **why)
{
	if (n < 4) {
		*why = "a snappy block is shorter than its 4-byte checksum";
		return TARN_EDATA;
	}
	size_t len;
	if (snappy_uncompressed_length((const char *)src, n - 4, &len) != SNAPPY_OK) {
		*why = "corrupt snappy data";
		return TARN_EDATA;
	}
	if (len > max)
		return too_big(why);
	if (tarn_buf_reserve(out, len + SLACK)) {
		*why = "out of memory";
		return TARN_ENOMEM;
	}
	size_t got = len;
	if (snappy_uncompress((const char *)src, n - 4, out->data, &got) != SNAPPY_OK ||
	    got != len) {
		*why = "corrupt snappy data";
		return TARN_EDATA;
	}
	out->len = len;
	uint32_t want = be32(src + n - 4);
	uint32_t crc = (uint32_t)crc32(0L, (const Bytef *)out->data, (uInt)0);
	/* crc32 takes uInt lengths: feed large blocks in pieces. */
	for (size_t off = 0; off < len;) {
		size_t k = len - off > (1u << 30) ? (1u << 30) : len - off;
		crc = (uint32_t)crc32(crc, (const Bytef *)out->data + off, (uInt)k);
		off += k;
	}
	if (crc != want) {
		*why = "snappy block checksum (CRC-32) mismatch: the block is corrupt";
		return TARN_EDATA;
	}
	return TARN_OK;
}

static tarn_rc unzstd(const uint8_t *src, size_t n, size_t max, struct tarn_buf *out,
		      const char **why)
{
	ZSTD_DStream *z = ZSTD_createDStream();
	if (!z) {
		*why = "cannot start the zstd decoder";
		return TARN_ENOMEM;
	}
	ZSTD_initDStream(z);
	unsigned long long hint = ZSTD_getFrameContentSize(src, n);
	size_t first = (hint != ZSTD_CONTENTSIZE_UNKNOWN && hint != ZSTD_CONTENTSIZE_ERROR &&
			hint <= max)
			       ? (size_t)hint
			       : n * 4 + 1024;
	ZSTD_inBuffer in = { src, n, 0 };
	tarn_rc rc = TARN_OK;
	size_t last = 0;
	bool started = false;
	while (in.pos < in.size || (started && last != 0)) {
		started = true;
		uint8_t probe;
		void *dst = &probe;
		size_t avail = 1;
		if (out->len < max) {
			if (room(out, first, max)) {
				*why = "out of memory";
				rc = TARN_ENOMEM;
				break;
			}
			avail = out->cap - out->len - SLACK;
			if (avail > max - out->len)
				avail = max - out->len;
			dst = out->data + out->len;
		}
		ZSTD_outBuffer o = { dst, avail, 0 };
		last = ZSTD_decompressStream(z, &o, &in);
		if (ZSTD_isError(last)) {
			*why = ZSTD_getErrorName(last);
			rc = TARN_EDATA;
			break;
		}
		if (dst == &probe) {
			if (o.pos) {
				rc = too_big(why);
				break;
			}
		} else {
			out->len += o.pos;
		}
		/* Not limited by room, and wanting input that is not there. */
		if (o.pos < avail && in.pos == in.size && last != 0) {
			*why = "the zstd data is truncated";
			rc = TARN_EDATA;
			break;
		}
	}
	ZSTD_freeDStream(z);
	return rc;
}

static tarn_rc unbzip2(const uint8_t *src, size_t n, size_t max, struct tarn_buf *out,
		       const char **why)
{
	tarn_rc rc = TARN_OK;
	size_t pos = 0;
	while (pos < n && rc == TARN_OK) {
		bz_stream z;
		memset(&z, 0, sizeof z);
		if (BZ2_bzDecompressInit(&z, 0, 0) != BZ_OK) {
			*why = "cannot start the bzip2 decoder";
			return TARN_ENOMEM;
		}
		for (;;) {
			if (out->len >= max) {
				rc = too_big(why);
				break;
			}
			if (room(out, (n - pos) * 4 + 1024, max)) {
				*why = "out of memory";
				rc = TARN_ENOMEM;
				break;
			}
			size_t avail = out->cap - out->len - SLACK;
			if (avail > max - out->len)
				avail = max - out->len;
			size_t in_chunk = n - pos > UINT32_MAX ? UINT32_MAX : n - pos;
			z.next_in = (char *)src + pos;
			z.avail_in = (unsigned)in_chunk;
			z.next_out = out->data + out->len;
			z.avail_out = avail > UINT32_MAX ? UINT32_MAX : (unsigned)avail;
			unsigned ao = z.avail_out;
			int r = BZ2_bzDecompress(&z);
			pos += in_chunk - z.avail_in;
			out->len += ao - z.avail_out;
			if (r == BZ_STREAM_END)
				break;
			if (r != BZ_OK) {
				*why = r == BZ_MEM_ERROR ? "out of memory in the bzip2 decoder"
							 : "corrupt bzip2 data";
				rc = r == BZ_MEM_ERROR ? TARN_ENOMEM : TARN_EDATA;
				break;
			}
			if (pos == n && ao == z.avail_out) {
				*why = "the bzip2 data is truncated";
				rc = TARN_EDATA;
				break;
			}
		}
		BZ2_bzDecompressEnd(&z);
	}
	return rc;
}

static tarn_rc unxz(const uint8_t *src, size_t n, size_t max, struct tarn_buf *out,
		    const char **why)
{
	lzma_stream z = LZMA_STREAM_INIT;
	if (lzma_stream_decoder(&z, UINT64_MAX, LZMA_CONCATENATED) != LZMA_OK) {
		*why = "cannot start the xz decoder";
		return TARN_ENOMEM;
	}
	tarn_rc rc = TARN_OK;
	z.next_in = src;
	z.avail_in = n;
	for (;;) {
		if (out->len >= max) {
			uint8_t probe;
			z.next_out = &probe;
			z.avail_out = 1;
			lzma_ret r = lzma_code(&z, LZMA_FINISH);
			if (r == LZMA_STREAM_END && z.avail_out == 1)
				break;
			rc = r == LZMA_OK || r == LZMA_STREAM_END ? too_big(why) : TARN_EDATA;
			if (rc == TARN_EDATA)
				*why = "corrupt xz data";
			break;
		}
		if (room(out, n * 4 + 1024, max)) {
			*why = "out of memory";
			rc = TARN_ENOMEM;
			break;
		}
		size_t avail = out->cap - out->len - SLACK;
		if (avail > max - out->len)
			avail = max - out->len;
		z.next_out = (uint8_t *)out->data + out->len;
		z.avail_out = avail;
		lzma_ret r = lzma_code(&z, LZMA_FINISH);
		out->len += avail - z.avail_out;
		if (r == LZMA_STREAM_END)
			break;
		if (r == LZMA_BUF_ERROR || (r == LZMA_OK && z.avail_in == 0 && z.avail_out != 0)) {
			*why = "the xz data is truncated";
			rc = TARN_EDATA;
			break;
		}
		if (r != LZMA_OK) {
			*why = r == LZMA_MEM_ERROR ? "out of memory in the xz decoder"
						   : "corrupt xz data";
			rc = r == LZMA_MEM_ERROR ? TARN_ENOMEM : TARN_EDATA;
			break;
		}
	}
	lzma_end(&z);
	return rc;
}

tarn_rc avro_decompress(int codec, const uint8_t *src, size_t n, size_t max, struct tarn_buf *out,
			const char **why)
{
	*why = NULL;
	out->len = 0;
	tarn_rc rc;
	switch (codec) {
	case AC_NULL:
		if (n > max)
			return too_big(why);
		rc = tarn_buf_append(out, src, n);
		if (rc)
			*why = "out of memory";
		break;
	case AC_DEFLATE:
		rc = inflate_block(src, n, max, out, -15, why);
		if (rc == TARN_EDATA && n >= 2 && (src[0] & 0x0f) == 8 &&
		    ((unsigned)src[0] << 8 | src[1]) % 31 == 0) {
			/* A zlib header: some writers wrap the deflate stream. */
			out->len = 0;
			rc = inflate_block(src, n, max, out, 15, why);
		}
		break;
	case AC_SNAPPY: rc = unsnappy(src, n, max, out, why); break;
	case AC_ZSTD: rc = unzstd(src, n, max, out, why); break;
	case AC_BZIP2: rc = unbzip2(src, n, max, out, why); break;
	case AC_XZ: rc = unxz(src, n, max, out, why); break;
	default: *why = "unknown codec"; return TARN_EUNSUPPORTED;
	}
	if (rc == TARN_OK && finish(out)) {
		*why = "out of memory";
		rc = TARN_ENOMEM;
	}
	return rc;
}

tarn_rc avro_compress(int codec, int level, const uint8_t *src, size_t n, struct tarn_buf *out)
{
	switch (codec) {
	case AC_NULL: return tarn_buf_append(out, src, n);
	case AC_DEFLATE: {
		z_stream z;
		memset(&z, 0, sizeof z);
		if (deflateInit2(&z, level ? level : 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
			return TARN_ENOMEM;
		size_t cap = deflateBound(&z, (uLong)n) + 64;
		tarn_rc rc = tarn_buf_reserve(out, cap);
		if (rc == TARN_OK) {
			z.next_in = (Bytef *)src;
			z.avail_in = (uInt)n;
			z.next_out = (Bytef *)out->data + out->len;
			z.avail_out = (uInt)cap;
			if (deflate(&z, Z_FINISH) != Z_STREAM_END)
				rc = TARN_EINTERNAL;
			else
				out->len += cap - z.avail_out;
		}
		deflateEnd(&z);
		return rc;
	}
	case AC_SNAPPY: {
		size_t cap = snappy_max_compressed_length(n);
		TRY(tarn_buf_reserve(out, cap + 4));
		size_t k = cap;
		if (snappy_compress((const char *)src, n, out->data + out->len, &k) != SNAPPY_OK)
			return TARN_EINTERNAL;
		out->len += k;
		uint32_t crc = (uint32_t)crc32(0L, (const Bytef *)src, (uInt)n);
		uint8_t b[4] = { (uint8_t)(crc >> 24), (uint8_t)(crc >> 16), (uint8_t)(crc >> 8),
				 (uint8_t)crc };
		return tarn_buf_append(out, b, 4);
	}
	case AC_ZSTD: {
		size_t cap = ZSTD_compressBound(n);
		TRY(tarn_buf_reserve(out, cap));
		size_t k = ZSTD_compress(out->data + out->len, cap, src, n, level ? level : 3);
		if (ZSTD_isError(k))
			return TARN_EINTERNAL;
		out->len += k;
		return TARN_OK;
	}
	case AC_BZIP2: {
		/* Worst case per the bzip2 manual: 1% + 600 bytes. */
		size_t cap = n + n / 100 + 1024;
		if (cap > UINT32_MAX)
			return TARN_ELIMIT;
		TRY(tarn_buf_reserve(out, cap));
		unsigned k = (unsigned)cap;
		int r = BZ2_bzBuffToBuffCompress(out->data + out->len, &k, (char *)src, (unsigned)n,
						 level ? level : 9, 0, 0);
		if (r != BZ_OK)
			return r == BZ_MEM_ERROR ? TARN_ENOMEM : TARN_EINTERNAL;
		out->len += k;
		return TARN_OK;
	}
	case AC_XZ: {
		size_t cap = lzma_stream_buffer_bound(n);
		TRY(tarn_buf_reserve(out, cap));
		size_t pos = 0;
		lzma_ret r = lzma_easy_buffer_encode((uint32_t)(level ? level : 6), LZMA_CHECK_CRC64,
						     NULL, src, n, (uint8_t *)out->data + out->len,
						     &pos, cap);
		if (r != LZMA_OK)
			return r == LZMA_MEM_ERROR ? TARN_ENOMEM : TARN_EINTERNAL;
		out->len += pos;
		return TARN_OK;
	}
	default: return TARN_EUNSUPPORTED;
	}
}
