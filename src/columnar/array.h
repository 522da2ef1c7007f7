/*
 * array.h — column vectors in the Arrow memory layout, their builders, and
 * batches.
 *
 * An array owns its buffers (64-byte aligned, from the allocation hook):
 *   validity  bit i set = row i valid (LSB first); NULL = no nulls
 *   offsets   int32[length+1] for string, binary, list, map
 *   values    fixed-width values, bool bits, or string/binary bytes
 * Children: list/map one (items / entries struct), struct one per member.
 * Arrays always start at offset 0 (imports with an offset are normalised), so
 * kernels index from zero.
 *
 * Building: tarn_array_new, then appends (each may grow buffers and returns
 * tarn_rc), or tarn_array_reserve + direct writes into values followed by
 * setting length — parsers do that on hot paths. The type pointer is
 * borrowed from a schema that outlives the array (batches hold a reference).
 *
 * Design notes
 *  1. length <= cap; validity and fixed-width buffers have room for cap rows;
 *     offsets for cap+1 entries; offsets[0] = 0 always.
 *  2. validity is allocated on the first null: everything before is valid.
 *  3. A struct row is ended with tarn_array_struct_end after its children
 *     got one value each; appending a null to a struct appends a null to each
 *     child, keeping child lengths equal to the parent's.
 */
#ifndef TARN_COLUMNAR_ARRAY_H
#define TARN_COLUMNAR_ARRAY_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "columnar/type.h"

struct tarn_array {
	const struct tarn_type *type;
	int64_t length;
	int64_t null_count;
	uint8_t *validity;
	int32_t *offsets;
	uint8_t *values;
	int64_t values_len; /* bytes used in values (string/binary) */
	int n_children;
	struct tarn_array **children;
	int64_t cap;        /* rows with room in validity/offsets/fixed values */
	int64_t values_cap; /* bytes of room in values (string/binary) */
};

struct tarn_batch {
	struct tarn_schema *schema; /* referenced */
	int64_t n_rows;
	int n_cols;
	struct tarn_array **cols;
};

/* Largest byte payload of one string/binary array (int32 offsets). */
#define TARN_ARRAY_MAX_BYTES ((int64_t)INT32_MAX)

TARN_MUST_USE tarn_rc tarn_array_new(const struct tarn_type *t, int64_t cap_hint,
				     struct tarn_array **out);
void tarn_array_free(struct tarn_array *a);
/* Room for `rows` more rows (and recursively nothing for children). */
TARN_MUST_USE tarn_rc tarn_array_reserve(struct tarn_array *a, int64_t rows);
/* Room for `bytes` more payload bytes (string/binary). */
TARN_MUST_USE tarn_rc tarn_array_reserve_bytes(struct tarn_array *a, int64_t bytes);
/* Ensures a validity bitmap exists (all rows so far valid). */
TARN_MUST_USE tarn_rc tarn_array_ensure_validity(struct tarn_array *a);
/* Empties the array, keeping its buffers, for reuse. */
void tarn_array_reset(struct tarn_array *a);

TARN_MUST_USE tarn_rc tarn_array_append_null(struct tarn_array *a);
TARN_MUST_USE tarn_rc tarn_array_append_bool(struct tarn_array *a, bool v);
/* Any integer type, date32, time64, timestamp: stored at the type's width
 * (the caller checks the range). */
TARN_MUST_USE tarn_rc tarn_array_append_int(struct tarn_array *a, int64_t v);
TARN_MUST_USE tarn_rc tarn_array_append_uint(struct tarn_array *a, uint64_t v);
/* float32 or float64. */
TARN_MUST_USE tarn_rc tarn_array_append_double(struct tarn_array *a, double v);
TARN_MUST_USE tarn_rc tarn_array_append_decimal(struct tarn_array *a, tarn_i128 v);
/* string or binary. */
TARN_MUST_USE tarn_rc tarn_array_append_bytes(struct tarn_array *a, const void *p, size_t n);
/* Ends one list/map row whose items were appended to the child. */
TARN_MUST_USE tarn_rc tarn_array_list_end(struct tarn_array *a, bool valid);
/* Ends one struct row whose members were appended to the children. */
TARN_MUST_USE tarn_rc tarn_array_struct_end(struct tarn_array *a, bool valid);
/* Appends row i of src (same type) to dst, nested values included. */
TARN_MUST_USE tarn_rc tarn_array_append_from(struct tarn_array *dst, const struct tarn_array *src,
					     int64_t i);

/* Points a's type (and its children's) at t, a type equal to a's own that
 * lives longer (moving arrays between batches of equal schemas). */
void tarn_array_retype(struct tarn_array *a, const struct tarn_type *t);

/* Marks row i null (validity allocated on demand); i < length. */
TARN_MUST_USE tarn_rc tarn_array_set_null(struct tarn_array *a, int64_t i);

static inline bool tarn_array_is_null(const struct tarn_array *a, int64_t i)
{
	return a->validity && !((a->validity[i >> 3] >> (i & 7)) & 1);
}

static inline bool tarn_bit_get(const uint8_t *bits, int64_t i)
{
	return (bits[i >> 3] >> (i & 7)) & 1;
}

static inline void tarn_bit_set(uint8_t *bits, int64_t i, bool v)
{
	if (v)
		bits[i >> 3] |= (uint8_t)(1u << (i & 7));
	else
		bits[i >> 3] &= (uint8_t)~(1u << (i & 7));
}

/* Integer-like value (ints, date32, time64, timestamp) widened to int64;
 * uint64 above INT64_MAX wraps (use tarn_array_get_uint). */
int64_t tarn_array_get_int(const struct tarn_array *a, int64_t i);
uint64_t tarn_array_get_uint(const struct tarn_array *a, int64_t i);
double tarn_array_get_double(const struct tarn_array *a, int64_t i);
static inline tarn_i128 tarn_array_get_decimal(const struct tarn_array *a, int64_t i)
{
	tarn_i128 v;
	memcpy(&v, a->values + i * 16, 16);
	return v;
}
static inline const uint8_t *tarn_array_get_bytes(const struct tarn_array *a, int64_t i,
						  size_t *n)
{
	*n = (size_t)(a->offsets[i + 1] - a->offsets[i]);
	return a->values + a->offsets[i];
}

/* Checks the structural invariants (lengths, offsets monotonic and in
 * bounds, children lengths, null_count, UTF-8 of strings when check_utf8).
 * Used on imports and in tests. */
TARN_MUST_USE tarn_rc tarn_array_validate(const struct tarn_array *a, bool check_utf8,
					  struct tarn_err *err);

/* A batch with one empty array per field of s (s gets a reference). */
TARN_MUST_USE tarn_rc tarn_batch_new(struct tarn_schema *s, int64_t cap_hint,
				     struct tarn_batch **out);
/* Sets n_rows from the columns; fails (EINTERNAL) if their lengths differ. */
TARN_MUST_USE tarn_rc tarn_batch_seal(struct tarn_batch *b, struct tarn_err *err);

#endif
