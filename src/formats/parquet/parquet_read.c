/*
 * parquet_read.c — the Parquet reader: footer, row groups, column chunks,
 * pages, levels and values, assembled into batches of Arrow-layout arrays.
 *
 * Design notes
 *  1. The file is addressed as one byte range: the input's mmap when it has
 *     one, else the whole input read into memory (stdin, compressed input).
 *     Every offset and length taken from the file is checked against that
 *     range before use; every size that drives an allocation is capped.
 *  2. A batch is a run of rows of one row group. For each leaf column a task
 *     on the pool (pool.h) reads that many rows: it walks the chunk's pages
 *     (CRC check, decompression), decodes definition and repetition levels
 *     into per-batch level arrays and the non-null values, densely, straight
 *     into the leaf's array. Columns decode in parallel; batch k+1 is decoded
 *     (prefetched) while the caller works on batch k.
 *  3. The same task then builds the arrays its leaf represents (pq_plan): the
 *     leaf itself (nulls spread in from the dense values, in place, backwards)
 *     and every struct/list/map above it whose first leaf it is (validity,
 *     offsets). No two tasks write the same array. The main thread checks the
 *     pieces agree (lengths), which catches files whose columns disagree.
 *  4. Column state (page cursor, dictionary, decoders) lives across batches
 *     of a row group; pages of v1 may split a row, which the row counting
 *     over repetition levels handles. That state, and the plan arrays being
 *     filled, belong to a lane (struct lane): up to one lane per worker
 *     (at most 4) decode different row groups at once, each with one batch
 *     in flight, so a one-column file with many row groups uses every core
 *     too. Batches are handed out from the lane on the earliest row group;
 *     a lane that finishes its row group takes the next one nobody has.
 *     An error is reported in its row group's turn, after every batch
 *     before it.
 *  5. Row selection (pq_reader_prune): row groups the statistics rule out
 *     are skipped; in the others a batch covers rows of one selected range
 *     (pq_prune_pages), and each column first passes over the rows since
 *     the previous batch (col_skip): with an OffsetIndex it jumps to the
 *     page holding the first wanted row, then decodes and drops the rows
 *     before it in that page.
 *
 * States of a reader: open (footer decoded, schema built, lanes made) →
 * first next(): every lane starts a job → per next(): [finish_job of the
 * earliest lane: wait, check, seal] → batch returned, that lane's next job
 * started → ... → all lanes idle: NULL.
 *
 * Thread-safety: one reader per thread; column tasks touch only their own
 * struct col and the arrays assigned to them (their lane's).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "base/err.h"
#include "base/pool.h"
#include "columnar/utf8.h"
#include "formats/parquet/parquet_int.h"

#define LOOK 4096                       /* levels decoded ahead per step */
#define TARGET_ENTRIES ((int64_t)1 << 20) /* level entries per column per batch */
#define PLAN_DEPTH 160                  /* deeper than any schema pq_schema_build accepts */

struct pq_reader;

struct lane;

struct col {
	struct pq_reader *r;
	struct lane *ln;
	const struct pq_leaf *lf;
	/* nodes this leaf builds, top-down (ends with the leaf itself) */
	int n_nodes;
	struct pq_plan **nodes;
	int16_t *min_def_for_rep; /* [max_rep + 1] */

	/* the chunk */
	int rg;
	const uint8_t *p, *end; /* page cursor within the chunk */
	int codec;
	int page_no;
	int64_t page_off;       /* file offset of the current page header */
	struct tarn_array *dict;
	/* the batch's definition levels are all max_def and def[] was left
	 * unwritten (top-level optional leaves only: build_leaf then needs no
	 * level pass) */
	bool def_full;
	uint8_t *pbuf;
	size_t pbuf_cap;

	/* the current data page */
	bool in_page;
	int64_t page_left;      /* level entries not yet decoded */
	bool def_msb, rep_msb;  /* deprecated BIT_PACKED levels */
	const uint8_t *def_raw, *rep_raw;
	size_t def_raw_len, rep_raw_len;
	int64_t msb_pos;
	struct pq_rle def_rle, rep_rle;
	struct pq_valdec *vd;

	/* levels decoded but not consumed */
	uint8_t def_look[LOOK], rep_look[LOOK];
	int look_pos, look_len;

	/* this batch */
	uint8_t *def, *rep;
	int64_t n, cap;
	int64_t rows;           /* rows wanted */
	int64_t per_row_values; /* previous batch: values per row, x1024 */
	int64_t per_row_bytes;  /* previous batch: string bytes per row, x1024 */
	bool chunk_started;

	/* row selection (pq_reader_prune) */
	int64_t skip;           /* rows to pass over before this batch's */
	int64_t row_pos;        /* rows of the chunk read or passed over */
	bool has_oi;            /* oi holds the chunk's OffsetIndex */
	struct pq_offset_index oi;
	struct tarn_array *skip_vals; /* values decoded and dropped */

	struct tarn_task task;
	struct tarn_err err;
	tarn_rc rc;
};

struct pq_reader {
	struct tarn_reader base;
	const char *name;
	const uint8_t *file;
	size_t file_len;
	uint8_t *owned;
	int64_t meta_start;   /* where the footer begins (column data must end here) */
	struct pq_file_meta meta;
	struct pq_schema sch;
	struct pq_read_opts o;
	struct lane *lanes;
	int n_lanes;
	int next_rg;          /* next row group no lane has taken */
	bool started;
	/* row selection (pq_reader_prune): row groups kept */
	const struct pq_leaf *sel_leaf;
	struct pq_bound sel_lo, sel_hi;
	bool *sel_rg;
	struct tarn_arena sel_arena; /* bounds, kept row groups */
	tarn_rc fail_rc;        /* an error already reported: sticky */
	struct tarn_err fail_err;
};

/* A lane decodes one row group at a time, batch after batch, into its own
 * column states and plan arrays; lanes work on different row groups at
 * once and their batches are handed out in row group order. */
struct lane {
	struct pq_reader *r;
	struct col *cols;
	struct pq_plan *fields; /* this lane's copy of the plans (their arr) */
	struct tarn_arena arena; /* the plan copies, column node lists */
	int rg;               /* row group being decoded, -1 when idle */
	int64_t rg_left;      /* rows of it (of the current range) not yet handed to a job */
	int64_t rg_next;      /* next row of the row group to hand out */
	int64_t rg_pos;       /* row after the last one handed out */
	int64_t batch_rows;   /* rows per batch for the current row group */
	int64_t rg_start;     /* file offset of its first column chunk */
	/* row selection: the row ranges of the current row group */
	struct pq_row_range *sel;
	int sel_n, sel_i;
	struct tarn_arena rg_arena; /* the current row group's indexes and ranges */
	struct tarn_batch *job; /* batch being decoded (prefetch), or NULL */
	int64_t job_rows;
	tarn_rc pend_rc;        /* error starting the job, reported in its turn */
	struct tarn_err pend_err;
};

static const struct tarn_reader_ops reader_ops;

/* ---- errors ------------------------------------------------------------------------- */

static tarn_rc col_fail(struct col *c, tarn_rc rc, const char *what)
{
	return tarn_err_set(&c->err, rc, "%s: row group %d, column '%s', page %d (byte offset %lld): %s",
			    c->r->name, c->rg, c->lf->path, c->page_no, (long long)c->page_off,
			    what);
}

/* ---- pages -------------------------------------------------------------------------- */

static tarn_rc pbuf_reserve(struct col *c, size_t n)
{
	if (n <= c->pbuf_cap)
		return TARN_OK;
	size_t cap = c->pbuf_cap ? c->pbuf_cap : 4096;
	while (cap < n)
		cap *= 2;
	uint8_t *p = tarn_malloc(cap);
	if (!p)
		return col_fail(c, TARN_ENOMEM, "out of memory for a page");
	tarn_free(c->pbuf);
	c->pbuf = p;
	c->pbuf_cap = cap;
	return TARN_OK;
}

/* Cheap plausibility checks of a claimed decompressed size before the
 * buffer for it is allocated. */
static bool size_plausible(int codec, size_t src_len, size_t dst_len)
{
	switch (codec) {
	case PQ_UNCOMPRESSED: return src_len == dst_len;
	case PQ_GZIP: return dst_len / 1100 <= src_len + 64;
	case PQ_LZ4_RAW:
	case PQ_LZ4: return dst_len / 256 <= src_len + 64;
	case PQ_SNAPPY: return dst_len / 8 <= src_len * 4 + 64; /* snappy ratio < 24 in practice */
	default: return true;
	}
}

/* Decompresses src (src_len) into c->pbuf, exactly dst_len bytes. */
static tarn_rc inflate_into(struct col *c, const uint8_t *src, size_t src_len, size_t dst_len,
			    const uint8_t **out)
{
	if (c->codec == PQ_UNCOMPRESSED) {
		if (src_len != dst_len)
			return col_fail(c, TARN_EDATA,
					"uncompressed page size differs from its stored size");
		*out = src;
		return TARN_OK;
	}
	if (!pq_codec_supported(c->codec)) {
		char m[96];
		snprintf(m, sizeof m, "compression codec %s is not supported",
			 pq_codec_name(c->codec));
		return col_fail(c, TARN_EUNSUPPORTED, m);
	}
	if (dst_len > (size_t)c->r->o.max_page) {
		char m[160];
		snprintf(m, sizeof m, "page of %zu bytes is larger than max-page-size (%lld)",
			 dst_len, (long long)c->r->o.max_page);
		return col_fail(c, TARN_ELIMIT, m);
	}
	if (!size_plausible(c->codec, src_len, dst_len))
		return col_fail(c, TARN_EDATA, "implausible uncompressed page size");
	TRY(pbuf_reserve(c, dst_len ? dst_len : 1));
	const char *why;
	tarn_rc rc = pq_decompress(c->codec, src, src_len, c->pbuf, dst_len, &why);
	if (rc)
		return col_fail(c, rc, why);
	*out = c->pbuf;
	return TARN_OK;
}

/* Sets up a level stream of a v1 page: RLE with a 4-byte length, or the
 * deprecated BIT_PACKED. Advances *p past it. */
static tarn_rc v1_levels(struct col *c, int enc, int max, int64_t num_values, const uint8_t **p,
			 const uint8_t *end, struct pq_rle *rle, bool *msb, const uint8_t **raw,
			 size_t *raw_len)
{
	int bw = pq_bit_width((uint64_t)max);
	if (enc == PQ_ENC_RLE) {
		if (end - *p < 4)
			return col_fail(c, TARN_EDATA, "truncated level data");
		uint32_t len;
		memcpy(&len, *p, 4);
		*p += 4;
		if (len > (size_t)(end - *p))
			return col_fail(c, TARN_EDATA, "level data length runs past the page");
		pq_rle_init(rle, *p, len, bw);
		*msb = false;
		*p += len;
		return TARN_OK;
	}
	if (enc == PQ_ENC_BIT_PACKED) {
		uint64_t len = ((uint64_t)num_values * (uint64_t)bw + 7) / 8;
		if (len > (uint64_t)(end - *p))
			return col_fail(c, TARN_EDATA, "BIT_PACKED levels run past the page");
		*msb = true;
		*raw = *p;
		*raw_len = (size_t)len;
		*p += len;
		return TARN_OK;
	}
	return col_fail(c, TARN_EUNSUPPORTED, "unsupported level encoding");
}

/* Loads the next data page (reading a dictionary page on the way).
 * *eof = no more pages in the chunk. */
static tarn_rc next_page(struct col *c, bool *eof)
{
	struct pq_reader *r = c->r;
	const struct pq_leaf *lf = c->lf;
	*eof = false;
	c->in_page = false;
	for (;;) {
		if (c->p >= c->end) {
			*eof = true;
			return TARN_OK;
		}
		c->page_off = c->p - r->file;
		c->page_no++;
		struct pq_page_header h;
		size_t used;
		const char *why;
		if (pq_page_header_decode(c->p, (size_t)(r->file + r->meta_start - c->p), &h, &used,
					  &why)) {
			char m[160];
			snprintf(m, sizeof m, "corrupt page header: %s", why);
			return col_fail(c, TARN_EDATA, m);
		}
		const uint8_t *body = c->p + used;
		/* A page may run past the chunk's recorded size (some writers get
		 * total_compressed_size wrong, as in nation.dict-malformed) but
		 * never into the footer. */
		const uint8_t *limit = r->file + r->meta_start;
		if (h.compressed_size < 0 || h.uncompressed_size < 0 ||
		    (size_t)h.compressed_size > (size_t)(limit - body))
			return col_fail(c, TARN_EDATA, "page size runs past the data section");
		c->p = body + h.compressed_size;
		if (h.has_crc && r->o.verify_crc) {
			uint32_t crc = (uint32_t)crc32(0L, body, (uInt)h.compressed_size);
			if (crc != h.crc)
				return col_fail(c, TARN_EDATA,
						"page checksum (CRC-32) mismatch: the page is corrupt");
		}
		if (h.type == PQ_DICTIONARY_PAGE) {
			if (c->dict)
				return col_fail(c, TARN_EDATA, "more than one dictionary page");
			if (!h.has_body)
				return col_fail(c, TARN_EDATA, "dictionary page without its header");
			if (h.dict_encoding != PQ_ENC_PLAIN &&
			    h.dict_encoding != PQ_ENC_PLAIN_DICTIONARY)
				return col_fail(c, TARN_EUNSUPPORTED,
						"dictionary page in an encoding other than PLAIN");
			const uint8_t *d;
			TRY(inflate_into(c, body, (size_t)h.compressed_size,
					 (size_t)h.uncompressed_size, &d));
			tarn_rc rc = pq_dict_decode(lf, d, (size_t)h.uncompressed_size,
						    h.dict_num_values, &c->dict, &why);
			if (rc)
				return col_fail(c, rc, why);
			continue;
		}
		if (h.type != PQ_DATA_PAGE && h.type != PQ_DATA_PAGE_V2)
			continue; /* index pages and unknown kinds are skipped */
		if (!h.has_body)
			return col_fail(c, TARN_EDATA, "data page without its header");
		if (h.num_values < 0)
			return col_fail(c, TARN_EDATA, "negative value count in a data page");
		const uint8_t *vals, *vend;
		if (h.type == PQ_DATA_PAGE) {
			const uint8_t *d;
			TRY(inflate_into(c, body, (size_t)h.compressed_size,
					 (size_t)h.uncompressed_size, &d));
			const uint8_t *p = d, *end = d + h.uncompressed_size;
			if (lf->max_rep > 0)
				TRY(v1_levels(c, h.rep_encoding, lf->max_rep, h.num_values, &p, end,
					      &c->rep_rle, &c->rep_msb, &c->rep_raw,
					      &c->rep_raw_len));
			if (lf->max_def > 0)
				TRY(v1_levels(c, h.def_encoding, lf->max_def, h.num_values, &p, end,
					      &c->def_rle, &c->def_msb, &c->def_raw,
					      &c->def_raw_len));
			vals = p;
			vend = end;
		} else {
			if (h.rep_len < 0 || h.def_len < 0 ||
			    (int64_t)h.rep_len + h.def_len > h.compressed_size ||
			    (int64_t)h.rep_len + h.def_len > h.uncompressed_size)
				return col_fail(c, TARN_EDATA,
						"level lengths of a v2 page run past the page");
			const uint8_t *p = body;
			c->rep_msb = c->def_msb = false;
			if (lf->max_rep > 0)
				pq_rle_init(&c->rep_rle, p, (size_t)h.rep_len,
					    pq_bit_width((uint64_t)lf->max_rep));
			p += h.rep_len;
			if (lf->max_def > 0)
				pq_rle_init(&c->def_rle, p, (size_t)h.def_len,
					    pq_bit_width((uint64_t)lf->max_def));
			p += h.def_len;
			size_t clen = (size_t)h.compressed_size - (size_t)(h.rep_len + h.def_len);
			size_t ulen = (size_t)h.uncompressed_size - (size_t)(h.rep_len + h.def_len);
			if (h.is_compressed && c->codec != PQ_UNCOMPRESSED && !(clen == 0 && ulen == 0)) {
				TRY(inflate_into(c, p, clen, ulen, &vals));
				vend = vals + ulen;
			} else {
				if (clen != ulen)
					return col_fail(c, TARN_EDATA,
							"uncompressed v2 page sizes disagree");
				vals = p;
				vend = p + clen;
			}
		}
		c->msb_pos = 0;
		if (pq_valdec_init(c->vd, lf, h.encoding, vals, (size_t)(vend - vals), c->dict)) {
			bool known = h.encoding == PQ_ENC_PLAIN ||
				     (h.encoding >= PQ_ENC_PLAIN_DICTIONARY &&
				      h.encoding <= PQ_ENC_BYTE_STREAM_SPLIT);
			char m[160];
			snprintf(m, sizeof m, "%s (encoding %s)", c->vd->why,
				 pq_encoding_name(h.encoding));
			return col_fail(c, known ? TARN_EDATA : TARN_EUNSUPPORTED, m);
		}
		c->page_left = h.num_values;
		c->look_pos = c->look_len = 0;
		if (h.num_values == 0)
			continue;
		c->in_page = true;
		return TARN_OK;
	}
}

/* Decodes up to LOOK more levels of the page into the look buffers. */
static tarn_rc fill_look(struct col *c)
{
	const struct pq_leaf *lf = c->lf;
	int64_t m = c->page_left < LOOK ? c->page_left : LOOK;
	if (lf->max_rep > 0) {
		int64_t got = c->rep_msb ? pq_bitpacked_msb_get_u8(c->rep_raw, c->rep_raw_len,
								    pq_bit_width((uint64_t)lf->max_rep),
								    c->msb_pos, c->rep_look, m)
					 : pq_rle_get_u8(&c->rep_rle, c->rep_look, m);
		if (got < m)
			return col_fail(c, TARN_EDATA,
					"fewer repetition levels than the page's value count");
	}
	if (lf->max_def > 0) {
		int64_t got = c->def_msb ? pq_bitpacked_msb_get_u8(c->def_raw, c->def_raw_len,
								    pq_bit_width((uint64_t)lf->max_def),
								    c->msb_pos, c->def_look, m)
					 : pq_rle_get_u8(&c->def_rle, c->def_look, m);
		if (got < m)
			return col_fail(c, TARN_EDATA,
					"fewer definition levels than the page's value count");
	}
	c->msb_pos += m;
	c->page_left -= m;
	c->look_pos = 0;
	c->look_len = (int)m;
	return TARN_OK;
}

static tarn_rc levels_reserve(struct col *c, int64_t more)
{
	int64_t need = c->n + more;
	if (need <= c->cap)
		return TARN_OK;
	if (need > c->r->o.max_values) {
		char m[160];
		snprintf(m, sizeof m, "more than max-batch-values (%lld) values in one batch of rows",
			 (long long)c->r->o.max_values);
		return col_fail(c, TARN_ELIMIT, m);
	}
	int64_t cap = c->cap ? c->cap : 1024;
	while (cap < need)
		cap *= 2;
	const struct pq_leaf *lf = c->lf;
	if (lf->max_def > 0) {
		uint8_t *d = tarn_realloc(c->def, (size_t)cap);
		if (!d)
			return col_fail(c, TARN_ENOMEM, "out of memory for levels");
		c->def = d;
	}
	if (lf->max_rep > 0) {
		uint8_t *d = tarn_realloc(c->rep, (size_t)cap);
		if (!d)
			return col_fail(c, TARN_ENOMEM, "out of memory for levels");
		c->rep = d;
	}
	c->cap = cap;
	return TARN_OK;
}

/* Consumes k entries of the look buffers: copies their levels into the
 * batch, validates them, decodes their values. */
static tarn_rc take(struct col *c, int64_t k, struct tarn_array *vals)
{
	const struct pq_leaf *lf = c->lf;
	TRY(levels_reserve(c, k));
	int64_t nvals = k;
	if (lf->max_def > 0) {
		const uint8_t *d = c->def_look + c->look_pos;
		uint8_t mx = 0;
		int64_t cnt = 0, i = 0;
		const uint8_t md = (uint8_t)lf->max_def;
		/* the common case, no nulls: eight levels at a time */
		const uint64_t all = 0x0101010101010101ull * md;
		for (uint64_t w; i + 8 <= k; i += 8) {
			memcpy(&w, d + i, 8);
			if (w != all)
				break;
		}
		cnt = i;
		mx = i ? md : 0;
		for (; i < k; i++) {
			mx = d[i] > mx ? d[i] : mx;
			cnt += d[i] == md;
		}
		if (mx > md)
			return col_fail(c, TARN_EDATA, "definition level above the column's maximum");
		if (!c->def_full || cnt != k) {
			if (c->def_full)
				memset(c->def, md, (size_t)c->n);
			c->def_full = false;
			memcpy(c->def + c->n, d, (size_t)k);
		}
		nvals = cnt;
	}
	if (lf->max_rep > 0) {
		const uint8_t *rp = c->rep_look + c->look_pos;
		const uint8_t *d = c->def_look + c->look_pos;
		for (int64_t i = 0; i < k; i++) {
			if (rp[i] > lf->max_rep)
				return col_fail(c, TARN_EDATA,
						"repetition level above the column's maximum");
			if (d[i] < c->min_def_for_rep[rp[i]])
				return col_fail(c, TARN_EDATA,
						"repetition level inconsistent with its definition "
						"level");
		}
		memcpy(c->rep + c->n, rp, (size_t)k);
	}
	c->n += k;
	c->look_pos += (int)k;
	if (nvals > 0) {
		tarn_rc rc = pq_valdec_read(c->vd, vals, nvals);
		if (rc)
			return col_fail(c, rc, c->vd->why ? c->vd->why : "bad values");
	}
	return TARN_OK;
}

/* Reads c->rows rows of the chunk into the batch (levels + dense values). */
static tarn_rc col_read(struct col *c, struct tarn_array *vals)
{
	const struct pq_leaf *lf = c->lf;
	bool nested = lf->max_rep > 0;
	int64_t rows_done = 0;
	c->n = 0;
	c->def_full = lf->max_def > 0 && lf->max_rep == 0 && c->n_nodes == 1;
	for (;;) {
		if (c->look_pos >= c->look_len) {
			if (!nested && rows_done == c->rows)
				break;
			if (!c->in_page || c->page_left == 0) {
				bool eof;
				TRY(next_page(c, &eof));
				if (eof)
					break;
			}
			TRY(fill_look(c));
			if (c->page_left == 0)
				c->in_page = false;
			continue;
		}
		int64_t avail = c->look_len - c->look_pos;
		if (!nested) {
			if (rows_done == c->rows)
				break;
			int64_t k = c->rows - rows_done < avail ? c->rows - rows_done : avail;
			TRY(take(c, k, vals));
			rows_done += k;
			continue;
		}
		const uint8_t *rp = c->rep_look + c->look_pos;
		if (!c->chunk_started) {
			if (rp[0] != 0)
				return col_fail(c, TARN_EDATA,
						"repetition levels do not start at 0 (a row begins "
						"in the middle)");
			c->chunk_started = true;
		}
		int64_t k = 0;
		bool stop = false;
		for (; k < avail; k++) {
			if (rp[k] == 0) {
				if (rows_done == c->rows) {
					stop = true;
					break;
				}
				rows_done++;
			}
		}
		if (k > 0)
			TRY(take(c, k, vals));
		if (stop)
			break;
	}
	if (rows_done < c->rows) {
		char m[160];
		snprintf(m, sizeof m, "the column has fewer rows than its row group (%lld of %lld in this batch)",
			 (long long)rows_done, (long long)c->rows);
		return col_fail(c, TARN_EDATA, m);
	}
	return TARN_OK;
}

/* ---- assembly ------------------------------------------------------------------------ */

static tarn_rc set_validity(struct col *c, struct tarn_array *a, int64_t n_slots,
			    const uint8_t *valid_bytes, int64_t nulls)
{
	a->null_count = nulls;
	if (nulls == 0)
		return TARN_OK;
	size_t nb = (size_t)((n_slots + 7) / 8);
	uint8_t *v = tarn_alloc_aligned(nb ? nb : 1);
	if (!v)
		return col_fail(c, TARN_ENOMEM, "out of memory for validity");
	memset(v, 0, nb ? nb : 1);
	for (int64_t i = 0; i < n_slots; i++)
		v[i >> 3] |= (uint8_t)(valid_bytes[i] << (i & 7));
	tarn_free_aligned(a->validity);
	a->validity = v;
	return TARN_OK;
}

/* Builds a struct or list node from this column's levels. */
static tarn_rc build_node(struct col *c, struct pq_plan *p, uint8_t *scratch)
{
	struct tarn_array *a = p->arr;
	const uint8_t *def = c->def, *rep = c->rep;
	const int64_t n = c->n;
	const int rs = p->rep_slot, ds = p->def_slot, dv = p->def_valid;
	int64_t slots = 0, nulls = 0;
	if (p->kind == PQ_PLAN_STRUCT) {
		for (int64_t e = 0; e < n; e++) {
			int d = def ? def[e] : 0, r = rep ? rep[e] : 0;
			if (r <= rs && d >= ds) {
				bool ok = d >= dv;
				scratch[slots++] = ok;
				nulls += !ok;
			}
		}
		if (tarn_array_reserve(a, slots))
			return col_fail(c, TARN_ENOMEM, "out of memory for a struct");
		a->length = slots;
		return set_validity(c, a, slots, scratch, nulls);
	}
	/* list / map: offsets count the items (the child's slots) per slot */
	const struct pq_plan *ch = &p->children[0];
	const int ri = ch->rep_slot, di = ch->def_slot;
	for (int64_t e = 0; e < n; e++) {
		int d = def[e], r = rep[e];
		if (r <= rs && d >= ds)
			slots++;
	}
	if (tarn_array_reserve(a, slots))
		return col_fail(c, TARN_ENOMEM, "out of memory for a list");
	int32_t *off = a->offsets;
	int64_t cur = -1, items = 0;
	off[0] = 0;
	for (int64_t e = 0; e < n; e++) {
		int d = def[e], r = rep[e];
		if (r <= rs && d >= ds) {
			if (cur >= 0)
				off[cur + 1] = (int32_t)items;
			cur++;
			bool ok = d >= dv;
			scratch[cur] = ok;
			nulls += !ok;
		}
		if (r <= ri && d >= di) {
			if (cur < 0)
				return col_fail(c, TARN_EDATA, "list item before any list");
			if (++items > INT32_MAX)
				return col_fail(c, TARN_ELIMIT, "more than 2^31 list items in a batch");
		}
	}
	if (cur >= 0)
		off[cur + 1] = (int32_t)items;
	a->length = slots;
	return set_validity(c, a, slots, scratch, nulls);
}

/* Spreads the dense values of the leaf over its slots (in place, from the
 * back) and sets its validity. */
static tarn_rc build_leaf(struct col *c, struct pq_plan *p, uint8_t *scratch)
{
	struct tarn_array *a = p->arr;
	const struct pq_leaf *lf = c->lf;
	const uint8_t *def = c->def, *rep = c->rep;
	const int64_t n = c->n;
	const int rs = p->rep_slot, ds = p->def_slot;
	const int md = lf->max_def;
	int64_t nvals = a->length;
	int64_t slots = 0, nulls = 0;
	if (!def) {
		/* required, unnested: every entry is a value */
		return TARN_OK;
	}
	if (c->def_full) {
		slots = n; /* every entry a value (take) */
	} else if (!rep) {
		slots = n;
		for (int64_t e = 0; e < n; e++) {
			bool ok = def[e] == md;
			scratch[e] = ok;
			nulls += !ok;
		}
	} else {
		for (int64_t e = 0; e < n; e++) {
			int d = def[e], r = rep[e];
			if (r <= rs && d >= ds) {
				bool ok = d == md;
				scratch[slots++] = ok;
				nulls += !ok;
			}
		}
	}
	if (slots - nulls != nvals)
		return col_fail(c, TARN_EDATA, "value count does not match the levels");
	if (a->type->id == TARN_T_NULL) {
		a->length = slots;
		a->null_count = slots;
		return TARN_OK;
	}
	if (nulls == 0)
		return TARN_OK;
	if (tarn_array_reserve(a, slots - nvals))
		return col_fail(c, TARN_ENOMEM, "out of memory for values");
	enum tarn_type_id id = a->type->id;
	int64_t j = nvals;
	if (id == TARN_T_STRING || id == TARN_T_BINARY) {
		int32_t *off = a->offsets;
		off[slots] = off[nvals];
		for (int64_t i = slots; i-- > 0;) {
			if (scratch[i])
				j--;
			off[i] = scratch[i] ? off[j] : off[i + 1];
		}
	} else if (id == TARN_T_BOOL) {
		uint8_t *v = a->values;
		for (int64_t i = slots; i-- > 0;) {
			bool b = false;
			if (scratch[i])
				b = tarn_bit_get(v, --j);
			tarn_bit_set(v, i, b);
		}
	} else {
		int w = tarn_type_width(id);
		uint8_t *v = a->values;
		switch (w) {
#define SPREAD(T)                                                     \
	for (int64_t i = slots; i-- > 0;) {                           \
		if (scratch[i])                                       \
			((T *)v)[i] = ((T *)v)[--j];                  \
		else                                                  \
			((T *)v)[i] = 0;                              \
	}                                                             \
	break;
		case 1: SPREAD(uint8_t)
		case 2: SPREAD(uint16_t)
		case 4: SPREAD(uint32_t)
		case 8: SPREAD(uint64_t)
#undef SPREAD
		default:
			for (int64_t i = slots; i-- > 0;) {
				if (scratch[i])
					memmove(v + i * w, v + (--j) * w, (size_t)w);
				else
					memset(v + i * w, 0, (size_t)w);
			}
			break;
		}
	}
	a->length = slots;
	return set_validity(c, a, slots, scratch, nulls);
}

/* STRING values must be UTF-8. Checked over the batch's bytes at once: the
 * concatenation is valid and no value starts with a continuation byte iff
 * every value is valid on its own. */
static tarn_rc check_utf8(struct col *c, const struct tarn_array *a)
{
	size_t bad;
	bool ok = tarn_utf8_valid(a->values, (size_t)a->values_len, &bad);
	for (int64_t i = 0; ok && i < a->length; i++) {
		int32_t s = a->offsets[i];
		if (a->offsets[i + 1] > s && (a->values[s] & 0xc0) == 0x80) {
			ok = false;
			bad = (size_t)s;
		}
	}
	if (ok)
		return TARN_OK;
	char m[160];
	snprintf(m, sizeof m, "invalid UTF-8 in a string value (at byte %zu of the batch's strings)",
		 bad);
	return col_fail(c, TARN_EDATA, m);
}

/* Passes over k rows of the chunk: with an OffsetIndex, pages wholly
 * before the target row are not read at all (pages start at rows there);
 * the rest are decoded into a scratch array and dropped. */
static tarn_rc col_skip(struct col *c, int64_t k)
{
	struct pq_reader *r = c->r;
	int64_t target = c->row_pos + k;
	if (c->has_oi) {
		int lo = 0, hi = c->oi.n - 1; /* last page with first_row <= target */
		while (lo < hi) {
			int mid = lo + (hi - lo + 1) / 2;
			if (c->oi.locs[mid].first_row <= target)
				lo = mid;
			else
				hi = mid - 1;
		}
		const struct pq_page_loc *pl = &c->oi.locs[lo];
		if (pl->first_row > c->row_pos) {
			if (c->page_no == 0) {
				/* Not started: read up to the first data page, so a
				 * dictionary page is loaded. */
				bool eof;
				TRY(next_page(c, &eof));
			}
			c->p = r->file + pl->offset;
			c->in_page = false;
			c->page_left = 0;
			c->look_pos = c->look_len = 0;
			c->page_no = lo + (c->dict ? 1 : 0);
			c->row_pos = pl->first_row;
			/* the page must start a row: checked as at a chunk start */
			c->chunk_started = false;
		}
	}
	if (target > c->row_pos) {
		if (!c->skip_vals && tarn_array_new(c->lf->type, 0, &c->skip_vals))
			return col_fail(c, TARN_ENOMEM, "out of memory");
		tarn_array_reset(c->skip_vals);
		int64_t want = c->rows;
		c->rows = target - c->row_pos;
		tarn_rc rc = col_read(c, c->skip_vals);
		c->rows = want;
		c->n = 0;
		TRY(rc);
	}
	c->row_pos = target;
	return TARN_OK;
}

static tarn_rc col_run(struct col *c)
{
	const struct pq_leaf *lf = c->lf;
	struct pq_plan *leaf_plan = c->nodes[c->n_nodes - 1];
	struct tarn_array *vals = leaf_plan->arr;
	/* Room for the batch up front, sized from the previous batch, so the
	 * arrays are not grown (and copied) value by value. */
	int64_t want = lf->max_rep == 0 ? c->rows : c->rows * c->per_row_values / 1024 + 64;
	if (vals->type->id != TARN_T_NULL && tarn_array_reserve(vals, want))
		return col_fail(c, TARN_ENOMEM, "out of memory for values");
	if (vals->type->id == TARN_T_STRING || vals->type->id == TARN_T_BINARY) {
		/* Always some byte buffer, even for only empty strings, so
		 * consumers can index values + offset. */
		int64_t bytes = c->rows * c->per_row_bytes / 1024 + 1024;
		if (bytes < TARN_ARRAY_MAX_BYTES && tarn_array_reserve_bytes(vals, bytes))
			return col_fail(c, TARN_ENOMEM, "out of memory for values");
	}
	if (c->skip > 0)
		TRY(col_skip(c, c->skip));
	TRY(col_read(c, vals));
	c->row_pos += c->rows;
	if (vals->type->id == TARN_T_STRING && lf->conv == PQ_CV_BYTES)
		TRY(check_utf8(c, vals));
	if (c->rows > 0) {
		/* Per-row averages in 1/1024ths, with 10% headroom. */
		c->per_row_values = vals->length * 1126 / c->rows;
		c->per_row_bytes = vals->values_len * 1126 / c->rows;
	}
	if (lf->max_def == 0 && lf->max_rep == 0) {
		/* Required all the way down: every entry is a slot of every
		 * node, all valid. */
		for (int i = 0; i < c->n_nodes; i++) {
			struct tarn_array *a = c->nodes[i]->arr;
			if (c->nodes[i]->kind == PQ_PLAN_STRUCT) {
				if (tarn_array_reserve(a, c->n))
					return col_fail(c, TARN_ENOMEM, "out of memory for a struct");
				a->length = c->n;
			}
		}
		return TARN_OK;
	}
	uint8_t *scratch = tarn_malloc((size_t)(c->n ? c->n : 1));
	if (!scratch)
		return col_fail(c, TARN_ENOMEM, "out of memory");
	tarn_rc rc = TARN_OK;
	for (int i = 0; i < c->n_nodes && rc == TARN_OK; i++) {
		struct pq_plan *p = c->nodes[i];
		rc = p->kind == PQ_PLAN_LEAF ? build_leaf(c, p, scratch) : build_node(c, p, scratch);
	}
	tarn_free(scratch);
	return rc;
}

static void col_task(void *arg)
{
	struct col *c = arg;
	c->rc = col_run(c);
}

/* ---- row groups and jobs ---------------------------------------------------------------- */

/* The selected row ranges of row group g (pq_prune_pages), and each
 * column's OffsetIndex to seek with. */
static tarn_rc select_rows(struct lane *ln, int g)
{
	struct pq_reader *r = ln->r;
	const struct pq_row_group *rg = &r->meta.row_groups[g];
	tarn_arena_free(&ln->rg_arena);
	tarn_arena_init(&ln->rg_arena, 0);
	const char *why = NULL;
	for (int i = 0; i < r->sch.n_leaves; i++) {
		struct col *c = &ln->cols[i];
		tarn_rc rc = pq_chunk_offset_index(r->file, (size_t)r->meta_start, rg, c->lf->index,
						   &ln->rg_arena, &c->oi, &c->has_oi, &why);
		if (rc) {
			char m[200];
			snprintf(m, sizeof m, "%s", rc == TARN_ENOMEM ? "out of memory" : why);
			return col_fail(c, rc, m);
		}
	}
	tarn_rc rc = pq_prune_pages(r->file, (size_t)r->meta_start, &r->meta, g, r->sel_leaf,
				    &r->sel_lo, &r->sel_hi, &ln->rg_arena, &ln->sel, &ln->sel_n, &why);
	if (rc) {
		for (int i = 0; i < r->sch.n_leaves; i++)
			if (r->sch.leaves[i].index == r->sel_leaf->index)
				return col_fail(&ln->cols[i], rc,
						rc == TARN_ENOMEM ? "out of memory" : why);
		return rc;
	}
	ln->sel_i = 0;
	ln->rg_left = ln->sel_n ? ln->sel[0].end - ln->sel[0].first : 0;
	ln->rg_next = ln->sel_n ? ln->sel[0].first : 0;
	return TARN_OK;
}

static tarn_rc start_row_group(struct lane *ln, int g)
{
	struct pq_reader *r = ln->r;
	const struct pq_row_group *rg = &r->meta.row_groups[g];
	int64_t max_ratio = 1;
	for (int i = 0; i < r->sch.n_leaves; i++) {
		struct col *c = &ln->cols[i];
		const struct pq_leaf *lf = c->lf;
		const struct pq_column_chunk *cc = &rg->columns[lf->index];
		const struct pq_column_meta *cm = &cc->meta;
		tarn_array_free(c->dict);
		c->dict = NULL;
		c->rg = g;
		c->page_no = 0;
		c->in_page = false;
		c->look_pos = c->look_len = 0;
		c->page_left = 0;
		c->chunk_started = false;
		c->row_pos = 0;
		c->skip = 0;
		c->has_oi = false;
		c->codec = cm->codec;
		c->page_off = cm->data_page_offset;
		if (cc->file_path)
			return col_fail(c, TARN_EUNSUPPORTED,
					"column data in another file (file_path) is not supported");
		if (cm->type != lf->phys)
			return col_fail(c, TARN_EDATA,
					"column chunk's physical type differs from the schema's");
		/* The chunk starts at its dictionary page when it has one; some
		 * writers store 0 there by mistake, so only a plausible offset is
		 * believed. */
		int64_t start = cm->data_page_offset;
		if (cm->dictionary_page_offset > 0 && cm->dictionary_page_offset < start)
			start = cm->dictionary_page_offset;
		int64_t len = cm->total_compressed_size;
		if (start < 4 || start >= r->meta_start || len < 0)
			return col_fail(c, TARN_EDATA, "column chunk offset outside the file");
		if (len > r->meta_start - start)
			return col_fail(c, TARN_EDATA, "column chunk runs past the data section");
		c->p = r->file + start;
		c->end = c->p + len;
		if (rg->num_rows > 0 && cm->num_values > 0) {
			int64_t ratio = cm->num_values / rg->num_rows + 1;
			if (ratio > max_ratio)
				max_ratio = ratio;
		}
	}
	/* Bytes before this row group's first chunk are done with: a file
	 * mapping may drop them (resident memory stays flat on big files;
	 * everything decoded from them was copied). */
	ln->rg = g;
	ln->rg_start = r->meta_start;
	for (int i = 0; i < r->sch.n_leaves; i++) {
		int64_t at = ln->cols[i].p - r->file;
		ln->rg_start = at < ln->rg_start ? at : ln->rg_start;
	}
	if (!r->owned && r->base.in) {
		/* Below every active lane's row group (others may still be on
		 * earlier ones; their column cursors belong to their tasks). */
		int64_t lo = r->meta_start;
		for (int k = 0; k < r->n_lanes; k++)
			if (r->lanes[k].rg >= 0 && r->lanes[k].rg_start < lo)
				lo = r->lanes[k].rg_start;
		tarn_input_release(r->base.in, (size_t)lo);
	}
	int64_t rows = r->o.batch_rows;
	if (max_ratio > 1) {
		int64_t adapt = TARGET_ENTRIES / max_ratio;
		if (adapt < 1)
			adapt = 1;
		if (adapt < rows)
			rows = adapt;
	}
	ln->batch_rows = rows;
	ln->rg_left = rg->num_rows;
	ln->rg_next = ln->rg_pos = 0;
	ln->sel_n = 0;
	if (r->sel_leaf)
		TRY(select_rows(ln, g));
	return TARN_OK;
}

static tarn_rc bind_arrays(struct pq_plan *p, struct tarn_array *a)
{
	p->arr = a;
	for (int i = 0; i < p->n_children; i++)
		TRY(bind_arrays(&p->children[i], a->children[i]));
	return TARN_OK;
}

/* Starts decoding the lane's next batch on the pool: the next rows of its
 * row group, else the next row group no lane has taken; the lane goes idle
 * (rg -1, no job) when there is none. */
static tarn_rc start_job(struct lane *ln, struct tarn_err *err)
{
	struct pq_reader *r = ln->r;
	while (ln->rg_left <= 0) {
		if (r->sel_leaf && ln->rg >= 0 && ln->sel_i + 1 < ln->sel_n) {
			/* the next selected range of this row group */
			ln->sel_i++;
			ln->rg_next = ln->sel[ln->sel_i].first;
			ln->rg_left = ln->sel[ln->sel_i].end - ln->rg_next;
			continue;
		}
		ln->rg = -1;
		int g = r->next_rg;
		if (g >= r->meta.n_row_groups)
			return TARN_OK;
		r->next_rg++;
		if (r->meta.row_groups[g].num_rows == 0 || (r->sel_rg && !r->sel_rg[g]))
			continue;
		tarn_rc rc = start_row_group(ln, g);
		if (rc) {
			ln->rg = g; /* the error is reported in this row group's turn */
			for (int i = 0; i < r->sch.n_leaves; i++)
				if (ln->cols[i].err.rc)
					return tarn_err_set(err, ln->cols[i].err.rc, "%s",
							    ln->cols[i].err.msg);
			return rc;
		}
	}
	int64_t rows = ln->rg_left;
	if (rows > ln->batch_rows) {
		rows = ln->batch_rows;
		/* Avoid a tiny last batch in the row group. */
		if (ln->rg_left - rows < ln->batch_rows / 4)
			rows = ln->rg_left;
	}
	struct tarn_batch *b;
	if (tarn_batch_new(r->sch.schema, 0, &b))
		return tarn_err_nomem(err, "Parquet batch");
	for (int i = 0; i < r->sch.n_fields; i++)
		TRY(bind_arrays(&ln->fields[i], b->cols[i]));
	ln->rg_left -= rows;
	int64_t skip = ln->rg_next - ln->rg_pos;
	ln->rg_next += rows;
	ln->rg_pos = ln->rg_next;
	ln->job = b;
	ln->job_rows = rows;
	if (r->sch.n_leaves == 0)
		return TARN_OK;
	for (int i = 0; i < r->sch.n_leaves; i++) {
		struct col *c = &ln->cols[i];
		c->rows = rows;
		c->skip = skip;
		c->rc = TARN_OK;
		tarn_err_clear(&c->err);
		c->task.fn = col_task;
		c->task.arg = c;
	}
	/* All columns go to the pool; the caller steals what is still queued
	 * when it waits (tarn_task_wait), so nothing idles. */
	for (int i = 0; i < r->sch.n_leaves; i++)
		tarn_pool_submit(&ln->cols[i].task);
	return TARN_OK;
}

static void wait_job(struct lane *ln)
{
	if (!ln->job)
		return;
	for (int i = 0; i < ln->r->sch.n_leaves; i++)
		tarn_task_wait(&ln->cols[i].task);
}

static tarn_rc check_node(const struct pq_plan *p)
{
	const struct tarn_array *a = p->arr;
	if (p->kind == PQ_PLAN_STRUCT) {
		for (int i = 0; i < p->n_children; i++) {
			if (p->children[i].arr->length != a->length)
				return TARN_EDATA;
			TRY(check_node(&p->children[i]));
		}
	} else if (p->kind == PQ_PLAN_LIST) {
		if (a->length > 0 && a->offsets[a->length] != p->children[0].arr->length)
			return TARN_EDATA;
		if (a->length == 0 && p->children[0].arr->length != 0)
			return TARN_EDATA;
		TRY(check_node(&p->children[0]));
	}
	return TARN_OK;
}

static tarn_rc finish_job(struct lane *ln, struct tarn_batch **out, struct tarn_err *err)
{
	struct pq_reader *r = ln->r;
	wait_job(ln);
	struct tarn_batch *b = ln->job;
	ln->job = NULL;
	for (int i = 0; i < r->sch.n_leaves; i++) {
		if (ln->cols[i].rc) {
			tarn_batch_free(b);
			tarn_err_set(err, ln->cols[i].err.rc ? ln->cols[i].err.rc : ln->cols[i].rc,
				     "%s", ln->cols[i].err.msg);
			return ln->cols[i].rc;
		}
	}
	for (int i = 0; i < r->sch.n_fields; i++) {
		const struct pq_plan *p = &ln->fields[i];
		if (p->arr->length != ln->job_rows || check_node(p)) {
			tarn_batch_free(b);
			return tarn_err_set(err, TARN_EDATA,
					    "%s: row group %d: the columns of '%s' disagree on the "
					    "number of values (corrupt file)",
					    r->name, ln->rg, r->sch.schema->fields[i].name);
		}
	}
	b->n_rows = ln->job_rows;
	if (r->sch.n_fields > 0 && tarn_batch_seal(b, err)) {
		tarn_batch_free(b);
		return TARN_EINTERNAL;
	}
	*out = b;
	return TARN_OK;
}

static tarn_rc reader_next(struct tarn_reader *base, struct tarn_batch **out, struct tarn_err *err)
{
	struct pq_reader *r = (struct pq_reader *)base;
	*out = NULL;
	if (r->fail_rc) {
		tarn_err_set(err, r->fail_rc, "%s", r->fail_err.msg);
		return r->fail_rc;
	}
	if (!r->started) {
		r->started = true;
		for (int k = 0; k < r->n_lanes; k++)
			r->lanes[k].pend_rc = start_job(&r->lanes[k], &r->lanes[k].pend_err);
	}
	/* The lane on the earliest row group has the next batch. */
	struct lane *ln = NULL;
	for (int k = 0; k < r->n_lanes; k++) {
		struct lane *l = &r->lanes[k];
		if ((l->job || l->pend_rc) && (!ln || l->rg < ln->rg))
			ln = l;
	}
	if (!ln)
		return TARN_OK;
	tarn_rc rc = ln->pend_rc;
	if (rc)
		tarn_err_set(&r->fail_err, rc, "%s", ln->pend_err.msg);
	else
		rc = finish_job(ln, out, &r->fail_err);
	if (rc) {
		r->fail_rc = rc;
		tarn_err_set(err, rc, "%s", r->fail_err.msg);
		return rc;
	}
	if (!r->owned && r->base.in && r->sch.n_leaves > 0)
		tarn_input_set_consumed(r->base.in, ln->cols[0].p - r->file);
	/* Prefetch: decode the lane's next batch while the caller uses this
	 * one (the other lanes are busy with later row groups). A failure to
	 * start it is reported in its turn. */
	ln->pend_rc = start_job(ln, &ln->pend_err);
	return TARN_OK;
}

static void reader_close(struct tarn_reader *base)
{
	struct pq_reader *r = (struct pq_reader *)base;
	for (int k = 0; r->lanes && k < r->n_lanes; k++)
		wait_job(&r->lanes[k]);
	for (int k = 0; r->lanes && k < r->n_lanes; k++) {
		struct lane *ln = &r->lanes[k];
		tarn_batch_free(ln->job);
		tarn_arena_free(&ln->arena);
		tarn_arena_free(&ln->rg_arena);
		if (!ln->cols)
			continue;
		for (int i = 0; i < r->sch.n_leaves; i++) {
			struct col *c = &ln->cols[i];
			tarn_array_free(c->dict);
			tarn_array_free(c->skip_vals);
			tarn_free(c->pbuf);
			tarn_free(c->def);
			tarn_free(c->rep);
			if (c->vd) {
				pq_valdec_free(c->vd);
				tarn_free(c->vd);
			}
		}
		tarn_free(ln->cols);
	}
	tarn_free(r->lanes);
	pq_schema_free(&r->sch);
	pq_file_meta_free(&r->meta);
	tarn_arena_free(&r->sel_arena);
	tarn_free(r->owned);
	tarn_free(r);
}

static const struct tarn_reader_ops reader_ops = { .next = reader_next, .close = reader_close };

/* ---- open ----------------------------------------------------------------------------- */

static tarn_rc read_all(struct tarn_input *in, uint8_t **out, size_t *n, struct tarn_err *err)
{
	size_t cap = 1 << 20, len = 0;
	uint8_t *p = tarn_malloc(cap);
	if (!p)
		return tarn_err_nomem(err, "Parquet input");
	for (;;) {
		if (len == cap) {
			size_t ncap = cap * 2;
			uint8_t *q = tarn_realloc(p, ncap);
			if (!q) {
				tarn_free(p);
				return tarn_err_nomem(err, "Parquet input");
			}
			p = q;
			cap = ncap;
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

/* Collects, per leaf, the plan nodes it builds (those whose first leaf it
 * is), top-down. */
static tarn_rc collect_nodes(struct lane *ln, struct pq_plan *p, struct pq_plan **stack,
			     int depth)
{
	stack[depth] = p;
	if (p->kind == PQ_PLAN_LEAF) {
		struct col *c = &ln->cols[p->leaf];
		int k = 0;
		for (int i = 0; i <= depth; i++)
			k += stack[i]->leaf == p->leaf;
		c->nodes = tarn_arena_alloc(&ln->arena, (size_t)k * sizeof *c->nodes);
		if (!c->nodes)
			return TARN_ENOMEM;
		c->n_nodes = 0;
		for (int i = 0; i <= depth; i++)
			if (stack[i]->leaf == p->leaf)
				c->nodes[c->n_nodes++] = stack[i];
		/* Definition level a repetition level requires: the def of the
		 * repeated node at that depth = the def_slot of the list items at
		 * rep_slot == r. */
		int mr = c->lf->max_rep;
		c->min_def_for_rep = tarn_arena_alloc(&ln->arena, (size_t)(mr + 1) * sizeof(int16_t));
		if (!c->min_def_for_rep)
			return TARN_ENOMEM;
		for (int i = 0; i <= mr; i++)
			c->min_def_for_rep[i] = 0;
		for (int i = 0; i <= depth; i++) {
			int rs = stack[i]->rep_slot;
			if (rs > 0 && rs <= mr && stack[i]->def_slot > c->min_def_for_rep[rs])
				c->min_def_for_rep[rs] = stack[i]->def_slot;
		}
		return TARN_OK;
	}
	for (int i = 0; i < p->n_children; i++)
		TRY(collect_nodes(ln, &p->children[i], stack, depth + 1));
	return TARN_OK;
}

/* A lane's own copy of a plan tree (the arrays it fills are per lane). */
static tarn_rc copy_plan(struct tarn_arena *a, struct pq_plan *dst, const struct pq_plan *src)
{
	*dst = *src;
	dst->arr = NULL;
	if (src->n_children == 0)
		return TARN_OK;
	dst->children = tarn_arena_alloc(a, (size_t)src->n_children * sizeof *dst->children);
	if (!dst->children)
		return TARN_ENOMEM;
	for (int i = 0; i < src->n_children; i++)
		TRY(copy_plan(a, &dst->children[i], &src->children[i]));
	return TARN_OK;
}

/* Lanes: one per worker (at most 4, at most one per row group), each with
 * its column states and plan copies. */
static tarn_rc make_lanes(struct pq_reader *r)
{
	int n = tarn_pool_size();
	n = n < 1 ? 1 : n > 4 ? 4 : n;
	if (n > r->meta.n_row_groups)
		n = r->meta.n_row_groups > 0 ? r->meta.n_row_groups : 1;
	r->lanes = tarn_calloc((size_t)n, sizeof *r->lanes);
	if (!r->lanes)
		return TARN_ENOMEM;
	r->n_lanes = n;
	for (int k = 0; k < n; k++) {
		struct lane *ln = &r->lanes[k];
		ln->r = r;
		ln->rg = -1;
		tarn_arena_init(&ln->arena, 0);
		tarn_arena_init(&ln->rg_arena, 0);
	}
	struct pq_plan *stack[PLAN_DEPTH];
	for (int k = 0; k < n; k++) {
		struct lane *ln = &r->lanes[k];
		ln->cols = tarn_calloc((size_t)(r->sch.n_leaves ? r->sch.n_leaves : 1),
				       sizeof *ln->cols);
		if (!ln->cols)
			return TARN_ENOMEM;
		for (int i = 0; i < r->sch.n_leaves; i++) {
			struct col *c = &ln->cols[i];
			c->r = r;
			c->ln = ln;
			c->lf = &r->sch.leaves[i];
			c->vd = tarn_calloc(1, sizeof *c->vd);
			if (!c->vd)
				return TARN_ENOMEM;
			tarn_buf_init(&c->vd->prev);
		}
		size_t nf = (size_t)(r->sch.n_fields ? r->sch.n_fields : 1);
		ln->fields = tarn_arena_alloc(&ln->arena, nf * sizeof *ln->fields);
		if (!ln->fields)
			return TARN_ENOMEM;
		for (int i = 0; i < r->sch.n_fields; i++) {
			TRY(copy_plan(&ln->arena, &ln->fields[i], &r->sch.fields[i]));
			TRY(collect_nodes(ln, &ln->fields[i], stack, 0));
		}
	}
	return TARN_OK;
}


static tarn_rc parse_opts(const struct tarn_opts *opts, struct pq_read_opts *o,
			  struct tarn_err *err)
{
	o->int96_unit = TARN_UNIT_NS;
	o->columns = tarn_opts_get(opts, "columns");
	const char *u = tarn_opts_get(opts, "int96-unit");
	if (u) {
		if (!strcmp(u, "ns"))
			o->int96_unit = TARN_UNIT_NS;
		else if (!strcmp(u, "us"))
			o->int96_unit = TARN_UNIT_US;
		else if (!strcmp(u, "ms"))
			o->int96_unit = TARN_UNIT_MS;
		else if (!strcmp(u, "s"))
			o->int96_unit = TARN_UNIT_S;
		else
			return tarn_err_set(err, TARN_EUSAGE,
					    "option int96-unit: '%s' is not one of ns, us, ms, s", u);
	}
	TRY(tarn_opts_bool(opts, "verify-crc", true, &o->verify_crc, err));
	TRY(tarn_opts_int(opts, "batch-rows", TARN_BATCH_ROWS, &o->batch_rows, err));
	TRY(tarn_opts_int(opts, "max-page-size", (int64_t)1 << 30, &o->max_page, err));
	if (o->max_page < 1 || o->max_page > INT32_MAX)
		return tarn_err_set(err, TARN_EUSAGE, "option max-page-size: must be 1..2147483647");
	TRY(tarn_opts_int(opts, "max-batch-values", (int64_t)1 << 26, &o->max_values, err));
	if (o->max_values < 1)
		return tarn_err_set(err, TARN_EUSAGE, "option max-batch-values: must be positive");
	if (o->batch_rows < 1 || o->batch_rows > (1 << 24))
		return tarn_err_set(err, TARN_EUSAGE, "option batch-rows: must be 1..16777216");
	return TARN_OK;
}

static tarn_rc validate_meta(struct pq_reader *r, struct tarn_err *err)
{
	const struct pq_file_meta *m = &r->meta;
	int64_t total = 0;
	/* Leaves in the whole file (not just the projection). */
	int leaves = 0;
	for (int i = 0; i < m->n_schema; i++)
		leaves += m->schema[i].type >= 0 && i > 0;
	for (int g = 0; g < m->n_row_groups; g++) {
		const struct pq_row_group *rg = &m->row_groups[g];
		if (rg->n_columns != leaves)
			return tarn_err_set(err, TARN_EDATA,
					    "%s: row group %d has %d column chunks but the schema has "
					    "%d columns",
					    r->name, g, rg->n_columns, leaves);
		if (rg->num_rows < 0)
			return tarn_err_set(err, TARN_EDATA, "%s: row group %d has a negative row count",
					    r->name, g);
		for (int c = 0; c < rg->n_columns; c++)
			if (rg->columns[c].encrypted)
				return tarn_err_set(err, TARN_EUNSUPPORTED,
						    "%s: encrypted Parquet is not supported yet "
						    "(column chunk %d of row group %d is encrypted)",
						    r->name, c, g);
		if (__builtin_add_overflow(total, rg->num_rows, &total))
			return tarn_err_set(err, TARN_EDATA, "%s: row counts overflow", r->name);
	}
	return TARN_OK;
}

tarn_rc pq_footer_read(const uint8_t *p, size_t n, const char *name, struct pq_file_meta *m,
		       int64_t *meta_start, struct tarn_err *err)
{
	memset(m, 0, sizeof *m);
	tarn_arena_init(&m->arena, 1024);
	if (n < 12 || (memcmp(p, "PAR1", 4) != 0 && memcmp(p, "PARE", 4) != 0))
		return tarn_err_set(err, TARN_EDATA,
				    "%s: not a Parquet file (%s)", name,
				    n < 12 ? "too short" : "no PAR1 magic at the start");
	if (memcmp(p + n - 4, "PARE", 4) == 0 || memcmp(p, "PARE", 4) == 0)
		return tarn_err_set(err, TARN_EUNSUPPORTED,
				    "%s: encrypted Parquet is not supported yet (encrypted footer)",
				    name);
	if (memcmp(p + n - 4, "PAR1", 4) != 0)
		return tarn_err_set(err, TARN_EDATA,
				    "%s: not a complete Parquet file (no PAR1 magic at the end; "
				    "truncated?)",
				    name);
	uint32_t flen;
	memcpy(&flen, p + n - 8, 4);
	if ((uint64_t)flen > n - 12)
		return tarn_err_set(err, TARN_EDATA,
				    "%s: corrupt Parquet footer: its length %u is larger than the "
				    "file (byte offset %zu)",
				    name, flen, n - 8);
	*meta_start = (int64_t)(n - 8 - flen);
	return pq_file_meta_decode(p + *meta_start, flen, m, name, *meta_start, err);
}

tarn_rc parquet_open_reader(struct tarn_input *in, const struct tarn_opts *opts,
			    struct tarn_reader **out, struct tarn_err *err)
{
	*out = NULL;
	struct pq_reader *r = tarn_calloc(1, sizeof *r);
	if (!r)
		return tarn_err_nomem(err, "Parquet reader");
	tarn_rc rc = TARN_OK;
	r->base.ops = &reader_ops;
	r->name = tarn_input_name(in);
	tarn_arena_init(&r->sel_arena, 0);
	TRY_OUT(parse_opts(opts, &r->o, err));
	size_t n;
	const uint8_t *p = tarn_input_mapped(in, &n);
	if (!p) {
		TRY_OUT(read_all(in, &r->owned, &n, err));
		p = r->owned;
	}
	r->file = p;
	r->file_len = n;
	TRY_OUT(pq_footer_read(p, n, r->name, &r->meta, &r->meta_start, err));
	if (r->meta.encrypted) {
		rc = tarn_err_set(err, TARN_EUNSUPPORTED,
				  "%s: encrypted Parquet is not supported yet (plaintext footer "
				  "with encrypted columns)",
				  r->name);
		goto out;
	}
	TRY_OUT(validate_meta(r, err));
	TRY_OUT(pq_schema_build(&r->meta, &r->o, &r->sch, r->name, err));
	if (make_lanes(r)) {
		rc = tarn_err_nomem(err, "Parquet reader");
		goto out;
	}
	r->base.schema = r->sch.schema;
	tarn_schema_ref(r->base.schema);
	*out = &r->base;
	return TARN_OK;
out:
	reader_close(&r->base);
	return rc;
}

tarn_rc pq_reader_prune(struct tarn_reader *base, const char *column, const struct pq_bound *lo,
			const struct pq_bound *hi, struct tarn_err *err)
{
	struct pq_reader *r = (struct pq_reader *)base;
	if (r->started || r->sel_leaf)
		return tarn_err_set(err, TARN_EUSAGE,
				    "%s: pruning must be set once, before the first batch", r->name);
	const struct pq_leaf *lf = NULL;
	for (int i = 0; i < r->sch.n_leaves; i++)
		if (strcmp(r->sch.leaves[i].path, column) == 0)
			lf = &r->sch.leaves[i];
	if (!lf)
		return tarn_err_set(err, TARN_ENOTFOUND, "%s: no column '%s' among those read",
				    r->name, column);
	struct pq_bound *b[2] = { &r->sel_lo, &r->sel_hi };
	const struct pq_bound *src[2] = { lo, hi };
	for (int k = 0; k < 2; k++) {
		b[k]->p = NULL;
		b[k]->n = 0;
		if (!src[k] || !src[k]->p)
			continue;
		uint8_t *p = tarn_arena_alloc(&r->sel_arena, src[k]->n ? src[k]->n : 1);
		if (!p)
			return tarn_err_nomem(err, "Parquet reader");
		memcpy(p, src[k]->p, src[k]->n);
		b[k]->p = p;
		b[k]->n = src[k]->n;
	}
	int n = r->meta.n_row_groups;
	r->sel_rg = tarn_arena_alloc(&r->sel_arena, (size_t)(n ? n : 1) * sizeof *r->sel_rg);
	if (!r->sel_rg)
		return tarn_err_nomem(err, "Parquet reader");
	pq_prune_row_groups(&r->meta, lf, &r->sel_lo, &r->sel_hi, r->sel_rg);
	r->sel_leaf = lf;
	return TARN_OK;
}

tarn_rc pq_reader_narrow(struct tarn_reader *base, const char *column, const struct pq_bound *lo,
			 const struct pq_bound *hi, struct tarn_err *err)
{
	struct pq_reader *r = (struct pq_reader *)base;
	if (!r->sel_leaf)
		return pq_reader_prune(base, column, lo, hi, err);
	if (r->started)
		return tarn_err_set(err, TARN_EUSAGE,
				    "%s: pruning must be set before the first batch", r->name);
	const struct pq_leaf *lf = NULL;
	for (int i = 0; i < r->sch.n_leaves; i++)
		if (strcmp(r->sch.leaves[i].path, column) == 0)
			lf = &r->sch.leaves[i];
	if (!lf)
		return tarn_err_set(err, TARN_ENOTFOUND, "%s: no column '%s' among those read",
				    r->name, column);
	int n = r->meta.n_row_groups;
	bool *keep = tarn_malloc((size_t)(n ? n : 1) * sizeof *keep);
	if (!keep)
		return tarn_err_nomem(err, "Parquet reader");
	struct pq_bound none = { 0 };
	pq_prune_row_groups(&r->meta, lf, lo ? lo : &none, hi ? hi : &none, keep);
	for (int g = 0; g < n; g++)
		r->sel_rg[g] = r->sel_rg[g] && keep[g];
	tarn_free(keep);
	return TARN_OK;
}
