/*
 * op_scan.c — the table scan: a source operator over a struct tarn_reader.
 *
 * Each reader batch is one morsel. Column projection is pushed into the
 * reader when its format takes a `columns` option (Parquet decodes only
 * those column chunks); otherwise the scan picks the columns from each
 * batch. ex_op_scan_prune pushes one range predicate into a single-file
 * Parquet reader (pq_reader_prune, which skips row groups and pages whose
 * statistics rule the range out): the bound constants are cast to the
 * column's type and encoded as Parquet PLAIN values of the physical type
 * that type is stored as. Decimal columns (whose physical type the tarn
 * type does not tell) and booleans are not pruned.
 *
 * Relies on the generic reader layer (formats/format.h) and the Parquet
 * internals (parquet_int.h) for pruning. The reader runs on the driver's
 * thread only (next() is serial); its own decoding is parallel.
 */
#include <stdio.h>
#include <string.h>

#include "base/io.h"
#include "base/mem.h"
#include "formats/format.h"
#include "formats/orc/orc_int.h"
#include "formats/parquet/parquet_int.h"
#include "sql/exec.h"
#include "sql/expr_int.h"

extern const struct tarn_format tarn_format_parquet;
extern const struct tarn_format tarn_format_orc;

enum { SCAN_PLAIN, SCAN_PARQUET, SCAN_ORC, SCAN_DATASET }; /* which reader prunes */

/* A range pushed into a dataset scan, applied to each file as it opens. */
struct scan_range {
	char *column;
	int ds_col;                 /* the column in the dataset's schema */
	struct ex_expr *lo, *hi;    /* constants of the column's type, or NULL */
};

struct scan_op {
	struct ex_op base;
	struct tarn_reader *r;
	int *proj;     /* reader column of each output column */
	int n_proj;
	int kind;      /* SCAN_*: a single Parquet or ORC file prunes */
	char *path;    /* for EXPLAIN (NULL: an opened reader) */
	char *range;   /* the pushed pruning ranges, for EXPLAIN */
	bool started;
	int n_ranges;  /* ranges pushed into the reader */
	struct scan_range *ds_ranges; /* datasets: applied per file */
	int n_ds_ranges;
};

static tarn_rc scan_next(struct ex_op *op, struct ex_batch **out, struct tarn_err *err)
{
	struct scan_op *s = (struct scan_op *)op;
	*out = NULL;
	s->started = true;
	for (;;) {
		struct tarn_batch *tb = NULL;
		TRY(tarn_reader_next(s->r, &tb, err));
		if (!tb)
			return TARN_OK;
		if (tb->n_rows == 0) {
			tarn_batch_free(tb);
			continue;
		}
		struct ex_batch *b;
		if (ex_batch_new(s->n_proj, &b)) {
			tarn_batch_free(tb);
			return tarn_err_nomem(err, "scan");
		}
		for (int i = 0; i < s->n_proj; i++)
			b->cols[i] = tb->cols[s->proj[i]];
		b->n_rows = b->n_sel = tb->n_rows;
		if (ex_batch_hold_tarn(b, tb)) {
			ex_batch_free(b);
			return tarn_err_nomem(err, "scan");
		}
		*out = b;
		return TARN_OK;
	}
}

static void scan_free(struct ex_op *op)
{
	struct scan_op *s = (struct scan_op *)op;
	tarn_reader_close(s->r);
	tarn_free(s->proj);
	tarn_free(s->path);
	tarn_free(s->range);
	for (int i = 0; i < s->n_ds_ranges; i++) {
		tarn_free(s->ds_ranges[i].column);
		ex_expr_free(s->ds_ranges[i].lo);
		ex_expr_free(s->ds_ranges[i].hi);
	}
	tarn_free(s->ds_ranges);
	tarn_free(s);
}

static tarn_rc scan_describe(const struct ex_op *op, struct tarn_buf *out)
{
	const struct scan_op *s = (const struct scan_op *)op;
	const char *path = s->path		 ? s->path
			   : s->r->in ? tarn_input_name(s->r->in)
				      : "reader";
	TRY(tarn_buf_printf(out, "%s (%s) columns: ", path,
			    s->r->format ? s->r->format->name : "?"));
	for (int i = 0; i < op->schema->n_fields; i++)
		TRY(tarn_buf_printf(out, "%s%s", i ? ", " : "", op->schema->fields[i].name));
	if (s->range)
		TRY(tarn_buf_printf(out, "; pruned by %s", s->range));
	if (s->kind == SCAN_DATASET && s->n_ds_ranges) {
		int64_t files, skipped;
		tarn_dataset_counts(s->r, &files, &skipped);
		TRY(tarn_buf_printf(out, "; files skipped %lld of %lld", (long long)skipped,
				    (long long)files));
	}
	return TARN_OK;
}

static const struct ex_op_vt scan_vt = {
	.name = "scan",
	.next = scan_next,
	.free = scan_free,
	.describe = scan_describe,
};

/* Builds the scan over r: output = the named columns (NULL = all). */
static tarn_rc scan_make(struct tarn_reader *r, const char *const *columns, int n,
			 struct ex_op **out, struct tarn_err *err)
{
	*out = NULL;
	const struct tarn_schema *rs = tarn_reader_schema(r);
	struct scan_op *s = tarn_calloc(1, sizeof *s);
	int np = columns ? n : rs->n_fields;
	if (s)
		s->proj = tarn_calloc((size_t)(np ? np : 1), sizeof *s->proj);
	if (!s || !s->proj) {
		if (s)
			tarn_free(s);
		tarn_reader_close(r);
		return tarn_err_nomem(err, "scan");
	}
	s->base.vt = &scan_vt;
	s->r = r;
	s->n_proj = np;
	/* a single file (datasets have their own progress hook) */
	if (r->ops->progress == NULL)
		s->kind = r->format == &tarn_format_parquet ? SCAN_PARQUET
			  : r->format == &tarn_format_orc   ? SCAN_ORC
							    : SCAN_PLAIN;
	else if (tarn_dataset_set_hook(r, &(struct tarn_dataset_hook){ 0 }))
		s->kind = SCAN_DATASET; /* (no hook until a range is pushed) */
	for (int i = 0; i < np; i++) {
		int c = columns ? tarn_schema_find(rs, columns[i]) : i;
		if (c < 0) {
			ex_op_free(&s->base);
			return tarn_err_set(err, TARN_ENOTFOUND, "scan: no column '%s' in the input",
					    columns[i]);
		}
		s->proj[i] = c;
	}
	tarn_rc rc = tarn_schema_new(np, &s->base.schema);
	for (int i = 0; i < np && !rc; i++) {
		rc = tarn_field_copy(&s->base.schema->fields[i], &rs->fields[s->proj[i]]);
	}
	if (rc) {
		ex_op_free(&s->base);
		return tarn_err_nomem(err, "scan");
	}
	*out = &s->base;
	return TARN_OK;
}

void ex_op_scan_set_path(struct ex_op *op, const char *path)
{
	struct scan_op *s = (struct scan_op *)op;
	if (op->vt != &scan_vt || s->path)
		return;
	s->path = tarn_strdup(path); /* EXPLAIN only: NULL is fine */
}

tarn_rc ex_op_scan_reader(struct tarn_reader *r, struct ex_op **out, struct tarn_err *err)
{
	return scan_make(r, NULL, 0, out, err);
}

tarn_rc ex_op_scan(const char *path, const char *format, const struct tarn_opts *opts,
		   const char *const *columns, int n_columns, struct ex_op **out,
		   struct tarn_err *err)
{
	*out = NULL;
	const struct tarn_format *fmt = format ? tarn_format_find(format) : NULL;
	if (!fmt && !format && !tarn_dataset_path(path))
		fmt = tarn_format_from_path(path);
	const char *fname = fmt ? fmt->name : format;
	/* a dataset takes `columns` whatever its files' format (dataset.c) */
	bool push = columns && n_columns > 0 &&
		    (fname ? tarn_format_has_option(fname, false, "columns")
			   : tarn_dataset_path(path)) &&
		    !(opts && tarn_opts_get(opts, "columns"));
	for (int i = 0; push && i < n_columns; i++)
		push = strchr(columns[i], ',') == NULL;
	struct tarn_opts *o = NULL;
	tarn_rc rc = TARN_OK;
	if (push) {
		struct tarn_buf list;
		tarn_buf_init(&list);
		for (int i = 0; i < n_columns && !rc; i++) {
			if (i)
				rc = tarn_buf_putc(&list, ',');
			if (!rc)
				rc = tarn_buf_append(&list, columns[i], strlen(columns[i]));
		}
		if (!rc)
			rc = tarn_buf_cstr(&list);
		if (!rc)
			rc = tarn_opts_copy(opts, &o);
		if (!rc)
			rc = tarn_opts_set(o, "columns", list.data);
		tarn_buf_free(&list);
		if (rc) {
			tarn_opts_free(o);
			return tarn_err_nomem(err, "scan options");
		}
	}
	struct tarn_reader *r;
	rc = tarn_reader_open(path, format, o ? o : opts, &r, err);
	tarn_opts_free(o);
	if (rc)
		return rc;
	TRY(scan_make(r, columns && n_columns > 0 ? columns : NULL, n_columns, out, err));
	((struct scan_op *)*out)->path = tarn_strdup(path); /* EXPLAIN only: NULL is fine */
	return TARN_OK;
}

/* PLAIN encoding of a constant as the Parquet physical type its tarn type
 * is stored as; false when unknown (no pruning then). */
static bool encode_bound(const struct tarn_array *v, uint8_t *buf, size_t cap, struct pq_bound *b)
{
	if (ex_is_null(v, 0) || v->type->id == TARN_T_NULL)
		return false;
	switch (v->type->id) {
	case TARN_T_INT8:
	case TARN_T_INT16:
	case TARN_T_INT32:
	case TARN_T_DATE32: {
		int32_t x = (int32_t)tarn_array_get_int(v, 0);
		memcpy(buf, &x, 4);
		*b = (struct pq_bound){ buf, 4 };
		return true;
	}
	case TARN_T_UINT8:
	case TARN_T_UINT16:
	case TARN_T_UINT32: {
		uint32_t x = (uint32_t)tarn_array_get_uint(v, 0);
		memcpy(buf, &x, 4);
		*b = (struct pq_bound){ buf, 4 };
		return true;
	}
	case TARN_T_TIME64:
		if (v->type->unit == TARN_UNIT_MS) {
			int32_t x = (int32_t)tarn_array_get_int(v, 0);
			memcpy(buf, &x, 4);
			*b = (struct pq_bound){ buf, 4 };
			return true;
		}
		/* fall through */
	case TARN_T_INT64:
	case TARN_T_UINT64:
	case TARN_T_TIMESTAMP:
		memcpy(buf, v->values, 8);
		*b = (struct pq_bound){ buf, 8 };
		return true;
	case TARN_T_FLOAT32:
		memcpy(buf, v->values, 4);
		*b = (struct pq_bound){ buf, 4 };
		return true;
	case TARN_T_FLOAT64:
		memcpy(buf, v->values, 8);
		*b = (struct pq_bound){ buf, 8 };
		return true;
	case TARN_T_STRING:
	case TARN_T_BINARY: {
		size_t n;
		const uint8_t *p = tarn_array_get_bytes(v, 0, &n);
		if (n > cap)
			return false;
		memcpy(buf, p, n);
		*b = (struct pq_bound){ buf, n };
		return true;
	}
	default: return false;
	}
}

/* The constant e as the column's type (a folded cast), or NULL. */
static struct ex_expr *bound_const(const struct ex_expr *e, const struct tarn_type *t)
{
	if (!e || e->kind != EX_E_CONST)
		return NULL;
	struct ex_expr *c = NULL, *x = NULL;
	if (ex_expr_copy(e, &c))
		return NULL;
	if (ex_expr_cast(c, t, true, &x, NULL))
		return NULL;
	if (x->kind != EX_E_CONST) {
		ex_expr_free(x);
		return NULL;
	}
	return x;
}

/* A constant of the column's storage as an ORC bound (its tarn storage). */
static bool orc_bound_of(const struct tarn_array *v, struct orc_bound *b)
{
	if (ex_is_null(v, 0) || v->type->id == TARN_T_NULL || v->type->id == TARN_T_BOOL)
		return false;
	if (v->type->id == TARN_T_STRING || v->type->id == TARN_T_BINARY) {
		size_t n;
		const uint8_t *p = tarn_array_get_bytes(v, 0, &n);
		*b = (struct orc_bound){ p ? p : (const uint8_t *)"", n };
		return true;
	}
	int w = tarn_type_width(v->type->id);
	if (w <= 0 || !v->values)
		return false;
	*b = (struct orc_bound){ v->values, (size_t)w };
	return true;
}

static int reader_kind(const struct tarn_reader *r)
{
	if (r->ops->progress != NULL)
		return SCAN_PLAIN;
	return r->format == &tarn_format_parquet ? SCAN_PARQUET
	       : r->format == &tarn_format_orc   ? SCAN_ORC
						 : SCAN_PLAIN;
}

/* Pushes [l, h] (constants of the column's type, or NULL) into a single
 * Parquet or ORC reader; *pushed false when neither bound encodes. */
static tarn_rc prune_reader(int kind, struct tarn_reader *r, const char *name,
			    const struct ex_expr *l, const struct ex_expr *h, bool *pushed,
			    struct tarn_err *err)
{
	bool has_lo, has_hi;
	tarn_rc rc = TARN_OK;
	*pushed = false;
	if (kind == SCAN_PARQUET) {
		if ((l && l->type.id == TARN_T_DECIMAL128) || (h && h->type.id == TARN_T_DECIMAL128))
			return TARN_OK; /* the physical type is not told by the tarn type */
		uint8_t lb[256], hb[256];
		struct pq_bound blo = { 0 }, bhi = { 0 };
		has_lo = l && encode_bound(l->value, lb, sizeof lb, &blo);
		has_hi = h && encode_bound(h->value, hb, sizeof hb, &bhi);
		if (has_lo || has_hi)
			rc = pq_reader_narrow(r, name, has_lo ? &blo : NULL, has_hi ? &bhi : NULL, err);
	} else if (kind == SCAN_ORC) {
		struct orc_bound blo = { 0 }, bhi = { 0 };
		has_lo = l && orc_bound_of(l->value, &blo);
		has_hi = h && orc_bound_of(h->value, &bhi);
		if (has_lo || has_hi)
			rc = orc_reader_narrow(r, name, has_lo ? &blo : NULL, has_hi ? &bhi : NULL, err);
	} else {
		return TARN_OK;
	}
	*pushed = rc == TARN_OK && (has_lo || has_hi);
	return rc;
}

/* Dataset hook: a file whose partition value is outside a range (or
 * null, which no comparison keeps) is skipped. */
static bool ds_keep_file(void *ctx, const struct tarn_reader *ds, int64_t file)
{
	const struct scan_op *s = ctx;
	for (int i = 0; i < s->n_ds_ranges; i++) {
		const struct scan_range *g = &s->ds_ranges[i];
		const struct tarn_array *pv = tarn_dataset_part_values(ds, g->ds_col);
		if (!pv || file >= pv->length)
			continue;
		if (ex_is_null(pv, file))
			return false;
		if (g->lo && ex_value_cmp(pv, file, g->lo->value, 0) < 0)
			return false;
		if (g->hi && ex_value_cmp(pv, file, g->hi->value, 0) > 0)
			return false;
	}
	return true;
}

/* Dataset hook: the ranges on file columns go into each Parquet or ORC
 * member as it opens. */
static tarn_rc ds_opened(void *ctx, struct tarn_reader *member, struct tarn_err *err)
{
	const struct scan_op *s = ctx;
	int kind = reader_kind(member);
	for (int i = 0; i < s->n_ds_ranges && kind != SCAN_PLAIN; i++) {
		const struct scan_range *g = &s->ds_ranges[i];
		if (tarn_dataset_part_values(s->r, g->ds_col))
			continue;
		bool pushed;
		struct tarn_err sub;
		tarn_err_clear(&sub);
		if (prune_reader(kind, member, g->column, g->lo, g->hi, &pushed, &sub) == TARN_ENOMEM)
			return tarn_err_nomem(err, "scan pruning");
	}
	return TARN_OK;
}

static tarn_rc ds_add_range(struct scan_op *s, const char *column, struct ex_expr **l,
			    struct ex_expr **h, struct tarn_err *err)
{
	int dc = tarn_schema_find(tarn_reader_schema(s->r), column);
	if (dc < 0)
		return TARN_OK;
	struct scan_range *v =
	    tarn_realloc(s->ds_ranges, (size_t)(s->n_ds_ranges + 1) * sizeof *v);
	if (!v)
		return tarn_err_nomem(err, "scan pruning");
	s->ds_ranges = v;
	char *name = tarn_strdup(column);
	if (!name)
		return tarn_err_nomem(err, "scan pruning");
	v[s->n_ds_ranges++] = (struct scan_range){ name, dc, *l, *h };
	*l = *h = NULL; /* kept */
	if (s->n_ds_ranges == 1) {
		struct tarn_dataset_hook hk = { ds_keep_file, ds_opened, s };
		(void)tarn_dataset_set_hook(s->r, &hk);
	}
	return TARN_OK;
}

tarn_rc ex_op_scan_prune(struct ex_op *op, const char *column, const struct ex_expr *lo,
			 const struct ex_expr *hi, struct tarn_err *err)
{
	if (op->vt != &scan_vt)
		return tarn_err_set(err, TARN_EUSAGE, "prune: not a scan");
	struct scan_op *s = (struct scan_op *)op;
	if (s->kind == SCAN_PLAIN || s->started || (!lo && !hi))
		return TARN_OK;
	int c = tarn_schema_find(s->base.schema, column);
	if (c < 0)
		return tarn_err_set(err, TARN_ENOTFOUND, "prune: no column '%s'", column);
	const struct tarn_type *t = &s->base.schema->fields[c].type;
	if (t->id == TARN_T_BOOL || !ex_type_is_scalar(t->id))
		return TARN_OK;
	struct ex_expr *l = bound_const(lo, t), *h = bound_const(hi, t);
	if (t->id == TARN_T_FLOAT32 || t->id == TARN_T_FLOAT64) {
		/* NaN sorts above every number here, and file statistics leave
		 * NaN out: a lower bound could drop NaN rows that meet it, and a
		 * NaN upper bound means nothing to them */
		ex_expr_free(l);
		l = NULL;
		if (h && !ex_is_null(h->value, 0)) {
			double x = t->id == TARN_T_FLOAT32 ? (double)((const float *)h->value->values)[0]
							   : ((const double *)h->value->values)[0];
			if (x != x) {
				ex_expr_free(h);
				h = NULL;
			}
		}
	}
	bool pushed = false;
	tarn_rc rc = TARN_OK;
	/* the readers name columns by path; a top-level scalar column's path
	 * is its name */
	const char *name = s->base.schema->fields[c].name;
	bool has_lo = l && !ex_is_null(l->value, 0), has_hi = h && !ex_is_null(h->value, 0);
	const struct ex_expr *dl = l, *dh = h; /* for EXPLAIN */
	if (s->kind == SCAN_DATASET) {
		if (has_lo || has_hi) {
			if (!has_lo) {
				ex_expr_free(l);
				l = NULL;
			}
			if (!has_hi) {
				ex_expr_free(h);
				h = NULL;
			}
			dl = l;
			dh = h;
			rc = ds_add_range(s, name, &l, &h, err);
			pushed = rc == TARN_OK;
		}
	} else {
		rc = prune_reader(s->kind, s->r, name, l, h, &pushed, err);
	}
	if (pushed) {
		s->n_ranges++;
		struct tarn_buf d;
		tarn_buf_init(&d);
		bool ok = (!s->range || tarn_buf_printf(&d, "%s and ", s->range) == TARN_OK) &&
			  tarn_buf_printf(&d, "%s in [", column) == TARN_OK &&
			  (!has_lo || !dl || ex_expr_describe(dl, NULL, &d) == TARN_OK) &&
			  tarn_buf_printf(&d, ", ") == TARN_OK &&
			  (!has_hi || !dh || ex_expr_describe(dh, NULL, &d) == TARN_OK) &&
			  tarn_buf_printf(&d, "]") == TARN_OK && tarn_buf_cstr(&d) == TARN_OK;
		if (ok) {
			tarn_free(s->range);
			s->range = tarn_buf_steal(&d);
		}
		tarn_buf_free(&d);
	}
	ex_expr_free(l);
	ex_expr_free(h);
	return rc;
}
