/*
 * text_parse.c — fuzz target for the scalar text parsers in columnar/text.c
 * (the kernels behind CSV and JSON value parsing). The first byte picks the
 * decimal precision/scale and the time unit; the rest is the text. Checked:
 * doubles agree bit for bit with strtod; every accepted value prints to text
 * that parses back to the same value; JSON quoting yields valid UTF-8.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/mem.h"
#include "columnar/text.h"
#include "columnar/utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	uint8_t sel = data[0];
	const char *p = (const char *)data + 1;
	size_t n = size - 1;
	char out[TARN_FMT_MAX];
	size_t m;

	int64_t i64, i64b;
	if (tarn_parse_int64(p, n, &i64)) {
		m = tarn_fmt_int64(out, i64);
		if (!tarn_parse_int64(out, m, &i64b) || i64b != i64)
			abort();
	}
	uint64_t u64, u64b;
	if (tarn_parse_uint64(p, n, &u64)) {
		m = tarn_fmt_uint64(out, u64);
		if (!tarn_parse_uint64(out, m, &u64b) || u64b != u64)
			abort();
	}
	bool b;
	(void)tarn_parse_bool(p, n, &b);

	double d, d2;
	if (tarn_parse_double(p, n, &d)) {
		/* Accepted spellings are a subset of strtod's; it is the oracle. */
		char *z = tarn_strndup(p, n);
		if (z) {
			double want = strtod(z, NULL);
			if (isnan(want) != isnan(d) || (!isnan(d) && memcmp(&want, &d, 8) != 0))
				abort();
			tarn_free(z);
		}
		m = tarn_fmt_double(out, d);
		if (!tarn_parse_double(out, m, &d2) || (!isnan(d) && memcmp(&d, &d2, 8) != 0))
			abort();
		float f = (float)d, f2;
		m = tarn_fmt_float(out, f);
		if (!tarn_parse_double(out, m, &d2) || (!isnan(f) && (f2 = (float)d2) != f))
			abort();
	}

	int prec = 1 + sel % 38, scale = (sel / 38) % (prec + 1);
	tarn_i128 dec, dec2;
	if (tarn_parse_decimal(p, n, prec, scale, &dec)) {
		m = tarn_fmt_decimal(out, dec, scale);
		if (!tarn_parse_decimal(out, m, prec, scale, &dec2) || dec2 != dec)
			abort();
	}

	int32_t day, day2;
	if (tarn_parse_date(p, n, &day)) {
		m = tarn_fmt_date(out, day);
		if (!tarn_parse_date(out, m, &day2) || day2 != day)
			abort();
	}
	enum tarn_time_unit unit = (enum tarn_time_unit)(sel & 3);
	int64_t t, t2;
	if (tarn_parse_time(p, n, unit, &t)) {
		m = tarn_fmt_time(out, t, unit);
		if (!tarn_parse_time(out, m, unit, &t2) || t2 != t)
			abort();
	}
	bool off, off2;
	if (tarn_parse_timestamp(p, n, unit, &t, &off)) {
		m = tarn_fmt_timestamp(out, t, unit, off);
		if (!tarn_parse_timestamp(out, m, unit, &t2, &off2) || t2 != t || off2 != off)
			abort();
	}

	struct tarn_buf q;
	tarn_buf_init(&q);
	size_t bad_at;
	if (tarn_json_quote((const uint8_t *)p, n, &q) == TARN_OK &&
	    !tarn_utf8_valid((const uint8_t *)q.data, q.len, &bad_at))
		abort();
	tarn_buf_free(&q);
	return 0;
}
