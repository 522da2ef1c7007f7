/*
 * orc_codec.c — ORC's compression framing and codecs (ORCv1.md,
 * "Compression"): every stream, the footer and the metadata are a sequence
 * of chunks, each with a 3-byte little-endian header (length * 2 +
 * isOriginal) followed by that many bytes, either raw (isOriginal) or
 * compressed on their own. ZLIB is raw deflate (no zlib header), LZ4 a bare
 * block, ZSTD a frame, SNAPPY a raw snappy block, BROTLI a brotli stream,
 * LZO an LZO1X block (orc_lzo.c). Files without compression have no chunk
 * headers at all.
 *
 * Reading is chunk by chunk into a window (struct orc_stream), so a stripe
 * never needs its streams decompressed whole: memory per stream is one
 * chunk (the PostScript's block size, which a chunk may not exceed) plus
 * what a decoder asks to see at once. Every decompressed length is checked
 * against the block size before it is trusted.
 *
 * Relies on zlib, libzstd, liblz4, libsnappy, libbrotli. Thread-safety: a
 * stream and its orc_dctx belong to one thread; orc_compress keeps no state.
 */
#include <brotli/decode.h>
#include <brotli/encode.h>
#include <lz4.h>
#include <snappy-c.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "base/err.h"
#include "formats/orc/orc_int.h"

bool orc_codec_supported(int c)
{
	return c >= ORC_C_NONE && c <= ORC_C_BROTLI;
}

static voidpf z_alloc(voidpf opaque, uInt items, uInt size)
{
	(void)opaque;
	return tarn_calloc(items, size);
}

static void z_free(voidpf opaque, voidpf p)
{
	(void)opaque;
	tarn_free(p);
}

void orc_dctx_free(struct orc_dctx *d)
{
	if (d->zlib) {
		inflateEnd(d->zlib);
		tarn_free(d->zlib);
	}
	if (d->zstd)
		ZSTD_freeDCtx(d->zstd);
	memset(d, 0, sizeof *d);
}

/* Decompresses one chunk of n bytes into dst (room for cap); *out_len =
 * the bytes produced. Producing more than cap is an error. */
static tarn_rc chunk_decompress(int codec, struct orc_dctx *dc, const uint8_t *src, size_t n,
				uint8_t *dst, size_t cap, size_t *out_len, const char **why)
{
	switch (codec) {
	case ORC_C_ZLIB: {
		z_stream *z = dc->zlib;
		if (!z) {
			z = tarn_calloc(1, sizeof *z);
			if (!z) {
				*why = "out of memory for the zlib decoder";
				return TARN_ENOMEM;
			}
			z->zalloc = z_alloc;
			z->zfree = z_free;
			if (inflateInit2(z, -15) != Z_OK) {
				tarn_free(z);
				*why = "cannot start the zlib decoder";
				return TARN_ENOMEM;
			}
			dc->zlib = z;
		} else if (inflateReset(z) != Z_OK) {
			*why = "zlib decoder reset failed";
			return TARN_EDATA;
		}
		z->next_in = (Bytef *)src;
		z->avail_in = (uInt)n;
		z->next_out = dst;
		z->avail_out = (uInt)cap;
		int zr = inflate(z, Z_FINISH);
		if (zr != Z_STREAM_END) {
			*why = zr == Z_BUF_ERROR && z->avail_out == 0
				       ? "a zlib chunk decompresses to more than the compression block size"
				       : "corrupt zlib (deflate) data";
			return zr == Z_MEM_ERROR ? TARN_ENOMEM : TARN_EDATA;
		}
		*out_len = cap - z->avail_out;
		return TARN_OK;
	}
	case ORC_C_SNAPPY: {
		size_t len;
		if (snappy_uncompressed_length((const char *)src, n, &len) != SNAPPY_OK) {
			*why = "corrupt snappy data";
			return TARN_EDATA;
		}
		if (len > cap) {
			*why = "a snappy chunk decompresses to more than the compression block size";
			return TARN_EDATA;
		}
		if (snappy_uncompress((const char *)src, n, (char *)dst, &len) != SNAPPY_OK) {
			*why = "corrupt snappy data";
			return TARN_EDATA;
		}
		*out_len = len;
		return TARN_OK;
	}
	case ORC_C_LZ4: {
		if (n > INT32_MAX || cap > INT32_MAX) {
			*why = "LZ4 chunk too large";
			return TARN_EDATA;
		}
		int r = LZ4_decompress_safe((const char *)src, (char *)dst, (int)n, (int)cap);
		if (r < 0) {
			*why = "corrupt LZ4 data (or larger than the compression block size)";
			return TARN_EDATA;
		}
		*out_len = (size_t)r;
		return TARN_OK;
	}
	case ORC_C_ZSTD: {
		if (!dc->zstd) {
			dc->zstd = ZSTD_createDCtx();
			if (!dc->zstd) {
				*why = "out of memory for the zstd decoder";
				return TARN_ENOMEM;
			}
		}
		size_t r = ZSTD_decompressDCtx(dc->zstd, dst, cap, src, n);
		if (ZSTD_isError(r)) {
			*why = ZSTD_getErrorCode(r) == ZSTD_error_dstSize_tooSmall
				       ? "a zstd chunk decompresses to more than the compression block size"
				       : "corrupt zstd data";
			return TARN_EDATA;
		}
		*out_len = r;
		return TARN_OK;
	}
	case ORC_C_BROTLI: {
		size_t len = cap;
		if (BrotliDecoderDecompress(n, src, &len, dst) != BROTLI_DECODER_RESULT_SUCCESS) {
			*why = "corrupt brotli data (or larger than the compression block size)";
			return TARN_EDATA;
		}
		*out_len = len;
		return TARN_OK;
	}
	case ORC_C_LZO:
		if (orc_lzo_decompress(src, n, dst, cap, out_len)) {
			*why = "corrupt LZO data (or larger than the compression block size)";
			return TARN_EDATA;
		}
		return TARN_OK;
	default: *why = "unknown compression kind"; return TARN_EUNSUPPORTED;
	}
}

/* ---- streams ----------------------------------------------------------------------------- */

/* What an empty window or a missing stream points at (never NULL, so no
 * pointer arithmetic on a null pointer). */
static const uint8_t none[1];

static void window_reset(struct orc_stream *s)
{
	s->p = s->end = s->buf ? s->buf : none;
}

void orc_stream_init(struct orc_stream *s, const uint8_t *p, size_t n, int codec, size_t block,
		     struct orc_dctx *dc)
{
	if (!p) /* a missing stream: an empty range, never a null pointer */
		p = none, n = 0;
	uint8_t *buf = s->buf;
	size_t cap = s->cap;
	memset(s, 0, sizeof *s);
	s->buf = buf; /* the window storage is reused across stripes */
	s->cap = cap;
	s->src = p;
	s->src_end = p + n;
	s->codec = codec;
	s->block = block;
	s->dc = dc;
	s->present = true;
	if (codec == ORC_C_NONE) {
		s->p = p;
		s->end = p + n;
		s->next = s->src_end;
	} else {
		s->p = s->end = buf ? buf : none;
		s->next = p;
	}
}

void orc_stream_free(struct orc_stream *s)
{
	tarn_free(s->buf);
	s->buf = NULL;
	s->cap = 0;
}

static tarn_rc window_reserve(struct orc_stream *s, size_t need)
{
	if (need <= s->cap)
		return TARN_OK;
	size_t cap = s->cap ? s->cap : 4096;
	while (cap < need)
		cap *= 2;
	uint8_t *b = tarn_malloc(cap);
	if (!b) {
		s->why = "out of memory for a stream buffer";
		return TARN_ENOMEM;
	}
	size_t keep = (size_t)(s->end - s->p);
	if (keep)
		memmove(b, s->p, keep);
	tarn_free(s->buf);
	s->buf = b;
	s->cap = cap;
	s->p = b;
	s->end = b + keep;
	return TARN_OK;
}

/* Appends the next chunk of the stream to the window. */
static tarn_rc next_chunk(struct orc_stream *s)
{
	if (s->src_end - s->next < 3) {
		s->why = "truncated compression chunk header";
		return TARN_EDATA;
	}
	uint32_t h = (uint32_t)s->next[0] | (uint32_t)s->next[1] << 8 | (uint32_t)s->next[2] << 16;
	size_t len = h >> 1;
	bool original = h & 1;
	const uint8_t *body = s->next + 3;
	if (len > (size_t)(s->src_end - body)) {
		s->why = "a compression chunk runs past the end of its stream";
		return TARN_EDATA;
	}
	if (original && len > s->block) {
		s->why = "an uncompressed chunk is larger than the compression block size";
		return TARN_EDATA;
	}
	/* Keep the unread bytes at the window start, then room for a block. */
	size_t keep = (size_t)(s->end - s->p);
	if (keep + s->block > s->cap) {
		TRY(window_reserve(s, keep + s->block)); /* moves them */
	} else if (s->p != s->buf) {
		if (keep)
			memmove(s->buf, s->p, keep);
		s->p = s->buf;
		s->end = s->buf + keep;
	}
	uint8_t *dst = s->buf + keep;
	size_t got;
	if (original) {
		memcpy(dst, body, len);
		got = len;
	} else {
		tarn_rc rc = chunk_decompress(s->codec, s->dc, body, len, dst, s->block, &got, &s->why);
		if (rc)
			return rc;
	}
	s->end = dst + got;
	s->next = body + len;
	return TARN_OK;
}

tarn_rc orc_stream_fill_slow(struct orc_stream *s, size_t want)
{
	if (!s->present) {
		s->why = "a required stream is missing";
		return TARN_EDATA;
	}
	if (s->codec == ORC_C_NONE)
		return TARN_OK; /* the whole stream is the window */
	if (s->p == s->end)
		window_reset(s);
	while ((size_t)(s->end - s->p) < want && s->next < s->src_end)
		TRY(next_chunk(s));
	return TARN_OK;
}

tarn_rc orc_stream_read(struct orc_stream *s, void *dst, size_t n)
{
	uint8_t *d = dst;
	while (n) {
		if (s->p == s->end) {
			if (s->next >= s->src_end || !s->present) {
				s->why = s->present ? "stream ends early" : "a required stream is missing";
				return TARN_EDATA;
			}
			window_reset(s);
			TRY(next_chunk(s));
			continue;
		}
		size_t k = (size_t)(s->end - s->p);
		if (k > n)
			k = n;
		memcpy(d, s->p, k);
		d += k;
		s->p += k;
		n -= k;
	}
	return TARN_OK;
}

tarn_rc orc_stream_skip(struct orc_stream *s, uint64_t n)
{
	while (n) {
		if (s->p == s->end) {
			if (s->next >= s->src_end || !s->present) {
				s->why = s->present ? "stream ends early" : "a required stream is missing";
				return TARN_EDATA;
			}
			window_reset(s);
			TRY(next_chunk(s));
			continue;
		}
		size_t k = (size_t)(s->end - s->p);
		if (k > n)
			k = (size_t)n;
		s->p += k;
		n -= k;
	}
	return TARN_OK;
}

tarn_rc orc_stream_seek(struct orc_stream *s, uint64_t chunk, uint64_t offset)
{
	if (!s->present) {
		s->why = "a required stream is missing";
		return TARN_EDATA;
	}
	size_t total = (size_t)(s->src_end - s->src);
	if (s->codec == ORC_C_NONE) {
		if (offset > total) {
			s->why = "row index position outside its stream";
			return TARN_EDATA;
		}
		s->p = s->src + offset;
		s->end = s->src_end;
		return TARN_OK;
	}
	if (chunk > total) {
		s->why = "row index position outside its stream";
		return TARN_EDATA;
	}
	s->next = s->src + chunk;
	window_reset(s);
	if (s->next < s->src_end)
		TRY(next_chunk(s));
	if (offset > (uint64_t)(s->end - s->p)) {
		s->why = "row index position outside its compression chunk";
		return TARN_EDATA;
	}
	s->p += offset;
	return TARN_OK;
}

tarn_rc orc_decompress_all(int codec, size_t block, const uint8_t *p, size_t n,
			   struct tarn_buf *out, size_t limit, struct orc_dctx *dc, const char **why)
{
	out->len = 0;
	if (codec == ORC_C_NONE) {
		if (n > limit) {
			*why = "section larger than the limit";
			return TARN_ELIMIT;
		}
		return tarn_buf_append(out, p, n);
	}
	const uint8_t *end = p + n;
	while (p < end) {
		if (end - p < 3) {
			*why = "truncated compression chunk header";
			return TARN_EDATA;
		}
		uint32_t h = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16;
		size_t len = h >> 1;
		p += 3;
		if (len > (size_t)(end - p)) {
			*why = "a compression chunk runs past the end of its section";
			return TARN_EDATA;
		}
		if ((h & 1) && len > block) {
			*why = "an uncompressed chunk is larger than the compression block size";
			return TARN_EDATA;
		}
		if (out->len + block > limit && out->len + ((h & 1) ? len : block) > limit) {
			*why = "decompressed section larger than the limit";
			return TARN_ELIMIT;
		}
		if (tarn_buf_reserve(out, block)) {
			*why = "out of memory decompressing a section";
			return TARN_ENOMEM;
		}
		size_t got;
		if (h & 1) {
			memcpy(out->data + out->len, p, len);
			got = len;
		} else {
			TRY(chunk_decompress(codec, dc, p, len, (uint8_t *)out->data + out->len, block,
					     &got, why));
		}
		out->len += got;
		p += len;
	}
	return TARN_OK;
}

/* ---- compression (writer) -------------------------------------------------------------- */

/* Compresses one chunk into dst (room for cap); *n_out = 0 when it did not
 * fit (the caller stores the chunk as original). */
static tarn_rc chunk_compress(int codec, int level, const uint8_t *src, size_t n, uint8_t *dst,
			      size_t cap, size_t *n_out)
{
	*n_out = 0;
	switch (codec) {
	case ORC_C_ZLIB: {
		z_stream z;
		memset(&z, 0, sizeof z);
		z.zalloc = z_alloc;
		z.zfree = z_free;
		if (deflateInit2(&z, level ? level : Z_DEFAULT_COMPRESSION, Z_DEFLATED, -15, 8,
				 Z_DEFAULT_STRATEGY) != Z_OK)
			return TARN_ENOMEM;
		z.next_in = (Bytef *)src;
		z.avail_in = (uInt)n;
		z.next_out = dst;
		z.avail_out = (uInt)cap;
		int zr = deflate(&z, Z_FINISH);
		if (zr == Z_STREAM_END)
			*n_out = cap - z.avail_out;
		deflateEnd(&z);
		return zr == Z_STREAM_END || zr == Z_OK || zr == Z_BUF_ERROR ? TARN_OK : TARN_ENOMEM;
	}
	case ORC_C_SNAPPY: {
		size_t len = cap;
		if (snappy_compress((const char *)src, n, (char *)dst, &len) == SNAPPY_OK)
			*n_out = len;
		return TARN_OK;
	}
	case ORC_C_LZ4: {
		int r = LZ4_compress_default((const char *)src, (char *)dst, (int)n, (int)cap);
		if (r > 0)
			*n_out = (size_t)r;
		return TARN_OK;
	}
	case ORC_C_ZSTD: {
		size_t r = ZSTD_compress(dst, cap, src, n, level ? level : 3);
		if (!ZSTD_isError(r))
			*n_out = r;
		else if (ZSTD_getErrorCode(r) == ZSTD_error_memory_allocation)
			return TARN_ENOMEM;
		return TARN_OK;
	}
	case ORC_C_BROTLI: {
		size_t len = cap;
		if (BrotliEncoderCompress(level ? level : 5, BROTLI_DEFAULT_WINDOW, BROTLI_MODE_GENERIC,
					  n, src, &len, dst))
			*n_out = len;
		return TARN_OK;
	}
	default: return TARN_EUNSUPPORTED;
	}
}

static size_t bound(int codec, size_t n)
{
	switch (codec) {
	case ORC_C_ZLIB: return n + n / 1000 + 64;
	case ORC_C_SNAPPY: return snappy_max_compressed_length(n);
	case ORC_C_LZ4: return (size_t)LZ4_compressBound((int)n);
	case ORC_C_ZSTD: return ZSTD_compressBound(n);
	case ORC_C_BROTLI: return BrotliEncoderMaxCompressedSize(n) ? BrotliEncoderMaxCompressedSize(n)
								  : n + 1024;
	default: return n;
	}
}

tarn_rc orc_compress(int codec, int level, size_t block, const uint8_t *src, size_t n,
		     struct tarn_buf *out, uint64_t *chunk_starts)
{
	if (codec == ORC_C_NONE) {
		if (chunk_starts && n)
			chunk_starts[0] = 0;
		return tarn_buf_append(out, src, n);
	}
	size_t base = out->len;
	size_t k = 0;
	for (size_t off = 0; off < n; off += block, k++) {
		size_t len = n - off < block ? n - off : block;
		if (chunk_starts)
			chunk_starts[k] = out->len - base;
		/* Room for the header and the codec's worst case; a compressed
		 * result is used only when smaller than the original. */
		size_t cap = bound(codec, len);
		TRY(tarn_buf_reserve(out, 3 + (cap > len ? cap : len)));
		uint8_t *h = (uint8_t *)out->data + out->len;
		size_t got;
		TRY(chunk_compress(codec, level, src + off, len, h + 3, cap, &got));
		bool original = got == 0 || got >= len;
		size_t body = original ? len : got;
		if (original)
			memcpy(h + 3, src + off, len);
		uint32_t hv = (uint32_t)(body * 2 + (original ? 1 : 0));
		h[0] = (uint8_t)hv;
		h[1] = (uint8_t)(hv >> 8);
		h[2] = (uint8_t)(hv >> 16);
		out->len += 3 + body;
	}
	return TARN_OK;
}
