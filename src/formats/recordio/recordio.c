/*
 * recordio.c — the "recordio-protobuf" format descriptor: SageMaker's
 * RecordIO-protobuf training data (MIME application/x-recordio-protobuf),
 * dmlc RecordIO records holding aialgs.data.Record messages. The reader is
 * recordio_read.c, the writer recordio_write.c; docs/formats/
 * recordio-protobuf.md describes the behaviour and the message definition
 * ships as docs/formats/recordio-protobuf.proto.
 *
 * Sniffing: the RecordIO magic at offset 0 followed by a plausible length
 * word. MXNet's image .rec files share the framing (not the payload), so
 * the confidence stays below a format with a payload check; their records
 * fail to decode as Records with a message that says so.
 *
 * Thread-safety: the descriptor and tables are constant.
 */
#include <string.h>

#include "formats/recordio/recordio_int.h"

static const struct tarn_optdesc reader_options[] = {
	{ "features", "list|columns  the feature vector as one list column, or one column per "
		      "dimension f0, f1, ... (list)" },
	{ "sparse", "true|false  always add the keys and shape columns (false: only when the "
		    "sampled records are sparse)" },
	{ "infer-rows", "N  records sampled to decide the columns; 0 = all (1000)" },
	{ "max-record-size", "BYTES  refuse records longer than this (64M)" },
	{ "batch-rows", "N  rows per batch at most (65536)" },
	{ NULL, NULL },
};

static const struct tarn_optdesc writer_options[] = {
	{ "label", "COL  the label column, written as label[\"values\"] (default: no label)" },
	{ "sparse", "true|false  write only non-zero features, with keys and shape (false)" },
	{ "escape", "true|false  split records whose payload holds the RecordIO magic, as dmlc "
		    "does (true)" },
	{ NULL, NULL },
};

static int sniff(const uint8_t *p, size_t n)
{
	if (n < 8 || pb_le32(p) != RIO_MAGIC)
		return 0;
	uint32_t lrec = pb_le32(p + 4);
	uint32_t cflag = lrec >> 29;
	if (cflag != RIO_WHOLE && cflag != RIO_FIRST)
		return 0;
	/* a Record payload starts with a map entry (tag 0x0a or 0x12) */
	if (n > 8 && (lrec & RIO_LEN_MASK) > 0 && p[8] != 0x0a && p[8] != 0x12 && p[8] != 0x1a &&
	    p[8] != 0x22 && p[8] != 0x2a)
		return 40;
	return 95;
}

static const char *const extensions[] = { ".recordio", ".recordio-protobuf", NULL };

const struct tarn_format tarn_format_recordio = {
	.name = "recordio-protobuf",
	.summary = "SageMaker RecordIO-protobuf (application/x-recordio-protobuf) training data",
	.extensions = extensions,
	.sniff = sniff,
	.open_reader = rio_open_reader,
	.open_writer = rio_open_writer,
	.reader_options = reader_options,
	.writer_options = writer_options,
	.stream_compression = true,
};
