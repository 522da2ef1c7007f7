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
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base/err.h"
#include "base/mem.h"
#include "columnar/array.h"
#include "columnar/type.h"
#include "formats/format.h"
#include "sql/bind.h"
#include "sql/parse.h"

struct sql_reader {
	struct tarn_reader base;
	struct tarn_arena arena; /* the parsed script (views point into it) */
	struct sql_env env;
	struct ex_query *q;       /* the last statement's rows, or */
	struct tarn_batch *once;  /* a one-row status result */
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

static void table_clear(struct sql_table *t)
{
	for (int i = 0; i < t->n; i++)
		tarn_batch_free(t->batches[i]);
	tarn_free(t->batches);
	tarn_schema_unref(t->schema);
	tarn_free(t->name);
	memset(t, 0, sizeof *t);
}

static void env_clear(struct sql_env *e)
{
	for (int i = 0; i < e->n_tables; i++)
		table_clear(&e->tables[i]);
	tarn_free(e->tables);
	for (int i = 0; i < e->n_views; i++)
		tarn_free(e->views[i].name);
	tarn_free(e->views);
	tarn_free(e->search_path);
	memset(e, 0, sizeof *e);
}

static void sr_close(struct tarn_reader *r)
{
	struct sql_reader *s = (struct sql_reader *)r;
	ex_query_free(s->q);
	tarn_batch_free(s->once);
	env_clear(&s->env);
	tarn_arena_free(&s->arena);
	tarn_free(s);
}

static const struct tarn_reader_ops sr_ops = { .next = sr_next, .close = sr_close,
					       .progress = sr_progress };

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

/* COPY (query) TO 'path' (options). */
static tarn_rc run_copy(struct sql_reader *s, const struct sql_script *sc,
			const struct sql_stmt *st, const struct ex_opts *xo, int64_t *rows,
			struct tarn_err *err)
{
	if (st->copy.from || !st->copy.query || st->copy.stdio)
		return sql_err_at(err, TARN_EUNSUPPORTED, sc->text, sc->len, st->loc, "error",
				  "only COPY (query) TO 'file' is supported yet");
	struct ex_op *op = NULL;
	TRY(sql_bind_query(st->copy.query, sc->text, sc->len, xo, &s->env, &op, err));
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

static tarn_rc add_view(struct sql_reader *s, const struct sql_script *sc,
			const struct sql_stmt *st, struct tarn_err *err)
{
	const struct sql_qname *qn = &st->create.name;
	const char *name = qn->parts[qn->n - 1].s;
	if (st->create.n_cols)
		return sql_err_at(err, TARN_EUNSUPPORTED, sc->text, sc->len, st->loc, "error",
				  "views with column lists are not supported yet");
	for (int i = 0; i < s->env.n_views; i++)
		if (strcasecmp(s->env.views[i].name, name) == 0) {
			if (!st->create.or_replace)
				return sql_err_at(err, TARN_EUSAGE, sc->text, sc->len, st->loc, "error",
						  "view '%s' already exists (use CREATE OR REPLACE)",
						  name);
			s->env.views[i].query = st->create.query;
			s->env.views[i].text = sc->text;
			s->env.views[i].len = sc->len;
			return TARN_OK;
		}
	struct sql_view *v = tarn_realloc(s->env.views, (size_t)(s->env.n_views + 1) * sizeof *v);
	if (!v)
		return TARN_ENOMEM;
	s->env.views = v;
	v[s->env.n_views] = (struct sql_view){ tarn_strdup(name), st->create.query, sc->text,
					       sc->len };
	if (!v[s->env.n_views].name)
		return TARN_ENOMEM;
	s->env.n_views++;
	return TARN_OK;
}

static struct sql_table *find_table(struct sql_env *e, const char *name)
{
	for (int i = 0; i < e->n_tables; i++)
		if (strcasecmp(e->tables[i].name, name) == 0)
			return &e->tables[i];
	return NULL;
}

static bool view_exists(const struct sql_env *e, const char *name)
{
	for (int i = 0; i < e->n_views; i++)
		if (strcasecmp(e->views[i].name, name) == 0)
			return true;
	return false;
}

static tarn_rc table_append(struct sql_table *t, struct tarn_batch *b)
{
	if (t->n == t->cap) {
		int cap = t->cap ? t->cap * 2 : 8;
		struct tarn_batch **v = tarn_realloc(t->batches, (size_t)cap * sizeof *v);
		if (!v) {
			tarn_batch_free(b);
			return TARN_ENOMEM;
		}
		t->batches = v;
		t->cap = cap;
	}
	t->batches[t->n++] = b;
	return TARN_OK;
}

/* Runs op to the end, appending its batches to t (whose schema they have). */
static tarn_rc drain_into(struct ex_op *op, const struct ex_opts *xo, struct sql_table *t,
			  int64_t *rows, struct tarn_err *err)
{
	struct ex_query *q = NULL;
	TRY(ex_query_new(op, xo, &q, err));
	tarn_rc rc = TARN_OK;
	for (;;) {
		struct tarn_batch *b = NULL;
		rc = ex_query_next(q, &b, err);
		if (rc || !b)
			break;
		*rows += b->n_rows;
		if (b->n_rows == 0) {
			tarn_batch_free(b);
			continue;
		}
		/* Batches carry the table's schema, which outlives the query's. */
		tarn_schema_ref(t->schema);
		tarn_schema_unref(b->schema);
		b->schema = t->schema;
		for (int c = 0; c < b->n_cols; c++)
			tarn_array_retype(b->cols[c], &t->schema->fields[c].type);
		rc = table_append(t, b);
		if (rc)
			break;
	}
	ex_query_free(q);
	return rc;
}

static const char *qname_last(const struct sql_qname *q)
{
	return q->parts[q->n - 1].s;
}

static tarn_rc create_table(struct sql_reader *s, const struct sql_script *sc,
			    const struct sql_stmt *st, const struct ex_opts *xo, int64_t *rows,
			    struct tarn_err *err)
{
	const char *name = qname_last(&st->create.name);
	struct sql_table *old = find_table(&s->env, name);
	if ((old || view_exists(&s->env, name)) && !st->create.or_replace) {
		if (st->create.if_not_exists)
			return TARN_OK;
		return sql_err_at(err, TARN_EUSAGE, sc->text, sc->len, st->create.name.loc, "error",
				  "table '%s' already exists", name);
	}
	struct sql_table t = { 0 };
	t.name = tarn_strdup(name);
	if (!t.name)
		return TARN_ENOMEM;
	tarn_rc rc = TARN_OK;
	if (st->create.query) {
		struct ex_op *op = NULL;
		rc = sql_bind_query(st->create.query, sc->text, sc->len, xo, &s->env, &op, err);
		if (!rc) {
			rc = tarn_schema_copy(ex_op_schema(op), &t.schema);
			for (int i = 0; !rc && i < t.schema->n_fields; i++) {
				t.schema->fields[i].nullable = true;
				if (i < st->create.n_cols)
					rc = tarn_field_set_name(&t.schema->fields[i], st->create.cols[i].s,
								 st->create.cols[i].len);
			}
			if (rc)
				ex_op_free(op);
		}
		if (!rc)
			rc = drain_into(op, xo, &t, rows, err);
	} else {
		rc = tarn_schema_new(st->create.n_defs, &t.schema);
		for (int i = 0; !rc && i < st->create.n_defs; i++) {
			const struct sql_column_def *d = &st->create.defs[i];
			rc = tarn_field_set_name(&t.schema->fields[i], d->name.s, d->name.len);
			if (!rc)
				rc = sql_type_to_tarn(d->type, sc->text, sc->len, &t.schema->fields[i].type,
						      err);
			t.schema->fields[i].nullable = !d->not_null;
		}
	}
	if (rc) {
		table_clear(&t);
		return rc;
	}
	if (old) {
		table_clear(old);
		*old = t;
		return TARN_OK;
	}
	struct sql_table *v = tarn_realloc(s->env.tables, (size_t)(s->env.n_tables + 1) * sizeof *v);
	if (!v) {
		table_clear(&t);
		return TARN_ENOMEM;
	}
	s->env.tables = v;
	v[s->env.n_tables++] = t;
	return TARN_OK;
}

/* INSERT INTO t [(cols)] query: the query's columns cast to the table's
 * types by position (or into the named columns; others NULL). */
static tarn_rc insert_into(struct sql_reader *s, const struct sql_script *sc,
			   const struct sql_stmt *st, const struct ex_opts *xo, int64_t *rows,
			   struct tarn_err *err)
{
	const char *name = qname_last(&st->insert.table);
	struct sql_table *t = find_table(&s->env, name);
	if (!t)
		return sql_err_at(err, TARN_ENOTFOUND, sc->text, sc->len, st->insert.table.loc,
				  "error", "no table '%s' to insert into (CREATE TABLE it first)",
				  name);
	if (!st->insert.query)
		return sql_err_at(err, TARN_EUNSUPPORTED, sc->text, sc->len, st->loc, "error",
				  "INSERT ... DEFAULT VALUES is not supported");
	struct ex_op *op = NULL;
	TRY(sql_bind_query(st->insert.query, sc->text, sc->len, xo, &s->env, &op, err));
	const struct tarn_schema *qs = ex_op_schema(op);
	int nt = t->schema->n_fields;
	int want = st->insert.n_cols ? st->insert.n_cols : nt;
	if (qs->n_fields != want) {
		ex_op_free(op);
		return sql_err_at(err, TARN_EUSAGE, sc->text, sc->len, st->loc, "error",
				  "INSERT gives %d columns for %d", qs->n_fields, want);
	}
	struct ex_expr **e = tarn_calloc((size_t)nt + 1, sizeof *e);
	const char **names = tarn_calloc((size_t)nt + 1, sizeof *names);
	tarn_rc rc = e && names ? TARN_OK : TARN_ENOMEM;
	for (int c = 0; !rc && c < nt; c++) {
		const struct tarn_field *f = &t->schema->fields[c];
		names[c] = f->name;
		int src = st->insert.n_cols ? -1 : c;
		for (int k = 0; src < 0 && k < st->insert.n_cols; k++)
			if (strcasecmp(st->insert.cols[k].s, f->name) == 0)
				src = k;
		struct ex_expr *x = NULL;
		if (src < 0)
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
			known = known || strcasecmp(st->insert.cols[k].s, t->schema->fields[c].name) == 0;
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
		rc = drain_into(proj, xo, t, rows, err);
	return rc;
}

static tarn_rc drop_objects(struct sql_reader *s, const struct sql_script *sc,
			    const struct sql_stmt *st, struct tarn_err *err)
{
	for (int i = 0; i < st->drop.n; i++) {
		const char *name = qname_last(&st->drop.names[i]);
		bool found = false;
		if (st->drop.object == SQL_OBJECT_TABLE) {
			struct sql_table *t = find_table(&s->env, name);
			if (t) {
				table_clear(t);
				*t = s->env.tables[--s->env.n_tables];
				found = true;
			}
		} else {
			for (int k = 0; k < s->env.n_views; k++)
				if (strcasecmp(s->env.views[k].name, name) == 0) {
					tarn_free(s->env.views[k].name);
					s->env.views[k] = s->env.views[--s->env.n_views];
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

tarn_rc tarn_sql_open(const char *text, size_t len, const struct tarn_sql_opts *o,
		      struct tarn_reader **out, struct tarn_err *err)
{
	*out = NULL;
	struct sql_reader *s = tarn_calloc(1, sizeof *s);
	if (!s)
		return tarn_err_nomem(err, "query");
	s->base.ops = &sr_ops;
	s->base.format = &sql_format;
	tarn_arena_init(&s->arena, 64 << 10);
	struct ex_opts xo = { o ? o->threads : 0, o ? o->memory_limit : 0 };
	struct sql_script *sc = NULL;
	tarn_rc rc = sql_parse(text, len, &s->arena, &sc, err);
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
			rc = sql_bind_query(st->query, sc->text, sc->len, &xo, &s->env, &op, err);
			if (rc)
				break;
			struct ex_query *q = NULL;
			rc = ex_query_new(op, &xo, &q, err);
			if (rc)
				break;
			if (!last) { /* run it for its errors, drop the rows */
				struct tarn_batch *b = NULL;
				while (!(rc = ex_query_next(q, &b, err)) && b)
					tarn_batch_free(b);
				ex_query_free(q);
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
				/* The session time zone is UTC (TIMESTAMPTZ prints with a
				 * Z): setting it to UTC, or resetting it, is accepted. */
				const char *z = v && v->kind == SQL_EXPR_LITERAL &&
							v->lit.kind == SQL_LIT_STRING
						    ? v->lit.text
						    : NULL;
				static const char *const utc[] = { "UTC", "Etc/UTC", "GMT", "Etc/GMT",
								   "UCT", "Universal", "Zulu", "Z" };
				bool ok = st->set.reset;
				for (size_t k = 0; z && k < sizeof utc / sizeof *utc; k++)
					ok |= strcasecmp(z, utc[k]) == 0;
				if (!ok)
					rc = sql_err_at(err, TARN_EUNSUPPORTED, sc->text, sc->len, st->loc,
							"error",
							"tarn's session time zone is always UTC (SET "
							"TimeZone = 'UTC'); convert values with AT TIME "
							"ZONE");
			} else if (qn->n == 1 && strcasecmp(qn->parts[0].s, "file_search_path") == 0 &&
			    (st->set.reset || (v && v->kind == SQL_EXPR_LITERAL &&
					       v->lit.kind == SQL_LIT_STRING))) {
				tarn_free(s->env.search_path);
				s->env.search_path = st->set.reset ? NULL : tarn_strdup(v->lit.text);
				if (!st->set.reset && !s->env.search_path)
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
		case SQL_STMT_CREATE_VIEW:
			rc = add_view(s, sc, st, err);
			if (!rc && last)
				rc = status_batch("views", s->env.n_views, &schema, &s->once);
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
		return rc;
	}
	*out = &s->base;
	return TARN_OK;
}
