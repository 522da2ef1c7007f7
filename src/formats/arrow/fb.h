/*
 * fb.h — a small FlatBuffers reader and builder, enough for Arrow IPC's
 * Schema.fbs, Message.fbs and File.fbs (tables, unions, strings, vectors of
 * tables and of inline structs, little-endian scalars).
 *
 * Reading trusts nothing. Every table, vtable, field, string and vector is
 * checked against the byte range before it is touched, and table nesting is
 * limited (fb_ctx.max_depth). Errors are sticky: the first problem is recorded
 * in the context (rc + message naming the byte offset, prefixed with
 * fb_ctx.where) and every later accessor on that context returns its default,
 * so a parser reads a whole table and checks fb_ctx.rc once, instead of
 * checking every field.
 *
 * Building works back to front like the reference implementation: children
 * (strings, vectors, tables) are created before the table that points at
 * them, and fb_ref is an offset from the end of the buffer. Errors (out of
 * memory) are sticky too and reported by fb_finish.
 *
 * Layout facts relied on (FlatBuffers internals): a buffer starts with a
 * uoffset to the root table; a table starts with an soffset to its vtable
 * (vtable = table - soffset); a vtable is [u16 vtable size, u16 table size,
 * u16 field offset per slot]; a uoffset is relative to where it is stored;
 * strings and vectors are a u32 count followed by the elements.
 *
 * Thread-safety: a context or builder belongs to one thread.
 */
#ifndef TARN_FORMATS_ARROW_FB_H
#define TARN_FORMATS_ARROW_FB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tarn.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the Arrow IPC code reads little-endian data with plain loads"
#endif

/* ---- reading ---------------------------------------------------------------- */

struct fb_ctx {
	const uint8_t *p;
	size_t n;
	int max_depth;
	tarn_rc rc;          /* first error, TARN_OK while none */
	struct tarn_err *err;
	char where[128];     /* "message at byte 1234", prefixed to messages */
};

struct fb_table {
	struct fb_ctx *c;
	uint32_t pos;    /* table start */
	uint32_t vt;     /* vtable start */
	uint16_t vt_len; /* bytes of vtable */
	uint16_t tbl_len;
	int depth;
};

struct fb_vec {
	struct fb_ctx *c;
	uint32_t pos; /* first element */
	uint32_t len; /* elements */
	uint32_t elem;
	int depth;
};

/* Sets up c over p[0..n). where is copied (may be truncated). */
void fb_ctx_init(struct fb_ctx *c, const uint8_t *p, size_t n, int max_depth,
		 struct tarn_err *err, const char *where);
/* Records an error found by the caller in the data (sticky, like the
 * accessors' own). Returns rc. */
tarn_rc fb_fail(struct fb_ctx *c, tarn_rc rc, const char *fmt, ...) TARN_PRINTF(3, 4);

/* The root table; false (and c->rc set) when the buffer is malformed. */
bool fb_root(struct fb_ctx *c, struct fb_table *out);

bool fb_has(const struct fb_table *t, int slot);
uint8_t fb_u8(const struct fb_table *t, int slot, uint8_t def);
bool fb_bool(const struct fb_table *t, int slot, bool def);
int16_t fb_i16(const struct fb_table *t, int slot, int16_t def);
int32_t fb_i32(const struct fb_table *t, int slot, int32_t def);
int64_t fb_i64(const struct fb_table *t, int slot, int64_t def);
/* Sub-table in slot; false when absent or malformed (then c->rc is set). */
bool fb_table(const struct fb_table *t, int slot, struct fb_table *out);
/* String in slot (not NUL-terminated in general); false when absent. */
bool fb_string(const struct fb_table *t, int slot, const char **s, size_t *n);
/* Vector in slot with elements of elem bytes (4 for tables); false when
 * absent. An absent vector is reported as empty (len 0). */
bool fb_vector(const struct fb_table *t, int slot, uint32_t elem, struct fb_vec *out);
/* Table element i of a vector of tables. */
bool fb_vec_table(const struct fb_vec *v, uint32_t i, struct fb_table *out);
/* Pointer to inline element i (struct or scalar) of a vector. */
const uint8_t *fb_vec_at(const struct fb_vec *v, uint32_t i);

static inline int64_t fb_load_i64(const uint8_t *p)
{
	int64_t v;
	__builtin_memcpy(&v, p, 8);
	return v;
}

static inline int32_t fb_load_i32(const uint8_t *p)
{
	int32_t v;
	__builtin_memcpy(&v, p, 4);
	return v;
}

/* ---- building ----------------------------------------------------------------- */

typedef uint32_t fb_ref; /* offset from the end of the buffer; 0 = none */

#define FB_MAX_SLOTS 16

struct fb_builder {
	uint8_t *buf;
	size_t cap, size; /* data lives at buf[cap - size, cap) */
	size_t minalign;
	tarn_rc rc;
	/* the open table */
	bool in_table;
	size_t table_start;
	int n_slots;
	uint32_t slot_off[FB_MAX_SLOTS];
};

void fb_builder_init(struct fb_builder *b);
void fb_builder_reset(struct fb_builder *b);
void fb_builder_free(struct fb_builder *b);

fb_ref fb_create_string(struct fb_builder *b, const char *s, size_t n);
/* Vector of references (tables or strings) in the given order. */
fb_ref fb_create_refs(struct fb_builder *b, const fb_ref *refs, size_t n);
/* Vector of n inline elements of elem bytes each (already little-endian),
 * aligned to align (a power of two, at most 8). */
fb_ref fb_create_structs(struct fb_builder *b, const void *elems, size_t elem, size_t n,
			 size_t align);

void fb_start(struct fb_builder *b);
void fb_add_u8(struct fb_builder *b, int slot, uint8_t v);
void fb_add_i16(struct fb_builder *b, int slot, int16_t v);
void fb_add_i32(struct fb_builder *b, int slot, int32_t v);
void fb_add_i64(struct fb_builder *b, int slot, int64_t v);
void fb_add_ref(struct fb_builder *b, int slot, fb_ref r);
fb_ref fb_end(struct fb_builder *b);

/* Finishes with root as the root table; *p and *n give the buffer (owned by b,
 * valid until the next reset), its size a multiple of 8. */
TARN_MUST_USE tarn_rc fb_finish(struct fb_builder *b, fb_ref root, const uint8_t **p,
				size_t *n);

#endif
