/*
 * json_lex.c — the JSON tokenizer (RFC 8259): strings, numbers, literals,
 * compact copies of whole values, and error messages with their location.
 *
 * Relies on columnar/utf8.h for UTF-8 validation and columnar/text.h for
 * correctly rounded number parsing. Works on the window described in
 * json_int.h; never reads outside p[0..n). Thread-safety: state lives in the
 * caller's struct jparse only.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>

#include "columnar/text.h"
#include "columnar/utf8.h"
#include "formats/json/json_int.h"

/* ---- parser state ------------------------------------------------------------ */

tarn_rc json_parse_init(struct jparse *ps, const struct jopts *opt, struct tarn_err *err)
{
	memset(ps, 0, sizeof *ps);
	ps->opt = opt;
	ps->err.record = -1;
	tarn_buf_init(&ps->scratch);
	ps->path = tarn_calloc((size_t)opt->max_depth + 2, sizeof *ps->path);
	if (!ps->path)
		return tarn_err_nomem(err, "JSON parser");
	return TARN_OK;
}

void json_parse_free(struct jparse *ps)
{
	tarn_buf_free(&ps->scratch);
	tarn_free(ps->path);
	ps->path = NULL;
}

void json_parse_window(struct jparse *ps, const uint8_t *p, size_t n, int64_t base, bool final)
{
	/* Keep the global position: pos is re-expressed against the new base. */
	int64_t at = ps->base + (int64_t)ps->pos;
	ps->p = p;
	ps->n = n;
	ps->base = base;
	ps->pos = (size_t)(at - base);
	ps->final = final;
}

/* ---- errors ------------------------------------------------------------------ */

static void vfail(struct jparse *ps, tarn_rc rc, int64_t at, const char *fmt, va_list ap)
{
	ps->err.rc = rc;
	ps->err.at = at;
	ps->err.line = ps->line;
	ps->err.line_start = ps->line_start;
	ps->err.record = -1;
	vsnprintf(ps->err.msg, sizeof ps->err.msg, fmt, ap);
}

int json_fail_at(struct jparse *ps, tarn_rc rc, int64_t at, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfail(ps, rc, at, fmt, ap);
	va_end(ap);
	return JS_ERR;
}

int json_eob(struct jparse *ps, const char *what)
{
	if (!ps->final)
		return JS_MORE;
	return json_fail_at(ps, TARN_EDATA, ps->base + (int64_t)ps->n,
			    "unexpected end of input %s", what);
}

int json_expect_colon(struct jparse *ps)
{
	json_ws(ps);
	if (ps->pos >= ps->n)
		return json_eob(ps, "inside an object");
	if (ps->p[ps->pos] != ':') {
		char d[32];
		return json_fail_at(ps, TARN_EDATA, json_at(ps), "expected ':' after object key, found %s",
				    json_describe_char(ps->p[ps->pos], d, sizeof d));
	}
	ps->pos++;
	return JS_OK;
}

const char *json_describe_char(uint8_t c, char *buf, size_t cap)
{
	if (c >= 0x21 && c < 0x7f)
		snprintf(buf, cap, "'%c'", c);
	else if (c < 0x80)
		snprintf(buf, cap, "U+%04X", c);
	else
		snprintf(buf, cap, "byte 0x%02X", c);
	return buf;
}

void json_path_text(const struct jparse *ps, char *buf, size_t cap)
{
	size_t len = 0;
	buf[0] = '\0';
	for (int i = 0; i < ps->path_n && len + 1 < cap; i++) {
		const struct jpath *e = &ps->path[i];
		int w;
		if (e->name)
			w = snprintf(buf + len, cap - len, "%s%.*s", len ? "." : "",
				     (int)(e->len > 200 ? 200 : e->len), e->name);
		else
			w = snprintf(buf + len, cap - len, "[%lld]", (long long)e->index);
		if (w < 0)
			break;
		len += (size_t)w;
		if (len >= cap)
			len = cap - 1;
	}
}

tarn_rc json_err_report(const struct jerr *e, const char *name, int64_t line_base,
			int64_t record_base, struct tarn_err *err)
{
	long long line = (long long)(line_base + e->line + 1);
	long long col = (long long)(e->at - e->line_start + 1);
	if (e->record >= 0)
		return tarn_err_set(err, e->rc, "%s:%lld:%lld (byte %lld, record %lld): %s", name,
				    line, col, (long long)e->at,
				    (long long)(record_base + e->record + 1), e->msg);
	return tarn_err_set(err, e->rc, "%s:%lld:%lld (byte %lld): %s", name, line, col,
			    (long long)e->at, e->msg);
}

/* ---- strings ------------------------------------------------------------------- */

static int hexval(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Four hex digits at s (len bytes left) or -1. */
static int32_t hex4(const uint8_t *s, size_t left)
{
	if (left < 4)
		return -1;
	int32_t v = 0;
	for (int k = 0; k < 4; k++) {
		int h = hexval(s[k]);
		if (h < 0)
			return -1;
		v = v * 16 + h;
	}
	return v;
}

static size_t put_utf8(uint8_t *d, uint32_t cp)
{
	if (cp < 0x80) {
		d[0] = (uint8_t)cp;
		return 1;
	}
	if (cp < 0x800) {
		d[0] = (uint8_t)(0xc0 | (cp >> 6));
		d[1] = (uint8_t)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		d[0] = (uint8_t)(0xe0 | (cp >> 12));
		d[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
		d[2] = (uint8_t)(0x80 | (cp & 0x3f));
		return 3;
	}
	d[0] = (uint8_t)(0xf0 | (cp >> 18));
	d[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
	d[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
	d[3] = (uint8_t)(0x80 | (cp & 0x3f));
	return 4;
}

int json_str_decode(struct jparse *ps, size_t start, size_t len, unsigned flags, uint8_t *dst,
		    size_t *out_len)
{
	const uint8_t *s = ps->p + start;
	if (flags & STR_HIGH) {
		size_t bad = 0;
		if (!tarn_utf8_valid(s, len, &bad))
			return json_fail_at(ps, TARN_EDATA, ps->base + (int64_t)(start + bad),
					    "invalid UTF-8 in a string (byte 0x%02X)", s[bad]);
	}
	if (!(flags & STR_ESC)) {
		if (dst && len)
			memcpy(dst, s, len);
		*out_len = len;
		return JS_OK;
	}
	size_t i = 0, o = 0;
	uint8_t tmp[4];
	while (i < len) {
		const uint8_t *bs = memchr(s + i, '\\', len - i);
		size_t run = bs ? (size_t)(bs - (s + i)) : len - i;
		if (dst && run)
			memcpy(dst + o, s + i, run);
		o += run;
		i += run;
		if (i >= len)
			break;
		int64_t at = ps->base + (int64_t)(start + i);
		/* json_str_scan guarantees a byte after every backslash. */
		uint8_t e = s[i + 1], c;
		switch (e) {
		case '"': c = '"'; break;
		case '\\': c = '\\'; break;
		case '/': c = '/'; break;
		case 'b': c = '\b'; break;
		case 'f': c = '\f'; break;
		case 'n': c = '\n'; break;
		case 'r': c = '\r'; break;
		case 't': c = '\t'; break;
		case 'u': {
			int32_t u = hex4(s + i + 2, len - i - 2);
			if (u < 0)
				return json_fail_at(ps, TARN_EDATA, at,
						    "invalid \\u escape (expected four hex digits)");
			uint32_t cp = (uint32_t)u;
			size_t used = 6;
			if (cp >= 0xdc00 && cp <= 0xdfff)
				return json_fail_at(ps, TARN_EDATA, at,
						    "lone surrogate \\u%04X (a low surrogate "
						    "without a high one before it)",
						    cp);
			if (cp >= 0xd800 && cp <= 0xdbff) {
				int32_t lo = -1;
				if (i + 7 < len && s[i + 6] == '\\' && s[i + 7] == 'u')
					lo = hex4(s + i + 8, len - i - 8);
				if (lo < 0xdc00 || lo > 0xdfff)
					return json_fail_at(ps, TARN_EDATA, at,
							    "lone surrogate \\u%04X (a high "
							    "surrogate must be followed by a "
							    "\\u escape of a low one)",
							    cp);
				cp = 0x10000 + ((cp - 0xd800) << 10) + ((uint32_t)lo - 0xdc00);
				used = 12;
			}
			size_t k = put_utf8(dst ? dst + o : tmp, cp);
			o += k;
			i += used;
			continue;
		}
		default: {
			char d[16];
			return json_fail_at(ps, TARN_EDATA, at, "invalid escape '\\' followed by %s",
					    json_describe_char(e, d, sizeof d));
		}
		}
		if (dst)
			dst[o] = c;
		o++;
		i += 2;
	}
	*out_len = o;
	return JS_OK;
}

/* ---- numbers ------------------------------------------------------------------- */

static inline bool is_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

int json_num_scan(struct jparse *ps, struct jnum *num)
{
	const uint8_t *p = ps->p;
	size_t n = ps->n, i = ps->pos;
	memset(num, 0, sizeof *num);
	num->start = i;
	if (p[i] == '-') {
		num->neg = true;
		i++;
		if (i >= n)
			return json_eob(ps, "in a number");
	}
	if (ps->opt->allow_nan && (p[i] == 'N' || p[i] == 'I')) {
		const char *w = p[i] == 'N' ? "NaN" : "Infinity";
		size_t wl = strlen(w);
		size_t have = n - i < wl ? n - i : wl;
		if (memcmp(p + i, w, have) == 0 && !(p[i] == 'N' && num->neg)) {
			if (have < wl)
				return json_eob(ps, "in a number");
			num->special = true;
			num->special_value = p[i] == 'N' ? (double)NAN
					     : num->neg  ? -(double)INFINITY
							 : (double)INFINITY;
			num->len = i + wl - num->start;
			ps->pos = i + wl;
			return JS_OK;
		}
	}
	if (!is_digit(p[i])) {
		char d[16];
		return json_fail_at(ps, TARN_EDATA, ps->base + (int64_t)i,
				    "expected a digit after '-', found %s",
				    json_describe_char(p[i], d, sizeof d));
	}
	uint64_t mag = 0;
	bool over = false;
	int digits = 0;
	if (p[i] == '0') {
		i++;
		if (i < n && is_digit(p[i]))
			return json_fail_at(ps, TARN_EDATA, ps->base + (int64_t)num->start,
					    "leading zeros are not allowed in numbers");
	} else {
		while (i < n && is_digit(p[i])) {
			unsigned d = (unsigned)(p[i] - '0');
			if (!over && (__builtin_mul_overflow(mag, 10, &mag) ||
				      __builtin_add_overflow(mag, d, &mag)))
				over = true;
			digits++;
			i++;
		}
	}
	bool is_int = true;
	if (i < n && p[i] == '.') {
		is_int = false;
		i++;
		if (i >= n)
			return json_eob(ps, "in a number");
		if (!is_digit(p[i]))
			return json_fail_at(ps, TARN_EDATA, ps->base + (int64_t)i,
					    "expected a digit after the decimal point");
		while (i < n && is_digit(p[i]))
			i++;
	}
	if (i < n && (p[i] == 'e' || p[i] == 'E')) {
		is_int = false;
		i++;
		if (i < n && (p[i] == '+' || p[i] == '-'))
			i++;
		if (i >= n)
			return json_eob(ps, "in a number");
		if (!is_digit(p[i]))
			return json_fail_at(ps, TARN_EDATA, ps->base + (int64_t)i,
					    "expected a digit in the exponent");
		while (i < n && is_digit(p[i]))
			i++;
	}
	/* A number touching the window end may go on in the next window. */
	if (i >= n && !ps->final)
		return JS_MORE;
	num->len = i - num->start;
	if ((size_t)num->len > (size_t)ps->opt->max_value)
		return json_fail_at(ps, TARN_ELIMIT, ps->base + (int64_t)num->start,
				    "number longer than max-value-size (%lld bytes)",
				    (long long)ps->opt->max_value);
	num->is_int = is_int;
	num->digits = digits;
	if (is_int && !over) {
		num->u_fits = !num->neg;
		num->mag = mag;
		num->fits = num->neg ? mag <= (uint64_t)INT64_MAX + 1 : mag <= (uint64_t)INT64_MAX;
		if (num->neg && mag == 0)
			num->fits = true;
	}
	ps->pos = i;
	return JS_OK;
}

/* Significant digits kept of a number too long for the text kernels: more
 * than any rounding boundary of a double (or float) has, so the value with
 * the rest replaced by one sticky digit rounds the same way. */
#define LONG_NUM_DIGITS 800

/* A JSON number of any length as an equivalent short one in buf: its first
 * LONG_NUM_DIGITS significant digits, a '1' when nonzero digits follow, and
 * the exponent that puts them in place ("-123...1e-456"). */
static size_t shorten_number(const uint8_t *s, size_t n, char *buf)
{
	size_t i = 0, o = 0;
	if (s[0] == '-') {
		buf[o++] = '-';
		i = 1;
	}
	size_t d0 = o;
	int64_t x = 0; /* the value is digits * 10^x */
	bool sticky = false;
	int kept = 0;
	for (int frac = 0; frac < 2; frac++) {
		for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
			if (kept == 0 && s[i] == '0') {
				x -= frac; /* leading zeros */
				continue;
			}
			if (kept < LONG_NUM_DIGITS) {
				buf[o++] = (char)s[i];
				kept++;
				x -= frac;
			} else {
				sticky |= s[i] != '0';
				x += !frac;
			}
		}
		if (frac == 0 && i < n && s[i] == '.')
			i++;
		else
			break;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		bool neg = i < n && s[i] == '-';
		if (i < n && (s[i] == '-' || s[i] == '+'))
			i++;
		int64_t e = 0;
		for (; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			if (e < 100000000)
				e = e * 10 + (s[i] - '0');
		x += neg ? -e : e;
	}
	if (sticky) {
		buf[o++] = '1';
		x--;
	}
	if (o == d0) {
		buf[o++] = '0';
		x = 0;
	}
	/* beyond this, any digits give 0 or infinity */
	if (x > 10000000)
		x = 10000000;
	if (x < -10000000)
		x = -10000000;
	return o + (size_t)snprintf(buf + o, 16, "e%lld", (long long)x);
}

const char *json_num_text(const struct jparse *ps, const struct jnum *num, char *buf,
			  size_t *len)
{
	const uint8_t *s = ps->p + num->start;
	if (num->len <= JSON_NUM_TEXT_MAX) {
		*len = num->len;
		return (const char *)s;
	}
	*len = shorten_number(s, num->len, buf);
	return buf;
}

double json_num_double(const struct jparse *ps, const struct jnum *num)
{
	if (num->special)
		return num->special_value;
	if (num->fits && num->mag <= (1ull << 53))
		return num->neg ? -(double)num->mag : (double)num->mag;
	/* Valid JSON number syntax, which tarn_parse_double accepts up to
	 * JSON_NUM_TEXT_MAX bytes; longer numbers are shortened first. */
	char buf[JSON_NUM_BUF];
	size_t n;
	const char *t = json_num_text(ps, num, buf, &n);
	double d = 0;
	if (!tarn_parse_double(t, n, &d))
		d = 0; /* not reached: the syntax was checked */
	return d;
}

/* ---- literals ------------------------------------------------------------------- */

int json_literal(struct jparse *ps, const char *word, size_t wl)
{
	size_t left = ps->n - ps->pos;
	size_t have = left < wl ? left : wl;
	if (memcmp(ps->p + ps->pos, word, have) == 0) {
		if (have < wl)
			return json_eob(ps, "in a literal");
		ps->pos += wl;
		return JS_OK;
	}
	char d[16];
	return json_fail_at(ps, TARN_EDATA, json_at(ps),
			    "invalid value starting with %s (expected %s)",
			    json_describe_char(ps->p[ps->pos], d, sizeof d), word);
}

/* ---- whole values --------------------------------------------------------------- */

static int put(struct jparse *ps, struct tarn_buf *out, const void *s, size_t n, int64_t at)
{
	if (!out)
		return JS_OK;
	if ((int64_t)(out->len + n) > ps->opt->max_value)
		return json_fail_at(ps, TARN_ELIMIT, at,
				    "value longer than max-value-size (%lld bytes)",
				    (long long)ps->opt->max_value);
	if (tarn_buf_append(out, s, n) != TARN_OK)
		return json_fail_at(ps, TARN_ENOMEM, at, "out of memory copying a value");
	return JS_OK;
}

static int copy_string(struct jparse *ps, struct tarn_buf *out)
{
	int64_t at = json_at(ps);
	size_t s = 0, l = 0;
	unsigned fl = 0;
	int rc = json_str_scan(ps, &s, &l, &fl);
	if (rc)
		return rc;
	size_t dl;
	if ((rc = json_str_decode(ps, s, l, fl, NULL, &dl)))
		return rc;
	return put(ps, out, ps->p + s - 1, l + 2, at);
}

int json_value_copy(struct jparse *ps, struct tarn_buf *out, int depth)
{
	/* Open containers: '{' or '['. Depth is bounded by max-depth. */
	uint8_t stack[JSON_MAX_DEPTH_CAP + 1];
	int sp = 0;
	int rc;
	char d[16];
	for (;;) {
		/* A value. */
		json_ws(ps);
		if (ps->pos >= ps->n)
			return json_eob(ps, "where a value was expected");
		uint8_t c = ps->p[ps->pos];
		int64_t at = json_at(ps);
		if (c == '{' || c == '[') {
			if (depth + sp >= ps->opt->max_depth)
				return json_fail_at(ps, TARN_ELIMIT, at,
						    "nesting deeper than max-depth (%d)",
						    ps->opt->max_depth);
			stack[sp++] = c;
			ps->pos++;
			if ((rc = put(ps, out, &c, 1, at)))
				return rc;
			json_ws(ps);
			if (ps->pos >= ps->n)
				return json_eob(ps, c == '{' ? "inside an object" : "inside an array");
			uint8_t e = ps->p[ps->pos];
			if (e == (c == '{' ? '}' : ']')) {
				ps->pos++;
				sp--;
				if ((rc = put(ps, out, &e, 1, at)))
					return rc;
				goto after_value;
			}
			if (c == '[')
				continue;
			goto key;
		} else if (c == '"') {
			if ((rc = copy_string(ps, out)))
				return rc;
		} else if (c == '-' || is_digit(c) || (ps->opt->allow_nan && (c == 'N' || c == 'I'))) {
			struct jnum num;
			if ((rc = json_num_scan(ps, &num)))
				return rc;
			if ((rc = put(ps, out, ps->p + num.start, num.len, at)))
				return rc;
		} else if (c == 't' || c == 'f' || c == 'n') {
			const char *w = c == 't' ? "true" : c == 'f' ? "false" : "null";
			if ((rc = json_literal(ps, w, strlen(w))))
				return rc;
			if ((rc = put(ps, out, w, strlen(w), at)))
				return rc;
		} else {
			return json_fail_at(ps, TARN_EDATA, at, "unexpected %s where a value was expected",
					    json_describe_char(c, d, sizeof d));
		}
	after_value:
		for (;;) {
			if (sp == 0)
				return JS_OK;
			json_ws(ps);
			if (ps->pos >= ps->n)
				return json_eob(ps, stack[sp - 1] == '{' ? "inside an object"
									 : "inside an array");
			uint8_t e = ps->p[ps->pos];
			int64_t eat = json_at(ps);
			uint8_t close = stack[sp - 1] == '{' ? '}' : ']';
			if (e == close) {
				ps->pos++;
				sp--;
				if ((rc = put(ps, out, &e, 1, eat)))
					return rc;
				continue;
			}
			if (e != ',')
				return json_fail_at(ps, TARN_EDATA, eat,
						    close == '}'
							    ? "expected ',' or '}' after object member, found %s"
							    : "expected ',' or ']' after array element, found %s",
						    json_describe_char(e, d, sizeof d));
			ps->pos++;
			if ((rc = put(ps, out, ",", 1, eat)))
				return rc;
			json_ws(ps);
			if (ps->pos >= ps->n)
				return json_eob(ps, "after ','");
			if (ps->p[ps->pos] == close)
				return json_fail_at(ps, TARN_EDATA, json_at(ps),
						    "trailing comma before '%c'", close);
			if (close == ']')
				break; /* next value */
			goto key;
		}
		continue;
	key:
		/* An object key and its ':'; the member value follows. */
		json_ws(ps);
		if (ps->pos >= ps->n)
			return json_eob(ps, "inside an object");
		if (ps->p[ps->pos] != '"')
			return json_fail_at(ps, TARN_EDATA, json_at(ps),
					    "expected '\"' to start an object key, found %s",
					    json_describe_char(ps->p[ps->pos], d, sizeof d));
		if ((rc = copy_string(ps, out)))
			return rc;
		if ((rc = json_expect_colon(ps)))
			return rc;
		if ((rc = put(ps, out, ":", 1, json_at(ps))))
			return rc;
	}
}
