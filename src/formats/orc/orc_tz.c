/*
 * orc_tz.c — time zones for ORC timestamps. A stripe footer names the
 * writer's zone (an IANA name such as "America/Los_Angeles"); TIMESTAMP
 * values are wall-clock times in that zone, so the reader needs the zone's
 * UTC offset at a given instant.
 *
 * Zones come from the system tz database: $TZDIR, else /usr/share/zoneinfo,
 * in the TZif format (RFC 8536): version 1 data is skipped in favour of the
 * 64-bit version 2+ block, and instants after the last transition follow the
 * POSIX TZ rule in the footer ("PST8PDT,M3.2.0,M11.1.0"), which matters for
 * dates after 2037 in "slim" databases. Instants before the first transition
 * use time type 0. "UTC", "GMT", "Z" and "" need no file; Java's custom
 * zone ids ("GMT+08:00", east-positive) are understood when no file of that
 * name exists.
 *
 * Relies on the file system only. Thread-safety: a loaded zone is immutable
 * and may be shared.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "formats/orc/orc_int.h"

#define TZ_FILE_MAX (1 << 20)

/* A POSIX rule date: Jn (julian, no Feb 29), n (zero-based with leap
 * days), or Mm.w.d. */
struct rule_date {
	char kind; /* 'J', 'N', 'M' */
	int a, b, c;
	int64_t time; /* seconds after local midnight */
};

struct orc_tz {
	char name[128];
	bool utc;
	int n_trans;
	int64_t *trans;      /* UTC instants */
	uint8_t *trans_type; /* index into offsets */
	int n_types;
	int32_t *offsets;    /* seconds east */
	/* the footer rule */
	bool has_rule, rule_dst;
	int64_t std_off, dst_off; /* seconds east */
	struct rule_date start, end;
};

bool orc_tz_is_utc(const struct orc_tz *tz)
{
	return tz->utc;
}

const char *orc_tz_name(const struct orc_tz *tz)
{
	return tz->name;
}

void orc_tz_free(struct orc_tz *tz)
{
	if (!tz)
		return;
	tarn_free(tz->trans);
	tarn_free(tz->trans_type);
	tarn_free(tz->offsets);
	tarn_free(tz);
}

/* ---- POSIX TZ strings ----------------------------------------------------------------- */

static const char *rule_name(const char *p)
{
	if (*p == '<') {
		const char *q = strchr(p, '>');
		return q ? q + 1 : NULL;
	}
	const char *q = p;
	while (isalpha((unsigned char)*q))
		q++;
	return q - p >= 3 ? q : NULL;
}

/* [+-]hh[:mm[:ss]], hours up to 167 (RFC 8536 extension). */
static const char *rule_hms(const char *p, int64_t *out)
{
	int sign = 1;
	if (*p == '+' || *p == '-')
		sign = *p++ == '-' ? -1 : 1;
	if (!isdigit((unsigned char)*p))
		return NULL;
	int64_t h = 0, m = 0, s = 0;
	while (isdigit((unsigned char)*p) && h < 1000)
		h = h * 10 + (*p++ - '0');
	if (h > 167)
		return NULL;
	if (*p == ':') {
		p++;
		if (!isdigit((unsigned char)p[0]) || !isdigit((unsigned char)p[1]))
			return NULL;
		m = (p[0] - '0') * 10 + (p[1] - '0');
		p += 2;
		if (*p == ':') {
			p++;
			if (!isdigit((unsigned char)p[0]) || !isdigit((unsigned char)p[1]))
				return NULL;
			s = (p[0] - '0') * 10 + (p[1] - '0');
			p += 2;
		}
	}
	*out = sign * (h * 3600 + m * 60 + s);
	return p;
}

static const char *rule_num(const char *p, int *out, int max)
{
	if (!isdigit((unsigned char)*p))
		return NULL;
	int v = 0;
	while (isdigit((unsigned char)*p)) {
		v = v * 10 + (*p++ - '0');
		if (v > max)
			return NULL;
	}
	*out = v;
	return p;
}

static const char *rule_date(const char *p, struct rule_date *d)
{
	if (*p == 'J') {
		d->kind = 'J';
		p = rule_num(p + 1, &d->a, 365);
		if (!p || d->a < 1)
			return NULL;
	} else if (*p == 'M') {
		d->kind = 'M';
		p = rule_num(p + 1, &d->a, 12);
		if (!p || *p != '.' || d->a < 1)
			return NULL;
		p = rule_num(p + 1, &d->b, 5);
		if (!p || *p != '.' || d->b < 1)
			return NULL;
		p = rule_num(p + 1, &d->c, 6);
		if (!p)
			return NULL;
	} else {
		d->kind = 'N';
		p = rule_num(p, &d->a, 365);
		if (!p)
			return NULL;
	}
	d->time = 7200;
	if (*p == '/') {
		p = rule_hms(p + 1, &d->time);
		if (!p)
			return NULL;
	}
	return p;
}

static bool parse_rule(struct orc_tz *tz, const char *p)
{
	p = rule_name(p);
	if (!p)
		return false;
	int64_t off;
	p = rule_hms(p, &off);
	if (!p)
		return false;
	tz->std_off = -off; /* POSIX offsets are west-positive */
	tz->has_rule = true;
	if (*p == '\0')
		return true;
	p = rule_name(p);
	if (!p)
		return false;
	tz->dst_off = tz->std_off + 3600;
	if (*p && *p != ',') {
		p = rule_hms(p, &off);
		if (!p)
			return false;
		tz->dst_off = -off;
	}
	if (*p != ',') /* DST without rules: the database's default (US) rules */
		return false;
	p = rule_date(p + 1, &tz->start);
	if (!p || *p != ',')
		return false;
	p = rule_date(p + 1, &tz->end);
	if (!p || *p)
		return false;
	tz->rule_dst = true;
	return true;
}

/* ---- calendar --------------------------------------------------------------------------- */

static bool leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int64_t days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int64_t year_of(int64_t days)
{
	days += 719468;
	int64_t era = (days >= 0 ? days : days - 146096) / 146097;
	int64_t doe = days - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t y = yoe + era * 400;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	int64_t m = mp + (mp < 10 ? 3 : -9);
	return y + (m <= 2);
}

/* Local seconds (since the epoch, local time) at which the rule date
 * happens in year y. */
static int64_t rule_local(const struct rule_date *d, int64_t y)
{
	int64_t day;
	switch (d->kind) {
	case 'J':
		day = days_from_civil(y, 1, 1) + d->a - 1;
		if (leap(y) && d->a >= 60)
			day++;
		break;
	case 'N': day = days_from_civil(y, 1, 1) + d->a; break;
	default: {
		int64_t first = days_from_civil(y, d->a, 1);
		int wd = (int)(((first + 4) % 7 + 7) % 7); /* 1970-01-01 was a Thursday */
		int64_t k = (d->c - wd + 7) % 7;           /* first matching weekday */
		day = first + k + (int64_t)(d->b - 1) * 7;
		static const int mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
		int len = mdays[d->a - 1] + (d->a == 2 && leap(y));
		while (day >= first + len)
			day -= 7; /* week 5 = the last such weekday */
		break;
	}
	}
	return day * 86400 + d->time;
}

static int64_t rule_offset(const struct orc_tz *tz, int64_t t)
{
	if (!tz->rule_dst)
		return tz->std_off;
	int64_t days = (t + tz->std_off) / 86400 - ((t + tz->std_off) % 86400 < 0);
	int64_t y = year_of(days);
	int64_t start = rule_local(&tz->start, y) - tz->std_off;
	int64_t end = rule_local(&tz->end, y) - tz->dst_off;
	bool dst = start < end ? (t >= start && t < end) : (t < end || t >= start);
	return dst ? tz->dst_off : tz->std_off;
}

int64_t orc_tz_offset(const struct orc_tz *tz, int64_t t)
{
	if (tz->utc)
		return 0;
	if (tz->n_trans == 0 || t < tz->trans[0]) {
		if (tz->n_trans == 0 && tz->has_rule)
			return rule_offset(tz, t);
		return tz->n_types ? tz->offsets[0] : 0;
	}
	if (t >= tz->trans[tz->n_trans - 1] && tz->has_rule)
		return rule_offset(tz, t);
	int lo = 0, hi = tz->n_trans - 1; /* trans[lo] <= t */
	while (lo < hi) {
		int mid = lo + (hi - lo + 1) / 2;
		if (tz->trans[mid] <= t)
			lo = mid;
		else
			hi = mid - 1;
	}
	return tz->offsets[tz->trans_type[lo]];
}

/* ---- TZif -------------------------------------------------------------------------------- */

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static bool parse_tzif(struct orc_tz *tz, const uint8_t *p, size_t n)
{
	if (n < 44 || memcmp(p, "TZif", 4) != 0)
		return false;
	int version = p[4] ? p[4] - '0' : 1;
	uint32_t c[6];
	for (int i = 0; i < 6; i++)
		c[i] = be32(p + 20 + 4 * i);
	/* isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt */
	size_t v1 = (size_t)c[3] * 5 + (size_t)c[4] * 6 + c[5] + (size_t)c[2] * 8 + c[1] + c[0];
	if (c[3] > 100000 || c[4] > 256 || c[4] == 0 || c[5] > 10000 || c[2] > 10000 ||
	    v1 > n - 44)
		return false;
	int tsize = 4;
	const uint8_t *q = p + 44;
	if (version >= 2) {
		const uint8_t *h = q + v1;
		if ((size_t)(p + n - h) < 44 || memcmp(h, "TZif", 4) != 0)
			return false;
		for (int i = 0; i < 6; i++)
			c[i] = be32(h + 20 + 4 * i);
		if (c[3] > 100000 || c[4] > 256 || c[4] == 0 || c[5] > 10000 || c[2] > 10000)
			return false;
		q = h + 44;
		tsize = 8;
	}
	size_t body = (size_t)c[3] * (size_t)(tsize + 1) + (size_t)c[4] * 6 + c[5] +
		      (size_t)c[2] * (size_t)(tsize + 4) + c[1] + c[0];
	if (body > (size_t)(p + n - q))
		return false;
	tz->n_trans = (int)c[3];
	tz->n_types = (int)c[4];
	tz->trans = tarn_malloc((size_t)(c[3] ? c[3] : 1) * sizeof *tz->trans);
	tz->trans_type = tarn_malloc(c[3] ? c[3] : 1);
	tz->offsets = tarn_malloc((size_t)c[4] * sizeof *tz->offsets);
	if (!tz->trans || !tz->trans_type || !tz->offsets)
		return false;
	for (uint32_t i = 0; i < c[3]; i++) {
		const uint8_t *t = q + (size_t)i * (size_t)tsize;
		tz->trans[i] = tsize == 8 ? (int64_t)((uint64_t)be32(t) << 32 | be32(t + 4))
					  : (int64_t)(int32_t)be32(t);
	}
	const uint8_t *idx = q + (size_t)c[3] * (size_t)tsize;
	for (uint32_t i = 0; i < c[3]; i++) {
		if (idx[i] >= c[4])
			return false;
		tz->trans_type[i] = idx[i];
	}
	const uint8_t *types = idx + c[3];
	for (uint32_t i = 0; i < c[4]; i++)
		tz->offsets[i] = (int32_t)be32(types + 6 * i);
	if (version >= 2) {
		const uint8_t *f = q + body;
		const uint8_t *end = p + n;
		if (f < end && *f == '\n') {
			const uint8_t *g = memchr(f + 1, '\n', (size_t)(end - f - 1));
			if (g && g > f + 1 && g - f < 120) {
				char rule[128];
				memcpy(rule, f + 1, (size_t)(g - f - 1));
				rule[g - f - 1] = '\0';
				/* a rule that does not parse: fall back to the
				 * last transition's offset */
				if (!parse_rule(tz, rule))
					tz->has_rule = false;
			}
		}
	}
	return true;
}

/* Java's custom ids: GMT+h, GMT+hh, GMT+hhmm, GMT+hh:mm (east-positive). */
static bool java_custom(struct orc_tz *tz, const char *name)
{
	if (strncmp(name, "GMT", 3) != 0 && strncmp(name, "UTC", 3) != 0)
		return false;
	const char *p = name + 3;
	if (*p != '+' && *p != '-')
		return false;
	int sign = *p++ == '-' ? -1 : 1;
	int h = 0, m = 0, nd = 0;
	while (isdigit((unsigned char)*p) && nd < 2)
		h = h * 10 + (*p++ - '0'), nd++;
	if (nd == 0)
		return false;
	if (*p == ':')
		p++;
	if (*p) {
		if (!isdigit((unsigned char)p[0]) || !isdigit((unsigned char)p[1]) || p[2])
			return false;
		m = (p[0] - '0') * 10 + (p[1] - '0');
	}
	if (h > 23 || m > 59)
		return false;
	tz->has_rule = true;
	tz->rule_dst = false;
	tz->std_off = sign * (h * 3600 + m * 60);
	return true;
}

static bool name_ok(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n >= 100 || name[0] == '/' || strstr(name, ".."))
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)name[i];
		if (!isalnum(ch) && ch != '/' && ch != '_' && ch != '-' && ch != '+' && ch != ':')
			return false;
	}
	return true;
}

tarn_rc orc_tz_load(const char *name, struct orc_tz **out, const char **why)
{
	*out = NULL;
	struct orc_tz *tz = tarn_calloc(1, sizeof *tz);
	if (!tz) {
		*why = "out of memory for a time zone";
		return TARN_ENOMEM;
	}
	snprintf(tz->name, sizeof tz->name, "%s", name);
	if (!*name || !strcmp(name, "UTC") || !strcmp(name, "GMT") || !strcmp(name, "Z") ||
	    !strcmp(name, "Etc/UTC") || !strcmp(name, "Etc/GMT") || !strcmp(name, "UCT")) {
		tz->utc = true;
		*out = tz;
		return TARN_OK;
	}
	if (!name_ok(name)) {
		orc_tz_free(tz);
		*why = "not a valid time zone name";
		return TARN_ENOTFOUND;
	}
	const char *dir = getenv("TZDIR");
	if (!dir || !*dir)
		dir = "/usr/share/zoneinfo";
	char path[512];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "rb");
	if (!f) {
		if (java_custom(tz, name)) {
			*out = tz;
			return TARN_OK;
		}
		orc_tz_free(tz);
		FILE *d = fopen(dir, "rb");
		if (d)
			fclose(d);
		*why = d ? "unknown time zone (no such file in the tz database)"
			 : "the system tz database (/usr/share/zoneinfo, or $TZDIR) is missing";
		return TARN_ENOTFOUND;
	}
	uint8_t *buf = tarn_malloc(TZ_FILE_MAX);
	size_t n = buf ? fread(buf, 1, TZ_FILE_MAX, f) : 0;
	fclose(f);
	if (!buf) {
		orc_tz_free(tz);
		*why = "out of memory for a time zone";
		return TARN_ENOMEM;
	}
	bool ok = parse_tzif(tz, buf, n);
	tarn_free(buf);
	if (!ok) {
		orc_tz_free(tz);
		*why = "corrupt or unsupported tz database file";
		return TARN_EDATA;
	}
	*out = tz;
	return TARN_OK;
}
