/*
 * parquet.c — the Parquet format descriptor: name, extension, sniffing,
 * reader and writer constructors, and the option tables (docs/formats/
 * parquet.md describes each option).
 *
 * Parquet files compress page by page (the `compression` writer option),
 * never as a whole, so stream_compression is false.
 *
 * Relies on parquet_read.c and parquet_write.c; the descriptor is immutable,
 * so any thread may use it.
 */
#include <string.h>

#include "formats/parquet/parquet_int.h"

static const char *const extensions[] = { ".parquet", ".parq", NULL };

/* "PAR1" at the start; the footer magic cannot be checked from a prefix.
 * "PARE" is an encrypted file, which the reader explains. */
static int sniff(const uint8_t *p, size_t n)
{
	if (n >= 4 && (memcmp(p, "PAR1", 4) == 0 || memcmp(p, "PARE", 4) == 0))
		return 100;
	return 0;
}

static const struct tarn_optdesc reader_options[] = {
	{ "columns", "A,B,...  read only these top-level columns, in this order (default: all)" },
	{ "int96-unit", "ns|us|ms|s  unit for legacy INT96 timestamps (default ns)" },
	{ "verify-crc", "BOOL  check page checksums when present (default true)" },
	{ "batch-rows", "N  rows per batch at most (default 65536)" },
	{ "max-page-size", "BYTES  refuse pages larger than this, uncompressed (default 1073741824)" },
	{ "max-batch-values",
	  "N  refuse batches needing more values per column than this (default 67108864)" },
	{ NULL, NULL },
};

static const struct tarn_optdesc writer_options[] = {
	{ "compression",
	  "snappy|zstd|gzip|lz4|brotli|none  page compression (default snappy)" },
	{ "compression-level", "N  level for zstd (1..22), gzip (1..9), brotli (0..11)" },
	{ "row-group-size", "BYTES  target row group size, K/M/G suffixes (default 128M)" },
	{ "page-size", "BYTES  target data page size (default 1M)" },
	{ "dictionary", "BOOL  dictionary-encode columns, falling back to plain (default true)" },
	{ "dictionary-size", "BYTES  largest dictionary before falling back (default 1M)" },
	{ "statistics", "BOOL  write min/max/null count per column chunk (default true)" },
	{ "page-version", "1|2  data page format (default 1)" },
	{ "delta", "BOOL  DELTA_BINARY_PACKED for sorted integer columns (default true)" },
	{ "page-index", "BOOL  write the column and offset index of every chunk (default true)" },
	{ "bloom-columns", "A,B  write a Bloom filter for these columns (dotted paths for nested)" },
	{ "bloom-fpp", "P  Bloom filter false-positive rate (default 0.01)" },
	{ "bloom-ndv", "N  distinct values to size Bloom filters for (default: each chunk's count)" },
	{ NULL, NULL },
};

const struct tarn_format tarn_format_parquet = {
	.name = "parquet",
	.summary = "Apache Parquet columnar files",
	.extensions = extensions,
	.sniff = sniff,
	.open_reader = parquet_open_reader,
	.open_writer = parquet_open_writer,
	.reader_options = reader_options,
	.writer_options = writer_options,
	.stream_compression = false,
};
