/*
 * parse.c — the parser's core (token lookahead, errors, names, arena
 * vectors), the statement grammar (EXPLAIN, COPY, CREATE, INSERT, DROP, SET,
 * RESET, SHOW, DESCRIBE; queries are in parse_query.c) and the public entry
 * points sql_parse, sql_parse_expr and sql_parse_type.
 *
 * Relies on lex.c for tokens and messages, parse_expr.c and parse_query.c
 * for the rest of the grammar; parse_int.h holds the design notes. Every
 * fallible function returns tarn_rc and records the first error in the
 * parser (struct parser.e).
 *
 * Thread-safety: a parse touches only its struct parser and arena.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "sql/parse.h"
#include "sql/parse_int.h"

/* ---- tokens ---------------------------------------------------------------------- */

void parse_fill(struct parser *p, unsigned k)
{
	while (p->la_n <= k) {
		struct sql_token *t = &p->la[(p->la_head + p->la_n) % PARSE_LA];
		tarn_rc rc = p->lex_rc ? p->lex_rc : sql_lex_next(&p->lx, t, &p->e);
		if (rc != TARN_OK) {
			/* Design note 3: the stream ends at a lexer error. */
			p->lex_rc = rc;
			memset(t, 0, sizeof *t);
			t->kind = TOK_EOF;
			t->off = (uint32_t)p->len;
		}
		p->la_n++;
	}
}

void parse_advance(struct parser *p)
{
	const struct sql_token *t = parse_peek(p, 0);
	if (t->kind == TOK_EOF)
		return;
	p->prev_end = t->off + t->len;
	p->la_head = (p->la_head + 1) % PARSE_LA;
	p->la_n--;
}

bool parse_accept(struct parser *p, enum sql_tok kind)
{
	if (parse_kind(p, 0) != kind)
		return false;
	parse_advance(p);
	return true;
}

bool parse_accept_kw(struct parser *p, enum sql_kw kw)
{
	if (parse_kw(p, 0) != kw)
		return false;
	parse_advance(p);
	return true;
}

tarn_rc parse_expect(struct parser *p, enum sql_tok kind)
{
	if (parse_accept(p, kind))
		return TARN_OK;
	return parse_expected(p, sql_tok_name(kind));
}

tarn_rc parse_expect_kw(struct parser *p, enum sql_kw kw)
{
	if (parse_accept_kw(p, kw))
		return TARN_OK;
	return parse_expected(p, sql_keyword_name(kw));
}

bool parse_is_colid(const struct sql_token *t)
{
	if (t->kind == TOK_QIDENT)
		return true;
	return t->kind == TOK_IDENT &&
	       (t->kw == KW_NONE || sql_keyword_category(t->kw) == SQL_KW_UNRESERVED);
}

bool parse_is_alias(const struct sql_token *t)
{
	return parse_is_colid(t);
}

bool parse_is_label(const struct sql_token *t)
{
	return t->kind == TOK_IDENT || t->kind == TOK_QIDENT;
}

bool parse_is_funcname(const struct sql_token *t)
{
	return parse_is_colid(t) ||
	       (t->kind == TOK_IDENT && sql_keyword_category(t->kw) == SQL_KW_TYPEFUNC);
}

/* ---- errors ---------------------------------------------------------------------- */

tarn_rc parse_fail(struct parser *p, tarn_rc rc, sql_loc at, const char *fmt, ...)
{
	if (p->lex_rc)
		return p->lex_rc;
	if (p->e.rc)
		return p->e.rc;
	char msg[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return sql_err_at(&p->e, rc, p->text, p->len, at, "syntax error", "%s", msg);
}

/* Up to `max` bytes of s, cut at a character boundary. */
static int clip(const char *s, uint32_t n, uint32_t max, bool *more)
{
	*more = n > max;
	if (n <= max)
		return (int)n;
	uint32_t k = max;
	while (k > 0 && ((unsigned char)s[k] & 0xC0) == 0x80)
		k--;
	return (int)k;
}

static void describe(struct parser *p, const struct sql_token *t, char *buf, size_t cap)
{
	bool more;
	int n;
	switch (t->kind) {
	case TOK_EOF:
		snprintf(buf, cap, "end of input");
		return;
	case TOK_STRING:
		n = clip(t->val, t->vlen, 40, &more);
		snprintf(buf, cap, "string '%.*s%s'", n, t->val, more ? "..." : "");
		return;
	default:
		n = clip(p->text + t->off, t->len, 40, &more);
		snprintf(buf, cap, "'%.*s%s'", n, p->text + t->off, more ? "..." : "");
		return;
	}
}

tarn_rc parse_expected(struct parser *p, const char *what)
{
	const struct sql_token *t = parse_peek(p, 0);
	char found[80];
	describe(p, t, found, sizeof found);
	return parse_fail(p, TARN_EDATA, t->off, "expected %s, found %s", what, found);
}

tarn_rc parse_nomem(struct parser *p)
{
	if (p->e.rc == TARN_OK)
		tarn_err_nomem(&p->e, "SQL parser");
	return TARN_ENOMEM;
}

tarn_rc parse_enter(struct parser *p)
{
	if (++p->depth <= SQL_MAX_DEPTH)
		return TARN_OK;
	return parse_fail(p, TARN_ELIMIT, parse_loc(p),
			  "nested too deeply (more than %d levels of operators, calls, subqueries "
			  "or chained operators)",
			  SQL_MAX_DEPTH);
}

tarn_rc parse_enter_parens(struct parser *p)
{
	if (++p->parens <= SQL_MAX_PARENS)
		return TARN_OK;
	return parse_fail(p, TARN_ELIMIT, parse_loc(p),
			  "nested too deeply (more than %d levels of parentheses)", SQL_MAX_PARENS);
}

/* ---- allocation ------------------------------------------------------------------ */

tarn_rc parse_alloc(struct parser *p, size_t size, void *out)
{
	void *m = tarn_arena_alloc(p->arena, size);
	if (!m)
		return parse_nomem(p);
	memset(m, 0, size);
	*(void **)out = m;
	return TARN_OK;
}

tarn_rc parse_strdup(struct parser *p, const char *s, size_t n, const char **out)
{
	char *d = tarn_arena_strndup(p->arena, s, n);
	if (!d)
		return parse_nomem(p);
	*out = d;
	return TARN_OK;
}

tarn_rc parse_vec_push(struct parser *p, struct vec *v, const void *item, size_t size)
{
	if (v->n == v->cap) {
		if (v->cap > INT_MAX / 4)
			return parse_fail(p, TARN_ELIMIT, parse_loc(p), "list too long");
		int cap = v->cap ? v->cap * 2 : 4;
		char *m = tarn_arena_alloc(p->arena, (size_t)cap * size);
		if (!m)
			return parse_nomem(p);
		if (v->n)
			memcpy(m, v->items, (size_t)v->n * size);
		v->items = m;
		v->cap = cap;
	}
	memcpy((char *)v->items + (size_t)v->n * size, item, size);
	v->n++;
	return TARN_OK;
}

/* ---- names -------------------------------------------------------------------------- */

tarn_rc parse_take_name(struct parser *p, struct sql_name *out)
{
	const struct sql_token *t = parse_peek(p, 0);
	out->loc = t->off;
	out->quoted = t->kind == TOK_QIDENT;
	out->len = t->vlen;
	TRY(parse_strdup(p, t->val, t->vlen, &out->s));
	parse_advance(p);
	return TARN_OK;
}

tarn_rc parse_colid(struct parser *p, const char *what, struct sql_name *out)
{
	if (!parse_is_colid(parse_peek(p, 0)))
		return parse_expected(p, what);
	return parse_take_name(p, out);
}

tarn_rc parse_qname(struct parser *p, const char *what, struct sql_qname *out)
{
	struct vec v = {0};
	struct sql_name n;
	out->loc = parse_loc(p);
	TRY(parse_colid(p, what, &n));
	TRY(VEC_PUSH(p, &v, n));
	while (parse_kind(p, 0) == TOK_DOT && parse_is_label(parse_peek(p, 1))) {
		parse_advance(p);
		TRY(parse_take_name(p, &n));
		TRY(VEC_PUSH(p, &v, n));
	}
	out->n = v.n;
	out->parts = v.items;
	return TARN_OK;
}

tarn_rc parse_name_list(struct parser *p, struct sql_name **out, int *n)
{
	struct vec v = {0};
	TRY(parse_expect(p, TOK_LPAREN));
	do {
		struct sql_name nm;
		TRY(parse_colid(p, "column name", &nm));
		TRY(VEC_PUSH(p, &v, nm));
	} while (parse_accept(p, TOK_COMMA));
	TRY(parse_expect(p, TOK_RPAREN));
	*out = v.items;
	*n = v.n;
	return TARN_OK;
}

tarn_rc parse_param(struct parser *p, struct sql_expr *e)
{
	const struct sql_token *t = parse_peek(p, 0);
	enum param_style style = t->param ? PARAM_NUMBERED : PARAM_ANON;
	if (p->param_style && p->param_style != style)
		return parse_fail(p, TARN_EDATA, t->off,
				  "cannot mix ? and $n parameters in one statement");
	p->param_style = style;
	if (style == PARAM_ANON) {
		if (p->param_next >= SQL_MAX_PARAMS)
			return parse_fail(p, TARN_ELIMIT, t->off, "more than %d parameters",
					  SQL_MAX_PARAMS);
		e->param.index = ++p->param_next;
		e->param.anon = true;
	} else {
		e->param.index = (int)t->param;
	}
	if (e->param.index > p->param_max)
		p->param_max = e->param.index;
	parse_advance(p);
	return TARN_OK;
}

tarn_rc parse_option_value(struct parser *p, struct sql_expr **out)
{
	const struct sql_token *t = parse_peek(p, 0);
	enum sql_tok next = parse_kind(p, 1);
	bool word = parse_is_label(t) && t->kw != KW_TRUE && t->kw != KW_FALSE &&
		    t->kw != KW_NULL;
	if (word && (next == TOK_COMMA || next == TOK_RPAREN || next == TOK_SEMI ||
		     next == TOK_EOF)) {
		/* A bare word such as parquet, zstd, on: one-part name. */
		struct sql_expr *e;
		TRY(parse_new_expr(p, SQL_EXPR_NAME, t->off, &e));
		TRY(parse_alloc(p, sizeof *e->name.parts, &e->name.parts));
		e->name.n = 1;
		e->name.loc = t->off;
		TRY(parse_take_name(p, &e->name.parts[0]));
		*out = e;
		return TARN_OK;
	}
	return parse_expr(p, out);
}

/* ---- statements ---------------------------------------------------------------------- */

static tarn_rc parse_stmt(struct parser *p, struct sql_stmt **out);

static tarn_rc new_stmt(struct parser *p, enum sql_stmt_kind kind, struct sql_stmt **out)
{
	TRY(parse_alloc(p, sizeof **out, out));
	(*out)->kind = kind;
	(*out)->loc = parse_loc(p);
	return TARN_OK;
}

/* '(' key [[=] value | (v, ...)], ... ')' */
static tarn_rc parse_options(struct parser *p, struct sql_option **out, int *n)
{
	struct vec v = {0};
	TRY(parse_expect(p, TOK_LPAREN));
	if (parse_kind(p, 0) != TOK_RPAREN) {
		do {
			struct sql_option o;
			memset(&o, 0, sizeof o);
			if (!parse_is_label(parse_peek(p, 0)))
				return parse_expected(p, "option name");
			TRY(parse_take_name(p, &o.key));
			/* KEY (v, ...) is a list; KEY = (...) is one value. */
			bool eq = parse_accept(p, TOK_EQ);
			enum sql_tok k = parse_kind(p, 0);
			if (k == TOK_LPAREN && !eq) {
				parse_advance(p);
				o.is_list = true;
				if (parse_kind(p, 0) != TOK_RPAREN)
					TRY(parse_expr_list(p, &o.list, &o.n_list));
				TRY(parse_expect(p, TOK_RPAREN));
			} else if (k != TOK_COMMA && k != TOK_RPAREN) {
				TRY(parse_option_value(p, &o.value));
			}
			TRY(VEC_PUSH(p, &v, o));
		} while (parse_accept(p, TOK_COMMA));
	}
	TRY(parse_expect(p, TOK_RPAREN));
	*out = v.items;
	*n = v.n;
	return TARN_OK;
}

static tarn_rc parse_copy(struct parser *p, struct sql_stmt *s)
{
	parse_advance(p); /* COPY */
	if (parse_accept(p, TOK_LPAREN)) {
		TRY(parse_query(p, &s->copy.query));
		TRY(parse_expect(p, TOK_RPAREN));
		if (!parse_accept_kw(p, KW_TO))
			return parse_expected(p, "TO after COPY (query)");
	} else {
		TRY(parse_qname(p, "table name or (query) after COPY", &s->copy.table));
		if (parse_kind(p, 0) == TOK_LPAREN)
			TRY(parse_name_list(p, &s->copy.cols, &s->copy.n_cols));
		if (parse_accept_kw(p, KW_FROM))
			s->copy.from = true;
		else if (!parse_accept_kw(p, KW_TO))
			return parse_expected(p, "FROM or TO");
	}
	const struct sql_token *t = parse_peek(p, 0);
	if (t->kind == TOK_STRING) {
		TRY(parse_strdup(p, t->val, t->vlen, &s->copy.path));
		s->copy.path_len = t->vlen;
		parse_advance(p);
	} else if (parse_kw(p, 0) == (s->copy.from ? KW_STDIN : KW_STDOUT)) {
		s->copy.stdio = true;
		parse_advance(p);
	} else {
		return parse_expected(p, s->copy.from ? "a file path string or STDIN"
						      : "a file path string or STDOUT");
	}
	bool with = parse_accept_kw(p, KW_WITH);
	if (with || parse_kind(p, 0) == TOK_LPAREN)
		TRY(parse_options(p, &s->copy.opts, &s->copy.n_opts));
	return TARN_OK;
}

static tarn_rc parse_column_def(struct parser *p, struct sql_column_def *d)
{
	enum sql_kw kw = parse_kw(p, 0);
	if (kw == KW_PRIMARY || kw == KW_UNIQUE || kw == KW_CHECK || kw == KW_FOREIGN ||
	    kw == KW_CONSTRAINT)
		return parse_fail(p, TARN_EUNSUPPORTED, parse_loc(p),
				  "table constraints are not supported; write PRIMARY KEY, "
				  "UNIQUE or NOT NULL after the column's type");
	TRY(parse_colid(p, "column name", &d->name));
	TRY(parse_type(p, &d->type));
	for (;;) {
		if (parse_kw(p, 0) == KW_NOT && parse_kw(p, 1) == KW_NULL) {
			parse_advance(p);
			parse_advance(p);
			d->not_null = true;
		} else if (parse_accept_kw(p, KW_NULL)) {
			/* explicit NULL: the default */
		} else if (parse_accept_kw(p, KW_PRIMARY)) {
			TRY(parse_expect_kw(p, KW_KEY));
			d->primary_key = true;
		} else if (parse_accept_kw(p, KW_UNIQUE)) {
			d->unique = true;
		} else if (parse_accept_kw(p, KW_DEFAULT)) {
			TRY(parse_expr(p, &d->default_value));
		} else {
			return TARN_OK;
		}
	}
}

static tarn_rc parse_create(struct parser *p, struct sql_stmt *s)
{
	parse_advance(p); /* CREATE */
	if (parse_accept_kw(p, KW_OR)) {
		TRY(parse_expect_kw(p, KW_REPLACE));
		s->create.or_replace = true;
	}
	if (parse_accept_kw(p, KW_TEMP) || parse_accept_kw(p, KW_TEMPORARY))
		s->create.temporary = true;
	if (parse_accept_kw(p, KW_VIEW))
		s->kind = SQL_STMT_CREATE_VIEW;
	else if (parse_accept_kw(p, KW_TABLE))
		s->kind = SQL_STMT_CREATE_TABLE;
	else
		return parse_expected(p, "VIEW or TABLE");
	if (parse_kw(p, 0) == KW_IF) {
		sql_loc at = parse_loc(p);
		parse_advance(p);
		TRY(parse_expect_kw(p, KW_NOT));
		TRY(parse_expect_kw(p, KW_EXISTS));
		if (s->create.or_replace)
			return parse_fail(p, TARN_EDATA, at,
					  "OR REPLACE and IF NOT EXISTS cannot be combined");
		s->create.if_not_exists = true;
	}
	bool view = s->kind == SQL_STMT_CREATE_VIEW;
	TRY(parse_qname(p, view ? "view name" : "table name", &s->create.name));
	if (parse_kind(p, 0) == TOK_LPAREN) {
		enum sql_tok after = parse_kind(p, 2);
		if (view || after == TOK_COMMA || after == TOK_RPAREN) {
			TRY(parse_name_list(p, &s->create.cols, &s->create.n_cols));
		} else {
			struct vec v = {0};
			parse_advance(p);
			do {
				struct sql_column_def d;
				memset(&d, 0, sizeof d);
				TRY(parse_column_def(p, &d));
				TRY(VEC_PUSH(p, &v, d));
			} while (parse_accept(p, TOK_COMMA));
			TRY(parse_expect(p, TOK_RPAREN));
			s->create.defs = v.items;
			s->create.n_defs = v.n;
			return TARN_OK;
		}
	}
	if (!parse_accept_kw(p, KW_AS))
		return parse_expected(p, view ? "AS" : "AS or a column list");
	return parse_query(p, &s->create.query);
}

static tarn_rc parse_insert(struct parser *p, struct sql_stmt *s)
{
	parse_advance(p); /* INSERT */
	TRY(parse_expect_kw(p, KW_INTO));
	TRY(parse_qname(p, "table name", &s->insert.table));
	if (parse_kind(p, 0) == TOK_LPAREN && !parse_starts_query(p, 0))
		TRY(parse_name_list(p, &s->insert.cols, &s->insert.n_cols));
	if (parse_accept_kw(p, KW_DEFAULT))
		return parse_expect_kw(p, KW_VALUES);
	if (!parse_starts_query(p, 0))
		return parse_expected(p, "a query, VALUES or DEFAULT VALUES");
	return parse_query(p, &s->insert.query);
}

static tarn_rc parse_drop(struct parser *p, struct sql_stmt *s)
{
	parse_advance(p); /* DROP */
	if (parse_accept_kw(p, KW_TABLE))
		s->drop.object = SQL_OBJECT_TABLE;
	else if (parse_accept_kw(p, KW_VIEW))
		s->drop.object = SQL_OBJECT_VIEW;
	else
		return parse_expected(p, "TABLE or VIEW");
	if (parse_accept_kw(p, KW_IF)) {
		TRY(parse_expect_kw(p, KW_EXISTS));
		s->drop.if_exists = true;
	}
	struct vec v = {0};
	do {
		struct sql_qname q;
		TRY(parse_qname(p, s->drop.object == SQL_OBJECT_TABLE ? "table name" : "view name",
				&q));
		TRY(VEC_PUSH(p, &v, q));
	} while (parse_accept(p, TOK_COMMA));
	s->drop.names = v.items;
	s->drop.n = v.n;
	if (parse_accept_kw(p, KW_CASCADE))
		s->drop.cascade = true;
	else
		parse_accept_kw(p, KW_RESTRICT);
	return TARN_OK;
}

/* A setting name: words joined by dots (any word, keywords too). */
static tarn_rc parse_setting_name(struct parser *p, struct sql_qname *out)
{
	struct vec v = {0};
	out->loc = parse_loc(p);
	do {
		struct sql_name n;
		if (!parse_is_label(parse_peek(p, 0)))
			return parse_expected(p, "setting name");
		TRY(parse_take_name(p, &n));
		TRY(VEC_PUSH(p, &v, n));
	} while (parse_accept(p, TOK_DOT));
	out->parts = v.items;
	out->n = v.n;
	return TARN_OK;
}

static tarn_rc parse_set(struct parser *p, struct sql_stmt *s)
{
	bool reset = parse_kw(p, 0) == KW_RESET;
	parse_advance(p); /* SET / RESET */
	s->set.reset = reset;
	if (reset) {
		if (parse_accept_kw(p, KW_ALL))
			return TARN_OK;
		return parse_setting_name(p, &s->set.name);
	}
	enum sql_kw kw = parse_kw(p, 0);
	if ((kw == KW_SESSION || kw == KW_LOCAL || kw == KW_GLOBAL) &&
	    parse_is_label(parse_peek(p, 1)) && parse_kw(p, 1) != KW_TO) {
		s->set.scope = kw == KW_SESSION ? SQL_SET_SESSION
			       : kw == KW_LOCAL ? SQL_SET_LOCAL
						: SQL_SET_GLOBAL;
		parse_advance(p);
	}
	if (parse_kw(p, 0) == KW_TIME && parse_kw(p, 1) == KW_ZONE) {
		/* SET TIME ZONE 'x' is SET timezone = 'x'. */
		s->set.name.loc = parse_loc(p);
		TRY(parse_alloc(p, sizeof *s->set.name.parts, &s->set.name.parts));
		s->set.name.n = 1;
		s->set.name.parts[0] = (struct sql_name){"timezone", 8, parse_loc(p), false};
		parse_advance(p);
		parse_advance(p);
	} else {
		TRY(parse_setting_name(p, &s->set.name));
		if (!parse_accept(p, TOK_EQ) && !parse_accept_kw(p, KW_TO))
			return parse_expected(p, "'=' or TO");
	}
	if (parse_accept_kw(p, KW_DEFAULT)) {
		s->set.to_default = true;
		return TARN_OK;
	}
	struct vec v = {0};
	do {
		struct sql_expr *e;
		TRY(parse_option_value(p, &e));
		TRY(VEC_PUSH(p, &v, e));
	} while (parse_accept(p, TOK_COMMA));
	s->set.values = v.items;
	s->set.n_values = v.n;
	return TARN_OK;
}

static tarn_rc parse_show(struct parser *p, struct sql_stmt *s)
{
	parse_advance(p); /* SHOW */
	if (parse_kw(p, 0) == KW_TABLES && parse_kind(p, 1) != TOK_DOT) {
		parse_advance(p);
		s->show.what = SQL_SHOW_TABLES;
	} else if (parse_accept_kw(p, KW_ALL)) {
		TRY(parse_expect_kw(p, KW_TABLES));
		s->show.what = SQL_SHOW_ALL_TABLES;
	} else if (parse_kw(p, 0) == KW_DATABASES && parse_kind(p, 1) != TOK_DOT) {
		parse_advance(p);
		s->show.what = SQL_SHOW_DATABASES;
	} else {
		s->show.what = SQL_SHOW_NAME;
		TRY(parse_setting_name(p, &s->show.name));
	}
	return TARN_OK;
}

static tarn_rc parse_stmt(struct parser *p, struct sql_stmt **out)
{
	struct sql_stmt *s;
	TRY(parse_enter(p));
	TRY(new_stmt(p, SQL_STMT_QUERY, &s));
	*out = s;
	if (parse_starts_query(p, 0)) {
		TRY(parse_query(p, &s->query));
		parse_leave(p);
		return TARN_OK;
	}
	switch (parse_kw(p, 0)) {
	case KW_EXPLAIN:
		s->kind = SQL_STMT_EXPLAIN;
		parse_advance(p);
		s->explain.analyze = parse_accept_kw(p, KW_ANALYZE);
		TRY(parse_stmt(p, &s->explain.stmt));
		break;
	case KW_COPY:
		s->kind = SQL_STMT_COPY;
		TRY(parse_copy(p, s));
		break;
	case KW_CREATE:
		TRY(parse_create(p, s));
		break;
	case KW_INSERT:
		s->kind = SQL_STMT_INSERT;
		TRY(parse_insert(p, s));
		break;
	case KW_DROP:
		s->kind = SQL_STMT_DROP;
		TRY(parse_drop(p, s));
		break;
	case KW_SET:
	case KW_RESET:
		s->kind = SQL_STMT_SET;
		TRY(parse_set(p, s));
		break;
	case KW_SHOW:
		s->kind = SQL_STMT_SHOW;
		TRY(parse_show(p, s));
		break;
	case KW_DESCRIBE:
		s->kind = SQL_STMT_DESCRIBE;
		parse_advance(p);
		if (parse_starts_query(p, 0))
			TRY(parse_query(p, &s->describe.query));
		else
			TRY(parse_qname(p, "table name or query", &s->describe.name));
		break;
	default:
		if (parse_kind(p, 0) == TOK_DOT)
			return parse_fail(p, TARN_EDATA, parse_loc(p),
					  "dot commands such as .tables belong to the tarn sql "
					  "shell, not to SQL");
		return parse_expected(p, "a statement (SELECT, WITH, VALUES, EXPLAIN, COPY, "
					 "CREATE, INSERT, DROP, SET, RESET, SHOW or DESCRIBE)");
	}
	parse_leave(p);
	return TARN_OK;
}

/* ---- entry points -------------------------------------------------------------------- */

static tarn_rc parser_init(struct parser *p, const char *text, size_t len,
			   struct tarn_arena *arena, struct tarn_err *err)
{
	memset(p, 0, sizeof *p);
	tarn_err_clear(&p->e);
	p->arena = arena;
	if (!text && len)
		return tarn_err_set(err, TARN_EUSAGE, "sql_parse: NULL text");
	TRY(sql_text_check(text ? text : "", len, err));
	char *copy = tarn_arena_alloc(arena, len + 1);
	if (!copy)
		return tarn_err_nomem(err, "SQL text");
	if (len)
		memcpy(copy, text, len);
	copy[len] = '\0';
	p->text = copy;
	p->len = len;
	sql_lex_init(&p->lx, copy, len, arena);
	return TARN_OK;
}

/* Design note 4: hand the parser's error to the caller. */
static tarn_rc parser_finish(struct parser *p, tarn_rc rc, struct tarn_err *err)
{
	if (rc == TARN_OK && p->lex_rc)
		rc = p->lex_rc;
	if (rc == TARN_OK)
		return TARN_OK;
	if (p->e.rc != TARN_OK)
		rc = p->e.rc;
	if (err && err->rc == TARN_OK) {
		if (p->e.rc != TARN_OK)
			*err = p->e;
		else
			tarn_err_set(err, rc, "SQL parse failed");
	}
	return rc;
}

static tarn_rc expect_end(struct parser *p)
{
	if (parse_kind(p, 0) == TOK_EOF)
		return TARN_OK;
	return parse_expected(p, "end of input");
}

tarn_rc sql_parse(const char *text, size_t len, struct tarn_arena *arena,
		  struct sql_script **out, struct tarn_err *err)
{
	struct parser p;
	*out = NULL;
	TRY(parser_init(&p, text, len, arena, err));
	tarn_rc rc;
	struct sql_script *script = NULL;
	struct vec v = {0};
	TRY_OUT(parse_alloc(&p, sizeof *script, &script));
	for (;;) {
		while (parse_accept(&p, TOK_SEMI)) {
		}
		if (parse_kind(&p, 0) == TOK_EOF)
			break;
		p.param_max = p.param_next = 0;
		p.param_style = PARAM_NONE;
		struct sql_stmt *s;
		TRY_OUT(parse_stmt(&p, &s));
		s->end = p.prev_end;
		s->n_params = p.param_max;
		TRY_OUT(VEC_PUSH(&p, &v, s));
		if (!parse_accept(&p, TOK_SEMI) && parse_kind(&p, 0) != TOK_EOF) {
			rc = parse_expected(&p, "';' or end of input");
			goto out;
		}
	}
	script->stmts = v.items;
	script->n = v.n;
	script->text = p.text;
	script->len = p.len;
	rc = TARN_OK;
out:
	rc = parser_finish(&p, rc, err);
	if (rc == TARN_OK)
		*out = script;
	return rc;
}

tarn_rc sql_parse_expr(const char *text, size_t len, struct tarn_arena *arena,
		       struct sql_expr **out, struct tarn_err *err)
{
	struct parser p;
	*out = NULL;
	TRY(parser_init(&p, text, len, arena, err));
	struct sql_expr *e = NULL;
	tarn_rc rc = parse_expr(&p, &e);
	if (rc == TARN_OK)
		rc = expect_end(&p);
	rc = parser_finish(&p, rc, err);
	if (rc == TARN_OK)
		*out = e;
	return rc;
}

tarn_rc sql_parse_type(const char *text, size_t len, struct tarn_arena *arena,
		       struct sql_type **out, struct tarn_err *err)
{
	struct parser p;
	*out = NULL;
	TRY(parser_init(&p, text, len, arena, err));
	struct sql_type *t = NULL;
	tarn_rc rc = parse_type(&p, &t);
	if (rc == TARN_OK)
		rc = expect_end(&p);
	rc = parser_finish(&p, rc, err);
	if (rc == TARN_OK)
		*out = t;
	return rc;
}
