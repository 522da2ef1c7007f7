/*
 * pb_write.c — the protobuf writer: each row becomes one message of the
 * compiled schema, written with a varint length prefix (the framing of
 * writeDelimitedTo / python's _VarintBytes), so the output reads back with
 * any protobuf library's delimited parser.
 *
 * Columns are matched to the message's fields by name, nested structs to
 * nested messages the same way; a column without a field of its name is an
 * error listing the fields. Fields without a column are left out (absent).
 * Conversions (checked per value, a value that does not fit is an error
 * naming the row and column):
 *   integer fields   <- any integer column, bool, date32/time64/timestamp (raw)
 *   float, double    <- integer or floating columns
 *   bool             <- bool
 *   string           <- string;   bytes <- binary or string
 *   enum             <- string (value name) or integer (number)
 *   message          <- struct;   Timestamp <- timestamp (any unit)
 *   wrappers         <- as their wrapped scalar
 *   repeated         <- list;     map <- map
 * Presence: a null is an absent field (null under a `required` field is an
 * error); proto3 implicit fields holding the zero value are left out, as
 * protobuf's own serializers do. Repeated scalars are packed where the
 * schema says so (proto3 by default, proto2 with [packed = true]).
 *
 * Lengths of nested messages are patched in after their content
 * (pb_w_begin/pb_w_end), so there is no sizing pass. Output is buffered
 * and handed to the tarn_output in ~1 MiB pieces.
 *
 * Thread-safety: a writer belongs to one thread.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "columnar/utf8.h"
#include "formats/protobuf/pb_int.h"

#define FLUSH_AT ((size_t)1 << 20)

extern const struct tarn_format tarn_format_protobuf;

struct wmsg;

struct wfield {
	const struct pb_field *f;
	int src;          /* child index in the input struct / batch column */
	const char *path; /* column path for errors */
	struct wmsg *sub; /* message, map entry or list-of-message item plan */
};

struct wmsg {
	const struct pb_msg *m;
	int n;
	struct wfield *f;
};

struct pw {
	struct tarn_writer base;
	struct pb_schema *ps;
	struct tarn_arena arena; /* the plan */
	struct wmsg *root;
	struct tarn_buf buf;
	uint32_t gen;
	uint32_t *oneof_gen; /* per oneof of the tree: last row stamp */
	int32_t *oneof_who;
	int64_t row; /* global row number for errors */
	struct tarn_err *err;
};

/* ---- planning --------------------------------------------------------------- */

/* decimal(p, 0) holds integers too (JSON numbers beyond int64 read as it). */
static bool is_int_src(const struct tarn_type *t)
{
	enum tarn_type_id id = t->id;
	return tarn_type_is_integer(id) || id == TARN_T_BOOL || id == TARN_T_DATE32 ||
	       id == TARN_T_TIME64 || id == TARN_T_TIMESTAMP ||
	       (id == TARN_T_DECIMAL128 && t->scale == 0);
}

static bool scalar_ok(int pbtype, const struct tarn_type *t)
{
	enum tarn_type_id id = t->id;
	switch (pbtype) {
	case PB_DOUBLE:
	case PB_FLOAT:
		return tarn_type_is_integer(id) || id == TARN_T_FLOAT32 || id == TARN_T_FLOAT64 ||
		       id == TARN_T_DECIMAL128;
	case PB_BOOL: return id == TARN_T_BOOL;
	case PB_STRING: return id == TARN_T_STRING;
	case PB_BYTES: return id == TARN_T_BINARY || id == TARN_T_STRING;
	case PB_ENUM: return id == TARN_T_STRING || tarn_type_is_integer(id);
	default: return is_int_src(t);
	}
}

static const char *pb_type_name(int t)
{
	static const char *const names[] = { "?",	 "double",   "float",	"int64",  "uint64",
					     "int32",	 "fixed64",  "fixed32", "bool",	  "string",
					     "group",	 "message",  "bytes",	"uint32", "enum",
					     "sfixed32", "sfixed64", "sint32",	"sint64" };
	return t > 0 && t <= 18 ? names[t] : "?";
}

static tarn_rc plan_msg(struct pw *w, const struct pb_msg *m, const struct tarn_field *cols,
			int n_cols, const char *prefix, struct wmsg **out, struct tarn_err *err);

static tarn_rc type_error(const char *path, const struct pb_field *f, const struct tarn_type *t,
			  const char *want, struct tarn_err *err)
{
	struct tarn_buf b;
	tarn_buf_init(&b);
	if (tarn_type_to_text(t, &b) || tarn_buf_cstr(&b)) {
		tarn_buf_free(&b);
		return tarn_err_nomem(err, "protobuf writer");
	}
	tarn_rc rc = tarn_err_set(err, TARN_EUNSUPPORTED,
				  "column '%s' (%s) cannot be written to protobuf field %s (%s%s); "
				  "it needs %s",
				  path, b.data, f->name, f->repeated ? "repeated " : "",
				  f->kind == PB_K_TIMESTAMP   ? "google.protobuf.Timestamp"
				  : f->kind == PB_K_MESSAGE ? "message"
							    : pb_type_name(f->type),
				  want);
	tarn_buf_free(&b);
	return rc;
}

/* Checks one value's column type t against field f (ignoring repetition);
 * plans sub-messages. */
static tarn_rc plan_value(struct pw *w, const struct pb_field *f, const struct tarn_type *t,
			  const char *path, struct wmsg **sub, struct tarn_err *err)
{
	switch (f->kind) {
	case PB_K_MESSAGE:
		if (t->id != TARN_T_STRUCT)
			return type_error(path, f, t, "a struct column", err);
		return plan_msg(w, f->msg, t->children, t->n_children, path, sub, err);
	case PB_K_TIMESTAMP:
		if (t->id != TARN_T_TIMESTAMP)
			return type_error(path, f, t, "a timestamp column", err);
		return TARN_OK;
	case PB_K_RAW:
		if (t->id != TARN_T_BINARY)
			return type_error(path, f, t, "a binary column (the encoded message)",
					  err);
		return TARN_OK;
	default:
		if (!scalar_ok(f->type, t))
			return type_error(path, f, t,
					  f->type == PB_DOUBLE || f->type == PB_FLOAT
						  ? "a numeric column"
					  : f->type == PB_BOOL	 ? "a bool column"
					  : f->type == PB_STRING ? "a string column"
					  : f->type == PB_BYTES	 ? "a binary or string column"
					  : f->type == PB_ENUM	 ? "a string (names) or integer column"
								 : "an integer column",
					  err);
		return TARN_OK;
	}
}

static char *join_path(struct pw *w, const char *prefix, const char *name)
{
	size_t pl = prefix ? strlen(prefix) : 0, nl = strlen(name);
	char *s = tarn_arena_alloc(&w->arena, pl + nl + 2);
	if (!s)
		return NULL;
	if (pl) {
		memcpy(s, prefix, pl);
		s[pl] = '.';
		pl++;
	}
	memcpy(s + pl, name, nl + 1);
	return s;
}

static tarn_rc plan_msg(struct pw *w, const struct pb_msg *m, const struct tarn_field *cols,
			int n_cols, const char *prefix, struct wmsg **out, struct tarn_err *err)
{
	struct wmsg *pm = tarn_arena_alloc(&w->arena, sizeof *pm);
	struct wfield *fs = tarn_arena_alloc(&w->arena, sizeof *fs * (size_t)(n_cols + 1));
	if (!pm || !fs)
		return tarn_err_nomem(err, "protobuf writer");
	pm->m = m;
	pm->n = n_cols;
	pm->f = fs;
	for (int c = 0; c < n_cols; c++) {
		const struct tarn_field *col = &cols[c];
		const struct pb_field *f = NULL;
		for (int i = 0; i < m->n_fields && !f; i++)
			if (strcmp(m->fields[i].name, col->name) == 0)
				f = &m->fields[i];
		char *path = join_path(w, prefix, col->name);
		if (!path)
			return tarn_err_nomem(err, "protobuf writer");
		if (!f) {
			char list[600] = "";
			size_t len = 0;
			for (int i = 0; i < m->n_fields; i++) {
				int k = snprintf(list + len, sizeof list - len, "%s%s", i ? ", " : "",
						 m->fields[i].name);
				if (k < 0 || (size_t)k >= sizeof list - len)
					break;
				len += (size_t)k;
			}
			return tarn_err_set(err, TARN_EUSAGE,
					    "column '%s' has no field of that name in message %s "
					    "(fields: %s)",
					    path, m->full_name, list);
		}
		for (int i = 0; i < c; i++)
			if (fs[i].f == f)
				return tarn_err_set(err, TARN_EUSAGE,
						    "two columns map to field %s of %s", f->name,
						    m->full_name);
		fs[c] = (struct wfield){ f, c, path, NULL };
		const struct tarn_type *t = &col->type;
		if (f->is_map) {
			if (t->id != TARN_T_MAP)
				return type_error(path, f, t, "a map column", err);
			const struct tarn_type *e = &t->children[0].type;
			TRY(plan_msg(w, f->msg, e->children, 2, path, &fs[c].sub, err));
			/* plan_msg matched by name; map entries are key/value. */
			continue;
		}
		if (f->repeated) {
			if (t->id != TARN_T_LIST)
				return type_error(path, f, t, "a list column", err);
			t = &t->children[0].type;
		}
		TRY(plan_value(w, f, t, path, &fs[c].sub, err));
	}
	*out = pm;
	return TARN_OK;
}

/* ---- writing values ------------------------------------------------------------ */

static tarn_rc wfail(struct pw *w, const struct wfield *wf, const char *why)
{
	return tarn_err_set(w->err, TARN_EDATA, "row %" PRId64 ", column '%s': %s", w->row,
			    wf->path, why);
}

static tarn_rc wnomem(struct pw *w, tarn_rc rc)
{
	if (rc == TARN_ELIMIT)
		return tarn_err_set(w->err, TARN_ELIMIT,
				    "row %" PRId64 ": message larger than 2 GiB", w->row);
	return tarn_err_nomem(w->err, "protobuf writer");
}

#define W(expr)                                   \
	do {                                      \
		tarn_rc w_rc_ = (expr);           \
		if (UNLIKELY(w_rc_))              \
			return wnomem(w, w_rc_);  \
	} while (0)

/* An integer column value as int64, or as uint64 when above INT64_MAX.
 * False for decimals outside both ranges. */
static inline bool src_int(const struct tarn_array *a, int64_t j, int64_t *s, uint64_t *u,
			   bool *big)
{
	*big = false;
	if (UNLIKELY(a->type->id == TARN_T_DECIMAL128)) {
		tarn_i128 x = tarn_array_get_decimal(a, j);
		if (x >= INT64_MIN && x <= INT64_MAX) {
			*s = (int64_t)x;
		} else if (x > 0 && x <= (tarn_i128)UINT64_MAX) {
			*u = (uint64_t)x;
			*s = (int64_t)*u;
			*big = true;
		} else {
			return false;
		}
		return true;
	}
	if (a->type->id == TARN_T_BOOL) {
		*s = tarn_bit_get(a->values, j);
	} else if (a->type->id == TARN_T_UINT64) {
		*u = tarn_array_get_uint(a, j);
		*big = *u > (uint64_t)INT64_MAX;
		*s = (int64_t)*u;
	} else {
		*s = tarn_array_get_int(a, j);
	}
	return true;
}

/* Encodes the wire value of scalar field f from a[j] into *v (varints and
 * fixed values) or *p with *n bytes (LEN). Returns an error for values that do not
 * fit; *is_default tells whether it is the type's zero value. */
static tarn_rc scalar_value(struct pw *w, const struct wfield *wf, const struct pb_field *f,
			    const struct tarn_array *a, int64_t j, uint64_t *v, const uint8_t **p,
			    size_t *n, bool *is_default)
{
	enum tarn_type_id id = a->type->id;
	int64_t s = 0;
	uint64_t u = 0;
	bool big = false;
	char why[160];
	switch (f->type) {
	case PB_STRING:
	case PB_BYTES:
		*p = tarn_array_get_bytes(a, j, n);
		*is_default = *n == 0;
		return TARN_OK;
	case PB_DOUBLE:
	case PB_FLOAT: {
		double d;
		if (id == TARN_T_FLOAT64 || id == TARN_T_FLOAT32) {
			d = tarn_array_get_double(a, j);
		} else if (id == TARN_T_UINT64) {
			d = (double)tarn_array_get_uint(a, j);
		} else if (id == TARN_T_DECIMAL128) {
			d = (double)tarn_array_get_decimal(a, j);
			for (int k = 0; k < a->type->scale; k++)
				d /= 10;
		} else {
			d = (double)tarn_array_get_int(a, j);
		}
		if (f->type == PB_FLOAT) {
			float x = (float)d;
			uint32_t b;
			memcpy(&b, &x, 4);
			*v = b;
		} else {
			memcpy(v, &d, 8);
		}
		*is_default = *v == 0;
		return TARN_OK;
	}
	case PB_ENUM:
		if (id == TARN_T_STRING) {
			size_t k;
			const uint8_t *name = tarn_array_get_bytes(a, j, &k);
			int32_t num;
			if (!pb_enum_by_name(f->en, (const char *)name, k, &num)) {
				snprintf(why, sizeof why, "'%.*s' is not a value of enum %s",
					 (int)(k > 60 ? 60 : k), (const char *)name, f->en->full_name);
				return wfail(w, wf, why);
			}
			s = num;
		} else {
			if (!src_int(a, j, &s, &u, &big) || big || s < INT32_MIN || s > INT32_MAX)
				return wfail(w, wf, "enum number out of the int32 range");
		}
		*v = (uint64_t)s;
		*is_default = s == 0;
		return TARN_OK;
	default: break;
	}
	if (!src_int(a, j, &s, &u, &big)) {
		snprintf(why, sizeof why, "value outside the 64-bit range of a %s field",
			 pb_type_name(f->type));
		return wfail(w, wf, why);
	}
	switch (f->type) {
	case PB_INT32:
	case PB_SINT32:
	case PB_SFIXED32:
		if (big || s < INT32_MIN || s > INT32_MAX)
			goto range;
		*v = f->type == PB_SINT32 ? pb_zig32((int32_t)s)
		     : f->type == PB_INT32 ? (uint64_t)s /* sign-extended, 10 bytes if < 0 */
					   : (uint32_t)(int32_t)s;
		break;
	case PB_UINT32:
	case PB_FIXED32:
		if (big || s < 0 || s > (int64_t)UINT32_MAX)
			goto range;
		*v = (uint64_t)s;
		break;
	case PB_INT64:
	case PB_SINT64:
	case PB_SFIXED64:
		if (big)
			goto range;
		*v = f->type == PB_SINT64 ? pb_zig64(s) : (uint64_t)s;
		break;
	case PB_UINT64:
	case PB_FIXED64:
		if (!big && s < 0)
			goto range;
		*v = big ? u : (uint64_t)s;
		break;
	case PB_BOOL: *v = s != 0; break;
	default: return wfail(w, wf, "internal: unknown scalar type");
	}
	*is_default = *v == 0;
	return TARN_OK;
range:
	if (big)
		snprintf(why, sizeof why, "%" PRIu64 " does not fit a %s field", u,
			 pb_type_name(f->type));
	else
		snprintf(why, sizeof why, "%" PRId64 " does not fit a %s field", s,
			 pb_type_name(f->type));
	return wfail(w, wf, why);
}

/* Appends the encoded value (no tag) of scalar type t. */
static inline tarn_rc put_wire(struct pw *w, int t, uint64_t v, const uint8_t *p, size_t n)
{
	switch (t) {
	case PB_STRING:
	case PB_BYTES:
		W(pb_room(&w->buf, 10 + n));
		w->buf.len += pb_put_varint((uint8_t *)w->buf.data + w->buf.len, n);
		if (n)
			memcpy(w->buf.data + w->buf.len, p, n);
		w->buf.len += n;
		return TARN_OK;
	case PB_FIXED32:
	case PB_SFIXED32:
	case PB_FLOAT: W(pb_w_fixed32(&w->buf, (uint32_t)v)); return TARN_OK;
	case PB_FIXED64:
	case PB_SFIXED64:
	case PB_DOUBLE: W(pb_w_fixed64(&w->buf, v)); return TARN_OK;
	default: W(pb_w_varint(&w->buf, v)); return TARN_OK;
	}
}

static int scalar_wire_type(int t)
{
	switch (t) {
	case PB_STRING:
	case PB_BYTES: return PB_WT_LEN;
	case PB_FIXED32:
	case PB_SFIXED32:
	case PB_FLOAT: return PB_WT_I32;
	case PB_FIXED64:
	case PB_SFIXED64:
	case PB_DOUBLE: return PB_WT_I64;
	default: return PB_WT_VARINT;
	}
}

static tarn_rc write_fields(struct pw *w, const struct wmsg *pm, struct tarn_array *const *cols,
			    int64_t row);

/* One value of field f from a[j] with its tag. `implicit` leaves out zero
 * values (proto3 singular fields without presence). */
static tarn_rc write_value(struct pw *w, const struct wfield *wf, const struct tarn_array *a,
			   int64_t j, bool implicit)
{
	const struct pb_field *f = wf->f;
	size_t mark;
	switch (f->kind) {
	case PB_K_MESSAGE:
		if (f->is_group) {
			W(pb_w_tag(&w->buf, f->number, PB_WT_SGROUP));
			TRY(write_fields(w, wf->sub, a->children, j));
			W(pb_w_tag(&w->buf, f->number, PB_WT_EGROUP));
			return TARN_OK;
		}
		W(pb_w_tag(&w->buf, f->number, PB_WT_LEN));
		W(pb_w_begin(&w->buf, &mark));
		TRY(write_fields(w, wf->sub, a->children, j));
		W(pb_w_end(&w->buf, mark));
		return TARN_OK;
	case PB_K_TIMESTAMP: {
		int64_t x = tarn_array_get_int(a, j);
		int64_t per = tarn_time_unit_per_second((enum tarn_time_unit)a->type->unit);
		int64_t sec = x / per, frac = x % per;
		if (frac < 0) {
			frac += per;
			sec--;
		}
		int64_t nanos = frac * (1000000000 / per);
		W(pb_w_tag(&w->buf, f->number, PB_WT_LEN));
		W(pb_w_begin(&w->buf, &mark));
		if (sec) {
			W(pb_w_tag(&w->buf, 1, PB_WT_VARINT));
			W(pb_w_varint(&w->buf, (uint64_t)sec));
		}
		if (nanos) {
			W(pb_w_tag(&w->buf, 2, PB_WT_VARINT));
			W(pb_w_varint(&w->buf, (uint64_t)nanos));
		}
		W(pb_w_end(&w->buf, mark));
		return TARN_OK;
	}
	case PB_K_RAW: {
		size_t n;
		const uint8_t *p = tarn_array_get_bytes(a, j, &n);
		W(pb_w_bytes(&w->buf, f->number, p, n));
		return TARN_OK;
	}
	default: break;
	}
	uint64_t v = 0;
	const uint8_t *p = NULL;
	size_t n = 0;
	bool zero = false;
	TRY(scalar_value(w, wf, f, a, j, &v, &p, &n, &zero));
	if (f->type == PB_STRING) {
		size_t bad;
		if (!tarn_utf8_valid(p, n, &bad))
			return wfail(w, wf, "invalid UTF-8 in a string value");
	}
	if (f->kind == PB_K_WRAPPER) {
		W(pb_w_tag(&w->buf, f->number, PB_WT_LEN));
		W(pb_w_begin(&w->buf, &mark));
		if (!zero) {
			W(pb_w_tag(&w->buf, 1, scalar_wire_type(f->type)));
			TRY(put_wire(w, f->type, v, p, n));
		}
		W(pb_w_end(&w->buf, mark));
		return TARN_OK;
	}
	if (implicit && zero)
		return TARN_OK;
	W(pb_w_tag(&w->buf, f->number, scalar_wire_type(f->type)));
	return put_wire(w, f->type, v, p, n);
}

static tarn_rc write_fields(struct pw *w, const struct wmsg *pm, struct tarn_array *const *cols,
			    int64_t row)
{
	const struct pb_msg *m = pm->m;
	uint32_t gen = 0;
	if (m->n_oneofs) {
		gen = ++w->gen;
		if (gen == 0) {
			memset(w->oneof_gen, 0, sizeof *w->oneof_gen * (size_t)w->ps->n_oneofs);
			gen = w->gen = 1;
		}
	}
	for (int i = 0; i < pm->n; i++) {
		const struct wfield *wf = &pm->f[i];
		const struct pb_field *f = wf->f;
		const struct tarn_array *a = cols[wf->src];
		if (tarn_array_is_null(a, row)) {
			if (f->presence == PB_REQUIRED)
				return wfail(w, wf, "null in a required field");
			continue;
		}
		if (f->oneof >= 0) {
			int k = m->oneof_base + f->oneof;
			if (w->oneof_gen[k] == gen) {
				char why[200];
				snprintf(why, sizeof why,
					 "oneof %s already has a value in field %s; at most one "
					 "member may be non-null",
					 m->oneof_names[f->oneof], m->fields[w->oneof_who[k]].name);
				return wfail(w, wf, why);
			}
			w->oneof_gen[k] = gen;
			w->oneof_who[k] = (int32_t)(f - m->fields);
		}
		if (!f->repeated) {
			TRY(write_value(w, wf, a, row,
					f->presence == PB_IMPLICIT && f->oneof < 0 && !m->map_entry));
			continue;
		}
		int64_t lo = a->offsets[row], hi = a->offsets[row + 1];
		if (lo == hi)
			continue;
		const struct tarn_array *item = a->children[0];
		if (f->is_map) {
			/* Entries: key and value always written, as libprotobuf does. */
			for (int64_t j = lo; j < hi; j++) {
				size_t mark;
				W(pb_w_tag(&w->buf, f->number, PB_WT_LEN));
				W(pb_w_begin(&w->buf, &mark));
				TRY(write_fields(w, wf->sub, item->children, j));
				W(pb_w_end(&w->buf, mark));
			}
			continue;
		}
		for (int64_t j = lo; j < hi; j++)
			if (tarn_array_is_null(item, j))
				return wfail(w, wf, "null inside a list (protobuf repeated fields "
						    "cannot hold nulls)");
		if (f->packed) {
			size_t mark;
			W(pb_w_tag(&w->buf, f->number, PB_WT_LEN));
			W(pb_w_begin(&w->buf, &mark));
			for (int64_t j = lo; j < hi; j++) {
				uint64_t v = 0;
				const uint8_t *p = NULL;
				size_t n = 0;
				bool zero;
				TRY(scalar_value(w, wf, f, item, j, &v, &p, &n, &zero));
				TRY(put_wire(w, f->type, v, p, n));
			}
			W(pb_w_end(&w->buf, mark));
			continue;
		}
		for (int64_t j = lo; j < hi; j++)
			TRY(write_value(w, wf, item, j, false));
	}
	return TARN_OK;
}

/* ---- the writer ---------------------------------------------------------------- */

static tarn_rc flush(struct pw *w, struct tarn_err *err)
{
	if (w->buf.len) {
		TRY(tarn_output_write(w->base.out, w->buf.data, w->buf.len, err));
		w->buf.len = 0;
	}
	return TARN_OK;
}

static tarn_rc write_batch(struct tarn_writer *base, const struct tarn_batch *b,
			   struct tarn_err *err)
{
	struct pw *w = (struct pw *)base;
	w->err = err;
	for (int64_t r = 0; r < b->n_rows; r++) {
		size_t mark;
		W(pb_w_begin(&w->buf, &mark));
		TRY(write_fields(w, w->root, b->cols, r));
		W(pb_w_end(&w->buf, mark));
		w->row++;
		if (w->buf.len >= FLUSH_AT)
			TRY(flush(w, err));
	}
	return TARN_OK;
}

static tarn_rc write_finish(struct tarn_writer *base, struct tarn_err *err)
{
	return flush((struct pw *)base, err);
}

static void write_close(struct tarn_writer *base)
{
	struct pw *w = (struct pw *)base;
	tarn_buf_free(&w->buf);
	tarn_free(w->oneof_gen);
	tarn_free(w->oneof_who);
	tarn_arena_free(&w->arena);
	pb_schema_free(w->ps);
	tarn_free(w);
}

static const struct tarn_writer_ops ops = { write_batch, write_finish, write_close };

tarn_rc pb_writer_open_schema(struct tarn_output *out, struct tarn_schema *schema,
			      struct pb_schema *s, struct tarn_writer **wout,
			      struct tarn_err *err)
{
	*wout = NULL;
	struct pw *w = tarn_calloc(1, sizeof *w);
	if (!w) {
		pb_schema_free(s);
		return tarn_err_nomem(err, "protobuf writer");
	}
	w->ps = s;
	tarn_arena_init(&w->arena, 4096);
	tarn_buf_init(&w->buf);
	w->oneof_gen = tarn_calloc((size_t)s->n_oneofs + 1, sizeof *w->oneof_gen);
	w->oneof_who = tarn_calloc((size_t)s->n_oneofs + 1, sizeof *w->oneof_who);
	tarn_rc rc = TARN_OK;
	if (!w->oneof_gen || !w->oneof_who)
		rc = tarn_err_nomem(err, "protobuf writer");
	if (!rc)
		rc = plan_msg(w, s->root, schema->fields, schema->n_fields, NULL, &w->root, err);
	if (rc) {
		write_close(&w->base);
		return rc;
	}
	w->base.ops = &ops;
	w->base.format = &tarn_format_protobuf;
	w->base.out = out;
	w->base.schema = schema;
	tarn_schema_ref(schema);
	*wout = &w->base;
	return TARN_OK;
}
