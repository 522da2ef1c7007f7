/*
 * parse_int.h — what the parser's files share: the parser state, token
 * lookahead, error helpers, arena vectors, and the entry points each file
 * offers the others (parse.c: statements and the core; parse_expr.c:
 * expressions, types, windows; parse_query.c: queries and FROM).
 *
 * Design notes
 *   1. Recursive descent with a precedence-climbing loop for operators. Two
 *      counters bound the recursion (ast.h convention 6):
 *        depth  every recursive entry that builds a level of the tree
 *               (expression operand, call argument, subquery, FROM item,
 *               type) goes through parse_enter/parse_leave; a loop that
 *               builds a left-deep chain (a + b + c, x::a::b, JOIN chains,
 *               alternating set operations) counts one level per link.
 *        parens parentheses that only group ((a + b), (SELECT ...) UNION,
 *               (a JOIN b)) add no tree level and count here instead.
 *      The printer adds grouping parentheses freely but never a level of
 *      depth that the parsed text did not have, which is what keeps
 *      print(parse(x)) within the limits whenever x was.
 *   2. Lookahead is a ring of PARSE_LA tokens filled on demand; the lexer is
 *      never rewound, so parsing is linear. Constructs that look the same for
 *      a while, like '(' SELECT ... ')' UNION ... used as an expression or a
 *      FROM item, are parsed once and re-read (parse_query_after).
 *   3. A lexer error is recorded once (lex_rc) and the token stream then
 *      reads as end of input; every later error defers to it, and the
 *      entry points check it before reporting success.
 *   4. Errors go to the parser's own record (first one wins) and are copied
 *      to the caller's at the end, so callers may pass err = NULL.
 *
 * Thread-safety: one struct parser per parse.
 */
#ifndef TARN_SQL_PARSE_INT_H
#define TARN_SQL_PARSE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "base/mem.h"
#include "sql/ast.h"
#include "sql/lex.h"

#define PARSE_LA 4

enum param_style { PARAM_NONE = 0, PARAM_ANON, PARAM_NUMBERED };

struct parser {
	struct sql_lexer lx;
	struct tarn_arena *arena;
	struct tarn_err e;
	const char *text;
	size_t len;
	struct sql_token la[PARSE_LA];
	unsigned la_head, la_n;
	uint32_t prev_end; /* end offset of the last consumed token */
	int depth, parens;
	tarn_rc lex_rc;
	/* parameters of the statement being parsed */
	int param_max, param_next;
	enum param_style param_style;
};

/* ---- tokens (parse.c) -------------------------------------------------------- */

void parse_fill(struct parser *p, unsigned k);

static inline const struct sql_token *parse_peek(struct parser *p, unsigned k)
{
	if (p->la_n <= k)
		parse_fill(p, k);
	return &p->la[(p->la_head + k) % PARSE_LA];
}

static inline enum sql_tok parse_kind(struct parser *p, unsigned k)
{
	return parse_peek(p, k)->kind;
}

/* The keyword at lookahead k (KW_NONE for anything but an unquoted word). */
static inline enum sql_kw parse_kw(struct parser *p, unsigned k)
{
	const struct sql_token *t = parse_peek(p, k);
	return t->kind == TOK_IDENT ? t->kw : KW_NONE;
}

static inline sql_loc parse_loc(struct parser *p)
{
	return parse_peek(p, 0)->off;
}

void parse_advance(struct parser *p);
bool parse_accept(struct parser *p, enum sql_tok kind);
bool parse_accept_kw(struct parser *p, enum sql_kw kw);
TARN_MUST_USE tarn_rc parse_expect(struct parser *p, enum sql_tok kind);
TARN_MUST_USE tarn_rc parse_expect_kw(struct parser *p, enum sql_kw kw);

/* Token classes (lex.h explains the keyword categories). */
bool parse_is_colid(const struct sql_token *t);  /* column, table, CTE name */
bool parse_is_alias(const struct sql_token *t);  /* alias without AS */
bool parse_is_label(const struct sql_token *t);  /* after AS or '.': any word */
bool parse_is_funcname(const struct sql_token *t);

/* ---- errors -------------------------------------------------------------------- */

TARN_MUST_USE tarn_rc parse_fail(struct parser *p, tarn_rc rc, sql_loc at, const char *fmt, ...)
	TARN_PRINTF(4, 5);
/* "expected <what>, found <the next token>" at the next token. */
TARN_MUST_USE tarn_rc parse_expected(struct parser *p, const char *what);
TARN_MUST_USE tarn_rc parse_nomem(struct parser *p);
TARN_MUST_USE tarn_rc parse_enter(struct parser *p);
static inline void parse_leave(struct parser *p)
{
	p->depth--;
}
/* Grouping parentheses (design note 1). */
TARN_MUST_USE tarn_rc parse_enter_parens(struct parser *p);
static inline void parse_leave_parens(struct parser *p)
{
	p->parens--;
}

/* ---- allocation ------------------------------------------------------------------ */

TARN_MUST_USE tarn_rc parse_alloc(struct parser *p, size_t size, void *out);
TARN_MUST_USE tarn_rc parse_strdup(struct parser *p, const char *s, size_t n, const char **out);

/* A growable array in the arena (outgrown copies stay in the arena, so the
 * waste is at most the final size). */
struct vec {
	void *items;
	int n, cap;
};
TARN_MUST_USE tarn_rc parse_vec_push(struct parser *p, struct vec *v, const void *item,
				     size_t size);
#define VEC_PUSH(p, v, item) parse_vec_push((p), (v), &(item), sizeof(item))

/* ---- names (parse.c) -------------------------------------------------------------- */

/* Consumes the current token as a name; the token must have been checked. */
TARN_MUST_USE tarn_rc parse_take_name(struct parser *p, struct sql_name *out);
/* A column/table name (parse_is_colid), else "expected <what>". */
TARN_MUST_USE tarn_rc parse_colid(struct parser *p, const char *what, struct sql_name *out);
/* A dotted name: colid ('.' label)*. */
TARN_MUST_USE tarn_rc parse_qname(struct parser *p, const char *what, struct sql_qname *out);
/* '(' name, ... ')' */
TARN_MUST_USE tarn_rc parse_name_list(struct parser *p, struct sql_name **out, int *n);
TARN_MUST_USE tarn_rc parse_param(struct parser *p, struct sql_expr *e);

/* ---- expressions (parse_expr.c) --------------------------------------------------- */

enum prec {
	P_LOWEST = 0,
	P_OR,
	P_AND,
	P_NOT,
	P_IS,
	P_CMP,
	P_LIKE, /* BETWEEN IN LIKE ILIKE SIMILAR GLOB */
	P_OTHER, /* || ~ & | # << >> */
	P_ADD,
	P_MUL,
	P_POW,
	P_AT,
	P_UNARY,
};

TARN_MUST_USE tarn_rc parse_new_expr(struct parser *p, enum sql_expr_kind kind, sql_loc loc,
				     struct sql_expr **out);
TARN_MUST_USE tarn_rc parse_expr(struct parser *p, struct sql_expr **out);
TARN_MUST_USE tarn_rc parse_expr_prec(struct parser *p, int min, struct sql_expr **out);
TARN_MUST_USE tarn_rc parse_expr_or_star(struct parser *p, struct sql_expr **out);
/* expr, expr, ... up to (not including) the closing token. */
TARN_MUST_USE tarn_rc parse_expr_list(struct parser *p, struct sql_expr ***out, int *n);
TARN_MUST_USE tarn_rc parse_type(struct parser *p, struct sql_type **out);
TARN_MUST_USE tarn_rc parse_order_by(struct parser *p, struct sql_order_item **out, int *n,
				     bool allow_all);
/* The inside of a window specification, after '(' and before ')'. */
TARN_MUST_USE tarn_rc parse_window_spec(struct parser *p, struct sql_window **out);
/* Function arguments after '(' up to ')' (consumed). table: `name = v`
 * names an argument too. */
TARN_MUST_USE tarn_rc parse_call_args(struct parser *p, bool table, struct sql_arg **out, int *n);
/* The value of an option (COPY, SET): a bare word, or an expression. */
TARN_MUST_USE tarn_rc parse_option_value(struct parser *p, struct sql_expr **out);

/* ---- queries (parse_query.c) ------------------------------------------------------- */

/* True if token k starts a query: SELECT, WITH, VALUES, or '(' followed by one. */
bool parse_starts_query(struct parser *p, unsigned k);
TARN_MUST_USE tarn_rc parse_query(struct parser *p, struct sql_query **out);
/* The same, as the inside of grouping parentheses or a FROM item that has
 * already counted its level: adds no depth. */
TARN_MUST_USE tarn_rc parse_query_nested(struct parser *p, struct sql_query **out);
/* Continues a query whose first operand (a parenthesized query) has been
 * parsed: set operations, ORDER BY, LIMIT. */
TARN_MUST_USE tarn_rc parse_query_after(struct parser *p, struct sql_query *first,
					struct sql_query **out);
/* True if the next token would continue a query (UNION, ORDER BY, LIMIT...). */
bool parse_continues_query(struct parser *p);

#endif
