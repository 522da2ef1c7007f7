/*
 * measure.c - time one command and report its wall time and peak memory.
 *
 * Usage: measure [--label L] [-o FILE] -- cmd args...
 *
 * Forks, execs cmd (searching PATH), waits for it with wait4() and prints one
 * JSON line: {"label":"L","wall_s":1.234,"max_rss_mb":56.7,"exit":0}.
 * max_rss_mb is the child's ru_maxrss (Linux reports KiB; 1 MB = 1024 KiB
 * here). exit is the child's exit status, or 128 + signal if a signal ended
 * it, or 127 if it could not be started. The line goes to stdout, or is
 * appended to FILE with -o, so the command's own stdout cannot mix with it.
 * measure itself exits with the child's exit value.
 *
 * Used by bench/run.sh to time tarn and its peers the same way.
 */
#define _DEFAULT_SOURCE /* wait4 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void usage(void)
{
	fprintf(stderr, "usage: measure [--label L] [-o FILE] -- cmd args...\n");
	exit(2);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A JSON string: quote, backslash and control characters escaped. */
static void put_json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

int main(int argc, char **argv)
{
	const char *label = "";
	const char *out_path = NULL;
	int i = 1;

	for (; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		}
		if (strcmp(argv[i], "--label") == 0 && i + 1 < argc)
			label = argv[++i];
		else if (strcmp(argv[i], "-o") == 0 && i + 1 < argc)
			out_path = argv[++i];
		else
			usage();
	}
	if (i >= argc)
		usage();

	double start = now_s();
	pid_t pid = fork();
	if (pid < 0) {
		perror("measure: fork");
		return 1;
	}
	if (pid == 0) {
		execvp(argv[i], argv + i);
		fprintf(stderr, "measure: exec %s: %s\n", argv[i], strerror(errno));
		_exit(127);
	}

	int status;
	struct rusage ru;
	pid_t got;
	do {
		got = wait4(pid, &status, 0, &ru);
	} while (got < 0 && errno == EINTR);
	double wall = now_s() - start;
	if (got < 0) {
		perror("measure: wait4");
		return 1;
	}
	int code = WIFEXITED(status)   ? WEXITSTATUS(status)
		   : WIFSIGNALED(status) ? 128 + WTERMSIG(status)
					 : 1;

	FILE *f = stdout;
	if (out_path && !(f = fopen(out_path, "a"))) {
		fprintf(stderr, "measure: open %s: %s\n", out_path, strerror(errno));
		return 1;
	}
	fputs("{\"label\":", f);
	put_json_str(f, label);
	fprintf(f, ",\"wall_s\":%.3f,\"max_rss_mb\":%.1f,\"exit\":%d}\n", wall,
		(double)ru.ru_maxrss / 1024.0, code);
	int werr = 0;
	if (f == stdout)
		werr = fflush(f);
	else
		werr = fclose(f);
	if (werr != 0) {
		perror("measure: write");
		return 1;
	}
	return code;
}
