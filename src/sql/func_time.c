/*
 * func_time.c — time functions of the scalar registry: time zones
 * (timezone(zone, x), which `x AT TIME ZONE zone` lowers to), strptime and
 * try_strptime, to_timestamp (epoch seconds), and date_sub (whole parts
 * elapsed, where date_diff in func_more.c counts boundaries crossed).
 *
 * Time zones are IANA names read from the system tz database ($TZDIR or
 * /usr/share/zoneinfo, Debian's tzdata) by the TZif reader the ORC reader
 * already has (formats/orc/orc_tz.c); a constant zone is loaded once when
 * the call is bound and kept in the node (fn_state), a zone from a column
 * is loaded per row with the previous row's zone reused. Semantics as
 * DuckDB (ICU):
 *   TIMESTAMP   AT TIME ZONE z -> TIMESTAMPTZ: the wall time read in z; a
 *     wall time that occurs twice (fall back) is the later instant, one
 *     skipped by a spring-forward gap uses the offset before the gap;
 *   TIMESTAMPTZ AT TIME ZONE z -> TIMESTAMP: the instant's wall time in z.
 * TIMESTAMPTZ values are UTC instants; a session time zone (SET TimeZone) is
 * applied by the binder through timezone(), __tstz_text and __tstz_parse.
 *
 * strptime(s, fmt) takes C's % codes (%Y %m %d %H %M %S %f %y %j %b %B %a
 * %A %p %I %z %Z %%; %-d etc. read as %d); the format must be a constant.
 * With %z the result is a TIMESTAMPTZ, else a TIMESTAMP. A value that does
 * not match is an error naming it and the format (try_strptime: NULL).
 *
 * Pure kernels; a loaded zone is immutable and may be shared by threads.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base/mem.h"
#include "columnar/text.h"
#include "formats/orc/orc_int.h"
#include "sql/expr_int.h"

#define ROW(k) (sel ? (int64_t)sel[k] : (int64_t)(k))
#define US_DAY 86400000000LL

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

/* Coerces argument i (date, timestamp of any unit, NULL, or a constant
 * string) to timestamp[us], keeping a time zone. */
static tarn_rc want_ts_us(struct ex_expr *e, int i, struct tarn_err *err)
{
	TRY(ex_fn_want_temporal(e, i, false, err));
	const struct tarn_type *at = &e->args[i]->type;
	if (at->id == TARN_T_TIMESTAMP && at->unit == TARN_UNIT_US)
		return TARN_OK;
	struct tarn_type t;
	TRY(tarn_type_init_timestamp(&t, TARN_UNIT_US, at->id == TARN_T_TIMESTAMP ? at->tz : NULL));
	tarn_rc rc = ex_expr_coerce(&e->args[i], &t, err);
	tarn_type_clear(&t);
	return rc;
}

/* ---- time zones ----------------------------------------------------------------------------- */

static void tz_state_free(void *s)
{
	orc_tz_free(s);
}

static tarn_rc tz_state_copy(const void *s, void **out)
{
	const char *why = NULL;
	struct orc_tz *tz = NULL;
	TRY(orc_tz_load(orc_tz_name(s), &tz, &why));
	*out = tz;
	return TARN_OK;
}

static tarn_rc tz_load(const char *fn, const uint8_t *name, size_t n, struct orc_tz **out,
		       struct tarn_err *err)
{
	char buf[128];
	*out = NULL;
	if (n >= sizeof buf || memchr(name, 0, n))
		return tarn_err_set(err, TARN_EUSAGE, "%s: unknown time zone '%.*s'", fn,
				    (int)(n > 60 ? 60 : n), (const char *)name);
	memcpy(buf, name, n);
	buf[n] = 0;
	const char *why = NULL;
	tarn_rc rc = orc_tz_load(buf, out, &why);
	if (rc == TARN_ENOMEM)
		return tarn_err_nomem(err, fn);
	if (rc)
		return tarn_err_set(err, TARN_EUSAGE,
				    "%s: unknown time zone '%s'%s%s (names come from the tz database, "
				    "e.g. 'Europe/Berlin', 'UTC')",
				    fn, buf, why ? ": " : "", why ? why : "");
	return TARN_OK;
}

/* The UTC instant (seconds) at which zone tz's wall clock reads w. */
static int64_t tz_local_to_utc(const struct orc_tz *tz, int64_t w)
{
	int64_t ob = orc_tz_offset(tz, w - 86400), oa = orc_tz_offset(tz, w + 86400);
	int64_t ta = w - ob, tb = w - oa;
	bool va = orc_tz_offset(tz, ta) == ob, vb = orc_tz_offset(tz, tb) == oa;
	if (va && vb)
		return ta > tb ? ta : tb; /* repeated wall time: the later instant (ICU) */
	if (vb && !va)
		return tb;
	return ta; /* valid before the change, or in a gap: the offset before it */
}

static tarn_rc bind_timezone(struct ex_expr *e, struct tarn_err *err)
{
	TRY(ex_fn_want_string(e, 0, err));
	TRY(want_ts_us(e, 1, err));
	const struct ex_expr *z = e->args[0];
	if (z->kind == EX_E_CONST && !ex_is_null(z->value, 0)) {
		size_t n;
		const uint8_t *p = tarn_array_get_bytes(z->value, 0, &n);
		struct orc_tz *tz;
		TRY(tz_load(e->fn->name, p, n, &tz, err));
		e->fn_state = tz;
		e->fn_state_free = tz_state_free;
		e->fn_state_copy = tz_state_copy;
	}
	/* a zone-less timestamp becomes an instant, an instant a wall time */
	bool to_instant = e->args[1]->type.tz == NULL;
	e->fn_arg = to_instant;
	return tarn_type_init_timestamp(&e->type, TARN_UNIT_US, to_instant ? "UTC" : NULL);
}

static tarn_rc eval_timezone(const struct ex_expr *e, const struct ex_fargs *a, const uint32_t *sel,
			     int64_t n, struct tarn_array *r, struct tarn_err *err)
{
	TRY(ex_validity_and(r, a->v, 2, r->length));
	const int64_t *x = (const int64_t *)a->v[1].a->values;
	int64_t *z = (int64_t *)r->values;
	struct orc_tz *row_tz = NULL;
	size_t row_n = 0;
	char row_name[128];
	tarn_rc rc = TARN_OK;
	for (int64_t k = 0; k < n && !rc; k++) {
		int64_t i = ROW(k);
		if (r->validity && !tarn_bit_get(r->validity, i))
			continue;
		const struct orc_tz *tz = e->fn_state;
		if (!tz) {
			size_t zn;
			const uint8_t *zp = ex_str_at(&a->v[0], i, &zn);
			if (!row_tz || zn != row_n || memcmp(zp, row_name, zn)) {
				orc_tz_free(row_tz);
				row_tz = NULL;
				if ((rc = tz_load(e->fn->name, zp, zn, &row_tz, err)))
					break;
				row_n = zn;
				memcpy(row_name, zp, zn);
			}
			tz = row_tz;
		}
		int64_t v = x[VROW(&a->v[1], i)];
		int64_t sec = floor_div(v, 1000000), frac = v - sec * 1000000;
		int64_t out = e->fn_arg ? tz_local_to_utc(tz, sec) : sec + orc_tz_offset(tz, sec);
		z[i] = out * 1000000 + frac;
	}
	orc_tz_free(row_tz);
	return rc;
}

/* ---- session time zone ------------------------------------------------------------------- */

/* The binder's lowering of a session time zone other than UTC (SET TimeZone):
 *   __tstz_text(zone, x)  TIMESTAMPTZ -> VARCHAR: the wall time in zone with its
 *                         UTC offset, as DuckDB prints (+02, +05:30, -03).
 *   __tstz_parse(zone, s) VARCHAR -> TIMESTAMPTZ: text with an offset (or Z) is
 *                         that instant; text without one is wall time in zone.
 * The zone is a constant loaded once at bind. */
static tarn_rc bind_session_tz(struct ex_expr *e, bool parse, struct tarn_err *err)
{
	TRY(ex_fn_want_string(e, 0, err));
	const struct ex_expr *z = e->args[0];
	if (z->kind != EX_E_CONST || ex_is_null(z->value, 0))
		return tarn_err_set(err, TARN_EUSAGE, "%s: the zone must be a constant", e->fn->name);
	if (parse)
		TRY(ex_fn_want_string(e, 1, err));
	else
		TRY(want_ts_us(e, 1, err));
	size_t n;
	const uint8_t *p = tarn_array_get_bytes(z->value, 0, &n);
	struct orc_tz *tz;
	TRY(tz_load(e->fn->name, p, n, &tz, err));
	e->fn_state = tz;
	e->fn_state_free = tz_state_free;
	e->fn_state_copy = tz_state_copy;
	if (parse)
		return tarn_type_init_timestamp(&e->type, TARN_UNIT_US, "UTC");
	tarn_type_init(&e->type, TARN_T_STRING);
	return TARN_OK;
}

static tarn_rc bind_tstz_text(struct ex_expr *e, struct tarn_err *err)
{
	return bind_session_tz(e, false, err);
}

static tarn_rc bind_tstz_parse(struct ex_expr *e, struct tarn_err *err)
{
	return bind_session_tz(e, true, err);
}

static tarn_rc eval_tstz_text(const struct ex_expr *e, const struct ex_fargs *a,
			      const uint32_t *sel, int64_t n, struct tarn_array *r,
			      struct tarn_err *err)
{
	const struct ex_vec *x = &a->v[1];
	const struct orc_tz *tz = e->fn_state;
	TRY(ex_validity_and(r, x, 1, r->length));
	struct ex_strout o;
	ex_strout_init(&o, r);
	for (int64_t k = 0; k < n; k++) {
		int64_t i = ROW(k);
		ex_strout_row(&o, i);
		if (vec_null(x, i))
			continue;
		int64_t v = ((const int64_t *)x->a->values)[VROW(x, i)];
		int64_t sec = floor_div(v, 1000000);
		int64_t off = orc_tz_offset(tz, sec);
		char buf[TARN_FMT_MAX + 16];
		size_t len = tarn_fmt_timestamp(buf, v + off * 1000000, TARN_UNIT_US, false);
		int64_t ao = off < 0 ? -off : off;
		len += (size_t)snprintf(buf + len, 16, "%c%02d", off < 0 ? '-' : '+', (int)(ao / 3600));
		if (ao % 3600)
			len += (size_t)snprintf(buf + len, 16, ":%02d", (int)(ao % 3600 / 60));
		if (ao % 60)
			len += (size_t)snprintf(buf + len, 16, ":%02d", (int)(ao % 60));
		tarn_rc rc = ex_strout_put(&o, buf, len);
		if (rc)
			return ex_fn_str_fail(rc, "CAST", err);
	}
	ex_strout_done(&o);
	return TARN_OK;
}

static tarn_rc eval_tstz_parse(const struct ex_expr *e, const struct ex_fargs *a,
			       const uint32_t *sel, int64_t n, struct tarn_array *r,
			       struct tarn_err *err)
{
	const struct ex_vec *x = &a->v[1];
	const struct orc_tz *tz = e->fn_state;
	TRY(ex_validity_and(r, x, 1, r->length));
	int64_t *z = (int64_t *)r->values;
	for (int64_t k = 0; k < n; k++) {
		int64_t i = ROW(k);
		if (vec_null(x, i))
			continue;
		size_t len;
		const uint8_t *p = ex_str_at(x, i, &len);
		/* DuckDB trims surrounding spaces */
		while (len && p[0] == ' ')
			p++, len--;
		while (len && p[len - 1] == ' ')
			len--;
		int64_t v;
		bool has_off = false;
		if (!tarn_parse_timestamp((const char *)p, len, TARN_UNIT_US, &v, &has_off)) {
			int32_t d;
			if (!tarn_parse_date((const char *)p, len, &d))
				return tarn_err_set(err, TARN_EDATA,
						    "CAST: '%.*s' is not a TIMESTAMPTZ (YYYY-MM-DD "
						    "HH:MM:SS[.ffffff][+HH[:MM]])",
						    (int)(len > 60 ? 60 : len), (const char *)p);
			v = (int64_t)d * US_DAY;
		}
		if (!has_off) {
			int64_t sec = floor_div(v, 1000000), frac = v - sec * 1000000;
			v = tz_local_to_utc(tz, sec) * 1000000 + frac;
		}
		z[i] = v;
	}
	return TARN_OK;
}

/* ---- strptime --------------------------------------------------------------------------------- */

static const char *const MONTHS[] = { "january", "february", "march",	  "april",
				      "may",	 "june",     "july",	  "august",
				      "september", "october", "november", "december" };
static const char *const WDAYS[] = { "sunday",	 "monday", "tuesday", "wednesday",
				     "thursday", "friday", "saturday" };

/* Reads 1..w digits at s[*i]; false if none. */
static bool digits(const uint8_t *s, size_t n, size_t *i, int w, int64_t *out)
{
	int64_t v = 0;
	int k = 0;
	while (*i < n && k < w && isdigit(s[*i])) {
		v = v * 10 + (s[*i] - '0');
		(*i)++;
		k++;
	}
	*out = v;
	return k > 0;
}

/* A name from list (full, or its first three letters), case-insensitive. */
static int name_at(const uint8_t *s, size_t n, size_t *i, const char *const *list, int cnt)
{
	for (int j = 0; j < cnt; j++) {
		size_t full = strlen(list[j]);
		if (*i + full <= n && !strncasecmp((const char *)s + *i, list[j], full)) {
			*i += full;
			return j;
		}
	}
	for (int j = 0; j < cnt; j++)
		if (*i + 3 <= n && !strncasecmp((const char *)s + *i, list[j], 3)) {
			*i += 3;
			return j;
		}
	return -1;
}

/* Parses s against fmt: microseconds since the epoch (UTC when the format
 * has %z). */
static bool strptime_one(const uint8_t *s, size_t n, const uint8_t *f, size_t fn, int64_t *out)
{
	int64_t year = 1900, mon = 1, day = 1, hour = 0, min = 0, sec = 0, us = 0, yday = -1;
	int64_t off = 0; /* seconds east of UTC from %z */
	int pm = -1;	 /* -1: no %p; 0 AM; 1 PM */
	bool h12 = false;
	size_t i = 0;
	for (size_t j = 0; j < fn; j++) {
		if (f[j] != '%') {
			if (isspace(f[j])) { /* whitespace matches any run of whitespace */
				while (i < n && isspace(s[i]))
					i++;
				continue;
			}
			if (i >= n || s[i] != f[j])
				return false;
			i++;
			continue;
		}
		if (++j >= fn)
			return false;
		if (f[j] == '-' && j + 1 < fn) /* %-d: no padding, read the same */
			j++;
		int64_t v;
		switch (f[j]) {
		case 'Y': {
			bool neg = i < n && s[i] == '-';
			if (neg)
				i++;
			if (!digits(s, n, &i, 6, &v))
				return false;
			year = neg ? -v : v;
			break;
		}
		case 'y':
			if (!digits(s, n, &i, 2, &v))
				return false;
			year = v < 69 ? 2000 + v : 1900 + v;
			break;
		case 'm': if (!digits(s, n, &i, 2, &mon)) return false; break;
		case 'd':
		case 'e': if (!digits(s, n, &i, 2, &day)) return false; break;
		case 'H': if (!digits(s, n, &i, 2, &hour)) return false; break;
		case 'I':
			if (!digits(s, n, &i, 2, &hour))
				return false;
			h12 = true;
			break;
		case 'M': if (!digits(s, n, &i, 2, &min)) return false; break;
		case 'S': if (!digits(s, n, &i, 2, &sec)) return false; break;
		case 'j': if (!digits(s, n, &i, 3, &yday)) return false; break;
		case 'f':
		case 'g':
		case 'n': {
			size_t at = i;
			int w = f[j] == 'g' ? 3 : f[j] == 'f' ? 6 : 9;
			if (!digits(s, n, &i, w, &v))
				return false;
			for (size_t k = i - at; k < (size_t)w; k++)
				v *= 10;
			us = f[j] == 'g' ? v * 1000 : f[j] == 'f' ? v : v / 1000;
			break;
		}
		case 'b':
		case 'h':
		case 'B': {
			int m = name_at(s, n, &i, MONTHS, 12);
			if (m < 0)
				return false;
			mon = m + 1;
			break;
		}
		case 'a':
		case 'A':
			if (name_at(s, n, &i, WDAYS, 7) < 0)
				return false;
			break;
		case 'p':
			if (i + 2 > n)
				return false;
			if (!strncasecmp((const char *)s + i, "AM", 2))
				pm = 0;
			else if (!strncasecmp((const char *)s + i, "PM", 2))
				pm = 1;
			else
				return false;
			i += 2;
			break;
		case 'z': {
			if (i < n && (s[i] == 'Z' || s[i] == 'z')) {
				i++;
				off = 0;
				break;
			}
			if (i >= n || (s[i] != '+' && s[i] != '-'))
				return false;
			int sign = s[i++] == '-' ? -1 : 1;
			int64_t hh, mm = 0;
			if (!digits(s, n, &i, 2, &hh))
				return false;
			if (i < n && s[i] == ':')
				i++;
			if (i < n && isdigit(s[i]) && !digits(s, n, &i, 2, &mm))
				return false;
			if (hh > 23 || mm > 59)
				return false;
			off = sign * (hh * 3600 + mm * 60);
			break;
		}
		case 'Z': /* a zone abbreviation: letters, skipped */
			while (i < n && (isalpha(s[i]) || s[i] == '/' || s[i] == '_'))
				i++;
			break;
		case '%':
			if (i >= n || s[i] != '%')
				return false;
			i++;
			break;
		default:
			return false;
		}
	}
	if (i != n)
		return false;
	if (h12) {
		if (hour < 1 || hour > 12)
			return false;
		hour %= 12;
	}
	if (pm == 1) {
		if (!h12 && hour > 12)
			return false;
		if (hour < 12)
			hour += 12;
	}
	if (year < -290000 || year > 290000)
		return false;
	bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
	int64_t days;
	if (yday >= 0) {
		if (yday < 1 || yday > 365 + leap)
			return false;
		days = tarn_days_from_civil(year, 1, 1) + yday - 1;
	} else {
		static const int dim[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
		if (mon < 1 || mon > 12 || day < 1 || day > dim[mon - 1] + (mon == 2 && leap))
			return false;
		days = tarn_days_from_civil(year, (unsigned)mon, (unsigned)day);
	}
	if (hour > 23 || min > 59 || sec > 59)
		return false;
	*out = days * US_DAY + (hour * 3600 + min * 60 + sec - off) * 1000000 + us;
	return true;
}

static tarn_rc bind_strptime(struct ex_expr *e, struct tarn_err *err)
{
	TRY(ex_fn_want_string(e, 0, err));
	TRY(ex_fn_want_string(e, 1, err));
	const struct ex_expr *f = e->args[1];
	if (f->kind != EX_E_CONST)
		return tarn_err_set(err, TARN_EUSAGE, "%s: the format must be a constant", e->fn->name);
	bool tz = false;
	if (!ex_is_null(f->value, 0)) {
		size_t n;
		const uint8_t *p = tarn_array_get_bytes(f->value, 0, &n);
		for (size_t k = 0; k + 1 < n; k++)
			if (p[k] == '%') {
				tz |= p[k + 1] == 'z';
				k++;
			}
	}
	e->fn_arg = !strcasecmp(e->fn->name, "try_strptime");
	return tarn_type_init_timestamp(&e->type, TARN_UNIT_US, tz ? "UTC" : NULL);
}

static tarn_rc eval_strptime(const struct ex_expr *e, const struct ex_fargs *a, const uint32_t *sel,
			     int64_t n, struct tarn_array *r, struct tarn_err *err)
{
	TRY(ex_validity_and(r, a->v, 2, r->length));
	if (vec_null(&a->v[1], 0))
		return TARN_OK;
	size_t fl;
	const uint8_t *fmt = ex_str_at(&a->v[1], 0, &fl);
	int64_t *z = (int64_t *)r->values;
	for (int64_t k = 0; k < n; k++) {
		int64_t i = ROW(k);
		if (r->validity && !tarn_bit_get(r->validity, i))
			continue;
		size_t len;
		const uint8_t *s = ex_str_at(&a->v[0], i, &len);
		if (strptime_one(s, len, fmt, fl, &z[i]))
			continue;
		if (!e->fn_arg)
			return tarn_err_set(err, TARN_EDATA, "strptime: '%.*s' does not match the format '%.*s'",
					    (int)(len > 60 ? 60 : len), (const char *)s,
					    (int)(fl > 60 ? 60 : fl), (const char *)fmt);
		if (!r->validity)
			TRY(ex_scratch_validity(r));
		ex_set_null(r, i);
	}
	return TARN_OK;
}

/* ---- to_timestamp ----------------------------------------------------------------------------- */

static tarn_rc bind_to_timestamp(struct ex_expr *e, struct tarn_err *err)
{
	TRY(ex_fn_want_numeric(e, 0, err));
	TRY(ex_fn_coerce(e, 0, TARN_T_FLOAT64, err));
	return tarn_type_init_timestamp(&e->type, TARN_UNIT_US, "UTC");
}

static tarn_rc eval_to_timestamp(const struct ex_expr *e, const struct ex_fargs *a,
				 const uint32_t *sel, int64_t n, struct tarn_array *r,
				 struct tarn_err *err)
{
	TRY(ex_validity_and(r, a->v, 1, r->length));
	const double *x = (const double *)a->v[0].a->values;
	for (int64_t k = 0; k < n; k++) {
		int64_t i = ROW(k);
		if (r->validity && !tarn_bit_get(r->validity, i))
			continue;
		double v = x[VROW(&a->v[0], i)];
		if (!(fabs(v) < 9.2e12))
			return tarn_err_set(err, TARN_EDATA, "to_timestamp: %g seconds is out of range", v);
		((int64_t *)r->values)[i] = (int64_t)llround(v * 1e6);
	}
	return TARN_OK;
}

/* ---- date_sub ----------------------------------------------------------------------------------- */

enum spart { S_YEAR, S_QUARTER, S_MONTH, S_WEEK, S_DAY, S_HOUR, S_MINUTE, S_SECOND, S_MS, S_US,
	     S_DECADE, S_CENTURY, S_MILLENNIUM };

static const struct ex_part_name sparts[] = {
	{ "year", S_YEAR },	      { "years", S_YEAR },	     { "y", S_YEAR },
	{ "quarter", S_QUARTER },     { "quarters", S_QUARTER },   { "month", S_MONTH },
	{ "months", S_MONTH },	      { "mon", S_MONTH },	   { "week", S_WEEK },
	{ "weeks", S_WEEK },	      { "day", S_DAY },		   { "days", S_DAY },
	{ "d", S_DAY },		      { "hour", S_HOUR },	   { "hours", S_HOUR },
	{ "h", S_HOUR },	      { "minute", S_MINUTE },	   { "minutes", S_MINUTE },
	{ "m", S_MINUTE },	      { "second", S_SECOND },	   { "seconds", S_SECOND },
	{ "s", S_SECOND },	      { "millisecond", S_MS },	   { "milliseconds", S_MS },
	{ "ms", S_MS },		      { "microsecond", S_US },	   { "microseconds", S_US },
	{ "us", S_US },		      { "decade", S_DECADE },	   { "decades", S_DECADE },
	{ "century", S_CENTURY },     { "centuries", S_CENTURY },  { "millennium", S_MILLENNIUM },
	{ "millennia", S_MILLENNIUM },
};

static tarn_rc bind_date_sub(struct ex_expr *e, struct tarn_err *err)
{
	TRY(ex_fn_const_part(e, sparts, sizeof sparts / sizeof *sparts, "part", err));
	TRY(want_ts_us(e, 1, err));
	TRY(want_ts_us(e, 2, err));
	tarn_type_init(&e->type, TARN_T_INT64);
	return TARN_OK;
}

/* Whole months from s to t (s <= t): the calendar difference, less one
 * when t's day and time of day come before s's; a t on its month's last
 * day completes a month begun on a later day (Jan 31 -> Feb 29 is one). */
static int64_t whole_months(int64_t s, int64_t t)
{
	int64_t ys, yt;
	unsigned ms, mt, ds, dt;
	int64_t sd = floor_div(s, US_DAY), td = floor_div(t, US_DAY);
	int64_t stod = s - sd * US_DAY, ttod = t - td * US_DAY;
	tarn_civil_from_days(sd, &ys, &ms, &ds);
	tarn_civil_from_days(td, &yt, &mt, &dt);
	int64_t months = (yt * 12 + mt) - (ys * 12 + ms);
	unsigned last = (unsigned)(tarn_days_from_civil(mt == 12 ? yt + 1 : yt, mt == 12 ? 1 : mt + 1, 1) -
				   tarn_days_from_civil(yt, mt, 1));
	if (dt == last && ds >= last)
		ds = last;
	if (dt < ds || (dt == ds && ttod < stod))
		months--;
	return months;
}

static tarn_rc eval_date_sub(const struct ex_expr *e, const struct ex_fargs *a, const uint32_t *sel,
			     int64_t n, struct tarn_array *r, struct tarn_err *err)
{
	TRY(ex_validity_and(r, a->v + 1, 2, r->length));
	const int64_t *x = (const int64_t *)a->v[1].a->values, *y = (const int64_t *)a->v[2].a->values;
	int64_t *z = (int64_t *)r->values;
	static const int64_t unit[] = { [S_WEEK] = 7 * US_DAY, [S_DAY] = US_DAY,
					[S_HOUR] = 3600000000LL, [S_MINUTE] = 60000000LL,
					[S_SECOND] = 1000000LL, [S_MS] = 1000LL, [S_US] = 1 };
	static const int64_t per[] = { [S_YEAR] = 12, [S_QUARTER] = 3, [S_MONTH] = 1,
				       [S_DECADE] = 120, [S_CENTURY] = 1200, [S_MILLENNIUM] = 12000 };
	for (int64_t k = 0; k < n; k++) {
		int64_t i = ROW(k);
		if (r->validity && !tarn_bit_get(r->validity, i))
			continue;
		int64_t s = x[VROW(&a->v[1], i)], t = y[VROW(&a->v[2], i)];
		int p = e->fn_arg;
		if (p >= S_WEEK && p <= S_US) {
			z[i] = (t - s) / unit[p]; /* toward zero: whole units elapsed */
			continue;
		}
		int64_t m = s <= t ? whole_months(s, t) : -whole_months(t, s);
		z[i] = m / per[p];
	}
	return TARN_OK;
}

/* ---- intervals ------------------------------------------------------------------------------
 * INTERVAL values (struct tarn_interval: months, days, microseconds, as
 * DuckDB). The expression constructors route interval arithmetic and
 * comparison here (ex_interval_arith, ex_interval_cmp), to the registry
 * entries "+", "-", "*" below; to_years ... to_microseconds build
 * intervals; extract(part FROM interval) reads them (interval_part).
 * Arithmetic on the parts is exact: a part leaving int32 / int64 is an
 * error. A timestamp plus an interval adds the months (clamped to the
 * month's end), then the days, then the microseconds; a date counts as its
 * midnight and gives a timestamp; timestamp - timestamp is whole days plus
 * microseconds. Intervals compare by 1 month = 30 days, 1 day = 24 hours
 * (interval_key). */

static bool is_ts(enum tarn_type_id id)
{
	return id == TARN_T_DATE32 || id == TARN_T_TIMESTAMP;
}

static struct tarn_interval iv_at(const struct ex_vec *v, int64_t i)
{
	struct tarn_interval x;
	memcpy(&x, v->a->values + (size_t)VROW(v, i) * sizeof x, sizeof x);
	return x;
}

static void iv_put(struct tarn_array *r, int64_t i, const struct tarn_interval *x)
{
	memcpy(r->values + (size_t)i * sizeof *x, x, sizeof *x);
}

static tarn_rc want_interval(struct ex_expr *e, int i, struct tarn_err *err)
{
	if (e->args[i]->type.id == TARN_T_INTERVAL)
		return TARN_OK;
	if (e->args[i]->type.id == TARN_T_NULL ||
	    (e->args[i]->type.id == TARN_T_STRING && e->args[i]->kind == EX_E_CONST))
		return ex_fn_coerce(e, i, TARN_T_INTERVAL, err); /* NULL, or a literal '2 hours' */
	return ex_fn_bind_fail(e, i, "an interval", err);
}

/* Operand shapes of "+", "-", "*" (fn_arg). */
enum { IV_ADD, IV_SUB, IV_TS_ADD, IV_TS_SUB, IV_TS_DIFF, IV_MUL, IV_NEG };

static tarn_rc bind_iv_arith(struct ex_expr *e, struct tarn_err *err)
{
	char op = e->fn->name[0];
	if (e->n_args == 1) {
		if (op != '-')
			return tarn_err_set(err, TARN_EUSAGE, "%s takes 2 arguments", e->fn->name);
		TRY(want_interval(e, 0, err));
		e->fn_arg = IV_NEG;
		tarn_type_init(&e->type, TARN_T_INTERVAL);
		return TARN_OK;
	}
	/* a NULL operand takes the interval role */
	for (int i = 0; i < 2; i++)
		if (e->args[i]->type.id == TARN_T_NULL)
			TRY(ex_fn_coerce(e, i, TARN_T_INTERVAL, err));
	enum tarn_type_id x = e->args[0]->type.id, y = e->args[1]->type.id;
	if (op == '*') {
		int iv = x == TARN_T_INTERVAL ? 0 : 1;
		TRY(want_interval(e, iv, err));
		TRY(ex_fn_want_int(e, 1 - iv, err));
		TRY(ex_fn_coerce(e, 1 - iv, TARN_T_INT64, err));
		e->fn_arg = IV_MUL;
		tarn_type_init(&e->type, TARN_T_INTERVAL);
		return TARN_OK;
	}
	if (x == TARN_T_INTERVAL && y == TARN_T_INTERVAL) {
		e->fn_arg = op == '+' ? IV_ADD : IV_SUB;
		tarn_type_init(&e->type, TARN_T_INTERVAL);
		return TARN_OK;
	}
	if (op == '-' && is_ts(x) && is_ts(y)) {
		TRY(want_ts_us(e, 0, err));
		TRY(want_ts_us(e, 1, err));
		e->fn_arg = IV_TS_DIFF;
		tarn_type_init(&e->type, TARN_T_INTERVAL);
		return TARN_OK;
	}
	if (op == '+' && x == TARN_T_INTERVAL && is_ts(y)) { /* interval + ts: swap */
		struct ex_expr *t = e->args[0];
		e->args[0] = e->args[1];
		e->args[1] = t;
	}
	if (!is_ts(e->args[0]->type.id))
		return ex_fn_bind_fail(e, 0, "a date, timestamp or interval", err);
	TRY(want_ts_us(e, 0, err));
	TRY(want_interval(e, 1, err));
	e->fn_arg = op == '+' ? IV_TS_ADD : IV_TS_SUB;
	const struct tarn_type *t = &e->args[0]->type;
	return tarn_type_init_timestamp(&e->type, TARN_UNIT_US, t->tz);
}

static bool add_i32(int64_t a, int64_t b, int32_t *out)
{
	int64_t v = a + b;
	if (v < INT32_MIN || v > INT32_MAX)
		return false;
	*out = (int32_t)v;
	return true;
}

static tarn_rc eval_iv_arith(const struct ex_expr *e, const struct ex_fargs *a, const uint32_t *sel,
			     int64_t n, struct tarn_array *r, struct tarn_err *err)
{
	TRY(ex_validity_and(r, a->v, a->n, r->length));
	int kind = e->fn_arg;
	for (int64_t k = 0; k < n; k++) {
		int64_t i = ROW(k);
		if (r->validity && !tarn_bit_get(r->validity, i))
			continue;
		struct tarn_interval z = { 0, 0, 0 };
		bool ok = true;
		switch (kind) {
		case IV_NEG: {
			struct tarn_interval x = iv_at(&a->v[0], i);
			ok = add_i32(0, -(int64_t)x.months, &z.months) &&
			     add_i32(0, -(int64_t)x.days, &z.days) &&
			     !__builtin_sub_overflow((int64_t)0, x.micros, &z.micros);
			break;
		}
		case IV_ADD:
		case IV_SUB: {
			struct tarn_interval x = iv_at(&a->v[0], i), y = iv_at(&a->v[1], i);
			int64_t sg = kind == IV_ADD ? 1 : -1;
			ok = add_i32(x.months, sg * y.months, &z.months) &&
			     add_i32(x.days, sg * y.days, &z.days) &&
			     !(kind == IV_ADD ? __builtin_add_overflow(x.micros, y.micros, &z.micros)
					      : __builtin_sub_overflow(x.micros, y.micros, &z.micros));
			break;
		}
		case IV_MUL: {
			int iv = a->v[0].a->type->id == TARN_T_INTERVAL ? 0 : 1;
			struct tarn_interval x = iv_at(&a->v[iv], i);
			int64_t m = ((const int64_t *)a->v[1 - iv].a->values)[VROW(&a->v[1 - iv], i)];
			int64_t mo, d;
			ok = !__builtin_mul_overflow((int64_t)x.months, m, &mo) &&
			     !__builtin_mul_overflow((int64_t)x.days, m, &d) &&
			     !__builtin_mul_overflow(x.micros, m, &z.micros) && add_i32(mo, 0, &z.months) &&
			     add_i32(d, 0, &z.days);
			break;
		}
		case IV_TS_DIFF: {
			int64_t t0 = ((const int64_t *)a->v[0].a->values)[VROW(&a->v[0], i)];
			int64_t t1 = ((const int64_t *)a->v[1].a->values)[VROW(&a->v[1], i)];
			int64_t d;
			ok = !__builtin_sub_overflow(t0, t1, &d);
			if (ok) {
				z.micros = d % US_DAY; /* both parts take the difference's sign */
				ok = add_i32(d / US_DAY, 0, &z.days);
			}
			break;
		}
		default: { /* timestamp ± interval */
			int64_t t = ((const int64_t *)a->v[0].a->values)[VROW(&a->v[0], i)];
			struct tarn_interval x = iv_at(&a->v[1], i);
			int64_t sg = kind == IV_TS_ADD ? 1 : -1;
			int64_t day = floor_div(t, US_DAY), tod = t - day * US_DAY;
			if (x.months)
				day = ex_days_add_months(day, sg * x.months);
			int64_t us;
			ok = !__builtin_mul_overflow(day + sg * x.days, US_DAY, &us) &&
			     !__builtin_add_overflow(us, tod, &us) &&
			     !__builtin_add_overflow(us, sg * x.micros, &us);
			if (ok)
				((int64_t *)r->values)[i] = us;
			if (!ok)
				return tarn_err_set(err, TARN_EDATA, "%s: timestamp out of range", e->fn->name);
			continue;
		}
		}
		if (!ok)
			return tarn_err_set(err, TARN_EDATA, "interval %s: out of range", e->fn->name);
		iv_put(r, i, &z);
	}
	return TARN_OK;
}

tarn_rc ex_interval_arith(enum ex_arith op, struct ex_expr *l, struct ex_expr *r,
			  struct ex_expr **out, struct tarn_err *err)
{
	static const char *const name[] = { [EX_ADD] = "+", [EX_SUB] = "-", [EX_MUL] = "*" };
	if (op != EX_ADD && op != EX_SUB && op != EX_MUL) {
		ex_expr_free(l);
		ex_expr_free(r);
		return tarn_err_set(err, TARN_EUNSUPPORTED,
				    "intervals take +, - and * (by an integer), not this operator");
	}
	struct ex_expr *args[2] = { l, r };
	return ex_expr_func(name[op], args, r ? 2 : 1, out, err);
}

bool ex_interval_arith_applies(enum ex_arith op, const struct ex_expr *l, const struct ex_expr *r)
{
	enum tarn_type_id x = l->type.id, y = r->type.id;
	if (x == TARN_T_INTERVAL || y == TARN_T_INTERVAL)
		return true;
	/* timestamp - timestamp (date - date stays a day count) */
	return op == EX_SUB && is_ts(x) && is_ts(y) &&
	       (x == TARN_T_TIMESTAMP || y == TARN_T_TIMESTAMP);
}

/* interval_key(iv): the interval as microseconds with 1 month = 30 days
 * (decimal(38,0)), what comparisons of intervals compare. */
static tarn_rc bind_iv_key(struct ex_expr *e, struct tarn_err *err)
{
	TRY(want_interval(e, 0, err));
	tarn_type_init_decimal(&e->type, 38, 0);
	return TARN_OK;
}

static tarn_rc eval_iv_key(const struct ex_expr *e, const struct ex_fargs *a, const uint32_t *sel,
			   int64_t n, struct tarn_array *r, struct tarn_err *err)
{
	TRY(ex_validity_and(r, a->v, 1, r->length));
	for (int64_t k = 0; k < n; k++) {
		int64_t i = ROW(k);
		struct tarn_interval x = iv_at(&a->v[0], i);
		tarn_i128 v = ex_interval_key((const uint8_t *)&x);
		memcpy(r->values + (size_t)i * 16, &v, 16);
	}
	return TARN_OK;
}

tarn_rc ex_interval_cmp(enum ex_cmp op, struct ex_expr *l, struct ex_expr *r, struct ex_expr **out,
			struct tarn_err *err)
{
	struct ex_expr *kl = NULL, *kr = NULL;
	tarn_rc rc = ex_expr_func("interval_key", &l, 1, &kl, err);
	if (rc) {
		ex_expr_free(r);
		return rc;
	}
	if ((rc = ex_expr_func("interval_key", &r, 1, &kr, err))) {
		ex_expr_free(kl);
		return rc;
	}
	return ex_expr_cmp(op, kl, kr, out, err);
}

/* to_years(n) ... to_microseconds(n): an interval of n units */
enum { TO_MONTHS, TO_DAYS, TO_MICROS };

static const struct {
	const char *name;
	int part;
	int64_t mul;
} to_units[] = {
	{ "to_millennia", TO_MONTHS, 12000 }, { "to_centuries", TO_MONTHS, 1200 },
	{ "to_decades", TO_MONTHS, 120 },     { "to_years", TO_MONTHS, 12 },
	{ "to_quarters", TO_MONTHS, 3 },      { "to_months", TO_MONTHS, 1 },
	{ "to_weeks", TO_DAYS, 7 },	      { "to_days", TO_DAYS, 1 },
	{ "to_hours", TO_MICROS, 3600000000LL }, { "to_minutes", TO_MICROS, 60000000LL },
	{ "to_seconds", TO_MICROS, 1000000LL }, { "to_milliseconds", TO_MICROS, 1000LL },
	{ "to_microseconds", TO_MICROS, 1 },
};

static tarn_rc bind_to_unit(struct ex_expr *e, struct tarn_err *err)
{
	for (size_t i = 0; i < sizeof to_units / sizeof *to_units; i++)
		if (!strcasecmp(to_units[i].name, e->fn->name))
			e->fn_arg = (int)i;
	/* seconds may have a fraction (DuckDB: to_seconds(double)) */
	if (to_units[e->fn_arg].part == TO_MICROS && to_units[e->fn_arg].mul >= 1000000 &&
	    e->args[0]->type.id != TARN_T_NULL && !tarn_type_is_integer(e->args[0]->type.id)) {
		TRY(ex_fn_want_numeric(e, 0, err));
		TRY(ex_fn_coerce(e, 0, TARN_T_FLOAT64, err));
	} else {
		TRY(ex_fn_want_int(e, 0, err));
		TRY(ex_fn_coerce(e, 0, TARN_T_INT64, err));
	}
	tarn_type_init(&e->type, TARN_T_INTERVAL);
	return TARN_OK;
}

static tarn_rc eval_to_unit(const struct ex_expr *e, const struct ex_fargs *a, const uint32_t *sel,
			    int64_t n, struct tarn_array *r, struct tarn_err *err)
{
	TRY(ex_validity_and(r, a->v, 1, r->length));
	int part = to_units[e->fn_arg].part;
	int64_t mul = to_units[e->fn_arg].mul;
	bool dbl = a->v[0].a->type->id == TARN_T_FLOAT64;
	for (int64_t k = 0; k < n; k++) {
		int64_t i = ROW(k);
		if (r->validity && !tarn_bit_get(r->validity, i))
			continue;
		struct tarn_interval z = { 0, 0, 0 };
		int64_t v = 0, p;
		bool ok;
		if (dbl) {
			double d = ((const double *)a->v[0].a->values)[VROW(&a->v[0], i)] * (double)mul;
			ok = fabs(d) < 9.2e18;
			p = ok ? (int64_t)llround(d) : 0;
		} else {
			v = ((const int64_t *)a->v[0].a->values)[VROW(&a->v[0], i)];
			ok = !__builtin_mul_overflow(v, mul, &p);
		}
		if (ok && part == TO_MICROS)
			z.micros = p;
		else if (ok)
			ok = add_i32(p, 0, part == TO_MONTHS ? &z.months : &z.days);
		if (!ok)
			return tarn_err_set(err, TARN_EDATA, "%s: out of range", e->fn->name);
		iv_put(r, i, &z);
	}
	return TARN_OK;
}

/* interval_part(part, iv): extract / date_part of an interval */
enum { IP_YEAR, IP_QUARTER, IP_MONTH, IP_DAY, IP_HOUR, IP_MINUTE, IP_SECOND, IP_MS, IP_US, IP_EPOCH,
       IP_DECADE, IP_CENTURY, IP_MILLENNIUM };

static const struct ex_part_name ip_names[] = {
	{ "year", IP_YEAR },	   { "years", IP_YEAR },	     { "quarter", IP_QUARTER },
	{ "month", IP_MONTH },	   { "months", IP_MONTH },	     { "day", IP_DAY },
	{ "days", IP_DAY },	   { "hour", IP_HOUR },		     { "hours", IP_HOUR },
	{ "minute", IP_MINUTE },   { "minutes", IP_MINUTE },	     { "second", IP_SECOND },
	{ "seconds", IP_SECOND },  { "millisecond", IP_MS },	     { "milliseconds", IP_MS },
	{ "microsecond", IP_US },  { "microseconds", IP_US },	     { "epoch", IP_EPOCH },
	{ "decade", IP_DECADE },   { "century", IP_CENTURY },	     { "millennium", IP_MILLENNIUM },
};

static tarn_rc bind_iv_part(struct ex_expr *e, struct tarn_err *err)
{
	TRY(want_interval(e, 1, err));
	TRY(ex_fn_const_part(e, ip_names, sizeof ip_names / sizeof *ip_names, "interval part", err));
	tarn_type_init(&e->type, e->fn_arg == IP_EPOCH ? TARN_T_FLOAT64 : TARN_T_INT64);
	return TARN_OK;
}

static tarn_rc eval_iv_part(const struct ex_expr *e, const struct ex_fargs *a, const uint32_t *sel,
			    int64_t n, struct tarn_array *r, struct tarn_err *err)
{
	TRY(ex_validity_and(r, a->v + 1, 1, r->length));
	for (int64_t k = 0; k < n; k++) {
		int64_t i = ROW(k);
		struct tarn_interval x = iv_at(&a->v[1], i);
		int64_t v = 0;
		switch (e->fn_arg) {
		case IP_YEAR: v = x.months / 12; break;
		case IP_QUARTER: v = x.months % 12 / 3 + 1; break;
		case IP_MONTH: v = x.months % 12; break;
		case IP_DAY: v = x.days; break;
		case IP_HOUR: v = x.micros / 3600000000LL; break;
		case IP_MINUTE: v = x.micros % 3600000000LL / 60000000; break;
		case IP_SECOND: v = x.micros % 60000000 / 1000000; break;
		case IP_MS: v = x.micros % 60000000 / 1000; break;
		case IP_US: v = x.micros % 60000000; break;
		case IP_DECADE: v = x.months / 120; break;
		case IP_CENTURY: v = x.months / 1200; break;
		case IP_MILLENNIUM: v = x.months / 12000; break;
		default: {
			/* DuckDB: a year is 365.25 days, a month 30 */
			int64_t years = x.months / 12;
			double days = 365.0 * (double)years + 30.0 * (double)(x.months % 12) + x.days;
			((double *)r->values)[i] = days * 86400.0 + (double)years * 21600.0 +
						   (double)x.micros / 1e6;
			continue;
		}
		}
		((int64_t *)r->values)[i] = v;
	}
	return TARN_OK;
}

const struct ex_func ex_funcs_time[] = {
	{ "timezone", 2, 2,
	  "timezone(zone, x): a TIMESTAMP read as wall time in zone gives a TIMESTAMPTZ; a "
	  "TIMESTAMPTZ gives its wall time in zone (x AT TIME ZONE zone)",
	  bind_timezone, eval_timezone },
	{ "strptime", 2, 2,
	  "strptime(s, fmt): parse with % codes (%Y %m %d %H %M %S %f %y %j %b %a %p %I %z); "
	  "TIMESTAMPTZ when fmt has %z",
	  bind_strptime, eval_strptime },
	{ "try_strptime", 2, 2, "try_strptime(s, fmt): strptime, NULL when s does not match",
	  bind_strptime, eval_strptime },
	{ "__tstz_text", 2, 2,
	  "__tstz_text(zone, x): TIMESTAMPTZ as text in zone with its offset (CAST under SET "
	  "TimeZone)",
	  bind_tstz_text, eval_tstz_text },
	{ "__tstz_parse", 2, 2,
	  "__tstz_parse(zone, s): text as TIMESTAMPTZ, wall time in zone unless it has an offset "
	  "(CAST under SET TimeZone)",
	  bind_tstz_parse, eval_tstz_parse },
	{ "to_timestamp", 1, 1, "to_timestamp(sec): TIMESTAMPTZ sec seconds after 1970-01-01 UTC",
	  bind_to_timestamp, eval_to_timestamp },
	{ "+", 2, 2, "a + b: interval + interval, timestamp/date + interval", bind_iv_arith,
	  eval_iv_arith },
	{ "-", 1, 2, "a - b: intervals, timestamp - interval, timestamp - timestamp (an interval)",
	  bind_iv_arith, eval_iv_arith },
	{ "*", 2, 2, "iv * n: an interval times an integer", bind_iv_arith, eval_iv_arith },
	{ "interval_key", 1, 1, "interval_key(iv): microseconds, a month as 30 days (comparisons)",
	  bind_iv_key, eval_iv_key },
	{ "interval_part", 2, 2, "interval_part(part, iv): extract(part FROM iv)", bind_iv_part,
	  eval_iv_part },
	{ "to_millennia", 1, 1, "to_millennia(n): an interval of n millennia", bind_to_unit,
	  eval_to_unit },
	{ "to_centuries", 1, 1, "to_centuries(n)", bind_to_unit, eval_to_unit },
	{ "to_decades", 1, 1, "to_decades(n)", bind_to_unit, eval_to_unit },
	{ "to_years", 1, 1, "to_years(n): an interval of n years", bind_to_unit, eval_to_unit },
	{ "to_quarters", 1, 1, "to_quarters(n)", bind_to_unit, eval_to_unit },
	{ "to_months", 1, 1, "to_months(n)", bind_to_unit, eval_to_unit },
	{ "to_weeks", 1, 1, "to_weeks(n)", bind_to_unit, eval_to_unit },
	{ "to_days", 1, 1, "to_days(n)", bind_to_unit, eval_to_unit },
	{ "to_hours", 1, 1, "to_hours(n)", bind_to_unit, eval_to_unit },
	{ "to_minutes", 1, 1, "to_minutes(n)", bind_to_unit, eval_to_unit },
	{ "to_seconds", 1, 1, "to_seconds(x): x may have a fraction", bind_to_unit, eval_to_unit },
	{ "to_milliseconds", 1, 1, "to_milliseconds(n)", bind_to_unit, eval_to_unit },
	{ "to_microseconds", 1, 1, "to_microseconds(n)", bind_to_unit, eval_to_unit },
	{ "date_sub", 3, 3,
	  "date_sub(part, start, end): whole parts elapsed (months by calendar; year, quarter, "
	  "decade ... from months; week ... microsecond by duration)",
	  bind_date_sub, eval_date_sub },
};

const int ex_funcs_time_n = (int)(sizeof ex_funcs_time / sizeof *ex_funcs_time);
