/*
 * avro_decode.c — runs a decode program (avro_resolve.c) over Avro binary
 * data (specification, "Binary Encoding"), appending values to the arrays
 * of a batch.
 *
 * The hot loop: a record's fields are a run of ops; step() handles the
 * leaf ops inline (a switch on a small enum, a varint read, a store at
 * array->length) and hands nested ones to nested(), which is not inlined.
 * No allocation per value: arrays grow by doubling, and top-level columns
 * were reserved for the batch's rows by the caller.
 *
 * Bounds: the data has at least 16 readable bytes after d->end (the block's
 * sync marker, or slack the codec leaves), so a varint (at most 10 bytes)
 * is read without per-byte checks and the position compared with end
 * afterwards; fixed-size values check the bytes left before reading. Every
 * count read from the data is capped: array and map items by the bytes
 * left (each takes at least one byte), or, for items of a type that
 * encodes in zero bytes, by the budget d->budget (avro_read.c, note 5).
 *
 * Design notes
 *  1. Validity: bits at positions >= length are always 1 in tarn arrays
 *     (array.h invariant 2: reserve and ensure_validity fill new bitmap
 *     bytes with ones), so appending a valid value only stores it and
 *     bumps length.
 *  2. A failing op leaves d->rc, d->bad_op and d->why; arrays may hold a
 *     partial row then, and the caller drops the batch.
 *  3. Nesting is capped (MAX_NEST) because skip programs of recursive
 *     writer types are cycles: the data decides how deep they go.
 *
 * Thread-safety: the program is read-only; each task has its own avro_dec
 * and batch.
 */
#include <stdio.h>
#include <string.h>

#include "columnar/utf8.h"
#include "formats/avro/avro_int.h"

#define MAX_NEST 500

/* ---- value helpers ------------------------------------------------------------------ */

bool avro_decimal_from_be(const uint8_t *p, size_t n, tarn_i128 *out)
{
	if (n == 0) {
		*out = 0;
		return true;
	}
	uint8_t sign = (p[0] & 0x80) ? 0xff : 0x00;
	/* Leading sign-extension bytes beyond 16 are harmless. */
	while (n > 16) {
		if (p[0] != sign)
			return false;
		p++;
		n--;
	}
	if (n == 16 && ((p[0] & 0x80) ? 0xff : 0x00) != sign)
		return false;
	unsigned __int128 v = sign ? ~(unsigned __int128)0 : 0;
	for (size_t i = 0; i < n; i++)
		v = (v << 8) | p[i];
	*out = (tarn_i128)v;
	return true;
}

double avro_decimal_to_double(const uint8_t *p, size_t n, int scale)
{
	if (n == 0)
		return 0.0;
	bool neg = (p[0] & 0x80) != 0;
	/* Magnitude in base 256, most significant first. */
	long double m = 0;
	for (size_t i = 0; i < n; i++) {
		uint8_t c = neg ? (uint8_t)~p[i] : p[i];
		m = m * 256.0L + c;
	}
	if (neg)
		m = -(m + 1);
	long double s = 1;
	for (int i = 0; i < scale; i++)
		s *= 10;
	return (double)(m / s);
}

void avro_uuid_format(const uint8_t *p, char *out)
{
	static const char hex[] = "0123456789abcdef";
	int k = 0;
	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[k++] = '-';
		out[k++] = hex[p[i] >> 4];
		out[k++] = hex[p[i] & 15];
	}
}

/* |v| < 10^precision. */
static bool decimal_fits(tarn_i128 v, int precision)
{
	if (precision >= 39)
		return true;
	tarn_i128 lim = 1;
	for (int i = 0; i < precision; i++)
		lim *= 10;
	return v < lim && v > -lim;
}

/* ---- primitives --------------------------------------------------------------------- */

/* A varint of up to 10 bytes, without bounds checks (see the slack rule
 * above); NULL if it does not end within 10 bytes or overflows 64 bits. */
static inline const uint8_t *varint(const uint8_t *p, uint64_t *out)
{
	uint64_t b = p[0];
	if (LIKELY(b < 0x80)) {
		*out = b;
		return p + 1;
	}
	uint64_t v = b & 0x7f;
	for (int i = 1; i < 9; i++) {
		b = p[i];
		v |= (b & 0x7f) << (7 * i);
		if (b < 0x80) {
			*out = v;
			return p + i + 1;
		}
	}
	b = p[9];
	if (b > 1)
		return NULL;
	*out = v | b << 63;
	return p + 10;
}

static const uint8_t *fail(struct avro_dec *d, const struct avro_op *op, tarn_rc rc,
			   const char *why)
{
	if (d->rc == TARN_OK) {
		d->rc = rc;
		d->bad_op = op;
		d->why = why;
	}
	return NULL;
}

#define TRUNC "the data ends inside a value (the block is truncated or corrupt)"

static inline bool grow1(struct tarn_array *a)
{
	return LIKELY(a->length < a->cap) || tarn_array_reserve(a, 1) == TARN_OK;
}

static const uint8_t *oom(struct avro_dec *d, const struct avro_op *op, tarn_rc rc)
{
	return fail(d, op, rc == TARN_ELIMIT ? TARN_ELIMIT : TARN_ENOMEM,
		    rc == TARN_ELIMIT ? "a batch array outgrew its 2 GiB limit"
				      : "out of memory while decoding");
}

static inline const uint8_t *get_long(struct avro_dec *d, const struct avro_op *op,
				      const uint8_t *p, int64_t *v)
{
	uint64_t u;
	p = varint(p, &u);
	if (UNLIKELY(!p))
		return fail(d, op, TARN_EDATA, "a varint is longer than 10 bytes");
	if (UNLIKELY(p > d->end))
		return fail(d, op, TARN_EDATA, TRUNC);
	*v = avro_unzigzag(u);
	return p;
}

static inline const uint8_t *get_int(struct avro_dec *d, const struct avro_op *op,
				     const uint8_t *p, int32_t *v)
{
	int64_t x;
	p = get_long(d, op, p, &x);
	if (UNLIKELY(p && (x < INT32_MIN || x > INT32_MAX)))
		return fail(d, op, TARN_EDATA, "an int value is out of the 32-bit range");
	*v = (int32_t)x;
	return p;
}

static const uint8_t *put_bytes(struct avro_dec *d, const struct avro_op *op, struct tarn_array *a,
				const uint8_t *src, size_t n)
{
	if (UNLIKELY(a->values_len + (int64_t)n > a->values_cap)) {
		tarn_rc rc = tarn_array_reserve_bytes(a, (int64_t)n);
		if (rc)
			return oom(d, op, rc);
	}
	if (UNLIKELY(!grow1(a)))
		return oom(d, op, TARN_ENOMEM);
	memcpy(a->values + a->values_len, src, n);
	a->values_len += (int64_t)n;
	a->offsets[a->length + 1] = (int32_t)a->values_len;
	a->length++;
	return src + n;
}

/* Length-prefixed bytes: returns the payload start, *n its length. */
static inline const uint8_t *get_len(struct avro_dec *d, const struct avro_op *op, const uint8_t *p,
				     size_t *n)
{
	int64_t len;
	p = get_long(d, op, p, &len);
	if (UNLIKELY(!p))
		return NULL;
	if (UNLIKELY(len < 0))
		return fail(d, op, TARN_EDATA, "a negative length");
	if (UNLIKELY(len > d->end - p))
		return fail(d, op, TARN_EDATA, TRUNC);
	*n = (size_t)len;
	return p;
}

static inline bool end_row(struct tarn_array *a)
{
	if (UNLIKELY(!grow1(a)))
		return false;
	a->length++;
	return true;
}

static bool end_list(struct tarn_array *a)
{
	if (!grow1(a))
		return false;
	int64_t e = a->children[0]->length;
	if (e > INT32_MAX)
		return false;
	a->offsets[a->length + 1] = (int32_t)e;
	a->length++;
	return true;
}

/* A block count of an array or map: the items, capped by the bytes left or,
 * for zero-size items, by the budget. */
static const uint8_t *get_count(struct avro_dec *d, const struct avro_op *op, const uint8_t *p,
				int64_t *count)
{
	int64_t c;
	p = get_long(d, op, p, &c);
	if (UNLIKELY(!p))
		return NULL;
	if (c < 0) {
		if (c == INT64_MIN)
			return fail(d, op, TARN_EDATA, "an array or map block count is out of range");
		c = -c;
		int64_t size;
		p = get_long(d, op, p, &size);
		if (UNLIKELY(!p))
			return NULL;
		if (size < 0)
			return fail(d, op, TARN_EDATA, "a negative array or map block size");
	}
	if (op->zero_size) {
		if (c > d->budget)
			return fail(d, op, TARN_ELIMIT,
				    "too many array items that take no bytes (more than tarn "
				    "accepts for the block's size)");
		d->budget -= c;
	} else if (c > d->end - p) {
		return fail(d, op, TARN_EDATA, "an array or map claims more items than there are bytes "
					       "left");
	}
	*count = c;
	return p;
}

/* ---- the interpreter ------------------------------------------------------------------ */

static const uint8_t *nested(const struct avro_prog *pg, struct avro_dec *d,
			     const struct avro_op *op, const uint8_t *p)
	__attribute__((noinline));

/* A null into a scalar array without the generic append's bookkeeping. */
static const uint8_t *push_null(struct avro_dec *d, const struct avro_op *op, struct tarn_array *a,
				const uint8_t *p)
{
	enum tarn_type_id id = a->type->id;
	if (tarn_type_is_nested(id) || id == TARN_T_NULL || !grow1(a) ||
	    (!a->validity && tarn_array_ensure_validity(a))) {
		tarn_rc rc = tarn_array_append_null(a);
		return rc ? oom(d, op, rc) : p;
	}
	int w = tarn_type_width(id);
	if (w)
		memset(a->values + a->length * w, 0, (size_t)w);
	else if (id == TARN_T_BOOL)
		tarn_bit_set(a->values, a->length, false);
	else
		a->offsets[a->length + 1] = a->offsets[a->length];
	tarn_bit_set(a->validity, a->length, false);
	a->null_count++;
	a->length++;
	return p;
}

/* A nullable scalar's branch index: returns from step() after a null. */
#define NUL_PREFIX()                                                                          \
	do {                                                                                  \
		if (op->nul) {                                                                \
			uint64_t u_;                                                          \
			const uint8_t *q_ = varint(p, &u_);                                   \
			if (UNLIKELY(!q_ || q_ > d->end))                                     \
				return fail(d, op, TARN_EDATA,                                \
					    q_ ? TRUNC : "a varint is longer than 10 bytes"); \
			p = q_;                                                               \
			int64_t k_ = avro_unzigzag(u_);                                       \
			if (k_ == op->b)                                                      \
				return push_null(d, op, a, p);                                \
			if (UNLIKELY(k_ != 1 - op->b))                                        \
				return fail(d, op, TARN_EDATA,                                \
					    "a union branch index is out of range");          \
		}                                                                             \
	} while (0)

/* The scalar ops, inlined into the loops over a record's fields; one
 * dispatch per value. */
static inline __attribute__((always_inline)) const uint8_t *
step(const struct avro_prog *pg, struct avro_dec *d, const struct avro_op *op, const uint8_t *p)
{
	struct tarn_array *a;
	switch (op->kind) {
	case OPK_LONG_I64: {
		a = d->slots[op->slot];
		NUL_PREFIX();
		int64_t v;
		p = get_long(d, op, p, &v);
		if (UNLIKELY(!p || !grow1(a)))
			return p ? oom(d, op, TARN_ENOMEM) : NULL;
		((int64_t *)a->values)[a->length++] = v;
		return p;
	}
	case OPK_INT_I32: {
		a = d->slots[op->slot];
		NUL_PREFIX();
		int32_t v;
		p = get_int(d, op, p, &v);
		if (UNLIKELY(!p || !grow1(a)))
			return p ? oom(d, op, TARN_ENOMEM) : NULL;
		((int32_t *)a->values)[a->length++] = v;
		return p;
	}
	case OPK_INT_I64: {
		a = d->slots[op->slot];
		NUL_PREFIX();
		int32_t v;
		p = get_int(d, op, p, &v);
		if (UNLIKELY(!p || !grow1(a)))
			return p ? oom(d, op, TARN_ENOMEM) : NULL;
		((int64_t *)a->values)[a->length++] = v;
		return p;
	}
	case OPK_DOUBLE_F64:
		a = d->slots[op->slot];
		NUL_PREFIX();
		if (UNLIKELY(d->end - p < 8))
			return fail(d, op, TARN_EDATA, TRUNC);
		if (UNLIKELY(!grow1(a)))
			return oom(d, op, TARN_ENOMEM);
		memcpy(a->values + a->length * 8, p, 8);
		a->length++;
		return p + 8;
	case OPK_FLOAT_F32:
		a = d->slots[op->slot];
		NUL_PREFIX();
		if (UNLIKELY(d->end - p < 4))
			return fail(d, op, TARN_EDATA, TRUNC);
		if (UNLIKELY(!grow1(a)))
			return oom(d, op, TARN_ENOMEM);
		memcpy(a->values + a->length * 4, p, 4);
		a->length++;
		return p + 4;
	case OPK_BYTES: {
		a = d->slots[op->slot];
		NUL_PREFIX();
		size_t n;
		p = get_len(d, op, p, &n);
		if (UNLIKELY(!p))
			return NULL;
		if (UNLIKELY(a->values_len + (int64_t)n > a->values_cap || a->length >= a->cap))
			return put_bytes(d, op, a, p, n);
		memcpy(a->values + a->values_len, p, n);
		a->values_len += (int64_t)n;
		a->offsets[a->length + 1] = (int32_t)a->values_len;
		a->length++;
		return p + n;
	}
	default: return nested(pg, d, op, p);
	}
}

/* The fields of a record (the columns, for the top-level one): one
 * inlined dispatch per value. (Threaded dispatch with computed gotos was
 * measured: no gain over this on lineitem-like rows.) */
static const uint8_t *fields(const struct avro_prog *pg, struct avro_dec *d, const int32_t *k,
			     int n, const uint8_t *p)
{
	for (int i = 0; i < n; i++) {
		p = step(pg, d, &pg->ops[k[i]], p);
		if (UNLIKELY(!p))
			return NULL;
	}
	return p;
}

static const uint8_t *nested(const struct avro_prog *pg, struct avro_dec *d,
			     const struct avro_op *op, const uint8_t *p)
{
	struct tarn_array *a = op->slot >= 0 ? d->slots[op->slot] : NULL;
	if (op->nul && op->kind != OPK_LONG_I64 && op->kind != OPK_INT_I32 &&
	    op->kind != OPK_INT_I64 && op->kind != OPK_DOUBLE_F64 && op->kind != OPK_FLOAT_F32 &&
	    op->kind != OPK_BYTES) {
		/* The other scalars behind a nullable union: the branch first. */
		int32_t k;
		p = get_int(d, op, p, &k);
		if (UNLIKELY(!p))
			return NULL;
		if (k == op->b)
			return push_null(d, op, a, p);
		if (UNLIKELY(k != 1 - op->b))
			return fail(d, op, TARN_EDATA, "a union branch index is out of range");
	}
	switch (op->kind) {
	case OPK_LONG_I64:
	case OPK_INT_I32:
	case OPK_INT_I64:
	case OPK_DOUBLE_F64:
	case OPK_FLOAT_F32:
	case OPK_BYTES:
		return step(pg, d, op, p);
	case OPK_NULLABLE: {
		int32_t k;
		p = get_int(d, op, p, &k);
		if (UNLIKELY(!p))
			return NULL;
		if (k == op->b) {
			tarn_rc rc = tarn_array_append_null(a);
			return rc ? oom(d, op, rc) : p;
		}
		if (UNLIKELY(k != 1 - op->b))
			return fail(d, op, TARN_EDATA, "a union branch index is out of range");
		return step(pg, d, &pg->ops[op->a], p);
	}
	case OPK_NULL: {
		tarn_rc rc = tarn_array_append_null(a);
		return rc ? oom(d, op, rc) : p;
	}
	case OPK_BOOL:
		if (UNLIKELY(p >= d->end))
			return fail(d, op, TARN_EDATA, TRUNC);
		if (UNLIKELY(*p > 1))
			return fail(d, op, TARN_EDATA, "a boolean byte is neither 0 nor 1");
		if (UNLIKELY(!grow1(a)))
			return oom(d, op, TARN_ENOMEM);
		tarn_bit_set(a->values, a->length, *p);
		a->length++;
		return p + 1;
	case OPK_INT_F32:
	case OPK_INT_F64:
	case OPK_LONG_F32:
	case OPK_LONG_F64: {
		int64_t v;
		if (op->kind == OPK_INT_F32 || op->kind == OPK_INT_F64) {
			int32_t x;
			p = get_int(d, op, p, &x);
			v = x;
		} else {
			p = get_long(d, op, p, &v);
		}
		if (!p)
			return NULL;
		if (UNLIKELY(!grow1(a)))
			return oom(d, op, TARN_ENOMEM);
		if (op->kind == OPK_INT_F32 || op->kind == OPK_LONG_F32) {
			float f = (float)v;
			memcpy(a->values + a->length * 4, &f, 4);
		} else {
			double f = (double)v;
			memcpy(a->values + a->length * 8, &f, 8);
		}
		a->length++;
		return p;
	}
	case OPK_FLOAT_F64: {
		if (UNLIKELY(d->end - p < 4))
			return fail(d, op, TARN_EDATA, TRUNC);
		if (UNLIKELY(!grow1(a)))
			return oom(d, op, TARN_ENOMEM);
		float f;
		memcpy(&f, p, 4);
		double x = f;
		memcpy(a->values + a->length * 8, &x, 8);
		a->length++;
		return p + 4;
	}
	case OPK_FIXED:
		if (UNLIKELY(d->end - p < op->a))
			return fail(d, op, TARN_EDATA, TRUNC);
		return put_bytes(d, op, a, p, (size_t)op->a);
	case OPK_FIXED_UUID: {
		if (UNLIKELY(d->end - p < 16))
			return fail(d, op, TARN_EDATA, TRUNC);
		char u[36];
		avro_uuid_format(p, u);
		return put_bytes(d, op, a, (const uint8_t *)u, 36) ? p + 16 : NULL;
	}
	case OPK_DEC_BYTES:
	case OPK_DEC_FIXED:
	case OPK_DECF_BYTES:
	case OPK_DECF_FIXED: {
		size_t n;
		if (op->kind == OPK_DEC_BYTES || op->kind == OPK_DECF_BYTES) {
			p = get_len(d, op, p, &n);
			if (!p)
				return NULL;
		} else {
			n = (size_t)op->a;
			if (UNLIKELY(d->end - p < op->a))
				return fail(d, op, TARN_EDATA, TRUNC);
		}
		if (UNLIKELY(!grow1(a)))
			return oom(d, op, TARN_ENOMEM);
		if (op->kind == OPK_DECF_BYTES || op->kind == OPK_DECF_FIXED) {
			double x = avro_decimal_to_double(p, n, op->b);
			memcpy(a->values + a->length * 8, &x, 8);
		} else {
			tarn_i128 v;
			if (!avro_decimal_from_be(p, n, &v))
				return fail(d, op, TARN_EDATA,
					    "a decimal value does not fit 128 bits (38 digits)");
			if (UNLIKELY(!decimal_fits(v, op->b)))
				return fail(d, op, TARN_EDATA,
					    "a decimal value has more digits than its precision");
			memcpy(a->values + a->length * 16, &v, 16);
		}
		a->length++;
		return p + n;
	}
	case OPK_DURATION: {
		if (UNLIKELY(d->end - p < 12))
			return fail(d, op, TARN_EDATA, TRUNC);
		for (int i = 0; i < 3; i++) {
			struct tarn_array *c = a->children[i];
			if (UNLIKELY(!grow1(c)))
				return oom(d, op, TARN_ENOMEM);
			memcpy(c->values + c->length * 4, p + 4 * i, 4);
			c->length++;
		}
		if (UNLIKELY(!end_row(a)))
			return oom(d, op, TARN_ENOMEM);
		return p + 12;
	}
	case OPK_ENUM: {
		int32_t k;
		p = get_int(d, op, p, &k);
		if (UNLIKELY(!p))
			return NULL;
		if (UNLIKELY(k < 0 || k >= op->n))
			return fail(d, op, TARN_EDATA, "an enum index is out of range");
		const struct avro_sym *s = &pg->syms[op->a + k];
		if (UNLIKELY(s->len < 0)) {
			fail(d, op, TARN_EDATA, NULL);
			snprintf(d->detail, sizeof d->detail,
				 "symbol '%.80s' is not in the reader's enum, which has no default",
				 s->s);
			return NULL;
		}
		return put_bytes(d, op, a, (const uint8_t *)s->s, (size_t)s->len) ? p : NULL;
	}
	case OPK_RECORD: {
		if (UNLIKELY(++d->depth > MAX_NEST))
			return fail(d, op, TARN_ELIMIT, "values nested too deeply");
		p = fields(pg, d, pg->kids + op->a, op->n, p);
		if (UNLIKELY(!p))
			return NULL;
		d->depth--;
		if (a && UNLIKELY(!end_row(a)))
			return oom(d, op, TARN_ENOMEM);
		return p;
	}
	case OPK_ARRAY:
	case OPK_MAP: {
		if (UNLIKELY(++d->depth > MAX_NEST))
			return fail(d, op, TARN_ELIMIT, "values nested too deeply");
		const struct avro_op *item = &pg->ops[op->a];
		struct tarn_array *e = a->children[0];
		for (;;) {
			int64_t c;
			p = get_count(d, op, p, &c);
			if (UNLIKELY(!p))
				return NULL;
			if (c == 0)
				break;
			if (op->kind == OPK_ARRAY) {
				/* Room ahead for a few items only: beyond that the
				 * array grows with the items actually decoded, so a
				 * lying count cannot make a large allocation. */
				int64_t ahead = c < 4096 ? c : 4096;
				if (ahead > e->cap - e->length) {
					tarn_rc rc = tarn_array_reserve(e, ahead);
					if (rc)
						return oom(d, op, rc);
				}
				for (int64_t i = 0; i < c; i++) {
					p = step(pg, d, item, p);
					if (UNLIKELY(!p))
						return NULL;
				}
			} else {
				struct tarn_array *keys = e->children[0];
				for (int64_t i = 0; i < c; i++) {
					size_t n;
					p = get_len(d, op, p, &n);
					if (UNLIKELY(!p))
						return NULL;
					p = put_bytes(d, op, keys, p, n);
					if (UNLIKELY(!p))
						return NULL;
					p = step(pg, d, item, p);
					if (UNLIKELY(!p))
						return NULL;
					if (UNLIKELY(!end_row(e)))
						return oom(d, op, TARN_ENOMEM);
				}
			}
		}
		d->depth--;
		if (UNLIKELY(!end_list(a)))
			return oom(d, op, TARN_ELIMIT);
		return p;
	}
	case OPK_UNION: {
		int32_t k;
		p = get_int(d, op, p, &k);
		if (UNLIKELY(!p))
			return NULL;
		if (UNLIKELY(k < 0 || k >= op->n))
			return fail(d, op, TARN_EDATA, "a union branch index is out of range");
		if (UNLIKELY(++d->depth > MAX_NEST))
			return fail(d, op, TARN_ELIMIT, "values nested too deeply");
		p = step(pg, d, &pg->ops[pg->kids[op->a + k]], p);
		d->depth--;
		return p;
	}
	case OPK_MEMBER: {
		p = step(pg, d, &pg->ops[op->a], p);
		if (UNLIKELY(!p))
			return NULL;
		for (int i = 0; i < a->n_children; i++) {
			if (i == op->b)
				continue;
			tarn_rc rc = tarn_array_append_null(a->children[i]);
			if (rc)
				return oom(d, op, rc);
		}
		if (UNLIKELY(!end_row(a)))
			return oom(d, op, TARN_ENOMEM);
		return p;
	}
	case OPK_DEFAULT: {
		tarn_rc rc = tarn_array_append_from(a, pg->defaults[op->a], 0);
		return rc ? oom(d, op, rc) : p;
	}
	case OPK_FAIL: return fail(d, op, TARN_EDATA, op->why);
	case OPK_SKIP_VARINT: {
		int64_t v;
		return get_long(d, op, p, &v);
	}
	case OPK_SKIP_BOOL:
		if (UNLIKELY(p >= d->end))
			return fail(d, op, TARN_EDATA, TRUNC);
		return p + 1;
	case OPK_SKIP_N:
		if (UNLIKELY(d->end - p < op->a))
			return fail(d, op, TARN_EDATA, TRUNC);
		return p + op->a;
	case OPK_SKIP_BYTES: {
		size_t n;
		p = get_len(d, op, p, &n);
		return p ? p + n : NULL;
	}
	case OPK_SKIP_RECORD: {
		if (UNLIKELY(++d->depth > MAX_NEST))
			return fail(d, op, TARN_ELIMIT, "values nested too deeply");
		const int32_t *k = pg->kids + op->a;
		for (int i = 0; i < op->n && p; i++)
			p = nested(pg, d, &pg->ops[k[i]], p);
		d->depth--;
		return p;
	}
	case OPK_SKIP_ARRAY:
	case OPK_SKIP_MAP: {
		if (UNLIKELY(++d->depth > MAX_NEST))
			return fail(d, op, TARN_ELIMIT, "values nested too deeply");
		const struct avro_op *item = &pg->ops[op->a];
		for (;;) {
			int64_t c;
			/* A block with its byte size could be jumped over; the
			 * items are walked anyway so that what is skipped is
			 * checked the same way as what is read. */
			p = get_count(d, op, p, &c);
			if (!p)
				return NULL;
			if (c == 0)
				break;
			for (int64_t i = 0; i < c; i++) {
				if (op->kind == OPK_SKIP_MAP) {
					size_t n;
					p = get_len(d, op, p, &n);
					if (!p)
						return NULL;
					p += n;
				}
				p = nested(pg, d, item, p);
				if (!p)
					return NULL;
			}
		}
		d->depth--;
		return p;
	}
	case OPK_SKIP_UNION: {
		int32_t k;
		p = get_int(d, op, p, &k);
		if (UNLIKELY(!p))
			return NULL;
		if (UNLIKELY(k < 0 || k >= op->n))
			return fail(d, op, TARN_EDATA, "a union branch index is out of range");
		if (UNLIKELY(++d->depth > MAX_NEST))
			return fail(d, op, TARN_ELIMIT, "values nested too deeply");
		p = nested(pg, d, &pg->ops[pg->kids[op->a + k]], p);
		d->depth--;
		return p;
	}
	}
	return fail(d, op, TARN_EINTERNAL, "unknown decode op");
}

const uint8_t *avro_decode_row(const struct avro_prog *pg, struct avro_dec *d, const uint8_t *p)
{
	const struct avro_op *root = &pg->ops[pg->root];
	if (root->kind == OPK_RECORD && root->slot < 0) {
		/* The columns: a record without its struct. */
		return fields(pg, d, pg->kids + root->a, root->n, p);
	}
	return step(pg, d, root, p);
}

static void bind(const struct tarn_array *a, struct tarn_array **slots, int *i)
{
	slots[(*i)++] = (struct tarn_array *)a;
	for (int c = 0; c < a->n_children; c++)
		bind(a->children[c], slots, i);
}

void avro_slots_bind(const struct avro_prog *pg, struct tarn_batch *b, struct tarn_array **slots)
{
	int i = 0;
	for (int c = 0; c < b->n_cols; c++)
		bind(b->cols[c], slots, &i);
	(void)pg;
}

static bool is_cont(uint8_t c)
{
	return (c & 0xc0) == 0x80;
}

tarn_rc avro_check_utf8(const struct avro_prog *pg, struct tarn_array **slots, int *bad_slot,
			int64_t *bad_row)
{
	for (int s = 0; s < pg->n_slots; s++) {
		if (!pg->slot_is_string[s])
			continue;
		const struct tarn_array *a = slots[s];
		int64_t end = a->offsets[a->length];
		if (end == 0)
			continue;
		/* One pass over all bytes; then every value must start on a
		 * character boundary. Only on failure go value by value to
		 * name the row. */
		bool ok = tarn_utf8_valid(a->values, (size_t)end, NULL);
		for (int64_t i = 0; i < a->length && ok; i++) {
			int32_t st = a->offsets[i], e = a->offsets[i + 1];
			if (st != e)
				ok = !is_cont(a->values[st]) && (e == end || !is_cont(a->values[e]));
		}
		if (ok)
			continue;
		for (int64_t i = 0; i < a->length; i++) {
			size_t n, at;
			const uint8_t *p = tarn_array_get_bytes(a, i, &n);
			if (!tarn_utf8_valid(p, n, &at)) {
				*bad_slot = s;
				*bad_row = i;
				return TARN_EDATA;
			}
		}
	}
	return TARN_OK;
}
