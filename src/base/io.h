/*
 * io.h — file input and atomic file output, with transparent compression.
 *
 * Inputs: a path, "-" for stdin, or a memory block. gzip (concatenated members
 * too) and zstd are detected from the magic bytes and decompressed as a stream.
 * An uncompressed regular file is also memory-mapped, so parallel parsers can
 * split it into chunks (tarn_input_mapped).
 *
 * Outputs: written to a temporary name in the destination's directory and
 * renamed over the destination on commit (fsync'd file, then the directory);
 * closing an uncommitted output unlinks the temporary, so a failed command
 * leaves nothing at the destination. "-" writes to stdout; character devices
 * and FIFOs are written directly.
 *
 * Thread-safety: one thread per handle.
 */
#ifndef TARN_BASE_IO_H
#define TARN_BASE_IO_H

#include <stddef.h>
#include <stdint.h>

#include "tarn.h"

enum tarn_codec {
	TARN_CODEC_NONE = 0,
	TARN_CODEC_GZIP = 1,
	TARN_CODEC_ZSTD = 2,
};

/* Codec named by a path's final suffix (.gz, .zst), else NONE. */
enum tarn_codec tarn_codec_for_path(const char *path);
/* Length of the compression suffix at the end of path (0 if none). */
size_t tarn_codec_suffix_len(const char *path);
/* Parses "gzip"/"gz", "zstd"/"zst", "none"; -1 if unknown. */
int tarn_codec_parse(const char *name);

struct tarn_input;

TARN_MUST_USE tarn_rc tarn_input_open(const char *path, struct tarn_input **out,
				      struct tarn_err *err);
/* A memory block (not copied; must outlive the input). Compression still
 * detected from the magic bytes. */
TARN_MUST_USE tarn_rc tarn_input_open_mem(const void *p, size_t n, const char *name,
					  struct tarn_input **out, struct tarn_err *err);
const char *tarn_input_name(const struct tarn_input *in);
enum tarn_codec tarn_input_codec(const struct tarn_input *in);
/* Whole content when directly addressable (uncompressed regular file or
 * memory input) and nothing has been consumed yet, else NULL. */
const uint8_t *tarn_input_mapped(const struct tarn_input *in, size_t *n);
/* Reads up to cap decompressed bytes; *n = 0 only at end of input. */
TARN_MUST_USE tarn_rc tarn_input_read(struct tarn_input *in, void *buf, size_t cap, size_t *n,
				      struct tarn_err *err);
/* Makes at least `want` bytes available (fewer only at end of input) without
 * consuming them. */
TARN_MUST_USE tarn_rc tarn_input_peek(struct tarn_input *in, size_t want, const uint8_t **p,
				      size_t *n, struct tarn_err *err);
/* Raw (compressed) bytes consumed and total (-1 if unknown). */
void tarn_input_progress(const struct tarn_input *in, int64_t *done, int64_t *total);
/* Tells the input that mapped bytes [0, upto) will not be read again, so a
 * file mapping may drop those pages (MADV_DONTNEED: a re-read would come from
 * the page cache) and keep resident memory flat on large files. A no-op for
 * memory inputs, whose bytes belong to the caller. */
void tarn_input_release(struct tarn_input *in, size_t upto);
/* Marks a mapped input fully consumed (for readers that parse the map). */
void tarn_input_set_consumed(struct tarn_input *in, int64_t raw_bytes);
void tarn_input_close(struct tarn_input *in);

struct tarn_output;

/* codec < 0: from the path's suffix. level 0: codec default. */
TARN_MUST_USE tarn_rc tarn_output_open(const char *path, int codec, int level,
				       struct tarn_output **out, struct tarn_err *err);
/* Collects output in memory (tests, fuzzing). */
TARN_MUST_USE tarn_rc tarn_output_open_mem(struct tarn_output **out, struct tarn_err *err);
const char *tarn_output_name(const struct tarn_output *o);
TARN_MUST_USE tarn_rc tarn_output_write(struct tarn_output *o, const void *p, size_t n,
					struct tarn_err *err);
/* Bytes written so far (uncompressed). */
int64_t tarn_output_bytes(const struct tarn_output *o);
/* Flushes and publishes. Safe to call once. */
TARN_MUST_USE tarn_rc tarn_output_commit(struct tarn_output *o, struct tarn_err *err);
/* Memory outputs: the collected bytes (valid until close). */
const uint8_t *tarn_output_mem(const struct tarn_output *o, size_t *n);
void tarn_output_close(struct tarn_output *o);

/* Removes directory `dir` and everything under it (depth first; symlinks
 * are removed, not followed). A missing `dir` (or a non-directory) is not
 * an error. */
tarn_rc tarn_remove_tree(const char *dir, struct tarn_err *err);

#endif
