/*
 * cli.h — what the tarn subcommands share: the command descriptor and
 * option tables (help text is generated from them), argument parsing,
 * error and usage reporting, number formatting, the progress bar, and the
 * reader → writer copy loop that `convert`, `cat` and `demo` use.
 *
 * The CLI is a client of include/tarn.h and nothing else: no internal
 * headers, no library logic here. Every command is one `const struct
 * cli_cmd` in its own cmd_*.c file, listed in the table in main.c.
 *
 * Thread-safety: the CLI is single-threaded (the library may run a pool).
 */
#ifndef TARN_CLI_CLI_H
#define TARN_CLI_CLI_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "tarn.h"

/* Returns the tarn_rc of expr when it fails (the CLI's TRY). */
#define TRY_CLI(expr)                          \
	do {                                   \
		tarn_rc try_rc_ = (expr);      \
		if (try_rc_ != TARN_OK)        \
			return try_rc_;        \
	} while (0)

/* ---- option tables and commands ----------------------------------------- */

/* Global options have ids below 0 and are accepted before the command and
 * anywhere after it. Command options use small positive ids (often the
 * short letter). */
enum {
	CLI_G_HELP = -1,
	CLI_G_VERSION = -2,
	CLI_G_QUIET = -3,
	CLI_G_THREADS = -4,
};

struct cli_opt {
	int id;           /* 0 ends a table */
	const char *name; /* long name without the dashes: "from" */
	char short_name;  /* 'n', or 0 */
	const char *arg;  /* metavariable ("FMT") when a value follows, else NULL */
	const char *help; /* one line */
};

/* Options several commands share: one id, one spelling, one help line. */
enum {
	CLI_O_FROM = 100,
	CLI_O_TO,
	CLI_O_TYPES,
	CLI_O_BAD_ROW,
	CLI_O_ROPT,
	CLI_O_WOPT,
	CLI_O_COMPRESSION,
	CLI_O_JSON,
	CLI_O_INFER_ROWS,
	/* Format shorthands (cli.c: fmt_flags maps each to an option key). */
	CLI_O_SCHEMA,
	CLI_O_PROTO,
	CLI_O_MESSAGE,
	CLI_O_LABEL,
	CLI_O_SPARSE,
	CLI_O_ROW_GROUP_SIZE,
};

#define CLI_OPT_FROM                                                                      \
	{ CLI_O_FROM, "from", 0, "FMT",                                                   \
	  "input format (default: from the file name, else sniffed from the content)" }
#define CLI_OPT_TO(deflt) { CLI_O_TO, "to", 0, "FMT", "output format (default: " deflt ")" }
#define CLI_OPT_TYPES                                                                     \
	{ CLI_O_TYPES, "types", 0, "COL=TYPE,...",                                        \
	  "override inferred column types, e.g. zip=string,amount=decimal(10,2)" }
#define CLI_OPT_INFER_ROWS                                                                \
	{ CLI_O_INFER_ROWS, "infer-rows", 0, "N",                                         \
	  "rows sampled to infer types (0 = the whole file; text formats)" }
#define CLI_OPT_BAD_ROW                                                                   \
	{ CLI_O_BAD_ROW, "on-bad-row", 0, "MODE",                                         \
	  "error (default), skip, or null-fill rows that do not parse" }
#define CLI_OPT_ROPT                                                                      \
	{ CLI_O_ROPT, "reader-option", 'r', "KEY=VALUE",                                  \
	  "reader option (repeatable; see 'tarn formats FMT')" }
#define CLI_OPT_WOPT                                                                      \
	{ CLI_O_WOPT, "writer-option", 'w', "KEY=VALUE",                                  \
	  "writer option (repeatable; see 'tarn formats FMT')" }
#define CLI_OPT_COMPRESSION                                                               \
	{ CLI_O_COMPRESSION, "compression", 0, "CODEC",                                   \
	  "text formats: gzip, zstd or none (default: from the .gz/.zst suffix); "        \
	  "Parquet: snappy, zstd, gzip, lz4, brotli, none; see 'tarn formats FMT'" }
/* Shorthands for format options. Each goes to the reader and/or the writer
 * whose format takes it, and is a usage error when neither does. */
#define CLI_OPT_FMT_READ                                                                  \
	{ CLI_O_SCHEMA, "schema", 0, "FILE",                                              \
	  "Avro: read (and write) with this schema (.avsc), resolving the file's to it" },  \
	{ CLI_O_PROTO, "proto", 0, "FILE", "Protobuf: the .proto file describing the messages" }, \
	{ CLI_O_MESSAGE, "message", 0, "NAME", "Protobuf: the message type, e.g. pkg.Event" }
#define CLI_OPT_FMT_WRITE                                                                 \
	{ CLI_O_LABEL, "label", 0, "COL", "RecordIO-protobuf: the label column" },         \
	{ CLI_O_SPARSE, "sparse", 0, NULL,                                                \
	  "RecordIO-protobuf: write sparse feature tensors (non-zero values only)" },      \
	{ CLI_O_ROW_GROUP_SIZE, "row-group-size", 0, "BYTES",                             \
	  "Parquet: target row group size, K/M/G suffixes (default 128M)" }
#define CLI_OPT_END { 0, NULL, 0, NULL, NULL }

/* Reader option keys the dedicated flags map to. */
#define CLI_KEY_TYPES "types"
#define CLI_KEY_BAD_ROW "on-bad-row"
#define CLI_KEY_INFER_ROWS "infer-rows"

struct cli_args; /* parsed command line; see below */

struct cli_cmd {
	const char *name;
	const char *summary;     /* one line for `tarn --help` */
	const char *synopsis;    /* after "usage: tarn ", e.g. "head [-n N] FILE" */
	const char *description; /* paragraphs for `tarn CMD --help` */
	const struct cli_opt *opts;
	int min_pos, max_pos; /* positional arguments accepted */
	int (*run)(const struct cli_cmd *cmd, const struct cli_args *a);
};

struct cli_setting {
	const struct cli_opt *opt;
	const char *value; /* NULL for flags */
};

struct cli_args {
	const struct cli_cmd *cmd;
	int n_pos;
	const char **pos;
	int n_set; /* in command-line order; repeated options appear repeatedly */
	struct cli_setting *set;
};

/* The command table (main.c). */
extern const struct cli_cmd *const cli_commands[];
extern const struct cli_opt cli_global_opts[];

/* Process-wide CLI state, set once in main. */
struct cli_state {
	bool quiet;
	bool stdout_tty, stderr_tty;
	bool color; /* stdout is a terminal and NO_COLOR is unset */
};
extern struct cli_state cli;

/* Parses argv (after the command name) against cmd's table plus the global
 * options. Returns -1 when it printed a usage error (exit 1), 1 when it
 * printed help (exit 0), 0 when *a is filled in. Free with cli_args_free. */
int cli_args_parse(const struct cli_cmd *cmd, int argc, char **argv, struct cli_args *a);
void cli_args_free(struct cli_args *a);
/* Last value given for option id, or NULL. */
const char *cli_get(const struct cli_args *a, int id);
bool cli_has(const struct cli_args *a, int id);

/* Applies one global option (shared by main's pre-command parsing and
 * cli_args_parse). Returns 0, or 1 after a usage error was printed. */
int cli_apply_global(const struct cli_opt *o, const char *value, const struct cli_cmd *cmd);

void cli_print_cmd_help(const struct cli_cmd *cmd, FILE *f);
void cli_print_main_help(FILE *f);
/* The exit-status table shown by `tarn --help` and docs/cli.md. */
extern const char cli_exit_codes_help[];

/* ---- reporting ----------------------------------------------------------- */

/* Prints "tarn: MESSAGE" and a pointer to the command's help; returns 1. */
int cli_usage(const struct cli_cmd *cmd, const char *fmt, ...) TARN_PRINTF(2, 3);
/* Prints "tarn: " + the error's message and returns the exit status for rc.
 * A write to a stdout pipe whose reader went away is a normal stop: nothing
 * is printed and 0 is returned. */
int cli_fail(tarn_rc rc, const struct tarn_err *err);
/* Flushes stdout; reports a failed write (exit 3) unless it is a closed
 * pipe. Returns the exit status to use when status is 0, else status. */
int cli_finish_stdout(int status);
/* The closest name in a NULL-terminated list within edit distance 2, or
 * NULL: for "did you mean" hints. */
const char *cli_suggest(const char *word, const char *const *names, int n);

/* Integer option value; prints a usage error and returns false when the
 * text is not an integer in [lo, hi]. */
bool cli_int_arg(const struct cli_cmd *cmd, const char *opt, const char *text, int64_t lo,
		 int64_t hi, int64_t *out);

/* "6,001,215" */
const char *cli_fmt_count(int64_t n, char *buf, size_t cap);
/* "1.2 MB" (decimal units, like the rest of the CLI's output) */
const char *cli_fmt_bytes(int64_t n, char *buf, size_t cap);
/* Decodes the UTF-8 sequence at p (n > 0 bytes left) into *cp and returns
 * its length; an invalid byte is returned alone as U+FFFD. */
size_t cli_utf8_next(const char *p, size_t n, uint32_t *cp);
/* Terminal columns of a code point: 2 for East Asian wide and fullwidth
 * characters, 0 for combining marks, else 1. */
int cli_cp_width(uint32_t cp);
/* Display width of UTF-8 text: the sum of its code points' widths. */
size_t cli_text_width(const char *s, size_t n);
/* Writes s and pads it with spaces to `width` display columns. */
void cli_put_padded(FILE *f, const char *s, size_t width);
/* Writes s as a JSON string literal. */
void cli_json_string(FILE *f, const char *s);
double cli_now(void); /* monotonic seconds */

/* Builds reader/writer options from the -r/-w settings (and the command's
 * dedicated options, passed as extra key/value pairs, NULL values skipped).
 * Returns TARN_OK or an error with err filled. */
TARN_MUST_USE tarn_rc cli_opts_build(const struct cli_args *a, int id, const char *const *extra,
				     struct tarn_opts **out, struct tarn_err *err);

/* Opens PATH with --from, --types, --on-bad-row and -r applied. */
TARN_MUST_USE tarn_rc cli_open_reader(const struct cli_args *a, const char *path,
				      struct tarn_reader **out, struct tarn_err *err);
/* Opens PATH for R's schema with --to (or default_to when the name does not
 * tell), --compression and -w applied. */
/* Writer options for format wfmt: -w, --compression and the shorthands (a
 * shorthand neither rfmt's reader nor wfmt's writer takes is an error). */
TARN_MUST_USE tarn_rc cli_writer_opts(const struct cli_args *a, const char *wfmt,
				      const char *rfmt, struct tarn_opts **out,
				      struct tarn_err *err);
TARN_MUST_USE tarn_rc cli_open_writer(const struct cli_args *a, const char *path,
				      const char *default_to, const struct tarn_reader *r,
				      struct tarn_writer **out, struct tarn_err *err);
/* How a path is shown in summaries ("-" is stdin or stdout). */
/* Prints up to `limit` rows of r as `tarn head` does (box: 1 box drawing,
 * 0 plain, -1 box on a terminal); the reader stays open. */
TARN_MUST_USE tarn_rc cli_print_table(struct tarn_reader *r, int64_t limit, int64_t maxw,
				      int box, struct tarn_err *err);
const char *cli_path_label(const char *path, bool output);
/* A query result on the terminal: EXPLAIN's one `explain_value` column as
 * plain lines, anything else as cli_print_table (all rows, boxes on a
 * terminal). The reader stays open. */
TARN_MUST_USE tarn_rc cli_print_result(struct tarn_reader *r, struct tarn_err *err);
/* "3.2 s" / "0.04 s" */
const char *cli_fmt_secs(double s, char *buf, size_t cap);

/* ---- progress bar ---------------------------------------------------------- */

/* Drawn on stderr only when it is a terminal, --quiet is off and the work
 * has run for a second; redrawn at most ten times a second; erased by
 * cli_progress_end. */
struct cli_progress {
	const struct tarn_reader *reader; /* bytes done/total; may be NULL */
	double start, last_draw;
	bool enabled, drawn;
};

void cli_progress_begin(struct cli_progress *p, const struct tarn_reader *r);
void cli_progress_update(struct cli_progress *p, int64_t rows);
void cli_progress_end(struct cli_progress *p);

/* ---- the copy loop ----------------------------------------------------------- */

/* Reads R to the end and writes every batch to W (not finished: the caller
 * calls tarn_writer_finish so a failure leaves no output). Counts rows. */
TARN_MUST_USE tarn_rc cli_copy(struct tarn_reader *r, struct tarn_writer *w, int64_t *out_rows,
			       struct tarn_err *err);

#endif
