/*
 * orc_read.h — the reader's column state, shared by orc_read.c (stripes,
 * batches, tasks) and orc_column.c (decoding one column's streams).
 *
 * One struct rcol per ORC column in the projection (the type tree below
 * each selected top-level field). A top-level rcol and its subtree are
 * decoded by one pool task per batch, so everything in a subtree is
 * touched by one thread at a time; between batches the main thread sets
 * up stripes and seeks.
 */
#ifndef TARN_ORC_READ_H
#define TARN_ORC_READ_H

#include "formats/orc/orc_int.h"

#define ORC_MAX_DEPTH 100   /* nesting accepted in the type tree */
#define ORC_MAX_UNION 256   /* union branches (the spec's limit) */

/* Limits a reader applies to what a file may make it allocate. */
struct orc_limits {
	int64_t max_values; /* values per column per batch (list children) */
	int64_t max_bytes;  /* string/binary bytes per column per batch */
	size_t max_meta;    /* decompressed footer, metadata, stripe footer, index */
};

struct rcol {
	int id;                     /* ORC column id */
	const struct orc_type *t;
	int kind;
	const struct tarn_type *tt; /* tarn type produced */
	char *path;                 /* dotted name, for messages */
	int n_children;
	struct rcol **children;
	const struct orc_limits *lim;
	struct orc_dctx *dc;        /* shared by the top-level column's subtree */

	/* per stripe */
	int enc;                    /* enum orc_encoding */
	bool v2;                    /* RLE v2 */
	bool decimal64;             /* ORCv2 Decimal64: DATA is signed RLE v2 */
	bool has_present;
	struct orc_stream present, data, length, secondary, dict;
	struct orc_bool present_dec;
	struct orc_bool bool_dec;   /* BOOLEAN DATA */
	struct orc_brle byte_dec;   /* BYTE DATA, UNION tags */
	struct orc_irle int_dec;    /* integers, dates, seconds, dictionary indices */
	struct orc_irle len_dec;    /* LENGTH */
	struct orc_irle sec_dec;    /* SECONDARY: nanoseconds, decimal scales */
	uint32_t dict_size;
	bool dict_loaded;
	int32_t *dict_off;          /* dict_size + 1 offsets into dict_blob */
	uint8_t *dict_blob;
	const struct orc_tz *tz;    /* TIMESTAMP: the stripe's writer zone */
	int64_t ts_epoch;           /* the zone's 2015-01-01 00:00:00 as UTC seconds */
	int scale;                  /* DECIMAL: the column's scale */
	int stripe;                 /* stripe these streams belong to */
	const char *why;            /* a value-level error (range, UTF-8, ...) */

	/* row index of the current stripe (pruning only), else n = 0 */
	struct orc_row_index ri;

	/* scratch (grown as needed, kept across batches) */
	uint8_t *pres;
	size_t pres_cap;
	uint8_t *flags;
	size_t flags_cap;
	int64_t *ibuf;
	size_t ibuf_cap;
	int64_t *ibuf2;
	size_t ibuf2_cap;
};

/* Decodes n rows of column c, appended to a. mask (n bytes, 0/1) marks the
 * rows whose parent is non-null (NULL: all of them); rows outside it are
 * null and take no values from c's streams. */
TARN_MUST_USE tarn_rc orc_col_read(struct rcol *c, struct tarn_array *a, int64_t n,
				   const uint8_t *mask);
/* Positions c's streams (and its children's) at the start of row group g
 * using the stripe's row index (c->ri). */
TARN_MUST_USE tarn_rc orc_col_seek(struct rcol *c, int g, bool compressed);
/* What went wrong in c's subtree (the first stream or value error found),
 * written into buf for reports; *where = the column. NULL if nothing. */
const char *orc_col_why(const struct rcol *c, const struct rcol **where, char *buf, size_t cap);
void orc_col_free_state(struct rcol *c);

#endif
