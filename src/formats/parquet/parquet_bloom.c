/*
 * parquet_bloom.c — Parquet Bloom filters (BloomFilter.md): XXH64, the
 * Split Block Bloom Filter (SBBF), its BloomFilterHeader, and the reader's
 * "might this chunk contain value" check.
 *
 * XXH64 follows the xxHash specification (doc/xxhash_spec.md: four 64-bit
 * lanes over 32-byte stripes, then 8-, 4- and 1-byte tails, then the
 * avalanche). The filter is z blocks of eight 32-bit words; a hash h picks
 * block ((h >> 32) * z) >> 32, and its low 32 bits, multiplied by eight
 * fixed salts, pick one bit in each word. Values are hashed in their PLAIN
 * encoding (BYTE_ARRAY without the length prefix), seed 0.
 *
 * Relies on thrift.c (header) and parquet_meta.c (ColumnMetaData offsets).
 * Pure functions over caller-owned memory: thread-safe.
 */
#include <math.h>
#include <string.h>

#include "base/err.h"
#include "formats/parquet/parquet_int.h"

/* ---- XXH64 ----------------------------------------------------------------------- */

#define P1 0x9E3779B185EBCA87ULL
#define P2 0xC2B2AE3D27D4EB4FULL
#define P3 0x165667B19E3779F9ULL
#define P4 0x85EBCA77C2B2AE63ULL
#define P5 0x27D4EB2F165667C5ULL

static inline uint64_t rotl(uint64_t x, int r)
{
	return (x << r) | (x >> (64 - r));
}

static inline uint64_t rd64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v; /* little-endian hosts (see DESIGN.md) */
}

static inline uint32_t rd32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

static inline uint64_t round64(uint64_t acc, uint64_t lane)
{
	return rotl(acc + lane * P2, 31) * P1;
}

static inline uint64_t merge(uint64_t acc, uint64_t v)
{
	return (acc ^ round64(0, v)) * P1 + P4;
}

uint64_t pq_xxh64(const void *data, size_t n, uint64_t seed)
{
	const uint8_t *p = data, *end = p + n;
	uint64_t h;
	if (n >= 32) {
		uint64_t v1 = seed + P1 + P2, v2 = seed + P2, v3 = seed, v4 = seed - P1;
		for (; end - p >= 32; p += 32) {
			v1 = round64(v1, rd64(p));
			v2 = round64(v2, rd64(p + 8));
			v3 = round64(v3, rd64(p + 16));
			v4 = round64(v4, rd64(p + 24));
		}
		h = rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18);
		h = merge(h, v1);
		h = merge(h, v2);
		h = merge(h, v3);
		h = merge(h, v4);
	} else {
		h = seed + P5;
	}
	h += (uint64_t)n;
	for (; end - p >= 8; p += 8)
		h = rotl(h ^ round64(0, rd64(p)), 27) * P1 + P4;
	if (end - p >= 4) {
		h = rotl(h ^ ((uint64_t)rd32(p) * P1), 23) * P2 + P3;
		p += 4;
	}
	for (; p < end; p++)
		h = rotl(h ^ (*p * P5), 11) * P1;
	h ^= h >> 33;
	h *= P2;
	h ^= h >> 29;
	h *= P3;
	h ^= h >> 32;
	return h;
}

/* ---- Split Block Bloom Filter -------------------------------------------------------- */

static const uint32_t salt[8] = {0x47b6137bU, 0x44974d91U, 0x8824ad5bU, 0xa2b7289dU,
                                 0x705495c7U, 0x2df1424bU, 0x9efc4947U, 0x5c6bfb31U};

size_t pq_bloom_size(int64_t ndv, double fpp)
{
	if (ndv < 1)
		ndv = 1;
	if (!(fpp > 0 && fpp < 1))
		fpp = 0.01;
	/* BloomFilter.md: bits m for n values at rate f with k = 8:
	 * m = -8n / ln(1 - f^(1/8)). */
	double bits = -8.0 * (double)ndv / log(1.0 - pow(fpp, 1.0 / 8));
	double bytes = ceil(bits / 8);
	size_t n = PQ_BLOOM_MIN;
	while ((double)n < bytes && n < PQ_BLOOM_MAX)
		n <<= 1;
	return n;
}

void pq_bloom_insert(uint8_t *bits, size_t n, uint64_t h)
{
	uint64_t z = n / 32;
	uint8_t *b = bits + (((h >> 32) * z) >> 32) * 32;
	uint32_t key = (uint32_t)h;
	for (int i = 0; i < 8; i++) {
		uint32_t w = rd32(b + 4 * i) | (1U << ((key * salt[i]) >> 27));
		memcpy(b + 4 * i, &w, 4);
	}
}

bool pq_bloom_check(const uint8_t *bits, size_t n, uint64_t h)
{
	uint64_t z = n / 32;
	const uint8_t *b = bits + (((h >> 32) * z) >> 32) * 32;
	uint32_t key = (uint32_t)h;
	for (int i = 0; i < 8; i++)
		if (!(rd32(b + 4 * i) & (1U << ((key * salt[i]) >> 27))))
			return false;
	return true;
}

/* BloomFilterHeader{1: numBytes, 2: algorithm {1: BLOCK {}}, 3: hash
 * {1: XXHASH {}}, 4: compression {1: UNCOMPRESSED {}}}. */
void pq_bloom_header_encode(struct thrift_out *o, size_t n)
{
	thrift_w_root_begin(o);
	thrift_w_i32(o, 1, (int32_t)n);
	for (int16_t id = 2; id <= 4; id++) {
		thrift_w_struct_begin(o, id);
		thrift_w_struct_begin(o, 1);
		thrift_w_struct_end(o);
		thrift_w_struct_end(o);
	}
	thrift_w_root_end(o);
}

/* The union's member id (the one field of the struct), or -1. */
static int union_member(struct thrift_in *in)
{
	struct thrift_field f;
	int id = -1;
	if (!thrift_struct_begin(in, &f))
		return -1;
	while (thrift_next_field(in, &f)) {
		if (id < 0 && f.type == THRIFT_STRUCT)
			id = f.id;
		thrift_skip(in, f.type);
	}
	thrift_struct_end(in);
	return id;
}

tarn_rc pq_bloom_read(const uint8_t *file, size_t file_len, const struct pq_column_meta *cm,
                      const uint8_t **bits, size_t *n, const char **why)
{
	*bits = NULL;
	*n = 0;
	if (cm->bloom_filter_offset < 0)
		return TARN_OK;
	int64_t off = cm->bloom_filter_offset;
	if (off < 4 || off >= (int64_t)file_len) {
		*why = "Bloom filter offset outside the file";
		return TARN_EDATA;
	}
	size_t avail = file_len - (size_t)off;
	if (cm->bloom_filter_length > 0 && (size_t)cm->bloom_filter_length < avail)
		avail = (size_t)cm->bloom_filter_length;
	struct thrift_in in;
	thrift_in_init(&in, file + off, avail);
	struct thrift_field f;
	int64_t bytes = -1;
	int alg = -1, hash = -1, comp = -1;
	if (thrift_struct_begin(&in, &f)) {
		while (thrift_next_field(&in, &f)) {
			if (f.id == 1 && f.type == THRIFT_I32)
				bytes = thrift_i32(&in);
			else if (f.id >= 2 && f.id <= 4 && f.type == THRIFT_STRUCT) {
				int m = union_member(&in);
				*(f.id == 2 ? &alg : f.id == 3 ? &hash : &comp) = m;
			} else {
				thrift_skip(&in, f.type);
			}
		}
		thrift_struct_end(&in);
	}
	if (in.bad) {
		*why = "corrupt Bloom filter header";
		return TARN_EDATA;
	}
	if (alg != 1 || hash != 1 || comp != 1) {
		*why = "Bloom filter with an algorithm, hash or compression other than "
		       "SPLIT_BLOCK / XXHASH / UNCOMPRESSED";
		return TARN_EUNSUPPORTED;
	}
	size_t used = thrift_offset(&in);
	if (bytes < 32 || bytes % 32 != 0 || (size_t)bytes > PQ_BLOOM_MAX ||
	    (size_t)bytes > avail - used) {
		*why = "Bloom filter size not a multiple of 32 bytes or past its end";
		return TARN_EDATA;
	}
	*bits = file + off + used;
	*n = (size_t)bytes;
	return TARN_OK;
}

tarn_rc pq_bloom_might_contain(const uint8_t *file, size_t file_len,
                               const struct pq_column_meta *cm, const void *value, size_t len,
                               bool *maybe, const char **why)
{
	const uint8_t *bits;
	size_t n;
	*maybe = true;
	TRY(pq_bloom_read(file, file_len, cm, &bits, &n, why));
	if (bits)
		*maybe = pq_bloom_check(bits, n, pq_xxh64(value, len, 0));
	return TARN_OK;
}
