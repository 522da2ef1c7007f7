/*
 * type.c — type trees, fields and schemas: construction, copying, equality,
 * canonical text and its parser. See type.h for the physical layout.
 */
#include "columnar/type.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/mem.h"

static const struct {
	const char *name;
	int width;
} type_info[TARN_T__COUNT] = {
	[TARN_T_NULL] = { "null", 0 },        [TARN_T_BOOL] = { "bool", 0 },
	[TARN_T_INT8] = { "int8", 1 },        [TARN_T_INT16] = { "int16", 2 },
	[TARN_T_INT32] = { "int32", 4 },      [TARN_T_INT64] = { "int64", 8 },
	[TARN_T_UINT8] = { "uint8", 1 },      [TARN_T_UINT16] = { "uint16", 2 },
	[TARN_T_UINT32] = { "uint32", 4 },    [TARN_T_UINT64] = { "uint64", 8 },
	[TARN_T_FLOAT32] = { "float32", 4 },  [TARN_T_FLOAT64] = { "float64", 8 },
	[TARN_T_DECIMAL128] = { "decimal", 16 }, [TARN_T_STRING] = { "string", 0 },
	[TARN_T_BINARY] = { "binary", 0 },    [TARN_T_DATE32] = { "date32", 4 },
	[TARN_T_TIME64] = { "time64", 8 },    [TARN_T_TIMESTAMP] = { "timestamp", 8 },
	[TARN_T_LIST] = { "list", 0 },        [TARN_T_STRUCT] = { "struct", 0 },
	[TARN_T_MAP] = { "map", 0 },          [TARN_T_INTERVAL] = { "interval", 16 },
};

int tarn_type_width(enum tarn_type_id id)
{
	return (unsigned)id < TARN_T__COUNT ? type_info[id].width : 0;
}

const char *tarn_type_id_name(enum tarn_type_id id)
{
	return (unsigned)id < TARN_T__COUNT ? type_info[id].name : "?";
}

bool tarn_type_is_integer(enum tarn_type_id id)
{
	return id >= TARN_T_INT8 && id <= TARN_T_UINT64;
}

bool tarn_type_is_signed(enum tarn_type_id id)
{
	return id >= TARN_T_INT8 && id <= TARN_T_INT64;
}

bool tarn_type_is_int64_exact(enum tarn_type_id id)
{
	return (tarn_type_is_integer(id) && id != TARN_T_UINT64) || id == TARN_T_DATE32 ||
	       id == TARN_T_TIME64 || id == TARN_T_TIMESTAMP;
}

bool tarn_type_is_nested(enum tarn_type_id id)
{
	return id == TARN_T_LIST || id == TARN_T_STRUCT || id == TARN_T_MAP;
}

const char *tarn_time_unit_name(enum tarn_time_unit u)
{
	static const char *n[] = { "s", "ms", "us", "ns" };
	return (unsigned)u < 4 ? n[u] : "?";
}

int64_t tarn_time_unit_per_second(enum tarn_time_unit u)
{
	static const int64_t n[] = { 1, 1000, 1000000, 1000000000 };
	return (unsigned)u < 4 ? n[u] : 1;
}

void tarn_type_init(struct tarn_type *t, enum tarn_type_id id)
{
	memset(t, 0, sizeof *t);
	t->id = id;
	if (id == TARN_T_TIMESTAMP || id == TARN_T_TIME64)
		t->unit = TARN_UNIT_US;
	if (id == TARN_T_DECIMAL128) {
		t->precision = 38;
		t->scale = 0;
	}
}

void tarn_type_init_decimal(struct tarn_type *t, int precision, int scale)
{
	tarn_type_init(t, TARN_T_DECIMAL128);
	t->precision = (uint8_t)precision;
	t->scale = (uint8_t)scale;
}

tarn_rc tarn_type_init_timestamp(struct tarn_type *t, enum tarn_time_unit u, const char *tz)
{
	tarn_type_init(t, TARN_T_TIMESTAMP);
	t->unit = (uint8_t)u;
	if (tz) {
		t->tz = tarn_strdup(tz);
		if (!t->tz)
			return TARN_ENOMEM;
	}
	return TARN_OK;
}

void tarn_type_init_time(struct tarn_type *t, enum tarn_time_unit u)
{
	tarn_type_init(t, TARN_T_TIME64);
	t->unit = (uint8_t)u;
}

static tarn_rc init_children(struct tarn_type *t, enum tarn_type_id id, int n)
{
	tarn_type_init(t, id);
	t->children = tarn_calloc((size_t)(n ? n : 1), sizeof *t->children);
	if (!t->children)
		return TARN_ENOMEM;
	t->n_children = n;
	for (int i = 0; i < n; i++)
		t->children[i].nullable = true;
	return TARN_OK;
}

tarn_rc tarn_type_init_list(struct tarn_type *t, struct tarn_type *item, bool item_nullable)
{
	TRY(init_children(t, TARN_T_LIST, 1));
	t->children[0].name = tarn_strdup("item");
	if (!t->children[0].name) {
		tarn_type_clear(t);
		return TARN_ENOMEM;
	}
	t->children[0].nullable = item_nullable;
	t->children[0].type = *item;
	memset(item, 0, sizeof *item);
	return TARN_OK;
}

tarn_rc tarn_type_init_struct(struct tarn_type *t, int n)
{
	return init_children(t, TARN_T_STRUCT, n);
}

tarn_rc tarn_type_init_map(struct tarn_type *t, struct tarn_type *key, struct tarn_type *value,
			   bool value_nullable)
{
	TRY(init_children(t, TARN_T_MAP, 1));
	struct tarn_field *e = &t->children[0];
	e->nullable = false;
	e->name = tarn_strdup("entries");
	tarn_rc rc = e->name ? tarn_type_init_struct(&e->type, 2) : TARN_ENOMEM;
	if (rc == TARN_OK) {
		e->type.children[0].name = tarn_strdup("key");
		e->type.children[1].name = tarn_strdup("value");
		if (!e->type.children[0].name || !e->type.children[1].name)
			rc = TARN_ENOMEM;
	}
	if (rc) {
		tarn_type_clear(t);
		return rc;
	}
	e->type.children[0].nullable = false;
	e->type.children[0].type = *key;
	e->type.children[1].nullable = value_nullable;
	e->type.children[1].type = *value;
	memset(key, 0, sizeof *key);
	memset(value, 0, sizeof *value);
	return TARN_OK;
}

void tarn_field_clear(struct tarn_field *f)
{
	tarn_free(f->name);
	tarn_free(f->note);
	tarn_type_clear(&f->type);
	memset(f, 0, sizeof *f);
}

void tarn_type_clear(struct tarn_type *t)
{
	for (int i = 0; i < t->n_children; i++)
		tarn_field_clear(&t->children[i]);
	tarn_free(t->children);
	tarn_free(t->tz);
	memset(t, 0, sizeof *t);
}

tarn_rc tarn_type_copy(struct tarn_type *dst, const struct tarn_type *src)
{
	*dst = *src;
	dst->tz = NULL;
	dst->children = NULL;
	dst->n_children = 0;
	if (src->tz && !(dst->tz = tarn_strdup(src->tz)))
		return TARN_ENOMEM;
	if (src->n_children) {
		dst->children = tarn_calloc((size_t)src->n_children, sizeof *dst->children);
		if (!dst->children) {
			tarn_type_clear(dst);
			return TARN_ENOMEM;
		}
		dst->n_children = src->n_children;
		for (int i = 0; i < src->n_children; i++) {
			tarn_rc rc = tarn_field_copy(&dst->children[i], &src->children[i]);
			if (rc) {
				tarn_type_clear(dst);
				return rc;
			}
		}
	}
	return TARN_OK;
}

tarn_rc tarn_field_copy(struct tarn_field *dst, const struct tarn_field *src)
{
	memset(dst, 0, sizeof *dst);
	dst->nullable = src->nullable;
	if (src->name && !(dst->name = tarn_strdup(src->name)))
		return TARN_ENOMEM;
	if (src->note && !(dst->note = tarn_strdup(src->note))) {
		tarn_field_clear(dst);
		return TARN_ENOMEM;
	}
	tarn_rc rc = tarn_type_copy(&dst->type, &src->type);
	if (rc)
		tarn_field_clear(dst);
	return rc;
}

tarn_rc tarn_field_set_name(struct tarn_field *f, const char *name, size_t n)
{
	char *d = tarn_strndup(name, n);
	if (!d)
		return TARN_ENOMEM;
	tarn_free(f->name);
	f->name = d;
	return TARN_OK;
}

tarn_rc tarn_field_set_note(struct tarn_field *f, const char *note)
{
	char *d = note ? tarn_strdup(note) : NULL;
	if (note && !d)
		return TARN_ENOMEM;
	tarn_free(f->note);
	f->note = d;
	return TARN_OK;
}

bool tarn_type_equal(const struct tarn_type *a, const struct tarn_type *b)
{
	if (a->id != b->id || a->n_children != b->n_children)
		return false;
	if ((a->id == TARN_T_TIMESTAMP || a->id == TARN_T_TIME64) && a->unit != b->unit)
		return false;
	if (a->id == TARN_T_DECIMAL128 && (a->precision != b->precision || a->scale != b->scale))
		return false;
	if ((a->tz == NULL) != (b->tz == NULL) || (a->tz && strcmp(a->tz, b->tz) != 0))
		return false;
	for (int i = 0; i < a->n_children; i++) {
		const struct tarn_field *fa = &a->children[i], *fb = &b->children[i];
		if (strcmp(fa->name ? fa->name : "", fb->name ? fb->name : "") != 0 ||
		    fa->nullable != fb->nullable || !tarn_type_equal(&fa->type, &fb->type))
			return false;
	}
	return true;
}

tarn_rc tarn_schema_new(int n, struct tarn_schema **out)
{
	struct tarn_schema *s = tarn_calloc(1, sizeof *s);
	if (!s)
		return TARN_ENOMEM;
	s->fields = tarn_calloc((size_t)(n > 0 ? n : 1), sizeof *s->fields);
	if (!s->fields) {
		tarn_free(s);
		return TARN_ENOMEM;
	}
	s->refs = 1;
	s->n_fields = n;
	for (int i = 0; i < n; i++)
		s->fields[i].nullable = true;
	*out = s;
	return TARN_OK;
}

tarn_rc tarn_schema_copy(const struct tarn_schema *s, struct tarn_schema **out)
{
	TRY(tarn_schema_new(s->n_fields, out));
	for (int i = 0; i < s->n_fields; i++) {
		tarn_rc rc = tarn_field_copy(&(*out)->fields[i], &s->fields[i]);
		if (rc) {
			tarn_schema_unref(*out);
			*out = NULL;
			return rc;
		}
	}
	return TARN_OK;
}

bool tarn_schema_equal(const struct tarn_schema *a, const struct tarn_schema *b)
{
	if (a->n_fields != b->n_fields)
		return false;
	for (int i = 0; i < a->n_fields; i++) {
		if (strcmp(a->fields[i].name ? a->fields[i].name : "",
			   b->fields[i].name ? b->fields[i].name : "") != 0 ||
		    !tarn_type_equal(&a->fields[i].type, &b->fields[i].type))
			return false;
	}
	return true;
}

void tarn_schema_ref(struct tarn_schema *s)
{
	__atomic_add_fetch(&s->refs, 1, __ATOMIC_RELAXED);
}

void tarn_schema_unref(struct tarn_schema *s)
{
	if (!s || __atomic_sub_fetch(&s->refs, 1, __ATOMIC_ACQ_REL) > 0)
		return;
	for (int i = 0; i < s->n_fields; i++)
		tarn_field_clear(&s->fields[i]);
	tarn_free(s->fields);
	tarn_free(s);
}

/* ---- public accessors ------------------------------------------------------ */

int tarn_schema_num_fields(const struct tarn_schema *s)
{
	return s->n_fields;
}

const char *tarn_schema_field_name(const struct tarn_schema *s, int i)
{
	return (i >= 0 && i < s->n_fields) ? s->fields[i].name : NULL;
}

int tarn_schema_find(const struct tarn_schema *s, const char *name)
{
	for (int i = 0; i < s->n_fields; i++)
		if (s->fields[i].name && strcmp(s->fields[i].name, name) == 0)
			return i;
	return -1;
}

bool tarn_schema_field_nullable(const struct tarn_schema *s, int i)
{
	return (i >= 0 && i < s->n_fields) ? s->fields[i].nullable : false;
}

const char *tarn_schema_field_note(const struct tarn_schema *s, int i)
{
	return (i >= 0 && i < s->n_fields) ? s->fields[i].note : NULL;
}

void tarn_schema_field_type_text(const struct tarn_schema *s, int i, char *buf, size_t cap)
{
	if (cap == 0)
		return;
	buf[0] = '\0';
	if (i < 0 || i >= s->n_fields)
		return;
	struct tarn_buf b;
	tarn_buf_init(&b);
	if (tarn_type_to_text(&s->fields[i].type, &b) == TARN_OK) {
		size_t n = b.len < cap - 1 ? b.len : cap - 1;
		memcpy(buf, b.data, n);
		buf[n] = '\0';
	}
	tarn_buf_free(&b);
}

/* ---- text ------------------------------------------------------------------ */

static tarn_rc json_string(struct tarn_buf *b, const char *s)
{
	TRY(tarn_buf_putc(b, '"'));
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\') {
			TRY(tarn_buf_putc(b, '\\'));
			TRY(tarn_buf_putc(b, (char)*p));
		} else if (*p < 0x20) {
			TRY(tarn_buf_printf(b, "\\u%04x", *p));
		} else {
			TRY(tarn_buf_putc(b, (char)*p));
		}
	}
	return tarn_buf_putc(b, '"');
}

/* Field names inside struct<...> need quoting when they are not plain
 * identifiers. */
static tarn_rc name_text(struct tarn_buf *b, const char *name)
{
	bool plain = name && *name && !isdigit((unsigned char)*name);
	for (const char *p = name; plain && *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '_')
			plain = false;
	if (plain)
		return tarn_buf_append(b, name, strlen(name));
	return json_string(b, name ? name : "");
}

tarn_rc tarn_type_to_text(const struct tarn_type *t, struct tarn_buf *out)
{
	switch (t->id) {
	case TARN_T_DECIMAL128:
		return tarn_buf_printf(out, "decimal(%d,%d)", t->precision, t->scale);
	case TARN_T_TIME64:
		return tarn_buf_printf(out, "time64[%s]", tarn_time_unit_name(t->unit));
	case TARN_T_TIMESTAMP:
		if (t->tz)
			return tarn_buf_printf(out, "timestamp[%s, %s]",
					       tarn_time_unit_name(t->unit), t->tz);
		return tarn_buf_printf(out, "timestamp[%s]", tarn_time_unit_name(t->unit));
	case TARN_T_LIST:
		TRY(tarn_buf_append(out, "list<", 5));
		TRY(tarn_type_to_text(&t->children[0].type, out));
		return tarn_buf_putc(out, '>');
	case TARN_T_MAP: {
		const struct tarn_type *e = &t->children[0].type;
		TRY(tarn_buf_append(out, "map<", 4));
		TRY(tarn_type_to_text(&e->children[0].type, out));
		TRY(tarn_buf_append(out, ", ", 2));
		TRY(tarn_type_to_text(&e->children[1].type, out));
		return tarn_buf_putc(out, '>');
	}
	case TARN_T_STRUCT:
		TRY(tarn_buf_append(out, "struct<", 7));
		for (int i = 0; i < t->n_children; i++) {
			if (i)
				TRY(tarn_buf_append(out, ", ", 2));
			TRY(name_text(out, t->children[i].name));
			TRY(tarn_buf_append(out, ": ", 2));
			TRY(tarn_type_to_text(&t->children[i].type, out));
		}
		return tarn_buf_putc(out, '>');
	default: {
		const char *n = tarn_type_id_name(t->id);
		return tarn_buf_append(out, n, strlen(n));
	}
	}
}

struct tparser {
	const char *s, *p;
	struct tarn_err *err;
	int depth;
};

static void skip_ws(struct tparser *tp)
{
	while (*tp->p == ' ' || *tp->p == '\t')
		tp->p++;
}

static tarn_rc tp_fail(struct tparser *tp, const char *what)
{
	return tarn_err_set(tp->err, TARN_EUSAGE, "bad type '%s' at column %d: %s", tp->s,
			    (int)(tp->p - tp->s) + 1, what);
}

static bool tp_eat(struct tparser *tp, char c)
{
	skip_ws(tp);
	if (*tp->p == c) {
		tp->p++;
		return true;
	}
	return false;
}

static size_t tp_word(struct tparser *tp, char *w, size_t cap)
{
	skip_ws(tp);
	size_t n = 0;
	while ((isalnum((unsigned char)*tp->p) || *tp->p == '_') && n + 1 < cap)
		w[n++] = (char)tolower((unsigned char)*tp->p++);
	w[n] = '\0';
	return n;
}

static bool tp_int(struct tparser *tp, int *v)
{
	skip_ws(tp);
	if (!isdigit((unsigned char)*tp->p))
		return false;
	long x = strtol(tp->p, (char **)&tp->p, 10);
	if (x < 0 || x > 1000)
		return false;
	*v = (int)x;
	return true;
}

static int unit_from_word(const char *w)
{
	if (!strcmp(w, "s")) return TARN_UNIT_S;
	if (!strcmp(w, "ms")) return TARN_UNIT_MS;
	if (!strcmp(w, "us")) return TARN_UNIT_US;
	if (!strcmp(w, "ns")) return TARN_UNIT_NS;
	return -1;
}

static tarn_rc parse_type(struct tparser *tp, struct tarn_type *out);

static int hex_val(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* A field name in JSON string syntax, as name_text writes it for names that
 * are not plain identifiers (escapes \" \\ \/ \b \f \n \r \t \uXXXX; a
 * \u escape of a surrogate is refused). tp->p is at the opening quote. */
static tarn_rc tp_quoted_name(struct tparser *tp, struct tarn_field *f)
{
	struct tarn_buf b;
	tarn_buf_init(&b);
	tarn_rc rc = TARN_OK;
	tp->p++;
	while (*tp->p != '"') {
		char c = *tp->p;
		if (!c) {
			rc = tp_fail(tp, "unterminated field name");
			goto out;
		}
		tp->p++;
		if (c != '\\') {
			TRY_OUT(tarn_buf_putc(&b, c));
			continue;
		}
		c = *tp->p++;
		switch (c) {
		case '"': case '\\': case '/': break;
		case 'b': c = '\b'; break;
		case 'f': c = '\f'; break;
		case 'n': c = '\n'; break;
		case 'r': c = '\r'; break;
		case 't': c = '\t'; break;
		case 'u': {
			unsigned cp = 0;
			for (int k = 0; k < 4; k++) {
				int h = hex_val(*tp->p);
				if (h < 0) {
					rc = tp_fail(tp, "bad \\u escape in a field name");
					goto out;
				}
				cp = cp * 16 + (unsigned)h;
				tp->p++;
			}
			if (cp == 0 || (cp >= 0xd800 && cp <= 0xdfff)) {
				rc = tp_fail(tp, "unsupported \\u escape in a field name");
				goto out;
			}
			char u[3];
			size_t un;
			if (cp < 0x80) {
				u[0] = (char)cp;
				un = 1;
			} else if (cp < 0x800) {
				u[0] = (char)(0xc0 | (cp >> 6));
				u[1] = (char)(0x80 | (cp & 0x3f));
				un = 2;
			} else {
				u[0] = (char)(0xe0 | (cp >> 12));
				u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
				u[2] = (char)(0x80 | (cp & 0x3f));
				un = 3;
			}
			TRY_OUT(tarn_buf_append(&b, u, un));
			continue;
		}
		default:
			tp->p--;
			rc = tp_fail(tp, "bad escape in a field name");
			goto out;
		}
		TRY_OUT(tarn_buf_putc(&b, c));
	}
	tp->p++;
	rc = tarn_field_set_name(f, b.data ? b.data : "", b.len);
out:
	tarn_buf_free(&b);
	return rc;
}

static tarn_rc parse_struct_members(struct tparser *tp, struct tarn_type *out)
{
	/* Count members by parsing into a growing array. */
	struct tarn_field *f = NULL;
	int n = 0, cap = 0;
	tarn_rc rc = TARN_OK;
	if (tp_eat(tp, '>'))
		goto done;
	for (;;) {
		if (n == cap) {
			cap = cap ? cap * 2 : 4;
			struct tarn_field *nf = tarn_realloc(f, (size_t)cap * sizeof *f);
			if (!nf) {
				rc = TARN_ENOMEM;
				goto fail;
			}
			f = nf;
		}
		memset(&f[n], 0, sizeof f[n]);
		f[n].nullable = true;
		skip_ws(tp);
		if (*tp->p == '"') {
			rc = tp_quoted_name(tp, &f[n]);
		} else {
			/* Names keep their case and length (tp_word lowercases and
			 * caps, which suits keywords only). */
			const char *start = tp->p;
			while (isalnum((unsigned char)*tp->p) || *tp->p == '_')
				tp->p++;
			if (tp->p == start) {
				rc = tp_fail(tp, "expected a field name");
				goto fail;
			}
			rc = tarn_field_set_name(&f[n], start, (size_t)(tp->p - start));
		}
		n++;
		if (rc)
			goto fail;
		if (!tp_eat(tp, ':')) {
			rc = tp_fail(tp, "expected ':' after the field name");
			goto fail;
		}
		if ((rc = parse_type(tp, &f[n - 1].type)))
			goto fail;
		if (tp_eat(tp, ','))
			continue;
		if (tp_eat(tp, '>'))
			break;
		rc = tp_fail(tp, "expected ',' or '>'");
		goto fail;
	}
done:
	tarn_type_init(out, TARN_T_STRUCT);
	out->children = f ? f : tarn_calloc(1, sizeof *f);
	if (!out->children)
		return TARN_ENOMEM;
	out->n_children = n;
	return TARN_OK;
fail:
	for (int i = 0; i < n; i++)
		tarn_field_clear(&f[i]);
	tarn_free(f);
	return rc;
}

static tarn_rc parse_type(struct tparser *tp, struct tarn_type *out)
{
	static const struct {
		const char *word;
		enum tarn_type_id id;
	} simple[] = {
		{ "null", TARN_T_NULL },       { "bool", TARN_T_BOOL },
		{ "boolean", TARN_T_BOOL },    { "int8", TARN_T_INT8 },
		{ "tinyint", TARN_T_INT8 },    { "int16", TARN_T_INT16 },
		{ "smallint", TARN_T_INT16 },  { "int32", TARN_T_INT32 },
		{ "int", TARN_T_INT32 },       { "integer", TARN_T_INT32 },
		{ "int64", TARN_T_INT64 },     { "bigint", TARN_T_INT64 },
		{ "long", TARN_T_INT64 },      { "uint8", TARN_T_UINT8 },
		{ "uint16", TARN_T_UINT16 },   { "uint32", TARN_T_UINT32 },
		{ "uint64", TARN_T_UINT64 },   { "float32", TARN_T_FLOAT32 },
		{ "float", TARN_T_FLOAT32 },   { "real", TARN_T_FLOAT32 },
		{ "float64", TARN_T_FLOAT64 }, { "double", TARN_T_FLOAT64 },
		{ "string", TARN_T_STRING },   { "str", TARN_T_STRING },
		{ "varchar", TARN_T_STRING },  { "text", TARN_T_STRING },
		{ "utf8", TARN_T_STRING },     { "binary", TARN_T_BINARY },
		{ "bytes", TARN_T_BINARY },    { "blob", TARN_T_BINARY },
		{ "date", TARN_T_DATE32 },     { "date32", TARN_T_DATE32 },
	};
	if (++tp->depth > 64)
		return tp_fail(tp, "nested too deeply");
	char w[64];
	if (!tp_word(tp, w, sizeof w))
		return tp_fail(tp, "expected a type name");
	for (size_t i = 0; i < sizeof simple / sizeof simple[0]; i++) {
		if (!strcmp(w, simple[i].word)) {
			tarn_type_init(out, simple[i].id);
			tp->depth--;
			return TARN_OK;
		}
	}
	if (!strcmp(w, "decimal") || !strcmp(w, "numeric") || !strcmp(w, "decimal128")) {
		int p = 38, s = 0;
		if (tp_eat(tp, '(')) {
			if (!tp_int(tp, &p))
				return tp_fail(tp, "expected the precision");
			if (tp_eat(tp, ',') && !tp_int(tp, &s))
				return tp_fail(tp, "expected the scale");
			if (!tp_eat(tp, ')'))
				return tp_fail(tp, "expected ')'");
		}
		if (p < 1 || p > 38 || s > p)
			return tp_fail(tp, "decimal precision must be 1..38 and scale 0..precision");
		tarn_type_init_decimal(out, p, s);
	} else if (!strcmp(w, "time") || !strcmp(w, "time64")) {
		int unit = TARN_UNIT_US;
		if (tp_eat(tp, '[')) {
			char u[8];
			tp_word(tp, u, sizeof u);
			unit = unit_from_word(u);
			if (unit < 0 || !tp_eat(tp, ']'))
				return tp_fail(tp, "expected a unit s, ms, us or ns in [ ]");
		}
		tarn_type_init_time(out, (enum tarn_time_unit)unit);
	} else if (!strcmp(w, "timestamp") || !strcmp(w, "datetime") ||
		   !strcmp(w, "timestamptz")) {
		int unit = TARN_UNIT_US;
		char tz[64] = "";
		if (!strcmp(w, "timestamptz"))
			strcpy(tz, "UTC");
		if (tp_eat(tp, '[')) {
			char u[8];
			tp_word(tp, u, sizeof u);
			unit = unit_from_word(u);
			if (unit < 0)
				return tp_fail(tp, "expected a unit s, ms, us or ns");
			if (tp_eat(tp, ',')) {
				skip_ws(tp);
				size_t n = 0;
				while (*tp->p && *tp->p != ']' && n + 1 < sizeof tz)
					tz[n++] = *tp->p++;
				while (n && tz[n - 1] == ' ')
					n--;
				tz[n] = '\0';
			}
			if (!tp_eat(tp, ']'))
				return tp_fail(tp, "expected ']'");
		}
		if (tarn_type_init_timestamp(out, (enum tarn_time_unit)unit, tz[0] ? tz : NULL))
			return TARN_ENOMEM;
	} else if (!strcmp(w, "list") || !strcmp(w, "array")) {
		struct tarn_type item;
		if (!tp_eat(tp, '<'))
			return tp_fail(tp, "expected '<'");
		TRY(parse_type(tp, &item));
		if (!tp_eat(tp, '>')) {
			tarn_type_clear(&item);
			return tp_fail(tp, "expected '>'");
		}
		tarn_rc rc = tarn_type_init_list(out, &item, true);
		if (rc) {
			tarn_type_clear(&item);
			return rc;
		}
	} else if (!strcmp(w, "map")) {
		struct tarn_type k, v;
		if (!tp_eat(tp, '<'))
			return tp_fail(tp, "expected '<'");
		TRY(parse_type(tp, &k));
		if (!tp_eat(tp, ',')) {
			tarn_type_clear(&k);
			return tp_fail(tp, "expected ','");
		}
		tarn_rc rc = parse_type(tp, &v);
		if (rc) {
			tarn_type_clear(&k);
			return rc;
		}
		if (!tp_eat(tp, '>')) {
			tarn_type_clear(&k);
			tarn_type_clear(&v);
			return tp_fail(tp, "expected '>'");
		}
		rc = tarn_type_init_map(out, &k, &v, true);
		if (rc) {
			tarn_type_clear(&k);
			tarn_type_clear(&v);
			return rc;
		}
	} else if (!strcmp(w, "struct") || !strcmp(w, "record")) {
		if (!tp_eat(tp, '<'))
			return tp_fail(tp, "expected '<'");
		TRY(parse_struct_members(tp, out));
	} else {
		return tp_fail(tp, "unknown type name (try: bool, int64, float64, "
				   "decimal(p,s), string, binary, date, time, timestamp, "
				   "list<T>, struct<a: T>, map<K, V>)");
	}
	tp->depth--;
	return TARN_OK;
}

tarn_rc tarn_type_parse(const char *text, struct tarn_type *out, struct tarn_err *err)
{
	struct tparser tp = { text, text, err, 0 };
	memset(out, 0, sizeof *out);
	tarn_rc rc = parse_type(&tp, out);
	if (rc == TARN_ENOMEM)
		return tarn_err_nomem(err, "parsing a type");
	if (rc)
		return rc;
	skip_ws(&tp);
	if (*tp.p) {
		tarn_type_clear(out);
		return tp_fail(&tp, "unexpected text after the type");
	}
	return TARN_OK;
}

tarn_rc tarn_schema_to_json(const struct tarn_schema *s, char **out, struct tarn_err *err)
{
	struct tarn_buf b;
	tarn_buf_init(&b);
	tarn_rc rc = TARN_OK;
	TRY_OUT(tarn_buf_append(&b, "{\"fields\":[", 11));
	for (int i = 0; i < s->n_fields; i++) {
		const struct tarn_field *f = &s->fields[i];
		if (i)
			TRY_OUT(tarn_buf_putc(&b, ','));
		TRY_OUT(tarn_buf_append(&b, "{\"name\":", 8));
		TRY_OUT(json_string(&b, f->name ? f->name : ""));
		TRY_OUT(tarn_buf_append(&b, ",\"type\":", 8));
		struct tarn_buf t;
		tarn_buf_init(&t);
		rc = tarn_type_to_text(&f->type, &t);
		if (rc == TARN_OK)
			rc = tarn_buf_cstr(&t);
		if (rc == TARN_OK)
			rc = json_string(&b, t.data);
		tarn_buf_free(&t);
		if (rc)
			goto out;
		TRY_OUT(tarn_buf_printf(&b, ",\"nullable\":%s", f->nullable ? "true" : "false"));
		if (f->note) {
			TRY_OUT(tarn_buf_append(&b, ",\"note\":", 8));
			TRY_OUT(json_string(&b, f->note));
		}
		TRY_OUT(tarn_buf_putc(&b, '}'));
	}
	TRY_OUT(tarn_buf_append(&b, "]}", 2));
	*out = tarn_buf_steal(&b);
	if (!*out)
		rc = TARN_ENOMEM;
out:
	if (rc) {
		tarn_buf_free(&b);
		return tarn_err_set(err, rc, "cannot render schema: %s", tarn_rc_name(rc));
	}
	return TARN_OK;
}
