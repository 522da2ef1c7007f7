/*
 * expr.c — bound expressions: construction and typing, constant folding,
 * text, and the evaluator's dispatch (eval and select over selections).
 * The kernels live in expr_kern.c, expr_cast.c, expr_str.c and func.c.
 *
 * Design notes
 *  1. Typing happens once, in the constructors: operands are coerced to a
 *     common type by wrapping them in EX_E_CAST nodes (folded when
 *     constant), so kernels never mix operand types — except decimal
 *     multiplication, whose operands keep their scales (the product's
 *     scale is their sum).
 *  2. A node's scratch array lives in the evaluation state under the
 *     node's preorder id (ex_expr_prepare); evaluating a tree touches
 *     each node's slot at most once per call, so children's results stay
 *     valid while their parent combines them.
 *  3. Conditional evaluation: AND/OR evaluate each further operand only on
 *     rows the earlier ones left undecided; CASE and COALESCE narrow the
 *     selection branch by branch and then merge the branch results in row
 *     order (choice[] per row), which keeps string offsets monotonic.
 *
 * Thread-safety: trees are immutable once prepared; struct ex_eval is
 * per thread.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base/mem.h"
#include "columnar/text.h"
#include "sql/expr_int.h"
#include "sql/expr_nested.h"

/* ---- nodes --------------------------------------------------------------------------- */

tarn_rc ex_expr_node(enum ex_expr_kind k, int n, struct ex_expr **out)
{
	*out = NULL;
	struct ex_expr *e = tarn_calloc(1, sizeof *e);
	if (!e)
		return TARN_ENOMEM;
	e->kind = k;
	tarn_type_init(&e->type, TARN_T_NULL);
	if (n > 0) {
		e->args = tarn_calloc((size_t)n, sizeof *e->args);
		if (!e->args) {
			tarn_free(e);
			return TARN_ENOMEM;
		}
	}
	e->n_args = n;
	*out = e;
	return TARN_OK;
}

void ex_expr_free(struct ex_expr *e)
{
	if (!e)
		return;
	for (int i = 0; i < e->n_args; i++)
		ex_expr_free(e->args[i]);
	tarn_free(e->args);
	tarn_type_clear(&e->type);
	tarn_free(e->name);
	tarn_array_free(e->value);
	if (e->like)
		ex_like_free(e->like);
	if (e->in)
		ex_inset_free(e->in);
	if (e->re)
		ex_regex_free(e->re);
	if (e->fn_state && e->fn_state_free)
		e->fn_state_free(e->fn_state);
	tarn_free(e);
}

static void free_list(struct ex_expr **v, int n)
{
	for (int i = 0; v && i < n; i++)
		ex_expr_free(v[i]);
}

bool ex_expr_is_const(const struct ex_expr *e)
{
	return e->kind == EX_E_CONST;
}

bool ex_type_is_scalar(enum tarn_type_id id)
{
	return id >= TARN_T_NULL && id <= TARN_T_TIMESTAMP;
}

static tarn_rc copy_value(const struct tarn_array *src, int64_t row, const struct tarn_type *t,
			  struct tarn_array **out)
{
	TRY(tarn_array_new(t, 1, out));
	tarn_rc rc = ex_is_null(src, row) || src->type->id == TARN_T_NULL
			     ? tarn_array_append_null(*out)
			     : ex_array_gather(*out, src, NULL, row, 1);
	if (rc) {
		tarn_array_free(*out);
		*out = NULL;
		return rc;
	}
	ex_array_finish(*out);
	return TARN_OK;
}

tarn_rc ex_expr_copy(const struct ex_expr *e, struct ex_expr **out)
{
	*out = NULL;
	struct ex_expr *c;
	TRY(ex_expr_node(e->kind, e->n_args, &c));
	tarn_rc rc = TARN_OK;
	c->op = e->op;
	c->negate = e->negate;
	c->try_cast = e->try_cast;
	c->ci = e->ci;
	c->col = e->col;
	c->fn = e->fn;
	c->fn_arg = e->fn_arg;
	c->months = e->months;
	c->days = e->days;
	c->micros = e->micros;
	TRY_OUT(tarn_type_copy(&c->type, &e->type));
	if (e->name && !(c->name = tarn_strdup(e->name))) {
		rc = TARN_ENOMEM;
		goto out;
	}
	if (e->value)
		TRY_OUT(copy_value(e->value, 0, &c->type, &c->value));
	for (int i = 0; i < e->n_args; i++)
		TRY_OUT(ex_expr_copy(e->args[i], &c->args[i]));
	if (e->like) {
		/* Recompile from the pattern constant (args[1]). */
		const struct tarn_array *p = e->args[1]->value;
		size_t n = 0;
		const uint8_t *s = tarn_array_get_bytes(p, 0, &n);
		int esc = -1;
		if (e->n_args > 2 && !ex_is_null(e->args[2]->value, 0)) {
			size_t en;
			const uint8_t *ep = tarn_array_get_bytes(e->args[2]->value, 0, &en);
			esc = en ? ep[0] : -1;
		}
		TRY_OUT(ex_like_compile(s, n, esc, e->ci, &c->like, NULL));
	}
	if (e->in)
		TRY_OUT(ex_inset_copy(e->in, &c->in));
	if (e->re)
		TRY_OUT(ex_regex_copy(e->re, &c->re));
	if (e->fn_state) {
		c->fn_state_free = e->fn_state_free;
		c->fn_state_copy = e->fn_state_copy;
		TRY_OUT(e->fn_state_copy(e->fn_state, &c->fn_state));
	}
out:
	if (rc) {
		ex_expr_free(c);
		return rc;
	}
	*out = c;
	return TARN_OK;
}

/* ---- leaves --------------------------------------------------------------------------- */

tarn_rc ex_expr_column(int col, const struct tarn_type *t, const char *name,
			struct ex_expr **out)
{
	struct ex_expr *e;
	TRY(ex_expr_node(EX_E_COLUMN, 0, &e));
	e->col = col;
	tarn_rc rc = tarn_type_copy(&e->type, t);
	if (!rc && name && !(e->name = tarn_strdup(name)))
		rc = TARN_ENOMEM;
	if (rc) {
		ex_expr_free(e);
		return rc;
	}
	*out = e;
	return TARN_OK;
}

tarn_rc ex_expr_const(const struct tarn_array *a, int64_t row, struct ex_expr **out)
{
	struct ex_expr *e;
	TRY(ex_expr_node(EX_E_CONST, 0, &e));
	tarn_rc rc = tarn_type_copy(&e->type, a->type);
	if (!rc)
		rc = copy_value(a, row, &e->type, &e->value);
	if (rc) {
		ex_expr_free(e);
		return rc;
	}
	*out = e;
	return TARN_OK;
}

/* A constant node of type t with an empty one-row array to fill. */
static tarn_rc const_new(const struct tarn_type *t, struct ex_expr **out)
{
	struct ex_expr *e;
	TRY(ex_expr_node(EX_E_CONST, 0, &e));
	tarn_rc rc = tarn_type_copy(&e->type, t);
	if (!rc)
		rc = tarn_array_new(&e->type, 1, &e->value);
	if (rc) {
		ex_expr_free(e);
		return rc;
	}
	*out = e;
	return TARN_OK;
}

static tarn_rc const_done(struct ex_expr *e, tarn_rc rc, struct ex_expr **out)
{
	if (rc) {
		ex_expr_free(e);
		*out = NULL;
		return rc;
	}
	ex_array_finish(e->value);
	*out = e;
	return TARN_OK;
}

tarn_rc ex_expr_const_null(const struct tarn_type *t, struct ex_expr **out)
{
	struct ex_expr *e;
	TRY(const_new(t, &e));
	return const_done(e, tarn_array_append_null(e->value), out);
}

tarn_rc ex_expr_const_int(enum tarn_type_id id, int64_t v, struct ex_expr **out)
{
	struct tarn_type t;
	tarn_type_init(&t, id);
	struct ex_expr *e;
	TRY(const_new(&t, &e));
	return const_done(e, tarn_array_append_int(e->value, v), out);
}

tarn_rc ex_expr_const_interval(int32_t months, int32_t days, int64_t micros,
			       struct ex_expr **out)
{
	struct tarn_type t;
	tarn_type_init(&t, TARN_T_INTERVAL);
	struct ex_expr *e;
	TRY(const_new(&t, &e));
	struct tarn_interval v = { months, days, micros };
	/* 16 bytes, the layout append_decimal writes */
	tarn_i128 raw;
	memcpy(&raw, &v, sizeof raw);
	return const_done(e, tarn_array_append_decimal(e->value, raw), out);
}

tarn_rc ex_expr_const_double(double v, struct ex_expr **out)
{
	struct tarn_type t;
	tarn_type_init(&t, TARN_T_FLOAT64);
	struct ex_expr *e;
	TRY(const_new(&t, &e));
	return const_done(e, tarn_array_append_double(e->value, v), out);
}

tarn_rc ex_expr_const_bool(bool v, struct ex_expr **out)
{
	struct tarn_type t;
	tarn_type_init(&t, TARN_T_BOOL);
	struct ex_expr *e;
	TRY(const_new(&t, &e));
	return const_done(e, tarn_array_append_bool(e->value, v), out);
}

tarn_rc ex_expr_const_decimal(tarn_i128 v, int precision, int scale, struct ex_expr **out)
{
	struct tarn_type t;
	tarn_type_init_decimal(&t, precision, scale);
	struct ex_expr *e;
	TRY(const_new(&t, &e));
	return const_done(e, tarn_array_append_decimal(e->value, v), out);
}

tarn_rc ex_expr_const_string(const char *s, size_t n, struct ex_expr **out)
{
	struct tarn_type t;
	tarn_type_init(&t, TARN_T_STRING);
	struct ex_expr *e;
	TRY(const_new(&t, &e));
	return const_done(e, tarn_array_append_bytes(e->value, s, n), out);
}

tarn_rc ex_expr_const_date(int32_t days, struct ex_expr **out)
{
	return ex_expr_const_int(TARN_T_DATE32, days, out);
}

tarn_rc ex_expr_const_text(const struct tarn_type *t, const char *s, size_t n,
			    struct ex_expr **out, struct tarn_err *err)
{
	*out = NULL;
	struct ex_expr *str, *c;
	TRY(ex_expr_const_string(s, n, &str));
	TRY(ex_expr_cast(str, t, false, &c, err));
	if (c->kind != EX_E_CONST) {
		/* Folding failed: evaluate again to get the conversion error. */
		struct ex_vec v;
		struct ex_eval *ev = NULL;
		struct ex_batch *b = NULL;
		ex_expr_prepare(c);
		tarn_rc rc = ex_eval_new(c, &ev);
		if (!rc)
			rc = ex_batch_new(0, &b);
		if (!rc) {
			b->n_rows = b->n_sel = 1;
			rc = ex_eval_run(ev, c, b, NULL, 1, &v, err);
		}
		ex_batch_free(b);
		ex_eval_free(ev);
		ex_expr_free(c);
		return rc ? rc : tarn_err_set(err, TARN_EINTERNAL, "constant did not fold");
	}
	*out = c;
	return TARN_OK;
}

/* ---- types ------------------------------------------------------------------------------ */

int ex_int_digits(enum tarn_type_id id)
{
	switch (id) {
	case TARN_T_BOOL: return 1;
	case TARN_T_INT8:
	case TARN_T_UINT8: return 3;
	case TARN_T_INT16:
	case TARN_T_UINT16: return 5;
	case TARN_T_INT32:
	case TARN_T_UINT32: return 10;
	case TARN_T_INT64: return 19;
	case TARN_T_UINT64: return 20;
	default: return 0;
	}
}

static bool is_int(enum tarn_type_id id)
{
	return tarn_type_is_integer(id);
}

static bool is_float(enum tarn_type_id id)
{
	return id == TARN_T_FLOAT32 || id == TARN_T_FLOAT64;
}

static bool is_numeric(enum tarn_type_id id)
{
	return is_int(id) || is_float(id) || id == TARN_T_DECIMAL128;
}

static enum tarn_type_id signed_of(int width)
{
	return width <= 1 ? TARN_T_INT8 : width == 2 ? TARN_T_INT16 : width <= 4 ? TARN_T_INT32
									   : TARN_T_INT64;
}

/* The smallest integer type holding both; uint64 with a signed type gives
 * int64 (values above INT64_MAX then fail the cast). */
static enum tarn_type_id int_common(enum tarn_type_id a, enum tarn_type_id b)
{
	int wa = tarn_type_width(a), wb = tarn_type_width(b);
	bool sa = tarn_type_is_signed(a), sb = tarn_type_is_signed(b);
	if (sa == sb)
		return wa >= wb ? a : b;
	int ws = sa ? wa : wb, wu = sa ? wb : wa;
	if (wu < ws)
		return sa ? a : b;
	return signed_of(wu * 2);
}

static void decimal_of_int(enum tarn_type_id id, struct tarn_type *out)
{
	tarn_type_init_decimal(out, ex_int_digits(id), 0);
}

static void decimal_common(int p1, int s1, int p2, int s2, struct tarn_type *out)
{
	int s = s1 > s2 ? s1 : s2;
	int d = p1 - s1 > p2 - s2 ? p1 - s1 : p2 - s2;
	int p = d + s > 38 ? 38 : d + s;
	tarn_type_init_decimal(out, p < 1 ? 1 : p, s);
}

static tarn_rc type_error(struct tarn_err *err, const char *what, const struct tarn_type *a,
			  const struct tarn_type *b)
{
	struct tarn_buf ta, tb;
	tarn_buf_init(&ta);
	tarn_buf_init(&tb);
	if (tarn_type_to_text(a, &ta) || tarn_buf_cstr(&ta) ||
	    (b && (tarn_type_to_text(b, &tb) || tarn_buf_cstr(&tb)))) {
		tarn_buf_free(&ta);
		tarn_buf_free(&tb);
		return tarn_err_nomem(err, "type error message");
	}
	tarn_rc rc;
	if (b)
		rc = tarn_err_set(err, TARN_EUSAGE, "%s: incompatible types %s and %s", what,
				  ta.data, tb.data);
	else
		rc = tarn_err_set(err, TARN_EUSAGE, "%s: unsupported type %s", what, ta.data);
	tarn_buf_free(&ta);
	tarn_buf_free(&tb);
	return rc;
}

tarn_rc ex_type_common(const struct tarn_type *a, const struct tarn_type *b,
			struct tarn_type *out, struct tarn_err *err)
{
	enum tarn_type_id x = a->id, y = b->id;
	/* an interval with NULL or text (a literal '2 hours') is an interval */
	if ((x == TARN_T_INTERVAL && (y == TARN_T_NULL || y == TARN_T_STRING)) ||
	    (y == TARN_T_INTERVAL && (x == TARN_T_NULL || x == TARN_T_STRING))) {
		tarn_type_init(out, TARN_T_INTERVAL);
		return TARN_OK;
	}
	if (x == TARN_T_INTERVAL && y == TARN_T_INTERVAL) {
		tarn_type_init(out, TARN_T_INTERVAL);
		return TARN_OK;
	}
	if (tarn_type_is_nested(x) || tarn_type_is_nested(y))
		return ex_nested_common(a, b, out, err);
	if (!ex_type_is_scalar(x) || !ex_type_is_scalar(y))
		return type_error(err, "comparison", a, b);
	if (x == TARN_T_NULL)
		return tarn_type_copy(out, b);
	if (y == TARN_T_NULL)
		return tarn_type_copy(out, a);
	if (x == y) {
		if (x == TARN_T_DECIMAL128) {
			decimal_common(a->precision, a->scale, b->precision, b->scale, out);
			return TARN_OK;
		}
		if ((x == TARN_T_TIMESTAMP || x == TARN_T_TIME64) && b->unit > a->unit)
			return tarn_type_copy(out, b);
		return tarn_type_copy(out, a);
	}
	if (is_int(x) && is_int(y)) {
		tarn_type_init(out, int_common(x, y));
		return TARN_OK;
	}
	if ((is_int(x) && y == TARN_T_DECIMAL128) || (x == TARN_T_DECIMAL128 && is_int(y))) {
		const struct tarn_type *d = x == TARN_T_DECIMAL128 ? a : b;
		int digits = ex_int_digits(is_int(x) ? x : y);
		decimal_common(d->precision, d->scale, digits, 0, out);
		return TARN_OK;
	}
	if (is_numeric(x) && is_numeric(y)) {
		/* float32 absorbs integers and decimals (DuckDB); else float64 */
		bool f64 = x == TARN_T_FLOAT64 || y == TARN_T_FLOAT64;
		tarn_type_init(out, f64 ? TARN_T_FLOAT64 : TARN_T_FLOAT32);
		return TARN_OK;
	}
	if (x == TARN_T_DATE32 && y == TARN_T_TIMESTAMP)
		return tarn_type_copy(out, b);
	if (x == TARN_T_TIMESTAMP && y == TARN_T_DATE32)
		return tarn_type_copy(out, a);
	if (x == TARN_T_STRING && y != TARN_T_BINARY)
		return tarn_type_copy(out, b);
	if (y == TARN_T_STRING && x != TARN_T_BINARY)
		return tarn_type_copy(out, a);
	if ((x == TARN_T_STRING && y == TARN_T_BINARY) || (x == TARN_T_BINARY && y == TARN_T_STRING)) {
		tarn_type_init(out, TARN_T_BINARY);
		return TARN_OK;
	}
	return type_error(err, "comparison", a, b);
}

/* ---- folding ------------------------------------------------------------------------------ */

static bool args_const(const struct ex_expr *e)
{
	for (int i = 0; i < e->n_args; i++)
		if (e->args[i]->kind != EX_E_CONST)
			return false;
	return true;
}

tarn_rc ex_expr_fold(struct ex_expr **ep)
{
	struct ex_expr *e = *ep;
	if (e->kind == EX_E_CONST || e->kind == EX_E_COLUMN || !args_const(e))
		return TARN_OK;
	if (e->kind == EX_E_LIKE && !e->like && e->n_args > 1 && e->args[1]->kind != EX_E_CONST)
		return TARN_OK;
	ex_expr_prepare(e);
	struct ex_eval *ev = NULL;
	struct ex_batch *b = NULL;
	struct ex_expr *c = NULL;
	struct tarn_err ferr = { 0 };
	tarn_rc rc = ex_eval_new(e, &ev);
	if (!rc)
		rc = ex_batch_new(0, &b);
	if (!rc) {
		b->n_rows = b->n_sel = 1;
		struct ex_vec v;
		rc = ex_eval_run(ev, e, b, NULL, 1, &v, &ferr);
		if (!rc) {
			rc = ex_expr_const(v.a, 0, &c);
			if (!rc) {
				/* keep the node's declared type (e.g. decimal scale) */
				tarn_type_clear(&c->type);
				rc = tarn_type_copy(&c->type, &e->type);
				if (!rc)
					tarn_array_retype(c->value, &c->type);
			}
		}
	}
	ex_batch_free(b);
	ex_eval_free(ev);
	if (rc == TARN_ENOMEM) {
		ex_expr_free(c);
		return rc;
	}
	if (rc || !c) {
		ex_expr_free(c);
		return TARN_OK; /* leave it: the error belongs to run time */
	}
	ex_expr_free(e);
	*ep = c;
	return TARN_OK;
}

/* Finishes a constructor: folds, or frees on failure. */
static tarn_rc finish(struct ex_expr *e, tarn_rc rc, struct ex_expr **out)
{
	if (!rc)
		rc = ex_expr_fold(&e);
	if (rc) {
		ex_expr_free(e);
		*out = NULL;
		return rc;
	}
	*out = e;
	return TARN_OK;
}

tarn_rc ex_expr_coerce(struct ex_expr **x, const struct tarn_type *t, struct tarn_err *err)
{
	if (tarn_type_equal(&(*x)->type, t) &&
	    ((*x)->type.id != TARN_T_DECIMAL128 ||
	     ((*x)->type.precision == t->precision && (*x)->type.scale == t->scale)))
		return TARN_OK;
	struct ex_expr *c;
	struct ex_expr *in = *x;
	*x = NULL;
	tarn_rc rc = ex_expr_cast(in, t, false, &c, err);
	if (rc)
		return rc;
	*x = c;
	return TARN_OK;
}

/* ---- operators ---------------------------------------------------------------------------- */

static tarn_rc binary(enum ex_expr_kind k, int op, struct ex_expr *l, struct ex_expr *r,
		      struct ex_expr **out)
{
	struct ex_expr *e;
	tarn_rc rc = ex_expr_node(k, 2, &e);
	if (rc) {
		ex_expr_free(l);
		ex_expr_free(r);
		return rc;
	}
	e->op = op;
	e->args[0] = l;
	e->args[1] = r;
	*out = e;
	return TARN_OK;
}

static const char *arith_name(int op)
{
	static const char *const names[] = { "+", "-", "*", "/", "%", "//" };
	return names[op];
}

static const char *cmp_name(int op)
{
	static const char *const names[] = { "=", "<>", "<", "<=", ">", ">=" };
	return names[op];
}

static tarn_rc int_literal_adopt(struct ex_expr *e, struct tarn_err *err);

tarn_rc ex_expr_arith(enum ex_arith op, struct ex_expr *l, struct ex_expr *r,
		       struct ex_expr **out, struct tarn_err *err)
{
	*out = NULL;
	if (ex_interval_arith_applies(op, l, r))
		return ex_interval_arith(op, l, r, out, err);
	struct ex_expr *e;
	TRY(binary(EX_E_ARITH, op, l, r, &e));
	tarn_rc rc = TARN_OK;
	struct tarn_type *lt = &e->args[0]->type, *rt = &e->args[1]->type;
	char what[32];
	snprintf(what, sizeof what, "operator %s", arith_name(op));
	/* NULL and string constants take the other side's type. */
	if (lt->id == TARN_T_NULL && rt->id != TARN_T_NULL)
		TRY_OUT(ex_expr_coerce(&e->args[0], rt, err));
	else if (rt->id == TARN_T_NULL && lt->id != TARN_T_NULL)
		TRY_OUT(ex_expr_coerce(&e->args[1], lt, err));
	else if (lt->id == TARN_T_STRING && e->args[0]->kind == EX_E_CONST && rt->id != TARN_T_STRING)
		TRY_OUT(ex_expr_coerce(&e->args[0], rt, err));
	else if (rt->id == TARN_T_STRING && e->args[1]->kind == EX_E_CONST && lt->id != TARN_T_STRING)
		TRY_OUT(ex_expr_coerce(&e->args[1], lt, err));
	TRY_OUT(int_literal_adopt(e, err));
	lt = &e->args[0]->type;
	rt = &e->args[1]->type;
	enum tarn_type_id x = lt->id, y = rt->id;
	if (x == TARN_T_NULL && y == TARN_T_NULL) {
		tarn_type_init(&e->type, TARN_T_INT32);
		goto out;
	}
	/* dates */
	if (x == TARN_T_DATE32 && is_int(y) && (op == EX_ADD || op == EX_SUB)) {
		struct tarn_type i64;
		tarn_type_init(&i64, TARN_T_INT64);
		TRY_OUT(ex_expr_coerce(&e->args[1], &i64, err));
		tarn_type_init(&e->type, TARN_T_DATE32);
		goto out;
	}
	if (is_int(x) && y == TARN_T_DATE32 && op == EX_ADD) {
		struct ex_expr *t = e->args[0];
		e->args[0] = e->args[1];
		e->args[1] = t;
		struct tarn_type i64;
		tarn_type_init(&i64, TARN_T_INT64);
		TRY_OUT(ex_expr_coerce(&e->args[1], &i64, err));
		tarn_type_init(&e->type, TARN_T_DATE32);
		goto out;
	}
	if (x == TARN_T_DATE32 && y == TARN_T_DATE32 && op == EX_SUB) {
		tarn_type_init(&e->type, TARN_T_INT64);
		goto out;
	}
	if (!is_numeric(x) || !is_numeric(y)) {
		rc = type_error(err, what, lt, rt);
		goto out;
	}
	if (op == EX_IDIV && (!is_int(x) || !is_int(y))) {
		rc = type_error(err, what, lt, rt);
		goto out;
	}
	if (is_float(x) || is_float(y) || op == EX_DIV) {
		struct tarn_type f;
		/* / on integers and decimals divides as float64 (DuckDB) */
		bool f32 = (x == TARN_T_FLOAT32 || y == TARN_T_FLOAT32) && x != TARN_T_FLOAT64 &&
			   y != TARN_T_FLOAT64;
		tarn_type_init(&f, f32 ? TARN_T_FLOAT32 : TARN_T_FLOAT64);
		TRY_OUT(ex_expr_coerce(&e->args[0], &f, err));
		TRY_OUT(ex_expr_coerce(&e->args[1], &f, err));
		TRY_OUT(tarn_type_copy(&e->type, &f));
		goto out;
	}
	if (is_int(x) && is_int(y)) {
		struct tarn_type t;
		tarn_type_init(&t, int_common(x, y));
		TRY_OUT(ex_expr_coerce(&e->args[0], &t, err));
		TRY_OUT(ex_expr_coerce(&e->args[1], &t, err));
		TRY_OUT(tarn_type_copy(&e->type, &t));
		goto out;
	}
	/* decimal arithmetic (DuckDB's rules; division gives float64) */
	struct tarn_type dl, dr;
	if (is_int(x))
		decimal_of_int(x, &dl);
	else
		tarn_type_init_decimal(&dl, lt->precision, lt->scale);
	if (is_int(y))
		decimal_of_int(y, &dr);
	else
		tarn_type_init_decimal(&dr, rt->precision, rt->scale);
	TRY_OUT(ex_expr_coerce(&e->args[0], &dl, err));
	TRY_OUT(ex_expr_coerce(&e->args[1], &dr, err));
	if (op == EX_MUL) {
		int s = dl.scale + dr.scale;
		if (s > 38) {
			rc = tarn_err_set(err, TARN_EUSAGE,
					  "decimal multiplication needs scale %d, more than 38", s);
			goto out;
		}
		int p = dl.precision + dr.precision;
		tarn_type_init_decimal(&e->type, p > 38 ? 38 : p, s);
		goto out;
	}
	int s = dl.scale > dr.scale ? dl.scale : dr.scale;
	int d = dl.precision - dl.scale > dr.precision - dr.scale ? dl.precision - dl.scale
								   : dr.precision - dr.scale;
	struct tarn_type common;
	tarn_type_init_decimal(&common, d + s > 38 ? 38 : d + s, s);
	TRY_OUT(ex_expr_coerce(&e->args[0], &common, err));
	TRY_OUT(ex_expr_coerce(&e->args[1], &common, err));
	int p = d + s + (op == EX_MOD ? 0 : 1);
	tarn_type_init_decimal(&e->type, p > 38 ? 38 : p, s);
out:
	return finish(e, rc, out);
}

tarn_rc ex_expr_neg(struct ex_expr *x, struct ex_expr **out, struct tarn_err *err)
{
	*out = NULL;
	if (x->type.id == TARN_T_INTERVAL)
		return ex_interval_arith(EX_SUB, x, NULL, out, err);
	if (!is_numeric(x->type.id) && x->type.id != TARN_T_NULL) {
		tarn_rc rc = type_error(err, "unary -", &x->type, NULL);
		ex_expr_free(x);
		return rc;
	}
	struct ex_expr *e;
	tarn_rc rc = ex_expr_node(EX_E_NEG, 1, &e);
	if (rc) {
		ex_expr_free(x);
		return rc;
	}
	e->args[0] = x;
	enum tarn_type_id id = x->type.id;
	/* unsigned values negate into the signed type twice as wide */
	if (id == TARN_T_UINT8 || id == TARN_T_UINT16 || id == TARN_T_UINT32 || id == TARN_T_UINT64) {
		struct tarn_type t;
		tarn_type_init(&t, signed_of(tarn_type_width(id) * 2));
		rc = ex_expr_coerce(&e->args[0], &t, err);
	}
	if (!rc)
		rc = tarn_type_copy(&e->type, &e->args[0]->type);
	return finish(e, rc, out);
}

static int cmp_flip(int op)
{
	switch (op) {
	case EX_LT: return EX_GT;
	case EX_LE: return EX_GE;
	case EX_GT: return EX_LT;
	case EX_GE: return EX_LE;
	default: return op;
	}
}

static int cmp_negate(int op)
{
	switch (op) {
	case EX_EQ: return EX_NE;
	case EX_NE: return EX_EQ;
	case EX_LT: return EX_GE;
	case EX_LE: return EX_GT;
	case EX_GT: return EX_LE;
	default: return EX_LT;
	}
}

/* An integer constant's value: false when c is not a non-null integer
 * constant. */
static bool const_int(const struct ex_expr *c, bool *neg, uint64_t *mag)
{
	if (c->kind != EX_E_CONST || !is_int(c->type.id) || !c->value || c->value->length < 1 ||
	    c->value->null_count)
		return false;
	const uint8_t *p = c->value->values;
	int64_t s = 0;
	uint64_t u = 0;
	switch (c->type.id) {
	case TARN_T_INT8: s = *(const int8_t *)p; break;
	case TARN_T_INT16: s = *(const int16_t *)(const void *)p; break;
	case TARN_T_INT32: s = *(const int32_t *)(const void *)p; break;
	case TARN_T_INT64: s = *(const int64_t *)(const void *)p; break;
	case TARN_T_UINT8: u = *p; break;
	case TARN_T_UINT16: u = *(const uint16_t *)(const void *)p; break;
	case TARN_T_UINT32: u = *(const uint32_t *)(const void *)p; break;
	case TARN_T_UINT64: u = *(const uint64_t *)(const void *)p; break;
	default: return false;
	}
	if (tarn_type_is_signed(c->type.id)) {
		*neg = s < 0;
		u = s < 0 ? (uint64_t)0 - (uint64_t)s : (uint64_t)s;
	} else {
		*neg = false;
	}
	*mag = u;
	return true;
}

/* Integer literals adapt (DuckDB's INTEGER_LITERAL): when one operand is an
 * integer constant whose value fits the other operand's integer type, the
 * constant takes that type, so `hash(x) >= 0` compares UBIGINTs instead of
 * widening past int64. */
static tarn_rc int_literal_adopt(struct ex_expr *e, struct tarn_err *err)
{
	for (int k = 0; k < 2; k++) {
		struct ex_expr *c = e->args[k], *o = e->args[1 - k];
		bool neg;
		uint64_t mag;
		if (o->kind == EX_E_CONST || !is_int(o->type.id) || c->type.id == o->type.id ||
		    !const_int(c, &neg, &mag))
			continue;
		int w = tarn_type_width(o->type.id);
		bool fits;
		if (tarn_type_is_signed(o->type.id)) {
			uint64_t max = w >= 8 ? (uint64_t)INT64_MAX : ((uint64_t)1 << (w * 8 - 1)) - 1;
			fits = neg ? mag <= max + 1 : mag <= max;
		} else {
			uint64_t max = w >= 8 ? UINT64_MAX : ((uint64_t)1 << (w * 8)) - 1;
			fits = !neg && mag <= max;
		}
		/* only where the usual rule would go wider than the column: an
		 * unsigned column against a signed literal */
		if (fits && !tarn_type_is_signed(o->type.id) && tarn_type_is_signed(c->type.id))
			return ex_expr_coerce(&e->args[k], &o->type, err);
	}
	return TARN_OK;
}

/* Coerces both operands of e to their common type. */
static tarn_rc coerce_pair(struct ex_expr *e, const char *what, struct tarn_err *err)
{
	struct tarn_type t;
	tarn_type_init(&t, TARN_T_NULL);
	tarn_rc rc = ex_type_common(&e->args[0]->type, &e->args[1]->type, &t, err);
	if (rc) {
		if (rc == TARN_EUSAGE)
			tarn_err_set(err, rc, "%s", what);
		return rc;
	}
	rc = ex_expr_coerce(&e->args[0], &t, err);
	if (!rc)
		rc = ex_expr_coerce(&e->args[1], &t, err);
	tarn_type_clear(&t);
	return rc;
}

static int64_t floor_days(int64_t v, int64_t per_day)
{
	int64_t q = v / per_day;
	return (v % per_day != 0 && v < 0) ? q - 1 : q;
}

/* A DATE expression compared with a TIMESTAMP constant (what
 * `d <= DATE '1998-12-01' - INTERVAL '90' DAY` becomes) is rewritten to
 * compare dates, with the operator adjusted for a constant that is not
 * midnight — so the column is not cast row by row, and range filters and
 * Parquet pruning still see a plain date column. */
static tarn_rc date_vs_timestamp(struct ex_expr *e)
{
	struct ex_expr *c = e->args[1];
	if (e->args[0]->type.id != TARN_T_DATE32 || c->kind != EX_E_CONST ||
	    c->type.id != TARN_T_TIMESTAMP || ex_is_null(c->value, 0))
		return TARN_OK;
	int64_t per_day = tarn_time_unit_per_second((enum tarn_time_unit)c->type.unit) * 86400;
	int64_t t = tarn_array_get_int(c->value, 0), day = floor_days(t, per_day);
	bool midnight = t == day * per_day;
	int op = e->op;
	switch (op) {
	case EX_LE: /* d <= t  <=>  d <= day */
	case EX_GT: break;
	case EX_LT: op = midnight ? EX_LT : EX_LE; break;
	case EX_GE: op = midnight ? EX_GE : EX_GT; break;
	default:
		if (!midnight)
			return TARN_OK; /* = / <> a non-midnight instant: cast as usual */
		break;
	}
	if (day < INT32_MIN || day > INT32_MAX)
		return TARN_OK;
	struct ex_expr *d;
	TRY(ex_expr_const_date((int32_t)day, &d));
	ex_expr_free(c);
	e->args[1] = d;
	e->op = op;
	return TARN_OK;
}

tarn_rc ex_expr_cmp(enum ex_cmp op, struct ex_expr *l, struct ex_expr *r,
		     struct ex_expr **out, struct tarn_err *err)
{
	*out = NULL;
	if (l->type.id == TARN_T_INTERVAL || r->type.id == TARN_T_INTERVAL)
		return ex_interval_cmp(op, l, r, out, err);
	struct ex_expr *e;
	/* constant on the left: flip, so kernels see (vector, constant) */
	if (l->kind == EX_E_CONST && r->kind != EX_E_CONST)
		TRY(binary(EX_E_CMP, cmp_flip(op), r, l, &e));
	else
		TRY(binary(EX_E_CMP, op, l, r, &e));
	tarn_type_init(&e->type, TARN_T_BOOL);
	char what[32];
	snprintf(what, sizeof what, "operator %s", cmp_name(e->op));
	tarn_rc rc = date_vs_timestamp(e);
	if (!rc)
		rc = int_literal_adopt(e, err);
	if (!rc)
		rc = coerce_pair(e, what, err);
	return finish(e, rc, out);
}

static tarn_rc logic(enum ex_expr_kind k, struct ex_expr **args, int n, struct ex_expr **out,
		     struct tarn_err *err)
{
	*out = NULL;
	struct tarn_type bt;
	tarn_type_init(&bt, TARN_T_BOOL);
	tarn_rc rc = TARN_OK;
	for (int i = 0; i < n && !rc; i++) {
		if (args[i]->type.id != TARN_T_BOOL && args[i]->type.id != TARN_T_NULL)
			rc = type_error(err, k == EX_E_AND ? "AND" : "OR", &args[i]->type, NULL);
		else
			rc = ex_expr_coerce(&args[i], &bt, err);
	}
	if (rc || n < 1) {
		free_list(args, n);
		return rc ? rc : TARN_EINTERNAL;
	}
	if (n == 1) {
		*out = args[0];
		return TARN_OK;
	}
	/* flatten nested ANDs (ORs) */
	int total = 0;
	for (int i = 0; i < n; i++)
		total += args[i]->kind == k ? args[i]->n_args : 1;
	struct ex_expr *e;
	rc = ex_expr_node(k, total, &e);
	if (rc) {
		free_list(args, n);
		return rc;
	}
	int j = 0;
	for (int i = 0; i < n; i++) {
		if (args[i]->kind == k) {
			for (int m = 0; m < args[i]->n_args; m++)
				e->args[j++] = args[i]->args[m];
			args[i]->n_args = 0;
			ex_expr_free(args[i]);
		} else {
			e->args[j++] = args[i];
		}
	}
	tarn_type_init(&e->type, TARN_T_BOOL);
	return finish(e, TARN_OK, out);
}

tarn_rc ex_expr_and(struct ex_expr **args, int n, struct ex_expr **out, struct tarn_err *err)
{
	return logic(EX_E_AND, args, n, out, err);
}

tarn_rc ex_expr_or(struct ex_expr **args, int n, struct ex_expr **out, struct tarn_err *err)
{
	return logic(EX_E_OR, args, n, out, err);
}

tarn_rc ex_expr_not(struct ex_expr *x, struct ex_expr **out, struct tarn_err *err)
{
	*out = NULL;
	if (x->type.id != TARN_T_BOOL && x->type.id != TARN_T_NULL) {
		tarn_rc rc = type_error(err, "NOT", &x->type, NULL);
		ex_expr_free(x);
		return rc;
	}
	/* Push NOT into nodes that have a negated form: same three-valued
	 * result, and the selection kernels apply directly. */
	switch (x->kind) {
	case EX_E_CMP: x->op = cmp_negate(x->op); *out = x; return TARN_OK;
	case EX_E_IS_NULL:
	case EX_E_DISTINCT:
	case EX_E_IN:
	case EX_E_LIKE: x->negate = !x->negate; *out = x; return TARN_OK;
	case EX_E_NOT: {
		struct ex_expr *inner = x->args[0];
		x->n_args = 0;
		ex_expr_free(x);
		*out = inner;
		return TARN_OK;
	}
	default: break;
	}
	struct ex_expr *e;
	tarn_rc rc = ex_expr_node(EX_E_NOT, 1, &e);
	if (rc) {
		ex_expr_free(x);
		return rc;
	}
	e->args[0] = x;
	tarn_type_init(&e->type, TARN_T_BOOL);
	struct tarn_type bt;
	tarn_type_init(&bt, TARN_T_BOOL);
	return finish(e, ex_expr_coerce(&e->args[0], &bt, err), out);
}

tarn_rc ex_expr_is_null(struct ex_expr *x, bool negate, struct ex_expr **out,
			 struct tarn_err *err)
{
	*out = NULL;
	struct ex_expr *e;
	tarn_rc rc = ex_expr_node(EX_E_IS_NULL, 1, &e);
	if (rc) {
		ex_expr_free(x);
		return rc;
	}
	e->args[0] = x;
	e->negate = negate;
	tarn_type_init(&e->type, TARN_T_BOOL);
	return finish(e, TARN_OK, out);
}

tarn_rc ex_expr_distinct(struct ex_expr *l, struct ex_expr *r, bool negate,
			  struct ex_expr **out, struct tarn_err *err)
{
	*out = NULL;
	struct ex_expr *e;
	TRY(binary(EX_E_DISTINCT, 0, l, r, &e));
	e->negate = negate;
	tarn_type_init(&e->type, TARN_T_BOOL);
	return finish(e, coerce_pair(e, "IS DISTINCT FROM", err), out);
}

tarn_rc ex_expr_between(struct ex_expr *x, struct ex_expr *lo, struct ex_expr *hi,
			 bool negate, struct ex_expr **out, struct tarn_err *err)
{
	*out = NULL;
	struct ex_expr *x2 = NULL, *a = NULL, *b = NULL;
	tarn_rc rc = ex_expr_copy(x, &x2);
	if (rc) {
		ex_expr_free(x);
		ex_expr_free(lo);
		ex_expr_free(hi);
		return rc;
	}
	rc = ex_expr_cmp(negate ? EX_LT : EX_GE, x, lo, &a, err);
	if (rc) {
		ex_expr_free(x2);
		ex_expr_free(hi);
		return rc;
	}
	rc = ex_expr_cmp(negate ? EX_GT : EX_LE, x2, hi, &b, err);
	if (rc) {
		ex_expr_free(a);
		return rc;
	}
	struct ex_expr *v[2] = { a, b };
	return negate ? ex_expr_or(v, 2, out, err) : ex_expr_and(v, 2, out, err);
}

tarn_rc ex_expr_in(struct ex_expr *x, struct ex_expr **list, int n, bool negate,
		    struct ex_expr **out, struct tarn_err *err)
{
	*out = NULL;
	tarn_rc rc = TARN_OK;
	bool all_const = n > 0;
	for (int i = 0; i < n; i++)
		all_const = all_const && list[i]->kind == EX_E_CONST;
	if (!all_const) {
		/* x = a OR x = b ... (x copied per item) */
		struct ex_expr **eqs = tarn_calloc((size_t)(n > 0 ? n : 1), sizeof *eqs);
		if (!eqs) {
			ex_expr_free(x);
			free_list(list, n);
			return TARN_ENOMEM;
		}
		int k = 0;
		for (; k < n && !rc; k++) {
			struct ex_expr *xc = NULL;
			rc = ex_expr_copy(x, &xc);
			if (rc) {
				ex_expr_free(list[k]);
				break;
			}
			rc = ex_expr_cmp(EX_EQ, xc, list[k], &eqs[k], err);
		}
		for (int m = k; m < n; m++)
			ex_expr_free(list[m]);
		ex_expr_free(x);
		if (rc) {
			free_list(eqs, k);
			tarn_free(eqs);
			return rc;
		}
		struct ex_expr *o;
		rc = ex_expr_or(eqs, n, &o, err);
		tarn_free(eqs);
		if (rc)
			return rc;
		return negate ? ex_expr_not(o, out, err) : (*out = o, TARN_OK);
	}
	/* constant list: common type of x and every item */
	struct tarn_type t;
	tarn_type_init(&t, TARN_T_NULL);
	rc = tarn_type_copy(&t, &x->type);
	for (int i = 0; i < n && !rc; i++) {
		struct tarn_type u;
		tarn_type_init(&u, TARN_T_NULL);
		rc = ex_type_common(&t, &list[i]->type, &u, err);
		tarn_type_clear(&t);
		t = u;
	}
	if (!rc)
		rc = ex_expr_coerce(&x, &t, err);
	for (int i = 0; i < n && !rc; i++)
		rc = ex_expr_coerce(&list[i], &t, err);
	for (int i = 0; i < n && !rc; i++)
		if (list[i]->kind != EX_E_CONST)
			rc = tarn_err_set(err, TARN_EDATA, "IN list item does not convert to the "
							   "type of the tested value");
	struct ex_expr *e = NULL;
	if (!rc)
		rc = ex_expr_node(EX_E_IN, 1, &e);
	if (!rc) {
		e->args[0] = x;
		x = NULL;
		e->negate = negate;
		tarn_type_init(&e->type, TARN_T_BOOL);
		rc = ex_inset_new(&e->args[0]->type, list, n, &e->in);
	}
	tarn_type_clear(&t);
	free_list(list, n);
	ex_expr_free(x);
	if (rc) {
		ex_expr_free(e);
		return rc;
	}
	return finish(e, TARN_OK, out);
}

tarn_rc ex_expr_like(struct ex_expr *x, struct ex_expr *pattern, struct ex_expr *esc, bool ci,
		      bool negate, struct ex_expr **out, struct tarn_err *err)
{
	*out = NULL;
	struct ex_expr *e;
	tarn_rc rc = ex_expr_node(EX_E_LIKE, esc ? 3 : 2, &e);
	if (rc) {
		ex_expr_free(x);
		ex_expr_free(pattern);
		ex_expr_free(esc);
		return rc;
	}
	e->args[0] = x;
	e->args[1] = pattern;
	if (esc)
		e->args[2] = esc;
	e->ci = ci;
	e->negate = negate;
	tarn_type_init(&e->type, TARN_T_BOOL);
	struct tarn_type st;
	tarn_type_init(&st, TARN_T_STRING);
	TRY_OUT(ex_expr_coerce(&e->args[0], &st, err));
	TRY_OUT(ex_expr_coerce(&e->args[1], &st, err));
	int ec = -1;
	if (esc) {
		TRY_OUT(ex_expr_coerce(&e->args[2], &st, err));
		if (e->args[2]->kind != EX_E_CONST) {
			rc = tarn_err_set(err, TARN_EUNSUPPORTED, "LIKE ... ESCAPE needs a constant");
			goto out;
		}
		const struct tarn_array *ea = e->args[2]->value;
		if (!ex_is_null(ea, 0)) {
			size_t en;
			const uint8_t *ep = tarn_array_get_bytes(ea, 0, &en);
			if (en != 1) {
				rc = tarn_err_set(err, TARN_EUSAGE,
						  "LIKE ESCAPE must be a single character");
				goto out;
			}
			ec = ep[0];
		}
	}
	if (e->args[1]->kind == EX_E_CONST && !ex_is_null(e->args[1]->value, 0)) {
		size_t pn;
		const uint8_t *pp = tarn_array_get_bytes(e->args[1]->value, 0, &pn);
		TRY_OUT(ex_like_compile(pp, pn, ec, ci, &e->like, err));
	}
out:
	return finish(e, rc, out);
}

/* The common type of n expressions (NULL-typed ones adapt). */
static tarn_rc common_of(struct ex_expr **v, int n, struct tarn_type *t, const char *what,
			 struct tarn_err *err)
{
	tarn_type_init(t, TARN_T_NULL);
	for (int i = 0; i < n; i++) {
		if (!v[i])
			continue;
		struct tarn_type u;
		tarn_type_init(&u, TARN_T_NULL);
		tarn_rc rc = ex_type_common(t, &v[i]->type, &u, err);
		if (rc) {
			tarn_type_clear(t);
			if (rc == TARN_EUSAGE)
				tarn_err_set(err, rc, "%s", what);
			return rc;
		}
		tarn_type_clear(t);
		*t = u;
	}
	return TARN_OK;
}

tarn_rc ex_expr_case(struct ex_expr **whens, struct ex_expr **thens, int n,
		      struct ex_expr *els, struct ex_expr **out, struct tarn_err *err)
{
	*out = NULL;
	struct ex_expr *e;
	tarn_rc rc = ex_expr_node(EX_E_CASE, 2 * n + 1, &e);
	if (rc) {
		free_list(whens, n);
		free_list(thens, n);
		ex_expr_free(els);
		return rc;
	}
	for (int i = 0; i < n; i++) {
		e->args[2 * i] = whens[i];
		e->args[2 * i + 1] = thens[i];
	}
	struct tarn_type bt, t;
	tarn_type_init(&bt, TARN_T_BOOL);
	tarn_type_init(&t, TARN_T_NULL);
	for (int i = 0; i < n && !rc; i++)
		if (e->args[2 * i]->type.id != TARN_T_BOOL && e->args[2 * i]->type.id != TARN_T_NULL)
			rc = type_error(err, "CASE WHEN", &e->args[2 * i]->type, NULL);
		else
			rc = ex_expr_coerce(&e->args[2 * i], &bt, err);
	if (!rc) {
		struct ex_expr **vals = tarn_calloc((size_t)n + 1, sizeof *vals);
		if (!vals) {
			rc = TARN_ENOMEM;
		} else {
			for (int i = 0; i < n; i++)
				vals[i] = e->args[2 * i + 1];
			vals[n] = els;
			rc = common_of(vals, n + 1, &t, "CASE branches have incompatible types", err);
			tarn_free(vals);
		}
	}
	if (!rc && !els)
		rc = ex_expr_const_null(&t, &els);
	e->args[2 * n] = els;
	for (int i = 0; i < n && !rc; i++)
		rc = ex_expr_coerce(&e->args[2 * i + 1], &t, err);
	if (!rc)
		rc = ex_expr_coerce(&e->args[2 * n], &t, err);
	if (!rc)
		rc = tarn_type_copy(&e->type, &t);
	tarn_type_clear(&t);
	return finish(e, rc, out);
}

tarn_rc ex_expr_coalesce(struct ex_expr **args, int n, struct ex_expr **out,
			  struct tarn_err *err)
{
	*out = NULL;
	struct ex_expr *e;
	tarn_rc rc = ex_expr_node(EX_E_COALESCE, n, &e);
	if (rc) {
		free_list(args, n);
		return rc;
	}
	memcpy(e->args, args, (size_t)n * sizeof *args);
	struct tarn_type t;
	rc = common_of(e->args, n, &t, "COALESCE arguments have incompatible types", err);
	for (int i = 0; i < n && !rc; i++)
		rc = ex_expr_coerce(&e->args[i], &t, err);
	if (!rc)
		rc = tarn_type_copy(&e->type, &t);
	tarn_type_clear(&t);
	return finish(e, rc, out);
}

tarn_rc ex_expr_nullif(struct ex_expr *a, struct ex_expr *b, struct ex_expr **out,
			struct tarn_err *err)
{
	*out = NULL;
	struct ex_expr *e;
	TRY(binary(EX_E_NULLIF, 0, a, b, &e));
	tarn_rc rc = coerce_pair(e, "NULLIF arguments have incompatible types", err);
	if (!rc)
		rc = tarn_type_copy(&e->type, &e->args[0]->type);
	return finish(e, rc, out);
}

tarn_rc ex_expr_cast(struct ex_expr *x, const struct tarn_type *t, bool try_cast,
		      struct ex_expr **out, struct tarn_err *err)
{
	*out = NULL;
	if (tarn_type_equal(&x->type, t) &&
	    (t->id != TARN_T_DECIMAL128 ||
	     (x->type.precision == t->precision && x->type.scale == t->scale))) {
		*out = x; /* nothing to convert */
		return TARN_OK;
	}
	if (!ex_cast_allowed(&x->type, t)) {
		tarn_rc rc = type_error(err, "CAST", &x->type, t);
		ex_expr_free(x);
		return rc;
	}
	struct ex_expr *e;
	tarn_rc rc = ex_expr_node(EX_E_CAST, 1, &e);
	if (rc) {
		ex_expr_free(x);
		return rc;
	}
	e->args[0] = x;
	e->try_cast = try_cast;
	rc = tarn_type_copy(&e->type, t);
	return finish(e, rc, out);
}

const char *ex_func_suggest(const char *name)
{
	const char *best = NULL;
	int bd = 3;
	const struct ex_func *f;
	for (int i = 0; (f = ex_func_at(i)) != NULL; i++) {
		if (!((f->name[0] | 32) >= 'a' && (f->name[0] | 32) <= 'z'))
			continue; /* operators (||, &, <<) are not names to suggest */
		int d = tarn_edit_distance(name, f->name, true);
		if (d < bd) {
			bd = d;
			best = f->name;
		}
	}
	return best;
}

tarn_rc ex_expr_func(const char *name, struct ex_expr **args, int n, struct ex_expr **out,
		     struct tarn_err *err)
{
	*out = NULL;
	if (!strcasecmp(name, "coalesce"))
		return ex_expr_coalesce(args, n, out, err);
	if (!strcasecmp(name, "ifnull")) {
		if (n != 2) {
			free_list(args, n);
			return tarn_err_set(err, TARN_EUSAGE, "ifnull takes 2 arguments, not %d", n);
		}
		return ex_expr_coalesce(args, n, out, err);
	}
	if (!strcasecmp(name, "nullif")) {
		if (n != 2) {
			free_list(args, n);
			return tarn_err_set(err, TARN_EUSAGE, "nullif takes 2 arguments, not %d", n);
		}
		return ex_expr_nullif(args[0], args[1], out, err);
	}
	const struct ex_func *f = ex_nested_func_find(name, args, n);
	if (!f)
		f = ex_func_find(name);
	if (!f) {
		free_list(args, n);
		const char *near = ex_func_suggest(name);
		if (near)
			return tarn_err_set(err, TARN_ENOTFOUND, "unknown function %s(); did you mean %s()?",
					    name, near);
		return tarn_err_set(err, TARN_ENOTFOUND, "unknown function %s()", name);
	}
	if (n < f->min_args || (f->max_args >= 0 && n > f->max_args)) {
		free_list(args, n);
		if (f->max_args < 0)
			return tarn_err_set(err, TARN_EUSAGE, "%s takes at least %d arguments, not %d",
					    f->name, f->min_args, n);
		if (f->min_args == f->max_args)
			return tarn_err_set(err, TARN_EUSAGE, "%s takes %d argument%s, not %d",
					    f->name, f->min_args, f->min_args == 1 ? "" : "s", n);
		return tarn_err_set(err, TARN_EUSAGE, "%s takes %d to %d arguments, not %d", f->name,
				    f->min_args, f->max_args, n);
	}
	for (int i = 0; i < n && !ex_func_is_nested(f); i++)
		if (!ex_type_is_scalar(args[i]->type.id) && args[i]->type.id != TARN_T_INTERVAL) {
			tarn_rc rc = type_error(err, f->name, &args[i]->type, NULL);
			free_list(args, n);
			return rc;
		}
	struct ex_expr *e;
	tarn_rc rc = ex_expr_node(EX_E_FUNC, n, &e);
	if (rc) {
		free_list(args, n);
		return rc;
	}
	if (n > 0)
		memcpy(e->args, args, (size_t)n * sizeof *args);
	e->fn = f;
	rc = f->bind(e, err);
	return finish(e, rc, out);
}

tarn_rc ex_expr_date_add(struct ex_expr *x, int32_t months, int32_t days, int64_t micros,
			  struct ex_expr **out, struct tarn_err *err)
{
	*out = NULL;
	enum tarn_type_id id = x->type.id;
	if (id != TARN_T_DATE32 && id != TARN_T_TIMESTAMP && id != TARN_T_NULL) {
		tarn_rc rc = type_error(err, "date + interval", &x->type, NULL);
		ex_expr_free(x);
		return rc;
	}
	struct ex_expr *e;
	tarn_rc rc = ex_expr_node(EX_E_DATE_ADD, 1, &e);
	if (rc) {
		ex_expr_free(x);
		return rc;
	}
	e->args[0] = x;
	e->months = months;
	e->days = days;
	e->micros = micros;
	if (id == TARN_T_TIMESTAMP)
		rc = tarn_type_copy(&e->type, &x->type);
	else /* date + interval is a timestamp, as in DuckDB */
		rc = tarn_type_init_timestamp(&e->type, TARN_UNIT_US, NULL);
	if (!rc && id == TARN_T_NULL)
		rc = ex_expr_coerce(&e->args[0], &e->type, err);
	return finish(e, rc, out);
}

/* ---- prepare, text ------------------------------------------------------------------------ */

static int number(struct ex_expr *e, int next)
{
	e->id = next++;
	for (int i = 0; i < e->n_args; i++)
		next = number(e->args[i], next);
	return next;
}

void ex_expr_prepare(struct ex_expr *e)
{
	e->n_nodes = number(e, 0);
}

void ex_value_text(const struct tarn_array *a, int64_t i, char *buf, size_t cap)
{
	if (ex_is_null(a, i) || a->type->id == TARN_T_NULL) {
		snprintf(buf, cap, "NULL");
		return;
	}
	struct tarn_buf b;
	tarn_buf_init(&b);
	bool str = a->type->id == TARN_T_STRING;
	if ((str && tarn_buf_putc(&b, '\'')) || tarn_value_to_text(a, i, false, &b) ||
	    (str && tarn_buf_putc(&b, '\''))) {
		snprintf(buf, cap, "?");
		tarn_buf_free(&b);
		return;
	}
	if (b.len > 80) {
		snprintf(buf, cap, "%.*s...", 77, b.data);
	} else {
		snprintf(buf, cap, "%.*s", (int)b.len, b.data ? b.data : "");
	}
	tarn_buf_free(&b);
}

static tarn_rc text_list(struct ex_expr *const *v, int n, const char *sep, struct tarn_buf *out)
{
	for (int i = 0; i < n; i++) {
		if (i)
			TRY(tarn_buf_append(out, sep, strlen(sep)));
		TRY(ex_expr_text(v[i], out));
	}
	return TARN_OK;
}

#define PUTS(s) TRY(tarn_buf_append(out, (s), strlen(s)))

tarn_rc ex_expr_text(const struct ex_expr *e, struct tarn_buf *out)
{
	switch (e->kind) {
	case EX_E_COLUMN:
		if (e->name)
			PUTS(e->name);
		else
			TRY(tarn_buf_printf(out, "#%d", e->col));
		return TARN_OK;
	case EX_E_CONST: {
		char v[120];
		ex_value_text(e->value, 0, v, sizeof v);
		if (e->type.id == TARN_T_DATE32)
			PUTS("DATE ");
		PUTS(v);
		return TARN_OK;
	}
	case EX_E_ARITH:
	case EX_E_CMP:
		PUTS("(");
		TRY(ex_expr_text(e->args[0], out));
		TRY(tarn_buf_printf(out, " %s ", e->kind == EX_E_ARITH ? arith_name(e->op)
								       : cmp_name(e->op)));
		TRY(ex_expr_text(e->args[1], out));
		PUTS(")");
		return TARN_OK;
	case EX_E_NEG:
		PUTS("-");
		return ex_expr_text(e->args[0], out);
	case EX_E_AND:
	case EX_E_OR:
		PUTS("(");
		TRY(text_list(e->args, e->n_args, e->kind == EX_E_AND ? " AND " : " OR ", out));
		PUTS(")");
		return TARN_OK;
	case EX_E_NOT:
		PUTS("NOT ");
		return ex_expr_text(e->args[0], out);
	case EX_E_IS_NULL:
		TRY(ex_expr_text(e->args[0], out));
		PUTS(e->negate ? " IS NOT NULL" : " IS NULL");
		return TARN_OK;
	case EX_E_DISTINCT:
		TRY(ex_expr_text(e->args[0], out));
		PUTS(e->negate ? " IS NOT DISTINCT FROM " : " IS DISTINCT FROM ");
		return ex_expr_text(e->args[1], out);
	case EX_E_IN:
		TRY(ex_expr_text(e->args[0], out));
		PUTS(e->negate ? " NOT IN (" : " IN (");
		ex_inset_text(e->in, out);
		PUTS(")");
		return TARN_OK;
	case EX_E_LIKE:
		TRY(ex_expr_text(e->args[0], out));
		PUTS(e->negate ? " NOT" : "");
		PUTS(e->ci ? " ILIKE " : " LIKE ");
		TRY(ex_expr_text(e->args[1], out));
		if (e->n_args > 2) {
			PUTS(" ESCAPE ");
			TRY(ex_expr_text(e->args[2], out));
		}
		return TARN_OK;
	case EX_E_CASE:
		PUTS("CASE");
		for (int i = 0; i + 1 < e->n_args; i += 2) {
			PUTS(" WHEN ");
			TRY(ex_expr_text(e->args[i], out));
			PUTS(" THEN ");
			TRY(ex_expr_text(e->args[i + 1], out));
		}
		PUTS(" ELSE ");
		TRY(ex_expr_text(e->args[e->n_args - 1], out));
		PUTS(" END");
		return TARN_OK;
	case EX_E_COALESCE:
	case EX_E_NULLIF:
	case EX_E_FUNC:
		PUTS(e->kind == EX_E_COALESCE ? "coalesce" : e->kind == EX_E_NULLIF ? "nullif"
										     : e->fn->name);
		PUTS("(");
		TRY(text_list(e->args, e->n_args, ", ", out));
		PUTS(")");
		return TARN_OK;
	case EX_E_CAST: {
		PUTS(e->try_cast ? "TRY_CAST(" : "CAST(");
		TRY(ex_expr_text(e->args[0], out));
		PUTS(" AS ");
		TRY(tarn_type_to_text(&e->type, out));
		PUTS(")");
		return TARN_OK;
	}
	case EX_E_DATE_ADD:
		PUTS("(");
		TRY(ex_expr_text(e->args[0], out));
		TRY(tarn_buf_printf(out, " + INTERVAL '%d months %d days %lld microseconds')",
				    (int)e->months, (int)e->days, (long long)e->micros));
		return TARN_OK;
	}
	return TARN_OK;
}

/* ---- evaluation state ----------------------------------------------------------------------- */

struct slot {
	struct tarn_array *arr;
	uint32_t *sel[3];  /* selection buffers (CASE, COALESCE, AND/OR) */
	uint16_t *choice;  /* CASE/COALESCE: which branch each row took */
	int64_t cap;       /* rows the buffers hold */
	struct ex_vec *args; /* FUNC: evaluated arguments */
};

struct ex_eval {
	int n;
	struct slot *s;
};

tarn_rc ex_eval_new(const struct ex_expr *root, struct ex_eval **out)
{
	*out = NULL;
	struct ex_eval *ev = tarn_calloc(1, sizeof *ev);
	if (!ev)
		return TARN_ENOMEM;
	ev->n = root->n_nodes > 0 ? root->n_nodes : 1;
	ev->s = tarn_calloc((size_t)ev->n, sizeof *ev->s);
	if (!ev->s) {
		tarn_free(ev);
		return TARN_ENOMEM;
	}
	*out = ev;
	return TARN_OK;
}

void ex_eval_free(struct ex_eval *ev)
{
	if (!ev)
		return;
	for (int i = 0; i < ev->n; i++) {
		struct slot *s = &ev->s[i];
		tarn_array_free(s->arr);
		for (int k = 0; k < 3; k++)
			tarn_free(s->sel[k]);
		tarn_free(s->choice);
		tarn_free(s->args);
	}
	tarn_free(ev->s);
	tarn_free(ev);
}

static tarn_rc slot_buffers(struct slot *s, int64_t rows, bool choice)
{
	if (rows < 1)
		rows = 1;
	if (s->cap < rows) {
		for (int k = 0; k < 3; k++) {
			tarn_free(s->sel[k]);
			s->sel[k] = NULL;
		}
		tarn_free(s->choice);
		s->choice = NULL;
		s->cap = 0;
		for (int k = 0; k < 3; k++)
			if (!(s->sel[k] = tarn_malloc((size_t)rows * sizeof(uint32_t))))
				return TARN_ENOMEM;
		s->cap = rows;
	}
	if (choice && !s->choice && !(s->choice = tarn_malloc((size_t)s->cap * sizeof(uint16_t))))
		return TARN_ENOMEM;
	return TARN_OK;
}

static tarn_rc eval_node(struct ex_eval *ev, const struct ex_expr *e, const struct ex_batch *b,
			 const uint32_t *sel, int64_t n, struct ex_vec *out,
			 struct tarn_err *err);
static tarn_rc select_node(struct ex_eval *ev, const struct ex_expr *e,
			   const struct ex_batch *b, const uint32_t *sel, int64_t n,
			   uint32_t *out, int64_t *n_out, struct tarn_err *err);

/* A boolean result's truth at row i: 1 true, 0 false, -1 null. */
static inline int truth(const struct ex_vec *v, int64_t i)
{
	int64_t r = VROW(v, i);
	if (ex_is_null(v->a, r) || v->a->type->id == TARN_T_NULL)
		return -1;
	return tarn_bit_get(v->a->values, r);
}

/* Rows of sel (NULL = 0..n) where the boolean v has truth `want`. */
static int64_t pick(const struct ex_vec *v, int want, const uint32_t *sel, int64_t n,
		    uint32_t *out)
{
	int64_t m = 0;
	if (v->is_const) {
		if (truth(v, 0) != want)
			return 0;
		for (int64_t k = 0; k < n; k++)
			out[k] = sel ? sel[k] : (uint32_t)k;
		return n;
	}
	const uint8_t *bits = v->a->values, *valid = ex_has_nulls(v->a) ? v->a->validity : NULL;
	if (want == 1 && !valid && !sel) {
		for (int64_t i = 0; i < n; i++) {
			out[m] = (uint32_t)i;
			m += (bits[i >> 3] >> (i & 7)) & 1;
		}
		return m;
	}
	for (int64_t k = 0; k < n; k++) {
		uint32_t i = sel ? sel[k] : (uint32_t)k;
		int t = valid && !((valid[i >> 3] >> (i & 7)) & 1) ? -1 : (bits[i >> 3] >> (i & 7)) & 1;
		out[m] = i;
		m += t == want;
	}
	return m;
}

/* a minus b, both ascending (b a subset of a). */
static int64_t sel_minus(const uint32_t *a, int64_t na, const uint32_t *b, int64_t nb,
			 uint32_t *out)
{
	int64_t m = 0, j = 0;
	for (int64_t k = 0; k < na; k++) {
		uint32_t i = a ? a[k] : (uint32_t)k;
		if (j < nb && b[j] == i) {
			j++;
			continue;
		}
		out[m++] = i;
	}
	return m;
}

/* Union of ascending a and b into out. */
static int64_t sel_union(const uint32_t *a, int64_t na, const uint32_t *b, int64_t nb,
			 uint32_t *out)
{
	int64_t i = 0, j = 0, m = 0;
	while (i < na && j < nb)
		out[m++] = a[i] < b[j] ? a[i++] : b[j++];
	while (i < na)
		out[m++] = a[i++];
	while (j < nb)
		out[m++] = b[j++];
	return m;
}

/* Writes r[i] = vals[choice[i]][i] for every selected row, in row order. */
static tarn_rc merge_choices(struct tarn_array *r, const struct ex_vec *vals,
			     const uint16_t *choice, uint16_t none, const uint32_t *sel, int64_t n)
{
	if (tarn_type_is_nested(r->type->id))
		return ex_nested_merge(r, vals, choice, none, sel, n);
	bool nulls = false;
	for (int64_t k = 0; k < n && !nulls; k++) {
		uint32_t i = sel ? sel[k] : (uint32_t)k;
		nulls = choice[i] == none || vec_null(&vals[choice[i]], i);
	}
	if (nulls)
		TRY(ex_scratch_validity(r));
	enum tarn_type_id id = r->type->id;
	if (id == TARN_T_STRING || id == TARN_T_BINARY) {
		int64_t bytes = 0;
		for (int64_t k = 0; k < n; k++) {
			uint32_t i = sel ? sel[k] : (uint32_t)k;
			if (choice[i] == none)
				continue;
			const struct ex_vec *v = &vals[choice[i]];
			int64_t j = VROW(v, i);
			bytes += v->a->offsets[j + 1] - v->a->offsets[j];
		}
		TRY(tarn_array_reserve_bytes(r, bytes));
		int32_t off = 0;
		int64_t next = 0; /* rows before the next selected one are empty */
		for (int64_t k = 0; k < n; k++) {
			uint32_t i = sel ? sel[k] : (uint32_t)k;
			for (; next <= i; next++)
				r->offsets[next] = off;
			if (choice[i] != none) {
				const struct ex_vec *v = &vals[choice[i]];
				int64_t j = VROW(v, i);
				int32_t s = v->a->offsets[j], len = v->a->offsets[j + 1] - s;
				memcpy(r->values + off, v->a->values + s, (size_t)len);
				off += len;
			}
		}
		for (; next <= r->length; next++)
			r->offsets[next] = off;
		r->values_len = off;
	} else if (id == TARN_T_BOOL) {
		for (int64_t k = 0; k < n; k++) {
			uint32_t i = sel ? sel[k] : (uint32_t)k;
			if (choice[i] == none)
				continue;
			const struct ex_vec *v = &vals[choice[i]];
			bits_set(r->values, i, tarn_bit_get(v->a->values, VROW(v, i)));
		}
	} else if (id != TARN_T_NULL) {
		int w = tarn_type_width(id);
		for (int64_t k = 0; k < n; k++) {
			uint32_t i = sel ? sel[k] : (uint32_t)k;
			if (choice[i] == none)
				continue;
			const struct ex_vec *v = &vals[choice[i]];
			memcpy(r->values + (int64_t)i * w, v->a->values + VROW(v, i) * w, (size_t)w);
		}
	}
	if (nulls)
		for (int64_t k = 0; k < n; k++) {
			uint32_t i = sel ? sel[k] : (uint32_t)k;
			if (choice[i] == none || vec_null(&vals[choice[i]], i))
				ex_set_null(r, i);
		}
	return TARN_OK;
}

static tarn_rc eval_case(struct ex_eval *ev, const struct ex_expr *e, const struct ex_batch *b,
			 const uint32_t *sel, int64_t n, struct tarn_array *r,
			 struct tarn_err *err)
{
	struct slot *s = &ev->s[e->id];
	TRY(slot_buffers(s, b->n_rows, true));
	int nb = e->n_args / 2 + 1; /* branches incl. ELSE */
	struct ex_vec vals[64], *vp = vals;
	if (nb > 64 && !(vp = tarn_malloc((size_t)nb * sizeof *vp)))
		return TARN_ENOMEM;
	tarn_rc rc = TARN_OK;
	uint32_t *rem = s->sel[0], *hit = s->sel[1], *rest = s->sel[2];
	int64_t n_rem = n;
	for (int64_t k = 0; k < n; k++)
		rem[k] = sel ? sel[k] : (uint32_t)k;
	for (int bi = 0; bi < nb; bi++)
		vp[bi] = (struct ex_vec){ e->args[e->n_args - 1]->value, true };
	for (int w = 0; w + 1 < e->n_args && n_rem > 0; w += 2) {
		int64_t n_hit;
		rc = select_node(ev, e->args[w], b, rem, n_rem, hit, &n_hit, err);
		if (rc)
			goto out;
		if (n_hit == 0)
			continue;
		rc = eval_node(ev, e->args[w + 1], b, hit, n_hit, &vp[w / 2], err);
		if (rc)
			goto out;
		for (int64_t k = 0; k < n_hit; k++)
			s->choice[hit[k]] = (uint16_t)(w / 2);
		int64_t n_rest = sel_minus(rem, n_rem, hit, n_hit, rest);
		uint32_t *t = rem;
		rem = rest;
		rest = t;
		n_rem = n_rest;
	}
	if (n_rem > 0) {
		rc = eval_node(ev, e->args[e->n_args - 1], b, rem, n_rem, &vp[nb - 1], err);
		if (rc)
			goto out;
		for (int64_t k = 0; k < n_rem; k++)
			s->choice[rem[k]] = (uint16_t)(nb - 1);
	}
	rc = merge_choices(r, vp, s->choice, UINT16_MAX, sel, n);
out:
	if (vp != vals)
		tarn_free(vp);
	return rc;
}

static tarn_rc eval_coalesce(struct ex_eval *ev, const struct ex_expr *e,
			     const struct ex_batch *b, const uint32_t *sel, int64_t n,
			     struct tarn_array *r, struct tarn_err *err)
{
	struct slot *s = &ev->s[e->id];
	TRY(slot_buffers(s, b->n_rows, true));
	struct ex_vec vals[64], *vp = vals;
	if (e->n_args > 64 && !(vp = tarn_malloc((size_t)e->n_args * sizeof *vp)))
		return TARN_ENOMEM;
	tarn_rc rc = TARN_OK;
	uint32_t *rem = s->sel[0], *rest = s->sel[1];
	int64_t n_rem = n;
	for (int64_t k = 0; k < n; k++) {
		rem[k] = sel ? sel[k] : (uint32_t)k;
		s->choice[rem[k]] = UINT16_MAX;
	}
	for (int a = 0; a < e->n_args && n_rem > 0; a++) {
		rc = eval_node(ev, e->args[a], b, rem, n_rem, &vp[a], err);
		if (rc)
			goto out;
		int64_t m = 0;
		for (int64_t k = 0; k < n_rem; k++) {
			uint32_t i = rem[k];
			if (vec_null(&vp[a], i) || vp[a].a->type->id == TARN_T_NULL)
				rest[m++] = i;
			else
				s->choice[i] = (uint16_t)a;
		}
		uint32_t *t = rem;
		rem = rest;
		rest = t;
		n_rem = m;
	}
	rc = merge_choices(r, vp, s->choice, UINT16_MAX, sel, n);
out:
	if (vp != vals)
		tarn_free(vp);
	return rc;
}

/* AND/OR in value form: each further operand only on undecided rows. */
static tarn_rc eval_logic(struct ex_eval *ev, const struct ex_expr *e, const struct ex_batch *b,
			  const uint32_t *sel, int64_t n, struct tarn_array *r,
			  struct tarn_err *err)
{
	bool is_and = e->kind == EX_E_AND;
	int decided = is_and ? 0 : 1; /* the value that settles a row */
	struct slot *s = &ev->s[e->id];
	TRY(slot_buffers(s, b->n_rows, false));
	struct ex_vec v;
	TRY(eval_node(ev, e->args[0], b, sel, n, &v, err));
	bool nulls = false;
	uint32_t *und = s->sel[0];
	int64_t n_und = 0;
	for (int64_t k = 0; k < n; k++) {
		uint32_t i = sel ? sel[k] : (uint32_t)k;
		int t = truth(&v, i);
		if (t < 0) {
			if (!nulls) {
				TRY(ex_scratch_validity(r));
				nulls = true;
			}
			ex_set_null(r, i);
		} else {
			bits_set(r->values, i, t);
		}
		if (t != decided)
			und[n_und++] = i;
	}
	for (int a = 1; a < e->n_args && n_und > 0; a++) {
		TRY(eval_node(ev, e->args[a], b, und, n_und, &v, err));
		int64_t m = 0;
		for (int64_t k = 0; k < n_und; k++) {
			uint32_t i = und[k];
			int t = truth(&v, i);
			bool cur_null = nulls && !tarn_bit_get(r->validity, i);
			if (t == decided) {
				bits_set(r->values, i, decided);
				if (cur_null)
					tarn_bit_set(r->validity, i, true);
				continue;
			}
			if (t < 0 && !cur_null) {
				if (!nulls) {
					TRY(ex_scratch_validity(r));
					nulls = true;
				}
				ex_set_null(r, i);
			}
			und[m++] = i;
		}
		n_und = m;
	}
	return TARN_OK;
}

static tarn_rc eval_node(struct ex_eval *ev, const struct ex_expr *e, const struct ex_batch *b,
			 const uint32_t *sel, int64_t n, struct ex_vec *out,
			 struct tarn_err *err)
{
	if (e->kind == EX_E_COLUMN) {
		if (e->col < 0 || e->col >= b->n_cols)
			return tarn_err_set(err, TARN_EINTERNAL, "column #%d out of range (%d columns)",
					    e->col, b->n_cols);
		out->a = b->cols[e->col];
		out->is_const = false;
		return TARN_OK;
	}
	if (e->kind == EX_E_CONST) {
		out->a = e->value;
		out->is_const = true;
		return TARN_OK;
	}
	struct slot *s = &ev->s[e->id];
	if (ex_scratch_prepare(&s->arr, &e->type, b->n_rows))
		return tarn_err_nomem(err, "expression result");
	struct tarn_array *r = s->arr;
	out->a = r;
	out->is_const = false;
	struct ex_vec a, c;
	switch (e->kind) {
	case EX_E_ARITH:
		TRY(eval_node(ev, e->args[0], b, sel, n, &a, err));
		TRY(eval_node(ev, e->args[1], b, sel, n, &c, err));
		return ex_kern_arith(e, &a, &c, sel, n, r, err);
	case EX_E_NEG:
		TRY(eval_node(ev, e->args[0], b, sel, n, &a, err));
		return ex_kern_neg(e, &a, sel, n, r, err);
	case EX_E_CMP:
		TRY(eval_node(ev, e->args[0], b, sel, n, &a, err));
		TRY(eval_node(ev, e->args[1], b, sel, n, &c, err));
		return ex_kern_cmp(e->op, &a, &c, sel, n, r);
	case EX_E_AND:
	case EX_E_OR: return eval_logic(ev, e, b, sel, n, r, err);
	case EX_E_NOT: {
		TRY(eval_node(ev, e->args[0], b, sel, n, &a, err));
		struct ex_vec vv[1] = { a };
		TRY(ex_validity_and(r, vv, 1, b->n_rows));
		for (int64_t k = 0; k < n; k++) {
			uint32_t i = sel ? sel[k] : (uint32_t)k;
			int t = truth(&a, i);
			bits_set(r->values, i, t == 0);
		}
		return TARN_OK;
	}
	case EX_E_IS_NULL:
		TRY(eval_node(ev, e->args[0], b, sel, n, &a, err));
		for (int64_t k = 0; k < n; k++) {
			uint32_t i = sel ? sel[k] : (uint32_t)k;
			bool isn = vec_null(&a, i) || a.a->type->id == TARN_T_NULL;
			bits_set(r->values, i, isn != e->negate);
		}
		return TARN_OK;
	case EX_E_DISTINCT:
		TRY(eval_node(ev, e->args[0], b, sel, n, &a, err));
		TRY(eval_node(ev, e->args[1], b, sel, n, &c, err));
		return ex_kern_distinct(e->negate, &a, &c, sel, n, r);
	case EX_E_IN:
		TRY(eval_node(ev, e->args[0], b, sel, n, &a, err));
		return ex_kern_in(e, &a, sel, n, r);
	case EX_E_LIKE: {
		TRY(eval_node(ev, e->args[0], b, sel, n, &a, err));
		TRY(eval_node(ev, e->args[1], b, sel, n, &c, err));
		int esc = -1;
		if (e->n_args > 2 && !ex_is_null(e->args[2]->value, 0)) {
			size_t en;
			const uint8_t *ep = tarn_array_get_bytes(e->args[2]->value, 0, &en);
			esc = en ? ep[0] : -1;
		}
		return ex_kern_like(e, &a, &c, esc, sel, n, r, err);
	}
	case EX_E_CASE: return eval_case(ev, e, b, sel, n, r, err);
	case EX_E_COALESCE: return eval_coalesce(ev, e, b, sel, n, r, err);
	case EX_E_NULLIF: {
		TRY(eval_node(ev, e->args[0], b, sel, n, &a, err));
		TRY(eval_node(ev, e->args[1], b, sel, n, &c, err));
		/* equal where a = b is TRUE: those rows become NULL */
		if (slot_buffers(s, b->n_rows, false))
			return tarn_err_nomem(err, "NULLIF");
		int64_t m = ex_kern_cmp_select(EX_EQ, &a, &c, sel, n, s->sel[0]);
		struct ex_vec one = a;
		uint16_t *ch = NULL;
		if (!(ch = tarn_malloc((size_t)(b->n_rows > 0 ? b->n_rows : 1) * sizeof *ch)))
			return tarn_err_nomem(err, "NULLIF");
		for (int64_t k = 0; k < n; k++)
			ch[sel ? sel[k] : k] = 0;
		for (int64_t k = 0; k < m; k++)
			ch[s->sel[0][k]] = UINT16_MAX;
		tarn_rc rc = merge_choices(r, &one, ch, UINT16_MAX, sel, n);
		tarn_free(ch);
		return rc;
	}
	case EX_E_CAST:
		TRY(eval_node(ev, e->args[0], b, sel, n, &a, err));
		return ex_kern_cast(&e->type, e->try_cast, &a, sel, n, r, err);
	case EX_E_FUNC: {
		if (!s->args && !(s->args = tarn_calloc((size_t)(e->n_args ? e->n_args : 1),
							   sizeof *s->args)))
			return tarn_err_nomem(err, "function arguments");
		for (int i = 0; i < e->n_args; i++)
			TRY(eval_node(ev, e->args[i], b, sel, n, &s->args[i], err));
		struct ex_fargs fa = { e->n_args, s->args };
		return e->fn->eval(e, &fa, sel, n, r, err);
	}
	case EX_E_DATE_ADD:
		TRY(eval_node(ev, e->args[0], b, sel, n, &a, err));
		return ex_kern_date_add(e, &a, sel, n, r, err);
	default: return tarn_err_set(err, TARN_EINTERNAL, "expression kind %d", (int)e->kind);
	}
}

/* Whether a AND b is a range test on one column against two non-null
 * constants of a type the range kernel takes: a lower bound and an upper. */
static bool range_pair(const struct ex_expr *a, const struct ex_expr *b)
{
	if (a->kind != EX_E_CMP || b->kind != EX_E_CMP)
		return false;
	const struct ex_expr *ca = a->args[0], *cb = b->args[0], *ka = a->args[1], *kb = b->args[1];
	if (ca->kind != EX_E_COLUMN || cb->kind != EX_E_COLUMN || ca->col != cb->col ||
	    ka->kind != EX_E_CONST || kb->kind != EX_E_CONST || ex_is_null(ka->value, 0) ||
	    ex_is_null(kb->value, 0))
		return false;
	enum tarn_type_id id = ca->type.id;
	if (id != TARN_T_INT32 && id != TARN_T_DATE32 && id != TARN_T_INT64 && id != TARN_T_FLOAT64)
		return false;
	if (id == TARN_T_FLOAT64) {
		double x = ((const double *)ka->value->values)[0], y = ((const double *)kb->value->values)[0];
		if (x != x || y != y)
			return false;
	}
	bool a_lo = a->op == EX_GE || a->op == EX_GT, a_hi = a->op == EX_LE || a->op == EX_LT;
	bool b_lo = b->op == EX_GE || b->op == EX_GT, b_hi = b->op == EX_LE || b->op == EX_LT;
	return (a_lo && b_hi) || (a_hi && b_lo);
}

static tarn_rc select_node(struct ex_eval *ev, const struct ex_expr *e,
			   const struct ex_batch *b, const uint32_t *sel, int64_t n,
			   uint32_t *out, int64_t *n_out, struct tarn_err *err)
{
	struct ex_vec a, c;
	switch (e->kind) {
	case EX_E_CMP:
		TRY(eval_node(ev, e->args[0], b, sel, n, &a, err));
		TRY(eval_node(ev, e->args[1], b, sel, n, &c, err));
		*n_out = ex_kern_cmp_select(e->op, &a, &c, sel, n, out);
		return TARN_OK;
	case EX_E_AND: {
		int64_t m = n;
		const uint32_t *cur = sel;
		for (int i = 0; i < e->n_args; i++) {
			/* col >= lo AND col < hi (either order, either strictness):
			 * one pass over the rows instead of two */
			if (i + 1 < e->n_args && range_pair(e->args[i], e->args[i + 1])) {
				m = ex_kern_range_select(e->args[i], e->args[i + 1], b, cur, m, out);
				i++;
			} else {
				TRY(select_node(ev, e->args[i], b, cur, m, out, &m, err));
			}
			cur = out;
			if (m == 0)
				break;
		}
		*n_out = m;
		return TARN_OK;
	}
	case EX_E_OR: {
		struct slot *s = &ev->s[e->id];
		if (slot_buffers(s, b->n_rows, false))
			return tarn_err_nomem(err, "OR");
		uint32_t *acc = s->sel[0], *rem = s->sel[1], *hit = s->sel[2];
		int64_t n_acc = 0, n_rem = n;
		for (int64_t k = 0; k < n; k++)
			rem[k] = sel ? sel[k] : (uint32_t)k;
		for (int i = 0; i < e->n_args && n_rem > 0; i++) {
			int64_t n_hit;
			TRY(select_node(ev, e->args[i], b, rem, n_rem, hit, &n_hit, err));
			if (n_hit == 0)
				continue;
			/* acc ∪ hit into out (scratch), then back to acc */
			int64_t nu = sel_union(acc, n_acc, hit, n_hit, out);
			memcpy(acc, out, (size_t)nu * sizeof *acc);
			n_acc = nu;
			n_rem = sel_minus(rem, n_rem, hit, n_hit, rem);
		}
		memmove(out, acc, (size_t)n_acc * sizeof *out);
		*n_out = n_acc;
		return TARN_OK;
	}
	case EX_E_IS_NULL: {
		TRY(eval_node(ev, e->args[0], b, sel, n, &a, err));
		int64_t m = 0;
		bool always = a.a->type->id == TARN_T_NULL;
		for (int64_t k = 0; k < n; k++) {
			uint32_t i = sel ? sel[k] : (uint32_t)k;
			out[m] = i;
			m += (always || vec_null(&a, i)) != e->negate;
		}
		*n_out = m;
		return TARN_OK;
	}
	case EX_E_CONST:
		*n_out = pick(&(struct ex_vec){ e->value, true }, 1, sel, n, out);
		return TARN_OK;
	case EX_E_NOT:
		TRY(eval_node(ev, e->args[0], b, sel, n, &a, err));
		*n_out = pick(&a, 0, sel, n, out);
		return TARN_OK;
	default:
		TRY(eval_node(ev, e, b, sel, n, &a, err));
		*n_out = pick(&a, 1, sel, n, out);
		return TARN_OK;
	}
}

tarn_rc ex_eval_run(struct ex_eval *ev, const struct ex_expr *root, const struct ex_batch *b,
		     const uint32_t *sel, int64_t n_sel, struct ex_vec *out, struct tarn_err *err)
{
	if (!sel)
		n_sel = b->n_rows;
	return eval_node(ev, root, b, sel, n_sel, out, err);
}

tarn_rc ex_eval_array(struct ex_eval *ev, const struct ex_expr *root, const struct ex_batch *b,
		       const uint32_t *sel, int64_t n_sel, struct tarn_array **out,
		       struct tarn_err *err)
{
	*out = NULL;
	struct ex_vec v;
	TRY(ex_eval_run(ev, root, b, sel, n_sel, &v, err));
	struct slot *s = &ev->s[root->id];
	if (!v.is_const && v.a == s->arr) {
		*out = s->arr;
		s->arr = NULL;
		return TARN_OK;
	}
	struct tarn_array *a;
	if (tarn_array_new(v.a->type, b->n_rows, &a))
		return tarn_err_nomem(err, "expression result");
	tarn_rc rc = v.is_const ? ex_array_repeat(a, v.a, 0, b->n_rows)
				: ex_array_gather(a, v.a, NULL, 0, b->n_rows);
	if (rc) {
		tarn_array_free(a);
		return rc == TARN_ENOMEM ? tarn_err_nomem(err, "expression result")
					 : tarn_err_set(err, rc, "expression result too large");
	}
	if (a->validity)
		a->null_count = -1;
	*out = a;
	return TARN_OK;
}

tarn_rc ex_eval_select(struct ex_eval *ev, const struct ex_expr *root,
			const struct ex_batch *b, const uint32_t *sel, int64_t n_sel,
			uint32_t *out_sel, int64_t *n_out, struct tarn_err *err)
{
	if (!sel)
		n_sel = b->n_rows;
	return select_node(ev, root, b, sel, n_sel, out_sel, n_out, err);
}
