/*
 * text.h — the text cast kernels: scalar values to and from their text
 * spellings. Shared by the CSV and JSON codecs, `tarn head`, and later SQL
 * casts, so every part of tarn spells a value the same way.
 *
 * Canonical spellings written (and always read back to the same value):
 *   bool        true / false
 *   integers    decimal digits, '-' for negatives
 *   float       shortest text that reads back to the same double; integral
 *               values keep ".0" (1.0); NaN, inf, -inf
 *   decimal     digits with exactly `scale` fraction digits (12.50)
 *   date32      YYYY-MM-DD (years outside 0000..9999 get a sign: -0044-03-15,
 *               +12345-01-01)
 *   time64      HH:MM:SS[.fraction] (fraction trimmed of trailing zeros)
 *   timestamp   YYYY-MM-DD HH:MM:SS[.fraction], with a trailing "Z" when the
 *               type has a time zone (values are UTC instants)
 *   binary      hex with a "\x" prefix in CSV (\x0a0b); base64 in JSON
 *   nested      JSON text
 *
 * Parsers take (pointer, length), never allocate, and return false when the
 * text is not a valid spelling (nothing else is written then).
 */
#ifndef TARN_COLUMNAR_TEXT_H
#define TARN_COLUMNAR_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "columnar/array.h"
#include "columnar/type.h"

/* Room a caller must leave for one tarn_fmt_* call. */
#define TARN_FMT_MAX 64

size_t tarn_fmt_int64(char *dst, int64_t v);
size_t tarn_fmt_uint64(char *dst, uint64_t v);
size_t tarn_fmt_double(char *dst, double v);
size_t tarn_fmt_float(char *dst, float v); /* shortest text for a float32 */
size_t tarn_fmt_decimal(char *dst, tarn_i128 v, int scale);
size_t tarn_fmt_date(char *dst, int32_t days);
size_t tarn_fmt_time(char *dst, int64_t v, enum tarn_time_unit unit);
size_t tarn_fmt_timestamp(char *dst, int64_t v, enum tarn_time_unit unit, bool utc);

/* Appends the text of row i (must not be null) to out in the spellings
 * above. json = true: the JSON spelling instead (strings and temporal values
 * quoted and escaped, binary base64, nested as JSON, non-finite floats as
 * null). */
TARN_MUST_USE tarn_rc tarn_value_to_text(const struct tarn_array *a, int64_t i, bool json,
					 struct tarn_buf *out);
/* Appends s as a JSON string literal (quotes included, escapes as needed). */
TARN_MUST_USE tarn_rc tarn_json_quote(const uint8_t *s, size_t n, struct tarn_buf *out);

/* Calendar helpers (proleptic Gregorian). */
int32_t tarn_days_from_civil(int64_t y, unsigned m, unsigned d);
void tarn_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d);

bool tarn_parse_bool(const char *p, size_t n, bool *out);
bool tarn_parse_int64(const char *p, size_t n, int64_t *out);
bool tarn_parse_uint64(const char *p, size_t n, uint64_t *out);
/* Decimal and scientific notation, inf/infinity/nan (any case). Correctly
 * rounded. */
bool tarn_parse_double(const char *p, size_t n, double *out);
/* Exact: fails if the value has more than `scale` fraction digits or more
 * than `precision` digits in all. */
bool tarn_parse_decimal(const char *p, size_t n, int precision, int scale, tarn_i128 *out);
/* YYYY-MM-DD (the canonical form). See the CSV reader for other layouts. */
bool tarn_parse_date(const char *p, size_t n, int32_t *out);
bool tarn_parse_time(const char *p, size_t n, enum tarn_time_unit unit, int64_t *out);
/* "YYYY-MM-DD[ T]HH:MM[:SS[.fraction]][Z|+HH:MM|-HH:MM]". *has_offset tells
 * whether a zone designator was present; the value is then converted to UTC. */
bool tarn_parse_timestamp(const char *p, size_t n, enum tarn_time_unit unit, int64_t *out,
			  bool *has_offset);

#endif
