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

struct binder {
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

/* Scope of op's output: names from its schema, all under alias `rel`. */
static tarn_rc rel_from_op(struct binder *b, struct ex_op *op, const char *alias, double est,
			   struct rel *out)
{
	memset(out, 0, sizeof *out);
	out->op = op;
	out->est = est;
	const struct tarn_schema *s = ex_op_schema(op);
	out->cols = tarn_calloc((size_t)s->n_fields + 1, sizeof *out->cols);
	if (!out->cols)
		return nomem(b);
	out->n = s->n_fields;
	for (int i = 0; i < s->n_fields; i++) {
		out->cols[i].type = &s->fields[i].type;
		out->cols[i].name = tarn_strdup(s->fields[i].name);
		out->cols[i].rel = alias ? tarn_strdup(alias) : NULL;
		if (!out->cols[i].name || (alias && !out->cols[i].rel))
			return nomem(b);
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

static tarn_rc bind_expr(struct binder *b, const struct bctx *c, const struct sql_expr *e,
			 struct ex_expr **out)
{
	*out = NULL;
	for (int i = 0; i < c->n_subs; i++)
		if (c->subs[i] == e)
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
		return fail(b, e->loc, TARN_EUNSUPPORTED,
			    "EXISTS is supported only as a WHERE condition for now");
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
	tarn_rc rc = ex_op_hash_join(kind, po, bo, pk, bk, nk, residual, &op, b->err);
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
	struct ex_expr *pred = NULL;
	if (!rc)
		rc = n == 1 ? (pred = a[0], TARN_OK) : ex_expr_and(a, n, &pred, b->err);
	else
		for (int i = 0; i < k - 1; i++)
			ex_expr_free(a[i]);
	tarn_free(a);
	TRY(rc);
	struct ex_op *op = NULL;
	TRY(ex_op_filter(r->op, pred, &op, b->err));
	r->op = op;
	rel_retarget(r);
	for (int i = 0; i < n; i++)
		r->est *= 0.3;
	return TARN_OK;
}

static tarn_rc bind_join(struct binder *b, const struct sql_tref *t, struct rel *out)
{
	if (t->join.asof)
		return fail(b, t->loc, TARN_EUNSUPPORTED, "ASOF JOIN is not supported yet");
	struct rel l, r;
	TRY(bind_tref(b, t->join.left, &l));
	tarn_rc rc = bind_tref(b, t->join.right, &r);
	if (rc) {
		rel_clear(&l);
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
				nk++;
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
		nk++;
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
	if (!rc && nk == 0)
		rc = fail(b, t->loc, TARN_EUNSUPPORTED,
			  "joins without an equality between the two sides (cross joins) are not "
			  "supported yet");
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
		ex_expr_free(residual);
		rel_clear(&l);
		rel_clear(&r);
		return rc;
	}
	tarn_free(res);
	tarn_free(res_idx);
	rc = join_rels(b, kind, &l, &r, pk, bk, nk, residual, out);
	tarn_free(pk);
	tarn_free(bk);
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
static tarn_rc agg_spec(struct binder *b, const struct bctx *c, const struct sql_expr *e,
			struct ex_agg_spec *out);
static tarn_rc apply_scalar_subs(struct binder *b, struct rel *cur,
				 const struct sql_expr *const *conds, int n,
				 struct bctx *c);

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
			rc = fail(b, sel->from[0]->loc, TARN_EUNSUPPORTED,
				  "tables in FROM must be joined by equality conditions (cross joins "
				  "are not supported yet)");
			break;
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
			if (!rc)
				rc = ex_op_filter(cur.op, pred, &op, b->err);
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
	bool neg = false;
	if (e->kind == SQL_EXPR_UNARY) {
		neg = true;
		e = e->unary.arg;
	}
	const struct sql_query *q = e->kind == SQL_EXPR_EXISTS ? e->sub.query : e->in.query;
	neg ^= e->kind == SQL_EXPR_IN && e->in.not;
	if (q->kind != SQL_QUERY_SELECT || q->with)
		return fail(b, e->loc, TARN_EUNSUPPORTED,
			    "only a plain SELECT is supported in EXISTS/IN subqueries for now");
	struct rel inner;
	struct corr corr = { 0 };
	struct bctx subs = { 0 };
	tarn_rc rc = bind_from_where(b, q->select, cur, &inner, &corr, &subs);
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
			return fail(b, e->loc, TARN_EUNSUPPORTED,
				    "correlated IN subqueries are not supported yet");
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
		 * instead and mark its rows from the subquery's (right semi/anti) */
		swap = cur->est < inner.est;
		rc = corr_keys(b, cur, &inner, &corr, &pk, &bk, &nk, &residual, swap);
		if (!rc && nk == 0)
			rc = fail(b, e->loc, TARN_EUNSUPPORTED,
				  "EXISTS needs an equality with the outer query for now");
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

/* Correlated scalar subqueries in conditions: SELECT agg(...) FROM ...
 * WHERE inner.k = outer.k ... becomes an aggregate grouped by the inner
 * keys, joined to cur on the outer keys; c->subs maps the subquery node to
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
		if (!rc && (residual || nk == 0))
			rc = fail(b, e->loc, TARN_EUNSUPPORTED,
				  "correlated scalar subqueries are supported with equality "
				  "correlation only, for now");
		struct agg_list al = { b, 0, 0, NULL, NULL };
		if (!rc)
			rc = walk(q->select->items[0].expr, visit_agg, &al);
		if (!rc && al.n == 0)
			rc = fail(b, e->loc, TARN_EUNSUPPORTED,
				  "a correlated scalar subquery must aggregate (e.g. min(x)) for now");
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
		/* The select expression over the aggregate's output, then project
		 * [keys..., value]. */
		if (!rc) {
			/* The aggregate's columns are the nk keys, then the aggregates:
			 * match texts against all of them, keys never matching. */
			struct bctx ca = { .r = &ar, .agg_mode = true, .clause = "SELECT" };
			struct ex_expr *val = NULL;
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
			struct ex_expr **pe = NULL;
			if (!rc) {
				pe = tarn_calloc((size_t)nk + 2, sizeof *pe);
				rc = pe ? TARN_OK : nomem(b);
			}
			for (int k = 0; !rc && k < nk; k++)
				rc = ex_expr_column(k, ar.cols[k].type, NULL, &pe[k]);
			if (!rc) {
				pe[nk] = val;
				val = NULL;
				struct ex_op *proj;
				struct ex_op *aop = ar.op;
				ar.op = NULL;
				rc = ex_op_project(aop, pe, NULL, nk + 1, &proj, b->err);
				tarn_free(pe); /* the expressions are the operator's now */
				pe = NULL;
				rel_clear(&ar);
				if (!rc)
					rc = rel_from_op(b, proj, "__sub", 1, &ar);
			}
			ex_expr_free(val);
			tarn_free(pe);
		}
		agg_list_free(&al);
		for (int k = 0; key_text && k < nk; k++)
			tarn_free(key_text[k]);
		tarn_free(key_text);
		/* Join: cur (probe) with the grouped values (build) on the keys. */
		struct ex_expr **bk2 = NULL;
		if (!rc) {
			bk2 = tarn_calloc((size_t)nk + 1, sizeof *bk2);
			rc = bk2 ? TARN_OK : nomem(b);
			for (int k = 0; !rc && k < nk; k++)
				rc = ex_expr_column(k, ar.cols[k].type, NULL, &bk2[k]);
		}
		int value_col = cur->n + nk;
		if (!rc) {
			struct rel nr = { 0 };
			rc = join_rels(b, EX_JOIN_INNER, cur, &ar, pk, bk2, nk, NULL, &nr);
			tarn_free(pk);
			tarn_free(bk2);
			pk = bk2 = NULL;
			if (!rc)
				*cur = nr;
		} else {
			free_keys(pk, bk2, nk);
			rel_clear(&ar);
		}
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
		double est = cur.est;
		rel_clear(&cur);
		if (!rc)
			rc = rel_from_op(b, agg, NULL, est * 0.1, &cur);
		c.agg_mode = true;
		c.n_keys = nk;
		c.key_text = key_text;
		c.n_aggs = al.n;
		c.agg_text = al.text;
		if (!rc && sel->having) {
			const struct sql_expr *h = sel->having;
			c.clause = "HAVING";
			struct ex_expr *pred;
			rc = bind_expr(b, &c, h, &pred);
			struct ex_op *op;
			if (!rc)
				rc = ex_op_filter(cur.op, pred, &op, b->err);
			if (!rc) {
				cur.op = op;
				rel_retarget(&cur);
			}
			c.clause = "SELECT";
		}
	}

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
