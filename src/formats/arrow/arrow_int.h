/*
 * arrow_int.h — internals shared by the Arrow IPC reader, writer and schema
 * code (src/formats/arrow/). The format descriptors are in arrow.c; the
 * user-facing description is docs/formats/arrow.md.
 *
 * Spec: Arrow Columnar Format, "Serialization and Interprocess Communication
 * (IPC)"; flatbuffers tables from format/Schema.fbs, Message.fbs, File.fbs.
 * The slot numbers below are the fields' declaration order in those files
 * (a union field takes two slots: its type byte, then its value).
 *
 * The IPC side of a schema is a tree of struct ax_node, one per IPC field,
 * parallel to the tarn type tree it decodes into; it records what tarn's type
 * cannot say (the producer's physical layout: int64 offsets, time32, float16,
 * fixed sizes, views, dictionary encoding). Its nodes are numbered in
 * pre-order (ax_node.id) so a record batch's per-node state can live in one
 * array.
 */
#ifndef TARN_FORMATS_ARROW_INT_H
#define TARN_FORMATS_ARROW_INT_H

#include "formats/arrow/fb.h"
#include "formats/format.h"

/* ---- flatbuffers slots ---------------------------------------------------------- */

enum { MSG_VERSION = 0, MSG_HEADER_TYPE, MSG_HEADER, MSG_BODY_LENGTH, MSG_CUSTOM_METADATA };
enum { HDR_NONE = 0, HDR_SCHEMA, HDR_DICTIONARY_BATCH, HDR_RECORD_BATCH, HDR_TENSOR,
       HDR_SPARSE_TENSOR };
enum { SCHEMA_ENDIANNESS = 0, SCHEMA_FIELDS, SCHEMA_CUSTOM_METADATA, SCHEMA_FEATURES };
enum { FIELD_NAME = 0, FIELD_NULLABLE, FIELD_TYPE_TYPE, FIELD_TYPE, FIELD_DICTIONARY,
       FIELD_CHILDREN, FIELD_CUSTOM_METADATA };
enum { DENC_ID = 0, DENC_INDEX_TYPE, DENC_IS_ORDERED, DENC_KIND };
enum { RB_LENGTH = 0, RB_NODES, RB_BUFFERS, RB_COMPRESSION, RB_VARIADIC_COUNTS };
enum { BC_CODEC = 0, BC_METHOD };
enum { DB_ID = 0, DB_DATA, DB_IS_DELTA };
enum { FOOTER_VERSION = 0, FOOTER_SCHEMA, FOOTER_DICTIONARIES, FOOTER_RECORD_BATCHES,
       FOOTER_CUSTOM_METADATA };

/* Type union members (Schema.fbs `union Type`). */
enum {
	T_NONE = 0, T_NULL, T_INT, T_FLOATING_POINT, T_BINARY, T_UTF8, T_BOOL, T_DECIMAL, T_DATE,
	T_TIME, T_TIMESTAMP, T_INTERVAL, T_LIST, T_STRUCT, T_UNION, T_FIXED_SIZE_BINARY,
	T_FIXED_SIZE_LIST, T_MAP, T_DURATION, T_LARGE_BINARY, T_LARGE_UTF8, T_LARGE_LIST,
	T_RUN_END_ENCODED, T_BINARY_VIEW, T_UTF8_VIEW, T_LIST_VIEW, T_LARGE_LIST_VIEW
};

#define AX_METADATA_V4 3
#define AX_METADATA_V5 4

/* BodyCompression.codec values. */
enum { AX_LZ4_FRAME = 0, AX_ZSTD = 1 };

/* Encapsulated message prefix. */
#define AX_CONTINUATION 0xFFFFFFFFu
#define AX_MAGIC "ARROW1"

/* Nesting and size limits for untrusted metadata. */
#define AX_MAX_DEPTH 64
#define AX_MAX_NODES 100000

/* ---- schema ---------------------------------------------------------------------- */

/* The physical layout of one IPC field's array. */
enum ax_kind {
	AX_NULL,         /* no buffers */
	AX_BOOL,         /* validity, bits */
	AX_FIXED,        /* validity, width-byte values copied as they are */
	AX_FLOAT16,      /* → float32 */
	AX_DECIMAL,      /* width 4/8/32 → 16-byte decimal128 (16 is AX_FIXED) */
	AX_DATE64,       /* int64 ms → date32 days */
	AX_TIME32,       /* int32 → time64 */
	AX_INTERVAL_DT,  /* {int32 days, int32 ms} → struct */
	AX_INTERVAL_MDN, /* {int32 months, int32 days, int64 ns} → struct */
	AX_BYTES,        /* validity, int32 offsets, data */
	AX_LARGE_BYTES,  /* validity, int64 offsets, data */
	AX_VIEW,         /* validity, 16-byte views, variadic data buffers */
	AX_FIXED_BYTES,  /* validity, fixed-width values → binary */
	AX_LIST,         /* validity, int32 offsets; one child */
	AX_LARGE_LIST,   /* validity, int64 offsets; one child */
	AX_FIXED_LIST,   /* validity; one child of fixed items per row */
	AX_STRUCT,       /* validity; children */
	AX_MAP,          /* as AX_LIST, child is the entries struct */
};

struct ax_node {
	uint8_t kind;        /* enum ax_kind of the (decoded) values */
	uint8_t width;       /* bytes per value for fixed-width kinds */
	bool dict;           /* batches carry indices; values come from dictionary dict_id */
	uint8_t index_width; /* bytes per dictionary index */
	bool index_signed;
	int32_t fixed;       /* FixedSizeBinary byte width, FixedSizeList list size */
	int64_t dict_id;
	int id;              /* pre-order number, 0..n_nodes-1 */
	const char *name;    /* the tarn field's name, for messages */
	const struct tarn_type *t;
	int n_children;
	struct ax_node *children;
};

struct ax_schema {
	struct tarn_schema *schema; /* referenced */
	struct ax_node *fields;     /* one per top-level field */
	int n_nodes;
	int n_dicts;                /* dictionary-encoded nodes */
	struct ax_node **dicts;
};

/* Builds the tarn schema and the IPC node tree from a Schema table. */
TARN_MUST_USE tarn_rc ax_schema_parse(const struct fb_table *schema, struct ax_schema **out,
				      struct tarn_err *err);
void ax_schema_free(struct ax_schema *s);

/* Adds a Schema table for s to b. dict_ids[i] >= 0 marks top-level field i
 * (string or binary) as dictionary-encoded with int32 indices under that id;
 * dict_ids may be NULL. Returns 0 (and b->rc set) on failure. */
fb_ref ax_schema_build(struct fb_builder *b, const struct tarn_schema *s, const int64_t *dict_ids);

/* ---- buffer compression (arrow_codec.c) ---------------------------------------- */

/* Per-thread codec state, created on first use. */
struct ax_codec {
	void *lz4_dctx, *zstd_dctx, *zstd_cctx;
};

void ax_codec_free(struct ax_codec *c);
/* Decompresses src into exactly dst_n bytes (the length the buffer's prefix
 * promised); fewer or more is TARN_EDATA. */
TARN_MUST_USE tarn_rc ax_decompress(struct ax_codec *c, int codec, const uint8_t *src, size_t n,
				    uint8_t *dst, size_t dst_n, struct tarn_err *err);
/* Decompresses src whatever size it has (up to max), into a new buffer *out
 * (tarn_alloc_aligned) of *out_n bytes. For producers whose length prefix
 * is wrong (see arrow_read.c, design note 5). */
TARN_MUST_USE tarn_rc ax_decompress_unsized(struct ax_codec *c, int codec, const uint8_t *src,
					    size_t n, size_t max, uint8_t **out, size_t *out_n,
					    struct tarn_err *err);
size_t ax_compress_bound(int codec, size_t n);
/* Compresses src into dst[0..cap); *out_n = compressed size. level 0 =
 * codec default. */
TARN_MUST_USE tarn_rc ax_compress(struct ax_codec *c, int codec, int level, const uint8_t *src,
				  size_t n, uint8_t *dst, size_t cap, size_t *out_n,
				  struct tarn_err *err);

/* ---- reader and writer ----------------------------------------------------------- */

TARN_MUST_USE tarn_rc ax_open_reader(struct tarn_input *in, const struct tarn_opts *opts,
				     struct tarn_reader **out, struct tarn_err *err);
/* file_format: the IPC file format (magic, footer), else the stream format. */
TARN_MUST_USE tarn_rc ax_open_writer(struct tarn_output *out, struct tarn_schema *schema,
				     const struct tarn_opts *opts, bool file_format,
				     struct tarn_writer **w, struct tarn_err *err);

#endif
