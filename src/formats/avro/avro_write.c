/*
 * avro_write.c — the Avro writer: object container files with one of the
 * block codecs, a schema generated from the tarn schema or given with the
 * `schema` option, and an encode program compiled once per writer.
 *
 * Generated schema (docs/formats/avro.md has the table): a top-level
 * record (`record-name`, default "Row") with one field per column; a
 * nullable column is ["null", T] with default null. bool → boolean;
 * int8/16/32, uint8/16 → int; uint32, int64, uint64 → long (uint64 above
 * 2^63-1 is an error); float32 → float; float64 → double; decimal(p,s) →
 * bytes decimal(p,s); string → string; binary → bytes; date32 → int date;
 * time64[s/ms] → int time-millis, [us/ns] → long time-micros (ns must be
 * whole microseconds); timestamp[s/ms/us/ns] → long timestamp-millis/
 * -millis/-micros/-nanos with a zone, local-timestamp-* without; list →
 * array; struct → record (named after its path); struct<months, days,
 * millis> of uint32 (what the reader makes of a duration) → fixed(12)
 * duration; map<string, V> → map; a map with other keys → array of
 * record{key, value}. Names that are not valid Avro names are changed
 * (invalid characters to '_', a leading digit prefixed with '_', repeats
 * suffixed _2, _3, ...).
 *
 * With a given schema, columns are matched to the top-level record's
 * fields by name (or field alias); a field without a column is written with
 * its default; a column the schema lacks is an error. Values convert as
 * the schema asks: integers to int (range-checked per value) or long,
 * numbers to float/double, strings to enum symbols, string UUIDs to
 * fixed(16), timestamps and times between units (exact only), decimals to
 * a larger scale, a nullable column into a union with null, a struct of
 * memberN fields (the reader's general-union layout) into a union.
 *
 * Blocks: rows are encoded into blocks of about `block-size` bytes; full
 * blocks are encoded and compressed by tasks on the worker pool, several at
 * once, and written in order; the tail of a batch waits in `pending` for the
 * next batch, so small batches still make full blocks.
 *
 * Thread-safety: one writer per thread; encode tasks read the batch and
 * the program and write only their own buffers.
 */
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "base/pool.h"
#include "columnar/utf8.h"
#include "formats/avro/avro_int.h"

#define MAX_TASKS 16

enum wk {
	WK_NULL,
	WK_BOOL,
	WK_INT,       /* integer/date/time source → int (range-checked) */
	WK_LONG,      /* integer/time/timestamp source → long */
	WK_FLOAT,
	WK_DOUBLE,
	WK_BYTES,     /* string/binary → bytes or string */
	WK_UTF8,      /* binary → string: checked to be UTF-8 */
	WK_FIXED,     /* binary of exactly a bytes */
	WK_DEC_BYTES, /* decimal128 → bytes decimal */
	WK_DEC_FIXED, /* decimal128 → fixed(a) decimal */
	WK_UUID,      /* string → fixed(16) */
	WK_DURATION,  /* struct<months, days, millis> → fixed(12) */
	WK_ENUM,      /* string → symbol index */
	WK_RECORD,    /* kids a..a+n */
	WK_ARRAY,     /* list or map → array; item op a */
	WK_MAP,       /* map<string, V>; value op a */
	WK_UNION,     /* nullable value: null branch b (-1 none), value branch n, op a */
	WK_MEMBERS,   /* struct of memberN → union: kids a.. (op, branch) pairs, null branch b */
	WK_CONST,     /* pre-encoded default bytes: consts[a], n bytes */
};

struct wop {
	uint8_t kind;
	uint8_t src; /* tarn type id of the source array */
	int32_t slot;
	int32_t a, n, b;
	int64_t mul, div; /* unit conversion: value * mul / div (exact) */
	int scale_up;     /* decimal: multiply by 10^scale_up */
	int precision;    /* decimal: digits allowed after rescaling */
	const struct avro_node *node;
	const char *path;
};

struct awriter;

struct task {
	struct tarn_task task;
	struct awriter *w;
	const struct tarn_batch *b;
	int64_t r0, r1;
	bool pre; /* enc already holds the encoded rows (the open block) */
	int64_t rows;
	struct tarn_buf enc, out;
	tarn_rc rc;
	struct tarn_err err;
};

struct awriter {
	struct tarn_writer base;
	struct avro_schema *sch; /* the schema written (generated or given) */
	struct tarn_arena arena; /* paths, constants */
	struct wop *ops;
	int n_ops, cap_ops;
	int32_t *kids;
	int n_kids, cap_kids;
	int root;
	int n_slots;
	int codec, level;
	int64_t block_size;
	uint8_t sync[16];
	/* the open block */
	struct tarn_buf pending;
	int64_t pending_rows;
	struct tarn_buf comp;
	int64_t batch_base; /* rows of the batches before this one (for messages) */
	double bytes_per_row, enc_bytes, enc_rows;
	struct task tasks[MAX_TASKS];
	int n_tasks;
	const struct tarn_array **slots; /* calling thread's */
};

static const struct tarn_writer_ops writer_ops;

/* ---- names and the generated schema ----------------------------------------------------- */

struct gen {
	struct avro_schema *s;
	const char **used; /* record/fixed names taken */
	int n_used, cap_used;
	struct tarn_err *err;
};

static char *sanitize(struct gen *g, const char *name)
{
	size_t n = strlen(name);
	char *d = tarn_arena_alloc(&g->s->arena, n + 2);
	if (!d)
		return NULL;
	size_t k = 0;
	if (n == 0 || (name[0] >= '0' && name[0] <= '9'))
		d[k++] = '_';
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
			  c == '_';
		d[k++] = ok ? c : '_';
	}
	d[k] = '\0';
	return d;
}

/* s, or s_2, s_3, ... not in taken[0..n). */
static const char *unique(struct gen *g, const char *s, const char **taken, int n)
{
	for (int suffix = 1;; suffix++) {
		char buf[300];
		if (suffix == 1)
			snprintf(buf, sizeof buf, "%s", s);
		else
			snprintf(buf, sizeof buf, "%.280s_%d", s, suffix);
		bool clash = false;
		for (int i = 0; i < n && !clash; i++)
			clash = strcmp(taken[i], buf) == 0;
		if (!clash)
			return tarn_arena_strndup(&g->s->arena, buf, strlen(buf));
	}
}

static const char *type_name(struct gen *g, const char *want)
{
	const char *n = unique(g, want, g->used, g->n_used);
	if (!n)
		return NULL;
	if (g->n_used == g->cap_used) {
		int nc = g->cap_used ? g->cap_used * 2 : 16;
		const char **u = tarn_realloc(g->used, (size_t)nc * sizeof *u);
		if (!u)
			return NULL;
		g->used = u;
		g->cap_used = nc;
	}
	g->used[g->n_used++] = n;
	return n;
}

static bool is_duration(const struct tarn_type *t)
{
	static const char *const names[3] = { "months", "days", "millis" };
	if (t->id != TARN_T_STRUCT || t->n_children != 3)
		return false;
	for (int i = 0; i < 3; i++)
		if (t->children[i].type.id != TARN_T_UINT32 || !t->children[i].name ||
		    strcmp(t->children[i].name, names[i]) != 0)
			return false;
	return true;
}

static struct avro_node *gen_type(struct gen *g, const struct tarn_type *t, const char *hint,
				  int depth);

static struct avro_node *nullable_of(struct gen *g, struct avro_node *v)
{
	if (v->kind == AV_NULL)
		return v;
	struct avro_node *u = avro_node_new(g->s, AV_UNION);
	struct avro_node *nl = avro_node_new(g->s, AV_NULL);
	struct avro_node **br = tarn_arena_alloc(&g->s->arena, 2 * sizeof *br);
	if (!u || !nl || !br)
		return NULL;
	br[0] = nl;
	br[1] = v;
	u->branches = br;
	u->n_branches = 2;
	return u;
}

static struct avro_node *gen_field(struct gen *g, const struct tarn_field *f, const char *hint,
				   int depth)
{
	struct avro_node *v = gen_type(g, &f->type, hint, depth + 1);
	if (!v || !f->nullable)
		return v;
	return nullable_of(g, v);
}

static struct ajson null_json = { .kind = AJ_NULL };

/* Record fields for members f[0..n). */
static bool gen_fields(struct gen *g, struct avro_node *rec, const struct tarn_field *f, int n,
		       const char *hint, int depth)
{
	rec->fields = tarn_arena_alloc(&g->s->arena, (size_t)(n ? n : 1) * sizeof *rec->fields);
	const char **names = tarn_arena_alloc(&g->s->arena, (size_t)(n ? n : 1) * sizeof *names);
	if (!rec->fields || !names)
		return false;
	memset(rec->fields, 0, (size_t)(n ? n : 1) * sizeof *rec->fields);
	for (int i = 0; i < n; i++) {
		struct avro_field *af = &rec->fields[i];
		const char *s = sanitize(g, f[i].name ? f[i].name : "");
		if (!s)
			return false;
		af->name = unique(g, s, names, i);
		if (!af->name)
			return false;
		names[i] = af->name;
		char sub[300];
		snprintf(sub, sizeof sub, "%.140s_%.140s", hint, af->name);
		af->type = gen_field(g, &f[i], sub, depth);
		if (!af->type)
			return false;
		if (af->type->kind == AV_UNION || af->type->kind == AV_NULL)
			af->def = &null_json;
		af->src = i + 1;
		rec->n_fields++;
	}
	return true;
}

static struct avro_node *gen_type(struct gen *g, const struct tarn_type *t, const char *hint,
				  int depth)
{
	if (depth > AVRO_MAX_DEPTH)
		return NULL;
	struct avro_node *n = NULL;
	switch (t->id) {
	case TARN_T_NULL: return avro_node_new(g->s, AV_NULL);
	case TARN_T_BOOL: return avro_node_new(g->s, AV_BOOLEAN);
	case TARN_T_INT8:
	case TARN_T_INT16:
	case TARN_T_INT32:
	case TARN_T_UINT8:
	case TARN_T_UINT16: return avro_node_new(g->s, AV_INT);
	case TARN_T_UINT32:
	case TARN_T_INT64:
	case TARN_T_UINT64: return avro_node_new(g->s, AV_LONG);
	case TARN_T_FLOAT32: return avro_node_new(g->s, AV_FLOAT);
	case TARN_T_FLOAT64: return avro_node_new(g->s, AV_DOUBLE);
	case TARN_T_DECIMAL128:
		n = avro_node_new(g->s, AV_BYTES);
		if (n) {
			n->logical = AL_DECIMAL;
			n->precision = t->precision;
			n->scale = t->scale;
		}
		return n;
	case TARN_T_STRING: return avro_node_new(g->s, AV_STRING);
	case TARN_T_BINARY: return avro_node_new(g->s, AV_BYTES);
	case TARN_T_DATE32:
		n = avro_node_new(g->s, AV_INT);
		if (n)
			n->logical = AL_DATE;
		return n;
	case TARN_T_TIME64:
		n = avro_node_new(g->s, t->unit <= TARN_UNIT_MS ? AV_INT : AV_LONG);
		if (n)
			n->logical = t->unit <= TARN_UNIT_MS ? AL_TIME_MS : AL_TIME_US;
		return n;
	case TARN_T_TIMESTAMP: {
		static const enum avro_logical utc[4] = { AL_TS_MS, AL_TS_MS, AL_TS_US, AL_TS_NS };
		static const enum avro_logical local[4] = { AL_LTS_MS, AL_LTS_MS, AL_LTS_US, AL_LTS_NS };
		n = avro_node_new(g->s, AV_LONG);
		if (n)
			n->logical = t->tz ? utc[t->unit & 3] : local[t->unit & 3];
		return n;
	}
	case TARN_T_LIST: {
		n = avro_node_new(g->s, AV_ARRAY);
		if (n && !(n->items = gen_field(g, &t->children[0], hint, depth)))
			return NULL;
		return n;
	}
	case TARN_T_MAP: {
		const struct tarn_type *e = &t->children[0].type;
		if (e->children[0].type.id == TARN_T_STRING) {
			n = avro_node_new(g->s, AV_MAP);
			if (n && !(n->items = gen_field(g, &e->children[1], hint, depth)))
				return NULL;
			return n;
		}
		/* Avro map keys are strings: other keys make a list of pairs. */
		n = avro_node_new(g->s, AV_ARRAY);
		struct avro_node *rec = avro_node_new(g->s, AV_RECORD);
		char nm[300];
		snprintf(nm, sizeof nm, "%.280s_entry", hint);
		if (!n || !rec || !(rec->fullname = type_name(g, nm)))
			return NULL;
		if (!gen_fields(g, rec, e->children, 2, rec->fullname, depth))
			return NULL;
		n->items = rec;
		return n;
	}
	case TARN_T_STRUCT:
		if (is_duration(t)) {
			n = avro_node_new(g->s, AV_FIXED);
			if (!n || !(n->fullname = type_name(g, "duration")))
				return NULL;
			n->size = 12;
			n->logical = AL_DURATION;
			return n;
		}
		n = avro_node_new(g->s, AV_RECORD);
		if (!n || !(n->fullname = type_name(g, hint)))
			return NULL;
		if (!gen_fields(g, n, t->children, t->n_children, n->fullname, depth))
			return NULL;
		return n;
	default: return NULL;
	}
}

static tarn_rc gen_schema(const struct tarn_schema *ts, const char *record_name,
			  struct avro_schema **out, struct tarn_err *err)
{
	for (int i = 0; i < ts->n_fields; i++)
		if (ts->fields[i].type.id == TARN_T_INTERVAL)
			return tarn_err_set(err, TARN_EUNSUPPORTED,
					    "Avro writer: column '%s' is an interval, which tarn does "
					    "not write to Avro yet",
					    ts->fields[i].name);
	struct avro_schema *s;
	if (avro_schema_new(&s))
		return tarn_err_nomem(err, "Avro schema");
	struct gen g = { s, NULL, 0, 0, err };
	struct avro_node *root = avro_node_new(s, AV_RECORD);
	bool ok = root != NULL;
	if (ok) {
		const char *short_name = avro_short_name(record_name);
		root->fullname = type_name(&g, record_name);
		if (short_name != record_name)
			root->space = tarn_arena_strndup(&s->arena, record_name,
							 (size_t)(short_name - record_name - 1));
		ok = root->fullname && root->space &&
		     gen_fields(&g, root, ts->fields, ts->n_fields, short_name, 0);
	}
	tarn_free(g.used);
	if (!ok) {
		avro_schema_free(s);
		return tarn_err_set(err, TARN_ENOMEM, "out of memory building the Avro schema");
	}
	s->root = root;
	*out = s;
	return TARN_OK;
}

/* ---- the encode program --------------------------------------------------------------- */

struct wb {
	struct awriter *w;
	struct tarn_err *err;
	bool quiet; /* probing union branches: no messages */
};

static tarn_rc wnomem(struct wb *b)
{
	return tarn_err_nomem(b->err, "Avro writer");
}

static tarn_rc incompatible(struct wb *b, const char *path, const struct tarn_type *t,
			    const struct avro_node *n, const char *extra)
{
	if (b->quiet)
		return TARN_EDATA;
	struct tarn_buf tb;
	tarn_buf_init(&tb);
	if (tarn_type_to_text(t, &tb) || tarn_buf_cstr(&tb))
		tb.len = 0;
	const char *an = n->kind == AV_RECORD || n->kind == AV_ENUM || n->kind == AV_FIXED
				 ? n->fullname
				 : avro_kind_name(n->kind);
	tarn_rc rc = tarn_err_set(b->err, TARN_EDATA,
				  "Avro schema: column '%s' of type %s cannot be written as %s%s%s",
				  path, tb.len ? tb.data : "?", an, extra ? ": " : "",
				  extra ? extra : "");
	tarn_buf_free(&tb);
	return rc;
}

static int wemit(struct wb *b, struct wop op)
{
	struct awriter *w = b->w;
	if (w->n_ops == w->cap_ops) {
		int nc = w->cap_ops ? w->cap_ops * 2 : 64;
		struct wop *o = tarn_realloc(w->ops, (size_t)nc * sizeof *o);
		if (!o)
			return -1;
		w->ops = o;
		w->cap_ops = nc;
	}
	w->ops[w->n_ops] = op;
	return w->n_ops++;
}

static int wkids(struct wb *b, const int32_t *k, int n)
{
	struct awriter *w = b->w;
	if (w->n_kids + n > w->cap_kids) {
		int nc = w->cap_kids ? w->cap_kids : 64;
		while (nc < w->n_kids + n)
			nc *= 2;
		int32_t *v = tarn_realloc(w->kids, (size_t)nc * sizeof *v);
		if (!v)
			return -1;
		w->kids = v;
		w->cap_kids = nc;
	}
	int at = w->n_kids;
	if (n)
		memcpy(w->kids + at, k, (size_t)n * sizeof *k);
	w->n_kids += n;
	return at;
}

static tarn_rc wemit_one(struct wb *b, struct wop op, int *out)
{
	*out = wemit(b, op);
	return *out < 0 ? wnomem(b) : TARN_OK;
}

static int wslot_count(const struct tarn_type *t)
{
	int n = 1;
	for (int i = 0; i < t->n_children; i++)
		n += wslot_count(&t->children[i].type);
	return n;
}

static const char *wpath(struct wb *b, const char *path, const char *name)
{
	size_t a = path ? strlen(path) : 0, n = strlen(name);
	char *s = tarn_arena_alloc(&b->w->arena, a + n + 2);
	if (!s)
		return NULL;
	if (a) {
		memcpy(s, path, a);
		s[a++] = '.';
	}
	memcpy(s + a, name, n + 1);
	return s;
}

/* Avro binary of a default value (specification, field default values). */
static tarn_rc json_encode(struct wb *b, const struct avro_node *n, const struct ajson *v,
			   struct tarn_buf *out, const char *path, int depth);

static tarn_rc bad_default(struct wb *b, const char *path)
{
	return tarn_err_set(b->err, TARN_EDATA,
			    "Avro schema: field '%s': the default value does not fit its type", path);
}

static tarn_rc put_long(struct tarn_buf *out, int64_t v)
{
	uint8_t t[10];
	return tarn_buf_append(out, t, (size_t)avro_put_long(t, v));
}

static bool json_fits(const struct avro_node *n, const struct ajson *v)
{
	switch (n->kind) {
	case AV_NULL: return v->kind == AJ_NULL;
	case AV_BOOLEAN: return v->kind == AJ_BOOL;
	case AV_INT:
	case AV_LONG: return v->kind == AJ_NUM && v->is_int;
	case AV_FLOAT:
	case AV_DOUBLE: return v->kind == AJ_NUM || v->kind == AJ_STR;
	case AV_RECORD:
	case AV_MAP: return v->kind == AJ_OBJ;
	case AV_ARRAY: return v->kind == AJ_ARR;
	case AV_UNION: return false;
	default: return v->kind == AJ_STR;
	}
}

static tarn_rc json_encode(struct wb *b, const struct avro_node *n, const struct ajson *v,
			   struct tarn_buf *out, const char *path, int depth)
{
	if (depth > AVRO_MAX_DEPTH)
		return bad_default(b, path);
	switch (n->kind) {
	case AV_NULL: return v->kind == AJ_NULL ? TARN_OK : bad_default(b, path);
	case AV_BOOLEAN:
		if (v->kind != AJ_BOOL)
			return bad_default(b, path);
		return tarn_buf_putc(out, v->b ? 1 : 0);
	case AV_INT:
	case AV_LONG:
		if (v->kind != AJ_NUM || !v->is_int ||
		    (n->kind == AV_INT && (v->i < INT32_MIN || v->i > INT32_MAX)))
			return bad_default(b, path);
		return put_long(out, v->i);
	case AV_FLOAT:
	case AV_DOUBLE: {
		double d;
		if (v->kind == AJ_NUM)
			d = v->d;
		else if (v->kind == AJ_STR && strcmp(v->s, "NaN") == 0)
			d = __builtin_nan("");
		else if (v->kind == AJ_STR && strcmp(v->s, "Infinity") == 0)
			d = __builtin_inf();
		else if (v->kind == AJ_STR && strcmp(v->s, "-Infinity") == 0)
			d = -__builtin_inf();
		else
			return bad_default(b, path);
		if (n->kind == AV_FLOAT) {
			float f = (float)d;
			return tarn_buf_append(out, &f, 4);
		}
		return tarn_buf_append(out, &d, 8);
	}
	case AV_STRING:
		if (v->kind != AJ_STR)
			return bad_default(b, path);
		TRY(put_long(out, (int64_t)v->len));
		return tarn_buf_append(out, v->s, v->len);
	case AV_BYTES:
	case AV_FIXED: {
		if (v->kind != AJ_STR)
			return bad_default(b, path);
		struct tarn_buf bytes;
		tarn_buf_init(&bytes);
		const uint8_t *s = (const uint8_t *)v->s;
		tarn_rc rc = TARN_OK;
		for (size_t i = 0; i < v->len && rc == TARN_OK;) {
			unsigned cp = s[i];
			if (cp < 0x80) {
				i++;
			} else if ((cp & 0xe0) == 0xc0 && i + 1 < v->len) {
				cp = (cp & 0x1f) << 6 | (s[i + 1] & 0x3f);
				i += 2;
			} else {
				cp = 256;
			}
			rc = cp > 255 ? bad_default(b, path) : tarn_buf_putc(&bytes, (char)cp);
		}
		if (rc == TARN_OK && n->kind == AV_FIXED && (int64_t)bytes.len != n->size)
			rc = bad_default(b, path);
		if (rc == TARN_OK && n->kind == AV_BYTES)
			rc = put_long(out, (int64_t)bytes.len);
		if (rc == TARN_OK)
			rc = tarn_buf_append(out, bytes.data ? bytes.data : "", bytes.len);
		tarn_buf_free(&bytes);
		return rc;
	}
	case AV_ENUM:
		if (v->kind != AJ_STR)
			return bad_default(b, path);
		for (int i = 0; i < n->n_symbols; i++)
			if (strcmp(n->symbols[i], v->s) == 0)
				return put_long(out, i);
		return bad_default(b, path);
	case AV_RECORD:
		if (v->kind != AJ_OBJ)
			return bad_default(b, path);
		for (int i = 0; i < n->n_fields; i++) {
			const struct ajson *fv = avro_json_get(v, n->fields[i].name);
			if (!fv)
				fv = n->fields[i].def;
			if (!fv)
				return bad_default(b, path);
			TRY(json_encode(b, n->fields[i].type, fv, out, path, depth + 1));
		}
		return TARN_OK;
	case AV_ARRAY:
		if (v->kind != AJ_ARR)
			return bad_default(b, path);
		if (v->n) {
			TRY(put_long(out, v->n));
			for (int i = 0; i < v->n; i++)
				TRY(json_encode(b, n->items, v->items[i], out, path, depth + 1));
		}
		return tarn_buf_putc(out, 0);
	case AV_MAP:
		if (v->kind != AJ_OBJ)
			return bad_default(b, path);
		if (v->n) {
			TRY(put_long(out, v->n));
			for (int i = 0; i < v->n; i++) {
				size_t kl = strlen(v->keys[i]);
				TRY(put_long(out, (int64_t)kl));
				TRY(tarn_buf_append(out, v->keys[i], kl));
				TRY(json_encode(b, n->items, v->items[i], out, path, depth + 1));
			}
		}
		return tarn_buf_putc(out, 0);
	case AV_UNION:
		for (int i = 0; i < n->n_branches; i++)
			if (json_fits(n->branches[i], v)) {
				TRY(put_long(out, i));
				return json_encode(b, n->branches[i], v, out, path, depth + 1);
			}
		return bad_default(b, path);
	}
	return bad_default(b, path);
}

static bool is_int_type(enum tarn_type_id id)
{
	return tarn_type_is_integer(id);
}

static bool is_num_type(enum tarn_type_id id)
{
	return is_int_type(id) || id == TARN_T_FLOAT32 || id == TARN_T_FLOAT64;
}

static int64_t unit_per_sec(int u)
{
	return tarn_time_unit_per_second((enum tarn_time_unit)u);
}

/* mul/div taking a value in unit `from` to unit `to`. */
static void unit_conv(int from, int to, int64_t *mul, int64_t *div)
{
	int64_t a = unit_per_sec(from), c = unit_per_sec(to);
	*mul = c > a ? c / a : 1;
	*div = a > c ? a / c : 1;
}

static int logical_unit(enum avro_logical l)
{
	switch (l) {
	case AL_TIME_MS:
	case AL_TS_MS:
	case AL_LTS_MS: return TARN_UNIT_MS;
	case AL_TIME_US:
	case AL_TS_US:
	case AL_LTS_US: return TARN_UNIT_US;
	case AL_TS_NS:
	case AL_LTS_NS: return TARN_UNIT_NS;
	default: return -1;
	}
}

static tarn_rc wcompile(struct wb *b, const struct tarn_type *t, const struct avro_node *n, int slot,
			const char *path, int depth, int *out);

static tarn_rc wrecord(struct wb *b, const struct tarn_field *members, int n_members,
		       const struct avro_node *rec, int slot, const char *path, int depth, int *out)
{
	int nf = rec->n_fields;
	int32_t *tmp = tarn_malloc((size_t)(nf ? nf : 1) * sizeof *tmp);
	int *used = tarn_calloc((size_t)(n_members ? n_members : 1), sizeof *used);
	tarn_rc rc = (!tmp || !used) ? wnomem(b) : TARN_OK;
	int base = slot < 0 ? 0 : slot + 1;
	for (int i = 0; i < nf && rc == TARN_OK; i++) {
		const struct avro_field *af = &rec->fields[i];
		int m = af->src ? af->src - 1 : -1;
		for (int k = 0; k < n_members && m < 0; k++)
			if (members[k].name && strcmp(members[k].name, af->name) == 0)
				m = k;
		for (int k = 0; k < n_members && m < 0; k++)
			for (int x = 0; x < af->n_aliases && m < 0; x++)
				if (members[k].name && strcmp(members[k].name, af->aliases[x]) == 0)
					m = k;
		const char *sub = wpath(b, path, m >= 0 ? members[m].name : af->name);
		if (!sub) {
			rc = wnomem(b);
			break;
		}
		if (m < 0) {
			if (!af->def) {
				rc = b->quiet ? TARN_EDATA
					      : tarn_err_set(b->err, TARN_EDATA,
							     "Avro schema: field '%s' has no column "
							     "of that name and no default",
							     sub);
				break;
			}
			struct tarn_buf enc;
			tarn_buf_init(&enc);
			rc = json_encode(b, af->type, af->def, &enc, sub, depth + 1);
			char *c = rc ? NULL : tarn_arena_alloc(&b->w->arena, enc.len + 1);
			if (rc == TARN_OK && !c)
				rc = wnomem(b);
			if (rc == TARN_OK) {
				if (enc.len)
					memcpy(c, enc.data, enc.len);
				struct wop op = { .kind = WK_CONST, .slot = -1, .n = (int32_t)enc.len,
						  .path = sub, .node = (const struct avro_node *)c };
				int k;
				rc = wemit_one(b, op, &k);
				tmp[i] = k;
			}
			tarn_buf_free(&enc);
			continue;
		}
		used[m]++;
		int ms = base;
		for (int k = 0; k < m; k++)
			ms += wslot_count(&members[k].type);
		int k;
		/* Nullability is checked per value (a null where the Avro
		 * type has none is an error naming the row). */
		rc = wcompile(b, &members[m].type, af->type, ms, sub, depth + 1, &k);
		tmp[i] = k;
	}
	for (int k = 0; k < n_members && rc == TARN_OK; k++)
		if (!used[k])
			rc = b->quiet ? TARN_EDATA
				      : tarn_err_set(b->err, TARN_EDATA,
						     "Avro schema: column '%s%s%s' is not a field of "
						     "record '%s' (add it to the schema or drop the "
						     "column)",
						     path ? path : "", path ? "." : "",
						     members[k].name ? members[k].name : "",
						     rec->fullname);
	if (rc == TARN_OK) {
		int a = wkids(b, tmp, nf);
		struct wop op = { .kind = WK_RECORD, .slot = slot, .a = a, .n = nf, .path = path,
				  .node = rec };
		rc = a < 0 ? wnomem(b) : wemit_one(b, op, out);
	}
	tarn_free(tmp);
	tarn_free(used);
	return rc;
}

static bool members_shape(const struct tarn_type *t, int m)
{
	if (t->id != TARN_T_STRUCT || t->n_children != m || m < 2)
		return false;
	for (int i = 0; i < m; i++) {
		char want[24];
		snprintf(want, sizeof want, "member%d", i);
		if (!t->children[i].name || strcmp(t->children[i].name, want) != 0)
			return false;
	}
	return true;
}

static tarn_rc wunion(struct wb *b, const struct tarn_type *t, const struct avro_node *u, int slot,
		      const char *path, int depth, int *out)
{
	int null_idx = -1, m = 0;
	for (int i = 0; i < u->n_branches; i++) {
		if (u->branches[i]->kind == AV_NULL)
			null_idx = i;
		else
			m++;
	}
	if (members_shape(t, m)) {
		/* The reader's layout of a general union, written back as one. */
		int32_t *tmp = tarn_malloc((size_t)(2 * m) * sizeof *tmp);
		if (!tmp)
			return wnomem(b);
		tarn_rc rc = TARN_OK;
		int ms = slot + 1;
		for (int i = 0, k = 0; i < u->n_branches && rc == TARN_OK; i++) {
			if (u->branches[i]->kind == AV_NULL)
				continue;
			int op;
			rc = wcompile(b, &t->children[k].type, u->branches[i], ms, path, depth + 1, &op);
			tmp[2 * k] = op;
			tmp[2 * k + 1] = i;
			ms += wslot_count(&t->children[k].type);
			k++;
		}
		if (rc == TARN_OK) {
			int a = wkids(b, tmp, 2 * m);
			struct wop op = { .kind = WK_MEMBERS, .slot = slot, .a = a, .n = m,
					  .b = null_idx, .path = path, .node = u };
			rc = a < 0 ? wnomem(b) : wemit_one(b, op, out);
		}
		tarn_free(tmp);
		return rc;
	}
	if (t->id == TARN_T_NULL && null_idx >= 0) {
		struct wop op = { .kind = WK_UNION, .slot = slot, .a = -1, .b = null_idx, .n = -1,
				  .path = path, .node = u };
		return wemit_one(b, op, out);
	}
	/* The first branch the column fits. */
	bool was_quiet = b->quiet;
	for (int i = 0; i < u->n_branches; i++) {
		if (u->branches[i]->kind == AV_NULL)
			continue;
		int saved_ops = b->w->n_ops, saved_kids = b->w->n_kids;
		/* A probe: its messages go nowhere (the first error would
		 * otherwise stick in the caller's record). */
		struct tarn_err probe_err, *saved_err = b->err;
		tarn_err_clear(&probe_err);
		b->err = &probe_err;
		b->quiet = true;
		int op;
		tarn_rc rc = wcompile(b, t, u->branches[i], slot, path, depth + 1, &op);
		b->quiet = was_quiet;
		b->err = saved_err;
		if (rc && rc != TARN_EDATA)
			return tarn_err_set(b->err, rc, "%s", probe_err.msg[0] ? probe_err.msg
									: "Avro writer: out of memory");
		if (rc == TARN_OK) {
			struct wop w = { .kind = WK_UNION, .slot = slot, .a = op, .b = null_idx, .n = i,
					 .path = path, .node = u };
			return wemit_one(b, w, out);
		}
		if (rc != TARN_EDATA)
			return rc;
		b->w->n_ops = saved_ops;
		b->w->n_kids = saved_kids;
	}
	return incompatible(b, path, t, u, "no branch of the union fits");
}

static tarn_rc wcompile(struct wb *b, const struct tarn_type *t, const struct avro_node *n, int slot,
			const char *path, int depth, int *out)
{
	if (depth > AVRO_MAX_DEPTH)
		return tarn_err_set(b->err, TARN_ELIMIT, "Avro schema nested deeper than %d",
				    AVRO_MAX_DEPTH);
	if (n->kind == AV_UNION)
		return wunion(b, t, n, slot, path, depth, out);
	struct wop op = { .slot = slot, .src = (uint8_t)t->id, .mul = 1, .div = 1, .path = path,
			  .node = n };
	enum tarn_type_id id = t->id;
	switch (n->kind) {
	case AV_NULL:
		op.kind = WK_NULL;
		break;
	case AV_BOOLEAN:
		if (id != TARN_T_BOOL)
			return incompatible(b, path, t, n, NULL);
		op.kind = WK_BOOL;
		break;
	case AV_INT:
	case AV_LONG: {
		op.kind = n->kind == AV_INT ? WK_INT : WK_LONG;
		int lu = logical_unit(n->logical);
		if (is_int_type(id) || id == TARN_T_DATE32) {
			break;
		} else if (id == TARN_T_TIME64 || id == TARN_T_TIMESTAMP) {
			if (lu >= 0)
				unit_conv(t->unit, lu, &op.mul, &op.div);
			break;
		}
		return incompatible(b, path, t, n, NULL);
	}
	case AV_FLOAT:
	case AV_DOUBLE:
		if (!is_num_type(id))
			return incompatible(b, path, t, n, NULL);
		op.kind = n->kind == AV_FLOAT ? WK_FLOAT : WK_DOUBLE;
		break;
	case AV_BYTES:
	case AV_STRING:
		if (id == TARN_T_DECIMAL128 && n->kind == AV_BYTES && n->logical == AL_DECIMAL) {
			if (t->scale > n->scale)
				return incompatible(b, path, t, n, "the schema's scale is smaller");
			op.kind = WK_DEC_BYTES;
			op.scale_up = n->scale - t->scale;
			op.precision = n->precision;
			break;
		}
		if (id == TARN_T_STRING || id == TARN_T_BINARY) {
			op.kind = id == TARN_T_BINARY && n->kind == AV_STRING ? WK_UTF8 : WK_BYTES;
			break;
		}
		return incompatible(b, path, t, n, NULL);
	case AV_FIXED:
		op.a = (int32_t)n->size;
		if (n->logical == AL_DECIMAL && id == TARN_T_DECIMAL128) {
			if (t->scale > n->scale)
				return incompatible(b, path, t, n, "the schema's scale is smaller");
			op.kind = WK_DEC_FIXED;
			op.scale_up = n->scale - t->scale;
			op.precision = n->precision;
		} else if (n->logical == AL_UUID && id == TARN_T_STRING) {
			op.kind = WK_UUID;
		} else if (n->size == 12 && is_duration(t)) {
			op.kind = WK_DURATION;
		} else if (id == TARN_T_BINARY) {
			op.kind = WK_FIXED;
		} else {
			return incompatible(b, path, t, n, NULL);
		}
		break;
	case AV_ENUM:
		if (id != TARN_T_STRING)
			return incompatible(b, path, t, n, NULL);
		op.kind = WK_ENUM;
		break;
	case AV_RECORD:
		if (id != TARN_T_STRUCT)
			return incompatible(b, path, t, n, NULL);
		return wrecord(b, t->children, t->n_children, n, slot, path, depth, out);
	case AV_ARRAY: {
		if (id != TARN_T_LIST && id != TARN_T_MAP)
			return incompatible(b, path, t, n, NULL);
		op.kind = WK_ARRAY;
		int item;
		TRY(wcompile(b, &t->children[0].type, n->items, slot + 1, path, depth + 1, &item));
		op.a = item;
		break;
	}
	case AV_MAP: {
		if (id != TARN_T_MAP || t->children[0].type.children[0].type.id != TARN_T_STRING)
			return incompatible(b, path, t, n, "Avro map keys are strings");
		op.kind = WK_MAP;
		const struct tarn_type *e = &t->children[0].type;
		int val;
		TRY(wcompile(b, &e->children[1].type, n->items, slot + 2 + wslot_count(&e->children[0].type),
			     path, depth + 1, &val));
		op.a = val;
		break;
	}
	case AV_UNION: return TARN_EINTERNAL;
	}
	return wemit_one(b, op, out);
}

/* ---- encoding ------------------------------------------------------------------------ */

struct enc {
	const struct awriter *w;
	const struct tarn_array **slots;
	struct tarn_buf *b;
	int64_t row; /* row in the file, for messages */
	struct tarn_err *err;
};

static inline tarn_rc room(struct tarn_buf *b, size_t n)
{
	if (LIKELY(b->cap - b->len >= n))
		return TARN_OK;
	return tarn_buf_reserve(b, n);
}

static inline void put_varint(struct tarn_buf *b, int64_t v)
{
	b->len += (size_t)avro_put_long((uint8_t *)b->data + b->len, v);
}

static tarn_rc vfail(struct enc *e, const struct wop *op, const char *why)
{
	return tarn_err_set(e->err, TARN_EDATA, "row %lld, column '%s': %s", (long long)e->row,
			    op->path ? op->path : "", why);
}

static inline int64_t get_int(const struct tarn_array *a, int64_t i)
{
	return tarn_array_get_int(a, i);
}

static tarn_rc enc_value(struct enc *e, const struct wop *op, int64_t i);

static tarn_rc enc_value(struct enc *e, const struct wop *op, int64_t i)
{
	const struct tarn_array *a = op->slot >= 0 ? e->slots[op->slot] : NULL;
	struct tarn_buf *b = e->b;
	if (a && op->kind != WK_UNION && op->kind != WK_MEMBERS && op->kind != WK_NULL &&
	    tarn_array_is_null(a, i))
		return vfail(e, op, "a null value, but the Avro type is not nullable");
	TRY(room(b, 16));
	switch (op->kind) {
	case WK_NULL:
		if (a && a->type->id != TARN_T_NULL && !tarn_array_is_null(a, i))
			return vfail(e, op, "a value where the Avro type is null");
		return TARN_OK;
	case WK_BOOL: b->data[b->len++] = (char)tarn_bit_get(a->values, i); return TARN_OK;
	case WK_INT:
	case WK_LONG: {
		int64_t v;
		if (op->src == TARN_T_UINT64) {
			uint64_t u = tarn_array_get_uint(a, i);
			if (u > INT64_MAX)
				return vfail(e, op, "a uint64 value above 2^63-1 does not fit Avro long");
			v = (int64_t)u;
		} else {
			v = get_int(a, i);
		}
		if (op->mul != 1 && __builtin_mul_overflow(v, op->mul, &v))
			return vfail(e, op, "the value overflows after converting its time unit");
		if (op->div != 1) {
			if (v % op->div)
				return vfail(e, op, "the value has more precision than the Avro type's "
						    "time unit");
			v /= op->div;
		}
		if (op->kind == WK_INT && (v < INT32_MIN || v > INT32_MAX))
			return vfail(e, op, "the value does not fit Avro int (32 bits)");
		put_varint(b, v);
		return TARN_OK;
	}
	case WK_FLOAT:
	case WK_DOUBLE: {
		double d;
		if (op->src == TARN_T_FLOAT64 || op->src == TARN_T_FLOAT32)
			d = tarn_array_get_double(a, i);
		else if (op->src == TARN_T_UINT64)
			d = (double)tarn_array_get_uint(a, i);
		else
			d = (double)get_int(a, i);
		if (op->kind == WK_FLOAT) {
			float f = (float)d;
			memcpy(b->data + b->len, &f, 4);
			b->len += 4;
		} else {
			memcpy(b->data + b->len, &d, 8);
			b->len += 8;
		}
		return TARN_OK;
	}
	case WK_BYTES:
	case WK_UTF8: {
		size_t n;
		const uint8_t *p = tarn_array_get_bytes(a, i, &n);
		if (op->kind == WK_UTF8 && !tarn_utf8_valid(p, n, NULL))
			return vfail(e, op, "binary value is not UTF-8, as an Avro string must be");
		TRY(room(b, n + 10));
		put_varint(b, (int64_t)n);
		memcpy(b->data + b->len, p, n);
		b->len += n;
		return TARN_OK;
	}
	case WK_FIXED: {
		size_t n;
		const uint8_t *p = tarn_array_get_bytes(a, i, &n);
		if ((int64_t)n != op->a)
			return vfail(e, op, "binary value's length differs from the fixed size");
		TRY(room(b, n));
		memcpy(b->data + b->len, p, n);
		b->len += n;
		return TARN_OK;
	}
	case WK_DEC_BYTES:
	case WK_DEC_FIXED: {
		tarn_i128 v = tarn_array_get_decimal(a, i);
		for (int k = 0; k < op->scale_up; k++)
			if (__builtin_mul_overflow(v, (tarn_i128)10, &v))
				return vfail(e, op, "the decimal overflows at the schema's scale");
		tarn_i128 lim = 1;
		for (int k = 0; k < op->precision && k < 38; k++)
			lim *= 10;
		if (op->precision <= 38 && (v >= lim || v <= -lim))
			return vfail(e, op, "the decimal has more digits than the schema's precision");
		uint8_t be[16];
		unsigned __int128 u = (unsigned __int128)v;
		for (int k = 15; k >= 0; k--) {
			be[k] = (uint8_t)u;
			u >>= 8;
		}
		/* Fewest bytes that keep the sign. */
		int start = 0;
		while (start < 15 && ((be[start] == 0 && !(be[start + 1] & 0x80)) ||
				      (be[start] == 0xff && (be[start + 1] & 0x80))))
			start++;
		int len = 16 - start;
		if (op->kind == WK_DEC_BYTES) {
			put_varint(b, len);
			TRY(room(b, 16));
			memcpy(b->data + b->len, be + start, (size_t)len);
			b->len += (size_t)len;
			return TARN_OK;
		}
		if (len > op->a)
			return vfail(e, op, "the decimal does not fit the fixed size");
		TRY(room(b, (size_t)op->a));
		memset(b->data + b->len, v < 0 ? 0xff : 0, (size_t)(op->a - len));
		memcpy(b->data + b->len + (op->a - len), be + start, (size_t)len);
		b->len += (size_t)op->a;
		return TARN_OK;
	}
	case WK_UUID: {
		size_t n;
		const uint8_t *p = tarn_array_get_bytes(a, i, &n);
		uint8_t u[16];
		int k = 0;
		for (size_t j = 0; j < n && k < 32; j++) {
			char c = (char)p[j];
			int h = (c >= '0' && c <= '9')   ? c - '0'
				: (c >= 'a' && c <= 'f') ? c - 'a' + 10
				: (c >= 'A' && c <= 'F') ? c - 'A' + 10
							 : -1;
			if (h < 0) {
				if (c == '-' && (j == 8 || j == 13 || j == 18 || j == 23) && n == 36)
					continue;
				return vfail(e, op, "not a UUID (32 hex digits, dashes optional)");
			}
			if (k & 1)
				u[k / 2] = (uint8_t)(u[k / 2] | h);
			else
				u[k / 2] = (uint8_t)(h << 4);
			k++;
		}
		if (k != 32 || (n != 32 && n != 36))
			return vfail(e, op, "not a UUID (32 hex digits, dashes optional)");
		memcpy(b->data + b->len, u, 16);
		b->len += 16;
		return TARN_OK;
	}
	case WK_DURATION:
		for (int k = 0; k < 3; k++) {
			const struct tarn_array *c = a->children[k];
			uint32_t x = tarn_array_is_null(c, i) ? 0 : (uint32_t)tarn_array_get_uint(c, i);
			uint8_t le[4] = { (uint8_t)x, (uint8_t)(x >> 8), (uint8_t)(x >> 16),
					  (uint8_t)(x >> 24) };
			memcpy(b->data + b->len, le, 4);
			b->len += 4;
		}
		return TARN_OK;
	case WK_ENUM: {
		size_t n;
		const uint8_t *p = tarn_array_get_bytes(a, i, &n);
		const struct avro_node *en = op->node;
		for (int k = 0; k < en->n_symbols; k++)
			if (strlen(en->symbols[k]) == n && memcmp(en->symbols[k], p, n) == 0) {
				put_varint(b, k);
				return TARN_OK;
			}
		char why[200];
		snprintf(why, sizeof why, "'%.*s' is not a symbol of enum '%s'", (int)(n > 60 ? 60 : n),
			 (const char *)p, en->fullname);
		return vfail(e, op, why);
	}
	case WK_RECORD: {
		const int32_t *k = e->w->kids + op->a;
		for (int f = 0; f < op->n; f++)
			TRY(enc_value(e, &e->w->ops[k[f]], i));
		return TARN_OK;
	}
	case WK_ARRAY:
	case WK_MAP: {
		int32_t s = a->offsets[i], t = a->offsets[i + 1];
		if (t > s) {
			put_varint(b, t - s);
			const struct wop *item = &e->w->ops[op->a];
			const struct tarn_array *keys =
				op->kind == WK_MAP ? a->children[0]->children[0] : NULL;
			for (int32_t j = s; j < t; j++) {
				if (keys) {
					size_t n;
					const uint8_t *p = tarn_array_get_bytes(keys, j, &n);
					TRY(room(b, n + 10));
					put_varint(b, (int64_t)n);
					memcpy(b->data + b->len, p, n);
					b->len += n;
				}
				TRY(enc_value(e, item, j));
			}
			TRY(room(b, 1));
		}
		b->data[b->len++] = 0;
		return TARN_OK;
	}
	case WK_UNION:
		if (tarn_array_is_null(a, i)) {
			if (op->b < 0)
				return vfail(e, op, "a null value, but the Avro union has no null");
			put_varint(b, op->b);
			return TARN_OK;
		}
		if (op->a < 0)
			return vfail(e, op, "a value where the Avro type is null");
		put_varint(b, op->n);
		return enc_value(e, &e->w->ops[op->a], i);
	case WK_MEMBERS: {
		if (tarn_array_is_null(a, i)) {
			if (op->b < 0)
				return vfail(e, op, "a null value, but the Avro union has no null");
			put_varint(b, op->b);
			return TARN_OK;
		}
		int set = -1;
		for (int m = 0; m < op->n; m++)
			if (!tarn_array_is_null(a->children[m], i)) {
				if (set >= 0)
					return vfail(e, op, "more than one union member is set");
				set = m;
			}
		if (set < 0) {
			if (op->b < 0)
				return vfail(e, op, "no union member is set and the union has no null");
			put_varint(b, op->b);
			return TARN_OK;
		}
		const int32_t *k = e->w->kids + op->a;
		put_varint(b, k[2 * set + 1]);
		return enc_value(e, &e->w->ops[k[2 * set]], i);
	}
	case WK_CONST:
		TRY(room(b, (size_t)op->n));
		memcpy(b->data + b->len, op->node, (size_t)op->n);
		b->len += (size_t)op->n;
		return TARN_OK;
	}
	return TARN_EINTERNAL;
}

static void bind_slots(const struct tarn_array *a, const struct tarn_array **slots, int *i)
{
	slots[(*i)++] = a;
	for (int c = 0; c < a->n_children; c++)
		bind_slots(a->children[c], slots, i);
}

static void slots_of(const struct tarn_batch *b, const struct tarn_array **slots)
{
	int i = 0;
	for (int c = 0; c < b->n_cols; c++)
		bind_slots(b->cols[c], slots, &i);
}

/* Encodes rows [r0, r1) of batch b onto out. */
static tarn_rc encode_rows(const struct awriter *w, const struct tarn_array **slots, int64_t r0,
			   int64_t r1, int64_t row_base, struct tarn_buf *out, struct tarn_err *err)
{
	struct enc e = { w, slots, out, 0, err };
	const struct wop *root = &w->ops[w->root];
	for (int64_t i = r0; i < r1; i++) {
		e.row = row_base + i;
		if (root->kind == WK_RECORD && root->slot < 0) {
			const int32_t *k = w->kids + root->a;
			for (int f = 0; f < root->n; f++)
				TRY(enc_value(&e, &w->ops[k[f]], i));
		} else {
			TRY(enc_value(&e, root, i));
		}
	}
	return TARN_OK;
}

/* Appends one block (count, size, data, sync) to out. */
static tarn_rc block_out(const struct awriter *w, int64_t rows, const struct tarn_buf *data,
			 struct tarn_buf *out)
{
	uint8_t h[20];
	int k = avro_put_long(h, rows);
	k += avro_put_long(h + k, (int64_t)data->len);
	TRY(tarn_buf_append(out, h, (size_t)k));
	TRY(tarn_buf_append(out, data->data ? data->data : "", data->len));
	return tarn_buf_append(out, w->sync, 16);
}

static void task_run(void *arg)
{
	struct task *t = arg;
	struct awriter *w = t->w;
	t->rc = TARN_OK;
	tarn_err_clear(&t->err);
	t->out.len = 0;
	if (!t->pre) {
		t->enc.len = 0;
		t->rows = t->r1 - t->r0;
		const struct tarn_array **slots =
			tarn_malloc((size_t)(w->n_slots ? w->n_slots : 1) * sizeof *slots);
		if (!slots) {
			t->rc = tarn_err_nomem(&t->err, "Avro writer");
			return;
		}
		slots_of(t->b, slots);
		t->rc = encode_rows(w, slots, t->r0, t->r1, w->batch_base, &t->enc, &t->err);
		tarn_free(slots);
		if (t->rc)
			return;
	}
	struct tarn_buf comp;
	tarn_buf_init(&comp);
	t->rc = avro_compress(w->codec, w->level, (const uint8_t *)t->enc.data, t->enc.len, &comp);
	if (t->rc == TARN_OK)
		t->rc = block_out(w, t->rows, &comp, &t->out);
	tarn_buf_free(&comp);
	if (t->rc)
		tarn_err_set(&t->err, t->rc, "Avro writer: cannot compress a block (%s)",
			     tarn_rc_name(t->rc));
}

static tarn_rc flush_pending(struct awriter *w, struct tarn_err *err)
{
	if (w->pending_rows == 0)
		return TARN_OK;
	w->comp.len = 0;
	tarn_rc rc = avro_compress(w->codec, w->level, (const uint8_t *)w->pending.data,
				   w->pending.len, &w->comp);
	if (rc)
		return tarn_err_set(err, rc, "Avro writer: cannot compress a block (%s)",
				    tarn_rc_name(rc));
	struct tarn_buf blk;
	tarn_buf_init(&blk);
	rc = block_out(w, w->pending_rows, &w->comp, &blk);
	if (rc == TARN_OK)
		rc = tarn_output_write(w->base.out, blk.data, blk.len, err);
	else
		rc = tarn_err_nomem(err, "Avro writer");
	tarn_buf_free(&blk);
	w->pending.len = 0;
	w->pending_rows = 0;
	return rc;
}

static void note_size(struct awriter *w, size_t bytes, int64_t rows)
{
	w->enc_bytes += (double)bytes;
	w->enc_rows += (double)rows;
	w->bytes_per_row = w->enc_bytes / w->enc_rows;
	if (w->bytes_per_row < 0.01)
		w->bytes_per_row = 0.01;
}

static tarn_rc writer_write(struct tarn_writer *base, const struct tarn_batch *b, struct tarn_err *err)
{
	struct awriter *w = (struct awriter *)base;
	int64_t n = b->n_rows, r = 0;
	slots_of(b, w->slots);
	/* Fill the open block first; with nothing known yet, a probe of a
	 * few rows measures their size. */
	if (w->bytes_per_row <= 0 && n > 0) {
		int64_t k = n < 1024 ? n : 1024;
		size_t before = w->pending.len;
		TRY(encode_rows(w, w->slots, 0, k, w->batch_base, &w->pending, err));
		note_size(w, w->pending.len - before, k);
		w->pending_rows += k;
		r = k;
	}
	while (r < n && w->pending_rows > 0 && (int64_t)w->pending.len < w->block_size) {
		int64_t k = (int64_t)(((double)w->block_size - (double)w->pending.len) /
				      w->bytes_per_row) + 1;
		if (k > n - r)
			k = n - r;
		size_t before = w->pending.len;
		TRY(encode_rows(w, w->slots, r, r + k, w->batch_base, &w->pending, err));
		note_size(w, w->pending.len - before, k);
		w->pending_rows += k;
		r += k;
	}
	/* Rounds of whole blocks, encoded and compressed in parallel (the
	 * open block too once full), written in order. */
	for (;;) {
		int64_t per = (int64_t)((double)w->block_size / w->bytes_per_row) + 1;
		int nt = 0;
		if (w->pending_rows > 0 && (int64_t)w->pending.len >= w->block_size) {
			struct task *t = &w->tasks[nt++];
			struct tarn_buf tmp = t->enc;
			t->enc = w->pending;
			w->pending = tmp;
			w->pending.len = 0;
			t->pre = true;
			t->rows = w->pending_rows;
			w->pending_rows = 0;
		}
		while (nt < w->n_tasks && w->pending_rows == 0 && n - r >= per) {
			struct task *t = &w->tasks[nt++];
			t->pre = false;
			t->r0 = r;
			t->r1 = r + per;
			r += per;
		}
		if (nt == 0)
			break;
		for (int i = 0; i < nt; i++) {
			struct task *t = &w->tasks[i];
			t->w = w;
			t->b = b;
			t->task.fn = task_run;
			t->task.arg = t;
			tarn_pool_submit(&t->task);
		}
		tarn_rc rc = TARN_OK;
		for (int i = 0; i < nt; i++) {
			struct task *t = &w->tasks[i];
			tarn_task_wait(&t->task);
			if (rc == TARN_OK && t->rc)
				rc = tarn_err_set(err, t->rc, "%s", t->err.msg);
			if (rc == TARN_OK) {
				if (!t->pre)
					note_size(w, t->enc.len, t->rows);
				rc = tarn_output_write(w->base.out, t->out.data, t->out.len, err);
			}
		}
		if (rc)
			return rc;
	}
	/* The tail opens the next block. */
	if (r < n) {
		size_t before = w->pending.len;
		TRY(encode_rows(w, w->slots, r, n, w->batch_base, &w->pending, err));
		note_size(w, w->pending.len - before, n - r);
		w->pending_rows += n - r;
	}
	w->batch_base += n;
	return TARN_OK;
}

static tarn_rc writer_finish(struct tarn_writer *base, struct tarn_err *err)
{
	struct awriter *w = (struct awriter *)base;
	return flush_pending(w, err);
}

static void writer_close(struct tarn_writer *base)
{
	struct awriter *w = (struct awriter *)base;
	for (int i = 0; i < MAX_TASKS; i++) {
		tarn_buf_free(&w->tasks[i].enc);
		tarn_buf_free(&w->tasks[i].out);
	}
	tarn_buf_free(&w->pending);
	tarn_buf_free(&w->comp);
	tarn_free(w->ops);
	tarn_free(w->kids);
	tarn_free(w->slots);
	avro_schema_free(w->sch);
	tarn_arena_free(&w->arena);
	tarn_free(w);
}

static const struct tarn_writer_ops writer_ops = { .write = writer_write,
						    .finish = writer_finish,
						    .close = writer_close };

/* ---- open --------------------------------------------------------------------------------- */

static void make_sync(uint8_t *sync)
{
	if (getrandom(sync, 16, 0) == 16)
		return;
	/* No entropy source: time, pid and an address, mixed. */
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	uint64_t x = (uint64_t)ts.tv_nsec ^ (uint64_t)ts.tv_sec << 30 ^ (uint64_t)getpid() << 48 ^
		     (uint64_t)(uintptr_t)sync;
	for (int i = 0; i < 16; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		sync[i] = (uint8_t)(x >> 24);
	}
}

static tarn_rc write_header(struct awriter *w, struct tarn_err *err)
{
	struct tarn_buf js, h;
	tarn_buf_init(&js);
	tarn_buf_init(&h);
	tarn_rc rc = avro_schema_write_json(w->sch->root, &js);
	const char *codec = avro_codec_name(w->codec);
	if (rc == TARN_OK)
		rc = tarn_buf_append(&h, "Obj\x01", 4);
	if (rc == TARN_OK)
		rc = put_long(&h, 2);
	if (rc == TARN_OK)
		rc = put_long(&h, 11);
	if (rc == TARN_OK)
		rc = tarn_buf_append(&h, "avro.schema", 11);
	if (rc == TARN_OK)
		rc = put_long(&h, (int64_t)js.len);
	if (rc == TARN_OK)
		rc = tarn_buf_append(&h, js.data, js.len);
	if (rc == TARN_OK)
		rc = put_long(&h, 10);
	if (rc == TARN_OK)
		rc = tarn_buf_append(&h, "avro.codec", 10);
	if (rc == TARN_OK)
		rc = put_long(&h, (int64_t)strlen(codec));
	if (rc == TARN_OK)
		rc = tarn_buf_append(&h, codec, strlen(codec));
	if (rc == TARN_OK)
		rc = tarn_buf_putc(&h, 0);
	if (rc == TARN_OK)
		rc = tarn_buf_append(&h, w->sync, 16);
	if (rc)
		rc = tarn_err_nomem(err, "Avro header");
	else
		rc = tarn_output_write(w->base.out, h.data, h.len, err);
	tarn_buf_free(&js);
	tarn_buf_free(&h);
	return rc;
}

static tarn_rc parse_wopts(struct awriter *w, const struct tarn_opts *o, struct tarn_err *err)
{
	const char *c = tarn_opts_get(o, "compression");
	w->codec = AC_DEFLATE;
	if (c) {
		w->codec = avro_codec_parse(c, strlen(c), true);
		if (w->codec < 0)
			return tarn_err_set(err, TARN_EUSAGE,
					    "option compression: '%s' is not an Avro codec (deflate, "
					    "snappy, zstandard, bzip2, xz, null)",
					    c);
	}
	int64_t level;
	TRY(tarn_opts_int(o, "compression-level", 0, &level, err));
	static const int max_level[] = { 0, 9, 0, 22, 9, 9 };
	if (level < 0 || level > max_level[w->codec] || (level == 0 && tarn_opts_get(o, "compression-level") &&
							 w->codec != AC_XZ))
		return tarn_err_set(err, TARN_EUSAGE,
				    "option compression-level: %lld is not a level of %s (%s)",
				    (long long)level, avro_codec_name(w->codec),
				    w->codec == AC_XZ ? "0..9" : max_level[w->codec] ? "1..max" : "none");
	w->level = (int)level;
	TRY(tarn_opts_size(o, "block-size", 1 << 20, 16, (int64_t)1 << 30, &w->block_size, err));
	return TARN_OK;
}

tarn_rc avro_open_writer(struct tarn_output *out, struct tarn_schema *schema,
			 const struct tarn_opts *opts, struct tarn_writer **wout,
			 struct tarn_err *err)
{
	*wout = NULL;
	struct awriter *w = tarn_calloc(1, sizeof *w);
	if (!w)
		return tarn_err_nomem(err, "Avro writer");
	w->base.ops = &writer_ops;
	w->base.out = out;
	tarn_arena_init(&w->arena, 16 * 1024);
	tarn_buf_init(&w->pending);
	tarn_buf_init(&w->comp);
	for (int i = 0; i < MAX_TASKS; i++) {
		tarn_buf_init(&w->tasks[i].enc);
		tarn_buf_init(&w->tasks[i].out);
	}
	tarn_rc rc = TARN_OK;
	TRY_OUT(parse_wopts(w, opts, err));
	const char *path = tarn_opts_get(opts, "schema");
	if (path && *path) {
		TRY_OUT(avro_schema_load(path, &w->sch, err));
	} else {
		const char *rn = tarn_opts_get(opts, "record-name");
		if (!rn || !*rn)
			rn = "Row";
		const char *p = rn;
		for (const char *q = rn;; q++) {
			if (*q == '.' || *q == '\0') {
				char part[256];
				size_t len = (size_t)(q - p);
				snprintf(part, sizeof part, "%.*s", (int)(len < 255 ? len : 255), p);
				if (!len || len > 255 || !avro_name_valid(part)) {
					rc = tarn_err_set(err, TARN_EUSAGE,
							  "option record-name: '%s' is not a valid "
							  "Avro name (letters, digits, _; dots "
							  "between namespace parts)",
							  rn);
					goto out;
				}
				if (!*q)
					break;
				p = q + 1;
			}
		}
		TRY_OUT(gen_schema(schema, rn, &w->sch, err));
	}
	int slots = 0;
	for (int i = 0; i < schema->n_fields; i++)
		slots += wslot_count(&schema->fields[i].type);
	w->n_slots = slots;
	w->slots = tarn_calloc((size_t)(slots ? slots : 1), sizeof *w->slots);
	if (!w->slots) {
		rc = tarn_err_nomem(err, "Avro writer");
		goto out;
	}
	struct wb b = { w, err, false };
	const struct avro_node *root = w->sch->root;
	if (root->kind == AV_RECORD) {
		TRY_OUT(wrecord(&b, schema->fields, schema->n_fields, root, -1, NULL, 0, &w->root));
	} else if (schema->n_fields == 1) {
		TRY_OUT(wcompile(&b, &schema->fields[0].type, root, 0, schema->fields[0].name, 0,
				 &w->root));
	} else {
		rc = tarn_err_set(err, TARN_EDATA,
				  "Avro schema: the top-level type is %s, not a record; the table "
				  "must then have exactly one column (it has %d)",
				  avro_kind_name(root->kind), schema->n_fields);
		goto out;
	}
	int pool = tarn_pool_size();
	w->n_tasks = pool * 8 > MAX_TASKS ? MAX_TASKS : pool * 8;
	if (w->n_tasks < 1)
		w->n_tasks = 1;
	make_sync(w->sync);
	TRY_OUT(write_header(w, err));
	tarn_schema_ref(schema);
	w->base.schema = schema;
	*wout = &w->base;
	return TARN_OK;
out:
	w->base.schema = NULL;
	writer_close(&w->base);
	return rc;
}
