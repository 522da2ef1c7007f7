/*
 * op_window.c — window functions: ranking, value and aggregate functions
 * OVER (PARTITION BY ... ORDER BY ... frame).
 *
 * One operator serves every function of one (PARTITION BY, ORDER BY) spec.
 * It is a pipeline breaker over a sort: the constructor puts a sort
 * operator (op_sort.c, stable) below itself keyed on (partition keys,
 * order keys), so its input arrives in window order, morsel by morsel.
 *
 * Sink (any thread): each morsel is compacted and kept whole (its columns
 * pass through to the output untouched); the operator's input expressions
 * (partition and order keys, function arguments, filters, RANGE bounds)
 * are evaluated over it into arrays kept with it. merge() appends morsels
 * in order and reserves their bytes. finish() concatenates the input
 * arrays, finds partition and peer-group boundaries by comparing adjacent
 * rows (NULL equals NULL), and computes each function into one result
 * array of all rows:
 *   ranking      one pass per partition (row_number, rank, dense_rank,
 *                ntile, percent_rank, cume_dist)
 *   lag/lead     row indexes, gathered; the default comes from a second
 *                half of the gathered source (arg ++ default)
 *   first/last/nth_value
 *                frame bounds per row; IGNORE NULLS through the positions
 *                of the non-null rows and their prefix counts
 *   aggregates   a frame starting at UNBOUNDED PRECEDING (with no
 *                EXCLUDE) accumulates as the frame end advances, in frame
 *                order; any other frame queries a segment tree of partial
 *                states (O(log n) per row), so a sliding frame costs
 *                O(n log n) whatever its width. Each aggregate is one
 *                entry of `wagg_vt`: a leaf state of one row, an ordered
 *                combine, and a final value.
 *   holistic     median, quantiles, mode, approx_count_distinct, list and
 *                count/sum/avg(DISTINCT): the frame as a moving set over
 *                the partition sorted by value (see chunk_holo), O(log n)
 *                per row for sliding and running frames
 *   string_agg   concatenates its frame per row (the output is that big)
 * Per function, what all rows share (segment tree, IGNORE NULLS positions)
 * is built first; then chunks of whole partitions (at least WIN_CHUNK_MIN
 * rows, at most one per thread) run as tasks on the pool, each into an
 * array of its own, concatenated in order.
 * next() then emits the kept morsels in order with slices of the results.
 *
 * Frames (SQL:2011): ROWS counts rows, GROUPS peer groups, RANGE compares
 * the single order key with the current row's key -/+ the offset (the
 * binder computes those bound values, so dates with intervals work); rows
 * whose key is NULL frame their NULL peers. EXCLUDE CURRENT ROW|GROUP|TIES
 * cut at most three ranges out of a frame.
 *
 * Determinism: the sort is stable and merges in morsel order, and a row's
 * result depends only on its partition, so results do not depend on the
 * thread count (the chunking) at all.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/mem.h"
#include "base/pool.h"
#include "sql/agg_int.h"
#include "sql/exec.h"
#include "sql/expr_int.h"

/* Rows a pool task computes at least (finish() splits at partitions). */
#define WIN_CHUNK_MIN 16384

/* Input slots per function. */
enum { IN_ARG, IN_ARG2, IN_ARG3, IN_FILTER, IN_RKEY, IN_SVAL, IN_EVAL, IN__N };

struct entry {
	struct ex_batch *b;
	struct tarn_array **in; /* n_in arrays of b's rows */
};

struct elist {
	struct entry *v;
	int64_t n, cap;
};

struct win_part {
	struct ex_eval **ev;
	struct elist l;
};

struct win_op {
	struct ex_op base;
	int nc, n_part, n_order, n_specs, n_in;
	struct ex_win_spec *specs; /* expressions moved into in[] */
	bool *desc, *nulls_first;  /* per order key */
	struct ex_expr **in;       /* partition keys, order keys, then function inputs */
	int *slot;                 /* n_specs * IN__N: input index or -1 */
	int *oslot;                /* per spec: the input index of its first ORDER BY key */
	struct elist total;
	int64_t n_rows;
	struct tarn_array **full; /* n_in, all rows */
	struct tarn_array **res;  /* n_specs, all rows */
	int64_t pos, row_off;
	struct wq {
		double q;
		tarn_i128 num;
		int64_t den;
	} *wq; /* quantiles: the fraction per spec */
};

/* ---- morsels -------------------------------------------------------------------------- */

static void entry_free(struct entry *e, int n_in)
{
	ex_batch_free(e->b);
	for (int k = 0; e->in && k < n_in; k++)
		tarn_array_free(e->in[k]);
	tarn_free(e->in);
	e->b = NULL;
	e->in = NULL;
}

static tarn_rc elist_push(struct elist *l, struct entry e)
{
	if (l->n == l->cap) {
		int64_t cap = l->cap ? l->cap * 2 : 16;
		struct entry *v = tarn_realloc(l->v, (size_t)cap * sizeof *v);
		if (!v)
			return TARN_ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = e;
	return TARN_OK;
}

static void part_free(struct ex_op *op, void *ptr)
{
	struct win_op *o = (struct win_op *)op;
	struct win_part *p = ptr;
	if (!p)
		return;
	for (int k = 0; p->ev && k < o->n_in; k++)
		ex_eval_free(p->ev[k]);
	tarn_free(p->ev);
	for (int64_t i = 0; i < p->l.n; i++)
		entry_free(&p->l.v[i], o->n_in);
	tarn_free(p->l.v);
	tarn_free(p);
}

static tarn_rc part_new(struct ex_op *op, void **out)
{
	struct win_op *o = (struct win_op *)op;
	struct win_part *p = tarn_calloc(1, sizeof *p);
	if (!p)
		return TARN_ENOMEM;
	p->ev = tarn_calloc((size_t)o->n_in + 1, sizeof *p->ev);
	tarn_rc rc = p->ev ? TARN_OK : TARN_ENOMEM;
	for (int k = 0; !rc && k < o->n_in; k++)
		rc = ex_eval_new(o->in[k], &p->ev[k]);
	if (rc) {
		part_free(op, p);
		return rc;
	}
	*out = p;
	return TARN_OK;
}

static tarn_rc win_sink(struct ex_op *op, void *ptr, struct ex_batch *in, struct tarn_err *err)
{
	struct win_op *o = (struct win_op *)op;
	struct win_part *p = ptr;
	struct ex_batch *b = in;
	tarn_rc rc = TARN_OK;
	if (in->n_sel == 0) {
		ex_batch_free(in);
		return TARN_OK;
	}
	if (in->sel) {
		rc = ex_batch_compact(in, op->child[0]->schema, &b, err);
		ex_batch_free(in);
		if (rc)
			return rc;
	}
	struct entry e = { b, tarn_calloc((size_t)o->n_in + 1, sizeof *e.in) };
	if (!e.in)
		rc = tarn_err_nomem(err, "window");
	for (int k = 0; !rc && k < o->n_in; k++) {
		rc = ex_eval_array(p->ev[k], o->in[k], b, NULL, b->n_rows, &e.in[k], err);
		if (!rc && e.in[k]->validity)
			e.in[k]->null_count = -1;
	}
	if (!rc && elist_push(&p->l, e))
		rc = tarn_err_nomem(err, "window");
	if (rc)
		entry_free(&e, o->n_in);
	return rc;
}

static tarn_rc win_merge(struct ex_op *op, void *ptr, struct tarn_err *err)
{
	struct win_op *o = (struct win_op *)op;
	struct win_part *p = ptr;
	for (int64_t i = 0; i < p->l.n; i++) {
		struct entry *e = &p->l.v[i];
		int64_t bytes = ex_batch_bytes(e->b) + (int64_t)sizeof *e;
		for (int k = 0; k < o->n_in; k++)
			bytes += ex_array_bytes(e->in[k]);
		tarn_rc rc = ex_mem_reserve(op->q, "window", bytes, err);
		if (!rc) {
			op->mem_held += bytes;
			if (elist_push(&o->total, *e))
				rc = tarn_err_nomem(err, "window");
			else
				o->n_rows += e->b->n_rows;
		}
		if (rc) {
			for (int64_t j = i; j < p->l.n; j++)
				entry_free(&p->l.v[j], o->n_in);
			p->l.n = 0;
			return rc;
		}
	}
	p->l.n = 0;
	return TARN_OK;
}

/* ---- comparing rows -------------------------------------------------------------------- */

static inline bool val_null(const struct tarn_array *a, int64_t i)
{
	return a->type->id == TARN_T_NULL || ex_is_null(a, i);
}

/* Rows i and j hold the same key (NULL equals NULL). */
static bool same_key(const struct tarn_array *a, int64_t i, int64_t j)
{
	bool ni = val_null(a, i), nj = val_null(a, j);
	if (ni || nj)
		return ni && nj;
	return ex_value_cmp(a, i, a, j) == 0;
}

/* ---- the per-query state of finish() --------------------------------------------------- */

struct wctx {
	struct win_op *o;
	int64_t n;
	int64_t *pstart;  /* partition starts, n_parts + 1 entries */
	int64_t n_parts;
	int64_t *peer_b, *peer_e; /* current row's peer group [b, e) */
	int64_t *gid;     /* global peer-group number */
	int64_t *gstart;  /* group g starts at gstart[g]; gstart[n_groups] = n */
	int64_t *fs, *fe; /* frame of the current function */
};

static const struct tarn_array *input(const struct wctx *c, int s, int slot)
{
	int k = c->o->slot[s * IN__N + slot];
	return k < 0 ? NULL : c->o->full[k];
}

/* Non-null rows of [lo, hi) of the range key: the partition's rows minus
 * its NULL peers (first or last, one group). */
static void nonnull_span(const struct tarn_array *k, int64_t ps, int64_t pe, int64_t *lo,
			 int64_t *hi)
{
	int64_t a = ps, b = pe;
	while (a < b && val_null(k, a))
		a++;
	while (b > a && val_null(k, b - 1))
		b--;
	*lo = a;
	*hi = b;
}

/* First row j in [lo, hi) whose key is past `v` (row i of bound array bv):
 * ascending keys: key >= v (strict: key > v); descending: key <= v (key < v). */
static int64_t range_search(const struct tarn_array *key, const struct tarn_array *bv, int64_t i,
			    int64_t lo, int64_t hi, bool desc, bool strict)
{
	while (lo < hi) {
		int64_t mid = lo + (hi - lo) / 2;
		int c = ex_value_cmp(key, mid, bv, i);
		if (desc)
			c = -c;
		bool past = strict ? c > 0 : c >= 0;
		if (past)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

static int64_t clamp(int64_t v, int64_t lo, int64_t hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/* Frame [fs, fe) of every row of partition [ps, pe) for function s. */
static void frame_bounds(struct wctx *c, int s, int64_t ps, int64_t pe)
{
	const struct ex_win_frame *f = &c->o->specs[s].frame;
	const struct tarn_array *rk = input(c, s, IN_RKEY), *sv = input(c, s, IN_SVAL),
				*ev = input(c, s, IN_EVAL);
	bool desc = c->o->n_order > 0 && c->o->desc[0];
	int64_t nlo = ps, nhi = pe;
	if (rk)
		nonnull_span(rk, ps, pe, &nlo, &nhi);
	int64_t g0 = c->gid[ps], g1 = c->gid[pe - 1];
	for (int64_t i = ps; i < pe; i++) {
		int64_t a, b;
		int64_t g = c->gid[i];
		bool knull = rk && val_null(rk, i);
		switch (f->start) {
		case EX_FB_UNBOUNDED_PRECEDING: a = ps; break;
		case EX_FB_CURRENT_ROW: a = f->unit == EX_FRAME_ROWS ? i : c->peer_b[i]; break;
		case EX_FB_UNBOUNDED_FOLLOWING: a = pe; break;
		case EX_FB_PRECEDING:
		case EX_FB_FOLLOWING: {
			bool prec = f->start == EX_FB_PRECEDING;
			int64_t n = f->start_n;
			if (f->unit == EX_FRAME_ROWS) {
				a = prec ? (n > i - ps ? ps : i - n) : (n >= pe - i ? pe : i + n);
			} else if (f->unit == EX_FRAME_GROUPS) {
				int64_t t = prec ? (n > g - g0 ? g0 : g - n) : (n > g1 - g ? g1 + 1 : g + n);
				a = t > g1 ? pe : c->gstart[t];
			} else if (knull) {
				a = c->peer_b[i];
			} else {
				a = range_search(rk, sv, i, nlo, nhi, desc, false);
			}
			break;
		}
		default: a = ps;
		}
		switch (f->end) {
		case EX_FB_UNBOUNDED_PRECEDING: b = ps; break;
		case EX_FB_CURRENT_ROW: b = f->unit == EX_FRAME_ROWS ? i + 1 : c->peer_e[i]; break;
		case EX_FB_UNBOUNDED_FOLLOWING: b = pe; break;
		case EX_FB_PRECEDING:
		case EX_FB_FOLLOWING: {
			bool prec = f->end == EX_FB_PRECEDING;
			int64_t n = f->end_n;
			if (f->unit == EX_FRAME_ROWS) {
				b = prec ? (n > i - ps ? ps : i - n + 1) : (n >= pe - i ? pe : i + n + 1);
			} else if (f->unit == EX_FRAME_GROUPS) {
				if (prec && n > g - g0)
					b = ps;
				else {
					int64_t t = prec ? g - n : (n > g1 - g ? g1 : g + n);
					b = c->gstart[t + 1];
				}
			} else if (knull) {
				b = c->peer_e[i];
			} else {
				b = range_search(rk, ev, i, nlo, nhi, desc, true);
			}
			break;
		}
		default: b = pe;
		}
		a = clamp(a, ps, pe);
		b = clamp(b, ps, pe);
		if (b < a)
			b = a;
		c->fs[i] = a;
		c->fe[i] = b;
	}
}

/* The frame of row i minus its EXCLUDE part, as up to three ranges. */
static int frame_ranges(const struct wctx *c, enum ex_frame_exclude x, int64_t i, int64_t r[3][2])
{
	int64_t a = c->fs[i], b = c->fe[i];
	int64_t cut[2][2];
	int nc = 0;
	switch (x) {
	case EX_EXCLUDE_CURRENT_ROW: cut[nc][0] = i, cut[nc++][1] = i + 1; break;
	case EX_EXCLUDE_GROUP: cut[nc][0] = c->peer_b[i], cut[nc++][1] = c->peer_e[i]; break;
	case EX_EXCLUDE_TIES:
		cut[nc][0] = c->peer_b[i], cut[nc++][1] = i;
		cut[nc][0] = i + 1, cut[nc++][1] = c->peer_e[i];
		break;
	default: break;
	}
	int n = 0;
	int64_t at = a;
	for (int k = 0; k < nc; k++) {
		int64_t lo = cut[k][0] > at ? cut[k][0] : at;
		if (lo > b)
			lo = b;
		if (lo > at) {
			r[n][0] = at;
			r[n++][1] = lo;
		}
		if (cut[k][1] > at)
			at = cut[k][1];
	}
	if (at < b) {
		r[n][0] = at;
		r[n++][1] = b;
	}
	return n;
}

/* ---- aggregates -------------------------------------------------------------------------- */

union wst {
	struct {
		int64_t cnt;
		__int128 s;
	} si; /* count, count(*), sum/avg of integers and decimals */
	struct {
		int64_t cnt;
		double s;
	} sd; /* sum/avg of floats */
	struct {
		double n, mean, m2;
	} v; /* variance family */
	struct {
		int64_t row;
	} m; /* min/max/arg_min/arg_max: the winning row, -1 = none */
	struct {
		int64_t cnt, tru;
	} b; /* bool_and/bool_or */
	struct {
		double n, ma, mv, m2a, m2v, cxy;
	} co; /* corr/covar/regr: co-moments of (arg, arg2) */
	struct {
		int64_t cnt;
		double p;
	} pr; /* product */
	struct {
		int64_t cnt;
		uint64_t bits;
	} bt; /* bit_and/bit_or/bit_xor */
};

struct wagg;

/* One aggregate's window implementation. leaf: the state of row i (the
 * identity when the row does not count); comb: out = a then b (out may
 * alias either); fin: appends the value of state st to out (or, for
 * row-valued aggregates, sets idx[i] to the row to gather). */
struct wagg_vt {
	enum ex_agg_fn fn;
	void (*leaf)(const struct wagg *g, int64_t i, union wst *st);
	void (*comb)(const struct wagg *g, const union wst *a, const union wst *b, union wst *out);
	tarn_rc (*fin)(const struct wagg *g, const union wst *st, struct tarn_array *out,
		       uint32_t *idx, int64_t i, struct tarn_err *err);
	bool row_valued; /* result gathered from arg at idx[] */
	bool holo;       /* holistic: computed by chunk_holo, no leaf/comb */
};

struct wagg {
	const struct wagg_vt *vt;
	enum ex_agg_fn fn;
	const struct tarn_array *x, *y, *filt;
	union wst id; /* identity */
	double q;     /* quantiles: the fraction, exactly q_num / q_den if q_den > 0 */
	tarn_i128 q_num;
	int64_t q_den;
};

static bool counts(const struct wagg *g, int64_t i)
{
	if (g->filt && (val_null(g->filt, i) || !tarn_bit_get(g->filt->values, i)))
		return false;
	return !g->x || !val_null(g->x, i);
}

static __int128 int_value(const struct tarn_array *a, int64_t i)
{
	switch (a->type->id) {
	case TARN_T_DECIMAL128: return tarn_array_get_decimal(a, i);
	case TARN_T_UINT8:
	case TARN_T_UINT16:
	case TARN_T_UINT32:
	case TARN_T_UINT64: return (__int128)tarn_array_get_uint(a, i);
	default: return tarn_array_get_int(a, i);
	}
}

static bool is_float(const struct tarn_array *a)
{
	return a->type->id == TARN_T_FLOAT32 || a->type->id == TARN_T_FLOAT64;
}

static void leaf_count(const struct wagg *g, int64_t i, union wst *st)
{
	st->si.cnt = counts(g, i);
	st->si.s = 0;
}

static void leaf_sum(const struct wagg *g, int64_t i, union wst *st)
{
	bool in = counts(g, i);
	if (is_float(g->x)) {
		st->sd.cnt = in;
		st->sd.s = in ? tarn_array_get_double(g->x, i) : 0;
	} else {
		st->si.cnt = in;
		st->si.s = in ? int_value(g->x, i) : 0;
	}
}

static void comb_sum(const struct wagg *g, const union wst *a, const union wst *b, union wst *out)
{
	if (g->x && is_float(g->x)) {
		int64_t n = a->sd.cnt + b->sd.cnt;
		double s = a->sd.cnt == 0 ? b->sd.s : b->sd.cnt == 0 ? a->sd.s : a->sd.s + b->sd.s;
		out->sd.cnt = n;
		out->sd.s = s;
	} else {
		int64_t n = a->si.cnt + b->si.cnt;
		__int128 s = a->si.s + b->si.s;
		out->si.cnt = n;
		out->si.s = s;
	}
}

static tarn_rc fin_count(const struct wagg *g, const union wst *st, struct tarn_array *out,
			 uint32_t *idx, int64_t i, struct tarn_err *err)
{
	return tarn_array_append_int(out, st->si.cnt);
}

static tarn_rc fin_sum(const struct wagg *g, const union wst *st, struct tarn_array *out,
		       uint32_t *idx, int64_t i, struct tarn_err *err)
{
	if (is_float(g->x))
		return st->sd.cnt ? tarn_array_append_double(out, st->sd.s)
				  : tarn_array_append_null(out);
	if (!st->si.cnt)
		return tarn_array_append_null(out);
	if (out->type->id == TARN_T_DECIMAL128)
		return tarn_array_append_decimal(out, st->si.s);
	if (st->si.s > INT64_MAX || st->si.s < INT64_MIN)
		return tarn_err_set(err, TARN_EUSAGE, "sum() OVER (...): the sum overflows BIGINT");
	return tarn_array_append_int(out, (int64_t)st->si.s);
}

static tarn_rc fin_avg(const struct wagg *g, const union wst *st, struct tarn_array *out,
		       uint32_t *idx, int64_t i, struct tarn_err *err)
{
	if (is_float(g->x))
		return st->sd.cnt ? tarn_array_append_double(out, st->sd.s / (double)st->sd.cnt)
				  : tarn_array_append_null(out);
	if (!st->si.cnt)
		return tarn_array_append_null(out);
	double v = (double)st->si.s / (double)st->si.cnt;
	if (g->x->type->id == TARN_T_DECIMAL128)
		v /= (double)ex_pow10(g->x->type->scale);
	return tarn_array_append_double(out, v);
}

static void leaf_var(const struct wagg *g, int64_t i, union wst *st)
{
	bool in = counts(g, i);
	st->v.n = in;
	st->v.mean = 0;
	st->v.m2 = 0;
	if (in) {
		double x = tarn_array_get_double(g->x, i);
		if (g->x->type->id == TARN_T_DECIMAL128)
			x = (double)tarn_array_get_decimal(g->x, i) / (double)ex_pow10(g->x->type->scale);
		else if (!is_float(g->x))
			x = (double)int_value(g->x, i);
		st->v.mean = x;
	}
}

/* Chan et al.'s pairwise update of (n, mean, M2). */
static void comb_var(const struct wagg *g, const union wst *a, const union wst *b, union wst *out)
{
	if (b->v.n == 0) {
		*out = *a;
		return;
	}
	if (a->v.n == 0) {
		*out = *b;
		return;
	}
	double n = a->v.n + b->v.n, d = b->v.mean - a->v.mean;
	double mean = a->v.mean + d * b->v.n / n;
	double m2 = a->v.m2 + b->v.m2 + d * d * a->v.n * b->v.n / n;
	out->v.n = n;
	out->v.mean = mean;
	out->v.m2 = m2;
}

static tarn_rc fin_var(const struct wagg *g, const union wst *st, struct tarn_array *out,
		       uint32_t *idx, int64_t i, struct tarn_err *err)
{
	bool samp = g->fn == EX_AGG_VAR_SAMP || g->fn == EX_AGG_STDDEV_SAMP;
	double n = st->v.n;
	if (n < (samp ? 2 : 1))
		return tarn_array_append_null(out);
	double v = st->v.m2 / (samp ? n - 1 : n);
	if (v < 0)
		v = 0;
	if (g->fn == EX_AGG_STDDEV_SAMP || g->fn == EX_AGG_STDDEV_POP)
		v = sqrt(v);
	return tarn_array_append_double(out, v);
}

static void leaf_row(const struct wagg *g, int64_t i, union wst *st)
{
	bool in = counts(g, i);
	if (in && g->y && val_null(g->y, i))
		in = false;
	st->m.row = in ? i : -1;
}

static void comb_row(const struct wagg *g, const union wst *a, const union wst *b, union wst *out)
{
	int64_t ra = a->m.row, rb = b->m.row, r;
	if (ra < 0 || rb < 0) {
		r = ra < 0 ? rb : ra;
	} else {
		const struct tarn_array *v = g->y ? g->y : g->x;
		int c = ex_value_cmp(v, rb, v, ra);
		bool max = g->fn == EX_AGG_MAX || g->fn == EX_AGG_ARG_MAX;
		r = (max ? c > 0 : c < 0) ? rb : ra; /* ties: the earlier row */
	}
	out->m.row = r;
}

static tarn_rc fin_row(const struct wagg *g, const union wst *st, struct tarn_array *out,
		       uint32_t *idx, int64_t i, struct tarn_err *err)
{
	idx[i] = st->m.row < 0 ? EX_NULL_ROW : (uint32_t)st->m.row;
	return TARN_OK;
}

static void leaf_bool(const struct wagg *g, int64_t i, union wst *st)
{
	bool in = counts(g, i);
	st->b.cnt = in;
	st->b.tru = in && tarn_bit_get(g->x->values, i);
}

static void comb_bool(const struct wagg *g, const union wst *a, const union wst *b, union wst *out)
{
	int64_t cnt = a->b.cnt + b->b.cnt, tru = a->b.tru + b->b.tru;
	out->b.cnt = cnt;
	out->b.tru = tru;
}

static tarn_rc fin_bool(const struct wagg *g, const union wst *st, struct tarn_array *out,
			uint32_t *idx, int64_t i, struct tarn_err *err)
{
	if (!st->b.cnt)
		return tarn_array_append_null(out);
	return tarn_array_append_bool(out, g->fn == EX_AGG_BOOL_AND ? st->b.tru == st->b.cnt
								    : st->b.tru > 0);
}

static bool passes(const struct wagg *g, int64_t i)
{
	return !g->filt || (!val_null(g->filt, i) && tarn_bit_get(g->filt->values, i));
}

static void leaf_co(const struct wagg *g, int64_t i, union wst *st)
{
	memset(st, 0, sizeof *st);
	if (!counts(g, i) || val_null(g->y, i))
		return;
	st->co.n = 1;
	st->co.ma = ex_agg_load_f64(g->x, i);
	st->co.mv = ex_agg_load_f64(g->y, i);
}

/* Chan et al.'s pairwise update, with the cross moment. */
static void comb_co(const struct wagg *g, const union wst *a, const union wst *b, union wst *out)
{
	if (b->co.n == 0) {
		*out = *a;
		return;
	}
	if (a->co.n == 0) {
		*out = *b;
		return;
	}
	double n = a->co.n + b->co.n, da = b->co.ma - a->co.ma, dv = b->co.mv - a->co.mv;
	double w = a->co.n * b->co.n / n;
	union wst r;
	r.co.n = n;
	r.co.ma = a->co.ma + da * b->co.n / n;
	r.co.mv = a->co.mv + dv * b->co.n / n;
	r.co.m2a = a->co.m2a + b->co.m2a + da * da * w;
	r.co.m2v = a->co.m2v + b->co.m2v + dv * dv * w;
	r.co.cxy = a->co.cxy + b->co.cxy + da * dv * w;
	*out = r;
}

static tarn_rc fin_co(const struct wagg *g, const union wst *st, struct tarn_array *out,
		      uint32_t *idx, int64_t i, struct tarn_err *err)
{
	double v;
	if (!ex_agg_comoment_value(g->fn, st->co.n, st->co.ma, st->co.mv, st->co.m2a, st->co.m2v,
				   st->co.cxy, &v))
		return tarn_array_append_null(out);
	return tarn_array_append_double(out, v);
}

static void leaf_product(const struct wagg *g, int64_t i, union wst *st)
{
	bool in = counts(g, i);
	st->pr.cnt = in;
	st->pr.p = in ? ex_agg_load_f64(g->x, i) : 1;
}

static void comb_product(const struct wagg *g, const union wst *a, const union wst *b,
			 union wst *out)
{
	int64_t cnt = a->pr.cnt + b->pr.cnt;
	double p = a->pr.p * b->pr.p;
	out->pr.cnt = cnt;
	out->pr.p = p;
}

static tarn_rc fin_product(const struct wagg *g, const union wst *st, struct tarn_array *out,
			   uint32_t *idx, int64_t i, struct tarn_err *err)
{
	return st->pr.cnt ? tarn_array_append_double(out, st->pr.p) : tarn_array_append_null(out);
}

static void leaf_bits(const struct wagg *g, int64_t i, union wst *st)
{
	bool in = counts(g, i);
	st->bt.cnt = in;
	st->bt.bits = in ? ex_agg_load_bits(g->x, i) : g->id.bt.bits;
}

static void comb_bits(const struct wagg *g, const union wst *a, const union wst *b, union wst *out)
{
	uint64_t x = a->bt.bits, y = b->bt.bits;
	out->bt.cnt = a->bt.cnt + b->bt.cnt;
	out->bt.bits = g->fn == EX_AGG_BIT_AND ? x & y : g->fn == EX_AGG_BIT_OR ? x | y : x ^ y;
}

static tarn_rc fin_bits(const struct wagg *g, const union wst *st, struct tarn_array *out,
			uint32_t *idx, int64_t i, struct tarn_err *err)
{
	if (!st->bt.cnt || g->x->type->id == TARN_T_NULL)
		return tarn_array_append_null(out);
	/* the low bytes of the 64-bit pattern (little-endian) */
	uint64_t bits = st->bt.bits;
	struct tarn_array one = { .type = g->x->type, .length = 1, .values = (uint8_t *)&bits };
	return ex_array_gather(out, &one, NULL, 0, 1);
}

/* first/last: the frame's first (last) row passing FILTER, NULL values
 * included; any_value: the first non-null value. */
static void leaf_pick(const struct wagg *g, int64_t i, union wst *st)
{
	bool in = g->fn == EX_AGG_ANY_VALUE ? counts(g, i) : passes(g, i);
	st->m.row = in ? i : -1;
}

static void comb_first(const struct wagg *g, const union wst *a, const union wst *b,
		       union wst *out)
{
	out->m.row = a->m.row >= 0 ? a->m.row : b->m.row;
}

static void comb_last(const struct wagg *g, const union wst *a, const union wst *b, union wst *out)
{
	out->m.row = b->m.row >= 0 ? b->m.row : a->m.row;
}

static const struct wagg_vt wagg_vt[] = {
	{ EX_AGG_COUNT_STAR, leaf_count, comb_sum, fin_count, false, false },
	{ EX_AGG_COUNT, leaf_count, comb_sum, fin_count, false, false },
	{ EX_AGG_SUM, leaf_sum, comb_sum, fin_sum, false, false },
	{ EX_AGG_AVG, leaf_sum, comb_sum, fin_avg, false, false },
	{ EX_AGG_MIN, leaf_row, comb_row, fin_row, true, false },
	{ EX_AGG_MAX, leaf_row, comb_row, fin_row, true, false },
	{ EX_AGG_BOOL_AND, leaf_bool, comb_bool, fin_bool, false, false },
	{ EX_AGG_BOOL_OR, leaf_bool, comb_bool, fin_bool, false, false },
	{ EX_AGG_VAR_SAMP, leaf_var, comb_var, fin_var, false, false },
	{ EX_AGG_VAR_POP, leaf_var, comb_var, fin_var, false, false },
	{ EX_AGG_STDDEV_SAMP, leaf_var, comb_var, fin_var, false, false },
	{ EX_AGG_STDDEV_POP, leaf_var, comb_var, fin_var, false, false },
	{ EX_AGG_ARG_MIN, leaf_row, comb_row, fin_row, true, false },
	{ EX_AGG_ARG_MAX, leaf_row, comb_row, fin_row, true, false },
	{ EX_AGG_CORR, leaf_co, comb_co, fin_co, false, false },
	{ EX_AGG_COVAR_POP, leaf_co, comb_co, fin_co, false, false },
	{ EX_AGG_COVAR_SAMP, leaf_co, comb_co, fin_co, false, false },
	{ EX_AGG_REGR_SLOPE, leaf_co, comb_co, fin_co, false, false },
	{ EX_AGG_REGR_INTERCEPT, leaf_co, comb_co, fin_co, false, false },
	{ EX_AGG_REGR_R2, leaf_co, comb_co, fin_co, false, false },
	{ EX_AGG_PRODUCT, leaf_product, comb_product, fin_product, false, false },
	{ EX_AGG_BIT_AND, leaf_bits, comb_bits, fin_bits, false, false },
	{ EX_AGG_BIT_OR, leaf_bits, comb_bits, fin_bits, false, false },
	{ EX_AGG_BIT_XOR, leaf_bits, comb_bits, fin_bits, false, false },
	{ EX_AGG_FIRST, leaf_pick, comb_first, fin_row, true, false },
	{ EX_AGG_LAST, leaf_pick, comb_last, fin_row, true, false },
	{ EX_AGG_ANY_VALUE, leaf_pick, comb_first, fin_row, true, false },
	/* holistic (chunk_holo): quantile_disc and mode gather a row */
	{ EX_AGG_MEDIAN, NULL, NULL, NULL, false, true },
	{ EX_AGG_QUANTILE_CONT, NULL, NULL, NULL, false, true },
	{ EX_AGG_QUANTILE_DISC, NULL, NULL, NULL, true, true },
	{ EX_AGG_MODE, NULL, NULL, NULL, true, true },
	{ EX_AGG_APPROX_COUNT_DISTINCT, NULL, NULL, NULL, false, true },
	{ EX_AGG_LIST, NULL, NULL, NULL, false, true },
};

static const struct wagg_vt *wagg_find(enum ex_agg_fn fn)
{
	for (size_t i = 0; i < sizeof wagg_vt / sizeof wagg_vt[0]; i++)
		if (wagg_vt[i].fn == fn)
			return &wagg_vt[i];
	return NULL;
}

static void wagg_identity(struct wagg *g)
{
	memset(&g->id, 0, sizeof g->id);
	if (g->vt->row_valued)
		g->id.m.row = -1;
	else if (g->fn == EX_AGG_PRODUCT)
		g->id.pr.p = 1;
	else if (g->fn == EX_AGG_BIT_AND)
		g->id.bt.bits = ~(uint64_t)0;
}

/* Segment tree over all rows: tree[P + i] = leaf(i), tree[k] = tree[2k]
 * then tree[2k+1]; P a power of two. */
struct stree {
	union wst *t;
	int64_t P;
};

static void stree_query(const struct wagg *g, const struct stree *s, int64_t l, int64_t r,
			union wst *acc)
{
	union wst left = g->id, right = g->id;
	for (l += s->P, r += s->P; l < r; l >>= 1, r >>= 1) {
		if (l & 1)
			g->vt->comb(g, &left, &s->t[l++], &left);
		if (r & 1)
			g->vt->comb(g, &s->t[--r], &right, &right);
	}
	g->vt->comb(g, &left, &right, &left);
	g->vt->comb(g, acc, &left, acc);
}

/* ---- computing one function -----------------------------------------------------------------
 * prepare() builds what the whole function shares (segment tree, IGNORE NULLS positions, the
 * gather source) on the driver thread; then chunks of whole partitions run as tasks on the
 * pool, each appending its rows' results to an array of its own; the chunks' arrays are
 * concatenated in order. A row's result depends only on its partition, so the output is the
 * same for any number of chunks. */

struct wfn {
	struct wctx *c;
	int s;
	const struct ex_win_spec *sp;
	struct wagg g; /* aggregates */
	bool incremental;
	struct stree st;
	int64_t held;          /* tree bytes reserved */
	uint32_t *idx;         /* row-valued results: the row to gather, per row */
	int64_t *cnt;          /* IGNORE NULLS: non-null rows before row j (n + 1 entries) */
	uint32_t *nnpos;       /* ... and the positions of the non-null rows */
	struct tarn_array *src; /* value functions: the gather source (arg, or arg ++ default) */
	bool own_src;
	/* holistic aggregates: arrays of n, each partition using its own rows' slots */
	uint32_t *ord, *tmp;    /* rows sorted by value (NULLs last, then row); scratch */
	uint32_t *rank, *vid;   /* a row's position in ord; its value's id (equal values) */
	uint32_t *first;        /* mode over running frames: a value id's first row */
	int32_t *vcnt, *fen;    /* rows per value id in the frame; Fenwick tree over ord */
};

/* The rows of partitions [p_lo, p_hi), computed by one task. */
struct wchunk {
	struct wfn *f;
	int64_t p_lo, p_hi;
	struct tarn_array *out;
	tarn_rc rc;
	struct tarn_err err;
	struct tarn_task task;
};

static bool is_value_fn(enum ex_win_fn fn)
{
	return fn == EX_WIN_LAG || fn == EX_WIN_LEAD || fn == EX_WIN_FIRST_VALUE ||
	       fn == EX_WIN_LAST_VALUE || fn == EX_WIN_NTH_VALUE;
}

static void wfn_release(struct wfn *f)
{
	tarn_free(f->st.t);
	f->st.t = NULL;
	ex_mem_release(f->c->o->base.q, f->held);
	f->held = 0;
	tarn_free(f->ord);
	tarn_free(f->tmp);
	tarn_free(f->rank);
	tarn_free(f->vid);
	tarn_free(f->first);
	tarn_free(f->fen);
	tarn_free(f->vcnt);
	f->vcnt = NULL;
	f->ord = f->tmp = f->rank = f->vid = f->first = NULL;
	f->fen = NULL;
	tarn_free(f->idx);
	tarn_free(f->cnt);
	tarn_free(f->nnpos);
	f->idx = NULL;
	f->cnt = NULL;
	f->nnpos = NULL;
	if (f->own_src)
		tarn_array_free(f->src);
	f->src = NULL;
	f->own_src = false;
}

static tarn_rc wfn_prepare(struct wfn *f, struct tarn_err *err)
{
	struct wctx *c = f->c;
	const struct ex_win_spec *sp = f->sp;
	int64_t n = c->n;
	tarn_rc rc = TARN_OK;
	if (sp->fn == EX_WIN_AGG) {
		struct wagg g = { wagg_find(sp->agg), sp->agg, input(c, f->s, IN_ARG),
				  input(c, f->s, IN_ARG2), input(c, f->s, IN_FILTER), { { 0 } }, 0, 0, 0 };
		if (!g.vt)
			return tarn_err_set(err, TARN_EUNSUPPORTED,
					    "%s() is not supported as a window function yet",
					    ex_agg_name(sp->agg));
		wagg_identity(&g);
		g.q = c->o->wq[f->s].q;
		g.q_num = c->o->wq[f->s].num;
		g.q_den = c->o->wq[f->s].den;
		f->g = g;
		f->incremental = sp->frame.start == EX_FB_UNBOUNDED_PRECEDING &&
				 sp->frame.exclude == EX_EXCLUDE_NONE;
		if (g.vt->row_valued) {
			f->idx = tarn_malloc((size_t)(n ? n : 1) * sizeof *f->idx);
			if (!f->idx)
				return tarn_err_nomem(err, "window");
		}
		if (g.vt->holo || sp->distinct) {
			int64_t bytes = (n + 1) * 28;
			TRY(ex_mem_reserve(c->o->base.q, "window", bytes, err));
			f->held = bytes;
			size_t sz = (size_t)(n + 1) * 4;
			f->ord = tarn_malloc(sz);
			f->tmp = tarn_malloc(sz);
			f->rank = tarn_malloc(sz);
			f->vid = tarn_malloc(sz);
			f->first = tarn_malloc(sz);
			f->vcnt = tarn_calloc((size_t)n + 1, sizeof *f->vcnt);
			f->fen = tarn_calloc((size_t)n + 1, sizeof *f->fen);
			if (!f->ord || !f->tmp || !f->rank || !f->vid || !f->first || !f->vcnt || !f->fen)
				return tarn_err_nomem(err, "window");
			return TARN_OK;
		}
		if (!f->incremental) {
			int64_t P = 1;
			while (P < n)
				P *= 2;
			int64_t bytes = 2 * P * (int64_t)sizeof(union wst);
			TRY(ex_mem_reserve(c->o->base.q, "window", bytes, err));
			f->held = bytes;
			f->st.P = P;
			f->st.t = tarn_malloc((size_t)bytes);
			if (!f->st.t)
				return tarn_err_nomem(err, "window");
			for (int64_t i = 0; i < P; i++) {
				if (i < n)
					g.vt->leaf(&f->g, i, &f->st.t[P + i]);
				else
					f->st.t[P + i] = f->g.id;
			}
			for (int64_t k = P - 1; k >= 1; k--)
				g.vt->comb(&f->g, &f->st.t[2 * k], &f->st.t[2 * k + 1], &f->st.t[k]);
		}
		return TARN_OK;
	}
	if (sp->fn == EX_WIN_STRING_AGG) { /* a frame's rows, to order them */
		int64_t bytes = (n + 1) * 4;
		TRY(ex_mem_reserve(c->o->base.q, "window", bytes, err));
		f->held = bytes;
		f->tmp = tarn_malloc((size_t)bytes);
		return f->tmp ? TARN_OK : tarn_err_nomem(err, "window");
	}
	if (!is_value_fn(sp->fn))
		return TARN_OK;
	const struct tarn_array *x = input(c, f->s, IN_ARG), *def = input(c, f->s, IN_ARG3);
	f->idx = tarn_malloc((size_t)(n ? n : 1) * sizeof *f->idx);
	if (!f->idx)
		return tarn_err_nomem(err, "window");
	if (sp->ignore_nulls) {
		f->cnt = tarn_malloc((size_t)(n + 1) * sizeof *f->cnt);
		f->nnpos = tarn_malloc((size_t)(n ? n : 1) * sizeof *f->nnpos);
		if (!f->cnt || !f->nnpos)
			return tarn_err_nomem(err, "window");
		int64_t k = 0;
		for (int64_t j = 0; j < n; j++) {
			f->cnt[j] = k;
			if (!val_null(x, j))
				f->nnpos[k++] = (uint32_t)j;
		}
		f->cnt[n] = k;
	}
	if (!def) {
		f->src = (struct tarn_array *)x;
		return TARN_OK;
	}
	/* gather source: x ++ default */
	rc = tarn_array_new(x->type, 2 * n, &f->src);
	if (!rc) {
		f->own_src = true;
		rc = ex_array_gather(f->src, x, NULL, 0, n);
	}
	if (!rc)
		rc = ex_array_gather(f->src, def, NULL, 0, n);
	if (!rc && f->src->validity)
		f->src->null_count = -1;
	return rc ? tarn_err_nomem(err, "window") : TARN_OK;
}

static tarn_rc chunk_agg(struct wchunk *ch)
{
	struct wfn *f = ch->f;
	struct wctx *c = f->c;
	const struct wagg *g = &f->g;
	tarn_rc rc = TARN_OK;
	for (int64_t p = ch->p_lo; !rc && p < ch->p_hi; p++) {
		int64_t ps = c->pstart[p], pe = c->pstart[p + 1];
		frame_bounds(c, f->s, ps, pe);
		union wst acc = g->id;
		int64_t at = ps;
		for (int64_t i = ps; !rc && i < pe; i++) {
			if (f->incremental) {
				union wst one;
				for (; at < c->fe[i]; at++) {
					g->vt->leaf(g, at, &one);
					g->vt->comb(g, &acc, &one, &acc);
				}
				rc = g->vt->fin(g, &acc, ch->out, f->idx, i, &ch->err);
				continue;
			}
			int64_t r[3][2];
			int nr = frame_ranges(c, f->sp->frame.exclude, i, r);
			union wst a = g->id;
			for (int k = 0; k < nr; k++)
				stree_query(g, &f->st, r[k][0], r[k][1], &a);
			rc = g->vt->fin(g, &a, ch->out, f->idx, i, &ch->err);
		}
	}
	if (!rc && g->vt->row_valued) {
		int64_t r0 = c->pstart[ch->p_lo], r1 = c->pstart[ch->p_hi];
		rc = ex_array_gather(ch->out, g->x, f->idx + r0, 0, r1 - r0);
	}
	return rc;
}

/* f(x ORDER BY keys): rows compare by the keys, then by row (frame order). */
struct okeys {
	const struct wctx *c;
	int s;
};

static int cmp_by_keys(const void *pa, const void *pb, void *arg)
{
	const struct okeys *ok = arg;
	const struct ex_win_spec *sp = &ok->c->o->specs[ok->s];
	uint32_t ra = *(const uint32_t *)pa, rb = *(const uint32_t *)pb;
	for (int k = 0; k < sp->n_order; k++) {
		const struct tarn_array *a = ok->c->o->full[ok->c->o->oslot[ok->s] + k];
		bool na = val_null(a, ra), nb = val_null(a, rb);
		int c;
		if (na || nb) {
			if (na && nb)
				continue;
			c = (na ? 1 : -1) * (sp->order[k].nulls_first ? -1 : 1);
		} else {
			c = ex_value_cmp(a, ra, a, rb);
			if (sp->order[k].desc)
				c = -c;
		}
		if (c)
			return c;
	}
	return ra < rb ? -1 : ra > rb;
}

/* The frame's rows v[0..m) in the call's ORDER BY order, if it has one. */
static void order_rows(const struct wfn *f, uint32_t *v, int64_t m)
{
	if (f->sp->n_order && m > 1) {
		struct okeys ok = { f->c, f->s };
		qsort_r(v, (size_t)m, sizeof *v, cmp_by_keys, &ok);
	}
}

/* ---- holistic aggregates ------------------------------------------------------------------------
 * median, quantile_cont/disc, mode, approx_count_distinct and list over frames. Per partition the
 * rows are sorted once by value (NULLs last, ties by row): ord[], a row's position rank[] and a
 * value id vid[] (equal values, one id). The frame's rows form a set that moves with the frame:
 * frame starts and ends only advance for every frame kind, so each row enters and leaves once
 * per partition (a frame that moves back, which none does, starts over), and EXCLUDE takes its
 * few rows out around the current row and puts them back. The set keeps a Fenwick tree over
 * positions in ord (quantiles: the k-th smallest in O(log n)), counts per value id and the
 * number of distinct ids. So a sliding or running frame costs O(n log n) for the quantiles and
 * O(n) for approx_count_distinct (exact: every distinct value is counted). mode takes the most
 * frequent value, ties to the one that comes first in the frame: over running frames (from
 * UNBOUNDED PRECEDING, no EXCLUDE) kept as rows arrive, O(1) per row; over other frames by a scan
 * of the frame, O(frame) per row. list gathers the frame's rows (its output is that big). */

struct hset {
	struct wfn *f;
	int64_t ps, m;     /* partition start and size */
	int64_t r[3][2];   /* the ranges of rows in the set (those that count) */
	int nr;
	int64_t nset, ndist;
	__int128 dsum;     /* sum(DISTINCT): the sum of the distinct values */
	bool quant, ids, mode;
	/* mode, as DuckDB's windowed mode: the candidate value id, its count,
	 * whether it is known to win; the value ids met since the last reset */
	int64_t mval, mcount, msize;
	bool valid;
};

static bool holo_counts(const struct wagg *g, int64_t j)
{
	return g->fn == EX_AGG_LIST ? passes(g, j) : counts(g, j);
}

static void fen_add(int32_t *fen, int64_t m, int64_t t, int32_t d)
{
	for (t++; t <= m; t += t & -t)
		fen[t - 1] += d;
}

/* Position (0-based) of the k-th (0-based) element of the set. */
static int64_t fen_kth(const int32_t *fen, int64_t m, int64_t k)
{
	int64_t pos = 0, step = 1;
	while (step * 2 <= m)
		step *= 2;
	for (; step; step >>= 1)
		if (pos + step <= m && fen[pos + step - 1] <= k) {
			pos += step;
			k -= fen[pos - 1];
		}
	return pos;
}

static void hset_move(struct hset *h, int64_t j, int d)
{
	struct wfn *f = h->f;
	if (!holo_counts(&f->g, j))
		return;
	h->nset += d;
	if (h->quant)
		fen_add(f->fen + h->ps, h->m, f->rank[j] - h->ps, d);
	if (!h->ids)
		return;
	uint32_t v = f->vid[j];
	int32_t old = f->vcnt[v], c = f->vcnt[v] += d;
	if (d > 0 && c == 1) {
		h->ndist++;
		if (f->sp->distinct && f->g.fn != EX_AGG_COUNT)
			h->dsum += int_value(f->g.x, j);
	} else if (d < 0 && c == 0) {
		h->ndist--;
		if (f->sp->distinct && f->g.fn != EX_AGG_COUNT)
			h->dsum -= int_value(f->g.x, j);
	}
	if (!h->mode)
		return;
	/* first[v]: the least row the value was added at since it was last
	 * absent (UINT32_MAX: not met since the reset; tmp lists those met) */
	if (d > 0) {
		if (f->first[v] == UINT32_MAX)
			f->tmp[h->ps + h->msize++] = v;
		if (c == 1 || (uint32_t)j < f->first[v])
			f->first[v] = (uint32_t)j;
		if (c > h->mcount) {
			h->valid = true;
			h->mcount = c;
			h->mval = v;
		}
	} else if (h->mcount == old && (int64_t)v == h->mval) {
		h->valid = false;
	}
}

static bool in_ranges(const int64_t r[3][2], int n, int64_t j)
{
	for (int k = 0; k < n; k++)
		if (j >= r[k][0] && j < r[k][1])
			return true;
	return false;
}

/* The set becomes the rows of ranges r[0..n): rows leave or enter in
 * ascending order, only those in one of the old and new sets. */
static void hset_frame(struct hset *h, int64_t r[3][2], int n)
{
	int64_t bp[12];
	int nb = 0;
	for (int k = 0; k < h->nr; k++) {
		bp[nb++] = h->r[k][0];
		bp[nb++] = h->r[k][1];
	}
	for (int k = 0; k < n; k++) {
		bp[nb++] = r[k][0];
		bp[nb++] = r[k][1];
	}
	for (int k = 1; k < nb; k++)
		for (int q = k; q > 0 && bp[q - 1] > bp[q]; q--) {
			int64_t t = bp[q];
			bp[q] = bp[q - 1];
			bp[q - 1] = t;
		}
	for (int k = 0; k + 1 < nb; k++) {
		int64_t lo = bp[k], hi = bp[k + 1];
		if (lo == hi)
			continue;
		bool was = in_ranges(h->r, h->nr, lo), is = in_ranges(r, n, lo);
		if (was != is)
			for (int64_t j = lo; j < hi; j++)
				hset_move(h, j, is ? 1 : -1);
	}
	memcpy(h->r, r, sizeof h->r);
	h->nr = n;
}

/* mode: DuckDB starts its value counts over when the frames do not
 * overlap or when at most a quarter of the values it met are in the
 * frame; so does this (ties go to the value met first since then). */
static void mode_frame(struct hset *h, int64_t r[3][2], int n)
{
	struct wfn *f = h->f;
	bool reset = h->ndist * 4 <= h->msize || h->nr == 0 || n == 0 ||
		     h->r[h->nr - 1][1] <= r[0][0] || r[n - 1][1] <= h->r[0][0];
	if (!reset) {
		hset_frame(h, r, n);
	} else {
		for (int64_t k = 0; k < h->msize; k++) {
			uint32_t v = f->tmp[h->ps + k];
			f->vcnt[v] = 0;
			f->first[v] = UINT32_MAX;
		}
		h->msize = h->ndist = h->nset = 0;
		h->mcount = 0;
		h->valid = false;
		h->nr = 0;
		for (int k = 0; k < n; k++)
			for (int64_t j = r[k][0]; j < r[k][1]; j++)
				hset_move(h, j, 1);
		memcpy(h->r, r, sizeof h->r);
		h->nr = n;
	}
	if (!h->valid) {
		int64_t best = -1;
		for (int64_t k = 0; k < h->msize; k++) {
			uint32_t v = f->tmp[h->ps + k];
			if (best < 0 || f->vcnt[v] > f->vcnt[best] ||
			    (f->vcnt[v] == f->vcnt[best] && f->first[v] < f->first[best]))
				best = v;
		}
		if (best >= 0) {
			h->mval = best;
			h->mcount = f->vcnt[best];
			h->valid = h->mcount > 0;
		}
	}
}

/* Rows by value (NULLs last), ties by row: a total order. */
static int cmp_by_value(const void *pa, const void *pb, void *arg)
{
	const struct tarn_array *x = arg;
	uint32_t ra = *(const uint32_t *)pa, rb = *(const uint32_t *)pb;
	bool na = val_null(x, ra), nb = val_null(x, rb);
	int c = na || nb ? (int)na - (int)nb : ex_value_cmp(x, ra, x, rb);
	return c ? c : ra < rb ? -1 : ra > rb;
}

/* Sorts rows [ps, pe) by value into ord, then sets rank and vid. */
static void holo_sort(struct wfn *f, int64_t ps, int64_t pe)
{
	const struct tarn_array *x = f->g.x;
	uint32_t *a = f->ord + ps;
	int64_t m = pe - ps;
	for (int64_t k = 0; k < m; k++)
		a[k] = (uint32_t)(ps + k);
	qsort_r(a, (size_t)m, sizeof *a, cmp_by_value, (void *)x);
	uint32_t id = (uint32_t)ps;
	for (int64_t k = 0; k < m; k++) {
		uint32_t r = a[k];
		if (k && !same_key(x, a[k - 1], r))
			id++;
		f->rank[r] = (uint32_t)(ps + k);
		f->vid[r] = id;
	}
}

static tarn_rc holo_value(struct wchunk *ch, struct hset *h, int64_t i, int64_t r[3][2], int nr)
{
	struct wfn *f = ch->f;
	const struct wagg *g = &f->g;
	if (f->sp->distinct) { /* count, sum, avg over the distinct values */
		union wst st;
		memset(&st, 0, sizeof st);
		st.si.cnt = h->ndist;
		st.si.s = h->dsum;
		return g->vt->fin(g, &st, ch->out, f->idx, i, &ch->err);
	}
	switch (g->fn) {
	case EX_AGG_APPROX_COUNT_DISTINCT: return tarn_array_append_int(ch->out, h->ndist);
	case EX_AGG_QUANTILE_DISC:
		f->idx[i] = h->nset ? f->ord[h->ps + fen_kth(f->fen + h->ps, h->m,
							      ex_agg_disc_pos(g->q, g->q_num,
									      g->q_den, h->nset))]
				    : EX_NULL_ROW;
		return TARN_OK;
	case EX_AGG_MEDIAN:
	case EX_AGG_QUANTILE_CONT: {
		if (!h->nset)
			return tarn_array_append_null(ch->out);
		double rn = (double)(h->nset - 1) * g->q;
		int64_t lo = (int64_t)floor(rn), hi = (int64_t)ceil(rn);
		int32_t *fen = f->fen + h->ps;
		uint32_t xr = f->ord[h->ps + fen_kth(fen, h->m, lo)];
		uint32_t yr = hi == lo ? xr : f->ord[h->ps + fen_kth(fen, h->m, hi)];
		return ex_agg_cont_append(g->x, xr, yr, lo == hi ? 0 : rn - (double)lo, ch->out);
	}
	case EX_AGG_MODE:
		f->idx[i] = h->valid ? f->first[h->mval] : EX_NULL_ROW;
		return TARN_OK;
	default: { /* list: the frame's rows in frame order */
		uint32_t *v = f->tmp + h->ps;
		int64_t k = 0;
		for (int q = 0; q < nr; q++)
			for (int64_t j = r[q][0]; j < r[q][1]; j++)
				if (passes(g, j))
					v[k++] = (uint32_t)j;
		if (!k)
			return tarn_array_append_null(ch->out);
		order_rows(f, v, k);
		TRY(ex_array_gather(ch->out->children[0], g->x, v, 0, k));
		return tarn_array_list_end(ch->out, true);
	}
	}
}

static tarn_rc chunk_holo(struct wchunk *ch)
{
	struct wfn *f = ch->f;
	struct wctx *c = f->c;
	const struct wagg *g = &f->g;
	enum ex_frame_exclude x = f->sp->frame.exclude;
	tarn_rc rc = TARN_OK;
	for (int64_t p = ch->p_lo; !rc && p < ch->p_hi; p++) {
		int64_t ps = c->pstart[p], pe = c->pstart[p + 1];
		frame_bounds(c, f->s, ps, pe);
		struct hset h = { .f = f, .ps = ps, .m = pe - ps, .mval = -1 };
		h.quant = g->fn == EX_AGG_MEDIAN || g->fn == EX_AGG_QUANTILE_CONT ||
			  g->fn == EX_AGG_QUANTILE_DISC;
		h.mode = g->fn == EX_AGG_MODE;
		h.ids = h.mode || g->fn == EX_AGG_APPROX_COUNT_DISTINCT || f->sp->distinct;
		if (g->fn != EX_AGG_LIST)
			holo_sort(f, ps, pe);
		if (h.mode)
			for (int64_t j = ps; j < pe; j++)
				f->first[j] = UINT32_MAX;
		for (int64_t i = ps; !rc && i < pe; i++) {
			int64_t r[3][2];
			int nr = frame_ranges(c, x, i, r);
			if (h.mode)
				mode_frame(&h, r, nr);
			else if (g->fn != EX_AGG_LIST)
				hset_frame(&h, r, nr);
			rc = holo_value(ch, &h, i, r, nr);
		}
	}
	if (!rc && g->vt->row_valued) {
		int64_t r0 = c->pstart[ch->p_lo], r1 = c->pstart[ch->p_hi];
		rc = ex_array_gather(ch->out, g->x, f->idx + r0, 0, r1 - r0);
	}
	return rc;
}

/* string_agg(x, sep) over each row's frame, in frame order (or its ORDER BY). */
static tarn_rc chunk_string_agg(struct wchunk *ch)
{
	struct wfn *f = ch->f;
	struct wctx *c = f->c;
	const struct tarn_array *x = input(c, f->s, IN_ARG), *sep = input(c, f->s, IN_ARG2),
				*filt = input(c, f->s, IN_FILTER);
	struct tarn_buf buf;
	tarn_buf_init(&buf);
	tarn_rc rc = TARN_OK;
	for (int64_t p = ch->p_lo; !rc && p < ch->p_hi; p++) {
		int64_t ps = c->pstart[p], pe = c->pstart[p + 1];
		uint32_t *v = f->tmp + ps;
		frame_bounds(c, f->s, ps, pe);
		for (int64_t i = ps; !rc && i < pe; i++) {
			int64_t r[3][2];
			int nr = frame_ranges(c, f->sp->frame.exclude, i, r);
			int64_t m = 0;
			for (int k = 0; k < nr; k++)
				for (int64_t j = r[k][0]; j < r[k][1]; j++)
					if (!val_null(x, j) &&
					    !(filt && (val_null(filt, j) || !tarn_bit_get(filt->values, j))))
						v[m++] = (uint32_t)j;
			order_rows(f, v, m);
			buf.len = 0;
			for (int64_t k = 0; !rc && k < m; k++) {
				size_t len;
				const uint8_t *val;
				if (k && sep && !val_null(sep, v[k])) {
					val = tarn_array_get_bytes(sep, v[k], &len);
					rc = tarn_buf_append(&buf, val, len);
				}
				val = tarn_array_get_bytes(x, v[k], &len);
				if (!rc)
					rc = tarn_buf_append(&buf, val, len);
			}
			if (!rc)
				rc = m ? tarn_array_append_bytes(ch->out, buf.data ? buf.data : "", buf.len)
				       : tarn_array_append_null(ch->out);
		}
	}
	tarn_buf_free(&buf);
	if (rc && rc != TARN_ENOMEM)
		rc = tarn_err_set(&ch->err, rc, "string_agg() OVER (...): result too large");
	return rc;
}

static tarn_rc chunk_rank(struct wchunk *ch)
{
	struct wfn *f = ch->f;
	struct wctx *c = f->c;
	const struct tarn_array *nt = input(c, f->s, IN_ARG2);
	struct tarn_array *out = ch->out;
	tarn_rc rc = TARN_OK;
	for (int64_t p = ch->p_lo; !rc && p < ch->p_hi; p++) {
		int64_t ps = c->pstart[p], pe = c->pstart[p + 1], m = pe - ps;
		for (int64_t i = ps; !rc && i < pe; i++) {
			int64_t rank = c->peer_b[i] - ps + 1;
			switch (f->sp->fn) {
			case EX_WIN_ROW_NUMBER: rc = tarn_array_append_int(out, i - ps + 1); break;
			case EX_WIN_RANK: rc = tarn_array_append_int(out, rank); break;
			case EX_WIN_DENSE_RANK:
				rc = tarn_array_append_int(out, c->gid[i] - c->gid[ps] + 1);
				break;
			case EX_WIN_PERCENT_RANK:
				rc = tarn_array_append_double(out, m > 1 ? (double)(rank - 1) / (double)(m - 1)
									 : 0.0);
				break;
			case EX_WIN_CUME_DIST:
				rc = tarn_array_append_double(out, (double)(c->peer_e[i] - ps) / (double)m);
				break;
			case EX_WIN_NTILE: {
				if (val_null(nt, i)) {
					rc = tarn_array_append_null(out);
					break;
				}
				int64_t nb = tarn_array_get_int(nt, i);
				if (nb <= 0)
					return tarn_err_set(&ch->err, TARN_EUSAGE,
							    "ntile(): the bucket count must be greater than zero");
				if (nb > m)
					nb = m;
				int64_t q = m / nb, r = m % nb, row = i - ps, b;
				if (row < r * (q + 1))
					b = row / (q + 1) + 1;
				else
					b = (row - r * (q + 1)) / q + r + 1;
				rc = tarn_array_append_int(out, b);
				break;
			}
			default: break;
			}
		}
	}
	return rc;
}

/* Row indexes into the gather source: value functions. With IGNORE NULLS,
 * nnpos lists the non-null rows and cnt[j] counts those before row j. */
static tarn_rc chunk_value(struct wchunk *ch)
{
	struct wfn *f = ch->f;
	struct wctx *c = f->c;
	const struct ex_win_spec *sp = f->sp;
	const struct tarn_array *a2 = input(c, f->s, IN_ARG2);
	bool has_def = input(c, f->s, IN_ARG3) != NULL;
	int64_t n = c->n, *cnt = f->cnt;
	const uint32_t *nnpos = f->nnpos;
	uint32_t *idx = f->idx;
	bool ign = sp->ignore_nulls;
	bool lagl = sp->fn == EX_WIN_LAG || sp->fn == EX_WIN_LEAD;
	for (int64_t p = ch->p_lo; p < ch->p_hi; p++) {
		int64_t ps = c->pstart[p], pe = c->pstart[p + 1];
		if (!lagl)
			frame_bounds(c, f->s, ps, pe);
		for (int64_t i = ps; i < pe; i++) {
			int64_t t = -1; /* row, or -1: NULL; -2: the default */
			if (lagl) {
				if (a2 && val_null(a2, i)) {
					idx[i] = EX_NULL_ROW;
					continue;
				}
				int64_t off = a2 ? tarn_array_get_int(a2, i) : 1;
				off = clamp(off, -n - 1, n + 1);
				if (sp->fn == EX_WIN_LAG)
					off = -off;
				if (!ign || off == 0) {
					t = (off < 0 ? -off > i - ps : off >= pe - i) ? -2 : i + off;
				} else if (off < 0) {
					int64_t k = cnt[i] + off;
					t = k >= cnt[ps] ? (int64_t)nnpos[k] : -2;
				} else {
					int64_t k = cnt[i + 1] + off - 1;
					t = k < cnt[pe] ? (int64_t)nnpos[k] : -2;
				}
			} else {
				int64_t r[3][2];
				int nr = frame_ranges(c, sp->frame.exclude, i, r);
				int64_t want = 1;
				if (sp->fn == EX_WIN_NTH_VALUE) {
					if (val_null(a2, i)) {
						idx[i] = EX_NULL_ROW;
						continue;
					}
					want = tarn_array_get_int(a2, i);
					if (want <= 0)
						return tarn_err_set(&ch->err, TARN_EUSAGE,
								    "nth_value(): the position must be greater than zero");
				}
				bool last = sp->fn == EX_WIN_LAST_VALUE;
				for (int kk = 0; kk < nr && t < 0; kk++) {
					int k = last ? nr - 1 - kk : kk;
					int64_t lo = r[k][0], hi = r[k][1];
					int64_t have = ign ? cnt[hi] - cnt[lo] : hi - lo;
					if (last) {
						if (have > 0)
							t = ign ? nnpos[cnt[hi] - 1] : hi - 1;
					} else if (want <= have) {
						t = ign ? nnpos[cnt[lo] + want - 1] : lo + want - 1;
					} else {
						want -= have;
					}
				}
			}
			idx[i] = t == -2 ? (has_def ? (uint32_t)(n + i) : EX_NULL_ROW)
				 : t < 0 ? EX_NULL_ROW
					 : (uint32_t)t;
		}
	}
	int64_t r0 = c->pstart[ch->p_lo], r1 = c->pstart[ch->p_hi];
	return ex_array_gather(ch->out, f->src, idx + r0, 0, r1 - r0);
}

static void chunk_run(void *arg)
{
	struct wchunk *ch = arg;
	enum ex_win_fn fn = ch->f->sp->fn;
	tarn_rc rc = fn == EX_WIN_AGG && (ch->f->g.vt->holo || ch->f->sp->distinct) ? chunk_holo(ch)
		     : fn == EX_WIN_AGG		 ? chunk_agg(ch)
		     : fn == EX_WIN_STRING_AGG ? chunk_string_agg(ch)
		     : is_value_fn(fn)	 ? chunk_value(ch)
					 : chunk_rank(ch);
	if (rc == TARN_ENOMEM)
		rc = tarn_err_nomem(&ch->err, "window");
	else if (rc && !ch->err.rc)
		rc = tarn_err_set(&ch->err, rc, "window: column too large");
	if (!rc && ch->out->validity)
		ch->out->null_count = -1;
	ch->rc = rc;
}

/* Function s into o->res[s], over chunks ch[0..k) (their bounds set). */
static tarn_rc compute_fn(struct wctx *c, int s, struct wchunk *ch, int k, struct tarn_err *err)
{
	struct win_op *o = c->o;
	const struct tarn_type *t = &o->base.schema->fields[o->nc + s].type;
	struct wfn f = { .c = c, .s = s, .sp = &o->specs[s] };
	tarn_rc rc = wfn_prepare(&f, err);
	for (int j = 0; !rc && j < k; j++) {
		int64_t rows = c->pstart[ch[j].p_hi] - c->pstart[ch[j].p_lo];
		ch[j].f = &f;
		ch[j].rc = TARN_OK;
		tarn_err_clear(&ch[j].err);
		ch[j].out = NULL;
		if (tarn_array_new(t, rows, &ch[j].out))
			rc = tarn_err_nomem(err, "window");
	}
	if (!rc) {
		for (int j = 1; j < k; j++) {
			ch[j].task.fn = chunk_run;
			ch[j].task.arg = &ch[j];
			tarn_pool_submit(&ch[j].task);
		}
		chunk_run(&ch[0]);
		for (int j = 1; j < k; j++)
			tarn_task_wait(&ch[j].task);
		for (int j = 0; !rc && j < k; j++)
			if (ch[j].rc) {
				*err = ch[j].err;
				rc = ch[j].rc;
			}
	}
	if (!rc && k == 1) {
		o->res[s] = ch[0].out;
		ch[0].out = NULL;
	} else if (!rc) {
		rc = tarn_array_new(t, c->n, &o->res[s]);
		for (int j = 0; !rc && j < k; j++)
			rc = ex_array_gather(o->res[s], ch[j].out, NULL, 0, ch[j].out->length);
		if (rc)
			rc = tarn_err_nomem(err, "window");
		else if (o->res[s]->validity)
			o->res[s]->null_count = -1;
	}
	for (int j = 0; j < k; j++) {
		tarn_array_free(ch[j].out);
		ch[j].out = NULL;
	}
	wfn_release(&f);
	return rc;
}

/* ---- finish: boundaries, then every function ------------------------------------------------- */

static tarn_rc concat_inputs(struct win_op *o, struct tarn_err *err)
{
	o->full = tarn_calloc((size_t)o->n_in + 1, sizeof *o->full);
	if (!o->full)
		return tarn_err_nomem(err, "window");
	for (int k = 0; k < o->n_in; k++) {
		tarn_rc rc = tarn_array_new(&o->in[k]->type, o->n_rows, &o->full[k]);
		for (int64_t e = 0; !rc && e < o->total.n; e++) {
			struct entry *en = &o->total.v[e];
			rc = ex_array_gather(o->full[k], en->in[k], NULL, 0, en->b->n_rows);
			tarn_array_free(en->in[k]);
			en->in[k] = NULL;
		}
		if (rc)
			return rc == TARN_ENOMEM ? tarn_err_nomem(err, "window")
						 : tarn_err_set(err, rc, "window: column too large");
		if (o->full[k]->validity)
			o->full[k]->null_count = -1;
	}
	return TARN_OK;
}

static tarn_rc win_finish(struct ex_op *op, struct tarn_err *err)
{
	struct win_op *o = (struct win_op *)op;
	int64_t n = o->n_rows;
	if (n >= (int64_t)UINT32_MAX / 2)
		return tarn_err_set(err, TARN_ELIMIT, "window: more than %lld rows",
				    (long long)(UINT32_MAX / 2 - 1u));
	TRY(concat_inputs(o, err));
	int64_t aux = (n + 1) * 8 * 7;
	TRY(ex_mem_reserve(op->q, "window", aux, err));
	op->mem_held += aux;
	struct wctx c = { .o = o, .n = n };
	size_t sz = (size_t)(n + 1) * sizeof(int64_t);
	c.pstart = tarn_malloc(sz);
	c.peer_b = tarn_malloc(sz);
	c.peer_e = tarn_malloc(sz);
	c.gid = tarn_malloc(sz);
	c.gstart = tarn_malloc(sz);
	c.fs = tarn_malloc(sz);
	c.fe = tarn_malloc(sz);
	tarn_rc rc = TARN_OK;
	if (!c.pstart || !c.peer_b || !c.peer_e || !c.gid || !c.gstart || !c.fs || !c.fe) {
		rc = tarn_err_nomem(err, "window");
		goto out;
	}
	/* partitions and peer groups */
	int64_t ng = 0;
	for (int64_t i = 0; i < n; i++) {
		bool newp = i == 0, newg = i == 0;
		for (int k = 0; !newp && k < o->n_part; k++)
			newp = !same_key(o->full[k], i, i - 1);
		newg = newp;
		for (int k = 0; !newg && k < o->n_order; k++)
			newg = !same_key(o->full[o->n_part + k], i, i - 1);
		if (newp)
			c.pstart[c.n_parts++] = i;
		if (newg)
			c.gstart[ng++] = i;
		c.gid[i] = ng - 1;
		c.peer_b[i] = c.gstart[ng - 1];
	}
	c.pstart[c.n_parts] = n;
	c.gstart[ng] = n;
	for (int64_t i = 0; i < n; i++)
		c.peer_e[i] = c.gstart[c.gid[i] + 1];
	o->res = tarn_calloc((size_t)o->n_specs + 1, sizeof *o->res);
	if (!o->res) {
		rc = tarn_err_nomem(err, "window");
		goto out;
	}
	/* chunks of whole partitions for the pool: at most one per thread, at
	 * least WIN_CHUNK_MIN rows each (small inputs run on this thread) */
	int want = op->q && op->q->threads > 1 ? op->q->threads : 1;
	if (want > n / WIN_CHUNK_MIN)
		want = (int)(n / WIN_CHUNK_MIN);
	if (want < 1)
		want = 1;
	struct wchunk *ch = tarn_calloc((size_t)want, sizeof *ch);
	if (!ch) {
		rc = tarn_err_nomem(err, "window");
		goto out;
	}
	int nch = 0;
	for (int64_t p = 0; p < c.n_parts;) {
		int64_t goal = c.pstart[p] + (n - c.pstart[p]) / (want - nch), q = p + 1;
		while (q < c.n_parts && c.pstart[q] < goal)
			q++;
		if (nch == want - 1)
			q = c.n_parts;
		ch[nch].p_lo = p;
		ch[nch++].p_hi = q;
		p = q;
	}
	if (nch == 0)
		ch[nch++] = (struct wchunk){ .p_lo = 0, .p_hi = 0 };
	for (int s = 0; !rc && s < o->n_specs; s++) {
		rc = compute_fn(&c, s, ch, nch, err);
		if (!rc) {
			int64_t b = ex_array_bytes(o->res[s]);
			rc = ex_mem_reserve(op->q, "window", b, err);
			if (!rc)
				op->mem_held += b;
		}
	}
	tarn_free(ch);
	/* the inputs are not needed any more (their reservation, made for the
	 * morsels' pieces, stays with the operator until it is freed) */
	for (int k = 0; !rc && k < o->n_in; k++) {
		tarn_array_free(o->full[k]);
		o->full[k] = NULL;
	}
out:
	tarn_free(c.pstart);
	tarn_free(c.peer_b);
	tarn_free(c.peer_e);
	tarn_free(c.gid);
	tarn_free(c.gstart);
	tarn_free(c.fs);
	tarn_free(c.fe);
	ex_mem_release(op->q, aux);
	op->mem_held -= aux;
	return rc;
}

static tarn_rc win_next(struct ex_op *op, struct ex_batch **out, struct tarn_err *err)
{
	struct win_op *o = (struct win_op *)op;
	*out = NULL;
	if (o->pos >= o->total.n)
		return TARN_OK;
	struct entry *e = &o->total.v[o->pos];
	int64_t m = e->b->n_rows;
	struct ex_batch *b;
	if (ex_batch_new(o->nc + o->n_specs, &b))
		return tarn_err_nomem(err, "window");
	tarn_rc rc = ex_batch_take_holders(b, e->b);
	for (int c = 0; c < o->nc; c++)
		b->cols[c] = e->b->cols[c];
	for (int s = 0; !rc && s < o->n_specs; s++) {
		struct tarn_array *a;
		rc = tarn_array_new(&op->schema->fields[o->nc + s].type, m, &a);
		if (!rc)
			rc = ex_batch_hold_array(b, a);
		if (!rc)
			rc = ex_array_gather(a, o->res[s], NULL, o->row_off, m);
		if (!rc && a->validity)
			a->null_count = -1;
		b->cols[o->nc + s] = a;
	}
	b->n_rows = b->n_sel = m;
	entry_free(e, o->n_in);
	o->pos++;
	o->row_off += m;
	if (rc) {
		ex_batch_free(b);
		return tarn_err_nomem(err, "window");
	}
	*out = b;
	return TARN_OK;
}

static void spec_exprs_free(struct ex_win_spec *s)
{
	ex_expr_free(s->arg);
	ex_expr_free(s->arg2);
	ex_expr_free(s->arg3);
	ex_expr_free(s->filter);
	ex_expr_free(s->frame.range_key);
	ex_expr_free(s->frame.start_val);
	ex_expr_free(s->frame.end_val);
	for (int k = 0; s->order && k < s->n_order; k++)
		ex_expr_free(s->order[k].expr);
	tarn_free(s->order);
	memset(s, 0, sizeof *s);
}

static void win_free(struct ex_op *op)
{
	struct win_op *o = (struct win_op *)op;
	for (int k = 0; o->in && k < o->n_in; k++)
		ex_expr_free(o->in[k]);
	tarn_free(o->in);
	for (int s = 0; o->specs && s < o->n_specs; s++)
		spec_exprs_free(&o->specs[s]);
	tarn_free(o->specs);
	tarn_free(o->slot);
	tarn_free(o->wq);
	tarn_free(o->oslot);
	tarn_free(o->desc);
	tarn_free(o->nulls_first);
	for (int64_t i = 0; i < o->total.n; i++)
		entry_free(&o->total.v[i], o->n_in);
	tarn_free(o->total.v);
	for (int k = 0; o->full && k < o->n_in; k++)
		tarn_array_free(o->full[k]);
	tarn_free(o->full);
	for (int s = 0; o->res && s < o->n_specs; s++)
		tarn_array_free(o->res[s]);
	tarn_free(o->res);
	tarn_free(o);
}

static const struct ex_op_vt win_vt = {
	.name = "window",
	.next = win_next,
	.sink_new = part_new,
	.sink_free = part_free,
	.sink = win_sink,
	.merge = win_merge,
	.finish = win_finish,
	.free = win_free,
};

/* ---- construction --------------------------------------------------------------------------- */

tarn_rc ex_win_type(const struct ex_win_spec *s, struct tarn_type *out, struct tarn_err *err)
{
	switch (s->fn) {
	case EX_WIN_ROW_NUMBER:
	case EX_WIN_RANK:
	case EX_WIN_DENSE_RANK:
	case EX_WIN_NTILE: tarn_type_init(out, TARN_T_INT64); return TARN_OK;
	case EX_WIN_PERCENT_RANK:
	case EX_WIN_CUME_DIST: tarn_type_init(out, TARN_T_FLOAT64); return TARN_OK;
	case EX_WIN_STRING_AGG: tarn_type_init(out, TARN_T_STRING); return TARN_OK;
	case EX_WIN_AGG: {
		const struct wagg_vt *vt = wagg_find(s->agg);
		if (!vt)
			return tarn_err_set(err, TARN_EUNSUPPORTED,
					    "%s() is not supported as a window function yet",
					    ex_agg_name(s->agg));
		if (s->agg >= EX_AGG_CORR && s->agg <= EX_AGG_REGR_R2 && s->arg2)
			TRY(ex_agg_type(s->agg, &s->arg2->type, out, err));
		if ((vt->holo || s->distinct) && s->agg != EX_AGG_LIST && s->arg &&
		    (!ex_type_is_scalar(s->arg->type.id) || s->arg->type.id == TARN_T_NULL))
			return tarn_err_set(err, TARN_EUNSUPPORTED,
					    "%s() OVER (...) of a %s value is not supported",
					    ex_agg_name(s->agg), tarn_type_id_name(s->arg->type.id));
		if (s->distinct && s->agg != EX_AGG_COUNT && s->arg &&
		    (s->arg->type.id == TARN_T_FLOAT32 || s->arg->type.id == TARN_T_FLOAT64))
			return tarn_err_set(err, TARN_EUNSUPPORTED,
					    "%s(DISTINCT) OVER (...) of floating-point values is not "
					    "supported yet",
					    ex_agg_name(s->agg));
		return ex_agg_type(s->agg, s->arg ? &s->arg->type : NULL, out, err);
	}
	default: return tarn_type_copy(out, &s->arg->type);
	}
}

static tarn_rc add_input(struct win_op *o, struct ex_expr **e, int *slot)
{
	if (!*e) {
		*slot = -1;
		return TARN_OK;
	}
	ex_expr_prepare(*e);
	o->in[o->n_in] = *e;
	*e = NULL;
	*slot = o->n_in++;
	return TARN_OK;
}

tarn_rc ex_op_window(struct ex_op *child, struct ex_expr **part, int n_part,
		     struct ex_sort_key *order, int n_order, struct ex_win_spec *specs, int n_specs,
		     struct ex_op **out, struct tarn_err *err)
{
	*out = NULL;
	tarn_rc rc = TARN_OK;
	struct win_op *o = tarn_calloc(1, sizeof *o);
	int cap_in = n_part + n_order + n_specs * IN__N + 1;
	for (int s = 0; s < n_specs; s++)
		cap_in += specs[s].n_order;
	struct tarn_type *types = tarn_calloc((size_t)n_specs + 1, sizeof *types);
	int n_types = 0;
	struct ex_sort_key *sk = tarn_calloc((size_t)(n_part + n_order) + 1, sizeof *sk);
	if (o) {
		o->base.vt = &win_vt;
		o->in = tarn_calloc((size_t)cap_in, sizeof *o->in);
		o->specs = tarn_calloc((size_t)n_specs + 1, sizeof *o->specs);
		o->slot = tarn_calloc((size_t)n_specs * IN__N + 1, sizeof *o->slot);
		o->wq = tarn_calloc((size_t)n_specs + 1, sizeof *o->wq);
		o->oslot = tarn_calloc((size_t)n_specs + 1, sizeof *o->oslot);
		o->desc = tarn_calloc((size_t)n_order + 1, sizeof *o->desc);
		o->nulls_first = tarn_calloc((size_t)n_order + 1, sizeof *o->nulls_first);
	}
	if (!o || !o->in || !o->specs || !o->slot || !o->wq || !o->oslot || !o->desc || !o->nulls_first || !types || !sk) {
		rc = tarn_err_nomem(err, "window");
		goto fail;
	}
	o->nc = child->schema->n_fields;
	o->n_part = n_part;
	o->n_order = n_order;
	o->n_specs = n_specs;
	/* result types first (the specs' expressions are still in place) */
	for (; n_types < n_specs; n_types++)
		if ((rc = ex_win_type(&specs[n_types], &types[n_types], err)))
			goto fail;
	/* the sort below: copies of the keys */
	int nsk = 0;
	for (int k = 0; !rc && k < n_part; k++) {
		rc = ex_expr_copy(part[k], &sk[nsk].expr);
		sk[nsk].desc = false;
		sk[nsk++].nulls_first = false;
	}
	for (int k = 0; !rc && k < n_order; k++) {
		rc = ex_expr_copy(order[k].expr, &sk[nsk].expr);
		sk[nsk].desc = order[k].desc;
		sk[nsk++].nulls_first = order[k].nulls_first;
		o->desc[k] = order[k].desc;
		o->nulls_first[k] = order[k].nulls_first;
	}
	if (rc) {
		rc = tarn_err_nomem(err, "window");
		for (int k = 0; k < nsk; k++)
			ex_expr_free(sk[k].expr);
		goto fail;
	}
	if (nsk) {
		struct ex_op *sorted;
		rc = ex_op_sort(child, sk, nsk, -1, &sorted, err);
		child = NULL;
		if (rc)
			goto fail;
		child = sorted;
	}
	o->base.child[0] = child;
	child = NULL;
	int dummy;
	for (int k = 0; k < n_part; k++)
		(void)add_input(o, &part[k], &dummy);
	for (int k = 0; k < n_order; k++)
		(void)add_input(o, &order[k].expr, &dummy);
	for (int s = 0; s < n_specs; s++) {
		struct ex_win_spec *sp = &specs[s];
		int *sl = &o->slot[s * IN__N];
		if (sp->fn == EX_WIN_AGG && sp->agg == EX_AGG_MEDIAN) {
			o->wq[s] = (struct wq){ 0.5, 1, 2 };
		} else if (sp->fn == EX_WIN_AGG &&
			   (sp->agg == EX_AGG_QUANTILE_CONT || sp->agg == EX_AGG_QUANTILE_DISC)) {
			/* the binder checked the constant fraction */
			if (sp->arg3 && ex_expr_is_const(sp->arg3))
				ex_agg_quantile_frac(sp->arg3->value, 0, &o->wq[s].q, &o->wq[s].num,
						     &o->wq[s].den);
			ex_expr_free(sp->arg3);
			sp->arg3 = NULL;
		}
		(void)add_input(o, &sp->arg, &sl[IN_ARG]);
		(void)add_input(o, &sp->arg2, &sl[IN_ARG2]);
		(void)add_input(o, &sp->arg3, &sl[IN_ARG3]);
		(void)add_input(o, &sp->filter, &sl[IN_FILTER]);
		(void)add_input(o, &sp->frame.range_key, &sl[IN_RKEY]);
		(void)add_input(o, &sp->frame.start_val, &sl[IN_SVAL]);
		(void)add_input(o, &sp->frame.end_val, &sl[IN_EVAL]);
		o->oslot[s] = o->n_in;
		for (int k = 0; k < sp->n_order; k++)
			(void)add_input(o, &sp->order[k].expr, &dummy);
		o->specs[s] = *sp;
		sp->order = NULL; /* now o's */
		sp->n_order = 0;
	}
	/* output schema: the child's columns, then the functions' */
	int nf = o->nc + n_specs;
	const char **names = tarn_calloc((size_t)nf + 1, sizeof *names);
	const struct tarn_type **tp = tarn_calloc((size_t)nf + 1, sizeof *tp);
	if (!names || !tp) {
		tarn_free(names);
		tarn_free(tp);
		rc = tarn_err_nomem(err, "window");
		goto fail;
	}
	const struct tarn_schema *cs = o->base.child[0]->schema;
	for (int i = 0; i < o->nc; i++) {
		names[i] = cs->fields[i].name;
		tp[i] = &cs->fields[i].type;
	}
	for (int s = 0; s < n_specs; s++) {
		names[o->nc + s] = specs[s].name;
		tp[o->nc + s] = &types[s];
	}
	rc = ex_schema_make(nf, names, tp, &o->base.schema);
	tarn_free(names);
	tarn_free(tp);
	if (rc) {
		rc = tarn_err_nomem(err, "window");
		goto fail;
	}
	for (int s = 0; s < n_types; s++)
		tarn_type_clear(&types[s]);
	tarn_free(types);
	tarn_free(sk);
	*out = &o->base;
	return TARN_OK;
fail:
	for (int s = 0; types && s < n_types; s++)
		tarn_type_clear(&types[s]);
	tarn_free(types);
	tarn_free(sk);
	ex_op_free(child);
	for (int k = 0; k < n_part; k++)
		ex_expr_free(part[k]);
	for (int k = 0; k < n_order; k++)
		ex_expr_free(order[k].expr);
	for (int s = 0; s < n_specs; s++)
		spec_exprs_free(&specs[s]);
	if (o)
		ex_op_free(&o->base);
	return rc;
}
