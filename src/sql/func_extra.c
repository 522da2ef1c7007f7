/*
 * func_extra.c — more scalar functions for the registry: the integer bit
 * operators (&, |, xor, <<, >> and unary ~, which the binder lowers to
 * calls of these names), sha256, unicode and ~~~ (x GLOB p lowers to it; glob() itself is
 * the table function listing files, as in DuckDB). Same contract as func.c;
 * ex_func_find searches this table too.
 *
 * Semantics follow DuckDB: bit operators take integers of one common type
 * (the arithmetic rules) and return that type; a left shift by a negative
 * amount or by the type's width or more, of a negative number, or one that
 * overflows is an error; a right shift by the width or more gives 0
 * (-1 for a negative signed value, as an arithmetic shift would).
 * sha256 is FIPS 180-4 over the string's bytes, as 64 lower-case hex
 * digits (md5, in func_more.c, is the same shape).
 *
 * Pure kernels over caller-owned arrays; the table is const.
 */
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "base/mem.h"
#include "sql/expr_int.h"

#define ROW(k) (sel ? (int64_t)sel[k] : (int64_t)(k))

/* ---- bit operators ------------------------------------------------------------------------ */

enum bitop { B_AND, B_OR, B_XOR, B_SHL, B_SHR, B_NOT };

static const struct {
	const char *name;
	int op;
} bit_ops[] = {
	{ "&", B_AND }, { "|", B_OR }, { "xor", B_XOR }, { "<<", B_SHL }, { ">>", B_SHR }, { "~", B_NOT },
};

static tarn_rc bind_bits(struct ex_expr *e, struct tarn_err *err)
{
	for (size_t i = 0; i < sizeof bit_ops / sizeof *bit_ops; i++)
		if (!strcasecmp(bit_ops[i].name, e->fn->name))
			e->fn_arg = bit_ops[i].op;
	for (int i = 0; i < e->n_args; i++) {
		enum tarn_type_id id = e->args[i]->type.id;
		if (id == TARN_T_NULL)
			TRY(ex_fn_coerce(e, i, TARN_T_INT32, err));
		else if (!tarn_type_is_integer(id))
			return ex_fn_bind_fail(e, i, "an integer", err);
	}
	struct tarn_type t;
	if (e->n_args == 2) {
		memset(&t, 0, sizeof t);
		TRY(ex_type_common(&e->args[0]->type, &e->args[1]->type, &t, err));
		if (!tarn_type_is_integer(t.id)) {
			tarn_type_clear(&t);
			return ex_fn_bind_fail(e, 1, "an integer", err);
		}
		tarn_rc rc = ex_expr_coerce(&e->args[0], &t, err);
		if (!rc)
			rc = ex_expr_coerce(&e->args[1], &t, err);
		tarn_type_clear(&t);
		TRY(rc);
	}
	tarn_type_init(&e->type, e->args[0]->type.id);
	return TARN_OK;
}

static uint64_t load_bits(const struct tarn_array *a, int64_t i, int w)
{
	const uint8_t *p = a->values + (size_t)i * (size_t)w;
	switch (w) {
	case 1: return *p;
	case 2: { uint16_t v; memcpy(&v, p, 2); return v; }
	case 4: { uint32_t v; memcpy(&v, p, 4); return v; }
	default: { uint64_t v; memcpy(&v, p, 8); return v; }
	}
}

static void store_bits(struct tarn_array *a, int64_t i, int w, uint64_t v)
{
	uint8_t *p = a->values + (size_t)i * (size_t)w;
	switch (w) {
	case 1: *p = (uint8_t)v; break;
	case 2: { uint16_t x = (uint16_t)v; memcpy(p, &x, 2); break; }
	case 4: { uint32_t x = (uint32_t)v; memcpy(p, &x, 4); break; }
	default: memcpy(p, &v, 8); break;
	}
}

/* Sign-extends the low `bits` of v. */
static int64_t sext(uint64_t v, int bits)
{
	return bits == 64 ? (int64_t)v : (int64_t)(v << (64 - bits)) >> (64 - bits);
}

static tarn_rc eval_bits(const struct ex_expr *e, const struct ex_fargs *a, const uint32_t *sel,
			 int64_t n, struct tarn_array *r, struct tarn_err *err)
{
	TRY(ex_validity_and(r, a->v, a->n, r->length));
	enum tarn_type_id id = e->type.id;
	int w = tarn_type_width(id), bits = w * 8;
	bool sgn = tarn_type_is_signed(id);
	uint64_t mask = bits == 64 ? ~(uint64_t)0 : (((uint64_t)1 << bits) - 1);
	const struct ex_vec *x = &a->v[0], *y = a->n > 1 ? &a->v[1] : NULL;
	for (int64_t k = 0; k < n; k++) {
		int64_t i = ROW(k);
		if (r->validity && !tarn_bit_get(r->validity, i))
			continue;
		uint64_t u = load_bits(x->a, VROW(x, i), w);
		uint64_t v = y ? load_bits(y->a, VROW(y, i), w) : 0, z = 0;
		switch (e->fn_arg) {
		case B_AND: z = u & v; break;
		case B_OR: z = u | v; break;
		case B_XOR: z = u ^ v; break;
		case B_NOT: z = ~u & mask; break;
		default: {
			int64_t sx = sgn ? sext(u, bits) : 0, sh = sgn ? sext(v, bits) : (int64_t)v;
			if (!sgn && v > (uint64_t)INT64_MAX)
				sh = INT64_MAX;
			const char *dir = e->fn_arg == B_SHL ? "left" : "right";
			if (sh < 0)
				return tarn_err_set(err, TARN_EDATA, "cannot %s-shift by the negative number %lld",
						    dir, (long long)sh);
			if (e->fn_arg == B_SHR) {
				if (sh >= bits)
					z = sgn && sx < 0 ? mask : 0;
				else
					z = sgn ? (uint64_t)(sx >> sh) & mask : u >> sh;
				break;
			}
			if (sh >= bits)
				return tarn_err_set(err, TARN_EDATA, "left-shift amount %lld is out of range "
						    "for a %d-bit integer", (long long)sh, bits);
			if (sgn && sx < 0)
				return tarn_err_set(err, TARN_EDATA, "cannot left-shift the negative number %lld",
						    (long long)sx);
			uint64_t lim = sgn ? (mask >> 1) >> sh : mask >> sh;
			if (u > lim)
				return tarn_err_set(err, TARN_EDATA, "overflow in left shift (%llu << %lld)",
						    (unsigned long long)u, (long long)sh);
			z = u << sh;
		}
		}
		store_bits(r, i, w, z);
	}
	return TARN_OK;
}

/* ---- sha256 (FIPS 180-4) ------------------------------------------------------------------ */

static const uint32_t K256[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

#define ROR(x, k) (((x) >> (k)) | ((x) << (32 - (k))))

static void sha256_block(uint32_t h[8], const uint8_t *b)
{
	uint32_t w[64];
	for (int t = 0; t < 16; t++)
		w[t] = (uint32_t)b[4 * t] << 24 | (uint32_t)b[4 * t + 1] << 16 |
		       (uint32_t)b[4 * t + 2] << 8 | b[4 * t + 3];
	for (int t = 16; t < 64; t++) {
		uint32_t s0 = ROR(w[t - 15], 7) ^ ROR(w[t - 15], 18) ^ (w[t - 15] >> 3);
		uint32_t s1 = ROR(w[t - 2], 17) ^ ROR(w[t - 2], 19) ^ (w[t - 2] >> 10);
		w[t] = w[t - 16] + s0 + w[t - 7] + s1;
	}
	uint32_t v[8];
	memcpy(v, h, sizeof v);
	for (int t = 0; t < 64; t++) {
		uint32_t S1 = ROR(v[4], 6) ^ ROR(v[4], 11) ^ ROR(v[4], 25);
		uint32_t ch = (v[4] & v[5]) ^ (~v[4] & v[6]);
		uint32_t t1 = v[7] + S1 + ch + K256[t] + w[t];
		uint32_t S0 = ROR(v[0], 2) ^ ROR(v[0], 13) ^ ROR(v[0], 22);
		uint32_t maj = (v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]);
		uint32_t t2 = S0 + maj;
		memmove(v + 1, v, 7 * sizeof *v);
		v[4] += t1;
		v[0] = t1 + t2;
	}
	for (int i = 0; i < 8; i++)
		h[i] += v[i];
}

static void sha256(const uint8_t *msg, size_t len, uint8_t out[32])
{
	uint32_t h[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
			  0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };
	size_t full = len / 64 * 64;
	for (size_t off = 0; off < full; off += 64)
		sha256_block(h, msg + off);
	/* the tail, 0x80, zeros and the bit length fill one or two blocks */
	uint8_t tail[128] = { 0 };
	size_t rest = len - full;
	if (rest)
		memcpy(tail, msg + full, rest);
	tail[rest] = 0x80;
	size_t nb = rest + 1 + 8 <= 64 ? 64 : 128;
	uint64_t bits = (uint64_t)len * 8;
	for (int k = 0; k < 8; k++)
		tail[nb - 1 - k] = (uint8_t)(bits >> (8 * k));
	sha256_block(h, tail);
	if (nb == 128)
		sha256_block(h, tail + 64);
	for (int i = 0; i < 8; i++)
		for (int k = 0; k < 4; k++)
			out[4 * i + k] = (uint8_t)(h[i] >> (24 - 8 * k));
}

static tarn_rc bind_sha256(struct ex_expr *e, struct tarn_err *err)
{
	TRY(ex_fn_want_string(e, 0, err));
	tarn_type_init(&e->type, TARN_T_STRING);
	return TARN_OK;
}

static tarn_rc eval_sha256(const struct ex_expr *e, const struct ex_fargs *a, const uint32_t *sel,
			   int64_t n, struct tarn_array *r, struct tarn_err *err)
{
	return ex_fn_digest_hex(a, sel, n, r, sha256, 32, "sha256", err);
}

/* ---- unicode ------------------------------------------------------------------------------ */

static tarn_rc bind_unicode(struct ex_expr *e, struct tarn_err *err)
{
	TRY(ex_fn_want_string(e, 0, err));
	tarn_type_init(&e->type, TARN_T_INT32);
	return TARN_OK;
}

/* The first character's code point; -1 for '' (DuckDB). */
static tarn_rc eval_unicode(const struct ex_expr *e, const struct ex_fargs *a, const uint32_t *sel,
			    int64_t n, struct tarn_array *r, struct tarn_err *err)
{
	return ex_fn_first_codepoint(a, sel, n, r, -1);
}

/* ---- GLOB ---------------------------------------------------------------------------------- */

/* One element of the subject or pattern: DuckDB's GLOB works on bytes (a
 * '?' matches one byte of a multi-byte UTF-8 character), so do we. */
static uint32_t glob_char(const uint8_t *s, size_t n, size_t *len)
{
	(void)n;
	*len = 1;
	return s[0];
}

/* Matches the class at p[0] = '[' against byte c; *used gets the
 * class's length in bytes (0 when it has no closing ']': then '[' is a
 * literal). `[!..]` negates; a ']' right after '[' or '[!' is a member;
 * a-z is a range. */
static bool glob_class(const uint8_t *p, size_t pn, uint32_t c, size_t *used)
{
	size_t i = 1;
	bool neg = i < pn && p[i] == '!', in = false;
	i += neg;
	size_t first = i;
	while (i < pn && (p[i] != ']' || i == first)) {
		size_t l;
		uint32_t lo = glob_char(p + i, pn - i, &l), hi = lo;
		i += l;
		if (i + 1 < pn && p[i] == '-' && p[i + 1] != ']') {
			hi = glob_char(p + i + 1, pn - i - 1, &l);
			i += 1 + l;
		}
		in |= c >= lo && c <= hi;
	}
	if (i >= pn) {
		*used = 0;
		return false;
	}
	*used = i + 1;
	return in != neg;
}

/* DuckDB's GLOB: case-sensitive, bytewise; `*` any run, `?` one byte,
 * `[..]`/`[!..]` a class. Backtracks to the last `*` only (enough, as `*` is
 * the only variable-length element): O(|s| * |p|) at worst. */
static bool glob_match(const uint8_t *s, size_t sn, const uint8_t *p, size_t pn)
{
	size_t si = 0, pi = 0, star_si = 0, star_pi = SIZE_MAX;
	while (si < sn || pi < pn) {
		if (pi < pn) {
			if (p[pi] == '*') {
				star_pi = ++pi;
				star_si = si;
				continue;
			}
			if (si < sn) {
				size_t sl, pl;
				uint32_t c = glob_char(s + si, sn - si, &sl);
				bool ok;
				if (p[pi] == '?') {
					ok = true;
					pl = 1;
				} else if (p[pi] == '[' && (ok = glob_class(p + pi, pn - pi, c, &pl), pl)) {
					/* a class */
				} else {
					uint32_t q = glob_char(p + pi, pn - pi, &pl);
					ok = q == c;
				}
				if (ok) {
					si += sl;
					pi += pl;
					continue;
				}
			}
		}
		if (star_pi != SIZE_MAX && star_si < sn) {
			size_t sl;
			(void)glob_char(s + star_si, sn - star_si, &sl);
			star_si += sl;
			si = star_si;
			pi = star_pi;
			continue;
		}
		return false;
	}
	return true;
}

static tarn_rc bind_glob(struct ex_expr *e, struct tarn_err *err)
{
	TRY(ex_fn_want_string(e, 0, err));
	TRY(ex_fn_want_string(e, 1, err));
	tarn_type_init(&e->type, TARN_T_BOOL);
	return TARN_OK;
}

static tarn_rc eval_glob(const struct ex_expr *e, const struct ex_fargs *a, const uint32_t *sel,
			 int64_t n, struct tarn_array *r, struct tarn_err *err)
{
	TRY(ex_validity_and(r, a->v, 2, r->length));
	for (int64_t k = 0; k < n; k++) {
		int64_t i = ROW(k);
		if (vec_null(&a->v[0], i) || vec_null(&a->v[1], i))
			continue;
		size_t sl, pl;
		const uint8_t *s = ex_str_at(&a->v[0], i, &sl), *p = ex_str_at(&a->v[1], i, &pl);
		bits_set(r->values, i, glob_match(s, sl, p, pl));
	}
	return TARN_OK;
}

const struct ex_func ex_funcs_extra[] = {
	{ "&", 2, 2, "a & b: bitwise and of integers", bind_bits, eval_bits },
	{ "|", 2, 2, "a | b: bitwise or of integers", bind_bits, eval_bits },
	{ "xor", 2, 2, "xor(a, b): bitwise exclusive or of integers", bind_bits, eval_bits },
	{ "<<", 2, 2, "a << n: left shift (overflow, negative a or n are errors)", bind_bits,
	  eval_bits },
	{ ">>", 2, 2, "a >> n: arithmetic right shift", bind_bits, eval_bits },
	{ "~", 1, 1, "~a: bitwise not of an integer", bind_bits, eval_bits },
	{ "sha256", 1, 1, "sha256(s): SHA-256 digest as 64 hex digits", bind_sha256, eval_sha256 },
	{ "unicode", 1, 1, "unicode(s): code point of the first character (-1 for '')",
	  bind_unicode, eval_unicode },
	{ "~~~", 2, 2,
	  "s ~~~ pattern: s GLOB pattern (case-sensitive; *, ?, [abc], [a-z], [!..])",
	  bind_glob, eval_glob },
};

const int ex_funcs_extra_n = (int)(sizeof ex_funcs_extra / sizeof *ex_funcs_extra);
