/*
 * cmd_demo.c — `tarn demo`: builds a small lake to try tarn on.
 *
 *   $TARN_HOME/lake/raw/customers.csv          generated (demo_data.c)
 *   $TARN_HOME/lake/raw/transactions.jsonl     generated
 *   $TARN_HOME/lake/curated/customers.jsonl    tarn convert of the raw CSV
 *   $TARN_HOME/lake/curated/transactions.csv   tarn convert of the raw JSONL
 *   $TARN_HOME/lake/samples/customers_by_churned_10pct.csv
 *                                              stratified 10% sample by churned
 *   $TARN_HOME/lake/curated/customers.parquet  tarn convert of the raw CSV
 *   $TARN_HOME/lake/curated/transactions.parquet
 *                                              tarn convert of the raw JSONL
 *
 * Every file is published atomically (tarn_file_write_atomic for the raw
 * text, writers for the rest), so running it again replaces the files with
 * identical ones and an interrupted run leaves no torn file. The curated and
 * sample files go through the same public reader/writer/sample calls as
 * `convert` and `sample`.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "cli/demo.h"

enum { O_HOME = 1 };

#define DEMO_SEED 20240301u
#define DEMO_ROWS 5000
#define CUSTOMER_TYPES "zip=string" /* keep the leading zeros */

static const struct cli_opt opts[] = {
	{ O_HOME, "home", 0, "DIR", "where to build it (default $TARN_HOME, else ./tarn-data)" },
	CLI_OPT_END,
};

struct made {
	char path[4096];
	const char *rel;   /* under lake/ */
	const char *how;   /* provenance */
	const char *types; /* reader --types to describe it with */
};

static tarn_rc mkdirs(const char *path, struct tarn_err *err)
{
	char buf[4096];
	size_t n = strlen(path);
	if (n >= sizeof buf)
		return tarn_err_set(err, TARN_EUSAGE, "path too long: %s", path);
	memcpy(buf, path, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		char c = buf[i];
		buf[i] = '\0';
		if (mkdir(buf, 0755) != 0 && errno != EEXIST)
			return tarn_err_set(err, TARN_EIO, "cannot create directory '%s': %s", buf,
					    strerror(errno));
		struct stat st;
		if (stat(buf, &st) != 0 || !S_ISDIR(st.st_mode))
			return tarn_err_set(err, TARN_EIO, "'%s' exists and is not a directory",
					    buf);
		buf[i] = c;
	}
	return TARN_OK;
}

static tarn_rc reader_opts(const char *types, struct tarn_opts **out, struct tarn_err *err)
{
	*out = NULL;
	if (tarn_opts_new(out))
		return tarn_err_set(err, TARN_ENOMEM, "out of memory (options)");
	if (types && tarn_opts_set(*out, CLI_KEY_TYPES, types)) {
		tarn_opts_free(*out);
		*out = NULL;
		return tarn_err_set(err, TARN_ENOMEM, "out of memory (options)");
	}
	return TARN_OK;
}

static tarn_rc write_raw(const char *path, struct demo_text *t, struct tarn_err *err)
{
	if (t->failed)
		return tarn_err_set(err, TARN_ENOMEM, "out of memory (demo data)");
	return tarn_file_write_atomic(path, t->data, t->len, err);
}

/* in → out like `tarn convert`, or a stratified sample when spec is set. */
static tarn_rc transform(const char *in, const char *out, const char *types,
			 const struct tarn_sample_spec *spec, struct tarn_err *err)
{
	struct tarn_opts *ro;
	TRY_CLI(reader_opts(types, &ro, err));
	struct tarn_reader *r = NULL;
	struct tarn_writer *w = NULL;
	int64_t rows;
	tarn_rc rc = tarn_reader_open(in, NULL, ro, &r, err);
	if (rc == TARN_OK)
		rc = tarn_writer_open(out, NULL, tarn_reader_schema(r), NULL, &w, err);
	if (rc == TARN_OK)
		rc = spec ? tarn_sample(r, w, spec, &rows, err) : cli_copy(r, w, &rows, err);
	if (rc == TARN_OK)
		rc = tarn_writer_finish(w, err);
	tarn_writer_close(w);
	tarn_reader_close(r);
	tarn_opts_free(ro);
	return rc;
}

/* Rows, size and schema of a file, as a reader sees it. */
static tarn_rc describe(const struct made *m, struct tarn_err *err)
{
	struct tarn_opts *ro;
	TRY_CLI(reader_opts(m->types, &ro, err));
	struct tarn_reader *r = NULL;
	tarn_rc rc = tarn_reader_open(m->path, NULL, ro, &r, err);
	tarn_opts_free(ro);
	int64_t rows = 0;
	while (rc == TARN_OK) {
		struct tarn_batch *b;
		rc = tarn_reader_next(r, &b, err);
		if (rc || !b)
			break;
		rows += tarn_batch_num_rows(b);
		tarn_batch_free(b);
	}
	if (rc == TARN_OK) {
		struct stat st;
		char n[32], sz[32];
		printf("  %-45s %8s rows  %9s  %s\n", m->rel, cli_fmt_count(rows, n, sizeof n),
		       stat(m->path, &st) == 0 ? cli_fmt_bytes(st.st_size, sz, sizeof sz) : "?",
		       m->how);
		const struct tarn_schema *s = tarn_reader_schema(r);
		for (int i = 0; i < tarn_schema_num_fields(s); i++) {
			char type[128];
			tarn_schema_field_type_text(s, i, type, sizeof type);
			printf("      %-26s %s%s\n", tarn_schema_field_name(s, i), type,
			       tarn_schema_field_nullable(s, i) ? "" : " not null");
		}
	}
	tarn_reader_close(r);
	return rc;
}

static int run(const struct cli_cmd *cmd, const struct cli_args *a)
{
	const char *home = cli_get(a, O_HOME);
	if (!home || !*home)
		home = getenv("TARN_HOME");
	if (!home || !*home)
		home = "./tarn-data";
	if (strlen(home) > 3000)
		return cli_usage(cmd, "--home: path too long");

	struct tarn_err err;
	tarn_err_clear(&err);
	struct made files[] = {
		{ .rel = "raw/customers.csv", .how = "generated", .types = CUSTOMER_TYPES },
		{ .rel = "raw/transactions.jsonl", .how = "generated" },
		{ .rel = "curated/customers.jsonl", .how = "converted from raw/customers.csv",
		  .types = CUSTOMER_TYPES },
		{ .rel = "curated/transactions.csv",
		  .how = "converted from raw/transactions.jsonl" },
		{ .rel = "samples/customers_by_churned_10pct.csv",
		  .how = "stratified 10% sample by churned",
		  .types = CUSTOMER_TYPES },
		{ .rel = "curated/customers.parquet", .how = "converted from raw/customers.csv" },
		{ .rel = "curated/transactions.parquet",
		  .how = "converted from raw/transactions.jsonl" },
	};
	enum { N_FILES = sizeof files / sizeof files[0] };
	for (int i = 0; i < N_FILES; i++)
		snprintf(files[i].path, sizeof files[i].path, "%s/lake/%s", home, files[i].rel);
	char dir[4096];
	tarn_rc rc = TARN_OK;
	static const char *const dirs[] = { "raw", "curated", "samples" };
	for (int i = 0; i < 3 && rc == TARN_OK; i++) {
		snprintf(dir, sizeof dir, "%s/lake/%s", home, dirs[i]);
		rc = mkdirs(dir, &err);
	}
	struct demo_text customers = { 0 }, transactions = { 0 };
	if (rc == TARN_OK) {
		demo_customers_csv(DEMO_SEED, DEMO_ROWS, &customers);
		rc = write_raw(files[0].path, &customers, &err);
	}
	if (rc == TARN_OK) {
		demo_transactions_jsonl(DEMO_SEED + 1, DEMO_ROWS, &transactions);
		rc = write_raw(files[1].path, &transactions, &err);
	}
	demo_text_free(&customers);
	demo_text_free(&transactions);
	if (rc == TARN_OK)
		rc = transform(files[0].path, files[2].path, CUSTOMER_TYPES, NULL, &err);
	if (rc == TARN_OK)
		rc = transform(files[1].path, files[3].path, NULL, NULL, &err);
	if (rc == TARN_OK) {
		struct tarn_sample_spec spec = { .method = TARN_SAMPLE_STRATIFIED,
						 .n = -1,
						 .fraction = 0.10,
						 .by = "churned",
						 .seed = 42 };
		rc = transform(files[0].path, files[4].path, CUSTOMER_TYPES, &spec, &err);
	}
	if (rc == TARN_OK)
		rc = transform(files[0].path, files[5].path, CUSTOMER_TYPES, NULL, &err);
	if (rc == TARN_OK)
		rc = transform(files[1].path, files[6].path, NULL, NULL, &err);
	if (rc == TARN_OK)
		printf("tarn demo: built a small lake in %s/lake\n\n", home);
	for (int i = 0; i < N_FILES && rc == TARN_OK; i++)
		rc = describe(&files[i], &err);
	if (rc == TARN_OK) {
		printf("\nThe tables hide the mistakes real ones have: zip codes with leading\n"
		       "zeros, blanks, and columns that leak the target (recorded only after\n"
		       "the outcome). See docs/cli.md#demo.\n\n"
		       "Try next:\n"
		       "  tarn head %s\n"
		       "  tarn schema %s\n"
		       "  tarn count %s\n"
		       "  tarn sample %s /tmp/fraud_sample.csv --method stratified --by is_fraud "
		       "--fraction 20%%\n"
		       "  tarn convert %s /tmp/customers.csv.zst --types zip=string\n"
		       "  tarn meta %s\n"
		       "  tarn cat --to jsonl %s | head -3\n",
		       files[0].path, files[1].path, files[3].path, files[1].path, files[0].path,
		       files[5].path, files[4].path);
	}
	return cli_fail(rc, &err);
}

const struct cli_cmd cli_cmd_demo = {
	.name = "demo",
	.summary = "build a small sample lake to try tarn on",
	.synopsis = "demo [--home DIR]",
	.description =
		"Generates two deterministic tables — customers (churn, 5,000 rows, CSV) and\n"
		"card transactions (fraud, 5,000 rows, JSON Lines) — under DIR/lake/raw/,\n"
		"converts them to DIR/lake/curated/ (customers.jsonl, transactions.csv),\n"
		"writes a stratified 10% sample of customers by churned to DIR/lake/samples/,\n"
		"and prints each file's rows, size and schema with commands to try next.\n"
		"DIR is --home, else $TARN_HOME, else ./tarn-data. Running it again replaces\n"
		"the files (atomically) with identical ones.\n",
	.opts = opts,
	.min_pos = 0,
	.max_pos = 0,
	.run = run,
};
