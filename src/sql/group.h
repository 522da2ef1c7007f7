/*
 * group.h — a hash table from key tuples to dense group ids (0, 1, 2, ...;
 * deterministic for a given sequence of lookups, roughly the order of first
 * appearance), with the keys stored column-wise. The
 * hash aggregate keeps its groups in one, and DISTINCT aggregates keep
 * their (group, value) pairs in another; other modules (insights, prep)
 * may use it for any "distinct tuples" job.
 *
 * Design: open addressing with linear probing over 64-bit slots holding
 * the hash's high 32 bits and the group id + 1 (0 = empty); the table is
 * grown before a batch so it stays at most half full. A batch is looked up
 * in rounds: every pending row inspects its slot — an empty slot makes a
 * new group (its keys appended to the key columns), a tag match makes a
 * candidate — then the candidates' keys are compared one key column at a
 * time (vec.h, type-specialised), and mismatches move one slot on and try
 * again. Keys compare with GROUP BY semantics (NULL = NULL).
 *
 * Fast paths: a single key of bool, int8, uint8, int16 or uint16 indexes a
 * direct array of 65537 entries (the last for NULL) instead of hashing.
 * Otherwise, when the key types fit a 64-bit encoding (short strings,
 * integers up to 32 bits, dates, booleans; a null flag per key; strings
 * share the bits left and get 3 bits of length), each row's keys are
 * packed into one word and looked up in a cache from packed word to group
 * id, one u64 compare per probe; rows whose strings are too long for
 * their share, and cache misses, go through the general table (which
 * stays complete: every group is in it), and misses are then cached.
 *
 * Not thread-safe: one table per task or per operator total.
 */
#ifndef TARN_SQL_GROUP_H
#define TARN_SQL_GROUP_H

#include "sql/expr.h"

struct ex_groups {
	int n_keys;
	struct tarn_array **keys; /* one per key column, n rows */
	uint64_t *hashes;         /* per group */
	int64_t n;                /* groups */
	int64_t cap;              /* groups the per-group arrays hold */
	uint64_t *slots;
	uint64_t mask;            /* slots - 1 */
	int32_t *direct;          /* fast path: gid + 1 per key value */
	int direct_kind;          /* 0 = none, else the key's type id */
	/* packed-key cache (pk_bits[c] = 0: not packable) */
	bool pk_on;
	uint8_t pk_off[8], pk_bits[8], pk_bytes[8];
	uint64_t *pk_key;
	uint32_t *pk_gid;
	uint64_t pk_mask;
	int64_t pk_n;
	uint64_t *pk; /* per-row packed keys */
	uint8_t *pk_ok;
	/* per-batch scratch */
	uint64_t *h;
	uint32_t *pend, *pend2, *pos, *cand_k, *cand_g, *rows, *miss, *fresh, *zeros;
	int64_t scratch;
};

/* A table for n_keys keys of the given types (copied by reference: the
 * types must outlive the table). */
TARN_MUST_USE tarn_rc ex_groups_init(struct ex_groups *g, int n_keys,
				     const struct tarn_type *const *types);
void ex_groups_free(struct ex_groups *g);
/* Empties the table, keeping its memory. */
void ex_groups_reset(struct ex_groups *g);
/* Group ids of rows sel[0..n) (NULL = 0..n) of the key vectors, adding new
 * groups: gids[k] is the group of the k-th row. */
TARN_MUST_USE tarn_rc ex_groups_lookup(struct ex_groups *g, const struct ex_vec *keys,
				       const uint32_t *sel, int64_t n, uint32_t *gids);
/* Bytes held (for memory accounting). */
int64_t ex_groups_bytes(const struct ex_groups *g);

#endif
