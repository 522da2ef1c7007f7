/*
 * func_regex.c — regular-expression functions of the scalar registry:
 * regexp_matches / regexp_like (a match somewhere), regexp_full_match (and
 * the operators ~, !~, ~*, !~*, SIMILAR TO that the binder lowers to it),
 * regexp_replace and regexp_extract. Matching is PCRE2 (Debian
 * libpcre2-8), configured to behave like RE2, DuckDB's engine, on the
 * patterns both accept:
 *   - patterns and values are UTF-8 and '.' is one character
 *     (PCRE2_UTF; invalid UTF-8 in a value never matches across the bad
 *     bytes but is no error, PCRE2_MATCH_INVALID_UTF);
 *   - '.' does not match a newline and '$' matches only at the very end
 *     (PCRE2_DOLLAR_ENDONLY), unless the options say otherwise;
 *   - \d \w \s are ASCII classes; 'i' folds case by Unicode rules.
 * PCRE2 accepts more than RE2 (backreferences, lookaround); those work.
 *
 * Options (a constant string, DuckDB's letters): c case-sensitive (the
 * default), i case-insensitive, l literal pattern, s '.' matches a
 * newline, m/n/p newline-sensitive ('.' does not, the default; as in
 * DuckDB, ^ and $ stay anchored to the whole value: use (?m) for lines),
 * g every match (regexp_replace only).
 *
 * A constant pattern is compiled once, when the call is bound, and
 * JIT-compiled when the platform allows; a pattern from a column is
 * compiled per row without JIT (a row repeating the previous row's pattern
 * reuses it).
 * An invalid pattern is TARN_EUSAGE naming the pattern, PCRE2's message
 * and the offset. A match that exceeds PCRE2's backtracking or heap limits
 * is TARN_ELIMIT rather than a hang.
 *
 * Thread-safety: the compiled pattern (and its JIT code) in the bound
 * expression is read-only; each kernel call creates its own match data,
 * so any number of morsel workers may evaluate one tree at once. Memory
 * goes through the tarn_malloc hook (a PCRE2 general context).
 */
#include <string.h>
#include <strings.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "base/mem.h"
#include "sql/expr_int.h"

#define ROW(k) (sel ? (int64_t)sel[k] : (int64_t)(k))

struct ex_regex {
	pcre2_code *code;
	char *src;     /* the pattern as given, for copies */
	size_t src_len;
	uint32_t opts; /* PCRE2 compile options */
	bool jit;      /* JIT requested (a constant pattern) */
};

static void *rx_alloc(size_t n, void *data)
{
	(void)data;
	return tarn_malloc(n);
}

static void rx_release(void *p, void *data)
{
	(void)data;
	tarn_free(p);
}

void ex_regex_free(struct ex_regex *re)
{
	if (!re)
		return;
	pcre2_code_free(re->code);
	tarn_free(re->src);
	tarn_free(re);
}

/* Quotes at most 60 bytes of a pattern for messages. */
#define PAT_SHOWN(n) ((int)((n) > 60 ? 60 : (n)))

/* jit: also JIT-compile (worth it for a pattern that runs on many rows,
 * not for one compiled per row). */
static tarn_rc regex_compile(const char *p, size_t n, uint32_t opts, bool jit,
			     struct ex_regex **out, struct tarn_err *err)
{
	*out = NULL;
	struct ex_regex *re = tarn_calloc(1, sizeof *re);
	pcre2_general_context *gc = pcre2_general_context_create(rx_alloc, rx_release, NULL);
	pcre2_compile_context *cc = gc ? pcre2_compile_context_create(gc) : NULL;
	if (!re || !cc || !(re->src = tarn_strndup(p, n))) {
		pcre2_compile_context_free(cc);
		pcre2_general_context_free(gc);
		ex_regex_free(re);
		return tarn_err_nomem(err, "regular expression");
	}
	if (opts & PCRE2_LITERAL) /* options about metacharacters do not combine with it */
		opts &= ~(uint32_t)(PCRE2_DOLLAR_ENDONLY | PCRE2_DOTALL | PCRE2_MULTILINE);
	re->src_len = n;
	re->opts = opts;
	int ecode = 0;
	PCRE2_SIZE eoff = 0;
	re->code = pcre2_compile((PCRE2_SPTR)p, n, opts, &ecode, &eoff, cc);
	pcre2_compile_context_free(cc);
	pcre2_general_context_free(gc);
	if (!re->code) {
		ex_regex_free(re);
		if (ecode == PCRE2_ERROR_HEAPLIMIT || ecode == PCRE2_ERROR_NOMEMORY)
			return tarn_err_nomem(err, "regular expression");
		PCRE2_UCHAR msg[160];
		if (pcre2_get_error_message(ecode, msg, sizeof msg) < 0)
			strcpy((char *)msg, "invalid");
		return tarn_err_set(err, TARN_EUSAGE,
				    "invalid regular expression '%.*s%s': %s at offset %zu",
				    PAT_SHOWN(n), p, n > 60 ? "..." : "", (const char *)msg,
				    (size_t)eoff);
	}
	/* JIT when available; without it the interpreter runs the same code */
	if (jit)
		(void)pcre2_jit_compile(re->code, PCRE2_JIT_COMPLETE);
	re->jit = jit;
	*out = re;
	return TARN_OK;
}

tarn_rc ex_regex_copy(const struct ex_regex *re, struct ex_regex **out)
{
	return regex_compile(re->src, re->src_len, re->opts, re->jit, out, NULL);
}

enum { RX_MATCHES, RX_FULL, RX_REPLACE, RX_EXTRACT };

/* Base options: RE2's defaults (see the file comment). */
#define RX_BASE (PCRE2_UTF | PCRE2_MATCH_INVALID_UTF | PCRE2_DOLLAR_ENDONLY)

/* Folds an options string into compile options; *global for 'g'. */
static tarn_rc parse_opts(const char *fn, const uint8_t *s, size_t n, uint32_t *opts,
			  bool *global, struct tarn_err *err)
{
	for (size_t k = 0; k < n; k++) {
		switch (s[k]) {
		case 'c': *opts &= ~(uint32_t)PCRE2_CASELESS; break;
		case 'i': *opts |= PCRE2_CASELESS; break;
		case 'l': *opts |= PCRE2_LITERAL; break;
		case 's': *opts |= PCRE2_DOTALL; break;
		case 'm':
		case 'n':
		case 'p': *opts &= ~(uint32_t)PCRE2_DOTALL; break;
		case 'g':
			if (global) {
				*global = true;
				break;
			}
			/* fallthrough */
		default:
			return tarn_err_set(err, TARN_EUSAGE,
					    "%s: unknown regular expression option '%c' (c, i, l, s, "
					    "m, n, p%s)",
					    fn, s[k], global ? ", g" : "");
		}
	}
	return TARN_OK;
}

/* fn_arg packs the kind (low 4 bits) and 'g' (bit 4); the compile options
 * live in e->re, or for per-row patterns are recomputed from the constant
 * options argument. */
#define RX_GLOBAL 16

static int opt_index(int kind)
{
	return kind == RX_REPLACE ? 3 : kind == RX_EXTRACT ? 3 : 2;
}

/* args: s, pattern [, replacement] [, group] [, options] */
static tarn_rc bind_regexp(struct ex_expr *e, struct tarn_err *err)
{
	const char *nm = e->fn->name;
	int kind = !strcasecmp(nm, "regexp_replace")	  ? RX_REPLACE
		   : !strcasecmp(nm, "regexp_extract")	  ? RX_EXTRACT
		   : !strcasecmp(nm, "regexp_full_match") ? RX_FULL
							  : RX_MATCHES;
	TRY(ex_fn_want_string(e, 0, err));
	TRY(ex_fn_want_string(e, 1, err));
	if (kind == RX_REPLACE)
		TRY(ex_fn_want_string(e, 2, err));
	if (kind == RX_EXTRACT && e->n_args > 2) {
		TRY(ex_fn_want_int(e, 2, err));
		TRY(ex_fn_coerce(e, 2, TARN_T_INT64, err));
		const struct ex_expr *g = e->args[2];
		if (g->kind != EX_E_CONST)
			return tarn_err_set(err, TARN_EUSAGE, "%s: the group must be a constant", nm);
		if (!ex_is_null(g->value, 0) && ((const int64_t *)g->value->values)[0] < 0)
			return tarn_err_set(err, TARN_EUSAGE, "%s: group %lld is negative", nm,
					    (long long)((const int64_t *)g->value->values)[0]);
	}
	uint32_t opts = RX_BASE;
	bool global = false;
	int oi = opt_index(kind);
	if (e->n_args > oi) {
		TRY(ex_fn_want_string(e, oi, err));
		const struct ex_expr *o = e->args[oi];
		if (o->kind != EX_E_CONST)
			return tarn_err_set(err, TARN_EUSAGE, "%s: options must be a constant", nm);
		if (!ex_is_null(o->value, 0)) {
			size_t on;
			const uint8_t *op = tarn_array_get_bytes(o->value, 0, &on);
			TRY(parse_opts(nm, op, on, &opts, kind == RX_REPLACE ? &global : NULL, err));
		}
	}
	e->fn_arg = kind | (global ? RX_GLOBAL : 0);
	const struct ex_expr *pat = e->args[1];
	if (pat->kind == EX_E_CONST && !ex_is_null(pat->value, 0)) {
		size_t pn;
		const uint8_t *pp = tarn_array_get_bytes(pat->value, 0, &pn);
		TRY(regex_compile((const char *)pp, pn, opts, true, &e->re, err));
	}
	tarn_type_init(&e->type, kind == RX_MATCHES || kind == RX_FULL ? TARN_T_BOOL : TARN_T_STRING);
	return TARN_OK;
}

/* One evaluation's matching state: match data sized for the pattern. */
struct rx_state {
	pcre2_general_context *gc;
	pcre2_match_data *md;
	const char *fn;
	struct tarn_err *err;
	bool err_set; /* st->err holds the message of the failure */
};

static tarn_rc state_for(struct rx_state *st, const struct ex_regex *re)
{
	pcre2_match_data_free(st->md);
	st->md = pcre2_match_data_create_from_pattern(re->code, st->gc);
	return st->md ? TARN_OK : TARN_ENOMEM;
}

/* Runs re on s[0..n) from offset `from`: 1 match, 0 none, else an error
 * code (set in st->err). anchored_full: the match must span all of s. */
static int rx_run(struct rx_state *st, const struct ex_regex *re, const uint8_t *s, size_t n,
		  size_t from, uint32_t mopts, tarn_rc *rc)
{
	int m = pcre2_match(re->code, (PCRE2_SPTR)s, n, from, mopts, st->md, NULL);
	if (m == PCRE2_ERROR_JIT_STACKLIMIT) /* deep recursion: the interpreter's heap frames */
		m = pcre2_match(re->code, (PCRE2_SPTR)s, n, from, mopts | PCRE2_NO_JIT, st->md, NULL);
	if (m >= 0)
		return 1;
	if (m == PCRE2_ERROR_NOMATCH)
		return 0;
	if (m == PCRE2_ERROR_NOMEMORY) {
		*rc = TARN_ENOMEM;
		return -1;
	}
	PCRE2_UCHAR msg[160];
	if (pcre2_get_error_message(m, msg, sizeof msg) < 0)
		strcpy((char *)msg, "matching failed");
	st->err_set = true;
	*rc = tarn_err_set(st->err, TARN_ELIMIT, "%s: regular expression '%.*s%s' on a value of %zu bytes: %s",
			   st->fn, PAT_SHOWN(re->src_len), re->src, re->src_len > 60 ? "..." : "", n,
			   (const char *)msg);
	return -1;
}

/* Appends the replacement rep with \0..\9 naming groups and \\ a backslash
 * (RE2's rewrite syntax); a group the match did not set adds nothing. */
static tarn_rc put_rewrite(struct ex_strout *o, const uint8_t *s, const PCRE2_SIZE *ov,
			   uint32_t npairs, const uint8_t *rep, size_t rl)
{
	size_t lit = 0;
	for (size_t t = 0; t < rl; t++) {
		if (rep[t] != '\\' || t + 1 >= rl)
			continue;
		uint8_t c = rep[t + 1];
		if (c != '\\' && (c < '0' || c > '9'))
			continue;
		TRY(ex_strout_put(o, rep + lit, t - lit));
		if (c == '\\') {
			TRY(ex_strout_put(o, "\\", 1));
		} else {
			uint32_t g = (uint32_t)(c - '0');
			if (g < npairs && ov[2 * g] != PCRE2_UNSET)
				TRY(ex_strout_put(o, s + ov[2 * g], ov[2 * g + 1] - ov[2 * g]));
		}
		t++;
		lit = t + 1;
	}
	return ex_strout_put(o, rep + lit, rl - lit);
}

/* Bytes in the UTF-8 character starting at s[i] (1 on a bad byte). */
static size_t char_len(const uint8_t *s, size_t n, size_t i)
{
	uint8_t c = s[i];
	size_t k = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
	return i + k <= n ? k : 1;
}

/* regexp_replace of one value: the first match, or with `global` every
 * match; an empty match right where the previous match ended is skipped
 * (RE2's rule, so 'aaa' ~ 'a*' with 'g' gives one replacement). */
static tarn_rc replace_one(struct rx_state *st, const struct ex_regex *re, struct ex_strout *o,
			   const uint8_t *s, size_t n, const uint8_t *rep, size_t rl, bool global)
{
	tarn_rc rc = TARN_OK;
	size_t pos = 0, last_end = (size_t)-1;
	uint32_t npairs = pcre2_get_ovector_count(st->md);
	const PCRE2_SIZE *ov = pcre2_get_ovector_pointer(st->md);
	while (pos <= n) {
		int m = rx_run(st, re, s, n, pos, 0, &rc);
		if (m < 0)
			return rc;
		if (m == 0)
			break;
		size_t ms = ov[0], me = ov[1];
		TRY(ex_strout_put(o, s + pos, ms - pos));
		if (ms == me && ms == last_end) {
			if (ms >= n)
				break;
			size_t k = char_len(s, n, ms);
			TRY(ex_strout_put(o, s + ms, k));
			pos = ms + k;
			continue;
		}
		TRY(put_rewrite(o, s, ov, npairs, rep, rl));
		pos = last_end = me;
		if (!global)
			break;
	}
	return pos < n ? ex_strout_put(o, s + pos, n - pos) : TARN_OK;
}

static tarn_rc eval_regexp(const struct ex_expr *e, const struct ex_fargs *a, const uint32_t *sel,
			   int64_t n, struct tarn_array *r, struct tarn_err *err)
{
	int kind = e->fn_arg & 15;
	bool global = (e->fn_arg & RX_GLOBAL) != 0;
	/* strict in s, the pattern, and the replacement or group */
	int nstrict = kind == RX_REPLACE || (kind == RX_EXTRACT && a->n > 2) ? 3 : 2;
	TRY(ex_validity_and(r, a->v, nstrict, r->length));
	int64_t group = 0;
	if (kind == RX_EXTRACT && a->n > 2 && !vec_null(&a->v[2], 0))
		group = ((const int64_t *)a->v[2].a->values)[0];
	uint32_t row_opts = RX_BASE;
	int oi = opt_index(kind);
	if (!e->re && a->n > oi && !vec_null(&a->v[oi], 0)) {
		size_t on;
		const uint8_t *op = ex_str_at(&a->v[oi], 0, &on);
		bool g = false;
		TRY(parse_opts(e->fn->name, op, on, &row_opts, kind == RX_REPLACE ? &g : NULL, err));
	}
	struct rx_state st = { .fn = e->fn->name, .err = err };
	struct ex_strout o = { 0 };
	bool str = kind == RX_REPLACE || kind == RX_EXTRACT;
	if (str)
		ex_strout_init(&o, r);
	tarn_rc rc = TARN_OK;
	struct ex_regex *row_re = NULL;
	st.gc = pcre2_general_context_create(rx_alloc, rx_release, NULL);
	if (!st.gc)
		rc = TARN_ENOMEM;
	if (!rc && e->re)
		rc = state_for(&st, e->re);
	for (int64_t k = 0; k < n && !rc; k++) {
		int64_t i = ROW(k);
		if (str)
			ex_strout_row(&o, i);
		if (r->validity && !tarn_bit_get(r->validity, i))
			continue;
		const struct ex_regex *re = e->re;
		if (!re) { /* a pattern per row; the previous row's when equal */
			size_t pn;
			const uint8_t *pp = ex_str_at(&a->v[1], i, &pn);
			if (!row_re || row_re->src_len != pn || memcmp(row_re->src, pp, pn)) {
				ex_regex_free(row_re);
				row_re = NULL;
				if ((rc = regex_compile((const char *)pp, pn, row_opts, false, &row_re,
							err)))
					break;
				if ((rc = state_for(&st, row_re)))
					break;
			}
			re = row_re;
		}
		size_t len;
		const uint8_t *s = ex_str_at(&a->v[0], i, &len);
		int m;
		switch (kind) {
		case RX_MATCHES:
		case RX_FULL:
			m = rx_run(&st, re, s, len, 0, kind == RX_FULL ? PCRE2_ANCHORED | PCRE2_ENDANCHORED : 0,
				   &rc);
			if (m >= 0)
				bits_set(r->values, i, m == 1);
			break;
		case RX_EXTRACT:
			m = rx_run(&st, re, s, len, 0, 0, &rc);
			if (m == 1) {
				const PCRE2_SIZE *ov = pcre2_get_ovector_pointer(st.md);
				uint32_t np = pcre2_get_ovector_count(st.md);
				if ((uint64_t)group < np && ov[2 * group] != PCRE2_UNSET)
					rc = ex_strout_put(&o, s + ov[2 * group],
							   ov[2 * group + 1] - ov[2 * group]);
			}
			break;
		default: {
			size_t rl;
			const uint8_t *rep = ex_str_at(&a->v[2], i, &rl);
			rc = replace_one(&st, re, &o, s, len, rep, rl, global);
		}
		}
	}
	ex_regex_free(row_re);
	pcre2_match_data_free(st.md);
	pcre2_general_context_free(st.gc);
	if (str)
		ex_strout_done(&o);
	if (rc == TARN_ENOMEM || (rc == TARN_ELIMIT && !st.err_set))
		return ex_fn_str_fail(rc, e->fn->name, err);
	return rc;
}

const struct ex_func ex_funcs_regex[] = {
	{ "regexp_matches", 2, 3,
	  "regexp_matches(s, re [, options]): re matches somewhere in s (options: c i l s m n p)",
	  bind_regexp, eval_regexp },
	{ "regexp_like", 2, 3, "regexp_like(s, re [, options]): regexp_matches", bind_regexp,
	  eval_regexp },
	{ "regexp_full_match", 2, 3,
	  "regexp_full_match(s, re [, options]): re matches all of s (also s ~ re, s SIMILAR TO re)",
	  bind_regexp, eval_regexp },
	{ "regexp_replace", 3, 4,
	  "regexp_replace(s, re, rep [, options]): the first match (g: every match) replaced; "
	  "\\0..\\9 in rep are groups",
	  bind_regexp, eval_regexp },
	{ "regexp_extract", 2, 4,
	  "regexp_extract(s, re [, group [, options]]): the match (or group), '' if none",
	  bind_regexp, eval_regexp },
};

const int ex_funcs_regex_n = (int)(sizeof ex_funcs_regex / sizeof *ex_funcs_regex);
