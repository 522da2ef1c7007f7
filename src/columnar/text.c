/*
 * text.c — the text cast kernels (see text.h for the canonical spellings).
 *
 * Owns scalar formatting and parsing of every logical type, the JSON
 * rendering of nested values, and tarn_batch_cell_text. Relies on array.h for
 * the value layout, utf8.h for string validity and text_pow5.h for the
 * 128-bit powers of five behind both float directions: shortest digits (a
 * Ryu-style digit-removal scheme, error-bounded so it can prove each result
 * or hand over to a slow trial loop) and correctly rounded parsing (Clinger's
 * exact fast path, then the table, then strtod_l in the "C" locale for the
 * rare undecided case). Every function is pure (no global state), so all of
 * it is thread-safe.
 */
#include "columnar/text.h"

#include <ctype.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/err.h"
#include "columnar/text_pow5.h"
#include "columnar/utf8.h"

/* ---- small helpers ------------------------------------------------------- */

static const char digit_pairs[201] = "00010203040506070809"
				     "10111213141516171819"
				     "20212223242526272829"
				     "30313233343536373839"
				     "40414243444546474849"
				     "50515253545556575859"
				     "60616263646566676869"
				     "70717273747576777879"
				     "80818283848586878889"
				     "90919293949596979899";

static const uint64_t pow10_u64[20] = {
	1ULL,
	10ULL,
	100ULL,
	1000ULL,
	10000ULL,
	100000ULL,
	1000000ULL,
	10000000ULL,
	100000000ULL,
	1000000000ULL,
	10000000000ULL,
	100000000000ULL,
	1000000000000ULL,
	10000000000000ULL,
	100000000000000ULL,
	1000000000000000ULL,
	10000000000000000ULL,
	100000000000000000ULL,
	1000000000000000000ULL,
	10000000000000000000ULL,
};

/* Decimal digits of v: log10 estimated from the bit length (1233/4096 ~
 * log10(2)), corrected by one comparison. */
static inline int count_digits_u64(uint64_t v)
{
	v |= 1; /* same digit count; keeps 0 at one digit */
	int bits = 64 - __builtin_clzll(v);
	int t = (bits * 1233) >> 12;
	return t + (v >= pow10_u64[t]);
}

/* Writes exactly n digits of v (v < 10^n) ending at dst + n. */
static inline void write_digits(char *dst, uint64_t v, int n)
{
	char *p = dst + n;
	while (n >= 2) {
		unsigned r = (unsigned)(v % 100);
		v /= 100;
		p -= 2;
		memcpy(p, digit_pairs + 2 * r, 2);
		n -= 2;
	}
	if (n)
		*--p = (char)('0' + v % 10);
}

static inline void write_2(char *dst, unsigned v)
{
	memcpy(dst, digit_pairs + 2 * v, 2);
}

static inline bool is_digit(char c)
{
	return (unsigned)(c - '0') < 10;
}

/* Eight ASCII digits at p as a number, if they all are digits (SWAR:
 * pairs, then quads, then the octet, combined in one register). */
static inline bool eight_digits(const char *p, uint64_t *out)
{
	uint64_t v;
	memcpy(&v, p, 8);
	/* Each byte in 0x30..0x39: high nibble 3, and still 3 after adding 6. */
	if ((v & 0xf0f0f0f0f0f0f0f0ULL) != 0x3030303030303030ULL ||
	    ((v + 0x0606060606060606ULL) & 0xf0f0f0f0f0f0f0f0ULL) != 0x3030303030303030ULL)
		return false;
	v -= 0x3030303030303030ULL; /* byte 0 is the first (most significant) digit */
	v = (v * 10 + (v >> 8)) & 0x00ff00ff00ff00ffULL;
	v = (v * 100 + (v >> 16)) & 0x0000ffff0000ffffULL;
	v = (v * 10000 + (v >> 32)) & 0xffffffffULL;
	*out = v;
	return true;
}

static inline char lower_ascii(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
}

/* Case-insensitive match of p[0..n) against lowercase word w. */
static bool word_eq(const char *p, size_t n, const char *w)
{
	size_t wn = strlen(w);
	if (n != wn)
		return false;
	for (size_t i = 0; i < n; i++)
		if (lower_ascii(p[i]) != w[i])
			return false;
	return true;
}

/* Floor division and modulus for a positive divisor. */
static inline int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b < 0) ? q - 1 : q;
}

static inline int64_t floor_mod(int64_t a, int64_t b)
{
	int64_t r = a % b;
	return r < 0 ? r + b : r;
}

static inline int unit_digits(enum tarn_time_unit unit)
{
	switch (unit) {
	case TARN_UNIT_S: return 0;
	case TARN_UNIT_MS: return 3;
	case TARN_UNIT_US: return 6;
	default: return 9;
	}
}

/* ---- integers ------------------------------------------------------------ */

size_t tarn_fmt_uint64(char *dst, uint64_t v)
{
	int n = count_digits_u64(v);
	write_digits(dst, v, n);
	return (size_t)n;
}

size_t tarn_fmt_int64(char *dst, int64_t v)
{
	if (v < 0) {
		dst[0] = '-';
		return 1 + tarn_fmt_uint64(dst + 1, 0 - (uint64_t)v);
	}
	return tarn_fmt_uint64(dst, (uint64_t)v);
}

/* Unsigned digits only; false on empty, non-digit, or overflow. */
static bool parse_u64_digits(const char *p, size_t n, uint64_t *out)
{
	if (n == 0)
		return false;
	size_t i = 0;
	while (n - i > 19 && p[i] == '0')
		i++;
	/* The first 19 digits cannot overflow; 8 at a time where possible. */
	size_t safe = n - i <= 19 ? n : i + 19;
	uint64_t v = 0, eight;
	while (i + 8 <= safe && eight_digits(p + i, &eight)) {
		v = v * 100000000 + eight;
		i += 8;
	}
	for (; i < safe; i++) {
		unsigned d = (unsigned)(p[i] - '0');
		if (d > 9)
			return false;
		v = v * 10 + d;
	}
	for (; i < n; i++) {
		unsigned d = (unsigned)(p[i] - '0');
		if (d > 9)
			return false;
		if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, d, &v))
			return false;
	}
	*out = v;
	return true;
}

bool tarn_parse_uint64(const char *p, size_t n, uint64_t *out)
{
	if (n && p[0] == '+') {
		p++;
		n--;
	}
	return parse_u64_digits(p, n, out);
}

bool tarn_parse_int64(const char *p, size_t n, int64_t *out)
{
	bool neg = false;
	if (n && (p[0] == '+' || p[0] == '-')) {
		neg = p[0] == '-';
		p++;
		n--;
	}
	uint64_t u;
	if (!parse_u64_digits(p, n, &u))
		return false;
	if (neg) {
		if (u > (uint64_t)INT64_MAX + 1)
			return false;
		*out = (int64_t)(0 - u);
	} else {
		if (u > (uint64_t)INT64_MAX)
			return false;
		*out = (int64_t)u;
	}
	return true;
}

bool tarn_parse_bool(const char *p, size_t n, bool *out)
{
	if (n == 0 || n > 5)
		return false;
	switch (lower_ascii(p[0])) {
	case 't':
		if (n == 1 || word_eq(p, n, "true")) {
			*out = true;
			return true;
		}
		return false;
	case 'f':
		if (n == 1 || word_eq(p, n, "false")) {
			*out = false;
			return true;
		}
		return false;
	case 'y':
		if (n == 1 || word_eq(p, n, "yes")) {
			*out = true;
			return true;
		}
		return false;
	case 'n':
		if (n == 1 || word_eq(p, n, "no")) {
			*out = false;
			return true;
		}
		return false;
	default: return false;
	}
}

/* ---- floating point: formatting ------------------------------------------ */

static size_t fmt_special(char *dst, double v)
{
	if (isnan(v)) {
		memcpy(dst, "NaN", 3);
		return 3;
	}
	if (v < 0) {
		memcpy(dst, "-inf", 4);
		return 4;
	}
	memcpy(dst, "inf", 3);
	return 3;
}

static size_t fmt_zero(char *dst, bool neg)
{
	if (neg) {
		memcpy(dst, "-0.0", 4);
		return 4;
	}
	memcpy(dst, "0.0", 3);
	return 3;
}

/*
 * Reference shortest digits by trial: the fewest %.{p}e digits that read
 * back. Correct but slow; only used when the fast path below cannot decide
 * (never observed; it backs the error-bound argument in mul_pow10).
 */
static void shortest_by_trial(double v, bool is_float, uint64_t *digits, int *exp10)
{
	char buf[40];
	int maxp = is_float ? 9 : 17;
	for (int prec = 1; prec <= maxp; prec++) {
		snprintf(buf, sizeof buf, "%.*e", prec - 1, v);
		bool ok;
		if (is_float)
			ok = strtof(buf, NULL) == (float)v;
		else
			ok = strtod(buf, NULL) == v;
		if (ok)
			break;
	}
	/* buf = d.ddde±XX */
	uint64_t d = 0;
	int cnt = 0;
	const char *q = buf;
	for (; *q && *q != 'e'; q++)
		if (is_digit(*q)) {
			d = d * 10 + (uint64_t)(*q - '0');
			cnt++;
		}
	*digits = d;
	*exp10 = atoi(q + 1) - (cnt - 1);
}

typedef unsigned __int128 u128;

/* floor(log2(5^k)), floor(log10(2^e)), floor(log10(5^e)): fixed-point
 * approximations, checked exactly for |k| <= 400 and 0 <= e < 1200. */
static inline int floor_log2_pow5(int k)
{
	return (int)(((int64_t)k * 1217359) >> 19);
}

static inline int floor_log10_pow2(int e)
{
	return (int)(((int64_t)e * 78913) >> 18);
}

static inline int floor_log10_pow5(int e)
{
	return (int)(((int64_t)e * 732923) >> 20);
}

static const uint64_t pow5_u64[28] = {
	1ULL,
	5ULL,
	25ULL,
	125ULL,
	625ULL,
	3125ULL,
	15625ULL,
	78125ULL,
	390625ULL,
	1953125ULL,
	9765625ULL,
	48828125ULL,
	244140625ULL,
	1220703125ULL,
	6103515625ULL,
	30517578125ULL,
	152587890625ULL,
	762939453125ULL,
	3814697265625ULL,
	19073486328125ULL,
	95367431640625ULL,
	476837158203125ULL,
	2384185791015625ULL,
	11920928955078125ULL,
	59604644775390625ULL,
	298023223876953125ULL,
	1490116119384765625ULL,
	7450580596923828125ULL,
};

/* Whether x * 2^(e2+k) * 5^k is an integer (x > 0), by divisibility. */
static bool product_is_integer(uint64_t x, int e2, int k)
{
	if (k < 0 && (-k > 27 || x % pow5_u64[-k] != 0))
		return false;
	int a = e2 + k;
	return a >= 0 || (-a < 64 && __builtin_ctzll(x) >= -a);
}

/*
 * floor(x * 2^e2 * 10^k) into *r, and whether the product is an integer.
 * With M the table's truncated mantissa of 5^k, the true product lies in
 * [x*M, x*M + x) / 2^s, so floor(x*M / 2^s) is the answer unless the
 * fraction's top bits are all ones (x < 2^64 could then carry into the
 * integer part); divisibility then decides whether the product is exactly
 * the next integer, and otherwise we give up (false). Callers keep x < 2^57
 * and pick k so that the result is below 2^63.
 */
static inline bool mul_pow10(uint64_t x, int e2, int k, uint64_t *r, bool *is_int)
{
	const uint64_t *m = pow5_128[k - POW5_MIN];
	int sh = 127 - floor_log2_pow5(k) - e2 - k - 64; /* 57..63 for our callers */
	u128 lo = (u128)x * m[1];
	u128 mid = (u128)x * m[0] + (uint64_t)(lo >> 64);
	u128 mask = ((u128)1 << sh) - 1;
	u128 frac = mid & mask;
	*r = (uint64_t)(mid >> sh);
	bool table_exact = k >= 0 && k <= 55;
	if (UNLIKELY(frac == mask)) {
		if (table_exact) {
			*is_int = false;
			return true;
		}
		if (product_is_integer(x, e2, k)) {
			*r += 1;
			*is_int = true;
			return true;
		}
		return false;
	}
	*is_int = table_exact && frac == 0 && (uint64_t)lo == 0;
	return true;
}

/*
 * Shortest decimal digits * 10^exp10 that read back as m2 * 2^e2 (m2 > 0);
 * of several that short, the nearest to the value (ties to even). asym: the
 * lower neighbour is half as far away as the upper one (m2 a power of two
 * above a binade boundary). The digit-removal scheme is the one described in
 * Ulf Adams, "Ryū: fast float-to-string conversion" (PLDI 2018): scale the
 * value and its rounding interval to integers with spare digits, drop
 * trailing digits while the interval still holds a shorter number, then
 * round the value's digits. false = undecided (see mul_pow10).
 */
static bool shortest_digits(uint64_t m2, int e2, bool asym, uint64_t *digits, int *exp10)
{
	bool accept = (m2 & 1) == 0; /* round-half-even reads even bounds back */
	uint64_t mv = m2 << 2, mp = mv + 2, mm = mv - (asym ? 1 : 2);
	e2 -= 2;
	/* 10^e10 is chosen so the scaled interval is at least 4 units wide and
	 * the scaled values stay below 2^63. */
	int e10;
	if (e2 >= 0)
		e10 = floor_log10_pow2(e2) - (e2 > 3);
	else
		e10 = floor_log10_pow5(-e2) - (-e2 > 1) + e2;
	uint64_t vr, vp, vm;
	bool vr_int, vp_int, vm_int;
	if (!mul_pow10(mv, e2, -e10, &vr, &vr_int) || !mul_pow10(mp, e2, -e10, &vp, &vp_int) ||
	    !mul_pow10(mm, e2, -e10, &vm, &vm_int))
		return false;
	if (vp_int && !accept)
		vp--; /* the excluded upper bound would read back as the neighbour */
	/* vm_ok: vm is exactly the (accepted) lower bound, so a candidate itself.
	 * vr_zero: vr was exact and every digit dropped so far was zero. */
	bool vm_ok = accept && vm_int, vr_zero = vr_int;
	unsigned last = 0;
	int removed = 0;
	uint64_t out;
	if (LIKELY(!vm_ok && !vr_zero)) {
		/* Common case: no exact bound or tie to track, so only the leading
		 * dropped digit matters for rounding. Drop 8 digits at a time, then
		 * at most 4, 2 and 1 (a binary search on the count). */
		while (vp / 100000000 > vm / 100000000) {
			uint64_t q = vr / 100000000;
			last = (unsigned)((vr - q * 100000000) / 10000000);
			vr = q;
			vp /= 100000000;
			vm /= 100000000;
			removed += 8;
		}
		if (vp / 10000 > vm / 10000) {
			uint64_t q = vr / 10000;
			last = (unsigned)(vr - q * 10000) / 1000;
			vr = q;
			vp /= 10000;
			vm /= 10000;
			removed += 4;
		}
		if (vp / 100 > vm / 100) {
			uint64_t q = vr / 100;
			last = (unsigned)(vr - q * 100) / 10;
			vr = q;
			vp /= 100;
			vm /= 100;
			removed += 2;
		}
		if (vp / 10 > vm / 10) {
			uint64_t q = vr / 10;
			last = (unsigned)(vr - q * 10);
			vr = q;
			vp /= 10;
			vm /= 10;
			removed++;
		}
		out = vr + (vr == vm || last >= 5);
	} else {
		while (vp / 10 > vm / 10) {
			vm_ok &= vm % 10 == 0;
			vr_zero &= last == 0;
			last = (unsigned)(vr % 10);
			vr /= 10;
			vp /= 10;
			vm /= 10;
			removed++;
		}
		if (vm_ok) {
			/* The exact lower bound may be shorter still. */
			while (vm != 0 && vm % 10 == 0) {
				vr_zero &= last == 0;
				last = (unsigned)(vr % 10);
				vr /= 10;
				vp /= 10;
				vm /= 10;
				removed++;
			}
		}
		if (vr_zero && last == 5 && vr % 2 == 0)
			last = 4; /* exactly halfway: keep the even digit */
		out = vr + ((vr == vm && !vm_ok) || last >= 5);
	}
	while (out % 10 == 0) { /* a round-up can end in zeros */
		out /= 10;
		removed++;
	}
	*digits = out;
	*exp10 = e10 + removed;
	return out < 100000000000000000ULL; /* 17 digits always suffice */
}

/* Exactly 8 digits of v < 10^8 (leading zeros kept). */
static inline void write_8(char *dst, uint32_t v)
{
	uint32_t hi = v / 10000, lo = v % 10000;
	write_2(dst, hi / 100);
	write_2(dst + 2, hi % 100);
	write_2(dst + 4, lo / 100);
	write_2(dst + 6, lo % 100);
}

/*
 * Lays out digits * 10^exp10 (0 < digits < 10^17): plain notation for
 * decimal exponents -5..16 of the leading digit ("0.00012", "123.45",
 * "1200.0"), else d[.ddd]e±XX. Every copy has a fixed size so it compiles to
 * a few moves; they may write past the result but stay inside TARN_FMT_MAX
 * (the longest result is 24 bytes).
 */
static size_t layout_dec(char *dst, bool neg, uint64_t digits, int exp10)
{
	char buf[48];
	uint64_t hi = digits / 100000000;
	buf[0] = (char)('0' + hi / 100000000);
	write_8(buf + 1, (uint32_t)(hi % 100000000));
	write_8(buf + 9, (uint32_t)(digits % 100000000));
	memset(buf + 17, '0', 24);
	/* Significant digits: from the first nonzero to the last nonzero. */
	int lead = 17 - count_digits_u64(digits);
	int end = 17;
	while (buf[end - 1] == '0')
		end--;
	const char *d = buf + lead;
	int n = end - lead;
	int sci = exp10 + (17 - lead) - 1;
	char *p = dst;
	*p = '-';
	p += neg;
	if (sci < -5 || sci >= 17) {
		memcpy(p + 1, d, 24);
		p[0] = d[0];
		p[1] = '.';
		p += n == 1 ? 1 : n + 1;
		*p++ = 'e';
		*p++ = sci < 0 ? '-' : '+';
		unsigned e = (unsigned)(sci < 0 ? -sci : sci);
		if (e >= 100) {
			*p++ = (char)('0' + e / 100);
			e %= 100;
		}
		write_2(p, e);
		p += 2;
	} else if (sci < 0) {
		memcpy(p, "0.000000", 8);
		memcpy(p + 1 - sci, d, 24);
		p += 1 - sci + n;
	} else if (n <= sci + 1) {
		memcpy(p, d, 24); /* d is followed by zeros */
		p[sci + 1] = '.';
		p[sci + 2] = '0';
		p += sci + 3;
	} else {
		memcpy(p, d, 24);
		memcpy(p + sci + 2, d + sci + 1, 16);
		p[sci + 1] = '.';
		p += n + 1;
	}
	return (size_t)(p - dst);
}

size_t tarn_fmt_double(char *dst, double v)
{
	uint64_t bits;
	memcpy(&bits, &v, 8);
	bool neg = bits >> 63;
	unsigned ex = (unsigned)(bits >> 52) & 0x7ff;
	uint64_t mant = bits & ((1ULL << 52) - 1);
	if (UNLIKELY(ex == 0x7ff))
		return fmt_special(dst, v);
	if (UNLIKELY(ex == 0 && mant == 0))
		return fmt_zero(dst, neg);
	uint64_t m2 = ex ? mant | (1ULL << 52) : mant;
	int e2 = (ex ? (int)ex : 1) - 1075;
	uint64_t digits;
	int exp10 = 0;
	/* Integers below 2^53: the rounding interval is at most one unit wide,
	 * so the integer's own digits are the shortest. */
	if (e2 <= 0 && e2 >= -52 && (m2 & ((1ULL << -e2) - 1)) == 0)
		digits = m2 >> -e2;
	else if (UNLIKELY(!shortest_digits(m2, e2, mant == 0 && ex > 1, &digits, &exp10)))
		shortest_by_trial(fabs(v), false, &digits, &exp10);
	return layout_dec(dst, neg, digits, exp10);
}

size_t tarn_fmt_float(char *dst, float v)
{
	uint32_t bits;
	memcpy(&bits, &v, 4);
	bool neg = bits >> 31;
	unsigned ex = (bits >> 23) & 0xff;
	uint32_t mant = bits & ((1u << 23) - 1);
	if (UNLIKELY(ex == 0xff))
		return fmt_special(dst, v);
	if (UNLIKELY(ex == 0 && mant == 0))
		return fmt_zero(dst, neg);
	uint64_t m2 = ex ? mant | (1u << 23) : mant;
	int e2 = (ex ? (int)ex : 1) - 150;
	uint64_t digits;
	int exp10 = 0;
	if (e2 <= 0 && e2 >= -23 && (m2 & ((1ULL << -e2) - 1)) == 0)
		digits = m2 >> -e2;
	else if (UNLIKELY(!shortest_digits(m2, e2, mant == 0 && ex > 1, &digits, &exp10)))
		shortest_by_trial(fabsf(v), true, &digits, &exp10);
	return layout_dec(dst, neg, digits, exp10);
}

/* ---- floating point: parsing --------------------------------------------- */

/* Exactly representable powers of ten (Clinger's fast path). */
static const double exact_pow10[23] = { 1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
					1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
					1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22 };

#define PARSE_DOUBLE_MAX 4096

/* Rounds the 192-bit value hi:lo (hi's top bit at 126 or 127) to 53 bits,
 * ties to even; returns the mantissa and adds its scale to *e2. */
static inline uint64_t round_53(u128 hi, uint64_t lo, int *e2)
{
	int shift = ((uint64_t)(hi >> 64) >> 63) ? 75 : 74;
	uint64_t m = (uint64_t)(hi >> shift);
	u128 rem = hi & (((u128)1 << shift) - 1), half = (u128)1 << (shift - 1);
	if (rem > half || (rem == half && (lo != 0 || (m & 1))))
		m++;
	if (m >> 53) {
		m >>= 1;
		shift++;
	}
	*e2 += shift + 64;
	return m;
}

/*
 * w * 10^q correctly rounded, for 1 <= w < 2^64, when the 128-bit table
 * decides it. The true product w * 5^q lies in [w*M, w*M + w) scaled (M the
 * truncated table mantissa; exact for 0 <= q <= 55): when both ends round to
 * the same double, so does everything between. Subnormal results and the
 * rare undecided cases return false for the slow path.
 */
static bool mul_pow10_double(uint64_t w, int q, double *out)
{
	if (q < POW5_MIN) {
		*out = 0.0;
		return true;
	}
	if (q > 308) {
		*out = HUGE_VAL;
		return true;
	}
	int lz = __builtin_clzll(w);
	uint64_t wn = w << lz;
	const uint64_t *m = pow5_128[q - POW5_MIN];
	u128 lo = (u128)wn * m[1];
	u128 hi = (u128)wn * m[0] + (uint64_t)(lo >> 64);
	uint64_t low = (uint64_t)lo;
	int e2 = q + floor_log2_pow5(q) - 127 - lz;
	int e_lo = e2;
	uint64_t mant = round_53(hi, low, &e_lo);
	if (!(q >= 0 && q <= 55)) {
		/* The upper end of the error interval: hi:low + wn - 1. */
		uint64_t low2 = low + (wn - 1);
		u128 hi2 = hi + (low2 < low);
		int e_hi = e2;
		uint64_t mant2 = round_53(hi2, low2, &e_hi);
		if (mant2 != mant || e_hi != e_lo)
			return false;
	}
	/* value = mant * 2^e_lo with 2^52 <= mant < 2^53. */
	int biased = e_lo + 52 + 1023;
	if (biased >= 2047) {
		*out = HUGE_VAL;
		return true;
	}
	if (biased <= 0)
		return false;
	uint64_t bits = ((uint64_t)biased << 52) | (mant & ((1ULL << 52) - 1));
	memcpy(out, &bits, 8);
	return true;
}

/* Appends digits at p[i..] to *mant while fewer than 19 are kept; *scale
 * (when given) counts them as fraction digits. Returns the new position. */
static inline size_t gather_digits(const char *p, size_t n, size_t i, uint64_t *mant, int *kept,
				   int *scale)
{
	uint64_t m = *mant, eight;
	int k = *kept, k0 = k;
	while (k <= 11 && i + 8 <= n && eight_digits(p + i, &eight)) {
		m = m * 100000000 + eight;
		k += 8;
		i += 8;
	}
	while (k < 19 && i < n && is_digit(p[i])) {
		m = m * 10 + (uint64_t)(p[i] - '0');
		k++;
		i++;
	}
	*mant = m;
	*kept = k;
	if (scale)
		*scale += k - k0;
	return i;
}

bool tarn_parse_double(const char *p, size_t n, double *out)
{
	if (n == 0 || n > PARSE_DOUBLE_MAX)
		return false;
	size_t i = 0;
	bool neg = false;
	if (p[0] == '+' || p[0] == '-') {
		neg = p[0] == '-';
		i = 1;
	}
	if (i < n && !is_digit(p[i]) && p[i] != '.') {
		const char *w = p + i;
		size_t wn = n - i;
		if (word_eq(w, wn, "inf") || word_eq(w, wn, "infinity")) {
			*out = neg ? -HUGE_VAL : HUGE_VAL;
			return true;
		}
		if (word_eq(w, wn, "nan")) {
			*out = neg ? -NAN : NAN;
			return true;
		}
		return false;
	}
	/* Syntax check while gathering up to 19 significant digits into mant;
	 * `scale` counts fraction digits consumed into it (leading zeros too). */
	uint64_t mant = 0;
	int kept = 0, scale = 0;
	int64_t dropped = 0; /* integer digits past the 19 kept */
	bool truncated = false;
	size_t start = i;
	while (i < n && p[i] == '0')
		i++;
	i = gather_digits(p, n, i, &mant, &kept, NULL);
	while (i < n && is_digit(p[i])) {
		truncated |= p[i] != '0';
		dropped++;
		i++;
	}
	bool any_digit = i > start;
	if (i < n && p[i] == '.') {
		i++;
		size_t fstart = i;
		if (kept == 0)
			while (i < n && p[i] == '0') {
				i++;
				scale++;
			}
		i = gather_digits(p, n, i, &mant, &kept, &scale);
		while (i < n && is_digit(p[i])) {
			truncated |= p[i] != '0';
			i++;
		}
		any_digit |= i > fstart;
	}
	if (!any_digit)
		return false;
	int64_t exp10 = 0;
	if (i < n && (p[i] == 'e' || p[i] == 'E')) {
		i++;
		bool eneg = false;
		if (i < n && (p[i] == '+' || p[i] == '-')) {
			eneg = p[i] == '-';
			i++;
		}
		if (i >= n || !is_digit(p[i]))
			return false;
		for (; i < n && is_digit(p[i]); i++)
			if (exp10 < 100000)
				exp10 = exp10 * 10 + (p[i] - '0');
		if (eneg)
			exp10 = -exp10;
	}
	if (i != n)
		return false;
	int64_t e = exp10 + dropped - scale;
	if (mant == 0) {
		*out = neg ? -0.0 : 0.0;
		return true;
	}
	double d;
	if (!truncated) {
		/* Clinger: both operands exact, so one rounding. */
		if (mant <= (1ULL << 53) && e >= -22 && e <= 22) {
			d = (double)mant;
			d = e < 0 ? d / exact_pow10[-e] : d * exact_pow10[e];
			*out = neg ? -d : d;
			return true;
		}
		if (e >= -100000 && e <= 100000 && mul_pow10_double(mant, (int)e, &d)) {
			*out = neg ? -d : d;
			return true;
		}
	} else if (e >= -100000 && e <= 100000) {
		/* Nonzero digits past the 19th: the value lies in [mant, mant+1) * 10^e. */
		double d2;
		if (mul_pow10_double(mant, (int)e, &d) && mul_pow10_double(mant + 1, (int)e, &d2) &&
		    d == d2) {
			*out = neg ? -d : d;
			return true;
		}
	}
	/* Rare (subnormals, exact ties, undecided long inputs): the syntax is
	 * checked and free of hex, spaces and words, so strtod reads it the same
	 * way. The "C" locale keeps '.' the decimal point whatever the host
	 * program set; glibc hands it out without allocating. */
	char tmp[PARSE_DOUBLE_MAX + 1];
	memcpy(tmp, p, n);
	tmp[n] = 0;
	locale_t c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
	*out = c_locale ? strtod_l(tmp, NULL, c_locale) : strtod(tmp, NULL);
	if (c_locale)
		freelocale(c_locale);
	return true;
}

bool tarn_parse_float(const char *p, size_t n, float *out)
{
	double d;
	if (!tarn_parse_double(p, n, &d))
		return false;
	float f = (float)d;
	/* Narrowing can only go wrong when d is exactly halfway between two
	 * floats (the text itself may lie off that point), or at the overflow
	 * threshold; then strtof decides from the text (glibc rounds
	 * correctly). The syntax was checked above, so strtof reads the same. */
	bool redo = isinf(f) && isfinite(d);
	if (!redo && isfinite(f) && (double)f != d) {
		float o = nextafterf(f, (double)f < d ? INFINITY : -INFINITY);
		redo = isfinite(o) && ((double)f + (double)o) * 0.5 == d;
	}
	if (redo) {
		char tmp[PARSE_DOUBLE_MAX + 1];
		memcpy(tmp, p, n);
		tmp[n] = 0;
		locale_t c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
		f = c_locale ? strtof_l(tmp, NULL, c_locale) : strtof(tmp, NULL);
		if (c_locale)
			freelocale(c_locale);
	}
	*out = f;
	return true;
}

/* ---- decimals ------------------------------------------------------------ */


/* Writes the decimal digits of v (no sign); returns the count. */
static int fmt_u128(char *dst, u128 v)
{
	if ((v >> 64) == 0)
		return (int)tarn_fmt_uint64(dst, (uint64_t)v);
	const uint64_t e19 = 10000000000000000000ULL;
	uint64_t lo = (uint64_t)(v % e19);
	v /= e19;
	int n;
	if ((v >> 64) == 0) {
		n = (int)tarn_fmt_uint64(dst, (uint64_t)v);
	} else {
		uint64_t mid = (uint64_t)(v % e19);
		uint64_t hi = (uint64_t)(v / e19);
		n = (int)tarn_fmt_uint64(dst, hi);
		write_digits(dst + n, mid, 19);
		n += 19;
	}
	write_digits(dst + n, lo, 19);
	return n + 19;
}

size_t tarn_fmt_decimal(char *dst, tarn_i128 v, int scale)
{
	/* Types cap scale at 38; clamp so a bad scale cannot overrun dst. */
	if (scale < 0)
		scale = 0;
	if (scale > 38)
		scale = 38;
	char *p = dst;
	u128 u = (u128)v;
	if (v < 0) {
		*p++ = '-';
		u = 0 - u;
	}
	char buf[48];
	int n = fmt_u128(buf, u);
	if (scale == 0) {
		memcpy(p, buf, (size_t)n);
		return (size_t)(p + n - dst);
	}
	if (n <= scale) {
		*p++ = '0';
		*p++ = '.';
		memset(p, '0', (size_t)(scale - n));
		p += scale - n;
		memcpy(p, buf, (size_t)n);
		p += n;
	} else {
		memcpy(p, buf, (size_t)(n - scale));
		p += n - scale;
		*p++ = '.';
		memcpy(p, buf + n - scale, (size_t)scale);
		p += scale;
	}
	return (size_t)(p - dst);
}

/* 10^k for 0 <= k <= 38. */
static inline u128 pow10_u128(int k)
{
	return k <= 19 ? (u128)pow10_u64[k] : (u128)pow10_u64[k - 19] * pow10_u64[19];
}

/* Folds up to 19 pending digits (acc, n of them) into v. */
static inline u128 fold_digits(u128 v, uint64_t acc, int n)
{
	return v * pow10_u64[n] + acc;
}

bool tarn_parse_decimal(const char *p, size_t n, int precision, int scale, tarn_i128 *out)
{
	if (precision < 1 || precision > 38 || scale < 0 || scale > precision)
		return false;
	size_t i = 0;
	bool neg = false;
	if (n && (p[0] == '+' || p[0] == '-')) {
		neg = p[0] == '-';
		i = 1;
	}
	/* Digits collect in a 64-bit accumulator, folded into v every 19. */
	u128 v = 0;
	uint64_t acc = 0;
	int pending = 0, sig = 0; /* sig: significant digits so far */
	size_t start = i;
	while (i < n && p[i] == '0')
		i++;
	for (; i < n && is_digit(p[i]); i++) {
		if (++sig > 38)
			return false;
		acc = acc * 10 + (unsigned)(p[i] - '0');
		if (++pending == 19) {
			v = fold_digits(v, acc, pending);
			acc = 0;
			pending = 0;
		}
	}
	bool any = i > start;
	int frac = 0;
	if (i < n && p[i] == '.') {
		i++;
		size_t fstart = i;
		for (; i < n && is_digit(p[i]); i++) {
			if (frac >= scale) {
				/* Lossless rule: digits past the scale must be zeros. */
				if (p[i] != '0')
					return false;
				continue;
			}
			frac++;
			if (sig == 0 && p[i] == '0')
				continue;
			if (++sig > 38)
				return false;
			acc = acc * 10 + (unsigned)(p[i] - '0');
			if (++pending == 19) {
				v = fold_digits(v, acc, pending);
				acc = 0;
				pending = 0;
			}
		}
		any |= i > fstart;
	}
	if (!any || i != n)
		return false;
	v = fold_digits(v, acc, pending);
	/* v has `frac` fraction digits; the type wants `scale`. The value must
	 * fit in `precision` digits: sig + up of them. */
	int up = scale - frac;
	if (v != 0 && sig + up > precision)
		return false;
	v *= pow10_u128(up);
	*out = neg ? -(tarn_i128)v : (tarn_i128)v;
	return true;
}

/* ---- calendar ------------------------------------------------------------ */

/*
 * Proleptic Gregorian day counts by 400-year eras of 146097 days, counting
 * from March 1 so the leap day is the last day of the shifted year (Howard
 * Hinnant's "chrono-compatible low-level date algorithms").
 */
int32_t tarn_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	/* Years past +-6 million overflow int32 days: saturate (and keep the
	 * arithmetic below free of int64 overflow for any input). */
	if (y > 6000000)
		return INT32_MAX;
	if (y < -6000000)
		return INT32_MIN;
	y -= m <= 2;
	int64_t era = floor_div(y, 400);
	int64_t yoe = y - era * 400;                               /* [0, 399] */
	unsigned mp = m > 2 ? m - 3 : m + 9;                       /* March = 0 */
	int64_t doy = (153 * (int64_t)mp + 2) / 5 + (int64_t)d - 1; /* [0, 365] */
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;       /* [0, 146096] */
	return (int32_t)(era * 146097 + doe - 719468);
}

void tarn_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d)
{
	/* Clamped so the shift below cannot overflow; int64 time values in
	 * seconds stay far inside (|days| < 2^47). */
	const int64_t lim = (int64_t)1 << 62;
	days = days > lim ? lim : days < -lim ? -lim : days;
	int64_t z = days + 719468;
	int64_t era = floor_div(z, 146097);
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	*d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	*m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static bool is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned days_in_month(int64_t y, unsigned m)
{
	static const unsigned char dim[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	return m == 2 && is_leap(y) ? 29 : dim[m - 1];
}

/* Writes the date part for a day count (YYYY-MM-DD, signed outside 0..9999). */
static size_t fmt_date_days(char *dst, int64_t days)
{
	int64_t y;
	unsigned m, d;
	tarn_civil_from_days(days, &y, &m, &d);
	char *p = dst;
	if (y >= 0 && y <= 9999) {
		write_digits(p, (uint64_t)y, 4);
		p += 4;
	} else {
		*p++ = y < 0 ? '-' : '+';
		uint64_t ay = y < 0 ? 0 - (uint64_t)y : (uint64_t)y;
		int nd = count_digits_u64(ay);
		if (nd < 4)
			nd = 4;
		write_digits(p, ay, nd);
		p += nd;
	}
	*p++ = '-';
	write_2(p, m);
	p[2] = '-';
	write_2(p + 3, d);
	return (size_t)(p + 5 - dst);
}

size_t tarn_fmt_date(char *dst, int32_t days)
{
	return fmt_date_days(dst, days);
}

static inline bool two_digits(const char *p, unsigned *out)
{
	if (!is_digit(p[0]) || !is_digit(p[1]))
		return false;
	*out = (unsigned)(p[0] - '0') * 10 + (unsigned)(p[1] - '0');
	return true;
}

/*
 * Parses the date at p (YYYY-MM-DD or ±YYYY[YY..]-MM-DD) and returns the
 * bytes consumed, or 0. Day count via *days (int64: timestamps go further
 * than date32).
 */
static size_t parse_date_prefix(const char *p, size_t n, int64_t *days)
{
	size_t i = 0;
	bool neg = false, sign = false;
	if (n && (p[0] == '+' || p[0] == '-')) {
		sign = true;
		neg = p[0] == '-';
		i = 1;
	}
	size_t ystart = i;
	int64_t y = 0;
	/* Up to 12 digits: int64 seconds reach year 292277026596. */
	while (i < n && is_digit(p[i]) && i - ystart < 12)
		y = y * 10 + (p[i++] - '0');
	size_t ylen = i - ystart;
	if (sign ? (ylen < 4) : (ylen != 4))
		return 0;
	if (neg)
		y = -y;
	if (i + 6 > n || p[i] != '-' || p[i + 3] != '-')
		return 0;
	unsigned m, d;
	if (!two_digits(p + i + 1, &m) || !two_digits(p + i + 4, &d))
		return 0;
	if (m < 1 || m > 12 || d < 1 || d > days_in_month(y, m))
		return 0;
	/* tarn_days_from_civil returns int32; timestamps need the wide count. */
	int64_t yy = y - (m <= 2);
	int64_t era = floor_div(yy, 400);
	int64_t yoe = yy - era * 400;
	unsigned mp = m > 2 ? m - 3 : m + 9;
	int64_t doy = (153 * (int64_t)mp + 2) / 5 + (int64_t)d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	*days = era * 146097 + doe - 719468;
	return i + 6;
}

bool tarn_parse_date(const char *p, size_t n, int32_t *out)
{
	int64_t days;
	size_t used = parse_date_prefix(p, n, &days);
	if (used == 0 || used != n || days < INT32_MIN || days > INT32_MAX)
		return false;
	*out = (int32_t)days;
	return true;
}

/* ---- time of day --------------------------------------------------------- */

/* Writes ".fraction" for frac (< 10^nd) trimmed of trailing zeros, or
 * nothing when zero. */
static size_t fmt_fraction(char *dst, uint64_t frac, int nd)
{
	if (frac == 0 || nd == 0)
		return 0;
	while (frac % 10 == 0) {
		frac /= 10;
		nd--;
	}
	dst[0] = '.';
	write_digits(dst + 1, frac, nd);
	return (size_t)nd + 1;
}

/* HH:MM:SS[.frac] for a non-negative offset within a day (hours may exceed
 * 23 only for out-of-range time64 values). */
static size_t fmt_clock(char *dst, uint64_t secs, uint64_t frac, int nd)
{
	uint64_t h = secs / 3600;
	unsigned mi = (unsigned)(secs / 60 % 60), s = (unsigned)(secs % 60);
	char *p = dst;
	if (h < 100) {
		write_2(p, (unsigned)h);
		p += 2;
	} else {
		p += tarn_fmt_uint64(p, h);
	}
	*p++ = ':';
	write_2(p, mi);
	p[2] = ':';
	write_2(p + 3, s);
	p += 5;
	p += fmt_fraction(p, frac, nd);
	return (size_t)(p - dst);
}

size_t tarn_fmt_time(char *dst, int64_t v, enum tarn_time_unit unit)
{
	int nd = unit_digits(unit);
	uint64_t per = pow10_u64[nd];
	char *p = dst;
	/* A valid time64 is within [0, 24h); others still print, signed. */
	uint64_t u = (uint64_t)v;
	if (v < 0) {
		*p++ = '-';
		u = 0 - u;
	}
	return (size_t)(p - dst) + fmt_clock(p, u / per, u % per, nd);
}

size_t tarn_fmt_timestamp(char *dst, int64_t v, enum tarn_time_unit unit, bool utc)
{
	int nd = unit_digits(unit);
	int64_t per = (int64_t)pow10_u64[nd];
	int64_t secs = floor_div(v, per);
	int64_t frac = floor_mod(v, per);
	int64_t days = floor_div(secs, 86400);
	int64_t sod = floor_mod(secs, 86400);
	char *p = dst;
	p += fmt_date_days(p, days);
	*p++ = ' ';
	p += fmt_clock(p, (uint64_t)sod, (uint64_t)frac, nd);
	if (utc)
		*p++ = 'Z';
	return (size_t)(p - dst);
}

/*
 * Parses HH:MM[:SS[.fraction]] at p; returns bytes consumed (0 = invalid).
 * The value in `unit` goes to *out. Digits finer than the unit must be zero
 * (the lossless rule); at most 9 fraction digits.
 */
static size_t parse_clock_prefix(const char *p, size_t n, enum tarn_time_unit unit, int64_t *out)
{
	unsigned h, mi, s = 0;
	if (n < 5 || !two_digits(p, &h) || p[2] != ':' || !two_digits(p + 3, &mi))
		return 0;
	if (h > 23 || mi > 59)
		return 0;
	size_t i = 5;
	int nd = unit_digits(unit);
	int64_t frac = 0;
	if (i < n && p[i] == ':') {
		if (i + 3 > n || !two_digits(p + i + 1, &s) || s > 59)
			return 0;
		i += 3;
		if (i < n && p[i] == '.') {
			i++;
			size_t start = i;
			int k = 0;
			for (; i < n && is_digit(p[i]); i++, k++) {
				if (k >= 9)
					return 0;
				if (k < nd)
					frac = frac * 10 + (p[i] - '0');
				else if (p[i] != '0')
					return 0;
			}
			if (i == start)
				return 0;
			for (int j = k; j < nd; j++)
				frac *= 10;
		}
	}
	*out = ((int64_t)h * 3600 + mi * 60 + s) * (int64_t)pow10_u64[nd] + frac;
	return i;
}

bool tarn_parse_time(const char *p, size_t n, enum tarn_time_unit unit, int64_t *out)
{
	int64_t v;
	if (parse_clock_prefix(p, n, unit, &v) != n || n == 0)
		return false;
	*out = v;
	return true;
}

bool tarn_parse_zone(const char *p, size_t n, bool *has_offset, int64_t *offset_secs)
{
	*has_offset = false;
	*offset_secs = 0;
	if (n == 0)
		return true;
	if (n == 1 && (p[0] == 'Z' || p[0] == 'z')) {
		*has_offset = true;
		return true;
	}
	if (p[0] != '+' && p[0] != '-')
		return false;
	unsigned oh, om = 0;
	size_t rest = n - 1;
	const char *q = p + 1;
	if (rest == 2) {
		if (!two_digits(q, &oh))
			return false;
	} else if (rest == 4) {
		if (!two_digits(q, &oh) || !two_digits(q + 2, &om))
			return false;
	} else if (rest == 5) {
		if (!two_digits(q, &oh) || q[2] != ':' || !two_digits(q + 3, &om))
			return false;
	} else {
		return false;
	}
	if (oh > 23 || om > 59)
		return false;
	*has_offset = true;
	*offset_secs = ((int64_t)oh * 3600 + om * 60) * (p[0] == '-' ? -1 : 1);
	return true;
}

bool tarn_parse_timestamp(const char *p, size_t n, enum tarn_time_unit unit, int64_t *out,
			  bool *has_offset)
{
	int64_t days;
	size_t i = parse_date_prefix(p, n, &days);
	if (i == 0 || i >= n || (p[i] != ' ' && p[i] != 'T' && p[i] != 't'))
		return false;
	i++;
	int64_t tod;
	size_t used = parse_clock_prefix(p + i, n - i, unit, &tod);
	if (used == 0)
		return false;
	i += used;
	bool off;
	int64_t off_secs;
	if (!tarn_parse_zone(p + i, n - i, &off, &off_secs))
		return false;
	/* UTC = local - offset, exact in 128 bits (|days| < 4e14), then range
	 * checked: the extremes of int64 are reachable from either side. */
	int64_t per = (int64_t)pow10_u64[unit_digits(unit)];
	__int128 v = ((__int128)days * 86400 - off_secs) * per + tod;
	if (v < INT64_MIN || v > INT64_MAX)
		return false;
	*out = (int64_t)v;
	*has_offset = off;
	return true;
}

/* ---- JSON strings, hex, base64 ------------------------------------------- */

/* Decodes one UTF-8 sequence at p (n > 0 bytes left); returns its length, or
 * 0 if invalid (RFC 3629). */
static size_t utf8_seq_len(const uint8_t *p, size_t n)
{
	uint8_t c = p[0];
	if (c < 0x80)
		return 1;
	size_t len;
	uint8_t lo = 0x80, hi = 0xbf;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
	} else {
		return 0;
	}
	if (n < len || p[1] < lo || p[1] > hi)
		return 0;
	for (size_t k = 2; k < len; k++)
		if ((p[k] & 0xc0) != 0x80)
			return 0;
	return len;
}

#define BYTES_OF(c) (0x0101010101010101ULL * (uint8_t)(c))

/* Whether any of 8 bytes needs attention: < 0x20, '"', '\\', or (when the
 * string is not known valid UTF-8) >= 0x80. May report false positives
 * (the caller rescans bytewise), never false negatives. */
static inline bool block_needs(const uint8_t *p, bool valid)
{
	uint64_t w;
	memcpy(&w, p, 8);
	const uint64_t hi = BYTES_OF(0x80);
	uint64_t q = w ^ BYTES_OF('"'), b = w ^ BYTES_OF('\\');
	uint64_t m = ((w - BYTES_OF(0x20)) & ~w) | ((q - BYTES_OF(1)) & ~q) | ((b - BYTES_OF(1)) & ~b);
	m &= hi;
	if (!valid)
		m |= w & hi;
	return m != 0;
}

static inline bool byte_needs(uint8_t c, bool valid)
{
	return c < 0x20 || c == '"' || c == '\\' || (!valid && c >= 0x80);
}

tarn_rc tarn_json_quote(const uint8_t *s, size_t n, struct tarn_buf *out)
{
	static const char hex[] = "0123456789abcdef";
	size_t bad_at;
	bool valid = tarn_utf8_valid(s, n, &bad_at);
	if (n > SIZE_MAX - 2)
		return TARN_ELIMIT;
	TRY(tarn_buf_reserve(out, n + 2));
	out->data[out->len++] = '"';
	size_t i = 0, run = 0; /* s[run..i) is pending plain text */
	while (i < n) {
		while (i + 8 <= n && !block_needs(s + i, valid))
			i += 8;
		size_t lim = i + 8 < n ? i + 8 : n;
		while (i < lim && !byte_needs(s[i], valid))
			i++;
		if (i == lim)
			continue;
		if (i > run)
			TRY(tarn_buf_append(out, s + run, i - run));
		uint8_t c = s[i];
		if (c >= 0x80) {
			/* Only reached for strings that are not valid UTF-8. */
			size_t len = utf8_seq_len(s + i, n - i);
			if (len) {
				TRY(tarn_buf_append(out, s + i, len));
				i += len;
			} else {
				/* An invalid byte becomes U+FFFD: the output stays JSON. */
				TRY(tarn_buf_append(out, "\xef\xbf\xbd", 3));
				i++;
			}
			run = i;
			continue;
		}
		char esc[6] = { '\\', 0, 0, 0, 0, 0 };
		size_t en = 2;
		switch (c) {
		case '"': esc[1] = '"'; break;
		case '\\': esc[1] = '\\'; break;
		case '\n': esc[1] = 'n'; break;
		case '\t': esc[1] = 't'; break;
		case '\r': esc[1] = 'r'; break;
		case '\b': esc[1] = 'b'; break;
		case '\f': esc[1] = 'f'; break;
		default:
			memcpy(esc + 1, "u00", 3);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			en = 6;
			break;
		}
		TRY(tarn_buf_append(out, esc, en));
		i++;
		run = i;
	}
	if (n > run)
		TRY(tarn_buf_append(out, s + run, n - run));
	return tarn_buf_putc(out, '"');
}

static tarn_rc append_hex(const uint8_t *s, size_t n, struct tarn_buf *out)
{
	static const char hex[] = "0123456789abcdef";
	if (n > (SIZE_MAX - 2) / 2)
		return TARN_ELIMIT;
	TRY(tarn_buf_reserve(out, 2 + 2 * n));
	char *p = out->data + out->len;
	*p++ = '\\';
	*p++ = 'x';
	for (size_t i = 0; i < n; i++) {
		*p++ = hex[s[i] >> 4];
		*p++ = hex[s[i] & 15];
	}
	out->len = (size_t)(p - out->data);
	return TARN_OK;
}

/* RFC 4648 standard alphabet with padding, quoted (JSON mode). */
static tarn_rc append_base64_quoted(const uint8_t *s, size_t n, struct tarn_buf *out)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	if (n > (SIZE_MAX / 4) * 3 - 8)
		return TARN_ELIMIT;
	size_t need = (n + 2) / 3 * 4 + 2;
	TRY(tarn_buf_reserve(out, need));
	char *p = out->data + out->len;
	*p++ = '"';
	size_t i = 0;
	for (; i + 3 <= n; i += 3) {
		uint32_t w = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8 | s[i + 2];
		p[0] = b64[w >> 18];
		p[1] = b64[(w >> 12) & 63];
		p[2] = b64[(w >> 6) & 63];
		p[3] = b64[w & 63];
		p += 4;
	}
	if (n - i == 1) {
		uint32_t w = (uint32_t)s[i] << 16;
		p[0] = b64[w >> 18];
		p[1] = b64[(w >> 12) & 63];
		p[2] = '=';
		p[3] = '=';
		p += 4;
	} else if (n - i == 2) {
		uint32_t w = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8;
		p[0] = b64[w >> 18];
		p[1] = b64[(w >> 12) & 63];
		p[2] = b64[(w >> 6) & 63];
		p[3] = '=';
		p += 4;
	}
	*p++ = '"';
	out->len = (size_t)(p - out->data);
	return TARN_OK;
}

/* ---- whole values -------------------------------------------------------- */

static tarn_rc append_fmt(struct tarn_buf *out, const char *s, size_t n, bool quote)
{
	TRY(tarn_buf_reserve(out, n + 2));
	char *p = out->data + out->len;
	if (quote)
		*p++ = '"';
	memcpy(p, s, n);
	p += n;
	if (quote)
		*p++ = '"';
	out->len = (size_t)(p - out->data);
	return TARN_OK;
}

static tarn_rc value_text(const struct tarn_array *a, int64_t i, bool json, struct tarn_buf *out);

/* One nested child value in JSON, null included. */
static tarn_rc child_json(const struct tarn_array *a, int64_t i, struct tarn_buf *out)
{
	if (tarn_array_is_null(a, i))
		return tarn_buf_append(out, "null", 4);
	return value_text(a, i, true, out);
}

static tarn_rc list_json(const struct tarn_array *a, int64_t i, struct tarn_buf *out)
{
	const struct tarn_array *items = a->children[0];
	int32_t b = a->offsets[i], e = a->offsets[i + 1];
	TRY(tarn_buf_putc(out, '['));
	for (int32_t k = b; k < e; k++) {
		if (k > b)
			TRY(tarn_buf_putc(out, ','));
		TRY(child_json(items, k, out));
	}
	return tarn_buf_putc(out, ']');
}

static tarn_rc struct_json(const struct tarn_array *a, int64_t i, struct tarn_buf *out)
{
	const struct tarn_type *t = a->type;
	TRY(tarn_buf_putc(out, '{'));
	for (int k = 0; k < a->n_children; k++) {
		if (k)
			TRY(tarn_buf_putc(out, ','));
		const char *name = t->children[k].name ? t->children[k].name : "";
		TRY(tarn_json_quote((const uint8_t *)name, strlen(name), out));
		TRY(tarn_buf_putc(out, ':'));
		TRY(child_json(a->children[k], i, out));
	}
	return tarn_buf_putc(out, '}');
}

/* Maps with string keys are JSON objects; other keys give a list of
 * {"key":..,"value":..} objects (JSON object keys must be strings). */
static tarn_rc map_json(const struct tarn_array *a, int64_t i, struct tarn_buf *out)
{
	const struct tarn_array *entries = a->children[0];
	const struct tarn_array *keys = entries->children[0];
	const struct tarn_array *vals = entries->n_children > 1 ? entries->children[1] : NULL;
	bool obj = keys->type->id == TARN_T_STRING;
	int32_t b = a->offsets[i], e = a->offsets[i + 1];
	TRY(tarn_buf_putc(out, obj ? '{' : '['));
	for (int32_t k = b; k < e; k++) {
		if (k > b)
			TRY(tarn_buf_putc(out, ','));
		if (obj) {
			size_t kn = 0;
			const uint8_t *ks = tarn_array_is_null(keys, k)
						    ? (const uint8_t *)""
						    : tarn_array_get_bytes(keys, k, &kn);
			TRY(tarn_json_quote(ks, kn, out));
			TRY(tarn_buf_putc(out, ':'));
		} else {
			TRY(tarn_buf_append(out, "{\"key\":", 7));
			TRY(child_json(keys, k, out));
			TRY(tarn_buf_append(out, ",\"value\":", 9));
		}
		if (vals)
			TRY(child_json(vals, k, out));
		else
			TRY(tarn_buf_append(out, "null", 4));
		if (!obj)
			TRY(tarn_buf_putc(out, '}'));
	}
	return tarn_buf_putc(out, obj ? '}' : ']');
}

/* DuckDB's spelling: "1 year 2 months 3 days 04:05:06.5", parts that are
 * zero left out, months over 12 as years, the clock signed and unbounded
 * ("-36:00:00"), "00:00:00" for the zero interval. */
tarn_rc tarn_interval_to_text(const struct tarn_interval *v, struct tarn_buf *out)
{
	char tmp[160];
	size_t n = 0;
	int32_t years = v->months / 12, months = v->months % 12;
	if (years)
		n += (size_t)snprintf(tmp + n, sizeof tmp - n, "%d year%s", years,
				      years == 1 || years == -1 ? "" : "s");
	if (months)
		n += (size_t)snprintf(tmp + n, sizeof tmp - n, "%s%d month%s", n ? " " : "", months,
				      months == 1 || months == -1 ? "" : "s");
	if (v->days)
		n += (size_t)snprintf(tmp + n, sizeof tmp - n, "%s%d day%s", n ? " " : "", v->days,
				      v->days == 1 || v->days == -1 ? "" : "s");
	if (v->micros || n == 0) {
		if (n)
			tmp[n++] = ' ';
		uint64_t u = (uint64_t)v->micros;
		if (v->micros < 0) {
			tmp[n++] = '-';
			u = 0 - u;
		}
		n += fmt_clock(tmp + n, u / 1000000, u % 1000000, 6);
	}
	return tarn_buf_append(out, tmp, n);
}

/* Interval text: "N unit" pairs ("1 year 2 months", "-3 days", "1.5 hours";
 * units singular or plural or abbreviated: y yr year, mon month, w week,
 * d day, h hr hour, m min minute, s sec second, ms msec millisecond, us
 * usec microsecond, quarter, decade, century, millennium) and clock parts
 * "[-]H:MM[:SS[.f]]", in any order, as DuckDB reads them. A fraction of a
 * month or longer goes to whole months and days (a month is 30 days), a
 * fraction of a day or week to microseconds. */
bool tarn_parse_interval(const char *p, size_t n, struct tarn_interval *out)
{
	static const struct {
		const char *w;
		int part; /* 0 months, 1 days, 2 micros */
		int64_t mul;
	} units[] = {
		{ "millennium", 0, 12000 }, { "millennia", 0, 12000 }, { "century", 0, 1200 },
		{ "centuries", 0, 1200 },   { "decade", 0, 120 },      { "decades", 0, 120 },
		{ "year", 0, 12 },	    { "years", 0, 12 },	       { "y", 0, 12 },
		{ "yr", 0, 12 },	    { "yrs", 0, 12 },	       { "quarter", 0, 3 },
		{ "quarters", 0, 3 },	    { "month", 0, 1 },	       { "months", 0, 1 },
		{ "mon", 0, 1 },	    { "mons", 0, 1 },	       { "week", 1, 7 },
		{ "weeks", 1, 7 },	    { "w", 1, 7 },	       { "day", 1, 1 },
		{ "days", 1, 1 },	    { "d", 1, 1 },	       { "hour", 2, 3600000000LL },
		{ "hours", 2, 3600000000LL }, { "h", 2, 3600000000LL }, { "hr", 2, 3600000000LL },
		{ "hrs", 2, 3600000000LL }, { "minute", 2, 60000000 }, { "minutes", 2, 60000000 },
		{ "m", 2, 60000000 },	    { "min", 2, 60000000 },    { "mins", 2, 60000000 },
		{ "second", 2, 1000000 },   { "seconds", 2, 1000000 }, { "s", 2, 1000000 },
		{ "sec", 2, 1000000 },	    { "secs", 2, 1000000 },    { "millisecond", 2, 1000 },
		{ "milliseconds", 2, 1000 }, { "ms", 2, 1000 },	       { "msec", 2, 1000 },
		{ "msecs", 2, 1000 },	    { "microsecond", 2, 1 },   { "microseconds", 2, 1 },
		{ "us", 2, 1 },		    { "usec", 2, 1 },	       { "usecs", 2, 1 },
	};
	double months = 0, days = 0, micros = 0;
	size_t i = 0;
	bool any = false;
	while (i < n) {
		while (i < n && isspace((unsigned char)p[i]))
			i++;
		if (i == n)
			break;
		size_t st = i;
		if (p[i] == '+' || p[i] == '-')
			i++;
		size_t ds = i;
		while (i < n && (isdigit((unsigned char)p[i]) || p[i] == '.'))
			i++;
		if (i == ds)
			return false;
		if (i < n && p[i] == ':') { /* a clock: [-]H:MM[:SS[.f]] */
			bool neg = p[st] == '-';
			size_t cs = ds;
			while (i < n && (isdigit((unsigned char)p[i]) || p[i] == ':' || p[i] == '.'))
				i++;
			double f[3] = { 0, 0, 0 };
			int nf = 0;
			size_t a = cs;
			for (size_t k = cs; k <= i && nf < 3; k++) {
				if (k == i || p[k] == ':') {
					if (k == a || !tarn_parse_double(p + a, k - a, &f[nf]))
						return false;
					nf++;
					a = k + 1;
				}
			}
			if (nf < 2 || a <= i || f[1] >= 60 || f[2] >= 60)
				return false;
			double us = (f[0] * 3600 + f[1] * 60 + f[2]) * 1e6;
			micros += neg ? -us : us;
			any = true;
			continue;
		}
		double v;
		if (!tarn_parse_double(p + st, i - st, &v))
			return false;
		while (i < n && isspace((unsigned char)p[i]))
			i++;
		size_t ws = i;
		while (i < n && isalpha((unsigned char)p[i]))
			i++;
		size_t wl = i - ws;
		int u = -1;
		for (size_t k = 0; k < sizeof units / sizeof *units && u < 0; k++)
			if (strlen(units[k].w) == wl && !strncasecmp(p + ws, units[k].w, wl))
				u = (int)k;
		if (u < 0)
			return false;
		double x = v * (double)units[u].mul;
		if (units[u].part == 0) {
			double whole = trunc(x);
			months += whole;
			days += (x - whole) * 30;
		} else if (units[u].part == 1) {
			double whole = trunc(x);
			days += whole;
			micros += (x - whole) * 86400e6;
		} else {
			micros += x;
		}
		any = true;
	}
	double dw = trunc(days);
	micros += (days - dw) * 86400e6;
	if (!any || fabs(months) > 2147483647.0 || fabs(dw) > 2147483647.0 || fabs(micros) > 9.2e18)
		return false;
	out->months = (int32_t)months;
	out->days = (int32_t)dw;
	out->micros = (int64_t)llround(micros);
	return true;
}

static tarn_rc value_text(const struct tarn_array *a, int64_t i, bool json, struct tarn_buf *out)
{
	const struct tarn_type *t = a->type;
	char tmp[TARN_FMT_MAX];
	size_t n;
	switch (t->id) {
	case TARN_T_NULL:
		return json ? tarn_buf_append(out, "null", 4) : TARN_OK;
	case TARN_T_BOOL:
		return tarn_bit_get(a->values, i) ? tarn_buf_append(out, "true", 4)
						  : tarn_buf_append(out, "false", 5);
	case TARN_T_INT8:
	case TARN_T_INT16:
	case TARN_T_INT32:
	case TARN_T_INT64:
	case TARN_T_UINT8:
	case TARN_T_UINT16:
	case TARN_T_UINT32:
		n = tarn_fmt_int64(tmp, tarn_array_get_int(a, i));
		return append_fmt(out, tmp, n, false);
	case TARN_T_UINT64:
		n = tarn_fmt_uint64(tmp, tarn_array_get_uint(a, i));
		return append_fmt(out, tmp, n, false);
	case TARN_T_FLOAT32: {
		float f = ((const float *)a->values)[i];
		if (json && !isfinite(f))
			return tarn_buf_append(out, "null", 4);
		n = tarn_fmt_float(tmp, f);
		return append_fmt(out, tmp, n, false);
	}
	case TARN_T_FLOAT64: {
		double d = ((const double *)a->values)[i];
		if (json && !isfinite(d))
			return tarn_buf_append(out, "null", 4);
		n = tarn_fmt_double(tmp, d);
		return append_fmt(out, tmp, n, false);
	}
	case TARN_T_DECIMAL128:
		n = tarn_fmt_decimal(tmp, tarn_array_get_decimal(a, i), t->scale);
		return append_fmt(out, tmp, n, false);
	case TARN_T_STRING: {
		size_t len;
		const uint8_t *s = tarn_array_get_bytes(a, i, &len);
		return json ? tarn_json_quote(s, len, out) : tarn_buf_append(out, s, len);
	}
	case TARN_T_BINARY: {
		size_t len;
		const uint8_t *s = tarn_array_get_bytes(a, i, &len);
		return json ? append_base64_quoted(s, len, out) : append_hex(s, len, out);
	}
	case TARN_T_DATE32:
		n = tarn_fmt_date(tmp, (int32_t)tarn_array_get_int(a, i));
		return append_fmt(out, tmp, n, json);
	case TARN_T_TIME64:
		n = tarn_fmt_time(tmp, tarn_array_get_int(a, i), (enum tarn_time_unit)t->unit);
		return append_fmt(out, tmp, n, json);
	case TARN_T_TIMESTAMP:
		n = tarn_fmt_timestamp(tmp, tarn_array_get_int(a, i), (enum tarn_time_unit)t->unit,
				       t->tz != NULL);
		return append_fmt(out, tmp, n, json);
	case TARN_T_INTERVAL: {
		struct tarn_interval v;
		memcpy(&v, a->values + (size_t)i * sizeof v, sizeof v);
		if (json)
			TRY(tarn_buf_putc(out, '"'));
		TRY(tarn_interval_to_text(&v, out));
		return json ? tarn_buf_putc(out, '"') : TARN_OK;
	}
	case TARN_T_LIST: return list_json(a, i, out);
	case TARN_T_STRUCT: return struct_json(a, i, out);
	case TARN_T_MAP: return map_json(a, i, out);
	default: return TARN_EINTERNAL;
	}
}

tarn_rc tarn_value_to_text(const struct tarn_array *a, int64_t i, bool json, struct tarn_buf *out)
{
	return value_text(a, i, json, out);
}

/* ---- public cell text ---------------------------------------------------- */

size_t tarn_batch_cell_text(const struct tarn_batch *b, int col, int64_t row, char *buf,
			    size_t cap)
{
	if (cap == 0)
		return 0;
	buf[0] = 0;
	if (!b || col < 0 || col >= b->n_cols || row < 0 || row >= b->cols[col]->length)
		return 0;
	const struct tarn_array *a = b->cols[col];
	if (tarn_array_is_null(a, row))
		return 0;
	struct tarn_buf tb;
	tarn_buf_init(&tb);
	size_t n = 0;
	if (tarn_value_to_text(a, row, false, &tb) == TARN_OK) {
		n = tb.len < cap - 1 ? tb.len : cap - 1;
		/* Cut on a UTF-8 character boundary. */
		if (n < tb.len)
			while (n > 0 && ((uint8_t)tb.data[n] & 0xc0) == 0x80)
				n--;
		if (n)
			memcpy(buf, tb.data, n);
	}
	buf[n] = 0;
	tarn_buf_free(&tb);
	return n;
}

void tarn_fmt_size(char *buf, size_t cap, int64_t n, const char *unit)
{
	if (n >= (int64_t)1 << 30)
		snprintf(buf, cap, "%.1f GiB", (double)n / (1 << 30));
	else if (n >= 1 << 20)
		snprintf(buf, cap, "%.1f MiB", (double)n / (1 << 20));
	else if (n >= 1 << 10)
		snprintf(buf, cap, "%.1f KiB", (double)n / (1 << 10));
	else
		snprintf(buf, cap, "%lld %s", (long long)n, unit);
}
