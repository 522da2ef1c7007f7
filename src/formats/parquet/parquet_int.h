/*
 * parquet_int.h — internals shared by the Parquet reader and writer.
 *
 * The pieces, one file each:
 *   parquet_meta.c       FileMetaData / PageHeader structs <-> Thrift compact
 *   parquet_schema.c     Parquet schema tree <-> tarn schema, level plans
 *   parquet_levels.c     RLE/bit-packed hybrid decoding and encoding
 *   parquet_encodings.c  value encodings (PLAIN, dictionary, DELTA_*, BSS)
 *   parquet_codec.c      page compression codecs
 *   parquet_read.c       the reader (pages -> levels + values -> arrays)
 *   parquet_write.c      the writer (arrays -> levels + pages -> file)
 *   parquet_bloom.c      XXH64, Split Block Bloom Filters (write and check)
 *   parquet_prune.c      row group / page pruning from statistics and page index
 *   parquet.c            the format descriptor and options
 *
 *   parquet_inspect.c    metadata as text / JSON (`tarn meta`)
 *
 * Names: pq_* for everything shared between these files.
 * Facts from apache/parquet-format (parquet.thrift, Encodings.md,
 * LogicalTypes.md, Compression.md). Relies on base/ (memory, buffers, I/O,
 * pool) and columnar/ (types, arrays). Thread-safety is per file; the
 * structs here belong to one reader or writer at a time.
 */
#ifndef TARN_PARQUET_INT_H
#define TARN_PARQUET_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/mem.h"
#include "columnar/array.h"
#include "formats/format.h"
#include "formats/parquet/thrift.h"

/* ---- enums (parquet.thrift) ------------------------------------------------- */

enum pq_phys {
	PQ_BOOLEAN = 0,
	PQ_INT32 = 1,
	PQ_INT64 = 2,
	PQ_INT96 = 3,
	PQ_FLOAT = 4,
	PQ_DOUBLE = 5,
	PQ_BYTE_ARRAY = 6,
	PQ_FLBA = 7,
};

enum pq_repetition { PQ_REQUIRED = 0, PQ_OPTIONAL = 1, PQ_REPEATED = 2 };

enum pq_converted {
	PQ_CT_NONE = -1,
	PQ_CT_UTF8 = 0,
	PQ_CT_MAP = 1,
	PQ_CT_MAP_KEY_VALUE = 2,
	PQ_CT_LIST = 3,
	PQ_CT_ENUM = 4,
	PQ_CT_DECIMAL = 5,
	PQ_CT_DATE = 6,
	PQ_CT_TIME_MILLIS = 7,
	PQ_CT_TIME_MICROS = 8,
	PQ_CT_TIMESTAMP_MILLIS = 9,
	PQ_CT_TIMESTAMP_MICROS = 10,
	PQ_CT_UINT_8 = 11,
	PQ_CT_UINT_16 = 12,
	PQ_CT_UINT_32 = 13,
	PQ_CT_UINT_64 = 14,
	PQ_CT_INT_8 = 15,
	PQ_CT_INT_16 = 16,
	PQ_CT_INT_32 = 17,
	PQ_CT_INT_64 = 18,
	PQ_CT_JSON = 19,
	PQ_CT_BSON = 20,
	PQ_CT_INTERVAL = 21,
};

/* LogicalType union member ids; PQ_LT_OTHER = a member tarn does not know. */
enum pq_logical_kind {
	PQ_LT_NONE = 0,
	PQ_LT_STRING = 1,
	PQ_LT_MAP = 2,
	PQ_LT_LIST = 3,
	PQ_LT_ENUM = 4,
	PQ_LT_DECIMAL = 5,
	PQ_LT_DATE = 6,
	PQ_LT_TIME = 7,
	PQ_LT_TIMESTAMP = 8,
	PQ_LT_INTEGER = 10,
	PQ_LT_UNKNOWN = 11,
	PQ_LT_JSON = 12,
	PQ_LT_BSON = 13,
	PQ_LT_UUID = 14,
	PQ_LT_FLOAT16 = 15,
	PQ_LT_VARIANT = 16,
	PQ_LT_GEOMETRY = 17,
	PQ_LT_GEOGRAPHY = 18,
	PQ_LT_OTHER = 1000,
};

enum pq_time_unit { PQ_MILLIS = 1, PQ_MICROS = 2, PQ_NANOS = 3 };

enum pq_encoding {
	PQ_ENC_PLAIN = 0,
	PQ_ENC_PLAIN_DICTIONARY = 2,
	PQ_ENC_RLE = 3,
	PQ_ENC_BIT_PACKED = 4,
	PQ_ENC_DELTA_BINARY_PACKED = 5,
	PQ_ENC_DELTA_LENGTH_BYTE_ARRAY = 6,
	PQ_ENC_DELTA_BYTE_ARRAY = 7,
	PQ_ENC_RLE_DICTIONARY = 8,
	PQ_ENC_BYTE_STREAM_SPLIT = 9,
};

enum pq_codec {
	PQ_UNCOMPRESSED = 0,
	PQ_SNAPPY = 1,
	PQ_GZIP = 2,
	PQ_LZO = 3,
	PQ_BROTLI = 4,
	PQ_LZ4 = 5,
	PQ_ZSTD = 6,
	PQ_LZ4_RAW = 7,
};

enum pq_page_type {
	PQ_DATA_PAGE = 0,
	PQ_INDEX_PAGE = 1,
	PQ_DICTIONARY_PAGE = 2,
	PQ_DATA_PAGE_V2 = 3,
};

const char *pq_phys_name(int t);
const char *pq_encoding_name(int e);
const char *pq_codec_name(int c);

/* ---- metadata structs ---------------------------------------------------------
 * Decoded from the footer into an arena. Byte fields (statistics) point into
 * the bytes decoded, which must outlive the struct; strings are copied and
 * NUL-terminated. Optional integers use -1 (or a has_ flag) for "absent". */

struct pq_logical {
	int kind; /* enum pq_logical_kind */
	int32_t scale, precision;
	bool utc;
	int unit; /* enum pq_time_unit */
	int bit_width;
	bool is_signed;
};

struct pq_schema_elem {
	int type;        /* enum pq_phys, -1 for a group */
	int32_t type_length;
	int repetition;  /* enum pq_repetition, -1 absent (root) */
	char *name;
	int32_t num_children; /* -1 absent */
	int converted;   /* enum pq_converted */
	int32_t scale, precision; /* -1 absent */
	int32_t field_id;
	bool has_field_id;
	struct pq_logical logical;
};

struct pq_stats {
	const uint8_t *min, *max; /* min_value/max_value, else the legacy fields */
	size_t min_len, max_len;
	bool has_min, has_max;
	bool legacy;              /* min/max came from the deprecated fields */
	int64_t null_count;       /* -1 absent */
	int64_t distinct_count;   /* -1 absent */
	int64_t nan_count;        /* -1 absent */
	int8_t min_exact, max_exact; /* -1 absent, else 0/1 */
};

struct pq_kv {
	char *key;
	char *value; /* NULL when absent */
};

struct pq_enc_stats {
	int page_type, encoding;
	int32_t count;
};

struct pq_column_meta {
	int type;
	int n_encodings;
	int32_t *encodings;
	int n_path;
	char **path;
	int codec;
	int64_t num_values;
	int64_t total_uncompressed_size, total_compressed_size;
	int n_kv;
	struct pq_kv *kv;
	int64_t data_page_offset;
	int64_t index_page_offset;      /* -1 absent */
	int64_t dictionary_page_offset; /* -1 absent */
	bool has_stats;
	struct pq_stats stats;
	int n_enc_stats;
	struct pq_enc_stats *enc_stats;
	int64_t bloom_filter_offset; /* -1 absent */
	int32_t bloom_filter_length; /* -1 absent */
};

struct pq_column_chunk {
	char *file_path; /* NULL when absent */
	int64_t file_offset;
	bool has_meta;
	struct pq_column_meta meta;
	int64_t offset_index_offset; /* -1 absent */
	int32_t offset_index_length;
	int64_t column_index_offset; /* -1 absent */
	int32_t column_index_length;
	bool encrypted; /* crypto_metadata or encrypted_column_metadata present */
};

struct pq_sorting_column {
	int32_t column_idx;
	bool descending, nulls_first;
};

struct pq_row_group {
	int n_columns;
	struct pq_column_chunk *columns;
	int64_t total_byte_size;
	int64_t num_rows;
	int n_sorting;
	struct pq_sorting_column *sorting;
	int64_t file_offset;           /* -1 absent */
	int64_t total_compressed_size; /* -1 absent */
	int32_t ordinal;               /* -1 absent */
};

struct pq_file_meta {
	int32_t version;
	int n_schema;
	struct pq_schema_elem *schema;
	int64_t num_rows;
	int n_row_groups;
	struct pq_row_group *row_groups;
	int n_kv;
	struct pq_kv *kv;
	char *created_by;
	int n_column_orders;
	int32_t *column_orders; /* union member id per leaf (1 = TYPE_ORDER) */
	bool encrypted;         /* encryption_algorithm present */
	struct tarn_arena arena;
};

struct pq_page_header {
	int type;
	int32_t uncompressed_size, compressed_size;
	bool has_crc;
	uint32_t crc;
	/* DATA_PAGE and DATA_PAGE_V2 */
	int32_t num_values;
	int encoding;
	int def_encoding, rep_encoding; /* v1 */
	int32_t num_nulls, num_rows;    /* v2 */
	int32_t def_len, rep_len;       /* v2 */
	bool is_compressed;             /* v2, default true */
	/* DICTIONARY_PAGE */
	int32_t dict_num_values;
	int dict_encoding;
	bool dict_sorted;
	bool has_stats;
	struct pq_stats stats;
	bool has_body; /* the header struct for `type` was present */
};

/* Decodes a FileMetaData from p[0..n). On failure sets err with "file: what
 * (footer byte offset N)". The arena inside *m is initialised either way;
 * release with pq_file_meta_free. */
TARN_MUST_USE tarn_rc pq_file_meta_decode(const uint8_t *p, size_t n, struct pq_file_meta *m,
					  const char *file, int64_t footer_pos,
					  struct tarn_err *err);
void pq_file_meta_free(struct pq_file_meta *m);
/* Decodes a PageHeader starting at p (at most n bytes); *used = header bytes. */
TARN_MUST_USE tarn_rc pq_page_header_decode(const uint8_t *p, size_t n, struct pq_page_header *h,
					    size_t *used, const char **why);

/* ---- page index (PageIndex.md) -------------------------------------------------- */

enum pq_boundary { PQ_UNORDERED = 0, PQ_ASCENDING = 1, PQ_DESCENDING = 2 };

struct pq_page_loc {
	int64_t offset;      /* file offset of the page header */
	int32_t size;        /* header + compressed body */
	int64_t first_row;   /* within the row group */
};

struct pq_offset_index {
	int n;
	struct pq_page_loc *locs;
};

/* min/max point into the bytes decoded. null_counts NULL when absent. */
struct pq_column_index {
	int n;
	bool *null_pages;
	const uint8_t **min, **max;
	size_t *min_len, *max_len;
	int boundary; /* enum pq_boundary */
	int64_t *null_counts;
};

/* Decode an OffsetIndex / ColumnIndex from p[0..n) into arena memory. On
 * failure *why says what is wrong. */
TARN_MUST_USE tarn_rc pq_offset_index_decode(const uint8_t *p, size_t n, struct tarn_arena *arena,
					     struct pq_offset_index *out, const char **why);
TARN_MUST_USE tarn_rc pq_column_index_decode(const uint8_t *p, size_t n, struct tarn_arena *arena,
					     struct pq_column_index *out, const char **why);
void pq_offset_index_encode(struct thrift_out *o, const struct pq_offset_index *x);
void pq_column_index_encode(struct thrift_out *o, const struct pq_column_index *x);

/* Encoding (writer). */
void pq_file_meta_encode(struct thrift_out *o, const struct pq_file_meta *m);
void pq_page_header_encode(struct thrift_out *o, const struct pq_page_header *h);
void pq_stats_encode(struct thrift_out *o, int16_t id, const struct pq_stats *s);

/* ---- schema ------------------------------------------------------------------- */

/* How a leaf's physical values become the tarn type's storage. */
enum pq_conv {
	PQ_CV_BOOL,
	PQ_CV_COPY4,    /* INT32/FLOAT into a 4-byte type */
	PQ_CV_COPY8,    /* INT64/DOUBLE into an 8-byte type */
	PQ_CV_I32_I8,   /* INT32 narrowed to 1 byte (int8/uint8) */
	PQ_CV_I32_I16,  /* INT32 narrowed to 2 bytes */
	PQ_CV_I32_I64,  /* INT32 widened (TIME_MILLIS into time64) */
	PQ_CV_I32_DEC,  /* INT32 decimal into decimal128 */
	PQ_CV_I64_DEC,
	PQ_CV_INT96_TS, /* INT96 (Impala) into timestamp */
	PQ_CV_F16_F32,  /* FLOAT16 into float32 */
	PQ_CV_BYTES,    /* BYTE_ARRAY into string/binary */
	PQ_CV_FLBA_BYTES, /* FIXED_LEN_BYTE_ARRAY into binary */
	PQ_CV_UUID,     /* FLBA(16) into its canonical text */
	PQ_CV_BIN_DEC,  /* big-endian two's complement BYTE_ARRAY/FLBA into decimal128 */
	PQ_CV_BIN_F64,  /* ... a decimal too wide for decimal128, into float64 */
	PQ_CV_NULL,     /* LogicalType UNKNOWN: values dropped */
};

struct pq_leaf {
	int index;      /* column chunk index within a row group */
	int field;      /* top-level field index */
	const struct pq_schema_elem *el;
	int16_t max_def, max_rep;
	int phys;
	int32_t type_length;
	enum pq_conv conv;
	int scale;      /* PQ_CV_BIN_F64: decimal scale; INT96: target unit */
	const struct tarn_type *type; /* tarn type of the leaf array */
	char *path;     /* dotted path, for messages */
};

enum pq_plan_kind { PQ_PLAN_LEAF, PQ_PLAN_STRUCT, PQ_PLAN_LIST };

/* One per tarn array node: which level entries (of its representative leaf,
 * the first leaf below it) are its slots, and when a slot is valid. A slot is
 * an entry with rep <= rep_slot and def >= def_slot; it is non-null when
 * def >= def_valid. A list's items are its child's slots. */
struct pq_plan {
	int kind;
	int16_t def_valid, def_slot, rep_slot;
	int leaf; /* representative leaf (index into pq_schema.leaves) */
	int n_children;
	struct pq_plan *children;
	struct tarn_array *arr; /* the array being filled for the current batch */
};

struct pq_schema {
	struct tarn_arena arena;
	struct tarn_schema *schema; /* referenced */
	int n_leaves;
	struct pq_leaf *leaves;
	int n_fields;
	struct pq_plan *fields;
};

struct pq_read_opts {
	int int96_unit; /* enum tarn_time_unit */
	bool verify_crc;
	int64_t batch_rows;
	int64_t max_page;   /* largest (uncompressed) page accepted */
	int64_t max_values; /* level entries per column per batch */
	const char *columns; /* comma-separated top-level names, or NULL for all */
};

/* Builds the tarn schema and level plans from the file's schema elements. */
TARN_MUST_USE tarn_rc pq_schema_build(const struct pq_file_meta *m, const struct pq_read_opts *o,
				      struct pq_schema *out, const char *file,
				      struct tarn_err *err);
void pq_schema_free(struct pq_schema *s);

/* ---- RLE / bit-packed hybrid (parquet_levels.c) ---------------------------------
 * Encodings.md "Run Length Encoding / Bit-Packing Hybrid". The decoder reads
 * runs lazily; decoding stops (returns fewer values) when the data ends or a
 * run header is malformed, and `bad` tells which. */

struct pq_rle {
	const uint8_t *p, *end;
	int bw;
	uint32_t mask;
	int64_t left;       /* values left in the current run */
	bool packed;        /* current run is bit-packed */
	uint32_t value;     /* current RLE run's value */
	uint32_t buf[32];   /* unpacked values of a partly consumed packed block */
	int buf_pos, buf_len;
	bool bad;
};

void pq_rle_init(struct pq_rle *d, const uint8_t *p, size_t n, int bw);
int64_t pq_rle_get_u32(struct pq_rle *d, uint32_t *out, int64_t n);
int64_t pq_rle_get_u8(struct pq_rle *d, uint8_t *out, int64_t n);
/* Deprecated BIT_PACKED level encoding (MSB first, no runs). */
int64_t pq_bitpacked_msb_get_u8(const uint8_t *p, size_t n, int bw, int64_t start, uint8_t *out,
				int64_t count);

/* Unpacks 32 values of width bw (0..32) from in (4*bw bytes, may read up to 8
 * bytes past them when `padded`, else exactly) into out. */
void pq_unpack32_u32(const uint8_t *in, uint32_t *out, int bw);
/* Same, 64-bit values, widths 0..64 (4*bw... = 32*bw/8 bytes). */
void pq_unpack32_u64(const uint8_t *in, uint64_t *out, int bw);

/* Encoder: appends hybrid runs for values[0..n) with bit width bw. */
TARN_MUST_USE tarn_rc pq_rle_encode(struct tarn_buf *out, const uint32_t *values, int64_t n,
				    int bw);
TARN_MUST_USE tarn_rc pq_rle_encode_u8(struct tarn_buf *out, const uint8_t *values, int64_t n,
				       int bw);
/* Bits needed for v (0 for 0). */
static inline int pq_bit_width(uint64_t v)
{
	return v ? 64 - __builtin_clzll(v) : 0;
}

/* ---- value decoding (parquet_encodings.c) ---------------------------------------- */

#define PQ_CHUNK 1024           /* values staged per step */
#define PQ_DELTA_MAX_MINI 4096  /* largest DELTA_BINARY_PACKED miniblock accepted */
#define PQ_DELTA_MAX_MINIS 512  /* most miniblocks per block accepted */

/* DELTA_BINARY_PACKED reader (Encodings.md): decodes a miniblock at a time. */
struct pq_delta {
	const uint8_t *p, *end;
	uint64_t block_size, n_mini, mini_size;
	int64_t left;      /* values not yet returned, the first included */
	bool first_pending;
	uint64_t last;     /* previous value (wrapping arithmetic) */
	uint64_t min_delta;
	uint64_t mini_i;   /* next miniblock in the block; n_mini = read a header */
	uint8_t widths[PQ_DELTA_MAX_MINIS];
	uint64_t buf[PQ_DELTA_MAX_MINI];
	int64_t buf_pos, buf_len;
	const char *why;   /* set on malformed data */
};

TARN_MUST_USE tarn_rc pq_delta_init(struct pq_delta *d, const uint8_t *p, size_t n);
/* Up to n values into out; returns how many (fewer at the end of the data). */
TARN_MUST_USE tarn_rc pq_delta_get(struct pq_delta *d, uint64_t *out, int64_t n, int64_t *got);
/* Appends v[0..n) DELTA_BINARY_PACKED; i32: the physical type is INT32. */
TARN_MUST_USE tarn_rc pq_delta_encode(struct tarn_buf *out, const int64_t *v, int64_t n, bool i32);
/* The byte just past the encoded values (walks the blocks without decoding). */
TARN_MUST_USE tarn_rc pq_delta_end(const uint8_t *p, size_t n, const uint8_t **end,
				   const char **why);

/* A data page's value section being decoded into dense leaf values. */
#define PQ_SHORT_DICT 256

struct pq_valdec {
	const struct pq_leaf *lf;
	int encoding;
	const uint8_t *start, *p, *end;
	int bit;                      /* PLAIN BOOLEAN: bit offset at p */
	struct pq_rle rle;            /* dictionary indices, RLE booleans */
	const struct tarn_array *dict;
	struct pq_delta *d1, *d2;     /* DELTA_*: lengths/prefixes, suffix lengths */
	const uint8_t *data;          /* DELTA_(LENGTH_)BYTE_ARRAY payload cursor */
	struct tarn_buf prev;         /* DELTA_BYTE_ARRAY: previous value */
	int64_t bss_n, bss_pos;       /* BYTE_STREAM_SPLIT: values in the page, next */
	uint8_t *tmp;                 /* one FLBA value (BSS), type_length bytes */
	uint32_t idx[PQ_CHUNK];
	uint64_t u64[PQ_CHUNK];
	uint64_t u64b[PQ_CHUNK];
	uint8_t stage[PQ_CHUNK * 16];
	/* dictionaries of at most PQ_SHORT_DICT strings of at most 16 bytes:
	 * each entry zero-padded to 16 bytes, so that a value is copied with
	 * two fixed-size stores instead of a memcpy call (set per page) */
	bool short_dict;
	uint8_t short_len[PQ_SHORT_DICT];
	uint64_t short_val[PQ_SHORT_DICT][2];
	const char *why;              /* what was wrong when a call failed */
};

/* Starts decoding `n` bytes of values in `encoding`. dict: the chunk's
 * dictionary (required for the dictionary encodings). */
TARN_MUST_USE tarn_rc pq_valdec_init(struct pq_valdec *v, const struct pq_leaf *lf, int encoding,
				     const uint8_t *p, size_t n, const struct tarn_array *dict);
/* Appends k dense (non-null) values to dst, converted to the leaf's type. */
TARN_MUST_USE tarn_rc pq_valdec_read(struct pq_valdec *v, struct tarn_array *dst, int64_t k);
void pq_valdec_free(struct pq_valdec *v);
/* Decodes a PLAIN dictionary page of `count` values into a new array of the
 * leaf's type. */
TARN_MUST_USE tarn_rc pq_dict_decode(const struct pq_leaf *lf, const uint8_t *p, size_t n,
				     int64_t count, struct tarn_array **out, const char **why);

/* ---- codecs (parquet_codec.c) ------------------------------------------------- */

/* Decompresses src into dst, which must come out exactly dst_len bytes. */
TARN_MUST_USE tarn_rc pq_decompress(int codec, const uint8_t *src, size_t src_len, uint8_t *dst,
				    size_t dst_len, const char **why);
/* Compresses src, appending to out. level 0 = codec default. */
TARN_MUST_USE tarn_rc pq_compress(int codec, int level, const uint8_t *src, size_t src_len,
				  struct tarn_buf *out);
bool pq_codec_supported(int codec);

/* ---- pruning (parquet_prune.c) ----------------------------------------------------
 * Which row groups (chunk statistics) and which pages (ColumnIndex +
 * OffsetIndex) of a column may hold values in [lo, hi]. For SQL filters:
 * answers are conservative (kept when unsure: no statistics, an order the
 * file does not define, NaN bounds), never wrong. Nulls never match. */

/* How a leaf's statistics compare. */
enum pq_order {
	PQ_ORDER_NONE,     /* no usable order: never prune */
	PQ_ORDER_SIGNED,   /* INT32/INT64 two's complement */
	PQ_ORDER_UNSIGNED, /* INT32/INT64 unsigned, BOOLEAN */
	PQ_ORDER_FLOAT,    /* FLOAT/DOUBLE, NaN = unknown */
	PQ_ORDER_BYTES,    /* byte-wise unsigned (strings, binary) */
	PQ_ORDER_DECIMAL,  /* big-endian two's complement (BYTE_ARRAY/FLBA decimals) */
};

/* A bound: a PLAIN-encoded physical value (BYTE_ARRAY without its length
 * prefix); p NULL = unbounded. */
struct pq_bound {
	const uint8_t *p;
	size_t n;
};

struct pq_row_range {
	int64_t first, end; /* rows [first, end) of a row group */
};

int pq_leaf_order(const struct pq_file_meta *m, const struct pq_leaf *lf);
/* -1/0/1; *ok false when the values cannot be compared (NaN, bad length). */
int pq_value_cmp(int order, int phys, const uint8_t *a, size_t an, const uint8_t *b, size_t bn,
		 bool *ok);
/* keep[g] for every row group: false when chunk statistics show the column
 * has no value in [lo, hi] there. */
void pq_prune_row_groups(const struct pq_file_meta *m, const struct pq_leaf *lf,
			 const struct pq_bound *lo, const struct pq_bound *hi, bool *keep);
/* Row ranges of row group g whose pages may hold values in [lo, hi], in
 * order and merged (arena memory). Without a page index: the whole row
 * group. A page index that is out of range or corrupt is EDATA with *why. */
TARN_MUST_USE tarn_rc pq_prune_pages(const uint8_t *file, size_t file_len,
				     const struct pq_file_meta *m, int g, const struct pq_leaf *lf,
				     const struct pq_bound *lo, const struct pq_bound *hi,
				     struct tarn_arena *arena, struct pq_row_range **out, int *n_out,
				     const char **why);
/* The chunk's OffsetIndex, checked against the file and the row group
 * (pages inside the chunk, in order, first rows rising from 0); *has false
 * when the chunk has none. */
TARN_MUST_USE tarn_rc pq_chunk_offset_index(const uint8_t *file, size_t file_len,
					    const struct pq_row_group *rg, int col,
					    struct tarn_arena *arena, struct pq_offset_index *out,
					    bool *has, const char **why);
/* Restricts a Parquet reader (before its first batch) to the row groups and
 * pages where leaf `column` (dotted path, among the columns read) may hold
 * values in [lo, hi]: batches then hold a superset of the matching rows, in
 * file order, for a filter applied after. Pages wholly outside are not read
 * when the chunks have an OffsetIndex. */
TARN_MUST_USE tarn_rc pq_reader_prune(struct tarn_reader *r, const char *column,
				      const struct pq_bound *lo, const struct pq_bound *hi,
				      struct tarn_err *err);
/* Narrows a reader's selection (before its first batch) by one more
 * column range: row groups whose statistics rule [lo, hi] out for `column`
 * are dropped too (all ranges must hold). Pages are pruned by the first
 * range only. The first call is pq_reader_prune. */
TARN_MUST_USE tarn_rc pq_reader_narrow(struct tarn_reader *r, const char *column,
				       const struct pq_bound *lo, const struct pq_bound *hi,
				       struct tarn_err *err);
/* Checks the magic and decodes the footer of a whole file in p[0..n);
 * *meta_start = where the footer begins. Errors name `name`. */
TARN_MUST_USE tarn_rc pq_footer_read(const uint8_t *p, size_t n, const char *name,
				     struct pq_file_meta *m, int64_t *meta_start,
				     struct tarn_err *err);

/* ---- Bloom filters (parquet_bloom.c) ----------------------------------------------- */

#define PQ_BLOOM_MIN 32                    /* one block */
#define PQ_BLOOM_MAX ((size_t)128 << 20)   /* largest filter written or read */

/* XXH64 (xxHash specification). */
uint64_t pq_xxh64(const void *data, size_t n, uint64_t seed);
/* Filter bytes (a power of two, PQ_BLOOM_MIN..PQ_BLOOM_MAX) for ndv
 * distinct values at false-positive rate fpp. */
size_t pq_bloom_size(int64_t ndv, double fpp);
void pq_bloom_insert(uint8_t *bits, size_t n, uint64_t h);
bool pq_bloom_check(const uint8_t *bits, size_t n, uint64_t h);
void pq_bloom_header_encode(struct thrift_out *o, size_t n);
/* The chunk's filter bitset (pointing into file), or *bits NULL when it has
 * none. */
TARN_MUST_USE tarn_rc pq_bloom_read(const uint8_t *file, size_t file_len,
				    const struct pq_column_meta *cm, const uint8_t **bits,
				    size_t *n, const char **why);
/* *maybe false when the chunk's Bloom filter proves the PLAIN-encoded value
 * (BYTE_ARRAY: its bytes) is absent; true when it may be there or the chunk
 * has no filter. */
TARN_MUST_USE tarn_rc pq_bloom_might_contain(const uint8_t *file, size_t file_len,
					     const struct pq_column_meta *cm, const void *value,
					     size_t len, bool *maybe, const char **why);

/* ---- entry points (parquet_read.c, parquet_write.c) ------------------------------ */

TARN_MUST_USE tarn_rc parquet_open_reader(struct tarn_input *in, const struct tarn_opts *opts,
					  struct tarn_reader **out, struct tarn_err *err);
TARN_MUST_USE tarn_rc parquet_open_writer(struct tarn_output *out, struct tarn_schema *schema,
					  const struct tarn_opts *opts, struct tarn_writer **w,
					  struct tarn_err *err);

/* A file's metadata as text or JSON (parquet_inspect.c), for `tarn meta`;
 * *out is freed with tarn_free. To be declared in include/tarn.h. */
TARN_MUST_USE tarn_rc tarn_parquet_meta(const char *path, bool json, char **out,
					struct tarn_err *err);

#endif
