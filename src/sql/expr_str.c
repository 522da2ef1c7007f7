/*
 * expr_str.c — LIKE/ILIKE pattern matching and IN-list sets.
 *
 * A LIKE pattern compiles once into a shape: exact, prefix%, %suffix,
 * %infix%, % (anything), or general. The first four are one memcmp or one
 * memmem per row; general patterns run a backtracking matcher over the
 * compiled elements (literal byte, `_` = one UTF-8 character, `%` = any
 * run), which is linear except for pathological patterns. ESCAPE makes the
 * next pattern byte literal. ILIKE folds ASCII letters on both sides
 * (other characters compare exactly).
 *
 * An IN list of constants is a small open-addressing hash set over the
 * list's values (hashes from vec.c, so the list and the probe hash alike);
 * probes hash the selected rows in one vectorised pass.
 *
 * Compiled patterns and sets are immutable: thread-safe to share.
 */
#include <string.h>

#include "base/mem.h"
#include "sql/expr_int.h"

/* ---- LIKE -------------------------------------------------------------------------------- */

enum like_shape { LK_EXACT, LK_PREFIX, LK_SUFFIX, LK_CONTAINS, LK_ANY, LK_GENERAL };
enum { EL_LIT, EL_ONE, EL_ANY };

struct ex_like {
	int shape;
	bool ci;
	uint8_t *lit; /* the literal of the fast shapes (folded when ci) */
	size_t lit_n;
	int n_el;
	uint8_t *el_kind;
	uint8_t *el_byte;
};

static inline uint8_t fold(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c;
}

void ex_like_free(struct ex_like *l)
{
	if (!l)
		return;
	tarn_free(l->lit);
	tarn_free(l->el_kind);
	tarn_free(l->el_byte);
	tarn_free(l);
}

tarn_rc ex_like_compile(const uint8_t *pat, size_t n, int esc, bool ci, struct ex_like **out,
			 struct tarn_err *err)
{
	*out = NULL;
	struct ex_like *l = tarn_calloc(1, sizeof *l);
	if (!l)
		return tarn_err_nomem(err, "LIKE pattern");
	l->ci = ci;
	l->el_kind = tarn_malloc(n + 1);
	l->el_byte = tarn_malloc(n + 1);
	l->lit = tarn_malloc(n + 1);
	if (!l->el_kind || !l->el_byte || !l->lit) {
		ex_like_free(l);
		return tarn_err_nomem(err, "LIKE pattern");
	}
	for (size_t i = 0; i < n; i++) {
		uint8_t c = pat[i];
		if (esc >= 0 && c == (uint8_t)esc) {
			if (i + 1 >= n) {
				ex_like_free(l);
				return tarn_err_set(err, TARN_EDATA,
						    "LIKE pattern ends with the escape character");
			}
			c = pat[++i];
			l->el_kind[l->n_el] = EL_LIT;
			l->el_byte[l->n_el++] = ci ? fold(c) : c;
			continue;
		}
		if (c == '%') {
			if (l->n_el && l->el_kind[l->n_el - 1] == EL_ANY)
				continue; /* %% = % */
			l->el_kind[l->n_el++] = EL_ANY;
		} else if (c == '_') {
			l->el_kind[l->n_el++] = EL_ONE;
		} else {
			l->el_kind[l->n_el] = EL_LIT;
			l->el_byte[l->n_el++] = ci ? fold(c) : c;
		}
	}
	/* shape: count wildcards and where they are */
	int n_any = 0, n_one = 0;
	for (int i = 0; i < l->n_el; i++) {
		n_any += l->el_kind[i] == EL_ANY;
		n_one += l->el_kind[i] == EL_ONE;
	}
	bool first_any = l->n_el > 0 && l->el_kind[0] == EL_ANY;
	bool last_any = l->n_el > 0 && l->el_kind[l->n_el - 1] == EL_ANY;
	l->shape = LK_GENERAL;
	if (n_one == 0) {
		if (n_any == 0)
			l->shape = LK_EXACT;
		else if (n_any == 1 && l->n_el == 1)
			l->shape = LK_ANY;
		else if (n_any == 1 && last_any)
			l->shape = LK_PREFIX;
		else if (n_any == 1 && first_any)
			l->shape = LK_SUFFIX;
		else if (n_any == 2 && first_any && last_any)
			l->shape = LK_CONTAINS;
	}
	for (int i = 0; i < l->n_el; i++)
		if (l->el_kind[i] == EL_LIT)
			l->lit[l->lit_n++] = l->el_byte[i];
	*out = l;
	return TARN_OK;
}

static bool eq_ci(const uint8_t *a, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (fold(a[i]) != b[i])
			return false;
	return true;
}

static bool contains(const uint8_t *s, size_t n, const uint8_t *lit, size_t ln, bool ci)
{
	if (ln == 0)
		return true;
	if (n < ln)
		return false;
	if (!ci)
		return memmem(s, n, lit, ln) != NULL;
	for (size_t i = 0; i + ln <= n; i++)
		if (fold(s[i]) == lit[0] && eq_ci(s + i, lit, ln))
			return true;
	return false;
}

static size_t utf8_len(uint8_t c)
{
	return c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
}

/* Backtracking over % (the most recent one only: that suffices for
 * wildcards that match any run). */
static bool match_general(const struct ex_like *l, const uint8_t *s, size_t n)
{
	size_t si = 0, star_si = 0;
	int ti = 0, star_ti = -1;
	while (si < n || ti < l->n_el) {
		if (ti < l->n_el) {
			int k = l->el_kind[ti];
			if (k == EL_ANY) {
				star_ti = ti++;
				star_si = si;
				continue;
			}
			if (si < n) {
				if (k == EL_ONE) {
					size_t cl = utf8_len(s[si]);
					si += cl <= n - si ? cl : n - si;
					ti++;
					continue;
				}
				uint8_t c = l->ci ? fold(s[si]) : s[si];
				if (c == l->el_byte[ti]) {
					si++;
					ti++;
					continue;
				}
			}
		}
		if (star_ti >= 0 && star_si < n) {
			size_t cl = utf8_len(s[star_si]);
			star_si += cl <= n - star_si ? cl : n - star_si;
			si = star_si;
			ti = star_ti + 1;
			continue;
		}
		return false;
	}
	return true;
}

bool ex_like_match(const struct ex_like *l, const uint8_t *s, size_t n)
{
	switch (l->shape) {
	case LK_EXACT:
		return n == l->lit_n && (l->ci ? eq_ci(s, l->lit, n) : memcmp(s, l->lit, n) == 0);
	case LK_PREFIX:
		return n >= l->lit_n &&
		       (l->ci ? eq_ci(s, l->lit, l->lit_n) : memcmp(s, l->lit, l->lit_n) == 0);
	case LK_SUFFIX:
		return n >= l->lit_n && (l->ci ? eq_ci(s + n - l->lit_n, l->lit, l->lit_n)
					       : memcmp(s + n - l->lit_n, l->lit, l->lit_n) == 0);
	case LK_CONTAINS: return contains(s, n, l->lit, l->lit_n, l->ci);
	case LK_ANY: return true;
	default: return match_general(l, s, n);
	}
}

tarn_rc ex_kern_like(const struct ex_expr *e, const struct ex_vec *a, const struct ex_vec *p,
		      int esc, const uint32_t *sel, int64_t n, struct tarn_array *r,
		      struct tarn_err *err)
{
	struct ex_vec v[2] = { *a, *p };
	TRY(ex_validity_and(r, v, 2, r->length));
	if (!sel)
		n = r->length;
	if (a->a->type->id == TARN_T_NULL || p->a->type->id == TARN_T_NULL)
		return TARN_OK;
	const int32_t *o = a->a->offsets;
	const uint8_t *s = a->a->values;
	bool ac = a->is_const;
	bool neg = e->negate;
	if (e->like) {
		const struct ex_like *l = e->like;
		/* the fast shapes get their own loops */
		if (l->shape == LK_CONTAINS && !l->ci && !ac) {
			for (int64_t k = 0; k < n; k++) {
				int64_t i = sel ? sel[k] : k;
				size_t len = (size_t)(o[i + 1] - o[i]);
				bool m = len >= l->lit_n &&
					 memmem(s + o[i], len, l->lit, l->lit_n) != NULL;
				bits_set(r->values, i, m != neg);
			}
			return TARN_OK;
		}
		for (int64_t k = 0; k < n; k++) {
			int64_t i = sel ? sel[k] : k, ia = ac ? 0 : i;
			bool m = ex_like_match(l, s + o[ia], (size_t)(o[ia + 1] - o[ia]));
			bits_set(r->values, i, m != neg);
		}
		return TARN_OK;
	}
	/* a pattern per row */
	for (int64_t k = 0; k < n; k++) {
		int64_t i = sel ? sel[k] : k, ia = ac ? 0 : i, ip = p->is_const ? 0 : i;
		if (vec_null(a, i) || vec_null(p, i))
			continue;
		size_t pn;
		const uint8_t *pp = tarn_array_get_bytes(p->a, ip, &pn);
		struct ex_like *l;
		TRY(ex_like_compile(pp, pn, esc, e->ci, &l, err));
		bool m = ex_like_match(l, s + o[ia], (size_t)(o[ia + 1] - o[ia]));
		ex_like_free(l);
		bits_set(r->values, i, m != neg);
	}
	return TARN_OK;
}

/* ---- IN sets ------------------------------------------------------------------------------- */

struct ex_inset {
	struct tarn_array *vals; /* non-null list values */
	bool has_null;
	uint32_t mask;
	uint32_t *slots; /* index + 1 into vals, 0 = empty */
	uint64_t *hashes; /* per value */
};

void ex_inset_free(struct ex_inset *s)
{
	if (!s)
		return;
	tarn_array_free(s->vals);
	tarn_free(s->slots);
	tarn_free(s->hashes);
	tarn_free(s);
}

static tarn_rc inset_index(struct ex_inset *s)
{
	int64_t n = s->vals->length;
	uint32_t cap = 16;
	while (cap < 2 * n)
		cap *= 2;
	s->mask = cap - 1;
	s->slots = tarn_calloc(cap, sizeof *s->slots);
	s->hashes = tarn_malloc((size_t)(n > 0 ? n : 1) * sizeof *s->hashes);
	if (!s->slots || !s->hashes)
		return TARN_ENOMEM;
	ex_hash_column(s->vals, false, NULL, n, s->hashes, false);
	for (int64_t i = 0; i < n; i++) {
		uint32_t pos = (uint32_t)s->hashes[i] & s->mask;
		bool dup = false;
		while (s->slots[pos]) {
			uint32_t j = s->slots[pos] - 1;
			if (s->hashes[j] == s->hashes[i] && ex_value_cmp(s->vals, j, s->vals, i) == 0) {
				dup = true;
				break;
			}
			pos = (pos + 1) & s->mask;
		}
		if (!dup)
			s->slots[pos] = (uint32_t)i + 1;
	}
	return TARN_OK;
}

tarn_rc ex_inset_new(const struct tarn_type *t, struct ex_expr **items, int n,
		      struct ex_inset **out)
{
	*out = NULL;
	struct ex_inset *s = tarn_calloc(1, sizeof *s);
	if (!s)
		return TARN_ENOMEM;
	tarn_rc rc = tarn_array_new(t, n, &s->vals);
	for (int i = 0; i < n && !rc; i++) {
		const struct tarn_array *v = items[i]->value;
		if (ex_is_null(v, 0) || v->type->id == TARN_T_NULL)
			s->has_null = true;
		else
			rc = ex_array_gather(s->vals, v, NULL, 0, 1);
	}
	if (!rc)
		rc = inset_index(s);
	if (rc) {
		ex_inset_free(s);
		return rc;
	}
	*out = s;
	return TARN_OK;
}

tarn_rc ex_inset_copy(const struct ex_inset *src, struct ex_inset **out)
{
	*out = NULL;
	struct ex_inset *s = tarn_calloc(1, sizeof *s);
	if (!s)
		return TARN_ENOMEM;
	s->has_null = src->has_null;
	tarn_rc rc = tarn_array_new(src->vals->type, src->vals->length, &s->vals);
	if (!rc)
		rc = ex_array_gather(s->vals, src->vals, NULL, 0, src->vals->length);
	if (!rc)
		rc = inset_index(s);
	if (rc) {
		ex_inset_free(s);
		return rc;
	}
	*out = s;
	return TARN_OK;
}

const struct tarn_array *ex_inset_values(const struct ex_inset *s)
{
	return s->vals;
}

void ex_inset_text(const struct ex_inset *s, struct tarn_buf *out)
{
	char v[120];
	for (int64_t i = 0; i < s->vals->length; i++) {
		ex_value_text(s->vals, i, v, sizeof v);
		if ((i && tarn_buf_append(out, ", ", 2)) || tarn_buf_append(out, v, strlen(v)))
			return;
	}
	if (s->has_null && tarn_buf_append(out, s->vals->length ? ", NULL" : "NULL",
					   s->vals->length ? 6 : 4))
		return;
}

tarn_rc ex_kern_in(const struct ex_expr *e, const struct ex_vec *a, const uint32_t *sel,
		    int64_t n, struct tarn_array *r)
{
	TRY(ex_validity_and(r, a, 1, r->length));
	if (!sel)
		n = r->length;
	const struct ex_inset *s = e->in;
	if (a->a->type->id == TARN_T_NULL)
		return TARN_OK;
	uint64_t hbuf[256];
	bool neg = e->negate;
	for (int64_t base = 0; base < n; base += 256) {
		int64_t m = n - base < 256 ? n - base : 256;
		const uint32_t *sb = sel ? sel + base : NULL;
		if (a->is_const) {
			ex_hash_column(a->a, true, NULL, m, hbuf, false);
		} else if (sb) {
			ex_hash_column(a->a, false, sb, m, hbuf, false);
		} else {
			uint32_t idx[256];
			for (int64_t k = 0; k < m; k++)
				idx[k] = (uint32_t)(base + k);
			ex_hash_column(a->a, false, idx, m, hbuf, false);
		}
		for (int64_t k = 0; k < m; k++) {
			int64_t i = sb ? sb[k] : base + k, ia = a->is_const ? 0 : i;
			if (vec_null(a, i))
				continue;
			bool found = false;
			uint32_t pos = (uint32_t)hbuf[k] & s->mask;
			while (s->slots[pos]) {
				uint32_t j = s->slots[pos] - 1;
				if (s->hashes[j] == hbuf[k] && ex_value_cmp(a->a, ia, s->vals, j) == 0) {
					found = true;
					break;
				}
				pos = (pos + 1) & s->mask;
			}
			if (!found && s->has_null) {
				if (!r->validity)
					TRY(ex_scratch_validity(r));
				ex_set_null(r, i);
				continue;
			}
			bits_set(r->values, i, found != neg);
		}
	}
	return TARN_OK;
}
