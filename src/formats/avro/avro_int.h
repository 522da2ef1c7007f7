/*
 * avro_int.h — internals of the Avro format (Apache Avro 1.11 specification,
 * object container files and single-object encoding), shared by the files
 * of src/formats/avro/:
 *
 *   avro_json.c     a small JSON DOM for schema text and default values
 *   avro_schema.c   schema parsing (names, namespaces, aliases, logical
 *                   types), Parsing Canonical Form, CRC-64-AVRO fingerprints,
 *                   schema JSON output
 *   avro_resolve.c  the tarn schema a reader produces, and the decode
 *                   program: writer schema resolved against the reader's
 *                   schema (Schema Resolution), compiled to flat ops
 *   avro_decode.c   the interpreter that runs a decode program over binary
 *                   data into Arrow-layout arrays
 *   avro_codec.c    block codecs: null, deflate, snappy, zstandard, bzip2, xz
 *   avro_read.c     the container reader: header, blocks, sync markers,
 *                   parallel block decoding on the worker pool
 *   avro_write.c    the writer: Avro schema from a tarn schema (or a given
 *                   one), the encode program, blocks, codecs
 *   avro.c          the format descriptor and option tables
 *
 * Thread-safety: schemas and programs are immutable once built and may be
 * shared by decode tasks; everything else belongs to one reader or writer.
 */
#ifndef TARN_FORMATS_AVRO_INT_H
#define TARN_FORMATS_AVRO_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/mem.h"
#include "columnar/array.h"
#include "formats/format.h"

/* ---- JSON (avro_json.c) ---------------------------------------------------------- */

enum ajson_kind { AJ_NULL, AJ_BOOL, AJ_NUM, AJ_STR, AJ_ARR, AJ_OBJ };

struct ajson {
	enum ajson_kind kind;
	bool b;                /* AJ_BOOL */
	bool is_int;           /* AJ_NUM: an integer literal that fits int64 */
	int64_t i;             /* AJ_NUM when is_int */
	double d;              /* AJ_NUM */
	const char *s;         /* AJ_STR: unescaped UTF-8 (NUL-terminated); AJ_NUM: the text */
	size_t len;            /* bytes in s */
	int n;                 /* AJ_ARR items, AJ_OBJ members */
	struct ajson **items;  /* AJ_ARR items, AJ_OBJ values */
	const char **keys;     /* AJ_OBJ keys */
	size_t pos;            /* byte offset in the text, for messages */
};

/* Parses JSON text into nodes allocated from `a`. WHAT names the text in
 * messages ("schema.avsc"). Nesting is capped at AVRO_MAX_DEPTH. */
TARN_MUST_USE tarn_rc avro_json_parse(struct tarn_arena *a, const char *text, size_t n,
				      const char *what, struct ajson **out, struct tarn_err *err);
/* Member KEY of an object (the last one if repeated), or NULL. */
const struct ajson *avro_json_get(const struct ajson *obj, const char *key);
/* Writes V back as compact JSON. */
TARN_MUST_USE tarn_rc avro_json_write(const struct ajson *v, struct tarn_buf *out);
/* A JSON string literal of s[0..n) with only '"', '\\' and control
 * characters escaped (bytes pass through: schema text is UTF-8). */
TARN_MUST_USE tarn_rc avro_json_quote(struct tarn_buf *out, const char *s, size_t n);

/* ---- schemas (avro_schema.c) -------------------------------------------------------- */

#define AVRO_MAX_DEPTH 256     /* JSON and schema nesting */
#define AVRO_MAX_SCHEMA (64u << 20) /* bytes of schema text */

enum avro_kind {
	AV_NULL,
	AV_BOOLEAN,
	AV_INT,
	AV_LONG,
	AV_FLOAT,
	AV_DOUBLE,
	AV_BYTES,
	AV_STRING,
	AV_RECORD,
	AV_ENUM,
	AV_ARRAY,
	AV_MAP,
	AV_UNION,
	AV_FIXED,
};

enum avro_logical {
	AL_NONE,
	AL_DECIMAL,  /* bytes or fixed */
	AL_UUID,     /* string or fixed(16) */
	AL_DATE,     /* int */
	AL_TIME_MS,  /* int */
	AL_TIME_US,  /* long */
	AL_TS_MS,    /* long; timestamp-* are UTC instants */
	AL_TS_US,
	AL_TS_NS,
	AL_LTS_MS,   /* long; local-timestamp-* are wall-clock times */
	AL_LTS_US,
	AL_LTS_NS,
	AL_DURATION, /* fixed(12) */
};

struct avro_node;

struct avro_field {
	const char *name;
	const char **aliases;
	int n_aliases;
	struct avro_node *type;
	const struct ajson *def; /* default value, or NULL */
	const char *doc;
	const char *order; /* "ascending" etc. as written, or NULL */
	int src;           /* schemas the writer generates: 1 + the tarn member it came
			    * from; 0 = match columns by name */
};

struct avro_node {
	enum avro_kind kind;
	enum avro_logical logical;
	int precision, scale;     /* AL_DECIMAL */
	const char *fullname;     /* named types */
	const char *space;        /* their namespace ("" = none) */
	const char **aliases;     /* named types: full names */
	int n_aliases;
	const char *doc;
	struct avro_field *fields; /* AV_RECORD */
	int n_fields;
	const char **symbols;      /* AV_ENUM */
	int n_symbols;
	int enum_default;          /* AV_ENUM: symbol index, or -1 */
	struct avro_node *items;   /* AV_ARRAY items, AV_MAP values */
	struct avro_node **branches; /* AV_UNION */
	int n_branches;
	int64_t size;              /* AV_FIXED */
	const char *logical_name;  /* logicalType as written (kept for output), or NULL */
	int mark;                  /* scratch for traversals (recursion detection) */
};

struct avro_schema {
	struct tarn_arena arena;
	struct avro_node *root;
	const char *text; /* the JSON it was parsed from (arena copy) */
	size_t text_len;
};

/* Parses schema JSON. Named types may be referenced after their definition;
 * unknown or invalid logical types are dropped (the underlying type is
 * used), as the specification requires. */
TARN_MUST_USE tarn_rc avro_schema_parse(const char *text, size_t n, const char *what,
					struct avro_schema **out, struct tarn_err *err);
/* Reads and parses an .avsc file. */
TARN_MUST_USE tarn_rc avro_schema_load(const char *path, struct avro_schema **out,
				       struct tarn_err *err);
void avro_schema_free(struct avro_schema *s);
/* An empty schema whose nodes the caller builds (the writer does). */
TARN_MUST_USE tarn_rc avro_schema_new(struct avro_schema **out);
struct avro_node *avro_node_new(struct avro_schema *s, enum avro_kind kind);

/* Parsing Canonical Form (specification, "Parsing Canonical Form"). */
TARN_MUST_USE tarn_rc avro_schema_canonical(const struct avro_node *root, struct tarn_buf *out);
/* CRC-64-AVRO (Rabin) fingerprint. */
uint64_t avro_fingerprint64(const void *p, size_t n);
/* The full schema as JSON (names in full, logical types, defaults, aliases,
 * doc), each named type defined once. */
TARN_MUST_USE tarn_rc avro_schema_write_json(const struct avro_node *root, struct tarn_buf *out);
const char *avro_kind_name(enum avro_kind k);
/* The part of a full name after its last dot. */
const char *avro_short_name(const char *fullname);
/* True if s is a valid Avro name ([A-Za-z_][A-Za-z0-9_]*). */
bool avro_name_valid(const char *s);
/* Least number of bytes a value of N encodes to (for plausibility caps). */
int64_t avro_min_size(struct avro_node *n);

/* ---- decode programs (avro_resolve.c, avro_decode.c) --------------------------------- */

/* What one op does with one value of the writer's schema. Ops that store a
 * value append it to the array in `slot` (an index into the batch's arrays
 * in pre-order: columns, then their children depth-first). */
enum avro_opk {
	/* values */
	OPK_NULL,       /* writer null: append a null */
	OPK_BOOL,       /* boolean → bool */
	OPK_INT_I32,    /* int → int32, date32 */
	OPK_INT_I64,    /* int → int64, time64[ms] (time-millis) */
	OPK_LONG_I64,   /* long → int64, timestamp, time64 */
	OPK_INT_F32,    /* promotions */
	OPK_INT_F64,
	OPK_LONG_F32,
	OPK_LONG_F64,
	OPK_FLOAT_F32,
	OPK_FLOAT_F64,
	OPK_DOUBLE_F64,
	OPK_BYTES,      /* bytes or string → string or binary */
	OPK_FIXED,      /* fixed(a) → binary */
	OPK_FIXED_UUID, /* fixed(16) → string in canonical text */
	OPK_DEC_BYTES,  /* bytes decimal → decimal128 of precision b */
	OPK_DEC_FIXED,  /* fixed(a) decimal → decimal128 of precision b */
	OPK_DECF_BYTES, /* bytes decimal of > 38 digits → float64 (scale b) */
	OPK_DECF_FIXED, /* fixed(a) decimal of > 38 digits → float64 (scale b) */
	OPK_DURATION,   /* fixed(12) → struct<months, days, millis> (uint32 each) */
	OPK_ENUM,       /* int index → string: symbol table a, n entries */
	OPK_RECORD,     /* kids a..a+n in prog->kids; then ends the struct in slot */
	OPK_ARRAY,      /* item op a; list in slot */
	OPK_MAP,        /* value op a; map in slot (key array slot+2) */
	OPK_UNION,      /* writer union: branch ops kids[a..a+n) */
	OPK_NULLABLE,   /* writer union of null and one type: null branch b, value op a */
	OPK_MEMBER,     /* reader union as struct: value op a fills member b (slot) */
	OPK_DEFAULT,    /* append default value a (a one-row array) */
	OPK_FAIL,       /* a writer branch the reader cannot take: error text in why */
	/* skipping a writer's value nobody reads */
	OPK_SKIP_VARINT,
	OPK_SKIP_BOOL,
	OPK_SKIP_N,     /* a bytes */
	OPK_SKIP_BYTES,
	OPK_SKIP_RECORD, /* kids a..a+n */
	OPK_SKIP_ARRAY,  /* item op a */
	OPK_SKIP_MAP,    /* value op a */
	OPK_SKIP_UNION,  /* branches kids[a..a+n) */
};

struct avro_op {
	uint8_t kind;
	bool zero_size; /* ARRAY/MAP/SKIP_*: items may encode in 0 bytes */
	/* Scalar ops: the value is the non-null branch of a two-branch union
	 * with null; a branch index comes first, b is the null branch. Saves
	 * a second dispatch for the commonest Avro field, ["null", T]. */
	bool nul;
	int32_t slot;
	int32_t a, n, b;
	const char *path; /* dotted field path for messages */
	const char *why;  /* OPK_FAIL */
};

struct avro_sym {
	const char *s;
	int32_t len;
};

struct avro_prog {
	struct tarn_arena arena;
	struct avro_op *ops;
	int n_ops, cap_ops;
	int32_t *kids;
	int n_kids, cap_kids;
	struct avro_sym *syms;
	int n_syms, cap_syms;
	struct tarn_array **defaults; /* one-row arrays */
	int n_defaults, cap_defaults;
	int root;
	int n_slots;
	struct tarn_schema *schema; /* the output schema (referenced) */
	int64_t min_row;            /* least bytes one writer row encodes to */
	bool has_strings;           /* some slot is a string array (UTF-8 check) */
	/* Per slot: true for string arrays, which are UTF-8 checked per batch. */
	bool *slot_is_string;
};

/* Compiles the program that reads data written with WRITER into the tarn
 * schema of READER (NULL: the writer's schema itself). Mismatches are
 * TARN_EDATA (with `schema` option text) naming the field path. */
TARN_MUST_USE tarn_rc avro_prog_build(const struct avro_node *writer, const struct avro_node *reader,
				      const char *what, struct avro_prog **out, struct tarn_err *err);
void avro_prog_free(struct avro_prog *p);

/* Per-task decode state. */
struct avro_dec {
	struct tarn_array **slots; /* prog->n_slots arrays of the batch being filled */
	const uint8_t *end;        /* end of the data; >= 16 readable bytes follow */
	int depth;
	int64_t budget;            /* items of zero-size types still allowed */
	/* set on failure */
	tarn_rc rc;
	const struct avro_op *bad_op;
	const char *why;
	char detail[160];
};

/* Fills slots[] with the batch's arrays in slot order. */
void avro_slots_bind(const struct avro_prog *pg, struct tarn_batch *b, struct tarn_array **slots);
/* Decodes one row at p; returns the byte after it, or NULL with d->rc,
 * d->why set. Reads at most 16 bytes past d->end before noticing it ran
 * out. */
const uint8_t *avro_decode_row(const struct avro_prog *pg, struct avro_dec *d, const uint8_t *p);
/* UTF-8 check of the batch's string arrays; on failure *slot_out and the
 * row are named in err by the caller's prefix. */
TARN_MUST_USE tarn_rc avro_check_utf8(const struct avro_prog *pg, struct tarn_array **slots,
				      int *bad_slot, int64_t *bad_row);

/* Value conversions shared by decoding and default values (avro_decode.c). */
/* Big-endian two's complement of n bytes to a 128-bit integer; false when
 * it does not fit. */
bool avro_decimal_from_be(const uint8_t *p, size_t n, tarn_i128 *out);
/* The same value scaled by 10^-scale, as the nearest double. */
double avro_decimal_to_double(const uint8_t *p, size_t n, int scale);
/* 16 bytes as canonical lower-case UUID text (36 characters). */
void avro_uuid_format(const uint8_t *p, char *out);

/* ---- codecs (avro_codec.c) --------------------------------------------------------- */

enum avro_codec { AC_NULL, AC_DEFLATE, AC_SNAPPY, AC_ZSTD, AC_BZIP2, AC_XZ };

/* Codec by its avro.codec name (also "none", "zstd", "gzip" → deflate for
 * the writer option); -1 if unknown. */
int avro_codec_parse(const char *name, size_t n, bool lenient);
const char *avro_codec_name(int codec);
/* Decompresses a block into out (reset first) and leaves 16 zero bytes of
 * slack after out->len. More than max bytes is TARN_ELIMIT. *why explains a
 * failure. */
TARN_MUST_USE tarn_rc avro_decompress(int codec, const uint8_t *src, size_t n, size_t max,
				      struct tarn_buf *out, const char **why);
/* Appends the compressed form of src to out. */
TARN_MUST_USE tarn_rc avro_compress(int codec, int level, const uint8_t *src, size_t n,
				    struct tarn_buf *out);

/* ---- reader and writer ------------------------------------------------------------- */

TARN_MUST_USE tarn_rc avro_open_reader(struct tarn_input *in, const struct tarn_opts *opts,
				       struct tarn_reader **out, struct tarn_err *err);
TARN_MUST_USE tarn_rc avro_open_writer(struct tarn_output *out, struct tarn_schema *schema,
				       const struct tarn_opts *opts, struct tarn_writer **w,
				       struct tarn_err *err);

/* Zig-zag varints. */
static inline uint64_t avro_zigzag(int64_t v)
{
	return ((uint64_t)v << 1) ^ (0 - ((uint64_t)v >> 63));
}

static inline int64_t avro_unzigzag(uint64_t u)
{
	return (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
}

/* Writes v as a zig-zag varint to p (room for 10 bytes); returns bytes. */
static inline int avro_put_long(uint8_t *p, int64_t v)
{
	uint64_t u = avro_zigzag(v);
	int i = 0;
	while (u >= 0x80) {
		p[i++] = (uint8_t)(u | 0x80);
		u >>= 7;
	}
	p[i++] = (uint8_t)u;
	return i;
}

/* Bounded varint read for container framing (not the hot path): *ok false
 * when the bytes end or the varint is longer than 10 bytes. */
static inline const uint8_t *avro_get_long_bounded(const uint8_t *p, const uint8_t *end,
						   int64_t *out, bool *ok)
{
	uint64_t v = 0;
	for (int shift = 0; shift < 70; shift += 7) {
		if (p >= end) {
			*ok = false;
			return p;
		}
		uint8_t c = *p++;
		if (shift == 63 && c > 1) {
			*ok = false;
			return p;
		}
		v |= (uint64_t)(c & 0x7f) << shift;
		if (c < 0x80) {
			*out = avro_unzigzag(v);
			*ok = true;
			return p;
		}
	}
	*ok = false;
	return p;
}

#endif
