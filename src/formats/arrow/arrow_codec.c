/*
 * arrow_codec.c — Arrow IPC buffer compression (Message.fbs BodyCompression):
 * LZ4 frame format (lz4frame.h) and Zstandard, one buffer at a time. The
 * int64 length prefix that precedes each compressed buffer is handled by the
 * reader and writer; this file only turns bytes into bytes.
 *
 * Contexts live in struct ax_codec, one per thread that uses them, created on
 * first use and reused across buffers (allocating a zstd context per buffer
 * costs more than decompressing a small one). The codec libraries allocate
 * with malloc, outside tarn's allocation hook, as in the Parquet codecs.
 */
#include <lz4frame.h>
#include <string.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "base/err.h"
#include "base/mem.h"
#include "formats/arrow/arrow_int.h"

void ax_codec_free(struct ax_codec *c)
{
	if (!c)
		return;
	if (c->lz4_dctx)
		LZ4F_freeDecompressionContext(c->lz4_dctx);
	ZSTD_freeDCtx(c->zstd_dctx);
	ZSTD_freeCCtx(c->zstd_cctx);
	memset(c, 0, sizeof *c);
}

/* Decompresses into dst[0..cap); *produced = bytes written. Returns 0 when
 * the frame ended, 1 when dst filled up before it did, -1 on corrupt input
 * (*msg set). */
static int lz4_run(struct ax_codec *c, const uint8_t *src, size_t n, uint8_t *dst, size_t cap,
		   size_t *produced, const char **msg)
{
	LZ4F_dctx *d = c->lz4_dctx;
	LZ4F_resetDecompressionContext(d);
	size_t in_left = n, out_left = cap;
	for (;;) {
		size_t in = in_left, out = out_left;
		size_t r = LZ4F_decompress(d, dst + (cap - out_left), &out, src + (n - in_left), &in,
					   NULL);
		if (LZ4F_isError(r)) {
			*msg = LZ4F_getErrorName(r);
			return -1;
		}
		in_left -= in;
		out_left -= out;
		*produced = cap - out_left;
		if (r == 0)
			return 0; /* end of frame */
		if (out_left == 0 && in == 0 && out == 0)
			return 1;
		if (in_left == 0 || (in == 0 && out == 0)) {
			if (out_left == 0)
				return 1;
			*msg = "truncated frame";
			return -1;
		}
	}
}

static tarn_rc lz4_ctx(struct ax_codec *c, struct tarn_err *err)
{
	if (c->lz4_dctx)
		return TARN_OK;
	LZ4F_dctx *d = NULL;
	if (LZ4F_isError(LZ4F_createDecompressionContext(&d, LZ4F_VERSION)))
		return tarn_err_nomem(err, "LZ4 decompression context");
	c->lz4_dctx = d;
	return TARN_OK;
}

static tarn_rc lz4_decompress(struct ax_codec *c, const uint8_t *src, size_t n, uint8_t *dst,
			      size_t dst_n, struct tarn_err *err)
{
	TRY(lz4_ctx(c, err));
	size_t got = 0;
	const char *msg = NULL;
	int st = lz4_run(c, src, n, dst, dst_n, &got, &msg);
	if (st < 0)
		return tarn_err_set(err, TARN_EDATA, "corrupt LZ4 frame: %s", msg);
	if (st > 0)
		return tarn_err_set(err, TARN_EDATA,
				    "an LZ4 frame holds more than the %zu bytes its length prefix "
				    "gives",
				    dst_n);
	if (got != dst_n)
		return tarn_err_set(err, TARN_EDATA,
				    "an LZ4 frame gave %zu bytes, its length prefix says %zu", got,
				    dst_n);
	return TARN_OK;
}

static tarn_rc zstd_ctx(struct ax_codec *c, struct tarn_err *err)
{
	if (!c->zstd_dctx && !(c->zstd_dctx = ZSTD_createDCtx()))
		return tarn_err_nomem(err, "zstd decompression context");
	return TARN_OK;
}

static tarn_rc zstd_decompress(struct ax_codec *c, const uint8_t *src, size_t n, uint8_t *dst,
			       size_t dst_n, struct tarn_err *err)
{
	TRY(zstd_ctx(c, err));
	size_t r = ZSTD_decompressDCtx(c->zstd_dctx, dst, dst_n, src, n);
	if (ZSTD_isError(r))
		return tarn_err_set(err, TARN_EDATA, "corrupt zstd data: %s", ZSTD_getErrorName(r));
	if (r != dst_n)
		return tarn_err_set(err, TARN_EDATA,
				    "zstd data gave %zu bytes, its length prefix says %zu", r, dst_n);
	return TARN_OK;
}

tarn_rc ax_decompress(struct ax_codec *c, int codec, const uint8_t *src, size_t n, uint8_t *dst,
		      size_t dst_n, struct tarn_err *err)
{
	switch (codec) {
	case AX_LZ4_FRAME: return lz4_decompress(c, src, n, dst, dst_n, err);
	case AX_ZSTD: return zstd_decompress(c, src, n, dst, dst_n, err);
	}
	return tarn_err_set(err, TARN_EUNSUPPORTED, "unknown buffer compression codec %d", codec);
}

/* The content size a frame header declares, or 0 when it does not. */
static size_t frame_size_hint(struct ax_codec *c, int codec, const uint8_t *src, size_t n)
{
	if (codec == AX_ZSTD) {
		unsigned long long k = ZSTD_getFrameContentSize(src, n);
		return k == ZSTD_CONTENTSIZE_UNKNOWN || k == ZSTD_CONTENTSIZE_ERROR ? 0 : (size_t)k;
	}
	LZ4F_frameInfo_t fi;
	memset(&fi, 0, sizeof fi);
	size_t consumed = n;
	LZ4F_resetDecompressionContext(c->lz4_dctx);
	size_t r = LZ4F_getFrameInfo(c->lz4_dctx, &fi, src, &consumed);
	return LZ4F_isError(r) ? 0 : (size_t)fi.contentSize;
}

tarn_rc ax_decompress_unsized(struct ax_codec *c, int codec, const uint8_t *src, size_t n,
			      size_t max, uint8_t **out, size_t *out_n, struct tarn_err *err)
{
	*out = NULL;
	*out_n = 0;
	TRY(codec == AX_ZSTD ? zstd_ctx(c, err) : lz4_ctx(c, err));
	size_t cap = frame_size_hint(c, codec, src, n);
	if (!cap || cap > max)
		cap = n * 4 < max ? n * 4 : max;
	if (cap < 64)
		cap = 64 < max ? 64 : max;
	for (;;) {
		uint8_t *dst = tarn_alloc_aligned(cap);
		if (!dst)
			return tarn_err_nomem(err, "Arrow decompression");
		size_t got = 0;
		const char *msg = "corrupt data";
		int st;
		if (codec == AX_ZSTD) {
			size_t r = ZSTD_decompressDCtx(c->zstd_dctx, dst, cap, src, n);
			st = !ZSTD_isError(r) ? 0
			     : ZSTD_getErrorCode(r) == ZSTD_error_dstSize_tooSmall ? 1 : -1;
			if (st == 0)
				got = r;
			else
				msg = ZSTD_getErrorName(r);
		} else {
			st = lz4_run(c, src, n, dst, cap, &got, &msg);
		}
		if (st == 0) {
			*out = dst;
			*out_n = got;
			return TARN_OK;
		}
		tarn_free_aligned(dst);
		if (st < 0)
			return tarn_err_set(err, TARN_EDATA, "corrupt %s data: %s",
					    codec == AX_ZSTD ? "zstd" : "LZ4", msg);
		if (cap >= max)
			return tarn_err_set(err, TARN_ELIMIT,
					    "a buffer decompresses to more than %zu bytes (see "
					    "max-message-size)",
					    max);
		cap = cap > max / 2 ? max : cap * 2;
	}
}

static LZ4F_preferences_t lz4_prefs(size_t n, int level)
{
	LZ4F_preferences_t p;
	memset(&p, 0, sizeof p);
	p.frameInfo.contentSize = n;
	p.compressionLevel = level;
	return p;
}

size_t ax_compress_bound(int codec, size_t n)
{
	if (codec == AX_LZ4_FRAME) {
		LZ4F_preferences_t p = lz4_prefs(n, 0);
		return LZ4F_compressFrameBound(n, &p);
	}
	return ZSTD_compressBound(n);
}

tarn_rc ax_compress(struct ax_codec *c, int codec, int level, const uint8_t *src, size_t n,
		    uint8_t *dst, size_t cap, size_t *out_n, struct tarn_err *err)
{
	size_t r;
	if (codec == AX_LZ4_FRAME) {
		LZ4F_preferences_t p = lz4_prefs(n, level);
		r = LZ4F_compressFrame(dst, cap, src, n, &p);
		if (LZ4F_isError(r))
			return tarn_err_set(err, TARN_EINTERNAL, "LZ4 compression failed: %s",
					    LZ4F_getErrorName(r));
	} else {
		if (!c->zstd_cctx && !(c->zstd_cctx = ZSTD_createCCtx()))
			return tarn_err_nomem(err, "zstd compression context");
		r = ZSTD_compressCCtx(c->zstd_cctx, dst, cap, src, n, level ? level : 1);
		if (ZSTD_isError(r))
			return tarn_err_set(err, TARN_EINTERNAL, "zstd compression failed: %s",
					    ZSTD_getErrorName(r));
	}
	*out_n = r;
	return TARN_OK;
}
