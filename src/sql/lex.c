/*
 * lex.c — the SQL tokenizer: comments, identifiers and keywords, strings
 * (with '' and, in E'...', backslash escapes), numbers, parameters and
 * operators; plus the text checks and the located error messages shared by
 * the whole front end.
 *
 * Relies on base/mem.h (arena for decoded strings) and columnar/utf8.h. The
 * lexer is a hand-written switch over the first byte; keyword lookup is a
 * binary search over the sorted table in lex.h. Every token is scanned once,
 * so the cost is linear in the text.
 *
 * Thread-safety: state lives in struct sql_lexer only.
 */
#include "sql/lex.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/err.h"
#include "columnar/utf8.h"
#include "sql/parse.h"

/* ---- keywords ---------------------------------------------------------------- */

static const char *const kw_names[KW__COUNT] = {
	NULL,
#define SQL_KW_NAME(name, cat) #name,
	SQL_KEYWORDS(SQL_KW_NAME)
#undef SQL_KW_NAME
};

static const uint8_t kw_cats[KW__COUNT] = {
	0,
#define SQL_KW_CAT(name, cat) SQL_KW_##cat,
	SQL_KEYWORDS(SQL_KW_CAT)
#undef SQL_KW_CAT
};

#define KW_MAX_LEN 17 /* CURRENT_TIMESTAMP */

/* Compares up[0..n) with a NUL-terminated keyword, like strcmp. Inline:
 * identifiers are short and this runs for every word in the text. */
static inline int kw_cmp(const char *up, size_t n, const char *kw)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char a = (unsigned char)up[i], b = (unsigned char)kw[i];
		if (a != b)
			return b == 0 ? 1 : (int)a - (int)b;
	}
	return kw[n] == 0 ? 0 : -1;
}

enum sql_kw sql_keyword_find(const char *s, size_t n)
{
	if (n < 2 || n > KW_MAX_LEN)
		return KW_NONE;
	char up[KW_MAX_LEN];
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 'a' && c <= 'z')
			c = (unsigned char)(c - 32);
		else if (c >= 0x80)
			return KW_NONE;
		up[i] = (char)c;
	}
	int lo = 1, hi = KW__COUNT - 1;
	while (lo <= hi) {
		int mid = (lo + hi) / 2;
		int c = kw_cmp(up, n, kw_names[mid]);
		if (c == 0)
			return (enum sql_kw)mid;
		if (c < 0)
			hi = mid - 1;
		else
			lo = mid + 1;
	}
	return KW_NONE;
}

const char *sql_keyword_name(enum sql_kw kw)
{
	return kw > KW_NONE && kw < KW__COUNT ? kw_names[kw] : "";
}

enum sql_kw_cat sql_keyword_category(enum sql_kw kw)
{
	return kw > KW_NONE && kw < KW__COUNT ? (enum sql_kw_cat)kw_cats[kw] : SQL_KW_UNRESERVED;
}

const char *sql_tok_name(enum sql_tok t)
{
	switch (t) {
	case TOK_EOF: return "end of input";
	case TOK_IDENT: return "identifier";
	case TOK_QIDENT: return "quoted identifier";
	case TOK_STRING: return "string";
	case TOK_INTEGER: return "integer";
	case TOK_DECIMAL: return "decimal number";
	case TOK_FLOAT: return "number";
	case TOK_PARAM: return "parameter";
	case TOK_LPAREN: return "'('";
	case TOK_RPAREN: return "')'";
	case TOK_LBRACKET: return "'['";
	case TOK_RBRACKET: return "']'";
	case TOK_LBRACE: return "'{'";
	case TOK_RBRACE: return "'}'";
	case TOK_COMMA: return "','";
	case TOK_SEMI: return "';'";
	case TOK_DOT: return "'.'";
	case TOK_COLON: return "':'";
	case TOK_DCOLON: return "'::'";
	case TOK_COLONEQ: return "':='";
	case TOK_ARROW: return "'=>'";
	case TOK_STAR: return "'*'";
	case TOK_PLUS: return "'+'";
	case TOK_MINUS: return "'-'";
	case TOK_SLASH: return "'/'";
	case TOK_DSLASH: return "'//'";
	case TOK_PERCENT: return "'%'";
	case TOK_CARET: return "'^'";
	case TOK_DSTAR: return "'**'";
	case TOK_CONCAT: return "'||'";
	case TOK_EQ: return "'='";
	case TOK_NE: return "'<>'";
	case TOK_LT: return "'<'";
	case TOK_LE: return "'<='";
	case TOK_GT: return "'>'";
	case TOK_GE: return "'>='";
	case TOK_TILDE: return "'~'";
	case TOK_TILDE_STAR: return "'~*'";
	case TOK_NTILDE: return "'!~'";
	case TOK_NTILDE_STAR: return "'!~*'";
	case TOK_AMP: return "'&'";
	case TOK_PIPE: return "'|'";
	case TOK_HASH: return "'#'";
	case TOK_SHL: return "'<<'";
	case TOK_SHR: return "'>>'";
	case TOK__COUNT: break;
	}
	return "token";
}

/* ---- locations and error messages ------------------------------------------- */

static size_t line_start_of(const char *text, size_t loc)
{
	size_t s = loc;
	while (s > 0 && text[s - 1] != '\n')
		s--;
	return s;
}

void sql_loc_linecol(const char *text, size_t len, sql_loc loc, uint32_t *line, uint32_t *col)
{
	size_t at = loc < len ? loc : len;
	uint32_t ln = 1;
	const char *p = text, *end = text + at;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			break;
		ln++;
		p = nl + 1;
	}
	uint32_t c = 1;
	for (; p < end; p++)
		if (((unsigned char)*p & 0xC0) != 0x80)
			c++;
	*line = ln;
	*col = c;
}

/* Moves i back to the start of the UTF-8 character containing it (at most
 * 3 bytes: the text may be invalid UTF-8 when this reports exactly that). */
static size_t char_start(const char *t, size_t i, size_t floor)
{
	for (int k = 0; k < 3 && i > floor && ((unsigned char)t[i] & 0xC0) == 0x80; k++)
		i--;
	return i;
}

#define SNIPPET_BEFORE 60
#define SNIPPET_WIDTH 110

tarn_rc sql_err_at(struct tarn_err *err, tarn_rc rc, const char *text, size_t len, sql_loc loc,
		   const char *what, const char *fmt, ...)
{
	if (!err || err->rc != TARN_OK)
		return rc;
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (!text) {
		return tarn_err_set(err, rc, "%s at byte %u: %s", what, (unsigned)loc, msg);
	}
	size_t at = loc < len ? loc : len;
	uint32_t line, col;
	sql_loc_linecol(text, len, (sql_loc)at, &line, &col);

	/* The offending line, cut to a window around the column. */
	size_t ls = line_start_of(text, at);
	const char *nl = memchr(text + at, '\n', len - at);
	size_t le = nl ? (size_t)(nl - text) : len;
	if (le > ls && text[le - 1] == '\r')
		le--;
	if (at > le)
		at = le;
	size_t ws = ls, we = le;
	if (at - ws > SNIPPET_BEFORE)
		ws = char_start(text, at - SNIPPET_BEFORE, ls);
	if (we - ws > SNIPPET_WIDTH)
		we = char_start(text, ws + SNIPPET_WIDTH, ws);
	if (we < at)
		we = at;
	size_t bad;
	bool utf8_ok = tarn_utf8_valid((const uint8_t *)text + ws, we - ws, &bad);
	/* ws..we spans at most SNIPPET_WIDTH + 3 bytes and ws..at at most
	 * SNIPPET_BEFORE + 3; the bounds below are belt and braces. */
	char snip[SNIPPET_WIDTH + 16], caret[SNIPPET_WIDTH + 16];
	size_t sn = 0, cn = 0;
	if (ws > ls) {
		memcpy(snip, "...", 3);
		memcpy(caret, "   ", 3);
		sn = cn = 3;
	}
	for (size_t i = ws; i < we && sn < SNIPPET_WIDTH + 8 && cn < SNIPPET_WIDTH + 8; i++) {
		unsigned char c = (unsigned char)text[i];
		if (c >= 0x80 && !utf8_ok)
			c = '?';
		else if (c < 0x20 && c != '\t')
			c = ' ';
		snip[sn++] = (char)c;
		if (i < at && (c & 0xC0) != 0x80)
			caret[cn++] = c == '\t' ? '\t' : ' ';
	}
	const char *tail = we < le ? "..." : "";
	snip[sn] = '\0';
	caret[cn] = '\0';
	return tarn_err_set(err, rc, "%s at line %u, column %u: %s\n  %s%s\n  %s^", what, line, col,
			    msg, snip, tail, caret);
}

static tarn_rc lex_error(const struct sql_lexer *lx, struct tarn_err *err, size_t at,
			 const char *fmt, ...) TARN_PRINTF(4, 5);

static tarn_rc lex_error(const struct sql_lexer *lx, struct tarn_err *err, size_t at,
			 const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return sql_err_at(err, TARN_EDATA, lx->src, lx->len, (sql_loc)at, "syntax error", "%s", msg);
}

tarn_rc sql_text_check(const char *src, size_t len, struct tarn_err *err)
{
	if (len > SQL_MAX_TEXT)
		return tarn_err_set(err, TARN_ELIMIT,
				    "SQL text is %zu bytes; the limit is %zu bytes (16 MiB)", len,
				    SQL_MAX_TEXT);
	const char *nul = memchr(src, '\0', len);
	if (nul)
		return sql_err_at(err, TARN_EDATA, src, len, (sql_loc)(nul - src), "syntax error",
				  "NUL byte in SQL text");
	size_t bad;
	if (!tarn_utf8_valid((const uint8_t *)src, len, &bad))
		return sql_err_at(err, TARN_EDATA, src, len, (sql_loc)bad, "syntax error",
				  "invalid UTF-8 (byte 0x%02x)", (unsigned char)src[bad]);
	return TARN_OK;
}

/* ---- the scanner --------------------------------------------------------------- */

void sql_lex_init(struct sql_lexer *lx, const char *src, size_t len, struct tarn_arena *arena)
{
	lx->src = src;
	lx->len = len;
	lx->pos = 0;
	lx->arena = arena;
}

static inline bool is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static inline bool is_ident_start(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80;
}

static inline bool is_ident_char(unsigned char c)
{
	return is_ident_start(c) || is_digit(c) || c == '$';
}

static int hex_value(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static tarn_rc skip_blank(struct sql_lexer *lx, struct tarn_err *err)
{
	const char *s = lx->src;
	size_t n = lx->len, i = lx->pos;
	for (;;) {
		while (i < n && (s[i] == ' ' || s[i] == '\n' || s[i] == '\t' || s[i] == '\r' ||
				 s[i] == '\f' || s[i] == '\v'))
			i++;
		if (i + 1 < n && s[i] == '-' && s[i + 1] == '-') {
			const char *nl = memchr(s + i, '\n', n - i);
			i = nl ? (size_t)(nl - s) + 1 : n;
			continue;
		}
		if (i + 1 < n && s[i] == '/' && s[i + 1] == '*') {
			/* Block comments nest, as in Postgres. */
			size_t start = i, depth = 1;
			i += 2;
			while (depth) {
				if (i + 1 >= n) {
					lx->pos = n;
					return lex_error(lx, err, start, "unterminated /* comment");
				}
				if (s[i] == '*' && s[i + 1] == '/') {
					depth--;
					i += 2;
				} else if (s[i] == '/' && s[i + 1] == '*') {
					depth++;
					i += 2;
				} else {
					i++;
				}
			}
			continue;
		}
		break;
	}
	lx->pos = i;
	return TARN_OK;
}

static size_t utf8_put(char *o, uint32_t cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xC0 | (cp >> 6));
		o[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xE0 | (cp >> 12));
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		o[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	o[0] = (char)(0xF0 | (cp >> 18));
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	o[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

/* Reads exactly `digits` hex digits at s[i..]; -1 if they are not there. */
static int64_t read_hex(const char *s, size_t n, size_t i, int digits)
{
	if (i + (size_t)digits > n)
		return -1;
	int64_t v = 0;
	for (int k = 0; k < digits; k++) {
		int h = hex_value((unsigned char)s[i + (size_t)k]);
		if (h < 0)
			return -1;
		v = v * 16 + h;
	}
	return v;
}

/* Decodes the body of E'...' (s[b..e), quotes excluded) into out; returns
 * the decoded length or an error. Decoding never lengthens the text. */
static tarn_rc decode_escapes(const struct sql_lexer *lx, struct tarn_err *err, size_t b,
			      size_t e, char *out, uint32_t *out_len)
{
	const char *s = lx->src;
	size_t o = 0, i = b;
	while (i < e) {
		unsigned char c = (unsigned char)s[i];
		if (c == '\'') { /* a doubled quote */
			out[o++] = '\'';
			i += 2;
			continue;
		}
		if (c != '\\') {
			out[o++] = (char)c;
			i++;
			continue;
		}
		size_t at = i;
		unsigned char d = (unsigned char)s[i + 1];
		i += 2;
		switch (d) {
		case 'b': out[o++] = '\b'; break;
		case 'f': out[o++] = '\f'; break;
		case 'n': out[o++] = '\n'; break;
		case 'r': out[o++] = '\r'; break;
		case 't': out[o++] = '\t'; break;
		case 'x': {
			int v = 0, k = 0;
			while (k < 2 && i < e && hex_value((unsigned char)s[i]) >= 0)
				v = v * 16 + hex_value((unsigned char)s[i++]), k++;
			if (k == 0)
				return lex_error(lx, err, at, "invalid escape \\x: expected hex digits");
			if (v == 0)
				return lex_error(lx, err, at, "NUL character in string literal");
			out[o++] = (char)v;
			break;
		}
		case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7': {
			int v = d - '0', k = 1;
			while (k < 3 && i < e && s[i] >= '0' && s[i] <= '7')
				v = v * 8 + (s[i++] - '0'), k++;
			if (v == 0)
				return lex_error(lx, err, at, "NUL character in string literal");
			if (v > 255)
				return lex_error(lx, err, at, "octal escape \\%o is above \\377", v);
			out[o++] = (char)v;
			break;
		}
		case 'u':
		case 'U': {
			int digits = d == 'u' ? 4 : 8;
			int64_t cp = read_hex(s, e, i, digits);
			if (cp < 0)
				return lex_error(lx, err, at, "invalid Unicode escape: \\%c needs %d hex digits",
						 d, digits);
			i += (size_t)digits;
			if (cp >= 0xD800 && cp <= 0xDBFF) {
				/* A high surrogate must be followed by \uDC00..\uDFFF. */
				int64_t lo = -1;
				if (i + 1 < e && s[i] == '\\' && s[i + 1] == 'u')
					lo = read_hex(s, e, i + 2, 4);
				if (lo < 0xDC00 || lo > 0xDFFF)
					return lex_error(lx, err, at, "invalid Unicode surrogate pair");
				cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
				i += 6;
			} else if (cp >= 0xDC00 && cp <= 0xDFFF) {
				return lex_error(lx, err, at, "invalid Unicode surrogate pair");
			}
			if (cp == 0)
				return lex_error(lx, err, at, "NUL character in string literal");
			if (cp > 0x10FFFF)
				return lex_error(lx, err, at, "invalid Unicode code point U+%llX",
						 (unsigned long long)cp);
			o += utf8_put(out + o, (uint32_t)cp);
			break;
		}
		default:
			/* \\, \', \" and any other character stand for themselves. */
			out[o++] = (char)d;
			break;
		}
	}
	size_t bad;
	if (!tarn_utf8_valid((const uint8_t *)out, o, &bad))
		return lex_error(lx, err, b - 2, "escape sequences in string produce invalid UTF-8");
	*out_len = (uint32_t)o;
	return TARN_OK;
}

/* 'string', E'string' (escapes) or "identifier": q is the opening quote. */
static tarn_rc lex_quoted(struct sql_lexer *lx, struct sql_token *tok, struct tarn_err *err,
			  size_t start, size_t q, bool escapes)
{
	const char *s = lx->src;
	size_t n = lx->len, i = q + 1;
	char quote = s[q];
	bool decode = false;
	for (;;) {
		if (!escapes) {
			const char *hit = memchr(s + i, quote, n - i);
			i = hit ? (size_t)(hit - s) : n;
		} else {
			while (i < n && s[i] != quote && s[i] != '\\')
				i++;
		}
		if (i >= n)
			goto unterminated;
		if (s[i] == '\\') {
			if (i + 1 >= n)
				goto unterminated;
			decode = true;
			i += 2;
			continue;
		}
		if (i + 1 < n && s[i + 1] == quote) {
			decode = true;
			i += 2;
			continue;
		}
		break;
	}
	tok->kind = quote == '"' ? TOK_QIDENT : TOK_STRING;
	tok->off = (uint32_t)start;
	tok->len = (uint32_t)(i + 1 - start);
	lx->pos = i + 1;
	size_t b = q + 1, e = i;
	if (quote == '"' && e == b)
		return lex_error(lx, err, start, "zero-length quoted identifier");
	if (!decode) {
		tok->val = s + b;
		tok->vlen = (uint32_t)(e - b);
		return TARN_OK;
	}
	char *out = tarn_arena_alloc(lx->arena, e - b + 1);
	if (!out)
		return tarn_err_nomem(err, "SQL string literal");
	if (escapes) {
		TRY(decode_escapes(lx, err, b, e, out, &tok->vlen));
	} else {
		size_t o = 0;
		for (size_t k = b; k < e; k++) {
			out[o++] = s[k];
			if (s[k] == quote)
				k++; /* skip the second of a doubled quote */
		}
		tok->vlen = (uint32_t)o;
	}
	tok->val = out;
	return TARN_OK;

unterminated:
	lx->pos = n;
	return lex_error(lx, err, start,
			 quote == '"' ? "unterminated quoted identifier"
				      : "unterminated string literal");
}

static tarn_rc number_junk(const struct sql_lexer *lx, struct tarn_err *err, size_t start,
			   size_t i)
{
	size_t e = i;
	while (e < lx->len && e - i < 20 && is_ident_char((unsigned char)lx->src[e]))
		e++;
	return lex_error(lx, err, start, "trailing junk after numeric literal: '%.*s'",
			 (int)(e - start), lx->src + start);
}

static tarn_rc lex_number(struct sql_lexer *lx, struct sql_token *tok, struct tarn_err *err,
			  size_t start)
{
	const char *s = lx->src;
	size_t n = lx->len, i = start;
	tok->off = (uint32_t)start;
	if (s[i] == '0' && i + 1 < n && (s[i + 1] | 0x20) == 'x') {
		uint64_t v = 0;
		bool over = false;
		i += 2;
		size_t d0 = i;
		while (i < n && hex_value((unsigned char)s[i]) >= 0) {
			if (v >> 60)
				over = true;
			v = v << 4 | (uint64_t)hex_value((unsigned char)s[i]);
			i++;
		}
		if (i == d0)
			return lex_error(lx, err, start, "invalid hexadecimal literal: no digits after 0x");
		if (i < n && is_ident_char((unsigned char)s[i]))
			return number_junk(lx, err, start, i);
		if (over)
			return lex_error(lx, err, start,
					 "hexadecimal literal is too large (more than 64 bits)");
		char digits[24];
		int nd = 0;
		do {
			digits[nd++] = (char)('0' + v % 10);
			v /= 10;
		} while (v);
		char *out = tarn_arena_alloc(lx->arena, (size_t)nd + 1);
		if (!out)
			return tarn_err_nomem(err, "SQL number");
		for (int k = 0; k < nd; k++)
			out[k] = digits[nd - 1 - k];
		out[nd] = '\0';
		tok->kind = TOK_INTEGER;
		tok->val = out;
		tok->vlen = (uint32_t)nd;
		tok->len = (uint32_t)(i - start);
		lx->pos = i;
		return TARN_OK;
	}
	enum sql_tok kind = TOK_INTEGER;
	while (i < n && is_digit((unsigned char)s[i]))
		i++;
	if (i < n && s[i] == '.') {
		kind = TOK_DECIMAL;
		i++;
		while (i < n && is_digit((unsigned char)s[i]))
			i++;
	}
	if (i < n && (s[i] | 0x20) == 'e') {
		size_t j = i + 1;
		if (j < n && (s[j] == '+' || s[j] == '-'))
			j++;
		if (j >= n || !is_digit((unsigned char)s[j]))
			return number_junk(lx, err, start, i);
		kind = TOK_FLOAT;
		i = j;
		while (i < n && is_digit((unsigned char)s[i]))
			i++;
	}
	if (i < n && is_ident_char((unsigned char)s[i]))
		return number_junk(lx, err, start, i);
	tok->kind = kind;
	tok->val = s + start;
	tok->vlen = (uint32_t)(i - start);
	tok->len = tok->vlen;
	lx->pos = i;
	return TARN_OK;
}

tarn_rc sql_lex_next(struct sql_lexer *lx, struct sql_token *tok, struct tarn_err *err)
{
	memset(tok, 0, sizeof *tok);
	TRY(skip_blank(lx, err));
	const char *s = lx->src;
	size_t n = lx->len, i = lx->pos;
	tok->off = (uint32_t)i;
	if (i >= n) {
		tok->kind = TOK_EOF;
		return TARN_OK;
	}
	unsigned char c = (unsigned char)s[i];
	unsigned char c1 = i + 1 < n ? (unsigned char)s[i + 1] : 0;
	unsigned char c2 = i + 2 < n ? (unsigned char)s[i + 2] : 0;
	enum sql_tok k;
	size_t w = 1; /* operator width */
	switch (c) {
	case '(': k = TOK_LPAREN; break;
	case ')': k = TOK_RPAREN; break;
	case '[': k = TOK_LBRACKET; break;
	case ']': k = TOK_RBRACKET; break;
	case '{': k = TOK_LBRACE; break;
	case '}': k = TOK_RBRACE; break;
	case ',': k = TOK_COMMA; break;
	case ';': k = TOK_SEMI; break;
	case '+': k = TOK_PLUS; break;
	case '-': k = TOK_MINUS; break;
	case '%': k = TOK_PERCENT; break;
	case '^': k = TOK_CARET; break;
	case '&': k = TOK_AMP; break;
	case '#': k = TOK_HASH; break;
	case '*':
		k = c1 == '*' ? (w = 2, TOK_DSTAR) : TOK_STAR;
		break;
	case '/':
		k = c1 == '/' ? (w = 2, TOK_DSLASH) : TOK_SLASH;
		break;
	case '|':
		k = c1 == '|' ? (w = 2, TOK_CONCAT) : TOK_PIPE;
		break;
	case ':':
		if (c1 == ':')
			w = 2, k = TOK_DCOLON;
		else if (c1 == '=')
			w = 2, k = TOK_COLONEQ;
		else
			k = TOK_COLON;
		break;
	case '=':
		if (c1 == '=')
			w = 2, k = TOK_EQ;
		else if (c1 == '>')
			w = 2, k = TOK_ARROW;
		else
			k = TOK_EQ;
		break;
	case '<':
		if (c1 == '=')
			w = 2, k = TOK_LE;
		else if (c1 == '>')
			w = 2, k = TOK_NE;
		else if (c1 == '<')
			w = 2, k = TOK_SHL;
		else
			k = TOK_LT;
		break;
	case '>':
		if (c1 == '=')
			w = 2, k = TOK_GE;
		else if (c1 == '>')
			w = 2, k = TOK_SHR;
		else
			k = TOK_GT;
		break;
	case '!':
		if (c1 == '=')
			w = 2, k = TOK_NE;
		else if (c1 == '~' && c2 == '*')
			w = 3, k = TOK_NTILDE_STAR;
		else if (c1 == '~')
			w = 2, k = TOK_NTILDE;
		else
			return lex_error(lx, err, i, "unexpected character '!'");
		break;
	case '~':
		k = c1 == '*' ? (w = 2, TOK_TILDE_STAR) : TOK_TILDE;
		break;
	case '?':
		k = TOK_PARAM;
		break;
	case '$': {
		if (!is_digit(c1))
			return lex_error(lx, err, i,
					 "unexpected character '$' (dollar-quoted strings are not "
					 "supported; parameters are $1, $2, ...)");
		size_t j = i + 1;
		uint32_t v = 0;
		while (j < n && is_digit((unsigned char)s[j])) {
			if (v <= SQL_MAX_PARAMS)
				v = v * 10 + (uint32_t)(s[j] - '0');
			j++;
		}
		if (j < n && is_ident_char((unsigned char)s[j]))
			return lex_error(lx, err, i, "invalid parameter: '%.*s'", (int)(j + 1 - i),
					 s + i);
		if (v < 1 || v > SQL_MAX_PARAMS)
			return lex_error(lx, err, i, "parameter $%.*s is out of range (1..%d)",
					 (int)(j - i - 1 > 12 ? 12 : j - i - 1), s + i + 1,
					 SQL_MAX_PARAMS);
		tok->kind = TOK_PARAM;
		tok->param = v;
		tok->len = (uint32_t)(j - i);
		lx->pos = j;
		return TARN_OK;
	}
	case '.':
		if (is_digit(c1))
			return lex_number(lx, tok, err, i);
		k = TOK_DOT;
		break;
	case '0': case '1': case '2': case '3': case '4':
	case '5': case '6': case '7': case '8': case '9':
		return lex_number(lx, tok, err, i);
	case '\'':
		return lex_quoted(lx, tok, err, i, i, false);
	case '"':
		return lex_quoted(lx, tok, err, i, i, false);
	case 'e':
	case 'E':
		if (c1 == '\'')
			return lex_quoted(lx, tok, err, i, i + 1, true);
		goto word;
	default:
		if (is_ident_start(c))
			goto word;
		if (c >= 0x20 && c < 0x7F)
			return lex_error(lx, err, i, "unexpected character '%c'", c);
		return lex_error(lx, err, i, "unexpected character U+%04X", c);
	}
	tok->kind = k;
	tok->len = (uint32_t)w;
	lx->pos = i + w;
	return TARN_OK;

word: {
	size_t j = i + 1;
	while (j < n && is_ident_char((unsigned char)s[j]))
		j++;
	tok->kind = TOK_IDENT;
	tok->val = s + i;
	tok->vlen = tok->len = (uint32_t)(j - i);
	tok->kw = sql_keyword_find(s + i, j - i);
	lx->pos = j;
	return TARN_OK;
}
}
