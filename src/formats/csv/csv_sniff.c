/*
 * csv_sniff.c — guessing what a CSV file is: its dialect (delimiter, quote,
 * escape, comment character), whether row 1 is a header, the columns' names
 * and types, following DuckDB's sniffer in outline (reference/formats.md
 * §2.1): dialect, then types, then header, then user overrides.
 *
 *  1. Dialect: each candidate (delimiter × quote × escape) splits the first
 *     rows of the sample; the winner has the most consistent rows, then the
 *     most columns, then comes first in preference order. Unusual
 *     delimiters (':' '^' 0x01 '~') are tried only when no common one
 *     (',' tab ';' '|') gives consistent multi-column rows.
 *  2. Types: every non-null value of the first infer-rows rows (and, for a
 *     mapped file, 1024-row samples from ten positions spread over the rest)
 *     narrows a per-column set of candidate types; the most specific survivor
 *     wins: bool, int64, decimal(18,s), float64, date, time, timestamp,
 *     string.
 *  3. Header: row 1 is a header when one of its values does not fit its
 *     column's type; when every column is a string, when its values are
 *     non-empty, unique, non-numeric and do not recur in the sample.
 *
 * This file has its own small row splitter (sniff_row) with the same rules
 * as the tokenizer in csv_tok.h; it only ever sees samples.
 *
 * Thread-safety: pure functions over their arguments.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/err.h"
#include "base/mem.h"
#include "columnar/text.h"
#include "columnar/utf8.h"
#include "formats/csv/csv_int.h"

#define DIALECT_BYTES ((size_t)256 << 10)
#define DIALECT_ROWS 1000
#define POSITION_SAMPLES 10
#define POSITION_ROWS 1024
#define LEADING_SKIP_MAX 20

/* ---- the sample row splitter ---------------------------------------------- */

struct sfield {
	size_t start, len;
	bool quoted, escaped;
};

struct srow {
	int n;   /* fields found (may exceed cap) */
	int cap; /* fields stored; grows up to max_cap on demand */
	int max_cap;
	bool nomem;
	struct sfield *f;
	size_t bad_pos; /* SR_BAD: where */
	bool bad_unterminated;
};

enum { SR_END = 0, SR_ROW = 1, SR_BAD = -1, SR_PARTIAL = -2 };

/* Splits the row at *pos. Empty lines come back as one empty field. */
static int sniff_row(const struct csv_dialect *d, const uint8_t *p, size_t end, bool complete,
		     size_t *pos, struct srow *row)
{
	size_t i = *pos;
	row->n = 0;
	if (i >= end)
		return SR_END;
	for (;;) {
		/* one field at i */
		struct sfield fl = { i, 0, false, false };
		if (d->quote && i < end && p[i] == d->quote) {
			fl.quoted = true;
			size_t j = i + 1;
			for (;;) {
				if (j >= end) {
					row->bad_pos = i;
					row->bad_unterminated = true;
					return complete ? SR_BAD : SR_PARTIAL;
				}
				uint8_t c = p[j];
				if (d->escape == CSV_ESC_BACKSLASH && c == '\\') {
					fl.escaped = true;
					j += 2;
					continue;
				}
				if (c == d->quote) {
					if (d->escape == CSV_ESC_DOUBLE && j + 1 < end &&
					    p[j + 1] == d->quote) {
						fl.escaped = true;
						j += 2;
						continue;
					}
					if (j + 1 >= end && !complete)
						return SR_PARTIAL;
					break;
				}
				j++;
			}
			fl.start = i + 1;
			fl.len = j - i - 1;
			i = j + 1;
			if (i < end && p[i] != d->delim && p[i] != '\n' && p[i] != '\r') {
				row->bad_pos = i;
				row->bad_unterminated = false;
				return SR_BAD;
			}
		} else {
			size_t j = i;
			while (j < end && p[j] != d->delim && p[j] != '\n' && p[j] != '\r')
				j++;
			fl.len = j - i;
			i = j;
		}
		if (row->n < row->cap)
			row->f[row->n] = fl;
		row->n++;
		if (i >= end) {
			if (!complete)
				return SR_PARTIAL;
			*pos = end;
			return SR_ROW;
		}
		if (p[i] == d->delim) {
			i++;
			if (i >= end) {
				if (!complete)
					return SR_PARTIAL;
				if (row->n < row->cap)
					row->f[row->n] = (struct sfield){ end, 0, false, false };
				row->n++;
				*pos = end;
				return SR_ROW;
			}
			continue;
		}
		/* line break */
		if (p[i] == '\r') {
			if (i + 1 >= end && !complete)
				return SR_PARTIAL;
			i += (i + 1 < end && p[i + 1] == '\n') ? 2 : 1;
		} else {
			i++;
		}
		*pos = i;
		return SR_ROW;
	}
}

static bool row_is_blank(const struct srow *r)
{
	return r->n == 1 && r->f[0].len == 0 && !r->f[0].quoted;
}

/* Skips comment lines at *pos; false if the sample ends inside one. */
static bool skip_comments(const struct csv_dialect *d, const uint8_t *p, size_t end, bool complete,
			  size_t *pos)
{
	while (d->comment && *pos < end && p[*pos] == d->comment) {
		size_t i = *pos;
		while (i < end && p[i] != '\n' && p[i] != '\r')
			i++;
		if (i >= end) {
			if (!complete)
				return false;
			*pos = end;
			return true;
		}
		i += (p[i] == '\r' && i + 1 < end && p[i + 1] == '\n') ? 2 : 1;
		*pos = i;
	}
	return true;
}

/* Next non-blank, non-comment row; SR_* status. */
static int next_row(const struct csv_dialect *d, const uint8_t *p, size_t end, bool complete,
		    size_t *pos, struct srow *row, size_t *row_start)
{
	for (;;) {
		if (!skip_comments(d, p, end, complete, pos))
			return SR_PARTIAL;
		*row_start = *pos;
		int st = sniff_row(d, p, end, complete, pos, row);
		if (st == SR_ROW && row->n > row->cap && row->cap < row->max_cap) {
			/* Wider than the room so far: grow and split it again. */
			int cap = row->n < row->max_cap ? row->n : row->max_cap;
			struct sfield *nf = tarn_realloc(row->f, sizeof *nf * (size_t)cap);
			if (!nf) {
				row->nomem = true;
				return SR_END;
			}
			row->f = nf;
			row->cap = cap;
			*pos = *row_start;
			st = sniff_row(d, p, end, complete, pos, row);
		}
		if (st != SR_ROW || !row_is_blank(row))
			return st;
	}
}

static size_t skip_lines(const uint8_t *p, size_t n, size_t pos, int64_t k)
{
	while (k-- > 0 && pos < n) {
		while (pos < n && p[pos] != '\n' && p[pos] != '\r')
			pos++;
		if (pos < n)
			pos += (p[pos] == '\r' && pos + 1 < n && p[pos + 1] == '\n') ? 2 : 1;
	}
	return pos;
}

static size_t skip_blank_lines(const uint8_t *p, size_t n, size_t pos)
{
	for (;;) {
		size_t i = pos;
		while (i < n && (p[i] == ' ' || p[i] == '\t'))
			i++;
		if (i < n && (p[i] == '\n' || p[i] == '\r')) {
			pos = i + ((p[i] == '\r' && i + 1 < n && p[i + 1] == '\n') ? 2 : 1);
			continue;
		}
		/* a blank line with only spaces or tabs at the very end */
		if (i >= n && i > pos)
			return n;
		return pos;
	}
}

/* ---- dialect scoring -------------------------------------------------------- */

struct dscore {
	struct csv_dialect d;
	int rows, mode_cols, mode_rows;
	bool bad;
	int order;
};

static void score_dialect(struct dscore *s, const uint8_t *p, size_t n, bool complete,
			  struct srow *row)
{
	int hist_cols[32], hist_n[32], nh = 0;
	size_t pos = 0, rs;
	s->rows = s->mode_cols = s->mode_rows = 0;
	s->bad = false;
	while (s->rows < DIALECT_ROWS) {
		int st = next_row(&s->d, p, n, complete, &pos, row, &rs);
		if (st == SR_BAD) {
			s->bad = true;
			break;
		}
		if (st != SR_ROW)
			break;
		s->rows++;
		int k;
		for (k = 0; k < nh && hist_cols[k] != row->n; k++)
			;
		if (k == nh && nh < 32) {
			hist_cols[nh] = row->n;
			hist_n[nh++] = 0;
		}
		if (k < nh)
			hist_n[k]++;
	}
	for (int k = 0; k < nh; k++) {
		if (hist_n[k] > s->mode_rows ||
		    (hist_n[k] == s->mode_rows && hist_cols[k] > s->mode_cols)) {
			s->mode_rows = hist_n[k];
			s->mode_cols = hist_cols[k];
		}
	}
}

static bool consistent(const struct dscore *s)
{
	return !s->bad && s->rows > 0 && s->mode_rows * 10 >= s->rows * 9;
}

/* True if a is a better dialect than b. */
static bool better(const struct dscore *a, const struct dscore *b)
{
	if (a->bad != b->bad)
		return !a->bad;
	bool ca = consistent(a), cb = consistent(b);
	if (ca != cb)
		return ca;
	if (ca) {
		if (a->mode_cols != b->mode_cols)
			return a->mode_cols > b->mode_cols;
		if (a->mode_rows * b->rows != b->mode_rows * a->rows)
			return (int64_t)a->mode_rows * b->rows > (int64_t)b->mode_rows * a->rows;
	} else {
		int64_t qa = (int64_t)a->mode_rows * b->rows, qb = (int64_t)b->mode_rows * a->rows;
		if (qa != qb)
			return qa > qb;
		if (a->mode_cols != b->mode_cols)
			return a->mode_cols > b->mode_cols;
	}
	return a->order < b->order;
}

static bool contains(const uint8_t *p, size_t n, uint8_t c)
{
	return memchr(p, c, n) != NULL;
}

static bool contains_pair(const uint8_t *p, size_t n, uint8_t a, uint8_t b)
{
	for (size_t i = 0; i + 1 < n; i++)
		if (p[i] == a && p[i + 1] == b)
			return true;
	return false;
}

static void sniff_dialect(const struct csv_config *cfg, const uint8_t *p, size_t n, bool complete,
			  struct srow *row, struct csv_dialect *out)
{
	static const uint8_t tier1[] = { ',', '\t', ';', '|' };
	static const uint8_t tier2[] = { ':', '^', 0x01, '~' };
	const uint8_t quotes[] = { '"', '\'', 0 };
	if (n > DIALECT_BYTES) {
		/* cut at a line end so the last row is not half a row */
		size_t cut = DIALECT_BYTES;
		while (cut < n && p[cut - 1] != '\n')
			cut++;
		if (cut < n) {
			n = cut;
			complete = true;
		}
	}
	struct dscore best = { 0 };
	bool have = false;
	int order = 0;
	uint8_t comment = cfg->have_comment ? cfg->d.comment : 0;
	for (int tier = 0; tier < 2; tier++) {
		const uint8_t *dl = tier ? tier2 : tier1;
		size_t ndl = tier ? sizeof tier2 : sizeof tier1;
		if (cfg->have_delim) {
			if (tier)
				break;
			dl = &cfg->d.delim;
			ndl = 1;
		}
		for (size_t di = 0; di < ndl; di++) {
			if (!cfg->have_delim && dl[di] != ',' && !contains(p, n, dl[di]))
				continue;
			for (size_t qi = 0; qi < sizeof quotes; qi++) {
				uint8_t q = cfg->have_quote ? cfg->d.quote : quotes[qi];
				if (cfg->have_quote && qi > 0)
					break;
				if (!cfg->have_quote && q && q != '"' && !contains(p, n, q))
					continue;
				if (q == dl[di])
					continue;
				for (int e = CSV_ESC_DOUBLE; e <= CSV_ESC_BACKSLASH; e++) {
					int esc = cfg->have_escape ? cfg->d.escape : e;
					if (cfg->have_escape && e > CSV_ESC_DOUBLE)
						break;
					if (!q && e > CSV_ESC_DOUBLE)
						break;
					if (!cfg->have_escape && esc == CSV_ESC_BACKSLASH &&
					    !contains_pair(p, n, '\\', q))
						continue;
					struct dscore s = { { dl[di], q, (uint8_t)(q ? esc : CSV_ESC_NONE),
							      comment },
							    0, 0, 0, false, order++ };
					score_dialect(&s, p, n, complete, row);
					if (!have || better(&s, &best)) {
						best = s;
						have = true;
					}
				}
			}
		}
		if (have && consistent(&best) && best.mode_cols >= 2)
			break;
	}
	if (!have) {
		best.d.delim = cfg->have_delim ? cfg->d.delim : ',';
		best.d.quote = cfg->have_quote ? cfg->d.quote : '"';
		best.d.escape = cfg->have_escape ? cfg->d.escape : CSV_ESC_DOUBLE;
	}
	/* A field that starts with '"' means the writer quoted. When quoting
	 * scored "bad" (an unterminated quote, text after a closing quote) the
	 * unquoted dialect would read the damage as data: keep the quote so the
	 * reader reports the malformed field instead of a silent wrong answer. */
	if (!cfg->have_quote && best.d.quote == 0 && n > 0 &&
	    (p[0] == '"' || contains_pair(p, n, best.d.delim, '"') ||
	     contains_pair(p, n, '\n', '"') || contains_pair(p, n, '\r', '"'))) {
		best.d.quote = '"';
		best.d.escape = cfg->have_escape ? cfg->d.escape : CSV_ESC_DOUBLE;
	}
	/* Comment lines: on when the first line starts with '#', or when
	 * treating '#' lines as comments makes the rows more consistent. */
	if (!cfg->have_comment && n > 0) {
		bool hash_line = p[0] == '#' || contains_pair(p, n, '\n', '#') ||
				 contains_pair(p, n, '\r', '#');
		if (p[0] == '#') {
			best.d.comment = '#';
		} else if (hash_line) {
			struct dscore s = best;
			s.d.comment = '#';
			score_dialect(&s, p, n, complete, row);
			if (!s.bad && (int64_t)s.mode_rows * best.rows > (int64_t)best.mode_rows * s.rows)
				best.d.comment = '#';
		}
	}
	*out = best.d;
}

/* ---- type inference ---------------------------------------------------------- */

#define C_BOOL (1u << 0)
#define C_INT (1u << 1)
#define C_DEC (1u << 2)
#define C_FLOAT (1u << 3)
#define C_TIME (1u << 4)
#define C_DATE0 5 /* + layout */
#define C_TS0 (C_DATE0 + CSV_DATE__COUNT)
#define C_DATES (((1u << CSV_DATE__COUNT) - 1) << C_DATE0)
#define C_TSS (((1u << CSV_DATE__COUNT) - 1) << C_TS0)
#define C_ALL (C_BOOL | C_INT | C_DEC | C_FLOAT | C_TIME | C_DATES | C_TSS)
#define C_NUM (C_INT | C_DEC | C_FLOAT)

struct icol {
	uint32_t cand;
	int64_t nonnull;
	int max_scale, max_int_digits;
	bool any_frac, big_int;
	int time_frac, ts_frac;
	bool ts_off, ts_nooff;
	/* timestamps that only microseconds can hold (outside 1677..2262)
	 * and ones that only nanoseconds can (nonzero digits past the 6th) */
	bool ts_us_only, ts_ns_only;
	bool saw_num, saw_text, saw_zero;
	char num_example[24], text_example[24], zero_example[24];
};

static void set_example(char *dst, size_t cap, const char *s, size_t n)
{
	if (dst[0])
		return;
	size_t k = n < cap - 1 ? n : cap - 1;
	/* Notes are shown and written as JSON (`tarn schema --json`): cut on a
	 * character boundary, and keep only valid UTF-8 and no controls. */
	if (k < n)
		while (k > 0 && ((uint8_t)s[k] & 0xc0) == 0x80)
			k--;
	memcpy(dst, s, k);
	dst[k] = '\0';
	size_t bad;
	bool valid = tarn_utf8_valid((const uint8_t *)dst, k, &bad);
	for (size_t i = 0; i < k; i++)
		if ((uint8_t)dst[i] < 0x20 || ((uint8_t)dst[i] >= 0x80 && !valid))
			dst[i] = (uint8_t)dst[i] < 0x20 ? ' ' : '?';
}

/*
 * Classifies one numeric spelling. Returns the C_* bits it satisfies
 * (0 = not a number) and its digits; *zero = it has a leading zero.
 */
static uint32_t classify_number(const char *s, size_t n, int *int_digits, int *frac_digits,
				bool *big, bool *zero)
{
	size_t i = 0;
	*zero = false;
	*big = false;
	if (i < n && (s[i] == '-' || s[i] == '+'))
		i++;
	size_t is = i;
	while (i < n && s[i] >= '0' && s[i] <= '9')
		i++;
	size_t ni = i - is;
	size_t nf = 0;
	bool dot = false, exp = false;
	if (i < n && s[i] == '.') {
		dot = true;
		i++;
		size_t fs = i;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
		nf = i - fs;
	}
	if (ni + nf == 0)
		return 0;
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		exp = true;
		i++;
		if (i < n && (s[i] == '-' || s[i] == '+'))
			i++;
		size_t es = i;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
		if (i == es)
			return 0;
	}
	if (i != n)
		return 0;
	if (ni >= 2 && s[is] == '0') {
		*zero = true;
		return 0;
	}
	if (exp)
		return C_FLOAT;
	/* a lone leading "0" of "0.5" is not a significant digit */
	int sig_int = (ni == 1 && s[is] == '0') ? 0 : (int)ni;
	*int_digits = sig_int;
	*frac_digits = (int)nf;
	if (!dot) {
		if (ni > 38)
			return 0;
		if (ni >= 19) {
			int64_t v;
			if (!tarn_parse_int64(s, n, &v))
				*big = true;
		}
		return C_INT | C_DEC | C_FLOAT;
	}
	if (sig_int + (int)nf > 38)
		return C_FLOAT;
	return C_DEC | C_FLOAT;
}

static bool is_special_float(const char *s, size_t n)
{
	if (n && (s[0] == '-' || s[0] == '+')) {
		s++;
		n--;
	}
	return (n == 3 && !strncasecmp(s, "inf", 3)) || (n == 8 && !strncasecmp(s, "infinity", 8));
}

/* Narrows column ic by one value. */
static void infer_value(struct icol *ic, const struct csv_nulls *nulls, const char *s, size_t n,
			bool quoted)
{
	if (n == 0)
		return;
	if (!quoted && csv_is_null_token(nulls, (const uint8_t *)s, n))
		return;
	ic->nonnull++;
	if (ic->cand == 0) {
		/* Settled as string: only keep classifying for the note. */
		if (ic->saw_num && ic->saw_text)
			return;
		int a, b;
		bool big, zero;
		if (classify_number(s, n, &a, &b, &big, &zero) || is_special_float(s, n)) {
			ic->saw_num = true;
			set_example(ic->num_example, sizeof ic->num_example, s, n);
		} else if (zero) {
			ic->saw_zero = true;
			set_example(ic->zero_example, sizeof ic->zero_example, s, n);
		} else {
			ic->saw_text = true;
			set_example(ic->text_example, sizeof ic->text_example, s, n);
		}
		return;
	}
	uint32_t bits = 0;
	if ((n == 4 && !strncasecmp(s, "true", 4)) || (n == 5 && !strncasecmp(s, "false", 5)))
		bits = C_BOOL;
	int idig = 0, fdig = 0;
	bool big = false, zero = false;
	if (!bits && (ic->cand & C_NUM)) {
		bits = classify_number(s, n, &idig, &fdig, &big, &zero);
		if (!bits && is_special_float(s, n))
			bits = C_FLOAT;
		if (bits & C_NUM) {
			ic->saw_num = true;
			set_example(ic->num_example, sizeof ic->num_example, s, n);
			if ((bits & C_DEC)) {
				if (fdig > ic->max_scale)
					ic->max_scale = fdig;
				if (idig > ic->max_int_digits)
					ic->max_int_digits = idig;
				if (!(bits & C_INT))
					ic->any_frac = true;
			}
			if (big)
				ic->big_int = true;
		} else if (zero) {
			ic->saw_zero = true;
			set_example(ic->zero_example, sizeof ic->zero_example, s, n);
		}
	}
	if (!bits && (ic->cand & C_TIME)) {
		int64_t v;
		if (tarn_parse_time(s, n, TARN_UNIT_NS, &v)) {
			bits |= C_TIME;
			const char *dot = memchr(s, '.', n);
			int fd = dot ? (int)(n - (size_t)(dot - s) - 1) : 0;
			if (fd > ic->time_frac)
				ic->time_frac = fd;
		}
	}
	if (!bits && (ic->cand & C_DATES)) {
		for (int l = 0; l < CSV_DATE__COUNT; l++) {
			int32_t d;
			if ((ic->cand & (1u << (C_DATE0 + l))) && csv_parse_date_layout(s, n, l, &d))
				bits |= 1u << (C_DATE0 + l);
		}
	}
	if ((ic->cand & C_TSS) && !(bits & (C_NUM | C_BOOL | C_TIME))) {
		for (int l = 0; l < CSV_DATE__COUNT; l++) {
			int64_t v;
			bool off;
			int fd;
			if (!(ic->cand & (1u << (C_TS0 + l))))
				continue;
			/* Both units: the column's unit must hold every value. */
			bool us = csv_parse_ts_layout(s, n, l, TARN_UNIT_US, &v, &off, &fd);
			bool ns = csv_parse_ts_layout(s, n, l, TARN_UNIT_NS, &v, &off, &fd);
			if (us || ns) {
				ic->ts_us_only |= !ns;
				ic->ts_ns_only |= !us;
				bits |= 1u << (C_TS0 + l);
				if (fd > ic->ts_frac)
					ic->ts_frac = fd;
				if (off)
					ic->ts_off = true;
				else
					ic->ts_nooff = true;
			}
		}
	}
	if (!bits && !zero) {
		ic->saw_text = true;
		set_example(ic->text_example, sizeof ic->text_example, s, n);
	}
	ic->cand &= bits;
}

static int lowest_layout(uint32_t bits, int shift)
{
	for (int l = 0; l < CSV_DATE__COUNT; l++)
		if (bits & (1u << (shift + l)))
			return l;
	return 0;
}

/* The type a column's candidates settle on; note gets a remark or "". */
static tarn_rc finish_type(const struct icol *ic, struct tarn_type *t, uint8_t *layout, char *note,
			   size_t note_cap)
{
	note[0] = '\0';
	*layout = 0;
	uint32_t c = ic->cand;
	if (ic->nonnull == 0) {
		tarn_type_init(t, TARN_T_STRING);
		return TARN_OK;
	}
	if (c & C_BOOL) {
		tarn_type_init(t, TARN_T_BOOL);
	} else if ((c & C_INT) && !ic->big_int) {
		tarn_type_init(t, TARN_T_INT64);
	} else if ((c & C_INT) && ic->big_int) {
		tarn_type_init_decimal(t, 38, 0);
	} else if ((c & C_DEC) && ic->max_int_digits + ic->max_scale <= 18 && !ic->big_int) {
		tarn_type_init_decimal(t, 18, ic->max_scale);
	} else if (c & C_FLOAT) {
		tarn_type_init(t, TARN_T_FLOAT64);
	} else if (c & C_DATES) {
		tarn_type_init(t, TARN_T_DATE32);
		*layout = (uint8_t)lowest_layout(c, C_DATE0);
	} else if (c & C_TIME) {
		tarn_type_init_time(t, ic->time_frac > 6 ? TARN_UNIT_NS : TARN_UNIT_US);
	} else if ((c & C_TSS) && !(ic->ts_off && ic->ts_nooff) &&
		   !(ic->ts_us_only && ic->ts_ns_only)) {
		/* ns for 7 to 9 fraction digits, unless a value lies outside
		 * the years ns can hold (1677..2262) */
		bool ns = ic->ts_ns_only || (ic->ts_frac > 6 && !ic->ts_us_only);
		TRY(tarn_type_init_timestamp(t, ns ? TARN_UNIT_NS : TARN_UNIT_US,
					     ic->ts_off ? "UTC" : NULL));
		*layout = (uint8_t)lowest_layout(c, C_TS0);
	} else {
		tarn_type_init(t, TARN_T_STRING);
		if ((c & C_TSS) && ic->ts_off && ic->ts_nooff)
			snprintf(note, note_cap,
				 "mixed timestamps with and without a zone offset; kept as string");
		else if (c & C_TSS)
			snprintf(note, note_cap,
				 "timestamps with nanoseconds and timestamps outside the years "
				 "1677..2262 that nanoseconds can hold; kept as string");
		else if (ic->saw_num && ic->saw_zero && !ic->text_example[0])
			snprintf(note, note_cap,
				 "numbers with leading zeros (e.g. '%s') next to plain numbers; kept "
				 "as string",
				 ic->zero_example);
		else if (ic->saw_num && (ic->saw_text || ic->saw_zero))
			snprintf(note, note_cap, "mixed numbers and text (e.g. '%s' and '%s'); kept as string",
				 ic->num_example,
				 ic->text_example[0] ? ic->text_example : ic->zero_example);
		else if (ic->saw_zero && !ic->text_example[0])
			snprintf(note, note_cap,
				 "numbers with leading zeros (e.g. '%s'); kept as string",
				 ic->zero_example);
	}
	return TARN_OK;
}

/* ---- the sniffer ---------------------------------------------------------------- */

struct sn {
	const struct csv_config *cfg;
	struct csv_dialect d;
	const uint8_t *p;
	size_t n;
	bool complete;
	struct srow row;
	uint8_t *tmp;
	size_t tmp_cap;
};

/* The field's text with escapes removed (in sn->tmp when needed). */
static const char *field_str(struct sn *s, const struct sfield *f, size_t *n, bool *nomem)
{
	const char *t = (const char *)s->p + f->start;
	*n = f->len;
	if (!f->escaped)
		return t;
	if (f->len + 1 > s->tmp_cap) {
		size_t cap = f->len + 64;
		uint8_t *np = tarn_realloc(s->tmp, cap);
		if (!np) {
			*nomem = true;
			*n = 0;
			return t;
		}
		s->tmp = np;
		s->tmp_cap = cap;
	}
	*n = csv_unescape((const uint8_t *)t, f->len, &s->d, s->tmp);
	return (const char *)s->tmp;
}

static tarn_rc infer_row(struct sn *s, struct icol *ic, int ncols)
{
	int k = s->row.n < ncols ? s->row.n : ncols;
	for (int c = 0; c < k; c++) {
		const struct sfield *f = &s->row.f[c];
		bool nomem = false;
		size_t n;
		const char *t = field_str(s, f, &n, &nomem);
		if (nomem)
			return TARN_ENOMEM;
		infer_value(&ic[c], &s->cfg->nulls, t, n, f->quoted);
	}
	return TARN_OK;
}

/* A column with a type other than string (candidates left). */
static bool typed(const struct icol *ic)
{
	return ic->nonnull > 0 && ic->cand != 0;
}

/* Would the value leave the typed column a string? (The header test: a
 * value that merely widens, like 1.5 in an integer column, is data.) */
static bool fits(const struct icol *settled, const struct csv_nulls *nulls, const char *s,
		 size_t n, bool quoted)
{
	struct icol probe = *settled;
	infer_value(&probe, nulls, s, n, quoted);
	return probe.cand != 0;
}

static bool looks_numeric(const char *s, size_t n)
{
	int a, b;
	bool big, zero;
	return classify_number(s, n, &a, &b, &big, &zero) != 0 || zero || is_special_float(s, n);
}

struct saved_field {
	char *s;
	size_t n;
	bool quoted;
};

static void free_saved(struct saved_field *v, int n)
{
	if (!v)
		return;
	for (int i = 0; i < n; i++)
		tarn_free(v[i].s);
	tarn_free(v);
}

/* Header heuristic for all-string files: row-1 values non-empty, unique,
 * non-numeric, and none recurs in its column in the sample. */
static bool string_header(struct sn *s, const struct saved_field *h, int ncols, size_t data_pos)
{
	for (int c = 0; c < ncols; c++) {
		if (h[c].n == 0 || looks_numeric(h[c].s, h[c].n))
			return false;
		for (int k = 0; k < c; k++)
			if (h[k].n == h[c].n && !memcmp(h[k].s, h[c].s, h[c].n))
				return false;
	}
	size_t pos = data_pos, rs;
	for (int r = 0; r < 2000; r++) {
		int st = next_row(&s->d, s->p, s->n, s->complete, &pos, &s->row, &rs);
		if (st != SR_ROW)
			break;
		int k = s->row.n < ncols ? s->row.n : ncols;
		for (int c = 0; c < k; c++) {
			bool nomem = false;
			size_t n;
			const char *t = field_str(s, &s->row.f[c], &n, &nomem);
			if (!nomem && n == h[c].n && !memcmp(t, h[c].s, n))
				return false;
		}
	}
	return true;
}

static tarn_rc dedup_names(struct csv_sniffed *out, const char *name, bool replace,
			   struct tarn_err *err)
{
	for (int c = 0; c < out->ncols; c++) {
		size_t bad;
		char *nm = out->names[c];
		size_t len = strlen(nm);
		if (!tarn_utf8_valid((const uint8_t *)nm, len, &bad)) {
			if (!replace)
				return tarn_err_set(err, TARN_EDATA,
						    "%s:1: invalid UTF-8 in the name of column %d; use "
						    "utf8=replace to substitute U+FFFD",
						    name, c + 1);
			for (size_t i = 0; i < len; i++)
				if ((uint8_t)nm[i] >= 0x80)
					nm[i] = '?';
		}
		if (!nm[0]) {
			char buf[32];
			snprintf(buf, sizeof buf, "column%d", c);
			tarn_free(nm);
			out->names[c] = nm = tarn_strdup(buf);
			if (!nm)
				return tarn_err_nomem(err, "CSV header");
		}
	}
	/* Duplicates get _1, _2, ... (quadratic, but only over the header). */
	for (int c = 1; c < out->ncols; c++) {
		for (int k = 0; k < c; k++) {
			if (strcmp(out->names[k], out->names[c]) != 0)
				continue;
			size_t len = strlen(out->names[c]);
			char *nn = tarn_malloc(len + 16);
			if (!nn)
				return tarn_err_nomem(err, "CSV header");
			for (int suf = 1;; suf++) {
				snprintf(nn, len + 16, "%s_%d", out->names[c], suf);
				bool used = false;
				for (int j = 0; j < out->ncols && !used; j++)
					used = j != c && !strcmp(out->names[j], nn);
				if (!used)
					break;
			}
			tarn_free(out->names[c]);
			out->names[c] = nn;
			k = -1; /* recheck against all earlier names */
		}
	}
	return TARN_OK;
}

void csv_sniffed_free(struct csv_sniffed *s)
{
	for (int c = 0; c < s->ncols; c++) {
		if (s->names)
			tarn_free(s->names[c]);
		if (s->types)
			tarn_type_clear(&s->types[c]);
		if (s->notes)
			tarn_free(s->notes[c]);
	}
	tarn_free(s->names);
	tarn_free(s->types);
	tarn_free(s->notes);
	tarn_free(s->layouts);
	memset(s, 0, sizeof *s);
}

/* Infers from rows starting at pos; stops after max_rows (< 0: all). With
 * strict, a sample whose rows do not all have ncols fields is discarded. */
static tarn_rc infer_span(struct sn *s, struct icol *ic, int ncols, size_t pos, int64_t max_rows,
			  bool strict, size_t end, int64_t *rows_out, size_t *end_pos)
{
	size_t rs;
	int64_t rows = 0;
	struct icol *work = ic;
	struct icol *copy = NULL;
	if (strict) {
		copy = tarn_malloc(sizeof *copy * (size_t)ncols);
		if (!copy)
			return TARN_ENOMEM;
		memcpy(copy, ic, sizeof *copy * (size_t)ncols);
		work = copy;
	}
	size_t save_n = s->n;
	bool save_c = s->complete;
	if (end < s->n) {
		s->n = end;
		s->complete = false;
	}
	tarn_rc rc = TARN_OK;
	while (max_rows < 0 || rows < max_rows) {
		int st = next_row(&s->d, s->p, s->n, s->complete, &pos, &s->row, &rs);
		if (st == SR_BAD && strict) {
			rows = -1;
			break;
		}
		if (st != SR_ROW)
			break;
		if (strict && s->row.n != ncols) {
			rows = -1;
			break;
		}
		rc = infer_row(s, work, ncols);
		if (rc)
			break;
		rows++;
	}
	s->n = save_n;
	s->complete = save_c;
	if (strict) {
		if (rc == TARN_OK && rows > 0)
			memcpy(ic, copy, sizeof *copy * (size_t)ncols);
		tarn_free(copy);
	}
	*rows_out = rows < 0 ? 0 : rows;
	if (end_pos)
		*end_pos = pos;
	return rc;
}

/* Line and column (1-based) of offset pos in the sample, for messages. */
static void line_col(const uint8_t *p, size_t pos, long long *line, long long *col)
{
	*line = 1 + csv_count_lines(p, 0, pos, NULL);
	size_t ls = pos;
	while (ls > 0 && p[ls - 1] != '\n' && p[ls - 1] != '\r')
		ls--;
	*col = (long long)(pos - ls) + 1;
}

static tarn_rc row1_error(const struct sn *s, int st, const char *name, struct tarn_err *err)
{
	long long line, col;
	if (st == SR_PARTIAL)
		return tarn_err_set(err, TARN_ELIMIT,
				    "%s: the first row does not end within the first %zu bytes; "
				    "raise max-row-size or check the quote and delimiter options",
				    name, s->n);
	line_col(s->p, s->row.bad_pos, &line, &col);
	if (s->row.bad_unterminated)
		return tarn_err_set(err, TARN_EDATA,
				    "%s: unterminated quoted field starting at line %lld, column %lld",
				    name, line, col);
	return tarn_err_set(err, TARN_EDATA,
			    "%s:%lld:%lld: unexpected character '%c' after the closing quote of a "
			    "quoted field (a quote inside a quoted field must be doubled)",
			    name, line, col,
			    s->p[s->row.bad_pos] >= 0x20 && s->p[s->row.bad_pos] < 0x7f
				    ? s->p[s->row.bad_pos]
				    : '?');
}

/* Do the rows after the first end with an empty field (a delimiter at the
 * end of the line)? */
static bool trailing_delims(struct sn *s, size_t pos)
{
	size_t q = pos, qrs;
	int rows = 0, trailing = 0;
	if (next_row(&s->d, s->p, s->n, s->complete, &q, &s->row, &qrs) != SR_ROW)
		return false;
	while (rows < 64 && next_row(&s->d, s->p, s->n, s->complete, &q, &s->row, &qrs) == SR_ROW) {
		rows++;
		int last = s->row.n - 1;
		trailing += last < s->row.cap && s->row.f[last].len == 0 && !s->row.f[last].quoted;
	}
	return rows > 0 && trailing * 10 >= rows * 9;
}

/* Titles above the table: leading rows whose width differs from the
 * consistent rest are skipped (at most LEADING_SKIP_MAX). Returns the
 * offset of the first row to use. */
static size_t skip_title_rows(struct sn *s, size_t pos)
{
	int widths[64];
	size_t starts[64];
	int nw = 0;
	size_t q = pos, qrs;
	while (nw < 64 && next_row(&s->d, s->p, s->n, s->complete, &q, &s->row, &qrs) == SR_ROW) {
		widths[nw] = s->row.n;
		starts[nw] = qrs;
		nw++;
	}
	if (nw < 5)
		return pos;
	int mode = 0, best = 0;
	for (int k = 1; k < nw; k++) {
		int c = 0;
		for (int j = 1; j < nw; j++)
			c += widths[j] == widths[k];
		if (c > best) {
			best = c;
			mode = widths[k];
		}
	}
	/* Titles are narrower than the table. A first row one field short of
	 * rows that end in a delimiter is a header, not a title: keep it. */
	if (widths[0] >= mode || mode < 2 || best * 10 < (nw - 1) * 9 ||
	    (widths[0] == mode - 1 && trailing_delims(s, pos)))
		return pos;
	for (int k = 0; k < nw && k < LEADING_SKIP_MAX; k++)
		if (widths[k] == mode)
			return starts[k];
	return pos;
}

tarn_rc csv_sniff(const struct csv_config *cfg, const struct csv_sample *smp, const char *name,
		  struct csv_sniffed *out, struct tarn_err *err)
{
	memset(out, 0, sizeof *out);
	struct sn s = { 0 };
	s.cfg = cfg;
	s.p = smp->p;
	s.n = smp->n;
	s.complete = smp->complete;
	s.row.cap = 64;
	s.row.max_cap = cfg->max_columns + 1;
	s.row.f = tarn_malloc(sizeof *s.row.f * (size_t)s.row.cap);
	struct icol *ic = NULL;
	struct saved_field *hdr = NULL;
	int ncols = 0;
	tarn_rc rc = TARN_OK;
	if (!s.row.f)
		return tarn_err_nomem(err, "CSV sniffer");

	/* BOM, preamble lines, blank lines. */
	size_t pos = 0;
	if (s.n >= 3 && s.p[0] == 0xef && s.p[1] == 0xbb && s.p[2] == 0xbf)
		pos = 3;
	pos = skip_lines(s.p, s.n, pos, cfg->skip_rows);
	pos = skip_blank_lines(s.p, s.n, pos);

	sniff_dialect(cfg, s.p + pos, s.n - pos, s.complete, &s.row, &s.d);
	out->d = s.d;
	if (cfg->skip_rows == 0 && cfg->header != 1)
		pos = skip_title_rows(&s, pos);

	/* Row 1: the header or the first data row. */
	size_t rs = pos, p1 = pos;
	int st = next_row(&s.d, s.p, s.n, s.complete, &p1, &s.row, &rs);
	if (st != SR_ROW) {
		out->data_start = st == SR_END ? s.n : rs;
		if (st == SR_BAD || (st == SR_PARTIAL && !s.complete))
			rc = row1_error(&s, st, name, err);
		goto out;
	}
	if (s.row.n > cfg->max_columns) {
		rc = tarn_err_set(err, TARN_ELIMIT,
				  "%s: the first row has more than %d fields (max-columns)", name,
				  cfg->max_columns);
		goto out;
	}
	hdr = tarn_calloc((size_t)s.row.n, sizeof *hdr);
	ic = tarn_calloc((size_t)s.row.n, sizeof *ic);
	if (!hdr || !ic) {
		rc = tarn_err_nomem(err, "CSV sniffer");
		goto out;
	}
	ncols = s.row.n;
	for (int c = 0; c < ncols; c++) {
		bool nomem = false;
		size_t n;
		const char *t = field_str(&s, &s.row.f[c], &n, &nomem);
		hdr[c].s = nomem ? NULL : tarn_strndup(t, n);
		hdr[c].n = n;
		hdr[c].quoted = s.row.f[c].quoted;
		if (!hdr[c].s) {
			rc = tarn_err_nomem(err, "CSV sniffer");
			goto out;
		}
		ic[c].cand = C_ALL;
	}
	size_t row1_start = rs, after1 = p1;

	/* Types from the rows after row 1. */
	int64_t rows = 0;
	int64_t want = cfg->infer_rows > 0 ? cfg->infer_rows : -1;
	size_t span_end = after1;
	if (infer_span(&s, ic, ncols, after1, want, false, s.n, &rows, &span_end)) {
		rc = tarn_err_nomem(err, "CSV sniffer");
		goto out;
	}
	out->rows_seen = rows;
	out->avg_row = (double)(span_end - row1_start) / (double)(rows + 1);
	if (smp->mapped && want > 0 && rows == want && s.n > DIALECT_BYTES * 4) {
		/* More rows from positions spread over the rest of the file. A
		 * position's quote state is unknown (and guessing it from quote
		 * toggles can stay wrong for the rest of the file), so the sample
		 * starts after the next line break and is dropped unless every row
		 * splits into ncols fields. */
		for (int k = 1; k <= POSITION_SAMPLES; k++) {
			size_t at = (size_t)((double)s.n * k / (POSITION_SAMPLES + 1));
			size_t q = skip_lines(s.p, s.n, at, 2);
			if (q >= s.n)
				break;
			int64_t got = 0;
			if (infer_span(&s, ic, ncols, q, POSITION_ROWS, true, s.n, &got, NULL)) {
				rc = tarn_err_nomem(err, "CSV sniffer");
				goto out;
			}
			out->rows_seen += got;
		}
	}

	/* Header decision. */
	bool header;
	if (cfg->header >= 0) {
		header = cfg->header == 1;
	} else {
		bool any_typed = false, rejected = false;
		for (int c = 0; c < ncols; c++) {
			if (!typed(&ic[c]))
				continue;
			any_typed = true;
			if (!fits(&ic[c], &cfg->nulls, hdr[c].s, hdr[c].n, hdr[c].quoted))
				rejected = true;
		}
		if (any_typed)
			header = rejected;
		else
			header = string_header(&s, hdr, ncols, after1);
	}
	out->header = header;
	out->data_start = header ? after1 : row1_start;
	if (!header)
		for (int c = 0; c < ncols; c++)
			infer_value(&ic[c], &cfg->nulls, hdr[c].s, hdr[c].n, hdr[c].quoted);

	out->ncols = ncols;
	out->names = tarn_calloc((size_t)ncols, sizeof *out->names);
	out->types = tarn_calloc((size_t)ncols, sizeof *out->types);
	out->notes = tarn_calloc((size_t)ncols, sizeof *out->notes);
	out->layouts = tarn_calloc((size_t)ncols, 1);
	if (!out->names || !out->types || !out->notes || !out->layouts) {
		rc = tarn_err_nomem(err, "CSV sniffer");
		goto out;
	}
	for (int c = 0; c < ncols; c++) {
		char buf[32];
		if (header) {
			out->names[c] = hdr[c].s;
			hdr[c].s = NULL;
		} else {
			snprintf(buf, sizeof buf, "column%d", c);
			out->names[c] = tarn_strdup(buf);
		}
		if (!out->names[c]) {
			rc = tarn_err_nomem(err, "CSV sniffer");
			goto out;
		}
		char note[200];
		if (finish_type(&ic[c], &out->types[c], &out->layouts[c], note, sizeof note)) {
			rc = tarn_err_nomem(err, "CSV sniffer");
			goto out;
		}
		if (note[0] && !(out->notes[c] = tarn_strdup(note))) {
			rc = tarn_err_nomem(err, "CSV sniffer");
			goto out;
		}
	}
	rc = dedup_names(out, name, cfg->utf8_replace, err);
out:
	if (rc == TARN_OK && s.row.nomem)
		rc = tarn_err_nomem(err, "CSV sniffer");
	free_saved(hdr, ncols);
	tarn_free(ic);
	tarn_free(s.row.f);
	tarn_free(s.tmp);
	if (rc) {
		size_t ds = out->data_start;
		csv_sniffed_free(out);
		out->data_start = ds;
	}
	return rc;
}

/* ---- format detection ----------------------------------------------------------- */

int csv_sniff_confidence(const uint8_t *p, size_t n, uint8_t want_delim)
{
	if (n == 0)
		return 0;
	size_t i = 0;
	if (n >= 3 && p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf)
		i = 3;
	/* text only */
	size_t ctrl = 0;
	for (size_t k = i; k < n; k++) {
		uint8_t c = p[k];
		if (c == 0)
			return 0;
		if (c < 0x20 && c != '\n' && c != '\r' && c != '\t' && c != 0x01)
			ctrl++;
	}
	if (ctrl * 100 > n)
		return 0;
	while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n'))
		i++;
	if (i < n && (p[i] == '{' || p[i] == '['))
		return 5; /* JSON's to claim */
	/* Count delimiters per line over the first lines. */
	static const uint8_t cands[] = { ',', '\t', ';', '|' };
	int best = -1, best_score = 0;
	for (size_t ci = 0; ci < sizeof cands; ci++) {
		int lines = 0, same = 0, first = -1;
		int cnt = 0;
		bool inq = false;
		for (size_t k = i; k < n && lines < 50; k++) {
			uint8_t c = p[k];
			if (c == '"')
				inq = !inq;
			else if (!inq && c == cands[ci])
				cnt++;
			else if (!inq && c == '\n') {
				if (first < 0)
					first = cnt;
				else
					same += cnt == first;
				lines++;
				cnt = 0;
			}
		}
		if (first > 0) {
			int score = 1 + (lines > 1 ? same * 100 / (lines - 1) : 50);
			if (score > best_score) {
				best_score = score;
				best = (int)ci;
			}
		}
	}
	if (best < 0)
		return want_delim == ',' ? 10 : 0; /* one column of text */
	bool match = cands[best] == want_delim || (want_delim == ',' && cands[best] != '\t');
	if (!match)
		return 15;
	return best_score >= 90 ? 60 : 40;
}
