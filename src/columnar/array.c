/*
 * array.c — column vectors, builders and batches (see array.h for the layout
 * and invariants).
 */
#include "columnar/array.h"

#include <stdio.h>
#include <stdlib.h>

#include "base/err.h"
#include "base/mem.h"
#include "columnar/utf8.h"

static bool has_offsets(enum tarn_type_id id)
{
	return id == TARN_T_STRING || id == TARN_T_BINARY || id == TARN_T_LIST || id == TARN_T_MAP;
}

static bool is_bytes(enum tarn_type_id id)
{
	return id == TARN_T_STRING || id == TARN_T_BINARY;
}

tarn_rc tarn_array_new(const struct tarn_type *t, int64_t cap_hint, struct tarn_array **out)
{
	*out = NULL;
	struct tarn_array *a = tarn_calloc(1, sizeof *a);
	if (!a)
		return TARN_ENOMEM;
	a->type = t;
	tarn_rc rc = TARN_OK;
	if (t->n_children > 0) {
		a->children = tarn_calloc((size_t)t->n_children, sizeof *a->children);
		if (!a->children) {
			rc = TARN_ENOMEM;
			goto out;
		}
		a->n_children = t->n_children;
		int64_t child_hint = t->id == TARN_T_STRUCT ? cap_hint : 0;
		for (int i = 0; i < t->n_children; i++)
			TRY_OUT(tarn_array_new(&t->children[i].type, child_hint, &a->children[i]));
	}
	if (has_offsets(t->id)) {
		/* One entry; the reserve below sizes it for cap_hint rows. */
		a->offsets = tarn_alloc_aligned(sizeof(int32_t));
		if (!a->offsets) {
			rc = TARN_ENOMEM;
			goto out;
		}
		a->offsets[0] = 0;
	}
	if (cap_hint > 0)
		TRY_OUT(tarn_array_reserve(a, cap_hint));
	/* String/binary arrays always own a payload buffer, so values + offset
	 * is defined even when every value so far is empty. */
	if (is_bytes(t->id))
		TRY_OUT(tarn_array_reserve_bytes(a, 64));
out:
	if (rc) {
		tarn_array_free(a);
		return rc;
	}
	*out = a;
	return TARN_OK;
}

void tarn_array_free(struct tarn_array *a)
{
	if (!a)
		return;
	for (int i = 0; i < a->n_children; i++)
		tarn_array_free(a->children[i]);
	tarn_free(a->children);
	tarn_free_aligned(a->validity);
	tarn_free_aligned(a->offsets);
	tarn_free_aligned(a->values);
	tarn_free(a);
}

void tarn_array_reset(struct tarn_array *a)
{
	a->length = 0;
	a->null_count = 0;
	a->values_len = 0;
	if (a->validity) {
		tarn_free_aligned(a->validity);
		a->validity = NULL;
	}
	for (int i = 0; i < a->n_children; i++)
		tarn_array_reset(a->children[i]);
}

static int64_t grow(int64_t cur, int64_t need)
{
	int64_t c = cur ? cur : 64;
	while (c < need)
		c = c < (INT64_MAX / 2) ? c * 2 : need;
	return c;
}

/* Rows one array may hold: keeps every byte size below computed from a row
 * count (16-byte decimals, validity bits) far from size_t overflow. */
#define MAX_ROWS ((int64_t)1 << 40)

tarn_rc tarn_array_reserve(struct tarn_array *a, int64_t rows)
{
	if (rows < 0 || rows > MAX_ROWS)
		return TARN_ELIMIT;
	int64_t need = a->length + rows;
	if (need <= a->cap)
		return TARN_OK;
	if (need > MAX_ROWS || (need > INT32_MAX && has_offsets(a->type->id)))
		return TARN_ELIMIT;
	int64_t cap = grow(a->cap, need);
	if (cap > MAX_ROWS)
		cap = need;
	if (a->validity) {
		/* New bits start out "valid" (invariant 2: rows never marked
		 * null are valid), so rows written directly after a reserve need
		 * no bitmap work. */
		size_t old = (size_t)((a->cap + 7) / 8), nb = (size_t)((cap + 7) / 8);
		uint8_t *v = tarn_realloc_aligned(a->validity, old, nb);
		if (!v)
			return TARN_ENOMEM;
		memset(v + old, 0xff, nb - old);
		a->validity = v;
	}
	if (has_offsets(a->type->id)) {
		int32_t *o = tarn_realloc_aligned(a->offsets, sizeof(int32_t) * (size_t)(a->length + 1),
						  sizeof(int32_t) * (size_t)(cap + 1));
		if (!o)
			return TARN_ENOMEM;
		a->offsets = o;
	}
	int w = tarn_type_width(a->type->id);
	if (w > 0 || a->type->id == TARN_T_BOOL) {
		size_t old = w ? (size_t)a->cap * (size_t)w : (size_t)((a->cap + 7) / 8);
		size_t nw = w ? (size_t)cap * (size_t)w : (size_t)((cap + 7) / 8);
		uint8_t *v = tarn_realloc_aligned(a->values, old, nw);
		if (!v)
			return TARN_ENOMEM;
		a->values = v;
	}
	a->cap = cap;
	return TARN_OK;
}

tarn_rc tarn_array_reserve_bytes(struct tarn_array *a, int64_t bytes)
{
	int64_t need = a->values_len + bytes;
	if (need <= a->values_cap)
		return TARN_OK;
	if (need > TARN_ARRAY_MAX_BYTES)
		return TARN_ELIMIT;
	int64_t cap = grow(a->values_cap < 256 ? 256 : a->values_cap, need);
	if (cap > TARN_ARRAY_MAX_BYTES)
		cap = TARN_ARRAY_MAX_BYTES;
	uint8_t *v = tarn_realloc_aligned(a->values, (size_t)a->values_len, (size_t)cap);
	if (!v)
		return TARN_ENOMEM;
	a->values = v;
	a->values_cap = cap;
	return TARN_OK;
}

tarn_rc tarn_array_ensure_validity(struct tarn_array *a)
{
	if (a->validity)
		return TARN_OK;
	int64_t cap = a->cap > a->length ? a->cap : a->length;
	size_t n = (size_t)((cap + 7) / 8);
	a->validity = tarn_alloc_aligned(n ? n : 1);
	if (!a->validity)
		return TARN_ENOMEM;
	memset(a->validity, 0xff, n ? n : 1);
	return TARN_OK;
}

/* Row bookkeeping shared by every append: room for one row, offsets carried. */
static inline tarn_rc begin_row(struct tarn_array *a)
{
	if (UNLIKELY(a->length >= a->cap))
		TRY(tarn_array_reserve(a, 1));
	return TARN_OK;
}

static inline void end_row_valid(struct tarn_array *a)
{
	if (a->validity)
		tarn_bit_set(a->validity, a->length, true);
	a->length++;
}

tarn_rc tarn_array_set_null(struct tarn_array *a, int64_t i)
{
	TRY(tarn_array_ensure_validity(a));
	if (tarn_bit_get(a->validity, i)) {
		tarn_bit_set(a->validity, i, false);
		a->null_count++;
	}
	return TARN_OK;
}

tarn_rc tarn_array_append_null(struct tarn_array *a)
{
	TRY(begin_row(a));
	TRY(tarn_array_ensure_validity(a));
	enum tarn_type_id id = a->type->id;
	int w = tarn_type_width(id);
	if (w > 0)
		memset(a->values + a->length * w, 0, (size_t)w);
	else if (id == TARN_T_BOOL)
		tarn_bit_set(a->values, a->length, false);
	if (has_offsets(id))
		a->offsets[a->length + 1] = a->offsets[a->length];
	if (id == TARN_T_STRUCT)
		for (int i = 0; i < a->n_children; i++)
			TRY(tarn_array_append_null(a->children[i]));
	tarn_bit_set(a->validity, a->length, false);
	a->null_count++;
	a->length++;
	return TARN_OK;
}

tarn_rc tarn_array_append_bool(struct tarn_array *a, bool v)
{
	TRY(begin_row(a));
	tarn_bit_set(a->values, a->length, v);
	end_row_valid(a);
	return TARN_OK;
}

static inline void store_int(struct tarn_array *a, int64_t v)
{
	uint8_t *p = a->values;
	int64_t i = a->length;
	switch (tarn_type_width(a->type->id)) {
	case 1: ((int8_t *)p)[i] = (int8_t)v; break;
	case 2: ((int16_t *)p)[i] = (int16_t)v; break;
	case 4: ((int32_t *)p)[i] = (int32_t)v; break;
	default: ((int64_t *)p)[i] = v; break;
	}
}

tarn_rc tarn_array_append_int(struct tarn_array *a, int64_t v)
{
	TRY(begin_row(a));
	store_int(a, v);
	end_row_valid(a);
	return TARN_OK;
}

tarn_rc tarn_array_append_uint(struct tarn_array *a, uint64_t v)
{
	TRY(begin_row(a));
	store_int(a, (int64_t)v);
	end_row_valid(a);
	return TARN_OK;
}

tarn_rc tarn_array_append_double(struct tarn_array *a, double v)
{
	TRY(begin_row(a));
	/* memcpy, not a float* cast of the byte buffer: same code, no aliasing
	 * question (and `make lint` stays quiet). */
	if (a->type->id == TARN_T_FLOAT32) {
		float f = (float)v;
		memcpy(a->values + a->length * 4, &f, 4);
	} else {
		memcpy(a->values + a->length * 8, &v, 8);
	}
	end_row_valid(a);
	return TARN_OK;
}

tarn_rc tarn_array_append_decimal(struct tarn_array *a, tarn_i128 v)
{
	TRY(begin_row(a));
	memcpy(a->values + a->length * 16, &v, 16);
	end_row_valid(a);
	return TARN_OK;
}

tarn_rc tarn_array_append_bytes(struct tarn_array *a, const void *p, size_t n)
{
	if (UNLIKELY(n > (size_t)TARN_ARRAY_MAX_BYTES))
		return TARN_ELIMIT;
	TRY(begin_row(a));
	if (UNLIKELY(a->values_len + (int64_t)n > a->values_cap))
		TRY(tarn_array_reserve_bytes(a, (int64_t)n));
	if (n)
		memcpy(a->values + a->values_len, p, n);
	a->values_len += (int64_t)n;
	a->offsets[a->length + 1] = (int32_t)a->values_len;
	end_row_valid(a);
	return TARN_OK;
}

tarn_rc tarn_array_list_end(struct tarn_array *a, bool valid)
{
	TRY(begin_row(a));
	int64_t end = a->children[0]->length;
	if (end > INT32_MAX)
		return TARN_ELIMIT;
	a->offsets[a->length + 1] = (int32_t)end;
	if (!valid) {
		TRY(tarn_array_ensure_validity(a));
		tarn_bit_set(a->validity, a->length, false);
		a->null_count++;
		a->length++;
		return TARN_OK;
	}
	end_row_valid(a);
	return TARN_OK;
}

tarn_rc tarn_array_struct_end(struct tarn_array *a, bool valid)
{
	TRY(begin_row(a));
	if (!valid) {
		TRY(tarn_array_ensure_validity(a));
		tarn_bit_set(a->validity, a->length, false);
		a->null_count++;
		a->length++;
		return TARN_OK;
	}
	end_row_valid(a);
	return TARN_OK;
}

int64_t tarn_array_get_int(const struct tarn_array *a, int64_t i)
{
	const uint8_t *p = a->values;
	switch (a->type->id) {
	case TARN_T_INT8: return ((const int8_t *)p)[i];
	case TARN_T_INT16: return ((const int16_t *)p)[i];
	case TARN_T_INT32:
	case TARN_T_DATE32: return ((const int32_t *)p)[i];
	case TARN_T_UINT8: return ((const uint8_t *)p)[i];
	case TARN_T_UINT16: return ((const uint16_t *)p)[i];
	case TARN_T_UINT32: return ((const uint32_t *)p)[i];
	case TARN_T_BOOL: return tarn_bit_get(p, i);
	default: return ((const int64_t *)p)[i];
	}
}

uint64_t tarn_array_get_uint(const struct tarn_array *a, int64_t i)
{
	if (a->type->id == TARN_T_UINT64)
		return ((const uint64_t *)a->values)[i];
	return (uint64_t)tarn_array_get_int(a, i);
}

double tarn_array_get_double(const struct tarn_array *a, int64_t i)
{
	switch (a->type->id) {
	case TARN_T_FLOAT32: {
		float f;
		memcpy(&f, a->values + i * 4, 4);
		return f;
	}
	case TARN_T_FLOAT64: {
		double d;
		memcpy(&d, a->values + i * 8, 8);
		return d;
	}
	case TARN_T_UINT64: return (double)tarn_array_get_uint(a, i);
	default: return (double)tarn_array_get_int(a, i);
	}
}

tarn_rc tarn_array_append_from(struct tarn_array *dst, const struct tarn_array *src, int64_t i)
{
	if (tarn_array_is_null(src, i))
		return tarn_array_append_null(dst);
	switch (src->type->id) {
	case TARN_T_NULL:
		return tarn_array_append_null(dst);
	case TARN_T_BOOL:
		return tarn_array_append_bool(dst, tarn_bit_get(src->values, i));
	case TARN_T_STRING:
	case TARN_T_BINARY: {
		size_t n;
		const uint8_t *p = tarn_array_get_bytes(src, i, &n);
		return tarn_array_append_bytes(dst, p, n);
	}
	case TARN_T_LIST:
	case TARN_T_MAP:
		for (int32_t j = src->offsets[i]; j < src->offsets[i + 1]; j++)
			TRY(tarn_array_append_from(dst->children[0], src->children[0], j));
		return tarn_array_list_end(dst, true);
	case TARN_T_STRUCT:
		for (int c = 0; c < src->n_children; c++)
			TRY(tarn_array_append_from(dst->children[c], src->children[c], i));
		return tarn_array_struct_end(dst, true);
	default: {
		int w = tarn_type_width(src->type->id);
		TRY(begin_row(dst));
		memcpy(dst->values + dst->length * w, src->values + i * w, (size_t)w);
		end_row_valid(dst);
		return TARN_OK;
	}
	}
}

/* Row-by-row UTF-8 check of a string array, skipping null rows (whose bytes
 * Arrow leaves unspecified). Returns the first bad row or -1. */
static int64_t utf8_bad_row(const struct tarn_array *a, size_t *bad_at)
{
	for (int64_t i = 0; i < a->length; i++) {
		if (tarn_array_is_null(a, i))
			continue;
		size_t n;
		const uint8_t *p = tarn_array_get_bytes(a, i, &n);
		if (!tarn_utf8_valid(p, n, bad_at))
			return i;
	}
	return -1;
}

static bool is_cont(uint8_t c)
{
	return (c & 0xc0) == 0x80;
}

/* Fast path: one pass over all the bytes (mostly the 8-byte ASCII loop), then
 * each valid row's boundaries must fall on character starts. Only when that
 * fails do we go row by row, to name the row or to find the bad bytes were
 * all in null rows. */
static int64_t utf8_check(const struct tarn_array *a, size_t *bad_at)
{
	int64_t end = a->offsets[a->length];
	if (end == 0)
		return -1;
	if (tarn_utf8_valid(a->values, (size_t)end, NULL)) {
		bool ok = true;
		for (int64_t i = 0; i < a->length && ok; i++) {
			int32_t s = a->offsets[i], e = a->offsets[i + 1];
			if (s == e || tarn_array_is_null(a, i))
				continue;
			ok = !is_cont(a->values[s]) && (e == end || !is_cont(a->values[e]));
		}
		if (ok)
			return -1;
	}
	return utf8_bad_row(a, bad_at);
}

/* Appends ".name" to the path of nested members for messages. */
static size_t path_push(char *path, size_t cap, size_t len, const char *name)
{
	int k = snprintf(path + len, cap - len, "%s%s", len ? "." : "", name ? name : "");
	size_t nl = k < 0 ? len : len + (size_t)k;
	return nl < cap ? nl : cap - 1;
}

static tarn_rc validate_at(const struct tarn_array *a, bool check_utf8, struct tarn_err *err,
			   char *path, size_t plen)
{
	enum tarn_type_id id = a->type->id;
	const char *sep = plen ? ": " : "";
	const char *where = plen ? path : "";
	if (a->length < 0)
		return tarn_err_set(err, TARN_EDATA, "%s%sarray has negative length", where, sep);
	if (a->validity) {
		int64_t nulls = 0, i = 0;
		for (; i + 64 <= a->length; i += 64) {
			uint64_t w;
			memcpy(&w, a->validity + (i >> 3), 8);
			nulls += 64 - __builtin_popcountll(w);
		}
		for (; i < a->length; i++)
			nulls += !tarn_bit_get(a->validity, i);
		if (nulls != a->null_count)
			return tarn_err_set(err, TARN_EDATA,
					    "%s%sarray null_count %lld but bitmap has %lld nulls",
					    where, sep, (long long)a->null_count, (long long)nulls);
	} else if (a->null_count != 0 && id != TARN_T_NULL) {
		return tarn_err_set(err, TARN_EDATA, "%s%sarray has nulls but no validity bitmap",
				    where, sep);
	}
	if (has_offsets(id)) {
		if (a->offsets[0] != 0)
			return tarn_err_set(err, TARN_EDATA, "%s%sarray offsets do not start at 0",
					    where, sep);
		for (int64_t i = 0; i < a->length; i++)
			if (a->offsets[i + 1] < a->offsets[i])
				return tarn_err_set(err, TARN_EDATA,
						    "%s%sarray offsets decrease at row %lld", where,
						    sep, (long long)i);
		int64_t end = a->offsets[a->length];
		if (is_bytes(id) && end > a->values_len)
			return tarn_err_set(err, TARN_EDATA,
					    "%s%sarray offsets point past the data (%lld > %lld)",
					    where, sep, (long long)end, (long long)a->values_len);
		if (!is_bytes(id) && end > a->children[0]->length)
			return tarn_err_set(err, TARN_EDATA,
					    "%s%slist offsets point past the items (%lld > %lld)",
					    where, sep, (long long)end,
					    (long long)a->children[0]->length);
		if (id == TARN_T_STRING && check_utf8) {
			size_t bad = 0;
			int64_t row = utf8_check(a, &bad);
			if (row >= 0)
				return tarn_err_set(err, TARN_EDATA,
						    "%s%sinvalid UTF-8 in row %lld at byte %zu", where,
						    sep, (long long)row, bad);
		}
	}
	if (id == TARN_T_STRUCT)
		for (int c = 0; c < a->n_children; c++)
			if (a->children[c]->length != a->length)
				return tarn_err_set(err, TARN_EDATA,
						    "%s%sstruct member '%s' has %lld rows, struct %lld",
						    where, sep, a->type->children[c].name,
						    (long long)a->children[c]->length,
						    (long long)a->length);
	for (int c = 0; c < a->n_children; c++) {
		size_t nl = path_push(path, 256, plen, a->type->children[c].name);
		tarn_rc rc = validate_at(a->children[c], check_utf8, err, path, nl);
		path[plen] = '\0';
		if (rc)
			return rc;
	}
	return TARN_OK;
}

/* Messages name nested members by path ("item", "entries.value", "a.b"); the
 * caller prefixes the column. */
tarn_rc tarn_array_validate(const struct tarn_array *a, bool check_utf8, struct tarn_err *err)
{
	char path[256] = "";
	return validate_at(a, check_utf8, err, path, 0);
}

/* ---- batches --------------------------------------------------------------- */

tarn_rc tarn_batch_new(struct tarn_schema *s, int64_t cap_hint, struct tarn_batch **out)
{
	*out = NULL;
	struct tarn_batch *b = tarn_calloc(1, sizeof *b);
	if (!b)
		return TARN_ENOMEM;
	b->cols = tarn_calloc((size_t)(s->n_fields ? s->n_fields : 1), sizeof *b->cols);
	if (!b->cols) {
		tarn_free(b);
		return TARN_ENOMEM;
	}
	tarn_schema_ref(s);
	b->schema = s;
	b->n_cols = s->n_fields;
	for (int i = 0; i < s->n_fields; i++) {
		tarn_rc rc = tarn_array_new(&s->fields[i].type, cap_hint, &b->cols[i]);
		if (rc) {
			tarn_batch_free(b);
			return rc;
		}
	}
	*out = b;
	return TARN_OK;
}

tarn_rc tarn_batch_seal(struct tarn_batch *b, struct tarn_err *err)
{
	int64_t n = b->n_cols ? b->cols[0]->length : b->n_rows;
	for (int i = 1; i < b->n_cols; i++)
		if (b->cols[i]->length != n)
			return tarn_err_set(err, TARN_EINTERNAL,
					    "batch columns differ in length (%lld vs %lld)",
					    (long long)b->cols[i]->length, (long long)n);
	b->n_rows = n;
	return TARN_OK;
}

void tarn_array_retype(struct tarn_array *a, const struct tarn_type *t)
{
	a->type = t;
	for (int i = 0; i < a->n_children && i < t->n_children; i++)
		tarn_array_retype(a->children[i], &t->children[i].type);
}

void tarn_batch_free(struct tarn_batch *b)
{
	if (!b)
		return;
	for (int i = 0; i < b->n_cols; i++)
		tarn_array_free(b->cols[i]);
	tarn_free(b->cols);
	tarn_schema_unref(b->schema);
	tarn_free(b);
}

int64_t tarn_batch_num_rows(const struct tarn_batch *b)
{
	return b->n_rows;
}

int tarn_batch_num_cols(const struct tarn_batch *b)
{
	return b->n_cols;
}

const struct tarn_schema *tarn_batch_schema(const struct tarn_batch *b)
{
	return b->schema;
}

bool tarn_batch_is_null(const struct tarn_batch *b, int col, int64_t row)
{
	return tarn_array_is_null(b->cols[col], row);
}
