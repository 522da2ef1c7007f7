/*
 * cse.c — common-subexpression elimination over the expressions one
 * operator evaluates (see cse.h).
 *
 * Subtrees are compared structurally (kind, operator, flags, result type,
 * column, constant value, function, arguments); nodes whose compiled state
 * cannot be compared (an IN set, a LIKE pattern, a loaded time zone) match
 * only themselves. Only positions evaluated on every row are considered:
 * AND/OR, CASE and COALESCE evaluate their later operands on some rows
 * only, so only their first operand is searched; hoisting a subtree from
 * a branch could raise an error (an overflow, a failing cast) on rows the
 * branch never sees.
 *
 * The largest repeated subtree is chosen first; the search then repeats
 * with the chosen subtrees treated as opaque, so a repeat nested inside a
 * chosen one is hoisted only if it also occurs elsewhere. At most
 * CSE_MAX hoists per operator.
 *
 * Relies on exec.h (ex_op_project) and expr.h. Runs at bind time, single
 * threaded.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base/mem.h"
#include "columnar/type.h"
#include "sql/cse.h"
#include "sql/expr_int.h"

#define CSE_MAX 16

bool sql_cse_volatile_name(const char *name)
{
	static const char *const vol[] = { "random",	"rand",	   "setseed", "gen_random_uuid",
					   "uuid",	"uuidv4",  "uuidv7",  "nextval",
					   "currval",	"lastval", NULL };
	for (int i = 0; name && vol[i]; i++)
		if (strcasecmp(name, vol[i]) == 0)
			return true;
	return false;
}

static bool const_eq(const struct tarn_array *a, const struct tarn_array *b)
{
	if (!a || !b)
		return a == b;
	if (!tarn_type_equal(a->type, b->type) || a->n_children || b->n_children)
		return false;
	bool na = a->type->id == TARN_T_NULL || ex_is_null(a, 0);
	bool nb = b->type->id == TARN_T_NULL || ex_is_null(b, 0);
	if (na || nb)
		return na == nb;
	if (a->offsets && b->offsets) {
		int32_t la = a->offsets[1] - a->offsets[0], lb = b->offsets[1] - b->offsets[0];
		return la == lb && memcmp(a->values + a->offsets[0], b->values + b->offsets[0],
					  (size_t)la) == 0;
	}
	int w = tarn_type_width(a->type->id);
	if (w > 0)
		return memcmp(a->values, b->values, (size_t)w) == 0;
	char ta[256], tb[256];
	ex_value_text(a, 0, ta, sizeof ta);
	ex_value_text(b, 0, tb, sizeof tb);
	return strlen(ta) < sizeof ta - 8 && strcmp(ta, tb) == 0;
}

static bool expr_eq(const struct ex_expr *a, const struct ex_expr *b)
{
	if (a == b)
		return true;
	if (a->kind != b->kind || a->n_args != b->n_args || a->op != b->op ||
	    a->negate != b->negate || a->try_cast != b->try_cast || a->ci != b->ci ||
	    !tarn_type_equal(&a->type, &b->type))
		return false;
	switch (a->kind) {
	case EX_E_COLUMN:
		return a->col == b->col;
	case EX_E_CONST:
		return const_eq(a->value, b->value);
	case EX_E_IN:
		if (a->in != b->in)
			return false;
		break;
	case EX_E_LIKE:
		if (a->like != b->like)
			return false;
		break;
	case EX_E_FUNC:
		if (a->fn != b->fn || a->fn_arg != b->fn_arg || a->fn_state != b->fn_state ||
		    a->re != b->re || (a->fn && sql_cse_volatile_name(a->fn->name)))
			return false;
		break;
	case EX_E_DATE_ADD:
		if (a->months != b->months || a->days != b->days || a->micros != b->micros)
			return false;
		break;
	default:
		break;
	}
	for (int i = 0; i < a->n_args; i++)
		if (!expr_eq(a->args[i], b->args[i]))
			return false;
	return true;
}

/* A hash consistent with expr_eq, the node count and whether the subtree
 * is deterministic. */
static uint64_t expr_hash(const struct ex_expr *e, int *size, bool *det)
{
	uint64_t h = 1469598103934665603ull;
#define MIX(x) (h = (h ^ (uint64_t)(x)) * 1099511628211ull)
	MIX(e->kind);
	MIX(e->op);
	MIX(e->n_args);
	MIX(e->type.id);
	(*size)++;
	if (e->kind == EX_E_COLUMN)
		MIX(e->col);
	if (e->kind == EX_E_FUNC) {
		MIX((uintptr_t)e->fn);
		MIX(e->fn_arg);
		if (e->fn && sql_cse_volatile_name(e->fn->name))
			*det = false;
	}
	if (e->kind == EX_E_CONST && e->value && !e->value->offsets && e->value->validity == NULL) {
		int w = tarn_type_width(e->value->type->id);
		for (int i = 0; i < w && i < 16; i++)
			MIX(e->value->values[i]);
	}
	for (int i = 0; i < e->n_args; i++)
		MIX(expr_hash(e->args[i], size, det));
#undef MIX
	return h;
}

/* Operands evaluated on every row the node is evaluated on. */
static int n_always(const struct ex_expr *e)
{
	switch (e->kind) {
	case EX_E_AND:
	case EX_E_OR:
	case EX_E_CASE:
	case EX_E_COALESCE:
		return e->n_args ? 1 : 0;
	default:
		return e->n_args;
	}
}

struct cand {
	const struct ex_expr *e;
	uint64_t h;
	int size;
};

struct cse {
	struct cand *c;
	int n, cap;
	const struct ex_expr *hoist[CSE_MAX];
	int n_hoist;
};

static int hoisted(const struct cse *x, const struct ex_expr *e)
{
	for (int k = 0; k < x->n_hoist; k++)
		if (expr_eq(e, x->hoist[k]))
			return k;
	return -1;
}

static tarn_rc collect(struct cse *x, const struct ex_expr *e)
{
	if (e->kind == EX_E_COLUMN || e->kind == EX_E_CONST || hoisted(x, e) >= 0)
		return TARN_OK;
	int size = 0;
	bool det = true;
	uint64_t h = expr_hash(e, &size, &det);
	if (det) {
		if (x->n == x->cap) {
			int cap = x->cap ? 2 * x->cap : 32;
			struct cand *c = tarn_realloc(x->c, (size_t)cap * sizeof *c);
			if (!c)
				return TARN_ENOMEM;
			x->c = c;
			x->cap = cap;
		}
		x->c[x->n++] = (struct cand){ e, h, size };
	}
	for (int i = 0; i < n_always(e); i++)
		TRY(collect(x, e->args[i]));
	return TARN_OK;
}

/* Chooses the subtrees to hoist from roots[0..n) (NULL entries skipped). */
static tarn_rc choose(struct cse *x, struct ex_expr **const *roots, int n)
{
	while (x->n_hoist < CSE_MAX) {
		x->n = 0;
		for (int i = 0; i < n; i++)
			if (*roots[i])
				TRY(collect(x, *roots[i]));
		const struct cand *best = NULL;
		for (int i = 0; i < x->n; i++) {
			const struct cand *a = &x->c[i];
			if (best && a->size <= best->size)
				continue;
			for (int j = i + 1; j < x->n; j++)
				if (x->c[j].h == a->h && x->c[j].size == a->size &&
				    expr_eq(a->e, x->c[j].e)) {
					best = a;
					break;
				}
		}
		if (!best)
			break;
		x->hoist[x->n_hoist++] = best->e;
	}
	return TARN_OK;
}

/* Replaces the hoisted subtrees of *slot (at the same positions collect
 * searched) by references to column base + k. */
static tarn_rc rewrite(const struct cse *x, struct ex_expr **slot, int base,
		       const struct tarn_schema *s)
{
	struct ex_expr *e = *slot;
	if (e->kind == EX_E_COLUMN || e->kind == EX_E_CONST)
		return TARN_OK;
	int k = hoisted(x, e);
	if (k >= 0) {
		struct ex_expr *col;
		TRY(ex_expr_column(base + k, &s->fields[base + k].type, s->fields[base + k].name,
				   &col));
		ex_expr_free(e);
		*slot = col;
		return TARN_OK;
	}
	for (int i = 0; i < n_always(e); i++)
		TRY(rewrite(x, &e->args[i], base, s));
	return TARN_OK;
}

static tarn_rc cse_run(struct ex_op **child, struct ex_expr **const *roots, int n,
		       struct tarn_err *err)
{
	struct cse x = { 0 };
	tarn_rc rc = choose(&x, roots, n);
	tarn_free(x.c);
	if (rc)
		return tarn_err_nomem(err, "common subexpressions");
	if (!x.n_hoist)
		return TARN_OK;
	/* rewriting frees the subtrees chosen above: compare with copies */
	struct ex_expr *own[CSE_MAX] = { 0 };
	for (int k = 0; !rc && k < x.n_hoist; k++)
		rc = ex_expr_copy(x.hoist[k], &own[k]);
	for (int k = 0; !rc && k < x.n_hoist; k++)
		x.hoist[k] = own[k];
	if (rc) {
		for (int k = 0; k < x.n_hoist; k++)
			ex_expr_free(own[k]);
		return tarn_err_nomem(err, "common subexpressions");
	}
	const struct tarn_schema *cs = ex_op_schema(*child);
	int nc = cs->n_fields, np = nc + x.n_hoist;
	struct ex_expr **pe = tarn_calloc((size_t)np, sizeof *pe);
	char **names = tarn_calloc((size_t)np, sizeof *names);
	rc = pe && names ? TARN_OK : TARN_ENOMEM;
	for (int i = 0; !rc && i < nc; i++) {
		rc = ex_expr_column(i, &cs->fields[i].type, cs->fields[i].name, &pe[i]);
		if (!rc && !(names[i] = tarn_strdup(cs->fields[i].name)))
			rc = TARN_ENOMEM;
	}
	for (int k = 0; !rc && k < x.n_hoist; k++) {
		rc = ex_expr_copy(x.hoist[k], &pe[nc + k]);
		if (!rc && !(names[nc + k] = tarn_malloc(24)))
			rc = TARN_ENOMEM;
		if (!rc)
			snprintf(names[nc + k], 24, "__cse%d", k + 1);
	}
	struct ex_op *proj = NULL;
	if (!rc) {
		/* takes pe[] and the child, also on failure */
		rc = ex_op_project(*child, pe, (const char *const *)names, np, &proj, err);
		*child = proj;
		memset(pe, 0, (size_t)np * sizeof *pe);
	}
	for (int i = 0; pe && i < np; i++)
		ex_expr_free(pe[i]);
	for (int i = 0; names && i < np; i++)
		tarn_free(names[i]);
	tarn_free(pe);
	tarn_free(names);
	/* Rewriting allocates one column node per replaced subtree; on
	 * failure every slot still holds a complete, equivalent tree. */
	for (int i = 0; !rc && i < n; i++)
		if (*roots[i])
			rc = rewrite(&x, roots[i], nc, ex_op_schema(proj));
	for (int k = 0; k < x.n_hoist; k++)
		ex_expr_free(own[k]);
	if (rc == TARN_ENOMEM)
		tarn_err_nomem(err, "common subexpressions");
	return rc;
}

tarn_rc sql_cse_project(struct ex_op **child, struct ex_expr **exprs, int n,
			struct tarn_err *err)
{
	if (n == 0)
		return TARN_OK;
	struct ex_expr ***roots = tarn_calloc((size_t)(n ? n : 1), sizeof *roots);
	if (!roots)
		return tarn_err_nomem(err, "common subexpressions");
	for (int i = 0; i < n; i++)
		roots[i] = &exprs[i];
	tarn_rc rc = cse_run(child, (struct ex_expr **const *)roots, n, err);
	tarn_free(roots);
	return rc;
}

tarn_rc sql_cse_agg(struct ex_op **child, struct ex_expr **keys, int nk,
		    struct ex_agg_spec *specs, int na, struct tarn_err *err)
{
	int cap = nk + 3 * na;
	struct ex_expr ***roots = tarn_calloc((size_t)(cap ? cap : 1), sizeof *roots);
	if (!roots)
		return tarn_err_nomem(err, "common subexpressions");
	int n = 0;
	for (int i = 0; i < nk; i++)
		roots[n++] = &keys[i];
	for (int i = 0; i < na; i++) {
		if (specs[i].filter) {
			roots[n++] = &specs[i].filter;
			continue; /* the arguments see only the filtered rows */
		}
		if (specs[i].arg)
			roots[n++] = &specs[i].arg;
		if (specs[i].val)
			roots[n++] = &specs[i].val;
	}
	tarn_rc rc = cse_run(child, (struct ex_expr **const *)roots, n, err);
	tarn_free(roots);
	return rc;
}
