/*
 * partition.c — Hive-partitioned output: the rows of a reader written under
 * a directory as DIR/col=value/.../part-00000.<ext>, one file per distinct
 * combination of the partition columns' values (tarn_write_partitioned,
 * include/tarn.h).
 *
 * Design notes
 *  1. A partition's directory name spells each value as tarn prints it
 *     (tarn_batch_cell_text, the CSV writer's spelling), percent-encoded the
 *     way Hive escapes path names (FileUtils.escapePathName: control
 *     characters, DEL and the characters of hive_escape() as %XX); null
 *     and the empty string are __HIVE_DEFAULT_PARTITION__. The partition
 *     columns are left out of the files.
 *  2. Bounded memory: one open writer per partition seen, at most
 *     max_open; one more distinct partition is a TARN_ELIMIT error rather
 *     than a spill (writers hold at most a row group each, so the bound is
 *     max_open row groups). Each input batch is split by partition (rows
 *     grouped with a counting sort) and the pieces go to their writers.
 *  3. Atomic: everything is written under a fresh temporary directory
 *     beside DIR (.<name>.tmp-XXXXXX); only when every writer finished is it
 *     renamed to DIR (which must not exist, or be an empty directory). Any
 *     failure removes the temporary tree, leaving nothing.
 *
 * Relies on the generic reader/writer layer (format.c) and base/io.
 * Thread-safety: one call per reader; the writers use the worker pool.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/mem.h"
#include "columnar/array.h"
#include "columnar/type.h"
#include "formats/format.h"

#define HIVE_NULL "__HIVE_DEFAULT_PARTITION__"
#define MAX_VALUE 1024 /* longest partition value (bytes, before encoding) */

struct part {
	char *key; /* "a=1/b=x" */
	struct tarn_writer *w;
	int64_t n; /* rows of the current batch */
};

struct pctx {
	const char *tmp;
	const char *ext;
	const char *format;
	const struct tarn_opts *wopts;
	struct tarn_schema *schema; /* the files' (without partition columns) */
	int n_cols, *cols;          /* partition column indexes in the input */
	int *keep;                  /* input column of each file column */
	struct part *parts;
	int n_parts, cap_parts, max_open;
	uint32_t *slots; /* hash of keys: part index + 1 */
	uint64_t mask;
};

/* Hive's escaped set: control characters, DEL, and " # % ' * / : = ? \ { [ ] ^ */
static bool hive_escape(unsigned char c)
{
	return c < 0x20 || c == 0x7f || strchr("\"#%'*/:=?\\{[]^", c) != NULL;
}

static tarn_rc put_escaped(struct tarn_buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (hive_escape(c)) {
			char e[3] = {'%', hex[c >> 4], hex[c & 15]};
			TRY(tarn_buf_append(b, e, 3));
		} else {
			TRY(tarn_buf_putc(b, (char)c));
		}
	}
	return TARN_OK;
}

static uint64_t hash_str(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ULL;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
	return h;
}

/* mkdir -p of path (which lies under an existing directory). */
static tarn_rc make_dirs(char *path, struct tarn_err *err)
{
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		int r = mkdir(path, 0777);
		*p = '/';
		if (r != 0 && errno != EEXIST)
			return tarn_err_set(err, TARN_EIO, "%s: cannot create the directory: %s",
			                    path, strerror(errno));
	}
	if (mkdir(path, 0777) != 0 && errno != EEXIST)
		return tarn_err_set(err, TARN_EIO, "%s: cannot create the directory: %s", path,
		                    strerror(errno));
	return TARN_OK;
}

/* rm -r, best effort (cleanup after a failure). */
static void remove_tree(const char *path)
{
	DIR *d = opendir(path);
	if (d) {
		struct dirent *e;
		while ((e = readdir(d)) != NULL) {
			if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
				continue;
			/* no allocation: cleanup must work when memory is short */
			char sub[4096];
			if ((size_t)snprintf(sub, sizeof sub, "%s/%s", path, e->d_name) >=
			    sizeof sub)
				continue;
			struct stat st;
			if (lstat(sub, &st) == 0 && S_ISDIR(st.st_mode))
				remove_tree(sub);
			else
				unlink(sub);
		}
		closedir(d);
	}
	rmdir(path);
}

/* The partition for key[0..n), opening its writer when new. */
static tarn_rc find_part(struct pctx *c, const char *key, size_t n, int *out, struct tarn_err *err)
{
	uint64_t h = hash_str(key, n);
	for (uint64_t i = h & c->mask;; i = (i + 1) & c->mask) {
		uint32_t s = c->slots[i];
		if (s == 0)
			break;
		struct part *p = &c->parts[s - 1];
		if (strlen(p->key) == n && memcmp(p->key, key, n) == 0) {
			*out = (int)(s - 1);
			return TARN_OK;
		}
	}
	if (c->n_parts >= c->max_open)
		return tarn_err_set(err, TARN_ELIMIT,
		                    "more than %d partitions (max-open-partitions): partition by "
		                    "fewer or coarser columns, or raise the limit",
		                    c->max_open);
	if (c->n_parts == c->cap_parts) {
		int cap = c->cap_parts ? c->cap_parts * 2 : 16;
		struct part *np = tarn_realloc(c->parts, (size_t)cap * sizeof *np);
		if (!np)
			return tarn_err_nomem(err, "partitions");
		c->parts = np;
		c->cap_parts = cap;
	}
	if ((uint64_t)(c->n_parts + 1) * 2 > c->mask + 1) {
		uint64_t size = (c->mask + 1) * 2;
		uint32_t *ns = tarn_calloc((size_t)size, sizeof *ns);
		if (!ns)
			return tarn_err_nomem(err, "partitions");
		for (int k = 0; k < c->n_parts; k++) {
			const char *pk = c->parts[k].key;
			uint64_t j = hash_str(pk, strlen(pk)) & (size - 1);
			while (ns[j])
				j = (j + 1) & (size - 1);
			ns[j] = (uint32_t)k + 1;
		}
		tarn_free(c->slots);
		c->slots = ns;
		c->mask = size - 1;
	}
	struct part *p = &c->parts[c->n_parts];
	memset(p, 0, sizeof *p);
	p->key = tarn_malloc(n + 1);
	if (!p->key)
		return tarn_err_nomem(err, "partitions");
	memcpy(p->key, key, n);
	p->key[n] = '\0';
	c->n_parts++; /* owned from here on (freed by the caller) */
	size_t plen = strlen(c->tmp) + n + strlen(c->ext) + 32;
	char *path = tarn_malloc(plen);
	if (!path)
		return tarn_err_nomem(err, "partitions");
	snprintf(path, plen, "%s/%s", c->tmp, p->key);
	tarn_rc rc = make_dirs(path, err);
	if (rc == TARN_OK) {
		snprintf(path, plen, "%s/%s/part-00000%s", c->tmp, p->key, c->ext);
		rc = tarn_writer_open(path, c->format, c->schema, c->wopts, &p->w, err);
	}
	tarn_free(path);
	TRY(rc);
	uint64_t i = h & c->mask;
	while (c->slots[i])
		i = (i + 1) & c->mask;
	c->slots[i] = (uint32_t)c->n_parts;
	*out = c->n_parts - 1;
	return TARN_OK;
}

/* Splits batch b by partition and writes the pieces. */
static tarn_rc write_batch(struct pctx *c, const struct tarn_batch *b, struct tarn_buf *key,
                           int *pid, int64_t *order, struct tarn_err *err)
{
	char cell[MAX_VALUE + 2];
	int64_t n = b->n_rows;
	for (int64_t r = 0; r < n; r++) {
		key->len = 0;
		for (int k = 0; k < c->n_cols; k++) {
			int col = c->cols[k];
			const char *name = b->schema->fields[col].name;
			if (k)
				TRY(tarn_buf_putc(key, '/'));
			TRY(put_escaped(key, name, strlen(name)));
			TRY(tarn_buf_putc(key, '='));
			size_t len = tarn_batch_is_null(b, col, r)
			                 ? 0
			                 : tarn_batch_cell_text(b, col, r, cell, sizeof cell);
			if (len > MAX_VALUE)
				return tarn_err_set(err, TARN_ELIMIT,
				                    "partition column '%s': a value longer than %d "
				                    "bytes cannot name a directory",
				                    name, MAX_VALUE);
			if (len == 0)
				TRY(tarn_buf_append(key, HIVE_NULL, strlen(HIVE_NULL)));
			else
				TRY(put_escaped(key, cell, len));
		}
		TRY(find_part(c, key->data, key->len, &pid[r], err));
	}
	/* Counting sort of the rows by partition. */
	for (int p = 0; p < c->n_parts; p++)
		c->parts[p].n = 0;
	for (int64_t r = 0; r < n; r++)
		c->parts[pid[r]].n++;
	int64_t *start = tarn_malloc((size_t)(c->n_parts + 1) * sizeof *start);
	if (!start)
		return tarn_err_nomem(err, "partitions");
	start[0] = 0;
	for (int p = 0; p < c->n_parts; p++)
		start[p + 1] = start[p] + c->parts[p].n;
	for (int64_t r = 0; r < n; r++)
		order[start[pid[r]]++] = r;
	tarn_rc rc = TARN_OK;
	int64_t at = 0;
	for (int p = 0; p < c->n_parts && rc == TARN_OK; p++) {
		int64_t m = c->parts[p].n;
		if (m == 0)
			continue;
		struct tarn_batch *piece;
		rc = tarn_batch_new(c->schema, m, &piece);
		if (rc) {
			rc = tarn_err_nomem(err, "partitions");
			break;
		}
		for (int j = 0; j < c->schema->n_fields && rc == TARN_OK; j++)
			for (int64_t i = at; i < at + m && rc == TARN_OK; i++)
				rc = tarn_array_append_from(piece->cols[j], b->cols[c->keep[j]],
				                            order[i]);
		if (rc)
			rc = tarn_err_set(err, rc, "partitions: cannot copy rows");
		if (rc == TARN_OK)
			rc = tarn_batch_seal(piece, err);
		if (rc == TARN_OK)
			rc = tarn_writer_write(c->parts[p].w, piece, err);
		tarn_batch_free(piece);
		at += m;
	}
	tarn_free(start);
	return rc;
}

/* DIR: absent, or an empty directory. */
static tarn_rc check_target(const char *dir, struct tarn_err *err)
{
	struct stat st;
	if (stat(dir, &st) != 0)
		return TARN_OK;
	if (!S_ISDIR(st.st_mode))
		return tarn_err_set(err, TARN_EUSAGE,
		                    "%s: exists and is not a directory (partitioned output needs a "
		                    "new or empty directory)",
		                    dir);
	DIR *d = opendir(dir);
	if (!d)
		return tarn_err_set(err, TARN_EIO, "%s: %s", dir, strerror(errno));
	struct dirent *e;
	bool empty = true;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			empty = false;
	closedir(d);
	if (!empty)
		return tarn_err_set(
		    err, TARN_EUSAGE,
		    "%s: the directory is not empty (partitioned output needs a new or "
		    "empty directory)",
		    dir);
	return TARN_OK;
}

static tarn_rc setup(struct pctx *c, const struct tarn_schema *in, const char *cols,
                     struct tarn_err *err)
{
	int n = in->n_fields;
	c->cols = tarn_calloc((size_t)(n ? n : 1), sizeof *c->cols);
	c->keep = tarn_calloc((size_t)(n ? n : 1), sizeof *c->keep);
	bool *is_part = tarn_calloc((size_t)(n ? n : 1), sizeof *is_part);
	tarn_rc rc = TARN_OK;
	if (!c->cols || !c->keep || !is_part) {
		rc = tarn_err_nomem(err, "partitions");
		goto out;
	}
	for (const char *p = cols; *p && rc == TARN_OK;) {
		size_t k = strcspn(p, ",");
		char name[256];
		snprintf(name, sizeof name, "%.*s", (int)k, p);
		int i = tarn_schema_find(in, name);
		if (i < 0)
			rc = tarn_err_set(err, TARN_ENOTFOUND,
			                  "partition column '%s' is not in the input", name);
		else if (tarn_type_is_nested(in->fields[i].type.id))
			rc = tarn_err_set(
			    err, TARN_EUSAGE,
			    "partition column '%s' is nested; partition by scalar columns", name);
		else if (is_part[i])
			rc = tarn_err_set(err, TARN_EUSAGE, "partition column '%s' is named twice",
			                  name);
		else {
			is_part[i] = true;
			c->cols[c->n_cols++] = i;
		}
		p += k + (p[k] == ',');
	}
	if (rc == TARN_OK && c->n_cols == 0)
		rc = tarn_err_set(err, TARN_EUSAGE, "no partition columns given");
	if (rc == TARN_OK && c->n_cols == n)
		rc = tarn_err_set(err, TARN_EUSAGE,
		                  "every column is a partition column: the files would have none");
	if (rc)
		goto out;
	if (tarn_schema_new(n - c->n_cols, &c->schema)) {
		rc = tarn_err_nomem(err, "partitions");
		goto out;
	}
	for (int i = 0, j = 0; i < n && rc == TARN_OK; i++) {
		if (is_part[i])
			continue;
		c->keep[j] = i;
		if (tarn_field_copy(&c->schema->fields[j], &in->fields[i]))
			rc = tarn_err_nomem(err, "partitions");
		j++;
	}
out:
	tarn_free(is_part);
	return rc;
}

tarn_rc tarn_write_partitioned(struct tarn_reader *r, const char *dir, const char *cols,
                               const struct tarn_partition_opts *o, int64_t *out_rows,
                               int64_t *out_parts, struct tarn_err *err)
{
	*out_rows = 0;
	if (out_parts)
		*out_parts = 0;
	struct pctx c;
	memset(&c, 0, sizeof c);
	c.format = o && o->format ? o->format : "parquet";
	c.wopts = o ? o->writer_opts : NULL;
	c.max_open = o && o->max_open > 0 ? o->max_open : 256;
	const struct tarn_format *fmt = tarn_format_find(c.format);
	if (!fmt || !fmt->open_writer)
		return tarn_err_set(err, TARN_EUSAGE, "no writer for format '%s'", c.format);
	c.ext = fmt->extensions && fmt->extensions[0] ? fmt->extensions[0] : "";
	/* the target, without trailing slashes */
	size_t dn = strlen(dir);
	while (dn > 1 && dir[dn - 1] == '/')
		dn--;
	char *target = tarn_malloc(dn + 1);
	char *tmp = tarn_malloc(dn + 32);
	int64_t *order = NULL;
	int *pid = NULL;
	int64_t cap_rows = 0;
	struct tarn_buf key;
	tarn_buf_init(&key);
	bool made = false;
	tarn_rc rc = TARN_OK;
	if (!target || !tmp) {
		rc = tarn_err_nomem(err, "partitions");
		goto out;
	}
	memcpy(target, dir, dn);
	target[dn] = '\0';
	TRY_OUT(check_target(target, err));
	TRY_OUT(setup(&c, tarn_reader_schema(r), cols, err));
	c.slots = tarn_calloc(64, sizeof *c.slots);
	if (!c.slots) {
		rc = tarn_err_nomem(err, "partitions");
		goto out;
	}
	c.mask = 63;
	/* .NAME.tmp-XXXXXX beside the target */
	const char *slash = strrchr(target, '/');
	size_t pre = slash ? (size_t)(slash - target) + 1 : 0;
	snprintf(tmp, dn + 32, "%.*s.%s.tmp-XXXXXX", (int)pre, target, target + pre);
	if (!mkdtemp(tmp)) {
		rc = tarn_err_set(err, TARN_EIO,
		                  "%s: cannot create a temporary directory beside it: %s", target,
		                  strerror(errno));
		goto out;
	}
	made = true;
	c.tmp = tmp;
	for (;;) {
		struct tarn_batch *b;
		TRY_OUT(tarn_reader_next(r, &b, err));
		if (!b)
			break;
		if (b->n_rows > cap_rows) {
			tarn_free(order);
			tarn_free(pid);
			cap_rows = b->n_rows;
			order = tarn_malloc((size_t)cap_rows * sizeof *order);
			pid = tarn_malloc((size_t)cap_rows * sizeof *pid);
			if (!order || !pid) {
				tarn_batch_free(b);
				rc = tarn_err_nomem(err, "partitions");
				goto out;
			}
		}
		rc = write_batch(&c, b, &key, pid, order, err);
		*out_rows += b->n_rows;
		tarn_batch_free(b);
		if (rc)
			goto out;
	}
	for (int p = 0; p < c.n_parts; p++)
		TRY_OUT(tarn_writer_finish(c.parts[p].w, err));
	/* rename(2) replaces an empty directory */
	if (rename(tmp, target) != 0) {
		rc = tarn_err_set(err, TARN_EIO,
		                  "%s: cannot rename the finished output into place: %s", target,
		                  strerror(errno));
		goto out;
	}
	made = false;
	if (out_parts)
		*out_parts = c.n_parts;
out:
	for (int p = 0; p < c.n_parts; p++) {
		tarn_writer_close(c.parts[p].w);
		tarn_free(c.parts[p].key);
	}
	if (made)
		remove_tree(tmp);
	tarn_free(c.parts);
	tarn_free(c.slots);
	tarn_free(c.cols);
	tarn_free(c.keep);
	if (c.schema)
		tarn_schema_unref(c.schema);
	tarn_buf_free(&key);
	tarn_free(order);
	tarn_free(pid);
	tarn_free(target);
	tarn_free(tmp);
	return rc;
}
