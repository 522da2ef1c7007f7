/*
 * op_basic.c — the simple operators: in-memory batches (a source), filter
 * and projection (streaming, any thread), and LIMIT/OFFSET (ordered: it
 * runs on the driver in morsel order).
 *
 * A filter narrows the batch's selection vector and copies nothing. A
 * projection passes column references through (the output batch takes the
 * input's holders) and computes other expressions into new arrays.
 *
 * Relies on exec.h (operator contract) and expr.h (evaluation). Each
 * worker task has its own evaluation states (local_new).
 */
#include <string.h>

#include "base/mem.h"
#include "sql/exec.h"

/* ---- values ------------------------------------------------------------------------------- */

struct values_op {
	struct ex_op base;
	struct tarn_batch **b;
	int n, pos;
};

static tarn_rc values_next(struct ex_op *op, struct ex_batch **out, struct tarn_err *err)
{
	struct values_op *v = (struct values_op *)op;
	*out = NULL;
	while (v->pos < v->n && v->b[v->pos]->n_rows == 0)
		v->pos++;
	if (v->pos >= v->n)
		return TARN_OK;
	struct tarn_batch *tb = v->b[v->pos++];
	struct ex_batch *b;
	if (ex_batch_new(tb->n_cols, &b))
		return tarn_err_nomem(err, "batch");
	for (int i = 0; i < tb->n_cols; i++)
		b->cols[i] = tb->cols[i];
	b->n_rows = b->n_sel = tb->n_rows;
	*out = b;
	return TARN_OK;
}

static void values_free(struct ex_op *op)
{
	struct values_op *v = (struct values_op *)op;
	for (int i = 0; i < v->n; i++)
		tarn_batch_free(v->b[i]);
	tarn_free(v->b);
	tarn_free(v);
}

static tarn_rc values_describe(const struct ex_op *op, struct tarn_buf *out)
{
	const struct values_op *v = (const struct values_op *)op;
	int64_t rows = 0;
	for (int i = 0; i < v->n; i++)
		rows += v->b[i]->n_rows;
	return tarn_buf_printf(out, "%lld rows in memory", (long long)rows);
}

static const struct ex_op_vt values_vt = {
	.name = "values",
	.next = values_next,
	.free = values_free,
	.describe = values_describe,
};

tarn_rc ex_op_values(struct tarn_schema *s, struct tarn_batch **batches, int n,
		     struct ex_op **out, struct tarn_err *err)
{
	*out = NULL;
	struct values_op *v = tarn_calloc(1, sizeof *v);
	if (v)
		v->b = tarn_calloc((size_t)(n > 0 ? n : 1), sizeof *v->b);
	if (!v || !v->b) {
		tarn_free(v);
		for (int i = 0; i < n; i++)
			tarn_batch_free(batches[i]);
		return tarn_err_nomem(err, "values");
	}
	v->base.vt = &values_vt;
	for (int i = 0; i < n; i++) {
		v->b[i] = batches[i];
		if (batches[i]->n_rows > EX_BATCH_MAX || batches[i]->n_cols != s->n_fields) {
			v->n = i + 1;
			ex_op_free(&v->base);
			for (int k = i + 1; k < n; k++)
				tarn_batch_free(batches[k]);
			return tarn_err_set(err, TARN_EUSAGE,
					    "values: batch %d has %lld rows and %d columns (at most "
					    "%d rows, %d columns)",
					    i, (long long)batches[i]->n_rows, batches[i]->n_cols,
					    EX_BATCH_MAX, s->n_fields);
		}
	}
	v->n = n;
	tarn_schema_ref(s);
	v->base.schema = s;
	*out = &v->base;
	return TARN_OK;
}

/* ---- filter ------------------------------------------------------------------------------ */

struct filter_op {
	struct ex_op base;
	struct ex_expr *pred;
};

static tarn_rc eval_local_new(struct ex_expr *e, void **out)
{
	struct ex_eval *ev;
	TRY(ex_eval_new(e, &ev));
	*out = ev;
	return TARN_OK;
}

static tarn_rc filter_local_new(struct ex_op *op, void **out)
{
	return eval_local_new(((struct filter_op *)op)->pred, out);
}

static void eval_local_free(struct ex_op *op, void *local)
{
	ex_eval_free(local);
}

static tarn_rc filter_stream(struct ex_op *op, void *local, struct ex_batch *in,
			     struct ex_emit *out, struct tarn_err *err)
{
	struct filter_op *f = (struct filter_op *)op;
	if (!in->sel) {
		in->sel = tarn_malloc((size_t)(in->n_rows > 0 ? in->n_rows : 1) * sizeof *in->sel);
		if (!in->sel) {
			ex_batch_free(in);
			return tarn_err_nomem(err, "filter");
		}
		tarn_rc rc = ex_eval_select(local, f->pred, in, NULL, in->n_rows, in->sel, &in->n_sel,
					    err);
		if (rc) {
			ex_batch_free(in);
			return rc;
		}
	} else {
		tarn_rc rc = ex_eval_select(local, f->pred, in, in->sel, in->n_sel, in->sel,
					    &in->n_sel, err);
		if (rc) {
			ex_batch_free(in);
			return rc;
		}
	}
	if (in->n_sel == 0) {
		ex_batch_free(in);
		return TARN_OK;
	}
	return ex_emit_push(out, in);
}

static void filter_free(struct ex_op *op)
{
	ex_expr_free(((struct filter_op *)op)->pred);
	tarn_free(op);
}

static tarn_rc filter_describe(const struct ex_op *op, struct tarn_buf *out)
{
	return ex_expr_describe(((const struct filter_op *)op)->pred, op->child[0]->schema, out);
}

static const struct ex_op_vt filter_vt = {
	.name = "filter",
	.local_new = filter_local_new,
	.local_free = eval_local_free,
	.stream = filter_stream,
	.free = filter_free,
	.describe = filter_describe,
};

tarn_rc ex_op_filter(struct ex_op *child, struct ex_expr *pred, struct ex_op **out,
		     struct tarn_err *err)
{
	*out = NULL;
	if (pred->type.id != TARN_T_BOOL && pred->type.id != TARN_T_NULL) {
		ex_op_free(child);
		ex_expr_free(pred);
		return tarn_err_set(err, TARN_EUSAGE, "filter: the condition is not boolean");
	}
	struct filter_op *f = tarn_calloc(1, sizeof *f);
	if (!f) {
		ex_op_free(child);
		ex_expr_free(pred);
		return tarn_err_nomem(err, "filter");
	}
	f->base.vt = &filter_vt;
	f->base.child[0] = child;
	f->pred = pred;
	ex_expr_prepare(pred);
	tarn_schema_ref(child->schema);
	f->base.schema = child->schema;
	*out = &f->base;
	return TARN_OK;
}

/* ---- project ---------------------------------------------------------------------------- */

struct project_op {
	struct ex_op base;
	struct ex_expr **exprs;
	int n;
};

void ex_eval_set_free(struct ex_op *op, void *local)
{
	(void)op;
	struct ex_eval_set *l = local;
	if (!l)
		return;
	for (int i = 0; i < l->n; i++)
		ex_eval_free(l->ev[i]);
	tarn_free(l->ev);
	tarn_free(l);
}

tarn_rc ex_eval_set_new(struct ex_expr *const *exprs, int n, bool skip_columns, void **out)
{
	struct ex_eval_set *l = tarn_calloc(1, sizeof *l);
	if (!l)
		return TARN_ENOMEM;
	l->ev = tarn_calloc((size_t)n + 1, sizeof *l->ev);
	if (!l->ev) {
		tarn_free(l);
		return TARN_ENOMEM;
	}
	l->n = n;
	for (int i = 0; i < n; i++)
		if (!(skip_columns && exprs[i]->kind == EX_E_COLUMN) &&
		    ex_eval_new(exprs[i], &l->ev[i])) {
			ex_eval_set_free(NULL, l);
			return TARN_ENOMEM;
		}
	*out = l;
	return TARN_OK;
}

static tarn_rc project_local_new(struct ex_op *op, void **out)
{
	struct project_op *p = (struct project_op *)op;
	return ex_eval_set_new(p->exprs, p->n, true, out);
}

static tarn_rc project_stream(struct ex_op *op, void *local, struct ex_batch *in,
			      struct ex_emit *out, struct tarn_err *err)
{
	struct project_op *p = (struct project_op *)op;
	struct ex_eval_set *l = local;
	struct ex_batch *b;
	if (ex_batch_new(p->n, &b)) {
		ex_batch_free(in);
		return tarn_err_nomem(err, "project");
	}
	b->n_rows = in->n_rows;
	b->n_sel = in->n_sel;
	b->seq = in->seq;
	tarn_rc rc = TARN_OK;
	for (int i = 0; i < p->n && !rc; i++) {
		const struct ex_expr *e = p->exprs[i];
		if (e->kind == EX_E_COLUMN) {
			b->cols[i] = in->cols[e->col];
			continue;
		}
		struct tarn_array *a;
		rc = ex_eval_array(l->ev[i], e, in, in->sel, in->n_sel, &a, err);
		if (!rc) {
			/* the batch's arrays point at the schema's types (which
			 * outlive the batch), not the expression's */
			a->type = &op->schema->fields[i].type;
			rc = ex_batch_hold_array(b, a);
		}
		if (!rc)
			b->cols[i] = a;
	}
	if (!rc)
		rc = ex_batch_take_holders(b, in);
	if (rc) {
		ex_batch_free(in);
		ex_batch_free(b);
		return rc == TARN_ENOMEM ? tarn_err_nomem(err, "project") : rc;
	}
	b->sel = in->sel;
	in->sel = NULL;
	ex_batch_free(in);
	return ex_emit_push(out, b);
}

static void project_free(struct ex_op *op)
{
	struct project_op *p = (struct project_op *)op;
	for (int i = 0; i < p->n; i++)
		ex_expr_free(p->exprs[i]);
	tarn_free(p->exprs);
	tarn_free(p);
}

static tarn_rc project_describe(const struct ex_op *op, struct tarn_buf *out)
{
	const struct project_op *p = (const struct project_op *)op;
	for (int i = 0; i < p->n; i++) {
		TRY(tarn_buf_printf(out, "%s", i ? ", " : ""));
		size_t at = out->len;
		TRY(ex_expr_describe(p->exprs[i], op->child[0]->schema, out));
		const char *nm = op->schema->fields[i].name;
		if (out->len - at != strlen(nm) || memcmp(out->data + at, nm, out->len - at) != 0)
			TRY(tarn_buf_printf(out, " AS %s", nm));
	}
	return TARN_OK;
}

static const struct ex_op_vt project_vt = {
	.name = "project",
	.local_new = project_local_new,
	.local_free = ex_eval_set_free,
	.stream = project_stream,
	.free = project_free,
	.describe = project_describe,
};

tarn_rc ex_op_project(struct ex_op *child, struct ex_expr **exprs, const char *const *names, int n,
		      struct ex_op **out, struct tarn_err *err)
{
	*out = NULL;
	struct project_op *p = tarn_calloc(1, sizeof *p);
	const struct tarn_type **types = tarn_calloc((size_t)(n ? n : 1), sizeof *types);
	char **tnames = tarn_calloc((size_t)(n ? n : 1), sizeof *tnames);
	tarn_rc rc = TARN_OK;
	if (!p || !types || !tnames || !(p->exprs = tarn_calloc((size_t)(n ? n : 1), sizeof *p->exprs))) {
		rc = tarn_err_nomem(err, "project");
		if (p)
			tarn_free(p->exprs);
		tarn_free(p);
		p = NULL;
		for (int i = 0; i < n; i++)
			ex_expr_free(exprs[i]);
		ex_op_free(child);
		goto out;
	}
	p->base.vt = &project_vt;
	p->base.child[0] = child;
	p->n = n;
	for (int i = 0; i < n; i++) {
		p->exprs[i] = exprs[i];
		ex_expr_prepare(exprs[i]);
		types[i] = &exprs[i]->type;
		if (names && names[i])
			continue;
		struct tarn_buf t;
		tarn_buf_init(&t);
		if (!rc && !(rc = ex_expr_text(exprs[i], &t)) && !(rc = tarn_buf_cstr(&t)))
			tnames[i] = tarn_buf_steal(&t);
		tarn_buf_free(&t);
	}
	for (int i = 0; i < n && !rc; i++)
		if (exprs[i]->kind == EX_E_COLUMN &&
		    (exprs[i]->col < 0 || exprs[i]->col >= child->schema->n_fields))
			rc = tarn_err_set(err, TARN_EUSAGE, "project: column #%d out of range",
					  exprs[i]->col);
	if (!rc) {
		const char **nm = tarn_calloc((size_t)(n ? n : 1), sizeof *nm);
		if (!nm) {
			rc = TARN_ENOMEM;
		} else {
			for (int i = 0; i < n; i++)
				nm[i] = names && names[i] ? names[i] : tnames[i];
			rc = ex_schema_make(n, nm, types, &p->base.schema);
			tarn_free(nm);
		}
	}
	if (rc) {
		ex_op_free(&p->base);
		p = NULL;
		if (rc == TARN_ENOMEM)
			tarn_err_nomem(err, "project");
	}
out:
	for (int i = 0; tnames && i < n; i++)
		tarn_free(tnames[i]);
	tarn_free(tnames);
	tarn_free(types);
	if (p)
		*out = &p->base;
	return rc;
}

/* ---- limit ------------------------------------------------------------------------------- */

struct limit_op {
	struct ex_op base;
	int64_t limit, offset;   /* as given */
	int64_t skip_left, take_left; /* state (driver thread) */
};

static tarn_rc limit_stream(struct ex_op *op, void *local, struct ex_batch *in,
			    struct ex_emit *out, struct tarn_err *err)
{
	struct limit_op *l = (struct limit_op *)op;
	int64_t n = in->n_sel, from = 0;
	if (l->skip_left > 0) {
		from = l->skip_left < n ? l->skip_left : n;
		l->skip_left -= from;
	}
	int64_t keep = n - from;
	if (l->take_left >= 0 && keep > l->take_left)
		keep = l->take_left;
	if (l->take_left >= 0)
		l->take_left -= keep;
	if (keep <= 0) {
		ex_batch_free(in);
		return TARN_OK;
	}
	if (from == 0 && keep == n)
		return ex_emit_push(out, in);
	if (!in->sel) {
		in->sel = tarn_malloc((size_t)keep * sizeof *in->sel);
		if (!in->sel) {
			ex_batch_free(in);
			return tarn_err_nomem(err, "limit");
		}
		for (int64_t k = 0; k < keep; k++)
			in->sel[k] = (uint32_t)(from + k);
	} else {
		memmove(in->sel, in->sel + from, (size_t)keep * sizeof *in->sel);
	}
	in->n_sel = keep;
	return ex_emit_push(out, in);
}

static bool limit_done(struct ex_op *op)
{
	struct limit_op *l = (struct limit_op *)op;
	return l->take_left == 0;
}

static void limit_free(struct ex_op *op)
{
	tarn_free(op);
}

static tarn_rc limit_describe(const struct ex_op *op, struct tarn_buf *out)
{
	const struct limit_op *l = (const struct limit_op *)op;
	return tarn_buf_printf(out, "%lld offset %lld", (long long)l->limit, (long long)l->offset);
}

static const struct ex_op_vt limit_vt = {
	.name = "limit",
	.stream = limit_stream,
	.ordered = true,
	.done = limit_done,
	.free = limit_free,
	.describe = limit_describe,
};

tarn_rc ex_op_limit(struct ex_op *child, int64_t limit, int64_t offset, struct ex_op **out,
		    struct tarn_err *err)
{
	*out = NULL;
	struct limit_op *l = tarn_calloc(1, sizeof *l);
	if (!l) {
		ex_op_free(child);
		return tarn_err_nomem(err, "limit");
	}
	l->base.vt = &limit_vt;
	l->base.child[0] = child;
	l->limit = limit;
	l->offset = offset < 0 ? 0 : offset;
	l->skip_left = l->offset;
	l->take_left = limit < 0 ? -1 : limit;
	tarn_schema_ref(child->schema);
	l->base.schema = child->schema;
	*out = &l->base;
	return TARN_OK;
}
