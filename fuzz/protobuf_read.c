/*
 * protobuf_read.c — fuzz target for the protobuf reader and writer
 * (src/formats/protobuf/). The schema is fixed and built in code
 * (tests/unit/pb_testdesc.h: proto3 t3.All with every scalar type, nested,
 * repeated, map, oneof, Timestamp, a wrapper and a recursive message; proto2
 * t2.P2 with required, defaults, a group and packed repeats), so no protoc is
 * needed.
 *
 * Input: byte 0 picks the message and options (bit 0: P2 instead of All,
 * bit 1: enums=int, bit 2: absent=default); the rest is the stream of
 * delimited messages, read with 7-row batches.
 *
 * Invariants beyond "no crash, no leak": every batch passes
 * tarn_array_validate (offsets, lengths, UTF-8), every failure explains
 * itself, and what the reader accepts the writer writes (or refuses as bad
 * data, e.g. an open enum's unknown number read as its digits) and reads
 * back with the same number of rows.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/io.h"
#include "formats/format.h"
#include "formats/protobuf/pb_int.h"
#include "../tests/unit/pb_testdesc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static struct tarn_buf desc;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	tarn_config_set_threads(1);
	pb_test_descset(&desc);
	return 0;
}

static struct pb_schema *schema(int sel)
{
	struct tarn_err err;
	tarn_err_clear(&err);
	struct pb_descset *d;
	struct pb_schema *s = NULL;
	struct pb_schema_opts o = { (sel & 2) != 0, (sel & 4) != 0 };
	if (pb_descset_decode((const uint8_t *)desc.data, desc.len, "fuzz", &d, &err) != TARN_OK ||
	    pb_schema_compile(d, sel & 1 ? "t2.P2" : "t3.All", &o, &s, &err) != TARN_OK)
		abort(); /* the built-in descriptor always compiles */
	return s;
}

/* Reads data; when out is not NULL writes every batch to it. */
static tarn_rc read_all(const uint8_t *data, size_t size, int sel, struct tarn_output *out,
			int64_t *rows)
{
	struct tarn_err err;
	tarn_err_clear(&err);
	*rows = 0;
	struct tarn_input *in;
	if (tarn_input_open_mem(data, size, "fuzz.pb", &in, &err) != TARN_OK)
		abort();
	struct tarn_reader *r;
	tarn_rc rc = pb_reader_open_schema(in, schema(sel), 7, 1 << 20, &r, &err);
	if (rc) {
		tarn_input_close(in);
		if (out)
			tarn_output_close(out);
		return rc;
	}
	struct tarn_writer *w = NULL;
	if (out && pb_writer_open_schema(out, r->schema, schema(sel), &w, &err) != TARN_OK)
		abort(); /* the reader's own schema always plans */
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
		abort(); /* every failure explains itself */
	if (w) {
		if (rc == TARN_OK && tarn_writer_finish(w, &err) == TARN_OK) {
			size_t n;
			const uint8_t *p = tarn_output_mem(w->out, &n);
			int64_t back = 0;
			if (read_all(p, n, sel, NULL, &back) != TARN_OK || back != *rows)
				abort(); /* tarn cannot read its own output */
		}
		tarn_writer_close(w);
	}
	tarn_reader_close(r);
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	struct tarn_output *out;
	struct tarn_err err;
	tarn_err_clear(&err);
	if (tarn_output_open_mem(&out, &err) != TARN_OK)
		return 0;
	int64_t rows;
	(void)read_all(data + 1, size - 1, data[0] & 7, out, &rows);
	return 0;
}
