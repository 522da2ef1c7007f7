/*
 * orc_lzo.c — LZO1X block decompression, for ORC files compressed with LZO
 * (compression kind 3: each chunk is a bare LZO1X block). No LZO library is
 * linked, so this decodes the bitstream itself, following the published
 * description of the LZO1X instruction encoding (Linux kernel
 * Documentation/staging/lzo.rst):
 *
 *   state = literals copied by the previous instruction (0, 1..3, or 4 for
 *   "4 or more"); the first byte may open with a literal run (> 17).
 *   0000LLLL  state 0: long literal run (3 + L, L = 0 extends by zero bytes)
 *             state 1..3: 2-byte match, distance (H << 2) + D + 1
 *             state 4: 3-byte match, distance (H << 2) + D + 2049
 *   0001HLLL  match of 2 + L (extended), distance 16384 + (H << 14) + D
 *             from a LE16; distance 16384 exactly = end of stream
 *   001LLLLL  match of 2 + L (extended), distance D + 1 from a LE16
 *   01LDDDSS  match of 3 + L, distance (H << 3) + D + 1
 *   1LLDDDSS  match of 5 + L, distance (H << 3) + D + 1
 *   where SS (low two bits of the opcode or the LE16) = literals that follow.
 *
 * Every read is bounds-checked against the input and every write against
 * the output capacity; a match may not reach before the output start.
 * Thread-safety: pure function.
 */
#include <string.h>

#include "formats/orc/orc_int.h"

/* Length extension: zero bytes each add 255, then a non-zero byte. */
static bool ext_len(const uint8_t **ip, const uint8_t *end, size_t base, size_t *out)
{
	size_t n = 0;
	const uint8_t *p = *ip;
	while (p < end && *p == 0) {
		n += 255;
		p++;
		if (n > ((size_t)1 << 30))
			return false;
	}
	if (p >= end)
		return false;
	*out = base + n + *p++;
	*ip = p;
	return true;
}

static bool copy_lit(const uint8_t **ip, const uint8_t *iend, uint8_t **op, uint8_t *oend,
		     size_t n)
{
	if ((size_t)(iend - *ip) < n || (size_t)(oend - *op) < n)
		return false;
	memcpy(*op, *ip, n);
	*ip += n;
	*op += n;
	return true;
}

static bool copy_match(uint8_t *out, uint8_t **op, uint8_t *oend, size_t dist, size_t len)
{
	if (dist == 0 || dist > (size_t)(*op - out) || (size_t)(oend - *op) < len)
		return false;
	uint8_t *d = *op;
	const uint8_t *s = d - dist;
	if (dist >= len) {
		memcpy(d, s, len);
	} else {
		for (size_t i = 0; i < len; i++)
			d[i] = s[i];
	}
	*op = d + len;
	return true;
}

tarn_rc orc_lzo_decompress(const uint8_t *src, size_t n, uint8_t *dst, size_t cap,
			   size_t *out_len)
{
	const uint8_t *ip = src, *iend = src + n;
	uint8_t *op = dst, *oend = dst + cap;
	int state = 0;
	*out_len = 0;
	if (n == 0)
		return TARN_EDATA;
	if (*ip > 17) {
		size_t t = (size_t)*ip++ - 17;
		if (!copy_lit(&ip, iend, &op, oend, t))
			return TARN_EDATA;
		state = t < 4 ? (int)t : 4;
	}
	for (;;) {
		if (ip >= iend)
			return TARN_EDATA; /* no end-of-stream marker */
		unsigned t = *ip++;
		size_t len, dist;
		unsigned s;
		if (t < 16) {
			if (state == 0) {
				if (t == 0) {
					if (!ext_len(&ip, iend, 15, &len))
						return TARN_EDATA;
				} else {
					len = t;
				}
				if (!copy_lit(&ip, iend, &op, oend, len + 3))
					return TARN_EDATA;
				state = 4;
				continue;
			}
			if (ip >= iend)
				return TARN_EDATA;
			unsigned h = *ip++;
			s = t & 3;
			if (state < 4) {
				len = 2;
				dist = ((size_t)h << 2) + ((t >> 2) & 3) + 1;
			} else {
				len = 3;
				dist = ((size_t)h << 2) + ((t >> 2) & 3) + 2049;
			}
		} else if (t < 32) {
			len = t & 7;
			if (len == 0 && !ext_len(&ip, iend, 7, &len))
				return TARN_EDATA;
			len += 2;
			if (iend - ip < 2)
				return TARN_EDATA;
			unsigned v = (unsigned)ip[0] | (unsigned)ip[1] << 8;
			ip += 2;
			s = v & 3;
			dist = 16384 + ((size_t)(t & 8) << 11) + (v >> 2);
			if (dist == 16384) {
				/* end of stream (len 3, no trailing bytes expected) */
				*out_len = (size_t)(op - dst);
				return TARN_OK;
			}
		} else if (t < 64) {
			len = t & 31;
			if (len == 0 && !ext_len(&ip, iend, 31, &len))
				return TARN_EDATA;
			len += 2;
			if (iend - ip < 2)
				return TARN_EDATA;
			unsigned v = (unsigned)ip[0] | (unsigned)ip[1] << 8;
			ip += 2;
			s = v & 3;
			dist = (v >> 2) + 1;
		} else {
			if (ip >= iend)
				return TARN_EDATA;
			unsigned h = *ip++;
			s = t & 3;
			dist = ((size_t)h << 3) + ((t >> 2) & 7) + 1;
			len = t < 128 ? 3 + ((t >> 5) & 1) : 5 + ((t >> 5) & 3);
		}
		if (!copy_match(dst, &op, oend, dist, len))
			return TARN_EDATA;
		if (s && !copy_lit(&ip, iend, &op, oend, s))
			return TARN_EDATA;
		state = (int)s;
	}
}
