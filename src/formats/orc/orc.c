/*
 * orc.c — the ORC format descriptor: name, extension, sniffing, reader and
 * writer constructors, and the option tables (docs/formats/orc.md describes
 * each option).
 *
 * ORC compresses stream by stream (the `compression` writer option), never
 * as a whole file, so stream_compression is false.
 *
 * Relies on orc_read.c and orc_write.c; the descriptor is immutable, so any
 * thread may use it.
 */
#include <string.h>

#include "formats/orc/orc_int.h"

static const char *const extensions[] = { ".orc", NULL };

/* "ORC" at the start; the PostScript at the end cannot be checked from a
 * prefix. */
static int sniff(const uint8_t *p, size_t n)
{
	if (n >= 3 && memcmp(p, "ORC", 3) == 0)
		return n > 3 ? 95 : 60;
	return 0;
}

static const struct tarn_optdesc reader_options[] = {
	{ "columns", "A,B,...  read only these top-level columns, in this order (default: all)" },
	{ "batch-rows", "N  rows per batch at most (default 65536)" },
	{ "max-batch-values",
	  "N  refuse batches needing more values per column than this (default 134217728)" },
	{ "max-batch-bytes",
	  "BYTES  refuse batches needing more string bytes per column (default 2147483647)" },
	{ "max-metadata-size",
	  "BYTES  refuse footers, stripe footers and row indexes larger than this, "
	  "decompressed (default 268435456)" },
	{ NULL, NULL },
};

static const struct tarn_optdesc writer_options[] = {
	{ "compression", "zstd|zlib|snappy|lz4|brotli|none  stream compression (default zstd)" },
	{ "compression-level", "N  level for zstd (1..22), zlib (1..9), brotli (0..11)" },
	{ "compression-block-size", "BYTES  compression chunk size, K/M suffixes (default 256K)" },
	{ "stripe-size", "BYTES  target stripe size before compression, K/M/G suffixes (default 64M)" },
	{ "row-index-stride", "N  rows per row group in the row index, 0 = no index (default 10000)" },
	{ "dictionary-key-size-threshold",
	  "F  dictionary-encode a string column while distinct/non-null values <= F, 0 = never "
	  "(default 0.8)" },
	{ "format-version", "0.12|0.11  0.11 writes RLE v1 (DIRECT/DICTIONARY) (default 0.12)" },
	{ "unions",
	  "BOOL  write struct<tag: int8, field0, field1, ...> columns as ORC unions (default true)" },
	{ NULL, NULL },
};

const struct tarn_format tarn_format_orc = {
	.name = "orc",
	.summary = "Apache ORC columnar files",
	.extensions = extensions,
	.sniff = sniff,
	.open_reader = orc_open_reader,
	.open_writer = orc_open_writer,
	.reader_options = reader_options,
	.writer_options = writer_options,
	.stream_compression = false,
};
