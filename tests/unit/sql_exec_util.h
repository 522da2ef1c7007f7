/*
 * sql_exec_util.h — helpers shared by the execution-core tests
 * (every tests/unit/sql_*.c that runs plans): tables from text, plans
 * over them, results as text, runs checked across thread counts and
 * allocation failures.
 *
 *   schema_of("a int64; b decimal(10,2)")     fields separated by ';'
 *   rows "1|x\n2|NULL"                         cells by '|', NULL = null
 *   run_text(plan, threads, &err)              "1|x\n2|NULL\n", or NULL
 *                                              with err set on failure
 *   run_both(build, arg, &err)                 run_text with 1 and 4 threads,
 *                                              checked equal (needs unit.h)
 *   fail_sweep(build, arg, want, max, thr)     allocation-failure sweep
 *                                              (needs unit.h)
 *
 * Header-only (static functions): each test binary includes it once.
 */
#ifndef TARN_TESTS_SQL_EXEC_UTIL_H
#define TARN_TESTS_SQL_EXEC_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "columnar/text.h"
#include "sql/exec.h"

static inline void die(const char *what, const char *detail)
{
	fprintf(stderr, "test setup failed: %s: %s\n", what, detail ? detail : "");
	abort();
}

/* "a int64; b string" */
static inline struct tarn_schema *schema_of(const char *spec)
{
	char buf[1024];
	snprintf(buf, sizeof buf, "%s", spec);
	int n = 1;
	for (const char *p = buf; *p; p++)
		n += *p == ';';
	struct tarn_schema *s;
	if (tarn_schema_new(n, &s))
		die("schema", spec);
	char *save = NULL;
	int i = 0;
	for (char *f = strtok_r(buf, ";", &save); f; f = strtok_r(NULL, ";", &save), i++) {
		while (*f == ' ')
			f++;
		char *sp = strchr(f, ' ');
		if (!sp)
			die("schema field", f);
		*sp = 0;
		struct tarn_err e = { 0 };
		if (tarn_field_set_name(&s->fields[i], f, strlen(f)) ||
		    tarn_type_parse(sp + 1, &s->fields[i].type, &e))
			die("schema type", e.msg);
		s->fields[i].nullable = true;
	}
	if (i != n)
		die("schema count", spec);
	return s;
}

static inline void append_cell(struct tarn_array *a, const char *p, size_t n)
{
	const struct tarn_type *t = a->type;
	if (n == 4 && !memcmp(p, "NULL", 4)) {
		if (tarn_array_append_null(a))
			die("append", "null");
		return;
	}
	bool ok = true;
	tarn_rc rc = TARN_OK;
	switch (t->id) {
	case TARN_T_BOOL: {
		bool b;
		ok = tarn_parse_bool(p, n, &b);
		rc = tarn_array_append_bool(a, b);
		break;
	}
	case TARN_T_INT8:
	case TARN_T_INT16:
	case TARN_T_INT32:
	case TARN_T_INT64: {
		int64_t v;
		ok = tarn_parse_int64(p, n, &v);
		rc = tarn_array_append_int(a, v);
		break;
	}
	case TARN_T_UINT8:
	case TARN_T_UINT16:
	case TARN_T_UINT32:
	case TARN_T_UINT64: {
		uint64_t v;
		ok = tarn_parse_uint64(p, n, &v);
		rc = tarn_array_append_uint(a, v);
		break;
	}
	case TARN_T_FLOAT32:
	case TARN_T_FLOAT64: {
		double v;
		ok = tarn_parse_double(p, n, &v);
		rc = tarn_array_append_double(a, v);
		break;
	}
	case TARN_T_DECIMAL128: {
		tarn_i128 v;
		ok = tarn_parse_decimal(p, n, t->precision, t->scale, &v);
		rc = tarn_array_append_decimal(a, v);
		break;
	}
	case TARN_T_DATE32: {
		int32_t d;
		ok = tarn_parse_date(p, n, &d);
		rc = tarn_array_append_int(a, d);
		break;
	}
	case TARN_T_TIMESTAMP: {
		int64_t v;
		bool off;
		ok = tarn_parse_timestamp(p, n, (enum tarn_time_unit)t->unit, &v, &off);
		rc = tarn_array_append_int(a, v);
		break;
	}
	case TARN_T_TIME64: {
		int64_t v;
		ok = tarn_parse_time(p, n, (enum tarn_time_unit)t->unit, &v);
		rc = tarn_array_append_int(a, v);
		break;
	}
	default: rc = tarn_array_append_bytes(a, p, n); break;
	}
	if (!ok || rc) {
		char cell[128];
		snprintf(cell, sizeof cell, "%.*s", (int)n, p);
		die("cell", cell);
	}
}

/* Batches of at most per_batch rows from text. */
static inline int batches_of(struct tarn_schema *s, const char *text, int per_batch,
		      struct tarn_batch ***out)
{
	int cap = 16, nb = 0;
	struct tarn_batch **v = malloc((size_t)cap * sizeof *v);
	struct tarn_batch *cur = NULL;
	const char *p = text;
	while (p && *p) {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p);
		if (!cur) {
			if (tarn_batch_new(s, per_batch, &cur))
				die("batch", NULL);
		}
		const char *c = p;
		for (int col = 0; col < s->n_fields; col++) {
			const char *bar = memchr(c, '|', (size_t)(p + len - c));
			size_t cl = bar ? (size_t)(bar - c) : (size_t)(p + len - c);
			append_cell(cur->cols[col], c, cl);
			c = bar ? bar + 1 : p + len;
		}
		if (tarn_batch_seal(cur, NULL))
			die("seal", NULL);
		if (cur->n_rows >= per_batch) {
			if (nb == cap)
				v = realloc(v, (size_t)(cap *= 2) * sizeof *v);
			v[nb++] = cur;
			cur = NULL;
		}
		p = eol ? eol + 1 : NULL;
	}
	if (cur) {
		if (nb == cap)
			v = realloc(v, (size_t)(cap *= 2) * sizeof *v);
		v[nb++] = cur;
	}
	*out = v;
	return nb;
}

/* A values operator over text rows (schema taken over by the caller's
 * reference: the op gets its own). */
static inline struct ex_op *values_of(struct tarn_schema *s, const char *text, int per_batch)
{
	struct tarn_batch **b;
	int n = batches_of(s, text, per_batch, &b);
	struct ex_op *op;
	struct tarn_err e = { 0 };
	if (ex_op_values(s, b, n, &op, &e))
		die("values", e.msg);
	free(b);
	return op;
}

/* Result rows as text; NULL on failure (err set). fail_after >= 0 makes
 * the query's allocations fail after that many (tarn_mem_fail_after);
 * formatting happens after injection is off again. */
static inline char *run_text_fail(struct ex_op *root, int threads, int64_t mem_limit,
				  int64_t fail_after, struct tarn_err *err)
{
	struct ex_query *q = NULL;
	struct ex_opts o = { threads, mem_limit };
	int nb = 0, cap = 16;
	struct tarn_batch **bs = malloc((size_t)cap * sizeof *bs);
	if (fail_after >= 0)
		tarn_mem_fail_after(fail_after);
	tarn_rc rc = ex_query_new(root, &o, &q, err);
	while (!rc) {
		struct tarn_batch *b;
		rc = ex_query_next(q, &b, err);
		if (rc || !b)
			break;
		if (nb == cap)
			bs = realloc(bs, (size_t)(cap *= 2) * sizeof *bs);
		bs[nb++] = b;
	}
	if (fail_after >= 0)
		tarn_mem_fail_after(-1);
	ex_query_free(q);
	size_t tcap = 1024, len = 0;
	char *out = malloc(tcap);
	out[0] = 0;
	for (int i = 0; i < nb; i++) {
		struct tarn_batch *b = bs[i];
		for (int64_t r = 0; !rc && r < b->n_rows; r++) {
			for (int c = 0; c < b->n_cols; c++) {
				char cell[256];
				if (tarn_batch_is_null(b, c, r))
					snprintf(cell, sizeof cell, "NULL");
				else
					tarn_batch_cell_text(b, c, r, cell, sizeof cell);
				size_t cl = strlen(cell);
				while (len + cl + 3 > tcap)
					out = realloc(out, tcap *= 2);
				if (c)
					out[len++] = '|';
				memcpy(out + len, cell, cl);
				len += cl;
			}
			out[len++] = '\n';
			out[len] = 0;
		}
		tarn_batch_free(b);
	}
	free(bs);
	if (rc) {
		free(out);
		return NULL;
	}
	return out;
}

static inline char *run_text_opts(struct ex_op *root, int threads, int64_t mem_limit,
				  struct tarn_err *err)
{
	return run_text_fail(root, threads, mem_limit, -1, err);
}

static inline char *run_text(struct ex_op *root, int threads, struct tarn_err *err)
{
	return run_text_opts(root, threads, 0, err);
}

#ifdef TARN_TESTS_UNIT_H
/* ---- checks shared by the SQL unit tests (need unit.h first) ------------------------- */

/* Runs the plan made by build() with 1 and 4 threads: the two results
 * (or the two error messages) must be identical; returns the first. */
static inline char *run_both(struct ex_op *(*build)(void *), void *arg, struct tarn_err *err)
{
	char *r1 = run_text(build(arg), 1, err);
	struct tarn_err e4 = { 0 };
	char *r4 = run_text(build(arg), 4, &e4);
	if (!r1 || !r4) {
		CHECK(!r1 && !r4);
		if (r1 == NULL && r4 == NULL)
			CHECK_STR(err->msg, e4.msg);
	} else {
		CHECK_STR(r1, r4);
	}
	free(r4);
	return r1;
}

/* Allocation-failure sweep: runs the plan made by build(arg) with its
 * n-th allocation failing, n = 0, 1, ... below max_n, on 1 and `threads`
 * threads in turn. Every failing run must end with an error (ASan checks
 * that nothing leaks); the first run that succeeds must give want, and
 * ends the sweep. Returns how many runs failed. */
static inline int fail_sweep(struct ex_op *(*build)(void *), void *arg, const char *want,
			     int64_t max_n, int threads)
{
	int failures = 0;
	for (int64_t n = 0; n < max_n && want; n++) {
		struct tarn_err e = { 0 };
		char *r = run_text_fail(build(arg), n % 2 ? threads : 1, 0, n, &e);
		if (r) {
			CHECK_STR(r, want);
			free(r);
			break;
		}
		CHECK(e.rc != TARN_OK);
		failures++;
	}
	return failures;
}
#endif

/* ---- expression builders (abort on construction errors) ------------------------------- */

static inline struct ex_expr *must(tarn_rc rc, struct ex_expr **e, const struct tarn_err *err)
{
	if (rc)
		die("expression", err->msg);
	return *e;
}

static inline struct ex_expr *col(const struct tarn_schema *s, const char *name)
{
	int i = tarn_schema_find(s, name);
	if (i < 0)
		die("column", name);
	struct ex_expr *e;
	if (ex_expr_column(i, &s->fields[i].type, name, &e))
		die("column", name);
	return e;
}

static inline struct ex_expr *lit(const char *type, const char *text)
{
	struct tarn_type t;
	struct tarn_err e = { 0 };
	if (tarn_type_parse(type, &t, &e))
		die("type", e.msg);
	struct ex_expr *x;
	tarn_rc rc = ex_expr_const_text(&t, text, strlen(text), &x, &e);
	tarn_type_clear(&t);
	return must(rc, &x, &e);
}

static inline struct ex_expr *i64(int64_t v)
{
	struct ex_expr *x;
	if (ex_expr_const_int(TARN_T_INT64, v, &x))
		die("const", NULL);
	return x;
}

static inline struct ex_expr *arith(enum ex_arith op, struct ex_expr *l, struct ex_expr *r)
{
	struct tarn_err e = { 0 };
	struct ex_expr *x;
	return must(ex_expr_arith(op, l, r, &x, &e), &x, &e);
}

static inline struct ex_expr *cmp(enum ex_cmp op, struct ex_expr *l, struct ex_expr *r)
{
	struct tarn_err e = { 0 };
	struct ex_expr *x;
	return must(ex_expr_cmp(op, l, r, &x, &e), &x, &e);
}

static inline struct ex_expr *and2(struct ex_expr *a, struct ex_expr *b)
{
	struct tarn_err e = { 0 };
	struct ex_expr *v[2] = { a, b }, *x;
	return must(ex_expr_and(v, 2, &x, &e), &x, &e);
}

static inline struct ex_expr *or2(struct ex_expr *a, struct ex_expr *b)
{
	struct tarn_err e = { 0 };
	struct ex_expr *v[2] = { a, b }, *x;
	return must(ex_expr_or(v, 2, &x, &e), &x, &e);
}

static inline struct ex_expr *fn(const char *name, int n, ...);

#include <stdarg.h>
static inline struct ex_expr *fn(const char *name, int n, ...)
{
	struct ex_expr *args[16];
	va_list ap;
	va_start(ap, n);
	for (int i = 0; i < n; i++)
		args[i] = va_arg(ap, struct ex_expr *);
	va_end(ap);
	struct tarn_err e = { 0 };
	struct ex_expr *x;
	return must(ex_expr_func(name, args, n, &x, &e), &x, &e);
}

/* SELECT exprs FROM values(rows): result text. */
static inline char *select_text(struct tarn_schema *s, const char *rows, struct ex_expr **exprs, int n,
			 int threads, struct tarn_err *err)
{
	struct ex_op *v = values_of(s, rows, 2), *p;
	if (ex_op_project(v, exprs, NULL, n, &p, err))
		return NULL;
	return run_text(p, threads, err);
}

static inline char *select1(struct tarn_schema *s, const char *rows, struct ex_expr *e,
		     struct tarn_err *err)
{
	return select_text(s, rows, &e, 1, 1, err);
}


/* ---- sessions (tarn_sql_session_*) ---------------------------------------------------------- */

/* Rows of the last statement of sql as "a|b\n" lines (NULL cells as
 * "NULL"); NULL on error (the message in err). The caller frees. */
static inline char *session_rows(struct tarn_sql_session *s, const char *sql, struct tarn_err *err)
{
	tarn_err_clear(err);
	struct tarn_reader *r = NULL;
	if (tarn_sql_session_run(s, sql, strlen(sql), &r, err))
		return NULL;
	size_t cap = 1 << 16, n = 0;
	char *out = calloc(1, cap);
	for (;;) {
		struct tarn_batch *b = NULL;
		if (tarn_reader_next(r, &b, err)) {
			free(out);
			out = NULL;
			break;
		}
		if (!b)
			break;
		for (int64_t i = 0; i < tarn_batch_num_rows(b); i++)
			for (int c = 0; c < tarn_batch_num_cols(b); c++) {
				char cell[1024];
				size_t k = tarn_batch_cell_text(b, c, i, cell, sizeof cell);
				if (tarn_batch_is_null(b, c, i))
					k = (size_t)snprintf(cell, sizeof cell, "NULL");
				if (n + k + 2 < cap) {
					memcpy(out + n, cell, k);
					n += k;
					out[n++] = c + 1 < tarn_batch_num_cols(b) ? '|' : '\n';
				}
			}
		tarn_batch_free(b);
	}
	tarn_reader_close(r);
	return out;
}

/* A session with `threads` workers keeping its lake tables under home. */
static inline struct tarn_sql_session *session_at(const char *home, int threads)
{
	struct tarn_sql_opts o = { 0 };
	o.threads = threads;
	o.home = home;
	struct tarn_sql_session *s = NULL;
	if (tarn_sql_session_new(&o, &s))
		abort();
	return s;
}

#endif
