/*
 * sqlbench.c — times SQL queries hot, in one process, through the public
 * API (tarn_sql_open): the tarn half of bench/tpch.sh.
 *
 * Usage: sqlbench [--runs N] [--threads N] [--path DIR] FILE.sql...
 *   --runs N     runs per query (default 3); every run opens, drains and
 *                closes the query, so the first run pays the cold page
 *                cache and the later ones are hot
 *   --threads N  worker threads (default: the pool's size, one per core)
 *   --path DIR   prefixes each query with SET file_search_path = 'DIR'
 *
 * Prints one JSON line per query: its name (the file's base name), the wall
 * time of every run, the best, the process CPU time over its runs (user +
 * system, all threads), the result's row count, and the process's peak RSS
 * so far (ru_maxrss, so it only grows from query to query). A failing query
 * prints {"query":..., "error":...} and the program goes on; the exit status
 * is 1 if any query failed.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "tarn.h"

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static double cpu_now(void)
{
	struct rusage u;
	getrusage(RUSAGE_SELF, &u);
	return (double)u.ru_utime.tv_sec + (double)u.ru_utime.tv_usec * 1e-6 +
	       (double)u.ru_stime.tv_sec + (double)u.ru_stime.tv_usec * 1e-6;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 4096, n = 0;
	char *s = malloc(cap);
	for (size_t k; s && (k = fread(s + n, 1, cap - n, f)) > 0;) {
		n += k;
		if (n == cap) {
			char *t = realloc(s, cap *= 2);
			if (!t) {
				free(s);
				s = NULL;
			}
			s = t;
		}
	}
	fclose(f);
	if (s)
		s[n] = '\0';
	*len = n;
	return s;
}

static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", (unsigned char)*s);
		else
			putchar(*s);
	}
	putchar('"');
}

/* One run: open, drain, close. Returns the row count, -1 on error. */
static int64_t run_once(const char *sql, size_t len, const struct tarn_sql_opts *o,
			struct tarn_err *err)
{
	struct tarn_reader *r;
	if (tarn_sql_open(sql, len, o, &r, err))
		return -1;
	int64_t rows = 0;
	for (;;) {
		struct tarn_batch *b;
		if (tarn_reader_next(r, &b, err)) {
			tarn_reader_close(r);
			return -1;
		}
		if (!b)
			break;
		rows += tarn_batch_num_rows(b);
		tarn_batch_free(b);
	}
	tarn_reader_close(r);
	return rows;
}

int main(int argc, char **argv)
{
	int runs = 3, i = 1;
	const char *dir = NULL;
	struct tarn_sql_opts o = { 0 };
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--runs") && i + 1 < argc)
			runs = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--threads") && i + 1 < argc)
			o.threads = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--path") && i + 1 < argc)
			dir = argv[++i];
		else
			break;
	}
	if (i >= argc || runs < 1) {
		fprintf(stderr, "usage: sqlbench [--runs N] [--threads N] [--path DIR] FILE.sql...\n");
		return 2;
	}
	int status = 0;
	for (; i < argc; i++) {
		const char *base = strrchr(argv[i], '/');
		base = base ? base + 1 : argv[i];
		char name[256];
		snprintf(name, sizeof name, "%.*s", (int)strcspn(base, "."), base);
		size_t qlen;
		char *q = slurp(argv[i], &qlen);
		char *sql = NULL;
		if (q && dir && asprintf(&sql, "SET file_search_path = '%s';\n%s", dir, q) < 0)
			sql = NULL;
		else if (q && !dir)
			sql = strdup(q);
		free(q);
		if (!sql) {
			printf("{\"query\":");
			json_str(name);
			printf(",\"error\":\"cannot read %s\"}\n", argv[i]);
			status = 1;
			continue;
		}
		double best = 1e30, *times = calloc((size_t)runs, sizeof *times);
		double cpu0 = cpu_now();
		int64_t rows = 0;
		struct tarn_err err = { 0 };
		int r = 0;
		for (; times && r < runs; r++) {
			double t0 = now();
			rows = run_once(sql, strlen(sql), &o, &err);
			times[r] = now() - t0;
			if (rows < 0)
				break;
			if (times[r] < best)
				best = times[r];
		}
		double cpu = cpu_now() - cpu0;
		struct rusage u;
		getrusage(RUSAGE_SELF, &u);
		printf("{\"query\":");
		json_str(name);
		if (!times || rows < 0) {
			printf(",\"error\":");
			json_str(times ? err.msg : "out of memory");
			printf("}\n");
			status = 1;
		} else {
			printf(",\"times\":[");
			for (int k = 0; k < runs; k++)
				printf("%s%.4f", k ? "," : "", times[k]);
			printf("],\"best_s\":%.4f,\"cpu_s\":%.3f,\"rows\":%lld,\"peak_rss_mb\":%.1f}\n",
			       best, cpu, (long long)rows, (double)u.ru_maxrss / 1024.0);
		}
		fflush(stdout);
		free(times);
		free(sql);
	}
	return status;
}
