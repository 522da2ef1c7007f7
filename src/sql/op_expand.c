/*
 * op_expand.c — the grouping-sets expansion under a hash aggregate.
 *
 * GROUP BY ROLLUP / CUBE / GROUPING SETS is planned as one aggregate over
 * an expanded input, so the input is read once: every input batch comes
 * out once per grouping set s, carrying the input columns, every grouping
 * key (evaluated where set s has it, NULL where it does not) and the set's
 * number s. The aggregate then groups by (keys..., s): rows of different
 * sets never meet, even when two sets are equal (GROUPING SETS ((a), (a))
 * gives its rows twice, as the standard says), and GROUPING() is a
 * function of s.
 *
 * The copies for sets 0..n-2 are compacted from the input (arrays are
 * owned by one batch each, so no copy outlives what it points into); the
 * last set's copy takes over the input batch.
 *
 * Relies on exec.h (operator contract) and expr.h (evaluation). Streaming,
 * any thread: each task has its own evaluation states.
 */
#include <string.h>

#include "base/mem.h"
#include "sql/exec.h"

struct expand_op {
	struct ex_op base;
	int n_keys, n_sets, n_in;
	struct ex_expr **keys;
	struct ex_expr **nulls; /* per key: a NULL constant of its type */
	struct ex_expr **sets;  /* per set: the INTEGER constant s */
	uint64_t *masks;
};

static tarn_rc expand_local_new(struct ex_op *op, void **out)
{
	struct expand_op *x = (struct expand_op *)op;
	return ex_eval_set_new(x->keys, x->n_keys, false, out);
}

/* A new array of n copies of constant c, typed by field col. */
static tarn_rc const_column(struct expand_op *x, int col, const struct ex_expr *c, int64_t n,
			    struct ex_batch *b)
{
	struct tarn_array *a;
	TRY(tarn_array_new(&x->base.schema->fields[col].type, n, &a));
	tarn_rc rc = ex_batch_hold_array(b, a);
	if (!rc)
		rc = ex_array_repeat(a, c->value, 0, n);
	if (!rc)
		b->cols[col] = a;
	return rc;
}

/* Copy s of base (whose selected rows it keeps). */
static tarn_rc expand_one(struct expand_op *x, struct ex_eval_set *l, struct ex_batch *base,
			  int s, struct ex_batch **out, struct tarn_err *err)
{
	*out = NULL;
	int nc = x->base.schema->n_fields;
	struct ex_batch *b;
	if (ex_batch_new(nc, &b))
		return tarn_err_nomem(err, "grouping sets");
	b->n_rows = base->n_rows;
	b->n_sel = base->n_sel;
	b->seq = base->seq;
	tarn_rc rc = TARN_OK;
	for (int i = 0; i < x->n_in; i++)
		b->cols[i] = base->cols[i];
	for (int k = 0; k < x->n_keys && !rc; k++) {
		int col = x->n_in + k;
		if (!((x->masks[s] >> k) & 1)) {
			rc = const_column(x, col, x->nulls[k], base->n_rows, b);
			continue;
		}
		struct tarn_array *a;
		rc = ex_eval_array(l->ev[k], x->keys[k], base, base->sel, base->n_sel, &a, err);
		if (!rc) {
			a->type = &x->base.schema->fields[col].type;
			rc = ex_batch_hold_array(b, a);
		}
		if (!rc)
			b->cols[col] = a;
	}
	if (!rc)
		rc = const_column(x, nc - 1, x->sets[s], base->n_rows, b);
	if (!rc && base->sel) {
		b->sel = tarn_malloc((size_t)(base->n_sel ? base->n_sel : 1) * sizeof *b->sel);
		if (!b->sel)
			rc = TARN_ENOMEM;
		else
			memcpy(b->sel, base->sel, (size_t)base->n_sel * sizeof *b->sel);
	}
	if (!rc)
		rc = ex_batch_take_holders(b, base);
	if (rc) {
		ex_batch_free(b);
		return rc == TARN_ENOMEM ? tarn_err_nomem(err, "grouping sets") : rc;
	}
	*out = b;
	return TARN_OK;
}

static tarn_rc expand_stream(struct ex_op *op, void *local, struct ex_batch *in,
			     struct ex_emit *out, struct tarn_err *err)
{
	struct expand_op *x = (struct expand_op *)op;
	tarn_rc rc = TARN_OK;
	for (int s = 0; s < x->n_sets && !rc; s++) {
		struct ex_batch *base = in;
		if (s < x->n_sets - 1)
			rc = ex_batch_compact(in, op->child[0]->schema, &base, err);
		struct ex_batch *b = NULL;
		if (!rc)
			rc = expand_one(x, local, base, s, &b, err);
		if (base != in)
			ex_batch_free(base);
		if (!rc)
			rc = ex_emit_push(out, b);
	}
	ex_batch_free(in);
	return rc;
}

static void expand_free(struct ex_op *op)
{
	struct expand_op *x = (struct expand_op *)op;
	for (int i = 0; i < x->n_keys; i++) {
		ex_expr_free(x->keys[i]);
		if (x->nulls)
			ex_expr_free(x->nulls[i]);
	}
	for (int i = 0; x->sets && i < x->n_sets; i++)
		ex_expr_free(x->sets[i]);
	tarn_free(x->keys);
	tarn_free(x->nulls);
	tarn_free(x->sets);
	tarn_free(x->masks);
	tarn_free(x);
}

static const struct ex_op_vt expand_vt = {
	.name = "grouping sets expand",
	.local_new = expand_local_new,
	.local_free = ex_eval_set_free,
	.stream = expand_stream,
	.free = expand_free,
};

tarn_rc ex_op_expand(struct ex_op *child, struct ex_expr **keys, const char *const *key_names,
		     int n_keys, const uint64_t *masks, int n_sets, struct ex_op **out,
		     struct tarn_err *err)
{
	*out = NULL;
	struct expand_op *x = tarn_calloc(1, sizeof *x);
	if (x) {
		x->keys = tarn_calloc((size_t)n_keys + 1, sizeof *x->keys);
		x->nulls = tarn_calloc((size_t)n_keys + 1, sizeof *x->nulls);
		x->sets = tarn_calloc((size_t)n_sets + 1, sizeof *x->sets);
		x->masks = tarn_calloc((size_t)n_sets + 1, sizeof *x->masks);
	}
	if (!x || !x->keys || !x->nulls || !x->sets || !x->masks) {
		if (x) {
			tarn_free(x->keys);
			tarn_free(x->nulls);
			tarn_free(x->sets);
			tarn_free(x->masks);
		}
		tarn_free(x);
		for (int i = 0; i < n_keys; i++)
			ex_expr_free(keys[i]);
		ex_op_free(child);
		return tarn_err_nomem(err, "grouping sets");
	}
	x->base.vt = &expand_vt;
	x->base.child[0] = child;
	x->n_keys = n_keys;
	x->n_sets = n_sets;
	x->n_in = child->schema->n_fields;
	for (int i = 0; i < n_keys; i++) {
		x->keys[i] = keys[i];
		ex_expr_prepare(keys[i]);
	}
	memcpy(x->masks, masks, (size_t)n_sets * sizeof *masks);
	tarn_rc rc = n_sets < 1 || n_keys > 64 ? TARN_EUSAGE : TARN_OK;
	for (int i = 0; !rc && i < n_keys; i++)
		rc = ex_expr_const_null(&keys[i]->type, &x->nulls[i]);
	for (int s = 0; !rc && s < n_sets; s++)
		rc = ex_expr_const_int(TARN_T_INT32, s, &x->sets[s]);
	int nc = x->n_in + n_keys + 1;
	const struct tarn_type **types = NULL;
	const char **names = NULL;
	if (!rc) {
		types = tarn_calloc((size_t)nc, sizeof *types);
		names = tarn_calloc((size_t)nc, sizeof *names);
		if (!types || !names)
			rc = TARN_ENOMEM;
	}
	if (!rc) {
		for (int i = 0; i < x->n_in; i++) {
			types[i] = &child->schema->fields[i].type;
			names[i] = child->schema->fields[i].name;
		}
		for (int k = 0; k < n_keys; k++) {
			types[x->n_in + k] = &keys[k]->type;
			names[x->n_in + k] = key_names ? key_names[k] : NULL;
		}
		types[nc - 1] = &x->sets[0]->type;
		names[nc - 1] = "__grouping_set";
		rc = ex_schema_make(nc, names, types, &x->base.schema);
	}
	tarn_free(types);
	tarn_free(names);
	if (rc) {
		ex_op_free(&x->base);
		return rc == TARN_EUSAGE
			       ? tarn_err_set(err, rc, "grouping sets: 1 to %d sets of at most 64 keys",
					      n_sets)
			       : tarn_err_nomem(err, "grouping sets");
	}
	*out = &x->base;
	return TARN_OK;
}
