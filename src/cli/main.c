/*
 * main.c — the tarn command: global options, the command table, dispatch.
 *
 * `tarn [global options] COMMAND [args]`. Global options are accepted before
 * the command and anywhere after it (cli_args_parse knows them too). Each
 * command is a descriptor in its own cmd_*.c file; adding one is adding a
 * file and a line to cli_commands below — `tarn --help` lists the table.
 *
 * SIGPIPE is ignored so that a closed stdout pipe turns into a write error
 * (EPIPE) the command can stop on cleanly: `tarn cat big.csv | head -1`
 * exits 0 without a message (cli_fail / cli_finish_stdout), and no command
 * is killed halfway through removing its temporary output.
 */
#include <malloc.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"

extern const struct cli_cmd cli_cmd_convert, cli_cmd_schema, cli_cmd_head, cli_cmd_cat,
	cli_cmd_count, cli_cmd_sample, cli_cmd_formats, cli_cmd_demo, cli_cmd_meta, cli_cmd_query,
	cli_cmd_sql;

const struct cli_cmd *const cli_commands[] = {
	&cli_cmd_convert, &cli_cmd_schema, &cli_cmd_head,    &cli_cmd_cat,
	&cli_cmd_count,   &cli_cmd_sample, &cli_cmd_query, &cli_cmd_sql,  &cli_cmd_meta, &cli_cmd_formats, &cli_cmd_demo,
	NULL,
};

const struct cli_opt cli_global_opts[] = {
	{ CLI_G_QUIET, "quiet", 'q', NULL, "no summary line and no progress bar on stderr" },
	{ CLI_G_THREADS, "threads", 0, "N", "worker threads (default 0 = one per core)" },
	{ CLI_G_HELP, "help", 'h', NULL, "show help and exit" },
	{ CLI_G_VERSION, "version", 0, NULL, "print the version and exit" },
	{ 0, NULL, 0, NULL, NULL },
};

static const struct cli_cmd *find_command(const char *name)
{
	for (int i = 0; cli_commands[i]; i++)
		if (strcmp(cli_commands[i]->name, name) == 0)
			return cli_commands[i];
	return NULL;
}

static int unknown_command(const char *name)
{
	const char *names[32];
	int n = 0;
	for (int i = 0; cli_commands[i] && n < 32; i++)
		names[n++] = cli_commands[i]->name;
	const char *s = cli_suggest(name, names, n);
	if (s)
		return cli_usage(NULL, "unknown command '%s' (did you mean '%s'?)", name, s);
	return cli_usage(NULL, "unknown command '%s'", name);
}

/* Global options before the command. Returns -1 to go on with argv[*next]
 * as the command, else an exit status. */
static int parse_leading(int argc, char **argv, int *next)
{
	int i = 1;
	for (; i < argc; i++) {
		const char *s = argv[i];
		if (strcmp(s, "--") == 0) {
			i++;
			break;
		}
		if (s[0] != '-' || s[1] == '\0')
			break;
		const struct cli_opt *o = NULL;
		const char *value = NULL, *eq = NULL;
		if (s[1] == '-') {
			eq = strchr(s + 2, '=');
			size_t n = eq ? (size_t)(eq - s - 2) : strlen(s + 2);
			for (const struct cli_opt *t = cli_global_opts; t->id && !o; t++)
				if (strlen(t->name) == n && strncmp(t->name, s + 2, n) == 0)
					o = t;
		} else if (s[2] == '\0') {
			for (const struct cli_opt *t = cli_global_opts; t->id && !o; t++)
				if (t->short_name == s[1])
					o = t;
		}
		if (!o) {
			const char *names[8];
			int n = 0;
			for (const struct cli_opt *t = cli_global_opts; t->id; t++)
				names[n++] = t->name;
			char word[64];
			snprintf(word, sizeof word, "%.*s", (int)(eq ? eq - s : 63), s);
			const char *hint = s[1] == '-' ? cli_suggest(word + 2, names, n) : NULL;
			if (hint)
				return cli_usage(NULL, "unknown option '%s' (did you mean '--%s'?)",
						 word, hint);
			return cli_usage(NULL,
					 "unknown option '%s' (command options go after the command)",
					 word);
		}
		if (o->id == CLI_G_HELP) {
			cli_print_main_help(stdout);
			return cli_finish_stdout(0);
		}
		if (o->id == CLI_G_VERSION) {
			printf("tarn %s\n", TARN_VERSION);
			return cli_finish_stdout(0);
		}
		if (o->arg) {
			if (eq)
				value = eq + 1;
			else if (i + 1 < argc)
				value = argv[++i];
			else
				return cli_usage(NULL, "option --%s needs a value (%s)", o->name,
						 o->arg);
		} else if (eq) {
			return cli_usage(NULL, "option --%s takes no value", o->name);
		}
		if (cli_apply_global(o, value, NULL))
			return 1;
	}
	*next = i;
	return -1;
}

int main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	/* Batches are large and short-lived: keep freed column buffers in the
	 * heap instead of returning them to the kernel after every batch, which
	 * would make the next batch page-fault its memory in again (measured:
	 * a quarter of single-threaded CSV parse time). */
	mallopt(M_MMAP_THRESHOLD, 256 << 20);
	mallopt(M_TRIM_THRESHOLD, 512 << 20);
	cli.stdout_tty = isatty(1);
	cli.stderr_tty = isatty(2);
	const char *nc = getenv("NO_COLOR");
	cli.color = cli.stdout_tty && !(nc && nc[0]);

	int i = 1;
	int status = parse_leading(argc, argv, &i);
	if (status >= 0)
		return status;
	if (i >= argc) {
		cli_print_main_help(stderr);
		return 1;
	}
	const char *name = argv[i];
	if (strcmp(name, "help") == 0) {
		/* `tarn help [COMMAND]` */
		if (i + 1 >= argc) {
			cli_print_main_help(stdout);
			return cli_finish_stdout(0);
		}
		const struct cli_cmd *c = find_command(argv[i + 1]);
		if (!c)
			return unknown_command(argv[i + 1]);
		cli_print_cmd_help(c, stdout);
		return cli_finish_stdout(0);
	}
	const struct cli_cmd *cmd = find_command(name);
	if (!cmd)
		return unknown_command(name);
	struct cli_args a;
	int r = cli_args_parse(cmd, argc - i - 1, argv + i + 1, &a);
	if (r > 0)
		return cli_finish_stdout(0);
	if (r < 0)
		return 1;
	status = cmd->run(cmd, &a);
	cli_args_free(&a);
	return cli_finish_stdout(status);
}
