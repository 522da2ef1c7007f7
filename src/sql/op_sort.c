/*
 * op_sort.c — ORDER BY: a full sort, or top-N (ORDER BY ... LIMIT n).
 *
 * Rows are compared through normalized keys: per row, each sort key is
 * encoded into bytes whose memcmp order is the key's SQL order — a null
 * indicator (0 = NULLS FIRST null, 1 = value, 2 = NULLS LAST null), then
 * the value big-endian with the sign bit flipped (integers, dates, times,
 * decimals), IEEE bits made monotone (floats: -0 = 0, NaN greatest), or a
 * string's first 16 bytes plus min(length, 17); DESC keys invert their
 * value bytes. Last comes the row's ordinal (morsel number << 32 | row in
 * the morsel), which makes every key unique, so the result is the stable
 * order whatever the thread count. Two strings that agree on 16 bytes and
 * are both longer are compared in full.
 *
 * Tasks evaluate the keys and compact their morsel into a run (top-N: only
 * the morsel's best n rows, picked with a bounded heap); the driver
 * appends runs to the total in morsel order (top-N: cut back to n rows
 * whenever the total passes 2n); finish() sorts the total's row indexes
 * (merge sort) and next() gathers the rows in that order.
 *
 * Thread-safety: runs are per task; the total belongs to the driver.
 */
#include <string.h>

#include "base/mem.h"
#include "sql/exec.h"
#include "sql/expr_int.h"
#include "sql/expr_nested.h"

#define STR_PREFIX 16

struct seg {
	int off, len;
	bool str, desc;
};

struct sorter {
	int nk, L;          /* keys, bytes per normalized row */
	struct seg *seg;
	bool has_str;
	uint8_t *nk_buf;    /* n * L */
	/* string keys for full comparison: value row of normalized row r */
	const struct tarn_array **karr;
	const uint32_t *const *krow; /* per key: NULL = identity; zeros for constants */
};

struct run {
	struct tarn_array **cols, **keys;
	uint64_t *ord;
	int64_t n, cap;
};

struct sort_op {
	struct ex_op base;
	struct ex_sort_key *keys;
	int nk, nc;
	int64_t top_n;
	struct seg *seg;
	int L;
	bool has_str;
	struct run total;
	uint32_t *perm;     /* sorted row order after finish */
	int64_t n_out, pos;
};

struct sort_part {
	struct ex_eval **kev;
	struct ex_vec *kv;
	struct run run;
	uint8_t *nk;
	int64_t nk_cap;
	uint32_t *heap, *rows, *zeros;
	int64_t rows_cap;
};

/* ---- encoding ----------------------------------------------------------------------------------- */

static int key_len(const struct tarn_type *t)
{
	switch (t->id) {
	case TARN_T_STRING:
	case TARN_T_BINARY:
	case TARN_T_LIST:
	case TARN_T_STRUCT:
	case TARN_T_MAP: return STR_PREFIX + 1; /* nested: always compared in full */
	case TARN_T_FLOAT32:
	case TARN_T_FLOAT64: return 8;
	case TARN_T_BOOL:
	case TARN_T_NULL: return 1;
	default: return tarn_type_width(t->id);
	}
}

static inline void put_be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static inline void put_be(uint8_t *p, uint64_t v, int w)
{
	for (int i = w - 1; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static inline uint64_t f64_bits(double d)
{
	if (d == 0)
		d = 0; /* -0.0 sorts as 0.0 */
	uint64_t u;
	if (d != d)
		u = 0x7ff8000000000000ULL;
	else
		memcpy(&u, &d, 8);
	return (u >> 63) ? ~u : u | (1ULL << 63);
}

/* Encodes key k of rows[0..n) (value row rows[j]; constant: 0) into
 * out + j * L + off. */
static void encode_key(const struct ex_sort_key *sk, const struct seg *sg, int L,
		       const struct tarn_array *a, bool is_const, const uint32_t *rows, int64_t n,
		       uint8_t *out)
{
	enum tarn_type_id id = a->type->id;
	int vl = sg->len - 1;
	uint8_t null_byte = sk->nulls_first ? 0 : 2;
	for (int64_t j = 0; j < n; j++) {
		int64_t i = is_const ? 0 : rows ? rows[j] : j;
		uint8_t *p = out + j * L + sg->off;
		if (ex_is_null(a, i) || id == TARN_T_NULL) {
			p[0] = null_byte;
			memset(p + 1, 0, (size_t)vl);
			continue;
		}
		p[0] = 1;
		uint8_t *v = p + 1;
		switch (id) {
		case TARN_T_BOOL: v[0] = tarn_bit_get(a->values, i); break;
		case TARN_T_INT8:
		case TARN_T_INT16:
		case TARN_T_INT32:
		case TARN_T_INT64:
		case TARN_T_DATE32:
		case TARN_T_TIME64:
		case TARN_T_TIMESTAMP: {
			int w = tarn_type_width(id);
			uint64_t u = (uint64_t)tarn_array_get_int(a, i) ^ (1ULL << (w * 8 - 1));
			put_be(v, u, w);
			break;
		}
		case TARN_T_UINT8:
		case TARN_T_UINT16:
		case TARN_T_UINT32:
		case TARN_T_UINT64: put_be(v, tarn_array_get_uint(a, i), tarn_type_width(id)); break;
		case TARN_T_FLOAT32:
		case TARN_T_FLOAT64: put_be64(v, f64_bits(tarn_array_get_double(a, i))); break;
		case TARN_T_DECIMAL128:
		case TARN_T_INTERVAL: {
			tarn_i128 d = id == TARN_T_INTERVAL ? ex_interval_key(a->values + i * 16)
							    : ((const tarn_i128 *)a->values)[i];
			unsigned __int128 u = (unsigned __int128)d ^ ((unsigned __int128)1 << 127);
			put_be64(v, (uint64_t)(u >> 64));
			put_be64(v + 8, (uint64_t)u);
			break;
		}
		case TARN_T_STRING:
		case TARN_T_BINARY: {
			size_t len;
			const uint8_t *s = tarn_array_get_bytes(a, i, &len);
			size_t c = len < STR_PREFIX ? len : STR_PREFIX;
			memcpy(v, s, c);
			memset(v + c, 0, STR_PREFIX - c);
			v[STR_PREFIX] = (uint8_t)(len > STR_PREFIX ? STR_PREFIX + 1 : len);
			break;
		}
		case TARN_T_LIST:
		case TARN_T_STRUCT:
		case TARN_T_MAP: /* no prefix: a length byte that asks for the full comparison */
			memset(v, 0, (size_t)vl);
			v[STR_PREFIX] = STR_PREFIX + 1;
			break;
		default: memset(v, 0, (size_t)vl); break;
		}
		if (sg->desc)
			for (int b = 0; b < vl; b++)
				v[b] = (uint8_t)~v[b];
	}
}

static void encode_ord(const uint64_t *ord, int64_t n, int L, uint8_t *out)
{
	for (int64_t j = 0; j < n; j++)
		put_be64(out + j * L + L - 8, ord[j]);
}

static int cmp_rows(const struct sorter *s, uint32_t a, uint32_t b)
{
	const uint8_t *x = s->nk_buf + (size_t)a * s->L, *y = s->nk_buf + (size_t)b * s->L;
	if (!s->has_str)
		return memcmp(x, y, (size_t)s->L);
	for (int k = 0; k < s->nk; k++) {
		const struct seg *g = &s->seg[k];
		int c = memcmp(x + g->off, y + g->off, (size_t)g->len);
		if (c)
			return c;
		if (!g->str || x[g->off] != 1)
			continue;
		uint8_t lx = x[g->off + g->len - 1], want = STR_PREFIX + 1;
		if (g->desc)
			lx = (uint8_t)~lx;
		if (lx != want)
			continue;
		/* both longer than the prefix (the length bytes agree): compare in full */
		const struct tarn_array *arr = s->karr[k];
		int64_t ra = s->krow[k] ? s->krow[k][a] : a, rb = s->krow[k] ? s->krow[k][b] : b;
		c = tarn_type_is_nested(arr->type->id) ? ex_nested_value_cmp(arr, ra, arr, rb)
							: ex_value_cmp(arr, ra, arr, rb);
		if (c)
			return g->desc ? -c : c;
	}
	return memcmp(x + s->L - 8, y + s->L - 8, 8);
}

/* Stable bottom-up merge sort of idx[0..n) (keys are unique anyway). */
static tarn_rc sort_idx(const struct sorter *s, uint32_t *idx, int64_t n)
{
	if (n < 2)
		return TARN_OK;
	/* insertion sort small blocks, then merge */
	const int64_t B = 16;
	for (int64_t lo = 0; lo < n; lo += B) {
		int64_t hi = lo + B < n ? lo + B : n;
		for (int64_t i = lo + 1; i < hi; i++) {
			uint32_t v = idx[i];
			int64_t j = i;
			while (j > lo && cmp_rows(s, idx[j - 1], v) > 0) {
				idx[j] = idx[j - 1];
				j--;
			}
			idx[j] = v;
		}
	}
	if (n <= B)
		return TARN_OK;
	uint32_t *tmp = tarn_malloc((size_t)n * sizeof *tmp);
	if (!tmp)
		return TARN_ENOMEM;
	uint32_t *src = idx, *dst = tmp;
	for (int64_t w = B; w < n; w *= 2) {
		for (int64_t lo = 0; lo < n; lo += 2 * w) {
			int64_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
			int64_t i = lo, j = mid, k = lo;
			while (i < mid && j < hi)
				dst[k++] = cmp_rows(s, src[j], src[i]) < 0 ? src[j++] : src[i++];
			while (i < mid)
				dst[k++] = src[i++];
			while (j < hi)
				dst[k++] = src[j++];
		}
		uint32_t *t = src;
		src = dst;
		dst = t;
	}
	if (src != idx)
		memcpy(idx, src, (size_t)n * sizeof *idx);
	tarn_free(tmp);
	return TARN_OK;
}

/* ---- runs ------------------------------------------------------------------------------------- */

static void run_free(struct run *r, int nc, int nk)
{
	for (int c = 0; r->cols && c < nc; c++)
		tarn_array_free(r->cols[c]);
	for (int k = 0; r->keys && k < nk; k++)
		tarn_array_free(r->keys[k]);
	tarn_free(r->cols);
	tarn_free(r->keys);
	tarn_free(r->ord);
	memset(r, 0, sizeof *r);
}

static tarn_rc run_init(struct run *r, const struct sort_op *o)
{
	memset(r, 0, sizeof *r);
	r->cols = tarn_calloc((size_t)(o->nc ? o->nc : 1), sizeof *r->cols);
	r->keys = tarn_calloc((size_t)(o->nk ? o->nk : 1), sizeof *r->keys);
	if (!r->cols || !r->keys)
		return TARN_ENOMEM;
	for (int c = 0; c < o->nc; c++)
		TRY(tarn_array_new(&o->base.schema->fields[c].type, 0, &r->cols[c]));
	for (int k = 0; k < o->nk; k++)
		TRY(tarn_array_new(&o->keys[k].expr->type, 0, &r->keys[k]));
	return TARN_OK;
}

static void run_reset(struct run *r, int nc, int nk)
{
	for (int c = 0; c < nc; c++)
		tarn_array_reset(r->cols[c]);
	for (int k = 0; k < nk; k++)
		tarn_array_reset(r->keys[k]);
	r->n = 0;
}

static tarn_rc ord_room(struct run *r, int64_t need)
{
	if (need <= r->cap)
		return TARN_OK;
	int64_t cap = r->cap ? r->cap : 1024;
	while (cap < need)
		cap *= 2;
	uint64_t *o = tarn_realloc(r->ord, (size_t)cap * sizeof *o);
	if (!o)
		return TARN_ENOMEM;
	r->ord = o;
	r->cap = cap;
	return TARN_OK;
}

/* Appends rows idx[0..n) (NULL = first..first+n) of the given columns/keys. */
static tarn_rc run_append(struct run *r, int nc, int nk, struct tarn_array *const *cols,
			  const struct ex_vec *keys, const uint32_t *idx, int64_t first, int64_t n,
			  const uint64_t *ord)
{
	TRY(ord_room(r, r->n + n));
	for (int c = 0; c < nc; c++) {
		TRY(ex_array_gather(r->cols[c], cols[c], idx, first, n));
		if (r->cols[c]->validity)
			r->cols[c]->null_count = -1;
	}
	for (int k = 0; k < nk; k++) {
		if (keys[k].is_const)
			TRY(ex_array_repeat(r->keys[k], keys[k].a, 0, n));
		else
			TRY(ex_array_gather(r->keys[k], keys[k].a, idx, first, n));
		if (r->keys[k]->validity)
			r->keys[k]->null_count = -1;
	}
	if (n > 0)
		memcpy(r->ord + r->n, ord, (size_t)n * sizeof *ord);
	r->n += n;
	return TARN_OK;
}

static int64_t run_bytes(const struct run *r, int nc, int nk)
{
	int64_t b = r->cap * 8;
	for (int c = 0; c < nc; c++)
		b += ex_array_bytes(r->cols[c]);
	for (int k = 0; k < nk; k++)
		b += ex_array_bytes(r->keys[k]);
	return b;
}

/* Normalized keys of all rows of run r into buf (n * L bytes). */
static void encode_run(const struct sort_op *o, const struct run *r, uint8_t *buf)
{
	for (int k = 0; k < o->nk; k++)
		encode_key(&o->keys[k], &o->seg[k], o->L, r->keys[k], false, NULL, r->n, buf);
	encode_ord(r->ord, r->n, o->L, buf);
}

static struct sorter run_sorter(const struct sort_op *o, const struct run *r, uint8_t *buf,
				const struct tarn_array **karr, const uint32_t **krow)
{
	for (int k = 0; k < o->nk; k++) {
		karr[k] = r->keys[k];
		krow[k] = NULL;
	}
	return (struct sorter){ o->nk, o->L, o->seg, o->has_str, buf, karr, krow };
}

/* ---- the operator ------------------------------------------------------------------------------ */

static void part_free(struct ex_op *op, void *ptr)
{
	struct sort_op *o = (struct sort_op *)op;
	struct sort_part *p = ptr;
	if (!p)
		return;
	for (int k = 0; p->kev && k < o->nk; k++)
		ex_eval_free(p->kev[k]);
	tarn_free(p->kev);
	tarn_free(p->kv);
	run_free(&p->run, o->nc, o->nk);
	tarn_free(p->nk);
	tarn_free(p->heap);
	tarn_free(p->rows);
	tarn_free(p->zeros);
	tarn_free(p);
}

static tarn_rc part_new(struct ex_op *op, void **out)
{
	struct sort_op *o = (struct sort_op *)op;
	struct sort_part *p = tarn_calloc(1, sizeof *p);
	if (!p)
		return TARN_ENOMEM;
	p->kev = tarn_calloc((size_t)(o->nk ? o->nk : 1), sizeof *p->kev);
	p->kv = tarn_calloc((size_t)(o->nk ? o->nk : 1), sizeof *p->kv);
	tarn_rc rc = !p->kev || !p->kv ? TARN_ENOMEM : run_init(&p->run, o);
	for (int k = 0; !rc && k < o->nk; k++)
		rc = ex_eval_new(o->keys[k].expr, &p->kev[k]);
	if (rc) {
		part_free(op, p);
		return rc;
	}
	*out = p;
	return TARN_OK;
}

static tarn_rc part_room(struct sort_part *p, const struct sort_op *o, int64_t n)
{
	if (n > p->rows_cap) {
		int64_t cap = n < 1024 ? 1024 : n;
		tarn_free(p->heap);
		tarn_free(p->rows);
		tarn_free(p->zeros);
		p->heap = tarn_malloc((size_t)cap * sizeof *p->heap);
		p->rows = tarn_malloc((size_t)cap * sizeof *p->rows);
		p->zeros = tarn_calloc((size_t)cap, sizeof *p->zeros);
		if (!p->heap || !p->rows || !p->zeros)
			return TARN_ENOMEM;
		p->rows_cap = cap;
	}
	if (n * o->L > p->nk_cap) {
		tarn_free(p->nk);
		p->nk = tarn_malloc((size_t)(n * o->L));
		if (!p->nk)
			return TARN_ENOMEM;
		p->nk_cap = n * o->L;
	}
	return TARN_OK;
}

/* Max-heap on normalized rows (the worst of the best n at the top). */
static void heap_down(const struct sorter *s, uint32_t *h, int64_t n, int64_t i)
{
	for (;;) {
		int64_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < n && cmp_rows(s, h[l], h[m]) > 0)
			m = l;
		if (r < n && cmp_rows(s, h[r], h[m]) > 0)
			m = r;
		if (m == i)
			return;
		uint32_t t = h[i];
		h[i] = h[m];
		h[m] = t;
		i = m;
	}
}

static tarn_rc sort_sink(struct ex_op *op, void *ptr, struct ex_batch *in, struct tarn_err *err)
{
	struct sort_op *o = (struct sort_op *)op;
	struct sort_part *p = ptr;
	tarn_rc rc = TARN_OK;
	int64_t n = in->n_sel;
	if (part_room(p, o, n)) {
		rc = tarn_err_nomem(err, "sort");
		goto out;
	}
	for (int k = 0; k < o->nk; k++)
		if ((rc = ex_eval_run(p->kev[k], o->keys[k].expr, in, in->sel, n, &p->kv[k], err)))
			goto out;
	/* ordinals: morsel << 32 | row */
	uint64_t *ordbuf = tarn_malloc((size_t)(n ? n : 1) * sizeof *ordbuf);
	if (!ordbuf) {
		rc = tarn_err_nomem(err, "sort");
		goto out;
	}
	for (int64_t k = 0; k < n; k++)
		ordbuf[k] = ((uint64_t)in->seq << 32) | (in->sel ? in->sel[k] : (uint32_t)k);
	const uint32_t *keep = in->sel;
	int64_t n_keep = n;
	if (o->top_n >= 0 && n > o->top_n) {
		/* the best top_n rows of this morsel */
		for (int64_t k = 0; k < n; k++)
			p->rows[k] = in->sel ? in->sel[k] : (uint32_t)k;
		const struct tarn_array *karr[64];
		const uint32_t *krow[64];
		for (int k = 0; k < o->nk; k++) {
			encode_key(&o->keys[k], &o->seg[k], o->L, p->kv[k].a, p->kv[k].is_const, p->rows,
				   n, p->nk);
			karr[k] = p->kv[k].a;
			krow[k] = p->kv[k].is_const ? p->zeros : p->rows;
		}
		encode_ord(ordbuf, n, o->L, p->nk);
		struct sorter s = { o->nk, o->L, o->seg, o->has_str, p->nk, karr, krow };
		int64_t hn = 0, cap = o->top_n;
		for (int64_t k = 0; k < n && cap > 0; k++) {
			if (hn < cap) {
				p->heap[hn++] = (uint32_t)k;
				if (hn == cap)
					for (int64_t i = hn / 2 - 1; i >= 0; i--)
						heap_down(&s, p->heap, hn, i);
			} else if (cmp_rows(&s, (uint32_t)k, p->heap[0]) < 0) {
				p->heap[0] = (uint32_t)k;
				heap_down(&s, p->heap, hn, 0);
			}
		}
		/* keep them in input order (the ordinals stay right) */
		uint8_t *mark = tarn_calloc((size_t)(n ? n : 1), 1);
		if (!mark) {
			tarn_free(ordbuf);
			rc = tarn_err_nomem(err, "sort");
			goto out;
		}
		for (int64_t i = 0; i < hn; i++)
			mark[p->heap[i]] = 1;
		int64_t m = 0;
		for (int64_t k = 0; k < n; k++)
			if (mark[k]) {
				p->heap[m] = p->rows[k];
				ordbuf[m++] = ordbuf[k];
			}
		tarn_free(mark);
		keep = p->heap; /* rows of the batch, as the keys were evaluated */
		n_keep = m;
	}
	/* keep NULL (no selection, no cut) gathers rows 0..n */
	rc = run_append(&p->run, o->nc, o->nk, in->cols, p->kv, keep, 0, n_keep, ordbuf);
	tarn_free(ordbuf);
	if (rc)
		rc = rc == TARN_ENOMEM ? tarn_err_nomem(err, "sort") : tarn_err_set(err, rc, "sort: run too large");
out:
	ex_batch_free(in);
	return rc;
}

/* Keeps the best top_n rows of the total (in sorted order). */
static tarn_rc total_cut(struct sort_op *o, struct tarn_err *err)
{
	struct run *t = &o->total;
	uint8_t *buf = tarn_malloc((size_t)(t->n * o->L));
	uint32_t *idx = tarn_malloc((size_t)t->n * sizeof *idx);
	struct run nr = { 0 };
	tarn_rc rc = !buf || !idx ? TARN_ENOMEM : run_init(&nr, o);
	if (!rc) {
		encode_run(o, t, buf);
		const struct tarn_array *karr[64];
		const uint32_t *krow[64];
		struct sorter s = run_sorter(o, t, buf, karr, krow);
		for (int64_t i = 0; i < t->n; i++)
			idx[i] = (uint32_t)i;
		rc = sort_idx(&s, idx, t->n);
	}
	int64_t keep = t->n < o->top_n ? t->n : o->top_n;
	if (!rc) {
		struct ex_vec kv[64];
		for (int k = 0; k < o->nk; k++)
			kv[k] = (struct ex_vec){ t->keys[k], false };
		uint64_t *ord = tarn_malloc((size_t)(keep ? keep : 1) * sizeof *ord);
		if (!ord) {
			rc = TARN_ENOMEM;
		} else {
			for (int64_t i = 0; i < keep; i++)
				ord[i] = t->ord[idx[i]];
			rc = run_append(&nr, o->nc, o->nk, t->cols, kv, idx, 0, keep, ord);
			tarn_free(ord);
		}
	}
	tarn_free(buf);
	tarn_free(idx);
	if (rc) {
		if (nr.cols)
			run_free(&nr, o->nc, o->nk);
		return rc == TARN_ENOMEM ? tarn_err_nomem(err, "sort") : rc;
	}
	run_free(t, o->nc, o->nk);
	*t = nr;
	return TARN_OK;
}

static tarn_rc sort_merge(struct ex_op *op, void *ptr, struct tarn_err *err)
{
	struct sort_op *o = (struct sort_op *)op;
	struct sort_part *p = ptr;
	struct run *r = &p->run;
	if (r->n == 0)
		return TARN_OK;
	struct ex_vec kv[64];
	for (int k = 0; k < o->nk; k++)
		kv[k] = (struct ex_vec){ r->keys[k], false };
	tarn_rc rc = run_append(&o->total, o->nc, o->nk, r->cols, kv, NULL, 0, r->n, r->ord);
	run_reset(r, o->nc, o->nk);
	if (rc)
		return rc == TARN_ENOMEM ? tarn_err_nomem(err, "sort")
					 : tarn_err_set(err, rc, "sort: input too large");
	if (o->top_n >= 0 && o->total.n > 2 * o->top_n && o->total.n > 1024)
		TRY(total_cut(o, err));
	int64_t now = run_bytes(&o->total, o->nc, o->nk);
	if (now > op->mem_held) {
		TRY(ex_mem_reserve(op->q, o->top_n >= 0 ? "top-N sort" : "sort", now - op->mem_held,
				   err));
		op->mem_held = now;
	}
	return TARN_OK;
}

static tarn_rc sort_finish(struct ex_op *op, struct tarn_err *err)
{
	struct sort_op *o = (struct sort_op *)op;
	struct run *t = &o->total;
	if (t->n > UINT32_MAX)
		return tarn_err_set(err, TARN_ELIMIT, "sort: more than 4294967295 rows");
	int64_t extra = t->n * (o->L + 8);
	TRY(ex_mem_reserve(op->q, "sort", extra, err));
	uint8_t *buf = tarn_malloc((size_t)(t->n * o->L > 0 ? t->n * o->L : 1));
	o->perm = tarn_malloc((size_t)(t->n > 0 ? t->n : 1) * sizeof *o->perm);
	tarn_rc rc = !buf || !o->perm ? TARN_ENOMEM : TARN_OK;
	if (!rc) {
		encode_run(o, t, buf);
		const struct tarn_array *karr[64];
		const uint32_t *krow[64];
		struct sorter s = run_sorter(o, t, buf, karr, krow);
		for (int64_t i = 0; i < t->n; i++)
			o->perm[i] = (uint32_t)i;
		rc = sort_idx(&s, o->perm, t->n);
	}
	tarn_free(buf);
	ex_mem_release(op->q, t->n * o->L);
	op->mem_held += t->n * 8;
	if (rc)
		return tarn_err_nomem(err, "sort");
	o->n_out = o->top_n >= 0 && o->top_n < t->n ? o->top_n : t->n;
	o->pos = 0;
	return TARN_OK;
}

static tarn_rc sort_next(struct ex_op *op, struct ex_batch **out, struct tarn_err *err)
{
	struct sort_op *o = (struct sort_op *)op;
	*out = NULL;
	if (o->pos >= o->n_out)
		return TARN_OK;
	int64_t m = o->n_out - o->pos;
	if (m > EX_BATCH_MAX)
		m = EX_BATCH_MAX;
	struct ex_batch *b;
	if (ex_batch_new(o->nc, &b))
		return tarn_err_nomem(err, "sort");
	for (int c = 0; c < o->nc; c++) {
		struct tarn_array *a;
		tarn_rc rc = tarn_array_new(&op->schema->fields[c].type, m, &a);
		if (!rc)
			rc = ex_batch_hold_array(b, a);
		if (!rc)
			rc = ex_array_gather(a, o->total.cols[c], o->perm + o->pos, 0, m);
		if (rc) {
			ex_batch_free(b);
			return tarn_err_nomem(err, "sort");
		}
		if (a->validity)
			a->null_count = -1;
		b->cols[c] = a;
	}
	b->n_rows = b->n_sel = m;
	o->pos += m;
	*out = b;
	return TARN_OK;
}

static void sort_free(struct ex_op *op)
{
	struct sort_op *o = (struct sort_op *)op;
	for (int k = 0; o->keys && k < o->nk; k++)
		ex_expr_free(o->keys[k].expr);
	tarn_free(o->keys);
	tarn_free(o->seg);
	if (o->total.cols)
		run_free(&o->total, o->nc, o->nk);
	tarn_free(o->perm);
	tarn_free(o);
}

static tarn_rc sort_describe(const struct ex_op *op, struct tarn_buf *out)
{
	const struct sort_op *o = (const struct sort_op *)op;
	if (o->top_n >= 0)
		TRY(tarn_buf_printf(out, "top %lld by ", (long long)o->top_n));
	for (int i = 0; i < o->nk; i++) {
		TRY(tarn_buf_printf(out, "%s", i ? ", " : ""));
		TRY(ex_expr_describe(o->keys[i].expr, op->child[0]->schema, out));
		TRY(tarn_buf_printf(out, "%s%s", o->keys[i].desc ? " DESC" : "",
				    o->keys[i].nulls_first ? " NULLS FIRST" : ""));
	}
	return TARN_OK;
}

static const struct ex_op_vt sort_vt = {
	.name = "sort",
	.next = sort_next,
	.sink_new = part_new,
	.sink_free = part_free,
	.sink = sort_sink,
	.merge = sort_merge,
	.finish = sort_finish,
	.free = sort_free,
	.describe = sort_describe,
};

tarn_rc ex_op_sort(struct ex_op *child, struct ex_sort_key *keys, int n, int64_t top_n,
		   struct ex_op **out, struct tarn_err *err)
{
	*out = NULL;
	struct sort_op *o = tarn_calloc(1, sizeof *o);
	if (o) {
		o->keys = tarn_calloc((size_t)(n ? n : 1), sizeof *o->keys);
		o->seg = tarn_calloc((size_t)(n ? n : 1), sizeof *o->seg);
	}
	if (!o || !o->keys || !o->seg) {
		if (o) {
			tarn_free(o->keys);
			tarn_free(o->seg);
			tarn_free(o);
		}
		ex_op_free(child);
		for (int k = 0; k < n; k++)
			ex_expr_free(keys[k].expr);
		return tarn_err_nomem(err, "sort");
	}
	o->base.vt = &sort_vt;
	o->base.child[0] = child;
	o->nk = n;
	o->nc = child->schema->n_fields;
	o->top_n = top_n;
	int off = 0;
	tarn_rc rc = TARN_OK;
	for (int k = 0; k < n; k++) {
		o->keys[k] = keys[k];
		ex_expr_prepare(keys[k].expr);
		const struct tarn_type *t = &keys[k].expr->type;
		o->seg[k] = (struct seg){ off, 1 + key_len(t),
					  t->id == TARN_T_STRING || t->id == TARN_T_BINARY ||
						  tarn_type_is_nested(t->id),
					  keys[k].desc };
		o->has_str |= o->seg[k].str;
		off += o->seg[k].len;
	}
	if (n > 64 && !rc)
		rc = tarn_err_set(err, TARN_EUNSUPPORTED, "ORDER BY more than 64 keys");
	o->L = off + 8;
	tarn_schema_ref(child->schema);
	o->base.schema = child->schema;
	if (!rc && run_init(&o->total, o))
		rc = tarn_err_nomem(err, "sort");
	if (rc) {
		ex_op_free(&o->base);
		return rc;
	}
	*out = &o->base;
	return TARN_OK;
}
