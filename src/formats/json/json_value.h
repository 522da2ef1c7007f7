/*
 * json_value.h — one JSON value into a column builder, for other formats.
 *
 * The CSV reader stores nested values (list, struct, map) as JSON text in a
 * cell; this is how it reads them back. It is the JSON reader's own
 * parse-into-builder code (json_read.c) run over one value, so the
 * strictness (RFC 8259, valid UTF-8, no NaN unless allowed), the limits and
 * the error messages are the JSON reader's. What fits a type is what fits a
 * JSON column of that type (docs/formats/json.md): integers within range,
 * dates and times as strings, binary as base64, maps as an object (string
 * keys) or as a list of {"key":..,"value":..} objects (any key type).
 *
 * Errors: TARN_EDATA for text that is not a JSON value of the type,
 * TARN_ELIMIT for the depth and size limits, TARN_ENOMEM. The message is the
 * JSON reader's without a location (e.g. `key "a": "x" does not fit the
 * column type int64`); the caller says where the value came from, and
 * json_value_parse gives the byte offset within the value.
 *
 * Thread-safety: a parser belongs to one thread at a time.
 */
#ifndef TARN_FORMATS_JSON_VALUE_H
#define TARN_FORMATS_JSON_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "columnar/array.h"
#include "tarn.h"

struct json_limits {
	int max_depth;     /* nesting of arrays/objects, 1..1000 */
	int64_t max_value; /* longest string or number, as written */
	bool allow_nan;    /* NaN, Infinity, -Infinity as numbers */
};

/* The JSON reader's defaults: depth 64, 64 MiB values, no NaN. */
void json_limits_default(struct json_limits *lim);

struct json_value_parser;

/* A parser for values of type t (which must outlive it); lim NULL = the
 * defaults. TARN_EUNSUPPORTED for a type JSON cannot hold. */
TARN_MUST_USE tarn_rc json_value_parser_new(const struct tarn_type *t,
					    const struct json_limits *lim,
					    struct json_value_parser **out, struct tarn_err *err);
void json_value_parser_free(struct json_value_parser *vp);

/* Parses exactly one JSON value from p[0..n) (whitespace around it allowed)
 * and appends it to dst, an array of the parser's type, as one row (JSON
 * null gives a null row). On failure dst is as it was and *err_at, when
 * err_at is not NULL, is the byte offset in p where the problem is. No
 * allocation besides dst's growth. */
TARN_MUST_USE tarn_rc json_value_parse(struct json_value_parser *vp, const uint8_t *p, size_t n,
				       struct tarn_array *dst, size_t *err_at,
				       struct tarn_err *err);

/* One-shot: a parser for dst->type, one value, the parser freed. The message
 * of an error starts with "byte K: " (K = offset in p). */
TARN_MUST_USE tarn_rc json_value_append(const uint8_t *p, size_t n, struct tarn_array *dst,
					const struct json_limits *lim, struct tarn_err *err);

/* Drops rows [len, length) of a, children included (also what a partly
 * appended nested row left in them). For callers that roll back rows they
 * appended; len <= a->length. */
void json_array_truncate(struct tarn_array *a, int64_t len);

#endif
