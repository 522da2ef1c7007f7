/*
 * csv_read.c — fuzz target for the CSV reader and writer.
 *
 * Each input is read several ways and every successful read is written back
 * through the CSV writer to memory. The ways must agree exactly (same
 * result code, same output bytes), which checks the parallel splitter and
 * the SIMD tokenizers against the sequential scalar parse:
 *   1. sniffed dialect, sequential, scalar tokenizer
 *   2. sniffed dialect, tiny parallel chunks, best SIMD path
 *   3. sniffed dialect, streamed through gzip with a tiny read buffer
 *   4. a fixed odd dialect (';', single quotes, backslash escapes, comments,
 *      null-fill, utf8=replace, small limits), sequential vs parallel.
 *   5. no header and column0 typed as a nested type (JSON text cells; the
 *      input's size picks which), sequential vs parallel; and what is
 *      written reads back, with every column's type given, to the same
 *      bytes (CSV -> CSV is lossless for every type).
 * Never crash, leak or hang; abort() on disagreement.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "base/io.h"
#include "base/mem.h"
#include "formats/format.h"

extern const struct tarn_format tarn_format_csv;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct outcome {
	tarn_rc rc;
	uint8_t *out;
	size_t n;
	char msg[TARN_ERR_MSG_MAX];
};

static struct tarn_opts *opts_of(const char *const *kv)
{
	struct tarn_opts *o = NULL;
	if (tarn_opts_new(&o))
		return NULL;
	for (int i = 0; kv[i]; i++) {
		struct tarn_err e;
		tarn_err_clear(&e);
		if (tarn_opts_parse(o, kv[i], &e)) {
			tarn_opts_free(o);
			return NULL;
		}
	}
	return o;
}

/* The "col=type,..." text of a schema (columns named column0.. here). */
static char *types_of(const struct tarn_schema *s)
{
	size_t cap = 64, n = 0;
	char *t = malloc(cap);
	if (!t)
		abort();
	t[0] = '\0';
	for (int i = 0; i < tarn_schema_num_fields(s); i++) {
		char ty[512];
		tarn_schema_field_type_text(s, i, ty, sizeof ty);
		size_t need = n + strlen(tarn_schema_field_name(s, i)) + strlen(ty) + 4;
		if (need > cap) {
			cap = need * 2;
			t = realloc(t, cap);
			if (!t)
				abort();
		}
		n += (size_t)sprintf(t + n, "%s%s=%s", i ? "," : "", tarn_schema_field_name(s, i), ty);
	}
	return t;
}

static char *last_types; /* set by run() when asked: the reader's schema as types */

static struct outcome run(const uint8_t *data, size_t size, const char *const *kv)
{
	struct outcome oc = { 0 };
	struct tarn_err e;
	tarn_err_clear(&e);
	struct tarn_opts *o = opts_of(kv);
	struct tarn_input *in = NULL;
	struct tarn_reader *r = NULL;
	struct tarn_output *out = NULL;
	struct tarn_writer *w = NULL;
	tarn_rc rc = o ? TARN_OK : TARN_ENOMEM;
	if (!rc)
		rc = tarn_input_open_mem(data, size, "fuzz.csv", &in, &e);
	if (!rc)
		rc = tarn_reader_open_input(in, &tarn_format_csv, o, &r, &e);
	if (!rc && last_types) {
		free(last_types);
		last_types = types_of(tarn_reader_schema(r));
	}
	if (!rc)
		rc = tarn_output_open_mem(&out, &e);
	if (!rc) {
		rc = tarn_writer_open_output(out, &tarn_format_csv, tarn_reader_schema(r), NULL, &w,
					     &e);
		if (!w)
			out = NULL;
	}
	while (!rc) {
		struct tarn_batch *b = NULL;
		rc = tarn_reader_next(r, &b, &e);
		if (rc || !b)
			break;
		rc = tarn_writer_write(w, b, &e);
		tarn_batch_free(b);
	}
	if (!rc)
		rc = tarn_writer_finish(w, &e);
	if (!rc) {
		size_t n;
		const uint8_t *p = tarn_output_mem(out, &n);
		oc.out = malloc(n ? n : 1);
		if (n)
			memcpy(oc.out, p, n);
		oc.n = n;
	}
	oc.rc = rc;
	snprintf(oc.msg, sizeof oc.msg, "%s", e.msg);
	tarn_writer_close(w);
	tarn_reader_close(r);
	tarn_opts_free(o);
	return oc;
}

static void same(const struct outcome *a, const struct outcome *b, const char *what)
{
	bool ok = a->rc == b->rc && a->n == b->n && (a->n == 0 || !memcmp(a->out, b->out, a->n));
	/* a data error must be the same error, with the same line */
	if (ok && a->rc == TARN_EDATA)
		ok = strcmp(a->msg, b->msg) == 0;
	if (!ok) {
		fprintf(stderr, "csv_read: %s disagree: rc %d vs %d\n  %s\n  %s\n", what, a->rc,
			b->rc, a->msg, b->msg);
		abort();
	}
}

static uint8_t *gzip_of(const uint8_t *p, size_t n, size_t *out_n)
{
	uLong cap = compressBound((uLong)n) + 64;
	uint8_t *o = malloc(cap);
	z_stream zs;
	memset(&zs, 0, sizeof zs);
	if (!o || deflateInit2(&zs, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
		free(o);
		return NULL;
	}
	zs.next_in = (Bytef *)p;
	zs.avail_in = (uInt)n;
	zs.next_out = o;
	zs.avail_out = (uInt)cap;
	deflate(&zs, Z_FINISH);
	*out_n = zs.total_out;
	deflateEnd(&zs);
	return o;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Inputs starting with gzip/zstd magic are decoded by the input layer;
	 * they are fine to fuzz too but the variants below compare plain text. */
	static const char *const seq[] = { "threads=1", "simd=scalar", "infer-rows=50",
					   "max-field-size=4K", "max-row-size=8K", NULL };
	static const char *const par[] = { "threads=3", "chunk-size=24", "infer-rows=50",
					   "max-field-size=4K", "max-row-size=8K", NULL };
	static const char *const str[] = { "chunk-size=16", "infer-rows=50", "max-field-size=4K",
					   "max-row-size=8K", NULL };
	struct outcome a = run(data, size, seq);
	bool plain = !(size >= 2 && data[0] == 0x1f && data[1] == 0x8b) &&
		     !(size >= 4 && data[0] == 0x28 && data[1] == 0xb5);
	if (plain) {
		struct outcome b = run(data, size, par);
		same(&a, &b, "sequential and parallel");
		free(b.out);
		size_t gn;
		uint8_t *gz = gzip_of(data, size, &gn);
		if (gz) {
			struct outcome c = run(gz, gn, str);
			/* Over-limit rows may be reported differently: a stream
			 * stops as soon as its buffer holds more than the limit, a
			 * map parses the row to its end (and may meet another
			 * error there first). */
			if (a.rc != TARN_ELIMIT && c.rc != TARN_ELIMIT)
				same(&a, &c, "mapped and streamed");
			free(c.out);
			free(gz);
		}
	}
	free(a.out);

	static const char *const odd_seq[] = { "delimiter=;", "quote='", "escape=backslash",
					       "header=false", "comment=#", "on-bad-row=null-fill",
					       "utf8=replace", "max-field-size=64", "threads=1",
					       "null=-,?", NULL };
	static const char *const odd_par[] = { "delimiter=;", "quote='", "escape=backslash",
					       "header=false", "comment=#", "on-bad-row=null-fill",
					       "utf8=replace", "max-field-size=64", "threads=2",
					       "chunk-size=7", "null=-,?", NULL };
	struct outcome d = run(data, size, odd_seq);
	if (plain) {
		struct outcome f = run(data, size, odd_par);
		same(&d, &f, "odd dialect sequential and parallel");
		free(f.out);
	}
	free(d.out);

	static const char *const nested[] = {
		"types=column0=list<string>",
		"types=column0=struct<a: int64, b: list<float32>, c: map<string, bool>>",
		"types=column0=map<int32, list<date32>>",
		"types=column0=list<list<binary>>",
	};
	const char *nt = nested[size % 4];
	const char *const nest_seq[] = { "header=false", "threads=1", "infer-rows=50",
					 "max-field-size=4K", nt, NULL };
	const char *const nest_par[] = { "header=false", "threads=3", "chunk-size=24",
					 "infer-rows=50", "max-field-size=4K", nt, NULL };
	last_types = calloc(1, 1);
	struct outcome g = run(data, size, nest_seq);
	char *types = last_types;
	last_types = NULL;
	if (plain) {
		struct outcome h = run(data, size, nest_par);
		same(&g, &h, "nested column sequential and parallel");
		free(h.out);
	}
	if (g.rc == TARN_OK && types && types[0]) {
		/* CSV -> CSV with every type given: a fixed point */
		char *tkv = malloc(strlen(types) + 8);
		if (!tkv)
			abort();
		sprintf(tkv, "types=%s", types);
		/* the output has a header (column0,...): a file of null rows
		 * in one column is blank lines, which only a header makes a
		 * table */
		const char *const back[] = { "header=true", "delimiter=,", "quote=\"",
					     "escape=quote", "comment=none", tkv, NULL };
		struct outcome k = run(g.out, g.n, back);
		if (k.rc != TARN_OK || k.n != g.n || (g.n && memcmp(k.out, g.out, g.n))) {
			fprintf(stderr, "csv_read: written CSV does not read back (rc %d): %s\n",
				k.rc, k.msg);
			abort();
		}
		free(k.out);
		free(tkv);
	}
	free(types);
	free(g.out);
	return 0;
}
