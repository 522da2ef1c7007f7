/*
 * parse_query.c — query expressions: WITH, SELECT (select list, FROM with
 * joins and table functions, WHERE, GROUP BY with ROLLUP/CUBE/GROUPING
 * SETS, HAVING, WINDOW, QUALIFY), VALUES, set operations, ORDER BY and
 * LIMIT/OFFSET/FETCH.
 *
 * Set operations use precedence climbing (INTERSECT above UNION and EXCEPT)
 * and collect a run of the same operator into one node (ast.h). A '('
 * inside FROM or an expression may open either a query or something else;
 * when what was parsed as a parenthesized subquery is followed by UNION,
 * ORDER BY or LIMIT, parse_query_after carries on with it as the first
 * operand, so nothing is parsed twice.
 *
 * Relies on parse.c (tokens, names, errors) and parse_expr.c. Thread-safety:
 * per parser.
 */
#include <string.h>

#include "sql/parse_int.h"

bool parse_starts_query(struct parser *p, unsigned k)
{
	enum sql_kw kw = parse_kw(p, k);
	if (kw == KW_SELECT || kw == KW_WITH || kw == KW_VALUES)
		return true;
	if (parse_kind(p, k) != TOK_LPAREN)
		return false;
	kw = parse_kw(p, k + 1);
	return kw == KW_SELECT || kw == KW_WITH || kw == KW_VALUES ||
	       parse_kind(p, k + 1) == TOK_LPAREN;
}

bool parse_continues_query(struct parser *p)
{
	switch (parse_kw(p, 0)) {
	case KW_UNION:
	case KW_INTERSECT:
	case KW_EXCEPT:
	case KW_ORDER:
	case KW_LIMIT:
	case KW_OFFSET:
	case KW_FETCH:
		return true;
	default:
		return false;
	}
}

static tarn_rc new_query(struct parser *p, enum sql_query_kind kind, sql_loc loc,
			 struct sql_query **out)
{
	TRY(parse_alloc(p, sizeof **out, out));
	(*out)->kind = kind;
	(*out)->loc = loc;
	return TARN_OK;
}

static tarn_rc parse_table_ref(struct parser *p, struct sql_tref **out);

/* ---- VALUES -------------------------------------------------------------------------- */

static tarn_rc parse_values(struct parser *p, struct sql_query **out)
{
	struct sql_query *q;
	TRY(new_query(p, SQL_QUERY_VALUES, parse_loc(p), &q));
	*out = q;
	parse_advance(p); /* VALUES */
	struct vec v = {0};
	for (;;) {
		sql_loc at = parse_loc(p);
		struct sql_expr **row;
		int n;
		TRY(parse_expect(p, TOK_LPAREN));
		TRY(parse_expr_list(p, &row, &n));
		TRY(parse_expect(p, TOK_RPAREN));
		if (q->n_rows == 0)
			q->n_cols = n;
		else if (n != q->n_cols)
			return parse_fail(p, TARN_EDATA, at,
					  "VALUES rows must have the same number of values: row %d "
					  "has %d, the first row has %d",
					  q->n_rows + 1, n, q->n_cols);
		for (int i = 0; i < n; i++)
			TRY(VEC_PUSH(p, &v, row[i]));
		q->n_rows++;
		/* A comma not followed by '(' ends a bare VALUES in FROM. */
		if (parse_kind(p, 0) != TOK_COMMA || parse_kind(p, 1) != TOK_LPAREN)
			break;
		parse_advance(p);
	}
	q->values = v.items;
	return TARN_OK;
}

/* ---- FROM ---------------------------------------------------------------------------- */

static tarn_rc parse_alias(struct parser *p, struct sql_alias *a)
{
	if (parse_accept_kw(p, KW_AS)) {
		if (!parse_is_label(parse_peek(p, 0)))
			return parse_expected(p, "alias");
	} else if (!parse_is_alias(parse_peek(p, 0))) {
		return TARN_OK;
	}
	TRY(parse_take_name(p, &a->name));
	if (parse_kind(p, 0) == TOK_LPAREN)
		TRY(parse_name_list(p, &a->cols, &a->n_cols));
	return TARN_OK;
}

static tarn_rc new_tref(struct parser *p, enum sql_tref_kind kind, sql_loc loc,
			struct sql_tref **out)
{
	TRY(parse_alloc(p, sizeof **out, out));
	(*out)->kind = kind;
	(*out)->loc = loc;
	return TARN_OK;
}

static tarn_rc parse_table_primary(struct parser *p, struct sql_tref **out)
{
	int d0 = p->depth, q0 = p->parens;
	sql_loc loc = parse_loc(p);
	bool lateral = parse_accept_kw(p, KW_LATERAL);
	const struct sql_token *t = parse_peek(p, 0);
	enum sql_kw k1 = parse_kw(p, 1);
	bool subquery = k1 == KW_SELECT || k1 == KW_WITH || k1 == KW_VALUES;
	/* A FROM item is a level; parentheses around a join only group. */
	if (t->kind == TOK_LPAREN && !subquery)
		TRY(parse_enter_parens(p));
	else
		TRY(parse_enter(p));
	struct sql_tref *r;
	if (t->kind == TOK_LPAREN) {
		parse_advance(p);
		if (subquery) {
			TRY(new_tref(p, SQL_TREF_SUBQUERY, loc, &r));
			TRY(parse_query_nested(p, &r->subquery));
		} else {
			/* A parenthesized join, or a query whose first operand is
			 * itself parenthesized: ((SELECT ...) UNION ...). */
			TRY(parse_table_ref(p, &r));
			if (r->kind == SQL_TREF_SUBQUERY && !r->alias.name.s && !r->lateral &&
			    parse_continues_query(p))
				TRY(parse_query_after(p, r->subquery, &r->subquery));
		}
		TRY(parse_expect(p, TOK_RPAREN));
		if (r->alias.name.s && (parse_kw(p, 0) == KW_AS || parse_is_alias(parse_peek(p, 0))))
			return parse_fail(p, TARN_EDATA, parse_loc(p),
					  "this FROM item already has an alias");
	} else if (t->kind == TOK_STRING) {
		TRY(new_tref(p, SQL_TREF_PATH, loc, &r));
		TRY(parse_strdup(p, t->val, t->vlen, &r->path.s));
		r->path.len = t->vlen;
		parse_advance(p);
	} else if (t->kind == TOK_IDENT && t->kw == KW_VALUES) {
		TRY(new_tref(p, SQL_TREF_SUBQUERY, loc, &r));
		TRY(parse_values(p, &r->subquery));
	} else if (parse_is_colid(t)) {
		struct sql_qname name;
		TRY(parse_qname(p, "table name", &name));
		if (parse_accept(p, TOK_LPAREN)) {
			TRY(new_tref(p, SQL_TREF_FUNC, loc, &r));
			r->func.name = name;
			TRY(parse_call_args(p, true, &r->func.args, &r->func.n_args));
		} else {
			TRY(new_tref(p, SQL_TREF_TABLE, loc, &r));
			r->table = name;
		}
	} else {
		return parse_expected(p, "table name, file path, table function or subquery");
	}
	if (lateral && r->kind != SQL_TREF_SUBQUERY && r->kind != SQL_TREF_FUNC)
		return parse_fail(p, TARN_EDATA, loc,
				  "LATERAL must be followed by a subquery or a table function");
	r->lateral = r->lateral || lateral;
	if (!r->alias.name.s)
		TRY(parse_alias(p, &r->alias));
	p->depth = d0;
	p->parens = q0;
	*out = r;
	return TARN_OK;
}

/* A FROM item and the joins that follow it (left-deep). */
static tarn_rc parse_table_ref(struct parser *p, struct sql_tref **out)
{
	int d0 = p->depth;
	struct sql_tref *left;
	TRY(parse_table_primary(p, &left));
	for (;;) {
		bool natural = false, asof = false;
		sql_loc at = parse_loc(p);
		if (parse_accept_kw(p, KW_NATURAL))
			natural = true;
		if (parse_accept_kw(p, KW_ASOF))
			asof = true;
		enum sql_join_kind kind;
		switch (parse_kw(p, 0)) {
		case KW_JOIN:
			kind = SQL_JOIN_INNER;
			break;
		case KW_INNER:
			kind = SQL_JOIN_INNER;
			parse_advance(p);
			break;
		case KW_LEFT:
		case KW_RIGHT:
		case KW_FULL:
			kind = parse_kw(p, 0) == KW_LEFT    ? SQL_JOIN_LEFT
			       : parse_kw(p, 0) == KW_RIGHT ? SQL_JOIN_RIGHT
							    : SQL_JOIN_FULL;
			parse_advance(p);
			parse_accept_kw(p, KW_OUTER);
			break;
		case KW_SEMI:
		case KW_ANTI:
			kind = parse_kw(p, 0) == KW_SEMI ? SQL_JOIN_SEMI : SQL_JOIN_ANTI;
			parse_advance(p);
			break;
		case KW_CROSS:
		case KW_POSITIONAL:
			kind = parse_kw(p, 0) == KW_CROSS ? SQL_JOIN_CROSS : SQL_JOIN_POSITIONAL;
			if (natural || asof)
				return parse_fail(p, TARN_EDATA, at,
						  "NATURAL and ASOF cannot be combined with %s JOIN",
						  sql_keyword_name(parse_kw(p, 0)));
			parse_advance(p);
			break;
		default:
			if (natural || asof)
				return parse_expected(p, "JOIN");
			p->depth = d0;
			*out = left;
			return TARN_OK;
		}
		TRY(parse_expect_kw(p, KW_JOIN));
		TRY(parse_enter(p)); /* design note 1: one level per join */
		struct sql_tref *j;
		TRY(new_tref(p, SQL_TREF_JOIN, left->loc, &j));
		j->join.kind = kind;
		j->join.natural = natural;
		j->join.asof = asof;
		j->join.left = left;
		TRY(parse_table_primary(p, &j->join.right));
		if (!natural && kind != SQL_JOIN_CROSS && kind != SQL_JOIN_POSITIONAL) {
			if (parse_accept_kw(p, KW_ON))
				TRY(parse_expr(p, &j->join.on));
			else if (parse_accept_kw(p, KW_USING))
				TRY(parse_name_list(p, &j->join.using_cols, &j->join.n_using));
			else
				return parse_expected(p, "ON or USING");
		}
		left = j;
	}
}

/* ---- SELECT ---------------------------------------------------------------------------- */

/* * [EXCLUDE (cols) | EXCLUDE col] [REPLACE (expr AS col, ...)] */
static tarn_rc parse_star_modifiers(struct parser *p, struct sql_star *s)
{
	if (parse_accept_kw(p, KW_EXCLUDE)) {
		if (parse_kind(p, 0) == TOK_LPAREN) {
			TRY(parse_name_list(p, &s->exclude, &s->n_exclude));
		} else {
			TRY(parse_alloc(p, sizeof *s->exclude, &s->exclude));
			TRY(parse_colid(p, "column name", s->exclude));
			s->n_exclude = 1;
		}
	}
	if (parse_kw(p, 0) == KW_REPLACE && parse_kind(p, 1) == TOK_LPAREN) {
		struct vec ev = {0}, nv = {0};
		parse_advance(p);
		parse_advance(p);
		do {
			struct sql_expr *e;
			struct sql_name n;
			TRY(parse_expr(p, &e));
			TRY(parse_expect_kw(p, KW_AS));
			if (!parse_is_label(parse_peek(p, 0)))
				return parse_expected(p, "column name");
			TRY(parse_take_name(p, &n));
			TRY(VEC_PUSH(p, &ev, e));
			TRY(VEC_PUSH(p, &nv, n));
		} while (parse_accept(p, TOK_COMMA));
		TRY(parse_expect(p, TOK_RPAREN));
		s->replace_exprs = ev.items;
		s->replace_names = nv.items;
		s->n_replace = ev.n;
	}
	return TARN_OK;
}

static tarn_rc parse_select_items(struct parser *p, struct sql_select *s)
{
	struct vec v = {0};
	for (;;) {
		struct sql_select_item it;
		memset(&it, 0, sizeof it);
		if (parse_kind(p, 0) == TOK_STAR) {
			TRY(parse_new_expr(p, SQL_EXPR_STAR, parse_loc(p), &it.expr));
			parse_advance(p);
		} else {
			TRY(parse_expr_or_star(p, &it.expr));
		}
		if (it.expr->kind == SQL_EXPR_STAR) {
			TRY(parse_star_modifiers(p, &it.expr->star));
		} else if (parse_accept_kw(p, KW_AS)) {
			if (!parse_is_label(parse_peek(p, 0)))
				return parse_expected(p, "alias");
			TRY(parse_take_name(p, &it.alias));
		} else if (parse_is_alias(parse_peek(p, 0))) {
			TRY(parse_take_name(p, &it.alias));
		}
		TRY(VEC_PUSH(p, &v, it));
		/* DuckDB allows a trailing comma before FROM. */
		if (!parse_accept(p, TOK_COMMA) || parse_kw(p, 0) == KW_FROM)
			break;
	}
	s->items = v.items;
	s->n_items = v.n;
	return TARN_OK;
}

static tarn_rc parse_group_item(struct parser *p, struct sql_group_item *g)
{
	memset(g, 0, sizeof *g);
	g->loc = parse_loc(p);
	enum sql_kw k0 = parse_kw(p, 0), k1 = parse_kw(p, 1);
	if (parse_kind(p, 0) == TOK_LPAREN && parse_kind(p, 1) == TOK_RPAREN) {
		g->kind = SQL_GROUP_EMPTY;
		parse_advance(p);
		parse_advance(p);
	} else if ((k0 == KW_ROLLUP || k0 == KW_CUBE) && parse_kind(p, 1) == TOK_LPAREN) {
		g->kind = k0 == KW_ROLLUP ? SQL_GROUP_ROLLUP : SQL_GROUP_CUBE;
		parse_advance(p);
		parse_advance(p);
		TRY(parse_expr_list(p, &g->args, &g->n_args));
		TRY(parse_expect(p, TOK_RPAREN));
	} else if (k0 == KW_GROUPING && k1 == KW_SETS) {
		int d0 = p->depth;
		TRY(parse_enter(p));
		g->kind = SQL_GROUP_SETS;
		parse_advance(p);
		parse_advance(p);
		TRY(parse_expect(p, TOK_LPAREN));
		struct vec v = {0};
		do {
			struct sql_group_item sub;
			TRY(parse_group_item(p, &sub));
			TRY(VEC_PUSH(p, &v, sub));
		} while (parse_accept(p, TOK_COMMA));
		TRY(parse_expect(p, TOK_RPAREN));
		g->sets = v.items;
		g->n_sets = v.n;
		p->depth = d0;
	} else {
		g->kind = SQL_GROUP_EXPR;
		TRY(parse_expr(p, &g->expr));
	}
	return TARN_OK;
}

static tarn_rc parse_select(struct parser *p, struct sql_query **out)
{
	struct sql_query *q;
	struct sql_select *s;
	TRY(new_query(p, SQL_QUERY_SELECT, parse_loc(p), &q));
	TRY(parse_alloc(p, sizeof *s, &s));
	q->select = s;
	*out = q;
	parse_advance(p); /* SELECT */
	if (parse_accept_kw(p, KW_DISTINCT)) {
		s->distinct = SQL_DISTINCT_ALL;
		if (parse_kw(p, 0) == KW_ON && parse_kind(p, 1) == TOK_LPAREN) {
			parse_advance(p);
			parse_advance(p);
			s->distinct = SQL_DISTINCT_ON;
			TRY(parse_expr_list(p, &s->distinct_on, &s->n_distinct_on));
			TRY(parse_expect(p, TOK_RPAREN));
		}
	} else {
		parse_accept_kw(p, KW_ALL);
	}
	TRY(parse_select_items(p, s));
	if (parse_accept_kw(p, KW_FROM)) {
		struct vec v = {0};
		do {
			struct sql_tref *r;
			TRY(parse_table_ref(p, &r));
			TRY(VEC_PUSH(p, &v, r));
		} while (parse_accept(p, TOK_COMMA));
		s->from = v.items;
		s->n_from = v.n;
	}
	if (parse_accept_kw(p, KW_WHERE))
		TRY(parse_expr(p, &s->where));
	if (parse_accept_kw(p, KW_GROUP)) {
		TRY(parse_expect_kw(p, KW_BY));
		if (parse_accept_kw(p, KW_ALL)) {
			s->group_all = true;
		} else {
			struct vec v = {0};
			do {
				struct sql_group_item g;
				TRY(parse_group_item(p, &g));
				TRY(VEC_PUSH(p, &v, g));
			} while (parse_accept(p, TOK_COMMA));
			s->group = v.items;
			s->n_group = v.n;
		}
	}
	if (parse_accept_kw(p, KW_HAVING))
		TRY(parse_expr(p, &s->having));
	if (parse_accept_kw(p, KW_WINDOW)) {
		struct vec v = {0};
		do {
			struct sql_window_def w;
			TRY(parse_colid(p, "window name", &w.name));
			TRY(parse_expect_kw(p, KW_AS));
			TRY(parse_expect(p, TOK_LPAREN));
			TRY(parse_window_spec(p, &w.spec));
			TRY(parse_expect(p, TOK_RPAREN));
			TRY(VEC_PUSH(p, &v, w));
		} while (parse_accept(p, TOK_COMMA));
		s->windows = v.items;
		s->n_windows = v.n;
	}
	if (parse_accept_kw(p, KW_QUALIFY))
		TRY(parse_expr(p, &s->qualify));
	return TARN_OK;
}

/* ---- query expressions ------------------------------------------------------------------ */

static tarn_rc parse_with(struct parser *p, struct sql_with **out)
{
	struct sql_with *w;
	TRY(parse_alloc(p, sizeof *w, &w));
	*out = w;
	parse_advance(p); /* WITH */
	w->recursive = parse_accept_kw(p, KW_RECURSIVE);
	struct vec v = {0};
	do {
		struct sql_cte c;
		memset(&c, 0, sizeof c);
		TRY(parse_colid(p, "name of a WITH query", &c.name));
		if (parse_kind(p, 0) == TOK_LPAREN)
			TRY(parse_name_list(p, &c.cols, &c.n_cols));
		TRY(parse_expect_kw(p, KW_AS));
		if (parse_kw(p, 0) == KW_NOT && parse_kw(p, 1) == KW_MATERIALIZED) {
			parse_advance(p);
			parse_advance(p);
			c.materialized = SQL_CTE_NOT_MATERIALIZED;
		} else if (parse_accept_kw(p, KW_MATERIALIZED)) {
			c.materialized = SQL_CTE_MATERIALIZED;
		}
		TRY(parse_expect(p, TOK_LPAREN));
		TRY(parse_query(p, &c.query));
		TRY(parse_expect(p, TOK_RPAREN));
		TRY(VEC_PUSH(p, &v, c));
	} while (parse_accept(p, TOK_COMMA));
	w->ctes = v.items;
	w->n = v.n;
	return TARN_OK;
}

static tarn_rc parse_query_primary(struct parser *p, struct sql_query **out)
{
	switch (parse_kw(p, 0)) {
	case KW_SELECT:
		return parse_select(p, out);
	case KW_VALUES:
		return parse_values(p, out);
	default:
		break;
	}
	if (parse_kind(p, 0) != TOK_LPAREN)
		return parse_expected(p, "SELECT, VALUES or '('");
	parse_advance(p);
	TRY(parse_enter_parens(p));
	TRY(parse_query_nested(p, out));
	parse_leave_parens(p);
	return parse_expect(p, TOK_RPAREN);
}

static int setop_prec(struct parser *p, enum sql_setop_kind *op)
{
	switch (parse_kw(p, 0)) {
	case KW_UNION: *op = SQL_SETOP_UNION; return 1;
	case KW_EXCEPT: *op = SQL_SETOP_EXCEPT; return 1;
	case KW_INTERSECT: *op = SQL_SETOP_INTERSECT; return 2;
	default: return 0;
	}
}

/* Appends to a set-operation node. args[] is allocated in powers of two, so
 * a full array is one whose length is a power of two. */
static tarn_rc setop_append(struct parser *p, struct sql_query *q, struct sql_query *arg)
{
	int n = q->n_args;
	if ((n & (n - 1)) == 0) {
		struct sql_query **a;
		TRY(parse_alloc(p, (size_t)n * 2 * sizeof *a, &a));
		memcpy(a, q->args, (size_t)n * sizeof *a);
		q->args = a;
	}
	q->args[q->n_args++] = arg;
	return TARN_OK;
}

static tarn_rc parse_setop(struct parser *p, int min, struct sql_query **out);

static tarn_rc parse_setop_from(struct parser *p, struct sql_query *left, int min,
				struct sql_query **out)
{
	int d0 = p->depth;
	enum sql_setop_kind op;
	int prec;
	while ((prec = setop_prec(p, &op)) && prec >= min) {
		parse_advance(p);
		bool all = false, by_name = false;
		if (parse_accept_kw(p, KW_ALL))
			all = true;
		else
			parse_accept_kw(p, KW_DISTINCT);
		if (parse_kw(p, 0) == KW_BY && parse_kw(p, 1) == KW_NAME) {
			parse_advance(p);
			parse_advance(p);
			by_name = true;
		}
		/* The right operand is one level down; a new node (not a run of
		 * the same operator) is one more level for what follows. */
		struct sql_query *right;
		int d1 = p->depth;
		TRY(parse_enter(p));
		TRY(parse_setop(p, prec + 1, &right));
		p->depth = d1;
		if (left->kind == SQL_QUERY_SETOP && left->op == op && left->all == all &&
		    left->by_name == by_name && !left->with && !left->n_order && !left->limit &&
		    !left->offset) {
			TRY(setop_append(p, left, right));
			continue;
		}
		struct sql_query *q;
		TRY(parse_enter(p)); /* design note 1 */
		TRY(new_query(p, SQL_QUERY_SETOP, left->loc, &q));
		q->op = op;
		q->all = all;
		q->by_name = by_name;
		TRY(parse_alloc(p, 2 * sizeof *q->args, &q->args));
		q->args[0] = left;
		q->args[1] = right;
		q->n_args = 2;
		left = q;
	}
	p->depth = d0;
	*out = left;
	return TARN_OK;
}

static tarn_rc parse_setop(struct parser *p, int min, struct sql_query **out)
{
	struct sql_query *left;
	TRY(parse_query_primary(p, &left));
	return parse_setop_from(p, left, min, out);
}

/* ORDER BY, LIMIT, OFFSET, FETCH for query q. */
static tarn_rc parse_tail(struct parser *p, struct sql_query *q)
{
	if (parse_kw(p, 0) == KW_ORDER) {
		sql_loc at = parse_loc(p);
		parse_advance(p);
		TRY(parse_expect_kw(p, KW_BY));
		if (q->n_order)
			return parse_fail(p, TARN_EDATA, at, "multiple ORDER BY clauses");
		TRY(parse_order_by(p, &q->order, &q->n_order, true));
	}
	bool had = q->limit || q->offset, limit = false, offset = false;
	for (;;) {
		sql_loc at = parse_loc(p);
		enum sql_kw kw = parse_kw(p, 0);
		if (kw != KW_LIMIT && kw != KW_OFFSET && kw != KW_FETCH)
			return TARN_OK;
		bool is_offset = kw == KW_OFFSET;
		if (had || (is_offset ? offset : limit))
			return parse_fail(p, TARN_EDATA, at, "multiple %s clauses",
					  is_offset ? "OFFSET" : "LIMIT");
		parse_advance(p);
		if (kw == KW_LIMIT) {
			limit = true;
			if (!parse_accept_kw(p, KW_ALL))
				TRY(parse_expr(p, &q->limit));
		} else if (kw == KW_OFFSET) {
			offset = true;
			TRY(parse_expr(p, &q->offset));
			if (!parse_accept_kw(p, KW_ROWS))
				parse_accept_kw(p, KW_ROW);
		} else {
			limit = true;
			if (!parse_accept_kw(p, KW_FIRST) && !parse_accept_kw(p, KW_NEXT))
				return parse_expected(p, "FIRST or NEXT");
			enum sql_kw r = parse_kw(p, 0);
			if (r == KW_ROW || r == KW_ROWS) {
				TRY(parse_new_expr(p, SQL_EXPR_LITERAL, parse_loc(p), &q->limit));
				q->limit->lit = (struct sql_lit){.kind = SQL_LIT_INTEGER,
								 .fits_i64 = true,
								 .i = 1,
								 .text = "1",
								 .len = 1};
			} else {
				TRY(parse_expr(p, &q->limit));
			}
			if (!parse_accept_kw(p, KW_ROWS) && !parse_accept_kw(p, KW_ROW))
				return parse_expected(p, "ROW or ROWS");
			if (parse_kw(p, 0) == KW_WITH)
				return parse_fail(p, TARN_EUNSUPPORTED, parse_loc(p),
						  "FETCH ... WITH TIES is not supported");
			TRY(parse_expect_kw(p, KW_ONLY));
		}
	}
}

tarn_rc parse_query_after(struct parser *p, struct sql_query *first, struct sql_query **out)
{
	TRY(parse_setop_from(p, first, 1, out));
	return parse_tail(p, *out);
}

static tarn_rc query_at(struct parser *p, bool counted, struct sql_query **out)
{
	int d0 = p->depth;
	if (counted)
		TRY(parse_enter(p));
	sql_loc loc = parse_loc(p);
	struct sql_with *with = NULL;
	if (parse_kw(p, 0) == KW_WITH)
		TRY(parse_with(p, &with));
	struct sql_query *q;
	TRY(parse_setop(p, 1, &q));
	TRY(parse_tail(p, q));
	if (with) {
		if (q->with)
			return parse_fail(p, TARN_EDATA, q->loc, "multiple WITH clauses");
		q->with = with;
		q->loc = loc;
	}
	p->depth = d0;
	*out = q;
	return TARN_OK;
}

tarn_rc parse_query(struct parser *p, struct sql_query **out)
{
	return query_at(p, true, out);
}

tarn_rc parse_query_nested(struct parser *p, struct sql_query **out)
{
	return query_at(p, false, out);
}
