/*
 * pb_read.c — the protobuf reader: a stream of varint-length-delimited
 * messages (Java writeDelimitedTo, Python _VarintBytes(len) + bytes, C++
 * SerializeDelimitedTo) decoded straight into column builders, one row per
 * message.
 *
 * Decoding works per message in two steps over the compiled tree
 * (pb_schema.c):
 *   scan    walks the message's fields once. A field number is looked up in
 *           the message's dense table (binary search past 4095). Repeated
 *           fields are appended to their list child at once (wire order is
 *           value order; packed and unpacked both accepted). Singular fields
 *           only note where their last value is, in the message's slots, so
 *           "last one wins" costs nothing; a singular message that occurs
 *           more than once is kept as a chain of segments and decoded as
 *           their concatenation (protobuf's merge rule).
 *   finish  appends one value per singular field in column order: the noted
 *           value, else the default (implicit presence), null (explicit),
 *           or an error (required); sub-messages decode recursively.
 * Unknown fields (and known numbers with an unexpected wire type, as
 * libprotobuf treats them) are skipped, groups included.
 *
 * Design notes
 *  1. A slot is "set" when its generation equals the generation of the
 *     current decode of its message; every decode takes a new generation, so
 *     slots never need clearing (all are cleared if the counter wraps).
 *  2. A oneof keeps the generation and field of its last member seen; only
 *     that member is non-null, and a member seen again after another one
 *     starts fresh (setting a member clears the others).
 *  3. No allocation per value: builders grow by doubling, segments live in a
 *     vector reused across messages, strings are validated in place.
 *
 * Errors name the message's index (from 0) and the byte offset in the
 * stream, and the field. Thread-safety: a reader belongs to one thread.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "base/pool.h"
#include "columnar/utf8.h"
#include "formats/protobuf/pb_int.h"
#include "formats/protobuf/pb_src.h"

extern const struct tarn_format tarn_format_protobuf;

#define BATCH_BYTES ((int64_t)64 << 20)

struct seg {
	const uint8_t *p;
	uint32_t n;
	int32_t next;
};

struct slot {
	uint32_t gen;
	uint32_t n;
	uint64_t v;
	const uint8_t *p;
	int32_t head, tail; /* segment chain, -1 when the value is p/n alone */
};

struct winner {
	uint32_t gen;
	int32_t field;
};

struct dec {
	const struct pb_schema *s;
	struct tarn_array **arr;
	struct slot *slots;
	struct winner *oneofs;
	uint32_t gen;
	struct seg *segs;
	int32_t n_segs, cap_segs;
	/* error context */
	const uint8_t *msg_start;
	int64_t msg_off, msg_index;
	struct tarn_err *err;
};

static tarn_rc fail(struct dec *d, const uint8_t *at, const struct pb_msg *m,
		    const struct pb_field *f, const char *why)
{
	int64_t off = d->msg_off + (at ? (int64_t)(at - d->msg_start) : 0);
	if (f)
		return tarn_err_set(d->err, TARN_EDATA,
				    "message %" PRId64 " at byte %" PRId64 ": field %s.%s (number "
				    "%u): %s",
				    d->msg_index, off, m->full_name, f->name, f->number, why);
	return tarn_err_set(d->err, TARN_EDATA,
			    "message %" PRId64 " at byte %" PRId64 ": %s (in %s)", d->msg_index,
			    off, why, m->full_name);
}

static tarn_rc oom(struct dec *d, tarn_rc rc)
{
	if (rc == TARN_ELIMIT)
		return tarn_err_set(d->err, TARN_ELIMIT,
				    "message %" PRId64 ": a column grew past its size limit "
				    "(2 GiB of strings or too many values in one batch)",
				    d->msg_index);
	return tarn_err_nomem(d->err, "protobuf reader");
}

static uint32_t next_gen(struct dec *d)
{
	if (UNLIKELY(++d->gen == 0)) {
		for (int i = 0; i < d->s->n_slots; i++)
			d->slots[i].gen = 0;
		for (int i = 0; i < d->s->n_oneofs; i++)
			d->oneofs[i].gen = 0;
		d->gen = 1;
	}
	return d->gen;
}

/* ---- appending values --------------------------------------------------------- */

static inline tarn_rc room1(struct tarn_array *a)
{
	if (UNLIKELY(a->length >= a->cap))
		return tarn_array_reserve(a, 1);
	return TARN_OK;
}

static inline void done1(struct tarn_array *a)
{
	if (a->validity)
		tarn_bit_set(a->validity, a->length, true);
	a->length++;
}

#define PUT(a, T, x)                                           \
	do {                                                   \
		T put_v_ = (x);                                \
		memcpy((a)->values + (a)->length * sizeof(T), &put_v_, sizeof(T)); \
	} while (0)

/* Appends one value of field f (its wire value v, or bytes p/n). */
static tarn_rc put_scalar(struct dec *d, const struct pb_msg *m, const struct pb_field *f,
			  struct tarn_array *a, uint64_t v, const uint8_t *p, uint32_t n)
{
	tarn_rc rc;
	switch (f->type) {
	case PB_STRING: {
		size_t bad;
		if (UNLIKELY(!tarn_utf8_valid(p, n, &bad))) {
			char why[96];
			snprintf(why, sizeof why, "invalid UTF-8 at byte %zu of the string", bad);
			return fail(d, p + bad, m, f, why);
		}
	}
		/* fall through */
	case PB_BYTES:
		rc = tarn_array_append_bytes(a, p, n);
		return rc ? oom(d, rc) : TARN_OK;
	case PB_ENUM:
		if (!d->s->opts.enums_as_int) {
			const struct pbd_enum_value *ev = pb_enum_by_number(f->en, (int32_t)v);
			if (ev)
				rc = tarn_array_append_bytes(a, ev->name, ev->len);
			else {
				/* An open enum's unknown number: its digits, as
				 * protobuf's JSON printer does. */
				char num[16];
				int k = snprintf(num, sizeof num, "%d", (int)(int32_t)v);
				rc = tarn_array_append_bytes(a, num, (size_t)k);
			}
			return rc ? oom(d, rc) : TARN_OK;
		}
		break;
	default: break;
	}
	if ((rc = room1(a)))
		return oom(d, rc);
	switch (f->type) {
	case PB_INT32:
	case PB_SFIXED32:
	case PB_ENUM: PUT(a, int32_t, (int32_t)(uint32_t)v); break;
	case PB_SINT32: PUT(a, int32_t, pb_unzig32((uint32_t)v)); break;
	case PB_UINT32:
	case PB_FIXED32: PUT(a, uint32_t, (uint32_t)v); break;
	case PB_INT64:
	case PB_SFIXED64: PUT(a, int64_t, (int64_t)v); break;
	case PB_SINT64: PUT(a, int64_t, pb_unzig64(v)); break;
	case PB_UINT64:
	case PB_FIXED64: PUT(a, uint64_t, v); break;
	case PB_FLOAT: PUT(a, uint32_t, (uint32_t)v); break;
	case PB_DOUBLE: PUT(a, uint64_t, v); break;
	case PB_BOOL: tarn_bit_set(a->values, a->length, v != 0); break;
	default: return fail(d, NULL, m, f, "internal: not a scalar");
	}
	done1(a);
	return TARN_OK;
}

/* The value an absent field reads as: its declared default, else zero. */
static tarn_rc put_default(struct dec *d, const struct pb_msg *m, const struct pb_field *f,
			   struct tarn_array *a)
{
	uint64_t v = 0;
	const uint8_t *p = (const uint8_t *)"";
	uint32_t n = 0;
	if (f->has_default) {
		switch (f->type) {
		case PB_FLOAT: {
			float x = (float)f->def.d;
			uint32_t u;
			memcpy(&u, &x, 4);
			v = u;
			break;
		}
		case PB_DOUBLE: memcpy(&v, &f->def.d, 8); break;
		case PB_BOOL: v = f->def.b; break;
		case PB_UINT32:
		case PB_FIXED32:
		case PB_UINT64:
		case PB_FIXED64: v = f->def.u; break;
		case PB_SINT32: v = pb_zig32((int32_t)f->def.i); break;
		case PB_SINT64: v = pb_zig64(f->def.i); break;
		case PB_STRING:
		case PB_BYTES:
			p = (const uint8_t *)f->def_bytes;
			n = (uint32_t)f->def_len;
			break;
		default: v = (uint64_t)f->def.i; break;
		}
	} else if (f->type == PB_ENUM && f->en->n > 0) {
		/* proto2: the first declared value; proto3: it must be 0. */
		v = (uint64_t)(int64_t)f->en->values[0].number;
	}
	return put_scalar(d, m, f, a, v, p, n);
}

/* A zero row for a non-null column under an absent (null) message. */
static tarn_rc put_zero(struct dec *d, struct tarn_array *a)
{
	tarn_rc rc;
	switch (a->type->id) {
	case TARN_T_STRING:
	case TARN_T_BINARY: rc = tarn_array_append_bytes(a, "", 0); break;
	case TARN_T_BOOL: rc = tarn_array_append_bool(a, false); break;
	case TARN_T_FLOAT32:
	case TARN_T_FLOAT64: rc = tarn_array_append_double(a, 0); break;
	default: rc = tarn_array_append_int(a, 0); break;
	}
	return rc ? oom(d, rc) : TARN_OK;
}

/* One row of "nothing" for every column of message m (its parent is null):
 * nulls where allowed, empty lists, zeros elsewhere. */
static tarn_rc put_absent(struct dec *d, const struct pb_msg *m)
{
	for (int i = 0; i < m->n_fields; i++) {
		const struct pb_field *f = &m->fields[i];
		struct tarn_array *a = d->arr[f->col];
		tarn_rc rc;
		if (f->repeated) {
			rc = tarn_array_list_end(a, true);
		} else if (f->kind == PB_K_MESSAGE) {
			TRY(put_absent(d, f->msg));
			rc = tarn_array_struct_end(a, !f->nullable);
		} else if (f->nullable) {
			rc = tarn_array_append_null(a);
		} else {
			TRY(put_zero(d, a));
			rc = TARN_OK;
		}
		if (rc)
			return oom(d, rc);
	}
	return TARN_OK;
}

/* ---- well-known types ------------------------------------------------------- */

/* google.protobuf.Timestamp {int64 seconds = 1; int32 nanos = 2} over one
 * range; fields accumulate into *sec / *nanos (last wins). */
static tarn_rc ts_scan(struct dec *d, const struct pb_msg *m, const struct pb_field *f,
		       const uint8_t *p, const uint8_t *end, int64_t *sec, int32_t *nanos)
{
	while (p < end) {
		uint64_t tag, v;
		const uint8_t *at = p;
		p = pb_get_varint(p, end, &tag);
		if (!p || (tag >> 3) == 0 || tag >> 32)
			return fail(d, at, m, f, "Timestamp: bad tag");
		uint32_t num = (uint32_t)(tag >> 3);
		int wt = (int)(tag & 7);
		if ((num == 1 || num == 2) && wt == PB_WT_VARINT) {
			p = pb_get_varint(p, end, &v);
			if (!p)
				return fail(d, at, m, f, "Timestamp: truncated varint");
			if (num == 1)
				*sec = (int64_t)v;
			else
				*nanos = (int32_t)(uint32_t)v;
			continue;
		}
		const char *why = NULL;
		if (wt == PB_WT_EGROUP)
			return fail(d, at, m, f, "Timestamp: unexpected end-group tag");
		p = pb_skip(p, end, num, wt, NULL, &why);
		if (!p)
			return fail(d, at, m, f, why);
	}
	return TARN_OK;
}

static tarn_rc ts_put(struct dec *d, const struct pb_msg *m, const struct pb_field *f,
		      struct tarn_array *a, const uint8_t *at, int64_t sec, int32_t nanos)
{
	int64_t ns;
	if (__builtin_mul_overflow(sec, (int64_t)1000000000, &ns) ||
	    __builtin_add_overflow(ns, (int64_t)nanos, &ns))
		return fail(d, at, m, f,
			    "Timestamp outside the nanosecond range (years 1677 to 2262)");
	tarn_rc rc = room1(a);
	if (rc)
		return oom(d, rc);
	PUT(a, int64_t, ns);
	done1(a);
	return TARN_OK;
}

/* google.protobuf.*Value {T value = 1}: the last value of field 1. */
struct wrapped {
	uint64_t v;
	const uint8_t *p;
	uint32_t n;
};

static int scalar_wt(int type)
{
	switch (type) {
	case PB_DOUBLE:
	case PB_FIXED64:
	case PB_SFIXED64: return PB_WT_I64;
	case PB_FLOAT:
	case PB_FIXED32:
	case PB_SFIXED32: return PB_WT_I32;
	case PB_STRING:
	case PB_BYTES: return PB_WT_LEN;
	default: return PB_WT_VARINT;
	}
}

static tarn_rc wrap_scan(struct dec *d, const struct pb_msg *m, const struct pb_field *f,
			 const uint8_t *p, const uint8_t *end, struct wrapped *w)
{
	int want = scalar_wt(f->type);
	while (p < end) {
		uint64_t tag;
		const uint8_t *at = p;
		p = pb_get_varint(p, end, &tag);
		if (!p || (tag >> 3) == 0 || tag >> 32)
			return fail(d, at, m, f, "wrapper: bad tag");
		uint32_t num = (uint32_t)(tag >> 3);
		int wt = (int)(tag & 7);
		if (num == 1 && wt == want) {
			uint64_t v;
			switch (wt) {
			case PB_WT_VARINT:
				p = pb_get_varint(p, end, &w->v);
				if (!p)
					return fail(d, at, m, f, "wrapper: truncated varint");
				break;
			case PB_WT_I64:
				if (end - p < 8)
					return fail(d, at, m, f, "wrapper: truncated value");
				w->v = pb_le64(p);
				p += 8;
				break;
			case PB_WT_I32:
				if (end - p < 4)
					return fail(d, at, m, f, "wrapper: truncated value");
				w->v = pb_le32(p);
				p += 4;
				break;
			default:
				p = pb_get_varint(p, end, &v);
				if (!p || v > (uint64_t)(end - p))
					return fail(d, at, m, f, "wrapper: bad length");
				w->p = p;
				w->n = (uint32_t)v;
				p += v;
				break;
			}
			continue;
		}
		const char *why = NULL;
		if (wt == PB_WT_EGROUP)
			return fail(d, at, m, f, "wrapper: unexpected end-group tag");
		p = pb_skip(p, end, num, wt, NULL, &why);
		if (!p)
			return fail(d, at, m, f, why);
	}
	return TARN_OK;
}

/* ---- messages ------------------------------------------------------------------ */

static tarn_rc msg_decode(struct dec *d, const struct pb_msg *m, const uint8_t *p,
			  const uint8_t *end, int32_t chain);

static tarn_rc push_seg(struct dec *d, const uint8_t *p, uint32_t n, int32_t *idx)
{
	if (d->n_segs == d->cap_segs) {
		int32_t cap = d->cap_segs ? d->cap_segs * 2 : 16;
		struct seg *ns = tarn_realloc(d->segs, sizeof *ns * (size_t)cap);
		if (!ns)
			return tarn_err_nomem(d->err, "protobuf reader");
		d->segs = ns;
		d->cap_segs = cap;
	}
	d->segs[d->n_segs] = (struct seg){ p, n, -1 };
	*idx = d->n_segs++;
	return TARN_OK;
}

/* Decodes a packed run of scalars of field f into its list child. */
static tarn_rc packed(struct dec *d, const struct pb_msg *m, const struct pb_field *f,
		      const uint8_t *p, uint32_t n)
{
	struct tarn_array *a = d->arr[f->item];
	const uint8_t *end = p + n;
	tarn_rc rc;
	int w = scalar_wt(f->type);
	if (w == PB_WT_I32 || w == PB_WT_I64) {
		uint32_t size = w == PB_WT_I32 ? 4 : 8;
		if (n % size)
			return fail(d, p, m, f, "packed fixed-width values: length is not a multiple "
						"of the value size");
		uint32_t k = n / size;
		if (k == 0)
			return TARN_OK;
		if ((rc = tarn_array_reserve(a, k)))
			return oom(d, rc);
		/* Little-endian host: the wire bytes are the column bytes. */
		memcpy(a->values + (size_t)a->length * size, p, n);
		if (a->validity)
			for (uint32_t i = 0; i < k; i++)
				tarn_bit_set(a->validity, a->length + i, true);
		a->length += k;
		return TARN_OK;
	}
	/* Varints: at least one byte each. */
	if (n == 0)
		return TARN_OK;
	if ((rc = tarn_array_reserve(a, n)))
		return oom(d, rc);
	int64_t i = a->length;
	uint8_t *vals = a->values;
	while (p < end) {
		uint64_t v;
		const uint8_t *at = p;
		p = pb_get_varint(p, end, &v);
		if (UNLIKELY(!p))
			return fail(d, at, m, f, "packed varints: truncated varint");
		switch (f->type) {
		case PB_INT32: {
			int32_t x = (int32_t)(uint32_t)v;
			memcpy(vals + i * 4, &x, 4);
			break;
		}
		case PB_SINT32: {
			int32_t x = pb_unzig32((uint32_t)v);
			memcpy(vals + i * 4, &x, 4);
			break;
		}
		case PB_UINT32: {
			uint32_t x = (uint32_t)v;
			memcpy(vals + i * 4, &x, 4);
			break;
		}
		case PB_SINT64: {
			int64_t x = pb_unzig64(v);
			memcpy(vals + i * 8, &x, 8);
			break;
		}
		case PB_INT64:
		case PB_UINT64: memcpy(vals + i * 8, &v, 8); break;
		case PB_BOOL: tarn_bit_set(vals, i, v != 0); break;
		case PB_ENUM:
			a->length = i;
			TRY(put_scalar(d, m, f, a, v, NULL, 0));
			i = a->length;
			vals = a->values;
			continue;
		default: return fail(d, at, m, f, "internal: not packable");
		}
		if (a->validity)
			tarn_bit_set(a->validity, i, true);
		i++;
	}
	a->length = i;
	return TARN_OK;
}

/* One value of repeated field f; p/n is the LEN payload or group content
 * when wt is LEN/SGROUP, v the value otherwise. */
static tarn_rc repeated_value(struct dec *d, const struct pb_msg *m, const struct pb_field *f,
			      int wt, uint64_t v, const uint8_t *p, uint32_t n)
{
	struct tarn_array *a = d->arr[f->item];
	tarn_rc rc;
	switch (f->kind) {
	case PB_K_MESSAGE:
		TRY(msg_decode(d, f->msg, p, p + n, -1));
		rc = tarn_array_struct_end(a, true);
		return rc ? oom(d, rc) : TARN_OK;
	case PB_K_TIMESTAMP: {
		int64_t sec = 0;
		int32_t nanos = 0;
		TRY(ts_scan(d, m, f, p, p + n, &sec, &nanos));
		return ts_put(d, m, f, a, p, sec, nanos);
	}
	case PB_K_WRAPPER: {
		struct wrapped w = { 0, (const uint8_t *)"", 0 };
		TRY(wrap_scan(d, m, f, p, p + n, &w));
		return put_scalar(d, m, f, a, w.v, w.p, w.n);
	}
	case PB_K_RAW:
		rc = tarn_array_append_bytes(a, p, n);
		return rc ? oom(d, rc) : TARN_OK;
	default: break;
	}
	if (wt == PB_WT_LEN && f->wt != PB_WT_LEN)
		return packed(d, m, f, p, n);
	return put_scalar(d, m, f, a, v, p, n);
}

/* Walks the fields of one range of message m (design notes 1, 2). */
static tarn_rc scan(struct dec *d, const struct pb_msg *m, uint32_t gen, const uint8_t *p,
		    const uint8_t *end)
{
	struct slot *slots = d->slots + m->slot_base;
	while (p < end) {
		const uint8_t *at = p;
		uint64_t tag;
		p = pb_get_varint(p, end, &tag);
		if (UNLIKELY(!p))
			return fail(d, at, m, NULL, "truncated tag");
		uint32_t num = (uint32_t)(tag >> 3);
		int wt = (int)(tag & 7);
		if (UNLIKELY(num == 0 || tag >> 32))
			return fail(d, at, m, NULL, "invalid field number");
		int fi = pb_msg_lookup(m, num);
		const struct pb_field *f = fi >= 0 ? &m->fields[fi] : NULL;
		if (UNLIKELY(!f || (wt != f->wt && !(f->repeated && wt == PB_WT_LEN &&
						    f->kind == PB_K_SCALAR &&
						    f->wt != PB_WT_LEN)))) {
			/* Unknown field, or a wire type the field cannot
			 * have: skipped, as libprotobuf keeps it unknown. */
			if (wt == PB_WT_EGROUP)
				return fail(d, at, m, NULL, "end-group tag outside a group");
			const char *why = NULL;
			p = pb_skip(p, end, num, wt, NULL, &why);
			if (!p)
				return fail(d, at, m, f, why);
			continue;
		}
		uint64_t v = 0;
		const uint8_t *vp = NULL;
		uint32_t vn = 0;
		switch (wt) {
		case PB_WT_VARINT:
			p = pb_get_varint(p, end, &v);
			if (UNLIKELY(!p))
				return fail(d, at, m, f, "truncated or overlong varint");
			break;
		case PB_WT_I64:
			if (UNLIKELY(end - p < 8))
				return fail(d, at, m, f, "truncated 8-byte value");
			v = pb_le64(p);
			p += 8;
			break;
		case PB_WT_I32:
			if (UNLIKELY(end - p < 4))
				return fail(d, at, m, f, "truncated 4-byte value");
			v = pb_le32(p);
			p += 4;
			break;
		case PB_WT_LEN:
			p = pb_get_varint(p, end, &v);
			if (UNLIKELY(!p))
				return fail(d, at, m, f, "truncated length");
			if (UNLIKELY(v > (uint64_t)(end - p))) {
				char why[128];
				snprintf(why, sizeof why,
					 "length %" PRIu64 " runs past the end of the message "
					 "(%zu bytes left)",
					 v, (size_t)(end - p));
				return fail(d, at, m, f, why);
			}
			vp = p;
			vn = (uint32_t)v;
			p += v;
			break;
		default: { /* SGROUP of a group field */
			const char *why = NULL;
			const uint8_t *ge = NULL;
			const uint8_t *q = pb_skip(p, end, num, wt, &ge, &why);
			if (!q)
				return fail(d, at, m, f, why);
			vp = p;
			vn = (uint32_t)(ge - p);
			p = q;
			break;
		}
		}
		if (f->repeated) {
			TRY(repeated_value(d, m, f, wt, v, vp, vn));
			continue;
		}
		struct slot *s = &slots[fi];
		bool fresh = s->gen != gen;
		if (f->oneof >= 0) {
			struct winner *w = &d->oneofs[m->oneof_base + f->oneof];
			if (w->gen == gen && w->field != fi)
				fresh = true;
			w->gen = gen;
			w->field = fi;
		}
		if (vp && f->kind != PB_K_SCALAR && !fresh) {
			/* A sub-message seen again: merge (design note 1). */
			if (s->head < 0) {
				TRY(push_seg(d, s->p, s->n, &s->head));
				s->tail = s->head;
			}
			int32_t k;
			TRY(push_seg(d, vp, vn, &k));
			d->segs[s->tail].next = k;
			s->tail = k;
			continue;
		}
		s->gen = gen;
		s->v = v;
		s->p = vp;
		s->n = vn;
		s->head = -1;
	}
	return TARN_OK;
}

/* Runs `body` over the ranges of a slot's value: p/n alone or its chain. */
#define FOR_RANGES(d, s, P, E, body)                                              \
	do {                                                                      \
		if ((s)->head < 0) {                                              \
			const uint8_t *P = (s)->p, *E = (s)->p + (s)->n;          \
			body;                                                     \
		} else {                                                          \
			for (int32_t k_ = (s)->head; k_ >= 0; k_ = (d)->segs[k_].next) { \
				const uint8_t *P = (d)->segs[k_].p;               \
				const uint8_t *E = P + (d)->segs[k_].n;           \
				body;                                             \
			}                                                         \
		}                                                                 \
	} while (0)

static tarn_rc finish(struct dec *d, const struct pb_msg *m, uint32_t gen)
{
	const struct slot *slots = d->slots + m->slot_base;
	for (int i = 0; i < m->n_fields; i++) {
		const struct pb_field *f = &m->fields[i];
		struct tarn_array *a = d->arr[f->col];
		tarn_rc rc;
		if (f->repeated) {
			if ((rc = tarn_array_list_end(a, true)))
				return oom(d, rc);
			continue;
		}
		const struct slot *s = &slots[i];
		bool seen = s->gen == gen;
		if (seen && f->oneof >= 0) {
			const struct winner *w = &d->oneofs[m->oneof_base + f->oneof];
			seen = w->gen == gen && w->field == i;
		}
		if (!seen && f->presence == PB_REQUIRED) {
			char why[160];
			snprintf(why, sizeof why, "required field '%s' is missing", f->name);
			return fail(d, NULL, m, NULL, why);
		}
		switch (f->kind) {
		case PB_K_SCALAR:
			if (seen) {
				TRY(put_scalar(d, m, f, a, s->v, s->p, s->n));
			} else if (f->nullable) {
				if ((rc = tarn_array_append_null(a)))
					return oom(d, rc);
			} else {
				TRY(put_default(d, m, f, a));
			}
			break;
		case PB_K_MESSAGE:
			if (seen || m->map_entry) {
				if (seen)
					TRY(msg_decode(d, f->msg, s->p, s->p + s->n, s->head));
				else
					TRY(msg_decode(d, f->msg, NULL, NULL, -1));
				if ((rc = tarn_array_struct_end(a, true)))
					return oom(d, rc);
			} else {
				TRY(put_absent(d, f->msg));
				if ((rc = tarn_array_struct_end(a, false)))
					return oom(d, rc);
			}
			break;
		case PB_K_TIMESTAMP:
			if (seen) {
				int64_t sec = 0;
				int32_t nanos = 0;
				FOR_RANGES(d, s, P, E, TRY(ts_scan(d, m, f, P, E, &sec, &nanos)));
				TRY(ts_put(d, m, f, a, s->p, sec, nanos));
			} else if (f->nullable) {
				if ((rc = tarn_array_append_null(a)))
					return oom(d, rc);
			} else {
				TRY(ts_put(d, m, f, a, NULL, 0, 0));
			}
			break;
		case PB_K_WRAPPER:
			if (seen) {
				struct wrapped w = { 0, (const uint8_t *)"", 0 };
				FOR_RANGES(d, s, P, E, TRY(wrap_scan(d, m, f, P, E, &w)));
				TRY(put_scalar(d, m, f, a, w.v, w.p, w.n));
			} else if (f->nullable) {
				if ((rc = tarn_array_append_null(a)))
					return oom(d, rc);
			} else {
				TRY(put_scalar(d, m, f, a, 0, (const uint8_t *)"", 0));
			}
			break;
		default: /* PB_K_RAW */
			if (seen) {
				uint64_t total = 0;
				FOR_RANGES(d, s, P, E, total += (uint64_t)(E - P));
				if (total > (uint64_t)TARN_ARRAY_MAX_BYTES)
					return oom(d, TARN_ELIMIT);
				if ((rc = tarn_array_reserve_bytes(a, (int64_t)total)) ||
				    (rc = room1(a)))
					return oom(d, rc);
				FOR_RANGES(d, s, P, E, {
					if (E > P)
						memcpy(a->values + a->values_len, P, (size_t)(E - P));
					a->values_len += E - P;
				});
				a->offsets[a->length + 1] = (int32_t)a->values_len;
				done1(a);
			} else if (f->nullable) {
				if ((rc = tarn_array_append_null(a)))
					return oom(d, rc);
			} else {
				if ((rc = tarn_array_append_bytes(a, "", 0)))
					return oom(d, rc);
			}
			break;
		}
	}
	return TARN_OK;
}

/* Decodes message m from [p, end), or from segment chain `chain` when >= 0,
 * appending one row to each of its columns. */
static tarn_rc msg_decode(struct dec *d, const struct pb_msg *m, const uint8_t *p,
			  const uint8_t *end, int32_t chain)
{
	uint32_t gen = next_gen(d);
	if (chain < 0) {
		if (p)
			TRY(scan(d, m, gen, p, end));
	} else {
		for (int32_t k = chain; k >= 0; k = d->segs[k].next)
			TRY(scan(d, m, gen, d->segs[k].p, d->segs[k].p + d->segs[k].n));
	}
	return finish(d, m, gen);
}

/* ---- the reader ------------------------------------------------------------------ */

/*
 * The reader works in rounds. A round walks the framing (varint lengths
 * only) of up to batch-rows messages, splits them into morsels of
 * consecutive messages, and decodes each morsel into its own batch on the
 * worker pool; the batches are handed out in order. The bytes of a round
 * stay in the window (or the map) until every morsel is decoded. An error
 * (framing or decoding) is reported after the batches of the messages before
 * it.
 */
#define MAX_MORSELS 64
/* Rounds smaller than this decode on the calling thread in one morsel. */
#define MIN_PARALLEL_MSGS 4096

struct morsel {
	struct tarn_task task;
	struct pb_reader *r;
	struct dec *dec;
	const uint8_t *p; /* first message's length prefix */
	int64_t first_msg, first_off, count;
	struct tarn_batch *out;
	tarn_rc rc;
	struct tarn_err err;
};

struct pb_reader {
	struct tarn_reader base;
	struct pb_schema *ps;
	struct pb_src src;
	int n_decs;
	struct dec decs[MAX_MORSELS];
	struct morsel morsels[MAX_MORSELS];
	int64_t batch_rows, max_message;
	int64_t n_msgs;
	/* batches of the current round not yet handed out, then its error */
	struct tarn_batch *queue[MAX_MORSELS];
	int next_out, n_out;
	tarn_rc pending_rc;
	struct tarn_err pending_err;
	bool done;
};

static void bind(struct dec *d, struct tarn_array *a, int *k)
{
	d->arr[(*k)++] = a;
	for (int i = 0; i < a->n_children; i++)
		bind(d, a->children[i], k);
}

static void decode_morsel(void *arg)
{
	struct morsel *mo = arg;
	struct dec *d = mo->dec;
	tarn_err_clear(&mo->err);
	d->err = &mo->err;
	mo->out = NULL;
	struct tarn_batch *b = NULL;
	mo->rc = tarn_batch_new(mo->r->ps->schema, mo->count, &b);
	if (mo->rc) {
		mo->rc = tarn_err_nomem(&mo->err, "protobuf batch");
		return;
	}
	int k = 0;
	for (int c = 0; c < b->n_cols; c++)
		bind(d, b->cols[c], &k);
	const uint8_t *p = mo->p;
	int64_t off = mo->first_off;
	for (int64_t i = 0; i < mo->count; i++) {
		uint64_t len;
		/* the framing pass checked every prefix and length */
		const uint8_t *q = pb_get_varint(p, p + 10, &len);
		d->msg_start = q;
		d->msg_off = off + (q - p);
		d->msg_index = mo->first_msg + i;
		d->n_segs = 0;
		mo->rc = msg_decode(d, mo->r->ps->root, q, q + len, -1);
		if (mo->rc)
			break;
		off += (int64_t)(q - p) + (int64_t)len;
		p = q + len;
	}
	if (!mo->rc)
		mo->rc = tarn_batch_seal(b, &mo->err);
	if (mo->rc) {
		tarn_batch_free(b);
		return;
	}
	mo->out = b;
}

/* Walks the framing of the next round; decodes it; queues the batches. */
static tarn_rc round_start(struct pb_reader *r, struct tarn_err *err)
{
	r->next_out = r->n_out = 0;
	const uint8_t *base = NULL;
	size_t avail = 0, pos = 0;
	int64_t count = 0;
	tarn_rc frc = TARN_OK;
	struct tarn_err ferr;
	tarn_err_clear(&ferr);
	while (count < r->batch_rows && pos < (size_t)BATCH_BYTES) {
		TRY(pb_src_fill(&r->src, pos + 10, &base, &avail, err));
		if (avail == pos) {
			r->done = true;
			break;
		}
		uint64_t len;
		const uint8_t *q = pb_get_varint(base + pos, base + avail, &len);
		int64_t at = r->src.off + (int64_t)pos;
		if (!q) {
			frc = tarn_err_set(&ferr, TARN_EDATA,
					   "message %" PRId64 " at byte %" PRId64 ": %s length prefix",
					   r->n_msgs + count, at,
					   avail - pos < 10 ? "truncated" : "overlong (more than 10 bytes)");
			break;
		}
		size_t hdr = (size_t)(q - (base + pos));
		if (len > (uint64_t)r->max_message) {
			frc = tarn_err_set(&ferr, TARN_ELIMIT,
					   "message %" PRId64 " at byte %" PRId64 ": length prefix says "
					   "%" PRIu64 " bytes, more than max-message-size (%" PRId64
					   "); raise it if the file is right",
					   r->n_msgs + count, at, len, r->max_message);
			break;
		}
		TRY(pb_src_fill(&r->src, pos + hdr + (size_t)len, &base, &avail, err));
		if (avail - pos < hdr + len) {
			frc = tarn_err_set(&ferr, TARN_EDATA,
					   "message %" PRId64 " at byte %" PRId64 ": length prefix says "
					   "%" PRIu64 " bytes but only %zu remain (truncated file?)",
					   r->n_msgs + count, at, len, avail - pos - hdr);
			break;
		}
		pos += hdr + (size_t)len;
		count++;
	}
	/* Morsels of consecutive messages, by count. */
	int k = count >= MIN_PARALLEL_MSGS ? r->n_decs : 1;
	if (k > count)
		k = count > 0 ? (int)count : 1;
	const uint8_t *p = base;
	int64_t first = r->n_msgs, off = r->src.off, left = count;
	int used = 0;
	for (int i = 0; i < k && left > 0; i++) {
		struct morsel *mo = &r->morsels[i];
		int64_t c = left / (k - i);
		mo->r = r;
		mo->dec = &r->decs[i];
		mo->p = p;
		mo->first_msg = first;
		mo->first_off = off;
		mo->count = c;
		for (int64_t j = 0; j < c; j++) {
			uint64_t len;
			const uint8_t *q = pb_get_varint(p, p + 10, &len);
			off += (int64_t)(q - p) + (int64_t)len;
			p = q + len;
		}
		first += c;
		left -= c;
		used++;
	}
	for (int i = 1; i < used; i++) {
		r->morsels[i].task.fn = decode_morsel;
		r->morsels[i].task.arg = &r->morsels[i];
		tarn_pool_submit(&r->morsels[i].task);
	}
	if (used > 0)
		decode_morsel(&r->morsels[0]);
	for (int i = 1; i < used; i++)
		tarn_task_wait(&r->morsels[i].task);
	/* Hand out batches up to the first failure. */
	tarn_rc rc = TARN_OK;
	for (int i = 0; i < used; i++) {
		struct morsel *mo = &r->morsels[i];
		if (!rc && mo->rc) {
			rc = mo->rc;
			r->pending_rc = rc;
			r->pending_err = mo->err;
		}
		if (!rc && mo->out && mo->out->n_rows > 0)
			r->queue[r->n_out++] = mo->out;
		else
			tarn_batch_free(mo->out);
		mo->out = NULL;
	}
	if (!rc && frc) {
		r->pending_rc = frc;
		r->pending_err = ferr;
	}
	if (r->pending_rc)
		r->done = true;
	pb_src_consume(&r->src, pos);
	r->n_msgs += count;
	pb_src_mark(&r->src);
	return TARN_OK;
}

static tarn_rc read_next(struct tarn_reader *base, struct tarn_batch **out, struct tarn_err *err)
{
	struct pb_reader *r = (struct pb_reader *)base;
	*out = NULL;
	for (;;) {
		if (r->next_out < r->n_out) {
			*out = r->queue[r->next_out];
			r->queue[r->next_out++] = NULL;
			return TARN_OK;
		}
		if (r->pending_rc) {
			tarn_rc rc = r->pending_rc;
			r->pending_rc = TARN_OK;
			return tarn_err_set(err, rc, "%s", r->pending_err.msg);
		}
		if (r->done)
			return TARN_OK;
		tarn_rc rc = round_start(r, err);
		if (rc) {
			r->done = true;
			return rc;
		}
	}
}

static void read_close(struct tarn_reader *base)
{
	struct pb_reader *r = (struct pb_reader *)base;
	pb_src_free(&r->src);
	for (int i = 0; i < MAX_MORSELS; i++) {
		tarn_batch_free(r->queue[i]);
		tarn_free(r->decs[i].arr);
		tarn_free(r->decs[i].slots);
		tarn_free(r->decs[i].oneofs);
		tarn_free(r->decs[i].segs);
	}
	pb_schema_free(r->ps);
	tarn_free(r);
}

static const struct tarn_reader_ops ops = { .next = read_next, .close = read_close };

tarn_rc pb_reader_open_schema(struct tarn_input *in, struct pb_schema *s, int64_t batch_rows,
			      int64_t max_message, struct tarn_reader **out, struct tarn_err *err)
{
	*out = NULL;
	struct pb_reader *r = tarn_calloc(1, sizeof *r);
	if (!r) {
		pb_schema_free(s);
		return tarn_err_nomem(err, "protobuf reader");
	}
	r->ps = s;
	r->batch_rows = batch_rows > 0 ? batch_rows : TARN_BATCH_ROWS;
	r->max_message = max_message > 0 ? max_message : PB_DEFAULT_MAX_MESSAGE;
	r->n_decs = tarn_config_threads() > 1 ? tarn_pool_size() : 1;
	if (r->n_decs > MAX_MORSELS)
		r->n_decs = MAX_MORSELS;
	if (r->n_decs < 1)
		r->n_decs = 1;
	for (int i = 0; i < r->n_decs; i++) {
		struct dec *d = &r->decs[i];
		d->s = s;
		d->arr = tarn_calloc((size_t)s->n_arrays + 1, sizeof *d->arr);
		d->slots = tarn_calloc((size_t)s->n_slots + 1, sizeof *d->slots);
		d->oneofs = tarn_calloc((size_t)s->n_oneofs + 1, sizeof *d->oneofs);
		if (!d->arr || !d->slots || !d->oneofs) {
			read_close(&r->base);
			return tarn_err_nomem(err, "protobuf reader");
		}
	}
	pb_src_init(&r->src, in);
	r->base.ops = &ops;
	r->base.format = &tarn_format_protobuf;
	r->base.in = in;
	r->base.schema = s->schema;
	tarn_schema_ref(s->schema);
	*out = &r->base;
	return TARN_OK;
}
