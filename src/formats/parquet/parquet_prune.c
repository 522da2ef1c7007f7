/*
 * parquet_prune.c — which row groups and pages of a column may hold values
 * in a range, from the column chunk statistics and the page index
 * (ColumnIndex + OffsetIndex, PageIndex.md). For SQL filters pushed into
 * Parquet scans.
 *
 * Every answer is conservative: a row group or page is dropped only when
 * its statistics prove no value of the column lies in [lo, hi]. Statistics
 * are trusted only where their order is defined: min_value/max_value under
 * TYPE_ORDER (or files without column_orders, for signed integers and
 * floats, whose legacy order was the same); the deprecated min/max fields
 * only for signed integers and floats (older writers compared bytes as
 * signed); never INT96 or FLOAT16; a NaN bound means "unknown".
 *
 * Relies on parquet_meta.c (footer, index decoding). Pure functions over
 * caller-owned memory: thread-safe.
 */
#include <math.h>
#include <string.h>

#include "base/err.h"
#include "formats/parquet/parquet_int.h"

int pq_leaf_order(const struct pq_file_meta *m, const struct pq_leaf *lf)
{
	const struct pq_schema_elem *el = lf->el;
	if (lf->index < m->n_column_orders && m->column_orders[lf->index] != 1)
		return PQ_ORDER_NONE; /* an order tarn does not know */
	bool dec = el->logical.kind == PQ_LT_DECIMAL ||
	           (el->logical.kind == PQ_LT_NONE && el->converted == PQ_CT_DECIMAL);
	switch (lf->phys) {
	case PQ_BOOLEAN: return PQ_ORDER_UNSIGNED;
	case PQ_INT32:
	case PQ_INT64:
		if ((el->logical.kind == PQ_LT_INTEGER && !el->logical.is_signed) ||
		    (el->logical.kind == PQ_LT_NONE &&
		     (el->converted == PQ_CT_UINT_8 || el->converted == PQ_CT_UINT_16 ||
		      el->converted == PQ_CT_UINT_32 || el->converted == PQ_CT_UINT_64)))
			return PQ_ORDER_UNSIGNED;
		return PQ_ORDER_SIGNED;
	case PQ_FLOAT:
	case PQ_DOUBLE: return PQ_ORDER_FLOAT;
	case PQ_BYTE_ARRAY: return dec ? PQ_ORDER_DECIMAL : PQ_ORDER_BYTES;
	case PQ_FLBA:
		if (el->logical.kind == PQ_LT_FLOAT16)
			return PQ_ORDER_NONE;
		return dec ? PQ_ORDER_DECIMAL : PQ_ORDER_BYTES;
	default: return PQ_ORDER_NONE; /* INT96: undefined */
	}
}

/* A big-endian two's complement integer of 1..16 bytes. */
static bool be_int(const uint8_t *p, size_t n, __int128 *out)
{
	if (n == 0 || n > 16)
		return false;
	unsigned __int128 v = (p[0] & 0x80) ? ~(unsigned __int128)0 : 0;
	for (size_t i = 0; i < n; i++)
		v = (v << 8) | p[i];
	*out = (__int128)v;
	return true;
}

int pq_value_cmp(int order, int phys, const uint8_t *a, size_t an, const uint8_t *b, size_t bn,
                 bool *ok)
{
	*ok = true;
	size_t w = phys == PQ_BOOLEAN ? 1 : phys == PQ_INT32 || phys == PQ_FLOAT ? 4 : 8;
	bool fixed =
	    order == PQ_ORDER_SIGNED || order == PQ_ORDER_UNSIGNED || order == PQ_ORDER_FLOAT;
	if (fixed && (an != w || bn != w)) {
		*ok = false;
		return 0;
	}
	switch (order) {
	case PQ_ORDER_SIGNED:
	case PQ_ORDER_UNSIGNED: {
		uint64_t x = 0, y = 0;
		memcpy(&x, a, w);
		memcpy(&y, b, w);
		if (order == PQ_ORDER_SIGNED) {
			int64_t sx = w == 4 ? (int64_t)(int32_t)x : (int64_t)x;
			int64_t sy = w == 4 ? (int64_t)(int32_t)y : (int64_t)y;
			return (sx > sy) - (sx < sy);
		}
		return (x > y) - (x < y);
	}
	case PQ_ORDER_FLOAT: {
		double x, y;
		if (w == 4) {
			float f, g;
			memcpy(&f, a, 4);
			memcpy(&g, b, 4);
			x = f, y = g;
		} else {
			memcpy(&x, a, 8);
			memcpy(&y, b, 8);
		}
		if (isnan(x) || isnan(y)) {
			*ok = false;
			return 0;
		}
		/* -0.0 == +0.0 here: writers disagree on signed zero bounds */
		return (x > y) - (x < y);
	}
	case PQ_ORDER_BYTES: {
		size_t m = an < bn ? an : bn;
		int c = m ? memcmp(a, b, m) : 0;
		if (c)
			return c < 0 ? -1 : 1;
		return (an > bn) - (an < bn);
	}
	case PQ_ORDER_DECIMAL: {
		__int128 x, y;
		if (!be_int(a, an, &x) || !be_int(b, bn, &y)) {
			*ok = false;
			return 0;
		}
		return (x > y) - (x < y);
	}
	default: *ok = false; return 0;
	}
}

/* Whether values within [mn, mx] may fall in [lo, hi]. */
static bool may_overlap(int order, int phys, const uint8_t *mn, size_t mnn, const uint8_t *mx,
                        size_t mxn, const struct pq_bound *lo, const struct pq_bound *hi)
{
	bool ok;
	if (hi && hi->p && pq_value_cmp(order, phys, hi->p, hi->n, mn, mnn, &ok) < 0 && ok)
		return false;
	if (lo && lo->p && pq_value_cmp(order, phys, lo->p, lo->n, mx, mxn, &ok) > 0 && ok)
		return false;
	return true;
}

void pq_prune_row_groups(const struct pq_file_meta *m, const struct pq_leaf *lf,
                         const struct pq_bound *lo, const struct pq_bound *hi, bool *keep)
{
	int order = pq_leaf_order(m, lf);
	for (int g = 0; g < m->n_row_groups; g++) {
		keep[g] = true;
		const struct pq_row_group *rg = &m->row_groups[g];
		if (lf->index >= rg->n_columns || !rg->columns[lf->index].has_meta)
			continue;
		const struct pq_column_meta *cm = &rg->columns[lf->index].meta;
		if (!cm->has_stats)
			continue;
		const struct pq_stats *s = &cm->stats;
		/* Only nulls (flat columns: one level entry per row). */
		if (lf->max_rep == 0 && s->null_count >= 0 && s->null_count == cm->num_values &&
		    cm->num_values == rg->num_rows) {
			keep[g] = false;
			continue;
		}
		if (order == PQ_ORDER_NONE || !s->has_min || !s->has_max)
			continue;
		if (s->legacy && order != PQ_ORDER_SIGNED && order != PQ_ORDER_FLOAT)
			continue;
		if (m->n_column_orders == 0 && order != PQ_ORDER_SIGNED && order != PQ_ORDER_FLOAT)
			continue;
		keep[g] =
		    may_overlap(order, lf->phys, s->min, s->min_len, s->max, s->max_len, lo, hi);
	}
}

tarn_rc pq_chunk_offset_index(const uint8_t *file, size_t file_len, const struct pq_row_group *rg,
                              int col, struct tarn_arena *arena, struct pq_offset_index *out,
                              bool *has, const char **why)
{
	memset(out, 0, sizeof *out);
	*has = false;
	const struct pq_column_chunk *cc = &rg->columns[col];
	if (cc->offset_index_offset < 0 || !cc->has_meta)
		return TARN_OK;
	if (cc->offset_index_length <= 0 || cc->offset_index_offset > (int64_t)file_len ||
	    cc->offset_index_length > (int64_t)file_len - cc->offset_index_offset) {
		*why = "offset index outside the file";
		return TARN_EDATA;
	}
	TRY(pq_offset_index_decode(file + cc->offset_index_offset, (size_t)cc->offset_index_length,
	                           arena, out, why));
	const struct pq_column_meta *cm = &cc->meta;
	int64_t start = cm->data_page_offset;
	if (cm->dictionary_page_offset > 0 && cm->dictionary_page_offset < start)
		start = cm->dictionary_page_offset;
	int64_t end;
	if (__builtin_add_overflow(start, cm->total_compressed_size, &end) ||
	    end > (int64_t)file_len)
		end = (int64_t)file_len;
	for (int i = 0; i < out->n; i++) {
		const struct pq_page_loc *l = &out->locs[i];
		int64_t prev_end = i ? out->locs[i - 1].offset + out->locs[i - 1].size : start;
		if (l->offset < prev_end || l->offset > end || l->size > end - l->offset) {
			*why = "offset index page outside its column chunk or out of order";
			return TARN_EDATA;
		}
		if ((i == 0 && l->first_row != 0) ||
		    (i > 0 && l->first_row <= out->locs[i - 1].first_row) ||
		    l->first_row >= (rg->num_rows > 0 ? rg->num_rows : 1)) {
			*why =
			    "offset index first_row_index not rising from 0 within the row group";
			return TARN_EDATA;
		}
	}
	*has = out->n > 0;
	return TARN_OK;
}

static tarn_rc add_range(struct tarn_arena *arena, struct pq_row_range **v, int *n, int *cap,
                         int64_t first, int64_t end)
{
	if (*n > 0 && (*v)[*n - 1].end == first) {
		(*v)[*n - 1].end = end;
		return TARN_OK;
	}
	if (*n == *cap) {
		int nc = *cap ? *cap * 2 : 16;
		struct pq_row_range *w = tarn_arena_alloc(arena, (size_t)nc * sizeof *w);
		if (!w)
			return TARN_ENOMEM;
		if (*n)
			memcpy(w, *v, (size_t)*n * sizeof *w);
		*v = w;
		*cap = nc;
	}
	(*v)[(*n)++] = (struct pq_row_range){first, end};
	return TARN_OK;
}

tarn_rc pq_prune_pages(const uint8_t *file, size_t file_len, const struct pq_file_meta *m, int g,
                       const struct pq_leaf *lf, const struct pq_bound *lo,
                       const struct pq_bound *hi, struct tarn_arena *arena,
                       struct pq_row_range **out, int *n_out, const char **why)
{
	*out = NULL;
	*n_out = 0;
	int cap = 0;
	const struct pq_row_group *rg = &m->row_groups[g];
	int64_t rows = rg->num_rows;
	if (rows <= 0)
		return TARN_OK;
	if (lf->index >= rg->n_columns)
		return add_range(arena, out, n_out, &cap, 0, rows);
	const struct pq_column_chunk *cc = &rg->columns[lf->index];
	struct pq_offset_index oi;
	bool has;
	TRY(pq_chunk_offset_index(file, file_len, rg, lf->index, arena, &oi, &has, why));
	int order = pq_leaf_order(m, lf);
	if (!has || cc->column_index_offset < 0 || order == PQ_ORDER_NONE ||
	    (m->n_column_orders == 0 && order != PQ_ORDER_SIGNED && order != PQ_ORDER_FLOAT))
		return add_range(arena, out, n_out, &cap, 0, rows);
	if (cc->column_index_length <= 0 || cc->column_index_offset > (int64_t)file_len ||
	    cc->column_index_length > (int64_t)file_len - cc->column_index_offset) {
		*why = "column index outside the file";
		return TARN_EDATA;
	}
	struct pq_column_index ci;
	TRY(pq_column_index_decode(file + cc->column_index_offset, (size_t)cc->column_index_length,
	                           arena, &ci, why));
	if (ci.n != oi.n) {
		*why = "column index and offset index disagree on the number of pages";
		return TARN_EDATA;
	}
	for (int i = 0; i < oi.n; i++) {
		int64_t first = oi.locs[i].first_row;
		int64_t end = i + 1 < oi.n ? oi.locs[i + 1].first_row : rows;
		if (ci.null_pages[i])
			continue;
		if (may_overlap(order, lf->phys, ci.min[i], ci.min_len[i], ci.max[i], ci.max_len[i],
		                lo, hi))
			TRY(add_range(arena, out, n_out, &cap, first, end));
	}
	return TARN_OK;
}
