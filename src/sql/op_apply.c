/*
 * op_apply.c — dependent evaluation ("apply"): one value per input row,
 * computed by a callback from that row's values of some parameter
 * columns. It is the fallback the binder uses for correlated subqueries it
 * cannot turn into joins (scalar subqueries in the SELECT list, EXISTS
 * through OR, correlated IN, LIMIT inside the subquery, ...): the callback
 * binds the subquery with the parameters as constants and runs it.
 *
 * The operator streams: each task keeps a cache from the parameter values
 * (encoded as bytes: a null flag, then the value's bytes) to the computed
 * value, an open-addressing table over the key hashes, so the callback runs
 * once per distinct combination per task, not once per row. The cache's
 * bytes are reserved against the query's memory limit. The output column
 * is gathered from the cache, so a batch costs one hash lookup per row plus
 * one callback per new combination.
 *
 * Determinism: the value depends only on the row's parameters, so the
 * output is the same whatever the thread count. The callback must be
 * thread-safe (the binder's builds a private binder per call and runs the
 * subquery on the calling thread).
 */
#include <string.h>

#include "base/mem.h"
#include "sql/exec.h"
#include "sql/expr_int.h"

struct apply_op {
	struct ex_op base;
	int *params;
	int n_params;
	ex_apply_fn fn;
	void *ctx;
	void (*ctx_free)(void *ctx);
	bool cacheable; /* every parameter is a scalar type */
};

struct apply_local {
	struct tarn_array *vals; /* cached values, one per entry */
	uint8_t *keys;		 /* concatenated encoded keys */
	int64_t keys_len, keys_cap;
	int64_t *koff;		 /* entry e: keys[koff[e] .. koff[e + 1]) */
	uint64_t *khash;
	int64_t n, cap;		 /* entries */
	uint32_t *slots;	 /* entry + 1, 0 = empty */
	uint64_t mask;
	uint8_t *kbuf;		 /* the key being looked up */
	int64_t kbuf_cap;
	uint32_t *idx;		 /* per physical row: cache entry */
	int64_t idx_cap;
	int64_t held;		 /* bytes reserved */
};

static void local_free(struct ex_op *op, void *ptr)
{
	struct apply_local *l = ptr;
	if (!l)
		return;
	ex_mem_release(op->q, l->held);
	tarn_array_free(l->vals);
	tarn_free(l->keys);
	tarn_free(l->koff);
	tarn_free(l->khash);
	tarn_free(l->slots);
	tarn_free(l->kbuf);
	tarn_free(l->idx);
	tarn_free(l);
}

static tarn_rc local_new(struct ex_op *op, void **out)
{
	struct apply_local *l = tarn_calloc(1, sizeof *l);
	if (!l)
		return TARN_ENOMEM;
	const struct tarn_schema *s = op->schema;
	tarn_rc rc = tarn_array_new(&s->fields[s->n_fields - 1].type, 0, &l->vals);

	if (rc) {
		local_free(op, l);
		return rc;
	}
	*out = l;
	return TARN_OK;
}

static tarn_rc kput(struct apply_local *l, int64_t *at, const void *p, size_t n)
{
	if (*at + (int64_t)n > l->kbuf_cap) {
		int64_t cap = (*at + (int64_t)n) * 2 + 64;
		uint8_t *v = tarn_realloc(l->kbuf, (size_t)cap);
		if (!v)
			return TARN_ENOMEM;
		l->kbuf = v;
		l->kbuf_cap = cap;
	}
	memcpy(l->kbuf + *at, p, n);
	*at += (int64_t)n;
	return TARN_OK;
}

/* Encodes row i's parameters into l->kbuf; *len its length. */
static tarn_rc encode(const struct apply_op *a, struct apply_local *l, const struct ex_batch *in,
		      int64_t i, int64_t *len)
{
	int64_t at = 0;
	for (int k = 0; k < a->n_params; k++) {
		const struct tarn_array *c = in->cols[a->params[k]];
		uint8_t null = ex_is_null(c, i);
		TRY(kput(l, &at, &null, 1));
		if (null)
			continue;
		enum tarn_type_id id = c->type->id;
		if (id == TARN_T_STRING || id == TARN_T_BINARY) {
			int32_t n = c->offsets[i + 1] - c->offsets[i];
			TRY(kput(l, &at, &n, sizeof n));
			TRY(kput(l, &at, c->values + c->offsets[i], (size_t)n));
		} else if (id == TARN_T_BOOL) {
			uint8_t v = tarn_bit_get(c->values, i);
			TRY(kput(l, &at, &v, 1));
		} else if (id != TARN_T_NULL) {
			int w = tarn_type_width(id);
			TRY(kput(l, &at, c->values + (int64_t)w * i, (size_t)w));
		}
	}
	*len = at;
	return TARN_OK;
}

static tarn_rc grow(struct ex_op *op, struct apply_local *l, int64_t klen, struct tarn_err *err)
{
	if (l->n + 1 > l->cap) {
		int64_t cap = l->cap ? l->cap * 2 : 64;
		int64_t *ko = tarn_realloc(l->koff, (size_t)(cap + 1) * sizeof *ko);
		if (ko)
			l->koff = ko;
		uint64_t *kh = ko ? tarn_realloc(l->khash, (size_t)cap * sizeof *kh) : NULL;
		if (kh)
			l->khash = kh;
		uint32_t *sl = kh ? tarn_calloc((size_t)cap * 2, sizeof *sl) : NULL;
		if (!sl)
			return tarn_err_nomem(err, "correlated subquery cache");
		tarn_free(l->slots);
		l->slots = sl;
		l->mask = (uint64_t)cap * 2 - 1;
		for (int64_t e = 0; e < l->n; e++) {
			uint64_t s = l->khash[e] & l->mask;
			while (l->slots[s])
				s = (s + 1) & l->mask;
			l->slots[s] = (uint32_t)(e + 1);
		}
		TRY(ex_mem_reserve(op->q, "correlated subquery (cache)",
				   (cap - l->cap) * (8 + 8 + 8), err));
		l->held += (cap - l->cap) * 24;
		l->cap = cap;
		if (l->n == 0)
			l->koff[0] = 0;
	}
	if (l->keys_len + klen > l->keys_cap) {
		int64_t cap = (l->keys_len + klen) * 2 + 256;
		uint8_t *v = tarn_realloc(l->keys, (size_t)cap);
		if (!v)
			return tarn_err_nomem(err, "correlated subquery cache");
		TRY(ex_mem_reserve(op->q, "correlated subquery (cache)", cap - l->keys_cap, err));
		l->held += cap - l->keys_cap;
		l->keys = v;
		l->keys_cap = cap;
	}
	return TARN_OK;
}

/* Runs the subquery for row i (its parameter columns gathered from in),
 * appending its value to l->vals. */
static tarn_rc compute(const struct apply_op *a, struct apply_local *l, const struct ex_batch *in,
		       int64_t i, struct tarn_err *err)
{
	const struct tarn_array *vbuf[16] = { 0 }; /* (zeroed: gcc cannot see vals[] is filled) */
	const struct tarn_array **vals =
		a->n_params <= 16 ? vbuf : tarn_malloc((size_t)a->n_params * sizeof *vals);
	if (!vals)
		return tarn_err_nomem(err, "correlated subquery");
	for (int k = 0; k < a->n_params; k++)
		vals[k] = in->cols[a->params[k]];
	tarn_rc rc = a->fn(a->ctx, vals, i, l->vals, err);
	if (vals != vbuf)
		tarn_free(vals);
	return rc;
}

/* The cache entry for row i, computing it on a miss. */
static tarn_rc lookup(struct ex_op *op, struct apply_local *l, const struct ex_batch *in,
		      int64_t i, uint32_t *out, struct tarn_err *err)
{
	struct apply_op *a = (struct apply_op *)op;
	if (!a->cacheable) {
		/* no key: compute for this row alone (entry reused) */
		int64_t before = l->vals->length;
		TRY(compute(a, l, in, i, err));
		*out = (uint32_t)before;
		return TARN_OK;
	}
	int64_t klen;
	if (encode(a, l, in, i, &klen))
		return tarn_err_nomem(err, "correlated subquery cache");
	uint64_t h = ex_hash_bytes(l->kbuf, (size_t)klen);
	if (l->cap) {
		for (uint64_t s = h & l->mask; l->slots[s]; s = (s + 1) & l->mask) {
			uint32_t e = l->slots[s] - 1;
			if (l->khash[e] == h && l->koff[e + 1] - l->koff[e] == klen &&
			    memcmp(l->keys + l->koff[e], l->kbuf, (size_t)klen) == 0) {
				*out = e;
				return TARN_OK;
			}
		}
	}
	TRY(grow(op, l, klen, err));
	int64_t before = l->vals->length;
	TRY(compute(a, l, in, i, err));
	if (l->vals->length != before + 1)
		return tarn_err_set(err, TARN_EINTERNAL, "correlated subquery: no value computed");
	uint32_t e = (uint32_t)l->n++;
	memcpy(l->keys + l->keys_len, l->kbuf, (size_t)klen);
	l->keys_len += klen;
	l->koff[e + 1] = l->keys_len;
	l->khash[e] = h;
	uint64_t s = h & l->mask;
	while (l->slots[s])
		s = (s + 1) & l->mask;
	l->slots[s] = e + 1;
	*out = e;
	return TARN_OK;
}

static tarn_rc apply_stream(struct ex_op *op, void *ptr, struct ex_batch *in,
			    struct ex_emit *out, struct tarn_err *err)
{
	struct apply_op *a = (struct apply_op *)op;
	struct apply_local *l = ptr;
	tarn_rc rc = TARN_OK;
	if (!a->cacheable) {
		/* values for this batch only */
		tarn_array_free(l->vals);
		l->vals = NULL;
		const struct tarn_schema *s = op->schema;
		if (tarn_array_new(&s->fields[s->n_fields - 1].type, 0, &l->vals))
			rc = tarn_err_nomem(err, "correlated subquery");
	}
	if (!rc && in->n_rows > l->idx_cap) {
		int64_t cap = in->n_rows > EX_BATCH_MAX ? in->n_rows : EX_BATCH_MAX;
		tarn_free(l->idx);
		l->idx = tarn_malloc((size_t)cap * sizeof *l->idx);
		l->idx_cap = l->idx ? cap : 0;
		if (!l->idx)
			rc = tarn_err_nomem(err, "correlated subquery");
	}
	for (int64_t i = 0; !rc && i < in->n_rows; i++)
		l->idx[i] = EX_NULL_ROW;
	for (int64_t k = 0; k < in->n_sel && !rc; k++) {
		int64_t i = in->sel ? in->sel[k] : k;
		rc = lookup(op, l, in, i, &l->idx[i], err);
	}
	struct tarn_array *col = NULL;
	if (!rc) {
		rc = tarn_array_new(l->vals->type, in->n_rows, &col);
		if (!rc)
			rc = ex_array_gather(col, l->vals, l->idx, 0, in->n_rows);
		if (rc) {
			tarn_array_free(col);
			rc = tarn_err_nomem(err, "correlated subquery");
		} else if (col->validity) {
			col->null_count = -1;
		}
	}
	struct ex_batch *b = NULL;
	if (!rc && ex_batch_new(in->n_cols + 1, &b)) {
		tarn_array_free(col);
		rc = tarn_err_nomem(err, "correlated subquery");
	}
	if (rc) {
		ex_batch_free(in);
		return rc;
	}
	for (int c = 0; c < in->n_cols; c++)
		b->cols[c] = in->cols[c];
	b->cols[in->n_cols] = col;
	rc = ex_batch_hold_array(b, col);
	if (!rc)
		rc = ex_batch_take_holders(b, in);
	b->n_rows = in->n_rows;
	b->n_sel = in->n_sel;
	b->sel = in->sel;
	b->seq = in->seq;
	in->sel = NULL;
	ex_batch_free(in);
	if (rc) {
		ex_batch_free(b);
		return tarn_err_nomem(err, "correlated subquery");
	}
	return ex_emit_push(out, b);
}

static void apply_free(struct ex_op *op)
{
	struct apply_op *a = (struct apply_op *)op;
	if (a->ctx_free)
		a->ctx_free(a->ctx);
	tarn_free(a->params);
	tarn_free(a);
}

static const struct ex_op_vt apply_vt = {
	.name = "correlated subquery",
	.local_new = local_new,
	.local_free = local_free,
	.stream = apply_stream,
	.free = apply_free,
};

tarn_rc ex_op_apply(struct ex_op *child, const int *params, int n_params,
		    const struct tarn_type *t, const char *name, ex_apply_fn fn, void *ctx,
		    void (*ctx_free)(void *ctx), struct ex_op **out, struct tarn_err *err)
{
	*out = NULL;
	struct apply_op *a = tarn_calloc(1, sizeof *a);
	if (a)
		a->params = tarn_calloc((size_t)n_params + 1, sizeof *a->params);
	if (!a || !a->params) {
		if (a)
			tarn_free(a);
		if (ctx_free)
			ctx_free(ctx);
		ex_op_free(child);
		return tarn_err_nomem(err, "correlated subquery");
	}
	a->base.vt = &apply_vt;
	a->base.child[0] = child;
	a->fn = fn;
	a->ctx = ctx;
	a->ctx_free = ctx_free;
	a->n_params = n_params;
	memcpy(a->params, params, (size_t)n_params * sizeof *params);
	const struct tarn_schema *cs = child->schema;
	a->cacheable = true;
	for (int k = 0; k < n_params; k++)
		if (tarn_type_is_nested(cs->fields[params[k]].type.id))
			a->cacheable = false;
	int nc = cs->n_fields + 1;
	tarn_rc rc = tarn_schema_new(nc, &a->base.schema);
	for (int c = 0; !rc && c < cs->n_fields; c++)
		rc = tarn_field_copy(&a->base.schema->fields[c], &cs->fields[c]);
	if (!rc) {
		struct tarn_field *f = &a->base.schema->fields[nc - 1];
		rc = tarn_field_set_name(f, name, strlen(name));
		if (!rc)
			rc = tarn_type_copy(&f->type, t);
		f->nullable = true;
	}
	if (rc) {
		ex_op_free(&a->base);
		return tarn_err_nomem(err, "correlated subquery");
	}
	*out = &a->base;
	return TARN_OK;
}
