/*
 * csv_scan.c — the byte-level scanning of CSV text: the tokenizer (the body
 * is csv_tok.h, instantiated here for AVX2, SSE2 and a portable SWAR path),
 * quote counting and row-start search for the parallel splitter, line
 * counting for error messages, and unescaping of quoted fields.
 *
 * Dispatch: csv_simd_resolve picks the widest instruction set the CPU has
 * (__builtin_cpu_supports), unless the caller or the TARN_CSV_SIMD
 * environment variable (scalar|sse2|avx2) asks for a narrower one. All
 * paths produce identical results; tests run each of them.
 *
 * Thread-safety: all functions are pure over their arguments.
 */
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "formats/csv/csv_int.h"

#if defined(__x86_64__) || defined(__i386__)
#define CSV_X86 1
#include <immintrin.h>
#else
#define CSV_X86 0
#endif

struct tok_needles {
	uint8_t delim, quote, esc;
};

/* ---- portable word-at-a-time masks --------------------------------------- */

static inline uint64_t load64(const uint8_t *p)
{
	uint64_t w;
	memcpy(&w, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	w = __builtin_bswap64(w);
#endif
	return w;
}

#define BCAST(c) (0x0101010101010101ull * (uint8_t)(c))

/* 0x80 in every byte of w that is zero, exactly (no borrow false positives). */
static inline uint64_t zero_bytes(uint64_t w)
{
	const uint64_t lo7 = 0x7f7f7f7f7f7f7f7full;
	return ~(((w & lo7) + lo7) | w | lo7);
}

/* Gathers the high bit of each byte into 8 bits, byte i -> bit i. */
static inline uint64_t pack_high(uint64_t hb)
{
	return ((hb >> 7) * 0x0102040810204080ull) >> 56;
}

struct swar_k {
	uint64_t d, q, e, lf, cr;
};

static inline void swar_masks(const uint8_t *bp, const struct swar_k *k, uint64_t *um,
			      uint64_t *qm, uint64_t *hi)
{
	uint64_t u = 0, q = 0, h = 0;
	for (int j = 0; j < 8; j++) {
		uint64_t w = load64(bp + 8 * j);
		uint64_t zq = zero_bytes(w ^ k->q);
		uint64_t zu = zero_bytes(w ^ k->d) | zq | zero_bytes(w ^ k->lf) |
			      zero_bytes(w ^ k->cr);
		uint64_t ze = zq | zero_bytes(w ^ k->e);
		u |= pack_high(zu) << (8 * j);
		q |= pack_high(ze) << (8 * j);
		h |= w;
	}
	*um = u;
	*qm = q;
	*hi |= h & 0x8080808080808080ull;
}

#define TOK_FN tokenize_scalar
#define TOK_CONSTS(k)                                                                   \
	const struct swar_k k = { BCAST(kd.delim), BCAST(kd.quote), BCAST(kd.esc),       \
				  BCAST('\n'), BCAST('\r') }
#define TOK_MASKS(bp, k, um, qm, hi) swar_masks(bp, &k, &um, &qm, &hi)
#include "formats/csv/csv_tok.h"
#undef TOK_FN
#undef TOK_CONSTS
#undef TOK_MASKS

#if CSV_X86
/* ---- SSE2 (every x86-64) ------------------------------------------------- */

struct sse_k {
	__m128i d, q, e, lf, cr;
};

static inline void sse2_masks(const uint8_t *bp, const struct sse_k *k, uint64_t *um,
			      uint64_t *qm, uint64_t *hi)
{
	uint64_t u = 0, q = 0, h = 0;
	for (int j = 0; j < 4; j++) {
		__m128i v = _mm_loadu_si128((const __m128i *)(bp + 16 * j));
		__m128i eq = _mm_cmpeq_epi8(v, k->q);
		__m128i eu = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, k->d), eq),
					  _mm_or_si128(_mm_cmpeq_epi8(v, k->lf),
						       _mm_cmpeq_epi8(v, k->cr)));
		__m128i ee = _mm_or_si128(eq, _mm_cmpeq_epi8(v, k->e));
		u |= (uint64_t)(uint32_t)_mm_movemask_epi8(eu) << (16 * j);
		q |= (uint64_t)(uint32_t)_mm_movemask_epi8(ee) << (16 * j);
		h |= (uint64_t)(uint32_t)_mm_movemask_epi8(v);
	}
	*um = u;
	*qm = q;
	*hi |= h;
}

#define TOK_FN tokenize_sse2
#define TOK_CONSTS(k)                                                                    \
	const struct sse_k k = { _mm_set1_epi8((char)kd.delim), _mm_set1_epi8((char)kd.quote), \
				 _mm_set1_epi8((char)kd.esc), _mm_set1_epi8('\n'),        \
				 _mm_set1_epi8('\r') }
#define TOK_MASKS(bp, k, um, qm, hi) sse2_masks(bp, &k, &um, &qm, &hi)
#include "formats/csv/csv_tok.h"
#undef TOK_FN
#undef TOK_CONSTS
#undef TOK_MASKS

/* ---- AVX2 (runtime dispatch only) ---------------------------------------- */

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2,bmi,bmi2,popcnt"))), apply_to = function)
#elif defined(__GNUC__)
#pragma GCC push_options
#pragma GCC target("avx2,bmi,bmi2,popcnt")
#endif

struct avx_k {
	__m256i d, q, e, lf, cr;
};

static inline void avx2_masks(const uint8_t *bp, const struct avx_k *k, uint64_t *um,
			      uint64_t *qm, uint64_t *hi)
{
	__m256i a = _mm256_loadu_si256((const __m256i *)bp);
	__m256i b = _mm256_loadu_si256((const __m256i *)(bp + 32));
	__m256i qa = _mm256_cmpeq_epi8(a, k->q), qb = _mm256_cmpeq_epi8(b, k->q);
	__m256i ua = _mm256_or_si256(_mm256_or_si256(_mm256_cmpeq_epi8(a, k->d), qa),
				     _mm256_or_si256(_mm256_cmpeq_epi8(a, k->lf),
						     _mm256_cmpeq_epi8(a, k->cr)));
	__m256i ub = _mm256_or_si256(_mm256_or_si256(_mm256_cmpeq_epi8(b, k->d), qb),
				     _mm256_or_si256(_mm256_cmpeq_epi8(b, k->lf),
						     _mm256_cmpeq_epi8(b, k->cr)));
	__m256i ea = _mm256_or_si256(qa, _mm256_cmpeq_epi8(a, k->e));
	__m256i eb = _mm256_or_si256(qb, _mm256_cmpeq_epi8(b, k->e));
	*um = (uint64_t)(uint32_t)_mm256_movemask_epi8(ua) |
	      ((uint64_t)(uint32_t)_mm256_movemask_epi8(ub) << 32);
	*qm = (uint64_t)(uint32_t)_mm256_movemask_epi8(ea) |
	      ((uint64_t)(uint32_t)_mm256_movemask_epi8(eb) << 32);
	*hi |= (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_or_si256(a, b));
}

#define TOK_FN tokenize_avx2
#define TOK_CONSTS(k)                                                                         \
	const struct avx_k k = { _mm256_set1_epi8((char)kd.delim), _mm256_set1_epi8((char)kd.quote), \
				 _mm256_set1_epi8((char)kd.esc), _mm256_set1_epi8('\n'),        \
				 _mm256_set1_epi8('\r') }
#define TOK_MASKS(bp, k, um, qm, hi) avx2_masks(bp, &k, &um, &qm, &hi)
#include "formats/csv/csv_tok.h"
#undef TOK_FN
#undef TOK_CONSTS
#undef TOK_MASKS

static uint64_t count_quotes_avx2(const uint8_t *p, size_t n, uint8_t quote)
{
	__m256i q = _mm256_set1_epi8((char)quote);
	uint64_t c = 0;
	size_t i = 0;
	for (; i + 32 <= n; i += 32) {
		__m256i v = _mm256_loadu_si256((const __m256i *)(p + i));
		c += (uint64_t)__builtin_popcount((uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, q)));
	}
	for (; i < n; i++)
		c += p[i] == quote;
	return c;
}

#if defined(__clang__)
#pragma clang attribute pop
#elif defined(__GNUC__)
#pragma GCC pop_options
#endif
#endif /* CSV_X86 */

/* ---- dispatch ------------------------------------------------------------- */

static bool cpu_has_avx2(void)
{
#if CSV_X86 && defined(__GNUC__)
	__builtin_cpu_init();
	return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("bmi2");
#else
	return false;
#endif
}

const char *csv_simd_name(enum csv_simd s)
{
	switch (s) {
	case CSV_SIMD_SCALAR: return "scalar";
	case CSV_SIMD_SSE2: return "sse2";
	case CSV_SIMD_AVX2: return "avx2";
	default: return "auto";
	}
}

enum csv_simd csv_simd_resolve(enum csv_simd want)
{
	if (want == CSV_SIMD_AUTO) {
		const char *env = getenv("TARN_CSV_SIMD");
		if (env && !strcmp(env, "scalar"))
			want = CSV_SIMD_SCALAR;
		else if (env && !strcmp(env, "sse2"))
			want = CSV_SIMD_SSE2;
		else if (env && !strcmp(env, "avx2"))
			want = CSV_SIMD_AVX2;
	}
	if (!CSV_X86)
		return CSV_SIMD_SCALAR;
	bool avx2 = cpu_has_avx2();
	switch (want) {
	case CSV_SIMD_SCALAR: return CSV_SIMD_SCALAR;
	case CSV_SIMD_SSE2: return CSV_SIMD_SSE2;
	case CSV_SIMD_AVX2: return avx2 ? CSV_SIMD_AVX2 : CSV_SIMD_SSE2;
	default: return avx2 ? CSV_SIMD_AVX2 : CSV_SIMD_SSE2;
	}
}

enum csv_tok_status csv_tokenize(struct csv_tok *t, enum csv_simd simd)
{
	t->nrows = 0;
#if CSV_X86
	if (simd == CSV_SIMD_AVX2)
		return tokenize_avx2(t);
	if (simd == CSV_SIMD_SSE2)
		return tokenize_sse2(t);
#endif
	(void)simd;
	return tokenize_scalar(t);
}

/* ---- splitter helpers ----------------------------------------------------- */

static uint64_t count_quotes_swar(const uint8_t *p, size_t n, uint8_t quote)
{
	uint64_t c = 0, bq = BCAST(quote);
	size_t i = 0;
	for (; i + 8 <= n; i += 8)
		c += (uint64_t)__builtin_popcountll(zero_bytes(load64(p + i) ^ bq));
	for (; i < n; i++)
		c += p[i] == quote;
	return c;
}

uint64_t csv_count_quotes(const uint8_t *p, size_t n, uint8_t quote, int esc)
{
	if (!quote || n == 0)
		return 0;
	if (esc == CSV_ESC_BACKSLASH) {
		/* Speculation only needs to be usually right: a quote right after
		 * a backslash is taken as escaped. */
		uint64_t c = 0;
		const uint8_t *q = p, *e = p + n;
		while ((q = memchr(q, quote, (size_t)(e - q))) != NULL) {
			c += !(q > p && q[-1] == '\\');
			q++;
		}
		return c;
	}
#if CSV_X86
	if (cpu_has_avx2())
		return count_quotes_avx2(p, n, quote);
#endif
	return count_quotes_swar(p, n, quote);
}

size_t csv_find_row_start(const struct csv_dialect *d, const uint8_t *p, size_t from, size_t end,
			  bool in_quotes)
{
	bool inq = in_quotes && d->quote;
	for (size_t i = from; i < end; i++) {
		uint8_t c = p[i];
		if (inq) {
			if (d->escape == CSV_ESC_BACKSLASH && c == '\\')
				i++;
			else if (c == d->quote)
				inq = false;
			continue;
		}
		if (c == '\n')
			return i + 1;
		if (c == '\r')
			return (i + 1 < end && p[i + 1] == '\n') ? i + 2 : i + 1;
		if (c == d->quote && d->quote)
			inq = true;
	}
	return end;
}

int64_t csv_count_lines(const uint8_t *p, size_t from, size_t to, bool *ends_cr)
{
	int64_t n = 0;
	for (size_t i = from; i < to; i++) {
		if (p[i] == '\n')
			n++;
		else if (p[i] == '\r' && !(i + 1 < to && p[i + 1] == '\n'))
			n++;
	}
	if (ends_cr)
		*ends_cr = to > from && p[to - 1] == '\r';
	return n;
}

size_t csv_unescape(const uint8_t *s, size_t n, const struct csv_dialect *d, uint8_t *dst)
{
	size_t o = 0;
	if (d->escape == CSV_ESC_BACKSLASH) {
		for (size_t i = 0; i < n; i++) {
			if (s[i] == '\\' && i + 1 < n)
				i++;
			dst[o++] = s[i];
		}
	} else {
		for (size_t i = 0; i < n; i++) {
			dst[o++] = s[i];
			if (s[i] == d->quote && i + 1 < n && s[i + 1] == d->quote)
				i++;
		}
	}
	return o;
}
