/*
 * csv_int.h — private interface between the CSV/TSV files.
 *
 *   csv.c        descriptors, option tables and parsing, reader open/next/close
 *                (the parallel chunk pipeline and the streaming loop)
 *   csv_sniff.c  dialect detection, header detection, type inference
 *   csv_scan.c   the tokenizer (SIMD/SWAR masks + row state machine), quote
 *                counting and row-start search for the parallel splitter
 *   csv_tok.h    the tokenizer body, instantiated once per instruction set
 *   csv_read.c   field conversion into typed column arrays, error messages
 *   csv_time.c   date/timestamp layouts other than ISO 8601
 *   csv_write.c  the writer
 *
 * Thread-safety: a struct csv_reader is used by one caller thread; chunk
 * tasks running on the pool only read the reader's configuration (dialect,
 * columns, null tokens), which is immutable after open, and write to their
 * own struct csv_job.
 */
#ifndef TARN_FORMATS_CSV_INT_H
#define TARN_FORMATS_CSV_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "base/pool.h"
#include "columnar/array.h"
#include "formats/format.h"

/* ---- dialect and options ------------------------------------------------- */

enum csv_escape { CSV_ESC_NONE = 0, CSV_ESC_DOUBLE, CSV_ESC_BACKSLASH };
enum csv_bad_row { CSV_BAD_ERROR = 0, CSV_BAD_SKIP, CSV_BAD_NULL };
enum csv_simd { CSV_SIMD_AUTO = 0, CSV_SIMD_SCALAR, CSV_SIMD_SSE2, CSV_SIMD_AVX2 };

struct csv_dialect {
	uint8_t delim;
	uint8_t quote;  /* 0 = fields are never quoted */
	uint8_t escape; /* enum csv_escape (inside quoted fields only) */
	uint8_t comment; /* 0 = none; lines starting with it are skipped */
};

/* Null tokens: an unquoted field spelled like one of these is null. The
 * empty unquoted field is always null. */
struct csv_nulls {
	int n;
	char **tok;
	uint32_t *len;
	uint64_t len_mask; /* bit L set when some token has length L (< 64) */
	uint64_t first[4]; /* bit c set when some token starts with byte c */
};

#define CSV_DEFAULT_NULLS "NA,N/A,NULL,null,NaN"
#define CSV_DEFAULT_INFER_ROWS 20480
#define CSV_DEFAULT_MAX_FIELD ((int64_t)64 << 20)
#define CSV_DEFAULT_MAX_ROW ((int64_t)256 << 20)
#define CSV_DEFAULT_MAX_COLUMNS 16384
/* Hard ceilings for the options above (field offsets are 30-bit). */
#define CSV_MAX_FIELD_CEIL (((int64_t)1 << 30) - 1)
#define CSV_MAX_ROW_CEIL (((int64_t)1 << 31) - 1)

struct csv_config {
	struct csv_dialect d;
	bool have_delim, have_quote, have_escape, have_comment; /* set by options */
	int header;      /* -1 sniff, 0 no, 1 yes */
	int64_t skip_rows;
	int64_t infer_rows; /* <= 0: the whole input (mapped) */
	int64_t max_field, max_row;
	int max_columns;
	enum csv_bad_row bad;
	bool utf8_replace;
	int threads;       /* chunks parsed at once; 1 = sequential */
	int64_t chunk_size; /* 0 = automatic */
	enum csv_simd simd;
	struct csv_nulls nulls;
	const char *types; /* borrowed from the options */
};

/* ---- column plans -------------------------------------------------------- */

enum csv_kind {
	CSV_K_STRING = 0,
	CSV_K_BINARY,
	CSV_K_BOOL,
	CSV_K_INT,   /* signed, width 1/2/4/8 */
	CSV_K_UINT,  /* unsigned, width 1/2/4/8 */
	CSV_K_FLOAT32,
	CSV_K_FLOAT64,
	CSV_K_DECIMAL,
	CSV_K_DATE,
	CSV_K_TIME,
	CSV_K_TIMESTAMP,
	CSV_K_NULL,
	CSV_K_NESTED, /* list, struct, map: JSON text (formats/json/json_value.h) */
};

/* Date layouts, in the order inference prefers them when several fit. */
enum csv_date_layout {
	CSV_DATE_ISO = 0,   /* %Y-%m-%d */
	CSV_DATE_YMD_SLASH, /* %Y/%m/%d */
	CSV_DATE_MDY_SLASH, /* %m/%d/%Y */
	CSV_DATE_DMY_SLASH, /* %d/%m/%Y */
	CSV_DATE_DMY_DOT,   /* %d.%m.%Y */
	CSV_DATE_MDY_DASH,  /* %m-%d-%Y */
	CSV_DATE_DMY_DASH,  /* %d-%m-%Y */
	CSV_DATE__COUNT
};

struct csv_col {
	enum csv_kind kind;
	uint8_t width;     /* CSV_K_INT / CSV_K_UINT: bytes */
	uint8_t layout;    /* CSV_K_DATE / CSV_K_TIMESTAMP: enum csv_date_layout */
	uint8_t unit;      /* CSV_K_TIME / CSV_K_TIMESTAMP */
	uint8_t precision, scale; /* CSV_K_DECIMAL */
	bool utc;          /* CSV_K_TIMESTAMP with a zone */
	bool inferred;     /* type came from inference: stricter spellings */
};

/* Sets up the conversion plan for a schema field's type. */
tarn_rc csv_col_plan(const struct tarn_type *t, bool inferred, int layout, struct csv_col *out,
		     struct tarn_err *err);

/* ---- tokenizer ----------------------------------------------------------- */

/* One field of the index: bytes [start, start+len) relative to the
 * tokenizer call's origin. */
struct csv_field {
	uint32_t start;
	uint32_t len; /* low 30 bits length, flags above */
};
#define CSV_F_QUOTED 0x80000000u
#define CSV_F_ESCAPED 0x40000000u
#define CSV_F_LEN 0x3fffffffu

/* Fields per tokenizer block before the rows are converted. */
#define CSV_BLOCK_FIELDS 16384
/* Bytes a block may span before it ends at the next row: field offsets are
 * 32-bit, and one more row adds at most CSV_MAX_ROW_CEIL. */
#define CSV_BLOCK_SPAN ((size_t)1 << 30)

enum csv_fail_kind {
	CSV_FAIL_NONE = 0,
	CSV_FAIL_TYPE,         /* value does not parse as the column type */
	CSV_FAIL_RAGGED,       /* wrong number of fields */
	CSV_FAIL_UNTERMINATED, /* quoted field open at end of input */
	CSV_FAIL_AFTER_QUOTE,  /* character after a closing quote */
	CSV_FAIL_UTF8,
	CSV_FAIL_FIELD_SIZE,
	CSV_FAIL_ROW_SIZE,
	CSV_FAIL_NOMEM,
	CSV_FAIL_LEADING_ZERO, /* inferred integer column, value with leading zeros */
	CSV_FAIL_NULL_ONLY,    /* type null column with a value */
	CSV_FAIL_NESTED,       /* nested column: not JSON of its type (detail) */
};

/* A structured error from a parse job; the reader turns it into a message
 * once it knows the line number (csv_fail_format). Offsets are file
 * offsets. */
struct csv_fail {
	enum csv_fail_kind kind;
	int64_t pos;     /* where: field start, quote, bad byte */
	int64_t row_pos; /* start of the row */
	int col;         /* column index, -1 if none */
	int nfields;     /* CSV_FAIL_RAGGED: fields found */
	size_t value_len;
	char value[80];  /* the offending value (truncated) */
	uint8_t byte;    /* CSV_FAIL_AFTER_QUOTE, CSV_FAIL_UTF8: the byte */
	tarn_rc rc;      /* CSV_FAIL_NESTED: EDATA, or ELIMIT for JSON limits */
	char detail[320]; /* CSV_FAIL_NESTED: the JSON reader's message */
};

/* Input and state of one tokenizer call. */
struct csv_tok {
	/* in */
	const uint8_t *base; /* byte 0 of the buffer */
	size_t end;          /* bytes available */
	bool final;          /* end is the end of the input */
	size_t stop;         /* stop once a row starts at or after this offset */
	int64_t max_rows;    /* stop after this many rows */
	int ncols;
	struct csv_dialect d;
	enum csv_bad_row bad;
	size_t max_field, max_row;
	struct csv_field *f; /* room for CSV_BLOCK_FIELDS + ncols entries */
	/* in/out */
	size_t pos;          /* next row start */
	/* out */
	size_t origin;       /* offset the field starts are relative to */
	uint32_t nrows;
	uint64_t hi;         /* nonzero if a byte >= 0x80 was seen */
	int64_t bad_rows;
	struct csv_fail fail;
};

enum csv_tok_status {
	CSV_TOK_BLOCK = 0, /* block full or max_rows reached: convert, call again */
	CSV_TOK_STOP,      /* reached `stop` */
	CSV_TOK_MORE,      /* not final and the next row is incomplete */
	CSV_TOK_END,       /* final and all input consumed */
	CSV_TOK_FAIL,      /* fail is set; rows before it are in the index */
};

enum csv_simd csv_simd_resolve(enum csv_simd want);
const char *csv_simd_name(enum csv_simd s);
enum csv_tok_status csv_tokenize(struct csv_tok *t, enum csv_simd simd);

/* Number of `quote` bytes in p[0..n) (not preceded by a backslash when
 * esc is CSV_ESC_BACKSLASH). */
uint64_t csv_count_quotes(const uint8_t *p, size_t n, uint8_t quote, int esc);
/* The first row start at or after `from`+1 when scanning from `from` with
 * the given quote state: the offset just past the first line terminator
 * outside quotes at or after `from`, or `end` when there is none. */
size_t csv_find_row_start(const struct csv_dialect *d, const uint8_t *p, size_t from, size_t end,
			  bool in_quotes);
/* Counts line terminators (LF, CRLF, lone CR) in p[from..to). */
int64_t csv_count_lines(const uint8_t *p, size_t from, size_t to, bool *ends_cr);

/* Copies a field's content with escapes removed into dst (room for len
 * bytes); returns the new length. */
size_t csv_unescape(const uint8_t *s, size_t n, const struct csv_dialect *d, uint8_t *dst);

/* ---- null tokens --------------------------------------------------------- */

tarn_rc csv_nulls_parse(struct csv_nulls *nl, const char *text, struct tarn_err *err);
void csv_nulls_free(struct csv_nulls *nl);
static inline bool csv_is_null_token(const struct csv_nulls *nl, const uint8_t *p, size_t n)
{
	if (n >= 64 || !((nl->len_mask >> n) & 1) || !((nl->first[p[0] >> 6] >> (p[0] & 63)) & 1))
		return false;
	for (int i = 0; i < nl->n; i++)
		if (nl->len[i] == n && memcmp(nl->tok[i], p, n) == 0)
			return true;
	return false;
}

/* memcpy for the short fields that dominate CSV: overlapping word moves
 * that read and write exactly [p, p+n), no library call. */
static inline void csv_copy(void *dst, const void *src, size_t n)
{
	uint8_t *o = dst;
	const uint8_t *p = src;
	if (n > 16) {
		memcpy(o, p, n);
	} else if (n >= 8) {
		uint64_t a, b;
		memcpy(&a, p, 8);
		memcpy(&b, p + n - 8, 8);
		memcpy(o, &a, 8);
		memcpy(o + n - 8, &b, 8);
	} else if (n >= 4) {
		uint32_t a, b;
		memcpy(&a, p, 4);
		memcpy(&b, p + n - 4, 4);
		memcpy(o, &a, 4);
		memcpy(o + n - 4, &b, 4);
	} else if (n > 0) {
		o[0] = p[0];
		o[n / 2] = p[n / 2];
		o[n - 1] = p[n - 1];
	}
}

/* ---- sniffing and inference (csv_sniff.c) -------------------------------- */

/* What the sniffer decided for a sample. */
struct csv_sniffed {
	struct csv_dialect d;
	bool header;
	int ncols;
	size_t data_start;      /* offset of the first data row in the sample */
	char **names;           /* ncols names (after dedup) */
	struct tarn_type *types; /* ncols inferred types */
	uint8_t *layouts;       /* date/timestamp layout per column */
	char **notes;           /* ncols notes or NULL */
	int64_t rows_seen;
	double avg_row;         /* bytes per row in the first rows */
};

/* A sample of the input: the start of the data (and for mapped inputs,
 * everything). */
struct csv_sample {
	const uint8_t *p;
	size_t n;
	bool complete; /* p[0..n) is the whole input */
	bool mapped;   /* the whole input is addressable: sample more positions */
};

tarn_rc csv_sniff(const struct csv_config *cfg, const struct csv_sample *s, const char *name,
		  struct csv_sniffed *out, struct tarn_err *err);
void csv_sniffed_free(struct csv_sniffed *s);
/* Format confidence for the descriptor's sniff function. */
int csv_sniff_confidence(const uint8_t *p, size_t n, uint8_t want_delim);

/* Value classification shared by inference and tests. */
bool csv_parse_date_layout(const char *p, size_t n, int layout, int32_t *out);
/* Timestamps: date in `layout`, then ' ' or 'T', H[H]:MM[:SS[.f]] with an
 * optional AM/PM, then an optional zone (Z, +HH, +HHMM, +HH:MM). A date
 * alone is midnight. *frac_digits gets the fraction's digit count. */
bool csv_parse_ts_layout(const char *p, size_t n, int layout, int unit, int64_t *out,
			 bool *has_offset, int *frac_digits);

/* ---- conversion (csv_read.c) --------------------------------------------- */

/* Everything a parse job needs from the reader (immutable during parsing). */
struct csv_plan {
	const struct csv_config *cfg;
	int ncols;
	const struct csv_col *cols;
	struct tarn_schema *schema; /* the file's columns (for messages) */
	const char *name;      /* input name for messages */
	/* `columns` option: batch column i is file column sel[i] (sel NULL =
	 * every column, n_out = ncols); the others are tokenized, not
	 * converted */
	const int *sel;
	int n_out;
	int64_t infer_rows;    /* for the hint in type errors */
};

struct json_value_parser;

/* Scratch memory of one parse job. */
struct csv_scratch {
	struct csv_field *f;
	uint8_t *tmp;
	size_t tmp_cap;
	uint8_t *dropped; /* per-row flags of the current block */
	size_t dropped_cap;
	/* nested columns: a JSON value parser per column, made on first use */
	int ncols;
	struct json_value_parser **json;
	uint8_t *fix; /* utf8=replace copy of a nested cell */
	size_t fix_cap;
};

tarn_rc csv_scratch_init(struct csv_scratch *s, int ncols);
void csv_scratch_free(struct csv_scratch *s);

struct csv_job {
	const struct csv_plan *plan;
	const uint8_t *base;
	size_t end;
	bool final;
	size_t stop;
	int64_t file_off; /* file offset of base[0] */
	size_t pos;       /* in/out: next row start */
	struct csv_scratch *s;
	struct tarn_batch *batch; /* rows are appended here */
	int64_t max_rows;        /* rows the batch may reach */
	int64_t rows_hint;       /* rows the batch will likely get (for reserves) */
	enum csv_simd simd;
	int64_t bad_rows;
	struct csv_fail fail;
};

/* Parses rows into job->batch until it holds max_rows rows, `stop` is
 * reached, the input ends, or (not final) the next row is incomplete.
 * Returns the tokenizer status for why it stopped; CSV_TOK_FAIL sets
 * job->fail (rc via csv_fail_rc). */
enum csv_tok_status csv_parse_rows(struct csv_job *job);

/* Finishes a batch built by csv_parse_rows (seals it). */
tarn_rc csv_batch_finish(struct tarn_batch *b, struct tarn_err *err);

tarn_rc csv_fail_rc(const struct csv_fail *f);
/* Formats f into err; line and column of f->pos are computed from
 * `line_at_base` (the line number at file offset base_off) by counting
 * terminators in p (which holds file bytes from base_off); `line_prefix`
 * is how many bytes of the line at base_off lie before it. */
tarn_rc csv_fail_format(const struct csv_fail *f, const struct csv_plan *plan, const uint8_t *p,
			int64_t base_off, int64_t line_at_base, int64_t line_prefix,
			struct tarn_err *err);

/* ---- writer (csv_write.c) ------------------------------------------------ */

tarn_rc csv_open_writer(struct tarn_output *out, struct tarn_schema *schema,
			const struct tarn_opts *opts, uint8_t default_delim,
			struct tarn_writer **w, struct tarn_err *err);

/* Parses a one-character option value ("," "\t" "tab" "0x01" "none"...);
 * -1 on error, 0 for none when allow_none. */
int csv_parse_char_opt(const char *v, bool allow_none);

#endif
