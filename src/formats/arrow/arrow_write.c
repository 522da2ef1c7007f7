/*
 * arrow_write.c — the Arrow IPC writer: the file format (magic, stream,
 * footer with the blocks of every dictionary and record batch) and the
 * stream format (schema, dictionary and record batch messages, end-of-stream
 * marker).
 *
 * Design notes
 *  1. Each input batch becomes one record batch message. Its buffers are the
 *     arrays' own (tarn arrays are Arrow's layout with offset 0): a body is a
 *     list of pointers written in order, each padded to 8 bytes, so nothing
 *     is copied except the few conversions Arrow needs (time64 in s/ms goes
 *     out as time32; dictionary indices). Validity bitmaps are left out
 *     (length 0) when a column has no nulls.
 *  2. Compression (LZ4_FRAME or ZSTD) is per buffer: an int64 uncompressed
 *     length, then the compressed bytes — or -1 and the raw bytes when
 *     compressing would not make the buffer smaller, as pyarrow does.
 *     Buffers are compressed in parallel on the pool when there is enough
 *     data.
 *  3. Dictionary encoding applies to top-level string and binary columns
 *     (option dictionary=COLS, or auto: those whose first batch has at most
 *     half as many distinct values as rows). Values get int32 indices in
 *     first-seen order through a hash table; before each record batch that
 *     brought new values a DictionaryBatch carries them, as a delta after
 *     the first. The schema message waits for the first batch, which auto
 *     needs to decide.
 *  4. Small pieces (message metadata, prefixes, padding) are staged and
 *     written in large writes; big buffers go straight to the output.
 *
 * Thread-safety: one writer per thread; compression tasks write only their
 * own output buffers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/mem.h"
#include "base/pool.h"
#include "formats/arrow/arrow_int.h"

#define MAX_TASKS 16
#define PARALLEL_MIN_BYTES (1 << 20)
#define STAGE_DIRECT (64 * 1024) /* pieces at least this big skip the stage */

/* One body buffer: an optional int64 prefix (compression) then n bytes. */
struct wbuf {
	const uint8_t *p;
	int64_t n;
	bool prefixed;
	int64_t prefix;
	const uint8_t *raw; /* the uncompressed bytes (compression input) */
	int64_t raw_n;
	uint8_t *zdst;      /* compressed output, owned */
	size_t zcap;
};

struct wblock {
	int64_t offset;
	int32_t meta_len;
	int64_t body_len;
};

struct wdict {
	int col;
	struct tarn_array *values; /* distinct values, first-seen order */
	uint64_t *hashes;          /* of values[i] */
	int64_t hashes_cap;
	int32_t *table;            /* value index + 1; 0 = empty */
	int64_t table_size;        /* power of two */
	int64_t written;           /* values already sent */
	bool sent;                 /* a dictionary batch went out (maybe empty) */
};

struct ztask {
	struct tarn_task task;
	struct ax_writer *w;
	int k, stride;
	tarn_rc rc;
	struct tarn_err err;
};

struct ax_writer {
	struct tarn_writer base;
	bool file_format;
	int codec; /* -1 = none */
	int level;
	bool started;
	char *dict_opt;
	int64_t *dict_ids; /* per column, -1 = plain */
	struct wdict *dicts;
	int n_dicts;

	struct fb_builder fb;
	uint8_t *nodes; /* FieldNode structs, 16 bytes each */
	int64_t n_nodes, nodes_cap;
	struct wbuf *bufs;
	int64_t n_bufs, bufs_cap;
	uint8_t **scratch; /* converted buffers, freed after the message */
	int64_t n_scratch, scratch_cap;
	struct wblock *dblocks, *rblocks;
	int64_t n_dblocks, dblocks_cap, n_rblocks, rblocks_cap;
	int64_t pos;
	struct tarn_buf stage;
	struct ax_codec codecs[MAX_TASKS];
};

static const char *wname(const struct ax_writer *w)
{
	return tarn_output_name(w->base.out);
}

static tarn_rc wnomem(struct ax_writer *w, struct tarn_err *err)
{
	return tarn_err_set(err, TARN_ENOMEM, "%s: out of memory", wname(w));
}

static bool grow(void **p, int64_t *cap, int64_t need, size_t elem)
{
	if (need <= *cap)
		return true;
	int64_t c = *cap ? *cap : 16;
	while (c < need)
		c *= 2;
	void *np = tarn_realloc(*p, (size_t)c * elem);
	if (!np)
		return false;
	*p = np;
	*cap = c;
	return true;
}

/* ---- output staging -------------------------------------------------------------- */

static tarn_rc flush_stage(struct ax_writer *w, struct tarn_err *err)
{
	if (!w->stage.len)
		return TARN_OK;
	tarn_rc rc = tarn_output_write(w->base.out, w->stage.data, w->stage.len, err);
	w->stage.len = 0;
	return rc;
}

static tarn_rc put(struct ax_writer *w, const void *p, size_t n, struct tarn_err *err)
{
	w->pos += (int64_t)n;
	if (n >= STAGE_DIRECT) {
		TRY(flush_stage(w, err));
		return tarn_output_write(w->base.out, p, n, err);
	}
	if (w->stage.len + n > (1 << 20))
		TRY(flush_stage(w, err));
	if (tarn_buf_append(&w->stage, p, n))
		return wnomem(w, err);
	return TARN_OK;
}

static tarn_rc put_zeros(struct ax_writer *w, size_t n, struct tarn_err *err)
{
	static const uint8_t zeros[8];
	return n ? put(w, zeros, n, err) : TARN_OK;
}

static int64_t pad8(int64_t n)
{
	return (n + 7) & ~(int64_t)7;
}

/* ---- collecting a body ------------------------------------------------------------- */

static void reset_body(struct ax_writer *w)
{
	for (int64_t i = 0; i < w->n_scratch; i++)
		tarn_free_aligned(w->scratch[i]);
	w->n_scratch = 0;
	for (int64_t i = 0; i < w->n_bufs; i++)
		tarn_free(w->bufs[i].zdst);
	w->n_bufs = 0;
	w->n_nodes = 0;
}

static tarn_rc add_node(struct ax_writer *w, int64_t length, int64_t nulls)
{
	if (!grow((void **)&w->nodes, &w->nodes_cap, (w->n_nodes + 1) * 16, 1))
		return TARN_ENOMEM;
	uint8_t *e = w->nodes + w->n_nodes * 16;
	memcpy(e, &length, 8);
	memcpy(e + 8, &nulls, 8);
	w->n_nodes++;
	return TARN_OK;
}

static tarn_rc add_buf(struct ax_writer *w, const void *p, int64_t n)
{
	if (!grow((void **)&w->bufs, &w->bufs_cap, w->n_bufs + 1, sizeof *w->bufs))
		return TARN_ENOMEM;
	struct wbuf *b = &w->bufs[w->n_bufs++];
	memset(b, 0, sizeof *b);
	b->p = b->raw = p;
	b->n = b->raw_n = p ? n : 0;
	return TARN_OK;
}

static uint8_t *new_scratch(struct ax_writer *w, size_t n)
{
	if (!grow((void **)&w->scratch, &w->scratch_cap, w->n_scratch + 1, sizeof *w->scratch))
		return NULL;
	uint8_t *p = tarn_alloc_aligned(n ? n : 1);
	if (p)
		w->scratch[w->n_scratch++] = p;
	return p;
}

static tarn_rc add_validity(struct ax_writer *w, const struct tarn_array *a)
{
	if (a->null_count > 0 && a->validity)
		return add_buf(w, a->validity, (a->length + 7) / 8);
	return add_buf(w, NULL, 0);
}

/* Nodes and buffers of a in pre-order (Arrow's flattening). */
static tarn_rc collect(struct ax_writer *w, const struct tarn_array *a, const char *col,
		       struct tarn_err *err)
{
	const struct tarn_type *t = a->type;
	int64_t n = a->length;
	if (t->id == TARN_T_NULL) /* no buffers at all */
		return add_node(w, n, n) ? wnomem(w, err) : TARN_OK;
	if (add_node(w, n, a->null_count) || add_validity(w, a))
		return wnomem(w, err);
	switch (t->id) {
	case TARN_T_BOOL:
		return add_buf(w, a->values, (n + 7) / 8) ? wnomem(w, err) : TARN_OK;
	case TARN_T_STRING:
	case TARN_T_BINARY:
		if (add_buf(w, a->offsets, (n + 1) * 4) || add_buf(w, a->values, a->offsets[n]))
			return wnomem(w, err);
		return TARN_OK;
	case TARN_T_LIST:
	case TARN_T_MAP:
		if (add_buf(w, a->offsets, (n + 1) * 4))
			return wnomem(w, err);
		return collect(w, a->children[0], col, err);
	case TARN_T_STRUCT:
		for (int i = 0; i < a->n_children; i++)
			TRY(collect(w, a->children[i], col, err));
		return TARN_OK;
	case TARN_T_TIME64:
		if (t->unit <= TARN_UNIT_MS) {
			int32_t *o = (int32_t *)new_scratch(w, (size_t)n * 4);
			if (!o)
				return wnomem(w, err);
			const int64_t *v = (const int64_t *)a->values;
			for (int64_t i = 0; i < n; i++) {
				if ((v[i] < INT32_MIN || v[i] > INT32_MAX) && !tarn_array_is_null(a, i))
					return tarn_err_set(err, TARN_EDATA,
							    "%s: column '%s': time value %lld at "
							    "row %lld does not fit Arrow's 32-bit "
							    "time32[%s]",
							    wname(w), col, (long long)v[i],
							    (long long)i,
							    tarn_time_unit_name(t->unit));
				o[i] = (int32_t)v[i];
			}
			return add_buf(w, o, n * 4) ? wnomem(w, err) : TARN_OK;
		}
		break;
	default:
		break;
	}
	int width = tarn_type_width(t->id);
	if (width <= 0)
		return tarn_err_set(err, TARN_EINTERNAL, "%s: column '%s': type %s", wname(w), col,
				    tarn_type_id_name(t->id));
	return add_buf(w, a->values, n * width) ? wnomem(w, err) : TARN_OK;
}

/* ---- compression ---------------------------------------------------------------------- */

static tarn_rc compress_one(struct ax_writer *w, struct ax_codec *c, struct wbuf *b,
			    struct tarn_err *err)
{
	if (b->raw_n == 0)
		return TARN_OK; /* empty buffers stay empty, no prefix */
	size_t cap = ax_compress_bound(w->codec, (size_t)b->raw_n);
	if (!b->zdst || b->zcap < cap) {
		tarn_free(b->zdst);
		b->zdst = tarn_malloc(cap);
		b->zcap = b->zdst ? cap : 0;
		if (!b->zdst)
			return tarn_err_nomem(err, "Arrow compression");
	}
	size_t zn;
	TRY(ax_compress(c, w->codec, w->level, b->raw, (size_t)b->raw_n, b->zdst, cap, &zn, err));
	b->prefixed = true;
	if ((int64_t)zn < b->raw_n) {
		b->prefix = b->raw_n;
		b->p = b->zdst;
		b->n = (int64_t)zn;
	} else {
		b->prefix = -1;
	}
	return TARN_OK;
}

static void ztask_run(void *arg)
{
	struct ztask *t = arg;
	struct ax_writer *w = t->w;
	for (int64_t i = t->k; i < w->n_bufs && !t->rc; i += t->stride)
		t->rc = compress_one(w, &w->codecs[t->k], &w->bufs[i], &t->err);
}

static tarn_rc compress_body(struct ax_writer *w, struct tarn_err *err)
{
	if (w->codec < 0 || !w->n_bufs)
		return TARN_OK;
	int64_t total = 0;
	for (int64_t i = 0; i < w->n_bufs; i++)
		total += w->bufs[i].raw_n;
	int n = tarn_pool_size();
	if (n > MAX_TASKS)
		n = MAX_TASKS;
	if (n > w->n_bufs)
		n = (int)w->n_bufs;
	if (total < PARALLEL_MIN_BYTES)
		n = 1;
	struct ztask t[MAX_TASKS];
	memset(t, 0, sizeof t);
	for (int k = 0; k < n; k++) {
		t[k].w = w;
		t[k].k = k;
		t[k].stride = n;
		t[k].task.fn = ztask_run;
		t[k].task.arg = &t[k];
		if (k > 0)
			tarn_pool_submit(&t[k].task);
	}
	ztask_run(&t[0]);
	for (int k = 1; k < n; k++)
		tarn_task_wait(&t[k].task);
	for (int k = 0; k < n; k++)
		if (t[k].rc)
			return tarn_err_set(err, t[k].rc, "%s: %s", wname(w), t[k].err.msg);
	return TARN_OK;
}

/* ---- messages ------------------------------------------------------------------------- */

/* Writes a message whose header table is `header` and whose body is the
 * collected buffers; records its block. */
static tarn_rc write_message(struct ax_writer *w, uint8_t type, fb_ref header, int64_t body_len,
			     struct tarn_err *err)
{
	struct fb_builder *b = &w->fb;
	fb_start(b);
	fb_add_i16(b, MSG_VERSION, AX_METADATA_V5);
	fb_add_u8(b, MSG_HEADER_TYPE, type);
	fb_add_ref(b, MSG_HEADER, header);
	fb_add_i64(b, MSG_BODY_LENGTH, body_len);
	fb_ref root = fb_end(b);
	const uint8_t *meta;
	size_t meta_n;
	tarn_rc rc = fb_finish(b, root, &meta, &meta_n);
	if (rc)
		return tarn_err_set(err, rc, "%s: building message metadata failed", wname(w));
	int64_t start = w->pos;
	uint32_t pre[2] = { AX_CONTINUATION, (uint32_t)meta_n };
	TRY(put(w, pre, 8, err));
	TRY(put(w, meta, meta_n, err));
	int64_t at = 0;
	for (int64_t i = 0; i < w->n_bufs; i++) {
		const struct wbuf *wb = &w->bufs[i];
		int64_t len = wb->n + (wb->prefixed ? 8 : 0);
		if (wb->prefixed)
			TRY(put(w, &wb->prefix, 8, err));
		if (wb->n)
			TRY(put(w, wb->p, (size_t)wb->n, err));
		TRY(put_zeros(w, (size_t)(pad8(len) - len), err));
		at += pad8(len);
	}
	if (at != body_len)
		return tarn_err_set(err, TARN_EINTERNAL, "%s: body length %lld, expected %lld",
				    wname(w), (long long)at, (long long)body_len);
	struct wblock blk = { start, (int32_t)(8 + meta_n), body_len };
	if (type == HDR_DICTIONARY_BATCH) {
		if (!grow((void **)&w->dblocks, &w->dblocks_cap, w->n_dblocks + 1, sizeof blk))
			return wnomem(w, err);
		w->dblocks[w->n_dblocks++] = blk;
	} else if (type == HDR_RECORD_BATCH) {
		if (!grow((void **)&w->rblocks, &w->rblocks_cap, w->n_rblocks + 1, sizeof blk))
			return wnomem(w, err);
		w->rblocks[w->n_rblocks++] = blk;
	}
	return TARN_OK;
}

/* RecordBatch table for the collected nodes and buffers (compressed first
 * when a codec is set); *body_len = the padded body size. */
static tarn_rc build_record_batch(struct ax_writer *w, int64_t rows, fb_ref *out,
				  int64_t *body_len, struct tarn_err *err)
{
	TRY(compress_body(w, err));
	struct fb_builder *b = &w->fb;
	uint8_t *spec = tarn_malloc((size_t)(w->n_bufs ? w->n_bufs : 1) * 16);
	if (!spec)
		return wnomem(w, err);
	int64_t at = 0;
	for (int64_t i = 0; i < w->n_bufs; i++) {
		const struct wbuf *wb = &w->bufs[i];
		int64_t len = wb->n + (wb->prefixed ? 8 : 0);
		memcpy(spec + i * 16, &at, 8);
		memcpy(spec + i * 16 + 8, &len, 8);
		at += pad8(len);
	}
	fb_ref nodes = fb_create_structs(b, w->nodes, 16, (size_t)w->n_nodes, 8);
	fb_ref bufs = fb_create_structs(b, spec, 16, (size_t)w->n_bufs, 8);
	tarn_free(spec);
	fb_ref comp = 0;
	if (w->codec >= 0) {
		fb_start(b);
		fb_add_u8(b, BC_CODEC, (uint8_t)w->codec);
		fb_add_u8(b, BC_METHOD, 0);
		comp = fb_end(b);
	}
	fb_start(b);
	fb_add_i64(b, RB_LENGTH, rows);
	fb_add_ref(b, RB_NODES, nodes);
	fb_add_ref(b, RB_BUFFERS, bufs);
	fb_add_ref(b, RB_COMPRESSION, comp);
	*out = fb_end(b);
	*body_len = at;
	return TARN_OK;
}

static tarn_rc write_header(struct ax_writer *w, struct tarn_err *err)
{
	for (int i = 0; i < w->base.schema->n_fields; i++)
		if (w->base.schema->fields[i].type.id == TARN_T_INTERVAL)
			return tarn_err_set(err, TARN_EUNSUPPORTED,
					    "%s: column '%s' is an interval, which the Arrow writer "
					    "does not write yet",
					    wname(w), w->base.schema->fields[i].name);
	if (w->file_format)
		TRY(put(w, AX_MAGIC "\0\0", 8, err));
	fb_builder_reset(&w->fb);
	reset_body(w);
	fb_ref s = ax_schema_build(&w->fb, w->base.schema, w->dict_ids);
	TRY(write_message(w, HDR_SCHEMA, s, 0, err));
	w->started = true;
	return TARN_OK;
}

/* ---- dictionaries --------------------------------------------------------------------- */

static uint64_t hash_bytes(const uint8_t *p, size_t n)
{
	uint64_t h = 0x9e3779b97f4a7c15ull ^ n;
	while (n >= 8) {
		uint64_t v;
		memcpy(&v, p, 8);
		h = (h ^ v) * 0xff51afd7ed558ccdull;
		h ^= h >> 32;
		p += 8;
		n -= 8;
	}
	uint64_t v = 0;
	memcpy(&v, p, n);
	h = (h ^ v) * 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 29;
	return h;
}

static tarn_rc dict_rehash(struct wdict *d, int64_t size)
{
	int32_t *t = tarn_calloc((size_t)size, sizeof *t);
	if (!t)
		return TARN_ENOMEM;
	for (int64_t i = 0; i < d->values->length; i++) {
		int64_t s = (int64_t)(d->hashes[i] & (uint64_t)(size - 1));
		while (t[s])
			s = (s + 1) & (size - 1);
		t[s] = (int32_t)(i + 1);
	}
	tarn_free(d->table);
	d->table = t;
	d->table_size = size;
	return TARN_OK;
}

/* Indices of a's rows into d's values, adding new values. */
static tarn_rc dict_encode(struct ax_writer *w, struct wdict *d, const struct tarn_array *a,
			   int32_t *idx, struct tarn_err *err)
{
	for (int64_t i = 0; i < a->length; i++) {
		if (tarn_array_is_null(a, i)) {
			idx[i] = 0;
			continue;
		}
		size_t n;
		const uint8_t *p = tarn_array_get_bytes(a, i, &n);
		uint64_t h = hash_bytes(p, n);
		int64_t mask = d->table_size - 1, s = (int64_t)(h & (uint64_t)mask);
		int32_t found = -1;
		for (; d->table[s]; s = (s + 1) & mask) {
			int32_t k = d->table[s] - 1;
			if (d->hashes[k] != h)
				continue;
			size_t kn;
			const uint8_t *kp = tarn_array_get_bytes(d->values, k, &kn);
			if (kn == n && memcmp(kp, p, n) == 0) {
				found = k;
				break;
			}
		}
		if (found < 0) {
			int64_t k = d->values->length;
			if (k >= INT32_MAX - 1)
				return tarn_err_set(err, TARN_ELIMIT,
						    "%s: column '%s' has more distinct values than "
						    "int32 dictionary indices hold",
						    wname(w), w->base.schema->fields[d->col].name);
			tarn_rc rc = tarn_array_append_bytes(d->values, p, n);
			if (rc == TARN_OK &&
			    !grow((void **)&d->hashes, &d->hashes_cap, k + 1, sizeof *d->hashes))
				rc = TARN_ENOMEM;
			if (rc)
				return rc == TARN_ELIMIT
					       ? tarn_err_set(err, rc,
							      "%s: column '%s': the dictionary "
							      "outgrows 2 GiB",
							      wname(w),
							      w->base.schema->fields[d->col].name)
					       : wnomem(w, err);
			d->hashes[k] = h;
			d->table[s] = (int32_t)(k + 1);
			found = (int32_t)k;
			if ((k + 1) * 2 > d->table_size && dict_rehash(d, d->table_size * 2))
				return wnomem(w, err);
		}
		idx[i] = found;
	}
	return TARN_OK;
}

static tarn_rc dict_new(struct ax_writer *w, int col, struct wdict *d, struct tarn_err *err)
{
	memset(d, 0, sizeof *d);
	d->col = col;
	if (tarn_array_new(&w->base.schema->fields[col].type, 0, &d->values) ||
	    dict_rehash(d, 1024))
		return wnomem(w, err);
	return TARN_OK;
}

static void dict_free(struct wdict *d)
{
	tarn_array_free(d->values);
	tarn_free(d->hashes);
	tarn_free(d->table);
	memset(d, 0, sizeof *d);
}

/* A DictionaryBatch with the values added since the last one (the first
 * goes out even when empty: readers need the dictionary defined before a
 * batch uses it, even if every index is null). */
static tarn_rc write_dict_batch(struct ax_writer *w, struct wdict *d, struct tarn_err *err)
{
	int64_t from = d->written, n = d->values->length - from;
	if (n <= 0 && d->sent)
		return TARN_OK;
	fb_builder_reset(&w->fb);
	reset_body(w);
	const int32_t *off = d->values->offsets;
	int32_t *o = (int32_t *)new_scratch(w, (size_t)(n + 1) * 4);
	if (!o)
		return wnomem(w, err);
	for (int64_t i = 0; i <= n; i++)
		o[i] = off[from + i] - off[from];
	if (add_node(w, n, 0) || add_buf(w, NULL, 0) || add_buf(w, o, (n + 1) * 4) ||
	    add_buf(w, d->values->values + off[from], off[from + n] - off[from]))
		return wnomem(w, err);
	fb_ref rb;
	int64_t body_len;
	TRY(build_record_batch(w, n, &rb, &body_len, err));
	struct fb_builder *b = &w->fb;
	fb_start(b);
	fb_add_i64(b, DB_ID, w->dict_ids[d->col]);
	fb_add_ref(b, DB_DATA, rb);
	fb_add_u8(b, DB_IS_DELTA, d->sent);
	fb_ref db = fb_end(b);
	TRY(write_message(w, HDR_DICTIONARY_BATCH, db, body_len, err));
	d->written = d->values->length;
	d->sent = true;
	return TARN_OK;
}

/* dictionary=auto: string columns whose first batch repeats values enough. */
static tarn_rc choose_auto(struct ax_writer *w, const struct tarn_batch *bt, struct tarn_err *err)
{
	const struct tarn_schema *s = w->base.schema;
	int32_t *idx = tarn_malloc((size_t)(bt->n_rows ? bt->n_rows : 1) * sizeof *idx);
	if (!idx)
		return wnomem(w, err);
	tarn_rc rc = TARN_OK;
	for (int c = 0; c < s->n_fields && bt->n_rows > 0; c++) {
		if (s->fields[c].type.id != TARN_T_STRING)
			continue;
		struct wdict *d = &w->dicts[w->n_dicts];
		if ((rc = dict_new(w, c, d, err)))
			break;
		if ((rc = dict_encode(w, d, bt->cols[c], idx, err)))
			break;
		int64_t valid = bt->n_rows - bt->cols[c]->null_count;
		if (d->values->length * 2 <= valid) {
			w->dict_ids[c] = c;
			w->n_dicts++;
		} else {
			dict_free(d);
		}
	}
	if (rc)
		dict_free(&w->dicts[w->n_dicts]);
	tarn_free(idx);
	return rc;
}

/* ---- the writer ----------------------------------------------------------------------- */

static struct wdict *dict_of(struct ax_writer *w, int col)
{
	for (int i = 0; i < w->n_dicts; i++)
		if (w->dicts[i].col == col)
			return &w->dicts[i];
	return NULL;
}

static tarn_rc writer_write(struct tarn_writer *base, const struct tarn_batch *bt,
			    struct tarn_err *err)
{
	struct ax_writer *w = (struct ax_writer *)base;
	if (!w->started) {
		if (w->dict_opt && strcasecmp(w->dict_opt, "auto") == 0)
			TRY(choose_auto(w, bt, err));
		TRY(write_header(w, err));
	}
	if (bt->n_rows == 0) /* nothing to say; the schema is out already */
		return TARN_OK;
	/* Indices first (they may add dictionary values), then the
	 * dictionary batches, then the record batch. */
	int32_t **idx = NULL;
	tarn_rc rc = TARN_OK;
	if (w->n_dicts) {
		idx = tarn_calloc((size_t)w->n_dicts, sizeof *idx);
		if (!idx)
			return wnomem(w, err);
		for (int i = 0; i < w->n_dicts && rc == TARN_OK; i++) {
			idx[i] = tarn_alloc_aligned((size_t)(bt->n_rows ? bt->n_rows : 1) * 4);
			rc = idx[i] ? dict_encode(w, &w->dicts[i], bt->cols[w->dicts[i].col], idx[i],
						  err)
				    : wnomem(w, err);
		}
		for (int i = 0; i < w->n_dicts && rc == TARN_OK; i++)
			rc = write_dict_batch(w, &w->dicts[i], err);
	}
	if (rc == TARN_OK) {
		fb_builder_reset(&w->fb);
		reset_body(w);
		for (int c = 0; c < bt->n_cols && rc == TARN_OK; c++) {
			const struct tarn_array *a = bt->cols[c];
			struct wdict *d = dict_of(w, c);
			if (d) {
				const int32_t *ix = idx[d - w->dicts];
				if (add_node(w, a->length, a->null_count) || add_validity(w, a) ||
				    add_buf(w, ix, a->length * 4))
					rc = wnomem(w, err);
			} else {
				rc = collect(w, a, w->base.schema->fields[c].name, err);
			}
		}
	}
	fb_ref rb = 0;
	int64_t body_len = 0;
	if (rc == TARN_OK)
		rc = build_record_batch(w, bt->n_rows, &rb, &body_len, err);
	if (rc == TARN_OK)
		rc = write_message(w, HDR_RECORD_BATCH, rb, body_len, err);
	reset_body(w);
	for (int i = 0; idx && i < w->n_dicts; i++)
		tarn_free_aligned(idx[i]);
	tarn_free(idx);
	return rc;
}

static tarn_rc writer_finish(struct tarn_writer *base, struct tarn_err *err)
{
	struct ax_writer *w = (struct ax_writer *)base;
	if (!w->started)
		TRY(write_header(w, err));
	uint32_t eos[2] = { AX_CONTINUATION, 0 };
	TRY(put(w, eos, 8, err));
	if (w->file_format) {
		struct fb_builder *b = &w->fb;
		fb_builder_reset(b);
		fb_ref s = ax_schema_build(b, w->base.schema, w->dict_ids);
		fb_ref vec[2];
		for (int k = 0; k < 2; k++) {
			const struct wblock *bl = k ? w->rblocks : w->dblocks;
			int64_t n = k ? w->n_rblocks : w->n_dblocks;
			uint8_t *raw = tarn_calloc((size_t)(n ? n : 1), 24);
			if (!raw)
				return wnomem(w, err);
			for (int64_t i = 0; i < n; i++) {
				memcpy(raw + i * 24, &bl[i].offset, 8);
				memcpy(raw + i * 24 + 8, &bl[i].meta_len, 4);
				memcpy(raw + i * 24 + 16, &bl[i].body_len, 8);
			}
			vec[k] = fb_create_structs(b, raw, 24, (size_t)n, 8);
			tarn_free(raw);
		}
		fb_start(b);
		fb_add_i16(b, FOOTER_VERSION, AX_METADATA_V5);
		fb_add_ref(b, FOOTER_SCHEMA, s);
		fb_add_ref(b, FOOTER_DICTIONARIES, vec[0]);
		fb_add_ref(b, FOOTER_RECORD_BATCHES, vec[1]);
		fb_ref root = fb_end(b);
		const uint8_t *p;
		size_t n;
		tarn_rc rc = fb_finish(b, root, &p, &n);
		if (rc)
			return tarn_err_set(err, rc, "%s: building the footer failed", wname(w));
		int32_t len = (int32_t)n;
		TRY(put(w, p, n, err));
		TRY(put(w, &len, 4, err));
		TRY(put(w, AX_MAGIC, 6, err));
	}
	return flush_stage(w, err);
}

static void writer_close(struct tarn_writer *base)
{
	struct ax_writer *w = (struct ax_writer *)base;
	reset_body(w);
	for (int i = 0; i < w->n_dicts; i++)
		dict_free(&w->dicts[i]);
	tarn_free(w->dicts);
	tarn_free(w->dict_ids);
	tarn_free(w->dict_opt);
	fb_builder_free(&w->fb);
	tarn_free(w->nodes);
	tarn_free(w->bufs);
	tarn_free(w->scratch);
	tarn_free(w->dblocks);
	tarn_free(w->rblocks);
	tarn_buf_free(&w->stage);
	for (int i = 0; i < MAX_TASKS; i++)
		ax_codec_free(&w->codecs[i]);
	tarn_free(w);
}

static const struct tarn_writer_ops writer_ops = { .write = writer_write,
						   .finish = writer_finish,
						   .close = writer_close };

/* dictionary=A,B: named top-level string/binary columns (every column of
 * that name, should names repeat). */
static tarn_rc parse_dict_cols(struct ax_writer *w, const char *list, struct tarn_err *err)
{
	const struct tarn_schema *s = w->base.schema;
	const char *p = list;
	while (*p) {
		const char *e = strchr(p, ',');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		int named = 0, other = -1;
		for (int c = 0; c < s->n_fields; c++) {
			const char *name = s->fields[c].name ? s->fields[c].name : "";
			if (strlen(name) != n || memcmp(name, p, n) != 0)
				continue;
			named++;
			enum tarn_type_id id = s->fields[c].type.id;
			if (id != TARN_T_STRING && id != TARN_T_BINARY) {
				other = c;
				continue;
			}
			if (w->dict_ids[c] < 0) {
				TRY(dict_new(w, c, &w->dicts[w->n_dicts], err));
				w->n_dicts++;
				w->dict_ids[c] = c;
			}
		}
		if (!named)
			return tarn_err_set(err, TARN_EUSAGE,
					    "option dictionary: no top-level column named '%.*s'",
					    (int)n, p);
		if (other >= 0 && named == 1)
			return tarn_err_set(err, TARN_EUSAGE,
					    "option dictionary: column '%s' is %s; only string and "
					    "binary columns are dictionary-encoded",
					    s->fields[other].name,
					    tarn_type_id_name(s->fields[other].type.id));
		p = e ? e + 1 : p + n;
	}
	return TARN_OK;
}

tarn_rc ax_open_writer(struct tarn_output *out, struct tarn_schema *schema,
		       const struct tarn_opts *opts, bool file_format, struct tarn_writer **wout,
		       struct tarn_err *err)
{
	*wout = NULL;
	struct ax_writer *w = tarn_calloc(1, sizeof *w);
	if (!w)
		return tarn_err_nomem(err, "Arrow writer");
	w->base.ops = &writer_ops;
	w->base.out = out;
	w->file_format = file_format;
	fb_builder_init(&w->fb);
	tarn_buf_init(&w->stage);
	tarn_schema_ref(schema);
	w->base.schema = schema;
	tarn_rc rc = TARN_OK;
	int n = schema->n_fields;
	w->dict_ids = tarn_malloc((size_t)(n ? n : 1) * sizeof *w->dict_ids);
	w->dicts = tarn_calloc((size_t)(n ? n : 1), sizeof *w->dicts);
	if (!w->dict_ids || !w->dicts) {
		rc = tarn_err_nomem(err, "Arrow writer");
		goto out;
	}
	for (int i = 0; i < n; i++)
		w->dict_ids[i] = -1;

	/* pyarrow's Feather writer compresses with LZ4 by default; its IPC
	 * file and stream writers do not. tarn follows it by file name. */
	const char *name = tarn_output_name(out);
	size_t nl = strlen(name);
	bool feather = file_format && nl >= 8 && strcasecmp(name + nl - 8, ".feather") == 0;
	const char *c = tarn_opts_get(opts, "compression");
	if (!c)
		c = feather ? "lz4" : "none";
	if (!strcasecmp(c, "none") || !strcasecmp(c, "uncompressed")) {
		w->codec = -1;
	} else if (!strcasecmp(c, "lz4") || !strcasecmp(c, "lz4_frame")) {
		w->codec = AX_LZ4_FRAME;
	} else if (!strcasecmp(c, "zstd")) {
		w->codec = AX_ZSTD;
	} else {
		rc = tarn_err_set(err, TARN_EUSAGE,
				  "option compression: '%s' is not lz4, zstd or none", c);
		goto out;
	}
	int64_t level;
	TRY_OUT(tarn_opts_int(opts, "compression-level", 0, &level, err));
	if (level < -100 || level > 22) {
		rc = tarn_err_set(err, TARN_EUSAGE,
				  "option compression-level: %lld is outside -100..22",
				  (long long)level);
		goto out;
	}
	w->level = (int)level;
	const char *d = tarn_opts_get(opts, "dictionary");
	if (d && strcasecmp(d, "none") != 0 && *d) {
		if (strcasecmp(d, "auto") == 0) {
			if (!(w->dict_opt = tarn_strdup(d))) {
				rc = tarn_err_nomem(err, "Arrow writer");
				goto out;
			}
		} else {
			TRY_OUT(parse_dict_cols(w, d, err));
		}
	}
	*wout = &w->base;
	return TARN_OK;
out:
	writer_close(&w->base);
	tarn_schema_unref(schema);
	return rc;
}
