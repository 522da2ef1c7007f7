/*
 * fb.c — the FlatBuffers reader and builder described in fb.h.
 *
 * Reader invariant: an fb_table handed out has pos + tbl_len <= n and
 * vt + vt_len <= n, so a field whose offset passed field_at() lies inside the
 * buffer. Offsets are computed in 64 bits so hostile uoffsets cannot wrap.
 */
#include "formats/arrow/fb.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/err.h"
#include "base/mem.h"

static uint16_t ld16(const uint8_t *p)
{
	uint16_t v;
	memcpy(&v, p, 2);
	return v;
}

static uint32_t ld32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

void fb_ctx_init(struct fb_ctx *c, const uint8_t *p, size_t n, int max_depth,
		 struct tarn_err *err, const char *where)
{
	c->p = p;
	/* uoffsets are 32-bit: a larger buffer cannot be addressed anyway. */
	c->n = n > UINT32_MAX ? UINT32_MAX : n;
	c->max_depth = max_depth;
	c->rc = TARN_OK;
	c->err = err;
	snprintf(c->where, sizeof c->where, "%s", where ? where : "flatbuffer");
}

tarn_rc fb_fail(struct fb_ctx *c, tarn_rc rc, const char *fmt, ...)
{
	if (c->rc)
		return c->rc;
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	c->rc = rc;
	tarn_err_set(c->err, rc, "%s: %s", c->where, msg);
	return rc;
}

static bool load_table(struct fb_ctx *c, uint64_t pos, int depth, struct fb_table *out)
{
	memset(out, 0, sizeof *out);
	out->c = c;
	if (c->rc)
		return false;
	if (depth > c->max_depth) {
		fb_fail(c, TARN_ELIMIT, "tables nested more than %d deep", c->max_depth);
		return false;
	}
	if (c->n < 4 || pos > c->n - 4) {
		fb_fail(c, TARN_EDATA, "table offset %llu is outside the %zu-byte metadata",
			(unsigned long long)pos, c->n);
		return false;
	}
	int64_t vt = (int64_t)pos - (int64_t)fb_load_i32(c->p + pos);
	if (vt < 0 || (uint64_t)vt > c->n - 4) {
		fb_fail(c, TARN_EDATA, "the vtable of the table at byte %llu is outside the metadata",
			(unsigned long long)pos);
		return false;
	}
	uint16_t vt_len = ld16(c->p + vt), tbl_len = ld16(c->p + vt + 2);
	if (vt_len < 4 || (vt_len & 1) || (uint64_t)vt + vt_len > c->n || tbl_len < 4 ||
	    pos + tbl_len > c->n) {
		fb_fail(c, TARN_EDATA, "the table at byte %llu has a malformed vtable",
			(unsigned long long)pos);
		return false;
	}
	out->pos = (uint32_t)pos;
	out->vt = (uint32_t)vt;
	out->vt_len = vt_len;
	out->tbl_len = tbl_len;
	out->depth = depth;
	return true;
}

bool fb_root(struct fb_ctx *c, struct fb_table *out)
{
	memset(out, 0, sizeof *out);
	out->c = c;
	if (c->n < 8) {
		fb_fail(c, TARN_EDATA, "%zu bytes are too few for a flatbuffer", c->n);
		return false;
	}
	return load_table(c, ld32(c->p), 0, out);
}

/* Offset of slot's field within the table, 0 when absent (or after an
 * error). The field's size bytes must lie inside the table. */
static uint32_t field_at(const struct fb_table *t, int slot, uint32_t size)
{
	struct fb_ctx *c = t->c;
	if (c->rc || !t->vt_len)
		return 0;
	uint32_t vo = 4 + 2 * (uint32_t)slot;
	if (vo + 2 > t->vt_len)
		return 0;
	uint16_t fo = ld16(c->p + t->vt + vo);
	if (!fo)
		return 0;
	if (fo < 4 || (uint32_t)fo + size > t->tbl_len) {
		fb_fail(c, TARN_EDATA, "field %d of the table at byte %u lies outside the table",
			slot, t->pos);
		return 0;
	}
	return fo;
}

bool fb_has(const struct fb_table *t, int slot)
{
	return field_at(t, slot, 1) != 0;
}

uint8_t fb_u8(const struct fb_table *t, int slot, uint8_t def)
{
	uint32_t fo = field_at(t, slot, 1);
	return fo ? t->c->p[t->pos + fo] : def;
}

bool fb_bool(const struct fb_table *t, int slot, bool def)
{
	return fb_u8(t, slot, def) != 0;
}

int16_t fb_i16(const struct fb_table *t, int slot, int16_t def)
{
	uint32_t fo = field_at(t, slot, 2);
	return fo ? (int16_t)ld16(t->c->p + t->pos + fo) : def;
}

int32_t fb_i32(const struct fb_table *t, int slot, int32_t def)
{
	uint32_t fo = field_at(t, slot, 4);
	return fo ? fb_load_i32(t->c->p + t->pos + fo) : def;
}

int64_t fb_i64(const struct fb_table *t, int slot, int64_t def)
{
	uint32_t fo = field_at(t, slot, 8);
	return fo ? fb_load_i64(t->c->p + t->pos + fo) : def;
}

/* Where the uoffset in slot points, or 0 when absent. The target has at
 * least 4 bytes before the end. */
static uint64_t follow(const struct fb_table *t, int slot)
{
	uint32_t fo = field_at(t, slot, 4);
	if (!fo)
		return 0;
	uint64_t at = (uint64_t)t->pos + fo;
	uint64_t target = at + ld32(t->c->p + at);
	if (target > t->c->n - 4) {
		fb_fail(t->c, TARN_EDATA, "field %d of the table at byte %u points outside the "
					  "metadata",
			slot, t->pos);
		return 0;
	}
	return target;
}

bool fb_table(const struct fb_table *t, int slot, struct fb_table *out)
{
	uint64_t target = follow(t, slot);
	if (!target) {
		memset(out, 0, sizeof *out);
		out->c = t->c;
		return false;
	}
	return load_table(t->c, target, t->depth + 1, out);
}

bool fb_string(const struct fb_table *t, int slot, const char **s, size_t *n)
{
	*s = "";
	*n = 0;
	uint64_t target = follow(t, slot);
	if (!target)
		return false;
	uint32_t len = ld32(t->c->p + target);
	if (len > t->c->n - target - 4) {
		fb_fail(t->c, TARN_EDATA, "the string at byte %llu runs past the metadata",
			(unsigned long long)target);
		return false;
	}
	*s = (const char *)t->c->p + target + 4;
	*n = len;
	return true;
}

bool fb_vector(const struct fb_table *t, int slot, uint32_t elem, struct fb_vec *out)
{
	memset(out, 0, sizeof *out);
	out->c = t->c;
	out->elem = elem;
	out->depth = t->depth;
	uint64_t target = follow(t, slot);
	if (!target)
		return false;
	uint64_t len = ld32(t->c->p + target);
	if (len * elem > t->c->n - target - 4) {
		fb_fail(t->c, TARN_EDATA, "the vector at byte %llu (%llu elements) runs past the "
					  "metadata",
			(unsigned long long)target, (unsigned long long)len);
		return false;
	}
	out->pos = (uint32_t)(target + 4);
	out->len = (uint32_t)len;
	return true;
}

bool fb_vec_table(const struct fb_vec *v, uint32_t i, struct fb_table *out)
{
	if (i >= v->len || v->elem != 4 || v->c->rc) {
		memset(out, 0, sizeof *out);
		out->c = v->c;
		if (!v->c->rc)
			fb_fail(v->c, TARN_EINTERNAL, "vector element %u of %u", i, v->len);
		return false;
	}
	uint64_t at = (uint64_t)v->pos + 4 * (uint64_t)i;
	uint64_t target = at + ld32(v->c->p + at);
	return load_table(v->c, target, v->depth + 1, out);
}

const uint8_t *fb_vec_at(const struct fb_vec *v, uint32_t i)
{
	return v->c->p + v->pos + (size_t)i * v->elem;
}

/* ---- builder ------------------------------------------------------------------- */

void fb_builder_init(struct fb_builder *b)
{
	memset(b, 0, sizeof *b);
	b->minalign = 1;
}

void fb_builder_reset(struct fb_builder *b)
{
	b->size = 0;
	b->minalign = 1;
	b->rc = TARN_OK;
	b->in_table = false;
}

void fb_builder_free(struct fb_builder *b)
{
	tarn_free(b->buf);
	fb_builder_init(b);
}

static bool grow(struct fb_builder *b, size_t need)
{
	if (b->rc)
		return false;
	if (b->size + need <= b->cap)
		return true;
	size_t cap = b->cap ? b->cap * 2 : 1024;
	while (cap < b->size + need)
		cap *= 2;
	/* Metadata, not data: past 1 GiB something is wrong upstream. */
	if (cap > ((size_t)1 << 30)) {
		b->rc = TARN_ELIMIT;
		return false;
	}
	uint8_t *nb = tarn_malloc(cap);
	if (!nb) {
		b->rc = TARN_ENOMEM;
		return false;
	}
	if (b->size)
		memcpy(nb + cap - b->size, b->buf + b->cap - b->size, b->size);
	tarn_free(b->buf);
	b->buf = nb;
	b->cap = cap;
	return true;
}

static void pad(struct fb_builder *b, size_t n)
{
	if (!n || !grow(b, n))
		return;
	b->size += n;
	memset(b->buf + b->cap - b->size, 0, n);
}

/* Pads so that after `additional` more bytes the size is a multiple of
 * align. */
static void prep(struct fb_builder *b, size_t align, size_t additional)
{
	if (align > b->minalign)
		b->minalign = align;
	pad(b, (~(b->size + additional) + 1) & (align - 1));
}

static void push(struct fb_builder *b, const void *p, size_t n)
{
	if (!grow(b, n))
		return;
	b->size += n;
	memcpy(b->buf + b->cap - b->size, p, n);
}

static void push_uoffset(struct fb_builder *b, fb_ref r)
{
	prep(b, 4, 0);
	uint32_t v = (uint32_t)(b->size + 4 - r);
	push(b, &v, 4);
}

fb_ref fb_create_string(struct fb_builder *b, const char *s, size_t n)
{
	prep(b, 4, n + 1);
	uint8_t nul = 0;
	push(b, &nul, 1);
	push(b, s, n);
	uint32_t len = (uint32_t)n;
	push(b, &len, 4);
	return (fb_ref)b->size;
}

fb_ref fb_create_refs(struct fb_builder *b, const fb_ref *refs, size_t n)
{
	prep(b, 4, 4 * n);
	for (size_t i = n; i-- > 0;)
		push_uoffset(b, refs[i]);
	uint32_t len = (uint32_t)n;
	push(b, &len, 4);
	return (fb_ref)b->size;
}

fb_ref fb_create_structs(struct fb_builder *b, const void *elems, size_t elem, size_t n,
			 size_t align)
{
	prep(b, 4, elem * n);
	prep(b, align, elem * n);
	if (n)
		push(b, elems, elem * n);
	uint32_t len = (uint32_t)n;
	push(b, &len, 4);
	return (fb_ref)b->size;
}

void fb_start(struct fb_builder *b)
{
	if (b->in_table && !b->rc)
		b->rc = TARN_EINTERNAL;
	b->in_table = true;
	b->table_start = b->size;
	b->n_slots = 0;
	memset(b->slot_off, 0, sizeof b->slot_off);
}

static void mark(struct fb_builder *b, int slot)
{
	if (slot < 0 || slot >= FB_MAX_SLOTS || !b->in_table) {
		if (!b->rc)
			b->rc = TARN_EINTERNAL;
		return;
	}
	b->slot_off[slot] = (uint32_t)b->size;
	if (slot + 1 > b->n_slots)
		b->n_slots = slot + 1;
}

static void add_scalar(struct fb_builder *b, int slot, const void *v, size_t n)
{
	prep(b, n, 0);
	push(b, v, n);
	mark(b, slot);
}

void fb_add_u8(struct fb_builder *b, int slot, uint8_t v)
{
	add_scalar(b, slot, &v, 1);
}

void fb_add_i16(struct fb_builder *b, int slot, int16_t v)
{
	add_scalar(b, slot, &v, 2);
}

void fb_add_i32(struct fb_builder *b, int slot, int32_t v)
{
	add_scalar(b, slot, &v, 4);
}

void fb_add_i64(struct fb_builder *b, int slot, int64_t v)
{
	add_scalar(b, slot, &v, 8);
}

void fb_add_ref(struct fb_builder *b, int slot, fb_ref r)
{
	if (!r)
		return;
	push_uoffset(b, r);
	mark(b, slot);
}

fb_ref fb_end(struct fb_builder *b)
{
	int32_t zero = 0;
	prep(b, 4, 0);
	push(b, &zero, 4);
	size_t table_obj = b->size;
	size_t tbl_len = table_obj - b->table_start;
	for (int s = b->n_slots; s-- > 0;) {
		uint16_t off = b->slot_off[s] ? (uint16_t)(table_obj - b->slot_off[s]) : 0;
		prep(b, 2, 0);
		push(b, &off, 2);
	}
	uint16_t tl = (uint16_t)tbl_len, vl = (uint16_t)(4 + 2 * b->n_slots);
	push(b, &tl, 2);
	push(b, &vl, 2);
	if (!b->rc) {
		int32_t so = (int32_t)(b->size - table_obj);
		memcpy(b->buf + b->cap - table_obj, &so, 4);
	}
	b->in_table = false;
	return (fb_ref)table_obj;
}

tarn_rc fb_finish(struct fb_builder *b, fb_ref root, const uint8_t **p, size_t *n)
{
	if (b->minalign < 8)
		b->minalign = 8;
	prep(b, b->minalign, 4);
	push_uoffset(b, root);
	if (b->rc)
		return b->rc;
	*p = b->buf + b->cap - b->size;
	*n = b->size;
	return TARN_OK;
}
