/*
 * avro_json.c — a small JSON DOM (RFC 8259) for Avro schema text and field
 * default values: parse into arena-allocated nodes, look members up, write
 * values back as compact JSON.
 *
 * Schemas are small and parsed once per file, so this favours clear error
 * messages (byte offset of the problem) over speed. Strings are unescaped
 * to UTF-8 (surrogate pairs joined; \u0000 kept, with the length); numbers
 * keep their text and are also parsed as int64 (integer literals) and
 * double. Leading zeros in numbers are accepted, as some schema writers
 * emit them. Nesting is capped at AVRO_MAX_DEPTH.
 *
 * Relies on base/mem.h arenas and columnar/text.h number parsers.
 * Thread-safety: no shared state.
 */
#include <string.h>

#include "columnar/text.h"
#include "columnar/utf8.h"
#include "formats/avro/avro_int.h"

struct jp {
	struct tarn_arena *a;
	const char *s;
	size_t n, i;
	const char *what;
	struct tarn_err *err;
};

static tarn_rc jfail(struct jp *p, const char *msg)
{
	return tarn_err_set(p->err, TARN_EDATA, "%s: invalid JSON at byte %zu: %s", p->what, p->i,
			    msg);
}

static void skip_ws(struct jp *p)
{
	while (p->i < p->n) {
		char c = p->s[p->i];
		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			break;
		p->i++;
	}
}

static struct ajson *node(struct jp *p, enum ajson_kind k)
{
	struct ajson *v = tarn_arena_alloc(p->a, sizeof *v);
	if (v) {
		memset(v, 0, sizeof *v);
		v->kind = k;
		v->pos = p->i;
	}
	return v;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool hex4(struct jp *p, unsigned *out)
{
	if (p->n - p->i < 4)
		return false;
	unsigned v = 0;
	for (int k = 0; k < 4; k++) {
		int h = hexval(p->s[p->i + (size_t)k]);
		if (h < 0)
			return false;
		v = v << 4 | (unsigned)h;
	}
	p->i += 4;
	*out = v;
	return true;
}

static size_t put_utf8(char *d, unsigned cp)
{
	if (cp < 0x80) {
		d[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		d[0] = (char)(0xc0 | cp >> 6);
		d[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		d[0] = (char)(0xe0 | cp >> 12);
		d[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		d[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	d[0] = (char)(0xf0 | cp >> 18);
	d[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	d[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	d[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* At the opening quote. The unescaped text is never longer than the
 * escaped one, so one allocation of the raw length suffices. */
static tarn_rc parse_string(struct jp *p, const char **out, size_t *out_len)
{
	size_t start = ++p->i, end = start;
	while (end < p->n && p->s[end] != '"') {
		if (p->s[end] == '\\')
			end++;
		end++;
	}
	if (end >= p->n)
		return jfail(p, "unterminated string");
	char *d = tarn_arena_alloc(p->a, end - start + 1);
	if (!d)
		return tarn_err_nomem(p->err, "Avro schema");
	size_t len = 0;
	while (p->i < end) {
		unsigned char c = (unsigned char)p->s[p->i];
		if (c < 0x20)
			return jfail(p, "control character in a string");
		if (c != '\\') {
			d[len++] = (char)c;
			p->i++;
			continue;
		}
		p->i++;
		char e = p->s[p->i++];
		switch (e) {
		case '"': d[len++] = '"'; break;
		case '\\': d[len++] = '\\'; break;
		case '/': d[len++] = '/'; break;
		case 'b': d[len++] = '\b'; break;
		case 'f': d[len++] = '\f'; break;
		case 'n': d[len++] = '\n'; break;
		case 'r': d[len++] = '\r'; break;
		case 't': d[len++] = '\t'; break;
		case 'u': {
			unsigned cp;
			if (!hex4(p, &cp))
				return jfail(p, "bad \\u escape");
			if (cp >= 0xd800 && cp < 0xdc00) {
				unsigned lo;
				if (p->i + 2 > end || p->s[p->i] != '\\' || p->s[p->i + 1] != 'u')
					return jfail(p, "unpaired surrogate in \\u escape");
				p->i += 2;
				if (!hex4(p, &lo) || lo < 0xdc00 || lo > 0xdfff)
					return jfail(p, "unpaired surrogate in \\u escape");
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			} else if (cp >= 0xdc00 && cp < 0xe000) {
				return jfail(p, "unpaired surrogate in \\u escape");
			}
			len += put_utf8(d + len, cp);
			break;
		}
		default: return jfail(p, "bad escape in a string");
		}
	}
	p->i = end + 1;
	d[len] = '\0';
	size_t bad;
	if (!tarn_utf8_valid((const uint8_t *)d, len, &bad))
		return jfail(p, "string is not valid UTF-8");
	*out = d;
	*out_len = len;
	return TARN_OK;
}

static tarn_rc parse_number(struct jp *p, struct ajson *v)
{
	size_t start = p->i;
	bool integral = true;
	if (p->i < p->n && p->s[p->i] == '-')
		p->i++;
	size_t digits = p->i;
	while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9')
		p->i++;
	if (p->i == digits)
		return jfail(p, "expected a value");
	if (p->i < p->n && p->s[p->i] == '.') {
		integral = false;
		p->i++;
		size_t f = p->i;
		while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9')
			p->i++;
		if (p->i == f)
			return jfail(p, "digits expected after '.'");
	}
	if (p->i < p->n && (p->s[p->i] == 'e' || p->s[p->i] == 'E')) {
		integral = false;
		p->i++;
		if (p->i < p->n && (p->s[p->i] == '+' || p->s[p->i] == '-'))
			p->i++;
		size_t f = p->i;
		while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9')
			p->i++;
		if (p->i == f)
			return jfail(p, "digits expected in the exponent");
	}
	size_t len = p->i - start;
	v->s = tarn_arena_strndup(p->a, p->s + start, len);
	if (!v->s)
		return tarn_err_nomem(p->err, "Avro schema");
	v->len = len;
	if (!tarn_parse_double(v->s, len, &v->d))
		return jfail(p, "number out of range");
	if (integral)
		v->is_int = tarn_parse_int64(v->s, len, &v->i);
	return TARN_OK;
}

static bool literal(struct jp *p, const char *w)
{
	size_t k = strlen(w);
	if (p->n - p->i >= k && memcmp(p->s + p->i, w, k) == 0) {
		p->i += k;
		return true;
	}
	return false;
}

/* Growable pointer vector in the arena (the old space is simply left). */
static tarn_rc vec_push(struct jp *p, void ***v, int *n, int *cap, void *x)
{
	if (*n == *cap) {
		int nc = *cap ? *cap * 2 : 8;
		void **nv = tarn_arena_alloc(p->a, (size_t)nc * sizeof *nv);
		if (!nv)
			return tarn_err_nomem(p->err, "Avro schema");
		if (*n)
			memcpy(nv, *v, (size_t)*n * sizeof *nv);
		*v = nv;
		*cap = nc;
	}
	(*v)[(*n)++] = x;
	return TARN_OK;
}

static tarn_rc parse_value(struct jp *p, struct ajson **out, int depth)
{
	skip_ws(p);
	if (p->i >= p->n)
		return jfail(p, "unexpected end of text");
	if (depth > AVRO_MAX_DEPTH)
		return tarn_err_set(p->err, TARN_ELIMIT, "%s: JSON nested deeper than %d at byte %zu",
				    p->what, AVRO_MAX_DEPTH, p->i);
	char c = p->s[p->i];
	struct ajson *v;
	switch (c) {
	case '{': {
		v = node(p, AJ_OBJ);
		if (!v)
			return tarn_err_nomem(p->err, "Avro schema");
		p->i++;
		int cap = 0, kcap = 0, kn = 0;
		skip_ws(p);
		if (p->i < p->n && p->s[p->i] == '}') {
			p->i++;
			break;
		}
		for (;;) {
			skip_ws(p);
			if (p->i >= p->n || p->s[p->i] != '"')
				return jfail(p, "expected a member name");
			const char *k;
			size_t kl;
			TRY(parse_string(p, &k, &kl));
			skip_ws(p);
			if (p->i >= p->n || p->s[p->i] != ':')
				return jfail(p, "expected ':'");
			p->i++;
			struct ajson *m;
			TRY(parse_value(p, &m, depth + 1));
			TRY(vec_push(p, (void ***)&v->keys, &kn, &kcap, (void *)k));
			TRY(vec_push(p, (void ***)&v->items, &v->n, &cap, m));
			skip_ws(p);
			if (p->i < p->n && p->s[p->i] == ',') {
				p->i++;
				continue;
			}
			if (p->i < p->n && p->s[p->i] == '}') {
				p->i++;
				break;
			}
			return jfail(p, "expected ',' or '}'");
		}
		break;
	}
	case '[': {
		v = node(p, AJ_ARR);
		if (!v)
			return tarn_err_nomem(p->err, "Avro schema");
		p->i++;
		int cap = 0;
		skip_ws(p);
		if (p->i < p->n && p->s[p->i] == ']') {
			p->i++;
			break;
		}
		for (;;) {
			struct ajson *m;
			TRY(parse_value(p, &m, depth + 1));
			TRY(vec_push(p, (void ***)&v->items, &v->n, &cap, m));
			skip_ws(p);
			if (p->i < p->n && p->s[p->i] == ',') {
				p->i++;
				continue;
			}
			if (p->i < p->n && p->s[p->i] == ']') {
				p->i++;
				break;
			}
			return jfail(p, "expected ',' or ']'");
		}
		break;
	}
	case '"':
		v = node(p, AJ_STR);
		if (!v)
			return tarn_err_nomem(p->err, "Avro schema");
		TRY(parse_string(p, &v->s, &v->len));
		break;
	default:
		if (literal(p, "true") || literal(p, "false")) {
			v = node(p, AJ_BOOL);
			if (!v)
				return tarn_err_nomem(p->err, "Avro schema");
			v->b = c == 't';
		} else if (literal(p, "null")) {
			v = node(p, AJ_NULL);
			if (!v)
				return tarn_err_nomem(p->err, "Avro schema");
		} else {
			v = node(p, AJ_NUM);
			if (!v)
				return tarn_err_nomem(p->err, "Avro schema");
			TRY(parse_number(p, v));
		}
		break;
	}
	*out = v;
	return TARN_OK;
}

tarn_rc avro_json_parse(struct tarn_arena *a, const char *text, size_t n, const char *what,
			struct ajson **out, struct tarn_err *err)
{
	struct jp p = { a, text, n, 0, what, err };
	/* A UTF-8 byte order mark is tolerated (editors add one to .avsc files). */
	if (n >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		p.i = 3;
	TRY(parse_value(&p, out, 0));
	skip_ws(&p);
	if (p.i != n)
		return jfail(&p, "text after the JSON value");
	return TARN_OK;
}

const struct ajson *avro_json_get(const struct ajson *obj, const char *key)
{
	if (!obj || obj->kind != AJ_OBJ)
		return NULL;
	for (int i = obj->n - 1; i >= 0; i--)
		if (strcmp(obj->keys[i], key) == 0)
			return obj->items[i];
	return NULL;
}

tarn_rc avro_json_quote(struct tarn_buf *out, const char *s, size_t n)
{
	TRY(tarn_buf_putc(out, '"'));
	size_t run = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		TRY(tarn_buf_append(out, s + run, i - run));
		run = i + 1;
		switch (c) {
		case '"': TRY(tarn_buf_append(out, "\\\"", 2)); break;
		case '\\': TRY(tarn_buf_append(out, "\\\\", 2)); break;
		case '\n': TRY(tarn_buf_append(out, "\\n", 2)); break;
		case '\t': TRY(tarn_buf_append(out, "\\t", 2)); break;
		case '\r': TRY(tarn_buf_append(out, "\\r", 2)); break;
		default: TRY(tarn_buf_printf(out, "\\u%04x", c)); break;
		}
	}
	TRY(tarn_buf_append(out, s + run, n - run));
	return tarn_buf_putc(out, '"');
}

tarn_rc avro_json_write(const struct ajson *v, struct tarn_buf *out)
{
	switch (v->kind) {
	case AJ_NULL: return tarn_buf_append(out, "null", 4);
	case AJ_BOOL: return v->b ? tarn_buf_append(out, "true", 4) : tarn_buf_append(out, "false", 5);
	case AJ_NUM: return tarn_buf_append(out, v->s, v->len);
	case AJ_STR: return avro_json_quote(out, v->s, v->len);
	case AJ_ARR:
		TRY(tarn_buf_putc(out, '['));
		for (int i = 0; i < v->n; i++) {
			if (i)
				TRY(tarn_buf_putc(out, ','));
			TRY(avro_json_write(v->items[i], out));
		}
		return tarn_buf_putc(out, ']');
	case AJ_OBJ:
		TRY(tarn_buf_putc(out, '{'));
		for (int i = 0; i < v->n; i++) {
			if (i)
				TRY(tarn_buf_putc(out, ','));
			TRY(avro_json_quote(out, v->keys[i], strlen(v->keys[i])));
			TRY(tarn_buf_putc(out, ':'));
			TRY(avro_json_write(v->items[i], out));
		}
		return tarn_buf_putc(out, '}');
	}
	return TARN_EINTERNAL;
}
