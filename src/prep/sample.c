/*
 * sample.c — tarn_sample: top-K, random and stratified row sampling, one
 * pass over a reader, rows written in input order.
 *
 * Relies on columnar/array.h (rows are copied with tarn_array_append_from
 * into "store" batches that hold the candidates, then into output batches)
 * and on the reader/writer structs of formats/format.h for the schema.
 * Thread-safety: one call per reader/writer pair; no shared state.
 *
 * Randomness: xoshiro256** seeded through splitmix64 from spec->seed, so a
 * given seed and input always give the same sample. Keys and draws are taken
 * in input order, so the result does not depend on batch boundaries except
 * where noted (Algorithm L skips, which depend only on row indexes).
 *
 * Methods
 *  1. topk, --n K: the first K rows. Whole input batches that fit are passed
 *     to the writer untouched; reading stops once K rows are out.
 *  2. random, --n K: reservoir sampling with Li's Algorithm L (1994): the
 *     first K rows fill the reservoir, then geometric skips pick the rows
 *     that replace a uniformly chosen slot, so rows that are skipped cost
 *     nothing and whole batches are skipped. Exactly min(K, rows) rows, each
 *     K-subset equally likely. Memory: K rows plus at most one store chunk
 *     and the same again in replaced rows before a compaction.
 *  3. random, --fraction F: exactly T = max(1, round(F * rows)) rows (0 for
 *     an empty input), a uniform T-subset: method 4 with a single class.
 *  4. stratified, --by COL: proportional allocation. Every row draws a
 *     64-bit key; class c's sample is its n_c rows with the smallest keys
 *     (bottom-k sampling: a uniform n_c-subset of the class). The n_c come
 *     from the final class counts M_c (total M): target T = min(n, M) for
 *     --n, max(1, round(F * M)) for --fraction; quotas q_c = T * M_c / M;
 *     largest-remainder (Hamilton) rounding, so sum n_c = T and each n_c is
 *     floor or ceil of q_c; then every class with n_c = 0 is raised to 1,
 *     taking one row each from the most over-allocated classes that have
 *     more than one. If T < number of classes every class gets one row, so
 *     the sample has one row per class (more than T).
 *
 *     One pass needs the rows with the smallest keys before the counts are
 *     known. A row is kept as a candidate while its key is below a per-class
 *     threshold tau_c that can only shrink as rows arrive, so nothing dropped
 *     is ever needed later (ScaSRS, Meng 2013): with p = F + 2/m_c (F = n/m
 *     for --n, m rows read so far, m_c of them in class c) and
 *     g = ln(1e12)/m_c, tau_c = min(1, p + g + sqrt(g^2 + 2gp)). By a
 *     Chernoff bound, at least p*M_c >= n_c keys of the class fall below the
 *     final tau_c except with probability 1e-12. The class's smallest key is
 *     always kept, so classes that get one row are exact. Candidates above
 *     the current thresholds are dropped when the candidate count doubles.
 *     At the end the sample is exact whenever the n_c-th smallest candidate
 *     key is below the smallest dropped key of its class; the (1e-12) case
 *     where it is not is reported as an error, never a biased sample.
 *     Memory: about T rows plus O(sqrt(T * classes)) spare candidates.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/mem.h"
#include "columnar/array.h"
#include "formats/format.h"
#include "tarn.h"

#define OUT_ROWS TARN_BATCH_ROWS  /* rows per output batch */
#define CHUNK_ROWS 16384          /* rows per candidate-store chunk */
#define MAX_CLASSES 100000        /* stratifying by an id column is a mistake */
#define LN_INV_EPS 27.631021115928547 /* ln(1e12): candidate-shortfall odds */

/* ---- random numbers ------------------------------------------------------- */

struct rng {
	uint64_t s[4];
};

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void rng_seed(struct rng *r, uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&seed);
}

static inline uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

/* xoshiro256** (Blackman and Vigna). */
static inline uint64_t rng_next(struct rng *r)
{
	uint64_t *s = r->s;
	uint64_t out = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return out;
}

/* Uniform in the open interval (0, 1): safe to take the log of. */
static double rng_open01(struct rng *r)
{
	return ((double)(rng_next(r) >> 11) + 0.5) * 0x1p-53;
}

/* Uniform in [0, n), n > 0, without modulo bias (Lemire). */
static uint64_t rng_below(struct rng *r, uint64_t n)
{
	unsigned __int128 m = (unsigned __int128)rng_next(r) * n;
	uint64_t lo = (uint64_t)m;
	if (lo < n) {
		uint64_t t = -n % n;
		while (lo < t) {
			m = (unsigned __int128)rng_next(r) * n;
			lo = (uint64_t)m;
		}
	}
	return (uint64_t)(m >> 64);
}

/* qsort, which must not be given a NULL base even for zero elements. */
static void sort_n(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
	if (n > 1)
		qsort(base, n, size, cmp);
}

/* ---- row copying ------------------------------------------------------------ */

static tarn_rc copy_failed(struct tarn_err *err, tarn_rc rc)
{
	if (rc == TARN_ENOMEM)
		return tarn_err_nomem(err, "sample rows");
	return tarn_err_set(err, rc, "sample: cannot copy a row: %s", tarn_rc_name(rc));
}

static tarn_rc copy_row(struct tarn_batch *dst, const struct tarn_batch *src, int64_t row,
			struct tarn_err *err)
{
	for (int c = 0; c < dst->n_cols; c++) {
		tarn_rc rc = tarn_array_append_from(dst->cols[c], src->cols[c], row);
		if (rc)
			return copy_failed(err, rc);
	}
	dst->n_rows++;
	return TARN_OK;
}

/* Output batches in input order. */
struct emitter {
	struct tarn_writer *w;
	struct tarn_schema *schema;
	struct tarn_batch *b;
	int64_t cap_hint;
	int64_t rows;
};

static tarn_rc emit_flush(struct emitter *e, struct tarn_err *err)
{
	if (!e->b)
		return TARN_OK;
	tarn_rc rc = tarn_batch_seal(e->b, err);
	if (rc == TARN_OK && e->b->n_rows > 0)
		rc = tarn_writer_write(e->w, e->b, err);
	tarn_batch_free(e->b);
	e->b = NULL;
	return rc;
}

static tarn_rc emit_row(struct emitter *e, const struct tarn_batch *src, int64_t row,
			struct tarn_err *err)
{
	if (!e->b) {
		int64_t hint = e->cap_hint < OUT_ROWS ? e->cap_hint : OUT_ROWS;
		tarn_rc rc = tarn_batch_new(e->schema, hint > 0 ? hint : 1, &e->b);
		if (rc)
			return copy_failed(err, rc);
	}
	TRY(copy_row(e->b, src, row, err));
	e->rows++;
	if (e->b->n_rows >= OUT_ROWS)
		return emit_flush(e, err);
	return TARN_OK;
}

/* Candidate rows, appended in chunks; a location is chunk * CHUNK_ROWS + row.
 * Replaced or dropped candidates stay until store_compact rebuilds it. */
struct store {
	struct tarn_schema *schema;
	struct tarn_batch **chunks;
	int n_chunks, cap_chunks;
	int64_t rows;
	int64_t hint; /* expected rows: sizes the first chunk */
};

static void store_free(struct store *s)
{
	for (int i = 0; i < s->n_chunks; i++)
		tarn_batch_free(s->chunks[i]);
	tarn_free(s->chunks);
	s->chunks = NULL;
	s->n_chunks = s->cap_chunks = 0;
	s->rows = 0;
}

static tarn_rc store_add(struct store *s, const struct tarn_batch *src, int64_t row, int64_t *loc,
			 struct tarn_err *err)
{
	struct tarn_batch *last = s->n_chunks ? s->chunks[s->n_chunks - 1] : NULL;
	if (!last || last->n_rows >= CHUNK_ROWS) {
		if (s->n_chunks == s->cap_chunks) {
			int cap = s->cap_chunks ? s->cap_chunks * 2 : 8;
			struct tarn_batch **c = tarn_realloc(s->chunks, (size_t)cap * sizeof *c);
			if (!c)
				return tarn_err_nomem(err, "sample store");
			s->chunks = c;
			s->cap_chunks = cap;
		}
		int64_t hint = s->hint < CHUNK_ROWS ? s->hint : CHUNK_ROWS;
		tarn_rc rc = tarn_batch_new(s->schema, hint > 0 ? hint : 1, &last);
		if (rc)
			return copy_failed(err, rc);
		s->chunks[s->n_chunks++] = last;
	}
	*loc = (int64_t)(s->n_chunks - 1) * CHUNK_ROWS + last->n_rows;
	TRY(copy_row(last, src, row, err));
	s->rows++;
	return TARN_OK;
}

static const struct tarn_batch *store_chunk(const struct store *s, int64_t loc, int64_t *row)
{
	*row = loc % CHUNK_ROWS;
	return s->chunks[loc / CHUNK_ROWS];
}

/* Copies the live rows (whose locations *locs[i] point at) into a fresh
 * store and updates the locations. */
static tarn_rc store_compact(struct store *s, int64_t *const *locs, int64_t n,
			     struct tarn_err *err)
{
	struct store fresh = { .schema = s->schema, .hint = n };
	for (int64_t i = 0; i < n; i++) {
		int64_t row;
		const struct tarn_batch *b = store_chunk(s, *locs[i], &row);
		tarn_rc rc = store_add(&fresh, b, row, locs[i], err);
		if (rc) {
			store_free(&fresh);
			return rc;
		}
	}
	store_free(s);
	*s = fresh;
	return TARN_OK;
}

/* ---- shared reading ---------------------------------------------------------------- */

struct run {
	struct tarn_reader *r;
	const struct tarn_sample_spec *spec;
	struct emitter out;
	struct store store;
	struct rng rng;
	int64_t rows_read;
};

static tarn_rc next_batch(struct run *x, struct tarn_batch **b, struct tarn_err *err)
{
	TRY(tarn_reader_next(x->r, b, err));
	if (*b) {
		x->rows_read += (*b)->n_rows;
		if (x->spec->progress)
			x->spec->progress(x->spec->progress_ctx, x->rows_read);
	}
	return TARN_OK;
}

/* ---- 1. top-K ----------------------------------------------------------------------- */

static tarn_rc sample_topk(struct run *x, struct tarn_err *err)
{
	int64_t left = x->spec->n;
	tarn_rc rc = TARN_OK;
	while (left > 0 && rc == TARN_OK) {
		struct tarn_batch *b;
		TRY(next_batch(x, &b, err));
		if (!b)
			break;
		if (b->n_rows <= left) {
			rc = tarn_writer_write(x->out.w, b, err);
			x->out.rows += b->n_rows;
			left -= b->n_rows;
		} else {
			for (int64_t i = 0; i < left && rc == TARN_OK; i++)
				rc = emit_row(&x->out, b, i, err);
			left = 0;
			if (rc == TARN_OK)
				rc = emit_flush(&x->out, err);
		}
		tarn_batch_free(b);
	}
	return rc;
}

/* ---- 2. reservoir (Algorithm L) ------------------------------------------------------ */

struct slot {
	int64_t row; /* index in the input */
	int64_t loc; /* in the store */
};

static int slot_by_row(const void *a, const void *b)
{
	int64_t x = ((const struct slot *)a)->row, y = ((const struct slot *)b)->row;
	return (x > y) - (x < y);
}

static int slot_by_loc(const void *a, const void *b)
{
	int64_t x = ((const struct slot *)a)->loc, y = ((const struct slot *)b)->loc;
	return (x > y) - (x < y);
}

/* Rows to skip before the next replacement: floor(ln u / ln(1 - W)). */
static int64_t l_skip(struct rng *r, double w)
{
	double s = floor(log(rng_open01(r)) / log1p(-w));
	return s >= 0x1p62 ? ((int64_t)1 << 62) : (int64_t)s;
}

static tarn_rc compact_slots(struct run *x, struct slot *slots, int64_t n, struct tarn_err *err)
{
	/* Copy in location order so the new store reads the old sequentially. */
	sort_n(slots, (size_t)n, sizeof *slots, slot_by_loc);
	int64_t **locs = tarn_malloc((size_t)(n ? n : 1) * sizeof *locs);
	if (!locs)
		return tarn_err_nomem(err, "sample");
	for (int64_t i = 0; i < n; i++)
		locs[i] = &slots[i].loc;
	tarn_rc rc = store_compact(&x->store, locs, n, err);
	tarn_free(locs);
	return rc;
}

static tarn_rc sample_reservoir(struct run *x, struct tarn_err *err)
{
	const int64_t k = x->spec->n;
	struct slot *slots = NULL;
	int64_t filled = 0, cap = 0, next = 0;
	double w = 0;
	tarn_rc rc = TARN_OK;
	struct tarn_batch *b = NULL;
	x->store.hint = k;
	while (k > 0) {
		TRY_OUT(next_batch(x, &b, err));
		if (!b)
			break;
		const int64_t base = x->rows_read - b->n_rows, nb = b->n_rows;
		int64_t i = 0;
		while (filled < k && i < nb) {
			if (filled == cap) {
				int64_t nc = cap ? cap * 2 : 1024;
				if (nc > k)
					nc = k;
				struct slot *s = tarn_realloc(slots, (size_t)nc * sizeof *s);
				if (!s) {
					rc = tarn_err_nomem(err, "sample reservoir");
					goto out;
				}
				slots = s;
				cap = nc;
			}
			slots[filled].row = base + i;
			TRY_OUT(store_add(&x->store, b, i, &slots[filled].loc, err));
			filled++;
			i++;
			if (filled == k) {
				w = exp(log(rng_open01(&x->rng)) / (double)k);
				next = base + i + l_skip(&x->rng, w);
			}
		}
		while (filled == k && next < base + nb) {
			struct slot *s = &slots[rng_below(&x->rng, (uint64_t)k)];
			s->row = next;
			TRY_OUT(store_add(&x->store, b, next - base, &s->loc, err));
			w *= exp(log(rng_open01(&x->rng)) / (double)k);
			int64_t skip = l_skip(&x->rng, w);
			next += 1 + skip; /* skip <= 2^62: no overflow */
		}
		tarn_batch_free(b);
		b = NULL;
		/* Replaced rows are garbage; rebuild once they outnumber the live. */
		if (x->store.rows - filled > filled + CHUNK_ROWS)
			TRY_OUT(compact_slots(x, slots, filled, err));
	}
	sort_n(slots, (size_t)filled, sizeof *slots, slot_by_row);
	x->out.cap_hint = filled;
	for (int64_t j = 0; j < filled; j++) {
		int64_t row;
		const struct tarn_batch *src = store_chunk(&x->store, slots[j].loc, &row);
		TRY_OUT(emit_row(&x->out, src, row, err));
	}
	rc = emit_flush(&x->out, err);
out:
	tarn_batch_free(b);
	tarn_free(slots);
	return rc;
}

/* ---- 3/4. bottom-k by class ----------------------------------------------------------- */

struct cls {
	int64_t count;        /* rows seen */
	int64_t want;         /* n_c, at the end */
	uint64_t tau;         /* keep keys below this (UINT64_MAX: keep all) */
	uint64_t min_key;     /* smallest key seen */
	int64_t min_row;      /* its row */
	uint64_t min_dropped; /* smallest key not kept (UINT64_MAX: none) */
	uint64_t hash;
	size_t key_off, key_len;
	bool is_null;
	double quota; /* target * count / total, at the end */
};

struct cand {
	uint64_t key;
	int64_t row, loc;
	int32_t cls;
};

struct strat {
	struct cls *cls;
	int n_cls, cap_cls;
	int32_t *table; /* open addressing: class ids, -1 empty */
	uint32_t table_cap;
	struct tarn_buf keys; /* class value bytes */
	struct cand *cand;
	int64_t n_cand, cap_cand, live_after_compact;
	int col; /* class column, -1 = one class (random --fraction) */
	const struct tarn_field *field;
};

static uint64_t hash_bytes(const uint8_t *p, size_t n, bool is_null)
{
	uint64_t h = is_null ? 0x51ed27c3a9b1f00dull : 0xcbf29ce484222325ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h ^ (h >> 29);
}

/* The bytes that identify row i's class. Floats are normalised so -0.0 and
 * 0.0, and all NaNs, are one class each. */
static const uint8_t *class_bytes(const struct tarn_array *a, int64_t i, uint8_t *tmp, size_t *n,
				  bool *is_null)
{
	*is_null = a->type->id == TARN_T_NULL || tarn_array_is_null(a, i);
	*n = 0;
	if (*is_null)
		return tmp;
	switch (a->type->id) {
	case TARN_T_STRING:
	case TARN_T_BINARY:
		return tarn_array_get_bytes(a, i, n);
	case TARN_T_BOOL:
		tmp[0] = tarn_bit_get(a->values, i);
		*n = 1;
		return tmp;
	case TARN_T_FLOAT32:
	case TARN_T_FLOAT64: {
		double d = tarn_array_get_double(a, i);
		if (d == 0)
			d = 0;
		if (isnan(d))
			d = NAN;
		memcpy(tmp, &d, 8);
		*n = 8;
		return tmp;
	}
	default: {
		int w = tarn_type_width(a->type->id);
		*n = (size_t)w;
		return a->values + i * w;
	}
	}
}

static tarn_rc table_grow(struct strat *st, struct tarn_err *err)
{
	uint32_t cap = st->table_cap ? st->table_cap * 2 : 64;
	int32_t *t = tarn_malloc((size_t)cap * sizeof *t);
	if (!t)
		return tarn_err_nomem(err, "sample classes");
	for (uint32_t i = 0; i < cap; i++)
		t[i] = -1;
	for (int c = 0; c < st->n_cls; c++) {
		uint32_t j = (uint32_t)st->cls[c].hash & (cap - 1);
		while (t[j] >= 0)
			j = (j + 1) & (cap - 1);
		t[j] = c;
	}
	tarn_free(st->table);
	st->table = t;
	st->table_cap = cap;
	return TARN_OK;
}

static tarn_rc add_class(struct strat *st, const uint8_t *p, size_t n, bool is_null, uint64_t h,
			 int32_t *out, struct tarn_err *err)
{
	if (st->n_cls >= MAX_CLASSES)
		return tarn_err_set(err, TARN_ELIMIT,
				    "sample: column '%s' has more than %d distinct values; "
				    "stratify by a column with fewer classes",
				    st->field->name, MAX_CLASSES);
	if (st->n_cls == st->cap_cls) {
		int cap = st->cap_cls ? st->cap_cls * 2 : 16;
		struct cls *c = tarn_realloc(st->cls, (size_t)cap * sizeof *c);
		if (!c)
			return tarn_err_nomem(err, "sample classes");
		st->cls = c;
		st->cap_cls = cap;
	}
	struct cls *k = &st->cls[st->n_cls];
	memset(k, 0, sizeof *k);
	k->tau = UINT64_MAX;
	k->min_key = UINT64_MAX;
	k->min_row = -1;
	k->min_dropped = UINT64_MAX;
	k->hash = h;
	k->is_null = is_null;
	k->key_off = st->keys.len;
	k->key_len = n;
	if (n && tarn_buf_append(&st->keys, p, n))
		return tarn_err_nomem(err, "sample classes");
	*out = st->n_cls++;
	/* Keep the table at most half full. */
	if ((uint32_t)st->n_cls * 2 > st->table_cap)
		return table_grow(st, err);
	uint32_t mask = st->table_cap - 1, j = (uint32_t)h & mask;
	while (st->table[j] >= 0)
		j = (j + 1) & mask;
	st->table[j] = *out;
	return TARN_OK;
}

static tarn_rc class_of(struct strat *st, const struct tarn_array *a, int64_t i, int32_t *out,
			struct tarn_err *err)
{
	uint8_t tmp[16];
	size_t n;
	bool is_null;
	const uint8_t *p = class_bytes(a, i, tmp, &n, &is_null);
	uint64_t h = hash_bytes(p, n, is_null);
	uint32_t mask = st->table_cap - 1;
	for (uint32_t j = (uint32_t)h & mask;; j = (j + 1) & mask) {
		int32_t c = st->table[j];
		if (c < 0)
			break;
		const struct cls *k = &st->cls[c];
		if (k->hash == h && k->is_null == is_null && k->key_len == n &&
		    (n == 0 || memcmp(st->keys.data + k->key_off, p, n) == 0)) {
			*out = c;
			return TARN_OK;
		}
	}
	return add_class(st, p, n, is_null, h, out, err);
}

/* tau_c for the rows read so far (see the file comment). */
static void update_tau(struct strat *st, const struct tarn_sample_spec *spec, int64_t rows_read)
{
	double f = spec->n >= 0 ? (rows_read > 0 ? (double)spec->n / (double)rows_read : 1)
				: spec->fraction;
	if (f > 1)
		f = 1;
	for (int c = 0; c < st->n_cls; c++) {
		struct cls *k = &st->cls[c];
		if (k->count == 0)
			continue;
		double m = (double)k->count;
		double p = f + 2.0 / m, g = LN_INV_EPS / m;
		double tau = p + g + sqrt(g * g + 2 * g * p);
		uint64_t t = tau >= 1 ? UINT64_MAX : (uint64_t)(tau * 0x1p64);
		if (t < k->tau)
			k->tau = t;
	}
}

static int cand_by_loc(const void *a, const void *b)
{
	int64_t x = ((const struct cand *)a)->loc, y = ((const struct cand *)b)->loc;
	return (x > y) - (x < y);
}

static int cand_by_class_key(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;
	if (x->cls != y->cls)
		return x->cls < y->cls ? -1 : 1;
	return (x->key > y->key) - (x->key < y->key);
}

static int cand_by_row(const void *a, const void *b)
{
	int64_t x = ((const struct cand *)a)->row, y = ((const struct cand *)b)->row;
	return (x > y) - (x < y);
}

/* Drops candidates at or above their class's current tau (never the class
 * minimum) and rebuilds the store from the rest. */
static tarn_rc strat_compact(struct run *x, struct strat *st, struct tarn_err *err)
{
	update_tau(st, x->spec, x->rows_read);
	int64_t kept = 0;
	for (int64_t i = 0; i < st->n_cand; i++) {
		struct cand *c = &st->cand[i];
		struct cls *k = &st->cls[c->cls];
		if (c->key < k->tau || c->row == k->min_row) {
			st->cand[kept++] = *c;
		} else if (c->key < k->min_dropped) {
			k->min_dropped = c->key;
		}
	}
	st->n_cand = kept;
	sort_n(st->cand, (size_t)kept, sizeof *st->cand, cand_by_loc);
	int64_t **locs = tarn_malloc((size_t)(kept ? kept : 1) * sizeof *locs);
	if (!locs)
		return tarn_err_nomem(err, "sample");
	for (int64_t i = 0; i < kept; i++)
		locs[i] = &st->cand[i].loc;
	tarn_rc rc = store_compact(&x->store, locs, kept, err);
	tarn_free(locs);
	st->live_after_compact = kept;
	return rc;
}

struct over {
	double v; /* remainder of the quota, or n_c - q_c */
	int c;
};

static int over_cmp(const void *a, const void *b)
{
	const struct over *x = a, *y = b;
	if (x->v != y->v)
		return x->v > y->v ? -1 : 1;
	return x->c - y->c;
}

/* n_c per class (see the file comment, method 4). */
static tarn_rc allocate(struct strat *st, int64_t target, int64_t total, struct tarn_err *err)
{
	int n = st->n_cls;
	if (n == 0)
		return TARN_OK;
	if (target <= n) {
		for (int c = 0; c < n; c++)
			st->cls[c].want = 1;
		return TARN_OK;
	}
	struct over *ov = tarn_malloc((size_t)n * sizeof *ov);
	if (!ov)
		return tarn_err_nomem(err, "sample allocation");
	int64_t given = 0;
	for (int c = 0; c < n; c++) {
		struct cls *k = &st->cls[c];
		/* Exact in 128-bit integers: q = target * count / total. */
		unsigned __int128 num = (unsigned __int128)target * (uint64_t)k->count;
		k->want = (int64_t)(num / (uint64_t)total);
		k->quota = (double)target * (double)k->count / (double)total;
		given += k->want;
		/* Largest remainders first; ties to the class seen first. */
		ov[c] = (struct over){ (double)(num % (uint64_t)total) / (double)total, c };
	}
	sort_n(ov, (size_t)n, sizeof *ov, over_cmp);
	for (int i = 0; given < target && i < n; i++, given++)
		st->cls[ov[i].c].want++;
	/* Every class present gets a row, paid for by the most over-allocated. */
	int zeros = 0, m = 0;
	for (int c = 0; c < n; c++) {
		struct cls *k = &st->cls[c];
		if (k->want == 0) {
			k->want = 1;
			zeros++;
		} else if (k->want > 1) {
			ov[m++] = (struct over){ (double)k->want - k->quota, c };
		}
	}
	sort_n(ov, (size_t)m, sizeof *ov, over_cmp);
	/* Each over-allocated class gives at most one row per round, in order. */
	while (zeros > 0) {
		bool progress = false;
		for (int i = 0; i < m && zeros > 0; i++) {
			struct cls *k = &st->cls[ov[i].c];
			if (k->want > 1) {
				k->want--;
				zeros--;
				progress = true;
			}
		}
		if (!progress)
			break; /* unreachable: target > classes leaves a class above 1 */
	}
	tarn_free(ov);
	return TARN_OK;
}

static void class_label(const struct strat *st, int c, char *buf, size_t cap)
{
	const struct cls *k = &st->cls[c];
	if (k->is_null)
		snprintf(buf, cap, "null");
	else if (st->field && st->field->type.id == TARN_T_STRING)
		snprintf(buf, cap, "'%.*s'", (int)(k->key_len > 60 ? 60 : k->key_len),
			 st->keys.data + k->key_off);
	else
		snprintf(buf, cap, "#%d", c + 1);
}

static tarn_rc sample_bottomk(struct run *x, int col, struct tarn_err *err)
{
	struct strat st = { .col = col };
	tarn_buf_init(&st.keys);
	tarn_rc rc = TARN_OK;
	struct tarn_batch *b = NULL;
	if (col >= 0)
		st.field = &x->r->schema->fields[col];
	TRY_OUT(table_grow(&st, err));
	x->store.hint = CHUNK_ROWS;
	for (;;) {
		TRY_OUT(next_batch(x, &b, err));
		if (!b)
			break;
		const int64_t base = x->rows_read - b->n_rows;
		update_tau(&st, x->spec, base);
		const struct tarn_array *ca = col >= 0 ? b->cols[col] : NULL;
		for (int64_t i = 0; i < b->n_rows; i++) {
			int32_t c = 0;
			if (ca)
				TRY_OUT(class_of(&st, ca, i, &c, err));
			else if (st.n_cls == 0)
				TRY_OUT(add_class(&st, NULL, 0, false, 0, &c, err));
			struct cls *k = &st.cls[c];
			k->count++;
			uint64_t key = rng_next(&x->rng);
			bool is_min = key < k->min_key;
			if (!is_min && key >= k->tau) {
				if (key < k->min_dropped)
					k->min_dropped = key;
				continue;
			}
			if (is_min) {
				k->min_key = key;
				k->min_row = base + i;
			}
			if (st.n_cand == st.cap_cand) {
				int64_t cap = st.cap_cand ? st.cap_cand * 2 : 1024;
				struct cand *nc = tarn_realloc(st.cand, (size_t)cap * sizeof *nc);
				if (!nc) {
					rc = tarn_err_nomem(err, "sample candidates");
					goto out;
				}
				st.cand = nc;
				st.cap_cand = cap;
			}
			struct cand *cd = &st.cand[st.n_cand++];
			cd->key = key;
			cd->row = base + i;
			cd->cls = c;
			TRY_OUT(store_add(&x->store, b, i, &cd->loc, err));
		}
		tarn_batch_free(b);
		b = NULL;
		int64_t limit = st.live_after_compact * 2;
		if (st.n_cand > (limit > 4 * CHUNK_ROWS ? limit : 4 * CHUNK_ROWS))
			TRY_OUT(strat_compact(x, &st, err));
	}
	/* Targets from the final counts. */
	int64_t total = x->rows_read, target;
	if (x->spec->n >= 0) {
		target = x->spec->n < total ? x->spec->n : total;
	} else {
		double t = floor(x->spec->fraction * (double)total + 0.5);
		target = t > (double)total ? total : (int64_t)t;
		if (target < 1 && total > 0)
			target = 1;
	}
	if (total > 0 && target > 0)
		TRY_OUT(allocate(&st, target, total, err));
	else
		for (int c = 0; c < st.n_cls; c++)
			st.cls[c].want = 0;
	/* Per class, the `want` smallest keys; check they are all present. */
	sort_n(st.cand, (size_t)st.n_cand, sizeof *st.cand, cand_by_class_key);
	int64_t chosen = 0;
	for (int64_t i = 0; i < st.n_cand;) {
		int32_t c = st.cand[i].cls;
		int64_t j = i;
		while (j < st.n_cand && st.cand[j].cls == c)
			j++;
		const struct cls *k = &st.cls[c];
		int64_t have = j - i, want = k->want;
		if (have < want || (want > 0 && st.cand[i + want - 1].key >= k->min_dropped)) {
			char label[80];
			class_label(&st, c, label, sizeof label);
			rc = tarn_err_set(err, TARN_EINTERNAL,
					  "sample: class %s kept too few candidate rows (a 1e-12 "
					  "chance); run again with another --seed",
					  label);
			goto out;
		}
		for (int64_t t = 0; t < want; t++)
			st.cand[chosen++] = st.cand[i + t];
		i = j;
	}
	sort_n(st.cand, (size_t)chosen, sizeof *st.cand, cand_by_row);
	x->out.cap_hint = chosen;
	for (int64_t i = 0; i < chosen; i++) {
		int64_t row;
		const struct tarn_batch *src = store_chunk(&x->store, st.cand[i].loc, &row);
		TRY_OUT(emit_row(&x->out, src, row, err));
	}
	rc = emit_flush(&x->out, err);
out:
	tarn_batch_free(b);
	tarn_free(st.cls);
	tarn_free(st.table);
	tarn_free(st.cand);
	tarn_buf_free(&st.keys);
	return rc;
}

/* ---- entry point ------------------------------------------------------------------------- */

static tarn_rc check_spec(const struct tarn_reader *r, const struct tarn_sample_spec *s, int *col,
			  struct tarn_err *err)
{
	*col = -1;
	if (s->method != TARN_SAMPLE_TOPK && s->method != TARN_SAMPLE_RANDOM &&
	    s->method != TARN_SAMPLE_STRATIFIED)
		return tarn_err_set(err, TARN_EUSAGE, "sample: unknown method %d", (int)s->method);
	if (s->n < 0) {
		if (s->method == TARN_SAMPLE_TOPK)
			return tarn_err_set(err, TARN_EUSAGE,
					    "sample: topk takes a row count (--n), not a fraction");
		if (!(s->fraction > 0 && s->fraction <= 1))
			return tarn_err_set(err, TARN_EUSAGE,
					    "sample: the fraction must be above 0 and at most 1 "
					    "(got %g)",
					    s->fraction);
	}
	if (s->method != TARN_SAMPLE_STRATIFIED)
		return TARN_OK;
	if (!s->by || !*s->by)
		return tarn_err_set(err, TARN_EUSAGE,
				    "sample: stratified sampling needs the class column (--by COL)");
	const struct tarn_schema *sc = r->schema;
	*col = tarn_schema_find(sc, s->by);
	if (*col < 0) {
		char list[512] = "";
		size_t len = 0;
		for (int i = 0; i < sc->n_fields; i++) {
			int k = snprintf(list + len, sizeof list - len, "%s%s", i ? ", " : "",
					 sc->fields[i].name);
			if (k < 0 || (size_t)k >= sizeof list - len) {
				snprintf(list + (len < sizeof list - 4 ? len : sizeof list - 4), 4,
					 "...");
				break;
			}
			len += (size_t)k;
		}
		return tarn_err_set(err, TARN_ENOTFOUND, "sample: no column '%s' (columns: %s)",
				    s->by, list);
	}
	if (tarn_type_is_nested(sc->fields[*col].type.id))
		return tarn_err_set(err, TARN_EUNSUPPORTED,
				    "sample: cannot stratify by '%s', a nested column", s->by);
	return TARN_OK;
}

tarn_rc tarn_sample(struct tarn_reader *r, struct tarn_writer *w,
		    const struct tarn_sample_spec *spec, int64_t *out_rows, struct tarn_err *err)
{
	if (out_rows)
		*out_rows = 0;
	int col;
	TRY(check_spec(r, spec, &col, err));
	struct run x = {
		.r = r,
		.spec = spec,
		.out = { .w = w, .schema = r->schema, .cap_hint = OUT_ROWS },
		.store = { .schema = r->schema },
	};
	rng_seed(&x.rng, spec->seed);
	tarn_rc rc;
	switch (spec->method) {
	case TARN_SAMPLE_TOPK: rc = sample_topk(&x, err); break;
	case TARN_SAMPLE_RANDOM:
		rc = spec->n >= 0 ? sample_reservoir(&x, err) : sample_bottomk(&x, -1, err);
		break;
	default: rc = sample_bottomk(&x, col, err); break;
	}
	if (x.out.b)
		tarn_batch_free(x.out.b);
	store_free(&x.store);
	if (rc == TARN_OK && out_rows)
		*out_rows = x.out.rows;
	return rc;
}
