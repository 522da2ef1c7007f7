/*
 * avro.c — the Avro format descriptor: name, extension, sniffing, reader and
 * writer constructors, option tables (docs/formats/avro.md describes each
 * option), and the byte-size option parser the reader and writer share.
 *
 * Avro object container files compress block by block (the `compression`
 * writer option), never as a whole, so stream_compression is false.
 *
 * Relies on avro_read.c and avro_write.c. The descriptor is immutable, so
 * any thread may use it.
 */
#include <stdlib.h>
#include <string.h>

#include "formats/avro/avro_int.h"

static const char *const extensions[] = { ".avro", NULL };

/* "Obj" 0x01 starts a container file. The two-byte marker of
 * single-object encoding (C3 01) is too short to be sure of. */
static int sniff(const uint8_t *p, size_t n)
{
	if (n >= 4 && memcmp(p, "Obj\x01", 4) == 0)
		return 100;
	if (n >= 10 && p[0] == 0xc3 && p[1] == 0x01)
		return 10;
	return 0;
}


static const struct tarn_optdesc reader_options[] = {
	{ "schema", "FILE.avsc  reader schema: resolve the file's schema to it (added fields "
		    "with defaults, removed fields, promotions, aliases)" },
	{ "batch-rows", "N  rows per batch at most (default 65536)" },
	{ "max-block-size",
	  "BYTES  refuse blocks larger than this, compressed or not (default 1G)" },
	{ "threads", "N  blocks decoded in parallel (default: the worker pool's size)" },
	{ NULL, NULL },
};

static const struct tarn_optdesc writer_options[] = {
	{ "compression",
	  "deflate|snappy|zstandard|bzip2|xz|null  block codec (default deflate)" },
	{ "compression-level", "N  level for deflate (1..9), zstandard (1..22), bzip2 (1..9), xz "
			       "(0..9)" },
	{ "block-size", "BYTES  uncompressed bytes per block, K/M suffixes (default 1M)" },
	{ "schema", "FILE.avsc  write with this schema (names, enums, fixed, logical types); "
		    "columns matched to its fields by name" },
	{ "record-name", "NAME  name of the top-level record when no schema is given (default "
			 "Row)" },
	{ NULL, NULL },
};

const struct tarn_format tarn_format_avro = {
	.name = "avro",
	.summary = "Apache Avro object container files",
	.extensions = extensions,
	.sniff = sniff,
	.open_reader = avro_open_reader,
	.open_writer = avro_open_writer,
	.reader_options = reader_options,
	.writer_options = writer_options,
	.stream_compression = false,
};
