/*
 * orc_read.c — fuzz target for the ORC reader (src/formats/orc/). The
 * input is an ORC file, read from memory with small limits (so hostile
 * sizes stay cheap), every batch checked with tarn_array_validate
 * (offsets, lengths, child lengths, UTF-8).
 *
 * Invariants checked beyond "no crash, no leak": every failure explains
 * itself; the arrays are valid; whatever the reader accepts the ORC writer
 * writes and the reader reads back with the same number of rows; the input
 * read with 5-row batches gives the same rows; and a read restricted by
 * orc_reader_prune (stripe statistics, row index, seeks) on the first
 * column, with bounds taken from the input's bytes, never gives more rows
 * than the whole read.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/io.h"
#include "columnar/text.h"
#include "formats/format.h"
#include "formats/orc/orc_int.h"

extern const struct tarn_format tarn_format_orc;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* One worker: deterministic runs, and crashes in column tasks still
	 * surface in the calling test case. */
	tarn_config_set_threads(1);
	return 0;
}

static struct tarn_opts *opts(const char *batch_rows, bool limits)
{
	struct tarn_opts *o;
	if (tarn_opts_new(&o) != TARN_OK ||
	    (limits && (tarn_opts_set(o, "max-batch-values", "262144") ||
			tarn_opts_set(o, "max-batch-bytes", "4194304") ||
			tarn_opts_set(o, "max-metadata-size", "4194304"))) ||
	    (batch_rows && tarn_opts_set(o, "batch-rows", batch_rows)))
		abort();
	return o;
}

/* Reads data (limits on when it is the fuzzed input); rows counted, each
 * batch validated, and written to w when given. The rows' text goes to
 * text when given. */
static tarn_rc read_all(const uint8_t *data, size_t size, const char *batch_rows, bool limits,
			bool write, struct tarn_buf *text, int64_t *rows)
{
	struct tarn_err err;
	tarn_err_clear(&err);
	*rows = 0;
	struct tarn_input *in;
	tarn_rc rc = tarn_input_open_mem(data, size, "fuzz.orc", &in, &err);
	if (rc)
		return rc;
	struct tarn_opts *o = opts(batch_rows, limits);
	struct tarn_reader *r;
	rc = tarn_reader_open_input(in, &tarn_format_orc, o, &r, &err);
	tarn_opts_free(o);
	if (rc) {
		if (!err.msg[0])
			abort(); /* every failure explains itself */
		return rc;
	}
	struct tarn_writer *w = NULL;
	if (write) {
		struct tarn_output *out;
		if (tarn_output_open_mem(&out, &err) != TARN_OK)
			abort();
		if (tarn_writer_open_output(out, &tarn_format_orc, tarn_reader_schema(r), NULL, &w,
					    &err) != TARN_OK)
			abort(); /* any schema the reader makes can be written */
	}
	for (;;) {
		struct tarn_batch *b;
		rc = tarn_reader_next(r, &b, &err);
		if (rc || !b)
			break;
		for (int c = 0; c < b->n_cols; c++) {
			struct tarn_err verr;
			tarn_err_clear(&verr);
			if (tarn_array_validate(b->cols[c], true, &verr) != TARN_OK)
				abort(); /* the reader made an invalid array */
		}
		for (int64_t i = 0; text && i < b->n_rows; i++) {
			for (int c = 0; c < b->n_cols; c++)
				if (!tarn_array_is_null(b->cols[c], i) &&
				    tarn_value_to_text(b->cols[c], i, true, text))
					abort();
			if (tarn_buf_putc(text, '\n'))
				abort();
		}
		*rows += b->n_rows;
		if (w) {
			tarn_rc wrc = tarn_writer_write(w, b, &err);
			if (wrc && wrc != TARN_ENOMEM && wrc != TARN_ELIMIT && wrc != TARN_EDATA)
				abort();
			if (wrc) {
				tarn_writer_close(w);
				w = NULL;
			}
		}
		tarn_batch_free(b);
	}
	if (rc && !err.msg[0])
		abort();
	if (w) {
		if (rc == TARN_OK && tarn_writer_finish(w, &err) == TARN_OK) {
			size_t n;
			const uint8_t *p = tarn_output_mem(w->out, &n);
			int64_t back = 0;
			if (read_all(p, n, NULL, false, false, NULL, &back) != TARN_OK || back != *rows)
				abort(); /* tarn cannot read its own output */
		}
		tarn_writer_close(w);
	}
	tarn_reader_close(r);
	return rc;
}

/* A read restricted to where the first column may lie in [lo, hi], the
 * bounds taken from the input's bytes. */
static tarn_rc read_pruned(const uint8_t *data, size_t size, int64_t *rows)
{
	struct tarn_err err;
	tarn_err_clear(&err);
	*rows = 0;
	struct tarn_input *in;
	tarn_rc rc = tarn_input_open_mem(data, size, "fuzz.orc", &in, &err);
	if (rc)
		return rc;
	struct tarn_opts *o = opts("7", true);
	struct tarn_reader *r;
	rc = tarn_reader_open_input(in, &tarn_format_orc, o, &r, &err);
	tarn_opts_free(o);
	if (rc)
		return rc;
	const struct tarn_schema *s = tarn_reader_schema(r);
	if (size >= 48 && tarn_schema_num_fields(s) > 0) {
		struct orc_bound lo = { data + 8, 16 }, hi = { data + 24, 16 };
		rc = orc_reader_prune(r, tarn_schema_field_name(s, 0), &lo, &hi, &err);
		if (rc && rc != TARN_ENOTFOUND)
			abort();
	}
	for (;;) {
		struct tarn_batch *b;
		rc = tarn_reader_next(r, &b, &err);
		if (rc || !b)
			break;
		for (int c = 0; c < b->n_cols; c++) {
			struct tarn_err verr;
			tarn_err_clear(&verr);
			if (tarn_array_validate(b->cols[c], true, &verr) != TARN_OK)
				abort();
		}
		*rows += b->n_rows;
		tarn_batch_free(b);
	}
	if (rc && !err.msg[0])
		abort();
	tarn_reader_close(r);
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tarn_buf a, b;
	tarn_buf_init(&a);
	tarn_buf_init(&b);
	int64_t rows = 0, rows5 = 0, pruned = 0;
	tarn_rc rc = read_all(data, size, NULL, true, true, &a, &rows);
	if (rc == TARN_OK) {
		/* 5-row batches: the same rows */
		if (read_all(data, size, "5", true, false, &b, &rows5) != TARN_OK || rows5 != rows ||
		    a.len != b.len || (a.len && memcmp(a.data, b.data, a.len) != 0))
			abort();
		if (read_pruned(data, size, &pruned) == TARN_OK && pruned > rows)
			abort();
	}
	tarn_buf_free(&a);
	tarn_buf_free(&b);
	return 0;
}
