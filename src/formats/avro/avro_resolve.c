/*
 * avro_resolve.c — from Avro schemas to a tarn schema and a decode program.
 *
 * Type mapping (reader's schema, or the writer's when no reader schema is
 * given; docs/formats/avro.md has the table):
 *   null → null; boolean → bool; int → int32 (date → date32, time-millis →
 *   time64[ms]); long → int64 (time-micros → time64[us], timestamp-millis/
 *   micros/nanos → timestamp[ms/us/ns, UTC], local-timestamp-* → timestamp
 *   without zone); float → float32; double → float64; bytes → binary;
 *   string → string (uuid too); decimal (bytes or fixed) → decimal(p,s), or
 *   float64 with a note beyond 38 digits; fixed → binary (uuid: string;
 *   duration: struct<months, days, millis: uint32>); enum → string;
 *   record → struct; array → list; map → map<string, V>; a union of null
 *   and one type → that type, nullable; any other union → struct of one
 *   nullable member per non-null branch, named member0, member1, ... in
 *   branch order (Spark's convention), nullable when the union has null.
 *   A top-level record's fields are the columns; any other top-level
 *   schema is one column named "value".
 *
 * Resolution (specification, "Schema Resolution"), compiled into ops: record
 * fields matched by name or reader alias (writer-only fields skipped, reader
 * fields missing from the writer filled from their default), promotions
 * int→long/float/double, long→float/double, float→double, string↔bytes,
 * enum symbols by name with the reader's enum default, unions both ways.
 * A union branch is chosen by: same type (named types by unqualified name
 * or alias), else a promotion, else a named type of the same kind. Record,
 * enum and fixed names need not match outside unions (like the Java
 * implementation; fixed sizes must). When a writer union branch cannot be
 * read, the error is deferred to the row that uses it (OPK_FAIL), as the
 * specification says; when no branch can, it is reported at open.
 *
 * Recursive types cannot become columns: a reader schema that reaches a
 * record from inside itself is refused (TARN_EUNSUPPORTED) naming the
 * type. Writer-only recursive fields are skipped fine (skip ops form a
 * cycle, and the decoder caps nesting).
 *
 * Relies on avro_schema.c, columnar/array.h. Thread-safety: builds a
 * program that is read-only afterwards.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "formats/avro/avro_int.h"

struct memo {
	const struct avro_node *w;
	int op;
};

struct rb {
	struct avro_prog *pg;
	const char *what;
	struct tarn_err *err;
	struct memo *skips;
	int n_skips, cap_skips;
};

static tarn_rc nomem(struct rb *b)
{
	return tarn_err_nomem(b->err, "Avro decode program");
}

static const char *path_join(struct rb *b, const char *path, const char *name)
{
	size_t a = path ? strlen(path) : 0, n = strlen(name);
	char *s = tarn_arena_alloc(&b->pg->arena, a + n + 2);
	if (!s)
		return NULL;
	if (a) {
		memcpy(s, path, a);
		s[a++] = '.';
	}
	memcpy(s + a, name, n + 1);
	return s;
}

static tarn_rc mismatch(struct rb *b, const char *path, const char *fmt, ...) TARN_PRINTF(3, 4);

static tarn_rc mismatch(struct rb *b, const char *path, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (path && *path)
		return tarn_err_set(b->err, TARN_EDATA, "%s: field '%s': %s", b->what, path, msg);
	return tarn_err_set(b->err, TARN_EDATA, "%s: %s", b->what, msg);
}

/* ---- unions ------------------------------------------------------------------------- */

static int union_null_index(const struct avro_node *u)
{
	for (int i = 0; i < u->n_branches; i++)
		if (u->branches[i]->kind == AV_NULL)
			return i;
	return -1;
}

/* Index of branch k among the non-null branches. */
static int member_index(const struct avro_node *u, int k)
{
	int m = 0;
	for (int i = 0; i < k; i++)
		m += u->branches[i]->kind != AV_NULL;
	return m;
}

static int non_null_count(const struct avro_node *u)
{
	return u->n_branches - (union_null_index(u) >= 0);
}

/* The only non-null branch of a union of null and one type (or of one
 * type alone), else NULL. */
static const struct avro_node *single_branch(const struct avro_node *u)
{
	if (non_null_count(u) != 1)
		return NULL;
	for (int i = 0; i < u->n_branches; i++)
		if (u->branches[i]->kind != AV_NULL)
			return u->branches[i];
	return NULL;
}

/* ---- tarn types ---------------------------------------------------------------------- */

static bool is_named(enum avro_kind k)
{
	return k == AV_RECORD || k == AV_ENUM || k == AV_FIXED;
}

static tarn_rc to_tarn(struct rb *b, struct avro_node *n, struct tarn_type *t, bool *nullable,
		       const char **note, const char *path, int depth);

static tarn_rc struct_member(struct rb *b, struct tarn_field *f, const char *name,
			     struct avro_node *n, const char *path, int depth)
{
	TRY(tarn_field_set_name(f, name, strlen(name)) ? nomem(b) : TARN_OK);
	const char *note = NULL;
	const char *sub = path_join(b, path, name);
	if (!sub)
		return nomem(b);
	TRY(to_tarn(b, n, &f->type, &f->nullable, &note, sub, depth + 1));
	if (note && tarn_field_set_note(f, note))
		return nomem(b);
	return TARN_OK;
}

static tarn_rc duration_type(struct tarn_type *t)
{
	static const char *const names[3] = { "months", "days", "millis" };
	TRY(tarn_type_init_struct(t, 3));
	for (int i = 0; i < 3; i++) {
		tarn_type_init(&t->children[i].type, TARN_T_UINT32);
		t->children[i].nullable = false;
		if (tarn_field_set_name(&t->children[i], names[i], strlen(names[i])))
			return TARN_ENOMEM;
	}
	return TARN_OK;
}

static tarn_rc to_tarn(struct rb *b, struct avro_node *n, struct tarn_type *t, bool *nullable,
		       const char **note, const char *path, int depth)
{
	memset(t, 0, sizeof *t);
	*nullable = false;
	if (depth > AVRO_MAX_DEPTH)
		return tarn_err_set(b->err, TARN_ELIMIT, "%s: schema nested deeper than %d", b->what,
				    AVRO_MAX_DEPTH);
	switch (n->kind) {
	case AV_NULL:
		tarn_type_init(t, TARN_T_NULL);
		*nullable = true;
		return TARN_OK;
	case AV_BOOLEAN: tarn_type_init(t, TARN_T_BOOL); return TARN_OK;
	case AV_INT:
		if (n->logical == AL_DATE)
			tarn_type_init(t, TARN_T_DATE32);
		else if (n->logical == AL_TIME_MS)
			tarn_type_init_time(t, TARN_UNIT_MS);
		else
			tarn_type_init(t, TARN_T_INT32);
		return TARN_OK;
	case AV_LONG: {
		static const struct {
			enum avro_logical l;
			enum tarn_time_unit u;
			bool utc;
		} ts[] = {
			{ AL_TS_MS, TARN_UNIT_MS, true },   { AL_TS_US, TARN_UNIT_US, true },
			{ AL_TS_NS, TARN_UNIT_NS, true },   { AL_LTS_MS, TARN_UNIT_MS, false },
			{ AL_LTS_US, TARN_UNIT_US, false }, { AL_LTS_NS, TARN_UNIT_NS, false },
		};
		if (n->logical == AL_TIME_US) {
			tarn_type_init_time(t, TARN_UNIT_US);
			return TARN_OK;
		}
		for (size_t i = 0; i < sizeof ts / sizeof ts[0]; i++)
			if (ts[i].l == n->logical)
				return tarn_type_init_timestamp(t, ts[i].u, ts[i].utc ? "UTC" : NULL)
					       ? nomem(b)
					       : TARN_OK;
		tarn_type_init(t, TARN_T_INT64);
		return TARN_OK;
	}
	case AV_FLOAT: tarn_type_init(t, TARN_T_FLOAT32); return TARN_OK;
	case AV_DOUBLE: tarn_type_init(t, TARN_T_FLOAT64); return TARN_OK;
	case AV_BYTES:
	case AV_FIXED:
		if (n->logical == AL_DECIMAL) {
			if (n->precision <= 38) {
				tarn_type_init_decimal(t, n->precision, n->scale);
			} else {
				tarn_type_init(t, TARN_T_FLOAT64);
				*note = "decimal with more than 38 digits; read as float64";
			}
		} else if (n->logical == AL_UUID) {
			tarn_type_init(t, TARN_T_STRING);
		} else if (n->logical == AL_DURATION) {
			if (duration_type(t)) {
				tarn_type_clear(t);
				return nomem(b);
			}
		} else {
			tarn_type_init(t, TARN_T_BINARY);
		}
		return TARN_OK;
	case AV_STRING:
	case AV_ENUM: tarn_type_init(t, TARN_T_STRING); return TARN_OK;
	case AV_RECORD: {
		if (n->mark)
			return tarn_err_set(b->err, TARN_EUNSUPPORTED,
					    "%s: field '%s': record '%s' contains itself; recursive "
					    "types cannot be read as columns (read with a reader "
					    "schema that leaves the recursive field out)",
					    b->what, path ? path : "", n->fullname);
		if (tarn_type_init_struct(t, n->n_fields))
			return nomem(b);
		n->mark = 1;
		tarn_rc rc = TARN_OK;
		for (int i = 0; i < n->n_fields && rc == TARN_OK; i++)
			rc = struct_member(b, &t->children[i], n->fields[i].name, n->fields[i].type,
					   path, depth);
		n->mark = 0;
		if (rc)
			tarn_type_clear(t);
		return rc;
	}
	case AV_ARRAY: {
		struct tarn_type item;
		bool in;
		const char *sub = path_join(b, path, "item");
		if (!sub)
			return nomem(b);
		TRY(to_tarn(b, n->items, &item, &in, note, sub, depth + 1));
		if (tarn_type_init_list(t, &item, in)) {
			tarn_type_clear(&item);
			return nomem(b);
		}
		return TARN_OK;
	}
	case AV_MAP: {
		struct tarn_type key, val;
		bool vn;
		const char *sub = path_join(b, path, "value");
		if (!sub)
			return nomem(b);
		TRY(to_tarn(b, n->items, &val, &vn, note, sub, depth + 1));
		tarn_type_init(&key, TARN_T_STRING);
		if (tarn_type_init_map(t, &key, &val, vn)) {
			tarn_type_clear(&val);
			return nomem(b);
		}
		return TARN_OK;
	}
	case AV_UNION: {
		bool has_null = union_null_index(n) >= 0;
		int m = non_null_count(n);
		if (m == 0) {
			tarn_type_init(t, TARN_T_NULL);
			*nullable = true;
			return TARN_OK;
		}
		if (m == 1) {
			bool inner;
			TRY(to_tarn(b, (struct avro_node *)single_branch(n), t, &inner, note, path,
				    depth + 1));
			*nullable = has_null || inner;
			return TARN_OK;
		}
		if (tarn_type_init_struct(t, m))
			return nomem(b);
		tarn_rc rc = TARN_OK;
		for (int i = 0, k = 0; i < n->n_branches && rc == TARN_OK; i++) {
			if (n->branches[i]->kind == AV_NULL)
				continue;
			char name[24];
			snprintf(name, sizeof name, "member%d", k);
			rc = struct_member(b, &t->children[k], name, n->branches[i], path, depth);
			t->children[k].nullable = true;
			k++;
		}
		if (rc)
			tarn_type_clear(t);
		*nullable = has_null;
		return rc;
	}
	}
	return TARN_EINTERNAL;
}

/* ---- program building --------------------------------------------------------------- */

static int emit(struct rb *b, struct avro_op op)
{
	struct avro_prog *pg = b->pg;
	if (pg->n_ops == pg->cap_ops) {
		int nc = pg->cap_ops ? pg->cap_ops * 2 : 64;
		struct avro_op *o = tarn_realloc(pg->ops, (size_t)nc * sizeof *o);
		if (!o)
			return -1;
		pg->ops = o;
		pg->cap_ops = nc;
	}
	pg->ops[pg->n_ops] = op;
	return pg->n_ops++;
}

static int add_kids(struct rb *b, const int32_t *k, int n)
{
	struct avro_prog *pg = b->pg;
	if (pg->n_kids + n > pg->cap_kids) {
		int nc = pg->cap_kids ? pg->cap_kids : 64;
		while (nc < pg->n_kids + n)
			nc *= 2;
		int32_t *v = tarn_realloc(pg->kids, (size_t)nc * sizeof *v);
		if (!v)
			return -1;
		pg->kids = v;
		pg->cap_kids = nc;
	}
	int at = pg->n_kids;
	if (n)
		memcpy(pg->kids + at, k, (size_t)n * sizeof *k);
	pg->n_kids += n;
	return at;
}

static int slot_count(const struct tarn_type *t)
{
	int n = 1;
	for (int i = 0; i < t->n_children; i++)
		n += slot_count(&t->children[i].type);
	return n;
}

static int child_slot(const struct tarn_type *t, int slot, int k)
{
	int s = slot + 1;
	for (int i = 0; i < k; i++)
		s += slot_count(&t->children[i].type);
	return s;
}

static tarn_rc skip_op(struct rb *b, const struct avro_node *w, int depth, int *out);

static tarn_rc skip_kids(struct rb *b, const struct avro_node *w, int depth, int *a, int *n)
{
	int cnt = w->kind == AV_RECORD ? w->n_fields : w->n_branches;
	int32_t *tmp = tarn_malloc((size_t)(cnt ? cnt : 1) * sizeof *tmp);
	if (!tmp)
		return nomem(b);
	tarn_rc rc = TARN_OK;
	for (int i = 0; i < cnt && rc == TARN_OK; i++) {
		int k;
		rc = skip_op(b, w->kind == AV_RECORD ? w->fields[i].type : w->branches[i], depth + 1,
			     &k);
		tmp[i] = k;
	}
	if (rc == TARN_OK) {
		*a = add_kids(b, tmp, cnt);
		*n = cnt;
		if (*a < 0)
			rc = nomem(b);
	}
	tarn_free(tmp);
	return rc;
}

/* An op that reads past one value of W. Records are memoised, so a
 * recursive writer type becomes a cycle of ops rather than endless
 * compilation. */
static tarn_rc skip_op(struct rb *b, const struct avro_node *w, int depth, int *out)
{
	if (depth > AVRO_MAX_DEPTH)
		return tarn_err_set(b->err, TARN_ELIMIT, "%s: schema nested deeper than %d", b->what,
				    AVRO_MAX_DEPTH);
	struct avro_op op = { .slot = -1 };
	switch (w->kind) {
	case AV_NULL: op.kind = OPK_SKIP_N; op.a = 0; break;
	case AV_BOOLEAN: op.kind = OPK_SKIP_BOOL; break;
	case AV_INT:
	case AV_LONG:
	case AV_ENUM: op.kind = OPK_SKIP_VARINT; break;
	case AV_FLOAT: op.kind = OPK_SKIP_N; op.a = 4; break;
	case AV_DOUBLE: op.kind = OPK_SKIP_N; op.a = 8; break;
	case AV_FIXED: op.kind = OPK_SKIP_N; op.a = (int32_t)w->size; break;
	case AV_BYTES:
	case AV_STRING: op.kind = OPK_SKIP_BYTES; break;
	case AV_ARRAY:
	case AV_MAP: {
		op.kind = w->kind == AV_ARRAY ? OPK_SKIP_ARRAY : OPK_SKIP_MAP;
		op.zero_size = w->kind == AV_ARRAY && avro_min_size(w->items) == 0;
		int at = emit(b, op);
		if (at < 0)
			return nomem(b);
		int item;
		TRY(skip_op(b, w->items, depth + 1, &item));
		b->pg->ops[at].a = item;
		*out = at;
		return TARN_OK;
	}
	case AV_RECORD: {
		for (int i = 0; i < b->n_skips; i++)
			if (b->skips[i].w == w) {
				*out = b->skips[i].op;
				return TARN_OK;
			}
		op.kind = OPK_SKIP_RECORD;
		int at = emit(b, op);
		if (at < 0)
			return nomem(b);
		if (b->n_skips == b->cap_skips) {
			int nc = b->cap_skips ? b->cap_skips * 2 : 16;
			struct memo *m = tarn_realloc(b->skips, (size_t)nc * sizeof *m);
			if (!m)
				return nomem(b);
			b->skips = m;
			b->cap_skips = nc;
		}
		b->skips[b->n_skips++] = (struct memo){ w, at };
		int a, n;
		TRY(skip_kids(b, w, depth, &a, &n));
		b->pg->ops[at].a = a;
		b->pg->ops[at].n = n;
		*out = at;
		return TARN_OK;
	}
	case AV_UNION: {
		op.kind = OPK_SKIP_UNION;
		int a, n;
		TRY(skip_kids(b, w, depth, &a, &n));
		op.a = a;
		op.n = n;
		break;
	}
	}
	*out = emit(b, op);
	return *out < 0 ? nomem(b) : TARN_OK;
}

/* How well writer type W fits reader type R as a union branch: 3 the same
 * type, 2 a promotion, 1 a named type of the same kind but another name,
 * 0 no match. */
static bool name_matches(const struct avro_node *w, const struct avro_node *r)
{
	if (strcmp(avro_short_name(w->fullname), avro_short_name(r->fullname)) == 0)
		return true;
	for (int i = 0; i < r->n_aliases; i++)
		if (strcmp(r->aliases[i], w->fullname) == 0 ||
		    strcmp(avro_short_name(r->aliases[i]), avro_short_name(w->fullname)) == 0)
			return true;
	return false;
}

static bool promotable(enum avro_kind w, enum avro_kind r)
{
	switch (w) {
	case AV_INT: return r == AV_LONG || r == AV_FLOAT || r == AV_DOUBLE;
	case AV_LONG: return r == AV_FLOAT || r == AV_DOUBLE;
	case AV_FLOAT: return r == AV_DOUBLE;
	case AV_STRING: return r == AV_BYTES;
	case AV_BYTES: return r == AV_STRING;
	default: return false;
	}
}

static int branch_fit(const struct avro_node *w, const struct avro_node *r)
{
	if (w->kind == r->kind) {
		if (!is_named(w->kind))
			return 3;
		if (w->kind == AV_FIXED && w->size != r->size)
			return 0;
		return name_matches(w, r) ? 3 : 1;
	}
	return promotable(w->kind, r->kind) ? 2 : 0;
}

static int best_branch(const struct avro_node *w, const struct avro_node *u)
{
	for (int want = 3; want >= 1; want--)
		for (int i = 0; i < u->n_branches; i++)
			if (branch_fit(w, u->branches[i]) == want)
				return i;
	return -1;
}

static tarn_rc compile(struct rb *b, const struct avro_node *w, const struct avro_node *r,
		       const struct tarn_type *t, int slot, const char *path, int depth, int *out);

static tarn_rc emit_one(struct rb *b, struct avro_op op, int *out)
{
	*out = emit(b, op);
	return *out < 0 ? nomem(b) : TARN_OK;
}

static const char *type_label(const struct avro_node *n)
{
	return is_named(n->kind) ? n->fullname : avro_kind_name(n->kind);
}

/* A writer union: one op per branch, a failing branch deferred to the row
 * that takes it. */
static tarn_rc compile_writer_union(struct rb *b, const struct avro_node *w,
				    const struct avro_node *r, const struct tarn_type *t, int slot,
				    const char *path, int depth, int *out)
{
	int nb = w->n_branches;
	int32_t *tmp = tarn_malloc((size_t)(nb ? nb : 1) * sizeof *tmp);
	if (!tmp)
		return nomem(b);
	tarn_rc rc = TARN_OK;
	int usable = 0;
	struct tarn_err first;
	tarn_err_clear(&first);
	for (int i = 0; i < nb && rc == TARN_OK; i++) {
		struct tarn_err local;
		tarn_err_clear(&local);
		struct tarn_err *saved = b->err;
		b->err = &local;
		int k = -1;
		rc = compile(b, w->branches[i], r, t, slot, path, depth + 1, &k);
		b->err = saved;
		if (rc == TARN_EDATA) {
			if (first.rc == TARN_OK)
				first = local;
			char *why = tarn_arena_strndup(&b->pg->arena, local.msg, strlen(local.msg));
			if (!why) {
				rc = nomem(b);
				break;
			}
			struct avro_op f = { .kind = OPK_FAIL, .slot = slot, .path = path, .why = why };
			rc = emit_one(b, f, &k);
		} else if (rc) {
			tarn_err_set(b->err, local.rc, "%s", local.msg);
			break;
		} else {
			usable++;
		}
		tmp[i] = k;
	}
	if (rc == TARN_OK && usable == 0 && nb > 0)
		rc = tarn_err_set(b->err, first.rc, "%s", first.msg);
	if (rc == TARN_OK) {
		const struct avro_op *o0 = nb == 2 ? &b->pg->ops[tmp[0]] : NULL;
		const struct avro_op *o1 = nb == 2 ? &b->pg->ops[tmp[1]] : NULL;
		if (nb == 2 && (o0->kind == OPK_NULL) != (o1->kind == OPK_NULL)) {
			int ni = o0->kind == OPK_NULL ? 0 : 1;
			struct avro_op v = b->pg->ops[tmp[1 - ni]];
			if (v.kind < OPK_RECORD && v.kind != OPK_NULL && v.kind != OPK_DURATION &&
			    (v.kind < OPK_DEC_BYTES || v.kind > OPK_DECF_FIXED)) {
				/* A scalar: one op reads the branch index and the value. */
				v.nul = true;
				v.b = ni;
				rc = emit_one(b, v, out);
			} else {
				struct avro_op op = { .kind = OPK_NULLABLE, .slot = slot,
						      .a = tmp[1 - ni], .b = ni, .path = path };
				rc = emit_one(b, op, out);
			}
		} else {
			int a = add_kids(b, tmp, nb);
			struct avro_op op = { .kind = OPK_UNION, .slot = slot, .a = a, .n = nb,
					      .path = path };
			rc = a < 0 ? nomem(b) : emit_one(b, op, out);
		}
	}
	tarn_free(tmp);
	return rc;
}

static tarn_rc default_append(struct rb *b, struct tarn_array *a, const struct avro_node *r,
			      const struct ajson *v, const char *path, int depth);

static tarn_rc compile_record(struct rb *b, const struct avro_node *w, const struct avro_node *r,
			      const struct tarn_type *t, int slot, const char *path, int depth,
			      int *out)
{
	int nr = r->n_fields, nw = w->n_fields;
	int32_t *tmp = tarn_malloc((size_t)(nw + nr + 1) * sizeof *tmp);
	int *taken = tarn_calloc((size_t)(nr + 1), sizeof *taken);
	tarn_rc rc = (!tmp || !taken) ? nomem(b) : TARN_OK;
	int nk = 0;
	/* Columns of a top-level record start at slot 0; members of a nested
	 * one after the struct's own slot. */
	int base = slot < 0 ? -1 : slot;
	for (int i = 0; i < nw && rc == TARN_OK; i++) {
		const struct avro_field *wf = &w->fields[i];
		int k = -1;
		for (int j = 0; j < nr && k < 0; j++)
			if (strcmp(r->fields[j].name, wf->name) == 0)
				k = j;
		for (int j = 0; j < nr && k < 0; j++)
			for (int x = 0; x < r->fields[j].n_aliases; x++)
				if (strcmp(r->fields[j].aliases[x], wf->name) == 0)
					k = j;
		int op = -1;
		if (k < 0) {
			rc = skip_op(b, wf->type, depth + 1, &op);
		} else if (taken[k]) {
			rc = mismatch(b, path, "writer fields '%s' and another both map to reader "
					       "field '%s' (through aliases)",
				      wf->name, r->fields[k].name);
		} else {
			taken[k] = 1;
			const char *sub = path_join(b, path, r->fields[k].name);
			if (!sub) {
				rc = nomem(b);
				break;
			}
			rc = compile(b, wf->type, r->fields[k].type, &t->children[k].type,
				     child_slot(t, base, k), sub, depth + 1, &op);
		}
		tmp[nk++] = op;
	}
	for (int j = 0; j < nr && rc == TARN_OK; j++) {
		if (taken[j])
			continue;
		const struct avro_field *rf = &r->fields[j];
		const char *sub = path_join(b, path, rf->name);
		if (!sub) {
			rc = nomem(b);
			break;
		}
		if (!rf->def) {
			rc = mismatch(b, sub, "the file has no such field and the reader schema gives "
					      "no default");
			break;
		}
		struct tarn_array *def = NULL;
		if (tarn_array_new(&t->children[j].type, 1, &def)) {
			rc = nomem(b);
			break;
		}
		rc = default_append(b, def, rf->type, rf->def, sub, depth + 1);
		if (rc == TARN_OK && b->pg->n_defaults == b->pg->cap_defaults) {
			int nc = b->pg->cap_defaults ? b->pg->cap_defaults * 2 : 8;
			struct tarn_array **d = tarn_realloc(b->pg->defaults, (size_t)nc * sizeof *d);
			if (!d)
				rc = nomem(b);
			else {
				b->pg->defaults = d;
				b->pg->cap_defaults = nc;
			}
		}
		if (rc) {
			tarn_array_free(def);
			break;
		}
		int di = b->pg->n_defaults;
		b->pg->defaults[b->pg->n_defaults++] = def;
		struct avro_op op = { .kind = OPK_DEFAULT, .slot = child_slot(t, base, j), .a = di,
				      .path = sub };
		int k;
		rc = emit_one(b, op, &k);
		tmp[nk++] = k;
	}
	if (rc == TARN_OK) {
		int a = add_kids(b, tmp, nk);
		struct avro_op op = { .kind = OPK_RECORD, .slot = slot, .a = a, .n = nk, .path = path };
		rc = a < 0 ? nomem(b) : emit_one(b, op, out);
	}
	tarn_free(tmp);
	tarn_free(taken);
	return rc;
}

static tarn_rc compile_enum(struct rb *b, const struct avro_node *w, const struct avro_node *r,
			    int slot, const char *path, int *out)
{
	struct avro_prog *pg = b->pg;
	int n = w->n_symbols;
	if (pg->n_syms + n > pg->cap_syms) {
		int nc = pg->cap_syms ? pg->cap_syms : 32;
		while (nc < pg->n_syms + n)
			nc *= 2;
		struct avro_sym *s = tarn_realloc(pg->syms, (size_t)nc * sizeof *s);
		if (!s)
			return nomem(b);
		pg->syms = s;
		pg->cap_syms = nc;
	}
	int at = pg->n_syms;
	int found = 0;
	for (int i = 0; i < n; i++) {
		int k = -1;
		for (int j = 0; j < r->n_symbols && k < 0; j++)
			if (strcmp(r->symbols[j], w->symbols[i]) == 0)
				k = j;
		if (k < 0)
			k = r->enum_default;
		found += k >= 0;
		pg->syms[at + i] = k >= 0 ? (struct avro_sym){ r->symbols[k],
							       (int32_t)strlen(r->symbols[k]) }
					  : (struct avro_sym){ w->symbols[i], -1 };
	}
	if (n > 0 && found == 0)
		return mismatch(b, path, "enum '%s' shares no symbol with the reader's enum '%s'",
				w->fullname, r->fullname);
	pg->n_syms += n;
	struct avro_op op = { .kind = OPK_ENUM, .slot = slot, .a = at, .n = n, .path = path };
	return emit_one(b, op, out);
}

/* Writer W (not a union) into reader R at SLOT, whose tarn type is T. */
static tarn_rc compile(struct rb *b, const struct avro_node *w, const struct avro_node *r,
		       const struct tarn_type *t, int slot, const char *path, int depth, int *out)
{
	if (depth > AVRO_MAX_DEPTH)
		return tarn_err_set(b->err, TARN_ELIMIT, "%s: schema nested deeper than %d", b->what,
				    AVRO_MAX_DEPTH);
	if (w->kind == AV_UNION)
		return compile_writer_union(b, w, r, t, slot, path, depth, out);
	if (r->kind == AV_UNION) {
		int k = best_branch(w, r);
		if (k < 0)
			return mismatch(b, path, "the file's %s matches no branch of the reader's union",
					type_label(w));
		const struct avro_node *rb = r->branches[k];
		if (rb->kind == AV_NULL) {
			struct avro_op op = { .kind = OPK_NULL, .slot = slot, .path = path };
			return emit_one(b, op, out);
		}
		if (non_null_count(r) == 1)
			return compile(b, w, rb, t, slot, path, depth + 1, out);
		int m = member_index(r, k);
		int val;
		TRY(compile(b, w, rb, &t->children[m].type, child_slot(t, slot, m), path, depth + 1,
			    &val));
		struct avro_op op = { .kind = OPK_MEMBER, .slot = slot, .a = val, .b = m,
				      .path = path };
		return emit_one(b, op, out);
	}
	struct avro_op op = { .slot = slot, .path = path };
	enum avro_kind wk = w->kind, rk = r->kind;
	if (wk != rk && !promotable(wk, rk))
		return mismatch(b, path, "the file's %s cannot be read as %s", type_label(w),
				type_label(r));
	switch (rk) {
	case AV_NULL: op.kind = OPK_NULL; break;
	case AV_BOOLEAN: op.kind = OPK_BOOL; break;
	case AV_INT: op.kind = t->id == TARN_T_TIME64 ? OPK_INT_I64 : OPK_INT_I32; break;
	case AV_LONG: op.kind = wk == AV_INT ? OPK_INT_I64 : OPK_LONG_I64; break;
	case AV_FLOAT: op.kind = wk == AV_INT ? OPK_INT_F32 : wk == AV_LONG ? OPK_LONG_F32 : OPK_FLOAT_F32; break;
	case AV_DOUBLE:
		op.kind = wk == AV_INT	  ? OPK_INT_F64
			  : wk == AV_LONG  ? OPK_LONG_F64
			  : wk == AV_FLOAT ? OPK_FLOAT_F64
					   : OPK_DOUBLE_F64;
		break;
	case AV_BYTES:
	case AV_STRING:
		if (w->logical == AL_DECIMAL && r->logical == AL_DECIMAL &&
		    (w->precision != r->precision || w->scale != r->scale)) {
			char a[48], c[48];
			snprintf(a, sizeof a, "decimal(%d,%d)", w->precision, w->scale);
			snprintf(c, sizeof c, "decimal(%d,%d)", r->precision, r->scale);
			return mismatch(b, path, "the file's %s cannot be read as %s", a, c);
		}
		if (t->id == TARN_T_DECIMAL128) {
			op.kind = OPK_DEC_BYTES;
			op.b = t->precision;
		} else if (t->id == TARN_T_FLOAT64) {
			op.kind = OPK_DECF_BYTES;
			op.b = r->scale;
		} else {
			op.kind = OPK_BYTES;
			if (t->id == TARN_T_STRING && slot >= 0)
				b->pg->slot_is_string[slot] = true;
		}
		break;
	case AV_FIXED:
		if (w->size != r->size) {
			char a[32], c[32];
			snprintf(a, sizeof a, "%lld", (long long)w->size);
			snprintf(c, sizeof c, "%lld", (long long)r->size);
			return mismatch(b, path, "fixed of %s bytes cannot be read as fixed of %s bytes",
					a, c);
		}
		if (w->logical == AL_DECIMAL && r->logical == AL_DECIMAL &&
		    (w->precision != r->precision || w->scale != r->scale))
			return mismatch(b, path, "decimal fixed '%s' differs in precision or scale "
						 "from the reader's '%s'",
					w->fullname, r->fullname);
		op.a = (int32_t)w->size;
		if (t->id == TARN_T_DECIMAL128) {
			op.kind = OPK_DEC_FIXED;
			op.b = t->precision;
		} else if (t->id == TARN_T_FLOAT64) {
			op.kind = OPK_DECF_FIXED;
			op.b = r->scale;
		} else if (t->id == TARN_T_STRING)
			op.kind = OPK_FIXED_UUID;
		else if (t->id == TARN_T_STRUCT)
			op.kind = OPK_DURATION;
		else
			op.kind = OPK_FIXED;
		break;
	case AV_ENUM: return compile_enum(b, w, r, slot, path, out);
	case AV_RECORD: return compile_record(b, w, r, t, slot, path, depth, out);
	case AV_ARRAY:
	case AV_MAP: {
		op.kind = rk == AV_ARRAY ? OPK_ARRAY : OPK_MAP;
		op.zero_size = rk == AV_ARRAY && avro_min_size((struct avro_node *)w->items) == 0;
		const char *sub = path_join(b, path, rk == AV_ARRAY ? "item" : "value");
		if (!sub)
			return nomem(b);
		int item;
		if (rk == AV_ARRAY) {
			TRY(compile(b, w->items, r->items, &t->children[0].type, slot + 1, sub,
				    depth + 1, &item));
		} else {
			const struct tarn_type *entries = &t->children[0].type;
			/* slot+1 entries, slot+2 keys, slot+3 values */
			TRY(compile(b, w->items, r->items, &entries->children[1].type, slot + 3, sub,
				    depth + 1, &item));
			b->pg->slot_is_string[slot + 2] = true;
		}
		op.a = item;
		break;
	}
	case AV_UNION: return TARN_EINTERNAL;
	}
	return emit_one(b, op, out);
}

/* ---- default values --------------------------------------------------------------- */

static tarn_rc bad_default(struct rb *b, const char *path, const char *want)
{
	return tarn_err_set(b->err, TARN_EDATA, "%s: field '%s': the default value is not %s",
			    b->what, path, want);
}

/* Bytes and fixed defaults are strings whose code points 0..255 are the
 * bytes (specification, field default values). */
static tarn_rc default_bytes(struct rb *b, const struct ajson *v, const char *path, uint8_t **out,
			     size_t *n)
{
	if (v->kind != AJ_STR)
		return bad_default(b, path, "a string of bytes");
	uint8_t *d = tarn_arena_alloc(&b->pg->arena, v->len + 1);
	if (!d)
		return nomem(b);
	size_t k = 0;
	const uint8_t *s = (const uint8_t *)v->s;
	for (size_t i = 0; i < v->len;) {
		unsigned cp = s[i];
		if (cp < 0x80) {
			i++;
		} else if ((cp & 0xe0) == 0xc0 && i + 1 < v->len) {
			cp = (cp & 0x1f) << 6 | (s[i + 1] & 0x3f);
			i += 2;
		} else {
			return bad_default(b, path, "a string of code points 0-255 (bytes)");
		}
		if (cp > 255)
			return bad_default(b, path, "a string of code points 0-255 (bytes)");
		d[k++] = (uint8_t)cp;
	}
	*out = d;
	*n = k;
	return TARN_OK;
}

static bool json_double(const struct ajson *v, double *out)
{
	if (v->kind == AJ_NUM) {
		*out = v->d;
		return true;
	}
	if (v->kind == AJ_STR) {
		if (strcmp(v->s, "NaN") == 0)
			*out = NAN;
		else if (strcmp(v->s, "Infinity") == 0)
			*out = INFINITY;
		else if (strcmp(v->s, "-Infinity") == 0)
			*out = -INFINITY;
		else
			return false;
		return true;
	}
	return false;
}

/* Whether JSON value V can be a default of type R (for picking the union
 * branch a lenient default belongs to). */
static bool default_fits(const struct avro_node *r, const struct ajson *v)
{
	switch (r->kind) {
	case AV_NULL: return v->kind == AJ_NULL;
	case AV_BOOLEAN: return v->kind == AJ_BOOL;
	case AV_INT:
	case AV_LONG: return v->kind == AJ_NUM && v->is_int;
	case AV_FLOAT:
	case AV_DOUBLE: return v->kind == AJ_NUM || v->kind == AJ_STR;
	case AV_BYTES:
	case AV_STRING:
	case AV_ENUM:
	case AV_FIXED: return v->kind == AJ_STR;
	case AV_RECORD:
	case AV_MAP: return v->kind == AJ_OBJ;
	case AV_ARRAY: return v->kind == AJ_ARR;
	case AV_UNION: return false;
	}
	return false;
}

static tarn_rc arr_rc(struct rb *b, tarn_rc rc, const char *path)
{
	if (rc == TARN_ENOMEM)
		return nomem(b);
	if (rc)
		return tarn_err_set(b->err, rc, "%s: field '%s': default value too large", b->what,
				    path);
	return TARN_OK;
}

static tarn_rc default_append(struct rb *b, struct tarn_array *a, const struct avro_node *r,
			      const struct ajson *v, const char *path, int depth)
{
	if (depth > AVRO_MAX_DEPTH)
		return tarn_err_set(b->err, TARN_ELIMIT, "%s: default value nested too deeply",
				    b->what);
	switch (r->kind) {
	case AV_NULL:
		if (v->kind != AJ_NULL)
			return bad_default(b, path, "null");
		return arr_rc(b, tarn_array_append_null(a), path);
	case AV_BOOLEAN:
		if (v->kind != AJ_BOOL)
			return bad_default(b, path, "true or false");
		return arr_rc(b, tarn_array_append_bool(a, v->b), path);
	case AV_INT:
		if (v->kind != AJ_NUM || !v->is_int || v->i < INT32_MIN || v->i > INT32_MAX)
			return bad_default(b, path, "a 32-bit integer");
		return arr_rc(b, tarn_array_append_int(a, v->i), path);
	case AV_LONG:
		if (v->kind != AJ_NUM || !v->is_int)
			return bad_default(b, path, "a 64-bit integer");
		return arr_rc(b, tarn_array_append_int(a, v->i), path);
	case AV_FLOAT:
	case AV_DOUBLE: {
		double d;
		if (!json_double(v, &d))
			return bad_default(b, path, "a number");
		return arr_rc(b, tarn_array_append_double(a, d), path);
	}
	case AV_STRING:
		if (v->kind != AJ_STR)
			return bad_default(b, path, "a string");
		if (a->type->id == TARN_T_BINARY || a->type->id == TARN_T_STRING)
			return arr_rc(b, tarn_array_append_bytes(a, v->s, v->len), path);
		break; /* a decimal string: fall through to the bytes rules */
	case AV_ENUM:
		if (v->kind != AJ_STR)
			return bad_default(b, path, "a symbol");
		for (int i = 0; i < r->n_symbols; i++)
			if (strcmp(r->symbols[i], v->s) == 0)
				return arr_rc(b, tarn_array_append_bytes(a, v->s, v->len), path);
		return bad_default(b, path, "one of the enum's symbols");
	case AV_RECORD: {
		if (v->kind != AJ_OBJ)
			return bad_default(b, path, "an object");
		for (int i = 0; i < r->n_fields; i++) {
			const struct avro_field *f = &r->fields[i];
			const struct ajson *fv = avro_json_get(v, f->name);
			if (!fv)
				fv = f->def;
			const char *sub = path_join(b, path, f->name);
			if (!sub)
				return nomem(b);
			if (!fv)
				return tarn_err_set(b->err, TARN_EDATA,
						    "%s: field '%s': the default value lacks member "
						    "'%s', which has no default of its own",
						    b->what, path, f->name);
			TRY(default_append(b, a->children[i], f->type, fv, sub, depth + 1));
		}
		return arr_rc(b, tarn_array_struct_end(a, true), path);
	}
	case AV_ARRAY:
		if (v->kind != AJ_ARR)
			return bad_default(b, path, "an array");
		for (int i = 0; i < v->n; i++)
			TRY(default_append(b, a->children[0], r->items, v->items[i], path, depth + 1));
		return arr_rc(b, tarn_array_list_end(a, true), path);
	case AV_MAP: {
		if (v->kind != AJ_OBJ)
			return bad_default(b, path, "an object");
		struct tarn_array *e = a->children[0];
		for (int i = 0; i < v->n; i++) {
			TRY(arr_rc(b,
				   tarn_array_append_bytes(e->children[0], v->keys[i],
							   strlen(v->keys[i])),
				   path));
			TRY(default_append(b, e->children[1], r->items, v->items[i], path,
					   depth + 1));
			TRY(arr_rc(b, tarn_array_struct_end(e, true), path));
		}
		return arr_rc(b, tarn_array_list_end(a, true), path);
	}
	case AV_UNION: {
		/* The specification ties a union's default to its first branch;
		 * schemas in the wild also give defaults of a later branch
		 * (["null","string"] with "x"), which are accepted. */
		int k = -1;
		if (r->n_branches > 0 && default_fits(r->branches[0], v))
			k = 0;
		for (int i = 0; i < r->n_branches && k < 0; i++)
			if (default_fits(r->branches[i], v))
				k = i;
		if (k < 0)
			return bad_default(b, path, "a value of the union's first type");
		const struct avro_node *br = r->branches[k];
		if (br->kind == AV_NULL)
			return arr_rc(b, tarn_array_append_null(a), path);
		if (non_null_count(r) == 1)
			return default_append(b, a, br, v, path, depth + 1);
		int m = member_index(r, k);
		for (int i = 0; i < a->n_children; i++)
			if (i != m)
				TRY(arr_rc(b, tarn_array_append_null(a->children[i]), path));
		TRY(default_append(b, a->children[m], br, v, path, depth + 1));
		return arr_rc(b, tarn_array_struct_end(a, true), path);
	}
	case AV_BYTES:
	case AV_FIXED: break;
	}
	/* bytes and fixed, with their logical types */
	uint8_t *p = NULL;
	size_t n = 0;
	TRY(default_bytes(b, v, path, &p, &n));
	if (r->kind == AV_FIXED && (int64_t)n != r->size)
		return bad_default(b, path, "as long as the fixed size");
	switch (a->type->id) {
	case TARN_T_DECIMAL128: {
		tarn_i128 x, lim = 1;
		for (int i = 0; i < a->type->precision; i++)
			lim *= 10;
		if (!avro_decimal_from_be(p, n, &x) || x >= lim || x <= -lim)
			return bad_default(b, path, "a decimal within its precision");
		return arr_rc(b, tarn_array_append_decimal(a, x), path);
	}
	case TARN_T_FLOAT64:
		return arr_rc(b, tarn_array_append_double(a, avro_decimal_to_double(p, n, r->scale)),
			      path);
	case TARN_T_STRING:
		if (r->kind == AV_FIXED) {
			char u[36];
			avro_uuid_format(p, u);
			return arr_rc(b, tarn_array_append_bytes(a, u, 36), path);
		}
		return arr_rc(b, tarn_array_append_bytes(a, p, n), path);
	case TARN_T_STRUCT:
		for (int i = 0; i < 3; i++) {
			uint32_t x = (uint32_t)p[4 * i] | (uint32_t)p[4 * i + 1] << 8 |
				     (uint32_t)p[4 * i + 2] << 16 | (uint32_t)p[4 * i + 3] << 24;
			TRY(arr_rc(b, tarn_array_append_uint(a->children[i], x), path));
		}
		return arr_rc(b, tarn_array_struct_end(a, true), path);
	default: return arr_rc(b, tarn_array_append_bytes(a, p, n), path);
	}
}

/* ---- entry points ------------------------------------------------------------------- */

void avro_prog_free(struct avro_prog *p)
{
	if (!p)
		return;
	for (int i = 0; i < p->n_defaults; i++)
		tarn_array_free(p->defaults[i]);
	tarn_free(p->defaults);
	tarn_free(p->ops);
	tarn_free(p->kids);
	tarn_free(p->syms);
	tarn_free(p->slot_is_string);
	tarn_schema_unref(p->schema);
	tarn_arena_free(&p->arena);
	tarn_free(p);
}

static tarn_rc build_schema(struct rb *b, struct avro_node *r, struct tarn_schema **out)
{
	*out = NULL;
	bool top = r->kind == AV_RECORD;
	int n = top ? r->n_fields : 1;
	struct tarn_schema *s;
	if (tarn_schema_new(n, &s))
		return nomem(b);
	tarn_rc rc = TARN_OK;
	if (top) {
		r->mark = 1;
		for (int i = 0; i < n && rc == TARN_OK; i++)
			rc = struct_member(b, &s->fields[i], r->fields[i].name, r->fields[i].type, NULL,
					   0);
		r->mark = 0;
	} else {
		rc = struct_member(b, &s->fields[0], "value", r, NULL, 0);
	}
	if (rc) {
		tarn_schema_unref(s);
		return rc;
	}
	*out = s;
	return TARN_OK;
}

tarn_rc avro_prog_build(const struct avro_node *writer, const struct avro_node *reader,
			const char *what, struct avro_prog **out, struct tarn_err *err)
{
	*out = NULL;
	struct avro_prog *pg = tarn_calloc(1, sizeof *pg);
	if (!pg)
		return tarn_err_nomem(err, "Avro decode program");
	tarn_arena_init(&pg->arena, 16 * 1024);
	struct rb b = { pg, what, err, NULL, 0, 0 };
	struct avro_node *r = (struct avro_node *)(reader ? reader : writer);
	tarn_rc rc = build_schema(&b, r, &pg->schema);
	if (rc == TARN_OK) {
		int slots = 0;
		for (int i = 0; i < pg->schema->n_fields; i++)
			slots += slot_count(&pg->schema->fields[i].type);
		pg->n_slots = slots;
		pg->slot_is_string = tarn_calloc((size_t)(slots ? slots : 1), sizeof(bool));
		if (!pg->slot_is_string)
			rc = nomem(&b);
	}
	if (rc == TARN_OK) {
		if (r->kind == AV_RECORD && writer->kind == AV_RECORD) {
			/* The top-level record's fields are the columns: a struct
			 * type of them stands in for the row. */
			struct tarn_type row = { .id = TARN_T_STRUCT,
						 .n_children = pg->schema->n_fields,
						 .children = pg->schema->fields };
			rc = compile_record(&b, writer, r, &row, -1, NULL, 0, &pg->root);
		} else if (r->kind == AV_RECORD) {
			rc = mismatch(&b, NULL, "the file's top-level %s cannot be read as record '%s'",
				      type_label(writer), r->fullname);
		} else {
			rc = compile(&b, writer, r, &pg->schema->fields[0].type, 0, "value", 0,
				     &pg->root);
		}
	}
	if (rc == TARN_OK)
		pg->min_row = avro_min_size((struct avro_node *)writer);
	for (int i = 0; i < pg->n_slots && rc == TARN_OK; i++)
		pg->has_strings |= pg->slot_is_string[i];
	tarn_free(b.skips);
	if (rc) {
		avro_prog_free(pg);
		return rc;
	}
	*out = pg;
	return TARN_OK;
}
