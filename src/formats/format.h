/*
 * format.h — the format plug-in contract and registry.
 *
 * A format is one immutable descriptor (name, extensions, sniff, reader and
 * writer constructors, option tables). `convert`, `schema`, the crawler, SQL
 * table functions and S3 Select all open files through tarn_reader_open /
 * tarn_writer_open (include/tarn.h), which pick the descriptor from the
 * registry in format.c. Adding a format = one folder + one registry entry.
 *
 * A reader is a format struct whose first member is struct tarn_reader; the
 * format's open_reader fills base.ops and base.schema (referenced). The
 * generic layer owns the input and closes it after ops->close. Writers are the
 * same with struct tarn_writer; the generic layer owns the output and commits
 * it after ops->finish succeeds, so a format never publishes a partial file.
 *
 * Batches a reader returns are sealed (tarn_batch_seal) and owned by the
 * caller. Readers process input in bounded memory: they never hold more than
 * a few batches' worth of rows.
 */
#ifndef TARN_FORMATS_FORMAT_H
#define TARN_FORMATS_FORMAT_H

#include "base/io.h"
#include "columnar/array.h"
#include "tarn.h"

/* Rows per batch that readers aim for. */
#define TARN_BATCH_ROWS 65536

struct tarn_optdesc {
	const char *name;
	const char *help; /* "VALUE  what it does (default)" */
};

struct tarn_reader;
struct tarn_writer;

struct tarn_reader_ops {
	tarn_rc (*next)(struct tarn_reader *r, struct tarn_batch **out, struct tarn_err *err);
	void (*close)(struct tarn_reader *r); /* frees the format's struct */
	/* Optional: bytes done and total when the reader has no single input
	 * (datasets); NULL = the input's progress. */
	void (*progress)(const struct tarn_reader *r, int64_t *done, int64_t *total);
};

struct tarn_writer_ops {
	tarn_rc (*write)(struct tarn_writer *w, const struct tarn_batch *b, struct tarn_err *err);
	/* Writes everything still buffered (and any footer) to w->out. */
	tarn_rc (*finish)(struct tarn_writer *w, struct tarn_err *err);
	void (*close)(struct tarn_writer *w); /* frees the format's struct */
};

struct tarn_reader {
	const struct tarn_reader_ops *ops;
	const struct tarn_format *format;
	struct tarn_schema *schema;
	struct tarn_input *in;
	int64_t bad_rows; /* rows skipped or repaired (on-bad-row) */
};

struct tarn_writer {
	const struct tarn_writer_ops *ops;
	const struct tarn_format *format;
	struct tarn_schema *schema;
	struct tarn_output *out;
	bool finished;
};

struct tarn_format {
	const char *name;
	const char *summary;
	const char *const *extensions;
	/* Confidence 0..100 that p[0..n) (the start of the decompressed file)
	 * is this format. */
	int (*sniff)(const uint8_t *p, size_t n);
	tarn_rc (*open_reader)(struct tarn_input *in, const struct tarn_opts *opts,
			       struct tarn_reader **out, struct tarn_err *err);
	tarn_rc (*open_writer)(struct tarn_output *out, struct tarn_schema *schema,
			       const struct tarn_opts *opts, struct tarn_writer **w,
			       struct tarn_err *err);
	const struct tarn_optdesc *reader_options; /* NULL-name terminated */
	const struct tarn_optdesc *writer_options;
	/* Text formats: the generic layer applies gzip/zstd to the whole stream
	 * (suffix or the "compression" writer option). */
	bool stream_compression;
};

const struct tarn_format *tarn_format_find(const char *name);
/* Format from a path's extension (compression suffix ignored), or NULL. */
const struct tarn_format *tarn_format_from_path(const char *path);

/* Opens a reader on an already-open input (takes ownership of `in`, also on
 * failure). fmt NULL = sniff. Used by tests and fuzz targets. */
TARN_MUST_USE tarn_rc tarn_reader_open_input(struct tarn_input *in, const struct tarn_format *fmt,
					     const struct tarn_opts *opts, struct tarn_reader **out,
					     struct tarn_err *err);
/* Opens a writer on an already-open output (takes ownership of `out`). */
TARN_MUST_USE tarn_rc tarn_writer_open_output(struct tarn_output *o, const struct tarn_format *fmt,
					      const struct tarn_schema *schema,
					      const struct tarn_opts *opts, struct tarn_writer **out,
					      struct tarn_err *err);

/* Datasets (dataset.c): many files read as one table. A path is a dataset
 * when it is a directory, or does not exist and holds a glob character
 * (* ? [). tarn_reader_open sends those to tarn_dataset_open; fmt NULL = by
 * each file's extension. */
bool tarn_dataset_path(const char *path);
TARN_MUST_USE tarn_rc tarn_dataset_open(const char *path, const struct tarn_format *fmt,
					const struct tarn_opts *opts, struct tarn_reader **out,
					struct tarn_err *err);
/* A dataset of several paths (files, directories, globs), read in the
 * list's order (a directory's or glob's files sorted in its place). With
 * `filename`, a last column "filename" holds each row's file path. Hive
 * columns come only from a single directory or glob. */
TARN_MUST_USE tarn_rc tarn_dataset_open_list(const char *const *paths, int n,
					     const struct tarn_format *fmt,
					     const struct tarn_opts *opts, bool filename,
					     struct tarn_reader **out, struct tarn_err *err);

/* File pruning for a dataset reader (before its first batch): keep_file
 * (may be NULL) is asked before each file opens, by its index in read
 * order, and false skips the file unopened (a predicate on Hive partition
 * columns, whose values tarn_dataset_part_values gives); opened (may be
 * NULL) sees each member reader before its first batch (to push ranges
 * into it), and an error from it fails the read. false when r is not a
 * dataset. */
struct tarn_dataset_hook {
	bool (*keep_file)(void *ctx, const struct tarn_reader *ds, int64_t file);
	tarn_rc (*opened)(void *ctx, struct tarn_reader *member, struct tarn_err *err);
	void *ctx;
};
bool tarn_dataset_set_hook(struct tarn_reader *r, const struct tarn_dataset_hook *h);
/* The values of dataset column col, one per file (row = file index), when
 * it is a Hive partition column; else NULL. */
const struct tarn_array *tarn_dataset_part_values(const struct tarn_reader *r, int col);
/* Files in the dataset, and files skipped by the hook so far. */
void tarn_dataset_counts(const struct tarn_reader *r, int64_t *files, int64_t *skipped);

/* Option helpers for formats. Each returns TARN_EUSAGE with a message naming
 * the option when the value does not parse. */
TARN_MUST_USE tarn_rc tarn_opts_int(const struct tarn_opts *o, const char *key, int64_t def,
				    int64_t *out, struct tarn_err *err);
TARN_MUST_USE tarn_rc tarn_opts_bool(const struct tarn_opts *o, const char *key, bool def,
				     bool *out, struct tarn_err *err);
/* A byte size: a number with an optional K, M, G or T suffix (powers of
 * 1024; "KiB", "kb" spellings too), within [min, max]. */
TARN_MUST_USE tarn_rc tarn_opts_size(const struct tarn_opts *o, const char *key, int64_t def,
				     int64_t min, int64_t max, int64_t *out, struct tarn_err *err);
/* A copy of src (NULL = empty options). */
TARN_MUST_USE tarn_rc tarn_opts_copy(const struct tarn_opts *src, struct tarn_opts **out);
int tarn_opts_count(const struct tarn_opts *o);
const char *tarn_opts_key_at(const struct tarn_opts *o, int i);
const char *tarn_opts_value_at(const struct tarn_opts *o, int i);

/* Applies "--types" text "col=type,col2=type" (types may contain commas
 * inside <> or ()) to schema S: each named column must exist (otherwise a
 * TARN_EUSAGE error listing the columns), then fn(ctx, index, type) does the
 * format's part (replacing the field's type, planning its parser). */
TARN_MUST_USE tarn_rc tarn_parse_type_overrides(const char *text, const struct tarn_schema *s,
						tarn_rc (*fn)(void *ctx, int col,
							      struct tarn_type *type,
							      struct tarn_err *err),
						void *ctx, struct tarn_err *err);

#endif
