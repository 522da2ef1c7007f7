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
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "sql/exec.h"
#include "sql/expr_int.h"
#include "sql/group.h"
#include "sql/agg_int.h"

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
	K_COV,   /* co-moments of (arg, val) */
	K_PROD,
	K_BIT,   /* 64-bit pattern in val */
	K_FIRST, /* first/last/any_value: value (or null) in val/sval */
	K_HLL,   /* approx_count_distinct: struct hll per group */
	K_HOLO,  /* holistic: every value kept in a struct holo */
};

static const char *const agg_names[] = {
	"count_star", "count",	    "sum",	   "avg",	  "min",	 "max",
	"bool_and",   "bool_or",    "var_samp",	   "var_pop",	  "stddev_samp", "stddev_pop",
	"arg_min",    "arg_max",    "corr",	   "covar_pop",	  "covar_samp",	 "regr_slope",
	"regr_intercept", "regr_r2", "product",	   "bit_and",	  "bit_or",	 "bit_xor",
	"first",      "last",	    "any_value",   "approx_count_distinct",	 "median",
	"quantile_cont", "quantile_disc", "mode",  "string_agg", "list",
};
_Static_assert(sizeof agg_names / sizeof *agg_names == EX_AGG__COUNT, "agg_names");

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
		if (!ex_type_is_scalar(id) && id != TARN_T_INTERVAL)
			return agg_type_error(fn, t, err);
		return tarn_type_copy(out, t);
	case EX_AGG_BOOL_AND:
	case EX_AGG_BOOL_OR:
		if (id != TARN_T_BOOL && id != TARN_T_NULL)
			return agg_type_error(fn, t, err);
		tarn_type_init(out, TARN_T_BOOL);
		return TARN_OK;
	case EX_AGG_CORR:
	case EX_AGG_COVAR_POP:
	case EX_AGG_COVAR_SAMP:
	case EX_AGG_REGR_SLOPE:
	case EX_AGG_REGR_INTERCEPT:
	case EX_AGG_REGR_R2:
	case EX_AGG_PRODUCT:
		if (!is_num(id) && id != TARN_T_NULL)
			return agg_type_error(fn, t, err);
		tarn_type_init(out, TARN_T_FLOAT64);
		return TARN_OK;
	case EX_AGG_BIT_AND:
	case EX_AGG_BIT_OR:
	case EX_AGG_BIT_XOR:
		if (id == TARN_T_NULL) {
			tarn_type_init(out, TARN_T_INT32);
			return TARN_OK;
		}
		if (!tarn_type_is_integer(id))
			return agg_type_error(fn, t, err);
		return tarn_type_copy(out, t);
	case EX_AGG_FIRST:
	case EX_AGG_LAST:
	case EX_AGG_ANY_VALUE:
	case EX_AGG_QUANTILE_DISC:
	case EX_AGG_MODE:
		if (!ex_type_is_scalar(id))
			return agg_type_error(fn, t, err);
		return tarn_type_copy(out, t);
	case EX_AGG_APPROX_COUNT_DISTINCT:
		if (!ex_type_is_scalar(id))
			return agg_type_error(fn, t, err);
		tarn_type_init(out, TARN_T_INT64);
		return TARN_OK;
	case EX_AGG_MEDIAN:
	case EX_AGG_QUANTILE_CONT:
		if (id == TARN_T_DECIMAL128 || id == TARN_T_TIMESTAMP || id == TARN_T_TIME64)
			return tarn_type_copy(out, t);
		if (id == TARN_T_DATE32) {
			tarn_type_init(out, TARN_T_TIMESTAMP);
			out->unit = TARN_UNIT_US;
			return TARN_OK;
		}
		if (!is_num(id) && id != TARN_T_NULL)
			return agg_type_error(fn, t, err);
		tarn_type_init(out, TARN_T_FLOAT64);
		return TARN_OK;
	case EX_AGG_STRING_AGG:
		if (id != TARN_T_STRING && id != TARN_T_BINARY && id != TARN_T_NULL)
			return agg_type_error(fn, t, err);
		tarn_type_init(out, id == TARN_T_BINARY ? TARN_T_BINARY : TARN_T_STRING);
		return TARN_OK;
	case EX_AGG_LIST: {
		if (!ex_type_is_scalar(id) && !tarn_type_is_nested(id))
			return agg_type_error(fn, t, err);
		struct tarn_type item;
		tarn_type_init(&item, TARN_T_NULL);
		if (t)
			TRY(tarn_type_copy(&item, t));
		tarn_rc rc = tarn_type_init_list(out, &item, true);
		tarn_type_clear(&item);
		return rc;
	}
	default: return tarn_err_set(err, TARN_EUSAGE, "unknown aggregate %d", (int)fn);
	}
}

struct qfrac {
	double q;
	tarn_i128 num; /* q = num / den exactly when den > 0 */
	int64_t den;
};

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
	/* holistic aggregates */
	double q;          /* quantile fraction */
	tarn_i128 q_num;   /* q exactly as q_num / q_den when it was a decimal */
	int64_t q_den;     /* 0: only the double is known */
	struct qfrac *ql;  /* quantile_*(x, [q1, q2, ...]): the fractions; result a list */
	int n_ql;
	char *sep;         /* string_agg separator */
	size_t sep_len;
	struct ex_expr *param;
	struct ex_sort_key *order;
	int n_order;
	bool hdistinct;    /* holistic DISTINCT: deduplicated when finalising */
};

/* ---- state ------------------------------------------------------------------------------ */

struct sbuf {
	uint8_t *p;
	uint32_t n, cap;
};

/* Appends group g's stored value of type t to r: the string in sb when
 * width is 0 (variable-width values), else the width-byte slot g of base
 * (bools: one byte holding 0/1). */
static tarn_rc append_stored(struct tarn_array *r, const struct tarn_type *t, int width,
			     const uint8_t *base, int64_t g, const struct sbuf *sb)
{
	if (!width)
		return tarn_array_append_bytes(r, sb->p, sb->n);
	const uint8_t *fixed = base + (size_t)g * (size_t)width;
	if (t->id == TARN_T_BOOL)
		return tarn_array_append_bool(r, *fixed);
	struct tarn_array one = { .type = t, .length = 1, .values = (uint8_t *)fixed };
	return ex_array_gather(r, &one, NULL, 0, 1);
}

/* approx_count_distinct of one group: the exact set of value hashes while
 * it is small (open addressing, 0 = empty), then HLL_M registers. */
#define HLL_P 16
#define HLL_M (1 << HLL_P)
#define HLL_SPARSE_MAX 3072
struct hll {
	uint32_t n, cap;  /* sparse: hashes held, slots */
	uint64_t *set;
	uint8_t *reg;     /* dense: HLL_M registers (set == NULL) */
};

/* Holistic aggregates: one entry per input value, in input order (a
 * partial's entries are its morsel's rows; the total appends partials in
 * morsel order), so an entry's index is its arrival order. */
struct holo {
	struct tarn_array *val;  /* argument values */
	struct tarn_array **key; /* ORDER BY values */
	uint32_t *gid;
	int64_t n, cap;
};

struct agg_st {
	int64_t *cnt;
	tarn_i128 *acc;
	double *f, *m2, *fv, *m2v, *cxy;
	uint8_t *val, *arg, *argnull;
	struct sbuf *sval, *sarg;
	struct hll *hll;
	struct holo h;
	bool has_holo;
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

static void hll_clear(struct hll *h, int64_t *bytes)
{
	if (h->set)
		*bytes -= (int64_t)h->cap * 8;
	if (h->reg)
		*bytes -= HLL_M;
	tarn_free(h->set);
	tarn_free(h->reg);
	memset(h, 0, sizeof *h);
}

static void holo_free(struct holo *h, int n_keys)
{
	tarn_array_free(h->val);
	for (int k = 0; h->key && k < n_keys; k++)
		tarn_array_free(h->key[k]);
	tarn_free(h->key);
	tarn_free(h->gid);
	memset(h, 0, sizeof *h);
}

static tarn_rc holo_init(struct holo *h, const struct agg_def *d)
{
	memset(h, 0, sizeof *h);
	h->key = tarn_calloc((size_t)(d->n_order ? d->n_order : 1), sizeof *h->key);
	if (!h->key)
		return TARN_ENOMEM;
	TRY(tarn_array_new(d->in, 0, &h->val));
	for (int k = 0; k < d->n_order; k++)
		TRY(tarn_array_new(&d->order[k].expr->type, 0, &h->key[k]));
	return TARN_OK;
}

static void holo_reset(struct holo *h, int n_keys)
{
	if (!h->val)
		return;
	tarn_array_reset(h->val);
	for (int k = 0; k < n_keys; k++)
		tarn_array_reset(h->key[k]);
	h->n = 0;
}

static int64_t holo_bytes(const struct holo *h, int n_keys)
{
	if (!h->val)
		return 0;
	int64_t b = ex_array_bytes(h->val) + h->cap * 4;
	for (int k = 0; k < n_keys; k++)
		b += ex_array_bytes(h->key[k]);
	return b;
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
		tarn_free(s->fv);
		tarn_free(s->m2v);
		tarn_free(s->cxy);
		for (int64_t g = 0; s->hll && g < t->cap; g++)
			hll_clear(&s->hll[g], &t->strbytes);
		tarn_free(s->hll);
		if (s->has_holo)
			holo_free(&s->h, defs[a].n_order);
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
	for (int a = 0; a < n_aggs; a++)
		if (defs[a].kind == K_HOLO) {
			t->st[a].has_holo = true;
			TRY(holo_init(&t->st[a].h, &defs[a]));
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
		case K_COV:
			GROW(f, double);
			GROW(m2, double);
			GROW(fv, double);
			GROW(m2v, double);
			GROW(cxy, double);
			break;
		case K_PROD: GROW(f, double); break;
		case K_BIT:
			unit = 8;
			GROW(val, uint8_t);
			break;
		case K_HLL: GROW(hll, struct hll); break;
		case K_FIRST:
			if (d->w) {
				unit = d->w;
				GROW(val, uint8_t);
			} else {
				GROW(sval, struct sbuf);
			}
			unit = 1;
			GROW(argnull, uint8_t);
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
		if (s->fv) {
			memset(s->fv + from, 0, n * sizeof *s->fv);
			memset(s->m2v + from, 0, n * sizeof *s->m2v);
			memset(s->cxy + from, 0, n * sizeof *s->cxy);
		}
		for (int64_t g = from; s->hll && g < to; g++)
			hll_clear(&s->hll[g], &t->strbytes);
		if (s->val) {
			int w = d->kind == K_BOOL ? 1 : d->kind == K_BIT ? 8 : d->w;
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

static void table_reset(struct agg_table *t, const struct agg_def *defs, int n_aggs)
{
	ex_groups_reset(&t->groups);
	for (int a = 0; a < n_aggs; a++) {
		if (t->st[a].has_dset)
			ex_groups_reset(&t->st[a].dset);
		if (t->st[a].has_holo)
			holo_reset(&t->st[a].h, defs[a].n_order);
	}
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
		if (t->st[a].has_holo)
			b += holo_bytes(&t->st[a].h, d->n_order);
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
/* intervals: normalised (a month = 30 days, a day = 24 hours) */
#define IVLT(a, b) (ex_interval_key((const uint8_t *)&(a)) < ex_interval_key((const uint8_t *)&(b)))
/* NaN-aware: NaN above every number (as comparisons and ORDER BY). */
#define FLT(a, b) ((a) < (b) || ((a) == (a) && (b) != (b)))

double ex_agg_load_f64(const struct tarn_array *a, int64_t i)
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

/* An integer's 64-bit pattern (signed types sign-extended). */
uint64_t ex_agg_load_bits(const struct tarn_array *a, int64_t i)
{
	switch (a->type->id) {
	case TARN_T_INT8: return (uint64_t)(int64_t)((const int8_t *)a->values)[i];
	case TARN_T_INT16: return (uint64_t)(int64_t)((const int16_t *)a->values)[i];
	case TARN_T_INT32: return (uint64_t)(int64_t)((const int32_t *)a->values)[i];
	case TARN_T_INT64: return (uint64_t)((const int64_t *)a->values)[i];
	case TARN_T_UINT8: return a->values[i];
	case TARN_T_UINT16: return ((const uint16_t *)a->values)[i];
	case TARN_T_UINT32: return ((const uint32_t *)a->values)[i];
	default: return ((const uint64_t *)a->values)[i];
	}
}

/* ---- approx_count_distinct: HyperLogLog ----------------------------------------------------
 * A group keeps the exact set of its values' 64-bit hashes up to
 * HLL_SPARSE_MAX of them (so small counts are exact), then switches to
 * HLL_M = 2^16 one-byte registers: the top 16 bits of a hash pick a
 * register, which keeps the largest "leading zeros + 1" of the remaining
 * 48 bits. The estimate is linear counting while it is at most 3 * HLL_M
 * (accurate there, where raw HyperLogLog is biased), else the raw
 * HyperLogLog estimate (standard error 1.04 / sqrt(HLL_M) = 0.4%). Sets
 * and registers merge by union and max, so the result does not depend on
 * how the input was split. */

static void hll_dense_add(uint8_t *reg, uint64_t h)
{
	uint32_t idx = (uint32_t)(h >> (64 - HLL_P));
	uint64_t w = h << HLL_P;
	uint8_t rho = w ? (uint8_t)(__builtin_clzll(w) + 1) : (uint8_t)(64 - HLL_P + 1);
	if (rho > reg[idx])
		reg[idx] = rho;
}

static tarn_rc hll_add(struct hll *g, uint64_t h, int64_t *bytes);

static tarn_rc hll_densify(struct hll *g, int64_t *bytes)
{
	uint8_t *reg = tarn_calloc(HLL_M, 1);
	if (!reg)
		return TARN_ENOMEM;
	for (uint32_t i = 0; i < g->cap; i++)
		if (g->set[i])
			hll_dense_add(reg, g->set[i]);
	*bytes += HLL_M - (int64_t)g->cap * 8;
	tarn_free(g->set);
	g->set = NULL;
	g->cap = 0;
	g->reg = reg;
	return TARN_OK;
}

static tarn_rc hll_add(struct hll *g, uint64_t h, int64_t *bytes)
{
	if (g->reg) {
		hll_dense_add(g->reg, h);
		return TARN_OK;
	}
	if (!h)
		h = 1;
	if ((g->n + 1) * 4 > g->cap * 3) {
		if (g->n + 1 > HLL_SPARSE_MAX) {
			TRY(hll_densify(g, bytes));
			hll_dense_add(g->reg, h);
			return TARN_OK;
		}
		uint32_t cap = g->cap ? g->cap * 2 : 8;
		uint64_t *set = tarn_calloc(cap, sizeof *set);
		if (!set)
			return TARN_ENOMEM;
		for (uint32_t i = 0; i < g->cap; i++)
			if (g->set[i]) {
				uint32_t j = (uint32_t)ex_hash_u64(g->set[i]) & (cap - 1);
				while (set[j])
					j = (j + 1) & (cap - 1);
				set[j] = g->set[i];
			}
		*bytes += (int64_t)(cap - g->cap) * 8;
		tarn_free(g->set);
		g->set = set;
		g->cap = cap;
	}
	uint32_t j = (uint32_t)ex_hash_u64(h) & (g->cap - 1);
	while (g->set[j]) {
		if (g->set[j] == h)
			return TARN_OK;
		j = (j + 1) & (g->cap - 1);
	}
	g->set[j] = h;
	g->n++;
	return TARN_OK;
}

/* Folds partial b into a. */
static tarn_rc hll_merge(struct hll *a, const struct hll *b, int64_t *bytes)
{
	if (b->reg) {
		if (!a->reg)
			TRY(hll_densify(a, bytes));
		for (int i = 0; i < HLL_M; i++)
			if (b->reg[i] > a->reg[i])
				a->reg[i] = b->reg[i];
		return TARN_OK;
	}
	for (uint32_t i = 0; i < b->cap; i++)
		if (b->set[i])
			TRY(hll_add(a, b->set[i], bytes));
	return TARN_OK;
}

static int64_t hll_estimate(const struct hll *g)
{
	if (!g->reg)
		return g->n;
	double sum = 0;
	int zeros = 0;
	for (int i = 0; i < HLL_M; i++) {
		sum += ldexp(1.0, -g->reg[i]);
		zeros += !g->reg[i];
	}
	double m = HLL_M;
	if (zeros) {
		double lc = m * log(m / zeros);
		if (lc <= 5 * m)
			return (int64_t)llround(lc);
	}
	double alpha = 0.7213 / (1 + 1.079 / m);
	return (int64_t)llround(alpha * m * m / sum);
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
			double v = ex_agg_load_f64(x->a, ix);
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
		case TARN_T_INTERVAL: MINMAX_T(struct tarn_interval, IVLT); break;
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
	case K_COV: {
		/* x: arg, y: val; rows where both are non-null (Welford's
		 * co-moment update) */
		bool xnulls = ex_has_nulls(x->a), ynulls = ex_has_nulls(y->a);
		if (x->a->type->id == TARN_T_NULL || y->a->type->id == TARN_T_NULL)
			return TARN_OK;
		for (int64_t k = 0; k < n; k++) {
			int64_t i = sel ? sel[k] : k, ix = x->is_const ? 0 : i;
			int64_t iy = y->is_const ? 0 : i;
			if ((xnulls && !tarn_bit_get(x->a->validity, ix)) ||
			    (ynulls && !tarn_bit_get(y->a->validity, iy)))
				continue;
			uint32_t gg = GID(i);
			double a = ex_agg_load_f64(x->a, ix), v = ex_agg_load_f64(y->a, iy);
			int64_t c = ++s->cnt[gg];
			double da = a - s->f[gg], dv = v - s->fv[gg];
			s->f[gg] += da / (double)c;
			s->fv[gg] += dv / (double)c;
			s->cxy[gg] += da * (v - s->fv[gg]);
			s->m2[gg] += da * (a - s->f[gg]);
			s->m2v[gg] += dv * (v - s->fv[gg]);
		}
		return TARN_OK;
	}
	case K_PROD:
		if (x->a->type->id == TARN_T_NULL)
			return TARN_OK;
		EACH({
			uint32_t gg = GID(i);
			double v = ex_agg_load_f64(x->a, ix);
			s->f[gg] = s->cnt[gg]++ ? s->f[gg] * v : v;
		});
		return TARN_OK;
	case K_BIT: {
		if (x->a->type->id == TARN_T_NULL)
			return TARN_OK;
		uint64_t *m = (uint64_t *)s->val;
		EACH({
			uint32_t gg = GID(i);
			uint64_t v = ex_agg_load_bits(x->a, ix);
			if (!s->cnt[gg]++)
				m[gg] = v;
			else if (d->fn == EX_AGG_BIT_AND)
				m[gg] &= v;
			else if (d->fn == EX_AGG_BIT_OR)
				m[gg] |= v;
			else
				m[gg] ^= v;
		});
		return TARN_OK;
	}
	case K_FIRST:
		for (int64_t k = 0; k < n; k++) {
			int64_t i = sel ? sel[k] : k, ix = x->is_const ? 0 : i;
			uint32_t gg = GID(i);
			bool isnull = x->a->type->id == TARN_T_NULL || ex_is_null(x->a, ix);
			if (d->fn == EX_AGG_ANY_VALUE ? isnull || s->cnt[gg]
						      : d->fn == EX_AGG_FIRST && s->cnt[gg])
				continue;
			s->cnt[gg]++;
			s->argnull[gg] = isnull;
			if (isnull)
				continue;
			if (!d->w) {
				size_t len;
				const uint8_t *p = tarn_array_get_bytes(x->a, ix, &len);
				if (sbuf_set(&s->sval[gg], p, len, &t->strbytes))
					return tarn_err_nomem(err, ex_agg_name(d->fn));
			} else if (x->a->type->id == TARN_T_BOOL) {
				s->val[gg] = tarn_bit_get(x->a->values, ix);
			} else {
				memcpy(s->val + (size_t)gg * d->w, x->a->values + ix * d->w, (size_t)d->w);
			}
		}
		return TARN_OK;
	case K_HLL: {
		if (x->a->type->id == TARN_T_NULL)
			return TARN_OK;
		uint64_t h[256];
		for (int64_t k0 = 0; k0 < n; k0 += 256) {
			int64_t m = n - k0 < 256 ? n - k0 : 256;
			const uint32_t *ss = sel ? sel + k0 : NULL;
			uint32_t tmp[256];
			if (!sel)
				for (int64_t k = 0; k < m; k++)
					tmp[k] = (uint32_t)(k0 + k);
			ex_hash_column(x->a, x->is_const, sel ? ss : tmp, m, h, false);
			for (int64_t k = 0; k < m; k++) {
				int64_t i = sel ? ss[k] : k0 + k, ix = x->is_const ? 0 : i;
				if (ex_is_null(x->a, ix))
					continue;
				uint32_t gg = GID(i);
				s->cnt[gg]++;
				if (hll_add(&s->hll[gg], ex_hash_u64(h[k] ^ 0x9e3779b97f4a7c15ULL),
					    &t->strbytes))
					return tarn_err_nomem(err, "approx_count_distinct");
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
	case K_COV:
		for (int64_t j = 0; j < n; j++) {
			uint32_t gg = map[j];
			int64_t na = s->cnt[gg], nb = p->cnt[j];
			if (nb == 0)
				continue;
			if (na == 0) {
				s->cnt[gg] = nb;
				s->f[gg] = p->f[j];
				s->m2[gg] = p->m2[j];
				s->fv[gg] = p->fv[j];
				s->m2v[gg] = p->m2v[j];
				s->cxy[gg] = p->cxy[j];
				continue;
			}
			double nt = (double)(na + nb), w = (double)na * (double)nb / nt;
			double da = p->f[j] - s->f[gg], dv = p->fv[j] - s->fv[gg];
			s->m2[gg] += p->m2[j] + da * da * w;
			s->m2v[gg] += p->m2v[j] + dv * dv * w;
			s->cxy[gg] += p->cxy[j] + da * dv * w;
			s->f[gg] += da * (double)nb / nt;
			s->fv[gg] += dv * (double)nb / nt;
			s->cnt[gg] = na + nb;
		}
		return TARN_OK;
	case K_PROD:
		for (int64_t j = 0; j < n; j++) {
			uint32_t gg = map[j];
			if (!p->cnt[j])
				continue;
			s->f[gg] = s->cnt[gg] ? s->f[gg] * p->f[j] : p->f[j];
			s->cnt[gg] += p->cnt[j];
		}
		return TARN_OK;
	case K_BIT: {
		uint64_t *m = (uint64_t *)s->val;
		const uint64_t *pm = (const uint64_t *)p->val;
		for (int64_t j = 0; j < n; j++) {
			uint32_t gg = map[j];
			if (!p->cnt[j])
				continue;
			if (!s->cnt[gg])
				m[gg] = pm[j];
			else if (d->fn == EX_AGG_BIT_AND)
				m[gg] &= pm[j];
			else if (d->fn == EX_AGG_BIT_OR)
				m[gg] |= pm[j];
			else
				m[gg] ^= pm[j];
			s->cnt[gg] += p->cnt[j];
		}
		return TARN_OK;
	}
	case K_FIRST:
		for (int64_t j = 0; j < n; j++) {
			uint32_t gg = map[j];
			if (!p->cnt[j])
				continue;
			bool take = d->fn == EX_AGG_LAST || !s->cnt[gg];
			s->cnt[gg] += p->cnt[j];
			if (!take)
				continue;
			s->argnull[gg] = p->argnull[j];
			if (p->argnull[j])
				continue;
			if (!d->w) {
				if (sbuf_set(&s->sval[gg], p->sval[j].p, p->sval[j].n, &t->strbytes))
					return tarn_err_nomem(err, ex_agg_name(d->fn));
			} else {
				memcpy(s->val + (size_t)gg * d->w, p->val + (size_t)j * d->w, (size_t)d->w);
			}
		}
		return TARN_OK;
	case K_HLL:
		for (int64_t j = 0; j < n; j++) {
			uint32_t gg = map[j];
			if (!p->cnt[j])
				continue;
			s->cnt[gg] += p->cnt[j];
			if (hll_merge(&s->hll[gg], &p->hll[j], &t->strbytes))
				return tarn_err_nomem(err, "approx_count_distinct");
		}
		return TARN_OK;
	case K_HOLO: {
		/* append the partial's entries, group ids through map */
		struct holo *h = &s->h;
		const struct holo *ph = &p->h;
		if (!ph->n)
			return TARN_OK;
		if (h->n + ph->n > UINT32_MAX)
			return tarn_err_set(err, TARN_ELIMIT, "%s: more than %u values in one aggregate",
					    ex_agg_name(d->fn), UINT32_MAX);
		if (h->n + ph->n > h->cap) {
			int64_t cap = h->cap ? h->cap : 1024;
			while (cap < h->n + ph->n)
				cap *= 2;
			uint32_t *gid = tarn_realloc(h->gid, (size_t)cap * sizeof *gid);
			if (!gid)
				return tarn_err_nomem(err, ex_agg_name(d->fn));
			h->gid = gid;
			h->cap = cap;
		}
		for (int64_t j = 0; j < ph->n; j++)
			h->gid[h->n + j] = map[ph->gid[j]];
		tarn_rc rc = ex_array_gather(h->val, ph->val, NULL, 0, ph->n);
		for (int k = 0; !rc && k < d->n_order; k++)
			rc = ex_array_gather(h->key[k], ph->key[k], NULL, 0, ph->n);
		if (rc)
			return rc == TARN_ENOMEM ? tarn_err_nomem(err, ex_agg_name(d->fn))
						 : tarn_err_set(err, rc, "%s: too many values",
								ex_agg_name(d->fn));
		h->n += ph->n;
		for (int64_t j = 0; j < n; j++)
			s->cnt[map[j]] += p->cnt[j];
		return TARN_OK;
	}
	default: return tarn_err_set(err, TARN_EINTERNAL, "aggregate kind %d", d->kind);
	}
}

/* Appends rows sel[0..n) of x (with their ORDER BY values kv) to the
 * holistic store, group of row i = GID(i); null values are skipped except
 * for first/last, which return them. rows/ix: scratch of n entries. */
static tarn_rc holo_append(const struct agg_def *d, struct agg_st *s, const struct ex_vec *x,
			   const struct ex_vec *kv, const uint32_t *sel, int64_t n,
			   const uint32_t *g, uint32_t g0, uint32_t *rows, uint32_t *ix,
			   struct tarn_err *err)
{
	struct holo *h = &s->h;
	if (x->a->type->id == TARN_T_NULL || d->in->id == TARN_T_NULL)
		return TARN_OK; /* the result is NULL whatever the rows */
	bool keep_nulls = d->fn == EX_AGG_FIRST || d->fn == EX_AGG_LAST || d->fn == EX_AGG_LIST;
	int64_t m = 0;
	for (int64_t k = 0; k < n; k++) {
		uint32_t i = sel ? sel[k] : (uint32_t)k;
		if (!keep_nulls && ex_is_null(x->a, x->is_const ? 0 : i))
			continue;
		rows[m++] = i;
	}
	if (!m)
		return TARN_OK;
	if (h->n + m > UINT32_MAX)
		return tarn_err_set(err, TARN_ELIMIT, "%s: more than %u values in one aggregate",
				    ex_agg_name(d->fn), UINT32_MAX);
	if (h->n + m > h->cap) {
		int64_t cap = h->cap ? h->cap : 1024;
		while (cap < h->n + m)
			cap *= 2;
		uint32_t *gid = tarn_realloc(h->gid, (size_t)cap * sizeof *gid);
		if (!gid)
			return tarn_err_nomem(err, ex_agg_name(d->fn));
		h->gid = gid;
		h->cap = cap;
	}
	for (int64_t k = 0; k < m; k++) {
		uint32_t gg = GID(rows[k]);
		h->gid[h->n + k] = gg;
		s->cnt[gg]++;
	}
	tarn_rc rc = TARN_OK;
	for (int c = -1; !rc && c < d->n_order; c++) {
		const struct ex_vec *v = c < 0 ? x : &kv[c];
		for (int64_t k = 0; k < m; k++)
			ix[k] = v->is_const ? 0 : rows[k];
		rc = ex_array_gather(c < 0 ? h->val : h->key[c], v->a, ix, 0, m);
	}
	if (rc)
		return rc == TARN_ENOMEM ? tarn_err_nomem(err, ex_agg_name(d->fn))
					 : tarn_err_set(err, rc, "%s: too many values", ex_agg_name(d->fn));
	h->n += m;
	return TARN_OK;
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
	struct ex_eval ***oev; /* per aggregate: its ORDER BY keys' evaluators */
	struct ex_vec *okv;    /* scratch: ORDER BY values */
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
		for (int k = 0; p->oev && p->oev[a] && k < o->aggs[a].n_order; k++)
			ex_eval_free(p->oev[a][k]);
		if (p->oev)
			tarn_free(p->oev[a]);
	}
	tarn_free(p->oev);
	tarn_free(p->okv);
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
	p->oev = tarn_calloc(na, sizeof *p->oev);
	int max_order = 1;
	for (int a = 0; a < o->n_aggs; a++)
		if (o->aggs[a].n_order > max_order)
			max_order = o->aggs[a].n_order;
	p->okv = tarn_calloc((size_t)max_order, sizeof *p->okv);
	tarn_rc rc = !p->kev || !p->kv || !p->aev || !p->vev || !p->fev || !p->oev || !p->okv
			     ? TARN_ENOMEM
			     : TARN_OK;
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
		if (!rc && d->kind == K_HOLO && d->n_order) {
			p->oev[a] = tarn_calloc((size_t)d->n_order, sizeof *p->oev[a]);
			if (!p->oev[a])
				rc = TARN_ENOMEM;
			for (int k = 0; !rc && k < d->n_order; k++)
				rc = ex_eval_new(d->order[k].expr, &p->oev[a][k]);
		}
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
		if (d->kind == K_HOLO) {
			for (int k = 0; k < d->n_order; k++)
				if ((rc = ex_eval_run(p->oev[a][k], d->order[k].expr, in, as, an,
						      &p->okv[k], err)))
					goto out;
			if ((rc = holo_append(d, s, &x, p->okv, as, an, g, 0, p->dsel, p->dg, err)))
				goto out;
			continue;
		}
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
	table_reset(t, o->aggs, o->n_aggs);
	/* memory: count what the total grew by */
	int64_t now = table_bytes(T, o->aggs, o->n_aggs);
	if (now > op->mem_held) {
		TRY(ex_mem_reserve(op->q, "hash aggregate", now - op->mem_held, err));
		op->mem_held = now;
	}
	return TARN_OK;
}

/* ---- finalising ---------------------------------------------------------------------------- */

/* Holistic aggregates are finalised from their store: the entries are
 * ordered by group (a stable counting sort, so a group's entries keep
 * their arrival order), then each group's slice is sorted as the
 * aggregate needs — by value (quantiles, mode, DISTINCT) or by the ORDER
 * BY keys (string_agg, first, last) — with a stable merge sort, ties
 * keeping arrival order. Everything is a function of the store's order,
 * which the morsel-ordered merge fixes, so any thread count gives the
 * same answer. */

struct hcmp {
	const struct holo *h;
	const struct agg_def *d;
	bool by_keys;
};

static int hcmp_entries(const struct hcmp *c, uint32_t i, uint32_t j)
{
	if (!c->by_keys) {
		/* NULLs (kept by first/last/list) sort first and equal each other */
		const struct tarn_array *a = c->h->val;
		bool ni = ex_is_null(a, i), nj = ex_is_null(a, j);
		if (ni || nj)
			return (int)nj - (int)ni;
		return ex_value_cmp(a, i, a, j);
	}
	for (int k = 0; k < c->d->n_order; k++) {
		const struct ex_sort_key *sk = &c->d->order[k];
		const struct tarn_array *a = c->h->key[k];
		bool ni = ex_is_null(a, i) || a->type->id == TARN_T_NULL;
		bool nj = ex_is_null(a, j) || a->type->id == TARN_T_NULL;
		if (ni || nj) {
			if (ni && nj)
				continue;
			return (ni ? -1 : 1) * (sk->nulls_first ? 1 : -1);
		}
		int r = ex_value_cmp(a, i, a, j);
		if (r)
			return sk->desc ? -r : r;
	}
	return 0;
}

/* Stable merge sort of v[0..n) (tmp: n entries of scratch). */
static void hsort(const struct hcmp *c, uint32_t *v, uint32_t *tmp, int64_t n)
{
	if (n <= 16) {
		for (int64_t i = 1; i < n; i++) {
			uint32_t x = v[i];
			int64_t j = i;
			while (j > 0 && hcmp_entries(c, v[j - 1], x) > 0) {
				v[j] = v[j - 1];
				j--;
			}
			v[j] = x;
		}
		return;
	}
	int64_t h = n / 2;
	hsort(c, v, tmp, h);
	hsort(c, v + h, tmp, n - h);
	if (hcmp_entries(c, v[h - 1], v[h]) <= 0)
		return;
	memcpy(tmp, v, (size_t)h * sizeof *v);
	int64_t i = 0, j = h, k = 0;
	while (i < h && j < n)
		v[k++] = hcmp_entries(c, v[j], tmp[i]) < 0 ? v[j++] : tmp[i++];
	while (i < h)
		v[k++] = tmp[i++];
}

/* Fast path of the value sort for fixed-width values: each entry gets a
 * 64-bit key ordered as the values are (floats: the IEEE total order with
 * -0.0 = 0.0 and one NaN, above every number), and (key, entry) pairs are
 * sorted — arrival order breaks ties, as the stable sort would. */
struct hkey {
	int64_t k;
	uint32_t idx;
};

static int cmp_hkey(const void *a, const void *b)
{
	const struct hkey *x = a, *y = b;
	if (x->k != y->k)
		return x->k < y->k ? -1 : 1;
	return (x->idx > y->idx) - (x->idx < y->idx);
}

static int64_t f64_key(double d)
{
	if (d != d)
		return INT64_MAX;
	if (d == 0)
		d = 0;
	int64_t b;
	memcpy(&b, &d, 8);
	return b < 0 ? (int64_t)((uint64_t)b ^ INT64_MAX) : b;
}

/* Keys of entries v[0..n); false when the type has no such key (strings,
 * decimals past int64). */
static bool hkeys_fill(const struct tarn_array *a, const uint32_t *v, int64_t n, struct hkey *out)
{
	const uint8_t *p = a->values;
	if (ex_has_nulls(a))
		return false;
	for (int64_t i = 0; i < n; i++) {
		uint32_t e = v[i];
		int64_t k;
		switch (a->type->id) {
		case TARN_T_BOOL: k = tarn_bit_get(p, e); break;
		case TARN_T_INT8: k = ((const int8_t *)p)[e]; break;
		case TARN_T_INT16: k = ((const int16_t *)p)[e]; break;
		case TARN_T_INT32:
		case TARN_T_DATE32: k = ((const int32_t *)p)[e]; break;
		case TARN_T_INT64:
		case TARN_T_TIME64:
		case TARN_T_TIMESTAMP: k = ((const int64_t *)p)[e]; break;
		case TARN_T_UINT8: k = p[e]; break;
		case TARN_T_UINT16: k = ((const uint16_t *)p)[e]; break;
		case TARN_T_UINT32: k = ((const uint32_t *)p)[e]; break;
		case TARN_T_UINT64: k = (int64_t)(((const uint64_t *)p)[e] ^ ((uint64_t)1 << 63)); break;
		case TARN_T_FLOAT32: k = f64_key(((const float *)p)[e]); break;
		case TARN_T_FLOAT64: k = f64_key(((const double *)p)[e]); break;
		case TARN_T_DECIMAL128: {
			tarn_i128 d = ((const tarn_i128 *)p)[e];
			if (d > INT64_MAX || d < INT64_MIN)
				return false;
			k = (int64_t)d;
			break;
		}
		default: return false;
		}
		out[i].k = k;
		out[i].idx = e;
	}
	return true;
}

/* Sorts slice v[0..n) by value (ties: arrival order). keys: n entries of
 * scratch, or NULL. */
static void hsort_values(const struct hcmp *c, uint32_t *v, uint32_t *tmp, struct hkey *keys,
			 int64_t n)
{
	if (keys && n > 16 && hkeys_fill(c->h->val, v, n, keys)) {
		qsort(keys, (size_t)n, sizeof *keys, cmp_hkey);
		for (int64_t i = 0; i < n; i++)
			v[i] = keys[i].idx;
		return;
	}
	struct hcmp bv = *c;
	bv.by_keys = false;
	hsort(&bv, v, tmp, n);
}

static void hkey_swap(struct hkey *a, int64_t i, int64_t j)
{
	struct hkey t = a[i];
	a[i] = a[j];
	a[j] = t;
}

/* Moves the k-th smallest of a[0..n) (by key, then entry) to a[k], smaller
 * ones before it (Hoare's selection, median-of-three pivots). */
static void hkey_select(struct hkey *a, int64_t n, int64_t k)
{
	int64_t l = 0, r = n - 1;
	while (r > l) {
		int64_t mid = l + (r - l) / 2;
		if (cmp_hkey(&a[mid], &a[l]) < 0)
			hkey_swap(a, l, mid);
		if (cmp_hkey(&a[r], &a[l]) < 0)
			hkey_swap(a, l, r);
		if (cmp_hkey(&a[r], &a[mid]) < 0)
			hkey_swap(a, mid, r);
		struct hkey p = a[mid];
		int64_t i = l, j = r;
		while (i <= j) {
			while (cmp_hkey(&a[i], &p) < 0)
				i++;
			while (cmp_hkey(&p, &a[j]) < 0)
				j--;
			if (i <= j)
				hkey_swap(a, i++, j--);
		}
		if (k <= j)
			r = j;
		else if (k >= i)
			l = i;
		else
			return;
	}
}

/* Order statistics lo <= hi of slice v[0..n) into v[lo], v[hi] without a
 * full sort (fixed-width values); false when the type has no key. */
static bool hselect(const struct hcmp *c, uint32_t *v, struct hkey *keys, int64_t n, int64_t lo,
		    int64_t hi)
{
	if (!keys || n <= 16 || !hkeys_fill(c->h->val, v, n, keys))
		return false;
	hkey_select(keys, n, lo);
	v[lo] = keys[lo].idx;
	if (hi > lo) {
		int64_t best = lo + 1;
		for (int64_t i = lo + 2; i < n; i++)
			if (cmp_hkey(&keys[i], &keys[best]) < 0)
				best = i;
		v[hi] = keys[best].idx;
	}
	return true;
}

/* mode for every group at once by hashing (group, value) pairs: pair ids
 * count their entries and remember their first; per group the pair with
 * the most entries wins, ties going to the earliest first entry. */
static tarn_rc mode_hash(struct ex_op *op, const struct agg_def *d, const struct holo *h,
			 int64_t ng, uint32_t *pick, struct tarn_err *err)
{
	int64_t n = h->n;
	const struct tarn_type *dk[2] = { &u32_type, d->in };
	struct ex_groups gs;
	tarn_rc rc = ex_groups_init(&gs, 2, dk);
	uint32_t *pid = tarn_malloc((size_t)(n ? n : 1) * sizeof *pid);
	uint32_t *sel = tarn_malloc((size_t)65536 * sizeof *sel);
	int64_t *cnt = NULL, *bestc = NULL;
	uint32_t *first = NULL;
	int64_t reserved = 0;
	if (!rc && (!pid || !sel))
		rc = TARN_ENOMEM;
	struct tarn_array gv = { .type = &u32_type, .length = n, .values = (uint8_t *)h->gid };
	struct ex_vec keys[2] = { { &gv, false }, { h->val, false } };
	for (int64_t k0 = 0; !rc && k0 < n; k0 += 65536) {
		int64_t m = n - k0 < 65536 ? n - k0 : 65536;
		for (int64_t k = 0; k < m; k++)
			sel[k] = (uint32_t)(k0 + k);
		rc = ex_groups_lookup(&gs, keys, sel, m, pid + k0);
	}
	int64_t np = gs.n;
	if (!rc) {
		reserved = ex_groups_bytes(&gs) + np * 12 + ng * 8;
		if (ex_mem_reserve(op->q, "hash aggregate", reserved, err)) {
			reserved = 0;
			rc = TARN_ELIMIT;
		}
	}
	if (!rc) {
		cnt = tarn_calloc((size_t)(np ? np : 1), sizeof *cnt);
		first = tarn_malloc((size_t)(np ? np : 1) * sizeof *first);
		bestc = tarn_calloc((size_t)(ng ? ng : 1), sizeof *bestc);
		if (!cnt || !first || !bestc)
			rc = TARN_ENOMEM;
	}
	for (int64_t i = 0; !rc && i < n; i++)
		if (!cnt[pid[i]]++)
			first[pid[i]] = (uint32_t)i;
	for (int64_t p = 0; !rc && p < np; p++) {
		uint32_t g = h->gid[first[p]];
		if (cnt[p] > bestc[g] || (cnt[p] == bestc[g] && first[p] < pick[g])) {
			bestc[g] = cnt[p];
			pick[g] = first[p];
		}
	}
	if (reserved)
		ex_mem_release(op->q, reserved);
	ex_groups_free(&gs);
	tarn_free(pid);
	tarn_free(sel);
	tarn_free(cnt);
	tarn_free(first);
	tarn_free(bestc);
	if (rc == TARN_ENOMEM)
		return tarn_err_nomem(err, "mode");
	return rc;
}

/* Keeps the first arrival of every distinct value of slice v[0..n) (sorted
 * by value on return); returns the new length. */
static int64_t hdedupe(const struct hcmp *c, uint32_t *v, uint32_t *tmp, struct hkey *keys,
		       int64_t n)
{
	struct hcmp bv = *c;
	bv.by_keys = false;
	hsort_values(&bv, v, tmp, keys, n);
	int64_t m = 0;
	for (int64_t i = 0; i < n; i++)
		if (!m || hcmp_entries(&bv, v[m - 1], v[i]) != 0)
			v[m++] = v[i];
	return m;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

/* Value of a sorted entry as a number for interpolation: doubles for
 * numbers, int64 (microseconds for dates) for temporal types, the unscaled
 * decimal. */
static long double hnum(const struct tarn_array *a, int64_t i)
{
	switch (a->type->id) {
	case TARN_T_DECIMAL128: return (long double)((const tarn_i128 *)a->values)[i];
	case TARN_T_DATE32: return (long double)((const int32_t *)a->values)[i] * 86400000000.0L;
	case TARN_T_TIMESTAMP:
	case TARN_T_TIME64: return (long double)((const int64_t *)a->values)[i];
	default: return ex_agg_load_f64(a, i);
	}
}

/* The discrete quantile's position in a sorted slice of n: ceil(n * q) - 1
 * (at least 0), exact when q was written as a decimal (as DuckDB). */
int64_t ex_agg_disc_pos(double q, tarn_i128 q_num, int64_t q_den, int64_t n)
{
	int64_t c;
	if (q_den > 0) {
		tarn_i128 num = (tarn_i128)n * q_num;
		c = (int64_t)((num + q_den - 1) / q_den);
	} else {
		c = (int64_t)ceil((double)n * q);
	}
	if (c < 1)
		c = 1;
	if (c > n)
		c = n;
	return c - 1;
}

static int64_t disc_index(const struct agg_def *d, int64_t n)
{
	return ex_agg_disc_pos(d->q, d->q_num, d->q_den, n);
}

tarn_rc ex_agg_cont_append(const struct tarn_array *val, int64_t xr, int64_t yr, double frac,
			   struct tarn_array *dst)
{
	long double x = hnum(val, xr), y = hnum(val, yr);
	enum tarn_type_id id = val->type->id;
	if (id == TARN_T_DECIMAL128 || id == TARN_T_DATE32 || id == TARN_T_TIMESTAMP ||
	    id == TARN_T_TIME64) {
		/* integral representations: rounded to the nearest (ties to even),
		 * as DuckDB's cast from double */
		long double res = nearbyintl(x + (y - x) * (long double)frac);
		if (id == TARN_T_DECIMAL128)
			return tarn_array_append_decimal(dst, (tarn_i128)res);
		return tarn_array_append_int(dst, (int64_t)res);
	}
	double dx = (double)x, dy = (double)y;
	return tarn_array_append_double(dst, frac == 0 ? dx : dx + (dy - dx) * frac);
}

/* Appends quantile_cont at q of the m entries v (v[lo], v[hi] in place:
 * sorted or selected) to dst. */
static tarn_rc cont_append(const struct agg_def *d, const struct holo *h, const uint32_t *v,
			   int64_t m, double q, struct tarn_array *dst)
{
	(void)d;
	double rn = (double)(m - 1) * q;
	int64_t lo = (int64_t)floor(rn), hi = (int64_t)ceil(rn);
	return ex_agg_cont_append(h->val, v[lo], v[hi], lo == hi ? 0 : rn - (double)lo, dst);
}

static tarn_rc finalize_holo(struct agg_op *o, int a, int64_t ng, struct tarn_array *r,
			     struct tarn_err *err);

static tarn_rc finalize_holo(struct agg_op *o, int a, int64_t ng, struct tarn_array *r,
			     struct tarn_err *err)
{
	const struct agg_def *d = &o->aggs[a];
	const struct agg_st *s = &o->total.st[a];
	const struct holo *h = &s->h;
	int64_t n = h->n;
	TRY(tarn_array_reserve(r, ng));
	uint32_t *perm = tarn_malloc((size_t)(n ? n : 1) * sizeof *perm);
	uint32_t *tmp = tarn_malloc((size_t)(n ? n : 1) * sizeof *tmp);
	int64_t *off = tarn_calloc((size_t)ng + 2, sizeof *off);
	uint32_t *pick = tarn_malloc((size_t)(ng ? ng : 1) * sizeof *pick);
	/* value-keyed sorts: quantiles and DISTINCT (mode hashes instead) */
	bool want_keys = d->hdistinct || d->fn == EX_AGG_MEDIAN || d->fn == EX_AGG_QUANTILE_CONT ||
			 d->fn == EX_AGG_QUANTILE_DISC;
	struct hkey *keys = want_keys ? tarn_malloc((size_t)(n ? n : 1) * sizeof *keys) : NULL;
	struct tarn_buf buf;
	tarn_buf_init(&buf);
	tarn_rc rc = perm && tmp && off && pick && (keys || !want_keys) ? TARN_OK : TARN_ENOMEM;
	/* the extra memory of finalising: the permutation and scratch */
	int64_t extra = n * (want_keys ? 24 : 8) + ng * 12;
	bool reserved = false;
	if (!rc && !(rc = ex_mem_reserve(o->base.q, "hash aggregate", extra, err)))
		reserved = true;
	if (!rc) {
		for (int64_t i = 0; i < n; i++)
			off[h->gid[i] + 2]++;
		for (int64_t g = 0; g < ng; g++)
			off[g + 2] += off[g + 1];
		for (int64_t i = 0; i < n; i++)
			perm[off[h->gid[i] + 1]++] = (uint32_t)i;
	}
	struct hcmp cv = { h, d, false }, ck = { h, d, true };
	bool hashed_mode = d->fn == EX_AGG_MODE && !d->hdistinct;
	if (hashed_mode && !rc) {
		for (int64_t g = 0; g < ng; g++)
			pick[g] = EX_NULL_ROW;
		rc = mode_hash(&o->base, d, h, ng, pick, err);
	}
	for (int64_t g = 0; !rc && !hashed_mode && g < ng; g++) {
		uint32_t *v = perm + off[g];
		int64_t m = off[g + 1] - off[g];
		pick[g] = EX_NULL_ROW;
		if (!m) {
			if (d->n_ql || (d->fn != EX_AGG_QUANTILE_DISC && d->fn != EX_AGG_MODE &&
			    d->fn != EX_AGG_FIRST && d->fn != EX_AGG_LAST && d->fn != EX_AGG_ANY_VALUE))
				rc = tarn_array_append_null(r);
			continue;
		}
		if (d->hdistinct) {
			m = hdedupe(&cv, v, tmp, keys, m);
			if (d->fn != EX_AGG_MEDIAN && d->fn != EX_AGG_QUANTILE_CONT &&
			    d->fn != EX_AGG_QUANTILE_DISC && d->fn != EX_AGG_MODE) /* arrival order */
				qsort(v, (size_t)m, sizeof *v, cmp_u32);
		}
		if (d->n_ql) {
			/* a list of quantiles: sort once, read each position */
			if (!d->hdistinct)
				hsort_values(&cv, v, tmp, keys, m);
			for (int i = 0; !rc && i < d->n_ql; i++) {
				const struct qfrac *qf = &d->ql[i];
				if (d->fn == EX_AGG_QUANTILE_DISC)
					rc = ex_array_gather(r->children[0], h->val,
							     v + ex_agg_disc_pos(qf->q, qf->num, qf->den, m), 0,
							     1);
				else
					rc = cont_append(d, h, v, m, qf->q, r->children[0]);
			}
			if (!rc)
				rc = tarn_array_list_end(r, true);
			continue;
		}
		switch (d->fn) {
		case EX_AGG_MEDIAN:
		case EX_AGG_QUANTILE_CONT: {
			double rn = (double)(m - 1) * d->q;
			int64_t lo = (int64_t)floor(rn), hi = (int64_t)ceil(rn);
			if (!d->hdistinct && !hselect(&cv, v, keys, m, lo, hi))
				hsort_values(&cv, v, tmp, keys, m);
			rc = cont_append(d, h, v, m, d->q, r);
			break;
		}
		case EX_AGG_QUANTILE_DISC: {
			int64_t k = disc_index(d, m);
			if (!d->hdistinct && !hselect(&cv, v, keys, m, k, k))
				hsort_values(&cv, v, tmp, keys, m);
			pick[g] = v[k];
			break;
		}
		case EX_AGG_MODE: {
			if (!d->hdistinct)
				hsort_values(&cv, v, tmp, keys, m);
			/* the longest run of equal values; ties: the earliest arrival
			 * (a run's first entry is its earliest, the sort being stable) */
			int64_t best = 0, best_n = 0;
			for (int64_t i = 0; i < m;) {
				int64_t j = i + 1;
				while (j < m && hcmp_entries(&cv, v[i], v[j]) == 0)
					j++;
				if (j - i > best_n || (j - i == best_n && v[i] < v[best])) {
					best = i;
					best_n = j - i;
				}
				i = j;
			}
			pick[g] = v[best];
			break;
		}
		case EX_AGG_FIRST:
		case EX_AGG_LAST:
		case EX_AGG_ANY_VALUE: /* any_value: null values were not kept */
			if (d->n_order)
				hsort(&ck, v, tmp, m);
			pick[g] = d->fn == EX_AGG_LAST ? v[m - 1] : v[0];
			break;
		case EX_AGG_LIST:
			if (d->n_order)
				hsort(&ck, v, tmp, m);
			rc = ex_array_gather(r->children[0], h->val, v, 0, m);
			if (!rc)
				rc = tarn_array_list_end(r, true);
			break;
		case EX_AGG_STRING_AGG: {
			if (d->n_order)
				hsort(&ck, v, tmp, m);
			buf.len = 0;
			for (int64_t i = 0; !rc && i < m; i++) {
				size_t len;
				const uint8_t *p = tarn_array_get_bytes(h->val, v[i], &len);
				if (i)
					rc = tarn_buf_append(&buf, d->sep, d->sep_len);
				if (!rc)
					rc = tarn_buf_append(&buf, p, len);
			}
			if (rc == TARN_ELIMIT)
				rc = tarn_err_set(err, TARN_ELIMIT,
						  "string_agg: a result longer than 2 GiB");
			if (!rc)
				rc = tarn_array_append_bytes(r, buf.data ? buf.data : "", buf.len);
			break;
		}
		default: rc = TARN_EINTERNAL; break;
		}
	}
	if (!rc && !d->n_ql &&
	    (d->fn == EX_AGG_QUANTILE_DISC || d->fn == EX_AGG_MODE || d->fn == EX_AGG_FIRST ||
	     d->fn == EX_AGG_LAST || d->fn == EX_AGG_ANY_VALUE)) {
		if (d->in->id == TARN_T_NULL) {
			for (int64_t g = 0; !rc && g < ng; g++)
				rc = tarn_array_append_null(r);
		} else {
			rc = ex_array_gather(r, h->val, pick, 0, ng);
		}
	}
	if (reserved)
		ex_mem_release(o->base.q, extra);
	tarn_free(perm);
	tarn_free(tmp);
	tarn_free(off);
	tarn_free(pick);
	tarn_free(keys);
	tarn_buf_free(&buf);
	if (rc == TARN_ENOMEM)
		return tarn_err_nomem(err, ex_agg_name(d->fn));
	if (rc && rc != TARN_ELIMIT && rc != TARN_EDATA)
		return tarn_err_set(err, rc, "%s: cannot finalise", ex_agg_name(d->fn));
	if (!rc)
		ex_array_finish(r);
	return rc;
}

/* corr, covar_pop/samp and regr_* of n pairs (a, v) from their co-moments: means ma and
 * mv, sums of squared deviations m2a, m2v, and of cross deviations cxy.
 * False: the result is NULL. */
bool ex_agg_comoment_value(enum ex_agg_fn fn, double n, double ma, double mv, double m2a,
			   double m2v, double cxy, double *out)
{
	double v = NAN, cn = n;
	bool null = n < (fn == EX_AGG_COVAR_SAMP ? 2 : 1);
	double cov = null ? 0 : cxy / cn;
	double va = null ? 0 : m2a / cn, vv = null ? 0 : m2v / cn;
	if (va < 0)
		va = 0;
	if (vv < 0)
		vv = 0;
	switch (fn) {
	case EX_AGG_COVAR_POP: v = cov; break;
	case EX_AGG_COVAR_SAMP: v = null ? 0 : cxy / (cn - 1); break;
	case EX_AGG_CORR:
		if (!null && (va == 0 || vv == 0))
			null = true;
		else if (!null)
			v = cov / (sqrt(va) * sqrt(vv));
		break;
	case EX_AGG_REGR_SLOPE: /* (y, x): arg y, val x */
	case EX_AGG_REGR_INTERCEPT:
		if (!null && vv == 0)
			null = true;
		else if (!null) {
			v = cov / vv;
			if (fn == EX_AGG_REGR_INTERCEPT)
				v = ma - v * mv;
		}
		break;
	default: /* regr_r2 */
		if (!null && vv == 0)
			null = true;
		else if (!null && va == 0)
			v = 1;
		else if (!null)
			v = (cov * cov) / (va * vv);
		break;
	}
	*out = v;
	return !null;
}

static tarn_rc finalize_agg(struct agg_op *o, int a, int64_t n, struct tarn_array *r,
			    struct tarn_err *err)
{
	const struct agg_def *d = &o->aggs[a];
	const struct agg_st *s = &o->total.st[a];
	if (d->kind == K_HOLO)
		return finalize_holo(o, a, n, r, err);
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
			rc = !c ? tarn_array_append_null(r)
				: append_stored(r, d->in, d->kind == K_MINMAX_S ? 0 : d->w, s->val,
						gg, &s->sval[gg]);
			break;
		case EX_AGG_ARG_MIN:
		case EX_AGG_ARG_MAX:
			rc = !c || s->argnull[gg]
				     ? tarn_array_append_null(r)
				     : append_stored(r, d->in, d->aw, s->arg, gg, &s->sarg[gg]);
			break;
		case EX_AGG_CORR:
		case EX_AGG_COVAR_POP:
		case EX_AGG_COVAR_SAMP:
		case EX_AGG_REGR_SLOPE:
		case EX_AGG_REGR_INTERCEPT:
		case EX_AGG_REGR_R2: {
			double v;
			bool null = !ex_agg_comoment_value(d->fn, (double)c, s->f[gg], s->fv[gg],
							    s->m2[gg], s->m2v[gg], s->cxy[gg], &v);
			rc = null ? tarn_array_append_null(r) : tarn_array_append_double(r, v);
			break;
		}
		case EX_AGG_PRODUCT:
			rc = c ? tarn_array_append_double(r, s->f[gg]) : tarn_array_append_null(r);
			break;
		case EX_AGG_BIT_AND:
		case EX_AGG_BIT_OR:
		case EX_AGG_BIT_XOR:
			if (!c || d->in->id == TARN_T_NULL) {
				rc = tarn_array_append_null(r);
			} else {
				/* the low bytes of the 64-bit pattern (little-endian) */
				struct tarn_array one = { .type = d->in, .length = 1,
							  .values = s->val + (size_t)gg * 8 };
				rc = ex_array_gather(r, &one, NULL, 0, 1);
			}
			break;
		case EX_AGG_FIRST:
		case EX_AGG_LAST:
		case EX_AGG_ANY_VALUE:
			rc = !c || s->argnull[gg] || d->in->id == TARN_T_NULL
				     ? tarn_array_append_null(r)
				     : append_stored(r, d->in, d->w, s->val, gg, &s->sval[gg]);
			break;
		case EX_AGG_APPROX_COUNT_DISTINCT:
			rc = tarn_array_append_int(r, c ? hll_estimate(&s->hll[gg]) : 0);
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
		ex_expr_free(o->aggs[a].param);
		for (int k = 0; k < o->aggs[a].n_order; k++)
			ex_expr_free(o->aggs[a].order[k].expr);
		tarn_free(o->aggs[a].order);
		tarn_free(o->aggs[a].sep);
		tarn_free(o->aggs[a].ql);
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
	case EX_AGG_CORR:
	case EX_AGG_COVAR_POP:
	case EX_AGG_COVAR_SAMP:
	case EX_AGG_REGR_SLOPE:
	case EX_AGG_REGR_INTERCEPT:
	case EX_AGG_REGR_R2: return K_COV;
	case EX_AGG_PRODUCT: return K_PROD;
	case EX_AGG_BIT_AND:
	case EX_AGG_BIT_OR:
	case EX_AGG_BIT_XOR: return K_BIT;
	case EX_AGG_FIRST:
	case EX_AGG_LAST:
	case EX_AGG_ANY_VALUE: return K_FIRST;
	case EX_AGG_APPROX_COUNT_DISTINCT: return K_HLL;
	case EX_AGG_MEDIAN:
	case EX_AGG_QUANTILE_CONT:
	case EX_AGG_QUANTILE_DISC:
	case EX_AGG_MODE:
	case EX_AGG_STRING_AGG:
	case EX_AGG_LIST: return K_HOLO;
	default: return K_VAR;
	}
}

void ex_agg_quantile_frac(const struct tarn_array *c, int64_t i, double *q, tarn_i128 *num,
			  int64_t *den)
{
	*q = ex_agg_load_f64(c, i);
	*num = 0;
	*den = 0;
	if (c->type->id == TARN_T_DECIMAL128 && c->type->scale <= 18) {
		*num = ((const tarn_i128 *)c->values)[i];
		*den = (int64_t)ex_pow10(c->type->scale);
	} else if (tarn_type_is_integer(c->type->id)) {
		*num = (tarn_i128)tarn_array_get_int(c, i);
		*den = 1;
	}
}

/* Checks and reads the constant parameter (quantile fraction, string_agg
 * separator), casts string_agg's argument to text, checks ORDER BY keys. */
static tarn_rc holistic_setup(struct agg_def *d, struct tarn_err *err)
{
	const char *name = ex_agg_name(d->fn);
	for (int k = 0; k < d->n_order; k++) {
		ex_expr_prepare(d->order[k].expr);
		if (!ex_type_is_scalar(d->order[k].expr->type.id) &&
		    d->order[k].expr->type.id != TARN_T_INTERVAL)
			return tarn_err_set(err, TARN_EUNSUPPORTED,
					    "%s: ORDER BY a %s value is not supported", name,
					    tarn_type_id_name(d->order[k].expr->type.id));
	}
	bool quant = d->fn == EX_AGG_QUANTILE_CONT || d->fn == EX_AGG_QUANTILE_DISC;
	if (d->fn == EX_AGG_MEDIAN) {
		d->q = 0.5;
		d->q_num = 1;
		d->q_den = 2;
	}
	if (quant != (d->param != NULL) && d->fn != EX_AGG_STRING_AGG)
		return tarn_err_set(err, TARN_EUSAGE, "%s: wrong number of arguments", name);
	if (quant && d->param->type.id == TARN_T_LIST) {
		/* a constant list of fractions */
		const struct ex_expr *e = d->param;
		const struct tarn_array *lv = e->value;
		if (!ex_expr_is_const(e) || tarn_array_is_null(lv, 0) || lv->n_children != 1 ||
		    !is_num(lv->children[0]->type->id))
			return tarn_err_set(err, TARN_EUSAGE,
					    "%s: the quantiles must be a constant list of numbers "
					    "between 0 and 1", name);
		const struct tarn_array *c = lv->children[0];
		int32_t from = lv->offsets[0], to = lv->offsets[1];
		if (to <= from)
			return tarn_err_set(err, TARN_EUSAGE, "%s: the list of quantiles is empty",
					    name);
		d->ql = tarn_calloc((size_t)(to - from), sizeof *d->ql);
		if (!d->ql)
			return tarn_err_nomem(err, name);
		for (int32_t i = from; i < to; i++) {
			struct qfrac *qf = &d->ql[d->n_ql++];
			if (ex_is_null(c, i))
				return tarn_err_set(err, TARN_EUSAGE, "%s: a quantile is NULL", name);
			ex_agg_quantile_frac(c, i, &qf->q, &qf->num, &qf->den);
			if (!(qf->q >= 0 && qf->q <= 1))
				return tarn_err_set(err, TARN_EUSAGE,
						    "%s: the quantile must be between 0 and 1 (got %g)",
						    name, qf->q);
		}
	} else if (quant) {
		const struct ex_expr *e = d->param;
		enum tarn_type_id id = e->type.id;
		if (!ex_expr_is_const(e) || !is_num(id) || tarn_array_is_null(e->value, 0))
			return tarn_err_set(err, TARN_EUSAGE,
					    "%s: the quantile must be a constant number between 0 "
					    "and 1", name);
		ex_agg_quantile_frac(e->value, 0, &d->q, &d->q_num, &d->q_den);
		if (!(d->q >= 0 && d->q <= 1))
			return tarn_err_set(err, TARN_EUSAGE,
					    "%s: the quantile must be between 0 and 1 (got %g)", name,
					    d->q);
	}
	if (d->fn == EX_AGG_STRING_AGG) {
		const char *sep = ",";
		size_t len = 1;
		if (d->param) {
			const struct ex_expr *e = d->param;
			if (!ex_expr_is_const(e) ||
			    (e->type.id != TARN_T_STRING && e->type.id != TARN_T_NULL))
				return tarn_err_set(err, TARN_EUSAGE,
						    "string_agg: the separator must be a constant string");
			if (e->type.id == TARN_T_NULL || tarn_array_is_null(e->value, 0))
				len = 0;
			else
				sep = (const char *)tarn_array_get_bytes(e->value, 0, &len);
		}
		d->sep = tarn_malloc(len + 1);
		if (!d->sep)
			return tarn_err_nomem(err, name);
		memcpy(d->sep, sep, len);
		d->sep[len] = 0;
		d->sep_len = len;
		enum tarn_type_id id = d->arg->type.id;
		if (id != TARN_T_STRING && id != TARN_T_BINARY && id != TARN_T_NULL) {
			struct tarn_type vt;
			tarn_type_init(&vt, TARN_T_STRING);
			struct ex_expr *c;
			struct ex_expr *arg = d->arg;
			d->arg = NULL;
			TRY(ex_expr_cast(arg, &vt, false, &c, err));
			d->arg = c;
			ex_expr_prepare(d->arg);
		}
	} else if (d->param && !quant) {
		return tarn_err_set(err, TARN_EUSAGE, "%s: wrong number of arguments", name);
	}
	return TARN_OK;
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
			ex_expr_free(aggs[a].param);
			for (int k = 0; k < aggs[a].n_order; k++)
				ex_expr_free(aggs[a].order[k].expr);
			tarn_free(aggs[a].order);
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
		d->param = aggs[a].param;
		d->order = aggs[a].order;
		d->n_order = aggs[a].n_order;
		tarn_type_init(&d->out, TARN_T_NULL);
	}
	for (int i = 0; !rc && i < n_keys; i++)
		if (!ex_type_is_scalar(keys[i]->type.id) && !tarn_type_is_nested(keys[i]->type.id) &&
		    keys[i]->type.id != TARN_T_INTERVAL)
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
		bool is_cov = d->fn >= EX_AGG_CORR && d->fn <= EX_AGG_REGR_R2;
		if ((is_arg || is_cov) != (d->val != NULL)) {
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
		if (d->distinct && (d->fn == EX_AGG_COUNT_STAR || is_arg || is_cov))
			rc = tarn_err_set(err, TARN_EUSAGE, "%s cannot be DISTINCT", ex_agg_name(d->fn));
		if (!rc)
			rc = holistic_setup(d, err);
		d->in = d->arg ? &d->arg->type : NULL;
		if (!rc)
			rc = ex_agg_type(d->fn, d->in, &d->out, err);
		if (!rc && d->n_ql) {
			/* quantile_*(x, [list]): a list of what one quantile gives */
			struct tarn_type lt;
			rc = tarn_type_init_list(&lt, &d->out, true);
			tarn_type_clear(&d->out);
			d->out = lt;
			if (rc)
				rc = tarn_err_nomem(err, ex_agg_name(d->fn));
		}
		if (!rc && is_arg && !ex_type_is_scalar(d->val->type.id))
			rc = agg_type_error(d->fn, &d->val->type, err);
		if (!rc && d->distinct && !ex_type_is_scalar(d->in->id) && d->in->id != TARN_T_INTERVAL)
			rc = agg_type_error(d->fn, d->in, err);
		d->kind = state_kind(d->fn, d->in);
		if (d->n_order && d->kind == K_FIRST)
			d->kind = K_HOLO;
		if (d->kind == K_HOLO && d->distinct) {
			d->hdistinct = true;
			d->distinct = false;
		}
		if (d->kind == K_HLL || d->kind == K_FIRST)
			d->distinct = false; /* DISTINCT does not change these */
		if (!rc && is_cov && !is_num(d->val->type.id) && d->val->type.id != TARN_T_NULL)
			rc = agg_type_error(d->fn, &d->val->type, err);
		if (d->kind == K_FIRST) {
			enum tarn_type_id aid = d->in->id;
			d->w = aid == TARN_T_STRING || aid == TARN_T_BINARY ? 0
			       : aid == TARN_T_BOOL || aid == TARN_T_NULL   ? 1
									    : tarn_type_width(aid);
		}
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
