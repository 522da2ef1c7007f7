/*
 * cmd_query.c — `tarn query SQL`: runs a SQL script (tarn_sql_open) and
 * prints the last statement's rows: a table on a terminal, CSV in a pipe,
 * or any format tarn writes (--format), to stdout or atomically to -o FILE.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

enum { O_OUT = 300, O_FILE, O_MEM, O_HOME, O_TZ };

static const struct cli_opt opts[] = {
	{ CLI_O_TO, "format", 0, "FMT",
	  "table, or any format tarn writes: csv, tsv, json, jsonl, parquet, ... (default: table "
	  "on a terminal, csv otherwise; with -o: from its extension)" },
	{ O_OUT, "output", 'o', "FILE", "write the result to FILE (atomically) instead of stdout" },
	{ O_FILE, "file", 'f', "FILE", "read the SQL from FILE ('-' for stdin)" },
	{ O_MEM, "memory-limit", 0, "SIZE",
	  "most memory the query's operators may hold, e.g. 4G; 0 = unlimited (default: 80% of RAM)" },
	{ CLI_O_JSON, "json", 0, NULL, "print the rows as one JSON array (same as --format json)" },
	{ O_HOME, "home", 0, "DIR",
	  "where CREATE TABLE keeps tables: DIR/lake/tables/NAME/ (default $TARN_HOME, else "
	  "./tarn-data)" },
	{ O_TZ, "timezone", 0, "ZONE",
	  "the session time zone, as SET TimeZone = 'ZONE' (default UTC)" },
	CLI_OPT_WOPT,
	CLI_OPT_END,
};

static char *read_all(FILE *f, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);
	while (buf) {
		size_t k = fread(buf + n, 1, cap - n, f);
		n += k;
		if (n < cap)
			break;
		char *nb = cap > ((size_t)64 << 20) ? NULL : realloc(buf, cap * 2);
		if (!nb) {
			free(buf);
			return NULL;
		}
		buf = nb;
		cap *= 2;
	}
	*len = n;
	return buf;
}

static int run(const struct cli_cmd *cmd, const struct cli_args *a)
{
	const char *file = cli_get(a, O_FILE);
	if ((file != NULL) == (a->n_pos == 1))
		return cli_usage(cmd, "give the SQL as an argument or with --file, not both");
	char *text = NULL;
	size_t len = 0;
	if (file) {
		FILE *f = strcmp(file, "-") == 0 ? stdin : fopen(file, "rb");
		if (!f) {
			fprintf(stderr, "tarn: %s: cannot open: %m\n", file);
			return 6;
		}
		text = read_all(f, &len);
		if (f != stdin)
			fclose(f);
		if (!text) {
			fprintf(stderr, "tarn: %s: cannot read the SQL (more than 64 MiB?)\n", file);
			return 3;
		}
	}
	struct tarn_sql_opts so = { 0 }; /* threads: the pool, sized by --threads */
	so.home = cli_get(a, O_HOME);
	so.timezone = cli_get(a, O_TZ);
	const char *mem = cli_get(a, O_MEM);
	so.memory_limit = tarn_physical_memory() / 10 * 8; /* DESIGN.md §5 */
	if (mem && !tarn_parse_size(mem, &so.memory_limit)) {
		free(text);
		return cli_usage(cmd, "--memory-limit: '%s' is not a size such as 512M or 4G", mem);
	}
	struct tarn_err err;
	tarn_err_clear(&err);
	struct tarn_reader *r = NULL;
	tarn_rc rc = text ? tarn_sql_open(text, len, &so, &r, &err)
			  : tarn_sql_open(a->pos[0], strlen(a->pos[0]), &so, &r, &err);
	free(text);
	if (rc)
		return cli_fail(rc, &err);
	const char *out = cli_get(a, O_OUT);
	const char *fmt = cli_get(a, CLI_O_TO);
	if (cli_has(a, CLI_O_JSON)) {
		if (fmt && strcmp(fmt, "json") != 0) {
			tarn_reader_close(r);
			return cli_usage(cmd, "--json is --format json; give one of them");
		}
		fmt = "json";
	}
	if (!out && (fmt ? strcmp(fmt, "table") == 0 : cli.stdout_tty)) {
		rc = cli_print_result(r, &err);
		tarn_reader_close(r);
		return cli_finish_stdout(cli_fail(rc, &err));
	}
	if (fmt && strcmp(fmt, "table") == 0) {
		tarn_reader_close(r);
		return cli_usage(cmd, "--format table prints to the terminal; use -o with a file "
				      "format");
	}
	struct tarn_writer *w = NULL;
	int64_t rows = 0;
	rc = fmt && cli_has(a, CLI_O_JSON)
		     ? tarn_writer_open(out ? out : "-", "json", tarn_reader_schema(r), NULL, &w, &err)
		     : cli_open_writer(a, out ? out : "-", "csv", r, &w, &err);
	if (rc == TARN_OK)
		rc = cli_copy(r, w, &rows, &err);
	if (rc == TARN_OK)
		rc = tarn_writer_finish(w, &err);
	tarn_writer_close(w);
	tarn_reader_close(r);
	return cli_finish_stdout(cli_fail(rc, &err));
}

const struct cli_cmd cli_cmd_query = {
	.name = "query",
	.summary = "run SQL over files and print or save the result",
	.synopsis = "query [options] SQL",
	.description =
		"Runs SQL (docs/sql.md) over files named in quotes, directories and globs\n"
		"('lake/events/**/*.parquet', Hive key=value directories become columns) and\n"
		"table functions such as read_csv('x.csv', delim=';'). Statements are\n"
		"separated by ';' and run in order; the last one's rows are printed: a table\n"
		"on a terminal, CSV otherwise, or --format FMT; -o FILE writes them (format\n"
		"from the extension) atomically. COPY (query) TO 'file' (FORMAT parquet,\n"
		"PARTITION_BY (col)) writes files from SQL. Errors point at line:column.\n"
		"\n"
		"Examples:\n"
		"  tarn query \"SELECT count(*) FROM 'lineitem.parquet'\"\n"
		"  tarn query --format jsonl \"SELECT region, avg(amount) FROM 'sales/*.csv' GROUP BY 1\"\n"
		"  tarn query -o top.parquet \"SELECT * FROM 'x.csv' ORDER BY score DESC LIMIT 100\"\n"
		"  tarn query -f report.sql\n"
		"  tarn query \"EXPLAIN ANALYZE SELECT ...\"   # the plan with rows and time per operator\n"
		"\n"
		"CREATE TABLE t AS SELECT ... and INSERT INTO t ... store t as Parquet files\n"
		"under $TARN_HOME/lake/tables/t/ (or --home DIR), so later commands see it.\n",
	.opts = opts,
	.min_pos = 0,
	.max_pos = 1,
	.run = run,
};
