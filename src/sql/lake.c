/*
 * lake.c — SQL tables stored as files in the lake.
 *
 * A table NAME is the directory $TARN_HOME/lake/tables/name/ (the name
 * lower-cased: SQL names are case-insensitive) holding Parquet part files
 * part-000001.parquet, part-000002.parquet, ...: CREATE TABLE writes the
 * first (a zero-row file for CREATE TABLE (cols), so the schema is always
 * on disk), each INSERT adds the next. The table reads as a dataset
 * (formats/dataset.c) — files in name order, so rows come back in insertion
 * order — and any tool reads it the same way (`tarn cat lake/tables/t`).
 *
 * Durability: each part is written atomically by the writer layer (a
 * .tarn-tmp file beside it, fsync, rename, directory fsync; names starting
 * with '.' are invisible to dataset reads). CREATE [OR REPLACE] TABLE
 * builds the whole directory under a hidden temporary name and renames it
 * into place, so a failed CREATE leaves no table and a replaced table is
 * swapped in one rename. Not safe against two processes inserting into one
 * table at the same moment (both may pick the same part number; the second
 * rename wins) — the catalog will serialise writers.
 *
 * Relies on the writer/reader layer and exec.h. Thread-safety: one
 * statement at a time per session.
 */
#include "sql/lake.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/err.h"
#include "base/io.h"
#include "base/mem.h"
#include "columnar/array.h"

const char *sql_lake_home(const struct sql_env *e)
{
	if (e && e->home)
		return e->home;
	const char *h = getenv("TARN_HOME");
	return h && *h ? h : "./tarn-data";
}

static bool name_ok(const char *name)
{
	if (!*name || strlen(name) > 200)
		return false;
	for (const char *p = name; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-' && !((unsigned char)*p & 0x80))
			return false;
	return name[0] != '-';
}

tarn_rc sql_lake_dir(const struct sql_env *e, const char *name, char *out, size_t cap,
		     struct tarn_err *err)
{
	if (!name_ok(name))
		return tarn_err_set(err, TARN_EUSAGE,
				    "table name '%s': lake tables take names of letters, digits, "
				    "'_' and '-'", name);
	int n = snprintf(out, cap, "%s/lake/tables/", sql_lake_home(e));
	if (n < 0 || (size_t)n + strlen(name) + 1 > cap)
		return tarn_err_set(err, TARN_ELIMIT, "table path too long");
	char *p = out + n;
	for (const char *s = name; *s; s++)
		*p++ = (char)tolower((unsigned char)*s);
	*p = 0;
	return TARN_OK;
}

bool sql_lake_exists(const struct sql_env *e, const char *name, char *out, size_t cap)
{
	struct stat st;
	return sql_lake_dir(e, name, out, cap, NULL) == TARN_OK && stat(out, &st) == 0 &&
	       S_ISDIR(st.st_mode);
}

/* mkdir -p */
static tarn_rc make_dirs(const char *path, struct tarn_err *err)
{
	char buf[4096];
	size_t n = strlen(path);
	if (n >= sizeof buf)
		return tarn_err_set(err, TARN_ELIMIT, "path too long");
	memcpy(buf, path, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (buf[i] != '/' && buf[i] != 0)
			continue;
		char c = buf[i];
		buf[i] = 0;
		if (mkdir(buf, 0755) != 0 && errno != EEXIST)
			return tarn_err_set(err, TARN_EIO, "cannot create directory '%s': %s", buf,
					    strerror(errno));
		buf[i] = c;
	}
	return TARN_OK;
}

tarn_rc sql_lake_drop(const char *dir, struct tarn_err *err)
{
	return tarn_remove_tree(dir, err);
}

/* The next part number in dir: one more than the largest part-N.parquet. */
static long next_part(const char *dir)
{
	long max = 0;
	DIR *d = opendir(dir);
	if (!d)
		return 1;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		long k;
		if (sscanf(de->d_name, "part-%ld.parquet", &k) == 1 && k > max)
			max = k;
	}
	closedir(d);
	return max + 1;
}

/* Writes every batch of plan (whose output has the types of `schema`) into
 * one Parquet file in dir. */
static tarn_rc write_file(const char *path, struct ex_op *plan, const struct ex_opts *xo,
			  struct tarn_schema *schema, int64_t *rows, struct tarn_err *err)
{
	struct ex_query *q = NULL;
	TRY(ex_query_new(plan, xo, &q, err));
	struct tarn_writer *w = NULL;
	tarn_rc rc = tarn_writer_open(path, "parquet", schema, NULL, &w, err);
	while (!rc) {
		struct tarn_batch *b = NULL;
		rc = ex_query_next(q, &b, err);
		if (rc || !b)
			break;
		*rows += b->n_rows;
		/* the writer takes batches of its own schema (column names of
		 * the table; the types are the same) */
		struct tarn_schema *qs = b->schema;
		b->schema = schema;
		for (int c = 0; c < b->n_cols; c++)
			tarn_array_retype(b->cols[c], &schema->fields[c].type);
		if (b->n_rows)
			rc = tarn_writer_write(w, b, err);
		b->schema = qs;
		for (int c = 0; c < b->n_cols; c++)
			tarn_array_retype(b->cols[c], &qs->fields[c].type);
		tarn_batch_free(b);
	}
	if (!rc)
		rc = tarn_writer_finish(w, err);
	tarn_writer_close(w);
	ex_query_free(q);
	return rc;
}

static tarn_rc write_part(const char *dir, struct ex_op *plan, const struct ex_opts *xo,
			  struct tarn_schema *schema, int64_t *rows, struct tarn_err *err)
{
	char path[4200];
	snprintf(path, sizeof path, "%s/part-%06ld.parquet", dir, next_part(dir));
	return write_file(path, plan, xo, schema, rows, err);
}

tarn_rc sql_lake_set_defaults(const char *dir, struct ex_op *plan, const struct ex_opts *xo,
			      struct tarn_err *err)
{
	char path[4200];
	snprintf(path, sizeof path, "%s/_defaults.parquet", dir);
	int64_t rows = 0;
	struct tarn_schema *s = (struct tarn_schema *)ex_op_schema(plan);
	tarn_schema_ref(s);
	tarn_rc rc = write_file(path, plan, xo, s, &rows, err);
	tarn_schema_unref(s);
	return rc;
}

tarn_rc sql_lake_defaults(const char *dir, struct tarn_batch **out, struct tarn_err *err)
{
	*out = NULL;
	char path[4200];
	snprintf(path, sizeof path, "%s/_defaults.parquet", dir);
	if (access(path, F_OK) != 0)
		return TARN_OK;
	struct tarn_reader *r = NULL;
	TRY(tarn_reader_open(path, "parquet", NULL, &r, err));
	tarn_rc rc = tarn_reader_next(r, out, err);
	tarn_reader_close(r);
	return rc;
}

tarn_rc sql_lake_create(const char *dir, struct ex_op *plan, const struct ex_opts *xo,
			struct tarn_schema *schema, bool replace, int64_t *rows,
			struct tarn_err *err)
{
	/* build under .NAME.tmp-PID beside the final directory */
	char tmp[4200], old[4200];
	const char *slash = strrchr(dir, '/');
	int pre = slash ? (int)(slash - dir + 1) : 0;
	snprintf(tmp, sizeof tmp, "%.*s.%s.tmp-%ld", pre, dir, dir + pre, (long)getpid());
	snprintf(old, sizeof old, "%.*s.%s.old-%ld", pre, dir, dir + pre, (long)getpid());
	tarn_remove_tree(tmp, NULL);
	tarn_rc rc = make_dirs(tmp, err);
	if (rc) {
		ex_op_free(plan);
		return rc;
	}
	rc = write_part(tmp, plan, xo, schema, rows, err);
	if (!rc && replace && rename(dir, old) != 0 && errno != ENOENT)
		rc = tarn_err_set(err, TARN_EIO, "cannot move '%s' aside: %s", dir, strerror(errno));
	if (!rc && rename(tmp, dir) != 0)
		rc = tarn_err_set(err, TARN_EIO, "cannot rename '%s' to '%s': %s", tmp, dir,
				  strerror(errno));
	if (rc) {
		tarn_remove_tree(tmp, NULL);
		return rc;
	}
	if (replace)
		tarn_remove_tree(old, NULL);
	return TARN_OK;
}

tarn_rc sql_lake_insert(const char *dir, struct ex_op *plan, const struct ex_opts *xo,
			struct tarn_schema *schema, int64_t *rows, struct tarn_err *err)
{
	return write_part(dir, plan, xo, schema, rows, err);
}

tarn_rc sql_lake_schema(const char *dir, struct tarn_schema **out, struct tarn_err *err)
{
	struct tarn_reader *r = NULL;
	TRY(tarn_reader_open(dir, "parquet", NULL, &r, err));
	tarn_rc rc = tarn_schema_copy(tarn_reader_schema(r), out);
	tarn_reader_close(r);
	return rc;
}

tarn_rc sql_lake_list(const struct sql_env *e, char ***out, int *n)
{
	*out = NULL;
	*n = 0;
	char dir[4096];
	snprintf(dir, sizeof dir, "%s/lake/tables", sql_lake_home(e));
	DIR *d = opendir(dir);
	if (!d)
		return TARN_OK;
	struct dirent *de;
	int cap = 0;
	tarn_rc rc = TARN_OK;
	while (!rc && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || de->d_name[0] == '_')
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 8;
			char **v = tarn_realloc(*out, (size_t)cap * sizeof *v);
			if (!v) {
				rc = TARN_ENOMEM;
				break;
			}
			*out = v;
		}
		(*out)[*n] = tarn_strdup(de->d_name);
		if (!(*out)[*n])
			rc = TARN_ENOMEM;
		else
			(*n)++;
	}
	closedir(d);
	/* sorted, for stable listings */
	for (int i = 1; i < *n; i++)
		for (int j = i; j > 0 && strcmp((*out)[j - 1], (*out)[j]) > 0; j--) {
			char *t = (*out)[j];
			(*out)[j] = (*out)[j - 1];
			(*out)[j - 1] = t;
		}
	return rc;
}
