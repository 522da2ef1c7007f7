/*
 * recordio_read.c — the RecordIO-protobuf reader: dmlc RecordIO framing
 * around aialgs.data.Record messages, one row per record.
 *
 * Columns (docs/formats/recordio-protobuf.md):
 *   features   list<T> — features["values"], the tensor's values in order
 *              (T = float32, float64 or int32 from the tensor type; float64
 *              when the sampled records mix types)
 *   keys       list<uint64> and shape list<uint64> — only when a sampled
 *              record is sparse (or sparse=true); empty lists for dense rows
 *   label      T when every sampled label has one value, else list<T>;
 *              null when a record has none; absent when no sampled record has one
 *   uid, metadata, configuration — string columns, when sampled records have them
 * With features=columns the vector becomes columns f0..f(d-1) instead (d =
 * the fixed length of dense records, or the shape of sparse ones, which are
 * expanded with zeros).
 *
 * The schema comes from the first infer-rows records (default 1000), read
 * ahead without consuming; a later record that does not fit is an error
 * that says so and how to widen the sample.
 *
 * Framing (dmlc-core recordio): magic, lrecord = cflag << 29 | length,
 * payload, padding to 4 bytes. cflag 0 is a whole record; 1, 2..., 3 are the
 * parts of one record that was split where its payload held the magic at a
 * 4-byte boundary — the parts are joined with the magic put back between
 * them. A whole record's payload is decoded in place; a multi-part one is
 * assembled in a scratch buffer.
 *
 * Thread-safety: one reader per thread.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base/mem.h"
#include "columnar/utf8.h"
#include "formats/protobuf/pb_src.h"
#include "formats/recordio/recordio_int.h"

extern const struct tarn_format tarn_format_recordio;

#define DEFAULT_INFER 1000
#define INFER_BYTES ((size_t)256 << 20)
#define MAX_COLUMNS 100000
#define BATCH_BYTES ((int64_t)64 << 20)

/* A Value's tensor: kind is VAL_F32/F64/I32/BYTES, 0 when absent. */
struct tref {
	int kind;
	const uint8_t *p;
	size_t n;
};

struct rinfo {
	struct tref feat, label;
	bool has_str[3]; /* uid, metadata, configuration */
	const uint8_t *str[3];
	size_t str_n[3];
	const uint8_t *extra; /* a map key other than "values" */
	size_t extra_n;
	int extra_map;
};

struct tsum {
	int64_t n_values, n_keys, n_shape;
	uint64_t shape_prod; /* product of shape; 0 when there is no shape */
};

enum { COL_FEATURES, COL_KEYS, COL_SHAPE, COL_LABEL, COL_UID, COL_META, COL_CONF, N_ROLES };

struct rio_reader {
	struct tarn_reader base;
	struct pb_src src;
	struct tarn_buf scratch; /* a multi-part record, assembled */
	int64_t batch_rows, max_record, infer_rows;
	bool columns_mode, force_sparse;
	/* inferred layout */
	enum tarn_type_id feat_t, label_t; /* TARN_T_NULL: no label column */
	bool sparse, label_scalar, has_str[3];
	int64_t dim; /* features=columns: number of f columns */
	int col[N_ROLES]; /* column index per role, -1 when absent */
	/* columns mode: one record's tensor decoded here first */
	struct tarn_type scratch_vt, scratch_kt;
	struct tarn_array *sv, *sk, *ss;
	int64_t n_records;
	bool done;
};

/* ---- framing ---------------------------------------------------------------------- */

static tarn_rc frame_fail(struct tarn_err *err, tarn_rc rc, int64_t idx, int64_t off,
			  const char *why)
{
	return tarn_err_set(err, rc, "record %" PRId64 " at byte %" PRId64 ": %s", idx, off, why);
}

/* The record starting `at` bytes past the current position: its payload
 * (in place, or assembled in r->scratch), and the bytes its parts take.
 * *payload is NULL at the end of the input. */
static tarn_rc frame_at(struct rio_reader *r, size_t at, int64_t idx, const uint8_t **payload,
			size_t *n, size_t *taken, struct tarn_err *err)
{
	*payload = NULL;
	*n = *taken = 0;
	size_t pos = at;
	int parts = 0;
	r->scratch.len = 0;
	for (;;) {
		const uint8_t *p;
		size_t avail;
		TRY(pb_src_fill(&r->src, pos + 8, &p, &avail, err));
		int64_t off = r->src.off + (int64_t)pos;
		if (avail == pos && parts == 0)
			return TARN_OK; /* clean end */
		if (avail - pos < 8) {
			return frame_fail(err, TARN_EDATA, idx, off,
					  parts ? "the input ends inside a multi-part record"
						: "truncated record header (fewer than 8 bytes left)");
		}
		uint32_t magic = pb_le32(p + pos), lrec = pb_le32(p + pos + 4);
		if (magic != RIO_MAGIC) {
			char why[160];
			snprintf(why, sizeof why,
				 "expected the RecordIO magic 0a 23 d7 ce, found %02x %02x %02x %02x "
				 "(not a RecordIO file, or a length is wrong)",
				 p[pos], p[pos + 1], p[pos + 2], p[pos + 3]);
			return frame_fail(err, TARN_EDATA, idx, off, why);
		}
		uint32_t cflag = lrec >> 29, len = lrec & RIO_LEN_MASK;
		if (cflag > RIO_LAST) {
			return frame_fail(err, TARN_EDATA, idx, off,
					  "invalid continuation flag in the length word");
		}
		if ((parts == 0) != (cflag == RIO_WHOLE || cflag == RIO_FIRST)) {
			return frame_fail(err, TARN_EDATA, idx, off,
					  parts ? "a multi-part record is followed by a new record "
						  "before its last part"
						: "a record continues without its first part");
		}
		size_t total = r->scratch.len + (size_t)len + (parts ? 4 : 0);
		if ((int64_t)total > r->max_record) {
			char why[160];
			snprintf(why, sizeof why,
				 "record longer than max-record-size (%" PRId64 " bytes); raise it if "
				 "the file is right",
				 r->max_record);
			return frame_fail(err, TARN_ELIMIT, idx, off, why);
		}
		size_t pad = (4 - len % 4) % 4;
		TRY(pb_src_fill(&r->src, pos + 8 + len + pad, &p, &avail, err));
		if (avail - pos < 8 + (size_t)len) {
			char why[160];
			snprintf(why, sizeof why,
				 "length word says %u bytes but only %zu remain (truncated file?)", len,
				 avail - pos - 8);
			return frame_fail(err, TARN_EDATA, idx, off, why);
		}
		/* Missing padding after the very last record is tolerated. */
		size_t used = avail - pos < 8 + len + pad ? 8 + (size_t)len : 8 + len + pad;
		if (cflag == RIO_WHOLE) {
			*payload = p + pos + 8;
			*n = len;
			*taken = pos + used - at;
			return TARN_OK;
		}
		if (parts) {
			uint8_t m[4];
			uint32_t mv = RIO_MAGIC;
			memcpy(m, &mv, 4);
			if (tarn_buf_append(&r->scratch, m, 4))
				return tarn_err_nomem(err, "RecordIO record");
		}
		if (tarn_buf_append(&r->scratch, p + pos + 8, len))
			return tarn_err_nomem(err, "RecordIO record");
		pos += used;
		parts++;
		if (cflag == RIO_LAST) {
			*payload = (const uint8_t *)(r->scratch.data ? r->scratch.data : "");
			*n = r->scratch.len;
			*taken = pos - at;
			return TARN_OK;
		}
	}
}

/* ---- Record parsing ----------------------------------------------------------------- */

static void parse_value(struct pb_in *v, struct tref *t)
{
	uint32_t num;
	int wt;
	while (pb_in_tag(v, &num, &wt)) {
		if (wt == PB_WT_LEN &&
		    (num == VAL_F32 || num == VAL_F64 || num == VAL_I32 || num == VAL_BYTES)) {
			t->p = pb_in_bytes(v, &t->n);
			t->kind = (int)num; /* a oneof: the last member wins */
		} else {
			pb_in_skip(v, num, wt);
		}
	}
}

/* Splits a Record into the parts tarn reads; false (with in->why) when the
 * bytes are not a Record. */
static bool parse_record(const uint8_t *p, size_t n, struct rinfo *ri, struct pb_in *in)
{
	memset(ri, 0, sizeof *ri);
	pb_in_init(in, p, n);
	uint32_t num;
	int wt;
	while (pb_in_tag(in, &num, &wt)) {
		if (wt != PB_WT_LEN || num < REC_FEATURES || num > REC_CONFIGURATION) {
			pb_in_skip(in, num, wt);
			continue;
		}
		if (num >= REC_UID) {
			int k = (int)num - REC_UID;
			ri->str[k] = pb_in_bytes(in, &ri->str_n[k]);
			ri->has_str[k] = true;
			continue;
		}
		/* a map entry {key = 1, value = 2} */
		struct pb_in e;
		pb_in_sub(in, &e);
		const uint8_t *key = (const uint8_t *)"";
		size_t key_n = 0;
		struct tref t = { 0, NULL, 0 };
		uint32_t en;
		int ewt;
		while (pb_in_tag(&e, &en, &ewt)) {
			if (en == 1 && ewt == PB_WT_LEN) {
				key = pb_in_bytes(&e, &key_n);
			} else if (en == 2 && ewt == PB_WT_LEN) {
				struct pb_in v;
				pb_in_sub(&e, &v);
				t.kind = 0;
				parse_value(&v, &t);
				pb_in_join(&e, &v);
			} else {
				pb_in_skip(&e, en, ewt);
			}
		}
		pb_in_join(in, &e);
		if (key_n == 6 && memcmp(key, "values", 6) == 0) {
			if (num == REC_FEATURES)
				ri->feat = t;
			else
				ri->label = t;
		} else if (!ri->extra) {
			ri->extra = key_n ? key : (const uint8_t *)"";
			ri->extra_n = key_n;
			ri->extra_map = (int)num;
		}
	}
	return !in->why;
}

/* Counts a tensor's values, keys and shape. */
static bool sum_tensor(const struct tref *t, struct tsum *s, struct pb_in *in)
{
	memset(s, 0, sizeof *s);
	pb_in_init(in, t->p, t->n);
	uint32_t num;
	int wt;
	uint64_t prod = 1;
	while (pb_in_tag(in, &num, &wt)) {
		if (num < TENSOR_VALUES || num > TENSOR_SHAPE) {
			pb_in_skip(in, num, wt);
			continue;
		}
		int64_t *cnt = num == TENSOR_VALUES ? &s->n_values
			       : num == TENSOR_KEYS ? &s->n_keys
						    : &s->n_shape;
		if (wt == PB_WT_LEN) {
			size_t k;
			const uint8_t *b = pb_in_bytes(in, &k);
			if (num == TENSOR_VALUES && t->kind == VAL_F32) {
				*cnt += (int64_t)(k / 4);
			} else if (num == TENSOR_VALUES && t->kind == VAL_F64) {
				*cnt += (int64_t)(k / 8);
			} else {
				struct pb_in pk;
				pb_in_init(&pk, b, k);
				while (pk.p < pk.end && !pk.why) {
					uint64_t v = pb_in_varint(&pk);
					(*cnt)++;
					if (num == TENSOR_SHAPE)
						prod = v && prod > UINT64_MAX / v ? UINT64_MAX : prod * v;
				}
				if (pk.why)
					pb_in_fail(in, pk.why);
			}
		} else {
			uint64_t v = 0;
			if (wt == PB_WT_VARINT)
				v = pb_in_varint(in);
			else
				pb_in_skip(in, num, wt);
			(*cnt)++;
			if (num == TENSOR_SHAPE)
				prod = v && prod > UINT64_MAX / v ? UINT64_MAX : prod * v;
		}
	}
	s->shape_prod = s->n_shape ? prod : 0;
	return !in->why;
}

static const char *kind_name(int kind)
{
	switch (kind) {
	case VAL_F32: return "Float32Tensor";
	case VAL_F64: return "Float64Tensor";
	case VAL_I32: return "Int32Tensor";
	case VAL_BYTES: return "Bytes";
	default: return "nothing";
	}
}

static enum tarn_type_id kind_type(int kind)
{
	return kind == VAL_F64 ? TARN_T_FLOAT64 : kind == VAL_I32 ? TARN_T_INT32 : TARN_T_FLOAT32;
}

/* ---- schema inference ---------------------------------------------------------------- */

struct infer {
	int feat_kind, label_kind; /* 0 none yet, VAL_*, or -1 mixed */
	bool sparse, has_label, label_scalar, has_str[3];
	int64_t dim; /* -1 unknown, -2 varying */
	int64_t records;
};

static void merge_kind(int *have, int kind)
{
	if (!kind)
		return;
	if (*have == 0)
		*have = kind;
	else if (*have != kind)
		*have = -1;
}

static void merge_dim(int64_t *have, int64_t d)
{
	if (*have == -1)
		*have = d;
	else if (*have != d)
		*have = -2;
}

static tarn_rc record_error(struct tarn_err *err, int64_t idx, int64_t off, const struct pb_in *in,
			    const char *what)
{
	char why[200];
	snprintf(why, sizeof why, "%s is not a valid aialgs.data.Record: %s at byte %zu of it",
		 what, in->why, in->bad_at);
	return frame_fail(err, TARN_EDATA, idx, off, why);
}

static tarn_rc unsupported_value(struct tarn_err *err, int64_t idx, int64_t off,
				 const struct rinfo *ri)
{
	char why[256];
	if (ri->extra)
		snprintf(why, sizeof why,
			 "%s key '%.*s': tarn reads the \"values\" key of features and label only",
			 ri->extra_map == REC_FEATURES ? "features" : "label",
			 (int)(ri->extra_n > 60 ? 60 : ri->extra_n), (const char *)ri->extra);
	else
		snprintf(why, sizeof why, "%s[\"values\"] holds Bytes; tarn reads tensors only",
			 ri->feat.kind == VAL_BYTES ? "features" : "label");
	return frame_fail(err, TARN_EUNSUPPORTED, idx, off, why);
}

static tarn_rc infer(struct rio_reader *r, struct infer *inf, struct tarn_err *err)
{
	memset(inf, 0, sizeof *inf);
	inf->dim = -1;
	inf->label_scalar = true;
	size_t at = 0;
	while (r->infer_rows == 0 || inf->records < r->infer_rows) {
		if (at > INFER_BYTES)
			break;
		const uint8_t *p;
		size_t n, taken;
		int64_t off = r->src.off + (int64_t)at;
		TRY(frame_at(r, at, inf->records, &p, &n, &taken, err));
		if (!p)
			break;
		struct rinfo ri;
		struct pb_in in;
		if (!parse_record(p, n, &ri, &in))
			return record_error(err, inf->records, off, &in, "the payload");
		if (ri.extra || ri.feat.kind == VAL_BYTES || ri.label.kind == VAL_BYTES)
			return unsupported_value(err, inf->records, off, &ri);
		struct tsum fs = { 0 }, ls = { 0 };
		if (ri.feat.kind && !sum_tensor(&ri.feat, &fs, &in))
			return record_error(err, inf->records, off, &in, "features[\"values\"]");
		if (ri.label.kind && !sum_tensor(&ri.label, &ls, &in))
			return record_error(err, inf->records, off, &in, "label[\"values\"]");
		merge_kind(&inf->feat_kind, ri.feat.kind);
		merge_kind(&inf->label_kind, ri.label.kind);
		if (fs.n_keys)
			inf->sparse = true;
		/* a vector's length: its shape's size when it has one */
		merge_dim(&inf->dim, fs.n_shape ? (int64_t)(fs.shape_prod > INT64_MAX
								    ? INT64_MAX
								    : fs.shape_prod)
						: fs.n_values);
		if (ri.label.kind) {
			inf->has_label = true;
			if (ls.n_values != 1)
				inf->label_scalar = false;
		}
		for (int k = 0; k < 3; k++)
			inf->has_str[k] |= ri.has_str[k];
		inf->records++;
		at += taken;
	}
	return TARN_OK;
}

/* ---- schema -------------------------------------------------------------------------- */

static tarn_rc build_schema(struct rio_reader *r, const struct infer *inf, struct tarn_err *err)
{
	r->feat_t = inf->feat_kind == -1 ? TARN_T_FLOAT64 : kind_type(inf->feat_kind);
	r->label_t = !inf->has_label ? TARN_T_NULL
		     : inf->label_kind == -1 ? TARN_T_FLOAT64
					     : kind_type(inf->label_kind);
	r->sparse = inf->sparse || r->force_sparse;
	r->label_scalar = inf->label_scalar;
	for (int k = 0; k < 3; k++)
		r->has_str[k] = inf->has_str[k];
	if (r->columns_mode) {
		if (inf->dim < 0 || inf->records == 0)
			return tarn_err_set(err, TARN_EUNSUPPORTED,
					    "features=columns needs feature vectors of one length "
					    "(sparse ones: one shape); the first %" PRId64
					    " records %s (read features as a list instead)",
					    inf->records,
					    inf->records == 0 ? "are none" : "differ");
		if (inf->dim > MAX_COLUMNS)
			return tarn_err_set(err, TARN_ELIMIT,
					    "features=columns: %" PRId64 " features, more than %d "
					    "columns",
					    inf->dim, MAX_COLUMNS);
		r->dim = inf->dim;
	}
	int n = r->columns_mode ? (int)r->dim : 1 + (r->sparse ? 2 : 0);
	n += (r->label_t != TARN_T_NULL) + r->has_str[0] + r->has_str[1] + r->has_str[2];
	struct tarn_schema *s;
	if (tarn_schema_new(n, &s))
		return tarn_err_nomem(err, "RecordIO schema");
	for (int i = 0; i < N_ROLES; i++)
		r->col[i] = -1;
	int c = 0;
	tarn_rc rc = TARN_OK;
	struct tarn_type t, u;
	if (r->columns_mode) {
		for (int64_t i = 0; i < r->dim && !rc; i++) {
			char name[32];
			int k = snprintf(name, sizeof name, "f%" PRId64, i);
			tarn_type_init(&s->fields[c].type, r->feat_t);
			s->fields[c].nullable = false;
			rc = tarn_field_set_name(&s->fields[c++], name, (size_t)k);
		}
		r->col[COL_FEATURES] = 0;
	} else {
		static const char *const names[] = { "features", "keys", "shape" };
		for (int i = 0; i < (r->sparse ? 3 : 1) && !rc; i++) {
			tarn_type_init(&t, i == 0 ? r->feat_t : TARN_T_UINT64);
			rc = tarn_type_init_list(&s->fields[c].type, &t, false);
			s->fields[c].nullable = false;
			if (!rc)
				rc = tarn_field_set_name(&s->fields[c], names[i], strlen(names[i]));
			r->col[COL_FEATURES + i] = c++;
		}
	}
	if (!rc && r->label_t != TARN_T_NULL) {
		tarn_type_init(&u, r->label_t);
		if (r->label_scalar)
			s->fields[c].type = u;
		else
			rc = tarn_type_init_list(&s->fields[c].type, &u, false);
		s->fields[c].nullable = true;
		if (!rc)
			rc = tarn_field_set_name(&s->fields[c], "label", 5);
		r->col[COL_LABEL] = c++;
	}
	static const char *const snames[] = { "uid", "metadata", "configuration" };
	for (int k = 0; k < 3 && !rc; k++) {
		if (!r->has_str[k])
			continue;
		tarn_type_init(&s->fields[c].type, TARN_T_STRING);
		s->fields[c].nullable = true;
		rc = tarn_field_set_name(&s->fields[c], snames[k], strlen(snames[k]));
		r->col[COL_UID + k] = c++;
	}
	if (rc) {
		tarn_schema_unref(s);
		return tarn_err_nomem(err, "RecordIO schema");
	}
	r->base.schema = s;
	tarn_type_init(&r->scratch_vt, r->feat_t);
	tarn_type_init(&r->scratch_kt, TARN_T_UINT64);
	if (tarn_array_new(&r->scratch_vt, 0, &r->sv) || tarn_array_new(&r->scratch_kt, 0, &r->sk) ||
	    tarn_array_new(&r->scratch_kt, 0, &r->ss))
		return tarn_err_nomem(err, "RecordIO reader");
	return TARN_OK;
}

/* ---- decoding ------------------------------------------------------------------------- */

struct ctx {
	struct rio_reader *r;
	struct tarn_err *err;
	int64_t idx, off;
};

static tarn_rc cfail(struct ctx *c, tarn_rc rc, const char *why)
{
	return frame_fail(c->err, rc, c->idx, c->off, why);
}

static tarn_rc nomem(struct ctx *c, tarn_rc rc)
{
	if (rc == TARN_ELIMIT)
		return cfail(c, TARN_ELIMIT, "a column grew past its size limit in one batch");
	return tarn_err_nomem(c->err, "RecordIO reader");
}

/* Appends one value of tensor kind `kind` (raw wire value v) to a (of
 * type float32, float64 or int32). */
static inline tarn_rc put_num(struct tarn_array *a, int kind, uint64_t v)
{
	if (UNLIKELY(a->length >= a->cap)) {
		tarn_rc rc = tarn_array_reserve(a, 1);
		if (rc)
			return rc;
	}
	double d;
	if (kind == VAL_F32) {
		float f;
		uint32_t u = (uint32_t)v;
		memcpy(&f, &u, 4);
		d = f;
	} else if (kind == VAL_F64) {
		memcpy(&d, &v, 8);
	} else {
		d = (int32_t)(uint32_t)v;
	}
	switch (a->type->id) {
	case TARN_T_FLOAT32: {
		float f = (float)d;
		memcpy(a->values + a->length * 4, &f, 4);
		break;
	}
	case TARN_T_FLOAT64: memcpy(a->values + a->length * 8, &d, 8); break;
	default: {
		int32_t x = (int32_t)(uint32_t)v;
		memcpy(a->values + a->length * 4, &x, 4);
		break;
	}
	}
	if (a->validity)
		tarn_bit_set(a->validity, a->length, true);
	a->length++;
	return TARN_OK;
}

/* Decodes tensor t: values into vals (may be NULL), keys into keys (may be
 * NULL), shape into shape (may be NULL). */
static tarn_rc put_tensor(struct ctx *c, const struct tref *t, struct tarn_array *vals,
			  struct tarn_array *keys, struct tarn_array *shape)
{
	struct pb_in in;
	pb_in_init(&in, t->p, t->n);
	uint32_t num;
	int wt;
	tarn_rc rc = TARN_OK;
	int vwt = t->kind == VAL_F32 ? PB_WT_I32 : t->kind == VAL_F64 ? PB_WT_I64 : PB_WT_VARINT;
	while (!rc && pb_in_tag(&in, &num, &wt)) {
		struct tarn_array *a = num == TENSOR_VALUES ? vals
				       : num == TENSOR_KEYS ? keys
				       : num == TENSOR_SHAPE ? shape
							     : NULL;
		bool is_vals = num == TENSOR_VALUES;
		int want = is_vals ? vwt : PB_WT_VARINT;
		if (!a || (wt != want && wt != PB_WT_LEN)) {
			pb_in_skip(&in, num, wt);
			continue;
		}
		if (wt != PB_WT_LEN) {
			uint64_t v = want == PB_WT_I32 ? pb_in_fixed32(&in)
				     : want == PB_WT_I64 ? pb_in_fixed64(&in)
							 : pb_in_varint(&in);
			if (in.why)
				break;
			rc = is_vals ? put_num(a, t->kind, v) : tarn_array_append_uint(a, v);
			continue;
		}
		size_t k;
		const uint8_t *b = pb_in_bytes(&in, &k);
		if (in.why)
			break;
		if (is_vals && want != PB_WT_VARINT) {
			size_t w = want == PB_WT_I32 ? 4 : 8;
			if (k % w) {
				pb_in_fail(&in, "packed values: length is not a multiple of the "
						"value size");
				break;
			}
			int64_t cnt = (int64_t)(k / w);
			if (cnt == 0)
				continue;
			if ((rc = tarn_array_reserve(a, cnt)))
				break;
			if ((a->type->id == TARN_T_FLOAT32 && t->kind == VAL_F32) ||
			    (a->type->id == TARN_T_FLOAT64 && t->kind == VAL_F64)) {
				/* the wire bytes are the column bytes */
				memcpy(a->values + a->length * (int64_t)w, b, k);
				if (a->validity)
					for (int64_t i = 0; i < cnt; i++)
						tarn_bit_set(a->validity, a->length + i, true);
				a->length += cnt;
			} else {
				for (int64_t i = 0; i < cnt && !rc; i++)
					rc = put_num(a, t->kind,
						     w == 4 ? pb_le32(b + i * 4) : pb_le64(b + i * 8));
			}
			continue;
		}
		struct pb_in pk;
		pb_in_init(&pk, b, k);
		while (!rc && pk.p < pk.end) {
			uint64_t v = pb_in_varint(&pk);
			if (pk.why) {
				pb_in_fail(&in, pk.why);
				break;
			}
			rc = is_vals ? put_num(a, t->kind, v) : tarn_array_append_uint(a, v);
		}
	}
	if (rc)
		return nomem(c, rc);
	if (in.why) {
		char why[160];
		snprintf(why, sizeof why, "bad %s: %s", kind_name(t->kind), in.why);
		return cfail(c, TARN_EDATA, why);
	}
	return TARN_OK;
}

static tarn_rc type_mismatch(struct ctx *c, const char *what, int kind, enum tarn_type_id want)
{
	char why[256];
	snprintf(why, sizeof why,
		 "%s is a %s but the first %" PRId64 " records made the column %s; read with "
		 "infer-rows=0 to sample every record",
		 what, kind_name(kind), c->r->infer_rows, tarn_type_id_name(want));
	return cfail(c, TARN_EDATA, why);
}

static bool kind_fits(int kind, enum tarn_type_id t)
{
	return t == TARN_T_FLOAT64 || kind_type(kind) == t;
}

/* features=columns: the vector into f0..f{dim-1}. */
static tarn_rc put_columns(struct ctx *c, struct tarn_batch *b, const struct rinfo *ri)
{
	struct rio_reader *r = c->r;
	tarn_array_reset(r->sv);
	tarn_array_reset(r->sk);
	tarn_array_reset(r->ss);
	if (ri->feat.kind)
		TRY(put_tensor(c, &ri->feat, r->sv, r->sk, r->ss));
	int64_t n = r->sv->length;
	char why[200];
	int w = tarn_type_width(r->feat_t);
	/* Sparse when it has keys, or a shape its values do not fill (all
	 * zeros: no keys, no values). */
	uint64_t prod = r->ss->length ? 1 : 0;
	for (int64_t i = 0; i < r->ss->length; i++) {
		uint64_t d = ((const uint64_t *)(const void *)r->ss->values)[i];
		prod = d && prod > UINT64_MAX / d ? UINT64_MAX : prod * d;
	}
	if (r->ss->length && prod != (uint64_t)r->dim) {
		snprintf(why, sizeof why,
			 "shape of %" PRIu64 " values, but features=columns made %" PRId64
			 " columns from the first records",
			 prod, r->dim);
		return cfail(c, TARN_EDATA, why);
	}
	if (r->sk->length == 0 && !(r->ss->length && n != r->dim)) {
		if (n != r->dim) {
			snprintf(why, sizeof why,
				 "%" PRId64 " feature values, but features=columns made %" PRId64
				 " columns from the first records",
				 n, r->dim);
			return cfail(c, TARN_EDATA, why);
		}
		for (int64_t i = 0; i < n; i++) {
			struct tarn_array *a = b->cols[i];
			tarn_rc rc = tarn_array_reserve(a, 1);
			if (rc)
				return nomem(c, rc);
			memcpy(a->values + a->length * w, r->sv->values + i * w, (size_t)w);
			a->length++;
		}
		return TARN_OK;
	}
	if (r->sk->length != n)
		return cfail(c, TARN_EDATA, "sparse tensor with a different number of keys and values");
	for (int64_t i = 0; i < r->dim; i++) {
		struct tarn_array *a = b->cols[i];
		tarn_rc rc = tarn_array_reserve(a, 1);
		if (rc)
			return nomem(c, rc);
		memset(a->values + a->length * w, 0, (size_t)w);
	}
	const uint64_t *keys = (const uint64_t *)(const void *)r->sk->values;
	for (int64_t i = 0; i < n; i++) {
		if (keys[i] >= (uint64_t)r->dim) {
			snprintf(why, sizeof why,
				 "key %" PRIu64 " is outside the %" PRId64 " feature columns", keys[i],
				 r->dim);
			return cfail(c, TARN_EDATA, why);
		}
		struct tarn_array *a = b->cols[keys[i]];
		memcpy(a->values + a->length * w, r->sv->values + i * w, (size_t)w);
	}
	for (int64_t i = 0; i < r->dim; i++)
		b->cols[i]->length++;
	return TARN_OK;
}

static tarn_rc put_record(struct ctx *c, struct tarn_batch *b, const uint8_t *p, size_t n)
{
	struct rio_reader *r = c->r;
	struct rinfo ri;
	struct pb_in in;
	if (!parse_record(p, n, &ri, &in))
		return record_error(c->err, c->idx, c->off, &in, "the payload");
	if (ri.extra || ri.feat.kind == VAL_BYTES || ri.label.kind == VAL_BYTES)
		return unsupported_value(c->err, c->idx, c->off, &ri);
	if (ri.feat.kind && !kind_fits(ri.feat.kind, r->feat_t))
		return type_mismatch(c, "features[\"values\"]", ri.feat.kind, r->feat_t);
	tarn_rc rc;
	if (r->columns_mode) {
		TRY(put_columns(c, b, &ri));
	} else {
		struct tarn_array *fa = b->cols[r->col[COL_FEATURES]], *fi = fa->children[0];
		struct tarn_array *ka = r->sparse ? b->cols[r->col[COL_KEYS]] : NULL;
		struct tarn_array *sa = r->sparse ? b->cols[r->col[COL_SHAPE]] : NULL;
		/* without a keys column, keys go to scratch: any is an error */
		struct tarn_array *ki = ka ? ka->children[0] : r->sk;
		if (!ka)
			tarn_array_reset(r->sk);
		int64_t v0 = fi->length, k0 = ki->length;
		if (ri.feat.kind)
			TRY(put_tensor(c, &ri.feat, fi, ki, sa ? sa->children[0] : NULL));
		int64_t nv = fi->length - v0, nk = ki->length - k0;
		if (!ka && nk)
			return cfail(c, TARN_EDATA,
				     "sparse features (keys), but the first records were dense; read "
				     "with sparse=true or infer-rows=0");
		if (nk && nk != nv)
			return cfail(c, TARN_EDATA,
				     "sparse tensor with a different number of keys and values");
		if ((rc = tarn_array_list_end(fa, true)) || (ka && (rc = tarn_array_list_end(ka, true))) ||
		    (sa && (rc = tarn_array_list_end(sa, true))))
			return nomem(c, rc);
	}
	if (r->col[COL_LABEL] >= 0) {
		struct tarn_array *la = b->cols[r->col[COL_LABEL]];
		if (!ri.label.kind) {
			if ((rc = tarn_array_append_null(la)))
				return nomem(c, rc);
		} else if (!kind_fits(ri.label.kind, r->label_t)) {
			return type_mismatch(c, "label[\"values\"]", ri.label.kind, r->label_t);
		} else if (r->label_scalar) {
			int64_t before = la->length;
			TRY(put_tensor(c, &ri.label, la, NULL, NULL));
			if (la->length != before + 1) {
				char why[200];
				snprintf(why, sizeof why,
					 "the label has %" PRId64 " values, but the first records had "
					 "one each (a scalar label column); read with infer-rows=0",
					 la->length - before);
				return cfail(c, TARN_EDATA, why);
			}
		} else {
			TRY(put_tensor(c, &ri.label, la->children[0], NULL, NULL));
			if ((rc = tarn_array_list_end(la, true)))
				return nomem(c, rc);
		}
	} else if (ri.label.kind) {
		return cfail(c, TARN_EDATA,
			     "the record has a label but the first records had none; read with "
			     "infer-rows=0");
	}
	static const char *const snames[] = { "uid", "metadata", "configuration" };
	for (int k = 0; k < 3; k++) {
		int col = r->col[COL_UID + k];
		if (col < 0) {
			if (ri.has_str[k]) {
				char why[200];
				snprintf(why, sizeof why,
					 "the record has a %s but the first records had none; read "
					 "with infer-rows=0",
					 snames[k]);
				return cfail(c, TARN_EDATA, why);
			}
			continue;
		}
		struct tarn_array *a = b->cols[col];
		if (!ri.has_str[k]) {
			rc = tarn_array_append_null(a);
		} else {
			size_t bad;
			if (!tarn_utf8_valid(ri.str[k], ri.str_n[k], &bad)) {
				char why[120];
				snprintf(why, sizeof why, "%s is not valid UTF-8", snames[k]);
				return cfail(c, TARN_EDATA, why);
			}
			rc = tarn_array_append_bytes(a, ri.str[k], ri.str_n[k]);
		}
		if (rc)
			return nomem(c, rc);
	}
	return TARN_OK;
}

static tarn_rc read_next(struct tarn_reader *base, struct tarn_batch **out, struct tarn_err *err)
{
	struct rio_reader *r = (struct rio_reader *)base;
	*out = NULL;
	if (r->done)
		return TARN_OK;
	struct tarn_batch *b;
	if (tarn_batch_new(r->base.schema, 0, &b))
		return tarn_err_nomem(err, "RecordIO batch");
	tarn_rc rc = TARN_OK;
	int64_t rows = 0, bytes = 0;
	struct ctx c = { r, err, 0, 0 };
	while (rows < r->batch_rows && bytes < BATCH_BYTES) {
		const uint8_t *p;
		size_t n, taken;
		c.idx = r->n_records;
		c.off = r->src.off;
		TRY_OUT(frame_at(r, 0, c.idx, &p, &n, &taken, err));
		if (!p) {
			r->done = true;
			break;
		}
		TRY_OUT(put_record(&c, b, p, n));
		pb_src_consume(&r->src, taken);
		r->n_records++;
		rows++;
		bytes += (int64_t)taken;
	}
	pb_src_mark(&r->src);
	if (rows == 0) {
		tarn_batch_free(b);
		return TARN_OK;
	}
	TRY_OUT(tarn_batch_seal(b, err));
	*out = b;
	return TARN_OK;
out:
	tarn_batch_free(b);
	r->done = true;
	return rc;
}

static void read_close(struct tarn_reader *base)
{
	struct rio_reader *r = (struct rio_reader *)base;
	pb_src_free(&r->src);
	tarn_buf_free(&r->scratch);
	tarn_array_free(r->sv);
	tarn_array_free(r->sk);
	tarn_array_free(r->ss);
	tarn_free(r);
}

static const struct tarn_reader_ops ops = { .next = read_next, .close = read_close };


tarn_rc rio_open_reader(struct tarn_input *in, const struct tarn_opts *opts,
			struct tarn_reader **out, struct tarn_err *err)
{
	*out = NULL;
	struct rio_reader *r = tarn_calloc(1, sizeof *r);
	if (!r)
		return tarn_err_nomem(err, "RecordIO reader");
	tarn_rc rc = TARN_OK;
	tarn_buf_init(&r->scratch);
	pb_src_init(&r->src, in);
	TRY_OUT(tarn_opts_int(opts, "batch-rows", TARN_BATCH_ROWS, &r->batch_rows, err));
	if (r->batch_rows < 1 || r->batch_rows > ((int64_t)1 << 24)) {
		rc = tarn_err_set(err, TARN_EUSAGE, "option batch-rows: must be 1..16777216");
		goto out;
	}
	TRY_OUT(tarn_opts_int(opts, "infer-rows", DEFAULT_INFER, &r->infer_rows, err));
	if (r->infer_rows < 0) {
		rc = tarn_err_set(err, TARN_EUSAGE, "option infer-rows: must be 0 (all) or more");
		goto out;
	}
	TRY_OUT(tarn_opts_size(opts, "max-record-size", RIO_DEFAULT_MAX_RECORD, 1, (int64_t)1 << 30,
			       &r->max_record, err));
	const char *f = tarn_opts_get(opts, "features");
	if (f && strcasecmp(f, "list") != 0 && strcasecmp(f, "columns") != 0) {
		rc = tarn_err_set(err, TARN_EUSAGE, "option features: '%s' is not list or columns",
				  f);
		goto out;
	}
	r->columns_mode = f && strcasecmp(f, "columns") == 0;
	TRY_OUT(tarn_opts_bool(opts, "sparse", false, &r->force_sparse, err));
	struct infer inf;
	TRY_OUT(infer(r, &inf, err));
	TRY_OUT(build_schema(r, &inf, err));
	r->base.ops = &ops;
	*out = &r->base;
	return TARN_OK;
out:
	if (r->base.schema)
		tarn_schema_unref(r->base.schema);
	read_close(&r->base);
	return rc;
}
