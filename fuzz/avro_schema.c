/*
 * avro_schema.c — fuzz target for Avro schema JSON and schema resolution
 * (src/formats/avro/avro_json.c, avro_schema.c, avro_resolve.c).
 *
 * The input is one schema, or two separated by a 0x00 byte: a writer's and a
 * reader's. Each is parsed; a parsed schema's Parsing Canonical Form and
 * full JSON are produced, and the JSON must parse back to the same
 * canonical form. The decode program is built for the writer alone and,
 * with two schemas, for the writer resolved against the reader (defaults,
 * aliases, promotions, unions), which must either succeed or fail with a
 * message; a built program's schema must be writable by the Avro writer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "formats/avro/avro_int.h"

extern const struct tarn_format tarn_format_avro;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct avro_schema *parse(const uint8_t *p, size_t n)
{
	struct avro_schema *s = NULL;
	struct tarn_err err;
	tarn_err_clear(&err);
	tarn_rc rc = avro_schema_parse((const char *)p, n, "fuzz.avsc", &s, &err);
	if (rc) {
		if (!err.msg[0])
			abort();
		return NULL;
	}
	struct tarn_buf a, j;
	tarn_buf_init(&a);
	tarn_buf_init(&j);
	if (avro_schema_canonical(s->root, &a) == TARN_OK &&
	    avro_schema_write_json(s->root, &j) == TARN_OK) {
		struct avro_schema *back = NULL;
		rc = avro_schema_parse(j.data, j.len, "again", &back, &err);
		/* Only limits may differ: the JSON form nests a little deeper. */
		if (rc && rc != TARN_ELIMIT)
			abort();
		if (back) {
			struct tarn_buf b;
			tarn_buf_init(&b);
			if (avro_schema_canonical(back->root, &b) != TARN_OK || b.len != a.len ||
			    memcmp(a.data, b.data, a.len) != 0)
				abort(); /* the JSON written does not say the same */
			tarn_buf_free(&b);
			avro_schema_free(back);
		}
	}
	tarn_buf_free(&a);
	tarn_buf_free(&j);
	return s;
}

static void build(const struct avro_node *w, const struct avro_node *r)
{
	struct avro_prog *pg = NULL;
	struct tarn_err err;
	tarn_err_clear(&err);
	tarn_rc rc = avro_prog_build(w, r, "fuzz", &pg, &err);
	if (rc) {
		if (!err.msg[0])
			abort();
		return;
	}
	struct tarn_output *o;
	if (tarn_output_open_mem(&o, &err) == TARN_OK) {
		struct tarn_writer *wr;
		if (tarn_writer_open_output(o, &tarn_format_avro, pg->schema, NULL, &wr, &err) ==
		    TARN_OK)
			tarn_writer_close(wr);
		else if (err.rc != TARN_ENOMEM)
			abort(); /* every schema the reader makes can be written */
	}
	avro_prog_free(pg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *sep = memchr(data, 0, size);
	size_t n1 = sep ? (size_t)(sep - data) : size;
	struct avro_schema *w = parse(data, n1);
	struct avro_schema *r = sep ? parse(sep + 1, size - n1 - 1) : NULL;
	if (w)
		build(w->root, NULL);
	if (w && r)
		build(w->root, r->root);
	avro_schema_free(w);
	avro_schema_free(r);
	return 0;
}
