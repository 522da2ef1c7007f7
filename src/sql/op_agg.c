/*
 * op_agg.c — hash aggregation (GROUP BY and ungrouped aggregates).
 *
 * Each worker task folds its morsel into a partial table: the morsel's
 * groups (group.h) plus, per aggregate, state arrays indexed by group id
 * (counts, 128-bit integer sums, double sums, Welford mean/M2, min/max
 * values, ...). The driver merges each partial into the operator's total
 * table in morsel order (design note 2 of exec.c): the partial's keys are
 * looked up in the total, giving a map from partial to total group ids, and
 * the states are combined through that map (sums add, min/max compare,
 * variances combine by Chan's formula). The partial is then emptied and
 * reused for the task's next morsel.
 *
 * DISTINCT aggregates keep a set of (group, value) pairs instead of state
 * in the partials; merging inserts the pairs into the total's set, and the
 * pairs that are new there are fed to the aggregate — so every distinct
 * value counts once, in a deterministic order.
 *
 * Kernels: one loop per (state kind, input type). When a morsel has few
 * groups for its rows (at most one per 8 rows), its rows are first sorted
 * by group (a stable counting sort) and every aggregate reduces each
 * group's rows in registers; otherwise the group id is read per row and
 * the state updated in memory (FILTER and DISTINCT always take that path).
 * Ungrouped aggregates (no keys) reduce into locals. Both paths add a
 * group's values in row order, so which one runs never changes a result.
 *
 * Results: the total's key columns, then each aggregate finalised into an
 * array (sum of integers overflowing int64 is an error; NULL where an
 * aggregate saw no value), handed out 65536 rows at a time in group id
 * order (group.h: deterministic, roughly first appearance).
 *
 * Thread-safety: partials are per task; the total is touched by the driver
 * only.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/mem.h"
#include "sql/exec.h"
#include "sql/expr_int.h"
#include "sql/group.h"

/* ---- aggregate definitions -------------------------------------------------------------- */

enum kind {
	K_COUNT_STAR,
	K_COUNT,
	K_SUM_I,   /* signed integers -> int128 accumulator */
	K_SUM_U,   /* unsigned integers */
	K_SUM_DEC, /* decimals: int128 with overflow checks */
	K_SUM_F,   /* floats -> double */
	K_MINMAX,  /* fixed-width value */
	K_MINMAX_S,/* string/binary value */
	K_BOOL,
	K_VAR,
	K_ARG,
};

static const char *const agg_names[] = {
	"count_star", "count",	    "sum",	   "avg",	  "min",	 "max",
	"bool_and",   "bool_or",    "var_samp",	   "var_pop",	  "stddev_samp", "stddev_pop",
	"arg_min",    "arg_max",
};

const char *ex_agg_name(enum ex_agg_fn fn)
{
	return (unsigned)fn < EX_AGG__COUNT ? agg_names[fn] : "?";
}

static bool is_num(enum tarn_type_id id)
{
	return tarn_type_is_integer(id) || id == TARN_T_FLOAT32 || id == TARN_T_FLOAT64 ||
	       id == TARN_T_DECIMAL128;
}

static tarn_rc agg_type_error(enum ex_agg_fn fn, const struct tarn_type *t, struct tarn_err *err)
{
	struct tarn_buf b;
	tarn_buf_init(&b);
	tarn_rc trc = t ? tarn_type_to_text(t, &b) : TARN_OK;
	if (!trc)
		trc = tarn_buf_cstr(&b);
	tarn_rc rc = tarn_err_set(err, TARN_EUSAGE, "%s does not take an argument of type %s",
				  ex_agg_name(fn), trc || !t ? "?" : b.data);
	tarn_buf_free(&b);
	return rc;
}

tarn_rc ex_agg_type(enum ex_agg_fn fn, const struct tarn_type *t, struct tarn_type *out,
		    struct tarn_err *err)
{
	enum tarn_type_id id = t ? t->id : TARN_T_NULL;
	switch (fn) {
	case EX_AGG_COUNT_STAR:
	case EX_AGG_COUNT: tarn_type_init(out, TARN_T_INT64); return TARN_OK;
	case EX_AGG_SUM:
		if (tarn_type_is_integer(id) || id == TARN_T_NULL)
			tarn_type_init(out, TARN_T_INT64);
		else if (id == TARN_T_DECIMAL128)
			tarn_type_init_decimal(out, 38, t->scale);
		else if (id == TARN_T_FLOAT32 || id == TARN_T_FLOAT64)
			tarn_type_init(out, TARN_T_FLOAT64);
		else
			return agg_type_error(fn, t, err);
		return TARN_OK;
	case EX_AGG_AVG:
	case EX_AGG_VAR_SAMP:
	case EX_AGG_VAR_POP:
	case EX_AGG_STDDEV_SAMP:
	case EX_AGG_STDDEV_POP:
		if (!is_num(id) && id != TARN_T_NULL)
			return agg_type_error(fn, t, err);
		tarn_type_init(out, TARN_T_FLOAT64);
		return TARN_OK;
	case EX_AGG_MIN:
	case EX_AGG_MAX:
	case EX_AGG_ARG_MIN:
	case EX_AGG_ARG_MAX:
		if (!ex_type_is_scalar(id))
			return agg_type_error(fn, t, err);
		return tarn_type_copy(out, t);
	case EX_AGG_BOOL_AND:
	case EX_AGG_BOOL_OR:
		if (id != TARN_T_BOOL && id != TARN_T_NULL)
			return agg_type_error(fn, t, err);
		tarn_type_init(out, TARN_T_BOOL);
		return TARN_OK;
	default: return tarn_err_set(err, TARN_EUSAGE, "unknown aggregate %d", (int)fn);
	}
}

struct agg_def {
	enum ex_agg_fn fn;
	bool distinct;
	struct ex_expr *arg, *val, *filter;
	const struct tarn_type *in;  /* argument type (NULL for count(*)) */
	struct tarn_type out;
	int kind;
	int w;       /* fixed value width (K_MINMAX, K_ARG's val) */
	int aw;      /* K_ARG: arg width, 0 = string */
	bool max;    /* max, arg_max, bool_or */
	const struct tarn_type *vt; /* K_ARG: the ordering value's type */
};

/* ---- state ------------------------------------------------------------------------------ */

struct sbuf {
	uint8_t *p;
	uint32_t n, cap;
};

struct agg_st {
	int64_t *cnt;
	tarn_i128 *acc;
	double *f, *m2;
	uint8_t *val, *arg, *argnull;
	struct sbuf *sval, *sarg;
	struct ex_groups dset; /* DISTINCT: (group, value) pairs */
	bool has_dset;
};

struct agg_table {
	struct ex_groups groups;
	struct agg_st *st;
	int64_t cap; /* groups the state arrays hold */
	int64_t strbytes;
};

static const struct tarn_type u32_type = { .id = TARN_T_UINT32 };

static tarn_rc sbuf_set(struct sbuf *s, const uint8_t *p, size_t n, int64_t *bytes)
{
	if (n > UINT32_MAX)
		return TARN_ELIMIT;
	if (n > s->cap) {
		uint32_t cap = (uint32_t)(n < 16 ? 16 : n);
		uint8_t *q = tarn_realloc(s->p, cap);
		if (!q)
			return TARN_ENOMEM;
		*bytes += cap - s->cap;
		s->p = q;
		s->cap = cap;
	}
	if (n)
		memcpy(s->p, p, n);
	s->n = (uint32_t)n;
	return TARN_OK;
}

static void table_free(struct agg_table *t, const struct agg_def *defs, int n_aggs)
{
	ex_groups_free(&t->groups);
	for (int a = 0; t->st && a < n_aggs; a++) {
		struct agg_st *s = &t->st[a];
		tarn_free(s->cnt);
		tarn_free(s->acc);
		tarn_free(s->f);
		tarn_free(s->m2);
		tarn_free(s->val);
		tarn_free(s->arg);
		tarn_free(s->argnull);
		for (int64_t g = 0; s->sval && g < t->cap; g++)
			tarn_free(s->sval[g].p);
		for (int64_t g = 0; s->sarg && g < t->cap; g++)
			tarn_free(s->sarg[g].p);
		tarn_free(s->sval);
		tarn_free(s->sarg);
		if (s->has_dset)
			ex_groups_free(&s->dset);
	}
	tarn_free(t->st);
	memset(t, 0, sizeof *t);
}

static tarn_rc table_init(struct agg_table *t, int n_keys, const struct tarn_type *const *kt,
			  const struct agg_def *defs, int n_aggs)
{
	memset(t, 0, sizeof *t);
	TRY(ex_groups_init(&t->groups, n_keys, kt));
	t->st = tarn_calloc((size_t)(n_aggs ? n_aggs : 1), sizeof *t->st);
	if (!t->st)
		return TARN_ENOMEM;
	for (int a = 0; a < n_aggs; a++)
		if (defs[a].distinct) {
			const struct tarn_type *dk[2] = { &u32_type, defs[a].in };
			TRY(ex_groups_init(&t->st[a].dset, 2, dk));
			t->st[a].has_dset = true;
		}
	return TARN_OK;
}

static void *grow_arr(void *p, size_t elem, int64_t old, int64_t cap)
{
	uint8_t *q = tarn_realloc(p, (size_t)cap * elem);
	if (q)
		memset(q + (size_t)old * elem, 0, (size_t)(cap - old) * elem);
	return q;
}

#define GROW(field, T)                                                                  \
	do {                                                                            \
		T *q_ = grow_arr(s->field, sizeof(T) * (size_t)(unit), t->cap, cap);    \
		if (!q_)                                                                \
			return TARN_ENOMEM;                                             \
		s->field = q_;                                                          \
	} while (0)

/* State arrays for at least `need` groups. */
static tarn_rc table_room(struct agg_table *t, const struct agg_def *defs, int n_aggs, int64_t need)
{
	if (need <= t->cap)
		return TARN_OK;
	int64_t cap = t->cap ? t->cap : 16;
	while (cap < need)
		cap *= 2;
	for (int a = 0; a < n_aggs; a++) {
		struct agg_st *s = &t->st[a];
		const struct agg_def *d = &defs[a];
		int unit = 1;
		GROW(cnt, int64_t);
		switch (d->kind) {
		case K_SUM_I:
		case K_SUM_U:
		case K_SUM_DEC: GROW(acc, tarn_i128); break;
		case K_SUM_F: GROW(f, double); break;
		case K_VAR:
			GROW(f, double);
			GROW(m2, double);
			break;
		case K_MINMAX:
		case K_BOOL:
			unit = d->kind == K_BOOL ? 1 : d->w;
			GROW(val, uint8_t);
			break;
		case K_MINMAX_S: GROW(sval, struct sbuf); break;
		case K_ARG:
			if (d->w) {
				unit = d->w;
				GROW(val, uint8_t);
			} else {
				GROW(sval, struct sbuf);
			}
			if (d->aw) {
				unit = d->aw;
				GROW(arg, uint8_t);
			} else {
				unit = 1;
				GROW(sarg, struct sbuf);
			}
			unit = 1;
			GROW(argnull, uint8_t);
			break;
		default: break;
		}
	}
	t->cap = cap;
	return TARN_OK;
}

/* Clears the states of groups [from, to) (reused partials hold stale values). */
static void states_clear(struct agg_table *t, const struct agg_def *defs, int n_aggs, int64_t from,
			 int64_t to)
{
	if (to <= from)
		return;
	size_t n = (size_t)(to - from);
	for (int a = 0; a < n_aggs; a++) {
		struct agg_st *s = &t->st[a];
		const struct agg_def *d = &defs[a];
		memset(s->cnt + from, 0, n * sizeof *s->cnt);
		if (s->acc)
			memset(s->acc + from, 0, n * sizeof *s->acc);
		if (s->f)
			memset(s->f + from, 0, n * sizeof *s->f);
		if (s->m2)
			memset(s->m2 + from, 0, n * sizeof *s->m2);
		if (s->val) {
			int w = d->kind == K_BOOL ? 1 : d->w;
			memset(s->val + from * w, 0, n * (size_t)w);
		}
		if (s->arg)
			memset(s->arg + from * d->aw, 0, n * (size_t)d->aw);
		if (s->argnull)
			memset(s->argnull + from, 0, n);
		for (int64_t g = from; s->sval && g < to; g++)
			s->sval[g].n = 0;
		for (int64_t g = from; s->sarg && g < to; g++)
			s->sarg[g].n = 0;
	}
}

static void table_reset(struct agg_table *t, int n_aggs)
{
	ex_groups_reset(&t->groups);
	for (int a = 0; a < n_aggs; a++)
		if (t->st[a].has_dset)
			ex_groups_reset(&t->st[a].dset);
}

static int64_t table_bytes(const struct agg_table *t, const struct agg_def *defs, int n_aggs)
{
	int64_t b = ex_groups_bytes(&t->groups) + t->strbytes;
	for (int a = 0; a < n_aggs; a++) {
		const struct agg_def *d = &defs[a];
		int64_t per = 8 + 16 + 16 + (d->w ? d->w : 16) + (d->aw ? d->aw : 16) + 1;
		b += per * t->cap;
		if (t->st[a].has_dset)
			b += ex_groups_bytes(&t->st[a].dset);
	}
	return b;
}

/* ---- update kernels ---------------------------------------------------------------------- */

#define GID(i) (g ? g[i] : g0)

/* Rows of sel[0..n) (NULL = 0..n) with non-null x; BODY sees i and ix
 * (the value's row: 0 for a constant). */
#define EACH(BODY)                                                                  \
	do {                                                                        \
		bool nulls_ = ex_has_nulls(x->a);                                   \
		for (int64_t k = 0; k < n; k++) {                                   \
			const int64_t i = sel ? sel[k] : k;                         \
			const int64_t ix = x->is_const ? 0 : i;                     \
			if (nulls_ && !tarn_bit_get(x->a->validity, ix))            \
				continue;                                           \
			BODY;                                                       \
		}                                                                   \
	} while (0)

#define SUM_INT(T)                                                                      \
	do {                                                                            \
		const T *v = (const T *)x->a->values;                                   \
		if (!g && !x->is_const) {                                               \
			tarn_i128 acc = 0;                                              \
			int64_t c = 0;                                                  \
			EACH(acc += v[ix]; c++);                                        \
			s->acc[g0] += acc;                                              \
			s->cnt[g0] += c;                                                \
		} else {                                                                \
			EACH(s->acc[GID(i)] += v[ix]; s->cnt[GID(i)]++);                \
		}                                                                       \
	} while (0)

#define MINMAX_T(T, LT)                                                                 \
	do {                                                                            \
		const T *v = (const T *)x->a->values;                                   \
		T *m = (T *)s->val;                                                     \
		if (d->max)                                                             \
			EACH({                                                          \
				uint32_t gg = GID(i);                                   \
				if (!s->cnt[gg] || LT(m[gg], v[ix]))                    \
					m[gg] = v[ix];                                  \
				s->cnt[gg]++;                                           \
			});                                                             \
		else                                                                    \
			EACH({                                                          \
				uint32_t gg = GID(i);                                   \
				if (!s->cnt[gg] || LT(v[ix], m[gg]))                    \
					m[gg] = v[ix];                                  \
				s->cnt[gg]++;                                           \
			});                                                             \
	} while (0)

#define PLT(a, b) ((a) < (b))
/* NaN-aware: NaN above every number (as comparisons and ORDER BY). */
#define FLT(a, b) ((a) < (b) || ((a) == (a) && (b) != (b)))

static double load_f64(const struct tarn_array *a, int64_t i)
{
	switch (a->type->id) {
	case TARN_T_FLOAT64: return ((const double *)a->values)[i];
	case TARN_T_FLOAT32: return ((const float *)a->values)[i];
	case TARN_T_DECIMAL128: {
		tarn_i128 v = ((const tarn_i128 *)a->values)[i];
		return (double)((long double)v / powl(10.0L, (long double)a->type->scale));
	}
	case TARN_T_UINT64: return (double)((const uint64_t *)a->values)[i];
	default: return (double)tarn_array_get_int(a, i);
	}
}

/* Folds rows sel[0..n) of x (and y, arg_min/max's ordering value) into
 * the states, group of row i = g[i] (g NULL: every row is in group g0,
 * and sums reduce into locals first). */
static tarn_rc update(const struct agg_def *d, struct agg_table *t, struct agg_st *s,
		      const struct ex_vec *x, const struct ex_vec *y, const uint32_t *sel,
		      int64_t n, const uint32_t *g, uint32_t g0, struct tarn_err *err)
{
	switch (d->kind) {
	case K_COUNT_STAR:
		if (!g) {
			s->cnt[g0] += n;
		} else {
			for (int64_t k = 0; k < n; k++)
				s->cnt[g[sel ? sel[k] : k]]++;
		}
		return TARN_OK;
	case K_COUNT:
		if (x->a->type->id == TARN_T_NULL)
			return TARN_OK;
		if (!g && !ex_has_nulls(x->a)) {
			s->cnt[g0] += n;
			return TARN_OK;
		}
		EACH(s->cnt[GID(i)]++);
		return TARN_OK;
	case K_SUM_I:
		switch (x->a->type->id) {
		case TARN_T_INT8: SUM_INT(int8_t); break;
		case TARN_T_INT16: SUM_INT(int16_t); break;
		case TARN_T_INT32: SUM_INT(int32_t); break;
		default: SUM_INT(int64_t); break;
		}
		return TARN_OK;
	case K_SUM_U:
		switch (x->a->type->id) {
		case TARN_T_UINT8: SUM_INT(uint8_t); break;
		case TARN_T_UINT16: SUM_INT(uint16_t); break;
		case TARN_T_UINT32: SUM_INT(uint32_t); break;
		default: SUM_INT(uint64_t); break;
		}
		return TARN_OK;
	case K_SUM_DEC: {
		const tarn_i128 *v = (const tarn_i128 *)x->a->values;
		bool ovf = false;
		EACH(ovf |= __builtin_add_overflow(s->acc[GID(i)], v[ix], &s->acc[GID(i)]);
		     s->cnt[GID(i)]++);
		if (ovf)
			return tarn_err_set(err, TARN_EDATA, "%s: decimal sum overflows 128 bits",
					    ex_agg_name(d->fn));
		return TARN_OK;
	}
	case K_SUM_F:
		if (x->a->type->id == TARN_T_FLOAT64) {
			const double *v = (const double *)x->a->values;
			if (!g && !x->is_const) {
				double acc = 0;
				int64_t c = 0;
				EACH(acc += v[ix]; c++);
				s->f[g0] += acc;
				s->cnt[g0] += c;
			} else {
				EACH(s->f[GID(i)] += v[ix]; s->cnt[GID(i)]++);
			}
		} else {
			const float *v = (const float *)x->a->values;
			EACH(s->f[GID(i)] += v[ix]; s->cnt[GID(i)]++);
		}
		return TARN_OK;
	case K_VAR:
		EACH({
			uint32_t gg = GID(i);
			double v = load_f64(x->a, ix);
			int64_t c = ++s->cnt[gg];
			double delta = v - s->f[gg];
			s->f[gg] += delta / (double)c;
			s->m2[gg] += delta * (v - s->f[gg]);
		});
		return TARN_OK;
	case K_BOOL: {
		const uint8_t *v = x->a->values;
		if (d->max)
			EACH(s->val[GID(i)] |= tarn_bit_get(v, ix); s->cnt[GID(i)]++);
		else
			EACH({
				uint32_t gg = GID(i);
				s->val[gg] = (uint8_t)((s->cnt[gg] ? s->val[gg] : 1) & tarn_bit_get(v, ix));
				s->cnt[gg]++;
			});
		return TARN_OK;
	}
	case K_MINMAX:
		switch (x->a->type->id) {
		case TARN_T_INT8: MINMAX_T(int8_t, PLT); break;
		case TARN_T_UINT8: MINMAX_T(uint8_t, PLT); break;
		case TARN_T_INT16: MINMAX_T(int16_t, PLT); break;
		case TARN_T_UINT16: MINMAX_T(uint16_t, PLT); break;
		case TARN_T_INT32:
		case TARN_T_DATE32: MINMAX_T(int32_t, PLT); break;
		case TARN_T_UINT32: MINMAX_T(uint32_t, PLT); break;
		case TARN_T_INT64:
		case TARN_T_TIME64:
		case TARN_T_TIMESTAMP: MINMAX_T(int64_t, PLT); break;
		case TARN_T_UINT64: MINMAX_T(uint64_t, PLT); break;
		case TARN_T_FLOAT32: MINMAX_T(float, FLT); break;
		case TARN_T_FLOAT64: MINMAX_T(double, FLT); break;
		case TARN_T_DECIMAL128: MINMAX_T(tarn_i128, PLT); break;
		case TARN_T_BOOL: {
			const uint8_t *v = x->a->values;
			EACH({
				uint32_t gg = GID(i);
				uint8_t b = tarn_bit_get(v, ix);
				if (!s->cnt[gg] || (d->max ? b > s->val[gg] : b < s->val[gg]))
					s->val[gg] = b;
				s->cnt[gg]++;
			});
			break;
		}
		default: return tarn_err_set(err, TARN_EINTERNAL, "min/max of %s",
					     tarn_type_id_name(x->a->type->id));
		}
		return TARN_OK;
	case K_MINMAX_S: {
		const int32_t *o = x->a->offsets;
		const uint8_t *v = x->a->values;
		tarn_rc rc = TARN_OK;
		EACH({
			uint32_t gg = GID(i);
			struct sbuf *m = &s->sval[gg];
			int32_t len = o[ix + 1] - o[ix];
			bool take = !s->cnt[gg];
			if (!take) {
				int32_t mn = len < (int32_t)m->n ? len : (int32_t)m->n;
				int c = mn ? memcmp(v + o[ix], m->p, (size_t)mn) : 0;
				if (!c)
					c = (len > (int32_t)m->n) - (len < (int32_t)m->n);
				take = d->max ? c > 0 : c < 0;
			}
			if (take && (rc = sbuf_set(m, v + o[ix], (size_t)len, &t->strbytes)))
				return tarn_err_nomem(err, "min/max");
			s->cnt[gg]++;
		});
		return TARN_OK;
	}
	case K_ARG: {
		/* x: the argument (may be null), y: the ordering value */
		bool ynulls = ex_has_nulls(y->a);
		for (int64_t k = 0; k < n; k++) {
			int64_t i = sel ? sel[k] : k, iy = y->is_const ? 0 : i, ixa = x->is_const ? 0 : i;
			if (ynulls && !tarn_bit_get(y->a->validity, iy))
				continue;
			uint32_t gg = GID(i);
			bool take = !s->cnt[gg];
			if (!take) {
				int c;
				if (d->w) {
					/* compare against the stored value through a one-row view */
					struct tarn_array cur = { .type = d->vt, .length = 1,
								  .values = s->val + (size_t)gg * d->w };
					c = ex_value_cmp(y->a, iy, &cur, 0);
				} else {
					int32_t len = y->a->offsets[iy + 1] - y->a->offsets[iy];
					struct sbuf *m = &s->sval[gg];
					int32_t mn = len < (int32_t)m->n ? len : (int32_t)m->n;
					c = mn ? memcmp(y->a->values + y->a->offsets[iy], m->p, (size_t)mn) : 0;
					if (!c)
						c = (len > (int32_t)m->n) - (len < (int32_t)m->n);
				}
				take = d->max ? c > 0 : c < 0;
			}
			s->cnt[gg]++;
			if (!take)
				continue;
			if (d->w) {
				memcpy(s->val + (size_t)gg * d->w, y->a->values + iy * d->w, (size_t)d->w);
			} else {
				size_t len;
				const uint8_t *p = tarn_array_get_bytes(y->a, iy, &len);
				if (sbuf_set(&s->sval[gg], p, len, &t->strbytes))
					return tarn_err_nomem(err, "arg_min/arg_max");
			}
			bool an = ex_is_null(x->a, ixa) || x->a->type->id == TARN_T_NULL;
			s->argnull[gg] = an;
			if (an)
				continue;
			if (d->aw == 0) {
				size_t len;
				const uint8_t *p = tarn_array_get_bytes(x->a, ixa, &len);
				if (sbuf_set(&s->sarg[gg], p, len, &t->strbytes))
					return tarn_err_nomem(err, "arg_min/arg_max");
			} else if (x->a->type->id == TARN_T_BOOL) {
				s->arg[gg] = tarn_bit_get(x->a->values, ixa);
			} else {
				memcpy(s->arg + (size_t)gg * d->aw, x->a->values + ixa * d->aw,
				       (size_t)d->aw);
			}
		}
		return TARN_OK;
	}
	default: return tarn_err_set(err, TARN_EINTERNAL, "aggregate kind %d", d->kind);
	}
}

/* ---- merge kernels ------------------------------------------------------------------------- */

/* Folds partial state p (groups 0..n) into total state s through map. */
static tarn_rc merge_state(const struct agg_def *d, struct agg_table *t, struct agg_st *s,
			   const struct agg_st *p, const uint32_t *map, int64_t n,
			   struct tarn_err *err)
{
	switch (d->kind) {
	case K_COUNT_STAR:
	case K_COUNT:
		for (int64_t j = 0; j < n; j++)
			s->cnt[map[j]] += p->cnt[j];
		return TARN_OK;
	case K_SUM_I:
	case K_SUM_U:
	case K_SUM_DEC: {
		bool ovf = false;
		for (int64_t j = 0; j < n; j++) {
			ovf |= __builtin_add_overflow(s->acc[map[j]], p->acc[j], &s->acc[map[j]]);
			s->cnt[map[j]] += p->cnt[j];
		}
		if (ovf)
			return tarn_err_set(err, TARN_EDATA, "%s: sum overflows 128 bits",
					    ex_agg_name(d->fn));
		return TARN_OK;
	}
	case K_SUM_F:
		for (int64_t j = 0; j < n; j++) {
			s->f[map[j]] += p->f[j];
			s->cnt[map[j]] += p->cnt[j];
		}
		return TARN_OK;
	case K_VAR:
		for (int64_t j = 0; j < n; j++) {
			uint32_t gg = map[j];
			int64_t na = s->cnt[gg], nb = p->cnt[j];
			if (nb == 0)
				continue;
			if (na == 0) {
				s->cnt[gg] = nb;
				s->f[gg] = p->f[j];
				s->m2[gg] = p->m2[j];
				continue;
			}
			double nt = (double)(na + nb), delta = p->f[j] - s->f[gg];
			s->f[gg] += delta * (double)nb / nt;
			s->m2[gg] += p->m2[j] + delta * delta * (double)na * (double)nb / nt;
			s->cnt[gg] = na + nb;
		}
		return TARN_OK;
	case K_BOOL:
		for (int64_t j = 0; j < n; j++) {
			uint32_t gg = map[j];
			if (!p->cnt[j])
				continue;
			if (!s->cnt[gg])
				s->val[gg] = p->val[j];
			else
				s->val[gg] = d->max ? (s->val[gg] | p->val[j]) : (s->val[gg] & p->val[j]);
			s->cnt[gg] += p->cnt[j];
		}
		return TARN_OK;
	case K_MINMAX:
	case K_MINMAX_S:
	case K_ARG: {
		/* compare through one-row views (merges see few groups per morsel
		 * compared with the rows the update loops see) */
		for (int64_t j = 0; j < n; j++) {
			uint32_t gg = map[j];
			if (!p->cnt[j])
				continue;
			bool take = !s->cnt[gg];
			if (!take) {
				int c;
				if (d->kind == K_MINMAX_S || (d->kind == K_ARG && !d->w)) {
					const struct sbuf *a = &p->sval[j], *b = &s->sval[gg];
					uint32_t mn = a->n < b->n ? a->n : b->n;
					c = mn ? memcmp(a->p, b->p, mn) : 0;
					if (!c)
						c = (a->n > b->n) - (a->n < b->n);
				} else {
					const struct tarn_type *vt = d->kind == K_ARG ? d->vt : d->in;
					struct tarn_array a = { .type = vt, .length = 1,
								.values = p->val + (size_t)j * d->w };
					struct tarn_array b = { .type = vt, .length = 1,
								.values = s->val + (size_t)gg * d->w };
					if (vt->id == TARN_T_BOOL)
						c = (int)p->val[j] - (int)s->val[gg];
					else
						c = ex_value_cmp(&a, 0, &b, 0);
				}
				take = d->max ? c > 0 : c < 0;
			}
			s->cnt[gg] += p->cnt[j];
			if (!take)
				continue;
			if (d->kind == K_MINMAX_S || (d->kind == K_ARG && !d->w)) {
				if (sbuf_set(&s->sval[gg], p->sval[j].p, p->sval[j].n, &t->strbytes))
					return tarn_err_nomem(err, "aggregate");
			} else {
				memcpy(s->val + (size_t)gg * d->w, p->val + (size_t)j * d->w, (size_t)d->w);
			}
			if (d->kind == K_ARG) {
				s->argnull[gg] = p->argnull[j];
				if (d->aw)
					memcpy(s->arg + (size_t)gg * d->aw, p->arg + (size_t)j * d->aw,
					       (size_t)d->aw);
				else if (sbuf_set(&s->sarg[gg], p->sarg[j].p, p->sarg[j].n, &t->strbytes))
					return tarn_err_nomem(err, "aggregate");
			}
		}
		return TARN_OK;
	}
	default: return tarn_err_set(err, TARN_EINTERNAL, "aggregate kind %d", d->kind);
	}
}

/* ---- the operator ---------------------------------------------------------------------------- */

struct agg_op {
	struct ex_op base;
	int n_keys, n_aggs;
	struct ex_expr **keys;
	const struct tarn_type **key_types;
	struct agg_def *aggs;
	struct agg_table total;
	uint32_t *map, *map2;
	int64_t map_cap;
	struct tarn_array **out; /* result columns after finish */
	int64_t out_rows, out_pos;
};

struct agg_part {
	struct agg_table t;
	struct ex_eval **kev, **aev, **vev, **fev;
	struct ex_vec *kv;
	uint32_t *gk;    /* group of the k-th selected row */
	uint32_t *grow;  /* group per row */
	uint32_t *fsel, *dsel, *dg, *order;
	int64_t rows_cap;
	int64_t *off; /* per group: where its rows start in order[] */
	int64_t off_cap;
};

static void part_free(struct ex_op *op, void *ptr)
{
	struct agg_op *o = (struct agg_op *)op;
	struct agg_part *p = ptr;
	if (!p)
		return;
	table_free(&p->t, o->aggs, o->n_aggs);
	for (int i = 0; p->kev && i < o->n_keys; i++)
		ex_eval_free(p->kev[i]);
	for (int a = 0; a < o->n_aggs; a++) {
		if (p->aev)
			ex_eval_free(p->aev[a]);
		if (p->vev)
			ex_eval_free(p->vev[a]);
		if (p->fev)
			ex_eval_free(p->fev[a]);
	}
	tarn_free(p->kev);
	tarn_free(p->aev);
	tarn_free(p->vev);
	tarn_free(p->fev);
	tarn_free(p->kv);
	tarn_free(p->gk);
	tarn_free(p->grow);
	tarn_free(p->fsel);
	tarn_free(p->dsel);
	tarn_free(p->dg);
	tarn_free(p->order);
	tarn_free(p->off);
	tarn_free(p);
}

static tarn_rc part_new(struct ex_op *op, void **out)
{
	struct agg_op *o = (struct agg_op *)op;
	struct agg_part *p = tarn_calloc(1, sizeof *p);
	if (!p)
		return TARN_ENOMEM;
	size_t nk = (size_t)(o->n_keys ? o->n_keys : 1), na = (size_t)(o->n_aggs ? o->n_aggs : 1);
	p->kev = tarn_calloc(nk, sizeof *p->kev);
	p->kv = tarn_calloc(nk, sizeof *p->kv);
	p->aev = tarn_calloc(na, sizeof *p->aev);
	p->vev = tarn_calloc(na, sizeof *p->vev);
	p->fev = tarn_calloc(na, sizeof *p->fev);
	tarn_rc rc = !p->kev || !p->kv || !p->aev || !p->vev || !p->fev ? TARN_ENOMEM : TARN_OK;
	if (!rc)
		rc = table_init(&p->t, o->n_keys, o->key_types, o->aggs, o->n_aggs);
	for (int i = 0; !rc && i < o->n_keys; i++)
		rc = ex_eval_new(o->keys[i], &p->kev[i]);
	for (int a = 0; !rc && a < o->n_aggs; a++) {
		const struct agg_def *d = &o->aggs[a];
		if (d->arg)
			rc = ex_eval_new(d->arg, &p->aev[a]);
		if (!rc && d->val)
			rc = ex_eval_new(d->val, &p->vev[a]);
		if (!rc && d->filter)
			rc = ex_eval_new(d->filter, &p->fev[a]);
	}
	if (rc) {
		part_free(op, p);
		return rc;
	}
	*out = p;
	return TARN_OK;
}

static tarn_rc rows_room(struct agg_part *p, int64_t rows)
{
	if (rows <= p->rows_cap)
		return TARN_OK;
	int64_t cap = rows < 1024 ? 1024 : rows;
	uint32_t **bufs[] = { &p->gk, &p->grow, &p->fsel, &p->dsel, &p->dg, &p->order };
	for (size_t i = 0; i < sizeof bufs / sizeof *bufs; i++) {
		tarn_free(*bufs[i]);
		if (!(*bufs[i] = tarn_malloc((size_t)cap * sizeof(uint32_t))))
			return TARN_ENOMEM;
	}
	p->rows_cap = cap;
	return TARN_OK;
}

/* A uint32 array viewing buf (rows entries) as a column. */
static struct tarn_array u32_view(uint32_t *buf, int64_t rows)
{
	return (struct tarn_array){ .type = &u32_type, .length = rows, .values = (uint8_t *)buf };
}

static tarn_rc agg_sink(struct ex_op *op, void *ptr, struct ex_batch *in, struct tarn_err *err)
{
	struct agg_op *o = (struct agg_op *)op;
	struct agg_part *p = ptr;
	tarn_rc rc = TARN_OK;
	const uint32_t *sel = in->sel;
	int64_t n = in->n_sel;
	if (rows_room(p, in->n_rows > n ? in->n_rows : n)) {
		rc = tarn_err_nomem(err, "hash aggregate");
		goto out;
	}
	for (int i = 0; i < o->n_keys; i++)
		if ((rc = ex_eval_run(p->kev[i], o->keys[i], in, sel, n, &p->kv[i], err)))
			goto out;
	int64_t before = p->t.groups.n;
	if ((rc = ex_groups_lookup(&p->t.groups, p->kv, sel, n, p->gk))) {
		rc = rc == TARN_ENOMEM ? tarn_err_nomem(err, "hash aggregate")
				       : tarn_err_set(err, rc, "hash aggregate: too many groups");
		goto out;
	}
	if ((rc = table_room(&p->t, o->aggs, o->n_aggs, p->t.groups.n))) {
		rc = tarn_err_nomem(err, "hash aggregate");
		goto out;
	}
	states_clear(&p->t, o->aggs, o->n_aggs, before, p->t.groups.n);
	/* group per row (ungrouped: g NULL, everything is group 0) */
	const uint32_t *g = NULL;
	if (o->n_keys > 0) {
		if (sel) {
			for (int64_t k = 0; k < n; k++)
				p->grow[sel[k]] = p->gk[k];
			g = p->grow;
		} else {
			g = p->gk;
		}
	}
	/* Few groups for many rows: sort the rows by group once (a stable
	 * counting sort), so each aggregate reduces every group's rows in a
	 * register instead of updating memory per row. Within a group rows stay
	 * in input order, so the result is the same as the per-row path. */
	int64_t ng = p->t.groups.n;
	bool part_ok = o->n_keys > 0 && ng * 8 <= n && ng > 0;
	if (part_ok) {
		if (ng + 2 > p->off_cap) {
			tarn_free(p->off);
			p->off_cap = ng + 2 < 256 ? 256 : ng + 2;
			if (!(p->off = tarn_malloc((size_t)p->off_cap * sizeof *p->off))) {
				p->off_cap = 0;
				rc = tarn_err_nomem(err, "hash aggregate");
				goto out;
			}
		}
		memset(p->off, 0, (size_t)(ng + 2) * sizeof *p->off);
		for (int64_t k = 0; k < n; k++)
			p->off[p->gk[k] + 2]++;
		for (int64_t gg = 0; gg < ng; gg++)
			p->off[gg + 2] += p->off[gg + 1];
		for (int64_t k = 0; k < n; k++)
			p->order[p->off[p->gk[k] + 1]++] = sel ? sel[k] : (uint32_t)k;
		/* off[gg] .. off[gg + 1] are now group gg's rows */
	}
	if (o->n_keys == 0 && p->t.groups.n == 0) {
		uint32_t dummy;
		if ((rc = ex_groups_lookup(&p->t.groups, NULL, NULL, 1, &dummy)) ||
		    (rc = table_room(&p->t, o->aggs, o->n_aggs, 1))) {
			rc = tarn_err_nomem(err, "hash aggregate");
			goto out;
		}
		states_clear(&p->t, o->aggs, o->n_aggs, 0, 1);
	}
	for (int a = 0; a < o->n_aggs; a++) {
		const struct agg_def *d = &o->aggs[a];
		struct agg_st *s = &p->t.st[a];
		const uint32_t *as = sel;
		int64_t an = n;
		if (d->filter) {
			if ((rc = ex_eval_select(p->fev[a], d->filter, in, sel, n, p->fsel, &an, err)))
				goto out;
			as = p->fsel;
		}
		struct ex_vec x = { 0 }, y = { 0 };
		if (d->arg && (rc = ex_eval_run(p->aev[a], d->arg, in, as, an, &x, err)))
			goto out;
		if (d->val && (rc = ex_eval_run(p->vev[a], d->val, in, as, an, &y, err)))
			goto out;
		if (d->distinct) {
			/* keep (group, value) pairs of non-null values; merge decides */
			int64_t m = 0;
			for (int64_t k = 0; k < an; k++) {
				uint32_t i = as ? as[k] : (uint32_t)k;
				if (!ex_is_null(x.a, x.is_const ? 0 : i) && x.a->type->id != TARN_T_NULL)
					p->dsel[m++] = i;
			}
			if (!g) {
				for (int64_t k = 0; k < m; k++)
					p->dg[p->dsel[k]] = 0;
			}
			struct tarn_array gv = u32_view(g ? (uint32_t *)g : p->dg, in->n_rows);
			struct ex_vec dk[2] = { { &gv, false }, x };
			/* the pair ids go to fsel: free by now, unlike gk (which may be g) */
			if ((rc = ex_groups_lookup(&s->dset, dk, p->dsel, m, p->fsel))) {
				rc = tarn_err_nomem(err, "hash aggregate (distinct)");
				goto out;
			}
			continue;
		}
		if (part_ok && !d->filter) {
			/* one reduction per group over its rows (see the partition above) */
			for (int64_t gg = 0; gg < ng; gg++)
				if (p->off[gg + 1] > p->off[gg] &&
				    (rc = update(d, &p->t, s, &x, &y, p->order + p->off[gg],
						 p->off[gg + 1] - p->off[gg], NULL, (uint32_t)gg, err)))
					goto out;
			continue;
		}
		if ((rc = update(d, &p->t, s, &x, &y, as, an, g, 0, err)))
			goto out;
	}
out:
	ex_batch_free(in);
	return rc;
}

static tarn_rc map_room(struct agg_op *o, int64_t n)
{
	if (n <= o->map_cap)
		return TARN_OK;
	int64_t cap = n < 1024 ? 1024 : n;
	tarn_free(o->map);
	tarn_free(o->map2);
	o->map = tarn_malloc((size_t)cap * sizeof *o->map);
	o->map2 = tarn_malloc((size_t)cap * sizeof *o->map2);
	if (!o->map || !o->map2)
		return TARN_ENOMEM;
	o->map_cap = cap;
	return TARN_OK;
}

static tarn_rc agg_merge(struct ex_op *op, void *ptr, struct tarn_err *err)
{
	struct agg_op *o = (struct agg_op *)op;
	struct agg_part *p = ptr;
	struct agg_table *T = &o->total, *t = &p->t;
	int64_t n = t->groups.n;
	if (n == 0)
		return TARN_OK;
	tarn_rc rc = map_room(o, n);
	if (rc)
		return tarn_err_nomem(err, "hash aggregate");
	int64_t before = T->groups.n;
	struct ex_vec *kv = p->kv;
	for (int i = 0; i < o->n_keys; i++)
		kv[i] = (struct ex_vec){ t->groups.keys[i], false };
	rc = ex_groups_lookup(&T->groups, kv, NULL, n, o->map);
	if (!rc)
		rc = table_room(T, o->aggs, o->n_aggs, T->groups.n);
	if (rc)
		return rc == TARN_ENOMEM ? tarn_err_nomem(err, "hash aggregate")
					 : tarn_err_set(err, rc, "hash aggregate: too many groups");
	states_clear(T, o->aggs, o->n_aggs, before, T->groups.n);
	for (int a = 0; a < o->n_aggs; a++) {
		const struct agg_def *d = &o->aggs[a];
		struct agg_st *s = &T->st[a], *ps = &t->st[a];
		if (!d->distinct) {
			TRY(merge_state(d, T, s, ps, o->map, n, err));
			continue;
		}
		/* distinct: new pairs in the total's set feed the aggregate */
		int64_t m = ps->dset.n;
		if (m == 0)
			continue;
		if (map_room(o, m > n ? m : n))
			return tarn_err_nomem(err, "hash aggregate");
		/* the map may have moved: recompute this partial's group map */
		rc = ex_groups_lookup(&T->groups, kv, NULL, n, o->map);
		if (rc)
			return tarn_err_nomem(err, "hash aggregate");
		const uint32_t *lg = (const uint32_t *)ps->dset.keys[0]->values;
		uint32_t *mg = tarn_malloc((size_t)m * sizeof *mg);
		uint32_t *dg = tarn_malloc((size_t)m * sizeof *dg);
		uint32_t *fresh = tarn_malloc((size_t)m * sizeof *fresh);
		if (!mg || !dg || !fresh) {
			tarn_free(mg);
			tarn_free(dg);
			tarn_free(fresh);
			return tarn_err_nomem(err, "hash aggregate");
		}
		for (int64_t j = 0; j < m; j++)
			mg[j] = o->map[lg[j]];
		struct tarn_array gv = u32_view(mg, m);
		struct ex_vec dk[2] = { { &gv, false }, { ps->dset.keys[1], false } };
		int64_t dbefore = s->dset.n;
		rc = ex_groups_lookup(&s->dset, dk, NULL, m, dg);
		int64_t nf = 0;
		for (int64_t j = 0; !rc && j < m; j++)
			if (dg[j] >= dbefore)
				fresh[nf++] = (uint32_t)j;
		struct ex_vec y = { 0 };
		if (!rc)
			rc = update(d, T, s, &dk[1], &y, fresh, nf, mg, 0, err);
		tarn_free(mg);
		tarn_free(dg);
		tarn_free(fresh);
		if (rc)
			return rc == TARN_ENOMEM ? tarn_err_nomem(err, "hash aggregate") : rc;
	}
	table_reset(t, o->n_aggs);
	/* memory: count what the total grew by */
	int64_t now = table_bytes(T, o->aggs, o->n_aggs);
	if (now > op->mem_held) {
		TRY(ex_mem_reserve(op->q, "hash aggregate", now - op->mem_held, err));
		op->mem_held = now;
	}
	return TARN_OK;
}

/* ---- finalising ---------------------------------------------------------------------------- */

static tarn_rc finalize_agg(struct agg_op *o, int a, int64_t n, struct tarn_array *r,
			    struct tarn_err *err)
{
	const struct agg_def *d = &o->aggs[a];
	const struct agg_st *s = &o->total.st[a];
	TRY(tarn_array_reserve(r, n));
	for (int64_t gg = 0; gg < n; gg++) {
		int64_t c = s->cnt[gg];
		tarn_rc rc = TARN_OK;
		switch (d->fn) {
		case EX_AGG_COUNT_STAR:
		case EX_AGG_COUNT: rc = tarn_array_append_int(r, c); break;
		case EX_AGG_SUM:
			if (!c) {
				rc = tarn_array_append_null(r);
			} else if (d->kind == K_SUM_F) {
				rc = tarn_array_append_double(r, s->f[gg]);
			} else if (d->kind == K_SUM_DEC) {
				if (s->acc[gg] >= ex_pow10(38) || s->acc[gg] <= -ex_pow10(38))
					return tarn_err_set(err, TARN_EDATA,
							    "sum: result does not fit decimal(38,%d)",
							    d->out.scale);
				rc = tarn_array_append_decimal(r, s->acc[gg]);
			} else {
				if (s->acc[gg] > INT64_MAX || s->acc[gg] < INT64_MIN)
					return tarn_err_set(err, TARN_EDATA,
							    "sum: integer overflow (the sum does not "
							    "fit int64)");
				rc = tarn_array_append_int(r, (int64_t)s->acc[gg]);
			}
			break;
		case EX_AGG_AVG:
			if (!c) {
				rc = tarn_array_append_null(r);
			} else if (d->kind == K_SUM_F) {
				rc = tarn_array_append_double(r, s->f[gg] / (double)c);
			} else {
				long double v = (long double)s->acc[gg];
				if (d->kind == K_SUM_DEC)
					v /= powl(10.0L, (long double)d->in->scale);
				rc = tarn_array_append_double(r, (double)(v / (long double)c));
			}
			break;
		case EX_AGG_VAR_SAMP:
		case EX_AGG_VAR_POP:
		case EX_AGG_STDDEV_SAMP:
		case EX_AGG_STDDEV_POP: {
			bool samp = d->fn == EX_AGG_VAR_SAMP || d->fn == EX_AGG_STDDEV_SAMP;
			if (c < (samp ? 2 : 1)) {
				rc = tarn_array_append_null(r);
				break;
			}
			double v = s->m2[gg] / (double)(samp ? c - 1 : c);
			if (v < 0)
				v = 0;
			if (d->fn == EX_AGG_STDDEV_SAMP || d->fn == EX_AGG_STDDEV_POP)
				v = sqrt(v);
			rc = tarn_array_append_double(r, v);
			break;
		}
		case EX_AGG_BOOL_AND:
		case EX_AGG_BOOL_OR:
			rc = c ? tarn_array_append_bool(r, s->val[gg]) : tarn_array_append_null(r);
			break;
		case EX_AGG_MIN:
		case EX_AGG_MAX:
			if (!c)
				rc = tarn_array_append_null(r);
			else if (d->kind == K_MINMAX_S)
				rc = tarn_array_append_bytes(r, s->sval[gg].p, s->sval[gg].n);
			else if (d->in->id == TARN_T_BOOL)
				rc = tarn_array_append_bool(r, s->val[gg]);
			else {
				struct tarn_array one = { .type = d->in, .length = 1,
							  .values = s->val + (size_t)gg * d->w };
				rc = ex_array_gather(r, &one, NULL, 0, 1);
			}
			break;
		case EX_AGG_ARG_MIN:
		case EX_AGG_ARG_MAX:
			if (!c || s->argnull[gg])
				rc = tarn_array_append_null(r);
			else if (!d->aw)
				rc = tarn_array_append_bytes(r, s->sarg[gg].p, s->sarg[gg].n);
			else if (d->in->id == TARN_T_BOOL)
				rc = tarn_array_append_bool(r, s->arg[gg]);
			else {
				struct tarn_array one = { .type = d->in, .length = 1,
							  .values = s->arg + (size_t)gg * d->aw };
				rc = ex_array_gather(r, &one, NULL, 0, 1);
			}
			break;
		default: rc = TARN_EINTERNAL; break;
		}
		if (rc)
			return rc == TARN_ENOMEM ? tarn_err_nomem(err, "aggregate result") : rc;
	}
	ex_array_finish(r);
	return TARN_OK;
}

static tarn_rc agg_finish(struct ex_op *op, struct tarn_err *err)
{
	struct agg_op *o = (struct agg_op *)op;
	struct agg_table *T = &o->total;
	if (o->n_keys == 0 && T->groups.n == 0) {
		uint32_t dummy;
		if (ex_groups_lookup(&T->groups, NULL, NULL, 1, &dummy) ||
		    table_room(T, o->aggs, o->n_aggs, 1))
			return tarn_err_nomem(err, "hash aggregate");
		states_clear(T, o->aggs, o->n_aggs, 0, 1);
	}
	int64_t n = T->groups.n;
	int nc = o->n_keys + o->n_aggs;
	o->out = tarn_calloc((size_t)(nc ? nc : 1), sizeof *o->out);
	if (!o->out)
		return tarn_err_nomem(err, "hash aggregate");
	TRY(ex_mem_reserve(op->q, "hash aggregate", n * 16 * (nc ? nc : 1), err));
	op->mem_held += n * 16 * (nc ? nc : 1);
	for (int i = 0; i < o->n_keys; i++) {
		o->out[i] = T->groups.keys[i];
		T->groups.keys[i] = NULL;
		o->out[i]->type = &op->schema->fields[i].type;
		ex_array_finish(o->out[i]);
	}
	/* the key columns moved out: the total's group table is done with */
	for (int i = 0; i < o->n_keys; i++)
		if (tarn_array_new(&op->schema->fields[i].type, 0, &T->groups.keys[i]))
			return tarn_err_nomem(err, "hash aggregate");
	for (int a = 0; a < o->n_aggs; a++) {
		struct tarn_array *r;
		if (tarn_array_new(&op->schema->fields[o->n_keys + a].type, n, &r))
			return tarn_err_nomem(err, "aggregate result");
		o->out[o->n_keys + a] = r;
		TRY(finalize_agg(o, a, n, r, err));
	}
	o->out_rows = n;
	o->out_pos = 0;
	return TARN_OK;
}

static tarn_rc agg_next(struct ex_op *op, struct ex_batch **out, struct tarn_err *err)
{
	struct agg_op *o = (struct agg_op *)op;
	*out = NULL;
	if (o->out_pos >= o->out_rows)
		return TARN_OK;
	int64_t m = o->out_rows - o->out_pos;
	if (m > EX_BATCH_MAX)
		m = EX_BATCH_MAX;
	int nc = o->n_keys + o->n_aggs;
	struct ex_batch *b;
	if (ex_batch_new(nc, &b))
		return tarn_err_nomem(err, "aggregate result");
	if (m == o->out_rows) {
		/* everything in one batch: lend the columns */
		for (int c = 0; c < nc; c++)
			b->cols[c] = o->out[c];
	} else {
		for (int c = 0; c < nc; c++) {
			struct tarn_array *a;
			tarn_rc rc = tarn_array_new(o->out[c]->type, m, &a);
			if (!rc)
				rc = ex_batch_hold_array(b, a);
			if (!rc)
				rc = ex_array_gather(a, o->out[c], NULL, o->out_pos, m);
			if (rc) {
				ex_batch_free(b);
				return tarn_err_nomem(err, "aggregate result");
			}
			if (a->validity)
				a->null_count = -1;
			b->cols[c] = a;
		}
	}
	b->n_rows = b->n_sel = m;
	o->out_pos += m;
	*out = b;
	return TARN_OK;
}

static void agg_free(struct ex_op *op)
{
	struct agg_op *o = (struct agg_op *)op;
	table_free(&o->total, o->aggs, o->n_aggs);
	for (int i = 0; i < o->n_keys; i++)
		ex_expr_free(o->keys[i]);
	for (int a = 0; o->aggs && a < o->n_aggs; a++) {
		ex_expr_free(o->aggs[a].arg);
		ex_expr_free(o->aggs[a].val);
		ex_expr_free(o->aggs[a].filter);
		tarn_type_clear(&o->aggs[a].out);
	}
	for (int c = 0; o->out && c < o->n_keys + o->n_aggs; c++)
		tarn_array_free(o->out[c]);
	tarn_free(o->out);
	tarn_free(o->keys);
	tarn_free(o->key_types);
	tarn_free(o->aggs);
	tarn_free(o->map);
	tarn_free(o->map2);
	tarn_free(o);
}

static tarn_rc agg_describe(const struct ex_op *op, struct tarn_buf *out)
{
	const struct agg_op *o = (const struct agg_op *)op;
	const struct tarn_schema *in = op->child[0]->schema;
	if (o->n_keys)
		TRY(tarn_buf_printf(out, "keys: "));
	for (int i = 0; i < o->n_keys; i++) {
		TRY(tarn_buf_printf(out, "%s", i ? ", " : ""));
		TRY(ex_expr_describe(o->keys[i], in, out));
	}
	TRY(tarn_buf_printf(out, "%saggregates: ", o->n_keys ? "; " : ""));
	for (int a = 0; a < o->n_aggs; a++) {
		const struct agg_def *d = &o->aggs[a];
		TRY(tarn_buf_printf(out, "%s%s(%s", a ? ", " : "", ex_agg_name(d->fn),
				    d->distinct ? "DISTINCT " : ""));
		if (d->arg)
			TRY(ex_expr_describe(d->arg, in, out));
		else
			TRY(tarn_buf_putc(out, '*'));
		if (d->val) {
			TRY(tarn_buf_printf(out, ", "));
			TRY(ex_expr_describe(d->val, in, out));
		}
		TRY(tarn_buf_putc(out, ')'));
		if (d->filter) {
			TRY(tarn_buf_printf(out, " FILTER (WHERE "));
			TRY(ex_expr_describe(d->filter, in, out));
			TRY(tarn_buf_putc(out, ')'));
		}
	}
	return TARN_OK;
}

static const struct ex_op_vt agg_vt = {
	.name = "hash aggregate",
	.next = agg_next,
	.sink_new = part_new,
	.sink_free = part_free,
	.sink = agg_sink,
	.merge = agg_merge,
	.finish = agg_finish,
	.free = agg_free,
	.describe = agg_describe,
};

static int state_kind(enum ex_agg_fn fn, const struct tarn_type *t)
{
	enum tarn_type_id id = t ? t->id : TARN_T_NULL;
	switch (fn) {
	case EX_AGG_COUNT_STAR: return K_COUNT_STAR;
	case EX_AGG_COUNT: return K_COUNT;
	case EX_AGG_SUM:
	case EX_AGG_AVG:
		if (id == TARN_T_FLOAT32 || id == TARN_T_FLOAT64)
			return K_SUM_F;
		if (id == TARN_T_DECIMAL128)
			return K_SUM_DEC;
		if (id == TARN_T_UINT8 || id == TARN_T_UINT16 || id == TARN_T_UINT32 ||
		    id == TARN_T_UINT64)
			return K_SUM_U;
		return K_SUM_I;
	case EX_AGG_MIN:
	case EX_AGG_MAX:
		return id == TARN_T_STRING || id == TARN_T_BINARY ? K_MINMAX_S : K_MINMAX;
	case EX_AGG_BOOL_AND:
	case EX_AGG_BOOL_OR: return K_BOOL;
	case EX_AGG_ARG_MIN:
	case EX_AGG_ARG_MAX: return K_ARG;
	default: return K_VAR;
	}
}

tarn_rc ex_op_agg(struct ex_op *child, struct ex_expr **keys, const char *const *key_names,
		  int n_keys, const struct ex_agg_spec *aggs, int n_aggs, struct ex_op **out,
		  struct tarn_err *err)
{
	*out = NULL;
	struct agg_op *o = tarn_calloc(1, sizeof *o);
	tarn_rc rc = TARN_OK;
	if (o) {
		o->keys = tarn_calloc((size_t)(n_keys ? n_keys : 1), sizeof *o->keys);
		o->key_types = tarn_calloc((size_t)(n_keys ? n_keys : 1), sizeof *o->key_types);
		o->aggs = tarn_calloc((size_t)(n_aggs ? n_aggs : 1), sizeof *o->aggs);
	}
	if (!o || !o->keys || !o->key_types || !o->aggs) {
		if (o) {
			tarn_free(o->keys);
			tarn_free(o->key_types);
			tarn_free(o->aggs);
			tarn_free(o);
		}
		ex_op_free(child);
		for (int i = 0; i < n_keys; i++)
			ex_expr_free(keys[i]);
		for (int a = 0; a < n_aggs; a++) {
			ex_expr_free(aggs[a].arg);
			ex_expr_free(aggs[a].val);
			ex_expr_free(aggs[a].filter);
		}
		return tarn_err_nomem(err, "hash aggregate");
	}
	o->base.vt = &agg_vt;
	o->base.child[0] = child;
	o->n_keys = n_keys;
	o->n_aggs = n_aggs;
	for (int i = 0; i < n_keys; i++) {
		o->keys[i] = keys[i];
		ex_expr_prepare(keys[i]);
		o->key_types[i] = &keys[i]->type;
	}
	for (int a = 0; a < n_aggs; a++) {
		struct agg_def *d = &o->aggs[a];
		d->fn = aggs[a].fn;
		d->distinct = aggs[a].distinct;
		d->arg = aggs[a].arg;
		d->val = aggs[a].val;
		d->filter = aggs[a].filter;
		tarn_type_init(&d->out, TARN_T_NULL);
	}
	for (int i = 0; !rc && i < n_keys; i++)
		if (!ex_type_is_scalar(keys[i]->type.id))
			rc = tarn_err_set(err, TARN_EUNSUPPORTED,
					  "GROUP BY a %s value is not supported",
					  tarn_type_id_name(keys[i]->type.id));
	for (int a = 0; !rc && a < n_aggs; a++) {
		struct agg_def *d = &o->aggs[a];
		if (d->fn == EX_AGG_COUNT_STAR ? d->arg != NULL : d->arg == NULL) {
			rc = tarn_err_set(err, TARN_EUSAGE, "%s: wrong number of arguments",
					  ex_agg_name(d->fn));
			break;
		}
		bool is_arg = d->fn == EX_AGG_ARG_MIN || d->fn == EX_AGG_ARG_MAX;
		if (is_arg != (d->val != NULL)) {
			rc = tarn_err_set(err, TARN_EUSAGE, "%s: wrong number of arguments",
					  ex_agg_name(d->fn));
			break;
		}
		if (d->arg)
			ex_expr_prepare(d->arg);
		if (d->val)
			ex_expr_prepare(d->val);
		if (d->filter) {
			ex_expr_prepare(d->filter);
			if (d->filter->type.id != TARN_T_BOOL && d->filter->type.id != TARN_T_NULL)
				rc = tarn_err_set(err, TARN_EUSAGE, "%s: FILTER is not boolean",
						  ex_agg_name(d->fn));
		}
		if (d->distinct && (d->fn == EX_AGG_COUNT_STAR || is_arg))
			rc = tarn_err_set(err, TARN_EUSAGE, "%s cannot be DISTINCT", ex_agg_name(d->fn));
		d->in = d->arg ? &d->arg->type : NULL;
		if (!rc)
			rc = ex_agg_type(d->fn, d->in, &d->out, err);
		if (!rc && is_arg && !ex_type_is_scalar(d->val->type.id))
			rc = agg_type_error(d->fn, &d->val->type, err);
		if (!rc && d->distinct && !ex_type_is_scalar(d->in->id))
			rc = agg_type_error(d->fn, d->in, err);
		d->kind = state_kind(d->fn, d->in);
		d->max = d->fn == EX_AGG_MAX || d->fn == EX_AGG_ARG_MAX || d->fn == EX_AGG_BOOL_OR;
		if (d->kind == K_MINMAX) {
			d->w = d->in->id == TARN_T_BOOL ? 1 : tarn_type_width(d->in->id);
			if (d->w <= 0 && d->in->id != TARN_T_NULL)
				d->kind = K_COUNT; /* unreachable for scalar types */
			if (d->in->id == TARN_T_NULL)
				d->w = 1;
		}
		if (d->kind == K_ARG) {
			d->vt = &d->val->type;
			enum tarn_type_id vid = d->vt->id;
			d->w = vid == TARN_T_STRING || vid == TARN_T_BINARY ? 0
			       : vid == TARN_T_BOOL || vid == TARN_T_NULL   ? 1
									    : tarn_type_width(vid);
			enum tarn_type_id aid = d->in->id;
			d->aw = aid == TARN_T_STRING || aid == TARN_T_BINARY ? 0
				: aid == TARN_T_BOOL || aid == TARN_T_NULL   ? 1
									     : tarn_type_width(aid);
			if (vid == TARN_T_BOOL || vid == TARN_T_NULL)
				rc = tarn_err_set(err, TARN_EUNSUPPORTED,
						  "%s ordered by a boolean is not supported",
						  ex_agg_name(d->fn));
		}
	}
	/* output schema */
	if (!rc) {
		int nc = n_keys + n_aggs;
		const struct tarn_type **types = tarn_calloc((size_t)(nc ? nc : 1), sizeof *types);
		const char **names = tarn_calloc((size_t)(nc ? nc : 1), sizeof *names);
		if (!types || !names) {
			rc = tarn_err_nomem(err, "hash aggregate");
		} else {
			for (int i = 0; i < n_keys; i++) {
				types[i] = &keys[i]->type;
				names[i] = key_names && key_names[i] ? key_names[i] : keys[i]->name;
			}
			for (int a = 0; a < n_aggs; a++) {
				types[n_keys + a] = &o->aggs[a].out;
				names[n_keys + a] = aggs[a].name ? aggs[a].name : ex_agg_name(aggs[a].fn);
			}
			rc = ex_schema_make(nc, names, types, &o->base.schema);
			if (rc)
				rc = tarn_err_nomem(err, "hash aggregate");
		}
		tarn_free(types);
		tarn_free(names);
	}
	if (!rc && table_init(&o->total, n_keys, o->key_types, o->aggs, n_aggs))
		rc = tarn_err_nomem(err, "hash aggregate");
	if (rc) {
		ex_op_free(&o->base);
		return rc;
	}
	*out = &o->base;
	return TARN_OK;
}
