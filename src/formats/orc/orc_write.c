/*
 * orc_write.c — the ORC writer: tarn batches -> stripes of encoded,
 * compressed streams with row indexes, stripe footers, stripe and file
 * statistics, footer and PostScript (ORCv1.md; file version 0.12, or 0.11
 * with RLE v1 when asked).
 *
 * Design notes
 *  1. The type tree is flattened pre-order (root struct = column 0), one
 *     struct wcol per ORC column. Type mapping: uint8/16/32 widen to
 *     smallint/int/bigint, uint64 becomes decimal(20,0), time64 bigint (its
 *     unit), null boolean (all null), timestamps without a zone TIMESTAMP
 *     (wall clock, writer zone UTC) and with one TIMESTAMP_INSTANT, and a
 *     struct<tag: int8, field0, field1, ...> (the shape the reader gives
 *     unions) a UNION unless unions=false.
 *  2. Rows are written in slices that never cross a row-group boundary
 *     (row-index-stride). At a boundary every column flushes its encoders,
 *     so each stream's position is a run start, and records its positions
 *     (uncompressed offsets, plus values/bits consumed for booleans) and
 *     the group's statistics. After compression at the stripe's end an
 *     offset becomes (chunk start, offset in chunk) via the chunk table.
 *  3. Numbers, booleans and lengths are encoded as they arrive; strings are
 *     buffered for the stripe (bytes + lengths, and a hash of distinct
 *     values) because the dictionary must be sorted: at the stripe's end a
 *     column whose distinct/non-null ratio is within the threshold is
 *     written DICTIONARY(_V2), else DIRECT(_V2).
 *  4. PRESENT is always encoded, and dropped (with its index positions) for
 *     a stripe without nulls, as ORC's own writers do.
 *  5. A stripe ends once its encoded size reaches stripe-size; the stripe
 *     statistics go to the Metadata section and are merged into the file
 *     statistics written in the Footer.
 *
 * Thread-safety: one writer per thread.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "formats/orc/orc_int.h"

#define DICT_CHECK_ROWS 10000 /* non-null values before the dictionary ratio is judged */

/* Stream slots of a column. */
enum { SP = 0, SD, SL, SS, SDD, NSTREAMS };
static const int stream_kind[NSTREAMS] = { ORC_S_PRESENT, ORC_S_DATA, ORC_S_LENGTH, ORC_S_SECONDARY,
					   ORC_S_DICTIONARY_DATA };

/* One row-index position item: a stream offset (stream >= 0, uncompressed
 * bytes) or a count (stream < 0) belonging to stream -stream - 1. */
struct posrec {
	int8_t stream;
	bool count;
	uint64_t v;
};

struct dent {
	int64_t off; /* in blob */
	int32_t len;
	uint32_t hash;
};

struct group {
	size_t pos_start, pos_n;     /* into wcol.pos */
	size_t stats_off, stats_len; /* into wcol.gstats */
	int64_t vals_start;          /* strings: non-null values before the group */
};

struct wcol {
	int id;
	int kind;
	int tarn_id;                 /* the input array's type id */
	const struct tarn_type *tt;
	int n_children;
	struct wcol **children;
	bool is_union;
	int unit;                    /* timestamps, time64 */
	int scale;

	struct tarn_buf s[NSTREAMS];
	struct orc_bool_enc pres_enc, bool_enc;
	struct orc_brle_enc byte_enc;
	struct orc_irle_enc int_enc, len_enc, sec_enc;
	bool has_nulls;              /* in this stripe */
	int enc;                     /* encoding written for this stripe */
	uint32_t dict_size;

	/* strings (note 3) */
	struct tarn_buf blob;
	int64_t *lens;
	size_t n_vals, lens_cap;
	bool hashing;
	uint32_t *ht;                /* entry + 1, 0 = empty */
	size_t ht_cap;
	struct dent *ents;           /* distinct values */
	size_t n_ent, ent_cap;
	uint32_t *val_ent;           /* entry of each buffered value */
	size_t val_ent_cap;

	/* row index of the stripe */
	struct posrec *pos;
	size_t n_pos, pos_cap;
	struct group *groups;
	size_t n_groups, groups_cap;
	struct tarn_buf gstats;

	struct orc_stats_acc gacc, sacc, facc; /* group, stripe, file */

	/* scratch */
	uint8_t *mask;
	size_t mask_cap;
};

struct orc_writer {
	struct tarn_writer base;
	/* options */
	int codec, level;
	size_t block;
	int64_t stripe_size;
	int64_t stride;
	double dict_threshold;
	bool v2;
	bool unions;

	struct wcol *cols;
	int n_cols;
	struct wcol *root;
	struct tarn_arena arena;
	struct orc_type *types; /* for the footer */

	uint64_t offset;        /* bytes written to the output so far */
	int64_t stripe_rows;
	int64_t group_rows;     /* rows in the current row group */
	int64_t total_rows;
	struct tarn_buf stripes;   /* encoded StripeInformation messages (field 3) */
	struct tarn_buf meta;      /* encoded Metadata (StripeStatistics entries) */
	struct tarn_buf tmp, tmp2; /* scratch for compression and messages */
	uint64_t *chunks;
	size_t chunks_cap;
};

static const struct tarn_writer_ops writer_ops;

/* ---- schema ------------------------------------------------------------------------------ */

static bool union_shape(const struct tarn_type *t)
{
	if (t->id != TARN_T_STRUCT || t->n_children < 2 || strcmp(t->children[0].name, "tag") ||
	    t->children[0].type.id != TARN_T_INT8 || t->n_children - 1 > 256)
		return false;
	for (int i = 1; i < t->n_children; i++) {
		char nm[32];
		snprintf(nm, sizeof nm, "field%d", i - 1);
		if (strcmp(t->children[i].name, nm))
			return false;
	}
	return true;
}

static int count_cols(const struct tarn_type *t, bool unions)
{
	int n = 1;
	switch (t->id) {
	case TARN_T_LIST: n += count_cols(&t->children[0].type, unions); break;
	case TARN_T_MAP:
		n += count_cols(&t->children[0].type.children[0].type, unions);
		n += count_cols(&t->children[0].type.children[1].type, unions);
		break;
	case TARN_T_STRUCT: {
		int from = unions && union_shape(t) ? 1 : 0;
		for (int i = from; i < t->n_children; i++)
			n += count_cols(&t->children[i].type, unions);
		break;
	}
	default: break;
	}
	return n;
}

static tarn_rc set_kind(struct orc_writer *w, struct wcol *c, struct orc_type *ot,
			const char *name, struct tarn_err *err)
{
	const struct tarn_type *t = c->tt;
	c->tarn_id = t->id;
	switch (t->id) {
	case TARN_T_NULL:
	case TARN_T_BOOL: c->kind = ORC_BOOLEAN; break;
	case TARN_T_INT8: c->kind = ORC_BYTE; break;
	case TARN_T_INT16:
	case TARN_T_UINT8: c->kind = ORC_SHORT; break;
	case TARN_T_INT32:
	case TARN_T_UINT16: c->kind = ORC_INT; break;
	case TARN_T_INT64:
	case TARN_T_UINT32:
	case TARN_T_TIME64: c->kind = ORC_LONG; break;
	case TARN_T_UINT64:
		c->kind = ORC_DECIMAL;
		ot->precision = 20;
		ot->scale = 0;
		break;
	case TARN_T_FLOAT32: c->kind = ORC_FLOAT; break;
	case TARN_T_FLOAT64: c->kind = ORC_DOUBLE; break;
	case TARN_T_DECIMAL128:
		c->kind = ORC_DECIMAL;
		ot->precision = t->precision;
		ot->scale = t->scale;
		c->scale = t->scale;
		break;
	case TARN_T_STRING: c->kind = ORC_STRING; break;
	case TARN_T_BINARY: c->kind = ORC_BINARY; break;
	case TARN_T_DATE32: c->kind = ORC_DATE; break;
	case TARN_T_TIMESTAMP:
		c->kind = t->tz ? ORC_TIMESTAMP_INSTANT : ORC_TIMESTAMP;
		c->unit = t->unit;
		break;
	case TARN_T_LIST: c->kind = ORC_LIST; break;
	case TARN_T_MAP: c->kind = ORC_MAP; break;
	case TARN_T_STRUCT: c->kind = c->is_union ? ORC_UNION : ORC_STRUCT; break;
	default:
		return tarn_err_set(err, TARN_EUNSUPPORTED,
				    "ORC writer: column '%s' has type %s, which ORC cannot hold", name,
				    tarn_type_id_name(t->id));
	}
	ot->kind = c->kind;
	return TARN_OK;
}

static tarn_rc build_col(struct orc_writer *w, const struct tarn_type *t, const char *name,
			 int depth, struct tarn_err *err)
{
	if (depth > 100)
		return tarn_err_set(err, TARN_ELIMIT, "ORC writer: column '%s' nests too deep", name);
	int id = w->n_cols++;
	struct wcol *c = &w->cols[id];
	struct orc_type *ot = &w->types[id];
	c->id = id;
	c->tt = t;
	c->is_union = w->unions && union_shape(t);
	TRY(set_kind(w, c, ot, name, err));
	const struct tarn_type *kids[2];
	const struct tarn_type *const *sub = NULL;
	int n = 0, from = 0;
	switch (t->id) {
	case TARN_T_LIST:
		kids[0] = &t->children[0].type;
		sub = kids;
		n = 1;
		break;
	case TARN_T_MAP:
		kids[0] = &t->children[0].type.children[0].type;
		kids[1] = &t->children[0].type.children[1].type;
		sub = kids;
		n = 2;
		break;
	case TARN_T_STRUCT:
		from = c->is_union ? 1 : 0;
		n = t->n_children - from;
		break;
	default: break;
	}
	if (n > 0) {
		c->children = tarn_arena_alloc(&w->arena, (size_t)n * sizeof *c->children);
		ot->sub = tarn_arena_alloc(&w->arena, (size_t)n * sizeof *ot->sub);
		if (!c->children || !ot->sub)
			return tarn_err_nomem(err, "ORC writer");
		if (t->id == TARN_T_STRUCT && !c->is_union) {
			ot->names = tarn_arena_alloc(&w->arena, (size_t)n * sizeof *ot->names);
			if (!ot->names)
				return tarn_err_nomem(err, "ORC writer");
			ot->n_names = n;
		}
	}
	c->n_children = n;
	ot->n_sub = n;
	for (int i = 0; i < n; i++) {
		const struct tarn_type *ct = sub ? sub[i] : &t->children[from + i].type;
		ot->sub[i] = (uint32_t)w->n_cols;
		c->children[i] = &w->cols[w->n_cols];
		if (ot->names)
			ot->names[i] = t->children[from + i].name;
		TRY(build_col(w, ct, name, depth + 1, err));
	}
	return TARN_OK;
}

static void col_init(struct orc_writer *w, struct wcol *c)
{
	for (int k = 0; k < NSTREAMS; k++)
		tarn_buf_init(&c->s[k]);
	tarn_buf_init(&c->blob);
	tarn_buf_init(&c->gstats);
	orc_bool_enc_init(&c->pres_enc, &c->s[SP]);
	orc_bool_enc_init(&c->bool_enc, &c->s[SD]);
	orc_brle_enc_init(&c->byte_enc, &c->s[SD]);
	bool sdata = c->kind != ORC_STRING && c->kind != ORC_BINARY;
	orc_irle_enc_init(&c->int_enc, &c->s[SD], w->v2, sdata);
	orc_irle_enc_init(&c->len_enc, &c->s[SL], w->v2, false);
	/* SECONDARY: nanoseconds unsigned, decimal scales signed */
	orc_irle_enc_init(&c->sec_enc, &c->s[SS], w->v2, c->kind == ORC_DECIMAL);
	orc_stats_acc_init(&c->gacc, c->kind, c->scale);
	orc_stats_acc_init(&c->sacc, c->kind, c->scale);
	orc_stats_acc_init(&c->facc, c->kind, c->scale);
	c->hashing = w->dict_threshold > 0;
}

static void col_free(struct wcol *c)
{
	for (int k = 0; k < NSTREAMS; k++)
		tarn_buf_free(&c->s[k]);
	tarn_buf_free(&c->blob);
	tarn_buf_free(&c->gstats);
	tarn_free(c->lens);
	tarn_free(c->ht);
	tarn_free(c->ents);
	tarn_free(c->val_ent);
	tarn_free(c->pos);
	tarn_free(c->groups);
	tarn_free(c->mask);
	orc_stats_acc_free(&c->gacc);
	orc_stats_acc_free(&c->sacc);
	orc_stats_acc_free(&c->facc);
}

/* ---- growth helpers --------------------------------------------------------------------- */

static tarn_rc grow(void **p, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return TARN_OK;
	size_t nc = *cap ? *cap : 64;
	while (nc < need)
		nc *= 2;
	void *q = tarn_realloc(*p, nc * elem);
	if (!q)
		return TARN_ENOMEM;
	*p = q;
	*cap = nc;
	return TARN_OK;
}

#define GROW(p, cap, need) grow((void **)&(p), &(cap), (need), sizeof *(p))

/* ---- row groups: positions and statistics (note 2) ---------------------------------------- */

static tarn_rc add_pos(struct wcol *c, int stream, bool count, uint64_t v)
{
	TRY(GROW(c->pos, c->pos_cap, c->n_pos + 1));
	c->pos[c->n_pos++] = (struct posrec){ (int8_t)stream, count, v };
	return TARN_OK;
}

/* Flushes the encoders of the streams c uses, so each is at a run start. */
static tarn_rc flush_encoders(struct wcol *c)
{
	TRY(orc_bool_flush_runs(&c->pres_enc));
	switch (c->kind) {
	case ORC_BOOLEAN: return orc_bool_flush_runs(&c->bool_enc);
	case ORC_BYTE:
	case ORC_UNION: return orc_brle_flush(&c->byte_enc);
	case ORC_STRING:
	case ORC_BINARY: return TARN_OK; /* encoded at the stripe's end */
	default:
		TRY(orc_irle_flush(&c->int_enc));
		TRY(orc_irle_flush(&c->len_enc));
		return orc_irle_flush(&c->sec_enc);
	}
}

/* Starts row group n_groups of c: positions of every stream it uses. */
static tarn_rc group_start(struct wcol *c)
{
	TRY(flush_encoders(c));
	TRY(GROW(c->groups, c->groups_cap, c->n_groups + 1));
	struct group *g = &c->groups[c->n_groups++];
	memset(g, 0, sizeof *g);
	g->pos_start = c->n_pos;
	g->vals_start = (int64_t)c->n_vals;
	TRY(add_pos(c, SP, false, c->s[SP].len));
	TRY(add_pos(c, SP, true, 0)); /* byte RLE values consumed: flushed, so 0 */
	TRY(add_pos(c, SP, true, (uint64_t)c->pres_enc.bits));
	switch (c->kind) {
	case ORC_BOOLEAN:
		TRY(add_pos(c, SD, false, c->s[SD].len));
		TRY(add_pos(c, SD, true, 0));
		TRY(add_pos(c, SD, true, (uint64_t)c->bool_enc.bits));
		break;
	case ORC_BYTE:
	case ORC_UNION:
		TRY(add_pos(c, SD, false, c->s[SD].len));
		TRY(add_pos(c, SD, true, 0));
		break;
	case ORC_SHORT:
	case ORC_INT:
	case ORC_LONG:
	case ORC_DATE:
		TRY(add_pos(c, SD, false, c->s[SD].len));
		TRY(add_pos(c, SD, true, 0));
		break;
	case ORC_FLOAT:
	case ORC_DOUBLE: TRY(add_pos(c, SD, false, c->s[SD].len)); break;
	case ORC_TIMESTAMP:
	case ORC_TIMESTAMP_INSTANT:
		TRY(add_pos(c, SD, false, c->s[SD].len));
		TRY(add_pos(c, SD, true, 0));
		TRY(add_pos(c, SS, false, c->s[SS].len));
		TRY(add_pos(c, SS, true, 0));
		break;
	case ORC_DECIMAL:
		TRY(add_pos(c, SD, false, c->s[SD].len));
		TRY(add_pos(c, SS, false, c->s[SS].len));
		TRY(add_pos(c, SS, true, 0));
		break;
	case ORC_LIST:
	case ORC_MAP:
		TRY(add_pos(c, SL, false, c->s[SL].len));
		TRY(add_pos(c, SL, true, 0));
		break;
	default: break; /* struct: PRESENT only; strings: at the stripe's end */
	}
	g->pos_n = c->n_pos - g->pos_start;
	return TARN_OK;
}

/* Ends the current row group of c: its statistics into the index entry and
 * the stripe's totals. */
static tarn_rc group_end(struct wcol *c)
{
	struct group *g = &c->groups[c->n_groups - 1];
	struct orc_pb_out o = { &c->gstats, TARN_OK };
	g->stats_off = c->gstats.len;
	orc_stats_acc_encode(&o, 2, &c->gacc);
	TRY(o.rc);
	g->stats_len = c->gstats.len - g->stats_off;
	TRY(orc_stats_acc_merge(&c->sacc, &c->gacc));
	orc_stats_acc_reset(&c->gacc);
	return TARN_OK;
}

/* ---- encoding values ------------------------------------------------------------------------ */

static inline bool valid_at(const struct tarn_array *a, int64_t i)
{
	return !a->validity || tarn_bit_get(a->validity, i);
}

static tarn_rc put_present(struct wcol *c, bool v)
{
	if (!v)
		c->has_nulls = true;
	return orc_bool_put(&c->pres_enc, v);
}

static void stats_int(struct wcol *c, int64_t v)
{
	struct orc_stats_acc *s = &c->gacc;
	if (!s->any) {
		s->imin = s->imax = v;
		s->any = true;
	} else {
		if (v < s->imin)
			s->imin = v;
		if (v > s->imax)
			s->imax = v;
	}
	if (s->sum_ok) {
		s->isum += v;
		if (s->isum > INT64_MAX || s->isum < INT64_MIN)
			s->sum_ok = false;
	}
}

static uint64_t format_nanos(uint64_t ns)
{
	if (ns == 0)
		return 0;
	if (ns % 100)
		return ns << 3;
	ns /= 100;
	uint64_t z = 1;
	while (ns % 10 == 0 && z < 7) {
		ns /= 10;
		z++;
	}
	return ns << 3 | z;
}

static tarn_rc put_decimal(struct wcol *c, __int128 v)
{
	struct tarn_buf *b = &c->s[SD];
	TRY(tarn_buf_reserve(b, 20));
	unsigned __int128 u = ((unsigned __int128)v << 1) ^ (v < 0 ? ~(unsigned __int128)0 : 0);
	while (u >= 0x80) {
		b->data[b->len++] = (char)(uint8_t)(u | 0x80);
		u >>= 7;
	}
	b->data[b->len++] = (char)(uint8_t)u;
	TRY(orc_irle_put(&c->sec_enc, c->scale));
	struct orc_stats_acc *s = &c->gacc;
	if (!s->any) {
		s->dec_min = s->dec_max = v;
		s->any = true;
	} else {
		if (v < s->dec_min)
			s->dec_min = v;
		if (v > s->dec_max)
			s->dec_max = v;
	}
	if (s->sum_ok && __builtin_add_overflow(s->isum, v, &s->isum))
		s->sum_ok = false;
	return TARN_OK;
}

/* Buffers one string/binary value (note 3). */
static tarn_rc put_string(struct wcol *c, const uint8_t *p, size_t n)
{
	if (n > INT32_MAX || c->blob.len + n > (size_t)INT64_MAX / 2)
		return TARN_ELIMIT;
	TRY(GROW(c->lens, c->lens_cap, c->n_vals + 1));
	int64_t off = (int64_t)c->blob.len;
	TRY(tarn_buf_append(&c->blob, p, n));
	c->lens[c->n_vals] = (int64_t)n;
	c->gacc.bytes += (int64_t)n;
	if (c->kind == ORC_STRING)
		TRY(orc_stats_acc_string(&c->gacc, p, n));
	if (c->hashing) {
		/* FNV-1a, open addressing in a table kept under half full */
		uint32_t h = 2166136261u;
		for (size_t i = 0; i < n; i++)
			h = (h ^ p[i]) * 16777619u;
		if (c->n_ent * 2 >= c->ht_cap) {
			size_t nc = c->ht_cap ? c->ht_cap * 2 : 1024;
			uint32_t *t = tarn_calloc(nc, sizeof *t);
			if (!t)
				return TARN_ENOMEM;
			for (size_t e = 0; e < c->n_ent; e++) {
				size_t k = c->ents[e].hash & (nc - 1);
				while (t[k])
					k = (k + 1) & (nc - 1);
				t[k] = (uint32_t)e + 1;
			}
			tarn_free(c->ht);
			c->ht = t;
			c->ht_cap = nc;
		}
		size_t k = h & (c->ht_cap - 1);
		for (;;) {
			uint32_t e = c->ht[k];
			if (!e)
				break;
			const struct dent *d = &c->ents[e - 1];
			if (d->hash == h && (size_t)d->len == n &&
			    (n == 0 || memcmp(c->blob.data + d->off, p, n) == 0))
				break;
			k = (k + 1) & (c->ht_cap - 1);
		}
		if (!c->ht[k]) {
			TRY(GROW(c->ents, c->ent_cap, c->n_ent + 1));
			c->ents[c->n_ent] = (struct dent){ off, (int32_t)n, h };
			c->ht[k] = (uint32_t)++c->n_ent;
		}
		TRY(GROW(c->val_ent, c->val_ent_cap, c->n_vals + 1));
		c->val_ent[c->n_vals] = c->ht[k] - 1;
	}
	c->n_vals++;
	return TARN_OK;
}

/* Gives up the dictionary for this stripe once the first DICT_CHECK_ROWS
 * values show too many distinct ones (ORC's writers judge the first row
 * group the same way). */
static void check_dictionary(struct orc_writer *w, struct wcol *c)
{
	if (!c->hashing || c->n_vals < DICT_CHECK_ROWS)
		return;
	if ((double)c->n_ent <= w->dict_threshold * (double)c->n_vals)
		return;
	c->hashing = false;
	tarn_free(c->ht);
	tarn_free(c->ents);
	tarn_free(c->val_ent);
	c->ht = NULL;
	c->ents = NULL;
	c->val_ent = NULL;
	c->ht_cap = c->ent_cap = c->val_ent_cap = 0;
	c->n_ent = 0;
}

static tarn_rc col_write(struct orc_writer *w, struct wcol *c, const struct tarn_array *a,
			 int64_t start, int64_t n, const uint8_t *mask);

static tarn_rc mask_reserve(struct wcol *c, int64_t n)
{
	return GROW(c->mask, c->mask_cap, (size_t)(n ? n : 1));
}

/* Writes the items of the non-null rows among [start, start + n) of a
 * list or map (pres: their flags), in runs of consecutive rows. */
static tarn_rc write_items(struct orc_writer *w, struct wcol *c, const struct tarn_array *a,
			   int64_t start, int64_t n, const uint8_t *pres)
{
	int64_t i = 0;
	while (i < n) {
		if (!pres[i]) {
			i++;
			continue;
		}
		int64_t j = i;
		while (j < n && pres[j])
			j++;
		int64_t lo = a->offsets[start + i], hi = a->offsets[start + j];
		if (hi > lo) {
			if (c->kind == ORC_LIST) {
				TRY(col_write(w, c->children[0], a->children[0], lo, hi - lo, NULL));
			} else {
				const struct tarn_array *e = a->children[0];
				TRY(col_write(w, c->children[0], e->children[0], lo, hi - lo, NULL));
				TRY(col_write(w, c->children[1], e->children[1], lo, hi - lo, NULL));
			}
		}
		i = j;
	}
	return TARN_OK;
}

/* Writes rows [start, start + n) of a into column c. mask (n flags) marks
 * the rows whose parent is present (NULL: all); other rows take nothing
 * from c, not even a PRESENT bit (ORCv1.md: children of a null struct). */
static tarn_rc col_write(struct orc_writer *w, struct wcol *c, const struct tarn_array *a,
			 int64_t start, int64_t n, const uint8_t *mask)
{
	if (n <= 0)
		return TARN_OK;
	/* Own flags: present = under the mask and not null. The mask buffer
	 * is c's own, so children may be handed it. */
	TRY(mask_reserve(c, n));
	uint8_t *pres = c->mask;
	int64_t k = 0;
	for (int64_t i = 0; i < n; i++) {
		if (mask && !mask[i]) {
			pres[i] = 0;
			continue;
		}
		bool v = c->tarn_id != TARN_T_NULL && valid_at(a, start + i);
		pres[i] = v;
		k += v;
		TRY(put_present(c, v));
		if (!v)
			c->gacc.has_null = true;
	}
	c->gacc.values += (uint64_t)k;
	if (k == 0 && c->kind != ORC_STRUCT && c->kind != ORC_UNION)
		return TARN_OK;
	switch (c->kind) {
	case ORC_BOOLEAN:
		for (int64_t i = 0; i < n; i++) {
			if (!pres[i])
				continue;
			bool v = tarn_bit_get(a->values, start + i);
			c->gacc.trues += v;
			TRY(orc_bool_put(&c->bool_enc, v));
		}
		break;
	case ORC_BYTE:
		for (int64_t i = 0; i < n; i++) {
			if (!pres[i])
				continue;
			int8_t v = ((const int8_t *)a->values)[start + i];
			stats_int(c, v);
			TRY(orc_brle_put(&c->byte_enc, (uint8_t)v));
		}
		break;
	case ORC_SHORT:
	case ORC_INT:
	case ORC_LONG:
	case ORC_DATE:
		for (int64_t i = 0; i < n; i++) {
			if (!pres[i])
				continue;
			int64_t v = c->tarn_id == TARN_T_UINT32 || c->tarn_id == TARN_T_UINT16 ||
						    c->tarn_id == TARN_T_UINT8
					    ? (int64_t)tarn_array_get_uint(a, start + i)
					    : tarn_array_get_int(a, start + i);
			stats_int(c, v);
			TRY(orc_irle_put(&c->int_enc, v));
		}
		break;
	case ORC_FLOAT:
	case ORC_DOUBLE: {
		int wd = c->kind == ORC_FLOAT ? 4 : 8;
		TRY(tarn_buf_reserve(&c->s[SD], (size_t)k * (size_t)wd));
		struct orc_stats_acc *s = &c->gacc;
		for (int64_t i = 0; i < n; i++) {
			if (!pres[i])
				continue;
			memcpy(c->s[SD].data + c->s[SD].len, a->values + (start + i) * wd, (size_t)wd);
			c->s[SD].len += (size_t)wd;
			double v = tarn_array_get_double(a, start + i);
			if (isnan(v)) {
				s->nan = true;
				continue;
			}
			if (!s->any) {
				s->dmin = s->dmax = v;
				s->any = true;
			} else {
				if (v < s->dmin)
					s->dmin = v;
				if (v > s->dmax)
					s->dmax = v;
			}
			s->dsum += v;
		}
		break;
	}
	case ORC_DECIMAL:
		for (int64_t i = 0; i < n; i++) {
			if (!pres[i])
				continue;
			__int128 v = c->tarn_id == TARN_T_UINT64
					     ? (__int128)tarn_array_get_uint(a, start + i)
					     : tarn_array_get_decimal(a, start + i);
			TRY(put_decimal(c, v));
		}
		break;
	case ORC_TIMESTAMP:
	case ORC_TIMESTAMP_INSTANT: {
		int64_t per = tarn_time_unit_per_second((enum tarn_time_unit)c->unit);
		int64_t mul = 1000000000 / per;
		for (int64_t i = 0; i < n; i++) {
			if (!pres[i])
				continue;
			int64_t v = tarn_array_get_int(a, start + i);
			int64_t s = v / per, f = v % per;
			if (f < 0)
				f += per, s -= 1;
			uint64_t ns = (uint64_t)(f * mul);
			/* ORC's writers store such seconds rounded toward zero and
			 * its readers take one off again (orc_column.c). */
			int64_t st = s;
			if (st < 0 && ns > 999999)
				st += 1;
			TRY(orc_irle_put(&c->int_enc, st - ORC_TS_BASE));
			TRY(orc_irle_put(&c->sec_enc, (int64_t)format_nanos(ns)));
			/* statistics in nanoseconds (saturated for coarse units) */
			int64_t vn;
			if (__builtin_mul_overflow(s, (int64_t)1000000000, &vn) ||
			    __builtin_add_overflow(vn, (int64_t)ns, &vn))
				vn = s < 0 ? INT64_MIN : INT64_MAX;
			struct orc_stats_acc *sa = &c->gacc;
			if (!sa->any) {
				sa->imin = sa->imax = vn;
				sa->any = true;
			} else {
				if (vn < sa->imin)
					sa->imin = vn;
				if (vn > sa->imax)
					sa->imax = vn;
			}
			sa->sum_ok = false;
		}
		break;
	}
	case ORC_STRING:
	case ORC_BINARY:
		for (int64_t i = 0; i < n; i++) {
			if (!pres[i])
				continue;
			size_t len;
			const uint8_t *p = tarn_array_get_bytes(a, start + i, &len);
			TRY(put_string(c, p, len));
		}
		check_dictionary(w, c);
		break;
	case ORC_LIST:
	case ORC_MAP: {
		struct orc_stats_acc *s = &c->gacc;
		for (int64_t i = 0; i < n; i++) {
			if (!pres[i])
				continue;
			int64_t len = a->offsets[start + i + 1] - a->offsets[start + i];
			TRY(orc_irle_put(&c->len_enc, len));
			if (!s->any || (uint64_t)len < s->cmin)
				s->cmin = (uint64_t)len;
			if (!s->any || (uint64_t)len > s->cmax)
				s->cmax = (uint64_t)len;
			s->any = true;
			s->ctotal += (uint64_t)len;
		}
		TRY(write_items(w, c, a, start, n, pres));
		break;
	}
	case ORC_STRUCT:
		for (int i = 0; i < c->n_children; i++)
			TRY(col_write(w, c->children[i], a->children[i], start, n, pres));
		break;
	case ORC_UNION: {
		const struct tarn_array *tags = a->children[0];
		for (int64_t i = 0; i < n; i++) {
			if (!pres[i])
				continue;
			if (!valid_at(tags, start + i))
				return tarn_err_set(NULL, TARN_EDATA, "union tag is null");
			int8_t t = ((const int8_t *)tags->values)[start + i];
			if (t < 0 || t >= c->n_children)
				return TARN_EDATA;
			TRY(orc_brle_put(&c->byte_enc, (uint8_t)t));
		}
		/* one mask per variant, in a scratch of its own */
		uint8_t *bm = tarn_malloc((size_t)n);
		if (!bm)
			return TARN_ENOMEM;
		tarn_rc rc = TARN_OK;
		for (int b = 0; b < c->n_children && !rc; b++) {
			for (int64_t i = 0; i < n; i++)
				bm[i] = (uint8_t)(pres[i] &&
						  ((const int8_t *)tags->values)[start + i] == b);
			rc = col_write(w, c->children[b], a->children[b + 1], start, n, bm);
		}
		tarn_free(bm);
		TRY(rc);
		break;
	}
	default: return TARN_EINTERNAL;
	}
	return TARN_OK;
}

/* ---- strings at the stripe's end (note 3) ------------------------------------------------- */

static int dent_cmp(const void *x, const void *y, void *ctx)
{
	const struct wcol *sort_col = ctx;
	const struct dent *a = &sort_col->ents[*(const uint32_t *)x];
	const struct dent *b = &sort_col->ents[*(const uint32_t *)y];
	size_t m = (size_t)(a->len < b->len ? a->len : b->len);
	int r = m ? memcmp(sort_col->blob.data + a->off, sort_col->blob.data + b->off, m) : 0;
	if (r)
		return r;
	return (a->len > b->len) - (a->len < b->len);
}

static tarn_rc strings_encode(struct orc_writer *w, struct wcol *c)
{
	bool dict = c->hashing && c->n_vals > 0 &&
		    (double)c->n_ent <= w->dict_threshold * (double)c->n_vals;
	if (c->kind == ORC_BINARY)
		dict = false; /* BINARY has no dictionary encoding */
	c->enc = dict ? (w->v2 ? ORC_E_DICTIONARY_V2 : ORC_E_DICTIONARY)
		      : (w->v2 ? ORC_E_DIRECT_V2 : ORC_E_DIRECT);
	c->dict_size = 0;
	/* positions: PRESENT came first (group_start); the rest go after it,
	 * so the position list is rebuilt group by group */
	struct posrec *old = c->pos;
	size_t old_n = c->n_pos;
	c->pos = NULL;
	c->n_pos = c->pos_cap = 0;
	uint32_t *rank = NULL, *order = NULL;
	tarn_rc rc = TARN_OK;
	if (dict) {
		c->int_enc.is_signed = false;
		order = tarn_malloc((c->n_ent ? c->n_ent : 1) * sizeof *order);
		rank = tarn_malloc((c->n_ent ? c->n_ent : 1) * sizeof *rank);
		if (!order || !rank) {
			rc = TARN_ENOMEM;
			goto out;
		}
		for (size_t e = 0; e < c->n_ent; e++)
			order[e] = (uint32_t)e;
		qsort_r(order, c->n_ent, sizeof *order, dent_cmp, c);
		for (size_t e = 0; e < c->n_ent; e++) {
			rank[order[e]] = (uint32_t)e;
			const struct dent *d = &c->ents[order[e]];
			TRY_OUT(orc_irle_put(&c->len_enc, d->len));
			if (d->len)
				TRY_OUT(tarn_buf_append(&c->s[SDD], c->blob.data + d->off, (size_t)d->len));
		}
		TRY_OUT(orc_irle_flush(&c->len_enc));
		c->dict_size = (uint32_t)c->n_ent;
	}
	size_t v = 0;
	int64_t byte = 0;
	for (size_t g = 0; g < c->n_groups; g++) {
		struct group *gr = &c->groups[g];
		size_t ps = c->n_pos;
		for (size_t k = 0; k < gr->pos_n; k++) {
			const struct posrec *p = &old[gr->pos_start + k];
			TRY_OUT(add_pos(c, p->stream, p->count, p->v));
		}
		int64_t end = g + 1 < c->n_groups ? c->groups[g + 1].vals_start : (int64_t)c->n_vals;
		if (dict) {
			TRY_OUT(orc_irle_flush(&c->int_enc));
			TRY_OUT(add_pos(c, SD, false, c->s[SD].len));
			TRY_OUT(add_pos(c, SD, true, 0));
			for (; (int64_t)v < end; v++)
				TRY_OUT(orc_irle_put(&c->int_enc, rank[c->val_ent[v]]));
		} else {
			TRY_OUT(orc_irle_flush(&c->len_enc));
			TRY_OUT(add_pos(c, SD, false, (uint64_t)byte));
			TRY_OUT(add_pos(c, SL, false, c->s[SL].len));
			TRY_OUT(add_pos(c, SL, true, 0));
			for (; (int64_t)v < end; v++) {
				TRY_OUT(orc_irle_put(&c->len_enc, c->lens[v]));
				byte += c->lens[v];
			}
		}
		gr->pos_start = ps;
		gr->pos_n = c->n_pos - ps;
	}
	(void)old_n;
	if (!dict && c->blob.len)
		TRY_OUT(tarn_buf_append(&c->s[SD], c->blob.data, c->blob.len));
	TRY_OUT(orc_irle_flush(&c->int_enc));
	TRY_OUT(orc_irle_flush(&c->len_enc));
out:
	tarn_free(old);
	tarn_free(order);
	tarn_free(rank);
	return rc;
}

/* ---- stripes ---------------------------------------------------------------------------- */

static tarn_rc out_write(struct orc_writer *w, const void *p, size_t n, struct tarn_err *err)
{
	if (w->offset == 0) {
		/* the header; the output is only attached after open */
		TRY(tarn_output_write(w->base.out, "ORC", 3, err));
		w->offset = 3;
	}
	TRY(tarn_output_write(w->base.out, p, n, err));
	w->offset += n;
	return TARN_OK;
}

/* Compresses src and writes it; *len = bytes written. The chunk table
 * (w->chunks) maps uncompressed offsets to chunk starts. */
static tarn_rc write_compressed(struct orc_writer *w, const struct tarn_buf *src, uint64_t *len,
				struct tarn_err *err)
{
	size_t nch = w->codec == ORC_C_NONE ? 1 : src->len / w->block + 1;
	if (GROW(w->chunks, w->chunks_cap, nch + 1))
		return tarn_err_nomem(err, "ORC writer");
	w->tmp.len = 0;
	tarn_rc rc = orc_compress(w->codec, w->level, w->block, (const uint8_t *)src->data, src->len,
				  &w->tmp, w->chunks);
	if (rc)
		return tarn_err_set(err, rc, "ORC writer: compressing a stream failed (%s)",
				    tarn_rc_name(rc));
	/* an offset at the end of whole chunks maps past the last one */
	if (w->codec != ORC_C_NONE && src->len % w->block == 0)
		w->chunks[src->len / w->block] = w->tmp.len;
	TRY(out_write(w, w->tmp.data, w->tmp.len, err));
	*len = w->tmp.len;
	return TARN_OK;
}

static uint64_t translate(struct orc_writer *w, const uint64_t *chunks, uint64_t off, int which)
{
	if (w->codec == ORC_C_NONE)
		return off;
	return which == 0 ? chunks[off / w->block] : off % w->block;
}

/* Encodes column c's RowIndex (positions translated with the per-stream
 * chunk tables in ctab) into out. */
static tarn_rc encode_index(struct orc_writer *w, struct wcol *c, uint64_t *const *ctab,
			    struct tarn_buf *out)
{
	struct orc_pb_out o = { out, TARN_OK };
	for (size_t g = 0; g < c->n_groups; g++) {
		const struct group *gr = &c->groups[g];
		size_t m = orc_pb_begin(&o, 1);
		size_t pm = orc_pb_begin(&o, 1);
		for (size_t k = 0; k < gr->pos_n; k++) {
			const struct posrec *p = &c->pos[gr->pos_start + k];
			if (p->stream == SP && !c->has_nulls)
				continue; /* PRESENT dropped (note 4) */
			if (p->count) {
				orc_pb_put_varint(&o, p->v);
			} else {
				if (w->codec != ORC_C_NONE)
					orc_pb_put_varint(&o, translate(w, ctab[p->stream], p->v, 0));
				orc_pb_put_varint(&o, translate(w, ctab[p->stream], p->v, 1));
			}
		}
		orc_pb_end(&o, pm);
		if (o.rc == TARN_OK && tarn_buf_append(out, c->gstats.data + gr->stats_off, gr->stats_len))
			o.rc = TARN_ENOMEM;
		orc_pb_end(&o, m);
	}
	return o.rc;
}

static bool stream_used(const struct wcol *c, int k)
{
	switch (k) {
	case SP: return c->has_nulls;
	case SD:
		return c->kind != ORC_STRUCT && c->kind != ORC_LIST && c->kind != ORC_MAP;
	case SL:
		return c->kind == ORC_LIST || c->kind == ORC_MAP || c->kind == ORC_BINARY ||
		       c->kind == ORC_STRING;
	case SS: return c->kind == ORC_TIMESTAMP || c->kind == ORC_TIMESTAMP_INSTANT ||
		       c->kind == ORC_DECIMAL;
	default:
		return c->kind == ORC_STRING &&
		       (c->enc == ORC_E_DICTIONARY || c->enc == ORC_E_DICTIONARY_V2);
	}
}

static tarn_rc flush_stripe(struct orc_writer *w, struct tarn_err *err)
{
	if (w->stripe_rows == 0)
		return TARN_OK;
	if (w->offset == 0)
		TRY(out_write(w, "", 0, err));
	uint64_t stripe_off = w->offset;
	struct tarn_buf sf; /* StripeFooter */
	tarn_buf_init(&sf);
	struct orc_pb_out fo = { &sf, TARN_OK };
	uint64_t *tabs = NULL;
	tarn_rc rc = TARN_OK;
	/* finish every column's streams */
	for (int i = 0; i < w->n_cols; i++) {
		struct wcol *c = &w->cols[i];
		TRY_OUT(group_end(c));
		TRY_OUT(orc_bool_finish(&c->pres_enc));
		TRY_OUT(orc_bool_finish(&c->bool_enc));
		TRY_OUT(orc_brle_flush(&c->byte_enc));
		TRY_OUT(orc_irle_flush(&c->int_enc));
		TRY_OUT(orc_irle_flush(&c->len_enc));
		TRY_OUT(orc_irle_flush(&c->sec_enc));
		c->enc = w->v2 ? ORC_E_DIRECT_V2 : ORC_E_DIRECT;
		if (c->kind == ORC_BOOLEAN || c->kind == ORC_BYTE || c->kind == ORC_FLOAT ||
		    c->kind == ORC_DOUBLE || c->kind == ORC_STRUCT || c->kind == ORC_UNION)
			c->enc = ORC_E_DIRECT;
		if (c->kind == ORC_STRING || c->kind == ORC_BINARY)
			TRY_OUT(strings_encode(w, c));
	}
	/* Data streams are compressed first (their chunk tables translate
	 * the index positions), kept in w->tmp2, and written after the
	 * index streams. */
	size_t per = 0;
	for (int i = 0; i < w->n_cols; i++)
		for (int k = 0; k < NSTREAMS; k++) {
			size_t nch = w->codec == ORC_C_NONE ? 1 : w->cols[i].s[k].len / w->block + 2;
			per = nch > per ? nch : per;
		}
	tabs = tarn_calloc((size_t)w->n_cols * NSTREAMS * per, sizeof *tabs);
	if (!tabs) {
		rc = TARN_ENOMEM;
		goto out;
	}
	struct tarn_buf data;
	tarn_buf_init(&data);
	uint64_t data_len = 0, index_len = 0;
	/* streams in the footer: index streams first, then data */
	uint64_t *lens = tarn_calloc((size_t)w->n_cols * NSTREAMS, sizeof *lens);
	if (!lens) {
		tarn_buf_free(&data);
		rc = TARN_ENOMEM;
		goto out;
	}
	for (int i = 0; i < w->n_cols && !rc; i++) {
		struct wcol *c = &w->cols[i];
		for (int k = 0; k < NSTREAMS && !rc; k++) {
			if (!stream_used(c, k))
				continue;
			uint64_t *tab = tabs + ((size_t)i * NSTREAMS + (size_t)k) * per;
			size_t before = data.len;
			rc = orc_compress(w->codec, w->level, w->block, (const uint8_t *)c->s[k].data,
					  c->s[k].len, &data, tab);
			if (w->codec != ORC_C_NONE && c->s[k].len % w->block == 0)
				tab[c->s[k].len / w->block] = data.len - before;
			lens[(size_t)i * NSTREAMS + (size_t)k] = data.len - before;
			data_len += data.len - before;
		}
	}
	if (rc) {
		tarn_free(lens);
		tarn_buf_free(&data);
		goto out;
	}
	/* row indexes */
	if (w->stride > 0) {
		for (int i = 0; i < w->n_cols && !rc; i++) {
			struct wcol *c = &w->cols[i];
			uint64_t *ctab[NSTREAMS];
			for (int k = 0; k < NSTREAMS; k++)
				ctab[k] = tabs + ((size_t)i * NSTREAMS + (size_t)k) * per;
			w->tmp2.len = 0;
			rc = encode_index(w, c, ctab, &w->tmp2);
			uint64_t len = 0;
			if (!rc)
				rc = write_compressed(w, &w->tmp2, &len, err);
			if (!rc) {
				size_t m = orc_pb_begin(&fo, 1);
				orc_pb_put_uint(&fo, 1, ORC_S_ROW_INDEX);
				orc_pb_put_uint(&fo, 2, (uint64_t)c->id);
				orc_pb_put_uint(&fo, 3, len);
				orc_pb_end(&fo, m);
				index_len += len;
			}
		}
	}
	if (!rc)
		rc = out_write(w, data.data, data.len, err);
	for (int i = 0; i < w->n_cols && !rc; i++) {
		struct wcol *c = &w->cols[i];
		for (int k = 0; k < NSTREAMS; k++) {
			if (!stream_used(c, k))
				continue;
			size_t m = orc_pb_begin(&fo, 1);
			orc_pb_put_uint(&fo, 1, (uint64_t)stream_kind[k]);
			orc_pb_put_uint(&fo, 2, (uint64_t)c->id);
			orc_pb_put_uint(&fo, 3, lens[(size_t)i * NSTREAMS + (size_t)k]);
			orc_pb_end(&fo, m);
		}
	}
	tarn_free(lens);
	tarn_buf_free(&data);
	if (rc)
		goto out;
	for (int i = 0; i < w->n_cols; i++) {
		size_t m = orc_pb_begin(&fo, 2);
		orc_pb_put_uint(&fo, 1, (uint64_t)w->cols[i].enc);
		if (w->cols[i].enc == ORC_E_DICTIONARY || w->cols[i].enc == ORC_E_DICTIONARY_V2)
			orc_pb_put_uint(&fo, 2, w->cols[i].dict_size);
		orc_pb_end(&fo, m);
	}
	orc_pb_put_bytes(&fo, 3, "UTC", 3);
	TRY_OUT(fo.rc);
	uint64_t footer_len;
	TRY_OUT(write_compressed(w, &sf, &footer_len, err));
	/* StripeInformation */
	struct orc_pb_out so = { &w->stripes, TARN_OK };
	size_t m = orc_pb_begin(&so, 3);
	orc_pb_put_uint(&so, 1, stripe_off);
	orc_pb_put_uint(&so, 2, index_len);
	orc_pb_put_uint(&so, 3, data_len);
	orc_pb_put_uint(&so, 4, footer_len);
	orc_pb_put_uint(&so, 5, (uint64_t)w->stripe_rows);
	orc_pb_end(&so, m);
	TRY_OUT(so.rc);
	/* stripe statistics, then reset for the next stripe */
	struct orc_pb_out mo = { &w->meta, TARN_OK };
	size_t mm = orc_pb_begin(&mo, 1);
	for (int i = 0; i < w->n_cols; i++)
		orc_stats_acc_encode(&mo, 1, &w->cols[i].sacc);
	orc_pb_end(&mo, mm);
	TRY_OUT(mo.rc);
	for (int i = 0; i < w->n_cols; i++) {
		struct wcol *c = &w->cols[i];
		TRY_OUT(orc_stats_acc_merge(&c->facc, &c->sacc));
		orc_stats_acc_reset(&c->sacc);
		for (int k = 0; k < NSTREAMS; k++)
			c->s[k].len = 0;
		c->blob.len = 0;
		c->n_vals = 0;
		c->has_nulls = false;
		c->n_pos = 0;
		c->n_groups = 0;
		c->gstats.len = 0;
		c->n_ent = 0;
		if (c->ht)
			memset(c->ht, 0, c->ht_cap * sizeof *c->ht);
		c->hashing = w->dict_threshold > 0;
		orc_bool_enc_init(&c->pres_enc, &c->s[SP]);
		orc_bool_enc_init(&c->bool_enc, &c->s[SD]);
		orc_brle_enc_init(&c->byte_enc, &c->s[SD]);
	}
	w->stripe_rows = 0;
	w->group_rows = 0;
out:
	tarn_free(tabs);
	tarn_buf_free(&sf);
	if (rc && !(err && err->rc))
		tarn_err_set(err, rc, "ORC writer: writing a stripe failed (%s)", tarn_rc_name(rc));
	return rc;
}

static size_t buffered(const struct orc_writer *w)
{
	size_t n = 0;
	for (int i = 0; i < w->n_cols; i++) {
		const struct wcol *c = &w->cols[i];
		for (int k = 0; k < NSTREAMS; k++)
			n += c->s[k].len;
		n += c->blob.len + c->n_vals * 4;
	}
	return n;
}

/* ---- writer ops ------------------------------------------------------------------------------ */

static tarn_rc start_groups(struct orc_writer *w)
{
	for (int i = 0; i < w->n_cols; i++) {
		if (w->cols[i].n_groups > 0)
			TRY(group_end(&w->cols[i]));
		TRY(group_start(&w->cols[i]));
	}
	return TARN_OK;
}

static tarn_rc writer_write(struct tarn_writer *base, const struct tarn_batch *b,
			    struct tarn_err *err)
{
	struct orc_writer *w = (struct orc_writer *)base;
	int64_t done = 0, n = b->n_rows;
	while (done < n) {
		if (w->stripe_rows == 0 && w->cols[0].n_groups == 0) {
			if (start_groups(w))
				return tarn_err_nomem(err, "ORC writer");
		} else if (w->stride > 0 && w->group_rows == w->stride) {
			if (start_groups(w))
				return tarn_err_nomem(err, "ORC writer");
			w->group_rows = 0;
		}
		int64_t k = n - done;
		if (w->stride > 0 && k > w->stride - w->group_rows)
			k = w->stride - w->group_rows;
		if (k > 65536)
			k = 65536;
		struct wcol *root = w->root;
		root->gacc.values += (uint64_t)k;
		for (int i = 0; i < root->n_children; i++) {
			tarn_rc rc = col_write(w, root->children[i], b->cols[i], done, k, NULL);
			if (rc) {
				const char *name = b->schema->fields[i].name;
				if (rc == TARN_EDATA)
					return tarn_err_set(err, rc,
							    "ORC writer: column '%s': a union tag is "
							    "null or names a variant the column lacks",
							    name);
				return tarn_err_set(err, rc, "ORC writer: column '%s': %s", name,
						    rc == TARN_ELIMIT ? "a value is too large"
								      : "out of memory");
			}
		}
		done += k;
		w->group_rows += k;
		w->stripe_rows += k;
		w->total_rows += k;
		if ((int64_t)buffered(w) >= w->stripe_size)
			TRY(flush_stripe(w, err));
	}
	return TARN_OK;
}

static tarn_rc writer_finish(struct tarn_writer *base, struct tarn_err *err)
{
	struct orc_writer *w = (struct orc_writer *)base;
	TRY(flush_stripe(w, err));
	if (w->offset == 0)
		TRY(out_write(w, "", 0, err));
	uint64_t content = w->offset;
	tarn_rc rc = TARN_OK;
	/* Metadata */
	uint64_t meta_len = 0, footer_len = 0;
	TRY(write_compressed(w, &w->meta, &meta_len, err));
	/* Footer */
	struct tarn_buf f;
	tarn_buf_init(&f);
	struct orc_pb_out o = { &f, TARN_OK };
	orc_pb_put_uint(&o, 1, 3);
	orc_pb_put_uint(&o, 2, content);
	if (o.rc == TARN_OK && tarn_buf_append(&f, w->stripes.data, w->stripes.len))
		o.rc = TARN_ENOMEM;
	for (int i = 0; i < w->n_cols; i++) {
		size_t m = orc_pb_begin(&o, 4);
		orc_type_encode(&o, &w->types[i]);
		orc_pb_end(&o, m);
	}
	orc_pb_put_uint(&o, 6, (uint64_t)w->total_rows);
	for (int i = 0; i < w->n_cols; i++) {
		struct wcol *c = &w->cols[i];
		if (c->n_groups > 0 && orc_stats_acc_merge(&c->facc, &c->gacc))
			o.rc = TARN_ENOMEM;
		orc_stats_acc_encode(&o, 7, &c->facc);
	}
	orc_pb_put_uint(&o, 8, (uint64_t)w->stride);
	orc_pb_put_uint(&o, 11, 2); /* calendar: PROLEPTIC_GREGORIAN (tarn's dates) */
	orc_pb_put_bytes(&o, 12, "tarn-" TARN_VERSION, strlen("tarn-" TARN_VERSION));
	rc = o.rc;
	if (!rc)
		rc = write_compressed(w, &f, &footer_len, err);
	tarn_buf_free(&f);
	if (rc)
		return err && err->rc ? rc : tarn_err_nomem(err, "ORC writer");
	/* PostScript */
	struct orc_postscript ps;
	memset(&ps, 0, sizeof ps);
	ps.footer_len = footer_len;
	ps.compression = w->codec;
	ps.block_size = w->block;
	ps.n_version = 2;
	ps.version[0] = 0;
	ps.version[1] = w->v2 ? 12 : 11;
	ps.metadata_len = meta_len;
	ps.writer_version = 6;
	struct tarn_buf pb;
	tarn_buf_init(&pb);
	struct orc_pb_out po = { &pb, TARN_OK };
	orc_postscript_encode(&po, &ps);
	if (po.rc || pb.len > 255 || tarn_buf_putc(&pb, (char)(uint8_t)pb.len)) {
		tarn_buf_free(&pb);
		return tarn_err_nomem(err, "ORC writer");
	}
	rc = out_write(w, pb.data, pb.len, err);
	tarn_buf_free(&pb);
	return rc;
}

static void writer_close(struct tarn_writer *base)
{
	struct orc_writer *w = (struct orc_writer *)base;
	for (int i = 0; i < w->n_cols; i++)
		col_free(&w->cols[i]);
	tarn_free(w->cols);
	tarn_free(w->types);
	tarn_free(w->chunks);
	tarn_buf_free(&w->stripes);
	tarn_buf_free(&w->meta);
	tarn_buf_free(&w->tmp);
	tarn_buf_free(&w->tmp2);
	tarn_arena_free(&w->arena);
	tarn_free(w);
}

static const struct tarn_writer_ops writer_ops = {
	.write = writer_write,
	.finish = writer_finish,
	.close = writer_close,
};


/* ---- open ------------------------------------------------------------------------------------- */

static tarn_rc parse_opts(struct orc_writer *w, const struct tarn_opts *o, struct tarn_err *err)
{
	const char *c = tarn_opts_get(o, "compression");
	w->codec = ORC_C_ZSTD;
	if (c) {
		static const struct {
			const char *name;
			int codec;
		} names[] = { { "none", ORC_C_NONE },     { "uncompressed", ORC_C_NONE },
			      { "zlib", ORC_C_ZLIB },     { "deflate", ORC_C_ZLIB },
			      { "snappy", ORC_C_SNAPPY }, { "lz4", ORC_C_LZ4 },
			      { "zstd", ORC_C_ZSTD },     { "brotli", ORC_C_BROTLI } };
		int found = -1;
		for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
			if (!strcasecmp(c, names[i].name))
				found = names[i].codec;
		if (found < 0)
			return tarn_err_set(err, TARN_EUSAGE,
					    "option compression: '%s' is not one of zstd, zlib, snappy, "
					    "lz4, brotli, none",
					    c);
		w->codec = found;
	}
	int64_t v;
	TRY(tarn_opts_int(o, "compression-level", 0, &v, err));
	int maxl = w->codec == ORC_C_ZSTD ? 22 : w->codec == ORC_C_ZLIB ? 9 : 11;
	if (v < 0 || v > maxl)
		return tarn_err_set(err, TARN_EUSAGE, "option compression-level: must be 0..%d", maxl);
	w->level = (int)v;
	/* a chunk header holds lengths below 2^23 */
	TRY(tarn_opts_size(o, "compression-block-size", 256 * 1024, 1024, (1 << 23) - 1, &v, err));
	w->block = (size_t)v;
	TRY(tarn_opts_size(o, "stripe-size", 64LL << 20, 1024, (int64_t)1 << 40, &w->stripe_size, err));
	TRY(tarn_opts_int(o, "row-index-stride", 10000, &w->stride, err));
	if (w->stride < 0 || w->stride > INT32_MAX)
		return tarn_err_set(err, TARN_EUSAGE,
				    "option row-index-stride: must be 0 (no index) .. 2147483647");
	const char *t = tarn_opts_get(o, "dictionary-key-size-threshold");
	w->dict_threshold = 0.8;
	if (t) {
		char *end;
		double d = strtod(t, &end);
		if (end == t || *end || !(d >= 0 && d <= 1))
			return tarn_err_set(err, TARN_EUSAGE,
					    "option dictionary-key-size-threshold: '%s' is not a "
					    "number in 0..1",
					    t);
		w->dict_threshold = d;
	}
	const char *fv = tarn_opts_get(o, "format-version");
	w->v2 = true;
	if (fv) {
		if (!strcmp(fv, "0.11"))
			w->v2 = false;
		else if (strcmp(fv, "0.12"))
			return tarn_err_set(err, TARN_EUSAGE, "option format-version: '%s' is not 0.11 or 0.12",
					    fv);
	}
	TRY(tarn_opts_bool(o, "unions", true, &w->unions, err));
	return TARN_OK;
}

tarn_rc orc_open_writer(struct tarn_output *out, struct tarn_schema *schema,
			const struct tarn_opts *opts, struct tarn_writer **wout, struct tarn_err *err)
{
	*wout = NULL;
	struct orc_writer *w = tarn_calloc(1, sizeof *w);
	if (!w)
		return tarn_err_nomem(err, "ORC writer");
	w->base.ops = &writer_ops;
	tarn_arena_init(&w->arena, 4096);
	tarn_buf_init(&w->stripes);
	tarn_buf_init(&w->meta);
	tarn_buf_init(&w->tmp);
	tarn_buf_init(&w->tmp2);
	tarn_rc rc = parse_opts(w, opts, err);
	if (rc)
		goto fail;
	int n = 1;
	for (int i = 0; i < schema->n_fields; i++)
		n += count_cols(&schema->fields[i].type, w->unions);
	w->cols = tarn_calloc((size_t)n, sizeof *w->cols);
	w->types = tarn_calloc((size_t)n, sizeof *w->types);
	if (!w->cols || !w->types) {
		rc = tarn_err_nomem(err, "ORC writer");
		goto fail;
	}
	/* the root struct */
	struct wcol *root = &w->cols[0];
	struct orc_type *rt = &w->types[0];
	w->n_cols = 1;
	w->root = root;
	root->kind = ORC_STRUCT;
	root->tarn_id = TARN_T_STRUCT;
	rt->kind = ORC_STRUCT;
	int nf = schema->n_fields;
	if (nf > 0) {
		root->children = tarn_arena_alloc(&w->arena, (size_t)nf * sizeof *root->children);
		rt->sub = tarn_arena_alloc(&w->arena, (size_t)nf * sizeof *rt->sub);
		rt->names = tarn_arena_alloc(&w->arena, (size_t)nf * sizeof *rt->names);
		if (!root->children || !rt->sub || !rt->names) {
			rc = tarn_err_nomem(err, "ORC writer");
			goto fail;
		}
	}
	root->n_children = nf;
	rt->n_sub = rt->n_names = nf;
	for (int i = 0; i < nf; i++) {
		rt->sub[i] = (uint32_t)w->n_cols;
		rt->names[i] = schema->fields[i].name;
		root->children[i] = &w->cols[w->n_cols];
		rc = build_col(w, &schema->fields[i].type, schema->fields[i].name, 0, err);
		if (rc)
			goto fail;
	}
	for (int i = 0; i < w->n_cols; i++)
		col_init(w, &w->cols[i]);
	w->base.schema = schema;
	tarn_schema_ref(schema);
	*wout = &w->base;
	return TARN_OK;
fail:
	writer_close(&w->base);
	return rc;
}
