/*
 * parse.h — the SQL front end's entry points: text in, syntax tree out
 * (ast.h), plus the location helpers the binder uses to report errors in the
 * same style.
 *
 * Errors: syntax errors are TARN_EDATA with a message of the form
 *
 *   syntax error at line 2, column 8: expected expression, found 'FROM'
 *     WHERE FROM t
 *           ^
 *
 * Unterminated strings, quoted identifiers and comments name where they
 * started. Text over SQL_MAX_TEXT and nesting over SQL_MAX_DEPTH are
 * TARN_ELIMIT; running out of memory is TARN_ENOMEM. On error nothing is
 * returned, and whatever was allocated stays in the arena until it is freed.
 *
 * Cost: linear in the text (one pass, constant lookahead, no backtracking).
 * Thread-safety: no shared state; parse different texts concurrently with
 * different arenas.
 */
#ifndef TARN_SQL_PARSE_H
#define TARN_SQL_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include "base/mem.h"
#include "sql/ast.h"
#include "tarn.h"

/* Parses a script of statements separated by ';'. The text need not be
 * NUL-terminated; it is copied into the arena (script->text). */
TARN_MUST_USE tarn_rc sql_parse(const char *text, size_t len, struct tarn_arena *arena,
				struct sql_script **out, struct tarn_err *err);

/* Parses one expression (recipes, filters, defaults); `?` and $n allowed. */
TARN_MUST_USE tarn_rc sql_parse_expr(const char *text, size_t len, struct tarn_arena *arena,
				     struct sql_expr **out, struct tarn_err *err);

/* Parses one type name ("DECIMAL(10,2)", "STRUCT(a INT, b VARCHAR[])"). */
TARN_MUST_USE tarn_rc sql_parse_type(const char *text, size_t len, struct tarn_arena *arena,
				     struct sql_type **out, struct tarn_err *err);

/* 1-based line and column (in characters, tabs count as one) of byte offset
 * loc in text[0..len). */
void sql_loc_linecol(const char *text, size_t len, sql_loc loc, uint32_t *line, uint32_t *col);

/* Sets err to "<what> at line L, column C: <message>" followed by the
 * offending line and a caret under column C, and returns rc. */
tarn_rc sql_err_at(struct tarn_err *err, tarn_rc rc, const char *text, size_t len, sql_loc loc,
		   const char *what, const char *fmt, ...) TARN_PRINTF(7, 8);

#endif
