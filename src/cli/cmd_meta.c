/*
 * cmd_meta.c — `tarn meta FILE.parquet`: a file's physical layout (row
 * groups, column chunks, encodings, codecs, sizes, statistics), from the
 * library's tarn_parquet_meta.
 */
#include "cli/cli.h"

static const struct cli_opt opts[] = {
	{ CLI_O_JSON, "json", 0, NULL, "print the metadata as JSON" },
	CLI_OPT_END,
};

static int run(const struct cli_cmd *cmd, const struct cli_args *a)
{
	struct tarn_err err;
	tarn_err_clear(&err);
	char *text = NULL;
	tarn_rc rc = tarn_parquet_meta(a->pos[0], cli_has(a, CLI_O_JSON), &text, &err);
	if (rc == TARN_OK)
		fputs(text, stdout);
	tarn_free(text);
	if (rc)
		return cli_fail(rc, &err);
	return cli_finish_stdout(0);
}

const struct cli_cmd cli_cmd_meta = {
	.name = "meta",
	.summary = "show a Parquet file's row groups, column chunks and statistics",
	.synopsis = "meta [--json] FILE.parquet",
	.description =
		"Prints the footer of a Parquet file: the schema, each row group with its\n"
		"rows and size, and each column chunk with its physical type, encodings,\n"
		"codec, compressed and uncompressed sizes, value and null counts, min/max\n"
		"statistics, and its page indexes and Bloom filter when present. Only the\n"
		"footer is read, so it is instant on any size.\n"
		"\n"
		"Examples:\n"
		"  tarn meta lineitem.parquet\n"
		"  tarn meta --json lineitem.parquet | jq '.row_groups | length'\n",
	.opts = opts,
	.min_pos = 1,
	.max_pos = 1,
	.run = run,
};
