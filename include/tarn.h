/*
 * tarn.h — the public API of libtarn.
 *
 * This is the only header the command-line tool (src/cli/) includes. Handles are
 * opaque; every fallible function returns a tarn_rc and fills an optional
 * caller-supplied struct tarn_err with the first error's message, which names
 * where in the data the problem is (file:line:col, byte offset, column) and what.
 *
 * Data crosses this boundary as columnar batches; for other engines the Arrow C
 * Data and Stream Interfaces below are the zero-copy way in and out.
 *
 * Thread-safety: handles are not shared between threads unless a function says
 * so. Library code never exits or aborts on bad input or out-of-memory.
 */
#ifndef TARN_H
#define TARN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TARN_VERSION "0.1.0"

#if defined(__GNUC__)
#define TARN_MUST_USE __attribute__((warn_unused_result))
#define TARN_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define TARN_MUST_USE
#define TARN_PRINTF(a, b)
#endif

/* ---- errors -------------------------------------------------------------- */

/* Append-only: never renumber. The CLI maps these to exit codes
 * (tarn_rc_exit_code). */
typedef enum tarn_rc {
	TARN_OK = 0,
	TARN_EUSAGE = 1,       /* bad arguments, options or API misuse */
	TARN_EDATA = 2,        /* the input data is malformed */
	TARN_EIO = 3,          /* reading or writing a file failed */
	TARN_ENOMEM = 4,       /* out of memory or over the memory limit */
	TARN_EUNSUPPORTED = 5, /* valid input using a feature tarn lacks */
	TARN_ELIMIT = 6,       /* a safety limit (nesting, field size) was hit */
	TARN_EINTERNAL = 7,    /* a bug in tarn */
	TARN_ENOTFOUND = 8,    /* a named thing (file, column, format) is absent */
} tarn_rc;

#define TARN_ERR_MSG_MAX 1024

/* Caller-supplied error record. Only the first error is kept: later
 * tarn_err_set calls on a set record are ignored, so the root cause wins. */
struct tarn_err {
	tarn_rc rc;
	char msg[TARN_ERR_MSG_MAX];
};

void tarn_err_clear(struct tarn_err *err);
tarn_rc tarn_err_set(struct tarn_err *err, tarn_rc rc, const char *fmt, ...)
	TARN_PRINTF(3, 4);
const char *tarn_rc_name(tarn_rc rc);
/* Process exit status for a return code: 0 ok, 1 usage, 2 bad input data
 * (EDATA, ELIMIT), 3 I/O, 4 out of memory, 5 unsupported, 6 not found,
 * 70 internal error. */
int tarn_rc_exit_code(tarn_rc rc);

/* ---- process-wide configuration ------------------------------------------ */

/* Worker threads for parallel parsing and writing (0 = one per core). Set
 * before the first reader is opened. */
void tarn_config_set_threads(int n);
int tarn_config_threads(void);

/* ---- schemas ------------------------------------------------------------- */

struct tarn_schema; /* immutable once built; reference counted */

int tarn_schema_num_fields(const struct tarn_schema *s);
const char *tarn_schema_field_name(const struct tarn_schema *s, int i);
/* Index of the named top-level field, or -1. */
int tarn_schema_find(const struct tarn_schema *s, const char *name);
/* Human-readable type of field i, e.g. "decimal(15,2)" or "list<string>";
 * written into buf (always NUL-terminated). */
void tarn_schema_field_type_text(const struct tarn_schema *s, int i, char *buf, size_t cap);
bool tarn_schema_field_nullable(const struct tarn_schema *s, int i);
/* A note the reader attached to field i while inferring it (e.g. "mixed
 * string and number values; kept as string"), or NULL. */
const char *tarn_schema_field_note(const struct tarn_schema *s, int i);
/* The schema as JSON text: {"fields":[{"name":..,"type":..,"nullable":..},..]}.
 * Caller frees with tarn_free. */
TARN_MUST_USE tarn_rc tarn_schema_to_json(const struct tarn_schema *s, char **out,
					  struct tarn_err *err);
void tarn_schema_ref(struct tarn_schema *s);
void tarn_schema_unref(struct tarn_schema *s);

/* ---- batches ------------------------------------------------------------- */

struct tarn_batch; /* a set of equal-length columns under one schema */

int64_t tarn_batch_num_rows(const struct tarn_batch *b);
int tarn_batch_num_cols(const struct tarn_batch *b);
const struct tarn_schema *tarn_batch_schema(const struct tarn_batch *b);
bool tarn_batch_is_null(const struct tarn_batch *b, int col, int64_t row);
/* Text of one cell as tarn prints it (the CSV writer's spelling); nested
 * values as JSON. Returns the length written (excluding the NUL), truncated to
 * cap-1. Null cells give "" and return 0. */
size_t tarn_batch_cell_text(const struct tarn_batch *b, int col, int64_t row, char *buf,
			    size_t cap);
void tarn_batch_free(struct tarn_batch *b);

/* ---- options -------------------------------------------------------------- */

/* An ordered list of key=value options for a reader or writer. Each format
 * declares the keys it accepts; an unknown key is a TARN_EUSAGE error that
 * lists the known ones. */
struct tarn_opts;

TARN_MUST_USE tarn_rc tarn_opts_new(struct tarn_opts **out);
/* Copies key and value. Setting a key again replaces its value. */
TARN_MUST_USE tarn_rc tarn_opts_set(struct tarn_opts *o, const char *key, const char *value);
/* Levenshtein distance between two names (99 when either is over 63
 * bytes), for "did you mean" hints; fold_case compares ASCII letters
 * case-insensitively. */
int tarn_edit_distance(const char *a, const char *b, bool fold_case);
/* Parses a byte size: "65536", "128M", "1.5G", "64KiB" (powers of 1024). */
bool tarn_parse_size(const char *s, int64_t *out);
/* This machine's physical memory in bytes (4 GiB when the system does not
 * say). The CLI's default --memory-limit is 80% of it (DESIGN.md §5), so
 * operators stop with a message before the kernel would kill the process. */
int64_t tarn_physical_memory(void);
/* Parses "key=value". */
TARN_MUST_USE tarn_rc tarn_opts_parse(struct tarn_opts *o, const char *kv, struct tarn_err *err);
const char *tarn_opts_get(const struct tarn_opts *o, const char *key);
void tarn_opts_free(struct tarn_opts *o);

/* ---- formats ------------------------------------------------------------- */

/* The registry of file formats. Index from 0 until NULL is returned. */
struct tarn_format_info {
	const char *name;              /* "csv" */
	const char *summary;           /* one line for --help */
	const char *const *extensions; /* NULL-terminated, with the dot: ".csv" */
	bool can_read, can_write;
};
const struct tarn_format_info *tarn_format_info_at(int i);
/* Whether the format's reader (writer) takes option `key`. */
bool tarn_format_has_option(const char *format, bool writer, const char *key);
/* The help text for a format's options (one line per option). */
const char *tarn_format_options_help(const char *format, bool writer);

/* ---- readers --------------------------------------------------------------- */

struct tarn_reader;

/* Opens PATH ("-" = stdin). FORMAT may be NULL to take it from the file
 * extension (after stripping .gz/.zst) or, failing that, by sniffing the
 * content. Compression (.gz, .zst) is detected from the suffix and the magic
 * bytes. OPTS may be NULL. */
TARN_MUST_USE tarn_rc tarn_reader_open(const char *path, const char *format,
				       const struct tarn_opts *opts, struct tarn_reader **out,
				       struct tarn_err *err);
const struct tarn_schema *tarn_reader_schema(const struct tarn_reader *r);
const char *tarn_reader_format(const struct tarn_reader *r);
/* Next batch in file order; *out is NULL at the end. */
TARN_MUST_USE tarn_rc tarn_reader_next(struct tarn_reader *r, struct tarn_batch **out,
				       struct tarn_err *err);
/* Bytes consumed so far and the total (-1 when unknown), for progress bars. */
void tarn_reader_progress(const struct tarn_reader *r, int64_t *done, int64_t *total);
/* Rows the reader skipped or repaired under --on-bad-row (0 otherwise). */
int64_t tarn_reader_bad_rows(const struct tarn_reader *r);
void tarn_reader_close(struct tarn_reader *r);

/* ---- writers --------------------------------------------------------------- */

struct tarn_writer;

/* Creates PATH ("-" = stdout) for a table of SCHEMA. Output goes to a
 * temporary name in the same directory and only appears under PATH when
 * tarn_writer_finish succeeds; closing an unfinished writer removes it.
 * Compression by suffix (.gz, .zst) or the "compression" option. */
TARN_MUST_USE tarn_rc tarn_writer_open(const char *path, const char *format,
				       const struct tarn_schema *schema,
				       const struct tarn_opts *opts, struct tarn_writer **out,
				       struct tarn_err *err);
TARN_MUST_USE tarn_rc tarn_writer_write(struct tarn_writer *w, const struct tarn_batch *b,
					struct tarn_err *err);
/* Flushes, writes any footer, and atomically publishes the file. */
TARN_MUST_USE tarn_rc tarn_writer_finish(struct tarn_writer *w, struct tarn_err *err);
void tarn_writer_close(struct tarn_writer *w);

/* Format name for a path from its extension (ignoring .gz/.zst), or NULL. */
const char *tarn_format_for_path(const char *path);

/* ---- sampling -------------------------------------------------------------- */

enum tarn_sample_method { TARN_SAMPLE_TOPK, TARN_SAMPLE_RANDOM, TARN_SAMPLE_STRATIFIED };

struct tarn_sample_spec {
	enum tarn_sample_method method;
	int64_t n;          /* rows wanted, or -1 to use fraction */
	double fraction;    /* 0 < f <= 1 when n < 0 */
	const char *by;     /* stratified: the class column */
	uint64_t seed;
	/* added for the CLI: called after each input batch with the rows read
	 * so far (for progress bars and the "of N rows" summary); may be NULL. */
	void (*progress)(void *ctx, int64_t rows_read);
	void *progress_ctx;
};

/* Reads R to the end (top-K stops early) and writes the sample to W. One pass,
 * memory bounded by the sample size (fraction sampling of random/stratified
 * holds the chosen rows). Rows keep their input order. */
TARN_MUST_USE tarn_rc tarn_sample(struct tarn_reader *r, struct tarn_writer *w,
				  const struct tarn_sample_spec *spec, int64_t *out_rows,
				  struct tarn_err *err);

/* ---- added for the CLI ---- */

/* Writes N bytes to PATH the way writers publish files: to a temporary name
 * in the same directory, fsync'd, then renamed over PATH, so a reader sees the
 * old file or the new one and a failure leaves nothing behind. For files tarn
 * makes itself rather than through a format writer (`tarn demo`'s raw data). */
TARN_MUST_USE tarn_rc tarn_file_write_atomic(const char *path, const void *data, size_t n,
					     struct tarn_err *err);

/* ---- partitioned output ---- */

struct tarn_partition_opts {
	const char *format;                  /* of the files; NULL = "parquet" */
	const struct tarn_opts *writer_opts; /* for every file; may be NULL */
	int max_open;                        /* partitions (open writers); 0 = 256 */
};

/* Writes the rows of R under DIR, Hive-partitioned by COLS (comma-separated
 * top-level scalar columns): DIR/c1=v1/c2=v2/part-00000.parquet, the
 * partition columns left out of the files. Values are spelled as tarn
 * prints them and percent-encoded as Hive escapes path names (%XX for
 * control characters, DEL, and  " # % ' * / : = ? \ { [ ] ^ ); null and
 * empty values are __HIVE_DEFAULT_PARTITION__. One writer per partition
 * stays open (memory: a row group each for Parquet), so more than
 * max_open distinct partitions is TARN_ELIMIT. DIR must not
 * exist or be an empty directory; everything is written to a temporary
 * directory beside it and renamed to DIR on success, so a failure leaves
 * nothing. *out_rows = rows written, *out_parts (may be NULL) = partitions. */
TARN_MUST_USE tarn_rc tarn_write_partitioned(struct tarn_reader *r, const char *dir,
					     const char *cols,
					     const struct tarn_partition_opts *o,
					     int64_t *out_rows, int64_t *out_parts,
					     struct tarn_err *err);

/* ---- SQL --------------------------------------------------------------------- */

struct tarn_sql_opts {
	int threads;          /* 0 = the worker pool's size */
	int64_t memory_limit; /* bytes the operators may hold; 0 = unlimited */
	const char *home;     /* lake root for CREATE TABLE (HOME/lake/tables/NAME/);
				 NULL = $TARN_HOME, else ./tarn-data */
	const char *timezone; /* the session time zone (SET TimeZone); NULL = UTC */
};

/* Runs a SQL script (statements separated by ';'; docs/sql.md) and returns
 * the last statement's result as a reader: a query's rows, or one status
 * row for COPY (rows written) and CREATE VIEW. Earlier statements run first
 * (their rows are dropped). Errors name line:column in the SQL. */
TARN_MUST_USE tarn_rc tarn_sql_open(const char *sql, size_t len, const struct tarn_sql_opts *o,
				    struct tarn_reader **out, struct tarn_err *err);

/* A session keeps what statements leave behind (views, SET) across
 * tarn_sql_session_run calls, as the `tarn sql` shell needs; tables are
 * in the lake either way. A result reader must be closed before the next
 * run. tarn_sql_interrupt (async-signal-safe) stops the statement running
 * in the session at its next morsel ("interrupted", TARN_ELIMIT). */
struct tarn_sql_session;
TARN_MUST_USE tarn_rc tarn_sql_session_new(const struct tarn_sql_opts *o,
					   struct tarn_sql_session **out);
TARN_MUST_USE tarn_rc tarn_sql_session_run(struct tarn_sql_session *s, const char *sql,
					   size_t len, struct tarn_reader **out,
					   struct tarn_err *err);
void tarn_sql_interrupt(struct tarn_sql_session *s);
void tarn_sql_session_free(struct tarn_sql_session *s);

/* ---- format inspection ----------------------------------------------------- */

/* A Parquet file's footer as text (json = false) or JSON: row groups, column
 * chunks with their encodings, codecs, compressed/uncompressed sizes, value
 * and null counts and decoded min/max statistics. *out is freed with
 * tarn_free. */
TARN_MUST_USE tarn_rc tarn_parquet_meta(const char *path, bool json, char **out,
					struct tarn_err *err);

/* ---- memory ---------------------------------------------------------------- */

void tarn_free(void *p);

/* ---- Arrow C Data and Stream Interfaces -------------------------------------
 * The published ABI (https://arrow.apache.org/docs/format/CDataInterface.html),
 * defined here by the project. */
#ifndef ARROW_C_DATA_INTERFACE
#define ARROW_C_DATA_INTERFACE
#define ARROW_FLAG_DICTIONARY_ORDERED 1
#define ARROW_FLAG_NULLABLE 2
#define ARROW_FLAG_MAP_KEYS_SORTED 4

struct ArrowSchema {
	const char *format;
	const char *name;
	const char *metadata;
	int64_t flags;
	int64_t n_children;
	struct ArrowSchema **children;
	struct ArrowSchema *dictionary;
	void (*release)(struct ArrowSchema *);
	void *private_data;
};

struct ArrowArray {
	int64_t length;
	int64_t null_count;
	int64_t offset;
	int64_t n_buffers;
	int64_t n_children;
	const void **buffers;
	struct ArrowArray **children;
	struct ArrowArray *dictionary;
	void (*release)(struct ArrowArray *);
	void *private_data;
};
#endif

#ifndef ARROW_C_STREAM_INTERFACE
#define ARROW_C_STREAM_INTERFACE
struct ArrowArrayStream {
	int (*get_schema)(struct ArrowArrayStream *, struct ArrowSchema *out);
	int (*get_next)(struct ArrowArrayStream *, struct ArrowArray *out);
	const char *(*get_last_error)(struct ArrowArrayStream *);
	void (*release)(struct ArrowArrayStream *);
	void *private_data;
};
#endif

/* Schema export: a struct-typed ArrowSchema whose children are the fields. */
TARN_MUST_USE tarn_rc tarn_schema_export(const struct tarn_schema *s, struct ArrowSchema *out,
					 struct tarn_err *err);
/* Takes ownership of nothing; *out owns a new schema. */
TARN_MUST_USE tarn_rc tarn_schema_import(const struct ArrowSchema *in, struct tarn_schema **out,
					 struct tarn_err *err);
/* Batch export as a struct-typed ArrowArray. Moves the batch's buffers into
 * OUT (zero copy); B is freed. */
TARN_MUST_USE tarn_rc tarn_batch_export(struct tarn_batch *b, struct ArrowArray *out,
					struct tarn_err *err);
/* Imports a struct-typed ArrowArray described by SCHEMA. Validates offsets,
 * lengths and UTF-8 (the strict level, for untrusted producers) and copies
 * the buffers; IN is released. */
TARN_MUST_USE tarn_rc tarn_batch_import(struct ArrowArray *in, const struct tarn_schema *schema,
					struct tarn_batch **out, struct tarn_err *err);
/* Wraps a reader as an ArrowArrayStream; the stream owns the reader. */
TARN_MUST_USE tarn_rc tarn_reader_export_stream(struct tarn_reader *r,
						 struct ArrowArrayStream *out,
						 struct tarn_err *err);

#ifdef __cplusplus
}
#endif
#endif /* TARN_H */
