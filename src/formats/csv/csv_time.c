/*
 * csv_time.c — date and timestamp layouts seen in CSV files beyond ISO 8601
 * (which columnar/text.c owns): %Y/%m/%d, %m/%d/%Y, %d/%m/%Y, %d.%m.%Y,
 * %m-%d-%Y, %d-%m-%Y, with 1- or 2-digit months and days and 4-digit years,
 * and times of day with 1- or 2-digit hours, optional seconds and fraction,
 * optional AM/PM, and an optional zone offset.
 *
 * Relies on text.h for the calendar (tarn_days_from_civil). Pure functions,
 * thread-safe.
 */
#include <string.h>

#include "columnar/text.h"
#include "formats/csv/csv_int.h"

static const int64_t pow10_tab[10] = { 1,	  10,	    100,       1000,	  10000,
				       100000, 1000000, 10000000, 100000000, 1000000000 };

static inline bool dig(char c)
{
	return c >= '0' && c <= '9';
}

static bool leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned month_days(int64_t y, unsigned m)
{
	static const unsigned char dim[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	return m == 2 && leap(y) ? 29 : dim[m - 1];
}

/* 1 or 2 digits at p[*i]; advances *i. */
static bool num12(const char *p, size_t n, size_t *i, unsigned *out)
{
	if (*i >= n || !dig(p[*i]))
		return false;
	unsigned v = (unsigned)(p[(*i)++] - '0');
	if (*i < n && dig(p[*i]))
		v = v * 10 + (unsigned)(p[(*i)++] - '0');
	*out = v;
	return true;
}

static bool num4(const char *p, size_t n, size_t *i, unsigned *out)
{
	if (*i + 4 > n)
		return false;
	unsigned v = 0;
	for (int k = 0; k < 4; k++) {
		if (!dig(p[*i + (size_t)k]))
			return false;
		v = v * 10 + (unsigned)(p[*i + (size_t)k] - '0');
	}
	if (*i + 4 < n && dig(p[*i + 4]))
		return false;
	*i += 4;
	*out = v;
	return true;
}

static bool sep(const char *p, size_t n, size_t *i, char c)
{
	if (*i >= n || p[*i] != c)
		return false;
	(*i)++;
	return true;
}

/* Parses the date at the start of p in `layout`; returns bytes used or 0. */
static size_t date_prefix(const char *p, size_t n, int layout, int64_t *days)
{
	unsigned y = 0, m = 0, d = 0;
	size_t i = 0;
	bool ok;
	switch (layout) {
	case CSV_DATE_ISO:
		ok = num4(p, n, &i, &y) && sep(p, n, &i, '-') && num12(p, n, &i, &m) &&
		     sep(p, n, &i, '-') && num12(p, n, &i, &d);
		break;
	case CSV_DATE_YMD_SLASH:
		ok = num4(p, n, &i, &y) && sep(p, n, &i, '/') && num12(p, n, &i, &m) &&
		     sep(p, n, &i, '/') && num12(p, n, &i, &d);
		break;
	case CSV_DATE_MDY_SLASH:
		ok = num12(p, n, &i, &m) && sep(p, n, &i, '/') && num12(p, n, &i, &d) &&
		     sep(p, n, &i, '/') && num4(p, n, &i, &y);
		break;
	case CSV_DATE_DMY_SLASH:
		ok = num12(p, n, &i, &d) && sep(p, n, &i, '/') && num12(p, n, &i, &m) &&
		     sep(p, n, &i, '/') && num4(p, n, &i, &y);
		break;
	case CSV_DATE_DMY_DOT:
		ok = num12(p, n, &i, &d) && sep(p, n, &i, '.') && num12(p, n, &i, &m) &&
		     sep(p, n, &i, '.') && num4(p, n, &i, &y);
		break;
	case CSV_DATE_MDY_DASH:
		ok = num12(p, n, &i, &m) && sep(p, n, &i, '-') && num12(p, n, &i, &d) &&
		     sep(p, n, &i, '-') && num4(p, n, &i, &y);
		break;
	case CSV_DATE_DMY_DASH:
		ok = num12(p, n, &i, &d) && sep(p, n, &i, '-') && num12(p, n, &i, &m) &&
		     sep(p, n, &i, '-') && num4(p, n, &i, &y);
		break;
	default: return 0;
	}
	if (!ok || m < 1 || m > 12 || d < 1 || d > month_days(y, m))
		return 0;
	*days = tarn_days_from_civil(y, m, d);
	return i;
}

bool csv_parse_date_layout(const char *p, size_t n, int layout, int32_t *out)
{
	int64_t days;
	if (layout == CSV_DATE_ISO && tarn_parse_date(p, n, out))
		return true;
	if (date_prefix(p, n, layout, &days) != n || n == 0)
		return false;
	*out = (int32_t)days;
	return true;
}

/* H[H]:MM[:SS[.f{1,9}]][ ?AM|PM]; value in `unit` since midnight. */
static size_t clock_prefix(const char *p, size_t n, int unit, int64_t *out, int *frac_digits)
{
	size_t i = 0;
	unsigned h, mi, s = 0;
	if (!num12(p, n, &i, &h) || !sep(p, n, &i, ':') || i + 2 > n || !dig(p[i]) ||
	    !dig(p[i + 1]))
		return 0;
	mi = (unsigned)(p[i] - '0') * 10 + (unsigned)(p[i + 1] - '0');
	i += 2;
	int64_t frac = 0;
	int nd = 0;
	if (i < n && p[i] == ':') {
		if (i + 3 > n || !dig(p[i + 1]) || !dig(p[i + 2]))
			return 0;
		s = (unsigned)(p[i + 1] - '0') * 10 + (unsigned)(p[i + 2] - '0');
		i += 3;
		if (i < n && p[i] == '.') {
			i++;
			size_t st = i;
			while (i < n && dig(p[i])) {
				if (nd >= 9)
					return 0;
				frac = frac * 10 + (p[i] - '0');
				nd++;
				i++;
			}
			if (i == st)
				return 0;
		}
	}
	/* AM/PM */
	size_t j = i;
	if (j < n && p[j] == ' ')
		j++;
	if (j + 2 <= n && (p[j + 1] == 'M' || p[j + 1] == 'm') &&
	    (p[j] == 'A' || p[j] == 'a' || p[j] == 'P' || p[j] == 'p')) {
		if (h < 1 || h > 12)
			return 0;
		bool pm = p[j] == 'P' || p[j] == 'p';
		h = h % 12 + (pm ? 12 : 0);
		i = j + 2;
	}
	if (h > 23 || mi > 59 || s > 59)
		return 0;
	int ud = unit == TARN_UNIT_S ? 0 : unit == TARN_UNIT_MS ? 3 : unit == TARN_UNIT_US ? 6 : 9;
	/* Digits finer than the unit must be zero (lossless). */
	if (nd > ud) {
		int64_t drop = pow10_tab[nd - ud];
		if (frac % drop)
			return 0;
		frac /= drop;
	} else {
		frac *= pow10_tab[ud - nd];
	}
	*out = ((int64_t)h * 3600 + mi * 60 + s) * pow10_tab[ud] + frac;
	*frac_digits = nd;
	return i;
}

bool csv_parse_ts_layout(const char *p, size_t n, int layout, int unit, int64_t *out,
			 bool *has_offset, int *frac_digits)
{
	int64_t days;
	size_t i = date_prefix(p, n, layout, &days);
	if (i == 0)
		return false;
	int64_t tod = 0;
	int nd = 0;
	int ud = unit == TARN_UNIT_S ? 0 : unit == TARN_UNIT_MS ? 3 : unit == TARN_UNIT_US ? 6 : 9;
	int64_t per = pow10_tab[ud];
	if (i < n) {
		if (p[i] != ' ' && p[i] != 'T' && p[i] != 't')
			return false;
		i++;
		size_t used = clock_prefix(p + i, n - i, unit, &tod, &nd);
		if (used == 0)
			return false;
		i += used;
	}
	/* CSV layouts also allow one space before a numeric offset
	 * ("2024-01-02 03:04:05 +01:00"). */
	if (i + 1 < n && p[i] == ' ' && (p[i + 1] == '+' || p[i + 1] == '-'))
		i++;
	bool off;
	int64_t off_secs;
	if (!tarn_parse_zone(p + i, n - i, &off, &off_secs))
		return false;
	int64_t v;
	if (__builtin_mul_overflow(days, 86400 * per, &v) || __builtin_add_overflow(v, tod, &v) ||
	    __builtin_sub_overflow(v, off_secs * per, &v))
		return false;
	*out = v;
	*has_offset = off;
	*frac_digits = nd;
	return true;
}
