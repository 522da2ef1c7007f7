/*
 * pb_schema.c — compiles one message of a descriptor set into the column
 * tree the decoder and encoder walk (struct pb_schema, pb_int.h), and the
 * tarn schema it reads as.
 *
 * Mapping (docs/formats/protobuf.md has the full table):
 *   scalar      -> int32/int64/uint32/uint64/float32/float64/bool/string/
 *                  binary; enum -> string (name) or int32 (enums=int)
 *   message     -> struct (nullable: messages have explicit presence)
 *   repeated    -> list<T> (not null; absent = empty); map<K,V> -> map
 *   oneof       -> one nullable column per member
 *   google.protobuf.Timestamp -> timestamp[ns, UTC]
 *   google.protobuf.{Double,Float,Int64,UInt64,Int32,UInt32,Bool,String,
 *                    Bytes}Value -> the wrapped scalar, nullable
 *   a message type that contains itself -> binary (its encoded bytes) at
 *                  the point where it recurses, so the column tree is finite
 * Presence: proto3 fields without `optional` are implicit (absent = the zero
 * value, column not null); proto2 `optional` and proto3 `optional` are
 * explicit (absent = null, or the default with absent=default); proto2
 * `required` is not null and its absence is an error.
 *
 * Design notes
 *  1. The tree has one pb_msg per position, not per message type: a type used
 *     by two fields compiles twice. Each position owns its columns, and a
 *     position is never active twice at once (no recursion), which lets the
 *     decoder keep per-message scratch ("slots") at fixed indexes.
 *  2. Array indexes (pb_field.col/.item) follow the pre-order of the tarn type
 *     tree: a field's own array, then for lists/maps the child (items or
 *     entries), then a message's members. The decoder binds the batch's
 *     arrays by walking them in the same order.
 *
 * Thread-safety: the compiled schema is immutable after pb_schema_compile.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/protobuf/pb_int.h"

#define MAX_DEPTH 64
#define MAX_ARRAYS 100000
#define DENSE_LIMIT 4096

struct comp {
	struct pb_schema *s;
	struct tarn_err *err;
	const struct pbd_message *stack[MAX_DEPTH + 1];
	int depth;
	int n_arrays;
};

static tarn_rc nomem(struct comp *c)
{
	return tarn_err_nomem(c->err, "protobuf schema");
}

static const struct pbd_message *find_message(const struct pb_descset *d, const char *name)
{
	if (name[0] == '.')
		name++;
	for (int i = 0; i < d->n_messages; i++)
		if (strcmp(d->messages[i].full_name, name) == 0)
			return &d->messages[i];
	return NULL;
}

static const struct pbd_enum *find_enum(const struct pb_descset *d, const char *name)
{
	if (name[0] == '.')
		name++;
	for (int i = 0; i < d->n_enums; i++)
		if (strcmp(d->enums[i].full_name, name) == 0)
			return &d->enums[i];
	return NULL;
}

static int wire_type_of(int type)
{
	switch (type) {
	case PB_DOUBLE:
	case PB_FIXED64:
	case PB_SFIXED64: return PB_WT_I64;
	case PB_FLOAT:
	case PB_FIXED32:
	case PB_SFIXED32: return PB_WT_I32;
	case PB_STRING:
	case PB_BYTES:
	case PB_MESSAGE: return PB_WT_LEN;
	case PB_GROUP: return PB_WT_SGROUP;
	default: return PB_WT_VARINT;
	}
}

static enum tarn_type_id scalar_tid(int type, bool enums_int)
{
	switch (type) {
	case PB_DOUBLE: return TARN_T_FLOAT64;
	case PB_FLOAT: return TARN_T_FLOAT32;
	case PB_INT64:
	case PB_SINT64:
	case PB_SFIXED64: return TARN_T_INT64;
	case PB_UINT64:
	case PB_FIXED64: return TARN_T_UINT64;
	case PB_INT32:
	case PB_SINT32:
	case PB_SFIXED32: return TARN_T_INT32;
	case PB_UINT32:
	case PB_FIXED32: return TARN_T_UINT32;
	case PB_BOOL: return TARN_T_BOOL;
	case PB_STRING: return TARN_T_STRING;
	case PB_BYTES: return TARN_T_BINARY;
	case PB_ENUM: return enums_int ? TARN_T_INT32 : TARN_T_STRING;
	default: return TARN_T_NULL;
	}
}

static bool is_packable(int type)
{
	return type != PB_STRING && type != PB_BYTES && type != PB_MESSAGE && type != PB_GROUP;
}

/* google.protobuf wrapper messages: the wrapped type, or 0. */
static int wrapper_type(const char *full)
{
	static const struct {
		const char *name;
		int type;
	} w[] = {
		{ "google.protobuf.DoubleValue", PB_DOUBLE }, { "google.protobuf.FloatValue", PB_FLOAT },
		{ "google.protobuf.Int64Value", PB_INT64 },   { "google.protobuf.UInt64Value", PB_UINT64 },
		{ "google.protobuf.Int32Value", PB_INT32 },   { "google.protobuf.UInt32Value", PB_UINT32 },
		{ "google.protobuf.BoolValue", PB_BOOL },     { "google.protobuf.StringValue", PB_STRING },
		{ "google.protobuf.BytesValue", PB_BYTES },
	};
	for (size_t i = 0; i < sizeof w / sizeof w[0]; i++)
		if (strcmp(full, w[i].name) == 0)
			return w[i].type;
	return 0;
}

/* ---- enums ------------------------------------------------------------------ */

/* Sort keys carry their own data, so qsort needs no shared state. */
struct num_key {
	int32_t num, idx;
};
struct name_key {
	const char *name;
	int32_t idx;
};

static int cmp_num(const void *a, const void *b)
{
	const struct num_key *x = a, *y = b;
	if (x->num != y->num)
		return x->num < y->num ? -1 : 1;
	return x->idx < y->idx ? -1 : 1;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(((const struct name_key *)a)->name, ((const struct name_key *)b)->name);
}

static tarn_rc compile_enum(struct comp *c, const struct pbd_enum *e, struct pb_enum_map **out)
{
	struct tarn_arena *ar = &c->s->arena;
	struct pb_enum_map *m = tarn_arena_alloc(ar, sizeof *m);
	if (!m)
		return nomem(c);
	memset(m, 0, sizeof *m);
	m->full_name = e->full_name;
	m->n = e->n_values;
	m->values = e->values;
	size_t n = (size_t)(e->n_values ? e->n_values : 1);
	m->sorted_idx = tarn_arena_alloc(ar, n * sizeof(int32_t));
	m->sorted_nums = tarn_arena_alloc(ar, n * sizeof(int32_t));
	m->by_name = tarn_arena_alloc(ar, n * sizeof(int32_t));
	if (!m->sorted_idx || !m->sorted_nums || !m->by_name)
		return nomem(c);
	struct num_key *nk = tarn_malloc(n * sizeof *nk);
	struct name_key *sk = tarn_malloc(n * sizeof *sk);
	if (!nk || !sk) {
		tarn_free(nk);
		tarn_free(sk);
		return nomem(c);
	}
	for (int i = 0; i < e->n_values; i++) {
		nk[i] = (struct num_key){ e->values[i].number, i };
		sk[i] = (struct name_key){ e->values[i].name, i };
	}
	qsort(nk, (size_t)e->n_values, sizeof *nk, cmp_num);
	qsort(sk, (size_t)e->n_values, sizeof *sk, cmp_name);
	for (int i = 0; i < e->n_values; i++) {
		m->sorted_nums[i] = nk[i].num;
		m->sorted_idx[i] = nk[i].idx;
		m->by_name[i] = sk[i].idx;
	}
	tarn_free(nk);
	tarn_free(sk);
	if (e->n_values) {
		int64_t lo = m->sorted_nums[0], hi = m->sorted_nums[e->n_values - 1];
		if (hi - lo < DENSE_LIMIT) {
			m->lo = (int32_t)lo;
			m->span = (uint32_t)(hi - lo + 1);
			m->dense = tarn_arena_alloc(ar, sizeof(int32_t) * m->span);
			if (!m->dense)
				return nomem(c);
			for (uint32_t i = 0; i < m->span; i++)
				m->dense[i] = -1;
			/* The first declared value wins for aliases
			 * (allow_alias), as protobuf's own printers do. */
			for (int i = e->n_values - 1; i >= 0; i--)
				m->dense[e->values[i].number - m->lo] = i;
		}
	}
	*out = m;
	return TARN_OK;
}

const struct pbd_enum_value *pb_enum_by_number(const struct pb_enum_map *e, int32_t num)
{
	if (e->span) {
		int64_t k = (int64_t)num - e->lo;
		if (k < 0 || k >= (int64_t)e->span || e->dense[k] < 0)
			return NULL;
		return &e->values[e->dense[k]];
	}
	int lo = 0, hi = e->n - 1;
	while (lo <= hi) {
		int mid = (lo + hi) / 2;
		if (e->sorted_nums[mid] == num) {
			/* the first declared of equal numbers */
			while (mid > 0 && e->sorted_nums[mid - 1] == num)
				mid--;
			return &e->values[e->sorted_idx[mid]];
		}
		if (e->sorted_nums[mid] < num)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return NULL;
}

bool pb_enum_by_name(const struct pb_enum_map *e, const char *name, size_t n, int32_t *out)
{
	int lo = 0, hi = e->n - 1;
	while (lo <= hi) {
		int mid = (lo + hi) / 2;
		const char *v = e->values[e->by_name[mid]].name;
		int c = strncmp(v, name, n);
		if (c == 0 && v[n] != 0)
			c = 1;
		if (c == 0) {
			*out = e->values[e->by_name[mid]].number;
			return true;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return false;
}

/* ---- defaults ------------------------------------------------------------------ */

/* protoc's CEscape'd bytes default back to bytes (octal, \n etc.). */
static size_t unescape(const char *s, char *out)
{
	size_t n = 0;
	while (*s) {
		if (*s != '\\') {
			out[n++] = *s++;
			continue;
		}
		s++;
		if (*s >= '0' && *s <= '7') {
			int v = 0;
			for (int k = 0; k < 3 && *s >= '0' && *s <= '7'; k++)
				v = v * 8 + (*s++ - '0');
			out[n++] = (char)v;
			continue;
		}
		if (*s == 'x') {
			s++;
			int v = 0;
			for (int k = 0; k < 2; k++, s++) {
				int d = *s >= '0' && *s <= '9'   ? *s - '0'
					: *s >= 'a' && *s <= 'f' ? *s - 'a' + 10
					: *s >= 'A' && *s <= 'F' ? *s - 'A' + 10
								 : -1;
				if (d < 0)
					break;
				v = v * 16 + d;
			}
			out[n++] = (char)v;
			continue;
		}
		char ch = *s ? *s++ : '\\';
		switch (ch) {
		case 'n': ch = '\n'; break;
		case 'r': ch = '\r'; break;
		case 't': ch = '\t'; break;
		case 'a': ch = '\a'; break;
		case 'b': ch = '\b'; break;
		case 'f': ch = '\f'; break;
		case 'v': ch = '\v'; break;
		default: break;
		}
		out[n++] = ch;
	}
	return n;
}

static tarn_rc parse_default(struct comp *c, const struct pbd_message *dm,
			     const struct pbd_field *df, struct pb_field *f)
{
	const char *v = df->default_value;
	char *end = NULL;
	errno = 0;
	switch (f->type) {
	case PB_INT32:
	case PB_SINT32:
	case PB_SFIXED32:
	case PB_INT64:
	case PB_SINT64:
	case PB_SFIXED64: f->def.i = strtoll(v, &end, 0); break;
	case PB_UINT32:
	case PB_FIXED32:
	case PB_UINT64:
	case PB_FIXED64: f->def.u = strtoull(v, &end, 0); break;
	case PB_FLOAT:
	case PB_DOUBLE:
		if (strcmp(v, "inf") == 0 || strcmp(v, "-inf") == 0)
			f->def.d = v[0] == '-' ? -INFINITY : INFINITY;
		else if (strcmp(v, "nan") == 0)
			f->def.d = NAN;
		else
			f->def.d = strtod(v, &end);
		break;
	case PB_BOOL: f->def.b = strcmp(v, "true") == 0; break;
	case PB_STRING:
		f->def_bytes = v;
		f->def_len = strlen(v);
		break;
	case PB_BYTES: {
		char *b = tarn_arena_alloc(&c->s->arena, strlen(v) + 1);
		if (!b)
			return nomem(c);
		f->def_len = unescape(v, b);
		f->def_bytes = b;
		break;
	}
	case PB_ENUM: {
		int32_t num = 0;
		if (!pb_enum_by_name(f->en, v, strlen(v), &num))
			return tarn_err_set(c->err, TARN_EDATA,
					    "%s.%s: default '%s' is not a value of %s", dm->full_name,
					    f->name, v, f->en->full_name);
		f->def.i = num;
		f->def_bytes = v;
		f->def_len = strlen(v);
		break;
	}
	default: return TARN_OK;
	}
	if (end && (*end || errno))
		return tarn_err_set(c->err, TARN_EDATA, "%s.%s: cannot read default value '%s'",
				    dm->full_name, f->name, v);
	f->has_default = true;
	return TARN_OK;
}

/* ---- messages ------------------------------------------------------------------- */

static tarn_rc compile_msg(struct comp *c, const struct pbd_message *dm, struct pb_msg **out,
			   struct tarn_type *st);

/* The column type of one value of field df (not the list around it). */
static tarn_rc value_type(struct comp *c, const struct pbd_message *dm,
			  const struct pbd_field *df, struct pb_field *f, struct tarn_type *t)
{
	const struct pb_descset *d = c->s->desc;
	memset(t, 0, sizeof *t);
	if (df->type == PB_ENUM) {
		const struct pbd_enum *e = df->type_name ? find_enum(d, df->type_name) : NULL;
		if (!e)
			return tarn_err_set(c->err, TARN_EDATA, "%s.%s: enum type %s is not defined",
					    dm->full_name, df->name,
					    df->type_name ? df->type_name : "(none)");
		TRY(compile_enum(c, e, &f->en));
	}
	if (df->type != PB_MESSAGE && df->type != PB_GROUP) {
		enum tarn_type_id id = scalar_tid(df->type, c->s->opts.enums_as_int);
		if (id == TARN_T_NULL)
			return tarn_err_set(c->err, TARN_EDATA, "%s.%s: unknown field type %d",
					    dm->full_name, df->name, df->type);
		tarn_type_init(t, id);
		return TARN_OK;
	}
	const struct pbd_message *sub = df->type_name ? find_message(d, df->type_name) : NULL;
	if (!sub)
		return tarn_err_set(c->err, TARN_EDATA, "%s.%s: message type %s is not defined",
				    dm->full_name, df->name,
				    df->type_name ? df->type_name : "(none)");
	if (df->type == PB_MESSAGE && strcmp(sub->full_name, "google.protobuf.Timestamp") == 0) {
		f->kind = PB_K_TIMESTAMP;
		return tarn_type_init_timestamp(t, TARN_UNIT_NS, "UTC") ? nomem(c) : TARN_OK;
	}
	int wrapped = df->type == PB_MESSAGE ? wrapper_type(sub->full_name) : 0;
	if (wrapped) {
		f->kind = PB_K_WRAPPER;
		f->type = (uint8_t)wrapped;
		tarn_type_init(t, scalar_tid(wrapped, false));
		return TARN_OK;
	}
	for (int i = 0; i < c->depth; i++) {
		if (c->stack[i] == sub) {
			f->kind = PB_K_RAW;
			tarn_type_init(t, TARN_T_BINARY);
			return TARN_OK;
		}
	}
	if (c->depth >= MAX_DEPTH)
		return tarn_err_set(c->err, TARN_ELIMIT,
				    "%s.%s: messages nest more than %d levels deep", dm->full_name,
				    df->name, MAX_DEPTH);
	f->kind = PB_K_MESSAGE;
	return compile_msg(c, sub, &f->msg, t);
}

static tarn_rc compile_field(struct comp *c, const struct pbd_message *dm,
			     const struct pbd_field *df, struct pb_field *f, struct tarn_field *tf)
{
	if (df->number <= 0 || (uint32_t)df->number > PB_MAX_FIELD_NUMBER)
		return tarn_err_set(c->err, TARN_EDATA, "%s.%s: invalid field number %d",
				    dm->full_name, df->name, df->number);
	f->name = df->name;
	f->number = (uint32_t)df->number;
	f->type = (uint8_t)df->type;
	f->kind = PB_K_SCALAR;
	f->wt = (uint8_t)wire_type_of(df->type);
	f->is_group = df->type == PB_GROUP;
	f->repeated = df->label == PB_LABEL_REPEATED;
	f->oneof = (int16_t)(df->oneof_index >= 0 && !df->proto3_optional &&
					     df->oneof_index < dm->n_oneofs
				     ? df->oneof_index
				     : -1);
	if (df->label == PB_LABEL_REQUIRED)
		f->presence = PB_REQUIRED;
	else if (dm->map_entry)
		f->presence = PB_IMPLICIT;
	else if (df->type == PB_MESSAGE || df->type == PB_GROUP || f->oneof >= 0 ||
		 df->proto3_optional || dm->syntax == 2)
		f->presence = PB_EXPLICIT;
	else
		f->presence = PB_IMPLICIT;
	if (f->repeated)
		f->packed = is_packable(df->type) &&
			    (df->packed == 1 || (df->packed == -1 && dm->syntax == 3));
	if (tarn_field_set_name(tf, df->name, strlen(df->name)))
		return nomem(c);

	struct tarn_type vt;
	TRY(value_type(c, dm, df, f, &vt));
	if (f->kind == PB_K_WRAPPER || f->kind == PB_K_TIMESTAMP || f->kind == PB_K_RAW)
		f->wt = PB_WT_LEN;
	if (df->default_value && f->kind == PB_K_SCALAR) {
		tarn_rc rc = parse_default(c, dm, df, f);
		if (rc) {
			tarn_type_clear(&vt);
			return rc;
		}
	}
	if (f->repeated && f->kind == PB_K_MESSAGE && f->msg->map_entry) {
		/* map<K, V>: the entry message's struct becomes the map's
		 * key/value pair. */
		f->is_map = true;
		struct tarn_field *kv = vt.children;
		if (vt.n_children != 2 || f->msg->n_fields != 2 || f->msg->fields[0].number != 1 ||
		    f->msg->fields[1].number != 2) {
			tarn_type_clear(&vt);
			return tarn_err_set(c->err, TARN_EDATA,
					    "%s.%s: malformed map entry type %s", dm->full_name,
					    df->name, f->msg->full_name);
		}
		struct tarn_type k = kv[0].type, v = kv[1].type;
		memset(&kv[0].type, 0, sizeof k);
		memset(&kv[1].type, 0, sizeof v);
		tarn_type_clear(&vt);
		if (tarn_type_init_map(&tf->type, &k, &v, false)) {
			tarn_type_clear(&k);
			tarn_type_clear(&v);
			return nomem(c);
		}
		tf->nullable = false;
		f->nullable = false;
		return TARN_OK;
	}
	if (f->repeated) {
		if (tarn_type_init_list(&tf->type, &vt, false)) {
			tarn_type_clear(&vt);
			return nomem(c);
		}
		tf->nullable = false;
		return TARN_OK;
	}
	tf->type = vt;
	if (f->kind == PB_K_MESSAGE || f->kind == PB_K_WRAPPER || f->kind == PB_K_TIMESTAMP ||
	    f->kind == PB_K_RAW)
		tf->nullable = !dm->map_entry;
	else if (f->oneof >= 0)
		tf->nullable = true;
	else
		tf->nullable = f->presence == PB_EXPLICIT && !c->s->opts.absent_default;
	f->nullable = tf->nullable;
	return TARN_OK;
}

static tarn_rc build_lookup(struct comp *c, struct pb_msg *m)
{
	uint32_t max = 0;
	for (int i = 0; i < m->n_fields; i++)
		if (m->fields[i].number > max)
			max = m->fields[i].number;
	m->dense_n = max + 1 < DENSE_LIMIT ? max + 1 : DENSE_LIMIT;
	m->dense = tarn_arena_alloc(&c->s->arena, sizeof(uint16_t) * m->dense_n);
	m->sorted_nums = tarn_arena_alloc(&c->s->arena, sizeof(uint32_t) * (size_t)(m->n_fields + 1));
	m->sorted_idx = tarn_arena_alloc(&c->s->arena, sizeof(uint16_t) * (size_t)(m->n_fields + 1));
	if (!m->dense || !m->sorted_nums || !m->sorted_idx)
		return nomem(c);
	memset(m->dense, 0, sizeof(uint16_t) * m->dense_n);
	m->n_sorted = 0;
	for (int i = 0; i < m->n_fields; i++) {
		uint32_t num = m->fields[i].number;
		for (int j = 0; j < i; j++)
			if (m->fields[j].number == num)
				return tarn_err_set(c->err, TARN_EDATA,
						    "%s: fields %s and %s share number %u",
						    m->full_name, m->fields[j].name,
						    m->fields[i].name, num);
		if (num < m->dense_n) {
			m->dense[num] = (uint16_t)(i + 1);
		} else {
			/* insertion keeps sorted_nums ascending */
			int k = m->n_sorted++;
			while (k > 0 && m->sorted_nums[k - 1] > num) {
				m->sorted_nums[k] = m->sorted_nums[k - 1];
				m->sorted_idx[k] = m->sorted_idx[k - 1];
				k--;
			}
			m->sorted_nums[k] = num;
			m->sorted_idx[k] = (uint16_t)i;
		}
	}
	return TARN_OK;
}

static tarn_rc compile_msg(struct comp *c, const struct pbd_message *dm, struct pb_msg **out,
			   struct tarn_type *st)
{
	if (dm->n_fields > 65000)
		return tarn_err_set(c->err, TARN_ELIMIT, "%s: more than 65000 fields",
				    dm->full_name);
	struct pb_msg *m = tarn_arena_alloc(&c->s->arena, sizeof *m);
	if (!m)
		return nomem(c);
	memset(m, 0, sizeof *m);
	m->full_name = dm->full_name;
	m->syntax = dm->syntax;
	m->map_entry = dm->map_entry;
	m->n_fields = dm->n_fields;
	m->n_oneofs = dm->n_oneofs;
	m->oneof_names = dm->oneof_names;
	m->fields = tarn_arena_alloc(&c->s->arena, sizeof *m->fields * (size_t)(dm->n_fields + 1));
	if (!m->fields)
		return nomem(c);
	memset(m->fields, 0, sizeof *m->fields * (size_t)(dm->n_fields + 1));
	if (tarn_type_init_struct(st, dm->n_fields))
		return nomem(c);
	c->stack[c->depth++] = dm;
	if (c->depth > c->s->max_depth)
		c->s->max_depth = c->depth;
	tarn_rc rc = TARN_OK;
	for (int i = 0; i < dm->n_fields && !rc; i++) {
		rc = compile_field(c, dm, &dm->fields[i], &m->fields[i], &st->children[i]);
		c->n_arrays += 2;
		if (!rc && c->n_arrays > MAX_ARRAYS)
			rc = tarn_err_set(c->err, TARN_ELIMIT,
					  "%s: the message expands to more than %d columns",
					  c->s->root ? c->s->root->full_name : dm->full_name,
					  MAX_ARRAYS);
	}
	c->depth--;
	if (!rc)
		rc = build_lookup(c, m);
	if (rc) {
		tarn_type_clear(st);
		return rc;
	}
	*out = m;
	return TARN_OK;
}

/* Design note 2: pre-order array indexes, slots and oneof winners. */
static void assign(struct pb_schema *s, struct pb_msg *m)
{
	m->slot_base = s->n_slots;
	s->n_slots += m->n_fields;
	m->oneof_base = s->n_oneofs;
	s->n_oneofs += m->n_oneofs;
	for (int i = 0; i < m->n_fields; i++) {
		struct pb_field *f = &m->fields[i];
		f->col = s->n_arrays++;
		f->item = f->repeated ? s->n_arrays++ : -1;
		if (f->kind == PB_K_MESSAGE)
			assign(s, f->msg);
	}
}

void pb_schema_free(struct pb_schema *s)
{
	if (!s)
		return;
	if (s->schema)
		tarn_schema_unref(s->schema);
	pb_descset_free(s->desc);
	tarn_arena_free(&s->arena);
	tarn_free(s);
}

static tarn_rc no_message(const struct pb_descset *d, const char *want, struct tarn_err *err)
{
	char list[600] = "";
	size_t len = 0;
	int shown = 0;
	for (int i = 0; i < d->n_messages; i++) {
		const struct pbd_message *m = &d->messages[i];
		if (m->map_entry || (d->main_file && strcmp(m->file, d->main_file) != 0))
			continue;
		int w = snprintf(list + len, sizeof list - len, "%s%s", shown ? ", " : "",
				 m->full_name);
		if (w < 0 || (size_t)w >= sizeof list - len) {
			snprintf(list + len, sizeof list - len, ", ...");
			break;
		}
		len += (size_t)w;
		shown++;
	}
	if (!want)
		return tarn_err_set(err, TARN_EUSAGE,
				    "%s defines several messages; name one with message=NAME "
				    "(messages: %s)",
				    d->main_file ? d->main_file : "the descriptor", list);
	return tarn_err_set(err, TARN_ENOTFOUND, "no message named '%s' in %s (messages: %s)", want,
			    d->main_file ? d->main_file : "the descriptor", list);
}

static const struct pbd_message *pick_message(const struct pb_descset *d, const char *want)
{
	if (want) {
		const struct pbd_message *m = find_message(d, want);
		if (m)
			return m;
		/* An unqualified name that is unique across the set. */
		const struct pbd_message *hit = NULL;
		size_t wl = strlen(want);
		for (int i = 0; i < d->n_messages; i++) {
			const char *full = d->messages[i].full_name;
			size_t fl = strlen(full);
			if (fl > wl && full[fl - wl - 1] == '.' && strcmp(full + fl - wl, want) == 0) {
				if (hit)
					return NULL;
				hit = &d->messages[i];
			}
		}
		return hit;
	}
	const struct pbd_message *only = NULL;
	for (int i = 0; i < d->n_messages; i++) {
		const struct pbd_message *m = &d->messages[i];
		if (m->map_entry || strcmp(m->file, d->main_file) != 0 || strchr(m->full_name, '.'))
			continue;
		if (only)
			return NULL;
		only = m;
	}
	if (!only) {
		/* Packaged files: top-level = exactly one dot more than the package. */
		for (int i = 0; i < d->n_messages; i++) {
			const struct pbd_message *m = &d->messages[i];
			if (m->map_entry || strcmp(m->file, d->main_file) != 0)
				continue;
			bool nested = false;
			for (int j = 0; j < d->n_messages && !nested; j++) {
				const char *p = d->messages[j].full_name;
				size_t pl = strlen(p);
				nested = j != i && strncmp(m->full_name, p, pl) == 0 &&
					 m->full_name[pl] == '.';
			}
			if (nested)
				continue;
			if (only)
				return NULL;
			only = m;
		}
	}
	return only;
}

tarn_rc pb_schema_compile(struct pb_descset *desc, const char *message,
			  const struct pb_schema_opts *o, struct pb_schema **out,
			  struct tarn_err *err)
{
	*out = NULL;
	struct pb_schema *s = tarn_calloc(1, sizeof *s);
	if (!s) {
		pb_descset_free(desc);
		return tarn_err_nomem(err, "protobuf schema");
	}
	tarn_arena_init(&s->arena, 16384);
	s->desc = desc;
	if (o)
		s->opts = *o;
	tarn_rc rc = TARN_OK;
	const struct pbd_message *root = pick_message(desc, message && *message ? message : NULL);
	if (!root) {
		rc = no_message(desc, message && *message ? message : NULL, err);
		goto out;
	}
	struct comp c = { .s = s, .err = err };
	struct tarn_type st;
	TRY_OUT(compile_msg(&c, root, &s->root, &st));
	struct tarn_schema *schema = NULL;
	if (tarn_schema_new(st.n_children, &schema)) {
		tarn_type_clear(&st);
		rc = tarn_err_nomem(err, "protobuf schema");
		goto out;
	}
	for (int i = 0; i < st.n_children; i++) {
		schema->fields[i] = st.children[i];
		memset(&st.children[i], 0, sizeof st.children[i]);
	}
	tarn_type_clear(&st);
	s->schema = schema;
	assign(s, s->root);
out:
	if (rc) {
		pb_schema_free(s);
		return rc;
	}
	*out = s;
	return TARN_OK;
}
