/*
 * parquet_write.c — the Parquet writer: tarn batches in, a Parquet file out.
 *
 * Design notes
 *  1. Schema: every tarn type maps to one Parquet leaf or group (see
 *     map_field): integers to INT32/INT64 with INTEGER annotations where the
 *     width or sign needs it, decimal(p<=9) INT32, (p<=18) INT64, else
 *     FIXED_LEN_BYTE_ARRAY of the fewest bytes, string STRING, date32 DATE,
 *     time64 TIME (seconds as milliseconds), timestamp TIMESTAMP (UTC-
 *     adjusted when it has a zone; seconds as milliseconds), lists in the
 *     standard 3-level form, maps as MAP / key_value, structs as groups, the
 *     null type as an always-null INT32 annotated UNKNOWN.
 *  2. Shredding: each leaf turns its batch column into definition and
 *     repetition levels plus the positions of its non-null values (Dremel;
 *     shred()). A top-level leaf skips all that: its levels come straight
 *     from the validity bitmap.
 *  3. Values are converted to their physical form PQ_CHUNK at a time (stage)
 *     and then either looked up in the chunk's dictionary (an open-addressing
 *     hash over the distinct values) or PLAIN-encoded. The dictionary is
 *     dropped for the chunk when it outgrows `dictionary-size`, or when the
 *     first page shows it does not pay (most values distinct); pages written
 *     before that keep it, as the format allows.
 *  4. A page is cut at a row boundary once its encoded values reach
 *     `page-size`; it is compressed and appended to the column's chunk
 *     buffer. When the buffered row group reaches `row-group-size` bytes, the
 *     chunks are written out one after another (dictionary page first) and
 *     their metadata kept for the footer. Memory is bounded by one row group
 *     of compressed pages plus one open page per column.
 *  5. Columns encode in parallel: write() runs one pool task per leaf.
 *  6. Statistics are kept per page (stats_update) and folded into the
 *     chunk's when the page is cut; each page's location, first row, null
 *     count and bounds are noted (page_record) and, when its row group is
 *     written, encoded as the chunk's OffsetIndex and ColumnIndex into two
 *     writer-wide buffers that finish() writes before the footer (offsets
 *     in the footer are made absolute then). Pages are only ever cut at row
 *     starts, as the OffsetIndex requires.
 *
 * Thread-safety: one writer per thread; tasks touch only their own leaf.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "base/err.h"
#include "base/pool.h"
#include "formats/parquet/parquet_int.h"

#define MAX_DEPTH 64

/* How one tarn leaf value becomes a physical value. */
enum wconv {
	W_BOOL,
	W_I8, W_I16, W_I32, W_U8, W_U16, W_U32, /* into INT32 */
	W_I64,                                   /* int64, uint64, time/timestamp us/ns */
	W_F32, W_F64,
	W_DEC32, W_DEC64, W_DEC_FLBA,
	W_BYTES,
	W_X1000_32, /* time64[s] into INT32 milliseconds */
	W_I64_32,   /* time64[ms] into INT32 */
	W_X1000_64, /* timestamp[s] into INT64 milliseconds */
	W_NULL,
};

enum wstep_kind { WS_LEAF, WS_STRUCT, WS_LIST, WS_MAP };

struct wstep {
	int kind;
	bool nullable;  /* this node adds a definition level */
	int child;      /* struct member, or map key (0) / value (1) */
	int rep_level;  /* lists and maps: the repetition level of their items */
};

/* The distinct values of a chunk, for dictionary encoding. */
struct wdict {
	int64_t n;
	uint32_t *slots; /* entry index + 1, 0 = empty */
	uint64_t mask;
	uint64_t *hashes;
	int64_t cap;
	int width;           /* fixed width, 0 = byte arrays */
	struct tarn_buf vals; /* fixed: n * width bytes; bytes: concatenated */
	int64_t *offs;       /* bytes: n + 1 offsets into vals */
	size_t plain_size;   /* size of the PLAIN-encoded dictionary page */
};

struct wstats {
	bool any;            /* min/max hold a value */
	int64_t nulls;
	uint8_t min[16], max[16];
	struct tarn_buf bmin, bmax; /* byte arrays */
	bool max_too_long;
};

/* One data page of the open chunk, for the page index. */
struct wpage {
	int64_t off;        /* header position in the chunk buffer */
	int32_t size;       /* header + compressed body */
	int64_t first_row;  /* within the row group */
	int64_t nulls;
	bool null_page;     /* no non-null values */
	size_t mm;          /* min at pmm[mm], max right after it */
	uint32_t min_len, max_len;
};

struct wleaf {
	struct pq_writer *w;
	/* schema */
	const struct tarn_type *type;
	int field;
	int phys;
	int32_t type_length;
	enum wconv conv;
	bool is_unsigned;
	int max_def, max_rep;
	int n_steps;
	struct wstep steps[MAX_DEPTH];
	int n_path;
	char **path;
	/* the batch being shredded: rows [r0, r1) */
	const struct tarn_batch *batch;
	int64_t r0, r1;
	uint8_t *bdef, *brep;
	int64_t bn, bcap;
	int64_t *bidx;       /* positions of non-null values in the leaf array */
	int64_t bnv, bidx_cap;
	/* the open page */
	uint8_t *pdef, *prep;
	int64_t pn, pcap;
	int64_t prows, pnulls;
	struct tarn_buf plain; /* PLAIN values */
	uint8_t pbit;          /* PLAIN booleans: bits used in the last byte */
	uint32_t *pidx;        /* dictionary indices */
	int64_t pnidx, pidx_cap;
	/* dictionary */
	struct wdict dict;
	bool dict_on;          /* this chunk is still dictionary-encoded */
	bool dict_pages;       /* a page using the dictionary was written */
	/* chunk */
	struct tarn_buf chunk;
	int64_t chunk_values;
	int64_t chunk_usize;   /* uncompressed size incl. headers */
	int64_t chunk_rows;
	int64_t chunk_at;      /* file offset of the chunk's first data page */
	unsigned encodings;    /* bit per pq_encoding used */
	struct wstats st;      /* the chunk's statistics */
	struct wstats pst;     /* the open page's; folded into st at flush */
	/* page index of the chunk */
	struct wpage *pages;
	int64_t n_pages, pages_cap;
	struct tarn_buf pmm;   /* page min/max bytes */
	bool ci_bad;           /* a page has values but no usable bounds */
	/* Bloom filter: XXH64 of every value of the chunk */
	bool bloom;
	uint64_t *bh;
	int64_t bh_n, bh_cap;
	/* scratch */
	struct tarn_buf body, comp, hdr;
	int32_t s32[PQ_CHUNK];
	int64_t s64[PQ_CHUNK];
	uint8_t sflba[PQ_CHUNK * 16];
	const uint8_t *sbp[PQ_CHUNK];
	uint32_t sbl[PQ_CHUNK];
	uint8_t sbool[PQ_CHUNK];
	/* task */
	struct tarn_task task;
	struct tarn_err err;
	tarn_rc rc;
	bool finishing;
};

struct pq_writer {
	struct tarn_writer base;
	struct pq_file_meta meta; /* schema + row groups so far */
	int n_leaves;
	struct wleaf *leaves;
	/* options */
	int codec, level;
	int64_t rg_size, page_size, dict_size;
	bool use_dict, stats, delta, page_index;
	double bloom_fpp;
	int64_t bloom_ndv;    /* 0 = the chunk's distinct count */
	int page_version;
	/* page index of the row groups written, placed before the footer;
	 * column chunks hold offsets relative to these buffers until then */
	struct tarn_buf ci, oi;
	/* state */
	int64_t offset;       /* bytes written */
	int64_t rg_rows;      /* rows buffered in the open row group */
	int64_t bytes_per_row; /* buffered bytes per row of the open row group */
	int64_t total_rows;
	int rg_cap;
	bool started;
};

static const struct tarn_writer_ops writer_ops;

static tarn_rc leaf_fail(struct wleaf *l, tarn_rc rc, const char *what)
{
	return tarn_err_set(&l->err, rc, "%s: column '%s': %s", tarn_output_name(l->w->base.out),
			    l->path[l->n_path - 1], what);
}

/* ---- schema ---------------------------------------------------------------------- */

static int flba_bytes(int precision)
{
	for (int n = 1; n <= 16; n++) {
		/* largest value in n bytes: 2^(8n-1) - 1 */
		unsigned __int128 max = ((unsigned __int128)1 << (8 * n - 1)) - 1;
		unsigned __int128 p10 = 1;
		for (int i = 0; i < precision; i++)
			p10 *= 10;
		if (p10 - 1 <= max)
			return n;
	}
	return 16;
}

struct sbuild {
	struct pq_writer *w;
	struct tarn_arena *arena;
	int n_elems, cap_elems;
	struct pq_schema_elem *elems;
	int n_leaves, cap_leaves;
	struct tarn_err *err;
	/* the path being built */
	const char *names[MAX_DEPTH * 2];
	int n_names;
	struct wstep steps[MAX_DEPTH];
	int n_steps;
};

static struct pq_schema_elem *add_elem(struct sbuild *b, const char *name, int rep)
{
	if (b->n_elems == b->cap_elems) {
		int cap = b->cap_elems ? b->cap_elems * 2 : 16;
		struct pq_schema_elem *e = tarn_realloc(b->elems, (size_t)cap * sizeof *e);
		if (!e)
			return NULL;
		b->elems = e;
		b->cap_elems = cap;
	}
	struct pq_schema_elem *e = &b->elems[b->n_elems++];
	memset(e, 0, sizeof *e);
	e->type = -1;
	e->type_length = -1;
	e->repetition = rep;
	e->num_children = -1;
	e->converted = PQ_CT_NONE;
	e->scale = e->precision = -1;
	e->name = tarn_arena_strndup(b->arena, name, strlen(name));
	return e->name ? e : NULL;
}

static tarn_rc add_leaf(struct sbuild *b, const struct tarn_type *t, int field, int phys,
			int32_t tlen, enum wconv conv, bool is_unsigned, int def, int rep)
{
	struct pq_writer *w = b->w;
	if (w->n_leaves == b->cap_leaves) {
		int cap = b->cap_leaves ? b->cap_leaves * 2 : 8;
		struct wleaf *l = tarn_realloc(w->leaves, (size_t)cap * sizeof *l);
		if (!l)
			return tarn_err_nomem(b->err, "Parquet writer");
		w->leaves = l;
		b->cap_leaves = cap;
	}
	struct wleaf *l = &w->leaves[w->n_leaves++];
	memset(l, 0, sizeof *l);
	l->w = w;
	l->type = t;
	l->field = field;
	l->phys = phys;
	l->type_length = tlen;
	l->conv = conv;
	l->is_unsigned = is_unsigned;
	l->max_def = def;
	l->max_rep = rep;
	l->n_steps = b->n_steps;
	memcpy(l->steps, b->steps, (size_t)b->n_steps * sizeof *l->steps);
	l->n_path = b->n_names;
	l->path = tarn_arena_alloc(b->arena, (size_t)b->n_names * sizeof *l->path);
	if (!l->path)
		return tarn_err_nomem(b->err, "Parquet writer");
	for (int i = 0; i < b->n_names; i++)
		l->path[i] = (char *)b->names[i];
	tarn_buf_init(&l->plain);
	tarn_buf_init(&l->chunk);
	tarn_buf_init(&l->body);
	tarn_buf_init(&l->comp);
	tarn_buf_init(&l->hdr);
	tarn_buf_init(&l->dict.vals);
	tarn_buf_init(&l->st.bmin);
	tarn_buf_init(&l->st.bmax);
	tarn_buf_init(&l->pst.bmin);
	tarn_buf_init(&l->pst.bmax);
	tarn_buf_init(&l->pmm);
	return TARN_OK;
}

static tarn_rc map_field(struct sbuild *b, const char *name, const struct tarn_type *t,
			 bool nullable, int def, int rep, int field);

static tarn_rc push_name(struct sbuild *b, const char *name)
{
	if (b->n_names >= MAX_DEPTH * 2 || b->n_steps >= MAX_DEPTH)
		return tarn_err_set(b->err, TARN_ELIMIT, "schema nested deeper than %d levels",
				    MAX_DEPTH);
	b->names[b->n_names++] = name;
	return TARN_OK;
}

static tarn_rc map_field(struct sbuild *b, const char *name, const struct tarn_type *t,
			 bool nullable, int def, int rep, int field)
{
	int r = nullable ? PQ_OPTIONAL : PQ_REQUIRED;
	if (t->id == TARN_T_NULL)
		r = PQ_OPTIONAL;
	struct pq_schema_elem *e = add_elem(b, name, r);
	if (!e)
		return tarn_err_nomem(b->err, "Parquet writer");
	TRY(push_name(b, e->name));
	int d = def + (r == PQ_OPTIONAL);
	struct wstep *s = &b->steps[b->n_steps++];
	memset(s, 0, sizeof *s);
	s->nullable = r == PQ_OPTIONAL;
	int ei = b->n_elems - 1;
	int phys = -1;
	int32_t tlen = -1;
	enum wconv cv = W_NULL;
	bool uns = false;
	struct pq_logical lt = { 0 };
	int ct = PQ_CT_NONE;
	switch (t->id) {
	case TARN_T_NULL: phys = PQ_INT32; cv = W_NULL; lt.kind = PQ_LT_UNKNOWN; break;
	case TARN_T_BOOL: phys = PQ_BOOLEAN; cv = W_BOOL; break;
	case TARN_T_INT8:
	case TARN_T_INT16:
	case TARN_T_UINT8:
	case TARN_T_UINT16:
	case TARN_T_UINT32:
	case TARN_T_UINT64: {
		static const struct {
			int id, bits, phys, ct;
			bool sign;
			enum wconv cv;
		} m[] = {
			{ TARN_T_INT8, 8, PQ_INT32, PQ_CT_INT_8, true, W_I8 },
			{ TARN_T_INT16, 16, PQ_INT32, PQ_CT_INT_16, true, W_I16 },
			{ TARN_T_UINT8, 8, PQ_INT32, PQ_CT_UINT_8, false, W_U8 },
			{ TARN_T_UINT16, 16, PQ_INT32, PQ_CT_UINT_16, false, W_U16 },
			{ TARN_T_UINT32, 32, PQ_INT32, PQ_CT_UINT_32, false, W_U32 },
			{ TARN_T_UINT64, 64, PQ_INT64, PQ_CT_UINT_64, false, W_I64 },
		};
		for (size_t i = 0; i < sizeof m / sizeof m[0]; i++) {
			if (m[i].id != (int)t->id)
				continue;
			phys = m[i].phys;
			cv = m[i].cv;
			ct = m[i].ct;
			lt.kind = PQ_LT_INTEGER;
			lt.bit_width = m[i].bits;
			lt.is_signed = m[i].sign;
			uns = !m[i].sign;
		}
		break;
	}
	case TARN_T_INT32: phys = PQ_INT32; cv = W_I32; break;
	case TARN_T_INT64: phys = PQ_INT64; cv = W_I64; break;
	case TARN_T_FLOAT32: phys = PQ_FLOAT; cv = W_F32; break;
	case TARN_T_FLOAT64: phys = PQ_DOUBLE; cv = W_F64; break;
	case TARN_T_DECIMAL128:
		lt.kind = PQ_LT_DECIMAL;
		lt.precision = t->precision;
		lt.scale = t->scale;
		ct = PQ_CT_DECIMAL;
		e->precision = t->precision;
		e->scale = t->scale;
		if (t->precision <= 9) {
			phys = PQ_INT32;
			cv = W_DEC32;
		} else if (t->precision <= 18) {
			phys = PQ_INT64;
			cv = W_DEC64;
		} else {
			phys = PQ_FLBA;
			tlen = flba_bytes(t->precision);
			cv = W_DEC_FLBA;
		}
		break;
	case TARN_T_STRING:
		phys = PQ_BYTE_ARRAY;
		cv = W_BYTES;
		lt.kind = PQ_LT_STRING;
		ct = PQ_CT_UTF8;
		break;
	case TARN_T_BINARY: phys = PQ_BYTE_ARRAY; cv = W_BYTES; break;
	case TARN_T_DATE32:
		phys = PQ_INT32;
		cv = W_I32;
		lt.kind = PQ_LT_DATE;
		ct = PQ_CT_DATE;
		break;
	case TARN_T_TIME64:
		lt.kind = PQ_LT_TIME;
		lt.utc = false;
		if (t->unit == TARN_UNIT_S || t->unit == TARN_UNIT_MS) {
			phys = PQ_INT32;
			cv = t->unit == TARN_UNIT_S ? W_X1000_32 : W_I64_32;
			lt.unit = PQ_MILLIS;
		} else {
			phys = PQ_INT64;
			cv = W_I64;
			lt.unit = t->unit == TARN_UNIT_US ? PQ_MICROS : PQ_NANOS;
		}
		break;
	case TARN_T_TIMESTAMP:
		phys = PQ_INT64;
		lt.kind = PQ_LT_TIMESTAMP;
		lt.utc = t->tz != NULL;
		cv = t->unit == TARN_UNIT_S ? W_X1000_64 : W_I64;
		lt.unit = t->unit == TARN_UNIT_NS   ? PQ_NANOS
			  : t->unit == TARN_UNIT_US ? PQ_MICROS
						    : PQ_MILLIS;
		/* The legacy annotation means UTC-adjusted; only then is it
		 * written. */
		if (lt.utc && lt.unit != PQ_NANOS)
			ct = lt.unit == PQ_MILLIS ? PQ_CT_TIMESTAMP_MILLIS : PQ_CT_TIMESTAMP_MICROS;
		break;
	case TARN_T_STRUCT:
		e->num_children = t->n_children;
		s->kind = WS_STRUCT;
		if (t->n_children == 0)
			return tarn_err_set(b->err, TARN_EUNSUPPORTED,
					    "Parquet cannot store struct '%s' without members", name);
		for (int i = 0; i < t->n_children; i++) {
			s = &b->steps[b->n_steps - 1];
			s->child = i;
			int save_n = b->n_names, save_s = b->n_steps;
			TRY(map_field(b, t->children[i].name, &t->children[i].type,
				      t->children[i].nullable, d, rep, field));
			b->n_names = save_n;
			b->n_steps = save_s;
		}
		return TARN_OK;
	case TARN_T_LIST:
	case TARN_T_MAP: {
		bool is_map = t->id == TARN_T_MAP;
		e->num_children = 1;
		e->converted = is_map ? PQ_CT_MAP : PQ_CT_LIST;
		e->logical.kind = is_map ? PQ_LT_MAP : PQ_LT_LIST;
		s->kind = is_map ? WS_MAP : WS_LIST;
		s->rep_level = rep + 1;
		struct pq_schema_elem *g = add_elem(b, is_map ? "key_value" : "list", PQ_REPEATED);
		if (!g)
			return tarn_err_nomem(b->err, "Parquet writer");
		g->num_children = is_map ? 2 : 1;
		TRY(push_name(b, g->name));
		if (!is_map)
			return map_field(b, "element", &t->children[0].type, t->children[0].nullable,
					 d + 1, rep + 1, field);
		const struct tarn_type *ent = &t->children[0].type;
		for (int i = 0; i < 2; i++) {
			b->steps[b->n_steps - 1].child = i;
			int save_n = b->n_names, save_s = b->n_steps;
			TRY(map_field(b, i == 0 ? "key" : "value", &ent->children[i].type,
				      i == 0 ? false : ent->children[i].nullable, d + 1, rep + 1,
				      field));
			b->n_names = save_n;
			b->n_steps = save_s;
		}
		return TARN_OK;
	}
	default:
		return tarn_err_set(b->err, TARN_EUNSUPPORTED, "Parquet cannot store type %s (%s)",
				    tarn_type_id_name(t->id), name);
	}
	/* a leaf */
	e = &b->elems[ei];
	e->type = phys;
	e->type_length = tlen;
	e->logical = lt;
	if (e->converted == PQ_CT_NONE)
		e->converted = ct;
	s->kind = WS_LEAF;
	return add_leaf(b, t, field, phys, tlen, cv, uns, d, rep);
}

static tarn_rc build_schema(struct pq_writer *w, struct tarn_err *err)
{
	struct sbuild b = { .w = w, .arena = &w->meta.arena, .err = err };
	const struct tarn_schema *s = w->base.schema;
	struct pq_schema_elem *root = add_elem(&b, "schema", -1);
	tarn_rc rc = TARN_OK;
	if (!root) {
		rc = tarn_err_nomem(err, "Parquet writer");
		goto out;
	}
	root->num_children = s->n_fields;
	for (int i = 0; i < s->n_fields && rc == TARN_OK; i++) {
		b.n_names = 0;
		b.n_steps = 0;
		rc = map_field(&b, s->fields[i].name, &s->fields[i].type, s->fields[i].nullable, 0,
			       0, i);
	}
out:
	/* Move the elements into the arena for the footer. */
	if (rc == TARN_OK) {
		w->meta.schema = tarn_arena_alloc(&w->meta.arena,
						  (size_t)(b.n_elems ? b.n_elems : 1) * sizeof *b.elems);
		if (!w->meta.schema)
			rc = tarn_err_nomem(err, "Parquet writer");
		else {
			memcpy(w->meta.schema, b.elems, (size_t)b.n_elems * sizeof *b.elems);
			w->meta.n_schema = b.n_elems;
		}
	}
	tarn_free(b.elems);
	return rc;
}

/* ---- shredding ---------------------------------------------------------------------- */

/* Grows a pair of level buffers (definition, repetition) that share one
 * capacity to hold `need` entries, doubling from `first`. */
static tarn_rc grow_level_pair(uint8_t **def, uint8_t **rep, int64_t *cap, int64_t need,
			       int64_t first)
{
	if (need <= *cap)
		return TARN_OK;
	int64_t c = *cap ? *cap : first;
	while (c < need)
		c *= 2;
	uint8_t *d = tarn_realloc(*def, (size_t)c);
	if (!d)
		return TARN_ENOMEM;
	*def = d;
	uint8_t *r = tarn_realloc(*rep, (size_t)c);
	if (!r)
		return TARN_ENOMEM;
	*rep = r;
	*cap = c;
	return TARN_OK;
}

static tarn_rc grow_levels(struct wleaf *l, int64_t more)
{
	return grow_level_pair(&l->bdef, &l->brep, &l->bcap, l->bn + more, 1024);
}

static tarn_rc grow_idx(struct wleaf *l, int64_t more)
{
	int64_t need = l->bnv + more;
	if (need <= l->bidx_cap)
		return TARN_OK;
	int64_t cap = l->bidx_cap ? l->bidx_cap : 1024;
	while (cap < need)
		cap *= 2;
	int64_t *p = tarn_realloc(l->bidx, (size_t)cap * sizeof *p);
	if (!p)
		return TARN_ENOMEM;
	l->bidx = p;
	l->bidx_cap = cap;
	return TARN_OK;
}

static inline tarn_rc emit(struct wleaf *l, int d, int r, int64_t idx)
{
	if (UNLIKELY(l->bn >= l->bcap))
		TRY(grow_levels(l, 1));
	l->bdef[l->bn] = (uint8_t)d;
	l->brep[l->bn] = (uint8_t)r;
	l->bn++;
	if (idx >= 0) {
		if (UNLIKELY(l->bnv >= l->bidx_cap))
			TRY(grow_idx(l, 1));
		l->bidx[l->bnv++] = idx;
	}
	return TARN_OK;
}

static tarn_rc shred(struct wleaf *l, int step, const struct tarn_array *a, int64_t i, int d,
		     int r)
{
	const struct wstep *s = &l->steps[step];
	bool null = a->type->id == TARN_T_NULL || tarn_array_is_null(a, i);
	if (s->nullable) {
		if (null)
			return emit(l, d, r, -1);
		d++;
	} else if (null) {
		return leaf_fail(l, TARN_EDATA, "a value declared not null is null");
	}
	switch (s->kind) {
	case WS_LEAF: return emit(l, d, r, i);
	case WS_STRUCT: return shred(l, step + 1, a->children[s->child], i, d, r);
	default: {
		int32_t b = a->offsets[i], e = a->offsets[i + 1];
		if (b == e) {
			/* Find the leaf array even when this batch has no items, so
			 * the value stage knows its type. */
			return emit(l, d, r, -1);
		}
		const struct tarn_array *ch = a->children[0];
		if (s->kind == WS_MAP)
			ch = ch->children[s->child];
		for (int32_t k = b; k < e; k++)
			TRY(shred(l, step + 1, ch, k, d + 1, k == b ? r : s->rep_level));
		return TARN_OK;
	}
	}
}

/* The leaf array of a batch column (for types and values), following the
 * path whatever the data. */
static const struct tarn_array *leaf_array(const struct wleaf *l, const struct tarn_array *a)
{
	for (int i = 0; i < l->n_steps - 1; i++) {
		const struct wstep *s = &l->steps[i];
		if (s->kind == WS_STRUCT)
			a = a->children[s->child];
		else if (s->kind == WS_LIST)
			a = a->children[0];
		else
			a = a->children[0]->children[s->child];
	}
	return a;
}

/* ---- dictionary ------------------------------------------------------------------- */

static inline uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

static uint64_t hash_bytes(const uint8_t *p, size_t n)
{
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ n;
	while (n >= 8) {
		uint64_t v;
		memcpy(&v, p, 8);
		h = (h ^ v) * 0x100000001b3ULL;
		h ^= h >> 29;
		p += 8;
		n -= 8;
	}
	uint64_t v = 0;
	memcpy(&v, p, n);
	h = (h ^ v) * 0x100000001b3ULL;
	return mix64(h);
}

static void dict_reset(struct wdict *d)
{
	d->n = 0;
	d->vals.len = 0;
	d->plain_size = 0;
	if (d->slots)
		memset(d->slots, 0, (size_t)(d->mask + 1) * sizeof *d->slots);
}

static void dict_free(struct wdict *d)
{
	tarn_free(d->slots);
	tarn_free(d->hashes);
	tarn_free(d->offs);
	tarn_buf_free(&d->vals);
	memset(d, 0, sizeof *d);
}

static tarn_rc dict_grow(struct wdict *d)
{
	if (d->n + 1 > d->cap) {
		int64_t cap = d->cap ? d->cap * 2 : 1024;
		uint64_t *h = tarn_realloc(d->hashes, (size_t)cap * sizeof *h);
		if (!h)
			return TARN_ENOMEM;
		d->hashes = h;
		if (d->width == 0) {
			int64_t *o = tarn_realloc(d->offs, (size_t)(cap + 1) * sizeof *o);
			if (!o)
				return TARN_ENOMEM;
			d->offs = o;
			if (d->n == 0)
				o[0] = 0;
		}
		d->cap = cap;
	}
	/* Load factor <= 1/2. */
	if ((uint64_t)(d->n + 1) * 2 > d->mask + 1 || !d->slots) {
		uint64_t size = d->slots ? (d->mask + 1) * 2 : 2048;
		uint32_t *s = tarn_calloc((size_t)size, sizeof *s);
		if (!s)
			return TARN_ENOMEM;
		uint64_t mask = size - 1;
		for (int64_t i = 0; i < d->n; i++) {
			uint64_t pos = d->hashes[i] & mask;
			while (s[pos])
				pos = (pos + 1) & mask;
			s[pos] = (uint32_t)(i + 1);
		}
		tarn_free(d->slots);
		d->slots = s;
		d->mask = mask;
	}
	return TARN_OK;
}

/* Index of value p (width bytes, or n bytes for byte arrays), inserting it
 * when new. */
static tarn_rc dict_find(struct wdict *d, const uint8_t *p, size_t n, uint64_t h, uint32_t *out)
{
	uint64_t pos = h & d->mask;
	for (;;) {
		uint32_t s = d->slots[pos];
		if (!s)
			break;
		int64_t e = s - 1;
		if (d->hashes[e] == h) {
			if (d->width) {
				if (memcmp(d->vals.data + e * d->width, p, (size_t)d->width) == 0) {
					*out = (uint32_t)e;
					return TARN_OK;
				}
			} else if ((size_t)(d->offs[e + 1] - d->offs[e]) == n &&
				   (n == 0 || memcmp(d->vals.data + d->offs[e], p, n) == 0)) {
				*out = (uint32_t)e;
				return TARN_OK;
			}
		}
		pos = (pos + 1) & d->mask;
	}
	/* New entry: grow first (which rehashes), then find the free slot. */
	TRY(dict_grow(d));
	pos = h & d->mask;
	while (d->slots[pos])
		pos = (pos + 1) & d->mask;
	TRY(tarn_buf_append(&d->vals, p, d->width ? (size_t)d->width : n));
	d->hashes[d->n] = h;
	if (!d->width) {
		d->offs[d->n + 1] = (int64_t)d->vals.len;
		d->plain_size += 4 + n;
	} else {
		d->plain_size += (size_t)d->width;
	}
	d->slots[pos] = (uint32_t)(d->n + 1);
	*out = (uint32_t)d->n++;
	return TARN_OK;
}

/* ---- values: stage, stats, encode ------------------------------------------------------- */

/* Physical width of the staged values (0 = booleans or byte arrays). */
static int stage_width(const struct wleaf *l)
{
	switch (l->phys) {
	case PQ_INT32:
	case PQ_FLOAT: return 4;
	case PQ_INT64:
	case PQ_DOUBLE: return 8;
	case PQ_FLBA: return l->type_length;
	default: return 0;
	}
}

/* Converts values idx[0..n) (or rows from..from+n when idx is NULL) of
 * array a into the physical staging buffers. */
static tarn_rc stage(struct wleaf *l, const struct tarn_array *a, const int64_t *idx,
		     int64_t from, int64_t n)
{
	const uint8_t *v = a->values;
#define AT(k) (idx ? idx[k] : from + (k))
	switch (l->conv) {
	case W_BOOL:
		for (int64_t k = 0; k < n; k++)
			l->sbool[k] = tarn_bit_get(v, AT(k));
		break;
	case W_I8:
		for (int64_t k = 0; k < n; k++)
			l->s32[k] = ((const int8_t *)v)[AT(k)];
		break;
	case W_I16:
		for (int64_t k = 0; k < n; k++)
			l->s32[k] = ((const int16_t *)v)[AT(k)];
		break;
	case W_U8:
		for (int64_t k = 0; k < n; k++)
			l->s32[k] = ((const uint8_t *)v)[AT(k)];
		break;
	case W_U16:
		for (int64_t k = 0; k < n; k++)
			l->s32[k] = ((const uint16_t *)v)[AT(k)];
		break;
	case W_I32:
	case W_U32:
	case W_F32:
	case W_DEC32:
		if (l->conv == W_DEC32) {
			for (int64_t k = 0; k < n; k++)
				l->s32[k] = (int32_t)tarn_array_get_decimal(a, AT(k));
		} else if (!idx) {
			memcpy(l->s32, v + from * 4, (size_t)n * 4);
		} else {
			for (int64_t k = 0; k < n; k++)
				l->s32[k] = ((const int32_t *)v)[idx[k]];
		}
		break;
	case W_I64:
	case W_F64:
		if (!idx)
			memcpy(l->s64, v + from * 8, (size_t)n * 8);
		else
			for (int64_t k = 0; k < n; k++)
				l->s64[k] = ((const int64_t *)v)[idx[k]];
		break;
	case W_DEC64:
		for (int64_t k = 0; k < n; k++)
			l->s64[k] = (int64_t)tarn_array_get_decimal(a, AT(k));
		break;
	case W_DEC_FLBA: {
		int w = l->type_length;
		for (int64_t k = 0; k < n; k++) {
			tarn_i128 x = tarn_array_get_decimal(a, AT(k));
			uint8_t *o = l->sflba + k * w;
			for (int j = w - 1; j >= 0; j--) {
				o[j] = (uint8_t)x;
				x >>= 8;
			}
		}
		break;
	}
	case W_BYTES: {
		/* An array of only empty strings may have no byte buffer. */
		const uint8_t *base = a->values ? a->values : (const uint8_t *)"";
		for (int64_t k = 0; k < n; k++) {
			int64_t i = AT(k);
			l->sbp[k] = base + a->offsets[i];
			l->sbl[k] = (uint32_t)(a->offsets[i + 1] - a->offsets[i]);
		}
		break;
	}
	case W_X1000_32:
		for (int64_t k = 0; k < n; k++) {
			int64_t x = tarn_array_get_int(a, AT(k));
			if (x > INT32_MAX / 1000 || x < INT32_MIN / 1000)
				return leaf_fail(l, TARN_EDATA, "time of day out of range");
			l->s32[k] = (int32_t)(x * 1000);
		}
		break;
	case W_I64_32:
		for (int64_t k = 0; k < n; k++) {
			int64_t x = tarn_array_get_int(a, AT(k));
			if (x > INT32_MAX || x < INT32_MIN)
				return leaf_fail(l, TARN_EDATA, "time of day out of range");
			l->s32[k] = (int32_t)x;
		}
		break;
	case W_X1000_64:
		for (int64_t k = 0; k < n; k++) {
			int64_t x = tarn_array_get_int(a, AT(k));
			if (__builtin_mul_overflow(x, 1000, &l->s64[k]))
				return leaf_fail(l, TARN_EDATA,
						 "timestamp[s] value too large for milliseconds");
		}
		break;
	case W_NULL: break;
	}
#undef AT
	return TARN_OK;
}

static int cmp_bytes(const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
	size_t m = an < bn ? an : bn;
	int c = m ? memcmp(a, b, m) : 0;
	return c ? c : (an > bn) - (an < bn);
}
/* Min and max of the n values SRC[0..n) as type T, merged into st's
 * little-endian min/max bytes (first merge when !st->any). One loop per
 * physical type, so the comparison is the native one. */
#define STATS_MINMAX(T, TMIN, TMAX, SRC)                       \
	do {                                                   \
		T mn_ = TMAX, mx_ = TMIN;                      \
		for (int64_t k_ = 0; k_ < n; k_++) {           \
			T x_ = (T)(SRC)[k_];                   \
			mn_ = x_ < mn_ ? x_ : mn_;             \
			mx_ = x_ > mx_ ? x_ : mx_;             \
		}                                              \
		T omn_, omx_;                                  \
		memcpy(&omn_, st->min, sizeof(T));             \
		memcpy(&omx_, st->max, sizeof(T));             \
		if (!st->any || mn_ < omn_)                    \
			memcpy(st->min, &mn_, sizeof(T));      \
		if (!st->any || mx_ > omx_)                    \
			memcpy(st->max, &mx_, sizeof(T));      \
	} while (0)


/* Folds n staged values into the open page's min/max (flush_page folds the
 * page into the chunk's). Floats ignore NaN; a zero min is -0.0 and a zero
 * max +0.0 (parquet.thrift ColumnOrder). */
static tarn_rc stats_update(struct wleaf *l, int64_t n)
{
	struct wstats *st = &l->pst;
	if (n == 0)
		return TARN_OK;
	switch (l->phys) {
	case PQ_BOOLEAN: {
		uint8_t mn = 1, mx = 0;
		for (int64_t k = 0; k < n; k++) {
			mn &= l->sbool[k];
			mx |= l->sbool[k];
		}
		if (!st->any) {
			st->min[0] = mn;
			st->max[0] = mx;
		} else {
			st->min[0] &= mn;
			st->max[0] |= mx;
		}
		st->any = true;
		return TARN_OK;
	}
	case PQ_INT32: {
		if (l->is_unsigned) {
			STATS_MINMAX(uint32_t, 0, UINT32_MAX, l->s32);
		} else {
			STATS_MINMAX(int32_t, INT32_MIN, INT32_MAX, l->s32);
		}
		st->any = true;
		return TARN_OK;
	}
	case PQ_INT64: {
		if (l->is_unsigned) {
			STATS_MINMAX(uint64_t, 0, UINT64_MAX, l->s64);
		} else {
			STATS_MINMAX(int64_t, INT64_MIN, INT64_MAX, l->s64);
		}
		st->any = true;
		return TARN_OK;
	}
	case PQ_FLOAT:
	case PQ_DOUBLE: {
		bool f32 = l->phys == PQ_FLOAT;
		double mn = INFINITY, mx = -INFINITY;
		bool seen = false;
		for (int64_t k = 0; k < n; k++) {
			double x;
			if (f32) {
				float f;
				memcpy(&f, &l->s32[k], 4);
				x = f;
			} else {
				memcpy(&x, &l->s64[k], 8);
			}
			if (isnan(x))
				continue;
			seen = true;
			if (x < mn || (x == 0 && mn == 0 && signbit(x)))
				mn = x;
			if (x > mx || (x == 0 && mx == 0 && !signbit(x)))
				mx = x;
		}
		if (!seen)
			return TARN_OK;
		if (st->any) {
			double omn, omx;
			if (f32) {
				float a, b;
				memcpy(&a, st->min, 4);
				memcpy(&b, st->max, 4);
				omn = a;
				omx = b;
			} else {
				memcpy(&omn, st->min, 8);
				memcpy(&omx, st->max, 8);
			}
			mn = omn < mn ? omn : mn;
			mx = omx > mx ? omx : mx;
		}
		if (mn == 0)
			mn = -0.0;
		if (mx == 0)
			mx = 0.0;
		if (f32) {
			float a = (float)mn, b = (float)mx;
			memcpy(st->min, &a, 4);
			memcpy(st->max, &b, 4);
		} else {
			memcpy(st->min, &mn, 8);
			memcpy(st->max, &mx, 8);
		}
		st->any = true;
		return TARN_OK;
	}
	case PQ_FLBA: {
		/* Big-endian two's complement decimals: compare with the sign
		 * bit flipped, then bytewise. */
		int w = l->type_length;
		for (int64_t k = 0; k < n; k++) {
			const uint8_t *x = l->sflba + k * w;
			uint8_t a[16], mnb[16], mxb[16];
			memcpy(a, x, (size_t)w);
			a[0] ^= 0x80;
			memcpy(mnb, st->min, (size_t)w);
			mnb[0] ^= 0x80;
			memcpy(mxb, st->max, (size_t)w);
			mxb[0] ^= 0x80;
			if (!st->any || memcmp(a, mnb, (size_t)w) < 0)
				memcpy(st->min, x, (size_t)w);
			if (!st->any || memcmp(a, mxb, (size_t)w) > 0)
				memcpy(st->max, x, (size_t)w);
			st->any = true;
		}
		return TARN_OK;
	}
	case PQ_BYTE_ARRAY: {
		const uint8_t *mnp = NULL, *mxp = NULL;
		size_t mnn = 0, mxn = 0;
		for (int64_t k = 0; k < n; k++) {
			if (!mnp || cmp_bytes(l->sbp[k], l->sbl[k], mnp, mnn) < 0) {
				mnp = l->sbp[k];
				mnn = l->sbl[k];
			}
			if (!mxp || cmp_bytes(l->sbp[k], l->sbl[k], mxp, mxn) > 0) {
				mxp = l->sbp[k];
				mxn = l->sbl[k];
			}
		}
		if (!st->any || cmp_bytes(mnp, mnn, (const uint8_t *)st->bmin.data, st->bmin.len) < 0) {
			st->bmin.len = 0;
			TRY(tarn_buf_append(&st->bmin, mnp, mnn));
		}
		if (!st->any || cmp_bytes(mxp, mxn, (const uint8_t *)st->bmax.data, st->bmax.len) > 0) {
			st->bmax.len = 0;
			TRY(tarn_buf_append(&st->bmax, mxp, mxn));
		}
		st->any = true;
		return TARN_OK;
	}
	}
	return TARN_OK;
}

/* Compares two physical values (of the stats' encoding) in the column's
 * sort order: -1, 0, 1. */
static int stat_cmp(const struct wleaf *l, const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
	switch (l->phys) {
	case PQ_BOOLEAN: return (a[0] > b[0]) - (a[0] < b[0]);
	case PQ_INT32:
		if (l->is_unsigned) {
			uint32_t x, y;
			memcpy(&x, a, 4), memcpy(&y, b, 4);
			return (x > y) - (x < y);
		} else {
			int32_t x, y;
			memcpy(&x, a, 4), memcpy(&y, b, 4);
			return (x > y) - (x < y);
		}
	case PQ_INT64:
		if (l->is_unsigned) {
			uint64_t x, y;
			memcpy(&x, a, 8), memcpy(&y, b, 8);
			return (x > y) - (x < y);
		} else {
			int64_t x, y;
			memcpy(&x, a, 8), memcpy(&y, b, 8);
			return (x > y) - (x < y);
		}
	case PQ_FLOAT:
	case PQ_DOUBLE: {
		double x, y;
		if (l->phys == PQ_FLOAT) {
			float f, g;
			memcpy(&f, a, 4), memcpy(&g, b, 4);
			x = f, y = g;
		} else {
			memcpy(&x, a, 8), memcpy(&y, b, 8);
		}
		if (x == y)
			return (int)!signbit(x) - (int)!signbit(y); /* -0.0 < +0.0 */
		return x < y ? -1 : 1;
	}
	case PQ_FLBA: {
		/* big-endian two's complement decimals: sign bit flipped */
		size_t w = (size_t)l->type_length;
		uint8_t x[16], y[16];
		memcpy(x, a, w), memcpy(y, b, w);
		x[0] ^= 0x80, y[0] ^= 0x80;
		int c = memcmp(x, y, w);
		return (c > 0) - (c < 0);
	}
	default: return cmp_bytes(a, an, b, bn);
	}
}

/* The stats' min and max as physical bytes (pointing into st). */
static void stats_bounds(const struct wleaf *l, const struct wstats *st, const uint8_t **mn,
			 size_t *mnn, const uint8_t **mx, size_t *mxn)
{
	*mn = st->min, *mx = st->max;
	switch (l->phys) {
	case PQ_BOOLEAN: *mnn = *mxn = 1; break;
	case PQ_INT32:
	case PQ_FLOAT: *mnn = *mxn = 4; break;
	case PQ_INT64:
	case PQ_DOUBLE: *mnn = *mxn = 8; break;
	case PQ_FLBA: *mnn = *mxn = (size_t)l->type_length; break;
	default:
		*mn = (const uint8_t *)st->bmin.data;
		*mnn = st->bmin.len;
		*mx = (const uint8_t *)st->bmax.data;
		*mxn = st->bmax.len;
		break;
	}
	if (!*mn)
		*mn = (const uint8_t *)"";
	if (!*mx)
		*mx = (const uint8_t *)"";
}

/* Folds the page's min/max into the chunk's. */
static tarn_rc stats_merge(struct wleaf *l)
{
	struct wstats *c = &l->st, *p = &l->pst;
	if (!p->any)
		return TARN_OK;
	const uint8_t *pmn, *pmx, *cmn, *cmx;
	size_t pmnn, pmxn, cmnn, cmxn;
	stats_bounds(l, p, &pmn, &pmnn, &pmx, &pmxn);
	stats_bounds(l, c, &cmn, &cmnn, &cmx, &cmxn);
	bool lo = !c->any || stat_cmp(l, pmn, pmnn, cmn, cmnn) < 0;
	bool hi = !c->any || stat_cmp(l, pmx, pmxn, cmx, cmxn) > 0;
	if (l->phys == PQ_BYTE_ARRAY) {
		if (lo) {
			c->bmin.len = 0;
			TRY(tarn_buf_append(&c->bmin, pmn, pmnn));
		}
		if (hi) {
			c->bmax.len = 0;
			TRY(tarn_buf_append(&c->bmax, pmx, pmxn));
		}
	} else {
		if (lo)
			memcpy(c->min, pmn, pmnn);
		if (hi)
			memcpy(c->max, pmx, pmxn);
	}
	c->any = true;
	return TARN_OK;
}

/* Strings longer than this are cut in statistics. */
#define STAT_MAX_BYTES 64

/* Cuts a long string min to a lower bound, at a UTF-8 character start. */
static size_t cut_min(const uint8_t *mn, size_t n)
{
	if (n <= STAT_MAX_BYTES)
		return n;
	n = STAT_MAX_BYTES;
	while (n > 0 && (mn[n] & 0xc0) == 0x80)
		n--;
	return n;
}

/* PLAIN-encodes n staged values onto the page. */
static tarn_rc plain_put(struct wleaf *l, int64_t n)
{
	struct tarn_buf *b = &l->plain;
	switch (l->phys) {
	case PQ_BOOLEAN:
		for (int64_t k = 0; k < n; k++) {
			if (l->pbit == 0)
				TRY(tarn_buf_putc(b, 0));
			if (l->sbool[k])
				b->data[b->len - 1] |= (char)(1u << l->pbit);
			l->pbit = (uint8_t)((l->pbit + 1) & 7);
		}
		return TARN_OK;
	case PQ_INT32:
	case PQ_FLOAT: return tarn_buf_append(b, l->s32, (size_t)n * 4);
	case PQ_INT64:
	case PQ_DOUBLE: return tarn_buf_append(b, l->s64, (size_t)n * 8);
	case PQ_FLBA: return tarn_buf_append(b, l->sflba, (size_t)(n * l->type_length));
	case PQ_BYTE_ARRAY: {
		size_t total = 0;
		for (int64_t k = 0; k < n; k++)
			total += 4 + l->sbl[k];
		TRY(tarn_buf_reserve(b, total));
		char *o = b->data + b->len;
		for (int64_t k = 0; k < n; k++) {
			uint32_t len = l->sbl[k];
			memcpy(o, &len, 4);
			memcpy(o + 4, l->sbp[k], len);
			o += 4 + len;
		}
		b->len += total;
		return TARN_OK;
	}
	}
	return TARN_OK;
}

static tarn_rc dict_put(struct wleaf *l, int64_t n)
{
	struct wdict *d = &l->dict;
	if (l->pnidx + n > l->pidx_cap) {
		int64_t cap = l->pidx_cap ? l->pidx_cap : 4096;
		while (cap < l->pnidx + n)
			cap *= 2;
		uint32_t *p = tarn_realloc(l->pidx, (size_t)cap * sizeof *p);
		if (!p)
			return TARN_ENOMEM;
		l->pidx = p;
		l->pidx_cap = cap;
	}
	uint32_t *out = l->pidx + l->pnidx;
	if (!d->slots)
		TRY(dict_grow(d));
	switch (l->phys) {
	case PQ_INT32:
	case PQ_FLOAT:
		for (int64_t k = 0; k < n; k++) {
			/* Probe inline; only a miss goes through dict_find. */
			uint32_t x = (uint32_t)l->s32[k];
			uint64_t h = mix64(x);
			uint64_t pos = h & d->mask;
			uint32_t e;
			while ((e = d->slots[pos]) != 0) {
				uint32_t y;
				memcpy(&y, d->vals.data + (size_t)(e - 1) * 4, 4);
				if (y == x)
					break;
				pos = (pos + 1) & d->mask;
			}
			if (e)
				out[k] = e - 1;
			else
				TRY(dict_find(d, (const uint8_t *)&x, 4, h, &out[k]));
		}
		break;
	case PQ_INT64:
	case PQ_DOUBLE:
		for (int64_t k = 0; k < n; k++) {
			uint64_t x = (uint64_t)l->s64[k];
			uint64_t h = mix64(x);
			uint64_t pos = h & d->mask;
			uint32_t e;
			while ((e = d->slots[pos]) != 0) {
				uint64_t y;
				memcpy(&y, d->vals.data + (size_t)(e - 1) * 8, 8);
				if (y == x)
					break;
				pos = (pos + 1) & d->mask;
			}
			if (e)
				out[k] = e - 1;
			else
				TRY(dict_find(d, (const uint8_t *)&x, 8, h, &out[k]));
		}
		break;
	case PQ_FLBA: {
		int w = l->type_length;
		for (int64_t k = 0; k < n; k++)
			TRY(dict_find(d, l->sflba + k * w, (size_t)w,
				      hash_bytes(l->sflba + k * w, (size_t)w), &out[k]));
		break;
	}
	case PQ_BYTE_ARRAY:
		for (int64_t k = 0; k < n; k++)
			TRY(dict_find(d, l->sbp[k], l->sbl[k], hash_bytes(l->sbp[k], l->sbl[k]),
				      &out[k]));
		break;
	}
	l->pnidx += n;
	return TARN_OK;
}

/* PLAIN encoding of dictionary entry e onto the page (re-encoding a page
 * whose dictionary is dropped). */
static tarn_rc plain_from_dict(struct wleaf *l, uint32_t e)
{
	struct wdict *d = &l->dict;
	if (d->width)
		return tarn_buf_append(&l->plain, d->vals.data + (size_t)e * (size_t)d->width,
				       (size_t)d->width);
	uint32_t len = (uint32_t)(d->offs[e + 1] - d->offs[e]);
	TRY(tarn_buf_append(&l->plain, &len, 4));
	return len ? tarn_buf_append(&l->plain, d->vals.data + d->offs[e], len) : TARN_OK;
}

/* ---- pages ------------------------------------------------------------------------ */

static tarn_rc put_levels(struct tarn_buf *out, const uint8_t *lv, int64_t n, int max,
			  bool prefix)
{
	size_t at = out->len;
	if (prefix)
		TRY(tarn_buf_append(out, "\0\0\0\0", 4));
	TRY(pq_rle_encode_u8(out, lv, n, pq_bit_width((uint64_t)max)));
	if (prefix) {
		uint32_t len = (uint32_t)(out->len - at - 4);
		memcpy(out->data + at, &len, 4);
	}
	return TARN_OK;
}

static tarn_rc put_page(struct wleaf *l, struct pq_page_header *h, const uint8_t *body,
			size_t len)
{
	h->has_crc = true;
	h->crc = (uint32_t)crc32(0L, body, (uInt)len);
	l->hdr.len = 0;
	struct thrift_out o;
	thrift_out_init(&o, &l->hdr);
	pq_page_header_encode(&o, h);
	TRY(o.rc);
	TRY(tarn_buf_append(&l->chunk, l->hdr.data, l->hdr.len));
	TRY(tarn_buf_append(&l->chunk, body, len));
	l->chunk_usize += (int64_t)l->hdr.len + h->uncompressed_size;
	return TARN_OK;
}

/* DELTA_BINARY_PACKED instead of PLAIN for integer pages whose values are
 * sorted (either way): keys, sequence numbers, timestamps of a log. */
static bool delta_pays(const struct wleaf *l)
{
	if (!l->w->delta || (l->phys != PQ_INT32 && l->phys != PQ_INT64))
		return false;
	int w = l->phys == PQ_INT32 ? 4 : 8;
	int64_t n = (int64_t)l->plain.len / w;
	if (n < 16)
		return false;
	const uint8_t *p = (const uint8_t *)l->plain.data;
	bool up = true, down = true;
	int64_t prev = 0;
	for (int64_t i = 0; i < n && (up || down); i++) {
		int64_t x;
		if (w == 4) {
			int32_t y;
			memcpy(&y, p + 4 * i, 4);
			x = y;
		} else {
			memcpy(&x, p + 8 * i, 8);
		}
		if (i) {
			up &= x >= prev;
			down &= x <= prev;
		}
		prev = x;
	}
	return up || down;
}

static tarn_rc put_delta(struct wleaf *l, struct tarn_buf *body)
{
	int w = l->phys == PQ_INT32 ? 4 : 8;
	int64_t n = (int64_t)l->plain.len / w;
	int64_t *v = tarn_malloc((size_t)(n ? n : 1) * sizeof *v);
	if (!v)
		return TARN_ENOMEM;
	const uint8_t *p = (const uint8_t *)l->plain.data;
	for (int64_t i = 0; i < n; i++) {
		if (w == 4) {
			int32_t y;
			memcpy(&y, p + 4 * i, 4);
			v[i] = y;
		} else {
			memcpy(&v[i], p + 8 * i, 8);
		}
	}
	tarn_rc rc = pq_delta_encode(body, v, n, w == 4);
	tarn_free(v);
	return rc;
}

/* Notes the page just put at chunk[at..] for the page index: location,
 * nulls, and bounds (a long string min cut, a long max cut and rounded up). */
static tarn_rc page_record(struct wleaf *l, size_t at, const uint8_t *mn, size_t mnn,
			   const uint8_t *mx, size_t mxn)
{
	if (l->n_pages == l->pages_cap) {
		int64_t cap = l->pages_cap ? l->pages_cap * 2 : 16;
		struct wpage *p = tarn_realloc(l->pages, (size_t)cap * sizeof *p);
		if (!p)
			return TARN_ENOMEM;
		l->pages = p;
		l->pages_cap = cap;
	}
	struct wpage *pg = &l->pages[l->n_pages++];
	memset(pg, 0, sizeof *pg);
	pg->off = (int64_t)at;
	pg->size = (int32_t)(l->chunk.len - at);
	pg->first_row = l->chunk_rows;
	pg->nulls = l->pnulls;
	pg->null_page = l->pn == l->pnulls;
	pg->mm = l->pmm.len;
	if (pg->null_page)
		return TARN_OK;
	if (!l->pst.any) {
		/* values, but all NaN: no bounds to give */
		l->ci_bad = true;
		return TARN_OK;
	}
	size_t mn_cut = cut_min(mn, mnn), mx_cut = mxn;
	TRY(tarn_buf_append(&l->pmm, mn, mn_cut));
	if (l->phys == PQ_BYTE_ARRAY && mxn > STAT_MAX_BYTES) {
		/* An upper bound: the first bytes with the last one that can
		 * be incremented incremented. */
		mx_cut = STAT_MAX_BYTES;
		while (mx_cut > 0 && mx[mx_cut - 1] == 0xff)
			mx_cut--;
		if (mx_cut == 0) {
			l->ci_bad = true;
			return TARN_OK;
		}
		TRY(tarn_buf_append(&l->pmm, mx, mx_cut));
		l->pmm.data[l->pmm.len - 1] = (char)(mx[mx_cut - 1] + 1);
	} else {
		TRY(tarn_buf_append(&l->pmm, mx, mx_cut));
	}
	pg->min_len = (uint32_t)mn_cut;
	pg->max_len = (uint32_t)mx_cut;
	return TARN_OK;
}

/* Writes the open page (if any entries) to the chunk. */
static tarn_rc flush_page(struct wleaf *l)
{
	struct pq_writer *w = l->w;
	if (l->pn == 0)
		return TARN_OK;
	bool dict = l->dict_on && l->phys != PQ_BOOLEAN;
	/* First page of the chunk: does the dictionary pay? Most values
	 * distinct means no. */
	if (dict && !l->dict_pages && l->dict.n > 1024 && l->dict.n * 4 > l->pnidx * 3) {
		l->plain.len = 0;
		for (int64_t k = 0; k < l->pnidx; k++)
			TRY(plain_from_dict(l, l->pidx[k]));
		l->pnidx = 0;
		l->dict_on = false;
		dict_reset(&l->dict);
		dict = false;
	}
	struct tarn_buf *body = &l->body;
	body->len = 0;
	struct pq_page_header h;
	memset(&h, 0, sizeof h);
	h.num_values = (int32_t)l->pn;
	h.encoding = dict ? PQ_ENC_RLE_DICTIONARY : PQ_ENC_PLAIN;
	bool v2 = w->page_version == 2;
	if (l->max_rep > 0)
		TRY(put_levels(body, l->prep, l->pn, l->max_rep, !v2));
	size_t rep_len = body->len;
	if (l->max_def > 0)
		TRY(put_levels(body, l->pdef, l->pn, l->max_def, !v2));
	size_t def_len = body->len - rep_len;
	size_t values_at = body->len;
	if (dict) {
		int bw = pq_bit_width(l->dict.n > 0 ? (uint64_t)(l->dict.n - 1) : 0);
		TRY(tarn_buf_putc(body, (char)bw));
		TRY(pq_rle_encode(body, l->pidx, l->pnidx, bw));
		l->dict_pages = true;
		l->encodings |= 1u << PQ_ENC_RLE_DICTIONARY;
	} else if (delta_pays(l)) {
		TRY(put_delta(l, body));
		l->encodings |= 1u << PQ_ENC_DELTA_BINARY_PACKED;
		h.encoding = PQ_ENC_DELTA_BINARY_PACKED;
	} else {
		TRY(tarn_buf_append(body, l->plain.data, l->plain.len));
		l->encodings |= 1u << PQ_ENC_PLAIN;
	}
	if (l->max_def > 0 || l->max_rep > 0)
		l->encodings |= 1u << PQ_ENC_RLE;
	h.uncompressed_size = (int32_t)body->len;
	l->comp.len = 0;
	if (!v2) {
		h.type = PQ_DATA_PAGE;
		h.def_encoding = PQ_ENC_RLE;
		h.rep_encoding = PQ_ENC_RLE;
		TRY(pq_compress(w->codec, w->level, (const uint8_t *)body->data, body->len, &l->comp));
	} else {
		h.type = PQ_DATA_PAGE_V2;
		h.num_nulls = (int32_t)l->pnulls;
		h.num_rows = (int32_t)l->prows;
		h.rep_len = (int32_t)rep_len;
		h.def_len = (int32_t)def_len;
		h.is_compressed = w->codec != PQ_UNCOMPRESSED;
		TRY(tarn_buf_append(&l->comp, body->data, values_at));
		TRY(pq_compress(w->codec, w->level, (const uint8_t *)body->data + values_at,
				body->len - values_at, &l->comp));
	}
	if (body->len > INT32_MAX || l->comp.len > INT32_MAX)
		return leaf_fail(l, TARN_ELIMIT, "page larger than 2 GiB");
	h.compressed_size = (int32_t)l->comp.len;
	const uint8_t *mn = NULL, *mx = NULL;
	size_t mnn = 0, mxn = 0;
	if (l->pst.any)
		stats_bounds(l, &l->pst, &mn, &mnn, &mx, &mxn);
	if (w->stats) {
		/* Page statistics: as for the chunk, a long string max is left out. */
		h.has_stats = true;
		h.stats.null_count = l->pnulls;
		h.stats.distinct_count = h.stats.nan_count = -1;
		h.stats.min_exact = h.stats.max_exact = -1;
		if (l->pst.any) {
			h.stats.min = mn;
			h.stats.min_len = cut_min(mn, mnn);
			h.stats.has_min = true;
			h.stats.min_exact = h.stats.min_len == mnn;
			if (l->phys != PQ_BYTE_ARRAY || mxn <= STAT_MAX_BYTES) {
				h.stats.max = mx;
				h.stats.max_len = mxn;
				h.stats.has_max = true;
				h.stats.max_exact = 1;
			}
		}
	}
	size_t page_at = l->chunk.len;
	TRY(put_page(l, &h, (const uint8_t *)l->comp.data, l->comp.len));
	if (w->page_index)
		TRY(page_record(l, page_at, mn, mnn, mx, mxn));
	TRY(stats_merge(l));
	l->pst.any = false;
	l->pst.bmin.len = l->pst.bmax.len = 0;
	l->chunk_values += l->pn;
	l->chunk_rows += l->prows;
	l->pn = l->prows = l->pnulls = 0;
	l->plain.len = 0;
	l->pbit = 0;
	l->pnidx = 0;
	return TARN_OK;
}

static tarn_rc page_levels_reserve(struct wleaf *l, int64_t more)
{
	return grow_level_pair(&l->pdef, &l->prep, &l->pcap, l->pn + more, 4096);
}

static size_t page_bytes(const struct wleaf *l)
{
	return l->plain.len + (size_t)l->pnidx * 2 + (size_t)l->pn / 4;
}

/* Hashes n staged values (PLAIN form) for the chunk's Bloom filter. */
static tarn_rc bloom_hash(struct wleaf *l, int64_t n)
{
	if (l->bh_n + n > l->bh_cap) {
		int64_t cap = l->bh_cap ? l->bh_cap : 4096;
		while (cap < l->bh_n + n)
			cap *= 2;
		uint64_t *h = tarn_realloc(l->bh, (size_t)cap * sizeof *h);
		if (!h)
			return TARN_ENOMEM;
		l->bh = h;
		l->bh_cap = cap;
	}
	uint64_t *h = l->bh + l->bh_n;
	switch (l->phys) {
	case PQ_INT32:
	case PQ_FLOAT:
		for (int64_t k = 0; k < n; k++)
			h[k] = pq_xxh64(&l->s32[k], 4, 0);
		break;
	case PQ_INT64:
	case PQ_DOUBLE:
		for (int64_t k = 0; k < n; k++)
			h[k] = pq_xxh64(&l->s64[k], 8, 0);
		break;
	case PQ_FLBA:
		for (int64_t k = 0; k < n; k++)
			h[k] = pq_xxh64(l->sflba + k * l->type_length, (size_t)l->type_length, 0);
		break;
	case PQ_BYTE_ARRAY:
		for (int64_t k = 0; k < n; k++)
			h[k] = pq_xxh64(l->sbp[k], l->sbl[k], 0);
		break;
	default: return TARN_OK;
	}
	l->bh_n += n;
	return TARN_OK;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

/* Encodes n values (positions idx, or rows from.. when idx is NULL) onto
 * the open page: stage, stats, dictionary or PLAIN. */
static tarn_rc put_values(struct wleaf *l, const struct tarn_array *a, const int64_t *idx,
			  int64_t from, int64_t n)
{
	struct pq_writer *w = l->w;
	for (int64_t k = 0; k < n;) {
		int64_t m = n - k < PQ_CHUNK ? n - k : PQ_CHUNK;
		if (l->conv == W_NULL)
			return TARN_OK;
		TRY(stage(l, a, idx ? idx + k : NULL, from + k, m));
		if (w->stats)
			TRY(stats_update(l, m));
		if (l->bloom)
			TRY(bloom_hash(l, m));
		if (l->dict_on) {
			TRY(dict_put(l, m));
			if (l->dict.plain_size > (size_t)w->dict_size) {
				/* Dictionary too large: pages so far keep it (or, if
				 * none was written yet, this page goes PLAIN), the
				 * rest of the chunk is PLAIN. */
				/* The open page goes PLAIN rather than being cut
				 * here, which may be inside a row. */
				l->plain.len = 0;
				for (int64_t j = 0; j < l->pnidx; j++)
					TRY(plain_from_dict(l, l->pidx[j]));
				l->pnidx = 0;
				if (!l->dict_pages)
					dict_reset(&l->dict);
				l->dict_on = false;
			}
		} else {
			TRY(plain_put(l, m));
		}
		k += m;
	}
	return TARN_OK;
}

/* Appends the batch's entries [e0, e1) (levels in bdef/brep, values
 * bidx[v0..]) to pages, cutting pages at row starts once full. */
static tarn_rc append_entries(struct wleaf *l, const struct tarn_array *a, int64_t e0, int64_t e1,
			      int64_t *v)
{
	struct pq_writer *w = l->w;
	const int md = l->max_def;
	while (e0 < e1) {
		/* A step: up to PQ_CHUNK entries, ending at a row start. */
		int64_t e = e0 + PQ_CHUNK < e1 ? e0 + PQ_CHUNK : e1;
		if (l->max_rep > 0 && e < e1)
			while (e > e0 + 1 && l->brep[e] != 0)
				e--;
		if (l->max_rep > 0 && e < e1 && l->brep[e] != 0) {
			/* one huge row: take it whole */
			e = e0 + 1;
			while (e < e1 && l->brep[e] != 0)
				e++;
		}
		int64_t k = e - e0;
		TRY(page_levels_reserve(l, k));
		int64_t nv = 0, rows = 0;
		if (md > 0) {
			memcpy(l->pdef + l->pn, l->bdef + e0, (size_t)k);
			for (int64_t i = e0; i < e; i++)
				nv += l->bdef[i] == md;
		} else {
			nv = k;
		}
		if (l->max_rep > 0) {
			memcpy(l->prep + l->pn, l->brep + e0, (size_t)k);
			for (int64_t i = e0; i < e; i++)
				rows += l->brep[i] == 0;
		} else {
			rows = k;
		}
		l->pn += k;
		l->prows += rows;
		l->pnulls += k - nv;
		TRY(put_values(l, a, l->bidx ? l->bidx + *v : NULL, *v, nv));
		*v += nv;
		e0 = e;
		if (page_bytes(l) >= (size_t)w->page_size)
			TRY(flush_page(l));
	}
	return TARN_OK;
}

/* Encodes rows [r0, r1) of the batch column. */
static tarn_rc leaf_write(struct wleaf *l)
{
	const struct tarn_batch *bt = l->batch;
	const struct tarn_array *col = bt->cols[l->field];
	const int64_t r0 = l->r0, rows = l->r1 - l->r0;
	l->bn = 0;
	l->bnv = 0;
	int64_t v = 0;
	if (l->n_steps == 1) {
		/* A top-level leaf: levels from the validity bitmap. */
		const struct tarn_array *a = col;
		if (l->max_def == 0 && a->null_count > 0)
			return leaf_fail(l, TARN_EDATA, "the column is declared not null but has nulls");
		if (l->conv == W_NULL || l->max_def == 0 || a->null_count == 0) {
			TRY(grow_levels(l, rows));
			if (l->max_def > 0)
				memset(l->bdef, l->conv == W_NULL ? 0 : l->max_def, (size_t)rows);
			l->bn = rows;
			int64_t save_cap = l->bidx_cap;
			int64_t *save = l->bidx;
			l->bidx = NULL; /* values are the rows r0.. */
			l->st.nulls += l->conv == W_NULL ? rows : 0;
			v = r0;
			tarn_rc rc = append_entries(l, a, 0, rows, &v);
			l->bidx = save;
			l->bidx_cap = save_cap;
			return rc;
		}
		TRY(grow_levels(l, rows));
		TRY(grow_idx(l, rows));
		for (int64_t i = 0; i < rows; i++) {
			bool ok = !tarn_array_is_null(a, r0 + i);
			l->bdef[i] = (uint8_t)ok;
			if (ok)
				l->bidx[l->bnv++] = r0 + i;
		}
		l->bn = rows;
		l->st.nulls += rows - l->bnv;
		return append_entries(l, a, 0, rows, &v);
	}
	for (int64_t i = r0; i < r0 + rows; i++)
		TRY(shred(l, 0, col, i, 0, 0));
	const struct tarn_array *leaf = leaf_array(l, col);
	l->st.nulls += l->bn - l->bnv;
	return append_entries(l, leaf, 0, l->bn, &v);
}

static void leaf_task(void *arg)
{
	struct wleaf *l = arg;
	tarn_rc rc = l->finishing ? flush_page(l) : leaf_write(l);
	if (rc && !l->err.rc)
		leaf_fail(l, rc, rc == TARN_ENOMEM ? "out of memory" : "cannot encode the values");
	l->rc = rc;
}

/* ---- row groups and the footer ----------------------------------------------------- */

static tarn_rc out_write(struct pq_writer *w, const void *p, size_t n, struct tarn_err *err)
{
	TRY(tarn_output_write(w->base.out, p, n, err));
	w->offset += (int64_t)n;
	return TARN_OK;
}

static void stats_fill(struct wleaf *l, struct pq_stats *s, struct tarn_arena *arena)
{
	memset(s, 0, sizeof *s);
	s->null_count = l->st.nulls;
	s->distinct_count = -1;
	s->nan_count = -1;
	s->min_exact = s->max_exact = -1;
	if (!l->st.any)
		return;
	const uint8_t *mn, *mx;
	size_t mnn, mxn;
	stats_bounds(l, &l->st, &mn, &mnn, &mx, &mxn);
	/* Long strings: a truncated min is still a lower bound (cut at a UTF-8
	 * character start); a max would need rounding up, so it is left out. */
	bool long_min = l->phys == PQ_BYTE_ARRAY && mnn > STAT_MAX_BYTES;
	bool long_max = l->phys == PQ_BYTE_ARRAY && mxn > STAT_MAX_BYTES;
	mnn = cut_min(mn, mnn);
	uint8_t *a = tarn_arena_alloc(arena, mnn + mxn + 2);
	if (!a)
		return;
	memcpy(a, mn ? mn : (const uint8_t *)"", mnn);
	memcpy(a + mnn + 1, mx ? mx : (const uint8_t *)"", mxn);
	s->min = a;
	s->min_len = mnn;
	s->has_min = true;
	s->min_exact = long_min ? 0 : 1;
	if (!long_max) {
		s->max = a + mnn + 1;
		s->max_len = mxn;
		s->has_max = true;
		s->max_exact = 1;
	}
}

/* Writes the chunk's Bloom filter (header + bitset), sized for its distinct
 * values (or bloom-ndv) at bloom-fpp. */
static tarn_rc bloom_write(struct pq_writer *w, struct wleaf *l, struct pq_column_meta *m,
			   struct tarn_err *err)
{
	int64_t nd = 0;
	if (l->bh_n > 0) {
		qsort(l->bh, (size_t)l->bh_n, sizeof *l->bh, cmp_u64);
		for (int64_t i = 0; i < l->bh_n; i++)
			if (i == 0 || l->bh[i] != l->bh[nd - 1])
				l->bh[nd++] = l->bh[i];
	}
	size_t n = pq_bloom_size(w->bloom_ndv > 0 ? w->bloom_ndv : nd, w->bloom_fpp);
	uint8_t *bits = tarn_calloc(1, n);
	if (!bits)
		return tarn_err_nomem(err, "Parquet Bloom filter");
	for (int64_t i = 0; i < nd; i++)
		pq_bloom_insert(bits, n, l->bh[i]);
	l->hdr.len = 0;
	struct thrift_out o;
	thrift_out_init(&o, &l->hdr);
	pq_bloom_header_encode(&o, n);
	tarn_rc rc = o.rc ? tarn_err_nomem(err, "Parquet Bloom filter") : TARN_OK;
	m->bloom_filter_offset = w->offset;
	m->bloom_filter_length = (int32_t)(l->hdr.len + n);
	if (rc == TARN_OK)
		rc = out_write(w, l->hdr.data, l->hdr.len, err);
	if (rc == TARN_OK)
		rc = out_write(w, bits, n, err);
	tarn_free(bits);
	l->bh_n = 0;
	return rc;
}

/* Encodes the chunk's OffsetIndex (and ColumnIndex, when every page has
 * bounds) into w->oi / w->ci; cc gets offsets relative to those buffers,
 * made absolute by writer_finish. */
static tarn_rc index_chunk(struct pq_writer *w, struct wleaf *l, struct pq_column_chunk *cc,
			   struct tarn_err *err)
{
	int64_t n = l->n_pages;
	if (n == 0 || n > INT32_MAX)
		return TARN_OK;
	struct pq_page_loc *locs = tarn_malloc((size_t)n * sizeof *locs);
	bool *nullp = tarn_malloc((size_t)n * sizeof *nullp);
	const uint8_t **mins = tarn_malloc((size_t)n * sizeof *mins);
	const uint8_t **maxs = tarn_malloc((size_t)n * sizeof *maxs);
	size_t *minl = tarn_malloc((size_t)n * sizeof *minl);
	size_t *maxl = tarn_malloc((size_t)n * sizeof *maxl);
	int64_t *nulls = tarn_malloc((size_t)n * sizeof *nulls);
	tarn_rc rc = TARN_OK;
	if (!locs || !nullp || !mins || !maxs || !minl || !maxl || !nulls) {
		rc = tarn_err_nomem(err, "Parquet page index");
		goto out;
	}
	/* (no bytes at all when every page is a null page) */
	const uint8_t *mm = l->pmm.data ? (const uint8_t *)l->pmm.data : (const uint8_t *)"";
	for (int64_t i = 0; i < n; i++) {
		const struct wpage *pg = &l->pages[i];
		locs[i].offset = pg->off + l->chunk_at;
		locs[i].size = pg->size;
		locs[i].first_row = pg->first_row;
		nullp[i] = pg->null_page;
		mins[i] = mm + pg->mm;
		minl[i] = pg->min_len;
		maxs[i] = mm + pg->mm + pg->min_len;
		maxl[i] = pg->max_len;
		nulls[i] = pg->nulls;
	}
	struct pq_offset_index oi = { .n = (int)n, .locs = locs };
	struct thrift_out o;
	size_t at = w->oi.len;
	thrift_out_init(&o, &w->oi);
	pq_offset_index_encode(&o, &oi);
	if (o.rc) {
		rc = tarn_err_nomem(err, "Parquet page index");
		goto out;
	}
	cc->offset_index_offset = (int64_t)at;
	cc->offset_index_length = (int32_t)(w->oi.len - at);
	if (!w->stats || l->ci_bad || l->conv == W_NULL)
		goto out;
	/* Boundary order from consecutive non-null pages. */
	bool asc = true, desc = true;
	int64_t prev = -1;
	for (int64_t i = 0; i < n; i++) {
		if (nullp[i])
			continue;
		if (prev >= 0) {
			int a = stat_cmp(l, mins[prev], minl[prev], mins[i], minl[i]);
			int b = stat_cmp(l, maxs[prev], maxl[prev], maxs[i], maxl[i]);
			asc &= a <= 0 && b <= 0;
			desc &= a >= 0 && b >= 0;
		}
		prev = i;
	}
	struct pq_column_index ci = {
		.n = (int)n, .null_pages = nullp, .min = mins, .max = maxs, .min_len = minl,
		.max_len = maxl, .boundary = asc ? PQ_ASCENDING : desc ? PQ_DESCENDING : PQ_UNORDERED,
		.null_counts = nulls,
	};
	at = w->ci.len;
	thrift_out_init(&o, &w->ci);
	pq_column_index_encode(&o, &ci);
	if (o.rc) {
		rc = tarn_err_nomem(err, "Parquet page index");
		goto out;
	}
	cc->column_index_offset = (int64_t)at;
	cc->column_index_length = (int32_t)(w->ci.len - at);
out:
	tarn_free(locs);
	tarn_free(nullp);
	tarn_free(mins);
	tarn_free(maxs);
	tarn_free(minl);
	tarn_free(maxl);
	tarn_free(nulls);
	return rc;
}

/* Writes the buffered row group: each chunk (dictionary page first), and
 * keeps the metadata for the footer. */
static tarn_rc flush_row_group(struct pq_writer *w, struct tarn_err *err)
{
	if (w->rg_rows == 0)
		return TARN_OK;
	/* Close the open pages, in parallel. */
	for (int i = 0; i < w->n_leaves; i++) {
		struct wleaf *l = &w->leaves[i];
		l->finishing = true;
		l->rc = TARN_OK;
		l->task.fn = leaf_task;
		l->task.arg = l;
		tarn_pool_submit(&l->task);
	}
	tarn_rc rc = TARN_OK;
	for (int i = 0; i < w->n_leaves; i++) {
		tarn_task_wait(&w->leaves[i].task);
		w->leaves[i].finishing = false;
		if (w->leaves[i].rc && !rc)
			rc = tarn_err_set(err, w->leaves[i].err.rc ? w->leaves[i].err.rc : w->leaves[i].rc,
					  "%s", w->leaves[i].err.msg);
	}
	if (rc)
		return rc;
	struct tarn_arena *arena = &w->meta.arena;
	if (w->meta.n_row_groups == w->rg_cap) {
		int cap = w->rg_cap ? w->rg_cap * 2 : 8;
		struct pq_row_group *g = tarn_realloc(w->meta.row_groups, (size_t)cap * sizeof *g);
		if (!g)
			return tarn_err_nomem(err, "Parquet writer");
		w->meta.row_groups = g;
		w->rg_cap = cap;
	}
	struct pq_row_group *g = &w->meta.row_groups[w->meta.n_row_groups];
	memset(g, 0, sizeof *g);
	g->columns = tarn_arena_alloc(arena, (size_t)(w->n_leaves ? w->n_leaves : 1) * sizeof *g->columns);
	if (!g->columns)
		return tarn_err_nomem(err, "Parquet writer");
	g->n_columns = w->n_leaves;
	g->num_rows = w->rg_rows;
	g->file_offset = w->offset;
	g->ordinal = w->meta.n_row_groups < INT16_MAX ? w->meta.n_row_groups : -1;
	int64_t rg_start = w->offset, total = 0;
	for (int i = 0; i < w->n_leaves; i++) {
		struct wleaf *l = &w->leaves[i];
		struct pq_column_chunk *cc = &g->columns[i];
		memset(cc, 0, sizeof *cc);
		cc->has_meta = true;
		cc->offset_index_offset = -1;
		cc->column_index_offset = -1;
		struct pq_column_meta *m = &cc->meta;
		m->type = l->phys;
		m->codec = w->codec;
		m->n_path = l->n_path;
		m->path = l->path;
		m->index_page_offset = -1;
		m->dictionary_page_offset = -1;
		m->bloom_filter_offset = -1;
		m->bloom_filter_length = -1;
		int64_t start = w->offset;
		if (l->dict_pages) {
			/* The dictionary page, PLAIN, before the data pages. */
			struct wdict *d = &l->dict;
			l->body.len = 0;
			if (d->width) {
				if (d->vals.len)
					TRY(tarn_buf_append(&l->body, d->vals.data, d->vals.len));
			} else {
				for (int64_t e = 0; e < d->n; e++) {
					uint32_t len = (uint32_t)(d->offs[e + 1] - d->offs[e]);
					TRY(tarn_buf_append(&l->body, &len, 4));
					if (len)
						TRY(tarn_buf_append(&l->body, d->vals.data + d->offs[e],
								    len));
				}
			}
			l->comp.len = 0;
			TRY(pq_compress(w->codec, w->level, (const uint8_t *)l->body.data, l->body.len,
					&l->comp));
			if (l->body.len > INT32_MAX || l->comp.len > INT32_MAX)
				return tarn_err_set(err, TARN_ELIMIT,
						    "column '%s': dictionary page larger than 2 GiB",
						    l->path[l->n_path - 1]);
			struct pq_page_header h;
			memset(&h, 0, sizeof h);
			h.type = PQ_DICTIONARY_PAGE;
			h.uncompressed_size = (int32_t)l->body.len;
			h.compressed_size = (int32_t)l->comp.len;
			h.dict_num_values = (int32_t)d->n;
			h.dict_encoding = PQ_ENC_PLAIN;
			h.has_crc = true;
			h.crc = (uint32_t)crc32(0L, (const Bytef *)l->comp.data, (uInt)l->comp.len);
			l->hdr.len = 0;
			struct thrift_out o;
			thrift_out_init(&o, &l->hdr);
			pq_page_header_encode(&o, &h);
			if (o.rc)
				return tarn_err_nomem(err, "Parquet writer");
			m->dictionary_page_offset = w->offset;
			TRY(out_write(w, l->hdr.data, l->hdr.len, err));
			TRY(out_write(w, l->comp.data, l->comp.len, err));
			l->chunk_usize += (int64_t)l->hdr.len + (int64_t)l->body.len;
			l->encodings |= 1u << PQ_ENC_PLAIN;
		}
		m->data_page_offset = w->offset;
		l->chunk_at = w->offset;
		TRY(out_write(w, l->chunk.data, l->chunk.len, err));
		if (w->page_index)
			TRY(index_chunk(w, l, cc, err));
		m->total_compressed_size = w->offset - start;
		m->total_uncompressed_size = l->chunk_usize;
		m->num_values = l->chunk_values;
		total += l->chunk_usize;
		int ne = __builtin_popcount(l->encodings);
		m->encodings = tarn_arena_alloc(arena, (size_t)(ne ? ne : 1) * sizeof *m->encodings);
		if (!m->encodings)
			return tarn_err_nomem(err, "Parquet writer");
		for (int e = 0; e < 32; e++)
			if (l->encodings & (1u << e))
				m->encodings[m->n_encodings++] = e;
		if (w->stats) {
			m->has_stats = true;
			stats_fill(l, &m->stats, arena);
		}
		cc->file_offset = m->data_page_offset;
		/* reset for the next row group */
		l->chunk.len = 0;
		l->chunk_values = 0;
		l->chunk_usize = 0;
		l->chunk_rows = 0;
		l->n_pages = 0;
		l->pmm.len = 0;
		l->ci_bad = false;
		l->encodings = 0;
		l->dict_pages = false;
		l->dict_on = w->use_dict && l->phys != PQ_BOOLEAN && l->conv != W_NULL;
		dict_reset(&l->dict);
		l->st.any = false;
		l->st.nulls = 0;
		l->st.bmin.len = l->st.bmax.len = 0;
	}
	g->total_byte_size = total;
	g->total_compressed_size = w->offset - rg_start;
	/* Bloom filters after the row group's chunks. */
	for (int i = 0; i < w->n_leaves; i++)
		if (w->leaves[i].bloom)
			TRY(bloom_write(w, &w->leaves[i], &g->columns[i].meta, err));
	w->meta.n_row_groups++;
	w->total_rows += w->rg_rows;
	w->rg_rows = 0;
	return TARN_OK;
}

static size_t buffered_bytes(const struct pq_writer *w)
{
	size_t n = 0;
	for (int i = 0; i < w->n_leaves; i++) {
		const struct wleaf *l = &w->leaves[i];
		n += l->chunk.len + page_bytes(l) + l->dict.plain_size;
	}
	return n;
}

/* Encodes rows [r0, r1) of the batch, one pool task per leaf. */
static tarn_rc encode_rows(struct pq_writer *w, const struct tarn_batch *b, int64_t r0, int64_t r1,
			   struct tarn_err *err)
{
	for (int i = 0; i < w->n_leaves; i++) {
		struct wleaf *l = &w->leaves[i];
		l->batch = b;
		l->r0 = r0;
		l->r1 = r1;
		l->rc = TARN_OK;
		tarn_err_clear(&l->err);
		l->task.fn = leaf_task;
		l->task.arg = l;
		tarn_pool_submit(&l->task);
	}
	tarn_rc rc = TARN_OK;
	for (int i = 0; i < w->n_leaves; i++) {
		struct wleaf *l = &w->leaves[i];
		tarn_task_wait(&l->task);
		l->batch = NULL;
		if (l->rc && !rc)
			rc = tarn_err_set(err, l->err.rc ? l->err.rc : l->rc, "%s", l->err.msg);
	}
	return rc;
}

static tarn_rc writer_write(struct tarn_writer *base, const struct tarn_batch *b,
			    struct tarn_err *err)
{
	struct pq_writer *w = (struct pq_writer *)base;
	if (!w->started) {
		TRY(out_write(w, "PAR1", 4, err));
		w->started = true;
	}
	if (b->n_rows == 0)
		return TARN_OK;
	/* The batch goes in slices sized so the row group ends near
	 * row-group-size: rows per slice from the bytes per row seen so far
	 * (a first probe of 4096 rows when nothing is known yet). */
	int64_t r = 0;
	while (r < b->n_rows) {
		int64_t k = b->n_rows - r;
		size_t buf = buffered_bytes(w);
		if (w->bytes_per_row > 0) {
			int64_t room = w->rg_size > (int64_t)buf ? w->rg_size - (int64_t)buf : 0;
			int64_t fit = room / w->bytes_per_row + 1;
			if (fit < k)
				k = fit;
		} else if (k > 4096) {
			k = 4096;
		}
		if (w->rg_rows + k > INT32_MAX)
			k = INT32_MAX - w->rg_rows;
		TRY(encode_rows(w, b, r, r + k, err));
		r += k;
		w->rg_rows += k;
		buf = buffered_bytes(w);
		w->bytes_per_row = (int64_t)(buf / (size_t)w->rg_rows) + 1;
		if (buf >= (size_t)w->rg_size || w->rg_rows >= INT32_MAX)
			TRY(flush_row_group(w, err));
	}
	return TARN_OK;
}

static tarn_rc writer_finish(struct tarn_writer *base, struct tarn_err *err)
{
	struct pq_writer *w = (struct pq_writer *)base;
	if (!w->started) {
		TRY(out_write(w, "PAR1", 4, err));
		w->started = true;
	}
	TRY(flush_row_group(w, err));
	if (w->page_index) {
		/* The page index: every ColumnIndex, then every OffsetIndex. */
		int64_t ci_at = w->offset;
		if (w->ci.len)
			TRY(out_write(w, w->ci.data, w->ci.len, err));
		int64_t oi_at = w->offset;
		if (w->oi.len)
			TRY(out_write(w, w->oi.data, w->oi.len, err));
		for (int g = 0; g < w->meta.n_row_groups; g++) {
			struct pq_row_group *rg = &w->meta.row_groups[g];
			for (int c = 0; c < rg->n_columns; c++) {
				struct pq_column_chunk *cc = &rg->columns[c];
				if (cc->column_index_offset >= 0)
					cc->column_index_offset += ci_at;
				if (cc->offset_index_offset >= 0)
					cc->offset_index_offset += oi_at;
			}
		}
	}
	w->meta.version = 1;
	w->meta.num_rows = w->total_rows;
	w->meta.created_by = "tarn version " TARN_VERSION;
	w->meta.n_column_orders = w->n_leaves;
	w->meta.column_orders =
		tarn_arena_alloc(&w->meta.arena, (size_t)(w->n_leaves ? w->n_leaves : 1) * sizeof(int32_t));
	if (!w->meta.column_orders)
		return tarn_err_nomem(err, "Parquet writer");
	for (int i = 0; i < w->n_leaves; i++)
		w->meta.column_orders[i] = 1; /* TYPE_ORDER */
	struct tarn_buf f;
	tarn_buf_init(&f);
	f.limit = (size_t)1 << 40;
	struct thrift_out o;
	thrift_out_init(&o, &f);
	pq_file_meta_encode(&o, &w->meta);
	tarn_rc rc = o.rc ? tarn_err_nomem(err, "Parquet footer") : TARN_OK;
	if (rc == TARN_OK && f.len > UINT32_MAX)
		rc = tarn_err_set(err, TARN_ELIMIT, "Parquet footer larger than 4 GiB");
	if (rc == TARN_OK)
		rc = out_write(w, f.data, f.len, err);
	if (rc == TARN_OK) {
		uint8_t tail[8];
		uint32_t n = (uint32_t)f.len;
		memcpy(tail, &n, 4);
		memcpy(tail + 4, "PAR1", 4);
		rc = out_write(w, tail, 8, err);
	}
	tarn_buf_free(&f);
	return rc;
}

static void writer_close(struct tarn_writer *base)
{
	struct pq_writer *w = (struct pq_writer *)base;
	for (int i = 0; i < w->n_leaves; i++) {
		struct wleaf *l = &w->leaves[i];
		tarn_free(l->bdef);
		tarn_free(l->brep);
		tarn_free(l->bidx);
		tarn_free(l->pdef);
		tarn_free(l->prep);
		tarn_free(l->pidx);
		tarn_buf_free(&l->plain);
		tarn_buf_free(&l->chunk);
		tarn_buf_free(&l->body);
		tarn_buf_free(&l->comp);
		tarn_buf_free(&l->hdr);
		tarn_buf_free(&l->st.bmin);
		tarn_buf_free(&l->st.bmax);
		tarn_buf_free(&l->pst.bmin);
		tarn_buf_free(&l->pst.bmax);
		tarn_buf_free(&l->pmm);
		tarn_free(l->pages);
		tarn_free(l->bh);
		dict_free(&l->dict);
	}
	tarn_free(w->leaves);
	tarn_buf_free(&w->ci);
	tarn_buf_free(&w->oi);
	tarn_free(w->meta.row_groups);
	tarn_arena_free(&w->meta.arena);
	tarn_free(w);
}

static const struct tarn_writer_ops writer_ops = { writer_write, writer_finish, writer_close };

/* ---- options and open ------------------------------------------------------------- */


static tarn_rc parse_opts(struct pq_writer *w, const struct tarn_opts *o, struct tarn_err *err)
{
	const char *c = tarn_opts_get(o, "compression");
	w->codec = PQ_SNAPPY;
	if (c) {
		static const struct {
			const char *name;
			int codec;
		} m[] = { { "snappy", PQ_SNAPPY }, { "zstd", PQ_ZSTD },     { "gzip", PQ_GZIP },
			  { "lz4", PQ_LZ4_RAW },   { "lz4_raw", PQ_LZ4_RAW }, { "brotli", PQ_BROTLI },
			  { "none", PQ_UNCOMPRESSED }, { "uncompressed", PQ_UNCOMPRESSED } };
		w->codec = -1;
		for (size_t i = 0; i < sizeof m / sizeof m[0]; i++)
			if (strcmp(c, m[i].name) == 0)
				w->codec = m[i].codec;
		if (w->codec < 0)
			return tarn_err_set(err, TARN_EUSAGE,
					    "option compression: '%s' is not one of snappy, zstd, "
					    "gzip, lz4, brotli, none",
					    c);
	}
	int64_t level;
	TRY(tarn_opts_int(o, "compression-level", 0, &level, err));
	int lo = 0, hi = 0;
	switch (w->codec) {
	case PQ_ZSTD: lo = 1, hi = 22; break;
	case PQ_GZIP: lo = 1, hi = 9; break;
	case PQ_BROTLI: lo = 0, hi = 11; break;
	default: break;
	}
	if (tarn_opts_get(o, "compression-level") && (hi == 0 || level < lo || level > hi))
		return tarn_err_set(err, TARN_EUSAGE,
				    hi ? "option compression-level: must be %d..%d for this codec"
				       : "option compression-level: the codec has no levels",
				    lo, hi);
	w->level = (int)level;
	TRY(tarn_opts_size(o, "row-group-size", 128LL << 20, 1024, (int64_t)1 << 50, &w->rg_size, err));
	TRY(tarn_opts_size(o, "page-size", 1 << 20, 64, (int64_t)1 << 50, &w->page_size, err));
	TRY(tarn_opts_size(o, "dictionary-size", 1 << 20, 64, (int64_t)1 << 50, &w->dict_size, err));
	TRY(tarn_opts_bool(o, "dictionary", true, &w->use_dict, err));
	TRY(tarn_opts_bool(o, "statistics", true, &w->stats, err));
	int64_t pv;
	TRY(tarn_opts_int(o, "page-version", 1, &pv, err));
	if (pv != 1 && pv != 2)
		return tarn_err_set(err, TARN_EUSAGE, "option page-version: must be 1 or 2");
	w->page_version = (int)pv;
	TRY(tarn_opts_bool(o, "delta", true, &w->delta, err));
	TRY(tarn_opts_bool(o, "page-index", true, &w->page_index, err));
	const char *fpp = tarn_opts_get(o, "bloom-fpp");
	w->bloom_fpp = 0.01;
	if (fpp) {
		char *end;
		w->bloom_fpp = strtod(fpp, &end);
		if (end == fpp || *end || !(w->bloom_fpp > 0 && w->bloom_fpp < 1))
			return tarn_err_set(err, TARN_EUSAGE,
					    "option bloom-fpp: '%s' is not a probability in (0, 1)", fpp);
	}
	TRY(tarn_opts_int(o, "bloom-ndv", 0, &w->bloom_ndv, err));
	if (w->bloom_ndv < 0)
		return tarn_err_set(err, TARN_EUSAGE, "option bloom-ndv: must be positive");
	return TARN_OK;
}

/* bloom-columns=a,b.c: leaves by dotted path, or every leaf under a
 * top-level column of that name. */
static tarn_rc bloom_columns(struct pq_writer *w, const char *list, struct tarn_err *err)
{
	if (!list || !*list)
		return TARN_OK;
	for (const char *p = list; *p;) {
		size_t k = strcspn(p, ",");
		bool found = false;
		for (int i = 0; i < w->n_leaves; i++) {
			struct wleaf *l = &w->leaves[i];
			char path[1024];
			size_t at = 0;
			for (int j = 0; j < l->n_path && at < sizeof path; j++)
				at += (size_t)snprintf(path + at, sizeof path - at, "%s%s", j ? "." : "",
						       l->path[j]);
			bool top = strlen(l->path[0]) == k && memcmp(l->path[0], p, k) == 0;
			bool full = strlen(path) == k && memcmp(path, p, k) == 0;
			if (!top && !full)
				continue;
			if (l->phys == PQ_BOOLEAN || l->conv == W_NULL)
				return tarn_err_set(err, TARN_EUSAGE,
						    "option bloom-columns: column '%.*s' is boolean or "
						    "null-typed; Bloom filters need other values",
						    (int)k, p);
			l->bloom = true;
			found = true;
		}
		if (!found)
			return tarn_err_set(err, TARN_ENOTFOUND,
					    "option bloom-columns: no column '%.*s' in the table", (int)k,
					    p);
		p += k + (p[k] == ',');
	}
	return TARN_OK;
}

tarn_rc parquet_open_writer(struct tarn_output *out, struct tarn_schema *schema,
			    const struct tarn_opts *opts, struct tarn_writer **wout,
			    struct tarn_err *err)
{
	*wout = NULL;
	struct pq_writer *w = tarn_calloc(1, sizeof *w);
	if (!w)
		return tarn_err_nomem(err, "Parquet writer");
	w->base.ops = &writer_ops;
	w->base.schema = schema;
	w->base.out = out;
	tarn_arena_init(&w->meta.arena, 16 * 1024);
	tarn_buf_init(&w->ci);
	tarn_buf_init(&w->oi);
	w->ci.limit = w->oi.limit = (size_t)1 << 40;
	tarn_rc rc = parse_opts(w, opts, err);
	if (rc == TARN_OK)
		rc = build_schema(w, err);
	if (rc) {
		writer_close(&w->base);
		return rc;
	}
	for (int i = 0; i < w->n_leaves; i++) {
		struct wleaf *l = &w->leaves[i];
		l->w = w;
		l->dict.width = stage_width(l);
		l->dict_on = w->use_dict && l->phys != PQ_BOOLEAN && l->conv != W_NULL;
	}
	rc = bloom_columns(w, tarn_opts_get(opts, "bloom-columns"), err);
	if (rc) {
		writer_close(&w->base);
		return rc;
	}
	tarn_schema_ref(schema);
	*wout = &w->base;
	return TARN_OK;
}
