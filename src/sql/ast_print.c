/*
 * ast_print.c — prints a syntax tree back as normalized SQL (ast.h): upper
 * case keywords, every operator application in parentheses, set-operation
 * operands in parentheses, AS before every alias, typed literals as CAST.
 * The form is chosen so that parsing it again gives a tree that prints the
 * same, which the tests and the fuzz target check.
 *
 * Relies on lex.h for the keyword table (an identifier that is a keyword is
 * quoted). Output goes to a struct tarn_buf; the first append failure is kept
 * and returned. Thread-safety: reads the tree only.
 */
#include <stdio.h>
#include <string.h>

#include "sql/ast.h"
#include "sql/lex.h"

struct pr {
	struct tarn_buf *b;
	tarn_rc rc;
};

static void putn(struct pr *w, const char *s, size_t n)
{
	if (w->rc == TARN_OK)
		w->rc = tarn_buf_append(w->b, s, n);
}

static void put(struct pr *w, const char *s)
{
	putn(w, s, strlen(s));
}

static void expr(struct pr *w, const struct sql_expr *e);
static void query(struct pr *w, const struct sql_query *q);
static void type(struct pr *w, const struct sql_type *t);

/* ---- names and literals ------------------------------------------------------------ */

static bool plain_word(const char *s, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80;
		bool digit = (c >= '0' && c <= '9') || c == '$';
		if (!letter && !(digit && i > 0))
			return false;
	}
	return true;
}

static void quoted(struct pr *w, const char *s, size_t n, char q)
{
	putn(w, &q, 1);
	size_t start = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == q) {
			putn(w, s + start, i + 1 - start);
			putn(w, &q, 1);
			start = i + 1;
		}
	}
	putn(w, s + start, n - start);
	putn(w, &q, 1);
}

static void name(struct pr *w, const struct sql_name *n)
{
	if (!n->quoted && plain_word(n->s, n->len) && sql_keyword_find(n->s, n->len) == KW_NONE)
		putn(w, n->s, n->len);
	else
		quoted(w, n->s, n->len, '"');
}

/* A name in a position where the parser takes any non-reserved word (table
 * and function names in FROM, aliases, column lists): unreserved keywords
 * need no quotes there. */
static void colid(struct pr *w, const struct sql_name *n)
{
	enum sql_kw kw = sql_keyword_find(n->s, n->len);
	if (!n->quoted && plain_word(n->s, n->len) &&
	    (kw == KW_NONE || sql_keyword_category(kw) == SQL_KW_UNRESERVED))
		putn(w, n->s, n->len);
	else
		quoted(w, n->s, n->len, '"');
}

tarn_rc sql_print_name(const struct sql_name *n, struct tarn_buf *out)
{
	struct pr w = {out, TARN_OK};
	name(&w, n);
	return w.rc;
}

static void qname(struct pr *w, const struct sql_qname *q)
{
	for (int i = 0; i < q->n; i++) {
		if (i)
			put(w, ".");
		name(w, &q->parts[i]);
	}
}

static void colid_path(struct pr *w, const struct sql_qname *q)
{
	for (int i = 0; i < q->n; i++) {
		if (i)
			put(w, ".");
		colid(w, &q->parts[i]);
	}
}

static void names(struct pr *w, const struct sql_name *n, int count)
{
	put(w, "(");
	for (int i = 0; i < count; i++) {
		if (i)
			put(w, ", ");
		colid(w, &n[i]);
	}
	put(w, ")");
}

static void string_lit(struct pr *w, const char *s, size_t n)
{
	quoted(w, s, n, '\'');
}

static void literal(struct pr *w, const struct sql_lit *l)
{
	switch (l->kind) {
	case SQL_LIT_NULL: put(w, "NULL"); break;
	case SQL_LIT_BOOL: put(w, l->b ? "TRUE" : "FALSE"); break;
	case SQL_LIT_INTEGER:
	case SQL_LIT_DECIMAL:
	case SQL_LIT_FLOAT: putn(w, l->text, l->len); break;
	case SQL_LIT_STRING: string_lit(w, l->text, l->len); break;
	}
}

/* ---- enums ------------------------------------------------------------------------- */

const char *sql_op_text(enum sql_op op)
{
	switch (op) {
	case SQL_OP_NEG: return "-";
	case SQL_OP_PLUS: return "+";
	case SQL_OP_NOT: return "NOT";
	case SQL_OP_BIT_NOT: return "~";
	case SQL_OP_ADD: return "+";
	case SQL_OP_SUB: return "-";
	case SQL_OP_MUL: return "*";
	case SQL_OP_DIV: return "/";
	case SQL_OP_INT_DIV: return "//";
	case SQL_OP_MOD: return "%";
	case SQL_OP_POW: return "^";
	case SQL_OP_EQ: return "=";
	case SQL_OP_NE: return "<>";
	case SQL_OP_LT: return "<";
	case SQL_OP_LE: return "<=";
	case SQL_OP_GT: return ">";
	case SQL_OP_GE: return ">=";
	case SQL_OP_IS_DISTINCT: return "IS DISTINCT FROM";
	case SQL_OP_IS_NOT_DISTINCT: return "IS NOT DISTINCT FROM";
	case SQL_OP_CONCAT: return "||";
	case SQL_OP_BIT_AND: return "&";
	case SQL_OP_BIT_OR: return "|";
	case SQL_OP_BIT_XOR: return "#";
	case SQL_OP_SHL: return "<<";
	case SQL_OP_SHR: return ">>";
	case SQL_OP_REGEX: return "~";
	case SQL_OP_IREGEX: return "~*";
	case SQL_OP_NOT_REGEX: return "!~";
	case SQL_OP_NOT_IREGEX: return "!~*";
	case SQL_OP_AT_TIME_ZONE: return "AT TIME ZONE";
	}
	return "?";
}

const char *sql_interval_unit_text(enum sql_interval_unit u)
{
	switch (u) {
	case SQL_IV_NONE: return "";
	case SQL_IV_YEAR: return "YEAR";
	case SQL_IV_QUARTER: return "QUARTER";
	case SQL_IV_MONTH: return "MONTH";
	case SQL_IV_WEEK: return "WEEK";
	case SQL_IV_DAY: return "DAY";
	case SQL_IV_HOUR: return "HOUR";
	case SQL_IV_MINUTE: return "MINUTE";
	case SQL_IV_SECOND: return "SECOND";
	case SQL_IV_MILLISECOND: return "MILLISECOND";
	case SQL_IV_MICROSECOND: return "MICROSECOND";
	case SQL_IV_DECADE: return "DECADE";
	case SQL_IV_CENTURY: return "CENTURY";
	case SQL_IV_MILLENNIUM: return "MILLENNIUM";
	}
	return "";
}

/* ---- types ------------------------------------------------------------------------- */

static const char *base_type_name(const struct sql_type *t)
{
	switch (t->id) {
	case SQL_TYPE_BOOLEAN: return "BOOLEAN";
	case SQL_TYPE_TINYINT: return "TINYINT";
	case SQL_TYPE_SMALLINT: return "SMALLINT";
	case SQL_TYPE_INTEGER: return "INTEGER";
	case SQL_TYPE_BIGINT: return "BIGINT";
	case SQL_TYPE_HUGEINT: return "HUGEINT";
	case SQL_TYPE_UTINYINT: return "UTINYINT";
	case SQL_TYPE_USMALLINT: return "USMALLINT";
	case SQL_TYPE_UINTEGER: return "UINTEGER";
	case SQL_TYPE_UBIGINT: return "UBIGINT";
	case SQL_TYPE_UHUGEINT: return "UHUGEINT";
	case SQL_TYPE_FLOAT: return "FLOAT";
	case SQL_TYPE_DOUBLE: return "DOUBLE";
	case SQL_TYPE_DECIMAL: return "DECIMAL";
	case SQL_TYPE_VARCHAR: return "VARCHAR";
	case SQL_TYPE_BLOB: return "BLOB";
	case SQL_TYPE_DATE: return "DATE";
	case SQL_TYPE_TIME: return "TIME";
	case SQL_TYPE_TIMESTAMP:
		switch (t->ts_unit) {
		case SQL_TS_S: return "TIMESTAMP_S";
		case SQL_TS_MS: return "TIMESTAMP_MS";
		case SQL_TS_US: return "TIMESTAMP_US";
		case SQL_TS_NS: return "TIMESTAMP_NS";
		default: return "TIMESTAMP";
		}
	case SQL_TYPE_INTERVAL: return "INTERVAL";
	case SQL_TYPE_UUID: return "UUID";
	case SQL_TYPE_JSON: return "JSON";
	default: return NULL;
	}
}

static void type(struct pr *w, const struct sql_type *t)
{
	char buf[48];
	switch (t->id) {
	case SQL_TYPE_LIST:
		type(w, t->elem);
		if (t->fixed_len) {
			snprintf(buf, sizeof buf, "[%lld]", (long long)t->fixed_len);
			put(w, buf);
		} else {
			put(w, "[]");
		}
		return;
	case SQL_TYPE_STRUCT:
		put(w, "STRUCT(");
		for (int i = 0; i < t->n_fields; i++) {
			if (i)
				put(w, ", ");
			colid(w, &t->fields[i].name);
			put(w, " ");
			type(w, t->fields[i].type);
		}
		put(w, ")");
		return;
	case SQL_TYPE_MAP:
		put(w, "MAP(");
		type(w, t->key);
		put(w, ", ");
		type(w, t->value);
		put(w, ")");
		return;
	case SQL_TYPE_NAMED:
		/* Always quoted: a bare name could read back as a built-in type. */
		quoted(w, t->name, strlen(t->name), '"');
		break;
	default:
		put(w, base_type_name(t));
		break;
	}
	if (t->n_mods == 1)
		snprintf(buf, sizeof buf, "(%lld)", (long long)t->mods[0]);
	else if (t->n_mods == 2)
		snprintf(buf, sizeof buf, "(%lld, %lld)", (long long)t->mods[0], (long long)t->mods[1]);
	else
		buf[0] = '\0';
	put(w, buf);
	if (t->with_tz && (t->id == SQL_TYPE_TIME || t->id == SQL_TYPE_TIMESTAMP))
		put(w, " WITH TIME ZONE");
}

static const char *typed_literal_name(const struct sql_expr *e)
{
	const struct sql_type *t = e->cast.type;
	if (e->cast.try_ || e->cast.arg->kind != SQL_EXPR_LITERAL ||
	    e->cast.arg->lit.kind != SQL_LIT_STRING || t->n_mods)
		return NULL;
	switch (t->id) {
	case SQL_TYPE_NAMED:
	case SQL_TYPE_LIST:
	case SQL_TYPE_STRUCT:
	case SQL_TYPE_MAP:
	case SQL_TYPE_INTERVAL: /* INTERVAL '...' is an interval literal */
		return NULL;
	case SQL_TYPE_TIME:
		return t->with_tz ? NULL : "TIME";
	case SQL_TYPE_TIMESTAMP:
		if (t->with_tz)
			return t->ts_unit == SQL_TS_DEFAULT ? "TIMESTAMPTZ" : NULL;
		return base_type_name(t);
	default:
		return base_type_name(t);
	}
}

tarn_rc sql_print_type(const struct sql_type *t, struct tarn_buf *out)
{
	struct pr w = {out, TARN_OK};
	type(&w, t);
	return w.rc;
}

/* ---- expressions ------------------------------------------------------------------- */

static void expr_list(struct pr *w, struct sql_expr *const *e, int n)
{
	for (int i = 0; i < n; i++) {
		if (i)
			put(w, ", ");
		expr(w, e[i]);
	}
}

static void order_items(struct pr *w, const struct sql_order_item *it, int n)
{
	for (int i = 0; i < n; i++) {
		if (i)
			put(w, ", ");
		if (it[i].expr)
			expr(w, it[i].expr);
		else
			put(w, "ALL");
		if (it[i].dir == SQL_SORT_ASC)
			put(w, " ASC");
		else if (it[i].dir == SQL_SORT_DESC)
			put(w, " DESC");
		if (it[i].nulls == SQL_NULLS_FIRST)
			put(w, " NULLS FIRST");
		else if (it[i].nulls == SQL_NULLS_LAST)
			put(w, " NULLS LAST");
	}
}

static void frame_bound(struct pr *w, const struct sql_frame_bound *b)
{
	switch (b->kind) {
	case SQL_BOUND_UNBOUNDED_PRECEDING: put(w, "UNBOUNDED PRECEDING"); break;
	case SQL_BOUND_UNBOUNDED_FOLLOWING: put(w, "UNBOUNDED FOLLOWING"); break;
	case SQL_BOUND_CURRENT_ROW: put(w, "CURRENT ROW"); break;
	case SQL_BOUND_PRECEDING:
	case SQL_BOUND_FOLLOWING:
		expr(w, b->offset);
		put(w, b->kind == SQL_BOUND_PRECEDING ? " PRECEDING" : " FOLLOWING");
		break;
	}
}

static void window_spec(struct pr *w, const struct sql_window *s)
{
	const char *sep = "";
	if (s->ref.s) {
		name(w, &s->ref);
		sep = " ";
	}
	if (s->n_partition) {
		put(w, sep);
		put(w, "PARTITION BY ");
		expr_list(w, s->partition, s->n_partition);
		sep = " ";
	}
	if (s->n_order) {
		put(w, sep);
		put(w, "ORDER BY ");
		order_items(w, s->order, s->n_order);
		sep = " ";
	}
	if (s->frame != SQL_FRAME_DEFAULT) {
		put(w, sep);
		put(w, s->frame == SQL_FRAME_ROWS ? "ROWS " : s->frame == SQL_FRAME_RANGE ? "RANGE " : "GROUPS ");
		if (s->frame_between) {
			put(w, "BETWEEN ");
			frame_bound(w, &s->start);
			put(w, " AND ");
			frame_bound(w, &s->end);
		} else {
			frame_bound(w, &s->start);
		}
		switch (s->exclude) {
		case SQL_EXCLUDE_DEFAULT: break;
		case SQL_EXCLUDE_NO_OTHERS: put(w, " EXCLUDE NO OTHERS"); break;
		case SQL_EXCLUDE_CURRENT_ROW: put(w, " EXCLUDE CURRENT ROW"); break;
		case SQL_EXCLUDE_GROUP: put(w, " EXCLUDE GROUP"); break;
		case SQL_EXCLUDE_TIES: put(w, " EXCLUDE TIES"); break;
		}
	}
}

static bool plain_call(const struct sql_func *f)
{
	if (f->star || f->distinct || f->nulls || f->n_order || f->n_within || f->filter || f->over)
		return false;
	for (int i = 0; i < f->n_args; i++)
		if (f->args[i].name.s)
			return false;
	return true;
}

/* A function name that reads back as the same call when written bare: not a
 * keyword, or a keyword whose '(' form is an ordinary call. */
static void func_name(struct pr *w, const struct sql_func *f)
{
	if (f->name.n != 1) {
		qname(w, &f->name);
		return;
	}
	const struct sql_name *n = &f->name.parts[0];
	enum sql_kw kw = sql_keyword_find(n->s, n->len);
	bool bare = !n->quoted && plain_word(n->s, n->len);
	if (bare && kw != KW_NONE) {
		if (kw == KW_SUBSTRING || kw == KW_TRIM || kw == KW_POSITION)
			bare = plain_call(f) && (strcmp(n->s, "substring") == 0 ||
						 strcmp(n->s, "trim") == 0 ||
						 strcmp(n->s, "position") == 0);
		else
			bare = sql_keyword_category(kw) == SQL_KW_TYPEFUNC ||
			       (sql_keyword_category(kw) == SQL_KW_UNRESERVED && kw != KW_TRY_CAST &&
				kw != KW_EXISTS && kw != KW_EXTRACT && kw != KW_ROW &&
				kw != KW_INTERVAL);
	}
	if (bare)
		putn(w, n->s, n->len);
	else
		quoted(w, n->s, n->len, '"');
}

static void func(struct pr *w, const struct sql_func *f)
{
	if (f->no_parens) {
		for (const char *c = f->name.parts[0].s; *c; c++) {
			char u = *c >= 'a' && *c <= 'z' ? (char)(*c - 32) : *c;
			putn(w, &u, 1);
		}
		return;
	}
	func_name(w, f);
	put(w, "(");
	if (f->star)
		put(w, "*");
	if (f->distinct)
		put(w, "DISTINCT ");
	for (int i = 0; i < f->n_args; i++) {
		if (i)
			put(w, ", ");
		if (f->args[i].name.s) {
			name(w, &f->args[i].name);
			put(w, " := ");
		}
		expr(w, f->args[i].value);
	}
	if (f->n_order) {
		put(w, " ORDER BY ");
		order_items(w, f->order, f->n_order);
	}
	if (f->nulls)
		put(w, f->nulls == SQL_NULLS_IGNORE ? " IGNORE NULLS" : " RESPECT NULLS");
	put(w, ")");
	if (f->n_within) {
		put(w, " WITHIN GROUP (ORDER BY ");
		order_items(w, f->within, f->n_within);
		put(w, ")");
	}
	if (f->filter) {
		put(w, " FILTER (WHERE ");
		expr(w, f->filter);
		put(w, ")");
	}
	if (f->over) {
		put(w, " OVER ");
		if (f->over->bare_ref) {
			name(w, &f->over->ref);
		} else {
			put(w, "(");
			window_spec(w, f->over);
			put(w, ")");
		}
	}
}

/* True if e prints wrapped in its own parentheses, "(...)". */
static bool self_parenthesized(const struct sql_expr *e)
{
	switch (e->kind) {
	case SQL_EXPR_UNARY:
	case SQL_EXPR_BINARY:
	case SQL_EXPR_AND:
	case SQL_EXPR_OR:
	case SQL_EXPR_IS:
	case SQL_EXPR_BETWEEN:
	case SQL_EXPR_IN:
	case SQL_EXPR_LIKE:
	case SQL_EXPR_QUANTIFIED:
	case SQL_EXPR_SUBQUERY:
		return true;
	case SQL_EXPR_ROW:
		return !e->list.explicit_row && e->list.n >= 2;
	default:
		return false;
	}
}

/* A CAST of a string literal to a one-word type prints as the typed literal
 * DATE '...': the same tree, and no deeper than the text it came from. */
static const char *typed_literal_name(const struct sql_expr *e);

/* Whether the base of x[i], x[a:b] and (x).f prints as it is: an operand
 * that reads as a primary, or one parenthesized already (so -1 and INTERVAL
 * ... get parentheses, and nothing gets two pairs). */
static bool base_bare(const struct sql_expr *e, bool field)
{
	bool bare = self_parenthesized(e);
	switch (e->kind) {
	case SQL_EXPR_NAME: /* a.b.f would read as one dotted name */
		bare = !field;
		break;
	case SQL_EXPR_PARAM:
	case SQL_EXPR_INDEX:
	case SQL_EXPR_SLICE:
	case SQL_EXPR_FIELD:
	case SQL_EXPR_ARRAY:
		bare = true;
		break;
	case SQL_EXPR_CAST:
		bare = typed_literal_name(e) == NULL;
		break;
	case SQL_EXPR_FUNC:
		bare = !e->func.no_parens;
		break;
	default:
		break;
	}
	return bare;
}

static void postfix_base(struct pr *w, const struct sql_expr *e, bool field)
{
	if (base_bare(e, field)) {
		expr(w, e);
		return;
	}
	put(w, "(");
	expr(w, e);
	put(w, ")");
}

/* True if e prints starting with '('. */
static bool leading_paren(const struct sql_expr *e)
{
	switch (e->kind) {
	case SQL_EXPR_INDEX:
		return !base_bare(e->index.base, false) || leading_paren(e->index.base);
	case SQL_EXPR_SLICE:
		return !base_bare(e->slice.base, false) || leading_paren(e->slice.base);
	case SQL_EXPR_FIELD:
		return !base_bare(e->field.base, true) || leading_paren(e->field.base);
	default:
		return self_parenthesized(e);
	}
}

static void star(struct pr *w, const struct sql_star *s)
{
	if (s->qualifier.n) {
		qname(w, &s->qualifier);
		put(w, ".");
	}
	put(w, "*");
	if (s->n_exclude) {
		put(w, " EXCLUDE ");
		names(w, s->exclude, s->n_exclude);
	}
	if (s->n_replace) {
		put(w, " REPLACE (");
		for (int i = 0; i < s->n_replace; i++) {
			if (i)
				put(w, ", ");
			expr(w, s->replace_exprs[i]);
			put(w, " AS ");
			colid(w, &s->replace_names[i]);
		}
		put(w, ")");
	}
}

static void expr(struct pr *w, const struct sql_expr *e)
{
	char buf[32];
	switch (e->kind) {
	case SQL_EXPR_LITERAL:
		literal(w, &e->lit);
		break;
	case SQL_EXPR_NAME:
		qname(w, &e->name);
		break;
	case SQL_EXPR_STAR:
		star(w, &e->star);
		break;
	case SQL_EXPR_PARAM:
		if (e->param.anon) {
			put(w, "?");
		} else {
			snprintf(buf, sizeof buf, "$%d", e->param.index);
			put(w, buf);
		}
		break;
	case SQL_EXPR_UNARY:
		/* A run of prefix operators shares one pair of parentheses:
		 * (- - x), (NOT - x). */
		put(w, "(");
		while (e->kind == SQL_EXPR_UNARY) {
			put(w, sql_op_text(e->unary.op));
			put(w, " ");
			e = e->unary.arg;
		}
		expr(w, e);
		put(w, ")");
		break;
	case SQL_EXPR_BINARY:
		put(w, "(");
		expr(w, e->binary.l);
		put(w, " ");
		put(w, sql_op_text(e->binary.op));
		put(w, " ");
		expr(w, e->binary.r);
		put(w, ")");
		break;
	case SQL_EXPR_AND:
	case SQL_EXPR_OR:
		put(w, "(");
		for (int i = 0; i < e->list.n; i++) {
			if (i)
				put(w, e->kind == SQL_EXPR_AND ? " AND " : " OR ");
			expr(w, e->list.items[i]);
		}
		put(w, ")");
		break;
	case SQL_EXPR_IS: {
		static const char *const what[] = {"NULL", "TRUE", "FALSE", "UNKNOWN"};
		put(w, "(");
		expr(w, e->is.arg);
		put(w, e->is.not ? " IS NOT " : " IS ");
		put(w, what[e->is.what]);
		put(w, ")");
		break;
	}
	case SQL_EXPR_BETWEEN:
		put(w, "(");
		expr(w, e->between.arg);
		put(w, e->between.not ? " NOT BETWEEN " : " BETWEEN ");
		if (e->between.symmetric)
			put(w, "SYMMETRIC ");
		expr(w, e->between.lo);
		put(w, " AND ");
		expr(w, e->between.hi);
		put(w, ")");
		break;
	case SQL_EXPR_IN:
		put(w, "(");
		expr(w, e->in.arg);
		put(w, e->in.not ? " NOT IN (" : " IN (");
		if (e->in.query)
			query(w, e->in.query);
		else
			expr_list(w, e->in.list, e->in.n);
		put(w, "))");
		break;
	case SQL_EXPR_LIKE: {
		static const char *const op[] = {"LIKE", "ILIKE", "SIMILAR TO", "GLOB"};
		put(w, "(");
		expr(w, e->like.arg);
		put(w, e->like.not ? " NOT " : " ");
		put(w, op[e->like.kind]);
		put(w, " ");
		expr(w, e->like.pattern);
		if (e->like.escape) {
			put(w, " ESCAPE ");
			expr(w, e->like.escape);
		}
		put(w, ")");
		break;
	}
	case SQL_EXPR_CAST: {
		const char *tl = typed_literal_name(e);
		if (tl) {
			put(w, tl);
			put(w, " ");
			literal(w, &e->cast.arg->lit);
			break;
		}
		put(w, e->cast.try_ ? "TRY_CAST(" : "CAST(");
		expr(w, e->cast.arg);
		put(w, " AS ");
		type(w, e->cast.type);
		put(w, ")");
		break;
	}
	case SQL_EXPR_FUNC:
		func(w, &e->func);
		break;
	case SQL_EXPR_CASE:
		put(w, "CASE");
		if (e->case_.operand) {
			put(w, " ");
			expr(w, e->case_.operand);
		}
		for (int i = 0; i < e->case_.n; i++) {
			put(w, " WHEN ");
			expr(w, e->case_.whens[i].cond);
			put(w, " THEN ");
			expr(w, e->case_.whens[i].result);
		}
		if (e->case_.else_) {
			put(w, " ELSE ");
			expr(w, e->case_.else_);
		}
		put(w, " END");
		break;
	case SQL_EXPR_EXISTS:
		put(w, "EXISTS (");
		query(w, e->sub.query);
		put(w, ")");
		break;
	case SQL_EXPR_SUBQUERY:
		put(w, "(");
		query(w, e->sub.query);
		put(w, ")");
		break;
	case SQL_EXPR_QUANTIFIED:
		put(w, "(");
		expr(w, e->quant.arg);
		put(w, " ");
		put(w, sql_op_text(e->quant.op));
		put(w, e->quant.quant == SQL_QUANT_ALL ? " ALL (" : " ANY (");
		if (e->quant.query)
			query(w, e->quant.query);
		else
			expr(w, e->quant.array);
		put(w, "))");
		break;
	case SQL_EXPR_ROW:
		put(w, e->list.explicit_row || e->list.n < 2 ? "ROW(" : "(");
		expr_list(w, e->list.items, e->list.n);
		put(w, ")");
		break;
	case SQL_EXPR_ARRAY:
		put(w, "[");
		expr_list(w, e->list.items, e->list.n);
		put(w, "]");
		break;
	case SQL_EXPR_STRUCT:
		put(w, "{");
		for (int i = 0; i < e->struct_.n; i++) {
			if (i)
				put(w, ", ");
			string_lit(w, e->struct_.keys[i].s, e->struct_.keys[i].len);
			put(w, ": ");
			expr(w, e->struct_.values[i]);
		}
		put(w, "}");
		break;
	case SQL_EXPR_MAP:
		put(w, "MAP {");
		for (int i = 0; i < e->map.n; i++) {
			if (i)
				put(w, ", ");
			expr(w, e->map.keys[i]);
			put(w, ": ");
			expr(w, e->map.values[i]);
		}
		put(w, "}");
		break;
	case SQL_EXPR_INDEX:
		postfix_base(w, e->index.base, false);
		put(w, "[");
		expr(w, e->index.index);
		put(w, "]");
		break;
	case SQL_EXPR_SLICE:
		postfix_base(w, e->slice.base, false);
		put(w, "[");
		if (e->slice.lo)
			expr(w, e->slice.lo);
		put(w, ":");
		if (e->slice.hi)
			expr(w, e->slice.hi);
		put(w, "]");
		break;
	case SQL_EXPR_FIELD:
		postfix_base(w, e->field.base, true);
		put(w, ".");
		name(w, &e->field.name);
		break;
	case SQL_EXPR_INTERVAL: {
		const struct sql_expr *v = e->interval.value;
		put(w, "INTERVAL ");
		if (v->kind == SQL_EXPR_LITERAL && v->lit.kind != SQL_LIT_NULL &&
		    v->lit.kind != SQL_LIT_BOOL) {
			literal(w, &v->lit);
		} else if (self_parenthesized(v) && v->kind != SQL_EXPR_SUBQUERY &&
			   v->kind != SQL_EXPR_ROW) {
			expr(w, v);
		} else {
			put(w, "(");
			expr(w, v);
			put(w, ")");
		}
		if (e->interval.unit != SQL_IV_NONE) {
			put(w, " ");
			put(w, sql_interval_unit_text(e->interval.unit));
		}
		break;
	}
	}
}

tarn_rc sql_print_expr(const struct sql_expr *e, struct tarn_buf *out)
{
	struct pr w = {out, TARN_OK};
	expr(&w, e);
	return w.rc;
}

/* ---- FROM items -------------------------------------------------------------------- */

static void alias(struct pr *w, const struct sql_alias *a)
{
	if (!a->name.s)
		return;
	put(w, " AS ");
	colid(w, &a->name);
	if (a->n_cols)
		names(w, a->cols, a->n_cols);
}

static void call_args(struct pr *w, const struct sql_arg *a, int n)
{
	put(w, "(");
	for (int i = 0; i < n; i++) {
		if (i)
			put(w, ", ");
		if (a[i].name.s) {
			name(w, &a[i].name);
			put(w, " := ");
		}
		expr(w, a[i].value);
	}
	put(w, ")");
}

static void tref(struct pr *w, const struct sql_tref *r, bool nested)
{
	if (r->lateral)
		put(w, "LATERAL ");
	switch (r->kind) {
	case SQL_TREF_TABLE:
		colid_path(w, &r->table);
		break;
	case SQL_TREF_PATH:
		string_lit(w, r->path.s, r->path.len);
		break;
	case SQL_TREF_FUNC:
		colid_path(w, &r->func.name);
		call_args(w, r->func.args, r->func.n_args);
		break;
	case SQL_TREF_SUBQUERY:
		put(w, "(");
		query(w, r->subquery);
		put(w, ")");
		break;
	case SQL_TREF_JOIN: {
		static const char *const kinds[] = {"INNER", "LEFT", "RIGHT", "FULL",
						    "CROSS", "SEMI", "ANTI", "POSITIONAL"};
		bool parens = nested || r->alias.name.s;
		if (parens)
			put(w, "(");
		tref(w, r->join.left, true);
		put(w, " ");
		if (r->join.natural)
			put(w, "NATURAL ");
		if (r->join.asof)
			put(w, "ASOF ");
		put(w, kinds[r->join.kind]);
		put(w, " JOIN ");
		tref(w, r->join.right, true);
		if (r->join.on) {
			put(w, " ON ");
			expr(w, r->join.on);
		} else if (r->join.n_using) {
			put(w, " USING ");
			names(w, r->join.using_cols, r->join.n_using);
		}
		if (parens)
			put(w, ")");
		break;
	}
	}
	alias(w, &r->alias);
}

/* ---- queries ----------------------------------------------------------------------- */

static void group_item(struct pr *w, const struct sql_group_item *g)
{
	switch (g->kind) {
	case SQL_GROUP_EXPR:
		expr(w, g->expr);
		break;
	case SQL_GROUP_EMPTY:
		put(w, "()");
		break;
	case SQL_GROUP_ROLLUP:
	case SQL_GROUP_CUBE:
		put(w, g->kind == SQL_GROUP_ROLLUP ? "ROLLUP(" : "CUBE(");
		expr_list(w, g->args, g->n_args);
		put(w, ")");
		break;
	case SQL_GROUP_SETS:
		put(w, "GROUPING SETS (");
		for (int i = 0; i < g->n_sets; i++) {
			if (i)
				put(w, ", ");
			group_item(w, &g->sets[i]);
		}
		put(w, ")");
		break;
	}
}

static void select(struct pr *w, const struct sql_select *s)
{
	put(w, "SELECT ");
	if (s->distinct == SQL_DISTINCT_ALL) {
		put(w, "DISTINCT ");
	} else if (s->distinct == SQL_DISTINCT_ON) {
		put(w, "DISTINCT ON (");
		expr_list(w, s->distinct_on, s->n_distinct_on);
		put(w, ") ");
	}
	for (int i = 0; i < s->n_items; i++) {
		if (i)
			put(w, ", ");
		expr(w, s->items[i].expr);
		if (s->items[i].alias.s) {
			put(w, " AS ");
			colid(w, &s->items[i].alias);
		}
	}
	for (int i = 0; i < s->n_from; i++) {
		put(w, i ? ", " : " FROM ");
		tref(w, s->from[i], false);
	}
	if (s->where) {
		put(w, " WHERE ");
		expr(w, s->where);
	}
	if (s->group_all) {
		put(w, " GROUP BY ALL");
	} else if (s->n_group) {
		put(w, " GROUP BY ");
		for (int i = 0; i < s->n_group; i++) {
			if (i)
				put(w, ", ");
			group_item(w, &s->group[i]);
		}
	}
	if (s->having) {
		put(w, " HAVING ");
		expr(w, s->having);
	}
	for (int i = 0; i < s->n_windows; i++) {
		put(w, i ? ", " : " WINDOW ");
		name(w, &s->windows[i].name);
		put(w, " AS (");
		window_spec(w, s->windows[i].spec);
		put(w, ")");
	}
	if (s->qualify) {
		put(w, " QUALIFY ");
		expr(w, s->qualify);
	}
}

static void query(struct pr *w, const struct sql_query *q)
{
	if (q->with) {
		put(w, q->with->recursive ? "WITH RECURSIVE " : "WITH ");
		for (int i = 0; i < q->with->n; i++) {
			const struct sql_cte *c = &q->with->ctes[i];
			if (i)
				put(w, ", ");
			name(w, &c->name);
			if (c->n_cols) {
				put(w, " ");
				names(w, c->cols, c->n_cols);
			}
			put(w, " AS ");
			if (c->materialized == SQL_CTE_MATERIALIZED)
				put(w, "MATERIALIZED ");
			else if (c->materialized == SQL_CTE_NOT_MATERIALIZED)
				put(w, "NOT MATERIALIZED ");
			put(w, "(");
			query(w, c->query);
			put(w, ")");
		}
		put(w, " ");
	}
	switch (q->kind) {
	case SQL_QUERY_SELECT:
		select(w, q->select);
		break;
	case SQL_QUERY_VALUES:
		put(w, "VALUES ");
		for (int r = 0; r < q->n_rows; r++) {
			put(w, r ? ", (" : "(");
			expr_list(w, q->values + (size_t)r * (size_t)q->n_cols, q->n_cols);
			put(w, ")");
		}
		break;
	case SQL_QUERY_SETOP: {
		static const char *const ops[] = {" UNION ", " INTERSECT ", " EXCEPT "};
		for (int i = 0; i < q->n_args; i++) {
			if (i) {
				put(w, ops[q->op]);
				if (q->all)
					put(w, "ALL ");
				if (q->by_name)
					put(w, "BY NAME ");
			}
			put(w, "(");
			query(w, q->args[i]);
			put(w, ")");
		}
		break;
	}
	}
	if (q->n_order) {
		put(w, " ORDER BY ");
		order_items(w, q->order, q->n_order);
	}
	if (q->limit) {
		put(w, " LIMIT ");
		expr(w, q->limit);
	}
	if (q->offset) {
		put(w, " OFFSET ");
		expr(w, q->offset);
	}
}

tarn_rc sql_print_query(const struct sql_query *q, struct tarn_buf *out)
{
	struct pr w = {out, TARN_OK};
	query(&w, q);
	return w.rc;
}

/* ---- statements -------------------------------------------------------------------- */

/* An option key: any word reads back (keywords included), so only odd
 * spellings need quotes. */
static void option_key(struct pr *w, const struct sql_name *n)
{
	if (!n->quoted && plain_word(n->s, n->len))
		putn(w, n->s, n->len);
	else
		quoted(w, n->s, n->len, '"');
}

static void options(struct pr *w, const struct sql_option *o, int n)
{
	put(w, " (");
	for (int i = 0; i < n; i++) {
		if (i)
			put(w, ", ");
		option_key(w, &o[i].key);
		if (o[i].is_list) {
			put(w, " (");
			expr_list(w, o[i].list, o[i].n_list);
			put(w, ")");
		} else if (o[i].value) {
			/* KEY (...) would read as a list */
			put(w, leading_paren(o[i].value) ? " = " : " ");
			expr(w, o[i].value);
		}
	}
	put(w, ")");
}

static void setting(struct pr *w, const struct sql_qname *q)
{
	for (int i = 0; i < q->n; i++) {
		if (i)
			put(w, ".");
		option_key(w, &q->parts[i]);
	}
}

static void stmt(struct pr *w, const struct sql_stmt *s)
{
	switch (s->kind) {
	case SQL_STMT_QUERY:
		query(w, s->query);
		break;
	case SQL_STMT_EXPLAIN:
		put(w, s->explain.analyze ? "EXPLAIN ANALYZE " : "EXPLAIN ");
		stmt(w, s->explain.stmt);
		break;
	case SQL_STMT_COPY:
		put(w, "COPY ");
		if (s->copy.query) {
			put(w, "(");
			query(w, s->copy.query);
			put(w, ")");
		} else {
			qname(w, &s->copy.table);
			if (s->copy.n_cols) {
				put(w, " ");
				names(w, s->copy.cols, s->copy.n_cols);
			}
		}
		put(w, s->copy.from ? " FROM " : " TO ");
		if (s->copy.stdio)
			put(w, s->copy.from ? "STDIN" : "STDOUT");
		else
			string_lit(w, s->copy.path, s->copy.path_len);
		if (s->copy.n_opts)
			options(w, s->copy.opts, s->copy.n_opts);
		break;
	case SQL_STMT_CREATE_VIEW:
	case SQL_STMT_CREATE_TABLE:
		put(w, s->create.or_replace ? "CREATE OR REPLACE " : "CREATE ");
		if (s->create.temporary)
			put(w, "TEMPORARY ");
		put(w, s->kind == SQL_STMT_CREATE_VIEW ? "VIEW " : "TABLE ");
		if (s->create.if_not_exists)
			put(w, "IF NOT EXISTS ");
		qname(w, &s->create.name);
		if (s->create.n_cols) {
			put(w, " ");
			names(w, s->create.cols, s->create.n_cols);
		}
		if (s->create.query) {
			put(w, " AS ");
			query(w, s->create.query);
		} else if (s->create.n_defs) {
			put(w, " (");
			for (int i = 0; i < s->create.n_defs; i++) {
				const struct sql_column_def *d = &s->create.defs[i];
				if (i)
					put(w, ", ");
				colid(w, &d->name);
				put(w, " ");
				type(w, d->type);
				if (d->not_null)
					put(w, " NOT NULL");
				if (d->primary_key)
					put(w, " PRIMARY KEY");
				if (d->unique)
					put(w, " UNIQUE");
				if (d->default_value) {
					put(w, " DEFAULT ");
					expr(w, d->default_value);
				}
			}
			put(w, ")");
		}
		break;
	case SQL_STMT_INSERT:
		put(w, "INSERT INTO ");
		qname(w, &s->insert.table);
		if (s->insert.n_cols) {
			put(w, " ");
			names(w, s->insert.cols, s->insert.n_cols);
		}
		if (s->insert.query) {
			put(w, " ");
			query(w, s->insert.query);
		} else {
			put(w, " DEFAULT VALUES");
		}
		break;
	case SQL_STMT_DROP:
		put(w, s->drop.object == SQL_OBJECT_TABLE ? "DROP TABLE " : "DROP VIEW ");
		if (s->drop.if_exists)
			put(w, "IF EXISTS ");
		for (int i = 0; i < s->drop.n; i++) {
			if (i)
				put(w, ", ");
			qname(w, &s->drop.names[i]);
		}
		if (s->drop.cascade)
			put(w, " CASCADE");
		break;
	case SQL_STMT_SET:
		if (s->set.reset) {
			put(w, "RESET ");
			if (s->set.name.n)
				setting(w, &s->set.name);
			else
				put(w, "ALL");
			break;
		}
		put(w, "SET ");
		if (s->set.scope == SQL_SET_SESSION)
			put(w, "SESSION ");
		else if (s->set.scope == SQL_SET_LOCAL)
			put(w, "LOCAL ");
		else if (s->set.scope == SQL_SET_GLOBAL)
			put(w, "GLOBAL ");
		setting(w, &s->set.name);
		put(w, " = ");
		if (s->set.to_default)
			put(w, "DEFAULT");
		else
			expr_list(w, s->set.values, s->set.n_values);
		break;
	case SQL_STMT_SHOW:
		switch (s->show.what) {
		case SQL_SHOW_TABLES: put(w, "SHOW TABLES"); break;
		case SQL_SHOW_ALL_TABLES: put(w, "SHOW ALL TABLES"); break;
		case SQL_SHOW_DATABASES: put(w, "SHOW DATABASES"); break;
		case SQL_SHOW_NAME:
			put(w, "SHOW ");
			setting(w, &s->show.name);
			break;
		}
		break;
	case SQL_STMT_DESCRIBE:
		put(w, "DESCRIBE ");
		if (s->describe.query)
			query(w, s->describe.query);
		else
			qname(w, &s->describe.name);
		break;
	}
}

tarn_rc sql_print_stmt(const struct sql_stmt *s, struct tarn_buf *out)
{
	struct pr w = {out, TARN_OK};
	stmt(&w, s);
	return w.rc;
}

tarn_rc sql_print_script(const struct sql_script *s, struct tarn_buf *out)
{
	struct pr w = {out, TARN_OK};
	for (int i = 0; i < s->n; i++) {
		stmt(&w, s->stmts[i]);
		put(&w, ";\n");
	}
	return w.rc;
}
