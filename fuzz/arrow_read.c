/*
 * arrow_read.c — fuzz target for the Arrow IPC reader (src/formats/arrow/),
 * file and stream formats alike (the reader decides from the content). The
 * input is read from memory with a small max-message-size (so hostile
 * lengths stay cheap); a gzip-compressed input is read as a stream (the
 * non-mapped path). Every batch is checked with tarn_array_validate
 * (offsets, lengths, child lengths, UTF-8).
 *
 * Invariants checked beyond "no crash, no leak": every failure explains
 * itself; the arrays are valid; whatever the reader accepts the Arrow writer
 * writes (with a codec and dictionary encoding picked from the input's first
 * byte) and the reader reads back with the same number of rows; and reading
 * with 3-row batches gives the same rows as the default.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/io.h"
#include "formats/format.h"

extern const struct tarn_format tarn_format_arrow, tarn_format_arrows;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	tarn_config_set_threads(1);
	return 0;
}

static struct tarn_opts *opts(const char *batch_rows)
{
	struct tarn_opts *o;
	if (tarn_opts_new(&o) != TARN_OK || tarn_opts_set(o, "max-message-size", "4M") ||
	    (batch_rows && tarn_opts_set(o, "batch-rows", batch_rows)))
		abort();
	return o;
}

static struct tarn_opts *writer_opts(uint8_t pick, const struct tarn_schema *s)
{
	struct tarn_opts *o;
	static const char *codecs[] = { "none", "lz4", "zstd", "none" };
	if (tarn_opts_new(&o) != TARN_OK || tarn_opts_set(o, "compression", codecs[pick & 3]))
		abort();
	if (pick & 4) {
		/* The first string or binary column, if any. */
		for (int i = 0; i < s->n_fields; i++) {
			enum tarn_type_id id = s->fields[i].type.id;
			if ((id == TARN_T_STRING || id == TARN_T_BINARY) && !strchr(s->fields[i].name, ',')) {
				if (s->fields[i].name[0] && tarn_opts_set(o, "dictionary", s->fields[i].name))
					abort();
				break;
			}
		}
	} else if (pick & 8) {
		if (tarn_opts_set(o, "dictionary", "auto"))
			abort();
	}
	return o;
}

/* Reads data; when out is not NULL writes every batch to it in the format
 * picked by pick. Returns the reader's result and the row count. */
static tarn_rc read_all(const uint8_t *data, size_t size, const char *batch_rows,
			struct tarn_output *out, uint8_t pick, int64_t *rows)
{
	struct tarn_err err;
	tarn_err_clear(&err);
	*rows = 0;
	struct tarn_input *in;
	tarn_rc rc = tarn_input_open_mem(data, size, "fuzz.arrow", &in, &err);
	if (rc) {
		if (out)
			tarn_output_close(out);
		return rc;
	}
	struct tarn_opts *o = opts(batch_rows);
	struct tarn_reader *r;
	rc = tarn_reader_open_input(in, &tarn_format_arrow, o, &r, &err);
	tarn_opts_free(o);
	if (rc) {
		if (!err.msg[0])
			abort(); /* every failure explains itself */
		if (out)
			tarn_output_close(out);
		return rc;
	}
	struct tarn_writer *w = NULL;
	if (out) {
		struct tarn_opts *wo = writer_opts(pick, tarn_reader_schema(r));
		const struct tarn_format *f = pick & 16 ? &tarn_format_arrows : &tarn_format_arrow;
		if (tarn_writer_open_output(out, f, tarn_reader_schema(r), wo, &w, &err) != TARN_OK) {
			fprintf(stderr, "writer refused the schema: %s\n", err.msg);
			abort(); /* any schema the reader makes can be written */
		}
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
				abort(); /* the reader made an invalid array */
		}
		*rows += b->n_rows;
		if (w) {
			tarn_rc wrc = tarn_writer_write(w, b, &err);
			/* Only data the writer may refuse: time values beyond
			 * time32, allocation limits. */
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
			if (read_all(p, n, NULL, NULL, 0, &back) != TARN_OK || back != *rows)
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
	uint8_t pick = size ? data[size - 1] : 0;
	int64_t rows = 0, rows3 = 0;
	tarn_rc rc = read_all(data, size, NULL, out, pick, &rows);
	/* Batch size must not change the outcome. (Skipped for the many empty
	 * rows a tiny input can claim, which would only take long.) */
	if (rows > 100000)
		return 0;
	tarn_rc rc3 = read_all(data, size, "3", NULL, 0, &rows3);
	if ((rc == TARN_OK) != (rc3 == TARN_OK) || (rc == TARN_OK && rows != rows3))
		abort();
	return 0;
}
