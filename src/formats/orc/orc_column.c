/*
 * orc_column.c — decoding one ORC column's streams into Arrow-layout
 * arrays (ORCv1.md, "Column Encodings"), and positioning them at a row
 * group with the row index ("Row Group Index").
 *
 * Design notes
 *  1. Nulls: a column's PRESENT stream has one bit per row its parent
 *     passes down; values streams hold only the non-null rows. A struct's
 *     children take a value only for rows where the struct is non-null,
 *     and a union branch only for rows with its tag, so orc_col_read takes
 *     the parent's row mask and reads present bits only under it. Rows
 *     outside the mask come out null.
 *  2. Fixed-width values are decoded densely into the front of the rows'
 *     slots, then spread backwards in place to their rows (j <= i always
 *     holds, so nothing is overwritten before it is moved); null slots are
 *     zeroed so batches are deterministic.
 *  3. Every count taken from the file is checked before it sizes anything:
 *     list/map children against max_values, string bytes against
 *     max_bytes (and int32 offsets), dictionary sizes against both.
 *     String bytes are copied in pieces while the array grows, so a lying
 *     LENGTH stream runs out of DATA before it can allocate much.
 *  4. STRING/VARCHAR/CHAR values must be UTF-8 (checked per batch, and per
 *     dictionary once); BINARY is not checked.
 *
 * Thread-safety: a column subtree is used by one thread at a time (see
 * orc_read.h).
 */
#include <stdio.h>
#include <string.h>

#include "base/err.h"
#include "columnar/utf8.h"
#include "formats/orc/orc_read.h"

#define CHUNK 4096 /* integers staged per step when narrowing */
#define DICT_SLACK 16

static tarn_rc fail(struct rcol *c, tarn_rc rc, const char *why)
{
	if (!c->why)
		c->why = why;
	return rc;
}

static tarn_rc grow(struct rcol *c, void **p, size_t *cap, size_t bytes)
{
	if (bytes <= *cap)
		return TARN_OK;
	size_t nc = *cap ? *cap : 256;
	while (nc < bytes)
		nc *= 2;
	void *q = tarn_malloc(nc);
	if (!q)
		return fail(c, TARN_ENOMEM, "out of memory for decoding scratch");
	tarn_free(*p);
	*p = q;
	*cap = nc;
	return TARN_OK;
}

#define GROW(c, field, capf, bytes) grow(c, (void **)&(c)->field, &(c)->capf, (bytes))

static int64_t count_ones(const uint8_t *f, int64_t n)
{
	int64_t k = 0;
	for (int64_t i = 0; i < n; i++)
		k += f[i];
	return k;
}

/* Row flags for n rows: *out = NULL when every row is valid, else n 0/1
 * flags (c->pres, or the parent's mask itself). *k = valid rows. */
static tarn_rc present_flags(struct rcol *c, int64_t n, const uint8_t *mask, const uint8_t **out,
			     int64_t *k)
{
	if (!c->has_present) {
		*k = mask ? count_ones(mask, n) : n;
		*out = mask && *k < n ? mask : NULL;
		return TARN_OK;
	}
	TRY(GROW(c, pres, pres_cap, (size_t)n));
	if (!mask) {
		TRY(orc_bool_get(&c->present_dec, c->pres, n));
	} else {
		int64_t m = count_ones(mask, n);
		TRY(GROW(c, flags, flags_cap, (size_t)m));
		TRY(orc_bool_get(&c->present_dec, c->flags, m));
		for (int64_t i = 0, j = 0; i < n; i++)
			c->pres[i] = mask[i] ? c->flags[j++] : 0;
	}
	*k = count_ones(c->pres, n);
	*out = *k < n ? c->pres : NULL;
	return TARN_OK;
}

/* Marks rows [start, start + n) null where pres is 0. */
static tarn_rc apply_nulls(struct tarn_array *a, int64_t start, const uint8_t *pres, int64_t n,
			   int64_t k)
{
	if (!pres)
		return TARN_OK;
	TRY(tarn_array_ensure_validity(a));
	for (int64_t i = 0; i < n; i++)
		if (!pres[i])
			a->validity[(start + i) >> 3] &= (uint8_t)~(1u << ((start + i) & 7));
	a->null_count += n - k;
	return TARN_OK;
}

/* Spreads k dense values at base to n slots by pres (note 2). */
static void spread(uint8_t *base, int w, const uint8_t *pres, int64_t n, int64_t k)
{
	if (!pres)
		return;
	int64_t j = k;
#define SPREAD(T)                                      \
	do {                                           \
		T *v = (T *)(void *)base;              \
		for (int64_t i = n - 1; i >= 0; i--) { \
			if (pres[i])                   \
				v[i] = v[--j];         \
			else                           \
				v[i] = 0;              \
		}                                      \
	} while (0)
	switch (w) {
	case 1: SPREAD(uint8_t); break;
	case 2: SPREAD(uint16_t); break;
	case 4: SPREAD(uint32_t); break;
	case 8: SPREAD(uint64_t); break;
	default:
		for (int64_t i = n - 1; i >= 0; i--) {
			if (pres[i])
				memmove(base + i * w, base + --j * w, (size_t)w);
			else
				memset(base + i * w, 0, (size_t)w);
		}
	}
#undef SPREAD
}

/* k integers from d into dst at width w (1, 2, 4 or 8 bytes), checking
 * that they fit. */
static tarn_rc read_ints(struct rcol *c, struct orc_irle *d, uint8_t *dst, int w, int64_t k)
{
	if (w == 8)
		return orc_irle_get(d, (int64_t *)(void *)dst, k);
	TRY(GROW(c, ibuf, ibuf_cap, CHUNK * sizeof(int64_t)));
	int64_t *t = c->ibuf;
	for (int64_t done = 0; done < k;) {
		int64_t m = k - done < CHUNK ? k - done : CHUNK;
		TRY(orc_irle_get(d, t, m));
		bool bad = false;
		if (w == 4) {
			int32_t *o = (int32_t *)(void *)dst + done;
			for (int64_t i = 0; i < m; i++) {
				o[i] = (int32_t)t[i];
				bad |= o[i] != t[i];
			}
		} else if (w == 2) {
			int16_t *o = (int16_t *)(void *)dst + done;
			for (int64_t i = 0; i < m; i++) {
				o[i] = (int16_t)t[i];
				bad |= o[i] != t[i];
			}
		} else {
			int8_t *o = (int8_t *)dst + done;
			for (int64_t i = 0; i < m; i++) {
				o[i] = (int8_t)t[i];
				bad |= o[i] != t[i];
			}
		}
		if (bad)
			return fail(c, TARN_EDATA, "an integer value is out of range for the column's type");
		done += m;
	}
	return TARN_OK;
}

/* k non-negative lengths into c->ibuf; *total = their sum, checked
 * against the byte limit. */
static tarn_rc read_lengths(struct rcol *c, struct orc_irle *d, int64_t k, int64_t limit,
			    int64_t *total)
{
	TRY(GROW(c, ibuf, ibuf_cap, (size_t)(k ? k : 1) * sizeof(int64_t)));
	TRY(orc_irle_get(d, c->ibuf, k));
	int64_t sum = 0;
	bool bad = false;
	for (int64_t i = 0; i < k; i++) {
		int64_t v = c->ibuf[i];
		bad |= v < 0 || v > INT32_MAX;
		sum += v & INT32_MAX;
	}
	if (bad)
		return fail(c, TARN_EDATA, "a negative or oversized length in a LENGTH stream");
	if (sum > limit)
		return fail(c, TARN_ELIMIT,
			    "a batch's values of this column need more than the reader's limit "
			    "(max-batch-values / max-batch-bytes)");
	*total = sum;
	return TARN_OK;
}

static bool is_text(int kind)
{
	return kind == ORC_STRING || kind == ORC_VARCHAR || kind == ORC_CHAR;
}

/* The values of a string array from byte offset `from` are UTF-8 and no
 * value of rows [row, row + n) starts inside a character. */
static tarn_rc check_utf8(struct rcol *c, const struct tarn_array *a, int64_t row, int64_t n,
			  int64_t from)
{
	size_t bad;
	if (a->values_len > from &&
	    !tarn_utf8_valid(a->values + from, (size_t)(a->values_len - from), &bad))
		return fail(c, TARN_EDATA, "invalid UTF-8 in a string value");
	for (int64_t i = row; i < row + n; i++) {
		int32_t s = a->offsets[i];
		if (a->offsets[i + 1] > s && (a->values[s] & 0xc0) == 0x80)
			return fail(c, TARN_EDATA, "invalid UTF-8 in a string value");
	}
	return TARN_OK;
}

/* Copies `total` bytes of stream s to the end of a's values, growing the
 * array as the bytes arrive (note 3). */
static tarn_rc copy_bytes(struct rcol *c, struct orc_stream *s, struct tarn_array *a, int64_t total)
{
	while (total > 0) {
		int64_t piece = total < (1 << 22) ? total : (1 << 22);
		if (tarn_array_reserve_bytes(a, piece))
			return fail(c, TARN_ENOMEM, "out of memory for string values");
		TRY(orc_stream_read(s, a->values + a->values_len, (size_t)piece));
		a->values_len += piece;
		total -= piece;
	}
	return TARN_OK;
}

/* Offsets of rows [len, len + n) from k dense lengths in c->ibuf. */
static void fill_offsets(struct tarn_array *a, int64_t len, const uint8_t *pres, int64_t n,
			 const int64_t *lens)
{
	int32_t off = a->offsets[len];
	int32_t *o = a->offsets + len + 1;
	if (!pres) {
		for (int64_t i = 0; i < n; i++) {
			off += (int32_t)lens[i];
			o[i] = off;
		}
		return;
	}
	for (int64_t i = 0, j = 0; i < n; i++) {
		if (pres[i])
			off += (int32_t)lens[j++];
		o[i] = off;
	}
}

static tarn_rc load_dict(struct rcol *c)
{
	uint32_t n = c->dict_size;
	if ((int64_t)n > c->lim->max_values)
		return fail(c, TARN_ELIMIT, "dictionary larger than the reader's max-batch-values");
	tarn_free(c->dict_off);
	tarn_free(c->dict_blob);
	c->dict_blob = NULL;
	c->dict_off = tarn_malloc(((size_t)n + 1) * sizeof(int32_t));
	if (!c->dict_off)
		return fail(c, TARN_ENOMEM, "out of memory for a string dictionary");
	c->dict_off[0] = 0;
	TRY(GROW(c, ibuf, ibuf_cap, CHUNK * sizeof(int64_t)));
	int64_t sum = 0;
	for (uint32_t done = 0; done < n;) {
		uint32_t m = n - done < CHUNK ? n - done : CHUNK;
		TRY(orc_irle_get(&c->len_dec, c->ibuf, m));
		for (uint32_t i = 0; i < m; i++) {
			int64_t v = c->ibuf[i];
			if (v < 0 || v > INT32_MAX)
				return fail(c, TARN_EDATA, "a negative or oversized dictionary entry length");
			sum += v;
			if (sum > c->lim->max_bytes || sum > INT32_MAX)
				return fail(c, TARN_ELIMIT, "dictionary larger than the reader's max-batch-bytes");
			c->dict_off[done + i + 1] = (int32_t)sum;
		}
		done += m;
	}
	/* The blob, read while it grows. */
	size_t cap = 0;
	if (sum == 0) {
		c->dict_blob = tarn_calloc(1, DICT_SLACK);
		if (!c->dict_blob)
			return fail(c, TARN_ENOMEM, "out of memory for a string dictionary");
	}
	for (int64_t got = 0; got < sum;) {
		int64_t piece = sum - got < (1 << 22) ? sum - got : (1 << 22);
		if ((size_t)(got + piece) > cap) {
			size_t nc = cap ? cap : 4096;
			while (nc < (size_t)(got + piece))
				nc *= 2;
			if (nc > (size_t)sum)
				nc = (size_t)sum;
			/* DICT_SLACK readable bytes past the end: short entries
			 * are copied in fixed 16-byte moves */
			uint8_t *b = tarn_realloc(c->dict_blob, nc + DICT_SLACK);
			if (!b)
				return fail(c, TARN_ENOMEM, "out of memory for a string dictionary");
			c->dict_blob = b;
			cap = nc;
		}
		TRY(orc_stream_read(&c->dict, c->dict_blob + got, (size_t)piece));
		got += piece;
	}
	if (is_text(c->kind) && sum > 0) {
		size_t bad;
		if (!tarn_utf8_valid(c->dict_blob, (size_t)sum, &bad))
			return fail(c, TARN_EDATA, "invalid UTF-8 in a dictionary entry");
		for (uint32_t i = 0; i < n; i++)
			if (c->dict_off[i + 1] > c->dict_off[i] &&
			    (c->dict_blob[c->dict_off[i]] & 0xc0) == 0x80)
				return fail(c, TARN_EDATA, "invalid UTF-8 in a dictionary entry");
	}
	c->dict_loaded = true;
	return TARN_OK;
}

static tarn_rc read_strings(struct rcol *c, struct tarn_array *a, int64_t n, const uint8_t *pres,
			    int64_t k)
{
	int64_t len = a->length;
	int64_t from = a->values_len;
	int64_t room = c->lim->max_bytes;
	if (room > TARN_ARRAY_MAX_BYTES - a->values_len)
		room = TARN_ARRAY_MAX_BYTES - a->values_len;
	if (c->enc == ORC_E_DICTIONARY || c->enc == ORC_E_DICTIONARY_V2) {
		if (!c->dict_loaded)
			TRY(load_dict(c));
		TRY(GROW(c, ibuf, ibuf_cap, (size_t)(k ? k : 1) * sizeof(int64_t)));
		int64_t *idx = c->ibuf;
		TRY(orc_irle_get(&c->int_dec, idx, k));
		int64_t total = 0;
		for (int64_t i = 0; i < k; i++) {
			if ((uint64_t)idx[i] >= c->dict_size)
				return fail(c, TARN_EDATA, "a dictionary index is out of range");
			total += c->dict_off[idx[i] + 1] - c->dict_off[idx[i]];
		}
		if (total > room)
			return fail(c, TARN_ELIMIT,
				    "a batch's strings of this column need more than the reader's "
				    "limit (max-batch-bytes, or 2 GiB per array)");
		if (tarn_array_reserve_bytes(a, total + DICT_SLACK))
			return fail(c, TARN_ENOMEM, "out of memory for string values");
		uint8_t *dst = a->values + a->values_len;
		int32_t off = a->offsets[len];
		int32_t *o = a->offsets + len + 1;
		const uint8_t *blob = c->dict_blob;
		for (int64_t i = 0, j = 0; i < n; i++) {
			if (!pres || pres[i]) {
				int64_t e = idx[j++];
				int32_t s = c->dict_off[e], l = c->dict_off[e + 1] - s;
				if (l <= 16) {
					/* both sides have DICT_SLACK bytes of room */
					memcpy(dst, blob + s, 16);
				} else {
					memcpy(dst, blob + s, (size_t)l);
				}
				dst += l;
				off += l;
			}
			o[i] = off;
		}
		a->values_len += total;
		return TARN_OK; /* the dictionary was checked for UTF-8 */
	}
	int64_t total;
	TRY(read_lengths(c, &c->len_dec, k, room, &total));
	fill_offsets(a, len, pres, n, c->ibuf);
	TRY(copy_bytes(c, &c->data, a, total));
	if (is_text(c->kind))
		TRY(check_utf8(c, a, len, n, from));
	return TARN_OK;
}

static const int64_t pow10_i64[19] = {
	1LL,
	10LL,
	100LL,
	1000LL,
	10000LL,
	100000LL,
	1000000LL,
	10000000LL,
	100000000LL,
	1000000000LL,
	10000000000LL,
	100000000000LL,
	1000000000000LL,
	10000000000000LL,
	100000000000000LL,
	1000000000000000LL,
	10000000000000000LL,
	100000000000000000LL,
	1000000000000000000LL,
};

static __int128 pow10_i128(int e)
{
	__int128 v = 1;
	for (int i = 0; i < e; i++)
		v *= 10;
	return v;
}

static tarn_rc read_timestamps(struct rcol *c, int64_t *dst, int64_t k)
{
	TRY(GROW(c, ibuf2, ibuf2_cap, CHUNK * sizeof(int64_t)));
	int64_t *nano = c->ibuf2;
	bool local = c->kind == ORC_TIMESTAMP;
	bool utc = !local || !c->tz || orc_tz_is_utc(c->tz);
	for (int64_t done = 0; done < k;) {
		int64_t m = k - done < CHUNK ? k - done : CHUNK;
		int64_t *secs = dst + done;
		TRY(orc_irle_get(&c->int_dec, secs, m));
		TRY(orc_irle_get(&c->sec_dec, nano, m));
		bool bad = false, range = false;
		for (int64_t i = 0; i < m; i++) {
			uint64_t raw = (uint64_t)nano[i];
			int zeros = (int)(raw & 7);
			uint64_t ns = raw >> 3;
			if (zeros)
				ns *= (uint64_t)pow10_i64[zeros + 1];
			bad |= ns >= 1000000000u;
			int64_t s;
			range |= __builtin_add_overflow(secs[i], c->ts_epoch, &s);
			if (!utc)
				range |= __builtin_add_overflow(s, orc_tz_offset(c->tz, s), &s);
			/* Writers store seconds truncated toward zero when the
			 * fraction has a millisecond part (ORC's Java legacy);
			 * readers take one off to get the floor back. */
			if (s < 0 && ns > 999999)
				s -= 1;
			int64_t v;
			range |= __builtin_mul_overflow(s, (int64_t)1000000000, &v);
			range |= __builtin_add_overflow(v, (int64_t)ns, &v);
			secs[i] = v;
		}
		if (bad)
			return fail(c, TARN_EDATA, "a timestamp's nanoseconds are out of range");
		if (range)
			return fail(c, TARN_EDATA,
				    "a timestamp is outside the range of nanoseconds since 1970 "
				    "(years 1677..2262)");
		done += m;
	}
	return TARN_OK;
}

/* One unbounded zigzag varint of up to 128 bits (decimal DATA). */
static tarn_rc decimal_varint(struct rcol *c, __int128 *out)
{
	struct orc_stream *s = &c->data;
	TRY(orc_stream_fill(s, 20));
	unsigned __int128 v = 0;
	const uint8_t *p = s->p;
	for (int shift = 0;; shift += 7) {
		if (p >= s->end)
			return fail(c, TARN_EDATA, "decimal DATA stream ends early");
		if (shift > 126)
			return fail(c, TARN_EDATA, "a decimal value is larger than 128 bits");
		uint8_t b = *p++;
		v |= (unsigned __int128)(b & 0x7f) << shift;
		if (!(b & 0x80))
			break;
	}
	s->p = p;
	*out = (__int128)(v >> 1) ^ -(__int128)(v & 1);
	return TARN_OK;
}

static tarn_rc read_decimals(struct rcol *c, __int128 *dst, int64_t k)
{
	static const __int128 lim = (__int128)10000000000000000000ULL * (__int128)10000000000000000000ULL;
	if (c->decimal64) {
		TRY(GROW(c, ibuf, ibuf_cap, CHUNK * sizeof(int64_t)));
		for (int64_t done = 0; done < k;) {
			int64_t m = k - done < CHUNK ? k - done : CHUNK;
			TRY(orc_irle_get(&c->int_dec, c->ibuf, m));
			for (int64_t i = 0; i < m; i++)
				dst[done + i] = c->ibuf[i];
			done += m;
		}
		return TARN_OK;
	}
	TRY(GROW(c, ibuf, ibuf_cap, CHUNK * sizeof(int64_t)));
	for (int64_t done = 0; done < k;) {
		int64_t m = k - done < CHUNK ? k - done : CHUNK;
		TRY(orc_irle_get(&c->sec_dec, c->ibuf, m));
		for (int64_t i = 0; i < m; i++) {
			__int128 v;
			TRY(decimal_varint(c, &v));
			int64_t sc = c->ibuf[i];
			if (sc < -100 || sc > 100)
				return fail(c, TARN_EDATA, "a decimal scale is out of range");
			int d = c->scale - (int)sc;
			if (d > 0) {
				if (d > 38 || (v != 0 && (v >= lim / pow10_i128(d) || v <= -lim / pow10_i128(d))))
					return fail(c, TARN_EDATA, "a decimal value does not fit 38 digits");
				v *= pow10_i128(d);
			} else if (d < 0) {
				/* more fraction digits than the column's scale:
				 * truncated, as ORC's own readers do */
				v = -d > 38 ? 0 : v / pow10_i128(-d);
			}
			if (v >= lim || v <= -lim)
				return fail(c, TARN_EDATA, "a decimal value does not fit 38 digits");
			dst[done + i] = v;
		}
		done += m;
	}
	return TARN_OK;
}

static tarn_rc read_children_masked(struct rcol *c, struct tarn_array *a, int64_t n,
				    const uint8_t *pres)
{
	for (int i = 0; i < c->n_children; i++)
		TRY(orc_col_read(c->children[i], a->children[i], n, pres));
	return TARN_OK;
}

tarn_rc orc_col_read(struct rcol *c, struct tarn_array *a, int64_t n, const uint8_t *mask)
{
	if (n == 0)
		return TARN_OK;
	const uint8_t *pres;
	int64_t k;
	TRY(present_flags(c, n, mask, &pres, &k));
	int64_t len = a->length;
	if (tarn_array_reserve(a, n))
		return fail(c, TARN_ENOMEM, "out of memory for a batch");
	int w = tarn_type_width(c->tt->id);
	uint8_t *dst = w ? a->values + len * w : NULL;
	switch (c->kind) {
	case ORC_BOOLEAN: {
		TRY(GROW(c, flags, flags_cap, (size_t)k));
		TRY(orc_bool_get(&c->bool_dec, c->flags, k));
		for (int64_t i = 0, j = 0; i < n; i++) {
			bool v = (!pres || pres[i]) ? c->flags[j++] : 0;
			tarn_bit_set(a->values, len + i, v);
		}
		break;
	}
	case ORC_BYTE:
		TRY(orc_brle_get(&c->byte_dec, dst, k));
		spread(dst, 1, pres, n, k);
		break;
	case ORC_SHORT:
	case ORC_INT:
	case ORC_LONG:
	case ORC_DATE:
		TRY(read_ints(c, &c->int_dec, dst, w, k));
		spread(dst, w, pres, n, k);
		break;
	case ORC_FLOAT:
	case ORC_DOUBLE:
		TRY(orc_stream_read(&c->data, dst, (size_t)k * (size_t)w));
		spread(dst, w, pres, n, k);
		break;
	case ORC_TIMESTAMP:
	case ORC_TIMESTAMP_INSTANT:
		TRY(read_timestamps(c, (int64_t *)(void *)dst, k));
		spread(dst, 8, pres, n, k);
		break;
	case ORC_DECIMAL:
		TRY(read_decimals(c, (__int128 *)(void *)dst, k));
		spread(dst, 16, pres, n, k);
		break;
	case ORC_STRING:
	case ORC_VARCHAR:
	case ORC_CHAR:
	case ORC_BINARY:
		TRY(read_strings(c, a, n, pres, k));
		break;
	case ORC_STRUCT:
		TRY(read_children_masked(c, a, n, pres));
		break;
	case ORC_LIST:
	case ORC_MAP: {
		int64_t total;
		TRY(read_lengths(c, &c->len_dec, k, c->lim->max_values, &total));
		if (total > INT32_MAX - a->offsets[len])
			return fail(c, TARN_ELIMIT, "more than 2^31 list/map items in one batch");
		fill_offsets(a, len, pres, n, c->ibuf);
		if (c->kind == ORC_LIST) {
			TRY(orc_col_read(c->children[0], a->children[0], total, NULL));
		} else {
			struct tarn_array *e = a->children[0];
			if (tarn_array_reserve(e, total))
				return fail(c, TARN_ENOMEM, "out of memory for a batch");
			TRY(orc_col_read(c->children[0], e->children[0], total, NULL));
			TRY(orc_col_read(c->children[1], e->children[1], total, NULL));
			if (e->children[0]->null_count)
				return fail(c, TARN_EDATA, "a map key is null");
			e->length += total;
		}
		break;
	}
	case ORC_UNION: {
		/* children: tag, then one branch per ORC variant (note 1) */
		TRY(GROW(c, flags, flags_cap, (size_t)n * 2));
		uint8_t *tags = c->flags, *bm = c->flags + n;
		struct tarn_array *ta = a->children[0];
		if (tarn_array_reserve(ta, n))
			return fail(c, TARN_ENOMEM, "out of memory for a batch");
		TRY(orc_brle_get(&c->byte_dec, tags, k));
		for (int64_t j = 0; j < k; j++)
			if (tags[j] >= c->n_children)
				return fail(c, TARN_EDATA, "a union tag names a variant the type lacks");
		spread(tags, 1, pres, n, k);
		memcpy(ta->values + ta->length, tags, (size_t)n);
		TRY(apply_nulls(ta, ta->length, pres, n, k));
		ta->length += n;
		for (int b = 0; b < c->n_children; b++) {
			for (int64_t i = 0; i < n; i++)
				bm[i] = (uint8_t)((!pres || pres[i]) && tags[i] == b);
			TRY(orc_col_read(c->children[b], a->children[b + 1], n, bm));
		}
		break;
	}
	default: return fail(c, TARN_EUNSUPPORTED, "unsupported column type");
	}
	if (apply_nulls(a, len, pres, n, k))
		return fail(c, TARN_ENOMEM, "out of memory for a batch");
	a->length = len + n;
	return TARN_OK;
}

/* ---- seeking ---------------------------------------------------------------------------- */

struct poscur {
	const uint64_t *p;
	int n, i;
};

static bool pos_next(struct poscur *pc, uint64_t *v)
{
	if (pc->i >= pc->n)
		return false;
	*v = pc->p[pc->i++];
	return true;
}

static tarn_rc seek_stream(struct rcol *c, struct orc_stream *s, struct poscur *pc, bool compressed)
{
	uint64_t chunk = 0, off;
	if ((compressed && !pos_next(pc, &chunk)) || !pos_next(pc, &off))
		return fail(c, TARN_EDATA, "the row index has too few positions for the column's streams");
	if (!s->present)
		return TARN_OK; /* nothing will be read from it */
	return orc_stream_seek(s, chunk, off);
}

static tarn_rc seek_count(struct rcol *c, struct poscur *pc, uint64_t *v)
{
	if (!pos_next(pc, v))
		return fail(c, TARN_EDATA, "the row index has too few positions for the column's streams");
	return TARN_OK;
}

static tarn_rc seek_bool(struct rcol *c, struct orc_stream *s, struct orc_bool *d,
			 struct poscur *pc, bool compressed)
{
	uint64_t bytes, bits;
	TRY(seek_stream(c, s, pc, compressed));
	TRY(seek_count(c, pc, &bytes));
	TRY(seek_count(c, pc, &bits));
	orc_bool_reset(d);
	if (!s->present)
		return TARN_OK;
	if (bits > 8)
		return fail(c, TARN_EDATA, "a row index boolean position has more than 8 bits");
	TRY(orc_brle_skip(&d->b, bytes));
	return orc_bool_skip(d, bits);
}

static tarn_rc seek_rle(struct rcol *c, struct orc_stream *s, struct orc_irle *d,
			struct poscur *pc, bool compressed)
{
	uint64_t skip;
	TRY(seek_stream(c, s, pc, compressed));
	TRY(seek_count(c, pc, &skip));
	orc_irle_reset(d);
	if (!s->present)
		return TARN_OK;
	if (skip > 512 * 1024)
		return fail(c, TARN_EDATA, "a row index position skips more values than a run holds");
	return orc_irle_skip(d, skip);
}

tarn_rc orc_col_seek(struct rcol *c, int g, bool compressed)
{
	if (g >= c->ri.n)
		return fail(c, TARN_EDATA, "the row index has no entry for a row group of the stripe");
	struct poscur pc = { c->ri.entries[g].pos, c->ri.entries[g].n_pos, 0 };
	if (c->has_present)
		TRY(seek_bool(c, &c->present, &c->present_dec, &pc, compressed));
	switch (c->kind) {
	case ORC_BOOLEAN: TRY(seek_bool(c, &c->data, &c->bool_dec, &pc, compressed)); break;
	case ORC_BYTE: {
		uint64_t skip;
		TRY(seek_stream(c, &c->data, &pc, compressed));
		TRY(seek_count(c, &pc, &skip));
		orc_brle_reset(&c->byte_dec);
		if (c->data.present)
			TRY(orc_brle_skip(&c->byte_dec, skip));
		break;
	}
	case ORC_SHORT:
	case ORC_INT:
	case ORC_LONG:
	case ORC_DATE: TRY(seek_rle(c, &c->data, &c->int_dec, &pc, compressed)); break;
	case ORC_FLOAT:
	case ORC_DOUBLE: TRY(seek_stream(c, &c->data, &pc, compressed)); break;
	case ORC_STRING:
	case ORC_VARCHAR:
	case ORC_CHAR:
	case ORC_BINARY:
		if (c->enc == ORC_E_DICTIONARY || c->enc == ORC_E_DICTIONARY_V2) {
			TRY(seek_rle(c, &c->data, &c->int_dec, &pc, compressed));
		} else {
			TRY(seek_stream(c, &c->data, &pc, compressed));
			TRY(seek_rle(c, &c->length, &c->len_dec, &pc, compressed));
		}
		break;
	case ORC_TIMESTAMP:
	case ORC_TIMESTAMP_INSTANT:
		TRY(seek_rle(c, &c->data, &c->int_dec, &pc, compressed));
		TRY(seek_rle(c, &c->secondary, &c->sec_dec, &pc, compressed));
		break;
	case ORC_DECIMAL:
		if (c->decimal64) {
			TRY(seek_rle(c, &c->data, &c->int_dec, &pc, compressed));
		} else {
			TRY(seek_stream(c, &c->data, &pc, compressed));
			TRY(seek_rle(c, &c->secondary, &c->sec_dec, &pc, compressed));
		}
		break;
	case ORC_LIST:
	case ORC_MAP: TRY(seek_rle(c, &c->length, &c->len_dec, &pc, compressed)); break;
	case ORC_UNION: {
		uint64_t skip;
		TRY(seek_stream(c, &c->data, &pc, compressed));
		TRY(seek_count(c, &pc, &skip));
		orc_brle_reset(&c->byte_dec);
		if (c->data.present)
			TRY(orc_brle_skip(&c->byte_dec, skip));
		break;
	}
	default: break;
	}
	for (int i = 0; i < c->n_children; i++)
		TRY(orc_col_seek(c->children[i], g, compressed));
	return TARN_OK;
}

const char *orc_col_why(const struct rcol *c, const struct rcol **where, char *buf, size_t cap)
{
	const struct orc_stream *ss[] = { &c->present, &c->data, &c->length, &c->secondary, &c->dict };
	static const char *const names[] = { "PRESENT", "DATA", "LENGTH", "SECONDARY",
					     "DICTIONARY_DATA" };
	for (int i = 0; i < 5; i++) {
		if (ss[i]->why) {
			*where = c;
			snprintf(buf, cap, "%s stream: %s", names[i], ss[i]->why);
			return buf;
		}
	}
	if (c->why) {
		*where = c;
		snprintf(buf, cap, "%s", c->why);
		return buf;
	}
	for (int i = 0; i < c->n_children; i++) {
		const char *w = orc_col_why(c->children[i], where, buf, cap);
		if (w)
			return w;
	}
	return NULL;
}

void orc_col_free_state(struct rcol *c)
{
	orc_stream_free(&c->present);
	orc_stream_free(&c->data);
	orc_stream_free(&c->length);
	orc_stream_free(&c->secondary);
	orc_stream_free(&c->dict);
	tarn_free(c->dict_off);
	tarn_free(c->dict_blob);
	tarn_free(c->pres);
	tarn_free(c->flags);
	tarn_free(c->ibuf);
	tarn_free(c->ibuf2);
	c->dict_off = NULL;
	c->dict_blob = NULL;
	c->pres = c->flags = NULL;
	c->ibuf = c->ibuf2 = NULL;
}
