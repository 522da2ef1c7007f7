/*
 * cli.c — argument parsing, help rendering, error reporting and small
 * formatting helpers shared by every subcommand (see cli.h).
 *
 * Options are table-driven: a command's `struct cli_opt` table both parses
 * its arguments and produces its --help text, so the two cannot drift.
 * Accepted spellings: --name VALUE, --name=VALUE, -x VALUE, -xVALUE, flag
 * clusters (-qh), and "--" to end options. "-" alone is a positional
 * argument (stdin/stdout).
 */
#include "cli/cli.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct cli_state cli;

const char cli_exit_codes_help[] =
	"Exit status:\n"
	"  0   success\n"
	"  1   usage error: bad arguments, options or option values\n"
	"  2   bad input data: malformed file, or a safety limit was hit\n"
	"  3   I/O error: reading or writing a file failed\n"
	"  4   out of memory\n"
	"  5   unsupported: valid input using a feature tarn lacks\n"
	"  6   not found: a named file, column or format does not exist\n"
	"  70  internal error: a bug in tarn (please report it)\n";

/* ---- reporting ------------------------------------------------------------- */

int cli_usage(const struct cli_cmd *cmd, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("tarn: ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (cmd)
		fprintf(stderr, "\nRun 'tarn %s --help' for its usage.\n", cmd->name);
	else
		fputs("\nRun 'tarn --help' for usage.\n", stderr);
	return 1;
}

/* A pipe or socket on stdout whose reader is gone: writes fail with EPIPE
 * (SIGPIPE is ignored) and poll reports an error condition. */
static bool stdout_pipe_closed(void)
{
	struct stat st;
	if (fstat(1, &st) != 0 || !(S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)))
		return false;
	struct pollfd p = { .fd = 1, .events = POLLOUT };
	return poll(&p, 1, 0) > 0 && (p.revents & (POLLERR | POLLHUP));
}

int cli_fail(tarn_rc rc, const struct tarn_err *err)
{
	if (rc == TARN_OK)
		return 0;
	if (rc == TARN_EIO && stdout_pipe_closed())
		return 0;
	fflush(stdout);
	fprintf(stderr, "tarn: %s\n", err && err->msg[0] ? err->msg : tarn_rc_name(rc));
	return tarn_rc_exit_code(rc);
}

int cli_finish_stdout(int status)
{
	if (fflush(stdout) == 0 && !ferror(stdout))
		return status;
	if (errno == EPIPE || stdout_pipe_closed())
		return status;
	if (status == 0) {
		fprintf(stderr, "tarn: cannot write to standard output: %s\n", strerror(errno));
		return tarn_rc_exit_code(TARN_EIO);
	}
	return status;
}

const char *cli_suggest(const char *word, const char *const *names, int n)
{
	const char *best = NULL;
	int bd = 3;
	for (int i = 0; i < n; i++) {
		if (!names[i])
			continue;
		int d = tarn_edit_distance(word, names[i], false);
		/* A prefix ("conv") is as good a hint as a typo. */
		if (strncmp(names[i], word, strlen(word)) == 0 && strlen(word) >= 2)
			d = d < 1 ? d : 1;
		if (d < bd) {
			bd = d;
			best = names[i];
		}
	}
	return best;
}

bool cli_int_arg(const struct cli_cmd *cmd, const char *opt, const char *text, int64_t lo,
		 int64_t hi, int64_t *out)
{
	char *end;
	errno = 0;
	long long v = strtoll(text, &end, 10);
	if (!*text || *end || errno == ERANGE || v < lo || v > hi) {
		if (hi == INT64_MAX)
			cli_usage(cmd, "%s: '%s' is not a whole number >= %lld", opt, text,
				  (long long)lo);
		else
			cli_usage(cmd, "%s: '%s' is not a whole number from %lld to %lld", opt,
				  text, (long long)lo, (long long)hi);
		return false;
	}
	*out = v;
	return true;
}

/* ---- formatting -------------------------------------------------------------- */

const char *cli_fmt_count(int64_t n, char *buf, size_t cap)
{
	char digits[32];
	uint64_t u = n < 0 ? (uint64_t)0 - (uint64_t)n : (uint64_t)n;
	int k = snprintf(digits, sizeof digits, "%llu", (unsigned long long)u);
	size_t o = 0;
	if (n < 0 && o + 1 < cap)
		buf[o++] = '-';
	for (int i = 0; i < k && o + 1 < cap; i++) {
		if (i > 0 && (k - i) % 3 == 0 && o + 2 < cap)
			buf[o++] = ',';
		buf[o++] = digits[i];
	}
	buf[o] = '\0';
	return buf;
}

const char *cli_fmt_bytes(int64_t n, char *buf, size_t cap)
{
	static const char *const units[] = { "kB", "MB", "GB", "TB", "PB" };
	if (n < 1000) {
		snprintf(buf, cap, "%lld B", (long long)n);
		return buf;
	}
	double v = (double)n;
	int u = -1;
	while (v >= 1000 && u < 4) {
		v /= 1000;
		u++;
	}
	snprintf(buf, cap, v < 10 ? "%.2f %s" : v < 100 ? "%.1f %s" : "%.0f %s", v, units[u]);
	return buf;
}

size_t cli_utf8_next(const char *p, size_t n, uint32_t *cp)
{
	const unsigned char *u = (const unsigned char *)p;
	size_t len = u[0] < 0x80 ? 1 : u[0] >= 0xf0 && u[0] < 0xf5 ? 4 : u[0] >= 0xe0 ? 3
		   : u[0] >= 0xc2 ? 2 : 0;
	if (len == 1) {
		*cp = u[0];
		return 1;
	}
	if (len == 0 || len > n)
		goto bad;
	uint32_t c = u[0] & (0x7f >> len);
	for (size_t i = 1; i < len; i++) {
		if ((u[i] & 0xc0) != 0x80)
			goto bad;
		c = (c << 6) | (u[i] & 0x3f);
	}
	*cp = c;
	return len;
bad:
	*cp = 0xfffd;
	return 1;
}

int cli_cp_width(uint32_t cp)
{
	/* Combining marks (the common blocks). */
	if ((cp >= 0x300 && cp <= 0x36f) || (cp >= 0x1ab0 && cp <= 0x1aff) ||
	    (cp >= 0x1dc0 && cp <= 0x1dff) || (cp >= 0x20d0 && cp <= 0x20ff) ||
	    (cp >= 0xfe20 && cp <= 0xfe2f) || cp == 0x200b || cp == 0x200d)
		return 0;
	/* East Asian Wide and Fullwidth (Unicode UAX #11), the main ranges. */
	if ((cp >= 0x1100 && cp <= 0x115f) || (cp >= 0x2e80 && cp <= 0x303e) ||
	    (cp >= 0x3041 && cp <= 0x33ff) || (cp >= 0x3400 && cp <= 0x4dbf) ||
	    (cp >= 0x4e00 && cp <= 0x9fff) || (cp >= 0xa000 && cp <= 0xa4cf) ||
	    (cp >= 0xac00 && cp <= 0xd7a3) || (cp >= 0xf900 && cp <= 0xfaff) ||
	    (cp >= 0xfe30 && cp <= 0xfe4f) || (cp >= 0xff00 && cp <= 0xff60) ||
	    (cp >= 0xffe0 && cp <= 0xffe6) || (cp >= 0x1f300 && cp <= 0x1f64f) ||
	    (cp >= 0x1f900 && cp <= 0x1f9ff) || (cp >= 0x20000 && cp <= 0x3fffd))
		return 2;
	return 1;
}

size_t cli_text_width(const char *s, size_t n)
{
	size_t w = 0;
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		i += cli_utf8_next(s + i, n - i, &cp);
		w += (size_t)cli_cp_width(cp);
	}
	return w;
}

void cli_put_padded(FILE *f, const char *s, size_t width)
{
	fputs(s, f);
	for (size_t w = cli_text_width(s, strlen(s)); w < width; w++)
		fputc(' ', f);
}

void cli_json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"': fputs("\\\"", f); break;
		case '\\': fputs("\\\\", f); break;
		case '\n': fputs("\\n", f); break;
		case '\r': fputs("\\r", f); break;
		case '\t': fputs("\\t", f); break;
		default:
			if (*p < 0x20)
				fprintf(f, "\\u%04x", *p);
			else
				fputc(*p, f);
		}
	}
	fputc('"', f);
}

double cli_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---- help ---------------------------------------------------------------------- */

static void print_opts(FILE *f, const struct cli_opt *opts)
{
	for (const struct cli_opt *o = opts; o && o->id; o++) {
		char lhs[64];
		int k = 0;
		if (o->short_name)
			k = snprintf(lhs, sizeof lhs, "-%c, ", o->short_name);
		else
			k = snprintf(lhs, sizeof lhs, "    ");
		snprintf(lhs + k, sizeof lhs - (size_t)k, "--%s%s%s", o->name, o->arg ? " " : "",
			 o->arg ? o->arg : "");
		if (strlen(lhs) > 24)
			fprintf(f, "  %s\n  %-24s  %s\n", lhs, "", o->help);
		else
			fprintf(f, "  %-24s  %s\n", lhs, o->help);
	}
}

void cli_print_cmd_help(const struct cli_cmd *cmd, FILE *f)
{
	fprintf(f, "usage: tarn %s\n\n%s — %s\n", cmd->synopsis, cmd->name, cmd->summary);
	if (cmd->description && cmd->description[0])
		fprintf(f, "\n%s", cmd->description);
	if (cmd->opts && cmd->opts->id) {
		fputs("\nOptions:\n", f);
		print_opts(f, cmd->opts);
	}
	fputs("\nGlobal options:\n", f);
	print_opts(f, cli_global_opts);
	fputs("\n", f);
	fputs(cli_exit_codes_help, f);
}

void cli_print_main_help(FILE *f)
{
	fprintf(f,
		"tarn %s — machine-learning data tool: convert, inspect and sample tables\n\n"
		"usage: tarn [global options] COMMAND [ARGS...]\n\nCommands:\n",
		TARN_VERSION);
	for (int i = 0; cli_commands[i]; i++)
		fprintf(f, "  %-10s %s\n", cli_commands[i]->name, cli_commands[i]->summary);
	fputs("\nGlobal options (accepted before or after the command):\n", f);
	print_opts(f, cli_global_opts);
	fputs("\n", f);
	fputs(cli_exit_codes_help, f);
	fputs("\nRun 'tarn COMMAND --help' for a command's options and 'tarn formats' for the\n"
	      "file formats and their options. Documentation: docs/cli.md.\n",
	      f);
}

/* ---- parsing --------------------------------------------------------------------- */

int cli_apply_global(const struct cli_opt *o, const char *value, const struct cli_cmd *cmd)
{
	switch (o->id) {
	case CLI_G_QUIET:
		cli.quiet = true;
		return 0;
	case CLI_G_THREADS: {
		int64_t n;
		if (!cli_int_arg(cmd, "--threads", value, 0, 4096, &n))
			return 1;
		tarn_config_set_threads((int)n);
		return 0;
	}
	default:
		return 0;
	}
}

static const struct cli_opt *find_long(const struct cli_opt *t, const char *name, size_t n)
{
	for (; t && t->id; t++)
		if (strlen(t->name) == n && strncmp(t->name, name, n) == 0)
			return t;
	return NULL;
}

static const struct cli_opt *find_short(const struct cli_opt *t, char c)
{
	for (; t && t->id; t++)
		if (t->short_name && t->short_name == c)
			return t;
	return NULL;
}

static int unknown_option(const struct cli_cmd *cmd, const char *arg, size_t n)
{
	/* Collect every long name this command accepts for the hint. */
	const char *names[128] = { 0 };
	char word[64];
	int k = 0;
	for (const struct cli_opt *t = cmd ? cmd->opts : NULL; t && t->id && k < 100; t++)
		names[k++] = t->name;
	for (const struct cli_opt *t = cli_global_opts; t->id && k < 128; t++)
		names[k++] = t->name;
	snprintf(word, sizeof word, "%.*s", (int)(n < 63 ? n : 63), arg);
	const char *s = word[0] == '-' && word[1] == '-' ? cli_suggest(word + 2, names, k) : NULL;
	const char *where = cmd ? cmd->name : NULL;
	if (s)
		return cli_usage(cmd, "unknown option '%s'%s%s (did you mean '--%s'?)", word,
				 where ? " for " : "", where ? where : "", s);
	return cli_usage(cmd, "unknown option '%s'%s%s", word, where ? " for " : "",
			 where ? where : "");
}

/* A global option after the command: 0 go on, 1 done (printed), -1 error. */
static int global_in_cmd(const struct cli_opt *o, const char *value, const struct cli_cmd *cmd)
{
	if (o->id == CLI_G_VERSION) {
		printf("tarn %s\n", TARN_VERSION);
		return 1;
	}
	return cli_apply_global(o, value, cmd) ? -1 : 0;
}

/* Pre-scan for --help/-h so help wins over any other error on the line. */
static bool wants_help(int argc, char **argv)
{
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			return false;
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return true;
	}
	return false;
}

int cli_args_parse(const struct cli_cmd *cmd, int argc, char **argv, struct cli_args *a)
{
	memset(a, 0, sizeof *a);
	if (wants_help(argc, argv)) {
		cli_print_cmd_help(cmd, stdout);
		return 1;
	}
	a->cmd = cmd;
	a->pos = malloc(sizeof *a->pos * (size_t)(argc + 1));
	a->set = malloc(sizeof *a->set * (size_t)(argc + 1));
	if (!a->pos || !a->set) {
		cli_args_free(a);
		fputs("tarn: out of memory\n", stderr);
		return -1;
	}
	bool only_pos = false;
	for (int i = 0; i < argc; i++) {
		const char *s = argv[i];
		if (!only_pos && strcmp(s, "--") == 0) {
			only_pos = true;
			continue;
		}
		if (only_pos || s[0] != '-' || s[1] == '\0') {
			a->pos[a->n_pos++] = s;
			continue;
		}
		const struct cli_opt *o;
		const char *value = NULL;
		if (s[1] == '-') {
			const char *name = s + 2, *eq = strchr(name, '=');
			size_t n = eq ? (size_t)(eq - name) : strlen(name);
			o = find_long(cmd->opts, name, n);
			if (!o)
				o = find_long(cli_global_opts, name, n);
			if (!o) {
				cli_args_free(a);
				return -unknown_option(cmd, s, eq ? (size_t)(eq - s) : strlen(s));
			}
			if (o->arg) {
				if (eq) {
					value = eq + 1;
				} else if (i + 1 < argc) {
					value = argv[++i];
				} else {
					cli_args_free(a);
					return -cli_usage(cmd, "option --%s needs a value (%s)",
							  o->name, o->arg);
				}
			} else if (eq) {
				cli_args_free(a);
				return -cli_usage(cmd, "option --%s takes no value", o->name);
			}
			if (o->id < 0) {
				int g = global_in_cmd(o, value, cmd);
				if (g) {
					cli_args_free(a);
					return g;
				}
				continue;
			}
			a->set[a->n_set++] = (struct cli_setting){ o, value };
			continue;
		}
		/* Short options, possibly clustered; a value ends the cluster. */
		for (int j = 1; s[j]; j++) {
			o = find_short(cmd->opts, s[j]);
			if (!o)
				o = find_short(cli_global_opts, s[j]);
			if (!o) {
				char bad[3] = { '-', s[j], '\0' };
				cli_args_free(a);
				return -unknown_option(cmd, bad, 2);
			}
			value = NULL;
			if (o->arg) {
				if (s[j + 1]) {
					value = s + j + 1;
				} else if (i + 1 < argc) {
					value = argv[++i];
				} else {
					cli_args_free(a);
					return -cli_usage(cmd, "option -%c needs a value (%s)",
							  o->short_name, o->arg);
				}
			}
			if (o->id < 0) {
				int g = global_in_cmd(o, value, cmd);
				if (g) {
					cli_args_free(a);
					return g;
				}
			} else {
				a->set[a->n_set++] = (struct cli_setting){ o, value };
			}
			if (o->arg)
				break;
		}
	}
	if (a->n_pos < cmd->min_pos) {
		cli_args_free(a);
		return -cli_usage(cmd, "%s: missing argument (usage: tarn %s)", cmd->name,
				  cmd->synopsis);
	}
	if (a->n_pos > cmd->max_pos) {
		const char *extra = a->pos[cmd->max_pos];
		cli_args_free(a);
		return -cli_usage(cmd, "%s: unexpected argument '%s' (usage: tarn %s)", cmd->name,
				  extra, cmd->synopsis);
	}
	return 0;
}

void cli_args_free(struct cli_args *a)
{
	free(a->pos);
	free(a->set);
	a->pos = NULL;
	a->set = NULL;
	a->n_pos = a->n_set = 0;
}

const char *cli_get(const struct cli_args *a, int id)
{
	const char *v = NULL;
	for (int i = 0; i < a->n_set; i++)
		if (a->set[i].opt->id == id)
			v = a->set[i].value ? a->set[i].value : "";
	return v;
}

bool cli_has(const struct cli_args *a, int id)
{
	return cli_get(a, id) != NULL;
}

tarn_rc cli_opts_build(const struct cli_args *a, int id, const char *const *extra,
		       struct tarn_opts **out, struct tarn_err *err)
{
	*out = NULL;
	struct tarn_opts *o;
	if (tarn_opts_new(&o))
		return tarn_err_set(err, TARN_ENOMEM, "out of memory (options)");
	tarn_rc rc = TARN_OK;
	for (int i = 0; i < a->n_set && rc == TARN_OK; i++)
		if (a->set[i].opt->id == id)
			rc = tarn_opts_parse(o, a->set[i].value, err);
	/* Dedicated options (--types, --compression, ...) win over -r/-w. */
	for (int i = 0; extra && extra[i] && rc == TARN_OK; i += 2)
		if (extra[i + 1] && tarn_opts_set(o, extra[i], extra[i + 1]))
			rc = tarn_err_set(err, TARN_ENOMEM, "out of memory (options)");
	if (rc) {
		tarn_opts_free(o);
		return rc;
	}
	*out = o;
	return TARN_OK;
}

/* ---- the copy loop ------------------------------------------------------------------ */

tarn_rc cli_copy(struct tarn_reader *r, struct tarn_writer *w, int64_t *out_rows,
		 struct tarn_err *err)
{
	struct cli_progress p;
	cli_progress_begin(&p, r);
	int64_t rows = 0;
	tarn_rc rc = TARN_OK;
	for (;;) {
		struct tarn_batch *b;
		rc = tarn_reader_next(r, &b, err);
		if (rc || !b)
			break;
		rows += tarn_batch_num_rows(b);
		rc = tarn_writer_write(w, b, err);
		tarn_batch_free(b);
		if (rc)
			break;
		cli_progress_update(&p, rows);
	}
	cli_progress_end(&p);
	*out_rows = rows;
	return rc;
}

/* ---- opening files ---------------------------------------------------------------------- */

/* Format shorthand flags and the option key each sets. */
static const struct {
	int id;
	const char *key;
} fmt_flags[] = {
	{ CLI_O_SCHEMA, "schema" }, { CLI_O_PROTO, "proto" },	  { CLI_O_MESSAGE, "message" },
	{ CLI_O_LABEL, "label" },   { CLI_O_SPARSE, "sparse" }, { CLI_O_ROW_GROUP_SIZE, "row-group-size" },
};
#define N_FMT_FLAGS (int)(sizeof fmt_flags / sizeof fmt_flags[0])

static bool cmd_writes(const struct cli_args *a)
{
	for (const struct cli_opt *o = a->cmd ? a->cmd->opts : NULL; o && o->id; o++)
		if (o->id == CLI_O_TO)
			return true;
	return false;
}

static const char *flag_value(const struct cli_args *a, int i)
{
	const char *v = cli_get(a, fmt_flags[i].id);
	return v && !*v && fmt_flags[i].id == CLI_O_SPARSE ? "true" : v;
}

/* Adds the shorthands format `fmt` takes on this side to extra[] (pairs,
 * from position *n). */
static void add_fmt_flags(const struct cli_args *a, const char *fmt, bool writer,
			  const char **extra, int *n)
{
	for (int i = 0; i < N_FMT_FLAGS; i++) {
		const char *v = flag_value(a, i);
		if (v && tarn_format_has_option(fmt, writer, fmt_flags[i].key)) {
			extra[(*n)++] = fmt_flags[i].key;
			extra[(*n)++] = v;
		}
	}
	extra[*n] = NULL;
}

/* A shorthand neither side's format takes is a usage error. */
static tarn_rc check_fmt_flags(const struct cli_args *a, const char *rfmt, const char *wfmt,
			       struct tarn_err *err)
{
	for (int i = 0; i < N_FMT_FLAGS; i++) {
		const char *key = fmt_flags[i].key;
		if (!flag_value(a, i) || tarn_format_has_option(rfmt, false, key) ||
		    tarn_format_has_option(wfmt, true, key))
			continue;
		if (wfmt)
			return tarn_err_set(err, TARN_EUSAGE,
					    "--%s: neither the %s reader nor the %s writer takes it",
					    key, rfmt ? rfmt : "input's", wfmt);
		return tarn_err_set(err, TARN_EUSAGE, "--%s: the %s reader does not take it", key,
				    rfmt ? rfmt : "input's");
	}
	return TARN_OK;
}

tarn_rc cli_open_reader(const struct cli_args *a, const char *path, struct tarn_reader **out,
			struct tarn_err *err)
{
	*out = NULL;
	const char *extra[8 + 2 * N_FMT_FLAGS] = { CLI_KEY_TYPES,      cli_get(a, CLI_O_TYPES),
						   CLI_KEY_BAD_ROW,    cli_get(a, CLI_O_BAD_ROW),
						   CLI_KEY_INFER_ROWS, cli_get(a, CLI_O_INFER_ROWS) };
	int n = 6;
	const char *fmt = cli_get(a, CLI_O_FROM);
	if (!fmt && strcmp(path, "-") != 0)
		fmt = tarn_format_for_path(path);
	add_fmt_flags(a, fmt, false, extra, &n);
	/* A command that only reads knows now whether every shorthand is used. */
	if (fmt && !cmd_writes(a))
		TRY_CLI(check_fmt_flags(a, fmt, NULL, err));
	const char *mode = cli_get(a, CLI_O_BAD_ROW);
	if (mode && strcmp(mode, "error") != 0 && strcmp(mode, "skip") != 0 &&
	    strcmp(mode, "null-fill") != 0)
		return tarn_err_set(err, TARN_EUSAGE,
				    "--on-bad-row: '%s' is not one of error, skip, null-fill", mode);
	struct tarn_opts *o;
	TRY_CLI(cli_opts_build(a, CLI_O_ROPT, extra, &o, err));
	tarn_rc rc = tarn_reader_open(path, cli_get(a, CLI_O_FROM), o, out, err);
	tarn_opts_free(o);
	if (rc == TARN_OK && !fmt && !cmd_writes(a)) {
		rc = check_fmt_flags(a, tarn_reader_format(*out), NULL, err);
		if (rc) {
			tarn_reader_close(*out);
			*out = NULL;
		}
	}
	return rc;
}

tarn_rc cli_writer_opts(const struct cli_args *a, const char *wfmt, const char *rfmt,
			struct tarn_opts **out, struct tarn_err *err)
{
	*out = NULL;
	TRY_CLI(check_fmt_flags(a, rfmt, wfmt, err));
	const char *extra[4 + 2 * N_FMT_FLAGS] = { "compression", cli_get(a, CLI_O_COMPRESSION) };
	int n = 2;
	add_fmt_flags(a, wfmt, true, extra, &n);
	return cli_opts_build(a, CLI_O_WOPT, extra, out, err);
}

tarn_rc cli_open_writer(const struct cli_args *a, const char *path, const char *default_to,
			const struct tarn_reader *r, struct tarn_writer **out,
			struct tarn_err *err)
{
	*out = NULL;
	const char *to = cli_get(a, CLI_O_TO);
	if (!to && default_to && (strcmp(path, "-") == 0 || !tarn_format_for_path(path)))
		to = default_to;
	struct tarn_opts *o;
	TRY_CLI(cli_writer_opts(a, to ? to : tarn_format_for_path(path), tarn_reader_format(r), &o,
				err));
	tarn_rc rc = tarn_writer_open(path, to, tarn_reader_schema(r), o, out, err);
	tarn_opts_free(o);
	return rc;
}

const char *cli_path_label(const char *path, bool output)
{
	if (strcmp(path, "-") == 0)
		return output ? "stdout" : "stdin";
	return path;
}

const char *cli_fmt_secs(double s, char *buf, size_t cap)
{
	if (s < 1)
		snprintf(buf, cap, "%.0f ms", s * 1000);
	else
		snprintf(buf, cap, "%.1f s", s);
	return buf;
}
