/*
 * json.c — the "json" and "jsonl" format descriptors: option tables, option
 * parsing and content sniffing. The reader is in json_reader.c/json_read.c,
 * the writer in json_write.c; docs/formats/json.md describes the behaviour.
 *
 * Both formats read both shapes (one top-level array of records, or a
 * sequence of values such as JSON Lines); they differ in what they write and
 * in the extensions they claim. Thread-safety: everything here is constant.
 */
#include <stdio.h>
#include <strings.h>

#include "formats/json/json_int.h"

static const struct tarn_optdesc reader_options[] = {
	{ "infer-rows", "N  records sampled to infer the schema; 0 = all (20480)" },
	{ "infer-dates", "true|false  read ISO date/timestamp strings as date/timestamp (false)" },
	{ "unknown-keys", "error|ignore  keys missing from the inferred schema (error)" },
	{ "types", "COL=TYPE,...  set column types instead of inferring them" },
	{ "on-bad-row", "error|skip|null-fill  records that are not valid JSON or do not fit the "
			"schema: fail, drop them, or set the misfit values to null (error)" },
	{ "allow-nan", "true|false  accept NaN, Infinity, -Infinity as numbers (false)" },
	{ "max-depth", "N  deepest nesting of arrays and objects, 1..1000 (64)" },
	{ "max-value-size", "BYTES  longest string or number, as written (64M)" },
	{ "max-record-size", "BYTES  longest record (128M)" },
	{ "read-size", "BYTES  bytes read at a time from compressed or piped input (1M)" },
	{ "chunk-size", "BYTES  input per parallel parse task (about 65536 records)" },
	{ NULL, NULL },
};

static const struct tarn_optdesc writer_options[] = {
	{ "omit-nulls", "true|false  leave null values' keys out of the objects (false)" },
	{ NULL, NULL },
};


tarn_rc json_opts_parse(const struct tarn_opts *o, struct jopts *out, struct tarn_err *err)
{
	memset(out, 0, sizeof *out);
	int64_t v;
	TRY(tarn_opts_int(o, "infer-rows", JSON_DEFAULT_INFER_ROWS, &v, err));
	if (v < 0)
		return tarn_err_set(err, TARN_EUSAGE, "option infer-rows: must be 0 (all) or more");
	out->infer_rows = v;
	TRY(tarn_opts_bool(o, "infer-dates", false, &out->infer_dates, err));
	TRY(tarn_opts_bool(o, "allow-nan", false, &out->allow_nan, err));
	const char *u = tarn_opts_get(o, "unknown-keys");
	if (u && strcasecmp(u, "error") != 0 && strcasecmp(u, "ignore") != 0)
		return tarn_err_set(err, TARN_EUSAGE,
				    "option unknown-keys: '%s' is not error or ignore", u);
	out->unknown_ignore = u && strcasecmp(u, "ignore") == 0;
	const char *b = tarn_opts_get(o, "on-bad-row");
	if (!b || strcasecmp(b, "error") == 0)
		out->bad = BAD_ERROR;
	else if (strcasecmp(b, "skip") == 0)
		out->bad = BAD_SKIP;
	else if (strcasecmp(b, "null-fill") == 0)
		out->bad = BAD_NULL_FILL;
	else
		return tarn_err_set(err, TARN_EUSAGE,
				    "option on-bad-row: '%s' is not error, skip or null-fill", b);
	TRY(tarn_opts_int(o, "max-depth", JSON_DEFAULT_MAX_DEPTH, &v, err));
	if (v < 1 || v > JSON_MAX_DEPTH_CAP)
		return tarn_err_set(err, TARN_EUSAGE, "option max-depth: must be 1..%d",
				    JSON_MAX_DEPTH_CAP);
	out->max_depth = (int)v;
	TRY(tarn_opts_size(o, "max-value-size", JSON_DEFAULT_MAX_VALUE, 1, (int64_t)1 << 30,
		     &out->max_value, err));
	TRY(tarn_opts_size(o, "max-record-size", JSON_DEFAULT_MAX_RECORD, 1, (int64_t)1 << 30,
		     &out->max_record, err));
	TRY(tarn_opts_size(o, "read-size", (int64_t)JSON_DEFAULT_READ_SIZE, 1, (int64_t)1 << 30, &v,
		     err));
	out->read_size = (size_t)v;
	TRY(tarn_opts_size(o, "chunk-size", 0, 1, (int64_t)1 << 30, &v, err));
	out->chunk_size = (size_t)v;
	out->types = tarn_opts_get(o, "types");
	return TARN_OK;
}

/* ---- sniffing ------------------------------------------------------------------ */

static size_t skip_ws(const uint8_t *p, size_t n, size_t i)
{
	while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n'))
		i++;
	return i;
}

/* Confidence that p starts a JSON document (lines = JSON Lines). '[' is the
 * array shape, '{' whose first line closes an object looks like JSON Lines,
 * a '{' continuing over lines like one (pretty-printed) JSON document. */
static int sniff(const uint8_t *p, size_t n, bool lines)
{
	size_t i = 0;
	if (n >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		i = 3;
	i = skip_ws(p, n, i);
	if (i >= n)
		return 0;
	if (p[i] == '[') {
		size_t j = skip_ws(p, n, i + 1);
		if (j < n && !(p[j] == '{' || p[j] == '[' || p[j] == ']' || p[j] == '"' ||
			       p[j] == '-' || (p[j] >= '0' && p[j] <= '9') || p[j] == 't' ||
			       p[j] == 'f' || p[j] == 'n'))
			return 0;
		return lines ? 60 : 90;
	}
	if (p[i] == '{') {
		size_t j = skip_ws(p, n, i + 1);
		if (j < n && p[j] != '"' && p[j] != '}')
			return 0;
		const uint8_t *nl = memchr(p + i, '\n', n - i);
		size_t end = nl ? (size_t)(nl - p) : n;
		while (end > i && (p[end - 1] == '\r' || p[end - 1] == ' ' || p[end - 1] == '\t'))
			end--;
		bool one_line = end > i && p[end - 1] == '}';
		if (one_line)
			return lines ? 90 : 70;
		return lines ? 70 : 90;
	}
	return 0;
}

static int sniff_json(const uint8_t *p, size_t n)
{
	return sniff(p, n, false);
}

static int sniff_jsonl(const uint8_t *p, size_t n)
{
	return sniff(p, n, true);
}

static const char *const json_ext[] = { ".json", NULL };
static const char *const jsonl_ext[] = { ".jsonl", ".ndjson", NULL };

const struct tarn_format tarn_format_json = {
	.name = "json",
	.summary = "JSON: an array of objects (reads JSON Lines too)",
	.extensions = json_ext,
	.sniff = sniff_json,
	.open_reader = json_open_reader,
	.open_writer = json_open_writer_json,
	.reader_options = reader_options,
	.writer_options = writer_options,
	.stream_compression = true,
};

const struct tarn_format tarn_format_jsonl = {
	.name = "jsonl",
	.summary = "JSON Lines / NDJSON: one object per line",
	.extensions = jsonl_ext,
	.sniff = sniff_jsonl,
	.open_reader = json_open_reader,
	.open_writer = json_open_writer_jsonl,
	.reader_options = reader_options,
	.writer_options = writer_options,
	.stream_compression = true,
};
