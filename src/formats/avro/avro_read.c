/*
 * avro_read.c — the Avro reader: object container files (specification,
 * "Object Container Files") and, with the `schema` option, files of
 * single-object encoded records ("Single-object encoding").
 *
 * Design notes
 *  1. Input: a memory-mapped file (or memory input) is addressed in place;
 *     anything else (stdin, .gz/.zst input) is read block by block into the
 *     job that will decode it. Either way only the blocks in flight are in
 *     memory.
 *  2. Header: magic, metadata map (avro.schema required, avro.codec absent
 *     = null), 16-byte sync marker. Every length in it is capped by the
 *     bytes present and the header by MAX_HEADER.
 *  3. Blocks are framed on the calling thread (count, size, data, sync
 *     marker compared with the header's) and grouped into jobs of whole
 *     blocks, up to batch-rows rows a job (a block of more rows makes a job
 *     of its own, cut into several batches). A job runs on the worker pool:
 *     it decompresses each block, decodes its rows with the program of
 *     avro_resolve.c into batches, checks UTF-8, and must end exactly at the
 *     block's end. Up to one job per worker (plus one) is in flight; the
 *     caller gets batches in file order from the oldest job while later ones
 *     decode.
 *  4. Errors in framing (bad count, sync mismatch, truncation) become the
 *     error of the job being filled, reported after the batches of the
 *     blocks before it; decode errors likewise end their job after the
 *     batches already complete in it. Messages name the file, block number,
 *     its byte offset, the object (row) in the block and the field path.
 *  5. Caps: block size <= max-block-size, compressed and decompressed;
 *     objects per block <= decompressed bytes / least bytes per object.
 *     Values that encode in no bytes at all (objects of a schema of only
 *     nulls and empty records, items of such arrays) are counted against a
 *     budget of ZERO_PER_BYTE per decompressed byte (plus ZERO_FIRST for the
 *     first job), so a few bytes cannot demand billions of rows.
 *
 * States: open (header read, schema resolved) → first next(): all jobs
 * filled and submitted → next(): wait for the oldest job, hand out its
 * batches, then refill it with the next blocks and resubmit → no blocks
 * left and all jobs drained: NULL.
 *
 * Thread-safety: one reader per thread; a job touches only itself and the
 * read-only program, schema and options.
 */
#include <stdio.h>
#include <string.h>

#include "base/pool.h"
#include "formats/avro/avro_int.h"

#define MAX_HEADER ((size_t)AVRO_MAX_SCHEMA + (1u << 20))
#define MAX_JOBS 8
#define ZERO_FIRST ((int64_t)1 << 20)
#define JOB_BYTES ((size_t)64 << 20)  /* compressed bytes gathered into one job */
#define BATCH_BYTES ((int64_t)256 << 20) /* block bytes decoded into one batch at most */
#define ZERO_PER_BYTE 32

static const uint8_t single_magic[2] = { 0xc3, 0x01 };

struct blk {
	int64_t index;  /* block number, from 0 */
	int64_t offset; /* byte offset of its count in the file */
	int64_t count;  /* objects; -1 = single-object messages until the end */
	size_t data;    /* start: offset in job->raw (streamed) or in the map */
	size_t size;
	int64_t data_off; /* byte offset of the data in the file */
};

struct job {
	struct tarn_task task;
	struct areader *r;
	bool active;    /* filled and submitted; batches or an error to hand out */
	struct blk *blks;
	int n_blks, cap_blks;
	struct tarn_buf raw;   /* streamed input: the blocks' bytes, each + sync */
	struct tarn_buf plain; /* decompressed block */
	struct tarn_batch **out;
	int n_out, cap_out, next_out;
	tarn_rc rc;          /* decoding (on the pool) */
	struct tarn_err err;
	tarn_rc frame_rc;    /* framing, noted while filling; reported after the blocks */
	struct tarn_err ferr;
	size_t map_end; /* mapped input: end of the last block (for release) */
	bool first;     /* the reader's first job (gets ZERO_FIRST) */
	int64_t budget; /* zero-size values still allowed (design note 5) */
	struct tarn_array **slots;
};

struct areader {
	struct tarn_reader base;
	const char *name;
	struct avro_schema *wschema, *rschema;
	struct avro_prog *pg;
	int codec;
	uint8_t sync[16];
	bool single;
	uint64_t fingerprint;
	/* input */
	struct tarn_input *in;
	const uint8_t *map;
	size_t map_len;
	int64_t pos; /* file offset of the next block */
	int64_t next_block;
	bool eof, stop;
	/* jobs */
	struct job jobs[MAX_JOBS];
	int n_jobs, head;
	bool started;
	/* options */
	int64_t batch_rows, max_block;
};

static const struct tarn_reader_ops reader_ops;

/* ---- helpers ----------------------------------------------------------------------- */

static void put_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* The dotted path of the array in slot s (columns and members), for
 * messages. */
static bool slot_path_in(const struct tarn_field *f, int *s, char *buf, size_t cap, size_t len)
{
	int w = snprintf(buf + len, cap - len, "%s%s", len ? "." : "", f->name ? f->name : "");
	size_t nl = w < 0 ? len : len + (size_t)w;
	if (nl >= cap)
		nl = cap - 1;
	if ((*s)-- == 0)
		return true;
	for (int i = 0; i < f->type.n_children; i++)
		if (slot_path_in(&f->type.children[i], s, buf, cap, nl))
			return true;
	buf[len] = '\0';
	return false;
}

static void slot_path(const struct tarn_schema *sc, int slot, char *buf, size_t cap)
{
	buf[0] = '\0';
	for (int i = 0; i < sc->n_fields; i++)
		if (slot_path_in(&sc->fields[i], &slot, buf, cap, 0))
			return;
}

/* ---- decoding a job (on the pool) --------------------------------------------------------- */

static tarn_rc job_push(struct job *j, struct tarn_batch *b)
{
	if (j->n_out == j->cap_out) {
		int nc = j->cap_out ? j->cap_out * 2 : 4;
		struct tarn_batch **o = tarn_realloc(j->out, (size_t)nc * sizeof *o);
		if (!o)
			return TARN_ENOMEM;
		j->out = o;
		j->cap_out = nc;
	}
	j->out[j->n_out++] = b;
	return TARN_OK;
}

static tarn_rc new_batch(struct job *j, int64_t rows, struct tarn_batch **out)
{
	struct areader *r = j->r;
	int64_t cap = rows < r->batch_rows ? rows : r->batch_rows;
	if (cap < 1)
		cap = 1;
	tarn_rc rc = tarn_batch_new(r->pg->schema, cap, out);
	if (rc)
		return tarn_err_set(&j->err, rc, "%s: out of memory for a batch", r->name);
	avro_slots_bind(r->pg, *out, j->slots);
	return TARN_OK;
}

/* Seals b, checks its strings and hands it out. */
static tarn_rc finish_batch(struct job *j, struct tarn_batch *b, const struct blk *k,
			    int64_t first_obj)
{
	struct areader *r = j->r;
	int bad_slot;
	int64_t bad_row;
	if (r->pg->has_strings && avro_check_utf8(r->pg, j->slots, &bad_slot, &bad_row)) {
		char path[256];
		slot_path(r->pg->schema, bad_slot, path, sizeof path);
		tarn_batch_free(b);
		return tarn_err_set(&j->err, TARN_EDATA,
				    "%s: block %lld (byte offset %lld), near object %lld: field '%s': "
				    "a string is not valid UTF-8",
				    r->name, (long long)k->index, (long long)k->offset,
				    (long long)first_obj, path);
	}
	tarn_rc rc = tarn_batch_seal(b, &j->err);
	if (rc == TARN_OK && job_push(j, b))
		rc = tarn_err_set(&j->err, TARN_ENOMEM, "%s: out of memory", r->name);
	if (rc)
		tarn_batch_free(b);
	return rc;
}

static tarn_rc decode_fail(struct job *j, const struct blk *k, int64_t obj,
			   const struct avro_dec *d, const uint8_t *start, const uint8_t *at)
{
	struct areader *r = j->r;
	const char *why = d->why ? d->why : d->detail;
	const char *path = d->bad_op && d->bad_op->path ? d->bad_op->path : NULL;
	char where[96] = "";
	if (r->codec == AC_NULL && at && at >= start)
		snprintf(where, sizeof where, " at byte offset %lld",
			 (long long)(k->data_off + (at - start)));
	else if (at && at >= start)
		snprintf(where, sizeof where, " at byte %lld of the decompressed block",
			 (long long)(at - start));
	if (d->bad_op && d->bad_op->kind == OPK_FAIL)
		return tarn_err_set(&j->err, d->rc, "%s: block %lld, object %lld: %s", r->name,
				    (long long)k->index, (long long)obj, why);
	return tarn_err_set(&j->err, d->rc == TARN_OK ? TARN_EDATA : d->rc,
			    "%s: block %lld (byte offset %lld), object %lld%s: %s%s%s%s", r->name,
			    (long long)k->index, (long long)k->offset, (long long)obj, where,
			    path ? "field '" : "", path ? path : "", path ? "': " : "", why);
}

/* Decodes one block's rows into *cur (a batch being filled), starting new
 * batches as they fill up. */
static tarn_rc decode_block(struct job *j, const struct blk *k, const uint8_t *p, size_t n,
			    struct tarn_batch **cur, int64_t rows_left)
{
	struct areader *r = j->r;
	const struct avro_prog *pg = r->pg;
	const uint8_t *start = p, *end = p + n;
	j->budget += ZERO_PER_BYTE * (int64_t)n;
	if (k->count >= 0 && pg->min_row > 0 && k->count > (int64_t)n / pg->min_row)
		return tarn_err_set(&j->err, TARN_EDATA,
				    "%s: block %lld (byte offset %lld) claims %lld objects but holds "
				    "only %zu bytes",
				    r->name, (long long)k->index, (long long)k->offset,
				    (long long)k->count, n);
	if (k->count >= 0 && pg->min_row == 0) {
		if (k->count > j->budget)
			return tarn_err_set(&j->err, TARN_ELIMIT,
					    "%s: block %lld (byte offset %lld) claims %lld objects of a "
					    "schema that encodes in no bytes, more than tarn accepts "
					    "for %zu bytes of data",
					    r->name, (long long)k->index, (long long)k->offset,
					    (long long)k->count, n);
		j->budget -= k->count;
	}
	struct avro_dec d = { .slots = j->slots, .end = end, .budget = j->budget };
	const uint8_t *batch_start = p;
	int64_t first_obj = 0;
	for (int64_t i = 0; k->count < 0 ? p < end : i < k->count; i++) {
		if (*cur) {
			/* full: by rows or by bytes decoded */
			int64_t rows = pg->n_slots ? j->slots[0]->length : (*cur)->n_rows;
			if (rows >= r->batch_rows || p - batch_start >= BATCH_BYTES) {
				struct tarn_batch *full = *cur;
				*cur = NULL; /* finish_batch frees it on failure */
				TRY(finish_batch(j, full, k, first_obj));
			}
		}
		if (!*cur) {
			TRY(new_batch(j, rows_left - i, cur));
			batch_start = p;
			first_obj = i;
		}
		if (k->count < 0) {
			/* single-object encoding: marker and fingerprint first */
			uint8_t want[10] = { 0xc3, 0x01 };
			put_le64(want + 2, r->fingerprint);
			if (end - p < 10 || memcmp(p, want, 2) != 0)
				return tarn_err_set(&j->err, TARN_EDATA,
						    "%s: byte offset %lld: expected a single-object "
						    "marker (C3 01)",
						    r->name, (long long)(k->offset + (p - start)));
			if (memcmp(p + 2, want + 2, 8) != 0)
				return tarn_err_set(&j->err, TARN_EDATA,
						    "%s: byte offset %lld: the message was written with "
						    "another schema (its fingerprint differs from the "
						    "schema option's)",
						    r->name, (long long)(k->offset + (p - start)));
			p += 10;
		}
		const uint8_t *q = avro_decode_row(pg, &d, p);
		if (!q)
			return decode_fail(j, k, i, &d, start, p);
		j->budget = d.budget;
		if (pg->n_slots == 0)
			(*cur)->n_rows++;
		p = q;
	}
	if (p != end)
		return tarn_err_set(&j->err, TARN_EDATA,
				    "%s: block %lld (byte offset %lld): %lld bytes left after its "
				    "%lld objects (the block is corrupt or the schema is wrong)",
				    r->name, (long long)k->index, (long long)k->offset,
				    (long long)(end - p), (long long)k->count);
	return TARN_OK;
}

static void job_run(void *arg)
{
	struct job *j = arg;
	struct areader *r = j->r;
	j->budget = j->first ? ZERO_FIRST : 0;
	int64_t rows_left = 0;
	for (int i = 0; i < j->n_blks; i++)
		rows_left += j->blks[i].count < 0 ? r->batch_rows : j->blks[i].count;
	struct tarn_batch *cur = NULL;
	tarn_rc rc = TARN_OK;
	int i;
	for (i = 0; i < j->n_blks && rc == TARN_OK; i++) {
		const struct blk *k = &j->blks[i];
		const uint8_t *src = r->map ? r->map + k->data : (const uint8_t *)j->raw.data + k->data;
		const uint8_t *p = src;
		size_t n = k->size;
		if (r->codec != AC_NULL) {
			const char *why;
			rc = avro_decompress(r->codec, src, k->size, (size_t)r->max_block, &j->plain,
					     &why);
			if (rc) {
				tarn_err_set(&j->err, rc,
					     "%s: block %lld (byte offset %lld): %s block: %s%s", r->name,
					     (long long)k->index, (long long)k->offset,
					     avro_codec_name(r->codec), why ? why : "cannot decompress",
					     rc == TARN_ELIMIT ? " (raise the reader option "
								 "max-block-size)"
							       : "");
				break;
			}
			p = (const uint8_t *)j->plain.data;
			n = j->plain.len;
		}
		rc = decode_block(j, k, p, n, &cur, rows_left);
		rows_left -= k->count < 0 ? 0 : k->count;
	}
	if (rc == TARN_OK && cur) {
		rc = finish_batch(j, cur, &j->blks[j->n_blks - 1], 0);
		cur = NULL;
	}
	tarn_batch_free(cur);
	if (rc)
		j->rc = rc;
	/* A framing error noted while filling comes after these blocks. */
	if (!j->rc && j->frame_rc) {
		j->rc = j->frame_rc;
		j->err = j->ferr;
	}
}

/* ---- framing (calling thread) ---------------------------------------------------------- */

static tarn_rc frame_fail(struct job *j, tarn_rc rc)
{
	if (!j->ferr.msg[0])
		tarn_err_set(&j->ferr, rc, "%s: out of memory reading a block", j->r->name);
	j->frame_rc = rc;
	j->r->stop = true;
	return rc;
}

/* Reads exactly n bytes of streamed input into dst; *got < n at the end. */
static tarn_rc read_full(struct tarn_input *in, uint8_t *dst, size_t n, size_t *got,
			 struct tarn_err *err)
{
	*got = 0;
	while (*got < n) {
		size_t k;
		TRY(tarn_input_read(in, dst + *got, n - *got, &k, err));
		if (k == 0)
			break;
		*got += k;
	}
	return TARN_OK;
}

/* The next block's count and size (not consumed). *hdr = their bytes; 0
 * at a clean end of file. */
static tarn_rc peek_block(struct areader *r, struct job *j, int64_t *count, int64_t *size,
			  size_t *hdr)
{
	const uint8_t *p;
	size_t n;
	if (r->map) {
		p = r->map + r->pos;
		n = r->map_len - (size_t)r->pos;
	} else {
		TRY(tarn_input_peek(r->in, 20, &p, &n, &j->ferr) ? frame_fail(j, j->ferr.rc) : TARN_OK);
	}
	*hdr = 0;
	if (n == 0)
		return TARN_OK;
	bool ok;
	const uint8_t *q = avro_get_long_bounded(p, p + n, count, &ok);
	if (ok)
		q = avro_get_long_bounded(q, p + n, size, &ok);
	if (!ok)
		return frame_fail(j, tarn_err_set(&j->ferr, TARN_EDATA,
						  "%s: block %lld (byte offset %lld): the file ends "
						  "inside the block header, or the header is corrupt",
						  r->name, (long long)r->next_block, (long long)r->pos));
	if (*count < 0 || *size < 0)
		return frame_fail(j, tarn_err_set(&j->ferr, TARN_EDATA,
						  "%s: block %lld (byte offset %lld): negative object "
						  "count or size (the file is corrupt)",
						  r->name, (long long)r->next_block, (long long)r->pos));
	if (*size > r->max_block)
		return frame_fail(j, tarn_err_set(&j->ferr, TARN_ELIMIT,
						  "%s: block %lld (byte offset %lld) is %lld bytes, "
						  "over max-block-size (%lld)",
						  r->name, (long long)r->next_block, (long long)r->pos,
						  (long long)*size, (long long)r->max_block));
	*hdr = (size_t)(q - p);
	return TARN_OK;
}

static tarn_rc add_blk(struct job *j, struct blk b)
{
	if (j->n_blks == j->cap_blks) {
		int nc = j->cap_blks ? j->cap_blks * 2 : 16;
		struct blk *v = tarn_realloc(j->blks, (size_t)nc * sizeof *v);
		if (!v)
			return TARN_ENOMEM;
		j->blks = v;
		j->cap_blks = nc;
	}
	j->blks[j->n_blks++] = b;
	return TARN_OK;
}

/* Frames the blocks for job j: whole blocks until the next one would take
 * it past batch-rows rows (or JOB_BYTES bytes). */
static void fill_job(struct areader *r, struct job *j)
{
	j->n_blks = 0;
	j->n_out = j->next_out = 0;
	j->rc = j->frame_rc = TARN_OK;
	tarn_err_clear(&j->err);
	tarn_err_clear(&j->ferr);
	j->raw.len = 0;
	int64_t rows = 0;
	size_t bytes = 0;
	if (r->single) {
		/* Single-object messages: the rest of the input, as one block. */
		size_t n;
		if (r->map) {
			n = r->map_len - (size_t)r->pos;
			if ((int64_t)n > r->max_block) {
				frame_fail(j, tarn_err_set(&j->ferr, TARN_ELIMIT,
							   "%s: %zu bytes of single-object messages "
							   "exceed max-block-size",
							   r->name, n));
				return;
			}
		} else {
			for (;;) {
				if (tarn_buf_reserve(&j->raw, 1 << 20)) {
					frame_fail(j, tarn_err_set(&j->ferr, TARN_ELIMIT,
								   "%s: too much input", r->name));
					return;
				}
				size_t got;
				if (tarn_input_read(r->in, j->raw.data + j->raw.len,
						    j->raw.cap - j->raw.len, &got, &j->ferr)) {
					frame_fail(j, j->ferr.rc);
					return;
				}
				if (got == 0)
					break;
				j->raw.len += got;
				if ((int64_t)j->raw.len > r->max_block) {
					frame_fail(j, tarn_err_set(&j->ferr, TARN_ELIMIT,
								   "%s: single-object messages exceed "
								   "max-block-size",
								   r->name));
					return;
				}
			}
			n = j->raw.len;
			if (tarn_buf_reserve(&j->raw, 16)) {
				frame_fail(j, TARN_ENOMEM);
				return;
			}
			memset(j->raw.data + j->raw.len, 0, 16);
		}
		if (n == 0) {
			r->eof = true;
			return;
		}
		if (r->map) {
			/* The map has no slack after its last byte: copy. */
			if (tarn_buf_reserve(&j->raw, n + 16)) {
				frame_fail(j, TARN_ENOMEM);
				return;
			}
			memcpy(j->raw.data, r->map + r->pos, n);
			memset(j->raw.data + n, 0, 16);
			j->raw.len = n;
		}
		struct blk b = { 0, r->pos, -1, 0, n, r->pos };
		if (add_blk(j, b)) {
			frame_fail(j, TARN_ENOMEM);
			return;
		}
		r->eof = true;
		return;
	}
	while (!r->eof && !r->stop) {
		int64_t count, size;
		size_t hdr;
		if (peek_block(r, j, &count, &size, &hdr))
			return;
		if (hdr == 0) {
			r->eof = true;
			break;
		}
		if (j->n_blks > 0 && (rows + count > r->batch_rows || bytes >= JOB_BYTES))
			break;
		struct blk b = { r->next_block, r->pos, count, 0, (size_t)size,
				 r->pos + (int64_t)hdr };
		if (r->map) {
			size_t at = (size_t)r->pos + hdr;
			if (r->map_len - at < (size_t)size + 16) {
				frame_fail(j, tarn_err_set(&j->ferr, TARN_EDATA,
							   "%s: block %lld (byte offset %lld): the file "
							   "ends inside the block (%lld bytes and a "
							   "16-byte sync marker needed, %zu left)",
							   r->name, (long long)r->next_block,
							   (long long)r->pos, (long long)size,
							   r->map_len - at));
				return;
			}
			b.data = at;
			if (memcmp(r->map + at + size, r->sync, 16) != 0) {
				frame_fail(j, tarn_err_set(&j->ferr, TARN_EDATA,
							   "%s: block %lld (byte offset %lld): sync "
							   "marker mismatch after the block (the file is "
							   "corrupt, or the block size is wrong)",
							   r->name, (long long)r->next_block,
							   (long long)r->pos));
				return;
			}
			r->pos = (int64_t)(at + (size_t)size + 16);
			j->map_end = (size_t)r->pos;
			tarn_input_set_consumed(r->in, r->pos);
		} else {
			uint8_t h[20];
			size_t got;
			if (read_full(r->in, h, hdr, &got, &j->ferr)) {
				frame_fail(j, j->ferr.rc);
				return;
			}
			/* Grow with the bytes that actually arrive, so a lying
			 * size costs no more memory than the input holds. */
			b.data = j->raw.len;
			size_t want = (size_t)size + 16;
			got = 0;
			while (got < want) {
				size_t step = want - got < (4u << 20) ? want - got : (4u << 20);
				if (tarn_buf_reserve(&j->raw, step)) {
					frame_fail(j, tarn_err_set(&j->ferr, TARN_ENOMEM,
								   "%s: out of memory for a block",
								   r->name));
					return;
				}
				size_t k;
				if (read_full(r->in, (uint8_t *)j->raw.data + j->raw.len, step, &k,
					      &j->ferr)) {
					frame_fail(j, j->ferr.rc);
					return;
				}
				j->raw.len += k;
				got += k;
				if (k < step)
					break;
			}
			j->raw.len = b.data; /* committed below once whole */
			uint8_t *dst = (uint8_t *)j->raw.data + b.data;
			if (got < (size_t)size + 16) {
				frame_fail(j, tarn_err_set(&j->ferr, TARN_EDATA,
							   "%s: block %lld (byte offset %lld): the file "
							   "ends inside the block (%lld bytes and a "
							   "16-byte sync marker needed, %zu left)",
							   r->name, (long long)r->next_block,
							   (long long)r->pos, (long long)size, got));
				return;
			}
			if (memcmp(dst + size, r->sync, 16) != 0) {
				frame_fail(j, tarn_err_set(&j->ferr, TARN_EDATA,
							   "%s: block %lld (byte offset %lld): sync "
							   "marker mismatch after the block (the file is "
							   "corrupt, or the block size is wrong)",
							   r->name, (long long)r->next_block,
							   (long long)r->pos));
				return;
			}
			j->raw.len += (size_t)size + 16;
			r->pos += (int64_t)hdr + size + 16;
		}
		if (add_blk(j, b)) {
			frame_fail(j, tarn_err_set(&j->ferr, TARN_ENOMEM, "%s: out of memory",
						   r->name));
			return;
		}
		r->next_block++;
		rows += count;
		bytes += (size_t)size;
	}
}

static void start_job(struct areader *r, struct job *j)
{
	j->active = false;
	if (r->eof || r->stop)
		return;
	j->first = r->next_block == 0;
	fill_job(r, j);
	if (j->n_blks == 0 && j->frame_rc == TARN_OK)
		return;
	j->active = true;
	j->task.fn = job_run;
	j->task.arg = j;
	tarn_pool_submit(&j->task);
}

/* ---- reader ops ---------------------------------------------------------------------------- */

static tarn_rc reader_next(struct tarn_reader *base, struct tarn_batch **out, struct tarn_err *err)
{
	struct areader *r = (struct areader *)base;
	*out = NULL;
	if (!r->started) {
		r->started = true;
		for (int i = 0; i < r->n_jobs; i++)
			start_job(r, &r->jobs[i]);
	}
	for (;;) {
		struct job *j = &r->jobs[r->head];
		if (!j->active)
			return TARN_OK;
		tarn_task_wait(&j->task);
		if (j->next_out < j->n_out) {
			*out = j->out[j->next_out];
			j->out[j->next_out++] = NULL;
			return TARN_OK;
		}
		if (j->rc) {
			tarn_rc rc = tarn_err_set(err, j->rc, "%s", j->err.msg[0] ? j->err.msg :
							 "out of memory");
			/* Everything after the error is dropped. */
			r->stop = true;
			for (int i = 0; i < r->n_jobs; i++) {
				struct job *o = &r->jobs[i];
				if (o->active)
					tarn_task_wait(&o->task);
				o->active = false;
			}
			return rc;
		}
		if (r->map && j->map_end)
			tarn_input_release(r->in, j->map_end);
		start_job(r, j);
		r->head = (r->head + 1) % r->n_jobs;
	}
}

static void reader_close(struct tarn_reader *base)
{
	struct areader *r = (struct areader *)base;
	for (int i = 0; i < r->n_jobs; i++) {
		struct job *j = &r->jobs[i];
		if (j->active)
			tarn_task_wait(&j->task);
		for (int k = j->next_out; k < j->n_out; k++)
			tarn_batch_free(j->out[k]);
		tarn_free(j->out);
		tarn_free(j->blks);
		tarn_free(j->slots);
		tarn_buf_free(&j->raw);
		tarn_buf_free(&j->plain);
	}
	avro_prog_free(r->pg);
	avro_schema_free(r->wschema);
	avro_schema_free(r->rschema);
	tarn_free(r);
}

static const struct tarn_reader_ops reader_ops = { .next = reader_next, .close = reader_close };

/* ---- open ---------------------------------------------------------------------------------- */

struct header {
	const uint8_t *schema;
	size_t schema_len;
	const uint8_t *codec;
	size_t codec_len;
	bool has_codec;
	uint8_t sync[16];
	size_t len;
};

/* Parses the header in p[0..n). *more: the bytes ran out before its end
 * (not an error unless the input is at its end). */
static tarn_rc parse_header(const uint8_t *p, size_t n, const char *name, struct header *h,
			    bool *more, struct tarn_err *err)
{
	memset(h, 0, sizeof *h);
	*more = false;
	const uint8_t *q = p + 4, *end = p + n;
	for (;;) {
		int64_t count;
		bool ok;
		q = avro_get_long_bounded(q, end, &count, &ok);
		if (!ok)
			goto short_or_bad;
		if (count == 0)
			break;
		if (count < 0) {
			int64_t sz;
			if (count == INT64_MIN)
				goto bad;
			count = -count;
			q = avro_get_long_bounded(q, end, &sz, &ok);
			if (!ok)
				goto short_or_bad;
		}
		if (count > (int64_t)MAX_HEADER)
			goto bad;
		for (int64_t i = 0; i < count; i++) {
			int64_t kl, vl;
			q = avro_get_long_bounded(q, end, &kl, &ok);
			if (!ok)
				goto short_or_bad;
			if (kl < 0 || kl > (int64_t)MAX_HEADER)
				goto bad;
			if ((size_t)(end - q) < (size_t)kl) {
				*more = true;
				return TARN_OK;
			}
			const uint8_t *key = q;
			q += kl;
			q = avro_get_long_bounded(q, end, &vl, &ok);
			if (!ok)
				goto short_or_bad;
			if (vl < 0 || vl > (int64_t)MAX_HEADER)
				goto bad;
			if ((size_t)(end - q) < (size_t)vl) {
				*more = true;
				return TARN_OK;
			}
			if (kl == 11 && memcmp(key, "avro.schema", 11) == 0) {
				h->schema = q;
				h->schema_len = (size_t)vl;
			} else if (kl == 10 && memcmp(key, "avro.codec", 10) == 0) {
				h->codec = q;
				h->codec_len = (size_t)vl;
				h->has_codec = true;
			}
			q += vl;
		}
	}
	if (end - q < 16) {
		*more = true;
		return TARN_OK;
	}
	memcpy(h->sync, q, 16);
	h->len = (size_t)(q + 16 - p);
	return TARN_OK;
short_or_bad:
	if (q >= end) {
		*more = true;
		return TARN_OK;
	}
bad:
	return tarn_err_set(err, TARN_EDATA,
			    "%s: the Avro file header is corrupt (bad metadata map at byte offset "
			    "%zu)",
			    name, (size_t)(q - p));
}

static tarn_rc parse_opts(struct areader *r, const struct tarn_opts *o, struct tarn_err *err)
{
	TRY(tarn_opts_int(o, "batch-rows", TARN_BATCH_ROWS, &r->batch_rows, err));
	if (r->batch_rows < 1 || r->batch_rows > (1 << 24))
		return tarn_err_set(err, TARN_EUSAGE, "option batch-rows: %lld is not in 1..16777216",
				    (long long)r->batch_rows);
	TRY(tarn_opts_size(o, "max-block-size", (int64_t)1 << 30, 1024, (int64_t)1 << 31, &r->max_block,
			  err));
	int64_t threads;
	TRY(tarn_opts_int(o, "threads", 0, &threads, err));
	if (threads < 0 || threads > 1024)
		return tarn_err_set(err, TARN_EUSAGE, "option threads: %lld is not in 0..1024",
				    (long long)threads);
	int n = threads ? (int)threads : tarn_pool_size();
	r->n_jobs = n <= 1 ? 1 : n + 1 > MAX_JOBS ? MAX_JOBS : n + 1;
	const char *path = tarn_opts_get(o, "schema");
	if (path && *path)
		TRY(avro_schema_load(path, &r->rschema, err));
	return TARN_OK;
}

/* Reads the header: from the map, or by peeking ever more of a stream. */
static tarn_rc read_header(struct areader *r, struct header *h, struct tarn_err *err)
{
	bool more;
	if (r->map) {
		TRY(parse_header(r->map, r->map_len, r->name, h, &more, err));
		if (more)
			return tarn_err_set(err, TARN_EDATA,
					    "%s: the file ends inside the Avro header (truncated)",
					    r->name);
		r->pos = (int64_t)h->len;
		return TARN_OK;
	}
	size_t want = 65536;
	for (;;) {
		const uint8_t *p;
		size_t n;
		TRY(tarn_input_peek(r->in, want, &p, &n, err));
		TRY(parse_header(p, n, r->name, h, &more, err));
		if (!more)
			break;
		if (n < want)
			return tarn_err_set(err, TARN_EDATA,
					    "%s: the file ends inside the Avro header (truncated)",
					    r->name);
		if (want >= MAX_HEADER)
			return tarn_err_set(err, TARN_ELIMIT, "%s: Avro header larger than %zu bytes",
					    r->name, MAX_HEADER);
		want *= 4;
		if (want > MAX_HEADER)
			want = MAX_HEADER;
	}
	/* Keep what the header points at before consuming it. */
	return TARN_OK;
}

static tarn_rc open_container(struct areader *r, struct tarn_err *err)
{
	struct header h;
	TRY(read_header(r, &h, err));
	if (!h.schema)
		return tarn_err_set(err, TARN_EDATA, "%s: the Avro header has no avro.schema", r->name);
	r->codec = AC_NULL;
	if (h.has_codec) {
		r->codec = avro_codec_parse((const char *)h.codec, h.codec_len, false);
		if (r->codec < 0)
			return tarn_err_set(err, TARN_EUNSUPPORTED,
					    "%s: codec '%.*s' is not supported (null, deflate, "
					    "snappy, zstandard, bzip2, xz are)",
					    r->name, (int)(h.codec_len > 64 ? 64 : h.codec_len),
					    (const char *)h.codec);
	}
	memcpy(r->sync, h.sync, 16);
	char what[600];
	snprintf(what, sizeof what, "%s: avro.schema", r->name);
	TRY(avro_schema_parse((const char *)h.schema, h.schema_len, what, &r->wschema, err));
	if (!r->map) {
		/* Consume the header now that its contents are copied. */
		uint8_t tmp[4096];
		size_t left = h.len;
		while (left) {
			size_t got;
			TRY(tarn_input_read(r->in, tmp, left < sizeof tmp ? left : sizeof tmp, &got,
					    err));
			if (got == 0)
				return tarn_err_set(err, TARN_EIO, "%s: input ended early", r->name);
			left -= got;
		}
		r->pos = (int64_t)h.len;
	}
	return TARN_OK;
}

tarn_rc avro_open_reader(struct tarn_input *in, const struct tarn_opts *opts,
			 struct tarn_reader **out, struct tarn_err *err)
{
	*out = NULL;
	struct areader *r = tarn_calloc(1, sizeof *r);
	if (!r)
		return tarn_err_nomem(err, "Avro reader");
	r->base.ops = &reader_ops;
	r->in = in;
	r->name = tarn_input_name(in);
	tarn_rc rc = TARN_OK;
	TRY_OUT(parse_opts(r, opts, err));
	r->map = tarn_input_mapped(in, &r->map_len);
	const uint8_t *p;
	size_t n;
	if (r->map) {
		p = r->map;
		n = r->map_len;
	} else {
		TRY_OUT(tarn_input_peek(in, 4, &p, &n, err));
	}
	if (n >= 4 && memcmp(p, "Obj\x01", 4) == 0) {
		TRY_OUT(open_container(r, err));
	} else if (n >= 2 && memcmp(p, single_magic, 2) == 0) {
		if (!r->rschema) {
			rc = tarn_err_set(err, TARN_EUSAGE,
					  "%s: single-object encoded Avro (C3 01) carries no schema; "
					  "give the writer's schema with -r schema=FILE.avsc",
					  r->name);
			goto out;
		}
		r->single = true;
		struct tarn_buf pcf;
		tarn_buf_init(&pcf);
		rc = avro_schema_canonical(r->rschema->root, &pcf);
		if (rc) {
			tarn_buf_free(&pcf);
			rc = tarn_err_nomem(err, "Avro schema");
			goto out;
		}
		r->fingerprint = avro_fingerprint64(pcf.data, pcf.len);
		tarn_buf_free(&pcf);
	} else {
		rc = tarn_err_set(err, TARN_EDATA,
				  "%s: not an Avro file (no 'Obj' 0x01 magic at the start)", r->name);
		goto out;
	}
	if (r->single) {
		TRY_OUT(avro_prog_build(r->rschema->root, NULL, r->name, &r->pg, err));
	} else if (r->rschema) {
		char what[600];
		snprintf(what, sizeof what, "%s read with schema %s", r->name,
			 tarn_opts_get(opts, "schema"));
		TRY_OUT(avro_prog_build(r->wschema->root, r->rschema->root, what, &r->pg, err));
	} else {
		TRY_OUT(avro_prog_build(r->wschema->root, NULL, r->name, &r->pg, err));
	}
	for (int i = 0; i < r->n_jobs; i++) {
		struct job *j = &r->jobs[i];
		j->r = r;
		tarn_buf_init(&j->raw);
		tarn_buf_init(&j->plain);
		j->slots = tarn_calloc((size_t)(r->pg->n_slots ? r->pg->n_slots : 1),
				       sizeof *j->slots);
		if (!j->slots) {
			rc = tarn_err_nomem(err, "Avro reader");
			goto out;
		}
	}
	r->base.schema = r->pg->schema;
	tarn_schema_ref(r->base.schema);
	*out = &r->base;
	return TARN_OK;
out:
	reader_close(&r->base);
	return rc;
}
