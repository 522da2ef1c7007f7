/*
 * vec.h — the executor's data in flight: batches with selection vectors,
 * scratch arrays, gathers, and the vectorised hashing and key comparison
 * that the hash aggregate and hash join share.
 *
 * A struct ex_batch is a set of column arrays of one physical length
 * (n_rows) plus an optional selection vector: ascending uint32 row indexes
 * of the rows that are still "in" the batch. A filter narrows the selection
 * and copies nothing; every later operator and expression only looks at the
 * selected rows. Columns are pointers to arrays that some holder owns: the
 * batch keeps its holders alive (reader batches, arrays computed by a
 * projection) and frees them with itself, so a projection can pass input
 * columns through untouched.
 *
 * Arrays made by the executor ("scratch" arrays) follow one rule beyond
 * array.h: values and validity are defined only at selected rows. Such an
 * array's null_count is not maintained — it is 0 when the array has no
 * validity bitmap and -1 ("may have nulls") when it has one; ex_has_nulls
 * is the test to use. Arrays leaving the executor are compacted
 * (ex_batch_to_tarn), which gives them exact null counts.
 *
 * Nothing here is shared between threads: each pipeline task owns its
 * batches and scratch state. Hash tables built from these kernels are
 * read-only when several threads probe them.
 */
#ifndef TARN_SQL_VEC_H
#define TARN_SQL_VEC_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "base/err.h"
#include "columnar/array.h"

/* Rows at most in one executor batch (selection vectors are uint32). */
#define EX_BATCH_MAX 65536

struct ex_batch {
	int64_t n_rows;  /* physical length of every column */
	uint32_t *sel;   /* selected rows ascending, owned; NULL = all rows */
	int64_t n_sel;   /* number of selected rows (n_rows when sel is NULL) */
	int n_cols;
	struct tarn_array **cols; /* borrowed from the holders below */
	int64_t seq;     /* morsel sequence number (input order) */
	/* holders kept alive and freed with the batch */
	int n_hold, cap_hold;
	struct ex_hold *hold;
};

struct ex_hold {
	struct tarn_batch *batch; /* a reader's batch, or */
	struct tarn_array *array; /* an array the executor made */
};

TARN_MUST_USE tarn_rc ex_batch_new(int n_cols, struct ex_batch **out);
void ex_batch_free(struct ex_batch *b);
/* Wraps a reader batch: columns point into it, the batch holds it (taken
 * over, also on failure). */
TARN_MUST_USE tarn_rc ex_batch_wrap(struct tarn_batch *tb, struct ex_batch **out);
/* The batch takes ownership of reader batch tb (also freed on failure). */
TARN_MUST_USE tarn_rc ex_batch_hold_tarn(struct ex_batch *b, struct tarn_batch *tb);
/* The batch takes ownership of a (freed with it; also freed on failure). */
TARN_MUST_USE tarn_rc ex_batch_hold_array(struct ex_batch *b, struct tarn_array *a);
/* Moves every holder of src to dst (src keeps its column pointers, which
 * stay valid as long as dst lives). */
TARN_MUST_USE tarn_rc ex_batch_take_holders(struct ex_batch *dst, struct ex_batch *src);
/* Bytes of column data the batch holds (for memory accounting). */
int64_t ex_batch_bytes(const struct ex_batch *b);
int64_t ex_array_bytes(const struct tarn_array *a);

/* A dense tarn_batch of the selected rows under schema s (whose field types
 * match the columns'); exact null counts. */
TARN_MUST_USE tarn_rc ex_batch_to_tarn(const struct ex_batch *b, struct tarn_schema *s,
					struct tarn_batch **out, struct tarn_err *err);

static inline bool ex_has_nulls(const struct tarn_array *a)
{
	return a->validity && a->null_count != 0;
}

static inline bool ex_is_null(const struct tarn_array *a, int64_t i)
{
	return a->validity && a->null_count != 0 && !((a->validity[i >> 3] >> (i & 7)) & 1);
}

/* Prepares a scratch array of type t for n rows: capacity, length n,
 * no validity (its bitmap buffer is kept for reuse but detached), values
 * not cleared. String arrays get offsets for n rows and an empty payload. */
TARN_MUST_USE tarn_rc ex_scratch_prepare(struct tarn_array **a, const struct tarn_type *t,
					  int64_t n);
/* Gives scratch array a a validity bitmap for its n rows, all valid. */
TARN_MUST_USE tarn_rc ex_scratch_validity(struct tarn_array *a);
/* Marks row i of scratch array a null (a bitmap must exist). */
static inline void ex_set_null(struct tarn_array *a, int64_t i)
{
	a->validity[i >> 3] &= (uint8_t) ~(1u << (i & 7));
}

/* Appends rows idx[0..n) of src to dst (same type; idx NULL = rows
 * first..first+n). An index of EX_NULL_ROW appends a null. Nested types
 * are copied value by value; everything else in type-specialised loops. */
#define EX_NULL_ROW UINT32_MAX
TARN_MUST_USE tarn_rc ex_array_gather(struct tarn_array *dst, const struct tarn_array *src,
				       const uint32_t *idx, int64_t first, int64_t n);
/* Appends n copies of row i of src (constant broadcast). */
TARN_MUST_USE tarn_rc ex_array_repeat(struct tarn_array *dst, const struct tarn_array *src,
				       int64_t i, int64_t n);
/* Recomputes null_count from the bitmap (exact); drops an all-valid bitmap. */
void ex_array_finish(struct tarn_array *a);

/* ---- hashing and key comparison ------------------------------------------------
 * Keys are compared with GROUP BY semantics here (NULL equals NULL, -0.0
 * equals 0.0, NaN equals NaN); joins drop null keys before probing. */

/* h[k] (for the k-th selected row; sel NULL = rows 0..n) = hash of column
 * a's value, combined into h when `combine`. is_const: a has one row that
 * stands for all. */
void ex_hash_column(const struct tarn_array *a, bool is_const, const uint32_t *sel, int64_t n,
		     uint64_t *h, bool combine);
/* Key comparison of candidate pairs: pair p compares a[ia[p]] with
 * b[ib[p]] (same type). For each p in cand[0..n), p goes to eq_out when the
 * keys are equal and is appended to miss (at *n_miss) when not. Returns the
 * number written to eq_out; eq_out may be cand itself (compaction in
 * place), which lets several key columns narrow one candidate list. */
int64_t ex_keys_filter_equal(const struct tarn_array *a, const uint32_t *ia,
			      const struct tarn_array *b, const uint32_t *ib, const uint32_t *cand,
			      int64_t n, uint32_t *eq_out, uint32_t *miss, int64_t *n_miss);

static inline uint64_t ex_hash_u64(uint64_t x)
{
	x ^= x >> 32;
	x *= 0xd6e8feb86659fd93ULL;
	x ^= x >> 32;
	x *= 0xd6e8feb86659fd93ULL;
	x ^= x >> 32;
	return x;
}

uint64_t ex_hash_bytes(const uint8_t *p, size_t n);

/* An interval's comparison key (the INTERVAL value at p): microseconds with a
 * month = 30 days and a day = 24 hours, as DuckDB normalises intervals to
 * compare them. Comparisons, GROUP BY / DISTINCT hashing and equality,
 * ORDER BY keys and min/max all use it, so '1 day' and '24 hours' are one
 * group (the group shows the first spelling seen). */
static inline tarn_i128 ex_interval_key(const uint8_t *p)
{
	struct tarn_interval v;
	memcpy(&v, p, sizeof v);
	return ((tarn_i128)v.months * 30 + v.days) * 86400000000LL + v.micros;
}

#endif
