/*
 * text.h — the text cast kernels: scalar values to and from their text
 * spellings. Shared by the CSV and JSON codecs, `tarn head`, and later SQL
 * casts, so every part of tarn spells a value the same way.
 *
 * Canonical spellings written (and always read back to the same value):
 *   bool        true / false
 *   integers    decimal digits, '-' for negatives
 *   float       shortest text that reads back to the same double (float32:
 *               the same float); of equally short candidates the nearest.
 *               Plain notation while the leading digit's decimal exponent is
 *               in -5..16 (0.00001, 123.45, 1200.0 - integral values keep
 *               ".0"), else d[.ddd]e±XX (1e+20, 1.5e-07, 5e-324); -0.0 keeps
 *               its sign; NaN, inf, -inf
 *   decimal     digits with exactly `scale` fraction digits (12.50, -0.05)
 *   date32      YYYY-MM-DD (years outside 0000..9999 get a sign: -0044-03-15,
 *               +12345-01-01)
 *   time64      HH:MM:SS[.fraction] (fraction trimmed of trailing zeros)
 *   timestamp   YYYY-MM-DD HH:MM:SS[.fraction], with a trailing "Z" when the
 *               type has a time zone (values are UTC instants)
 *   binary      lowercase hex with a "\x" prefix in CSV (\x0a0b); in JSON a
 *               string of standard base64 with padding (RFC 4648)
 *   nested      JSON text: list [..], struct {"name":..}, map {"key":value}
 *               when keys are strings, else [{"key":..,"value":..},..];
 *               null members are null
 *
 * Parsers take (pointer, length), never allocate, and return false when the
 * text is not a valid spelling (nothing else is written then). They accept
 * no surrounding spaces. Where a value cannot hold the text exactly (decimal
 * scale, time unit) the text is rejected unless the extra digits are zeros:
 * parsing never rounds silently.
 *
 * All functions are pure and thread-safe.
 */
#ifndef TARN_COLUMNAR_TEXT_H
#define TARN_COLUMNAR_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "columnar/array.h"
#include "columnar/type.h"

/* Room a caller must leave for one tarn_fmt_* call. The formatters write
 * no NUL and may scribble anywhere in the first TARN_FMT_MAX bytes. */
#define TARN_FMT_MAX 64

size_t tarn_fmt_int64(char *dst, int64_t v);
size_t tarn_fmt_uint64(char *dst, uint64_t v);
size_t tarn_fmt_double(char *dst, double v);
size_t tarn_fmt_float(char *dst, float v); /* shortest text for a float32 */
size_t tarn_fmt_decimal(char *dst, tarn_i128 v, int scale); /* scale 0..38 */
size_t tarn_fmt_date(char *dst, int32_t days);
/* v since midnight; values outside a day still print (signed, hours > 23). */
size_t tarn_fmt_time(char *dst, int64_t v, enum tarn_time_unit unit);
size_t tarn_fmt_timestamp(char *dst, int64_t v, enum tarn_time_unit unit, bool utc);
/* A byte count for people: "1.5 GiB", "2.0 MiB", "3.0 KiB", else
 * "<n> <unit>" (unit "B" or "bytes"); truncated to cap. */
void tarn_fmt_size(char *buf, size_t cap, int64_t n, const char *unit);
/* Interval text as DuckDB reads it ("1 year 2 months", "3 days 04:05:06.5",
 * "90 minutes"); false when it is not one. */
bool tarn_parse_interval(const char *p, size_t n, struct tarn_interval *out);
/* An interval in DuckDB's spelling ("1 year 2 months 3 days 01:30:00"). */
TARN_MUST_USE tarn_rc tarn_interval_to_text(const struct tarn_interval *v, struct tarn_buf *out);

/* Appends the text of row i (must not be null) to out in the spellings
 * above. json = true: the JSON spelling instead (strings and temporal values
 * quoted and escaped, binary base64, nested as JSON, non-finite floats as
 * null). */
TARN_MUST_USE tarn_rc tarn_value_to_text(const struct tarn_array *a, int64_t i, bool json,
					 struct tarn_buf *out);
/* Appends s as a JSON string literal: quotes included; '"', '\\' and control
 * characters escaped (\n \t \r \b \f, else \u00XX); valid UTF-8 passes
 * through unchanged, and bytes that are not valid UTF-8 become U+FFFD so the
 * output is always valid JSON. */
TARN_MUST_USE tarn_rc tarn_json_quote(const uint8_t *s, size_t n, struct tarn_buf *out);

/* Calendar helpers (proleptic Gregorian, year 0 = 1 BC, a leap year); days
 * since 1970-01-01. Exact for any day count whose year fits the int32 result
 * (about +-5.8 million years). */
int32_t tarn_days_from_civil(int64_t y, unsigned m, unsigned d);
void tarn_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d);

/* true/false, t/f, yes/no, y/n, in any case. */
bool tarn_parse_bool(const char *p, size_t n, bool *out);
/* Decimal digits with an optional sign ('+' only for uint64); overflow is
 * rejected, INT64_MIN and UINT64_MAX parse. */
bool tarn_parse_int64(const char *p, size_t n, int64_t *out);
bool tarn_parse_uint64(const char *p, size_t n, uint64_t *out);
/* [+-]digits[.digits][(e|E)[+-]digits] (".5" and "5." too), or
 * inf/infinity/nan in any case, with an optional sign. Correctly rounded
 * (round-half-even); out-of-range values become +-inf or +-0. No hex floats;
 * texts over 4096 bytes are rejected. */
bool tarn_parse_double(const char *p, size_t n, double *out);
/* The same spellings to the nearest float32 (round-half-even on the
 * decimal value itself: parsing to double and narrowing would round twice,
 * which gets about one float in 2^29 wrong, e.g. 7.038531e-26). */
bool tarn_parse_float(const char *p, size_t n, float *out);
/* [+-]digits[.digits] (no exponent), scaled to `scale` ("12.5" at scale 2
 * is 1250). Exact: fails if the value has nonzero digits past `scale`
 * (trailing zeros are fine) or needs more than `precision` digits in all. */
bool tarn_parse_decimal(const char *p, size_t n, int precision, int scale, tarn_i128 *out);
/* YYYY-MM-DD (the canonical form), or a signed year of 4+ digits as
 * written for years outside 0000..9999 (-0044-03-15, +12345-01-01). Month
 * and day are range-checked (leap years included). See the CSV reader for
 * other layouts. */
bool tarn_parse_date(const char *p, size_t n, int32_t *out);
/* HH:MM[:SS[.fraction]], 00:00 to 23:59:59.999999999; up to 9 fraction
 * digits, and digits finer than `unit` must be zeros. */
bool tarn_parse_time(const char *p, size_t n, enum tarn_time_unit unit, int64_t *out);
/* A whole zone designator: "" (none), "Z"/"z", or +HH, +HHMM, +HH:MM (and
 * '-'). *offset_secs is east of UTC. Shared by every timestamp layout. */
bool tarn_parse_zone(const char *p, size_t n, bool *has_offset, int64_t *offset_secs);
/* "YYYY-MM-DD[ T]HH:MM[:SS[.fraction]][Z|+HH:MM|-HH:MM]" (also 't', 'z',
 * +HHMM and +HH). A date alone is not a timestamp. *has_offset tells
 * whether a zone designator was present; the value is then converted to UTC.
 * Fails when the result does not fit int64 in `unit`. */
bool tarn_parse_timestamp(const char *p, size_t n, enum tarn_time_unit unit, int64_t *out,
			  bool *has_offset);

#endif
