/*
 * cmd_head.c — `tarn head FILE`: the first rows as an aligned table with a
 * header row and a type row.
 *
 * Column widths come from the header, the type and the first 1,000 rows
 * shown (later rows are cut to those widths), each capped at --max-width
 * and, on a terminal, shrunk until the table fits the window. Widths count
 * UTF-8 code points. Cut cells end in '…'; control characters are shown as
 * escapes (\n, \t, \r, \xNN) so one row stays one line; nulls print as
 * "null" (dim on a colour terminal), empty strings as nothing. Numbers are
 * right-aligned and never cut (a cut number reads as a different number):
 * --max-width and terminal fitting narrow text, and a numeric column only
 * down to its widest value (its header may be cut). East Asian wide
 * characters count two columns, combining marks none. Reading stops as soon
 * as N rows are in hand.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cli/cli.h"

enum { O_ROWS = 1, O_STYLE, O_MAXW };

#define FIRST_ROWS 1000 /* rows that set the column widths */
#define MIN_COL 6       /* shrinking to fit a terminal stops here */
#define NUM_CAP 64      /* numbers are never cut below this: a cut number misleads */

static const struct cli_opt opts[] = {
	{ O_ROWS, "rows", 'n', "N", "rows to show (default 10)" },
	CLI_OPT_FROM,
	CLI_OPT_TYPES,
	CLI_OPT_INFER_ROWS,
	CLI_OPT_BAD_ROW,
	CLI_OPT_ROPT,
	CLI_OPT_FMT_READ,
	{ O_STYLE, "style", 0, "STYLE",
	  "box, or plain (space-aligned); default box on a terminal, else plain" },
	{ O_MAXW, "max-width", 0, "W", "widest a column may get, in characters (default 40)" },
	CLI_OPT_END,
};

struct table {
	int n_cols;
	size_t *width;
	size_t *floor; /* narrowest a column may get: MIN_COL, or its widest number */
	bool *right;
	bool box;
	size_t cap; /* per-column cap */
	char *raw;  /* scratch for one cell's text */
	size_t raw_cap;
};

/* Display text of s[0..n): escapes for control characters, at most maxw
 * terminal columns, the last one '…' when cut (or when `more` says s itself
 * was already cut). Invalid UTF-8 bytes show as U+FFFD. */
static char *display_text(const char *s, size_t n, size_t maxw, bool more)
{
	char *out = malloc(maxw * 4 + 8);
	if (!out)
		return NULL;
	size_t o = 0, w = 0, keep = 0; /* keep: bytes of the longest prefix of < maxw */
	bool cut = more;
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		size_t len = cli_utf8_next(s + i, n - i, &cp), ulen, uw;
		char unit[8];
		if (cp < 0x20 || cp == 0x7f) {
			if (cp == '\n' || cp == '\t' || cp == '\r')
				ulen = (size_t)snprintf(unit, sizeof unit, "\\%c",
							cp == '\n' ? 'n' : cp == '\t' ? 't' : 'r');
			else
				ulen = (size_t)snprintf(unit, sizeof unit, "\\x%02x", (unsigned)cp);
			uw = ulen;
		} else if (cp == 0xfffd && len == 1) {
			memcpy(unit, "\xef\xbf\xbd", ulen = 3);
			uw = 1;
		} else {
			memcpy(unit, s + i, ulen = len);
			uw = (size_t)cli_cp_width(cp);
		}
		if (w < maxw)
			keep = o;
		if (w + uw > maxw) {
			cut = true;
			break;
		}
		/* Room: every unit has at least as many columns as bytes / 4,
		 * except zero-width marks, which are capped by the maxw * 4 bound
		 * only loosely; stop before overflowing. */
		if (o + ulen + 4 > maxw * 4 + 8) {
			cut = true;
			break;
		}
		memcpy(out + o, unit, ulen);
		o += ulen;
		w += uw;
		i += len;
	}
	if (cut && maxw > 0) {
		if (w < maxw)
			keep = o;
		memcpy(out + keep, "\xe2\x80\xa6", 3);
		o = keep + 3;
	}
	out[o] = '\0';
	return out;
}

static char *cell_text(struct table *t, const struct tarn_batch *b, int col, int64_t row)
{
	if (tarn_batch_is_null(b, col, row))
		return NULL;
	size_t n = tarn_batch_cell_text(b, col, row, t->raw, t->raw_cap);
	/* A full buffer means the value was cut by tarn_batch_cell_text. */
	bool more = n + 8 >= t->raw_cap;
	size_t cap = t->right[col] && t->cap < NUM_CAP ? NUM_CAP : t->cap;
	char *s = display_text(t->raw, n, cap, more);
	return s ? s : strdup("");
}

static size_t text_w(const char *s)
{
	return s ? cli_text_width(s, strlen(s)) : 4; /* "null" */
}

static void put_cell(const struct table *t, const char *s, int col, bool pad_right,
		     bool is_value)
{
	size_t w = text_w(s), width = t->width[col];
	const char *show = s;
	char *owned = NULL;
	if (s && w > width && !(is_value && t->right[col])) {
		owned = display_text(s, strlen(s), width, true);
		show = owned ? owned : s;
		w = text_w(show);
	}
	if (t->right[col])
		for (size_t i = w; i < width; i++)
			fputc(' ', stdout);
	if (!show) {
		fputs(cli.color ? "\x1b[2mnull\x1b[0m" : "null", stdout);
	} else {
		fputs(show, stdout);
	}
	if (!t->right[col] && pad_right)
		for (size_t i = w; i < width; i++)
			fputc(' ', stdout);
	free(owned);
}

static void put_rule(const struct table *t, const char *l, const char *m, const char *r)
{
	fputs(l, stdout);
	for (int c = 0; c < t->n_cols; c++) {
		for (size_t i = 0; i < t->width[c] + 2; i++)
			fputs(t->box ? "─" : "-", stdout);
		fputs(c + 1 < t->n_cols ? m : r, stdout);
	}
	fputc('\n', stdout);
}

static void put_row(const struct table *t, char *const *cells, bool is_value)
{
	for (int c = 0; c < t->n_cols; c++) {
		fputs(c == 0 ? (t->box ? "│ " : "") : (t->box ? " │ " : "  "), stdout);
		/* Plain style: no trailing blanks after the last column. */
		put_cell(t, cells[c], c, t->box || c + 1 < t->n_cols, is_value);
	}
	fputs(t->box ? " │\n" : "\n", stdout);
}

static bool is_numeric(const char *type)
{
	return strncmp(type, "int", 3) == 0 || strncmp(type, "uint", 4) == 0 ||
	       strncmp(type, "float", 5) == 0 || strncmp(type, "decimal", 7) == 0 ||
	       strncmp(type, "double", 6) == 0;
}

static size_t terminal_columns(void)
{
	struct winsize ws;
	if (ioctl(1, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	const char *c = getenv("COLUMNS");
	return c && atoi(c) > 0 ? (size_t)atoi(c) : 80;
}

static void fit_terminal(struct table *t)
{
	size_t avail = terminal_columns();
	for (;;) {
		size_t total = t->box ? 1 : 0;
		int widest = -1;
		for (int c = 0; c < t->n_cols; c++) {
			total += t->width[c] + (t->box ? 3 : (c ? 2 : 0));
			/* Numbers stay whole; only their header may be cut. */
			if (t->width[c] > t->floor[c] &&
			    (widest < 0 || t->width[c] > t->width[widest]))
				widest = c;
		}
		if (total <= avail || widest < 0)
			return;
		t->width[widest]--;
	}
}

static void free_rows(char ***rows, int64_t n, int n_cols)
{
	for (int64_t i = 0; i < n; i++) {
		for (int c = 0; c < n_cols; c++)
			free(rows[i][c]);
		free(rows[i]);
	}
	free(rows);
}

/* Prints up to `limit` rows of r as a table (box: -1 = on a terminal). */
tarn_rc cli_print_table(struct tarn_reader *r, int64_t limit, int64_t maxw, int box,
			struct tarn_err *err_out)
{
	struct tarn_err err;
	tarn_err_clear(&err);
	tarn_rc rc = TARN_OK;
	const struct tarn_schema *s = tarn_reader_schema(r);
	struct table t = { .n_cols = tarn_schema_num_fields(s), .cap = (size_t)maxw };
	t.box = box >= 0 ? box != 0 : cli.stdout_tty;
	t.raw_cap = (t.cap > NUM_CAP ? t.cap : NUM_CAP) * 4 + 16;
	t.raw = malloc(t.raw_cap);
	int nc = t.n_cols ? t.n_cols : 1;
	t.width = calloc((size_t)nc, sizeof *t.width);
	t.right = calloc((size_t)nc, sizeof *t.right);
	t.floor = calloc((size_t)nc, sizeof *t.floor);
	char **names = calloc((size_t)nc, sizeof *names);
	char **types = calloc((size_t)nc, sizeof *types);
	int64_t first_cap = limit < FIRST_ROWS ? limit : FIRST_ROWS;
	char ***rows = calloc((size_t)(first_cap ? first_cap : 1), sizeof *rows);
	int64_t n_first = 0, shown = 0;
	struct tarn_batch *b = NULL;
	if (!t.raw || !t.width || !t.right || !t.floor || !names || !types || !rows) {
		rc = tarn_err_set(&err, TARN_ENOMEM, "out of memory (head)");
		goto out;
	}
	for (int c = 0; c < t.n_cols; c++) {
		const char *name = tarn_schema_field_name(s, c);
		char type[128];
		tarn_schema_field_type_text(s, c, type, sizeof type);
		names[c] = display_text(name, strlen(name), t.cap, false);
		types[c] = display_text(type, strlen(type), t.cap, false);
		if (!names[c] || !types[c]) {
			rc = tarn_err_set(&err, TARN_ENOMEM, "out of memory (head)");
			goto out;
		}
		t.right[c] = is_numeric(type);
		size_t wn = text_w(names[c]), wt = text_w(types[c]);
		t.width[c] = wn > wt ? wn : wt;
		t.floor[c] = MIN_COL;
	}
	/* Phase 1: buffer the rows that set the widths. */
	int64_t in_batch = 0;
	while (n_first < first_cap) {
		if (!b || in_batch >= tarn_batch_num_rows(b)) {
			tarn_batch_free(b);
			b = NULL;
			rc = tarn_reader_next(r, &b, &err);
			if (rc || !b)
				break;
			in_batch = 0;
			continue;
		}
		char **row = calloc((size_t)nc, sizeof *row);
		if (!row) {
			rc = tarn_err_set(&err, TARN_ENOMEM, "out of memory (head)");
			goto out;
		}
		rows[n_first++] = row;
		for (int c = 0; c < t.n_cols; c++) {
			row[c] = cell_text(&t, b, c, in_batch);
			size_t w = text_w(row[c]);
			t.width[c] = w > t.width[c] ? w : t.width[c];
			if (t.right[c] && w > t.floor[c])
				t.floor[c] = w;
		}
		in_batch++;
	}
	if (rc)
		goto out;
	if (cli.stdout_tty)
		fit_terminal(&t);
	if (t.box)
		put_rule(&t, "┌", "┬", "┐");
	put_row(&t, names, false);
	put_row(&t, types, false);
	if (t.box)
		put_rule(&t, "├", "┼", "┤");
	else
		put_rule(&t, "", "", "");
	for (; shown < n_first; shown++)
		put_row(&t, rows[shown], true);
	/* Phase 2: stream the rest at the widths already set. */
	char **one = calloc((size_t)nc, sizeof *one);
	if (!one) {
		rc = tarn_err_set(&err, TARN_ENOMEM, "out of memory (head)");
		goto out;
	}
	while (shown < limit && !ferror(stdout)) {
		if (!b || in_batch >= tarn_batch_num_rows(b)) {
			tarn_batch_free(b);
			b = NULL;
			rc = tarn_reader_next(r, &b, &err);
			if (rc || !b)
				break;
			in_batch = 0;
			continue;
		}
		for (int c = 0; c < t.n_cols; c++)
			one[c] = cell_text(&t, b, c, in_batch);
		put_row(&t, one, true);
		for (int c = 0; c < t.n_cols; c++)
			free(one[c]);
		in_batch++;
		shown++;
	}
	free(one);
	if (t.box && rc == TARN_OK)
		put_rule(&t, "└", "┴", "┘");
out:
	tarn_batch_free(b);
	free_rows(rows, n_first, t.n_cols);
	for (int c = 0; c < t.n_cols && names && types; c++) {
		free(names[c]);
		free(types[c]);
	}
	free(names);
	free(types);
	free(t.raw);
	free(t.width);
	free(t.right);
	free(t.floor);
	if (rc && err_out)
		*err_out = err;
	return rc;
}

static int run(const struct cli_cmd *cmd, const struct cli_args *a)
{
	int64_t limit = 10, maxw = 40;
	const char *v;
	if ((v = cli_get(a, O_ROWS)) && !cli_int_arg(cmd, "-n", v, 0, INT64_MAX, &limit))
		return 1;
	if ((v = cli_get(a, O_MAXW)) && !cli_int_arg(cmd, "--max-width", v, 3, 10000, &maxw))
		return 1;
	const char *style = cli_get(a, O_STYLE);
	if (style && strcmp(style, "box") != 0 && strcmp(style, "plain") != 0)
		return cli_usage(cmd, "--style: '%s' is not box or plain", style);
	struct tarn_err err;
	tarn_err_clear(&err);
	struct tarn_reader *r = NULL;
	tarn_rc rc = cli_open_reader(a, a->pos[0], &r, &err);
	if (!rc)
		rc = cli_print_table(r, limit, maxw, style ? strcmp(style, "box") == 0 : -1, &err);
	tarn_reader_close(r);
	return cli_fail(rc, &err);
}

const struct cli_cmd cli_cmd_head = {
	.name = "head",
	.summary = "show the first rows as a table",
	.synopsis = "head [-n N] [options] FILE",
	.description =
		"Prints the first N rows (default 10) as an aligned table: a header row with\n"
		"the column names, a row with their types, then the values. Long values are\n"
		"cut to --max-width characters and end in '…'; control characters are shown\n"
		"as \\n, \\t, \\xNN; nulls show as \"null\" (dim on a colour terminal). On a\n"
		"terminal the table is drawn with box characters and narrowed to fit the\n"
		"window; otherwise plain space-aligned columns. Only the rows shown are read.\n"
		"\n"
		"Examples:\n"
		"  tarn head customers.csv\n"
		"  tarn head -n 3 --style plain events.jsonl.gz\n",
	.opts = opts,
	.min_pos = 1,
	.max_pos = 1,
	.run = run,
};

tarn_rc cli_print_result(struct tarn_reader *r, struct tarn_err *err)
{
	const struct tarn_schema *s = tarn_reader_schema(r);
	if (tarn_schema_num_fields(s) != 1 ||
	    strcmp(tarn_schema_field_name(s, 0), "explain_value") != 0)
		return cli_print_table(r, INT64_MAX, 40, -1, err);
	for (;;) {
		struct tarn_batch *b = NULL;
		tarn_rc rc = tarn_reader_next(r, &b, err);
		if (rc || !b)
			return rc;
		for (int64_t i = 0; i < tarn_batch_num_rows(b); i++) {
			char buf[4096];
			size_t n = tarn_batch_cell_text(b, 0, i, buf, sizeof buf);
			fprintf(stdout, "%.*s\n", (int)(n < sizeof buf ? n : sizeof buf - 1), buf);
		}
		tarn_batch_free(b);
	}
}
