/*
 * thrift.h — the Thrift TCompactProtocol, reading and writing, for Parquet's
 * metadata (FileMetaData, PageHeader, ...). Written from the Thrift spec
 * (doc/specs/thrift-compact-protocol.md); only what Parquet needs: structs,
 * unions, lists, the scalar types; maps and sets are skipped when read.
 *
 * Reading is over a bounded byte range and never trusts the input: every
 * length is checked against the bytes left, list sizes are capped by the bytes
 * left (each element takes at least one byte), nesting is capped at
 * THRIFT_MAX_DEPTH. Errors are sticky: the first problem sets `bad` (with the
 * offset and a reason) and every later read returns zero values, so decoders
 * read straight through and check once at the end.
 *
 * Writing appends to a tarn_buf; the first allocation failure is kept in
 * `rc` and later writes do nothing.
 *
 * Thread-safety: a cursor belongs to one thread.
 */
#ifndef TARN_PARQUET_THRIFT_H
#define TARN_PARQUET_THRIFT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "tarn.h"

#define THRIFT_MAX_DEPTH 48

enum thrift_type {
	THRIFT_STOP = 0,
	THRIFT_TRUE = 1, /* field header only: a bool field's value */
	THRIFT_FALSE = 2,
	THRIFT_I8 = 3,
	THRIFT_I16 = 4,
	THRIFT_I32 = 5,
	THRIFT_I64 = 6,
	THRIFT_DOUBLE = 7,
	THRIFT_BINARY = 8,
	THRIFT_LIST = 9,
	THRIFT_SET = 10,
	THRIFT_MAP = 11,
	THRIFT_STRUCT = 12,
	THRIFT_UUID = 13,
	THRIFT_BOOL = 2 /* element type of a list of bools */
};

struct thrift_in {
	const uint8_t *start, *p, *end;
	int depth;
	bool bad;
	const char *why; /* first problem, static text */
	size_t bad_at;   /* offset of the first problem from start */
};

/* One struct being read: holds the previous field id for delta decoding. */
struct thrift_field {
	int16_t id;
	uint8_t type;
	int16_t last;
};

void thrift_in_init(struct thrift_in *in, const void *p, size_t n);
void thrift_fail(struct thrift_in *in, const char *why);
static inline size_t thrift_offset(const struct thrift_in *in)
{
	return (size_t)(in->p - in->start);
}

/* Enters a struct (depth check); pair with thrift_struct_end. */
bool thrift_struct_begin(struct thrift_in *in, struct thrift_field *f);
void thrift_struct_end(struct thrift_in *in);
/* Next field header of the current struct; false at its STOP (or on error). */
bool thrift_next_field(struct thrift_in *in, struct thrift_field *f);
/* Skips a value of wire type `type` (a field's or list element's). */
void thrift_skip(struct thrift_in *in, int type);

uint64_t thrift_varint(struct thrift_in *in);
int64_t thrift_i64(struct thrift_in *in);
int32_t thrift_i32(struct thrift_in *in);
int8_t thrift_i8(struct thrift_in *in);
double thrift_double(struct thrift_in *in);
/* Bytes of a binary/string value, pointing into the input. */
const uint8_t *thrift_binary(struct thrift_in *in, size_t *n);
/* A bool field's value from its header type, or a list element (one byte). */
bool thrift_bool_elem(struct thrift_in *in);
static inline bool thrift_bool_field(const struct thrift_field *f)
{
	return f->type == THRIFT_TRUE;
}
/* List or set header: element type and count (capped by the bytes left). */
int64_t thrift_list(struct thrift_in *in, int *elem_type);

/* ---- writing ----------------------------------------------------------------- */

struct thrift_out {
	struct tarn_buf *b;
	tarn_rc rc;
	int depth;
	int16_t last[THRIFT_MAX_DEPTH + 1];
};

void thrift_out_init(struct thrift_out *o, struct tarn_buf *b);
void thrift_w_varint(struct thrift_out *o, uint64_t v);
void thrift_w_field(struct thrift_out *o, int type, int16_t id);
void thrift_w_i32(struct thrift_out *o, int16_t id, int32_t v);
void thrift_w_i64(struct thrift_out *o, int16_t id, int64_t v);
void thrift_w_i8(struct thrift_out *o, int16_t id, int8_t v);
void thrift_w_bool(struct thrift_out *o, int16_t id, bool v);
void thrift_w_double(struct thrift_out *o, int16_t id, double v);
void thrift_w_binary(struct thrift_out *o, int16_t id, const void *p, size_t n);
/* A struct-valued field; end with thrift_w_struct_end. */
void thrift_w_struct_begin(struct thrift_out *o, int16_t id);
void thrift_w_struct_end(struct thrift_out *o);
/* The top-level struct (no field header). */
void thrift_w_root_begin(struct thrift_out *o);
void thrift_w_root_end(struct thrift_out *o);
/* A list field header; then n elements with the thrift_e_* writers. */
void thrift_w_list(struct thrift_out *o, int16_t id, int elem_type, int64_t n);
void thrift_e_i32(struct thrift_out *o, int32_t v);
void thrift_e_i64(struct thrift_out *o, int64_t v);
void thrift_e_bool(struct thrift_out *o, bool v);
void thrift_e_binary(struct thrift_out *o, const void *p, size_t n);
/* A struct list element; end with thrift_w_struct_end. */
void thrift_e_struct_begin(struct thrift_out *o);

#endif
