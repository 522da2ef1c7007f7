/*
 * parquet_encodings.c — decoding a data page's values (Encodings.md): PLAIN,
 * PLAIN_DICTIONARY / RLE_DICTIONARY, RLE (booleans), DELTA_BINARY_PACKED,
 * DELTA_LENGTH_BYTE_ARRAY, DELTA_BYTE_ARRAY and BYTE_STREAM_SPLIT, straight
 * into the leaf's tarn array (dense: nulls are spread in later by the
 * reader from the definition levels).
 *
 * Shape of the hot paths: a switch on the encoding and the leaf's conversion
 * (pq_conv) outside every loop; fixed-width values are staged PQ_CHUNK at a
 * time in their physical little-endian form and converted in one tight loop
 * (or copied with memcpy when the layouts agree); dictionary pages are
 * converted once to the tarn type, so a dictionary-encoded page is an index
 * decode plus a typed gather.
 *
 * Every read is bounds-checked against the page; problems return TARN_EDATA
 * with `why` set, and the reader adds file, row group, column and page.
 *
 * Thread-safety: a pq_valdec belongs to one column reader (one thread).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/err.h"
#include "formats/parquet/parquet_int.h"

static inline uint32_t ld32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

static inline uint64_t ld64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

static tarn_rc fail(struct pq_valdec *v, const char *why)
{
	v->why = why;
	return TARN_EDATA;
}

static tarn_rc fail_rc(struct pq_valdec *v, tarn_rc rc, const char *why)
{
	v->why = why;
	return rc;
}

static tarn_rc reserve(struct pq_valdec *v, struct tarn_array *dst, int64_t k)
{
	tarn_rc rc = tarn_array_reserve(dst, k);
	if (rc)
		return fail_rc(v, rc, rc == TARN_ELIMIT ? "too many values for one array"
							: "out of memory");
	return TARN_OK;
}

/* Physical width of one value in PLAIN / BYTE_STREAM_SPLIT; 0 for
 * BOOLEAN and BYTE_ARRAY. */
static int phys_width(const struct pq_leaf *lf)
{
	switch (lf->phys) {
	case PQ_INT32:
	case PQ_FLOAT: return 4;
	case PQ_INT64:
	case PQ_DOUBLE: return 8;
	case PQ_INT96: return 12;
	case PQ_FLBA: return lf->type_length;
	default: return 0;
	}
}

/* ---- conversions ------------------------------------------------------------------ */

static float half_to_float(uint16_t h)
{
	uint32_t sign = (uint32_t)(h >> 15) << 31;
	int exp = (h >> 10) & 0x1f;
	uint32_t mant = h & 0x3ff;
	uint32_t bits;
	if (exp == 0) {
		if (mant == 0) {
			bits = sign;
		} else {
			/* Subnormal half: normalise into a float. */
			int e = -1;
			do {
				e++;
				mant <<= 1;
			} while (!(mant & 0x400));
			mant &= 0x3ff;
			bits = sign | (uint32_t)(127 - 15 - e) << 23 | mant << 13;
		}
	} else if (exp == 31) {
		bits = sign | 0x7f800000u | mant << 13;
	} else {
		bits = sign | (uint32_t)(exp - 15 + 127) << 23 | mant << 13;
	}
	float f;
	memcpy(&f, &bits, 4);
	return f;
}

/* Impala/Hive INT96: 8 bytes nanoseconds of the day, then 4 bytes Julian day
 * (2440588 = 1970-01-01). Computed exactly; a result outside int64 is an
 * error for ns (years past 2262 are common and must not wrap), while for
 * us/ms/s it can only come from Spark, which derives the two fields from
 * microseconds with wrapping 64-bit arithmetic (see int96_from_spark.md), so
 * the same wrap gives back the value Spark meant. */
static bool int96_to(const uint8_t *p, int unit, int64_t *out)
{
	int64_t nanos = (int64_t)ld64(p);
	int64_t days = (int64_t)(int32_t)ld32(p + 8) - 2440588;
	static const int64_t per_day[] = { 86400LL, 86400000LL, 86400000000LL,
					   86400000000000LL };
	static const int64_t div[] = { 1000000000LL, 1000000LL, 1000LL, 1LL };
	int64_t q = nanos / div[unit];
	if (nanos % div[unit] < 0)
		q--;
	__int128 v = (__int128)days * per_day[unit] + q;
	if (v >= INT64_MIN && v <= INT64_MAX) {
		*out = (int64_t)v;
		return true;
	}
	if (unit == TARN_UNIT_NS)
		return false;
	*out = (int64_t)(uint64_t)(unsigned __int128)v;
	return true;
}

/* Big-endian two's complement of any length into i128, if it fits. */
static bool be_to_i128(const uint8_t *p, size_t n, tarn_i128 *out)
{
	if (n == 0) {
		*out = 0;
		return true;
	}
	bool neg = p[0] & 0x80;
	/* Leading bytes beyond 16 must be pure sign extension. */
	while (n > 16) {
		if (p[0] != (neg ? 0xff : 0x00))
			return false;
		p++;
		n--;
	}
	if (n == 16 && ((p[0] & 0x80) != 0) != neg)
		return false;
	unsigned __int128 u = neg ? ~(unsigned __int128)0 : 0;
	for (size_t i = 0; i < n; i++)
		u = (u << 8) | p[i];
	*out = (tarn_i128)u;
	return true;
}

static double be_to_double(const uint8_t *p, size_t n, int scale)
{
	if (n == 0)
		return 0;
	bool neg = p[0] & 0x80;
	size_t z = n; /* last nonzero byte, for the negation's carry */
	for (size_t i = n; i-- > 0;)
		if (p[i]) {
			z = i;
			break;
		}
	double acc = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned m = p[i];
		if (neg)
			m = i < z ? (~p[i] & 0xffu) : i == z ? ((~p[i] + 1u) & 0xffu) : 0;
		acc = acc * 256.0 + m;
	}
	return (neg ? -acc : acc) / pow(10.0, scale);
}

static void fmt_uuid(const uint8_t *p, char *out)
{
	static const char hex[] = "0123456789abcdef";
	int o = 0;
	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hex[p[i] >> 4];
		out[o++] = hex[p[i] & 15];
	}
}

/* The result of an array append: ENOMEM / ELIMIT with a reason. */
static tarn_rc app(struct pq_valdec *v, tarn_rc rc)
{
	if (rc)
		return fail_rc(v, rc, rc == TARN_ELIMIT ? "more than 2 GiB of values in one batch"
							: "out of memory");
	return TARN_OK;
}

/* Appends one byte-array-like value (BYTE_ARRAY, or one FLBA) by the leaf's
 * conversion. The slow path: used where per-value work dominates anyway. */
static tarn_rc put_bin(struct pq_valdec *v, struct tarn_array *dst, const uint8_t *p, size_t n)
{
	const struct pq_leaf *lf = v->lf;
	switch (lf->conv) {
	case PQ_CV_BYTES:
	case PQ_CV_FLBA_BYTES:
		if (n > (size_t)TARN_ARRAY_MAX_BYTES)
			return fail_rc(v, TARN_ELIMIT, "value larger than 2 GiB");
		return app(v, tarn_array_append_bytes(dst, p, n));
	case PQ_CV_BIN_DEC: {
		tarn_i128 x;
		if (!be_to_i128(p, n, &x))
			return fail(v, "decimal value does not fit in 38 digits");
		return app(v, tarn_array_append_decimal(dst, x));
	}
	case PQ_CV_BIN_F64: return app(v, tarn_array_append_double(dst, be_to_double(p, n, lf->scale)));
	case PQ_CV_UUID: {
		if (n != 16)
			return fail(v, "UUID value is not 16 bytes");
		char s[36];
		fmt_uuid(p, s);
		return app(v, tarn_array_append_bytes(dst, s, 36));
	}
	case PQ_CV_F16_F32: {
		if (n != 2)
			return fail(v, "FLOAT16 value is not 2 bytes");
		return app(v, tarn_array_append_double(dst, half_to_float((uint16_t)(p[0] | p[1] << 8))));
	}
	case PQ_CV_NULL:
		TRY(reserve(v, dst, 1));
		dst->length++;
		return TARN_OK;
	default: return fail(v, "byte array value in a non-binary column");
	}
}

/* Converts n fixed-width physical values (phys_width bytes each) appended
 * at dst->length; dst has room. */
static tarn_rc put_fixed(struct pq_valdec *v, struct tarn_array *dst, const uint8_t *src,
			 int64_t n)
{
	const struct pq_leaf *lf = v->lf;
	int64_t at = dst->length;
	uint8_t *o = dst->values;
	switch (lf->conv) {
	case PQ_CV_COPY4: memcpy(o + at * 4, src, (size_t)n * 4); break;
	case PQ_CV_COPY8: memcpy(o + at * 8, src, (size_t)n * 8); break;
	case PQ_CV_I32_I8:
		for (int64_t i = 0; i < n; i++)
			((int8_t *)o)[at + i] = (int8_t)ld32(src + 4 * i);
		break;
	case PQ_CV_I32_I16:
		for (int64_t i = 0; i < n; i++)
			((int16_t *)o)[at + i] = (int16_t)ld32(src + 4 * i);
		break;
	case PQ_CV_I32_I64:
		for (int64_t i = 0; i < n; i++)
			((int64_t *)o)[at + i] = (int32_t)ld32(src + 4 * i);
		break;
	case PQ_CV_I32_DEC:
		for (int64_t i = 0; i < n; i++) {
			tarn_i128 x = (int32_t)ld32(src + 4 * i);
			memcpy(o + (at + i) * 16, &x, 16);
		}
		break;
	case PQ_CV_I64_DEC:
		for (int64_t i = 0; i < n; i++) {
			tarn_i128 x = (int64_t)ld64(src + 8 * i);
			memcpy(o + (at + i) * 16, &x, 16);
		}
		break;
	case PQ_CV_INT96_TS:
		for (int64_t i = 0; i < n; i++)
			if (!int96_to(src + 12 * i, lf->scale, &((int64_t *)o)[at + i]))
				return fail(v, "INT96 timestamp outside the range of the "
					       "timestamp unit (reader option int96-unit)");
		break;
	case PQ_CV_NULL: break;
	default: {
		/* FLBA conversions go value by value. */
		int w = phys_width(lf);
		for (int64_t i = 0; i < n; i++)
			TRY(put_bin(v, dst, src + (size_t)i * (size_t)w, (size_t)w));
		return TARN_OK;
	}
	}
	dst->length += n;
	return TARN_OK;
}

static bool bulk_fixed(const struct pq_leaf *lf)
{
	switch (lf->conv) {
	case PQ_CV_COPY4:
	case PQ_CV_COPY8:
	case PQ_CV_I32_I8:
	case PQ_CV_I32_I16:
	case PQ_CV_I32_I64:
	case PQ_CV_I32_DEC:
	case PQ_CV_I64_DEC:
	case PQ_CV_INT96_TS:
	case PQ_CV_NULL: return true;
	default: return false;
	}
}

/* ---- DELTA_BINARY_PACKED ------------------------------------------------------------ */

static bool uleb(const uint8_t **pp, const uint8_t *end, uint64_t *out)
{
	const uint8_t *p = *pp;
	uint64_t v = 0;
	for (int shift = 0; shift < 64; shift += 7) {
		if (p >= end)
			return false;
		uint8_t b = *p++;
		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*pp = p;
			*out = v;
			return true;
		}
	}
	return false;
}

static bool zigzag(const uint8_t **pp, const uint8_t *end, uint64_t *out)
{
	uint64_t z;
	if (!uleb(pp, end, &z))
		return false;
	*out = (z >> 1) ^ (0 - (z & 1));
	return true;
}

/* Reads the header at p: block size, miniblocks per block, value count,
 * first value. Shared by the decoder and pq_delta_end. */
static const char *delta_header(const uint8_t **p, const uint8_t *end, uint64_t *block,
				uint64_t *n_mini, uint64_t *total, uint64_t *first)
{
	if (!uleb(p, end, block) || !uleb(p, end, n_mini) || !uleb(p, end, total) ||
	    !zigzag(p, end, first))
		return "truncated DELTA_BINARY_PACKED header";
	if (*block == 0 || *block % 128 || *n_mini == 0 || *n_mini > PQ_DELTA_MAX_MINIS ||
	    *block % *n_mini || (*block / *n_mini) % 32 || *block / *n_mini > PQ_DELTA_MAX_MINI)
		return "unsupported DELTA_BINARY_PACKED block layout";
	if (*total > INT32_MAX)
		return "DELTA_BINARY_PACKED value count out of range";
	return NULL;
}

tarn_rc pq_delta_init(struct pq_delta *d, const uint8_t *p, size_t n)
{
	uint64_t first, total;
	d->end = p + n;
	d->why = delta_header(&p, d->end, &d->block_size, &d->n_mini, &total, &first);
	if (d->why)
		return TARN_EDATA;
	d->p = p;
	d->mini_size = d->block_size / d->n_mini;
	d->left = (int64_t)total;
	d->first_pending = total > 0;
	d->last = first;
	d->mini_i = d->n_mini;
	d->buf_pos = d->buf_len = 0;
	return TARN_OK;
}

/* Decodes the next miniblock (reading a block header first when needed)
 * into d->buf. */
static tarn_rc delta_next_mini(struct pq_delta *d)
{
	if (d->mini_i >= d->n_mini) {
		if (!zigzag(&d->p, d->end, &d->min_delta)) {
			d->why = "truncated DELTA_BINARY_PACKED block";
			return TARN_EDATA;
		}
		if ((uint64_t)(d->end - d->p) < d->n_mini) {
			d->why = "truncated DELTA_BINARY_PACKED bit widths";
			return TARN_EDATA;
		}
		memcpy(d->widths, d->p, d->n_mini);
		d->p += d->n_mini;
		d->mini_i = 0;
	}
	int w = d->widths[d->mini_i++];
	if (w > 64) {
		d->why = "DELTA_BINARY_PACKED bit width above 64";
		return TARN_EDATA;
	}
	size_t bytes = (size_t)(d->mini_size * (uint64_t)w / 8);
	/* Only values still wanted need their bytes; a final miniblock may be
	 * cut short by writers that do not pad. */
	uint64_t need_vals = (uint64_t)d->left < d->mini_size ? (uint64_t)d->left : d->mini_size;
	size_t need = (size_t)((need_vals * (uint64_t)w + 7) / 8);
	size_t avail = (size_t)(d->end - d->p);
	if (avail < need) {
		d->why = "truncated DELTA_BINARY_PACKED miniblock";
		return TARN_EDATA;
	}
	uint8_t tmp[64 * 4 + 16];
	for (uint64_t i = 0; i < d->mini_size; i += 32) {
		const uint8_t *src = d->p + i * (uint64_t)w / 8;
		size_t left = avail > (size_t)(src - d->p) ? avail - (size_t)(src - d->p) : 0;
		size_t blk = (size_t)w * 4;
		if (left >= blk + 16) {
			pq_unpack32_u64(src, d->buf + i, w);
		} else {
			memset(tmp, 0, sizeof tmp);
			memcpy(tmp, src, left < blk ? left : blk);
			pq_unpack32_u64(tmp, d->buf + i, w);
		}
	}
	d->p += bytes < avail ? bytes : avail;
	d->buf_pos = 0;
	d->buf_len = (int64_t)d->mini_size;
	return TARN_OK;
}

tarn_rc pq_delta_get(struct pq_delta *d, uint64_t *out, int64_t n, int64_t *got)
{
	int64_t k = 0;
	if (n > 0 && d->first_pending && d->left > 0) {
		out[k++] = d->last;
		d->first_pending = false;
		d->left--;
	}
	while (k < n && d->left > 0) {
		if (d->buf_pos >= d->buf_len) {
			tarn_rc rc = delta_next_mini(d);
			if (rc) {
				*got = k;
				return rc;
			}
		}
		int64_t m = d->buf_len - d->buf_pos;
		if (m > n - k)
			m = n - k;
		if (m > d->left)
			m = d->left;
		uint64_t last = d->last, md = d->min_delta;
		const uint64_t *b = d->buf + d->buf_pos;
		for (int64_t i = 0; i < m; i++) {
			last += md + b[i];
			out[k + i] = last;
		}
		d->last = last;
		d->buf_pos += m;
		d->left -= m;
		k += m;
	}
	*got = k;
	return TARN_OK;
}

tarn_rc pq_delta_end(const uint8_t *p, size_t n, const uint8_t **out, const char **why)
{
	const uint8_t *end = p + n;
	uint64_t block, n_mini, total, first;
	*why = delta_header(&p, end, &block, &n_mini, &total, &first);
	if (*why)
		return TARN_EDATA;
	uint64_t mini = block / n_mini;
	uint64_t left = total ? total - 1 : 0;
	while (left > 0) {
		uint64_t md;
		if (!zigzag(&p, end, &md) || (uint64_t)(end - p) < n_mini) {
			*why = "truncated DELTA_BINARY_PACKED block";
			return TARN_EDATA;
		}
		const uint8_t *widths = p;
		p += n_mini;
		for (uint64_t i = 0; i < n_mini && left > 0; i++) {
			if (widths[i] > 64) {
				*why = "DELTA_BINARY_PACKED bit width above 64";
				return TARN_EDATA;
			}
			uint64_t bytes = mini * widths[i] / 8;
			uint64_t vals = left < mini ? left : mini;
			if (bytes > (uint64_t)(end - p)) {
				/* An unpadded final miniblock. */
				uint64_t need = (vals * widths[i] + 7) / 8;
				if (vals < mini && need <= (uint64_t)(end - p)) {
					p = end;
					left = 0;
					break;
				}
				*why = "truncated DELTA_BINARY_PACKED miniblock";
				return TARN_EDATA;
			}
			p += bytes;
			left -= vals;
		}
	}
	*out = p;
	return TARN_OK;
}

static tarn_rc delta_alloc(struct pq_valdec *v, struct pq_delta **d)
{
	if (!*d) {
		*d = tarn_malloc(sizeof **d);
		if (!*d)
			return fail_rc(v, TARN_ENOMEM, "out of memory");
	}
	return TARN_OK;
}

/* ---- init / free ------------------------------------------------------------------- */

void pq_valdec_free(struct pq_valdec *v)
{
	tarn_free(v->d1);
	tarn_free(v->d2);
	tarn_free(v->tmp);
	tarn_buf_free(&v->prev);
	v->d1 = v->d2 = NULL;
	v->tmp = NULL;
}

/* The short-string copy of a small string dictionary (pq_valdec). */
static void short_dict_init(struct pq_valdec *v, const struct tarn_array *d)
{
	enum tarn_type_id id = d->type->id;
	v->short_dict = false;
	if ((id != TARN_T_STRING && id != TARN_T_BINARY) || d->length > PQ_SHORT_DICT)
		return;
	for (int64_t i = 0; i < d->length; i++)
		if (d->offsets[i + 1] - d->offsets[i] > 16)
			return;
	for (int64_t i = 0; i < d->length; i++) {
		int32_t s = d->offsets[i], len = d->offsets[i + 1] - s;
		v->short_val[i][0] = v->short_val[i][1] = 0;
		if (len)
			memcpy(v->short_val[i], d->values + s, (size_t)len);
		v->short_len[i] = (uint8_t)len;
	}
	v->short_dict = true;
}

tarn_rc pq_valdec_init(struct pq_valdec *v, const struct pq_leaf *lf, int encoding,
		       const uint8_t *p, size_t n, const struct tarn_array *dict)
{
	v->lf = lf;
	v->encoding = encoding;
	v->start = v->p = p;
	v->end = p + n;
	v->bit = 0;
	v->dict = dict;
	v->why = NULL;
	v->prev.len = 0;
	v->prev.limit = 0;
	int w = phys_width(lf);
	switch (encoding) {
	case PQ_ENC_PLAIN: return TARN_OK;
	case PQ_ENC_PLAIN_DICTIONARY:
	case PQ_ENC_RLE_DICTIONARY: {
		if (!dict)
			return fail(v, "dictionary-encoded page without a dictionary page");
		short_dict_init(v, dict);
		if (n < 1) {
			/* A page of only nulls may carry no indices at all. */
			pq_rle_init(&v->rle, p, 0, 0);
			return TARN_OK;
		}
		int bw = p[0];
		if (bw > 32)
			return fail(v, "dictionary index bit width above 32");
		pq_rle_init(&v->rle, p + 1, n - 1, bw);
		return TARN_OK;
	}
	case PQ_ENC_RLE: {
		if (lf->phys != PQ_BOOLEAN)
			return fail(v, "RLE value encoding on a non-boolean column");
		if (n < 4)
			return fail(v, "truncated RLE boolean values");
		uint32_t len = ld32(p);
		if (len > n - 4)
			return fail(v, "RLE boolean length runs past the page");
		pq_rle_init(&v->rle, p + 4, len, 1);
		return TARN_OK;
	}
	case PQ_ENC_DELTA_BINARY_PACKED:
		if (lf->phys != PQ_INT32 && lf->phys != PQ_INT64)
			return fail(v, "DELTA_BINARY_PACKED on a non-integer column");
		TRY(delta_alloc(v, &v->d1));
		if (pq_delta_init(v->d1, p, n))
			return fail(v, v->d1->why);
		return TARN_OK;
	case PQ_ENC_DELTA_LENGTH_BYTE_ARRAY: {
		if (lf->phys != PQ_BYTE_ARRAY)
			return fail(v, "DELTA_LENGTH_BYTE_ARRAY on a non-byte-array column");
		const uint8_t *data;
		const char *why;
		if (pq_delta_end(p, n, &data, &why))
			return fail(v, why);
		TRY(delta_alloc(v, &v->d1));
		if (pq_delta_init(v->d1, p, (size_t)(data - p)))
			return fail(v, v->d1->why);
		v->data = data;
		return TARN_OK;
	}
	case PQ_ENC_DELTA_BYTE_ARRAY: {
		if (lf->phys != PQ_BYTE_ARRAY && lf->phys != PQ_FLBA)
			return fail(v, "DELTA_BYTE_ARRAY on a non-byte-array column");
		const uint8_t *suffixes, *data;
		const char *why;
		if (pq_delta_end(p, n, &suffixes, &why))
			return fail(v, why);
		if (pq_delta_end(suffixes, (size_t)(v->end - suffixes), &data, &why))
			return fail(v, why);
		TRY(delta_alloc(v, &v->d1));
		TRY(delta_alloc(v, &v->d2));
		if (pq_delta_init(v->d1, p, (size_t)(suffixes - p)))
			return fail(v, v->d1->why);
		if (pq_delta_init(v->d2, suffixes, (size_t)(data - suffixes)))
			return fail(v, v->d2->why);
		v->data = data;
		return TARN_OK;
	}
	case PQ_ENC_BYTE_STREAM_SPLIT:
		if (w == 0 || lf->phys == PQ_INT96)
			return fail(v, "BYTE_STREAM_SPLIT on a column without a fixed width");
		if (n % (size_t)w)
			return fail(v, "BYTE_STREAM_SPLIT data is not a whole number of values");
		v->bss_n = (int64_t)(n / (size_t)w);
		v->bss_pos = 0;
		if (!bulk_fixed(lf) && !v->tmp) {
			v->tmp = tarn_malloc((size_t)w);
			if (!v->tmp)
				return fail_rc(v, TARN_ENOMEM, "out of memory");
		}
		return TARN_OK;
	default: return fail(v, "unsupported value encoding");
	}
}

/* ---- reading --------------------------------------------------------------------- */

static tarn_rc read_plain(struct pq_valdec *v, struct tarn_array *dst, int64_t k)
{
	const struct pq_leaf *lf = v->lf;
	if (lf->phys == PQ_BOOLEAN) {
		uint64_t bits_left = (uint64_t)(v->end - v->p) * 8 - (uint64_t)v->bit;
		if ((uint64_t)k > bits_left)
			return fail(v, "PLAIN boolean values run past the page");
		TRY(reserve(v, dst, k));
		int64_t at = dst->length;
		bool keep = lf->conv != PQ_CV_NULL;
		for (int64_t i = 0; i < k; i++) {
			bool b = (v->p[0] >> v->bit) & 1;
			if (keep)
				tarn_bit_set(dst->values, at + i, b);
			if (++v->bit == 8) {
				v->bit = 0;
				v->p++;
			}
		}
		dst->length += k;
		return TARN_OK;
	}
	if (lf->phys == PQ_BYTE_ARRAY) {
		if (lf->conv == PQ_CV_BYTES) {
			/* The hot path: length-prefixed strings into offsets + bytes. */
			TRY(reserve(v, dst, k));
			const uint8_t *p = v->p, *end = v->end;
			for (int64_t i = 0; i < k; i++) {
				if (UNLIKELY(end - p < 4))
					return fail(v, "PLAIN byte array runs past the page");
				uint32_t len = ld32(p);
				p += 4;
				if (UNLIKELY(len > (size_t)(end - p)))
					return fail(v, "PLAIN byte array length runs past the page");
				if (UNLIKELY(dst->values_len + len > dst->values_cap)) {
					tarn_rc rc = tarn_array_reserve_bytes(dst, (int64_t)len);
					if (rc)
						return app(v, rc);
				}
				if (len)
					memcpy(dst->values + dst->values_len, p, len);
				dst->values_len += len;
				p += len;
				dst->offsets[dst->length + 1] = (int32_t)dst->values_len;
				dst->length++;
			}
			v->p = p;
			return TARN_OK;
		}
		for (int64_t i = 0; i < k; i++) {
			if (v->end - v->p < 4)
				return fail(v, "PLAIN byte array runs past the page");
			uint32_t len = ld32(v->p);
			v->p += 4;
			if (len > (size_t)(v->end - v->p))
				return fail(v, "PLAIN byte array length runs past the page");
			TRY(put_bin(v, dst, v->p, len));
			v->p += len;
		}
		return TARN_OK;
	}
	int w = phys_width(lf);
	if ((uint64_t)k * (uint64_t)w > (uint64_t)(v->end - v->p))
		return fail(v, "PLAIN values run past the page");
	if (bulk_fixed(lf)) {
		TRY(reserve(v, dst, k));
		TRY(put_fixed(v, dst, v->p, k));
	} else {
		for (int64_t i = 0; i < k; i++)
			TRY(put_bin(v, dst, v->p + (size_t)i * (size_t)w, (size_t)w));
	}
	v->p += (size_t)k * (size_t)w;
	return TARN_OK;
}

static tarn_rc read_dict(struct pq_valdec *v, struct tarn_array *dst, int64_t k)
{
	const struct tarn_array *d = v->dict;
	const uint32_t n = (uint32_t)d->length;
	enum tarn_type_id id = dst->type->id;
	int w = tarn_type_width(id);
	TRY(reserve(v, dst, k));
	while (k > 0) {
		int64_t m = k < PQ_CHUNK ? k : PQ_CHUNK;
		int64_t got = pq_rle_get_u32(&v->rle, v->idx, m);
		if (got < m)
			return fail(v, v->rle.bad ? "corrupt dictionary indices"
						  : "fewer dictionary indices than values");
		const uint32_t *ix = v->idx;
		uint32_t bad = 0;
		/* Fixed widths and short strings check each index as they read
		 * it (an index out of range reads entry 0, then fails); the
		 * rest check them all first. */
		bool fused = ((id == TARN_T_STRING || id == TARN_T_BINARY) && v->short_dict) ||
			     (id != TARN_T_STRING && id != TARN_T_BINARY && id != TARN_T_BOOL &&
			      id != TARN_T_NULL && (w == 1 || w == 2 || w == 4 || w == 8));
		if (n == 0) /* no entry 0 to stand in for a bad index either */
			return fail(v, "dictionary index out of range");
		for (int64_t i = 0; !fused && i < m; i++)
			bad |= ix[i] >= n;
		if (bad)
			return fail(v, "dictionary index out of range");
#define IX(i) (ix[i] < n ? ix[i] : (bad = 1, 0u))
		int64_t at = dst->length;
		if ((id == TARN_T_STRING || id == TARN_T_BINARY) && v->short_dict) {
			/* at most 16 bytes each: two fixed stores per value, into
			 * 16 bytes of slack past the end */
			tarn_rc rc = tarn_array_reserve_bytes(dst, m * 16 + 16);
			if (rc)
				return app(v, rc);
			uint8_t *out = dst->values;
			int64_t len = dst->values_len;
			int32_t *off = dst->offsets;
			for (int64_t i = 0; i < m; i++) {
				uint32_t x = IX(i);
				memcpy(out + len, v->short_val[x], 16);
				len += v->short_len[x];
				off[at + i + 1] = (int32_t)len;
			}
			dst->values_len = len;
		} else if (id == TARN_T_STRING || id == TARN_T_BINARY) {
			int64_t total = 0;
			for (int64_t i = 0; i < m; i++)
				total += d->offsets[ix[i] + 1] - d->offsets[ix[i]];
			tarn_rc rc = tarn_array_reserve_bytes(dst, total);
			if (rc)
				return app(v, rc);
			uint8_t *out = dst->values;
			int64_t len = dst->values_len;
			int32_t *off = dst->offsets;
			for (int64_t i = 0; i < m; i++) {
				int32_t s = d->offsets[ix[i]], e = d->offsets[ix[i] + 1];
				if (e > s)
					memcpy(out + len, d->values + s, (size_t)(e - s));
				len += e - s;
				off[at + i + 1] = (int32_t)len;
			}
			dst->values_len = len;
		} else if (id == TARN_T_BOOL) {
			for (int64_t i = 0; i < m; i++)
				tarn_bit_set(dst->values, at + i, tarn_bit_get(d->values, ix[i]));
		} else if (id == TARN_T_NULL) {
			/* nothing stored */
		} else {
			uint8_t *o = dst->values;
			const uint8_t *s = d->values;
			switch (w) {
			case 1:
				for (int64_t i = 0; i < m; i++)
					o[at + i] = s[IX(i)];
				break;
			case 2:
				for (int64_t i = 0; i < m; i++)
					((uint16_t *)o)[at + i] = ((const uint16_t *)s)[IX(i)];
				break;
			case 4:
				for (int64_t i = 0; i < m; i++)
					((uint32_t *)o)[at + i] = ((const uint32_t *)s)[IX(i)];
				break;
			case 8:
				for (int64_t i = 0; i < m; i++)
					((uint64_t *)o)[at + i] = ((const uint64_t *)s)[IX(i)];
				break;
			default:
				for (int64_t i = 0; i < m; i++)
					memcpy(o + (at + i) * w, s + (size_t)ix[i] * (size_t)w,
					       (size_t)w);
				break;
			}
		}
#undef IX
		if (bad)
			return fail(v, "dictionary index out of range");
		dst->length += m;
		k -= m;
	}
	return TARN_OK;
}

static tarn_rc read_rle_bool(struct pq_valdec *v, struct tarn_array *dst, int64_t k)
{
	TRY(reserve(v, dst, k));
	uint8_t *tmp = v->stage;
	while (k > 0) {
		int64_t m = k < PQ_CHUNK ? k : PQ_CHUNK;
		if (pq_rle_get_u8(&v->rle, tmp, m) < m)
			return fail(v, "fewer RLE booleans than values");
		int64_t at = dst->length;
		if (v->lf->conv != PQ_CV_NULL)
			for (int64_t i = 0; i < m; i++)
				tarn_bit_set(dst->values, at + i, tmp[i] != 0);
		dst->length += m;
		k -= m;
	}
	return TARN_OK;
}

static tarn_rc read_delta_int(struct pq_valdec *v, struct tarn_array *dst, int64_t k)
{
	TRY(reserve(v, dst, k));
	bool i32 = v->lf->phys == PQ_INT32;
	while (k > 0) {
		int64_t m = k < PQ_CHUNK ? k : PQ_CHUNK, got;
		if (pq_delta_get(v->d1, v->u64, m, &got))
			return fail(v, v->d1->why);
		if (got < m)
			return fail(v, "fewer DELTA_BINARY_PACKED values than the page holds");
		if (i32) {
			for (int64_t i = 0; i < m; i++) {
				uint32_t x = (uint32_t)v->u64[i];
				memcpy(v->stage + 4 * i, &x, 4);
			}
			TRY(put_fixed(v, dst, v->stage, m));
		} else {
			TRY(put_fixed(v, dst, (const uint8_t *)v->u64, m));
		}
		k -= m;
	}
	return TARN_OK;
}

static tarn_rc read_delta_length(struct pq_valdec *v, struct tarn_array *dst, int64_t k)
{
	while (k > 0) {
		int64_t m = k < PQ_CHUNK ? k : PQ_CHUNK, got;
		if (pq_delta_get(v->d1, v->u64, m, &got))
			return fail(v, v->d1->why);
		if (got < m)
			return fail(v, "fewer DELTA_LENGTH_BYTE_ARRAY lengths than values");
		for (int64_t i = 0; i < m; i++) {
			uint64_t len = v->u64[i];
			if (len > (uint64_t)(v->end - v->data))
				return fail(v, "DELTA_LENGTH_BYTE_ARRAY value runs past the page");
			TRY(put_bin(v, dst, v->data, (size_t)len));
			v->data += len;
		}
		k -= m;
	}
	return TARN_OK;
}

static tarn_rc read_delta_bytes(struct pq_valdec *v, struct tarn_array *dst, int64_t k)
{
	while (k > 0) {
		int64_t m = k < PQ_CHUNK ? k : PQ_CHUNK, got1, got2;
		if (pq_delta_get(v->d1, v->u64, m, &got1))
			return fail(v, v->d1->why);
		if (pq_delta_get(v->d2, v->u64b, m, &got2))
			return fail(v, v->d2->why);
		if (got1 < m || got2 < m)
			return fail(v, "fewer DELTA_BYTE_ARRAY prefixes or suffixes than values");
		for (int64_t i = 0; i < m; i++) {
			uint64_t pre = v->u64[i], suf = v->u64b[i];
			if (pre > v->prev.len)
				return fail(v, "DELTA_BYTE_ARRAY prefix longer than the previous "
					       "value");
			if (suf > (uint64_t)(v->end - v->data))
				return fail(v, "DELTA_BYTE_ARRAY suffix runs past the page");
			v->prev.len = (size_t)pre;
			tarn_rc rc = tarn_buf_append(&v->prev, v->data, (size_t)suf);
			if (rc)
				return fail_rc(v, rc, rc == TARN_ENOMEM ? "out of memory"
								       : "DELTA_BYTE_ARRAY value too large");
			v->data += suf;
			TRY(put_bin(v, dst, (const uint8_t *)(v->prev.data ? v->prev.data : ""),
				    v->prev.len));
		}
		k -= m;
	}
	return TARN_OK;
}

static tarn_rc read_bss(struct pq_valdec *v, struct tarn_array *dst, int64_t k)
{
	const struct pq_leaf *lf = v->lf;
	int w = phys_width(lf);
	if (k > v->bss_n - v->bss_pos)
		return fail(v, "fewer BYTE_STREAM_SPLIT values than the page holds");
	const uint8_t *base = v->start;
	int64_t n = v->bss_n;
	if (bulk_fixed(lf)) {
		TRY(reserve(v, dst, k));
		while (k > 0) {
			int64_t m = k < PQ_CHUNK ? k : PQ_CHUNK;
			int64_t pos = v->bss_pos;
			for (int j = 0; j < w; j++) {
				const uint8_t *s = base + (int64_t)j * n + pos;
				for (int64_t i = 0; i < m; i++)
					v->stage[i * w + j] = s[i];
			}
			TRY(put_fixed(v, dst, v->stage, m));
			v->bss_pos += m;
			k -= m;
		}
		return TARN_OK;
	}
	for (int64_t i = 0; i < k; i++) {
		int64_t pos = v->bss_pos++;
		for (int j = 0; j < w; j++)
			v->tmp[j] = base[(int64_t)j * n + pos];
		TRY(put_bin(v, dst, v->tmp, (size_t)w));
	}
	return TARN_OK;
}

tarn_rc pq_valdec_read(struct pq_valdec *v, struct tarn_array *dst, int64_t k)
{
	if (k <= 0)
		return TARN_OK;
	switch (v->encoding) {
	case PQ_ENC_PLAIN: return read_plain(v, dst, k);
	case PQ_ENC_PLAIN_DICTIONARY:
	case PQ_ENC_RLE_DICTIONARY: return read_dict(v, dst, k);
	case PQ_ENC_RLE: return read_rle_bool(v, dst, k);
	case PQ_ENC_DELTA_BINARY_PACKED: return read_delta_int(v, dst, k);
	case PQ_ENC_DELTA_LENGTH_BYTE_ARRAY: return read_delta_length(v, dst, k);
	case PQ_ENC_DELTA_BYTE_ARRAY: return read_delta_bytes(v, dst, k);
	case PQ_ENC_BYTE_STREAM_SPLIT: return read_bss(v, dst, k);
	default: return fail(v, "unsupported value encoding");
	}
}

tarn_rc pq_dict_decode(const struct pq_leaf *lf, const uint8_t *p, size_t n, int64_t count,
		       struct tarn_array **out, const char **why)
{
	*out = NULL;
	*why = NULL;
	if (count < 0) {
		*why = "negative dictionary size";
		return TARN_EDATA;
	}
	int w = phys_width(lf);
	uint64_t min_bytes = lf->phys == PQ_BOOLEAN	 ? ((uint64_t)count + 7) / 8
			     : lf->phys == PQ_BYTE_ARRAY ? (uint64_t)count * 4
							 : (uint64_t)count * (uint64_t)w;
	if (min_bytes > n) {
		*why = "dictionary page holds fewer values than its header says";
		return TARN_EDATA;
	}
	struct tarn_array *a;
	tarn_rc rc = tarn_array_new(lf->type, 0, &a);
	if (rc) {
		*why = "out of memory";
		return rc;
	}
	struct pq_valdec *v = tarn_calloc(1, sizeof *v);
	if (!v) {
		tarn_array_free(a);
		*why = "out of memory";
		return TARN_ENOMEM;
	}
	tarn_buf_init(&v->prev);
	rc = pq_valdec_init(v, lf, PQ_ENC_PLAIN, p, n, NULL);
	if (rc == TARN_OK)
		rc = pq_valdec_read(v, a, count);
	*why = v->why;
	pq_valdec_free(v);
	tarn_free(v);
	if (rc) {
		tarn_array_free(a);
		return rc;
	}
	*out = a;
	return TARN_OK;
}

/* ---- DELTA_BINARY_PACKED encoding ---------------------------------------------------------
 * Blocks of 128 values in 4 miniblocks of 32 (the layout parquet-mr and Arrow
 * write). Deltas wrap in the physical width: INT32 columns compute them in
 * 32 bits, so readers that decode INT32 in 32-bit arithmetic get the same
 * values as 64-bit ones. */

#define DELTA_BLOCK 128
#define DELTA_MINIS 4
#define DELTA_MINI (DELTA_BLOCK / DELTA_MINIS)

static tarn_rc put_uleb64(struct tarn_buf *out, uint64_t v)
{
	uint8_t tmp[10];
	size_t n = 0;
	while (v >= 0x80) {
		tmp[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	tmp[n++] = (uint8_t)v;
	return tarn_buf_append(out, tmp, n);
}

static tarn_rc put_zigzag64(struct tarn_buf *out, int64_t v)
{
	return put_uleb64(out, ((uint64_t)v << 1) ^ (v < 0 ? ~(uint64_t)0 : 0));
}

tarn_rc pq_delta_encode(struct tarn_buf *out, const int64_t *v, int64_t n, bool i32)
{
	TRY(put_uleb64(out, DELTA_BLOCK));
	TRY(put_uleb64(out, DELTA_MINIS));
	TRY(put_uleb64(out, (uint64_t)n));
	TRY(put_zigzag64(out, n ? (i32 ? (int32_t)v[0] : v[0]) : 0));
	uint64_t d[DELTA_BLOCK];
	for (int64_t at = 1; at < n; at += DELTA_BLOCK) {
		int64_t m = n - at < DELTA_BLOCK ? n - at : DELTA_BLOCK;
		int64_t min = INT64_MAX;
		for (int64_t k = 0; k < m; k++) {
			int64_t x;
			if (i32)
				x = (int32_t)((uint32_t)v[at + k] - (uint32_t)v[at + k - 1]);
			else
				x = (int64_t)((uint64_t)v[at + k] - (uint64_t)v[at + k - 1]);
			d[k] = (uint64_t)x;
			min = x < min ? x : min;
		}
		TRY(put_zigzag64(out, min));
		uint8_t widths[DELTA_MINIS] = { 0 };
		int used = (int)((m + DELTA_MINI - 1) / DELTA_MINI);
		for (int64_t k = 0; k < DELTA_BLOCK; k++) {
			/* relative to the minimum, in the physical width */
			uint64_t r = k < m ? d[k] - (uint64_t)min : 0;
			if (i32)
				r &= 0xffffffffu;
			d[k] = r;
			int b = pq_bit_width(r);
			if (b > widths[k / DELTA_MINI])
				widths[k / DELTA_MINI] = (uint8_t)b;
		}
		TRY(tarn_buf_append(out, widths, DELTA_MINIS));
		for (int mb = 0; mb < used; mb++) {
			int w = widths[mb];
			size_t bytes = (size_t)DELTA_MINI * (size_t)w / 8;
			TRY(tarn_buf_reserve(out, bytes + 8));
			uint8_t *o = (uint8_t *)out->data + out->len;
			memset(o, 0, bytes + 8);
			unsigned __int128 acc = 0;
			int nbits = 0;
			size_t pos = 0;
			for (int k = 0; k < DELTA_MINI; k++) {
				acc |= (unsigned __int128)d[mb * DELTA_MINI + k] << nbits;
				nbits += w;
				while (nbits >= 8) {
					o[pos++] = (uint8_t)acc;
					acc >>= 8;
					nbits -= 8;
				}
			}
			out->len += bytes;
		}
	}
	return TARN_OK;
}
