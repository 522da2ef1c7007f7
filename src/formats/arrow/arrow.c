/*
 * arrow.c — the "arrow" (Arrow IPC file format, also Feather v2) and
 * "arrows" (Arrow IPC stream format) format descriptors: extensions,
 * sniffing and option tables. Both read either kind of input (the content
 * decides, see arrow_read.c); they differ in what they write (arrow_write.c).
 * docs/formats/arrow.md describes the options and the type mapping.
 *
 * Buffer compression is inside the format (per buffer), never of the whole
 * file, so stream_compression is false. Thread-safety: everything here is
 * constant.
 */
#include <string.h>

#include "formats/arrow/arrow_int.h"

static const char *const file_extensions[] = { ".arrow", ".feather", ".ipc", NULL };
static const char *const stream_extensions[] = { ".arrows", NULL };

/* "ARROW1" opens the file format. */
static int sniff_file(const uint8_t *p, size_t n)
{
	return n >= 6 && memcmp(p, AX_MAGIC, 6) == 0 ? 100 : 0;
}

/* A stream opens with a Schema message: the continuation marker, a
 * metadata length, then a flatbuffer whose Message has header type Schema. */
static int sniff_stream(const uint8_t *p, size_t n)
{
	if (n < 16)
		return 0;
	uint32_t w;
	memcpy(&w, p, 4);
	size_t at = 4;
	if (w == AX_CONTINUATION) {
		memcpy(&w, p + 4, 4);
		at = 8;
	}
	if (w < 8 || w > (1u << 26) || (w & 7))
		return 0;
	size_t len = w < n - at ? w : n - at;
	struct fb_ctx c;
	fb_ctx_init(&c, p + at, len, 4, NULL, "sniff");
	struct fb_table root;
	if (!fb_root(&c, &root))
		return 0;
	int16_t version = fb_i16(&root, MSG_VERSION, 0);
	uint8_t type = fb_u8(&root, MSG_HEADER_TYPE, 0);
	if (c.rc || type != HDR_SCHEMA || version < AX_METADATA_V4 || version > AX_METADATA_V5)
		return 0;
	return at == 8 ? 90 : 60;
}

static tarn_rc open_file_writer(struct tarn_output *out, struct tarn_schema *schema,
				const struct tarn_opts *opts, struct tarn_writer **w,
				struct tarn_err *err)
{
	return ax_open_writer(out, schema, opts, true, w, err);
}

static tarn_rc open_stream_writer(struct tarn_output *out, struct tarn_schema *schema,
				  const struct tarn_opts *opts, struct tarn_writer **w,
				  struct tarn_err *err)
{
	return ax_open_writer(out, schema, opts, false, w, err);
}

static const struct tarn_optdesc reader_options[] = {
	{ "batch-rows", "N  rows per batch at most; longer record batches are split (65536)" },
	{ "max-message-size",
	  "BYTES  largest message metadata, streamed body or decompressed buffer (2G)" },
	{ NULL, NULL },
};

static const struct tarn_optdesc file_writer_options[] = {
	{ "compression", "lz4|zstd|none  buffer compression (none; lz4 for .feather files)" },
	{ "compression-level", "N  zstd or LZ4 level (codec default)" },
	{ "dictionary", "COLS|auto|none  dictionary-encode these top-level string/binary "
			"columns, or string columns whose first batch repeats values (none)" },
	{ NULL, NULL },
};

static const struct tarn_optdesc stream_writer_options[] = {
	{ "compression", "lz4|zstd|none  buffer compression (none)" },
	{ "compression-level", "N  zstd or LZ4 level (codec default)" },
	{ "dictionary", "COLS|auto|none  dictionary-encode these top-level string/binary "
			"columns, or string columns whose first batch repeats values (none)" },
	{ NULL, NULL },
};

const struct tarn_format tarn_format_arrow = {
	.name = "arrow",
	.summary = "Apache Arrow IPC file format (Feather v2)",
	.extensions = file_extensions,
	.sniff = sniff_file,
	.open_reader = ax_open_reader,
	.open_writer = open_file_writer,
	.reader_options = reader_options,
	.writer_options = file_writer_options,
	.stream_compression = false,
};

const struct tarn_format tarn_format_arrows = {
	.name = "arrows",
	.summary = "Apache Arrow IPC stream format",
	.extensions = stream_extensions,
	.sniff = sniff_stream,
	.open_reader = ax_open_reader,
	.open_writer = open_stream_writer,
	.reader_options = reader_options,
	.writer_options = stream_writer_options,
	.stream_compression = false,
};
