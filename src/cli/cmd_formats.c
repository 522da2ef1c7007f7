/*
 * cmd_formats.c — `tarn formats [NAME]`: the format registry
 * (tarn_format_info_at) with extensions, read/write support and each
 * format's reader and writer options (tarn_format_options_help).
 */
#include <string.h>

#include "cli/cli.h"

static const struct cli_opt opts[] = {
	CLI_OPT_END,
};

/* The registry's help text, one option a line, indented under a heading. */
static void print_help_lines(const char *h)
{
	if (!h || !*h) {
		fputs("    (none)\n", stdout);
		return;
	}
	while (*h) {
		const char *nl = strchr(h, '\n');
		size_t n = nl ? (size_t)(nl - h) : strlen(h);
		printf("  %.*s\n", (int)n, h);
		h += n + (nl != NULL);
	}
}

static void print_options(const struct tarn_format_info *f)
{
	printf("\n%s — %s\n", f->name, f->summary);
	if (f->can_read) {
		fputs("  reader options (-r KEY=VALUE):\n", stdout);
		print_help_lines(tarn_format_options_help(f->name, false));
	}
	if (f->can_write) {
		fputs("  writer options (-w KEY=VALUE):\n", stdout);
		print_help_lines(tarn_format_options_help(f->name, true));
	}
}

static int run(const struct cli_cmd *cmd, const struct cli_args *a)
{
	const char *want = a->n_pos ? a->pos[0] : NULL;
	const struct tarn_format_info *f;
	if (want) {
		const char *names[64];
		int n = 0;
		for (int i = 0; (f = tarn_format_info_at(i)) && n < 64; i++) {
			names[n++] = f->name;
			if (strcmp(f->name, want) == 0) {
				print_options(f);
				return 0;
			}
		}
		const char *s = cli_suggest(want, names, n);
		if (s)
			return cli_usage(cmd, "unknown format '%s' (did you mean '%s'?)", want, s);
		return cli_usage(cmd, "unknown format '%s'", want);
	}
	printf("%-8s  %-4s  %-5s  %-24s  %s\n", "format", "read", "write", "extensions",
	       "description");
	for (int i = 0; (f = tarn_format_info_at(i)); i++) {
		char ext[128] = "";
		size_t len = 0;
		for (const char *const *e = f->extensions; e && *e; e++) {
			int k = snprintf(ext + len, sizeof ext - len, "%s%s", len ? " " : "", *e);
			if (k < 0 || (size_t)k >= sizeof ext - len)
				break;
			len += (size_t)k;
		}
		printf("%-8s  %-4s  %-5s  %-24s  %s\n", f->name, f->can_read ? "yes" : "no",
		       f->can_write ? "yes" : "no", ext, f->summary);
	}
	printf("\nText formats are compressed as a whole with gzip (.gz suffix) or zstd\n"
	       "(.zst), or with their writer's compression option; compressed input is\n"
	       "recognised by its first bytes whatever its name.\n");
	for (int i = 0; (f = tarn_format_info_at(i)); i++)
		print_options(f);
	return 0;
}

const struct cli_cmd cli_cmd_formats = {
	.name = "formats",
	.summary = "list the file formats and their options",
	.synopsis = "formats [FORMAT]",
	.description =
		"Lists every format tarn knows: its name (for --from/--to), the file\n"
		"extensions that select it, whether tarn reads and writes it, and the\n"
		"options its reader (-r KEY=VALUE) and writer (-w KEY=VALUE) accept.\n"
		"With FORMAT, shows only that format's options.\n",
	.opts = opts,
	.min_pos = 0,
	.max_pos = 1,
	.run = run,
};
