/*
 * protobuf.c — the "protobuf" format descriptor: a stream of
 * varint-length-delimited protocol buffer messages of one message type,
 * given by a .proto file (proto=, compiled with protoc) or a compiled
 * FileDescriptorSet (descriptor=). Options, schema loading and sniffing live
 * here; the reader is pb_read.c, the writer pb_write.c, and
 * docs/formats/protobuf.md describes the behaviour.
 *
 * Protobuf has no magic number, so sniffing can only say that the start of
 * the input is consistent with delimited messages; it answers with low
 * confidence and any format with a signature wins.
 *
 * Thread-safety: the descriptor and tables are constant.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "formats/protobuf/pb_int.h"

static const struct tarn_optdesc reader_options[] = {
	{ "proto", "FILE  the .proto defining the messages (runs protoc)" },
	{ "descriptor", "FILE  a compiled FileDescriptorSet instead of proto= "
			"(protoc -o FILE --include_imports X.proto)" },
	{ "message", "NAME  the message type of every record, e.g. pkg.Event (default: the "
		     "only top-level message of the file)" },
	{ "import-path", "DIR[:DIR...]  more directories for the .proto's imports" },
	{ "enums", "name|int  read enum fields as value names or numbers (name)" },
	{ "absent", "null|default  absent optional (explicit-presence) fields: null, or their "
		    "default value (null)" },
	{ "max-message-size", "BYTES  refuse messages longer than this (64M)" },
	{ "batch-rows", "N  rows per batch at most (65536)" },
	{ NULL, NULL },
};

static const struct tarn_optdesc writer_options[] = {
	{ "proto", "FILE  the .proto defining the message to write (runs protoc)" },
	{ "descriptor", "FILE  a compiled FileDescriptorSet instead of proto=" },
	{ "message", "NAME  the message type to write (default: the only top-level message)" },
	{ "import-path", "DIR[:DIR...]  more directories for the .proto's imports" },
	{ NULL, NULL },
};

/* "123", "64k", "64M", "1G". */

static tarn_rc read_file(const char *path, uint8_t **out, size_t *out_n, struct tarn_err *err)
{
	struct tarn_input *in;
	TRY(tarn_input_open(path, &in, err));
	struct tarn_buf b;
	tarn_buf_init(&b);
	b.limit = (size_t)256 << 20;
	tarn_rc rc = TARN_OK;
	for (;;) {
		if (tarn_buf_reserve(&b, 65536)) {
			rc = tarn_err_set(err, TARN_ELIMIT, "descriptor=%s: larger than 256 MiB",
					  path);
			break;
		}
		size_t got;
		rc = tarn_input_read(in, b.data + b.len, b.cap - b.len, &got, err);
		if (rc || got == 0)
			break;
		b.len += got;
	}
	tarn_input_close(in);
	if (rc) {
		tarn_buf_free(&b);
		return rc;
	}
	*out_n = b.len;
	*out = (uint8_t *)tarn_buf_steal(&b);
	return TARN_OK;
}

tarn_rc pb_schema_from_opts(const struct tarn_opts *o, bool writer, struct pb_schema **out,
			    struct tarn_err *err)
{
	*out = NULL;
	const char *proto = tarn_opts_get(o, "proto");
	const char *descriptor = tarn_opts_get(o, "descriptor");
	if ((!proto || !*proto) && (!descriptor || !*descriptor))
		return tarn_err_set(err, TARN_EUSAGE,
				    "protobuf needs the message definition: give proto=FILE.proto "
				    "(and message=NAME) as a %s option (-%c proto=FILE), or "
				    "descriptor=FILE for a compiled descriptor set",
				    writer ? "writer" : "reader", writer ? 'w' : 'r');
	if (proto && *proto && descriptor && *descriptor)
		return tarn_err_set(err, TARN_EUSAGE, "give proto= or descriptor=, not both");
	struct pb_schema_opts so = { 0 };
	const char *e = tarn_opts_get(o, "enums");
	if (e && strcasecmp(e, "int") != 0 && strcasecmp(e, "name") != 0)
		return tarn_err_set(err, TARN_EUSAGE, "option enums: '%s' is not name or int", e);
	so.enums_as_int = e && strcasecmp(e, "int") == 0;
	const char *a = tarn_opts_get(o, "absent");
	if (a && strcasecmp(a, "null") != 0 && strcasecmp(a, "default") != 0)
		return tarn_err_set(err, TARN_EUSAGE, "option absent: '%s' is not null or default",
				    a);
	so.absent_default = a && strcasecmp(a, "default") == 0;

	uint8_t *bytes = NULL;
	size_t n = 0;
	char what[512];
	if (proto && *proto) {
		TRY(pb_protoc_run(proto, tarn_opts_get(o, "import-path"), &bytes, &n, err));
		snprintf(what, sizeof what, "proto=%s", proto);
	} else {
		TRY(read_file(descriptor, &bytes, &n, err));
		snprintf(what, sizeof what, "descriptor=%s", descriptor);
	}
	struct pb_descset *d = NULL;
	tarn_rc rc = pb_descset_decode(bytes, n, what, &d, err);
	tarn_free(bytes);
	if (rc)
		return rc;
	return pb_schema_compile(d, tarn_opts_get(o, "message"), &so, out, err);
}

tarn_rc pb_open_reader(struct tarn_input *in, const struct tarn_opts *opts,
		       struct tarn_reader **out, struct tarn_err *err)
{
	int64_t batch_rows, max_message;
	TRY(tarn_opts_int(opts, "batch-rows", TARN_BATCH_ROWS, &batch_rows, err));
	if (batch_rows < 1 || batch_rows > ((int64_t)1 << 24))
		return tarn_err_set(err, TARN_EUSAGE, "option batch-rows: must be 1..16777216");
	TRY(tarn_opts_size(opts, "max-message-size", PB_DEFAULT_MAX_MESSAGE, 1, (int64_t)1 << 30,
			   &max_message, err));
	struct pb_schema *s;
	TRY(pb_schema_from_opts(opts, false, &s, err));
	return pb_reader_open_schema(in, s, batch_rows, max_message, out, err);
}

tarn_rc pb_open_writer(struct tarn_output *out, struct tarn_schema *schema,
		       const struct tarn_opts *opts, struct tarn_writer **w, struct tarn_err *err)
{
	struct pb_schema *s;
	TRY(pb_schema_from_opts(opts, true, &s, err));
	return pb_writer_open_schema(out, schema, s, w, err);
}

/* Walks up to 8 delimited messages checking that each length fits and each
 * message's bytes parse as tag/value pairs. Only plausibility: text (every
 * byte printable or whitespace) is never protobuf here, since length
 * prefixes and tags of small field numbers are control bytes. */
static int sniff(const uint8_t *p, size_t n)
{
	size_t text = 0;
	for (size_t i = 0; i < n && i < 4096; i++)
		text += (p[i] >= 0x20 && p[i] < 0x7f) || p[i] == '\n' || p[i] == '\r' || p[i] == '\t';
	if (n == 0 || text == (n < 4096 ? n : 4096))
		return 0;
	const uint8_t *end = p + n;
	int msgs = 0;
	while (p < end && msgs < 8) {
		uint64_t len;
		const uint8_t *q = pb_get_varint(p, end, &len);
		if (!q || len == 0 || len > ((uint64_t)64 << 20))
			return 0;
		if (len > (uint64_t)(end - q))
			return msgs >= 1 ? 10 : 3; /* ran off the sniffed prefix */
		const uint8_t *m = q, *me = q + len;
		while (m < me) {
			uint64_t tag;
			m = pb_get_varint(m, me, &tag);
			if (!m || (tag >> 3) == 0 || (tag & 7) == PB_WT_EGROUP || (tag & 7) > 5 ||
			    tag >> 32)
				return 0;
			const char *why;
			m = pb_skip(m, me, (uint32_t)(tag >> 3), (int)(tag & 7), NULL, &why);
			if (!m)
				return 0;
		}
		p = me;
		msgs++;
	}
	return msgs >= 2 ? 12 : msgs == 1 ? 5 : 0;
}

static const char *const extensions[] = { ".pb", ".binpb", ".protobuf", NULL };

const struct tarn_format tarn_format_protobuf = {
	.name = "protobuf",
	.summary = "Protocol Buffers: varint-delimited messages of one type (needs proto=)",
	.extensions = extensions,
	.sniff = sniff,
	.open_reader = pb_open_reader,
	.open_writer = pb_open_writer,
	.reader_options = reader_options,
	.writer_options = writer_options,
	.stream_compression = true,
};
