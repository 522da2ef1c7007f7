/*
 * arrow_read.c — the Arrow IPC reader, for both the file format (Feather v2,
 * "ARROW1" magic and a footer) and the stream format (encapsulated messages
 * up to an end-of-stream marker). Either format name opens either kind of
 * input: the content decides.
 *
 * Design notes
 *  1. Source. A mapped input (uncompressed regular file, memory) is read in
 *     place: message metadata and bodies are pointers into the map. A file
 *     with a valid footer is read through it: the dictionaries it lists first,
 *     then its record batches in footer order. Anything else (stdin, gzip or
 *     zstd-compressed input, a stream) is read message by message, each
 *     message's metadata and body read into buffers capped by
 *     max-message-size; a file-format input read that way is its embedded
 *     stream, which ends at the end-of-stream marker before the footer.
 *  2. A record batch is decoded in two steps. bind_batch() walks the IPC
 *     node tree in pre-order against the batch's FieldNodes and Buffers,
 *     checks every buffer lies inside the body, decompresses compressed
 *     buffers (in parallel on the pool when there is enough work) and
 *     records per node its length, null count and buffer range
 *     (struct bound). materialize() then copies a window of rows into tarn
 *     arrays: one memcpy per buffer for layouts tarn shares with Arrow, a
 *     loop for the ones it converts (float16, time32, date64, int64 offsets,
 *     views, dictionary indices). Every offset is checked (monotonic, inside
 *     the data or the child) while it is rebased, so a hostile file can make
 *     the reader fail but never read outside a buffer.
 *  3. Record batches longer than batch-rows are handed out as several
 *     windows of one bound batch, so output batches never exceed
 *     TARN_BATCH_ROWS and memory stays one input batch plus one output batch.
 *  4. Dictionaries are materialised tarn arrays keyed by id (struct dict).
 *     A non-delta DictionaryBatch replaces the dictionary (stream format) or
 *     defines it; a delta appends to it. Dictionary-encoded columns are
 *     decoded to their values by gathering (tarn has no dictionary arrays).
 *     Every output column passes tarn_array_validate (UTF-8 included).
 *  5. A compressed buffer's int64 prefix is its uncompressed length. The
 *     apache-arrow JavaScript writer (up to v21 at least) writes the
 *     compressed length there instead; when a buffer does not decompress to
 *     its prefix and the prefix equals the compressed size, the reader sizes
 *     the output from the codec frame instead (still capped by
 *     max-message-size), as the JS reader does.
 *
 * States: open (schema read; in file mode the footer and all dictionaries
 * too) → next(): [window of the bound batch] or [next message: dictionary
 * (apply, loop) | record batch (bind) | end] → closed.
 *
 * Thread-safety: one reader per thread; decompression tasks each own one
 * codec context and write only their own buffers.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/mem.h"
#include "base/pool.h"
#include "formats/arrow/arrow_int.h"

#define MAX_ROWS ((int64_t)1 << 40)
#define MAX_TASKS 16
/* Compressed bytes below which decompression stays on this thread. */
#define PARALLEL_MIN_BYTES (1 << 20)

struct buf {
	const uint8_t *p;
	int64_t n;
};

/* One IPC node's part of the bound batch. */
struct bound {
	int64_t length, null_count;
	int32_t first_buf, n_bufs;
};

struct dict {
	int64_t id;
	const struct ax_node *node; /* the first field using it: its value layout */
	struct tarn_array *values;  /* NULL until a DictionaryBatch defines it */
};

struct block {
	int64_t offset;
	int64_t body_len;
};

struct msg {
	int64_t offset; /* of the message in the input */
	uint8_t type;   /* HDR_* */
	struct fb_table header;
	const uint8_t *body;
	int64_t body_len;
};

/* A buffer to decompress. */
struct zjob {
	const uint8_t *src;
	size_t n;
	uint8_t *dst;
	size_t dst_n;
	int buf;       /* index into r->bufs */
	int64_t slot;  /* index into r->scratch of dst */
	bool lenient;  /* the prefix equals the compressed size (note 5) */
};

struct ztask {
	struct tarn_task task;
	struct ax_reader *r;
	int k, stride;
	tarn_rc rc;
	struct tarn_err err;
};

struct ax_reader {
	struct tarn_reader base;
	struct ax_schema *ax;
	const char *name;
	int64_t batch_rows, max_message;

	/* source */
	struct tarn_input *in;
	const uint8_t *map;
	size_t map_n;
	int64_t pos;  /* next byte (map offset, or bytes consumed from a stream) */
	bool file;    /* driven by the footer's blocks */
	bool file_seq; /* a file-format input read as its embedded stream */
	struct block *blocks;
	int64_t n_blocks, next_block;
	uint8_t *meta, *body; /* stream reads */
	size_t meta_cap, body_cap;
	struct fb_ctx mctx;
	bool ended;

	/* dictionaries */
	struct dict *dicts;
	int n_dicts;

	/* the bound batch */
	struct bound *bound;
	struct buf *bufs;
	int64_t n_bufs, bufs_cap;
	uint8_t **scratch; /* decompressed buffers, freed with the batch */
	int64_t n_scratch, scratch_cap;
	struct zjob *jobs;
	int64_t n_jobs, jobs_cap;
	int codec; /* -1 = uncompressed */
	int64_t rows, done;
	bool have_batch;
	int64_t batch_no; /* record batches seen, for messages */
	int64_t *idx;     /* dictionary gather scratch */
	int64_t idx_cap;

	struct ax_codec codecs[MAX_TASKS];
};

/* ---- small helpers ------------------------------------------------------------ */

static tarn_rc rfail(struct ax_reader *r, struct tarn_err *err, tarn_rc rc, const char *fmt, ...)
	TARN_PRINTF(4, 5);
static tarn_rc rfail(struct ax_reader *r, struct tarn_err *err, tarn_rc rc, const char *fmt, ...)
{
	char msg[600];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return tarn_err_set(err, rc, "%s: %s", r->name, msg);
}

static tarn_rc nomem(struct ax_reader *r, struct tarn_err *err)
{
	return rfail(r, err, TARN_ENOMEM, "out of memory");
}

static uint32_t ld_u32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
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

/* Zero bits among bits [off, off + count) of src. */
static int64_t count_zero_bits(const uint8_t *src, int64_t off, int64_t count)
{
	int64_t ones = 0, i = off, end = off + count;
	while (i < end && (i & 7)) {
		ones += (src[i >> 3] >> (i & 7)) & 1;
		i++;
	}
	while (i + 64 <= end) {
		uint64_t w;
		memcpy(&w, src + (i >> 3), 8);
		ones += __builtin_popcountll(w);
		i += 64;
	}
	while (i + 8 <= end) {
		ones += __builtin_popcount(src[i >> 3]);
		i += 8;
	}
	while (i < end) {
		ones += (src[i >> 3] >> (i & 7)) & 1;
		i++;
	}
	return count - ones;
}

/* Bits [off, off + count) of src to dst from bit 0; reads no byte of src
 * past the one holding bit off + count - 1. */
static void copy_bits(uint8_t *dst, const uint8_t *src, int64_t off, int64_t count)
{
	if (count <= 0)
		return;
	size_t nbytes = (size_t)((count + 7) / 8);
	const uint8_t *s = src + (off >> 3);
	int sh = (int)(off & 7);
	if (!sh) {
		memcpy(dst, s, nbytes);
		return;
	}
	size_t last = (size_t)(((off + count - 1) >> 3) - (off >> 3));
	for (size_t i = 0; i < nbytes; i++) {
		unsigned v = s[i] >> sh;
		if (i + 1 <= last)
			v |= (unsigned)s[i + 1] << (8 - sh);
		dst[i] = (uint8_t)v;
	}
}

/* Marks bits past the last row valid (array.h note 2). */
static void close_bits(uint8_t *bits, int64_t count)
{
	if (count & 7)
		bits[count >> 3] |= (uint8_t)(0xff << (count & 7));
}

/* ---- reading messages ---------------------------------------------------------- */

/* Exactly n bytes from a streamed input into *store (grown; n is capped by
 * the caller). *got < n only at the end of the input. */
static tarn_rc read_stream(struct ax_reader *r, size_t n, uint8_t **store, size_t *cap,
			   size_t *got, struct tarn_err *err)
{
	if (n > *cap) {
		uint8_t *p = tarn_realloc(*store, n);
		if (!p)
			return nomem(r, err);
		*store = p;
		*cap = n;
	}
	*got = 0;
	while (*got < n) {
		size_t k;
		TRY(tarn_input_read(r->in, *store + *got, n - *got, &k, err));
		if (!k)
			break;
		*got += k;
	}
	r->pos += (int64_t)*got;
	return TARN_OK;
}

/* n bytes at the current position: in place in the map, or read into
 * *store. *got < n only at the end of the input. */
static tarn_rc take(struct ax_reader *r, size_t n, uint8_t **store, size_t *cap,
		    const uint8_t **p, size_t *got, struct tarn_err *err)
{
	if (r->map) {
		size_t left = r->pos >= (int64_t)r->map_n ? 0 : r->map_n - (size_t)r->pos;
		*got = n < left ? n : left;
		*p = r->map + r->pos;
		r->pos += (int64_t)*got;
		return TARN_OK;
	}
	TRY(read_stream(r, n, store, cap, got, err));
	*p = *store;
	return TARN_OK;
}

/* The message at the current position. *end is set at an end-of-stream
 * marker or at the end of the input (allowed only between messages). */
static tarn_rc read_message(struct ax_reader *r, struct msg *m, bool *end, struct tarn_err *err)
{
	memset(m, 0, sizeof *m);
	*end = false;
	m->offset = r->pos;
	const uint8_t *p;
	size_t got;
	uint8_t pre[8];
	uint8_t *pre_store = pre;
	size_t pre_cap = sizeof pre;
	TRY(take(r, 4, &pre_store, &pre_cap, &p, &got, err));
	if (got == 0) {
		if (r->file_seq)
			return rfail(r, err, TARN_EDATA,
				     "the file ends at byte %lld without its end-of-stream "
				     "marker and footer (truncated?)",
				     (long long)m->offset);
		*end = true;
		return TARN_OK;
	}
	if (got < 4)
		return rfail(r, err, TARN_EDATA, "truncated message prefix at byte %lld",
			     (long long)m->offset);
	uint32_t w = ld_u32(p);
	int32_t len;
	if (w == AX_CONTINUATION) {
		TRY(take(r, 4, &pre_store, &pre_cap, &p, &got, err));
		if (got < 4)
			return rfail(r, err, TARN_EDATA, "truncated message prefix at byte %lld",
				     (long long)m->offset);
		len = fb_load_i32(p);
	} else {
		/* Before Arrow 0.15 the length came first, without the marker. A
		 * file's embedded stream is over when its footer follows. */
		if (r->file_seq) {
			*end = true;
			return TARN_OK;
		}
		len = (int32_t)w;
	}
	if (len == 0) {
		*end = true;
		return TARN_OK;
	}
	if (len < 0 || len > r->max_message)
		return rfail(r, err, len < 0 ? TARN_EDATA : TARN_ELIMIT,
			     "message at byte %lld has metadata length %d (the limit is %lld, "
			     "see max-message-size)",
			     (long long)m->offset, len, (long long)r->max_message);
	TRY(take(r, (size_t)len, &r->meta, &r->meta_cap, &p, &got, err));
	if (got < (size_t)len)
		return rfail(r, err, TARN_EDATA, "message at byte %lld is truncated",
			     (long long)m->offset);
	char where[96];
	snprintf(where, sizeof where, "%s: message at byte %lld", r->name, (long long)m->offset);
	fb_ctx_init(&r->mctx, p, (size_t)len, AX_MAX_DEPTH + 8, err, where);
	struct fb_table root;
	if (!fb_root(&r->mctx, &root))
		return r->mctx.rc;
	int16_t version = fb_i16(&root, MSG_VERSION, 0);
	m->type = fb_u8(&root, MSG_HEADER_TYPE, HDR_NONE);
	m->body_len = fb_i64(&root, MSG_BODY_LENGTH, 0);
	bool has_header = fb_table(&root, MSG_HEADER, &m->header);
	if (r->mctx.rc)
		return r->mctx.rc;
	if (version < AX_METADATA_V4)
		return fb_fail(&r->mctx, TARN_EUNSUPPORTED,
			       "metadata version V%d (before Arrow 0.8) is not supported",
			       version + 1);
	if (!has_header)
		return fb_fail(&r->mctx, TARN_EDATA, "the message has no header");
	if (m->body_len < 0 || (!r->map && m->body_len > r->max_message))
		return rfail(r, err, m->body_len < 0 ? TARN_EDATA : TARN_ELIMIT,
			     "message at byte %lld has body length %lld (the limit is %lld, see "
			     "max-message-size)",
			     (long long)m->offset, (long long)m->body_len,
			     (long long)r->max_message);
	TRY(take(r, (size_t)m->body_len, &r->body, &r->body_cap, &m->body, &got, err));
	if (got < (size_t)m->body_len)
		return rfail(r, err, TARN_EDATA,
			     "the body of the message at byte %lld is truncated (%zu of %lld "
			     "bytes)",
			     (long long)m->offset, got, (long long)m->body_len);
	return TARN_OK;
}

static const char *header_name(uint8_t t)
{
	static const char *n[] = { "NONE", "Schema", "DictionaryBatch", "RecordBatch", "Tensor",
				   "SparseTensor" };
	return t < 6 ? n[t] : "unknown";
}

/* ---- binding a batch ---------------------------------------------------------- */

static void free_scratch(struct ax_reader *r)
{
	for (int64_t i = 0; i < r->n_scratch; i++)
		tarn_free_aligned(r->scratch[i]);
	r->n_scratch = 0;
	r->n_jobs = 0;
	r->n_bufs = 0;
	r->have_batch = false;
}

static void ztask_run(void *arg)
{
	struct ztask *t = arg;
	struct ax_reader *r = t->r;
	for (int64_t j = t->k; j < r->n_jobs && !t->rc; j += t->stride) {
		struct zjob *z = &r->jobs[j];
		t->rc = ax_decompress(&r->codecs[t->k], r->codec, z->src, z->n, z->dst, z->dst_n,
				      &t->err);
		if (t->rc && z->lenient) {
			uint8_t *dst;
			size_t dn;
			tarn_err_clear(&t->err);
			t->rc = ax_decompress_unsized(&r->codecs[t->k], r->codec, z->src, z->n,
						      (size_t)r->max_message, &dst, &dn, &t->err);
			if (t->rc == TARN_OK) {
				tarn_free_aligned(r->scratch[z->slot]);
				r->scratch[z->slot] = z->dst = dst;
				z->dst_n = dn;
			}
		}
		if (t->rc) {
			char msg[TARN_ERR_MSG_MAX];
			snprintf(msg, sizeof msg, "%s", t->err.msg);
			tarn_err_clear(&t->err);
			tarn_err_set(&t->err, t->rc, "buffer %d: %s", z->buf, msg);
		}
	}
}

static tarn_rc run_jobs(struct ax_reader *r, const char *what, struct tarn_err *err)
{
	if (!r->n_jobs)
		return TARN_OK;
	size_t total = 0;
	for (int64_t j = 0; j < r->n_jobs; j++)
		total += r->jobs[j].n;
	int n = tarn_pool_size();
	if (n > MAX_TASKS)
		n = MAX_TASKS;
	if (n > r->n_jobs)
		n = (int)r->n_jobs;
	if (total < PARALLEL_MIN_BYTES)
		n = 1;
	struct ztask t[MAX_TASKS];
	memset(t, 0, sizeof t);
	for (int k = 0; k < n; k++) {
		t[k].r = r;
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
			return rfail(r, err, t[k].rc, "%s: %s", what, t[k].err.msg);
	return TARN_OK;
}

/* Buffers of node n in its batch (the index layout when dictionary-encoded
 * and not being read as a dictionary's values). -1 = views (variable). */
static int buffers_of(const struct ax_node *n, bool as_value)
{
	if (n->dict && !as_value)
		return 2;
	switch (n->kind) {
	case AX_NULL: return 0;
	case AX_BYTES:
	case AX_LARGE_BYTES: return 3;
	case AX_VIEW: return -1;
	case AX_FIXED_LIST:
	case AX_STRUCT: return 1;
	default: return 2;
	}
}

struct cursor {
	struct fb_vec nodes, counts;
	uint32_t node, var;
	int64_t buf;
};

static tarn_rc bind_node(struct ax_reader *r, struct cursor *c, const struct ax_node *n,
			 bool as_value, const char *what, struct tarn_err *err)
{
	if (c->node >= c->nodes.len)
		return rfail(r, err, TARN_EDATA, "%s has %u field nodes, too few for the schema",
			     what, c->nodes.len);
	const uint8_t *fn = fb_vec_at(&c->nodes, c->node++);
	struct bound *b = &r->bound[n->id];
	b->length = fb_load_i64(fn);
	b->null_count = fb_load_i64(fn + 8);
	if (b->length < 0 || b->length > MAX_ROWS || b->null_count < 0 ||
	    b->null_count > b->length)
		return rfail(r, err, TARN_EDATA,
			     "%s: column '%s' has length %lld and null count %lld", what, n->name,
			     (long long)b->length, (long long)b->null_count);
	int nb = buffers_of(n, as_value);
	if (nb < 0) {
		if (c->var >= c->counts.len)
			return rfail(r, err, TARN_EDATA,
				     "%s: column '%s' is a view type but the batch gives no "
				     "variadic buffer count for it",
				     what, n->name);
		int64_t v = fb_load_i64(fb_vec_at(&c->counts, c->var++));
		if (v < 0 || v > r->n_bufs)
			return rfail(r, err, TARN_EDATA, "%s: column '%s' has %lld variadic buffers",
				     what, n->name, (long long)v);
		nb = 2 + (int)v;
	}
	if (c->buf + nb > r->n_bufs)
		return rfail(r, err, TARN_EDATA, "%s has %lld buffers, too few for the schema",
			     what, (long long)r->n_bufs);
	b->first_buf = (int32_t)c->buf;
	b->n_bufs = nb;
	c->buf += nb;
	if (n->dict && !as_value)
		return TARN_OK;
	for (int i = 0; i < n->n_children; i++)
		TRY(bind_node(r, c, &n->children[i], false, what, err));
	return TARN_OK;
}

/* Binds RecordBatch table rb (body[0..body_len)) to the roots: the schema's
 * fields, or one dictionary's value node (as_value). */
static tarn_rc bind_batch(struct ax_reader *r, const struct fb_table *rb, const uint8_t *body,
			  int64_t body_len, const struct ax_node *roots, int n_roots,
			  bool as_value, const char *what, struct tarn_err *err)
{
	free_scratch(r);
	struct fb_ctx *fc = rb->c;
	r->rows = fb_i64(rb, RB_LENGTH, 0);
	struct cursor c;
	memset(&c, 0, sizeof c);
	struct fb_vec bv;
	fb_vector(rb, RB_NODES, 16, &c.nodes);
	fb_vector(rb, RB_BUFFERS, 16, &bv);
	fb_vector(rb, RB_VARIADIC_COUNTS, 8, &c.counts);
	struct fb_table comp;
	r->codec = -1;
	if (fb_table(rb, RB_COMPRESSION, &comp)) {
		r->codec = fb_u8(&comp, BC_CODEC, 0);
		if (fb_u8(&comp, BC_METHOD, 0) != 0)
			return fb_fail(fc, TARN_EUNSUPPORTED, "%s: unknown compression method",
				       what);
		if (r->codec != AX_LZ4_FRAME && r->codec != AX_ZSTD)
			return fb_fail(fc, TARN_EUNSUPPORTED, "%s: unknown compression codec %d",
				       what, r->codec);
	}
	if (fc->rc)
		return fc->rc;
	if (r->rows < 0)
		return rfail(r, err, TARN_EDATA, "%s has %lld rows", what, (long long)r->rows);
	/* Columns without buffers (null type, or no columns) cost nothing in the
	 * input however many rows they claim: bound the work they can ask for. */
	int64_t max_rows = as_value ? r->max_message : INT32_MAX;
	if (r->rows > max_rows)
		return rfail(r, err, TARN_ELIMIT, "%s claims %lld rows (tarn reads at most %lld)", what,
			     (long long)r->rows, (long long)max_rows);
	if (!grow((void **)&r->bufs, &r->bufs_cap, bv.len, sizeof *r->bufs))
		return nomem(r, err);
	r->n_bufs = bv.len;
	for (uint32_t i = 0; i < bv.len; i++) {
		const uint8_t *e = fb_vec_at(&bv, i);
		int64_t off = fb_load_i64(e), len = fb_load_i64(e + 8);
		if (off < 0 || len < 0 || off > body_len || len > body_len - off)
			return rfail(r, err, TARN_EDATA,
				     "%s: buffer %u (offset %lld, length %lld) lies outside the "
				     "%lld-byte body",
				     what, i, (long long)off, (long long)len, (long long)body_len);
		struct buf *b = &r->bufs[i];
		b->p = body + off;
		b->n = len;
		if (r->codec < 0 || len == 0)
			continue;
		if (len < 8)
			return rfail(r, err, TARN_EDATA,
				     "%s: compressed buffer %u has %lld bytes, less than its "
				     "length prefix",
				     what, i, (long long)len);
		int64_t ulen = fb_load_i64(b->p);
		b->p += 8;
		b->n -= 8;
		if (ulen == -1)
			continue; /* stored uncompressed */
		if (ulen < 0 || ulen > r->max_message)
			return rfail(r, err, ulen < 0 ? TARN_EDATA : TARN_ELIMIT,
				     "%s: buffer %u decompresses to %lld bytes (the limit is %lld, "
				     "see max-message-size)",
				     what, i, (long long)ulen, (long long)r->max_message);
		uint8_t *dst = tarn_alloc_aligned(ulen ? (size_t)ulen : 1);
		if (!dst)
			return nomem(r, err);
		if (!grow((void **)&r->scratch, &r->scratch_cap, r->n_scratch + 1,
			  sizeof *r->scratch) ||
		    !grow((void **)&r->jobs, &r->jobs_cap, r->n_jobs + 1, sizeof *r->jobs)) {
			tarn_free_aligned(dst);
			return nomem(r, err);
		}
		r->jobs[r->n_jobs++] = (struct zjob){ b->p,	      (size_t)b->n, dst, (size_t)ulen,
						      (int)i,	      r->n_scratch, ulen == b->n };
		r->scratch[r->n_scratch++] = dst;
	}
	TRY(run_jobs(r, what, err));
	for (int64_t j = 0; j < r->n_jobs; j++) {
		r->bufs[r->jobs[j].buf].p = r->jobs[j].dst;
		r->bufs[r->jobs[j].buf].n = (int64_t)r->jobs[j].dst_n;
	}
	for (int i = 0; i < n_roots; i++)
		TRY(bind_node(r, &c, &roots[i], as_value, what, err));
	return TARN_OK;
}

/* ---- materialising a window ------------------------------------------------------ */

struct mctx {
	struct ax_reader *r;
	struct tarn_err *err;
	const char *what;
};

static tarn_rc mfail(struct mctx *m, const struct ax_node *n, tarn_rc rc, const char *fmt, ...)
	TARN_PRINTF(4, 5);
static tarn_rc mfail(struct mctx *m, const struct ax_node *n, tarn_rc rc, const char *fmt, ...)
{
	char msg[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return rfail(m->r, m->err, rc, "%s: column '%s': %s", m->what, n->name, msg);
}

static const struct buf *bufk(struct mctx *m, const struct ax_node *n, int k)
{
	return &m->r->bufs[m->r->bound[n->id].first_buf + k];
}

/* Buffer k of n must hold `bytes` bytes. */
static tarn_rc need(struct mctx *m, const struct ax_node *n, int k, uint64_t bytes,
		    const char *what)
{
	const struct buf *b = bufk(m, n, k);
	if ((uint64_t)b->n < bytes)
		return mfail(m, n, TARN_EDATA, "the %s buffer has %lld bytes, %llu needed", what,
			     (long long)b->n, (unsigned long long)bytes);
	return TARN_OK;
}

static tarn_rc mat(struct mctx *m, const struct ax_node *n, bool as_value, int64_t start,
		   int64_t count, struct tarn_array *dst);

/* Rows [start, start+count) of the validity bitmap into dst (left without
 * one when the window has no nulls). */
static tarn_rc mat_validity(struct mctx *m, const struct ax_node *n, int64_t start,
			    int64_t count, struct tarn_array *dst, int64_t *nulls)
{
	const struct bound *b = &m->r->bound[n->id];
	*nulls = 0;
	if (b->null_count == 0 || count == 0)
		return TARN_OK;
	if (bufk(m, n, 0)->n == 0)
		return mfail(m, n, TARN_EDATA, "null count %lld but no validity bitmap",
			     (long long)b->null_count);
	TRY(need(m, n, 0, (uint64_t)(start + count + 7) / 8, "validity"));
	const uint8_t *v = bufk(m, n, 0)->p;
	int64_t z = count_zero_bits(v, start, count);
	if (!z)
		return TARN_OK;
	if (tarn_array_ensure_validity(dst))
		return nomem(m->r, m->err);
	copy_bits(dst->validity, v, start, count);
	close_bits(dst->validity, count);
	*nulls = z;
	return TARN_OK;
}

/* Offsets [start, start+count] of an int32 or int64 offsets buffer, checked
 * monotonic and non-negative, rebased to 0 into d. Returns the first offset
 * and the span. */
static tarn_rc mat_offsets(struct mctx *m, const struct ax_node *n, bool large, int64_t start,
			   int64_t count, int32_t *d, int64_t *base, int64_t *span)
{
	int ow = large ? 8 : 4;
	TRY(need(m, n, 1, (uint64_t)(start + count + 1) * (uint64_t)ow, "offsets"));
	const uint8_t *o = bufk(m, n, 1)->p + start * ow;
	int64_t first = large ? fb_load_i64(o) : fb_load_i32(o);
	if (first < 0)
		return mfail(m, n, TARN_EDATA, "negative offset %lld", (long long)first);
	int64_t prev = first;
	d[0] = 0;
	if (large) {
		for (int64_t i = 1; i <= count; i++) {
			int64_t v = fb_load_i64(o + i * 8);
			if (v < prev || v - first > TARN_ARRAY_MAX_BYTES)
				goto bad;
			d[i] = (int32_t)(v - first);
			prev = v;
		}
	} else {
		for (int64_t i = 1; i <= count; i++) {
			int64_t v = fb_load_i32(o + i * 4);
			if (v < prev)
				goto bad;
			d[i] = (int32_t)(v - first);
			prev = v;
		}
	}
	*base = first;
	*span = prev - first;
	return TARN_OK;
bad:
	/* Find the row for the message. */
	for (int64_t i = 1; i <= count; i++) {
		int64_t v = large ? fb_load_i64(o + i * 8) : fb_load_i32(o + i * 4);
		int64_t p = large ? fb_load_i64(o + (i - 1) * 8) : fb_load_i32(o + (i - 1) * 4);
		if (v < p)
			return mfail(m, n, TARN_EDATA, "offsets decrease at row %lld (%lld after %lld)",
				     (long long)(start + i - 1), (long long)v, (long long)p);
	}
	return mfail(m, n, TARN_ELIMIT,
		     "more than %lld bytes or items in one batch; tarn uses 32-bit offsets "
		     "(try a smaller batch-rows)",
		     (long long)TARN_ARRAY_MAX_BYTES);
}

static float half_to_float(uint16_t h)
{
	uint32_t sign = (uint32_t)(h >> 15) << 31, e = (h >> 10) & 0x1f, f = h & 0x3ff, bits;
	if (e == 0) {
		if (f == 0) {
			bits = sign;
		} else { /* subnormal: renormalise */
			int shift = 0;
			while (!(f & 0x400)) {
				f <<= 1;
				shift++;
			}
			f &= 0x3ff;
			bits = sign | ((uint32_t)(127 - 15 + 1 - shift) << 23) | (f << 13);
		}
	} else if (e == 31) {
		bits = sign | 0x7f800000u | (f << 13);
	} else {
		bits = sign | ((e - 15 + 127) << 23) | (f << 13);
	}
	float out;
	memcpy(&out, &bits, 4);
	return out;
}

static inline bool row_valid(const struct tarn_array *a, int64_t i)
{
	return !a->validity || tarn_bit_get(a->validity, i);
}

/* Value bytes of one view (Arrow binary view layout): inline up to 12
 * bytes, else in a variadic buffer. */
static tarn_rc view_at(struct mctx *m, const struct ax_node *n, const uint8_t *v, int64_t row,
		       const uint8_t **p, int32_t *len)
{
	const struct bound *b = &m->r->bound[n->id];
	int32_t l = fb_load_i32(v);
	if (l < 0)
		return mfail(m, n, TARN_EDATA, "negative view length at row %lld", (long long)row);
	*len = l;
	if (l <= 12) {
		*p = v + 4;
		return TARN_OK;
	}
	int32_t bi = fb_load_i32(v + 8), off = fb_load_i32(v + 12);
	if (bi < 0 || bi >= b->n_bufs - 2 || off < 0 ||
	    (int64_t)off + l > bufk(m, n, 2 + bi)->n)
		return mfail(m, n, TARN_EDATA,
			     "the view at row %lld (buffer %d, offset %d, length %d) lies "
			     "outside its data buffers",
			     (long long)row, bi, off, l);
	*p = bufk(m, n, 2 + bi)->p + off;
	return TARN_OK;
}

static tarn_rc mat_views(struct mctx *m, const struct ax_node *n, int64_t start, int64_t count,
			 struct tarn_array *dst)
{
	TRY(need(m, n, 1, (uint64_t)(start + count) * 16, "views"));
	const uint8_t *v = bufk(m, n, 1)->p + start * 16;
	int64_t total = 0;
	for (int64_t i = 0; i < count; i++) {
		if (!row_valid(dst, i))
			continue;
		const uint8_t *p;
		int32_t l;
		TRY(view_at(m, n, v + i * 16, start + i, &p, &l));
		total += l;
		if (total > TARN_ARRAY_MAX_BYTES)
			return mfail(m, n, TARN_ELIMIT,
				     "more than %lld bytes in one batch (try a smaller batch-rows)",
				     (long long)TARN_ARRAY_MAX_BYTES);
	}
	if (tarn_array_reserve_bytes(dst, total))
		return nomem(m->r, m->err);
	int64_t at = 0;
	dst->offsets[0] = 0;
	for (int64_t i = 0; i < count; i++) {
		if (row_valid(dst, i)) {
			const uint8_t *p;
			int32_t l;
			TRY(view_at(m, n, v + i * 16, start + i, &p, &l));
			memcpy(dst->values + at, p, (size_t)l);
			at += l;
		}
		dst->offsets[i + 1] = (int32_t)at;
	}
	dst->values_len = at;
	return TARN_OK;
}

static int64_t load_index(const uint8_t *p, int w, bool sg, int64_t i)
{
	switch (w) {
	case 1: return sg ? (int64_t)(int8_t)p[i] : (int64_t)p[i];
	case 2: {
		uint16_t v;
		memcpy(&v, p + i * 2, 2);
		return sg ? (int64_t)(int16_t)v : (int64_t)v;
	}
	case 4: {
		uint32_t v;
		memcpy(&v, p + i * 4, 4);
		return sg ? (int64_t)(int32_t)v : (int64_t)v;
	}
	default: {
		uint64_t v;
		memcpy(&v, p + i * 8, 8);
		return (!sg && v > INT64_MAX) ? -1 : (int64_t)v;
	}
	}
}

static struct dict *find_dict(struct ax_reader *r, int64_t id)
{
	for (int i = 0; i < r->n_dicts; i++)
		if (r->dicts[i].id == id)
			return &r->dicts[i];
	return NULL;
}

/* Decodes dictionary indices [start, start+count) of n into dst by
 * gathering the dictionary's values. */
static tarn_rc mat_dict(struct mctx *m, const struct ax_node *n, int64_t start, int64_t count,
			struct tarn_array *dst)
{
	struct ax_reader *r = m->r;
	const struct dict *d = find_dict(r, n->dict_id);
	if (!d || !d->values) {
		/* Only null rows may do without their dictionary. */
		const struct bound *b = &r->bound[n->id];
		bool all_null = b->null_count == b->length && bufk(m, n, 0)->n * 8 >= start + count &&
				count_zero_bits(bufk(m, n, 0)->p, start, count) == count;
		if (!all_null)
			return mfail(m, n, TARN_EDATA,
				     "dictionary %lld is used before a dictionary batch defines it",
				     (long long)n->dict_id);
		for (int64_t i = 0; i < count; i++)
			if (tarn_array_append_null(dst))
				return nomem(r, m->err);
		return TARN_OK;
	}
	const struct tarn_array *dv = d->values;
	int iw = n->index_width;
	TRY(need(m, n, 1, (uint64_t)(start + count) * (uint64_t)iw, "dictionary index"));
	const uint8_t *ip = bufk(m, n, 1)->p;
	if (!grow((void **)&r->idx, &r->idx_cap, count, sizeof *r->idx))
		return nomem(r, m->err);
	int64_t *k = r->idx;
	enum tarn_type_id id = dv->type->id;
	bool nested = tarn_type_is_nested(id) || id == TARN_T_NULL;
	int64_t nulls = 0;
	if (!nested)
		TRY(mat_validity(m, n, start, count, dst, &nulls));
	const struct tarn_array *vmask = nested ? NULL : dst;
	/* Indices of null rows are undefined and not checked. */
	for (int64_t i = 0; i < count; i++) {
		bool valid;
		if (nested) {
			const struct bound *b = &r->bound[n->id];
			valid = b->null_count == 0 || bufk(m, n, 0)->n == 0 ||
				tarn_bit_get(bufk(m, n, 0)->p, start + i);
			if (b->null_count && bufk(m, n, 0)->n < (start + count + 7) / 8)
				return mfail(m, n, TARN_EDATA, "the validity buffer is too short");
		} else {
			valid = row_valid(vmask, i);
		}
		if (!valid) {
			k[i] = -1;
			continue;
		}
		int64_t x = load_index(ip, iw, n->index_signed, start + i);
		if (x < 0 || x >= dv->length)
			return mfail(m, n, TARN_EDATA,
				     "dictionary index %lld at row %lld is outside the dictionary "
				     "(%lld values)",
				     (long long)x, (long long)(start + i), (long long)dv->length);
		if (!nested && tarn_array_is_null(dv, x)) {
			if (tarn_array_set_null(dst, i))
				return nomem(r, m->err);
			nulls++;
			k[i] = -1;
			continue;
		}
		k[i] = x;
	}
	if (nested) {
		for (int64_t i = 0; i < count; i++) {
			tarn_rc rc = k[i] < 0 ? tarn_array_append_null(dst)
					      : tarn_array_append_from(dst, dv, k[i]);
			if (rc)
				return rc == TARN_ELIMIT
					       ? mfail(m, n, rc, "the decoded column is too large")
					       : nomem(r, m->err);
		}
		return TARN_OK;
	}
	switch (id) {
	case TARN_T_BOOL:
		for (int64_t i = 0; i < count; i++)
			tarn_bit_set(dst->values, i, k[i] >= 0 && tarn_bit_get(dv->values, k[i]));
		break;
	case TARN_T_STRING:
	case TARN_T_BINARY: {
		int64_t total = 0;
		for (int64_t i = 0; i < count; i++)
			if (k[i] >= 0)
				total += dv->offsets[k[i] + 1] - dv->offsets[k[i]];
		if (total > TARN_ARRAY_MAX_BYTES)
			return mfail(m, n, TARN_ELIMIT,
				     "decodes to more than %lld bytes in one batch (try a smaller "
				     "batch-rows)",
				     (long long)TARN_ARRAY_MAX_BYTES);
		if (tarn_array_reserve_bytes(dst, total))
			return nomem(r, m->err);
		int64_t at = 0;
		dst->offsets[0] = 0;
		for (int64_t i = 0; i < count; i++) {
			if (k[i] >= 0) {
				int32_t s = dv->offsets[k[i]], e = dv->offsets[k[i] + 1];
				memcpy(dst->values + at, dv->values + s, (size_t)(e - s));
				at += e - s;
			}
			dst->offsets[i + 1] = (int32_t)at;
		}
		dst->values_len = at;
		break;
	}
	default: {
		int w = tarn_type_width(id);
		uint8_t *o = dst->values;
		const uint8_t *s = dv->values;
#define GATHER(T)                                                                \
	for (int64_t i = 0; i < count; i++) {                                    \
		T v_ = 0;                                                        \
		if (k[i] >= 0)                                                   \
			memcpy(&v_, s + k[i] * (int64_t)sizeof(T), sizeof(T));   \
		memcpy(o + i * (int64_t)sizeof(T), &v_, sizeof(T));              \
	}
		switch (w) {
		case 1: GATHER(uint8_t); break;
		case 2: GATHER(uint16_t); break;
		case 4: GATHER(uint32_t); break;
		case 8: GATHER(uint64_t); break;
		case 16: GATHER(tarn_i128); break;
		default: return mfail(m, n, TARN_EINTERNAL, "dictionary of width %d", w);
		}
#undef GATHER
		break;
	}
	}
	dst->length = count;
	dst->null_count = nulls;
	return TARN_OK;
}

/* Copies fixed-width values, converting the layouts tarn does not share. */
static tarn_rc mat_fixed(struct mctx *m, const struct ax_node *n, int64_t start, int64_t count,
			 struct tarn_array *dst)
{
	int w = n->width;
	TRY(need(m, n, 1, (uint64_t)(start + count) * (uint64_t)w, "values"));
	const uint8_t *s = bufk(m, n, 1)->p + start * w;
	uint8_t *o = dst->values;
	switch (n->kind) {
	case AX_FIXED:
		if (count)
			memcpy(o, s, (size_t)(count * w));
		return TARN_OK;
	case AX_FLOAT16:
		for (int64_t i = 0; i < count; i++) {
			uint16_t h;
			memcpy(&h, s + i * 2, 2);
			float f = half_to_float(h);
			memcpy(o + i * 4, &f, 4);
		}
		return TARN_OK;
	case AX_TIME32:
		for (int64_t i = 0; i < count; i++) {
			int64_t v = fb_load_i32(s + i * 4);
			memcpy(o + i * 8, &v, 8);
		}
		return TARN_OK;
	case AX_DATE64:
		for (int64_t i = 0; i < count; i++) {
			int64_t v = fb_load_i64(s + i * 8), d = v / 86400000;
			if (v % 86400000 < 0)
				d--; /* floor: before 1970 */
			if (d < INT32_MIN || d > INT32_MAX) {
				if (row_valid(dst, i))
					return mfail(m, n, TARN_EDATA,
						     "date64 value %lld at row %lld is out of range",
						     (long long)v, (long long)(start + i));
				d = 0;
			}
			int32_t d32 = (int32_t)d;
			memcpy(o + i * 4, &d32, 4);
		}
		return TARN_OK;
	case AX_DECIMAL:
		for (int64_t i = 0; i < count; i++) {
			tarn_i128 v;
			if (w == 4) {
				v = fb_load_i32(s + i * 4);
			} else if (w == 8) {
				v = fb_load_i64(s + i * 8);
			} else {
				/* decimal256: the high half must only extend the sign. */
				memcpy(&v, s + i * 32, 16);
				uint8_t ext = v < 0 ? 0xff : 0;
				const uint8_t *hi = s + i * 32 + 16;
				bool fits = true;
				for (int j = 0; j < 16; j++)
					fits &= hi[j] == ext;
				if (!fits) {
					if (row_valid(dst, i))
						return mfail(m, n, TARN_EDATA,
							     "the decimal256 value at row %lld "
							     "does not fit 128 bits",
							     (long long)(start + i));
					v = 0;
				}
			}
			memcpy(o + i * 16, &v, 16);
		}
		return TARN_OK;
	}
	return mfail(m, n, TARN_EINTERNAL, "layout %d is not fixed-width", n->kind);
}

/* Interval parts into the struct's children. */
static tarn_rc mat_interval(struct mctx *m, const struct ax_node *n, int64_t start,
			    int64_t count, struct tarn_array *dst)
{
	int w = n->width;
	TRY(need(m, n, 1, (uint64_t)(start + count) * (uint64_t)w, "values"));
	const uint8_t *s = bufk(m, n, 1)->p + start * w;
	for (int c = 0; c < dst->n_children; c++)
		if (tarn_array_reserve(dst->children[c], count))
			return nomem(m->r, m->err);
	for (int64_t i = 0; i < count; i++) {
		memcpy(dst->children[0]->values + i * 4, s + i * w, 4);
		memcpy(dst->children[1]->values + i * 4, s + i * w + 4, 4);
		if (w == 16)
			memcpy(dst->children[2]->values + i * 8, s + i * w + 8, 8);
	}
	for (int c = 0; c < dst->n_children; c++)
		dst->children[c]->length = count;
	return TARN_OK;
}

/* Rows [start, start+count) of node n into the empty array dst. as_value:
 * n is a dictionary's value root (read its values, not indices). */
static tarn_rc mat(struct mctx *m, const struct ax_node *n, bool as_value, int64_t start,
		   int64_t count, struct tarn_array *dst)
{
	const struct bound *b = &m->r->bound[n->id];
	if (start > b->length || count > b->length - start)
		return mfail(m, n, TARN_EDATA, "%lld rows needed from row %lld, the array has %lld",
			     (long long)count, (long long)start, (long long)b->length);
	if (tarn_array_reserve(dst, count))
		return nomem(m->r, m->err);
	if (n->dict && !as_value)
		return mat_dict(m, n, start, count, dst);
	int64_t nulls = 0;
	if (n->kind == AX_NULL) {
		if (count > 0) {
			if (tarn_array_ensure_validity(dst))
				return nomem(m->r, m->err);
			memset(dst->validity, 0, (size_t)((count + 7) / 8));
			close_bits(dst->validity, count);
		}
		dst->length = dst->null_count = count;
		return TARN_OK;
	}
	TRY(mat_validity(m, n, start, count, dst, &nulls));
	switch (n->kind) {
	case AX_BOOL:
		TRY(need(m, n, 1, (uint64_t)(start + count + 7) / 8, "values"));
		copy_bits(dst->values, bufk(m, n, 1)->p, start, count);
		break;
	case AX_FIXED:
	case AX_FLOAT16:
	case AX_DECIMAL:
	case AX_DATE64:
	case AX_TIME32:
		TRY(mat_fixed(m, n, start, count, dst));
		break;
	case AX_INTERVAL_DT:
	case AX_INTERVAL_MDN:
		TRY(mat_interval(m, n, start, count, dst));
		break;
	case AX_BYTES:
	case AX_LARGE_BYTES: {
		if (count == 0)
			break;
		int64_t base, span;
		TRY(mat_offsets(m, n, n->kind == AX_LARGE_BYTES, start, count, dst->offsets, &base,
				&span));
		const struct buf *data = bufk(m, n, 2);
		if (base > data->n || span > data->n - base)
			return mfail(m, n, TARN_EDATA,
				     "offsets reach byte %lld of a %lld-byte data buffer",
				     (long long)(base + span), (long long)data->n);
		if (span > TARN_ARRAY_MAX_BYTES)
			return mfail(m, n, TARN_ELIMIT, "more than %lld bytes in one batch",
				     (long long)TARN_ARRAY_MAX_BYTES);
		if (tarn_array_reserve_bytes(dst, span))
			return nomem(m->r, m->err);
		if (span)
			memcpy(dst->values, data->p + base, (size_t)span);
		dst->values_len = span;
		break;
	}
	case AX_VIEW:
		TRY(mat_views(m, n, start, count, dst));
		break;
	case AX_FIXED_BYTES: {
		int64_t w = n->fixed;
		if (w && (count > TARN_ARRAY_MAX_BYTES / w || start > MAX_ROWS / w))
			return mfail(m, n, TARN_ELIMIT, "more than %lld bytes in one batch",
				     (long long)TARN_ARRAY_MAX_BYTES);
		int64_t span = w * count;
		if (span > TARN_ARRAY_MAX_BYTES)
			return mfail(m, n, TARN_ELIMIT, "more than %lld bytes in one batch",
				     (long long)TARN_ARRAY_MAX_BYTES);
		TRY(need(m, n, 1, (uint64_t)(start + count) * (uint64_t)w, "values"));
		if (tarn_array_reserve_bytes(dst, span))
			return nomem(m->r, m->err);
		if (span)
			memcpy(dst->values, bufk(m, n, 1)->p + start * w, (size_t)span);
		for (int64_t i = 0; i <= count; i++)
			dst->offsets[i] = (int32_t)(i * w);
		dst->values_len = span;
		break;
	}
	case AX_LIST:
	case AX_LARGE_LIST:
	case AX_MAP: {
		int64_t base = 0, span = 0;
		if (count > 0)
			TRY(mat_offsets(m, n, n->kind == AX_LARGE_LIST, start, count, dst->offsets,
					&base, &span));
		TRY(mat(m, &n->children[0], false, base, span, dst->children[0]));
		if (n->kind == AX_MAP && dst->children[0]->children[0]->null_count != 0)
			return mfail(m, n, TARN_EDATA, "a map key is null");
		break;
	}
	case AX_FIXED_LIST: {
		int64_t size = n->fixed;
		if (size && (count > INT32_MAX / size || start > MAX_ROWS / size))
			return mfail(m, n, TARN_ELIMIT, "more than %d items in one batch", INT32_MAX);
		int64_t span = size * count;
		for (int64_t i = 0; i <= count; i++)
			dst->offsets[i] = (int32_t)(i * size);
		TRY(mat(m, &n->children[0], false, start * size, span, dst->children[0]));
		break;
	}
	case AX_STRUCT:
		for (int i = 0; i < n->n_children; i++)
			TRY(mat(m, &n->children[i], false, start, count, dst->children[i]));
		break;
	default:
		return mfail(m, n, TARN_EINTERNAL, "unknown layout %d", n->kind);
	}
	dst->length = count;
	dst->null_count = nulls;
	return TARN_OK;
}

/* ---- dictionaries and batches ----------------------------------------------------- */

static tarn_rc apply_dictionary(struct ax_reader *r, const struct msg *m, struct tarn_err *err)
{
	struct fb_ctx *fc = &r->mctx;
	int64_t id = fb_i64(&m->header, DB_ID, 0);
	bool delta = fb_bool(&m->header, DB_IS_DELTA, false);
	struct fb_table rb;
	bool has = fb_table(&m->header, DB_DATA, &rb);
	if (fc->rc)
		return fc->rc;
	if (!has)
		return fb_fail(fc, TARN_EDATA, "dictionary batch %lld has no data", (long long)id);
	struct dict *d = find_dict(r, id);
	if (!d)
		return fb_fail(fc, TARN_EDATA, "dictionary batch for id %lld, which no field uses",
			       (long long)id);
	if (r->file && !delta && d->values)
		return fb_fail(fc, TARN_EDATA,
			       "dictionary %lld is defined twice (the file format does not "
			       "allow replacing a dictionary)",
			       (long long)id);
	char what[96];
	snprintf(what, sizeof what, "dictionary batch %lld at byte %lld", (long long)id,
		 (long long)m->offset);
	TRY(bind_batch(r, &rb, m->body, m->body_len, d->node, 1, true, what, err));
	struct tarn_array *a;
	if (tarn_array_new(d->node->t, 0, &a))
		return nomem(r, err);
	struct mctx mc = { r, err, what };
	tarn_rc rc = mat(&mc, d->node, true, 0, r->rows, a);
	free_scratch(r);
	if (rc == TARN_OK) {
		struct tarn_err verr;
		tarn_err_clear(&verr);
		rc = tarn_array_validate(a, true, &verr);
		if (rc)
			rc = rfail(r, err, rc, "%s: %s", what, verr.msg);
	}
	if (rc == TARN_OK && delta && d->values) {
		for (int64_t i = 0; i < a->length && rc == TARN_OK; i++)
			rc = tarn_array_append_from(d->values, a, i);
		if (rc)
			rc = rc == TARN_ELIMIT ? rfail(r, err, rc, "%s: the dictionary grows too large",
						       what)
					       : nomem(r, err);
		tarn_array_free(a);
		return rc;
	}
	if (rc) {
		tarn_array_free(a);
		return rc;
	}
	tarn_array_free(d->values);
	d->values = a;
	return TARN_OK;
}

static tarn_rc start_batch(struct ax_reader *r, const struct msg *m, struct tarn_err *err)
{
	char what[96];
	snprintf(what, sizeof what, "record batch %lld at byte %lld", (long long)r->batch_no++,
		 (long long)m->offset);
	TRY(bind_batch(r, &m->header, m->body, m->body_len, r->ax->fields,
		       r->ax->schema->n_fields, false, what, err));
	r->done = 0;
	r->have_batch = true;
	return TARN_OK;
}

/* The next window of the bound batch as a tarn batch. */
static tarn_rc emit(struct ax_reader *r, struct tarn_batch **out, struct tarn_err *err)
{
	int64_t k = r->rows - r->done;
	if (k > r->batch_rows)
		k = r->batch_rows;
	char what[64];
	snprintf(what, sizeof what, "record batch %lld", (long long)(r->batch_no - 1));
	struct tarn_batch *b;
	if (tarn_batch_new(r->ax->schema, 0, &b))
		return nomem(r, err);
	struct mctx mc = { r, err, what };
	tarn_rc rc = TARN_OK;
	for (int i = 0; i < b->n_cols && rc == TARN_OK; i++) {
		const struct ax_node *n = &r->ax->fields[i];
		rc = mat(&mc, n, false, r->done, k, b->cols[i]);
		if (rc == TARN_OK) {
			struct tarn_err verr;
			tarn_err_clear(&verr);
			rc = tarn_array_validate(b->cols[i], true, &verr);
			if (rc)
				rc = rfail(r, err, rc, "%s: column '%s': %s", what, n->name,
					   verr.msg);
		}
	}
	if (rc == TARN_OK) {
		b->n_rows = k;
		rc = tarn_batch_seal(b, err);
	}
	if (rc) {
		tarn_batch_free(b);
		return rc;
	}
	r->done += k;
	*out = b;
	return TARN_OK;
}

static tarn_rc reader_next(struct tarn_reader *base, struct tarn_batch **out,
			   struct tarn_err *err)
{
	struct ax_reader *r = (struct ax_reader *)base;
	*out = NULL;
	for (;;) {
		if (r->have_batch && r->done < r->rows)
			return emit(r, out, err);
		if (r->have_batch) {
			free_scratch(r);
			if (r->map) {
				tarn_input_release(r->in, (size_t)r->pos);
				tarn_input_set_consumed(r->in, r->pos);
			}
		}
		if (r->ended)
			return TARN_OK;
		struct msg m;
		bool end;
		if (r->file) {
			if (r->next_block >= r->n_blocks) {
				r->ended = true;
				return TARN_OK;
			}
			const struct block *bk = &r->blocks[r->next_block++];
			r->pos = bk->offset;
			TRY(read_message(r, &m, &end, err));
			if (end || m.type != HDR_RECORD_BATCH)
				return rfail(r, err, TARN_EDATA,
					     "the footer's record batch block at byte %lld holds %s",
					     (long long)bk->offset,
					     end ? "an end-of-stream marker" : header_name(m.type));
		} else {
			TRY(read_message(r, &m, &end, err));
			if (end) {
				r->ended = true;
				if (r->map)
					tarn_input_set_consumed(r->in, r->pos);
				return TARN_OK;
			}
		}
		switch (m.type) {
		case HDR_RECORD_BATCH:
			TRY(start_batch(r, &m, err));
			break;
		case HDR_DICTIONARY_BATCH:
			TRY(apply_dictionary(r, &m, err));
			break;
		case HDR_SCHEMA:
			return rfail(r, err, TARN_EDATA, "a second schema message at byte %lld",
				     (long long)m.offset);
		default:
			return rfail(r, err, TARN_EUNSUPPORTED,
				     "message at byte %lld is a %s, which tarn does not read",
				     (long long)m.offset, header_name(m.type));
		}
	}
}

static void reader_close(struct tarn_reader *base)
{
	struct ax_reader *r = (struct ax_reader *)base;
	free_scratch(r);
	for (int i = 0; i < r->n_dicts; i++)
		tarn_array_free(r->dicts[i].values);
	tarn_free(r->dicts);
	ax_schema_free(r->ax);
	tarn_free(r->blocks);
	tarn_free(r->meta);
	tarn_free(r->body);
	tarn_free(r->bound);
	tarn_free(r->bufs);
	tarn_free(r->scratch);
	tarn_free(r->jobs);
	tarn_free(r->idx);
	for (int i = 0; i < MAX_TASKS; i++)
		ax_codec_free(&r->codecs[i]);
	tarn_free(r);
}

static const struct tarn_reader_ops reader_ops = { .next = reader_next, .close = reader_close };

/* ---- opening ----------------------------------------------------------------------- */

/* The schema: the dictionary table (one entry per distinct id) and the
 * per-node state. */
static tarn_rc take_schema(struct ax_reader *r, const struct fb_table *schema,
			   struct tarn_err *err)
{
	TRY(ax_schema_parse(schema, &r->ax, err));
	r->bound = tarn_calloc((size_t)(r->ax->n_nodes ? r->ax->n_nodes : 1), sizeof *r->bound);
	r->dicts = tarn_calloc((size_t)(r->ax->n_dicts ? r->ax->n_dicts : 1), sizeof *r->dicts);
	if (!r->bound || !r->dicts)
		return nomem(r, err);
	for (int i = 0; i < r->ax->n_dicts; i++) {
		const struct ax_node *n = r->ax->dicts[i];
		struct dict *d = find_dict(r, n->dict_id);
		if (d) {
			if (!tarn_type_equal(d->node->t, n->t))
				return rfail(r, err, TARN_EDATA,
					     "fields '%s' and '%s' share dictionary %lld but differ "
					     "in type",
					     d->node->name, n->name, (long long)n->dict_id);
			continue;
		}
		r->dicts[r->n_dicts++] = (struct dict){ n->dict_id, n, NULL };
	}
	tarn_schema_ref(r->ax->schema);
	r->base.schema = r->ax->schema;
	return TARN_OK;
}

/* Block i of a footer vector; its offset must lie inside the file after the
 * leading magic. */
static tarn_rc read_block(struct ax_reader *r, const struct fb_vec *v, uint32_t i,
			  const char *what, struct block *b, struct tarn_err *err)
{
	const uint8_t *e = fb_vec_at(v, i);
	b->offset = fb_load_i64(e);
	b->body_len = fb_load_i64(e + 16);
	if (b->offset < 8 || (uint64_t)b->offset >= r->map_n)
		return rfail(r, err, TARN_EDATA, "%s block %u at byte %lld is outside the file",
			     what, i, (long long)b->offset);
	return TARN_OK;
}

/* The footer of a mapped file: schema, dictionaries (applied now), record
 * batch blocks. */
static tarn_rc open_footer(struct ax_reader *r, struct tarn_err *err)
{
	size_t n = r->map_n;
	int32_t flen = fb_load_i32(r->map + n - 10);
	if (flen <= 0 || (size_t)flen > n - 18)
		return rfail(r, err, TARN_EDATA, "the footer length %d does not fit the %zu-byte file",
			     flen, n);
	size_t fstart = n - 10 - (size_t)flen;
	struct fb_ctx fc;
	char where[96];
	snprintf(where, sizeof where, "%s: footer at byte %zu", r->name, fstart);
	fb_ctx_init(&fc, r->map + fstart, (size_t)flen, AX_MAX_DEPTH + 8, err, where);
	struct fb_table footer, schema;
	if (!fb_root(&fc, &footer))
		return fc.rc;
	if (!fb_table(&footer, FOOTER_SCHEMA, &schema))
		return fc.rc ? fc.rc : fb_fail(&fc, TARN_EDATA, "the footer has no schema");
	TRY(take_schema(r, &schema, err));
	struct fb_vec dv, bv;
	fb_vector(&footer, FOOTER_DICTIONARIES, 24, &dv);
	fb_vector(&footer, FOOTER_RECORD_BATCHES, 24, &bv);
	if (fc.rc)
		return fc.rc;
	r->blocks = tarn_calloc(bv.len ? bv.len : 1, sizeof *r->blocks);
	if (!r->blocks)
		return nomem(r, err);
	r->n_blocks = bv.len;
	for (uint32_t i = 0; i < bv.len; i++)
		TRY(read_block(r, &bv, i, "record batch", &r->blocks[i], err));
	for (uint32_t i = 0; i < dv.len; i++) {
		struct block b;
		TRY(read_block(r, &dv, i, "dictionary", &b, err));
		r->pos = b.offset;
		struct msg m;
		bool end;
		TRY(read_message(r, &m, &end, err));
		if (end || m.type != HDR_DICTIONARY_BATCH)
			return rfail(r, err, TARN_EDATA,
				     "the footer's dictionary block at byte %lld holds %s",
				     (long long)b.offset,
				     end ? "an end-of-stream marker" : header_name(m.type));
		TRY(apply_dictionary(r, &m, err));
	}
	r->file = true;
	return TARN_OK;
}


tarn_rc ax_open_reader(struct tarn_input *in, const struct tarn_opts *opts,
		       struct tarn_reader **out, struct tarn_err *err)
{
	*out = NULL;
	struct ax_reader *r = tarn_calloc(1, sizeof *r);
	if (!r)
		return tarn_err_nomem(err, "Arrow reader");
	r->base.ops = &reader_ops;
	r->in = in;
	r->name = tarn_input_name(in);
	tarn_rc rc = TARN_OK;
	TRY_OUT(tarn_opts_size(opts, "batch-rows", TARN_BATCH_ROWS, 1, TARN_BATCH_ROWS, &r->batch_rows,
			 err));
	TRY_OUT(tarn_opts_size(opts, "max-message-size", (int64_t)1 << 31, 1024, (int64_t)1 << 40,
			 &r->max_message, err));
	r->map = tarn_input_mapped(in, &r->map_n);
	const uint8_t *p;
	size_t n;
	if (r->map) {
		p = r->map;
		n = r->map_n;
	} else {
		TRY_OUT(tarn_input_peek(in, 8, &p, &n, err));
	}
	if (n >= 6 && memcmp(p, AX_MAGIC, 6) == 0) {
		if (r->map && n >= 8 + 10 && memcmp(r->map + n - 6, AX_MAGIC, 6) == 0) {
			TRY_OUT(open_footer(r, err));
			goto done;
		}
		if (r->map) {
			rc = rfail(r, err, TARN_EDATA,
				   "the file starts like an Arrow file but does not end with its "
				   "footer and magic (truncated?)");
			goto out;
		}
		/* Not addressable: read the embedded stream. */
		uint8_t skip[8];
		uint8_t *sp = skip;
		size_t cap = sizeof skip, got;
		TRY_OUT(read_stream(r, 8, &sp, &cap, &got, err));
		if (got < 8) {
			rc = rfail(r, err, TARN_EDATA, "the file is truncated after its magic");
			goto out;
		}
		r->file_seq = true;
	}
	struct msg m;
	bool end;
	TRY_OUT(read_message(r, &m, &end, err));
	if (end) {
		rc = rfail(r, err, TARN_EDATA, "the stream has no schema message (it is empty)");
		goto out;
	}
	if (m.type != HDR_SCHEMA) {
		rc = rfail(r, err, TARN_EDATA, "the stream starts with a %s message, not a Schema",
			   header_name(m.type));
		goto out;
	}
	TRY_OUT(take_schema(r, &m.header, err));
done:
	*out = &r->base;
	return TARN_OK;
out:
	/* The generic layer drops base.schema only for readers it was given. */
	tarn_schema_unref(r->base.schema);
	reader_close(&r->base);
	return rc;
}
