/*
 * pb_wire.h — the protocol buffers wire format: varints, zigzag, fixed-width
 * little-endian values, tags, skipping unknown fields, and appending encoded
 * values to a buffer. Shared by the protobuf format (src/formats/protobuf/),
 * its descriptor decoder, and the RecordIO-protobuf format
 * (src/formats/recordio/).
 *
 * Facts from the protobuf encoding guide (protobuf.dev, "Encoding"): a tag is
 * the varint `number << 3 | wire type`; wire types 0 VARINT, 1 I64, 2 LEN,
 * 3 SGROUP, 4 EGROUP, 5 I32; field numbers are 1..2^29-1; a varint is at
 * most 10 bytes, low 7 bits first; sint32/sint64 are zigzag encoded; int32
 * negatives are sign-extended to 10-byte varints; fixed/float/double values
 * are little-endian.
 *
 * Two reading styles:
 *  - raw pointer functions (pb_get_varint, pb_skip) for the hot decoder,
 *    which returns NULL on malformed input and leaves position reporting to
 *    the caller;
 *  - a cursor (struct pb_in) with sticky errors, like the Thrift reader, for
 *    small fixed schemas (FileDescriptorSet, SageMaker's Record): every read
 *    after the first problem returns zeros, so decoders check once at the end.
 *
 * Nothing here allocates except the buffer writers, which grow a tarn_buf.
 * Thread-safety: stateless functions; a cursor belongs to one thread.
 */
#ifndef TARN_PROTOBUF_WIRE_H
#define TARN_PROTOBUF_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "base/buf.h"
#include "base/err.h"
#include "tarn.h"

enum pb_wire_type {
	PB_WT_VARINT = 0,
	PB_WT_I64 = 1,
	PB_WT_LEN = 2,
	PB_WT_SGROUP = 3,
	PB_WT_EGROUP = 4,
	PB_WT_I32 = 5,
};

#define PB_MAX_FIELD_NUMBER ((1u << 29) - 1)
/* Unknown groups nest; deeper than this is refused (hostile input). */
#define PB_MAX_GROUP_DEPTH 64

/* ---- decoding: raw pointers ------------------------------------------------- */

/* Multi-byte varint; NULL when truncated or longer than 10 bytes. Bits past
 * the 64th are dropped, as libprotobuf does. */
const uint8_t *pb_varint_slow(const uint8_t *p, const uint8_t *end, uint64_t *out);

static inline const uint8_t *pb_get_varint(const uint8_t *p, const uint8_t *end, uint64_t *out)
{
	if (LIKELY(p < end && *p < 0x80)) {
		*out = *p;
		return p + 1;
	}
	if (end - p >= 2 && p[1] < 0x80) { /* two bytes: tags above 15, lengths to 16383 */
		*out = (uint64_t)(p[0] & 0x7f) | (uint64_t)p[1] << 7;
		return p + 2;
	}
	return pb_varint_slow(p, end, out);
}

static inline uint32_t pb_le32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v; /* tarn targets little-endian hosts (x86-64, arm64) */
}

static inline uint64_t pb_le64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

static inline int32_t pb_unzig32(uint32_t n)
{
	return (int32_t)((n >> 1) ^ (0u - (n & 1)));
}

static inline int64_t pb_unzig64(uint64_t n)
{
	return (int64_t)((n >> 1) ^ (0ull - (n & 1)));
}

static inline uint32_t pb_zig32(int32_t v)
{
	/* all ones for negatives, without shifting a signed value */
	return ((uint32_t)v << 1) ^ (v < 0 ? UINT32_MAX : 0u);
}

static inline uint64_t pb_zig64(int64_t v)
{
	return ((uint64_t)v << 1) ^ (v < 0 ? UINT64_MAX : 0ull);
}

/* Skips the value of a field with wire type wt whose tag (number num) was just
 * read; for SGROUP, everything up to and including the matching EGROUP, and
 * *group_end (when not NULL) = where that EGROUP tag starts, i.e. the end of
 * the group's content. Returns the position after the value, or NULL with
 * *why set (static text). */
const uint8_t *pb_skip(const uint8_t *p, const uint8_t *end, uint32_t num, int wt,
		       const uint8_t **group_end, const char **why);

/* ---- decoding: cursor with sticky errors ------------------------------------ */

struct pb_in {
	const uint8_t *start, *p, *end;
	const char *why; /* first problem (static text), or NULL */
	size_t bad_at;   /* its offset from start */
};

void pb_in_init(struct pb_in *in, const void *p, size_t n);
void pb_in_fail(struct pb_in *in, const char *why);
static inline size_t pb_in_offset(const struct pb_in *in)
{
	return (size_t)(in->p - in->start);
}
/* Next tag; false at the end of the range or after an error. A zero field
 * number, an EGROUP without a group, or an unknown wire type is an error. */
bool pb_in_tag(struct pb_in *in, uint32_t *num, int *wt);
uint64_t pb_in_varint(struct pb_in *in);
uint32_t pb_in_fixed32(struct pb_in *in);
uint64_t pb_in_fixed64(struct pb_in *in);
/* A LEN value: its bytes, pointing into the input. */
const uint8_t *pb_in_bytes(struct pb_in *in, size_t *n);
/* A LEN value as a sub-cursor sharing start (so offsets stay absolute). */
void pb_in_sub(struct pb_in *in, struct pb_in *sub);
/* Skips the value of the field just read (any wire type, groups included). */
void pb_in_skip(struct pb_in *in, uint32_t num, int wt);
/* Copies a sub-cursor's error into its parent (first error wins). */
void pb_in_join(struct pb_in *in, const struct pb_in *sub);

/* ---- encoding ------------------------------------------------------------------ */

static inline size_t pb_varint_len(uint64_t v)
{
	/* (bits + 6) / 7 with bits = 64 - clz, and 1 for zero. */
	return v < 0x80 ? 1 : (size_t)((70 - __builtin_clzll(v)) / 7);
}

/* Writes v at p (room for 10 bytes); returns the bytes written. */
static inline size_t pb_put_varint(uint8_t *p, uint64_t v)
{
	size_t n = 0;
	while (v >= 0x80) {
		p[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (uint8_t)v;
	return n;
}

/* Ensures room for `n` more bytes in b. */
static inline tarn_rc pb_room(struct tarn_buf *b, size_t n)
{
	if (LIKELY(b->len + n <= b->cap))
		return TARN_OK;
	return tarn_buf_reserve(b, n);
}

static inline tarn_rc pb_w_varint(struct tarn_buf *b, uint64_t v)
{
	TRY(pb_room(b, 10));
	b->len += pb_put_varint((uint8_t *)b->data + b->len, v);
	return TARN_OK;
}

static inline tarn_rc pb_w_tag(struct tarn_buf *b, uint32_t num, int wt)
{
	return pb_w_varint(b, (uint64_t)num << 3 | (uint64_t)wt);
}

static inline tarn_rc pb_w_fixed32(struct tarn_buf *b, uint32_t v)
{
	TRY(pb_room(b, 4));
	memcpy(b->data + b->len, &v, 4);
	b->len += 4;
	return TARN_OK;
}

static inline tarn_rc pb_w_fixed64(struct tarn_buf *b, uint64_t v)
{
	TRY(pb_room(b, 8));
	memcpy(b->data + b->len, &v, 8);
	b->len += 8;
	return TARN_OK;
}

/* A LEN field: tag, length, bytes. */
tarn_rc pb_w_bytes(struct tarn_buf *b, uint32_t num, const void *p, size_t n);

/* Length-prefixed nesting without a sizing pass: pb_w_begin reserves one
 * length byte and returns the content's start; pb_w_end writes the real
 * length there, moving the content when the varint needs more bytes. */
static inline tarn_rc pb_w_begin(struct tarn_buf *b, size_t *mark)
{
	TRY(pb_room(b, 1));
	b->len++;
	*mark = b->len;
	return TARN_OK;
}
tarn_rc pb_w_end(struct tarn_buf *b, size_t mark);

#endif
