/*
 * cmd_sql.c — `tarn sql`: the interactive SQL shell.
 *
 * On a terminal: line editing and history (libedit's readline interface;
 * history in $TARN_HOME/.sql_history), a statement may span lines and runs
 * when a line ends it with ';' (outside quotes and comments), a
 * continuation prompt while it is open. Dot commands (.tables, .schema,
 * .timer, .mode, .help, .quit) are read only at the start of a statement.
 * Errors are printed and the shell goes on. Ctrl-C while a statement runs
 * interrupts it (tarn_sql_interrupt: the query stops at its next morsel);
 * at the prompt it drops the line being typed; Ctrl-D or .quit leaves.
 *
 * With stdin not a terminal (a script piped in) there are no prompts and
 * no history, and the first error ends the shell with its exit status, so
 * `tarn sql < job.sql` behaves like a batch run. -c SQL runs SQL and exits.
 *
 * All statements run in one session (tarn_sql_session_*): views and SET
 * values persist until the shell exits; tables live in the lake
 * ($TARN_HOME/lake/tables/) and persist beyond it.
 *
 * Results print as a table on a terminal (EXPLAIN as plain lines), else
 * CSV, or in the format .mode/--mode names (any format tarn writes).
 */
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <editline/readline.h>

#include "cli/cli.h"

enum { O_CMD = 300, O_HOME, O_MEM, O_MODE, O_TZ };

static const struct cli_opt opts[] = {
	{ O_CMD, "command", 'c', "SQL", "run SQL (statements separated by ';'), print the last "
					"result and exit" },
	{ O_MODE, "mode", 0, "FMT",
	  "how results print: table, or any format tarn writes (csv, tsv, json, jsonl, ...); "
	  "default: table on a terminal, csv otherwise" },
	{ O_HOME, "home", 0, "DIR",
	  "lake root for CREATE TABLE and the history file (default $TARN_HOME, else "
	  "./tarn-data)" },
	{ O_MEM, "memory-limit", 0, "SIZE",
	  "most memory a query's operators may hold, e.g. 4G; 0 = unlimited (default: 80% of RAM)" },
	{ O_TZ, "timezone", 0, "ZONE",
	  "the session time zone, as SET TimeZone = 'ZONE' (default UTC)" },
	CLI_OPT_END,
};

struct shell {
	struct tarn_sql_session *ss;
	char mode[32];
	bool timer;
	bool interactive; /* stdin is a terminal */
	char history[4096];
};

/* The session a SIGINT interrupts (only while a statement runs). */
static struct tarn_sql_session *volatile running;
static volatile sig_atomic_t got_sigint;

static void on_sigint(int sig)
{
	(void)sig;
	got_sigint = 1;
	struct tarn_sql_session *s = running;
	if (s)
		tarn_sql_interrupt(s);
}

/* ---- statement boundaries ----------------------------------------------------------------- */

/* Offset just past the first ';' of buf that is outside quotes and
 * comments, or 0 when the statement is still open. */
static size_t stmt_end(const char *buf, size_t n)
{
	char quote = 0;
	bool line_comment = false, block_comment = false;
	for (size_t i = 0; i < n; i++) {
		char c = buf[i];
		if (line_comment) {
			line_comment = c != '\n';
		} else if (block_comment) {
			if (c == '*' && i + 1 < n && buf[i + 1] == '/') {
				block_comment = false;
				i++;
			}
		} else if (quote) {
			if (c == quote)
				quote = 0; /* a doubled quote closes and reopens: same result */
		} else if (c == '\'' || c == '"') {
			quote = c;
		} else if (c == '-' && i + 1 < n && buf[i + 1] == '-') {
			line_comment = true;
		} else if (c == '/' && i + 1 < n && buf[i + 1] == '*') {
			block_comment = true;
			i++;
		} else if (c == ';') {
			return i + 1;
		}
	}
	return 0;
}

/* Only white space and complete comments. */
static bool blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')
			continue;
		if (s[i] == '-' && i + 1 < n && s[i + 1] == '-') {
			while (i < n && s[i] != '\n')
				i++;
			continue;
		}
		if (s[i] == '/' && i + 1 < n && s[i + 1] == '*') {
			const char *e = strstr(s + i + 2, "*/");
			if (!e || (size_t)(e - s) + 2 > n)
				return false;
			i = (size_t)(e - s) + 1;
			continue;
		}
		return false;
	}
	return true;
}

/* ---- running and printing ------------------------------------------------------------------- */

static tarn_rc print_rows(struct shell *sh, struct tarn_reader *r, struct tarn_err *err)
{
	if (strcmp(sh->mode, "table") == 0) {
		tarn_rc rc = cli_print_result(r, err);
		fflush(stdout);
		return rc;
	}
	fflush(stdout); /* the writer writes to fd 1 directly */
	struct tarn_writer *w = NULL;
	tarn_rc rc = tarn_writer_open("-", sh->mode, tarn_reader_schema(r), NULL, &w, err);
	if (rc)
		return rc;
	int64_t rows = 0;
	rc = cli_copy(r, w, &rows, err);
	if (!rc)
		rc = tarn_writer_finish(w, err);
	tarn_writer_close(w);
	return rc;
}

/* Runs one piece of SQL in the session and prints its last result.
 * Returns 0 or the exit status of the error (already printed). */
static int run_sql(struct shell *sh, const char *sql, size_t len)
{
	struct tarn_err err;
	tarn_err_clear(&err);
	double t0 = cli_now();
	struct tarn_reader *r = NULL;
	got_sigint = 0;
	running = sh->ss;
	tarn_rc rc = tarn_sql_session_run(sh->ss, sql, len, &r, &err);
	if (!rc)
		rc = print_rows(sh, r, &err);
	running = NULL;
	tarn_reader_close(r);
	if (sh->timer) {
		char buf[32];
		fprintf(stderr, "Run time: %s\n", cli_fmt_secs(cli_now() - t0, buf, sizeof buf));
	}
	if (rc && got_sigint && rc == TARN_ELIMIT && strstr(err.msg, "interrupted")) {
		fprintf(stderr, "tarn: interrupted\n");
		return 130;
	}
	return rc ? cli_fail(rc, &err) : 0;
}

/* ---- dot commands --------------------------------------------------------------------------- */

static const char help_text[] =
	"Statements end with ';' and may span lines. Dot commands:\n"
	"  .tables              views, lake tables and files in the file_search_path\n"
	"  .schema [NAME]       the columns of NAME (a view, table or file); without NAME, .tables\n"
	"  .timer on|off        print each statement's run time\n"
	"  .mode FMT            table, or any format tarn writes: csv, tsv, json, jsonl, ...\n"
	"  .help                this text\n"
	"  .quit                leave (also Ctrl-D)\n"
	"SQL: docs/sql.md. EXPLAIN [ANALYZE] query shows the plan (with rows and time).\n";

static bool mode_ok(const char *m)
{
	if (strcmp(m, "table") == 0)
		return true;
	for (int i = 0;; i++) {
		const struct tarn_format_info *fi = tarn_format_info_at(i);
		if (!fi)
			return false;
		if (fi->can_write && strcmp(fi->name, m) == 0)
			return true;
	}
}

/* Returns -1 to go on, -2 to quit, else an exit status (error). */
static int dot_command(struct shell *sh, char *line)
{
	char *args = line + strcspn(line, " \t");
	if (*args)
		*args++ = 0;
	args += strspn(args, " \t");
	size_t al = strlen(args);
	while (al && (args[al - 1] == ' ' || args[al - 1] == '\t' || args[al - 1] == ';'))
		args[--al] = 0;
	const char *cmd = line;
	int st = 0;
	if (strcmp(cmd, ".quit") == 0 || strcmp(cmd, ".exit") == 0 || strcmp(cmd, ".q") == 0)
		return -2;
	if (strcmp(cmd, ".help") == 0) {
		fputs(help_text, stdout);
	} else if (strcmp(cmd, ".tables") == 0) {
		st = run_sql(sh, "SHOW TABLES", 11);
	} else if (strcmp(cmd, ".schema") == 0) {
		if (!*args) {
			st = run_sql(sh, "SHOW TABLES", 11);
		} else {
			char sql[1024];
			int n = snprintf(sql, sizeof sql, "DESCRIBE %s", args);
			st = run_sql(sh, sql, (size_t)(n < (int)sizeof sql ? n : (int)sizeof sql - 1));
		}
	} else if (strcmp(cmd, ".timer") == 0) {
		if (strcmp(args, "on") == 0 || strcmp(args, "off") == 0) {
			sh->timer = strcmp(args, "on") == 0;
		} else {
			fprintf(stderr, "tarn: .timer takes on or off\n");
			st = 1;
		}
	} else if (strcmp(cmd, ".mode") == 0) {
		if (!*args) {
			printf("%s\n", sh->mode);
		} else if (mode_ok(args) && strlen(args) < sizeof sh->mode) {
			snprintf(sh->mode, sizeof sh->mode, "%s", args);
		} else {
			fprintf(stderr,
				"tarn: .mode: '%s' is not table or a format tarn writes (tarn formats "
				"lists them)\n",
				args);
			st = 1;
		}
	} else {
		fprintf(stderr, "tarn: unknown command '%s' (.help lists them)\n", cmd);
		st = 1;
	}
	fflush(stdout);
	return st ? st : -1;
}

/* ---- the input loop ------------------------------------------------------------------------- */

struct text {
	char *p;
	size_t n, cap;
};

static bool text_add(struct text *t, const char *s, size_t n)
{
	if (t->n + n + 2 > t->cap) {
		size_t cap = (t->n + n + 2) * 2;
		char *p = realloc(t->p, cap);
		if (!p)
			return false;
		t->p = p;
		t->cap = cap;
	}
	memcpy(t->p + t->n, s, n);
	t->n += n;
	t->p[t->n] = 0;
	return true;
}

/* One input line (without its newline), or NULL at the end. *intr: the
 * line was dropped by Ctrl-C (terminal only). */
static char *read_line(struct shell *sh, bool open, bool *intr)
{
	*intr = false;
	if (sh->interactive) {
		got_sigint = 0;
		char *l = readline(open ? "   ...> " : "tarn> ");
		if (!l && got_sigint) {
			*intr = true;
			return NULL;
		}
		return l;
	}
	char *l = NULL;
	size_t cap = 0;
	ssize_t n = getline(&l, &cap, stdin);
	if (n < 0) {
		free(l);
		return NULL;
	}
	if (n && l[n - 1] == '\n')
		l[--n] = 0;
	return l;
}

static int shell_loop(struct shell *sh)
{
	struct text buf = { 0 };
	int status = 0;
	for (;;) {
		bool intr;
		char *line = read_line(sh, buf.n && !blank(buf.p, buf.n), &intr);
		if (!line && intr) {
			fputc('\n', stdout);
			buf.n = 0; /* Ctrl-C at the prompt: drop what was typed */
			continue;
		}
		if (!line)
			break;
		if (sh->interactive && !blank(line, strlen(line)))
			add_history(line);
		if (buf.n == 0 || blank(buf.p, buf.n)) {
			char *t = line + strspn(line, " \t");
			if (*t == '.') {
				buf.n = 0;
				int st = dot_command(sh, t);
				free(line);
				if (st == -2)
					break;
				if (st >= 0 && !sh->interactive) {
					status = st;
					break;
				}
				continue;
			}
		}
		bool ok = text_add(&buf, line, strlen(line)) && text_add(&buf, "\n", 1);
		free(line);
		if (!ok) {
			fprintf(stderr, "tarn: out of memory\n");
			status = 4;
			break;
		}
		size_t end;
		while ((end = stmt_end(buf.p, buf.n)) > 0) {
			size_t skip = strspn(buf.p, " \t\r\n"); /* so errors count lines from the statement */
			int st = blank(buf.p, end - 1) ? 0 : run_sql(sh, buf.p + skip, end - skip);
			memmove(buf.p, buf.p + end, buf.n - end + 1);
			buf.n -= end;
			if (st && !sh->interactive) {
				status = st;
				goto out;
			}
		}
	}
	/* a last statement without ';' at the end of a script still runs */
	if (!status && buf.n && !blank(buf.p, buf.n) && !sh->interactive)
		status = run_sql(sh, buf.p + strspn(buf.p, " \t\r\n"),
				 buf.n - strspn(buf.p, " \t\r\n"));
out:
	free(buf.p);
	if (sh->interactive)
		fputc('\n', stdout);
	return status;
}

static int run(const struct cli_cmd *cmd, const struct cli_args *a)
{
	struct shell sh = { 0 };
	struct tarn_sql_opts so = { 0 };
	const char *mem = cli_get(a, O_MEM);
	so.memory_limit = tarn_physical_memory() / 10 * 8; /* DESIGN.md §5 */
	if (mem && !tarn_parse_size(mem, &so.memory_limit))
		return cli_usage(cmd, "--memory-limit: '%s' is not a size such as 512M or 4G", mem);
	const char *home = cli_get(a, O_HOME);
	if (!home)
		home = getenv("TARN_HOME");
	if (!home || !*home)
		home = "./tarn-data";
	so.home = home;
	so.timezone = cli_get(a, O_TZ);
	const char *mode = cli_get(a, O_MODE);
	if (mode && !mode_ok(mode))
		return cli_usage(cmd, "--mode: '%s' is not table or a format tarn writes", mode);
	snprintf(sh.mode, sizeof sh.mode, "%s", mode ? mode : cli.stdout_tty ? "table" : "csv");
	tarn_rc src = tarn_sql_session_new(&so, &sh.ss);
	if (src == TARN_EUSAGE)
		return cli_usage(cmd, "--timezone: unknown time zone '%s' (names come from the tz "
				      "database, e.g. 'Europe/Berlin', 'UTC')", so.timezone);
	if (src) {
		fprintf(stderr, "tarn: out of memory\n");
		return 4;
	}
	struct sigaction sa, old;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_sigint;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old);
	int status;
	const char *sql = cli_get(a, O_CMD);
	if (sql) {
		status = run_sql(&sh, sql, strlen(sql));
	} else {
		sh.interactive = isatty(0) == 1;
		if (sh.interactive) {
			snprintf(sh.history, sizeof sh.history, "%s/.sql_history", home);
			using_history();
			stifle_history(1000);
			read_history(sh.history);
			printf("tarn sql: statements end with ';', .help for help, .quit or Ctrl-D to "
			       "leave\n");
		}
		status = shell_loop(&sh);
		if (sh.interactive)
			mkdir(home, 0755); /* the history lives in the home; a lake may not exist yet */
		if (sh.interactive && write_history(sh.history) != 0)
			fprintf(stderr, "tarn: cannot save the history in %s\n", sh.history);
	}
	sigaction(SIGINT, &old, NULL);
	tarn_sql_session_free(sh.ss);
	return cli_finish_stdout(status);
}

const struct cli_cmd cli_cmd_sql = {
	.name = "sql",
	.summary = "interactive SQL shell over the lake",
	.synopsis = "sql [options]",
	.description =
		"An interactive SQL shell (docs/sql.md): line editing and history\n"
		"($TARN_HOME/.sql_history), statements ending with ';' over one or more lines,\n"
		"and dot commands: .tables, .schema [NAME], .timer on|off, .mode FMT, .help,\n"
		".quit (or Ctrl-D). Ctrl-C interrupts the running statement, or drops the line\n"
		"being typed. Views and SET values last for the session; CREATE TABLE stores\n"
		"tables in the lake ($TARN_HOME/lake/tables/), where they outlive it.\n"
		"\n"
		"With stdin not a terminal, statements are read from it without prompts and\n"
		"the first error ends the shell with its exit status.\n"
		"\n"
		"Examples:\n"
		"  tarn sql\n"
		"  tarn sql < report.sql\n"
		"  tarn sql -c \"SELECT count(*) FROM 'events/*.parquet'\"\n",
	.opts = opts,
	.min_pos = 0,
	.max_pos = 0,
	.run = run,
};
