/*
 * query.c — SQL scripts end to end: parse, run each statement, and hand the
 * last statement's rows out as a struct tarn_reader (tarn_sql_open in
 * include/tarn.h), so every consumer of readers — `tarn query` output in
 * any format, COPY, the writers — takes a query result like a file.
 *
 * Statements: a query (its rows); COPY (query) TO 'path' (FORMAT f,
 * COMPRESSION c, PARTITION_BY (cols), other keys as writer options) which
 * writes atomically and yields one row with the row count; CREATE [OR
 * REPLACE] VIEW name AS query, kept for the rest of the script (the catalog
 * will make views persistent). Other statements are a clear "not supported
 * yet" naming the statement.
 *
 * Relies on parse.h, bind.h, exec.h and the format layer.
 * Thread-safety: one script per call; the reader is used by one thread.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/err.h"
#include "base/io.h"
#include "base/mem.h"
#include "columnar/array.h"
#include "columnar/type.h"
#include "formats/format.h"
#include "formats/orc/orc_int.h"
#include "sql/bind.h"
#include "sql/lake.h"
#include "sql/parse.h"

/* A session: what statements leave for later ones (views, settings; the
 * parsed scripts the views point into). tarn_sql_open makes one per
 * script; `tarn sql` keeps one for the whole shell. */
struct tarn_sql_session {
	struct tarn_arena arena; /* every parsed script (views point into it) */
	struct sql_env env;
	struct ex_opts xo;
	_Atomic int cancel;      /* tarn_sql_interrupt */
};

struct sql_reader {
	struct tarn_reader base;
	struct tarn_sql_session *ss;
	bool own_ss;              /* tarn_sql_open's private session */
	struct ex_query *q;       /* the last statement's rows, or */
	struct tarn_batch *once;  /* a status result or EXPLAIN text */
};

static const struct tarn_format sql_format = { .name = "sql", .summary = "SQL query result" };

static tarn_rc sr_next(struct tarn_reader *r, struct tarn_batch **out, struct tarn_err *err)
{
	struct sql_reader *s = (struct sql_reader *)r;
	if (s->once) {
		*out = s->once;
		s->once = NULL;
		return TARN_OK;
	}
	if (!s->q)
		return TARN_OK;
	return ex_query_next(s->q, out, err);
}

static void sr_progress(const struct tarn_reader *r, int64_t *done, int64_t *total)
{
	(void)r;
	*done = 0;
	*total = -1;
}

/* SET TimeZone = z (NULL = RESET): UTC names clear it; another name must
 * load from the tz database (the TZif reader AT TIME ZONE uses). sc NULL:
 * from tarn_sql_opts.timezone (no location to show). */
static tarn_rc set_timezone(struct sql_env *e, const char *z, const struct sql_script *sc,
			    sql_loc loc, struct tarn_err *err)
{
	static const char *const utc[] = { "UTC", "Etc/UTC", "GMT", "Etc/GMT", "UCT",
					   "Universal", "Zulu", "Z", "Etc/UCT", "Etc/Universal",
					   "Etc/Zulu" };
	bool is_utc = z == NULL;
	for (size_t k = 0; z && k < sizeof utc / sizeof *utc; k++)
		is_utc |= strcasecmp(z, utc[k]) == 0;
	char *name = NULL;
	if (!is_utc) {
		struct orc_tz *tz = NULL;
		const char *why = NULL;
		tarn_rc rc = orc_tz_load(z, &tz, &why);
		orc_tz_free(tz);
		if (rc == TARN_ENOMEM)
			return tarn_err_nomem(err, "SET TimeZone");
		if (rc && !sc)
			return tarn_err_set(err, TARN_EUSAGE,
					    "unknown time zone '%s'%s%s (names come from the tz "
					    "database, e.g. 'Europe/Berlin', 'UTC')",
					    z, why ? ": " : "", why ? why : "");
		if (rc)
			return sql_err_at(err, TARN_EUSAGE, sc->text, sc->len, loc, "error",
					  "unknown time zone '%s'%s%s (names come from the tz "
					  "database, e.g. 'Europe/Berlin', 'UTC')",
					  z, why ? ": " : "", why ? why : "");
		if (!(name = tarn_strdup(z)))
			return tarn_err_nomem(err, "SET TimeZone");
	}
	tarn_free(e->timezone);
	e->timezone = name;
	return TARN_OK;
}

static void env_clear(struct sql_env *e)
{
	tarn_free(e->home);
	for (int i = 0; i < e->n_views; i++)
		tarn_free(e->views[i].name);
	tarn_free(e->views);
	tarn_free(e->search_path);
	tarn_free(e->timezone);
	memset(e, 0, sizeof *e);
}

static void sr_close(struct tarn_reader *r)
{
	struct sql_reader *s = (struct sql_reader *)r;
	ex_query_free(s->q);
	tarn_batch_free(s->once);
	if (s->own_ss)
		tarn_sql_session_free(s->ss);
	tarn_free(s);
}

static const struct tarn_reader_ops sr_ops = { .next = sr_next, .close = sr_close,
					       .progress = sr_progress };

/* The end of building a one-batch result: seals b and hands it and its
 * schema s over, or frees both when rc (or the seal) fails. */
static tarn_rc hand_over(tarn_rc rc, struct tarn_schema *s, struct tarn_batch *b,
			 struct tarn_schema **schema, struct tarn_batch **out)
{
	if (!rc)
		rc = tarn_batch_seal(b, NULL);
	if (rc) {
		tarn_batch_free(b);
		tarn_schema_unref(s);
		return rc;
	}
	*schema = s;
	*out = b;
	return TARN_OK;
}

/* A one-row result: column `name` (int64) = v. */
static tarn_rc status_batch(const char *name, int64_t v, struct tarn_schema **schema,
			    struct tarn_batch **out)
{
	struct tarn_schema *s;
	TRY(tarn_schema_new(1, &s));
	tarn_rc rc = tarn_field_set_name(&s->fields[0], name, strlen(name));
	tarn_type_init(&s->fields[0].type, TARN_T_INT64);
	struct tarn_batch *b = NULL;
	if (!rc)
		rc = tarn_batch_new(s, 1, &b);
	if (!rc)
		rc = tarn_array_append_int(b->cols[0], v);
	return hand_over(rc, s, b, schema, out);
}

/* Reader over a bound plan. */
struct plan_reader {
	struct tarn_reader base;
	struct ex_query *q;
};

static tarn_rc pr_next(struct tarn_reader *r, struct tarn_batch **out, struct tarn_err *err)
{
	return ex_query_next(((struct plan_reader *)r)->q, out, err);
}

static void pr_close(struct tarn_reader *r)
{
	ex_query_free(((struct plan_reader *)r)->q);
	tarn_free(r);
}

static const struct tarn_reader_ops pr_ops = { .next = pr_next, .close = pr_close,
					       .progress = sr_progress };

static tarn_rc option_text(const struct sql_option *o, char *buf, size_t cap, const char **out)
{
	const struct sql_expr *v = o->value;
	if (!v) {
		*out = "true";
		return TARN_OK;
	}
	if (v->kind == SQL_EXPR_LITERAL && v->lit.kind == SQL_LIT_BOOL) {
		*out = v->lit.b ? "true" : "false";
		return TARN_OK;
	}
	if (v->kind == SQL_EXPR_LITERAL && v->lit.kind != SQL_LIT_NULL) {
		snprintf(buf, cap, "%.*s", (int)v->lit.len, v->lit.text);
		*out = buf;
		return TARN_OK;
	}
	if (v->kind == SQL_EXPR_NAME && v->name.n == 1) {
		snprintf(buf, cap, "%s", v->name.parts[0].s);
		*out = buf;
		return TARN_OK;
	}
	return TARN_EUSAGE;
}

static tarn_rc at_loc(const struct sql_script *sc, sql_loc loc, tarn_rc rc,
		      struct tarn_err *err);

/* Binds `SELECT cols|* FROM "name"` (a table named by a statement: COPY t
 * TO, DESCRIBE t), so views, lake tables and files resolve as in any
 * query; errors point at the name in the statement. */
static tarn_rc bind_named(struct sql_reader *s, const struct sql_script *sc,
			  const struct sql_qname *qn, const struct sql_name *cols, int n_cols,
			  const struct ex_opts *xo, struct ex_op **out, struct tarn_err *err)
{
	struct tarn_buf t;
	tarn_buf_init(&t);
	tarn_rc rc = tarn_buf_printf(&t, "SELECT ");
	for (int i = 0; !rc && i <= n_cols; i++) {
		const char *name = i < n_cols ? cols[i].s : qn->parts[qn->n - 1].s;
		if (i == n_cols)
			rc = tarn_buf_printf(&t, "%sFROM ", n_cols ? " " : "* ");
		else if (i)
			rc = tarn_buf_printf(&t, ", ");
		if (!rc)
			rc = tarn_buf_putc(&t, '"');
		for (const char *p = name; !rc && *p; p++)
			rc = *p == '"' ? tarn_buf_printf(&t, "\"\"") : tarn_buf_putc(&t, *p);
		if (!rc)
			rc = tarn_buf_putc(&t, '"');
	}
	struct sql_script *sub = NULL;
	if (!rc)
		rc = sql_parse(t.data, t.len, &s->ss->arena, &sub, err);
	tarn_buf_free(&t);
	if (rc)
		return rc == TARN_ENOMEM ? tarn_err_nomem(err, "query") : rc;
	rc = sql_bind_query(sub->stmts[0]->query, sub->text, sub->len, xo, &s->ss->env, out, err);
	return rc ? at_loc(sc, qn->loc, rc, err) : TARN_OK;
}

/* COPY (query) TO 'path' (options). */
static tarn_rc run_copy(struct sql_reader *s, const struct sql_script *sc,
			const struct sql_stmt *st, const struct ex_opts *xo, int64_t *rows,
			struct tarn_err *err)
{
	if (st->copy.from || st->copy.stdio)
		return sql_err_at(err, TARN_EUNSUPPORTED, sc->text, sc->len, st->loc, "error",
				  "only COPY (query) TO 'file' and COPY table TO 'file' are supported "
				  "yet");
	struct ex_op *op = NULL;
	if (st->copy.query)
		TRY(sql_bind_query(st->copy.query, sc->text, sc->len, xo, &s->ss->env, &op, err));
	else
		TRY(bind_named(s, sc, &st->copy.table, st->copy.cols, st->copy.n_cols, xo, &op, err));
	struct plan_reader *pr = tarn_calloc(1, sizeof *pr);
	tarn_rc rc = pr ? ex_query_new(op, xo, &pr->q, err) : TARN_ENOMEM;
	if (!pr)
		ex_op_free(op);
	if (rc) {
		tarn_free(pr);
		return rc;
	}
	pr->base.ops = &pr_ops;
	pr->base.format = &sql_format;
	pr->base.schema = (struct tarn_schema *)ex_query_schema(pr->q);
	tarn_schema_ref(pr->base.schema);
	char path[4096];
	snprintf(path, sizeof path, "%.*s", (int)st->copy.path_len, st->copy.path);
	const char *format = NULL;
	char fbuf[64], pbuf[1024], vbuf[1024];
	const char *partition = NULL;
	bool overwrite = false;
	struct tarn_opts *wo = NULL;
	rc = tarn_opts_new(&wo);
	for (int i = 0; !rc && i < st->copy.n_opts; i++) {
		const struct sql_option *o = &st->copy.opts[i];
		const char *k = o->key.s;
		if (strcasecmp(k, "partition_by") == 0) {
			size_t len = 0;
			pbuf[0] = 0;
			int n = o->is_list ? o->n_list : 1;
			for (int j = 0; j < n; j++) {
				const struct sql_expr *v = o->is_list ? o->list[j] : o->value;
				if (!v || v->kind != SQL_EXPR_NAME) {
					rc = sql_err_at(err, TARN_EUSAGE, sc->text, sc->len, o->key.loc,
							"error", "PARTITION_BY takes column names");
					break;
				}
				len += (size_t)snprintf(pbuf + len, len < sizeof pbuf ? sizeof pbuf - len : 0,
							"%s%s", j ? "," : "",
							v->name.parts[v->name.n - 1].s);
			}
			partition = pbuf;
			continue;
		}
		const char *v;
		if (option_text(o, vbuf, sizeof vbuf, &v)) {
			rc = sql_err_at(err, TARN_EUSAGE, sc->text, sc->len, o->key.loc, "error",
					"COPY option %s needs a constant value", k);
			break;
		}
		if (strcasecmp(k, "overwrite") == 0 || strcasecmp(k, "overwrite_or_ignore") == 0) {
			overwrite = strcasecmp(v, "false") != 0 && strcmp(v, "0") != 0;
			continue;
		}
		if (strcasecmp(k, "format") == 0) {
			snprintf(fbuf, sizeof fbuf, "%.63s", v);
			for (char *p = fbuf; *p; p++)
				*p = (char)tolower((unsigned char)*p);
			format = fbuf;
			continue;
		}
		char key[64];
		snprintf(key, sizeof key, "%s", k);
		for (char *p = key; *p; p++)
			*p = *p == '_' ? '-' : (char)tolower((unsigned char)*p);
		if (strcmp(key, "codec") == 0)
			snprintf(key, sizeof key, "compression");
		if (strcmp(key, "compression") == 0) {
			for (char *p = vbuf; *p; p++)
				*p = (char)tolower((unsigned char)*p);
			if (v != vbuf) {
				snprintf(vbuf, sizeof vbuf, "%s", v);
				v = vbuf;
			}
		}
		if (tarn_opts_set(wo, key, v))
			rc = TARN_ENOMEM;
	}
	struct tarn_writer *w = NULL;
	int64_t n = 0, parts = 0;
	/* OVERWRITE: a partitioned COPY replaces the directory (a file is
	 * always replaced, atomically) */
	if (!rc && partition && overwrite)
		rc = tarn_remove_tree(path, err);
	if (!rc && partition) {
		struct tarn_partition_opts po = { format, wo, 0 };
		rc = tarn_write_partitioned(&pr->base, path, partition, &po, &n, &parts, err);
	} else if (!rc) {
		rc = tarn_writer_open(path, format, pr->base.schema, wo, &w, err);
		struct tarn_batch *b = NULL;
		while (!rc) {
			rc = tarn_reader_next(&pr->base, &b, err);
			if (rc || !b)
				break;
			n += b->n_rows;
			rc = tarn_writer_write(w, b, err);
			tarn_batch_free(b);
		}
		if (!rc)
			rc = tarn_writer_finish(w, err);
		tarn_writer_close(w);
	}
	tarn_opts_free(wo);
	tarn_reader_close(&pr->base);
	*rows = n;
	return rc;
}

/* CREATE [OR REPLACE] VIEW name [(cols)] AS query: kept for the session
 * (views are not persisted). The query is bound once now, so a view over
 * a missing table or column is an error at CREATE; later queries bind it
 * again (late binding: a view over a view sees its current definition). */
static tarn_rc add_view(struct sql_reader *s, const struct sql_script *sc,
			const struct sql_stmt *st, const struct ex_opts *xo, struct tarn_err *err)
{
	const struct sql_qname *qn = &st->create.name;
	const char *name = qn->parts[qn->n - 1].s;
	struct sql_env *e = &s->ss->env;
	int at = -1;
	for (int i = 0; i < e->n_views; i++)
		if (strcasecmp(e->views[i].name, name) == 0)
			at = i;
	if (at >= 0 && !st->create.or_replace) {
		if (st->create.if_not_exists)
			return TARN_OK;
		return sql_err_at(err, TARN_EUSAGE, sc->text, sc->len, st->loc, "error",
				  "view '%s' already exists (use CREATE OR REPLACE)", name);
	}
	struct ex_op *op = NULL;
	TRY(sql_bind_query(st->create.query, sc->text, sc->len, xo, e, &op, err));
	int n = ex_op_schema(op)->n_fields;
	ex_op_free(op);
	if (st->create.n_cols > n)
		return sql_err_at(err, TARN_EUSAGE, sc->text, sc->len, st->create.cols[n].loc, "error",
				  "view '%s' names %d columns for %d", name, st->create.n_cols, n);
	struct sql_view nv = { NULL, st->create.query, sc->text, sc->len, st->create.n_cols,
			       st->create.cols };
	if (at >= 0) {
		nv.name = e->views[at].name;
		e->views[at] = nv;
		return TARN_OK;
	}
	struct sql_view *v = tarn_realloc(e->views, (size_t)(e->n_views + 1) * sizeof *v);
	if (!v)
		return TARN_ENOMEM;
	e->views = v;
	nv.name = tarn_strdup(name);
	if (!nv.name)
		return TARN_ENOMEM;
	v[e->n_views++] = nv;
	return TARN_OK;
}

static bool view_exists(const struct sql_env *e, const char *name)
{
	for (int i = 0; i < e->n_views; i++)
		if (strcasecmp(e->views[i].name, name) == 0)
			return true;
	return false;
}

static const char *qname_last(const struct sql_qname *q)
{
	return q->parts[q->n - 1].s;
}

/* A lake error about table `name` pointed at loc. */
static tarn_rc at_loc(const struct sql_script *sc, sql_loc loc, tarn_rc rc,
		      struct tarn_err *err)
{
	char msg[sizeof err->msg];
	const char *m = err->msg;
	if (strncmp(m, "error at line ", 14) == 0 && strstr(m, ": "))
		m = strstr(m, ": ") + 2; /* an error inside generated SQL: its message only */
	snprintf(msg, sizeof msg, "%.*s", (int)strcspn(m, "\n"), m);
	tarn_err_clear(err);
	return sql_err_at(err, rc, sc->text, sc->len, loc, "error", "%s", msg);
}

/* A plan of no rows with the columns of schema s (CREATE TABLE (cols)). */
static tarn_rc empty_plan(struct tarn_schema *s, struct ex_op **out, struct tarn_err *err)
{
	return ex_op_values(s, NULL, 0, out, err); /* the op takes its own reference */
}

/* DEFAULT expressions of CREATE TABLE (cols): evaluated once, now, as
 * `SELECT (expr) AS "col", ...`, and kept with the table (lake.h). A
 * failure drops the table just made. */
static tarn_rc save_defaults(struct sql_reader *s, const struct sql_script *sc,
			     const struct sql_stmt *st, const char *dir, const struct ex_opts *xo,
			     struct tarn_err *err)
{
	struct tarn_buf t;
	tarn_buf_init(&t);
	tarn_rc rc = TARN_OK;
	int n = 0;
	for (int i = 0; !rc && i < st->create.n_defs; i++) {
		const struct sql_column_def *d = &st->create.defs[i];
		if (!d->default_value)
			continue;
		rc = tarn_buf_printf(&t, "%s(", n++ ? ", " : "SELECT ");
		if (!rc)
			rc = sql_print_expr(d->default_value, &t);
		if (!rc)
			rc = tarn_buf_printf(&t, ") AS \"");
		for (const char *p = d->name.s; !rc && *p; p++)
			rc = *p == '"' ? tarn_buf_printf(&t, "\"\"") : tarn_buf_putc(&t, *p);
		if (!rc)
			rc = tarn_buf_putc(&t, '"');
	}
	if (!rc && n) {
		struct sql_script *sub = NULL;
		struct ex_op *op = NULL;
		rc = sql_parse(t.data, t.len, &s->ss->arena, &sub, err);
		if (!rc)
			rc = sql_bind_query(sub->stmts[0]->query, sub->text, sub->len, xo, &s->ss->env,
					    &op, err);
		if (!rc)
			rc = sql_lake_set_defaults(dir, op, xo, err);
		if (rc) {
			rc = at_loc(sc, st->create.name.loc, rc, err);
			(void)!sql_lake_drop(dir, NULL);
		}
	}
	tarn_buf_free(&t);
	return rc == TARN_ENOMEM ? tarn_err_nomem(err, "DEFAULT") : rc;
}

/* Columns of type NULL (`SELECT NULL AS x`) cannot be stored: they
 * become INTEGER, as DuckDB does, through a projection over the plan. */
static tarn_rc null_columns_typed(struct ex_op **op, struct tarn_schema *schema,
				  struct tarn_err *err)
{
	int n = schema->n_fields, k = 0;
	for (int i = 0; i < n; i++)
		k += schema->fields[i].type.id == TARN_T_NULL;
	if (!k)
		return TARN_OK;
	struct tarn_type i32;
	tarn_type_init(&i32, TARN_T_INT32);
	struct ex_expr **e = tarn_calloc((size_t)n, sizeof *e);
	const char **names = tarn_calloc((size_t)n, sizeof *names);
	tarn_rc rc = e && names ? TARN_OK : tarn_err_nomem(err, "CREATE TABLE");
	for (int i = 0; !rc && i < n; i++) {
		struct tarn_field *f = &schema->fields[i];
		names[i] = f->name;
		rc = ex_expr_column(i, &f->type, f->name, &e[i]);
		if (!rc && f->type.id == TARN_T_NULL) {
			struct ex_expr *x = e[i];
			e[i] = NULL; /* the cast takes x over, also on failure */
			rc = ex_expr_cast(x, &i32, false, &e[i], err);
			if (!rc) {
				tarn_type_clear(&f->type);
				tarn_type_init(&f->type, TARN_T_INT32);
			}
		}
	}
	if (!rc) {
		struct ex_op *child = *op;
		*op = NULL; /* taken over by the projection, also on failure */
		rc = ex_op_project(child, e, names, n, op, err);
	} else {
		for (int i = 0; e && i < n; i++)
			ex_expr_free(e[i]);
	}
	tarn_free(e);
	tarn_free(names);
	return rc;
}

/* CREATE [OR REPLACE] TABLE [IF NOT EXISTS] name AS query | (cols): the
 * table is written to the lake (lake.c). */
static tarn_rc create_table(struct sql_reader *s, const struct sql_script *sc,
			    const struct sql_stmt *st, const struct ex_opts *xo, int64_t *rows,
			    struct tarn_err *err)
{
	const char *name = qname_last(&st->create.name);
	char dir[4096];
	if (sql_lake_dir(&s->ss->env, name, dir, sizeof dir, err))
		return at_loc(sc, st->create.name.loc, err->rc, err);
	bool exists = sql_lake_exists(&s->ss->env, name, dir, sizeof dir);
	if ((exists || view_exists(&s->ss->env, name)) && !st->create.or_replace) {
		if (st->create.if_not_exists)
			return TARN_OK;
		return sql_err_at(err, TARN_EUSAGE, sc->text, sc->len, st->create.name.loc, "error",
				  "table '%s' already exists", name);
	}
	struct tarn_schema *schema = NULL;
	struct ex_op *op = NULL;
	tarn_rc rc = TARN_OK;
	if (st->create.query) {
		rc = sql_bind_query(st->create.query, sc->text, sc->len, xo, &s->ss->env, &op, err);
		if (!rc)
			rc = tarn_schema_copy(ex_op_schema(op), &schema);
		if (!rc)
			rc = null_columns_typed(&op, schema, err);
		for (int i = 0; !rc && i < schema->n_fields; i++) {
			schema->fields[i].nullable = true;
			if (i < st->create.n_cols)
				rc = tarn_field_set_name(&schema->fields[i], st->create.cols[i].s,
							 st->create.cols[i].len);
		}
	} else {
		rc = tarn_schema_new(st->create.n_defs, &schema);
		for (int i = 0; !rc && i < st->create.n_defs; i++) {
			const struct sql_column_def *d = &st->create.defs[i];
			rc = tarn_field_set_name(&schema->fields[i], d->name.s, d->name.len);
			if (!rc)
				rc = sql_type_to_tarn(d->type, sc->text, sc->len, &schema->fields[i].type,
						      err);
			schema->fields[i].nullable = !d->not_null;
		}
		if (!rc)
			rc = empty_plan(schema, &op, err);
	}
	if (!rc) {
		rc = sql_lake_create(dir, op, xo, schema, exists, rows, err);
		op = NULL;
		if (rc)
			rc = at_loc(sc, st->create.name.loc, rc, err);
	}
	ex_op_free(op);
	tarn_schema_unref(schema);
	if (!rc && !st->create.query)
		rc = save_defaults(s, sc, st, dir, xo, err);
	return rc;
}

/* INSERT INTO t [(cols)] query: the query's columns cast to the table's
 * types by position (or into the named columns; others NULL), written as a
 * new part file of the table. */
static tarn_rc insert_into(struct sql_reader *s, const struct sql_script *sc,
			   const struct sql_stmt *st, const struct ex_opts *xo, int64_t *rows,
			   struct tarn_err *err)
{
	const char *name = qname_last(&st->insert.table);
	char dir[4096];
	if (!sql_lake_exists(&s->ss->env, name, dir, sizeof dir))
		return sql_err_at(err, TARN_ENOTFOUND, sc->text, sc->len, st->insert.table.loc,
				  "error", "no table '%s' to insert into (CREATE TABLE it first)",
				  name);
	if (!st->insert.query)
		return sql_err_at(err, TARN_EUNSUPPORTED, sc->text, sc->len, st->loc, "error",
				  "INSERT ... DEFAULT VALUES is not supported");
	struct tarn_schema *ts = NULL;
	struct tarn_batch *defaults = NULL;
	if (sql_lake_schema(dir, &ts, err) || sql_lake_defaults(dir, &defaults, err)) {
		tarn_schema_unref(ts);
		return at_loc(sc, st->insert.table.loc, err->rc, err);
	}
	struct ex_op *op = NULL;
	tarn_rc rc = sql_bind_query(st->insert.query, sc->text, sc->len, xo, &s->ss->env, &op, err);
	if (rc) {
		tarn_schema_unref(ts);
		tarn_batch_free(defaults);
		return rc;
	}
	const struct tarn_schema *qs = ex_op_schema(op);
	int nt = ts->n_fields;
	int want = st->insert.n_cols ? st->insert.n_cols : nt;
	if (qs->n_fields != want) {
		ex_op_free(op);
		tarn_schema_unref(ts);
		tarn_batch_free(defaults);
		return sql_err_at(err, TARN_EUSAGE, sc->text, sc->len, st->loc, "error",
				  "INSERT gives %d columns for %d", qs->n_fields, want);
	}
	struct ex_expr **e = tarn_calloc((size_t)nt + 1, sizeof *e);
	const char **names = tarn_calloc((size_t)nt + 1, sizeof *names);
	rc = e && names ? TARN_OK : TARN_ENOMEM;
	for (int c = 0; !rc && c < nt; c++) {
		const struct tarn_field *f = &ts->fields[c];
		names[c] = f->name;
		int src = st->insert.n_cols ? -1 : c;
		for (int k = 0; src < 0 && k < st->insert.n_cols; k++)
			if (strcasecmp(st->insert.cols[k].s, f->name) == 0)
				src = k;
		struct ex_expr *x = NULL;
		int dc = src < 0 && defaults ? tarn_schema_find(defaults->schema, f->name) : -1;
		if (dc >= 0 && defaults->n_rows == 1)
			rc = ex_expr_const(defaults->cols[dc], 0, &x);
		else if (src < 0)
			rc = ex_expr_const_null(&f->type, &x);
		else
			rc = ex_expr_column(src, &qs->fields[src].type, NULL, &x);
		if (!rc && !tarn_type_equal(&x->type, &f->type))
			rc = ex_expr_cast(x, &f->type, false, &x, err);
		e[c] = x;
	}
	for (int k = 0; !rc && k < st->insert.n_cols; k++) {
		bool known = false;
		for (int c = 0; c < nt; c++)
			known = known || strcasecmp(st->insert.cols[k].s, ts->fields[c].name) == 0;
		if (!known)
			rc = sql_err_at(err, TARN_ENOTFOUND, sc->text, sc->len, st->insert.cols[k].loc,
					"error", "table '%s' has no column '%s'", name,
					st->insert.cols[k].s);
	}
	struct ex_op *proj = NULL;
	if (!rc) {
		rc = ex_op_project(op, e, names, nt, &proj, err);
		op = NULL;
	} else {
		for (int c = 0; e && c < nt; c++)
			ex_expr_free(e[c]);
	}
	tarn_free(e);
	tarn_free(names);
	ex_op_free(op);
	if (!rc)
		rc = sql_lake_insert(dir, proj, xo, ts, rows, err);
	tarn_schema_unref(ts);
	tarn_batch_free(defaults);
	return rc;
}

static tarn_rc drop_objects(struct sql_reader *s, const struct sql_script *sc,
			    const struct sql_stmt *st, struct tarn_err *err)
{
	for (int i = 0; i < st->drop.n; i++) {
		const char *name = qname_last(&st->drop.names[i]);
		bool found = false;
		if (st->drop.object == SQL_OBJECT_TABLE) {
			char dir[4096];
			if (sql_lake_exists(&s->ss->env, name, dir, sizeof dir)) {
				if (sql_lake_drop(dir, err))
					return at_loc(sc, st->drop.names[i].loc, err->rc, err);
				found = true;
			}
		} else {
			for (int k = 0; k < s->ss->env.n_views; k++)
				if (strcasecmp(s->ss->env.views[k].name, name) == 0) {
					tarn_free(s->ss->env.views[k].name);
					s->ss->env.views[k] = s->ss->env.views[--s->ss->env.n_views];
					found = true;
					break;
				}
		}
		if (!found && !st->drop.if_exists)
			return sql_err_at(err, TARN_ENOTFOUND, sc->text, sc->len, st->drop.names[i].loc,
					  "error", "no %s '%s'",
					  st->drop.object == SQL_OBJECT_TABLE ? "table" : "view", name);
	}
	return TARN_OK;
}

/* EXPLAIN [ANALYZE] query: the plan as rows of one string column
 * `explain_value` (so every output format shows it). ANALYZE runs the
 * query first, dropping its rows, and adds per-operator statistics and a
 * total line. */
static tarn_rc run_explain(struct sql_reader *s, const struct sql_script *sc,
			   const struct sql_stmt *st, const struct ex_opts *xo,
			   struct tarn_schema **schema, struct tarn_err *err)
{
	const struct sql_stmt *in = st->explain.stmt;
	if (!in || in->kind != SQL_STMT_QUERY)
		return sql_err_at(err, TARN_EUNSUPPORTED, sc->text, sc->len, in ? in->loc : st->loc,
				  "error", "EXPLAIN takes a query (SELECT, WITH, VALUES, TABLE)");
	struct ex_op *op = NULL;
	TRY(sql_bind_query(in->query, sc->text, sc->len, xo, &s->ss->env, &op, err));
	struct tarn_buf text;
	tarn_buf_init(&text);
	tarn_rc rc = TARN_OK;
	if (!st->explain.analyze) {
		rc = ex_plan_explain(op, false, &text);
		ex_op_free(op);
	} else {
		struct ex_query *q = NULL;
		rc = ex_query_new(op, xo, &q, err);
		if (!rc) {
			ex_query_set_analyze(q);
			ex_query_set_cancel(q, &s->ss->cancel);
		}
		struct timespec t0, t1;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		int64_t rows = 0;
		struct tarn_batch *b = NULL;
		while (!rc && !(rc = ex_query_next(q, &b, err)) && b) {
			rows += b->n_rows;
			tarn_batch_free(b);
		}
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if (!rc)
			rc = ex_plan_explain(ex_query_plan(q), true, &text);
		if (!rc) {
			double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
				    (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
			rc = tarn_buf_printf(&text,
					     "total  [rows=%lld wall=%.3f ms peak mem=%lld B threads=%d]\n",
					     (long long)rows, ms, (long long)ex_query_mem_peak(q),
					     ex_query_threads(q));
		}
		ex_query_free(q);
	}
	struct tarn_schema *sch = NULL;
	struct tarn_batch *b = NULL;
	if (!rc)
		rc = tarn_schema_new(1, &sch);
	if (!rc) {
		rc = tarn_field_set_name(&sch->fields[0], "explain_value", 13);
		tarn_type_init(&sch->fields[0].type, TARN_T_STRING);
	}
	if (!rc)
		rc = tarn_batch_new(sch, 16, &b);
	for (size_t i = 0; !rc && i < text.len;) {
		const char *nl = memchr(text.data + i, '\n', text.len - i);
		size_t n = nl ? (size_t)(nl - (text.data + i)) : text.len - i;
		rc = tarn_array_append_bytes(b->cols[0], text.data + i, n);
		i += n + 1;
	}
	tarn_buf_free(&text);
	rc = hand_over(rc, sch, b, schema, &s->once);
	return rc == TARN_ENOMEM ? tarn_err_nomem(err, "EXPLAIN") : rc;
}

/* A result of string columns: names[c] with rows[r * n_cols + c]. */
static tarn_rc text_result(const char *const *names, int n_cols, char **rows, int n_rows,
			   struct tarn_schema **schema, struct tarn_batch **out)
{
	struct tarn_schema *sch = NULL;
	struct tarn_batch *b = NULL;
	tarn_rc rc = tarn_schema_new(n_cols, &sch);
	for (int c = 0; !rc && c < n_cols; c++) {
		rc = tarn_field_set_name(&sch->fields[c], names[c], strlen(names[c]));
		tarn_type_init(&sch->fields[c].type, TARN_T_STRING);
	}
	if (!rc)
		rc = tarn_batch_new(sch, n_rows, &b);
	for (int r = 0; !rc && r < n_rows; r++)
		for (int c = 0; !rc && c < n_cols; c++) {
			const char *v = rows[r * n_cols + c];
			rc = tarn_array_append_bytes(b->cols[c], v, strlen(v));
		}
	return hand_over(rc, sch, b, schema, out);
}

struct name_list {
	char **v; /* pairs: name, type */
	int n, cap;
};

static tarn_rc names_add(struct name_list *l, const char *name, size_t len, const char *type)
{
	if (l->n + 2 > l->cap) {
		int cap = l->cap ? l->cap * 2 : 32;
		char **v = tarn_realloc(l->v, (size_t)cap * sizeof *v);
		if (!v)
			return TARN_ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n] = tarn_strndup(name, len);
	l->v[l->n + 1] = tarn_strdup(type);
	l->n += 2;
	return l->v[l->n - 2] && l->v[l->n - 1] ? TARN_OK : TARN_ENOMEM;
}

static void names_free(struct name_list *l)
{
	for (int i = 0; i < l->n; i++)
		tarn_free(l->v[i]);
	tarn_free(l->v);
}

/* SHOW TABLES: views of the session, tables in the lake, and the files a
 * bare name finds in the file_search_path (name without extension). */
static tarn_rc show_tables(struct sql_reader *s, struct tarn_schema **schema)
{
	struct name_list l = { 0 };
	const struct sql_env *e = &s->ss->env;
	tarn_rc rc = TARN_OK;
	for (int i = 0; !rc && i < e->n_views; i++)
		rc = names_add(&l, e->views[i].name, strlen(e->views[i].name), "view");
	char **tables = NULL;
	int nt = 0;
	if (!rc)
		rc = sql_lake_list(e, &tables, &nt);
	for (int i = 0; i < nt; i++) {
		if (!rc)
			rc = names_add(&l, tables[i], strlen(tables[i]), "table");
		tarn_free(tables[i]);
	}
	tarn_free(tables);
	const char *sp = e->search_path ? e->search_path : ".";
	while (!rc && *sp) {
		const char *c = strchr(sp, ',');
		size_t dl = c ? (size_t)(c - sp) : strlen(sp);
		char dir[4096];
		snprintf(dir, sizeof dir, "%.*s", (int)dl, sp);
		DIR *d = opendir(dir);
		struct dirent *de;
		while (!rc && d && (de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.' || !tarn_format_from_path(de->d_name))
				continue;
			const char *dot = strchr(de->d_name, '.');
			rc = names_add(&l, de->d_name, (size_t)(dot - de->d_name), "file");
		}
		if (d)
			closedir(d);
		sp += dl + (c != NULL);
	}
	/* views, then tables, then files, each sorted by name */
	for (int i = 2; !rc && i < l.n; i += 2)
		for (int j = i; j > 0 && strcmp(l.v[j - 1], l.v[j + 1]) == 0 &&
				strcmp(l.v[j - 2], l.v[j]) > 0;
		     j -= 2) {
			char *t = l.v[j];
			l.v[j] = l.v[j - 2];
			l.v[j - 2] = t;
		}
	static const char *const cols[] = { "name", "type" };
	if (!rc)
		rc = text_result(cols, 2, l.v, l.n / 2, schema, &s->once);
	names_free(&l);
	return rc;
}

/* DESCRIBE name | DESCRIBE query: column_name, column_type, null — the
 * columns a SELECT * would give. */
static tarn_rc describe(struct sql_reader *s, const struct sql_script *sc,
			const struct sql_stmt *st, const struct ex_opts *xo,
			struct tarn_schema **schema, struct tarn_err *err)
{
	struct ex_op *op = NULL;
	if (st->describe.query)
		TRY(sql_bind_query(st->describe.query, sc->text, sc->len, xo, &s->ss->env, &op, err));
	else
		TRY(bind_named(s, sc, &st->describe.name, NULL, 0, xo, &op, err));
	tarn_rc rc;
	const struct tarn_schema *os = ex_op_schema(op);
	int n = os->n_fields;
	char **rows = tarn_calloc((size_t)n * 3 + 1, sizeof *rows);
	rc = rows ? TARN_OK : TARN_ENOMEM;
	for (int i = 0; !rc && i < n; i++) {
		struct tarn_buf t;
		tarn_buf_init(&t);
		rc = tarn_type_to_text(&os->fields[i].type, &t);
		if (!rc)
			rc = tarn_buf_cstr(&t);
		rows[i * 3] = tarn_strdup(os->fields[i].name);
		rows[i * 3 + 1] = rc ? NULL : tarn_buf_steal(&t);
		rows[i * 3 + 2] = tarn_strdup(os->fields[i].nullable ? "YES" : "NO");
		tarn_buf_free(&t);
		if (!rc && (!rows[i * 3] || !rows[i * 3 + 1] || !rows[i * 3 + 2]))
			rc = TARN_ENOMEM;
	}
	ex_op_free(op);
	static const char *const cols[] = { "column_name", "column_type", "null" };
	if (!rc)
		rc = text_result(cols, 3, rows, n, schema, &s->once);
	for (int i = 0; rows && i < n * 3; i++)
		tarn_free(rows[i]);
	tarn_free(rows);
	return rc == TARN_ENOMEM ? tarn_err_nomem(err, "DESCRIBE") : rc;
}

static const char *stmt_name(enum sql_stmt_kind k)
{
	switch (k) {
	case SQL_STMT_EXPLAIN:
		return "EXPLAIN";
	case SQL_STMT_CREATE_TABLE:
		return "CREATE TABLE";
	case SQL_STMT_INSERT:
		return "INSERT";
	case SQL_STMT_DROP:
		return "DROP";
	case SQL_STMT_SET:
		return "SET";
	case SQL_STMT_SHOW:
		return "SHOW";
	case SQL_STMT_DESCRIBE:
		return "DESCRIBE";
	default:
		return "this statement";
	}
}

tarn_rc tarn_sql_session_new(const struct tarn_sql_opts *o, struct tarn_sql_session **out)
{
	*out = NULL;
	struct tarn_sql_session *ss = tarn_calloc(1, sizeof *ss);
	if (!ss)
		return TARN_ENOMEM;
	tarn_arena_init(&ss->arena, 64 << 10);
	ss->xo.threads = o ? o->threads : 0;
	ss->xo.mem_limit = o ? o->memory_limit : 0;
	if (o && o->home && !(ss->env.home = tarn_strdup(o->home))) {
		tarn_free(ss);
		return TARN_ENOMEM;
	}
	struct tarn_err e;
	tarn_err_clear(&e);
	tarn_rc rc = o && o->timezone ? set_timezone(&ss->env, o->timezone, NULL, 0, &e) : TARN_OK;
	if (rc) {
		tarn_sql_session_free(ss);
		return rc; /* TARN_EUSAGE: an unknown zone */
	}
	*out = ss;
	return TARN_OK;
}

void tarn_sql_session_free(struct tarn_sql_session *ss)
{
	if (!ss)
		return;
	env_clear(&ss->env);
	tarn_arena_free(&ss->arena);
	tarn_free(ss);
}

void tarn_sql_interrupt(struct tarn_sql_session *ss)
{
	atomic_store(&ss->cancel, 1); /* lock-free: callable from a signal handler */
}

/* Runs a query to the end for its errors, dropping the rows. */
static tarn_rc run_to_end(struct ex_query *q, struct tarn_err *err)
{
	tarn_rc rc;
	struct tarn_batch *b = NULL;
	while (!(rc = ex_query_next(q, &b, err)) && b)
		tarn_batch_free(b);
	ex_query_free(q);
	return rc;
}

static tarn_rc script_run(struct tarn_sql_session *ss, const char *text, size_t len,
			  struct tarn_reader **out, struct tarn_err *err)
{
	*out = NULL;
	atomic_store(&ss->cancel, 0);
	struct sql_reader *s = tarn_calloc(1, sizeof *s);
	if (!s)
		return tarn_err_nomem(err, "query");
	s->base.ops = &sr_ops;
	s->base.format = &sql_format;
	s->ss = ss;
	struct ex_opts xo = ss->xo;
	struct sql_script *sc = NULL;
	tarn_rc rc = sql_parse(text, len, &ss->arena, &sc, err);
	/* Malformed SQL is the caller's mistake (exit 1), not bad data. */
	if (rc == TARN_EDATA)
		rc = TARN_EUSAGE;
	if (!rc && sc->n == 0)
		rc = tarn_err_set(err, TARN_EUSAGE, "no SQL statement given");
	for (int i = 0; !rc && i < sc->n; i++) {
		const struct sql_stmt *st = sc->stmts[i];
		bool last = i == sc->n - 1;
		struct tarn_schema *schema = NULL;
		switch (st->kind) {
		case SQL_STMT_QUERY: {
			struct ex_op *op = NULL;
			rc = sql_bind_query(st->query, sc->text, sc->len, &xo, &s->ss->env, &op, err);
			if (rc)
				break;
			struct ex_query *q = NULL;
			rc = ex_query_new(op, &xo, &q, err);
			if (rc)
				break;
			ex_query_set_cancel(q, &ss->cancel);
			if (!last) { /* run it for its errors, drop the rows */
				rc = run_to_end(q, err);
				break;
			}
			s->q = q;
			schema = (struct tarn_schema *)ex_query_schema(q);
			tarn_schema_ref(schema);
			break;
		}
		case SQL_STMT_COPY: {
			int64_t rows = 0;
			rc = run_copy(s, sc, st, &xo, &rows, err);
			if (!rc && last)
				rc = status_batch("rows", rows, &schema, &s->once);
			break;
		}
		case SQL_STMT_SET: {
			const struct sql_qname *qn = &st->set.name;
			const struct sql_expr *v = st->set.n_values == 1 ? st->set.values[0] : NULL;
			if (qn->n == 1 && strcasecmp(qn->parts[0].s, "timezone") == 0) {
				/* The session time zone (sql_env.timezone; NULL = UTC, the
				 * default: results do not depend on the machine's zone). */
				const char *z = v && v->kind == SQL_EXPR_LITERAL &&
							v->lit.kind == SQL_LIT_STRING
						    ? v->lit.text
						    : NULL;
				if (!st->set.reset && !z)
					rc = sql_err_at(err, TARN_EUSAGE, sc->text, sc->len, st->loc,
							"error",
							"SET TimeZone takes a zone name in quotes "
							"('Europe/Paris', 'UTC')");
				else
					rc = set_timezone(&s->ss->env, st->set.reset ? NULL : z, sc,
							  st->loc, err);
			} else if (qn->n == 1 && strcasecmp(qn->parts[0].s, "file_search_path") == 0 &&
			    (st->set.reset || (v && v->kind == SQL_EXPR_LITERAL &&
					       v->lit.kind == SQL_LIT_STRING))) {
				tarn_free(s->ss->env.search_path);
				s->ss->env.search_path = st->set.reset ? NULL : tarn_strdup(v->lit.text);
				if (!st->set.reset && !s->ss->env.search_path)
					rc = TARN_ENOMEM;
			} else {
				rc = sql_err_at(err, TARN_EUNSUPPORTED, sc->text, sc->len, st->loc, "error",
						"unknown setting (tarn knows: file_search_path, TimeZone)");
			}
			if (!rc && last)
				rc = status_batch("settings", 1, &schema, &s->once);
			break;
		}
		case SQL_STMT_CREATE_TABLE: {
			int64_t rows = 0;
			rc = create_table(s, sc, st, &xo, &rows, err);
			if (!rc && last)
				rc = status_batch("rows", rows, &schema, &s->once);
			break;
		}
		case SQL_STMT_INSERT: {
			int64_t rows = 0;
			rc = insert_into(s, sc, st, &xo, &rows, err);
			if (!rc && last)
				rc = status_batch("rows", rows, &schema, &s->once);
			break;
		}
		case SQL_STMT_DROP:
			rc = drop_objects(s, sc, st, err);
			if (!rc && last)
				rc = status_batch("dropped", st->drop.n, &schema, &s->once);
			break;
		case SQL_STMT_EXPLAIN:
			rc = run_explain(s, sc, st, &xo, &schema, err);
			goto drop_unless_last;
		case SQL_STMT_SHOW:
			if (st->show.what != SQL_SHOW_TABLES && st->show.what != SQL_SHOW_ALL_TABLES) {
				rc = sql_err_at(err, TARN_EUNSUPPORTED, sc->text, sc->len, st->loc, "error",
						"SHOW takes TABLES here (DESCRIBE name shows columns)");
				break;
			}
			rc = show_tables(s, &schema);
			if (rc == TARN_ENOMEM)
				rc = tarn_err_nomem(err, "SHOW TABLES");
			goto drop_unless_last;
		case SQL_STMT_DESCRIBE:
			rc = describe(s, sc, st, &xo, &schema, err);
		drop_unless_last:
			if (!rc && !last) {
				tarn_batch_free(s->once);
				s->once = NULL;
				tarn_schema_unref(schema);
				schema = NULL;
			}
			break;
		case SQL_STMT_CREATE_VIEW:
			rc = add_view(s, sc, st, &xo, err);
			if (!rc && last)
				rc = status_batch("views", s->ss->env.n_views, &schema, &s->once);
			break;
		default:
			rc = sql_err_at(err, TARN_EUNSUPPORTED, sc->text, sc->len, st->loc, "error",
					"%s is not supported yet", stmt_name(st->kind));
		}
		if (schema)
			s->base.schema = schema;
	}
	if (rc) {
		tarn_schema_unref(s->base.schema);
		s->base.schema = NULL;
		sr_close(&s->base);
		if (rc == TARN_ENOMEM && err && !err->msg[0])
			tarn_err_nomem(err, "SQL statement");
		return rc;
	}
	*out = &s->base;
	return TARN_OK;
}

tarn_rc tarn_sql_session_run(struct tarn_sql_session *ss, const char *sql, size_t len,
			     struct tarn_reader **out, struct tarn_err *err)
{
	return script_run(ss, sql, len, out, err);
}

tarn_rc tarn_sql_open(const char *text, size_t len, const struct tarn_sql_opts *o,
		      struct tarn_reader **out, struct tarn_err *err)
{
	*out = NULL;
	struct tarn_sql_session *ss = NULL;
	if (o && o->timezone) { /* the zone's error message */
		struct sql_env tz = { 0 };
		tarn_rc zrc = set_timezone(&tz, o->timezone, NULL, 0, err);
		tarn_free(tz.timezone);
		TRY(zrc);
	}
	if (tarn_sql_session_new(o, &ss))
		return tarn_err_nomem(err, "query");
	tarn_rc rc = script_run(ss, text, len, out, err);
	if (rc) {
		tarn_sql_session_free(ss);
		return rc;
	}
	((struct sql_reader *)*out)->own_ss = true;
	return TARN_OK;
}
