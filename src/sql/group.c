/*
 * group.c — the group table (see group.h for the design).
 *
 * Invariants
 *  1. slots has 2^k entries, k >= 4; n <= slots / 2 after every lookup
 *     (ensure_room runs before a batch with room for all of its rows).
 *  2. keys[c]->length == n for every key column; hashes[0..n) hold each
 *     group's full hash, so growing the slot array never rehashes keys.
 *  3. Group ids are dense (0..n-1), so callers keep per-group state in
 *     plain arrays, and deterministic: they depend on the keys looked up
 *     and their order only (roughly first appearance; a row delayed by a
 *     probe collision, or resolved by the general table after the packed
 *     cache, can get its id after later rows of the same batch).
 */
#include "sql/group.h"

#include <string.h>

#include "base/mem.h"

#define TAG(h) ((h) & 0xffffffff00000000ULL)

/* The packed layout: each key a null flag plus its value bits; strings
 * split what fixed-width keys leave (3 bits of length + whole bytes). */
static void pk_plan(struct ex_groups *g, const struct tarn_type *const *types)
{
	if (g->n_keys < 1 || g->n_keys > 8)
		return;
	int fixed = 0, strs = 0;
	for (int c = 0; c < g->n_keys; c++) {
		switch (types[c]->id) {
		case TARN_T_BOOL: g->pk_bits[c] = 2; break;
		case TARN_T_INT8:
		case TARN_T_UINT8: g->pk_bits[c] = 9; break;
		case TARN_T_INT16:
		case TARN_T_UINT16: g->pk_bits[c] = 17; break;
		case TARN_T_INT32:
		case TARN_T_UINT32:
		case TARN_T_DATE32: g->pk_bits[c] = 33; break;
		case TARN_T_STRING:
		case TARN_T_BINARY: strs++; continue;
		default: return; /* wider keys: the general table only */
		}
		fixed += g->pk_bits[c];
	}
	if (fixed > 64)
		return;
	if (strs) {
		int share = (64 - fixed) / strs, bytes = (share - 4) / 8;
		if (bytes < 1)
			return;
		if (bytes > 7)
			bytes = 7;
		for (int c = 0; c < g->n_keys; c++)
			if (types[c]->id == TARN_T_STRING || types[c]->id == TARN_T_BINARY) {
				g->pk_bytes[c] = (uint8_t)bytes;
				g->pk_bits[c] = (uint8_t)(4 + 8 * bytes);
			}
	}
	int off = 0;
	for (int c = 0; c < g->n_keys; c++) {
		g->pk_off[c] = (uint8_t)off;
		off += g->pk_bits[c];
	}
	g->pk_on = off <= 64;
}

tarn_rc ex_groups_init(struct ex_groups *g, int n_keys, const struct tarn_type *const *types)
{
	memset(g, 0, sizeof *g);
	g->n_keys = n_keys;
	g->keys = tarn_calloc((size_t)(n_keys ? n_keys : 1), sizeof *g->keys);
	if (!g->keys)
		return TARN_ENOMEM;
	for (int i = 0; i < n_keys; i++)
		TRY(tarn_array_new(types[i], 0, &g->keys[i]));
	if (n_keys == 1) {
		enum tarn_type_id id = types[0]->id;
		if (id == TARN_T_BOOL || id == TARN_T_INT8 || id == TARN_T_UINT8 ||
		    id == TARN_T_INT16 || id == TARN_T_UINT16) {
			g->direct = tarn_calloc(65537, sizeof *g->direct);
			if (!g->direct)
				return TARN_ENOMEM;
			g->direct_kind = id;
		}
	}
	if (!g->direct)
		pk_plan(g, types);
	if (!g->direct) {
		g->slots = tarn_calloc(16, sizeof *g->slots);
		if (!g->slots)
			return TARN_ENOMEM;
		g->mask = 15;
	}
	return TARN_OK;
}

void ex_groups_free(struct ex_groups *g)
{
	for (int i = 0; g->keys && i < g->n_keys; i++)
		tarn_array_free(g->keys[i]);
	tarn_free(g->keys);
	tarn_free(g->hashes);
	tarn_free(g->slots);
	tarn_free(g->direct);
	uint32_t *bufs[] = { g->pend, g->pend2, g->pos, g->cand_k, g->cand_g,
			     g->rows, g->miss,	g->fresh, g->zeros };
	for (size_t i = 0; i < sizeof bufs / sizeof *bufs; i++)
		tarn_free(bufs[i]);
	tarn_free(g->h);
	tarn_free(g->pk_key);
	tarn_free(g->pk_gid);
	tarn_free(g->pk);
	tarn_free(g->pk_ok);
	memset(g, 0, sizeof *g);
}

void ex_groups_reset(struct ex_groups *g)
{
	for (int i = 0; i < g->n_keys; i++)
		tarn_array_reset(g->keys[i]);
	if (g->direct) {
		/* clear only the entries in use: hashes[] holds each group's index */
		for (int64_t gid = 0; gid < g->n; gid++)
			g->direct[g->hashes[gid]] = 0;
	} else {
		memset(g->slots, 0, (size_t)(g->mask + 1) * sizeof *g->slots);
	}
	if (g->pk_gid && g->pk_n)
		memset(g->pk_gid, 0, (size_t)(g->pk_mask + 1) * sizeof *g->pk_gid);
	g->pk_n = 0;
	g->n = 0;
}

int64_t ex_groups_bytes(const struct ex_groups *g)
{
	int64_t b = g->cap * 8 + (g->direct ? 65537 * 4 : (int64_t)(g->mask + 1) * 8);
	for (int i = 0; i < g->n_keys; i++)
		b += ex_array_bytes(g->keys[i]);
	if (g->pk_gid)
		b += (int64_t)(g->pk_mask + 1) * 12;
	return b + g->scratch * 53;
}

static tarn_rc scratch_room(struct ex_groups *g, int64_t n)
{
	if (n <= g->scratch)
		return TARN_OK;
	int64_t cap = n < 1024 ? 1024 : n;
	uint32_t **bufs[] = { &g->pend, &g->pend2, &g->pos, &g->cand_k, &g->cand_g,
			      &g->rows, &g->miss,  &g->fresh, &g->zeros };
	for (size_t i = 0; i < sizeof bufs / sizeof *bufs; i++) {
		tarn_free(*bufs[i]);
		*bufs[i] = tarn_malloc((size_t)cap * sizeof(uint32_t));
		if (!*bufs[i])
			return TARN_ENOMEM;
	}
	memset(g->zeros, 0, (size_t)cap * sizeof(uint32_t));
	tarn_free(g->h);
	tarn_free(g->pk);
	tarn_free(g->pk_ok);
	g->h = tarn_malloc((size_t)cap * sizeof *g->h);
	g->pk = tarn_malloc((size_t)cap * sizeof *g->pk);
	g->pk_ok = tarn_malloc((size_t)cap);
	if (!g->h || !g->pk || !g->pk_ok)
		return TARN_ENOMEM;
	g->scratch = cap;
	return TARN_OK;
}

/* Room for `more` new groups: per-group arrays and a slot table at most
 * half full (invariant 1). */
static tarn_rc ensure_room(struct ex_groups *g, int64_t more)
{
	int64_t need = g->n + more;
	if (need > UINT32_MAX - 2)
		return TARN_ELIMIT;
	if (need > g->cap) {
		int64_t cap = g->cap ? g->cap : 64;
		while (cap < need)
			cap *= 2;
		uint64_t *h = tarn_realloc(g->hashes, (size_t)cap * sizeof *h);
		if (!h)
			return TARN_ENOMEM;
		g->hashes = h;
		g->cap = cap;
	}
	if (g->direct || (uint64_t)need * 2 <= g->mask + 1)
		return TARN_OK;
	uint64_t slots = g->mask + 1;
	while ((uint64_t)need * 2 > slots)
		slots *= 2;
	uint64_t *s = tarn_calloc(slots, sizeof *s);
	if (!s)
		return TARN_ENOMEM;
	uint64_t mask = slots - 1;
	for (int64_t gid = 0; gid < g->n; gid++) {
		uint64_t h = g->hashes[gid], p = h & mask;
		while (s[p])
			p = (p + 1) & mask;
		s[p] = TAG(h) | (uint64_t)(gid + 1);
	}
	tarn_free(g->slots);
	g->slots = s;
	g->mask = mask;
	return TARN_OK;
}

static tarn_rc append_keys(struct ex_groups *g, const struct ex_vec *keys, const uint32_t *rows,
			   int64_t n)
{
	for (int c = 0; c < g->n_keys; c++) {
		if (keys[c].is_const) {
			for (int64_t k = 0; k < n; k++)
				TRY(ex_array_gather(g->keys[c], keys[c].a, NULL, 0, 1));
		} else {
			TRY(ex_array_gather(g->keys[c], keys[c].a, rows, 0, n));
		}
		if (g->keys[c]->validity)
			g->keys[c]->null_count = -1;
	}
	return TARN_OK;
}

static int direct_index(const struct tarn_array *a, int64_t i)
{
	if (ex_is_null(a, i))
		return 65536;
	switch (a->type->id) {
	case TARN_T_BOOL: return tarn_bit_get(a->values, i);
	case TARN_T_INT8: return (int)((const int8_t *)a->values)[i] + 128;
	case TARN_T_UINT8: return a->values[i];
	case TARN_T_INT16: return (int)((const int16_t *)a->values)[i] + 32768;
	default: return ((const uint16_t *)a->values)[i];
	}
}

static tarn_rc lookup_direct(struct ex_groups *g, const struct ex_vec *key, const uint32_t *sel,
			     int64_t n, uint32_t *gids)
{
	for (int64_t k = 0; k < n; k++) {
		int64_t i = key->is_const ? 0 : sel ? sel[k] : k;
		int x = direct_index(key->a, i);
		int32_t v = g->direct[x];
		if (!v) {
			TRY(ensure_room(g, 1));
			uint32_t row = (uint32_t)i;
			TRY(append_keys(g, key, &row, 1));
			g->hashes[g->n] = (uint64_t)x;
			v = (int32_t)++g->n;
			g->direct[x] = v;
		}
		gids[k] = (uint32_t)(v - 1);
	}
	return TARN_OK;
}

static tarn_rc lookup_general(struct ex_groups *g, const struct ex_vec *keys,
			      const uint32_t *sel, int64_t n, uint32_t *gids);
static tarn_rc lookup_packed(struct ex_groups *g, const struct ex_vec *keys, const uint32_t *sel,
			     int64_t n, uint32_t *gids);

tarn_rc ex_groups_lookup(struct ex_groups *g, const struct ex_vec *keys, const uint32_t *sel,
			 int64_t n, uint32_t *gids)
{
	if (n > 0 && g->pk_on && g->n_keys > 0)
		return lookup_packed(g, keys, sel, n, gids);
	return lookup_general(g, keys, sel, n, gids);
}

static tarn_rc lookup_general(struct ex_groups *g, const struct ex_vec *keys,
			      const uint32_t *sel, int64_t n, uint32_t *gids)
{
	if (n <= 0)
		return TARN_OK;
	if (g->n_keys == 0) {
		/* one group for everything */
		if (g->n == 0) {
			TRY(ensure_room(g, 1));
			g->hashes[0] = 0;
			g->n = 1;
		}
		memset(gids, 0, (size_t)n * sizeof *gids);
		return TARN_OK;
	}
	if (g->direct)
		return lookup_direct(g, keys, sel, n, gids);
	TRY(scratch_room(g, n));
	TRY(ensure_room(g, n));
	uint64_t *h = g->h;
	for (int c = 0; c < g->n_keys; c++)
		ex_hash_column(keys[c].a, keys[c].is_const, sel, n, h, c > 0);
	uint32_t *pend = g->pend, *pend2 = g->pend2, *pos = g->pos;
	int64_t np = n;
	for (int64_t k = 0; k < n; k++) {
		pend[k] = (uint32_t)k;
		pos[k] = (uint32_t)(h[k] & g->mask);
	}
	uint64_t *slots = g->slots;
	while (np > 0) {
		int64_t nc = 0, nn = 0, nf = 0;
		for (int64_t j = 0; j < np; j++) {
			uint32_t k = pend[j];
			if (j + 16 < np) /* random slots of a big table: read ahead */
				__builtin_prefetch(&slots[pos[pend[j + 16]]]);
			uint64_t s = slots[pos[k]];
			if (s == 0) {
				uint32_t gid = (uint32_t)(g->n + nf);
				slots[pos[k]] = TAG(h[k]) | (uint64_t)(gid + 1);
				g->hashes[gid] = h[k];
				g->fresh[nf++] = sel ? sel[k] : k;
				gids[k] = gid;
			} else if (TAG(s) == TAG(h[k])) {
				g->cand_k[nc] = k;
				g->cand_g[nc++] = (uint32_t)(s & 0xffffffffu) - 1;
			} else {
				pos[k] = (uint32_t)((pos[k] + 1) & g->mask);
				pend2[nn++] = k;
			}
		}
		if (nf) {
			TRY(append_keys(g, keys, g->fresh, nf));
			g->n += nf;
		}
		if (nc) {
			/* compare candidates key column by key column */
			uint32_t *list = g->fresh; /* free again: reused as the pair list */
			for (int64_t p = 0; p < nc; p++) {
				list[p] = (uint32_t)p;
				g->rows[p] = sel ? sel[g->cand_k[p]] : g->cand_k[p];
			}
			int64_t nl = nc, nmiss = 0;
			for (int c = 0; c < g->n_keys && nl > 0; c++) {
				const uint32_t *ri = keys[c].is_const ? g->zeros : g->rows;
				nl = ex_keys_filter_equal(g->keys[c], g->cand_g, keys[c].a, ri, list, nl,
							  list, g->miss, &nmiss);
			}
			for (int64_t p = 0; p < nl; p++)
				gids[g->cand_k[list[p]]] = g->cand_g[list[p]];
			for (int64_t m = 0; m < nmiss; m++) {
				uint32_t k = g->cand_k[g->miss[m]];
				pos[k] = (uint32_t)((pos[k] + 1) & g->mask);
				pend2[nn++] = k;
			}
		}
		uint32_t *t = pend;
		pend = pend2;
		pend2 = t;
		np = nn;
	}
	return TARN_OK;
}

/* ---- packed keys ---------------------------------------------------------------------- */

/* ORs key column c's field (null flag, then value bits) into pk[k] for
 * rows sel[0..n); clears ok[k] where a string is longer than its share. */
#define PK_LOOP(EXPR)                                                                   \
	do {                                                                            \
		for (int64_t k = 0; k < n; k++) {                                       \
			int64_t i = v->is_const ? 0 : sel ? sel[k] : k;                 \
			uint64_t f = nulls && !tarn_bit_get(a->validity, i) ? 1 : (uint64_t)(EXPR) << 1; \
			pk[k] |= f << off;                                              \
		}                                                                       \
	} while (0)

static void pk_pack(const struct ex_groups *g, int c, const struct ex_vec *v, const uint32_t *sel,
		    int64_t n, uint64_t *pk, uint8_t *ok)
{
	const struct tarn_array *a = v->a;
	int off = g->pk_off[c];
	bool nulls = ex_has_nulls(a);
	const uint8_t *vals = a->values;
	switch (a->type->id) {
	case TARN_T_BOOL: PK_LOOP(tarn_bit_get(vals, i)); return;
	case TARN_T_INT8:
	case TARN_T_UINT8: PK_LOOP(vals[i]); return;
	case TARN_T_INT16:
	case TARN_T_UINT16: PK_LOOP(((const uint16_t *)vals)[i]); return;
	case TARN_T_STRING:
	case TARN_T_BINARY: {
		const int32_t *o = a->offsets;
		int32_t max = g->pk_bytes[c];
		for (int64_t k = 0; k < n; k++) {
			int64_t i = v->is_const ? 0 : sel ? sel[k] : k;
			uint64_t f;
			if (nulls && !tarn_bit_get(a->validity, i)) {
				f = 1;
			} else {
				int32_t st = o[i], len = o[i + 1] - st;
				if (len > max) {
					ok[k] = 0;
					continue;
				}
				uint64_t d = (uint64_t)len;
				for (int32_t b = 0; b < len; b++)
					d |= (uint64_t)vals[st + b] << (3 + 8 * b);
				f = d << 1;
			}
			pk[k] |= f << off;
		}
		return;
	}
	default: PK_LOOP(((const uint32_t *)vals)[i]); return;
	}
}

static tarn_rc pk_grow(struct ex_groups *g, int64_t more)
{
	uint64_t cap = g->pk_gid ? g->pk_mask + 1 : 0;
	if ((uint64_t)(g->pk_n + more) * 2 <= cap)
		return TARN_OK;
	uint64_t nc = cap ? cap : 64;
	while ((uint64_t)(g->pk_n + more) * 2 > nc)
		nc *= 2;
	uint64_t *keys = tarn_malloc(nc * sizeof *keys);
	uint32_t *gid = tarn_calloc(nc, sizeof *gid);
	if (!keys || !gid) {
		tarn_free(keys);
		tarn_free(gid);
		return TARN_ENOMEM;
	}
	uint64_t mask = nc - 1;
	for (uint64_t p = 0; p < cap; p++) {
		if (!g->pk_gid[p])
			continue;
		uint64_t q = ex_hash_u64(g->pk_key[p]) & mask;
		while (gid[q])
			q = (q + 1) & mask;
		keys[q] = g->pk_key[p];
		gid[q] = g->pk_gid[p];
	}
	tarn_free(g->pk_key);
	tarn_free(g->pk_gid);
	g->pk_key = keys;
	g->pk_gid = gid;
	g->pk_mask = mask;
	return TARN_OK;
}

static tarn_rc lookup_packed(struct ex_groups *g, const struct ex_vec *keys, const uint32_t *sel,
			     int64_t n, uint32_t *gids)
{
	TRY(scratch_room(g, n));
	uint64_t *pk = g->pk;
	uint8_t *ok = g->pk_ok;
	memset(pk, 0, (size_t)n * sizeof *pk);
	memset(ok, 1, (size_t)n);
	for (int c = 0; c < g->n_keys; c++)
		pk_pack(g, c, &keys[c], sel, n, pk, ok);
	/* Probe the cache row by row; a miss is resolved at once (one row
	 * through the general table) and cached, so later rows of the same
	 * batch hit. Unpackable rows are resolved together at the end. */
	int64_t nr = 0;
	for (int64_t k = 0; k < n; k++) {
		if (!ok[k]) {
			nr++;
			continue;
		}
		uint32_t found = 0;
		uint64_t q = 0;
		if (g->pk_gid) {
			q = ex_hash_u64(pk[k]) & g->pk_mask;
			while (g->pk_gid[q]) {
				if (g->pk_key[q] == pk[k]) {
					found = g->pk_gid[q];
					break;
				}
				q = (q + 1) & g->pk_mask;
			}
		}
		if (found) {
			gids[k] = found - 1;
			continue;
		}
		uint32_t row = sel ? sel[k] : (uint32_t)k, gid;
		TRY(lookup_general(g, keys, &row, 1, &gid));
		TRY(pk_grow(g, 1));
		q = ex_hash_u64(pk[k]) & g->pk_mask;
		while (g->pk_gid[q])
			q = (q + 1) & g->pk_mask;
		g->pk_key[q] = pk[k];
		g->pk_gid[q] = gid + 1;
		g->pk_n++;
		gids[k] = gid;
	}
	if (nr == 0)
		return TARN_OK;
	/* the general path's scratch is its own: collect the rows apart */
	uint32_t *rows = tarn_malloc((size_t)nr * sizeof *rows);
	uint32_t *mg = tarn_malloc((size_t)nr * sizeof *mg);
	if (!rows || !mg) {
		tarn_free(rows);
		tarn_free(mg);
		return TARN_ENOMEM;
	}
	for (int64_t k = 0, m = 0; k < n; k++)
		if (!ok[k])
			rows[m++] = sel ? sel[k] : (uint32_t)k;
	tarn_rc rc = lookup_general(g, keys, rows, nr, mg);
	for (int64_t k = 0, m = 0; !rc && k < n; k++)
		if (!ok[k])
			gids[k] = mg[m++];
	tarn_free(rows);
	tarn_free(mg);
	return rc;
}
