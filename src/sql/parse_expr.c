/*
 * parse_expr.c — expressions, types, ORDER BY lists, window specifications
 * and call arguments.
 *
 * Operators are parsed by precedence climbing over the Postgres precedence
 * table (enum prec in parse_int.h, lowest first): OR, AND, NOT, IS,
 * comparison, BETWEEN/IN/LIKE, other operators (|| ~ & | # << >>), + -,
 * * / // %, ^ **, AT TIME ZONE, unary + - ~, then the postfix :: [] and '.'.
 * As in Postgres and DuckDB, comparisons, BETWEEN and LIKE do not chain
 * (a = b = c is an error), IS and IN do (left to right), and ^ is
 * left-associative. The special forms with keywords inside parentheses
 * (EXTRACT, SUBSTRING, POSITION, TRIM) become ordinary calls, as ast.h lists.
 *
 * Relies on parse.c for tokens, names and errors. Thread-safety: per parser.
 */
#include <string.h>

#include "sql/parse_int.h"

/* ---- small constructors ------------------------------------------------------------ */

tarn_rc parse_new_expr(struct parser *p, enum sql_expr_kind kind, sql_loc loc,
		       struct sql_expr **out)
{
	TRY(parse_alloc(p, sizeof **out, out));
	(*out)->kind = kind;
	(*out)->loc = loc;
	return TARN_OK;
}

static tarn_rc new_binary(struct parser *p, enum sql_op op, struct sql_expr *l,
			  struct sql_expr *r, struct sql_expr **out)
{
	TRY(parse_new_expr(p, SQL_EXPR_BINARY, l->loc, out));
	(*out)->binary.op = op;
	(*out)->binary.l = l;
	(*out)->binary.r = r;
	return TARN_OK;
}

/* A call to a built-in function that a special form desugars into. */
static tarn_rc new_call(struct parser *p, const char *name, sql_loc loc, struct sql_expr **args,
			int n, struct sql_expr **out)
{
	struct sql_expr *e;
	TRY(parse_new_expr(p, SQL_EXPR_FUNC, loc, &e));
	TRY(parse_alloc(p, sizeof *e->func.name.parts, &e->func.name.parts));
	e->func.name.n = 1;
	e->func.name.loc = loc;
	e->func.name.parts[0] = (struct sql_name){name, (uint32_t)strlen(name), loc, false};
	if (n) {
		TRY(parse_alloc(p, (size_t)n * sizeof *e->func.args, &e->func.args));
		for (int i = 0; i < n; i++)
			e->func.args[i].value = args[i];
	}
	e->func.n_args = n;
	*out = e;
	return TARN_OK;
}

static tarn_rc string_literal(struct parser *p, const char *s, size_t n, sql_loc loc,
			      struct sql_expr **out)
{
	TRY(parse_new_expr(p, SQL_EXPR_LITERAL, loc, out));
	(*out)->lit.kind = SQL_LIT_STRING;
	(*out)->lit.len = (uint32_t)n;
	return parse_strdup(p, s, n, &(*out)->lit.text);
}

/* Parses [-]digits into *v; false if it does not fit in int64. */
static bool text_to_i64(const char *s, uint32_t n, int64_t *v)
{
	bool neg = n && s[0] == '-';
	uint32_t i = neg ? 1 : 0;
	uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX, acc = 0;
	if (i == n)
		return false;
	for (; i < n; i++) {
		unsigned d = (unsigned)(s[i] - '0');
		if (d > 9 || acc > (limit - d) / 10)
			return false;
		acc = acc * 10 + d;
	}
	*v = neg ? (int64_t)(0 - acc) : (int64_t)acc;
	return true;
}

static tarn_rc set_number(struct parser *p, struct sql_expr *e, enum sql_lit_kind kind,
			  const char *s, uint32_t n, bool neg)
{
	char *t = tarn_arena_alloc(p->arena, (size_t)n + 2);
	if (!t)
		return parse_nomem(p);
	uint32_t o = 0;
	if (neg)
		t[o++] = '-';
	memcpy(t + o, s, n);
	o += n;
	t[o] = '\0';
	e->lit.kind = kind;
	e->lit.text = t;
	e->lit.len = o;
	e->lit.fits_i64 = kind == SQL_LIT_INTEGER && text_to_i64(t, o, &e->lit.i);
	return TARN_OK;
}

static tarn_rc number_literal(struct parser *p, bool neg, sql_loc loc, struct sql_expr **out)
{
	const struct sql_token *t = parse_peek(p, 0);
	enum sql_lit_kind kind = t->kind == TOK_INTEGER	  ? SQL_LIT_INTEGER
				 : t->kind == TOK_DECIMAL ? SQL_LIT_DECIMAL
							  : SQL_LIT_FLOAT;
	TRY(parse_new_expr(p, SQL_EXPR_LITERAL, loc, out));
	TRY(set_number(p, *out, kind, t->val, t->vlen, neg));
	parse_advance(p);
	return TARN_OK;
}

static bool is_number_lit(const struct sql_expr *e)
{
	return e->kind == SQL_EXPR_LITERAL &&
	       (e->lit.kind == SQL_LIT_INTEGER || e->lit.kind == SQL_LIT_DECIMAL ||
		e->lit.kind == SQL_LIT_FLOAT);
}

/* -literal folds into the literal (ast.h). */
static tarn_rc negate_literal(struct parser *p, struct sql_expr *e, sql_loc loc)
{
	const char *s = e->lit.text;
	uint32_t n = e->lit.len;
	bool neg = !(n && s[0] == '-');
	if (!neg)
		s++, n--;
	e->loc = loc;
	return set_number(p, e, e->lit.kind, s, n, neg);
}

/* ---- types ------------------------------------------------------------------------- */

static const struct type_name {
	const char *name;
	enum sql_type_id id;
	uint8_t unit;
	bool tz;
} type_names[] = {
	{"bigint", SQL_TYPE_BIGINT, 0, false},
	{"binary", SQL_TYPE_BLOB, 0, false},
	{"blob", SQL_TYPE_BLOB, 0, false},
	{"bool", SQL_TYPE_BOOLEAN, 0, false},
	{"boolean", SQL_TYPE_BOOLEAN, 0, false},
	{"bpchar", SQL_TYPE_VARCHAR, 0, false},
	{"bytea", SQL_TYPE_BLOB, 0, false},
	{"char", SQL_TYPE_VARCHAR, 0, false},
	{"character", SQL_TYPE_VARCHAR, 0, false},
	{"date", SQL_TYPE_DATE, 0, false},
	{"datetime", SQL_TYPE_TIMESTAMP, 0, false},
	{"dec", SQL_TYPE_DECIMAL, 0, false},
	{"decimal", SQL_TYPE_DECIMAL, 0, false},
	{"double", SQL_TYPE_DOUBLE, 0, false},
	{"float", SQL_TYPE_FLOAT, 0, false},
	{"float4", SQL_TYPE_FLOAT, 0, false},
	{"float8", SQL_TYPE_DOUBLE, 0, false},
	{"hugeint", SQL_TYPE_HUGEINT, 0, false},
	{"int", SQL_TYPE_INTEGER, 0, false},
	{"int1", SQL_TYPE_TINYINT, 0, false},
	{"int128", SQL_TYPE_HUGEINT, 0, false},
	{"int2", SQL_TYPE_SMALLINT, 0, false},
	{"int4", SQL_TYPE_INTEGER, 0, false},
	{"int8", SQL_TYPE_BIGINT, 0, false},
	{"integer", SQL_TYPE_INTEGER, 0, false},
	{"interval", SQL_TYPE_INTERVAL, 0, false},
	{"json", SQL_TYPE_JSON, 0, false},
	{"logical", SQL_TYPE_BOOLEAN, 0, false},
	{"long", SQL_TYPE_BIGINT, 0, false},
	{"numeric", SQL_TYPE_DECIMAL, 0, false},
	{"nvarchar", SQL_TYPE_VARCHAR, 0, false},
	{"real", SQL_TYPE_FLOAT, 0, false},
	{"short", SQL_TYPE_SMALLINT, 0, false},
	{"signed", SQL_TYPE_INTEGER, 0, false},
	{"smallint", SQL_TYPE_SMALLINT, 0, false},
	{"string", SQL_TYPE_VARCHAR, 0, false},
	{"text", SQL_TYPE_VARCHAR, 0, false},
	{"time", SQL_TYPE_TIME, 0, false},
	{"timestamp", SQL_TYPE_TIMESTAMP, 0, false},
	{"timestamp_ms", SQL_TYPE_TIMESTAMP, SQL_TS_MS, false},
	{"timestamp_ns", SQL_TYPE_TIMESTAMP, SQL_TS_NS, false},
	{"timestamp_s", SQL_TYPE_TIMESTAMP, SQL_TS_S, false},
	{"timestamp_us", SQL_TYPE_TIMESTAMP, SQL_TS_US, false},
	{"timestamptz", SQL_TYPE_TIMESTAMP, 0, true},
	{"tinyint", SQL_TYPE_TINYINT, 0, false},
	{"ubigint", SQL_TYPE_UBIGINT, 0, false},
	{"uhugeint", SQL_TYPE_UHUGEINT, 0, false},
	{"uinteger", SQL_TYPE_UINTEGER, 0, false},
	{"usmallint", SQL_TYPE_USMALLINT, 0, false},
	{"utinyint", SQL_TYPE_UTINYINT, 0, false},
	{"uuid", SQL_TYPE_UUID, 0, false},
	{"varbinary", SQL_TYPE_BLOB, 0, false},
	{"varchar", SQL_TYPE_VARCHAR, 0, false},
};

/* Lower-cases word s[0..n) into buf (cap >= 24); false if too long. */
static bool lower_word(const char *s, uint32_t n, char *buf, size_t cap)
{
	if (n >= cap)
		return false;
	for (uint32_t i = 0; i < n; i++) {
		char c = s[i];
		buf[i] = c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
	}
	buf[n] = '\0';
	return true;
}

static const struct type_name *type_lookup(const char *s, uint32_t n)
{
	char w[24];
	if (!lower_word(s, n, w, sizeof w))
		return NULL;
	size_t lo = 0, hi = sizeof type_names / sizeof type_names[0];
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(w, type_names[mid].name);
		if (c == 0)
			return &type_names[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

static bool word_is(const struct sql_token *t, const char *lower)
{
	char w[24];
	return t->kind == TOK_IDENT && lower_word(t->val, t->vlen, w, sizeof w) &&
	       strcmp(w, lower) == 0;
}

static tarn_rc type_modifier(struct parser *p, int64_t *out)
{
	const struct sql_token *t = parse_peek(p, 0);
	if (t->kind != TOK_INTEGER || t->vlen > 9)
		return parse_expected(p, "a type modifier (an integer below 10^9)");
	int64_t v = 0;
	for (uint32_t i = 0; i < t->vlen; i++)
		v = v * 10 + (t->val[i] - '0');
	*out = v;
	parse_advance(p);
	return TARN_OK;
}

static tarn_rc parse_type_inner(struct parser *p, struct sql_type **out)
{
	const struct sql_token *t = parse_peek(p, 0);
	bool ok = t->kind == TOK_QIDENT ||
		  (t->kind == TOK_IDENT && sql_keyword_category(t->kw) != SQL_KW_RESERVED);
	if (!ok)
		return parse_expected(p, "type name");
	struct sql_type *ty;
	TRY(parse_alloc(p, sizeof *ty, &ty));
	ty->loc = t->off;
	*out = ty;
	char *name = tarn_arena_alloc(p->arena, (size_t)t->vlen + 1);
	if (!name)
		return parse_nomem(p);
	memcpy(name, t->val, t->vlen);
	name[t->vlen] = '\0';
	if (t->kind == TOK_IDENT)
		lower_word(t->val, t->vlen, name, (size_t)t->vlen + 1);
	ty->name = name;
	bool quoted = t->kind == TOK_QIDENT;
	parse_advance(p);

	if (!quoted && strcmp(name, "struct") == 0 && parse_kind(p, 0) == TOK_LPAREN) {
		struct vec v = {0};
		parse_advance(p);
		do {
			struct sql_type_field f;
			if (!parse_is_label(parse_peek(p, 0)))
				return parse_expected(p, "field name");
			TRY(parse_take_name(p, &f.name));
			TRY(parse_type(p, &f.type));
			TRY(VEC_PUSH(p, &v, f));
		} while (parse_accept(p, TOK_COMMA));
		TRY(parse_expect(p, TOK_RPAREN));
		ty->id = SQL_TYPE_STRUCT;
		ty->fields = v.items;
		ty->n_fields = v.n;
		return TARN_OK;
	}
	if (!quoted && strcmp(name, "map") == 0 && parse_kind(p, 0) == TOK_LPAREN) {
		parse_advance(p);
		TRY(parse_type(p, &ty->key));
		TRY(parse_expect(p, TOK_COMMA));
		TRY(parse_type(p, &ty->value));
		TRY(parse_expect(p, TOK_RPAREN));
		ty->id = SQL_TYPE_MAP;
		return TARN_OK;
	}
	const struct type_name *tn = quoted ? NULL : type_lookup(name, (uint32_t)strlen(name));
	if (tn) {
		ty->id = tn->id;
		ty->ts_unit = tn->unit;
		ty->with_tz = tn->tz;
	}
	if (tn && tn->id == SQL_TYPE_DOUBLE && word_is(parse_peek(p, 0), "precision"))
		parse_advance(p);
	if (tn && strncmp(name, "char", 4) == 0 && word_is(parse_peek(p, 0), "varying"))
		parse_advance(p);
	if (parse_kind(p, 0) == TOK_LPAREN) {
		parse_advance(p);
		TRY(type_modifier(p, &ty->mods[0]));
		ty->n_mods = 1;
		if (parse_accept(p, TOK_COMMA)) {
			TRY(type_modifier(p, &ty->mods[1]));
			ty->n_mods = 2;
		}
		TRY(parse_expect(p, TOK_RPAREN));
	}
	if (tn && (tn->id == SQL_TYPE_TIME || tn->id == SQL_TYPE_TIMESTAMP) && !tn->tz &&
	    !tn->unit && (parse_kw(p, 0) == KW_WITH || parse_kw(p, 0) == KW_WITHOUT) &&
	    parse_kw(p, 1) == KW_TIME && parse_kw(p, 2) == KW_ZONE) {
		ty->with_tz = parse_kw(p, 0) == KW_WITH;
		parse_advance(p);
		parse_advance(p);
		parse_advance(p);
	}
	return TARN_OK;
}

tarn_rc parse_type(struct parser *p, struct sql_type **out)
{
	int d0 = p->depth;
	TRY(parse_enter(p));
	TRY(parse_type_inner(p, out));
	/* T[] and T[n] wrap into lists, one level per suffix. */
	while (parse_kind(p, 0) == TOK_LBRACKET) {
		struct sql_type *list;
		TRY(parse_enter(p));
		TRY(parse_alloc(p, sizeof *list, &list));
		list->id = SQL_TYPE_LIST;
		list->loc = (*out)->loc;
		list->name = "list";
		list->elem = *out;
		parse_advance(p);
		if (parse_kind(p, 0) == TOK_INTEGER)
			TRY(type_modifier(p, &list->fixed_len));
		TRY(parse_expect(p, TOK_RBRACKET));
		*out = list;
	}
	p->depth = d0;
	return TARN_OK;
}

/* ---- ORDER BY and windows ---------------------------------------------------------- */

static void parse_sort_suffix(struct parser *p, struct sql_order_item *it)
{
	if (parse_accept_kw(p, KW_ASC))
		it->dir = SQL_SORT_ASC;
	else if (parse_accept_kw(p, KW_DESC))
		it->dir = SQL_SORT_DESC;
	if (parse_kw(p, 0) == KW_NULLS && (parse_kw(p, 1) == KW_FIRST || parse_kw(p, 1) == KW_LAST)) {
		parse_advance(p);
		it->nulls = parse_kw(p, 0) == KW_FIRST ? SQL_NULLS_FIRST : SQL_NULLS_LAST;
		parse_advance(p);
	}
}

tarn_rc parse_order_by(struct parser *p, struct sql_order_item **out, int *n, bool allow_all)
{
	struct vec v = {0};
	if (allow_all && parse_kw(p, 0) == KW_ALL) {
		struct sql_order_item it = {.loc = parse_loc(p)};
		parse_advance(p);
		parse_sort_suffix(p, &it);
		TRY(VEC_PUSH(p, &v, it));
	} else {
		do {
			struct sql_order_item it = {.loc = parse_loc(p)};
			TRY(parse_expr(p, &it.expr));
			parse_sort_suffix(p, &it);
			TRY(VEC_PUSH(p, &v, it));
		} while (parse_accept(p, TOK_COMMA));
	}
	*out = v.items;
	*n = v.n;
	return TARN_OK;
}

static tarn_rc parse_frame_bound(struct parser *p, struct sql_frame_bound *b)
{
	b->loc = parse_loc(p);
	enum sql_kw k0 = parse_kw(p, 0), k1 = parse_kw(p, 1);
	if (k0 == KW_UNBOUNDED && (k1 == KW_PRECEDING || k1 == KW_FOLLOWING)) {
		b->kind = k1 == KW_PRECEDING ? SQL_BOUND_UNBOUNDED_PRECEDING
					     : SQL_BOUND_UNBOUNDED_FOLLOWING;
		parse_advance(p);
		parse_advance(p);
		return TARN_OK;
	}
	if (k0 == KW_CURRENT && k1 == KW_ROW) {
		b->kind = SQL_BOUND_CURRENT_ROW;
		parse_advance(p);
		parse_advance(p);
		return TARN_OK;
	}
	TRY(parse_expr(p, &b->offset));
	if (parse_accept_kw(p, KW_PRECEDING))
		b->kind = SQL_BOUND_PRECEDING;
	else if (parse_accept_kw(p, KW_FOLLOWING))
		b->kind = SQL_BOUND_FOLLOWING;
	else
		return parse_expected(p, "PRECEDING or FOLLOWING");
	return TARN_OK;
}

static bool is_frame_unit(enum sql_kw k)
{
	return k == KW_ROWS || k == KW_RANGE || k == KW_GROUPS;
}

tarn_rc parse_window_spec(struct parser *p, struct sql_window **out)
{
	struct sql_window *w;
	TRY(parse_alloc(p, sizeof *w, &w));
	w->loc = parse_loc(p);
	*out = w;
	const struct sql_token *t = parse_peek(p, 0);
	enum sql_kw k1 = parse_kw(p, 1);
	/* A leading name is an existing window unless it starts a clause:
	 * PARTITION BY, or ROWS/RANGE/GROUPS followed by a frame. */
	bool clause = (t->kw == KW_PARTITION && k1 == KW_BY) ||
		      (is_frame_unit(t->kw) && t->kind == TOK_IDENT &&
		       parse_kind(p, 1) != TOK_RPAREN && k1 != KW_PARTITION && k1 != KW_ORDER);
	if (parse_is_colid(t) && !clause)
		TRY(parse_take_name(p, &w->ref));
	if (parse_kw(p, 0) == KW_PARTITION && parse_kw(p, 1) == KW_BY) {
		parse_advance(p);
		parse_advance(p);
		TRY(parse_expr_list(p, &w->partition, &w->n_partition));
	}
	if (parse_kw(p, 0) == KW_ORDER) {
		parse_advance(p);
		TRY(parse_expect_kw(p, KW_BY));
		TRY(parse_order_by(p, &w->order, &w->n_order, false));
	}
	enum sql_kw u = parse_kw(p, 0);
	if (is_frame_unit(u)) {
		w->frame = u == KW_ROWS ? SQL_FRAME_ROWS : u == KW_RANGE ? SQL_FRAME_RANGE : SQL_FRAME_GROUPS;
		parse_advance(p);
		if (parse_accept_kw(p, KW_BETWEEN)) {
			w->frame_between = true;
			TRY(parse_frame_bound(p, &w->start));
			TRY(parse_expect_kw(p, KW_AND));
			TRY(parse_frame_bound(p, &w->end));
		} else {
			TRY(parse_frame_bound(p, &w->start));
		}
		if (parse_accept_kw(p, KW_EXCLUDE)) {
			if (parse_kw(p, 0) == KW_CURRENT && parse_kw(p, 1) == KW_ROW) {
				parse_advance(p);
				parse_advance(p);
				w->exclude = SQL_EXCLUDE_CURRENT_ROW;
			} else if (parse_accept_kw(p, KW_GROUP)) {
				w->exclude = SQL_EXCLUDE_GROUP;
			} else if (parse_accept_kw(p, KW_TIES)) {
				w->exclude = SQL_EXCLUDE_TIES;
			} else if (parse_accept_kw(p, KW_NO)) {
				TRY(parse_expect_kw(p, KW_OTHERS));
				w->exclude = SQL_EXCLUDE_NO_OTHERS;
			} else {
				return parse_expected(p, "CURRENT ROW, GROUP, TIES or NO OTHERS");
			}
		}
	}
	return TARN_OK;
}

/* ---- calls ------------------------------------------------------------------------- */

static bool is_named_arg(struct parser *p, bool table)
{
	enum sql_tok k1 = parse_kind(p, 1);
	return parse_is_label(parse_peek(p, 0)) &&
	       (k1 == TOK_COLONEQ || k1 == TOK_ARROW || (table && k1 == TOK_EQ));
}

/* arg, arg, ... stopping before the first token that is not ','. */
static tarn_rc parse_args(struct parser *p, bool table, struct sql_arg **out, int *n)
{
	struct vec v = {0};
	do {
		struct sql_arg a;
		memset(&a, 0, sizeof a);
		if (is_named_arg(p, table)) {
			TRY(parse_take_name(p, &a.name));
			parse_advance(p); /* := => = */
		}
		TRY(parse_expr_or_star(p, &a.value));
		TRY(VEC_PUSH(p, &v, a));
	} while (parse_accept(p, TOK_COMMA));
	*out = v.items;
	*n = v.n;
	return TARN_OK;
}

tarn_rc parse_call_args(struct parser *p, bool table, struct sql_arg **out, int *n)
{
	*n = 0;
	if (!parse_accept(p, TOK_RPAREN)) {
		TRY(parse_args(p, table, out, n));
		TRY(parse_expect(p, TOK_RPAREN));
	}
	return TARN_OK;
}

static bool null_treatment(struct parser *p, uint8_t *out)
{
	enum sql_kw k = parse_kw(p, 0);
	if ((k != KW_IGNORE && k != KW_RESPECT) || parse_kw(p, 1) != KW_NULLS)
		return false;
	*out = k == KW_IGNORE ? SQL_NULLS_IGNORE : SQL_NULLS_RESPECT;
	parse_advance(p);
	parse_advance(p);
	return true;
}

/* name '(' ... ')' [WITHIN GROUP (...)] [FILTER (...)] [IGNORE NULLS] [OVER ...] */
static tarn_rc parse_call(struct parser *p, struct sql_qname *name, struct sql_expr **out)
{
	struct sql_expr *e;
	TRY(parse_new_expr(p, SQL_EXPR_FUNC, name->loc, &e));
	*out = e;
	struct sql_func *f = &e->func;
	f->name = *name;
	parse_advance(p); /* ( */
	if (parse_kind(p, 0) == TOK_STAR && parse_kind(p, 1) == TOK_RPAREN) {
		f->star = true;
		parse_advance(p);
	} else if (parse_kind(p, 0) != TOK_RPAREN) {
		if (parse_accept_kw(p, KW_DISTINCT))
			f->distinct = true;
		else
			parse_accept_kw(p, KW_ALL);
		TRY(parse_args(p, false, &f->args, &f->n_args));
		if (parse_kw(p, 0) == KW_ORDER) {
			parse_advance(p);
			TRY(parse_expect_kw(p, KW_BY));
			TRY(parse_order_by(p, &f->order, &f->n_order, false));
		}
		null_treatment(p, &f->nulls);
	}
	TRY(parse_expect(p, TOK_RPAREN));
	if (parse_kw(p, 0) == KW_WITHIN && parse_kw(p, 1) == KW_GROUP) {
		parse_advance(p);
		parse_advance(p);
		TRY(parse_expect(p, TOK_LPAREN));
		TRY(parse_expect_kw(p, KW_ORDER));
		TRY(parse_expect_kw(p, KW_BY));
		TRY(parse_order_by(p, &f->within, &f->n_within, false));
		TRY(parse_expect(p, TOK_RPAREN));
	}
	if (parse_kw(p, 0) == KW_FILTER && parse_kind(p, 1) == TOK_LPAREN) {
		parse_advance(p);
		parse_advance(p);
		TRY(parse_expect_kw(p, KW_WHERE));
		TRY(parse_expr(p, &f->filter));
		TRY(parse_expect(p, TOK_RPAREN));
	}
	if (!f->nulls)
		null_treatment(p, &f->nulls);
	if (parse_kw(p, 0) == KW_OVER &&
	    (parse_kind(p, 1) == TOK_LPAREN || parse_is_colid(parse_peek(p, 1)))) {
		parse_advance(p);
		if (parse_accept(p, TOK_LPAREN)) {
			TRY(parse_window_spec(p, &f->over));
			TRY(parse_expect(p, TOK_RPAREN));
		} else {
			TRY(parse_alloc(p, sizeof *f->over, &f->over));
			f->over->loc = parse_loc(p);
			f->over->bare_ref = true;
			TRY(parse_take_name(p, &f->over->ref));
		}
	}
	return TARN_OK;
}

/* ---- special forms ----------------------------------------------------------------- */

static tarn_rc parse_case(struct parser *p, struct sql_expr **out)
{
	struct sql_expr *e;
	TRY(parse_new_expr(p, SQL_EXPR_CASE, parse_loc(p), &e));
	*out = e;
	parse_advance(p); /* CASE */
	if (parse_kw(p, 0) != KW_WHEN && parse_kw(p, 0) != KW_END)
		TRY(parse_expr(p, &e->case_.operand));
	struct vec v = {0};
	while (parse_accept_kw(p, KW_WHEN)) {
		struct sql_when w;
		TRY(parse_expr(p, &w.cond));
		TRY(parse_expect_kw(p, KW_THEN));
		TRY(parse_expr(p, &w.result));
		TRY(VEC_PUSH(p, &v, w));
	}
	if (v.n == 0)
		return parse_expected(p, "WHEN");
	e->case_.whens = v.items;
	e->case_.n = v.n;
	if (parse_accept_kw(p, KW_ELSE))
		TRY(parse_expr(p, &e->case_.else_));
	return parse_expect_kw(p, KW_END);
}

static tarn_rc parse_cast(struct parser *p, bool try_, struct sql_expr **out)
{
	struct sql_expr *e;
	TRY(parse_new_expr(p, SQL_EXPR_CAST, parse_loc(p), &e));
	*out = e;
	e->cast.try_ = try_;
	parse_advance(p); /* CAST / TRY_CAST */
	TRY(parse_expect(p, TOK_LPAREN));
	TRY(parse_expr(p, &e->cast.arg));
	TRY(parse_expect_kw(p, KW_AS));
	TRY(parse_type(p, &e->cast.type));
	return parse_expect(p, TOK_RPAREN);
}

/* EXTRACT(part FROM x) -> date_part('part', x) */
static tarn_rc parse_extract(struct parser *p, struct sql_expr **out)
{
	sql_loc loc = parse_loc(p);
	parse_advance(p);
	TRY(parse_expect(p, TOK_LPAREN));
	const struct sql_token *t = parse_peek(p, 0);
	if (t->kind != TOK_STRING && !parse_is_label(t))
		return parse_expected(p, "a date part (year, month, day, ...)");
	char *part = tarn_arena_alloc(p->arena, (size_t)t->vlen + 1);
	if (!part)
		return parse_nomem(p);
	for (uint32_t i = 0; i < t->vlen; i++)
		part[i] = t->val[i] >= 'A' && t->val[i] <= 'Z' ? (char)(t->val[i] + 32) : t->val[i];
	struct sql_expr *args[2];
	TRY(string_literal(p, part, t->vlen, t->off, &args[0]));
	parse_advance(p);
	TRY(parse_expect_kw(p, KW_FROM));
	TRY(parse_expr(p, &args[1]));
	TRY(parse_expect(p, TOK_RPAREN));
	return new_call(p, "date_part", loc, args, 2, out);
}

/* Ordinary arguments after the first one: (x, more...) */
static tarn_rc plain_call(struct parser *p, const char *name, sql_loc loc, struct sql_expr *first,
			  struct sql_expr **out)
{
	struct vec v = {0};
	TRY(VEC_PUSH(p, &v, first));
	while (parse_accept(p, TOK_COMMA)) {
		struct sql_expr *a;
		TRY(parse_expr(p, &a));
		TRY(VEC_PUSH(p, &v, a));
	}
	TRY(parse_expect(p, TOK_RPAREN));
	return new_call(p, name, loc, v.items, v.n, out);
}

/* SUBSTRING(x FROM a FOR b) or substring(x, a, b) */
static tarn_rc parse_substring(struct parser *p, struct sql_expr **out)
{
	sql_loc loc = parse_loc(p);
	parse_advance(p);
	TRY(parse_expect(p, TOK_LPAREN));
	struct sql_expr *x, *from = NULL, *len = NULL;
	TRY(parse_expr(p, &x));
	if (parse_kind(p, 0) != TOK_RPAREN && parse_kw(p, 0) != KW_FROM && parse_kw(p, 0) != KW_FOR)
		return plain_call(p, "substring", loc, x, out);
	for (int i = 0; i < 2; i++) {
		if (!from && parse_accept_kw(p, KW_FROM))
			TRY(parse_expr(p, &from));
		else if (!len && parse_accept_kw(p, KW_FOR))
			TRY(parse_expr(p, &len));
	}
	TRY(parse_expect(p, TOK_RPAREN));
	if (len && !from) {
		TRY(parse_new_expr(p, SQL_EXPR_LITERAL, len->loc, &from));
		TRY(set_number(p, from, SQL_LIT_INTEGER, "1", 1, false));
	}
	struct sql_expr *args[3] = {x, from, len};
	return new_call(p, "substring", loc, args, len ? 3 : from ? 2 : 1, out);
}

/* POSITION(a IN b) -> strpos(b, a) */
static tarn_rc parse_position(struct parser *p, struct sql_expr **out)
{
	sql_loc loc = parse_loc(p);
	parse_advance(p);
	TRY(parse_expect(p, TOK_LPAREN));
	struct sql_expr *args[2];
	TRY(parse_expr_prec(p, P_OTHER, &args[1]));
	if (parse_kind(p, 0) != TOK_RPAREN && !parse_accept_kw(p, KW_IN))
		return plain_call(p, "position", loc, args[1], out);
	if (parse_kind(p, 0) == TOK_RPAREN)
		return parse_expected(p, "IN");
	TRY(parse_expr_prec(p, P_OTHER, &args[0]));
	TRY(parse_expect(p, TOK_RPAREN));
	return new_call(p, "strpos", loc, args, 2, out);
}

/* TRIM([BOTH|LEADING|TRAILING] [chars] FROM x) -> trim/ltrim/rtrim(x [, chars]) */
static tarn_rc parse_trim(struct parser *p, struct sql_expr **out)
{
	sql_loc loc = parse_loc(p);
	parse_advance(p);
	TRY(parse_expect(p, TOK_LPAREN));
	const char *name = "trim";
	bool mode = true;
	if (parse_accept_kw(p, KW_LEADING))
		name = "ltrim";
	else if (parse_accept_kw(p, KW_TRAILING))
		name = "rtrim";
	else if (!parse_accept_kw(p, KW_BOTH))
		mode = false;
	struct sql_expr *args[2];
	if (parse_accept_kw(p, KW_FROM)) {
		TRY(parse_expr(p, &args[0]));
		TRY(parse_expect(p, TOK_RPAREN));
		return new_call(p, name, loc, args, 1, out);
	}
	struct sql_expr *first;
	TRY(parse_expr(p, &first));
	if (parse_accept_kw(p, KW_FROM)) {
		args[1] = first;
		TRY(parse_expr(p, &args[0]));
		TRY(parse_expect(p, TOK_RPAREN));
		return new_call(p, name, loc, args, 2, out);
	}
	if (mode && parse_kind(p, 0) != TOK_RPAREN)
		return parse_expected(p, "FROM");
	return plain_call(p, name, loc, first, out);
}

static const struct {
	const char *name;
	enum sql_interval_unit unit;
} interval_units[] = {
	{"year", SQL_IV_YEAR},		 {"years", SQL_IV_YEAR},
	{"quarter", SQL_IV_QUARTER},	 {"quarters", SQL_IV_QUARTER},
	{"month", SQL_IV_MONTH},	 {"months", SQL_IV_MONTH},
	{"week", SQL_IV_WEEK},		 {"weeks", SQL_IV_WEEK},
	{"day", SQL_IV_DAY},		 {"days", SQL_IV_DAY},
	{"hour", SQL_IV_HOUR},		 {"hours", SQL_IV_HOUR},
	{"minute", SQL_IV_MINUTE},	 {"minutes", SQL_IV_MINUTE},
	{"second", SQL_IV_SECOND},	 {"seconds", SQL_IV_SECOND},
	{"millisecond", SQL_IV_MILLISECOND}, {"milliseconds", SQL_IV_MILLISECOND},
	{"microsecond", SQL_IV_MICROSECOND}, {"microseconds", SQL_IV_MICROSECOND},
	{"decade", SQL_IV_DECADE},	 {"decades", SQL_IV_DECADE},
	{"century", SQL_IV_CENTURY},	 {"centuries", SQL_IV_CENTURY},
	{"millennium", SQL_IV_MILLENNIUM}, {"millennia", SQL_IV_MILLENNIUM},
};

static enum sql_interval_unit interval_unit(const struct sql_token *t)
{
	char w[24];
	if (t->kind != TOK_IDENT || !lower_word(t->val, t->vlen, w, sizeof w))
		return SQL_IV_NONE;
	for (size_t i = 0; i < sizeof interval_units / sizeof interval_units[0]; i++)
		if (strcmp(w, interval_units[i].name) == 0)
			return interval_units[i].unit;
	return SQL_IV_NONE;
}

static bool is_number_tok(enum sql_tok k)
{
	return k == TOK_INTEGER || k == TOK_DECIMAL || k == TOK_FLOAT;
}

/* INTERVAL 'text' [unit] | INTERVAL [-]number unit | INTERVAL (expr) unit */
static tarn_rc parse_interval(struct parser *p, struct sql_expr **out)
{
	struct sql_expr *e;
	TRY(parse_new_expr(p, SQL_EXPR_INTERVAL, parse_loc(p), &e));
	*out = e;
	parse_advance(p); /* INTERVAL */
	const struct sql_token *t = parse_peek(p, 0);
	bool text = t->kind == TOK_STRING;
	if (text) {
		TRY(string_literal(p, t->val, t->vlen, t->off, &e->interval.value));
		parse_advance(p);
	} else if (is_number_tok(t->kind)) {
		TRY(number_literal(p, false, t->off, &e->interval.value));
	} else if (t->kind == TOK_MINUS) {
		sql_loc at = t->off;
		parse_advance(p);
		TRY(number_literal(p, true, at, &e->interval.value));
	} else {
		parse_advance(p); /* ( */
		TRY(parse_expr(p, &e->interval.value));
		TRY(parse_expect(p, TOK_RPAREN));
	}
	e->interval.unit = interval_unit(parse_peek(p, 0));
	if (e->interval.unit != SQL_IV_NONE)
		parse_advance(p);
	else if (!text)
		return parse_expected(p, "an interval unit (YEAR, MONTH, DAY, HOUR, MINUTE, SECOND, ...)");
	return TARN_OK;
}

/* ---- atoms ------------------------------------------------------------------------- */

static tarn_rc expr_at(struct parser *p, int min, bool star_ok, bool counted,
		       struct sql_expr **out);

static tarn_rc parse_paren(struct parser *p, struct sql_expr **out)
{
	sql_loc loc = parse_loc(p);
	enum sql_kw k1 = parse_kw(p, 1);
	parse_advance(p); /* ( */
	struct sql_expr *e;
	if (k1 == KW_SELECT || k1 == KW_WITH || k1 == KW_VALUES) {
		TRY(parse_new_expr(p, SQL_EXPR_SUBQUERY, loc, &e));
		TRY(parse_query(p, &e->sub.query));
		*out = e;
		return parse_expect(p, TOK_RPAREN);
	}
	/* Grouping parentheses add no level (parse_int.h design note 1). */
	TRY(parse_enter_parens(p));
	TRY(expr_at(p, P_LOWEST, false, false, &e));
	if (e->kind == SQL_EXPR_SUBQUERY && parse_continues_query(p)) {
		/* ((SELECT ...) UNION ...): the operand was a query after all. */
		TRY(parse_query_after(p, e->sub.query, &e->sub.query));
		e->loc = loc;
	}
	if (parse_kind(p, 0) == TOK_COMMA) {
		struct sql_expr *row;
		struct vec v = {0};
		TRY(parse_new_expr(p, SQL_EXPR_ROW, loc, &row));
		TRY(VEC_PUSH(p, &v, e));
		while (parse_accept(p, TOK_COMMA)) {
			TRY(parse_expr(p, &e));
			TRY(VEC_PUSH(p, &v, e));
		}
		row->list.items = v.items;
		row->list.n = v.n;
		e = row;
	}
	parse_leave_parens(p);
	*out = e;
	return parse_expect(p, TOK_RPAREN);
}

/* '[' a, b ']' after the bracket's position; closing token `close`. */
static tarn_rc parse_items(struct parser *p, enum sql_expr_kind kind, sql_loc loc,
			   enum sql_tok close, struct sql_expr **out)
{
	struct sql_expr *e;
	TRY(parse_new_expr(p, kind, loc, &e));
	*out = e;
	parse_advance(p); /* opening token */
	if (parse_kind(p, 0) != close)
		TRY(parse_expr_list(p, &e->list.items, &e->list.n));
	return parse_expect(p, close);
}

static tarn_rc parse_struct(struct parser *p, struct sql_expr **out)
{
	struct sql_expr *e;
	TRY(parse_new_expr(p, SQL_EXPR_STRUCT, parse_loc(p), &e));
	*out = e;
	parse_advance(p); /* { */
	struct vec keys = {0}, vals = {0};
	if (parse_kind(p, 0) != TOK_RBRACE) {
		do {
			const struct sql_token *t = parse_peek(p, 0);
			struct sql_name k;
			if (t->kind == TOK_STRING) {
				k.loc = t->off;
				k.quoted = true;
				k.len = t->vlen;
				TRY(parse_strdup(p, t->val, t->vlen, &k.s));
				parse_advance(p);
			} else if (parse_is_label(t)) {
				TRY(parse_take_name(p, &k));
			} else {
				return parse_expected(p, "struct field name");
			}
			TRY(parse_expect(p, TOK_COLON));
			struct sql_expr *v;
			TRY(parse_expr(p, &v));
			TRY(VEC_PUSH(p, &keys, k));
			TRY(VEC_PUSH(p, &vals, v));
		} while (parse_accept(p, TOK_COMMA));
	}
	e->struct_.keys = keys.items;
	e->struct_.values = vals.items;
	e->struct_.n = keys.n;
	return parse_expect(p, TOK_RBRACE);
}

static tarn_rc parse_map(struct parser *p, struct sql_expr **out)
{
	struct sql_expr *e;
	TRY(parse_new_expr(p, SQL_EXPR_MAP, parse_loc(p), &e));
	*out = e;
	parse_advance(p); /* MAP */
	parse_advance(p); /* { */
	struct vec keys = {0}, vals = {0};
	if (parse_kind(p, 0) != TOK_RBRACE) {
		do {
			struct sql_expr *k, *v;
			TRY(parse_expr(p, &k));
			TRY(parse_expect(p, TOK_COLON));
			TRY(parse_expr(p, &v));
			TRY(VEC_PUSH(p, &keys, k));
			TRY(VEC_PUSH(p, &vals, v));
		} while (parse_accept(p, TOK_COMMA));
	}
	e->map.keys = keys.items;
	e->map.values = vals.items;
	e->map.n = keys.n;
	return parse_expect(p, TOK_RBRACE);
}

/* name, a.b.c, t.*, or a call f(...) / schema.f(...). */
static tarn_rc parse_name_or_call(struct parser *p, struct sql_expr **out)
{
	const struct sql_token *t = parse_peek(p, 0);
	bool typefunc = t->kind == TOK_IDENT && sql_keyword_category(t->kw) == SQL_KW_TYPEFUNC;
	struct sql_qname q = {.loc = t->off};
	struct vec v = {0};
	struct sql_name n;
	TRY(parse_take_name(p, &n));
	TRY(VEC_PUSH(p, &v, n));
	while (parse_kind(p, 0) == TOK_DOT) {
		if (parse_kind(p, 1) == TOK_STAR) {
			parse_advance(p);
			parse_advance(p);
			TRY(parse_new_expr(p, SQL_EXPR_STAR, q.loc, out));
			(*out)->star.qualifier = (struct sql_qname){v.n, v.items, q.loc};
			return TARN_OK;
		}
		if (!parse_is_label(parse_peek(p, 1)))
			break;
		parse_advance(p);
		TRY(parse_take_name(p, &n));
		TRY(VEC_PUSH(p, &v, n));
	}
	q.n = v.n;
	q.parts = v.items;
	if (parse_kind(p, 0) == TOK_LPAREN)
		return parse_call(p, &q, out);
	if (typefunc && q.n == 1)
		return parse_fail(p, TARN_EDATA, q.loc,
				  "expected expression, found '%s' (a keyword; write \"%.*s\" for "
				  "a column of that name)",
				  sql_keyword_name(t->kw), (int)n.len, n.s);
	TRY(parse_new_expr(p, SQL_EXPR_NAME, q.loc, out));
	(*out)->name = q;
	return TARN_OK;
}

static tarn_rc value_function(struct parser *p, const char *name, struct sql_expr **out)
{
	TRY(new_call(p, name, parse_loc(p), NULL, 0, out));
	(*out)->func.no_parens = true;
	parse_advance(p);
	return TARN_OK;
}

static tarn_rc parse_atom(struct parser *p, struct sql_expr **out)
{
	const struct sql_token *t = parse_peek(p, 0);
	sql_loc loc = t->off;
	enum sql_tok k1 = parse_kind(p, 1);
	switch (t->kind) {
	case TOK_INTEGER:
	case TOK_DECIMAL:
	case TOK_FLOAT:
		return number_literal(p, false, loc, out);
	case TOK_STRING:
		TRY(string_literal(p, t->val, t->vlen, loc, out));
		parse_advance(p);
		return TARN_OK;
	case TOK_PARAM:
		TRY(parse_new_expr(p, SQL_EXPR_PARAM, loc, out));
		return parse_param(p, *out);
	case TOK_LPAREN:
		return parse_paren(p, out);
	case TOK_LBRACKET:
		return parse_items(p, SQL_EXPR_ARRAY, loc, TOK_RBRACKET, out);
	case TOK_LBRACE:
		return parse_struct(p, out);
	case TOK_QIDENT:
		return parse_name_or_call(p, out);
	case TOK_IDENT:
		break;
	default:
		return parse_expected(p, "expression");
	}
	switch (t->kw) {
	case KW_NULL:
	case KW_TRUE:
	case KW_FALSE:
		TRY(parse_new_expr(p, SQL_EXPR_LITERAL, loc, out));
		(*out)->lit.kind = t->kw == KW_NULL ? SQL_LIT_NULL : SQL_LIT_BOOL;
		(*out)->lit.b = t->kw == KW_TRUE;
		parse_advance(p);
		return TARN_OK;
	case KW_CASE:
		return parse_case(p, out);
	case KW_CAST:
		return parse_cast(p, false, out);
	case KW_CURRENT_DATE:
		return value_function(p, "current_date", out);
	case KW_CURRENT_TIME:
		return value_function(p, "current_time", out);
	case KW_CURRENT_TIMESTAMP:
		return value_function(p, "current_timestamp", out);
	case KW_LOCALTIME:
		return value_function(p, "localtime", out);
	case KW_LOCALTIMESTAMP:
		return value_function(p, "localtimestamp", out);
	case KW_ARRAY:
		if (k1 != TOK_LBRACKET)
			return parse_fail(p, TARN_EDATA, loc,
					  "expected '[' after ARRAY (ARRAY(subquery) is not supported)");
		parse_advance(p);
		return parse_items(p, SQL_EXPR_ARRAY, loc, TOK_RBRACKET, out);
	default:
		break;
	}
	if (k1 == TOK_LPAREN) {
		switch (t->kw) {
		case KW_TRY_CAST:
			return parse_cast(p, true, out);
		case KW_EXISTS:
			TRY(parse_new_expr(p, SQL_EXPR_EXISTS, loc, out));
			parse_advance(p);
			parse_advance(p);
			if (!parse_starts_query(p, 0))
				return parse_expected(p, "a query after EXISTS (");
			TRY(parse_query(p, &(*out)->sub.query));
			return parse_expect(p, TOK_RPAREN);
		case KW_EXTRACT:
			return parse_extract(p, out);
		case KW_SUBSTRING:
			return parse_substring(p, out);
		case KW_POSITION:
			return parse_position(p, out);
		case KW_TRIM:
			return parse_trim(p, out);
		case KW_ROW:
			parse_advance(p);
			TRY(parse_items(p, SQL_EXPR_ROW, loc, TOK_RPAREN, out));
			(*out)->list.explicit_row = true;
			return TARN_OK;
		default:
			break;
		}
	}
	if (t->kw == KW_INTERVAL &&
	    (k1 == TOK_STRING || k1 == TOK_LPAREN || is_number_tok(k1) ||
	     (k1 == TOK_MINUS && is_number_tok(parse_kind(p, 2)))))
		return parse_interval(p, out);
	if (t->kw == KW_MAP && k1 == TOK_LBRACE)
		return parse_map(p, out);
	if (k1 == TOK_STRING && parse_is_colid(t)) {
		/* A typed literal: DATE '2020-01-01' is CAST('2020-01-01' AS DATE). */
		const struct type_name *tn = type_lookup(t->val, t->vlen);
		if (tn) {
			struct sql_expr *e;
			TRY(parse_new_expr(p, SQL_EXPR_CAST, loc, &e));
			TRY(parse_alloc(p, sizeof *e->cast.type, &e->cast.type));
			e->cast.type->id = tn->id;
			e->cast.type->loc = loc;
			e->cast.type->ts_unit = tn->unit;
			e->cast.type->with_tz = tn->tz;
			e->cast.type->name = tn->name;
			parse_advance(p);
			t = parse_peek(p, 0);
			TRY(string_literal(p, t->val, t->vlen, t->off, &e->cast.arg));
			parse_advance(p);
			*out = e;
			return TARN_OK;
		}
	}
	if (parse_is_funcname(t))
		return parse_name_or_call(p, out);
	return parse_expected(p, "expression");
}

/* An atom and its postfix operators: x::T, x[i], x[a:b], (x).field */
static tarn_rc parse_primary(struct parser *p, struct sql_expr **out)
{
	int d0 = p->depth;
	struct sql_expr *e;
	TRY(parse_atom(p, &e));
	if (e->kind == SQL_EXPR_STAR) {
		*out = e;
		return TARN_OK;
	}
	for (;;) {
		enum sql_tok k = parse_kind(p, 0);
		struct sql_expr *x;
		if (k == TOK_DCOLON) {
			TRY(parse_enter(p));
			TRY(parse_new_expr(p, SQL_EXPR_CAST, e->loc, &x));
			parse_advance(p);
			x->cast.arg = e;
			TRY(parse_type(p, &x->cast.type));
		} else if (k == TOK_LBRACKET) {
			TRY(parse_enter(p));
			parse_advance(p);
			struct sql_expr *lo = NULL, *hi = NULL;
			if (parse_kind(p, 0) != TOK_COLON)
				TRY(parse_expr(p, &lo));
			if (parse_accept(p, TOK_COLON)) {
				if (parse_kind(p, 0) != TOK_RBRACKET)
					TRY(parse_expr(p, &hi));
				TRY(parse_new_expr(p, SQL_EXPR_SLICE, e->loc, &x));
				x->slice.base = e;
				x->slice.lo = lo;
				x->slice.hi = hi;
			} else {
				TRY(parse_new_expr(p, SQL_EXPR_INDEX, e->loc, &x));
				x->index.base = e;
				x->index.index = lo;
			}
			TRY(parse_expect(p, TOK_RBRACKET));
		} else if (k == TOK_DOT) {
			TRY(parse_enter(p));
			parse_advance(p);
			if (!parse_is_label(parse_peek(p, 0)))
				return parse_expected(p, "field name");
			TRY(parse_new_expr(p, SQL_EXPR_FIELD, e->loc, &x));
			x->field.base = e;
			TRY(parse_take_name(p, &x->field.name));
		} else {
			break;
		}
		e = x;
	}
	p->depth = d0;
	*out = e;
	return TARN_OK;
}

/* ---- operators --------------------------------------------------------------------- */

static bool is_like_kw(enum sql_kw k)
{
	return k == KW_IN || k == KW_LIKE || k == KW_ILIKE || k == KW_GLOB || k == KW_BETWEEN ||
	       k == KW_SIMILAR;
}

/* Precedence of the infix/postfix operator at the next token, or -1. */
static int infix_prec(struct parser *p, enum sql_op *op)
{
	switch (parse_kind(p, 0)) {
	case TOK_PLUS: *op = SQL_OP_ADD; return P_ADD;
	case TOK_MINUS: *op = SQL_OP_SUB; return P_ADD;
	case TOK_STAR: *op = SQL_OP_MUL; return P_MUL;
	case TOK_SLASH: *op = SQL_OP_DIV; return P_MUL;
	case TOK_DSLASH: *op = SQL_OP_INT_DIV; return P_MUL;
	case TOK_PERCENT: *op = SQL_OP_MOD; return P_MUL;
	case TOK_CARET:
	case TOK_DSTAR: *op = SQL_OP_POW; return P_POW;
	case TOK_CONCAT: *op = SQL_OP_CONCAT; return P_OTHER;
	case TOK_AMP: *op = SQL_OP_BIT_AND; return P_OTHER;
	case TOK_PIPE: *op = SQL_OP_BIT_OR; return P_OTHER;
	case TOK_HASH: *op = SQL_OP_BIT_XOR; return P_OTHER;
	case TOK_SHL: *op = SQL_OP_SHL; return P_OTHER;
	case TOK_SHR: *op = SQL_OP_SHR; return P_OTHER;
	case TOK_TILDE: *op = SQL_OP_REGEX; return P_OTHER;
	case TOK_TILDE_STAR: *op = SQL_OP_IREGEX; return P_OTHER;
	case TOK_NTILDE: *op = SQL_OP_NOT_REGEX; return P_OTHER;
	case TOK_NTILDE_STAR: *op = SQL_OP_NOT_IREGEX; return P_OTHER;
	case TOK_EQ: *op = SQL_OP_EQ; return P_CMP;
	case TOK_NE: *op = SQL_OP_NE; return P_CMP;
	case TOK_LT: *op = SQL_OP_LT; return P_CMP;
	case TOK_LE: *op = SQL_OP_LE; return P_CMP;
	case TOK_GT: *op = SQL_OP_GT; return P_CMP;
	case TOK_GE: *op = SQL_OP_GE; return P_CMP;
	case TOK_IDENT: break;
	default: return -1;
	}
	switch (parse_kw(p, 0)) {
	case KW_OR: return P_OR;
	case KW_AND: return P_AND;
	case KW_IS:
	case KW_ISNULL:
	case KW_NOTNULL: return P_IS;
	case KW_IN:
	case KW_LIKE:
	case KW_ILIKE:
	case KW_GLOB:
	case KW_BETWEEN:
	case KW_SIMILAR: return P_LIKE;
	case KW_NOT: return is_like_kw(parse_kw(p, 1)) ? P_LIKE : -1;
	case KW_AT:
		*op = SQL_OP_AT_TIME_ZONE;
		return parse_kw(p, 1) == KW_TIME && parse_kw(p, 2) == KW_ZONE ? P_AT : -1;
	default: return -1;
	}
}

static tarn_rc parse_is(struct parser *p, struct sql_expr *left, struct sql_expr **out)
{
	struct sql_expr *e;
	enum sql_kw kw = parse_kw(p, 0);
	parse_advance(p);
	if (kw != KW_IS) {
		TRY(parse_new_expr(p, SQL_EXPR_IS, left->loc, &e));
		e->is.arg = left;
		e->is.what = SQL_IS_NULL;
		e->is.not = kw == KW_NOTNULL;
		*out = e;
		return TARN_OK;
	}
	bool negated = parse_accept_kw(p, KW_NOT);
	enum sql_kw what = parse_kw(p, 0);
	if (what == KW_DISTINCT) {
		parse_advance(p);
		TRY(parse_expect_kw(p, KW_FROM));
		struct sql_expr *r;
		TRY(parse_expr_prec(p, P_IS + 1, &r));
		return new_binary(p, negated ? SQL_OP_IS_NOT_DISTINCT : SQL_OP_IS_DISTINCT, left, r, out);
	}
	TRY(parse_new_expr(p, SQL_EXPR_IS, left->loc, &e));
	e->is.arg = left;
	e->is.not = negated;
	switch (what) {
	case KW_NULL: e->is.what = SQL_IS_NULL; break;
	case KW_TRUE: e->is.what = SQL_IS_TRUE; break;
	case KW_FALSE: e->is.what = SQL_IS_FALSE; break;
	case KW_UNKNOWN: e->is.what = SQL_IS_UNKNOWN; break;
	default: return parse_expected(p, "NULL, TRUE, FALSE, UNKNOWN or DISTINCT FROM");
	}
	parse_advance(p);
	*out = e;
	return TARN_OK;
}

static tarn_rc parse_comparison(struct parser *p, enum sql_op op, struct sql_expr *left,
				struct sql_expr **out)
{
	parse_advance(p); /* the operator */
	enum sql_kw q = parse_kw(p, 0);
	if ((q == KW_ANY || q == KW_SOME || q == KW_ALL) && parse_kind(p, 1) == TOK_LPAREN) {
		struct sql_expr *e;
		TRY(parse_new_expr(p, SQL_EXPR_QUANTIFIED, left->loc, &e));
		*out = e;
		e->quant.op = op;
		e->quant.quant = q == KW_ALL ? SQL_QUANT_ALL : SQL_QUANT_ANY;
		e->quant.arg = left;
		parse_advance(p);
		parse_advance(p);
		if (parse_starts_query(p, 0))
			TRY(parse_query(p, &e->quant.query));
		else
			TRY(parse_expr(p, &e->quant.array));
		return parse_expect(p, TOK_RPAREN);
	}
	struct sql_expr *r;
	TRY(parse_expr_prec(p, P_CMP + 1, &r));
	return new_binary(p, op, left, r, out);
}

/* [NOT] BETWEEN / IN / LIKE / ILIKE / GLOB / SIMILAR TO */
static tarn_rc parse_like_level(struct parser *p, struct sql_expr *left, struct sql_expr **out)
{
	bool negated = parse_accept_kw(p, KW_NOT);
	enum sql_kw kw = parse_kw(p, 0);
	struct sql_expr *e;
	parse_advance(p);
	if (kw == KW_BETWEEN) {
		TRY(parse_new_expr(p, SQL_EXPR_BETWEEN, left->loc, &e));
		e->between.not = negated;
		e->between.arg = left;
		if (parse_accept_kw(p, KW_SYMMETRIC))
			e->between.symmetric = true;
		else
			parse_accept_kw(p, KW_ASYMMETRIC);
		TRY(parse_expr_prec(p, P_OTHER, &e->between.lo));
		TRY(parse_expect_kw(p, KW_AND));
		TRY(parse_expr_prec(p, P_OTHER, &e->between.hi));
	} else if (kw == KW_IN) {
		TRY(parse_new_expr(p, SQL_EXPR_IN, left->loc, &e));
		e->in.not = negated;
		e->in.arg = left;
		TRY(parse_expect(p, TOK_LPAREN));
		enum sql_kw k0 = parse_kw(p, 0);
		if (k0 == KW_SELECT || k0 == KW_WITH || k0 == KW_VALUES) {
			TRY(parse_query(p, &e->in.query));
		} else {
			TRY(parse_expr_list(p, &e->in.list, &e->in.n));
			if (e->in.n == 1 && e->in.list[0]->kind == SQL_EXPR_SUBQUERY) {
				/* x IN ((SELECT ...)) is a subquery, as in Postgres,
				 * and so is x IN ((SELECT ...) UNION ...). */
				e->in.query = e->in.list[0]->sub.query;
				e->in.n = 0;
				e->in.list = NULL;
				if (parse_continues_query(p))
					TRY(parse_query_after(p, e->in.query, &e->in.query));
			}
		}
		TRY(parse_expect(p, TOK_RPAREN));
	} else {
		TRY(parse_new_expr(p, SQL_EXPR_LIKE, left->loc, &e));
		e->like.not = negated;
		e->like.arg = left;
		e->like.kind = kw == KW_LIKE    ? SQL_LIKE
			       : kw == KW_ILIKE ? SQL_ILIKE
			       : kw == KW_GLOB  ? SQL_GLOB
						: SQL_SIMILAR;
		if (kw == KW_SIMILAR)
			TRY(parse_expect_kw(p, KW_TO));
		TRY(parse_expr_prec(p, P_OTHER, &e->like.pattern));
		if (parse_accept_kw(p, KW_ESCAPE))
			TRY(parse_expr_prec(p, P_OTHER, &e->like.escape));
	}
	*out = e;
	return TARN_OK;
}

static tarn_rc parse_prefix(struct parser *p, struct sql_expr **out)
{
	const struct sql_token *t = parse_peek(p, 0);
	sql_loc loc = t->off;
	enum sql_op op;
	int prec;
	if (t->kind == TOK_IDENT && t->kw == KW_NOT)
		op = SQL_OP_NOT, prec = P_NOT;
	else if (t->kind == TOK_MINUS)
		op = SQL_OP_NEG, prec = P_UNARY;
	else if (t->kind == TOK_PLUS)
		op = SQL_OP_PLUS, prec = P_UNARY;
	else if (t->kind == TOK_TILDE)
		op = SQL_OP_BIT_NOT, prec = P_UNARY;
	else
		return parse_primary(p, out);
	parse_advance(p);
	struct sql_expr *arg;
	TRY(parse_expr_prec(p, prec, &arg));
	if (op == SQL_OP_NEG && is_number_lit(arg)) {
		TRY(negate_literal(p, arg, loc));
		*out = arg;
		return TARN_OK;
	}
	TRY(parse_new_expr(p, SQL_EXPR_UNARY, loc, out));
	(*out)->unary.op = op;
	(*out)->unary.arg = arg;
	return TARN_OK;
}

/* AND/OR chains become one flat node. */
static tarn_rc parse_chain(struct parser *p, enum sql_kw kw, int prec, struct sql_expr **left)
{
	struct vec v = {0};
	TRY(VEC_PUSH(p, &v, *left));
	while (parse_kw(p, 0) == kw) {
		struct sql_expr *r;
		parse_advance(p);
		TRY(parse_expr_prec(p, prec + 1, &r));
		TRY(VEC_PUSH(p, &v, r));
	}
	struct sql_expr *e;
	TRY(parse_new_expr(p, kw == KW_AND ? SQL_EXPR_AND : SQL_EXPR_OR, (*left)->loc, &e));
	e->list.items = v.items;
	e->list.n = v.n;
	*left = e;
	return TARN_OK;
}

/* counted: false inside grouping parentheses, which the caller counted. */
static tarn_rc expr_at(struct parser *p, int min, bool star_ok, bool counted,
		       struct sql_expr **out)
{
	int d0 = p->depth;
	if (counted)
		TRY(parse_enter(p));
	struct sql_expr *left;
	TRY(parse_prefix(p, &left));
	enum sql_op op;
	int prec = infix_prec(p, &op);
	if (left->kind == SQL_EXPR_STAR) {
		if (!star_ok)
			return parse_fail(p, TARN_EDATA, left->loc,
					  "'%.*s.*' is only allowed in a SELECT list or as a "
					  "function argument",
					  (int)left->star.qualifier.parts[0].len,
					  left->star.qualifier.parts[0].s);
		if (prec >= 0)
			return parse_fail(p, TARN_EDATA, parse_loc(p),
					  "a star expression cannot be an operand");
		goto done;
	}
	while (prec >= min && prec >= 0) {
		/* Design note 1: each link of a chain is one level deeper. */
		TRY(parse_enter(p));
		struct sql_expr *r;
		switch (prec) {
		case P_OR:
			TRY(parse_chain(p, KW_OR, P_OR, &left));
			break;
		case P_AND:
			TRY(parse_chain(p, KW_AND, P_AND, &left));
			break;
		case P_IS:
			TRY(parse_is(p, left, &left));
			break;
		case P_CMP:
			TRY(parse_comparison(p, op, left, &left));
			if (infix_prec(p, &op) == P_CMP)
				return parse_fail(p, TARN_EDATA, parse_loc(p),
						  "comparison operators cannot be chained; use "
						  "parentheses, e.g. (a = b) = c");
			break;
		case P_LIKE: {
			bool chains = parse_kw(p, parse_kw(p, 0) == KW_NOT ? 1 : 0) == KW_IN;
			TRY(parse_like_level(p, left, &left));
			if (!chains && infix_prec(p, &op) == P_LIKE)
				return parse_fail(p, TARN_EDATA, parse_loc(p),
						  "BETWEEN, LIKE, ILIKE, GLOB and SIMILAR TO cannot be "
						  "chained; use parentheses");
			break;
		}
		case P_AT:
			parse_advance(p);
			parse_advance(p);
			parse_advance(p);
			TRY(parse_expr_prec(p, P_AT + 1, &r));
			TRY(new_binary(p, op, left, r, &left));
			break;
		default:
			parse_advance(p);
			TRY(parse_expr_prec(p, prec + 1, &r));
			TRY(new_binary(p, op, left, r, &left));
			break;
		}
		prec = infix_prec(p, &op);
	}
done:
	p->depth = d0;
	*out = left;
	return TARN_OK;
}

tarn_rc parse_expr_prec(struct parser *p, int min, struct sql_expr **out)
{
	return expr_at(p, min, false, true, out);
}

tarn_rc parse_expr(struct parser *p, struct sql_expr **out)
{
	return expr_at(p, P_LOWEST, false, true, out);
}

tarn_rc parse_expr_or_star(struct parser *p, struct sql_expr **out)
{
	return expr_at(p, P_LOWEST, true, true, out);
}

tarn_rc parse_expr_list(struct parser *p, struct sql_expr ***out, int *n)
{
	struct vec v = {0};
	do {
		struct sql_expr *e;
		TRY(parse_expr(p, &e));
		TRY(VEC_PUSH(p, &v, e));
	} while (parse_accept(p, TOK_COMMA));
	*out = v.items;
	*n = v.n;
	return TARN_OK;
}
