/*
 * op_asof.c — ASOF JOIN and ASOF LEFT JOIN (DuckDB's semantics): each
 * probe (left) row takes the one build (right) row equal on the key pairs
 * whose time is closest to the probe row's time among those that satisfy
 * `probe_time cmp build_time`:
 *   >=  the greatest build time <= probe time    >  ... < probe time
 *   <=  the least build time >= probe time       <  ... > probe time
 * Among build rows with the same time the first in build order wins (as
 * DuckDB does). NULL keys and NULL times never match. This is the
 * point-in-time join of the feature store.
 *
 * Build (child[1]): morsels' columns, keys and times are appended in
 * morsel order (reserved). finish() drops rows with a NULL key or time,
 * hashes the keys, and sorts the remaining row numbers by (key hash, keys,
 * time, row) — a merge sort over a uint32 permutation, comparing times as
 * int64 when the type is an integer, date, time or timestamp. Runs of
 * equal keys are the partitions, indexed by an open-addressing table on
 * the key hash.
 *
 * Probe (child[0], streaming, any thread; the build side is read-only):
 * per batch the probe keys are hashed together (vec.h), each row finds its
 * partition (hash, then key comparison) and binary-searches the partition
 * for its time. Output keeps probe order: the probe columns pass through
 * and the build columns are gathered at the chosen rows (EX_NULL_ROW for a
 * LEFT join's unmatched rows). No per-row allocation.
 */
#include <string.h>

#include "base/mem.h"
#include "sql/exec.h"
#include "sql/expr_int.h"

struct asof_op {
	struct ex_op base;
	enum ex_join_kind kind;
	enum ex_cmp cmp;
	int np, nb, nk;
	struct ex_expr **pkeys, **bkeys; /* nk each */
	struct ex_expr *ptime, *btime;
	/* build side: nb columns, then nk keys, then the time */
	struct tarn_array **bcols;
	int64_t bn;
	bool int_time;      /* times compared as int64 */
	int64_t *tv;        /* int_time: the build times */
	uint64_t *bh;       /* key hash per build row */
	uint32_t *order;    /* valid build rows, sorted */
	int64_t n_order;
	uint32_t *pstart;   /* partition p: order[pstart[p] .. pstart[p + 1]) */
	int64_t n_parts;
	uint32_t *slots;    /* partition + 1 by key hash, 0 = empty */
	uint64_t mask;
};

static int ncols_built(const struct asof_op *j)
{
	return j->nb + j->nk + 1;
}

static const struct tarn_type *built_type(const struct asof_op *j, int c)
{
	if (c < j->nb)
		return &j->base.child[1]->schema->fields[c].type;
	if (c < j->nb + j->nk)
		return &j->bkeys[c - j->nb]->type;
	return &j->btime->type;
}

/* ---- build ------------------------------------------------------------------------- */

struct asof_part {
	struct ex_eval **ev; /* nk + 1 */
	struct tarn_array **cols;
	int64_t n;
};

static void part_free(struct ex_op *op, void *ptr)
{
	struct asof_op *j = (struct asof_op *)op;
	struct asof_part *p = ptr;
	if (!p)
		return;
	for (int k = 0; p->ev && k <= j->nk; k++)
		ex_eval_free(p->ev[k]);
	for (int c = 0; p->cols && c < ncols_built(j); c++)
		tarn_array_free(p->cols[c]);
	tarn_free(p->ev);
	tarn_free(p->cols);
	tarn_free(p);
}

static tarn_rc new_cols(const struct asof_op *j, struct tarn_array ***out)
{
	*out = tarn_calloc((size_t)ncols_built(j), sizeof **out);
	if (!*out)
		return TARN_ENOMEM;
	for (int c = 0; c < ncols_built(j); c++)
		TRY(tarn_array_new(built_type(j, c), 0, &(*out)[c]));
	return TARN_OK;
}

static tarn_rc part_new(struct ex_op *op, void **out)
{
	struct asof_op *j = (struct asof_op *)op;
	struct asof_part *p = tarn_calloc(1, sizeof *p);
	if (!p)
		return TARN_ENOMEM;
	p->ev = tarn_calloc((size_t)j->nk + 1, sizeof *p->ev);
	tarn_rc rc = p->ev ? new_cols(j, &p->cols) : TARN_ENOMEM;
	for (int k = 0; !rc && k <= j->nk; k++)
		rc = ex_eval_new(k < j->nk ? j->bkeys[k] : j->btime, &p->ev[k]);
	if (rc) {
		part_free(op, p);
		return rc;
	}
	*out = p;
	return TARN_OK;
}

static tarn_rc asof_sink(struct ex_op *op, void *ptr, struct ex_batch *in, struct tarn_err *err)
{
	struct asof_op *j = (struct asof_op *)op;
	struct asof_part *p = ptr;
	tarn_rc rc = TARN_OK;
	for (int c = 0; c < ncols_built(j) && !rc; c++) {
		struct tarn_array *dst = p->cols[c];
		if (c < j->nb) {
			rc = ex_array_gather(dst, in->cols[c], in->sel, 0, in->n_sel);
		} else {
			int k = c - j->nb;
			struct ex_vec v;
			const struct ex_expr *e = k < j->nk ? j->bkeys[k] : j->btime;
			rc = ex_eval_run(p->ev[k], e, in, in->sel, in->n_sel, &v, err);
			if (rc)
				break;
			rc = v.is_const ? ex_array_repeat(dst, v.a, 0, in->n_sel)
					: ex_array_gather(dst, v.a, in->sel, 0, in->n_sel);
		}
		if (!rc && dst->validity)
			dst->null_count = -1;
		if (rc == TARN_ENOMEM)
			rc = tarn_err_nomem(err, "asof join build");
		else if (rc && rc != TARN_EDATA && rc != TARN_EUSAGE)
			rc = tarn_err_set(err, rc, "asof join: build side too large");
	}
	if (!rc)
		p->n += in->n_sel;
	ex_batch_free(in);
	return rc;
}

static tarn_rc asof_merge(struct ex_op *op, void *ptr, struct tarn_err *err)
{
	struct asof_op *j = (struct asof_op *)op;
	struct asof_part *p = ptr;
	if (p->n == 0)
		return TARN_OK;
	if (j->bn + p->n > UINT32_MAX - 1)
		return tarn_err_set(err, TARN_ELIMIT, "asof join: build side over 4294967294 rows");
	int64_t bytes = 0;
	for (int c = 0; c < ncols_built(j); c++)
		bytes += ex_array_bytes(p->cols[c]);
	TRY(ex_mem_reserve(op->q, "asof join (build side)", bytes, err));
	op->mem_held += bytes;
	tarn_rc rc = TARN_OK;
	for (int c = 0; c < ncols_built(j) && !rc; c++) {
		rc = ex_array_gather(j->bcols[c], p->cols[c], NULL, 0, p->n);
		if (!rc && j->bcols[c]->validity)
			j->bcols[c]->null_count = -1;
		tarn_array_free(p->cols[c]);
		p->cols[c] = NULL;
		if (!rc)
			rc = tarn_array_new(built_type(j, c), 0, &p->cols[c]);
	}
	if (rc)
		return rc == TARN_ENOMEM ? tarn_err_nomem(err, "asof join build")
					 : tarn_err_set(err, rc, "asof join: build side too large");
	j->bn += p->n;
	p->n = 0;
	return TARN_OK;
}

static const struct tarn_array *bkey(const struct asof_op *j, int k)
{
	return j->bcols[j->nb + k];
}

static const struct tarn_array *btimes(const struct asof_op *j)
{
	return j->bcols[j->nb + j->nk];
}

/* Build rows a, b: by hash, keys, time, row number. */
static int row_cmp(const struct asof_op *j, uint32_t a, uint32_t b)
{
	if (j->bh[a] != j->bh[b])
		return j->bh[a] < j->bh[b] ? -1 : 1;
	for (int k = 0; k < j->nk; k++) {
		int c = ex_value_cmp(bkey(j, k), a, bkey(j, k), b);
		if (c)
			return c;
	}
	if (j->int_time) {
		if (j->tv[a] != j->tv[b])
			return j->tv[a] < j->tv[b] ? -1 : 1;
	} else {
		int c = ex_value_cmp(btimes(j), a, btimes(j), b);
		if (c)
			return c;
	}
	return a < b ? -1 : a > b;
}

/* Bottom-up merge sort of v[0..n) with scratch t. */
static void sort_rows(const struct asof_op *j, uint32_t *v, uint32_t *t, int64_t n)
{
	uint32_t *src = v, *dst = t;
	for (int64_t w = 1; w < n; w *= 2) {
		for (int64_t lo = 0; lo < n; lo += 2 * w) {
			int64_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
			int64_t a = lo, b = mid, o = lo;
			while (a < mid && b < hi)
				dst[o++] = row_cmp(j, src[b], src[a]) < 0 ? src[b++] : src[a++];
			while (a < mid)
				dst[o++] = src[a++];
			while (b < hi)
				dst[o++] = src[b++];
		}
		uint32_t *x = src;
		src = dst;
		dst = x;
	}
	if (src != v)
		memcpy(v, src, (size_t)n * sizeof *v);
}

static bool same_keys(const struct asof_op *j, uint32_t a, uint32_t b)
{
	if (j->bh[a] != j->bh[b])
		return false;
	for (int k = 0; k < j->nk; k++)
		if (ex_value_cmp(bkey(j, k), a, bkey(j, k), b) != 0)
			return false;
	return true;
}

static tarn_rc asof_finish(struct ex_op *op, struct tarn_err *err)
{
	struct asof_op *j = (struct asof_op *)op;
	int64_t n = j->bn;
	for (int c = 0; c < ncols_built(j); c++)
		ex_array_finish(j->bcols[c]);
	uint64_t slots = 16;
	while (slots < (uint64_t)n * 2)
		slots *= 2;
	int64_t extra = n * (8 + 4 + 4 + 4 + (j->int_time ? 8 : 0)) + (int64_t)slots * 4;
	TRY(ex_mem_reserve(op->q, "asof join (build side)", extra, err));
	op->mem_held += extra;
	size_t nn = (size_t)(n ? n : 1);
	j->bh = tarn_calloc(nn, sizeof *j->bh);
	j->order = tarn_malloc(nn * sizeof *j->order);
	uint32_t *tmp = tarn_malloc(nn * sizeof *tmp);
	j->pstart = tarn_malloc((nn + 1) * sizeof *j->pstart);
	j->slots = tarn_calloc(slots, sizeof *j->slots);
	if (j->int_time)
		j->tv = tarn_malloc(nn * sizeof *j->tv);
	if (!j->bh || !j->order || !tmp || !j->pstart || !j->slots || (j->int_time && !j->tv)) {
		tarn_free(tmp);
		return tarn_err_nomem(err, "asof join");
	}
	j->mask = slots - 1;
	for (int k = 0; k < j->nk; k++)
		ex_hash_column(bkey(j, k), false, NULL, n, j->bh, k > 0);
	const struct tarn_array *tt = btimes(j);
	if (j->int_time)
		for (int64_t r = 0; r < n; r++)
			j->tv[r] = tarn_array_get_int(tt, r);
	int64_t m = 0;
	for (int64_t r = 0; r < n; r++) {
		bool null = ex_is_null(tt, r);
		for (int k = 0; k < j->nk && !null; k++)
			null = ex_is_null(bkey(j, k), r);
		if (!null)
			j->order[m++] = (uint32_t)r;
	}
	j->n_order = m;
	sort_rows(j, j->order, tmp, m);
	tarn_free(tmp);
	/* partitions: runs of equal keys */
	j->n_parts = 0;
	for (int64_t q = 0; q < m; q++) {
		if (q > 0 && same_keys(j, j->order[q - 1], j->order[q]))
			continue;
		uint32_t p = (uint32_t)j->n_parts++;
		j->pstart[p] = (uint32_t)q;
		uint64_t s = j->bh[j->order[q]] & j->mask;
		while (j->slots[s])
			s = (s + 1) & j->mask;
		j->slots[s] = p + 1;
	}
	j->pstart[j->n_parts] = (uint32_t)m;
	return TARN_OK;
}

/* ---- probe -------------------------------------------------------------------------- */

struct asof_local {
	struct ex_eval **ev; /* nk + 1 */
	struct ex_vec *v;
	uint64_t *h;
	uint32_t *prow, *brow;
	int64_t cap; /* rows the three buffers hold */
};

static tarn_rc local_room(struct asof_local *l, int64_t n)
{
	if (n <= l->cap)
		return TARN_OK;
	int64_t want = n > EX_BATCH_MAX ? n : EX_BATCH_MAX;
	tarn_free(l->h);
	tarn_free(l->prow);
	tarn_free(l->brow);
	l->h = tarn_malloc((size_t)want * sizeof *l->h);
	l->prow = tarn_malloc((size_t)want * sizeof *l->prow);
	l->brow = tarn_malloc((size_t)want * sizeof *l->brow);
	if (!l->h || !l->prow || !l->brow)
		return TARN_ENOMEM;
	l->cap = want;
	return TARN_OK;
}

static void local_free(struct ex_op *op, void *ptr)
{
	struct asof_op *j = (struct asof_op *)op;
	struct asof_local *l = ptr;
	if (!l)
		return;
	for (int k = 0; l->ev && k <= j->nk; k++)
		ex_eval_free(l->ev[k]);
	tarn_free(l->ev);
	tarn_free(l->v);
	tarn_free(l->h);
	tarn_free(l->prow);
	tarn_free(l->brow);
	tarn_free(l);
}

static tarn_rc local_new(struct ex_op *op, void **out)
{
	struct asof_op *j = (struct asof_op *)op;
	struct asof_local *l = tarn_calloc(1, sizeof *l);
	if (!l)
		return TARN_ENOMEM;
	l->ev = tarn_calloc((size_t)j->nk + 1, sizeof *l->ev);
	l->v = tarn_calloc((size_t)j->nk + 1, sizeof *l->v);
	tarn_rc rc = l->ev && l->v ? local_room(l, EX_BATCH_MAX) : TARN_ENOMEM;
	for (int k = 0; !rc && k <= j->nk; k++)
		rc = ex_eval_new(k < j->nk ? j->pkeys[k] : j->ptime, &l->ev[k]);
	if (rc) {
		local_free(op, l);
		return rc;
	}
	*out = l;
	return TARN_OK;
}

/* Compares build row r's time with the probe time (row i of v). */
static int time_cmp(const struct asof_op *j, uint32_t r, const struct ex_vec *v, int64_t i,
		    int64_t pt)
{
	if (j->int_time)
		return j->tv[r] < pt ? -1 : j->tv[r] > pt;
	return ex_value_cmp(btimes(j), r, v->a, VROW(v, i));
}

static int build_time_cmp(const struct asof_op *j, uint32_t a, uint32_t b)
{
	if (j->int_time)
		return j->tv[a] < j->tv[b] ? -1 : j->tv[a] > j->tv[b];
	return ex_value_cmp(btimes(j), a, btimes(j), b);
}

/* The chosen build row for probe row i (physical) in partition p, or
 * EX_NULL_ROW. */
static uint32_t search(const struct asof_op *j, int64_t p, const struct ex_vec *tv, int64_t i)
{
	int64_t lo = j->pstart[p], hi = j->pstart[p + 1];
	int64_t pt = j->int_time ? tarn_array_get_int(tv->a, VROW(tv, i)) : 0;
	/* first position whose time is > pt (upper) or >= pt (lower) */
	bool upper = j->cmp == EX_GE || j->cmp == EX_LT;
	int64_t a = lo, b = hi;
	while (a < b) {
		int64_t mid = a + (b - a) / 2;
		int c = time_cmp(j, j->order[mid], tv, i, pt);
		if (upper ? c <= 0 : c < 0)
			a = mid + 1;
		else
			b = mid;
	}
	int64_t pos;
	if (j->cmp == EX_GE || j->cmp == EX_GT)
		pos = a - 1; /* last with time <= pt (>=) or < pt (>) */
	else
		pos = a; /* first with time >= pt (<=) or > pt (<) */
	if (pos < lo || pos >= hi)
		return EX_NULL_ROW;
	if (j->cmp == EX_GE || j->cmp == EX_GT) {
		/* ties: the first of the run of equal times (build order) */
		uint32_t r = j->order[pos];
		int64_t a2 = lo, b2 = pos;
		while (a2 < b2) {
			int64_t mid = a2 + (b2 - a2) / 2;
			if (build_time_cmp(j, j->order[mid], r) < 0)
				a2 = mid + 1;
			else
				b2 = mid;
		}
		pos = a2;
	}
	return j->order[pos];
}

static int64_t find_part(const struct asof_op *j, const struct asof_local *l, int64_t k,
			 int64_t i)
{
	uint64_t h = l->h[k];
	for (uint64_t s = h & j->mask;; s = (s + 1) & j->mask) {
		uint32_t p1 = j->slots[s];
		if (!p1)
			return -1;
		uint32_t r = j->order[j->pstart[p1 - 1]];
		if (j->bh[r] != h)
			continue;
		bool eq = true;
		for (int c = 0; c < j->nk && eq; c++)
			eq = ex_value_cmp(l->v[c].a, VROW(&l->v[c], i), bkey(j, c), r) == 0;
		if (eq)
			return p1 - 1;
	}
}

static tarn_rc asof_stream(struct ex_op *op, void *ptr, struct ex_batch *in, struct ex_emit *out,
			   struct tarn_err *err)
{
	struct asof_op *j = (struct asof_op *)op;
	struct asof_local *l = ptr;
	int64_t n = in->n_sel;
	tarn_rc rc = local_room(l, n) ? tarn_err_nomem(err, "asof join") : TARN_OK;
	for (int k = 0; k <= j->nk && !rc; k++)
		rc = ex_eval_run(l->ev[k], k < j->nk ? j->pkeys[k] : j->ptime, in, in->sel, n,
				 &l->v[k], err);
	if (rc) {
		ex_batch_free(in);
		return rc;
	}
	if (j->nk == 0)
		memset(l->h, 0, (size_t)n * sizeof *l->h);
	for (int k = 0; k < j->nk; k++)
		ex_hash_column(l->v[k].a, l->v[k].is_const, in->sel, n, l->h, k > 0);
	const struct ex_vec *tv = &l->v[j->nk];
	int64_t m = 0;
	for (int64_t k = 0; k < n; k++) {
		int64_t i = in->sel ? in->sel[k] : k;
		uint32_t r = EX_NULL_ROW;
		bool null = vec_null(tv, i);
		for (int c = 0; c < j->nk && !null; c++)
			null = vec_null(&l->v[c], i);
		if (!null && j->n_parts > 0) {
			int64_t p = j->nk == 0 ? 0 : find_part(j, l, k, i);
			if (p >= 0)
				r = search(j, p, tv, i);
		}
		if (r == EX_NULL_ROW && j->kind != EX_JOIN_LEFT)
			continue;
		l->prow[m] = (uint32_t)i;
		l->brow[m++] = r;
	}
	struct ex_batch *b = NULL;
	if (m > 0 && ex_batch_new(j->np + j->nb, &b))
		rc = tarn_err_nomem(err, "asof join");
	for (int c = 0; b && c < j->np + j->nb && !rc; c++) {
		struct tarn_array *a;
		const struct tarn_type *t = &j->base.schema->fields[c].type;
		rc = tarn_array_new(t, m, &a);
		if (!rc)
			rc = ex_batch_hold_array(b, a);
		if (!rc)
			rc = c < j->np ? ex_array_gather(a, in->cols[c], l->prow, 0, m)
				       : ex_array_gather(a, j->bcols[c - j->np], l->brow, 0, m);
		if (rc) {
			rc = rc == TARN_ENOMEM ? tarn_err_nomem(err, "asof join")
					       : tarn_err_set(err, rc, "asof join: output too large");
			break;
		}
		if (a->validity)
			a->null_count = -1;
		b->cols[c] = a;
	}
	if (b) {
		b->n_rows = b->n_sel = m;
		b->seq = in->seq;
	}
	ex_batch_free(in);
	if (rc) {
		ex_batch_free(b);
		return rc;
	}
	return b ? ex_emit_push(out, b) : TARN_OK;
}

static void asof_free(struct ex_op *op)
{
	struct asof_op *j = (struct asof_op *)op;
	for (int k = 0; k < j->nk; k++) {
		ex_expr_free(j->pkeys ? j->pkeys[k] : NULL);
		ex_expr_free(j->bkeys ? j->bkeys[k] : NULL);
	}
	ex_expr_free(j->ptime);
	ex_expr_free(j->btime);
	for (int c = 0; j->bcols && c < ncols_built(j); c++)
		tarn_array_free(j->bcols[c]);
	tarn_free(j->bcols);
	tarn_free(j->pkeys);
	tarn_free(j->bkeys);
	tarn_free(j->tv);
	tarn_free(j->bh);
	tarn_free(j->order);
	tarn_free(j->pstart);
	tarn_free(j->slots);
	tarn_free(j);
}

static const struct ex_op_vt asof_vt = {
	.name = "asof join",
	.local_new = local_new,
	.local_free = local_free,
	.stream = asof_stream,
	.sink_new = part_new,
	.sink_free = part_free,
	.sink = asof_sink,
	.merge = asof_merge,
	.finish = asof_finish,
	.two_inputs = true,
	.free = asof_free,
};

/* Both sides of a comparison as one type. */
static tarn_rc unify(struct ex_expr **a, struct ex_expr **b, const char *what,
		     struct tarn_err *err)
{
	struct tarn_type t;
	tarn_type_init(&t, TARN_T_NULL);
	tarn_rc rc = ex_type_common(&(*a)->type, &(*b)->type, &t, err);
	if (!rc)
		rc = ex_expr_coerce(a, &t, err);
	if (!rc)
		rc = ex_expr_coerce(b, &t, err);
	if (!rc && !ex_type_is_scalar(t.id))
		rc = tarn_err_set(err, TARN_EUSAGE, "asof join: the %s cannot be compared", what);
	tarn_type_clear(&t);
	if (!rc) {
		ex_expr_prepare(*a);
		ex_expr_prepare(*b);
	}
	return rc;
}

tarn_rc ex_op_asof_join(enum ex_join_kind kind, struct ex_op *probe, struct ex_op *build,
			struct ex_expr **probe_keys, struct ex_expr **build_keys, int n_keys,
			struct ex_expr *probe_time, struct ex_expr *build_time, enum ex_cmp cmp,
			struct ex_op **out, struct tarn_err *err)
{
	*out = NULL;
	struct asof_op *j = tarn_calloc(1, sizeof *j);
	if (j) {
		j->pkeys = tarn_calloc((size_t)n_keys + 1, sizeof *j->pkeys);
		j->bkeys = tarn_calloc((size_t)n_keys + 1, sizeof *j->bkeys);
	}
	if (!j || !j->pkeys || !j->bkeys) {
		if (j) {
			tarn_free(j->pkeys);
			tarn_free(j->bkeys);
			tarn_free(j);
		}
		ex_op_free(probe);
		ex_op_free(build);
		for (int k = 0; k < n_keys; k++) {
			ex_expr_free(probe_keys[k]);
			ex_expr_free(build_keys[k]);
		}
		ex_expr_free(probe_time);
		ex_expr_free(build_time);
		return tarn_err_nomem(err, "asof join");
	}
	j->base.vt = &asof_vt;
	j->base.child[0] = probe;
	j->base.child[1] = build;
	j->kind = kind;
	j->cmp = cmp;
	j->nk = n_keys;
	j->np = probe->schema->n_fields;
	j->nb = build->schema->n_fields;
	j->ptime = probe_time;
	j->btime = build_time;
	for (int k = 0; k < n_keys; k++) {
		j->pkeys[k] = probe_keys[k];
		j->bkeys[k] = build_keys[k];
	}
	tarn_rc rc = TARN_OK;
	if (kind != EX_JOIN_INNER && kind != EX_JOIN_LEFT)
		rc = tarn_err_set(err, TARN_EUSAGE, "asof join: only inner and left joins");
	if (!rc && cmp != EX_GE && cmp != EX_GT && cmp != EX_LE && cmp != EX_LT)
		rc = tarn_err_set(err, TARN_EUSAGE, "asof join: the inequality must be >=, >, <= or <");
	for (int k = 0; k < n_keys && !rc; k++)
		rc = unify(&j->pkeys[k], &j->bkeys[k], "equality keys", err);
	if (!rc)
		rc = unify(&j->ptime, &j->btime, "inequality's two sides", err);
	if (!rc)
		j->int_time = tarn_type_is_int64_exact(j->btime->type.id);
	if (!rc) {
		rc = tarn_schema_new(j->np + j->nb, &j->base.schema);
		for (int c = 0; !rc && c < j->np + j->nb; c++) {
			const struct tarn_field *f = c < j->np ? &probe->schema->fields[c]
							       : &build->schema->fields[c - j->np];
			rc = tarn_field_copy(&j->base.schema->fields[c], f);
			j->base.schema->fields[c].nullable = true;
		}
		if (!rc)
			rc = new_cols(j, &j->bcols);
		if (rc)
			rc = tarn_err_nomem(err, "asof join");
	}
	if (rc) {
		ex_op_free(&j->base);
		return rc;
	}
	*out = &j->base;
	return TARN_OK;
}
