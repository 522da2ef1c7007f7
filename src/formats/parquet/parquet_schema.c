/*
 * parquet_schema.c — from a file's flattened SchemaElement list to the tarn
 * schema, plus the level "plans" the reader uses to turn definition and
 * repetition levels back into nested arrays.
 *
 * Type mapping (LogicalTypes.md; LogicalType wins over ConvertedType, and a
 * LogicalType member tarn does not know falls back to the physical type):
 *   BOOLEAN → bool; INT32 → int32, or int8/16, uint8/16/32, date32,
 *   time64[ms], decimal; INT64 → int64, uint64, timestamp[ms|us|ns] (UTC
 *   when isAdjustedToUTC), time64[us|ns], decimal; INT96 → timestamp[ns]
 *   (reader option int96-unit); FLOAT/DOUBLE → float32/float64;
 *   BYTE_ARRAY → string (STRING, ENUM, JSON), decimal, else binary;
 *   FIXED_LEN_BYTE_ARRAY → string (UUID, as canonical text), float32
 *   (FLOAT16), decimal, else binary. Decimals wider than 38 digits read as
 *   float64 (with a note), like DuckDB. LogicalType UNKNOWN → null.
 *
 * Nesting (LogicalTypes.md "Nested Types", incl. the backward-compatibility
 * rules): LIST-annotated groups in the 3-level form and the legacy 2-level
 * forms (repeated primitive; repeated group with several fields; repeated
 * group named "array" or "<list>_tuple"), MAP / MAP_KEY_VALUE groups (a
 * map whose key_value group has only the key reads as the list of keys), a
 * repeated field outside a LIST or MAP (a list of required items), and plain
 * groups (structs).
 *
 * Levels: every node gets def_valid (the definition level at which it is
 * non-null) and its slot condition (see pq_plan in parquet_int.h). A node's
 * slots and validity come from its first leaf's levels; that is enough
 * because every leaf below a node repeats the node's level structure.
 *
 * Thread-safety: built once at open, read-only afterwards.
 */
#include <stdio.h>
#include <string.h>

#include "base/err.h"
#include "formats/parquet/parquet_int.h"

#define MAX_NESTING 64

struct pnode {
	const struct pq_schema_elem *el;
	int n_children;
	struct pnode *children;
	int n_leaves;
};

struct build {
	const struct pq_file_meta *m;
	const struct pq_read_opts *o;
	struct pq_schema *s;
	const char *file;
	struct tarn_err *err;
	int next_leaf;  /* index into s->leaves */
	int next_chunk; /* column chunk index */
};

static tarn_rc parse_tree(struct build *b, int *pos, struct pnode *out, int depth)
{
	const struct pq_file_meta *m = b->m;
	if (*pos >= m->n_schema)
		return tarn_err_set(b->err, TARN_EDATA,
				    "%s: corrupt Parquet schema: children run past the %d elements",
				    b->file, m->n_schema);
	if (depth > MAX_NESTING)
		return tarn_err_set(b->err, TARN_ELIMIT,
				    "%s: Parquet schema nested deeper than %d levels", b->file,
				    MAX_NESTING);
	const struct pq_schema_elem *e = &m->schema[(*pos)++];
	out->el = e;
	out->n_children = 0;
	out->children = NULL;
	out->n_leaves = 0;
	bool group = e->type < 0 || depth == 0;
	if (!group) {
		if (e->type > PQ_FLBA)
			return tarn_err_set(b->err, TARN_EDATA,
					    "%s: Parquet column '%s' has unknown physical type %d",
					    b->file, e->name, e->type);
		out->n_leaves = 1;
		return TARN_OK;
	}
	int n = e->num_children < 0 ? 0 : e->num_children;
	if (n > m->n_schema - *pos)
		return tarn_err_set(b->err, TARN_EDATA,
				    "%s: corrupt Parquet schema: '%s' claims %d children but only "
				    "%d elements follow",
				    b->file, e->name, n, m->n_schema - *pos);
	if (n == 0 && depth > 0)
		return tarn_err_set(b->err, TARN_EDATA,
				    "%s: Parquet group '%s' has no children and no type", b->file,
				    e->name);
	if (n > 0) {
		out->children = tarn_arena_alloc(&b->s->arena, (size_t)n * sizeof *out->children);
		if (!out->children)
			return tarn_err_nomem(b->err, "Parquet schema");
	}
	out->n_children = n;
	for (int i = 0; i < n; i++) {
		TRY(parse_tree(b, pos, &out->children[i], depth + 1));
		out->n_leaves += out->children[i].n_leaves;
	}
	return TARN_OK;
}

static bool is_list(const struct pq_schema_elem *e)
{
	return e->logical.kind == PQ_LT_LIST ||
	       (e->logical.kind == PQ_LT_NONE && e->converted == PQ_CT_LIST);
}

static bool is_map(const struct pq_schema_elem *e)
{
	return e->logical.kind == PQ_LT_MAP ||
	       (e->logical.kind == PQ_LT_NONE &&
		(e->converted == PQ_CT_MAP || e->converted == PQ_CT_MAP_KEY_VALUE));
}

static tarn_rc bad_decimal(struct build *b, const char *path, int p, int s)
{
	return tarn_err_set(b->err, TARN_EDATA,
			    "%s: Parquet column '%s' has an invalid decimal precision %d / scale %d",
			    b->file, path, p, s);
}

/* The leaf's tarn type and conversion. `note` may be set to a static text. */
static tarn_rc leaf_type(struct build *b, const struct pq_schema_elem *e, const char *path,
			 struct pq_leaf *lf, struct tarn_type *t, const char **note)
{
	const struct pq_logical *lt = &e->logical;
	int lk = lt->kind == PQ_LT_OTHER ? PQ_LT_NONE : lt->kind;
	int ct = lt->kind == PQ_LT_NONE ? e->converted : PQ_CT_NONE;
	bool is_dec = lk == PQ_LT_DECIMAL || ct == PQ_CT_DECIMAL;
	int prec = lk == PQ_LT_DECIMAL ? lt->precision : e->precision;
	int scale = lk == PQ_LT_DECIMAL ? lt->scale : (e->scale < 0 ? 0 : e->scale);
	*note = NULL;
	tarn_type_init(t, TARN_T_NULL);
	if (lk == PQ_LT_UNKNOWN) {
		lf->conv = PQ_CV_NULL;
		return TARN_OK;
	}
	if (is_dec && (prec < 1 || scale < 0 || scale > prec)) {
		if (e->type == PQ_INT32 || e->type == PQ_INT64 || e->type == PQ_BYTE_ARRAY ||
		    e->type == PQ_FLBA)
			return bad_decimal(b, path, prec, scale);
		is_dec = false;
	}
	switch (e->type) {
	case PQ_BOOLEAN:
		tarn_type_init(t, TARN_T_BOOL);
		lf->conv = PQ_CV_BOOL;
		return TARN_OK;
	case PQ_INT32: {
		int bits = 32;
		bool sign = true;
		if (lk == PQ_LT_INTEGER) {
			bits = lt->bit_width;
			sign = lt->is_signed;
		} else if (ct >= PQ_CT_UINT_8 && ct <= PQ_CT_INT_64) {
			static const int w[] = { 8, 16, 32, 64, 8, 16, 32, 64 };
			bits = w[ct - PQ_CT_UINT_8];
			sign = ct >= PQ_CT_INT_8;
		}
		if (is_dec) {
			tarn_type_init_decimal(t, prec > 38 ? 38 : prec, scale);
			lf->conv = PQ_CV_I32_DEC;
		} else if (lk == PQ_LT_DATE || ct == PQ_CT_DATE) {
			tarn_type_init(t, TARN_T_DATE32);
			lf->conv = PQ_CV_COPY4;
		} else if ((lk == PQ_LT_TIME && lt->unit == PQ_MILLIS) || ct == PQ_CT_TIME_MILLIS) {
			tarn_type_init_time(t, TARN_UNIT_MS);
			lf->conv = PQ_CV_I32_I64;
		} else if (bits == 8) {
			tarn_type_init(t, sign ? TARN_T_INT8 : TARN_T_UINT8);
			lf->conv = PQ_CV_I32_I8;
		} else if (bits == 16) {
			tarn_type_init(t, sign ? TARN_T_INT16 : TARN_T_UINT16);
			lf->conv = PQ_CV_I32_I16;
		} else {
			tarn_type_init(t, sign ? TARN_T_INT32 : TARN_T_UINT32);
			lf->conv = PQ_CV_COPY4;
		}
		return TARN_OK;
	}
	case PQ_INT64:
		lf->conv = PQ_CV_COPY8;
		if (is_dec) {
			tarn_type_init_decimal(t, prec > 38 ? 38 : prec, scale);
			lf->conv = PQ_CV_I64_DEC;
		} else if (lk == PQ_LT_TIMESTAMP || ct == PQ_CT_TIMESTAMP_MILLIS ||
			   ct == PQ_CT_TIMESTAMP_MICROS) {
			int u = lk == PQ_LT_TIMESTAMP ? lt->unit
						      : (ct == PQ_CT_TIMESTAMP_MILLIS ? PQ_MILLIS
										       : PQ_MICROS);
			bool utc = lk == PQ_LT_TIMESTAMP ? lt->utc : true;
			enum tarn_time_unit tu = u == PQ_MILLIS	  ? TARN_UNIT_MS
						 : u == PQ_NANOS ? TARN_UNIT_NS
								 : TARN_UNIT_US;
			if (tarn_type_init_timestamp(t, tu, utc ? "UTC" : NULL))
				return tarn_err_nomem(b->err, "Parquet schema");
		} else if ((lk == PQ_LT_TIME && (lt->unit == PQ_MICROS || lt->unit == PQ_NANOS)) ||
			   ct == PQ_CT_TIME_MICROS) {
			tarn_type_init_time(t, lk == PQ_LT_TIME && lt->unit == PQ_NANOS
						       ? TARN_UNIT_NS
						       : TARN_UNIT_US);
		} else if ((lk == PQ_LT_INTEGER && !lt->is_signed) || ct == PQ_CT_UINT_64) {
			tarn_type_init(t, TARN_T_UINT64);
		} else {
			tarn_type_init(t, TARN_T_INT64);
		}
		return TARN_OK;
	case PQ_INT96:
		if (tarn_type_init_timestamp(t, (enum tarn_time_unit)b->o->int96_unit, NULL))
			return tarn_err_nomem(b->err, "Parquet schema");
		lf->conv = PQ_CV_INT96_TS;
		lf->scale = b->o->int96_unit;
		return TARN_OK;
	case PQ_FLOAT:
		tarn_type_init(t, TARN_T_FLOAT32);
		lf->conv = PQ_CV_COPY4;
		return TARN_OK;
	case PQ_DOUBLE:
		tarn_type_init(t, TARN_T_FLOAT64);
		lf->conv = PQ_CV_COPY8;
		return TARN_OK;
	case PQ_BYTE_ARRAY:
		if (is_dec) {
			if (prec <= 38) {
				tarn_type_init_decimal(t, prec, scale);
				lf->conv = PQ_CV_BIN_DEC;
			} else {
				tarn_type_init(t, TARN_T_FLOAT64);
				lf->conv = PQ_CV_BIN_F64;
				lf->scale = scale;
				*note = "decimal wider than 38 digits; read as float64";
			}
		} else if (lk == PQ_LT_STRING || lk == PQ_LT_ENUM || lk == PQ_LT_JSON ||
			   ct == PQ_CT_UTF8 || ct == PQ_CT_ENUM || ct == PQ_CT_JSON) {
			tarn_type_init(t, TARN_T_STRING);
			lf->conv = PQ_CV_BYTES;
		} else {
			tarn_type_init(t, TARN_T_BINARY);
			lf->conv = PQ_CV_BYTES;
		}
		return TARN_OK;
	case PQ_FLBA:
		if (e->type_length < 0 || e->type_length > (1 << 24))
			return tarn_err_set(b->err, TARN_EDATA,
					    "%s: Parquet column '%s' has an invalid fixed length %d",
					    b->file, path, e->type_length);
		if (is_dec) {
			if (prec <= 38 && e->type_length <= 16) {
				tarn_type_init_decimal(t, prec, scale);
				lf->conv = PQ_CV_BIN_DEC;
			} else {
				tarn_type_init(t, TARN_T_FLOAT64);
				lf->conv = PQ_CV_BIN_F64;
				lf->scale = scale;
				*note = "decimal wider than 38 digits; read as float64";
			}
		} else if (lk == PQ_LT_UUID && e->type_length == 16) {
			tarn_type_init(t, TARN_T_STRING);
			lf->conv = PQ_CV_UUID;
		} else if (lk == PQ_LT_FLOAT16 && e->type_length == 2) {
			tarn_type_init(t, TARN_T_FLOAT32);
			lf->conv = PQ_CV_F16_F32;
		} else {
			tarn_type_init(t, TARN_T_BINARY);
			lf->conv = PQ_CV_FLBA_BYTES;
		}
		return TARN_OK;
	}
	return tarn_err_set(b->err, TARN_EDATA, "%s: Parquet column '%s' has unknown type %d",
			    b->file, path, e->type);
}

static tarn_rc set_name(struct build *b, struct tarn_field *f, const char *name)
{
	if (tarn_field_set_name(f, name, strlen(name)))
		return tarn_err_nomem(b->err, "Parquet schema");
	return TARN_OK;
}

static tarn_rc alloc_children(struct build *b, struct pq_plan *p, int n)
{
	p->children = tarn_arena_alloc(&b->s->arena, (size_t)(n ? n : 1) * sizeof *p->children);
	if (!p->children)
		return tarn_err_nomem(b->err, "Parquet schema");
	memset(p->children, 0, (size_t)(n ? n : 1) * sizeof *p->children);
	p->n_children = n;
	return TARN_OK;
}

static char *join_path(struct build *b, const char *parent, const char *name)
{
	size_t a = parent ? strlen(parent) : 0, n = strlen(name);
	char *s = tarn_arena_alloc(&b->s->arena, a + n + 2);
	if (!s)
		return NULL;
	if (a) {
		memcpy(s, parent, a);
		s[a++] = '.';
	}
	memcpy(s + a, name, n + 1);
	return s;
}

static tarn_rc map_node(struct build *b, const struct pnode *n, int pdef, int prep,
			bool force_required, int slot_def, int slot_rep, const char *parent_path,
			struct tarn_field *out, struct pq_plan *plan, int field, int depth);

/* A list whose items are node `item` at levels (d + 1, r + 1). */
static tarn_rc map_list(struct build *b, const struct pnode *item, bool item_is_repeated_node,
			int d, int r, const char *path, struct tarn_field *out,
			struct pq_plan *plan, int field, int depth)
{
	plan->kind = PQ_PLAN_LIST;
	TRY(alloc_children(b, plan, 1));
	struct tarn_field item_f;
	memset(&item_f, 0, sizeof item_f);
	tarn_rc rc = map_node(b, item, d + 1, r + 1, item_is_repeated_node, d + 1, r + 1, path,
			      &item_f, &plan->children[0], field, depth + 1);
	if (rc == TARN_OK &&
	    tarn_type_init_list(&out->type, &item_f.type, item_f.nullable) != TARN_OK)
		rc = tarn_err_nomem(b->err, "Parquet schema");
	tarn_field_clear(&item_f);
	return rc;
}

static tarn_rc map_node(struct build *b, const struct pnode *n, int pdef, int prep,
			bool force_required, int slot_def, int slot_rep, const char *parent_path,
			struct tarn_field *out, struct pq_plan *plan, int field, int depth)
{
	const struct pq_schema_elem *e = n->el;
	if (depth > MAX_NESTING)
		return tarn_err_set(b->err, TARN_ELIMIT, "%s: Parquet schema nested too deeply",
				    b->file);
	int rep = force_required ? PQ_REQUIRED : e->repetition;
	if (rep < 0)
		rep = PQ_REQUIRED;
	if (rep > PQ_REPEATED)
		return tarn_err_set(b->err, TARN_EUNSUPPORTED,
				    "%s: Parquet field '%s' uses repetition type %d, which tarn "
				    "does not support",
				    b->file, e->name, rep);
	const char *path = join_path(b, parent_path, e->name);
	if (!path)
		return tarn_err_nomem(b->err, "Parquet schema");
	TRY(set_name(b, out, e->name));
	plan->def_slot = (int16_t)slot_def;
	plan->rep_slot = (int16_t)slot_rep;
	plan->leaf = b->next_leaf;
	if (rep == PQ_REPEATED) {
		/* A repeated field outside a LIST/MAP annotation: a list of
		 * required items, never null itself. */
		out->nullable = false;
		plan->def_valid = (int16_t)pdef;
		return map_list(b, n, true, pdef, prep, parent_path, out, plan, field, depth);
	}
	int d = pdef + (rep == PQ_OPTIONAL);
	int r = prep;
	if (d > MAX_NESTING || r > MAX_NESTING)
		return tarn_err_set(b->err, TARN_ELIMIT, "%s: Parquet schema nested too deeply",
				    b->file);
	out->nullable = rep == PQ_OPTIONAL;
	plan->def_valid = (int16_t)d;
	if (e->type >= 0) {
		struct pq_leaf *lf = &b->s->leaves[b->next_leaf++];
		lf->index = b->next_chunk++;
		lf->field = field;
		lf->el = e;
		lf->max_def = (int16_t)d;
		lf->max_rep = (int16_t)r;
		lf->phys = e->type;
		lf->type_length = e->type_length;
		lf->path = (char *)path;
		plan->kind = PQ_PLAN_LEAF;
		const char *note;
		TRY(leaf_type(b, e, path, lf, &out->type, &note));
		if (note && tarn_field_set_note(out, note))
			return tarn_err_nomem(b->err, "Parquet schema");
		return TARN_OK;
	}
	if (is_list(e) && n->n_children == 1 && n->children[0].el->repetition == PQ_REPEATED) {
		const struct pnode *c = &n->children[0];
		size_t nl = strlen(e->name);
		bool c_is_item = c->el->type >= 0 || c->n_children != 1 ||
				 strcmp(c->el->name, "array") == 0 ||
				 (strncmp(c->el->name, e->name, nl) == 0 &&
				  strcmp(c->el->name + nl, "_tuple") == 0);
		if (c_is_item)
			return map_list(b, c, true, d, r, path, out, plan, field, depth);
		return map_list(b, &c->children[0], false, d, r, path, out, plan, field, depth);
	}
	if (is_map(e) && n->n_children == 1 && n->children[0].el->repetition == PQ_REPEATED &&
	    n->children[0].el->type < 0 && n->children[0].n_children == 2) {
		const struct pnode *kv = &n->children[0];
		plan->kind = PQ_PLAN_LIST;
		TRY(alloc_children(b, plan, 1));
		struct pq_plan *ent = &plan->children[0];
		ent->kind = PQ_PLAN_STRUCT;
		ent->def_valid = ent->def_slot = (int16_t)(d + 1);
		ent->rep_slot = (int16_t)(r + 1);
		ent->leaf = b->next_leaf;
		TRY(alloc_children(b, ent, 2));
		const char *kvpath = join_path(b, path, kv->el->name);
		if (!kvpath)
			return tarn_err_nomem(b->err, "Parquet schema");
		struct tarn_field kf, vf;
		memset(&kf, 0, sizeof kf);
		memset(&vf, 0, sizeof vf);
		tarn_rc rc = map_node(b, &kv->children[0], d + 1, r + 1, false, d + 1, r + 1,
				      kvpath, &kf, &ent->children[0], field, depth + 2);
		if (rc == TARN_OK)
			rc = map_node(b, &kv->children[1], d + 1, r + 1, false, d + 1, r + 1,
				      kvpath, &vf, &ent->children[1], field, depth + 2);
		if (rc == TARN_OK &&
		    tarn_type_init_map(&out->type, &kf.type, &vf.type, vf.nullable) != TARN_OK)
			rc = tarn_err_nomem(b->err, "Parquet schema");
		tarn_field_clear(&kf);
		tarn_field_clear(&vf);
		return rc;
	}
	if (is_map(e) && n->n_children == 1 && n->children[0].el->repetition == PQ_REPEATED &&
	    n->children[0].el->type < 0 && n->children[0].n_children == 1) {
		/* A map with keys only: the list of its keys (as Arrow C++ reads
		 * it). */
		const struct pnode *kv = &n->children[0];
		const char *kvpath = join_path(b, path, kv->el->name);
		if (!kvpath)
			return tarn_err_nomem(b->err, "Parquet schema");
		return map_list(b, &kv->children[0], false, d, r, kvpath, out, plan, field, depth);
	}
	/* A plain group (or an annotation whose layout does not match): a
	 * struct. */
	plan->kind = PQ_PLAN_STRUCT;
	TRY(alloc_children(b, plan, n->n_children));
	if (tarn_type_init_struct(&out->type, n->n_children))
		return tarn_err_nomem(b->err, "Parquet schema");
	for (int i = 0; i < n->n_children; i++)
		TRY(map_node(b, &n->children[i], d, r, false, slot_def, slot_rep, path,
			     &out->type.children[i], &plan->children[i], field, depth + 1));
	return TARN_OK;
}

/* Points each plan (and leaf) at its type inside the finished schema: types
 * move while parents are built, so addresses are only stable now. */
static void bind_types(struct pq_schema *s, struct pq_plan *p, const struct tarn_type *t)
{
	if (p->kind == PQ_PLAN_LEAF) {
		s->leaves[p->leaf].type = t;
		return;
	}
	for (int i = 0; i < p->n_children; i++)
		bind_types(s, &p->children[i], &t->children[i].type);
}

static int find_child(const struct pnode *root, const char *name, size_t n)
{
	for (int i = 0; i < root->n_children; i++)
		if (strlen(root->children[i].el->name) == n &&
		    memcmp(root->children[i].el->name, name, n) == 0)
			return i;
	return -1;
}

tarn_rc pq_schema_build(const struct pq_file_meta *m, const struct pq_read_opts *o,
			struct pq_schema *out, const char *file, struct tarn_err *err)
{
	memset(out, 0, sizeof *out);
	tarn_arena_init(&out->arena, 16 * 1024);
	struct build b = { .m = m, .o = o, .s = out, .file = file, .err = err };
	if (m->n_schema < 1)
		return tarn_err_set(err, TARN_EDATA, "%s: Parquet file has an empty schema", file);
	struct pnode root;
	int pos = 0;
	TRY(parse_tree(&b, &pos, &root, 0));
	if (pos != m->n_schema)
		return tarn_err_set(err, TARN_EDATA,
				    "%s: corrupt Parquet schema: %d elements but the tree uses %d",
				    file, m->n_schema, pos);
	/* Which top-level fields, in which order. */
	int n_sel = root.n_children;
	int *sel = tarn_arena_alloc(&out->arena, (size_t)(root.n_children + 1) * sizeof *sel);
	if (!sel)
		return tarn_err_nomem(err, "Parquet schema");
	if (o->columns) {
		n_sel = 0;
		const char *p = o->columns;
		while (*p) {
			const char *c = strchr(p, ',');
			size_t len = c ? (size_t)(c - p) : strlen(p);
			if (len) {
				int i = find_child(&root, p, len);
				if (i < 0)
					return tarn_err_set(err, TARN_ENOTFOUND,
							    "%s: no column '%.*s' in the file", file,
							    (int)len, p);
				if (n_sel >= root.n_children)
					return tarn_err_set(err, TARN_EUSAGE,
							    "%s: column '%.*s' selected twice",
							    file, (int)len, p);
				for (int k = 0; k < n_sel; k++)
					if (sel[k] == i)
						return tarn_err_set(
							err, TARN_EUSAGE,
							"%s: column '%.*s' selected twice", file,
							(int)len, p);
				sel[n_sel++] = i;
			}
			p += len + (c != NULL);
		}
	} else {
		for (int i = 0; i < root.n_children; i++)
			sel[i] = i;
	}
	/* Chunk index of each top-level field's first leaf. */
	int *first = tarn_arena_alloc(&out->arena, (size_t)(root.n_children + 1) * sizeof *first);
	if (!first)
		return tarn_err_nomem(err, "Parquet schema");
	int n_leaves = 0;
	for (int i = 0; i < root.n_children; i++) {
		first[i] = n_leaves;
		n_leaves += root.children[i].n_leaves;
	}
	int sel_leaves = 0;
	for (int k = 0; k < n_sel; k++)
		sel_leaves += root.children[sel[k]].n_leaves;
	out->leaves = tarn_arena_alloc(&out->arena, (size_t)(sel_leaves + 1) * sizeof *out->leaves);
	out->fields = tarn_arena_alloc(&out->arena, (size_t)(n_sel + 1) * sizeof *out->fields);
	if (!out->leaves || !out->fields)
		return tarn_err_nomem(err, "Parquet schema");
	memset(out->leaves, 0, (size_t)(sel_leaves + 1) * sizeof *out->leaves);
	memset(out->fields, 0, (size_t)(n_sel + 1) * sizeof *out->fields);
	out->n_leaves = sel_leaves;
	out->n_fields = n_sel;
	struct tarn_schema *ts;
	if (tarn_schema_new(n_sel, &ts))
		return tarn_err_nomem(err, "Parquet schema");
	out->schema = ts;
	for (int k = 0; k < n_sel; k++) {
		b.next_chunk = first[sel[k]];
		TRY(map_node(&b, &root.children[sel[k]], 0, 0, false, 0, 0, NULL, &ts->fields[k],
			     &out->fields[k], k, 1));
	}
	out->n_leaves = b.next_leaf;
	for (int k = 0; k < n_sel; k++)
		bind_types(out, &out->fields[k], &ts->fields[k].type);
	return TARN_OK;
}

void pq_schema_free(struct pq_schema *s)
{
	if (s->schema)
		tarn_schema_unref(s->schema);
	tarn_arena_free(&s->arena);
	memset(s, 0, sizeof *s);
}
