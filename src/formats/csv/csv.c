/*
 * csv.c — the CSV and TSV formats: descriptors, option tables, and the
 * reader's two drivers over the shared parser (csv_read.c).
 *
 * Mapped inputs (tarn_input_mapped: uncompressed files, memory) are split
 * into chunks parsed in parallel on the pool; streamed inputs (stdin, gzip,
 * zstd) go through one growing read buffer on the calling thread.
 *
 * Design notes — the parallel splitter
 *  1. The data after the header is cut into nominal chunks [b_k, b_k+1) of
 *     chunk-size bytes. Chunk k owns the rows that START in its range; it
 *     parses them, running past b_k+1 to finish its last row, and records
 *     next_k, the first row start >= b_k+1.
 *  2. A chunk's own first row is found speculatively: the quote parity of
 *     everything before b_k - 1 (counted on the calling thread, SIMD, one
 *     pass over the file in total) says whether b_k - 1 is inside quotes;
 *     from there the first line break outside quotes ends the row.
 *     Exact for RFC 4180 data with doubled-quote escapes; usually right with
 *     backslash escapes.
 *  3. Verification makes it exact in every case: chunks are consumed in
 *     order, and chunk k's speculated start must equal next_k-1, the
 *     verified end of its predecessor. If it does not (a stray quote, a
 *     quote in a comment line), chunk k is parsed again from next_k-1 on the
 *     calling thread. The parser is deterministic from a row start, so the
 *     result equals a sequential parse byte for byte.
 *  4. At most `threads` * 2 chunks are in flight; batches are handed out in
 *     file order; pages of the file map below the consumed point are given
 *     back (MADV_DONTNEED) so resident memory stays bounded.
 *  5. Errors carry file offsets; the line number is counted only when an
 *     error is reported (from the file start for maps, from the running
 *     count for streams).
 *
 * Thread-safety: a reader is used by one thread; its chunk tasks share only
 * the immutable plan and the file map.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <unistd.h>

#include "base/err.h"
#include "base/mem.h"
#include "base/pool.h"
#include "columnar/text.h"
#include "formats/csv/csv_int.h"
#include "formats/json/json_value.h"

#define SAMPLE_BYTES ((size_t)8 << 20)  /* sniff sample of a streamed input */
#define STREAM_BUF ((size_t)4 << 20)    /* initial streaming read buffer */
#define CHUNK_MIN ((size_t)256 << 10)
#define CHUNK_MAX ((size_t)16 << 20)
#define BATCH_MAX_ROWS ((int64_t)TARN_BATCH_ROWS * 2)
#define RELEASE_STEP ((size_t)16 << 20)

/* ---- option tables --------------------------------------------------------------- */

static const struct tarn_optdesc reader_opts[] = {
	{ "delimiter", "CHAR  field separator: a character, tab, or 0xNN (default: sniffed "
		       "among , tab ; | : ^ 0x01 ~)" },
	{ "quote", "CHAR|none  quote character (default: sniffed, \" ' or none)" },
	{ "escape", "quote|backslash|none  escape inside quoted fields (default: sniffed, a "
		    "doubled quote)" },
	{ "header", "true|false  whether row 1 names the columns (default: sniffed)" },
	{ "comment", "CHAR|none  skip lines starting with CHAR (default: # when lines start "
		     "with it)" },
	{ "null", "LIST  comma-separated spellings of null (default NA,N/A,NULL,null,NaN; "
		  "an empty unquoted field is always null)" },
	{ "types", "COL=TYPE,...  column types instead of the inferred ones" },
	{ "columns", "A,B,...  read only these columns, in this order (the others are "
		     "split but not converted; default: all)" },
	{ "on-bad-row", "error|skip|null-fill  rows with a wrong field count or a value "
			"that does not fit (default error)" },
	{ "infer-rows", "N  rows sampled to infer types (default 20480; 0 = all)" },
	{ "skip-rows", "N  lines to skip before the header (default 0)" },
	{ "max-field-size", "BYTES  longest field accepted (default 64M)" },
	{ "max-row-size", "BYTES  longest row accepted (default 256M)" },
	{ "max-columns", "N  most columns accepted (default 16384)" },
	{ "utf8", "error|replace  invalid UTF-8 in text fields (default error)" },
	{ "threads", "N  chunks parsed in parallel (default: the worker pool's size; 1 = "
		     "sequential)" },
	{ "chunk-size", "BYTES  bytes per parallel chunk, or the first read buffer of a "
			"stream (default: automatic)" },
	{ "simd", "auto|avx2|sse2|scalar  tokenizer instruction set (default auto; also "
		  "TARN_CSV_SIMD)" },
	{ NULL, NULL },
};

static const struct tarn_optdesc writer_opts[] = {
	{ "delimiter", "CHAR  field separator (default , for csv, tab for tsv)" },
	{ "quote", "CHAR  quote character (default \")" },
	{ "null", "TEXT  spelling of null (default: empty field)" },
	{ "header", "true|false  write the column names first (default true)" },
	{ "newline", "lf|crlf  line ending (default lf)" },
	{ "threads", "N  batches formatted in parallel pieces (default: the pool's size)" },
	{ NULL, NULL },
};

/* ---- option parsing ----------------------------------------------------------------- */

int csv_parse_char_opt(const char *v, bool allow_none)
{
	if (!v)
		return -1;
	if (allow_none && (!*v || !strcasecmp(v, "none") || !strcasecmp(v, "off")))
		return 0;
	if (!strcmp(v, "\\t") || !strcasecmp(v, "tab"))
		return '\t';
	if (!strcasecmp(v, "comma"))
		return ',';
	if (!strcasecmp(v, "semicolon"))
		return ';';
	if (!strcasecmp(v, "pipe"))
		return '|';
	if (!strcasecmp(v, "space"))
		return ' ';
	if ((v[0] == '0' && (v[1] == 'x' || v[1] == 'X')) || (v[0] == '\\' && v[1] == 'x')) {
		char *end;
		long x = strtol(v + 2, &end, 16);
		if (*end || end == v + 2 || x <= 0 || x > 255)
			return -1;
		return (int)x;
	}
	if (strlen(v) == 1)
		return (uint8_t)v[0];
	return -1;
}


tarn_rc csv_nulls_parse(struct csv_nulls *nl, const char *text, struct tarn_err *err)
{
	memset(nl, 0, sizeof *nl);
	int n = 1;
	for (const char *p = text; *p; p++)
		n += *p == ',';
	nl->tok = tarn_calloc((size_t)n, sizeof *nl->tok);
	nl->len = tarn_calloc((size_t)n, sizeof *nl->len);
	if (!nl->tok || !nl->len) {
		csv_nulls_free(nl);
		return tarn_err_nomem(err, "null tokens");
	}
	const char *p = text;
	for (;;) {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		if (len > 0) {
			nl->tok[nl->n] = tarn_strndup(p, len);
			if (!nl->tok[nl->n]) {
				csv_nulls_free(nl);
				return tarn_err_nomem(err, "null tokens");
			}
			nl->len[nl->n] = (uint32_t)len;
			if (len < 64)
				nl->len_mask |= 1ull << len;
			uint8_t f0 = (uint8_t)p[0];
			nl->first[f0 >> 6] |= 1ull << (f0 & 63);
			nl->n++;
		}
		if (!e)
			break;
		p = e + 1;
	}
	return TARN_OK;
}

void csv_nulls_free(struct csv_nulls *nl)
{
	for (int i = 0; i < nl->n; i++)
		tarn_free(nl->tok[i]);
	tarn_free(nl->tok);
	tarn_free(nl->len);
	memset(nl, 0, sizeof *nl);
}

static tarn_rc parse_reader_opts(const struct tarn_opts *o, uint8_t default_delim,
				 struct csv_config *c, struct tarn_err *err)
{
	memset(c, 0, sizeof *c);
	c->header = -1;
	c->d.escape = CSV_ESC_DOUBLE;
	c->d.quote = '"';
	if (default_delim) {
		c->d.delim = default_delim;
		c->have_delim = true;
	}
	const char *v;
	if ((v = tarn_opts_get(o, "delimiter"))) {
		int ch = csv_parse_char_opt(v, false);
		if (ch <= 0 || ch == '\n' || ch == '\r')
			return tarn_err_set(err, TARN_EUSAGE,
					    "option delimiter: '%s' is not one character (use tab or "
					    "0xNN for special ones)",
					    v);
		c->d.delim = (uint8_t)ch;
		c->have_delim = true;
	}
	if ((v = tarn_opts_get(o, "quote"))) {
		int ch = csv_parse_char_opt(v, true);
		if (ch < 0 || ch == '\n' || ch == '\r')
			return tarn_err_set(err, TARN_EUSAGE,
					    "option quote: '%s' is not one character or none", v);
		c->d.quote = (uint8_t)ch;
		c->have_quote = true;
	}
	if ((v = tarn_opts_get(o, "escape"))) {
		if (!strcasecmp(v, "quote") || !strcasecmp(v, "double") || !strcmp(v, "\"") ||
		    !strcmp(v, "'"))
			c->d.escape = CSV_ESC_DOUBLE;
		else if (!strcasecmp(v, "backslash") || !strcmp(v, "\\"))
			c->d.escape = CSV_ESC_BACKSLASH;
		else if (!strcasecmp(v, "none") || !*v)
			c->d.escape = CSV_ESC_NONE;
		else
			return tarn_err_set(err, TARN_EUSAGE,
					    "option escape: '%s' is not quote, backslash or none", v);
		c->have_escape = true;
	}
	if ((v = tarn_opts_get(o, "comment"))) {
		int ch = csv_parse_char_opt(v, true);
		if (ch < 0 || ch == '\n' || ch == '\r')
			return tarn_err_set(err, TARN_EUSAGE,
					    "option comment: '%s' is not one character or none", v);
		c->d.comment = (uint8_t)ch;
		c->have_comment = true;
	}
	if (c->have_delim && c->have_quote && c->d.quote == c->d.delim)
		return tarn_err_set(err, TARN_EUSAGE, "the delimiter and the quote must differ");
	if (tarn_opts_get(o, "header")) {
		bool h;
		TRY(tarn_opts_bool(o, "header", true, &h, err));
		c->header = h ? 1 : 0;
	}
	if ((v = tarn_opts_get(o, "on-bad-row"))) {
		if (!strcmp(v, "error"))
			c->bad = CSV_BAD_ERROR;
		else if (!strcmp(v, "skip"))
			c->bad = CSV_BAD_SKIP;
		else if (!strcmp(v, "null-fill") || !strcmp(v, "null"))
			c->bad = CSV_BAD_NULL;
		else
			return tarn_err_set(err, TARN_EUSAGE,
					    "option on-bad-row: '%s' is not error, skip or null-fill",
					    v);
	}
	if ((v = tarn_opts_get(o, "utf8"))) {
		if (!strcmp(v, "replace"))
			c->utf8_replace = true;
		else if (strcmp(v, "error") != 0)
			return tarn_err_set(err, TARN_EUSAGE,
					    "option utf8: '%s' is not error or replace", v);
	}
	if ((v = tarn_opts_get(o, "simd"))) {
		if (!strcmp(v, "auto"))
			c->simd = CSV_SIMD_AUTO;
		else if (!strcmp(v, "scalar"))
			c->simd = CSV_SIMD_SCALAR;
		else if (!strcmp(v, "sse2"))
			c->simd = CSV_SIMD_SSE2;
		else if (!strcmp(v, "avx2"))
			c->simd = CSV_SIMD_AVX2;
		else
			return tarn_err_set(err, TARN_EUSAGE,
					    "option simd: '%s' is not auto, avx2, sse2 or scalar", v);
	}
	int64_t x;
	TRY(tarn_opts_int(o, "infer-rows", CSV_DEFAULT_INFER_ROWS, &x, err));
	if (x < -1)
		return tarn_err_set(err, TARN_EUSAGE,
				    "option infer-rows: use a positive row count, or 0 for all");
	c->infer_rows = x == 0 ? -1 : x; /* 0 and -1 both mean the whole file */
	TRY(tarn_opts_int(o, "skip-rows", 0, &c->skip_rows, err));
	if (c->skip_rows < 0)
		return tarn_err_set(err, TARN_EUSAGE, "option skip-rows: must be 0 or more");
	TRY(tarn_opts_size(o, "max-field-size", CSV_DEFAULT_MAX_FIELD, 1, CSV_MAX_FIELD_CEIL,
		     &c->max_field, err));
	TRY(tarn_opts_size(o, "max-row-size", CSV_DEFAULT_MAX_ROW, 1, CSV_MAX_ROW_CEIL, &c->max_row, err));
	if (c->max_row < c->max_field)
		c->max_row = c->max_field;
	TRY(tarn_opts_int(o, "max-columns", CSV_DEFAULT_MAX_COLUMNS, &x, err));
	if (x < 1 || x > 1000000)
		return tarn_err_set(err, TARN_EUSAGE, "option max-columns: use 1..1000000");
	c->max_columns = (int)x;
	TRY(tarn_opts_int(o, "threads", 0, &x, err));
	if (x < 0 || x > 4096)
		return tarn_err_set(err, TARN_EUSAGE, "option threads: use 0..4096");
	c->threads = (int)x;
	TRY(tarn_opts_size(o, "chunk-size", 0, 0, (int64_t)1 << 40, &c->chunk_size, err));
	c->types = tarn_opts_get(o, "types");
	TRY(csv_nulls_parse(&c->nulls, (v = tarn_opts_get(o, "null")) ? v : CSV_DEFAULT_NULLS,
			    err));
	return TARN_OK;
}

/* ---- the reader ------------------------------------------------------------------------ */

struct chunk {
	struct tarn_task task;
	struct csv_reader *r;
	size_t nb, ne;   /* nominal range */
	bool exact;      /* nb is a verified row start */
	bool spec_inq;   /* speculated quote state at nb - 1 */
	bool submitted;
	size_t start, next;
	struct tarn_batch **bv;
	int nbv, cap_bv;
	int64_t bad_rows;
	bool failed;
	struct csv_fail fail;
};

struct csv_reader {
	struct tarn_reader base;
	struct csv_config cfg;
	struct csv_plan plan;
	struct csv_col *cols;
	int ncols;
	int *sel;                        /* `columns`: file column of each output column */
	struct tarn_schema *file_schema; /* with `columns`: every column (messages) */
	enum csv_simd simd;
	bool failed;
	struct tarn_err saved; /* the error, returned again by later calls */
	bool done;

	/* mapped input */
	const uint8_t *map;
	size_t map_len, data_start;
	double avg_row;   /* bytes per row, from the sniffer's sample */
	bool map_release; /* a read-only file map: pages may be dropped */
	size_t released;
	int max_inflight;
	struct chunk *slots;
	int head, count;
	size_t next_nominal, chunk_bytes, expect;
	uint64_t quotes;  /* quote bytes in [data_start, quote_pos) */
	size_t quote_pos;
	struct tarn_batch **pend;
	int pend_n, pend_i, pend_cap;

	/* streamed input */
	uint8_t *buf;
	size_t buf_len, buf_cap, buf_pos;
	bool eof;
	int64_t buf_off, lines_before;
	int64_t line_prefix; /* bytes of the line at buf_off that lie before it */
	struct csv_scratch scratch;
};

static void release_map(struct csv_reader *r, size_t upto)
{
	if (!r->map_release || upto < r->released + RELEASE_STEP)
		return;
	tarn_input_release(r->base.in, upto);
	r->released = upto;
}

static void chunk_clear(struct chunk *ck)
{
	for (int i = 0; i < ck->nbv; i++)
		tarn_batch_free(ck->bv[i]);
	ck->nbv = 0;
	ck->failed = false;
	ck->bad_rows = 0;
	memset(&ck->fail, 0, sizeof ck->fail);
}

static void chunk_fail_nomem(struct chunk *ck)
{
	ck->failed = true;
	ck->fail.kind = CSV_FAIL_NOMEM;
}

static void chunk_run(void *arg)
{
	struct chunk *ck = arg;
	struct csv_reader *r = ck->r;
	size_t start = ck->exact ? ck->nb
				 : csv_find_row_start(&r->cfg.d, r->map, ck->nb - 1, r->map_len,
						      ck->spec_inq);
	ck->start = start;
	ck->next = start;
	struct csv_scratch sc;
	if (csv_scratch_init(&sc, r->ncols)) {
		chunk_fail_nomem(ck);
		return;
	}
	size_t pos = start;
	for (;;) {
		struct tarn_batch *b;
		/* Size the batch for the rows this chunk will likely hold, so
		 * arrays are allocated once; rows beyond go to another batch. */
		size_t left = ck->ne > pos ? ck->ne - pos : 0;
		int64_t hint = (int64_t)((double)left / r->avg_row * 1.1) + 64;
		if (hint > BATCH_MAX_ROWS)
			hint = BATCH_MAX_ROWS;
		if (tarn_batch_new(r->base.schema, hint, &b)) {
			chunk_fail_nomem(ck);
			break;
		}
		struct csv_job job = { 0 };
		job.plan = &r->plan;
		job.base = r->map;
		job.end = r->map_len;
		job.final = true;
		job.stop = ck->ne;
		job.file_off = 0;
		job.pos = pos;
		job.s = &sc;
		job.batch = b;
		job.max_rows = hint;
		job.rows_hint = hint;
		job.simd = r->simd;
		enum csv_tok_status st = csv_parse_rows(&job);
		ck->bad_rows += job.bad_rows;
		pos = job.pos;
		if (st == CSV_TOK_FAIL) {
			ck->failed = true;
			ck->fail = job.fail;
			tarn_batch_free(b);
			break;
		}
		if (b->cols[0]->length > 0) {
			if (ck->nbv == ck->cap_bv) {
				int cap = ck->cap_bv ? ck->cap_bv * 2 : 4;
				struct tarn_batch **nv = tarn_realloc(ck->bv, sizeof *nv * (size_t)cap);
				if (!nv) {
					tarn_batch_free(b);
					chunk_fail_nomem(ck);
					break;
				}
				ck->bv = nv;
				ck->cap_bv = cap;
			}
			if (tarn_batch_seal(b, NULL)) {
				tarn_batch_free(b);
				chunk_fail_nomem(ck);
				break;
			}
			ck->bv[ck->nbv++] = b;
		} else {
			tarn_batch_free(b);
		}
		if (st != CSV_TOK_BLOCK)
			break;
	}
	ck->next = pos;
	csv_scratch_free(&sc);
}

static tarn_rc fail_now(struct csv_reader *r, tarn_rc rc, struct tarn_err *err)
{
	r->failed = true;
	if (r->saved.rc == TARN_OK) {
		r->saved.rc = rc;
		if (err && err->rc == rc)
			memcpy(r->saved.msg, err->msg, sizeof r->saved.msg);
		else
			snprintf(r->saved.msg, sizeof r->saved.msg, "%s: CSV reader failed",
				 r->plan.name);
	}
	return rc;
}

static tarn_rc report_chunk(struct csv_reader *r, struct chunk *ck, struct tarn_err *err)
{
	tarn_rc rc = csv_fail_format(&ck->fail, &r->plan, r->map, 0, 1, 0, err);
	return fail_now(r, rc, err);
}

/* Starts chunks until max_inflight are queued or the map is covered. */
static void fill_pipeline(struct csv_reader *r)
{
	bool seq = r->max_inflight == 1;
	while (r->count < r->max_inflight && r->next_nominal < r->map_len) {
		struct chunk *ck = &r->slots[(r->head + r->count) % r->max_inflight];
		ck->r = r;
		ck->nb = seq ? r->expect : r->next_nominal;
		if (seq && ck->nb < r->next_nominal)
			ck->nb = r->expect; /* sequential: start where the last chunk ended */
		size_t ne = r->next_nominal + r->chunk_bytes;
		if (ne > r->map_len || r->map_len - ne < r->chunk_bytes / 4)
			ne = r->map_len;
		ck->ne = ne;
		ck->exact = seq || ck->nb == r->data_start;
		if (!ck->exact) {
			size_t upto = ck->nb - 1;
			if (upto > r->quote_pos) {
				r->quotes += csv_count_quotes(r->map + r->quote_pos, upto - r->quote_pos,
							      r->cfg.d.quote, r->cfg.d.escape);
				r->quote_pos = upto;
			}
			ck->spec_inq = (r->quotes & 1) != 0;
		}
		ck->nbv = 0;
		ck->failed = false;
		ck->bad_rows = 0;
		ck->task.fn = chunk_run;
		ck->task.arg = ck;
		ck->submitted = !seq;
		if (!seq)
			tarn_pool_submit(&ck->task);
		r->next_nominal = ne;
		r->count++;
		if (seq)
			break;
	}
}

static tarn_rc mapped_next(struct csv_reader *r, struct tarn_batch **out, struct tarn_err *err)
{
	for (;;) {
		if (r->pend_i < r->pend_n) {
			*out = r->pend[r->pend_i];
			r->pend[r->pend_i++] = NULL;
			return TARN_OK;
		}
		r->pend_i = r->pend_n = 0;
		fill_pipeline(r);
		if (r->count == 0) {
			r->done = true;
			tarn_input_set_consumed(r->base.in, (int64_t)r->map_len);
			return TARN_OK;
		}
		struct chunk *ck = &r->slots[r->head];
		if (ck->submitted) {
			tarn_task_wait(&ck->task);
			ck->submitted = false;
		} else {
			chunk_run(ck);
		}
		if (ck->start != r->expect) {
			/* Mis-speculated start (design note 3): parse again. */
			chunk_clear(ck);
			ck->exact = true;
			ck->nb = r->expect;
			chunk_run(ck);
		}
		r->head = (r->head + 1) % r->max_inflight;
		r->count--;
		if (ck->failed) {
			tarn_rc rc = report_chunk(r, ck, err);
			chunk_clear(ck);
			return rc;
		}
		r->expect = ck->next;
		r->base.bad_rows += ck->bad_rows;
		if (ck->nbv > r->pend_cap) {
			struct tarn_batch **np = tarn_realloc(r->pend, sizeof *np * (size_t)ck->nbv);
			if (!np) {
				chunk_clear(ck);
				return fail_now(r, tarn_err_nomem(err, "CSV reader"), err);
			}
			r->pend = np;
			r->pend_cap = ck->nbv;
		}
		if (ck->nbv)
			memcpy(r->pend, ck->bv, sizeof *r->pend * (size_t)ck->nbv);
		r->pend_n = ck->nbv;
		ck->nbv = 0;
		release_map(r, r->expect);
		tarn_input_set_consumed(r->base.in, (int64_t)r->expect);
	}
}

/* Drops buf[0..buf_pos) and reads more, growing the buffer when the
 * unfinished row fills half of it. */
static tarn_rc stream_refill(struct csv_reader *r, struct tarn_err *err)
{
	if (r->buf_pos > 0) {
		bool ends_cr;
		int64_t nl = csv_count_lines(r->buf, 0, r->buf_pos, &ends_cr);
		if (ends_cr && r->buf_pos < r->buf_len && r->buf[r->buf_pos] == '\n')
			nl--;
		r->lines_before += nl;
		size_t j = r->buf_pos;
		while (j > 0 && r->buf[j - 1] != '\n' && r->buf[j - 1] != '\r')
			j--;
		r->line_prefix = (j == 0 ? r->line_prefix : 0) + (int64_t)(r->buf_pos - j);
		memmove(r->buf, r->buf + r->buf_pos, r->buf_len - r->buf_pos);
		r->buf_off += (int64_t)r->buf_pos;
		r->buf_len -= r->buf_pos;
		r->buf_pos = 0;
	}
	if (r->buf_len * 2 > r->buf_cap) {
		size_t cap = r->buf_cap * 2;
		size_t lim = (size_t)r->cfg.max_row + STREAM_BUF;
		if (cap > lim)
			cap = lim;
		if (cap <= r->buf_len)
			return TARN_OK; /* the tokenizer reports the row as too long */
		uint8_t *nb = tarn_realloc(r->buf, cap);
		if (!nb)
			return tarn_err_nomem(err, "CSV read buffer");
		r->buf = nb;
		r->buf_cap = cap;
	}
	while (r->buf_len < r->buf_cap) {
		size_t got;
		TRY(tarn_input_read(r->base.in, r->buf + r->buf_len, r->buf_cap - r->buf_len, &got,
				    err));
		if (got == 0) {
			r->eof = true;
			break;
		}
		r->buf_len += got;
	}
	return TARN_OK;
}

static tarn_rc stream_next(struct csv_reader *r, struct tarn_batch **out, struct tarn_err *err)
{
	struct tarn_batch *b;
	if (tarn_batch_new(r->base.schema, TARN_BATCH_ROWS, &b))
		return fail_now(r, tarn_err_nomem(err, "CSV batch"), err);
	tarn_rc rc = TARN_OK;
	for (;;) {
		struct csv_job job = { 0 };
		job.plan = &r->plan;
		job.base = r->buf;
		job.end = r->buf_len;
		job.final = r->eof;
		job.stop = SIZE_MAX;
		job.file_off = r->buf_off;
		job.pos = r->buf_pos;
		job.s = &r->scratch;
		job.batch = b;
		job.max_rows = TARN_BATCH_ROWS;
		job.rows_hint = TARN_BATCH_ROWS;
		job.simd = r->simd;
		enum csv_tok_status st = csv_parse_rows(&job);
		r->base.bad_rows += job.bad_rows;
		r->buf_pos = job.pos;
		if (st == CSV_TOK_FAIL) {
			rc = csv_fail_format(&job.fail, &r->plan, r->buf, r->buf_off,
					     1 + r->lines_before, r->line_prefix, err);
			tarn_batch_free(b);
			return fail_now(r, rc, err);
		}
		if (st == CSV_TOK_BLOCK)
			break;
		if (st == CSV_TOK_END || st == CSV_TOK_STOP) {
			r->done = true;
			break;
		}
		rc = stream_refill(r, err);
		if (rc) {
			tarn_batch_free(b);
			return fail_now(r, rc, err);
		}
	}
	if (b->cols[0]->length == 0) {
		tarn_batch_free(b);
		return TARN_OK;
	}
	rc = tarn_batch_seal(b, err);
	if (rc) {
		tarn_batch_free(b);
		return fail_now(r, rc, err);
	}
	*out = b;
	return TARN_OK;
}

static tarn_rc csv_next(struct tarn_reader *base, struct tarn_batch **out, struct tarn_err *err)
{
	struct csv_reader *r = (struct csv_reader *)base;
	*out = NULL;
	if (r->failed)
		return tarn_err_set(err, r->saved.rc, "%s", r->saved.msg);
	if (r->ncols == 0)
		return TARN_OK;
	if (r->map) {
		if (r->done && r->pend_i >= r->pend_n)
			return TARN_OK;
		return mapped_next(r, out, err);
	}
	if (r->done)
		return TARN_OK;
	return stream_next(r, out, err);
}

static void csv_close(struct tarn_reader *base)
{
	struct csv_reader *r = (struct csv_reader *)base;
	if (r->slots) {
		for (int i = 0; i < r->count; i++) {
			struct chunk *ck = &r->slots[(r->head + i) % r->max_inflight];
			if (ck->submitted)
				tarn_task_wait(&ck->task);
			chunk_clear(ck);
		}
		for (int i = 0; i < r->max_inflight; i++)
			tarn_free(r->slots[i].bv);
		tarn_free(r->slots);
	}
	for (int i = r->pend_i; i < r->pend_n; i++)
		tarn_batch_free(r->pend[i]);
	tarn_free(r->pend);
	tarn_free(r->buf);
	csv_scratch_free(&r->scratch);
	csv_nulls_free(&r->cfg.nulls);
	tarn_free(r->cols);
	tarn_free(r->sel);
	if (r->file_schema)
		tarn_schema_unref(r->file_schema);
	tarn_free(r);
}

static const struct tarn_reader_ops csv_reader_ops = { .next = csv_next, .close = csv_close };

/* ---- opening ---------------------------------------------------------------------------- */

struct override_ctx {
	struct csv_reader *r;
	struct tarn_schema *s;
	bool *overridden;
};

static tarn_rc apply_override(void *ctx, int i, struct tarn_type *type, struct tarn_err *err)
{
	struct override_ctx *o = ctx;
	const char *name = o->s->fields[i].name;
	struct csv_col col;
	int layout = CSV_DATE_ISO;
	/* keep a sniffed date layout when the user only changes e.g. the unit */
	if ((type->id == TARN_T_DATE32 && o->r->cols[i].kind == CSV_K_DATE) ||
	    (type->id == TARN_T_TIMESTAMP && o->r->cols[i].kind == CSV_K_TIMESTAMP))
		layout = o->r->cols[i].layout;
	TRY(csv_col_plan(type, false, layout, &col, err));
	if (col.kind == CSV_K_NESTED) {
		/* Nested cells are JSON: a type JSON cannot hold fails here,
		 * not at the first row. */
		struct json_value_parser *vp;
		tarn_rc rc = json_value_parser_new(type, NULL, &vp, err);
		if (rc)
			return rc == TARN_EUNSUPPORTED
				       ? tarn_err_set(err, TARN_EUSAGE,
						      "types: column '%s' cannot be read as %s from CSV",
						      name, tarn_type_id_name(type->id))
				       : rc;
		json_value_parser_free(vp);
	}
	struct tarn_field *f = &o->s->fields[i];
	tarn_type_clear(&f->type);
	TRY(tarn_type_copy(&f->type, type) ? tarn_err_nomem(err, "types") : TARN_OK);
	tarn_free(f->note);
	f->note = NULL;
	o->r->cols[i] = col;
	o->overridden[i] = true;
	return TARN_OK;
}

static tarn_rc build_schema(struct csv_reader *r, struct csv_sniffed *sn, struct tarn_err *err)
{
	struct tarn_schema *s;
	if (tarn_schema_new(sn->ncols, &s))
		return tarn_err_nomem(err, "CSV schema");
	r->ncols = sn->ncols;
	r->cols = tarn_calloc((size_t)(sn->ncols ? sn->ncols : 1), sizeof *r->cols);
	bool *ov = tarn_calloc((size_t)(sn->ncols ? sn->ncols : 1), sizeof *ov);
	tarn_rc rc = TARN_OK;
	if (!r->cols || !ov) {
		rc = tarn_err_nomem(err, "CSV schema");
		goto out;
	}
	for (int c = 0; c < sn->ncols; c++) {
		struct tarn_field *f = &s->fields[c];
		f->name = sn->names[c];
		sn->names[c] = NULL;
		f->type = sn->types[c];
		memset(&sn->types[c], 0, sizeof sn->types[c]);
		f->nullable = true;
		f->note = sn->notes[c];
		sn->notes[c] = NULL;
		TRY_OUT(csv_col_plan(&f->type, true, sn->layouts[c], &r->cols[c], err));
	}
	if (r->cfg.types && *r->cfg.types) {
		struct override_ctx o = { r, s, ov };
		TRY_OUT(tarn_parse_type_overrides(r->cfg.types, o.s, apply_override, &o, err));
	}
out:
	tarn_free(ov);
	if (rc) {
		tarn_schema_unref(s);
		return rc;
	}
	r->base.schema = s;
	return TARN_OK;
}

/* The `columns` option: the reader's schema becomes those columns, in
 * that order, and only they are converted. */
static tarn_rc select_columns(struct csv_reader *r, const char *list, const char *name,
			      struct tarn_err *err)
{
	if (!list)
		return TARN_OK;
	const struct tarn_schema *fs = r->base.schema;
	r->sel = tarn_calloc((size_t)fs->n_fields + 1, sizeof *r->sel);
	if (!r->sel)
		return tarn_err_nomem(err, "CSV reader");
	int n = 0;
	for (const char *p = list; *p;) {
		const char *c = strchr(p, ',');
		size_t len = c ? (size_t)(c - p) : strlen(p);
		if (len) {
			int i = -1;
			for (int k = 0; k < fs->n_fields && i < 0; k++)
				if (strlen(fs->fields[k].name) == len &&
				    memcmp(fs->fields[k].name, p, len) == 0)
					i = k;
			if (i < 0)
				return tarn_err_set(err, TARN_ENOTFOUND, "%s: no column '%.*s' in the file",
						    name, (int)len, p);
			for (int k = 0; k < n; k++)
				if (r->sel[k] == i)
					return tarn_err_set(err, TARN_EUSAGE,
							    "%s: column '%.*s' selected twice", name,
							    (int)len, p);
			r->sel[n++] = i;
		}
		p += len + (c != NULL);
	}
	if (n == 0)
		return tarn_err_set(err, TARN_EUSAGE, "%s: option columns: name at least one column",
				    name);
	struct tarn_schema *os;
	if (tarn_schema_new(n, &os))
		return tarn_err_nomem(err, "CSV reader");
	for (int i = 0; i < n; i++)
		if (tarn_field_copy(&os->fields[i], &fs->fields[r->sel[i]])) {
			tarn_schema_unref(os);
			return tarn_err_nomem(err, "CSV reader");
		}
	r->file_schema = r->base.schema; /* the plan keeps pointing at it */
	r->base.schema = os;
	r->plan.sel = r->sel;
	r->plan.n_out = n;
	return TARN_OK;
}

static tarn_rc open_reader(struct tarn_input *in, const struct tarn_opts *opts, uint8_t def_delim,
			   struct tarn_reader **out, struct tarn_err *err)
{
	*out = NULL;
	struct csv_reader *r = tarn_calloc(1, sizeof *r);
	if (!r)
		return tarn_err_nomem(err, "CSV reader");
	r->base.ops = &csv_reader_ops;
	r->base.in = in;
	struct csv_sniffed sn = { 0 };
	tarn_rc rc = parse_reader_opts(opts, def_delim, &r->cfg, err);
	if (rc)
		goto fail;
	r->simd = csv_simd_resolve(r->cfg.simd);

	size_t n = 0;
	const uint8_t *map = tarn_input_mapped(in, &n);
	struct csv_sample smp;
	if (map) {
		smp = (struct csv_sample){ map, n, true, true };
	} else {
		size_t want = SAMPLE_BYTES;
		for (;;) {
			const uint8_t *p;
			rc = tarn_input_peek(in, want, &p, &n, err);
			if (rc)
				goto fail;
			smp = (struct csv_sample){ p, n, n < want, false };
			rc = csv_sniff(&r->cfg, &smp, tarn_input_name(in), &sn, err);
			/* A first row longer than the sample: look further. */
			if (rc == TARN_ELIMIT && !smp.complete && want < (size_t)r->cfg.max_row) {
				want *= 4;
				if (err)
					tarn_err_clear(err);
				continue;
			}
			break;
		}
		if (rc)
			goto fail;
	}
	if (map) {
		rc = csv_sniff(&r->cfg, &smp, tarn_input_name(in), &sn, err);
		if (rc)
			goto fail;
	}
	r->cfg.d = sn.d;
	rc = build_schema(r, &sn, err);
	if (rc)
		goto fail;
	r->plan.cfg = &r->cfg;
	r->plan.ncols = r->ncols;
	r->plan.cols = r->cols;
	r->plan.schema = r->base.schema;
	r->plan.n_out = r->ncols;
	rc = select_columns(r, tarn_opts_get(opts, "columns"), tarn_input_name(in), err);
	if (rc)
		goto fail;
	r->plan.name = tarn_input_name(in);
	r->plan.infer_rows = sn.rows_seen + (sn.header ? 0 : 1);

	if (map) {
		r->map = map;
		r->map_len = n;
		r->data_start = sn.data_start;
		r->expect = r->data_start;
		r->next_nominal = r->data_start;
		r->quote_pos = r->data_start;
		r->map_release = n >= RELEASE_STEP;
		int threads = r->cfg.threads > 0 ? r->cfg.threads : tarn_pool_size();
		size_t body = n - r->data_start;
		r->avg_row = sn.avg_row >= 1 ? sn.avg_row : 64;
		/* A chunk makes about one batch of TARN_BATCH_ROWS rows; small
		 * files still get a few chunks per thread. */
		size_t cb = (size_t)r->cfg.chunk_size;
		if (cb == 0) {
			cb = (size_t)(r->avg_row * TARN_BATCH_ROWS);
			if (cb > CHUNK_MAX)
				cb = CHUNK_MAX;
			if (body / cb < (size_t)threads * 4)
				cb = body / ((size_t)threads * 4);
			if (cb < CHUNK_MIN)
				cb = CHUNK_MIN;
		}
		r->chunk_bytes = cb ? cb : 1;
		r->max_inflight = (threads <= 1 || body <= r->chunk_bytes) ? 1 : threads * 2;
		r->slots = tarn_calloc((size_t)r->max_inflight, sizeof *r->slots);
		if (!r->slots) {
			rc = tarn_err_nomem(err, "CSV reader");
			goto fail;
		}
	} else {
		/* chunk-size also sets the read buffer (tests use tiny ones to
		 * exercise rows split across reads) */
		r->buf_cap = r->cfg.chunk_size > 0 ? (size_t)r->cfg.chunk_size : STREAM_BUF;
		if (r->buf_cap < 16)
			r->buf_cap = 16;
		r->buf = tarn_malloc(r->buf_cap);
		if (!r->buf || (r->ncols && csv_scratch_init(&r->scratch, r->ncols))) {
			rc = tarn_err_nomem(err, "CSV reader");
			goto fail;
		}
		/* The sample is still unread: consume up to the first data row. */
		r->buf_pos = 0;
		size_t skip = sn.data_start;
		while (skip > 0) {
			rc = stream_refill(r, err);
			if (rc)
				goto fail;
			if (r->buf_len >= skip || r->eof) {
				r->buf_pos = skip < r->buf_len ? skip : r->buf_len;
				break;
			}
		}
	}
	csv_sniffed_free(&sn);
	*out = &r->base;
	return TARN_OK;
fail:
	csv_sniffed_free(&sn);
	if (r->base.schema)
		tarn_schema_unref(r->base.schema);
	r->base.schema = NULL;
	csv_close(&r->base);
	return rc;
}

static tarn_rc csv_open_reader(struct tarn_input *in, const struct tarn_opts *opts,
			       struct tarn_reader **out, struct tarn_err *err)
{
	return open_reader(in, opts, 0, out, err);
}

static tarn_rc tsv_open_reader(struct tarn_input *in, const struct tarn_opts *opts,
			       struct tarn_reader **out, struct tarn_err *err)
{
	return open_reader(in, opts, '\t', out, err);
}

static tarn_rc csv_writer_open(struct tarn_output *out, struct tarn_schema *schema,
			       const struct tarn_opts *opts, struct tarn_writer **w,
			       struct tarn_err *err)
{
	return csv_open_writer(out, schema, opts, ',', w, err);
}

static tarn_rc tsv_writer_open(struct tarn_output *out, struct tarn_schema *schema,
			       const struct tarn_opts *opts, struct tarn_writer **w,
			       struct tarn_err *err)
{
	return csv_open_writer(out, schema, opts, '\t', w, err);
}

static int csv_sniff_fn(const uint8_t *p, size_t n)
{
	return csv_sniff_confidence(p, n, ',');
}

static int tsv_sniff_fn(const uint8_t *p, size_t n)
{
	return csv_sniff_confidence(p, n, '\t');
}

static const char *const csv_ext[] = { ".csv", NULL };
static const char *const tsv_ext[] = { ".tsv", ".tab", NULL };

const struct tarn_format tarn_format_csv = {
	.name = "csv",
	.summary = "comma-separated values (RFC 4180; dialect and types sniffed)",
	.extensions = csv_ext,
	.sniff = csv_sniff_fn,
	.open_reader = csv_open_reader,
	.open_writer = csv_writer_open,
	.reader_options = reader_opts,
	.writer_options = writer_opts,
	.stream_compression = true,
};

const struct tarn_format tarn_format_tsv = {
	.name = "tsv",
	.summary = "tab-separated values (CSV rules with a tab delimiter)",
	.extensions = tsv_ext,
	.sniff = tsv_sniff_fn,
	.open_reader = tsv_open_reader,
	.open_writer = tsv_writer_open,
	.reader_options = reader_opts,
	.writer_options = writer_opts,
	.stream_compression = true,
};
