/*
 * parquet_codec.c — page compression (Compression.md): SNAPPY, GZIP (RFC
 * 1952, concatenated members accepted), BROTLI, ZSTD (one or more frames),
 * LZ4_RAW (a bare LZ4 block) and the deprecated LZ4 codec, which in practice
 * is Hadoop's framing — repeated [BE32 uncompressed size][BE32 compressed
 * size][LZ4 block] — or, from some old writers, a bare block or an LZ4 frame;
 * all three are tried in that order. LZO is not supported.
 *
 * Decompression always knows the exact output size (the page header's
 * uncompressed size) and fails unless the codec produces exactly that many
 * bytes, so a lying header cannot leave uninitialised bytes behind.
 *
 * Relies on the Debian libraries zlib, libzstd, liblz4, libsnappy, libbrotli.
 * Thread-safety: no shared state; every call uses its own codec context.
 */
#include <brotli/decode.h>
#include <brotli/encode.h>
#include <lz4.h>
#include <lz4frame.h>
#include <snappy-c.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "base/err.h"
#include "formats/parquet/parquet_int.h"

bool pq_codec_supported(int codec)
{
	return codec >= 0 && codec <= PQ_LZ4_RAW && codec != PQ_LZO;
}

static tarn_rc gunzip(const uint8_t *src, size_t src_len, uint8_t *dst, size_t dst_len,
		      const char **why)
{
	z_stream z;
	memset(&z, 0, sizeof z);
	/* 15 + 32: accept gzip or zlib headers (old writers used zlib). */
	if (inflateInit2(&z, 15 + 32) != Z_OK) {
		*why = "cannot start the gzip decoder";
		return TARN_ENOMEM;
	}
	z.next_in = (Bytef *)src;
	z.next_out = dst;
	size_t in_left = src_len, out_left = dst_len;
	tarn_rc rc = TARN_OK;
	for (;;) {
		uInt in_chunk = in_left > UINT32_MAX ? UINT32_MAX : (uInt)in_left;
		uInt out_chunk = out_left > UINT32_MAX ? UINT32_MAX : (uInt)out_left;
		z.avail_in = in_chunk;
		z.avail_out = out_chunk;
		int zr = inflate(&z, Z_NO_FLUSH);
		in_left -= in_chunk - z.avail_in;
		out_left -= out_chunk - z.avail_out;
		if (zr == Z_STREAM_END) {
			/* Another member may follow (concatenated gzip); trailing
			 * zero padding is ignored. */
			while (in_left && *z.next_in == 0) {
				z.next_in++;
				in_left--;
			}
			if (!in_left)
				break;
			if (inflateReset(&z) != Z_OK) {
				*why = "gzip decoder reset failed";
				rc = TARN_EDATA;
				break;
			}
			continue;
		}
		if (zr == Z_BUF_ERROR && out_left == 0) {
			*why = "gzip data decompresses to more than the page size";
			rc = TARN_EDATA;
			break;
		}
		if (zr != Z_OK) {
			*why = zr == Z_MEM_ERROR ? "out of memory in the gzip decoder"
						 : "corrupt gzip data";
			rc = zr == Z_MEM_ERROR ? TARN_ENOMEM : TARN_EDATA;
			break;
		}
		if (!in_left && z.avail_in == 0) {
			*why = "truncated gzip data";
			rc = TARN_EDATA;
			break;
		}
	}
	inflateEnd(&z);
	if (rc == TARN_OK && out_left != 0) {
		*why = "gzip data decompresses to fewer bytes than the page size";
		rc = TARN_EDATA;
	}
	return rc;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static bool lz4_hadoop(const uint8_t *src, size_t src_len, uint8_t *dst, size_t dst_len)
{
	size_t out = 0;
	while (src_len > 0) {
		if (src_len < 8)
			return false;
		uint32_t usize = be32(src), csize = be32(src + 4);
		src += 8;
		src_len -= 8;
		if (csize > src_len || usize > dst_len - out || csize > INT32_MAX ||
		    usize > INT32_MAX)
			return false;
		int n = LZ4_decompress_safe((const char *)src, (char *)dst + out, (int)csize,
					    (int)usize);
		if (n < 0 || (uint32_t)n != usize)
			return false;
		out += usize;
		src += csize;
		src_len -= csize;
	}
	return out == dst_len;
}

static bool lz4_frame(const uint8_t *src, size_t src_len, uint8_t *dst, size_t dst_len)
{
	if (src_len < 4 || src[0] != 0x04 || src[1] != 0x22 || src[2] != 0x4d || src[3] != 0x18)
		return false;
	LZ4F_dctx *ctx;
	if (LZ4F_isError(LZ4F_createDecompressionContext(&ctx, LZ4F_VERSION)))
		return false;
	size_t out = 0;
	bool ok = true;
	while (src_len > 0) {
		size_t in_n = src_len, out_n = dst_len - out;
		size_t r = LZ4F_decompress(ctx, dst + out, &out_n, src, &in_n, NULL);
		if (LZ4F_isError(r) || (in_n == 0 && out_n == 0)) {
			ok = false;
			break;
		}
		src += in_n;
		src_len -= in_n;
		out += out_n;
		if (r == 0 && src_len == 0)
			break;
	}
	LZ4F_freeDecompressionContext(ctx);
	return ok && out == dst_len;
}

tarn_rc pq_decompress(int codec, const uint8_t *src, size_t src_len, uint8_t *dst, size_t dst_len,
		      const char **why)
{
	*why = NULL;
	switch (codec) {
	case PQ_UNCOMPRESSED:
		if (src_len != dst_len) {
			*why = "uncompressed page size differs from its stored size";
			return TARN_EDATA;
		}
		memcpy(dst, src, dst_len);
		return TARN_OK;
	case PQ_SNAPPY: {
		if (dst_len == 0 && src_len == 0)
			return TARN_OK;
		size_t n;
		if (snappy_uncompressed_length((const char *)src, src_len, &n) != SNAPPY_OK) {
			*why = "corrupt snappy data";
			return TARN_EDATA;
		}
		if (n != dst_len) {
			*why = "snappy data does not decompress to the page size";
			return TARN_EDATA;
		}
		if (snappy_uncompress((const char *)src, src_len, (char *)dst, &n) != SNAPPY_OK ||
		    n != dst_len) {
			*why = "corrupt snappy data";
			return TARN_EDATA;
		}
		return TARN_OK;
	}
	case PQ_GZIP:
		if (dst_len == 0 && src_len == 0)
			return TARN_OK;
		return gunzip(src, src_len, dst, dst_len, why);
	case PQ_BROTLI: {
		size_t n = dst_len;
		if (dst_len == 0 && src_len == 0)
			return TARN_OK;
		if (BrotliDecoderDecompress(src_len, src, &n, dst) != BROTLI_DECODER_RESULT_SUCCESS ||
		    n != dst_len) {
			*why = "corrupt brotli data, or not the page size";
			return TARN_EDATA;
		}
		return TARN_OK;
	}
	case PQ_ZSTD: {
		if (src_len == 0 && dst_len == 0)
			return TARN_OK;
		size_t n = ZSTD_decompress(dst, dst_len, src, src_len);
		if (ZSTD_isError(n)) {
			*why = ZSTD_getErrorName(n);
			return TARN_EDATA;
		}
		if (n != dst_len) {
			*why = "zstd data does not decompress to the page size";
			return TARN_EDATA;
		}
		return TARN_OK;
	}
	case PQ_LZ4_RAW: {
		if (src_len == 0 && dst_len == 0)
			return TARN_OK;
		if (src_len > INT32_MAX || dst_len > INT32_MAX) {
			*why = "LZ4 page too large";
			return TARN_ELIMIT;
		}
		int n = LZ4_decompress_safe((const char *)src, (char *)dst, (int)src_len,
					    (int)dst_len);
		if (n < 0 || (size_t)n != dst_len) {
			*why = "corrupt LZ4 data, or not the page size";
			return TARN_EDATA;
		}
		return TARN_OK;
	}
	case PQ_LZ4: {
		if (src_len == 0 && dst_len == 0)
			return TARN_OK;
		if (lz4_hadoop(src, src_len, dst, dst_len))
			return TARN_OK;
		if (lz4_frame(src, src_len, dst, dst_len))
			return TARN_OK;
		if (src_len <= INT32_MAX && dst_len <= INT32_MAX) {
			int n = LZ4_decompress_safe((const char *)src, (char *)dst, (int)src_len,
						    (int)dst_len);
			if (n >= 0 && (size_t)n == dst_len)
				return TARN_OK;
		}
		*why = "corrupt LZ4 data (tried Hadoop framing, LZ4 frame and a raw block)";
		return TARN_EDATA;
	}
	case PQ_LZO: *why = "the LZO codec is not supported"; return TARN_EUNSUPPORTED;
	default: *why = "unknown compression codec"; return TARN_EUNSUPPORTED;
	}
}

tarn_rc pq_compress(int codec, int level, const uint8_t *src, size_t src_len, struct tarn_buf *out)
{
	switch (codec) {
	case PQ_UNCOMPRESSED: return tarn_buf_append(out, src, src_len);
	case PQ_SNAPPY: {
		size_t cap = snappy_max_compressed_length(src_len);
		TRY(tarn_buf_reserve(out, cap));
		size_t n = cap;
		if (snappy_compress((const char *)src, src_len, out->data + out->len, &n) !=
		    SNAPPY_OK)
			return TARN_EINTERNAL;
		out->len += n;
		return TARN_OK;
	}
	case PQ_GZIP: {
		z_stream z;
		memset(&z, 0, sizeof z);
		int lv = level ? level : 6;
		if (deflateInit2(&z, lv, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
			return TARN_ENOMEM;
		size_t cap = deflateBound(&z, (uLong)src_len) + 32;
		tarn_rc rc = tarn_buf_reserve(out, cap);
		if (rc == TARN_OK) {
			z.next_in = (Bytef *)src;
			z.avail_in = (uInt)src_len;
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
	case PQ_BROTLI: {
		size_t cap = BrotliEncoderMaxCompressedSize(src_len);
		if (cap == 0)
			cap = src_len + 1024;
		TRY(tarn_buf_reserve(out, cap));
		size_t n = cap;
		int q = level ? level : 5;
		if (!BrotliEncoderCompress(q, BROTLI_DEFAULT_WINDOW, BROTLI_MODE_GENERIC, src_len,
					   src, &n, (uint8_t *)out->data + out->len))
			return TARN_EINTERNAL;
		out->len += n;
		return TARN_OK;
	}
	case PQ_ZSTD: {
		size_t cap = ZSTD_compressBound(src_len);
		TRY(tarn_buf_reserve(out, cap));
		size_t n = ZSTD_compress(out->data + out->len, cap, src, src_len, level ? level : 3);
		if (ZSTD_isError(n))
			return TARN_EINTERNAL;
		out->len += n;
		return TARN_OK;
	}
	case PQ_LZ4_RAW: {
		if (src_len > LZ4_MAX_INPUT_SIZE)
			return TARN_ELIMIT;
		int cap = LZ4_compressBound((int)src_len);
		TRY(tarn_buf_reserve(out, (size_t)cap));
		int n = LZ4_compress_default((const char *)src, out->data + out->len, (int)src_len,
					     cap);
		if (n <= 0 && src_len > 0)
			return TARN_EINTERNAL;
		out->len += (size_t)n;
		return TARN_OK;
	}
	default: return TARN_EUNSUPPORTED;
	}
}
