/*
 * parquet_read.c — fuzz target for the Parquet reader (src/formats/parquet/).
 * The input is a Parquet file, read from memory with small page and batch
 * limits (so hostile sizes stay cheap), every batch checked with
 * tarn_array_validate (offsets, lengths, child lengths, UTF-8).
 *
 * Invariants checked beyond "no crash, no leak": the arrays are valid, and
 * whatever the reader accepts the Parquet writer writes and the reader reads
 * back with the same number of rows. The input is read a second time with
 * 5-row batches (row boundaries inside pages) and must give the same rows,
 * and a third time restricted by pq_reader_prune (statistics, ColumnIndex,
 * OffsetIndex from the input) on its first column, with a bound taken from
 * the input's first bytes: never more rows than the whole read.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/io.h"
#include "formats/format.h"
#include "formats/parquet/parquet_int.h"

extern const struct tarn_format tarn_format_parquet;

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

/* Small limits for the fuzzed input; tarn's own output (read back) gets the
 * defaults, as its pages may be somewhat larger than the input's. */
static struct tarn_opts *opts(const char *batch_rows, bool limits)
{
	struct tarn_opts *o;
	if (tarn_opts_new(&o) != TARN_OK ||
	    (limits && (tarn_opts_set(o, "max-page-size", "4194304") ||
			tarn_opts_set(o, "max-batch-values", "1048576"))) ||
	    (batch_rows && tarn_opts_set(o, "batch-rows", batch_rows)))
		abort();
	return o;
}

/* Reads data; when w is not NULL writes every batch to it. Returns the
 * reader's result and the row count. */
static tarn_rc read_all(const uint8_t *data, size_t size, const char *batch_rows,
			struct tarn_output *out, int64_t *rows)
{
	struct tarn_err err;
	tarn_err_clear(&err);
	*rows = 0;
	struct tarn_input *in;
	tarn_rc rc = tarn_input_open_mem(data, size, "fuzz.parquet", &in, &err);
	if (rc)
		return rc;
	struct tarn_opts *o = opts(batch_rows, out != NULL || batch_rows != NULL);
	struct tarn_reader *r;
	rc = tarn_reader_open_input(in, &tarn_format_parquet, o, &r, &err);
	tarn_opts_free(o);
	if (rc) {
		if (!err.msg[0])
			abort(); /* every failure explains itself */
		if (out)
			tarn_output_close(out);
		return rc;
	}
	struct tarn_writer *w = NULL;
	if (out && tarn_writer_open_output(out, &tarn_format_parquet, tarn_reader_schema(r), NULL,
					   &w, &err) != TARN_OK)
		abort(); /* any schema the reader makes can be written */
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
		*rows += b->n_rows;
		if (w) {
			tarn_rc wrc = tarn_writer_write(w, b, &err);
			/* Only data the writer may refuse: nulls under a
			 * required field, out-of-range times. */
			if (wrc && wrc != TARN_EDATA && wrc != TARN_ENOMEM && wrc != TARN_ELIMIT)
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
			if (read_all(p, n, NULL, NULL, &back) != TARN_OK || back != *rows)
				abort(); /* tarn cannot read its own output */
		}
		tarn_writer_close(w);
	}
	tarn_reader_close(r);
	return rc;
}

/* A read restricted to the pages where the first column may lie in
 * [data[0..k), data[k..2k)). */
static tarn_rc read_pruned(const uint8_t *data, size_t size, int64_t *rows)
{
	struct tarn_err err;
	tarn_err_clear(&err);
	*rows = 0;
	struct tarn_input *in;
	tarn_rc rc = tarn_input_open_mem(data, size, "fuzz.parquet", &in, &err);
	if (rc)
		return rc;
	struct tarn_opts *o = opts("7", true);
	struct tarn_reader *r;
	rc = tarn_reader_open_input(in, &tarn_format_parquet, o, &r, &err);
	tarn_opts_free(o);
	if (rc)
		return rc;
	const struct tarn_schema *s = tarn_reader_schema(r);
	size_t k = size >= 32 ? (size & 4 ? 4 : 8) : 0;
	struct pq_bound lo = { data + 4, k }, hi = { data + 4 + k, k };
	if (k && tarn_schema_num_fields(s) > 0) {
		rc = pq_reader_prune(r, tarn_schema_field_name(s, 0), &lo, &hi, &err);
		if (rc && rc != TARN_ENOTFOUND) /* a nested first field has no leaf of its name */
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
	struct tarn_output *out;
	struct tarn_err err;
	tarn_err_clear(&err);
	if (tarn_output_open_mem(&out, &err) != TARN_OK)
		return 0;
	int64_t rows = 0, rows5 = 0;
	tarn_rc rc = read_all(data, size, NULL, out, &rows);
	tarn_rc rc5 = read_all(data, size, "5", NULL, &rows5);
	/* Batch size must not change the outcome (errors may differ only in
	 * how far the read got). */
	if (rc == TARN_OK && rc5 == TARN_OK && rows != rows5)
		abort();
	int64_t rowsp = 0;
	if (read_pruned(data, size, &rowsp) == TARN_OK && rc == TARN_OK && rowsp > rows)
		abort(); /* pruning only ever drops rows */
	return 0;
}
