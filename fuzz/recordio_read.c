/*
 * recordio_read.c — fuzz target for the RecordIO-protobuf reader and writer
 * (src/formats/recordio/). The input is a RecordIO stream, read three ways:
 * default options with 5-row batches, features=columns, and sparse=true with
 * a small infer-rows (so later records can disagree with the sample).
 *
 * Invariants beyond "no crash, no leak": every batch passes
 * tarn_array_validate, every failure explains itself, and the first read's
 * rows written back by the writer (label=label when there is one) read back
 * with the same number of rows.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/io.h"
#include "formats/format.h"

extern const struct tarn_format tarn_format_recordio;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	tarn_config_set_threads(1);
	return 0;
}

static struct tarn_opts *opts(const char *a, const char *b)
{
	struct tarn_opts *o;
	if (tarn_opts_new(&o) != TARN_OK || tarn_opts_set(o, "max-record-size", "1M"))
		abort();
	if (a) {
		struct tarn_err err;
		if (tarn_opts_parse(o, a, &err) || (b && tarn_opts_parse(o, b, &err)))
			abort();
	}
	return o;
}

static tarn_rc read_all(const uint8_t *data, size_t size, struct tarn_opts *o,
			struct tarn_output *out, int64_t *rows)
{
	struct tarn_err err;
	tarn_err_clear(&err);
	*rows = 0;
	struct tarn_input *in;
	if (tarn_input_open_mem(data, size, "fuzz.recordio", &in, &err) != TARN_OK)
		abort();
	struct tarn_reader *r;
	tarn_rc rc = tarn_reader_open_input(in, &tarn_format_recordio, o, &r, &err);
	tarn_opts_free(o);
	if (rc) {
		if (!err.msg[0])
			abort();
		if (out)
			tarn_output_close(out);
		return rc;
	}
	struct tarn_writer *w = NULL;
	if (out) {
		struct tarn_opts *wo;
		if (tarn_opts_new(&wo))
			abort();
		if (tarn_schema_find(tarn_reader_schema(r), "label") >= 0 &&
		    tarn_opts_set(wo, "label", "label"))
			abort();
		if (tarn_writer_open_output(out, &tarn_format_recordio, tarn_reader_schema(r), wo, &w,
					    &err) != TARN_OK)
			abort(); /* every schema the reader makes can be written */
		tarn_opts_free(wo);
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
		if (w) {
			tarn_rc wrc = tarn_writer_write(w, b, &err);
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
			if (read_all(p, n, opts("infer-rows=0", NULL), NULL, &back) != TARN_OK ||
			    back != *rows)
				abort(); /* tarn cannot read its own output */
		}
		tarn_writer_close(w);
	}
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
	int64_t rows;
	(void)read_all(data, size, opts("batch-rows=5", NULL), out, &rows);
	(void)read_all(data, size, opts("features=columns", NULL), NULL, &rows);
	(void)read_all(data, size, opts("sparse=true", "infer-rows=2"), NULL, &rows);
	return 0;
}
