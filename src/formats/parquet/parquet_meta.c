/*
 * parquet_meta.c — Parquet's Thrift structs (FileMetaData and everything in
 * it, PageHeader) decoded from and encoded to TCompactProtocol.
 *
 * Field ids and types follow apache/parquet-format src/main/thrift/
 * parquet.thrift. Decoding is tolerant the way Thrift is (unknown fields and
 * fields of an unexpected wire type are skipped) and strict about what tarn
 * relies on (required fields present, counts and lengths within the bytes).
 * Every list is allocated only after its count was checked against the bytes
 * left divided by the smallest encoding of one element, so a lying count
 * cannot drive an allocation larger than a small multiple of the footer.
 *
 * Relies on thrift.c; memory from the pq_file_meta's arena.
 * Thread-safety: none needed (pure functions over caller-owned data).
 */
#include <stdio.h>
#include <string.h>

#include "base/err.h"
#include "formats/parquet/parquet_int.h"

const char *pq_phys_name(int t)
{
	static const char *n[] = { "BOOLEAN", "INT32",     "INT64",      "INT96",
				   "FLOAT",   "DOUBLE",    "BYTE_ARRAY", "FIXED_LEN_BYTE_ARRAY" };
	return t >= 0 && t < 8 ? n[t] : "?";
}

const char *pq_encoding_name(int e)
{
	switch (e) {
	case PQ_ENC_PLAIN: return "PLAIN";
	case PQ_ENC_PLAIN_DICTIONARY: return "PLAIN_DICTIONARY";
	case PQ_ENC_RLE: return "RLE";
	case PQ_ENC_BIT_PACKED: return "BIT_PACKED";
	case PQ_ENC_DELTA_BINARY_PACKED: return "DELTA_BINARY_PACKED";
	case PQ_ENC_DELTA_LENGTH_BYTE_ARRAY: return "DELTA_LENGTH_BYTE_ARRAY";
	case PQ_ENC_DELTA_BYTE_ARRAY: return "DELTA_BYTE_ARRAY";
	case PQ_ENC_RLE_DICTIONARY: return "RLE_DICTIONARY";
	case PQ_ENC_BYTE_STREAM_SPLIT: return "BYTE_STREAM_SPLIT";
	case 10: return "ALP";
	}
	return "unknown";
}

const char *pq_codec_name(int c)
{
	static const char *n[] = { "UNCOMPRESSED", "SNAPPY", "GZIP", "LZO",
				   "BROTLI",       "LZ4",    "ZSTD", "LZ4_RAW" };
	return c >= 0 && c < 8 ? n[c] : "unknown";
}

/* ---- decoding ------------------------------------------------------------------- */

struct dec {
	struct thrift_in in;
	struct tarn_arena *arena;
	bool nomem;
};

static void *dalloc(struct dec *d, size_t n)
{
	void *p = tarn_arena_alloc(d->arena, n ? n : 1);
	if (!p) {
		d->nomem = true;
		thrift_fail(&d->in, "out of memory");
		return NULL;
	}
	memset(p, 0, n ? n : 1);
	return p;
}

static char *dstr(struct dec *d)
{
	size_t n;
	const uint8_t *p = thrift_binary(&d->in, &n);
	char *s = dalloc(d, n + 1);
	if (!s)
		return NULL;
	memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

/* A list header whose elements must be of `type`; the count is capped by
 * the bytes left over `min_bytes` per element. Returns -1 on a mismatch
 * (the list is skipped) or failure. */
static int64_t dlist(struct dec *d, int type, size_t min_bytes)
{
	const uint8_t *save = d->in.p;
	int et;
	int64_t n = thrift_list(&d->in, &et);
	if (d->in.bad)
		return -1;
	if (n > 0 && et != type) {
		d->in.p = save;
		thrift_skip(&d->in, THRIFT_LIST);
		return -1;
	}
	if ((uint64_t)n * min_bytes > (uint64_t)(d->in.end - d->in.p)) {
		thrift_fail(&d->in, "list count larger than the bytes left");
		return -1;
	}
	return n;
}

#define SKIP_UNLESS(t)                                 \
	if (f.type != (t)) {                           \
		thrift_skip(in, f.type);               \
		break;                                 \
	}
#define IS_BOOL (f.type == THRIFT_TRUE || f.type == THRIFT_FALSE)

static void dec_stats(struct dec *d, struct pq_stats *s)
{
	struct thrift_in *in = &d->in;
	struct thrift_field f;
	memset(s, 0, sizeof *s);
	s->null_count = s->distinct_count = s->nan_count = -1;
	s->min_exact = s->max_exact = -1;
	const uint8_t *lmin = NULL, *lmax = NULL;
	size_t lmin_len = 0, lmax_len = 0;
	bool has_vmin = false, has_vmax = false;
	if (!thrift_struct_begin(in, &f))
		return;
	while (thrift_next_field(in, &f)) {
		switch (f.id) {
		case 1: SKIP_UNLESS(THRIFT_BINARY) lmax = thrift_binary(in, &lmax_len); break;
		case 2: SKIP_UNLESS(THRIFT_BINARY) lmin = thrift_binary(in, &lmin_len); break;
		case 3: SKIP_UNLESS(THRIFT_I64) s->null_count = thrift_i64(in); break;
		case 4: SKIP_UNLESS(THRIFT_I64) s->distinct_count = thrift_i64(in); break;
		case 5:
			SKIP_UNLESS(THRIFT_BINARY)
			s->max = thrift_binary(in, &s->max_len);
			has_vmax = true;
			break;
		case 6:
			SKIP_UNLESS(THRIFT_BINARY)
			s->min = thrift_binary(in, &s->min_len);
			has_vmin = true;
			break;
		case 7:
			if (IS_BOOL)
				s->max_exact = thrift_bool_field(&f);
			else
				thrift_skip(in, f.type);
			break;
		case 8:
			if (IS_BOOL)
				s->min_exact = thrift_bool_field(&f);
			else
				thrift_skip(in, f.type);
			break;
		case 9: SKIP_UNLESS(THRIFT_I64) s->nan_count = thrift_i64(in); break;
		default: thrift_skip(in, f.type);
		}
	}
	thrift_struct_end(in);
	if (has_vmin || has_vmax) {
		s->has_min = has_vmin;
		s->has_max = has_vmax;
	} else if (lmin || lmax) {
		s->legacy = true;
		s->min = lmin;
		s->min_len = lmin_len;
		s->max = lmax;
		s->max_len = lmax_len;
		s->has_min = lmin != NULL;
		s->has_max = lmax != NULL;
	}
}

/* TimeUnit union: 1 MILLIS, 2 MICROS, 3 NANOS (each an empty struct). */
static int dec_time_unit(struct dec *d)
{
	struct thrift_in *in = &d->in;
	struct thrift_field f;
	int unit = 0;
	if (!thrift_struct_begin(in, &f))
		return 0;
	while (thrift_next_field(in, &f)) {
		if (f.type == THRIFT_STRUCT && f.id >= 1 && f.id <= 3)
			unit = f.id;
		thrift_skip(in, f.type);
	}
	thrift_struct_end(in);
	return unit;
}

static void dec_logical(struct dec *d, struct pq_logical *lt)
{
	struct thrift_in *in = &d->in;
	struct thrift_field f, g;
	memset(lt, 0, sizeof *lt);
	if (!thrift_struct_begin(in, &f))
		return;
	while (thrift_next_field(in, &f)) {
		if (f.type != THRIFT_STRUCT) {
			thrift_skip(in, f.type);
			continue;
		}
		if (lt->kind != PQ_LT_NONE) {
			/* A union holds one member; a second one is malformed, but
			 * the first wins rather than failing the whole file. */
			thrift_skip(in, f.type);
			continue;
		}
		switch (f.id) {
		case PQ_LT_DECIMAL:
			lt->kind = PQ_LT_DECIMAL;
			if (!thrift_struct_begin(in, &g))
				break;
			while (thrift_next_field(in, &g)) {
				if (g.id == 1 && g.type == THRIFT_I32)
					lt->scale = thrift_i32(in);
				else if (g.id == 2 && g.type == THRIFT_I32)
					lt->precision = thrift_i32(in);
				else
					thrift_skip(in, g.type);
			}
			thrift_struct_end(in);
			break;
		case PQ_LT_TIME:
		case PQ_LT_TIMESTAMP:
			lt->kind = f.id;
			if (!thrift_struct_begin(in, &g))
				break;
			while (thrift_next_field(in, &g)) {
				if (g.id == 1 && (g.type == THRIFT_TRUE || g.type == THRIFT_FALSE))
					lt->utc = thrift_bool_field(&g);
				else if (g.id == 2 && g.type == THRIFT_STRUCT)
					lt->unit = dec_time_unit(d);
				else
					thrift_skip(in, g.type);
			}
			thrift_struct_end(in);
			break;
		case PQ_LT_INTEGER:
			lt->kind = PQ_LT_INTEGER;
			lt->is_signed = true;
			if (!thrift_struct_begin(in, &g))
				break;
			while (thrift_next_field(in, &g)) {
				if (g.id == 1 && g.type == THRIFT_I8)
					lt->bit_width = thrift_i8(in);
				else if (g.id == 2 && (g.type == THRIFT_TRUE || g.type == THRIFT_FALSE))
					lt->is_signed = thrift_bool_field(&g);
				else
					thrift_skip(in, g.type);
			}
			thrift_struct_end(in);
			break;
		case PQ_LT_STRING:
		case PQ_LT_MAP:
		case PQ_LT_LIST:
		case PQ_LT_ENUM:
		case PQ_LT_DATE:
		case PQ_LT_UNKNOWN:
		case PQ_LT_JSON:
		case PQ_LT_BSON:
		case PQ_LT_UUID:
		case PQ_LT_FLOAT16:
		case PQ_LT_VARIANT:
		case PQ_LT_GEOMETRY:
		case PQ_LT_GEOGRAPHY:
			lt->kind = f.id;
			thrift_skip(in, f.type);
			break;
		default:
			lt->kind = PQ_LT_OTHER;
			thrift_skip(in, f.type);
			break;
		}
	}
	thrift_struct_end(in);
}

static void dec_schema_elem(struct dec *d, struct pq_schema_elem *e)
{
	struct thrift_in *in = &d->in;
	struct thrift_field f;
	e->type = -1;
	e->type_length = -1;
	e->repetition = -1;
	e->num_children = -1;
	e->converted = PQ_CT_NONE;
	e->scale = e->precision = -1;
	if (!thrift_struct_begin(in, &f))
		return;
	while (thrift_next_field(in, &f)) {
		switch (f.id) {
		case 1: SKIP_UNLESS(THRIFT_I32) e->type = thrift_i32(in); break;
		case 2: SKIP_UNLESS(THRIFT_I32) e->type_length = thrift_i32(in); break;
		case 3: SKIP_UNLESS(THRIFT_I32) e->repetition = thrift_i32(in); break;
		case 4: SKIP_UNLESS(THRIFT_BINARY) e->name = dstr(d); break;
		case 5: SKIP_UNLESS(THRIFT_I32) e->num_children = thrift_i32(in); break;
		case 6: SKIP_UNLESS(THRIFT_I32) e->converted = thrift_i32(in); break;
		case 7: SKIP_UNLESS(THRIFT_I32) e->scale = thrift_i32(in); break;
		case 8: SKIP_UNLESS(THRIFT_I32) e->precision = thrift_i32(in); break;
		case 9:
			SKIP_UNLESS(THRIFT_I32)
			e->field_id = thrift_i32(in);
			e->has_field_id = true;
			break;
		case 10: SKIP_UNLESS(THRIFT_STRUCT) dec_logical(d, &e->logical); break;
		default: thrift_skip(in, f.type);
		}
	}
	thrift_struct_end(in);
	if (!e->name)
		thrift_fail(in, "schema element without a name");
}

static void dec_kv_list(struct dec *d, int *n_out, struct pq_kv **out)
{
	struct thrift_in *in = &d->in;
	int64_t n = dlist(d, THRIFT_STRUCT, 3);
	if (n <= 0)
		return;
	struct pq_kv *kv = dalloc(d, (size_t)n * sizeof *kv);
	if (!kv)
		return;
	for (int64_t i = 0; i < n && !in->bad; i++) {
		struct thrift_field f;
		if (!thrift_struct_begin(in, &f))
			break;
		while (thrift_next_field(in, &f)) {
			if (f.id == 1 && f.type == THRIFT_BINARY)
				kv[i].key = dstr(d);
			else if (f.id == 2 && f.type == THRIFT_BINARY)
				kv[i].value = dstr(d);
			else
				thrift_skip(in, f.type);
		}
		thrift_struct_end(in);
		if (!kv[i].key)
			thrift_fail(in, "key/value metadata without a key");
	}
	*n_out = (int)n;
	*out = kv;
}

static void dec_column_meta(struct dec *d, struct pq_column_meta *c)
{
	struct thrift_in *in = &d->in;
	struct thrift_field f;
	unsigned seen = 0;
	c->index_page_offset = -1;
	c->dictionary_page_offset = -1;
	c->bloom_filter_offset = -1;
	c->bloom_filter_length = -1;
	if (!thrift_struct_begin(in, &f))
		return;
	while (thrift_next_field(in, &f)) {
		switch (f.id) {
		case 1: SKIP_UNLESS(THRIFT_I32) c->type = thrift_i32(in); seen |= 1u << 1; break;
		case 2: {
			SKIP_UNLESS(THRIFT_LIST)
			int64_t n = dlist(d, THRIFT_I32, 1);
			if (n < 0)
				break;
			c->encodings = dalloc(d, (size_t)n * sizeof *c->encodings);
			for (int64_t i = 0; i < n && c->encodings; i++)
				c->encodings[i] = thrift_i32(in);
			c->n_encodings = (int)n;
			seen |= 1u << 2;
			break;
		}
		case 3: {
			SKIP_UNLESS(THRIFT_LIST)
			int64_t n = dlist(d, THRIFT_BINARY, 1);
			if (n < 0)
				break;
			c->path = dalloc(d, (size_t)n * sizeof *c->path);
			for (int64_t i = 0; i < n && c->path; i++)
				c->path[i] = dstr(d);
			c->n_path = (int)n;
			seen |= 1u << 3;
			break;
		}
		case 4: SKIP_UNLESS(THRIFT_I32) c->codec = thrift_i32(in); seen |= 1u << 4; break;
		case 5: SKIP_UNLESS(THRIFT_I64) c->num_values = thrift_i64(in); seen |= 1u << 5; break;
		case 6:
			SKIP_UNLESS(THRIFT_I64)
			c->total_uncompressed_size = thrift_i64(in);
			seen |= 1u << 6;
			break;
		case 7:
			SKIP_UNLESS(THRIFT_I64)
			c->total_compressed_size = thrift_i64(in);
			seen |= 1u << 7;
			break;
		case 8: SKIP_UNLESS(THRIFT_LIST) dec_kv_list(d, &c->n_kv, &c->kv); break;
		case 9:
			SKIP_UNLESS(THRIFT_I64)
			c->data_page_offset = thrift_i64(in);
			seen |= 1u << 9;
			break;
		case 10: SKIP_UNLESS(THRIFT_I64) c->index_page_offset = thrift_i64(in); break;
		case 11: SKIP_UNLESS(THRIFT_I64) c->dictionary_page_offset = thrift_i64(in); break;
		case 12:
			SKIP_UNLESS(THRIFT_STRUCT)
			dec_stats(d, &c->stats);
			c->has_stats = true;
			break;
		case 13: {
			SKIP_UNLESS(THRIFT_LIST)
			int64_t n = dlist(d, THRIFT_STRUCT, 1);
			if (n < 0)
				break;
			c->enc_stats = dalloc(d, (size_t)n * sizeof *c->enc_stats);
			for (int64_t i = 0; i < n && c->enc_stats && !in->bad; i++) {
				struct thrift_field g;
				if (!thrift_struct_begin(in, &g))
					break;
				while (thrift_next_field(in, &g)) {
					if (g.type == THRIFT_I32 && g.id == 1)
						c->enc_stats[i].page_type = thrift_i32(in);
					else if (g.type == THRIFT_I32 && g.id == 2)
						c->enc_stats[i].encoding = thrift_i32(in);
					else if (g.type == THRIFT_I32 && g.id == 3)
						c->enc_stats[i].count = thrift_i32(in);
					else
						thrift_skip(in, g.type);
				}
				thrift_struct_end(in);
			}
			c->n_enc_stats = (int)n;
			break;
		}
		case 14: SKIP_UNLESS(THRIFT_I64) c->bloom_filter_offset = thrift_i64(in); break;
		case 15: SKIP_UNLESS(THRIFT_I32) c->bloom_filter_length = thrift_i32(in); break;
		default: thrift_skip(in, f.type);
		}
	}
	thrift_struct_end(in);
	unsigned required = (1u << 1) | (1u << 2) | (1u << 3) | (1u << 4) | (1u << 5) | (1u << 6) |
			    (1u << 7) | (1u << 9);
	if ((seen & required) != required)
		thrift_fail(in, "column metadata is missing required fields");
}

static void dec_column_chunk(struct dec *d, struct pq_column_chunk *c)
{
	struct thrift_in *in = &d->in;
	struct thrift_field f;
	c->offset_index_offset = -1;
	c->column_index_offset = -1;
	if (!thrift_struct_begin(in, &f))
		return;
	while (thrift_next_field(in, &f)) {
		switch (f.id) {
		case 1: SKIP_UNLESS(THRIFT_BINARY) c->file_path = dstr(d); break;
		case 2: SKIP_UNLESS(THRIFT_I64) c->file_offset = thrift_i64(in); break;
		case 3:
			SKIP_UNLESS(THRIFT_STRUCT)
			dec_column_meta(d, &c->meta);
			c->has_meta = true;
			break;
		case 4: SKIP_UNLESS(THRIFT_I64) c->offset_index_offset = thrift_i64(in); break;
		case 5: SKIP_UNLESS(THRIFT_I32) c->offset_index_length = thrift_i32(in); break;
		case 6: SKIP_UNLESS(THRIFT_I64) c->column_index_offset = thrift_i64(in); break;
		case 7: SKIP_UNLESS(THRIFT_I32) c->column_index_length = thrift_i32(in); break;
		case 8:
		case 9:
			c->encrypted = true;
			thrift_skip(in, f.type);
			break;
		default: thrift_skip(in, f.type);
		}
	}
	thrift_struct_end(in);
	if (!c->has_meta && !c->encrypted)
		thrift_fail(in, "column chunk without metadata");
}

static void dec_row_group(struct dec *d, struct pq_row_group *g)
{
	struct thrift_in *in = &d->in;
	struct thrift_field f;
	unsigned seen = 0;
	g->file_offset = -1;
	g->total_compressed_size = -1;
	g->ordinal = -1;
	if (!thrift_struct_begin(in, &f))
		return;
	while (thrift_next_field(in, &f)) {
		switch (f.id) {
		case 1: {
			SKIP_UNLESS(THRIFT_LIST)
			/* A chunk needs its metadata: a dozen bytes at the least. */
			int64_t n = dlist(d, THRIFT_STRUCT, 12);
			if (n < 0)
				break;
			g->columns = dalloc(d, (size_t)n * sizeof *g->columns);
			for (int64_t i = 0; i < n && g->columns && !in->bad; i++)
				dec_column_chunk(d, &g->columns[i]);
			g->n_columns = (int)n;
			seen |= 2;
			break;
		}
		case 2: SKIP_UNLESS(THRIFT_I64) g->total_byte_size = thrift_i64(in); break;
		case 3: SKIP_UNLESS(THRIFT_I64) g->num_rows = thrift_i64(in); seen |= 8; break;
		case 4: {
			SKIP_UNLESS(THRIFT_LIST)
			int64_t n = dlist(d, THRIFT_STRUCT, 1);
			if (n < 0)
				break;
			g->sorting = dalloc(d, (size_t)n * sizeof *g->sorting);
			for (int64_t i = 0; i < n && g->sorting && !in->bad; i++) {
				struct thrift_field h;
				if (!thrift_struct_begin(in, &h))
					break;
				while (thrift_next_field(in, &h)) {
					if (h.id == 1 && h.type == THRIFT_I32)
						g->sorting[i].column_idx = thrift_i32(in);
					else if (h.id == 2 && h.type != THRIFT_I32 &&
						 (h.type == THRIFT_TRUE || h.type == THRIFT_FALSE))
						g->sorting[i].descending = thrift_bool_field(&h);
					else if (h.id == 3 &&
						 (h.type == THRIFT_TRUE || h.type == THRIFT_FALSE))
						g->sorting[i].nulls_first = thrift_bool_field(&h);
					else
						thrift_skip(in, h.type);
				}
				thrift_struct_end(in);
			}
			g->n_sorting = (int)n;
			break;
		}
		case 5: SKIP_UNLESS(THRIFT_I64) g->file_offset = thrift_i64(in); break;
		case 6: SKIP_UNLESS(THRIFT_I64) g->total_compressed_size = thrift_i64(in); break;
		case 7: SKIP_UNLESS(THRIFT_I16) g->ordinal = thrift_i32(in); break;
		default: thrift_skip(in, f.type);
		}
	}
	thrift_struct_end(in);
	if ((seen & 10) != 10)
		thrift_fail(in, "row group is missing its columns or row count");
}

tarn_rc pq_file_meta_decode(const uint8_t *p, size_t n, struct pq_file_meta *m, const char *file,
			    int64_t footer_pos, struct tarn_err *err)
{
	memset(m, 0, sizeof *m);
	tarn_arena_init(&m->arena, 64 * 1024);
	struct dec d = { .arena = &m->arena };
	thrift_in_init(&d.in, p, n);
	struct thrift_in *in = &d.in;
	struct thrift_field f;
	unsigned seen = 0;
	if (thrift_struct_begin(in, &f)) {
		while (thrift_next_field(in, &f)) {
			switch (f.id) {
			case 1: SKIP_UNLESS(THRIFT_I32) m->version = thrift_i32(in); break;
			case 2: {
				SKIP_UNLESS(THRIFT_LIST)
				int64_t k = dlist(&d, THRIFT_STRUCT, 3);
				if (k < 0)
					break;
				m->schema = dalloc(&d, (size_t)k * sizeof *m->schema);
				for (int64_t i = 0; i < k && m->schema && !in->bad; i++)
					dec_schema_elem(&d, &m->schema[i]);
				m->n_schema = (int)k;
				seen |= 4;
				break;
			}
			case 3: SKIP_UNLESS(THRIFT_I64) m->num_rows = thrift_i64(in); break;
			case 4: {
				SKIP_UNLESS(THRIFT_LIST)
				int64_t k = dlist(&d, THRIFT_STRUCT, 5);
				if (k < 0)
					break;
				m->row_groups = dalloc(&d, (size_t)k * sizeof *m->row_groups);
				for (int64_t i = 0; i < k && m->row_groups && !in->bad; i++)
					dec_row_group(&d, &m->row_groups[i]);
				m->n_row_groups = (int)k;
				seen |= 16;
				break;
			}
			case 5: SKIP_UNLESS(THRIFT_LIST) dec_kv_list(&d, &m->n_kv, &m->kv); break;
			case 6: SKIP_UNLESS(THRIFT_BINARY) m->created_by = dstr(&d); break;
			case 7: {
				SKIP_UNLESS(THRIFT_LIST)
				int64_t k = dlist(&d, THRIFT_STRUCT, 1);
				if (k < 0)
					break;
				m->column_orders = dalloc(&d, (size_t)k * sizeof *m->column_orders);
				for (int64_t i = 0; i < k && m->column_orders && !in->bad; i++) {
					struct thrift_field g;
					if (!thrift_struct_begin(in, &g))
						break;
					while (thrift_next_field(in, &g)) {
						if (g.type == THRIFT_STRUCT)
							m->column_orders[i] = g.id;
						thrift_skip(in, g.type);
					}
					thrift_struct_end(in);
				}
				m->n_column_orders = (int)k;
				break;
			}
			case 8:
				m->encrypted = true;
				thrift_skip(in, f.type);
				break;
			default: thrift_skip(in, f.type);
			}
		}
		thrift_struct_end(in);
	}
	if (!in->bad && (seen & 20) != 20)
		thrift_fail(in, "file metadata is missing its schema or row groups");
	if (d.nomem)
		return tarn_err_nomem(err, "Parquet footer");
	if (in->bad)
		return tarn_err_set(err, TARN_EDATA,
				    "%s: corrupt Parquet footer: %s (byte offset %lld)", file,
				    in->why, (long long)(footer_pos + (int64_t)in->bad_at));
	return TARN_OK;
}

void pq_file_meta_free(struct pq_file_meta *m)
{
	tarn_arena_free(&m->arena);
	memset(m, 0, sizeof *m);
}

tarn_rc pq_page_header_decode(const uint8_t *p, size_t n, struct pq_page_header *h, size_t *used,
			      const char **why)
{
	memset(h, 0, sizeof *h);
	h->is_compressed = true;
	h->type = -1;
	struct dec d = { 0 };
	thrift_in_init(&d.in, p, n);
	struct thrift_in *in = &d.in;
	struct thrift_field f, g;
	unsigned seen = 0;
	if (thrift_struct_begin(in, &f)) {
		while (thrift_next_field(in, &f)) {
			switch (f.id) {
			case 1: SKIP_UNLESS(THRIFT_I32) h->type = thrift_i32(in); seen |= 2; break;
			case 2:
				SKIP_UNLESS(THRIFT_I32)
				h->uncompressed_size = thrift_i32(in);
				seen |= 4;
				break;
			case 3:
				SKIP_UNLESS(THRIFT_I32)
				h->compressed_size = thrift_i32(in);
				seen |= 8;
				break;
			case 4:
				SKIP_UNLESS(THRIFT_I32)
				h->crc = (uint32_t)thrift_i32(in);
				h->has_crc = true;
				break;
			case 5: /* DataPageHeader */
				SKIP_UNLESS(THRIFT_STRUCT)
				if (!thrift_struct_begin(in, &g))
					break;
				h->has_body |= h->type == PQ_DATA_PAGE;
				while (thrift_next_field(in, &g)) {
					if (g.id == 1 && g.type == THRIFT_I32)
						h->num_values = thrift_i32(in);
					else if (g.id == 2 && g.type == THRIFT_I32)
						h->encoding = thrift_i32(in);
					else if (g.id == 3 && g.type == THRIFT_I32)
						h->def_encoding = thrift_i32(in);
					else if (g.id == 4 && g.type == THRIFT_I32)
						h->rep_encoding = thrift_i32(in);
					else if (g.id == 5 && g.type == THRIFT_STRUCT) {
						dec_stats(&d, &h->stats);
						h->has_stats = true;
					} else
						thrift_skip(in, g.type);
				}
				thrift_struct_end(in);
				break;
			case 7: /* DictionaryPageHeader */
				SKIP_UNLESS(THRIFT_STRUCT)
				if (!thrift_struct_begin(in, &g))
					break;
				h->has_body |= h->type == PQ_DICTIONARY_PAGE;
				while (thrift_next_field(in, &g)) {
					if (g.id == 1 && g.type == THRIFT_I32)
						h->dict_num_values = thrift_i32(in);
					else if (g.id == 2 && g.type == THRIFT_I32)
						h->dict_encoding = thrift_i32(in);
					else if (g.id == 3 &&
						 (g.type == THRIFT_TRUE || g.type == THRIFT_FALSE))
						h->dict_sorted = thrift_bool_field(&g);
					else
						thrift_skip(in, g.type);
				}
				thrift_struct_end(in);
				break;
			case 8: /* DataPageHeaderV2 */
				SKIP_UNLESS(THRIFT_STRUCT)
				if (!thrift_struct_begin(in, &g))
					break;
				h->has_body |= h->type == PQ_DATA_PAGE_V2;
				while (thrift_next_field(in, &g)) {
					bool isb = g.type == THRIFT_TRUE || g.type == THRIFT_FALSE;
					if (g.id == 1 && g.type == THRIFT_I32)
						h->num_values = thrift_i32(in);
					else if (g.id == 2 && g.type == THRIFT_I32)
						h->num_nulls = thrift_i32(in);
					else if (g.id == 3 && g.type == THRIFT_I32)
						h->num_rows = thrift_i32(in);
					else if (g.id == 4 && g.type == THRIFT_I32)
						h->encoding = thrift_i32(in);
					else if (g.id == 5 && g.type == THRIFT_I32)
						h->def_len = thrift_i32(in);
					else if (g.id == 6 && g.type == THRIFT_I32)
						h->rep_len = thrift_i32(in);
					else if (g.id == 7 && isb)
						h->is_compressed = thrift_bool_field(&g);
					else if (g.id == 8 && g.type == THRIFT_STRUCT) {
						dec_stats(&d, &h->stats);
						h->has_stats = true;
					} else
						thrift_skip(in, g.type);
				}
				thrift_struct_end(in);
				break;
			default: thrift_skip(in, f.type);
			}
		}
		thrift_struct_end(in);
	}
	if (!in->bad && (seen & 14) != 14)
		thrift_fail(in, "page header is missing its type or sizes");
	if (in->bad) {
		*why = in->why;
		return TARN_EDATA;
	}
	*used = thrift_offset(in);
	return TARN_OK;
}

/* ---- page index --------------------------------------------------------------------- */

tarn_rc pq_offset_index_decode(const uint8_t *p, size_t n, struct tarn_arena *arena,
			       struct pq_offset_index *out, const char **why)
{
	memset(out, 0, sizeof *out);
	struct dec d = { .arena = arena };
	thrift_in_init(&d.in, p, n);
	struct thrift_in *in = &d.in;
	struct thrift_field f;
	bool seen = false;
	if (thrift_struct_begin(in, &f)) {
		while (thrift_next_field(in, &f)) {
			if (f.id != 1 || f.type != THRIFT_LIST || seen) {
				thrift_skip(in, f.type);
				continue;
			}
			int64_t k = dlist(&d, THRIFT_STRUCT, 4);
			if (k < 0)
				break;
			if (k > INT32_MAX) {
				thrift_fail(in, "too many page locations");
				break;
			}
			out->locs = dalloc(&d, (size_t)k * sizeof *out->locs);
			for (int64_t i = 0; i < k && out->locs && !in->bad; i++) {
				struct pq_page_loc *l = &out->locs[i];
				struct thrift_field g;
				unsigned got = 0;
				l->offset = l->first_row = -1;
				if (!thrift_struct_begin(in, &g))
					break;
				while (thrift_next_field(in, &g)) {
					if (g.id == 1 && g.type == THRIFT_I64)
						l->offset = thrift_i64(in), got |= 1;
					else if (g.id == 2 && g.type == THRIFT_I32)
						l->size = thrift_i32(in), got |= 2;
					else if (g.id == 3 && g.type == THRIFT_I64)
						l->first_row = thrift_i64(in), got |= 4;
					else
						thrift_skip(in, g.type);
				}
				thrift_struct_end(in);
				if (!in->bad && (got != 7 || l->offset < 0 || l->size <= 0 ||
						 l->first_row < 0))
					thrift_fail(in, "page location missing or out of range");
			}
			out->n = (int)k;
			seen = true;
		}
		thrift_struct_end(in);
	}
	if (!in->bad && !seen)
		thrift_fail(in, "offset index without page locations");
	if (in->bad) {
		*why = in->why;
		return d.nomem ? TARN_ENOMEM : TARN_EDATA;
	}
	return TARN_OK;
}

tarn_rc pq_column_index_decode(const uint8_t *p, size_t n, struct tarn_arena *arena,
			       struct pq_column_index *out, const char **why)
{
	memset(out, 0, sizeof *out);
	struct dec d = { .arena = arena };
	thrift_in_init(&d.in, p, n);
	struct thrift_in *in = &d.in;
	struct thrift_field f;
	int64_t counts[4] = { -1, -1, -1, -1 }; /* null_pages, min, max, null_counts */
	if (thrift_struct_begin(in, &f)) {
		while (thrift_next_field(in, &f) && !in->bad) {
			int id = f.id;
			if (id == 4 && f.type == THRIFT_I32) {
				out->boundary = thrift_i32(in);
				continue;
			}
			int want = id == 1 ? THRIFT_BOOL : id == 2 || id == 3 ? THRIFT_BINARY
							 : id == 5 ? THRIFT_I64 : -1;
			int slot = id == 5 ? 3 : id - 1;
			if (want < 0 || f.type != THRIFT_LIST || counts[slot] >= 0) {
				thrift_skip(in, f.type);
				continue;
			}
			int64_t k;
			if (id == 1) {
				/* Bool list elements: Java and C++ Thrift tag them 1
				 * (BOOLEAN_TRUE), others 2. */
				int et;
				k = thrift_list(in, &et);
				if (!in->bad && k > 0 && et != 1 && et != 2)
					thrift_fail(in, "null_pages is not a list of booleans");
				if (!in->bad && (uint64_t)k > (uint64_t)(in->end - in->p))
					thrift_fail(in, "list count larger than the bytes left");
				if (in->bad)
					break;
			} else {
				k = dlist(&d, want, 1);
			}
			if (k < 0)
				break;
			if (k > INT32_MAX) {
				thrift_fail(in, "too many pages");
				break;
			}
			counts[slot] = k;
			size_t m = (size_t)k;
			if (id == 1) {
				out->null_pages = dalloc(&d, m * sizeof *out->null_pages);
				for (size_t i = 0; i < m && out->null_pages && !in->bad; i++)
					out->null_pages[i] = thrift_bool_elem(in);
			} else if (id == 5) {
				out->null_counts = dalloc(&d, m * sizeof *out->null_counts);
				for (size_t i = 0; i < m && out->null_counts && !in->bad; i++)
					out->null_counts[i] = thrift_i64(in);
			} else {
				const uint8_t **v = dalloc(&d, m * sizeof *v);
				size_t *len = dalloc(&d, m * sizeof *len);
				for (size_t i = 0; i < m && v && len && !in->bad; i++)
					v[i] = thrift_binary(in, &len[i]);
				if (id == 2)
					out->min = v, out->min_len = len;
				else
					out->max = v, out->max_len = len;
			}
		}
		thrift_struct_end(in);
	}
	if (!in->bad && (counts[0] < 0 || counts[1] != counts[0] || counts[2] != counts[0] ||
			 (counts[3] >= 0 && counts[3] != counts[0])))
		thrift_fail(in, "column index lists missing or of different lengths");
	if (!in->bad && (out->boundary < 0 || out->boundary > 2))
		thrift_fail(in, "bad boundary order");
	if (in->bad) {
		*why = in->why;
		return d.nomem ? TARN_ENOMEM : TARN_EDATA;
	}
	out->n = (int)counts[0];
	return TARN_OK;
}

/* ---- encoding ------------------------------------------------------------------- */

void pq_stats_encode(struct thrift_out *o, int16_t id, const struct pq_stats *s)
{
	thrift_w_struct_begin(o, id);
	if (s->legacy) {
		if (s->has_max)
			thrift_w_binary(o, 1, s->max, s->max_len);
		if (s->has_min)
			thrift_w_binary(o, 2, s->min, s->min_len);
	}
	if (s->null_count >= 0)
		thrift_w_i64(o, 3, s->null_count);
	if (s->distinct_count >= 0)
		thrift_w_i64(o, 4, s->distinct_count);
	if (s->has_max)
		thrift_w_binary(o, 5, s->max, s->max_len);
	if (s->has_min)
		thrift_w_binary(o, 6, s->min, s->min_len);
	if (s->max_exact >= 0)
		thrift_w_bool(o, 7, s->max_exact);
	if (s->min_exact >= 0)
		thrift_w_bool(o, 8, s->min_exact);
	if (s->nan_count >= 0)
		thrift_w_i64(o, 9, s->nan_count);
	thrift_w_struct_end(o);
}

static void enc_empty_member(struct thrift_out *o, int16_t id)
{
	thrift_w_struct_begin(o, id);
	thrift_w_struct_end(o);
}

static void enc_logical(struct thrift_out *o, const struct pq_logical *lt)
{
	thrift_w_struct_begin(o, 10);
	switch (lt->kind) {
	case PQ_LT_DECIMAL:
		thrift_w_struct_begin(o, PQ_LT_DECIMAL);
		thrift_w_i32(o, 1, lt->scale);
		thrift_w_i32(o, 2, lt->precision);
		thrift_w_struct_end(o);
		break;
	case PQ_LT_TIME:
	case PQ_LT_TIMESTAMP:
		thrift_w_struct_begin(o, (int16_t)lt->kind);
		thrift_w_bool(o, 1, lt->utc);
		thrift_w_struct_begin(o, 2);
		enc_empty_member(o, (int16_t)lt->unit);
		thrift_w_struct_end(o);
		thrift_w_struct_end(o);
		break;
	case PQ_LT_INTEGER:
		thrift_w_struct_begin(o, PQ_LT_INTEGER);
		thrift_w_i8(o, 1, (int8_t)lt->bit_width);
		thrift_w_bool(o, 2, lt->is_signed);
		thrift_w_struct_end(o);
		break;
	default: enc_empty_member(o, (int16_t)lt->kind); break;
	}
	thrift_w_struct_end(o);
}

static void enc_kv(struct thrift_out *o, int16_t id, int n, const struct pq_kv *kv)
{
	thrift_w_list(o, id, THRIFT_STRUCT, n);
	for (int i = 0; i < n; i++) {
		thrift_e_struct_begin(o);
		thrift_w_binary(o, 1, kv[i].key, strlen(kv[i].key));
		if (kv[i].value)
			thrift_w_binary(o, 2, kv[i].value, strlen(kv[i].value));
		thrift_w_struct_end(o);
	}
}

static void enc_column_meta(struct thrift_out *o, const struct pq_column_meta *c)
{
	thrift_w_struct_begin(o, 3);
	thrift_w_i32(o, 1, c->type);
	thrift_w_list(o, 2, THRIFT_I32, c->n_encodings);
	for (int i = 0; i < c->n_encodings; i++)
		thrift_e_i32(o, c->encodings[i]);
	thrift_w_list(o, 3, THRIFT_BINARY, c->n_path);
	for (int i = 0; i < c->n_path; i++)
		thrift_e_binary(o, c->path[i], strlen(c->path[i]));
	thrift_w_i32(o, 4, c->codec);
	thrift_w_i64(o, 5, c->num_values);
	thrift_w_i64(o, 6, c->total_uncompressed_size);
	thrift_w_i64(o, 7, c->total_compressed_size);
	if (c->n_kv)
		enc_kv(o, 8, c->n_kv, c->kv);
	thrift_w_i64(o, 9, c->data_page_offset);
	if (c->index_page_offset >= 0)
		thrift_w_i64(o, 10, c->index_page_offset);
	if (c->dictionary_page_offset >= 0)
		thrift_w_i64(o, 11, c->dictionary_page_offset);
	if (c->has_stats)
		pq_stats_encode(o, 12, &c->stats);
	if (c->n_enc_stats) {
		thrift_w_list(o, 13, THRIFT_STRUCT, c->n_enc_stats);
		for (int i = 0; i < c->n_enc_stats; i++) {
			thrift_e_struct_begin(o);
			thrift_w_i32(o, 1, c->enc_stats[i].page_type);
			thrift_w_i32(o, 2, c->enc_stats[i].encoding);
			thrift_w_i32(o, 3, c->enc_stats[i].count);
			thrift_w_struct_end(o);
		}
	}
	if (c->bloom_filter_offset >= 0)
		thrift_w_i64(o, 14, c->bloom_filter_offset);
	if (c->bloom_filter_length >= 0)
		thrift_w_i32(o, 15, c->bloom_filter_length);
	thrift_w_struct_end(o);
}

void pq_file_meta_encode(struct thrift_out *o, const struct pq_file_meta *m)
{
	thrift_w_root_begin(o);
	thrift_w_i32(o, 1, m->version);
	thrift_w_list(o, 2, THRIFT_STRUCT, m->n_schema);
	for (int i = 0; i < m->n_schema; i++) {
		const struct pq_schema_elem *e = &m->schema[i];
		thrift_e_struct_begin(o);
		if (e->type >= 0)
			thrift_w_i32(o, 1, e->type);
		if (e->type_length >= 0)
			thrift_w_i32(o, 2, e->type_length);
		if (e->repetition >= 0)
			thrift_w_i32(o, 3, e->repetition);
		thrift_w_binary(o, 4, e->name, strlen(e->name));
		if (e->num_children >= 0)
			thrift_w_i32(o, 5, e->num_children);
		if (e->converted != PQ_CT_NONE)
			thrift_w_i32(o, 6, e->converted);
		if (e->scale >= 0)
			thrift_w_i32(o, 7, e->scale);
		if (e->precision >= 0)
			thrift_w_i32(o, 8, e->precision);
		if (e->has_field_id)
			thrift_w_i32(o, 9, e->field_id);
		if (e->logical.kind != PQ_LT_NONE)
			enc_logical(o, &e->logical);
		thrift_w_struct_end(o);
	}
	thrift_w_i64(o, 3, m->num_rows);
	thrift_w_list(o, 4, THRIFT_STRUCT, m->n_row_groups);
	for (int i = 0; i < m->n_row_groups; i++) {
		const struct pq_row_group *g = &m->row_groups[i];
		thrift_e_struct_begin(o);
		thrift_w_list(o, 1, THRIFT_STRUCT, g->n_columns);
		for (int c = 0; c < g->n_columns; c++) {
			const struct pq_column_chunk *cc = &g->columns[c];
			thrift_e_struct_begin(o);
			thrift_w_i64(o, 2, cc->file_offset);
			enc_column_meta(o, &cc->meta);
			if (cc->offset_index_offset >= 0) {
				thrift_w_i64(o, 4, cc->offset_index_offset);
				thrift_w_i32(o, 5, cc->offset_index_length);
			}
			if (cc->column_index_offset >= 0) {
				thrift_w_i64(o, 6, cc->column_index_offset);
				thrift_w_i32(o, 7, cc->column_index_length);
			}
			thrift_w_struct_end(o);
		}
		thrift_w_i64(o, 2, g->total_byte_size);
		thrift_w_i64(o, 3, g->num_rows);
		if (g->file_offset >= 0)
			thrift_w_i64(o, 5, g->file_offset);
		if (g->total_compressed_size >= 0)
			thrift_w_i64(o, 6, g->total_compressed_size);
		if (g->ordinal >= 0)
			thrift_w_field(o, THRIFT_I16, 7), thrift_e_i32(o, g->ordinal);
		thrift_w_struct_end(o);
	}
	if (m->n_kv)
		enc_kv(o, 5, m->n_kv, m->kv);
	if (m->created_by)
		thrift_w_binary(o, 6, m->created_by, strlen(m->created_by));
	if (m->n_column_orders) {
		thrift_w_list(o, 7, THRIFT_STRUCT, m->n_column_orders);
		for (int i = 0; i < m->n_column_orders; i++) {
			thrift_e_struct_begin(o);
			enc_empty_member(o, (int16_t)m->column_orders[i]);
			thrift_w_struct_end(o);
		}
	}
	thrift_w_root_end(o);
}

void pq_page_header_encode(struct thrift_out *o, const struct pq_page_header *h)
{
	thrift_w_root_begin(o);
	thrift_w_i32(o, 1, h->type);
	thrift_w_i32(o, 2, h->uncompressed_size);
	thrift_w_i32(o, 3, h->compressed_size);
	if (h->has_crc)
		thrift_w_i32(o, 4, (int32_t)h->crc);
	switch (h->type) {
	case PQ_DATA_PAGE:
		thrift_w_struct_begin(o, 5);
		thrift_w_i32(o, 1, h->num_values);
		thrift_w_i32(o, 2, h->encoding);
		thrift_w_i32(o, 3, h->def_encoding);
		thrift_w_i32(o, 4, h->rep_encoding);
		if (h->has_stats)
			pq_stats_encode(o, 5, &h->stats);
		thrift_w_struct_end(o);
		break;
	case PQ_DICTIONARY_PAGE:
		thrift_w_struct_begin(o, 7);
		thrift_w_i32(o, 1, h->dict_num_values);
		thrift_w_i32(o, 2, h->dict_encoding);
		if (h->dict_sorted)
			thrift_w_bool(o, 3, true);
		thrift_w_struct_end(o);
		break;
	case PQ_DATA_PAGE_V2:
		thrift_w_struct_begin(o, 8);
		thrift_w_i32(o, 1, h->num_values);
		thrift_w_i32(o, 2, h->num_nulls);
		thrift_w_i32(o, 3, h->num_rows);
		thrift_w_i32(o, 4, h->encoding);
		thrift_w_i32(o, 5, h->def_len);
		thrift_w_i32(o, 6, h->rep_len);
		if (!h->is_compressed)
			thrift_w_bool(o, 7, false);
		if (h->has_stats)
			pq_stats_encode(o, 8, &h->stats);
		thrift_w_struct_end(o);
		break;
	}
	thrift_w_root_end(o);
}

void pq_offset_index_encode(struct thrift_out *o, const struct pq_offset_index *x)
{
	thrift_w_root_begin(o);
	thrift_w_list(o, 1, THRIFT_STRUCT, x->n);
	for (int i = 0; i < x->n; i++) {
		thrift_e_struct_begin(o);
		thrift_w_i64(o, 1, x->locs[i].offset);
		thrift_w_i32(o, 2, x->locs[i].size);
		thrift_w_i64(o, 3, x->locs[i].first_row);
		thrift_w_struct_end(o);
	}
	thrift_w_root_end(o);
}

void pq_column_index_encode(struct thrift_out *o, const struct pq_column_index *x)
{
	thrift_w_root_begin(o);
	thrift_w_list(o, 1, THRIFT_BOOL, x->n);
	for (int i = 0; i < x->n; i++)
		thrift_e_bool(o, x->null_pages[i]);
	thrift_w_list(o, 2, THRIFT_BINARY, x->n);
	for (int i = 0; i < x->n; i++)
		thrift_e_binary(o, x->min[i], x->min_len[i]);
	thrift_w_list(o, 3, THRIFT_BINARY, x->n);
	for (int i = 0; i < x->n; i++)
		thrift_e_binary(o, x->max[i], x->max_len[i]);
	thrift_w_i32(o, 4, x->boundary);
	if (x->null_counts) {
		thrift_w_list(o, 5, THRIFT_I64, x->n);
		for (int i = 0; i < x->n; i++)
			thrift_e_i64(o, x->null_counts[i]);
	}
	thrift_w_root_end(o);
}
