/*
 * op_join.c — hash join: inner, left/right/full outer, semi, anti, mark
 * (x IN subquery) and null-aware anti (x NOT IN subquery), on equality of
 * one or more keys, with an optional residual predicate.
 *
 * Build (child[1], a pipeline of its own): tasks evaluate the build keys
 * and compact their morsel; the driver keeps each morsel's arrays, in
 * order, as a chunk (pointer moves, no copy); finish() concatenates the
 * chunks once into exact-size build columns, hashes the keys and chains
 * the rows into buckets (head[] / next[], row + 1, 0 = end), inserting
 * from the last row so every chain runs in build order. Rows with a NULL
 * key are kept (outer joins return them) but not chained: NULL never
 * equals anything.
 *
 * Probe (child[0], streaming, any thread; the table is read-only then):
 * per batch, hash the probe keys, then walk all chains a step at a time —
 * each round collects (probe row, build row) candidates whose hashes agree,
 * compares their keys one key column at a time (vec.h), and records the
 * matches. Matches are flushed in groups: gathered into a pair batch
 * (probe columns ++ build columns), filtered by the residual predicate,
 * and emitted (inner/outer) or turned into per-row flags (semi, anti,
 * mark; these stop walking a row's chain at its first match when there is
 * no residual). Right and full joins set a per-build-row "matched" byte
 * (relaxed atomic stores from any task); after the probe side is done,
 * stream_end emits the build rows never matched, with NULL probe columns.
 *
 * Output order: inner matches round by round within each probe batch,
 * then (left/full) the unmatched probe rows of that batch; deterministic
 * for a given input, whatever the thread count.
 */
#include <string.h>

#include "base/mem.h"
#include "base/pool.h"
#include "sql/exec.h"
#include "sql/expr_int.h"

struct join_op {
	struct ex_op base;
	enum ex_join_kind kind;
	int nk, np, nb;
	struct ex_expr **pkeys, **bkeys, *residual;
	const char *name;
	/* the build side: morsel chunks (moved in by merge), then concatenated
	 * once, exact-size, by finish */
	struct chunk *chunks;
	int n_chunks, cap_chunks;
	struct tarn_array **bcols, **bk;
	bool *bneed;  /* build columns the output or the residual reads */
	bool *rneed;  /* probe ++ build columns the residual reads */
	int64_t bn;
	uint64_t *bh;
	uint32_t *head, *next;
	uint64_t mask;
	uint8_t *matched;
	bool null_key; /* some build row has a NULL key */
	int64_t end_pos; /* stream_end progress */
};

/* Right semi/anti joins: the probe side only marks build rows. */
static bool right_only(enum ex_join_kind k)
{
	return k == EX_JOIN_RIGHT_SEMI || k == EX_JOIN_RIGHT_ANTI;
}

/* ---- build --------------------------------------------------------------------------------- */

struct chunk {
	struct tarn_array **cols, **keys; /* nb, nk arrays of n rows */
	uint64_t *h;                      /* the keys' hashes, n */
	int64_t n;
};

static void chunk_free(struct chunk *c, int nb, int nk)
{
	for (int i = 0; c->cols && i < nb; i++)
		tarn_array_free(c->cols[i]);
	for (int i = 0; c->keys && i < nk; i++)
		tarn_array_free(c->keys[i]);
	tarn_free(c->cols);
	tarn_free(c->keys);
	tarn_free(c->h);
	c->cols = c->keys = NULL;
	c->h = NULL;
}

struct build_part {
	struct ex_eval **kev;
	struct ex_vec *kv;
	struct tarn_array **cols, **keys;
	uint64_t *h; /* hashes of the n rows' keys (computed in the task) */
	int64_t n, hcap;
};

static void build_part_free(struct ex_op *op, void *ptr)
{
	struct join_op *j = (struct join_op *)op;
	struct build_part *p = ptr;
	if (!p)
		return;
	for (int k = 0; p->kev && k < j->nk; k++)
		ex_eval_free(p->kev[k]);
	for (int c = 0; p->cols && c < j->nb; c++)
		tarn_array_free(p->cols[c]);
	for (int k = 0; p->keys && k < j->nk; k++)
		tarn_array_free(p->keys[k]);
	tarn_free(p->kev);
	tarn_free(p->kv);
	tarn_free(p->cols);
	tarn_free(p->keys);
	tarn_free(p->h);
	tarn_free(p);
}

static tarn_rc new_arrays(struct tarn_array ***v, int n, const struct tarn_type *(*type_of)(const struct join_op *, int),
			  const struct join_op *j)
{
	*v = tarn_calloc((size_t)(n ? n : 1), sizeof **v);
	if (!*v)
		return TARN_ENOMEM;
	for (int i = 0; i < n; i++)
		TRY(tarn_array_new(type_of(j, i), 0, &(*v)[i]));
	return TARN_OK;
}

static const struct tarn_type *build_col_type(const struct join_op *j, int i)
{
	return &j->base.child[1]->schema->fields[i].type;
}

static const struct tarn_type *build_key_type(const struct join_op *j, int i)
{
	return &j->bkeys[i]->type;
}

static tarn_rc build_part_new(struct ex_op *op, void **out)
{
	struct join_op *j = (struct join_op *)op;
	struct build_part *p = tarn_calloc(1, sizeof *p);
	if (!p)
		return TARN_ENOMEM;
	p->kev = tarn_calloc((size_t)(j->nk ? j->nk : 1), sizeof *p->kev);
	p->kv = tarn_calloc((size_t)(j->nk ? j->nk : 1), sizeof *p->kv);
	tarn_rc rc = !p->kev || !p->kv ? TARN_ENOMEM : TARN_OK;
	if (!rc)
		rc = new_arrays(&p->cols, j->nb, build_col_type, j);
	if (!rc)
		rc = new_arrays(&p->keys, j->nk, build_key_type, j);
	for (int k = 0; !rc && k < j->nk; k++)
		rc = ex_eval_new(j->bkeys[k], &p->kev[k]);
	if (rc) {
		build_part_free(op, p);
		return rc;
	}
	*out = p;
	return TARN_OK;
}

static tarn_rc append_vec(struct tarn_array *dst, const struct ex_vec *v, const uint32_t *sel,
			  int64_t n)
{
	TRY(v->is_const ? ex_array_repeat(dst, v->a, 0, n) : ex_array_gather(dst, v->a, sel, 0, n));
	if (dst->validity)
		dst->null_count = -1;
	return TARN_OK;
}

static tarn_rc build_sink(struct ex_op *op, void *ptr, struct ex_batch *in, struct tarn_err *err)
{
	struct join_op *j = (struct join_op *)op;
	struct build_part *p = ptr;
	tarn_rc rc = TARN_OK;
	if (p->n + in->n_sel > p->hcap) {
		int64_t cap = p->hcap ? p->hcap : 1024;
		while (cap < p->n + in->n_sel)
			cap *= 2;
		uint64_t *h = tarn_realloc(p->h, (size_t)cap * sizeof *h);
		if (!h) {
			ex_batch_free(in);
			return tarn_err_nomem(err, "hash join build");
		}
		p->h = h;
		p->hcap = cap;
	}
	for (int k = 0; k < j->nk && !rc; k++) {
		rc = ex_eval_run(p->kev[k], j->bkeys[k], in, in->sel, in->n_sel, &p->kv[k], err);
		if (!rc && (rc = append_vec(p->keys[k], &p->kv[k], in->sel, in->n_sel)))
			rc = tarn_err_nomem(err, "hash join build");
		/* the hashes too, here in the task rather than in finish() */
		if (!rc)
			ex_hash_column(p->kv[k].a, p->kv[k].is_const, in->sel, in->n_sel,
				       p->h + p->n, k > 0);
	}
	for (int c = 0; c < j->nb && !rc; c++) {
		if (!j->bneed[c])
			continue; /* semi/anti joins keep only what they read */
		struct ex_vec v = { in->cols[c], false };
		if ((rc = append_vec(p->cols[c], &v, in->sel, in->n_sel)))
			rc = tarn_err_nomem(err, "hash join build");
	}
	if (!rc)
		p->n += in->n_sel;
	ex_batch_free(in);
	return rc;
}

/* Moves the morsel's arrays into a chunk (no copy: the driver's share of
 * the build is pointer moves); the partial gets fresh arrays. */
static tarn_rc build_merge(struct ex_op *op, void *ptr, struct tarn_err *err)
{
	struct join_op *j = (struct join_op *)op;
	struct build_part *p = ptr;
	if (p->n == 0)
		return TARN_OK;
	if (j->n_chunks == j->cap_chunks) {
		int cap = j->cap_chunks ? j->cap_chunks * 2 : 16;
		struct chunk *v = tarn_realloc(j->chunks, (size_t)cap * sizeof *v);
		if (!v)
			return tarn_err_nomem(err, "hash join build");
		j->chunks = v;
		j->cap_chunks = cap;
	}
	struct chunk c = { p->cols, p->keys, p->h, p->n };
	p->cols = p->keys = NULL;
	p->h = NULL;
	p->hcap = 0;
	p->n = 0;
	int64_t bytes = c.n * (int64_t)sizeof *c.h;
	for (int i = 0; i < j->nb; i++)
		bytes += ex_array_bytes(c.cols[i]);
	for (int i = 0; i < j->nk; i++)
		bytes += ex_array_bytes(c.keys[i]);
	j->chunks[j->n_chunks++] = c;
	j->bn += c.n;
	tarn_rc rc = new_arrays(&p->cols, j->nb, build_col_type, j);
	if (!rc)
		rc = new_arrays(&p->keys, j->nk, build_key_type, j);
	if (rc)
		return tarn_err_nomem(err, "hash join build");
	if (j->bn > UINT32_MAX - 1)
		return tarn_err_set(err, TARN_ELIMIT, "hash join: build side over 4294967294 rows");
	TRY(ex_mem_reserve(op->q, "hash join (build side)", bytes, err));
	op->mem_held += bytes;
	return TARN_OK;
}

/* ---- finish: the table, built by every thread ------------------------------------------
 *
 * finish() runs on the driver once the build pipeline is done. Its work is
 * split into jobs run by up to `threads` workers (the driver and pool
 * tasks; with one thread, all inline), each phase ending before the next:
 *  1. concatenation: one job per needed column and key column (and one for
 *     the hashes, computed per morsel in the build tasks) copies the
 *     chunks, in order, into exact-size arrays;
 *  2. radix partitioning (for tables over 32K rows): the rows are cut into
 *     one contiguous range per worker; each worker counts its range's rows
 *     per partition (the high bits of the bucket), the counts are summed
 *     into offsets (partition-major, then range), and each worker scatters
 *     its rows there — so every partition lists its rows in build order;
 *  3. chaining: workers take partitions (disjoint slices of head[]) and
 *     chain their rows from the last, so every chain runs in build order.
 * The table is the same whatever the number of workers. */

struct par;

struct worker {
	struct par *pa;
	int id;
	struct tarn_task task;
	tarn_rc rc;
	bool null_key;
};

struct par {
	struct join_op *j;
	int nw;
	_Atomic int next_job;
	/* phase 1 */
	int *job_col; /* column index per job: 0..nb-1 columns, nb.. keys, -1 hashes */
	int n_jobs;
	/* phases 2-3 */
	int shift, pbits;
	int64_t np;
	int64_t *cnt; /* [np][nw]: counts, then each (partition, range)'s next slot */
	int64_t *pend; /* end of each partition in order[] */
	uint32_t *order;
	bool nulls;
	struct worker *w;
};

static void run_workers(struct par *pa, void (*fn)(void *))
{
	for (int t = 1; t < pa->nw; t++) {
		pa->w[t].task.fn = fn;
		pa->w[t].task.arg = &pa->w[t];
		tarn_pool_submit(&pa->w[t].task);
	}
	fn(&pa->w[0]);
	for (int t = 1; t < pa->nw; t++)
		tarn_task_wait(&pa->w[t].task);
}

/* One column of the build side: the chunks' arrays concatenated into dst
 * (sized once), each chunk's array freed as soon as it is copied. */
static tarn_rc concat(struct join_op *j, struct tarn_array *dst, bool keys, int idx)
{
	int64_t bytes = 0;
	enum tarn_type_id id = dst->type->id;
	bool var = id == TARN_T_STRING || id == TARN_T_BINARY;
	for (int c = 0; c < j->n_chunks && var; c++) {
		const struct tarn_array *a = keys ? j->chunks[c].keys[idx] : j->chunks[c].cols[idx];
		bytes += a->values_len;
	}
	TRY(tarn_array_reserve(dst, j->bn));
	if (var)
		TRY(tarn_array_reserve_bytes(dst, bytes));
	for (int c = 0; c < j->n_chunks; c++) {
		struct tarn_array **src = keys ? &j->chunks[c].keys[idx] : &j->chunks[c].cols[idx];
		TRY(ex_array_gather(dst, *src, NULL, 0, (*src)->length));
		tarn_array_free(*src);
		*src = NULL;
	}
	ex_array_finish(dst);
	return TARN_OK;
}

static void concat_worker(void *arg)
{
	struct worker *w = arg;
	struct par *pa = w->pa;
	struct join_op *j = pa->j;
	for (int q; !w->rc && (q = atomic_fetch_add(&pa->next_job, 1)) < pa->n_jobs;) {
		int c = pa->job_col[q];
		if (c < 0) {
			int64_t at = 0;
			for (int k = 0; k < j->n_chunks; k++) {
				memcpy(j->bh + at, j->chunks[k].h, (size_t)j->chunks[k].n * sizeof *j->bh);
				at += j->chunks[k].n;
				tarn_free(j->chunks[k].h);
				j->chunks[k].h = NULL;
			}
		} else if (c < j->nb) {
			w->rc = concat(j, j->bcols[c], false, c);
		} else {
			w->rc = concat(j, j->bk[c - j->nb], true, c - j->nb);
		}
	}
}

static void row_range(const struct par *pa, int t, int64_t *lo, int64_t *hi)
{
	int64_t n = pa->j->bn;
	*lo = n * t / pa->nw;
	*hi = n * (t + 1) / pa->nw;
}

static void count_worker(void *arg)
{
	struct worker *w = arg;
	struct par *pa = w->pa;
	const struct join_op *j = pa->j;
	int64_t lo, hi;
	row_range(pa, w->id, &lo, &hi);
	int64_t *cnt = pa->cnt, nw = pa->nw;
	for (int64_t r = lo; r < hi; r++)
		cnt[(int64_t)((j->bh[r] & j->mask) >> pa->shift) * nw + w->id]++;
}

static void scatter_worker(void *arg)
{
	struct worker *w = arg;
	struct par *pa = w->pa;
	const struct join_op *j = pa->j;
	int64_t lo, hi;
	row_range(pa, w->id, &lo, &hi);
	int64_t *cnt = pa->cnt, nw = pa->nw;
	for (int64_t r = lo; r < hi; r++)
		pa->order[cnt[(int64_t)((j->bh[r] & j->mask) >> pa->shift) * nw + w->id]++] = (uint32_t)r;
}

/* Chains rows order[lo..hi) (ascending) from the last. */
static void chain_range(struct join_op *j, const struct par *pa, int64_t lo, int64_t hi,
			bool *null_key)
{
	for (int64_t q = hi - 1; q >= lo; q--) {
		int64_t r = pa->order ? pa->order[q] : q;
		if (pa->nulls) {
			bool has_null = false;
			for (int k = 0; k < j->nk && !has_null; k++)
				has_null = ex_is_null(j->bk[k], r);
			if (has_null) {
				*null_key = true;
				continue;
			}
		}
		uint64_t b = j->bh[r] & j->mask;
		j->next[r] = j->head[b];
		j->head[b] = (uint32_t)(r + 1);
	}
}

static void chain_worker(void *arg)
{
	struct worker *w = arg;
	struct par *pa = w->pa;
	const int64_t step = 16; /* partitions per grab */
	for (int64_t p0; (p0 = (int64_t)atomic_fetch_add(&pa->next_job, (int)step)) < pa->np;)
		for (int64_t p = p0; p < p0 + step && p < pa->np; p++)
			chain_range(pa->j, pa, p ? pa->pend[p - 1] : 0, pa->pend[p], &w->null_key);
}

/* Chains every row with non-NULL keys into its bucket (phases 2-3). The
 * head[] writes are random; for a big table the rows are first
 * radix-partitioned by the high bits of their bucket, so each partition's
 * writes stay within a cache-sized slice of head[]. */
static tarn_rc chain_rows(struct join_op *j, struct par *pa, uint64_t slots, struct tarn_err *err)
{
	int64_t n = j->bn;
	int bits = 0;
	while (((uint64_t)1 << bits) < slots)
		bits++;
	int pbits = bits > 16 ? bits - 16 : 0; /* 64K buckets (256 KiB) per partition */
	if (pbits > 12)
		pbits = 12;
	pa->np = (int64_t)1 << pbits;
	pa->pbits = pbits;
	pa->shift = bits - pbits;
	pa->nulls = false;
	for (int k = 0; k < j->nk; k++)
		pa->nulls |= ex_has_nulls(j->bk[k]);
	if (pbits == 0) {
		bool nk = false;
		chain_range(j, pa, 0, n, &nk);
		j->null_key |= nk;
		return TARN_OK;
	}
	pa->order = tarn_malloc((size_t)(n ? n : 1) * sizeof *pa->order);
	pa->cnt = tarn_calloc((size_t)(pa->np * pa->nw), sizeof *pa->cnt);
	pa->pend = tarn_malloc((size_t)pa->np * sizeof *pa->pend);
	if (!pa->order || !pa->cnt || !pa->pend)
		return tarn_err_nomem(err, "hash join");
	run_workers(pa, count_worker);
	int64_t at = 0;
	for (int64_t p = 0; p < pa->np; p++) {
		for (int t = 0; t < pa->nw; t++) {
			int64_t c = pa->cnt[p * pa->nw + t];
			pa->cnt[p * pa->nw + t] = at;
			at += c;
		}
		pa->pend[p] = at;
	}
	run_workers(pa, scatter_worker);
	atomic_store(&pa->next_job, 0);
	run_workers(pa, chain_worker);
	for (int t = 0; t < pa->nw; t++)
		j->null_key |= pa->w[t].null_key;
	return TARN_OK;
}

static void par_free(struct par *pa)
{
	tarn_free(pa->job_col);
	tarn_free(pa->cnt);
	tarn_free(pa->pend);
	tarn_free(pa->order);
	tarn_free(pa->w);
}

static tarn_rc build_finish(struct ex_op *op, struct tarn_err *err)
{
	struct join_op *j = (struct join_op *)op;
	int64_t n = j->bn;
	struct par pa = { .j = j };
	pa.nw = op->q && op->q->threads > 1 ? op->q->threads : 1;
	if (n < 16384)
		pa.nw = 1; /* not worth waking anyone */
	pa.w = tarn_calloc((size_t)pa.nw, sizeof *pa.w);
	pa.job_col = tarn_malloc((size_t)(j->nb + j->nk + 1) * sizeof *pa.job_col);
	if (!pa.w || !pa.job_col) {
		par_free(&pa);
		return tarn_err_nomem(err, "hash join build");
	}
	for (int t = 0; t < pa.nw; t++) {
		pa.w[t].pa = &pa;
		pa.w[t].id = t;
	}
	/* the concatenation briefly holds a second copy of up to nw columns */
	int64_t sizes[2] = { 0, 0 };
	for (int i = 0; i < j->nb + j->nk; i++) {
		int64_t b = 0;
		for (int c = 0; c < j->n_chunks; c++)
			b += ex_array_bytes(i < j->nb ? j->chunks[c].cols[i] : j->chunks[c].keys[i - j->nb]);
		if (b > sizes[0]) {
			sizes[1] = sizes[0];
			sizes[0] = b;
		} else if (b > sizes[1]) {
			sizes[1] = b;
		}
	}
	int64_t dup = sizes[0] + (pa.nw > 1 ? sizes[1] : 0);
	tarn_rc rc = ex_mem_reserve(op->q, "hash join (build side)", dup, err);
	if (rc) {
		par_free(&pa);
		return rc;
	}
	uint64_t slots = 16;
	while (slots < (uint64_t)n * 2)
		slots *= 2;
	bool rf = j->kind == EX_JOIN_RIGHT || j->kind == EX_JOIN_FULL || right_only(j->kind);
	/* bh takes over the chunks' hashes, counted by merge */
	int64_t extra = (int64_t)slots * 4 + n * 4 + (rf ? n : 0) + (n > 32768 ? n * 4 : 0);
	rc = ex_mem_reserve(op->q, "hash join (build side)", extra, err);
	if (rc) {
		ex_mem_release(op->q, dup);
		par_free(&pa);
		return rc;
	}
	op->mem_held += extra;
	j->bh = tarn_malloc((size_t)(n ? n : 1) * sizeof *j->bh);
	j->head = tarn_calloc(slots, sizeof *j->head);
	j->next = tarn_calloc((size_t)(n ? n : 1), sizeof *j->next);
	if (rf)
		j->matched = tarn_calloc((size_t)(n ? n : 1), 1);
	if (!j->bh || !j->head || !j->next || (rf && !j->matched)) {
		ex_mem_release(op->q, dup);
		par_free(&pa);
		return tarn_err_nomem(err, "hash join");
	}
	j->mask = slots - 1;
	for (int i = 0; i < j->nb; i++)
		if (j->bneed[i])
			pa.job_col[pa.n_jobs++] = i;
	for (int i = 0; i < j->nk; i++)
		pa.job_col[pa.n_jobs++] = j->nb + i;
	pa.job_col[pa.n_jobs++] = -1;
	run_workers(&pa, concat_worker);
	ex_mem_release(op->q, dup);
	tarn_rc crc = TARN_OK;
	for (int t = 0; t < pa.nw && !crc; t++)
		crc = pa.w[t].rc;
	for (int c = 0; c < j->n_chunks; c++)
		chunk_free(&j->chunks[c], j->nb, j->nk);
	j->n_chunks = 0;
	if (crc) {
		par_free(&pa);
		return crc == TARN_ENOMEM ? tarn_err_nomem(err, "hash join build")
					  : tarn_err_set(err, crc, "hash join: build side too large");
	}
	atomic_store(&pa.next_job, 0);
	rc = chain_rows(j, &pa, slots, err);
	par_free(&pa);
	return rc;
}

/* ---- probe ---------------------------------------------------------------------------------- */

struct probe_local {
	struct ex_eval **kev, *rev;
	struct ex_vec *kv;
	int64_t cap;   /* probe rows the per-row buffers hold */
	uint64_t *h;
	uint32_t *cand, *act, *act2, *prow, *cp, *cb, *crow, *list, *miss, *mp, *mb, *psel;
	uint8_t *hit;
	int64_t mcap;  /* match buffer capacity */
	int64_t nm;    /* matches buffered */
};

static void probe_local_free(struct ex_op *op, void *ptr)
{
	struct join_op *j = (struct join_op *)op;
	struct probe_local *l = ptr;
	if (!l)
		return;
	for (int k = 0; l->kev && k < j->nk; k++)
		ex_eval_free(l->kev[k]);
	ex_eval_free(l->rev);
	tarn_free(l->kev);
	tarn_free(l->kv);
	uint32_t *bufs[] = { l->cand, l->act, l->act2, l->prow, l->cp, l->cb,
			     l->crow, l->list, l->miss, l->mp,	l->mb, l->psel };
	for (size_t i = 0; i < sizeof bufs / sizeof *bufs; i++)
		tarn_free(bufs[i]);
	tarn_free(l->h);
	tarn_free(l->hit);
	tarn_free(l);
}

static tarn_rc probe_local_new(struct ex_op *op, void **out)
{
	struct join_op *j = (struct join_op *)op;
	struct probe_local *l = tarn_calloc(1, sizeof *l);
	if (!l)
		return TARN_ENOMEM;
	l->kev = tarn_calloc((size_t)(j->nk ? j->nk : 1), sizeof *l->kev);
	l->kv = tarn_calloc((size_t)(j->nk ? j->nk : 1), sizeof *l->kv);
	tarn_rc rc = !l->kev || !l->kv ? TARN_ENOMEM : TARN_OK;
	for (int k = 0; !rc && k < j->nk; k++)
		rc = ex_eval_new(j->pkeys[k], &l->kev[k]);
	if (!rc && j->residual)
		rc = ex_eval_new(j->residual, &l->rev);
	if (rc) {
		probe_local_free(op, l);
		return rc;
	}
	*out = l;
	return TARN_OK;
}

static tarn_rc local_room(struct probe_local *l, int64_t n)
{
	if (n <= l->cap)
		return TARN_OK;
	int64_t cap = n < 1024 ? 1024 : n;
	uint32_t **bufs[] = { &l->cand, &l->act, &l->act2, &l->prow, &l->cp, &l->cb,
			      &l->crow, &l->list, &l->miss };
	for (size_t i = 0; i < sizeof bufs / sizeof *bufs; i++) {
		tarn_free(*bufs[i]);
		if (!(*bufs[i] = tarn_malloc((size_t)cap * sizeof(uint32_t))))
			return TARN_ENOMEM;
	}
	tarn_free(l->h);
	tarn_free(l->hit);
	l->h = tarn_malloc((size_t)cap * sizeof *l->h);
	l->hit = tarn_malloc((size_t)cap);
	if (!l->h || !l->hit)
		return TARN_ENOMEM;
	l->cap = cap;
	int64_t mcap = 2 * cap > EX_BATCH_MAX ? 2 * cap : EX_BATCH_MAX;
	tarn_free(l->mp);
	tarn_free(l->mb);
	tarn_free(l->psel);
	l->mp = tarn_malloc((size_t)mcap * sizeof *l->mp);
	l->mb = tarn_malloc((size_t)mcap * sizeof *l->mb);
	l->psel = tarn_malloc((size_t)mcap * sizeof *l->psel);
	if (!l->mp || !l->mb || !l->psel)
		return TARN_ENOMEM;
	l->mcap = mcap;
	return TARN_OK;
}

static bool emits_pairs(enum ex_join_kind k)
{
	return k == EX_JOIN_INNER || k == EX_JOIN_LEFT || k == EX_JOIN_RIGHT || k == EX_JOIN_FULL;
}

/* m NULL rows appended to a (its type's zero bytes, all-null bitmap). */
static tarn_rc fill_nulls(struct tarn_array *a, int64_t m)
{
	if (tarn_type_is_nested(a->type->id)) {
		for (int64_t k = 0; k < m; k++)
			TRY(tarn_array_append_null(a));
		return TARN_OK;
	}
	TRY(tarn_array_reserve(a, m));
	TRY(tarn_array_ensure_validity(a));
	int64_t at = a->length;
	int w = tarn_type_width(a->type->id);
	if (w > 0)
		memset(a->values + at * w, 0, (size_t)(m * w));
	for (int64_t k = 0; k < m; k++) {
		tarn_bit_set(a->validity, at + k, false);
		if (a->offsets)
			a->offsets[at + k + 1] = a->offsets[at];
		if (a->type->id == TARN_T_BOOL)
			tarn_bit_set(a->values, at + k, false);
	}
	a->length = at + m;
	a->null_count += m;
	return TARN_OK;
}

/* A batch of m rows: probe columns gathered at probe rows prow (NULL row
 * = EX_NULL_ROW; in NULL = every probe column NULL), build columns at
 * build rows brow. */
static tarn_rc pair_batch(struct join_op *j, const struct ex_batch *in, const uint32_t *prow,
			  const uint32_t *brow, int64_t m, struct ex_batch **out,
			  struct tarn_err *err)
{
	*out = NULL;
	struct ex_batch *b;
	if (ex_batch_new(j->np + j->nb, &b))
		return tarn_err_nomem(err, "hash join");
	for (int c = 0; c < j->np + j->nb; c++) {
		/* pairs that are not output (semi, anti, mark) only feed the
		 * residual: the columns it does not read stay absent */
		if (!emits_pairs(j->kind) && !j->rneed[c])
			continue;
		struct tarn_array *a;
		/* Semi/anti joins output probe columns only; a residual still sees
		 * the build columns, typed by the build side's schema. */
		const struct tarn_type *ct = c < j->np ? &j->base.child[0]->schema->fields[c].type
						       : build_col_type(j, c - j->np);
		tarn_rc rc = tarn_array_new(ct, m, &a);
		if (!rc)
			rc = ex_batch_hold_array(b, a);
		if (!rc && ((c < j->np && !in) || (c >= j->np && !j->bneed[c - j->np])))
			rc = fill_nulls(a, m); /* NULL probe rows; build columns nobody reads */
		else if (!rc)
			rc = c < j->np ? ex_array_gather(a, in->cols[c], prow, 0, m)
				       : ex_array_gather(a, j->bcols[c - j->np], brow, 0, m);
		if (rc) {
			ex_batch_free(b);
			return rc == TARN_ENOMEM ? tarn_err_nomem(err, "hash join")
						 : tarn_err_set(err, rc, "hash join: output too large");
		}
		if (a->validity)
			a->null_count = -1;
		b->cols[c] = a;
	}
	b->n_rows = b->n_sel = m;
	b->seq = in ? in->seq : 0;
	*out = b;
	return TARN_OK;
}

/* Handles the buffered matches (l->mp: probe positions, l->mb: build rows). */
static tarn_rc flush(struct join_op *j, struct probe_local *l, const struct ex_batch *in,
		     struct ex_emit *out, struct tarn_err *err)
{
	int64_t m = l->nm;
	l->nm = 0;
	if (m == 0)
		return TARN_OK;
	if (!emits_pairs(j->kind) && !j->residual) {
		for (int64_t q = 0; q < m; q++) {
			l->hit[l->mp[q]] = 1;
			if (j->matched)
				__atomic_store_n(&j->matched[l->mb[q]], 1, __ATOMIC_RELAXED);
		}
		return TARN_OK;
	}
	/* probe rows of the matches */
	for (int64_t q = 0; q < m; q++)
		l->psel[q] = l->prow[l->mp[q]];
	struct ex_batch *b;
	TRY(pair_batch(j, in, l->psel, l->mb, m, &b, err));
	if (j->residual) {
		uint32_t *sel = tarn_malloc((size_t)m * sizeof *sel);
		if (!sel) {
			ex_batch_free(b);
			return tarn_err_nomem(err, "hash join");
		}
		b->sel = sel;
		tarn_rc rc = ex_eval_select(l->rev, j->residual, b, NULL, m, sel, &b->n_sel, err);
		if (rc) {
			ex_batch_free(b);
			return rc;
		}
	}
	for (int64_t q = 0; q < b->n_sel; q++) {
		uint32_t pair = b->sel ? b->sel[q] : (uint32_t)q;
		l->hit[l->mp[pair]] = 1;
		if (j->matched)
			__atomic_store_n(&j->matched[l->mb[pair]], 1, __ATOMIC_RELAXED);
	}
	if (emits_pairs(j->kind) && b->n_sel > 0)
		return ex_emit_push(out, b);
	ex_batch_free(b);
	return TARN_OK;
}

static tarn_rc probe_stream(struct ex_op *op, void *ptr, struct ex_batch *in, struct ex_emit *out,
			    struct tarn_err *err)
{
	struct join_op *j = (struct join_op *)op;
	struct probe_local *l = ptr;
	int64_t n = in->n_sel;
	tarn_rc rc = local_room(l, n);
	if (rc) {
		ex_batch_free(in);
		return tarn_err_nomem(err, "hash join");
	}
	memset(l->hit, 0, (size_t)n);
	for (int64_t k = 0; k < n; k++)
		l->prow[k] = in->sel ? in->sel[k] : (uint32_t)k;
	for (int c = 0; c < j->nk && !rc; c++)
		rc = ex_eval_run(l->kev[c], j->pkeys[c], in, in->sel, n, &l->kv[c], err);
	if (rc) {
		ex_batch_free(in);
		return rc;
	}
	bool stop_at_first = !emits_pairs(j->kind) && !j->residual && !right_only(j->kind);
	l->nm = 0;
	if (j->bn > 0 && n > 0) {
		for (int c = 0; c < j->nk; c++)
			ex_hash_column(l->kv[c].a, l->kv[c].is_const, in->sel, n, l->h, c > 0);
		int64_t na = 0;
		/* head[] and bh[] are random reads into tables bigger than the
		 * caches for large builds: prefetch a few rows ahead */
		const int64_t ahead = 16;
		for (int64_t k = 0; k < n; k++) {
			if (k + ahead < n)
				__builtin_prefetch(&j->head[l->h[k + ahead] & j->mask]);
			bool has_null = false;
			for (int c = 0; c < j->nk && !has_null; c++)
				has_null = vec_null(&l->kv[c], l->prow[k]);
			uint32_t h = has_null ? 0 : j->head[l->h[k] & j->mask];
			l->cand[k] = h;
			if (h)
				l->act[na++] = (uint32_t)k;
		}
		uint32_t *act = l->act, *act2 = l->act2;
		while (na > 0) {
			if (l->nm + na > l->mcap && (rc = flush(j, l, in, out, err)))
				break;
			/* candidates with equal hashes; every active row steps its chain */
			int64_t nc = 0, nn = 0;
			for (int64_t q = 0; q < na; q++) {
				uint32_t k = act[q], b = l->cand[k] - 1;
				if (q + ahead < na) {
					uint32_t b2 = l->cand[act[q + ahead]] - 1;
					__builtin_prefetch(&j->bh[b2]);
					__builtin_prefetch(&j->next[b2]);
				}
				if (j->bh[b] == l->h[k]) {
					l->cp[nc] = k;
					l->cb[nc] = b;
					l->crow[nc] = l->kv[0].is_const ? 0 : l->prow[k];
					nc++;
				}
				l->cand[k] = j->next[b];
			}
			/* compare keys column by column */
			for (int64_t q = 0; q < nc; q++)
				l->list[q] = (uint32_t)q;
			int64_t nl = nc, nmiss = 0;
			for (int c = 0; c < j->nk && nl > 0; c++) {
				if (c > 0)
					for (int64_t q = 0; q < nc; q++)
						l->crow[q] = l->kv[c].is_const ? 0 : l->prow[l->cp[q]];
				nl = ex_keys_filter_equal(l->kv[c].a, l->crow, j->bk[c], l->cb, l->list,
							  nl, l->list, l->miss, &nmiss);
			}
			for (int64_t q = 0; q < nl; q++) {
				l->mp[l->nm] = l->cp[l->list[q]];
				l->mb[l->nm++] = l->cb[l->list[q]];
				if (stop_at_first)
					l->hit[l->cp[l->list[q]]] = 1;
			}
			for (int64_t q = 0; q < na; q++) {
				uint32_t k = act[q];
				if (l->cand[k] && !(stop_at_first && l->hit[k]))
					act2[nn++] = k;
			}
			uint32_t *t = act;
			act = act2;
			act2 = t;
			na = nn;
		}
		if (!rc)
			rc = flush(j, l, in, out, err);
	}
	if (rc) {
		ex_batch_free(in);
		return rc;
	}
	bool build_empty = j->bn == 0;
	switch (j->kind) {
	case EX_JOIN_INNER:
	case EX_JOIN_RIGHT:
	case EX_JOIN_RIGHT_SEMI:
	case EX_JOIN_RIGHT_ANTI: ex_batch_free(in); return TARN_OK;
	case EX_JOIN_LEFT:
	case EX_JOIN_FULL: {
		/* unmatched probe rows with NULL build columns */
		int64_t m = 0;
		for (int64_t k = 0; k < n; k++)
			if (!l->hit[k]) {
				l->mp[m] = l->prow[k];
				l->mb[m++] = EX_NULL_ROW;
			}
		struct ex_batch *b = NULL;
		if (m > 0)
			rc = pair_batch(j, in, l->mp, l->mb, m, &b, err);
		ex_batch_free(in);
		if (rc)
			return rc;
		return b ? ex_emit_push(out, b) : TARN_OK;
	}
	case EX_JOIN_SEMI:
	case EX_JOIN_ANTI:
	case EX_JOIN_ANTI_NULL_AWARE: {
		if (!in->sel && !(in->sel = tarn_malloc((size_t)(n ? n : 1) * sizeof *in->sel))) {
			ex_batch_free(in);
			return tarn_err_nomem(err, "hash join");
		}
		int64_t m = 0;
		for (int64_t k = 0; k < n; k++) {
			bool keep;
			if (j->kind == EX_JOIN_SEMI) {
				keep = l->hit[k];
			} else if (j->kind == EX_JOIN_ANTI) {
				keep = !l->hit[k];
			} else if (build_empty) {
				keep = true;
			} else {
				keep = !l->hit[k] && !j->null_key && !vec_null(&l->kv[0], l->prow[k]);
			}
			in->sel[m] = l->prow[k];
			m += keep;
		}
		in->n_sel = m;
		if (m == 0) {
			ex_batch_free(in);
			return TARN_OK;
		}
		return ex_emit_push(out, in);
	}
	case EX_JOIN_MARK: {
		struct ex_batch *b;
		if (ex_batch_new(j->np + 1, &b)) {
			ex_batch_free(in);
			return tarn_err_nomem(err, "hash join");
		}
		for (int c = 0; c < j->np; c++)
			b->cols[c] = in->cols[c];
		struct tarn_array *mark = NULL;
		rc = tarn_array_new(&j->base.schema->fields[j->np].type, in->n_rows, &mark);
		if (!rc)
			rc = ex_batch_hold_array(b, mark);
		if (!rc)
			rc = ex_batch_take_holders(b, in);
		if (rc) {
			ex_batch_free(b);
			ex_batch_free(in);
			return tarn_err_nomem(err, "hash join");
		}
		mark->length = in->n_rows;
		memset(mark->values, 0, (size_t)((in->n_rows + 7) / 8));
		for (int64_t k = 0; k < n; k++) {
			uint32_t i = l->prow[k];
			if (l->hit[k]) {
				tarn_bit_set(mark->values, i, true);
			} else if (!build_empty && (j->null_key || vec_null(&l->kv[0], i))) {
				if (!mark->validity && (rc = ex_scratch_validity(mark)))
					break;
				ex_set_null(mark, i);
			}
		}
		b->cols[j->np] = mark;
		b->n_rows = in->n_rows;
		b->n_sel = in->n_sel;
		b->seq = in->seq;
		b->sel = in->sel;
		in->sel = NULL;
		ex_batch_free(in);
		if (rc) {
			ex_batch_free(b);
			return tarn_err_nomem(err, "hash join");
		}
		return ex_emit_push(out, b);
	}
	}
	ex_batch_free(in);
	return TARN_OK;
}

/* m build rows (right semi/anti output: build columns only). */
static tarn_rc build_batch(struct join_op *j, const uint32_t *brow, int64_t m,
			   struct ex_batch **out, struct tarn_err *err)
{
	*out = NULL;
	struct ex_batch *b;
	if (ex_batch_new(j->nb, &b))
		return tarn_err_nomem(err, "hash join");
	for (int c = 0; c < j->nb; c++) {
		struct tarn_array *a;
		tarn_rc rc = tarn_array_new(build_col_type(j, c), m, &a);
		if (!rc)
			rc = ex_batch_hold_array(b, a);
		if (!rc)
			rc = ex_array_gather(a, j->bcols[c], brow, 0, m);
		if (rc) {
			ex_batch_free(b);
			return rc == TARN_ENOMEM ? tarn_err_nomem(err, "hash join")
						 : tarn_err_set(err, rc, "hash join: output too large");
		}
		if (a->validity)
			a->null_count = -1;
		b->cols[c] = a;
	}
	b->n_rows = b->n_sel = m;
	*out = b;
	return TARN_OK;
}

/* Right/full joins: the build rows never matched, NULL probe columns;
 * right semi/anti joins: the build rows matched / never matched. */
static tarn_rc join_end(struct ex_op *op, struct ex_emit *out, struct tarn_err *err)
{
	struct join_op *j = (struct join_op *)op;
	if (!j->matched)
		return TARN_OK;
	uint32_t *prow = tarn_malloc(EX_BATCH_MAX * sizeof *prow);
	uint32_t *brow = tarn_malloc(EX_BATCH_MAX * sizeof *brow);
	tarn_rc rc = !prow || !brow ? tarn_err_nomem(err, "hash join") : TARN_OK;
	uint8_t want = j->kind == EX_JOIN_RIGHT_SEMI; /* the matched flag emitted */
	for (int64_t r = 0; !rc && r < j->bn;) {
		int64_t m = 0;
		for (; r < j->bn && m < EX_BATCH_MAX; r++)
			if (j->matched[r] == want) {
				prow[m] = EX_NULL_ROW;
				brow[m++] = (uint32_t)r;
			}
		if (m == 0)
			break;
		struct ex_batch *b = NULL;
		rc = right_only(j->kind) ? build_batch(j, brow, m, &b, err)
					 : pair_batch(j, NULL, prow, brow, m, &b, err);
		if (!rc)
			rc = ex_emit_push(out, b);
	}
	tarn_free(prow);
	tarn_free(brow);
	return rc;
}

static void join_free(struct ex_op *op)
{
	struct join_op *j = (struct join_op *)op;
	for (int k = 0; k < j->nk; k++) {
		if (j->pkeys)
			ex_expr_free(j->pkeys[k]);
		if (j->bkeys)
			ex_expr_free(j->bkeys[k]);
	}
	ex_expr_free(j->residual);
	for (int c = 0; c < j->n_chunks; c++)
		chunk_free(&j->chunks[c], j->nb, j->nk);
	tarn_free(j->chunks);
	for (int c = 0; j->bcols && c < j->nb; c++)
		tarn_array_free(j->bcols[c]);
	for (int k = 0; j->bk && k < j->nk; k++)
		tarn_array_free(j->bk[k]);
	tarn_free(j->bcols);
	tarn_free(j->bk);
	tarn_free(j->bneed);
	tarn_free(j->rneed);
	tarn_free(j->pkeys);
	tarn_free(j->bkeys);
	tarn_free(j->bh);
	tarn_free(j->head);
	tarn_free(j->next);
	tarn_free(j->matched);
	tarn_free(j);
}

static tarn_rc join_describe(const struct ex_op *op, struct tarn_buf *out)
{
	static const char *const kinds[] = { "inner", "left", "right", "full", "semi", "anti",
					     "mark", "anti (null-aware)" };
	const struct join_op *j = (const struct join_op *)op;
	unsigned k = (unsigned)j->kind;
	TRY(tarn_buf_printf(out, "%s on ", k < sizeof kinds / sizeof kinds[0] ? kinds[k] : "?"));
	for (int i = 0; i < j->nk; i++) {
		TRY(tarn_buf_printf(out, "%s", i ? " AND " : ""));
		TRY(ex_expr_describe(j->pkeys[i], op->child[0]->schema, out));
		TRY(tarn_buf_printf(out, " = "));
		TRY(ex_expr_describe(j->bkeys[i], op->child[1]->schema, out));
	}
	if (j->residual) {
		TRY(tarn_buf_printf(out, "; residual "));
		TRY(ex_expr_describe(j->residual, NULL, out));
	}
	return TARN_OK;
}

static const struct ex_op_vt join_vt = {
	.name = "hash join",
	.local_new = probe_local_new,
	.local_free = probe_local_free,
	.stream = probe_stream,
	.stream_end = join_end,
	.sink_new = build_part_new,
	.sink_free = build_part_free,
	.sink = build_sink,
	.merge = build_merge,
	.finish = build_finish,
	.two_inputs = true,
	.free = join_free,
	.describe = join_describe,
};

/* Marks the columns (probe ++ build numbering) an expression reads. */
static void mark_cols(const struct ex_expr *e, int n, bool *need)
{
	if (e->kind == EX_E_COLUMN && e->col >= 0 && e->col < n)
		need[e->col] = true;
	for (int i = 0; i < e->n_args; i++)
		mark_cols(e->args[i], n, need);
}

tarn_rc ex_op_hash_join(enum ex_join_kind kind, struct ex_op *probe, struct ex_op *build,
			struct ex_expr **probe_keys, struct ex_expr **build_keys, int n_keys,
			struct ex_expr *residual, struct ex_op **out, struct tarn_err *err)
{
	*out = NULL;
	struct join_op *j = tarn_calloc(1, sizeof *j);
	if (j) {
		j->pkeys = tarn_calloc((size_t)(n_keys ? n_keys : 1), sizeof *j->pkeys);
		j->bkeys = tarn_calloc((size_t)(n_keys ? n_keys : 1), sizeof *j->bkeys);
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
		ex_expr_free(residual);
		return tarn_err_nomem(err, "hash join");
	}
	j->base.vt = &join_vt;
	j->base.child[0] = probe;
	j->base.child[1] = build;
	j->kind = kind;
	j->nk = n_keys;
	j->np = probe->schema->n_fields;
	j->nb = build->schema->n_fields;
	j->residual = residual;
	for (int k = 0; k < n_keys; k++) {
		j->pkeys[k] = probe_keys[k];
		j->bkeys[k] = build_keys[k];
	}
	tarn_rc rc = TARN_OK;
	if (n_keys < 1)
		rc = tarn_err_set(err, TARN_EUSAGE, "hash join needs at least one key");
	if (!rc && (kind == EX_JOIN_MARK || kind == EX_JOIN_ANTI_NULL_AWARE) && n_keys != 1)
		rc = tarn_err_set(err, TARN_EUNSUPPORTED,
				  "IN / NOT IN over a subquery compares one column, not %d", n_keys);
	/* both sides of each key as one type */
	for (int k = 0; k < n_keys && !rc; k++) {
		struct tarn_type t;
		tarn_type_init(&t, TARN_T_NULL);
		rc = ex_type_common(&j->pkeys[k]->type, &j->bkeys[k]->type, &t, err);
		if (!rc)
			rc = ex_expr_coerce(&j->pkeys[k], &t, err);
		if (!rc)
			rc = ex_expr_coerce(&j->bkeys[k], &t, err);
		tarn_type_clear(&t);
		if (!rc) {
			ex_expr_prepare(j->pkeys[k]);
			ex_expr_prepare(j->bkeys[k]);
		}
	}
	if (!rc && residual) {
		ex_expr_prepare(residual);
		if (residual->type.id != TARN_T_BOOL && residual->type.id != TARN_T_NULL)
			rc = tarn_err_set(err, TARN_EUSAGE, "join condition is not boolean");
	}
	/* output schema */
	if (!rc) {
		int nc = emits_pairs(kind)	   ? j->np + j->nb
			 : kind == EX_JOIN_MARK	   ? j->np + 1
			 : right_only(kind) ? j->nb
					    : j->np;
		rc = tarn_schema_new(nc, &j->base.schema);
		for (int c = 0; !rc && c < nc; c++) {
			const struct tarn_field *f =
			    right_only(kind) ? &build->schema->fields[c]
			    : c < j->np	     ? &probe->schema->fields[c]
			    : c - j->np < j->nb && emits_pairs(kind) ? &build->schema->fields[c - j->np]
								      : NULL;
			if (f) {
				rc = tarn_field_copy(&j->base.schema->fields[c], f);
				j->base.schema->fields[c].nullable = true;
			} else {
				rc = tarn_field_set_name(&j->base.schema->fields[c], "mark", 4);
				tarn_type_init(&j->base.schema->fields[c].type, TARN_T_BOOL);
				j->base.schema->fields[c].nullable = true;
			}
		}
		if (rc)
			rc = tarn_err_nomem(err, "hash join");
	}
	if (!rc && (new_arrays(&j->bcols, j->nb, build_col_type, j) ||
		    new_arrays(&j->bk, j->nk, build_key_type, j) ||
		    !(j->bneed = tarn_calloc((size_t)(j->nb ? j->nb : 1), sizeof *j->bneed)) ||
		    !(j->rneed = tarn_calloc((size_t)(j->np + j->nb + 1), sizeof *j->rneed))))
		rc = tarn_err_nomem(err, "hash join");
	if (!rc) {
		for (int c = 0; c < j->nb; c++)
			j->bneed[c] = emits_pairs(kind) || right_only(kind);
		if (residual) {
			mark_cols(residual, j->np + j->nb, j->rneed);
			for (int c = 0; c < j->nb; c++)
				j->bneed[c] |= j->rneed[j->np + c];
		}
	}
	if (rc) {
		ex_op_free(&j->base);
		return rc;
	}
	*out = &j->base;
	return TARN_OK;
}
