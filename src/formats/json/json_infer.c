/*
 * json_infer.c — schema inference for JSON and JSON Lines.
 *
 * The sample's records are parsed into a tree of shapes: per key path the
 * set of JSON kinds seen (null, boolean, integer, float, string, array,
 * object), object members in first-seen order, and one item shape per array
 * path. json_infer_schema turns the tree into types by the rules in
 * docs/formats/json.md ("Schema inference"): integers give int64, integers
 * mixed with floats give float64, any other mix gives string with a note on
 * the field saying so, objects give structs, arrays give lists. Top-level
 * columns named in types= are not inferred (their values are only checked
 * to be JSON): the declared type wins anyway, and a declared map's keys
 * need not be usable as member names.
 *
 * Relies on the tokenizer in json_lex.c and on the text kernels for the
 * optional date/timestamp detection. Shapes live in one arena freed with the
 * inference state. Thread-safety: one thread per struct jinfer.
 */
#include <stdio.h>

#include "columnar/text.h"
#include "formats/json/json_int.h"

/* Caps on the shape tree, so hostile input with millions of distinct keys
 * fails clearly instead of exhausting memory. */
#define MAX_SHAPES 1000000
#define MAX_MEMBERS 100000

tarn_rc json_infer_init(struct jinfer *inf)
{
	memset(inf, 0, sizeof *inf);
	tarn_arena_init(&inf->arena, 64 * 1024);
	return TARN_OK;
}

void json_infer_free(struct jinfer *inf)
{
	tarn_arena_free(&inf->arena);
	memset(&inf->root, 0, sizeof inf->root);
}

static int nomem(struct jparse *ps)
{
	return json_fail_at(ps, TARN_ENOMEM, json_at(ps), "out of memory inferring the schema");
}

static struct shape *new_shape(struct jparse *ps)
{
	struct jinfer *inf = ps->inf;
	if (inf->n_shapes >= MAX_SHAPES) {
		json_fail_at(ps, TARN_ELIMIT, json_at(ps),
			     "more than %d distinct key paths in the sample", MAX_SHAPES);
		return NULL;
	}
	struct shape *sh = tarn_arena_alloc(&inf->arena, sizeof *sh);
	if (!sh) {
		nomem(ps);
		return NULL;
	}
	memset(sh, 0, sizeof *sh);
	inf->n_shapes++;
	return sh;
}

/* Whether types= ("col=type,..."; types may hold commas inside <>, () or
 * []) names the column key[0..len). Its values are then not inferred, only
 * checked to be JSON: the declared type replaces whatever they would give,
 * and a declared map's keys need not be usable as column names. */
static bool named_in_types(const char *types, const uint8_t *key, size_t len)
{
	const char *p = types;
	while (p && *p) {
		const char *eq = strchr(p, '=');
		if (!eq)
			return false;
		if ((size_t)(eq - p) == len && memcmp(p, key, len) == 0)
			return true;
		int depth = 0;
		const char *e = eq + 1;
		while (*e && !(*e == ',' && depth == 0)) {
			if (*e == '<' || *e == '(' || *e == '[')
				depth++;
			else if (*e == '>' || *e == ')' || *e == ']')
				depth--;
			e++;
		}
		p = *e ? e + 1 : e;
	}
	return false;
}

static void index_insert(int32_t *index, uint32_t cap, uint32_t hash, int32_t i)
{
	uint32_t m = cap - 1, h = hash & m;
	while (index[h])
		h = (h + 1) & m;
	index[h] = i + 1;
}

/* The member named key[0..len) of object shape sh, added when new. */
static struct shape *member(struct jparse *ps, struct shape *sh, const uint8_t *key, size_t len)
{
	int c = sh->cursor;
	if (c < sh->n_members && sh->members[c].len == len &&
	    memcmp(sh->members[c].name, key, len) == 0) {
		sh->cursor = c + 1;
		return sh->members[c].sh;
	}
	uint32_t hash = json_hash(key, len);
	if (sh->index_cap) {
		uint32_t m = sh->index_cap - 1;
		for (uint32_t h = hash & m; sh->index[h]; h = (h + 1) & m) {
			struct shape_member *e = &sh->members[sh->index[h] - 1];
			if (e->hash == hash && e->len == len && memcmp(e->name, key, len) == 0) {
				sh->cursor = sh->index[h];
				return e->sh;
			}
		}
	}
	struct jinfer *inf = ps->inf;
	if (sh->n_members >= MAX_MEMBERS) {
		json_fail_at(ps, TARN_ELIMIT, json_at(ps),
			     "an object with more than %d distinct keys in the sample", MAX_MEMBERS);
		return NULL;
	}
	if (sh->n_members == sh->cap_members) {
		int cap = sh->cap_members ? sh->cap_members * 2 : 8;
		struct shape_member *nm = tarn_arena_alloc(&inf->arena, (size_t)cap * sizeof *nm);
		if (!nm) {
			nomem(ps);
			return NULL;
		}
		if (sh->n_members)
			memcpy(nm, sh->members, (size_t)sh->n_members * sizeof *nm);
		sh->members = nm;
		sh->cap_members = cap;
	}
	/* Keep the index at most half full. */
	if ((uint32_t)(sh->n_members + 1) * 2 > sh->index_cap) {
		uint32_t cap = sh->index_cap ? sh->index_cap * 2 : 16;
		int32_t *ni = tarn_arena_alloc(&inf->arena, cap * sizeof *ni);
		if (!ni) {
			nomem(ps);
			return NULL;
		}
		memset(ni, 0, cap * sizeof *ni);
		for (int i = 0; i < sh->n_members; i++)
			index_insert(ni, cap, sh->members[i].hash, i);
		sh->index = ni;
		sh->index_cap = cap;
	}
	struct shape *child = new_shape(ps);
	char *name = child ? tarn_arena_strndup(&inf->arena, (const char *)key, len) : NULL;
	if (!name) {
		if (child)
			nomem(ps);
		return NULL;
	}
	if (sh == &inf->root)
		child->declared = named_in_types(ps->opt->types, key, len);
	int i = sh->n_members++;
	sh->members[i] = (struct shape_member){ name, len, hash, child };
	index_insert(sh->index, sh->index_cap, hash, i);
	sh->cursor = i + 1;
	return child;
}

static int infer_value(struct jparse *ps, struct shape *sh, int depth);

static int expect_after(struct jparse *ps, uint8_t close, const char *what)
{
	char d[16];
	if (ps->pos >= ps->n)
		return json_eob(ps, close == '}' ? "inside an object" : "inside an array");
	return json_fail_at(ps, TARN_EDATA, json_at(ps), "expected ',' or '%c' after %s, found %s",
			    close, what, json_describe_char(ps->p[ps->pos], d, sizeof d));
}

static int infer_object(struct jparse *ps, struct shape *sh, int depth)
{
	char d[16];
	int rc;
	if (depth >= ps->opt->max_depth)
		return json_fail_at(ps, TARN_ELIMIT, json_at(ps), "nesting deeper than max-depth (%d)",
				    ps->opt->max_depth);
	sh->kinds |= K_OBJECT;
	ps->pos++;
	json_ws(ps);
	if (ps->pos < ps->n && ps->p[ps->pos] == '}') {
		ps->pos++;
		return JS_OK;
	}
	for (;;) {
		json_ws(ps);
		if (ps->pos >= ps->n)
			return json_eob(ps, "inside an object");
		if (ps->p[ps->pos] != '"') {
			if (ps->p[ps->pos] == '}')
				return json_fail_at(ps, TARN_EDATA, json_at(ps),
						    "trailing comma before '}'");
			return json_fail_at(ps, TARN_EDATA, json_at(ps),
					    "expected '\"' to start an object key, found %s",
					    json_describe_char(ps->p[ps->pos], d, sizeof d));
		}
		size_t ks = 0, kl = 0, dl = 0;
		unsigned fl = 0;
		if ((rc = json_str_scan(ps, &ks, &kl, &fl)))
			return rc;
		const uint8_t *key = ps->p + ks;
		if (fl & STR_ESC) {
			ps->scratch.len = 0;
			if (tarn_buf_reserve(&ps->scratch, kl + 1) != TARN_OK)
				return nomem(ps);
			if ((rc = json_str_decode(ps, ks, kl, fl, (uint8_t *)ps->scratch.data, &dl)))
				return rc;
			key = (const uint8_t *)ps->scratch.data;
			kl = dl;
		} else if ((rc = json_str_decode(ps, ks, kl, fl, NULL, &dl))) {
			return rc;
		}
		if (UNLIKELY(memchr(key, 0, kl) != NULL))
			/* Field names are C strings. */
			return json_fail_at(ps, TARN_EUNSUPPORTED, ps->base + (int64_t)ks - 1,
					    "an object key containing \\u0000 cannot name a column");
		struct shape *m = member(ps, sh, key, kl);
		if (!m)
			return JS_ERR;
		if ((rc = json_expect_colon(ps)))
			return rc;
		if (m->declared) {
			m->kinds |= K_NULL;
			rc = json_value_copy(ps, NULL, depth + 1);
		} else {
			rc = infer_value(ps, m, depth + 1);
		}
		if (rc)
			return rc;
		json_ws(ps);
		if (ps->pos < ps->n && ps->p[ps->pos] == ',') {
			ps->pos++;
			continue;
		}
		if (ps->pos < ps->n && ps->p[ps->pos] == '}') {
			ps->pos++;
			return JS_OK;
		}
		return expect_after(ps, '}', "object member");
	}
}

static int infer_array(struct jparse *ps, struct shape *sh, int depth)
{
	int rc;
	if (depth >= ps->opt->max_depth)
		return json_fail_at(ps, TARN_ELIMIT, json_at(ps), "nesting deeper than max-depth (%d)",
				    ps->opt->max_depth);
	sh->kinds |= K_ARRAY;
	if (!sh->elem && !(sh->elem = new_shape(ps)))
		return JS_ERR;
	ps->pos++;
	json_ws(ps);
	if (ps->pos < ps->n && ps->p[ps->pos] == ']') {
		ps->pos++;
		return JS_OK;
	}
	for (;;) {
		json_ws(ps);
		if (ps->pos < ps->n && ps->p[ps->pos] == ']')
			return json_fail_at(ps, TARN_EDATA, json_at(ps), "trailing comma before ']'");
		if ((rc = infer_value(ps, sh->elem, depth + 1)))
			return rc;
		json_ws(ps);
		if (ps->pos < ps->n && ps->p[ps->pos] == ',') {
			ps->pos++;
			continue;
		}
		if (ps->pos < ps->n && ps->p[ps->pos] == ']') {
			ps->pos++;
			return JS_OK;
		}
		return expect_after(ps, ']', "array element");
	}
}

static int infer_string(struct jparse *ps, struct shape *sh)
{
	size_t s = 0, l = 0, dl = 0;
	unsigned fl = 0;
	int rc = json_str_scan(ps, &s, &l, &fl);
	if (rc)
		return rc;
	if (!(sh->kinds & K_STRING)) {
		sh->kinds |= K_STRING;
		sh->str_date = sh->str_ts = ps->opt->infer_dates;
	}
	if (!sh->str_date && !sh->str_ts)
		return json_str_decode(ps, s, l, fl, NULL, &dl);
	ps->scratch.len = 0;
	if (tarn_buf_reserve(&ps->scratch, l + 1) != TARN_OK)
		return nomem(ps);
	if ((rc = json_str_decode(ps, s, l, fl, (uint8_t *)ps->scratch.data, &dl)))
		return rc;
	const char *t = ps->scratch.data;
	int32_t day;
	int64_t ts;
	bool off = false;
	if (sh->str_date && !tarn_parse_date(t, dl, &day))
		sh->str_date = false;
	if (sh->str_ts) {
		if (tarn_parse_timestamp(t, dl, TARN_UNIT_US, &ts, &off)) {
			if (off)
				sh->ts_offset = true;
			else
				sh->ts_local = true;
		} else if (tarn_parse_date(t, dl, &day)) {
			sh->ts_local = true;
		} else {
			sh->str_ts = false;
		}
	}
	return JS_OK;
}

static int infer_value(struct jparse *ps, struct shape *sh, int depth)
{
	json_ws(ps);
	if (ps->pos >= ps->n)
		return json_eob(ps, "where a value was expected");
	uint8_t c = ps->p[ps->pos];
	int rc;
	switch (c) {
	case '{': return infer_object(ps, sh, depth);
	case '[': return infer_array(ps, sh, depth);
	case '"': return infer_string(ps, sh);
	case 't':
		if ((rc = json_literal(ps, "true", 4)))
			return rc;
		sh->kinds |= K_BOOL;
		return JS_OK;
	case 'f':
		if ((rc = json_literal(ps, "false", 5)))
			return rc;
		sh->kinds |= K_BOOL;
		return JS_OK;
	case 'n':
		if ((rc = json_literal(ps, "null", 4)))
			return rc;
		sh->kinds |= K_NULL;
		return JS_OK;
	default:
		break;
	}
	if (c == '-' || (c >= '0' && c <= '9') || (ps->opt->allow_nan && (c == 'N' || c == 'I'))) {
		struct jnum num;
		if ((rc = json_num_scan(ps, &num)))
			return rc;
		if (!num.is_int || num.special)
			sh->kinds |= K_FLOAT;
		else if (num.fits)
			sh->kinds |= K_INT;
		else if (num.digits <= 38)
			sh->kinds |= K_BIGINT;
		else
			sh->kinds |= K_HUGE;
		return JS_OK;
	}
	char d[16];
	return json_fail_at(ps, TARN_EDATA, json_at(ps), "unexpected %s where a value was expected",
			    json_describe_char(c, d, sizeof d));
}

int json_infer_record(struct jparse *ps)
{
	return infer_value(ps, &ps->inf->root, 0);
}

/* ---- shapes to types ------------------------------------------------------------ */

/* "a", "a and b", "a, b and c" for the kinds in k. */
static void kinds_text(uint32_t k, char *buf, size_t cap)
{
	const char *words[5];
	int n = 0;
	if (k & K_OBJECT)
		words[n++] = "object";
	if (k & K_ARRAY)
		words[n++] = "array";
	if (k & K_STRING)
		words[n++] = "string";
	if (k & (K_INT | K_BIGINT | K_HUGE | K_FLOAT))
		words[n++] = "number";
	if (k & K_BOOL)
		words[n++] = "boolean";
	size_t len = 0;
	buf[0] = '\0';
	for (int i = 0; i < n && len < cap; i++) {
		const char *sep = i == 0 ? "" : i == n - 1 ? " and " : ", ";
		int w = snprintf(buf + len, cap - len, "%s%s", sep, words[i]);
		if (w < 0)
			break;
		len += (size_t)w;
	}
}

struct build {
	const struct jopts *opt;
	struct tarn_buf notes; /* nested notes "path: note; ..." of the current column */
};

static tarn_rc add_note(struct build *b, struct tarn_field *f, const char *path,
			const char *note, bool top)
{
	TRY(tarn_field_set_note(f, note));
	if (top)
		return TARN_OK;
	if (b->notes.len)
		TRY(tarn_buf_append(&b->notes, "; ", 2));
	return tarn_buf_printf(&b->notes, "%s: %s", path, note);
}

static tarn_rc build_field(struct build *b, const struct shape *sh, struct tarn_field *f,
			   const char *path, bool top);

static tarn_rc build_struct(struct build *b, const struct shape *sh, struct tarn_field *f,
			    const char *path)
{
	TRY(tarn_type_init_struct(&f->type, sh->n_members));
	struct tarn_buf sub;
	tarn_buf_init(&sub);
	tarn_rc rc = TARN_OK;
	for (int i = 0; i < sh->n_members && rc == TARN_OK; i++) {
		struct tarn_field *m = &f->type.children[i];
		rc = tarn_field_set_name(m, sh->members[i].name, sh->members[i].len);
		sub.len = 0;
		if (rc == TARN_OK)
			rc = tarn_buf_printf(&sub, "%s.%s", path, sh->members[i].name);
		if (rc == TARN_OK)
			rc = tarn_buf_cstr(&sub);
		if (rc == TARN_OK)
			rc = build_field(b, sh->members[i].sh, m, sub.data, false);
	}
	tarn_buf_free(&sub);
	return rc;
}

static tarn_rc build_field(struct build *b, const struct shape *sh, struct tarn_field *f,
			   const char *path, bool top)
{
	f->nullable = true;
	uint32_t k = sh->kinds, nn = k & ~(uint32_t)K_NULL;
	char what[64], note[160];
	if (nn == 0) {
		tarn_type_init(&f->type, TARN_T_STRING);
		return add_note(b, f, path,
				k ? "only null values in the sample; typed as string"
				  : "no values in the sample; typed as string",
				top);
	}
	if (nn == K_OBJECT)
		return build_struct(b, sh, f, path);
	if (nn == K_ARRAY) {
		struct tarn_field item;
		memset(&item, 0, sizeof item);
		struct tarn_buf sub;
		tarn_buf_init(&sub);
		tarn_rc rc = tarn_buf_printf(&sub, "%s[]", path);
		if (rc == TARN_OK)
			rc = tarn_buf_cstr(&sub);
		if (rc == TARN_OK)
			rc = build_field(b, sh->elem, &item, sub.data, false);
		tarn_buf_free(&sub);
		if (rc == TARN_OK)
			rc = tarn_type_init_list(&f->type, &item.type, true);
		if (rc == TARN_OK && item.note)
			rc = tarn_field_set_note(&f->type.children[0], item.note);
		tarn_field_clear(&item);
		return rc;
	}
	if (nn & (K_OBJECT | K_ARRAY)) {
		kinds_text(nn, what, sizeof what);
		snprintf(note, sizeof note, "mixed %s values; kept as JSON text", what);
		tarn_type_init(&f->type, TARN_T_STRING);
		return add_note(b, f, path, note, top);
	}
	if (nn & K_STRING) {
		if (nn != K_STRING) {
			kinds_text(nn, what, sizeof what);
			snprintf(note, sizeof note, "mixed %s values; kept as string", what);
			tarn_type_init(&f->type, TARN_T_STRING);
			return add_note(b, f, path, note, top);
		}
		if (sh->str_date) {
			tarn_type_init(&f->type, TARN_T_DATE32);
			return TARN_OK;
		}
		if (sh->str_ts && !(sh->ts_offset && sh->ts_local))
			return tarn_type_init_timestamp(&f->type, TARN_UNIT_US,
							sh->ts_offset ? "UTC" : NULL);
		tarn_type_init(&f->type, TARN_T_STRING);
		if (sh->str_ts)
			return add_note(b, f, path,
					"timestamps with and without a UTC offset; kept as string",
					top);
		return TARN_OK;
	}
	if (nn & K_BOOL) {
		if (nn == K_BOOL) {
			tarn_type_init(&f->type, TARN_T_BOOL);
			return TARN_OK;
		}
		tarn_type_init(&f->type, TARN_T_STRING);
		return add_note(b, f, path, "mixed boolean and number values; kept as string", top);
	}
	/* Numbers only. */
	if (nn & (K_FLOAT | K_HUGE)) {
		tarn_type_init(&f->type, TARN_T_FLOAT64);
		if (nn & (K_BIGINT | K_HUGE))
			return add_note(b, f, path,
					"integers beyond the int64 range; read as float64 "
					"(digits past the 17th may be lost)",
					top);
		return TARN_OK;
	}
	if (nn & K_BIGINT) {
		tarn_type_init_decimal(&f->type, 38, 0);
		return add_note(b, f, path, "integers beyond the int64 range; read as decimal(38,0)",
				top);
	}
	tarn_type_init(&f->type, TARN_T_INT64);
	return TARN_OK;
}

/* A top-level column: its own note, then its members' notes with paths. */
static tarn_rc build_column(struct build *b, const struct shape *sh, struct tarn_field *f)
{
	b->notes.len = 0;
	TRY(build_field(b, sh, f, f->name, true));
	if (b->notes.len == 0)
		return TARN_OK;
	struct tarn_buf all;
	tarn_buf_init(&all);
	tarn_rc rc = TARN_OK;
	if (f->note)
		rc = tarn_buf_printf(&all, "%s; ", f->note);
	if (rc == TARN_OK)
		rc = tarn_buf_append(&all, b->notes.data, b->notes.len);
	if (rc == TARN_OK)
		rc = tarn_buf_cstr(&all);
	if (rc == TARN_OK)
		rc = tarn_field_set_note(f, all.data);
	tarn_buf_free(&all);
	return rc;
}

struct override_ctx {
	struct tarn_schema *s;
};

static tarn_rc apply_override(void *vctx, int i, struct tarn_type *type, struct tarn_err *err)
{
	struct override_ctx *ctx = vctx;
	struct tarn_field *f = &ctx->s->fields[i];
	struct tarn_type t;
	if (tarn_type_copy(&t, type) != TARN_OK)
		return tarn_err_nomem(err, "types");
	tarn_type_clear(&f->type);
	f->type = t;
	if (tarn_field_set_note(f, NULL) != TARN_OK)
		return tarn_err_nomem(err, "types");
	return TARN_OK;
}

tarn_rc json_infer_schema(struct jinfer *inf, const struct jopts *opt, bool *value_mode,
			  struct tarn_schema **out, struct tarn_err *err)
{
	*out = NULL;
	const struct shape *root = &inf->root;
	uint32_t nn = root->kinds & ~(uint32_t)K_NULL;
	/* Records that are all objects (nulls allowed) give one column per key;
	 * anything else, null-only records included, one column "value". */
	bool objects = nn == K_OBJECT;
	*value_mode = root->kinds != 0 && !objects;
	int nf = objects ? root->n_members : *value_mode ? 1 : 0;
	struct tarn_schema *s;
	if (tarn_schema_new(nf, &s) != TARN_OK)
		return tarn_err_nomem(err, "schema");
	struct build b = { opt, { 0 } };
	tarn_buf_init(&b.notes);
	tarn_rc rc = TARN_OK;
	if (objects) {
		for (int i = 0; i < nf && rc == TARN_OK; i++) {
			rc = tarn_field_set_name(&s->fields[i], root->members[i].name,
						 root->members[i].len);
			if (rc == TARN_OK)
				rc = build_column(&b, root->members[i].sh, &s->fields[i]);
		}
	} else if (*value_mode) {
		rc = tarn_field_set_name(&s->fields[0], "value", 5);
		if (rc == TARN_OK)
			rc = build_column(&b, root, &s->fields[0]);
	}
	tarn_buf_free(&b.notes);
	if (rc != TARN_OK) {
		tarn_schema_unref(s);
		return rc == TARN_ENOMEM ? tarn_err_nomem(err, "schema")
					 : tarn_err_set(err, rc, "cannot build the inferred schema");
	}
	if (opt->types && *opt->types) {
		struct override_ctx ctx = { s };
		rc = tarn_parse_type_overrides(opt->types, ctx.s, apply_override, &ctx, err);
		if (rc != TARN_OK) {
			tarn_schema_unref(s);
			return rc;
		}
	}
	*out = s;
	return TARN_OK;
}
