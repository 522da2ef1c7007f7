/*
 * pushdown.c — from a scan's filter conjuncts to pruning ranges.
 *
 * The binder filters each table by the WHERE conjuncts that name it alone
 * (filter_rel); before the filter is built, ex_op_scan_push reads those
 * conjuncts for `column op constant` shapes and hands the scan one range
 * per usable conjunct (ex_op_scan_prune), which the Parquet and ORC
 * readers turn into skipped row groups, pages and stripes. Ranges are
 * hints only: the filter still tests every row, so a range that is wider
 * than the predicate (an IN list's min..max, a strict bound taken as
 * inclusive) costs nothing but reading.
 *
 * A column may sit under a cast that preserves order (integer widening,
 * integer or float32 to float64, date to timestamp, decimal to a decimal of
 * larger scale): the constant is cast back to the column's type by the
 * scan, and a constant that does not fit leaves that side unbounded. Any
 * rounding of that cast stays conservative because the column's values
 * lie on the coarser grid.
 */
#include <string.h>

#include "base/mem.h"
#include "sql/exec.h"
#include "sql/expr_int.h"

static bool is_int(enum tarn_type_id id)
{
	switch (id) {
	case TARN_T_INT8:
	case TARN_T_INT16:
	case TARN_T_INT32:
	case TARN_T_INT64:
	case TARN_T_UINT8:
	case TARN_T_UINT16:
	case TARN_T_UINT32:
	case TARN_T_UINT64: return true;
	default: return false;
	}
}

/* Does CAST(x AS to), x of type from, keep x's order? */
static bool order_preserving(const struct tarn_type *from, const struct tarn_type *to)
{
	if (from->id == to->id && from->id != TARN_T_DECIMAL128)
		return true;
	if (is_int(from->id) && (is_int(to->id) || to->id == TARN_T_DECIMAL128))
		return true; /* out-of-range values make the cast fail, not wrap */
	if ((is_int(from->id) && tarn_type_width(from->id) <= 4) || from->id == TARN_T_FLOAT32)
		return to->id == TARN_T_FLOAT64;
	if (from->id == TARN_T_DATE32)
		return to->id == TARN_T_TIMESTAMP;
	if (from->id == TARN_T_DECIMAL128 && to->id == TARN_T_DECIMAL128)
		return to->scale >= from->scale;
	return false;
}

/* The scan column e reads (through order-preserving casts), or -1. */
static int column_of(const struct ex_expr *e)
{
	while (e->kind == EX_E_CAST && !e->try_cast && e->n_args == 1 &&
	       order_preserving(&e->args[0]->type, &e->type))
		e = e->args[0];
	return e->kind == EX_E_COLUMN ? e->col : -1;
}

static bool is_const(const struct ex_expr *e)
{
	return e->kind == EX_E_CONST && e->value && e->value->length > 0 && !ex_is_null(e->value, 0);
}

/* The ranges gathered, one per column (merged when their constants have
 * the same type), and the constants made here (IN lists' ends). */
struct ranges {
	struct rng {
		int col;
		const struct ex_expr *lo, *hi;
	} *v;
	int n, cap;
	struct ex_expr **own;
	int n_own, cap_own;
};

static bool same_type(const struct ex_expr *a, const struct ex_expr *b)
{
	return a->value->type->id == b->value->type->id &&
	       (a->value->type->id != TARN_T_DECIMAL128 ||
		a->value->type->scale == b->value->type->scale) &&
	       ex_type_is_scalar(a->value->type->id);
}

/* Adds [lo, hi] for col, narrowing a range already there when comparable. */
static tarn_rc add_range(struct ranges *g, int col, const struct ex_expr *lo,
			 const struct ex_expr *hi)
{
	for (int i = 0; i < g->n; i++) {
		struct rng *r = &g->v[i];
		if (r->col != col)
			continue;
		bool ok = (!lo || !r->lo || same_type(lo, r->lo)) &&
			  (!hi || !r->hi || same_type(hi, r->hi));
		if (!ok)
			continue;
		if (lo && (!r->lo || ex_value_cmp(lo->value, 0, r->lo->value, 0) > 0))
			r->lo = lo;
		if (hi && (!r->hi || ex_value_cmp(hi->value, 0, r->hi->value, 0) < 0))
			r->hi = hi;
		return TARN_OK;
	}
	if (g->n == g->cap) {
		int cap = g->cap ? 2 * g->cap : 8;
		struct rng *v = tarn_realloc(g->v, (size_t)cap * sizeof *v);
		if (!v)
			return TARN_ENOMEM;
		g->v = v;
		g->cap = cap;
	}
	g->v[g->n++] = (struct rng){ col, lo, hi };
	return TARN_OK;
}

static tarn_rc own(struct ranges *g, struct ex_expr *e)
{
	if (g->n_own == g->cap_own) {
		int cap = g->cap_own ? 2 * g->cap_own : 8;
		struct ex_expr **v = tarn_realloc(g->own, (size_t)cap * sizeof *v);
		if (!v) {
			ex_expr_free(e);
			return TARN_ENOMEM;
		}
		g->own = v;
		g->cap_own = cap;
	}
	g->own[g->n_own++] = e;
	return TARN_OK;
}

/* IN (list): the range [min, max] of the list. */
static tarn_rc gather_in(struct ranges *g, const struct ex_expr *e)
{
	int col = column_of(e->args[0]);
	if (col < 0 || !e->in)
		return TARN_OK;
	const struct tarn_array *v = ex_inset_values(e->in);
	if (!v || v->length == 0 || !ex_type_is_scalar(v->type->id))
		return TARN_OK;
	int64_t mn = 0, mx = 0;
	for (int64_t i = 1; i < v->length; i++) {
		if (ex_value_cmp(v, i, v, mn) < 0)
			mn = i;
		if (ex_value_cmp(v, i, v, mx) > 0)
			mx = i;
	}
	struct ex_expr *lo = NULL, *hi = NULL;
	TRY(ex_expr_const(v, mn, &lo));
	TRY(own(g, lo));
	TRY(ex_expr_const(v, mx, &hi));
	TRY(own(g, hi));
	return add_range(g, col, lo, hi);
}

static tarn_rc gather(struct ranges *g, const struct ex_expr *e)
{
	switch (e->kind) {
	case EX_E_AND:
		for (int i = 0; i < e->n_args; i++)
			TRY(gather(g, e->args[i]));
		return TARN_OK;
	case EX_E_IN: return e->negate ? TARN_OK : gather_in(g, e);
	case EX_E_CMP: break;
	default: return TARN_OK;
	}
	if (e->n_args != 2 || e->op == EX_NE)
		return TARN_OK;
	const struct ex_expr *c = e->args[0], *k = e->args[1];
	int op = e->op;
	if (is_const(c) && !is_const(k)) { /* 5 < x: x > 5 */
		const struct ex_expr *t = c;
		c = k;
		k = t;
		op = op == EX_LT ? EX_GT : op == EX_LE ? EX_GE : op == EX_GT ? EX_LT
						   : op == EX_GE ? EX_LE
								 : op;
	}
	if (!is_const(k))
		return TARN_OK;
	int col = column_of(c);
	if (col < 0)
		return TARN_OK;
	switch (op) {
	case EX_EQ: return add_range(g, col, k, k);
	case EX_LT:
	case EX_LE: return add_range(g, col, NULL, k);
	case EX_GT:
	case EX_GE: return add_range(g, col, k, NULL);
	default: return TARN_OK;
	}
}

tarn_rc ex_op_scan_push(struct ex_op *op, struct ex_expr *const *conj, int n, struct tarn_err *err)
{
	if (!op || strcmp(op->vt->name, "scan") != 0)
		return TARN_OK;
	struct ranges g = { 0 };
	tarn_rc rc = TARN_OK;
	for (int i = 0; i < n && !rc; i++)
		if (conj[i])
			rc = gather(&g, conj[i]);
	for (int i = 0; i < g.n && !rc; i++) {
		const struct rng *r = &g.v[i];
		if (r->col < 0 || r->col >= op->schema->n_fields)
			continue;
		struct tarn_err sub;
		tarn_err_clear(&sub);
		/* a hint the reader cannot take is no error */
		if (ex_op_scan_prune(op, op->schema->fields[r->col].name, r->lo, r->hi, &sub) ==
		    TARN_ENOMEM)
			rc = TARN_ENOMEM;
	}
	for (int i = 0; i < g.n_own; i++)
		ex_expr_free(g.own[i]);
	tarn_free(g.own);
	tarn_free(g.v);
	return rc ? tarn_err_nomem(err, "scan pruning") : TARN_OK;
}
