/*
 * thrift.c — TCompactProtocol reader and writer (see thrift.h).
 *
 * Wire facts used here (Thrift compact protocol spec): integers are zigzag
 * ULEB128 varints (i16/i32/i64), i8 is one raw byte, double is 8 bytes little
 * endian, binary is a varint length then the bytes. A field header is one
 * byte `delta<<4 | type` when the id grows by 1..15 from the previous field,
 * else `type` followed by the id as a zigzag i16. Bool fields carry their
 * value in the header type (1 true, 2 false); bool list elements are a byte
 * (1 = true; 0 and 2 are read as false, as writers differ). Lists and sets:
 * `size<<4 | elem` for size < 15, else `0xF0 | elem` then a varint size.
 * Maps: varint size, then `key<<4 | value` types when the size is nonzero.
 */
#include "formats/parquet/thrift.h"

#include <string.h>

#include "base/err.h"

void thrift_in_init(struct thrift_in *in, const void *p, size_t n)
{
	in->start = p;
	in->p = p;
	in->end = in->start + n;
	in->depth = 0;
	in->bad = false;
	in->why = NULL;
	in->bad_at = 0;
}

void thrift_fail(struct thrift_in *in, const char *why)
{
	if (in->bad)
		return;
	in->bad = true;
	in->why = why;
	in->bad_at = thrift_offset(in);
	/* Every later read sees no bytes left and returns zero. */
	in->p = in->end;
}

uint64_t thrift_varint(struct thrift_in *in)
{
	uint64_t v = 0;
	for (int shift = 0; shift < 70; shift += 7) {
		if (UNLIKELY(in->p >= in->end)) {
			thrift_fail(in, "truncated varint");
			return 0;
		}
		uint8_t b = *in->p++;
		if (shift == 63 && (b & 0x7e)) {
			thrift_fail(in, "varint overflows 64 bits");
			return 0;
		}
		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			return v;
	}
	thrift_fail(in, "varint longer than 10 bytes");
	return 0;
}

int64_t thrift_i64(struct thrift_in *in)
{
	uint64_t z = thrift_varint(in);
	return (int64_t)(z >> 1) ^ -(int64_t)(z & 1);
}

int32_t thrift_i32(struct thrift_in *in)
{
	int64_t v = thrift_i64(in);
	if (v < INT32_MIN || v > INT32_MAX) {
		thrift_fail(in, "i32 value out of range");
		return 0;
	}
	return (int32_t)v;
}

int8_t thrift_i8(struct thrift_in *in)
{
	if (in->p >= in->end) {
		thrift_fail(in, "truncated i8");
		return 0;
	}
	return (int8_t)*in->p++;
}

double thrift_double(struct thrift_in *in)
{
	if (in->end - in->p < 8) {
		thrift_fail(in, "truncated double");
		return 0;
	}
	uint64_t u = 0;
	for (int i = 7; i >= 0; i--)
		u = (u << 8) | in->p[i];
	in->p += 8;
	double d;
	memcpy(&d, &u, 8);
	return d;
}

const uint8_t *thrift_binary(struct thrift_in *in, size_t *n)
{
	uint64_t len = thrift_varint(in);
	if (len > (uint64_t)(in->end - in->p)) {
		thrift_fail(in, "binary length runs past the end");
		*n = 0;
		return in->p;
	}
	const uint8_t *p = in->p;
	in->p += len;
	*n = (size_t)len;
	return p;
}

bool thrift_bool_elem(struct thrift_in *in)
{
	return thrift_i8(in) == 1;
}

int64_t thrift_list(struct thrift_in *in, int *elem_type)
{
	if (in->p >= in->end) {
		thrift_fail(in, "truncated list header");
		*elem_type = 0;
		return 0;
	}
	uint8_t h = *in->p++;
	*elem_type = h & 0x0f;
	uint64_t n = h >> 4;
	if (n == 15)
		n = thrift_varint(in);
	/* Every element takes at least one byte: a cheap, exact-enough cap that
	 * keeps hostile counts from driving allocations. */
	if (n > (uint64_t)(in->end - in->p)) {
		thrift_fail(in, "list count larger than the bytes left");
		return 0;
	}
	if (*elem_type == THRIFT_STOP || *elem_type == THRIFT_TRUE) {
		/* 1 is accepted as a bool element type by some writers. */
		if (*elem_type == THRIFT_TRUE) {
			*elem_type = THRIFT_BOOL;
		} else if (n) {
			thrift_fail(in, "bad list element type");
			return 0;
		}
	}
	return (int64_t)n;
}

bool thrift_struct_begin(struct thrift_in *in, struct thrift_field *f)
{
	f->last = 0;
	f->id = 0;
	f->type = 0;
	if (++in->depth > THRIFT_MAX_DEPTH) {
		thrift_fail(in, "structs nested too deeply");
		return false;
	}
	return !in->bad;
}

void thrift_struct_end(struct thrift_in *in)
{
	in->depth--;
}

bool thrift_next_field(struct thrift_in *in, struct thrift_field *f)
{
	if (in->p >= in->end) {
		thrift_fail(in, "truncated struct (no stop field)");
		return false;
	}
	uint8_t h = *in->p++;
	if (h == 0)
		return false;
	f->type = h & 0x0f;
	int delta = h >> 4;
	if (delta)
		f->id = (int16_t)(f->last + delta);
	else {
		int64_t id = thrift_i64(in);
		if (id < INT16_MIN || id > INT16_MAX) {
			thrift_fail(in, "field id out of range");
			return false;
		}
		f->id = (int16_t)id;
	}
	f->last = f->id;
	if (f->type > THRIFT_UUID) {
		thrift_fail(in, "unknown field type");
		return false;
	}
	return !in->bad;
}

void thrift_skip(struct thrift_in *in, int type)
{
	if (in->bad)
		return;
	switch (type) {
	case THRIFT_TRUE:
	case THRIFT_FALSE:
		/* A bool field: value was in the header. As a list element the
		 * caller passes THRIFT_BOOL (== FALSE) and we take one byte, which
		 * is handled by the list case below. */
		return;
	case THRIFT_I8: (void)thrift_i8(in); return;
	case THRIFT_I16:
	case THRIFT_I32:
	case THRIFT_I64: (void)thrift_varint(in); return;
	case THRIFT_DOUBLE: (void)thrift_double(in); return;
	case THRIFT_BINARY: {
		size_t n;
		(void)thrift_binary(in, &n);
		return;
	}
	case THRIFT_UUID:
		if (in->end - in->p < 16)
			thrift_fail(in, "truncated uuid");
		else
			in->p += 16;
		return;
	case THRIFT_LIST:
	case THRIFT_SET: {
		int et;
		int64_t n = thrift_list(in, &et);
		if (++in->depth > THRIFT_MAX_DEPTH) {
			thrift_fail(in, "lists nested too deeply");
			return;
		}
		for (int64_t i = 0; i < n && !in->bad; i++) {
			if (et == THRIFT_BOOL)
				(void)thrift_i8(in);
			else
				thrift_skip(in, et);
		}
		in->depth--;
		return;
	}
	case THRIFT_MAP: {
		uint64_t n = thrift_varint(in);
		if (n == 0)
			return;
		if (n > (uint64_t)(in->end - in->p)) {
			thrift_fail(in, "map count larger than the bytes left");
			return;
		}
		int kt = thrift_i8(in) & 0xff;
		int vt = kt & 0x0f;
		kt >>= 4;
		if (++in->depth > THRIFT_MAX_DEPTH) {
			thrift_fail(in, "maps nested too deeply");
			return;
		}
		for (uint64_t i = 0; i < n && !in->bad; i++) {
			if (kt == THRIFT_BOOL || kt == THRIFT_TRUE)
				(void)thrift_i8(in);
			else
				thrift_skip(in, kt);
			if (vt == THRIFT_BOOL || vt == THRIFT_TRUE)
				(void)thrift_i8(in);
			else
				thrift_skip(in, vt);
		}
		in->depth--;
		return;
	}
	case THRIFT_STRUCT: {
		struct thrift_field f;
		if (!thrift_struct_begin(in, &f))
			return;
		while (thrift_next_field(in, &f))
			thrift_skip(in, f.type);
		thrift_struct_end(in);
		return;
	}
	default: thrift_fail(in, "unknown type"); return;
	}
}

/* ---- writing ----------------------------------------------------------------- */

void thrift_out_init(struct thrift_out *o, struct tarn_buf *b)
{
	o->b = b;
	o->rc = TARN_OK;
	o->depth = 0;
	o->last[0] = 0;
}

static void put(struct thrift_out *o, const void *p, size_t n)
{
	if (o->rc)
		return;
	o->rc = tarn_buf_append(o->b, p, n);
}

void thrift_w_varint(struct thrift_out *o, uint64_t v)
{
	uint8_t tmp[10];
	size_t n = 0;
	while (v >= 0x80) {
		tmp[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	tmp[n++] = (uint8_t)v;
	put(o, tmp, n);
}

static void w_zigzag(struct thrift_out *o, int64_t v)
{
	thrift_w_varint(o, ((uint64_t)v << 1) ^ (v < 0 ? ~(uint64_t)0 : 0));
}

void thrift_w_field(struct thrift_out *o, int type, int16_t id)
{
	int16_t *last = &o->last[o->depth];
	int delta = id - *last;
	if (delta > 0 && delta <= 15) {
		uint8_t h = (uint8_t)(delta << 4 | type);
		put(o, &h, 1);
	} else {
		uint8_t h = (uint8_t)type;
		put(o, &h, 1);
		w_zigzag(o, id);
	}
	*last = id;
}

void thrift_w_i32(struct thrift_out *o, int16_t id, int32_t v)
{
	thrift_w_field(o, THRIFT_I32, id);
	w_zigzag(o, v);
}

void thrift_w_i64(struct thrift_out *o, int16_t id, int64_t v)
{
	thrift_w_field(o, THRIFT_I64, id);
	w_zigzag(o, v);
}

void thrift_w_i8(struct thrift_out *o, int16_t id, int8_t v)
{
	thrift_w_field(o, THRIFT_I8, id);
	put(o, &v, 1);
}

void thrift_w_bool(struct thrift_out *o, int16_t id, bool v)
{
	thrift_w_field(o, v ? THRIFT_TRUE : THRIFT_FALSE, id);
}

void thrift_w_double(struct thrift_out *o, int16_t id, double v)
{
	thrift_w_field(o, THRIFT_DOUBLE, id);
	uint64_t u;
	memcpy(&u, &v, 8);
	uint8_t b[8];
	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(u >> (8 * i));
	put(o, b, 8);
}

void thrift_w_binary(struct thrift_out *o, int16_t id, const void *p, size_t n)
{
	thrift_w_field(o, THRIFT_BINARY, id);
	thrift_e_binary(o, p, n);
}

static void push(struct thrift_out *o)
{
	if (o->depth >= THRIFT_MAX_DEPTH) {
		if (!o->rc)
			o->rc = TARN_ELIMIT;
		return;
	}
	o->last[++o->depth] = 0;
}

void thrift_w_struct_begin(struct thrift_out *o, int16_t id)
{
	thrift_w_field(o, THRIFT_STRUCT, id);
	push(o);
}

void thrift_w_struct_end(struct thrift_out *o)
{
	uint8_t z = 0;
	put(o, &z, 1);
	if (o->depth > 0)
		o->depth--;
}

void thrift_w_root_begin(struct thrift_out *o)
{
	o->depth = 0;
	o->last[0] = 0;
}

void thrift_w_root_end(struct thrift_out *o)
{
	uint8_t z = 0;
	put(o, &z, 1);
}

void thrift_w_list(struct thrift_out *o, int16_t id, int elem_type, int64_t n)
{
	thrift_w_field(o, THRIFT_LIST, id);
	if (n < 15) {
		uint8_t h = (uint8_t)(n << 4 | elem_type);
		put(o, &h, 1);
	} else {
		uint8_t h = (uint8_t)(0xf0 | elem_type);
		put(o, &h, 1);
		thrift_w_varint(o, (uint64_t)n);
	}
}

void thrift_e_i32(struct thrift_out *o, int32_t v)
{
	w_zigzag(o, v);
}

void thrift_e_i64(struct thrift_out *o, int64_t v)
{
	w_zigzag(o, v);
}

void thrift_e_bool(struct thrift_out *o, bool v)
{
	uint8_t b = v ? 1 : 0;
	put(o, &b, 1);
}

void thrift_e_binary(struct thrift_out *o, const void *p, size_t n)
{
	thrift_w_varint(o, n);
	put(o, p, n);
}

void thrift_e_struct_begin(struct thrift_out *o)
{
	push(o);
}
