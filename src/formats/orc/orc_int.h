/*
 * orc_int.h — internals shared by the Apache ORC reader and writer.
 *
 * The pieces, one file each:
 *   orc_proto.c   protobuf wire format: the file tail, stripe footer and row
 *                 index messages <-> the structs below (orc_proto.proto)
 *   orc_codec.c   compression framing (3-byte chunk headers) and the codecs:
 *                 stream readers that decompress chunk by chunk, writers
 *   orc_lzo.c     LZO1X decompression (read only; no LZO library is linked)
 *   orc_rle.c     byte RLE, boolean RLE, integer RLE v1 and v2 (all four
 *                 sub-encodings), decoding and encoding
 *   orc_tz.c      time zones from the system tz database (TZif + POSIX rules)
 *   orc_column.c  column decoders: streams of one column -> Arrow arrays
 *   orc_read.c    the reader: file tail, schema, stripes, batches, seeking
 *   orc_stats.c   column statistics: accumulate, encode, decode; pruning
 *   orc_write.c   the writer
 *   orc.c         the format descriptor and options
 *
 * Facts from the ORC v1 specification (apache/orc site/specification/
 * ORCv1.md, ORCv2.md for Decimal64) and orc_proto.proto (apache/orc-format).
 * Names: orc_* for everything shared between these files. Relies on base/
 * and columnar/. The structs belong to one reader or writer at a time.
 */
#ifndef TARN_ORC_INT_H
#define TARN_ORC_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/mem.h"
#include "columnar/array.h"
#include "formats/format.h"

/* ---- enums (orc_proto.proto) ---------------------------------------------------- */

enum orc_kind {
	ORC_BOOLEAN = 0,
	ORC_BYTE = 1,
	ORC_SHORT = 2,
	ORC_INT = 3,
	ORC_LONG = 4,
	ORC_FLOAT = 5,
	ORC_DOUBLE = 6,
	ORC_STRING = 7,
	ORC_BINARY = 8,
	ORC_TIMESTAMP = 9,
	ORC_LIST = 10,
	ORC_MAP = 11,
	ORC_STRUCT = 12,
	ORC_UNION = 13,
	ORC_DECIMAL = 14,
	ORC_DATE = 15,
	ORC_VARCHAR = 16,
	ORC_CHAR = 17,
	ORC_TIMESTAMP_INSTANT = 18,
	ORC_KIND_COUNT = 19,
};

enum orc_compression {
	ORC_C_NONE = 0,
	ORC_C_ZLIB = 1,
	ORC_C_SNAPPY = 2,
	ORC_C_LZO = 3,
	ORC_C_LZ4 = 4,
	ORC_C_ZSTD = 5,
	ORC_C_BROTLI = 6,
};

enum orc_stream_kind {
	ORC_S_PRESENT = 0,
	ORC_S_DATA = 1,
	ORC_S_LENGTH = 2,
	ORC_S_DICTIONARY_DATA = 3,
	ORC_S_DICTIONARY_COUNT = 4,
	ORC_S_SECONDARY = 5,
	ORC_S_ROW_INDEX = 6,
	ORC_S_BLOOM_FILTER = 7,
	ORC_S_BLOOM_FILTER_UTF8 = 8,
	ORC_S_ENCRYPTED_INDEX = 9,
	ORC_S_ENCRYPTED_DATA = 10,
};

enum orc_encoding { ORC_E_DIRECT = 0, ORC_E_DICTIONARY = 1, ORC_E_DIRECT_V2 = 2, ORC_E_DICTIONARY_V2 = 3 };

const char *orc_kind_name(int kind);
const char *orc_compression_name(int c);
const char *orc_stream_kind_name(int k);

/* ---- protobuf wire (orc_proto.c) ------------------------------------------------- */

/* A message being read: fields are pulled one at a time; `bad` is set (and
 * stays set) on truncated or malformed input. */
struct orc_pb_in {
	const uint8_t *p, *end;
	bool bad;
};

enum { ORC_PB_VARINT = 0, ORC_PB_I64 = 1, ORC_PB_LEN = 2, ORC_PB_I32 = 5 };

/* Next field key; false at the end of the message (or when bad). */
bool orc_pb_next(struct orc_pb_in *in, uint32_t *field, int *wire);
uint64_t orc_pb_varint(struct orc_pb_in *in);
int64_t orc_pb_sint(struct orc_pb_in *in); /* zigzag */
double orc_pb_double(struct orc_pb_in *in);
/* A length-delimited field's bytes. */
bool orc_pb_bytes(struct orc_pb_in *in, const uint8_t **p, size_t *n);
void orc_pb_skip(struct orc_pb_in *in, int wire);
/* Values of a repeated scalar field, packed or not: calls fn per value. */
bool orc_pb_repeated_varint(struct orc_pb_in *in, int wire, void (*fn)(void *ctx, uint64_t v), void *ctx);

/* Writing: appends to a tarn_buf; errors accumulate in rc (first wins). */
struct orc_pb_out {
	struct tarn_buf *b;
	tarn_rc rc;
};

void orc_pb_put_varint(struct orc_pb_out *o, uint64_t v);
void orc_pb_put_key(struct orc_pb_out *o, uint32_t field, int wire);
void orc_pb_put_uint(struct orc_pb_out *o, uint32_t field, uint64_t v);
void orc_pb_put_sint(struct orc_pb_out *o, uint32_t field, int64_t v);
void orc_pb_put_double(struct orc_pb_out *o, uint32_t field, double v);
void orc_pb_put_bytes(struct orc_pb_out *o, uint32_t field, const void *p, size_t n);
/* A nested message: begin reserves room for its length, end fills it in. */
size_t orc_pb_begin(struct orc_pb_out *o, uint32_t field);
void orc_pb_end(struct orc_pb_out *o, size_t mark);

/* ---- decoded metadata -------------------------------------------------------------
 * Decoded into an arena; byte fields point into the decompressed message
 * bytes, which the owner keeps alive. */

struct orc_type {
	int kind;
	int n_sub;
	uint32_t *sub;
	int n_names;
	char **names;
	uint32_t max_len;
	uint32_t precision, scale;
	bool has_precision, has_scale;
	/* filled by the reader: parent type id (-1 for the root) */
	int parent;
};

struct orc_stripe_info {
	uint64_t offset, index_len, data_len, footer_len, rows;
	bool has_encrypt_id;
};

/* ColumnStatistics. Only the fields present are flagged. */
struct orc_stats {
	bool has_values, has_has_null;
	uint64_t values;
	bool has_null;
	/* which typed member was present */
	bool has_int, has_double, has_string, has_bucket, has_decimal, has_date, has_binary,
		has_timestamp, has_collection;
	/* int */
	bool has_imin, has_imax, has_isum;
	int64_t imin, imax, isum;
	/* double */
	bool has_dmin, has_dmax, has_dsum;
	double dmin, dmax, dsum;
	/* string (min/max or, for long values, lower/upper bounds) */
	const uint8_t *smin, *smax, *slower, *supper;
	size_t smin_len, smax_len, slower_len, supper_len;
	bool has_smin, has_smax, has_slower, has_supper, has_ssum;
	int64_t ssum;
	/* bucket (boolean): count of true values */
	bool has_true_count;
	uint64_t true_count;
	/* decimal, as text */
	const uint8_t *decmin, *decmax, *decsum;
	size_t decmin_len, decmax_len, decsum_len;
	/* date */
	bool has_date_min, has_date_max;
	int32_t date_min, date_max;
	/* binary */
	bool has_bsum;
	int64_t bsum;
	/* timestamp (milliseconds) */
	bool has_ts_min, has_ts_max, has_ts_min_utc, has_ts_max_utc;
	int64_t ts_min, ts_max, ts_min_utc, ts_max_utc;
	bool has_ts_min_nanos, has_ts_max_nanos;
	int32_t ts_min_nanos, ts_max_nanos;
	/* collection (list, map) */
	bool has_cmin, has_cmax, has_ctotal;
	uint64_t cmin, cmax, ctotal;
	bool has_bytes_on_disk;
	uint64_t bytes_on_disk;
};

struct orc_kv {
	const uint8_t *name, *value;
	size_t name_len, value_len;
};

struct orc_postscript {
	uint64_t footer_len;
	int compression;
	uint64_t block_size;
	bool has_block_size;
	int n_version;
	uint32_t version[4];
	uint64_t metadata_len;
	uint32_t writer_version;
	bool has_writer_version;
	uint64_t stripe_stats_len;
	bool has_magic;
};

struct orc_footer {
	uint64_t header_len, content_len;
	int n_stripes;
	struct orc_stripe_info *stripes;
	int n_types;
	struct orc_type *types;
	int n_kv;
	struct orc_kv *kv;
	uint64_t rows;
	bool has_rows;
	int n_stats;
	struct orc_stats *stats;
	uint32_t row_index_stride;
	bool has_stride;
	uint32_t writer;
	bool has_writer;
	bool encrypted;
	int calendar;
	const uint8_t *software_version;
	size_t software_version_len;
};

/* Metadata: stripe_stats[s * n_cols + c] (n_cols from the first stripe's
 * entry; stripes with fewer entries leave the rest zeroed). */
struct orc_metadata {
	int n_stripes, n_cols;
	struct orc_stats *stats;
};

struct orc_stream_info {
	int kind;
	uint32_t column;
	uint64_t length;
	uint64_t offset; /* computed: from the stripe start */
	bool has_kind;
};

struct orc_col_encoding {
	int kind;
	uint32_t dict_size;
};

struct orc_stripe_footer {
	int n_streams;
	struct orc_stream_info *streams;
	int n_encodings;
	struct orc_col_encoding *encodings;
	const uint8_t *tz;
	size_t tz_len;
	bool has_tz;
	bool encrypted;
};

struct orc_index_entry {
	int n_pos;
	uint64_t *pos;
	bool has_stats;
	struct orc_stats stats;
};

struct orc_row_index {
	int n;
	struct orc_index_entry *entries;
};

/* Decoders: *why says what is wrong on TARN_EDATA. */
TARN_MUST_USE tarn_rc orc_postscript_decode(const uint8_t *p, size_t n, struct orc_postscript *ps,
					    const char **why);
TARN_MUST_USE tarn_rc orc_footer_decode(const uint8_t *p, size_t n, struct tarn_arena *a,
					struct orc_footer *f, const char **why);
TARN_MUST_USE tarn_rc orc_metadata_decode(const uint8_t *p, size_t n, struct tarn_arena *a,
					  struct orc_metadata *m, const char **why);
TARN_MUST_USE tarn_rc orc_stripe_footer_decode(const uint8_t *p, size_t n, struct tarn_arena *a,
					       struct orc_stripe_footer *sf, const char **why);
TARN_MUST_USE tarn_rc orc_row_index_decode(const uint8_t *p, size_t n, struct tarn_arena *a,
					   struct orc_row_index *ri, const char **why);
bool orc_stats_decode(const uint8_t *p, size_t n, struct orc_stats *s);

/* Encoders (writer). */
void orc_stats_encode(struct orc_pb_out *o, uint32_t field, const struct orc_stats *s);
void orc_postscript_encode(struct orc_pb_out *o, const struct orc_postscript *ps);
void orc_type_encode(struct orc_pb_out *o, const struct orc_type *t);

/* ---- compression (orc_codec.c) ----------------------------------------------------- */

#define ORC_DEFAULT_BLOCK ((uint64_t)256 * 1024)
#define ORC_MAX_BLOCK ((uint64_t)1 << 24) /* largest chunk accepted (16 MiB) */

bool orc_codec_supported(int c);

/* Decompression contexts, one set per thread of work (created lazily). */
struct orc_dctx {
	void *zlib;   /* z_stream */
	void *zstd;   /* ZSTD_DCtx */
};
void orc_dctx_free(struct orc_dctx *d);

/* A stream being read: the compressed bytes [src, src_end) of the file,
 * decompressed a chunk at a time into a window [p, end). Uncompressed
 * streams are read in place. Decoders keep `p` moving forward and call
 * orc_stream_fill when they need more contiguous bytes. */
struct orc_stream {
	const uint8_t *src, *src_end; /* the stream in the file */
	const uint8_t *next;          /* next chunk header (compressed) */
	const uint8_t *p, *end;       /* window */
	uint8_t *buf;                 /* window storage (compressed streams) */
	size_t cap;
	int codec;
	size_t block;
	struct orc_dctx *dc;
	const char *why; /* what was wrong when a call failed */
	bool present;    /* the stream exists in this stripe */
};

void orc_stream_init(struct orc_stream *s, const uint8_t *p, size_t n, int codec, size_t block,
		     struct orc_dctx *dc);
void orc_stream_free(struct orc_stream *s);
/* Makes at least `want` bytes contiguous at p, fewer only at the end of the
 * stream. */
TARN_MUST_USE tarn_rc orc_stream_fill_slow(struct orc_stream *s, size_t want);
static inline tarn_rc orc_stream_fill(struct orc_stream *s, size_t want)
{
	if ((size_t)(s->end - s->p) >= want)
		return TARN_OK;
	return orc_stream_fill_slow(s, want);
}
/* True when every byte of the stream has been consumed. */
static inline bool orc_stream_done(const struct orc_stream *s)
{
	return s->p == s->end && s->next >= s->src_end;
}
/* Copies exactly n bytes to dst (EDATA if the stream ends first). */
TARN_MUST_USE tarn_rc orc_stream_read(struct orc_stream *s, void *dst, size_t n);
TARN_MUST_USE tarn_rc orc_stream_skip(struct orc_stream *s, uint64_t n);
/* Row index position: chunk (compressed streams only) + byte offset. */
TARN_MUST_USE tarn_rc orc_stream_seek(struct orc_stream *s, uint64_t chunk, uint64_t offset);
/* Decompresses a whole compressed section (footer, metadata, stripe
 * footer, row index) into out (replacing its content), capping the
 * result at `limit` bytes. */
TARN_MUST_USE tarn_rc orc_decompress_all(int codec, size_t block, const uint8_t *p, size_t n,
					 struct tarn_buf *out, size_t limit, struct orc_dctx *dc,
					 const char **why);
/* Appends src compressed in chunks of at most `block` bytes, each with its
 * 3-byte header (original bytes when compression does not help). NONE:
 * copies. *chunk_starts (optional, n_chunks entries) receives the offset
 * of each chunk's header relative to the start of what was appended. */
TARN_MUST_USE tarn_rc orc_compress(int codec, int level, size_t block, const uint8_t *src,
				   size_t n, struct tarn_buf *out, uint64_t *chunk_starts);
/* Raw LZO1X block decompression (orc_lzo.c); *out_len = bytes produced. */
TARN_MUST_USE tarn_rc orc_lzo_decompress(const uint8_t *src, size_t n, uint8_t *dst, size_t cap,
					 size_t *out_len);

/* ---- RLE (orc_rle.c) ------------------------------------------------------------------ */

#define ORC_RLE_MAX 512

/* Byte RLE decoder. */
struct orc_brle {
	struct orc_stream *s;
	int left;      /* values left in the current group */
	bool literal;  /* current group is literals (else a run of `value`) */
	uint8_t value;
};

/* Boolean RLE: bits MSB first, on top of byte RLE. */
struct orc_bool {
	struct orc_brle b;
	uint8_t cur;   /* current byte */
	int bits;      /* bits of cur not yet consumed */
};

/* Integer RLE v1/v2 decoder. Values of the current run are unpacked into
 * buf; runs that fit the caller's output are unpacked straight into it. */
struct orc_irle {
	struct orc_stream *s;
	bool v2, is_signed;
	int pos, len;  /* buf[pos..len) not yet returned */
	int64_t buf[ORC_RLE_MAX];
};

void orc_brle_init(struct orc_brle *d, struct orc_stream *s);
TARN_MUST_USE tarn_rc orc_brle_get(struct orc_brle *d, uint8_t *out, int64_t n);
TARN_MUST_USE tarn_rc orc_brle_skip(struct orc_brle *d, uint64_t n);
void orc_bool_init(struct orc_bool *d, struct orc_stream *s);
/* n flags, one byte (0/1) each. */
TARN_MUST_USE tarn_rc orc_bool_get(struct orc_bool *d, uint8_t *out, int64_t n);
TARN_MUST_USE tarn_rc orc_bool_skip(struct orc_bool *d, uint64_t n);
void orc_irle_init(struct orc_irle *d, struct orc_stream *s, bool v2, bool is_signed);
TARN_MUST_USE tarn_rc orc_irle_get(struct orc_irle *d, int64_t *out, int64_t n);
TARN_MUST_USE tarn_rc orc_irle_skip(struct orc_irle *d, uint64_t n);
/* Forget any partly consumed run (after a seek). */
void orc_irle_reset(struct orc_irle *d);
void orc_brle_reset(struct orc_brle *d);
void orc_bool_reset(struct orc_bool *d);

/* Encoders append to a tarn_buf; values are buffered and written as runs on
 * flush (also automatically when the buffer fills). */
struct orc_brle_enc {
	struct tarn_buf *out;
	uint8_t lit[128];
	int n;        /* buffered values */
	int run;      /* length of the identical tail of lit */
};

struct orc_bool_enc {
	struct orc_brle_enc b;
	uint8_t cur;
	int bits;
};

struct orc_irle_enc {
	struct tarn_buf *out;
	bool v2, is_signed;
	int n;
	int64_t v[ORC_RLE_MAX];
};

void orc_brle_enc_init(struct orc_brle_enc *e, struct tarn_buf *out);
TARN_MUST_USE tarn_rc orc_brle_put(struct orc_brle_enc *e, uint8_t v);
TARN_MUST_USE tarn_rc orc_brle_flush(struct orc_brle_enc *e);
void orc_bool_enc_init(struct orc_bool_enc *e, struct tarn_buf *out);
TARN_MUST_USE tarn_rc orc_bool_put(struct orc_bool_enc *e, bool v);
/* Flushes whole bytes; a partial byte stays (its bits are the position's
 * bit count). */
TARN_MUST_USE tarn_rc orc_bool_flush_runs(struct orc_bool_enc *e);
/* End of the stream: pads the last byte with zero bits. */
TARN_MUST_USE tarn_rc orc_bool_finish(struct orc_bool_enc *e);
void orc_irle_enc_init(struct orc_irle_enc *e, struct tarn_buf *out, bool v2, bool is_signed);
TARN_MUST_USE tarn_rc orc_irle_put(struct orc_irle_enc *e, int64_t v);
TARN_MUST_USE tarn_rc orc_irle_flush(struct orc_irle_enc *e);

/* Single RLE v2 runs, exposed for tests: encode v[0..n) (n <= 512) as the
 * given sub-encoding (0 short repeat, 1 direct, 2 patched base, 3 delta);
 * TARN_EUSAGE when the values do not suit it. */
TARN_MUST_USE tarn_rc orc_rlev2_encode_as(struct tarn_buf *out, const int64_t *v, int n,
					  bool is_signed, int sub);

/* Base 128 varint (also used for decimals); the caller has reserved 10
 * bytes in b. */
static inline void orc_put_uvarint(struct tarn_buf *b, uint64_t v)
{
	while (v >= 0x80) {
		b->data[b->len++] = (char)(uint8_t)(v | 0x80);
		v >>= 7;
	}
	b->data[b->len++] = (char)(uint8_t)v;
}

/* ---- time zones (orc_tz.c) ------------------------------------------------------------- */

struct orc_tz;

/* Loads NAME ("UTC", "America/Los_Angeles", ...) from the system tz
 * database ($TZDIR or /usr/share/zoneinfo); "UTC"/"GMT"/"" need no file.
 * ENOTFOUND for an unknown zone. */
TARN_MUST_USE tarn_rc orc_tz_load(const char *name, struct orc_tz **out, const char **why);
void orc_tz_free(struct orc_tz *tz);
/* Offset (seconds east of UTC) in force at UTC instant t. */
int64_t orc_tz_offset(const struct orc_tz *tz, int64_t t);
bool orc_tz_is_utc(const struct orc_tz *tz);
const char *orc_tz_name(const struct orc_tz *tz);

/* ---- statistics (orc_stats.c) ---------------------------------------------------------- */

/* Accumulates one column's statistics while writing. */
struct orc_stats_acc {
	int kind; /* enum orc_kind of the column */
	int scale; /* decimal */
	uint64_t values;
	bool has_null;
	bool any;          /* a min/max has been seen */
	int64_t imin, imax;
	bool sum_ok;
	__int128 isum;     /* ints (checked against int64), decimals */
	__int128 dec_min, dec_max; /* decimals */
	double dmin, dmax, dsum;
	bool nan;          /* a NaN was seen: min/max not written */
	struct tarn_buf smin, smax; /* strings */
	int64_t bytes;     /* string/binary total length */
	uint64_t trues;
	uint64_t cmin, cmax, ctotal; /* collections */
};

void orc_stats_acc_init(struct orc_stats_acc *a, int kind, int scale);
void orc_stats_acc_free(struct orc_stats_acc *a);
void orc_stats_acc_reset(struct orc_stats_acc *a);
/* Merges b into a. */
TARN_MUST_USE tarn_rc orc_stats_acc_merge(struct orc_stats_acc *a, const struct orc_stats_acc *b);
TARN_MUST_USE tarn_rc orc_stats_acc_string(struct orc_stats_acc *a, const uint8_t *p, size_t n);
/* Writes the accumulated statistics as a ColumnStatistics message. */
void orc_stats_acc_encode(struct orc_pb_out *o, uint32_t field, const struct orc_stats_acc *a);

/* ---- pruning (orc_stats.c, orc_read.c) -------------------------------------------------
 * Which stripes (stripe statistics) and row groups (row index statistics)
 * of a column may hold values in [lo, hi]. Conservative: dropped only when
 * statistics prove no value of the column lies there; nulls never match. */

/* A bound in the column's tarn storage: p points to one value (int8..int64,
 * float32/64, decimal128 16 bytes, date32, timestamp int64 in the column's
 * unit, bool one byte 0/1) or to the bytes of a string/binary (n bytes);
 * p NULL = unbounded. */
struct orc_bound {
	const void *p;
	size_t n;
};

/* How a column's statistics can be compared (decided from its ORC type and
 * the file's writer version). */
struct orc_prune_col {
	int kind;            /* ORC kind */
	int tarn_id;         /* tarn type id */
	int unit;            /* timestamps: enum tarn_time_unit */
	int scale;           /* decimals */
	bool strings_ok;     /* string statistics are UTF-8 byte ordered */
	bool decimal_ok;     /* decimal statistics can be trusted */
	bool local_ts;       /* TIMESTAMP (wall clock): statistics are UTC */
};

/* false when statistics s prove the column has no value in [lo, hi]. */
bool orc_stats_may_match(const struct orc_prune_col *c, const struct orc_stats *s,
			 const struct orc_bound *lo, const struct orc_bound *hi);

struct orc_row_range {
	int64_t first, end; /* rows [first, end) of a stripe */
};

/* Restricts an ORC reader (before its first batch) to the stripes and row
 * groups where `column` (a top-level name, or a dotted path through
 * structs) may hold values in [lo, hi]: batches then hold a superset of the
 * matching rows, in file order. Stripes are skipped by the stripe
 * statistics; within a stripe, row groups by the row index, and the
 * streams of every column read are positioned at the first row of each
 * kept range (seeking with the row index positions). */
TARN_MUST_USE tarn_rc orc_reader_prune(struct tarn_reader *r, const char *column,
				       const struct orc_bound *lo, const struct orc_bound *hi,
				       struct tarn_err *err);
/* Narrows the selection (before the first batch) by one more column range:
 * stripes whose statistics rule [lo, hi] out for `column` are dropped too
 * (all ranges must hold); row groups are pruned by the first range only.
 * The first call is orc_reader_prune. */
TARN_MUST_USE tarn_rc orc_reader_narrow(struct tarn_reader *r, const char *column,
					const struct orc_bound *lo, const struct orc_bound *hi,
					struct tarn_err *err);
/* Stripes kept by the last orc_reader_prune (for tests): *n_kept of n. */
void orc_reader_prune_counts(const struct tarn_reader *r, int *stripes_kept, int *stripes,
			     int64_t *groups_kept, int64_t *groups);

/* ---- the file tail, for tests and tools (orc_read.c) ------------------------------------ */

struct orc_tail {
	struct orc_postscript ps;
	struct orc_footer footer;
	struct orc_metadata meta;
	bool has_meta;
	uint64_t ps_len;
	uint64_t tail_start; /* where the metadata (or footer) begins */
	struct tarn_arena arena;
	struct tarn_buf footer_buf, meta_buf; /* decompressed bytes */
};

/* Decodes the tail of the whole file in p[0..n). Errors name `name`. The
 * arena and buffers are initialised either way: release with
 * orc_tail_free. */
TARN_MUST_USE tarn_rc orc_tail_read(const uint8_t *p, size_t n, const char *name,
				    struct orc_tail *t, struct tarn_err *err);
void orc_tail_free(struct orc_tail *t);

/* ---- entry points ---------------------------------------------------------------------- */

TARN_MUST_USE tarn_rc orc_open_reader(struct tarn_input *in, const struct tarn_opts *opts,
				      struct tarn_reader **out, struct tarn_err *err);
TARN_MUST_USE tarn_rc orc_open_writer(struct tarn_output *out, struct tarn_schema *schema,
				      const struct tarn_opts *opts, struct tarn_writer **w,
				      struct tarn_err *err);

/* 2015-01-01 00:00:00 UTC, the base of timestamp seconds. */
#define ORC_TS_BASE INT64_C(1420070400)

#endif
