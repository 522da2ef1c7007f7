/*
 * expr_nested.c — nested values (LIST, STRUCT, MAP) in expressions: their
 * typing (common types, casts), comparison, constructors, accessors and the
 * list/map functions of the registry's nested table.
 *
 * Results are built over the batch's physical rows 0..N (N = r->length as
 * prepared by the evaluator): rows outside the selection become empty (or
 * NULL) values so offsets stay monotonic and struct children keep the
 * parent's length. Kernels compute, per batch, an index vector into the
 * source's child array and copy with one ex_array_gather, so the work is one
 * pass over offsets plus one gather — no per-row allocation. Sorting inside
 * lists (list_sort, list_distinct) sorts an index vector per row.
 *
 * Ordering of nested values (comparisons, list_sort of lists): lists and
 * maps compare element by element, then by length; structs field by field;
 * a NULL element or field sorts after any value (DuckDB's order).
 *
 * Thread-safety: pure functions over caller-owned arrays.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/mem.h"
#include "columnar/text.h"
#include "sql/expr_int.h"
#include "sql/expr_nested.h"

#define SROW(sel, k) ((sel) ? (int64_t)(sel)[k] : (int64_t)(k))

/* ---- types -------------------------------------------------------------------------- */

tarn_rc ex_nested_common(const struct tarn_type *a, const struct tarn_type *b,
			 struct tarn_type *out, struct tarn_err *err)
{
	if (a->id == TARN_T_NULL)
		return tarn_type_copy(out, b) ? tarn_err_nomem(err, "type") : TARN_OK;
	if (b->id == TARN_T_NULL)
		return tarn_type_copy(out, a) ? tarn_err_nomem(err, "type") : TARN_OK;
	if (a->id != b->id || a->n_children != b->n_children)
		goto bad;
	if (a->id == TARN_T_STRUCT)
		for (int c = 0; c < a->n_children; c++)
			if (strcasecmp(a->children[c].name ? a->children[c].name : "",
				       b->children[c].name ? b->children[c].name : ""))
				goto bad;
	if (a->id == TARN_T_LIST || a->id == TARN_T_MAP || a->id == TARN_T_STRUCT) {
		if (tarn_type_copy(out, a))
			return tarn_err_nomem(err, "type");
		for (int c = 0; c < a->n_children; c++) {
			struct tarn_type t;
			tarn_type_init(&t, TARN_T_NULL);
			tarn_rc rc = ex_type_common(&a->children[c].type, &b->children[c].type, &t, err);
			if (rc) {
				tarn_type_clear(out);
				return rc;
			}
			tarn_type_clear(&out->children[c].type);
			out->children[c].type = t;
			out->children[c].nullable = true;
		}
		return TARN_OK;
	}
bad:;
	struct tarn_buf ta, tb;
	tarn_buf_init(&ta);
	tarn_buf_init(&tb);
	tarn_rc rc = tarn_type_to_text(a, &ta);
	if (!rc)
		rc = tarn_type_to_text(b, &tb);
	if (!rc)
		rc = tarn_err_set(err, TARN_EUSAGE, "incompatible types %.*s and %.*s", (int)ta.len,
				  ta.data, (int)tb.len, tb.data);
	tarn_buf_free(&ta);
	tarn_buf_free(&tb);
	return rc;
}

bool ex_nested_cast_allowed(const struct tarn_type *from, const struct tarn_type *to)
{
	if (from->id == TARN_T_NULL || tarn_type_equal(from, to))
		return true;
	if (from->id == TARN_T_STRING && to->id == TARN_T_LIST)
		return ex_cast_allowed(from, &to->children[0].type);
	if (from->id != to->id || from->n_children != to->n_children)
		return false;
	for (int c = 0; c < from->n_children; c++)
		if (!ex_cast_allowed(&from->children[c].type, &to->children[c].type))
			return false;
	return true;
}

/* ---- building results ----------------------------------------------------------------- */

/* r (list or map) := N rows; row i has cnt[i] items (-1: NULL) taken, in
 * order, from rows idx[0..m) of child (NULL when m == 0), cast to r's item
 * type when child's type differs. */
static tarn_rc list_build(struct tarn_array *r, int64_t N, const int32_t *cnt,
			  const struct tarn_array *child, const uint32_t *idx, int64_t m,
			  bool try_cast, struct tarn_err *err)
{
	if (m > INT32_MAX)
		return tarn_err_set(err, TARN_ELIMIT, "a list result has more than %d items",
				    INT32_MAX);
	tarn_array_reset(r);
	if (tarn_array_reserve(r, N))
		return tarn_err_nomem(err, "list result");
	r->length = N;
	int32_t off = 0;
	bool nulls = false;
	r->offsets[0] = 0;
	for (int64_t i = 0; i < N; i++) {
		if (cnt[i] < 0)
			nulls = true;
		else
			off += cnt[i];
		r->offsets[i + 1] = off;
	}
	if (nulls) {
		if (ex_scratch_validity(r))
			return tarn_err_nomem(err, "list result");
		for (int64_t i = 0; i < N; i++)
			if (cnt[i] < 0)
				ex_set_null(r, i);
	}
	ex_array_finish(r);
	struct tarn_array *rc0 = r->children[0];
	if (!child || m == 0)
		return TARN_OK;
	if (tarn_type_equal(child->type, rc0->type)) {
		if (ex_array_gather(rc0, child, idx, 0, m))
			return tarn_err_nomem(err, "list result");
		ex_array_finish(rc0);
		return TARN_OK;
	}
	struct tarn_array *tmp;
	if (tarn_array_new(child->type, m, &tmp))
		return tarn_err_nomem(err, "list result");
	tarn_rc rc = ex_array_gather(tmp, child, idx, 0, m);
	if (rc) {
		tarn_array_free(tmp);
		return tarn_err_nomem(err, "list result");
	}
	ex_array_finish(tmp);
	const struct tarn_type *it = rc0->type;
	if (ex_scratch_prepare(&r->children[0], it, m)) {
		tarn_array_free(tmp);
		return tarn_err_nomem(err, "list result");
	}
	struct ex_vec v = { tmp, false };
	rc = ex_kern_cast(it, try_cast, &v, NULL, m, r->children[0], err);
	tarn_array_free(tmp);
	if (!rc)
		ex_array_finish(r->children[0]);
	return rc;
}

static tarn_rc all_null(struct tarn_array *r, int64_t N, struct tarn_err *err)
{
	tarn_array_reset(r);
	for (int64_t i = 0; i < N; i++)
		if (tarn_array_append_null(r))
			return tarn_err_nomem(err, "nested result");
	return TARN_OK;
}

/* Per-batch scratch vectors (freed by the caller). */
static void *scratch(size_t n, size_t size)
{
	return tarn_malloc((n ? n : 1) * size);
}

/* ---- casts ---------------------------------------------------------------------------- */

static bool is_space(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Splits list text "[a, 'b', [c, d], NULL]" into items appended to the
 * string array out (NULL items null; quotes removed); false when the text
 * is not a list. */
static bool split_list_text(const uint8_t *p, size_t n, struct tarn_array *out, int32_t *cnt,
			    tarn_rc *rc)
{
	while (n && is_space(p[0]))
		p++, n--;
	while (n && is_space(p[n - 1]))
		n--;
	if (n < 2 || p[0] != '[' || p[n - 1] != ']')
		return false;
	p++;
	n -= 2;
	*cnt = 0;
	size_t i = 0;
	while (n && is_space(p[0]))
		p++, n--;
	if (n == 0)
		return true;
	while (i <= n) {
		size_t st = i;
		int depth = 0;
		uint8_t q = 0;
		for (; i < n; i++) {
			uint8_t c = p[i];
			if (q) {
				if (c == q)
					q = 0;
			} else if (c == '\'' || c == '"') {
				q = c;
			} else if (c == '[' || c == '{') {
				depth++;
			} else if (c == ']' || c == '}') {
				depth--;
			} else if (c == ',' && depth == 0) {
				break;
			}
		}
		if (q || depth)
			return false;
		size_t a = st, e = i;
		while (a < e && is_space(p[a]))
			a++;
		while (e > a && is_space(p[e - 1]))
			e--;
		if (e - a == 4 && !strncasecmp((const char *)p + a, "NULL", 4))
			*rc = tarn_array_append_null(out);
		else if (e - a >= 2 && (p[a] == '\'' || p[a] == '"') && p[e - 1] == p[a])
			*rc = tarn_array_append_bytes(out, p + a + 1, e - a - 2);
		else
			*rc = tarn_array_append_bytes(out, p + a, e - a);
		if (*rc)
			return false;
		(*cnt)++;
		i++;
		if (i > n)
			break;
	}
	return true;
}

/* CAST(text AS T[]): the items' texts, then a cast of them to T. */
static tarn_rc cast_text_list(const struct tarn_type *to, bool try_cast, const struct ex_vec *a,
			      const uint32_t *sel, int64_t n, struct tarn_array *r,
			      struct tarn_err *err)
{
	int64_t N = r->length;
	struct tarn_type st;
	tarn_type_init(&st, TARN_T_STRING);
	struct tarn_array *items = NULL;
	int32_t *cnt = scratch((size_t)N, sizeof *cnt);
	uint32_t *idx = NULL;
	tarn_rc rc = cnt && !tarn_array_new(&st, 64, &items) ? TARN_OK : TARN_ENOMEM;
	for (int64_t i = 0; i < N && !rc; i++)
		cnt[i] = 0;
	for (int64_t k = 0; k < n && !rc; k++) {
		int64_t i = SROW(sel, k);
		if (vec_null(a, i)) {
			cnt[i] = -1;
			continue;
		}
		size_t len;
		const uint8_t *p = ex_str_at(a, i, &len);
		int64_t before = items->length;
		if (split_list_text(p, len, items, &cnt[i], &rc) || rc)
			continue;
		items->length = before; /* drop a partial row's items */
		if (items->offsets)
			items->values_len = items->offsets[before];
		if (try_cast) {
			cnt[i] = -1;
			continue;
		}
		rc = tarn_err_set(err, TARN_EDATA, "cannot cast '%.*s' to a list (expected [a, b, ...])",
				  (int)(len > 60 ? 60 : len), (const char *)p);
	}
	int64_t m = items ? items->length : 0;
	if (!rc && !(idx = scratch((size_t)m, sizeof *idx)))
		rc = TARN_ENOMEM;
	for (int64_t i = 0; i < m && !rc; i++)
		idx[i] = (uint32_t)i;
	if (!rc) {
		ex_array_finish(items);
		rc = list_build(r, N, cnt, items, idx, m, try_cast, err);
	}
	tarn_free(cnt);
	tarn_free(idx);
	tarn_array_free(items);
	return rc == TARN_ENOMEM ? tarn_err_nomem(err, "cast to list") : rc;
}

tarn_rc ex_nested_cast(const struct tarn_type *to, bool try_cast, const struct ex_vec *a,
		       const uint32_t *sel, int64_t n, struct tarn_array *r, struct tarn_err *err)
{
	int64_t N = r->length;
	const struct tarn_array *s = a->a;
	if (!sel)
		n = N;
	if (s->type->id == TARN_T_NULL)
		return all_null(r, N, err);
	if (s->type->id == TARN_T_STRING)
		return cast_text_list(to, try_cast, a, sel, n, r, err);
	if (to->id == TARN_T_STRUCT) {
		tarn_array_reset(r);
		if (tarn_array_reserve(r, N))
			return tarn_err_nomem(err, "cast");
		r->length = N;
		for (int c = 0; c < r->n_children; c++) {
			struct ex_vec cv = { s->children[c], a->is_const };
			const struct tarn_type *ft = &to->children[c].type;
			if (ex_scratch_prepare(&r->children[c], ft, N))
				return tarn_err_nomem(err, "cast");
			TRY(ex_kern_cast(ft, try_cast, &cv, sel, n, r->children[c], err));
		}
		if (ex_has_nulls(s)) {
			if (ex_scratch_validity(r))
				return tarn_err_nomem(err, "cast");
			for (int64_t k = 0; k < n; k++) {
				int64_t i = SROW(sel, k);
				if (ex_is_null(s, VROW(a, i)))
					ex_set_null(r, i);
			}
		}
		return TARN_OK;
	}
	/* list or map */
	int32_t *cnt = scratch((size_t)N, sizeof *cnt);
	if (!cnt)
		return tarn_err_nomem(err, "cast");
	for (int64_t i = 0; i < N; i++)
		cnt[i] = 0;
	int64_t m = 0;
	for (int64_t k = 0; k < n; k++) {
		int64_t i = SROW(sel, k), j = VROW(a, i);
		cnt[i] = ex_is_null(s, j) ? -1 : s->offsets[j + 1] - s->offsets[j];
		m += cnt[i] > 0 ? cnt[i] : 0;
	}
	uint32_t *idx = scratch((size_t)m, sizeof *idx);
	if (!idx) {
		tarn_free(cnt);
		return tarn_err_nomem(err, "cast");
	}
	int64_t p = 0;
	for (int64_t k = 0; k < n; k++) {
		int64_t i = SROW(sel, k), j = VROW(a, i);
		for (int32_t x = 0; x < cnt[i]; x++)
			idx[p++] = (uint32_t)(s->offsets[j] + x);
	}
	tarn_rc rc = list_build(r, N, cnt, s->children[0], idx, m, try_cast, err);
	tarn_free(cnt);
	tarn_free(idx);
	return rc;
}

/* ---- text (CAST to VARCHAR) --------------------------------------------------------------- */

/* DuckDB quotes an item's text when it would not read back: empty, "null",
 * spaces at an end, or a character of the nested syntax. */
static bool needs_quotes(const uint8_t *p, size_t n)
{
	if (n == 0 || is_space(p[0]) || is_space(p[n - 1]) ||
	    (n == 4 && !strncasecmp((const char *)p, "null", 4)))
		return true;
	for (size_t i = 0; i < n; i++)
		if (strchr("[]{}(),'\"\\:=", p[i]) && p[i])
			return true;
	return false;
}

static tarn_rc put_quoted(struct tarn_buf *out, const uint8_t *p, size_t n, bool always)
{
	if (!always && !needs_quotes(p, n))
		return tarn_buf_append(out, p, n);
	TRY(tarn_buf_putc(out, '\''));
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '\'' || p[i] == '\\')
			TRY(tarn_buf_putc(out, '\\'));
		TRY(tarn_buf_putc(out, (char)p[i]));
	}
	return tarn_buf_putc(out, '\'');
}

tarn_rc ex_nested_text(const struct tarn_array *a, int64_t i, struct tarn_buf *out)
{
	if (tarn_array_is_null(a, i) || a->type->id == TARN_T_NULL)
		return tarn_buf_append(out, "NULL", 4);
	switch (a->type->id) {
	case TARN_T_LIST:
	case TARN_T_MAP: {
		bool map = a->type->id == TARN_T_MAP;
		const struct tarn_array *c = a->children[0];
		TRY(tarn_buf_putc(out, map ? '{' : '['));
		for (int32_t k = a->offsets[i]; k < a->offsets[i + 1]; k++) {
			if (k > a->offsets[i])
				TRY(tarn_buf_append(out, ", ", 2));
			if (map) {
				TRY(ex_nested_text(c->children[0], k, out));
				TRY(tarn_buf_putc(out, '='));
				TRY(ex_nested_text(c->children[1], k, out));
			} else {
				TRY(ex_nested_text(c, k, out));
			}
		}
		return tarn_buf_putc(out, map ? '}' : ']');
	}
	case TARN_T_STRUCT:
		TRY(tarn_buf_putc(out, '{'));
		for (int c = 0; c < a->n_children; c++) {
			const char *nm = a->type->children[c].name ? a->type->children[c].name : "";
			if (c)
				TRY(tarn_buf_append(out, ", ", 2));
			TRY(put_quoted(out, (const uint8_t *)nm, strlen(nm), true));
			TRY(tarn_buf_append(out, ": ", 2));
			TRY(ex_nested_text(a->children[c], i, out));
		}
		return tarn_buf_putc(out, '}');
	default: {
		struct tarn_buf t;
		tarn_buf_init(&t);
		tarn_rc rc = tarn_value_to_text(a, i, false, &t);
		if (!rc)
			rc = put_quoted(out, (const uint8_t *)t.data, t.len, false);
		tarn_buf_free(&t);
		return rc;
	}
	}
}

/* ---- CASE / COALESCE ------------------------------------------------------------------- */

tarn_rc ex_nested_merge(struct tarn_array *r, const struct ex_vec *vals, const uint16_t *choice,
			uint16_t none, const uint32_t *sel, int64_t n)
{
	int64_t N = r->length;
	if (!sel)
		n = N;
	tarn_array_reset(r);
	TRY(tarn_array_reserve(r, N));
	int64_t next = 0;
	for (int64_t k = 0; k <= n; k++) {
		int64_t i = k < n ? SROW(sel, k) : N;
		for (; next < i; next++) /* unselected rows: NULL */
			TRY(tarn_array_append_null(r));
		if (k == n)
			break;
		const struct ex_vec *v = choice[i] == none ? NULL : &vals[choice[i]];
		if (!v || v->a->type->id == TARN_T_NULL || vec_null(v, i))
			TRY(tarn_array_append_null(r));
		else
			TRY(ex_array_gather(r, v->a, NULL, VROW(v, i), 1));
		next = i + 1;
	}
	ex_array_finish(r);
	return TARN_OK;
}

/* ---- comparison ------------------------------------------------------------------------ */

int ex_nested_value_cmp(const struct tarn_array *a, int64_t i, const struct tarn_array *b,
			int64_t j)
{
	bool an = tarn_array_is_null(a, i), bn = tarn_array_is_null(b, j);
	if (an || bn)
		return an == bn ? 0 : an ? 1 : -1;
	switch (a->type->id) {
	case TARN_T_NULL: return 0;
	case TARN_T_LIST:
	case TARN_T_MAP: {
		int32_t as = a->offsets[i], al = a->offsets[i + 1] - as;
		int32_t bs = b->offsets[j], bl = b->offsets[j + 1] - bs;
		for (int32_t k = 0; k < al && k < bl; k++) {
			int c = ex_nested_value_cmp(a->children[0], as + k, b->children[0], bs + k);
			if (c)
				return c;
		}
		return (al > bl) - (al < bl);
	}
	case TARN_T_STRUCT:
		for (int c = 0; c < a->n_children && c < b->n_children; c++) {
			int x = ex_nested_value_cmp(a->children[c], i, b->children[c], j);
			if (x)
				return x;
		}
		return 0;
	default: return ex_value_cmp(a, i, b, j);
	}
}

tarn_rc ex_nested_kern_cmp(int op, const struct ex_vec *a, const struct ex_vec *b,
			   const uint32_t *sel, int64_t n, struct tarn_array *r)
{
	struct ex_vec v[2] = { *a, *b };
	TRY(ex_validity_and(r, v, 2, r->length));
	if (!sel)
		n = r->length;
	for (int64_t k = 0; k < n; k++) {
		int64_t i = SROW(sel, k);
		if (vec_null(a, i) || vec_null(b, i))
			continue;
		bits_set(r->values, i,
			 ex_cmp_holds(op, ex_nested_value_cmp(a->a, VROW(a, i), b->a, VROW(b, i))));
	}
	return TARN_OK;
}

int64_t ex_nested_cmp_select(int op, const struct ex_vec *a, const struct ex_vec *b,
			     const uint32_t *sel, int64_t n, uint32_t *out)
{
	int64_t m = 0;
	for (int64_t k = 0; k < n; k++) {
		int64_t i = SROW(sel, k);
		if (vec_null(a, i) || vec_null(b, i))
			continue;
		if (ex_cmp_holds(op, ex_nested_value_cmp(a->a, VROW(a, i), b->a, VROW(b, i))))
			out[m++] = (uint32_t)i;
	}
	return m;
}

/* ---- constructors ---------------------------------------------------------------------- */

static tarn_rc bind_list_value(struct ex_expr *e, struct tarn_err *err)
{
	struct tarn_type t;
	TRY(ex_fn_coerce_common(e, &t, err));
	if (tarn_type_init_list(&e->type, &t, true)) {
		tarn_type_clear(&t);
		return tarn_err_nomem(err, "list type");
	}
	return TARN_OK;
}

static tarn_rc eval_list_value(const struct ex_expr *e, const struct ex_fargs *fa,
			       const uint32_t *sel, int64_t n, struct tarn_array *r,
			       struct tarn_err *err)
{
	int64_t N = r->length;
	int na = fa->n;
	int32_t *cnt = scratch((size_t)N, sizeof *cnt);
	if (!cnt)
		return tarn_err_nomem(err, "list_value");
	memset(cnt, 0, (size_t)N * sizeof *cnt);
	if (!sel)
		n = N;
	for (int64_t k = 0; k < n; k++)
		cnt[SROW(sel, k)] = na;
	tarn_rc rc = list_build(r, N, cnt, NULL, NULL, 0, false, err);
	tarn_free(cnt);
	if (rc || na == 0)
		return rc;
	struct tarn_array *c = r->children[0];
	for (int64_t k = 0; k < n && !rc; k++) {
		int64_t i = SROW(sel, k);
		for (int j = 0; j < na && !rc; j++) {
			const struct ex_vec *v = &fa->v[j];
			rc = v->a->type->id == TARN_T_NULL || vec_null(v, i)
				     ? tarn_array_append_null(c)
				     : ex_array_gather(c, v->a, NULL, VROW(v, i), 1);
		}
	}
	if (rc)
		return tarn_err_nomem(err, "list_value");
	ex_array_finish(c);
	return TARN_OK;
}

/* struct_pack: the binder builds the node (field names); arguments are the
 * field values. */
static tarn_rc bind_struct_pack(struct ex_expr *e, struct tarn_err *err)
{
	if (e->type.id != TARN_T_STRUCT)
		return tarn_err_set(err, TARN_EUSAGE,
				    "struct_pack needs named arguments: struct_pack(a := 1, ...)");
	return TARN_OK;
}

static tarn_rc eval_struct_pack(const struct ex_expr *e, const struct ex_fargs *fa,
				const uint32_t *sel, int64_t n, struct tarn_array *r,
				struct tarn_err *err)
{
	int64_t N = r->length;
	uint32_t *idx = scratch((size_t)N, sizeof *idx);
	if (!idx)
		return tarn_err_nomem(err, "struct_pack");
	tarn_array_reset(r);
	tarn_rc rc = tarn_array_reserve(r, N);
	r->length = N;
	if (!sel)
		n = N;
	for (int c = 0; c < fa->n && !rc; c++) {
		const struct ex_vec *v = &fa->v[c];
		for (int64_t i = 0; i < N; i++)
			idx[i] = EX_NULL_ROW;
		for (int64_t k = 0; k < n; k++) {
			int64_t i = SROW(sel, k);
			idx[i] = (uint32_t)VROW(v, i);
		}
		rc = ex_array_gather(r->children[c], v->a, idx, 0, N);
		if (!rc)
			ex_array_finish(r->children[c]);
	}
	tarn_free(idx);
	return rc ? tarn_err_nomem(err, "struct_pack") : TARN_OK;
}

tarn_rc ex_expr_struct_pack(char **names, struct ex_expr **args, int n, struct ex_expr **out,
			    struct tarn_err *err);

/* map(keys, values): two lists of equal length. */
static tarn_rc bind_map(struct ex_expr *e, struct tarn_err *err)
{
	for (int i = 0; i < 2; i++)
		if (e->args[i]->type.id != TARN_T_LIST && e->args[i]->type.id != TARN_T_NULL)
			return ex_fn_bind_fail(e, i, "a list", err);
	struct tarn_type k, v;
	tarn_type_init(&k, TARN_T_NULL);
	tarn_type_init(&v, TARN_T_NULL);
	if (e->args[0]->type.id == TARN_T_LIST &&
	    tarn_type_copy(&k, &e->args[0]->type.children[0].type))
		return tarn_err_nomem(err, "map type");
	if (e->args[1]->type.id == TARN_T_LIST &&
	    tarn_type_copy(&v, &e->args[1]->type.children[0].type)) {
		tarn_type_clear(&k);
		return tarn_err_nomem(err, "map type");
	}
	if (tarn_type_is_nested(k.id)) {
		tarn_type_clear(&k);
		tarn_type_clear(&v);
		return tarn_err_set(err, TARN_EUSAGE, "map keys must be of a scalar type");
	}
	if (tarn_type_init_map(&e->type, &k, &v, true)) {
		tarn_type_clear(&k);
		tarn_type_clear(&v);
		return tarn_err_nomem(err, "map type");
	}
	/* key/value list types now follow the map's (NULL lists: cast) */
	for (int i = 0; i < 2; i++) {
		struct tarn_type lt, it;
		if (tarn_type_copy(&it, &e->type.children[0].type.children[i].type))
			return tarn_err_nomem(err, "map type");
		if (tarn_type_init_list(&lt, &it, true)) {
			tarn_type_clear(&it);
			return tarn_err_nomem(err, "map type");
		}
		tarn_rc rc = ex_expr_coerce(&e->args[i], &lt, err);
		tarn_type_clear(&lt);
		TRY(rc);
	}
	return TARN_OK;
}

static tarn_rc eval_map(const struct ex_expr *e, const struct ex_fargs *fa, const uint32_t *sel,
			int64_t n, struct tarn_array *r, struct tarn_err *err)
{
	int64_t N = r->length;
	const struct ex_vec *kv = &fa->v[0], *vv = &fa->v[1];
	const struct tarn_array *ka = kv->a, *va = vv->a;
	if (!sel)
		n = N;
	int32_t *cnt = scratch((size_t)N, sizeof *cnt);
	if (!cnt)
		return tarn_err_nomem(err, "map");
	memset(cnt, 0, (size_t)N * sizeof *cnt);
	int64_t m = 0;
	for (int64_t k = 0; k < n; k++) {
		int64_t i = SROW(sel, k), ki = VROW(kv, i), vi = VROW(vv, i);
		if (vec_null(kv, i) || vec_null(vv, i) || ka->type->id == TARN_T_NULL ||
		    va->type->id == TARN_T_NULL) {
			cnt[i] = -1;
			continue;
		}
		int32_t nk = ka->offsets[ki + 1] - ka->offsets[ki];
		int32_t nv = va->offsets[vi + 1] - va->offsets[vi];
		if (nk != nv) {
			tarn_free(cnt);
			return tarn_err_set(err, TARN_EDATA,
					    "map: %d keys but %d values (the lists must have the "
					    "same length)",
					    nk, nv);
		}
		for (int32_t x = 0; x < nk; x++)
			if (tarn_array_is_null(ka->children[0], ka->offsets[ki] + x)) {
				tarn_free(cnt);
				return tarn_err_set(err, TARN_EDATA, "map keys cannot be NULL");
			}
		cnt[i] = nk;
		m += nk;
	}
	uint32_t *ik = scratch((size_t)m, sizeof *ik), *iv = scratch((size_t)m, sizeof *iv);
	tarn_rc rc = ik && iv ? TARN_OK : tarn_err_nomem(err, "map");
	int64_t p = 0;
	for (int64_t k = 0; k < n && !rc; k++) {
		int64_t i = SROW(sel, k), ki = VROW(kv, i), vi = VROW(vv, i);
		for (int32_t x = 0; x < cnt[i]; x++, p++) {
			ik[p] = (uint32_t)(ka->offsets[ki] + x);
			iv[p] = (uint32_t)(va->offsets[vi] + x);
		}
	}
	if (!rc)
		rc = list_build(r, N, cnt, NULL, NULL, 0, false, err);
	if (!rc && m > 0) {
		struct tarn_array *ent = r->children[0];
		if (ex_array_gather(ent->children[0], ka->children[0], ik, 0, m) ||
		    ex_array_gather(ent->children[1], va->children[0], iv, 0, m) ||
		    tarn_array_reserve(ent, m))
			rc = tarn_err_nomem(err, "map");
		else {
			ent->length = m;
			ex_array_finish(ent);
		}
	}
	tarn_free(cnt);
	tarn_free(ik);
	tarn_free(iv);
	return rc;
}

/* ---- accessors ------------------------------------------------------------------------- */

/* The struct field named by constant argument 1 (string name, or 1-based
 * integer position), into e->fn_arg. */
static tarn_rc bind_struct_extract(struct ex_expr *e, struct tarn_err *err)
{
	const struct tarn_type *st = &e->args[0]->type;
	if (st->id != TARN_T_STRUCT)
		return ex_fn_bind_fail(e, 0, "a struct", err);
	const struct ex_expr *k = e->args[1];
	if (k->kind != EX_E_CONST || ex_is_null(k->value, 0))
		return tarn_err_set(err, TARN_EUSAGE,
				    "struct_extract: the field must be a constant name or position");
	int hit = -1;
	if (k->type.id == TARN_T_STRING) {
		size_t len;
		const uint8_t *p = tarn_array_get_bytes(k->value, 0, &len);
		for (int c = 0; c < st->n_children && hit < 0; c++) {
			const char *nm = st->children[c].name ? st->children[c].name : "";
			if (strlen(nm) == len && strncasecmp(nm, (const char *)p, len) == 0)
				hit = c;
		}
		if (hit < 0) {
			struct tarn_buf tb;
			tarn_buf_init(&tb);
			tarn_rc rc = tarn_type_to_text(st, &tb);
			if (!rc)
				rc = tarn_err_set(err, TARN_EUSAGE, "no field '%.*s' in %.*s", (int)len,
						  (const char *)p, (int)tb.len, tb.data);
			tarn_buf_free(&tb);
			return rc;
		}
	} else if (tarn_type_is_integer(k->type.id)) {
		int64_t v = tarn_array_get_int(k->value, 0);
		if (v < 1 || v > st->n_children)
			return tarn_err_set(err, TARN_EUSAGE,
					    "struct_extract: position %lld is out of range 1..%d",
					    (long long)v, st->n_children);
		hit = (int)(v - 1);
	} else {
		return ex_fn_bind_fail(e, 1, "a field name", err);
	}
	e->fn_arg = hit;
	return tarn_type_copy(&e->type, &st->children[hit].type) ? tarn_err_nomem(err, "type")
								 : TARN_OK;
}

static tarn_rc eval_struct_extract(const struct ex_expr *e, const struct ex_fargs *fa,
				   const uint32_t *sel, int64_t n, struct tarn_array *r,
				   struct tarn_err *err)
{
	int64_t N = r->length;
	const struct ex_vec *s = &fa->v[0];
	if (s->a->type->id != TARN_T_STRUCT)
		return all_null(r, N, err);
	uint32_t *idx = scratch((size_t)N, sizeof *idx);
	if (!idx)
		return tarn_err_nomem(err, "struct_extract");
	for (int64_t i = 0; i < N; i++)
		idx[i] = EX_NULL_ROW;
	if (!sel)
		n = N;
	for (int64_t k = 0; k < n; k++) {
		int64_t i = SROW(sel, k);
		if (!vec_null(s, i))
			idx[i] = (uint32_t)VROW(s, i);
	}
	tarn_array_reset(r);
	tarn_rc rc = ex_array_gather(r, s->a->children[e->fn_arg], idx, 0, N);
	tarn_free(idx);
	if (rc)
		return tarn_err_nomem(err, "struct_extract");
	ex_array_finish(r);
	return TARN_OK;
}

/* The list (or map: entries) item type of argument i, NULL if not one. */
static const struct tarn_type *item_type(const struct ex_expr *e, int i)
{
	const struct tarn_type *t = &e->args[i]->type;
	return t->id == TARN_T_LIST || t->id == TARN_T_MAP ? &t->children[0].type : NULL;
}

/* list_extract(l, i) and l[i]; on a map, m[k] (the value; NULL if absent);
 * on a struct, s['name']. */
static tarn_rc bind_extract(struct ex_expr *e, struct tarn_err *err)
{
	enum tarn_type_id id = e->args[0]->type.id;
	if (id == TARN_T_STRUCT)
		return bind_struct_extract(e, err);
	if (id == TARN_T_MAP) {
		const struct tarn_type *ent = &e->args[0]->type.children[0].type;
		TRY(ex_expr_coerce(&e->args[1], &ent->children[0].type, err));
		e->fn_arg = 1;
		return tarn_type_copy(&e->type, &ent->children[1].type) ? tarn_err_nomem(err, "type")
									: TARN_OK;
	}
	if (id != TARN_T_LIST && id != TARN_T_NULL)
		return ex_fn_bind_fail(e, 0, "a list, map or struct", err);
	TRY(ex_fn_coerce(e, 1, TARN_T_INT64, err));
	if (id == TARN_T_NULL)
		return TARN_OK;
	return tarn_type_copy(&e->type, item_type(e, 0)) ? tarn_err_nomem(err, "type") : TARN_OK;
}

/* Row of the map entry of row j of m whose key equals key row kj; -1. */
static int64_t map_find(const struct tarn_array *m, int64_t j, const struct tarn_array *key,
			int64_t kj)
{
	const struct tarn_array *keys = m->children[0]->children[0];
	for (int32_t x = m->offsets[j]; x < m->offsets[j + 1]; x++)
		if (ex_nested_value_cmp(keys, x, key, kj) == 0)
			return x;
	return -1;
}

static tarn_rc eval_extract(const struct ex_expr *e, const struct ex_fargs *fa,
			    const uint32_t *sel, int64_t n, struct tarn_array *r,
			    struct tarn_err *err)
{
	const struct ex_vec *l = &fa->v[0], *x = &fa->v[1];
	enum tarn_type_id id = l->a->type->id;
	if (id == TARN_T_STRUCT)
		return eval_struct_extract(e, fa, sel, n, r, err);
	int64_t N = r->length;
	if (id == TARN_T_NULL || x->a->type->id == TARN_T_NULL)
		return all_null(r, N, err);
	uint32_t *idx = scratch((size_t)N, sizeof *idx);
	if (!idx)
		return tarn_err_nomem(err, "list_extract");
	for (int64_t i = 0; i < N; i++)
		idx[i] = EX_NULL_ROW;
	if (!sel)
		n = N;
	const struct tarn_array *src = l->a->children[0];
	for (int64_t k = 0; k < n; k++) {
		int64_t i = SROW(sel, k), j = VROW(l, i);
		if (vec_null(l, i) || vec_null(x, i))
			continue;
		if (id == TARN_T_MAP) {
			int64_t hit = map_find(l->a, j, x->a, VROW(x, i));
			if (hit >= 0)
				idx[i] = (uint32_t)hit;
			continue;
		}
		int64_t len = l->a->offsets[j + 1] - l->a->offsets[j];
		int64_t p = ((const int64_t *)x->a->values)[VROW(x, i)];
		if (p > 0 && p <= len)
			idx[i] = (uint32_t)(l->a->offsets[j] + p - 1);
		else if (p < 0 && -p <= len)
			idx[i] = (uint32_t)(l->a->offsets[j] + len + p);
	}
	if (id == TARN_T_MAP)
		src = src->children[1];
	tarn_array_reset(r);
	tarn_rc rc = ex_array_gather(r, src, idx, 0, N);
	tarn_free(idx);
	if (rc)
		return tarn_err_nomem(err, "list_extract");
	ex_array_finish(r);
	return TARN_OK;
}

/* map_extract(m, k): a list holding the value, empty when k is absent. */
static tarn_rc bind_map_extract(struct ex_expr *e, struct tarn_err *err)
{
	if (e->args[0]->type.id != TARN_T_MAP)
		return ex_fn_bind_fail(e, 0, "a map", err);
	const struct tarn_type *ent = &e->args[0]->type.children[0].type;
	TRY(ex_expr_coerce(&e->args[1], &ent->children[0].type, err));
	struct tarn_type v;
	if (tarn_type_copy(&v, &ent->children[1].type))
		return tarn_err_nomem(err, "type");
	if (tarn_type_init_list(&e->type, &v, true)) {
		tarn_type_clear(&v);
		return tarn_err_nomem(err, "type");
	}
	return TARN_OK;
}

static tarn_rc eval_map_extract(const struct ex_expr *e, const struct ex_fargs *fa,
				const uint32_t *sel, int64_t n, struct tarn_array *r,
				struct tarn_err *err)
{
	const struct ex_vec *l = &fa->v[0], *x = &fa->v[1];
	int64_t N = r->length;
	int32_t *cnt = scratch((size_t)N, sizeof *cnt);
	uint32_t *idx = scratch((size_t)N, sizeof *idx);
	tarn_rc rc = cnt && idx ? TARN_OK : tarn_err_nomem(err, "map_extract");
	int64_t m = 0;
	if (!sel)
		n = N;
	for (int64_t i = 0; i < N && !rc; i++)
		cnt[i] = 0;
	for (int64_t k = 0; k < n && !rc; k++) {
		int64_t i = SROW(sel, k);
		if (vec_null(l, i) || l->a->type->id == TARN_T_NULL) {
			cnt[i] = -1;
			continue;
		}
		if (vec_null(x, i) || x->a->type->id == TARN_T_NULL)
			continue;
		int64_t hit = map_find(l->a, VROW(l, i), x->a, VROW(x, i));
		if (hit >= 0) {
			cnt[i] = 1;
			idx[m++] = (uint32_t)hit;
		}
	}
	if (!rc)
		rc = list_build(r, N, cnt, l->a->type->id == TARN_T_MAP
						   ? l->a->children[0]->children[1]
						   : NULL,
				idx, m, false, err);
	tarn_free(cnt);
	tarn_free(idx);
	return rc;
}

/* list_slice(l, begin, end): 1-based, both ends included; negative counts
 * from the end (-1 = the last); begin 0 = 1. */
static tarn_rc bind_slice(struct ex_expr *e, struct tarn_err *err)
{
	enum tarn_type_id id = e->args[0]->type.id;
	if (id != TARN_T_LIST && id != TARN_T_NULL)
		return ex_fn_bind_fail(e, 0, "a list", err);
	TRY(ex_fn_coerce(e, 1, TARN_T_INT64, err));
	TRY(ex_fn_coerce(e, 2, TARN_T_INT64, err));
	return tarn_type_copy(&e->type, &e->args[0]->type) ? tarn_err_nomem(err, "type") : TARN_OK;
}

static tarn_rc eval_slice(const struct ex_expr *e, const struct ex_fargs *fa,
			  const uint32_t *sel, int64_t n, struct tarn_array *r,
			  struct tarn_err *err)
{
	const struct ex_vec *l = &fa->v[0], *lo = &fa->v[1], *hi = &fa->v[2];
	int64_t N = r->length;
	if (l->a->type->id == TARN_T_NULL)
		return all_null(r, N, err);
	int32_t *cnt = scratch((size_t)N, sizeof *cnt);
	int32_t *beg = scratch((size_t)N, sizeof *beg);
	tarn_rc rc = cnt && beg ? TARN_OK : tarn_err_nomem(err, "list_slice");
	if (!sel)
		n = N;
	int64_t m = 0;
	for (int64_t i = 0; i < N && !rc; i++)
		cnt[i] = 0;
	for (int64_t k = 0; k < n && !rc; k++) {
		int64_t i = SROW(sel, k), j = VROW(l, i);
		if (vec_null(l, i) || vec_null(lo, i) || vec_null(hi, i) ||
		    lo->a->type->id == TARN_T_NULL || hi->a->type->id == TARN_T_NULL) {
			cnt[i] = -1;
			continue;
		}
		int64_t len = l->a->offsets[j + 1] - l->a->offsets[j];
		int64_t b = ((const int64_t *)lo->a->values)[VROW(lo, i)];
		int64_t en = ((const int64_t *)hi->a->values)[VROW(hi, i)];
		if (b < 0)
			b = len + b + 1;
		if (en < 0)
			en = len + en + 1;
		if (b < 1)
			b = 1;
		if (en > len)
			en = len;
		cnt[i] = en >= b ? (int32_t)(en - b + 1) : 0;
		beg[i] = (int32_t)(l->a->offsets[j] + b - 1);
		m += cnt[i];
	}
	uint32_t *idx = rc ? NULL : scratch((size_t)m, sizeof *idx);
	if (!rc && !idx)
		rc = tarn_err_nomem(err, "list_slice");
	int64_t p = 0;
	for (int64_t k = 0; k < n && !rc; k++) {
		int64_t i = SROW(sel, k);
		for (int32_t x = 0; x < cnt[i]; x++)
			idx[p++] = (uint32_t)(beg[i] + x);
	}
	if (!rc)
		rc = list_build(r, N, cnt, l->a->children[0], idx, m, false, err);
	tarn_free(cnt);
	tarn_free(beg);
	tarn_free(idx);
	return rc;
}

/* len(l), array_length(l), cardinality(m): number of items (int64). */
static tarn_rc bind_len(struct ex_expr *e, struct tarn_err *err)
{
	enum tarn_type_id id = e->args[0]->type.id;
	if (id != TARN_T_LIST && id != TARN_T_MAP && id != TARN_T_NULL)
		return ex_fn_bind_fail(e, 0, "a list or map", err);
	tarn_type_init(&e->type, TARN_T_INT64);
	return TARN_OK;
}

static tarn_rc eval_len(const struct ex_expr *e, const struct ex_fargs *fa, const uint32_t *sel,
			int64_t n, struct tarn_array *r, struct tarn_err *err)
{
	const struct ex_vec *l = &fa->v[0];
	if (l->a->type->id == TARN_T_NULL)
		return all_null(r, r->length, err);
	TRY(ex_validity_and(r, l, 1, r->length));
	if (!sel)
		n = r->length;
	int64_t *out = (int64_t *)r->values;
	const int32_t *o = l->a->offsets;
	for (int64_t k = 0; k < n; k++) {
		int64_t i = SROW(sel, k), j = VROW(l, i);
		out[i] = o[j + 1] - o[j];
	}
	return TARN_OK;
}

/* list_contains(l, x) (bool) and list_position(l, x) (int32, 1-based;
 * NULL when absent): NULL elements never match. */
static tarn_rc bind_contains(struct ex_expr *e, struct tarn_err *err)
{
	enum tarn_type_id id = e->args[0]->type.id;
	if (id != TARN_T_LIST && id != TARN_T_NULL)
		return ex_fn_bind_fail(e, 0, "a list", err);
	if (id == TARN_T_LIST) {
		const struct tarn_type *it = item_type(e, 0);
		if (it->id == TARN_T_NULL) {
			/* [] or [NULL, ...]: adopt the needle's type */
			struct tarn_type lt, c;
			if (tarn_type_copy(&c, &e->args[1]->type))
				return tarn_err_nomem(err, "type");
			if (tarn_type_init_list(&lt, &c, true)) {
				tarn_type_clear(&c);
				return tarn_err_nomem(err, "type");
			}
			tarn_rc rc = ex_expr_coerce(&e->args[0], &lt, err);
			tarn_type_clear(&lt);
			TRY(rc);
		} else {
			TRY(ex_expr_coerce(&e->args[1], item_type(e, 0), err));
		}
	}
	bool pos = strstr(e->fn->name, "position") || strstr(e->fn->name, "indexof");
	tarn_type_init(&e->type, pos ? TARN_T_INT32 : TARN_T_BOOL);
	return TARN_OK;
}

static tarn_rc eval_contains(const struct ex_expr *e, const struct ex_fargs *fa,
			     const uint32_t *sel, int64_t n, struct tarn_array *r,
			     struct tarn_err *err)
{
	const struct ex_vec *l = &fa->v[0], *x = &fa->v[1];
	if (l->a->type->id == TARN_T_NULL || x->a->type->id == TARN_T_NULL)
		return all_null(r, r->length, err);
	bool pos = e->type.id == TARN_T_INT32;
	TRY(ex_validity_and(r, fa->v, 2, r->length));
	if (!sel)
		n = r->length;
	const struct tarn_array *items = l->a->children[0];
	for (int64_t k = 0; k < n; k++) {
		int64_t i = SROW(sel, k), j = VROW(l, i);
		if (vec_null(l, i) || vec_null(x, i))
			continue;
		int64_t hit = -1;
		for (int32_t p = l->a->offsets[j]; p < l->a->offsets[j + 1] && hit < 0; p++)
			if (!tarn_array_is_null(items, p) &&
			    ex_nested_value_cmp(items, p, x->a, VROW(x, i)) == 0)
				hit = p - l->a->offsets[j];
		if (pos) {
			if (hit < 0) {
				if (!r->validity && ex_scratch_validity(r))
					return tarn_err_nomem(err, e->fn->name);
				ex_set_null(r, i);
			} else {
				((int32_t *)r->values)[i] = (int32_t)(hit + 1);
			}
		} else {
			bits_set(r->values, i, hit >= 0);
		}
	}
	return TARN_OK;
}

/* list_concat(a, b) and a || b on lists: a NULL side counts as empty
 * (both NULL: NULL). */
static tarn_rc bind_concat(struct ex_expr *e, struct tarn_err *err)
{
	for (int i = 0; i < 2; i++)
		if (e->args[i]->type.id != TARN_T_LIST && e->args[i]->type.id != TARN_T_NULL)
			return ex_fn_bind_fail(e, i, "a list", err);
	struct tarn_type t;
	tarn_type_init(&t, TARN_T_NULL);
	TRY(ex_type_common(&e->args[0]->type, &e->args[1]->type, &t, err));
	tarn_rc rc = ex_expr_coerce(&e->args[0], &t, err);
	if (!rc)
		rc = ex_expr_coerce(&e->args[1], &t, err);
	if (rc) {
		tarn_type_clear(&t);
		return rc;
	}
	e->type = t;
	return TARN_OK;
}

static tarn_rc eval_concat(const struct ex_expr *e, const struct ex_fargs *fa,
			   const uint32_t *sel, int64_t n, struct tarn_array *r,
			   struct tarn_err *err)
{
	int64_t N = r->length;
	const struct ex_vec *a = &fa->v[0], *b = &fa->v[1];
	bool an_all = a->a->type->id == TARN_T_NULL, bn_all = b->a->type->id == TARN_T_NULL;
	if (an_all && bn_all)
		return all_null(r, N, err);
	int32_t *cnt = scratch((size_t)N, sizeof *cnt);
	if (!cnt)
		return tarn_err_nomem(err, "list_concat");
	memset(cnt, 0, (size_t)N * sizeof *cnt);
	if (!sel)
		n = N;
	int64_t m = 0;
	for (int64_t k = 0; k < n; k++) {
		int64_t i = SROW(sel, k);
		bool an = an_all || vec_null(a, i), bn = bn_all || vec_null(b, i);
		if (an && bn) {
			cnt[i] = -1;
			continue;
		}
		if (!an)
			cnt[i] += a->a->offsets[VROW(a, i) + 1] - a->a->offsets[VROW(a, i)];
		if (!bn)
			cnt[i] += b->a->offsets[VROW(b, i) + 1] - b->a->offsets[VROW(b, i)];
		m += cnt[i];
	}
	tarn_rc rc = list_build(r, N, cnt, NULL, NULL, 0, false, err);
	tarn_free(cnt);
	if (rc || m == 0)
		return rc;
	/* items from two arrays: gather each row's runs in turn */
	struct tarn_array *c = r->children[0];
	for (int64_t k = 0; k < n && !rc; k++) {
		int64_t i = SROW(sel, k);
		for (int s = 0; s < 2 && !rc; s++) {
			const struct ex_vec *v = s ? b : a;
			if (v->a->type->id == TARN_T_NULL || vec_null(v, i))
				continue;
			int64_t j = VROW(v, i);
			int32_t o = v->a->offsets[j], len = v->a->offsets[j + 1] - o;
			rc = ex_array_gather(c, v->a->children[0], NULL, o, len);
		}
	}
	if (rc)
		return tarn_err_nomem(err, "list_concat");
	ex_array_finish(c);
	return TARN_OK;
}

/* list_sort(l [, 'ASC'|'DESC' [, 'NULLS FIRST'|'NULLS LAST']]) and
 * list_reverse_sort; list_distinct(l) (NULLs dropped, items in sorted
 * order). */
static tarn_rc bind_sort(struct ex_expr *e, struct tarn_err *err)
{
	enum tarn_type_id id = e->args[0]->type.id;
	if (id != TARN_T_LIST && id != TARN_T_NULL)
		return ex_fn_bind_fail(e, 0, "a list", err);
	bool desc = strcmp(e->fn->name, "list_reverse_sort") == 0, nulls_first = false;
	for (int i = 1; i < e->n_args; i++) {
		const struct ex_expr *k = e->args[i];
		if (k->kind != EX_E_CONST || k->type.id != TARN_T_STRING || ex_is_null(k->value, 0))
			return ex_fn_bind_fail(e, i, "a constant string", err);
		size_t len;
		const char *p = (const char *)tarn_array_get_bytes(k->value, 0, &len);
		if (i == 1 && len == 3 && !strncasecmp(p, "ASC", 3))
			desc = false;
		else if (i == 1 && len == 4 && !strncasecmp(p, "DESC", 4))
			desc = true;
		else if (len == 11 && !strncasecmp(p, "NULLS FIRST", 11))
			nulls_first = true;
		else if (len == 10 && !strncasecmp(p, "NULLS LAST", 10))
			nulls_first = false;
		else
			return tarn_err_set(err, TARN_EUSAGE,
					    "%s: unknown order '%.*s' (ASC, DESC, NULLS FIRST, "
					    "NULLS LAST)",
					    e->fn->name, (int)len, p);
	}
	e->fn_arg = (desc ? 1 : 0) | (nulls_first ? 2 : 0);
	return tarn_type_copy(&e->type, &e->args[0]->type) ? tarn_err_nomem(err, "type") : TARN_OK;
}

struct sort_ctx {
	const struct tarn_array *a;
	bool desc, nulls_first;
};

static int sort_cmp(const void *x, const void *y, void *ctx)
{
	const struct sort_ctx *c = ctx;
	uint32_t i = *(const uint32_t *)x, j = *(const uint32_t *)y;
	bool in = tarn_array_is_null(c->a, i), jn = tarn_array_is_null(c->a, j);
	int v;
	if (in || jn)
		v = in == jn ? 0 : (in ? 1 : -1) * (c->nulls_first ? -1 : 1);
	else
		v = ex_nested_value_cmp(c->a, i, c->a, j) * (c->desc ? -1 : 1);
	return v ? v : (i > j) - (i < j); /* stable */
}

static tarn_rc eval_sort(const struct ex_expr *e, const struct ex_fargs *fa,
			 const uint32_t *sel, int64_t n, struct tarn_array *r,
			 struct tarn_err *err)
{
	const struct ex_vec *l = &fa->v[0];
	int64_t N = r->length;
	if (l->a->type->id == TARN_T_NULL)
		return all_null(r, N, err);
	bool distinct = strcmp(e->fn->name, "list_distinct") == 0 ||
			strcmp(e->fn->name, "array_distinct") == 0;
	struct sort_ctx ctx = { l->a->children[0], (e->fn_arg & 1) != 0, (e->fn_arg & 2) != 0 };
	if (distinct)
		ctx.desc = ctx.nulls_first = false;
	int32_t *cnt = scratch((size_t)N, sizeof *cnt);
	if (!cnt)
		return tarn_err_nomem(err, e->fn->name);
	memset(cnt, 0, (size_t)N * sizeof *cnt);
	if (!sel)
		n = N;
	int64_t m = 0;
	for (int64_t k = 0; k < n; k++) {
		int64_t i = SROW(sel, k), j = VROW(l, i);
		cnt[i] = vec_null(l, i) ? -1 : l->a->offsets[j + 1] - l->a->offsets[j];
		m += cnt[i] > 0 ? cnt[i] : 0;
	}
	uint32_t *idx = scratch((size_t)m, sizeof *idx);
	if (!idx) {
		tarn_free(cnt);
		return tarn_err_nomem(err, e->fn->name);
	}
	int64_t p = 0;
	for (int64_t k = 0; k < n; k++) {
		int64_t i = SROW(sel, k), j = VROW(l, i);
		if (cnt[i] <= 0)
			continue;
		uint32_t *run = idx + p;
		for (int32_t x = 0; x < cnt[i]; x++)
			run[x] = (uint32_t)(l->a->offsets[j] + x);
		qsort_r(run, (size_t)cnt[i], sizeof *run, sort_cmp, &ctx);
		if (distinct) {
			int32_t w = 0;
			for (int32_t x = 0; x < cnt[i]; x++) {
				if (tarn_array_is_null(ctx.a, run[x]))
					continue;
				if (w > 0 && ex_nested_value_cmp(ctx.a, run[w - 1], ctx.a, run[x]) == 0)
					continue;
				run[w++] = run[x];
			}
			cnt[i] = w;
		}
		p += cnt[i];
	}
	tarn_rc rc = list_build(r, N, cnt, ctx.a, idx, p, false, err);
	tarn_free(cnt);
	tarn_free(idx);
	return rc;
}

/* list_aggregate(l, 'min'|'max'|'sum'|'count') and list_min, list_max,
 * list_sum, list_count: over the non-NULL items (NULL when there are none,
 * count 0); sums of integers are int64 (overflow is an error), of floats
 * float64. */
enum { LA_MIN, LA_MAX, LA_SUM, LA_COUNT };

static tarn_rc bind_list_agg(struct ex_expr *e, struct tarn_err *err)
{
	enum tarn_type_id id = e->args[0]->type.id;
	if (id != TARN_T_LIST && id != TARN_T_NULL)
		return ex_fn_bind_fail(e, 0, "a list", err);
	const char *what = e->fn->name + 5; /* list_min -> min */
	size_t wl = strlen(what);
	if (e->n_args == 2) {
		const struct ex_expr *k = e->args[1];
		if (k->kind != EX_E_CONST || k->type.id != TARN_T_STRING || ex_is_null(k->value, 0))
			return ex_fn_bind_fail(e, 1, "a constant aggregate name", err);
		what = (const char *)tarn_array_get_bytes(k->value, 0, &wl);
	} else if (e->n_args != 1) {
		return tarn_err_set(err, TARN_EUSAGE, "%s takes 1 argument", e->fn->name);
	}
	static const char *const names[] = { "min", "max", "sum", "count" };
	e->fn_arg = -1;
	for (int i = 0; i < 4; i++)
		if (strlen(names[i]) == wl && !strncasecmp(names[i], what, wl))
			e->fn_arg = i;
	if (e->fn_arg < 0)
		return tarn_err_set(err, TARN_EUNSUPPORTED,
				    "%s: aggregate '%.*s' is not supported (min, max, sum, count)",
				    e->fn->name, (int)wl, what);
	const struct tarn_type *it = id == TARN_T_LIST ? item_type(e, 0) : NULL;
	if (e->fn_arg == LA_COUNT) {
		tarn_type_init(&e->type, TARN_T_INT64);
		return TARN_OK;
	}
	if (!it || it->id == TARN_T_NULL) {
		tarn_type_init(&e->type, e->fn_arg == LA_SUM ? TARN_T_INT64 : TARN_T_NULL);
		return TARN_OK;
	}
	if (e->fn_arg == LA_SUM) {
		if (tarn_type_is_integer(it->id))
			tarn_type_init(&e->type, TARN_T_INT64);
		else if (it->id == TARN_T_FLOAT32 || it->id == TARN_T_FLOAT64)
			tarn_type_init(&e->type, TARN_T_FLOAT64);
		else if (it->id == TARN_T_DECIMAL128)
			tarn_type_init_decimal(&e->type, 38, it->scale);
		else
			return tarn_err_set(err, TARN_EUNSUPPORTED,
					    "%s: sum over %s items is not supported (integers and "
					    "floats)",
					    e->fn->name, tarn_type_id_name(it->id));
		return TARN_OK;
	}
	return tarn_type_copy(&e->type, it) ? tarn_err_nomem(err, "type") : TARN_OK;
}

static tarn_rc eval_list_agg(const struct ex_expr *e, const struct ex_fargs *fa,
			     const uint32_t *sel, int64_t n, struct tarn_array *r,
			     struct tarn_err *err)
{
	const struct ex_vec *l = &fa->v[0];
	int64_t N = r->length;
	if (l->a->type->id == TARN_T_NULL || (e->fn_arg != LA_COUNT && e->type.id == TARN_T_NULL))
		return all_null(r, N, err);
	if (!sel)
		n = N;
	const struct tarn_array *it = l->a->children[0];
	const int32_t *o = l->a->offsets;
	if (e->fn_arg == LA_MIN || e->fn_arg == LA_MAX) {
		uint32_t *idx = scratch((size_t)N, sizeof *idx);
		if (!idx)
			return tarn_err_nomem(err, e->fn->name);
		for (int64_t i = 0; i < N; i++)
			idx[i] = EX_NULL_ROW;
		int want = e->fn_arg == LA_MIN ? -1 : 1;
		for (int64_t k = 0; k < n; k++) {
			int64_t i = SROW(sel, k), j = VROW(l, i);
			if (vec_null(l, i))
				continue;
			for (int32_t p = o[j]; p < o[j + 1]; p++) {
				if (tarn_array_is_null(it, p))
					continue;
				if (idx[i] == EX_NULL_ROW ||
				    ex_nested_value_cmp(it, p, it, idx[i]) * want > 0)
					idx[i] = (uint32_t)p;
			}
		}
		tarn_array_reset(r);
		tarn_rc rc = ex_array_gather(r, it, idx, 0, N);
		tarn_free(idx);
		if (rc)
			return tarn_err_nomem(err, e->fn->name);
		ex_array_finish(r);
		return TARN_OK;
	}
	TRY(ex_validity_and(r, l, 1, N));
	bool ints = e->type.id == TARN_T_INT64 && it->type->id != TARN_T_NULL &&
		    tarn_type_is_integer(it->type->id);
	for (int64_t k = 0; k < n; k++) {
		int64_t i = SROW(sel, k), j = VROW(l, i);
		if (vec_null(l, i))
			continue;
		int64_t cnt = 0, si = 0;
		double sd = 0;
		tarn_i128 sdec = 0;
		for (int32_t p = o[j]; p < o[j + 1]; p++) {
			if (it->type->id == TARN_T_NULL || tarn_array_is_null(it, p))
				continue;
			cnt++;
			if (e->fn_arg != LA_SUM)
				continue;
			if (ints) {
				int64_t v = it->type->id == TARN_T_UINT64 &&
							    tarn_array_get_uint(it, p) > INT64_MAX
						    ? -1
						    : tarn_array_get_int(it, p);
				if (v < 0 && it->type->id == TARN_T_UINT64)
					return tarn_err_set(err, TARN_EDATA, "%s: integer overflow",
							    e->fn->name);
				if (__builtin_add_overflow(si, v, &si))
					return tarn_err_set(err, TARN_EDATA, "%s: integer overflow",
							    e->fn->name);
			} else if (it->type->id == TARN_T_DECIMAL128) {
				if (__builtin_add_overflow(sdec, tarn_array_get_decimal(it, p), &sdec) ||
				    sdec >= ex_pow10(38) || sdec <= -ex_pow10(38))
					return tarn_err_set(err, TARN_EDATA, "%s: decimal overflow",
							    e->fn->name);
			} else {
				sd += tarn_array_get_double(it, p);
			}
		}
		if (e->fn_arg == LA_COUNT) {
			((int64_t *)r->values)[i] = cnt;
		} else if (cnt == 0) {
			if (!r->validity && ex_scratch_validity(r))
				return tarn_err_nomem(err, e->fn->name);
			ex_set_null(r, i);
		} else if (ints) {
			((int64_t *)r->values)[i] = si;
		} else if (e->type.id == TARN_T_DECIMAL128) {
			memcpy(r->values + i * 16, &sdec, 16);
		} else {
			((double *)r->values)[i] = sd;
		}
	}
	return TARN_OK;
}

/* map_keys(m), map_values(m): lists of the entries' keys / values. */
static tarn_rc bind_map_part(struct ex_expr *e, struct tarn_err *err)
{
	if (e->args[0]->type.id != TARN_T_MAP)
		return ex_fn_bind_fail(e, 0, "a map", err);
	e->fn_arg = strcmp(e->fn->name, "map_values") == 0;
	struct tarn_type t;
	if (tarn_type_copy(&t, &e->args[0]->type.children[0].type.children[e->fn_arg].type))
		return tarn_err_nomem(err, "type");
	if (tarn_type_init_list(&e->type, &t, true)) {
		tarn_type_clear(&t);
		return tarn_err_nomem(err, "type");
	}
	return TARN_OK;
}

static tarn_rc eval_map_part(const struct ex_expr *e, const struct ex_fargs *fa,
			     const uint32_t *sel, int64_t n, struct tarn_array *r,
			     struct tarn_err *err)
{
	const struct ex_vec *l = &fa->v[0];
	int64_t N = r->length;
	int32_t *cnt = scratch((size_t)N, sizeof *cnt);
	if (!cnt)
		return tarn_err_nomem(err, e->fn->name);
	memset(cnt, 0, (size_t)N * sizeof *cnt);
	if (!sel)
		n = N;
	int64_t m = 0;
	for (int64_t k = 0; k < n; k++) {
		int64_t i = SROW(sel, k), j = VROW(l, i);
		cnt[i] = vec_null(l, i) ? -1 : l->a->offsets[j + 1] - l->a->offsets[j];
		m += cnt[i] > 0 ? cnt[i] : 0;
	}
	uint32_t *idx = scratch((size_t)m, sizeof *idx);
	if (!idx) {
		tarn_free(cnt);
		return tarn_err_nomem(err, e->fn->name);
	}
	int64_t p = 0;
	for (int64_t k = 0; k < n; k++) {
		int64_t i = SROW(sel, k), j = VROW(l, i);
		for (int32_t x = 0; x < cnt[i]; x++)
			idx[p++] = (uint32_t)(l->a->offsets[j] + x);
	}
	tarn_rc rc = list_build(r, N, cnt, l->a->children[0]->children[e->fn_arg], idx, m, false,
				err);
	tarn_free(cnt);
	tarn_free(idx);
	return rc;
}

/* string_split(s, sep): the pieces between separators (empty sep: the
 * characters). */
static tarn_rc bind_split(struct ex_expr *e, struct tarn_err *err)
{
	TRY(ex_fn_want_string(e, 0, err));
	TRY(ex_fn_want_string(e, 1, err));
	struct tarn_type s;
	tarn_type_init(&s, TARN_T_STRING);
	return tarn_type_init_list(&e->type, &s, true) ? tarn_err_nomem(err, "type") : TARN_OK;
}

static tarn_rc eval_split(const struct ex_expr *e, const struct ex_fargs *fa,
			  const uint32_t *sel, int64_t n, struct tarn_array *r,
			  struct tarn_err *err)
{
	const struct ex_vec *s = &fa->v[0], *d = &fa->v[1];
	int64_t N = r->length;
	if (s->a->type->id == TARN_T_NULL || d->a->type->id == TARN_T_NULL)
		return all_null(r, N, err);
	tarn_array_reset(r);
	if (tarn_array_reserve(r, N))
		return tarn_err_nomem(err, "string_split");
	struct tarn_array *c = r->children[0];
	if (!sel)
		n = N;
	int64_t next = 0;
	tarn_rc rc = TARN_OK;
	for (int64_t k = 0; k <= n && !rc; k++) {
		int64_t i = k < n ? SROW(sel, k) : N;
		for (; next < i && !rc; next++)
			rc = tarn_array_list_end(r, true);
		if (k == n || rc)
			break;
		if (vec_null(s, i) || vec_null(d, i)) {
			rc = tarn_array_list_end(r, false);
			next++;
			continue;
		}
		size_t sl, dl;
		const uint8_t *sp = ex_str_at(s, i, &sl), *dp = ex_str_at(d, i, &dl);
		if (dl == 0) {
			for (size_t p = 0; p < sl && !rc;) {
				size_t q = p + 1;
				while (q < sl && (sp[q] & 0xC0) == 0x80)
					q++;
				rc = tarn_array_append_bytes(c, sp + p, q - p);
				p = q;
			}
		} else {
			size_t start = 0;
			for (size_t p = 0; p + dl <= sl && !rc;) {
				if (memcmp(sp + p, dp, dl) == 0) {
					rc = tarn_array_append_bytes(c, sp + start, p - start);
					p += dl;
					start = p;
				} else {
					p++;
				}
			}
			if (!rc)
				rc = tarn_array_append_bytes(c, sp + start, sl - start);
		}
		if (!rc)
			rc = tarn_array_list_end(r, true);
		next++;
	}
	if (rc)
		return rc == TARN_ELIMIT ? tarn_err_set(err, rc, "string_split: result too large")
					 : tarn_err_nomem(err, "string_split");
	ex_array_finish(r);
	return TARN_OK;
}

/* ---- the table ------------------------------------------------------------------------- */

static const struct ex_func nested_funcs[] = {
	{ "list_value", 0, -1, "list_value(a, ...): the list [a, ...]", bind_list_value,
	  eval_list_value },
	{ "list_pack", 0, -1, "list_pack(a, ...): list_value", bind_list_value, eval_list_value },
	{ "struct_pack", 1, -1, "struct_pack(name := v, ...): a struct", bind_struct_pack,
	  eval_struct_pack },
	{ "map", 2, 2, "map(keys, values): a map from two lists of equal length", bind_map,
	  eval_map },
	{ "struct_extract", 2, 2, "struct_extract(s, 'name' | i): a struct's field",
	  bind_struct_extract, eval_struct_extract },
	{ "list_extract", 2, 2,
	  "list_extract(l, i): item i (1-based; negative from the end; NULL out of range); "
	  "l[i]",
	  bind_extract, eval_extract },
	{ "list_element", 2, 2, "list_element(l, i): list_extract", bind_extract, eval_extract },
	{ "array_extract", 2, 2, "array_extract(l, i): list_extract (maps: the value of key i)",
	  bind_extract, eval_extract },
	{ "map_extract", 2, 2, "map_extract(m, k): [value of k] or [] when absent",
	  bind_map_extract, eval_map_extract },
	{ "element_at", 2, 2, "element_at(m, k): map_extract", bind_map_extract, eval_map_extract },
	{ "map_extract_value", 2, 2, "map_extract_value(m, k): the value of k, NULL when absent",
	  bind_extract, eval_extract },
	{ "list_slice", 3, 3, "list_slice(l, begin, end): items begin..end (1-based, inclusive)",
	  bind_slice, eval_slice },
	{ "array_slice", 3, 3, "array_slice(l, begin, end): list_slice", bind_slice, eval_slice },
	{ "array_length", 1, 1, "array_length(l): number of items", bind_len, eval_len },
	{ "cardinality", 1, 1, "cardinality(m): number of entries of a map", bind_len, eval_len },
	{ "list_contains", 2, 2, "list_contains(l, x): l holds x (NULL items never match)",
	  bind_contains, eval_contains },
	{ "list_has", 2, 2, "list_has(l, x): list_contains", bind_contains, eval_contains },
	{ "array_contains", 2, 2, "array_contains(l, x): list_contains", bind_contains,
	  eval_contains },
	{ "array_has", 2, 2, "array_has(l, x): list_contains", bind_contains, eval_contains },
	{ "list_position", 2, 2, "list_position(l, x): 1-based index of x in l, NULL if absent",
	  bind_contains, eval_contains },
	{ "list_indexof", 2, 2, "list_indexof(l, x): list_position", bind_contains,
	  eval_contains },
	{ "array_position", 2, 2, "array_position(l, x): list_position", bind_contains,
	  eval_contains },
	{ "list_concat", 2, 2, "list_concat(a, b): a's items then b's (NULL counts as [])",
	  bind_concat, eval_concat },
	{ "list_cat", 2, 2, "list_cat(a, b): list_concat", bind_concat, eval_concat },
	{ "array_concat", 2, 2, "array_concat(a, b): list_concat", bind_concat, eval_concat },
	{ "list_sort", 1, 3,
	  "list_sort(l [, 'ASC'|'DESC' [, 'NULLS FIRST'|'NULLS LAST']]): sorted copy (NULLs "
	  "last by default)",
	  bind_sort, eval_sort },
	{ "array_sort", 1, 3, "array_sort(l ...): list_sort", bind_sort, eval_sort },
	{ "list_reverse_sort", 1, 2, "list_reverse_sort(l [, nulls]): list_sort descending",
	  bind_sort, eval_sort },
	{ "list_distinct", 1, 1, "list_distinct(l): the distinct non-NULL items", bind_sort,
	  eval_sort },
	{ "array_distinct", 1, 1, "array_distinct(l): list_distinct", bind_sort, eval_sort },
	{ "list_aggregate", 2, 2,
	  "list_aggregate(l, 'min'|'max'|'sum'|'count'): an aggregate over the non-NULL items",
	  bind_list_agg, eval_list_agg },
	{ "list_aggr", 2, 2, "list_aggr(l, name): list_aggregate", bind_list_agg, eval_list_agg },
	{ "list_min", 1, 1, "list_min(l): smallest non-NULL item", bind_list_agg, eval_list_agg },
	{ "list_max", 1, 1, "list_max(l): largest non-NULL item", bind_list_agg, eval_list_agg },
	{ "list_sum", 1, 1, "list_sum(l): sum of the items (int64 or float64)", bind_list_agg,
	  eval_list_agg },
	{ "list_count", 1, 1, "list_count(l): number of non-NULL items", bind_list_agg,
	  eval_list_agg },
	{ "map_keys", 1, 1, "map_keys(m): the keys as a list", bind_map_part, eval_map_part },
	{ "map_values", 1, 1, "map_values(m): the values as a list", bind_map_part,
	  eval_map_part },
	{ "string_split", 2, 2, "string_split(s, sep): the pieces of s as a list", bind_split,
	  eval_split },
	{ "str_split", 2, 2, "str_split(s, sep): string_split", bind_split, eval_split },
	{ "string_to_array", 2, 2, "string_to_array(s, sep): string_split", bind_split,
	  eval_split },
};

/* Overloads of scalar names, taken when an argument is nested (not listed
 * by ex_func_at, so every listed name finds its own entry). */
static const struct ex_func nested_overloads[] = {
	{ "len", 1, 1, "len(l): number of items of a list", bind_len, eval_len },
	{ "length", 1, 1, "length(l): number of items of a list", bind_len, eval_len },
	{ "||", 2, 2, "a || b on lists: list_concat", bind_concat, eval_concat },
};

const int ex_nested_funcs_n = (int)(sizeof nested_funcs / sizeof *nested_funcs);

const struct ex_func *ex_nested_func_at(int i)
{
	return i >= 0 && i < ex_nested_funcs_n ? &nested_funcs[i] : NULL;
}

const struct ex_func *ex_nested_func_find(const char *name, struct ex_expr *const *args, int n)
{
	bool nested = false;
	for (int i = 0; i < n; i++)
		nested |= tarn_type_is_nested(args[i]->type.id);
	for (int i = 0; i < ex_nested_funcs_n; i++)
		if (!strcasecmp(nested_funcs[i].name, name))
			return &nested_funcs[i];
	int no = (int)(sizeof nested_overloads / sizeof *nested_overloads);
	for (int i = 0; nested && i < no; i++)
		if (!strcasecmp(nested_overloads[i].name, name))
			return &nested_overloads[i];
	return NULL;
}

bool ex_func_is_nested(const struct ex_func *f)
{
	int no = (int)(sizeof nested_overloads / sizeof *nested_overloads);
	return (f >= nested_funcs && f < nested_funcs + ex_nested_funcs_n) ||
	       (f >= nested_overloads && f < nested_overloads + no);
}

tarn_rc ex_expr_struct_pack(char **names, struct ex_expr **args, int n, struct ex_expr **out,
			    struct tarn_err *err)
{
	*out = NULL;
	struct ex_expr *e;
	tarn_rc rc = ex_expr_node(EX_E_FUNC, n, &e);
	if (rc) {
		for (int i = 0; i < n; i++)
			ex_expr_free(args[i]);
		return tarn_err_nomem(err, "struct");
	}
	if (n > 0)
		memcpy(e->args, args, (size_t)n * sizeof *args);
	e->fn = &nested_funcs[2];
	for (int i = 0; i < n; i++)
		for (int j = 0; j < i; j++)
			if (!strcasecmp(names[i], names[j])) {
				ex_expr_free(e);
				return tarn_err_set(err, TARN_EUSAGE, "duplicate struct field '%s'",
						    names[i]);
			}
	rc = tarn_type_init_struct(&e->type, n);
	for (int i = 0; i < n && !rc; i++) {
		rc = tarn_field_set_name(&e->type.children[i], names[i], strlen(names[i]));
		if (!rc)
			rc = tarn_type_copy(&e->type.children[i].type, &args[i]->type);
		e->type.children[i].nullable = true;
	}
	if (rc) {
		ex_expr_free(e);
		return tarn_err_nomem(err, "struct");
	}
	rc = ex_expr_fold(&e);
	if (rc) {
		ex_expr_free(e);
		return rc;
	}
	*out = e;
	return TARN_OK;
}
