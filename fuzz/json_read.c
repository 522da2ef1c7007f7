/*
 * json_read.c — fuzz target for the JSON / JSON Lines reader
 * (src/formats/json/). The first byte picks the options; the rest is the
 * input, read as a memory block through the mapped, parallel-chunk or
 * streaming driver with a small max-depth, every batch checked with
 * tarn_array_validate (offsets, lengths, UTF-8) and written through the
 * JSONL writer to memory.
 *
 * Invariant checked beyond "no crash, no leak": whatever the reader accepts,
 * the writer's output reads back without error (same row count).
 *
 * Selector byte 1: bit 0 format json/jsonl, 1 infer-rows=2, 2
 * unknown-keys=ignore, 3 infer-dates, 4 allow-nan, 5 streaming with
 * read-size=3, 6 parallel chunks of 16 bytes, 7 max-value-size=64.
 * Selector byte 2: bits 0-1 on-bad-row (error, skip, null-fill, error),
 * bit 2 a types override for column "a" (if there is one): bits 3-4 pick
 * int32 or a nested type (maps in both spellings, float32, dates, binary).
 *
 * The input is also parsed as one value (json_value.h, the CSV reader's
 * nested cells) into a type picked by bits 3-4: a failure must leave the
 * array as it was, a success must validate.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/io.h"
#include "formats/format.h"
#include "formats/json/json_value.h"

extern const struct tarn_format tarn_format_json, tarn_format_jsonl;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void set(struct tarn_opts *o, const char *k, const char *v)
{
	if (tarn_opts_set(o, k, v) != TARN_OK)
		abort();
}

/* Reads data; writes JSONL into *out (malloc'd) when out is not NULL.
 * Returns the reader's result. */
static tarn_rc read_all(const uint8_t *data, size_t size, const struct tarn_format *fmt,
			struct tarn_opts *o, bool stream, char **out, size_t *out_n,
			int64_t *rows)
{
	struct tarn_err err;
	tarn_err_clear(&err);
	struct tarn_input *in = NULL;
	struct tarn_reader *r = NULL;
	struct tarn_writer *w = NULL;
	struct tarn_output *mo = NULL;
	*rows = 0;
	tarn_rc rc = tarn_input_open_mem(data, size, "fuzz.json", &in, &err);
	if (rc)
		return rc;
	if (stream) {
		/* A peek takes the mapping away: the reader streams. */
		const uint8_t *p;
		size_t n;
		if (tarn_input_peek(in, 1, &p, &n, &err) != TARN_OK) {
			tarn_input_close(in);
			return TARN_EIO;
		}
	}
	if ((rc = tarn_reader_open_input(in, fmt, o, &r, &err)))
		return rc;
	if (out) {
		if ((rc = tarn_output_open_mem(&mo, &err)))
			goto done;
		rc = tarn_writer_open_output(mo, &tarn_format_jsonl, tarn_reader_schema(r), NULL, &w,
					     &err);
		if (rc)
			goto done;
	}
	for (;;) {
		struct tarn_batch *b;
		if ((rc = tarn_reader_next(r, &b, &err)))
			break;
		if (!b)
			break;
		*rows += tarn_batch_num_rows(b);
		for (int c = 0; c < tarn_batch_num_cols(b); c++)
			if (tarn_array_validate(b->cols[c], true, &err) != TARN_OK ||
			    b->cols[c]->length != b->n_rows)
				abort();
		if (w && (rc = tarn_writer_write(w, b, &err))) {
			tarn_batch_free(b);
			break;
		}
		tarn_batch_free(b);
	}
	if (rc == TARN_OK && w && (rc = tarn_writer_finish(w, &err)) == TARN_OK) {
		size_t n;
		const uint8_t *m = tarn_output_mem(w->out, &n);
		*out = malloc(n + 1);
		if (!*out)
			abort();
		if (n)
			memcpy(*out, m, n);
		*out_n = n;
	}
done:
	tarn_writer_close(w);
	tarn_reader_close(r);
	return rc;
}

static const char *const a_types[] = {
	"int32",
	"map<int64, list<string>>",
	"map<string, struct<x: float32, y: list<date32>>>",
	"list<map<string, binary>>",
};

/* One value into an array of a_types[k] (after a first good value, so a
 * failure has rows and children to keep). */
static void one_value(const uint8_t *data, size_t size, int k, int depth)
{
	struct tarn_type t;
	if (tarn_type_parse(a_types[k], &t, NULL) != TARN_OK)
		abort();
	struct tarn_array *a;
	if (tarn_array_new(&t, 1, &a) != TARN_OK)
		abort();
	static const char *const good[] = { "1", "[{\"key\":1,\"value\":[\"v\"]}]",
					    "{\"k\":{\"x\":1.5,\"y\":[\"2024-01-02\"]}}",
					    "[{\"b\":\"AP8=\"}]" };
	struct json_limits lim;
	json_limits_default(&lim);
	lim.max_depth = depth;
	lim.max_value = 64;
	if (json_value_append((const uint8_t *)good[k], strlen(good[k]), a, &lim, NULL) != TARN_OK)
		abort();
	int64_t len = a->length, kids = a->n_children ? a->children[0]->length : 0;
	struct tarn_err err;
	tarn_err_clear(&err);
	tarn_rc rc = json_value_append(data, size, a, &lim, &err);
	if (rc == TARN_OK ? a->length != len + 1
			  : a->length != len || (a->n_children && a->children[0]->length != kids) ||
				    !err.msg[0])
		abort();
	if (tarn_array_validate(a, true, NULL) != TARN_OK)
		abort();
	tarn_array_free(a);
	tarn_type_clear(&t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	uint8_t sel = data[0], sel2 = data[1];
	data += 2;
	size -= 2;
	struct tarn_opts *o;
	if (tarn_opts_new(&o) != TARN_OK)
		abort();
	set(o, "max-depth", "8");
	if (sel & 2)
		set(o, "infer-rows", "2");
	if (sel & 4)
		set(o, "unknown-keys", "ignore");
	if (sel & 8)
		set(o, "infer-dates", "true");
	if (sel & 16)
		set(o, "allow-nan", "true");
	if (sel & 32)
		set(o, "read-size", "3");
	if (sel & 64)
		set(o, "chunk-size", "16");
	if (sel & 128)
		set(o, "max-value-size", "64");
	static const char *const bad[] = { "error", "skip", "null-fill", "error" };
	set(o, "on-bad-row", bad[sel2 & 3]);
	int k = (sel2 >> 3) & 3;
	if (sel2 & 4) {
		char types[96];
		snprintf(types, sizeof types, "a=%s", a_types[k]);
		set(o, "types", types);
	}
	one_value(data, size, k, (sel & 64) ? 3 : 8);
	const struct tarn_format *fmt = (sel & 1) ? &tarn_format_jsonl : &tarn_format_json;
	char *out = NULL;
	size_t out_n = 0;
	int64_t rows = 0;
	tarn_rc rc = read_all(data, size, fmt, o, (sel & 32) != 0, &out, &out_n, &rows);
	tarn_opts_free(o);
	if (rc == TARN_OK && out) {
		/* What was written must read back: same rows, no error. */
		struct tarn_opts *o2;
		if (tarn_opts_new(&o2) != TARN_OK)
			abort();
		set(o2, "max-depth", "16");
		set(o2, "infer-rows", "0");
		if (sel & 16)
			set(o2, "allow-nan", "true");
		int64_t rows2 = 0;
		tarn_rc rc2 = read_all((const uint8_t *)out, out_n, &tarn_format_jsonl, o2, false, NULL,
				       NULL, &rows2);
		tarn_opts_free(o2);
		if (rc2 != TARN_OK || rows2 != rows)
			abort();
	}
	free(out);
	return 0;
}
