/*
 * op_setop.c — UNION ALL, UNION, INTERSECT [ALL] and EXCEPT [ALL] as one
 * two-input operator, and the grouping-sets expansion (ex_op_expand).
 *
 * A set operation is shaped like a hash join (exec.h, two_inputs): the
 * right input (child[1]) is a pipeline that sinks into the operator, the
 * left input (child[0]) streams through it.
 *
 *  - UNION ALL keeps the right input's batches (compacted, in morsel
 *    order) and passes left batches through untouched, in parallel; its
 *    stream_end then emits the right batches. Output: left rows, then
 *    right rows.
 *  - The other kinds hash the right rows once into an ex_groups table
 *    (group.h: NULL equals NULL, so rows compare IS NOT DISTINCT) with a
 *    count per distinct row, then look every left row up in the same table
 *    on the driver's thread (ordered, so the per-row counters see rows in
 *    input order and results do not depend on the thread count):
 *      UNION          a left row is emitted the first time its row is seen;
 *                     stream_end emits the right rows never seen on the left
 *      INTERSECT      first time seen, and present on the right
 *      INTERSECT ALL  while fewer than the right count were emitted
 *      EXCEPT         first time seen, and absent on the right
 *      EXCEPT ALL     the k-th copy of a row is emitted when k > right count
 *    Left rows only narrow the batch's selection: nothing is copied.
 *
 * Both inputs must have the same column types (the binder casts); the
 * output takes the left input's schema (names from the left branch).
 * Memory: right batches, the table and the counters are reserved with
 * ex_mem_reserve under the operator's SQL name.
 *
 * Also here, on the same table: DISTINCT ON (the first row of each key,
 * ordered) and ex_dedup, the distinct-row filter a recursive CTE's UNION
 * runs its rounds through.
 */
#include <string.h>

#include "base/mem.h"
#include "sql/exec.h"
#include "sql/group.h"

struct setop_part {
	struct ex_batch **v;
	int n, cap;
};

struct setop {
	struct ex_op base;
	enum ex_setop_kind kind;
	const char *sql; /* "UNION ALL", ... for messages */
	/* right input, in morsel order (UNION ALL), consumed by finish otherwise */
	struct ex_batch **rb;
	int n_rb, cap_rb, rb_pos;
	/* the table (every kind but UNION ALL) */
	bool have_groups;
	struct ex_groups g;
	int64_t *cnt_r;  /* per group: rows on the right */
	int64_t *cnt_l;  /* per group: left rows seen (or emitted) */
	int64_t n_cnt;   /* entries the counters hold */
	int64_t table_bytes;
	uint32_t *gids;
	int64_t cap_gids;
	struct ex_vec *kv;
};

static tarn_rc part_push(struct setop_part *p, struct ex_batch *b)
{
	if (p->n == p->cap) {
		int cap = p->cap ? p->cap * 2 : 8;
		struct ex_batch **v = tarn_realloc(p->v, (size_t)cap * sizeof *v);
		if (!v)
			return TARN_ENOMEM;
		p->v = v;
		p->cap = cap;
	}
	p->v[p->n++] = b;
	return TARN_OK;
}

static tarn_rc setop_sink_new(struct ex_op *op, void **out)
{
	(void)op;
	*out = tarn_calloc(1, sizeof(struct setop_part));
	return *out ? TARN_OK : TARN_ENOMEM;
}

static void setop_sink_free(struct ex_op *op, void *part)
{
	(void)op;
	struct setop_part *p = part;
	for (int i = 0; i < p->n; i++)
		ex_batch_free(p->v[i]);
	tarn_free(p->v);
	tarn_free(p);
}

static tarn_rc setop_sink(struct ex_op *op, void *part, struct ex_batch *in, struct tarn_err *err)
{
	struct setop_part *p = part;
	if (in->n_sel == 0) {
		ex_batch_free(in);
		return TARN_OK;
	}
	struct ex_batch *c;
	tarn_rc rc = ex_batch_compact(in, op->child[1]->schema, &c, err);
	ex_batch_free(in);
	TRY(rc);
	if (part_push(p, c)) {
		ex_batch_free(c);
		return tarn_err_nomem(err, ((struct setop *)op)->sql);
	}
	return TARN_OK;
}

static tarn_rc setop_merge(struct ex_op *op, void *part, struct tarn_err *err)
{
	struct setop *s = (struct setop *)op;
	struct setop_part *p = part;
	tarn_rc rc = TARN_OK;
	int i = 0;
	for (; i < p->n && !rc; i++) {
		int64_t bytes = ex_batch_bytes(p->v[i]);
		rc = ex_mem_reserve(op->q, s->sql, bytes, err);
		if (rc)
			break;
		op->mem_held += bytes;
		if (s->n_rb == s->cap_rb) {
			int cap = s->cap_rb ? s->cap_rb * 2 : 16;
			struct ex_batch **v = tarn_realloc(s->rb, (size_t)cap * sizeof *v);
			if (!v) {
				rc = tarn_err_nomem(err, s->sql);
				break;
			}
			s->rb = v;
			s->cap_rb = cap;
		}
		s->rb[s->n_rb++] = p->v[i];
		p->v[i] = NULL;
	}
	for (int k = i; k < p->n; k++)
		ex_batch_free(p->v[k]);
	p->n = 0;
	return rc;
}

/* Grows the counters to the table's group count and accounts the table's
 * growth. */
static tarn_rc counters_fit(struct setop *s, struct tarn_err *err)
{
	if (s->g.n > s->n_cnt) {
		int64_t cap = s->n_cnt ? s->n_cnt : 1024;
		while (cap < s->g.n)
			cap *= 2;
		int64_t *r = tarn_realloc(s->cnt_r, (size_t)cap * sizeof *r);
		if (r)
			s->cnt_r = r;
		int64_t *l = r ? tarn_realloc(s->cnt_l, (size_t)cap * sizeof *l) : NULL;
		if (!r || !l)
			return tarn_err_nomem(err, s->sql);
		s->cnt_l = l;
		memset(s->cnt_r + s->n_cnt, 0, (size_t)(cap - s->n_cnt) * sizeof *r);
		memset(s->cnt_l + s->n_cnt, 0, (size_t)(cap - s->n_cnt) * sizeof *l);
		s->n_cnt = cap;
	}
	int64_t bytes = ex_groups_bytes(&s->g) + s->n_cnt * 16;
	if (bytes > s->table_bytes) {
		TRY(ex_mem_reserve(s->base.q, s->sql, bytes - s->table_bytes, err));
		s->base.mem_held += bytes - s->table_bytes;
		s->table_bytes = bytes;
	}
	return TARN_OK;
}

/* Group ids of the selected rows of b (into s->gids). */
static tarn_rc lookup(struct setop *s, const struct ex_batch *b, struct tarn_err *err)
{
	if (b->n_sel > s->cap_gids) {
		uint32_t *g = tarn_realloc(s->gids, (size_t)b->n_sel * sizeof *g);
		if (!g)
			return tarn_err_nomem(err, s->sql);
		s->gids = g;
		s->cap_gids = b->n_sel;
	}
	for (int c = 0; c < b->n_cols; c++)
		s->kv[c] = (struct ex_vec){ b->cols[c], false };
	if (ex_groups_lookup(&s->g, s->kv, b->sel, b->n_sel, s->gids))
		return tarn_err_nomem(err, s->sql);
	return counters_fit(s, err);
}

static tarn_rc setop_finish(struct ex_op *op, struct tarn_err *err)
{
	struct setop *s = (struct setop *)op;
	if (s->kind == EX_SETOP_UNION_ALL)
		return TARN_OK;
	for (int i = 0; i < s->n_rb; i++) {
		struct ex_batch *b = s->rb[i];
		TRY(lookup(s, b, err));
		for (int64_t k = 0; k < b->n_sel; k++)
			s->cnt_r[s->gids[k]]++;
		int64_t bytes = ex_batch_bytes(b);
		ex_mem_release(op->q, bytes);
		op->mem_held -= bytes;
		ex_batch_free(b);
		s->rb[i] = NULL;
	}
	s->n_rb = 0;
	return TARN_OK;
}

static tarn_rc setop_stream(struct ex_op *op, void *local, struct ex_batch *in,
			    struct ex_emit *out, struct tarn_err *err)
{
	(void)local;
	struct setop *s = (struct setop *)op;
	if (s->kind == EX_SETOP_UNION_ALL || in->n_sel == 0)
		return ex_emit_push(out, in);
	tarn_rc rc = lookup(s, in, err);
	uint32_t *sel = rc ? NULL : tarn_malloc((size_t)(in->n_sel ? in->n_sel : 1) * sizeof *sel);
	if (!rc && !sel)
		rc = tarn_err_nomem(err, s->sql);
	if (rc) {
		ex_batch_free(in);
		return rc;
	}
	int64_t m = 0;
	for (int64_t k = 0; k < in->n_sel; k++) {
		uint32_t g = s->gids[k];
		bool keep;
		switch (s->kind) {
		case EX_SETOP_UNION:
			keep = s->cnt_l[g] == 0;
			s->cnt_l[g] = 1;
			break;
		case EX_SETOP_INTERSECT:
			keep = s->cnt_l[g] == 0 && s->cnt_r[g] > 0;
			s->cnt_l[g] = 1;
			break;
		case EX_SETOP_INTERSECT_ALL:
			keep = s->cnt_l[g] < s->cnt_r[g];
			s->cnt_l[g] += keep;
			break;
		case EX_SETOP_EXCEPT:
			keep = s->cnt_l[g] == 0 && s->cnt_r[g] == 0;
			s->cnt_l[g] = 1;
			break;
		default: /* EX_SETOP_EXCEPT_ALL */
			keep = ++s->cnt_l[g] > s->cnt_r[g];
			break;
		}
		if (keep)
			sel[m++] = in->sel ? in->sel[k] : (uint32_t)k;
	}
	tarn_free(in->sel);
	in->sel = sel;
	in->n_sel = m;
	return ex_emit_push(out, in);
}

/* UNION ALL: the right batches. UNION: the right rows the left never had,
 * gathered from the table's key columns in group order. */
static tarn_rc setop_stream_end(struct ex_op *op, struct ex_emit *out, struct tarn_err *err)
{
	struct setop *s = (struct setop *)op;
	if (s->kind == EX_SETOP_UNION_ALL) {
		for (; s->rb_pos < s->n_rb; s->rb_pos++) {
			struct ex_batch *b = s->rb[s->rb_pos];
			s->rb[s->rb_pos] = NULL;
			TRY(ex_emit_push(out, b));
		}
		return TARN_OK;
	}
	if (s->kind != EX_SETOP_UNION)
		return TARN_OK;
	uint32_t *idx = tarn_malloc(EX_BATCH_MAX * sizeof *idx);
	if (!idx)
		return tarn_err_nomem(err, s->sql);
	tarn_rc rc = TARN_OK;
	for (int64_t gid = 0; gid < s->g.n && !rc;) {
		int64_t n = 0;
		for (; gid < s->g.n && n < EX_BATCH_MAX; gid++)
			if (s->cnt_r[gid] > 0 && s->cnt_l[gid] == 0)
				idx[n++] = (uint32_t)gid;
		if (n == 0)
			break;
		struct ex_batch *b;
		if (ex_batch_new(s->g.n_keys, &b)) {
			rc = tarn_err_nomem(err, s->sql);
			break;
		}
		for (int c = 0; c < s->g.n_keys && !rc; c++) {
			struct tarn_array *a;
			rc = tarn_array_new(&op->schema->fields[c].type, n, &a);
			if (!rc)
				rc = ex_batch_hold_array(b, a);
			if (!rc)
				rc = ex_array_gather(a, s->g.keys[c], idx, 0, n);
			if (!rc) {
				ex_array_finish(a);
				b->cols[c] = a;
			}
		}
		b->n_rows = b->n_sel = n;
		if (rc) {
			ex_batch_free(b);
			rc = rc == TARN_ENOMEM ? tarn_err_nomem(err, s->sql)
					       : tarn_err_set(err, rc, "%s: column too large", s->sql);
			break;
		}
		rc = ex_emit_push(out, b);
	}
	tarn_free(idx);
	return rc;
}

static void setop_free(struct ex_op *op)
{
	struct setop *s = (struct setop *)op;
	for (int i = 0; i < s->n_rb; i++)
		ex_batch_free(s->rb[i]);
	tarn_free(s->rb);
	if (s->have_groups)
		ex_groups_free(&s->g);
	tarn_free(s->cnt_r);
	tarn_free(s->cnt_l);
	tarn_free(s->gids);
	tarn_free(s->kv);
	tarn_free(s);
}

#define SETOP_VT(id, label, is_ordered)                                                          \
	static const struct ex_op_vt id = {                                                      \
		.name = label,                                                                   \
		.stream = setop_stream,                                                          \
		.stream_end = setop_stream_end,                                                  \
		.ordered = is_ordered,                                                           \
		.sink_new = setop_sink_new,                                                      \
		.sink_free = setop_sink_free,                                                    \
		.sink = setop_sink,                                                              \
		.merge = setop_merge,                                                            \
		.finish = setop_finish,                                                          \
		.two_inputs = true,                                                              \
		.free = setop_free,                                                              \
	}

SETOP_VT(union_all_vt, "union all", false);
SETOP_VT(union_vt, "union", true);
SETOP_VT(intersect_vt, "intersect", true);
SETOP_VT(intersect_all_vt, "intersect all", true);
SETOP_VT(except_vt, "except", true);
SETOP_VT(except_all_vt, "except all", true);

static const struct {
	const struct ex_op_vt *vt;
	const char *sql;
} setop_kinds[] = {
	[EX_SETOP_UNION_ALL] = { &union_all_vt, "UNION ALL" },
	[EX_SETOP_UNION] = { &union_vt, "UNION" },
	[EX_SETOP_INTERSECT] = { &intersect_vt, "INTERSECT" },
	[EX_SETOP_INTERSECT_ALL] = { &intersect_all_vt, "INTERSECT ALL" },
	[EX_SETOP_EXCEPT] = { &except_vt, "EXCEPT" },
	[EX_SETOP_EXCEPT_ALL] = { &except_all_vt, "EXCEPT ALL" },
};

tarn_rc ex_op_setop(enum ex_setop_kind kind, struct ex_op *left, struct ex_op *right,
		    struct ex_op **out, struct tarn_err *err)
{
	*out = NULL;
	const struct tarn_schema *ls = left->schema, *rs = right->schema;
	bool same = ls->n_fields == rs->n_fields && (int)kind >= 0 && kind <= EX_SETOP_EXCEPT_ALL;
	for (int i = 0; same && i < ls->n_fields; i++)
		same = tarn_type_equal(&ls->fields[i].type, &rs->fields[i].type);
	if (!same) {
		ex_op_free(left);
		ex_op_free(right);
		return tarn_err_set(err, TARN_EUSAGE,
				    "set operation: the inputs' columns differ in number or type");
	}
	struct setop *s = tarn_calloc(1, sizeof *s);
	if (s)
		s->kv = tarn_calloc((size_t)ls->n_fields + 1, sizeof *s->kv);
	if (!s || !s->kv) {
		tarn_free(s);
		ex_op_free(left);
		ex_op_free(right);
		return tarn_err_nomem(err, "set operation");
	}
	s->base.vt = setop_kinds[kind].vt;
	s->sql = setop_kinds[kind].sql;
	s->kind = kind;
	s->base.child[0] = left;
	s->base.child[1] = right;
	tarn_schema_ref(left->schema);
	s->base.schema = left->schema;
	if (kind != EX_SETOP_UNION_ALL) {
		const struct tarn_type **kt = tarn_calloc((size_t)ls->n_fields + 1, sizeof *kt);
		tarn_rc rc = kt ? TARN_OK : TARN_ENOMEM;
		for (int i = 0; kt && i < ls->n_fields; i++)
			kt[i] = &ls->fields[i].type;
		if (!rc)
			rc = ex_groups_init(&s->g, ls->n_fields, kt);
		tarn_free(kt);
		if (rc) {
			ex_op_free(&s->base);
			return tarn_err_nomem(err, "set operation");
		}
		s->have_groups = true;
	}
	*out = &s->base;
	return TARN_OK;
}

/* ---- DISTINCT ON ------------------------------------------------------------------------ */

/* The first row of each key combination: the same table, one "seen" flag
 * per group, on the driver's thread in input order. */
struct don_op {
	struct ex_op base;
	int n;
	int *cols;
	struct ex_groups g;
	bool have_groups;
	uint8_t *seen;
	int64_t n_seen, held;
	uint32_t *gids;
	int64_t cap_gids;
	struct ex_vec *kv;
};

static tarn_rc don_stream(struct ex_op *op, void *local, struct ex_batch *in, struct ex_emit *out,
			  struct tarn_err *err)
{
	(void)local;
	struct don_op *d = (struct don_op *)op;
	if (in->n_sel == 0)
		return ex_emit_push(out, in);
	tarn_rc rc = TARN_OK;
	if (in->n_sel > d->cap_gids) {
		uint32_t *g = tarn_realloc(d->gids, (size_t)in->n_sel * sizeof *g);
		if (g) {
			d->gids = g;
			d->cap_gids = in->n_sel;
		} else {
			rc = TARN_ENOMEM;
		}
	}
	for (int c = 0; !rc && c < d->n; c++)
		d->kv[c] = (struct ex_vec){ in->cols[d->cols[c]], false };
	if (!rc)
		rc = ex_groups_lookup(&d->g, d->kv, in->sel, in->n_sel, d->gids);
	if (!rc && d->g.n > d->n_seen) {
		int64_t cap = d->n_seen ? d->n_seen : 1024;
		while (cap < d->g.n)
			cap *= 2;
		uint8_t *s = tarn_realloc(d->seen, (size_t)cap);
		if (s) {
			memset(s + d->n_seen, 0, (size_t)(cap - d->n_seen));
			d->seen = s;
			d->n_seen = cap;
		} else {
			rc = TARN_ENOMEM;
		}
	}
	uint32_t *sel = rc ? NULL : tarn_malloc((size_t)in->n_sel * sizeof *sel);
	if (!rc && !sel)
		rc = TARN_ENOMEM;
	if (rc) {
		ex_batch_free(in);
		return tarn_err_nomem(err, "distinct on");
	}
	int64_t bytes = ex_groups_bytes(&d->g) + d->n_seen;
	if (bytes > d->held) {
		rc = ex_mem_reserve(op->q, "DISTINCT ON", bytes - d->held, err);
		if (rc) {
			tarn_free(sel);
			ex_batch_free(in);
			return rc;
		}
		op->mem_held += bytes - d->held;
		d->held = bytes;
	}
	int64_t m = 0;
	for (int64_t k = 0; k < in->n_sel; k++)
		if (!d->seen[d->gids[k]]) {
			d->seen[d->gids[k]] = 1;
			sel[m++] = in->sel ? in->sel[k] : (uint32_t)k;
		}
	tarn_free(in->sel);
	in->sel = sel;
	in->n_sel = m;
	return ex_emit_push(out, in);
}

static void don_free(struct ex_op *op)
{
	struct don_op *d = (struct don_op *)op;
	if (d->have_groups)
		ex_groups_free(&d->g);
	tarn_free(d->cols);
	tarn_free(d->seen);
	tarn_free(d->gids);
	tarn_free(d->kv);
	tarn_free(d);
}

static const struct ex_op_vt don_vt = {
	.name = "distinct on",
	.stream = don_stream,
	.ordered = true,
	.free = don_free,
};

tarn_rc ex_op_distinct_on(struct ex_op *child, const int *cols, int n, struct ex_op **out,
			  struct tarn_err *err)
{
	*out = NULL;
	const struct tarn_schema *s = child->schema;
	for (int i = 0; i < n; i++)
		if (cols[i] < 0 || cols[i] >= s->n_fields ||
		    !ex_type_is_scalar(s->fields[cols[i]].type.id)) {
			ex_op_free(child);
			return tarn_err_set(err, TARN_EUNSUPPORTED,
					    "DISTINCT ON: column #%d is missing or of a nested type",
					    cols[i] + 1);
		}
	struct don_op *d = tarn_calloc(1, sizeof *d);
	if (d) {
		d->cols = tarn_calloc((size_t)n + 1, sizeof *d->cols);
		d->kv = tarn_calloc((size_t)n + 1, sizeof *d->kv);
	}
	const struct tarn_type **kt = tarn_calloc((size_t)n + 1, sizeof *kt);
	if (!d || !d->cols || !d->kv || !kt) {
		if (d) {
			tarn_free(d->cols);
			tarn_free(d->kv);
		}
		tarn_free(d);
		tarn_free(kt);
		ex_op_free(child);
		return tarn_err_nomem(err, "distinct on");
	}
	d->base.vt = &don_vt;
	d->base.child[0] = child;
	tarn_schema_ref(child->schema);
	d->base.schema = child->schema;
	d->n = n;
	for (int i = 0; i < n; i++) {
		d->cols[i] = cols[i];
		kt[i] = &s->fields[cols[i]].type;
	}
	tarn_rc rc = ex_groups_init(&d->g, n, kt);
	tarn_free(kt);
	if (rc) {
		ex_op_free(&d->base);
		return tarn_err_nomem(err, "distinct on");
	}
	d->have_groups = true;
	*out = &d->base;
	return TARN_OK;
}

/* ---- distinct-row filter ---------------------------------------------------------------- */

struct ex_dedup {
	struct ex_groups g;
	uint8_t *seen;
	int64_t n_seen;
	uint32_t *gids;
	struct ex_vec *kv;
	int n_cols;
};

tarn_rc ex_dedup_new(const struct tarn_schema *s, struct ex_dedup **out)
{
	*out = NULL;
	struct ex_dedup *d = tarn_calloc(1, sizeof *d);
	const struct tarn_type **kt = tarn_calloc((size_t)s->n_fields + 1, sizeof *kt);
	if (d) {
		d->kv = tarn_calloc((size_t)s->n_fields + 1, sizeof *d->kv);
		d->gids = tarn_malloc(EX_BATCH_MAX * sizeof *d->gids);
	}
	tarn_rc rc = d && kt && d->kv && d->gids ? TARN_OK : TARN_ENOMEM;
	for (int i = 0; !rc && i < s->n_fields; i++)
		kt[i] = &s->fields[i].type;
	if (!rc)
		rc = ex_groups_init(&d->g, s->n_fields, kt);
	tarn_free(kt);
	if (rc) {
		if (d) {
			tarn_free(d->kv);
			tarn_free(d->gids);
		}
		tarn_free(d);
		return rc;
	}
	d->n_cols = s->n_fields;
	*out = d;
	return TARN_OK;
}

void ex_dedup_free(struct ex_dedup *d)
{
	if (!d)
		return;
	ex_groups_free(&d->g);
	tarn_free(d->seen);
	tarn_free(d->gids);
	tarn_free(d->kv);
	tarn_free(d);
}

tarn_rc ex_dedup_rows(struct ex_dedup *d, const struct tarn_batch *b, uint32_t *sel,
		      int64_t *n_out)
{
	*n_out = 0;
	if (b->n_rows > EX_BATCH_MAX || b->n_cols != d->n_cols)
		return TARN_EUSAGE;
	for (int c = 0; c < d->n_cols; c++)
		d->kv[c] = (struct ex_vec){ b->cols[c], false };
	TRY(ex_groups_lookup(&d->g, d->kv, NULL, b->n_rows, d->gids));
	if (d->g.n > d->n_seen) {
		int64_t cap = d->n_seen ? d->n_seen : 1024;
		while (cap < d->g.n)
			cap *= 2;
		uint8_t *s = tarn_realloc(d->seen, (size_t)cap);
		if (!s)
			return TARN_ENOMEM;
		memset(s + d->n_seen, 0, (size_t)(cap - d->n_seen));
		d->seen = s;
		d->n_seen = cap;
	}
	int64_t m = 0;
	for (int64_t k = 0; k < b->n_rows; k++)
		if (!d->seen[d->gids[k]]) {
			d->seen[d->gids[k]] = 1;
			sel[m++] = (uint32_t)k;
		}
	*n_out = m;
	return TARN_OK;
}

int64_t ex_dedup_bytes(const struct ex_dedup *d)
{
	return ex_groups_bytes(&d->g) + d->n_seen;
}
