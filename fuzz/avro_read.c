/*
 * avro_read.c — fuzz target for the Avro reader (src/formats/avro/). The input
 * is an Avro object container file, read from memory with small limits and
 * small batches; every batch is checked with tarn_array_validate (offsets,
 * lengths, child lengths, UTF-8).
 *
 * Invariants checked beyond "no crash, no leak, no hang": every failure
 * explains itself; the arrays are valid; whatever the reader accepts the
 * Avro writer writes, and the reader reads that back with the same number
 * of rows. The input is also read a second time through the streaming path
 * (gzip-wrapped, so it is not memory-mapped and blocks are read one by one
 * from the decompressor) with other batch sizes and two threads, and must
 * give the same outcome and row count.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "base/io.h"
#include "formats/format.h"

extern const struct tarn_format tarn_format_avro;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	tarn_config_set_threads(1);
	return 0;
}

static struct tarn_opts *opts(const char *batch_rows, const char *threads)
{
	struct tarn_opts *o;
	if (tarn_opts_new(&o) != TARN_OK || tarn_opts_set(o, "max-block-size", "4M") ||
	    tarn_opts_set(o, "batch-rows", batch_rows) || tarn_opts_set(o, "threads", threads))
		abort();
	return o;
}

/* Reads data (optionally writing every batch to out); returns the reader's
 * result and the row count. */
static tarn_rc read_all(const uint8_t *data, size_t size, const char *batch_rows,
			const char *threads, struct tarn_output *out, int64_t *rows)
{
	struct tarn_err err;
	tarn_err_clear(&err);
	*rows = 0;
	struct tarn_input *in;
	tarn_rc rc = tarn_input_open_mem(data, size, "fuzz.avro", &in, &err);
	if (rc) {
		if (out)
			tarn_output_close(out);
		return rc;
	}
	struct tarn_opts *o = opts(batch_rows, threads);
	struct tarn_reader *r;
	rc = tarn_reader_open_input(in, &tarn_format_avro, o, &r, &err);
	tarn_opts_free(o);
	if (rc) {
		if (!err.msg[0])
			abort(); /* every failure explains itself */
		if (out)
			tarn_output_close(out);
		return rc;
	}
	struct tarn_writer *w = NULL;
	if (out && tarn_writer_open_output(out, &tarn_format_avro, tarn_reader_schema(r), NULL, &w,
					   &err) != TARN_OK)
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
			/* Only limits the writer may hit with what it was given. */
			if (wrc && wrc != TARN_ENOMEM && wrc != TARN_ELIMIT)
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
			tarn_rc brc = read_all(p, n, "1000", "1", NULL, &back);
			if (brc != TARN_OK || back != *rows)
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
	int64_t rows = 0, rows2 = 0;
	tarn_rc rc = read_all(data, size, "7", "1", out, &rows);
	/* The streaming path: the same bytes gzip-wrapped. */
	uLongf cap = compressBound((uLong)size) + 64;
	uint8_t *z = malloc(cap);
	z_stream zs;
	memset(&zs, 0, sizeof zs);
	if (!z || deflateInit2(&zs, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		abort();
	zs.next_in = (Bytef *)data;
	zs.avail_in = (uInt)size;
	zs.next_out = z;
	zs.avail_out = (uInt)cap;
	if (deflate(&zs, Z_FINISH) != Z_STREAM_END)
		abort();
	size_t zn = cap - zs.avail_out;
	deflateEnd(&zs);
	tarn_rc rc2 = read_all(z, zn, "3", "2", NULL, &rows2);
	free(z);
	/* Same outcome either way (messages may differ in how far the read
	 * got, not whether it failed). */
	if ((rc == TARN_OK) != (rc2 == TARN_OK) || (rc == TARN_OK && rows != rows2))
		abort();
	return 0;
}
