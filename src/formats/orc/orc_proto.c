/*
 * orc_proto.c — the protobuf wire format (proto2) as far as ORC's metadata
 * needs it, and the messages of orc_proto.proto (apache/orc-format):
 * PostScript, Footer, Type, StripeInformation, ColumnStatistics (with its
 * typed members), Metadata/StripeStatistics, StripeFooter, Stream,
 * ColumnEncoding, RowIndex/RowIndexEntry, UserMetadataItem.
 *
 * Decoding is tolerant the protobuf way (unknown fields skipped, repeated
 * scalars packed or not, later values win) and strict about bytes: every
 * length is checked against the message, every count that drives an
 * allocation is bounded by the bytes that encode it. A nested message is
 * limited to 64 levels (ColumnStatistics inside RowIndexEntry is the deepest
 * ORC goes, so that is never reached by valid files).
 *
 * This is tarn's own minimal wire code for ORC; the general Protobuf format
 * lives elsewhere and is not used here. Thread-safety: pure functions.
 */
#include <string.h>

#include "base/err.h"
#include "formats/orc/orc_int.h"

/* ---- reading ----------------------------------------------------------------------------- */

/* An empty message may come as a null pointer (an empty buffer). */
static inline const uint8_t *nz(const uint8_t *p)
{
	return p ? p : (const uint8_t *)"";
}

uint64_t orc_pb_varint(struct orc_pb_in *in)
{
	uint64_t v = 0;
	for (int shift = 0; shift < 64; shift += 7) {
		if (in->p >= in->end) {
			in->bad = true;
			return 0;
		}
		uint8_t b = *in->p++;
		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			return v;
	}
	in->bad = true; /* more than 10 bytes */
	return 0;
}

int64_t orc_pb_sint(struct orc_pb_in *in)
{
	uint64_t v = orc_pb_varint(in);
	return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

double orc_pb_double(struct orc_pb_in *in)
{
	double d = 0;
	if (in->end - in->p < 8) {
		in->bad = true;
		return 0;
	}
	memcpy(&d, in->p, 8);
	in->p += 8;
	return d;
}

bool orc_pb_bytes(struct orc_pb_in *in, const uint8_t **p, size_t *n)
{
	uint64_t len = orc_pb_varint(in);
	if (in->bad || len > (uint64_t)(in->end - in->p)) {
		in->bad = true;
		return false;
	}
	*p = in->p;
	*n = (size_t)len;
	in->p += len;
	return true;
}

void orc_pb_skip(struct orc_pb_in *in, int wire)
{
	const uint8_t *p;
	size_t n;
	switch (wire) {
	case ORC_PB_VARINT: (void)orc_pb_varint(in); break;
	case ORC_PB_I64:
		if (in->end - in->p < 8)
			in->bad = true;
		else
			in->p += 8;
		break;
	case ORC_PB_LEN: (void)orc_pb_bytes(in, &p, &n); break;
	case ORC_PB_I32:
		if (in->end - in->p < 4)
			in->bad = true;
		else
			in->p += 4;
		break;
	default: in->bad = true; /* groups (3, 4) are not used by ORC */
	}
}

bool orc_pb_next(struct orc_pb_in *in, uint32_t *field, int *wire)
{
	if (in->bad || in->p >= in->end)
		return false;
	uint64_t key = orc_pb_varint(in);
	if (in->bad)
		return false;
	*field = (uint32_t)(key >> 3);
	*wire = (int)(key & 7);
	if (*field == 0 || key >> 32) {
		in->bad = true;
		return false;
	}
	return true;
}

bool orc_pb_repeated_varint(struct orc_pb_in *in, int wire, void (*fn)(void *ctx, uint64_t v), void *ctx)
{
	if (wire == ORC_PB_VARINT) {
		uint64_t v = orc_pb_varint(in);
		if (!in->bad)
			fn(ctx, v);
		return !in->bad;
	}
	if (wire != ORC_PB_LEN) {
		in->bad = true;
		return false;
	}
	const uint8_t *p;
	size_t n;
	if (!orc_pb_bytes(in, &p, &n))
		return false;
	struct orc_pb_in sub = { nz(p), nz(p) + n, false };
	while (sub.p < sub.end && !sub.bad) {
		uint64_t v = orc_pb_varint(&sub);
		if (!sub.bad)
			fn(ctx, v);
	}
	if (sub.bad)
		in->bad = true;
	return !in->bad;
}

/* Expects wire type w for a known field. A mismatch is skipped as an
 * unknown field, as protobuf parsers do (some writers put a varint where
 * a message belongs). */
static bool want(struct orc_pb_in *in, int wire, int w)
{
	if (wire != w) {
		orc_pb_skip(in, wire);
		return false;
	}
	return true;
}

/* Counts the occurrences of `field` in a message (first pass, to size an
 * array exactly). Returns -1 when the message is malformed. */
static int count_field(const uint8_t *p, size_t n, uint32_t field)
{
	struct orc_pb_in in = { nz(p), nz(p) + n, false };
	uint32_t f;
	int w, c = 0;
	while (orc_pb_next(&in, &f, &w)) {
		if (f == field)
			c++;
		orc_pb_skip(&in, w);
	}
	return in.bad ? -1 : c;
}

static void *arena_array(struct tarn_arena *a, int n, size_t size)
{
	void *p = tarn_arena_alloc(a, (size_t)(n > 0 ? n : 1) * size);
	if (p)
		memset(p, 0, (size_t)(n > 0 ? n : 1) * size);
	return p;
}

/* A varint list collected into an arena array: packed fields are sized by
 * their byte length (each value takes at least one byte). */
struct vlist {
	uint64_t *v;
	int n, cap;
	bool oom;
	struct tarn_arena *a;
};

static void vlist_add(void *ctx, uint64_t v)
{
	struct vlist *l = ctx;
	if (l->n == l->cap) {
		int nc = l->cap ? l->cap * 2 : 8;
		uint64_t *w = tarn_arena_alloc(l->a, (size_t)nc * sizeof *w);
		if (!w) {
			l->oom = true;
			return;
		}
		if (l->n)
			memcpy(w, l->v, (size_t)l->n * sizeof *w);
		l->v = w;
		l->cap = nc;
	}
	l->v[l->n++] = v;
}

/* ---- ColumnStatistics ------------------------------------------------------------------ */

static void decode_int_stats(const uint8_t *p, size_t n, struct orc_stats *s, struct orc_pb_in *outer)
{
	struct orc_pb_in in = { nz(p), nz(p) + n, false };
	uint32_t f;
	int w;
	s->has_int = true;
	while (orc_pb_next(&in, &f, &w)) {
		switch (f) {
		case 1: if (want(&in, w, ORC_PB_VARINT)) { s->imin = orc_pb_sint(&in); s->has_imin = true; } break;
		case 2: if (want(&in, w, ORC_PB_VARINT)) { s->imax = orc_pb_sint(&in); s->has_imax = true; } break;
		case 3: if (want(&in, w, ORC_PB_VARINT)) { s->isum = orc_pb_sint(&in); s->has_isum = true; } break;
		default: orc_pb_skip(&in, w);
		}
	}
	outer->bad |= in.bad;
}

static void decode_double_stats(const uint8_t *p, size_t n, struct orc_stats *s,
				struct orc_pb_in *outer)
{
	struct orc_pb_in in = { nz(p), nz(p) + n, false };
	uint32_t f;
	int w;
	s->has_double = true;
	while (orc_pb_next(&in, &f, &w)) {
		switch (f) {
		case 1: if (want(&in, w, ORC_PB_I64)) { s->dmin = orc_pb_double(&in); s->has_dmin = true; } break;
		case 2: if (want(&in, w, ORC_PB_I64)) { s->dmax = orc_pb_double(&in); s->has_dmax = true; } break;
		case 3: if (want(&in, w, ORC_PB_I64)) { s->dsum = orc_pb_double(&in); s->has_dsum = true; } break;
		default: orc_pb_skip(&in, w);
		}
	}
	outer->bad |= in.bad;
}

static void decode_string_stats(const uint8_t *p, size_t n, struct orc_stats *s,
				struct orc_pb_in *outer)
{
	struct orc_pb_in in = { nz(p), nz(p) + n, false };
	uint32_t f;
	int w;
	s->has_string = true;
	while (orc_pb_next(&in, &f, &w)) {
		switch (f) {
		case 1:
			if (want(&in, w, ORC_PB_LEN))
				s->has_smin = orc_pb_bytes(&in, &s->smin, &s->smin_len);
			break;
		case 2:
			if (want(&in, w, ORC_PB_LEN))
				s->has_smax = orc_pb_bytes(&in, &s->smax, &s->smax_len);
			break;
		case 3: if (want(&in, w, ORC_PB_VARINT)) { s->ssum = orc_pb_sint(&in); s->has_ssum = true; } break;
		case 4:
			if (want(&in, w, ORC_PB_LEN))
				s->has_slower = orc_pb_bytes(&in, &s->slower, &s->slower_len);
			break;
		case 5:
			if (want(&in, w, ORC_PB_LEN))
				s->has_supper = orc_pb_bytes(&in, &s->supper, &s->supper_len);
			break;
		default: orc_pb_skip(&in, w);
		}
	}
	outer->bad |= in.bad;
}

static void bucket_first(void *ctx, uint64_t v)
{
	struct orc_stats *s = ctx;
	if (!s->has_true_count) {
		s->true_count = v;
		s->has_true_count = true;
	}
}

bool orc_stats_decode(const uint8_t *p, size_t n, struct orc_stats *s)
{
	memset(s, 0, sizeof *s);
	struct orc_pb_in in = { nz(p), nz(p) + n, false };
	uint32_t f;
	int w;
	const uint8_t *q;
	size_t qn;
	while (orc_pb_next(&in, &f, &w)) {
		switch (f) {
		case 1:
			if (want(&in, w, ORC_PB_VARINT)) {
				s->values = orc_pb_varint(&in);
				s->has_values = true;
			}
			break;
		case 2:
			if (want(&in, w, ORC_PB_LEN) && orc_pb_bytes(&in, &q, &qn))
				decode_int_stats(q, qn, s, &in);
			break;
		case 3:
			if (want(&in, w, ORC_PB_LEN) && orc_pb_bytes(&in, &q, &qn))
				decode_double_stats(q, qn, s, &in);
			break;
		case 4:
			if (want(&in, w, ORC_PB_LEN) && orc_pb_bytes(&in, &q, &qn))
				decode_string_stats(q, qn, s, &in);
			break;
		case 5:
			if (want(&in, w, ORC_PB_LEN) && orc_pb_bytes(&in, &q, &qn)) {
				struct orc_pb_in b = { q, q + qn, false };
				uint32_t bf;
				int bw;
				s->has_bucket = true;
				while (orc_pb_next(&b, &bf, &bw)) {
					if (bf == 1)
						orc_pb_repeated_varint(&b, bw, bucket_first, s);
					else
						orc_pb_skip(&b, bw);
				}
				in.bad |= b.bad;
			}
			break;
		case 6:
			if (want(&in, w, ORC_PB_LEN) && orc_pb_bytes(&in, &q, &qn)) {
				struct orc_pb_in d = { q, q + qn, false };
				uint32_t df;
				int dw;
				s->has_decimal = true;
				while (orc_pb_next(&d, &df, &dw)) {
					if (df >= 1 && df <= 3 && dw == ORC_PB_LEN) {
						const uint8_t *v;
						size_t vn;
						if (!orc_pb_bytes(&d, &v, &vn))
							break;
						if (df == 1)
							s->decmin = v, s->decmin_len = vn;
						else if (df == 2)
							s->decmax = v, s->decmax_len = vn;
						else
							s->decsum = v, s->decsum_len = vn;
					} else {
						orc_pb_skip(&d, dw);
					}
				}
				in.bad |= d.bad;
			}
			break;
		case 7:
			if (want(&in, w, ORC_PB_LEN) && orc_pb_bytes(&in, &q, &qn)) {
				struct orc_pb_in d = { q, q + qn, false };
				uint32_t df;
				int dw;
				s->has_date = true;
				while (orc_pb_next(&d, &df, &dw)) {
					if ((df == 1 || df == 2) && dw == ORC_PB_VARINT) {
						int64_t v = orc_pb_sint(&d);
						if (v < INT32_MIN || v > INT32_MAX)
							continue; /* not a date: ignore */
						if (df == 1)
							s->date_min = (int32_t)v, s->has_date_min = true;
						else
							s->date_max = (int32_t)v, s->has_date_max = true;
					} else {
						orc_pb_skip(&d, dw);
					}
				}
				in.bad |= d.bad;
			}
			break;
		case 8:
			if (want(&in, w, ORC_PB_LEN) && orc_pb_bytes(&in, &q, &qn)) {
				struct orc_pb_in d = { q, q + qn, false };
				uint32_t df;
				int dw;
				s->has_binary = true;
				while (orc_pb_next(&d, &df, &dw)) {
					if (df == 1 && dw == ORC_PB_VARINT) {
						s->bsum = orc_pb_sint(&d);
						s->has_bsum = true;
					} else {
						orc_pb_skip(&d, dw);
					}
				}
				in.bad |= d.bad;
			}
			break;
		case 9:
			if (want(&in, w, ORC_PB_LEN) && orc_pb_bytes(&in, &q, &qn)) {
				struct orc_pb_in d = { q, q + qn, false };
				uint32_t df;
				int dw;
				s->has_timestamp = true;
				while (orc_pb_next(&d, &df, &dw)) {
					if (df >= 1 && df <= 4 && dw == ORC_PB_VARINT) {
						int64_t v = orc_pb_sint(&d);
						switch (df) {
						case 1: s->ts_min = v, s->has_ts_min = true; break;
						case 2: s->ts_max = v, s->has_ts_max = true; break;
						case 3: s->ts_min_utc = v, s->has_ts_min_utc = true; break;
						default: s->ts_max_utc = v, s->has_ts_max_utc = true; break;
						}
					} else if ((df == 5 || df == 6) && dw == ORC_PB_VARINT) {
						int32_t v = (int32_t)orc_pb_varint(&d);
						if (df == 5)
							s->ts_min_nanos = v, s->has_ts_min_nanos = true;
						else
							s->ts_max_nanos = v, s->has_ts_max_nanos = true;
					} else {
						orc_pb_skip(&d, dw);
					}
				}
				in.bad |= d.bad;
			}
			break;
		case 10:
			if (want(&in, w, ORC_PB_VARINT)) {
				s->has_null = orc_pb_varint(&in) != 0;
				s->has_has_null = true;
			}
			break;
		case 11:
			if (want(&in, w, ORC_PB_VARINT)) {
				s->bytes_on_disk = orc_pb_varint(&in);
				s->has_bytes_on_disk = true;
			}
			break;
		case 12:
			if (want(&in, w, ORC_PB_LEN) && orc_pb_bytes(&in, &q, &qn)) {
				struct orc_pb_in d = { q, q + qn, false };
				uint32_t df;
				int dw;
				s->has_collection = true;
				while (orc_pb_next(&d, &df, &dw)) {
					if (df >= 1 && df <= 3 && dw == ORC_PB_VARINT) {
						uint64_t v = orc_pb_varint(&d);
						if (df == 1)
							s->cmin = v, s->has_cmin = true;
						else if (df == 2)
							s->cmax = v, s->has_cmax = true;
						else
							s->ctotal = v, s->has_ctotal = true;
					} else {
						orc_pb_skip(&d, dw);
					}
				}
				in.bad |= d.bad;
			}
			break;
		default: orc_pb_skip(&in, w);
		}
	}
	return !in.bad;
}

/* ---- PostScript ---------------------------------------------------------------------------- */

struct version_ctx {
	struct orc_postscript *ps;
};

static void version_add(void *ctx, uint64_t v)
{
	struct orc_postscript *ps = ctx;
	if (ps->n_version < 4)
		ps->version[ps->n_version] = (uint32_t)v;
	ps->n_version++;
}

tarn_rc orc_postscript_decode(const uint8_t *p, size_t n, struct orc_postscript *ps,
			      const char **why)
{
	memset(ps, 0, sizeof *ps);
	ps->block_size = ORC_DEFAULT_BLOCK;
	struct orc_pb_in in = { nz(p), nz(p) + n, false };
	uint32_t f;
	int w;
	while (orc_pb_next(&in, &f, &w)) {
		switch (f) {
		case 1: if (want(&in, w, ORC_PB_VARINT)) ps->footer_len = orc_pb_varint(&in); break;
		case 2: if (want(&in, w, ORC_PB_VARINT)) ps->compression = (int)orc_pb_varint(&in); break;
		case 3:
			if (want(&in, w, ORC_PB_VARINT)) {
				ps->block_size = orc_pb_varint(&in);
				ps->has_block_size = true;
			}
			break;
		case 4: orc_pb_repeated_varint(&in, w, version_add, ps); break;
		case 5: if (want(&in, w, ORC_PB_VARINT)) ps->metadata_len = orc_pb_varint(&in); break;
		case 6:
			if (want(&in, w, ORC_PB_VARINT)) {
				ps->writer_version = (uint32_t)orc_pb_varint(&in);
				ps->has_writer_version = true;
			}
			break;
		case 7: if (want(&in, w, ORC_PB_VARINT)) ps->stripe_stats_len = orc_pb_varint(&in); break;
		case 8000: {
			const uint8_t *m;
			size_t mn;
			if (want(&in, w, ORC_PB_LEN) && orc_pb_bytes(&in, &m, &mn))
				ps->has_magic = mn == 3 && memcmp(m, "ORC", 3) == 0;
			break;
		}
		default: orc_pb_skip(&in, w);
		}
	}
	if (in.bad) {
		*why = "corrupt PostScript";
		return TARN_EDATA;
	}
	if (ps->n_version > 4)
		ps->n_version = 4;
	return TARN_OK;
}

void orc_postscript_encode(struct orc_pb_out *o, const struct orc_postscript *ps)
{
	orc_pb_put_uint(o, 1, ps->footer_len);
	orc_pb_put_uint(o, 2, (uint64_t)ps->compression);
	if (ps->compression != ORC_C_NONE)
		orc_pb_put_uint(o, 3, ps->block_size);
	size_t m = orc_pb_begin(o, 4);
	for (int i = 0; i < ps->n_version; i++)
		orc_pb_put_varint(o, ps->version[i]);
	orc_pb_end(o, m);
	orc_pb_put_uint(o, 5, ps->metadata_len);
	orc_pb_put_uint(o, 6, ps->writer_version);
	orc_pb_put_bytes(o, 8000, "ORC", 3);
}

/* ---- Type ---------------------------------------------------------------------------------- */

static tarn_rc decode_type(const uint8_t *p, size_t n, struct tarn_arena *a, struct orc_type *t)
{
	struct orc_pb_in in = { nz(p), nz(p) + n, false };
	uint32_t f;
	int w;
	struct vlist subs = { .a = a };
	int n_names = count_field(p, n, 3);
	if (n_names < 0)
		return TARN_EDATA;
	t->names = arena_array(a, n_names, sizeof *t->names);
	if (!t->names)
		return TARN_ENOMEM;
	t->kind = -1;
	while (orc_pb_next(&in, &f, &w)) {
		switch (f) {
		case 1: if (want(&in, w, ORC_PB_VARINT)) t->kind = (int)orc_pb_varint(&in); break;
		case 2: orc_pb_repeated_varint(&in, w, vlist_add, &subs); break;
		case 3: {
			const uint8_t *s;
			size_t sn;
			if (want(&in, w, ORC_PB_LEN) && orc_pb_bytes(&in, &s, &sn)) {
				char *c = tarn_arena_strndup(a, (const char *)s, sn);
				if (!c)
					return TARN_ENOMEM;
				t->names[t->n_names++] = c;
			}
			break;
		}
		case 4: if (want(&in, w, ORC_PB_VARINT)) t->max_len = (uint32_t)orc_pb_varint(&in); break;
		case 5:
			if (want(&in, w, ORC_PB_VARINT)) {
				t->precision = (uint32_t)orc_pb_varint(&in);
				t->has_precision = true;
			}
			break;
		case 6:
			if (want(&in, w, ORC_PB_VARINT)) {
				t->scale = (uint32_t)orc_pb_varint(&in);
				t->has_scale = true;
			}
			break;
		default: orc_pb_skip(&in, w);
		}
	}
	if (subs.oom)
		return TARN_ENOMEM;
	if (in.bad)
		return TARN_EDATA;
	if (subs.n > 0) {
		t->sub = arena_array(a, subs.n, sizeof *t->sub);
		if (!t->sub)
			return TARN_ENOMEM;
		for (int i = 0; i < subs.n; i++) {
			if (subs.v[i] > UINT32_MAX)
				return TARN_EDATA;
			t->sub[i] = (uint32_t)subs.v[i];
		}
	}
	t->n_sub = subs.n;
	return TARN_OK;
}

void orc_type_encode(struct orc_pb_out *o, const struct orc_type *t)
{
	orc_pb_put_uint(o, 1, (uint64_t)t->kind);
	if (t->n_sub) {
		size_t m = orc_pb_begin(o, 2);
		for (int i = 0; i < t->n_sub; i++)
			orc_pb_put_varint(o, t->sub[i]);
		orc_pb_end(o, m);
	}
	for (int i = 0; i < t->n_names; i++)
		orc_pb_put_bytes(o, 3, t->names[i], strlen(t->names[i]));
	if (t->kind == ORC_VARCHAR || t->kind == ORC_CHAR)
		orc_pb_put_uint(o, 4, t->max_len);
	if (t->kind == ORC_DECIMAL) {
		orc_pb_put_uint(o, 5, t->precision);
		orc_pb_put_uint(o, 6, t->scale);
	}
}

/* ---- Footer -------------------------------------------------------------------------------- */

static bool decode_stripe_info(const uint8_t *p, size_t n, struct orc_stripe_info *s)
{
	struct orc_pb_in in = { nz(p), nz(p) + n, false };
	uint32_t f;
	int w;
	while (orc_pb_next(&in, &f, &w)) {
		if (f >= 1 && f <= 5 && w == ORC_PB_VARINT) {
			uint64_t v = orc_pb_varint(&in);
			switch (f) {
			case 1: s->offset = v; break;
			case 2: s->index_len = v; break;
			case 3: s->data_len = v; break;
			case 4: s->footer_len = v; break;
			default: s->rows = v; break;
			}
		} else if (f == 6 || f == 7) {
			s->has_encrypt_id = true;
			orc_pb_skip(&in, w);
		} else {
			orc_pb_skip(&in, w);
		}
	}
	return !in.bad;
}

tarn_rc orc_footer_decode(const uint8_t *p, size_t n, struct tarn_arena *a, struct orc_footer *ft,
			  const char **why)
{
	memset(ft, 0, sizeof *ft);
	int ns = count_field(p, n, 3), nt = count_field(p, n, 4), nk = count_field(p, n, 5),
	    nst = count_field(p, n, 7);
	if (ns < 0 || nt < 0 || nk < 0 || nst < 0) {
		*why = "corrupt file footer";
		return TARN_EDATA;
	}
	ft->stripes = arena_array(a, ns, sizeof *ft->stripes);
	ft->types = arena_array(a, nt, sizeof *ft->types);
	ft->kv = arena_array(a, nk, sizeof *ft->kv);
	ft->stats = arena_array(a, nst, sizeof *ft->stats);
	if (!ft->stripes || !ft->types || !ft->kv || !ft->stats) {
		*why = "out of memory for the file footer";
		return TARN_ENOMEM;
	}
	struct orc_pb_in in = { nz(p), nz(p) + n, false };
	uint32_t f;
	int w;
	const uint8_t *q;
	size_t qn;
	bool bad = false;
	while (!bad && orc_pb_next(&in, &f, &w)) {
		switch (f) {
		case 1: if (want(&in, w, ORC_PB_VARINT)) ft->header_len = orc_pb_varint(&in); break;
		case 2: if (want(&in, w, ORC_PB_VARINT)) ft->content_len = orc_pb_varint(&in); break;
		case 3:
			if (want(&in, w, ORC_PB_LEN) && orc_pb_bytes(&in, &q, &qn))
				bad = !decode_stripe_info(q, qn, &ft->stripes[ft->n_stripes++]);
			break;
		case 4:
			if (want(&in, w, ORC_PB_LEN) && orc_pb_bytes(&in, &q, &qn)) {
				tarn_rc trc = decode_type(q, qn, a, &ft->types[ft->n_types++]);
				if (trc == TARN_ENOMEM) {
					*why = "out of memory for the file footer";
					return TARN_ENOMEM;
				}
				bad = trc != TARN_OK;
			}
			break;
		case 5:
			if (want(&in, w, ORC_PB_LEN) && orc_pb_bytes(&in, &q, &qn)) {
				struct orc_kv *kv = &ft->kv[ft->n_kv++];
				struct orc_pb_in k = { q, q + qn, false };
				uint32_t kf;
				int kw;
				while (orc_pb_next(&k, &kf, &kw)) {
					if (kf == 1 && kw == ORC_PB_LEN)
						orc_pb_bytes(&k, &kv->name, &kv->name_len);
					else if (kf == 2 && kw == ORC_PB_LEN)
						orc_pb_bytes(&k, &kv->value, &kv->value_len);
					else
						orc_pb_skip(&k, kw);
				}
				bad = k.bad;
			}
			break;
		case 6:
			if (want(&in, w, ORC_PB_VARINT)) {
				ft->rows = orc_pb_varint(&in);
				ft->has_rows = true;
			}
			break;
		case 7:
			if (want(&in, w, ORC_PB_LEN) && orc_pb_bytes(&in, &q, &qn))
				bad = !orc_stats_decode(q, qn, &ft->stats[ft->n_stats++]);
			break;
		case 8:
			if (want(&in, w, ORC_PB_VARINT)) {
				ft->row_index_stride = (uint32_t)orc_pb_varint(&in);
				ft->has_stride = true;
			}
			break;
		case 9:
			if (want(&in, w, ORC_PB_VARINT)) {
				ft->writer = (uint32_t)orc_pb_varint(&in);
				ft->has_writer = true;
			}
			break;
		case 10:
			ft->encrypted = true;
			orc_pb_skip(&in, w);
			break;
		case 11: if (want(&in, w, ORC_PB_VARINT)) ft->calendar = (int)orc_pb_varint(&in); break;
		case 12:
			if (want(&in, w, ORC_PB_LEN))
				orc_pb_bytes(&in, &ft->software_version, &ft->software_version_len);
			break;
		default: orc_pb_skip(&in, w);
		}
	}
	if (bad || in.bad) {
		*why = "corrupt file footer";
		return TARN_EDATA;
	}
	return TARN_OK;
}

/* ---- Metadata -------------------------------------------------------------------------------- */

tarn_rc orc_metadata_decode(const uint8_t *p, size_t n, struct tarn_arena *a,
			    struct orc_metadata *m, const char **why)
{
	memset(m, 0, sizeof *m);
	*why = "corrupt stripe statistics (Metadata)";
	int ns = count_field(p, n, 1);
	if (ns < 0)
		return TARN_EDATA;
	/* Column count: the largest stripe entry (each ColumnStatistics takes
	 * at least two bytes, so this is bounded by n). */
	struct orc_pb_in in = { nz(p), nz(p) + n, false };
	uint32_t f;
	int w;
	const uint8_t *q;
	size_t qn;
	int cols = 0;
	while (orc_pb_next(&in, &f, &w)) {
		if (f == 1 && w == ORC_PB_LEN && orc_pb_bytes(&in, &q, &qn)) {
			int c = count_field(q, qn, 1);
			if (c < 0)
				return TARN_EDATA;
			if (c > cols)
				cols = c;
		} else {
			orc_pb_skip(&in, w);
		}
	}
	if (in.bad)
		return TARN_EDATA;
	if (ns > 0 && cols > 0 && (size_t)ns * (size_t)cols > n * 2 + 16)
		return TARN_EDATA;
	m->stats = arena_array(a, ns * cols, sizeof *m->stats);
	if (!m->stats) {
		*why = "out of memory for stripe statistics";
		return TARN_ENOMEM;
	}
	m->n_cols = cols;
	in = (struct orc_pb_in){ nz(p), nz(p) + n, false };
	while (orc_pb_next(&in, &f, &w)) {
		if (f == 1 && w == ORC_PB_LEN && orc_pb_bytes(&in, &q, &qn)) {
			struct orc_pb_in s = { q, q + qn, false };
			uint32_t sf;
			int sw, c = 0;
			while (orc_pb_next(&s, &sf, &sw)) {
				const uint8_t *cq;
				size_t cn;
				if (sf == 1 && sw == ORC_PB_LEN && orc_pb_bytes(&s, &cq, &cn)) {
					if (!orc_stats_decode(cq, cn,
							      &m->stats[(size_t)m->n_stripes * (size_t)cols + (size_t)c]))
						return TARN_EDATA;
					c++;
				} else {
					orc_pb_skip(&s, sw);
				}
			}
			if (s.bad)
				return TARN_EDATA;
			m->n_stripes++;
		} else {
			orc_pb_skip(&in, w);
		}
	}
	if (in.bad)
		return TARN_EDATA;
	return TARN_OK;
}

/* ---- StripeFooter ----------------------------------------------------------------------------- */

tarn_rc orc_stripe_footer_decode(const uint8_t *p, size_t n, struct tarn_arena *a,
				 struct orc_stripe_footer *sf, const char **why)
{
	memset(sf, 0, sizeof *sf);
	*why = "corrupt stripe footer";
	int ns = count_field(p, n, 1), ne = count_field(p, n, 2);
	if (ns < 0 || ne < 0)
		return TARN_EDATA;
	sf->streams = arena_array(a, ns, sizeof *sf->streams);
	sf->encodings = arena_array(a, ne, sizeof *sf->encodings);
	if (!sf->streams || !sf->encodings) {
		*why = "out of memory for a stripe footer";
		return TARN_ENOMEM;
	}
	struct orc_pb_in in = { nz(p), nz(p) + n, false };
	uint32_t f;
	int w;
	const uint8_t *q;
	size_t qn;
	while (orc_pb_next(&in, &f, &w)) {
		if (f == 1 && w == ORC_PB_LEN && orc_pb_bytes(&in, &q, &qn)) {
			struct orc_stream_info *st = &sf->streams[sf->n_streams++];
			struct orc_pb_in s = { q, q + qn, false };
			uint32_t k;
			int kw;
			while (orc_pb_next(&s, &k, &kw)) {
				if (k >= 1 && k <= 3 && kw == ORC_PB_VARINT) {
					uint64_t v = orc_pb_varint(&s);
					if (k == 1) {
						st->kind = v > 1000 ? 1000 : (int)v;
						st->has_kind = true;
					} else if (k == 2) {
						st->column = v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
					} else {
						st->length = v;
					}
				} else {
					orc_pb_skip(&s, kw);
				}
			}
			if (s.bad)
				return TARN_EDATA;
		} else if (f == 2 && w == ORC_PB_LEN && orc_pb_bytes(&in, &q, &qn)) {
			struct orc_col_encoding *e = &sf->encodings[sf->n_encodings++];
			struct orc_pb_in s = { q, q + qn, false };
			uint32_t k;
			int kw;
			while (orc_pb_next(&s, &k, &kw)) {
				if (k == 1 && kw == ORC_PB_VARINT) {
					uint64_t v = orc_pb_varint(&s);
					e->kind = v > 1000 ? 1000 : (int)v;
				} else if (k == 2 && kw == ORC_PB_VARINT) {
					uint64_t v = orc_pb_varint(&s);
					e->dict_size = v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
				} else {
					orc_pb_skip(&s, kw);
				}
			}
			if (s.bad)
				return TARN_EDATA;
		} else if (f == 3 && w == ORC_PB_LEN) {
			sf->has_tz = orc_pb_bytes(&in, &sf->tz, &sf->tz_len);
		} else if (f == 4) {
			sf->encrypted = true;
			orc_pb_skip(&in, w);
		} else {
			orc_pb_skip(&in, w);
		}
	}
	if (in.bad)
		return TARN_EDATA;
	return TARN_OK;
}

/* ---- RowIndex ----------------------------------------------------------------------------------- */

tarn_rc orc_row_index_decode(const uint8_t *p, size_t n, struct tarn_arena *a,
			     struct orc_row_index *ri, const char **why)
{
	memset(ri, 0, sizeof *ri);
	*why = "corrupt row index";
	int ne = count_field(p, n, 1);
	if (ne < 0)
		return TARN_EDATA;
	ri->entries = arena_array(a, ne, sizeof *ri->entries);
	if (!ri->entries) {
		*why = "out of memory for a row index";
		return TARN_ENOMEM;
	}
	struct orc_pb_in in = { nz(p), nz(p) + n, false };
	uint32_t f;
	int w;
	const uint8_t *q;
	size_t qn;
	while (orc_pb_next(&in, &f, &w)) {
		if (f == 1 && w == ORC_PB_LEN && orc_pb_bytes(&in, &q, &qn)) {
			struct orc_index_entry *e = &ri->entries[ri->n++];
			struct vlist pos = { .a = a };
			struct orc_pb_in s = { q, q + qn, false };
			uint32_t k;
			int kw;
			while (orc_pb_next(&s, &k, &kw)) {
				const uint8_t *sq;
				size_t sn;
				if (k == 1) {
					orc_pb_repeated_varint(&s, kw, vlist_add, &pos);
				} else if (k == 2 && kw == ORC_PB_LEN && orc_pb_bytes(&s, &sq, &sn)) {
					if (!orc_stats_decode(sq, sn, &e->stats))
						return TARN_EDATA;
					e->has_stats = true;
				} else {
					orc_pb_skip(&s, kw);
				}
			}
			if (s.bad)
				return TARN_EDATA;
			if (pos.oom) {
				*why = "out of memory for a row index";
				return TARN_ENOMEM;
			}
			e->pos = pos.v;
			e->n_pos = pos.n;
		} else {
			orc_pb_skip(&in, w);
		}
	}
	if (in.bad)
		return TARN_EDATA;
	return TARN_OK;
}

/* ---- writing ------------------------------------------------------------------------------------ */

static inline bool room(struct orc_pb_out *o, size_t n)
{
	if (o->rc)
		return false;
	if (o->b->len + n > o->b->cap) {
		o->rc = tarn_buf_reserve(o->b, n);
		if (o->rc)
			return false;
	}
	return true;
}

void orc_pb_put_varint(struct orc_pb_out *o, uint64_t v)
{
	if (!room(o, 10))
		return;
	orc_put_uvarint(o->b, v);
}

void orc_pb_put_key(struct orc_pb_out *o, uint32_t field, int wire)
{
	orc_pb_put_varint(o, ((uint64_t)field << 3) | (uint64_t)wire);
}

void orc_pb_put_uint(struct orc_pb_out *o, uint32_t field, uint64_t v)
{
	orc_pb_put_key(o, field, ORC_PB_VARINT);
	orc_pb_put_varint(o, v);
}

void orc_pb_put_sint(struct orc_pb_out *o, uint32_t field, int64_t v)
{
	orc_pb_put_key(o, field, ORC_PB_VARINT);
	orc_pb_put_varint(o, ((uint64_t)v << 1) ^ (v < 0 ? ~(uint64_t)0 : 0));
}

void orc_pb_put_double(struct orc_pb_out *o, uint32_t field, double v)
{
	orc_pb_put_key(o, field, ORC_PB_I64);
	if (!room(o, 8))
		return;
	memcpy(o->b->data + o->b->len, &v, 8);
	o->b->len += 8;
}

void orc_pb_put_bytes(struct orc_pb_out *o, uint32_t field, const void *p, size_t n)
{
	orc_pb_put_key(o, field, ORC_PB_LEN);
	orc_pb_put_varint(o, n);
	if (!room(o, n))
		return;
	if (n)
		memcpy(o->b->data + o->b->len, p, n);
	o->b->len += n;
}

/* Five bytes are reserved for the length (messages here are < 4 GiB);
 * orc_pb_end writes the real varint and moves the body down over the rest. */
size_t orc_pb_begin(struct orc_pb_out *o, uint32_t field)
{
	orc_pb_put_key(o, field, ORC_PB_LEN);
	if (!room(o, 5))
		return 0;
	size_t mark = o->b->len;
	o->b->len += 5;
	return mark;
}

void orc_pb_end(struct orc_pb_out *o, size_t mark)
{
	if (o->rc)
		return;
	size_t body = o->b->len - mark - 5;
	uint8_t tmp[10];
	int k = 0;
	uint64_t v = body;
	while (v >= 0x80) {
		tmp[k++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	tmp[k++] = (uint8_t)v;
	char *d = o->b->data + mark;
	memmove(d + k, d + 5, body);
	memcpy(d, tmp, (size_t)k);
	o->b->len = mark + (size_t)k + body;
}

/* ---- names ------------------------------------------------------------------------------------ */

const char *orc_kind_name(int kind)
{
	static const char *const names[] = {
		"boolean", "tinyint", "smallint", "int",    "bigint", "float",   "double",
		"string",  "binary",  "timestamp", "array", "map",    "struct",  "uniontype",
		"decimal", "date",    "varchar",  "char",   "timestamp with local time zone",
	};
	return kind >= 0 && kind < ORC_KIND_COUNT ? names[kind] : "unknown";
}

const char *orc_compression_name(int c)
{
	static const char *const names[] = { "NONE", "ZLIB", "SNAPPY", "LZO", "LZ4", "ZSTD", "BROTLI" };
	return c >= 0 && c <= ORC_C_BROTLI ? names[c] : "unknown";
}

const char *orc_stream_kind_name(int k)
{
	static const char *const names[] = {
		"PRESENT", "DATA", "LENGTH", "DICTIONARY_DATA", "DICTIONARY_COUNT", "SECONDARY",
		"ROW_INDEX", "BLOOM_FILTER", "BLOOM_FILTER_UTF8", "ENCRYPTED_INDEX", "ENCRYPTED_DATA",
	};
	return k >= 0 && k <= ORC_S_ENCRYPTED_DATA ? names[k] : "unknown";
}
