/*
 * lex.h — the SQL tokenizer and keyword table (internal to src/sql/).
 *
 * The lexer produces one token per call, on demand, so memory stays constant
 * whatever the text size; the parser keeps a few tokens of lookahead. String
 * and quoted-identifier tokens whose text needs unescaping are decoded into
 * the arena; all others point into the source text.
 *
 * Keywords are recognised case-insensitively by binary search in a sorted
 * table. Every keyword has a category that decides where it may also serve as
 * an identifier:
 *   SQL_KW_RESERVED   never an identifier, except after AS and after '.'
 *   SQL_KW_TYPEFUNC   a function name (before '(') but not a column or alias
 *   SQL_KW_UNRESERVED an identifier anywhere, including an alias without AS
 *
 * Thread-safety: state lives in struct sql_lexer only.
 */
#ifndef TARN_SQL_LEX_H
#define TARN_SQL_LEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/mem.h"
#include "tarn.h"

enum sql_kw_cat { SQL_KW_RESERVED = 1, SQL_KW_TYPEFUNC, SQL_KW_UNRESERVED };

/* X(NAME, category). Must stay sorted by name (checked by tests/unit/sql_parse.c). */
#define SQL_KEYWORDS(X)                 \
	X(ALL, RESERVED)                \
	X(ANALYZE, RESERVED)            \
	X(AND, RESERVED)                \
	X(ANTI, TYPEFUNC)               \
	X(ANY, RESERVED)                \
	X(ARRAY, RESERVED)              \
	X(AS, RESERVED)                 \
	X(ASC, RESERVED)                \
	X(ASOF, TYPEFUNC)               \
	X(ASYMMETRIC, RESERVED)         \
	X(AT, UNRESERVED)               \
	X(BETWEEN, RESERVED)            \
	X(BOTH, RESERVED)               \
	X(BY, UNRESERVED)               \
	X(CASCADE, UNRESERVED)          \
	X(CASE, RESERVED)               \
	X(CAST, RESERVED)               \
	X(CHECK, RESERVED)              \
	X(COLLATE, RESERVED)            \
	X(CONSTRAINT, RESERVED)         \
	X(COPY, UNRESERVED)             \
	X(CREATE, RESERVED)             \
	X(CROSS, TYPEFUNC)              \
	X(CUBE, UNRESERVED)             \
	X(CURRENT, UNRESERVED)          \
	X(CURRENT_DATE, RESERVED)       \
	X(CURRENT_TIME, RESERVED)       \
	X(CURRENT_TIMESTAMP, RESERVED)  \
	X(DATABASES, UNRESERVED)        \
	X(DEFAULT, RESERVED)            \
	X(DESC, RESERVED)               \
	X(DESCRIBE, UNRESERVED)         \
	X(DISTINCT, RESERVED)           \
	X(DO, RESERVED)                 \
	X(DROP, UNRESERVED)             \
	X(ELSE, RESERVED)               \
	X(END, RESERVED)                \
	X(ESCAPE, UNRESERVED)           \
	X(EXCEPT, RESERVED)             \
	X(EXCLUDE, UNRESERVED)          \
	X(EXISTS, UNRESERVED)           \
	X(EXPLAIN, UNRESERVED)          \
	X(EXTRACT, UNRESERVED)          \
	X(FALSE, RESERVED)              \
	X(FETCH, RESERVED)              \
	X(FILTER, UNRESERVED)           \
	X(FIRST, UNRESERVED)            \
	X(FOLLOWING, UNRESERVED)        \
	X(FOR, RESERVED)                \
	X(FOREIGN, RESERVED)            \
	X(FROM, RESERVED)               \
	X(FULL, TYPEFUNC)               \
	X(GLOB, TYPEFUNC)               \
	X(GLOBAL, UNRESERVED)           \
	X(GRANT, RESERVED)              \
	X(GROUP, RESERVED)              \
	X(GROUPING, UNRESERVED)         \
	X(GROUPS, UNRESERVED)           \
	X(HAVING, RESERVED)             \
	X(IF, UNRESERVED)               \
	X(IGNORE, UNRESERVED)           \
	X(ILIKE, TYPEFUNC)              \
	X(IN, RESERVED)                 \
	X(INNER, TYPEFUNC)              \
	X(INSERT, UNRESERVED)           \
	X(INTERSECT, RESERVED)          \
	X(INTERVAL, UNRESERVED)         \
	X(INTO, RESERVED)               \
	X(IS, TYPEFUNC)                 \
	X(ISNULL, TYPEFUNC)             \
	X(JOIN, TYPEFUNC)               \
	X(KEY, UNRESERVED)              \
	X(LAST, UNRESERVED)             \
	X(LATERAL, RESERVED)            \
	X(LEADING, RESERVED)            \
	X(LEFT, TYPEFUNC)               \
	X(LIKE, TYPEFUNC)               \
	X(LIMIT, RESERVED)              \
	X(LOCAL, UNRESERVED)            \
	X(LOCALTIME, RESERVED)          \
	X(LOCALTIMESTAMP, RESERVED)     \
	X(MAP, UNRESERVED)              \
	X(MATERIALIZED, UNRESERVED)     \
	X(NAME, UNRESERVED)             \
	X(NATURAL, TYPEFUNC)            \
	X(NEXT, UNRESERVED)             \
	X(NO, UNRESERVED)               \
	X(NOT, RESERVED)                \
	X(NOTNULL, TYPEFUNC)            \
	X(NULL, RESERVED)               \
	X(NULLS, UNRESERVED)            \
	X(OFFSET, RESERVED)             \
	X(ON, RESERVED)                 \
	X(ONLY, RESERVED)               \
	X(OR, RESERVED)                 \
	X(ORDER, RESERVED)              \
	X(OTHERS, UNRESERVED)           \
	X(OUTER, TYPEFUNC)              \
	X(OVER, UNRESERVED)             \
	X(PARTITION, UNRESERVED)        \
	X(POSITION, UNRESERVED)         \
	X(POSITIONAL, TYPEFUNC)         \
	X(PRECEDING, UNRESERVED)        \
	X(PRIMARY, RESERVED)            \
	X(QUALIFY, RESERVED)            \
	X(RANGE, UNRESERVED)            \
	X(RECURSIVE, UNRESERVED)        \
	X(REFERENCES, RESERVED)         \
	X(REPLACE, UNRESERVED)          \
	X(RESET, UNRESERVED)            \
	X(RESPECT, UNRESERVED)          \
	X(RESTRICT, UNRESERVED)         \
	X(RETURNING, RESERVED)          \
	X(RIGHT, TYPEFUNC)              \
	X(ROLLUP, UNRESERVED)           \
	X(ROW, UNRESERVED)              \
	X(ROWS, UNRESERVED)             \
	X(SELECT, RESERVED)             \
	X(SEMI, TYPEFUNC)               \
	X(SESSION, UNRESERVED)          \
	X(SET, UNRESERVED)              \
	X(SETS, UNRESERVED)             \
	X(SHOW, UNRESERVED)             \
	X(SIMILAR, TYPEFUNC)            \
	X(SOME, RESERVED)               \
	X(STDIN, UNRESERVED)            \
	X(STDOUT, UNRESERVED)           \
	X(SUBSTRING, UNRESERVED)        \
	X(SYMMETRIC, RESERVED)          \
	X(TABLE, RESERVED)              \
	X(TABLES, UNRESERVED)           \
	X(TEMP, UNRESERVED)             \
	X(TEMPORARY, UNRESERVED)        \
	X(THEN, RESERVED)               \
	X(TIES, UNRESERVED)             \
	X(TIME, UNRESERVED)             \
	X(TO, RESERVED)                 \
	X(TRAILING, RESERVED)           \
	X(TRIM, UNRESERVED)             \
	X(TRUE, RESERVED)               \
	X(TRY_CAST, UNRESERVED)         \
	X(UNBOUNDED, UNRESERVED)        \
	X(UNION, RESERVED)              \
	X(UNIQUE, RESERVED)             \
	X(UNKNOWN, UNRESERVED)          \
	X(USING, RESERVED)              \
	X(VALUES, RESERVED)             \
	X(VARIADIC, RESERVED)           \
	X(VIEW, UNRESERVED)             \
	X(WHEN, RESERVED)               \
	X(WHERE, RESERVED)              \
	X(WINDOW, RESERVED)             \
	X(WITH, RESERVED)               \
	X(WITHIN, UNRESERVED)           \
	X(WITHOUT, UNRESERVED)          \
	X(ZONE, UNRESERVED)

enum sql_kw {
	KW_NONE = 0,
#define SQL_KW_ENUM(name, cat) KW_##name,
	SQL_KEYWORDS(SQL_KW_ENUM)
#undef SQL_KW_ENUM
	KW__COUNT
};

enum sql_tok {
	TOK_EOF = 0,
	TOK_IDENT,   /* unquoted word; kw != KW_NONE when it is a keyword */
	TOK_QIDENT,  /* "quoted identifier" */
	TOK_STRING,  /* 'string' or E'string' */
	TOK_INTEGER, /* 123, 0x7f */
	TOK_DECIMAL, /* 1.5, .5, 1. */
	TOK_FLOAT,   /* 1e3, 1.5E-2 */
	TOK_PARAM,   /* ? (param 0) or $n */
	TOK_LPAREN,
	TOK_RPAREN,
	TOK_LBRACKET,
	TOK_RBRACKET,
	TOK_LBRACE,
	TOK_RBRACE,
	TOK_COMMA,
	TOK_SEMI,
	TOK_DOT,
	TOK_COLON,   /* : */
	TOK_DCOLON,  /* :: */
	TOK_COLONEQ, /* := */
	TOK_ARROW,   /* => */
	TOK_STAR,
	TOK_PLUS,
	TOK_MINUS,
	TOK_SLASH,
	TOK_DSLASH,  /* // */
	TOK_PERCENT,
	TOK_CARET,   /* ^ */
	TOK_DSTAR,   /* ** */
	TOK_CONCAT,  /* || */
	TOK_EQ,      /* = == */
	TOK_NE,      /* <> != */
	TOK_LT,
	TOK_LE,
	TOK_GT,
	TOK_GE,
	TOK_TILDE,   /* ~ */
	TOK_TILDE_STAR,   /* ~* */
	TOK_NTILDE,       /* !~ */
	TOK_NTILDE_STAR,  /* !~* */
	TOK_AMP,
	TOK_PIPE,
	TOK_HASH,
	TOK_SHL,
	TOK_SHR,
	TOK__COUNT
};

struct sql_token {
	enum sql_tok kind;
	enum sql_kw kw;    /* TOK_IDENT only */
	uint32_t off, len; /* source span, quotes included */
	/* TOK_STRING / TOK_QIDENT: the decoded value; TOK_IDENT: the word;
	 * numbers: the digits (hex converted to decimal). Not NUL-terminated. */
	const char *val;
	uint32_t vlen;
	uint32_t param;    /* TOK_PARAM: $n, or 0 for ? */
};

struct sql_lexer {
	const char *src;
	size_t len, pos;
	struct tarn_arena *arena;
};

/* The text must already be checked: size <= SQL_MAX_TEXT, no NUL bytes,
 * valid UTF-8 (sql_text_check). */
TARN_MUST_USE tarn_rc sql_text_check(const char *src, size_t len, struct tarn_err *err);
void sql_lex_init(struct sql_lexer *lx, const char *src, size_t len, struct tarn_arena *arena);
/* The next token; at the end, TOK_EOF forever. */
TARN_MUST_USE tarn_rc sql_lex_next(struct sql_lexer *lx, struct sql_token *tok,
				   struct tarn_err *err);

/* Keyword lookup over s[0..n) (any case): KW_NONE if not a keyword. */
enum sql_kw sql_keyword_find(const char *s, size_t n);
const char *sql_keyword_name(enum sql_kw kw); /* upper case, e.g. "SELECT" */
enum sql_kw_cat sql_keyword_category(enum sql_kw kw);
/* Display text of a token kind ("'('", "identifier", "end of input"). */
const char *sql_tok_name(enum sql_tok t);

#endif
