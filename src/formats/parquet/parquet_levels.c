/*
 * parquet_levels.c — the RLE / bit-packing hybrid (Encodings.md), used for
 * definition and repetition levels, dictionary indices and RLE booleans, plus
 * the bit-unpacking kernels shared with DELTA_BINARY_PACKED.
 *
 * Hybrid layout: a sequence of runs, each starting with a ULEB128 header h.
 * h & 1 = 1: a bit-packed run of (h >> 1) groups of 8 values, each group bw
 * bytes, values LSB first. h & 1 = 0: an RLE run of (h >> 1) copies of one
 * value stored in ceil(bw / 8) little-endian bytes. The last bit-packed run
 * may be cut short by some writers; values are decoded as far as the bytes go.
 *
 * Unpacking is specialised per bit width: unpack32 is an always-inline loop
 * with a constant width, instantiated by a switch, so the compiler turns each
 * case into straight-line shifts and masks. It reads whole 8-byte words, so it
 * needs 8 bytes of slack after the packed block; callers near the end of a
 * buffer go through a zero-padded copy.
 *
 * Little-endian hosts only (x86-64, arm64), like the rest of tarn.
 * Thread-safety: decoders are per-thread values.
 */
#include <string.h>

#include "base/err.h"
#include "formats/parquet/parquet_int.h"

static inline __attribute__((always_inline)) void unpack32_w(const uint8_t *in, uint32_t *out,
							     const int w)
{
	if (w == 0) {
		memset(out, 0, 32 * sizeof *out);
		return;
	}
	if (w == 32) {
		memcpy(out, in, 32 * sizeof *out);
		return;
	}
	const uint64_t mask = (1ull << w) - 1;
	for (int i = 0; i < 32; i++) {
		const int bit = i * w;
		uint64_t v;
		memcpy(&v, in + (bit >> 3), 8);
		out[i] = (uint32_t)((v >> (bit & 7)) & mask);
	}
}

static void unpack32_dispatch(const uint8_t *in, uint32_t *out, int bw)
{
	switch (bw) {
#define C(w) \
	case w: unpack32_w(in, out, w); break;
		C(0) C(1) C(2) C(3) C(4) C(5) C(6) C(7) C(8) C(9) C(10) C(11) C(12) C(13) C(14) C(15)
		C(16) C(17) C(18) C(19) C(20) C(21) C(22) C(23) C(24) C(25) C(26) C(27) C(28) C(29)
		C(30) C(31) C(32)
#undef C
	default: memset(out, 0, 32 * sizeof *out); break;
	}
}

void pq_unpack32_u32(const uint8_t *in, uint32_t *out, int bw)
{
	unpack32_dispatch(in, out, bw);
}

static inline __attribute__((always_inline)) void unpack32_w64(const uint8_t *in, uint64_t *out,
							       const int w)
{
	if (w == 0) {
		memset(out, 0, 32 * sizeof *out);
		return;
	}
	if (w == 64) {
		memcpy(out, in, 32 * sizeof *out);
		return;
	}
	const uint64_t mask = (1ull << w) - 1;
	for (int i = 0; i < 32; i++) {
		const int bit = i * w;
		uint64_t v;
		memcpy(&v, in + (bit >> 3), 8);
		v >>= (bit & 7);
		if ((bit & 7) + w > 64)
			v |= (uint64_t)in[(bit >> 3) + 8] << (64 - (bit & 7));
		out[i] = v & mask;
	}
}

void pq_unpack32_u64(const uint8_t *in, uint64_t *out, int bw)
{
	switch (bw) {
#define C(w) \
	case w: unpack32_w64(in, out, w); break;
		C(0) C(1) C(2) C(3) C(4) C(5) C(6) C(7) C(8) C(9) C(10) C(11) C(12) C(13) C(14) C(15)
		C(16) C(17) C(18) C(19) C(20) C(21) C(22) C(23) C(24) C(25) C(26) C(27) C(28) C(29)
		C(30) C(31) C(32) C(33) C(34) C(35) C(36) C(37) C(38) C(39) C(40) C(41) C(42) C(43)
		C(44) C(45) C(46) C(47) C(48) C(49) C(50) C(51) C(52) C(53) C(54) C(55) C(56) C(57)
		C(58) C(59) C(60) C(61) C(62) C(63) C(64)
#undef C
	default: memset(out, 0, 32 * sizeof *out); break;
	}
}

/* Unpacks `count` (<= 32) values from at most `avail` bytes, safe at the end
 * of a buffer. */
static void unpack_tail(const uint8_t *in, size_t avail, uint32_t *out, int bw)
{
	uint8_t tmp[4 * 32 + 16];
	size_t need = (size_t)4 * (size_t)bw;
	if (avail >= need + 8) {
		unpack32_dispatch(in, out, bw);
		return;
	}
	memset(tmp, 0, sizeof tmp);
	memcpy(tmp, in, avail < need ? avail : need);
	unpack32_dispatch(tmp, out, bw);
}

void pq_rle_init(struct pq_rle *d, const uint8_t *p, size_t n, int bw)
{
	d->p = p;
	d->end = p + n;
	d->bw = bw;
	d->mask = bw >= 32 ? 0xffffffffu : (1u << bw) - 1;
	d->left = 0;
	d->packed = false;
	d->value = 0;
	d->buf_pos = d->buf_len = 0;
	d->bad = bw < 0 || bw > 32;
}

/* Reads the next run header. False at the end of the data or on a malformed
 * header (then d->bad). */
static bool next_run(struct pq_rle *d)
{
	if (d->bad || d->p >= d->end)
		return false;
	uint64_t h = 0;
	int shift = 0;
	for (;;) {
		if (d->p >= d->end || shift > 35) {
			d->bad = true;
			return false;
		}
		uint8_t b = *d->p++;
		h |= (uint64_t)(b & 0x7f) << shift;
		shift += 7;
		if (!(b & 0x80))
			break;
	}
	uint64_t count = h >> 1;
	if (count == 0) {
		d->bad = true;
		return false;
	}
	if (h & 1) {
		d->packed = true;
		uint64_t n = count * 8;
		if (d->bw > 0) {
			uint64_t avail = (uint64_t)(d->end - d->p) * 8 / (uint64_t)d->bw;
			if (n > avail)
				n = avail;
		}
		if (n == 0) {
			d->bad = true;
			return false;
		}
		d->left = (int64_t)n;
	} else {
		int nb = (d->bw + 7) / 8;
		if (d->end - d->p < nb) {
			d->bad = true;
			return false;
		}
		uint32_t v = 0;
		for (int i = 0; i < nb; i++)
			v |= (uint32_t)d->p[i] << (8 * i);
		d->p += nb;
		if (v & ~d->mask) {
			d->bad = true;
			return false;
		}
		d->packed = false;
		d->value = v;
		d->left = (int64_t)count;
	}
	return true;
}

int64_t pq_rle_get_u32(struct pq_rle *d, uint32_t *out, int64_t n)
{
	int64_t got = 0;
	const int bw = d->bw;
	while (got < n) {
		if (d->buf_pos < d->buf_len) {
			int64_t k = d->buf_len - d->buf_pos;
			if (k > n - got)
				k = n - got;
			memcpy(out + got, d->buf + d->buf_pos, (size_t)k * sizeof *out);
			d->buf_pos += (int)k;
			got += k;
			continue;
		}
		if (d->left == 0 && !next_run(d))
			break;
		if (!d->packed) {
			int64_t k = d->left < n - got ? d->left : n - got;
			uint32_t v = d->value;
			uint32_t *o = out + got;
			for (int64_t i = 0; i < k; i++)
				o[i] = v;
			d->left -= k;
			got += k;
			continue;
		}
		/* Whole blocks of 32 straight into the output. */
		while (n - got >= 32 && d->left >= 32) {
			size_t avail = (size_t)(d->end - d->p);
			if (avail >= (size_t)4 * bw + 8)
				unpack32_dispatch(d->p, out + got, bw);
			else
				unpack_tail(d->p, avail, out + got, bw);
			d->p += 4 * bw;
			d->left -= 32;
			got += 32;
		}
		if (got < n && d->left > 0) {
			int m = d->left < 32 ? (int)d->left : 32;
			size_t bytes = ((size_t)m * (size_t)bw + 7) / 8;
			size_t avail = (size_t)(d->end - d->p);
			unpack_tail(d->p, avail, d->buf, bw);
			d->p += bytes < avail ? bytes : avail;
			d->left -= m;
			d->buf_pos = 0;
			d->buf_len = m;
		}
	}
	return got;
}

int64_t pq_rle_get_u8(struct pq_rle *d, uint8_t *out, int64_t n)
{
	int64_t got = 0;
	uint32_t tmp[256];
	while (got < n) {
		/* Long RLE runs (the common case for levels) become memsets. */
		if (d->buf_pos >= d->buf_len && d->left > 0 && !d->packed) {
			int64_t k = d->left < n - got ? d->left : n - got;
			memset(out + got, (int)d->value, (size_t)k);
			d->left -= k;
			got += k;
			continue;
		}
		if (d->buf_pos >= d->buf_len && d->left == 0) {
			if (!next_run(d))
				break;
			continue;
		}
		int64_t want = n - got < 256 ? n - got : 256;
		int64_t k = pq_rle_get_u32(d, tmp, want);
		for (int64_t i = 0; i < k; i++)
			out[got + i] = (uint8_t)tmp[i];
		got += k;
		if (k < want)
			break;
	}
	return got;
}

int64_t pq_bitpacked_msb_get_u8(const uint8_t *p, size_t n, int bw, int64_t start, uint8_t *out,
				int64_t count)
{
	if (bw == 0) {
		memset(out, 0, (size_t)count);
		return count;
	}
	uint64_t total_bits = (uint64_t)n * 8;
	for (int64_t i = 0; i < count; i++) {
		uint64_t bit = (uint64_t)(start + i) * (uint64_t)bw;
		if (bit + (uint64_t)bw > total_bits)
			return i;
		uint32_t v = 0;
		for (int b = 0; b < bw; b++) {
			uint64_t pos = bit + (uint64_t)b;
			v = (v << 1) | ((p[pos >> 3] >> (7 - (pos & 7))) & 1);
		}
		out[i] = (uint8_t)v;
	}
	return count;
}

/* ---- encoding ------------------------------------------------------------------- */

static tarn_rc put_uleb(struct tarn_buf *out, uint64_t v)
{
	uint8_t tmp[10];
	size_t n = 0;
	while (v >= 0x80) {
		tmp[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	tmp[n++] = (uint8_t)v;
	return tarn_buf_append(out, tmp, n);
}

static tarn_rc put_rle_run(struct tarn_buf *out, uint32_t v, int64_t count, int bw)
{
	TRY(put_uleb(out, (uint64_t)count << 1));
	uint8_t b[4];
	int nb = (bw + 7) / 8;
	for (int i = 0; i < nb; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	return tarn_buf_append(out, b, (size_t)nb);
}

/* Generates the encoder over an element type: runs of >= 8 equal values
 * (checked at group boundaries of the packed section) become RLE runs; the
 * rest is bit-packed in groups of 8, the last group zero-padded. */
#define DEFINE_RLE_ENCODE(NAME, T)                                                           \
	tarn_rc NAME(struct tarn_buf *out, const T *values, int64_t n, int bw)               \
	{                                                                                    \
		int64_t pos = 0;                                                             \
		while (pos < n) {                                                            \
			int64_t r = 1;                                                       \
			while (pos + r < n && values[pos + r] == values[pos])                \
				r++;                                                         \
			if (r >= 8 || pos + r == n) {                                        \
				TRY(put_rle_run(out, values[pos], r, bw));                   \
				pos += r;                                                    \
				continue;                                                    \
			}                                                                    \
			int64_t end = pos;                                                   \
			while (end < n) {                                                    \
				if (end > pos) {                                             \
					int64_t rr = 1;                                      \
					while (end + rr < n && rr < 8 &&                     \
					       values[end + rr] == values[end])              \
						rr++;                                        \
					if (rr >= 8)                                         \
						break;                                       \
				}                                                            \
				end += 8;                                                    \
			}                                                                    \
			int64_t groups = (end - pos + 7) / 8;                                \
			if (end > n)                                                         \
				end = n;                                                     \
			TRY(put_uleb(out, (uint64_t)groups << 1 | 1));                       \
			TRY(tarn_buf_reserve(out, (size_t)(groups * bw) + 8));               \
			uint8_t *dst = (uint8_t *)out->data + out->len;                      \
			memset(dst, 0, (size_t)(groups * bw));                               \
			uint64_t acc = 0;                                                    \
			int nbits = 0;                                                       \
			size_t o = 0;                                                        \
			for (int64_t i = pos; i < pos + groups * 8; i++) {                   \
				uint64_t v = i < end ? (uint64_t)values[i] : 0;              \
				acc |= v << nbits;                                           \
				nbits += bw;                                                 \
				while (nbits >= 8) {                                         \
					dst[o++] = (uint8_t)acc;                             \
					acc >>= 8;                                           \
					nbits -= 8;                                          \
				}                                                            \
			}                                                                    \
			out->len += (size_t)(groups * bw);                                   \
			pos = end;                                                           \
		}                                                                            \
		return TARN_OK;                                                              \
	}

DEFINE_RLE_ENCODE(pq_rle_encode, uint32_t)
DEFINE_RLE_ENCODE(pq_rle_encode_u8, uint8_t)
