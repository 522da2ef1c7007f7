/*
 * arrow_c.c — the Arrow C Data and Stream Interfaces
 * (https://arrow.apache.org/docs/format/CDataInterface.html and
 * CStreamInterface.html): schema export/import, batch export/import, and a
 * reader wrapped as an ArrowArrayStream.
 *
 * Relies on type.h/array.h for tarn's own layout (which is Arrow's, with
 * int32 offsets and offset 0) and on the public reader API for streams; it
 * never includes a format header.
 *
 * Design notes
 *  1. Export is zero-copy: each exported ArrowSchema/ArrowArray node gets one
 *     private block holding its children's structs, their pointer array, its
 *     strings (schemas) or the buffers it took over (arrays). A node's release
 *     releases the children still owned (release != NULL: a consumer may have
 *     moved one out), frees the block and sets release = NULL.
 *  2. tarn's time64 with unit s or ms goes out as Arrow time32 ("tts"/"ttm",
 *     int32 values, converted on export) because Arrow's time64 only has us
 *     and ns; imports of time32 come back as time64 with that unit.
 *  3. Import trusts nothing: every count, length, offset and buffer pointer
 *     the producer gives is checked before it is used, offsets must be
 *     monotonic and inside the child (lists) or non-negative (bytes: the C
 *     interface carries no buffer sizes, so the last offset is the size),
 *     dictionary indices must be in range, and the built arrays pass
 *     tarn_array_validate with UTF-8 checking. Data is copied into tarn
 *     arrays normalised to offset 0 and int32 offsets; IN is released.
 *  4. What the tarn type cannot say but batch import must know — int64
 *     offsets (U, Z, +L), date64 (tdm) and dictionary encoding — is recorded
 *     by tarn_schema_import in tarn_type.arrow_storage/arrow_dict_index.
 *     Dictionaries are materialised (tarn has no dictionary arrays).
 *  5. Ownership transfers hold on failure too: tarn_batch_export frees the
 *     batch and tarn_reader_export_stream closes the reader even when they
 *     fail, and tarn_batch_import always releases IN, so callers have one
 *     cleanup path.
 *
 * Thread-safety: none needed beyond the caller's; each exported structure is
 * independent. A stream is used from one thread at a time (as the spec says).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/mem.h"
#include "columnar/array.h"
#include "columnar/type.h"

/* Nesting a producer may hand us; tarn's own type parser stops at 64 too. */
#define MAX_DEPTH 64
/* Children of one node we accept from a producer (fields of a struct). */
#define MAX_CHILDREN 100000

/* Given to consumers in place of a NULL pointer for a zero-size buffer: the
 * spec allows NULL there, but not every consumer copes. */
static const _Alignas(64) uint8_t empty_buffer[64];

/* Blocks are laid out header | child structs | child pointers | extra bytes. */
static size_t round8(size_t n)
{
	return (n + 7) & ~(size_t)7;
}

/* A dotted path to the field being worked on, for messages. */
struct path {
	char buf[256];
	size_t len;
};

static size_t path_push(struct path *p, const char *name)
{
	size_t old = p->len;
	int k = snprintf(p->buf + p->len, sizeof p->buf - p->len, "%s%s", p->len ? "." : "",
			 name && *name ? name : "?");
	if (k > 0)
		p->len = p->len + (size_t)k < sizeof p->buf ? p->len + (size_t)k : sizeof p->buf - 1;
	return old;
}

static void path_pop(struct path *p, size_t old)
{
	p->len = old;
	p->buf[old] = '\0';
}

/* ---- schema export ----------------------------------------------------------- */

struct schema_block {
	struct ArrowSchema *children;      /* n structs */
	struct ArrowSchema **child_ptrs;   /* n pointers into children */
	int64_t n;
};

/* The Arrow format string of t (snprintf semantics: returns the length). */
static int format_string(const struct tarn_type *t, char *dst, size_t cap)
{
	static const char unit_ch[] = { 's', 'm', 'u', 'n' };
	const char *f = "";
	switch (t->id) {
	case TARN_T_NULL: f = "n"; break;
	case TARN_T_BOOL: f = "b"; break;
	case TARN_T_INT8: f = "c"; break;
	case TARN_T_UINT8: f = "C"; break;
	case TARN_T_INT16: f = "s"; break;
	case TARN_T_UINT16: f = "S"; break;
	case TARN_T_INT32: f = "i"; break;
	case TARN_T_UINT32: f = "I"; break;
	case TARN_T_INT64: f = "l"; break;
	case TARN_T_UINT64: f = "L"; break;
	case TARN_T_FLOAT32: f = "f"; break;
	case TARN_T_FLOAT64: f = "g"; break;
	case TARN_T_STRING: f = "u"; break;
	case TARN_T_BINARY: f = "z"; break;
	case TARN_T_DATE32: f = "tdD"; break;
	case TARN_T_LIST: f = "+l"; break;
	case TARN_T_STRUCT: f = "+s"; break;
	case TARN_T_MAP: f = "+m"; break;
	case TARN_T_INTERVAL: f = "tin"; break; /* month_day_nano (export converts) */
	case TARN_T_DECIMAL128:
		return snprintf(dst, cap, "d:%d,%d", t->precision, t->scale);
	case TARN_T_TIME64:
		return snprintf(dst, cap, "tt%c", unit_ch[t->unit & 3]);
	case TARN_T_TIMESTAMP:
		return snprintf(dst, cap, "ts%c:%s", unit_ch[t->unit & 3], t->tz ? t->tz : "");
	case TARN_T__COUNT: break;
	}
	return snprintf(dst, cap, "%s", f);
}

static void release_schema(struct ArrowSchema *s)
{
	if (!s || !s->release)
		return;
	struct schema_block *blk = s->private_data;
	for (int64_t i = 0; blk && i < blk->n; i++)
		if (blk->children[i].release)
			blk->children[i].release(&blk->children[i]);
	tarn_free(blk);
	s->release = NULL;
	s->private_data = NULL;
}

/* One node: t == NULL is the top-level struct of a schema's fields. */
static tarn_rc export_schema_node(struct ArrowSchema *out, const char *name,
				  const struct tarn_type *t, bool nullable, int n,
				  const struct tarn_field *fields)
{
	memset(out, 0, sizeof *out);
	int flen = t ? format_string(t, NULL, 0) : 2;
	size_t nlen = name ? strlen(name) : 0;
	size_t head = round8(sizeof(struct schema_block));
	size_t kids = (size_t)n * sizeof(struct ArrowSchema);
	size_t ptrs = (size_t)n * sizeof(struct ArrowSchema *);
	uint8_t *mem = tarn_calloc(1, head + kids + ptrs + (size_t)flen + 1 + nlen + 1);
	if (!mem)
		return TARN_ENOMEM;
	struct schema_block *blk = (struct schema_block *)mem;
	blk->children = (struct ArrowSchema *)(mem + head);
	blk->child_ptrs = (struct ArrowSchema **)(mem + head + kids);
	blk->n = n;
	char *fmt = (char *)(mem + head + kids + ptrs);
	char *nm = fmt + flen + 1;
	if (t)
		format_string(t, fmt, (size_t)flen + 1);
	else
		memcpy(fmt, "+s", 3);
	if (nlen)
		memcpy(nm, name, nlen);
	nm[nlen] = '\0';
	for (int i = 0; i < n; i++)
		blk->child_ptrs[i] = &blk->children[i];

	out->format = fmt;
	out->name = nm;
	out->metadata = NULL;
	out->flags = nullable ? ARROW_FLAG_NULLABLE : 0;
	out->n_children = n;
	out->children = n ? blk->child_ptrs : NULL;
	out->dictionary = NULL;
	out->release = release_schema;
	out->private_data = blk;
	for (int i = 0; i < n; i++) {
		const struct tarn_field *f = &fields[i];
		tarn_rc rc = export_schema_node(&blk->children[i], f->name, &f->type, f->nullable,
						f->type.n_children, f->type.children);
		if (rc) {
			release_schema(out);
			return rc;
		}
	}
	return TARN_OK;
}

tarn_rc tarn_schema_export(const struct tarn_schema *s, struct ArrowSchema *out,
			   struct tarn_err *err)
{
	tarn_rc rc = export_schema_node(out, "", NULL, false, s->n_fields, s->fields);
	if (rc)
		return tarn_err_nomem(err, "Arrow schema export");
	return TARN_OK;
}

/* ---- schema import ----------------------------------------------------------- */

struct sctx {
	struct tarn_err *err;
	struct path path;
};

static tarn_rc sfail(struct sctx *c, tarn_rc rc, const char *fmt, ...) TARN_PRINTF(3, 4);
static tarn_rc sfail(struct sctx *c, tarn_rc rc, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (c->path.len)
		return tarn_err_set(c->err, rc, "Arrow schema import: field '%s': %s", c->path.buf,
				    msg);
	return tarn_err_set(c->err, rc, "Arrow schema import: %s", msg);
}

static tarn_rc check_schema_node(struct sctx *c, const struct ArrowSchema *s)
{
	if (!s)
		return sfail(c, TARN_EDATA, "missing ArrowSchema (NULL child pointer)");
	if (!s->release)
		return sfail(c, TARN_EUSAGE, "the ArrowSchema was already released");
	if (!s->format)
		return sfail(c, TARN_EDATA, "the ArrowSchema has no format string");
	if (s->n_children < 0 || (s->n_children > 0 && !s->children))
		return sfail(c, TARN_EDATA, "bad child count %lld", (long long)s->n_children);
	if (s->n_children > MAX_CHILDREN)
		return sfail(c, TARN_ELIMIT, "%lld children (the limit is %d)",
			     (long long)s->n_children, MAX_CHILDREN);
	return TARN_OK;
}

/* Parses "P,S" or "P,S,128" of a decimal format. */
static bool parse_decimal_params(const char *p, int *prec, int *scale, int *bits)
{
	int v[3] = { 0, 0, 128 }, k = 0;
	for (;;) {
		bool neg = *p == '-';
		if (neg)
			p++;
		if (*p < '0' || *p > '9')
			return false;
		long x = 0;
		while (*p >= '0' && *p <= '9' && x < 100000)
			x = x * 10 + (*p++ - '0');
		v[k++] = (int)(neg ? -x : x);
		if (*p == '\0')
			break;
		if (*p != ',' || k == 3)
			return false;
		p++;
	}
	if (k < 2)
		return false;
	*prec = v[0];
	*scale = v[1];
	*bits = v[2];
	return true;
}

static tarn_rc import_type(struct sctx *c, const struct ArrowSchema *s, struct tarn_type *out,
			   int depth);

/* The item of a list, or key/value of a map, into a fresh type. */
static tarn_rc import_child(struct sctx *c, const struct ArrowSchema *s, struct tarn_type *out,
			    bool *nullable, int depth)
{
	TRY(check_schema_node(c, s));
	size_t old = path_push(&c->path, s->name);
	tarn_rc rc = import_type(c, s, out, depth + 1);
	path_pop(&c->path, old);
	*nullable = (s->flags & ARROW_FLAG_NULLABLE) != 0;
	return rc;
}

static int index_type_id(const char *f)
{
	if (f[0] && f[1])
		return 0;
	switch (f[0]) {
	case 'c': return TARN_T_INT8;
	case 'C': return TARN_T_UINT8;
	case 's': return TARN_T_INT16;
	case 'S': return TARN_T_UINT16;
	case 'i': return TARN_T_INT32;
	case 'I': return TARN_T_UINT32;
	case 'l': return TARN_T_INT64;
	case 'L': return TARN_T_UINT64;
	}
	return 0;
}

static tarn_rc import_type(struct sctx *c, const struct ArrowSchema *s, struct tarn_type *out,
			   int depth)
{
	memset(out, 0, sizeof *out);
	if (depth > MAX_DEPTH)
		return sfail(c, TARN_ELIMIT, "nested more than %d levels deep", MAX_DEPTH);
	const char *f = s->format;
	if (s->dictionary) {
		/* The format is the index type; the field's type is the values'. */
		int idx = index_type_id(f);
		if (!idx)
			return sfail(c, TARN_EDATA,
				     "dictionary index type '%s' is not an integer type", f);
		if (s->n_children != 0)
			return sfail(c, TARN_EDATA, "a dictionary-encoded field has children");
		TRY(check_schema_node(c, s->dictionary));
		if (s->dictionary->dictionary)
			return sfail(c, TARN_EUNSUPPORTED, "nested dictionary encoding");
		TRY(import_type(c, s->dictionary, out, depth + 1));
		out->arrow_dict_index = (uint8_t)idx;
		return TARN_OK;
	}
	int64_t nc = s->n_children;
	int expect_children = 0;
	if (f[0] && !f[1]) {
		static const struct {
			char ch;
			enum tarn_type_id id;
			uint8_t storage;
		} simple[] = {
			{ 'n', TARN_T_NULL, 0 },    { 'b', TARN_T_BOOL, 0 },
			{ 'c', TARN_T_INT8, 0 },    { 'C', TARN_T_UINT8, 0 },
			{ 's', TARN_T_INT16, 0 },   { 'S', TARN_T_UINT16, 0 },
			{ 'i', TARN_T_INT32, 0 },   { 'I', TARN_T_UINT32, 0 },
			{ 'l', TARN_T_INT64, 0 },   { 'L', TARN_T_UINT64, 0 },
			{ 'f', TARN_T_FLOAT32, 0 }, { 'g', TARN_T_FLOAT64, 0 },
			{ 'u', TARN_T_STRING, 0 },  { 'z', TARN_T_BINARY, 0 },
			{ 'U', TARN_T_STRING, TARN_ARROW_LARGE },
			{ 'Z', TARN_T_BINARY, TARN_ARROW_LARGE },
		};
		for (size_t i = 0; i < sizeof simple / sizeof simple[0]; i++) {
			if (simple[i].ch == f[0]) {
				tarn_type_init(out, simple[i].id);
				out->arrow_storage = simple[i].storage;
				goto leaf;
			}
		}
		if (f[0] == 'e')
			return sfail(c, TARN_EUNSUPPORTED, "float16 ('e') is not supported");
		goto unsupported;
	}
	if (f[0] == 'd' && f[1] == ':') {
		int p, sc, bits;
		if (!parse_decimal_params(f + 2, &p, &sc, &bits))
			return sfail(c, TARN_EDATA, "malformed decimal format '%s'", f);
		if (bits != 128)
			return sfail(c, TARN_EUNSUPPORTED, "decimal%d is not supported (decimal128 only)",
				     bits);
		if (p < 1 || p > 38)
			return sfail(c, TARN_EDATA, "decimal precision %d is outside 1..38", p);
		if (sc < 0 || sc > p)
			return sfail(c, TARN_EUNSUPPORTED,
				     "decimal scale %d is outside 0..precision (%d)", sc, p);
		tarn_type_init_decimal(out, p, sc);
		goto leaf;
	}
	if (f[0] == 't') {
		static const char units[] = "smun";
		const char *u = f[1] && f[2] ? strchr(units, f[2]) : NULL;
		if (!strcmp(f, "tdD")) {
			tarn_type_init(out, TARN_T_DATE32);
			goto leaf;
		}
		if (!strcmp(f, "tdm")) {
			tarn_type_init(out, TARN_T_DATE32);
			out->arrow_storage = TARN_ARROW_DATE64;
			goto leaf;
		}
		if (f[1] == 't' && u && !f[3]) {
			tarn_type_init_time(out, (enum tarn_time_unit)(u - units));
			goto leaf;
		}
		if (f[1] == 's' && u && f[3] == ':') {
			const char *tz = f + 4;
			if (tarn_type_init_timestamp(out, (enum tarn_time_unit)(u - units),
						     *tz ? tz : NULL))
				return sfail(c, TARN_ENOMEM, "out of memory");
			goto leaf;
		}
		goto unsupported;
	}
	if (!strcmp(f, "+l") || !strcmp(f, "+L")) {
		expect_children = 1;
		if (nc != 1)
			goto bad_children;
		struct tarn_type item;
		bool item_nullable;
		TRY(import_child(c, s->children[0], &item, &item_nullable, depth));
		/* The item is named "item" whatever the producer called it, so
		 * that list types from any producer compare equal. */
		tarn_rc rc = tarn_type_init_list(out, &item, item_nullable);
		if (rc) {
			tarn_type_clear(&item);
			return sfail(c, rc, "out of memory");
		}
		if (f[1] == 'L')
			out->arrow_storage = TARN_ARROW_LARGE;
		return TARN_OK;
	}
	if (!strcmp(f, "+m")) {
		expect_children = 1;
		if (nc != 1)
			goto bad_children;
		const struct ArrowSchema *e = s->children[0];
		TRY(check_schema_node(c, e));
		if (strcmp(e->format, "+s") != 0 || e->n_children != 2 || e->dictionary)
			return sfail(c, TARN_EDATA,
				     "a map's child must be a struct of key and value, got '%s' "
				     "with %lld children",
				     e->format, (long long)e->n_children);
		struct tarn_type k, v;
		bool k_nullable, v_nullable;
		TRY(import_child(c, e->children[0], &k, &k_nullable, depth + 1));
		tarn_rc rc = import_child(c, e->children[1], &v, &v_nullable, depth + 1);
		if (rc) {
			tarn_type_clear(&k);
			return rc;
		}
		/* Keys are non-nullable in Arrow whatever the flag says; null keys
		 * are refused on batch import. */
		rc = tarn_type_init_map(out, &k, &v, v_nullable);
		if (rc) {
			tarn_type_clear(&k);
			tarn_type_clear(&v);
			return sfail(c, rc, "out of memory");
		}
		return TARN_OK;
	}
	if (!strcmp(f, "+s")) {
		if (tarn_type_init_struct(out, (int)nc))
			return sfail(c, TARN_ENOMEM, "out of memory");
		for (int64_t i = 0; i < nc; i++) {
			const struct ArrowSchema *ch = s->children[i];
			struct tarn_field *fd = &out->children[i];
			tarn_rc rc = check_schema_node(c, ch);
			if (!rc && tarn_field_set_name(fd, ch->name ? ch->name : "",
						       ch->name ? strlen(ch->name) : 0))
				rc = sfail(c, TARN_ENOMEM, "out of memory");
			if (!rc)
				rc = import_child(c, ch, &fd->type, &fd->nullable, depth);
			if (rc) {
				tarn_type_clear(out);
				return rc;
			}
		}
		return TARN_OK;
	}
unsupported:
	return sfail(c, TARN_EUNSUPPORTED, "Arrow format '%s' is not supported by tarn", f);
leaf:
	if (nc != 0) {
		tarn_type_clear(out);
		goto bad_children;
	}
	return TARN_OK;
bad_children:
	return sfail(c, TARN_EDATA, "format '%s' needs %d children, the schema has %lld", f,
		     expect_children, (long long)nc);
}

tarn_rc tarn_schema_import(const struct ArrowSchema *in, struct tarn_schema **out,
			   struct tarn_err *err)
{
	*out = NULL;
	struct sctx c = { .err = err };
	TRY(check_schema_node(&c, in));
	if (strcmp(in->format, "+s") != 0 || in->dictionary)
		return sfail(&c, TARN_EDATA,
			     "the top-level ArrowSchema must be a struct ('+s'), got '%s'",
			     in->format);
	struct tarn_schema *s;
	if (tarn_schema_new((int)in->n_children, &s))
		return tarn_err_nomem(err, "Arrow schema import");
	for (int64_t i = 0; i < in->n_children; i++) {
		const struct ArrowSchema *ch = in->children[i];
		struct tarn_field *fd = &s->fields[i];
		tarn_rc rc = check_schema_node(&c, ch);
		if (!rc && tarn_field_set_name(fd, ch->name ? ch->name : "",
					       ch->name ? strlen(ch->name) : 0))
			rc = tarn_err_nomem(err, "Arrow schema import");
		if (!rc)
			rc = import_child(&c, ch, &fd->type, &fd->nullable, 0);
		if (rc) {
			tarn_schema_unref(s);
			return rc;
		}
	}
	*out = s;
	return TARN_OK;
}

/* ---- batch export ------------------------------------------------------------ */

struct array_block {
	struct ArrowArray *children;    /* n structs */
	struct ArrowArray **child_ptrs; /* n pointers into children */
	int64_t n;
	const void *buffers[3];
	void *owned[3]; /* aligned buffers taken from the tarn array */
};

static void release_array(struct ArrowArray *a)
{
	if (!a || !a->release)
		return;
	struct array_block *blk = a->private_data;
	if (blk) {
		for (int64_t i = 0; i < blk->n; i++)
			if (blk->children[i].release)
				blk->children[i].release(&blk->children[i]);
		for (int i = 0; i < 3; i++)
			tarn_free_aligned(blk->owned[i]);
	}
	tarn_free(blk);
	a->release = NULL;
	a->private_data = NULL;
}

static struct array_block *new_array_block(struct ArrowArray *out, int64_t n)
{
	size_t head = round8(sizeof(struct array_block));
	size_t kids = (size_t)n * sizeof(struct ArrowArray);
	uint8_t *mem = tarn_calloc(1, head + kids + (size_t)n * sizeof(struct ArrowArray *));
	if (!mem)
		return NULL;
	struct array_block *blk = (struct array_block *)mem;
	blk->children = (struct ArrowArray *)(mem + head);
	blk->child_ptrs = (struct ArrowArray **)(mem + head + kids);
	blk->n = n;
	for (int64_t i = 0; i < n; i++)
		blk->child_ptrs[i] = &blk->children[i];
	memset(out, 0, sizeof *out);
	out->n_children = n;
	out->children = n ? blk->child_ptrs : NULL;
	out->buffers = blk->buffers;
	out->release = release_array;
	out->private_data = blk;
	return blk;
}

/* Hands buffer slot i the array's buffer p (the caller clears its pointer),
 * or the shared empty buffer when there is none. */
static void take(struct array_block *blk, int i, void *p, bool may_be_null)
{
	blk->owned[i] = p;
	blk->buffers[i] = p ? p : (may_be_null ? NULL : empty_buffer);
}

/* Moves a's buffers into out (design note 1). On failure out is released and
 * a keeps whatever was not yet moved; the caller frees a either way. */
static tarn_rc export_array(struct tarn_array *a, struct ArrowArray *out, struct tarn_err *err)
{
	enum tarn_type_id id = a->type->id;
	int64_t n = id == TARN_T_STRUCT ? a->n_children : (id == TARN_T_LIST || id == TARN_T_MAP);
	struct array_block *blk = new_array_block(out, n);
	if (!blk)
		return tarn_err_nomem(err, "Arrow array export");
	out->length = a->length;
	out->null_count = a->null_count;
	out->offset = 0;
	if (id == TARN_T_NULL) {
		out->n_buffers = 0;
		out->null_count = a->length;
		return TARN_OK;
	}
	/* Arrow wants no bitmap only when there are no nulls; ours may exist
	 * with none. Leaving it in `a` frees it with the batch. */
	if (a->null_count > 0) {
		take(blk, 0, a->validity, true);
		a->validity = NULL;
	}
	switch (id) {
	case TARN_T_STRING:
	case TARN_T_BINARY:
		out->n_buffers = 3;
		take(blk, 1, a->offsets, false);
		take(blk, 2, a->values, false);
		a->offsets = NULL;
		a->values = NULL;
		break;
	case TARN_T_LIST:
	case TARN_T_MAP:
		out->n_buffers = 2;
		take(blk, 1, a->offsets, false);
		a->offsets = NULL;
		break;
	case TARN_T_STRUCT:
		out->n_buffers = 1;
		break;
	case TARN_T_TIME64:
		out->n_buffers = 2;
		if (a->type->unit == TARN_UNIT_S || a->type->unit == TARN_UNIT_MS) {
			/* time32 (design note 2). */
			int32_t *v32 = tarn_alloc_aligned((size_t)a->length * 4);
			if (!v32) {
				release_array(out);
				return tarn_err_nomem(err, "Arrow array export");
			}
			const int64_t *v = (const int64_t *)a->values;
			for (int64_t i = 0; i < a->length; i++) {
				if (v[i] < INT32_MIN || v[i] > INT32_MAX) {
					tarn_free_aligned(v32);
					release_array(out);
					return tarn_err_set(err, TARN_EDATA,
							    "Arrow export: time value %lld in row "
							    "%lld does not fit Arrow's time32",
							    (long long)v[i], (long long)i);
				}
				v32[i] = (int32_t)v[i];
			}
			tarn_free_aligned(a->values);
			a->values = (uint8_t *)v32;
		}
		take(blk, 1, a->values, false);
		a->values = NULL;
		break;
	case TARN_T_INTERVAL: {
		/* Arrow's month_day_nano has tarn's layout with nanoseconds:
		 * scale the third part in place (the buffer is ours to give) */
		out->n_buffers = 2;
		struct tarn_interval *v = (struct tarn_interval *)a->values;
		for (int64_t i = 0; i < a->length; i++) {
			if (v[i].micros > INT64_MAX / 1000 || v[i].micros < INT64_MIN / 1000) {
				release_array(out);
				return tarn_err_set(err, TARN_EDATA,
						    "Arrow export: interval in row %lld does not fit "
						    "Arrow's month_day_nano",
						    (long long)i);
			}
			v[i].micros *= 1000;
		}
		take(blk, 1, a->values, false);
		a->values = NULL;
		break;
	}
	default:
		out->n_buffers = 2;
		take(blk, 1, a->values, false);
		a->values = NULL;
		break;
	}
	for (int64_t i = 0; i < n; i++) {
		tarn_rc rc = export_array(a->children[i], &blk->children[i], err);
		if (rc) {
			release_array(out);
			return rc;
		}
	}
	return TARN_OK;
}

tarn_rc tarn_batch_export(struct tarn_batch *b, struct ArrowArray *out, struct tarn_err *err)
{
	memset(out, 0, sizeof *out);
	struct array_block *blk = new_array_block(out, b->n_cols);
	if (!blk) {
		tarn_batch_free(b);
		return tarn_err_nomem(err, "Arrow array export");
	}
	out->length = b->n_rows;
	out->null_count = 0;
	out->offset = 0;
	out->n_buffers = 1;
	for (int i = 0; i < b->n_cols; i++) {
		tarn_rc rc = export_array(b->cols[i], &blk->children[i], err);
		if (rc) {
			release_array(out);
			tarn_batch_free(b);
			return rc;
		}
	}
	tarn_batch_free(b);
	return TARN_OK;
}

/* ---- batch import ------------------------------------------------------------ */

struct ictx {
	struct tarn_err *err;
	struct path path;
};

static tarn_rc ifail(struct ictx *c, tarn_rc rc, const char *fmt, ...) TARN_PRINTF(3, 4);
static tarn_rc ifail(struct ictx *c, tarn_rc rc, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (c->path.len)
		return tarn_err_set(c->err, rc, "Arrow import: column '%s': %s", c->path.buf, msg);
	return tarn_err_set(c->err, rc, "Arrow import: %s", msg);
}

static tarn_rc inomem(struct ictx *c, tarn_rc rc)
{
	if (rc == TARN_ENOMEM)
		return ifail(c, rc, "out of memory");
	if (rc == TARN_ELIMIT)
		return ifail(c, rc, "too many rows or bytes for one tarn array");
	return ifail(c, rc, "%s", tarn_rc_name(rc));
}

/* Copies n bits from src starting at bit so into dst from bit 0. */
static void copy_bits(uint8_t *dst, const uint8_t *src, int64_t so, int64_t n)
{
	if (n <= 0)
		return;
	if ((so & 7) == 0) {
		memcpy(dst, src + (so >> 3), (size_t)((n + 7) / 8));
		return;
	}
	int sh = (int)(so & 7);
	const uint8_t *s = src + (so >> 3);
	int64_t nbytes = (n + 7) / 8;
	for (int64_t i = 0; i < nbytes; i++) {
		/* The last output byte may need only the current source byte:
		 * never read past the source's last bit. */
		int64_t bits_left = n - i * 8;
		uint8_t lo = (uint8_t)(s[i] >> sh);
		uint8_t hi = bits_left > 8 - sh ? (uint8_t)(s[i + 1] << (8 - sh)) : 0;
		dst[i] = lo | hi;
	}
}

static int64_t count_zero_bits(const uint8_t *bits, int64_t from, int64_t n)
{
	int64_t zeros = 0, i = 0;
	while (i < n && ((from + i) & 7))
		zeros += !tarn_bit_get(bits, from + i++);
	for (; i + 64 <= n; i += 64) {
		uint64_t w;
		memcpy(&w, bits + ((from + i) >> 3), 8);
		zeros += 64 - __builtin_popcountll(w);
	}
	for (; i < n; i++)
		zeros += !tarn_bit_get(bits, from + i);
	return zeros;
}

static int64_t read_index(const uint8_t *p, enum tarn_type_id id, int64_t i)
{
	switch (id) {
	case TARN_T_INT8: return ((const int8_t *)p)[i];
	case TARN_T_UINT8: return ((const uint8_t *)p)[i];
	case TARN_T_INT16: return ((const int16_t *)p)[i];
	case TARN_T_UINT16: return ((const uint16_t *)p)[i];
	case TARN_T_INT32: return ((const int32_t *)p)[i];
	case TARN_T_UINT32: return ((const uint32_t *)p)[i];
	case TARN_T_UINT64: {
		uint64_t v = ((const uint64_t *)p)[i];
		return v > INT64_MAX ? -1 : (int64_t)v;
	}
	default: return ((const int64_t *)p)[i];
	}
}

static tarn_rc import_array(struct ictx *c, const struct ArrowArray *a, const struct tarn_type *t,
			    bool dict_values, int64_t start, int64_t count, struct tarn_array *dst);

static int64_t read_offset(const void *offs, bool large, int64_t i)
{
	return large ? ((const int64_t *)offs)[i] : ((const int32_t *)offs)[i];
}

/* Checks offsets[o..o+count] (monotonic, first >= 0, span within limit) and
 * writes them rebased to 0 into dst->offsets. Returns the first offset and
 * the span through *base and *span. */
static tarn_rc import_offsets(struct ictx *c, const void *offs, bool large, int64_t o,
			      int64_t count, struct tarn_array *dst, int64_t *base, int64_t *span)
{
	if (!offs)
		return ifail(c, TARN_EDATA, "the offsets buffer is NULL");
	int64_t first = read_offset(offs, large, o);
	if (first < 0)
		return ifail(c, TARN_EDATA, "offset %lld at row 0 is negative", (long long)first);
	int64_t prev = first;
	int32_t *d = dst->offsets;
	d[0] = 0;
	for (int64_t i = 1; i <= count; i++) {
		int64_t v = read_offset(offs, large, o + i);
		if (v < prev)
			return ifail(c, TARN_EDATA, "offsets decrease at row %lld (%lld after %lld)",
				     (long long)(i - 1), (long long)v, (long long)prev);
		if (v - first > TARN_ARRAY_MAX_BYTES)
			return ifail(c, TARN_ELIMIT,
				     "more than %lld bytes or items in one batch column; tarn uses "
				     "32-bit offsets",
				     (long long)TARN_ARRAY_MAX_BYTES);
		d[i] = (int32_t)(v - first);
		prev = v;
	}
	*base = first;
	*span = prev - first;
	return TARN_OK;
}

/* Materialises a dictionary-encoded window: indices in a, values in
 * a->dictionary. */
static tarn_rc import_dictionary(struct ictx *c, const struct ArrowArray *a,
				 const struct tarn_type *t, int64_t start, int64_t count,
				 const uint8_t *validity, struct tarn_array *dst)
{
	const struct ArrowArray *d = a->dictionary;
	if (!d)
		return ifail(c, TARN_EDATA, "dictionary-encoded but the array has no dictionary");
	if (!d->release)
		return ifail(c, TARN_EDATA, "the dictionary array was already released");
	if (d->length < 0)
		return ifail(c, TARN_EDATA, "the dictionary has negative length");
	struct tarn_array *vals;
	if (tarn_array_new(t, 0, &vals))
		return inomem(c, TARN_ENOMEM);
	tarn_rc rc = import_array(c, d, t, true, 0, d->length, vals);
	if (rc)
		goto out;
	enum tarn_type_id ix = (enum tarn_type_id)t->arrow_dict_index;
	const uint8_t *idx = a->buffers[1];
	if (count > 0 && !idx) {
		rc = ifail(c, TARN_EDATA, "the dictionary index buffer is NULL");
		goto out;
	}
	if ((rc = tarn_array_reserve(dst, count))) {
		rc = inomem(c, rc);
		goto out;
	}
	int64_t o = a->offset + start;
	for (int64_t i = 0; i < count; i++) {
		if (validity && !tarn_bit_get(validity, o + i)) {
			rc = tarn_array_append_null(dst);
		} else {
			int64_t k = read_index(idx, ix, o + i);
			if (k < 0 || k >= vals->length) {
				rc = ifail(c, TARN_EDATA,
					   "dictionary index %lld at row %lld is outside the "
					   "dictionary (%lld values)",
					   (long long)k, (long long)i, (long long)vals->length);
				goto out;
			}
			rc = tarn_array_append_from(dst, vals, k);
		}
		if (rc) {
			rc = inomem(c, rc);
			goto out;
		}
	}
out:
	tarn_array_free(vals);
	return rc;
}

/* Imports rows [start, start+count) of a's logical rows (a->offset already
 * added inside) into the empty array dst of type t. dict_values: t's
 * dictionary encoding is already resolved (a holds the values). */
static tarn_rc import_array(struct ictx *c, const struct ArrowArray *a, const struct tarn_type *t,
			    bool dict_values, int64_t start, int64_t count, struct tarn_array *dst)
{
	enum tarn_type_id id = t->id;
	bool dict = t->arrow_dict_index && !dict_values;
	if (!a)
		return ifail(c, TARN_EDATA, "missing child array (NULL pointer)");
	if (!a->release)
		return ifail(c, TARN_EDATA, "the array was already released");
	if (a->length < 0 || a->offset < 0 || a->length > ((int64_t)1 << 50) ||
	    a->offset > ((int64_t)1 << 50))
		return ifail(c, TARN_EDATA, "bad length %lld or offset %lld", (long long)a->length,
			     (long long)a->offset);
	if (start + count > a->length)
		return ifail(c, TARN_EDATA, "array has %lld rows but %lld are needed",
			     (long long)a->length, (long long)(start + count));
	if (a->null_count < -1 || a->null_count > a->length)
		return ifail(c, TARN_EDATA, "bad null_count %lld for %lld rows",
			     (long long)a->null_count, (long long)a->length);

	int64_t want_buffers, want_children;
	if (dict) {
		want_buffers = 2;
		want_children = 0;
	} else {
		switch (id) {
		case TARN_T_NULL: want_buffers = 0; break;
		case TARN_T_STRING:
		case TARN_T_BINARY: want_buffers = 3; break;
		case TARN_T_STRUCT: want_buffers = 1; break;
		default: want_buffers = 2; break;
		}
		want_children = id == TARN_T_STRUCT ? t->n_children
			      : (id == TARN_T_LIST || id == TARN_T_MAP) ? 1 : 0;
		if (a->dictionary)
			return ifail(c, TARN_EDATA,
				     "the array has a dictionary but its schema is not "
				     "dictionary-encoded");
	}
	/* Arrow's null type has no buffers; some producers send the validity
	 * slot anyway, which carries nothing. */
	bool null_ok = id == TARN_T_NULL && !dict && a->n_buffers == 1;
	if (a->n_buffers != want_buffers && !null_ok)
		return ifail(c, TARN_EDATA, "%s array has %lld buffers, expected %lld",
			     dict ? "dictionary index" : tarn_type_id_name(id),
			     (long long)a->n_buffers, (long long)want_buffers);
	if (a->n_buffers > 0 && !a->buffers)
		return ifail(c, TARN_EDATA, "the buffers pointer is NULL");
	if (a->n_children != want_children)
		return ifail(c, TARN_EDATA, "%s array has %lld children, expected %lld",
			     tarn_type_id_name(id), (long long)a->n_children,
			     (long long)want_children);
	if (a->n_children > 0 && !a->children)
		return ifail(c, TARN_EDATA, "the children pointer is NULL");

	int64_t o = a->offset + start;
	if (id == TARN_T_NULL && !dict) {
		tarn_rc rc = tarn_array_reserve(dst, count);
		if (rc)
			return inomem(c, rc);
		for (int64_t i = 0; i < count; i++)
			if (tarn_array_append_null(dst))
				return inomem(c, TARN_ENOMEM);
		return TARN_OK;
	}

	/* Validity: consulted only when the producer says there may be nulls. */
	const uint8_t *validity = a->null_count != 0 ? a->buffers[0] : NULL;
	if (a->null_count > 0 && !validity)
		return ifail(c, TARN_EDATA, "null_count is %lld but there is no validity bitmap",
			     (long long)a->null_count);
	if (validity && a->null_count > 0) {
		int64_t z = count_zero_bits(validity, a->offset, a->length);
		if (z != a->null_count)
			return ifail(c, TARN_EDATA,
				     "null_count is %lld but the validity bitmap has %lld nulls",
				     (long long)a->null_count, (long long)z);
	}
	if (dict)
		return import_dictionary(c, a, t, start, count, validity, dst);

	tarn_rc rc = tarn_array_reserve(dst, count);
	if (rc)
		return inomem(c, rc);
	int64_t nulls = 0;
	if (validity && count > 0) {
		nulls = count_zero_bits(validity, o, count);
		if (nulls > 0) {
			if (tarn_array_ensure_validity(dst))
				return inomem(c, TARN_ENOMEM);
			copy_bits(dst->validity, validity, o, count);
			/* Bits past the last row stay "valid" (array.h note 2). */
			if (count & 7)
				dst->validity[count >> 3] |= (uint8_t)(0xff << (count & 7));
		}
	}

	const void *buf1 = a->n_buffers > 1 ? a->buffers[1] : NULL;
	int w = tarn_type_width(id);
	switch (id) {
	case TARN_T_BOOL:
		if (count > 0 && !buf1)
			return ifail(c, TARN_EDATA, "the values buffer is NULL");
		copy_bits(dst->values, buf1, o, count);
		break;
	case TARN_T_STRING:
	case TARN_T_BINARY: {
		if (count == 0)
			break;
		bool large = t->arrow_storage == TARN_ARROW_LARGE;
		int64_t base, span;
		TRY(import_offsets(c, buf1, large, o, count, dst, &base, &span));
		const uint8_t *data = a->buffers[2];
		if (span > 0 && !data)
			return ifail(c, TARN_EDATA, "the data buffer is NULL");
		rc = tarn_array_reserve_bytes(dst, span);
		if (rc)
			return inomem(c, rc);
		if (span)
			memcpy(dst->values, data + base, (size_t)span);
		dst->values_len = span;
		break;
	}
	case TARN_T_LIST:
	case TARN_T_MAP: {
		const struct ArrowArray *child = a->children[0];
		int64_t base = 0, span = 0;
		if (count > 0) {
			bool large = t->arrow_storage == TARN_ARROW_LARGE;
			TRY(import_offsets(c, buf1, large, o, count, dst, &base, &span));
		}
		if (!child)
			return ifail(c, TARN_EDATA, "missing child array (NULL pointer)");
		/* base comes from the producer (int64 for large lists): compare
		 * without forming base + span, which could overflow. */
		if (child->length < 0 || span > child->length || base > child->length - span)
			return ifail(c, TARN_EDATA,
				     "list offsets reach item %lld but the child has %lld",
				     (long long)(base + span), (long long)child->length);
		size_t old = path_push(&c->path, t->children[0].name);
		rc = import_array(c, child, &t->children[0].type, false, base, span,
				  dst->children[0]);
		path_pop(&c->path, old);
		if (rc)
			return rc;
		if (id == TARN_T_MAP && dst->children[0]->children[0]->null_count != 0)
			return ifail(c, TARN_EDATA, "a map key is null (Arrow map keys are "
						    "non-nullable)");
		break;
	}
	case TARN_T_STRUCT:
		for (int k = 0; k < t->n_children; k++) {
			size_t old = path_push(&c->path, t->children[k].name);
			rc = import_array(c, a->children[k], &t->children[k].type, false, o, count,
					  dst->children[k]);
			path_pop(&c->path, old);
			if (rc)
				return rc;
		}
		break;
	case TARN_T_DATE32:
		if (t->arrow_storage == TARN_ARROW_DATE64) {
			if (count > 0 && !buf1)
				return ifail(c, TARN_EDATA, "the values buffer is NULL");
			const int64_t *ms = buf1;
			int32_t *days = (int32_t *)dst->values;
			for (int64_t i = 0; i < count; i++) {
				int64_t v = ms[o + i], d = v / 86400000;
				if (v % 86400000 < 0)
					d--; /* floor: before 1970 */
				if (d < INT32_MIN || d > INT32_MAX)
					return ifail(c, TARN_EDATA,
						     "date64 value %lld at row %lld is out of "
						     "range for date32",
						     (long long)v, (long long)i);
				days[i] = (int32_t)d;
			}
			break;
		}
		goto fixed;
	case TARN_T_TIME64:
		if (t->unit == TARN_UNIT_S || t->unit == TARN_UNIT_MS) {
			if (count > 0 && !buf1)
				return ifail(c, TARN_EDATA, "the values buffer is NULL");
			const int32_t *v32 = buf1;
			int64_t *v = (int64_t *)dst->values;
			for (int64_t i = 0; i < count; i++)
				v[i] = v32[o + i];
			break;
		}
		goto fixed;
	default:
	fixed:
		if (count > 0 && !buf1)
			return ifail(c, TARN_EDATA, "the values buffer is NULL");
		if (count > 0)
			memcpy(dst->values, (const uint8_t *)buf1 + o * w, (size_t)(count * w));
		break;
	}
	dst->length = count;
	dst->null_count = nulls;
	return TARN_OK;
}

tarn_rc tarn_batch_import(struct ArrowArray *in, const struct tarn_schema *schema,
			  struct tarn_batch **out, struct tarn_err *err)
{
	*out = NULL;
	if (!in || !in->release)
		return tarn_err_set(err, TARN_EUSAGE,
				    "Arrow import: the ArrowArray is NULL or already released");
	struct ictx c = { .err = err };
	struct tarn_batch *b = NULL;
	tarn_rc rc = TARN_OK;
	if (in->length < 0 || in->offset < 0 || in->length > ((int64_t)1 << 50) ||
	    in->offset > ((int64_t)1 << 50)) {
		rc = ifail(&c, TARN_EDATA, "bad top-level length %lld or offset %lld",
			   (long long)in->length, (long long)in->offset);
		goto out;
	}
	if (in->n_buffers != 1 || !in->buffers) {
		rc = ifail(&c, TARN_EDATA,
			   "the top-level array must be a struct (1 buffer), it has %lld buffers",
			   (long long)in->n_buffers);
		goto out;
	}
	if (in->dictionary) {
		rc = ifail(&c, TARN_EDATA, "the top-level array is dictionary-encoded");
		goto out;
	}
	if (in->n_children != schema->n_fields || (in->n_children > 0 && !in->children)) {
		rc = ifail(&c, TARN_EDATA, "the array has %lld columns, the schema %d",
			   (long long)in->n_children, schema->n_fields);
		goto out;
	}
	if (in->null_count != 0 && in->buffers[0] &&
	    count_zero_bits(in->buffers[0], in->offset, in->length) > 0) {
		rc = ifail(&c, TARN_EDATA, "the top-level struct has null rows; a batch cannot");
		goto out;
	}
	/* The batch holds a reference; the schema itself is not changed. */
	if ((rc = tarn_batch_new((struct tarn_schema *)schema, 0, &b))) {
		rc = tarn_err_nomem(err, "Arrow import");
		goto out;
	}
	for (int i = 0; i < schema->n_fields; i++) {
		const struct tarn_field *f = &schema->fields[i];
		size_t old = path_push(&c.path, f->name);
		rc = import_array(&c, in->children[i], &f->type, false, in->offset, in->length,
				  b->cols[i]);
		path_pop(&c.path, old);
		if (rc)
			goto out;
		struct tarn_err verr;
		tarn_err_clear(&verr);
		rc = tarn_array_validate(b->cols[i], true, &verr);
		if (rc) {
			rc = tarn_err_set(err, rc, "Arrow import: column '%s': %s",
					  f->name ? f->name : "", verr.msg);
			goto out;
		}
	}
	b->n_rows = in->length;
	rc = tarn_batch_seal(b, err);
out:
	in->release(in);
	if (rc) {
		tarn_batch_free(b);
		return rc;
	}
	*out = b;
	return TARN_OK;
}

/* ---- stream export ----------------------------------------------------------- */

struct stream_priv {
	struct tarn_reader *r;
	struct tarn_err err;
	int failed; /* errno of a failed get_next: the stream stays failed */
};

static int errno_for(tarn_rc rc)
{
	switch (rc) {
	case TARN_OK: return 0;
	case TARN_ENOMEM: return ENOMEM;
	case TARN_EIO: return EIO;
	case TARN_EUNSUPPORTED: return ENOSYS;
	case TARN_EINTERNAL: return EIO;
	default: return EINVAL; /* bad data, limits, usage: invalid input */
	}
}

static int stream_get_schema(struct ArrowArrayStream *st, struct ArrowSchema *out)
{
	if (!st || !st->release || !out)
		return EINVAL;
	struct stream_priv *p = st->private_data;
	tarn_err_clear(&p->err);
	tarn_rc rc = tarn_schema_export(tarn_reader_schema(p->r), out, &p->err);
	return errno_for(rc);
}

static int stream_get_next(struct ArrowArrayStream *st, struct ArrowArray *out)
{
	if (!st || !st->release || !out)
		return EINVAL;
	struct stream_priv *p = st->private_data;
	memset(out, 0, sizeof *out);
	if (p->failed)
		return p->failed;
	tarn_err_clear(&p->err);
	struct tarn_batch *b = NULL;
	tarn_rc rc = tarn_reader_next(p->r, &b, &p->err);
	if (rc == TARN_OK && b)
		rc = tarn_batch_export(b, out, &p->err);
	if (rc) {
		if (!p->err.rc)
			tarn_err_set(&p->err, rc, "%s", tarn_rc_name(rc));
		p->failed = errno_for(rc);
		return p->failed;
	}
	return 0; /* at the end out->release stays NULL */
}

static const char *stream_get_last_error(struct ArrowArrayStream *st)
{
	if (!st || !st->release)
		return NULL;
	struct stream_priv *p = st->private_data;
	return p->err.rc ? p->err.msg : NULL;
}

static void stream_release(struct ArrowArrayStream *st)
{
	if (!st || !st->release)
		return;
	struct stream_priv *p = st->private_data;
	tarn_reader_close(p->r);
	tarn_free(p);
	st->release = NULL;
	st->private_data = NULL;
}

tarn_rc tarn_reader_export_stream(struct tarn_reader *r, struct ArrowArrayStream *out,
				  struct tarn_err *err)
{
	memset(out, 0, sizeof *out);
	struct stream_priv *p = tarn_calloc(1, sizeof *p);
	if (!p) {
		tarn_reader_close(r);
		return tarn_err_nomem(err, "Arrow stream export");
	}
	p->r = r;
	out->get_schema = stream_get_schema;
	out->get_next = stream_get_next;
	out->get_last_error = stream_get_last_error;
	out->release = stream_release;
	out->private_data = p;
	return TARN_OK;
}
