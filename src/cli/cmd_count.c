/*
 * cmd_count.c — `tarn count FILE`: the number of rows, read to the end
 * (bad rows are errors unless --on-bad-row says otherwise).
 */
#include "cli/cli.h"

static const struct cli_opt opts[] = {
	CLI_OPT_FROM,
	CLI_OPT_BAD_ROW,
	CLI_OPT_ROPT,
	CLI_OPT_FMT_READ,
	{ CLI_O_JSON, "json", 0, NULL, "print {\"rows\":N}" },
	CLI_OPT_END,
};

static int run(const struct cli_cmd *cmd, const struct cli_args *a)
{
	struct tarn_err err;
	tarn_err_clear(&err);
	struct tarn_reader *r = NULL;
	int64_t rows = 0;
	tarn_rc rc = cli_open_reader(a, a->pos[0], &r, &err);
	if (rc == TARN_OK) {
		struct cli_progress p;
		cli_progress_begin(&p, r);
		for (;;) {
			struct tarn_batch *b;
			rc = tarn_reader_next(r, &b, &err);
			if (rc || !b)
				break;
			rows += tarn_batch_num_rows(b);
			tarn_batch_free(b);
			cli_progress_update(&p, rows);
		}
		cli_progress_end(&p);
	}
	if (rc == TARN_OK) {
		if (cli_has(a, CLI_O_JSON))
			printf("{\"rows\":%lld}\n", (long long)rows);
		else
			printf("%lld\n", (long long)rows);
	}
	tarn_reader_close(r);
	return cli_fail(rc, &err);
}

const struct cli_cmd cli_cmd_count = {
	.name = "count",
	.summary = "count the rows of a file",
	.synopsis = "count [options] FILE",
	.description = "Reads FILE to the end and prints its number of rows (just the number).\n"
		       "\n"
		       "Examples:\n"
		       "  tarn count transactions.jsonl\n"
		       "  tarn count --json data.csv.gz\n",
	.opts = opts,
	.min_pos = 1,
	.max_pos = 1,
	.run = run,
};
