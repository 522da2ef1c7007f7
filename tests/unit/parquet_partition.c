/*
 * parquet_partition.c — tarn_write_partitioned (src/formats/partition.c):
 * directory layout and Hive escaping, the rows of every partition read back
 * by tarn, the files without the partition columns, limits and bad
 * arguments leaving nothing behind, and allocation failures at every step
 * (no leaks, nothing left on disk). Works in a fresh directory under
 * $TMPDIR (or /tmp).
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/mem.h"
#include "tarn.h"
#include "unit.h"

static char root[512];

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (!f)
		abort();
	fputs(text, f);
	fclose(f);
}

static bool exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

/* Entries of root other than the input files: must be only `want` (or
 * nothing when NULL) — no temporary directories. */
static int stray_entries(const char *want)
{
	DIR *d = opendir(root);
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.' &&
		    (!e->d_name[1] || (e->d_name[1] == '.' && !e->d_name[2])))
			continue;
		if (strstr(e->d_name, ".csv"))
			continue;
		if (want && strcmp(e->d_name, want) == 0)
			continue;
		fprintf(stderr, "stray: %s\n", e->d_name);
		n++;
	}
	closedir(d);
	return n;
}

static void rm_rf(const char *path)
{
	char cmd[1200];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
	if (system(cmd) != 0)
		abort();
}

static tarn_rc run(const char *csv, const char *dir, const char *cols, int max_open, int64_t *rows,
                   int64_t *parts, struct tarn_err *err)
{
	char in[600], out[600];
	snprintf(in, sizeof in, "%s/%s", root, csv);
	snprintf(out, sizeof out, "%s/%s", root, dir);
	struct tarn_reader *r;
	tarn_rc rc = tarn_reader_open(in, NULL, NULL, &r, err);
	if (rc)
		return rc;
	struct tarn_partition_opts o = {NULL, NULL, max_open};
	rc = tarn_write_partitioned(r, out, cols, &o, rows, parts, err);
	tarn_reader_close(r);
	return rc;
}

/* All rows of a file as "c1|c2|...\n" text. */
static char *dump(const char *path)
{
	struct tarn_reader *r;
	struct tarn_err err = {0};
	if (tarn_reader_open(path, NULL, NULL, &r, &err))
		return NULL;
	size_t cap = 4096, len = 0;
	char *s = malloc(cap);
	s[0] = 0;
	for (;;) {
		struct tarn_batch *b;
		if (tarn_reader_next(r, &b, &err) || !b)
			break;
		for (int64_t i = 0; i < tarn_batch_num_rows(b); i++) {
			for (int c = 0; c < tarn_batch_num_cols(b); c++) {
				char cell[256];
				size_t k = tarn_batch_cell_text(b, c, i, cell, sizeof cell);
				if (len + k + 3 > cap)
					s = realloc(s, cap *= 2);
				memcpy(s + len, cell, k);
				len += k;
				s[len++] = c + 1 < tarn_batch_num_cols(b) ? '|' : '\n';
			}
		}
		tarn_batch_free(b);
	}
	s[len] = 0;
	tarn_reader_close(r);
	return s;
}

static const char *csv_text = "k,g,v\n"
                              "a/b,1,10\n"
                              "a=b,2,20\n"
                              ",1,30\n"
                              "100%,1,40\n"
                              "a/b,2,50\n"
                              "x:y,,60\n"
                              "a/b,1,70\n";

TEST(layout_and_rows)
{
	int64_t rows, parts;
	struct tarn_err err = {0};
	REQUIRE(run("in.csv", "out", "k,g", 0, &rows, &parts, &err) == TARN_OK);
	CHECK(rows == 7);
	CHECK(parts == 6);
	char p[700];
	static const char *const dirs[] = {"k=a%2Fb/g=1",  "k=a%2Fb/g=2",
	                                   "k=a%3Db/g=2",  "k=__HIVE_DEFAULT_PARTITION__/g=1",
	                                   "k=100%25/g=1", "k=x%3Ay/g=__HIVE_DEFAULT_PARTITION__"};
	for (int i = 0; i < 6; i++) {
		snprintf(p, sizeof p, "%s/out/%s/part-00000.parquet", root, dirs[i]);
		CHECK(exists(p));
		if (!exists(p))
			fprintf(stderr, "missing %s\n", p);
	}
	/* rows of a partition, in input order, without k and g */
	snprintf(p, sizeof p, "%s/out/k=a%%2Fb/g=1/part-00000.parquet", root);
	char *d = dump(p);
	CHECK_STR(d, "10\n70\n");
	free(d);
	struct tarn_reader *r;
	REQUIRE(tarn_reader_open(p, NULL, NULL, &r, &err) == TARN_OK);
	CHECK(tarn_schema_num_fields(tarn_reader_schema(r)) == 1);
	CHECK_STR(tarn_schema_field_name(tarn_reader_schema(r), 0), "v");
	tarn_reader_close(r);
	CHECK(stray_entries("out") == 0);
	rm_rf(p); /* (just the file) */
}

TEST(failures_leave_nothing)
{
	int64_t rows, parts;
	struct tarn_err err = {0};
	CHECK(run("in.csv", "f1", "k", 3, &rows, &parts, &err) == TARN_ELIMIT);
	CHECK_CONTAINS(err.msg, "max-open-partitions");
	tarn_err_clear(&err);
	CHECK(run("in.csv", "f2", "nope", 0, &rows, &parts, &err) == TARN_ENOTFOUND);
	tarn_err_clear(&err);
	CHECK(run("in.csv", "f3", "k,v,g", 0, &rows, &parts, &err) == TARN_EUSAGE);
	CHECK_CONTAINS(err.msg, "every column");
	tarn_err_clear(&err);
	CHECK(run("in.csv", "f4", "k,k", 0, &rows, &parts, &err) == TARN_EUSAGE);
	tarn_err_clear(&err);
	/* an existing non-empty target is refused and kept */
	CHECK(run("in.csv", "out", "k", 0, &rows, &parts, &err) == TARN_EUSAGE);
	CHECK_CONTAINS(err.msg, "not empty");
	CHECK(stray_entries("out") == 0);
	/* an empty directory is replaced */
	char p[600];
	snprintf(p, sizeof p, "%s/empty", root);
	REQUIRE(mkdir(p, 0777) == 0);
	tarn_err_clear(&err);
	CHECK(run("in.csv", "empty/", "g", 0, &rows, &parts, &err) == TARN_OK);
	CHECK(parts == 3);
	rm_rf(p);
	CHECK(stray_entries("out") == 0);
}

TEST(allocation_failures)
{
	int ok = 0;
	for (int64_t k = 0; k < 3000; k += 1 + k / 30) {
		struct tarn_err err = {0};
		int64_t rows, parts;
		tarn_mem_fail_after(k);
		tarn_rc rc = run("in.csv", "m", "k,g", 0, &rows, &parts, &err);
		tarn_mem_fail_after(-1);
		char p[600];
		snprintf(p, sizeof p, "%s/m", root);
		if (rc == TARN_OK) {
			ok++;
			rm_rf(p);
		} else {
			CHECK(rc == TARN_ENOMEM);
			if (rc != TARN_ENOMEM)
				fprintf(stderr, "fail after %lld: %s\n", (long long)k, err.msg);
			CHECK(!exists(p));
		}
		CHECK(stray_entries("out") == 0);
	}
	CHECK(ok > 0);
}

int main(void)
{
	const char *t = getenv("TMPDIR");
	snprintf(root, sizeof root, "%s/tarn-partition-XXXXXX", t && *t ? t : "/tmp");
	if (!mkdtemp(root))
		return 1;
	char in[600];
	snprintf(in, sizeof in, "%s/in.csv", root);
	write_text(in, csv_text);
	RUN(layout_and_rows);
	RUN(failures_leave_nothing);
	RUN(allocation_failures);
	rm_rf(root);
	return unit_done();
}
