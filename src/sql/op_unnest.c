/*
 * op_unnest.c — UNNEST as a streaming operator.
 *
 * The operator evaluates k list expressions over each input batch and
 * emits, for every selected input row, as many rows as its longest list
 * (none when every list is NULL or empty): the input columns repeated, then
 * one column per list holding its items in order, NULL-padded where a list
 * is shorter (DuckDB's zipping of several unnests in one SELECT list).
 *
 * Per batch it builds index vectors — the input row of every output row and
 * the child row (item) of every list column — and copies with ex_array_gather,
 * cutting the output into batches of at most EX_BATCH_MAX rows. Nothing is
 * held between batches, so no memory is reserved; output keeps input order
 * (the driver merges morsels in order).
 */
#include <string.h>

#include "base/mem.h"
#include "sql/exec.h"

struct unnest_op {
	struct ex_op base;
	struct ex_expr **exprs;
	int n;
};

struct unnest_local {
	struct ex_eval **ev;
	int n;
	uint32_t *rows;  /* output row -> input row */
	uint32_t **item; /* per list: output row -> child row (EX_NULL_ROW: pad) */
	int64_t cap;
};

static void unnest_local_free(struct ex_op *op, void *local)
{
	struct unnest_local *l = local;
	if (!l)
		return;
	for (int i = 0; i < l->n; i++) {
		if (l->ev)
			ex_eval_free(l->ev[i]);
		if (l->item)
			tarn_free(l->item[i]);
	}
	tarn_free(l->ev);
	tarn_free(l->item);
	tarn_free(l->rows);
	tarn_free(l);
}

static tarn_rc unnest_local_new(struct ex_op *op, void **out)
{
	struct unnest_op *u = (struct unnest_op *)op;
	struct unnest_local *l = tarn_calloc(1, sizeof *l);
	if (!l)
		return TARN_ENOMEM;
	l->n = u->n;
	l->ev = tarn_calloc((size_t)u->n, sizeof *l->ev);
	l->item = tarn_calloc((size_t)u->n, sizeof *l->item);
	if (!l->ev || !l->item) {
		unnest_local_free(op, l);
		return TARN_ENOMEM;
	}
	for (int i = 0; i < u->n; i++)
		if (ex_eval_new(u->exprs[i], &l->ev[i])) {
			unnest_local_free(op, l);
			return TARN_ENOMEM;
		}
	*out = l;
	return TARN_OK;
}

static tarn_rc grow(struct unnest_local *l, int64_t need)
{
	if (need <= l->cap)
		return TARN_OK;
	int64_t cap = l->cap ? l->cap : 1024;
	while (cap < need)
		cap *= 2;
	uint32_t *r = tarn_realloc(l->rows, (size_t)cap * sizeof *r);
	if (!r)
		return TARN_ENOMEM;
	l->rows = r;
	for (int i = 0; i < l->n; i++) {
		uint32_t *v = tarn_realloc(l->item[i], (size_t)cap * sizeof *v);
		if (!v)
			return TARN_ENOMEM;
		l->item[i] = v;
	}
	l->cap = cap;
	return TARN_OK;
}

/* One output batch: output rows [from, from + m). */
static tarn_rc emit_part(struct ex_op *op, struct unnest_local *l, const struct ex_batch *in,
			 const struct ex_vec *lists, int64_t from, int64_t m, struct ex_emit *out,
			 struct tarn_err *err)
{
	const struct tarn_schema *s = op->schema;
	int nin = in->n_cols;
	struct ex_batch *b;
	if (ex_batch_new(s->n_fields, &b))
		return tarn_err_nomem(err, "unnest");
	b->n_rows = b->n_sel = m;
	b->seq = in->seq;
	tarn_rc rc = TARN_OK;
	for (int c = 0; c < s->n_fields && !rc; c++) {
		struct tarn_array *a;
		const struct tarn_type *t = &s->fields[c].type;
		if (tarn_array_new(t, m, &a)) {
			rc = TARN_ENOMEM;
			break;
		}
		if (c < nin) {
			rc = ex_array_gather(a, in->cols[c], l->rows + from, 0, m);
		} else {
			const struct tarn_array *lst = lists[c - nin].a;
			if (lst->type->id == TARN_T_NULL)
				for (int64_t k = 0; k < m && !rc; k++)
					rc = tarn_array_append_null(a);
			else
				rc = ex_array_gather(a, lst->children[0], l->item[c - nin] + from, 0,
						     m);
		}
		if (!rc) {
			ex_array_finish(a);
			tarn_array_retype(a, t);
			rc = ex_batch_hold_array(b, a);
		} else {
			tarn_array_free(a);
		}
		if (!rc)
			b->cols[c] = a;
	}
	if (rc) {
		ex_batch_free(b);
		return rc == TARN_ENOMEM ? tarn_err_nomem(err, "unnest")
					 : tarn_err_set(err, rc, "unnest: output too large");
	}
	return ex_emit_push(out, b);
}

static tarn_rc unnest_stream(struct ex_op *op, void *local, struct ex_batch *in,
			     struct ex_emit *out, struct tarn_err *err)
{
	struct unnest_op *u = (struct unnest_op *)op;
	struct unnest_local *l = local;
	struct ex_vec lists[64];
	tarn_rc rc = TARN_OK;
	for (int i = 0; i < u->n && !rc; i++)
		rc = ex_eval_run(l->ev[i], u->exprs[i], in, in->sel, in->n_sel, &lists[i], err);
	int64_t total = 0;
	for (int64_t k = 0; k < in->n_sel && !rc; k++) {
		int64_t i = in->sel ? in->sel[k] : k;
		int64_t most = 0;
		for (int j = 0; j < u->n; j++) {
			const struct ex_vec *v = &lists[j];
			int64_t r = v->is_const ? 0 : i;
			if (v->a->type->id == TARN_T_NULL || ex_is_null(v->a, r))
				continue;
			int64_t len = v->a->offsets[r + 1] - v->a->offsets[r];
			most = len > most ? len : most;
		}
		if (grow(l, total + most)) {
			rc = tarn_err_nomem(err, "unnest");
			break;
		}
		for (int64_t p = 0; p < most; p++)
			l->rows[total + p] = (uint32_t)i;
		for (int j = 0; j < u->n; j++) {
			const struct ex_vec *v = &lists[j];
			int64_t r = v->is_const ? 0 : i, len = 0, o = 0;
			if (v->a->type->id != TARN_T_NULL && !ex_is_null(v->a, r)) {
				o = v->a->offsets[r];
				len = v->a->offsets[r + 1] - o;
			}
			uint32_t *it = l->item[j] + total;
			for (int64_t p = 0; p < most; p++)
				it[p] = p < len ? (uint32_t)(o + p) : EX_NULL_ROW;
		}
		total += most;
	}
	for (int64_t from = 0; from < total && !rc; from += EX_BATCH_MAX) {
		int64_t m = total - from < EX_BATCH_MAX ? total - from : EX_BATCH_MAX;
		rc = emit_part(op, l, in, lists, from, m, out, err);
	}
	ex_batch_free(in);
	return rc;
}

static void unnest_free(struct ex_op *op)
{
	struct unnest_op *u = (struct unnest_op *)op;
	for (int i = 0; i < u->n; i++)
		ex_expr_free(u->exprs[i]);
	tarn_free(u->exprs);
	tarn_free(u);
}

static const struct ex_op_vt unnest_vt = {
	.name = "unnest",
	.local_new = unnest_local_new,
	.local_free = unnest_local_free,
	.stream = unnest_stream,
	.free = unnest_free,
};

tarn_rc ex_op_unnest(struct ex_op *child, struct ex_expr **exprs, const char *const *names, int n,
		     struct ex_op **out, struct tarn_err *err)
{
	*out = NULL;
	tarn_rc rc = TARN_OK;
	if (n < 1 || n > 64)
		rc = tarn_err_set(err, TARN_EUSAGE, "unnest: 1 to 64 lists in one SELECT, not %d", n);
	for (int i = 0; i < n && !rc; i++)
		if (exprs[i]->type.id != TARN_T_LIST && exprs[i]->type.id != TARN_T_NULL)
			rc = tarn_err_set(err, TARN_EUSAGE, "unnest needs a list, not %s",
					  tarn_type_id_name(exprs[i]->type.id));
	struct unnest_op *u = rc ? NULL : tarn_calloc(1, sizeof *u);
	const struct tarn_schema *cs = ex_op_schema(child);
	int nf = cs->n_fields + n;
	const struct tarn_type **types = tarn_calloc((size_t)nf, sizeof *types);
	const char **nm = tarn_calloc((size_t)nf, sizeof *nm);
	struct tarn_type null_t;
	tarn_type_init(&null_t, TARN_T_NULL);
	if (!rc && (!u || !types || !nm || !(u->exprs = tarn_calloc((size_t)n, sizeof *u->exprs))))
		rc = tarn_err_nomem(err, "unnest");
	if (!rc) {
		for (int i = 0; i < cs->n_fields; i++) {
			types[i] = &cs->fields[i].type;
			nm[i] = cs->fields[i].name;
		}
		for (int i = 0; i < n; i++) {
			types[cs->n_fields + i] = exprs[i]->type.id == TARN_T_LIST
							  ? &exprs[i]->type.children[0].type
							  : &null_t;
			nm[cs->n_fields + i] = names && names[i] ? names[i] : "unnest";
		}
		if (ex_schema_make(nf, nm, types, &u->base.schema))
			rc = tarn_err_nomem(err, "unnest");
	}
	tarn_free(types);
	tarn_free(nm);
	if (rc) {
		for (int i = 0; i < n; i++)
			ex_expr_free(exprs[i]);
		if (u) {
			tarn_free(u->exprs);
			tarn_free(u);
		}
		ex_op_free(child);
		return rc;
	}
	u->base.vt = &unnest_vt;
	u->base.child[0] = child;
	u->n = n;
	for (int i = 0; i < n; i++) {
		u->exprs[i] = exprs[i];
		ex_expr_prepare(exprs[i]);
	}
	*out = &u->base;
	return TARN_OK;
}
