/*
 * orc_read.c — the ORC reader: file tail (PostScript, Footer, Metadata),
 * type tree -> tarn schema, stripes, batches, row-group selection.
 *
 * Design notes
 *  1. The file is one byte range: the input's mmap when it has one, else
 *     the whole input read into memory (stdin, gzip/zstd input). Every
 *     offset and length from the tail is checked against that range before
 *     use; the tail, stripe footers and row indexes are decompressed with a
 *     cap (max-metadata-size).
 *  2. A batch is up to batch-rows rows of one stripe. Each selected
 *     top-level column (with its subtree) is one pool task per batch; the
 *     columns of a batch decode in parallel, and the next batch is decoded
 *     while the caller works on the current one (prefetch). Column state
 *     (streams, RLE decoders, dictionaries) lives across the batches of a
 *     stripe; streams are decompressed a chunk at a time, so memory is a
 *     window per stream, not the stripe.
 *  3. Stripe setup (stripe footer, stream directory, encodings, writer
 *     time zone) runs on the calling thread between batches, when no task
 *     is running. Mapped pages of finished stripes are released.
 *  4. Row selection (orc_reader_prune): stripes whose statistics rule the
 *     column out are skipped; in the others, the row index of the column
 *     drops row groups, and every column read is set at the first
 *     row of each kept range with its own row index (orc_col_seek). A
 *     stripe without a usable row index is read whole.
 *
 * States: open (tail decoded, schema built) → first next(): start_job →
 * per next(): wait for the job's tasks, check, seal → start the next job →
 * return the batch → ... → no stripe left: NULL. An error is sticky.
 *
 * Thread-safety: one reader per thread; tasks touch only their own column
 * subtree and output array.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/pool.h"
#include "formats/orc/orc_read.h"

#define TZ_CACHE 8

struct task {
	struct tarn_task t;
	struct orc_reader *r;
	struct rcol *col;
	struct tarn_array *arr;
	int64_t rows;
	int seek_group; /* -1: no seek before this batch */
	tarn_rc rc;
	struct tarn_err err;
};

struct orc_reader {
	struct tarn_reader base;
	const char *name;
	const uint8_t *file;
	size_t file_len;
	uint8_t *owned;
	bool empty; /* a zero-byte file: no columns, no rows */
	struct orc_tail tail;
	struct orc_limits lim;
	int64_t batch_rows;
	bool compressed;
	bool decimal64_file; /* PostScript version [1, 9999] (ORCv2 pre-release) */

	/* projection */
	struct rcol *cols; /* every rcol, indexed by position in the tree walk */
	int n_cols;
	struct rcol **top;
	int n_top;
	struct orc_dctx *dcs; /* one per top-level column */
	struct tarn_arena arena; /* names, child arrays */

	/* the current stripe */
	int stripe;           /* -1 before the first */
	struct tarn_arena sarena;
	struct tarn_buf sbuf; /* decompressed stripe footer / row index */
	struct orc_stripe_footer sf;
	struct orc_row_range *ranges;
	int n_ranges, range_i;
	int64_t pos;          /* next row of the stripe */

	/* time zones, loaded once per name */
	struct orc_tz *tzs[TZ_CACHE];
	int n_tz;

	/* the job in flight */
	bool started, job_active;
	struct tarn_batch *job;
	int64_t job_rows;
	int job_stripe;
	struct task *tasks;
	tarn_rc pend_rc; /* starting the next job failed: reported in its turn */
	struct tarn_err pend_err;
	tarn_rc fail_rc;
	struct tarn_err fail_err;

	/* pruning */
	bool pruned;
	int prune_id; /* ORC column id of the pruning column */
	struct orc_prune_col pc;
	struct orc_bound lo, hi;
	bool *keep_stripe;
	struct tarn_arena parena;
	int stripes_kept;
	int64_t groups_kept, groups_total;
};

static const struct tarn_reader_ops reader_ops;

/* ---- the tail ---------------------------------------------------------------------------- */

void orc_tail_free(struct orc_tail *t)
{
	tarn_arena_free(&t->arena);
	tarn_buf_free(&t->footer_buf);
	tarn_buf_free(&t->meta_buf);
}

static tarn_rc tail_read_limited(const uint8_t *p, size_t n, const char *name, struct orc_tail *t,
				 size_t limit, bool strict_meta, struct tarn_err *err)
{
	memset(t, 0, sizeof *t);
	tarn_arena_init(&t->arena, 4096);
	tarn_buf_init(&t->footer_buf);
	tarn_buf_init(&t->meta_buf);
	if (n < 4 || memcmp(p, "ORC", 3) != 0)
		return tarn_err_set(err, TARN_EDATA, "%s: not an ORC file (%s)", name,
				    n < 4 ? "too short" : "no \"ORC\" magic at the start");
	uint64_t ps_len = p[n - 1];
	if (ps_len == 0 || ps_len > n - 4)
		return tarn_err_set(err, TARN_EDATA,
				    "%s: corrupt ORC file: PostScript length %u does not fit the file "
				    "(byte offset %zu)",
				    name, (unsigned)ps_len, n - 1);
	const char *why = NULL;
	size_t ps_start = n - 1 - (size_t)ps_len;
	if (orc_postscript_decode(p + ps_start, (size_t)ps_len, &t->ps, &why))
		return tarn_err_set(err, TARN_EDATA, "%s: %s (byte offset %zu)", name, why, ps_start);
	t->ps_len = ps_len;
	if (!orc_codec_supported(t->ps.compression))
		return tarn_err_set(err, TARN_EUNSUPPORTED,
				    "%s: unknown ORC compression kind %d (PostScript)", name,
				    t->ps.compression);
	if (t->ps.compression != ORC_C_NONE &&
	    (t->ps.block_size == 0 || t->ps.block_size > ORC_MAX_BLOCK))
		return tarn_err_set(err, TARN_EDATA,
				    "%s: compression block size %llu is outside 1..%llu (PostScript)",
				    name, (unsigned long long)t->ps.block_size,
				    (unsigned long long)ORC_MAX_BLOCK);
	if (t->ps.footer_len > ps_start - 3 || t->ps.metadata_len > ps_start - 3 - t->ps.footer_len)
		return tarn_err_set(err, TARN_EDATA,
				    "%s: corrupt ORC file: footer (%llu bytes) and metadata (%llu "
				    "bytes) do not fit before the PostScript",
				    name, (unsigned long long)t->ps.footer_len,
				    (unsigned long long)t->ps.metadata_len);
	size_t footer_start = ps_start - (size_t)t->ps.footer_len;
	size_t meta_start = footer_start - (size_t)t->ps.metadata_len;
	t->tail_start = meta_start;
	struct orc_dctx dc = { 0 };
	size_t block = (size_t)t->ps.block_size;
	tarn_rc rc = orc_decompress_all(t->ps.compression, block, p + footer_start,
					(size_t)t->ps.footer_len, &t->footer_buf, limit, &dc, &why);
	if (rc == TARN_OK)
		rc = orc_footer_decode((const uint8_t *)t->footer_buf.data, t->footer_buf.len,
				       &t->arena, &t->footer, &why);
	if (rc) {
		orc_dctx_free(&dc);
		return tarn_err_set(err, rc, "%s: file footer (byte offset %zu): %s", name,
				    footer_start, why);
	}
	if (t->ps.metadata_len > 0) {
		rc = orc_decompress_all(t->ps.compression, block, p + meta_start,
					(size_t)t->ps.metadata_len, &t->meta_buf, limit, &dc, &why);
		if (rc == TARN_OK)
			rc = orc_metadata_decode((const uint8_t *)t->meta_buf.data, t->meta_buf.len,
						 &t->arena, &t->meta, &why);
		/* The stripe statistics only serve pruning: a reader that
		 * finds them corrupt reads on without them (ORC's own readers
		 * do not look at them unless asked). */
		if (rc && (strict_meta || rc == TARN_ENOMEM)) {
			orc_dctx_free(&dc);
			return tarn_err_set(err, rc, "%s: stripe statistics (byte offset %zu): %s",
					    name, meta_start, why);
		}
		t->has_meta = rc == TARN_OK;
		if (rc)
			memset(&t->meta, 0, sizeof t->meta);
	}
	orc_dctx_free(&dc);
	const struct orc_footer *f = &t->footer;
	if (f->encrypted)
		return tarn_err_set(err, TARN_EUNSUPPORTED,
				    "%s: encrypted ORC files (column encryption) are not supported",
				    name);
	if (f->n_types == 0 && f->n_stripes > 0)
		return tarn_err_set(err, TARN_EDATA, "%s: the file footer has stripes but no types",
				    name);
	uint64_t rows = 0;
	for (int s = 0; s < f->n_stripes; s++) {
		const struct orc_stripe_info *si = &f->stripes[s];
		uint64_t end;
		if (si->offset < 3 || __builtin_add_overflow(si->offset, si->index_len, &end) ||
		    __builtin_add_overflow(end, si->data_len, &end) ||
		    __builtin_add_overflow(end, si->footer_len, &end) || end > meta_start)
			return tarn_err_set(err, TARN_EDATA,
					    "%s: stripe %d (offset %llu) lies outside the file's data",
					    name, s, (unsigned long long)si->offset);
		if (si->has_encrypt_id)
			return tarn_err_set(err, TARN_EUNSUPPORTED,
					    "%s: encrypted ORC files (column encryption) are not "
					    "supported",
					    name);
		if (__builtin_add_overflow(rows, si->rows, &rows))
			return tarn_err_set(err, TARN_EDATA, "%s: stripe row counts overflow", name);
	}
	if (f->has_rows && f->rows != rows)
		return tarn_err_set(err, TARN_EDATA,
				    "%s: the footer says %llu rows but the stripes hold %llu", name,
				    (unsigned long long)f->rows, (unsigned long long)rows);
	return TARN_OK;
}

tarn_rc orc_tail_read(const uint8_t *p, size_t n, const char *name, struct orc_tail *t,
		      struct tarn_err *err)
{
	return tail_read_limited(p, n, name, t, (size_t)1 << 30, true, err);
}

/* ---- schema ------------------------------------------------------------------------------- */

/* Builds the tarn type of ORC type `id` into *out and checks the tree:
 * subtypes come later in the list (pre-order) and each has one parent. */
static tarn_rc build_type_in(struct orc_reader *r, int id, int depth, int *parents,
			     struct tarn_type *out, struct tarn_err *err);

/* On failure *out is left cleared (nothing to free). */
static tarn_rc build_type(struct orc_reader *r, int id, int depth, int *parents,
			  struct tarn_type *out, struct tarn_err *err)
{
	memset(out, 0, sizeof *out);
	tarn_rc rc = build_type_in(r, id, depth, parents, out, err);
	if (rc)
		tarn_type_clear(out);
	return rc;
}

static tarn_rc build_type_in(struct orc_reader *r, int id, int depth, int *parents,
			     struct tarn_type *out, struct tarn_err *err)
{
	const struct orc_footer *f = &r->tail.footer;
	const struct orc_type *t = &f->types[id];
	if (depth > ORC_MAX_DEPTH)
		return tarn_err_set(err, TARN_ELIMIT, "%s: types nested deeper than %d levels",
				    r->name, ORC_MAX_DEPTH);
	bool compound = t->kind == ORC_LIST || t->kind == ORC_MAP || t->kind == ORC_STRUCT ||
			t->kind == ORC_UNION;
	if (!compound && t->n_sub > 0)
		return tarn_err_set(err, TARN_EDATA,
				    "%s: corrupt type tree (type %d, a %s, lists subtypes)", r->name, id,
				    orc_kind_name(t->kind));
	for (int i = 0; i < t->n_sub; i++) {
		uint32_t s = t->sub[i];
		if (s <= (uint32_t)id || s >= (uint32_t)f->n_types || parents[s] != -1)
			return tarn_err_set(err, TARN_EDATA,
					    "%s: corrupt type tree (type %d lists subtype %u)", r->name,
					    id, s);
		parents[s] = id;
	}
	switch (t->kind) {
	case ORC_BOOLEAN: tarn_type_init(out, TARN_T_BOOL); break;
	case ORC_BYTE: tarn_type_init(out, TARN_T_INT8); break;
	case ORC_SHORT: tarn_type_init(out, TARN_T_INT16); break;
	case ORC_INT: tarn_type_init(out, TARN_T_INT32); break;
	case ORC_LONG: tarn_type_init(out, TARN_T_INT64); break;
	case ORC_FLOAT: tarn_type_init(out, TARN_T_FLOAT32); break;
	case ORC_DOUBLE: tarn_type_init(out, TARN_T_FLOAT64); break;
	case ORC_STRING:
	case ORC_VARCHAR:
	case ORC_CHAR: tarn_type_init(out, TARN_T_STRING); break;
	case ORC_BINARY: tarn_type_init(out, TARN_T_BINARY); break;
	case ORC_DATE: tarn_type_init(out, TARN_T_DATE32); break;
	case ORC_TIMESTAMP: TRY(tarn_type_init_timestamp(out, TARN_UNIT_NS, NULL)); break;
	case ORC_TIMESTAMP_INSTANT: TRY(tarn_type_init_timestamp(out, TARN_UNIT_NS, "UTC")); break;
	case ORC_DECIMAL: {
		/* Hive 0.11 decimals have no precision: read as (38, 6), the
		 * scale ORC's C++ reader forces on them. */
		int p = (int)t->precision, s = (int)t->scale;
		if (!t->has_precision || p == 0)
			p = 38, s = 6;
		if (p > 38 || s > p)
			return tarn_err_set(err, TARN_EDATA, "%s: type %d: invalid decimal(%d,%d)",
					    r->name, id, p, s);
		tarn_type_init_decimal(out, p, s);
		break;
	}
	case ORC_LIST: {
		if (t->n_sub != 1)
			return tarn_err_set(err, TARN_EDATA, "%s: type %d: a list needs one subtype",
					    r->name, id);
		struct tarn_type item;
		TRY(build_type(r, (int)t->sub[0], depth + 1, parents, &item, err));
		if (tarn_type_init_list(out, &item, true)) {
			tarn_type_clear(&item);
			return tarn_err_nomem(err, "ORC schema");
		}
		break;
	}
	case ORC_MAP: {
		if (t->n_sub != 2)
			return tarn_err_set(err, TARN_EDATA, "%s: type %d: a map needs two subtypes",
					    r->name, id);
		struct tarn_type k, v;
		TRY(build_type(r, (int)t->sub[0], depth + 1, parents, &k, err));
		tarn_rc rc = build_type(r, (int)t->sub[1], depth + 1, parents, &v, err);
		if (rc) {
			tarn_type_clear(&k);
			return rc;
		}
		if (tarn_type_init_map(out, &k, &v, true)) {
			tarn_type_clear(&k);
			tarn_type_clear(&v);
			return tarn_err_nomem(err, "ORC schema");
		}
		break;
	}
	case ORC_STRUCT:
	case ORC_UNION: {
		bool u = t->kind == ORC_UNION;
		if (u && (t->n_sub == 0 || t->n_sub > ORC_MAX_UNION))
			return tarn_err_set(err, TARN_EDATA, "%s: type %d: a union needs 1..%d variants",
					    r->name, id, ORC_MAX_UNION);
		if (tarn_type_init_struct(out, t->n_sub + (u ? 1 : 0)))
			return tarn_err_nomem(err, "ORC schema");
		int base = 0;
		if (u) {
			struct tarn_field *tag = &out->children[0];
			tarn_type_init(&tag->type, TARN_T_INT8);
			tag->nullable = true;
			if (tarn_field_set_name(tag, "tag", 3))
				return tarn_err_nomem(err, "ORC schema");
			base = 1;
		}
		for (int i = 0; i < t->n_sub; i++) {
			struct tarn_field *fd = &out->children[base + i];
			char nm[32];
			const char *name = nm;
			if (u)
				snprintf(nm, sizeof nm, "field%d", i);
			else if (i < t->n_names)
				name = t->names[i];
			else
				snprintf(nm, sizeof nm, "_col%d", i);
			if (tarn_field_set_name(fd, name, strlen(name)))
				return tarn_err_nomem(err, "ORC schema");
			fd->nullable = true;
			TRY(build_type(r, (int)t->sub[i], depth + 1, parents, &fd->type, err));
		}
		break;
	}
	default:
		return tarn_err_set(err, TARN_EUNSUPPORTED, "%s: type %d has an unknown ORC kind %d",
				    r->name, id, t->kind);
	}
	return TARN_OK;
}

/* Makes the rcol tree for ORC type `id` whose tarn type is tt. */
static tarn_rc make_rcol(struct orc_reader *r, int id, const struct tarn_type *tt, const char *path,
			 struct orc_dctx *dc, struct rcol **out, struct tarn_err *err)
{
	const struct orc_type *t = &r->tail.footer.types[id];
	struct rcol *c = &r->cols[r->n_cols++];
	c->id = id;
	c->t = t;
	c->kind = t->kind;
	c->tt = tt;
	c->lim = &r->lim;
	c->dc = dc;
	c->stripe = -1;
	c->scale = tt->id == TARN_T_DECIMAL128 ? tt->scale : 0;
	c->path = tarn_arena_strndup(&r->arena, path, strlen(path));
	if (!c->path)
		return tarn_err_nomem(err, "ORC reader");
	c->n_children = t->n_sub;
	if (t->n_sub) {
		c->children = tarn_arena_alloc(&r->arena, (size_t)t->n_sub * sizeof *c->children);
		if (!c->children)
			return tarn_err_nomem(err, "ORC reader");
	}
	for (int i = 0; i < t->n_sub; i++) {
		const struct tarn_type *ct;
		const char *cname;
		switch (t->kind) {
		case ORC_LIST: ct = &tt->children[0].type; cname = "item"; break;
		case ORC_MAP:
			ct = &tt->children[0].type.children[i].type;
			cname = i ? "value" : "key";
			break;
		case ORC_UNION:
			ct = &tt->children[i + 1].type;
			cname = tt->children[i + 1].name;
			break;
		default: ct = &tt->children[i].type; cname = tt->children[i].name; break;
		}
		char sub[512];
		snprintf(sub, sizeof sub, "%s.%s", path, cname);
		TRY(make_rcol(r, (int)t->sub[i], ct, sub, dc, &c->children[i], err));
	}
	*out = c;
	return TARN_OK;
}

static int count_subtree(const struct orc_footer *f, int id)
{
	int n = 1;
	for (int i = 0; i < f->types[id].n_sub; i++)
		n += count_subtree(f, (int)f->types[id].sub[i]);
	return n;
}

static tarn_rc build_schema(struct orc_reader *r, const char *columns, struct tarn_err *err)
{
	const struct orc_footer *f = &r->tail.footer;
	int *parents = tarn_malloc((size_t)(f->n_types ? f->n_types : 1) * sizeof *parents);
	if (!parents)
		return tarn_err_nomem(err, "ORC reader");
	for (int i = 0; i < f->n_types; i++)
		parents[i] = -1;
	struct tarn_type root;
	memset(&root, 0, sizeof root);
	tarn_rc rc = TARN_OK;
	bool root_struct = f->n_types > 0 && f->types[0].kind == ORC_STRUCT;
	if (f->n_types > 0) {
		rc = build_type(r, 0, 0, parents, &root, err);
		if (rc)
			goto out;
	}
	for (int i = 0; i < f->n_types; i++)
		((struct orc_type *)&f->types[i])->parent = i == 0 ? -1 : parents[i];
	/* top-level fields of the file: the root struct's members, or the root
	 * itself as one column "_col0" */
	int nf = f->n_types == 0 ? 0 : root_struct ? root.n_children : 1;
	int *sel = tarn_malloc((size_t)(nf ? nf : 1) * sizeof *sel);
	int n_sel = 0;
	if (!sel) {
		rc = tarn_err_nomem(err, "ORC reader");
		goto out;
	}
	if (columns) {
		const char *p = columns;
		while (*p) {
			const char *q = strchr(p, ',');
			size_t len = q ? (size_t)(q - p) : strlen(p);
			int found = -1;
			for (int i = 0; i < nf; i++) {
				const char *nm = root_struct ? root.children[i].name : "_col0";
				if (strlen(nm) == len && memcmp(nm, p, len) == 0) {
					found = i;
					break;
				}
			}
			if (found < 0) {
				char names[400];
				size_t nl = 0;
				names[0] = '\0';
				for (int i = 0; i < nf && nl < sizeof names - 1; i++)
					nl += (size_t)snprintf(names + nl, sizeof names - nl, "%s%s",
							       i ? ", " : "",
							       root_struct ? root.children[i].name : "_col0");
				rc = tarn_err_set(err, TARN_ENOTFOUND,
						  "%s: option columns: no column '%.*s' (columns: %s)",
						  r->name, (int)len, p, names);
				tarn_free(sel);
				goto out;
			}
			if (n_sel < nf)
				sel[n_sel++] = found;
			p += len;
			if (*p == ',')
				p++;
		}
	} else {
		for (int i = 0; i < nf; i++)
			sel[n_sel++] = i;
	}
	struct tarn_schema *s;
	if (tarn_schema_new(n_sel, &s)) {
		tarn_free(sel);
		rc = tarn_err_nomem(err, "ORC reader");
		goto out;
	}
	r->base.schema = s;
	int total = 0;
	for (int k = 0; k < n_sel; k++) {
		struct tarn_field *fd = &s->fields[k];
		int id = root_struct ? (int)f->types[0].sub[sel[k]] : 0;
		total += count_subtree(f, id);
		if (root_struct) {
			rc = tarn_field_copy(fd, &root.children[sel[k]]);
		} else {
			rc = tarn_field_set_name(fd, "_col0", 5);
			if (!rc)
				rc = tarn_type_copy(&fd->type, &root);
			fd->nullable = true;
		}
		if (rc) {
			tarn_free(sel);
			rc = tarn_err_nomem(err, "ORC reader");
			goto out;
		}
	}
	r->cols = tarn_calloc((size_t)(total ? total : 1), sizeof *r->cols);
	r->top = tarn_calloc((size_t)(n_sel ? n_sel : 1), sizeof *r->top);
	r->dcs = tarn_calloc((size_t)(n_sel ? n_sel : 1), sizeof *r->dcs);
	r->tasks = tarn_calloc((size_t)(n_sel ? n_sel : 1), sizeof *r->tasks);
	if (!r->cols || !r->top || !r->dcs || !r->tasks) {
		tarn_free(sel);
		rc = tarn_err_nomem(err, "ORC reader");
		goto out;
	}
	r->n_top = n_sel;
	for (int k = 0; k < n_sel && !rc; k++) {
		int id = root_struct ? (int)f->types[0].sub[sel[k]] : 0;
		rc = make_rcol(r, id, &s->fields[k].type, s->fields[k].name, &r->dcs[k], &r->top[k],
			       err);
	}
	tarn_free(sel);
out:
	tarn_type_clear(&root);
	tarn_free(parents);
	return rc;
}

/* ---- stripes -------------------------------------------------------------------------------- */

static tarn_rc stripe_fail(struct orc_reader *r, int s, tarn_rc rc, const char *why,
			   struct tarn_err *err)
{
	return tarn_err_set(err, rc, "%s: stripe %d (byte offset %llu): %s", r->name, s,
			    (unsigned long long)r->tail.footer.stripes[s].offset, why);
}

static tarn_rc get_tz(struct orc_reader *r, const char *name, const struct orc_tz **out,
		      const char **why)
{
	for (int i = 0; i < r->n_tz; i++)
		if (strcmp(orc_tz_name(r->tzs[i]), name) == 0) {
			*out = r->tzs[i];
			return TARN_OK;
		}
	struct orc_tz *tz;
	TRY(orc_tz_load(name, &tz, why));
	if (r->n_tz == TZ_CACHE) {
		orc_tz_free(r->tzs[0]);
		memmove(r->tzs, r->tzs + 1, (TZ_CACHE - 1) * sizeof *r->tzs);
		r->n_tz--;
	}
	r->tzs[r->n_tz++] = tz;
	*out = tz;
	return TARN_OK;
}

/* Stream kinds a column reads, indexed by kind (0..6). */
struct col_streams {
	const uint8_t *p[7];
	uint64_t n[7];
	bool has[7];
};

static tarn_rc find_streams(struct orc_reader *r, int s, int id, struct col_streams *cs,
			    struct tarn_err *err)
{
	memset(cs, 0, sizeof *cs);
	const uint8_t *base = r->file + r->tail.footer.stripes[s].offset;
	for (int i = 0; i < r->sf.n_streams; i++) {
		const struct orc_stream_info *st = &r->sf.streams[i];
		if (st->column != (uint32_t)id || st->kind < 0 || st->kind > ORC_S_ROW_INDEX)
			continue;
		if (cs->has[st->kind]) {
			char m[96];
			snprintf(m, sizeof m, "column %d has two %s streams", id,
				 orc_stream_kind_name(st->kind));
			return stripe_fail(r, s, TARN_EDATA, m, err);
		}
		cs->has[st->kind] = true;
		cs->p[st->kind] = base + st->offset;
		cs->n[st->kind] = st->length;
	}
	return TARN_OK;
}

static void stream_setup(struct orc_reader *r, struct orc_stream *st, const struct col_streams *cs,
			 int kind, struct orc_dctx *dc)
{
	size_t block = (size_t)r->tail.ps.block_size;
	if (cs->has[kind]) {
		orc_stream_init(st, cs->p[kind], (size_t)cs->n[kind], r->tail.ps.compression, block, dc);
	} else {
		orc_stream_init(st, NULL, 0, r->tail.ps.compression, block, dc);
		st->present = false;
	}
}

static bool encoding_ok(int kind, int enc)
{
	switch (kind) {
	case ORC_STRING:
	case ORC_VARCHAR:
	case ORC_CHAR: return enc >= ORC_E_DIRECT && enc <= ORC_E_DICTIONARY_V2;
	case ORC_BOOLEAN:
	case ORC_BYTE:
	case ORC_FLOAT:
	case ORC_DOUBLE:
	case ORC_STRUCT:
	case ORC_UNION: return enc == ORC_E_DIRECT || enc == ORC_E_DIRECT_V2;
	default: return enc == ORC_E_DIRECT || enc == ORC_E_DIRECT_V2;
	}
}

static tarn_rc setup_col(struct orc_reader *r, int s, struct rcol *c, struct tarn_err *err)
{
	struct col_streams cs;
	TRY(find_streams(r, s, c->id, &cs, err));
	const struct orc_col_encoding *e = &r->sf.encodings[c->id];
	if (!encoding_ok(c->kind, e->kind)) {
		char m[160];
		snprintf(m, sizeof m, "column '%s': encoding %d is not valid for a %s column", c->path,
			 e->kind, orc_kind_name(c->kind));
		return stripe_fail(r, s, TARN_EDATA, m, err);
	}
	c->enc = e->kind;
	c->v2 = e->kind == ORC_E_DIRECT_V2 || e->kind == ORC_E_DICTIONARY_V2;
	c->dict_size = e->dict_size;
	c->dict_loaded = false;
	c->stripe = s;
	c->why = NULL;
	c->ri.n = 0;
	c->decimal64 = c->kind == ORC_DECIMAL && r->decimal64_file && c->tt->precision <= 18 &&
		       !cs.has[ORC_S_SECONDARY];
	c->has_present = cs.has[ORC_S_PRESENT];
	stream_setup(r, &c->present, &cs, ORC_S_PRESENT, c->dc);
	stream_setup(r, &c->data, &cs, ORC_S_DATA, c->dc);
	stream_setup(r, &c->length, &cs, ORC_S_LENGTH, c->dc);
	stream_setup(r, &c->secondary, &cs, ORC_S_SECONDARY, c->dc);
	stream_setup(r, &c->dict, &cs, ORC_S_DICTIONARY_DATA, c->dc);
	orc_bool_init(&c->present_dec, &c->present);
	orc_bool_init(&c->bool_dec, &c->data);
	orc_brle_init(&c->byte_dec, &c->data);
	bool signed_data = !(c->enc == ORC_E_DICTIONARY || c->enc == ORC_E_DICTIONARY_V2);
	orc_irle_init(&c->int_dec, &c->data, c->v2 || c->decimal64, signed_data);
	orc_irle_init(&c->len_dec, &c->length, c->v2, false);
	/* SECONDARY: nanoseconds are unsigned, decimal scales signed */
	orc_irle_init(&c->sec_dec, &c->secondary, c->v2, c->kind == ORC_DECIMAL);
	if (c->kind == ORC_TIMESTAMP || c->kind == ORC_TIMESTAMP_INSTANT) {
		c->tz = NULL;
		c->ts_epoch = ORC_TS_BASE;
		if (c->kind == ORC_TIMESTAMP && r->sf.has_tz && r->sf.tz_len > 0) {
			char name[128];
			size_t n = r->sf.tz_len < sizeof name - 1 ? r->sf.tz_len : sizeof name - 1;
			memcpy(name, r->sf.tz, n);
			name[n] = '\0';
			const char *why = NULL;
			tarn_rc rc = get_tz(r, name, &c->tz, &why);
			if (rc) {
				char m[256];
				snprintf(m, sizeof m, "writer time zone '%s': %s", name, why);
				return stripe_fail(r, s, rc, m, err);
			}
			/* the writer's 2015-01-01 00:00:00, local */
			c->ts_epoch = ORC_TS_BASE - orc_tz_offset(c->tz, ORC_TS_BASE);
		}
	}
	for (int i = 0; i < c->n_children; i++)
		TRY(setup_col(r, s, c->children[i], err));
	return TARN_OK;
}

/* Decompresses and decodes column id's ROW_INDEX stream of the current
 * stripe into *ri (stripe arena); ri->n = 0 when there is none. */
static tarn_rc load_row_index(struct orc_reader *r, int s, int id, struct orc_row_index *ri,
			      struct tarn_err *err)
{
	memset(ri, 0, sizeof *ri);
	struct col_streams cs;
	TRY(find_streams(r, s, id, &cs, err));
	if (!cs.has[ORC_S_ROW_INDEX])
		return TARN_OK;
	struct tarn_buf b;
	tarn_buf_init(&b);
	const char *why = NULL;
	tarn_rc rc = orc_decompress_all(r->tail.ps.compression, (size_t)r->tail.ps.block_size,
					cs.p[ORC_S_ROW_INDEX], (size_t)cs.n[ORC_S_ROW_INDEX], &b,
					r->lim.max_meta, &r->dcs[0], &why);
	if (rc == TARN_OK) {
		/* the entries point into the bytes: keep them in the arena */
		uint8_t *keep = tarn_arena_alloc(&r->sarena, b.len ? b.len : 1);
		if (!keep) {
			rc = TARN_ENOMEM;
			why = "out of memory for a row index";
		} else {
			memcpy(keep, b.data, b.len);
			rc = orc_row_index_decode(keep, b.len, &r->sarena, ri, &why);
		}
	}
	tarn_buf_free(&b);
	if (rc) {
		char m[200];
		snprintf(m, sizeof m, "row index of column %d: %s", id, why);
		return stripe_fail(r, s, rc, m, err);
	}
	return TARN_OK;
}

static bool subtree_has_index(const struct rcol *c, int64_t groups)
{
	if (c->ri.n < groups)
		return false;
	for (int i = 0; i < c->n_children; i++)
		if (!subtree_has_index(c->children[i], groups))
			return false;
	return true;
}

static tarn_rc load_subtree_index(struct orc_reader *r, int s, struct rcol *c, struct tarn_err *err)
{
	TRY(load_row_index(r, s, c->id, &c->ri, err));
	for (int i = 0; i < c->n_children; i++)
		TRY(load_subtree_index(r, s, c->children[i], err));
	return TARN_OK;
}

static tarn_rc add_range(struct orc_reader *r, int64_t first, int64_t end)
{
	if (r->n_ranges > 0 && r->ranges[r->n_ranges - 1].end == first) {
		r->ranges[r->n_ranges - 1].end = end;
		return TARN_OK;
	}
	struct orc_row_range *v =
		tarn_arena_alloc(&r->sarena, (size_t)(r->n_ranges + 1) * sizeof *v);
	if (!v)
		return TARN_ENOMEM;
	if (r->n_ranges)
		memcpy(v, r->ranges, (size_t)r->n_ranges * sizeof *v);
	v[r->n_ranges++] = (struct orc_row_range){ first, end };
	r->ranges = v;
	return TARN_OK;
}

/* The row ranges of stripe s to read (note 4). */
static tarn_rc plan_ranges(struct orc_reader *r, int s, struct tarn_err *err)
{
	int64_t rows = (int64_t)r->tail.footer.stripes[s].rows;
	r->ranges = NULL;
	r->n_ranges = 0;
	uint32_t stride = r->tail.footer.row_index_stride;
	if (!r->pruned || stride == 0)
		return add_range(r, 0, rows) ? tarn_err_nomem(err, "ORC reader") : TARN_OK;
	int64_t groups = (rows + stride - 1) / stride;
	struct orc_row_index pri;
	TRY(load_row_index(r, s, r->prune_id, &pri, err));
	bool usable = pri.n == groups;
	if (usable) {
		for (int k = 0; k < r->n_top; k++)
			TRY(load_subtree_index(r, s, r->top[k], err));
		for (int k = 0; k < r->n_top && usable; k++)
			usable = subtree_has_index(r->top[k], groups);
	}
	r->groups_total += groups;
	if (!usable) {
		r->groups_kept += groups;
		return add_range(r, 0, rows) ? tarn_err_nomem(err, "ORC reader") : TARN_OK;
	}
	for (int64_t g = 0; g < groups; g++) {
		const struct orc_index_entry *e = &pri.entries[g];
		if (e->has_stats && !orc_stats_may_match(&r->pc, &e->stats, &r->lo, &r->hi))
			continue;
		r->groups_kept++;
		int64_t first = g * stride, end = first + stride < rows ? first + stride : rows;
		if (add_range(r, first, end))
			return tarn_err_nomem(err, "ORC reader");
	}
	return TARN_OK;
}

static tarn_rc setup_stripe(struct orc_reader *r, int s, struct tarn_err *err)
{
	tarn_arena_reset(&r->sarena);
	const struct orc_stripe_info *si = &r->tail.footer.stripes[s];
	const char *why = NULL;
	size_t foff = (size_t)(si->offset + si->index_len + si->data_len);
	tarn_rc rc = orc_decompress_all(r->tail.ps.compression, (size_t)r->tail.ps.block_size,
					r->file + foff, (size_t)si->footer_len, &r->sbuf,
					r->lim.max_meta, &r->dcs[0], &why);
	if (rc == TARN_OK)
		rc = orc_stripe_footer_decode((const uint8_t *)r->sbuf.data, r->sbuf.len, &r->sarena,
					      &r->sf, &why);
	if (rc)
		return stripe_fail(r, s, rc, why, err);
	if (r->sf.encrypted)
		return stripe_fail(r, s, TARN_EUNSUPPORTED,
				   "encrypted columns are not supported", err);
	if (r->sf.n_encodings != r->tail.footer.n_types) {
		char m[160];
		snprintf(m, sizeof m,
			 "bad number of ColumnEncodings in StripeFooter: %d for %d columns",
			 r->sf.n_encodings, r->tail.footer.n_types);
		return stripe_fail(r, s, TARN_EDATA, m, err);
	}
	uint64_t off = 0, room = si->index_len + si->data_len;
	for (int i = 0; i < r->sf.n_streams; i++) {
		struct orc_stream_info *st = &r->sf.streams[i];
		if (st->length > room - off) {
			char m[160];
			snprintf(m, sizeof m,
				 "stream %d (%s of column %u, %llu bytes) runs past the stripe's data",
				 i, orc_stream_kind_name(st->kind), st->column,
				 (unsigned long long)st->length);
			return stripe_fail(r, s, TARN_EDATA, m, err);
		}
		st->offset = off;
		off += st->length;
	}
	for (int k = 0; k < r->n_top; k++)
		TRY(setup_col(r, s, r->top[k], err));
	TRY(plan_ranges(r, s, err));
	r->range_i = 0;
	r->pos = 0;
	/* Pages of earlier stripes will not be read again. */
	if (!r->owned && r->base.in && s > 0)
		tarn_input_release(r->base.in, (size_t)si->offset);
	return TARN_OK;
}

/* ---- batches ---------------------------------------------------------------------------------- */

static void col_task(void *arg)
{
	struct task *t = arg;
	struct orc_reader *r = t->r;
	struct rcol *c = t->col;
	tarn_rc rc = TARN_OK;
	if (t->seek_group >= 0)
		rc = orc_col_seek(c, t->seek_group, r->compressed);
	if (rc == TARN_OK)
		rc = orc_col_read(c, t->arr, t->rows, NULL);
	t->rc = rc;
	if (rc) {
		const struct rcol *where = c;
		char wbuf[200];
		const char *why = orc_col_why(c, &where, wbuf, sizeof wbuf);
		tarn_err_set(&t->err, rc, "%s: stripe %d, column '%s' (ORC column %d): %s", r->name,
			     where->stripe, where->path, where->id,
			     why ? why : tarn_rc_name(rc));
	}
}

static tarn_rc start_job(struct orc_reader *r, struct tarn_err *err)
{
	r->job_active = false;
	const struct orc_footer *f = &r->tail.footer;
	for (;;) {
		if (r->stripe >= 0 && r->range_i < r->n_ranges)
			break;
		int s = r->stripe + 1;
		while (s < f->n_stripes &&
		       (f->stripes[s].rows == 0 || (r->keep_stripe && !r->keep_stripe[s])))
			s++;
		r->stripe = s;
		if (s >= f->n_stripes)
			return TARN_OK;
		TRY(setup_stripe(r, s, err));
	}
	const struct orc_row_range *rg = &r->ranges[r->range_i];
	int seek_group = -1;
	if (r->pos < rg->first) {
		seek_group = (int)(rg->first / f->row_index_stride);
		r->pos = rg->first;
	}
	int64_t rows = rg->end - r->pos;
	if (rows > r->batch_rows)
		rows = r->batch_rows;
	struct tarn_batch *b;
	if (tarn_batch_new(r->base.schema, rows, &b))
		return tarn_err_nomem(err, "ORC batch");
	r->job = b;
	r->job_rows = rows;
	r->job_stripe = r->stripe;
	r->job_active = true;
	r->pos += rows;
	if (r->pos == rg->end)
		r->range_i++;
	for (int k = 0; k < r->n_top; k++) {
		struct task *t = &r->tasks[k];
		t->r = r;
		t->col = r->top[k];
		t->arr = b->cols[k];
		t->rows = rows;
		t->seek_group = seek_group;
		t->rc = TARN_OK;
		tarn_err_clear(&t->err);
		t->t.fn = col_task;
		t->t.arg = t;
	}
	for (int k = 0; k < r->n_top; k++)
		tarn_pool_submit(&r->tasks[k].t);
	return TARN_OK;
}

static void wait_job(struct orc_reader *r)
{
	if (!r->job_active)
		return;
	for (int k = 0; k < r->n_top; k++)
		tarn_task_wait(&r->tasks[k].t);
}

static tarn_rc finish_job(struct orc_reader *r, struct tarn_batch **out, struct tarn_err *err)
{
	wait_job(r);
	r->job_active = false;
	struct tarn_batch *b = r->job;
	r->job = NULL;
	for (int k = 0; k < r->n_top; k++) {
		if (r->tasks[k].rc) {
			tarn_batch_free(b);
			tarn_err_set(err, r->tasks[k].rc, "%s", r->tasks[k].err.msg);
			return r->tasks[k].rc;
		}
	}
	b->n_rows = r->job_rows;
	if (r->n_top > 0 && tarn_batch_seal(b, err)) {
		tarn_batch_free(b);
		return TARN_EINTERNAL;
	}
	*out = b;
	return TARN_OK;
}

static tarn_rc reader_next(struct tarn_reader *base, struct tarn_batch **out, struct tarn_err *err)
{
	struct orc_reader *r = (struct orc_reader *)base;
	*out = NULL;
	if (r->fail_rc) {
		tarn_err_set(err, r->fail_rc, "%s", r->fail_err.msg);
		return r->fail_rc;
	}
	if (r->empty)
		return TARN_OK;
	if (!r->started) {
		r->started = true;
		r->pend_rc = start_job(r, &r->pend_err);
	}
	tarn_rc rc = TARN_OK;
	if (r->job_active)
		rc = finish_job(r, out, &r->fail_err);
	else if (r->pend_rc)
		rc = tarn_err_set(&r->fail_err, r->pend_rc, "%s", r->pend_err.msg);
	else
		return TARN_OK; /* the end */
	if (rc) {
		r->fail_rc = rc;
		tarn_err_set(err, rc, "%s", r->fail_err.msg);
		return rc;
	}
	if (!r->owned && r->base.in)
		tarn_input_set_consumed(r->base.in,
					(int64_t)r->tail.footer.stripes[r->job_stripe].offset);
	/* Prefetch: the next batch decodes while the caller uses this one; a
	 * failure to start it is reported in its turn. */
	tarn_err_clear(&r->pend_err);
	r->pend_rc = start_job(r, &r->pend_err);
	return TARN_OK;
}

static void reader_close(struct tarn_reader *base)
{
	struct orc_reader *r = (struct orc_reader *)base;
	wait_job(r);
	tarn_batch_free(r->job);
	for (int i = 0; i < r->n_cols; i++)
		orc_col_free_state(&r->cols[i]);
	/* dcs has at least one entry (stripe footers use it with no columns) */
	for (int k = 0; r->dcs && k < (r->n_top ? r->n_top : 1); k++)
		orc_dctx_free(&r->dcs[k]);
	for (int i = 0; i < r->n_tz; i++)
		orc_tz_free(r->tzs[i]);
	tarn_free(r->cols);
	tarn_free(r->top);
	tarn_free(r->dcs);
	tarn_free(r->tasks);
	tarn_arena_free(&r->arena);
	tarn_arena_free(&r->sarena);
	tarn_arena_free(&r->parena);
	tarn_buf_free(&r->sbuf);
	orc_tail_free(&r->tail);
	tarn_free(r->owned);
	tarn_free(r);
}

static const struct tarn_reader_ops reader_ops = { .next = reader_next, .close = reader_close };

/* ---- open ------------------------------------------------------------------------------------- */

static tarn_rc read_all(struct tarn_input *in, uint8_t **out, size_t *n, struct tarn_err *err)
{
	size_t cap = 1 << 20, len = 0;
	uint8_t *p = tarn_malloc(cap);
	if (!p)
		return tarn_err_nomem(err, "ORC input");
	for (;;) {
		if (len == cap) {
			uint8_t *q = tarn_realloc(p, cap * 2);
			if (!q) {
				tarn_free(p);
				return tarn_err_nomem(err, "ORC input");
			}
			p = q;
			cap *= 2;
		}
		size_t got;
		tarn_rc rc = tarn_input_read(in, p + len, cap - len, &got, err);
		if (rc) {
			tarn_free(p);
			return rc;
		}
		if (got == 0)
			break;
		len += got;
	}
	*out = p;
	*n = len;
	return TARN_OK;
}

static tarn_rc parse_opts(struct orc_reader *r, const struct tarn_opts *opts, struct tarn_err *err)
{
	int64_t v;
	TRY(tarn_opts_int(opts, "batch-rows", TARN_BATCH_ROWS, &r->batch_rows, err));
	if (r->batch_rows < 1 || r->batch_rows > (1 << 24))
		return tarn_err_set(err, TARN_EUSAGE, "option batch-rows: must be 1..16777216");
	TRY(tarn_opts_int(opts, "max-batch-values", (int64_t)1 << 27, &r->lim.max_values, err));
	if (r->lim.max_values < 1)
		return tarn_err_set(err, TARN_EUSAGE, "option max-batch-values: must be positive");
	TRY(tarn_opts_int(opts, "max-batch-bytes", INT32_MAX, &r->lim.max_bytes, err));
	if (r->lim.max_bytes < 1 || r->lim.max_bytes > INT32_MAX)
		return tarn_err_set(err, TARN_EUSAGE,
				    "option max-batch-bytes: must be 1..2147483647");
	TRY(tarn_opts_int(opts, "max-metadata-size", (int64_t)1 << 28, &v, err));
	if (v < 1024 || v > ((int64_t)1 << 32))
		return tarn_err_set(err, TARN_EUSAGE,
				    "option max-metadata-size: must be 1024..4294967296");
	r->lim.max_meta = (size_t)v;
	return TARN_OK;
}

tarn_rc orc_open_reader(struct tarn_input *in, const struct tarn_opts *opts,
			struct tarn_reader **out, struct tarn_err *err)
{
	*out = NULL;
	struct orc_reader *r = tarn_calloc(1, sizeof *r);
	if (!r)
		return tarn_err_nomem(err, "ORC reader");
	tarn_rc rc = TARN_OK;
	r->base.ops = &reader_ops;
	r->name = tarn_input_name(in);
	r->stripe = -1;
	tarn_arena_init(&r->arena, 4096);
	tarn_arena_init(&r->sarena, 4096);
	tarn_arena_init(&r->parena, 1024);
	tarn_buf_init(&r->sbuf);
	memset(&r->tail, 0, sizeof r->tail);
	tarn_arena_init(&r->tail.arena, 1024);
	TRY_OUT(parse_opts(r, opts, err));
	size_t n;
	const uint8_t *p = tarn_input_mapped(in, &n);
	if (!p) {
		TRY_OUT(read_all(in, &r->owned, &n, err));
		p = r->owned;
	}
	r->file = p;
	r->file_len = n;
	if (n == 0) {
		/* An empty file is an ORC file with no columns and no rows
		 * (ORC's own readers accept it). */
		r->empty = true;
		if (tarn_schema_new(0, &r->base.schema)) {
			rc = tarn_err_nomem(err, "ORC reader");
			goto out;
		}
		*out = &r->base;
		return TARN_OK;
	}
	orc_tail_free(&r->tail);
	TRY_OUT(tail_read_limited(p, n, r->name, &r->tail, r->lim.max_meta, false, err));
	r->compressed = r->tail.ps.compression != ORC_C_NONE;
	r->decimal64_file = r->tail.ps.n_version >= 2 && r->tail.ps.version[0] == 1 &&
			    r->tail.ps.version[1] == 9999;
	TRY_OUT(build_schema(r, tarn_opts_get(opts, "columns"), err));
	*out = &r->base;
	return TARN_OK;
out:
	tarn_schema_unref(r->base.schema);
	r->base.schema = NULL;
	reader_close(&r->base);
	return rc;
}

/* ---- pruning ------------------------------------------------------------------------------------ */

/* The ORC column id of a dotted path through structs (the first part a
 * top-level column of the file, projected or not), or -1. */
static int resolve_path(const struct orc_reader *r, const char *path)
{
	const struct orc_footer *f = &r->tail.footer;
	if (f->n_types == 0)
		return -1;
	int id = 0;
	const char *p = path;
	bool root_struct = f->types[0].kind == ORC_STRUCT;
	for (;;) {
		const char *dot = strchr(p, '.');
		size_t len = dot ? (size_t)(dot - p) : strlen(p);
		const struct orc_type *t = &f->types[id];
		int found = -1;
		if (id == 0 && !root_struct) {
			if (len == 5 && memcmp(p, "_col0", 5) == 0)
				found = 0;
		} else if (t->kind == ORC_STRUCT) {
			for (int i = 0; i < t->n_sub && found < 0; i++) {
				char nm[32];
				const char *name = nm;
				if (i < t->n_names)
					name = t->names[i];
				else
					snprintf(nm, sizeof nm, "_col%d", i);
				if (strlen(name) == len && memcmp(name, p, len) == 0)
					found = (int)t->sub[i];
			}
		}
		if (found < 0)
			return -1;
		id = found;
		if (!dot)
			return id;
		p = dot + 1;
	}
}

void orc_reader_prune_counts(const struct tarn_reader *base, int *stripes_kept, int *stripes,
			     int64_t *groups_kept, int64_t *groups)
{
	const struct orc_reader *r = (const struct orc_reader *)base;
	*stripes = r->tail.footer.n_stripes;
	*stripes_kept = r->pruned ? r->stripes_kept : *stripes;
	*groups_kept = r->groups_kept;
	*groups = r->groups_total;
}

static int tarn_id_of(int kind)
{
	switch (kind) {
	case ORC_BOOLEAN: return TARN_T_BOOL;
	case ORC_BYTE: return TARN_T_INT8;
	case ORC_SHORT: return TARN_T_INT16;
	case ORC_INT: return TARN_T_INT32;
	case ORC_LONG: return TARN_T_INT64;
	case ORC_FLOAT: return TARN_T_FLOAT32;
	case ORC_DOUBLE: return TARN_T_FLOAT64;
	case ORC_STRING:
	case ORC_VARCHAR:
	case ORC_CHAR: return TARN_T_STRING;
	case ORC_BINARY: return TARN_T_BINARY;
	case ORC_DATE: return TARN_T_DATE32;
	case ORC_TIMESTAMP:
	case ORC_TIMESTAMP_INSTANT: return TARN_T_TIMESTAMP;
	case ORC_DECIMAL: return TARN_T_DECIMAL128;
	default: return -1;
	}
}

/* How column `id`'s statistics compare (its kind, and what the writer
 * version says of string and decimal statistics). */
static void prune_col_of(const struct orc_reader *r, int id, struct orc_prune_col *pc)
{
	const struct orc_type *t = &r->tail.footer.types[id];
	memset(pc, 0, sizeof *pc);
	pc->kind = t->kind;
	pc->tarn_id = tarn_id_of(t->kind);
	pc->unit = TARN_UNIT_NS;
	pc->scale = t->kind == ORC_DECIMAL ? (!t->has_precision || t->precision == 0 ? 6 : (int)t->scale) : 0;
	/* Java writers before HIVE-8732 (writer version 1) compared strings
	 * as Java chars, not UTF-8 bytes; ORC-517 (version 7) fixed decimal64
	 * statistics. Other writers (C++ and later) register as 6+. */
	uint32_t wv = r->tail.ps.has_writer_version ? r->tail.ps.writer_version : 0;
	pc->strings_ok = wv >= 1;
	pc->decimal_ok = !(r->decimal64_file && wv < 7);
	pc->local_ts = t->kind == ORC_TIMESTAMP;
}

tarn_rc orc_reader_prune(struct tarn_reader *base, const char *column, const struct orc_bound *lo,
			 const struct orc_bound *hi, struct tarn_err *err)
{
	struct orc_reader *r = (struct orc_reader *)base;
	if (r->started || r->pruned)
		return tarn_err_set(err, TARN_EUSAGE,
				    "%s: pruning must be set once, before the first batch", r->name);
	if (r->empty)
		return tarn_err_set(err, TARN_ENOTFOUND, "%s: no column '%s'", r->name, column);
	int id = resolve_path(r, column);
	if (id < 0)
		return tarn_err_set(err, TARN_ENOTFOUND,
				    "%s: no column '%s' (top-level names or dotted paths through "
				    "structs)",
				    r->name, column);
	struct orc_prune_col *pc = &r->pc;
	prune_col_of(r, id, pc);
	for (int k = 0; k < 2; k++) {
		const struct orc_bound *src = k ? hi : lo;
		struct orc_bound *dst = k ? &r->hi : &r->lo;
		dst->p = NULL;
		dst->n = 0;
		if (!src || !src->p)
			continue;
		size_t n = src->n;
		int w = pc->tarn_id >= 0 ? tarn_type_width((enum tarn_type_id)pc->tarn_id) : 0;
		if (pc->tarn_id == TARN_T_BOOL)
			w = 1;
		if (w) {
			if (src->n < (size_t)w)
				return tarn_err_set(err, TARN_EUSAGE,
						    "%s: a bound for '%s' needs %d bytes, got %zu",
						    r->name, column, w, src->n);
			n = (size_t)w;
		}
		void *p = tarn_arena_alloc(&r->parena, n ? n : 1);
		if (!p)
			return tarn_err_nomem(err, "ORC reader");
		memcpy(p, src->p, n);
		dst->p = p;
		dst->n = n;
	}
	int ns = r->tail.footer.n_stripes;
	r->keep_stripe = tarn_arena_alloc(&r->parena, (size_t)(ns ? ns : 1) * sizeof(bool));
	if (!r->keep_stripe)
		return tarn_err_nomem(err, "ORC reader");
	r->stripes_kept = 0;
	const struct orc_metadata *m = &r->tail.meta;
	for (int s = 0; s < ns; s++) {
		bool keep = true;
		if (r->tail.has_meta && s < m->n_stripes && id < m->n_cols)
			keep = orc_stats_may_match(pc, &m->stats[(size_t)s * (size_t)m->n_cols + (size_t)id],
						   &r->lo, &r->hi);
		r->keep_stripe[s] = keep;
		r->stripes_kept += keep;
	}
	r->prune_id = id;
	r->pruned = true;
	return TARN_OK;
}

tarn_rc orc_reader_narrow(struct tarn_reader *base, const char *column, const struct orc_bound *lo,
			  const struct orc_bound *hi, struct tarn_err *err)
{
	struct orc_reader *r = (struct orc_reader *)base;
	if (!r->pruned)
		return orc_reader_prune(base, column, lo, hi, err);
	if (r->started)
		return tarn_err_set(err, TARN_EUSAGE,
				    "%s: pruning must be set before the first batch", r->name);
	int id = resolve_path(r, column);
	if (id < 0)
		return tarn_err_set(err, TARN_ENOTFOUND, "%s: no column '%s'", r->name, column);
	struct orc_prune_col pc;
	prune_col_of(r, id, &pc);
	struct orc_bound none = { 0 };
	int w = pc.tarn_id >= 0 ? tarn_type_width((enum tarn_type_id)pc.tarn_id) : 0;
	if (pc.tarn_id == TARN_T_BOOL)
		w = 1;
	if (w && ((lo && lo->p && lo->n < (size_t)w) || (hi && hi->p && hi->n < (size_t)w)))
		return tarn_err_set(err, TARN_EUSAGE, "%s: a bound for '%s' needs %d bytes", r->name,
				    column, w);
	const struct orc_metadata *m = &r->tail.meta;
	int ns = r->tail.footer.n_stripes;
	r->stripes_kept = 0;
	for (int s = 0; s < ns; s++) {
		if (r->keep_stripe[s] && r->tail.has_meta && s < m->n_stripes && id < m->n_cols)
			r->keep_stripe[s] = orc_stats_may_match(
			    &pc, &m->stats[(size_t)s * (size_t)m->n_cols + (size_t)id], lo ? lo : &none,
			    hi ? hi : &none);
		r->stripes_kept += r->keep_stripe[s];
	}
	return TARN_OK;
}
