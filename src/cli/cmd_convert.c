/*
 * cmd_convert.c — `tarn convert INPUT OUTPUT`: read any format, write any
 * format, through tarn_reader_* / tarn_writer_* only.
 *
 * The output is published by tarn_writer_finish; on any failure the writer
 * is closed unfinished, which removes its temporary file, so a failed
 * conversion leaves nothing at OUTPUT (and an existing OUTPUT untouched).
 * With --partition-by, OUTPUT is a directory written by
 * tarn_write_partitioned, which is atomic the same way.
 */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

enum { O_PARTITION_BY = 300, O_MAX_OPEN };

static const struct cli_opt opts[] = {
	CLI_OPT_FROM,
	CLI_OPT_TO("from OUTPUT's extension; required when OUTPUT is -"),
	CLI_OPT_TYPES,
	CLI_OPT_INFER_ROWS,
	CLI_OPT_BAD_ROW,
	CLI_OPT_COMPRESSION,
	CLI_OPT_ROPT,
	CLI_OPT_WOPT,
	CLI_OPT_FMT_READ,
	CLI_OPT_FMT_WRITE,
	{ CLI_O_JSON, "json", 0, NULL, "print the summary as JSON on stdout (not with OUTPUT -)" },
	{ O_PARTITION_BY, "partition-by", 0, "COL,...",
	  "write OUTPUT as a directory of Hive partitions (COL=value/part-00000.parquet)" },
	{ O_MAX_OPEN, "max-open-partitions", 0, "N",
	  "with --partition-by: most partitions (open files) allowed (default 256)" },
	CLI_OPT_END,
};

static void print_summary(const struct cli_args *a, const char *in, const char *out,
			  const struct tarn_reader *r, int64_t rows, double secs)
{
	int64_t bad = tarn_reader_bad_rows(r);
	const char *mode = cli_get(a, CLI_O_BAD_ROW);
	if (cli_has(a, CLI_O_JSON)) {
		printf("{\"rows\":%lld,\"bad_rows\":%lld,\"input\":", (long long)rows,
		       (long long)bad);
		cli_json_string(stdout, in);
		printf(",\"output\":");
		cli_json_string(stdout, out);
		printf(",\"from\":");
		cli_json_string(stdout, tarn_reader_format(r));
		const char *to = cli_get(a, CLI_O_TO);
		if (!to)
			to = tarn_format_for_path(out);
		printf(",\"to\":");
		cli_json_string(stdout, to ? to : "");
		printf(",\"seconds\":%.3f}\n", secs);
		return;
	}
	if (cli.quiet)
		return;
	char n[32], t[32], b[32];
	fprintf(stderr, "converted %s rows (%s → %s) in %s", cli_fmt_count(rows, n, sizeof n),
		cli_path_label(in, false), cli_path_label(out, true),
		cli_fmt_secs(secs, t, sizeof t));
	if (bad > 0) {
		cli_fmt_count(bad, b, sizeof b);
		if (mode && strcmp(mode, "null-fill") == 0)
			fprintf(stderr, "; filled %s bad row%s with nulls", b, bad == 1 ? "" : "s");
		else
			fprintf(stderr, "; skipped %s bad row%s", b, bad == 1 ? "" : "s");
	}
	fputc('\n', stderr);
}

/* convert --partition-by: OUTPUT is a directory. */
static int run_partitioned(const struct cli_cmd *cmd, const struct cli_args *a)
{
	const char *in = a->pos[0], *out = a->pos[1];
	if (strcmp(out, "-") == 0)
		return cli_usage(cmd, "--partition-by writes a directory, not stdout");
	const char *max = cli_get(a, O_MAX_OPEN);
	int max_open = 0;
	if (max) {
		char *end;
		long v = strtol(max, &end, 10);
		if (end == max || *end || v < 1 || v > 1000000)
			return cli_usage(cmd, "--max-open-partitions needs a number from 1 to 1000000");
		max_open = (int)v;
	}
	struct tarn_err err;
	tarn_err_clear(&err);
	struct tarn_reader *r = NULL;
	struct tarn_opts *wo = NULL;
	int64_t rows = 0, parts = 0;
	double t0 = cli_now();
	tarn_rc rc = cli_open_reader(a, in, &r, &err);
	if (rc == TARN_OK)
		rc = cli_writer_opts(a, cli_get(a, CLI_O_TO) ? cli_get(a, CLI_O_TO) : "parquet",
				     tarn_reader_format(r), &wo, &err);
	if (rc == TARN_OK) {
		struct tarn_partition_opts po = { cli_get(a, CLI_O_TO), wo, max_open };
		rc = tarn_write_partitioned(r, out, cli_get(a, O_PARTITION_BY), &po, &rows, &parts,
					    &err);
	}
	if (rc == TARN_OK) {
		double secs = cli_now() - t0;
		if (cli_has(a, CLI_O_JSON)) {
			printf("{\"rows\":%lld,\"partitions\":%lld,\"input\":", (long long)rows,
			       (long long)parts);
			cli_json_string(stdout, in);
			printf(",\"output\":");
			cli_json_string(stdout, out);
			printf(",\"seconds\":%.3f}\n", secs);
		} else if (!cli.quiet) {
			char n[32], p[32], t[32];
			fprintf(stderr, "converted %s rows (%s → %s, %s partition%s) in %s\n",
				cli_fmt_count(rows, n, sizeof n), cli_path_label(in, false), out,
				cli_fmt_count(parts, p, sizeof p), parts == 1 ? "" : "s",
				cli_fmt_secs(secs, t, sizeof t));
		}
	}
	tarn_opts_free(wo);
	tarn_reader_close(r);
	return cli_fail(rc, &err);
}

static int run(const struct cli_cmd *cmd, const struct cli_args *a)
{
	const char *in = a->pos[0], *out = a->pos[1];
	if (cli_has(a, O_PARTITION_BY))
		return run_partitioned(cmd, a);
	if (cli_has(a, O_MAX_OPEN))
		return cli_usage(cmd, "--max-open-partitions goes with --partition-by");
	if (cli_has(a, CLI_O_JSON) && strcmp(out, "-") == 0)
		return cli_usage(cmd, "--json prints to stdout, which OUTPUT '-' already uses");
	struct tarn_err err;
	tarn_err_clear(&err);
	struct tarn_reader *r = NULL;
	struct tarn_writer *w = NULL;
	int64_t rows = 0;
	double t0 = cli_now();
	tarn_rc rc = cli_open_reader(a, in, &r, &err);
	if (rc == TARN_OK)
		rc = cli_open_writer(a, out, NULL, r, &w, &err);
	if (rc == TARN_OK)
		rc = cli_copy(r, w, &rows, &err);
	if (rc == TARN_OK)
		rc = tarn_writer_finish(w, &err);
	if (rc == TARN_OK)
		print_summary(a, in, out, r, rows, cli_now() - t0);
	tarn_writer_close(w); /* unfinished: removes the temporary output */
	tarn_reader_close(r);
	return cli_fail(rc, &err);
}

const struct cli_cmd cli_cmd_convert = {
	.name = "convert",
	.summary = "convert a file to another format",
	.synopsis = "convert INPUT OUTPUT [options]",
	.description =
		"Reads INPUT and writes the same rows to OUTPUT. Formats come from the file\n"
		"names (.csv, .tsv, .json, .jsonl, ... with an optional .gz or .zst suffix),\n"
		"or from --from/--to. '-' is stdin for INPUT (its format is sniffed unless\n"
		"--from is given) and stdout for OUTPUT (--to is then required). Compressed\n"
		"input is detected from its first bytes.\n"
		"\n"
		"OUTPUT appears only when the whole conversion succeeded: it is written to a\n"
		"temporary file and renamed into place, so a failure leaves no output and an\n"
		"existing OUTPUT unchanged. A one-line summary goes to stderr (unless --quiet).\n"
		"\n"
		"With --partition-by COL,... OUTPUT is a new (or empty) directory of Hive\n"
		"partitions, OUTPUT/COL=value/.../part-00000.parquet (--to picks another\n"
		"format), without the partition columns in the files; nulls go to\n"
		"COL=__HIVE_DEFAULT_PARTITION__. More than --max-open-partitions partitions\n"
		"is an error. The directory appears only when everything was written.\n"
		"\n"
		"Examples:\n"
		"  tarn convert sales.csv sales.jsonl\n"
		"  tarn convert events.jsonl.gz events.csv.zst\n"
		"  tarn convert --types zip=string customers.csv customers.jsonl\n"
		"  cat data.csv | tarn convert - - --to jsonl\n"
		"  tarn convert events.csv lake/events/ --partition-by year,month\n",
	.opts = opts,
	.min_pos = 2,
	.max_pos = 2,
	.run = run,
};
