/*
 * orc_rle.c — ORC's run-length encodings (ORCv1.md, "Run Length Encoding"):
 * byte RLE, boolean RLE (bits MSB first over byte RLE), integer RLE v1
 * (runs with a fixed delta, literal varints) and integer RLE v2 with its
 * four sub-encodings: SHORT_REPEAT, DIRECT, PATCHED_BASE and DELTA.
 *
 * Decoders read from an orc_stream. Before each run they ask the stream for
 * RUN_BYTES contiguous bytes (more than the largest run of any encoding
 * takes), then parse the run with bounds checks against the window end, so
 * a run cut short by the end of its stream is an error, never an over-read.
 *
 * Encoders buffer values and write runs on flush. The RLE v2 encoder splits
 * its buffer (up to 512 values) into runs of identical values (SHORT_REPEAT,
 * or DELTA with width 0 past 10) and literal segments, and writes each
 * segment as whichever of DIRECT, PATCHED_BASE or DELTA is smallest.
 * Bit widths written are the byte-aligned ones (1, 2, 4, 8, 16, 24, ...);
 * all widths of the 5-bit table are read.
 *
 * Thread-safety: a decoder/encoder belongs to one thread.
 */
#include <pthread.h>
#include <string.h>

#include "base/err.h"
#include "formats/orc/orc_int.h"

/* Largest run in bytes: PATCHED_BASE with 512 64-bit values, an 8-byte base
 * and 31 64-bit patches is 4 + 8 + 4096 + 248. */
#define RUN_BYTES 8192

static tarn_rc ends_early(struct orc_stream *s)
{
	if (!s->why)
		s->why = s->present ? "stream ends early (truncated or corrupt run-length data)"
				    : "a required stream is missing";
	return TARN_EDATA;
}

/* ---- byte RLE ---------------------------------------------------------------------------- */

void orc_brle_init(struct orc_brle *d, struct orc_stream *s)
{
	memset(d, 0, sizeof *d);
	d->s = s;
}

void orc_brle_reset(struct orc_brle *d)
{
	d->left = 0;
}

static tarn_rc brle_header(struct orc_brle *d)
{
	struct orc_stream *s = d->s;
	TRY(orc_stream_fill(s, 2));
	if (s->p == s->end)
		return ends_early(s);
	int8_t c = (int8_t)*s->p++;
	if (c >= 0) {
		if (s->p == s->end)
			return ends_early(s);
		d->left = c + 3;
		d->literal = false;
		d->value = *s->p++;
	} else {
		d->left = -c;
		d->literal = true;
	}
	return TARN_OK;
}

tarn_rc orc_brle_get(struct orc_brle *d, uint8_t *out, int64_t n)
{
	struct orc_stream *s = d->s;
	while (n > 0) {
		if (d->left == 0)
			TRY(brle_header(d));
		int k = d->left < n ? d->left : (int)n;
		if (d->literal) {
			TRY(orc_stream_fill(s, (size_t)k));
			if (s->end - s->p < k)
				return ends_early(s);
			memcpy(out, s->p, (size_t)k);
			s->p += k;
		} else {
			memset(out, d->value, (size_t)k);
		}
		out += k;
		n -= k;
		d->left -= k;
	}
	return TARN_OK;
}

tarn_rc orc_brle_skip(struct orc_brle *d, uint64_t n)
{
	uint8_t tmp[512];
	while (n > 0) {
		int64_t k = n < sizeof tmp ? (int64_t)n : (int64_t)sizeof tmp;
		TRY(orc_brle_get(d, tmp, k));
		n -= (uint64_t)k;
	}
	return TARN_OK;
}

/* ---- boolean RLE ------------------------------------------------------------------------- */

/* expand[b] = the 8 flags of byte b, MSB first, one byte each; built once
 * (pthread_once), read-only after. */
static uint64_t expand[256];
static pthread_once_t expand_once = PTHREAD_ONCE_INIT;

static void expand_build(void)
{
	for (int b = 0; b < 256; b++) {
		uint8_t f[8];
		for (int i = 0; i < 8; i++)
			f[i] = (uint8_t)((b >> (7 - i)) & 1);
		memcpy(&expand[b], f, 8);
	}
}

static void expand_init(void)
{
	pthread_once(&expand_once, expand_build);
}

void orc_bool_init(struct orc_bool *d, struct orc_stream *s)
{
	expand_init();
	orc_brle_init(&d->b, s);
	d->bits = 0;
	d->cur = 0;
}

void orc_bool_reset(struct orc_bool *d)
{
	orc_brle_reset(&d->b);
	d->bits = 0;
}

tarn_rc orc_bool_get(struct orc_bool *d, uint8_t *out, int64_t n)
{
	while (n > 0 && d->bits > 0) {
		*out++ = (d->cur >> (d->bits - 1)) & 1;
		d->bits--;
		n--;
	}
	uint8_t tmp[256];
	while (n >= 8) {
		int64_t k = n / 8;
		if (k > (int64_t)sizeof tmp)
			k = sizeof tmp;
		TRY(orc_brle_get(&d->b, tmp, k));
		for (int64_t i = 0; i < k; i++)
			memcpy(out + i * 8, &expand[tmp[i]], 8);
		out += k * 8;
		n -= k * 8;
	}
	if (n > 0) {
		TRY(orc_brle_get(&d->b, &d->cur, 1));
		d->bits = 8;
		while (n > 0) {
			*out++ = (d->cur >> (d->bits - 1)) & 1;
			d->bits--;
			n--;
		}
	}
	return TARN_OK;
}

tarn_rc orc_bool_skip(struct orc_bool *d, uint64_t n)
{
	uint8_t tmp[1024];
	while (n > 0) {
		int64_t k = n < sizeof tmp ? (int64_t)n : (int64_t)sizeof tmp;
		TRY(orc_bool_get(d, tmp, k));
		n -= (uint64_t)k;
	}
	return TARN_OK;
}

/* ---- integer RLE: shared ---------------------------------------------------------------- */

static inline int64_t unzigzag(uint64_t v)
{
	return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

static inline uint64_t zigzag(int64_t v)
{
	return ((uint64_t)v << 1) ^ (v < 0 ? ~(uint64_t)0 : 0);
}

/* A varint within [*p, end); false if it runs off the end or past 10 bytes. */
static inline bool get_uvarint(const uint8_t **pp, const uint8_t *end, uint64_t *out)
{
	const uint8_t *p = *pp;
	uint64_t v = 0;
	for (int shift = 0; shift < 70; shift += 7) {
		if (p >= end)
			return false;
		uint8_t b = *p++;
		if (shift == 63 && (b & 0x7e))
			return false; /* more than 64 bits */
		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*pp = p;
			*out = v;
			return true;
		}
	}
	return false;
}

/* 5-bit width codes (ORCv1.md table); DELTA reads code 0 as width 0. */
static const uint8_t width_of_code[32] = {
	1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16,
	17, 18, 19, 20, 21, 22, 23, 24, 26, 28, 30, 32, 40, 48, 56, 64,
};

/* The width readers use for a patch list entry (gap + patch bits). */
static int closest_fixed_bits(int n)
{
	if (n == 0)
		return 1;
	if (n <= 24)
		return n;
	if (n <= 26)
		return 26;
	if (n <= 28)
		return 28;
	if (n <= 30)
		return 30;
	if (n <= 32)
		return 32;
	if (n <= 40)
		return 40;
	if (n <= 48)
		return 48;
	if (n <= 56)
		return 56;
	return 64;
}

/* Unpacks count big-endian w-bit values (1 <= w <= 64) from p. The caller
 * checked that ceil(count * w / 8) bytes are there. */
static void unpack_be(const uint8_t *p, int w, int count, uint64_t *out)
{
	switch (w) {
	case 8:
		for (int i = 0; i < count; i++)
			out[i] = p[i];
		return;
	case 16:
		for (int i = 0; i < count; i++)
			out[i] = (uint64_t)p[2 * i] << 8 | p[2 * i + 1];
		return;
	case 32:
		for (int i = 0; i < count; i++) {
			uint32_t v;
			memcpy(&v, p + 4 * i, 4);
			out[i] = __builtin_bswap32(v);
		}
		return;
	case 64:
		for (int i = 0; i < count; i++) {
			uint64_t v;
			memcpy(&v, p + 8 * i, 8);
			out[i] = __builtin_bswap64(v);
		}
		return;
	case 24: case 40: case 48: case 56: {
		int nb = w / 8;
		for (int i = 0; i < count; i++) {
			uint64_t v = 0;
			for (int k = 0; k < nb; k++)
				v = v << 8 | p[i * nb + k];
			out[i] = v;
		}
		return;
	}
	case 1:
		for (int i = 0; i < count; i++)
			out[i] = (p[i >> 3] >> (7 - (i & 7))) & 1;
		return;
	case 2:
		for (int i = 0; i < count; i++)
			out[i] = (p[i >> 2] >> (6 - 2 * (i & 3))) & 3;
		return;
	case 4:
		for (int i = 0; i < count; i++)
			out[i] = (p[i >> 1] >> (4 - 4 * (i & 1))) & 15;
		return;
	default:
		break;
	}
	if (w <= 56) {
		uint64_t acc = 0, mask = ((uint64_t)1 << w) - 1;
		int bits = 0;
		for (int i = 0; i < count; i++) {
			while (bits < w) {
				acc = acc << 8 | *p++;
				bits += 8;
			}
			out[i] = (acc >> (bits - w)) & mask;
			bits -= w;
		}
		return;
	}
	unsigned __int128 acc = 0;
	uint64_t mask = w == 64 ? ~(uint64_t)0 : ((uint64_t)1 << w) - 1;
	int bits = 0;
	for (int i = 0; i < count; i++) {
		while (bits < w) {
			acc = acc << 8 | *p++;
			bits += 8;
		}
		out[i] = (uint64_t)(acc >> (bits - w)) & mask;
		bits -= w;
	}
}

static inline size_t packed_bytes(int count, int w)
{
	return ((size_t)count * (size_t)w + 7) / 8;
}

void orc_irle_init(struct orc_irle *d, struct orc_stream *s, bool v2, bool is_signed)
{
	d->s = s;
	d->v2 = v2;
	d->is_signed = is_signed;
	d->pos = d->len = 0;
}

void orc_irle_reset(struct orc_irle *d)
{
	d->pos = d->len = 0;
}

/* ---- integer RLE v1 ------------------------------------------------------------------------ */

/* Decodes one v1 group into out (room for 130); returns its length or -1. */
static int v1_run(struct orc_irle *d, int64_t *out)
{
	struct orc_stream *s = d->s;
	const uint8_t *p = s->p, *end = s->end;
	if (p >= end)
		return -1;
	int8_t h = (int8_t)*p++;
	uint64_t u;
	if (h >= 0) {
		int n = h + 3;
		if (p >= end)
			return -1;
		int8_t delta = (int8_t)*p++;
		if (!get_uvarint(&p, end, &u))
			return -1;
		uint64_t v = d->is_signed ? (uint64_t)unzigzag(u) : u;
		for (int i = 0; i < n; i++)
			out[i] = (int64_t)(v + (uint64_t)((int64_t)i * delta));
		s->p = p;
		return n;
	}
	int n = -h;
	if (d->is_signed) {
		for (int i = 0; i < n; i++) {
			if (!get_uvarint(&p, end, &u))
				return -1;
			out[i] = unzigzag(u);
		}
	} else {
		for (int i = 0; i < n; i++) {
			if (!get_uvarint(&p, end, &u))
				return -1;
			out[i] = (int64_t)u;
		}
	}
	s->p = p;
	return n;
}

/* ---- integer RLE v2 ------------------------------------------------------------------------ */

/* Decodes one v2 run into out (room for 512); returns its length or -1
 * (with s->why set for malformed headers). */
static int v2_run(struct orc_irle *d, int64_t *out)
{
	struct orc_stream *s = d->s;
	const uint8_t *p = s->p, *end = s->end;
	if (p >= end)
		return -1;
	uint8_t b0 = *p;
	int enc = b0 >> 6;
	uint64_t tmp[ORC_RLE_MAX];
	switch (enc) {
	case 0: { /* SHORT_REPEAT */
		int w = ((b0 >> 3) & 7) + 1;
		int n = (b0 & 7) + 3;
		p++;
		if (end - p < w)
			return -1;
		uint64_t v = 0;
		for (int i = 0; i < w; i++)
			v = v << 8 | p[i];
		p += w;
		int64_t x = d->is_signed ? unzigzag(v) : (int64_t)v;
		for (int i = 0; i < n; i++)
			out[i] = x;
		s->p = p;
		return n;
	}
	case 1: { /* DIRECT */
		if (end - p < 2)
			return -1;
		int w = width_of_code[(b0 >> 1) & 31];
		int n = ((b0 & 1) << 8 | p[1]) + 1;
		p += 2;
		size_t nb = packed_bytes(n, w);
		if ((size_t)(end - p) < nb)
			return -1;
		uint64_t *u = (uint64_t *)(void *)out;
		unpack_be(p, w, n, u);
		p += nb;
		if (d->is_signed)
			for (int i = 0; i < n; i++)
				out[i] = unzigzag(u[i]);
		s->p = p;
		return n;
	}
	case 2: { /* PATCHED_BASE */
		if (end - p < 4)
			return -1;
		int w = width_of_code[(b0 >> 1) & 31];
		int n = ((b0 & 1) << 8 | p[1]) + 1;
		int bw = ((p[2] >> 5) & 7) + 1;
		int pw = width_of_code[p[2] & 31];
		int pgw = ((p[3] >> 5) & 7) + 1;
		int pll = p[3] & 31;
		p += 4;
		if (pgw + pw > 64) {
			s->why = "RLE v2 patched base: patch gap width + patch width exceed 64 bits";
			return -1;
		}
		if (end - p < bw)
			return -1;
		uint64_t base = 0;
		for (int i = 0; i < bw; i++)
			base = base << 8 | p[i];
		p += bw;
		uint64_t sign = (uint64_t)1 << (bw * 8 - 1);
		int64_t basev = (base & sign) ? -(int64_t)(base & ~sign) : (int64_t)base;
		size_t nb = packed_bytes(n, w);
		if ((size_t)(end - p) < nb)
			return -1;
		unpack_be(p, w, n, tmp);
		p += nb;
		int cfb = closest_fixed_bits(pgw + pw);
		size_t pb = packed_bytes(pll, cfb);
		if ((size_t)(end - p) < pb)
			return -1;
		uint64_t patches[32];
		unpack_be(p, cfb, pll, patches);
		p += pb;
		uint64_t pmask = pw == 64 ? ~(uint64_t)0 : ((uint64_t)1 << pw) - 1;
		int64_t idx = 0;
		for (int i = 0; i < pll; i++) {
			uint64_t gap = pw == 64 ? 0 : patches[i] >> pw;
			uint64_t patch = patches[i] & pmask;
			idx += (int64_t)gap;
			if (idx >= n) {
				s->why = "RLE v2 patched base: a patch lies past the end of its run";
				return -1;
			}
			if (w < 64)
				tmp[idx] |= patch << w;
		}
		for (int i = 0; i < n; i++)
			out[i] = (int64_t)((uint64_t)basev + tmp[i]);
		s->p = p;
		return n;
	}
	default: { /* DELTA */
		if (end - p < 2)
			return -1;
		int code = (b0 >> 1) & 31;
		int w = code == 0 ? 0 : width_of_code[code];
		int n = ((b0 & 1) << 8 | p[1]) + 1;
		p += 2;
		uint64_t u, du;
		if (!get_uvarint(&p, end, &u) || !get_uvarint(&p, end, &du))
			return -1;
		uint64_t v = d->is_signed ? (uint64_t)unzigzag(u) : u;
		int64_t delta = unzigzag(du);
		out[0] = (int64_t)v;
		if (n >= 2) {
			v += (uint64_t)delta;
			out[1] = (int64_t)v;
		}
		if (w == 0) {
			for (int i = 2; i < n; i++) {
				v += (uint64_t)delta;
				out[i] = (int64_t)v;
			}
		} else if (n > 2) {
			size_t nb = packed_bytes(n - 2, w);
			if ((size_t)(end - p) < nb)
				return -1;
			unpack_be(p, w, n - 2, tmp);
			p += nb;
			if (delta < 0)
				for (int i = 2; i < n; i++) {
					v -= tmp[i - 2];
					out[i] = (int64_t)v;
				}
			else
				for (int i = 2; i < n; i++) {
					v += tmp[i - 2];
					out[i] = (int64_t)v;
				}
		}
		s->p = p;
		return n;
	}
	}
}

/* Decodes the next run into out (room for 512 values). */
static tarn_rc next_run(struct orc_irle *d, int64_t *out, int *n)
{
	struct orc_stream *s = d->s;
	TRY(orc_stream_fill(s, RUN_BYTES));
	if (s->p == s->end)
		return ends_early(s);
	*n = d->v2 ? v2_run(d, out) : v1_run(d, out);
	if (*n < 0)
		return ends_early(s);
	return TARN_OK;
}

tarn_rc orc_irle_get(struct orc_irle *d, int64_t *out, int64_t n)
{
	while (n > 0) {
		if (d->pos < d->len) {
			int k = d->len - d->pos;
			if (k > n)
				k = (int)n;
			memcpy(out, d->buf + d->pos, (size_t)k * 8);
			d->pos += k;
			out += k;
			n -= k;
			continue;
		}
		int got;
		if (n >= ORC_RLE_MAX) {
			/* The run fits the output whatever its length. */
			TRY(next_run(d, out, &got));
			out += got;
			n -= got;
		} else {
			TRY(next_run(d, d->buf, &got));
			d->pos = 0;
			d->len = got;
		}
	}
	return TARN_OK;
}

tarn_rc orc_irle_skip(struct orc_irle *d, uint64_t n)
{
	int64_t tmp[ORC_RLE_MAX];
	while (n > 0) {
		int64_t k = n < ORC_RLE_MAX ? (int64_t)n : ORC_RLE_MAX;
		TRY(orc_irle_get(d, tmp, k));
		n -= (uint64_t)k;
	}
	return TARN_OK;
}

/* ---- encoders: byte RLE ----------------------------------------------------------------- */

void orc_brle_enc_init(struct orc_brle_enc *e, struct tarn_buf *out)
{
	memset(e, 0, sizeof *e);
	e->out = out;
}

static tarn_rc brle_write_literals(struct orc_brle_enc *e, int n)
{
	if (n == 0)
		return TARN_OK;
	TRY(tarn_buf_reserve(e->out, (size_t)n + 1));
	e->out->data[e->out->len++] = (char)(int8_t)-n;
	memcpy(e->out->data + e->out->len, e->lit, (size_t)n);
	e->out->len += (size_t)n;
	return TARN_OK;
}

static tarn_rc brle_write_run(struct orc_brle_enc *e, uint8_t v, int n)
{
	TRY(tarn_buf_reserve(e->out, 2));
	e->out->data[e->out->len++] = (char)(n - 3);
	e->out->data[e->out->len++] = (char)v;
	return TARN_OK;
}

/* Buffer: lit[0..n), the last `run` of them equal. When that run
 * reaches 3 the literals before it are written and the encoder switches
 * to repeat mode (run >= 3, lit[0] = the value) until the value changes
 * or the run reaches 130. */
tarn_rc orc_brle_put(struct orc_brle_enc *e, uint8_t v)
{
	if (e->run >= 3) {
		if (v == e->lit[0] && e->run < 130) {
			e->run++;
			return TARN_OK;
		}
		TRY(brle_write_run(e, e->lit[0], e->run));
		e->n = e->run = 0;
	}
	if (e->n == 128) {
		TRY(brle_write_literals(e, 128));
		e->n = e->run = 0;
	}
	if (e->n > 0 && e->lit[e->n - 1] == v)
		e->run++;
	else
		e->run = 1;
	e->lit[e->n++] = v;
	if (e->run == 3) {
		TRY(brle_write_literals(e, e->n - 3));
		e->lit[0] = v;
		e->n = 1;
	}
	return TARN_OK;
}

tarn_rc orc_brle_flush(struct orc_brle_enc *e)
{
	if (e->run >= 3)
		TRY(brle_write_run(e, e->lit[0], e->run));
	else
		TRY(brle_write_literals(e, e->n));
	e->n = e->run = 0;
	return TARN_OK;
}

void orc_bool_enc_init(struct orc_bool_enc *e, struct tarn_buf *out)
{
	orc_brle_enc_init(&e->b, out);
	e->cur = 0;
	e->bits = 0;
}

tarn_rc orc_bool_put(struct orc_bool_enc *e, bool v)
{
	e->cur = (uint8_t)(e->cur | (v ? 1u << (7 - e->bits) : 0));
	if (++e->bits == 8) {
		TRY(orc_brle_put(&e->b, e->cur));
		e->cur = 0;
		e->bits = 0;
	}
	return TARN_OK;
}

tarn_rc orc_bool_flush_runs(struct orc_bool_enc *e)
{
	return orc_brle_flush(&e->b);
}

tarn_rc orc_bool_finish(struct orc_bool_enc *e)
{
	if (e->bits > 0) {
		TRY(orc_brle_put(&e->b, e->cur));
		e->cur = 0;
		e->bits = 0;
	}
	return orc_brle_flush(&e->b);
}

/* ---- encoders: integer RLE ------------------------------------------------------------ */

void orc_irle_enc_init(struct orc_irle_enc *e, struct tarn_buf *out, bool v2, bool is_signed)
{
	e->out = out;
	e->v2 = v2;
	e->is_signed = is_signed;
	e->n = 0;
}

static inline int bits_of(uint64_t v)
{
	return v ? 64 - __builtin_clzll(v) : 0;
}

/* Smallest byte-aligned-friendly width >= bits (1, 2, 4, 8, 16, 24, ...). */
static int aligned_width(int bits)
{
	if (bits <= 1)
		return 1;
	if (bits <= 2)
		return 2;
	if (bits <= 4)
		return 4;
	if (bits <= 8)
		return 8;
	if (bits <= 16)
		return 16;
	if (bits <= 24)
		return 24;
	if (bits <= 32)
		return 32;
	if (bits <= 40)
		return 40;
	if (bits <= 48)
		return 48;
	if (bits <= 56)
		return 56;
	return 64;
}

static int code_of_width(int w)
{
	if (w <= 24)
		return w - 1;
	switch (w) {
	case 26: return 24;
	case 28: return 25;
	case 30: return 26;
	case 32: return 27;
	case 40: return 28;
	case 48: return 29;
	case 56: return 30;
	default: return 31;
	}
}

/* Packs count w-bit values big-endian (padded to a byte). Caller reserved
 * packed_bytes(count, w). */
static void pack_be(struct tarn_buf *b, const uint64_t *v, int count, int w)
{
	uint8_t *p = (uint8_t *)b->data + b->len;
	size_t nb = packed_bytes(count, w);
	if (w % 8 == 0) {
		int k = w / 8;
		for (int i = 0; i < count; i++)
			for (int j = 0; j < k; j++)
				p[i * k + j] = (uint8_t)(v[i] >> (8 * (k - 1 - j)));
		b->len += nb;
		return;
	}
	memset(p, 0, nb);
	uint64_t bitpos = 0;
	for (int i = 0; i < count; i++) {
		for (int j = w - 1; j >= 0; j--, bitpos++)
			if ((v[i] >> j) & 1)
				p[bitpos >> 3] |= (uint8_t)(0x80 >> (bitpos & 7));
	}
	b->len += nb;
}

static inline void put_byte(struct tarn_buf *b, uint8_t v)
{
	b->data[b->len++] = (char)v;
}

static tarn_rc write_short_repeat(struct tarn_buf *out, int64_t x, int n, bool is_signed)
{
	uint64_t u = is_signed ? zigzag(x) : (uint64_t)x;
	int nb = (bits_of(u) + 7) / 8;
	if (nb == 0)
		nb = 1;
	TRY(tarn_buf_reserve(out, 1 + (size_t)nb));
	put_byte(out, (uint8_t)(((nb - 1) << 3) | (n - 3)));
	for (int i = nb - 1; i >= 0; i--)
		put_byte(out, (uint8_t)(u >> (8 * i)));
	return TARN_OK;
}

static tarn_rc write_direct(struct tarn_buf *out, const int64_t *v, int n, bool is_signed)
{
	uint64_t u[ORC_RLE_MAX], mx = 0;
	for (int i = 0; i < n; i++) {
		u[i] = is_signed ? zigzag(v[i]) : (uint64_t)v[i];
		mx |= u[i];
	}
	int w = aligned_width(bits_of(mx));
	TRY(tarn_buf_reserve(out, 2 + packed_bytes(n, w)));
	int code = code_of_width(w);
	put_byte(out, (uint8_t)(0x40 | code << 1 | ((n - 1) >> 8)));
	put_byte(out, (uint8_t)(n - 1));
	pack_be(out, u, n, w);
	return TARN_OK;
}

/* DELTA: v[0..n) monotonic with v[1] != v[0] (checked by the caller).
 * Fixed deltas use width 0. */
static tarn_rc write_delta(struct tarn_buf *out, const int64_t *v, int n, bool is_signed)
{
	int64_t d0 = (int64_t)((uint64_t)v[1] - (uint64_t)v[0]);
	uint64_t dv[ORC_RLE_MAX], mx = 0;
	bool fixed = true;
	for (int i = 2; i < n; i++) {
		int64_t d = (int64_t)((uint64_t)v[i] - (uint64_t)v[i - 1]);
		fixed &= d == d0;
		dv[i - 2] = d0 < 0 ? (uint64_t)v[i - 1] - (uint64_t)v[i]
				   : (uint64_t)v[i] - (uint64_t)v[i - 1];
		mx |= dv[i - 2];
	}
	/* code 0 means width 0 in DELTA, so width 1 is written as 2 */
	int w = fixed ? 0 : aligned_width(bits_of(mx));
	if (w == 1)
		w = 2;
	TRY(tarn_buf_reserve(out, 2 + 20 + (w ? packed_bytes(n - 2, w) : 0)));
	put_byte(out, (uint8_t)(0xc0 | (w ? code_of_width(w) : 0) << 1 | ((n - 1) >> 8)));
	put_byte(out, (uint8_t)(n - 1));
	orc_put_uvarint(out, is_signed ? zigzag(v[0]) : (uint64_t)v[0]);
	orc_put_uvarint(out, zigzag(d0));
	if (w)
		pack_be(out, dv, n - 2, w);
	return TARN_OK;
}

/* A constant run of n > 10 as DELTA with delta 0, width 0. */
static tarn_rc write_const_delta(struct tarn_buf *out, int64_t x, int n, bool is_signed)
{
	TRY(tarn_buf_reserve(out, 2 + 20));
	put_byte(out, (uint8_t)(0xc0 | ((n - 1) >> 8)));
	put_byte(out, (uint8_t)(n - 1));
	orc_put_uvarint(out, is_signed ? zigzag(x) : (uint64_t)x);
	orc_put_uvarint(out, 0);
	return TARN_OK;
}

struct patch_plan {
	int64_t base;
	int w, pw, pgw, pll, bw;
	uint64_t entries[31];
	size_t size;
};

/* Plans PATCHED_BASE for v[0..n): false when it cannot be used or does
 * not pay (patch list too long, values too wide). */
static bool plan_patched(const int64_t *v, int n, struct patch_plan *pp)
{
	if (n < 10)
		return false;
	int64_t mn = v[0], mxv = v[0];
	for (int i = 1; i < n; i++) {
		if (v[i] < mn)
			mn = v[i];
		if (v[i] > mxv)
			mxv = v[i];
	}
	if (mn == INT64_MIN)
		return false; /* the base's sign-magnitude cannot hold it */
	unsigned __int128 range = (unsigned __int128)((__int128)mxv - (__int128)mn);
	if (range >> 63)
		return false;
	/* bit-width histogram of the adjusted values */
	int hist[65] = { 0 };
	for (int i = 0; i < n; i++)
		hist[bits_of((uint64_t)(v[i] - mn))]++;
	int w100 = bits_of((uint64_t)range);
	/* 90th percentile width */
	int need = n - n / 10, acc = 0, w90 = 0;
	for (int b = 0; b <= 64; b++) {
		acc += hist[b];
		if (acc >= need) {
			w90 = b;
			break;
		}
	}
	int w = aligned_width(w90);
	if (w >= w100 || w100 - w <= 1)
		return false;
	uint64_t maxpatch = 0;
	int gaps[ORC_RLE_MAX], npatch = 0, prev = 0, maxgap = 0;
	uint64_t pvals[ORC_RLE_MAX];
	for (int i = 0; i < n; i++) {
		uint64_t a = (uint64_t)(v[i] - mn);
		if (w < 64 && (a >> w)) {
			pvals[npatch] = a >> w;
			gaps[npatch] = i - prev;
			if (gaps[npatch] > maxgap)
				maxgap = gaps[npatch];
			if (pvals[npatch] > maxpatch)
				maxpatch = pvals[npatch];
			prev = i;
			npatch++;
		}
	}
	int pw = aligned_width(bits_of(maxpatch));
	int pgw = bits_of((uint64_t)(maxgap > 255 ? 255 : maxgap));
	if (pgw == 0)
		pgw = 1;
	if (pgw > 8 || pgw + pw > 64)
		return false;
	/* entries: gaps over 255 become filler entries with patch 0 */
	int pll = 0;
	for (int k = 0; k < npatch; k++) {
		int g = gaps[k];
		while (g > 255) {
			if (pll == 31)
				return false;
			pp->entries[pll++] = (uint64_t)255 << pw;
			g -= 255;
		}
		if (pll == 31)
			return false;
		pp->entries[pll++] = (uint64_t)g << pw | pvals[k];
	}
	uint64_t absbase = (uint64_t)(mn < 0 ? -mn : mn);
	int bw = (bits_of(absbase) + 1 + 7) / 8; /* room for the sign bit */
	if (bw > 8)
		return false;
	pp->base = mn;
	pp->w = w;
	pp->pw = pw;
	pp->pgw = pgw;
	pp->pll = pll;
	pp->bw = bw;
	pp->size = 4 + (size_t)bw + packed_bytes(n, w) + packed_bytes(pll, closest_fixed_bits(pgw + pw));
	return true;
}

static tarn_rc write_patched(struct tarn_buf *out, const int64_t *v, int n,
			     const struct patch_plan *pp)
{
	TRY(tarn_buf_reserve(out, pp->size));
	put_byte(out, (uint8_t)(0x80 | code_of_width(pp->w) << 1 | ((n - 1) >> 8)));
	put_byte(out, (uint8_t)(n - 1));
	put_byte(out, (uint8_t)((pp->bw - 1) << 5 | code_of_width(pp->pw)));
	put_byte(out, (uint8_t)((pp->pgw - 1) << 5 | pp->pll));
	uint64_t absbase = (uint64_t)(pp->base < 0 ? -pp->base : pp->base);
	if (pp->base < 0)
		absbase |= (uint64_t)1 << (pp->bw * 8 - 1);
	for (int i = pp->bw - 1; i >= 0; i--)
		put_byte(out, (uint8_t)(absbase >> (8 * i)));
	uint64_t u[ORC_RLE_MAX];
	uint64_t mask = pp->w == 64 ? ~(uint64_t)0 : ((uint64_t)1 << pp->w) - 1;
	for (int i = 0; i < n; i++)
		u[i] = (uint64_t)(v[i] - pp->base) & mask;
	pack_be(out, u, n, pp->w);
	pack_be(out, pp->entries, pp->pll, closest_fixed_bits(pp->pgw + pp->pw));
	return TARN_OK;
}

/* Whether v[0..n) can be DELTA encoded: n >= 3, first delta nonzero and
 * representable, all deltas of one sign (zeros allowed after the first). */
static bool delta_ok(const int64_t *v, int n, size_t *size)
{
	if (n < 3)
		return false;
	__int128 d0 = (__int128)v[1] - v[0];
	if (d0 == 0 || d0 > INT64_MAX || d0 < INT64_MIN)
		return false;
	uint64_t mx = 0;
	bool fixed = true;
	for (int i = 2; i < n; i++) {
		__int128 d = (__int128)v[i] - v[i - 1];
		if ((d0 > 0 && d < 0) || (d0 < 0 && d > 0))
			return false;
		fixed &= d == d0;
		mx |= (uint64_t)(d < 0 ? -d : d);
	}
	int w = fixed ? 0 : aligned_width(bits_of(mx));
	if (w == 1)
		w = 2;
	*size = 2 + 6 + (w ? packed_bytes(n - 2, w) : 0);
	return true;
}

/* A literal segment: the smallest of DIRECT, PATCHED_BASE, DELTA. */
static tarn_rc write_segment(struct tarn_buf *out, const int64_t *v, int n, bool is_signed)
{
	uint64_t mx = 0;
	for (int i = 0; i < n; i++)
		mx |= is_signed ? zigzag(v[i]) : (uint64_t)v[i];
	size_t direct = 2 + packed_bytes(n, aligned_width(bits_of(mx)));
	size_t dsize;
	bool dok = delta_ok(v, n, &dsize);
	struct patch_plan pp;
	bool pok = plan_patched(v, n, &pp);
	if (dok && dsize <= direct && (!pok || dsize <= pp.size))
		return write_delta(out, v, n, is_signed);
	if (pok && pp.size < direct)
		return write_patched(out, v, n, &pp);
	return write_direct(out, v, n, is_signed);
}

static tarn_rc v2_flush(struct orc_irle_enc *e)
{
	const int64_t *v = e->v;
	int n = e->n, i = 0;
	while (i < n) {
		int r = 1;
		while (i + r < n && v[i + r] == v[i])
			r++;
		if (r >= 3) {
			if (r <= 10)
				TRY(write_short_repeat(e->out, v[i], r, e->is_signed));
			else
				TRY(write_const_delta(e->out, v[i], r, e->is_signed));
			i += r;
			continue;
		}
		int j = i + 1;
		while (j < n && !(j + 2 < n && v[j] == v[j + 1] && v[j] == v[j + 2]))
			j++;
		TRY(write_segment(e->out, v + i, j - i, e->is_signed));
		i = j;
	}
	e->n = 0;
	return TARN_OK;
}

tarn_rc orc_rlev2_encode_as(struct tarn_buf *out, const int64_t *v, int n, bool is_signed, int sub)
{
	if (n < 1 || n > ORC_RLE_MAX)
		return TARN_EUSAGE;
	switch (sub) {
	case 0:
		if (n < 3 || n > 10)
			return TARN_EUSAGE;
		for (int i = 1; i < n; i++)
			if (v[i] != v[0])
				return TARN_EUSAGE;
		return write_short_repeat(out, v[0], n, is_signed);
	case 1: return write_direct(out, v, n, is_signed);
	case 2: {
		struct patch_plan pp;
		if (!plan_patched(v, n, &pp))
			return TARN_EUSAGE;
		return write_patched(out, v, n, &pp);
	}
	case 3: {
		size_t sz;
		if (!delta_ok(v, n, &sz))
			return TARN_EUSAGE;
		return write_delta(out, v, n, is_signed);
	}
	default: return TARN_EUSAGE;
	}
}

/* RLE v1: runs of 3..130 values with a fixed delta in -128..127, literal
 * groups of up to 128 varints. */
static tarn_rc v1_flush(struct orc_irle_enc *e)
{
	const int64_t *v = e->v;
	int n = e->n, i = 0;
	struct tarn_buf *out = e->out;
	while (i < n) {
		int r = 1;
		__int128 d = 0;
		if (i + 1 < n) {
			d = (__int128)v[i + 1] - v[i];
			if (d >= -128 && d <= 127) {
				r = 2;
				while (i + r < n && r < 130 && (__int128)v[i + r] - v[i + r - 1] == d)
					r++;
			}
		}
		if (r >= 3) {
			TRY(tarn_buf_reserve(out, 12));
			put_byte(out, (uint8_t)(r - 3));
			put_byte(out, (uint8_t)(int8_t)d);
			orc_put_uvarint(out, e->is_signed ? zigzag(v[i]) : (uint64_t)v[i]);
			i += r;
			continue;
		}
		/* literals up to the next run of 3 with a small fixed delta */
		int j = i + 1;
		while (j < n && j - i < 128) {
			if (j + 2 < n) {
				__int128 a = (__int128)v[j + 1] - v[j], b = (__int128)v[j + 2] - v[j + 1];
				if (a == b && a >= -128 && a <= 127)
					break;
			}
			j++;
		}
		int m = j - i;
		TRY(tarn_buf_reserve(out, 1 + (size_t)m * 10));
		put_byte(out, (uint8_t)(int8_t)-m);
		for (int k = i; k < j; k++)
			orc_put_uvarint(out, e->is_signed ? zigzag(v[k]) : (uint64_t)v[k]);
		i = j;
	}
	e->n = 0;
	return TARN_OK;
}

tarn_rc orc_irle_flush(struct orc_irle_enc *e)
{
	if (e->n == 0)
		return TARN_OK;
	return e->v2 ? v2_flush(e) : v1_flush(e);
}

tarn_rc orc_irle_put(struct orc_irle_enc *e, int64_t v)
{
	e->v[e->n++] = v;
	if (e->n == ORC_RLE_MAX)
		return orc_irle_flush(e);
	return TARN_OK;
}
