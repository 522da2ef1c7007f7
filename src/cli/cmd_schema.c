/*
 * cmd_schema.c — `tarn schema FILE`: the schema a reader inferred (text
 * formats) or found stored in the file, one line per column, or as JSON
 * (tarn_schema_to_json) with --json.
 */
#include <string.h>

#include "cli/cli.h"

static const struct cli_opt opts[] = {
	CLI_OPT_FROM,
	CLI_OPT_TYPES,
	CLI_OPT_INFER_ROWS,
	CLI_OPT_ROPT,
	CLI_OPT_FMT_READ,
	{ CLI_O_JSON, "json", 0, NULL,
	  "print {\"fields\":[{\"name\",\"type\",\"nullable\",\"note\"},...]}" },
	CLI_OPT_END,
};

static void print_table(const struct tarn_schema *s)
{
	int n = tarn_schema_num_fields(s);
	size_t wn = strlen("column"), wt = strlen("type");
	char type[256];
	for (int i = 0; i < n; i++) {
		const char *name = tarn_schema_field_name(s, i);
		size_t w = cli_text_width(name, strlen(name));
		wn = w > wn ? w : wn;
		tarn_schema_field_type_text(s, i, type, sizeof type);
		w = cli_text_width(type, strlen(type));
		wt = w > wt ? w : wt;
	}
	/* The name column is not truncated: a schema is read to learn names. */
	cli_put_padded(stdout, "column", wn + 2);
	cli_put_padded(stdout, "type", wt + 2);
	fputs("nullable  note\n", stdout);
	for (int i = 0; i < n; i++) {
		tarn_schema_field_type_text(s, i, type, sizeof type);
		const char *note = tarn_schema_field_note(s, i);
		cli_put_padded(stdout, tarn_schema_field_name(s, i), wn + 2);
		cli_put_padded(stdout, type, wt + 2);
		if (note && *note) {
			cli_put_padded(stdout, tarn_schema_field_nullable(s, i) ? "yes" : "no", 10);
			fputs(note, stdout);
		} else {
			fputs(tarn_schema_field_nullable(s, i) ? "yes" : "no", stdout);
		}
		fputc('\n', stdout);
	}
}

static int run(const struct cli_cmd *cmd, const struct cli_args *a)
{
	struct tarn_err err;
	tarn_err_clear(&err);
	struct tarn_reader *r = NULL;
	tarn_rc rc = cli_open_reader(a, a->pos[0], &r, &err);
	if (rc == TARN_OK) {
		const struct tarn_schema *s = tarn_reader_schema(r);
		if (cli_has(a, CLI_O_JSON)) {
			char *json = NULL;
			rc = tarn_schema_to_json(s, &json, &err);
			if (rc == TARN_OK)
				printf("%s\n", json);
			tarn_free(json);
		} else {
			print_table(s);
		}
	}
	tarn_reader_close(r);
	return cli_fail(rc, &err);
}

const struct cli_cmd cli_cmd_schema = {
	.name = "schema",
	.summary = "show a file's columns, types and nullability",
	.synopsis = "schema [options] FILE",
	.description =
		"Prints one line per column: its name, type (e.g. int64, decimal(10,2),\n"
		"timestamp[us, UTC], list<string>), whether it may be null, and the note the\n"
		"reader left while inferring it, if any (e.g. \"mixed string and number\n"
		"values; kept as string\"). For text formats the schema is inferred the same\n"
		"way `convert` infers it, so --types and -r options change it the same way.\n"
		"\n"
		"Examples:\n"
		"  tarn schema customers.csv\n"
		"  tarn schema --json events.jsonl | jq '.fields[].type'\n",
	.opts = opts,
	.min_pos = 1,
	.max_pos = 1,
	.run = run,
};
