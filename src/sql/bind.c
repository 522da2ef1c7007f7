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
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/mem.h"
#include "columnar/text.h"
#include "columnar/type.h"
#include "formats/format.h"
#include "sql/bind.h"
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
	/* Correlated scalar subqueries already joined in: node → column. */
	int n_subs;
	const struct sql_expr **subs;
	int *sub_col;
	const char *clause; /* "WHERE", "SELECT", ... for messages */
};

static tarn_rc bind_query_rel(struct binder *b, const struct sql_query *q, struct rel *out);
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
			    (wl == 6 && strncasecmp(w, "select", 6) == 0) ||
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
};

/* Aggregates the executor does not have yet, so the error says so. */
static const char *const agg_later[] = {
	"median", "quantile", "quantile_cont", "quantile_disc", "percentile_cont",
	"percentile_disc", "mode", "approx_count_distinct", "string_agg", "group_concat",
	"listagg", "list", "array_agg", "corr", "covar_samp", "covar_pop", "first", "last",
	"any_value", "product", "entropy", "kurtosis", "skewness", "regr_slope",
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
		if (op == SQL_OP_SUB)
			m = -m, d = -d, us = -us;
		return ex_expr_date_add(x, m, d, us, out, b->err);
	}
	if (op == SQL_OP_ADD && e->binary.l->kind == SQL_EXPR_INTERVAL) {
		int32_t m, d;
		int64_t us;
		TRY(interval_parts(b, e->binary.l, &m, &d, &us));
		struct ex_expr *x;
		TRY(bind_expr(b, c, e->binary.r, &x));
		return ex_expr_date_add(x, m, d, us, out, b->err);
	}
	struct ex_expr *l, *r;
	TRY(bind_expr(b, c, e->binary.l, &l));
	tarn_rc rc = bind_expr(b, c, e->binary.r, &r);
	if (rc) {
		ex_expr_free(l);
		return rc;
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
		ex_expr_free(l);
		ex_expr_free(r);
		return fail(b, e->loc, TARN_EUNSUPPORTED, "the operator %s is not supported yet",
			    sql_op_text(op));
	}
}

static tarn_rc bind_func(struct binder *b, const struct bctx *c, const struct sql_expr *e,
			 struct ex_expr **out)
{
	const struct sql_func *f = &e->func;
	const char *name = func_name(e);
	if (f->over)
		return fail(b, e->loc, TARN_EUNSUPPORTED, "window functions are not supported yet");
	if (agg_index(e) >= 0)
		return fail(b, e->loc, TARN_EUSAGE, "the aggregate %s() is not allowed in %s", name,
			    c->clause ? c->clause : "this place");
	if (f->star || f->distinct || f->n_order || f->filter || f->n_within)
		return fail(b, e->loc, TARN_EUSAGE, "%s() is not an aggregate", name);
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
	if (!ex_func_find(name) && !name_eq(name, "coalesce") && !name_eq(name, "nullif")) {
		for (int i = 0; i < f->n_args; i++)
			ex_expr_free(args[i]);
		tarn_free(args);
		return fail(b, e->loc, TARN_ENOTFOUND, "unknown function %s()", name);
	}
	struct tarn_err sub;
	tarn_err_clear(&sub);
	rc = ex_expr_func(name, args, f->n_args, out, &sub);
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
			ex_expr_free(x);
			return fail(b, e->loc, TARN_EUNSUPPORTED, "the operator %s is not supported yet",
				    sql_op_text(e->unary.op));
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
		rc = ex_expr_in(x, list, e->in.n, e->in.not, out, b->err);
		tarn_free(list);
		return rc;
	}
	case SQL_EXPR_LIKE: {
		if (e->like.kind != SQL_LIKE && e->like.kind != SQL_ILIKE)
			return fail(b, e->loc, TARN_EUNSUPPORTED,
				    "SIMILAR TO and GLOB are not supported yet");
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
		return ex_expr_like(x, p, esc, e->like.kind == SQL_ILIKE, e->like.not, out, b->err);
	}
	case SQL_EXPR_CAST: {
		struct tarn_type t;
		TRY(sql_type_to_tarn(e->cast.type, b->text, b->len, &t, b->err));
		struct ex_expr *x;
		tarn_rc rc = bind_expr(b, c, e->cast.arg, &x);
		if (!rc)
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
		return fail(b, e->loc, TARN_EUNSUPPORTED,
			    "intervals are supported only added to or subtracted from dates and "
			    "timestamps");
	case SQL_EXPR_STAR:
		return fail(b, e->loc, TARN_EUSAGE, "* is not allowed here");
	case SQL_EXPR_PARAM:
		return fail(b, e->loc, TARN_EUSAGE, "parameters ($n, ?) need a prepared statement");
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
		if (find_col(&r->rels[i], &e->name, &why) >= 0) {
			r->mask |= (uint64_t)1 << i;
			hits++;
		} else if (why) {
			hits += 2;
		}
	}
	if (hits == 0 && r->outer) {
		const char *why;
		if (find_col(r->outer, &e->name, &why) >= 0) {
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

/* read_csv('path', key=value, ...) and friends. */
static tarn_rc func_rel(struct binder *b, const struct sql_tref *t, struct rel *out)
{
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
	if (k < 0)
		return fail(b, t->loc, TARN_EUNSUPPORTED, "unknown table function %s()", fn);
	if (t->func.n_args < 1 || t->func.args[0].name.s ||
	    t->func.args[0].value->kind != SQL_EXPR_LITERAL ||
	    t->func.args[0].value->lit.kind != SQL_LIT_STRING)
		return fail(b, t->loc, TARN_EUSAGE, "%s() needs a file path (a string) first", fn);
	const char *path = t->func.args[0].value->lit.text;
	const char *format = fns[k].format;
	if (!format && !tarn_dataset_path(path) && !tarn_format_for_path(path))
		format = "json";
	struct tarn_opts *o;
	if (tarn_opts_new(&o))
		return nomem(b);
	tarn_rc rc = TARN_OK;
	char buf[2048];
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
	if (!rc)
		rc = scan_rel(b, path, format, o, alias_or(&t->alias, fn), t->loc, out);
	tarn_opts_free(o);
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

static tarn_rc table_rel(struct binder *b, const struct sql_tref *t, struct rel *out)
{
	const struct sql_qname *qn = &t->table;
	const char *name = qn->parts[qn->n - 1].s;
	struct cte_frame *f;
	const struct sql_cte *cte = qn->n == 1 ? find_cte(b, name, &f) : NULL;
	if (cte) {
		if (f->with->recursive)
			return fail(b, t->loc, TARN_EUNSUPPORTED,
				    "WITH RECURSIVE is not supported yet");
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
	for (int i = 0; b->env && i < b->env->n_tables; i++) {
		const struct sql_table *tb = &b->env->tables[i];
		if (!name_eq(tb->name, name))
			continue;
		struct tarn_batch **copies = tarn_calloc((size_t)tb->n + 1, sizeof *copies);
		if (!copies)
			return nomem(b);
		tarn_rc rc = TARN_OK;
		int k = 0;
		for (; !rc && k < tb->n; k++)
			rc = sql_batch_copy(tb->batches[k], &copies[k]);
		if (rc) {
			for (int j = 0; j < k; j++)
				tarn_batch_free(copies[j]);
			tarn_free(copies);
			return nomem(b);
		}
		struct ex_op *op;
		rc = ex_op_values(tb->schema, copies, tb->n, &op, b->err);
		tarn_free(copies);
		TRY(rc);
		int64_t rows = 0;
		for (int j = 0; j < tb->n; j++)
			rows += tb->batches[j]->n_rows;
		TRY(rel_from_op(b, op, alias_or(&t->alias, name), (double)rows * 100, out));
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
		for (int j = 0; j < out->n; j++) {
			tarn_free(out->cols[j].rel);
			out->cols[j].rel = tarn_strdup(alias_or(&t->alias, name));
			if (!out->cols[j].rel)
				return nomem(b);
		}
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
	return fail(b, t->loc, TARN_ENOTFOUND,
		    "unknown table '%s': no CTE, view, or file %s.<ext> in the search path (%s); "
		    "name a file in quotes: FROM 'data/%s.parquet'",
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

static tarn_rc bind_tref(struct binder *b, const struct sql_tref *t, struct rel *out)
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
	int bound = 0;
	for (; !rc && bound < n; bound++)
		rc = bind_tref(b, sel->from[bound], &rels[bound]);
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
		tarn_free(mine);
	}
	/* Joins: from the largest table outwards, each next table the
	 * smallest one connected by an equality, hashed as the build side.
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
	if (!rc) {
		int first = 0;
		for (int t = 1; t < n; t++)
			if (rels[t].est > rels[first].est)
				first = t;
		cur = rels[first];
		memset(&rels[first], 0, sizeof rels[first]);
		joined = (uint64_t)1 << first;
	}
	while (!rc && joined != (((uint64_t)1 << n) - 1)) {
		int next = -1;
		for (int t = 0; t < n; t++) {
			uint64_t tb = (uint64_t)1 << t;
			if (joined & tb)
				continue;
			bool edge = false;
			for (int i = 0; i < ncj && !edge; i++) {
				const struct sql_expr *ej, *en;
				edge = cj[i] && lm[i] && rm[i] &&
				       split_eq(cj[i], lm[i], rm[i], joined, tb, &ej, &en);
			}
			if (edge && (next < 0 || rels[t].est < rels[next].est))
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
		uint64_t nb = (uint64_t)1 << next;
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
			 int *nk, struct ex_expr **residual)
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
		rc = corr_keys(b, cur, &inner, &corr, &pk, &bk, &nk, &residual);
		kind = neg ? EX_JOIN_ANTI : EX_JOIN_SEMI; /* no equality: nested loop */
	}
	tarn_free(corr.v);
	if (rc) {
		free_keys(pk, bk, nk);
		ex_expr_free(residual);
		rel_clear(&inner);
		return rc;
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
		rc = corr_keys(b, cur, &inner, &corr, &pk, &bk, &nk, &residual);
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
		if (!rc) {
			const struct sql_expr **ns = tarn_realloc(c->subs, (size_t)(c->n_subs + 1) * sizeof *ns);
			int *nc = ns ? tarn_realloc(c->sub_col, (size_t)(c->n_subs + 1) * sizeof *nc) : NULL;
			if (ns)
				c->subs = ns;
			if (!nc) {
				rc = nomem(b);
			} else {
				c->sub_col = nc;
				c->subs[c->n_subs] = e;
				c->sub_col[c->n_subs++] = value_col;
			}
		}
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
	const struct sql_expr **ns = tarn_realloc(c->subs, (size_t)(c->n_subs + 1) * sizeof *ns);
	if (ns)
		c->subs = ns;
	int *nsc = ns ? tarn_realloc(c->sub_col, (size_t)(c->n_subs + 1) * sizeof *nsc) : NULL;
	if (!nsc)
		return nomem(b);
	c->sub_col = nsc;
	c->subs[c->n_subs] = e;
	c->sub_col[c->n_subs++] = cur->n - 1;
	return TARN_OK;
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
	const struct sql_expr **ns = tarn_realloc(c->subs, (size_t)(c->n_subs + 1) * sizeof *ns);
	if (ns)
		c->subs = ns;
	int *nsc = ns ? tarn_realloc(c->sub_col, (size_t)(c->n_subs + 1) * sizeof *nsc) : NULL;
	if (!nsc)
		return nomem(b);
	c->sub_col = nsc;
	c->subs[c->n_subs] = e;
	c->sub_col[c->n_subs++] = col;
	return TARN_OK;
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

static tarn_rc agg_spec(struct binder *b, const struct bctx *c, const struct sql_expr *e,
			struct ex_agg_spec *out)
{
	memset(out, 0, sizeof *out);
	int k = agg_index(e);
	const struct sql_func *f = &e->func;
	enum ex_agg_fn fn = agg_names[k].fn;
	int want = fn == EX_AGG_ARG_MIN || fn == EX_AGG_ARG_MAX ? 2 : 1;
	if (fn == EX_AGG_COUNT && (f->star || f->n_args == 0)) {
		fn = EX_AGG_COUNT_STAR;
		want = 0;
	}
	if (f->n_args != want)
		return fail(b, e->loc, TARN_EUSAGE, "%s() takes %d argument%s", func_name(e), want,
			    want == 1 ? "" : "s");
	if (f->n_order || f->n_within)
		return fail(b, e->loc, TARN_EUNSUPPORTED, "ORDER BY inside %s() is not supported yet",
			    func_name(e));
	out->fn = fn;
	out->distinct = f->distinct;
	struct bctx ci = *c;
	ci.agg_mode = false;
	ci.clause = "an aggregate's argument";
	if (want >= 1)
		TRY(bind_expr(b, &ci, f->args[0].value, &out->arg));
	if (want == 2 && bind_expr(b, &ci, f->args[1].value, &out->val)) {
		ex_expr_free(out->arg);
		return TARN_EUSAGE;
	}
	if (f->filter && bind_expr(b, &ci, f->filter, &out->filter)) {
		ex_expr_free(out->arg);
		ex_expr_free(out->val);
		return TARN_EUSAGE;
	}
	return TARN_OK;
}

static bool is_star(const struct sql_expr *e)
{
	return e->kind == SQL_EXPR_STAR;
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
	if (st->n_replace)
		return fail(b, e->loc, TARN_EUNSUPPORTED, "* REPLACE is not supported yet");
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
	return TARN_OK;
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

static tarn_rc bind_select(struct binder *b, const struct sql_query *q, struct rel *out)
{
	const struct sql_select *sel = q->select;
	if (sel->n_windows || sel->qualify)
		return fail(b, q->loc, TARN_EUNSUPPORTED, "window functions are not supported yet");
	if (sel->distinct == SQL_DISTINCT_ON)
		return fail(b, q->loc, TARN_EUNSUPPORTED, "DISTINCT ON is not supported yet");
	struct rel cur;
	struct bctx subs = { 0 };
	TRY(bind_from_where(b, sel, NULL, &cur, NULL, &subs));
	tarn_free(subs.subs);
	tarn_free(subs.sub_col);

	/* Aggregates in SELECT, HAVING, ORDER BY. */
	struct agg_list al = { b, 0, 0, NULL, NULL };
	tarn_rc rc = TARN_OK;
	for (int i = 0; !rc && i < sel->n_items; i++)
		if (!is_star(sel->items[i].expr))
			rc = walk(sel->items[i].expr, visit_agg, &al);
	if (!rc)
		rc = walk(sel->having, visit_agg, &al);
	for (int i = 0; !rc && i < q->n_order; i++)
		rc = walk(q->order[i].expr, visit_agg, &al);
	bool grouped = sel->n_group || sel->group_all || al.n || sel->having;
	char **key_text = NULL;
	int nk = 0;
	struct bctx c = { .r = &cur, .clause = "SELECT" };
	if (!rc && grouped) {
		if (sel->group_all)
			rc = fail(b, q->loc, TARN_EUNSUPPORTED, "GROUP BY ALL is not supported yet");
		for (int i = 0; !rc && i < sel->n_group; i++)
			if (sel->group[i].kind != SQL_GROUP_EXPR)
				rc = fail(b, sel->group[i].loc, TARN_EUNSUPPORTED,
					  "ROLLUP, CUBE and GROUPING SETS are not supported yet");
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
	/* SELECT list, plus hidden sort columns for ORDER BY expressions. */
	struct proj p = { 0 };
	for (int i = 0; !rc && i < sel->n_items; i++) {
		const struct sql_select_item *it = &sel->items[i];
		if (is_star(it->expr)) {
			rc = expand_star(b, &c, it->expr, &p);
			continue;
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
	agg_list_free(&al);
	for (int i = 0; key_text && i < nk; i++)
		tarn_free(key_text[i]);
	tarn_free(key_text);
	if (!rc)
		rc = rel_from_op(b, op, NULL, est, &cur);
	else
		ex_op_free(op);

	if (!rc && sel->distinct == SQL_DISTINCT_ALL) {
		if (visible != cur.n)
			rc = fail(b, q->loc, TARN_EUNSUPPORTED,
				  "SELECT DISTINCT with ORDER BY expressions outside the select list is "
				  "not supported");
		struct ex_expr **keys = rc ? NULL : tarn_calloc((size_t)cur.n + 1, sizeof *keys);
		const char **names = rc ? NULL : tarn_calloc((size_t)cur.n + 1, sizeof *names);
		if (!rc && (!keys || !names))
			rc = nomem(b);
		for (int i = 0; !rc && i < cur.n; i++) {
			rc = ex_expr_column(i, cur.cols[i].type, cur.cols[i].name, &keys[i]);
			names[i] = cur.cols[i].name;
		}
		struct ex_op *agg = NULL;
		if (!rc) {
			rc = ex_op_agg(cur.op, keys, names, cur.n, NULL, 0, &agg, b->err);
			cur.op = NULL;
		}
		tarn_free(keys);
		tarn_free(names);
		struct rel nr = { 0 };
		if (!rc)
			rc = rel_from_op(b, agg, NULL, cur.est, &nr);
		rel_clear(&cur);
		if (!rc)
			cur = nr;
	}
	/* ORDER BY / LIMIT / OFFSET. */
	int64_t limit = -1, offset = 0;
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
			*(w ? &offset : &limit) = tarn_array_get_int(x->value, 0);
		ex_expr_free(x);
	}
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
		rc = bind_select(b, q, out);
		break;
	case SQL_QUERY_VALUES:
		rc = bind_values(b, q, out);
		break;
	default:
		rc = fail(b, q->loc, TARN_EUNSUPPORTED,
			  "UNION, INTERSECT and EXCEPT are not supported yet");
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
