/*
 * cmd_cat.c — `tarn cat FILE`: every row, re-encoded on stdout (CSV unless
 * --to says otherwise). A reader that closes the pipe early (`| head -1`)
 * ends the command quietly with status 0.
 */
#include "cli/cli.h"

static const struct cli_opt opts[] = {
	CLI_OPT_TO("csv"),
	CLI_OPT_FROM,
	CLI_OPT_TYPES,
	CLI_OPT_INFER_ROWS,
	CLI_OPT_BAD_ROW,
	CLI_OPT_ROPT,
	CLI_OPT_FMT_READ,
	CLI_OPT_FMT_WRITE,
	CLI_OPT_WOPT,
	CLI_OPT_END,
};

static int run(const struct cli_cmd *cmd, const struct cli_args *a)
{
	struct tarn_err err;
	tarn_err_clear(&err);
	struct tarn_reader *r = NULL;
	struct tarn_writer *w = NULL;
	int64_t rows = 0;
	tarn_rc rc = cli_open_reader(a, a->pos[0], &r, &err);
	if (rc == TARN_OK)
		rc = cli_open_writer(a, "-", "csv", r, &w, &err);
	if (rc == TARN_OK)
		rc = cli_copy(r, w, &rows, &err);
	if (rc == TARN_OK)
		rc = tarn_writer_finish(w, &err);
	tarn_writer_close(w);
	tarn_reader_close(r);
	return cli_fail(rc, &err);
}

const struct cli_cmd cli_cmd_cat = {
	.name = "cat",
	.summary = "print all rows in another format on stdout",
	.synopsis = "cat [--to FMT] [options] FILE",
	.description =
		"Reads FILE ('-' for stdin) and writes every row to stdout as CSV, or as the\n"
		"format named by --to. Same as `tarn convert FILE - --to FMT`.\n"
		"\n"
		"Examples:\n"
		"  tarn cat events.jsonl.gz | less\n"
		"  tarn cat --to jsonl customers.csv | jq .\n",
	.opts = opts,
	.min_pos = 1,
	.max_pos = 1,
	.run = run,
};
