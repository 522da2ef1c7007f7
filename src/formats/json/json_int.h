/*
 * json_int.h — internals shared by the JSON / JSON Lines reader and writer.
 *
 * Files: json.c (descriptors, options, sniffing), json_lex.c (the tokenizer's
 * slow paths: string unescaping, nested-value copying, error messages),
 * json_infer.c (schema inference from a sample), json_read.c (parsing records
 * straight into column builders), json_reader.c (the reader: streaming,
 * mapped and parallel drivers), json_write.c (the writer).
 *
 * The tokenizer works on a window p[0..n) of the input whose first byte sits
 * at global byte offset `base`. When `final` is false more input may follow
 * the window, and running off its end mid-value returns JS_MORE: the driver
 * rolls the record back, refills the window and parses the record again.
 * When `final` is true the end of the window is the end of the input.
 *
 * Design notes
 *  1. Records are parsed one at a time by recursive descent; every descent
 *     into an object or array checks `depth` against max-depth first, and
 *     max-depth is capped at JSON_MAX_DEPTH_CAP, so hostile nesting cannot
 *     exhaust the stack.
 *  2. Errors are recorded in struct jerr without the file name, line base
 *     or record base: in parallel mode a chunk does not know how many lines
 *     precede it until the chunks before it are done, so the final message is
 *     composed by json_err_report on the consuming thread.
 *  3. Lines are counted in whitespace only: a valid JSON string never holds
 *     a raw newline, so no string byte needs to be looked at for it.
 *
 * Thread-safety: a struct jparse belongs to one thread; parallel chunks each
 * get their own (and their own copy of the parse plan).
 */
#ifndef TARN_FORMATS_JSON_INT_H
#define TARN_FORMATS_JSON_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "base/buf.h"
#include "base/err.h"
#include "base/io.h"
#include "base/mem.h"
#include "columnar/array.h"
#include "columnar/type.h"
#include "formats/format.h"

#define JSON_MAX_DEPTH_CAP 1000
#define JSON_DEFAULT_INFER_ROWS 20480
#define JSON_DEFAULT_MAX_DEPTH 64
#define JSON_DEFAULT_MAX_VALUE ((int64_t)64 << 20)
#define JSON_DEFAULT_MAX_RECORD ((int64_t)128 << 20)
#define JSON_DEFAULT_READ_SIZE ((size_t)1 << 20)
/* A streamed (not mapped) input keeps the whole sample in memory while
 * inferring; inference stops at this many bytes even when infer-rows asks
 * for more. */
#define JSON_SAMPLE_BYTES_CAP ((size_t)1 << 30)
/* A batch ends after this much input, so no string column of one batch can
 * reach the 2 GiB Arrow limit (decoded text is never longer than its JSON). */
#define JSON_BATCH_BYTES ((int64_t)256 << 20)

/* Outcome of a parse step. */
enum { JS_OK = 0, JS_MORE = 1, JS_ERR = 2 };

/* ---- options ---------------------------------------------------------------- */

enum { BAD_ERROR, BAD_SKIP, BAD_NULL_FILL }; /* on-bad-row */

struct jopts {
	int64_t infer_rows; /* 0 = every record */
	int bad;            /* BAD_* */
	bool infer_dates;
	bool unknown_ignore;
	bool allow_nan;
	int max_depth;
	int64_t max_value;
	int64_t max_record;
	size_t read_size;
	size_t chunk_size; /* 0 = automatic */
	const char *types; /* "col=type,..." overrides, or NULL */
};

TARN_MUST_USE tarn_rc json_opts_parse(const struct tarn_opts *o, struct jopts *out,
				      struct tarn_err *err);

/* ---- errors ---------------------------------------------------------------- */

struct jerr {
	tarn_rc rc;
	int64_t at;         /* global byte offset */
	int64_t line;       /* newlines this parser counted before `at` */
	int64_t line_start; /* global offset of the start of that line */
	int64_t record;     /* record index within this parser, or -1 */
	char msg[768];
};

/* ---- top-level shape ------------------------------------------------------- */

enum jstate {
	ST_SEQ,       /* between values of a sequence (JSON Lines) */
	ST_ARR_OPEN,  /* expecting the '[' of a top-level array */
	ST_ARR_FIRST, /* after '[': a value or ']' */
	ST_ARR_ELEM,  /* after ',': a value */
	ST_ARR_AFTER, /* after an element: ',' or ']' */
	ST_ARR_DONE,  /* after the closing ']': only whitespace may follow */
};

/* ---- inference shapes (json_infer.c) ---------------------------------------- */

enum {
	K_NULL = 1 << 0,
	K_BOOL = 1 << 1,
	K_INT = 1 << 2,    /* integer within int64 */
	K_BIGINT = 1 << 3, /* integer beyond int64 with at most 38 digits */
	K_HUGE = 1 << 4,   /* integer of more than 38 digits */
	K_FLOAT = 1 << 5,
	K_STRING = 1 << 6,
	K_ARRAY = 1 << 7,
	K_OBJECT = 1 << 8,
};

struct shape;
struct shape_member {
	const char *name; /* arena copy, NUL-terminated */
	size_t len;
	uint32_t hash;
	struct shape *sh;
};

struct shape {
	uint32_t kinds;
	/* infer-dates: every string so far parsed as a date / a timestamp */
	bool str_date, str_ts, ts_offset, ts_local;
	/* object members in first-seen order, with a hash index */
	struct shape_member *members;
	int n_members, cap_members;
	int32_t *index; /* member i + 1, 0 = empty; size index_cap (power of 2) */
	uint32_t index_cap;
	int cursor; /* member expected next */
	struct shape *elem; /* array items */
	bool declared; /* a top-level column named in types=: not inferred */
};

struct jinfer {
	struct tarn_arena arena;
	struct shape root;
	int64_t n_shapes;
	int64_t bytes; /* input bytes the sampled records took */
};

/* ---- parse plans (json_read.c) ---------------------------------------------- */

enum jkind {
	JK_NULL,
	JK_BOOL,
	JK_INT, /* int8..int64, uint8..uint32: range imin..imax */
	JK_UINT64,
	JK_FLOAT32,
	JK_FLOAT64,
	JK_DECIMAL,
	JK_STRING,
	JK_BINARY,
	JK_DATE,
	JK_TIME,
	JK_TIMESTAMP,
	JK_LIST,
	JK_STRUCT,
	JK_MAP,
};

struct jcol {
	enum jkind kind;
	const struct tarn_type *type;
	const char *name; /* field name (borrowed from the schema) */
	size_t name_len;
	bool fast_key; /* name can be compared against raw key bytes */
	uint32_t hash;
	int64_t imin, imax;
	/* struct */
	int n_members;
	struct jcol *members;
	int32_t *index;
	uint32_t index_cap;
	uint32_t *seen; /* generation of the object that last set member i */
	uint32_t gen;
	int cursor;
	/* list items; map values */
	struct jcol *elem;
	/* map keys */
	struct jcol *key;
};

struct jpath {
	const char *name; /* NULL = list index */
	size_t len;
	int64_t index;
};

/* ---- the parser state --------------------------------------------------------- */

struct jparse {
	/* window */
	const uint8_t *p;
	size_t n, pos;
	int64_t base;
	bool final;
	/* lines: newlines seen and where the current line starts (global) */
	int64_t line, line_start;

	enum jstate state;
	int64_t records; /* records completed */
	int64_t bad_rows;      /* records skipped or repaired (on-bad-row) */
	bool repaired;         /* the current record had a value set to null */
	bool at_end;           /* the last json_parse_records call reached the end */
	bool after_array_data; /* the error was data after the top-level array */
	const struct jopts *opt;
	struct jerr err;
	struct tarn_buf scratch;

	/* path of the value being parsed, for messages */
	struct jpath *path;
	int path_n;

	/* sink: inference, or columns */
	struct jinfer *inf;
	struct jcol *plan;        /* top level: struct of the columns, or the value column */
	bool value_mode;          /* records go to a single "value" column */
	struct tarn_array **cols; /* batch columns */
	int64_t rows;             /* rows in the current batch */
	int64_t sample_records;   /* for messages: records the schema came from */
	bool sample_all;
	bool value_only; /* json_value.h: one value for another format; messages
			    carry no hints about the JSON reader's options */
};

TARN_MUST_USE tarn_rc json_parse_init(struct jparse *ps, const struct jopts *opt,
				      struct tarn_err *err);
void json_parse_free(struct jparse *ps);
void json_parse_window(struct jparse *ps, const uint8_t *p, size_t n, int64_t base, bool final);

/* ---- tokenizer (json_lex.c + inlines) ------------------------------------------ */

/* Records an error at global offset `at` (message without location). */
int json_fail_at(struct jparse *ps, tarn_rc rc, int64_t at, const char *fmt, ...)
	TARN_PRINTF(4, 5);
/* At the window end: JS_MORE when more input may follow, else an error
 * "unexpected end of input <what>". */
int json_eob(struct jparse *ps, const char *what);
/* After an object key: skips whitespace and the ':' (JS_MORE at the window
 * end, an error naming what was found instead). */
int json_expect_colon(struct jparse *ps);
/* Composes the final message "name:line:col (byte N): ..." into err. */
tarn_rc json_err_report(const struct jerr *e, const char *name, int64_t line_base,
			int64_t record_base, struct tarn_err *err);
/* Describes the value starting at pos for messages ("'x'", "end of input"). */
const char *json_describe_char(uint8_t c, char *buf, size_t cap);
/* Current key path as text, e.g. "a.b[3]". */
void json_path_text(const struct jparse *ps, char *buf, size_t cap);

static inline int64_t json_at(const struct jparse *ps)
{
	return ps->base + (int64_t)ps->pos;
}

enum { STR_ESC = 1, STR_HIGH = 2 };

/* High bit set in each byte of w that is '"', '\\' or below 0x20. The lowest
 * flagged byte is exact (borrows only corrupt bytes above a true match). */
static inline uint64_t json_special_bytes(uint64_t w)
{
	const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
	uint64_t q = w ^ (ones * '"');
	uint64_t b = w ^ (ones * '\\');
	uint64_t zq = (q - ones) & ~q;
	uint64_t zb = (b - ones) & ~b;
	uint64_t lt = (w - ones * 0x20) & ~w;
	return (zq | zb | lt) & highs;
}

/* Scans the string whose opening quote is at ps->pos. On JS_OK the raw
 * content is p[*start .. *start + *len), flags tells whether it has escapes
 * or non-ASCII bytes, and pos is past the closing quote. The UTF-8 and the
 * escapes are not checked yet: json_str_decode does that. Inline: it is the
 * innermost loop of every string value and key. */
static inline int json_str_scan(struct jparse *ps, size_t *start, size_t *len,
				 unsigned *flags)
{
	const uint8_t *p = ps->p;
	size_t s = ps->pos + 1, i = s;
	size_t n = ps->n;
	/* Stop scanning one byte past the size limit. */
	size_t maxv = (size_t)ps->opt->max_value;
	bool limited = n - s > maxv + 1;
	size_t lim = limited ? s + maxv + 1 : n;
	unsigned fl = 0;
	uint64_t hi = 0;
	for (;;) {
#ifdef __SSE2__
		/* 16 bytes at a time; the 8-byte and byte loops below finish
		 * the tail (and are the whole scan where SSE2 is missing). */
		while (i + 16 <= lim) {
			__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
			__m128i sp = _mm_or_si128(
				_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
					     _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))),
				_mm_cmpeq_epi8(_mm_subs_epu8(v, _mm_set1_epi8(0x1f)),
					       _mm_setzero_si128()));
			unsigned m = (unsigned)_mm_movemask_epi8(sp);
			unsigned h = (unsigned)_mm_movemask_epi8(v);
			if (m) {
				unsigned k = (unsigned)__builtin_ctz(m);
				if (h & ((1u << k) - 1))
					hi |= 0x80;
				i += k;
				goto found;
			}
			if (h)
				hi |= 0x80;
			i += 16;
		}
#endif
		while (i + 8 <= lim) {
			uint64_t w;
			memcpy(&w, p + i, 8);
			uint64_t m = json_special_bytes(w);
			if (m) {
				unsigned k = (unsigned)__builtin_ctzll(m) >> 3;
				if (k)
					hi |= w & ((1ull << (8 * k)) - 1);
				i += k;
				goto found;
			}
			hi |= w;
			i += 8;
		}
		while (i < lim) {
			uint8_t c = p[i];
			if (c == '"' || c == '\\' || c < 0x20)
				goto found;
			hi |= c;
			i++;
		}
		if (limited)
			return json_fail_at(ps, TARN_ELIMIT, ps->base + (int64_t)ps->pos,
					    "string longer than max-value-size (%lld bytes)",
					    (long long)maxv);
		if (!ps->final)
			return JS_MORE;
		return json_fail_at(ps, TARN_EDATA, ps->base + (int64_t)ps->pos,
				    "unterminated string (end of input before the closing '\"')");
	found:
		if (p[i] == '"')
			break;
		if (p[i] == '\\') {
			fl |= STR_ESC;
			if (i + 1 >= lim) {
				i = lim;
				continue; /* the end-of-window logic above decides */
			}
			i += 2;
			continue;
		}
		return json_fail_at(ps, TARN_EDATA, ps->base + (int64_t)i,
				    "control character U+%04X in a string (must be escaped)",
				    p[i]);
	}
	if (hi & 0x8080808080808080ull)
		fl |= STR_HIGH;
	*start = s;
	*len = i - s;
	*flags = fl;
	ps->pos = i + 1;
	return JS_OK;
}

/* Checks and decodes the raw content of a scanned string into dst (room for
 * len bytes: decoding never grows text). Returns JS_OK and *out_len. */
int json_str_decode(struct jparse *ps, size_t start, size_t len, unsigned flags, uint8_t *dst,
		    size_t *out_len);

struct jnum {
	size_t start, len; /* token text in the window */
	bool is_int;       /* no fraction, no exponent */
	bool neg;
	bool fits;      /* is_int and within int64 (or uint64 when !neg: see u_fits) */
	bool u_fits;    /* is_int, !neg and within uint64 */
	int digits;     /* integer digits without leading zeros (is_int only) */
	uint64_t mag;   /* magnitude when u_fits */
	bool special;   /* NaN / Infinity (allow-nan) */
	double special_value;
};
/* Lexes the number (or NaN/Infinity when allowed) at pos. */
int json_num_scan(struct jparse *ps, struct jnum *num);
/* The double value of a scanned number, correctly rounded (any length). */
double json_num_double(const struct jparse *ps, const struct jnum *num);
/* The number's text for the text kernels (which take up to
 * JSON_NUM_TEXT_MAX bytes): the token itself, or an equivalent shorter
 * spelling written to buf (JSON_NUM_BUF bytes). */
#define JSON_NUM_TEXT_MAX 4096
#define JSON_NUM_BUF 832
const char *json_num_text(const struct jparse *ps, const struct jnum *num, char *buf,
			  size_t *len);
/* Matches a literal (true/false/null) at pos; JS_ERR names what was found. */
int json_literal(struct jparse *ps, const char *word, size_t n);
/* Copies the value at pos to out as compact JSON text (whitespace outside
 * strings dropped, everything else verbatim) after checking it; out may be
 * NULL to only check and skip it. Iterative: any depth up to max-depth. */
int json_value_copy(struct jparse *ps, struct tarn_buf *out, int depth);

static inline uint32_t json_hash(const uint8_t *s, size_t n)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < n; i++)
		h = (h ^ s[i]) * 16777619u;
	return h;
}

/* Skips whitespace, counting lines. */
static inline void json_ws(struct jparse *ps)
{
	const uint8_t *p = ps->p;
	size_t i = ps->pos, n = ps->n;
	while (i < n) {
		uint8_t c = p[i];
		if (c > ' ')
			break;
		if (c == '\n') {
			ps->line++;
			ps->line_start = ps->base + (int64_t)i + 1;
		} else if (c != ' ' && c != '\t' && c != '\r') {
			break;
		}
		i++;
	}
	ps->pos = i;
}

/* ---- inference and plans ---------------------------------------------------- */

TARN_MUST_USE tarn_rc json_infer_init(struct jinfer *inf);
void json_infer_free(struct jinfer *inf);
/* Parses one record (the value at pos) into the shapes. */
int json_infer_record(struct jparse *ps);
/* Builds the schema from the shapes: object records give one column per key,
 * anything else one column "value". */
TARN_MUST_USE tarn_rc json_infer_schema(struct jinfer *inf, const struct jopts *opt,
					bool *value_mode, struct tarn_schema **out,
					struct tarn_err *err);

TARN_MUST_USE tarn_rc json_plan_new(const struct tarn_schema *s, bool value_mode,
				    struct jcol **out, struct tarn_err *err);
void json_plan_free(struct jcol *plan);

/* Parses records from pos on (json_read.c) into the sink until one of: rows
 * reach max_rows, a record boundary at or past stop_at (global offset), or
 * the end of the window. */
int json_parse_records(struct jparse *ps, int64_t stop_at, int64_t max_rows);

/* ---- readers and writers (json_read.c, json_write.c) ---------------------------- */

TARN_MUST_USE tarn_rc json_open_reader(struct tarn_input *in, const struct tarn_opts *opts,
				       struct tarn_reader **out, struct tarn_err *err);
TARN_MUST_USE tarn_rc json_open_writer_json(struct tarn_output *out, struct tarn_schema *schema,
					    const struct tarn_opts *opts, struct tarn_writer **w,
					    struct tarn_err *err);
TARN_MUST_USE tarn_rc json_open_writer_jsonl(struct tarn_output *out,
					     struct tarn_schema *schema,
					     const struct tarn_opts *opts, struct tarn_writer **w,
					     struct tarn_err *err);

#endif
