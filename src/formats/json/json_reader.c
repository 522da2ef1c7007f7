/*
 * json_reader.c — the JSON / JSON Lines reader: input handling, inference
 * driver, and the three ways of feeding records to json_parse_records.
 *
 *  - streaming: compressed input or stdin. Bytes are read into one window
 *    buffer; a record cut by the window end is rolled back, the buffer is
 *    compacted and refilled, and the record parsed again. While inferring,
 *    the buffer keeps every sampled byte, since the sample is parsed a second
 *    time into columns.
 *  - mapped: an uncompressed file or memory block is parsed in place; the
 *    pages behind each handed-out batch are released (tarn_input_release),
 *    so resident memory stays flat on large files.
 *  - parallel: a mapped input with more than one worker thread is cut into
 *    chunks at newlines and the chunks are parsed by the pool, each into its
 *    own batch, and handed out in file order.
 *
 * Design notes (parallel)
 *  1. Chunk starts are guesses: a chunk starting after a newline is only
 *     parsed correctly if a record boundary lies there. Chunk 0 starts at the
 *     real start. If chunk i ends exactly at its stop offset in a boundary
 *     state, chunk i+1 started on a boundary, so by induction every chunk
 *     handed out is right.
 *  2. When chunk i ends elsewhere (a record spanned lines across the cut,
 *     as in pretty-printed files), every later chunk is discarded and the
 *     rest of the input is parsed sequentially from where chunk i ended.
 *  3. Errors and line numbers are chunk-relative until the chunk is handed
 *     out; line_base/record_base (the totals of the chunks before) turn them
 *     into file positions. A chunk's error is only reported once every chunk
 *     before it was found aligned, so it is never an artifact of a guess.
 *
 * Relies on base/io.h (input, mapping), base/pool.h (workers). Thread-safety:
 * one reader per thread; chunk tasks touch only their own slot and the
 * read-only mapping, schema and options.
 */
#include <stdio.h>

#include "base/pool.h"
#include "formats/json/json_int.h"

struct chunk {
	struct tarn_task task;
	struct jreader *r;
	struct jparse ps;
	int64_t start, stop;
	enum jstate state0;
	struct tarn_batch *batch;
	int rc;
	int64_t *bytes_hint; /* string bytes per column in this slot's last batch */
};

struct jreader {
	struct tarn_reader base;
	struct jopts opt;
	const char *name;
	struct tarn_input *in;
	bool value_mode;
	enum jstate start_state;
	int64_t data_start;
	int64_t sample_records;
	bool sample_all;
	int64_t avg_record;
	int64_t rows_hint;

	/* input: a mapping, or the streaming window buffer */
	const uint8_t *map;
	size_t map_len;
	uint8_t *buf;
	size_t buf_len, buf_cap;
	int64_t buf_base;
	bool eof;

	struct jparse seq;
	int64_t *seq_hint;
	bool done;
	tarn_rc fail_rc;
	char fail_msg[TARN_ERR_MSG_MAX];

	/* parallel */
	bool parallel;
	struct chunk *slots;
	int n_slots, head, count;
	int64_t next_start;
	enum jstate next_state;
	int64_t line_base, record_base;
	int64_t bad_base; /* bad rows of the chunks handed out */
	int64_t chunk_size;
};

/* ---- streaming input --------------------------------------------------------------- */

/* Reads more input into the window. keep_all (inference) keeps every byte;
 * otherwise bytes before the parser's position are dropped. */
static tarn_rc refill(struct jreader *r, bool keep_all, struct tarn_err *err)
{
	struct jparse *ps = &r->seq;
	size_t keep_from = keep_all ? 0 : ps->pos;
	if (!keep_all && (int64_t)(r->buf_len - ps->pos) > r->opt.max_record + 64) {
		json_fail_at(ps, TARN_ELIMIT, json_at(ps),
			     "record longer than max-record-size (%lld bytes)",
			     (long long)r->opt.max_record);
		return json_err_report(&ps->err, r->name, 0, 0, err);
	}
	if (keep_from) {
		memmove(r->buf, r->buf + keep_from, r->buf_len - keep_from);
		r->buf_len -= keep_from;
		r->buf_base += (int64_t)keep_from;
	}
	if (r->buf_cap - r->buf_len < r->opt.read_size) {
		size_t cap = r->buf_cap ? r->buf_cap : r->opt.read_size;
		while (cap - r->buf_len < r->opt.read_size)
			cap *= 2;
		uint8_t *nb = tarn_realloc(r->buf, cap);
		if (!nb)
			return tarn_err_nomem(err, "JSON input buffer");
		r->buf = nb;
		r->buf_cap = cap;
	}
	while (!r->eof) {
		size_t got = 0;
		TRY(tarn_input_read(r->in, r->buf + r->buf_len, r->buf_cap - r->buf_len, &got, err));
		if (got == 0)
			r->eof = true;
		r->buf_len += got;
		if (got)
			break;
	}
	json_parse_window(ps, r->buf, r->buf_len, r->buf_base, r->eof);
	return TARN_OK;
}

/* ---- opening: sniff the shape, infer the schema ---------------------------------------- */

static void parse_reset(struct jreader *r, struct jparse *ps)
{
	ps->pos = (size_t)(r->data_start - ps->base);
	ps->line = 0;
	ps->line_start = 0;
	ps->state = r->start_state;
	ps->records = 0;
	ps->rows = 0;
	ps->bad_rows = 0;
	ps->path_n = 0;
}

/* Finds the first byte that is not whitespace (after a UTF-8 BOM). Returns
 * false for an input with no value at all. */
static tarn_rc find_start(struct jreader *r, bool *any, struct tarn_err *err)
{
	struct jparse *ps = &r->seq;
	while (!r->map && r->buf_len < 3 && !r->eof)
		TRY(refill(r, true, err));
	if (ps->n >= 3 && memcmp(ps->p, "\xef\xbb\xbf", 3) == 0)
		r->data_start = 3;
	ps->pos = (size_t)r->data_start;
	for (;;) {
		json_ws(ps);
		if (ps->pos < ps->n)
			break;
		if (ps->final) {
			*any = false;
			return TARN_OK;
		}
		TRY(refill(r, true, err));
	}
	*any = true;
	r->start_state = ps->p[ps->pos] == '[' ? ST_ARR_OPEN : ST_SEQ;
	return TARN_OK;
}

static tarn_rc infer(struct jreader *r, struct jinfer *inf, struct tarn_err *err)
{
	struct jparse *ps = &r->seq;
	bool switched = false;
	int64_t max = r->opt.infer_rows > 0 ? r->opt.infer_rows : INT64_MAX;
	bool truncated = false;
restart:
	parse_reset(r, ps);
	ps->inf = inf;
	for (;;) {
		int rc = json_parse_records(ps, INT64_MAX, max);
		if (rc == JS_OK)
			break;
		if (rc == JS_MORE) {
			if (r->buf_len >= JSON_SAMPLE_BYTES_CAP) {
				truncated = true;
				break;
			}
			TRY(refill(r, true, err));
			continue;
		}
		/* "[1,2]\n[3]\n": a sequence of arrays, not one array of records. */
		if (ps->after_array_data && !switched && r->start_state == ST_ARR_OPEN) {
			switched = true;
			r->start_state = ST_SEQ;
			json_infer_free(inf);
			TRY(json_infer_init(inf));
			goto restart;
		}
		return json_err_report(&ps->err, r->name, 0, 0, err);
	}
	ps->inf = NULL;
	r->sample_records = ps->records;
	r->sample_all = ps->at_end && !truncated;
	int64_t bytes = json_at(ps) - r->data_start;
	r->avg_record = ps->records ? bytes / ps->records + 1 : 256;
	return TARN_OK;
}

/* ---- sequential reading ------------------------------------------------------------- */

/* A new batch whose string columns start with room for what the previous
 * batch of the same parser needed, sparing the regrow-and-copy steps. */
static tarn_rc new_batch(struct jreader *r, int64_t *hint, struct tarn_batch **out)
{
	TRY(tarn_batch_new(r->base.schema, r->rows_hint, out));
	for (int i = 0; hint && i < (*out)->n_cols; i++) {
		struct tarn_array *a = (*out)->cols[i];
		if (hint[i] > 0 && (a->type->id == TARN_T_STRING || a->type->id == TARN_T_BINARY)) {
			int64_t want = hint[i] + hint[i] / 8;
			if (want > ((int64_t)1 << 30))
				want = (int64_t)1 << 30;
			if (tarn_array_reserve_bytes(a, want) != TARN_OK)
				break; /* only a hint: the parse grows what it needs */
		}
	}
	return TARN_OK;
}

static void note_hint(const struct tarn_batch *b, int64_t *hint)
{
	for (int i = 0; hint && i < b->n_cols; i++)
		hint[i] = b->cols[i]->values_len;
}

static tarn_rc seal(struct jreader *r, struct tarn_batch *b, int64_t rows, struct tarn_err *err)
{
	b->n_rows = rows;
	return tarn_batch_seal(b, err);
}

static tarn_rc next_seq(struct jreader *r, struct tarn_batch **out, struct tarn_err *err)
{
	struct jparse *ps = &r->seq;
	struct tarn_batch *b;
	if (new_batch(r, r->seq_hint, &b) != TARN_OK)
		return tarn_err_nomem(err, "JSON batch");
	ps->cols = b->cols;
	ps->rows = 0;
	int64_t start = json_at(ps);
	tarn_rc rc = TARN_OK;
	for (;;) {
		int prc = json_parse_records(ps, start + JSON_BATCH_BYTES, TARN_BATCH_ROWS);
		if (prc == JS_OK)
			break;
		if (prc == JS_MORE && !r->map) {
			if ((rc = refill(r, false, err)))
				goto fail;
			continue;
		}
		rc = json_err_report(&ps->err, r->name, 0, 0, err);
		goto fail;
	}
	if (ps->at_end)
		r->done = true;
	if (r->map) {
		/* Bytes before the next record are never read again. */
		tarn_input_set_consumed(r->in, json_at(ps));
		tarn_input_release(r->in, (size_t)json_at(ps));
	}
	if (ps->rows == 0) {
		tarn_batch_free(b);
		return TARN_OK;
	}
	if ((rc = seal(r, b, ps->rows, err)))
		goto fail;
	note_hint(b, r->seq_hint);
	*out = b;
	return TARN_OK;
fail:
	ps->cols = NULL;
	tarn_batch_free(b);
	return rc;
}

/* ---- parallel reading ------------------------------------------------------------------- */

static void chunk_run(void *arg)
{
	struct chunk *ch = arg;
	struct jreader *r = ch->r;
	struct jparse *ps = &ch->ps;
	ps->p = r->map;
	ps->n = r->map_len;
	ps->base = 0;
	ps->final = true;
	ps->pos = (size_t)ch->start;
	ps->line = 0;
	ps->line_start = ch->start == r->data_start ? 0 : ch->start;
	ps->state = ch->state0;
	ps->records = 0;
	ps->rows = 0;
	ps->bad_rows = 0;
	ps->path_n = 0;
	ch->batch = NULL;
	if (new_batch(r, ch->bytes_hint, &ch->batch) != TARN_OK) {
		ch->batch = NULL;
		ch->rc = json_fail_at(ps, TARN_ENOMEM, ch->start, "out of memory (JSON batch)");
		return;
	}
	ps->cols = ch->batch->cols;
	int64_t stop = ch->stop;
	if (stop - ch->start > JSON_BATCH_BYTES)
		stop = ch->start + JSON_BATCH_BYTES;
	ch->rc = json_parse_records(ps, stop, INT64_MAX);
	if (ch->rc == JS_OK)
		note_hint(ch->batch, ch->bytes_hint);
}

static void submit_chunks(struct jreader *r)
{
	while (r->count < r->n_slots && r->next_start < (int64_t)r->map_len) {
		struct chunk *ch = &r->slots[(r->head + r->count) % r->n_slots];
		ch->start = r->next_start;
		ch->state0 = r->next_state;
		int64_t e = ch->start + r->chunk_size;
		if (e >= (int64_t)r->map_len) {
			e = (int64_t)r->map_len;
		} else {
			const uint8_t *nl = memchr(r->map + e, '\n', r->map_len - (size_t)e);
			e = nl ? nl - r->map + 1 : (int64_t)r->map_len;
		}
		ch->stop = e;
		r->next_start = e;
		r->next_state = r->start_state == ST_SEQ ? ST_SEQ : ST_ARR_ELEM;
		ch->task.fn = chunk_run;
		ch->task.arg = ch;
		tarn_pool_submit(&ch->task);
		r->count++;
	}
}

/* Waits for every chunk in flight and drops its result. */
static void drain(struct jreader *r)
{
	while (r->count > 0) {
		struct chunk *ch = &r->slots[r->head];
		tarn_task_wait(&ch->task);
		ch->ps.cols = NULL;
		tarn_batch_free(ch->batch);
		ch->batch = NULL;
		r->head = (r->head + 1) % r->n_slots;
		r->count--;
	}
}

static tarn_rc next_parallel(struct jreader *r, struct tarn_batch **out, struct tarn_err *err)
{
	for (;;) {
		submit_chunks(r);
		if (r->count == 0) {
			r->done = true;
			return TARN_OK;
		}
		struct chunk *ch = &r->slots[r->head];
		tarn_task_wait(&ch->task);
		r->head = (r->head + 1) % r->n_slots;
		r->count--;
		struct jparse *ps = &ch->ps;
		struct tarn_batch *b = ch->batch;
		ch->batch = NULL;
		ps->cols = NULL;
		if (ch->rc != JS_OK) {
			drain(r);
			tarn_batch_free(b);
			return json_err_report(&ps->err, r->name, r->line_base, r->record_base, err);
		}
		int64_t end = json_at(ps);
		int64_t rows = ps->rows;
		r->bad_base += ps->bad_rows;
		tarn_input_set_consumed(r->in, end);
		if (ps->at_end) {
			drain(r);
			r->done = true;
		} else if (end != ch->stop) {
			/* Design note 2: continue sequentially from the real boundary. */
			drain(r);
			struct jparse *sq = &r->seq;
			sq->p = r->map;
			sq->n = r->map_len;
			sq->base = 0;
			sq->final = true;
			sq->pos = (size_t)end;
			sq->state = ps->state;
			sq->line = r->line_base + ps->line;
			sq->line_start = ps->line_start;
			sq->records = r->record_base + ps->records;
			r->parallel = false;
		} else {
			r->line_base += ps->line;
			r->record_base += ps->records;
		}
		/* Chunks still in flight start at or after `end` (the others were
		 * drained above): the mapping before it can go. */
		tarn_input_release(r->in, (size_t)end);
		if (rows == 0) {
			tarn_batch_free(b);
			if (r->done)
				return TARN_OK;
			if (!r->parallel)
				return next_seq(r, out, err);
			continue;
		}
		tarn_rc rc = seal(r, b, rows, err);
		if (rc) {
			tarn_batch_free(b);
			return rc;
		}
		*out = b;
		return TARN_OK;
	}
}

/* ---- the reader ----------------------------------------------------------------------------- */

static tarn_rc reader_next(struct tarn_reader *base, struct tarn_batch **out, struct tarn_err *err)
{
	struct jreader *r = (struct jreader *)base;
	*out = NULL;
	if (r->fail_rc)
		return tarn_err_set(err, r->fail_rc, "%s", r->fail_msg);
	if (r->done)
		return TARN_OK;
	struct tarn_err e;
	tarn_err_clear(&e);
	tarn_rc rc = r->parallel ? next_parallel(r, out, &e) : next_seq(r, out, &e);
	r->base.bad_rows = r->bad_base + r->seq.bad_rows;
	if (rc) {
		r->fail_rc = rc;
		snprintf(r->fail_msg, sizeof r->fail_msg, "%s",
			 e.rc ? e.msg : tarn_rc_name(rc));
		return tarn_err_set(err, rc, "%s", r->fail_msg);
	}
	return TARN_OK;
}

static void reader_close(struct tarn_reader *base)
{
	struct jreader *r = (struct jreader *)base;
	if (r->slots) {
		drain(r);
		for (int i = 0; i < r->n_slots; i++) {
			json_plan_free(r->slots[i].ps.plan);
			json_parse_free(&r->slots[i].ps);
			tarn_free(r->slots[i].bytes_hint);
		}
		tarn_free(r->slots);
	}
	json_plan_free(r->seq.plan);
	json_parse_free(&r->seq);
	tarn_free(r->seq_hint);
	tarn_free(r->buf);
	tarn_free(r);
}

static const struct tarn_reader_ops reader_ops = { .next = reader_next, .close = reader_close };

static tarn_rc setup_parser(struct jreader *r, struct jparse *ps, bool init,
			    struct tarn_err *err)
{
	if (init)
		TRY(json_parse_init(ps, &r->opt, err));
	TRY(json_plan_new(r->base.schema, r->value_mode, &ps->plan, err));
	ps->value_mode = r->value_mode;
	ps->sample_records = r->sample_records;
	ps->sample_all = r->sample_all;
	return TARN_OK;
}

static tarn_rc setup_parallel(struct jreader *r, struct tarn_err *err)
{
	int64_t len = (int64_t)r->map_len - r->data_start;
	int64_t cs = (int64_t)r->opt.chunk_size;
	if (cs == 0) {
		cs = r->avg_record * TARN_BATCH_ROWS;
		if (cs < ((int64_t)1 << 20))
			cs = (int64_t)1 << 20;
		if (cs > ((int64_t)64 << 20))
			cs = (int64_t)64 << 20;
	}
	if (!r->map || tarn_config_threads() < 2 || len <= cs)
		return TARN_OK;
	r->chunk_size = cs;
	int64_t hint = cs / r->avg_record + cs / r->avg_record / 8 + 16;
	r->rows_hint = hint < 4 * TARN_BATCH_ROWS ? hint : 4 * TARN_BATCH_ROWS;
	r->n_slots = tarn_pool_size() + 2;
	r->slots = tarn_calloc((size_t)r->n_slots, sizeof *r->slots);
	if (!r->slots)
		return tarn_err_nomem(err, "JSON reader");
	for (int i = 0; i < r->n_slots; i++) {
		r->slots[i].r = r;
		TRY(setup_parser(r, &r->slots[i].ps, true, err));
		r->slots[i].bytes_hint = tarn_calloc((size_t)r->base.schema->n_fields + 1,
						     sizeof(int64_t));
		if (!r->slots[i].bytes_hint)
			return tarn_err_nomem(err, "JSON reader");
	}
	r->next_start = r->data_start;
	r->next_state = r->start_state;
	r->parallel = true;
	return TARN_OK;
}

tarn_rc json_open_reader(struct tarn_input *in, const struct tarn_opts *opts,
			 struct tarn_reader **out, struct tarn_err *err)
{
	*out = NULL;
	struct jreader *r = tarn_calloc(1, sizeof *r);
	if (!r)
		return tarn_err_nomem(err, "JSON reader");
	r->base.ops = &reader_ops;
	r->in = in;
	r->name = tarn_input_name(in);
	struct jinfer inf;
	TRY(json_infer_init(&inf));
	tarn_rc rc = json_opts_parse(opts, &r->opt, err);
	if (rc == TARN_OK)
		rc = json_parse_init(&r->seq, &r->opt, err);
	if (rc)
		goto out;
	r->map = tarn_input_mapped(in, &r->map_len);
	if (r->map)
		json_parse_window(&r->seq, r->map, r->map_len, 0, true);
	else if ((rc = refill(r, true, err)))
		goto out;
	bool any;
	TRY_OUT(find_start(r, &any, err));
	if (any)
		TRY_OUT(infer(r, &inf, err));
	TRY_OUT(json_infer_schema(&inf, &r->opt, &r->value_mode, &r->base.schema, err));
	json_infer_free(&inf);
	r->opt.types = NULL; /* points into the caller's options */
	if (!any) {
		r->done = true;
		*out = &r->base;
		return TARN_OK;
	}
	r->rows_hint = TARN_BATCH_ROWS;
	if (r->avg_record > 4096)
		r->rows_hint = 1024;
	TRY_OUT(setup_parser(r, &r->seq, false, err));
	r->seq_hint = tarn_calloc((size_t)r->base.schema->n_fields + 1, sizeof(int64_t));
	if (!r->seq_hint) {
		rc = tarn_err_nomem(err, "JSON reader");
		goto out;
	}
	parse_reset(r, &r->seq);
	TRY_OUT(setup_parallel(r, err));
	*out = &r->base;
	return TARN_OK;
out:
	json_infer_free(&inf);
	tarn_schema_unref(r->base.schema);
	r->base.schema = NULL;
	reader_close(&r->base);
	return rc;
}
