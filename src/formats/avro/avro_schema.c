/*
 * avro_schema.c — Avro schemas: parsing schema JSON into a node graph,
 * Parsing Canonical Form, CRC-64-AVRO fingerprints, and JSON output.
 *
 * Names (specification, "Names"): a named type's full name comes from a
 * dotted name, or name + namespace, or name + the enclosing namespace; a
 * reference by a simple name is looked up in the enclosing namespace and,
 * failing that, in the null namespace (as the Java implementation does, and
 * files in the wild rely on). Named types may be referenced only after
 * their definition starts, so recursive types (a record whose field refers
 * back to it) are graphs with cycles: traversals must guard against them.
 *
 * Logical types: decimal (bytes/fixed; precision 1.., scale 0..precision,
 * and for fixed at most what the size can hold), uuid (string, fixed 16),
 * date, time-millis (int), time-micros, timestamp-{millis,micros,nanos},
 * local-timestamp-{millis,micros,nanos} (long), duration (fixed 12). An
 * unknown or invalid logical type is ignored: the underlying type is used.
 *
 * Reading is lenient where the specification's rules do not affect
 * decoding (name syntax is not enforced on read); it is strict where the
 * data would become ambiguous (duplicate definitions, duplicate field
 * names, unions of two unnamed types of the same kind, unions in unions).
 *
 * Relies on avro_json.c. Thread-safety: a parsed schema is read-only
 * except for avro_node.mark, which only schema-building code touches.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "formats/avro/avro_int.h"

static const char *const kind_names[] = {
	[AV_NULL] = "null",     [AV_BOOLEAN] = "boolean", [AV_INT] = "int",
	[AV_LONG] = "long",     [AV_FLOAT] = "float",     [AV_DOUBLE] = "double",
	[AV_BYTES] = "bytes",   [AV_STRING] = "string",   [AV_RECORD] = "record",
	[AV_ENUM] = "enum",     [AV_ARRAY] = "array",     [AV_MAP] = "map",
	[AV_UNION] = "union",   [AV_FIXED] = "fixed",
};

static const char *const logical_names[] = {
	[AL_NONE] = NULL,
	[AL_DECIMAL] = "decimal",
	[AL_UUID] = "uuid",
	[AL_DATE] = "date",
	[AL_TIME_MS] = "time-millis",
	[AL_TIME_US] = "time-micros",
	[AL_TS_MS] = "timestamp-millis",
	[AL_TS_US] = "timestamp-micros",
	[AL_TS_NS] = "timestamp-nanos",
	[AL_LTS_MS] = "local-timestamp-millis",
	[AL_LTS_US] = "local-timestamp-micros",
	[AL_LTS_NS] = "local-timestamp-nanos",
	[AL_DURATION] = "duration",
};

const char *avro_kind_name(enum avro_kind k)
{
	return (unsigned)k <= AV_FIXED ? kind_names[k] : "?";
}

const char *avro_short_name(const char *fullname)
{
	const char *d = strrchr(fullname, '.');
	return d ? d + 1 : fullname;
}

bool avro_name_valid(const char *s)
{
	if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || *s == '_'))
		return false;
	for (s++; *s; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		      (*s >= '0' && *s <= '9') || *s == '_'))
			return false;
	return true;
}

/* ---- construction ------------------------------------------------------------------ */

tarn_rc avro_schema_new(struct avro_schema **out)
{
	struct avro_schema *s = tarn_calloc(1, sizeof *s);
	if (!s)
		return TARN_ENOMEM;
	tarn_arena_init(&s->arena, 16 * 1024);
	*out = s;
	return TARN_OK;
}

void avro_schema_free(struct avro_schema *s)
{
	if (!s)
		return;
	tarn_arena_free(&s->arena);
	tarn_free(s);
}

struct avro_node *avro_node_new(struct avro_schema *s, enum avro_kind kind)
{
	struct avro_node *n = tarn_arena_alloc(&s->arena, sizeof *n);
	if (n) {
		memset(n, 0, sizeof *n);
		n->kind = kind;
		n->enum_default = -1;
		n->space = "";
	}
	return n;
}

/* ---- parsing ---------------------------------------------------------------------- */

struct named {
	const char *fullname;
	struct avro_node *node;
};

struct sp {
	struct avro_schema *s;
	const char *what;
	struct tarn_err *err;
	struct named *names;
	int n_names, cap_names;
};

static tarn_rc sfail(struct sp *p, const struct ajson *at, const char *fmt, ...) TARN_PRINTF(3, 4);

static tarn_rc sfail(struct sp *p, const struct ajson *at, const char *fmt, ...)
{
	char msg[600];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return tarn_err_set(p->err, TARN_EDATA, "%s: invalid Avro schema at byte %zu: %s", p->what,
			    at ? at->pos : 0, msg);
}

static int primitive_kind(const char *s)
{
	for (int k = AV_NULL; k <= AV_STRING; k++)
		if (strcmp(s, kind_names[k]) == 0)
			return k;
	return -1;
}

static struct avro_node *lookup(struct sp *p, const char *fullname)
{
	for (int i = 0; i < p->n_names; i++)
		if (strcmp(p->names[i].fullname, fullname) == 0)
			return p->names[i].node;
	return NULL;
}

static char *join_name(struct sp *p, const char *space, const char *name)
{
	if (strchr(name, '.') || !space || !*space)
		return tarn_arena_strndup(&p->s->arena, name, strlen(name));
	size_t a = strlen(space), b = strlen(name);
	char *r = tarn_arena_alloc(&p->s->arena, a + b + 2);
	if (r) {
		memcpy(r, space, a);
		r[a] = '.';
		memcpy(r + a + 1, name, b + 1);
	}
	return r;
}

static tarn_rc resolve_ref(struct sp *p, const struct ajson *at, const char *name, const char *space,
			   struct avro_node **out)
{
	char *full = join_name(p, space, name);
	if (!full)
		return tarn_err_nomem(p->err, "Avro schema");
	struct avro_node *n = lookup(p, full);
	if (!n && !strchr(name, '.'))
		n = lookup(p, name);
	if (!n)
		return sfail(p, at, "unknown type '%s' (named types must be defined before they are used)",
			     name);
	*out = n;
	return TARN_OK;
}

static const char *get_str(const struct ajson *o, const char *key)
{
	const struct ajson *v = avro_json_get(o, key);
	return v && v->kind == AJ_STR ? v->s : NULL;
}

/* Defines a named type: name, namespace, aliases. *space_out is the
 * namespace its members inherit. */
static tarn_rc define_name(struct sp *p, const struct ajson *o, struct avro_node *n,
			   const char *space, const char **space_out)
{
	const struct ajson *jn = avro_json_get(o, "name");
	if (!jn || jn->kind != AJ_STR || !jn->len)
		return sfail(p, o, "a %s needs a \"name\"", kind_names[n->kind]);
	const char *ns = get_str(o, "namespace");
	const struct ajson *jns = avro_json_get(o, "namespace");
	if (jns && jns->kind != AJ_STR && jns->kind != AJ_NULL)
		return sfail(p, jns, "\"namespace\" must be a string");
	if (ns)
		space = ns;
	char *full = join_name(p, space, jn->s);
	if (!full)
		return tarn_err_nomem(p->err, "Avro schema");
	const char *dot = strrchr(full, '.');
	n->fullname = full;
	n->space = dot ? tarn_arena_strndup(&p->s->arena, full, (size_t)(dot - full)) : "";
	if (!n->space)
		return tarn_err_nomem(p->err, "Avro schema");
	if (primitive_kind(full) >= 0)
		return sfail(p, jn, "'%s' is a primitive type and cannot be redefined", full);
	if (lookup(p, full))
		return sfail(p, jn, "type '%s' is defined twice", full);
	if (p->n_names == p->cap_names) {
		int nc = p->cap_names ? p->cap_names * 2 : 16;
		struct named *nn = tarn_realloc(p->names, (size_t)nc * sizeof *nn);
		if (!nn)
			return tarn_err_nomem(p->err, "Avro schema");
		p->names = nn;
		p->cap_names = nc;
	}
	p->names[p->n_names++] = (struct named){ full, n };
	const struct ajson *al = avro_json_get(o, "aliases");
	if (al && al->kind == AJ_ARR && al->n > 0) {
		n->aliases = tarn_arena_alloc(&p->s->arena, (size_t)al->n * sizeof *n->aliases);
		if (!n->aliases)
			return tarn_err_nomem(p->err, "Avro schema");
		for (int i = 0; i < al->n; i++) {
			if (al->items[i]->kind != AJ_STR)
				return sfail(p, al->items[i], "aliases must be strings");
			/* Aliases are relative to the namespace of the name they alias. */
			const char *a = join_name(p, n->space, al->items[i]->s);
			if (!a)
				return tarn_err_nomem(p->err, "Avro schema");
			n->aliases[n->n_aliases++] = a;
		}
	}
	n->doc = get_str(o, "doc");
	*space_out = n->space;
	return TARN_OK;
}

static tarn_rc parse_type(struct sp *p, const struct ajson *j, const char *space,
			  struct avro_node **out, int depth);

/* Largest decimal precision a fixed of n bytes holds:
 * floor(log10(2^(8n-1) - 1)). */
static int fixed_max_precision(int64_t n)
{
	if (n <= 0)
		return 0;
	if (n > 64)
		return 1000;
	/* log10(2) * (8n - 1), floored; exact enough for n <= 64 (the value
	 * 2^(8n-1)-1 is never a power of ten). */
	double d = 0.30102999566398120 * (double)(8 * n - 1);
	return (int)d;
}

static void apply_logical(struct sp *p, const struct ajson *o, struct avro_node *n)
{
	const char *lt = get_str(o, "logicalType");
	if (!lt)
		return;
	n->logical_name = lt;
	enum avro_kind k = n->kind;
	int found = AL_NONE;
	for (int i = AL_DECIMAL; i <= AL_DURATION; i++)
		if (strcmp(lt, logical_names[i]) == 0)
			found = i;
	switch (found) {
	case AL_DECIMAL: {
		if (k != AV_BYTES && k != AV_FIXED)
			return;
		const struct ajson *pr = avro_json_get(o, "precision");
		const struct ajson *sc = avro_json_get(o, "scale");
		if (!pr || pr->kind != AJ_NUM || !pr->is_int || pr->i < 1 || pr->i > 100000)
			return;
		int64_t scale = 0;
		if (sc) {
			if (sc->kind != AJ_NUM || !sc->is_int || sc->i < 0)
				return;
			scale = sc->i;
		}
		if (scale > pr->i)
			return;
		if (k == AV_FIXED && pr->i > fixed_max_precision(n->size))
			return;
		n->precision = (int)pr->i;
		n->scale = (int)scale;
		break;
	}
	case AL_UUID:
		if (k != AV_STRING && !(k == AV_FIXED && n->size == 16))
			return;
		break;
	case AL_DATE:
	case AL_TIME_MS:
		if (k != AV_INT)
			return;
		break;
	case AL_TIME_US:
	case AL_TS_MS:
	case AL_TS_US:
	case AL_TS_NS:
	case AL_LTS_MS:
	case AL_LTS_US:
	case AL_LTS_NS:
		if (k != AV_LONG)
			return;
		break;
	case AL_DURATION:
		if (!(k == AV_FIXED && n->size == 12))
			return;
		break;
	default: return;
	}
	(void)p;
	n->logical = (enum avro_logical)found;
}

static tarn_rc parse_fields(struct sp *p, const struct ajson *o, struct avro_node *n,
			    const char *space, int depth)
{
	const struct ajson *f = avro_json_get(o, "fields");
	if (!f || f->kind != AJ_ARR)
		return sfail(p, o, "record '%s' needs a \"fields\" array", n->fullname);
	if (f->n) {
		n->fields = tarn_arena_alloc(&p->s->arena, (size_t)f->n * sizeof *n->fields);
		if (!n->fields)
			return tarn_err_nomem(p->err, "Avro schema");
		memset(n->fields, 0, (size_t)f->n * sizeof *n->fields);
	}
	for (int i = 0; i < f->n; i++) {
		const struct ajson *jf = f->items[i];
		struct avro_field *fd = &n->fields[i];
		if (jf->kind != AJ_OBJ)
			return sfail(p, jf, "fields of record '%s' must be objects", n->fullname);
		fd->name = get_str(jf, "name");
		if (!fd->name || !*fd->name)
			return sfail(p, jf, "a field of record '%s' has no \"name\"", n->fullname);
		for (int k = 0; k < i; k++)
			if (strcmp(n->fields[k].name, fd->name) == 0)
				return sfail(p, jf, "record '%s' has two fields named '%s'",
					     n->fullname, fd->name);
		const struct ajson *jt = avro_json_get(jf, "type");
		if (!jt)
			return sfail(p, jf, "field '%s' has no \"type\"", fd->name);
		TRY(parse_type(p, jt, space, &fd->type, depth + 1));
		fd->def = avro_json_get(jf, "default");
		fd->doc = get_str(jf, "doc");
		fd->order = get_str(jf, "order");
		const struct ajson *al = avro_json_get(jf, "aliases");
		if (al && al->kind == AJ_ARR && al->n > 0) {
			fd->aliases = tarn_arena_alloc(&p->s->arena, (size_t)al->n * sizeof(char *));
			if (!fd->aliases)
				return tarn_err_nomem(p->err, "Avro schema");
			for (int k = 0; k < al->n; k++) {
				if (al->items[k]->kind != AJ_STR)
					return sfail(p, al->items[k], "aliases must be strings");
				fd->aliases[fd->n_aliases++] = al->items[k]->s;
			}
		}
		n->n_fields++;
	}
	return TARN_OK;
}

static tarn_rc parse_enum(struct sp *p, const struct ajson *o, struct avro_node *n)
{
	const struct ajson *sy = avro_json_get(o, "symbols");
	if (!sy || sy->kind != AJ_ARR)
		return sfail(p, o, "enum '%s' needs a \"symbols\" array", n->fullname);
	if (sy->n) {
		n->symbols = tarn_arena_alloc(&p->s->arena, (size_t)sy->n * sizeof *n->symbols);
		if (!n->symbols)
			return tarn_err_nomem(p->err, "Avro schema");
	}
	for (int i = 0; i < sy->n; i++) {
		if (sy->items[i]->kind != AJ_STR)
			return sfail(p, sy->items[i], "symbols of enum '%s' must be strings",
				     n->fullname);
		for (int k = 0; k < i; k++)
			if (strcmp(n->symbols[k], sy->items[i]->s) == 0)
				return sfail(p, sy->items[i], "enum '%s' lists symbol '%s' twice",
					     n->fullname, sy->items[i]->s);
		n->symbols[n->n_symbols++] = sy->items[i]->s;
	}
	const char *def = get_str(o, "default");
	if (def) {
		for (int i = 0; i < n->n_symbols; i++)
			if (strcmp(n->symbols[i], def) == 0)
				n->enum_default = i;
		if (n->enum_default < 0)
			return sfail(p, o, "the default '%s' of enum '%s' is not one of its symbols",
				     def, n->fullname);
	}
	return TARN_OK;
}

static tarn_rc parse_union(struct sp *p, const struct ajson *j, const char *space,
			   struct avro_node *n, int depth)
{
	if (j->n) {
		n->branches = tarn_arena_alloc(&p->s->arena, (size_t)j->n * sizeof *n->branches);
		if (!n->branches)
			return tarn_err_nomem(p->err, "Avro schema");
	}
	for (int i = 0; i < j->n; i++) {
		struct avro_node *b;
		TRY(parse_type(p, j->items[i], space, &b, depth + 1));
		if (b->kind == AV_UNION)
			return sfail(p, j->items[i], "a union may not contain a union directly");
		for (int k = 0; k < i; k++) {
			const struct avro_node *o = n->branches[k];
			bool named = b->kind == AV_RECORD || b->kind == AV_ENUM || b->kind == AV_FIXED;
			if (o->kind == b->kind && (!named || strcmp(o->fullname, b->fullname) == 0))
				return sfail(p, j->items[i], "union lists %s twice%s",
					     named ? b->fullname : kind_names[b->kind],
					     named ? "" : " (unions may hold one of each unnamed type)");
		}
		n->branches[n->n_branches++] = b;
	}
	return TARN_OK;
}

static tarn_rc parse_type(struct sp *p, const struct ajson *j, const char *space,
			  struct avro_node **out, int depth)
{
	if (depth > AVRO_MAX_DEPTH)
		return tarn_err_set(p->err, TARN_ELIMIT, "%s: Avro schema nested deeper than %d",
				    p->what, AVRO_MAX_DEPTH);
	struct avro_node *n;
	if (j->kind == AJ_STR) {
		int k = primitive_kind(j->s);
		if (k >= 0) {
			n = avro_node_new(p->s, (enum avro_kind)k);
			if (!n)
				return tarn_err_nomem(p->err, "Avro schema");
			*out = n;
			return TARN_OK;
		}
		return resolve_ref(p, j, j->s, space, out);
	}
	if (j->kind == AJ_ARR) {
		n = avro_node_new(p->s, AV_UNION);
		if (!n)
			return tarn_err_nomem(p->err, "Avro schema");
		*out = n;
		return parse_union(p, j, space, n, depth);
	}
	if (j->kind != AJ_OBJ)
		return sfail(p, j, "a schema must be a type name, an object or a union array");
	const struct ajson *t = avro_json_get(j, "type");
	if (!t)
		return sfail(p, j, "schema object has no \"type\"");
	if (t->kind == AJ_OBJ || t->kind == AJ_ARR)
		return parse_type(p, t, space, out, depth + 1);
	if (t->kind != AJ_STR)
		return sfail(p, t, "\"type\" must be a string");
	const char *ts = t->s;
	int prim = primitive_kind(ts);
	if (prim >= 0) {
		n = avro_node_new(p->s, (enum avro_kind)prim);
		if (!n)
			return tarn_err_nomem(p->err, "Avro schema");
		apply_logical(p, j, n);
		*out = n;
		return TARN_OK;
	}
	enum avro_kind kind;
	if (strcmp(ts, "record") == 0 || strcmp(ts, "error") == 0)
		kind = AV_RECORD;
	else if (strcmp(ts, "enum") == 0)
		kind = AV_ENUM;
	else if (strcmp(ts, "array") == 0)
		kind = AV_ARRAY;
	else if (strcmp(ts, "map") == 0)
		kind = AV_MAP;
	else if (strcmp(ts, "fixed") == 0)
		kind = AV_FIXED;
	else
		return resolve_ref(p, t, ts, space, out);
	n = avro_node_new(p->s, kind);
	if (!n)
		return tarn_err_nomem(p->err, "Avro schema");
	*out = n;
	const char *inner = space;
	switch (kind) {
	case AV_RECORD:
		TRY(define_name(p, j, n, space, &inner));
		return parse_fields(p, j, n, inner, depth);
	case AV_ENUM:
		TRY(define_name(p, j, n, space, &inner));
		return parse_enum(p, j, n);
	case AV_FIXED: {
		TRY(define_name(p, j, n, space, &inner));
		const struct ajson *sz = avro_json_get(j, "size");
		if (!sz || sz->kind != AJ_NUM || !sz->is_int || sz->i < 0 || sz->i > INT32_MAX)
			return sfail(p, j, "fixed '%s' needs a \"size\" from 0 to 2147483647",
				     n->fullname);
		n->size = sz->i;
		apply_logical(p, j, n);
		return TARN_OK;
	}
	case AV_ARRAY:
	case AV_MAP: {
		const char *key = kind == AV_ARRAY ? "items" : "values";
		const struct ajson *it = avro_json_get(j, key);
		if (!it)
			return sfail(p, j, "%s needs \"%s\"", ts, key);
		return parse_type(p, it, space, &n->items, depth + 1);
	}
	default: return TARN_EINTERNAL;
	}
}

tarn_rc avro_schema_parse(const char *text, size_t n, const char *what, struct avro_schema **out,
			  struct tarn_err *err)
{
	*out = NULL;
	if (n > AVRO_MAX_SCHEMA)
		return tarn_err_set(err, TARN_ELIMIT, "%s: schema text of %zu bytes is too large",
				    what, n);
	struct avro_schema *s;
	if (avro_schema_new(&s))
		return tarn_err_nomem(err, "Avro schema");
	struct sp p = { s, what, err, NULL, 0, 0 };
	tarn_rc rc = TARN_OK;
	char *copy = tarn_arena_strndup(&s->arena, text, n);
	struct ajson *j = NULL;
	if (!copy)
		rc = tarn_err_nomem(err, "Avro schema");
	if (rc == TARN_OK)
		rc = avro_json_parse(&s->arena, copy, n, what, &j, err);
	if (rc == TARN_OK)
		rc = parse_type(&p, j, "", &s->root, 0);
	tarn_free(p.names);
	if (rc) {
		avro_schema_free(s);
		return rc;
	}
	s->text = copy;
	s->text_len = n;
	*out = s;
	return TARN_OK;
}

tarn_rc avro_schema_load(const char *path, struct avro_schema **out, struct tarn_err *err)
{
	*out = NULL;
	struct tarn_input *in;
	TRY(tarn_input_open(path, &in, err));
	struct tarn_buf b;
	tarn_buf_init(&b);
	b.limit = AVRO_MAX_SCHEMA;
	tarn_rc rc = TARN_OK;
	for (;;) {
		if (b.cap - b.len < 65536 && tarn_buf_reserve(&b, 65536)) {
			rc = tarn_err_set(err, TARN_ELIMIT, "%s: schema file larger than %u bytes",
					  path, AVRO_MAX_SCHEMA);
			break;
		}
		size_t got;
		rc = tarn_input_read(in, b.data + b.len, b.cap - b.len, &got, err);
		if (rc || got == 0)
			break;
		b.len += got;
	}
	tarn_input_close(in);
	if (rc == TARN_OK)
		rc = avro_schema_parse(b.data ? b.data : "", b.len, path, out, err);
	tarn_buf_free(&b);
	return rc;
}

/* ---- minimum encoded size ------------------------------------------------------------ */

static int64_t min_size_at(const struct avro_node *n, int depth)
{
	if (depth > AVRO_MAX_DEPTH)
		return 0;
	switch (n->kind) {
	case AV_NULL: return 0;
	case AV_FLOAT: return 4;
	case AV_DOUBLE: return 8;
	case AV_FIXED: return n->size;
	case AV_RECORD: {
		int64_t s = 0;
		for (int i = 0; i < n->n_fields; i++) {
			s += min_size_at(n->fields[i].type, depth + 1);
			if (s > ((int64_t)1 << 40))
				return (int64_t)1 << 40;
		}
		return s;
	}
	default: return 1; /* varint, boolean, length, count, branch index */
	}
}

int64_t avro_min_size(struct avro_node *n)
{
	return min_size_at(n, 0);
}

/* ---- canonical form and JSON output ------------------------------------------------------ */

struct seen {
	const struct avro_node **v;
	int n, cap;
};

static bool seen_has(const struct seen *s, const struct avro_node *n)
{
	for (int i = 0; i < s->n; i++)
		if (s->v[i] == n)
			return true;
	return false;
}

static tarn_rc seen_add(struct seen *s, const struct avro_node *n)
{
	if (s->n == s->cap) {
		int nc = s->cap ? s->cap * 2 : 16;
		const struct avro_node **v = tarn_realloc(s->v, (size_t)nc * sizeof *v);
		if (!v)
			return TARN_ENOMEM;
		s->v = v;
		s->cap = nc;
	}
	s->v[s->n++] = n;
	return TARN_OK;
}

static tarn_rc put(struct tarn_buf *b, const char *s)
{
	return tarn_buf_append(b, s, strlen(s));
}

static tarn_rc quote(struct tarn_buf *b, const char *s)
{
	return avro_json_quote(b, s, strlen(s));
}

static tarn_rc pcf(const struct avro_node *n, struct tarn_buf *b, struct seen *s, int depth)
{
	if (depth > AVRO_MAX_DEPTH)
		return TARN_ELIMIT;
	bool named = n->kind == AV_RECORD || n->kind == AV_ENUM || n->kind == AV_FIXED;
	if (named) {
		if (seen_has(s, n))
			return quote(b, n->fullname);
		TRY(seen_add(s, n));
		TRY(put(b, "{\"name\":"));
		TRY(quote(b, n->fullname));
		TRY(put(b, ",\"type\":"));
		TRY(quote(b, kind_names[n->kind]));
	}
	switch (n->kind) {
	case AV_RECORD:
		TRY(put(b, ",\"fields\":["));
		for (int i = 0; i < n->n_fields; i++) {
			TRY(put(b, i ? ",{\"name\":" : "{\"name\":"));
			TRY(quote(b, n->fields[i].name));
			TRY(put(b, ",\"type\":"));
			TRY(pcf(n->fields[i].type, b, s, depth + 1));
			TRY(tarn_buf_putc(b, '}'));
		}
		return put(b, "]}");
	case AV_ENUM:
		TRY(put(b, ",\"symbols\":["));
		for (int i = 0; i < n->n_symbols; i++) {
			if (i)
				TRY(tarn_buf_putc(b, ','));
			TRY(quote(b, n->symbols[i]));
		}
		return put(b, "]}");
	case AV_FIXED: return tarn_buf_printf(b, ",\"size\":%lld}", (long long)n->size);
	case AV_ARRAY:
	case AV_MAP:
		TRY(put(b, n->kind == AV_ARRAY ? "{\"type\":\"array\",\"items\":"
					       : "{\"type\":\"map\",\"values\":"));
		TRY(pcf(n->items, b, s, depth + 1));
		return tarn_buf_putc(b, '}');
	case AV_UNION:
		TRY(tarn_buf_putc(b, '['));
		for (int i = 0; i < n->n_branches; i++) {
			if (i)
				TRY(tarn_buf_putc(b, ','));
			TRY(pcf(n->branches[i], b, s, depth + 1));
		}
		return tarn_buf_putc(b, ']');
	default: return quote(b, kind_names[n->kind]);
	}
}

tarn_rc avro_schema_canonical(const struct avro_node *root, struct tarn_buf *out)
{
	struct seen s = { NULL, 0, 0 };
	tarn_rc rc = pcf(root, out, &s, 0);
	tarn_free(s.v);
	return rc;
}

uint64_t avro_fingerprint64(const void *p, size_t n)
{
	/* Specification, "Schema Fingerprints": a CRC whose register starts at
	 * EMPTY (a prepended one bit). The table is rebuilt per call: 2 KiB of
	 * work, and no shared state. */
	const uint64_t empty = 0xc15d213aa4d7a795ULL;
	uint64_t table[256];
	for (int i = 0; i < 256; i++) {
		uint64_t fp = (uint64_t)i;
		for (int j = 0; j < 8; j++)
			fp = (fp >> 1) ^ (empty & (0 - (fp & 1)));
		table[i] = fp;
	}
	uint64_t fp = empty;
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++)
		fp = (fp >> 8) ^ table[(fp ^ b[i]) & 0xff];
	return fp;
}

static tarn_rc aliases_json(struct tarn_buf *b, const char *const *al, int n)
{
	if (n == 0)
		return TARN_OK;
	TRY(put(b, ",\"aliases\":["));
	for (int i = 0; i < n; i++) {
		if (i)
			TRY(tarn_buf_putc(b, ','));
		TRY(quote(b, al[i]));
	}
	return tarn_buf_putc(b, ']');
}

static tarn_rc logical_json(const struct avro_node *n, struct tarn_buf *b)
{
	if (n->logical == AL_NONE) {
		if (n->logical_name) {
			TRY(put(b, ",\"logicalType\":"));
			TRY(quote(b, n->logical_name));
		}
		return TARN_OK;
	}
	TRY(put(b, ",\"logicalType\":"));
	TRY(quote(b, logical_names[n->logical]));
	if (n->logical == AL_DECIMAL)
		TRY(tarn_buf_printf(b, ",\"precision\":%d,\"scale\":%d", n->precision, n->scale));
	return TARN_OK;
}

static tarn_rc full_json(const struct avro_node *n, struct tarn_buf *b, struct seen *s, int depth)
{
	if (depth > AVRO_MAX_DEPTH)
		return TARN_ELIMIT;
	bool named = n->kind == AV_RECORD || n->kind == AV_ENUM || n->kind == AV_FIXED;
	if (named) {
		if (seen_has(s, n))
			return quote(b, n->fullname);
		TRY(seen_add(s, n));
		TRY(put(b, "{\"type\":"));
		TRY(quote(b, kind_names[n->kind]));
		TRY(put(b, ",\"name\":"));
		TRY(quote(b, n->fullname));
		TRY(aliases_json(b, n->aliases, n->n_aliases));
		if (n->doc) {
			TRY(put(b, ",\"doc\":"));
			TRY(quote(b, n->doc));
		}
	}
	switch (n->kind) {
	case AV_RECORD:
		TRY(put(b, ",\"fields\":["));
		for (int i = 0; i < n->n_fields; i++) {
			const struct avro_field *f = &n->fields[i];
			TRY(put(b, i ? ",{\"name\":" : "{\"name\":"));
			TRY(quote(b, f->name));
			TRY(put(b, ",\"type\":"));
			TRY(full_json(f->type, b, s, depth + 1));
			if (f->def) {
				TRY(put(b, ",\"default\":"));
				TRY(avro_json_write(f->def, b));
			}
			TRY(aliases_json(b, f->aliases, f->n_aliases));
			if (f->doc) {
				TRY(put(b, ",\"doc\":"));
				TRY(quote(b, f->doc));
			}
			if (f->order) {
				TRY(put(b, ",\"order\":"));
				TRY(quote(b, f->order));
			}
			TRY(tarn_buf_putc(b, '}'));
		}
		return put(b, "]}");
	case AV_ENUM:
		TRY(put(b, ",\"symbols\":["));
		for (int i = 0; i < n->n_symbols; i++) {
			if (i)
				TRY(tarn_buf_putc(b, ','));
			TRY(quote(b, n->symbols[i]));
		}
		TRY(tarn_buf_putc(b, ']'));
		if (n->enum_default >= 0) {
			TRY(put(b, ",\"default\":"));
			TRY(quote(b, n->symbols[n->enum_default]));
		}
		return tarn_buf_putc(b, '}');
	case AV_FIXED:
		TRY(tarn_buf_printf(b, ",\"size\":%lld", (long long)n->size));
		TRY(logical_json(n, b));
		return tarn_buf_putc(b, '}');
	case AV_ARRAY:
	case AV_MAP:
		TRY(put(b, n->kind == AV_ARRAY ? "{\"type\":\"array\",\"items\":"
					       : "{\"type\":\"map\",\"values\":"));
		TRY(full_json(n->items, b, s, depth + 1));
		return tarn_buf_putc(b, '}');
	case AV_UNION:
		TRY(tarn_buf_putc(b, '['));
		for (int i = 0; i < n->n_branches; i++) {
			if (i)
				TRY(tarn_buf_putc(b, ','));
			TRY(full_json(n->branches[i], b, s, depth + 1));
		}
		return tarn_buf_putc(b, ']');
	default:
		if (n->logical == AL_NONE && !n->logical_name)
			return quote(b, kind_names[n->kind]);
		TRY(put(b, "{\"type\":"));
		TRY(quote(b, kind_names[n->kind]));
		TRY(logical_json(n, b));
		return tarn_buf_putc(b, '}');
	}
}

tarn_rc avro_schema_write_json(const struct avro_node *root, struct tarn_buf *out)
{
	struct seen s = { NULL, 0, 0 };
	tarn_rc rc = full_json(root, out, &s, 0);
	tarn_free(s.v);
	return rc;
}
