/*
 * arrow_schema.c — Arrow IPC Schema tables (Schema.fbs) to tarn schemas and
 * back, and the IPC node tree (struct ax_node) the reader decodes batches by.
 *
 * Reading maps every Arrow type tarn can hold to its tarn type, and types
 * tarn lacks to the nearest one, with a note on the field (shown by
 * `tarn schema`): float16 → float32, large_utf8/large_binary/utf8_view/
 * binary_view → string/binary, fixed_size_binary → binary, date64 → date32,
 * time32 → time64 (same unit), large_list/fixed_size_list → list, decimal
 * 32/64/256 → decimal128 (precision ≤ 38), duration → int64 in its unit,
 * interval → int32 months or a struct of its parts, dictionary-encoded →
 * the value type. Union, run-end-encoded and list-view fields are refused
 * with TARN_EUNSUPPORTED naming the field.
 *
 * Hostile schemas: nesting is limited to AX_MAX_DEPTH, the total number of
 * fields to AX_MAX_NODES (a flatbuffer can point many children at one table,
 * so the tree could otherwise be exponentially larger than the bytes), and
 * every field the flatbuffer reader hands out is bounds-checked (fb.h).
 *
 * Thread-safety: pure functions of their arguments.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/err.h"
#include "base/mem.h"
#include "formats/arrow/arrow_int.h"

/* ---- reading --------------------------------------------------------------------- */

struct pctx {
	struct fb_ctx *c;
	int n_nodes;
	int n_dicts;
	char path[256];
};

static tarn_rc pfail(struct pctx *p, tarn_rc rc, const char *fmt, ...) TARN_PRINTF(3, 4);
static tarn_rc pfail(struct pctx *p, tarn_rc rc, const char *fmt, ...)
{
	char msg[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return fb_fail(p->c, rc, "field '%s': %s", p->path, msg);
}

static size_t path_push(struct pctx *p, const char *name, size_t n)
{
	size_t old = strlen(p->path);
	if (n)
		snprintf(p->path + old, sizeof p->path - old, "%s%.*s", old ? "." : "",
			 (int)(n > 100 ? 100 : n), name);
	else
		snprintf(p->path + old, sizeof p->path - old, "%s?", old ? "." : "");
	return old;
}

static void free_node(struct ax_node *n)
{
	for (int i = 0; i < n->n_children; i++)
		free_node(&n->children[i]);
	tarn_free(n->children);
	memset(n, 0, sizeof *n);
}

static const char *const type_names[] = {
	"NONE", "Null", "Int", "FloatingPoint", "Binary", "Utf8", "Bool", "Decimal", "Date",
	"Time", "Timestamp", "Interval", "List", "Struct", "Union", "FixedSizeBinary",
	"FixedSizeList", "Map", "Duration", "LargeBinary", "LargeUtf8", "LargeList",
	"RunEndEncoded", "BinaryView", "Utf8View", "ListView", "LargeListView",
};

static tarn_rc parse_field(struct pctx *p, const struct fb_table *fld, struct tarn_field *tf,
			   struct ax_node *an, int depth);

/* A struct's members (or a map's entries struct) from the children vector. */
static tarn_rc parse_children(struct pctx *p, const struct fb_table *fld, struct tarn_type *t,
			      struct ax_node *an, int depth)
{
	struct fb_vec kids;
	fb_vector(fld, FIELD_CHILDREN, 4, &kids);
	if (p->c->rc)
		return p->c->rc;
	if (tarn_type_init_struct(t, (int)kids.len))
		return pfail(p, TARN_ENOMEM, "out of memory");
	if (kids.len) {
		an->children = tarn_calloc(kids.len, sizeof *an->children);
		if (!an->children)
			return pfail(p, TARN_ENOMEM, "out of memory");
	}
	for (uint32_t i = 0; i < kids.len; i++) {
		struct fb_table ch;
		if (!fb_vec_table(&kids, i, &ch))
			return p->c->rc;
		an->n_children = (int)i + 1;
		TRY(parse_field(p, &ch, &t->children[i], &an->children[i], depth + 1));
	}
	return TARN_OK;
}

/* The single child of a list-like field, as a complete tarn field. */
static tarn_rc parse_only_child(struct pctx *p, const struct fb_table *fld, struct tarn_field *item,
				struct ax_node *an, int depth, const char *what)
{
	struct fb_vec kids;
	fb_vector(fld, FIELD_CHILDREN, 4, &kids);
	if (p->c->rc)
		return p->c->rc;
	if (kids.len != 1)
		return pfail(p, TARN_EDATA, "a %s field has %u children, expected 1", what, kids.len);
	an->children = tarn_calloc(1, sizeof *an->children);
	if (!an->children)
		return pfail(p, TARN_ENOMEM, "out of memory");
	an->n_children = 1;
	struct fb_table ch;
	if (!fb_vec_table(&kids, 0, &ch))
		return p->c->rc;
	return parse_field(p, &ch, item, &an->children[0], depth + 1);
}

/* A child field (leaf) of a struct made up by the reader (interval parts). */
static tarn_rc made_member(struct pctx *p, struct tarn_type *st, int i, const char *name,
			   enum tarn_type_id id)
{
	if (tarn_field_set_name(&st->children[i], name, strlen(name)))
		return pfail(p, TARN_ENOMEM, "out of memory");
	st->children[i].nullable = false;
	tarn_type_init(&st->children[i].type, id);
	return TARN_OK;
}

static tarn_rc set_note(struct pctx *p, struct tarn_field *tf, const char *fmt, ...)
	TARN_PRINTF(3, 4);
static tarn_rc set_note(struct pctx *p, struct tarn_field *tf, const char *fmt, ...)
{
	char note[200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(note, sizeof note, fmt, ap);
	va_end(ap);
	if (tarn_field_set_note(tf, note))
		return pfail(p, TARN_ENOMEM, "out of memory");
	return TARN_OK;
}

static const char *unit_name(int u)
{
	return tarn_time_unit_name((enum tarn_time_unit)u);
}

/* The value type of fld (type union + children) into tf->type and an. */
static tarn_rc parse_type(struct pctx *p, const struct fb_table *fld, struct tarn_field *tf,
			  struct ax_node *an, int depth)
{
	struct tarn_type *t = &tf->type;
	uint8_t tt = fb_u8(fld, FIELD_TYPE_TYPE, T_NONE);
	struct fb_table ty;
	/* An empty type table may be left out; defaults then apply. */
	fb_table(fld, FIELD_TYPE, &ty);
	if (p->c->rc)
		return p->c->rc;
	an->kind = AX_FIXED;
	switch (tt) {
	case T_NULL:
		tarn_type_init(t, TARN_T_NULL);
		an->kind = AX_NULL;
		return TARN_OK;
	case T_INT: {
		int bw = fb_i32(&ty, 0, 0);
		bool sg = fb_bool(&ty, 1, false);
		static const enum tarn_type_id s[] = { TARN_T_INT8, TARN_T_INT16, TARN_T_INT32,
						       TARN_T_INT64 };
		static const enum tarn_type_id u[] = { TARN_T_UINT8, TARN_T_UINT16, TARN_T_UINT32,
						       TARN_T_UINT64 };
		int k = bw == 8 ? 0 : bw == 16 ? 1 : bw == 32 ? 2 : bw == 64 ? 3 : -1;
		if (k < 0)
			return pfail(p, TARN_EDATA, "integer bit width %d (8, 16, 32 or 64)", bw);
		tarn_type_init(t, sg ? s[k] : u[k]);
		an->width = (uint8_t)(bw / 8);
		return TARN_OK;
	}
	case T_FLOATING_POINT: {
		int16_t prec = fb_i16(&ty, 0, 0);
		if (prec < 0 || prec > 2)
			return pfail(p, TARN_EDATA, "floating point precision %d", prec);
		tarn_type_init(t, prec == 2 ? TARN_T_FLOAT64 : TARN_T_FLOAT32);
		an->width = prec == 2 ? 8 : 4;
		if (prec == 0) {
			an->kind = AX_FLOAT16;
			an->width = 2;
			return set_note(p, tf, "float16 read as float32");
		}
		return TARN_OK;
	}
	case T_BINARY:
	case T_UTF8:
	case T_LARGE_BINARY:
	case T_LARGE_UTF8:
	case T_BINARY_VIEW:
	case T_UTF8_VIEW: {
		bool utf8 = tt == T_UTF8 || tt == T_LARGE_UTF8 || tt == T_UTF8_VIEW;
		tarn_type_init(t, utf8 ? TARN_T_STRING : TARN_T_BINARY);
		an->kind = (tt == T_BINARY || tt == T_UTF8)	      ? AX_BYTES
			   : (tt == T_BINARY_VIEW || tt == T_UTF8_VIEW) ? AX_VIEW
									: AX_LARGE_BYTES;
		if (an->kind != AX_BYTES)
			return set_note(p, tf, "%s read as %s", tt == T_LARGE_BINARY ? "large_binary"
								: tt == T_LARGE_UTF8 ? "large_utf8"
								: tt == T_BINARY_VIEW ? "binary_view"
										      : "utf8_view",
					utf8 ? "string" : "binary");
		return TARN_OK;
	}
	case T_BOOL:
		tarn_type_init(t, TARN_T_BOOL);
		an->kind = AX_BOOL;
		return TARN_OK;
	case T_DECIMAL: {
		int prec = fb_i32(&ty, 0, 0), scale = fb_i32(&ty, 1, 0), bw = fb_i32(&ty, 2, 128);
		if (bw != 32 && bw != 64 && bw != 128 && bw != 256)
			return pfail(p, TARN_EDATA, "decimal bit width %d", bw);
		if (prec < 1 || prec > 38)
			return pfail(p, prec > 38 ? TARN_EUNSUPPORTED : TARN_EDATA,
				     "decimal precision %d (tarn holds 1..38)", prec);
		if (scale < 0 || scale > prec)
			return pfail(p, TARN_EUNSUPPORTED,
				     "decimal scale %d (tarn holds 0..precision)", scale);
		tarn_type_init_decimal(t, prec, scale);
		an->width = (uint8_t)(bw / 8);
		if (bw != 128) {
			an->kind = AX_DECIMAL;
			return set_note(p, tf, "decimal%d read as decimal128", bw);
		}
		return TARN_OK;
	}
	case T_DATE: {
		int16_t unit = fb_i16(&ty, 0, 1);
		if (unit != 0 && unit != 1)
			return pfail(p, TARN_EDATA, "date unit %d", unit);
		tarn_type_init(t, TARN_T_DATE32);
		an->width = unit == 0 ? 4 : 8;
		if (unit == 1) {
			an->kind = AX_DATE64;
			return set_note(p, tf, "date64 read as date32");
		}
		return TARN_OK;
	}
	case T_TIME: {
		int16_t unit = fb_i16(&ty, 0, 1);
		int bw = fb_i32(&ty, 1, 32);
		if (unit < 0 || unit > 3 || bw != (unit <= 1 ? 32 : 64))
			return pfail(p, TARN_EDATA, "time unit %d with bit width %d", unit, bw);
		tarn_type_init_time(t, (enum tarn_time_unit)unit);
		an->width = (uint8_t)(bw / 8);
		if (bw == 32)
			an->kind = AX_TIME32;
		return TARN_OK;
	}
	case T_TIMESTAMP: {
		int16_t unit = fb_i16(&ty, 0, 0);
		const char *tz;
		size_t tzn;
		fb_string(&ty, 1, &tz, &tzn);
		if (unit < 0 || unit > 3)
			return pfail(p, TARN_EDATA, "timestamp unit %d", unit);
		char *z = NULL;
		if (tzn && !(z = tarn_strndup(tz, tzn)))
			return pfail(p, TARN_ENOMEM, "out of memory");
		tarn_rc rc = tarn_type_init_timestamp(t, (enum tarn_time_unit)unit, z);
		tarn_free(z);
		if (rc)
			return pfail(p, rc, "out of memory");
		an->width = 8;
		return TARN_OK;
	}
	case T_DURATION: {
		int16_t unit = fb_i16(&ty, 0, 1);
		if (unit < 0 || unit > 3)
			return pfail(p, TARN_EDATA, "duration unit %d", unit);
		tarn_type_init(t, TARN_T_INT64);
		an->width = 8;
		return set_note(p, tf, "duration[%s] read as int64 (%s)", unit_name(unit),
				unit_name(unit));
	}
	case T_INTERVAL: {
		int16_t unit = fb_i16(&ty, 0, 0);
		if (unit == 0) {
			tarn_type_init(t, TARN_T_INT32);
			an->width = 4;
			return set_note(p, tf, "interval[months] read as int32 months");
		}
		if (unit != 1 && unit != 2)
			return pfail(p, TARN_EDATA, "interval unit %d", unit);
		if (tarn_type_init_struct(t, unit == 1 ? 2 : 3))
			return pfail(p, TARN_ENOMEM, "out of memory");
		if (unit == 1) {
			TRY(made_member(p, t, 0, "days", TARN_T_INT32));
			TRY(made_member(p, t, 1, "milliseconds", TARN_T_INT32));
			an->kind = AX_INTERVAL_DT;
			an->width = 8;
			return set_note(p, tf, "interval[day_time] read as struct");
		}
		TRY(made_member(p, t, 0, "months", TARN_T_INT32));
		TRY(made_member(p, t, 1, "days", TARN_T_INT32));
		TRY(made_member(p, t, 2, "nanoseconds", TARN_T_INT64));
		an->kind = AX_INTERVAL_MDN;
		an->width = 16;
		return set_note(p, tf, "interval[month_day_nano] read as struct");
	}
	case T_FIXED_SIZE_BINARY: {
		int w = fb_i32(&ty, 0, 0);
		if (w < 0)
			return pfail(p, TARN_EDATA, "fixed_size_binary width %d", w);
		tarn_type_init(t, TARN_T_BINARY);
		an->kind = AX_FIXED_BYTES;
		an->fixed = w;
		return set_note(p, tf, "fixed_size_binary[%d] read as binary", w);
	}
	case T_LIST:
	case T_LARGE_LIST:
	case T_FIXED_SIZE_LIST: {
		struct tarn_field item;
		memset(&item, 0, sizeof item);
		int32_t size = 0;
		if (tt == T_FIXED_SIZE_LIST) {
			size = fb_i32(&ty, 0, 0);
			if (size < 0)
				return pfail(p, TARN_EDATA, "fixed_size_list size %d", size);
		}
		tarn_rc rc = parse_only_child(p, fld, &item, an, depth, "list");
		if (rc == TARN_OK && tarn_type_init_list(t, &item.type, item.nullable))
			rc = pfail(p, TARN_ENOMEM, "out of memory");
		if (rc == TARN_OK) {
			/* The item is named "item" whatever the producer called it, so
			 * list types from any producer compare equal. */
			t->children[0].note = item.note;
			item.note = NULL;
		}
		tarn_field_clear(&item);
		TRY(rc);
		an->kind = tt == T_LIST ? AX_LIST : tt == T_LARGE_LIST ? AX_LARGE_LIST : AX_FIXED_LIST;
		an->fixed = size;
		if (tt == T_LARGE_LIST)
			return set_note(p, tf, "large_list read as list");
		if (tt == T_FIXED_SIZE_LIST)
			return set_note(p, tf, "fixed_size_list[%d] read as list", size);
		return TARN_OK;
	}
	case T_STRUCT:
		an->kind = AX_STRUCT;
		return parse_children(p, fld, t, an, depth);
	case T_MAP: {
		struct tarn_field ent;
		memset(&ent, 0, sizeof ent);
		tarn_rc rc = parse_only_child(p, fld, &ent, an, depth, "map");
		if (rc == TARN_OK && (ent.type.id != TARN_T_STRUCT || ent.type.n_children != 2 ||
				      an->children[0].dict || an->children[0].kind != AX_STRUCT))
			rc = pfail(p, TARN_EDATA, "a map's child must be a struct of key and value");
		if (rc == TARN_OK) {
			struct tarn_field *k = &ent.type.children[0], *v = &ent.type.children[1];
			bool vn = v->nullable;
			char *kn = k->note, *vnote = v->note;
			k->note = v->note = NULL;
			if (tarn_type_init_map(t, &k->type, &v->type, vn)) {
				rc = pfail(p, TARN_ENOMEM, "out of memory");
				tarn_free(kn);
				tarn_free(vnote);
			} else {
				struct tarn_type *et = &t->children[0].type;
				et->children[0].note = kn;
				et->children[1].note = vnote;
			}
		}
		tarn_field_clear(&ent);
		an->kind = AX_MAP;
		return rc;
	}
	case T_UNION:
	case T_RUN_END_ENCODED:
	case T_LIST_VIEW:
	case T_LARGE_LIST_VIEW:
		return pfail(p, TARN_EUNSUPPORTED, "the Arrow type %s is not supported",
			     type_names[tt]);
	}
	return pfail(p, TARN_EUNSUPPORTED, "unknown Arrow type id %u", tt);
}

static tarn_rc parse_field(struct pctx *p, const struct fb_table *fld, struct tarn_field *tf,
			   struct ax_node *an, int depth)
{
	if (depth > AX_MAX_DEPTH)
		return pfail(p, TARN_ELIMIT, "types nested more than %d deep", AX_MAX_DEPTH);
	if (++p->n_nodes > AX_MAX_NODES)
		return pfail(p, TARN_ELIMIT, "more than %d fields in the schema", AX_MAX_NODES);
	const char *name;
	size_t nn;
	fb_string(fld, FIELD_NAME, &name, &nn);
	if (p->c->rc)
		return p->c->rc;
	if (tarn_field_set_name(tf, name, nn))
		return pfail(p, TARN_ENOMEM, "out of memory");
	size_t old = path_push(p, name, nn);
	tf->nullable = fb_bool(fld, FIELD_NULLABLE, false);
	struct fb_table de;
	if (fb_table(fld, FIELD_DICTIONARY, &de)) {
		an->dict = true;
		an->dict_id = fb_i64(&de, DENC_ID, 0);
		struct fb_table it;
		int bw = 32;
		bool sg = true;
		if (fb_table(&de, DENC_INDEX_TYPE, &it)) {
			bw = fb_i32(&it, 0, 0);
			sg = fb_bool(&it, 1, false);
		}
		if (bw != 8 && bw != 16 && bw != 32 && bw != 64)
			return pfail(p, TARN_EDATA, "dictionary index bit width %d", bw);
		an->index_width = (uint8_t)(bw / 8);
		an->index_signed = sg;
		p->n_dicts++;
	}
	if (p->c->rc)
		return p->c->rc;
	TRY(parse_type(p, fld, tf, an, depth));
	if (an->dict && !tf->note)
		TRY(set_note(p, tf, "dictionary-encoded; read as its values"));
	p->path[old] = '\0';
	return TARN_OK;
}

/* Numbers nodes in pre-order, points them at their tarn types and names, and
 * collects the dictionary-encoded ones. */
static void bind(struct ax_schema *s, struct ax_node *n, const struct tarn_field *f, int *next)
{
	n->id = (*next)++;
	n->t = &f->type;
	n->name = f->name ? f->name : "";
	if (n->dict)
		s->dicts[s->n_dicts++] = n;
	const struct tarn_type *t = &f->type;
	switch (n->kind) {
	case AX_LIST:
	case AX_LARGE_LIST:
	case AX_FIXED_LIST:
	case AX_MAP: /* the entries struct, then key and value below it */
		bind(s, &n->children[0], &t->children[0], next);
		break;
	case AX_STRUCT:
		for (int i = 0; i < n->n_children; i++)
			bind(s, &n->children[i], &t->children[i], next);
		break;
	default:
		break;
	}
}

void ax_schema_free(struct ax_schema *s)
{
	if (!s)
		return;
	if (s->fields)
		for (int i = 0; i < s->schema->n_fields; i++)
			free_node(&s->fields[i]);
	tarn_free(s->fields);
	tarn_free(s->dicts);
	tarn_schema_unref(s->schema);
	tarn_free(s);
}

tarn_rc ax_schema_parse(const struct fb_table *schema, struct ax_schema **out,
			struct tarn_err *err)
{
	*out = NULL;
	struct fb_ctx *c = schema->c;
	struct pctx p = { .c = c };
	if (fb_i16(schema, SCHEMA_ENDIANNESS, 0) != 0)
		return fb_fail(c, TARN_EUNSUPPORTED, "big-endian Arrow data is not supported");
	struct fb_vec fields;
	fb_vector(schema, SCHEMA_FIELDS, 4, &fields);
	if (c->rc)
		return c->rc;
	if (fields.len > AX_MAX_NODES)
		return fb_fail(c, TARN_ELIMIT, "%u fields (the limit is %d)", fields.len,
			       AX_MAX_NODES);
	struct ax_schema *s = tarn_calloc(1, sizeof *s);
	if (!s)
		return tarn_err_nomem(err, "Arrow schema");
	tarn_rc rc = TARN_OK;
	if (tarn_schema_new((int)fields.len, &s->schema) ||
	    !(s->fields = tarn_calloc(fields.len ? fields.len : 1, sizeof *s->fields))) {
		rc = tarn_err_nomem(err, "Arrow schema");
		goto out;
	}
	for (uint32_t i = 0; i < fields.len; i++) {
		struct fb_table f;
		if (!fb_vec_table(&fields, i, &f)) {
			rc = c->rc;
			goto out;
		}
		p.path[0] = '\0';
		TRY_OUT(parse_field(&p, &f, &s->schema->fields[i], &s->fields[i], 1));
	}
	if (c->rc) {
		rc = c->rc;
		goto out;
	}
	s->dicts = tarn_calloc((size_t)(p.n_dicts ? p.n_dicts : 1), sizeof *s->dicts);
	if (!s->dicts) {
		rc = tarn_err_nomem(err, "Arrow schema");
		goto out;
	}
	int next = 0;
	for (uint32_t i = 0; i < fields.len; i++)
		bind(s, &s->fields[i], &s->schema->fields[i], &next);
	s->n_nodes = next;
out:
	if (rc) {
		ax_schema_free(s);
		return rc;
	}
	*out = s;
	return TARN_OK;
}

/* ---- writing --------------------------------------------------------------------- */

static fb_ref build_type(struct fb_builder *b, const struct tarn_type *t, uint8_t *tt)
{
	switch (t->id) {
	case TARN_T_NULL:
		*tt = T_NULL;
		fb_start(b);
		return fb_end(b);
	case TARN_T_BOOL:
		*tt = T_BOOL;
		fb_start(b);
		return fb_end(b);
	case TARN_T_INT8:
	case TARN_T_INT16:
	case TARN_T_INT32:
	case TARN_T_INT64:
	case TARN_T_UINT8:
	case TARN_T_UINT16:
	case TARN_T_UINT32:
	case TARN_T_UINT64:
		*tt = T_INT;
		fb_start(b);
		fb_add_i32(b, 0, tarn_type_width(t->id) * 8);
		fb_add_u8(b, 1, tarn_type_is_signed(t->id));
		return fb_end(b);
	case TARN_T_FLOAT32:
	case TARN_T_FLOAT64:
		*tt = T_FLOATING_POINT;
		fb_start(b);
		fb_add_i16(b, 0, t->id == TARN_T_FLOAT32 ? 1 : 2);
		return fb_end(b);
	case TARN_T_DECIMAL128:
		*tt = T_DECIMAL;
		fb_start(b);
		fb_add_i32(b, 0, t->precision);
		fb_add_i32(b, 1, t->scale);
		fb_add_i32(b, 2, 128);
		return fb_end(b);
	case TARN_T_STRING:
	case TARN_T_BINARY:
		*tt = t->id == TARN_T_STRING ? T_UTF8 : T_BINARY;
		fb_start(b);
		return fb_end(b);
	case TARN_T_DATE32:
		*tt = T_DATE;
		fb_start(b);
		fb_add_i16(b, 0, 0);
		return fb_end(b);
	case TARN_T_TIME64:
		/* Arrow's time64 has only us and ns: s and ms go out as time32. */
		*tt = T_TIME;
		fb_start(b);
		fb_add_i16(b, 0, t->unit);
		fb_add_i32(b, 1, t->unit <= TARN_UNIT_MS ? 32 : 64);
		return fb_end(b);
	case TARN_T_TIMESTAMP: {
		*tt = T_TIMESTAMP;
		fb_ref tz = t->tz ? fb_create_string(b, t->tz, strlen(t->tz)) : 0;
		fb_start(b);
		fb_add_i16(b, 0, t->unit);
		fb_add_ref(b, 1, tz);
		return fb_end(b);
	}
	case TARN_T_LIST:
		*tt = T_LIST;
		fb_start(b);
		return fb_end(b);
	case TARN_T_STRUCT:
		*tt = T_STRUCT;
		fb_start(b);
		return fb_end(b);
	case TARN_T_MAP:
		*tt = T_MAP;
		fb_start(b);
		fb_add_u8(b, 0, 0);
		return fb_end(b);
	case TARN_T_INTERVAL: /* SQL-only for now: not written to Arrow IPC */
		b->rc = b->rc ? b->rc : TARN_EUNSUPPORTED;
		return 0;
	case TARN_T__COUNT:
		break;
	}
	b->rc = b->rc ? b->rc : TARN_EINTERNAL;
	return 0;
}

static fb_ref build_field(struct fb_builder *b, const struct tarn_field *f, int64_t dict_id,
			  int depth)
{
	if (depth > AX_MAX_DEPTH + 8) {
		b->rc = b->rc ? b->rc : TARN_ELIMIT;
		return 0;
	}
	const struct tarn_type *t = &f->type;
	int n = t->n_children;
	fb_ref small[8] = { 0 }, *kids = n <= 8 ? small : tarn_malloc((size_t)n * sizeof *kids);
	if (!kids) {
		b->rc = b->rc ? b->rc : TARN_ENOMEM;
		return 0;
	}
	for (int i = 0; i < n; i++)
		kids[i] = build_field(b, &t->children[i], -1, depth + 1);
	fb_ref kv = fb_create_refs(b, kids, (size_t)n);
	if (kids != small)
		tarn_free(kids);
	const char *name = f->name ? f->name : "";
	fb_ref nm = fb_create_string(b, name, strlen(name));
	uint8_t tt = 0;
	fb_ref ty = build_type(b, t, &tt);
	fb_ref de = 0;
	if (dict_id >= 0) {
		fb_start(b);
		fb_add_i32(b, 0, 32);
		fb_add_u8(b, 1, 1);
		fb_ref it = fb_end(b);
		fb_start(b);
		fb_add_i64(b, DENC_ID, dict_id);
		fb_add_ref(b, DENC_INDEX_TYPE, it);
		fb_add_u8(b, DENC_IS_ORDERED, 0);
		de = fb_end(b);
	}
	fb_start(b);
	fb_add_ref(b, FIELD_NAME, nm);
	/* tarn's map entries and keys are already non-nullable (type.c), as
	 * Arrow requires. */
	fb_add_u8(b, FIELD_NULLABLE, f->nullable);
	fb_add_u8(b, FIELD_TYPE_TYPE, tt);
	fb_add_ref(b, FIELD_TYPE, ty);
	fb_add_ref(b, FIELD_DICTIONARY, de);
	fb_add_ref(b, FIELD_CHILDREN, kv);
	return fb_end(b);
}

fb_ref ax_schema_build(struct fb_builder *b, const struct tarn_schema *s, const int64_t *dict_ids)
{
	int n = s->n_fields;
	fb_ref *refs = tarn_malloc((size_t)(n ? n : 1) * sizeof *refs);
	if (!refs) {
		b->rc = b->rc ? b->rc : TARN_ENOMEM;
		return 0;
	}
	for (int i = 0; i < n; i++)
		refs[i] = build_field(b, &s->fields[i], dict_ids ? dict_ids[i] : -1, 1);
	fb_ref fv = fb_create_refs(b, refs, (size_t)n);
	tarn_free(refs);
	fb_start(b);
	fb_add_i16(b, SCHEMA_ENDIANNESS, 0);
	fb_add_ref(b, SCHEMA_FIELDS, fv);
	return fb_end(b);
}
