/*
 * op_nljoin.c — nested-loop join: CROSS JOIN, comma FROM items with no
 * equality between them, and ON conditions without an equality conjunct
 * (a < b, BETWEEN, EXISTS correlated through an inequality), for inner,
 * left/right/full outer, semi and anti joins. Equality conjuncts go to the
 * hash join (op_join.c); this operator is the fallback for the rest.
 *
 * Build (child[1], a pipeline of its own): every morsel's rows are
 * compacted into the task's partial; merge() appends the partials in
 * morsel order to one set of build columns, reserving their bytes.
 *
 * Probe (child[0], streaming, any thread; the build side is read-only
 * then): a probe batch of n rows meets the build side in blocks of
 * EX_BATCH_MAX / n build rows (at least one), so one block is at most
 * max(n, EX_BATCH_MAX) (probe row, build row) pairs. For each block the columns the predicate
 * reads are gathered into a pair batch and the predicate runs once over
 * it as a vectorised selection; only the surviving pairs are gathered
 * with every output column. No per-row allocation: the pair buffers are
 * per task and reused. Semi and anti joins stop walking the build side
 * once every probe row of the batch has a match.
 *
 * Range path: a predicate that is one comparison <, <=, >, >= between an
 * integer-like probe expression and a build expression sorts the build
 * values once in finish() (NULLs dropped); a probe row's matches are then
 * a run of the sorted values found by binary search, so only output pairs
 * are made, and a semi/anti join costs O(log m) per probe row.
 *
 * Right and full joins mark matched build rows (relaxed atomic stores);
 * stream_end emits the others with NULL probe columns, as the hash join.
 *
 * Output order: per probe batch, block by block, pairs probe-major within
 * a block; then (left/full) the batch's unmatched probe rows.
 * Deterministic for a given input at any thread count.
 */
#include <string.h>

#include "base/mem.h"
#include "sql/exec.h"
#include "sql/expr_int.h"

struct nl_op {
	struct ex_op base;
	enum ex_join_kind kind;
	int np, nb;
	struct ex_expr *pred; /* over probe ++ build columns; NULL = every pair */
	bool *pneed;          /* probe ++ build columns pred reads */
	bool *bneed;          /* build columns kept (output or pred) */
	struct tarn_array **bcols;
	int64_t bn;
	uint8_t *matched; /* right/full */
	/* Range path: pred is `pexpr rop bexpr` (rop <, <=, >, >=) over
	 * integer-like values, probe-only on the left, build-only on the
	 * right. The build side's values are sorted once (NULLs dropped) and
	 * each probe row binary-searches the range it matches. */
	bool range;
	enum ex_cmp rop;
	struct ex_expr *pexpr, *bexpr; /* copies, prepared as roots */
	int64_t *skey;   /* sorted build values */
	uint32_t *srow;  /* their build rows */
	int64_t ns;
};

static bool nl_emits_pairs(enum ex_join_kind k)
{
	return k == EX_JOIN_INNER || k == EX_JOIN_LEFT || k == EX_JOIN_RIGHT || k == EX_JOIN_FULL;
}

static const struct tarn_type *col_type(const struct nl_op *j, int c)
{
	return c < j->np ? &j->base.child[0]->schema->fields[c].type
			 : &j->base.child[1]->schema->fields[c - j->np].type;
}

/* ---- build ------------------------------------------------------------------------- */

struct nl_part {
	struct tarn_array **cols;
	int64_t n;
};

static void part_free(struct ex_op *op, void *ptr)
{
	struct nl_op *j = (struct nl_op *)op;
	struct nl_part *p = ptr;
	if (!p)
		return;
	for (int c = 0; p->cols && c < j->nb; c++)
		tarn_array_free(p->cols[c]);
	tarn_free(p->cols);
	tarn_free(p);
}

static tarn_rc new_build_arrays(const struct nl_op *j, struct tarn_array ***out)
{
	*out = tarn_calloc((size_t)j->nb + 1, sizeof **out);
	if (!*out)
		return TARN_ENOMEM;
	for (int c = 0; c < j->nb; c++)
		TRY(tarn_array_new(col_type(j, j->np + c), 0, &(*out)[c]));
	return TARN_OK;
}

static tarn_rc part_new(struct ex_op *op, void **out)
{
	struct nl_op *j = (struct nl_op *)op;
	struct nl_part *p = tarn_calloc(1, sizeof *p);
	if (!p)
		return TARN_ENOMEM;
	tarn_rc rc = new_build_arrays(j, &p->cols);
	if (rc) {
		part_free(op, p);
		return rc;
	}
	*out = p;
	return TARN_OK;
}

static tarn_rc nl_sink(struct ex_op *op, void *ptr, struct ex_batch *in, struct tarn_err *err)
{
	struct nl_op *j = (struct nl_op *)op;
	struct nl_part *p = ptr;
	tarn_rc rc = TARN_OK;
	for (int c = 0; c < j->nb && !rc; c++) {
		if (!j->bneed[c])
			continue;
		rc = ex_array_gather(p->cols[c], in->cols[c], in->sel, 0, in->n_sel);
		if (!rc && p->cols[c]->validity)
			p->cols[c]->null_count = -1;
	}
	if (rc)
		rc = rc == TARN_ENOMEM ? tarn_err_nomem(err, "nested loop join build")
				       : tarn_err_set(err, rc, "nested loop join: build side too large");
	else
		p->n += in->n_sel;
	ex_batch_free(in);
	return rc;
}

static tarn_rc nl_merge(struct ex_op *op, void *ptr, struct tarn_err *err)
{
	struct nl_op *j = (struct nl_op *)op;
	struct nl_part *p = ptr;
	if (p->n == 0)
		return TARN_OK;
	if (j->bn + p->n > UINT32_MAX - 1)
		return tarn_err_set(err, TARN_ELIMIT,
				    "nested loop join: build side over 4294967294 rows");
	int64_t bytes = 0;
	for (int c = 0; c < j->nb; c++)
		bytes += ex_array_bytes(p->cols[c]);
	TRY(ex_mem_reserve(op->q, "nested loop join (build side)", bytes, err));
	op->mem_held += bytes;
	tarn_rc rc = TARN_OK;
	for (int c = 0; c < j->nb && !rc; c++) {
		if (!j->bneed[c])
			continue;
		rc = ex_array_gather(j->bcols[c], p->cols[c], NULL, 0, p->n);
		if (!rc && j->bcols[c]->validity)
			j->bcols[c]->null_count = -1;
		tarn_array_free(p->cols[c]);
		p->cols[c] = NULL;
		if (!rc)
			rc = tarn_array_new(col_type(j, j->np + c), 0, &p->cols[c]);
	}
	if (rc)
		return rc == TARN_ENOMEM ? tarn_err_nomem(err, "nested loop join build")
					 : tarn_err_set(err, rc, "nested loop join: build side too large");
	j->bn += p->n;
	p->n = 0;
	return TARN_OK;
}

/* Range path: the build side's values of bexpr, sorted (stable), NULLs
 * dropped. Evaluated in slices of EX_BATCH_MAX rows. */
static tarn_rc sort_build(struct nl_op *j, struct tarn_err *err)
{
	int64_t n = j->bn;
	TRY(ex_mem_reserve(j->base.q, "nested loop join (build side)", n * 16, err));
	j->base.mem_held += n * 16;
	j->skey = tarn_malloc((size_t)(n ? n : 1) * sizeof *j->skey);
	j->srow = tarn_malloc((size_t)(n ? n : 1) * sizeof *j->srow);
	int64_t *tk = tarn_malloc((size_t)(n ? n : 1) * sizeof *tk);
	uint32_t *tr = tarn_malloc((size_t)(n ? n : 1) * sizeof *tr);
	uint32_t *sel = tarn_malloc(EX_BATCH_MAX * sizeof *sel);
	struct ex_batch *b = NULL;
	struct ex_eval *ev = NULL;
	tarn_rc rc = j->skey && j->srow && tk && tr && sel ? TARN_OK : TARN_ENOMEM;
	if (!rc)
		rc = ex_batch_new(j->np + j->nb, &b);
	if (!rc)
		rc = ex_eval_new(j->bexpr, &ev);
	if (rc) {
		rc = tarn_err_nomem(err, "nested loop join");
	} else {
		for (int c = 0; c < j->nb; c++)
			b->cols[j->np + c] = j->bcols[c];
		b->n_rows = n;
	}
	int64_t m = 0;
	for (int64_t lo = 0; !rc && lo < n; lo += EX_BATCH_MAX) {
		int64_t cnt = n - lo < EX_BATCH_MAX ? n - lo : EX_BATCH_MAX;
		for (int64_t k = 0; k < cnt; k++)
			sel[k] = (uint32_t)(lo + k);
		b->sel = sel;
		b->n_sel = cnt;
		struct ex_vec v;
		rc = ex_eval_run(ev, j->bexpr, b, sel, cnt, &v, err);
		for (int64_t k = 0; !rc && k < cnt; k++) {
			int64_t i = v.is_const ? 0 : lo + k;
			if (ex_is_null(v.a, i))
				continue;
			j->skey[m] = tarn_array_get_int(v.a, i);
			j->srow[m++] = (uint32_t)(lo + k);
		}
	}
	if (b) {
		b->sel = NULL;
		ex_batch_free(b); /* the columns are borrowed: no holders */
	}
	ex_eval_free(ev);
	tarn_free(sel);
	/* bottom-up merge sort by (value, row) */
	int64_t *sk = j->skey, *dk = tk;
	uint32_t *sr = j->srow, *dr = tr;
	for (int64_t w = 1; !rc && w < m; w *= 2) {
		for (int64_t lo = 0; lo < m; lo += 2 * w) {
			int64_t mid = lo + w < m ? lo + w : m, hi = lo + 2 * w < m ? lo + 2 * w : m;
			int64_t a = lo, c = mid, o = lo;
			while (a < mid && c < hi) {
				bool right = sk[c] < sk[a];
				dk[o] = right ? sk[c] : sk[a];
				dr[o++] = right ? sr[c++] : sr[a++];
			}
			while (a < mid) {
				dk[o] = sk[a];
				dr[o++] = sr[a++];
			}
			while (c < hi) {
				dk[o] = sk[c];
				dr[o++] = sr[c++];
			}
		}
		int64_t *xk = sk;
		sk = dk;
		dk = xk;
		uint32_t *xr = sr;
		sr = dr;
		dr = xr;
	}
	if (!rc && sk != j->skey) {
		memcpy(j->skey, sk, (size_t)m * sizeof *sk);
		memcpy(j->srow, sr, (size_t)m * sizeof *sr);
	}
	tarn_free(tk);
	tarn_free(tr);
	j->ns = m;
	return rc;
}

/* First position in skey whose value is > v (upper) or >= v (lower). */
static int64_t bound(const struct nl_op *j, int64_t v, bool upper)
{
	int64_t a = 0, b = j->ns;
	while (a < b) {
		int64_t mid = a + (b - a) / 2;
		if (upper ? j->skey[mid] <= v : j->skey[mid] < v)
			a = mid + 1;
		else
			b = mid;
	}
	return a;
}

static tarn_rc nl_finish(struct ex_op *op, struct tarn_err *err)
{
	struct nl_op *j = (struct nl_op *)op;
	/* columns nobody reads (semi/anti joins) stay empty */
	for (int c = 0; c < j->nb; c++)
		ex_array_finish(j->bcols[c]);
	if (j->range)
		TRY(sort_build(j, err));
	if (j->kind == EX_JOIN_RIGHT || j->kind == EX_JOIN_FULL) {
		TRY(ex_mem_reserve(op->q, "nested loop join (build side)", j->bn, err));
		op->mem_held += j->bn;
		j->matched = tarn_calloc((size_t)(j->bn ? j->bn : 1), 1);
		if (!j->matched)
			return tarn_err_nomem(err, "nested loop join");
	}
	return TARN_OK;
}

/* ---- probe -------------------------------------------------------------------------- */

struct nl_local {
	struct ex_eval *ev, *pev; /* pred; range path: pexpr */
	uint32_t *pp, *pb, *psel, *prow, *sel;
	uint8_t *hit;
	int64_t cap; /* entries each buffer holds: max(probe rows, EX_BATCH_MAX) */
};

/* Buffers for a probe batch of n rows (batches from other operators may
 * pass EX_BATCH_MAX rows). */
static tarn_rc local_room(struct nl_local *l, int64_t n)
{
	int64_t want = n > EX_BATCH_MAX ? n : EX_BATCH_MAX;
	if (want <= l->cap)
		return TARN_OK;
	uint32_t **bufs[] = { &l->pp, &l->pb, &l->psel, &l->prow, &l->sel };
	for (size_t i = 0; i < sizeof bufs / sizeof *bufs; i++) {
		tarn_free(*bufs[i]);
		if (!(*bufs[i] = tarn_malloc((size_t)want * sizeof(uint32_t))))
			return TARN_ENOMEM;
	}
	tarn_free(l->hit);
	if (!(l->hit = tarn_malloc((size_t)want)))
		return TARN_ENOMEM;
	l->cap = want;
	return TARN_OK;
}

static void local_free(struct ex_op *op, void *ptr)
{
	(void)op;
	struct nl_local *l = ptr;
	if (!l)
		return;
	ex_eval_free(l->ev);
	ex_eval_free(l->pev);
	tarn_free(l->pp);
	tarn_free(l->pb);
	tarn_free(l->psel);
	tarn_free(l->prow);
	tarn_free(l->sel);
	tarn_free(l->hit);
	tarn_free(l);
}

static tarn_rc local_new(struct ex_op *op, void **out)
{
	struct nl_op *j = (struct nl_op *)op;
	struct nl_local *l = tarn_calloc(1, sizeof *l);
	if (!l)
		return TARN_ENOMEM;
	tarn_rc rc = local_room(l, EX_BATCH_MAX);
	if (!rc && j->pred)
		rc = ex_eval_new(j->pred, &l->ev);
	if (!rc && j->range)
		rc = ex_eval_new(j->pexpr, &l->pev);
	if (rc) {
		local_free(op, l);
		return rc;
	}
	*out = l;
	return TARN_OK;
}

/* A batch of m pairs: probe columns gathered at physical rows prow[]
 * (EX_NULL_ROW = NULL; in NULL = all NULL), build columns at brow[]; only
 * the columns in need[] (NULL = all) are made, the others stay absent. */
static tarn_rc pair_batch(struct nl_op *j, const struct ex_batch *in, const uint32_t *prow,
			  const uint32_t *brow, int64_t m, const bool *need, int ncols,
			  struct ex_batch **out, struct tarn_err *err)
{
	*out = NULL;
	struct ex_batch *b;
	if (ex_batch_new(ncols, &b))
		return tarn_err_nomem(err, "nested loop join");
	struct tarn_array *empty = NULL;
	tarn_rc rc = TARN_OK;
	for (int c = 0; c < ncols && !rc; c++) {
		if (need && !need[c])
			continue;
		struct tarn_array *a;
		rc = tarn_array_new(col_type(j, c), m, &a);
		if (!rc)
			rc = ex_batch_hold_array(b, a);
		if (rc)
			break;
		if (c < j->np && !in) {
			rc = tarn_array_new(col_type(j, c), 0, &empty);
			if (!rc)
				rc = ex_array_gather(a, empty, prow, 0, m);
			tarn_array_free(empty);
			empty = NULL;
		} else {
			rc = c < j->np ? ex_array_gather(a, in->cols[c], prow, 0, m)
				       : ex_array_gather(a, j->bcols[c - j->np], brow, 0, m);
		}
		if (a->validity)
			a->null_count = -1;
		b->cols[c] = a;
	}
	if (rc) {
		ex_batch_free(b);
		return rc == TARN_ENOMEM ? tarn_err_nomem(err, "nested loop join")
					 : tarn_err_set(err, rc, "nested loop join: output too large");
	}
	b->n_rows = b->n_sel = m;
	b->seq = in ? in->seq : 0;
	*out = b;
	return TARN_OK;
}

/* One block of m pairs (l->pp: probe positions, l->pb: build rows). */
static tarn_rc run_block(struct nl_op *j, struct nl_local *l, const struct ex_batch *in,
			 int64_t m, bool eval, struct ex_emit *out, struct tarn_err *err)
{
	int64_t ns = m;
	const uint32_t *sel = NULL; /* surviving pairs; NULL = all */
	for (int64_t q = 0; q < m; q++)
		l->psel[q] = l->prow[l->pp[q]];
	if (eval && j->pred) {
		struct ex_batch *pb;
		TRY(pair_batch(j, in, l->psel, l->pb, m, j->pneed, j->np + j->nb, &pb, err));
		tarn_rc rc = ex_eval_select(l->ev, j->pred, pb, NULL, m, l->sel, &ns, err);
		ex_batch_free(pb);
		TRY(rc);
		sel = l->sel;
	}
	if (ns == 0)
		return TARN_OK;
	for (int64_t q = 0; q < ns; q++) {
		uint32_t p = sel ? sel[q] : (uint32_t)q;
		l->hit[l->pp[p]] = 1;
		if (j->matched)
			__atomic_store_n(&j->matched[l->pb[p]], 1, __ATOMIC_RELAXED);
	}
	if (!nl_emits_pairs(j->kind))
		return TARN_OK;
	if (sel) { /* compact the survivors' rows in place (q <= sel[q]) */
		for (int64_t q = 0; q < ns; q++) {
			l->psel[q] = l->psel[sel[q]];
			l->pb[q] = l->pb[sel[q]];
		}
	}
	struct ex_batch *ob;
	TRY(pair_batch(j, in, l->psel, l->pb, ns, NULL, j->np + j->nb, &ob, err));
	return ex_emit_push(out, ob);
}

/* Range path: each probe row's matches are a run of the sorted build
 * values; pairs are buffered and emitted in blocks of l->cap. */
static tarn_rc range_probe(struct nl_op *j, struct nl_local *l, const struct ex_batch *in,
			   int64_t n, struct ex_emit *out, struct tarn_err *err)
{
	struct ex_vec v;
	TRY(ex_eval_run(l->pev, j->pexpr, in, in->sel, n, &v, err));
	bool pairs = nl_emits_pairs(j->kind) || j->matched;
	int64_t m = 0;
	for (int64_t k = 0; k < n; k++) {
		int64_t i = v.is_const ? 0 : l->prow[k];
		if (ex_is_null(v.a, i))
			continue;
		int64_t x = tarn_array_get_int(v.a, i), lo, hi;
		switch (j->rop) {
		case EX_LT: lo = bound(j, x, true), hi = j->ns; break;  /* x < s */
		case EX_LE: lo = bound(j, x, false), hi = j->ns; break; /* x <= s */
		case EX_GT: lo = 0, hi = bound(j, x, false); break;     /* x > s */
		default: lo = 0, hi = bound(j, x, true); break;         /* x >= s */
		}
		if (lo >= hi)
			continue;
		l->hit[k] = 1;
		if (!pairs)
			continue;
		for (int64_t r = lo; r < hi; r++) {
			if (m == l->cap) {
				TRY(run_block(j, l, in, m, false, out, err));
				m = 0;
			}
			l->pp[m] = (uint32_t)k;
			l->pb[m++] = j->srow[r];
		}
	}
	return m ? run_block(j, l, in, m, false, out, err) : TARN_OK;
}

static tarn_rc nl_stream(struct ex_op *op, void *ptr, struct ex_batch *in, struct ex_emit *out,
			 struct tarn_err *err)
{
	struct nl_op *j = (struct nl_op *)op;
	struct nl_local *l = ptr;
	int64_t n = in->n_sel;
	tarn_rc rc = local_room(l, n);
	if (rc) {
		ex_batch_free(in);
		return tarn_err_nomem(err, "nested loop join");
	}
	memset(l->hit, 0, (size_t)n);
	for (int64_t k = 0; k < n; k++)
		l->prow[k] = in->sel ? in->sel[k] : (uint32_t)k;
	bool semi = j->kind == EX_JOIN_SEMI || j->kind == EX_JOIN_ANTI;
	if (j->range && n > 0 && j->ns > 0) {
		rc = range_probe(j, l, in, n, out, err);
	} else if (!j->range && n > 0 && j->bn > 0) {
		int64_t block = n >= EX_BATCH_MAX ? 1 : EX_BATCH_MAX / n; /* pairs <= l->cap */
		int64_t n_hit = 0;
		for (int64_t b0 = 0; b0 < j->bn && !rc; b0 += block) {
			int64_t b1 = b0 + block < j->bn ? b0 + block : j->bn;
			int64_t m = 0;
			for (int64_t k = 0; k < n; k++) {
				if (semi && l->hit[k])
					continue; /* decided already */
				for (int64_t r = b0; r < b1; r++) {
					l->pp[m] = (uint32_t)k;
					l->pb[m++] = (uint32_t)r;
				}
			}
			if (m == 0)
				break;
			rc = run_block(j, l, in, m, true, out, err);
			if (semi && !rc) {
				n_hit = 0;
				for (int64_t k = 0; k < n; k++)
					n_hit += l->hit[k];
				if (n_hit == n)
					break;
			}
		}
	}
	if (rc) {
		ex_batch_free(in);
		return rc;
	}
	switch (j->kind) {
	case EX_JOIN_LEFT:
	case EX_JOIN_FULL: {
		int64_t m = 0;
		for (int64_t k = 0; k < n; k++)
			if (!l->hit[k]) {
				l->psel[m] = l->prow[k];
				l->pb[m++] = EX_NULL_ROW;
			}
		struct ex_batch *b = NULL;
		if (m > 0)
			rc = pair_batch(j, in, l->psel, l->pb, m, NULL, j->np + j->nb, &b, err);
		ex_batch_free(in);
		TRY(rc);
		return b ? ex_emit_push(out, b) : TARN_OK;
	}
	case EX_JOIN_SEMI:
	case EX_JOIN_ANTI: {
		if (!in->sel && !(in->sel = tarn_malloc((size_t)(n ? n : 1) * sizeof *in->sel))) {
			ex_batch_free(in);
			return tarn_err_nomem(err, "nested loop join");
		}
		int64_t m = 0;
		for (int64_t k = 0; k < n; k++) {
			in->sel[m] = l->prow[k];
			m += j->kind == EX_JOIN_SEMI ? l->hit[k] : !l->hit[k];
		}
		in->n_sel = m;
		if (m == 0) {
			ex_batch_free(in);
			return TARN_OK;
		}
		return ex_emit_push(out, in);
	}
	default:
		ex_batch_free(in);
		return TARN_OK;
	}
}

static tarn_rc nl_end(struct ex_op *op, struct ex_emit *out, struct tarn_err *err)
{
	struct nl_op *j = (struct nl_op *)op;
	if (!j->matched)
		return TARN_OK;
	uint32_t *prow = tarn_malloc(EX_BATCH_MAX * sizeof *prow);
	uint32_t *brow = tarn_malloc(EX_BATCH_MAX * sizeof *brow);
	tarn_rc rc = !prow || !brow ? tarn_err_nomem(err, "nested loop join") : TARN_OK;
	for (int64_t r = 0; !rc && r < j->bn;) {
		int64_t m = 0;
		for (; r < j->bn && m < EX_BATCH_MAX; r++)
			if (!j->matched[r]) {
				prow[m] = EX_NULL_ROW;
				brow[m++] = (uint32_t)r;
			}
		if (m == 0)
			break;
		struct ex_batch *b = NULL;
		rc = pair_batch(j, NULL, prow, brow, m, NULL, j->np + j->nb, &b, err);
		if (!rc)
			rc = ex_emit_push(out, b);
	}
	tarn_free(prow);
	tarn_free(brow);
	return rc;
}

static void nl_free(struct ex_op *op)
{
	struct nl_op *j = (struct nl_op *)op;
	ex_expr_free(j->pred);
	ex_expr_free(j->pexpr);
	ex_expr_free(j->bexpr);
	tarn_free(j->skey);
	tarn_free(j->srow);
	for (int c = 0; j->bcols && c < j->nb; c++)
		tarn_array_free(j->bcols[c]);
	tarn_free(j->bcols);
	tarn_free(j->pneed);
	tarn_free(j->bneed);
	tarn_free(j->matched);
	tarn_free(j);
}

static const struct ex_op_vt nl_vt = {
	.name = "nested loop join",
	.local_new = local_new,
	.local_free = local_free,
	.stream = nl_stream,
	.stream_end = nl_end,
	.sink_new = part_new,
	.sink_free = part_free,
	.sink = nl_sink,
	.merge = nl_merge,
	.finish = nl_finish,
	.two_inputs = true,
	.free = nl_free,
};

static void need_cols(const struct ex_expr *e, int n, bool *need)
{
	if (e->kind == EX_E_COLUMN && e->col >= 0 && e->col < n)
		need[e->col] = true;
	for (int i = 0; i < e->n_args; i++)
		need_cols(e->args[i], n, need);
}

/* Which sides' columns e reads: bit 0 probe, bit 1 build. */
static int sides(const struct ex_expr *e, int np)
{
	int m = 0;
	if (e->kind == EX_E_COLUMN)
		m |= e->col < np ? 1 : 2;
	for (int i = 0; i < e->n_args; i++)
		m |= sides(e->args[i], np);
	return m;
}

/* Takes the range path when pred is one comparison <, <=, >, >= of an
 * integer-like probe expression with a build expression. */
static tarn_rc detect_range(struct nl_op *j, struct tarn_err *err)
{
	const struct ex_expr *p = j->pred;
	if (p->kind != EX_E_CMP || p->n_args != 2 || p->op == EX_EQ || p->op == EX_NE)
		return TARN_OK;
	const struct ex_expr *a = p->args[0], *b = p->args[1];
	if (!tarn_type_is_int64_exact(a->type.id) || a->type.id != b->type.id)
		return TARN_OK;
	int sa = sides(a, j->np), sb = sides(b, j->np);
	enum ex_cmp op = (enum ex_cmp)p->op;
	if (sa == 2 && sb == 1) { /* build OP probe: flip */
		const struct ex_expr *t = a;
		a = b;
		b = t;
		op = op == EX_LT ? EX_GT : op == EX_LE ? EX_GE : op == EX_GT ? EX_LT : EX_LE;
	} else if (!(sa == 1 && sb == 2)) {
		return TARN_OK;
	}
	if (ex_expr_copy(a, &j->pexpr) || ex_expr_copy(b, &j->bexpr))
		return tarn_err_nomem(err, "nested loop join");
	ex_expr_prepare(j->pexpr);
	ex_expr_prepare(j->bexpr);
	j->rop = op;
	j->range = true;
	return TARN_OK;
}

tarn_rc ex_op_nl_join(enum ex_join_kind kind, struct ex_op *probe, struct ex_op *build,
		      struct ex_expr *pred, struct ex_op **out, struct tarn_err *err)
{
	*out = NULL;
	struct nl_op *j = tarn_calloc(1, sizeof *j);
	if (!j) {
		ex_op_free(probe);
		ex_op_free(build);
		ex_expr_free(pred);
		return tarn_err_nomem(err, "nested loop join");
	}
	j->base.vt = &nl_vt;
	j->base.child[0] = probe;
	j->base.child[1] = build;
	j->kind = kind;
	j->np = probe->schema->n_fields;
	j->nb = build->schema->n_fields;
	j->pred = pred;
	tarn_rc rc = TARN_OK;
	if (kind == EX_JOIN_MARK || kind == EX_JOIN_ANTI_NULL_AWARE)
		rc = tarn_err_set(err, TARN_EINTERNAL,
				  "nested loop join: mark and NOT IN joins need a key");
	if (!rc && pred) {
		ex_expr_prepare(pred);
		if (pred->type.id != TARN_T_BOOL && pred->type.id != TARN_T_NULL)
			rc = tarn_err_set(err, TARN_EUSAGE, "join condition is not boolean");
	}
	int nc = nl_emits_pairs(kind) ? j->np + j->nb : j->np;
	if (!rc) {
		j->pneed = tarn_calloc((size_t)(j->np + j->nb) + 1, sizeof *j->pneed);
		j->bneed = tarn_calloc((size_t)j->nb + 1, sizeof *j->bneed);
		if (!j->pneed || !j->bneed || new_build_arrays(j, &j->bcols))
			rc = tarn_err_nomem(err, "nested loop join");
	}
	if (!rc && pred)
		rc = detect_range(j, err);
	if (!rc) {
		if (pred)
			need_cols(pred, j->np + j->nb, j->pneed);
		for (int c = 0; c < j->nb; c++)
			j->bneed[c] = nl_emits_pairs(kind) || j->pneed[j->np + c];
		rc = tarn_schema_new(nc, &j->base.schema);
		for (int c = 0; !rc && c < nc; c++) {
			const struct tarn_field *f = c < j->np ? &probe->schema->fields[c]
							       : &build->schema->fields[c - j->np];
			rc = tarn_field_copy(&j->base.schema->fields[c], f);
			j->base.schema->fields[c].nullable = true;
		}
		if (rc)
			rc = tarn_err_nomem(err, "nested loop join");
	}
	if (rc) {
		ex_op_free(&j->base);
		return rc;
	}
	*out = &j->base;
	return TARN_OK;
}
