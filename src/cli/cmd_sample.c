/*
 * cmd_sample.c — `tarn sample INPUT OUTPUT`: top-K, random or stratified
 * rows, through tarn_sample (src/prep/sample.c documents the methods and
 * their guarantees). Like convert, OUTPUT appears only on success.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

enum { O_METHOD = 1, O_N, O_FRACTION, O_BY, O_SEED };

#define DEFAULT_SEED 42

static const struct cli_opt opts[] = {
	{ O_METHOD, "method", 'm', "METHOD", "topk, random or stratified (required)" },
	{ O_N, "n", 'n', "N", "rows to keep" },
	{ O_FRACTION, "fraction", 0, "F", "share of rows to keep: 0 < F <= 1, or a percentage (10%)" },
	{ O_BY, "by", 0, "COL", "the class column (stratified)" },
	{ O_SEED, "seed", 0, "S", "random seed, 0 to 2^64-1 (default 42)" },
	CLI_OPT_FROM,
	CLI_OPT_TO("from OUTPUT's extension, else INPUT's format"),
	CLI_OPT_TYPES,
	CLI_OPT_INFER_ROWS,
	CLI_OPT_BAD_ROW,
	CLI_OPT_COMPRESSION,
	CLI_OPT_ROPT,
	CLI_OPT_FMT_READ,
	CLI_OPT_FMT_WRITE,
	CLI_OPT_WOPT,
	{ CLI_O_JSON, "json", 0, NULL, "print the summary as JSON on stdout (not with OUTPUT -)" },
	CLI_OPT_END,
};

struct watch {
	struct cli_progress bar;
	int64_t rows_read;
};

static void on_progress(void *ctx, int64_t rows_read)
{
	struct watch *w = ctx;
	w->rows_read = rows_read;
	cli_progress_update(&w->bar, rows_read);
}

static bool parse_fraction(const char *text, double *out)
{
	char *end;
	double f = strtod(text, &end);
	if (end == text)
		return false;
	if (*end == '%') {
		f /= 100;
		end++;
	}
	*out = f;
	return *end == '\0' && f > 0 && f <= 1 && !isnan(f);
}

static int run(const struct cli_cmd *cmd, const struct cli_args *a)
{
	const char *in = a->pos[0], *out = a->pos[1];
	struct tarn_sample_spec spec = { .n = -1, .seed = DEFAULT_SEED };
	const char *method = cli_get(a, O_METHOD), *v;
	if (!method)
		return cli_usage(cmd, "sample: --method is required (topk, random or stratified)");
	if (strcmp(method, "topk") == 0 || strcmp(method, "top-k") == 0)
		spec.method = TARN_SAMPLE_TOPK;
	else if (strcmp(method, "random") == 0)
		spec.method = TARN_SAMPLE_RANDOM;
	else if (strcmp(method, "stratified") == 0)
		spec.method = TARN_SAMPLE_STRATIFIED;
	else
		return cli_usage(cmd, "--method: '%s' is not topk, random or stratified", method);
	bool has_n = cli_has(a, O_N), has_f = cli_has(a, O_FRACTION);
	if (has_n == has_f)
		return cli_usage(cmd, "sample: give exactly one of --n N and --fraction F");
	if (has_n && !cli_int_arg(cmd, "--n", cli_get(a, O_N), 0, INT64_MAX, &spec.n))
		return 1;
	if (has_f && !parse_fraction(cli_get(a, O_FRACTION), &spec.fraction))
		return cli_usage(cmd, "--fraction: '%s' is not a number above 0 and at most 1",
				 cli_get(a, O_FRACTION));
	if (has_f && spec.method == TARN_SAMPLE_TOPK)
		return cli_usage(cmd, "sample: topk keeps the first --n N rows; it takes no "
				      "--fraction");
	spec.by = cli_get(a, O_BY);
	if (spec.method == TARN_SAMPLE_STRATIFIED && !spec.by)
		return cli_usage(cmd, "sample: stratified sampling needs --by COL");
	if (spec.method != TARN_SAMPLE_STRATIFIED && spec.by)
		return cli_usage(cmd, "sample: --by is for --method stratified");
	if ((v = cli_get(a, O_SEED))) {
		char *end;
		errno = 0;
		if (!*v || *v == '-' || *v == '+' ||
		    (spec.seed = strtoull(v, &end, 10), *end || errno == ERANGE))
			return cli_usage(cmd, "--seed: '%s' is not a whole number from 0 to 2^64-1",
					 v);
	}
	if (cli_has(a, CLI_O_JSON) && strcmp(out, "-") == 0)
		return cli_usage(cmd, "--json prints to stdout, which OUTPUT '-' already uses");

	struct tarn_err err;
	tarn_err_clear(&err);
	struct tarn_reader *r = NULL;
	struct tarn_writer *w = NULL;
	struct watch watch = { 0 };
	int64_t rows = 0;
	double t0 = cli_now();
	tarn_rc rc = cli_open_reader(a, in, &r, &err);
	if (rc == TARN_OK)
		rc = cli_open_writer(a, out, tarn_reader_format(r), r, &w, &err);
	if (rc == TARN_OK) {
		cli_progress_begin(&watch.bar, r);
		spec.progress = on_progress;
		spec.progress_ctx = &watch;
		rc = tarn_sample(r, w, &spec, &rows, &err);
		cli_progress_end(&watch.bar);
	}
	if (rc == TARN_OK)
		rc = tarn_writer_finish(w, &err);
	if (rc == TARN_OK) {
		double secs = cli_now() - t0;
		if (cli_has(a, CLI_O_JSON)) {
			printf("{\"rows\":%lld,\"rows_read\":%lld,\"method\":", (long long)rows,
			       (long long)watch.rows_read);
			cli_json_string(stdout, method);
			printf(",\"seed\":%llu,\"output\":", (unsigned long long)spec.seed);
			cli_json_string(stdout, out);
			printf(",\"seconds\":%.3f}\n", secs);
		} else if (!cli.quiet) {
			char n1[32], n2[32], t[32];
			fprintf(stderr, "sampled %s", cli_fmt_count(rows, n1, sizeof n1));
			if (spec.method != TARN_SAMPLE_TOPK)
				fprintf(stderr, " of %s", cli_fmt_count(watch.rows_read, n2, sizeof n2));
			fprintf(stderr, " rows (%s", method);
			if (spec.by)
				fprintf(stderr, " by %s", spec.by);
			if (spec.method != TARN_SAMPLE_TOPK)
				fprintf(stderr, ", seed %llu", (unsigned long long)spec.seed);
			fprintf(stderr, "; %s → %s) in %s\n", cli_path_label(in, false),
				cli_path_label(out, true), cli_fmt_secs(secs, t, sizeof t));
		}
	}
	tarn_writer_close(w);
	tarn_reader_close(r);
	return cli_fail(rc, &err);
}

const struct cli_cmd cli_cmd_sample = {
	.name = "sample",
	.summary = "take a top-K, random or stratified sample of rows",
	.synopsis = "sample INPUT OUTPUT --method METHOD (--n N | --fraction F) [options]",
	.description =
		"Writes a sample of INPUT's rows to OUTPUT, in their input order, in one pass\n"
		"with memory bounded by the sample size. Same --seed and input, same sample.\n"
		"\n"
		"  topk        the first N rows; stops reading after them.\n"
		"  random      --n N: exactly min(N, rows) rows, every N-subset equally likely\n"
		"              (reservoir sampling, Algorithm L). --fraction F: exactly\n"
		"              round(F x rows) rows (at least 1), a uniform random subset.\n"
		"  stratified  --by COL: every class of COL keeps its share of the sample\n"
		"              (proportional allocation, largest remainders), and every class\n"
		"              present keeps at least one row. Within a class the rows are a\n"
		"              uniform random subset. Up to 100,000 classes.\n"
		"\n"
		"OUTPUT's format comes from its name or --to, else it is INPUT's format.\n"
		"\n"
		"Examples:\n"
		"  tarn sample big.csv first.csv --method topk --n 1000\n"
		"  tarn sample events.jsonl s.jsonl --method random --n 10000 --seed 7\n"
		"  tarn sample customers.csv s.csv --method stratified --by churned --fraction 10%\n",
	.opts = opts,
	.min_pos = 2,
	.max_pos = 2,
	.run = run,
};
