/*
 * bind.c — turns a parsed query (ast.h) into a physical plan (exec.h); see
 * bind.h for what each clause becomes.
 *
 * Design notes
 *  1. Scopes. A bound relation (struct rel) is an operator plus one
 *     struct bcol per output column: the table alias it came from, its
 *     name, and its type (borrowed from the operator's schema, which lives
 *     as long as the plan). Joins concatenate scopes. Names match
 *     case-insensitively; a column hidden by USING is found only when
 *     qualified.
 *  2. Scans read only the columns the statement can name: every identifier
 *     in the SQL text is collected once (a lexical over-approximation, so
 *     never too few) and a `*` anywhere reads everything.
 *  3. After GROUP BY, an expression is looked up first by its normalised
 *     text among the group keys and the aggregates, so the select list,
 *     HAVING and ORDER BY may repeat any grouped expression.
 *  4. Subqueries: uncorrelated scalar subqueries are run while binding and
 *     become constants; [NOT] EXISTS and [NOT] IN in a WHERE conjunct become
 *     semi/anti joins, correlated by the equalities between inner and outer
 *     columns (other correlated conjuncts become the join's residual);
 *     correlated scalar aggregate subqueries compared in a WHERE conjunct
 *     are grouped by their correlation keys and joined.
 *
 * Relies on parse.h (locations), expr.h and exec.h.
 * Thread-safety: a binder is private to its caller.
 */
#include <ctype.h>
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/mem.h"
#include "columnar/text.h"
#include "columnar/type.h"
#include "formats/format.h"
#include "sql/bind.h"
#include "sql/cse.h"
#include "sql/lake.h"
#include "sql/expr_nested.h"
#include "sql/parse.h"

struct bcol {
	char *rel;  /* table alias, or NULL */
	char *name; /* column name */
	const struct tarn_type *type;
	bool hidden; /* USING's right-hand copy: only qualified lookups see it */
};

struct rel {
	struct ex_op *op;
	int n;
	struct bcol *cols;
	double est; /* estimated rows (relative sizes matter, not the unit) */
};

struct cte_frame {
	const struct sql_with *with;
	int upto; /* CTEs [0, upto) are visible */
	struct cte_frame *up;
};

/* Outer columns visible as parameters while binding a correlated
 * subquery on its own (op_apply.c's fallback): a name found nowhere else
 * resolves to scope column i, as the constant vals[i][row] (vals NULL:
 * typing only, a typed NULL), and marks used[i]. */
struct pframe {
	const struct rel *scope;
	const struct tarn_array *const *vals;
	int64_t row;
	bool *used;
	const struct pframe *up;
};

struct binder {
	const struct pframe *params;
	const char *text;
	size_t len;
	struct tarn_err *err;
	const struct ex_opts *xo;
	struct sql_env *env;
	struct cte_frame *ctes;
	struct rec_frame *rec; /* working tables of the recursions being bound */
	char **used; /* identifiers in the text, lower case */
	int n_used, cap_used;
	bool used_all;
};

/* How expressions are bound: over which columns, and after GROUP BY, which
 * texts are keys and aggregates. */
struct bctx {
	const struct rel *r;
	bool agg_mode;
	int n_keys;
	char **key_text; /* columns 0..n_keys-1 of r */
	int n_aggs;
	char **agg_text; /* columns n_keys.. */
	/* GROUPING SETS: key_text[0..n_group_keys) are the grouping keys;
	 * column set_col holds the row's set number (n_sets > 0). */
	int n_group_keys;
	int n_sets;
	const uint64_t *set_masks;
	int set_col;
	const struct sql_select *sel; /* GROUPING(alias): the select list */
	/* Correlated scalar subqueries already joined in: node → column. */
	int n_subs;
	const struct sql_expr **subs;
	int *sub_col;
	const char *clause; /* "WHERE", "SELECT", ... for messages */
	/* QUALIFY: a name that is no column may be a select item's alias */
	const struct sql_select *alias_sel;
};

static tarn_rc bind_query_rel(struct binder *b, const struct sql_query *q, struct rel *out);
static tarn_rc bind_grouping(struct binder *b, const struct bctx *c, const struct sql_expr *e,
			     struct ex_expr **out);

/* GROUP BY's grouping sets as bit masks over a list of distinct key
 * expressions (bit k: key k is grouped on). A plain GROUP BY has one set
 * with every key (on = false: planned as before). Sets are the cross
 * product of the GROUP BY items' set lists, as in the standard. */
#define GS_MAX_SETS 4096

struct gsets {
	bool on;      /* planned with the expansion */
	bool rewrite; /* GROUP BY has ROLLUP/CUBE/GROUPING SETS/(): bound via gsets_select */
	int n_keys;
	const struct sql_expr *keys[64];
	char *text[64];
	int n_sets;
	uint64_t *masks;
	struct sql_group_item *items; /* gsets_select's GROUP BY: one item per key */
};

static void gsets_free(struct gsets *gs);
static tarn_rc gsets_build(struct binder *b, const struct sql_select *sel, const struct rel *r,
			   struct gsets *gs);
static tarn_rc gsets_select(struct binder *b, const struct sql_select *sel, struct gsets *gs,
			    struct sql_select *copy, const struct sql_select **out);
static tarn_rc expand_for_sets(struct binder *b, const struct gsets *gs, struct rel *cur,
			       struct ex_expr **keys, char **knames, char **key_text, int *nk);
struct proj;
static tarn_rc distinct_on_cols(struct binder *b, const struct sql_select *sel, struct bctx *c,
				struct proj *p, int visible, int **out);
struct sql_tref;
static tarn_rc series_rel(struct binder *b, const struct sql_tref *t, const char *fn,
			  struct rel *out);
static tarn_rc bind_expr(struct binder *b, const struct bctx *c, const struct sql_expr *e,
			 struct ex_expr **out);

/* ---- errors and small helpers -------------------------------------------------------- */

static tarn_rc fail(struct binder *b, sql_loc loc, tarn_rc rc, const char *fmt, ...)
	TARN_PRINTF(4, 5);
static tarn_rc fail(struct binder *b, sql_loc loc, tarn_rc rc, const char *fmt, ...)
{
	char msg[600];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return sql_err_at(b->err, rc, b->text, b->len, loc, "error", "%s", msg);
}

static tarn_rc nomem(struct binder *b)
{
	return tarn_err_set(b->err, TARN_ENOMEM, "out of memory while planning the query");
}

/* Records that expression node e is computed as column col of the
 * relation c binds over (windows, unnest, subqueries); bind_expr then
 * binds e as a reference to that column. */
static tarn_rc sub_map_add(struct binder *b, struct bctx *c, const struct sql_expr *e, int col)
{
	const struct sql_expr **ns = tarn_realloc(c->subs, (size_t)(c->n_subs + 1) * sizeof *ns);
	if (!ns)
		return nomem(b);
	c->subs = ns;
	int *nc = tarn_realloc(c->sub_col, (size_t)(c->n_subs + 1) * sizeof *nc);
	if (!nc)
		return nomem(b);
	c->sub_col = nc;
	c->subs[c->n_subs] = e;
	c->sub_col[c->n_subs++] = col;
	return TARN_OK;
}

static bool name_eq(const char *a, const char *b)
{
	return a && b && strcasecmp(a, b) == 0;
}

static char *lower_dup(const char *s, size_t n)
{
	char *o = tarn_malloc(n + 1);
	if (!o)
		return NULL;
	for (size_t i = 0; i < n; i++)
		o[i] = (char)tolower((unsigned char)s[i]);
	o[n] = 0;
	return o;
}

static void rel_clear(struct rel *r)
{
	for (int i = 0; i < r->n; i++) {
		tarn_free(r->cols[i].rel);
		tarn_free(r->cols[i].name);
	}
	tarn_free(r->cols);
	ex_op_free(r->op);
	memset(r, 0, sizeof *r);
}

/* Scope of op's output: names from its schema, all under alias `rel`.
 * Takes op over; on failure *out is cleared (op freed). */
static tarn_rc rel_from_op(struct binder *b, struct ex_op *op, const char *alias, double est,
			   struct rel *out)
{
	memset(out, 0, sizeof *out);
	out->op = op;
	out->est = est;
	const struct tarn_schema *s = ex_op_schema(op);
	out->cols = tarn_calloc((size_t)s->n_fields + 1, sizeof *out->cols);
	if (!out->cols) {
		rel_clear(out);
		return nomem(b);
	}
	out->n = s->n_fields;
	for (int i = 0; i < s->n_fields; i++) {
		out->cols[i].type = &s->fields[i].type;
		out->cols[i].name = tarn_strdup(s->fields[i].name);
		out->cols[i].rel = alias ? tarn_strdup(alias) : NULL;
		if (!out->cols[i].name || (alias && !out->cols[i].rel)) {
			rel_clear(out);
			return nomem(b);
		}
	}
	return TARN_OK;
}

/* Re-points the scope at a new operator whose first columns are the old
 * ones (joins, projections that append): types from the new schema. */
static void rel_retarget(struct rel *r)
{
	const struct tarn_schema *s = ex_op_schema(r->op);
	for (int i = 0; i < r->n && i < s->n_fields; i++)
		r->cols[i].type = &s->fields[i].type;
}

/* ", did you mean X?" for the closest column name, or "". */
static void suggest(const struct rel *r, const char *name, char *out, size_t cap)
{
	const char *best = NULL;
	size_t bd = 99;
	for (int i = 0; r && i < r->n; i++) {
		size_t d = (size_t)tarn_edit_distance(name, r->cols[i].name, true);
		if (d < bd) {
			bd = d;
			best = r->cols[i].name;
		}
	}
	size_t n = strlen(name);
	if (best && bd <= (n < 4 ? 1 : n / 3 + 1))
		snprintf(out, cap, "; did you mean '%s'?", best);
	else
		out[0] = 0;
}

static tarn_rc expr_text(struct binder *b, const struct sql_expr *e, char **out)
{
	struct tarn_buf t;
	tarn_buf_init(&t);
	tarn_rc rc = sql_print_expr(e, &t);
	if (!rc)
		rc = tarn_buf_cstr(&t);
	if (rc) {
		tarn_buf_free(&t);
		return nomem(b);
	}
	*out = tarn_buf_steal(&t);
	return TARN_OK;
}

/* ---- names the statement uses ------------------------------------------------------- */

/* Whether the SELECT at sel opens "EXISTS (SELECT": that subquery's star
 * reads no column (EXISTS looks at rows only), so it does not make every
 * scan decode every column. */
static bool exists_star(const char *text, const char *sel)
{
	const char *q = sel;
	while (q > text && isspace((unsigned char)q[-1]))
		q--;
	if (q == text || q[-1] != '(')
		return false;
	q--;
	while (q > text && isspace((unsigned char)q[-1]))
		q--;
	const char *w = q;
	while (w > text && isalpha((unsigned char)w[-1]))
		w--;
	return q - w == 6 && strncasecmp(w, "exists", 6) == 0;
}

static tarn_rc collect_used(struct binder *b)
{
	const char *s = b->text, *end = b->text + b->len;
	while (s < end) {
		char c = *s;
		if (c == '\'') { /* string literal: skip ('' is an escaped quote) */
			s++;
			while (s < end && !(*s == '\'' && (s + 1 >= end || s[1] != '\'')))
				s += *s == '\'' ? 2 : 1;
			s++;
			continue;
		}
		if (c == '-' && s + 1 < end && s[1] == '-') {
			while (s < end && *s != '\n')
				s++;
			continue;
		}
		if (c == '*') {
			/* A star, not a product: after SELECT, DISTINCT, ',' or '.'. */
			const char *q = s;
			while (q > b->text && isspace((unsigned char)q[-1]))
				q--;
			const char *w = q;
			while (w > b->text && (isalpha((unsigned char)w[-1])))
				w--;
			size_t wl = (size_t)(q - w);
			if ((q > b->text && (q[-1] == ',' || q[-1] == '.')) ||
			    (wl == 6 && strncasecmp(w, "select", 6) == 0 && !exists_star(b->text, w)) ||
			    (wl == 8 && strncasecmp(w, "distinct", 8) == 0))
				b->used_all = true;
		}
		const char *st = NULL, *en = NULL;
		if (c == '"') {
			st = ++s;
			while (s < end && *s != '"')
				s++;
			en = s++;
		} else if (isalpha((unsigned char)c) || c == '_') {
			st = s;
			while (s < end && (isalnum((unsigned char)*s) || *s == '_' || (unsigned char)*s >= 0x80))
				s++;
			en = s;
		} else {
			s++;
			continue;
		}
		if (b->n_used == b->cap_used) {
			int cap = b->cap_used ? b->cap_used * 2 : 64;
			char **v = tarn_realloc(b->used, (size_t)cap * sizeof *v);
			if (!v)
				return nomem(b);
			b->used = v;
			b->cap_used = cap;
		}
		b->used[b->n_used] = lower_dup(st, (size_t)(en - st));
		if (!b->used[b->n_used])
			return nomem(b);
		b->n_used++;
	}
	return TARN_OK;
}

static bool is_used(const struct binder *b, const char *name)
{
	for (int i = 0; i < b->n_used; i++)
		if (strcasecmp(b->used[i], name) == 0)
			return true;
	return false;
}

/* ---- walking expressions ------------------------------------------------------------- */

typedef tarn_rc (*visit_fn)(void *ctx, const struct sql_expr *e);

/* Visits e and its sub-expressions, not entering subqueries or the
 * arguments of window calls' OVER clauses. */
static tarn_rc walk(const struct sql_expr *e, visit_fn fn, void *ctx)
{
	if (!e)
		return TARN_OK;
	TRY(fn(ctx, e));
	switch (e->kind) {
	case SQL_EXPR_UNARY:
		return walk(e->unary.arg, fn, ctx);
	case SQL_EXPR_BINARY:
		TRY(walk(e->binary.l, fn, ctx));
		return walk(e->binary.r, fn, ctx);
	case SQL_EXPR_AND:
	case SQL_EXPR_OR:
	case SQL_EXPR_ROW:
	case SQL_EXPR_ARRAY:
		for (int i = 0; i < e->list.n; i++)
			TRY(walk(e->list.items[i], fn, ctx));
		return TARN_OK;
	case SQL_EXPR_IS:
		return walk(e->is.arg, fn, ctx);
	case SQL_EXPR_BETWEEN:
		TRY(walk(e->between.arg, fn, ctx));
		TRY(walk(e->between.lo, fn, ctx));
		return walk(e->between.hi, fn, ctx);
	case SQL_EXPR_IN:
		TRY(walk(e->in.arg, fn, ctx));
		for (int i = 0; i < e->in.n; i++)
			TRY(walk(e->in.list[i], fn, ctx));
		return TARN_OK;
	case SQL_EXPR_LIKE:
		TRY(walk(e->like.arg, fn, ctx));
		TRY(walk(e->like.pattern, fn, ctx));
		return walk(e->like.escape, fn, ctx);
	case SQL_EXPR_CAST:
		return walk(e->cast.arg, fn, ctx);
	case SQL_EXPR_FUNC:
		for (int i = 0; i < e->func.n_args; i++)
			TRY(walk(e->func.args[i].value, fn, ctx));
		return walk(e->func.filter, fn, ctx);
	case SQL_EXPR_CASE:
		TRY(walk(e->case_.operand, fn, ctx));
		for (int i = 0; i < e->case_.n; i++) {
			TRY(walk(e->case_.whens[i].cond, fn, ctx));
			TRY(walk(e->case_.whens[i].result, fn, ctx));
		}
		return walk(e->case_.else_, fn, ctx);
	case SQL_EXPR_QUANTIFIED:
		TRY(walk(e->quant.arg, fn, ctx));
		return walk(e->quant.array, fn, ctx);
	case SQL_EXPR_INDEX:
		TRY(walk(e->index.base, fn, ctx));
		return walk(e->index.index, fn, ctx);
	case SQL_EXPR_SLICE:
		TRY(walk(e->slice.base, fn, ctx));
		TRY(walk(e->slice.lo, fn, ctx));
		return walk(e->slice.hi, fn, ctx);
	case SQL_EXPR_FIELD:
		return walk(e->field.base, fn, ctx);
	case SQL_EXPR_INTERVAL:
		return walk(e->interval.value, fn, ctx);
	case SQL_EXPR_STRUCT:
		for (int i = 0; i < e->struct_.n; i++)
			TRY(walk(e->struct_.values[i], fn, ctx));
		return TARN_OK;
	case SQL_EXPR_MAP:
		for (int i = 0; i < e->map.n; i++) {
			TRY(walk(e->map.keys[i], fn, ctx));
			TRY(walk(e->map.values[i], fn, ctx));
		}
		return TARN_OK;
	default:
		return TARN_OK;
	}
}

/* ---- aggregates --------------------------------------------------------------------- */

static const struct {
	const char *name;
	enum ex_agg_fn fn;
} agg_names[] = {
	{ "count", EX_AGG_COUNT },
	{ "sum", EX_AGG_SUM },
	{ "avg", EX_AGG_AVG },
	{ "mean", EX_AGG_AVG },
	{ "min", EX_AGG_MIN },
	{ "max", EX_AGG_MAX },
	{ "bool_and", EX_AGG_BOOL_AND },
	{ "bool_or", EX_AGG_BOOL_OR },
	{ "every", EX_AGG_BOOL_AND },
	{ "var_samp", EX_AGG_VAR_SAMP },
	{ "variance", EX_AGG_VAR_SAMP },
	{ "var_pop", EX_AGG_VAR_POP },
	{ "stddev", EX_AGG_STDDEV_SAMP },
	{ "stddev_samp", EX_AGG_STDDEV_SAMP },
	{ "stddev_pop", EX_AGG_STDDEV_POP },
	{ "arg_min", EX_AGG_ARG_MIN },
	{ "argmin", EX_AGG_ARG_MIN },
	{ "min_by", EX_AGG_ARG_MIN },
	{ "arg_max", EX_AGG_ARG_MAX },
	{ "argmax", EX_AGG_ARG_MAX },
	{ "max_by", EX_AGG_ARG_MAX },
	{ "corr", EX_AGG_CORR },
	{ "covar_pop", EX_AGG_COVAR_POP },
	{ "covar_samp", EX_AGG_COVAR_SAMP },
	{ "regr_slope", EX_AGG_REGR_SLOPE },
	{ "regr_intercept", EX_AGG_REGR_INTERCEPT },
	{ "regr_r2", EX_AGG_REGR_R2 },
	{ "product", EX_AGG_PRODUCT },
	{ "bit_and", EX_AGG_BIT_AND },
	{ "bit_or", EX_AGG_BIT_OR },
	{ "bit_xor", EX_AGG_BIT_XOR },
	{ "first", EX_AGG_FIRST },
	{ "arbitrary", EX_AGG_FIRST },
	{ "last", EX_AGG_LAST },
	{ "any_value", EX_AGG_ANY_VALUE },
	{ "approx_count_distinct", EX_AGG_APPROX_COUNT_DISTINCT },
	{ "median", EX_AGG_MEDIAN },
	{ "quantile_cont", EX_AGG_QUANTILE_CONT },
	{ "quantile_disc", EX_AGG_QUANTILE_DISC },
	{ "quantile", EX_AGG_QUANTILE_DISC },
	{ "percentile_cont", EX_AGG_QUANTILE_CONT }, /* (q) WITHIN GROUP (ORDER BY x) */
	{ "percentile_disc", EX_AGG_QUANTILE_DISC },
	{ "mode", EX_AGG_MODE },
	{ "string_agg", EX_AGG_STRING_AGG },
	{ "listagg", EX_AGG_STRING_AGG },
	{ "group_concat", EX_AGG_STRING_AGG },
	{ "list", EX_AGG_LIST },
	{ "array_agg", EX_AGG_LIST },
};

/* Aggregates the executor does not have yet, so the error says so. */
static const char *const agg_later[] = {
	"entropy", "kurtosis", "skewness",
	NULL,
};

static const char *func_name(const struct sql_expr *e)
{
	const struct sql_qname *q = &e->func.name;
	return q->n ? q->parts[q->n - 1].s : "";
}

static int agg_index(const struct sql_expr *e)
{
	if (e->kind != SQL_EXPR_FUNC || e->func.over)
		return -1;
	const char *n = func_name(e);
	for (size_t i = 0; i < sizeof agg_names / sizeof agg_names[0]; i++)
		if (name_eq(n, agg_names[i].name))
			return (int)i;
	for (int i = 0; agg_later[i]; i++)
		if (name_eq(n, agg_later[i]))
			return 1000 + i;
	return -1;
}

struct agg_list {
	struct binder *b;
	int n, cap;
	const struct sql_expr **v;
	char **text;
};

static tarn_rc visit_agg(void *ctx, const struct sql_expr *e)
{
	struct agg_list *l = ctx;
	int k = agg_index(e);
	if (k < 0)
		return TARN_OK;
	if (k >= 1000)
		return fail(l->b, e->loc, TARN_EUNSUPPORTED,
			    "the aggregate %s() is not supported yet", func_name(e));
	char *t;
	TRY(expr_text(l->b, e, &t));
	for (int i = 0; i < l->n; i++)
		if (strcmp(l->text[i], t) == 0) {
			tarn_free(t);
			return TARN_OK;
		}
	if (l->n == l->cap) {
		int cap = l->cap ? l->cap * 2 : 8;
		const struct sql_expr **v = tarn_realloc(l->v, (size_t)cap * sizeof *v);
		char **tx = v ? tarn_realloc(l->text, (size_t)cap * sizeof *tx) : NULL;
		if (!v || !tx) {
			if (v)
				l->v = v;
			tarn_free(t);
			return nomem(l->b);
		}
		l->v = v;
		l->text = tx;
		l->cap = cap;
	}
	l->v[l->n] = e;
	l->text[l->n++] = t;
	/* Aggregates inside aggregates are an error, found when binding the
	 * argument (not in agg mode). */
	return TARN_OK;
}

static void agg_list_free(struct agg_list *l)
{
	for (int i = 0; i < l->n; i++)
		tarn_free(l->text[i]);
	tarn_free(l->text);
	tarn_free(l->v);
}

/* ---- name resolution ------------------------------------------------------------------ */

/* Finds the column qn names in r: *col, or -1 with *why set when absent or
 * ambiguous. */
static int find_col(const struct rel *r, const struct sql_qname *qn, const char **why)
{
	*why = NULL;
	if (!r)
		return -1;
	const char *name = qn->parts[qn->n - 1].s;
	const char *qual = qn->n >= 2 ? qn->parts[qn->n - 2].s : NULL;
	int found = -1;
	for (int i = 0; i < r->n; i++) {
		const struct bcol *c = &r->cols[i];
		if (!name_eq(c->name, name))
			continue;
		if (qual ? !name_eq(c->rel, qual) : c->hidden)
			continue;
		if (found >= 0) {
			*why = "ambiguous";
			return -1;
		}
		found = i;
	}
	return found;
}

/* find_col, else (struct field paths s.f, t.s.f) the longest prefix of the
 * name that is a column. */
static int find_col_path(const struct rel *r, const struct sql_qname *qn, const char **why)
{
	int hit = find_col(r, qn, why);
	for (int k = qn->n - 1; hit < 0 && !*why && k >= 1; k--) {
		struct sql_qname pre = *qn;
		pre.n = k;
		hit = find_col(r, &pre, why);
		if (hit >= 0 && r->cols[hit].type->id != TARN_T_STRUCT)
			hit = -1;
	}
	return hit;
}

static tarn_rc unknown_column(struct binder *b, const struct bctx *c, const struct sql_expr *e,
			      const char *why)
{
	const struct sql_qname *qn = &e->name;
	char full[256] = "";
	size_t len = 0;
	for (int i = 0; i < qn->n && len < sizeof full - 1; i++)
		len += (size_t)snprintf(full + len, sizeof full - len, "%s%s", i ? "." : "",
					qn->parts[i].s);
	if (why && strcmp(why, "ambiguous") == 0)
		return fail(b, e->loc, TARN_EUSAGE,
			    "column reference '%s' is ambiguous (qualify it with a table name)",
			    full);
	char hint[200];
	suggest(c->r, qn->parts[qn->n - 1].s, hint, sizeof hint);
	if (c->agg_mode && !*hint)
		return fail(b, e->loc, TARN_ENOTFOUND,
			    "unknown column '%s': with aggregates, a column must appear in the GROUP "
			    "BY clause or be used in an aggregate function",
			    full);
	return fail(b, e->loc, TARN_ENOTFOUND, "unknown column '%s'%s", full, hint);
}

/* ---- literals and constants ----------------------------------------------------------------- */

static tarn_rc bind_literal(struct binder *b, const struct sql_expr *e, struct ex_expr **out)
{
	const struct sql_lit *l = &e->lit;
	struct tarn_type t;
	switch (l->kind) {
	case SQL_LIT_NULL:
		tarn_type_init(&t, TARN_T_NULL);
		return ex_expr_const_null(&t, out);
	case SQL_LIT_BOOL:
		return ex_expr_const_bool(l->b, out);
	case SQL_LIT_INTEGER:
		if (l->fits_i64)
			return ex_expr_const_int(l->i >= INT32_MIN && l->i <= INT32_MAX ? TARN_T_INT32
											: TARN_T_INT64,
						 l->i, out);
		if (l->len - (l->text[0] == '-') > 38)
			return fail(b, e->loc, TARN_EUNSUPPORTED, "integer literal too large");
		tarn_type_init_decimal(&t, (int)(l->len - (l->text[0] == '-')), 0);
		return ex_expr_const_text(&t, l->text, l->len, out, b->err);
	case SQL_LIT_DECIMAL: {
		const char *dot = memchr(l->text, '.', l->len);
		int digits = 0, scale = dot ? (int)(l->text + l->len - dot - 1) : 0;
		for (uint32_t i = 0; i < l->len; i++)
			digits += isdigit((unsigned char)l->text[i]) != 0;
		/* Leading zeros do not count toward the precision. */
		const char *p = l->text + (l->text[0] == '-');
		while (*p == '0' && p < dot && digits > scale + 1)
			p++, digits--;
		if (digits <= 38) {
			tarn_type_init_decimal(&t, digits < scale ? scale : (digits ? digits : 1),
					       scale);
			return ex_expr_const_text(&t, l->text, l->len, out, b->err);
		}
	}
		/* fall through */ /* too many digits for a decimal */
		__attribute__((fallthrough));
	case SQL_LIT_FLOAT: {
		double d;
		if (!tarn_parse_double(l->text, l->len, &d))
			return fail(b, e->loc, TARN_EUSAGE, "bad number '%.*s'", (int)l->len,
				    l->text);
		return ex_expr_const_double(d, out);
	}
	case SQL_LIT_STRING:
		return ex_expr_const_string(l->text, l->len, out);
	}
	return fail(b, e->loc, TARN_EINTERNAL, "unknown literal");
}

/* INTERVAL value unit → months, days, micros. */
static tarn_rc interval_parts(struct binder *b, const struct sql_expr *e, int32_t *months,
			      int32_t *days, int64_t *micros)
{
	*months = *days = 0;
	*micros = 0;
	const struct sql_expr *v = e->interval.value;
	if (v->kind != SQL_EXPR_LITERAL ||
	    (v->lit.kind != SQL_LIT_STRING && v->lit.kind != SQL_LIT_INTEGER &&
	     v->lit.kind != SQL_LIT_DECIMAL))
		return fail(b, e->loc, TARN_EUNSUPPORTED,
			    "only constant intervals are supported (INTERVAL '3' DAY)");
	const char *s = v->lit.text, *end = s + v->lit.len;
	enum sql_interval_unit unit = e->interval.unit;
	/* Pairs "N unit" (one pair when the unit is given outside). */
	while (s < end) {
		while (s < end && isspace((unsigned char)*s))
			s++;
		if (s == end)
			break;
		const char *ns = s;
		if (*s == '-' || *s == '+')
			s++;
		while (s < end && (isdigit((unsigned char)*s) || *s == '.'))
			s++;
		double n;
		if (s == ns || !tarn_parse_double(ns, (size_t)(s - ns), &n))
			return fail(b, v->loc, TARN_EUSAGE, "bad interval '%.*s'", (int)v->lit.len,
				    v->lit.text);
		enum sql_interval_unit u = unit;
		if (u == SQL_IV_NONE) {
			while (s < end && isspace((unsigned char)*s))
				s++;
			const char *us = s;
			while (s < end && isalpha((unsigned char)*s))
				s++;
			size_t ul = (size_t)(s - us);
			char w[16] = "";
			if (ul && ul < sizeof w) {
				memcpy(w, us, ul);
				if (ul > 1 && w[ul - 1] == 's')
					w[ul - 1] = 0;
			}
			static const struct {
				const char *w;
				enum sql_interval_unit u;
			} units[] = { { "year", SQL_IV_YEAR },	   { "month", SQL_IV_MONTH },
				      { "week", SQL_IV_WEEK },	   { "day", SQL_IV_DAY },
				      { "hour", SQL_IV_HOUR },	   { "minute", SQL_IV_MINUTE },
				      { "second", SQL_IV_SECOND }, { "quarter", SQL_IV_QUARTER } };
			for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
				if (strcasecmp(w, units[i].w) == 0)
					u = units[i].u;
			if (u == SQL_IV_NONE)
				return fail(b, v->loc, TARN_EUSAGE,
					    "bad interval '%.*s': expected a unit such as day",
					    (int)v->lit.len, v->lit.text);
		}
		switch (u) {
		case SQL_IV_YEAR:
			*months += (int32_t)(n * 12);
			break;
		case SQL_IV_QUARTER:
			*months += (int32_t)(n * 3);
			break;
		case SQL_IV_MONTH:
			*months += (int32_t)n;
			break;
		case SQL_IV_WEEK:
			*days += (int32_t)(n * 7);
			break;
		case SQL_IV_DAY:
			*days += (int32_t)n;
			break;
		case SQL_IV_HOUR:
			*micros += (int64_t)(n * 3600e6);
			break;
		case SQL_IV_MINUTE:
			*micros += (int64_t)(n * 60e6);
			break;
		case SQL_IV_SECOND:
			*micros += (int64_t)(n * 1e6);
			break;
		case SQL_IV_MILLISECOND:
			*micros += (int64_t)(n * 1e3);
			break;
		case SQL_IV_MICROSECOND:
			*micros += (int64_t)n;
			break;
		default:
			return fail(b, e->loc, TARN_EUNSUPPORTED, "interval unit not supported");
		}
		if (unit != SQL_IV_NONE)
			break;
	}
	return TARN_OK;
}

/* An INTERVAL value: a constant, or INTERVAL (expr) unit as to_<unit>(expr). */
static tarn_rc bind_interval(struct binder *b, const struct bctx *c, const struct sql_expr *e,
			     struct ex_expr **out)
{
	const struct sql_expr *v = e->interval.value;
	static const char *const to[] = {
		[SQL_IV_YEAR] = "to_years",	      [SQL_IV_QUARTER] = "to_quarters",
		[SQL_IV_MONTH] = "to_months",	      [SQL_IV_WEEK] = "to_weeks",
		[SQL_IV_DAY] = "to_days",	      [SQL_IV_HOUR] = "to_hours",
		[SQL_IV_MINUTE] = "to_minutes",	      [SQL_IV_SECOND] = "to_seconds",
		[SQL_IV_MILLISECOND] = "to_milliseconds", [SQL_IV_MICROSECOND] = "to_microseconds",
		[SQL_IV_DECADE] = "to_decades",	      [SQL_IV_CENTURY] = "to_centuries",
		[SQL_IV_MILLENNIUM] = "to_millennia",
	};
	enum sql_interval_unit u = e->interval.unit;
	if (v->kind != SQL_EXPR_LITERAL && u != SQL_IV_NONE &&
	    (size_t)u < sizeof to / sizeof *to && to[u]) {
		struct ex_expr *x;
		TRY(bind_expr(b, c, v, &x));
		struct tarn_err sub;
		tarn_err_clear(&sub);
		tarn_rc rc = ex_expr_func(to[u], &x, 1, out, &sub);
		return rc ? fail(b, e->loc, rc, "%s", sub.msg) : TARN_OK;
	}
	int32_t m, d;
	int64_t us;
	TRY(interval_parts(b, e, &m, &d, &us));
	return ex_expr_const_interval(m, d, us, out) ? nomem(b) : TARN_OK;
}

/* ---- scalar subqueries run at bind time ------------------------------------------- */

static tarn_rc run_scalar(struct binder *b, const struct sql_expr *e, struct ex_expr **out)
{
	struct rel r;
	TRY(bind_query_rel(b, e->sub.query, &r));
	if (r.n != 1) {
		rel_clear(&r);
		return fail(b, e->loc, TARN_EUSAGE, "a scalar subquery must return one column");
	}
	struct tarn_type t;
	tarn_rc rc = tarn_type_copy(&t, r.cols[0].type);
	if (rc) {
		rel_clear(&r);
		return nomem(b);
	}
	struct ex_query *q = NULL;
	struct ex_op *op = r.op;
	r.op = NULL;
	rel_clear(&r);
	rc = ex_query_new(op, b->xo, &q, b->err);
	struct tarn_batch *tb = NULL;
	int64_t rows = 0;
	struct ex_expr *val = NULL;
	while (!rc) {
		rc = ex_query_next(q, &tb, b->err);
		if (rc || !tb)
			break;
		if (tb->n_rows > 0 && rows == 0)
			rc = ex_expr_const(tb->cols[0], 0, &val);
		rows += tb->n_rows;
		tarn_batch_free(tb);
		tb = NULL;
	}
	ex_query_free(q);
	if (!rc && rows > 1)
		rc = fail(b, e->loc, TARN_EDATA, "a scalar subquery returned %lld rows",
			  (long long)rows);
	if (!rc && rows == 0)
		rc = ex_expr_const_null(&t, &val);
	tarn_type_clear(&t);
	if (rc) {
		ex_expr_free(val);
		return rc;
	}
	*out = val;
	return TARN_OK;
}

/* An uncorrelated EXISTS (correlated ones were given a column by
 * apply_dependent): run once, a constant. */
static tarn_rc run_exists(struct binder *b, const struct sql_expr *e, struct ex_expr **out)
{
	struct rel r;
	TRY(bind_query_rel(b, e->sub.query, &r));
	struct ex_op *op = r.op;
	r.op = NULL;
	rel_clear(&r);
	struct ex_query *q = NULL;
	tarn_rc rc = ex_query_new(op, b->xo, &q, b->err);
	int64_t rows = 0;
	while (!rc && rows == 0) {
		struct tarn_batch *tb = NULL;
		rc = ex_query_next(q, &tb, b->err);
		if (rc || !tb)
			break;
		rows += tb->n_rows;
		tarn_batch_free(tb);
	}
	ex_query_free(q);
	TRY(rc);
	return ex_expr_const_bool(rows > 0, out) ? nomem(b) : TARN_OK;
}

/* ---- expressions ----------------------------------------------------------------------- */

static tarn_rc bind_list(struct binder *b, const struct bctx *c, struct sql_expr *const *v,
			 int n, struct ex_expr ***out)
{
	struct ex_expr **a = tarn_calloc((size_t)n + 1, sizeof *a);
	if (!a)
		return nomem(b);
	for (int i = 0; i < n; i++) {
		tarn_rc rc = bind_expr(b, c, v[i], &a[i]);
		if (rc) {
			for (int j = 0; j < i; j++)
				ex_expr_free(a[j]);
			tarn_free(a);
			return rc;
		}
	}
	*out = a;
	return TARN_OK;
}

/* x op INTERVAL (m, d, us) where x is an interval too. Takes x. */
static tarn_rc interval_op(struct binder *b, enum ex_arith op, struct ex_expr *x, int32_t m,
			   int32_t d, int64_t us, struct ex_expr **out)
{
	struct ex_expr *iv;
	if (ex_expr_const_interval(m, d, us, &iv)) {
		ex_expr_free(x);
		return nomem(b);
	}
	return ex_expr_arith(op, x, iv, out, b->err);
}

/* Operators that are calls of registry functions (DuckDB's spellings):
 * & | xor << >> ~ on integers, ^ and ** as pow, s ~ re (a full match, as
 * DuckDB; ~* ignores case; !~ and !~* negate) and SIMILAR TO as
 * regexp_full_match, x AT TIME ZONE z as timezone(z, x). r is NULL for a
 * unary operator. Takes l and r. */
static tarn_rc bind_op_call(struct binder *b, const struct sql_expr *e, enum sql_op op,
			    struct ex_expr *l, struct ex_expr *r, struct ex_expr **out)
{
	const char *fn = NULL;
	bool neg = false, ci = false;
	switch (op) {
	case SQL_OP_BIT_AND: fn = "&"; break;
	case SQL_OP_BIT_OR: fn = "|"; break;
	case SQL_OP_BIT_XOR: fn = "xor"; break;
	case SQL_OP_SHL: fn = "<<"; break;
	case SQL_OP_SHR: fn = ">>"; break;
	case SQL_OP_BIT_NOT: fn = "~"; break;
	case SQL_OP_POW: fn = "pow"; break;
	case SQL_OP_REGEX: fn = "regexp_full_match"; break;
	case SQL_OP_IREGEX: fn = "regexp_full_match", ci = true; break;
	case SQL_OP_NOT_REGEX: fn = "regexp_full_match", neg = true; break;
	case SQL_OP_NOT_IREGEX: fn = "regexp_full_match", neg = ci = true; break;
	case SQL_OP_AT_TIME_ZONE: {
		fn = "timezone";
		struct ex_expr *t = l;
		l = r, r = t;
		break;
	}
	default:
		ex_expr_free(l);
		ex_expr_free(r);
		return fail(b, e->loc, TARN_EUNSUPPORTED, "the operator %s is not supported yet",
			    sql_op_text(op));
	}
	struct ex_expr *args[3] = { l, r, NULL };
	int n = r ? 2 : 1;
	if (ci && ex_expr_const_string("i", 1, &args[n++])) {
		ex_expr_free(l);
		ex_expr_free(r);
		return nomem(b);
	}
	struct tarn_err sub;
	tarn_err_clear(&sub);
	tarn_rc rc = ex_expr_func(fn, args, n, out, &sub);
	if (!rc && neg)
		rc = ex_expr_not(*out, out, &sub);
	return rc ? fail(b, e->loc, rc, "%s", sub.msg) : TARN_OK;
}

/* ---- session time zone (SET TimeZone) -------------------------------------------------------
 * TIMESTAMPTZ values stay UTC instants; a session zone other than UTC (NULL
 * = UTC) changes what the calendar sees, as DuckDB: casts between TIMESTAMPTZ
 * and zone-less types read or give wall time in the zone (through
 * timezone() = AT TIME ZONE), text casts print the zone's offset, and the
 * calendar functions below see the instant's wall time in the zone. */

static bool is_tstz(const struct tarn_type *t)
{
	return t->id == TARN_T_TIMESTAMP && t->tz != NULL;
}

/* fn(zone, x), x taken. */
static tarn_rc tz_call(const char *zone, const char *fn, struct ex_expr *x, struct ex_expr **out,
		       struct tarn_err *err)
{
	struct ex_expr *args[2] = { NULL, x };
	if (ex_expr_const_string(zone, strlen(zone), &args[0])) {
		ex_expr_free(x);
		return tarn_err_nomem(err, "time zone");
	}
	return ex_expr_func(fn, args, 2, out, err);
}

/* CAST(x AS t) under a session zone; *done = false leaves it to ex_expr_cast. */
static tarn_rc tz_cast(const char *zone, struct ex_expr *x, const struct tarn_type *t,
		       bool try_cast, bool *done, struct ex_expr **out, struct tarn_err *err)
{
	const struct tarn_type *f = &x->type;
	*done = false;
	struct ex_expr *y;
	if (is_tstz(t) && !is_tstz(f) &&
	    (f->id == TARN_T_STRING || f->id == TARN_T_TIMESTAMP || f->id == TARN_T_DATE32)) {
		*done = true;
		TRY(tz_call(zone, f->id == TARN_T_STRING ? "__tstz_parse" : "timezone", x, &y, err));
		return ex_expr_cast(y, t, try_cast, out, err);
	}
	if (is_tstz(f) && !is_tstz(t) &&
	    (t->id == TARN_T_STRING || t->id == TARN_T_TIMESTAMP || t->id == TARN_T_DATE32 ||
	     t->id == TARN_T_TIME64)) {
		*done = true;
		if (t->id == TARN_T_STRING)
			return tz_call(zone, "__tstz_text", x, out, err);
		TRY(tz_call(zone, "timezone", x, &y, err));
		return ex_expr_cast(y, t, try_cast, out, err);
	}
	return TARN_OK;
}

/* The calendar functions that read a TIMESTAMPTZ as wall time in the
 * session zone (date_trunc's result goes back to an instant). */
static bool tz_calendar_fn(const char *name)
{
	static const char *const fns[] = {
		"date_trunc", "datetrunc", "date_part", "datepart", "extract", "strftime",
		"year", "month", "day", "hour", "minute", "second", "millisecond",
		"microsecond", "quarter", "week", "weekofyear", "dayofweek", "dayofmonth",
		"dayofyear", "isodow", "isoyear", "yearweek", "dayname", "monthname",
		"last_day", "era", "decade", "century", "millennium", "weekday",
	};
	for (size_t i = 0; i < sizeof fns / sizeof *fns; i++)
		if (!strcasecmp(fns[i], name))
			return true;
	return false;
}

/* name(args) under a session zone: TIMESTAMPTZ arguments of calendar
 * functions become wall times (args taken on failure too). */
static tarn_rc tz_func(const char *zone, const char *name, struct ex_expr **args, int n,
		       struct ex_expr **out, struct tarn_err *err)
{
	bool wrapped = false;
	tarn_rc rc = TARN_OK;
	for (int i = 0; i < n; i++) {
		if (!rc && is_tstz(&args[i]->type)) {
			rc = tz_call(zone, "timezone", args[i], &args[i], err);
			if (rc)
				args[i] = NULL;
			wrapped = true;
		}
	}
	if (rc) {
		for (int i = 0; i < n; i++)
			ex_expr_free(args[i]);
		return rc;
	}
	TRY(ex_expr_func(name, args, n, out, err));
	if (wrapped && (!strcasecmp(name, "date_trunc") || !strcasecmp(name, "datetrunc")) &&
	    (*out)->type.id == TARN_T_TIMESTAMP && !(*out)->type.tz)
		return tz_call(zone, "timezone", *out, out, err);
	return TARN_OK;
}

/* Under a session zone, when some of xs[0..n) is a TIMESTAMPTZ, the
 * zone-less timestamps, dates and text among them become instants read in
 * the zone (comparisons, BETWEEN, IN; as DuckDB). A failing slot is NULL
 * (consumed); the caller frees the rest. */
static tarn_rc tz_align(struct binder *b, const struct sql_expr *e, struct ex_expr **xs, int n)
{
	const char *zone = b->env ? b->env->timezone : NULL;
	const struct tarn_type *tt = NULL;
	for (int i = 0; zone && i < n && !tt; i++)
		if (is_tstz(&xs[i]->type))
			tt = &xs[i]->type;
	if (!tt)
		return TARN_OK;
	struct tarn_type t;
	if (tarn_type_copy(&t, tt))
		return nomem(b);
	tarn_rc rc = TARN_OK;
	struct tarn_err sub;
	tarn_err_clear(&sub);
	for (int i = 0; i < n && !rc; i++) {
		bool done = false;
		if (!is_tstz(&xs[i]->type) &&
		    (rc = tz_cast(zone, xs[i], &t, false, &done, &xs[i], &sub)))
			xs[i] = NULL;
	}
	tarn_type_clear(&t);
	return rc ? fail(b, e->loc, rc, "%s", sub.msg) : TARN_OK;
}

/* x + (m months, d days, us microseconds). Under a session zone a
 * TIMESTAMPTZ moves months and days on the zone's calendar (wall time, then
 * back to an instant, as DuckDB's ICU), then us as elapsed time. */
static tarn_rc tz_date_add(struct binder *b, struct ex_expr *x, int32_t m, int32_t d, int64_t us,
			   struct ex_expr **out)
{
	const char *zone = b->env ? b->env->timezone : NULL;
	if (!zone || !is_tstz(&x->type) || (m == 0 && d == 0))
		return ex_expr_date_add(x, m, d, us, out, b->err);
	struct ex_expr *y;
	TRY(tz_call(zone, "timezone", x, &y, b->err));
	TRY(ex_expr_date_add(y, m, d, 0, &y, b->err));
	TRY(tz_call(zone, "timezone", y, &y, b->err));
	return ex_expr_date_add(y, 0, 0, us, out, b->err);
}

static tarn_rc bind_binary(struct binder *b, const struct bctx *c, const struct sql_expr *e,
			   struct ex_expr **out)
{
	enum sql_op op = e->binary.op;
	/* date ± INTERVAL */
	if ((op == SQL_OP_ADD || op == SQL_OP_SUB) && e->binary.r->kind == SQL_EXPR_INTERVAL) {
		int32_t m, d;
		int64_t us;
		TRY(interval_parts(b, e->binary.r, &m, &d, &us));
		struct ex_expr *x;
		TRY(bind_expr(b, c, e->binary.l, &x));
		if (x->type.id == TARN_T_INTERVAL) /* interval ± interval */
			return interval_op(b, op == SQL_OP_SUB ? EX_SUB : EX_ADD, x, m, d, us, out);
		if (op == SQL_OP_SUB)
			m = -m, d = -d, us = -us;
		return tz_date_add(b, x, m, d, us, out);
	}
	if (op == SQL_OP_ADD && e->binary.l->kind == SQL_EXPR_INTERVAL) {
		int32_t m, d;
		int64_t us;
		TRY(interval_parts(b, e->binary.l, &m, &d, &us));
		struct ex_expr *x;
		TRY(bind_expr(b, c, e->binary.r, &x));
		if (x->type.id == TARN_T_INTERVAL)
			return interval_op(b, EX_ADD, x, m, d, us, out);
		return tz_date_add(b, x, m, d, us, out);
	}
	struct ex_expr *l, *r;
	TRY(bind_expr(b, c, e->binary.l, &l));
	tarn_rc rc = bind_expr(b, c, e->binary.r, &r);
	if (rc) {
		ex_expr_free(l);
		return rc;
	}
	bool cmp = op == SQL_OP_EQ || op == SQL_OP_NE || op == SQL_OP_LT || op == SQL_OP_LE ||
		   op == SQL_OP_GT || op == SQL_OP_GE || op == SQL_OP_IS_DISTINCT ||
		   op == SQL_OP_IS_NOT_DISTINCT;
	if (cmp) {
		struct ex_expr *xs[2] = { l, r };
		rc = tz_align(b, e, xs, 2);
		l = xs[0];
		r = xs[1];
		if (rc) {
			ex_expr_free(l);
			ex_expr_free(r);
			return rc;
		}
	}
	if ((op == SQL_OP_ADD || op == SQL_OP_SUB) && b->env && b->env->timezone &&
	    ((is_tstz(&l->type) && r->type.id == TARN_T_INTERVAL) ||
	     (is_tstz(&r->type) && l->type.id == TARN_T_INTERVAL))) {
		ex_expr_free(l);
		ex_expr_free(r);
		return fail(b, e->loc, TARN_EUNSUPPORTED,
			    "TIMESTAMPTZ %s a computed interval under SET TimeZone is not supported "
			    "yet; use a constant INTERVAL '...'", op == SQL_OP_ADD ? "+" : "-");
	}
	switch (op) {
	case SQL_OP_ADD:
		return ex_expr_arith(EX_ADD, l, r, out, b->err);
	case SQL_OP_SUB:
		return ex_expr_arith(EX_SUB, l, r, out, b->err);
	case SQL_OP_MUL:
		return ex_expr_arith(EX_MUL, l, r, out, b->err);
	case SQL_OP_DIV:
		return ex_expr_arith(EX_DIV, l, r, out, b->err);
	case SQL_OP_MOD:
		return ex_expr_arith(EX_MOD, l, r, out, b->err);
	case SQL_OP_INT_DIV:
		return ex_expr_arith(EX_IDIV, l, r, out, b->err);
	case SQL_OP_EQ:
		return ex_expr_cmp(EX_EQ, l, r, out, b->err);
	case SQL_OP_NE:
		return ex_expr_cmp(EX_NE, l, r, out, b->err);
	case SQL_OP_LT:
		return ex_expr_cmp(EX_LT, l, r, out, b->err);
	case SQL_OP_LE:
		return ex_expr_cmp(EX_LE, l, r, out, b->err);
	case SQL_OP_GT:
		return ex_expr_cmp(EX_GT, l, r, out, b->err);
	case SQL_OP_GE:
		return ex_expr_cmp(EX_GE, l, r, out, b->err);
	case SQL_OP_IS_DISTINCT:
		return ex_expr_distinct(l, r, false, out, b->err);
	case SQL_OP_IS_NOT_DISTINCT:
		return ex_expr_distinct(l, r, true, out, b->err);
	case SQL_OP_CONCAT: {
		struct ex_expr *args[2] = { l, r };
		return ex_expr_func("||", args, 2, out, b->err);
	}
	default:
		return bind_op_call(b, e, op, l, r, out);
	}
}

/* ---- nested values: literals, field access, indexing ---------------------------------------- */

/* Calls function name on args (taken) at e's location. */
static tarn_rc call_at(struct binder *b, const struct sql_expr *e, const char *name,
		       struct ex_expr **args, int n, struct ex_expr **out)
{
	struct tarn_err sub;
	tarn_err_clear(&sub);
	tarn_rc rc = ex_expr_func(name, args, n, out, &sub);
	if (rc)
		return fail(b, e->loc, rc, "%s", sub.msg);
	return TARN_OK;
}

/* {'k': v, ...} and struct_pack(k := v, ...). */
static tarn_rc bind_struct(struct binder *b, const struct bctx *c, const struct sql_expr *e,
			   struct ex_expr **out)
{
	bool lit = e->kind == SQL_EXPR_STRUCT;
	int n = lit ? e->struct_.n : e->func.n_args;
	struct ex_expr **args = tarn_calloc((size_t)n + 1, sizeof *args);
	char **names = tarn_calloc((size_t)n + 1, sizeof *names);
	tarn_rc rc = args && names ? TARN_OK : nomem(b);
	for (int i = 0; i < n && !rc; i++) {
		const struct sql_name *nm = lit ? &e->struct_.keys[i] : &e->func.args[i].name;
		const struct sql_expr *v = lit ? e->struct_.values[i] : e->func.args[i].value;
		if (!nm->s && v->kind == SQL_EXPR_NAME)
			nm = &v->name.parts[v->name.n - 1];
		if (!nm->s) {
			rc = fail(b, v->loc, TARN_EUSAGE,
				  "struct_pack needs named arguments: struct_pack(a := 1, ...)");
			break;
		}
		if (!(names[i] = lower_dup(nm->s, nm->len)))
			rc = nomem(b);
		else
			memcpy(names[i], nm->s, nm->len); /* the spelling as written */
		if (!rc)
			rc = bind_expr(b, c, v, &args[i]);
	}
	if (rc) {
		for (int i = 0; args && i < n; i++)
			ex_expr_free(args[i]);
	} else {
		struct tarn_err sub;
		tarn_err_clear(&sub);
		rc = ex_expr_struct_pack(names, args, n, out, &sub);
		if (rc)
			rc = fail(b, e->loc, rc, "%s", sub.msg);
	}
	for (int i = 0; names && i < n; i++)
		tarn_free(names[i]);
	tarn_free(names);
	tarn_free(args);
	return rc;
}

static tarn_rc bind_nested(struct binder *b, const struct bctx *c, const struct sql_expr *e,
			   struct ex_expr **out)
{
	struct ex_expr *a[3] = { NULL, NULL, NULL };
	tarn_rc rc;
	switch (e->kind) {
	case SQL_EXPR_ARRAY: {
		struct ex_expr **v;
		TRY(bind_list(b, c, e->list.items, e->list.n, &v));
		rc = call_at(b, e, "list_value", v, e->list.n, out);
		tarn_free(v);
		return rc;
	}
	case SQL_EXPR_STRUCT:
		return bind_struct(b, c, e, out);
	case SQL_EXPR_MAP: {
		struct ex_expr **k, **v;
		TRY(bind_list(b, c, e->map.keys, e->map.n, &k));
		rc = bind_list(b, c, e->map.values, e->map.n, &v);
		if (rc) {
			for (int i = 0; i < e->map.n; i++)
				ex_expr_free(k[i]);
			tarn_free(k);
			return rc;
		}
		rc = call_at(b, e, "list_value", k, e->map.n, &a[0]);
		tarn_free(k);
		if (rc) {
			for (int i = 0; i < e->map.n; i++)
				ex_expr_free(v[i]);
			tarn_free(v);
			return rc;
		}
		rc = call_at(b, e, "list_value", v, e->map.n, &a[1]);
		tarn_free(v);
		if (rc) {
			ex_expr_free(a[0]);
			return rc;
		}
		return call_at(b, e, "map", a, 2, out);
	}
	case SQL_EXPR_INDEX:
		TRY(bind_expr(b, c, e->index.base, &a[0]));
		rc = bind_expr(b, c, e->index.index, &a[1]);
		if (rc) {
			ex_expr_free(a[0]);
			return rc;
		}
		return call_at(b, e, "array_extract", a, 2, out);
	case SQL_EXPR_SLICE:
		TRY(bind_expr(b, c, e->slice.base, &a[0]));
		rc = e->slice.lo ? bind_expr(b, c, e->slice.lo, &a[1])
				 : ex_expr_const_int(TARN_T_INT64, 1, &a[1]);
		if (!rc)
			rc = e->slice.hi ? bind_expr(b, c, e->slice.hi, &a[2])
					 : ex_expr_const_int(TARN_T_INT64, -1, &a[2]);
		if (rc) {
			for (int i = 0; i < 3; i++)
				ex_expr_free(a[i]);
			return rc == TARN_ENOMEM ? nomem(b) : rc;
		}
		return call_at(b, e, "list_slice", a, 3, out);
	case SQL_EXPR_FIELD:
		TRY(bind_expr(b, c, e->field.base, &a[0]));
		if (ex_expr_const_string(e->field.name.s, e->field.name.len, &a[1])) {
			ex_expr_free(a[0]);
			return nomem(b);
		}
		return call_at(b, e, "struct_extract", a, 2, out);
	default: return fail(b, e->loc, TARN_EINTERNAL, "not a nested expression");
	}
}

/* a.b.c where no column is named by the whole path: the longest prefix
 * that names a column, then struct fields (DuckDB's resolution: t.s.f is
 * column s of table t, field f; s.f is field f of column s). col < 0: none. */
static tarn_rc bind_name_path(struct binder *b, const struct bctx *c, const struct sql_expr *e,
			      int *col, struct ex_expr **out)
{
	*col = -1;
	*out = NULL;
	const struct sql_qname *qn = &e->name;
	for (int k = qn->n - 1; k >= 1; k--) {
		struct sql_qname pre = *qn;
		pre.n = k;
		const char *why;
		int hit = find_col(c->r, &pre, &why);
		if (hit < 0 || c->r->cols[hit].type->id != TARN_T_STRUCT)
			continue;
		struct ex_expr *x;
		TRY(ex_expr_column(hit, c->r->cols[hit].type, c->r->cols[hit].name, &x));
		for (int i = k; i < qn->n; i++) {
			struct ex_expr *a[2] = { x, NULL };
			if (ex_expr_const_string(qn->parts[i].s, qn->parts[i].len, &a[1])) {
				ex_expr_free(x);
				return nomem(b);
			}
			TRY(call_at(b, e, "struct_extract", a, 2, &x));
		}
		*col = hit;
		*out = x;
		return TARN_OK;
	}
	return TARN_OK;
}

static tarn_rc bind_func(struct binder *b, const struct bctx *c, const struct sql_expr *e,
			 struct ex_expr **out)
{
	const struct sql_func *f = &e->func;
	const char *name = func_name(e);
	if (f->over)
		return fail(b, e->loc, TARN_EUSAGE, "window functions are not allowed in %s",
			    c->clause ? c->clause : "this place");
	if (agg_index(e) >= 0)
		return fail(b, e->loc, TARN_EUSAGE, "the aggregate %s() is not allowed in %s", name,
			    c->clause ? c->clause : "this place");
	if (f->star || f->distinct || f->n_order || f->filter || f->n_within)
		return fail(b, e->loc, TARN_EUSAGE, "%s() is not an aggregate", name);
	if (name_eq(name, "current_setting") && f->n_args == 1 &&
	    f->args[0].value->kind == SQL_EXPR_LITERAL &&
	    f->args[0].value->lit.kind == SQL_LIT_STRING) {
		const char *k = f->args[0].value->lit.text, *v = NULL;
		if (!strcasecmp(k, "timezone"))
			v = b->env && b->env->timezone ? b->env->timezone : "UTC";
		else if (!strcasecmp(k, "file_search_path"))
			v = b->env && b->env->search_path ? b->env->search_path : "";
		else
			return fail(b, f->args[0].value->loc, TARN_EUSAGE,
				    "unknown setting '%s' (tarn knows: file_search_path, TimeZone)", k);
		return ex_expr_const_string(v, strlen(v), out) ? nomem(b) : TARN_OK;
	}
	if (name_eq(name, "unnest"))
		return fail(b, e->loc, TARN_EUNSUPPORTED,
			    "unnest() is supported in the SELECT list and in FROM only");
	if (name_eq(name, "struct_pack") && f->n_args > 0)
		return bind_struct(b, c, e, out);
	for (int i = 0; i < f->n_args; i++)
		if (f->args[i].name.s)
			return fail(b, f->args[i].name.loc, TARN_EUSAGE,
				    "%s() takes no named arguments", name);
	struct sql_expr **vals = tarn_calloc((size_t)f->n_args + 1, sizeof *vals);
	if (!vals)
		return nomem(b);
	for (int i = 0; i < f->n_args; i++)
		vals[i] = f->args[i].value;
	struct ex_expr **args = NULL;
	tarn_rc rc = bind_list(b, c, vals, f->n_args, &args);
	tarn_free(vals);
	TRY(rc);
	if (!ex_func_find(name) && !name_eq(name, "coalesce") && !name_eq(name, "nullif") &&
	    !name_eq(name, "ifnull")) {
		for (int i = 0; i < f->n_args; i++)
			ex_expr_free(args[i]);
		tarn_free(args);
		const char *near = ex_func_suggest(name);
		if (near)
			return fail(b, e->loc, TARN_ENOTFOUND, "unknown function %s(); did you mean %s()?",
				    name, near);
		return fail(b, e->loc, TARN_ENOTFOUND, "unknown function %s()", name);
	}
	struct tarn_err sub;
	tarn_err_clear(&sub);
	const char *zone = b->env ? b->env->timezone : NULL;
	rc = zone && tz_calendar_fn(name) ? tz_func(zone, name, args, f->n_args, out, &sub)
					  : ex_expr_func(name, args, f->n_args, out, &sub);
	tarn_free(args);
	if (rc)
		return fail(b, e->loc, rc, "%s", sub.msg);
	return TARN_OK;
}

static tarn_rc bind_case(struct binder *b, const struct bctx *c, const struct sql_expr *e,
			 struct ex_expr **out)
{
	int n = e->case_.n;
	struct ex_expr **whens = tarn_calloc((size_t)n + 1, sizeof *whens);
	struct ex_expr **thens = tarn_calloc((size_t)n + 1, sizeof *thens);
	struct ex_expr *operand = NULL, *els = NULL;
	tarn_rc rc = whens && thens ? TARN_OK : nomem(b);
	if (!rc && e->case_.operand)
		rc = bind_expr(b, c, e->case_.operand, &operand);
	for (int i = 0; !rc && i < n; i++) {
		struct ex_expr *w;
		rc = bind_expr(b, c, e->case_.whens[i].cond, &w);
		if (!rc && operand) {
			struct ex_expr *x;
			rc = ex_expr_copy(operand, &x);
			if (rc)
				ex_expr_free(w);
			else
				rc = ex_expr_cmp(EX_EQ, x, w, &w, b->err);
		}
		if (!rc)
			whens[i] = w;
		if (!rc)
			rc = bind_expr(b, c, e->case_.whens[i].result, &thens[i]);
	}
	if (!rc && e->case_.else_)
		rc = bind_expr(b, c, e->case_.else_, &els);
	ex_expr_free(operand);
	if (!rc) {
		rc = ex_expr_case(whens, thens, n, els, out, b->err);
	} else {
		for (int i = 0; i < n; i++) {
			ex_expr_free(whens ? whens[i] : NULL);
			ex_expr_free(thens ? thens[i] : NULL);
		}
		ex_expr_free(els);
	}
	tarn_free(whens);
	tarn_free(thens);
	return rc;
}

/* Scope column of frame f named qn, or -1. Group keys lose their table
 * alias, so a qualified name also matches an unqualified column. */
static int frame_col(const struct pframe *f, const struct sql_qname *qn)
{
	const char *why;
	int i = find_col(f->scope, qn, &why);
	if (i >= 0 || why || qn->n < 2)
		return i;
	const char *name = qn->parts[qn->n - 1].s;
	for (int k = 0; k < f->scope->n; k++)
		if (!f->scope->cols[k].rel && !f->scope->cols[k].hidden &&
		    name_eq(f->scope->cols[k].name, name))
			return k;
	return -1;
}

static bool is_param(const struct binder *b, const struct sql_qname *qn)
{
	for (const struct pframe *f = b->params; f; f = f->up)
		if (frame_col(f, qn) >= 0)
			return true;
	return false;
}

/* TARN_ENOTFOUND (no error set) when qn is no parameter. */
static tarn_rc bind_param(struct binder *b, const struct sql_qname *qn, struct ex_expr **out)
{
	for (const struct pframe *f = b->params; f; f = f->up) {
		int i = frame_col(f, qn);
		if (i < 0)
			continue;
		if (f->used)
			f->used[i] = true;
		tarn_rc rc = f->vals ? ex_expr_const(f->vals[i], f->row, out)
				     : ex_expr_const_null(f->scope->cols[i].type, out);
		return rc ? nomem(b) : TARN_OK;
	}
	return TARN_ENOTFOUND;
}

/* Returns from bind_expr when a parameter was bound (or failed). */
#define TRY_PARAM(x)                                                                       \
	do {                                                                               \
		tarn_rc rc_p_ = (x);                                                       \
		if (rc_p_ != TARN_ENOTFOUND)                                               \
			return rc_p_;                                                      \
	} while (0)

static tarn_rc bind_expr(struct binder *b, const struct bctx *c, const struct sql_expr *e,
			 struct ex_expr **out)
{
	*out = NULL;
	for (int i = 0; i < c->n_subs; i++)
		if (c->subs[i] == e && c->sub_col[i] >= 0)
			return ex_expr_column(c->sub_col[i], c->r->cols[c->sub_col[i]].type, NULL,
					      out);
	if (c->agg_mode && e->kind != SQL_EXPR_LITERAL) {
		char *t;
		TRY(expr_text(b, e, &t));
		int hit = -1;
		for (int i = 0; i < c->n_keys && hit < 0; i++)
			if (strcmp(c->key_text[i], t) == 0)
				hit = i;
		for (int i = 0; i < c->n_aggs && hit < 0; i++)
			if (strcmp(c->agg_text[i], t) == 0)
				hit = c->n_keys + i;
		tarn_free(t);
		if (hit >= 0)
			return ex_expr_column(hit, c->r->cols[hit].type, c->r->cols[hit].name, out);
		if (e->kind == SQL_EXPR_FUNC && !e->func.over &&
		    (name_eq(func_name(e), "grouping") || name_eq(func_name(e), "grouping_id")))
			return bind_grouping(b, c, e, out);
		if (e->kind == SQL_EXPR_NAME) {
			const char *why;
			if (find_col(c->r, &e->name, &why) >= 0)
				return fail(b, e->loc, TARN_EUSAGE,
					    "column '%s' must appear in the GROUP BY clause or be "
					    "used in an aggregate function",
					    e->name.parts[e->name.n - 1].s);
		}
	}
	switch (e->kind) {
	case SQL_EXPR_LITERAL:
		return bind_literal(b, e, out);
	case SQL_EXPR_NAME: {
		const char *why;
		int col = find_col(c->r, &e->name, &why);
		if (col < 0 && e->name.n >= 2 && !why) {
			TRY(bind_name_path(b, c, e, &col, out));
			if (col >= 0)
				return TARN_OK;
		}
		if (col < 0 && c->alias_sel && e->name.n == 1 && !why)
			for (int i = 0; i < c->alias_sel->n_items; i++)
				if (name_eq(c->alias_sel->items[i].alias.s, e->name.parts[0].s)) {
					struct bctx ca = *c;
					ca.alias_sel = NULL;
					return bind_expr(b, &ca, c->alias_sel->items[i].expr, out);
				}
		if (col < 0 && !why && b->params)
			TRY_PARAM(bind_param(b, &e->name, out));
		if (col < 0)
			return unknown_column(b, c, e, why);
		return ex_expr_column(col, c->r->cols[col].type, c->r->cols[col].name, out);
	}
	case SQL_EXPR_UNARY: {
		struct ex_expr *x;
		TRY(bind_expr(b, c, e->unary.arg, &x));
		switch (e->unary.op) {
		case SQL_OP_NEG:
			return ex_expr_neg(x, out, b->err);
		case SQL_OP_PLUS:
			*out = x;
			return TARN_OK;
		case SQL_OP_NOT:
			return ex_expr_not(x, out, b->err);
		default:
			return bind_op_call(b, e, e->unary.op, x, NULL, out);
		}
	}
	case SQL_EXPR_BINARY:
		return bind_binary(b, c, e, out);
	case SQL_EXPR_AND:
	case SQL_EXPR_OR: {
		struct ex_expr **a;
		TRY(bind_list(b, c, e->list.items, e->list.n, &a));
		tarn_rc rc = e->kind == SQL_EXPR_AND ? ex_expr_and(a, e->list.n, out, b->err)
						     : ex_expr_or(a, e->list.n, out, b->err);
		tarn_free(a);
		return rc;
	}
	case SQL_EXPR_IS: {
		struct ex_expr *x;
		TRY(bind_expr(b, c, e->is.arg, &x));
		if (e->is.what == SQL_IS_NULL || e->is.what == SQL_IS_UNKNOWN)
			return ex_expr_is_null(x, e->is.not, out, b->err);
		struct ex_expr *v;
		tarn_rc rc = ex_expr_const_bool(e->is.what == SQL_IS_TRUE, &v);
		if (rc) {
			ex_expr_free(x);
			return nomem(b);
		}
		/* x IS TRUE = x IS NOT DISTINCT FROM true */
		return ex_expr_distinct(x, v, !e->is.not, out, b->err);
	}
	case SQL_EXPR_BETWEEN: {
		if (e->between.symmetric)
			return fail(b, e->loc, TARN_EUNSUPPORTED,
				    "BETWEEN SYMMETRIC is not supported yet");
		struct ex_expr *x, *lo = NULL, *hi = NULL;
		TRY(bind_expr(b, c, e->between.arg, &x));
		tarn_rc rc = bind_expr(b, c, e->between.lo, &lo);
		if (!rc)
			rc = bind_expr(b, c, e->between.hi, &hi);
		if (!rc) {
			struct ex_expr *xs[3] = { x, lo, hi };
			rc = tz_align(b, e, xs, 3);
			x = xs[0], lo = xs[1], hi = xs[2];
			if (rc)
				ex_expr_free(hi);
		}
		if (rc) {
			ex_expr_free(x);
			ex_expr_free(lo);
			return rc;
		}
		return ex_expr_between(x, lo, hi, e->between.not, out, b->err);
	}
	case SQL_EXPR_IN: {
		if (e->in.query)
			return fail(b, e->loc, TARN_EUNSUPPORTED,
				    "IN (subquery) is supported only as a WHERE condition for now");
		struct ex_expr *x, **list;
		TRY(bind_expr(b, c, e->in.arg, &x));
		tarn_rc rc = bind_list(b, c, e->in.list, e->in.n, &list);
		if (rc) {
			ex_expr_free(x);
			return rc;
		}
		if (b->env && b->env->timezone) {
			struct ex_expr **xs = tarn_malloc(((size_t)e->in.n + 1) * sizeof *xs);
			if (!xs)
				rc = nomem(b);
			if (xs) {
				xs[0] = x;
				memcpy(xs + 1, list, (size_t)e->in.n * sizeof *xs);
				rc = tz_align(b, e, xs, e->in.n + 1);
				x = xs[0];
				memcpy(list, xs + 1, (size_t)e->in.n * sizeof *xs);
				tarn_free(xs);
			}
			if (rc) {
				ex_expr_free(x);
				for (int i = 0; i < e->in.n; i++)
					ex_expr_free(list[i]);
				tarn_free(list);
				return rc;
			}
		}
		rc = ex_expr_in(x, list, e->in.n, e->in.not, out, b->err);
		tarn_free(list);
		return rc;
	}
	case SQL_EXPR_LIKE: {
		if (e->like.kind == SQL_GLOB && e->like.escape)
			return fail(b, e->loc, TARN_EUSAGE, "GLOB takes no ESCAPE clause");
		if (e->like.kind == SQL_SIMILAR && e->like.escape)
			return fail(b, e->loc, TARN_EUNSUPPORTED,
				    "SIMILAR TO ... ESCAPE is not supported yet");
		struct ex_expr *x, *p = NULL, *esc = NULL;
		TRY(bind_expr(b, c, e->like.arg, &x));
		tarn_rc rc = bind_expr(b, c, e->like.pattern, &p);
		if (!rc && e->like.escape)
			rc = bind_expr(b, c, e->like.escape, &esc);
		if (rc) {
			ex_expr_free(x);
			ex_expr_free(p);
			return rc;
		}
		if (e->like.kind == SQL_SIMILAR) /* DuckDB: a regular expression, full match */
			return bind_op_call(b, e, e->like.not ? SQL_OP_NOT_REGEX : SQL_OP_REGEX, x, p,
					    out);
		if (e->like.kind == SQL_GLOB) { /* "~~~" (DuckDB's name) in func_extra.c */
			struct ex_expr *args[2] = { x, p };
			struct tarn_err sub;
			tarn_err_clear(&sub);
			tarn_rc grc = ex_expr_func("~~~", args, 2, out, &sub);
			if (!grc && e->like.not)
				grc = ex_expr_not(*out, out, &sub);
			return grc ? fail(b, e->loc, grc, "%s", sub.msg) : TARN_OK;
		}
		return ex_expr_like(x, p, esc, e->like.kind == SQL_ILIKE, e->like.not, out, b->err);
	}
	case SQL_EXPR_CAST: {
		struct tarn_type t;
		TRY(sql_type_to_tarn(e->cast.type, b->text, b->len, &t, b->err));
		struct ex_expr *x;
		tarn_rc rc = bind_expr(b, c, e->cast.arg, &x);
		bool done = false;
		if (!rc && b->env && b->env->timezone) {
			struct tarn_err sub;
			tarn_err_clear(&sub);
			rc = tz_cast(b->env->timezone, x, &t, e->cast.try_, &done, out, &sub);
			if (rc)
				rc = fail(b, e->loc, rc, "%s", sub.msg);
		}
		if (!rc && !done)
			rc = ex_expr_cast(x, &t, e->cast.try_, out, b->err);
		tarn_type_clear(&t);
		return rc;
	}
	case SQL_EXPR_FUNC:
		return bind_func(b, c, e, out);
	case SQL_EXPR_CASE:
		return bind_case(b, c, e, out);
	case SQL_EXPR_SUBQUERY:
		return run_scalar(b, e, out);
	case SQL_EXPR_EXISTS:
		return run_exists(b, e, out);
	case SQL_EXPR_INTERVAL:
		return bind_interval(b, c, e, out);
	case SQL_EXPR_STAR:
		return fail(b, e->loc, TARN_EUSAGE, "* is not allowed here");
	case SQL_EXPR_PARAM:
		return fail(b, e->loc, TARN_EUSAGE, "parameters ($n, ?) need a prepared statement");
	case SQL_EXPR_ARRAY:
	case SQL_EXPR_STRUCT:
	case SQL_EXPR_MAP:
	case SQL_EXPR_INDEX:
	case SQL_EXPR_SLICE:
	case SQL_EXPR_FIELD:
		return bind_nested(b, c, e, out);
	default: {
		static const char *const what[] = {
			[SQL_EXPR_QUANTIFIED] = "ANY/ALL", [SQL_EXPR_ROW] = "row values",
			[SQL_EXPR_ARRAY] = "list literals", [SQL_EXPR_STRUCT] = "struct literals",
			[SQL_EXPR_MAP] = "map literals",    [SQL_EXPR_INDEX] = "indexing",
			[SQL_EXPR_SLICE] = "slices",	    [SQL_EXPR_FIELD] = "field access",
		};
		const char *w = (size_t)e->kind < sizeof what / sizeof what[0] && what[e->kind]
					? what[e->kind]
					: "this expression";
		return fail(b, e->loc, TARN_EUNSUPPORTED, "%s are not supported yet", w);
	}
	}
}

/* ---- which relations an expression names ------------------------------------------- */

struct refs {
	struct binder *b;
	const struct rel *rels;
	int n_rels;
	const struct rel *outer; /* correlated references land here (bit 63) */
	uint64_t mask;
	const struct sql_expr *bad;
	const char *why;
};

#define OUTER_BIT ((uint64_t)1 << 63)
#define SUB_BIT ((uint64_t)1 << 62) /* the conjunct holds a subquery */

static tarn_rc visit_refs(void *ctx, const struct sql_expr *e)
{
	struct refs *r = ctx;
	if (e->kind == SQL_EXPR_EXISTS || e->kind == SQL_EXPR_SUBQUERY ||
	    (e->kind == SQL_EXPR_IN && e->in.query)) {
		/* A subquery may name any table around it (correlation), so the
		 * conjunct waits until every table is joined. */
		r->mask |= (((uint64_t)1 << r->n_rels) - 1) | SUB_BIT;
		return TARN_OK;
	}
	if (e->kind != SQL_EXPR_NAME)
		return TARN_OK;
	int hits = 0;
	for (int i = 0; i < r->n_rels; i++) {
		const char *why;
		if (find_col_path(&r->rels[i], &e->name, &why) >= 0) {
			r->mask |= (uint64_t)1 << i;
			hits++;
		} else if (why) {
			hits += 2;
		}
	}
	if (hits == 0 && r->outer) {
		const char *why;
		if (find_col_path(r->outer, &e->name, &why) >= 0) {
			r->mask |= OUTER_BIT;
			return TARN_OK;
		}
	}
	if (hits == 0 && is_param(r->b, &e->name))
		return TARN_OK; /* a constant here */
	if (hits != 1 && !r->bad) {
		r->bad = e;
		r->why = hits ? "ambiguous" : NULL;
	}
	return TARN_OK;
}

/* ---- FROM ------------------------------------------------------------------------------- */

static double path_est(const char *path)
{
	struct stat st;
	if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
		return (double)st.st_size;
	return 1e8; /* directories and globs: assume large */
}

static tarn_rc scan_rel(struct binder *b, const char *path, const char *format,
			const struct tarn_opts *opts, const char *alias, sql_loc loc,
			struct rel *out)
{
	struct tarn_reader *r;
	struct tarn_err sub;
	tarn_err_clear(&sub);
	tarn_rc rc = tarn_reader_open(path, format, opts, &r, &sub);
	if (rc)
		return fail(b, loc, rc, "%s", sub.msg);
	const struct tarn_schema *s = tarn_reader_schema(r);
	int n = s->n_fields, k = 0;
	const char **cols = tarn_calloc((size_t)n + 1, sizeof *cols);
	if (!cols) {
		tarn_reader_close(r);
		return nomem(b);
	}
	for (int i = 0; i < n; i++)
		if (b->used_all || is_used(b, s->fields[i].name))
			cols[k++] = s->fields[i].name;
	if (k == 0 && n > 0)
		cols[k++] = s->fields[0].name; /* count(*) still needs rows */
	struct ex_op *op = NULL;
	if (k == n || !tarn_format_has_option(tarn_reader_format(r), false, "columns")) {
		/* Nothing to prune, or the format cannot skip columns: scan the
		 * reader already open rather than sniffing the input again. */
		tarn_free(cols);
		rc = ex_op_scan_reader(r, &op, &sub);
		if (!rc)
			ex_op_scan_set_path(op, path);
	} else {
		rc = ex_op_scan(path, format, opts, cols, k, &op, &sub);
		tarn_free(cols);
		tarn_reader_close(r);
	}
	if (rc)
		return fail(b, loc, rc, "%s", sub.msg);
	return rel_from_op(b, op, alias, path_est(path), out);
}

static const char *alias_or(const struct sql_alias *a, const char *def)
{
	return a->name.s ? a->name.s : def;
}

/* Renames the relation's columns from an alias's column list. */
static tarn_rc apply_alias_cols(struct binder *b, const struct sql_alias *a, struct rel *r)
{
	if (a->n_cols > r->n)
		return fail(b, a->name.loc, TARN_EUSAGE, "%d column names for %d columns", a->n_cols,
			    r->n);
	for (int i = 0; i < r->n; i++) {
		if (a->name.s) {
			tarn_free(r->cols[i].rel);
			r->cols[i].rel = tarn_strdup(a->name.s);
			if (!r->cols[i].rel)
				return nomem(b);
		}
		if (i < a->n_cols) {
			tarn_free(r->cols[i].name);
			r->cols[i].name = tarn_strdup(a->cols[i].s);
			if (!r->cols[i].name)
				return nomem(b);
		}
	}
	return TARN_OK;
}

static tarn_rc lit_text(struct binder *b, const struct sql_expr *v, char *buf, size_t cap,
			const char **out)
{
	if (v->kind == SQL_EXPR_LITERAL && v->lit.kind != SQL_LIT_NULL) {
		if (v->lit.kind == SQL_LIT_BOOL)
			*out = v->lit.b ? "true" : "false";
		else
			*out = v->lit.text;
		return TARN_OK;
	}
	if (v->kind == SQL_EXPR_NAME && v->name.n == 1) {
		*out = v->name.parts[0].s;
		return TARN_OK;
	}
	if (v->kind == SQL_EXPR_STRUCT) { /* types={'a': 'INT', ...} → "a=int,..." */
		size_t len = 0;
		buf[0] = 0;
		for (int i = 0; i < v->struct_.n; i++) {
			const struct sql_expr *t = v->struct_.values[i];
			if (t->kind != SQL_EXPR_LITERAL || t->lit.kind != SQL_LIT_STRING)
				return fail(b, t->loc, TARN_EUSAGE, "expected a type name string");
			struct tarn_arena ar;
			tarn_arena_init(&ar, 1024);
			struct sql_type *st;
			struct tarn_type tt;
			tarn_rc rc = sql_parse_type(t->lit.text, t->lit.len, &ar, &st, b->err);
			if (!rc)
				rc = sql_type_to_tarn(st, NULL, 0, &tt, b->err);
			tarn_arena_free(&ar);
			if (rc)
				return rc;
			struct tarn_buf tb;
			tarn_buf_init(&tb);
			rc = tarn_type_to_text(&tt, &tb);
			tarn_type_clear(&tt);
			if (!rc)
				rc = tarn_buf_cstr(&tb);
			if (!rc)
				len += (size_t)snprintf(buf + len, len < cap ? cap - len : 0, "%s%s=%s",
							i ? "," : "", v->struct_.keys[i].s, tb.data);
			tarn_buf_free(&tb);
			if (rc)
				return nomem(b);
		}
		if (len >= cap)
			return fail(b, v->loc, TARN_ELIMIT, "option value too long");
		*out = buf;
		return TARN_OK;
	}
	return fail(b, v->loc, TARN_EUSAGE, "expected a constant option value");
}

/* A scan of several files (a list literal of paths, or one path) read as
 * one dataset; with `filename`, a column naming each row's file. */
static tarn_rc scan_list_rel(struct binder *b, const struct sql_expr *paths, const char *format,
			     const struct tarn_opts *opts, bool filename, const char *alias,
			     sql_loc loc, struct rel *out)
{
	bool list = paths->kind == SQL_EXPR_ARRAY;
	int n = list ? paths->list.n : 1;
	const char **v = tarn_calloc((size_t)n, sizeof *v);
	if (!v)
		return nomem(b);
	for (int i = 0; i < n; i++)
		v[i] = list ? paths->list.items[i]->lit.text : paths->lit.text;
	const struct tarn_format *fmt = format ? tarn_format_find(format) : NULL;
	struct tarn_reader *r = NULL;
	struct tarn_err sub;
	tarn_err_clear(&sub);
	tarn_rc rc = tarn_dataset_open_list(v, n, fmt, opts, filename, &r, &sub);
	double est = path_est(v[0]) * n;
	tarn_free(v);
	if (rc)
		return fail(b, loc, rc, "%s", sub.msg);
	struct ex_op *op = NULL;
	rc = ex_op_scan_reader(r, &op, &sub);
	if (rc)
		return fail(b, loc, rc, "%s", sub.msg);
	ex_op_scan_set_path(op, list ? "(list of files)" : paths->lit.text);
	return rel_from_op(b, op, alias, est, out);
}

/* Table-function options tarn handles itself rather than passing to the
 * reader: names = ['a', ...] (column names, in order) and all_varchar
 * (every column read as a string). True when `key` was one of them. */
static bool func_opt_special(struct binder *b, const char *key, const struct sql_expr *v,
			     const struct sql_expr **names, bool *all_varchar, tarn_rc *rc)
{
	if (strcmp(key, "names") == 0 || strcmp(key, "column-names") == 0) {
		bool ok = v->kind == SQL_EXPR_ARRAY;
		for (int i = 0; ok && i < v->list.n; i++)
			ok = v->list.items[i]->kind == SQL_EXPR_LITERAL &&
			     v->list.items[i]->lit.kind == SQL_LIT_STRING;
		if (!ok)
			*rc = fail(b, v->loc, TARN_EUSAGE, "names takes a list of strings: ['a', 'b']");
		*names = v;
		return true;
	}
	if (strcmp(key, "all-varchar") == 0) {
		if (v->kind != SQL_EXPR_LITERAL || v->lit.kind != SQL_LIT_BOOL)
			*rc = fail(b, v->loc, TARN_EUSAGE, "all_varchar takes true or false");
		else
			*all_varchar = v->lit.b;
		return true;
	}
	return false;
}

/* all_varchar: sniffs the input's column names and sets types=NAME=string
 * for every column. */
static tarn_rc types_all_string(struct binder *b, const char *path, const char *format,
				struct tarn_opts *o, sql_loc loc)
{
	struct tarn_reader *r;
	struct tarn_err sub;
	tarn_err_clear(&sub);
	tarn_rc rc = tarn_reader_open(path, format, o, &r, &sub);
	if (rc)
		return fail(b, loc, rc, "%s", sub.msg);
	const struct tarn_schema *s = tarn_reader_schema(r);
	struct tarn_buf t;
	tarn_buf_init(&t);
	for (int i = 0; !rc && i < s->n_fields; i++)
		rc = tarn_buf_printf(&t, "%s%s=string", i ? "," : "", s->fields[i].name);
	if (!rc)
		rc = tarn_buf_cstr(&t);
	if (!rc && tarn_opts_set(o, "types", t.data))
		rc = TARN_ENOMEM;
	tarn_buf_free(&t);
	tarn_reader_close(r);
	return rc ? nomem(b) : TARN_OK;
}

/* read_csv('path', key=value, ...) and friends. */
/* ---- UNNEST ------------------------------------------------------------------------------- */

static bool tref_is_unnest(const struct sql_tref *t)
{
	return t->kind == SQL_TREF_FUNC && t->func.name.n == 1 &&
	       name_eq(t->func.name.parts[0].s, "unnest");
}

/* Appends unnest op over r's operator: exprs (taken) become columns named
 * names[i] under table alias `alias` (may be NULL). */
static tarn_rc rel_unnest(struct binder *b, struct rel *r, struct ex_expr **exprs,
			  const char *const *names, int n, const char *alias)
{
	struct ex_op *op;
	struct ex_op *in = r->op;
	r->op = NULL;
	tarn_rc rc = ex_op_unnest(in, exprs, names, n, &op, b->err);
	if (rc)
		return rc;
	r->op = op;
	struct bcol *cols = tarn_realloc(r->cols, (size_t)(r->n + n + 1) * sizeof *cols);
	if (!cols)
		return nomem(b);
	r->cols = cols;
	const struct tarn_schema *s = ex_op_schema(op);
	for (int i = 0; i < n; i++) {
		struct bcol *c = &r->cols[r->n];
		memset(c, 0, sizeof *c);
		r->n++;
		c->name = tarn_strdup(s->fields[r->n - 1].name);
		c->rel = alias ? tarn_strdup(alias) : NULL;
		if (!c->name || (alias && !c->rel))
			return nomem(b);
	}
	rel_retarget(r);
	r->est *= 4;
	return TARN_OK;
}

/* FROM unnest(list) [AS t(col)], over base (the tables before it: a
 * lateral join), or over one empty row when base has no operator. */
static tarn_rc unnest_rel(struct binder *b, const struct sql_tref *t, struct rel *base)
{
	if (t->func.n_args != 1 || t->func.args[0].name.s)
		return fail(b, t->loc, TARN_EUNSUPPORTED,
			    "unnest() in FROM takes one list argument (recursive := and several "
			    "lists are not supported)");
	if (!base->op) {
		struct tarn_schema *s;
		if (tarn_schema_new(0, &s))
			return nomem(b);
		struct tarn_batch *tb;
		struct tarn_batch **v = NULL;
		tarn_rc rc = tarn_batch_new(s, 1, &tb);
		if (!rc && !(v = tarn_malloc(sizeof *v))) {
			tarn_batch_free(tb);
			rc = TARN_ENOMEM;
		}
		struct ex_op *op = NULL;
		if (!rc) {
			tb->n_rows = 1;
			v[0] = tb;
			rc = ex_op_values(s, v, 1, &op, b->err);
		}
		tarn_free(v);
		tarn_schema_unref(s);
		if (rc)
			return rc == TARN_ENOMEM ? nomem(b) : rc;
		TRY(rel_from_op(b, op, NULL, 1, base));
	}
	if (t->alias.n_cols > 1)
		return fail(b, t->alias.name.loc, TARN_EUSAGE, "unnest() gives one column, not %d",
			    t->alias.n_cols);
	struct bctx c = { .r = base, .clause = "FROM" };
	struct ex_expr *x;
	TRY(bind_expr(b, &c, t->func.args[0].value, &x));
	if (x->type.id != TARN_T_LIST && x->type.id != TARN_T_NULL) {
		ex_expr_free(x);
		return fail(b, t->func.args[0].value->loc, TARN_EUNSUPPORTED,
			    "unnest() in FROM needs a list");
	}
	const char *name = t->alias.n_cols ? t->alias.cols[0].s : "unnest";
	const char *alias = t->alias.name.s ? t->alias.name.s : "unnest";
	return rel_unnest(b, base, &x, &name, 1, alias);
}

struct unnest_find {
	const struct sql_expr **v;
	int n, cap;
};

static tarn_rc visit_unnest(void *ctx, const struct sql_expr *e)
{
	struct unnest_find *f = ctx;
	if (e->kind != SQL_EXPR_FUNC || e->func.over || e->func.name.n != 1 ||
	    !name_eq(e->func.name.parts[0].s, "unnest"))
		return TARN_OK;
	if (f->n == f->cap) {
		int cap = f->cap ? f->cap * 2 : 8;
		const struct sql_expr **v = tarn_realloc(f->v, (size_t)cap * sizeof *v);
		if (!v)
			return TARN_ENOMEM;
		f->v = v;
		f->cap = cap;
	}
	f->v[f->n++] = e;
	return TARN_OK;
}

static bool is_unnest_call(const struct sql_expr *e)
{
	return e->kind == SQL_EXPR_FUNC && !e->func.over && e->func.name.n == 1 &&
	       name_eq(e->func.name.parts[0].s, "unnest");
}

/* unnest(...) calls in the SELECT list: each list argument becomes a column
 * of an unnest operator over cur, and c maps the call to that column (an
 * unnest of a struct that is a whole select item is spread by the caller).
 * c->subs is set (the caller frees it). */
static tarn_rc select_unnest(struct binder *b, const struct sql_select *sel, struct rel *cur,
			     struct bctx *c)
{
	struct unnest_find f = { 0 };
	tarn_rc rc = TARN_OK;
	for (int i = 0; !rc && i < sel->n_items; i++)
		if (sel->items[i].expr->kind != SQL_EXPR_STAR)
			rc = walk(sel->items[i].expr, visit_unnest, &f);
	if (rc) {
		tarn_free(f.v);
		return nomem(b);
	}
	if (f.n == 0)
		return TARN_OK;
	struct ex_expr **x = tarn_calloc((size_t)f.n, sizeof *x);
	const struct sql_expr **calls = tarn_calloc((size_t)f.n, sizeof *calls);
	int *cols = tarn_calloc((size_t)f.n, sizeof *cols);
	int nx = 0;
	if (!x || !calls || !cols)
		rc = nomem(b);
	for (int i = 0; !rc && i < f.n; i++) {
		const struct sql_expr *u = f.v[i];
		if (u->func.n_args != 1 || u->func.args[0].name.s || u->func.distinct ||
		    u->func.star) {
			rc = fail(b, u->loc, TARN_EUNSUPPORTED,
				  "unnest() takes one list or struct (recursive := and max_depth := "
				  "are not supported)");
			break;
		}
		struct ex_expr *a;
		rc = bind_expr(b, c, u->func.args[0].value, &a);
		if (rc)
			break;
		bool item = false;
		for (int k = 0; k < sel->n_items; k++)
			item |= sel->items[k].expr == u;
		if (a->type.id == TARN_T_STRUCT && item) {
			ex_expr_free(a); /* spread by the select list */
			continue;
		}
		if (a->type.id != TARN_T_LIST && a->type.id != TARN_T_NULL) {
			bool st = a->type.id == TARN_T_STRUCT;
			ex_expr_free(a);
			rc = fail(b, u->loc, TARN_EUSAGE, "unnest() needs a list%s",
				  st ? " (a struct only as a whole select item)" : "");
			break;
		}
		calls[nx] = u;
		cols[nx] = cur->n + nx;
		x[nx++] = a;
	}
	if (!rc && nx) {
		const char **names = tarn_calloc((size_t)nx, sizeof *names);
		if (!names) {
			rc = nomem(b);
		} else {
			for (int i = 0; i < nx; i++)
				names[i] = "unnest";
			int n = nx;
			nx = 0; /* taken by the operator */
			rc = rel_unnest(b, cur, x, names, n, NULL);
			if (!rc) {
				/* the unnest columns stay reachable only through the calls */
				for (int i = 0; i < n; i++)
					cur->cols[cols[i]].hidden = true;
				for (int i = 0; !rc && i < n; i++)
					rc = sub_map_add(b, c, calls[i], cols[i]);
			}
		}
		tarn_free(names);
	}
	for (int i = 0; i < nx; i++)
		ex_expr_free(x[i]);
	tarn_free(x);
	tarn_free(calls);
	tarn_free(cols);
	tarn_free(f.v);
	return rc;
}

static tarn_rc func_rel(struct binder *b, const struct sql_tref *t, struct rel *out)
{
	if (tref_is_unnest(t)) {
		memset(out, 0, sizeof *out);
		return unnest_rel(b, t, out);
	}
	const struct sql_qname *qn = &t->func.name;
	const char *fn = qn->parts[qn->n - 1].s;
	static const struct {
		const char *fn, *format;
	} fns[] = {
		{ "read_csv", "csv" },		{ "read_csv_auto", "csv" },
		{ "read_tsv", "tsv" },		{ "read_parquet", "parquet" },
		{ "parquet_scan", "parquet" },	{ "read_json", NULL },
		{ "read_json_auto", NULL },	{ "read_ndjson", "jsonl" },
		{ "read_jsonl", "jsonl" },	{ "read_avro", "avro" },
		{ "read_orc", "orc" },		{ "read_arrow", "arrow" },
		{ "read_file", NULL },
	};
	int k = -1;
	for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++)
		if (name_eq(fn, fns[i].fn))
			k = (int)i;
	if (k < 0 && (name_eq(fn, "range") || name_eq(fn, "generate_series")))
		return series_rel(b, t, fn, out);
	if (k < 0)
		return fail(b, t->loc, TARN_EUNSUPPORTED, "unknown table function %s()", fn);
	const struct sql_expr *first = t->func.n_args >= 1 && !t->func.args[0].name.s
					       ? t->func.args[0].value
					       : NULL;
	/* the path: a string, or a list of strings ['a.csv', 'b.csv'] */
	bool is_list = first && first->kind == SQL_EXPR_ARRAY && first->list.n > 0;
	for (int i = 0; is_list && i < first->list.n; i++)
		is_list = first->list.items[i]->kind == SQL_EXPR_LITERAL &&
			  first->list.items[i]->lit.kind == SQL_LIT_STRING;
	if (!is_list && (!first || first->kind != SQL_EXPR_LITERAL ||
			 first->lit.kind != SQL_LIT_STRING))
		return fail(b, t->loc, TARN_EUSAGE,
			    "%s() needs a file path (a string, or a list of strings) first", fn);
	const char *path = is_list ? first->list.items[0]->lit.text : first->lit.text;
	const char *format = fns[k].format;
	if (!format && !tarn_dataset_path(path) && !tarn_format_for_path(path))
		format = "json";
	struct tarn_opts *o;
	if (tarn_opts_new(&o))
		return nomem(b);
	tarn_rc rc = TARN_OK;
	char buf[2048];
	const struct sql_expr *names = NULL; /* names = ['a', 'b']: column names */
	bool all_varchar = false, filename = false;
	for (int i = 1; !rc && i < t->func.n_args; i++) {
		const struct sql_arg *a = &t->func.args[i];
		if (!a->name.s) {
			rc = fail(b, a->value->loc, TARN_EUSAGE,
				  "%s(): options after the path are named (key=value)", fn);
			break;
		}
		char key[64];
		snprintf(key, sizeof key, "%s", a->name.s);
		for (char *p = key; *p; p++)
			*p = *p == '_' ? '-' : (char)tolower((unsigned char)*p);
		if (func_opt_special(b, key, a->value, &names, &all_varchar, &rc))
			continue;
		if (strcmp(key, "filename") == 0) {
			if (a->value->kind != SQL_EXPR_LITERAL || a->value->lit.kind != SQL_LIT_BOOL)
				rc = fail(b, a->value->loc, TARN_EUSAGE, "filename takes true or false");
			else
				filename = a->value->lit.b;
			continue;
		}
		static const struct {
			const char *from, *to;
		} alias[] = { { "delim", "delimiter" }, { "sep", "delimiter" },
			      { "nullstr", "null" },	{ "auto-detect", NULL },
			      { "format", NULL },	{ "hive-partitioning", NULL },
			      { "union-by-name", NULL }, { "filename", NULL } };
		const char *to = key;
		for (size_t j = 0; j < sizeof alias / sizeof alias[0]; j++)
			if (strcmp(key, alias[j].from) == 0)
				to = alias[j].to;
		if (!to)
			continue; /* tarn does these by itself */
		const char *v = NULL;
		rc = lit_text(b, a->value, buf, sizeof buf, &v);
		if (!rc && tarn_opts_set(o, to, v))
			rc = nomem(b);
	}
	if (!rc && all_varchar)
		rc = types_all_string(b, path, format, o, t->loc);
	bool used_all = b->used_all;
	if (names)
		b->used_all = true; /* the query names the renamed columns */
	if (!rc && (is_list || filename))
		rc = scan_list_rel(b, first, format, o, filename, alias_or(&t->alias, fn), t->loc, out);
	else if (!rc)
		rc = scan_rel(b, path, format, o, alias_or(&t->alias, fn), t->loc, out);
	b->used_all = used_all;
	tarn_opts_free(o);
	for (int i = 0; !rc && names && i < names->list.n && i < out->n; i++) {
		tarn_free(out->cols[i].name);
		out->cols[i].name = tarn_strdup(names->list.items[i]->lit.text);
		if (!out->cols[i].name)
			rc = nomem(b);
	}
	if (!rc)
		rc = apply_alias_cols(b, &t->alias, out);
	return rc;
}

static const struct sql_cte *find_cte(struct binder *b, const char *name,
				      struct cte_frame **where)
{
	for (struct cte_frame *f = b->ctes; f; f = f->up)
		for (int i = f->upto - 1; i >= 0; i--)
			if (name_eq(f->with->ctes[i].name.s, name)) {
				*where = f;
				return &f->with->ctes[i];
			}
	return NULL;
}

static tarn_rc bind_tref(struct binder *b, const struct sql_tref *t, struct rel *out);
static bool rec_is(const struct rec_frame *rf, const struct sql_cte *cte);
static struct rec_frame *rec_up(const struct rec_frame *rf);
static tarn_rc rec_ref(struct binder *b, const struct sql_tref *t, struct rec_frame *rf,
		       struct rel *out);
static tarn_rc bind_recursive_cte(struct binder *b, const struct sql_tref *t, struct cte_frame *f,
				  const struct sql_cte *cte, struct rel *out);

static void near_name(const char *name, const char *cand, size_t cand_len, int *best,
		      char *out, size_t cap)
{
	char c[256];
	snprintf(c, sizeof c, "%.*s", (int)(cand_len < 255 ? cand_len : 255), cand);
	int d = tarn_edit_distance(name, c, true);
	if (d < *best && d <= 2 && (d < (int)strlen(name) || d == 0)) {
		*best = d;
		snprintf(out, cap, "%s", c);
	}
}

/* The closest known table name to `name` (CTEs, views, lake tables, files
 * in the search path), or "" when none is within 2 edits. */
static void suggest_table(struct binder *b, const char *name, char *out, size_t cap)
{
	*out = 0;
	int best = 3;
	for (struct cte_frame *f = b->ctes; f; f = f->up)
		for (int i = 0; i < f->upto; i++)
			near_name(name, f->with->ctes[i].name.s, strlen(f->with->ctes[i].name.s), &best,
				  out, cap);
	if (!b->env)
		return;
	for (int i = 0; i < b->env->n_views; i++)
		near_name(name, b->env->views[i].name, strlen(b->env->views[i].name), &best, out, cap);
	char **tables = NULL;
	int nt = 0;
	if (sql_lake_list(b->env, &tables, &nt) == TARN_OK)
		for (int i = 0; i < nt; i++)
			near_name(name, tables[i], strlen(tables[i]), &best, out, cap);
	for (int i = 0; i < nt; i++)
		tarn_free(tables[i]);
	tarn_free(tables);
	const char *sp = b->env->search_path ? b->env->search_path : ".";
	while (*sp) {
		const char *e = strchr(sp, ',');
		size_t dl = e ? (size_t)(e - sp) : strlen(sp);
		char dir[4096];
		snprintf(dir, sizeof dir, "%.*s", (int)dl, sp);
		DIR *d = opendir(dir);
		struct dirent *de;
		while (d && (de = readdir(d)) != NULL)
			if (de->d_name[0] != '.' && tarn_format_for_path(de->d_name))
				near_name(name, de->d_name, strcspn(de->d_name, "."), &best, out, cap);
		if (d)
			closedir(d);
		sp += dl + (e != NULL);
	}
}

static tarn_rc table_rel(struct binder *b, const struct sql_tref *t, struct rel *out)
{
	const struct sql_qname *qn = &t->table;
	const char *name = qn->parts[qn->n - 1].s;
	struct cte_frame *f;
	const struct sql_cte *cte = qn->n == 1 ? find_cte(b, name, &f) : NULL;
	if (cte) {
		for (struct rec_frame *rf = b->rec; rf; rf = rec_up(rf))
			if (rec_is(rf, cte))
				return rec_ref(b, t, rf, out);
		if (f->with->recursive && cte->query->kind == SQL_QUERY_SETOP &&
		    cte->query->op == SQL_SETOP_UNION && !cte->query->by_name)
			return bind_recursive_cte(b, t, f, cte, out);
		/* Bind the CTE where it was defined: only earlier CTEs visible. */
		struct cte_frame *saved = b->ctes;
		int idx = (int)(cte - f->with->ctes);
		struct cte_frame inner = { f->with, idx, f->up };
		b->ctes = &inner;
		tarn_rc rc = bind_query_rel(b, cte->query, out);
		b->ctes = saved;
		TRY(rc);
		for (int i = 0; i < out->n; i++) {
			tarn_free(out->cols[i].rel);
			out->cols[i].rel = tarn_strdup(alias_or(&t->alias, name));
			if (i < cte->n_cols) {
				tarn_free(out->cols[i].name);
				out->cols[i].name = tarn_strdup(cte->cols[i].s);
			}
			if (!out->cols[i].rel || !out->cols[i].name)
				return nomem(b);
		}
		return apply_alias_cols(b, &t->alias, out);
	}
	for (int i = 0; b->env && i < b->env->n_views; i++) {
		const struct sql_view *v = &b->env->views[i];
		if (!name_eq(v->name, name))
			continue;
		const char *st = b->text;
		size_t sl = b->len;
		b->text = v->text;
		b->len = v->len;
		tarn_rc rc = bind_query_rel(b, v->query, out);
		b->text = st;
		b->len = sl;
		TRY(rc);
		if (v->n_cols > out->n)
			return fail(b, t->loc, TARN_EUSAGE, "view '%s' names %d columns for %d", name,
				    v->n_cols, out->n);
		for (int j = 0; j < out->n; j++) {
			tarn_free(out->cols[j].rel);
			out->cols[j].rel = tarn_strdup(alias_or(&t->alias, name));
			if (!out->cols[j].rel)
				return nomem(b);
			if (j < v->n_cols) {
				tarn_free(out->cols[j].name);
				out->cols[j].name = tarn_strdup(v->cols[j].s);
				if (!out->cols[j].name)
					return nomem(b);
			}
		}
		return apply_alias_cols(b, &t->alias, out);
	}
	/* A table in the lake (CREATE TABLE): its Parquet part files. */
	char tdir[4096];
	if (qn->n == 1 && sql_lake_exists(b->env, name, tdir, sizeof tdir)) {
		TRY(scan_rel(b, tdir, "parquet", NULL, alias_or(&t->alias, name), t->loc, out));
		return apply_alias_cols(b, &t->alias, out);
	}
	/* A file or directory of that name (any known extension) in the
	 * search path: SET file_search_path = 'dir1,dir2' (default "."). */
	const char *sp = b->env && b->env->search_path ? b->env->search_path : ".";
	while (*sp) {
		const char *e = strchr(sp, ',');
		size_t dl = e ? (size_t)(e - sp) : strlen(sp);
		for (int i = -1;; i++) {
			const struct tarn_format_info *fi = i >= 0 ? tarn_format_info_at(i) : NULL;
			if (i >= 0 && !fi)
				break;
			for (int x = 0; i < 0 ? x < 1 : fi->extensions[x] != NULL; x++) {
				char path[4096];
				snprintf(path, sizeof path, "%.*s/%s%s", (int)dl, sp, name,
					 i < 0 ? "" : fi->extensions[x]);
				struct stat st;
				if (stat(path, &st) != 0)
					continue;
				TRY(scan_rel(b, path, NULL, NULL, alias_or(&t->alias, name), t->loc, out));
				return apply_alias_cols(b, &t->alias, out);
			}
		}
		sp += dl + (e != NULL);
	}
	char near[256];
	suggest_table(b, name, near, sizeof near);
	if (*near)
		return fail(b, t->loc, TARN_ENOTFOUND, "unknown table '%s'; did you mean '%s'?", name,
			    near);
	return fail(b, t->loc, TARN_ENOTFOUND,
		    "unknown table '%s': no CTE, view, lake table, or file %s.<ext> in the search "
		    "path (%s); name a file in quotes: FROM 'data/%s.parquet'",
		    name, name, b->env && b->env->search_path ? b->env->search_path : ".", name);
}

static tarn_rc push_conj(struct binder *b, const struct sql_expr *e,
			 const struct sql_expr ***v, int *n, int *cap);

/* For (a AND x) OR (a AND y): a is a conjunct of the whole OR too (TPC-H
 * Q19's join key); those common terms are added beside the OR. */
static tarn_rc or_common(struct binder *b, const struct sql_expr *e, const struct sql_expr ***v,
			 int *n, int *cap)
{
	const struct sql_expr *first = e->list.items[0];
	int nf = first->kind == SQL_EXPR_AND ? first->list.n : 1;
	for (int i = 0; i < nf; i++) {
		const struct sql_expr *t = first->kind == SQL_EXPR_AND ? first->list.items[i] : first;
		char *tt;
		TRY(expr_text(b, t, &tt));
		bool all = true;
		for (int k = 1; all && k < e->list.n; k++) {
			const struct sql_expr *br = e->list.items[k];
			int nb = br->kind == SQL_EXPR_AND ? br->list.n : 1;
			bool hit = false;
			for (int j = 0; !hit && j < nb; j++) {
				char *bt;
				tarn_rc rc = expr_text(b, br->kind == SQL_EXPR_AND ? br->list.items[j] : br,
						       &bt);
				if (rc) {
					tarn_free(tt);
					return rc;
				}
				hit = strcmp(bt, tt) == 0;
				tarn_free(bt);
			}
			all = hit;
		}
		tarn_free(tt);
		if (all)
			TRY(push_conj(b, t, v, n, cap));
	}
	return TARN_OK;
}

/* Splits an AND tree into its conjuncts. */
static tarn_rc conjuncts(struct binder *b, const struct sql_expr *e,
			 const struct sql_expr ***v, int *n, int *cap)
{
	if (!e)
		return TARN_OK;
	if (e->kind == SQL_EXPR_AND) {
		for (int i = 0; i < e->list.n; i++)
			TRY(conjuncts(b, e->list.items[i], v, n, cap));
		return TARN_OK;
	}
	if (e->kind == SQL_EXPR_OR)
		TRY(or_common(b, e, v, n, cap));
	return push_conj(b, e, v, n, cap);
}

static tarn_rc push_conj(struct binder *b, const struct sql_expr *e,
			 const struct sql_expr ***v, int *n, int *cap)
{
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 16;
		const struct sql_expr **nv = tarn_realloc(*v, (size_t)*cap * sizeof **v);
		if (!nv)
			return nomem(b);
		*v = nv;
	}
	(*v)[(*n)++] = e;
	return TARN_OK;
}

/* Joins `build` into `probe` (both consumed into *out) on key pairs. */
static tarn_rc join_rels(struct binder *b, enum ex_join_kind kind, struct rel *probe,
			 struct rel *build, struct ex_expr **pk, struct ex_expr **bk, int nk,
			 struct ex_expr *residual, struct rel *out)
{
	struct ex_op *op = NULL;
	struct ex_op *po = probe->op, *bo = build->op;
	probe->op = build->op = NULL;
	/* no equality key: the nested-loop join (op_nljoin.c) */
	tarn_rc rc = nk ? ex_op_hash_join(kind, po, bo, pk, bk, nk, residual, &op, b->err)
			: ex_op_nl_join(kind, po, bo, residual, &op, b->err);
	if (rc) {
		rel_clear(probe);
		rel_clear(build);
		return rc;
	}
	memset(out, 0, sizeof *out);
	out->op = op;
	bool keep_build = kind != EX_JOIN_SEMI && kind != EX_JOIN_ANTI &&
			  kind != EX_JOIN_ANTI_NULL_AWARE && kind != EX_JOIN_MARK;
	int n = probe->n + (keep_build ? build->n : 0) + (kind == EX_JOIN_MARK);
	out->cols = tarn_calloc((size_t)n + 1, sizeof *out->cols);
	if (!out->cols) {
		rel_clear(probe);
		rel_clear(build);
		return nomem(b);
	}
	memcpy(out->cols, probe->cols, (size_t)probe->n * sizeof *out->cols);
	out->n = probe->n;
	if (keep_build) {
		memcpy(out->cols + out->n, build->cols, (size_t)build->n * sizeof *out->cols);
		out->n += build->n;
		build->n = 0;
	}
	if (kind == EX_JOIN_MARK) {
		out->cols[out->n].name = tarn_strdup("mark");
		out->n++;
	}
	probe->n = 0;
	out->est = probe->est > build->est ? probe->est : build->est;
	if (kind == EX_JOIN_SEMI || kind == EX_JOIN_ANTI)
		out->est = probe->est * 0.5;
	rel_clear(probe);
	rel_clear(build);
	rel_retarget(out);
	return TARN_OK;
}

/* Equality a = b with one side only over `lm` relations and the other only
 * over `rm`: fills *in_l / *in_r with the side for each. */
static bool split_eq(const struct sql_expr *e, uint64_t lmask_l, uint64_t lmask_r, uint64_t lm,
		     uint64_t rm, const struct sql_expr **in_l, const struct sql_expr **in_r)
{
	if (e->kind != SQL_EXPR_BINARY || e->binary.op != SQL_OP_EQ)
		return false;
	if (lmask_l && lmask_r && !(lmask_l & ~lm) && !(lmask_r & ~rm)) {
		*in_l = e->binary.l;
		*in_r = e->binary.r;
		return true;
	}
	if (lmask_l && lmask_r && !(lmask_l & ~rm) && !(lmask_r & ~lm)) {
		*in_l = e->binary.r;
		*in_r = e->binary.l;
		return true;
	}
	return false;
}

/* The join order's measure of how much joining table t next shrinks the
 * running result: t's own one-table conjuncts, plus those of the tables
 * not yet joined that hang off t alone (an equality with t and none with
 * the tables joined so far): a small filtered dimension reached through t
 * (nation through supplier) counts for t. */
static int join_filters(const struct sql_expr *const *cj, int ncj, const uint64_t *lm,
			const uint64_t *rm, const int *nfilt, int n, uint64_t joined, int t,
			const uint64_t *into)
{
	uint64_t tb = ((uint64_t)1 << t) | into[t];
	int f = nfilt[t];
	for (int u = 0; u < n; u++) {
		uint64_t ub = ((uint64_t)1 << u) | into[u];
		if (u == t || (joined & ub) || !nfilt[u])
			continue;
		bool to_t = false, to_joined = false;
		for (int i = 0; i < ncj; i++) {
			const struct sql_expr *x, *y;
			if (!cj[i] || !lm[i] || !rm[i])
				continue;
			to_t |= split_eq(cj[i], lm[i], rm[i], tb, ub, &x, &y);
			to_joined |= split_eq(cj[i], lm[i], rm[i], joined, ub, &x, &y);
		}
		if (to_t && !to_joined)
			f += nfilt[u];
	}
	return f;
}

/* Before the main join order: a filtered table u (one-table conjuncts)
 * joined by equalities to exactly one other table t, not the starting
 * one, is joined into t first (t probes, u is the build side), and the
 * result stands for both: TPC-H's filtered nation or region then shrinks
 * supplier or customer to a small build side instead of the fact table
 * carrying every row through the unfiltered dimension first (Q11's
 * partsupp meets supplier ⋈ nation, 400 rows, not 10,000). Repeats until
 * nothing changes (region into nation, then that into supplier).
 * into[t]: the tables so joined into t; *gone: all of them. */
static tarn_rc join_leaves(struct binder *b, const struct sql_expr **cj, int ncj,
			   const uint64_t *lm, const uint64_t *rm, struct rel *rels, int n, int first,
			   int *nfilt, uint64_t *into, uint64_t *gone)
{
	if (!lm || !rm)
		return TARN_OK;
	for (bool again = true; again;) {
		again = false;
		for (int u = 0; u < n; u++) {
			uint64_t ub = ((uint64_t)1 << u) | into[u];
			if (u == first || (*gone & ((uint64_t)1 << u)) || !nfilt[u])
				continue;
			int t = -1, nt = 0;
			for (int v = 0; v < n; v++) {
				uint64_t vb = ((uint64_t)1 << v) | into[v];
				if (v == u || (*gone & ((uint64_t)1 << v)))
					continue;
				bool e = false;
				for (int i = 0; i < ncj && !e; i++) {
					const struct sql_expr *x, *y;
					e = cj[i] && lm[i] && rm[i] &&
					    split_eq(cj[i], lm[i], rm[i], vb, ub, &x, &y);
				}
				if (e) {
					t = v;
					nt++;
				}
			}
			if (nt != 1 || t == first)
				continue;
			uint64_t tb = ((uint64_t)1 << t) | into[t];
			struct ex_expr **pk = tarn_calloc((size_t)ncj + 1, sizeof *pk);
			struct ex_expr **bk = tarn_calloc((size_t)ncj + 1, sizeof *bk);
			int nk = 0;
			tarn_rc rc = pk && bk ? TARN_OK : nomem(b);
			for (int i = 0; !rc && i < ncj; i++) {
				const struct sql_expr *et, *eu;
				if (!cj[i] || !lm[i] || !rm[i] ||
				    !split_eq(cj[i], lm[i], rm[i], tb, ub, &et, &eu))
					continue;
				struct bctx ct = { .r = &rels[t], .clause = "WHERE" };
				struct bctx cu = { .r = &rels[u], .clause = "WHERE" };
				rc = bind_expr(b, &ct, et, &pk[nk]);
				if (!rc)
					rc = bind_expr(b, &cu, eu, &bk[nk]);
				nk++;
				cj[i] = NULL;
			}
			if (rc) {
				for (int i = 0; i <= nk && pk; i++) {
					ex_expr_free(pk[i]);
					ex_expr_free(bk ? bk[i] : NULL);
				}
				tarn_free(pk);
				tarn_free(bk);
				return rc;
			}
			struct rel nr = { 0 };
			double est = rels[t].est;
			rc = join_rels(b, EX_JOIN_INNER, &rels[t], &rels[u], pk, bk, nk, NULL, &nr);
			tarn_free(pk);
			tarn_free(bk);
			TRY(rc);
			nr.est = est;
			for (int k = 0; k < nfilt[u]; k++)
				nr.est *= 0.3;
			rels[t] = nr;
			into[t] |= ub;
			*gone |= (uint64_t)1 << u;
			nfilt[t] += nfilt[u];
			again = true;
		}
	}
	return TARN_OK;
}

static tarn_rc mask_of(struct binder *b, const struct sql_expr *e, const struct rel *rels,
		       int n, const struct rel *outer, uint64_t *mask)
{
	struct refs r = { b, rels, n, outer, 0, NULL, NULL };
	TRY(walk(e, visit_refs, &r));
	if (r.bad) {
		/* Report against the union of every relation's columns. */
		struct bctx c = { .r = n ? &rels[0] : NULL };
		return unknown_column(b, &c, r.bad, r.why);
	}
	*mask = r.mask;
	return TARN_OK;
}

/* For an OR over several tables whose every branch has conjuncts over
 * table t alone, t is filtered by the OR of those (the original condition
 * still applies after the joins): TPC-H Q7's (n1 = FRANCE and n2 =
 * GERMANY) or (n1 = GERMANY and n2 = FRANCE) gives n1 in (FRANCE,
 * GERMANY), Q19's three branches filter part and lineitem each. *nfilt
 * counts the filters so added. */
static tarn_rc or_pushdown(struct binder *b, const struct sql_expr *e, struct rel *rels, int n,
			   const struct rel *outer, int *nfilt, int t)
{
	struct ex_expr **ors = tarn_calloc((size_t)e->list.n, sizeof *ors);
	int no = 0;
	tarn_rc rc = ors ? TARN_OK : nomem(b);
	for (int k = 0; !rc && k < e->list.n; k++) {
		const struct sql_expr *br = e->list.items[k];
		int nb = br->kind == SQL_EXPR_AND ? br->list.n : 1;
		struct ex_expr **ands = tarn_calloc((size_t)nb, sizeof *ands);
		int na = 0;
		rc = ands ? TARN_OK : nomem(b);
		for (int i = 0; !rc && i < nb; i++) {
			const struct sql_expr *x = br->kind == SQL_EXPR_AND ? br->list.items[i] : br;
			uint64_t m = 0;
			rc = mask_of(b, x, rels, n, outer, &m);
			if (rc || m != ((uint64_t)1 << t))
				continue;
			struct bctx c = { .r = &rels[t], .clause = "WHERE" };
			rc = bind_expr(b, &c, x, &ands[na]);
			if (!rc)
				na++;
		}
		if (!rc && na)
			rc = na == 1 ? (ors[no] = ands[0], TARN_OK)
				     : ex_expr_and(ands, na, &ors[no], b->err);
		else
			for (int i = 0; i < na; i++)
				ex_expr_free(ands[i]);
		tarn_free(ands);
		if (!rc && !na)
			break; /* a branch says nothing about t */
		if (!rc)
			no++;
	}
	struct ex_expr *pred = NULL;
	if (!rc && no == e->list.n)
		rc = ex_expr_or(ors, no, &pred, b->err);
	else
		for (int i = 0; i < no; i++)
			ex_expr_free(ors[i]);
	tarn_free(ors);
	TRY(rc);
	if (!pred)
		return TARN_OK;
	struct ex_op *op = NULL;
	TRY(ex_op_filter(rels[t].op, pred, &op, b->err));
	rels[t].op = op;
	rel_retarget(&rels[t]);
	rels[t].est *= 0.3;
	nfilt[t]++;
	return TARN_OK;
}

static tarn_rc filter_rel(struct binder *b, struct rel *r, const struct sql_expr *const *v, int n,
			  const char *clause)
{
	if (n == 0)
		return TARN_OK;
	struct ex_expr **a = tarn_calloc((size_t)n, sizeof *a);
	if (!a)
		return nomem(b);
	struct bctx c = { .r = r, .clause = clause };
	tarn_rc rc = TARN_OK;
	int k = 0;
	for (; k < n && !rc; k++)
		rc = bind_expr(b, &c, v[k], &a[k]);
	/* what the conjuncts say of single columns prunes a file scan below */
	if (!rc && ex_op_scan_push(r->op, a, n, b->err)) {
		for (int i = 0; i < n; i++)
			ex_expr_free(a[i]);
		tarn_free(a);
		return TARN_ENOMEM;
	}
	struct ex_expr *pred = NULL;
	if (!rc)
		rc = n == 1 ? (pred = a[0], TARN_OK) : ex_expr_and(a, n, &pred, b->err);
	else
		for (int i = 0; i < k - 1; i++)
			ex_expr_free(a[i]);
	tarn_free(a);
	TRY(rc);
	struct ex_op *op = NULL;
	struct ex_op *in = r->op;
	r->op = NULL; /* the filter owns it now, also on failure */
	TRY(ex_op_filter(in, pred, &op, b->err));
	r->op = op;
	rel_retarget(r);
	for (int i = 0; i < n; i++)
		r->est *= 0.3;
	return TARN_OK;
}

/* RIGHT/FULL JOIN ... USING (k): the unqualified k is COALESCE(left.k,
 * right.k), in the left key's place (so SELECT * shows it once); the left
 * copy moves to the end, reachable only qualified. */
static tarn_rc merge_using(struct binder *b, struct rel *r, int np, const int *ul, const int *ur,
			   int nu)
{
	int n = r->n + nu;
	struct ex_expr **pe = tarn_calloc((size_t)n + 1, sizeof *pe);
	struct bcol *cols = tarn_calloc((size_t)n + 1, sizeof *cols);
	tarn_rc rc = pe && cols ? TARN_OK : nomem(b);
	for (int i = 0; !rc && i < r->n; i++)
		rc = ex_expr_column(i, r->cols[i].type, NULL, &pe[i]);
	for (int u = 0; !rc && u < nu; u++) {
		struct ex_expr *two[2] = { NULL, NULL };
		rc = ex_expr_column(ul[u], r->cols[ul[u]].type, NULL, &two[0]);
		if (!rc)
			rc = ex_expr_column(np + ur[u], r->cols[np + ur[u]].type, NULL, &two[1]);
		if (!rc) {
			ex_expr_free(pe[ul[u]]);
			pe[ul[u]] = NULL;
			rc = ex_expr_coalesce(two, 2, &pe[ul[u]], b->err);
		} else {
			ex_expr_free(two[0]);
		}
		if (!rc)
			rc = ex_expr_column(ul[u], r->cols[ul[u]].type, NULL, &pe[r->n + u]);
	}
	struct ex_op *op = NULL;
	if (!rc) {
		memcpy(cols, r->cols, (size_t)r->n * sizeof *cols);
		for (int u = 0; u < nu; u++) {
			cols[r->n + u] = r->cols[ul[u]];
			cols[r->n + u].hidden = true;
			cols[ul[u]].rel = NULL;
			cols[ul[u]].name = tarn_strdup(r->cols[ul[u]].name);
			if (!cols[ul[u]].name)
				rc = nomem(b);
		}
		if (rc) {
			for (int u = 0; u < nu; u++)
				if (cols[ul[u]].name != r->cols[ul[u]].name)
					tarn_free(cols[ul[u]].name);
		}
	}
	if (!rc) {
		const char **names = tarn_calloc((size_t)n + 1, sizeof *names);
		rc = names ? TARN_OK : nomem(b);
		for (int i = 0; !rc && i < n; i++)
			names[i] = cols[i].name;
		if (!rc) { /* takes the child and the expressions, also on failure */
			rc = ex_op_project(r->op, pe, names, n, &op, b->err);
			r->op = NULL;
			tarn_free(pe);
			pe = NULL;
		}
		tarn_free(names);
		if (rc) {
			for (int u = 0; u < nu; u++)
				tarn_free(cols[ul[u]].name);
		}
	}
	if (rc) {
		for (int i = 0; pe && i < n; i++)
			ex_expr_free(pe[i]);
		tarn_free(pe);
		tarn_free(cols);
		rel_clear(r);
		return rc;
	}
	tarn_free(r->cols);
	r->cols = cols;
	r->n = n;
	r->op = op;
	rel_retarget(r);
	return TARN_OK;
}

/* ASOF [LEFT] JOIN (op_asof.c): ON equalities between the sides plus
 * exactly one inequality (>=, >, <=, <), or USING (keys..., time) where the
 * last column is `left.time >= right.time`. */
static tarn_rc bind_asof(struct binder *b, const struct sql_tref *t, struct rel *out)
{
	enum ex_join_kind kind;
	if (t->join.kind == SQL_JOIN_INNER)
		kind = EX_JOIN_INNER;
	else if (t->join.kind == SQL_JOIN_LEFT)
		kind = EX_JOIN_LEFT;
	else
		return fail(b, t->loc, TARN_EUSAGE, "ASOF joins are inner (ASOF JOIN) or left (ASOF "
			    "LEFT JOIN) only");
	if (t->join.natural)
		return fail(b, t->loc, TARN_EUSAGE, "NATURAL ASOF JOIN is not supported: name the "
			    "columns with USING or ON");
	struct rel l, r;
	tarn_rc rc = bind_tref(b, t->join.left, &l);
	if (rc) {
		rel_clear(&l); /* whatever it bound before failing */
		return rc;
	}
	rc = bind_tref(b, t->join.right, &r);
	if (rc) {
		rel_clear(&l);
		rel_clear(&r);
		return rc;
	}
	const struct sql_expr **cj = NULL;
	int n = 0, cap = 0;
	rc = conjuncts(b, t->join.on, &cj, &n, &cap);
	int max = n + t->join.n_using + 1, nk = 0;
	struct ex_expr **pk = tarn_calloc((size_t)max, sizeof *pk);
	struct ex_expr **bk = tarn_calloc((size_t)max, sizeof *bk);
	struct ex_expr *pt = NULL, *bt = NULL;
	enum ex_cmp cmp = EX_GE;
	if (!rc && (!pk || !bk))
		rc = nomem(b);
	for (int u = 0; !rc && u < t->join.n_using; u++) {
		const char *name = t->join.using_cols[u].s;
		int li = -1, ri = -1;
		for (int i = 0; i < l.n; i++)
			if (name_eq(l.cols[i].name, name) && !l.cols[i].hidden)
				li = i;
		for (int j = 0; j < r.n; j++)
			if (name_eq(r.cols[j].name, name))
				ri = j;
		if (li < 0 || ri < 0) {
			rc = fail(b, t->join.using_cols[u].loc, TARN_ENOTFOUND,
				  "USING column '%s' is not on both sides", name);
			break;
		}
		bool last = u == t->join.n_using - 1;
		rc = ex_expr_column(li, l.cols[li].type, l.cols[li].name, last ? &pt : &pk[nk]);
		if (!rc)
			rc = ex_expr_column(ri, r.cols[ri].type, r.cols[ri].name, last ? &bt : &bk[nk]);
		nk += !last;
		r.cols[ri].hidden = true;
	}
	struct rel both[2] = { l, r };
	for (int i = 0; !rc && i < n; i++) {
		const struct sql_expr *e = cj[i];
		static const enum ex_cmp ops[] = { [SQL_OP_EQ] = EX_EQ, [SQL_OP_LT] = EX_LT,
						   [SQL_OP_LE] = EX_LE, [SQL_OP_GT] = EX_GT,
						   [SQL_OP_GE] = EX_GE };
		bool cmp_op = e->kind == SQL_EXPR_BINARY &&
			      (e->binary.op == SQL_OP_EQ || e->binary.op == SQL_OP_LT ||
			       e->binary.op == SQL_OP_LE || e->binary.op == SQL_OP_GT ||
			       e->binary.op == SQL_OP_GE);
		uint64_t ml = 0, mr = 0;
		if (cmp_op) {
			rc = mask_of(b, e->binary.l, both, 2, NULL, &ml);
			if (!rc)
				rc = mask_of(b, e->binary.r, both, 2, NULL, &mr);
			if (rc)
				break;
		}
		bool straight = ml == 1 && mr == 2, flipped = ml == 2 && mr == 1;
		if (!cmp_op || !(straight || flipped)) {
			rc = fail(b, e->loc, TARN_EUSAGE,
				  "an ASOF JOIN condition must compare a left column with a right one "
				  "(equalities plus one inequality >=, >, <= or <)");
			break;
		}
		const struct sql_expr *el = straight ? e->binary.l : e->binary.r;
		const struct sql_expr *er = straight ? e->binary.r : e->binary.l;
		enum ex_cmp op = ops[e->binary.op];
		struct bctx cl = { .r = &l, .clause = "ON" }, cr = { .r = &r, .clause = "ON" };
		if (op == EX_EQ) {
			rc = bind_expr(b, &cl, el, &pk[nk]);
			if (!rc)
				rc = bind_expr(b, &cr, er, &bk[nk]);
			nk++;
			continue;
		}
		if (pt) {
			rc = fail(b, e->loc, TARN_EUSAGE,
				  "an ASOF JOIN takes exactly one inequality condition");
			break;
		}
		if (flipped) /* right OP left = left OP' right */
			op = op == EX_LT ? EX_GT : op == EX_LE ? EX_GE : op == EX_GT ? EX_LT : EX_LE;
		cmp = op;
		rc = bind_expr(b, &cl, el, &pt);
		if (!rc)
			rc = bind_expr(b, &cr, er, &bt);
	}
	if (!rc && !pt)
		rc = fail(b, t->loc, TARN_EUSAGE,
			  "an ASOF JOIN needs one inequality condition (>=, >, <= or <) between "
			  "the two sides");
	tarn_free(cj);
	struct ex_op *op = NULL;
	if (!rc) {
		struct ex_op *po = l.op, *bo = r.op;
		l.op = r.op = NULL;
		/* takes the expressions over, also on failure */
		rc = ex_op_asof_join(kind, po, bo, pk, bk, nk, pt, bt, cmp, &op, b->err);
	} else {
		for (int i = 0; i < max && pk && bk; i++) {
			ex_expr_free(pk[i]);
			ex_expr_free(bk[i]);
		}
		ex_expr_free(pt);
		ex_expr_free(bt);
	}
	tarn_free(pk);
	tarn_free(bk);
	if (rc) {
		rel_clear(&l);
		rel_clear(&r);
		return rc;
	}
	memset(out, 0, sizeof *out);
	out->op = op;
	out->cols = tarn_calloc((size_t)(l.n + r.n) + 1, sizeof *out->cols);
	if (!out->cols) {
		ex_op_free(op);
		out->op = NULL;
		rel_clear(&l);
		rel_clear(&r);
		return nomem(b);
	}
	memcpy(out->cols, l.cols, (size_t)l.n * sizeof *out->cols);
	memcpy(out->cols + l.n, r.cols, (size_t)r.n * sizeof *out->cols);
	out->n = l.n + r.n;
	out->est = l.est;
	l.n = r.n = 0;
	rel_clear(&l);
	rel_clear(&r);
	rel_retarget(out);
	return TARN_OK;
}

static tarn_rc bind_join(struct binder *b, const struct sql_tref *t, struct rel *out)
{
	if (t->join.asof)
		return bind_asof(b, t, out);
	struct rel l, r;
	tarn_rc rc = bind_tref(b, t->join.left, &l);
	if (rc) {
		rel_clear(&l); /* whatever it bound before failing */
		return rc;
	}
	rc = bind_tref(b, t->join.right, &r);
	if (rc) {
		rel_clear(&l);
		rel_clear(&r);
		return rc;
	}
	enum ex_join_kind kind;
	switch (t->join.kind) {
	case SQL_JOIN_INNER:
	case SQL_JOIN_CROSS:
		kind = EX_JOIN_INNER;
		break;
	case SQL_JOIN_LEFT:
		kind = EX_JOIN_LEFT;
		break;
	case SQL_JOIN_RIGHT:
		kind = EX_JOIN_RIGHT;
		break;
	case SQL_JOIN_FULL:
		kind = EX_JOIN_FULL;
		break;
	case SQL_JOIN_SEMI:
		kind = EX_JOIN_SEMI;
		break;
	case SQL_JOIN_ANTI:
		kind = EX_JOIN_ANTI;
		break;
	default:
		rel_clear(&l);
		rel_clear(&r);
		return fail(b, t->loc, TARN_EUNSUPPORTED, "this join is not supported yet");
	}
	const struct sql_expr **cj = NULL;
	int n = 0, cap = 0;
	rc = conjuncts(b, t->join.on, &cj, &n, &cap);
	int nk = 0, n_using = t->join.n_using;
	struct ex_expr **pk = NULL, **bk = NULL, **res = NULL;
	int *res_idx = NULL; /* conjuncts left for the residual */
	int n_res = 0;
	int max_keys = n + n_using + (t->join.natural ? r.n : 0) + 1;
	int *ul = NULL, *ur = NULL, nu = 0; /* USING/NATURAL pairs: left, right column */
	if (!rc) {
		ul = tarn_calloc((size_t)max_keys, sizeof *ul);
		ur = tarn_calloc((size_t)max_keys, sizeof *ur);
		if (!ul || !ur)
			rc = nomem(b);
	}
	if (!rc) {
		pk = tarn_calloc((size_t)max_keys, sizeof *pk);
		bk = tarn_calloc((size_t)max_keys, sizeof *bk);
		res = tarn_calloc((size_t)max_keys, sizeof *res);
		res_idx = tarn_calloc((size_t)max_keys, sizeof *res_idx);
		if (!pk || !bk || !res || !res_idx)
			rc = nomem(b);
	}
	/* USING / NATURAL: equal names, the right copy hidden. */
	for (int i = 0; !rc && i < l.n && t->join.natural; i++)
		for (int j = 0; j < r.n; j++)
			if (!r.cols[j].hidden && name_eq(l.cols[i].name, r.cols[j].name)) {
				rc = ex_expr_column(i, l.cols[i].type, l.cols[i].name, &pk[nk]);
				if (!rc)
					rc = ex_expr_column(j, r.cols[j].type, r.cols[j].name, &bk[nk]);
				ul[nk] = i;
				ur[nk] = j;
				nk++;
				nu = nk;
				r.cols[j].hidden = true;
			}
	for (int u = 0; !rc && u < n_using; u++) {
		const char *name = t->join.using_cols[u].s;
		int li = -1, ri = -1;
		for (int i = 0; i < l.n; i++)
			if (name_eq(l.cols[i].name, name) && !l.cols[i].hidden)
				li = i;
		for (int j = 0; j < r.n; j++)
			if (name_eq(r.cols[j].name, name))
				ri = j;
		if (li < 0 || ri < 0) {
			rc = fail(b, t->join.using_cols[u].loc, TARN_ENOTFOUND,
				  "USING column '%s' is not on both sides", name);
			break;
		}
		rc = ex_expr_column(li, l.cols[li].type, l.cols[li].name, &pk[nk]);
		if (!rc)
			rc = ex_expr_column(ri, r.cols[ri].type, r.cols[ri].name, &bk[nk]);
		ul[nk] = li;
		ur[nk] = ri;
		nk++;
		nu = nk;
		r.cols[ri].hidden = true;
	}
	/* ON: equalities between the sides are keys, the rest the residual. */
	struct rel both[2] = { l, r };
	for (int i = 0; !rc && i < n; i++) {
		const struct sql_expr *e = cj[i];
		uint64_t ml = 0, mr = 0;
		const struct sql_expr *el, *er;
		if (e->kind == SQL_EXPR_BINARY && e->binary.op == SQL_OP_EQ) {
			rc = mask_of(b, e->binary.l, both, 2, NULL, &ml);
			if (!rc)
				rc = mask_of(b, e->binary.r, both, 2, NULL, &mr);
			if (rc)
				break;
			if (split_eq(e, ml, mr, 1, 2, &el, &er)) {
				struct bctx cl = { .r = &l, .clause = "ON" }, cr = { .r = &r, .clause = "ON" };
				rc = bind_expr(b, &cl, el, &pk[nk]);
				if (!rc)
					rc = bind_expr(b, &cr, er, &bk[nk]);
				nk++;
				continue;
			}
		}
		/* A condition over one side only filters that side before the join
		 * when the join does not preserve that side's unmatched rows (Q13's
		 * o_comment NOT LIKE: orders shrink before the build, and no
		 * comment is carried into it). */
		uint64_t m = 0;
		rc = mask_of(b, e, both, 2, NULL, &m);
		if (rc)
			break;
		bool to_r = m == 2 && (kind == EX_JOIN_INNER || kind == EX_JOIN_LEFT ||
				       kind == EX_JOIN_SEMI || kind == EX_JOIN_ANTI);
		bool to_l = m == 1 && (kind == EX_JOIN_INNER || kind == EX_JOIN_RIGHT);
		if (to_r || to_l) {
			rc = filter_rel(b, to_r ? &r : &l, &cj[i], 1, "ON");
			continue;
		}
		res_idx[n_res++] = i; /* bound below, over both sides */
	}
	/* The residual is over probe ++ build columns. */
	struct ex_expr *residual = NULL;
	if (!rc && n_res) {
		struct rel comb = { 0 };
		comb.n = l.n + r.n;
		comb.cols = tarn_calloc((size_t)comb.n + 1, sizeof *comb.cols);
		if (!comb.cols)
			rc = nomem(b);
		if (!rc) {
			memcpy(comb.cols, l.cols, (size_t)l.n * sizeof *comb.cols);
			memcpy(comb.cols + l.n, r.cols, (size_t)r.n * sizeof *comb.cols);
			struct bctx cc = { .r = &comb, .clause = "ON" };
			for (int i = 0; !rc && i < n_res; i++)
				rc = bind_expr(b, &cc, cj[res_idx[i]], &res[i]);
			tarn_free(comb.cols);
		}
		if (rc)
			for (int i = 0; i < n_res; i++)
				ex_expr_free(res[i]);
		else /* ex_expr_and owns its operands, also on failure */
			rc = n_res == 1 ? (residual = res[0], TARN_OK)
					: ex_expr_and(res, n_res, &residual, b->err);
	}
	tarn_free(cj);
	if (rc) {
		for (int i = 0; i < max_keys && pk; i++) {
			ex_expr_free(pk[i]);
			ex_expr_free(bk[i]);
		}
		tarn_free(pk);
		tarn_free(bk);
		tarn_free(res);
		tarn_free(res_idx);
		tarn_free(ul);
		tarn_free(ur);
		ex_expr_free(residual);
		rel_clear(&l);
		rel_clear(&r);
		return rc;
	}
	tarn_free(res);
	tarn_free(res_idx);
	int np = l.n;
	rc = join_rels(b, kind, &l, &r, pk, bk, nk, residual, out);
	tarn_free(pk);
	tarn_free(bk);
	if (!rc && nu && (kind == EX_JOIN_RIGHT || kind == EX_JOIN_FULL))
		rc = merge_using(b, out, np, ul, ur, nu);
	tarn_free(ul);
	tarn_free(ur);
	return rc;
}

static tarn_rc bind_tref_kind(struct binder *b, const struct sql_tref *t, struct rel *out);

/* A file read with an alias column list (`'f.csv' AS x(a, b, c)`) renames
 * its columns by position: its scan reads them all, not only those the
 * query names. */
static tarn_rc bind_tref(struct binder *b, const struct sql_tref *t, struct rel *out)
{
	bool used_all = b->used_all;
	if (t->alias.n_cols > 0 && (t->kind == SQL_TREF_PATH || t->kind == SQL_TREF_FUNC ||
				    t->kind == SQL_TREF_TABLE))
		b->used_all = true;
	tarn_rc rc = bind_tref_kind(b, t, out);
	b->used_all = used_all;
	return rc;
}

static tarn_rc bind_tref_kind(struct binder *b, const struct sql_tref *t, struct rel *out)
{
	memset(out, 0, sizeof *out);
	switch (t->kind) {
	case SQL_TREF_PATH: {
		char *path = tarn_malloc(t->path.len + 1);
		if (path) {
			memcpy(path, t->path.s, t->path.len);
			path[t->path.len] = 0;
		}
		if (!path)
			return nomem(b);
		const char *base = strrchr(path, '/');
		char def[128];
		snprintf(def, sizeof def, "%s", base ? base + 1 : path);
		char *dot = strchr(def, '.');
		if (dot)
			*dot = 0;
		tarn_rc rc = scan_rel(b, path, NULL, NULL, alias_or(&t->alias, def), t->loc, out);
		tarn_free(path);
		TRY(rc);
		return apply_alias_cols(b, &t->alias, out);
	}
	case SQL_TREF_FUNC:
		return func_rel(b, t, out);
	case SQL_TREF_TABLE:
		return table_rel(b, t, out);
	case SQL_TREF_SUBQUERY:
		TRY(bind_query_rel(b, t->subquery, out));
		return apply_alias_cols(b, &t->alias, out);
	case SQL_TREF_JOIN:
		return bind_join(b, t, out);
	}
	return fail(b, t->loc, TARN_EINTERNAL, "unknown FROM item");
}

tarn_rc sql_batch_copy(const struct tarn_batch *src, struct tarn_batch **out)
{
	struct tarn_batch *d;
	TRY(tarn_batch_new(src->schema, src->n_rows, &d));
	tarn_rc rc = TARN_OK;
	for (int c = 0; !rc && c < src->n_cols; c++)
		for (int64_t i = 0; !rc && i < src->n_rows; i++)
			rc = tarn_array_append_from(d->cols[c], src->cols[c], i);
	if (!rc)
		rc = tarn_batch_seal(d, NULL);
	if (rc) {
		tarn_batch_free(d);
		return rc;
	}
	*out = d;
	return TARN_OK;
}

/* ---- FROM + WHERE: scans, pushed filters, joins, subquery conditions ------------------ */

static bool is_subquery_cond(const struct sql_expr *e)
{
	return e->kind == SQL_EXPR_EXISTS || (e->kind == SQL_EXPR_IN && e->in.query) ||
	       (e->kind == SQL_EXPR_UNARY && e->unary.op == SQL_OP_NOT &&
		(e->unary.arg->kind == SQL_EXPR_EXISTS ||
		 (e->unary.arg->kind == SQL_EXPR_IN && e->unary.arg->in.query)));
}

static bool is_in_subquery(const struct sql_expr *e)
{
	if (e->kind == SQL_EXPR_UNARY && e->unary.op == SQL_OP_NOT)
		e = e->unary.arg;
	return e->kind == SQL_EXPR_IN && e->in.query;
}

struct corr {
	const struct sql_expr **v; /* conjuncts naming outer columns */
	int n, cap;
};

static tarn_rc corr_add(struct binder *b, struct corr *c, const struct sql_expr *e)
{
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 8;
		const struct sql_expr **v = tarn_realloc(c->v, (size_t)c->cap * sizeof *v);
		if (!v)
			return nomem(b);
		c->v = v;
	}
	c->v[c->n++] = e;
	return TARN_OK;
}

static tarn_rc apply_subquery_cond(struct binder *b, struct rel *cur, const struct sql_expr *e);
static tarn_rc filter_dependent(struct binder *b, struct rel *cur, const struct sql_expr *e);
static tarn_rc apply_dependent(struct binder *b, struct rel *cur,
			       const struct sql_expr *const *v, int n, struct bctx *c);
static bool is_star(const struct sql_expr *e);
static tarn_rc agg_spec(struct binder *b, const struct bctx *c, const struct sql_expr *e,
			struct ex_agg_spec *out);
static tarn_rc apply_scalar_subs(struct binder *b, struct rel *cur,
				 const struct sql_expr *const *conds, int n,
				 struct bctx *c);

/* Joins `next` (consumed) into *cur by nested loop: the predicate is the
 * conjuncts (taken: cj[i] = NULL) that name `nb` and otherwise only
 * joined tables; none = a cross join. */
static tarn_rc nl_join_next(struct binder *b, struct rel *cur, struct rel *next,
			    const struct sql_expr **cj, const uint64_t *masks, int ncj,
			    uint64_t joined, uint64_t nb)
{
	struct ex_expr **a = tarn_calloc((size_t)ncj + 1, sizeof *a);
	struct rel comb = { 0 };
	comb.n = cur->n + next->n;
	comb.cols = tarn_calloc((size_t)comb.n + 1, sizeof *comb.cols);
	tarn_rc rc = a && comb.cols ? TARN_OK : nomem(b);
	int k = 0;
	if (!rc) {
		memcpy(comb.cols, cur->cols, (size_t)cur->n * sizeof *comb.cols);
		memcpy(comb.cols + cur->n, next->cols, (size_t)next->n * sizeof *comb.cols);
	}
	struct bctx cc = { .r = &comb, .clause = "WHERE" };
	for (int i = 0; !rc && i < ncj; i++) {
		if (!cj[i] || is_subquery_cond(cj[i]) || (masks[i] & (OUTER_BIT | SUB_BIT)) ||
		    !(masks[i] & nb) || (masks[i] & ~(joined | nb)))
			continue;
		rc = bind_expr(b, &cc, cj[i], &a[k]);
		if (!rc) {
			k++;
			cj[i] = NULL;
		}
	}
	tarn_free(comb.cols);
	struct ex_expr *pred = NULL;
	if (!rc && k)
		rc = k == 1 ? (pred = a[0], TARN_OK) : ex_expr_and(a, k, &pred, b->err);
	else if (rc)
		for (int i = 0; i < k; i++)
			ex_expr_free(a[i]);
	tarn_free(a);
	if (rc) {
		rel_clear(next);
		return rc;
	}
	struct rel nr = { 0 };
	TRY(join_rels(b, EX_JOIN_INNER, cur, next, NULL, NULL, 0, pred, &nr));
	*cur = nr;
	return TARN_OK;
}

/* Binds sel's FROM and WHERE. With `outer` (a correlated subquery's
 * enclosing scope), conjuncts naming outer columns are not applied but
 * returned in *corr. */
static tarn_rc bind_from_where(struct binder *b, const struct sql_select *sel,
			       const struct rel *outer, struct rel *out, struct corr *corr,
			       struct bctx *subs_ctx)
{
	memset(out, 0, sizeof *out);
	int n = sel->n_from;
	if (n == 0) {
		/* SELECT without FROM: one row, no columns. */
		struct tarn_schema *s;
		if (tarn_schema_new(0, &s))
			return nomem(b);
		struct tarn_batch *tb;
		tarn_rc rc = tarn_batch_new(s, 1, &tb);
		if (!rc) {
			tb->n_rows = 1;
			struct tarn_batch **v = tarn_malloc(sizeof *v);
			if (!v) {
				tarn_batch_free(tb);
				rc = nomem(b);
			} else {
				v[0] = tb;
				struct ex_op *op;
				rc = ex_op_values(s, v, 1, &op, b->err);
				tarn_schema_unref(s); /* the operator holds its own reference */
				if (!rc)
					rc = rel_from_op(b, op, NULL, 1, out);
				tarn_free(v);
				/* SELECT ... WHERE cond without FROM: the one row, filtered. */
				if (!rc && sel->where) {
					const struct sql_expr *w = sel->where;
					rc = filter_rel(b, out, &w, 1, "WHERE");
				}
				if (rc)
					rel_clear(out);
				return rc;
			}
		}
		tarn_schema_unref(s);
		return rc ? rc : nomem(b);
	}
	if (n > 62)
		return fail(b, sel->from[62]->loc, TARN_ELIMIT, "more than 62 tables in one FROM");
	struct rel *rels = tarn_calloc((size_t)n, sizeof *rels);
	const struct sql_expr **cj = NULL;
	int ncj = 0, capcj = 0;
	uint64_t *masks = NULL;
	tarn_rc rc = rels ? TARN_OK : nomem(b);
	int bound = 0, n_rel = 0;
	for (; !rc && bound < n; bound++) {
		/* FROM t, unnest(t.list): unnest over the table before it */
		if (n_rel > 0 && tref_is_unnest(sel->from[bound]))
			rc = unnest_rel(b, sel->from[bound], &rels[n_rel - 1]);
		else
			rc = bind_tref(b, sel->from[bound], &rels[n_rel++]);
	}
	n = n_rel;
	bound = n_rel;
	if (!rc)
		rc = conjuncts(b, sel->where, &cj, &ncj, &capcj);
	if (!rc && ncj) {
		masks = tarn_calloc((size_t)ncj, sizeof *masks);
		if (!masks)
			rc = nomem(b);
	}
	/* Which tables each conjunct names. */
	for (int i = 0; !rc && i < ncj; i++)
		rc = mask_of(b, cj[i], rels, n, outer, &masks[i]);
	/* Correlated conjuncts go to the caller. */
	for (int i = 0; !rc && i < ncj; i++)
		if (masks[i] & OUTER_BIT) {
			if (!corr)
				rc = fail(b, cj[i]->loc, TARN_EINTERNAL, "unexpected outer reference");
			else
				rc = corr_add(b, corr, cj[i]);
			cj[i] = NULL;
		}
	/* One-table conjuncts filter their table before any join. */
	int nfilt[64] = { 0 }; /* one-table conjuncts per table */
	for (int t = 0; !rc && t < n; t++) {
		const struct sql_expr **mine = tarn_calloc((size_t)ncj + 1, sizeof *mine);
		int k = 0;
		if (!mine) {
			rc = nomem(b);
			break;
		}
		for (int i = 0; i < ncj; i++)
			if (cj[i] && !is_subquery_cond(cj[i]) && masks[i] == ((uint64_t)1 << t)) {
				mine[k++] = cj[i];
				cj[i] = NULL;
			}
		rc = filter_rel(b, &rels[t], mine, k, "WHERE");
		nfilt[t] = k;
		tarn_free(mine);
		/* ORs over several tables: what each branch says of table t */
		for (int i = 0; !rc && i < ncj; i++)
			if (cj[i] && cj[i]->kind == SQL_EXPR_OR && (masks[i] & (masks[i] - 1)) &&
			    (masks[i] & ((uint64_t)1 << t)))
				rc = or_pushdown(b, cj[i], rels, n, outer, nfilt, t);
		/* x [NOT] IN (subquery) over this table alone: a semi/anti join
		 * of the table, before it meets the others (Q18's orders) */
		for (int i = 0; !rc && i < ncj; i++) {
			uint64_t am = 0;
			if (!cj[i] || !is_in_subquery(cj[i]))
				continue;
			const struct sql_expr *in = cj[i]->kind == SQL_EXPR_UNARY ? cj[i]->unary.arg : cj[i];
			rc = mask_of(b, in->in.arg, rels, n, outer, &am);
			if (!rc && am == ((uint64_t)1 << t)) {
				rc = apply_subquery_cond(b, &rels[t], cj[i]);
				cj[i] = NULL;
				nfilt[t]++;
				rels[t].est *= 0.3;
			}
		}
	}
	/* Joins: from the largest table outwards, each next table the
	 * smallest one connected by an equality among those that bring a
	 * filter (join_filters), else the smallest, hashed as the build side
	 * (est shrinks ×0.3 per filter, including those joined in by
	 * join_leaves).
	 * A foreign-key join with an unfiltered table keeps every row, and
	 * every later join would carry them: filtered tables go first.
	 * The side masks of equalities are taken now, while every table is
	 * still its own relation. */
	uint64_t *lm = NULL, *rm = NULL;
	if (!rc && ncj) {
		lm = tarn_calloc((size_t)ncj, sizeof *lm);
		rm = tarn_calloc((size_t)ncj, sizeof *rm);
		if (!lm || !rm)
			rc = nomem(b);
	}
	for (int i = 0; !rc && i < ncj; i++) {
		if (!cj[i] || cj[i]->kind != SQL_EXPR_BINARY || cj[i]->binary.op != SQL_OP_EQ)
			continue;
		rc = mask_of(b, cj[i]->binary.l, rels, n, NULL, &lm[i]);
		if (!rc)
			rc = mask_of(b, cj[i]->binary.r, rels, n, NULL, &rm[i]);
	}
	uint64_t joined = 0;
	struct rel cur = { 0 };
	uint64_t into[64] = { 0 }; /* tables joined into table t beforehand */
	uint64_t gone = 0;         /* tables so joined */
	if (!rc) {
		int first = 0;
		for (int t = 1; t < n; t++)
			if (rels[t].est > rels[first].est)
				first = t;
		rc = join_leaves(b, cj, ncj, lm, rm, rels, n, first, nfilt, into, &gone);
		cur = rels[first];
		memset(&rels[first], 0, sizeof rels[first]);
		joined = (uint64_t)1 << first;
	}
	while (!rc && joined != (((uint64_t)1 << n) - 1)) {
		int next = -1;
		for (int t = 0; t < n; t++) {
			uint64_t tb = (uint64_t)1 << t;
			if ((joined | gone) & tb)
				continue;
			tb |= into[t];
			bool edge = false;
			for (int i = 0; i < ncj && !edge; i++) {
				const struct sql_expr *ej, *en;
				edge = cj[i] && lm[i] && rm[i] &&
				       split_eq(cj[i], lm[i], rm[i], joined, tb, &ej, &en);
			}
			if (!edge)
				continue;
			bool tf = join_filters(cj, ncj, lm, rm, nfilt, n, joined | gone, t, into) > 0;
			bool nf = next >= 0 &&
				  join_filters(cj, ncj, lm, rm, nfilt, n, joined | gone, next, into) > 0;
			if (next < 0 || (tf && !nf) || (tf == nf && rels[t].est < rels[next].est))
				next = t;
		}
		if (next < 0) {
			/* No equality to the tables joined so far: the smallest
			 * remaining table joins by nested loop, on the conditions
			 * that name only it and joined tables. */
			for (int t = 0; t < n; t++)
				if (!(joined & ((uint64_t)1 << t)) &&
				    (next < 0 || rels[t].est < rels[next].est))
					next = t;
			rc = nl_join_next(b, &cur, &rels[next], cj, masks, ncj, joined,
					  (uint64_t)1 << next);
			joined |= (uint64_t)1 << next;
			continue;
		}
		uint64_t nb = ((uint64_t)1 << next) | into[next];
		struct ex_expr **pk = tarn_calloc((size_t)ncj + 1, sizeof *pk);
		struct ex_expr **bk = tarn_calloc((size_t)ncj + 1, sizeof *bk);
		int nk = 0;
		if (!pk || !bk)
			rc = nomem(b);
		for (int i = 0; !rc && i < ncj; i++) {
			const struct sql_expr *ej, *en;
			if (!cj[i] || !lm[i] || !rm[i] ||
			    !split_eq(cj[i], lm[i], rm[i], joined, nb, &ej, &en))
				continue;
			struct bctx cc = { .r = &cur, .clause = "WHERE" };
			struct bctx cn = { .r = &rels[next], .clause = "WHERE" };
			rc = bind_expr(b, &cc, ej, &pk[nk]);
			if (!rc)
				rc = bind_expr(b, &cn, en, &bk[nk]);
			nk++;
			cj[i] = NULL;
		}
		if (!rc) {
			struct rel nr = { 0 };
			rc = join_rels(b, EX_JOIN_INNER, &cur, &rels[next], pk, bk, nk, NULL, &nr);
			if (!rc)
				cur = nr;
			joined |= nb;
		} else {
			for (int i = 0; i <= nk && pk; i++) {
				ex_expr_free(pk[i]);
				ex_expr_free(bk ? bk[i] : NULL);
			}
		}
		tarn_free(pk);
		tarn_free(bk);
	}
	tarn_free(lm);
	tarn_free(rm);
	/* What is left: conditions over several tables, then subqueries. */
	const struct sql_expr **rest = NULL;
	int nrest = 0;
	if (!rc && ncj) {
		rest = tarn_calloc((size_t)ncj, sizeof *rest);
		if (!rest)
			rc = nomem(b);
	}
	for (int i = 0; !rc && i < ncj; i++)
		if (cj[i] && !is_subquery_cond(cj[i]))
			rest[nrest++] = cj[i];
	if (!rc)
		rc = apply_scalar_subs(b, &cur, rest, nrest, subs_ctx);
	if (!rc)
		rc = apply_dependent(b, &cur, rest, nrest, subs_ctx);
	if (!rc) {
		struct bctx c = *subs_ctx;
		c.r = &cur;
		c.clause = "WHERE";
		if (nrest) {
			struct ex_expr **a = tarn_calloc((size_t)nrest, sizeof *a);
			int k = 0;
			rc = a ? TARN_OK : nomem(b);
			for (; !rc && k < nrest; k++)
				rc = bind_expr(b, &c, rest[k], &a[k]);
			struct ex_expr *pred = NULL;
			if (!rc)
				rc = nrest == 1 ? (pred = a[0], TARN_OK)
						: ex_expr_and(a, nrest, &pred, b->err);
			else
				for (int i = 0; i < k - 1; i++)
					ex_expr_free(a[i]);
			tarn_free(a);
			struct ex_op *op;
			if (!rc) {
				rc = ex_op_filter(cur.op, pred, &op, b->err);
				if (rc)
					cur.op = NULL; /* freed by ex_op_filter */
			}
			if (!rc) {
				cur.op = op;
				rel_retarget(&cur);
			}
		}
	}
	for (int i = 0; !rc && i < ncj; i++)
		if (cj[i] && is_subquery_cond(cj[i]))
			rc = apply_subquery_cond(b, &cur, cj[i]);
	tarn_free(rest);
	tarn_free(masks);
	tarn_free(cj);
	for (int t = 0; t < n && rels; t++)
		rel_clear(&rels[t]);
	tarn_free(rels);
	if (rc) {
		rel_clear(&cur);
		return rc;
	}
	*out = cur;
	return TARN_OK;
}

/* The scope cur ++ inner for a correlated residual: outer columns whose
 * names the inner side also has are reachable only qualified (the inner
 * scope wins, as in SQL). Column structs are shallow copies. */
static tarn_rc combined_scope(struct binder *b, const struct rel *outer, const struct rel *inner,
			      struct rel *out)
{
	memset(out, 0, sizeof *out);
	out->cols = tarn_calloc((size_t)(outer->n + inner->n) + 1, sizeof *out->cols);
	if (!out->cols)
		return nomem(b);
	memcpy(out->cols, outer->cols, (size_t)outer->n * sizeof *out->cols);
	memcpy(out->cols + outer->n, inner->cols, (size_t)inner->n * sizeof *out->cols);
	out->n = outer->n + inner->n;
	for (int i = 0; i < outer->n; i++)
		for (int j = 0; j < inner->n; j++)
			if (name_eq(outer->cols[i].name, inner->cols[j].name))
				out->cols[i].hidden = true;
	return TARN_OK;
}

/* Splits correlated conjuncts into key pairs (outer = inner equalities)
 * and a residual over cur ++ inner. */
static tarn_rc corr_keys(struct binder *b, const struct rel *cur, const struct rel *inner,
			 const struct corr *corr, struct ex_expr ***pk, struct ex_expr ***bk,
			 int *nk, struct ex_expr **residual, bool swap)
{
	*nk = 0;
	*residual = NULL;
	*pk = tarn_calloc((size_t)corr->n + 1, sizeof **pk);
	*bk = tarn_calloc((size_t)corr->n + 1, sizeof **bk);
	struct ex_expr **res = tarn_calloc((size_t)corr->n + 1, sizeof *res);
	int nres = 0;
	if (!*pk || !*bk || !res) {
		tarn_free(res);
		return nomem(b);
	}
	tarn_rc rc = TARN_OK;
	for (int i = 0; !rc && i < corr->n; i++) {
		const struct sql_expr *e = corr->v[i];
		if (e->kind == SQL_EXPR_BINARY && e->binary.op == SQL_OP_EQ) {
			uint64_t ml = 0, mr = 0;
			rc = mask_of(b, e->binary.l, inner, 1, cur, &ml);
			if (!rc)
				rc = mask_of(b, e->binary.r, inner, 1, cur, &mr);
			const struct sql_expr *eo, *ei;
			if (!rc && split_eq(e, ml, mr, OUTER_BIT, 1, &eo, &ei)) {
				struct bctx co = { .r = cur, .clause = "WHERE" };
				struct bctx ci = { .r = inner, .clause = "WHERE" };
				rc = bind_expr(b, &co, eo, &(*pk)[*nk]);
				if (!rc)
					rc = bind_expr(b, &ci, ei, &(*bk)[*nk]);
				(*nk)++;
				continue;
			}
		}
		if (!rc) {
			struct rel comb;
			rc = combined_scope(b, cur, inner, &comb);
			if (!rc && swap) {
				/* inner ++ cur: the right semi/anti join probes with
				 * the inner side (hidden flags stay with cur's copy) */
				struct rel sw = comb;
				sw.cols = tarn_calloc((size_t)comb.n + 1, sizeof *sw.cols);
				if (sw.cols) {
					memcpy(sw.cols, comb.cols + cur->n, (size_t)inner->n * sizeof *sw.cols);
					memcpy(sw.cols + inner->n, comb.cols, (size_t)cur->n * sizeof *sw.cols);
				}
				tarn_free(comb.cols);
				comb = sw;
				if (!comb.cols)
					rc = nomem(b);
			}
			if (!rc) {
				struct bctx cc = { .r = &comb, .clause = "WHERE" };
				rc = bind_expr(b, &cc, e, &res[nres++]);
				tarn_free(comb.cols);
			}
		}
	}
	if (!rc && nres)
		rc = nres == 1 ? (*residual = res[0], TARN_OK)
			       : ex_expr_and(res, nres, residual, b->err);
	else if (rc)
		for (int i = 0; i < nres; i++)
			ex_expr_free(res[i]);
	tarn_free(res);
	return rc;
}

static void free_keys(struct ex_expr **pk, struct ex_expr **bk, int n)
{
	for (int i = 0; i < n; i++) {
		ex_expr_free(pk ? pk[i] : NULL);
		ex_expr_free(bk ? bk[i] : NULL);
	}
	tarn_free(pk);
	tarn_free(bk);
}

static tarn_rc apply_subquery_cond(struct binder *b, struct rel *cur, const struct sql_expr *e)
{
	const struct sql_expr *orig = e;
	bool neg = false;
	if (e->kind == SQL_EXPR_UNARY) {
		neg = true;
		e = e->unary.arg;
	}
	const struct sql_query *q = e->kind == SQL_EXPR_EXISTS ? e->sub.query : e->in.query;
	neg ^= e->kind == SQL_EXPR_IN && e->in.not;
	bool plain = q->kind == SQL_QUERY_SELECT && !q->with;
	/* EXISTS over a SELECT whose rows FROM/WHERE alone do not decide
	 * (aggregates, GROUP BY, HAVING, LIMIT, DISTINCT ...): evaluated
	 * dependently, as is any correlated IN (below). */
	if (e->kind == SQL_EXPR_EXISTS) {
		bool simple = plain && !q->select->n_group && !q->select->having &&
			      !q->select->group_all && !q->limit && !q->offset &&
			      !q->select->n_windows && !q->select->qualify;
		struct agg_list al = { b, 0, 0, NULL, NULL };
		for (int i = 0; simple && i < q->select->n_items; i++)
			if (!is_star(q->select->items[i].expr))
				TRY(walk(q->select->items[i].expr, visit_agg, &al));
		if (al.n)
			simple = false;
		agg_list_free(&al);
		if (!simple)
			return filter_dependent(b, cur, orig);
	}
	struct rel inner = { 0 };
	struct corr corr = { 0 };
	struct bctx subs = { 0 };
	/* IN over a set operation or WITH: uncorrelated, bound whole below */
	tarn_rc rc = plain ? bind_from_where(b, q->select, cur, &inner, &corr, &subs) : TARN_OK;
	tarn_free(subs.subs);
	tarn_free(subs.sub_col);
	if (rc) {
		tarn_free(corr.v);
		return rc;
	}
	struct ex_expr **pk = NULL, **bk = NULL, *residual = NULL;
	int nk = 0;
	bool swap = false;
	enum ex_join_kind kind;
	if (e->kind == SQL_EXPR_IN) {
		if (corr.n) {
			rel_clear(&inner);
			tarn_free(corr.v);
			return filter_dependent(b, cur, orig);
		}
		/* Uncorrelated: the whole subquery is the build side. */
		rel_clear(&inner);
		TRY(bind_query_rel(b, q, &inner));
		if (inner.n != 1) {
			rel_clear(&inner);
			return fail(b, e->loc, TARN_EUSAGE, "IN (subquery) needs one column, not %d",
				    inner.n);
		}
		pk = tarn_calloc(2, sizeof *pk);
		bk = tarn_calloc(2, sizeof *bk);
		struct bctx c = { .r = cur, .clause = "WHERE" };
		rc = pk && bk ? bind_expr(b, &c, e->in.arg, &pk[0]) : nomem(b);
		if (!rc)
			rc = ex_expr_column(0, inner.cols[0].type, inner.cols[0].name, &bk[0]);
		nk = 1;
		kind = neg ? EX_JOIN_ANTI_NULL_AWARE : EX_JOIN_SEMI;
	} else {
		/* A build side larger than the outer query: build the outer one
		 * instead and mark its rows from the subquery's (right semi/anti).
		 * Without an equality the nested-loop join runs, unswapped. */
		swap = cur->est < inner.est;
		rc = corr_keys(b, cur, &inner, &corr, &pk, &bk, &nk, &residual, swap);
		if (!rc && nk == 0 && swap) {
			free_keys(pk, bk, nk);
			ex_expr_free(residual);
			pk = bk = NULL;
			residual = NULL;
			swap = false;
			rc = corr_keys(b, cur, &inner, &corr, &pk, &bk, &nk, &residual, false);
		}
		kind = swap ? (neg ? EX_JOIN_RIGHT_ANTI : EX_JOIN_RIGHT_SEMI)
			    : (neg ? EX_JOIN_ANTI : EX_JOIN_SEMI);
	}
	tarn_free(corr.v);
	if (rc) {
		free_keys(pk, bk, nk);
		ex_expr_free(residual);
		rel_clear(&inner);
		return rc;
	}
	if (swap) {
		struct ex_op *op = NULL;
		struct ex_op *po = inner.op, *bo = cur->op;
		inner.op = cur->op = NULL;
		rc = ex_op_hash_join(kind, po, bo, bk, pk, nk, residual, &op, b->err);
		tarn_free(pk);
		tarn_free(bk);
		rel_clear(&inner);
		TRY(rc);
		cur->op = op; /* same columns as before, in the same order */
		cur->est *= 0.5;
		rel_retarget(cur);
		return TARN_OK;
	}
	struct rel nr = { 0 };
	rc = join_rels(b, kind, cur, &inner, pk, bk, nk, residual, &nr);
	tarn_free(pk);
	tarn_free(bk);
	TRY(rc);
	*cur = nr;
	return TARN_OK;
}

struct sub_find {
	const struct sql_expr **v;
	int n, cap;
	struct binder *b;
};

static tarn_rc visit_sub(void *ctx, const struct sql_expr *e)
{
	struct sub_find *f = ctx;
	if (e->kind != SQL_EXPR_SUBQUERY)
		return TARN_OK;
	if (f->n == f->cap) {
		f->cap = f->cap ? f->cap * 2 : 4;
		const struct sql_expr **v = tarn_realloc(f->v, (size_t)f->cap * sizeof *v);
		if (!v)
			return nomem(f->b);
		f->v = v;
	}
	f->v[f->n++] = e;
	return TARN_OK;
}

/* Re-points a value bound over an aggregate's output [keys, aggs] at the
 * same columns after they were joined behind `off` columns; count columns
 * become COALESCE(count, 0) (no group = count of no rows). */
static tarn_rc shift_value(struct binder *b, struct ex_expr **slot, int off, int nk,
			   const bool *is_count, int n_aggs)
{
	struct ex_expr *e = *slot;
	if (e->kind == EX_E_COLUMN) {
		int a = e->col - nk;
		e->col += off;
		if (a >= 0 && a < n_aggs && is_count[a]) {
			struct ex_expr *two[2] = { e, NULL };
			if (ex_expr_const_int(TARN_T_INT64, 0, &two[1]))
				return nomem(b);
			*slot = NULL; /* coalesce owns e now, also on failure */
			return ex_expr_coalesce(two, 2, slot, b->err);
		}
		return TARN_OK;
	}
	for (int i = 0; i < e->n_args; i++)
		TRY(shift_value(b, &e->args[i], off, nk, is_count, n_aggs));
	return TARN_OK;
}

/* Appends column val (taken over) to cur by a projection; hidden name. */
static tarn_rc append_value(struct binder *b, struct rel *cur, struct ex_expr *val)
{
	int n = cur->n + 1;
	struct ex_expr **pe = tarn_calloc((size_t)n + 1, sizeof *pe);
	const char **names = tarn_calloc((size_t)n + 1, sizeof *names);
	struct bcol *cols = tarn_realloc(cur->cols, (size_t)(n + 1) * sizeof *cols);
	if (cols)
		cur->cols = cols;
	tarn_rc rc = pe && names && cols ? TARN_OK : nomem(b);
	for (int i = 0; !rc && i < cur->n; i++) {
		rc = ex_expr_column(i, cur->cols[i].type, NULL, &pe[i]);
		names[i] = cur->cols[i].name;
	}
	char name[32];
	snprintf(name, sizeof name, "__val%d", cur->n);
	if (!rc) {
		memset(&cur->cols[cur->n], 0, sizeof cur->cols[cur->n]);
		cur->cols[cur->n].name = tarn_strdup(name);
		rc = cur->cols[cur->n].name ? TARN_OK : nomem(b);
	}
	if (rc) {
		for (int i = 0; pe && i < cur->n; i++)
			ex_expr_free(pe[i]);
		ex_expr_free(val);
		tarn_free(pe);
		tarn_free(names);
		return rc;
	}
	pe[cur->n] = val;
	names[cur->n] = name;
	struct ex_op *op = NULL;
	struct ex_op *in = cur->op;
	cur->op = NULL;
	rc = ex_op_project(in, pe, names, n, &op, b->err); /* takes in and pe[] */
	tarn_free(pe);
	tarn_free(names);
	cur->n = n; /* the name is ours either way */
	if (rc)
		return rc;
	cur->op = op;
	rel_retarget(cur);
	return TARN_OK;
}

/* Correlated scalar subqueries (WHERE, SELECT list): SELECT agg(...) FROM
 * ... WHERE inner.k = outer.k ... becomes an aggregate grouped by the inner
 * keys, left-joined to cur on the outer keys (count, LIMIT, ORDER BY,
 * DISTINCT, HAVING and non-equality correlation are left to
 * apply_dependent); c->subs maps the subquery node to
 * the joined value column. Uncorrelated ones are left to run_scalar. */
static tarn_rc apply_scalar_subs(struct binder *b, struct rel *cur,
				 const struct sql_expr *const *conds, int n, struct bctx *c)
{
	struct sub_find f = { NULL, 0, 0, b };
	tarn_rc rc = TARN_OK;
	for (int i = 0; !rc && i < n; i++)
		rc = walk(conds[i], visit_sub, &f);
	for (int s = 0; !rc && s < f.n; s++) {
		const struct sql_expr *e = f.v[s];
		const struct sql_query *q = e->sub.query;
		if (q->kind != SQL_QUERY_SELECT || q->with || q->select->n_group ||
		    q->select->n_items != 1)
			continue; /* run_scalar will judge it */
		struct rel inner;
		struct corr corr = { 0 };
		struct bctx subs = { 0 };
		struct tarn_err probe_err;
		tarn_err_clear(&probe_err);
		struct tarn_err *saved = b->err;
		b->err = &probe_err;
		rc = bind_from_where(b, q->select, cur, &inner, &corr, &subs);
		b->err = saved;
		tarn_free(subs.subs);
		tarn_free(subs.sub_col);
		if (rc || corr.n == 0) {
			/* Not correlated (or not this way): bind normally later. */
			if (!rc)
				rel_clear(&inner);
			tarn_free(corr.v);
			rc = TARN_OK;
			continue;
		}
		/* Group the inner side by the inner halves of the equalities. */
		struct ex_expr **pk = NULL, **bk = NULL, *residual = NULL;
		int nk = 0;
		rc = corr_keys(b, cur, &inner, &corr, &pk, &bk, &nk, &residual, false);
		tarn_free(corr.v);
		struct agg_list al = { b, 0, 0, NULL, NULL };
		if (!rc && !residual && nk > 0)
			rc = walk(q->select->items[0].expr, visit_agg, &al);
		/* the value itself naming outer columns, LIMIT/ORDER BY/DISTINCT
		 * (they change what the aggregate sees): not this shape */
		bool outer_value = false;
		if (!rc && !residual && nk > 0) {
			uint64_t im = 0;
			struct tarn_err me;
			tarn_err_clear(&me);
			struct tarn_err *keep = b->err;
			b->err = &me;
			tarn_rc mrc = mask_of(b, q->select->items[0].expr, &inner, 1, cur, &im);
			b->err = keep;
			outer_value = mrc || (im & OUTER_BIT);
		}
		if (!rc && (residual || nk == 0 || al.n == 0 || outer_value || q->limit ||
			    q->offset || q->n_order || q->select->having ||
			    q->select->distinct != SQL_DISTINCT_NONE)) {
			/* not this shape: left to apply_dependent */
			agg_list_free(&al);
			free_keys(pk, bk, nk);
			ex_expr_free(residual);
			rel_clear(&inner);
			continue;
		}
		struct ex_agg_spec *specs = NULL;
		char **key_text = NULL;
		if (!rc) {
			specs = tarn_calloc((size_t)al.n, sizeof *specs);
			key_text = tarn_calloc((size_t)nk + 1, sizeof *key_text);
			if (!specs || !key_text)
				rc = nomem(b);
		}
		/* Agg specs over the inner scope. */
		struct bctx ci = { .r = &inner, .clause = "an aggregate" };
		for (int a = 0; !rc && a < al.n; a++)
			rc = agg_spec(b, &ci, al.v[a], &specs[a]);
		bool *is_count = rc ? NULL : tarn_calloc((size_t)al.n + 1, sizeof *is_count);
		if (!rc && !is_count)
			rc = nomem(b);
		for (int a = 0; !rc && a < al.n; a++)
			is_count[a] = specs[a].fn == EX_AGG_COUNT || specs[a].fn == EX_AGG_COUNT_STAR;
		for (int k = 0; !rc && k < nk; k++) {
			char name[32];
			snprintf(name, sizeof name, "__k%d", k);
			key_text[k] = tarn_strdup(name);
			if (!key_text[k])
				rc = nomem(b);
		}
		struct ex_op *agg = NULL;
		if (!rc) {
			struct ex_op *in_op = inner.op;
			inner.op = NULL;
			rc = ex_op_agg(in_op, bk, (const char *const *)key_text, nk, specs, al.n, &agg,
				       b->err);
			tarn_free(bk); /* the expressions are the operator's now */
			bk = NULL;
		}
		tarn_free(specs); /* ex_op_agg took the expressions */
		double inner_est = inner.est;
		rel_clear(&inner);
		struct rel ar = { 0 };
		if (!rc)
			rc = rel_from_op(b, agg, "__sub", inner_est * 0.1, &ar);
		/* The select expression over the aggregate's output [keys...,
		 * aggregates...]: texts match the aggregates, keys never. */
		struct ex_expr *val = NULL;
		if (!rc) {
			struct bctx ca = { .r = &ar, .agg_mode = true, .clause = "SELECT" };
			char **texts = tarn_calloc((size_t)(nk + al.n) + 1, sizeof *texts);
			if (!texts)
				rc = nomem(b);
			for (int k = 0; !rc && k < nk; k++)
				texts[k] = "\x01"; /* never matches printed SQL */
			for (int a = 0; !rc && a < al.n; a++)
				texts[nk + a] = al.text[a];
			ca.n_keys = nk + al.n;
			ca.key_text = texts;
			if (!rc)
				rc = bind_expr(b, &ca, q->select->items[0].expr, &val);
			tarn_free(texts);
		}
		int n_aggs = al.n;
		agg_list_free(&al);
		for (int k = 0; key_text && k < nk; k++)
			tarn_free(key_text[k]);
		tarn_free(key_text);
		/* Join: cur (probe) with the groups (build) on the keys. LEFT: an
		 * outer row without a group sees the aggregates of no rows (NULL;
		 * count reads 0 below), also under OR, CASE, IS NULL. */
		struct ex_expr **bk2 = NULL;
		if (!rc) {
			bk2 = tarn_calloc((size_t)nk + 1, sizeof *bk2);
			rc = bk2 ? TARN_OK : nomem(b);
			for (int k = 0; !rc && k < nk; k++)
				rc = ex_expr_column(k, ar.cols[k].type, NULL, &bk2[k]);
		}
		int old_n = cur->n;
		if (!rc) {
			struct rel nr = { 0 };
			rc = join_rels(b, EX_JOIN_LEFT, cur, &ar, pk, bk2, nk, NULL, &nr);
			tarn_free(pk);
			tarn_free(bk2);
			pk = bk2 = NULL;
			if (!rc)
				*cur = nr;
		} else {
			free_keys(pk, bk2, nk);
			rel_clear(&ar);
		}
		/* the value over the joined rows: aggregate columns shifted past
		 * cur's, counts as COALESCE(count, 0) */
		if (!rc)
			rc = shift_value(b, &val, old_n, nk, is_count, n_aggs);
		int value_col = cur->n;
		if (!rc)
			rc = append_value(b, cur, val);
		else
			ex_expr_free(val);
		val = NULL;
		tarn_free(is_count);
		if (!rc)
			for (int i = old_n; i < cur->n; i++)
				cur->cols[i].hidden = true; /* not for SELECT * */
		free_keys(NULL, bk, nk);
		if (!rc)
			rc = sub_map_add(b, c, e, value_col);
	}
	tarn_free(f.v);
	return rc;
}

/* ---- correlated subqueries the joins above do not cover: dependent evaluation ---------- */

enum dep_kind { DEP_SCALAR, DEP_EXISTS, DEP_IN };

/* What op_apply.c's callback needs to bind and run the subquery again for
 * one combination of outer values; owns copies of everything that does not
 * outlive binding (the scope, the CTE chain, the identifier list). */
struct dep_ctx {
	enum dep_kind kind;
	const struct sql_expr *e; /* the SUBQUERY / EXISTS / IN node (script arena) */
	const char *text;
	size_t len;
	struct sql_env *env;
	struct ex_opts xo;
	struct rel scope; /* the outer columns it names, in parameter order */
	struct tarn_type *types;
	struct cte_frame *ctes; /* copied chain */
	int n_ctes;
	char **used;
	int n_used;
	bool used_all;
	const struct pframe *up; /* frames of enclosing dependent bindings */
	struct tarn_type t;      /* the value's type */
};

static void dep_ctx_free(void *p)
{
	struct dep_ctx *d = p;
	if (!d)
		return;
	for (int i = 0; i < d->scope.n; i++) {
		tarn_free(d->scope.cols[i].rel);
		tarn_free(d->scope.cols[i].name);
		if (d->types)
			tarn_type_clear(&d->types[i]);
	}
	tarn_free(d->scope.cols);
	tarn_free(d->types);
	tarn_free(d->ctes);
	for (int i = 0; i < d->n_used; i++)
		tarn_free(d->used[i]);
	tarn_free(d->used);
	tarn_type_clear(&d->t);
	tarn_free(d);
}

static const struct sql_query *dep_query(const struct sql_expr *e)
{
	return e->kind == SQL_EXPR_IN ? e->in.query : e->sub.query;
}

/* Runs a bound subquery on the calling thread: the first value of column
 * 0 (into *first, a one-row array, when wanted) and the row count, up to
 * `stop` rows (0 = all). For IN, cmp (probe = column 0) tallies matches. */
static tarn_rc dep_run(struct binder *b, struct ex_op *op, const struct ex_expr *cmp,
		       struct tarn_array *first, int64_t stop, int64_t *rows, bool *hit,
		       bool *saw_null)
{
	struct ex_query *q = NULL;
	struct ex_opts one = *b->xo;
	one.threads = 1;
	tarn_rc rc = ex_query_new(op, &one, &q, b->err);
	struct ex_eval *ev = NULL;
	if (!rc && cmp && ex_eval_new(cmp, &ev))
		rc = nomem(b);
	*rows = 0;
	while (!rc && !(stop && *rows >= stop) && !(hit && *hit)) {
		struct tarn_batch *tb = NULL;
		rc = ex_query_next(q, &tb, b->err);
		if (rc || !tb)
			break;
		if (first && tb->n_rows > 0 && *rows == 0 && tarn_array_append_from(first, tb->cols[0], 0))
			rc = nomem(b);
		*rows += tb->n_rows;
		if (!rc && cmp && tb->n_rows > 0) {
			struct ex_batch *xb;
			rc = ex_batch_wrap(tb, &xb);
			tb = NULL;
			struct ex_vec v;
			if (!rc)
				rc = ex_eval_run(ev, cmp, xb, NULL, xb->n_rows, &v, b->err);
			for (int64_t i = 0; !rc && i < xb->n_rows && !*hit; i++) {
				if (ex_is_null(v.a, v.is_const ? 0 : i))
					*saw_null = true;
				else if (tarn_bit_get(v.a->values, v.is_const ? 0 : i))
					*hit = true;
			}
			ex_batch_free(xb);
		}
		tarn_batch_free(tb);
	}
	ex_eval_free(ev);
	ex_query_free(q);
	return rc;
}

/* op_apply.c's callback: the subquery with this row's outer values. */
static tarn_rc dep_eval(void *ctx, const struct tarn_array *const *vals, int64_t row,
			struct tarn_array *out, struct tarn_err *err)
{
	struct dep_ctx *d = ctx;
	struct pframe f = { &d->scope, vals, row, NULL, d->up };
	struct binder nb = { .params = &f,
			     .text = d->text,
			     .len = d->len,
			     .err = err,
			     .xo = &d->xo,
			     .env = d->env,
			     .ctes = d->n_ctes ? d->ctes : NULL,
			     .used = d->used,
			     .n_used = d->n_used,
			     .used_all = d->used_all };
	const struct sql_expr *e = d->e;
	struct rel r;
	TRY(bind_query_rel(&nb, dep_query(e), &r));
	tarn_rc rc = TARN_OK;
	struct ex_expr *cmp = NULL;
	if (r.n != 1 && d->kind != DEP_EXISTS)
		rc = fail(&nb, e->loc, TARN_EUSAGE, "a subquery used as a value must return one "
			  "column, not %d", r.n);
	if (!rc && d->kind == DEP_IN) {
		struct bctx none = { .r = NULL, .clause = "IN" };
		struct ex_expr *x = NULL, *col = NULL;
		rc = bind_expr(&nb, &none, e->in.arg, &x);
		if (!rc)
			rc = ex_expr_column(0, r.cols[0].type, NULL, &col) ? nomem(&nb) : TARN_OK;
		if (!rc)
			rc = ex_expr_cmp(EX_EQ, x, col, &cmp, err);
		else
			ex_expr_free(x);
		if (!rc)
			ex_expr_prepare(cmp);
	}
	struct tarn_array *first = NULL;
	if (!rc && d->kind == DEP_SCALAR) {
		if (!tarn_type_equal(r.cols[0].type, &d->t))
			rc = fail(&nb, e->loc, TARN_EINTERNAL, "a correlated subquery changed type");
		else if (tarn_array_new(&d->t, 1, &first))
			rc = nomem(&nb);
	}
	struct ex_op *op = r.op;
	r.op = NULL;
	rel_clear(&r);
	int64_t rows = 0;
	bool hit = false, saw_null = false;
	if (!rc)
		rc = dep_run(&nb, op, cmp, first, d->kind == DEP_EXISTS ? 1 : d->kind == DEP_SCALAR ? 2 : 0,
			     &rows, d->kind == DEP_IN ? &hit : NULL, &saw_null);
	else
		ex_op_free(op);
	ex_expr_free(cmp);
	if (!rc) {
		switch (d->kind) {
		case DEP_SCALAR:
			if (rows > 1)
				rc = fail(&nb, e->loc, TARN_EDATA,
					  "more than one row returned by a subquery used as an "
					  "expression (scalar subqueries can only return a single row)");
			else
				rc = rows ? tarn_array_append_from(out, first, 0)
					  : tarn_array_append_null(out);
			break;
		case DEP_EXISTS:
			rc = tarn_array_append_bool(out, rows > 0);
			break;
		case DEP_IN: {
			bool negate = e->in.not;
			if (hit)
				rc = tarn_array_append_bool(out, !negate);
			else if (saw_null)
				rc = tarn_array_append_null(out);
			else
				rc = tarn_array_append_bool(out, negate);
			break;
		}
		}
		if (rc && rc != TARN_EDATA)
			rc = nomem(&nb);
	}
	tarn_array_free(first);
	return rc;
}

/* Binds node e's subquery (and IN's left side) with scope's columns as
 * typing-only parameters: which of them it names (used[]), and the type of
 * its value. The binder's errors are the subquery's own. */
static tarn_rc dep_probe(struct binder *b, const struct sql_expr *e, enum dep_kind kind,
			 const struct rel *scope, bool *used, struct tarn_type *t)
{
	struct pframe f = { scope, NULL, 0, used, b->params };
	const struct pframe *saved = b->params;
	b->params = &f;
	struct rel r;
	tarn_rc rc = bind_query_rel(b, dep_query(e), &r);
	if (!rc) {
		if (kind != DEP_EXISTS && r.n != 1)
			rc = fail(b, e->loc, TARN_EUSAGE,
				  "a subquery used as a value must return one column, not %d", r.n);
		else if (kind == DEP_SCALAR && tarn_type_copy(t, r.cols[0].type))
			rc = nomem(b);
		else if (kind != DEP_SCALAR)
			tarn_type_init(t, TARN_T_BOOL);
		rel_clear(&r);
	}
	if (!rc && kind == DEP_IN) {
		struct bctx none = { .r = NULL, .clause = "IN" };
		struct ex_expr *x = NULL;
		/* names of the current scope are parameters here: mark them */
		rc = bind_expr(b, &none, e->in.arg, &x);
		ex_expr_free(x);
	}
	b->params = saved;
	return rc;
}

/* Wraps cur with a dependent evaluation of node e (its value appended as a
 * hidden column, recorded in c->subs). */
static tarn_rc dep_apply(struct binder *b, struct rel *cur, const struct sql_expr *e,
			 enum dep_kind kind, bool *used, struct tarn_type *t, struct bctx *c)
{
	struct dep_ctx *d = tarn_calloc(1, sizeof *d);
	int *params = tarn_calloc((size_t)cur->n + 1, sizeof *params);
	int np = 0;
	for (int i = 0; i < cur->n; i++)
		if (used[i])
			params[np++] = i;
	tarn_rc rc = d && params ? TARN_OK : nomem(b);
	if (!rc) {
		d->kind = kind;
		d->e = e;
		d->text = b->text;
		d->len = b->len;
		d->env = b->env;
		d->xo = *b->xo;
		d->xo.threads = 1; /* runs inside a pool task: no nested parallelism */
		d->up = b->params;
		d->used_all = b->used_all;
		d->t = *t; /* taken over */
		tarn_type_init(t, TARN_T_NULL);
		d->scope.cols = tarn_calloc((size_t)np + 1, sizeof *d->scope.cols);
		d->types = tarn_calloc((size_t)np + 1, sizeof *d->types);
		if (!d->scope.cols || !d->types)
			rc = nomem(b);
	}
	for (int k = 0; !rc && k < np; k++) {
		const struct bcol *bc = &cur->cols[params[k]];
		struct bcol *nc = &d->scope.cols[k];
		d->scope.n = k + 1;
		nc->name = tarn_strdup(bc->name ? bc->name : "");
		nc->rel = bc->rel ? tarn_strdup(bc->rel) : NULL;
		nc->hidden = bc->hidden;
		if (!nc->name || (bc->rel && !nc->rel) || tarn_type_copy(&d->types[k], bc->type))
			rc = nomem(b);
		nc->type = &d->types[k];
	}
	for (const struct cte_frame *cf = b->ctes; !rc && cf; cf = cf->up)
		d->n_ctes++;
	if (!rc && d->n_ctes) {
		d->ctes = tarn_calloc((size_t)d->n_ctes, sizeof *d->ctes);
		rc = d->ctes ? TARN_OK : nomem(b);
		int k = 0;
		for (const struct cte_frame *cf = b->ctes; !rc && cf; cf = cf->up, k++) {
			d->ctes[k] = *cf;
			d->ctes[k].up = k + 1 < d->n_ctes ? &d->ctes[k + 1] : NULL;
		}
	}
	if (!rc && b->n_used) {
		d->used = tarn_calloc((size_t)b->n_used, sizeof *d->used);
		rc = d->used ? TARN_OK : nomem(b);
		for (int i = 0; !rc && i < b->n_used; i++) {
			d->used[i] = tarn_strdup(b->used[i]);
			rc = d->used[i] ? TARN_OK : nomem(b);
			d->n_used = i + 1;
		}
	}
	if (rc) {
		tarn_free(params);
		dep_ctx_free(d);
		return rc;
	}
	char name[32];
	snprintf(name, sizeof name, "__dep%d", cur->n);
	struct ex_op *op = NULL;
	struct tarn_type vt;
	if (tarn_type_copy(&vt, &d->t)) {
		tarn_free(params);
		dep_ctx_free(d);
		return nomem(b);
	}
	struct ex_op *in = cur->op;
	cur->op = NULL;
	rc = ex_op_apply(in, params, np, &vt, name, dep_eval, d, dep_ctx_free, &op, b->err);
	tarn_type_clear(&vt);
	tarn_free(params);
	if (rc) {
		rel_clear(cur);
		return rc;
	}
	struct bcol *cols = tarn_realloc(cur->cols, (size_t)(cur->n + 2) * sizeof *cols);
	if (!cols) {
		ex_op_free(op);
		rel_clear(cur);
		return nomem(b);
	}
	cur->cols = cols;
	memset(&cols[cur->n], 0, sizeof cols[cur->n]);
	cols[cur->n].name = tarn_strdup(name);
	cur->n++;
	cur->op = op;
	rel_retarget(cur);
	if (!cols[cur->n - 1].name)
		return nomem(b);
	return sub_map_add(b, c, e, cur->n - 1);
}

struct dep_find {
	const struct sql_expr **v;
	int n, cap;
	struct binder *b;
};

static tarn_rc visit_dep(void *ctx, const struct sql_expr *e)
{
	struct dep_find *f = ctx;
	if (e->kind != SQL_EXPR_SUBQUERY && e->kind != SQL_EXPR_EXISTS &&
	    !(e->kind == SQL_EXPR_IN && e->in.query))
		return TARN_OK;
	if (f->n == f->cap) {
		f->cap = f->cap ? f->cap * 2 : 4;
		const struct sql_expr **v = tarn_realloc(f->v, (size_t)f->cap * sizeof *v);
		if (!v)
			return nomem(f->b);
		f->v = v;
	}
	f->v[f->n++] = e;
	return TARN_OK;
}

/* Uncorrelated x [NOT] IN (subquery) inside an expression: a mark join
 * appends its boolean (negated for NOT IN by a projection). */
static tarn_rc mark_in(struct binder *b, struct rel *cur, const struct sql_expr *e,
		       struct bctx *c)
{
	struct rel inner;
	TRY(bind_query_rel(b, e->in.query, &inner));
	if (inner.n != 1) {
		rel_clear(&inner);
		return fail(b, e->loc, TARN_EUSAGE, "IN (subquery) needs one column, not %d", inner.n);
	}
	struct ex_expr **pk = tarn_calloc(2, sizeof *pk), **bk = tarn_calloc(2, sizeof *bk);
	struct bctx cc = *c;
	cc.r = cur;
	cc.clause = "IN";
	tarn_rc rc = pk && bk ? bind_expr(b, &cc, e->in.arg, &pk[0]) : nomem(b);
	if (!rc)
		rc = ex_expr_column(0, inner.cols[0].type, inner.cols[0].name, &bk[0]);
	if (rc) {
		free_keys(pk, bk, 1);
		rel_clear(&inner);
		return rc;
	}
	struct rel nr = { 0 };
	rc = join_rels(b, EX_JOIN_MARK, cur, &inner, pk, bk, 1, NULL, &nr);
	tarn_free(pk);
	tarn_free(bk);
	TRY(rc);
	*cur = nr;
	int col = cur->n - 1;
	tarn_free(cur->cols[col].name);
	cur->cols[col].name = tarn_strdup("__mark");
	if (!cur->cols[col].name)
		return nomem(b);
	if (e->in.not) { /* NOT (mark): NULL stays NULL */
		struct ex_expr **pe = tarn_calloc((size_t)cur->n + 1, sizeof *pe);
		rc = pe ? TARN_OK : nomem(b);
		for (int i = 0; !rc && i < cur->n; i++)
			rc = ex_expr_column(i, cur->cols[i].type, NULL, &pe[i]);
		if (!rc) {
			struct ex_expr *x = pe[col];
			pe[col] = NULL;
			rc = ex_expr_not(x, &pe[col], b->err);
		}
		struct ex_op *op = NULL;
		if (!rc) {
			const char **names = tarn_calloc((size_t)cur->n + 1, sizeof *names);
			rc = names ? TARN_OK : nomem(b);
			for (int i = 0; !rc && i < cur->n; i++)
				names[i] = cur->cols[i].name;
			if (!rc) {
				rc = ex_op_project(cur->op, pe, names, cur->n, &op, b->err);
				cur->op = NULL;
				tarn_free(pe);
				pe = NULL;
			}
			tarn_free(names);
		}
		for (int i = 0; pe && i < cur->n; i++)
			ex_expr_free(pe[i]);
		tarn_free(pe);
		if (rc)
			return rc;
		cur->op = op;
		rel_retarget(cur);
	}
	return sub_map_add(b, c, e, col);
}

/* Subqueries inside the expressions v[0..n) over cur that bind_expr cannot
 * take as constants: correlated scalar subqueries, correlated EXISTS and
 * IN become dependent evaluations (op_apply.c); an uncorrelated IN becomes
 * a mark join. Each adds a hidden column to cur that c->subs maps the node
 * to. Uncorrelated scalar subqueries and EXISTS are left to bind_expr,
 * which runs them once as constants. */
static tarn_rc apply_dependent(struct binder *b, struct rel *cur,
			       const struct sql_expr *const *v, int n, struct bctx *c)
{
	struct dep_find f = { NULL, 0, 0, b };
	tarn_rc rc = TARN_OK;
	for (int i = 0; !rc && i < n; i++)
		rc = walk(v[i], visit_dep, &f);
	for (int s = 0; !rc && s < f.n; s++) {
		const struct sql_expr *e = f.v[s];
		bool done = false;
		for (int k = 0; k < c->n_subs && !done; k++)
			done = c->subs[k] == e;
		if (done)
			continue;
		enum dep_kind kind = e->kind == SQL_EXPR_SUBQUERY ? DEP_SCALAR
				     : e->kind == SQL_EXPR_EXISTS ? DEP_EXISTS
								  : DEP_IN;
		bool *used = tarn_calloc((size_t)cur->n + 1, sizeof *used);
		struct tarn_type t;
		tarn_type_init(&t, TARN_T_NULL);
		rc = used ? dep_probe(b, e, kind, cur, used, &t) : nomem(b);
		bool corr = false;
		for (int i = 0; !rc && i < cur->n; i++)
			corr |= used[i];
		/* IN's left side is always a column of cur: correlated means the
		 * subquery itself names cur */
		if (!rc && kind == DEP_IN && corr) {
			bool *u2 = tarn_calloc((size_t)cur->n + 1, sizeof *u2);
			struct tarn_type t2;
			tarn_type_init(&t2, TARN_T_NULL);
			struct pframe pf = { cur, NULL, 0, u2, b->params };
			const struct pframe *saved = b->params;
			b->params = &pf;
			struct rel r;
			rc = u2 ? bind_query_rel(b, e->in.query, &r) : nomem(b);
			b->params = saved;
			if (!rc)
				rel_clear(&r);
			corr = false;
			for (int i = 0; !rc && i < cur->n; i++)
				corr |= u2[i];
			tarn_free(u2);
		}
		if (!rc && corr)
			rc = dep_apply(b, cur, e, kind, used, &t, c);
		else if (!rc && kind == DEP_IN)
			rc = mark_in(b, cur, e, c);
		tarn_type_clear(&t);
		tarn_free(used);
	}
	tarn_free(f.v);
	return rc;
}

/* A WHERE conjunct holding a subquery the semi/anti joins cannot take:
 * evaluated dependently, then filtered on. */
static tarn_rc filter_dependent(struct binder *b, struct rel *cur, const struct sql_expr *e)
{
	struct bctx c = { .r = cur, .clause = "WHERE" };
	tarn_rc rc = apply_dependent(b, cur, &e, 1, &c);
	struct ex_expr *pred = NULL;
	if (!rc)
		rc = bind_expr(b, &c, e, &pred);
	tarn_free(c.subs);
	tarn_free(c.sub_col);
	TRY(rc);
	struct ex_op *op;
	struct ex_op *in = cur->op;
	cur->op = NULL; /* the filter owns it now, also on failure */
	TRY(ex_op_filter(in, pred, &op, b->err));
	cur->op = op;
	rel_retarget(cur);
	cur->est *= 0.5;
	return TARN_OK;
}

/* ---- aggregation, SELECT list, DISTINCT, ORDER BY, LIMIT ---------------------------- */

/* An aggregate's constant parameter (quantile_*'s fraction, string_agg's
 * separator: checked here so errors point at it) and its ORDER BY keys. */
static tarn_rc agg_spec_extra(struct binder *b, const struct bctx *ci, const struct sql_expr *e,
			      const struct sql_expr *pe, struct ex_agg_spec *out)
{
	const struct sql_func *f = &e->func;
	enum ex_agg_fn fn = out->fn;
	if (fn == EX_AGG_QUANTILE_CONT || fn == EX_AGG_QUANTILE_DISC || fn == EX_AGG_STRING_AGG) {
		if (pe) {
			TRY(bind_expr(b, ci, pe, &out->param));
			const struct ex_expr *p = out->param;
			bool ok = ex_expr_is_const(p);
			if (fn == EX_AGG_STRING_AGG) {
				if (!ok || (p->type.id != TARN_T_STRING && p->type.id != TARN_T_NULL))
					return fail(b, pe->loc, TARN_EUSAGE,
						    "%s(): the separator must be a constant string",
						    func_name(e));
			} else {
				double q = -1;
				if (ok && p->type.id == TARN_T_LIST)
					q = 0; /* a list of fractions: the operator checks them */
				else if (ok && (tarn_type_is_integer(p->type.id) ||
					   p->type.id == TARN_T_FLOAT32 || p->type.id == TARN_T_FLOAT64 ||
					   p->type.id == TARN_T_DECIMAL128) &&
				    !tarn_array_is_null(p->value, 0)) {
					struct tarn_type dt;
					tarn_type_init(&dt, TARN_T_FLOAT64);
					struct ex_expr *cp = NULL, *cd = NULL;
					if (!ex_expr_copy(p, &cp) &&
					    !ex_expr_cast(cp, &dt, false, &cd, NULL) &&
					    ex_expr_is_const(cd))
						q = ((const double *)cd->value->values)[0];
					ex_expr_free(cd);
				}
				if (!(q >= 0 && q <= 1))
					return fail(b, pe->loc, TARN_EUSAGE,
						    "%s(): the quantile must be a constant number "
						    "between 0 and 1",
						    func_name(e));
			}
		}
	}
	if (f->n_order) {
		out->order = tarn_calloc((size_t)f->n_order, sizeof *out->order);
		if (!out->order)
			return nomem(b);
		for (int i = 0; i < f->n_order; i++) {
			TRY(bind_expr(b, ci, f->order[i].expr, &out->order[i].expr));
			out->n_order = i + 1;
			out->order[i].desc = f->order[i].dir == SQL_SORT_DESC;
			/* DuckDB's default: NULLS LAST whatever the direction. */
			out->order[i].nulls_first = f->order[i].nulls == SQL_NULLS_FIRST;
		}
	}
	return TARN_OK;
}

static tarn_rc agg_spec(struct binder *b, const struct bctx *c, const struct sql_expr *e,
			struct ex_agg_spec *out)
{
	memset(out, 0, sizeof *out);
	int k = agg_index(e);
	const struct sql_func *f = &e->func;
	enum ex_agg_fn fn = agg_names[k].fn;
	bool two = fn == EX_AGG_ARG_MIN || fn == EX_AGG_ARG_MAX ||
		   (fn >= EX_AGG_CORR && fn <= EX_AGG_REGR_R2);
	int want = two ? 2 : 1;
	if (fn == EX_AGG_COUNT && (f->star || f->n_args == 0)) {
		fn = EX_AGG_COUNT_STAR;
		want = 0;
	}
	/* the constant parameter: quantile_*(x, q), string_agg(x [, sep]),
	 * percentile_*(q) WITHIN GROUP (ORDER BY x) */
	bool has_param = fn == EX_AGG_QUANTILE_CONT || fn == EX_AGG_QUANTILE_DISC ||
			 (fn == EX_AGG_STRING_AGG && f->n_args == 2);
	bool within = name_eq(func_name(e), "percentile_cont") ||
		      name_eq(func_name(e), "percentile_disc");
	const struct sql_expr *arg0 = f->n_args ? f->args[0].value : NULL;
	const struct sql_expr *pe = has_param && f->n_args > 1 ? f->args[1].value : NULL;
	if (within) {
		if (f->n_within != 1 || f->n_args != 1)
			return fail(b, e->loc, TARN_EUSAGE,
				    "%s() takes a fraction and WITHIN GROUP (ORDER BY x)",
				    func_name(e));
		if (f->within[0].dir == SQL_SORT_DESC)
			return fail(b, f->within[0].loc, TARN_EUNSUPPORTED,
				    "%s() WITHIN GROUP (ORDER BY ... DESC) is not supported yet",
				    func_name(e));
		arg0 = f->within[0].expr;
		pe = f->args[0].value;
	} else if (f->n_args != want + has_param) {
		return fail(b, e->loc, TARN_EUSAGE, "%s() takes %d argument%s", func_name(e),
			    want + has_param, want + has_param == 1 ? "" : "s");
	} else if (f->n_within) {
		return fail(b, e->loc, TARN_EUNSUPPORTED,
			    "WITHIN GROUP inside %s() is not supported yet", func_name(e));
	}
	out->fn = fn;
	out->distinct = f->distinct;
	struct bctx ci = *c;
	ci.agg_mode = false;
	ci.clause = "an aggregate's argument";
	if (want >= 1) {
		TRY(bind_expr(b, &ci, arg0, &out->arg));
		/* the argument's type, checked here so the error has a position */
		struct tarn_type rt;
		tarn_type_init(&rt, TARN_T_NULL);
		bool ok = fn == EX_AGG_STRING_AGG || !ex_agg_type(fn, &out->arg->type, &rt, NULL);
		tarn_type_clear(&rt);
		if (!ok) {
			tarn_rc rc = fail(b, arg0->loc, TARN_EUSAGE,
					  "%s() does not take an argument of type %s", func_name(e),
					  tarn_type_id_name(out->arg->type.id));
			ex_expr_free(out->arg);
			out->arg = NULL;
			return rc;
		}
	}
	if (want == 2 && bind_expr(b, &ci, f->args[1].value, &out->val)) {
		ex_expr_free(out->arg);
		return TARN_EUSAGE;
	}
	if (want == 2 && fn >= EX_AGG_CORR && fn <= EX_AGG_REGR_R2) {
		struct tarn_type rt;
		tarn_type_init(&rt, TARN_T_NULL);
		bool ok = !ex_agg_type(fn, &out->val->type, &rt, NULL);
		tarn_type_clear(&rt);
		if (!ok) {
			tarn_rc rc = fail(b, f->args[1].value->loc, TARN_EUSAGE,
					  "%s() does not take an argument of type %s", func_name(e),
					  tarn_type_id_name(out->val->type.id));
			ex_expr_free(out->arg);
			ex_expr_free(out->val);
			out->arg = out->val = NULL;
			return rc;
		}
	}
	if (f->filter && bind_expr(b, &ci, f->filter, &out->filter)) {
		ex_expr_free(out->arg);
		ex_expr_free(out->val);
		return TARN_EUSAGE;
	}
	tarn_rc rc = agg_spec_extra(b, &ci, e, pe, out);
	if (rc) {
		ex_expr_free(out->arg);
		ex_expr_free(out->val);
		ex_expr_free(out->filter);
		ex_expr_free(out->param);
		for (int i = 0; i < out->n_order; i++)
			ex_expr_free(out->order[i].expr);
		tarn_free(out->order);
		memset(out, 0, sizeof *out);
	}
	return rc;
}

static bool is_star(const struct sql_expr *e)
{
	return e->kind == SQL_EXPR_STAR;
}

static tarn_rc visit_has_agg(void *ctx, const struct sql_expr *e)
{
	if (agg_index(e) >= 0)
		*(bool *)ctx = true;
	return TARN_OK;
}

static tarn_rc bind_select(struct binder *b, const struct sql_query *q, struct rel *out);

/* GROUP BY ALL (DuckDB): the keys are the select items that contain no
 * aggregate; binds a copy of the query with that GROUP BY list. */
static tarn_rc bind_select_group_all(struct binder *b, const struct sql_query *q,
				     struct rel *out)
{
	const struct sql_select *sel = q->select;
	struct sql_group_item *items = tarn_calloc((size_t)sel->n_items + 1, sizeof *items);
	if (!items)
		return nomem(b);
	int n = 0;
	tarn_rc rc = TARN_OK;
	for (int i = 0; !rc && i < sel->n_items; i++) {
		const struct sql_expr *e = sel->items[i].expr;
		if (is_star(e)) {
			rc = fail(b, e->loc, TARN_EUSAGE, "* cannot be used with GROUP BY ALL");
			break;
		}
		bool has = false;
		rc = walk(e, visit_has_agg, &has);
		if (!rc && !has)
			items[n++] = (struct sql_group_item){ .kind = SQL_GROUP_EXPR, .loc = e->loc,
							      .expr = (struct sql_expr *)e };
	}
	if (!rc) {
		struct sql_select s2 = *sel;
		struct sql_query q2 = *q;
		s2.group_all = false;
		s2.n_group = n;
		s2.group = items;
		q2.select = &s2;
		rc = bind_select(b, &q2, out);
	}
	tarn_free(items);
	return rc;
}

/* The output name of a select item. */
static tarn_rc item_name(struct binder *b, const struct sql_select_item *it, char **out)
{
	if (it->alias.s) {
		*out = tarn_strdup(it->alias.s);
		return *out ? TARN_OK : nomem(b);
	}
	const struct sql_expr *e = it->expr;
	if (e->kind == SQL_EXPR_NAME) {
		*out = tarn_strdup(e->name.parts[e->name.n - 1].s);
		return *out ? TARN_OK : nomem(b);
	}
	return expr_text(b, e, out);
}

/* A GROUP BY item naming a select alias or position stands for that item. */
static const struct sql_expr *group_target(const struct sql_select *sel, const struct rel *r,
					   const struct sql_expr *g)
{
	if (g->kind == SQL_EXPR_LITERAL && g->lit.kind == SQL_LIT_INTEGER && g->lit.fits_i64 &&
	    g->lit.i >= 1 && g->lit.i <= sel->n_items)
		return sel->items[g->lit.i - 1].expr;
	if (g->kind == SQL_EXPR_NAME && g->name.n == 1) {
		const char *why;
		if (find_col(r, &g->name, &why) >= 0 || why)
			return g;
		for (int i = 0; i < sel->n_items; i++)
			if (name_eq(sel->items[i].alias.s, g->name.parts[0].s))
				return sel->items[i].expr;
	}
	return g;
}

struct proj {
	struct ex_expr **e;
	char **names;
	int n, cap;
};

static tarn_rc proj_add(struct binder *b, struct proj *p, struct ex_expr *e, char *name)
{
	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 16;
		struct ex_expr **ne = tarn_realloc(p->e, (size_t)p->cap * sizeof *ne);
		char **nn = ne ? tarn_realloc(p->names, (size_t)p->cap * sizeof *nn) : NULL;
		if (ne)
			p->e = ne;
		if (!nn) {
			ex_expr_free(e);
			tarn_free(name);
			return nomem(b);
		}
		p->names = nn;
	}
	p->e[p->n] = e;
	p->names[p->n++] = name;
	return TARN_OK;
}

static void proj_free(struct proj *p, bool exprs)
{
	for (int i = 0; i < p->n; i++) {
		if (exprs)
			ex_expr_free(p->e[i]);
		tarn_free(p->names[i]);
	}
	tarn_free(p->e);
	tarn_free(p->names);
	memset(p, 0, sizeof *p);
}

/* Expands * / t.* (EXCLUDE honoured) into p. */
static tarn_rc expand_star(struct binder *b, const struct bctx *c, const struct sql_expr *e,
			   struct proj *p)
{
	const struct sql_star *st = &e->star;
	const char *qual = st->qualifier.n ? st->qualifier.parts[st->qualifier.n - 1].s : NULL;
	if (c->agg_mode)
		return fail(b, e->loc, TARN_EUSAGE, "* cannot be used with GROUP BY");
	int added = 0;
	for (int i = 0; i < c->r->n; i++) {
		const struct bcol *col = &c->r->cols[i];
		if (col->hidden || (qual && !name_eq(col->rel, qual)) ||
		    (col->name && strncmp(col->name, "__", 2) == 0 && !col->rel))
			continue;
		bool skip = false;
		for (int x = 0; x < st->n_exclude; x++)
			skip = skip || name_eq(st->exclude[x].s, col->name);
		if (skip)
			continue;
		struct ex_expr *x;
		int rk = -1; /* * REPLACE (expr AS name): expr in the column's place */
		for (int k = 0; k < st->n_replace; k++)
			if (name_eq(st->replace_names[k].s, col->name))
				rk = k;
		if (rk >= 0)
			TRY(bind_expr(b, c, st->replace_exprs[rk], &x));
		else
			TRY(ex_expr_column(i, col->type, col->name, &x));
		char *nm = tarn_strdup(col->name);
		if (!nm) {
			ex_expr_free(x);
			return nomem(b);
		}
		TRY(proj_add(b, p, x, nm));
		added++;
	}
	if (!added && qual)
		return fail(b, e->loc, TARN_ENOTFOUND, "no table '%s' in FROM", qual);
	for (int k = 0; k < st->n_replace; k++) {
		bool found = false;
		for (int i = 0; i < p->n; i++)
			found = found || name_eq(p->names[i], st->replace_names[k].s);
		if (!found)
			return fail(b, st->replace_names[k].loc, TARN_ENOTFOUND,
				    "* REPLACE: no column '%s' in *", st->replace_names[k].s);
	}
	return TARN_OK;
}

/* ---- window functions ------------------------------------------------------------------
 * Window calls in the SELECT list, QUALIFY and ORDER BY are computed after
 * GROUP BY/HAVING and before the SELECT list: calls are grouped by their
 * (PARTITION BY, ORDER BY) text and each group becomes one window operator
 * (op_window.c) appending one column per distinct call; the call nodes are
 * then bound as references to those columns (bctx.subs). */

struct win_call {
	const struct sql_expr *e;
	struct sql_window w; /* resolved against the WINDOW clause */
	char *text;          /* the call's text (dedup) */
	char *key;           /* partition/order text (grouping) */
	int col;             /* output column, once computed */
};

struct win_list {
	struct binder *b;
	const struct sql_select *sel;
	int n, cap;
	struct win_call *v;
	struct agg_list *al; /* visit_agg_win: aggregates inside windows */
};

static bool is_window_call(const struct sql_expr *e)
{
	return e && e->kind == SQL_EXPR_FUNC && e->func.over;
}

/* OVER w / OVER (w ...) merged with the WINDOW clause's definition of w. */
static tarn_rc resolve_window(struct binder *b, const struct sql_select *sel,
			      const struct sql_window *w, struct sql_window *out, int depth)
{
	*out = *w;
	if (!w->ref.s)
		return TARN_OK;
	if (depth > 16)
		return fail(b, w->loc, TARN_EUSAGE, "window definitions refer to each other in a cycle");
	for (int i = 0; i < sel->n_windows; i++) {
		if (!name_eq(sel->windows[i].name.s, w->ref.s))
			continue;
		struct sql_window base;
		TRY(resolve_window(b, sel, sel->windows[i].spec, &base, depth + 1));
		if (w->n_partition)
			return fail(b, w->loc, TARN_EUSAGE,
				    "PARTITION BY cannot be given with window '%s'", w->ref.s);
		if (w->n_order && base.n_order)
			return fail(b, w->loc, TARN_EUSAGE,
				    "window '%s' has an ORDER BY already", w->ref.s);
		out->ref.s = NULL;
		out->n_partition = base.n_partition;
		out->partition = base.partition;
		if (!w->n_order) {
			out->n_order = base.n_order;
			out->order = base.order;
		}
		if (w->frame == SQL_FRAME_DEFAULT) {
			out->frame = base.frame;
			out->frame_between = base.frame_between;
			out->start = base.start;
			out->end = base.end;
			out->exclude = base.exclude;
		}
		return TARN_OK;
	}
	return fail(b, w->loc, TARN_ENOTFOUND, "no window named '%s'", w->ref.s);
}

/* Aggregates (visit_agg) including those in the OVER clauses of window
 * calls: rank() OVER (ORDER BY sum(x)). */
static tarn_rc visit_agg_win(void *ctx, const struct sql_expr *e)
{
	struct win_list *wl = ctx;
	TRY(visit_agg(wl->al, e));
	if (!is_window_call(e))
		return TARN_OK;
	struct sql_window w;
	TRY(resolve_window(wl->b, wl->sel, e->func.over, &w, 0));
	for (int i = 0; i < w.n_partition; i++)
		TRY(walk(w.partition[i], visit_agg_win, ctx));
	for (int i = 0; i < w.n_order; i++)
		TRY(walk(w.order[i].expr, visit_agg_win, ctx));
	return TARN_OK;
}

static tarn_rc visit_nested_win(void *ctx, const struct sql_expr *e)
{
	struct binder *b = ctx;
	if (is_window_call(e))
		return fail(b, e->loc, TARN_EUSAGE, "window functions cannot be nested");
	return TARN_OK;
}

static tarn_rc window_key(struct binder *b, const struct sql_window *w, char **out)
{
	struct tarn_buf t;
	tarn_buf_init(&t);
	tarn_rc rc = TARN_OK;
	for (int i = 0; !rc && i < w->n_partition; i++) {
		rc = sql_print_expr(w->partition[i], &t);
		if (!rc)
			rc = tarn_buf_append(&t, ",", 1);
	}
	if (!rc)
		rc = tarn_buf_append(&t, "|", 1);
	for (int i = 0; !rc && i < w->n_order; i++) {
		rc = sql_print_expr(w->order[i].expr, &t);
		if (!rc)
			rc = tarn_buf_printf(&t, " %d %d,", w->order[i].dir == SQL_SORT_DESC,
					     w->order[i].nulls == SQL_NULLS_FIRST);
	}
	if (!rc)
		rc = tarn_buf_cstr(&t);
	if (rc) {
		tarn_buf_free(&t);
		return nomem(b);
	}
	*out = tarn_buf_steal(&t);
	return TARN_OK;
}

static tarn_rc visit_win(void *ctx, const struct sql_expr *e)
{
	struct win_list *wl = ctx;
	if (!is_window_call(e))
		return TARN_OK;
	struct binder *b = wl->b;
	for (int i = 0; i < e->func.n_args; i++)
		TRY(walk(e->func.args[i].value, visit_nested_win, b));
	TRY(walk(e->func.filter, visit_nested_win, b));
	if (wl->n == wl->cap) {
		int cap = wl->cap ? wl->cap * 2 : 8;
		struct win_call *v = tarn_realloc(wl->v, (size_t)cap * sizeof *v);
		if (!v)
			return nomem(b);
		wl->v = v;
		wl->cap = cap;
	}
	struct win_call *w = &wl->v[wl->n];
	memset(w, 0, sizeof *w);
	w->e = e;
	w->col = -1;
	TRY(resolve_window(b, wl->sel, e->func.over, &w->w, 0));
	for (int i = 0; i < w->w.n_partition; i++)
		TRY(walk(w->w.partition[i], visit_nested_win, b));
	for (int i = 0; i < w->w.n_order; i++)
		TRY(walk(w->w.order[i].expr, visit_nested_win, b));
	wl->n++;
	TRY(expr_text(b, e, &w->text));
	return window_key(b, &w->w, &w->key);
}

static void win_list_free(struct win_list *wl)
{
	for (int i = 0; i < wl->n; i++) {
		tarn_free(wl->v[i].text);
		tarn_free(wl->v[i].key);
	}
	tarn_free(wl->v);
	wl->v = NULL;
	wl->n = wl->cap = 0;
}

static const struct {
	const char *name;
	enum ex_win_fn fn;
	int min_args, max_args;
} win_names[] = {
	{ "row_number", EX_WIN_ROW_NUMBER, 0, 0 },
	{ "rank", EX_WIN_RANK, 0, 0 },
	{ "dense_rank", EX_WIN_DENSE_RANK, 0, 0 },
	{ "ntile", EX_WIN_NTILE, 1, 1 },
	{ "percent_rank", EX_WIN_PERCENT_RANK, 0, 0 },
	{ "cume_dist", EX_WIN_CUME_DIST, 0, 0 },
	{ "lag", EX_WIN_LAG, 1, 3 },
	{ "lead", EX_WIN_LEAD, 1, 3 },
	{ "first_value", EX_WIN_FIRST_VALUE, 1, 1 },
	{ "first", EX_WIN_FIRST_VALUE, 1, 1 },
	{ "last_value", EX_WIN_LAST_VALUE, 1, 1 },
	{ "last", EX_WIN_LAST_VALUE, 1, 1 },
	{ "nth_value", EX_WIN_NTH_VALUE, 2, 2 },
	{ "string_agg", EX_WIN_STRING_AGG, 1, 2 },
	{ "group_concat", EX_WIN_STRING_AGG, 1, 2 },
	{ "listagg", EX_WIN_STRING_AGG, 1, 2 },
};

/* Binds x and casts it to type id (BIGINT offsets, VARCHAR separators). */
static tarn_rc bind_as(struct binder *b, const struct bctx *c, const struct sql_expr *e,
		       enum tarn_type_id id, struct ex_expr **out)
{
	struct ex_expr *x;
	TRY(bind_expr(b, c, e, &x));
	if (x->type.id == id) {
		*out = x;
		return TARN_OK;
	}
	struct tarn_type t;
	tarn_type_init(&t, id);
	return ex_expr_cast(x, &t, false, out, b->err);
}

/* A ROWS/GROUPS offset: a non-negative integer constant. */
static tarn_rc frame_offset(struct binder *b, const struct sql_frame_bound *fb, int64_t *out)
{
	struct bctx none = { .r = NULL, .clause = "a frame offset" };
	struct ex_expr *x;
	TRY(bind_expr(b, &none, fb->offset, &x));
	bool ok = ex_expr_is_const(x) && tarn_type_is_integer(x->type.id) &&
		  !tarn_array_is_null(x->value, 0) && tarn_array_get_int(x->value, 0) >= 0;
	if (ok)
		*out = tarn_array_get_int(x->value, 0);
	ex_expr_free(x);
	if (!ok)
		return fail(b, fb->offset->loc, TARN_EUSAGE,
			    "a ROWS or GROUPS frame offset must be a non-negative integer constant");
	return TARN_OK;
}

static enum ex_frame_bound bound_kind(enum sql_bound_kind k)
{
	switch (k) {
	case SQL_BOUND_UNBOUNDED_PRECEDING: return EX_FB_UNBOUNDED_PRECEDING;
	case SQL_BOUND_PRECEDING: return EX_FB_PRECEDING;
	case SQL_BOUND_CURRENT_ROW: return EX_FB_CURRENT_ROW;
	case SQL_BOUND_FOLLOWING: return EX_FB_FOLLOWING;
	default: return EX_FB_UNBOUNDED_FOLLOWING;
	}
}

/* RANGE n PRECEDING/FOLLOWING: the bound's value per row, key -/+ n. */
static tarn_rc range_bound(struct binder *b, const struct bctx *c, const struct sql_window *w,
			   const struct sql_frame_bound *fb, struct ex_expr **out)
{
	const struct sql_order_item *oi = &w->order[0];
	if (fb->offset->kind != SQL_EXPR_INTERVAL) {
		struct bctx none = { .r = NULL, .clause = "a frame offset" };
		struct ex_expr *x;
		TRY(bind_expr(b, &none, fb->offset, &x));
		bool ok = ex_expr_is_const(x) && !tarn_array_is_null(x->value, 0) &&
			  (tarn_type_is_integer(x->type.id) || x->type.id == TARN_T_FLOAT32 ||
			   x->type.id == TARN_T_FLOAT64 || x->type.id == TARN_T_DECIMAL128);
		if (ok && x->type.id != TARN_T_DECIMAL128)
			ok = tarn_array_get_double(x->value, 0) >= 0;
		if (ok && x->type.id == TARN_T_DECIMAL128)
			ok = tarn_array_get_decimal(x->value, 0) >= 0;
		ex_expr_free(x);
		if (!ok)
			return fail(b, fb->offset->loc, TARN_EUSAGE,
				    "a RANGE frame offset must be a non-negative constant number or "
				    "interval");
	}
	bool plus = (fb->kind == SQL_BOUND_FOLLOWING) != (oi->dir == SQL_SORT_DESC);
	struct sql_expr e;
	memset(&e, 0, sizeof e);
	e.kind = SQL_EXPR_BINARY;
	e.loc = fb->loc;
	e.binary.op = plus ? SQL_OP_ADD : SQL_OP_SUB;
	e.binary.l = oi->expr;
	e.binary.r = fb->offset;
	return bind_expr(b, c, &e, out);
}

/* Casts *x to t when it is not of type t already. */
static tarn_rc coerce_to(struct binder *b, struct ex_expr **x, const struct tarn_type *t)
{
	if (!*x || tarn_type_equal(&(*x)->type, t))
		return TARN_OK;
	struct ex_expr *y = *x;
	*x = NULL;
	return ex_expr_cast(y, t, false, x, b->err);
}

static tarn_rc bind_frame(struct binder *b, const struct bctx *c, const struct sql_window *w,
			  struct ex_win_frame *f)
{
	memset(f, 0, sizeof *f);
	if (w->frame == SQL_FRAME_DEFAULT) {
		/* SQL's default: RANGE UNBOUNDED PRECEDING .. CURRENT ROW (the
		 * whole partition without ORDER BY: every row is a peer). */
		f->unit = EX_FRAME_RANGE;
		f->start = EX_FB_UNBOUNDED_PRECEDING;
		f->end = EX_FB_CURRENT_ROW;
		return TARN_OK;
	}
	f->unit = w->frame == SQL_FRAME_ROWS	 ? EX_FRAME_ROWS
		  : w->frame == SQL_FRAME_GROUPS ? EX_FRAME_GROUPS
						 : EX_FRAME_RANGE;
	const struct sql_frame_bound *sb = &w->start;
	struct sql_frame_bound cur = { SQL_BOUND_CURRENT_ROW, NULL, w->loc };
	const struct sql_frame_bound *eb = w->frame_between ? &w->end : &cur;
	if (sb->kind == SQL_BOUND_UNBOUNDED_FOLLOWING)
		return fail(b, sb->loc, TARN_EUSAGE, "a frame cannot start at UNBOUNDED FOLLOWING");
	if (eb->kind == SQL_BOUND_UNBOUNDED_PRECEDING)
		return fail(b, eb->loc, TARN_EUSAGE, "a frame cannot end at UNBOUNDED PRECEDING");
	f->start = bound_kind(sb->kind);
	f->end = bound_kind(eb->kind);
	switch (w->exclude) {
	case SQL_EXCLUDE_CURRENT_ROW: f->exclude = EX_EXCLUDE_CURRENT_ROW; break;
	case SQL_EXCLUDE_GROUP: f->exclude = EX_EXCLUDE_GROUP; break;
	case SQL_EXCLUDE_TIES: f->exclude = EX_EXCLUDE_TIES; break;
	default: f->exclude = EX_EXCLUDE_NONE; break;
	}
	bool s_off = sb->kind == SQL_BOUND_PRECEDING || sb->kind == SQL_BOUND_FOLLOWING;
	bool e_off = eb->kind == SQL_BOUND_PRECEDING || eb->kind == SQL_BOUND_FOLLOWING;
	if (f->unit == EX_FRAME_GROUPS && !w->n_order)
		return fail(b, w->loc, TARN_EUSAGE, "a GROUPS frame needs an ORDER BY");
	if (f->unit != EX_FRAME_RANGE) {
		if (s_off)
			TRY(frame_offset(b, sb, &f->start_n));
		if (e_off)
			TRY(frame_offset(b, eb, &f->end_n));
		return TARN_OK;
	}
	if (!s_off && !e_off)
		return TARN_OK;
	if (w->n_order != 1)
		return fail(b, (s_off ? sb : eb)->loc, TARN_EUSAGE,
			    "a RANGE frame with an offset needs exactly one ORDER BY key");
	tarn_rc rc = bind_expr(b, c, w->order[0].expr, &f->range_key);
	if (!rc) {
		enum tarn_type_id id = f->range_key->type.id;
		if (!tarn_type_is_integer(id) && id != TARN_T_FLOAT32 && id != TARN_T_FLOAT64 &&
		    id != TARN_T_DECIMAL128 && id != TARN_T_DATE32 && id != TARN_T_TIMESTAMP)
			rc = fail(b, w->order[0].loc, TARN_EUSAGE,
				  "a RANGE frame with an offset needs a numeric, date or timestamp "
				  "ORDER BY key");
	}
	if (!rc && s_off)
		rc = range_bound(b, c, w, sb, &f->start_val);
	if (!rc && e_off)
		rc = range_bound(b, c, w, eb, &f->end_val);
	if (!rc) {
		struct tarn_type t;
		rc = tarn_type_copy(&t, &(f->start_val ? f->start_val : f->end_val)->type);
		if (!rc) {
			if (!ex_type_is_scalar(t.id) || t.id == TARN_T_STRING || t.id == TARN_T_BOOL)
				rc = fail(b, w->order[0].loc, TARN_EUSAGE,
					  "a RANGE frame with an offset needs a numeric, date or "
					  "timestamp ORDER BY key");
			if (!rc)
				rc = coerce_to(b, &f->range_key, &t);
			if (!rc)
				rc = coerce_to(b, &f->start_val, &t);
			if (!rc)
				rc = coerce_to(b, &f->end_val, &t);
			tarn_type_clear(&t);
		}
	}
	if (rc) {
		ex_expr_free(f->start_val);
		ex_expr_free(f->end_val);
		ex_expr_free(f->range_key);
		memset(f, 0, sizeof *f);
	}
	return rc;
}

static void win_spec_clear(struct ex_win_spec *s)
{
	ex_expr_free(s->arg);
	ex_expr_free(s->arg2);
	ex_expr_free(s->arg3);
	ex_expr_free(s->filter);
	ex_expr_free(s->frame.range_key);
	ex_expr_free(s->frame.start_val);
	ex_expr_free(s->frame.end_val);
	for (int i = 0; s->order && i < s->n_order; i++)
		ex_expr_free(s->order[i].expr);
	tarn_free(s->order);
	memset(s, 0, sizeof *s);
}

/* One window call into an ex_win_spec (expressions over c's columns). */
static tarn_rc win_spec(struct binder *b, const struct bctx *c, const struct win_call *wc,
			struct ex_win_spec *s)
{
	memset(s, 0, sizeof *s);
	const struct sql_expr *e = wc->e;
	const struct sql_func *f = &e->func;
	const char *name = func_name(e);
	int ai = -1, wi = -1;
	for (size_t i = 0; i < sizeof win_names / sizeof win_names[0] && wi < 0; i++)
		if (name_eq(name, win_names[i].name))
			wi = (int)i;
	for (size_t i = 0; i < sizeof agg_names / sizeof agg_names[0] && wi < 0 && ai < 0; i++)
		if (name_eq(name, agg_names[i].name))
			ai = (int)i;
	if (wi < 0 && ai < 0) {
		for (int i = 0; agg_later[i]; i++)
			if (name_eq(name, agg_later[i]))
				return fail(b, e->loc, TARN_EUNSUPPORTED,
					    "%s() is not supported as a window function yet", name);
		return fail(b, e->loc, TARN_EUSAGE, "%s() is not a window function or aggregate",
			    name);
	}
	if (f->distinct && ai >= 0) {
		/* DISTINCT does not change these; count, sum and avg take it */
		enum ex_agg_fn dfn = agg_names[ai].fn;
		bool same = dfn == EX_AGG_MIN || dfn == EX_AGG_MAX || dfn == EX_AGG_BOOL_AND ||
			    dfn == EX_AGG_BOOL_OR || dfn == EX_AGG_ANY_VALUE ||
			    dfn == EX_AGG_APPROX_COUNT_DISTINCT || dfn == EX_AGG_BIT_AND ||
			    dfn == EX_AGG_BIT_OR;
		if (!same && dfn != EX_AGG_COUNT && dfn != EX_AGG_SUM && dfn != EX_AGG_AVG)
			return fail(b, e->loc, TARN_EUNSUPPORTED,
				    "DISTINCT in %s() OVER (...) is not supported yet", name);
		s->distinct = !same;
	} else if (f->distinct) {
		return fail(b, e->loc, TARN_EUNSUPPORTED,
			    "DISTINCT in %s() OVER (...) is not supported yet", name);
	}
	bool ordered = (wi >= 0 && win_names[wi].fn == EX_WIN_STRING_AGG) ||
		       (ai >= 0 && agg_names[ai].fn == EX_AGG_LIST);
	if ((f->n_order && !ordered) || f->n_within)
		return fail(b, e->loc, TARN_EUNSUPPORTED,
			    "ORDER BY inside %s() OVER (...) is not supported yet", name);
	for (int i = 0; i < f->n_args; i++)
		if (f->args[i].name.s)
			return fail(b, f->args[i].name.loc, TARN_EUSAGE,
				    "%s() takes no named arguments", name);
	struct bctx ca = *c;
	ca.clause = "a window function's argument";
	tarn_rc rc = TARN_OK;
	const struct sql_expr *a0 = f->n_args > 0 ? f->args[0].value : NULL,
			      *a1 = f->n_args > 1 ? f->args[1].value : NULL,
			      *a2 = f->n_args > 2 ? f->args[2].value : NULL;
	if (ai >= 0) {
		enum ex_agg_fn fn = agg_names[ai].fn;
		int want = fn == EX_AGG_ARG_MIN || fn == EX_AGG_ARG_MAX ||
				   (fn >= EX_AGG_CORR && fn <= EX_AGG_REGR_R2)
			   ? 2
			   : 1;
		if (fn == EX_AGG_COUNT && (f->star || f->n_args == 0)) {
			fn = EX_AGG_COUNT_STAR;
			want = 0;
		}
		bool quant = fn == EX_AGG_QUANTILE_CONT || fn == EX_AGG_QUANTILE_DISC;
		if (f->n_args != want + quant)
			return fail(b, e->loc, TARN_EUSAGE, "%s() takes %d argument%s", name,
				    want + quant, want + quant == 1 ? "" : "s");
		if (f->nulls == SQL_NULLS_IGNORE)
			return fail(b, e->loc, TARN_EUSAGE, "IGNORE NULLS does not apply to %s()",
				    name);
		if (s->distinct && (f->star || f->n_args == 0))
			return fail(b, e->loc, TARN_EUSAGE, "count(DISTINCT) needs an argument");
		s->fn = EX_WIN_AGG;
		s->agg = fn;
		if (want >= 1)
			rc = bind_expr(b, &ca, a0, &s->arg);
		if (!rc && want == 2)
			rc = bind_expr(b, &ca, a1, &s->arg2);
		if (!rc && quant) {
			/* the fraction: checked as for the aggregate, kept in arg3 */
			struct ex_agg_spec as;
			memset(&as, 0, sizeof as);
			as.fn = fn;
			rc = agg_spec_extra(b, &ca, e, a1, &as);
			s->arg3 = as.param;
			if (!rc && s->arg3->type.id == TARN_T_LIST)
				rc = fail(b, a1->loc, TARN_EUNSUPPORTED,
					  "%s() OVER (...) with a list of quantiles is not supported yet",
					  name);
		}
	} else {
		enum ex_win_fn fn = win_names[wi].fn;
		int lo = win_names[wi].min_args, hi = win_names[wi].max_args;
		if (f->star || f->n_args < lo || f->n_args > hi) {
			if (lo == hi)
				return fail(b, e->loc, TARN_EUSAGE, "%s() takes %d argument%s", name, lo,
					    lo == 1 ? "" : "s");
			return fail(b, e->loc, TARN_EUSAGE, "%s() takes %d to %d arguments", name, lo,
				    hi);
		}
		bool value_fn = fn == EX_WIN_LAG || fn == EX_WIN_LEAD || fn == EX_WIN_FIRST_VALUE ||
				fn == EX_WIN_LAST_VALUE || fn == EX_WIN_NTH_VALUE;
		if (f->nulls == SQL_NULLS_IGNORE && !value_fn)
			return fail(b, e->loc, TARN_EUSAGE, "IGNORE NULLS does not apply to %s()",
				    name);
		if (f->filter && fn != EX_WIN_STRING_AGG)
			return fail(b, f->filter->loc, TARN_EUSAGE,
				    "FILTER applies only to aggregates, not to %s()", name);
		s->fn = fn;
		s->ignore_nulls = f->nulls == SQL_NULLS_IGNORE;
		if (fn == EX_WIN_NTILE) {
			rc = bind_as(b, &ca, a0, TARN_T_INT64, &s->arg2);
		} else if (fn == EX_WIN_STRING_AGG) {
			rc = bind_as(b, &ca, a0, TARN_T_STRING, &s->arg);
			if (!rc && a1)
				rc = bind_as(b, &ca, a1, TARN_T_STRING, &s->arg2);
			else if (!rc)
				rc = ex_expr_const_string(",", 1, &s->arg2);
		} else if (a0) {
			rc = bind_expr(b, &ca, a0, &s->arg);
			if (!rc && a1)
				rc = bind_as(b, &ca, a1, TARN_T_INT64, &s->arg2);
			if (!rc && a2) {
				rc = bind_expr(b, &ca, a2, &s->arg3);
				struct tarn_err sub;
				tarn_err_clear(&sub);
				struct tarn_err *keep = b->err;
				b->err = &sub;
				if (!rc)
					rc = coerce_to(b, &s->arg3, &s->arg->type);
				b->err = keep;
				if (rc && sub.msg[0])
					rc = fail(b, a2->loc, rc, "%s() default: %s", name, sub.msg);
			}
		}
	}
	if (!rc && f->n_order) {
		/* the keys, bound as for the aggregate */
		struct ex_agg_spec as;
		memset(&as, 0, sizeof as);
		as.fn = EX_AGG_LIST;
		rc = agg_spec_extra(b, &ca, e, NULL, &as);
		s->order = as.order;
		s->n_order = as.n_order;
	}
	if (!rc && f->filter) {
		struct ex_expr *x = NULL;
		rc = bind_expr(b, &ca, f->filter, &x);
		if (!rc && x->type.id != TARN_T_BOOL) {
			ex_expr_free(x);
			rc = fail(b, f->filter->loc, TARN_EUSAGE, "FILTER needs a boolean condition");
		} else if (!rc) {
			s->filter = x;
		}
	}
	if (!rc) {
		struct tarn_type t;
		struct tarn_err sub;
		tarn_err_clear(&sub);
		rc = ex_win_type(s, &t, &sub);
		if (rc)
			rc = fail(b, e->loc, rc, "%s", sub.msg);
		else
			tarn_type_clear(&t);
	}
	if (!rc)
		rc = bind_frame(b, c, &wc->w, &s->frame);
	if (rc)
		win_spec_clear(s);
	return rc;
}

/* Appends the columns op adds past r's to r (unnamed to SQL: "__win"). */
static tarn_rc rel_extend(struct binder *b, struct rel *r, struct ex_op *op)
{
	const struct tarn_schema *s = ex_op_schema(op);
	struct bcol *cols = tarn_realloc(r->cols, (size_t)(s->n_fields + 1) * sizeof *cols);
	if (!cols) {
		ex_op_free(op);
		return nomem(b);
	}
	r->cols = cols;
	r->op = op;
	for (int i = r->n; i < s->n_fields; i++) {
		memset(&r->cols[i], 0, sizeof r->cols[i]);
		r->cols[i].name = tarn_strdup(s->fields[i].name);
		r->n = i + 1;
		if (!r->cols[i].name)
			return nomem(b);
	}
	rel_retarget(r);
	return TARN_OK;
}

/* One window operator for calls v[idx[0..n)] (same PARTITION BY/ORDER BY). */
static tarn_rc apply_window_group(struct binder *b, struct rel *cur, const struct bctx *c,
				  struct win_call *v, const int *idx, int n, int *n_cols)
{
	const struct sql_window *w = &v[idx[0]].w;
	int np = w->n_partition, no = w->n_order;
	struct ex_expr **part = tarn_calloc((size_t)np + 1, sizeof *part);
	struct ex_sort_key *order = tarn_calloc((size_t)no + 1, sizeof *order);
	struct ex_win_spec *specs = tarn_calloc((size_t)n + 1, sizeof *specs);
	char **names = tarn_calloc((size_t)n + 1, sizeof *names);
	tarn_rc rc = part && order && specs && names ? TARN_OK : nomem(b);
	struct bctx ck = *c;
	ck.clause = "a window's PARTITION BY or ORDER BY";
	for (int i = 0; !rc && i < np; i++)
		rc = bind_expr(b, &ck, w->partition[i], &part[i]);
	for (int i = 0; !rc && i < no; i++) {
		rc = bind_expr(b, &ck, w->order[i].expr, &order[i].expr);
		order[i].desc = w->order[i].dir == SQL_SORT_DESC;
		order[i].nulls_first = w->order[i].nulls == SQL_NULLS_FIRST;
	}
	int ns = 0;
	for (int i = 0; !rc && i < n; i++) {
		struct win_call *wc = &v[idx[i]];
		int dup = -1;
		for (int j = 0; j < i && dup < 0; j++)
			if (strcmp(v[idx[j]].text, wc->text) == 0)
				dup = j;
		if (dup >= 0) {
			wc->col = v[idx[dup]].col;
			continue;
		}
		rc = win_spec(b, c, wc, &specs[ns]);
		if (!rc) {
			names[ns] = tarn_malloc(24);
			if (!names[ns])
				rc = nomem(b);
			else
				snprintf(names[ns], 24, "__win%d", (*n_cols)++);
			specs[ns].name = names[ns];
			wc->col = cur->n + ns;
			ns++;
		}
	}
	struct ex_op *op = NULL;
	if (!rc) {
		rc = ex_op_window(cur->op, part, np, order, no, specs, ns, &op, b->err);
		cur->op = NULL;
		if (!rc)
			rc = rel_extend(b, cur, op);
	} else {
		for (int i = 0; part && i < np; i++)
			ex_expr_free(part[i]);
		for (int i = 0; order && i < no; i++)
			ex_expr_free(order[i].expr);
		for (int i = 0; specs && i < ns; i++)
			win_spec_clear(&specs[i]);
	}
	for (int i = 0; names && i < ns; i++)
		tarn_free(names[i]);
	tarn_free(names);
	tarn_free(part);
	tarn_free(order);
	tarn_free(specs);
	return rc;
}

/* Computes every window call of the statement over cur (one operator per
 * distinct PARTITION BY/ORDER BY) and records call node -> column in c. */
static tarn_rc apply_windows(struct binder *b, const struct sql_query *q, struct rel *cur,
			     struct bctx *c)
{
	const struct sql_select *sel = q->select;
	struct win_list wl = { .b = b, .sel = sel };
	tarn_rc rc = TARN_OK;
	for (int i = 0; !rc && i < sel->n_items; i++)
		if (!is_star(sel->items[i].expr))
			rc = walk(sel->items[i].expr, visit_win, &wl);
	if (!rc)
		rc = walk(sel->qualify, visit_win, &wl);
	for (int i = 0; !rc && i < q->n_order; i++)
		rc = walk(q->order[i].expr, visit_win, &wl);
	int *idx = NULL;
	bool *done = NULL;
	if (!rc && wl.n) {
		idx = tarn_calloc((size_t)wl.n, sizeof *idx);
		done = tarn_calloc((size_t)wl.n, sizeof *done);
		if (!idx || !done)
			rc = nomem(b);
	}
	int n_cols = 0;
	for (int i = 0; !rc && i < wl.n; i++) {
		if (done[i])
			continue;
		int n = 0;
		for (int j = i; j < wl.n; j++)
			if (!done[j] && strcmp(wl.v[j].key, wl.v[i].key) == 0) {
				idx[n++] = j;
				done[j] = true;
			}
		rc = apply_window_group(b, cur, c, wl.v, idx, n, &n_cols);
	}
	for (int i = 0; !rc && i < wl.n; i++)
		rc = sub_map_add(b, c, wl.v[i].e, wl.v[i].col);
	tarn_free(idx);
	tarn_free(done);
	win_list_free(&wl);
	return rc;
}

/* Subqueries in HAVING, the select list and ORDER BY that need columns
 * of their own (apply_dependent), over the rows those clauses see. */
static tarn_rc select_dependent(struct binder *b, const struct sql_query *q, struct rel *cur,
				struct bctx *c)
{
	const struct sql_select *sel = q->select;
	int n = 0;
	const struct sql_expr **v = tarn_calloc((size_t)(sel->n_items + q->n_order) + 2, sizeof *v);
	if (!v)
		return nomem(b);
	if (sel->having)
		v[n++] = sel->having;
	for (int i = 0; i < sel->n_items; i++)
		if (!is_star(sel->items[i].expr))
			v[n++] = sel->items[i].expr;
	for (int i = 0; i < q->n_order; i++)
		if (q->order[i].expr)
			v[n++] = q->order[i].expr;
	/* correlated aggregates by equalities: grouped and joined (LEFT) */
	tarn_rc rc = c->agg_mode ? TARN_OK : apply_scalar_subs(b, cur, v, n, c);
	if (!rc)
		rc = apply_dependent(b, cur, v, n, c);
	tarn_free(v);
	return rc;
}

/* unnest(s) of a struct as a select item: its fields as columns. */
static tarn_rc spread_struct(struct binder *b, const struct bctx *c, const struct sql_expr *e,
			     struct proj *p)
{
	struct ex_expr *x;
	TRY(bind_expr(b, c, e, &x));
	tarn_rc rc = TARN_OK;
	for (int i = 0; !rc && i < x->type.n_children; i++) {
		struct ex_expr *a[2] = { NULL, NULL };
		rc = ex_expr_copy(x, &a[0]);
		if (!rc)
			rc = ex_expr_const_int(TARN_T_INT64, i + 1, &a[1]);
		if (rc) {
			ex_expr_free(a[0]);
			rc = nomem(b);
			break;
		}
		struct ex_expr *f;
		rc = call_at(b, e, "struct_extract", a, 2, &f);
		char *nm = NULL;
		if (!rc && !(nm = tarn_strdup(x->type.children[i].name ? x->type.children[i].name
									: "unnest"))) {
			ex_expr_free(f);
			rc = nomem(b);
		}
		if (!rc)
			rc = proj_add(b, p, f, nm);
	}
	ex_expr_free(x);
	return rc;
}

/* LIMIT and OFFSET of q as constants (-1 = no LIMIT, 0 = no OFFSET). */
static tarn_rc limit_offset(struct binder *b, const struct sql_query *q, int64_t *limit,
			    int64_t *offset)
{
	*limit = -1;
	*offset = 0;
	tarn_rc rc = TARN_OK;
	for (int w = 0; !rc && w < 2; w++) {
		const struct sql_expr *le = w ? q->offset : q->limit;
		if (!le)
			continue;
		struct ex_expr *x = NULL;
		struct bctx none = { .r = NULL, .clause = w ? "OFFSET" : "LIMIT" };
		rc = bind_expr(b, &none, le, &x);
		if (!rc && (!ex_expr_is_const(x) || !tarn_type_is_integer(x->type.id) ||
			    tarn_array_is_null(x->value, 0) || tarn_array_get_int(x->value, 0) < 0))
			rc = fail(b, le->loc, TARN_EUSAGE, "%s must be a non-negative integer",
				  w ? "OFFSET" : "LIMIT");
		if (!rc)
			*(w ? offset : limit) = tarn_array_get_int(x->value, 0);
		ex_expr_free(x);
	}
	return rc;
}

static tarn_rc bind_select(struct binder *b, const struct sql_query *q, struct rel *out)
{
	const struct sql_select *sel = q->select;
	struct rel cur;
	struct bctx subs = { 0 };
	TRY(bind_from_where(b, sel, NULL, &cur, NULL, &subs));
	tarn_free(subs.subs);
	tarn_free(subs.sub_col);

	/* Aggregates in SELECT, HAVING, ORDER BY. */
	struct agg_list al = { b, 0, 0, NULL, NULL };
	struct win_list awl = { .b = b, .sel = sel, .al = &al };
	tarn_rc rc = TARN_OK;
	for (int i = 0; !rc && i < sel->n_items; i++)
		if (!is_star(sel->items[i].expr))
			rc = walk(sel->items[i].expr, visit_agg_win, &awl);
	if (!rc)
		rc = walk(sel->having, visit_agg, &al);
	if (!rc)
		rc = walk(sel->qualify, visit_agg_win, &awl);
	for (int i = 0; !rc && i < q->n_order; i++)
		rc = walk(q->order[i].expr, visit_agg_win, &awl);
	bool grouped = sel->n_group || sel->group_all || al.n || sel->having;
	char **key_text = NULL;
	int nk = 0;
	struct gsets gs = { 0 };
	struct sql_select gsel;
	struct bctx c = { .r = &cur, .clause = "SELECT" };
	if (!rc && grouped) {
		if (sel->group_all)
			rc = fail(b, q->loc, TARN_EUNSUPPORTED, "GROUP BY ALL is not supported yet");
		if (!rc)
			rc = gsets_build(b, sel, &cur, &gs);
		if (!rc && gs.rewrite)
			rc = gsets_select(b, sel, &gs, &gsel, &sel);
		struct ex_expr **keys = NULL;
		char **knames = NULL;
		struct ex_agg_spec *specs = NULL;
		if (!rc) {
			keys = tarn_calloc((size_t)sel->n_group + 1, sizeof *keys);
			knames = tarn_calloc((size_t)sel->n_group + 1, sizeof *knames);
			key_text = tarn_calloc((size_t)sel->n_group + 1, sizeof *key_text);
			specs = tarn_calloc((size_t)al.n + 1, sizeof *specs);
			if (!keys || !knames || !key_text || !specs)
				rc = nomem(b);
		}
		struct bctx kc = { .r = &cur, .clause = "GROUP BY" };
		/* correlated subqueries inside aggregates' arguments see the
		 * rows before grouping */
		if (!rc)
			rc = apply_scalar_subs(b, &cur, al.v, al.n, &kc);
		if (!rc)
			rc = apply_dependent(b, &cur, al.v, al.n, &kc);
		/* ... and are done: the later clauses skip them (column -1) */
		if (!rc && kc.n_subs) {
			c.subs = tarn_calloc((size_t)kc.n_subs, sizeof *c.subs);
			c.sub_col = tarn_calloc((size_t)kc.n_subs, sizeof *c.sub_col);
			if (!c.subs || !c.sub_col)
				rc = nomem(b);
			for (int i = 0; !rc && i < kc.n_subs; i++) {
				c.subs[i] = kc.subs[i];
				c.sub_col[i] = -1;
			}
			c.n_subs = rc ? 0 : kc.n_subs;
		}
		for (int i = 0; !rc && i < sel->n_group; i++) {
			const struct sql_expr *g = group_target(sel, &cur, sel->group[i].expr);
			rc = bind_expr(b, &kc, g, &keys[nk]);
			if (!rc)
				rc = expr_text(b, g, &key_text[nk]);
			if (!rc)
				rc = g->kind == SQL_EXPR_NAME
					     ? ((knames[nk] = tarn_strdup(g->name.parts[g->name.n - 1].s))
							? TARN_OK
							: nomem(b))
					     : expr_text(b, g, &knames[nk]);
			nk++;
		}
		int na = 0;
		for (; !rc && na < al.n; na++)
			rc = agg_spec(b, &kc, al.v[na], &specs[na]);
		for (int i = 0; !rc && i < al.n; i++)
			specs[i].name = al.text[i];
		struct ex_op *agg = NULL;
		if (!rc && gs.on)
			rc = expand_for_sets(b, &gs, &cur, keys, knames, key_text, &nk);
		if (!rc) /* repeated subtrees of keys/arguments/filters, computed once */
			rc = sql_cse_agg(&cur.op, keys, nk, specs, al.n, b->err);
		if (!rc) {
			struct ex_op *in = cur.op;
			cur.op = NULL;
			/* the key expressions are the operator's now; the array is ours */
			rc = ex_op_agg(in, keys, (const char *const *)knames, nk, specs, al.n, &agg,
				       b->err);
		} else {
			for (int i = 0; keys && i < nk; i++)
				ex_expr_free(keys[i]);
			for (int i = 0; specs && i < na; i++) {
				ex_expr_free(specs[i].arg);
				ex_expr_free(specs[i].val);
				ex_expr_free(specs[i].filter);
				ex_expr_free(specs[i].param);
				for (int k = 0; k < specs[i].n_order; k++)
					ex_expr_free(specs[i].order[k].expr);
				tarn_free(specs[i].order);
			}
		}
		tarn_free(keys);
		for (int i = 0; knames && i < nk; i++)
			tarn_free(knames[i]);
		tarn_free(knames);
		tarn_free(specs);
		tarn_free(kc.subs);
		tarn_free(kc.sub_col);
		double est = cur.est;
		rel_clear(&cur);
		if (!rc)
			rc = rel_from_op(b, agg, NULL, est * 0.1, &cur);
		c.agg_mode = true;
		c.n_keys = nk;
		c.key_text = key_text;
		c.n_group_keys = gs.on ? nk - 1 : nk;
		c.n_sets = gs.on ? gs.n_sets : 0;
		c.set_masks = gs.masks;
		c.set_col = nk - 1;
		c.sel = sel;
		c.n_aggs = al.n;
		c.agg_text = al.text;
		if (!rc)
			rc = select_dependent(b, q, &cur, &c);
		if (!rc && sel->having) {
			const struct sql_expr *h = sel->having;
			c.clause = "HAVING";
			struct ex_expr *pred;
			rc = bind_expr(b, &c, h, &pred);
			struct ex_op *op;
			if (!rc) {
				rc = ex_op_filter(cur.op, pred, &op, b->err);
				if (rc)
					cur.op = NULL; /* freed by ex_op_filter */
			}
			if (!rc) {
				cur.op = op;
				rel_retarget(&cur);
			}
			c.clause = "SELECT";
		}
	}

	if (!rc && !grouped)
		rc = select_dependent(b, q, &cur, &c);
	/* Window functions, then QUALIFY (which may name select aliases). */
	if (!rc)
		rc = apply_windows(b, q, &cur, &c);
	if (!rc && sel->qualify) {
		struct bctx cq = c;
		cq.clause = "QUALIFY";
		cq.alias_sel = sel;
		struct ex_expr *pred;
		rc = bind_expr(b, &cq, sel->qualify, &pred);
		struct ex_op *fop;
		if (!rc)
			rc = ex_op_filter(cur.op, pred, &fop, b->err);
		cur.op = NULL;
		if (!rc) {
			cur.op = fop;
			rel_retarget(&cur);
		}
	}
	if (!rc)
		rc = select_unnest(b, sel, &cur, &c);

	/* SELECT list, plus hidden sort columns for ORDER BY expressions. */
	struct proj p = { 0 };
	for (int i = 0; !rc && i < sel->n_items; i++) {
		const struct sql_select_item *it = &sel->items[i];
		if (is_star(it->expr)) {
			rc = expand_star(b, &c, it->expr, &p);
			continue;
		}
		if (is_unnest_call(it->expr) && it->expr->func.n_args == 1) {
			bool mapped = false;
			for (int k = 0; k < c.n_subs; k++)
				mapped |= c.subs[k] == it->expr;
			if (!mapped) { /* unnest(struct): one column per field */
				rc = spread_struct(b, &c, it->expr->func.args[0].value, &p);
				continue;
			}
		}
		struct ex_expr *x;
		rc = bind_expr(b, &c, it->expr, &x);
		char *nm = NULL;
		if (!rc)
			rc = item_name(b, it, &nm);
		if (!rc)
			rc = proj_add(b, &p, x, nm);
		else if (x)
			ex_expr_free(x);
	}
	int visible = p.n;
	int *order_col = NULL;
	if (!rc && q->n_order) {
		order_col = tarn_calloc((size_t)q->n_order, sizeof *order_col);
		if (!order_col)
			rc = nomem(b);
	}
	for (int i = 0; !rc && i < q->n_order; i++) {
		const struct sql_expr *oe = q->order[i].expr;
		if (!oe) {
			rc = fail(b, q->order[i].loc, TARN_EUNSUPPORTED, "ORDER BY ALL is not supported yet");
			break;
		}
		int hit = -1;
		if (oe->kind == SQL_EXPR_LITERAL && oe->lit.kind == SQL_LIT_INTEGER) {
			if (!oe->lit.fits_i64 || oe->lit.i < 1 || oe->lit.i > visible) {
				rc = fail(b, oe->loc, TARN_EUSAGE, "ORDER BY position %.*s is not in the "
					  "select list (1..%d)", (int)oe->lit.len, oe->lit.text, visible);
				break;
			}
			hit = (int)oe->lit.i - 1;
		} else if (oe->kind == SQL_EXPR_NAME && oe->name.n == 1) {
			for (int j = 0; j < visible && hit < 0; j++)
				if (name_eq(p.names[j], oe->name.parts[0].s))
					hit = j;
		}
		if (hit < 0) {
			char *t = NULL;
			rc = expr_text(b, oe, &t);
			for (int j = 0; !rc && j < visible && hit < 0; j++) {
				char *it = NULL;
				if (j < sel->n_items && !is_star(sel->items[j].expr) &&
				    !expr_text(b, sel->items[j].expr, &it) && strcmp(it, t) == 0)
					hit = j;
				tarn_free(it);
			}
			tarn_free(t);
		}
		if (!rc && hit < 0) {
			struct ex_expr *x;
			c.clause = "ORDER BY";
			rc = bind_expr(b, &c, oe, &x);
			char *nm = NULL;
			if (!rc) {
				nm = tarn_malloc(24);
				if (!nm) {
					ex_expr_free(x);
					rc = nomem(b);
				} else {
					snprintf(nm, 24, "__order%d", i);
				}
			}
			if (!rc)
				rc = proj_add(b, &p, x, nm);
			hit = p.n - 1;
		}
		if (!rc)
			order_col[i] = hit;
	}
	int *don_col = NULL;
	if (!rc && sel->distinct == SQL_DISTINCT_ON)
		rc = distinct_on_cols(b, sel, &c, &p, visible, &don_col);
	if (!rc) /* repeated subtrees of the select list, computed once below it */
		rc = sql_cse_project(&cur.op, p.e, p.n, b->err);
	struct ex_op *op = NULL;
	if (!rc) {
		struct ex_op *in = cur.op;
		cur.op = NULL;
		rc = ex_op_project(in, p.e, (const char *const *)p.names, p.n, &op, b->err);
		proj_free(&p, false);
	} else {
		proj_free(&p, true);
	}
	double est = cur.est;
	rel_clear(&cur);
	gsets_free(&gs);
	agg_list_free(&al);
	for (int i = 0; key_text && i < nk; i++)
		tarn_free(key_text[i]);
	tarn_free(key_text);
	if (!rc)
		rc = rel_from_op(b, op, NULL, est, &cur);
	else
		ex_op_free(op);

	if (!rc && sel->distinct == SQL_DISTINCT_ALL) {
		/* Groups on the select list; ORDER BY expressions outside it (a
		 * field of a selected struct, say) ride along as the first
		 * value of their group. */
		int nh = cur.n - visible;
		struct ex_expr **keys = tarn_calloc((size_t)cur.n + 1, sizeof *keys);
		const char **names = tarn_calloc((size_t)cur.n + 1, sizeof *names);
		struct ex_agg_spec *hs = tarn_calloc((size_t)nh + 1, sizeof *hs);
		if (!keys || !names || !hs)
			rc = nomem(b);
		for (int i = 0; !rc && i < visible; i++) {
			rc = ex_expr_column(i, cur.cols[i].type, cur.cols[i].name, &keys[i]);
			names[i] = cur.cols[i].name;
		}
		for (int i = 0; !rc && i < nh; i++) {
			int col = visible + i;
			hs[i] = (struct ex_agg_spec){ .fn = EX_AGG_FIRST, .name = cur.cols[col].name };
			rc = ex_expr_column(col, cur.cols[col].type, cur.cols[col].name, &hs[i].arg);
		}
		struct ex_op *agg = NULL;
		if (!rc) {
			rc = ex_op_agg(cur.op, keys, names, visible, hs, nh, &agg, b->err);
			cur.op = NULL;
		} else {
			for (int i = 0; keys && i < visible; i++)
				ex_expr_free(keys[i]);
			for (int i = 0; hs && i < nh; i++)
				ex_expr_free(hs[i].arg);
		}
		tarn_free(keys);
		tarn_free(names);
		tarn_free(hs);
		struct rel nr = { 0 };
		if (!rc)
			rc = rel_from_op(b, agg, NULL, cur.est, &nr);
		rel_clear(&cur);
		if (!rc)
			cur = nr;
	}
	/* ORDER BY / LIMIT / OFFSET. */
	int64_t limit = -1, offset = 0;
	if (!rc)
		rc = limit_offset(b, q, &limit, &offset);
	if (!rc && q->n_order) {
		struct ex_sort_key *keys = tarn_calloc((size_t)q->n_order, sizeof *keys);
		rc = keys ? TARN_OK : nomem(b);
		for (int i = 0; !rc && i < q->n_order; i++) {
			int col = order_col[i];
			rc = ex_expr_column(col, cur.cols[col].type, cur.cols[col].name, &keys[i].expr);
			keys[i].desc = q->order[i].dir == SQL_SORT_DESC;
			/* DuckDB's default: NULLS LAST whatever the direction. */
			keys[i].nulls_first = q->order[i].nulls == SQL_NULLS_FIRST;
		}
		struct ex_op *sop = NULL;
		if (!rc) {
			rc = ex_op_sort(cur.op, keys, q->n_order, limit >= 0 ? limit + offset : -1,
					&sop, b->err);
			cur.op = NULL;
		} else {
			for (int i = 0; keys && i < q->n_order; i++)
				ex_expr_free(keys[i].expr);
		}
		tarn_free(keys);
		if (!rc) {
			cur.op = sop;
			rel_retarget(&cur);
		}
	}
	tarn_free(order_col);
	if (!rc && don_col) {
		struct ex_op *dop = NULL;
		rc = ex_op_distinct_on(cur.op, don_col, sel->n_distinct_on, &dop, b->err);
		cur.op = NULL;
		if (!rc) {
			cur.op = dop;
			rel_retarget(&cur);
		}
	}
	tarn_free(don_col);
	if (!rc && (limit >= 0 || offset > 0)) {
		struct ex_op *lop;
		rc = ex_op_limit(cur.op, limit, offset, &lop, b->err);
		cur.op = NULL;
		if (!rc) {
			cur.op = lop;
			rel_retarget(&cur);
		}
	}
	/* Drop hidden ORDER BY columns. */
	if (!rc && visible < cur.n) {
		struct ex_expr **pe = tarn_calloc((size_t)visible + 1, sizeof *pe);
		const char **names = tarn_calloc((size_t)visible + 1, sizeof *names);
		rc = pe && names ? TARN_OK : nomem(b);
		for (int i = 0; !rc && i < visible; i++) {
			rc = ex_expr_column(i, cur.cols[i].type, cur.cols[i].name, &pe[i]);
			names[i] = cur.cols[i].name;
		}
		struct ex_op *pop = NULL;
		if (!rc) {
			rc = ex_op_project(cur.op, pe, names, visible, &pop, b->err);
			cur.op = NULL;
		}
		tarn_free(pe);
		tarn_free(names);
		struct rel nr = { 0 };
		if (!rc)
			rc = rel_from_op(b, pop, NULL, cur.est, &nr);
		rel_clear(&cur);
		if (!rc)
			cur = nr;
	}
	tarn_free(c.subs);
	tarn_free(c.sub_col);
	if (rc) {
		rel_clear(&cur);
		return rc;
	}
	*out = cur;
	return TARN_OK;
}

static tarn_rc bind_values(struct binder *b, const struct sql_query *q, struct rel *out)
{
	int nr = q->n_rows, nc = q->n_cols;
	struct bctx none = { .r = NULL, .clause = "VALUES" };
	struct ex_expr **v = tarn_calloc((size_t)nr * (size_t)nc + 1, sizeof *v);
	if (!v)
		return nomem(b);
	tarn_rc rc = TARN_OK;
	int done = 0;
	for (; !rc && done < nr * nc; done++) {
		rc = bind_expr(b, &none, q->values[done], &v[done]);
		if (!rc && !ex_expr_is_const(v[done]))
			rc = fail(b, q->values[done]->loc, TARN_EUNSUPPORTED,
				  "VALUES takes constants only for now");
	}
	/* Column types: the common type of each column. */
	struct tarn_type *types = rc ? NULL : tarn_calloc((size_t)nc + 1, sizeof *types);
	if (!rc && !types)
		rc = nomem(b);
	for (int j = 0; !rc && j < nc; j++) {
		rc = tarn_type_copy(&types[j], &v[j]->type) ? nomem(b) : TARN_OK;
		for (int i = 1; !rc && i < nr; i++) {
			struct tarn_type t;
			rc = ex_type_common(&types[j], &v[i * nc + j]->type, &t, b->err);
			if (!rc) {
				tarn_type_clear(&types[j]);
				types[j] = t;
			}
		}
		if (!rc && types[j].id == TARN_T_NULL)
			tarn_type_init(&types[j], TARN_T_STRING);
	}
	struct tarn_schema *s = NULL;
	if (!rc && tarn_schema_new(nc, &s))
		rc = nomem(b);
	for (int j = 0; !rc && j < nc; j++) {
		char nm[24];
		snprintf(nm, sizeof nm, "col%d", j);
		rc = tarn_field_set_name(&s->fields[j], nm, strlen(nm)) ? nomem(b) : TARN_OK;
		s->fields[j].nullable = true;
		if (!rc)
			rc = tarn_type_copy(&s->fields[j].type, &types[j]) ? nomem(b) : TARN_OK;
	}
	struct tarn_batch *tb = NULL;
	if (!rc)
		rc = tarn_batch_new(s, nr, &tb) ? nomem(b) : TARN_OK;
	for (int i = 0; !rc && i < nr; i++)
		for (int j = 0; !rc && j < nc; j++) {
			struct ex_expr *x = v[i * nc + j];
			v[i * nc + j] = NULL;
			struct ex_expr *cx = x;
			if (!tarn_type_equal(&x->type, &types[j]))
				rc = ex_expr_cast(x, &types[j], false, &cx, b->err);
			if (!rc)
				rc = ex_expr_fold(&cx);
			if (!rc)
				rc = tarn_array_append_from(tb->cols[j], cx->value, 0);
			ex_expr_free(cx);
		}
	if (!rc)
		rc = tarn_batch_seal(tb, b->err);
	for (int i = 0; i < nr * nc; i++)
		ex_expr_free(v[i]);
	tarn_free(v);
	for (int j = 0; types && j < nc; j++)
		tarn_type_clear(&types[j]);
	tarn_free(types);
	if (rc) {
		tarn_batch_free(tb);
		tarn_schema_unref(s);
		return rc;
	}
	struct tarn_batch **bv = tarn_malloc(sizeof *bv);
	if (!bv) {
		tarn_batch_free(tb);
		tarn_schema_unref(s);
		return nomem(b);
	}
	bv[0] = tb;
	struct ex_op *op;
	rc = ex_op_values(s, bv, 1, &op, b->err);
	tarn_schema_unref(s); /* the operator holds its own reference */
	tarn_free(bv);
	TRY(rc);
	return rel_from_op(b, op, "valueslist", nr, out);
}

/* ---- GROUPING SETS, ROLLUP, CUBE ---------------------------------------------------------- */

static void gsets_free(struct gsets *gs)
{
	for (int i = 0; i < gs->n_keys; i++)
		tarn_free(gs->text[i]);
	tarn_free(gs->masks);
	tarn_free(gs->items);
	memset(gs, 0, sizeof *gs);
}

/* The bit of key expression e (added when new). */
static tarn_rc gs_key(struct binder *b, const struct sql_select *sel, const struct rel *r,
		      struct gsets *gs, const struct sql_expr *e, uint64_t *mask)
{
	if (e->kind == SQL_EXPR_ROW) {
		for (int i = 0; i < e->list.n; i++)
			TRY(gs_key(b, sel, r, gs, e->list.items[i], mask));
		return TARN_OK;
	}
	const struct sql_expr *g = group_target(sel, r, e);
	char *t;
	TRY(expr_text(b, g, &t));
	for (int i = 0; i < gs->n_keys; i++)
		if (strcmp(gs->text[i], t) == 0) {
			tarn_free(t);
			*mask |= (uint64_t)1 << i;
			return TARN_OK;
		}
	if (gs->n_keys == 64) {
		tarn_free(t);
		return fail(b, e->loc, TARN_ELIMIT, "GROUP BY: at most 64 distinct grouping keys");
	}
	gs->keys[gs->n_keys] = e; /* as written: GROUP BY binding resolves it again */
	gs->text[gs->n_keys] = t;
	*mask |= (uint64_t)1 << gs->n_keys++;
	return TARN_OK;
}

struct mask_list {
	uint64_t *v;
	int n, cap;
};

static tarn_rc ml_push(struct binder *b, struct mask_list *l, uint64_t m, sql_loc loc)
{
	if (l->n >= GS_MAX_SETS)
		return fail(b, loc, TARN_ELIMIT, "GROUP BY: more than %d grouping sets",
			    GS_MAX_SETS);
	if (l->n == l->cap) {
		int cap = l->cap ? l->cap * 2 : 8;
		uint64_t *v = tarn_realloc(l->v, (size_t)cap * sizeof *v);
		if (!v)
			return nomem(b);
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = m;
	return TARN_OK;
}

/* The sets one GROUP BY item stands for, appended to out. */
static tarn_rc gs_item(struct binder *b, const struct sql_select *sel, const struct rel *r,
		       struct gsets *gs, const struct sql_group_item *it, struct mask_list *out)
{
	switch (it->kind) {
	case SQL_GROUP_EXPR: {
		uint64_t m = 0;
		TRY(gs_key(b, sel, r, gs, it->expr, &m));
		return ml_push(b, out, m, it->loc);
	}
	case SQL_GROUP_EMPTY:
		return ml_push(b, out, 0, it->loc);
	case SQL_GROUP_ROLLUP:
	case SQL_GROUP_CUBE: {
		uint64_t el[64];
		if (it->n_args > (it->kind == SQL_GROUP_CUBE ? 12 : 64))
			return fail(b, it->loc, TARN_ELIMIT, "%s takes at most %d elements",
				    it->kind == SQL_GROUP_CUBE ? "CUBE" : "ROLLUP",
				    it->kind == SQL_GROUP_CUBE ? 12 : 64);
		for (int i = 0; i < it->n_args; i++) {
			el[i] = 0;
			TRY(gs_key(b, sel, r, gs, it->args[i], &el[i]));
		}
		if (it->kind == SQL_GROUP_ROLLUP) {
			for (int k = it->n_args; k >= 0; k--) {
				uint64_t m = 0;
				for (int i = 0; i < k; i++)
					m |= el[i];
				TRY(ml_push(b, out, m, it->loc));
			}
			return TARN_OK;
		}
		int n = it->n_args;
		for (uint32_t sub = (1u << n) - 1;; sub--) {
			uint64_t m = 0;
			for (int i = 0; i < n; i++)
				if ((sub >> (n - 1 - i)) & 1)
					m |= el[i];
			TRY(ml_push(b, out, m, it->loc));
			if (sub == 0)
				break;
		}
		return TARN_OK;
	}
	case SQL_GROUP_SETS:
		for (int i = 0; i < it->n_sets; i++)
			TRY(gs_item(b, sel, r, gs, &it->sets[i], out));
		return TARN_OK;
	}
	return fail(b, it->loc, TARN_EINTERNAL, "unknown GROUP BY element");
}

static tarn_rc gsets_build(struct binder *b, const struct sql_select *sel, const struct rel *r,
			   struct gsets *gs)
{
	memset(gs, 0, sizeof *gs);
	for (int i = 0; i < sel->n_group; i++)
		gs->on = gs->on || sel->group[i].kind != SQL_GROUP_EXPR;
	gs->rewrite = gs->on;
	if (!gs->on)
		return TARN_OK; /* a plain GROUP BY: planned as it is written */
	struct mask_list acc = { 0 }, item = { 0 }, next = { 0 };
	tarn_rc rc = ml_push(b, &acc, 0, 0);
	for (int i = 0; !rc && i < sel->n_group; i++) {
		item.n = 0;
		rc = gs_item(b, sel, r, gs, &sel->group[i], &item);
		next.n = 0;
		for (int x = 0; !rc && x < acc.n; x++)
			for (int y = 0; !rc && y < item.n; y++)
				rc = ml_push(b, &next, acc.v[x] | item.v[y], sel->group[i].loc);
		struct mask_list t = acc;
		acc = next;
		next = t;
	}
	tarn_free(item.v);
	tarn_free(next.v);
	if (rc) {
		tarn_free(acc.v);
		gsets_free(gs);
		return rc;
	}
	gs->masks = acc.v;
	gs->n_sets = acc.n;
	if (gs->on && gs->n_keys == 0 && gs->n_sets == 1)
		gs->on = false; /* GROUPING SETS (()): a global aggregate */
	return TARN_OK;
}

/* The select with its GROUP BY replaced by one plain item per distinct
 * grouping key (in *copy, items owned by gs), so the key binding below
 * runs as for a plain GROUP BY. */
static tarn_rc gsets_select(struct binder *b, const struct sql_select *sel, struct gsets *gs,
			    struct sql_select *copy, const struct sql_select **out)
{
	gs->items = tarn_calloc((size_t)gs->n_keys + 1, sizeof *gs->items);
	if (!gs->items)
		return nomem(b);
	for (int i = 0; i < gs->n_keys; i++) {
		gs->items[i].kind = SQL_GROUP_EXPR;
		gs->items[i].loc = gs->keys[i]->loc;
		gs->items[i].expr = (struct sql_expr *)gs->keys[i];
	}
	*copy = *sel;
	copy->n_group = gs->n_keys;
	copy->group = gs->items;
	*out = copy;
	return TARN_OK;
}

/* Puts the grouping-sets expansion under the aggregate: keys[0..*nk)
 * (bound over cur, taken over) move into the expansion, and become
 * references to its key columns plus its set column. */
static tarn_rc expand_for_sets(struct binder *b, const struct gsets *gs, struct rel *cur,
			       struct ex_expr **keys, char **knames, char **key_text, int *nk)
{
	int n = *nk, n_in = cur->n;
	struct ex_op *exp = NULL;
	tarn_rc rc = ex_op_expand(cur->op, keys, (const char *const *)knames, n, gs->masks,
				  gs->n_sets, &exp, b->err);
	cur->op = NULL;
	for (int i = 0; i < n; i++)
		keys[i] = NULL;
	TRY(rc);
	cur->op = exp;
	const struct tarn_schema *s = ex_op_schema(exp);
	for (int i = 0; !rc && i <= n; i++)
		rc = ex_expr_column(n_in + i, &s->fields[n_in + i].type, s->fields[n_in + i].name,
				    &keys[i]);
	knames[n] = tarn_strdup("__grouping_set");
	key_text[n] = tarn_strdup("\x01grouping set");
	*nk = n + 1;
	if (!rc && (!knames[n] || !key_text[n]))
		rc = nomem(b);
	return rc;
}

/* GROUPING(k1, ..., kn) / GROUPING_ID: bit n-1-i is 1 when k_i is not
 * grouped on in the row's set; a CASE over the set column. */
static tarn_rc bind_grouping(struct binder *b, const struct bctx *c, const struct sql_expr *e,
			     struct ex_expr **out)
{
	int n = e->func.n_args;
	if (n < 1 || n > 63)
		return fail(b, e->loc, TARN_EUSAGE, "%s takes 1 to 63 grouping keys", func_name(e));
	int idx[64];
	for (int i = 0; i < n; i++) {
		char *t;
		const struct sql_expr *a = e->func.args[i].value;
		TRY(expr_text(b, a, &t));
		idx[i] = -1;
		for (int k = 0; k < c->n_group_keys && idx[i] < 0; k++)
			if (strcmp(c->key_text[k], t) == 0)
				idx[i] = k;
		tarn_free(t);
		/* a select-list alias of a key */
		for (int j = 0; idx[i] < 0 && a->kind == SQL_EXPR_NAME && a->name.n == 1 && c->sel &&
				j < c->sel->n_items;
		     j++) {
			if (!name_eq(c->sel->items[j].alias.s, a->name.parts[0].s))
				continue;
			TRY(expr_text(b, c->sel->items[j].expr, &t));
			for (int k = 0; k < c->n_group_keys && idx[i] < 0; k++)
				if (strcmp(c->key_text[k], t) == 0)
					idx[i] = k;
			tarn_free(t);
		}
		if (idx[i] < 0)
			return fail(b, e->func.args[i].value->loc, TARN_EUSAGE,
				    "%s: arguments must be GROUP BY keys", func_name(e));
	}
	if (c->n_sets == 0)
		return ex_expr_const_int(TARN_T_INT64, 0, out) ? nomem(b) : TARN_OK;
	struct ex_expr **whens = tarn_calloc((size_t)c->n_sets, sizeof *whens);
	struct ex_expr **thens = tarn_calloc((size_t)c->n_sets, sizeof *thens);
	tarn_rc rc = whens && thens ? TARN_OK : nomem(b);
	int done = 0;
	for (; !rc && done < c->n_sets; done++) {
		int64_t v = 0;
		for (int i = 0; i < n; i++)
			if (!((c->set_masks[done] >> idx[i]) & 1))
				v |= (int64_t)1 << (n - 1 - i);
		struct ex_expr *col = NULL, *k = NULL;
		rc = ex_expr_column(c->set_col, c->r->cols[c->set_col].type, NULL, &col);
		if (!rc)
			rc = ex_expr_const_int(TARN_T_INT32, done, &k);
		if (!rc)
			rc = ex_expr_cmp(EX_EQ, col, k, &whens[done], b->err);
		else {
			ex_expr_free(col);
			ex_expr_free(k);
		}
		if (!rc)
			rc = ex_expr_const_int(TARN_T_INT64, v, &thens[done]);
		if (rc)
			done++;
	}
	if (!rc) {
		rc = ex_expr_case(whens, thens, c->n_sets, NULL, out, b->err);
	} else {
		for (int i = 0; i < done; i++) {
			ex_expr_free(whens[i]);
			ex_expr_free(thens[i]);
		}
	}
	tarn_free(whens);
	tarn_free(thens);
	return rc;
}

/* DISTINCT ON (e, ...): the projection column of each key (a select-list
 * position, a select-list name or expression, else a hidden column added
 * to p). */
static tarn_rc distinct_on_cols(struct binder *b, const struct sql_select *sel, struct bctx *c,
				struct proj *p, int visible, int **out)
{
	int n = sel->n_distinct_on;
	int *col = tarn_calloc((size_t)n + 1, sizeof *col);
	if (!col)
		return nomem(b);
	tarn_rc rc = TARN_OK;
	for (int i = 0; !rc && i < n; i++) {
		const struct sql_expr *de = sel->distinct_on[i];
		int hit = -1;
		if (de->kind == SQL_EXPR_LITERAL && de->lit.kind == SQL_LIT_INTEGER) {
			if (!de->lit.fits_i64 || de->lit.i < 1 || de->lit.i > visible) {
				rc = fail(b, de->loc, TARN_EUSAGE,
					  "DISTINCT ON position %.*s is not in the select list (1..%d)",
					  (int)de->lit.len, de->lit.text, visible);
				break;
			}
			hit = (int)de->lit.i - 1;
		} else if (de->kind == SQL_EXPR_NAME && de->name.n == 1) {
			for (int j = 0; j < visible && hit < 0; j++)
				if (name_eq(p->names[j], de->name.parts[0].s))
					hit = j;
		}
		if (hit < 0) {
			char *t = NULL;
			rc = expr_text(b, de, &t);
			for (int j = 0; !rc && j < visible && j < sel->n_items && hit < 0; j++) {
				char *it = NULL;
				if (!is_star(sel->items[j].expr) &&
				    !expr_text(b, sel->items[j].expr, &it) && strcmp(it, t) == 0)
					hit = j;
				tarn_free(it);
			}
			tarn_free(t);
		}
		if (!rc && hit < 0) {
			struct ex_expr *x;
			c->clause = "DISTINCT ON";
			rc = bind_expr(b, c, de, &x);
			char *nm = rc ? NULL : tarn_malloc(24);
			if (!rc && !nm) {
				ex_expr_free(x);
				rc = nomem(b);
			}
			if (!rc) {
				snprintf(nm, 24, "__distinct%d", i);
				rc = proj_add(b, p, x, nm);
			}
			hit = p->n - 1;
		}
		col[i] = hit;
	}
	if (rc) {
		tarn_free(col);
		return rc;
	}
	*out = col;
	return TARN_OK;
}

/* range(stop) / range(start, stop[, step]) and generate_series (stop
 * included), over BIGINT constants. */
static tarn_rc series_rel(struct binder *b, const struct sql_tref *t, const char *fn,
			  struct rel *out)
{
	int n = t->func.n_args;
	bool incl = name_eq(fn, "generate_series");
	if (n < 1 || n > 3)
		return fail(b, t->loc, TARN_EUSAGE, "%s() takes 1 to 3 arguments (start, stop, step)",
			    fn);
	int64_t v[3] = { 0, 0, 1 };
	for (int i = 0; i < n; i++) {
		const struct sql_arg *a = &t->func.args[i];
		struct ex_expr *x = NULL;
		struct bctx none = { .r = NULL, .clause = "FROM" };
		tarn_rc rc = a->name.s ? fail(b, a->value->loc, TARN_EUSAGE,
					      "%s() takes no named arguments", fn)
				       : bind_expr(b, &none, a->value, &x);
		if (!rc)
			rc = ex_expr_fold(&x) ? nomem(b) : TARN_OK;
		if (!rc && (!ex_expr_is_const(x) || !tarn_type_is_integer(x->type.id) ||
			    tarn_array_is_null(x->value, 0)))
			rc = fail(b, a->value->loc, TARN_EUNSUPPORTED,
				  "%s(): arguments must be integer constants (dates and timestamps "
				  "are not supported yet)",
				  fn);
		if (!rc)
			v[n == 1 ? 1 : i] = tarn_array_get_int(x->value, 0);
		ex_expr_free(x);
		TRY(rc);
	}
	if (v[2] == 0)
		return fail(b, t->func.args[n - 1].value->loc, TARN_EUSAGE,
			    "%s(): the step must not be 0", fn);
	struct ex_op *op;
	char lname[32];
	snprintf(lname, sizeof lname, "%s", incl ? "generate_series" : "range");
	TRY(ex_op_series(v[0], v[1], v[2], incl, lname, &op, b->err));
	double est = (double)(v[1] > v[0] ? v[1] - v[0] : v[0] - v[1]) / (double)(v[2] < 0 ? -v[2] : v[2]);
	TRY(rel_from_op(b, op, alias_or(&t->alias, lname), est + 1, out));
	return apply_alias_cols(b, &t->alias, out);
}

/* ---- ORDER BY / LIMIT over a whole query body ---------------------------------------- */

/* ORDER BY / LIMIT / OFFSET of a set operation or VALUES: keys are output
 * positions, output names, or expressions over the output columns. */
static tarn_rc apply_order_limit(struct binder *b, const struct sql_query *q, struct rel *cur)
{
	int visible = cur->n;
	int64_t limit, offset;
	TRY(limit_offset(b, q, &limit, &offset));
	tarn_rc rc = TARN_OK;
	if (q->n_order) {
		/* visible columns, then one hidden column per expression key */
		struct proj p = { 0 };
		int *col = tarn_calloc((size_t)q->n_order, sizeof *col);
		rc = col ? TARN_OK : nomem(b);
		for (int i = 0; !rc && i < visible; i++) {
			struct ex_expr *x;
			rc = ex_expr_column(i, cur->cols[i].type, cur->cols[i].name, &x);
			char *nm = rc ? NULL : tarn_strdup(cur->cols[i].name);
			if (!rc && !nm) {
				ex_expr_free(x);
				rc = nomem(b);
			}
			if (!rc)
				rc = proj_add(b, &p, x, nm);
		}
		struct bctx c = { .r = cur, .clause = "ORDER BY" };
		for (int i = 0; !rc && i < q->n_order; i++) {
			const struct sql_expr *oe = q->order[i].expr;
			if (!oe) {
				rc = fail(b, q->order[i].loc, TARN_EUNSUPPORTED,
					  "ORDER BY ALL is not supported yet");
				break;
			}
			if (oe->kind == SQL_EXPR_LITERAL && oe->lit.kind == SQL_LIT_INTEGER) {
				if (!oe->lit.fits_i64 || oe->lit.i < 1 || oe->lit.i > visible)
					rc = fail(b, oe->loc, TARN_EUSAGE,
						  "ORDER BY position %.*s is not in the select list (1..%d)",
						  (int)oe->lit.len, oe->lit.text, visible);
				else
					col[i] = (int)oe->lit.i - 1;
				continue;
			}
			struct ex_expr *x;
			rc = bind_expr(b, &c, oe, &x);
			if (rc)
				break;
			if (x->kind == EX_E_COLUMN) {
				col[i] = x->col;
				ex_expr_free(x);
				continue;
			}
			char *nm = tarn_malloc(24);
			if (!nm) {
				ex_expr_free(x);
				rc = nomem(b);
				break;
			}
			snprintf(nm, 24, "__order%d", i);
			rc = proj_add(b, &p, x, nm);
			col[i] = p.n - 1;
		}
		struct ex_op *op = NULL;
		if (!rc) {
			rc = ex_op_project(cur->op, p.e, (const char *const *)p.names, p.n, &op, b->err);
			cur->op = NULL;
			proj_free(&p, false);
		} else {
			proj_free(&p, true);
		}
		struct ex_sort_key *keys = rc ? NULL : tarn_calloc((size_t)q->n_order, sizeof *keys);
		if (!rc && !keys)
			rc = nomem(b);
		const struct tarn_schema *s = op ? ex_op_schema(op) : NULL;
		for (int i = 0; !rc && i < q->n_order; i++) {
			rc = ex_expr_column(col[i], &s->fields[col[i]].type, s->fields[col[i]].name,
					    &keys[i].expr);
			keys[i].desc = q->order[i].dir == SQL_SORT_DESC;
			keys[i].nulls_first = q->order[i].nulls == SQL_NULLS_FIRST;
		}
		tarn_free(col);
		struct ex_op *sop = NULL;
		if (!rc) {
			rc = ex_op_sort(op, keys, q->n_order, limit >= 0 ? limit + offset : -1, &sop,
					b->err);
			op = NULL;
		} else {
			for (int i = 0; keys && i < q->n_order; i++)
				ex_expr_free(keys[i].expr);
		}
		ex_op_free(op);
		tarn_free(keys);
		if (rc)
			return rc;
		cur->op = sop;
		rel_retarget(cur);
	}
	if (limit >= 0 || offset > 0) {
		struct ex_op *lop;
		rc = ex_op_limit(cur->op, limit, offset, &lop, b->err);
		cur->op = NULL;
		TRY(rc);
		cur->op = lop;
	}
	if (q->n_order && ex_op_schema(cur->op)->n_fields > visible) {
		struct ex_expr **pe = tarn_calloc((size_t)visible + 1, sizeof *pe);
		const char **names = tarn_calloc((size_t)visible + 1, sizeof *names);
		rc = pe && names ? TARN_OK : nomem(b);
		for (int i = 0; !rc && i < visible; i++) {
			rc = ex_expr_column(i, cur->cols[i].type, cur->cols[i].name, &pe[i]);
			names[i] = cur->cols[i].name;
		}
		struct ex_op *pop = NULL;
		if (!rc) {
			rc = ex_op_project(cur->op, pe, names, visible, &pop, b->err);
			cur->op = NULL;
		} else {
			for (int i = 0; pe && i < visible; i++)
				ex_expr_free(pe[i]);
		}
		tarn_free(pe);
		tarn_free(names);
		TRY(rc);
		cur->op = pop;
	}
	rel_retarget(cur);
	return TARN_OK;
}

/* ---- set operations ---------------------------------------------------------------------- */

static const char *setop_sql(const struct sql_query *q)
{
	switch (q->op) {
	case SQL_SETOP_UNION:
		return q->all ? "UNION ALL" : "UNION";
	case SQL_SETOP_INTERSECT:
		return q->all ? "INTERSECT ALL" : "INTERSECT";
	default:
		return q->all ? "EXCEPT ALL" : "EXCEPT";
	}
}

/* The SQL spelling of t for messages (DuckDB's names). */
static const char *sql_type_name(const struct tarn_type *t, char *buf, size_t cap)
{
	static const char *const names[TARN_T__COUNT] = {
		[TARN_T_NULL] = "NULL",	       [TARN_T_BOOL] = "BOOLEAN",
		[TARN_T_INT8] = "TINYINT",     [TARN_T_INT16] = "SMALLINT",
		[TARN_T_INT32] = "INTEGER",    [TARN_T_INT64] = "BIGINT",
		[TARN_T_UINT8] = "UTINYINT",   [TARN_T_UINT16] = "USMALLINT",
		[TARN_T_UINT32] = "UINTEGER",  [TARN_T_UINT64] = "UBIGINT",
		[TARN_T_FLOAT32] = "FLOAT",    [TARN_T_FLOAT64] = "DOUBLE",
		[TARN_T_STRING] = "VARCHAR",   [TARN_T_BINARY] = "BLOB",
		[TARN_T_DATE32] = "DATE",      [TARN_T_TIME64] = "TIME",
		[TARN_T_TIMESTAMP] = "TIMESTAMP", [TARN_T_LIST] = "a list",
		[TARN_T_STRUCT] = "a STRUCT",  [TARN_T_MAP] = "a MAP",
	};
	if (t->id == TARN_T_DECIMAL128)
		snprintf(buf, cap, "DECIMAL(%d,%d)", t->precision, t->scale);
	else
		snprintf(buf, cap, "%s",
			 t->id >= 0 && t->id < TARN_T__COUNT && names[t->id] ? names[t->id] : "?");
	return buf;
}

static bool is_number(enum tarn_type_id id)
{
	return tarn_type_is_integer(id) || id == TARN_T_FLOAT32 || id == TARN_T_FLOAT64 ||
	       id == TARN_T_DECIMAL128;
}

/* The type both branches' column is cast to, by DuckDB's rules for set
 * operations: NULL takes the other side's type, VARCHAR absorbs anything,
 * BOOLEAN widens to a number, numbers widen (integer + DECIMAL gives a
 * DECIMAL wide enough for both, integer + DOUBLE gives DOUBLE). */
static tarn_rc setop_type(struct binder *b, const struct sql_query *q, int i, int col,
			  const char *name, const struct tarn_type *l, const struct tarn_type *r,
			  struct tarn_type *out)
{
	enum tarn_type_id x = l->id, y = r->id;
	if (tarn_type_equal(l, r) || y == TARN_T_NULL)
		return tarn_type_copy(out, l) ? nomem(b) : TARN_OK;
	if (x == TARN_T_NULL)
		return tarn_type_copy(out, r) ? nomem(b) : TARN_OK;
	if ((x == TARN_T_STRING && y != TARN_T_BINARY && !tarn_type_is_nested(y)) ||
	    (y == TARN_T_STRING && x != TARN_T_BINARY && !tarn_type_is_nested(x))) {
		tarn_type_init(out, TARN_T_STRING);
		return TARN_OK;
	}
	if (x == TARN_T_BOOL && is_number(y))
		return tarn_type_copy(out, r) ? nomem(b) : TARN_OK;
	if (y == TARN_T_BOOL && is_number(x))
		return tarn_type_copy(out, l) ? nomem(b) : TARN_OK;
	struct tarn_err e2 = { 0 };
	if (ex_type_common(l, r, out, &e2) == TARN_OK)
		return TARN_OK;
	char tl[48], tr[48];
	return fail(b, q->args[i]->loc, TARN_EUSAGE,
		    "%s: column %d (%s) is %s on the left but %s here; the types do not "
		    "combine (CAST one side)",
		    setop_sql(q), col + 1, name, sql_type_name(l, tl, sizeof tl),
		    sql_type_name(r, tr, sizeof tr));
}

/* Casts r's columns to types (a projection when any differs); names kept. */
static tarn_rc cast_rel(struct binder *b, struct rel *r, const struct tarn_type *types)
{
	bool same = true;
	for (int i = 0; i < r->n; i++)
		same = same && tarn_type_equal(r->cols[i].type, &types[i]);
	if (same)
		return TARN_OK;
	struct ex_expr **pe = tarn_calloc((size_t)r->n + 1, sizeof *pe);
	const char **names = tarn_calloc((size_t)r->n + 1, sizeof *names);
	tarn_rc rc = pe && names ? TARN_OK : nomem(b);
	for (int i = 0; !rc && i < r->n; i++) {
		names[i] = r->cols[i].name;
		rc = ex_expr_column(i, r->cols[i].type, r->cols[i].name, &pe[i]);
		if (!rc && !tarn_type_equal(r->cols[i].type, &types[i])) {
			struct ex_expr *cx;
			rc = ex_expr_cast(pe[i], &types[i], false, &cx, b->err);
			pe[i] = rc ? NULL : cx;
		}
	}
	struct ex_op *op = NULL;
	if (!rc) {
		rc = ex_op_project(r->op, pe, names, r->n, &op, b->err);
		r->op = NULL;
	} else {
		for (int i = 0; pe && i < r->n; i++)
			ex_expr_free(pe[i]);
	}
	tarn_free(pe);
	tarn_free(names);
	TRY(rc);
	r->op = op;
	rel_retarget(r);
	return TARN_OK;
}

/* UNION BY NAME: both sides projected onto the left's columns followed by
 * the right's other columns (matched case-insensitively); a side lacking a
 * column gives NULL there. */
static tarn_rc align_by_name(struct binder *b, struct rel *l, struct rel *r)
{
	int n = l->n;
	for (int j = 0; j < r->n; j++) {
		bool found = false;
		for (int i = 0; i < l->n && !found; i++)
			found = name_eq(l->cols[i].name, r->cols[j].name);
		n += !found;
	}
	const char **names = tarn_calloc((size_t)n + 1, sizeof *names);
	if (!names)
		return nomem(b);
	int k = 0;
	for (int i = 0; i < l->n; i++)
		names[k++] = l->cols[i].name;
	for (int j = 0; j < r->n; j++) {
		bool found = false;
		for (int i = 0; i < l->n && !found; i++)
			found = name_eq(l->cols[i].name, r->cols[j].name);
		if (!found)
			names[k++] = r->cols[j].name;
	}
	tarn_rc rc = TARN_OK;
	struct rel *side[2] = { l, r };
	struct ex_op *ops[2] = { NULL, NULL };
	for (int s = 0; s < 2 && !rc; s++) {
		struct ex_expr **pe = tarn_calloc((size_t)n + 1, sizeof *pe);
		rc = pe ? TARN_OK : nomem(b);
		for (int i = 0; !rc && i < n; i++) {
			int hit = -1;
			for (int j = 0; j < side[s]->n && hit < 0; j++)
				if (name_eq(side[s]->cols[j].name, names[i]))
					hit = j;
			if (hit >= 0) {
				rc = ex_expr_column(hit, side[s]->cols[hit].type, names[i], &pe[i]);
				continue;
			}
			struct tarn_type nt;
			tarn_type_init(&nt, TARN_T_NULL);
			rc = ex_expr_const_null(&nt, &pe[i]) ? nomem(b) : TARN_OK;
		}
		if (!rc) {
			rc = ex_op_project(side[s]->op, pe, names, n, &ops[s], b->err);
			side[s]->op = NULL;
		} else {
			for (int i = 0; pe && i < n; i++)
				ex_expr_free(pe[i]);
		}
		tarn_free(pe);
	}
	tarn_free(names);
	for (int s = 0; s < 2; s++) {
		struct rel nr = { 0 };
		if (!rc && ops[s]) {
			double est = side[s]->est;
			rc = rel_from_op(b, ops[s], NULL, est, &nr);
			ops[s] = NULL;
			rel_clear(side[s]);
			if (rc)
				rel_clear(&nr);
			else
				*side[s] = nr;
		}
		ex_op_free(ops[s]);
	}
	return rc;
}

/* args[0] op args[1] op ... as a left fold of set operators; each step
 * unifies the column types of its two inputs. */
static tarn_rc bind_setop(struct binder *b, const struct sql_query *q, struct rel *out)
{
	struct rel cur;
	TRY(bind_query_rel(b, q->args[0], &cur));
	enum ex_setop_kind kind = q->op == SQL_SETOP_UNION
					  ? (q->all ? EX_SETOP_UNION_ALL : EX_SETOP_UNION)
				  : q->op == SQL_SETOP_INTERSECT
					  ? (q->all ? EX_SETOP_INTERSECT_ALL : EX_SETOP_INTERSECT)
					  : (q->all ? EX_SETOP_EXCEPT_ALL : EX_SETOP_EXCEPT);
	tarn_rc rc = TARN_OK;
	for (int i = 1; !rc && i < q->n_args; i++) {
		struct rel r;
		rc = bind_query_rel(b, q->args[i], &r);
		if (rc)
			break;
		if (q->by_name)
			rc = align_by_name(b, &cur, &r);
		if (!rc && r.n != cur.n)
			rc = fail(b, q->args[i]->loc, TARN_EUSAGE,
				  "%s: each side must have the same number of columns (the left "
				  "has %d, this one %d)",
				  setop_sql(q), cur.n, r.n);
		struct tarn_type *types = rc ? NULL : tarn_calloc((size_t)cur.n + 1, sizeof *types);
		if (!rc && !types)
			rc = nomem(b);
		for (int j = 0; !rc && j < cur.n; j++) {
			rc = setop_type(b, q, i, j, cur.cols[j].name, cur.cols[j].type, r.cols[j].type,
					&types[j]);
			if (!rc && kind != EX_SETOP_UNION_ALL && !ex_type_is_scalar(types[j].id) &&
			    types[j].id != TARN_T_NULL)
				rc = fail(b, q->args[i]->loc, TARN_EUNSUPPORTED,
					  "%s over column %d (%s) of a nested type is not supported "
					  "yet (UNION ALL is)",
					  setop_sql(q), j + 1, cur.cols[j].name);
		}
		if (!rc)
			rc = cast_rel(b, &cur, types);
		if (!rc)
			rc = cast_rel(b, &r, types);
		for (int j = 0; types && j < cur.n; j++)
			tarn_type_clear(&types[j]);
		tarn_free(types);
		struct ex_op *op = NULL;
		double est = cur.est + r.est;
		if (!rc) {
			rc = ex_op_setop(kind, cur.op, r.op, &op, b->err);
			cur.op = r.op = NULL;
		}
		rel_clear(&r);
		rel_clear(&cur);
		if (!rc)
			rc = rel_from_op(b, op, NULL, est, &cur);
	}
	if (!rc)
		rc = apply_order_limit(b, q, &cur);
	if (rc) {
		rel_clear(&cur);
		return rc;
	}
	*out = cur;
	return TARN_OK;
}

/* ---- recursive CTEs ---------------------------------------------------------------------- */

/* WITH RECURSIVE c AS (anchor UNION [ALL] step) is computed while binding,
 * like an uncorrelated scalar subquery: the anchor runs once, then the
 * step is bound and run again and again with c standing for the previous
 * iteration's rows (an in-memory source), until an iteration yields no
 * rows. UNION keeps only rows never produced before (compared IS NOT
 * DISTINCT, across all iterations), which ends cycles. The reference to c
 * becomes an in-memory source over every row produced. Rows held count
 * against the memory limit (half the machine's memory when none is set),
 * so a recursion that never ends stops with TARN_ELIMIT. */

static void batches_free(struct tarn_batch **v, int n)
{
	for (int i = 0; i < n; i++)
		tarn_batch_free(v[i]);
	tarn_free(v);
}

/* A dense copy of tb under schema s. */
static tarn_rc batch_clone(const struct tarn_batch *tb, struct tarn_schema *s,
			   struct tarn_batch **out)
{
	struct tarn_batch *d;
	TRY(tarn_batch_new(s, tb->n_rows, &d));
	tarn_rc rc = TARN_OK;
	for (int c = 0; !rc && c < tb->n_cols; c++)
		rc = ex_array_gather(d->cols[c], tb->cols[c], NULL, 0, tb->n_rows);
	if (!rc)
		rc = tarn_batch_seal(d, NULL);
	if (rc) {
		tarn_batch_free(d);
		return rc;
	}
	*out = d;
	return TARN_OK;
}

/* An in-memory source over copies of batches v[0..n), schema s. */
static tarn_rc values_rel(struct binder *b, struct tarn_schema *s, struct tarn_batch *const *v,
			  int n, const char *alias, struct rel *out)
{
	struct tarn_batch **copies = tarn_calloc((size_t)n + 1, sizeof *copies);
	if (!copies)
		return nomem(b);
	int64_t rows = 0;
	for (int i = 0; i < n; i++) {
		if (batch_clone(v[i], s, &copies[i])) {
			batches_free(copies, i);
			return nomem(b);
		}
		rows += v[i]->n_rows;
	}
	struct ex_op *op;
	tarn_rc rc = ex_op_values(s, copies, n, &op, b->err);
	tarn_free(copies);
	TRY(rc);
	return rel_from_op(b, op, alias, (double)rows + 1, out);
}

/* Runs r's plan (consumed) to the end: its result batches. */
static tarn_rc run_rel(struct binder *b, struct rel *r, struct tarn_batch ***out, int *n_out)
{
	*out = NULL;
	*n_out = 0;
	struct ex_op *op = r->op;
	r->op = NULL;
	struct ex_query *q = NULL;
	tarn_rc rc = ex_query_new(op, b->xo, &q, b->err);
	struct tarn_batch **v = NULL;
	int n = 0, cap = 0;
	while (!rc) {
		struct tarn_batch *tb = NULL;
		rc = ex_query_next(q, &tb, b->err);
		if (rc || !tb)
			break;
		if (tb->n_rows == 0) {
			tarn_batch_free(tb);
			continue;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 8;
			struct tarn_batch **nv = tarn_realloc(v, (size_t)cap * sizeof *nv);
			if (!nv) {
				tarn_batch_free(tb);
				rc = nomem(b);
				break;
			}
			v = nv;
		}
		v[n++] = tb;
	}
	ex_query_free(q);
	if (rc) {
		batches_free(v, n);
		return rc;
	}
	*out = v;
	*n_out = n;
	return TARN_OK;
}

/* A recursion being bound: its CTE and the previous round's rows. */
struct rec_frame {
	const struct sql_cte *cte;
	struct tarn_schema *schema; /* the working table's columns */
	struct tarn_batch **work;   /* the previous iteration's rows (borrowed) */
	int n_work;
	int refs;                   /* references bound in this iteration */
	struct rec_frame *up;
};

struct rec_state {
	struct binder *b;
	const struct sql_cte *cte;
	struct tarn_schema *s;
	struct ex_dedup *dedup; /* UNION: rows seen so far; NULL for UNION ALL */
	uint32_t *sel;
	struct tarn_batch **all; /* every row kept so far */
	int n_all, cap_all;
	int64_t rows, bytes, limit, iters;
};

static void fmt_size(char *buf, size_t cap, int64_t n)
{
	if (n >= (int64_t)1 << 30)
		snprintf(buf, cap, "%.1f GiB", (double)n / (1 << 30));
	else if (n >= 1 << 20)
		snprintf(buf, cap, "%.1f MiB", (double)n / (1 << 20));
	else
		snprintf(buf, cap, "%lld bytes", (long long)n);
}

/* Keeps the new rows of v[0..n) (taken over): with UNION only rows never
 * seen before. The kept rows go to *kept (the next working table) and to
 * st->all. */
static tarn_rc rec_keep(struct rec_state *st, struct tarn_batch **v, int n, struct tarn_batch ***kept,
			int *n_kept)
{
	struct binder *b = st->b;
	*kept = tarn_calloc((size_t)n + 1, sizeof **kept);
	*n_kept = 0;
	tarn_rc rc = *kept ? TARN_OK : nomem(b);
	int i = 0;
	for (; !rc && i < n; i++) {
		struct tarn_batch *tb = v[i];
		v[i] = NULL;
		if (st->dedup) {
			int64_t m = 0;
			if (ex_dedup_rows(st->dedup, tb, st->sel, &m)) {
				tarn_batch_free(tb);
				rc = nomem(b);
				break;
			}
			if (m == 0) {
				tarn_batch_free(tb);
				continue;
			}
			if (m < tb->n_rows) {
				struct ex_batch *eb;
				rc = ex_batch_wrap(tb, &eb);
				if (rc) {
					rc = nomem(b);
					break;
				}
				eb->sel = st->sel;
				eb->n_sel = m;
				rc = ex_batch_to_tarn(eb, st->s, &tb, b->err);
				eb->sel = NULL;
				ex_batch_free(eb);
				if (rc)
					break;
			}
		}
		st->rows += tb->n_rows;
		for (int c = 0; c < tb->n_cols; c++)
			st->bytes += ex_array_bytes(tb->cols[c]);
		st->bytes += 256; /* the batch's own structures */
		int64_t held = st->bytes + (st->dedup ? ex_dedup_bytes(st->dedup) : 0);
		if (held > st->limit) {
			tarn_batch_free(tb);
			char lim[32];
			fmt_size(lim, sizeof lim, st->limit);
			rc = fail(b, st->cte->name.loc, TARN_ELIMIT,
				  "recursive CTE %s: memory limit of %s exceeded after %lld iterations "
				  "(%lld rows held); the recursion may not end (check the WHERE of its "
				  "recursive part), or raise --memory-limit",
				  st->cte->name.s, lim, (long long)st->iters, (long long)st->rows);
			break;
		}
		if (st->n_all == st->cap_all) {
			int cap = st->cap_all ? st->cap_all * 2 : 16;
			struct tarn_batch **na = tarn_realloc(st->all, (size_t)cap * sizeof *na);
			if (!na) {
				tarn_batch_free(tb);
				rc = nomem(b);
				break;
			}
			st->all = na;
			st->cap_all = cap;
		}
		st->all[st->n_all++] = tb;
		(*kept)[(*n_kept)++] = tb;
	}
	for (; i < n; i++)
		tarn_batch_free(v[i]);
	tarn_free(v);
	return rc;
}

/* A recursion also stops after this many iterations: a step that adds one
 * row each time would otherwise take hours to fill the memory limit (the
 * CLI's default is 80% of the machine's memory). */
#define REC_MAX_ITERS 1000000

static int64_t default_rec_limit(void)
{
	return tarn_physical_memory() / 2;
}

/* Rounds that add a few rows each leave many small batches: they are
 * concatenated into batches of up to EX_BATCH_MAX rows (fewer, larger
 * morsels for the plan that reads the CTE). */
static tarn_rc coalesce_batches(struct binder *b, struct tarn_schema *s, struct tarn_batch ***v,
				int *n)
{
	int64_t rows = 0;
	for (int i = 0; i < *n; i++)
		rows += (*v)[i]->n_rows;
	int want = (int)((rows + EX_BATCH_MAX - 1) / EX_BATCH_MAX);
	if (*n <= want + 1)
		return TARN_OK;
	struct tarn_batch **out = tarn_calloc((size_t)want + 1, sizeof *out);
	if (!out)
		return nomem(b);
	int k = 0, i = 0;
	tarn_rc rc = TARN_OK;
	while (!rc && i < *n) {
		int64_t take = 0;
		int j = i;
		while (j < *n && take + (*v)[j]->n_rows <= EX_BATCH_MAX)
			take += (*v)[j++]->n_rows;
		struct tarn_batch *d = NULL;
		rc = tarn_batch_new(s, take, &d);
		for (int x = i; !rc && x < j; x++)
			for (int c = 0; !rc && c < d->n_cols; c++)
				rc = ex_array_gather(d->cols[c], (*v)[x]->cols[c], NULL, 0,
						     (*v)[x]->n_rows);
		if (!rc)
			rc = tarn_batch_seal(d, NULL);
		if (rc) {
			tarn_batch_free(d);
			break;
		}
		out[k++] = d;
		i = j;
	}
	if (rc) {
		batches_free(out, k);
		return nomem(b);
	}
	batches_free(*v, *n);
	*v = out;
	*n = k;
	return TARN_OK;
}

/* Binds reference t to recursive CTE cte (defined in frame f). */
static tarn_rc bind_recursive_cte(struct binder *b, const struct sql_tref *t, struct cte_frame *f,
				  const struct sql_cte *cte, struct rel *out)
{
	const struct sql_query *q = cte->query;
	const char *name = cte->name.s;
	if (q->n_order || q->limit || q->offset)
		return fail(b, q->loc, TARN_EUNSUPPORTED,
			    "ORDER BY / LIMIT on a recursive CTE's UNION is not supported yet");
	int idx = (int)(cte - f->with->ctes);
	struct cte_frame *saved = b->ctes;
	/* the anchor: every branch but the last, without c in scope */
	struct sql_query anchor_q;
	const struct sql_query *anchor = q->args[0];
	if (q->n_args > 2) {
		anchor_q = *q;
		anchor_q.with = NULL;
		anchor_q.n_args = q->n_args - 1;
		anchor = &anchor_q;
	}
	struct cte_frame outer = { f->with, idx, f->up };
	struct cte_frame inner = { f->with, idx + 1, f->up };
	struct rel r = { 0 };
	b->ctes = &outer;
	tarn_rc rc = bind_query_rel(b, anchor, &r);
	b->ctes = saved;
	TRY(rc);
	if (cte->n_cols > r.n) {
		int n = r.n;
		rel_clear(&r);
		return fail(b, cte->name.loc, TARN_EUSAGE, "%d column names for %d columns",
			    cte->n_cols, n);
	}
	struct rec_state st = { .b = b, .cte = cte };
	st.limit = b->xo && b->xo->mem_limit > 0 ? b->xo->mem_limit : default_rec_limit();
	/* the working table's schema: the anchor's types, the CTE's names */
	{
		const char **names = tarn_calloc((size_t)r.n + 1, sizeof *names);
		const struct tarn_type **types = tarn_calloc((size_t)r.n + 1, sizeof *types);
		struct tarn_type *fixed = tarn_calloc((size_t)r.n + 1, sizeof *fixed);
		rc = names && types && fixed ? TARN_OK : nomem(b);
		for (int i = 0; !rc && i < r.n; i++) {
			names[i] = i < cte->n_cols ? cte->cols[i].s : r.cols[i].name;
			/* an untyped NULL column of the anchor becomes INTEGER */
			if (r.cols[i].type->id == TARN_T_NULL)
				tarn_type_init(&fixed[i], TARN_T_INT32);
			else
				rc = tarn_type_copy(&fixed[i], r.cols[i].type) ? nomem(b) : TARN_OK;
			types[i] = &fixed[i];
		}
		if (!rc)
			rc = cast_rel(b, &r, fixed);
		if (!rc)
			rc = ex_schema_make(r.n, names, types, &st.s) ? nomem(b) : TARN_OK;
		for (int i = 0; fixed && i < r.n; i++)
			tarn_type_clear(&fixed[i]);
		tarn_free(fixed);
		tarn_free(names);
		tarn_free(types);
	}
	int nc = r.n;
	if (!rc && !q->all) {
		for (int i = 0; !rc && i < nc; i++)
			if (!ex_type_is_scalar(st.s->fields[i].type.id))
				rc = fail(b, q->loc, TARN_EUNSUPPORTED,
					  "UNION over column %d (%s) of a nested type is not supported "
					  "yet (UNION ALL is)",
					  i + 1, st.s->fields[i].name);
		st.sel = rc ? NULL : tarn_malloc(EX_BATCH_MAX * sizeof *st.sel);
		if (!rc && (!st.sel || ex_dedup_new(st.s, &st.dedup)))
			rc = nomem(b);
	}
	struct tarn_batch **v = NULL, **work = NULL;
	int n = 0, n_work = 0;
	if (!rc)
		rc = run_rel(b, &r, &v, &n);
	rel_clear(&r);
	if (!rc)
		rc = rec_keep(&st, v, n, &work, &n_work);
	struct rec_frame rf = { cte, st.s, NULL, 0, 0, b->rec };
	bool plain = false;
	while (!rc) {
		rf.work = work;
		rf.n_work = n_work;
		rf.refs = 0;
		b->rec = &rf;
		b->ctes = &inner;
		rc = bind_query_rel(b, q->args[q->n_args - 1], &r);
		b->ctes = saved;
		b->rec = rf.up;
		if (!rc && (rf.refs == 0 || n_work == 0)) {
			/* no self-reference: an ordinary CTE after all; or done */
			plain = rf.refs == 0;
			rel_clear(&r);
			break;
		}
		st.iters++;
		if (st.iters > REC_MAX_ITERS) {
			rc = fail(b, cte->name.loc, TARN_ELIMIT,
				  "recursive CTE %s: more than %d iterations; the recursion may not "
				  "end (check the WHERE of its recursive part)",
				  name, REC_MAX_ITERS);
			rel_clear(&r);
			break;
		}
		if (!rc && r.n != nc)
			rc = fail(b, q->args[q->n_args - 1]->loc, TARN_EUSAGE,
				  "recursive CTE %s: the recursive part has %d columns, the anchor %d",
				  name, r.n, nc);
		if (!rc) {
			struct tarn_type *types = tarn_calloc((size_t)nc + 1, sizeof *types);
			rc = types ? TARN_OK : nomem(b);
			for (int i = 0; !rc && i < nc; i++)
				rc = tarn_type_copy(&types[i], &st.s->fields[i].type) ? nomem(b)
										      : TARN_OK;
			if (!rc)
				rc = cast_rel(b, &r, types);
			for (int i = 0; types && i < nc; i++)
				tarn_type_clear(&types[i]);
			tarn_free(types);
		}
		tarn_free(work);
		work = NULL;
		n_work = 0;
		if (!rc)
			rc = run_rel(b, &r, &v, &n);
		rel_clear(&r);
		if (!rc)
			rc = rec_keep(&st, v, n, &work, &n_work);
	}
	tarn_free(work);
	ex_dedup_free(st.dedup);
	tarn_free(st.sel);
	if (!rc && !plain)
		rc = coalesce_batches(b, st.s, &st.all, &st.n_all);
	if (!rc && !plain) {
		struct ex_op *op;
		rc = ex_op_values(st.s, st.all, st.n_all, &op, b->err);
		st.n_all = 0;
		if (!rc)
			rc = rel_from_op(b, op, alias_or(&t->alias, name), (double)st.rows + 1, out);
	}
	batches_free(st.all, st.n_all);
	tarn_schema_unref(st.s);
	if (rc || !plain)
		return rc ? rc : apply_alias_cols(b, &t->alias, out);
	/* an ordinary CTE in a WITH RECURSIVE list */
	b->ctes = &outer;
	rc = bind_query_rel(b, q, out);
	b->ctes = saved;
	return rc;
}

static bool rec_is(const struct rec_frame *rf, const struct sql_cte *cte)
{
	return rf->cte == cte;
}

static struct rec_frame *rec_up(const struct rec_frame *rf)
{
	return rf->up;
}

/* A reference to the working table of an enclosing recursion. */
static tarn_rc rec_ref(struct binder *b, const struct sql_tref *t, struct rec_frame *rf,
		       struct rel *out)
{
	rf->refs++;
	TRY(values_rel(b, rf->schema, rf->work, rf->n_work, alias_or(&t->alias, rf->cte->name.s),
		       out));
	return apply_alias_cols(b, &t->alias, out);
}

static tarn_rc bind_query_rel(struct binder *b, const struct sql_query *q, struct rel *out)
{
	struct cte_frame frame, *saved = b->ctes;
	if (q->with) {
		frame = (struct cte_frame){ q->with, q->with->n, b->ctes };
		/* restored before returning */
		// cppcheck-suppress autoVariables
		b->ctes = &frame;
	}
	tarn_rc rc;
	switch (q->kind) {
	case SQL_QUERY_SELECT:
		rc = q->select->group_all ? bind_select_group_all(b, q, out) : bind_select(b, q, out);
		break;
	case SQL_QUERY_VALUES:
		rc = bind_values(b, q, out);
		if (!rc && (q->n_order || q->limit || q->offset)) {
			rc = apply_order_limit(b, q, out);
			if (rc)
				rel_clear(out);
		}
		break;
	default:
		rc = bind_setop(b, q, out);
	}
	b->ctes = saved;
	return rc;
}

tarn_rc sql_bind_query(const struct sql_query *q, const char *text, size_t len,
		       const struct ex_opts *xo, struct sql_env *env, struct ex_op **out,
		       struct tarn_err *err)
{
	*out = NULL;
	struct binder b = { .text = text, .len = len, .err = err, .xo = xo, .env = env };
	tarn_rc rc = collect_used(&b);
	/* Views' texts name columns too. */
	for (int i = 0; !rc && env && i < env->n_views; i++) {
		const char *st = b.text;
		size_t sl = b.len;
		b.text = env->views[i].text;
		b.len = env->views[i].len;
		rc = collect_used(&b);
		b.text = st;
		b.len = sl;
	}
	struct rel r = { 0 };
	if (!rc)
		rc = bind_query_rel(&b, q, &r);
	for (int i = 0; i < b.n_used; i++)
		tarn_free(b.used[i]);
	tarn_free(b.used);
	if (rc)
		return rc;
	*out = r.op;
	r.op = NULL;
	rel_clear(&r);
	return TARN_OK;
}
