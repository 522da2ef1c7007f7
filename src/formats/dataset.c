/*
 * dataset.c — many files read as one table: a directory (walked
 * recursively), or a glob pattern (`*`, `?`, `[...]` within a path segment,
 * `**` across segments), with Hive `key=value` directories turned into
 * columns. tarn_reader_open hands such paths here, so every command and the
 * SQL engine read a partitioned lake table the same way they read a file.
 *
 * Design notes
 *  1. Files. A directory's files are those with a known format extension
 *     (or every file, when the format is named); names starting with '.' or
 *     '_' (Spark's _SUCCESS, _temporary/, .crc files) are skipped below the
 *     root. Files are read in byte order of their paths, so output is
 *     deterministic. All files must be of one format.
 *  2. Schema. Each file's schema is read once up front (a footer for
 *     Parquet, a sample for text formats), and the dataset's schema is the
 *     union by name in first-seen order. A column some files lack is null
 *     there. Where files disagree on a column's type: formats that take a
 *     `types` reader option (CSV, TSV, JSON) are re-read with the unified
 *     type (integers widen, integer+float is float64, anything else is
 *     string); other formats must agree exactly, or the error names both
 *     files, the column and both types.
 *  3. Hive partitions. When every file sits under `key=value` directories
 *     (the same keys in the same order), each key becomes a column after the
 *     file columns, values percent-decoded, __HIVE_DEFAULT_PARTITION__
 *     null. Its type is inferred from all its values: int64 (no leading
 *     zeros, so ids and zip codes stay strings), float64, date, else
 *     string. The directory wins over a file column of the same name (as in
 *     Spark/Hive). Files under key=value directories in some places and not
 *     others is an error: half a partition scheme is more likely a mistake
 *     than a layout.
 *  4. Batches pass through: the member's arrays are moved into a batch of
 *     the dataset's schema (their type pointers re-aimed at the dataset's
 *     type tree), missing columns filled with nulls, partition columns with
 *     the file's constant.
 *
 * Relies on the generic reader layer (format.c).
 * Thread-safety: a dataset reader is used by one thread at a time.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/mem.h"
#include "columnar/array.h"
#include "columnar/text.h"
#include "columnar/type.h"
#include "formats/format.h"

#define HIVE_NULL "__HIVE_DEFAULT_PARTITION__"
#define MAX_FILES 1000000
#define MAX_DEPTH 64
#define MAX_KEYS 32

struct dfile {
	char *path;
	int64_t size;
	char **keys, **vals; /* Hive pairs from the directories (vals decoded; NULL = null) */
	int n_keys;
	struct tarn_schema *schema; /* as the file reads alone */
};

struct flist {
	struct dfile *v;
	int n, cap;
};

struct dataset {
	struct tarn_reader base;
	const struct tarn_format *fmt;
	struct tarn_opts *opts; /* the caller's reader options (copied) */
	bool text;              /* format takes a `types` option (re-read with unified types) */
	struct flist files;
	int n_file_cols; /* columns from the files; partition columns follow */
	int n_part;
	struct tarn_array **part_vals; /* per partition column: one value per file */
	int cur;                       /* file being read */
	struct tarn_reader *member;
	int *map;                      /* dataset column of each member column, -1 = dropped */
	int map_n;
	int64_t done_bytes, total_bytes;
	struct tarn_dataset_hook hook; /* file pruning (tarn_dataset_set_hook) */
	char *proj; /* the `columns` option: the file columns kept (NULL = all) */
	int64_t files_skipped;
};

/* ---- paths and glob matching ---------------------------------------------------- */

static bool has_magic(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

/* Matches one path against a pattern: '*' and '?' stay within a segment,
 * '**' spans segments (and "**\/" also matches nothing), [...] and [!...]
 * are character classes. Iterative with one backtrack point per star kind,
 * so a hostile pattern cannot blow up. */
static bool class_match(const char **pp, char c)
{
	const char *p = *pp + 1;
	bool neg = *p == '!' || *p == '^';
	if (neg)
		p++;
	bool hit = false;
	bool first = true;
	while (*p && (first || *p != ']')) {
		first = false;
		char lo = *p;
		char hi = lo;
		if (p[1] == '-' && p[2] && p[2] != ']') {
			hi = p[2];
			p += 2;
		}
		if (c >= lo && c <= hi)
			hit = true;
		p++;
	}
	if (*p != ']')
		return c == '['; /* no closing bracket: a literal '[' */
	*pp = p + 1;
	return hit != neg && c != '/';
}

static bool glob_match(const char *pat, const char *s)
{
	const char *star_p = NULL, *star_s = NULL;   /* last '*' */
	const char *dstar_p = NULL, *dstar_s = NULL; /* last '**' */
	for (;;) {
		if (*pat == '*' && pat[1] == '*') {
			pat += 2;
			if (*pat == '/')
				pat++;
			dstar_p = pat;
			dstar_s = s;
			star_p = NULL;
			continue;
		}
		if (*pat == '*') {
			star_p = ++pat;
			star_s = s;
			continue;
		}
		if (!*s) {
			if (!*pat)
				return true;
		} else if (*pat == '?' && *s != '/') {
			pat++;
			s++;
			continue;
		} else if (*pat == '[') {
			const char *q = pat;
			if (class_match(&q, *s)) {
				pat = q == pat ? pat + 1 : q;
				s++;
				continue;
			}
		} else if (*pat == *s && *pat != '?') {
			pat++;
			s++;
			continue;
		}
		if (star_p && *star_s && *star_s != '/') {
			pat = star_p;
			s = ++star_s;
			continue;
		}
		if (dstar_p && *dstar_s) {
			pat = dstar_p;
			s = ++dstar_s;
			star_p = NULL;
			continue;
		}
		return false;
	}
}

bool tarn_dataset_path(const char *path)
{
	struct stat st;
	if (strcmp(path, "-") == 0)
		return false;
	if (stat(path, &st) == 0)
		return S_ISDIR(st.st_mode);
	return has_magic(path);
}

static tarn_rc flist_add(struct flist *l, const char *path, int64_t size, struct tarn_err *err)
{
	if (l->n == MAX_FILES)
		return tarn_err_set(err, TARN_ELIMIT, "more than %d files in the dataset", MAX_FILES);
	if (l->n == l->cap) {
		int cap = l->cap ? l->cap * 2 : 64;
		struct dfile *v = tarn_realloc(l->v, (size_t)cap * sizeof *v);
		if (!v)
			return TARN_ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	struct dfile *f = &l->v[l->n];
	memset(f, 0, sizeof *f);
	f->path = tarn_strdup(path);
	if (!f->path)
		return TARN_ENOMEM;
	f->size = size;
	l->n++;
	return TARN_OK;
}

struct walk {
	const char *pattern; /* full pattern, or NULL = every file under root */
	const struct tarn_format *fmt;
	struct flist *out;
};

static tarn_rc walk_dir(struct walk *w, const char *dir, int depth, struct tarn_err *err)
{
	if (depth > MAX_DEPTH)
		return tarn_err_set(err, TARN_ELIMIT, "%s: directories nested deeper than %d", dir,
				    MAX_DEPTH);
	DIR *d = opendir(dir);
	if (!d)
		return tarn_err_set(err, errno == ENOENT ? TARN_ENOTFOUND : TARN_EIO,
				    "%s: cannot read the directory: %s", dir, strerror(errno));
	tarn_rc rc = TARN_OK;
	struct tarn_buf path = { 0 };
	struct dirent *e;
	while (rc == TARN_OK && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.' || e->d_name[0] == '_')
			continue;
		path.len = 0;
		bool root = strcmp(dir, ".") == 0 && w->pattern;
		if (!root) {
			rc = tarn_buf_append(&path, dir, strlen(dir));
			if (!rc && dir[strlen(dir) - 1] != '/')
				rc = tarn_buf_append(&path, "/", 1);
		}
		if (!rc)
			rc = tarn_buf_append(&path, e->d_name, strlen(e->d_name) + 1);
		if (rc)
			break;
		const char *p = path.data;
		struct stat st;
		if (stat(p, &st) != 0)
			continue; /* vanished, or a dangling link */
		if (S_ISDIR(st.st_mode)) {
			rc = walk_dir(w, p, depth + 1, err);
		} else if (S_ISREG(st.st_mode)) {
			bool take;
			if (w->pattern)
				take = glob_match(w->pattern, p);
			else
				take = w->fmt ? true : tarn_format_from_path(p) != NULL;
			if (take)
				rc = flist_add(w->out, p, st.st_size, err);
		}
	}
	closedir(d);
	tarn_buf_free(&path);
	return rc;
}

static int cmp_file(const void *a, const void *b)
{
	return strcmp(((const struct dfile *)a)->path, ((const struct dfile *)b)->path);
}

/* The files of a directory or a glob, sorted; an empty set is an error. */
static tarn_rc list_files(const char *path, const struct tarn_format *fmt, struct flist *out,
			  struct tarn_err *err)
{
	struct walk w = { NULL, fmt, out };
	struct stat st;
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		TRY(walk_dir(&w, path, 0, err));
	} else {
		/* Walk from the longest directory prefix without wildcards. */
		w.pattern = path;
		const char *magic = strpbrk(path, "*?[");
		const char *slash = magic;
		while (slash > path && slash[-1] != '/')
			slash--;
		char *root;
		if (slash == path) {
			root = tarn_strdup(".");
		} else {
			root = tarn_malloc((size_t)(slash - path) + 1);
			if (root) {
				memcpy(root, path, (size_t)(slash - path));
				root[slash - path] = 0;
			}
		}
		if (!root)
			return TARN_ENOMEM;
		struct stat rs;
		tarn_rc rc;
		if (stat(root, &rs) != 0 || !S_ISDIR(rs.st_mode))
			rc = tarn_err_set(err, TARN_ENOTFOUND,
					  "%s: no files match (there is no directory %s)", path, root);
		else
			rc = walk_dir(&w, root, 0, err);
		tarn_free(root);
		TRY(rc);
	}
	if (out->n == 0)
		return tarn_err_set(err, TARN_ENOTFOUND,
				    "%s: no %s files there%s", path, fmt ? fmt->name : "readable",
				    fmt ? "" : " (files are picked by extension; name the format "
					       "with --from to take every file)");
	qsort(out->v, (size_t)out->n, sizeof *out->v, cmp_file);
	return TARN_OK;
}

/* ---- Hive partitions -------------------------------------------------------------- */

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static char *pct_decode(const char *s, size_t n)
{
	char *o = tarn_malloc(n + 1);
	if (!o)
		return NULL;
	size_t j = 0;
	for (size_t i = 0; i < n; i++) {
		int h, l;
		if (s[i] == '%' && i + 2 < n && (h = hexval(s[i + 1])) >= 0 &&
		    (l = hexval(s[i + 2])) >= 0) {
			o[j++] = (char)(h * 16 + l);
			i += 2;
		} else {
			o[j++] = s[i];
		}
	}
	o[j] = 0;
	return o;
}

/* Fills f->keys/vals from the `k=v` directories between the dataset root and
 * the file name. */
static tarn_rc parse_hive(struct dfile *f, size_t root_len, struct tarn_err *err)
{
	const char *p = f->path + root_len;
	const char *end = strrchr(f->path, '/');
	if (!end || end < p)
		return TARN_OK;
	while (p < end) {
		while (*p == '/')
			p++;
		const char *seg_end = memchr(p, '/', (size_t)(end - p) + 1);
		if (!seg_end || seg_end > end)
			seg_end = end;
		const char *eq = memchr(p, '=', (size_t)(seg_end - p));
		if (eq && eq > p) {
			if (f->n_keys == MAX_KEYS)
				return tarn_err_set(err, TARN_ELIMIT,
						    "%s: more than %d partition directories", f->path,
						    MAX_KEYS);
			if (!f->keys) {
				f->keys = tarn_calloc(MAX_KEYS, sizeof *f->keys);
				f->vals = tarn_calloc(MAX_KEYS, sizeof *f->vals);
				if (!f->keys || !f->vals)
					return TARN_ENOMEM;
			}
			f->keys[f->n_keys] = pct_decode(p, (size_t)(eq - p));
			if (!f->keys[f->n_keys])
				return TARN_ENOMEM;
			size_t vn = (size_t)(seg_end - eq - 1);
			f->n_keys++;
			if (!(vn == strlen(HIVE_NULL) && memcmp(eq + 1, HIVE_NULL, vn) == 0)) {
				f->vals[f->n_keys - 1] = pct_decode(eq + 1, vn);
				if (!f->vals[f->n_keys - 1])
					return TARN_ENOMEM;
			}
		}
		p = seg_end;
	}
	return TARN_OK;
}

static bool plain_int(const char *s, int64_t *v)
{
	size_t n = strlen(s);
	const char *d = s + (*s == '-');
	if (!*d || (d[0] == '0' && d[1]) || *s == '+')
		return false;
	return tarn_parse_int64(s, n, v);
}

/* The type of a partition column: int64, float64, date or string. */
static enum tarn_type_id infer_part(const struct flist *l, int k)
{
	bool is_int = true, is_float = true, is_date = true;
	for (int i = 0; i < l->n; i++) {
		const char *v = l->v[i].vals[k];
		if (!v)
			continue;
		int64_t iv;
		double dv;
		int32_t days;
		size_t n = strlen(v);
		is_int = is_int && plain_int(v, &iv);
		const char *d = v + (*v == '-');
		is_float = is_float && n && strspn(v, "0123456789-.eE") == n &&
			   !(d[0] == '0' && d[1] >= '0' && d[1] <= '9') &&
			   tarn_parse_double(v, n, &dv);
		is_date = is_date && n == 10 && tarn_parse_date(v, n, &days);
	}
	return is_int ? TARN_T_INT64 : is_float ? TARN_T_FLOAT64 : is_date ? TARN_T_DATE32 : TARN_T_STRING;
}

static tarn_rc part_value(struct tarn_array *a, const char *v)
{
	if (!v)
		return tarn_array_append_null(a);
	size_t n = strlen(v);
	switch (a->type->id) {
	case TARN_T_INT64: {
		int64_t x = 0;
		(void)tarn_parse_int64(v, n, &x);
		return tarn_array_append_int(a, x);
	}
	case TARN_T_FLOAT64: {
		double x = 0;
		(void)tarn_parse_double(v, n, &x);
		return tarn_array_append_double(a, x);
	}
	case TARN_T_DATE32: {
		int32_t x = 0;
		(void)tarn_parse_date(v, n, &x);
		return tarn_array_append_int(a, x);
	}
	default:
		return tarn_array_append_bytes(a, v, n);
	}
}

/* ---- schema union ----------------------------------------------------------------- */

static int field_index(const struct tarn_schema *s, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (strcmp(s->fields[i].name, name) == 0)
			return i;
	return -1;
}

static int int_rank(enum tarn_type_id id)
{
	switch (id) {
	case TARN_T_INT8:
		return 1;
	case TARN_T_INT16:
		return 2;
	case TARN_T_INT32:
		return 3;
	case TARN_T_INT64:
		return 4;
	default:
		return 0;
	}
}

/* The type both a and b fit for text formats (which re-read with it):
 * integers widen; integers and decimals meet in a decimal wide enough for
 * both (an int64 needs 19 digits); any float makes float64; null gives way;
 * anything else is string. */
static void unify_text(struct tarn_type *into, const struct tarn_type *b)
{
	enum tarn_type_id x = into->id, y = b->id;
	if (x == TARN_T_NULL)
		return; /* the caller copies b */
	if (int_rank(x) && int_rank(y)) {
		if (int_rank(y) > int_rank(x))
			tarn_type_init(into, y);
		return;
	}
	bool xdec = int_rank(x) || x == TARN_T_DECIMAL128;
	bool ydec = int_rank(y) || y == TARN_T_DECIMAL128;
	if (xdec && ydec) {
		int xs = x == TARN_T_DECIMAL128 ? into->scale : 0;
		int xi = x == TARN_T_DECIMAL128 ? into->precision - xs : 19;
		int ys = y == TARN_T_DECIMAL128 ? b->scale : 0;
		int yi = y == TARN_T_DECIMAL128 ? b->precision - ys : 19;
		int sc = xs > ys ? xs : ys;
		int in = xi > yi ? xi : yi;
		if (in + sc <= 38) {
			tarn_type_init_decimal(into, in + sc, sc);
			return;
		}
	}
	bool xnum = xdec || x == TARN_T_FLOAT32 || x == TARN_T_FLOAT64;
	bool ynum = ydec || y == TARN_T_FLOAT32 || y == TARN_T_FLOAT64;
	tarn_type_clear(into);
	tarn_type_init(into, xnum && ynum ? TARN_T_FLOAT64 : TARN_T_STRING);
}

static tarn_rc type_text(const struct tarn_type *t, char *dst, size_t cap)
{
	struct tarn_buf b = { 0 };
	TRY(tarn_type_to_text(t, &b));
	snprintf(dst, cap, "%.*s", (int)b.len, b.data);
	tarn_buf_free(&b);
	return TARN_OK;
}

/* Adds file f's columns to the union schema u (fields[0..*n)). */
static tarn_rc union_add(struct dataset *ds, struct tarn_schema *u, int *n, const struct dfile *f,
			 const struct dfile **first_seen, struct tarn_err *err)
{
	const struct tarn_schema *s = f->schema;
	for (int i = 0; i < s->n_fields; i++) {
		const struct tarn_field *fi = &s->fields[i];
		int j = field_index(u, *n, fi->name);
		if (j < 0) {
			TRY(tarn_field_copy(&u->fields[*n], fi));
			first_seen[*n] = f;
			(*n)++;
			continue;
		}
		struct tarn_field *uf = &u->fields[j];
		uf->nullable = uf->nullable || fi->nullable;
		if (tarn_type_equal(&uf->type, &fi->type) || fi->type.id == TARN_T_NULL)
			continue;
		if (ds->text) {
			if (uf->type.id == TARN_T_NULL) {
				tarn_type_clear(&uf->type);
				TRY(tarn_type_copy(&uf->type, &fi->type));
			} else {
				unify_text(&uf->type, &fi->type);
			}
			continue;
		}
		char a[128], b[128];
		TRY(type_text(&uf->type, a, sizeof a));
		TRY(type_text(&fi->type, b, sizeof b));
		return tarn_err_set(err, TARN_EDATA,
				    "%s: column '%s' is %s, but %s has it as %s; a dataset's files "
				    "must agree on column types",
				    f->path, fi->name, b, first_seen[j]->path, a);
	}
	return TARN_OK;
}

/* ---- members --------------------------------------------------------------------- */

static tarn_rc open_member(struct dataset *ds, const struct tarn_opts *opts, const char *path,
			   struct tarn_reader **out, struct tarn_err *err)
{
	struct tarn_input *in;
	TRY(tarn_input_open(path, &in, err));
	return tarn_reader_open_input(in, ds->fmt, opts, out, err);
}

/* Options for re-reading file f with the dataset's types where its own
 * inference differs (text formats only). */
static tarn_rc member_opts(struct dataset *ds, const struct dfile *f, struct tarn_opts **out,
			   struct tarn_err *err)
{
	*out = NULL;
	if (!ds->text)
		return TARN_OK;
	struct tarn_buf types = { 0 };
	const char *user = tarn_opts_get(ds->opts, "types");
	tarn_rc rc = TARN_OK;
	if (user && *user)
		rc = tarn_buf_append(&types, user, strlen(user));
	for (int i = 0; rc == TARN_OK && i < f->schema->n_fields; i++) {
		const struct tarn_field *fi = &f->schema->fields[i];
		int j = field_index(ds->base.schema, ds->n_file_cols, fi->name);
		if (j < 0)
			continue; /* not selected (`columns`) */
		const struct tarn_type *ut = &ds->base.schema->fields[j].type;
		if (tarn_type_equal(ut, &fi->type))
			continue;
		if (types.len)
			rc = tarn_buf_append(&types, ",", 1);
		if (!rc)
			rc = tarn_buf_append(&types, fi->name, strlen(fi->name));
		if (!rc)
			rc = tarn_buf_append(&types, "=", 1);
		if (!rc)
			rc = tarn_type_to_text(ut, &types);
	}
	if (!rc && types.len) {
		rc = tarn_buf_append(&types, "", 1);
		if (!rc)
			rc = tarn_opts_copy(ds->opts, out);
		if (!rc)
			rc = tarn_opts_set(*out, "types", types.data);
	}
	tarn_buf_free(&types);
	(void)err;
	return rc;
}

static tarn_rc member_columns(struct dataset *ds, const struct dfile *f, struct tarn_opts **o);

static tarn_rc next_member(struct dataset *ds, struct tarn_err *err)
{
	const struct dfile *f = &ds->files.v[ds->cur];
	struct tarn_opts *o = NULL;
	TRY(member_opts(ds, f, &o, err));
	if (member_columns(ds, f, &o)) {
		tarn_opts_free(o);
		return TARN_ENOMEM;
	}
	tarn_rc rc = open_member(ds, o ? o : ds->opts, f->path, &ds->member, err);
	tarn_opts_free(o);
	TRY(rc);
	const struct tarn_schema *ms = tarn_reader_schema(ds->member);
	if (ms->n_fields > ds->map_n) {
		int *m = tarn_realloc(ds->map, (size_t)ms->n_fields * sizeof *m);
		if (!m)
			return TARN_ENOMEM;
		ds->map = m;
		ds->map_n = ms->n_fields;
	}
	for (int i = 0; i < ms->n_fields; i++) {
		int j = field_index(ds->base.schema, ds->n_file_cols, ms->fields[i].name);
		if (j >= 0 && !tarn_type_equal(&ds->base.schema->fields[j].type, &ms->fields[i].type)) {
			char a[128], b[128];
			TRY(type_text(&ds->base.schema->fields[j].type, a, sizeof a));
			TRY(type_text(&ms->fields[i].type, b, sizeof b));
			return tarn_err_set(err, TARN_EDATA,
					    "%s: column '%s' reads as %s, not %s as the dataset's "
					    "other files (set it with --types)",
					    f->path, ms->fields[i].name, b, a);
		}
		ds->map[i] = j;
	}
	return TARN_OK;
}

static tarn_rc fill_nulls(struct tarn_array *a, int64_t n)
{
	TRY(tarn_array_reserve(a, n));
	for (int64_t i = 0; i < n; i++)
		TRY(tarn_array_append_null(a));
	return TARN_OK;
}

static tarn_rc fill_const(struct tarn_array *a, const struct tarn_array *v, int64_t file,
			  int64_t n)
{
	TRY(tarn_array_reserve(a, n));
	for (int64_t i = 0; i < n; i++)
		TRY(tarn_array_append_from(a, v, file));
	return TARN_OK;
}

static tarn_rc reshape(struct dataset *ds, struct tarn_batch *mb, struct tarn_batch **out,
		       struct tarn_err *err)
{
	struct tarn_schema *s = ds->base.schema;
	struct tarn_batch *b = tarn_calloc(1, sizeof *b);
	if (!b)
		return TARN_ENOMEM;
	tarn_schema_ref(s);
	b->schema = s;
	b->n_cols = s->n_fields;
	b->cols = tarn_calloc((size_t)s->n_fields, sizeof *b->cols);
	tarn_rc rc = b->cols ? TARN_OK : TARN_ENOMEM;
	for (int i = 0; rc == TARN_OK && i < mb->n_cols; i++) {
		int j = ds->map[i];
		if (j < 0)
			continue;
		b->cols[j] = mb->cols[i];
		mb->cols[i] = NULL;
		tarn_array_retype(b->cols[j], &s->fields[j].type); /* outlives the member's schema */
	}
	for (int j = 0; rc == TARN_OK && j < s->n_fields; j++) {
		if (b->cols[j])
			continue;
		rc = tarn_array_new(&s->fields[j].type, mb->n_rows, &b->cols[j]);
		if (rc)
			break;
		if (j < ds->n_file_cols)
			rc = fill_nulls(b->cols[j], mb->n_rows);
		else
			rc = fill_const(b->cols[j], ds->part_vals[j - ds->n_file_cols], ds->cur,
					mb->n_rows);
	}
	if (!rc)
		rc = tarn_batch_seal(b, err);
	tarn_batch_free(mb);
	if (rc) {
		tarn_batch_free(b);
		return rc;
	}
	*out = b;
	return TARN_OK;
}

static tarn_rc ds_next(struct tarn_reader *r, struct tarn_batch **out, struct tarn_err *err)
{
	struct dataset *ds = (struct dataset *)r;
	while (ds->cur < ds->files.n) {
		if (!ds->member && ds->hook.keep_file &&
		    !ds->hook.keep_file(ds->hook.ctx, r, ds->cur)) {
			ds->done_bytes += ds->files.v[ds->cur].size;
			ds->files_skipped++;
			ds->cur++;
			continue;
		}
		if (!ds->member) {
			TRY(next_member(ds, err));
			if (ds->hook.opened)
				TRY(ds->hook.opened(ds->hook.ctx, ds->member, err));
		}
		struct tarn_batch *mb = NULL;
		TRY(tarn_reader_next(ds->member, &mb, err));
		if (mb)
			return reshape(ds, mb, out, err);
		ds->base.bad_rows += tarn_reader_bad_rows(ds->member);
		tarn_reader_close(ds->member);
		ds->member = NULL;
		ds->done_bytes += ds->files.v[ds->cur].size;
		ds->cur++;
	}
	return TARN_OK;
}

static void ds_progress(const struct tarn_reader *r, int64_t *done, int64_t *total)
{
	const struct dataset *ds = (const struct dataset *)r;
	int64_t d = ds->done_bytes;
	if (ds->member) {
		int64_t md, mt;
		tarn_reader_progress(ds->member, &md, &mt);
		d += md > 0 ? md : 0;
	}
	*done = d;
	*total = ds->total_bytes;
}

static void free_files(struct flist *l)
{
	for (int i = 0; i < l->n; i++) {
		struct dfile *f = &l->v[i];
		for (int k = 0; k < f->n_keys; k++) {
			tarn_free(f->keys[k]);
			tarn_free(f->vals[k]);
		}
		tarn_free(f->keys);
		tarn_free(f->vals);
		tarn_schema_unref(f->schema);
		tarn_free(f->path);
	}
	tarn_free(l->v);
}

static void ds_close(struct tarn_reader *r)
{
	struct dataset *ds = (struct dataset *)r;
	tarn_reader_close(ds->member);
	for (int k = 0; k < ds->n_part; k++)
		tarn_array_free(ds->part_vals ? ds->part_vals[k] : NULL);
	tarn_free(ds->part_vals);
	free_files(&ds->files);
	tarn_opts_free(ds->opts);
	tarn_free(ds->proj);
	tarn_free(ds->map);
	tarn_free(ds);
}

static const struct tarn_reader_ops ds_ops = { ds_next, ds_close, ds_progress };

bool tarn_dataset_set_hook(struct tarn_reader *r, const struct tarn_dataset_hook *h)
{
	if (!r || r->ops != &ds_ops)
		return false;
	((struct dataset *)r)->hook = *h;
	return true;
}

const struct tarn_array *tarn_dataset_part_values(const struct tarn_reader *r, int col)
{
	if (!r || r->ops != &ds_ops)
		return NULL;
	const struct dataset *ds = (const struct dataset *)r;
	if (col < ds->n_file_cols || col >= ds->n_file_cols + ds->n_part || !ds->part_vals)
		return NULL;
	return ds->part_vals[col - ds->n_file_cols];
}

void tarn_dataset_counts(const struct tarn_reader *r, int64_t *files, int64_t *skipped)
{
	*files = *skipped = 0;
	if (!r || r->ops != &ds_ops)
		return;
	const struct dataset *ds = (const struct dataset *)r;
	*files = ds->files.n;
	*skipped = ds->files_skipped;
}

/* ---- opening ---------------------------------------------------------------------- */

static bool takes_types(const struct tarn_format *f)
{
	for (const struct tarn_optdesc *d = f->reader_options; d && d->name; d++)
		if (strcmp(d->name, "types") == 0)
			return true;
	return false;
}

/* The dataset's root: the directory, or the glob's directory prefix. */
static size_t root_len(const char *path)
{
	const char *magic = strpbrk(path, "*?[");
	if (!magic) {
		size_t n = strlen(path);
		return n + (n && path[n - 1] != '/');
	}
	const char *p = magic;
	while (p > path && p[-1] != '/')
		p--;
	return (size_t)(p - path);
}

static tarn_rc setup_partitions(struct dataset *ds, const char *path, struct tarn_err *err)
{
	struct flist *l = &ds->files;
	size_t rl = root_len(path);
	for (int i = 0; i < l->n; i++)
		TRY(parse_hive(&l->v[i], rl, err));
	const struct dfile *f0 = &l->v[0];
	for (int i = 1; i < l->n; i++) {
		const struct dfile *f = &l->v[i];
		bool same = f->n_keys == f0->n_keys;
		for (int k = 0; same && k < f->n_keys; k++)
			same = strcmp(f->keys[k], f0->keys[k]) == 0;
		if (!same)
			return tarn_err_set(err, TARN_EDATA,
					    "%s and %s sit under different partition directories "
					    "(key=value); a dataset's files must share one layout",
					    f0->path, f->path);
	}
	ds->n_part = f0->n_keys;
	return TARN_OK;
}

/* A `columns` option (the SQL scan's projection) is the dataset's, not
 * the members': it is taken out of the member options here, restricts the
 * dataset's file columns once they are known, and each member then reads
 * the selected columns it has (member_columns). Partition and filename
 * columns in the list need nothing from the files. */
static tarn_rc take_columns(struct dataset *ds)
{
	const char *list = tarn_opts_get(ds->opts, "columns");
	if (!list)
		return TARN_OK;
	ds->proj = tarn_strdup(list);
	struct tarn_opts *o = NULL;
	tarn_rc rc = ds->proj ? tarn_opts_new(&o) : TARN_ENOMEM;
	for (int i = 0; !rc && i < tarn_opts_count(ds->opts); i++) {
		const char *k = tarn_opts_key_at(ds->opts, i);
		if (strcmp(k, "columns") != 0)
			rc = tarn_opts_set(o, k, tarn_opts_value_at(ds->opts, i));
	}
	if (rc) {
		tarn_opts_free(o);
		return rc;
	}
	tarn_opts_free(ds->opts);
	ds->opts = o;
	return TARN_OK;
}

static bool in_list(const char *list, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = list; *p;) {
		const char *c = strchr(p, ',');
		size_t len = c ? (size_t)(c - p) : strlen(p);
		if (len == n && memcmp(p, name, n) == 0)
			return true;
		p += len + (c != NULL);
	}
	return false;
}

/* Options for member f with `columns` = the dataset's columns it holds
 * (at least one, so its rows still count), when the format takes it. */
static tarn_rc member_columns(struct dataset *ds, const struct dfile *f, struct tarn_opts **o)
{
	if (!ds->proj || !tarn_format_has_option(ds->fmt->name, false, "columns") ||
	    f->schema->n_fields == 0)
		return TARN_OK;
	struct tarn_buf list;
	tarn_buf_init(&list);
	tarn_rc rc = TARN_OK;
	for (int i = 0; !rc && i < f->schema->n_fields; i++) {
		const char *name = f->schema->fields[i].name;
		if (strchr(name, ',') || field_index(ds->base.schema, ds->n_file_cols, name) < 0)
			continue;
		if (list.len)
			rc = tarn_buf_append(&list, ",", 1);
		if (!rc)
			rc = tarn_buf_append(&list, name, strlen(name));
	}
	if (!rc && list.len == 0 && !strchr(f->schema->fields[0].name, ','))
		rc = tarn_buf_append(&list, f->schema->fields[0].name,
				     strlen(f->schema->fields[0].name));
	if (!rc && list.len)
		rc = tarn_buf_append(&list, "", 1);
	if (!rc && list.len && !*o)
		rc = tarn_opts_copy(ds->opts, o);
	if (!rc && list.len)
		rc = tarn_opts_set(*o, "columns", list.data);
	tarn_buf_free(&list);
	return rc;
}

/* The rest of opening, once ds->files is listed: formats, schemas, Hive
 * columns (hive_root: the path they are relative to; NULL = none), and
 * with `filename` a last string column naming each row's file. */
static tarn_rc open_files(struct dataset *ds, const char *hive_root,
			  const struct tarn_format *fmt, bool filename, struct tarn_reader **out,
			  struct tarn_err *err)
{
	tarn_rc rc = TARN_OK;
	const struct dfile **first_seen = NULL;
	struct flist *l = &ds->files;
	if (!fmt) {
		for (int i = 0; i < l->n; i++) {
			const struct tarn_format *f = tarn_format_from_path(l->v[i].path);
			if (!f) {
				rc = tarn_err_set(err, TARN_EUSAGE,
						  "%s: cannot tell the format from the name; name it "
						  "with --from FORMAT",
						  l->v[i].path);
				goto fail;
			}
			if (fmt && f != fmt) {
				rc = tarn_err_set(err, TARN_EDATA,
						  "%s is %s but %s is %s; a dataset holds one format",
						  l->v[0].path, fmt->name, l->v[i].path, f->name);
				goto fail;
			}
			fmt = f;
		}
	}
	ds->fmt = fmt;
	ds->text = takes_types(fmt);
	for (int i = 0; i < l->n; i++) {
		l->v[i].size = l->v[i].size > 0 ? l->v[i].size : 0;
		ds->total_bytes += l->v[i].size;
	}
	if (hive_root)
		rc = setup_partitions(ds, hive_root, err);
	if (!rc)
		rc = take_columns(ds);
	if (rc)
		goto fail;

	/* Each file's own schema, then their union. */
	int max_cols = ds->n_part + (filename ? 1 : 0);
	for (int i = 0; i < l->n; i++) {
		struct tarn_reader *m = NULL;
		rc = open_member(ds, ds->opts, l->v[i].path, &m, err);
		if (rc)
			goto fail;
		l->v[i].schema = (struct tarn_schema *)tarn_reader_schema(m);
		tarn_schema_ref(l->v[i].schema);
		tarn_reader_close(m);
		if (max_cols > INT32_MAX / 2 - l->v[i].schema->n_fields) {
			rc = tarn_err_set(err, TARN_ELIMIT, "too many columns in the dataset");
			goto fail;
		}
		max_cols += l->v[i].schema->n_fields;
	}
	struct tarn_schema *u = NULL;
	rc = tarn_schema_new(max_cols, &u);
	if (rc)
		goto fail;
	ds->base.schema = u;
	first_seen = tarn_calloc((size_t)max_cols + 1, sizeof *first_seen);
	if (!first_seen) {
		rc = TARN_ENOMEM;
		goto fail;
	}
	int n = 0;
	for (int i = 0; i < l->n && !rc; i++) {
		rc = union_add(ds, u, &n, &l->v[i], first_seen, err);
	}
	if (rc)
		goto fail;
	/* A column some file lacks is nullable. */
	for (int j = 0; j < n; j++)
		for (int i = 0; i < l->n && !u->fields[j].nullable; i++)
			if (field_index(l->v[i].schema, l->v[i].schema->n_fields, u->fields[j].name) < 0)
				u->fields[j].nullable = true;
	/* The directory wins over a file column of the same name. */
	for (int k = 0; k < ds->n_part; k++) {
		int j = field_index(u, n, l->v[0].keys[k]);
		if (j < 0)
			continue;
		tarn_field_clear(&u->fields[j]);
		memmove(&u->fields[j], &u->fields[j + 1], (size_t)(n - j - 1) * sizeof *u->fields);
		memset(&u->fields[n - 1], 0, sizeof *u->fields);
		n--;
	}
	if (ds->proj) { /* only the selected file columns; each name must exist */
		for (const char *p = ds->proj; *p;) {
			const char *c = strchr(p, ',');
			size_t len = c ? (size_t)(c - p) : strlen(p);
			bool found = filename && len == 8 && memcmp(p, "filename", 8) == 0;
			for (int j = 0; j < n && !found; j++)
				found = strlen(u->fields[j].name) == len &&
					memcmp(u->fields[j].name, p, len) == 0;
			for (int k = 0; k < ds->n_part && !found; k++)
				found = strlen(l->v[0].keys[k]) == len &&
					memcmp(l->v[0].keys[k], p, len) == 0;
			if (len && !found) {
				rc = tarn_err_set(err, TARN_ENOTFOUND, "no column '%.*s' in the dataset",
						  (int)len, p);
				goto fail;
			}
			p += len + (c != NULL);
		}
		int w = 0;
		for (int j = 0; j < n; j++) {
			if (!in_list(ds->proj, u->fields[j].name)) {
				tarn_field_clear(&u->fields[j]);
				continue;
			}
			if (w != j) {
				u->fields[w] = u->fields[j];
				memset(&u->fields[j], 0, sizeof u->fields[j]);
			}
			w++;
		}
		n = w;
	}
	ds->n_file_cols = n;
	for (int j = 0; j < n; j++)
		if (u->fields[j].type.id == TARN_T_NULL)
			tarn_type_init(&u->fields[j].type, TARN_T_STRING);
	if (ds->n_part || filename) {
		ds->part_vals = tarn_calloc((size_t)ds->n_part + 1, sizeof *ds->part_vals);
		if (!ds->part_vals) {
			rc = TARN_ENOMEM;
			goto fail;
		}
	}
	for (int k = 0; k < ds->n_part; k++) {
		struct tarn_field *pf = &u->fields[n + k];
		rc = tarn_field_set_name(pf, l->v[0].keys[k], strlen(l->v[0].keys[k]));
		if (rc)
			goto fail;
		pf->nullable = true;
		tarn_type_init(&pf->type, infer_part(l, k));
		rc = tarn_array_new(&pf->type, l->n, &ds->part_vals[k]);
		for (int i = 0; !rc && i < l->n; i++)
			rc = part_value(ds->part_vals[k], l->v[i].vals[k]);
		if (rc)
			goto fail;
	}
	if (filename) { /* a constant per file, like a partition column */
		struct tarn_field *ff = &u->fields[n + ds->n_part];
		rc = tarn_field_set_name(ff, "filename", 8);
		ff->nullable = false;
		tarn_type_init(&ff->type, TARN_T_STRING);
		if (!rc)
			rc = tarn_array_new(&ff->type, l->n, &ds->part_vals[ds->n_part]);
		for (int i = 0; !rc && i < l->n; i++)
			rc = tarn_array_append_bytes(ds->part_vals[ds->n_part], l->v[i].path,
						     strlen(l->v[i].path));
		ds->n_part++;
		if (rc)
			goto fail;
	}
	u->n_fields = n + ds->n_part;
	tarn_free(first_seen);
	first_seen = NULL;
	ds->base.format = fmt;
	*out = &ds->base;
	return TARN_OK;
fail:
	tarn_free(first_seen);
	tarn_schema_unref(ds->base.schema);
	ds->base.schema = NULL;
	ds_close(&ds->base);
	return rc;
}

static struct dataset *ds_new(const struct tarn_opts *opts, tarn_rc *rc)
{
	struct dataset *ds = tarn_calloc(1, sizeof *ds);
	if (!ds) {
		*rc = TARN_ENOMEM;
		return NULL;
	}
	ds->base.ops = &ds_ops;
	*rc = tarn_opts_copy(opts, &ds->opts);
	return ds;
}

tarn_rc tarn_dataset_open(const char *path, const struct tarn_format *fmt,
			  const struct tarn_opts *opts, struct tarn_reader **out,
			  struct tarn_err *err)
{
	*out = NULL;
	tarn_rc rc;
	struct dataset *ds = ds_new(opts, &rc);
	if (!ds)
		return rc;
	if (!rc)
		rc = list_files(path, fmt, &ds->files, err);
	if (rc) {
		ds_close(&ds->base);
		return rc;
	}
	return open_files(ds, path, fmt, false, out, err);
}

tarn_rc tarn_dataset_open_list(const char *const *paths, int n, const struct tarn_format *fmt,
			       const struct tarn_opts *opts, bool filename,
			       struct tarn_reader **out, struct tarn_err *err)
{
	*out = NULL;
	tarn_rc rc;
	struct dataset *ds = ds_new(opts, &rc);
	if (!ds)
		return rc;
	if (!rc && n < 1)
		rc = tarn_err_set(err, TARN_EUSAGE, "an empty list of files");
	for (int i = 0; !rc && i < n; i++) {
		if (!tarn_dataset_path(paths[i])) {
			struct stat st;
			if (stat(paths[i], &st) != 0)
				rc = tarn_err_set(err, TARN_ENOTFOUND, "cannot open '%s': %s", paths[i],
						  strerror(errno));
			else
				rc = flist_add(&ds->files, paths[i], st.st_size, err);
			continue;
		}
		/* a directory or glob: its files, sorted, in the list's place */
		struct flist sub = { 0 };
		rc = list_files(paths[i], fmt, &sub, err);
		for (int k = 0; !rc && k < sub.n; k++)
			rc = flist_add(&ds->files, sub.v[k].path, sub.v[k].size, err);
		free_files(&sub);
	}
	if (rc) {
		ds_close(&ds->base);
		return rc == TARN_ENOMEM ? tarn_err_set(err, rc, "out of memory") : rc;
	}
	/* Hive columns only for a single directory or glob, as with one path */
	const char *root = n == 1 && tarn_dataset_path(paths[0]) ? paths[0] : NULL;
	return open_files(ds, root, fmt, filename, out, err);
}
