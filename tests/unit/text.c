/*
 * Unit tests for columnar/text.c: scalar formatting and parsing, calendar
 * math, JSON quoting, whole-value rendering and tarn_batch_cell_text.
 *
 * The float tests are randomized against the C library (strtod and
 * "%.{p}g"), which is the oracle for round-tripping and digit counts.
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/mem.h"
#include "columnar/array.h"
#include "columnar/text.h"
#include "columnar/type.h"
#include "unit.h"

/* ---- helpers -------------------------------------------------------------- */

static char fb[TARN_FMT_MAX + 1];
/* Runs a tarn_fmt_* call writing into fb and NUL-terminates it. */
#define FMT(call) (fb[(call)] = 0, fb)

static uint64_t rng_state = 0x2545F4914F6CDD1DULL;
static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static bool pd(const char *s, double *d)
{
	return tarn_parse_double(s, strlen(s), d);
}

static bool pi(const char *s, int64_t *v)
{
	return tarn_parse_int64(s, strlen(s), v);
}

static bool pu(const char *s, uint64_t *v)
{
	return tarn_parse_uint64(s, strlen(s), v);
}

static bool pdec(const char *s, int prec, int scale, tarn_i128 *v)
{
	return tarn_parse_decimal(s, strlen(s), prec, scale, v);
}

static bool same_bits(double a, double b)
{
	return memcmp(&a, &b, sizeof a) == 0;
}

/* Significant digits in a formatted number (mantissa only, zeros trimmed). */
static int sig_digits(const char *s)
{
	char d[64];
	int k = 0;
	bool started = false;
	for (; *s && *s != 'e'; s++) {
		if (*s < '0' || *s > '9')
			continue;
		if (*s != '0')
			started = true;
		if (started)
			d[k++] = *s;
	}
	while (k > 1 && d[k - 1] == '0')
		k--;
	return k;
}

/* ---- integers and bools --------------------------------------------------- */

TEST(fmt_ints)
{
	CHECK_STR(FMT(tarn_fmt_int64(fb, 0)), "0");
	CHECK_STR(FMT(tarn_fmt_int64(fb, -1)), "-1");
	CHECK_STR(FMT(tarn_fmt_int64(fb, INT64_MAX)), "9223372036854775807");
	CHECK_STR(FMT(tarn_fmt_int64(fb, INT64_MIN)), "-9223372036854775808");
	CHECK_STR(FMT(tarn_fmt_uint64(fb, UINT64_MAX)), "18446744073709551615");
	CHECK_STR(FMT(tarn_fmt_uint64(fb, 0)), "0");
	/* Every digit-count boundary. */
	char want[32];
	uint64_t p = 1;
	for (int k = 0; k < 20; k++) {
		snprintf(want, sizeof want, "%llu", (unsigned long long)p);
		CHECK_STR(FMT(tarn_fmt_uint64(fb, p)), want);
		snprintf(want, sizeof want, "%llu", (unsigned long long)(p - 1));
		CHECK_STR(FMT(tarn_fmt_uint64(fb, p - 1)), want);
		snprintf(want, sizeof want, "%llu", (unsigned long long)(p + 1));
		CHECK_STR(FMT(tarn_fmt_uint64(fb, p + 1)), want);
		if (k < 19)
			p *= 10;
	}
	for (int i = 0; i < 20000; i++) {
		int64_t v = (int64_t)rnd() >> (rnd() % 64);
		snprintf(want, sizeof want, "%lld", (long long)v);
		CHECK_STR(FMT(tarn_fmt_int64(fb, v)), want);
	}
}

TEST(parse_ints)
{
	int64_t v;
	uint64_t u;
	CHECK(pi("0", &v) && v == 0);
	CHECK(pi("-0", &v) && v == 0);
	CHECK(pi("+42", &v) && v == 42);
	CHECK(pi("-42", &v) && v == -42);
	CHECK(pi("007", &v) && v == 7);
	CHECK(pi("9223372036854775807", &v) && v == INT64_MAX);
	CHECK(pi("-9223372036854775808", &v) && v == INT64_MIN);
	CHECK(!pi("9223372036854775808", &v));
	CHECK(!pi("-9223372036854775809", &v));
	CHECK(!pi("99999999999999999999", &v));
	CHECK(!pi("184467440737095516160", &v));
	CHECK(pi("00000000000000000000000000001", &v) && v == 1);
	const char *bad[] = { "", "-", "+", " 1", "1 ", "1a", "0x10", "1.0", "1e3", "--1", "+-1", "١" };
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		v = 12345;
		CHECK(!pi(bad[i], &v));
		CHECK(v == 12345); /* nothing written on failure */
	}
	CHECK(pu("18446744073709551615", &u) && u == UINT64_MAX);
	CHECK(pu("+18446744073709551615", &u) && u == UINT64_MAX);
	CHECK(!pu("18446744073709551616", &u));
	CHECK(!pu("-1", &u));
	CHECK(!pu("-0", &u));
	CHECK(!pu("", &u));
	CHECK(!pu("+", &u));
	CHECK(pu("0", &u) && u == 0);
	/* Random round trips. */
	char buf[32];
	for (int i = 0; i < 20000; i++) {
		int64_t x = (int64_t)rnd() >> (rnd() % 64);
		size_t n = tarn_fmt_int64(buf, x);
		CHECK(tarn_parse_int64(buf, n, &v) && v == x);
		uint64_t y = rnd() >> (rnd() % 64);
		n = tarn_fmt_uint64(buf, y);
		CHECK(tarn_parse_uint64(buf, n, &u) && u == y);
	}
}

TEST(parse_bool)
{
	const char *yes[] = { "true", "TRUE", "True", "t", "T", "yes", "YES", "Yes", "y", "Y" };
	const char *no[] = { "false", "FALSE", "False", "f", "F", "no", "NO", "No", "n", "N" };
	const char *bad[] = { "", "tru", "truee", "1", "0", "on", "off", " true", "true ", "yess",
			      "nope", "fals", "ye" };
	bool b;
	for (size_t i = 0; i < sizeof yes / sizeof *yes; i++)
		CHECK(tarn_parse_bool(yes[i], strlen(yes[i]), &b) && b);
	for (size_t i = 0; i < sizeof no / sizeof *no; i++)
		CHECK(tarn_parse_bool(no[i], strlen(no[i]), &b) && !b);
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		CHECK(!tarn_parse_bool(bad[i], strlen(bad[i]), &b));
}

/* ---- floating point ------------------------------------------------------- */

TEST(fmt_double_fixed)
{
	struct {
		double v;
		const char *s;
	} cases[] = {
		{ 1.0, "1.0" },
		{ -1.0, "-1.0" },
		{ 0.0, "0.0" },
		{ -0.0, "-0.0" },
		{ 0.1, "0.1" },
		{ 0.3, "0.3" },
		{ 2.0 / 3.0, "0.6666666666666666" },
		{ 123.45, "123.45" },
		{ 12345.67, "12345.67" },
		{ -0.05, "-0.05" },
		{ 100.0, "100.0" },
		{ 1e20, "1e+20" },
		{ 1.5e-7, "1.5e-07" },
		{ 1e-7, "1e-07" },
		{ 0.00001, "0.00001" },
		{ 0.000012345, "0.000012345" },
		{ 0.000001, "1e-06" },
		{ 1e16, "10000000000000000.0" },
		{ 1.2345e16, "12345000000000000.0" },
		{ 1e17, "1e+17" },
		{ 1.5e17, "1.5e+17" },
		{ 1e23, "1e+23" },
		{ 9007199254740992.0, "9007199254740992.0" },
		{ 9007199254740994.0, "9007199254740994.0" },
		{ 5e-324, "5e-324" },
		{ -5e-324, "-5e-324" },
		{ 1e-323, "1e-323" },
		{ 2.2250738585072014e-308, "2.2250738585072014e-308" },
		{ 2.225073858507201e-308, "2.225073858507201e-308" },
		{ 1.7976931348623157e308, "1.7976931348623157e+308" },
		{ 4.35, "4.35" },
		{ 1.23e102, "1.23e+102" },
		{ 299792458.0, "299792458.0" },
		{ 0.1 + 0.2, "0.30000000000000004" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
		CHECK_STR(FMT(tarn_fmt_double(fb, cases[i].v)), cases[i].s);
	CHECK_STR(FMT(tarn_fmt_double(fb, NAN)), "NaN");
	CHECK_STR(FMT(tarn_fmt_double(fb, -NAN)), "NaN");
	CHECK_STR(FMT(tarn_fmt_double(fb, INFINITY)), "inf");
	CHECK_STR(FMT(tarn_fmt_double(fb, -INFINITY)), "-inf");
	/* Powers of two and ten across the whole range read back and are
	 * minimal (the asymmetric-interval cases live at powers of two). */
	for (int e = -1074; e <= 1023; e++) {
		double v = ldexp(1.0, e);
		size_t n = tarn_fmt_double(fb, v);
		fb[n] = 0;
		CHECK(same_bits(strtod(fb, NULL), v));
	}
	for (int e = -323; e <= 308; e++) {
		char want[32];
		snprintf(want, sizeof want, "1e%d", e);
		double v = strtod(want, NULL);
		tarn_fmt_double(fb, v)[fb] = 0;
		CHECK(sig_digits(fb) == 1);
		CHECK(same_bits(strtod(fb, NULL), v));
	}
}

TEST(fmt_float_fixed)
{
	struct {
		float v;
		const char *s;
	} cases[] = {
		{ 1.0f, "1.0" },
		{ -0.0f, "-0.0" },
		{ 0.1f, "0.1" },
		{ 0.3f, "0.3" },
		{ 123.45f, "123.45" },
		{ 16777216.0f, "16777216.0" },
		{ 3.4028235e38f, "3.4028235e+38" },
		{ 1e-45f, "1e-45" },
		{ 1.17549435e-38f, "1.1754944e-38" },
		{ 1e10f, "10000000000.0" },
		{ 1e20f, "1e+20" },
		{ 0.2f + 0.1f, "0.3" },
		{ 1.0f / 3.0f, "0.33333334" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
		CHECK_STR(FMT(tarn_fmt_float(fb, cases[i].v)), cases[i].s);
	CHECK_STR(FMT(tarn_fmt_float(fb, NAN)), "NaN");
	CHECK_STR(FMT(tarn_fmt_float(fb, -INFINITY)), "-inf");
}

/* The smallest p for which "%.{p}g" reads back (the minimality oracle). */
static int ref_digits(double v, bool is_float)
{
	char b[64];
	for (int p = 1; p <= 17; p++) {
		snprintf(b, sizeof b, "%.*g", p, v);
		if (is_float ? strtof(b, NULL) == (float)v : strtod(b, NULL) == v)
			return p;
	}
	return 99;
}

/*
 * Random doubles: random bit patterns, "nice" 2-decimal values and scaled
 * integers. Every output must read back bit-exactly; it must not be longer
 * than the shortest "%.{p}g" that reads back. The full p loop is costly, so
 * most values get the equivalent one-step check (the correctly rounded
 * output one digit shorter must not read back) and every 16th value and
 * every power-of-two mantissa (asymmetric interval) the full loop.
 */
TEST(fmt_double_random)
{
	const int n_iter = 1000000;
	int bad_rt = 0, bad_len = 0;
	char b[64], shorter[64];
	for (int i = 0; i < n_iter; i++) {
		uint64_t u = rnd();
		double v;
		switch (i % 4) {
		case 1: v = (double)(u % 100000000) / 100.0; break;
		case 2: v = (double)((int64_t)(u % 2000001) - 1000000) * pow(10, (int)(u >> 40) % 40 - 20); break;
		default: memcpy(&v, &u, 8); break;
		}
		if (!isfinite(v))
			continue;
		size_t n = tarn_fmt_double(b, v);
		b[n] = 0;
		if (!same_bits(strtod(b, NULL), v)) {
			if (bad_rt++ < 5)
				fprintf(stderr, "round trip: %a -> %s\n", v, b);
			continue;
		}
		if (v == 0)
			continue;
		int d = sig_digits(b);
		uint64_t bits;
		memcpy(&bits, &v, 8);
		bool full = (i % 16) == 0 || (bits & ((1ULL << 52) - 1)) == 0;
		bool too_long;
		if (full) {
			too_long = d > ref_digits(v, false);
		} else {
			too_long = false;
			if (d > 1) {
				snprintf(shorter, sizeof shorter, "%.*e", d - 2, v);
				too_long = strtod(shorter, NULL) == v;
			}
		}
		if (too_long && bad_len++ < 5)
			fprintf(stderr, "not shortest: %a -> %s\n", v, b);
	}
	CHECK(bad_rt == 0);
	CHECK(bad_len == 0);
}

TEST(fmt_float_random)
{
	int bad = 0;
	char b[64];
	for (int i = 0; i < 200000; i++) {
		uint32_t w = (uint32_t)rnd();
		float f;
		if (i % 3 == 1)
			f = (float)(w % 10000000) / 100.0f;
		else
			memcpy(&f, &w, 4);
		if (!isfinite(f))
			continue;
		size_t n = tarn_fmt_float(b, f);
		b[n] = 0;
		float back = strtof(b, NULL);
		if (memcmp(&back, &f, 4) != 0 || (f != 0 && sig_digits(b) > ref_digits(f, true))) {
			if (bad++ < 5)
				fprintf(stderr, "float: %a -> %s\n", (double)f, b);
		}
	}
	CHECK(bad == 0);
}

TEST(parse_double_fixed)
{
	double d;
	struct {
		const char *s;
		double v;
	} good[] = {
		{ "0", 0.0 },
		{ "1", 1.0 },
		{ "-1", -1.0 },
		{ "+1.5", 1.5 },
		{ ".5", 0.5 },
		{ "5.", 5.0 },
		{ "1e5", 1e5 },
		{ "1E-5", 1e-5 },
		{ "1e+5", 1e5 },
		{ "0.1", 0.1 },
		{ "12345.67", 12345.67 },
		{ "000123.4500", 123.45 },
		{ "9007199254740993", 9007199254740992.0 },   /* tie: to even */
		{ "9007199254740995", 9007199254740996.0 },   /* tie: to even */
		{ "9007199254740993.0000000001", 9007199254740994.0 },
		{ "90071992547409930e-1", 9007199254740992.0 }, /* tie, negative exponent */
		{ "1e23", 1e23 },
		{ "8.98846567431158e307", 8.98846567431158e307 },
		{ "1.7976931348623157e308", DBL_MAX },
		{ "2.2250738585072014e-308", DBL_MIN },
		{ "2.2250738585072011e-308", 2.2250738585072011e-308 },
		{ "4.9406564584124654e-324", 5e-324 },
		{ "2.4703282292062328e-324", 5e-324 },
		{ "1e400", INFINITY },
		{ "-1e400", -INFINITY },
		{ "1e-400", 0.0 },
		{ "123456789012345678901234567890", 1.2345678901234568e29 },
		{ "0.000000000000000000000000000000000000000001", 1e-42 },
		{ "inf", INFINITY },
		{ "-INF", -INFINITY },
		{ "Infinity", INFINITY },
		{ "-infinity", -INFINITY },
	};
	for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
		bool ok = pd(good[i].s, &d);
		CHECK(ok);
		if (ok && !same_bits(d, good[i].v)) {
			fprintf(stderr, "parse %s: got %a want %a\n", good[i].s, d, good[i].v);
			CHECK(0);
		}
	}
	CHECK(pd("-0", &d) && d == 0 && signbit(d));
	CHECK(pd("-0.0e10", &d) && d == 0 && signbit(d));
	CHECK(pd("-1e-400", &d) && d == 0 && signbit(d));
	CHECK(pd("2.4703282292062327e-324", &d) && d == 0 && !signbit(d));
	CHECK(pd("nan", &d) && isnan(d));
	CHECK(pd("NaN", &d) && isnan(d));
	CHECK(pd("-NAN", &d) && isnan(d));
	const char *bad[] = { "",      ".",     "+",     "-",      "e5",    "1e",    "1e+",
			      "1e-",   " 1",    "1 ",    "1.2.3",  "0x10",  "0X1p3", "1e5x",
			      "infx",  "in",    "--1",   "1,5",    "nan(1)", "+-1",  "1..2",
			      ".e5",   "-.",    "1e5.5", "1_000",  "１",    "inity", "\t1" };
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		d = 42;
		CHECK(!pd(bad[i], &d));
		CHECK(d == 42);
	}
	/* A long but legal spelling, and an over-long one. */
	static char big[5000];
	memset(big, '0', sizeof big);
	big[1] = '.';
	big[4000] = '1';
	CHECK(tarn_parse_double(big, 4001, &d) && same_bits(d, strtod("1e-3999", NULL)));
	big[4095] = '7';
	CHECK(tarn_parse_double(big, 4096, &d) && d == 0.0);
	CHECK(!tarn_parse_double(big, 4097, &d));
	/* Not NUL-terminated: the length bounds the parse. */
	CHECK(tarn_parse_double("1.25xyz", 4, &d) && d == 1.25);
}

TEST(parse_double_random)
{
	char b[96];
	int bad = 0;
	for (int i = 0; i < 300000; i++) {
		uint64_t u = rnd();
		double v;
		memcpy(&v, &u, 8);
		if (!isfinite(v))
			v = (double)(u >> 11);
		switch (i % 6) {
		case 0: snprintf(b, sizeof b, "%.17g", v); break;
		case 1: snprintf(b, sizeof b, "%.*e", (int)(rnd() % 25), v); break;
		case 2:
			snprintf(b, sizeof b, "%llu.%02llu", (unsigned long long)(u % 100000000),
				 (unsigned long long)(rnd() % 100));
			break;
		case 3: {
			int k = snprintf(b, sizeof b, "%llu",
					 (unsigned long long)(rnd() % 10000000000000000000ULL));
			snprintf(b + k, sizeof b - (size_t)k, "e%d", (int)(rnd() % 700) - 350);
			break;
		}
		case 4: b[tarn_fmt_double(b, v)] = 0; break;
		default: snprintf(b, sizeof b, "%.40e", v); break;
		}
		double want = strtod(b, NULL), got = 0;
		if (!pd(b, &got) || !same_bits(got, want)) {
			if (bad++ < 5)
				fprintf(stderr, "parse %s: got %a want %a\n", b, got, want);
		}
	}
	CHECK(bad == 0);
}

/* ---- decimals ------------------------------------------------------------- */

static tarn_i128 i128_from(const char *digits, bool neg)
{
	tarn_i128 v = 0;
	for (; *digits; digits++)
		v = v * 10 + (*digits - '0');
	return neg ? -v : v;
}

TEST(fmt_decimal)
{
	CHECK_STR(FMT(tarn_fmt_decimal(fb, 12345, 2)), "123.45");
	CHECK_STR(FMT(tarn_fmt_decimal(fb, 1250, 2)), "12.50");
	CHECK_STR(FMT(tarn_fmt_decimal(fb, 5, 2)), "0.05");
	CHECK_STR(FMT(tarn_fmt_decimal(fb, -5, 2)), "-0.05");
	CHECK_STR(FMT(tarn_fmt_decimal(fb, -100, 2)), "-1.00");
	CHECK_STR(FMT(tarn_fmt_decimal(fb, 0, 2)), "0.00");
	CHECK_STR(FMT(tarn_fmt_decimal(fb, 0, 0)), "0");
	CHECK_STR(FMT(tarn_fmt_decimal(fb, -7, 0)), "-7");
	CHECK_STR(FMT(tarn_fmt_decimal(fb, 1, 38)), "0.00000000000000000000000000000000000001");
	const char *nines = "99999999999999999999999999999999999999"; /* 38 */
	CHECK_STR(FMT(tarn_fmt_decimal(fb, i128_from(nines, false), 0)), nines);
	CHECK_STR(FMT(tarn_fmt_decimal(fb, i128_from(nines, true), 38)),
		  "-0.99999999999999999999999999999999999999");
	CHECK_STR(FMT(tarn_fmt_decimal(fb, i128_from(nines, false), 19)),
		  "9999999999999999999.9999999999999999999");
	CHECK_STR(FMT(tarn_fmt_decimal(fb, i128_from("10000000000000000000", false), 1)),
		  "1000000000000000000.0");
	tarn_i128 min = (tarn_i128)((unsigned __int128)1 << 127);
	CHECK_STR(FMT(tarn_fmt_decimal(fb, min, 0)), "-170141183460469231731687303715884105728");
}

TEST(parse_decimal)
{
	tarn_i128 v;
	CHECK(pdec("12.5", 5, 2, &v) && v == 1250);
	CHECK(pdec("12.50", 5, 2, &v) && v == 1250);
	CHECK(pdec("12.500", 5, 2, &v) && v == 1250); /* trailing zeros lose nothing */
	CHECK(!pdec("12.505", 5, 2, &v));
	CHECK(pdec("-0.05", 5, 2, &v) && v == -5);
	CHECK(pdec("+1", 5, 2, &v) && v == 100);
	CHECK(pdec(".5", 3, 1, &v) && v == 5);
	CHECK(pdec("5.", 3, 1, &v) && v == 50);
	CHECK(pdec("-0", 3, 1, &v) && v == 0);
	CHECK(pdec("000123", 3, 0, &v) && v == 123);
	CHECK(pdec("999.99", 5, 2, &v) && v == 99999);
	CHECK(!pdec("1000.00", 5, 2, &v));
	CHECK(!pdec("1000", 5, 2, &v));
	CHECK(pdec("0.00", 2, 2, &v) && v == 0);
	CHECK(!pdec("1.5", 2, 2, &v));
	const char *bad[] = { "", ".", "-", "+", "1e5", " 1", "1 ", "1..2", "1.2.3", "0x1", "--1",
			      "1,5", "nan", "inf" };
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		CHECK(!pdec(bad[i], 10, 2, &v));
	const char *nines = "99999999999999999999999999999999999999";
	CHECK(pdec(nines, 38, 0, &v) && v == i128_from(nines, false));
	char buf[64];
	snprintf(buf, sizeof buf, "-%s", nines);
	CHECK(pdec(buf, 38, 0, &v) && v == i128_from(nines, true));
	snprintf(buf, sizeof buf, "%s9", nines); /* 39 digits */
	CHECK(!pdec(buf, 38, 0, &v));
	snprintf(buf, sizeof buf, "0.%s", nines);
	CHECK(pdec(buf, 38, 38, &v) && v == i128_from(nines, false));
	CHECK(pdec("0.00000000000000000000000000000000000001", 38, 38, &v) && v == 1);
	CHECK(!pdec("1.0", 38, 38, &v));
	CHECK(pdec("1234567890123456789.0123456789012345678", 38, 19, &v) &&
	      v == i128_from("12345678901234567890123456789012345678", false));
	/* Bad type parameters are rejected, not trusted. */
	CHECK(!pdec("1", 0, 0, &v));
	CHECK(!pdec("1", 39, 0, &v));
	CHECK(!pdec("1", 5, 6, &v));
	/* Random round trips at every scale. */
	for (int i = 0; i < 50000; i++) {
		int prec = 1 + (int)(rnd() % 38), scale = (int)(rnd() % (unsigned)(prec + 1));
		unsigned __int128 lim = 1;
		for (int k = 0; k < prec; k++)
			lim *= 10;
		unsigned __int128 r = ((unsigned __int128)rnd() << 64 | rnd()) % lim;
		tarn_i128 x = (rnd() & 1) ? -(tarn_i128)r : (tarn_i128)r;
		size_t n = tarn_fmt_decimal(buf, x, scale);
		CHECK(tarn_parse_decimal(buf, n, prec, scale, &v) && v == x);
	}
}

/* ---- calendar, dates, times, timestamps ----------------------------------- */

TEST(calendar)
{
	CHECK(tarn_days_from_civil(1970, 1, 1) == 0);
	CHECK(tarn_days_from_civil(2000, 3, 1) == 11017);
	CHECK(tarn_days_from_civil(1969, 12, 31) == -1);
	CHECK(tarn_days_from_civil(0, 1, 1) == -719528);
	CHECK(tarn_days_from_civil(-1, 12, 31) == -719529);
	/* Absurd inputs saturate instead of overflowing. */
	CHECK(tarn_days_from_civil(INT64_MAX, 12, 31) == INT32_MAX);
	CHECK(tarn_days_from_civil(INT64_MIN, 1, 1) == INT32_MIN);
	int64_t yx;
	unsigned mx, dx;
	tarn_civil_from_days(INT64_MAX, &yx, &mx, &dx);
	CHECK(yx > 0 && mx >= 1 && mx <= 12 && dx >= 1 && dx <= 31);
	tarn_civil_from_days(INT64_MIN, &yx, &mx, &dx);
	CHECK(yx < 0 && mx >= 1 && mx <= 12 && dx >= 1 && dx <= 31);
	/* A day-by-day walk from 0000-01-01 is the oracle for both directions. */
	int64_t y = 0;
	unsigned m = 1, d = 1;
	static const unsigned char dim[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int bad = 0;
	for (int64_t days = -719528; days < -719528 + 366 * 2600; days++) {
		int64_t yy;
		unsigned mm, dd;
		tarn_civil_from_days(days, &yy, &mm, &dd);
		if (yy != y || mm != m || dd != d || tarn_days_from_civil(y, m, d) != days)
			bad++;
		bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
		unsigned len = m == 2 && leap ? 29 : dim[m - 1];
		if (++d > len) {
			d = 1;
			if (++m > 12) {
				m = 1;
				y++;
			}
		}
	}
	CHECK(bad == 0);
	/* Round trips over the supported span (-9999..99999) and a bit beyond. */
	int64_t lo = tarn_days_from_civil(-10000, 1, 1), hi = tarn_days_from_civil(100000, 12, 31);
	for (int64_t days = lo; days <= hi; days += 1 + (int64_t)(rnd() % 61)) {
		int64_t yy;
		unsigned mm, dd;
		tarn_civil_from_days(days, &yy, &mm, &dd);
		CHECK(tarn_days_from_civil(yy, mm, dd) == days);
	}
}

TEST(dates)
{
	int32_t d;
	CHECK_STR(FMT(tarn_fmt_date(fb, 0)), "1970-01-01");
	CHECK_STR(FMT(tarn_fmt_date(fb, -1)), "1969-12-31");
	CHECK_STR(FMT(tarn_fmt_date(fb, tarn_days_from_civil(2024, 2, 29))), "2024-02-29");
	CHECK_STR(FMT(tarn_fmt_date(fb, tarn_days_from_civil(0, 1, 1))), "0000-01-01");
	CHECK_STR(FMT(tarn_fmt_date(fb, tarn_days_from_civil(-1, 12, 31))), "-0001-12-31");
	CHECK_STR(FMT(tarn_fmt_date(fb, tarn_days_from_civil(-44, 3, 15))), "-0044-03-15");
	CHECK_STR(FMT(tarn_fmt_date(fb, tarn_days_from_civil(9999, 12, 31))), "9999-12-31");
	CHECK_STR(FMT(tarn_fmt_date(fb, tarn_days_from_civil(10000, 1, 1))), "+10000-01-01");
	CHECK_STR(FMT(tarn_fmt_date(fb, tarn_days_from_civil(12345, 1, 1))), "+12345-01-01");
	CHECK_STR(FMT(tarn_fmt_date(fb, tarn_days_from_civil(-9999, 1, 1))), "-9999-01-01");
	CHECK_STR(FMT(tarn_fmt_date(fb, INT32_MAX)), "+5881580-07-11");
	CHECK_STR(FMT(tarn_fmt_date(fb, INT32_MIN)), "-5877641-06-23");
	const char *good[] = { "1970-01-01", "2024-02-29", "2000-02-29", "0000-02-29", "9999-12-31",
			       "-0044-03-15", "+12345-01-01", "+99999-12-31", "-9999-01-01" };
	for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
		CHECK(tarn_parse_date(good[i], strlen(good[i]), &d));
		CHECK_STR(FMT(tarn_fmt_date(fb, d)), good[i]);
	}
	CHECK(tarn_parse_date("2024-03-01", 10, &d) && d == tarn_days_from_civil(2024, 3, 1));
	const char *bad[] = { "",           "2024-1-01",  "2024-01-1",   "24-01-01",  "2024/01/01",
			      "2024-13-01", "2024-00-10", "2024-01-00",  "2024-04-31", "1900-02-29",
			      "2023-02-29", " 2024-01-01", "2024-01-01 ", "2024-01-01T00:00",
			      "20240101",   "12345-01-01", "+999-01-01", "+9999999-01-01",
			      "2024-01-32", "2024-02-30", "2O24-01-01" };
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		d = 77;
		CHECK(!tarn_parse_date(bad[i], strlen(bad[i]), &d));
		CHECK(d == 77);
	}
	/* Every date32 value in a wide range prints and parses back. */
	char buf[TARN_FMT_MAX];
	for (int i = 0; i < 100000; i++) {
		int32_t x = (int32_t)rnd();
		if (i & 1)
			x %= 4000000;
		size_t n = tarn_fmt_date(buf, x);
		CHECK(tarn_parse_date(buf, n, &d) && d == x);
	}
}

TEST(times)
{
	int64_t v;
	CHECK_STR(FMT(tarn_fmt_time(fb, 0, TARN_UNIT_S)), "00:00:00");
	CHECK_STR(FMT(tarn_fmt_time(fb, 45296, TARN_UNIT_S)), "12:34:56");
	CHECK_STR(FMT(tarn_fmt_time(fb, 45296789000LL, TARN_UNIT_US)), "12:34:56.789");
	CHECK_STR(FMT(tarn_fmt_time(fb, 45296000000LL, TARN_UNIT_US)), "12:34:56");
	CHECK_STR(FMT(tarn_fmt_time(fb, 1, TARN_UNIT_NS)), "00:00:00.000000001");
	CHECK_STR(FMT(tarn_fmt_time(fb, 86399999, TARN_UNIT_MS)), "23:59:59.999");
	CHECK_STR(FMT(tarn_fmt_time(fb, 500, TARN_UNIT_MS)), "00:00:00.5");
	CHECK(tarn_parse_time("00:00", 5, TARN_UNIT_S, &v) && v == 0);
	CHECK(tarn_parse_time("12:34", 5, TARN_UNIT_MS, &v) && v == 45240000);
	CHECK(tarn_parse_time("12:34:56.789", 12, TARN_UNIT_MS, &v) && v == 45296789);
	CHECK(tarn_parse_time("12:34:56.789", 12, TARN_UNIT_NS, &v) && v == 45296789000000LL);
	CHECK(tarn_parse_time("12:34:56.7890", 13, TARN_UNIT_MS, &v) && v == 45296789);
	CHECK(tarn_parse_time("23:59:59.999999999", 18, TARN_UNIT_NS, &v) &&
	      v == 86399999999999LL);
	CHECK(tarn_parse_time("12:34:56.000", 12, TARN_UNIT_S, &v) && v == 45296);
	const struct {
		const char *s;
		enum tarn_time_unit u;
	} bad[] = {
		{ "12:34:56.789", TARN_UNIT_S },	/* finer than the unit */
		{ "12:34:56.7891", TARN_UNIT_MS },      /* finer than the unit */
		{ "12:34:56.1234567891", TARN_UNIT_NS }, /* more than 9 digits */
		{ "24:00:00", TARN_UNIT_S },	     { "23:60", TARN_UNIT_S },
		{ "23:59:60", TARN_UNIT_S },	     { "1:00", TARN_UNIT_S },
		{ "12:00:", TARN_UNIT_S },	     { "12:00:00.", TARN_UNIT_MS },
		{ "12:00:00Z", TARN_UNIT_S },	     { "12:00.5", TARN_UNIT_MS },
		{ "", TARN_UNIT_S },		     { "12", TARN_UNIT_S },
		{ " 12:00", TARN_UNIT_S },	     { "12:00 ", TARN_UNIT_S },
		{ "12:0a", TARN_UNIT_S },	     { "-1:00:00", TARN_UNIT_S },
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		CHECK(!tarn_parse_time(bad[i].s, strlen(bad[i].s), bad[i].u, &v));
	char buf[TARN_FMT_MAX];
	for (int u = TARN_UNIT_S; u <= TARN_UNIT_NS; u++) {
		int64_t per = tarn_time_unit_per_second((enum tarn_time_unit)u);
		for (int i = 0; i < 20000; i++) {
			int64_t x = (int64_t)(rnd() % (uint64_t)(86400 * per));
			size_t n = tarn_fmt_time(buf, x, (enum tarn_time_unit)u);
			CHECK(tarn_parse_time(buf, n, (enum tarn_time_unit)u, &v) && v == x);
		}
	}
}

static bool pts(const char *s, enum tarn_time_unit u, int64_t *v, bool *off)
{
	return tarn_parse_timestamp(s, strlen(s), u, v, off);
}

TEST(timestamps)
{
	int64_t v;
	bool off;
	CHECK_STR(FMT(tarn_fmt_timestamp(fb, 0, TARN_UNIT_S, false)), "1970-01-01 00:00:00");
	CHECK_STR(FMT(tarn_fmt_timestamp(fb, 0, TARN_UNIT_S, true)), "1970-01-01 00:00:00Z");
	CHECK_STR(FMT(tarn_fmt_timestamp(fb, -1, TARN_UNIT_MS, false)),
		  "1969-12-31 23:59:59.999");
	CHECK_STR(FMT(tarn_fmt_timestamp(fb, -1, TARN_UNIT_US, true)),
		  "1969-12-31 23:59:59.999999Z");
	CHECK_STR(FMT(tarn_fmt_timestamp(fb, -1500, TARN_UNIT_MS, false)),
		  "1969-12-31 23:59:58.5");
	CHECK_STR(FMT(tarn_fmt_timestamp(fb, -86400, TARN_UNIT_S, false)), "1969-12-31 00:00:00");
	CHECK_STR(FMT(tarn_fmt_timestamp(fb, 951782400123456LL, TARN_UNIT_US, false)),
		  "2000-02-29 00:00:00.123456");
	CHECK_STR(FMT(tarn_fmt_timestamp(fb, INT64_MIN, TARN_UNIT_NS, false)),
		  "1677-09-21 00:12:43.145224192");
	CHECK_STR(FMT(tarn_fmt_timestamp(fb, INT64_MAX, TARN_UNIT_NS, true)),
		  "2262-04-11 23:47:16.854775807Z");
	CHECK_STR(FMT(tarn_fmt_timestamp(fb, INT64_MIN, TARN_UNIT_S, false)),
		  "-292277022657-01-27 08:29:52");
	CHECK_STR(FMT(tarn_fmt_timestamp(fb, INT64_MAX, TARN_UNIT_S, false)),
		  "+292277026596-12-04 15:30:07");
	CHECK_STR(FMT(tarn_fmt_timestamp(fb, -62167219200LL, TARN_UNIT_S, false)),
		  "0000-01-01 00:00:00");

	CHECK(pts("1970-01-01 00:00:00", TARN_UNIT_S, &v, &off) && v == 0 && !off);
	CHECK(pts("1970-01-01T00:00:00Z", TARN_UNIT_S, &v, &off) && v == 0 && off);
	CHECK(pts("1970-01-01t00:00z", TARN_UNIT_S, &v, &off) && v == 0 && off);
	CHECK(pts("1969-12-31 23:59:59.999", TARN_UNIT_MS, &v, &off) && v == -1);
	CHECK(pts("1970-01-01T01:00:00+01:00", TARN_UNIT_S, &v, &off) && v == 0 && off);
	CHECK(pts("1970-01-01T01:00:00+0100", TARN_UNIT_S, &v, &off) && v == 0 && off);
	CHECK(pts("1970-01-01T01:00:00+01", TARN_UNIT_S, &v, &off) && v == 0 && off);
	CHECK(pts("1969-12-31T19:00:00-05:00", TARN_UNIT_S, &v, &off) && v == 0 && off);
	CHECK(pts("1970-01-01 05:30:00.25+05:30", TARN_UNIT_MS, &v, &off) && v == 250 && off);
	CHECK(pts("2024-02-29 12:00", TARN_UNIT_US, &v, &off) &&
	      v == (int64_t)tarn_days_from_civil(2024, 2, 29) * 86400000000LL + 43200000000LL);
	CHECK(pts("1677-09-21 00:12:43.145224192", TARN_UNIT_NS, &v, &off) && v == INT64_MIN);
	CHECK(pts("1677-09-21 00:12:43.145224193", TARN_UNIT_NS, &v, &off) && v == INT64_MIN + 1);
	CHECK(!pts("1677-09-21 00:12:43.145224191", TARN_UNIT_NS, &v, &off));
	CHECK(pts("2262-04-11 23:47:16.854775807", TARN_UNIT_NS, &v, &off) && v == INT64_MAX);
	CHECK(!pts("2262-04-11 23:47:16.854775808", TARN_UNIT_NS, &v, &off));
	CHECK(!pts("2300-01-01 00:00:00", TARN_UNIT_NS, &v, &off));
	CHECK(pts("2300-01-01 00:00:00", TARN_UNIT_US, &v, &off));
	/* The offset can push a value that fits locally out of range. */
	CHECK(!pts("2262-04-11 23:47:16.854775807-01:00", TARN_UNIT_NS, &v, &off));
	CHECK(pts("-0044-03-15 12:00:00", TARN_UNIT_S, &v, &off) &&
	      v == (int64_t)tarn_days_from_civil(-44, 3, 15) * 86400 + 43200);
	const char *bad[] = { "2024-01-01",	     "2024-01-01 ",	   "2024-01-01T",
			      "2024-01-01 25:00",    "2024-01-01 12:00:00+1", "2024-01-01 12:00:00 +01:00",
			      "2024-01-01 12:00:00+24:00", "2024-01-01 12:00:00+01:60",
			      "2024-01-01 12:00:00+01:0",  "2024-01-01 12:00:00Zx",
			      "2024-01-01 12:00:00UTC",    "2024-01-01_12:00:00",
			      "2024-02-30 12:00:00",       "2024-01-01 12:00:00.1234",
			      " 2024-01-01 12:00",	    "2024-01-01  12:00" };
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		v = 5;
		off = true;
		CHECK(!pts(bad[i], TARN_UNIT_MS, &v, &off));
		CHECK(v == 5 && off);
	}
	/* Random round trips in every unit, both with and without 'Z'. */
	char buf[TARN_FMT_MAX];
	int bad_rt = 0;
	for (int u = TARN_UNIT_S; u <= TARN_UNIT_NS; u++) {
		for (int i = 0; i < 20000; i++) {
			int64_t x = (int64_t)rnd();
			if (u == TARN_UNIT_S)
				x %= 300000000000LL; /* years within int64 days */
			bool z = i & 1;
			size_t n = tarn_fmt_timestamp(buf, x, (enum tarn_time_unit)u, z);
			bool ok = tarn_parse_timestamp(buf, n, (enum tarn_time_unit)u, &v, &off);
			if (!(ok && v == x && off == z) && bad_rt++ < 5)
				fprintf(stderr, "timestamp %lld unit %d: %.*s\n", (long long)x, u,
					(int)n, buf);
		}
	}
	CHECK(bad_rt == 0);
}

/* ---- JSON quoting ----------------------------------------------------------- */

static const char *quote(const char *s, size_t n, struct tarn_buf *b)
{
	b->len = 0;
	if (tarn_json_quote((const uint8_t *)s, n, b) || tarn_buf_cstr(b))
		return NULL;
	return b->data;
}

TEST(json_quote)
{
	struct tarn_buf b;
	tarn_buf_init(&b);
	CHECK_STR(quote("", 0, &b), "\"\"");
	CHECK_STR(quote("abc", 3, &b), "\"abc\"");
	CHECK_STR(quote("a\"b\\c", 5, &b), "\"a\\\"b\\\\c\"");
	CHECK_STR(quote("\n\t\r\b\f", 5, &b), "\"\\n\\t\\r\\b\\f\"");
	CHECK_STR(quote("\x01\x1f\x7f", 3, &b), "\"\\u0001\\u001f\x7f\"");
	CHECK_STR(quote("a\0b", 3, &b), "\"a\\u0000b\"");
	CHECK_STR(quote("/", 1, &b), "\"/\"");
	/* Valid UTF-8 passes through: 2-, 3- and 4-byte sequences. */
	const char *u = "h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80";
	char want[64];
	snprintf(want, sizeof want, "\"%s\"", u);
	CHECK_STR(quote(u, strlen(u), &b), want);
	/* Invalid bytes become U+FFFD so the output stays valid JSON. */
	CHECK_STR(quote("a\xff" "b", 3, &b), "\"a\xef\xbf\xbd" "b\"");
	CHECK_STR(quote("\xc3", 1, &b), "\"\xef\xbf\xbd\"");
	CHECK_STR(quote("\xed\xa0\x80", 3, &b), "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");
	CHECK_STR(quote("\xc3\xa9\xff\"", 4, &b), "\"\xc3\xa9\xef\xbf\xbd\\\"\"");
	/* Long strings (the 8-byte scan) with escapes at every position. */
	char src[40], exp[128];
	for (int at = 0; at < 40; at++) {
		for (int k = 0; k < 40; k++)
			src[k] = (char)('a' + k % 26);
		src[at] = '\n';
		int e = 0;
		exp[e++] = '"';
		for (int k = 0; k < 40; k++) {
			if (k == at) {
				exp[e++] = '\\';
				exp[e++] = 'n';
			} else {
				exp[e++] = src[k];
			}
		}
		exp[e++] = '"';
		exp[e] = 0;
		CHECK_STR(quote(src, 40, &b), exp);
	}
	/* High bytes inside a long valid string do not trip the scan. */
	char mixed[64];
	int k = 0;
	for (int r = 0; r < 10; r++) {
		memcpy(mixed + k, "\xc3\xa9xy\"z", 6);
		k += 6;
	}
	const char *q = quote(mixed, (size_t)k, &b);
	CHECK(q && strlen(q) == (size_t)k + 2 + 10);
	tarn_buf_free(&b);
}

/* ---- whole values ------------------------------------------------------------ */

/* Text of row i of a in CSV (json = false) or JSON spelling. */
static const char *vt(const struct tarn_array *a, int64_t i, bool json, struct tarn_buf *b)
{
	b->len = 0;
	if (tarn_value_to_text(a, i, json, b) || tarn_buf_cstr(b))
		return NULL;
	return b->data;
}

TEST(value_scalars)
{
	struct tarn_buf b;
	tarn_buf_init(&b);
	struct tarn_type t;
	struct tarn_array *a = NULL;

	tarn_type_init(&t, TARN_T_BOOL);
	REQUIRE(tarn_array_new(&t, 0, &a) == TARN_OK);
	REQUIRE(!tarn_array_append_bool(a, true) && !tarn_array_append_bool(a, false));
	CHECK_STR(vt(a, 0, false, &b), "true");
	CHECK_STR(vt(a, 1, true, &b), "false");
	tarn_array_free(a);

	struct {
		enum tarn_type_id id;
		int64_t v;
		const char *s;
	} ints[] = {
		{ TARN_T_INT8, -128, "-128" },
		{ TARN_T_INT16, -32768, "-32768" },
		{ TARN_T_INT32, INT32_MIN, "-2147483648" },
		{ TARN_T_INT64, INT64_MIN, "-9223372036854775808" },
		{ TARN_T_INT64, INT64_MAX, "9223372036854775807" },
		{ TARN_T_UINT8, 255, "255" },
		{ TARN_T_UINT16, 65535, "65535" },
		{ TARN_T_UINT32, 4294967295LL, "4294967295" },
	};
	for (size_t i = 0; i < sizeof ints / sizeof *ints; i++) {
		tarn_type_init(&t, ints[i].id);
		REQUIRE(tarn_array_new(&t, 0, &a) == TARN_OK);
		REQUIRE(!tarn_array_append_int(a, ints[i].v));
		CHECK_STR(vt(a, 0, false, &b), ints[i].s);
		CHECK_STR(vt(a, 0, true, &b), ints[i].s);
		tarn_array_free(a);
	}
	tarn_type_init(&t, TARN_T_UINT64);
	REQUIRE(tarn_array_new(&t, 0, &a) == TARN_OK);
	REQUIRE(!tarn_array_append_uint(a, UINT64_MAX));
	REQUIRE(!tarn_array_append_uint(a, (uint64_t)INT64_MAX + 1));
	CHECK_STR(vt(a, 0, false, &b), "18446744073709551615");
	CHECK_STR(vt(a, 1, true, &b), "9223372036854775808");
	tarn_array_free(a);

	tarn_type_init(&t, TARN_T_FLOAT64);
	REQUIRE(tarn_array_new(&t, 0, &a) == TARN_OK);
	double dv[] = { 1.0, 0.1, -INFINITY, NAN, 1e20, -0.0 };
	for (size_t i = 0; i < 6; i++)
		REQUIRE(!tarn_array_append_double(a, dv[i]));
	CHECK_STR(vt(a, 0, false, &b), "1.0");
	CHECK_STR(vt(a, 1, true, &b), "0.1");
	CHECK_STR(vt(a, 2, false, &b), "-inf");
	CHECK_STR(vt(a, 2, true, &b), "null");
	CHECK_STR(vt(a, 3, false, &b), "NaN");
	CHECK_STR(vt(a, 3, true, &b), "null");
	CHECK_STR(vt(a, 4, true, &b), "1e+20");
	CHECK_STR(vt(a, 5, true, &b), "-0.0");
	tarn_array_free(a);

	tarn_type_init(&t, TARN_T_FLOAT32);
	REQUIRE(tarn_array_new(&t, 0, &a) == TARN_OK);
	REQUIRE(!tarn_array_append_double(a, 0.1) && !tarn_array_append_double(a, INFINITY));
	CHECK_STR(vt(a, 0, false, &b), "0.1"); /* shortest for the float32, not the double */
	CHECK_STR(vt(a, 1, false, &b), "inf");
	CHECK_STR(vt(a, 1, true, &b), "null");
	tarn_array_free(a);

	tarn_type_init_decimal(&t, 10, 2);
	REQUIRE(tarn_array_new(&t, 0, &a) == TARN_OK);
	REQUIRE(!tarn_array_append_decimal(a, 1250) && !tarn_array_append_decimal(a, -5));
	CHECK_STR(vt(a, 0, false, &b), "12.50");
	CHECK_STR(vt(a, 0, true, &b), "12.50");
	CHECK_STR(vt(a, 1, true, &b), "-0.05");
	tarn_array_free(a);

	tarn_type_init(&t, TARN_T_STRING);
	REQUIRE(tarn_array_new(&t, 0, &a) == TARN_OK);
	REQUIRE(!tarn_array_append_bytes(a, "say \"hi\"\n", 9));
	REQUIRE(!tarn_array_append_bytes(a, "", 0));
	CHECK_STR(vt(a, 0, false, &b), "say \"hi\"\n"); /* CSV quoting is the writer's */
	CHECK_STR(vt(a, 0, true, &b), "\"say \\\"hi\\\"\\n\"");
	CHECK_STR(vt(a, 1, false, &b), "");
	CHECK_STR(vt(a, 1, true, &b), "\"\"");
	tarn_array_free(a);

	/* Binary: RFC 4648 test vectors for base64, hex for CSV. */
	tarn_type_init(&t, TARN_T_BINARY);
	REQUIRE(tarn_array_new(&t, 0, &a) == TARN_OK);
	const char *vec[] = { "", "f", "fo", "foo", "foob", "fooba", "foobar" };
	const char *b64[] = { "\"\"",	  "\"Zg==\"",	  "\"Zm8=\"",	 "\"Zm9v\"",
			      "\"Zm9vYg==\"", "\"Zm9vYmE=\"", "\"Zm9vYmFy\"" };
	for (int i = 0; i < 7; i++)
		REQUIRE(!tarn_array_append_bytes(a, vec[i], strlen(vec[i])));
	for (int i = 0; i < 7; i++)
		CHECK_STR(vt(a, i, true, &b), b64[i]);
	CHECK_STR(vt(a, 0, false, &b), "\\x");
	CHECK_STR(vt(a, 3, false, &b), "\\x666f6f");
	REQUIRE(!tarn_array_append_bytes(a, "\x00\x0a\xff\xab", 4));
	CHECK_STR(vt(a, 7, false, &b), "\\x000affab");
	CHECK_STR(vt(a, 7, true, &b), "\"AAr/qw==\"");
	tarn_array_free(a);

	tarn_type_init(&t, TARN_T_DATE32);
	REQUIRE(tarn_array_new(&t, 0, &a) == TARN_OK);
	REQUIRE(!tarn_array_append_int(a, tarn_days_from_civil(2024, 2, 29)));
	CHECK_STR(vt(a, 0, false, &b), "2024-02-29");
	CHECK_STR(vt(a, 0, true, &b), "\"2024-02-29\"");
	tarn_array_free(a);

	tarn_type_init_time(&t, TARN_UNIT_MS);
	REQUIRE(tarn_array_new(&t, 0, &a) == TARN_OK);
	REQUIRE(!tarn_array_append_int(a, 45296789));
	CHECK_STR(vt(a, 0, false, &b), "12:34:56.789");
	CHECK_STR(vt(a, 0, true, &b), "\"12:34:56.789\"");
	tarn_array_free(a);

	REQUIRE(tarn_type_init_timestamp(&t, TARN_UNIT_US, "UTC") == TARN_OK);
	REQUIRE(tarn_array_new(&t, 0, &a) == TARN_OK);
	REQUIRE(!tarn_array_append_int(a, -1));
	CHECK_STR(vt(a, 0, false, &b), "1969-12-31 23:59:59.999999Z");
	CHECK_STR(vt(a, 0, true, &b), "\"1969-12-31 23:59:59.999999Z\"");
	tarn_array_free(a);
	tarn_type_clear(&t);

	REQUIRE(tarn_type_init_timestamp(&t, TARN_UNIT_S, NULL) == TARN_OK);
	REQUIRE(tarn_array_new(&t, 0, &a) == TARN_OK);
	REQUIRE(!tarn_array_append_int(a, 86400));
	CHECK_STR(vt(a, 0, false, &b), "1970-01-02 00:00:00");
	tarn_array_free(a);
	tarn_type_clear(&t);
	tarn_buf_free(&b);
}

TEST(value_nested)
{
	struct tarn_buf b;
	tarn_buf_init(&b);
	struct tarn_type item, lt, st, mt, key, val, inner, llt;
	struct tarn_array *a = NULL;

	/* list<int64>: [1,null,3], [], null handled by the caller. */
	tarn_type_init(&item, TARN_T_INT64);
	REQUIRE(tarn_type_init_list(&lt, &item, true) == TARN_OK);
	REQUIRE(tarn_array_new(&lt, 0, &a) == TARN_OK);
	struct tarn_array *items = a->children[0];
	REQUIRE(!tarn_array_append_int(items, 1) && !tarn_array_append_null(items) &&
		!tarn_array_append_int(items, 3));
	REQUIRE(!tarn_array_list_end(a, true));
	REQUIRE(!tarn_array_list_end(a, true));
	CHECK_STR(vt(a, 0, false, &b), "[1,null,3]");
	CHECK_STR(vt(a, 0, true, &b), "[1,null,3]");
	CHECK_STR(vt(a, 1, true, &b), "[]");
	tarn_array_free(a);
	tarn_type_clear(&lt);

	/* struct<a: int64, b: string, c: date32>. */
	REQUIRE(tarn_type_init_struct(&st, 3) == TARN_OK);
	REQUIRE(!tarn_field_set_name(&st.children[0], "a", 1));
	REQUIRE(!tarn_field_set_name(&st.children[1], "b\"q", 3));
	REQUIRE(!tarn_field_set_name(&st.children[2], "c", 1));
	tarn_type_init(&st.children[0].type, TARN_T_INT64);
	tarn_type_init(&st.children[1].type, TARN_T_STRING);
	tarn_type_init(&st.children[2].type, TARN_T_DATE32);
	REQUIRE(tarn_array_new(&st, 0, &a) == TARN_OK);
	REQUIRE(!tarn_array_append_int(a->children[0], -7));
	REQUIRE(!tarn_array_append_bytes(a->children[1], "x\ty", 3));
	REQUIRE(!tarn_array_append_int(a->children[2], 0));
	REQUIRE(!tarn_array_struct_end(a, true));
	REQUIRE(!tarn_array_append_null(a->children[0]));
	REQUIRE(!tarn_array_append_null(a->children[1]));
	REQUIRE(!tarn_array_append_int(a->children[2], -1));
	REQUIRE(!tarn_array_struct_end(a, true));
	CHECK_STR(vt(a, 0, false, &b), "{\"a\":-7,\"b\\\"q\":\"x\\ty\",\"c\":\"1970-01-01\"}");
	CHECK_STR(vt(a, 1, true, &b), "{\"a\":null,\"b\\\"q\":null,\"c\":\"1969-12-31\"}");
	tarn_array_free(a);
	tarn_type_clear(&st);

	/* map<string, float64> is an object; map<int32, string> a list. */
	tarn_type_init(&key, TARN_T_STRING);
	tarn_type_init(&val, TARN_T_FLOAT64);
	REQUIRE(tarn_type_init_map(&mt, &key, &val, true) == TARN_OK);
	REQUIRE(tarn_array_new(&mt, 0, &a) == TARN_OK);
	struct tarn_array *ent = a->children[0];
	REQUIRE(!tarn_array_append_bytes(ent->children[0], "k1", 2));
	REQUIRE(!tarn_array_append_double(ent->children[1], 1.5));
	REQUIRE(!tarn_array_struct_end(ent, true));
	REQUIRE(!tarn_array_append_bytes(ent->children[0], "k\n2", 3));
	REQUIRE(!tarn_array_append_null(ent->children[1]));
	REQUIRE(!tarn_array_struct_end(ent, true));
	REQUIRE(!tarn_array_list_end(a, true));
	REQUIRE(!tarn_array_list_end(a, true));
	CHECK_STR(vt(a, 0, false, &b), "{\"k1\":1.5,\"k\\n2\":null}");
	CHECK_STR(vt(a, 1, true, &b), "{}");
	tarn_array_free(a);
	tarn_type_clear(&mt);

	tarn_type_init(&key, TARN_T_INT32);
	tarn_type_init(&val, TARN_T_STRING);
	REQUIRE(tarn_type_init_map(&mt, &key, &val, true) == TARN_OK);
	REQUIRE(tarn_array_new(&mt, 0, &a) == TARN_OK);
	ent = a->children[0];
	REQUIRE(!tarn_array_append_int(ent->children[0], 1));
	REQUIRE(!tarn_array_append_bytes(ent->children[1], "a", 1));
	REQUIRE(!tarn_array_struct_end(ent, true));
	REQUIRE(!tarn_array_append_int(ent->children[0], 2));
	REQUIRE(!tarn_array_append_null(ent->children[1]));
	REQUIRE(!tarn_array_struct_end(ent, true));
	REQUIRE(!tarn_array_list_end(a, true));
	REQUIRE(!tarn_array_list_end(a, true));
	CHECK_STR(vt(a, 0, false, &b), "[{\"key\":1,\"value\":\"a\"},{\"key\":2,\"value\":null}]");
	CHECK_STR(vt(a, 1, false, &b), "[]");
	tarn_array_free(a);
	tarn_type_clear(&mt);

	/* list<list<binary>> with a null inner list, and JSON-spelled leaves. */
	tarn_type_init(&inner, TARN_T_BINARY);
	REQUIRE(tarn_type_init_list(&item, &inner, true) == TARN_OK);
	REQUIRE(tarn_type_init_list(&llt, &item, true) == TARN_OK);
	REQUIRE(tarn_array_new(&llt, 0, &a) == TARN_OK);
	struct tarn_array *mid = a->children[0], *leaf = mid->children[0];
	REQUIRE(!tarn_array_append_bytes(leaf, "foo", 3));
	REQUIRE(!tarn_array_append_bytes(leaf, "", 0));
	REQUIRE(!tarn_array_list_end(mid, true));
	REQUIRE(!tarn_array_list_end(mid, false));
	REQUIRE(!tarn_array_list_end(a, true));
	CHECK_STR(vt(a, 0, false, &b), "[[\"Zm9v\",\"\"],null]");
	tarn_array_free(a);
	tarn_type_clear(&llt);

	/* Out of memory while rendering: an error, never a crash. */
	tarn_type_init(&item, TARN_T_STRING);
	REQUIRE(tarn_type_init_list(&lt, &item, true) == TARN_OK);
	REQUIRE(tarn_array_new(&lt, 0, &a) == TARN_OK);
	for (int i = 0; i < 200; i++)
		REQUIRE(!tarn_array_append_bytes(a->children[0], "some text\n", 10));
	REQUIRE(!tarn_array_list_end(a, true));
	for (int64_t k = 0; k < 12; k++) {
		struct tarn_buf fresh;
		tarn_buf_init(&fresh);
		tarn_mem_fail_after(k);
		tarn_rc rc = tarn_value_to_text(a, 0, true, &fresh);
		tarn_mem_fail_after(-1);
		CHECK(rc == TARN_OK || rc == TARN_ENOMEM);
		tarn_buf_free(&fresh);
	}
	/* A capped buffer reports the limit. */
	struct tarn_buf capped;
	tarn_buf_init(&capped);
	capped.limit = 100;
	CHECK(tarn_value_to_text(a, 0, true, &capped) == TARN_ELIMIT);
	tarn_buf_free(&capped);
	tarn_array_free(a);
	tarn_type_clear(&lt);
	tarn_buf_free(&b);
}

/* ---- tarn_batch_cell_text ------------------------------------------------------ */

TEST(cell_text)
{
	struct tarn_schema *s = NULL;
	REQUIRE(tarn_schema_new(3, &s) == TARN_OK);
	REQUIRE(!tarn_field_set_name(&s->fields[0], "n", 1));
	REQUIRE(!tarn_field_set_name(&s->fields[1], "s", 1));
	REQUIRE(!tarn_field_set_name(&s->fields[2], "l", 1));
	tarn_type_init(&s->fields[0].type, TARN_T_INT64);
	tarn_type_init(&s->fields[1].type, TARN_T_STRING);
	struct tarn_type item;
	tarn_type_init(&item, TARN_T_FLOAT64);
	REQUIRE(tarn_type_init_list(&s->fields[2].type, &item, true) == TARN_OK);
	struct tarn_batch *b = NULL;
	REQUIRE(tarn_batch_new(s, 4, &b) == TARN_OK);
	tarn_schema_unref(s);
	REQUIRE(!tarn_array_append_int(b->cols[0], -12345));
	REQUIRE(!tarn_array_append_null(b->cols[0]));
	REQUIRE(!tarn_array_append_bytes(b->cols[1], "h\xc3\xa9llo", 6));
	REQUIRE(!tarn_array_append_bytes(b->cols[1], "x", 1));
	REQUIRE(!tarn_array_append_double(b->cols[2]->children[0], 0.5));
	REQUIRE(!tarn_array_append_double(b->cols[2]->children[0], NAN));
	REQUIRE(!tarn_array_list_end(b->cols[2], true));
	REQUIRE(!tarn_array_list_end(b->cols[2], false));
	REQUIRE(tarn_batch_seal(b, NULL) == TARN_OK);

	char buf[64];
	CHECK(tarn_batch_cell_text(b, 0, 0, buf, sizeof buf) == 6);
	CHECK_STR(buf, "-12345");
	memset(buf, 'z', sizeof buf);
	CHECK(tarn_batch_cell_text(b, 0, 1, buf, sizeof buf) == 0);
	CHECK_STR(buf, "");
	CHECK(tarn_batch_cell_text(b, 1, 0, buf, sizeof buf) == 6);
	CHECK_STR(buf, "h\xc3\xa9llo");
	CHECK(tarn_batch_cell_text(b, 2, 0, buf, sizeof buf) == 10);
	CHECK_STR(buf, "[0.5,null]");
	CHECK(tarn_batch_cell_text(b, 2, 1, buf, sizeof buf) == 0);
	/* Truncation to cap-1, never splitting a UTF-8 character. */
	CHECK(tarn_batch_cell_text(b, 0, 0, buf, 4) == 3);
	CHECK_STR(buf, "-12");
	CHECK(tarn_batch_cell_text(b, 1, 0, buf, 3) == 1);
	CHECK_STR(buf, "h");
	CHECK(tarn_batch_cell_text(b, 1, 0, buf, 4) == 3);
	CHECK_STR(buf, "h\xc3\xa9");
	CHECK(tarn_batch_cell_text(b, 0, 0, buf, 1) == 0);
	CHECK_STR(buf, "");
	buf[0] = 'q';
	CHECK(tarn_batch_cell_text(b, 0, 0, buf, 0) == 0);
	CHECK(buf[0] == 'q');
	/* Out-of-range cells are empty rather than a crash. */
	CHECK(tarn_batch_cell_text(b, 3, 0, buf, sizeof buf) == 0);
	CHECK(tarn_batch_cell_text(b, -1, 0, buf, sizeof buf) == 0);
	CHECK(tarn_batch_cell_text(b, 0, 2, buf, sizeof buf) == 0);
	tarn_batch_free(b);
}

int main(void)
{
	RUN(fmt_ints);
	RUN(parse_ints);
	RUN(parse_bool);
	RUN(fmt_double_fixed);
	RUN(fmt_float_fixed);
	RUN(fmt_double_random);
	RUN(fmt_float_random);
	RUN(parse_double_fixed);
	RUN(parse_double_random);
	RUN(fmt_decimal);
	RUN(parse_decimal);
	RUN(calendar);
	RUN(dates);
	RUN(times);
	RUN(timestamps);
	RUN(json_quote);
	RUN(value_scalars);
	RUN(value_nested);
	RUN(cell_text);
	return unit_done();
}
