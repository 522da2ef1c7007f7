/*
 * vec.c — executor batches, scratch arrays, gathers, column hashing and
 * key comparison (see vec.h for the rules on selections and scratch
 * arrays).
 *
 * Relies on columnar/array.h for the layout and base/mem.h for memory.
 * Every function works on caller-owned data; nothing global.
 */
#include "sql/vec.h"

#include <string.h>

#include "base/mem.h"

/* ---- batches ------------------------------------------------------------------- */

tarn_rc ex_batch_new(int n_cols, struct ex_batch **out)
{
	*out = NULL;
	struct ex_batch *b = tarn_calloc(1, sizeof *b);
	if (!b)
		return TARN_ENOMEM;
	b->cols = tarn_calloc((size_t)(n_cols > 0 ? n_cols : 1), sizeof *b->cols);
	if (!b->cols) {
		tarn_free(b);
		return TARN_ENOMEM;
	}
	b->n_cols = n_cols;
	*out = b;
	return TARN_OK;
}

void ex_batch_free(struct ex_batch *b)
{
	if (!b)
		return;
	for (int i = 0; i < b->n_hold; i++) {
		tarn_batch_free(b->hold[i].batch);
		tarn_array_free(b->hold[i].array);
	}
	tarn_free(b->hold);
	tarn_free(b->sel);
	tarn_free(b->cols);
	tarn_free(b);
}

static tarn_rc hold_room(struct ex_batch *b, int more)
{
	if (b->n_hold + more <= b->cap_hold)
		return TARN_OK;
	int cap = b->cap_hold ? b->cap_hold * 2 : 8;
	while (cap < b->n_hold + more)
		cap *= 2;
	struct ex_hold *h = tarn_realloc(b->hold, (size_t)cap * sizeof *h);
	if (!h)
		return TARN_ENOMEM;
	b->hold = h;
	b->cap_hold = cap;
	return TARN_OK;
}

tarn_rc ex_batch_wrap(struct tarn_batch *tb, struct ex_batch **out)
{
	*out = NULL;
	struct ex_batch *b;
	if (ex_batch_new(tb->n_cols, &b) || hold_room(b, 1)) {
		if (b)
			ex_batch_free(b);
		tarn_batch_free(tb);
		return TARN_ENOMEM;
	}
	for (int i = 0; i < tb->n_cols; i++)
		b->cols[i] = tb->cols[i];
	b->n_rows = b->n_sel = tb->n_rows;
	b->hold[b->n_hold++] = (struct ex_hold){ .batch = tb };
	*out = b;
	return TARN_OK;
}

tarn_rc ex_batch_hold_tarn(struct ex_batch *b, struct tarn_batch *tb)
{
	if (hold_room(b, 1)) {
		tarn_batch_free(tb);
		return TARN_ENOMEM;
	}
	b->hold[b->n_hold++] = (struct ex_hold){ .batch = tb };
	return TARN_OK;
}

tarn_rc ex_batch_hold_array(struct ex_batch *b, struct tarn_array *a)
{
	if (hold_room(b, 1)) {
		tarn_array_free(a);
		return TARN_ENOMEM;
	}
	b->hold[b->n_hold++] = (struct ex_hold){ .array = a };
	return TARN_OK;
}

tarn_rc ex_batch_take_holders(struct ex_batch *dst, struct ex_batch *src)
{
	if (src->n_hold == 0)
		return TARN_OK;
	TRY(hold_room(dst, src->n_hold));
	memcpy(dst->hold + dst->n_hold, src->hold, (size_t)src->n_hold * sizeof *src->hold);
	dst->n_hold += src->n_hold;
	src->n_hold = 0;
	return TARN_OK;
}

int64_t ex_array_bytes(const struct tarn_array *a)
{
	if (!a)
		return 0;
	int64_t n = 0;
	int w = tarn_type_width(a->type->id);
	if (w > 0)
		n += a->cap * w;
	else if (a->type->id == TARN_T_BOOL)
		n += (a->cap + 7) / 8;
	else if (a->type->id == TARN_T_STRING || a->type->id == TARN_T_BINARY)
		n += a->values_cap;
	if (a->offsets)
		n += 4 * (a->cap + 1);
	if (a->validity)
		n += (a->cap + 7) / 8;
	for (int i = 0; i < a->n_children; i++)
		n += ex_array_bytes(a->children[i]);
	return n;
}

int64_t ex_batch_bytes(const struct ex_batch *b)
{
	int64_t n = b->sel ? b->n_rows * 4 : 0;
	for (int i = 0; i < b->n_hold; i++) {
		if (b->hold[i].array)
			n += ex_array_bytes(b->hold[i].array);
		if (b->hold[i].batch)
			for (int c = 0; c < b->hold[i].batch->n_cols; c++)
				n += ex_array_bytes(b->hold[i].batch->cols[c]);
	}
	return n;
}

tarn_rc ex_batch_to_tarn(const struct ex_batch *b, struct tarn_schema *s,
			  struct tarn_batch **out, struct tarn_err *err)
{
	*out = NULL;
	struct tarn_batch *tb;
	if (tarn_batch_new(s, b->n_sel, &tb))
		return tarn_err_nomem(err, "query result batch");
	for (int i = 0; i < b->n_cols && i < s->n_fields; i++) {
		tarn_rc rc = ex_array_gather(tb->cols[i], b->cols[i], b->sel, 0, b->n_sel);
		if (rc) {
			tarn_batch_free(tb);
			return rc == TARN_ENOMEM ? tarn_err_nomem(err, "query result batch")
						 : tarn_err_set(err, rc, "query result column '%s' "
									 "is too large",
						                s->fields[i].name);
		}
		ex_array_finish(tb->cols[i]);
	}
	tb->n_rows = b->n_sel;
	*out = tb;
	return TARN_OK;
}

/* ---- scratch arrays ----------------------------------------------------------------- */

tarn_rc ex_scratch_prepare(struct tarn_array **ap, const struct tarn_type *t, int64_t n)
{
	struct tarn_array *a = *ap;
	if (!a) {
		TRY(tarn_array_new(t, n, ap));
		a = *ap;
	} else {
		a->type = t;
		tarn_array_reset(a);
		TRY(tarn_array_reserve(a, n));
	}
	a->length = n;
	a->null_count = 0;
	if (a->offsets)
		a->offsets[0] = 0;
	return TARN_OK;
}

tarn_rc ex_scratch_validity(struct tarn_array *a)
{
	if (!a->validity)
		TRY(tarn_array_ensure_validity(a));
	else
		memset(a->validity, 0xff, (size_t)((a->length + 7) / 8));
	a->null_count = -1;
	return TARN_OK;
}

void ex_array_finish(struct tarn_array *a)
{
	if (!a->validity) {
		a->null_count = 0;
		return;
	}
	int64_t nulls = 0, i = 0;
	for (; i + 64 <= a->length; i += 64) {
		uint64_t w;
		memcpy(&w, a->validity + (i >> 3), 8);
		nulls += 64 - __builtin_popcountll(w);
	}
	for (; i < a->length; i++)
		nulls += !tarn_bit_get(a->validity, i);
	a->null_count = nulls;
	for (int c = 0; c < a->n_children; c++)
		if (a->type->id == TARN_T_STRUCT)
			ex_array_finish(a->children[c]);
}

/* ---- gathers ----------------------------------------------------------------------- */

#define IDX(k) (idx ? idx[k] : (uint32_t)(first + (k)))

static tarn_rc gather_validity(struct tarn_array *dst, const struct tarn_array *src,
			       const uint32_t *idx, int64_t first, int64_t n, int64_t at)
{
	bool src_nulls = ex_has_nulls(src);
	bool null_rows = false;
	if (idx)
		for (int64_t k = 0; k < n && !null_rows; k++)
			null_rows = idx[k] == EX_NULL_ROW;
	if (!src_nulls && !null_rows) {
		if (dst->validity)
			for (int64_t k = 0; k < n; k++)
				tarn_bit_set(dst->validity, at + k, true);
		return TARN_OK;
	}
	TRY(tarn_array_ensure_validity(dst));
	for (int64_t k = 0; k < n; k++) {
		uint32_t i = IDX(k);
		bool ok = i != EX_NULL_ROW && !(src_nulls && !tarn_bit_get(src->validity, i));
		tarn_bit_set(dst->validity, at + k, ok);
		dst->null_count += !ok;
	}
	return TARN_OK;
}

#define GATHER_FIXED(T)                                                          \
	do {                                                                     \
		T *d = (T *)dst->values + at;                                    \
		const T *s = (const T *)src->values;                             \
		if (!idx) {                                                      \
			memcpy(d, s + first, (size_t)n * sizeof(T));             \
		} else if (!has_null_rows) {                                     \
			for (int64_t k = 0; k < n; k++)                          \
				d[k] = s[idx[k]];                                \
		} else {                                                         \
			for (int64_t k = 0; k < n; k++)                          \
				d[k] = idx[k] == EX_NULL_ROW ? (T)0 : s[idx[k]]; \
		}                                                                \
	} while (0)

tarn_rc ex_array_gather(struct tarn_array *dst, const struct tarn_array *src,
			 const uint32_t *idx, int64_t first, int64_t n)
{
	if (n <= 0)
		return TARN_OK;
	enum tarn_type_id id = src->type->id;
	if (id == TARN_T_NULL) {
		for (int64_t k = 0; k < n; k++)
			TRY(tarn_array_append_null(dst));
		return TARN_OK;
	}
	if (tarn_type_is_nested(id)) {
		for (int64_t k = 0; k < n; k++) {
			uint32_t i = IDX(k);
			TRY(i == EX_NULL_ROW ? tarn_array_append_null(dst)
					      : tarn_array_append_from(dst, src, i));
		}
		return TARN_OK;
	}
	bool has_null_rows = false;
	if (idx)
		for (int64_t k = 0; k < n && !has_null_rows; k++)
			has_null_rows = idx[k] == EX_NULL_ROW;
	TRY(tarn_array_reserve(dst, n));
	int64_t at = dst->length;
	if (id == TARN_T_STRING || id == TARN_T_BINARY) {
		int64_t bytes = 0;
		for (int64_t k = 0; k < n; k++) {
			uint32_t i = IDX(k);
			if (i != EX_NULL_ROW)
				bytes += src->offsets[i + 1] - src->offsets[i];
		}
		TRY(tarn_array_reserve_bytes(dst, bytes));
		int32_t off = dst->offsets[at];
		uint8_t *out = dst->values;
		for (int64_t k = 0; k < n; k++) {
			uint32_t i = IDX(k);
			if (i != EX_NULL_ROW) {
				int32_t s = src->offsets[i], e = src->offsets[i + 1];
				memcpy(out + off, src->values + s, (size_t)(e - s));
				off += e - s;
			}
			dst->offsets[at + k + 1] = off;
		}
		dst->values_len = off;
	} else if (id == TARN_T_BOOL) {
		for (int64_t k = 0; k < n; k++) {
			uint32_t i = IDX(k);
			tarn_bit_set(dst->values, at + k,
				     i != EX_NULL_ROW && tarn_bit_get(src->values, i));
		}
	} else {
		switch (tarn_type_width(id)) {
		case 1: GATHER_FIXED(uint8_t); break;
		case 2: GATHER_FIXED(uint16_t); break;
		case 4: GATHER_FIXED(uint32_t); break;
		case 8: GATHER_FIXED(uint64_t); break;
		case 16: GATHER_FIXED(tarn_i128); break;
		default: return TARN_EINTERNAL;
		}
	}
	TRY(gather_validity(dst, src, idx, first, n, at));
	dst->length = at + n;
	return TARN_OK;
}

tarn_rc ex_array_repeat(struct tarn_array *dst, const struct tarn_array *src, int64_t i,
			 int64_t n)
{
	if (n <= 0)
		return TARN_OK;
	if (ex_is_null(src, i) || src->type->id == TARN_T_NULL ||
	    tarn_type_is_nested(src->type->id)) {
		for (int64_t k = 0; k < n; k++)
			TRY(ex_is_null(src, i) || src->type->id == TARN_T_NULL
				    ? tarn_array_append_null(dst)
				    : tarn_array_append_from(dst, src, i));
		return TARN_OK;
	}
	TRY(tarn_array_reserve(dst, n));
	int64_t at = dst->length;
	enum tarn_type_id id = src->type->id;
	if (id == TARN_T_STRING || id == TARN_T_BINARY) {
		int32_t len = src->offsets[i + 1] - src->offsets[i];
		if ((int64_t)len * n > TARN_ARRAY_MAX_BYTES)
			return TARN_ELIMIT;
		TRY(tarn_array_reserve_bytes(dst, (int64_t)len * n));
		int32_t off = dst->offsets[at];
		for (int64_t k = 0; k < n; k++) {
			memcpy(dst->values + off, src->values + src->offsets[i], (size_t)len);
			off += len;
			dst->offsets[at + k + 1] = off;
		}
		dst->values_len = off;
	} else if (id == TARN_T_BOOL) {
		bool v = tarn_bit_get(src->values, i);
		for (int64_t k = 0; k < n; k++)
			tarn_bit_set(dst->values, at + k, v);
	} else {
		int w = tarn_type_width(id);
		for (int64_t k = 0; k < n; k++)
			memcpy(dst->values + (at + k) * w, src->values + i * w, (size_t)w);
	}
	if (dst->validity)
		for (int64_t k = 0; k < n; k++)
			tarn_bit_set(dst->validity, at + k, true);
	dst->length = at + n;
	return TARN_OK;
}

/* ---- hashing ------------------------------------------------------------------------- */

/* A multiply-xorshift hash over 8-byte words; strings are short keys in
 * practice, so the loop matters less than the constant per call. */
uint64_t ex_hash_bytes(const uint8_t *p, size_t n)
{
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ (n * 0xff51afd7ed558ccdULL);
	while (n >= 8) {
		uint64_t w;
		memcpy(&w, p, 8);
		h = (h ^ ex_hash_u64(w)) * 0x9e3779b97f4a7c15ULL;
		p += 8;
		n -= 8;
	}
	if (n) {
		uint64_t w = 0;
		memcpy(&w, p, n);
		h = (h ^ ex_hash_u64(w ^ ((uint64_t)n << 56))) * 0x9e3779b97f4a7c15ULL;
	}
	return h ^ (h >> 31);
}

#define NULL_HASH 0x5bd1e9955bd1e995ULL

/* Short strings (most keys: codes, flags, names) hash inline: the bytes
 * and the length in one word, one mix. Longer ones take the loop. */
static inline uint64_t hash_str(const uint8_t *p, int32_t n)
{
	if (n <= 7) {
		uint64_t w = (uint64_t)n << 56;
		switch (n) {
		case 7: w |= (uint64_t)p[6] << 48; /* fall through */
		case 6: w |= (uint64_t)p[5] << 40; /* fall through */
		case 5: w |= (uint64_t)p[4] << 32; /* fall through */
		case 4: w |= (uint64_t)p[3] << 24; /* fall through */
		case 3: w |= (uint64_t)p[2] << 16; /* fall through */
		case 2: w |= (uint64_t)p[1] << 8; /* fall through */
		case 1: w |= p[0]; /* fall through */
		default: break;
		}
		return ex_hash_u64(w ^ 0x9e3779b97f4a7c15ULL);
	}
	return ex_hash_bytes(p, (size_t)n);
}

static inline uint64_t mix(uint64_t h, uint64_t v, bool combine)
{
	return combine ? (h * 0x100000001b3ULL) ^ v ^ (h >> 29) : v;
}

/* Float keys hash by value: -0.0 as 0.0, every NaN alike. */
static inline uint64_t hash_f64(double d)
{
	if (d == 0)
		d = 0;
	if (d != d)
		return 0x7ff8000000000000ULL;
	uint64_t u;
	memcpy(&u, &d, 8);
	return ex_hash_u64(u);
}

#define HASH_LOOP(EXPR)                                                                 \
	do {                                                                            \
		if (is_const) {                                                         \
			int64_t i = 0;                                                  \
			uint64_t hv_ = nulls && !tarn_bit_get(a->validity, 0) ? NULL_HASH : (EXPR); \
			for (int64_t k = 0; k < n; k++)                                 \
				h[k] = mix(h[k], hv_, combine);                           \
		} else if (!nulls) {                                                    \
			if (sel)                                                        \
				for (int64_t k = 0; k < n; k++) {                       \
					int64_t i = sel[k];                             \
					h[k] = mix(h[k], (EXPR), combine);              \
				}                                                       \
			else                                                            \
				for (int64_t i = 0; i < n; i++)                         \
					h[i] = mix(h[i], (EXPR), combine);              \
		} else {                                                                \
			for (int64_t k = 0; k < n; k++) {                               \
				int64_t i = sel ? sel[k] : k;                           \
				uint64_t hv_ = tarn_bit_get(a->validity, i) ? (EXPR) : NULL_HASH; \
				h[k] = mix(h[k], hv_, combine);                           \
			}                                                               \
		}                                                                       \
	} while (0)

static inline uint64_t hash_i128(tarn_i128 v)
{
	return ex_hash_u64((uint64_t)v ^ ex_hash_u64((uint64_t)((unsigned __int128)v >> 64)));
}

/* Hash of a nested value (or a value inside one), consistent with
 * nested_equal below: NULLs alike, -0.0 = 0.0, NaN = NaN. */
static uint64_t nested_hash(const struct tarn_array *a, int64_t i)
{
	if (tarn_array_is_null(a, i) || a->type->id == TARN_T_NULL)
		return NULL_HASH;
	switch (a->type->id) {
	case TARN_T_LIST:
	case TARN_T_MAP: {
		uint64_t x = ex_hash_u64((uint64_t)(a->offsets[i + 1] - a->offsets[i]) + 7);
		for (int32_t k = a->offsets[i]; k < a->offsets[i + 1]; k++)
			x = ex_hash_u64(x ^ nested_hash(a->children[0], k));
		return x;
	}
	case TARN_T_STRUCT: {
		uint64_t x = 0x9e3779b97f4a7c15ULL;
		for (int c = 0; c < a->n_children; c++)
			x = ex_hash_u64(x ^ nested_hash(a->children[c], i));
		return x;
	}
	case TARN_T_STRING:
	case TARN_T_BINARY: return hash_str(a->values + a->offsets[i], a->offsets[i + 1] - a->offsets[i]);
	case TARN_T_BOOL: return ex_hash_u64(tarn_bit_get(a->values, i) + 1);
	case TARN_T_FLOAT32:
	case TARN_T_FLOAT64: return hash_f64(tarn_array_get_double(a, i));
	case TARN_T_INTERVAL: return hash_i128(ex_interval_key(a->values + i * 16));
	default: {
		int w = tarn_type_width(a->type->id);
		uint64_t lo = 0, hi = 0;
		memcpy(&lo, a->values + i * w, (size_t)(w < 8 ? w : 8));
		if (w > 8)
			memcpy(&hi, a->values + i * w + 8, 8);
		return ex_hash_u64(lo ^ ex_hash_u64(hi + (uint64_t)w));
	}
	}
}

void ex_hash_column(const struct tarn_array *a, bool is_const, const uint32_t *sel, int64_t n,
		     uint64_t *h, bool combine)
{
	bool nulls = ex_has_nulls(a);
	const uint8_t *v = a->values;
	switch (a->type->id) {
	case TARN_T_NULL: {
		for (int64_t k = 0; k < n; k++)
			h[k] = mix(h[k], NULL_HASH, combine);
		return;
	}
	case TARN_T_BOOL: HASH_LOOP(ex_hash_u64(tarn_bit_get(v, i) + 1)); return;
	case TARN_T_INT8: HASH_LOOP(ex_hash_u64((uint64_t)((const int8_t *)v)[i])); return;
	case TARN_T_UINT8: HASH_LOOP(ex_hash_u64(((const uint8_t *)v)[i])); return;
	case TARN_T_INT16: HASH_LOOP(ex_hash_u64((uint64_t)((const int16_t *)v)[i])); return;
	case TARN_T_UINT16: HASH_LOOP(ex_hash_u64(((const uint16_t *)v)[i])); return;
	case TARN_T_INT32:
	case TARN_T_DATE32: HASH_LOOP(ex_hash_u64((uint64_t)((const int32_t *)v)[i])); return;
	case TARN_T_UINT32: HASH_LOOP(ex_hash_u64(((const uint32_t *)v)[i])); return;
	case TARN_T_INT64:
	case TARN_T_UINT64:
	case TARN_T_TIME64:
	case TARN_T_TIMESTAMP: HASH_LOOP(ex_hash_u64(((const uint64_t *)v)[i])); return;
	case TARN_T_FLOAT32: HASH_LOOP(hash_f64(((const float *)v)[i])); return;
	case TARN_T_FLOAT64: HASH_LOOP(hash_f64(((const double *)v)[i])); return;
	case TARN_T_DECIMAL128: {
		const uint64_t *w = (const uint64_t *)v;
		HASH_LOOP(ex_hash_u64(w[2 * i] ^ ex_hash_u64(w[2 * i + 1])));
		return;
	}
	case TARN_T_STRING:
	case TARN_T_BINARY: {
		const int32_t *o = a->offsets;
		HASH_LOOP(hash_str(v + o[i], o[i + 1] - o[i]));
		return;
	}
	case TARN_T_INTERVAL: HASH_LOOP(hash_i128(ex_interval_key(v + i * 16))); return;
	default: {
		/* nested keys: a hash of the whole value (equality still decides) */
		HASH_LOOP(nested_hash(a, i));
		return;
	}
	}
}

/* ---- key comparison ------------------------------------------------------------------- */

static bool nested_equal(const struct tarn_array *a, int64_t i, const struct tarn_array *b,
			 int64_t j);

static bool value_equal(const struct tarn_array *a, int64_t i, const struct tarn_array *b,
			int64_t j)
{
	bool an = tarn_array_is_null(a, i), bn = tarn_array_is_null(b, j);
	if (an || bn)
		return an && bn;
	return nested_equal(a, i, b, j);
}

/* Structural equality for nested keys (rare: GROUP BY a list). */
static bool nested_equal(const struct tarn_array *a, int64_t i, const struct tarn_array *b,
			 int64_t j)
{
	switch (a->type->id) {
	case TARN_T_LIST:
	case TARN_T_MAP: {
		int32_t as = a->offsets[i], ae = a->offsets[i + 1];
		int32_t bs = b->offsets[j], be = b->offsets[j + 1];
		if (ae - as != be - bs)
			return false;
		for (int32_t k = 0; k < ae - as; k++)
			if (!value_equal(a->children[0], as + k, b->children[0], bs + k))
				return false;
		return true;
	}
	case TARN_T_STRUCT:
		for (int c = 0; c < a->n_children; c++)
			if (!value_equal(a->children[c], i, b->children[c], j))
				return false;
		return true;
	case TARN_T_STRING:
	case TARN_T_BINARY: {
		size_t an, bn;
		const uint8_t *ap = tarn_array_get_bytes(a, i, &an);
		const uint8_t *bp = tarn_array_get_bytes(b, j, &bn);
		return an == bn && (an == 0 || memcmp(ap, bp, an) == 0);
	}
	case TARN_T_BOOL: return tarn_bit_get(a->values, i) == tarn_bit_get(b->values, j);
	case TARN_T_NULL: return true;
	case TARN_T_FLOAT32:
	case TARN_T_FLOAT64: {
		double x = tarn_array_get_double(a, i), y = tarn_array_get_double(b, j);
		return x == y || (x != x && y != y);
	}
	case TARN_T_INTERVAL:
		return ex_interval_key(a->values + i * 16) == ex_interval_key(b->values + j * 16);
	default: {
		int w = tarn_type_width(a->type->id);
		return memcmp(a->values + i * w, b->values + j * w, (size_t)w) == 0;
	}
	}
}

/* Equality of n bytes; short keys without a library call. */
static inline bool bytes_eq(const uint8_t *a, const uint8_t *b, int32_t n)
{
	if (n <= 4) {
		for (int32_t k = 0; k < n; k++)
			if (a[k] != b[k])
				return false;
		return true;
	}
	return memcmp(a, b, (size_t)n) == 0;
}

#define EQ_LOOP(EQ)                                                                      \
	do {                                                                             \
		for (int64_t k = 0; k < n; k++) {                                        \
			uint32_t p = cand[k];                                            \
			int64_t i = ia[p], j = ib[p];                                    \
			bool eq;                                                         \
			if (nulls) {                                                     \
				bool an = ex_is_null(a, i), bn = ex_is_null(b, j);     \
				eq = (an || bn) ? (an && bn) : (EQ);                     \
			} else {                                                         \
				eq = (EQ);                                               \
			}                                                                \
			if (eq)                                                          \
				eq_out[n_eq++] = p;                                      \
			else                                                             \
				miss[(*n_miss)++] = p;                                   \
		}                                                                        \
	} while (0)

int64_t ex_keys_filter_equal(const struct tarn_array *a, const uint32_t *ia,
			      const struct tarn_array *b, const uint32_t *ib, const uint32_t *cand,
			      int64_t n, uint32_t *eq_out, uint32_t *miss, int64_t *n_miss)
{
	int64_t n_eq = 0;
	bool nulls = ex_has_nulls(a) || ex_has_nulls(b);
	const uint8_t *av = a->values, *bv = b->values;
	switch (a->type->id) {
	case TARN_T_BOOL: EQ_LOOP(tarn_bit_get(av, i) == tarn_bit_get(bv, j)); break;
	case TARN_T_INT8:
	case TARN_T_UINT8: EQ_LOOP(av[i] == bv[j]); break;
	case TARN_T_INT16:
	case TARN_T_UINT16:
		EQ_LOOP(((const uint16_t *)av)[i] == ((const uint16_t *)bv)[j]);
		break;
	case TARN_T_INT32:
	case TARN_T_UINT32:
	case TARN_T_DATE32:
		EQ_LOOP(((const uint32_t *)av)[i] == ((const uint32_t *)bv)[j]);
		break;
	case TARN_T_INT64:
	case TARN_T_UINT64:
	case TARN_T_TIME64:
	case TARN_T_TIMESTAMP:
		EQ_LOOP(((const uint64_t *)av)[i] == ((const uint64_t *)bv)[j]);
		break;
	case TARN_T_FLOAT32: {
		const float *x = (const float *)av, *y = (const float *)bv;
		EQ_LOOP(x[i] == y[j] || (x[i] != x[i] && y[j] != y[j]));
		break;
	}
	case TARN_T_FLOAT64: {
		const double *x = (const double *)av, *y = (const double *)bv;
		EQ_LOOP(x[i] == y[j] || (x[i] != x[i] && y[j] != y[j]));
		break;
	}
	case TARN_T_DECIMAL128: {
		const tarn_i128 *x = (const tarn_i128 *)av, *y = (const tarn_i128 *)bv;
		EQ_LOOP(x[i] == y[j]);
		break;
	}
	case TARN_T_STRING:
	case TARN_T_BINARY: {
		const int32_t *ao = a->offsets, *bo = b->offsets;
		EQ_LOOP(ao[i + 1] - ao[i] == bo[j + 1] - bo[j] &&
			bytes_eq(av + ao[i], bv + bo[j], ao[i + 1] - ao[i]));
		break;
	}
	case TARN_T_NULL: EQ_LOOP(true); break;
	case TARN_T_INTERVAL:
		EQ_LOOP(ex_interval_key(av + i * 16) == ex_interval_key(bv + j * 16));
		break;
	default: EQ_LOOP(nested_equal(a, i, b, j)); break;
	}
	return n_eq;
}
