/*
 * recordio_write.c — the RecordIO-protobuf writer: one aialgs.data.Record
 * per row, framed as dmlc RecordIO.
 *
 * What becomes the feature vector (docs/formats/recordio-protobuf.md):
 *  - a list column named `features` (or the only list column besides the
 *    label, keys and shape): its items, as a Float32Tensor. With list
 *    columns `keys` and `shape` beside it the tensor is sparse with those
 *    keys and shape (the reader's own layout);
 *  - otherwise every numeric column (integers, floats, decimals, bool as
 *    0/1) except the label, in column order; any other column is an error
 *    naming it. String columns named uid, metadata and configuration fill
 *    the Record's fields of those names.
 * sparse=true writes only the non-zero entries, with keys = their indexes
 * and shape = [vector length]. The label (label=COL, numeric or a list of
 * numbers) goes under label["values"] as a Float32Tensor; a null label
 * leaves the record without one. Nulls in the features are errors:
 * tensors have no nulls.
 *
 * Framing: each record is magic, lrecord, payload, zero padding to 4
 * bytes. With escape=true (the default) a payload that holds the magic at a
 * 4-byte boundary is split there into parts (cflag 1, 2, 3) the way dmlc's
 * RecordIOWriter does, so dmlc's splitting readers never mistake data for a
 * record start; escape=false always writes whole records (cflag 0), which
 * the SageMaker Python SDK's simple reader expects.
 *
 * Thread-safety: one writer per thread.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base/mem.h"
#include "columnar/utf8.h"
#include "formats/recordio/recordio_int.h"

extern const struct tarn_format tarn_format_recordio;

#define FLUSH_AT ((size_t)1 << 20)

struct rio_writer {
	struct tarn_writer base;
	struct tarn_buf rec, out;
	bool list_mode, sparse, escape;
	int label_col;
	int *feat_cols, n_feat;            /* dense columns mode */
	int list_col, keys_col, shape_col; /* list mode; -1 when absent */
	int str_col[3];                    /* uid, metadata, configuration */
	float *vals;
	uint64_t *keys;
	size_t cap;
	int64_t row;
	struct tarn_err *err;
};

static bool is_numeric(const struct tarn_type *t)
{
	return tarn_type_is_integer(t->id) || t->id == TARN_T_FLOAT32 || t->id == TARN_T_FLOAT64 ||
	       t->id == TARN_T_DECIMAL128 || t->id == TARN_T_BOOL;
}

static inline double num_at(const struct tarn_array *a, int64_t i)
{
	switch (a->type->id) {
	case TARN_T_FLOAT32: {
		float f;
		memcpy(&f, a->values + i * 4, 4);
		return f;
	}
	case TARN_T_FLOAT64: {
		double d;
		memcpy(&d, a->values + i * 8, 8);
		return d;
	}
	case TARN_T_BOOL: return tarn_bit_get(a->values, i);
	case TARN_T_UINT64: return (double)tarn_array_get_uint(a, i);
	case TARN_T_DECIMAL128: {
		double d = (double)tarn_array_get_decimal(a, i);
		for (int k = 0; k < a->type->scale; k++)
			d /= 10;
		return d;
	}
	default: return (double)tarn_array_get_int(a, i);
	}
}

static tarn_rc wfail(struct rio_writer *w, const char *col, const char *why)
{
	return tarn_err_set(w->err, TARN_EDATA, "row %" PRId64 ", column '%s': %s", w->row, col,
			    why);
}

static tarn_rc wnomem(struct rio_writer *w, tarn_rc rc)
{
	if (rc == TARN_ELIMIT)
		return tarn_err_set(w->err, TARN_ELIMIT,
				    "row %" PRId64 ": record larger than RecordIO allows (512 MiB)",
				    w->row);
	return tarn_err_nomem(w->err, "RecordIO writer");
}

#define W(expr)                                   \
	do {                                      \
		tarn_rc w_rc_ = (expr);           \
		if (UNLIKELY(w_rc_))              \
			return wnomem(w, w_rc_);  \
	} while (0)

static tarn_rc room(struct rio_writer *w, size_t n)
{
	if (n <= w->cap)
		return TARN_OK;
	size_t cap = w->cap ? w->cap : 64;
	while (cap < n)
		cap *= 2;
	float *v = tarn_realloc(w->vals, cap * sizeof *v);
	if (!v)
		return TARN_ENOMEM;
	w->vals = v;
	uint64_t *k = tarn_realloc(w->keys, cap * sizeof *k);
	if (!k)
		return TARN_ENOMEM;
	w->keys = k;
	w->cap = cap;
	return TARN_OK;
}

/* map<string, Value> entry {"values": Value{float32_tensor: ...}}; nk keys
 * and ns shape dims may be 0. */
static tarn_rc put_entry(struct rio_writer *w, uint32_t map_field, const float *vals, size_t nv,
			 const uint64_t *keys, size_t nk, const uint64_t *shape, size_t ns)
{
	struct tarn_buf *b = &w->rec;
	size_t m_entry, m_value, m_tensor, m;
	W(pb_w_tag(b, map_field, PB_WT_LEN));
	W(pb_w_begin(b, &m_entry));
	W(pb_w_bytes(b, 1, "values", 6));
	W(pb_w_tag(b, 2, PB_WT_LEN));
	W(pb_w_begin(b, &m_value));
	W(pb_w_tag(b, VAL_F32, PB_WT_LEN));
	W(pb_w_begin(b, &m_tensor));
	if (nv)
		W(pb_w_bytes(b, TENSOR_VALUES, vals, nv * 4));
	if (nk) {
		W(pb_w_tag(b, TENSOR_KEYS, PB_WT_LEN));
		W(pb_w_begin(b, &m));
		for (size_t i = 0; i < nk; i++)
			W(pb_w_varint(b, keys[i]));
		W(pb_w_end(b, m));
	}
	if (ns) {
		W(pb_w_tag(b, TENSOR_SHAPE, PB_WT_LEN));
		W(pb_w_begin(b, &m));
		for (size_t i = 0; i < ns; i++)
			W(pb_w_varint(b, shape[i]));
		W(pb_w_end(b, m));
	}
	W(pb_w_end(b, m_tensor));
	W(pb_w_end(b, m_value));
	W(pb_w_end(b, m_entry));
	return TARN_OK;
}

/* Drops zero entries of vals[0..n) in place, leaving their indexes in
 * keys; returns the count kept. NaN is not zero. */
static size_t keep_nonzero(float *vals, uint64_t *keys, size_t n)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (vals[i] != 0 || vals[i] != vals[i]) {
			vals[k] = vals[i];
			keys[k++] = i;
		}
	}
	return k;
}

/* Items [lo, hi) of a list column's child as floats into w->vals. */
static tarn_rc list_floats(struct rio_writer *w, const struct tarn_array *a, int64_t row,
			   const char *name, size_t *n)
{
	const struct tarn_array *it = a->children[0];
	int64_t lo = a->offsets[row], hi = a->offsets[row + 1];
	W(room(w, (size_t)(hi - lo)));
	if (hi == lo) {
		/* empty: the child may have no buffer at all */
	} else if (it->type->id == TARN_T_FLOAT32 && !it->null_count) {
		memcpy(w->vals, it->values + lo * 4, (size_t)(hi - lo) * 4);
	} else {
		for (int64_t j = lo; j < hi; j++) {
			if (tarn_array_is_null(it, j))
				return wfail(w, name, "null inside the list (RecordIO-protobuf has no "
						      "nulls)");
			w->vals[j - lo] = (float)num_at(it, j);
		}
	}
	*n = (size_t)(hi - lo);
	return TARN_OK;
}

static tarn_rc list_uints(struct rio_writer *w, const struct tarn_array *a, int64_t row,
			  const char *name, uint64_t *out, size_t *n)
{
	const struct tarn_array *it = a->children[0];
	int64_t lo = a->offsets[row], hi = a->offsets[row + 1];
	for (int64_t j = lo; j < hi; j++) {
		if (tarn_array_is_null(it, j))
			return wfail(w, name, "null inside the list");
		if (it->type->id == TARN_T_UINT64) {
			out[j - lo] = tarn_array_get_uint(it, j);
		} else {
			int64_t v = tarn_array_get_int(it, j);
			if (v < 0)
				return wfail(w, name, "negative key or shape value");
			out[j - lo] = (uint64_t)v;
		}
	}
	*n = (size_t)(hi - lo);
	return TARN_OK;
}

static tarn_rc build_record(struct rio_writer *w, const struct tarn_batch *b, int64_t r)
{
	const struct tarn_schema *s = b->schema;
	w->rec.len = 0;
	size_t nv = 0, nk = 0, ns = 0;
	uint64_t shape1;
	const uint64_t *shape = NULL;
	if (w->list_mode) {
		const struct tarn_array *fa = b->cols[w->list_col];
		const char *fname = s->fields[w->list_col].name;
		if (tarn_array_is_null(fa, r))
			return wfail(w, fname, "null feature list (RecordIO-protobuf has no nulls)");
		TRY(list_floats(w, fa, r, fname, &nv));
		if (w->keys_col >= 0) {
			const struct tarn_array *ka = b->cols[w->keys_col];
			const struct tarn_array *sa = b->cols[w->shape_col];
			if (tarn_array_is_null(ka, r) || tarn_array_is_null(sa, r))
				return wfail(w, "keys", "null keys or shape");
			int64_t kn = ka->offsets[r + 1] - ka->offsets[r];
			int64_t sn = sa->offsets[r + 1] - sa->offsets[r];
			W(room(w, (size_t)(kn > sn ? kn : sn)));
			TRY(list_uints(w, ka, r, "keys", w->keys, &nk));
			if (nk != nv && nk != 0) {
				char why[120];
				snprintf(why, sizeof why, "%zu keys for %zu values", nk, nv);
				return wfail(w, "keys", why);
			}
			/* shape goes after the keys in the same scratch */
			uint64_t *sh = tarn_malloc((size_t)(sn ? sn : 1) * sizeof *sh);
			if (!sh)
				return wnomem(w, TARN_ENOMEM);
			tarn_rc rc = list_uints(w, sa, r, "shape", sh, &ns);
			if (!rc)
				rc = put_entry(w, REC_FEATURES, w->vals, nv, w->keys, nk, sh, ns);
			tarn_free(sh);
			TRY(rc);
			goto label;
		}
		if (w->sparse) {
			shape1 = nv;
			W(room(w, nv));
			nk = keep_nonzero(w->vals, w->keys, nv);
			nv = nk;
			shape = &shape1;
			ns = 1;
		}
	} else {
		for (int i = 0; i < w->n_feat; i++) {
			const struct tarn_array *a = b->cols[w->feat_cols[i]];
			if (tarn_array_is_null(a, r))
				return wfail(w, s->fields[w->feat_cols[i]].name,
					     "null feature value (RecordIO-protobuf has no nulls; fill "
					     "or drop them first)");
			w->vals[i] = (float)num_at(a, r);
		}
		nv = (size_t)w->n_feat;
		if (w->sparse) {
			shape1 = nv;
			nk = keep_nonzero(w->vals, w->keys, nv);
			nv = nk;
			shape = &shape1;
			ns = 1;
		}
	}
	TRY(put_entry(w, REC_FEATURES, w->vals, nv, w->sparse ? w->keys : NULL, w->sparse ? nk : 0,
		      shape, ns));
label:
	if (w->label_col >= 0) {
		const struct tarn_array *la = b->cols[w->label_col];
		const char *lname = s->fields[w->label_col].name;
		if (tarn_array_is_null(la, r)) {
			/* a record without a label */
		} else if (la->type->id == TARN_T_LIST) {
			size_t n;
			TRY(list_floats(w, la, r, lname, &n));
			TRY(put_entry(w, REC_LABEL, w->vals, n, NULL, 0, NULL, 0));
		} else {
			float v = (float)num_at(la, r);
			TRY(put_entry(w, REC_LABEL, &v, 1, NULL, 0, NULL, 0));
		}
	}
	for (int k = 0; k < 3; k++) {
		int c = w->str_col[k];
		if (c < 0 || tarn_array_is_null(b->cols[c], r))
			continue;
		size_t n;
		const uint8_t *p = tarn_array_get_bytes(b->cols[c], r, &n);
		W(pb_w_bytes(&w->rec, (uint32_t)(REC_UID + k), p, n));
	}
	return TARN_OK;
}

/* Appends one framed part to the output. */
static tarn_rc put_part(struct rio_writer *w, uint32_t cflag, const uint8_t *p, size_t n,
			bool pad)
{
	uint32_t hdr[2] = { RIO_MAGIC, cflag << 29 | (uint32_t)n };
	size_t padn = pad ? (4 - n % 4) % 4 : 0;
	W(tarn_buf_reserve(&w->out, 8 + n + padn));
	memcpy(w->out.data + w->out.len, hdr, 8);
	if (n)
		memcpy(w->out.data + w->out.len + 8, p, n);
	memset(w->out.data + w->out.len + 8 + n, 0, padn);
	w->out.len += 8 + n + padn;
	return TARN_OK;
}

static tarn_rc frame(struct rio_writer *w)
{
	const uint8_t *p = (const uint8_t *)w->rec.data;
	size_t n = w->rec.len;
	if (n > RIO_LEN_MASK)
		return wnomem(w, TARN_ELIMIT);
	size_t start = 0;
	bool split = false;
	if (w->escape) {
		/* dmlc's RecordIOWriter: cut at each aligned magic, drop it */
		for (size_t i = 0; i + 4 <= n; i += 4) {
			if (pb_le32(p + i) != RIO_MAGIC)
				continue;
			TRY(put_part(w, split ? RIO_MIDDLE : RIO_FIRST, p + start, i - start, false));
			start = i + 4;
			split = true;
		}
	}
	return put_part(w, split ? RIO_LAST : RIO_WHOLE, p + start, n - start, true);
}

static tarn_rc write_batch(struct tarn_writer *base, const struct tarn_batch *b,
			   struct tarn_err *err)
{
	struct rio_writer *w = (struct rio_writer *)base;
	w->err = err;
	for (int64_t r = 0; r < b->n_rows; r++) {
		TRY(build_record(w, b, r));
		TRY(frame(w));
		w->row++;
		if (w->out.len >= FLUSH_AT) {
			TRY(tarn_output_write(w->base.out, w->out.data, w->out.len, err));
			w->out.len = 0;
		}
	}
	return TARN_OK;
}

static tarn_rc write_finish(struct tarn_writer *base, struct tarn_err *err)
{
	struct rio_writer *w = (struct rio_writer *)base;
	if (w->out.len) {
		TRY(tarn_output_write(w->base.out, w->out.data, w->out.len, err));
		w->out.len = 0;
	}
	return TARN_OK;
}

static void write_close(struct tarn_writer *base)
{
	struct rio_writer *w = (struct rio_writer *)base;
	tarn_buf_free(&w->rec);
	tarn_buf_free(&w->out);
	tarn_free(w->feat_cols);
	tarn_free(w->vals);
	tarn_free(w->keys);
	tarn_free(w);
}

static const struct tarn_writer_ops ops = { write_batch, write_finish, write_close };

static bool is_num_list(const struct tarn_type *t)
{
	return t->id == TARN_T_LIST && is_numeric(&t->children[0].type);
}

static bool is_int_list(const struct tarn_type *t)
{
	return t->id == TARN_T_LIST && tarn_type_is_integer(t->children[0].type.id);
}

static tarn_rc type_text(const struct tarn_type *t, char *buf, size_t cap)
{
	struct tarn_buf b;
	tarn_buf_init(&b);
	tarn_rc rc = tarn_type_to_text(t, &b);
	if (!rc)
		rc = tarn_buf_cstr(&b);
	snprintf(buf, cap, "%s", rc ? "?" : b.data);
	tarn_buf_free(&b);
	return TARN_OK;
}

/* Decides which columns are features, label, keys, shape and strings. */
static tarn_rc plan(struct rio_writer *w, const struct tarn_schema *s, const struct tarn_opts *o,
		    struct tarn_err *err)
{
	char tt[256];
	const char *label = tarn_opts_get(o, "label");
	w->label_col = w->list_col = w->keys_col = w->shape_col = -1;
	if (label && *label) {
		w->label_col = tarn_schema_find(s, label);
		if (w->label_col < 0)
			return tarn_err_set(err, TARN_EUSAGE,
					    "label=%s: the table has no column of that name", label);
		const struct tarn_type *lt = &s->fields[w->label_col].type;
		if (!is_numeric(lt) && !is_num_list(lt)) {
			type_text(lt, tt, sizeof tt);
			return tarn_err_set(err, TARN_EUNSUPPORTED,
					    "label column '%s' is %s; it must be numeric (or a list "
					    "of numbers)",
					    label, tt);
		}
	}
	static const char *const snames[] = { "uid", "metadata", "configuration" };
	int n_lists = 0, only_list = -1;
	for (int c = 0; c < s->n_fields; c++) {
		const struct tarn_field *f = &s->fields[c];
		if (c == w->label_col)
			continue;
		if (f->type.id == TARN_T_LIST && strcmp(f->name, "keys") && strcmp(f->name, "shape")) {
			n_lists++;
			only_list = c;
		}
	}
	int feat = tarn_schema_find(s, "features");
	if (feat >= 0 && feat != w->label_col && s->fields[feat].type.id == TARN_T_LIST)
		w->list_col = feat;
	else if (n_lists == 1)
		w->list_col = only_list;
	w->list_mode = w->list_col >= 0;
	w->feat_cols = tarn_calloc((size_t)s->n_fields + 1, sizeof *w->feat_cols);
	if (!w->feat_cols)
		return tarn_err_nomem(err, "RecordIO writer");
	for (int k = 0; k < 3; k++)
		w->str_col[k] = -1;
	for (int c = 0; c < s->n_fields; c++) {
		const struct tarn_field *f = &s->fields[c];
		if (c == w->label_col || c == w->list_col)
			continue;
		int k = 0;
		while (k < 3 && strcmp(f->name, snames[k]) != 0)
			k++;
		if (k < 3 && f->type.id == TARN_T_STRING) {
			w->str_col[k] = c;
			continue;
		}
		if (w->list_mode && is_int_list(&f->type) &&
		    (strcmp(f->name, "keys") == 0 || strcmp(f->name, "shape") == 0)) {
			if (f->name[0] == 'k')
				w->keys_col = c;
			else
				w->shape_col = c;
			continue;
		}
		type_text(&f->type, tt, sizeof tt);
		if (w->list_mode)
			return tarn_err_set(err, TARN_EUNSUPPORTED,
					    "column '%s' (%s): with the feature list '%s', the other "
					    "columns may only be the label, keys and shape (lists of "
					    "integers), uid, metadata and configuration (strings)",
					    f->name, tt, s->fields[w->list_col].name);
		if (!is_numeric(&f->type))
			return tarn_err_set(err, TARN_EUNSUPPORTED,
					    "column '%s' is %s; RecordIO-protobuf features must be "
					    "numeric (drop the column, or cast it)",
					    f->name, tt);
		w->feat_cols[w->n_feat++] = c;
	}
	if (w->list_mode) {
		const struct tarn_type *t = &s->fields[w->list_col].type;
		if (!is_num_list(t)) {
			type_text(t, tt, sizeof tt);
			return tarn_err_set(err, TARN_EUNSUPPORTED,
					    "feature column '%s' is %s; it must be a list of numbers",
					    s->fields[w->list_col].name, tt);
		}
		if ((w->keys_col >= 0) != (w->shape_col >= 0))
			return tarn_err_set(err, TARN_EUSAGE,
					    "sparse features need both a 'keys' and a 'shape' list "
					    "column (the table has only '%s')",
					    w->keys_col >= 0 ? "keys" : "shape");
	} else if (w->n_feat == 0) {
		return tarn_err_set(err, TARN_EUSAGE,
				    "no feature columns: the table needs numeric columns besides "
				    "the label, or a list column of numbers");
	}
	if (room(w, (size_t)w->n_feat + 1))
		return tarn_err_nomem(err, "RecordIO writer");
	return TARN_OK;
}

tarn_rc rio_open_writer(struct tarn_output *out, struct tarn_schema *schema,
			const struct tarn_opts *opts, struct tarn_writer **wout,
			struct tarn_err *err)
{
	*wout = NULL;
	struct rio_writer *w = tarn_calloc(1, sizeof *w);
	if (!w)
		return tarn_err_nomem(err, "RecordIO writer");
	tarn_buf_init(&w->rec);
	tarn_buf_init(&w->out);
	tarn_rc rc = tarn_opts_bool(opts, "sparse", false, &w->sparse, err);
	if (!rc)
		rc = tarn_opts_bool(opts, "escape", true, &w->escape, err);
	if (!rc)
		rc = plan(w, schema, opts, err);
	if (rc) {
		write_close(&w->base);
		return rc;
	}
	w->base.ops = &ops;
	w->base.format = &tarn_format_recordio;
	w->base.out = out;
	w->base.schema = schema;
	tarn_schema_ref(schema);
	*wout = &w->base;
	return TARN_OK;
}
