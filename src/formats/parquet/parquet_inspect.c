/*
 * parquet_inspect.c — a Parquet file's metadata as text or JSON, for
 * `tarn meta FILE.parquet`: file-level facts, the schema (physical and
 * logical types, repetition, tarn's type), and per row group every column
 * chunk's codec, encodings, sizes, offsets and statistics (min/max printed
 * in the column's tarn type).
 *
 * Relies on parquet_meta.c (footer), parquet_schema.c (tarn types) and the
 * PLAIN decoder (statistics values). Thread-safety: none needed.
 */
#include <stdio.h>
#include <string.h>

#include "base/err.h"
#include "columnar/text.h"
#include "formats/parquet/parquet_int.h"

static const char *repetition_name(int r)
{
	switch (r) {
	case PQ_REQUIRED: return "required";
	case PQ_OPTIONAL: return "optional";
	case PQ_REPEATED: return "repeated";
	}
	return "";
}

static const char *logical_name(const struct pq_logical *lt)
{
	static const char *const n[] = {
		[PQ_LT_STRING] = "STRING",     [PQ_LT_MAP] = "MAP",         [PQ_LT_LIST] = "LIST",
		[PQ_LT_ENUM] = "ENUM",         [PQ_LT_DECIMAL] = "DECIMAL", [PQ_LT_DATE] = "DATE",
		[PQ_LT_TIME] = "TIME",         [PQ_LT_TIMESTAMP] = "TIMESTAMP",
		[PQ_LT_INTEGER] = "INTEGER",   [PQ_LT_UNKNOWN] = "UNKNOWN", [PQ_LT_JSON] = "JSON",
		[PQ_LT_BSON] = "BSON",         [PQ_LT_UUID] = "UUID",       [PQ_LT_FLOAT16] = "FLOAT16",
		[PQ_LT_VARIANT] = "VARIANT",   [PQ_LT_GEOMETRY] = "GEOMETRY",
		[PQ_LT_GEOGRAPHY] = "GEOGRAPHY",
	};
	if (lt->kind == PQ_LT_OTHER)
		return "(unknown)";
	if (lt->kind > 0 && lt->kind < (int)(sizeof n / sizeof n[0]) && n[lt->kind])
		return n[lt->kind];
	return NULL;
}

static const char *converted_name(int c)
{
	static const char *const n[] = {
		"UTF8",       "MAP",        "MAP_KEY_VALUE", "LIST",        "ENUM",
		"DECIMAL",    "DATE",       "TIME_MILLIS",   "TIME_MICROS", "TIMESTAMP_MILLIS",
		"TIMESTAMP_MICROS", "UINT_8", "UINT_16",     "UINT_32",     "UINT_64",
		"INT_8",      "INT_16",     "INT_32",        "INT_64",      "JSON",
		"BSON",       "INTERVAL",
	};
	return c >= 0 && c < (int)(sizeof n / sizeof n[0]) ? n[c] : NULL;
}

/* The logical annotation with its parameters, e.g. TIMESTAMP(MICROS, UTC). */
static tarn_rc logical_text(const struct pq_schema_elem *e, struct tarn_buf *b)
{
	const struct pq_logical *lt = &e->logical;
	const char *name = logical_name(lt);
	static const char *const units[] = { "", "MILLIS", "MICROS", "NANOS" };
	if (!name)
		return TARN_OK;
	switch (lt->kind) {
	case PQ_LT_DECIMAL: return tarn_buf_printf(b, "DECIMAL(%d,%d)", lt->precision, lt->scale);
	case PQ_LT_TIME:
	case PQ_LT_TIMESTAMP:
		return tarn_buf_printf(b, "%s(%s%s)", name, units[lt->unit & 3],
				       lt->utc ? ", UTC" : "");
	case PQ_LT_INTEGER:
		return tarn_buf_printf(b, "INTEGER(%d, %s)", lt->bit_width,
				       lt->is_signed ? "signed" : "unsigned");
	default: return tarn_buf_printf(b, "%s", name);
	}
}

/* A statistics value decoded as the leaf's tarn type and printed; falls back
 * to hex when it does not decode. */
static tarn_rc stat_text(const struct pq_leaf *lf, const uint8_t *p, size_t n, bool json,
			 struct tarn_buf *out)
{
	struct tarn_buf plain;
	tarn_buf_init(&plain);
	tarn_rc rc = TARN_OK;
	if (lf->phys == PQ_BYTE_ARRAY) {
		uint32_t len = (uint32_t)n;
		rc = tarn_buf_append(&plain, &len, 4);
		if (rc == TARN_OK)
			rc = tarn_buf_append(&plain, p, n);
	} else {
		rc = tarn_buf_append(&plain, p, n);
	}
	struct tarn_array *a = NULL;
	const char *why;
	if (rc == TARN_OK && lf->conv != PQ_CV_NULL &&
	    pq_dict_decode(lf, (const uint8_t *)(plain.data ? plain.data : ""), plain.len, 1, &a,
			   &why) == TARN_OK &&
	    a->length == 1) {
		rc = tarn_value_to_text(a, 0, json, out);
	} else if (rc == TARN_OK) {
		if (json)
			rc = tarn_buf_putc(out, '"');
		for (size_t i = 0; i < n && rc == TARN_OK; i++)
			rc = tarn_buf_printf(out, "%02x", p[i]);
		if (json && rc == TARN_OK)
			rc = tarn_buf_putc(out, '"');
	}
	tarn_array_free(a);
	tarn_buf_free(&plain);
	return rc;
}

static tarn_rc json_str(struct tarn_buf *b, const char *s)
{
	return tarn_json_quote((const uint8_t *)s, strlen(s), b);
}

static tarn_rc path_text(const struct pq_column_meta *cm, struct tarn_buf *b)
{
	for (int i = 0; i < cm->n_path; i++)
		TRY(tarn_buf_printf(b, "%s%s", i ? "." : "", cm->path[i]));
	return TARN_OK;
}

static tarn_rc describe(const char *name, size_t size, const struct pq_file_meta *m,
			const struct pq_schema *s, bool json, struct tarn_buf *b)
{
	int n_leaves = s->n_leaves;
	if (json) {
		TRY(tarn_buf_append(b, "{\"file\":", 8));
		TRY(json_str(b, name));
		TRY(tarn_buf_printf(b, ",\"bytes\":%zu,\"version\":%d,\"num_rows\":%lld", size,
				    m->version, (long long)m->num_rows));
		TRY(tarn_buf_append(b, ",\"created_by\":", 14));
		TRY(m->created_by ? json_str(b, m->created_by) : tarn_buf_append(b, "null", 4));
		TRY(tarn_buf_append(b, ",\"key_value_metadata\":{", 23));
		for (int i = 0; i < m->n_kv; i++) {
			TRY(tarn_buf_printf(b, "%s", i ? "," : ""));
			TRY(json_str(b, m->kv[i].key));
			TRY(tarn_buf_putc(b, ':'));
			TRY(m->kv[i].value ? json_str(b, m->kv[i].value) : tarn_buf_append(b, "null", 4));
		}
		TRY(tarn_buf_append(b, "},\"schema\":[", 12));
		for (int i = 1; i < m->n_schema; i++) {
			const struct pq_schema_elem *e = &m->schema[i];
			TRY(tarn_buf_printf(b, "%s{\"name\":", i > 1 ? "," : ""));
			TRY(json_str(b, e->name));
			TRY(tarn_buf_printf(b, ",\"repetition\":\"%s\"", repetition_name(e->repetition)));
			if (e->type >= 0)
				TRY(tarn_buf_printf(b, ",\"physical\":\"%s\"", pq_phys_name(e->type)));
			if (e->num_children >= 0)
				TRY(tarn_buf_printf(b, ",\"children\":%d", e->num_children));
			if (e->type_length > 0)
				TRY(tarn_buf_printf(b, ",\"type_length\":%d", e->type_length));
			if (logical_name(&e->logical)) {
				TRY(tarn_buf_append(b, ",\"logical\":\"", 12));
				TRY(logical_text(e, b));
				TRY(tarn_buf_putc(b, '"'));
			}
			if (converted_name(e->converted))
				TRY(tarn_buf_printf(b, ",\"converted\":\"%s\"", converted_name(e->converted)));
			TRY(tarn_buf_putc(b, '}'));
		}
		TRY(tarn_buf_append(b, "],\"row_groups\":[", 16));
	} else {
		TRY(tarn_buf_printf(b, "file        %s (%zu bytes)\n", name, size));
		TRY(tarn_buf_printf(b, "created by  %s\n", m->created_by ? m->created_by : "(unknown)"));
		TRY(tarn_buf_printf(b, "version     %d\nrows        %lld in %d row group%s\n",
				    m->version, (long long)m->num_rows, m->n_row_groups,
				    m->n_row_groups == 1 ? "" : "s"));
		for (int i = 0; i < m->n_kv; i++)
			TRY(tarn_buf_printf(b, "metadata    %s = %.200s%s\n", m->kv[i].key,
					    m->kv[i].value ? m->kv[i].value : "(none)",
					    m->kv[i].value && strlen(m->kv[i].value) > 200 ? "..." : ""));
		TRY(tarn_buf_printf(b, "schema\n"));
		/* The flat element list, indented by depth. */
		int left[128] = { 0 }, d = 0;
		left[0] = m->n_schema ? m->schema[0].num_children : 0;
		for (int i = 1; i < m->n_schema; i++) {
			while (d > 0 && left[d] == 0)
				d--;
			left[d]--;
			const struct pq_schema_elem *e = &m->schema[i];
			TRY(tarn_buf_printf(b, "  %*s%s %s", 2 * d, "", repetition_name(e->repetition),
					    e->type >= 0 ? pq_phys_name(e->type) : "group"));
			if (e->type == PQ_FLBA)
				TRY(tarn_buf_printf(b, "(%d)", e->type_length));
			TRY(tarn_buf_printf(b, " %s", e->name));
			if (logical_name(&e->logical)) {
				TRY(tarn_buf_append(b, " ", 1));
				TRY(logical_text(e, b));
			} else if (converted_name(e->converted)) {
				TRY(tarn_buf_printf(b, " %s", converted_name(e->converted)));
			}
			TRY(tarn_buf_putc(b, '\n'));
			if (e->num_children > 0 && d + 1 < 128) {
				d++;
				left[d] = e->num_children;
			}
		}
	}
	for (int g = 0; g < m->n_row_groups; g++) {
		const struct pq_row_group *rg = &m->row_groups[g];
		int64_t comp = 0;
		for (int c = 0; c < rg->n_columns; c++)
			comp += rg->columns[c].meta.total_compressed_size;
		if (json) {
			TRY(tarn_buf_printf(b,
					    "%s{\"num_rows\":%lld,\"total_byte_size\":%lld,"
					    "\"compressed_size\":%lld,\"columns\":[",
					    g ? "," : "", (long long)rg->num_rows,
					    (long long)rg->total_byte_size, (long long)comp));
		} else {
			TRY(tarn_buf_printf(b,
					    "row group %d: %lld rows, %lld bytes compressed, %lld "
					    "uncompressed\n",
					    g, (long long)rg->num_rows, (long long)comp,
					    (long long)rg->total_byte_size));
		}
		for (int c = 0; c < rg->n_columns; c++) {
			const struct pq_column_meta *cm = &rg->columns[c].meta;
			const struct pq_leaf *lf = c < n_leaves ? &s->leaves[c] : NULL;
			if (json) {
				TRY(tarn_buf_printf(b, "%s{\"path\":\"", c ? "," : ""));
				TRY(path_text(cm, b));
				TRY(tarn_buf_printf(b,
						    "\",\"physical\":\"%s\",\"codec\":\"%s\","
						    "\"num_values\":%lld,\"compressed_size\":%lld,"
						    "\"uncompressed_size\":%lld,\"data_page_offset\":%lld",
						    pq_phys_name(cm->type), pq_codec_name(cm->codec),
						    (long long)cm->num_values,
						    (long long)cm->total_compressed_size,
						    (long long)cm->total_uncompressed_size,
						    (long long)cm->data_page_offset));
				if (cm->dictionary_page_offset >= 0)
					TRY(tarn_buf_printf(b, ",\"dictionary_page_offset\":%lld",
							    (long long)cm->dictionary_page_offset));
				const struct pq_column_chunk *cc = &rg->columns[c];
				if (cc->column_index_offset >= 0)
					TRY(tarn_buf_printf(b,
							    ",\"column_index_offset\":%lld,"
							    "\"column_index_length\":%d",
							    (long long)cc->column_index_offset,
							    (int)cc->column_index_length));
				if (cc->offset_index_offset >= 0)
					TRY(tarn_buf_printf(b,
							    ",\"offset_index_offset\":%lld,"
							    "\"offset_index_length\":%d",
							    (long long)cc->offset_index_offset,
							    (int)cc->offset_index_length));
				if (cm->bloom_filter_offset >= 0)
					TRY(tarn_buf_printf(b,
							    ",\"bloom_filter_offset\":%lld,"
							    "\"bloom_filter_length\":%d",
							    (long long)cm->bloom_filter_offset,
							    (int)cm->bloom_filter_length));
				TRY(tarn_buf_append(b, ",\"encodings\":[", 14));
				for (int e = 0; e < cm->n_encodings; e++)
					TRY(tarn_buf_printf(b, "%s\"%s\"", e ? "," : "",
							    pq_encoding_name(cm->encodings[e])));
				TRY(tarn_buf_putc(b, ']'));
				if (cm->has_stats) {
					const struct pq_stats *st = &cm->stats;
					TRY(tarn_buf_append(b, ",\"statistics\":{", 15));
					bool comma = false;
					if (st->null_count >= 0) {
						TRY(tarn_buf_printf(b, "\"null_count\":%lld",
								    (long long)st->null_count));
						comma = true;
					}
					if (st->has_min && lf) {
						TRY(tarn_buf_printf(b, "%s\"min\":", comma ? "," : ""));
						TRY(stat_text(lf, st->min, st->min_len, true, b));
						comma = true;
					}
					if (st->has_max && lf) {
						TRY(tarn_buf_printf(b, "%s\"max\":", comma ? "," : ""));
						TRY(stat_text(lf, st->max, st->max_len, true, b));
					}
					TRY(tarn_buf_putc(b, '}'));
				}
				TRY(tarn_buf_putc(b, '}'));
				continue;
			}
			TRY(tarn_buf_append(b, "  ", 2));
			TRY(path_text(cm, b));
			TRY(tarn_buf_printf(b, "  %s %s, %lld values, %lld bytes (%lld uncompressed), ",
					    pq_phys_name(cm->type), pq_codec_name(cm->codec),
					    (long long)cm->num_values, (long long)cm->total_compressed_size,
					    (long long)cm->total_uncompressed_size));
			for (int e = 0; e < cm->n_encodings; e++)
				TRY(tarn_buf_printf(b, "%s%s", e ? "," : "",
						    pq_encoding_name(cm->encodings[e])));
			if (cm->has_stats) {
				const struct pq_stats *st = &cm->stats;
				if (st->null_count >= 0)
					TRY(tarn_buf_printf(b, ", nulls %lld", (long long)st->null_count));
				if (st->has_min && lf) {
					TRY(tarn_buf_append(b, ", min ", 6));
					TRY(stat_text(lf, st->min, st->min_len, false, b));
				}
				if (st->has_max && lf) {
					TRY(tarn_buf_append(b, ", max ", 6));
					TRY(stat_text(lf, st->max, st->max_len, false, b));
				}
			}
			const struct pq_column_chunk *cc = &rg->columns[c];
			if (cc->column_index_offset >= 0)
				TRY(tarn_buf_append(b, ", column index", 14));
			if (cc->offset_index_offset >= 0)
				TRY(tarn_buf_append(b, ", offset index", 14));
			if (cm->bloom_filter_offset >= 0) {
				if (cm->bloom_filter_length >= 0)
					TRY(tarn_buf_printf(b, ", bloom filter %d bytes",
							    (int)cm->bloom_filter_length));
				else
					TRY(tarn_buf_append(b, ", bloom filter", 14));
			}
			TRY(tarn_buf_putc(b, '\n'));
		}
		if (json)
			TRY(tarn_buf_append(b, "]}", 2));
	}
	if (json)
		TRY(tarn_buf_append(b, "]}\n", 3));
	return TARN_OK;
}

tarn_rc tarn_parquet_meta(const char *path, bool json, char **out, struct tarn_err *err)
{
	*out = NULL;
	struct tarn_input *in;
	TRY(tarn_input_open(path, &in, err));
	struct tarn_buf b;
	tarn_buf_init(&b);
	uint8_t *owned = NULL;
	struct pq_file_meta m;
	struct pq_schema s;
	memset(&m, 0, sizeof m);
	memset(&s, 0, sizeof s);
	tarn_rc rc = TARN_OK;
	size_t n;
	const uint8_t *p = tarn_input_mapped(in, &n);
	if (!p) {
		size_t cap = 1 << 20;
		n = 0;
		owned = tarn_malloc(cap);
		for (;;) {
			if (!owned) {
				rc = tarn_err_nomem(err, "Parquet file");
				goto out;
			}
			if (n == cap) {
				uint8_t *q = tarn_realloc(owned, cap * 2);
				if (!q) {
					rc = tarn_err_nomem(err, "Parquet file");
					goto out;
				}
				owned = q;
				cap *= 2;
			}
			size_t got;
			TRY_OUT(tarn_input_read(in, owned + n, cap - n, &got, err));
			if (!got)
				break;
			n += got;
		}
		p = owned;
	}
	if (n < 12 || memcmp(p, "PAR1", 4) != 0 || memcmp(p + n - 4, "PAR1", 4) != 0) {
		rc = tarn_err_set(err, memcmp(p + n - 4, "PARE", 4) == 0 ? TARN_EUNSUPPORTED : TARN_EDATA,
				  n >= 4 && memcmp(p + n - 4, "PARE", 4) == 0
					  ? "%s: encrypted Parquet is not supported yet"
					  : "%s: not a Parquet file",
				  path);
		goto out;
	}
	uint32_t flen;
	memcpy(&flen, p + n - 8, 4);
	if ((uint64_t)flen > n - 12) {
		rc = tarn_err_set(err, TARN_EDATA, "%s: corrupt Parquet footer length", path);
		goto out;
	}
	TRY_OUT(pq_file_meta_decode(p + n - 8 - flen, flen, &m, path, (int64_t)(n - 8 - flen), err));
	struct pq_read_opts o = { .int96_unit = TARN_UNIT_NS, .batch_rows = TARN_BATCH_ROWS };
	TRY_OUT(pq_schema_build(&m, &o, &s, path, err));
	if (describe(path, n, &m, &s, json, &b) || tarn_buf_cstr(&b)) {
		rc = tarn_err_nomem(err, "Parquet metadata text");
		goto out;
	}
	*out = tarn_buf_steal(&b);
out:
	tarn_buf_free(&b);
	pq_schema_free(&s);
	pq_file_meta_free(&m);
	tarn_free(owned);
	tarn_input_close(in);
	return rc;
}
