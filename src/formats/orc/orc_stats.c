/*
 * orc_stats.c — column statistics (ORCv1.md, "Column Statistics"): the
 * writer's accumulators and their ColumnStatistics encoding, and the
 * reader's test of whether statistics admit a value in [lo, hi] (stripe
 * and row-group pruning).
 *
 * Pruning is conservative: false only when the statistics prove the column
 * has no non-null value in the range; absent, unordered or untrusted
 * statistics keep the stripe or row group. Which statistics are trusted:
 * integers, dates, doubles (not NaN), booleans (true count), strings when
 * the writer compared UTF-8 bytes (writer version >= 1), decimals (parsed
 * at the column's scale; not Decimal64 files before ORC-517), and
 * timestamps in milliseconds, widened by a day and a bit for TIMESTAMP
 * columns because tarn reads them as the writer's wall clock while the
 * statistics are UTC.
 *
 * Relies on columnar/text.h for decimal text. Thread-safety: pure
 * functions; an accumulator belongs to one writer.
 */
#include <math.h>
#include <string.h>

#include "base/err.h"
#include "columnar/text.h"
#include "formats/orc/orc_int.h"

#define STRING_STAT_MAX 1024 /* longer minimums become lower bounds (ORC-203) */
#define TS_WIDEN_MS ((int64_t)26 * 3600 * 1000)

/* ---- accumulators (writer) ------------------------------------------------------------ */

void orc_stats_acc_init(struct orc_stats_acc *a, int kind, int scale)
{
	memset(a, 0, sizeof *a);
	a->kind = kind;
	a->scale = scale;
	a->sum_ok = true;
	tarn_buf_init(&a->smin);
	tarn_buf_init(&a->smax);
}

void orc_stats_acc_free(struct orc_stats_acc *a)
{
	tarn_buf_free(&a->smin);
	tarn_buf_free(&a->smax);
}

void orc_stats_acc_reset(struct orc_stats_acc *a)
{
	struct tarn_buf mn = a->smin, mx = a->smax;
	int kind = a->kind, scale = a->scale;
	memset(a, 0, sizeof *a);
	a->kind = kind;
	a->scale = scale;
	a->sum_ok = true;
	a->smin = mn;
	a->smax = mx;
	a->smin.len = a->smax.len = 0;
}

static int bytes_cmp(const void *a, size_t an, const void *b, size_t bn)
{
	size_t m = an < bn ? an : bn;
	int c = m ? memcmp(a, b, m) : 0;
	if (c)
		return c < 0 ? -1 : 1;
	return (an > bn) - (an < bn);
}

tarn_rc orc_stats_acc_string(struct orc_stats_acc *a, const uint8_t *p, size_t n)
{
	if (!a->any) {
		a->any = true;
		a->smin.len = a->smax.len = 0;
		TRY(tarn_buf_append(&a->smin, p, n));
		return tarn_buf_append(&a->smax, p, n);
	}
	if (bytes_cmp(p, n, a->smin.data, a->smin.len) < 0) {
		a->smin.len = 0;
		TRY(tarn_buf_append(&a->smin, p, n));
	}
	if (bytes_cmp(p, n, a->smax.data, a->smax.len) > 0) {
		a->smax.len = 0;
		TRY(tarn_buf_append(&a->smax, p, n));
	}
	return TARN_OK;
}

static bool is_intlike(int kind)
{
	return kind == ORC_BYTE || kind == ORC_SHORT || kind == ORC_INT || kind == ORC_LONG ||
	       kind == ORC_DATE || kind == ORC_TIMESTAMP || kind == ORC_TIMESTAMP_INSTANT;
}

tarn_rc orc_stats_acc_merge(struct orc_stats_acc *a, const struct orc_stats_acc *b)
{
	a->values += b->values;
	a->has_null |= b->has_null;
	a->bytes += b->bytes;
	a->trues += b->trues;
	a->nan |= b->nan;
	a->sum_ok &= b->sum_ok;
	if (a->sum_ok) {
		if (is_intlike(a->kind)) {
			__int128 s = a->isum + b->isum;
			if (s > INT64_MAX || s < INT64_MIN)
				a->sum_ok = false;
			a->isum = s;
		} else if (a->kind == ORC_DECIMAL) {
			__int128 s;
			if (__builtin_add_overflow(a->isum, b->isum, &s))
				a->sum_ok = false;
			else
				a->isum = s;
		}
	}
	a->dsum += b->dsum;
	if (a->kind == ORC_LIST || a->kind == ORC_MAP) {
		if (b->values) {
			if (!a->any || b->cmin < a->cmin)
				a->cmin = b->cmin;
			if (!a->any || b->cmax > a->cmax)
				a->cmax = b->cmax;
			a->any = true;
		}
		a->ctotal += b->ctotal;
		return TARN_OK;
	}
	if (!b->any)
		return TARN_OK;
	switch (a->kind) {
	case ORC_STRING:
	case ORC_VARCHAR:
	case ORC_CHAR:
		if (!a->any) {
			a->any = true;
			a->smin.len = a->smax.len = 0;
			TRY(tarn_buf_append(&a->smin, b->smin.data, b->smin.len));
			return tarn_buf_append(&a->smax, b->smax.data, b->smax.len);
		}
		if (bytes_cmp(b->smin.data, b->smin.len, a->smin.data, a->smin.len) < 0) {
			a->smin.len = 0;
			TRY(tarn_buf_append(&a->smin, b->smin.data, b->smin.len));
		}
		if (bytes_cmp(b->smax.data, b->smax.len, a->smax.data, a->smax.len) > 0) {
			a->smax.len = 0;
			TRY(tarn_buf_append(&a->smax, b->smax.data, b->smax.len));
		}
		return TARN_OK;
	case ORC_FLOAT:
	case ORC_DOUBLE:
		if (!a->any || b->dmin < a->dmin)
			a->dmin = b->dmin;
		if (!a->any || b->dmax > a->dmax)
			a->dmax = b->dmax;
		break;
	case ORC_DECIMAL: {
		/* decimal min/max kept in imin/imax's 128-bit twins */
		if (!a->any || b->dec_min < a->dec_min)
			a->dec_min = b->dec_min;
		if (!a->any || b->dec_max > a->dec_max)
			a->dec_max = b->dec_max;
		break;
	}
	default:
		if (!a->any || b->imin < a->imin)
			a->imin = b->imin;
		if (!a->any || b->imax > a->imax)
			a->imax = b->imax;
		break;
	}
	a->any = true;
	return TARN_OK;
}

/* Floor division for milliseconds from nanoseconds. */
static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return q - ((a % b != 0) && ((a < 0) != (b < 0)));
}

/* The longest prefix of p[0..n) of at most max bytes that ends on a
 * UTF-8 character boundary. */
static size_t utf8_prefix(const uint8_t *p, size_t n, size_t max)
{
	if (n <= max)
		return n;
	size_t k = max;
	while (k > 0 && (p[k] & 0xc0) == 0x80)
		k--;
	return k;
}

void orc_stats_acc_encode(struct orc_pb_out *o, uint32_t field, const struct orc_stats_acc *a)
{
	size_t m = orc_pb_begin(o, field);
	orc_pb_put_uint(o, 1, a->values);
	switch (a->kind) {
	case ORC_BYTE:
	case ORC_SHORT:
	case ORC_INT:
	case ORC_LONG: {
		size_t s = orc_pb_begin(o, 2);
		if (a->any) {
			orc_pb_put_sint(o, 1, a->imin);
			orc_pb_put_sint(o, 2, a->imax);
		}
		if (a->sum_ok)
			orc_pb_put_sint(o, 3, (int64_t)a->isum);
		orc_pb_end(o, s);
		break;
	}
	case ORC_FLOAT:
	case ORC_DOUBLE: {
		size_t s = orc_pb_begin(o, 3);
		if (a->any && !a->nan) {
			orc_pb_put_double(o, 1, a->dmin);
			orc_pb_put_double(o, 2, a->dmax);
		}
		if (isfinite(a->dsum))
			orc_pb_put_double(o, 3, a->dsum);
		orc_pb_end(o, s);
		break;
	}
	case ORC_STRING:
	case ORC_VARCHAR:
	case ORC_CHAR: {
		size_t s = orc_pb_begin(o, 4);
		if (a->any) {
			const uint8_t *mn = (const uint8_t *)a->smin.data, *mx = (const uint8_t *)a->smax.data;
			if (a->smin.len <= STRING_STAT_MAX)
				orc_pb_put_bytes(o, 1, mn, a->smin.len);
			else
				orc_pb_put_bytes(o, 4, mn, utf8_prefix(mn, a->smin.len, STRING_STAT_MAX));
			if (a->smax.len <= STRING_STAT_MAX)
				orc_pb_put_bytes(o, 2, mx, a->smax.len);
		}
		orc_pb_put_sint(o, 3, a->bytes);
		orc_pb_end(o, s);
		break;
	}
	case ORC_BOOLEAN: {
		size_t s = orc_pb_begin(o, 5);
		size_t c = orc_pb_begin(o, 1);
		orc_pb_put_varint(o, a->trues);
		orc_pb_end(o, c);
		orc_pb_end(o, s);
		break;
	}
	case ORC_DECIMAL: {
		size_t s = orc_pb_begin(o, 6);
		char buf[TARN_FMT_MAX];
		if (a->any) {
			size_t n = tarn_fmt_decimal(buf, a->dec_min, a->scale);
			orc_pb_put_bytes(o, 1, buf, n);
			n = tarn_fmt_decimal(buf, a->dec_max, a->scale);
			orc_pb_put_bytes(o, 2, buf, n);
		}
		static const __int128 lim =
			(__int128)10000000000000000000ULL * (__int128)10000000000000000000ULL;
		if (a->sum_ok && a->isum < lim && a->isum > -lim) {
			size_t n = tarn_fmt_decimal(buf, a->isum, a->scale);
			orc_pb_put_bytes(o, 3, buf, n);
		}
		orc_pb_end(o, s);
		break;
	}
	case ORC_DATE: {
		size_t s = orc_pb_begin(o, 7);
		if (a->any) {
			orc_pb_put_sint(o, 1, a->imin);
			orc_pb_put_sint(o, 2, a->imax);
		}
		orc_pb_end(o, s);
		break;
	}
	case ORC_BINARY: {
		size_t s = orc_pb_begin(o, 8);
		orc_pb_put_sint(o, 1, a->bytes);
		orc_pb_end(o, s);
		break;
	}
	case ORC_TIMESTAMP:
	case ORC_TIMESTAMP_INSTANT: {
		/* imin/imax in nanoseconds; the statistics are milliseconds
		 * (the writer's zone is UTC, so local and UTC agree) */
		size_t s = orc_pb_begin(o, 9);
		if (a->any) {
			int64_t mn = floor_div(a->imin, 1000000), mx = floor_div(a->imax, 1000000);
			orc_pb_put_sint(o, 1, mn);
			orc_pb_put_sint(o, 2, mx);
			orc_pb_put_sint(o, 3, mn);
			orc_pb_put_sint(o, 4, mx);
		}
		orc_pb_end(o, s);
		break;
	}
	case ORC_LIST:
	case ORC_MAP: {
		size_t s = orc_pb_begin(o, 12);
		if (a->any) {
			orc_pb_put_uint(o, 1, a->cmin);
			orc_pb_put_uint(o, 2, a->cmax);
		}
		orc_pb_put_uint(o, 3, a->ctotal);
		orc_pb_end(o, s);
		break;
	}
	default: break;
	}
	orc_pb_put_uint(o, 10, a->has_null ? 1 : 0);
	orc_pb_end(o, m);
}

/* ---- pruning (reader) ------------------------------------------------------------------ */

static int64_t bound_int(const struct orc_bound *b, int tarn_id)
{
	switch (tarn_id) {
	case TARN_T_INT8: { int8_t v; memcpy(&v, b->p, 1); return v; }
	case TARN_T_INT16: { int16_t v; memcpy(&v, b->p, 2); return v; }
	case TARN_T_INT32:
	case TARN_T_DATE32: { int32_t v; memcpy(&v, b->p, 4); return v; }
	default: { int64_t v; memcpy(&v, b->p, 8); return v; }
	}
}

static bool overlap_i(int64_t mn, int64_t mx, const struct orc_bound *lo,
		      const struct orc_bound *hi, int id)
{
	if (hi && hi->p && bound_int(hi, id) < mn)
		return false;
	if (lo && lo->p && bound_int(lo, id) > mx)
		return false;
	return true;
}

/* Milliseconds (floor) of a timestamp in unit; saturating. */
static int64_t to_ms(int64_t v, int unit)
{
	switch (unit) {
	case TARN_UNIT_NS: return floor_div(v, 1000000);
	case TARN_UNIT_US: return floor_div(v, 1000);
	case TARN_UNIT_MS: return v;
	default: {
		int64_t r;
		if (__builtin_mul_overflow(v, (int64_t)1000, &r))
			return v < 0 ? INT64_MIN / 2 : INT64_MAX / 2;
		return r;
	}
	}
}

static bool parse_dec(const uint8_t *p, size_t n, int scale, __int128 *out)
{
	return p && n && tarn_parse_decimal((const char *)p, n, 38, scale, out);
}

bool orc_stats_may_match(const struct orc_prune_col *c, const struct orc_stats *s,
			 const struct orc_bound *lo, const struct orc_bound *hi)
{
	if (s->has_values && s->values == 0)
		return false; /* only nulls (or no rows): nulls never match */
	switch (c->tarn_id) {
	case TARN_T_INT8:
	case TARN_T_INT16:
	case TARN_T_INT32:
	case TARN_T_INT64:
		if (!s->has_int || !s->has_imin || !s->has_imax)
			return true;
		return overlap_i(s->imin, s->imax, lo, hi, c->tarn_id);
	case TARN_T_DATE32:
		if (!s->has_date || !s->has_date_min || !s->has_date_max)
			return true;
		return overlap_i(s->date_min, s->date_max, lo, hi, c->tarn_id);
	case TARN_T_FLOAT32:
	case TARN_T_FLOAT64: {
		if (!s->has_double || !s->has_dmin || !s->has_dmax || isnan(s->dmin) ||
		    isnan(s->dmax))
			return true;
		double l = 0, h = 0;
		bool hl = lo && lo->p, hh = hi && hi->p;
		if (c->tarn_id == TARN_T_FLOAT32) {
			float f;
			if (hl) { memcpy(&f, lo->p, 4); l = f; }
			if (hh) { memcpy(&f, hi->p, 4); h = f; }
		} else {
			if (hl) memcpy(&l, lo->p, 8);
			if (hh) memcpy(&h, hi->p, 8);
		}
		if ((hl && isnan(l)) || (hh && isnan(h)))
			return true;
		if (hh && h < s->dmin)
			return false;
		if (hl && l > s->dmax)
			return false;
		return true;
	}
	case TARN_T_BOOL: {
		if (!s->has_bucket || !s->has_true_count || !s->has_values)
			return true;
		int mn = s->true_count == s->values ? 1 : 0, mx = s->true_count > 0 ? 1 : 0;
		if (hi && hi->p && (*(const uint8_t *)hi->p ? 1 : 0) < mn)
			return false;
		if (lo && lo->p && (*(const uint8_t *)lo->p ? 1 : 0) > mx)
			return false;
		return true;
	}
	case TARN_T_STRING: {
		if (!c->strings_ok || !s->has_string)
			return true;
		const uint8_t *mn = s->has_smin ? s->smin : s->has_slower ? s->slower : NULL;
		size_t mnn = s->has_smin ? s->smin_len : s->slower_len;
		const uint8_t *mx = s->has_smax ? s->smax : s->has_supper ? s->supper : NULL;
		size_t mxn = s->has_smax ? s->smax_len : s->supper_len;
		if (mn && hi && hi->p && bytes_cmp(hi->p, hi->n, mn, mnn) < 0)
			return false;
		if (mx && lo && lo->p && bytes_cmp(lo->p, lo->n, mx, mxn) > 0)
			return false;
		return true;
	}
	case TARN_T_DECIMAL128: {
		if (!c->decimal_ok || !s->has_decimal)
			return true;
		__int128 mn, mx, b;
		if (hi && hi->p && parse_dec(s->decmin, s->decmin_len, c->scale, &mn)) {
			memcpy(&b, hi->p, 16);
			if (b < mn)
				return false;
		}
		if (lo && lo->p && parse_dec(s->decmax, s->decmax_len, c->scale, &mx)) {
			memcpy(&b, lo->p, 16);
			if (b > mx)
				return false;
		}
		return true;
	}
	case TARN_T_TIMESTAMP: {
		if (!s->has_timestamp)
			return true;
		bool utc = s->has_ts_min_utc && s->has_ts_max_utc;
		if (!utc && !(s->has_ts_min && s->has_ts_max))
			return true;
		int64_t mn = utc ? s->ts_min_utc : s->ts_min, mx = utc ? s->ts_max_utc : s->ts_max;
		int64_t widen = (c->local_ts || !utc) ? TS_WIDEN_MS : 0;
		int64_t v;
		if (hi && hi->p) {
			memcpy(&v, hi->p, 8);
			if (to_ms(v, c->unit) < mn - widen)
				return false;
		}
		if (lo && lo->p) {
			memcpy(&v, lo->p, 8);
			if (to_ms(v, c->unit) > mx + widen)
				return false;
		}
		return true;
	}
	default: return true;
	}
}
