/*
 * arrow_c.c — tests of the Arrow C Data and Stream Interfaces
 * (src/columnar/arrow_c.c): tarn → Arrow → tarn round trips for every type,
 * imports of hand-built foreign arrays (offsets, large offsets, date64,
 * dictionaries), strict validation of bad producers, and release semantics.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>

#include "base/err.h"
#include "base/mem.h"
#include "columnar/array.h"
#include "columnar/type.h"
#include "formats/format.h"
#include "tarn.h"
#include "unit.h"

/* ---- helpers ----------------------------------------------------------------- */

/* A schema of nullable fields from type text ("list<string>"). */
static struct tarn_schema *schema_of(int n, const char *const *names, const char *const *types)
{
	struct tarn_schema *s;
	if (tarn_schema_new(n, &s))
		return NULL;
	for (int i = 0; i < n; i++) {
		struct tarn_err err;
		tarn_err_clear(&err);
		if (tarn_field_set_name(&s->fields[i], names[i], strlen(names[i])) ||
		    tarn_type_parse(types[i], &s->fields[i].type, &err)) {
			fprintf(stderr, "schema_of: %s: %s\n", types[i], err.msg);
			tarn_schema_unref(s);
			return NULL;
		}
	}
	return s;
}

static bool row_eq(const struct tarn_array *x, int64_t i, const struct tarn_array *y, int64_t j)
{
	bool nx = x->type->id == TARN_T_NULL || tarn_array_is_null(x, i);
	bool ny = y->type->id == TARN_T_NULL || tarn_array_is_null(y, j);
	if (nx != ny)
		return false;
	if (nx)
		return true;
	switch (x->type->id) {
	case TARN_T_BOOL:
		return tarn_bit_get(x->values, i) == tarn_bit_get(y->values, j);
	case TARN_T_STRING:
	case TARN_T_BINARY: {
		size_t n1, n2;
		const uint8_t *p1 = tarn_array_get_bytes(x, i, &n1);
		const uint8_t *p2 = tarn_array_get_bytes(y, j, &n2);
		return n1 == n2 && (n1 == 0 || memcmp(p1, p2, n1) == 0);
	}
	case TARN_T_LIST:
	case TARN_T_MAP: {
		int64_t a0 = x->offsets[i], a1 = x->offsets[i + 1];
		int64_t b0 = y->offsets[j], b1 = y->offsets[j + 1];
		if (a1 - a0 != b1 - b0)
			return false;
		for (int64_t k = 0; k < a1 - a0; k++)
			if (!row_eq(x->children[0], a0 + k, y->children[0], b0 + k))
				return false;
		return true;
	}
	case TARN_T_STRUCT:
		for (int k = 0; k < x->n_children; k++)
			if (!row_eq(x->children[k], i, y->children[k], j))
				return false;
		return true;
	default: {
		int w = tarn_type_width(x->type->id);
		return memcmp(x->values + i * w, y->values + j * w, (size_t)w) == 0;
	}
	}
}

static bool array_eq(const struct tarn_array *x, const struct tarn_array *y)
{
	if (!tarn_type_equal(x->type, y->type) || x->length != y->length)
		return false;
	if (x->type->id != TARN_T_NULL && x->null_count != y->null_count)
		return false;
	for (int64_t i = 0; i < x->length; i++)
		if (!row_eq(x, i, y, i))
			return false;
	return true;
}

static bool batch_eq(const struct tarn_batch *a, const struct tarn_batch *b)
{
	if (a->n_rows != b->n_rows || a->n_cols != b->n_cols ||
	    !tarn_schema_equal(a->schema, b->schema))
		return false;
	for (int i = 0; i < a->n_cols; i++) {
		if (!array_eq(a->cols[i], b->cols[i])) {
			fprintf(stderr, "column %d differs\n", i);
			return false;
		}
	}
	return true;
}

/* Deep copy through tarn_array_append_from. */
static struct tarn_batch *copy_batch(const struct tarn_batch *b)
{
	struct tarn_batch *c;
	if (tarn_batch_new(b->schema, 0, &c))
		return NULL;
	for (int i = 0; i < b->n_cols; i++)
		for (int64_t r = 0; r < b->n_rows; r++)
			if (tarn_array_append_from(c->cols[i], b->cols[i], r)) {
				tarn_batch_free(c);
				return NULL;
			}
	if (tarn_batch_seal(c, NULL)) {
		tarn_batch_free(c);
		return NULL;
	}
	c->n_rows = b->n_rows;
	return c;
}

/* Export schema and a copy of b, import both back, compare with b. */
static bool roundtrip(const struct tarn_batch *b)
{
	struct tarn_err err;
	tarn_err_clear(&err);
	bool ok = false;
	struct tarn_schema *s2 = NULL;
	struct tarn_batch *back = NULL;
	struct ArrowSchema as;
	if (tarn_schema_export(b->schema, &as, &err)) {
		fprintf(stderr, "schema export: %s\n", err.msg);
		return false;
	}
	tarn_rc rc = tarn_schema_import(&as, &s2, &err);
	as.release(&as);
	if (rc) {
		fprintf(stderr, "schema import: %s\n", err.msg);
		return false;
	}
	if (!tarn_schema_equal(b->schema, s2))
		goto out;
	for (int i = 0; i < s2->n_fields; i++)
		if (s2->fields[i].nullable != b->schema->fields[i].nullable)
			goto out;
	struct tarn_batch *copy = copy_batch(b);
	if (!copy)
		goto out;
	struct ArrowArray aa;
	if (tarn_batch_export(copy, &aa, &err)) {
		fprintf(stderr, "batch export: %s\n", err.msg);
		goto out;
	}
	if (aa.length != b->n_rows || aa.n_children != b->n_cols || !aa.release) {
		aa.release(&aa);
		goto out;
	}
	if (tarn_batch_import(&aa, s2, &back, &err)) {
		fprintf(stderr, "batch import: %s\n", err.msg);
		goto out;
	}
	ok = aa.release == NULL && batch_eq(b, back) && back->schema == s2;
out:
	tarn_batch_free(back);
	tarn_schema_unref(s2);
	return ok;
}

#define SEAL(b) REQUIRE(tarn_batch_seal((b), NULL) == TARN_OK)
#define OK(x) REQUIRE((x) == TARN_OK)

/* ---- round trips ------------------------------------------------------------- */

TEST(roundtrip_integers_and_floats)
{
	const char *names[] = { "i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64", "f32", "f64", "b" };
	const char *types[] = { "int8",   "int16",  "int32",   "int64",   "uint8", "uint16",
				"uint32", "uint64", "float32", "float64", "bool" };
	struct tarn_schema *s = schema_of(11, names, types);
	REQUIRE(s);
	struct tarn_batch *b;
	OK(tarn_batch_new(s, 4, &b));
	int64_t smin[] = { INT8_MIN, INT16_MIN, INT32_MIN, INT64_MIN };
	int64_t smax[] = { INT8_MAX, INT16_MAX, INT32_MAX, INT64_MAX };
	uint64_t umax[] = { UINT8_MAX, UINT16_MAX, UINT32_MAX, UINT64_MAX };
	for (int c = 0; c < 4; c++) {
		OK(tarn_array_append_int(b->cols[c], smin[c]));
		OK(tarn_array_append_null(b->cols[c]));
		OK(tarn_array_append_int(b->cols[c], smax[c]));
		OK(tarn_array_append_int(b->cols[c], -1));
		OK(tarn_array_append_uint(b->cols[4 + c], 0));
		OK(tarn_array_append_uint(b->cols[4 + c], umax[c]));
		OK(tarn_array_append_null(b->cols[4 + c]));
		OK(tarn_array_append_uint(b->cols[4 + c], 7));
	}
	double fv[] = { 1.5, -0.0, INFINITY, NAN };
	for (int k = 0; k < 4; k++) {
		OK(k == 1 ? tarn_array_append_null(b->cols[8]) : tarn_array_append_double(b->cols[8], fv[k]));
		OK(tarn_array_append_double(b->cols[9], fv[3 - k]));
		OK(k == 2 ? tarn_array_append_null(b->cols[10]) : tarn_array_append_bool(b->cols[10], k & 1));
	}
	SEAL(b);
	CHECK(b->n_rows == 4);
	CHECK(roundtrip(b));
	CHECK(tarn_array_get_uint(b->cols[7], 1) == UINT64_MAX);
	tarn_batch_free(b);
	tarn_schema_unref(s);
}

TEST(roundtrip_decimals)
{
	const char *names[] = { "d1", "d9", "d18", "d38", "d38_38" };
	const char *types[] = { "decimal(1,0)", "decimal(9,2)", "decimal(18,4)", "decimal(38,10)",
				"decimal(38,38)" };
	struct tarn_schema *s = schema_of(5, names, types);
	REQUIRE(s);
	struct tarn_batch *b;
	OK(tarn_batch_new(s, 0, &b));
	tarn_i128 big = 1;
	for (int i = 0; i < 37; i++)
		big *= 10; /* 10^37, fits 38 digits */
	tarn_i128 vals[5][3] = { { 9, -9, 0 },
				 { 123456789, -100, 1 },
				 { (tarn_i128)999999999999999999LL, -5, 42 },
				 { big, -big, big / 3 },
				 { big * 9, -(big * 9), 1 } };
	for (int c = 0; c < 5; c++) {
		for (int r = 0; r < 3; r++)
			OK(tarn_array_append_decimal(b->cols[c], vals[c][r]));
		OK(tarn_array_append_null(b->cols[c]));
	}
	SEAL(b);
	struct ArrowSchema as;
	OK(tarn_schema_export(s, &as, NULL));
	CHECK_STR(as.children[0]->format, "d:1,0");
	CHECK_STR(as.children[1]->format, "d:9,2");
	CHECK_STR(as.children[4]->format, "d:38,38");
	as.release(&as);
	CHECK(roundtrip(b));
	CHECK(tarn_array_get_decimal(b->cols[3], 1) == -big);
	tarn_batch_free(b);
	tarn_schema_unref(s);
}

TEST(roundtrip_strings_and_binary)
{
	const char *names[] = { "s", "bin" };
	const char *types[] = { "string", "binary" };
	struct tarn_schema *s = schema_of(2, names, types);
	REQUIRE(s);
	struct tarn_batch *b;
	OK(tarn_batch_new(s, 0, &b));
	const char *strs[] = { "héllo", "", "日本語のテキスト", NULL, "emoji 🦀 and ✓", "plain" };
	for (int i = 0; i < 6; i++) {
		if (strs[i])
			OK(tarn_array_append_bytes(b->cols[0], strs[i], strlen(strs[i])));
		else
			OK(tarn_array_append_null(b->cols[0]));
	}
	const uint8_t raw[] = { 0, 1, 0xff, 0xfe, 0, 0x80 };
	OK(tarn_array_append_bytes(b->cols[1], raw, sizeof raw));
	OK(tarn_array_append_null(b->cols[1]));
	OK(tarn_array_append_bytes(b->cols[1], raw, 0));
	OK(tarn_array_append_bytes(b->cols[1], raw + 2, 2));
	OK(tarn_array_append_bytes(b->cols[1], "x", 1));
	OK(tarn_array_append_null(b->cols[1]));
	SEAL(b);
	CHECK(roundtrip(b));
	tarn_batch_free(b);
	tarn_schema_unref(s);
}

TEST(roundtrip_temporal)
{
	const char *names[] = { "d", "t_us", "t_ns", "t_s", "t_ms", "ts_s", "ts_ms", "ts_us",
				"ts_ns", "tz_s", "tz_ms", "tz_us", "tz_ns" };
	const char *types[] = { "date32",
				"time64[us]",
				"time64[ns]",
				"time64[s]",
				"time64[ms]",
				"timestamp[s]",
				"timestamp[ms]",
				"timestamp[us]",
				"timestamp[ns]",
				"timestamp[s, UTC]",
				"timestamp[ms, Europe/Paris]",
				"timestamp[us, +05:30]",
				"timestamp[ns, America/New_York]" };
	struct tarn_schema *s = schema_of(13, names, types);
	REQUIRE(s);
	struct tarn_batch *b;
	OK(tarn_batch_new(s, 0, &b));
	int64_t day_s = 86399;
	int64_t v[13][3] = {
		{ 19000, -719162, 0 },
		{ day_s * 1000000 + 999999, 0, 1 },
		{ day_s * 1000000000 + 1, 5, 0 },
		{ day_s, 0, 3600 },
		{ day_s * 1000 + 999, 1, 0 },
		{ 1700000000, -1, 0 },
		{ 1700000000123LL, -86400000LL * 365 * 300, 0 },
		{ 1700000000123456LL, INT64_MIN / 2, 0 },
		{ 1700000000123456789LL, INT64_MAX, INT64_MIN },
		{ 0, 1, 2 },
		{ 3, 4, 5 },
		{ -6, 7, 8 },
		{ 9, 10, -11 },
	};
	for (int c = 0; c < 13; c++) {
		for (int r = 0; r < 3; r++)
			OK(tarn_array_append_int(b->cols[c], v[c][r]));
		OK(tarn_array_append_null(b->cols[c]));
	}
	SEAL(b);
	struct ArrowSchema as;
	OK(tarn_schema_export(s, &as, NULL));
	const char *want[] = { "tdD",  "ttu",   "ttn",   "tts",   "ttm",   "tss:",  "tsm:",
			       "tsu:", "tsn:", "tss:UTC", "tsm:Europe/Paris", "tsu:+05:30",
			       "tsn:America/New_York" };
	for (int c = 0; c < 13; c++)
		CHECK_STR(as.children[c]->format, want[c]);
	as.release(&as);

	/* time32 on the wire: int32 values. */
	struct tarn_batch *copy = copy_batch(b);
	REQUIRE(copy);
	struct ArrowArray aa;
	OK(tarn_batch_export(copy, &aa, NULL));
	const int32_t *t32 = aa.children[3]->buffers[1];
	CHECK(t32[0] == 86399 && t32[2] == 3600);
	const int32_t *tms = aa.children[4]->buffers[1];
	CHECK(tms[0] == 86399999 && tms[1] == 1);
	const int32_t *d32 = aa.children[0]->buffers[1];
	CHECK(d32[1] == -719162);
	aa.release(&aa);
	CHECK(aa.release == NULL);

	CHECK(roundtrip(b));
	tarn_batch_free(b);
	tarn_schema_unref(s);
}

TEST(time32_export_out_of_range)
{
	const char *names[] = { "t" };
	const char *types[] = { "time64[ms]" };
	struct tarn_schema *s = schema_of(1, names, types);
	REQUIRE(s);
	struct tarn_batch *b;
	OK(tarn_batch_new(s, 0, &b));
	OK(tarn_array_append_int(b->cols[0], 5));
	OK(tarn_array_append_int(b->cols[0], (int64_t)INT32_MAX + 1));
	SEAL(b);
	struct ArrowArray aa;
	struct tarn_err err;
	tarn_err_clear(&err);
	CHECK(tarn_batch_export(b, &aa, &err) == TARN_EDATA); /* b is freed either way */
	CHECK(aa.release == NULL);
	CHECK_CONTAINS(err.msg, "row 1");
	CHECK_CONTAINS(err.msg, "time32");
	tarn_schema_unref(s);
}

/* list<int64>, list<list<string>>, struct<a, b: list<string>>, map<string, int64>. */
static struct tarn_batch *nested_batch(struct tarn_schema **out_s)
{
	const char *names[] = { "li", "lls", "st", "m" };
	const char *types[] = { "list<int64>", "list<list<string>>",
				"struct<a: int32, b: list<string>>", "map<string, int64>" };
	struct tarn_schema *s = schema_of(4, names, types);
	if (!s)
		return NULL;
	struct tarn_batch *b;
	if (tarn_batch_new(s, 0, &b)) {
		tarn_schema_unref(s);
		return NULL;
	}
	tarn_rc rc = TARN_OK;
	for (int r = 0; r < 5 && !rc; r++) {
		/* li: [0..r) or null at r == 2 */
		struct tarn_array *li = b->cols[0];
		if (r == 2) {
			rc = tarn_array_append_null(li);
		} else {
			for (int k = 0; k < r && !rc; k++)
				rc = k == 1 ? tarn_array_append_null(li->children[0])
					    : tarn_array_append_int(li->children[0], k * 100 - r);
			if (!rc)
				rc = tarn_array_list_end(li, true);
		}
		/* lls: r inner lists of strings, inner list 1 null */
		struct tarn_array *lls = b->cols[1], *inner = lls->children[0];
		for (int k = 0; k < r && !rc; k++) {
			if (k == 1) {
				rc = tarn_array_append_null(inner);
				continue;
			}
			for (int q = 0; q <= k && !rc; q++) {
				char t[16];
				int n = snprintf(t, sizeof t, "ß%d.%d", k, q);
				rc = tarn_array_append_bytes(inner->children[0], t, (size_t)n);
			}
			if (!rc)
				rc = tarn_array_list_end(inner, true);
		}
		if (!rc)
			rc = tarn_array_list_end(lls, r != 4);
		/* st: {a: r, b: [r strings]}, null at r == 3 */
		struct tarn_array *st = b->cols[2];
		if (!rc && r == 3) {
			rc = tarn_array_append_null(st);
		} else if (!rc) {
			rc = tarn_array_append_int(st->children[0], r);
			for (int k = 0; k < r && !rc; k++)
				rc = tarn_array_append_bytes(st->children[1]->children[0], "v", 1);
			if (!rc)
				rc = tarn_array_list_end(st->children[1], r != 1);
			if (!rc)
				rc = tarn_array_struct_end(st, true);
		}
		/* m: {"k0": 0, ..} r entries, value 1 null */
		struct tarn_array *m = b->cols[3], *e = m->children[0];
		for (int k = 0; k < r && !rc; k++) {
			char key[8];
			int n = snprintf(key, sizeof key, "k%d", k);
			rc = tarn_array_append_bytes(e->children[0], key, (size_t)n);
			if (!rc)
				rc = k == 1 ? tarn_array_append_null(e->children[1])
					    : tarn_array_append_int(e->children[1], (int64_t)k << 40);
			if (!rc)
				rc = tarn_array_struct_end(e, true);
		}
		if (!rc)
			rc = tarn_array_list_end(m, r != 0);
	}
	if (!rc)
		rc = tarn_batch_seal(b, NULL);
	if (rc) {
		tarn_batch_free(b);
		tarn_schema_unref(s);
		return NULL;
	}
	*out_s = s;
	return b;
}

TEST(roundtrip_nested)
{
	struct tarn_schema *s;
	struct tarn_batch *b = nested_batch(&s);
	REQUIRE(b);
	CHECK(b->n_rows == 5);
	for (int i = 0; i < 4; i++)
		CHECK(tarn_array_validate(b->cols[i], true, NULL) == TARN_OK);
	struct ArrowSchema as;
	OK(tarn_schema_export(s, &as, NULL));
	CHECK_STR(as.format, "+s");
	CHECK(as.n_children == 4);
	CHECK_STR(as.children[0]->format, "+l");
	CHECK_STR(as.children[0]->children[0]->format, "l");
	CHECK_STR(as.children[1]->children[0]->children[0]->format, "u");
	CHECK_STR(as.children[2]->format, "+s");
	CHECK_STR(as.children[2]->children[1]->name, "b");
	const struct ArrowSchema *m = as.children[3];
	CHECK_STR(m->format, "+m");
	CHECK((m->flags & ARROW_FLAG_MAP_KEYS_SORTED) == 0);
	CHECK(m->n_children == 1);
	CHECK_STR(m->children[0]->format, "+s");
	CHECK((m->children[0]->flags & ARROW_FLAG_NULLABLE) == 0);
	CHECK_STR(m->children[0]->children[0]->name, "key");
	CHECK((m->children[0]->children[0]->flags & ARROW_FLAG_NULLABLE) == 0);
	CHECK((m->children[0]->children[1]->flags & ARROW_FLAG_NULLABLE) != 0);
	as.release(&as);
	CHECK(as.release == NULL);
	CHECK(roundtrip(b));
	tarn_batch_free(b);
	tarn_schema_unref(s);
}

TEST(roundtrip_all_null_and_empty)
{
	const char *names[] = { "n", "i", "s", "l", "st", "z" };
	const char *types[] = { "null", "int64", "string", "list<int32>", "struct<x: bool>", "null" };
	struct tarn_schema *s = schema_of(6, names, types);
	REQUIRE(s);
	/* empty batch */
	struct tarn_batch *b;
	OK(tarn_batch_new(s, 0, &b));
	SEAL(b);
	CHECK(b->n_rows == 0);
	CHECK(roundtrip(b));
	tarn_batch_free(b);
	/* all null */
	OK(tarn_batch_new(s, 0, &b));
	for (int r = 0; r < 70; r++)
		for (int c = 0; c < 6; c++)
			OK(tarn_array_append_null(b->cols[c]));
	SEAL(b);
	CHECK(b->cols[4]->children[0]->null_count == 70);
	struct tarn_batch *copy = copy_batch(b);
	REQUIRE(copy);
	struct ArrowArray aa;
	OK(tarn_batch_export(copy, &aa, NULL));
	CHECK(aa.children[0]->n_buffers == 0 && aa.children[0]->null_count == 70);
	CHECK(aa.children[1]->null_count == 70 && aa.children[1]->buffers[0] != NULL);
	aa.release(&aa);
	CHECK(roundtrip(b));
	tarn_batch_free(b);
	tarn_schema_unref(s);

	/* no columns at all */
	struct tarn_schema *s0;
	OK(tarn_schema_new(0, &s0));
	OK(tarn_batch_new(s0, 0, &b));
	SEAL(b);
	CHECK(roundtrip(b));
	tarn_batch_free(b);
	tarn_schema_unref(s0);
}

TEST(nullable_flags_and_names)
{
	const char *names[] = { "req", "opt", "odd name \"q\"" };
	const char *types[] = { "int32", "string", "struct<\"in ner\": int8>" };
	struct tarn_schema *s = schema_of(3, names, types);
	REQUIRE(s);
	s->fields[0].nullable = false;
	s->fields[2].type.children[0].nullable = false;
	struct ArrowSchema as;
	OK(tarn_schema_export(s, &as, NULL));
	CHECK((as.children[0]->flags & ARROW_FLAG_NULLABLE) == 0);
	CHECK((as.children[1]->flags & ARROW_FLAG_NULLABLE) != 0);
	CHECK_STR(as.children[2]->name, "odd name \"q\"");
	CHECK_STR(as.children[2]->children[0]->name, "in ner");
	CHECK(as.metadata == NULL && as.dictionary == NULL);
	struct tarn_schema *s2;
	OK(tarn_schema_import(&as, &s2, NULL));
	as.release(&as);
	CHECK(tarn_schema_equal(s, s2));
	CHECK(!s2->fields[0].nullable && s2->fields[1].nullable);
	CHECK(!s2->fields[2].type.children[0].nullable);
	tarn_schema_unref(s2);
	tarn_schema_unref(s);
}

/* ---- hand-built producers ---------------------------------------------------- */

static int released_arrays, released_schemas;

static void man_release(struct ArrowArray *a)
{
	for (int64_t i = 0; i < a->n_children; i++)
		if (a->children[i] && a->children[i]->release)
			a->children[i]->release(a->children[i]);
	if (a->dictionary && a->dictionary->release)
		a->dictionary->release(a->dictionary);
	released_arrays++;
	a->release = NULL;
}

static void man_schema_release(struct ArrowSchema *s)
{
	for (int64_t i = 0; i < s->n_children; i++)
		if (s->children[i] && s->children[i]->release)
			s->children[i]->release(s->children[i]);
	if (s->dictionary && s->dictionary->release)
		s->dictionary->release(s->dictionary);
	released_schemas++;
	s->release = NULL;
}

static struct ArrowArray arr(int64_t len, int64_t nulls, int64_t off, int64_t nb,
			     const void **bufs, int64_t nc, struct ArrowArray **kids)
{
	struct ArrowArray a = { .length = len,
				.null_count = nulls,
				.offset = off,
				.n_buffers = nb,
				.n_children = nc,
				.buffers = bufs,
				.children = kids,
				.release = man_release };
	return a;
}

static struct ArrowSchema sch(const char *fmt, const char *name, int64_t flags, int64_t nc,
			      struct ArrowSchema **kids)
{
	struct ArrowSchema s = { .format = fmt,
				 .name = name,
				 .flags = flags,
				 .n_children = nc,
				 .children = kids,
				 .release = man_schema_release };
	return s;
}

/* Imports a one-column batch: schema from `field`, array `col`. */
static tarn_rc import_one(struct ArrowSchema *field, struct ArrowArray *col, int64_t len,
			  int64_t off, struct tarn_batch **out, struct tarn_err *err)
{
	struct ArrowSchema *fk[1] = { field };
	struct ArrowSchema top = sch("+s", "", 0, 1, fk);
	struct tarn_schema *s;
	tarn_rc rc = tarn_schema_import(&top, &s, err);
	if (rc) {
		col->release(col);
		return rc;
	}
	const void *tb[1] = { NULL };
	struct ArrowArray *ck[1] = { col };
	struct ArrowArray a = arr(len, 0, off, 1, tb, 1, ck);
	rc = tarn_batch_import(&a, s, out, err);
	if (a.release)
		rc = TARN_EINTERNAL; /* import must release its input */
	tarn_schema_unref(s);
	return rc;
}

TEST(import_sliced_with_offsets)
{
	/* int32 child: offset 1; top offset 2 → physical rows 3,4,5; row 4 null. */
	int32_t iv[] = { 0, 1, 2, 3, 4, 5, 6 };
	uint8_t ivalid[] = { 0xef }; /* bit 4 clear */
	const void *ib[2] = { ivalid, iv };
	struct ArrowArray ci = arr(6, 1, 1, 2, ib, 0, NULL);
	/* string child: offset 0, length 5; physical rows 2,3,4 */
	int32_t so[] = { 0, 2, 5, 6, 10, 12 };
	const char sd[] = "aabbbcddddé";
	const void *sb[3] = { NULL, so, sd };
	struct ArrowArray cs = arr(5, 0, 0, 3, sb, 0, NULL);
	/* bool child: offset 5 → physical bits 7,8,9 = 1,0,1 */
	uint8_t bv[] = { 0x80, 0x02 };
	const void *bb[2] = { NULL, bv };
	struct ArrowArray cb = arr(10, 0, 5, 2, bb, 0, NULL);
	/* list<int16>: list offset 1 → physical 3,4,5; items child offset 2 */
	int32_t lo[] = { 0, 0, 1, 1, 3, 3, 4 };
	int16_t lv[] = { -1, -1, 10, 20, 30, 40 };
	const void *lvb[2] = { NULL, lv };
	struct ArrowArray litems = arr(4, 0, 2, 2, lvb, 0, NULL);
	struct ArrowArray *lk[1] = { &litems };
	uint8_t lvalid[] = { 0xdf }; /* physical 5 null */
	const void *lb[2] = { lvalid, lo };
	struct ArrowArray cl = arr(5, 1, 1, 2, lb, 1, lk);
	/* struct<x: int64>: struct offset 1 → physical 3,4,5; x offset 1 → 4,5,6 */
	int64_t xv[] = { 0, 0, 0, 0, 44, 55, 66 };
	const void *xb[2] = { NULL, xv };
	struct ArrowArray xa = arr(6, 0, 1, 2, xb, 0, NULL);
	struct ArrowArray *stk[1] = { &xa };
	const void *stb[1] = { NULL };
	struct ArrowArray cst = arr(5, 0, 1, 1, stb, 1, stk);

	struct ArrowSchema f0 = sch("i", "i", ARROW_FLAG_NULLABLE, 0, NULL);
	struct ArrowSchema f1 = sch("u", "s", ARROW_FLAG_NULLABLE, 0, NULL);
	struct ArrowSchema f2 = sch("b", "b", ARROW_FLAG_NULLABLE, 0, NULL);
	struct ArrowSchema f3i = sch("s", "element", ARROW_FLAG_NULLABLE, 0, NULL);
	struct ArrowSchema *f3k[1] = { &f3i };
	struct ArrowSchema f3 = sch("+l", "l", ARROW_FLAG_NULLABLE, 1, f3k);
	struct ArrowSchema f4x = sch("l", "x", 0, 0, NULL);
	struct ArrowSchema *f4k[1] = { &f4x };
	struct ArrowSchema f4 = sch("+s", "st", ARROW_FLAG_NULLABLE, 1, f4k);
	struct ArrowSchema *fk[5] = { &f0, &f1, &f2, &f3, &f4 };
	struct ArrowSchema top = sch("+s", "", 0, 5, fk);

	struct tarn_schema *s;
	struct tarn_err err;
	tarn_err_clear(&err);
	released_schemas = 0;
	OK(tarn_schema_import(&top, &s, &err));
	CHECK(released_schemas == 0); /* schema import takes ownership of nothing */
	CHECK(top.release != NULL);
	CHECK_STR(s->fields[3].type.children[0].name, "item"); /* normalised */
	char tt[64];
	tarn_schema_field_type_text(s, 4, tt, sizeof tt);
	CHECK_STR(tt, "struct<x: int64>");

	struct ArrowArray *tk[5] = { &ci, &cs, &cb, &cl, &cst };
	const void *tb[1] = { NULL };
	struct ArrowArray ta = arr(3, 0, 2, 1, tb, 5, tk);
	released_arrays = 0;
	struct tarn_batch *b;
	tarn_rc rc = tarn_batch_import(&ta, s, &b, &err);
	if (rc)
		fprintf(stderr, "%s\n", err.msg);
	REQUIRE(rc == TARN_OK);
	CHECK(ta.release == NULL);
	CHECK(released_arrays == 8); /* top + 5 columns + list items + struct member */
	CHECK(b->n_rows == 3);
	struct tarn_array *a = b->cols[0];
	CHECK(tarn_array_get_int(a, 0) == 3 && tarn_array_is_null(a, 1) &&
	      tarn_array_get_int(a, 2) == 5 && a->null_count == 1);
	size_t n;
	const uint8_t *p = tarn_array_get_bytes(b->cols[1], 0, &n);
	CHECK(n == 1 && p[0] == 'c');
	p = tarn_array_get_bytes(b->cols[1], 1, &n);
	CHECK(n == 4 && memcmp(p, "dddd", 4) == 0);
	p = tarn_array_get_bytes(b->cols[1], 2, &n);
	CHECK(n == 2 && memcmp(p, "\xc3\xa9", 2) == 0 && b->cols[1]->offsets[0] == 0);
	a = b->cols[2];
	CHECK(tarn_bit_get(a->values, 0) && !tarn_bit_get(a->values, 1) &&
	      tarn_bit_get(a->values, 2));
	a = b->cols[3];
	CHECK(a->offsets[0] == 0 && a->offsets[1] == 2 && a->offsets[2] == 2 && a->offsets[3] == 3);
	CHECK(tarn_array_get_int(a->children[0], 0) == 20 &&
	      tarn_array_get_int(a->children[0], 1) == 30 && tarn_array_is_null(a, 2));
	CHECK(a->children[0]->length == 3 && tarn_array_get_int(a->children[0], 2) == 40);
	a = b->cols[4];
	CHECK(tarn_array_get_int(a->children[0], 0) == 44 &&
	      tarn_array_get_int(a->children[0], 2) == 66);
	CHECK(tarn_array_validate(b->cols[3], true, NULL) == TARN_OK);
	tarn_batch_free(b);
	tarn_schema_unref(s);
	top.release(&top);
	CHECK(released_schemas == 8);
}

TEST(import_unaligned_validity)
{
	/* 20 rows of int8 at offset 3: validity crosses byte boundaries. */
	int8_t v[23];
	uint8_t valid[3] = { 0 };
	int64_t nulls = 0;
	for (int i = 0; i < 23; i++) {
		v[i] = (int8_t)i;
		bool ok = (i % 3) != 0;
		if (ok)
			valid[i / 8] |= (uint8_t)(1 << (i % 8));
		else if (i >= 3)
			nulls++;
	}
	const void *bufs[2] = { valid, v };
	struct ArrowArray col = arr(20, nulls, 3, 2, bufs, 0, NULL);
	struct ArrowSchema f = sch("c", "x", ARROW_FLAG_NULLABLE, 0, NULL);
	struct tarn_batch *b;
	struct tarn_err err;
	tarn_err_clear(&err);
	OK(import_one(&f, &col, 20, 0, &b, &err));
	struct tarn_array *a = b->cols[0];
	CHECK(a->null_count == nulls);
	for (int i = 0; i < 20; i++) {
		int phys = i + 3;
		CHECK(tarn_array_is_null(a, i) == ((phys % 3) == 0));
		if (!tarn_array_is_null(a, i))
			CHECK(tarn_array_get_int(a, i) == phys);
	}
	/* the builder keeps working after an import: new rows valid */
	OK(tarn_array_append_int(a, 99));
	CHECK(!tarn_array_is_null(a, 20));
	CHECK(tarn_array_validate(a, false, NULL) == TARN_OK);
	tarn_batch_free(b);
}

TEST(import_large_types)
{
	/* large_utf8 */
	int64_t lo[] = { 0, 3, 3, 8, 12 };
	const char data[] = "abcdefghñño";
	uint8_t valid[] = { 0x0d }; /* row 1 null */
	const void *sb[3] = { valid, lo, data };
	struct ArrowArray col = arr(4, 1, 0, 3, sb, 0, NULL);
	struct ArrowSchema f = sch("U", "big", ARROW_FLAG_NULLABLE, 0, NULL);
	struct tarn_batch *b;
	struct tarn_err err;
	tarn_err_clear(&err);
	tarn_rc rc = import_one(&f, &col, 4, 0, &b, &err);
	if (rc)
		fprintf(stderr, "%s\n", err.msg);
	REQUIRE(rc == TARN_OK);
	CHECK(b->schema->fields[0].type.id == TARN_T_STRING);
	CHECK(b->schema->fields[0].type.arrow_storage == TARN_ARROW_LARGE);
	size_t n;
	const uint8_t *p = tarn_array_get_bytes(b->cols[0], 3, &n);
	CHECK(n == 4 && memcmp(p, "ññ", 4) == 0);
	CHECK(tarn_array_is_null(b->cols[0], 1));
	p = tarn_array_get_bytes(b->cols[0], 2, &n);
	CHECK(n == 5 && memcmp(p, "defgh", 5) == 0);
	tarn_batch_free(b);

	/* large_binary with a slice */
	int64_t bo[] = { 0, 1, 2, 4 };
	const uint8_t bd[] = { 9, 8, 7, 6 };
	const void *bb[3] = { NULL, bo, bd };
	struct ArrowArray bcol = arr(2, 0, 1, 3, bb, 0, NULL);
	struct ArrowSchema bf = sch("Z", "lb", ARROW_FLAG_NULLABLE, 0, NULL);
	OK(import_one(&bf, &bcol, 2, 0, &b, &err));
	p = tarn_array_get_bytes(b->cols[0], 1, &n);
	CHECK(n == 2 && p[0] == 7 && p[1] == 6);
	tarn_batch_free(b);

	/* large_list<int32> */
	int64_t llo[] = { 0, 2, 2, 3 };
	int32_t items[] = { 1, 2, 3 };
	const void *itb[2] = { NULL, items };
	struct ArrowArray it = arr(3, 0, 0, 2, itb, 0, NULL);
	struct ArrowArray *ik[1] = { &it };
	const void *llb[2] = { NULL, llo };
	struct ArrowArray ll = arr(3, 0, 0, 2, llb, 1, ik);
	struct ArrowSchema lif = sch("i", "item", ARROW_FLAG_NULLABLE, 0, NULL);
	struct ArrowSchema *lik[1] = { &lif };
	struct ArrowSchema lf = sch("+L", "ll", ARROW_FLAG_NULLABLE, 1, lik);
	OK(import_one(&lf, &ll, 3, 0, &b, &err));
	CHECK(b->cols[0]->offsets[1] == 2 && b->cols[0]->offsets[3] == 3);
	CHECK(tarn_array_get_int(b->cols[0]->children[0], 2) == 3);
	tarn_batch_free(b);

	/* a large_list whose first offset is near INT64_MAX */
	int64_t far[] = { INT64_MAX - 1, INT64_MAX };
	const void *farb[2] = { NULL, far };
	struct ArrowArray it2 = arr(3, 0, 0, 2, itb, 0, NULL);
	struct ArrowArray *ik2[1] = { &it2 };
	struct ArrowArray ll2 = arr(1, 0, 0, 2, farb, 1, ik2);
	tarn_err_clear(&err);
	CHECK(import_one(&lf, &ll2, 1, 0, &b, &err) == TARN_EDATA);
	CHECK_CONTAINS(err.msg, "but the child has 3");

	/* more than 2 GiB in one column: refused before any copy */
	int64_t huge[] = { 0, 3000000000LL };
	const void *hb[3] = { NULL, huge, data };
	struct ArrowArray hcol = arr(1, 0, 0, 3, hb, 0, NULL);
	struct ArrowSchema hf = sch("U", "h", ARROW_FLAG_NULLABLE, 0, NULL);
	tarn_err_clear(&err);
	CHECK(import_one(&hf, &hcol, 1, 0, &b, &err) == TARN_ELIMIT);
	CHECK_CONTAINS(err.msg, "'h'");
	CHECK_CONTAINS(err.msg, "32-bit offsets");
}

TEST(import_date64)
{
	int64_t ms[] = { 0, 86400000, -1, -86400000, 86400000LL * 365, 86400001 };
	const void *bufs[2] = { NULL, ms };
	struct ArrowArray col = arr(6, 0, 0, 2, bufs, 0, NULL);
	struct ArrowSchema f = sch("tdm", "d", ARROW_FLAG_NULLABLE, 0, NULL);
	struct tarn_batch *b;
	OK(import_one(&f, &col, 6, 0, &b, NULL));
	int64_t want[] = { 0, 1, -1, -1, 365, 1 };
	for (int i = 0; i < 6; i++)
		CHECK(tarn_array_get_int(b->cols[0], i) == want[i]);
	CHECK(b->schema->fields[0].type.id == TARN_T_DATE32);
	tarn_batch_free(b);

	int64_t bad[] = { INT64_MAX };
	const void *bb[2] = { NULL, bad };
	struct ArrowArray bcol = arr(1, 0, 0, 2, bb, 0, NULL);
	struct ArrowSchema bf = sch("tdm", "d", ARROW_FLAG_NULLABLE, 0, NULL);
	struct tarn_err err;
	tarn_err_clear(&err);
	CHECK(import_one(&bf, &bcol, 1, 0, &b, &err) == TARN_EDATA);
	CHECK_CONTAINS(err.msg, "out of range");
}

TEST(import_dictionary)
{
	/* values: ["red", "green", null, "blüe"] */
	int32_t vo[] = { 0, 3, 8, 8, 13 };
	const char vd[] = "redgreenblüe";
	uint8_t vvalid[] = { 0x0b };
	const void *vb[3] = { vvalid, vo, vd };
	struct ArrowArray dict = arr(4, 1, 0, 3, vb, 0, NULL);
	/* indices int8 with offset 1: [x, 3, 0, null, 1, 2, 3] */
	int8_t idx[] = { 99, 3, 0, 99, 1, 2, 3 };
	uint8_t ivalid[] = { 0x77 }; /* physical 3 null */
	const void *ib[2] = { ivalid, idx };
	struct ArrowArray col = arr(6, 1, 1, 2, ib, 0, NULL);
	col.dictionary = &dict;
	struct ArrowSchema vs = sch("u", NULL, ARROW_FLAG_NULLABLE, 0, NULL);
	struct ArrowSchema f = sch("c", "color", ARROW_FLAG_NULLABLE, 0, NULL);
	f.dictionary = &vs;
	struct tarn_batch *b;
	struct tarn_err err;
	tarn_err_clear(&err);
	released_arrays = 0;
	tarn_rc rc = import_one(&f, &col, 6, 0, &b, &err);
	if (rc)
		fprintf(stderr, "%s\n", err.msg);
	REQUIRE(rc == TARN_OK);
	CHECK(released_arrays == 3); /* top, indices, dictionary */
	CHECK(b->schema->fields[0].type.id == TARN_T_STRING);
	CHECK(b->schema->fields[0].type.arrow_dict_index == TARN_T_INT8);
	struct tarn_array *a = b->cols[0];
	const char *want[] = { "blüe", "red", NULL, "green", NULL, "blüe" };
	for (int i = 0; i < 6; i++) {
		if (!want[i]) {
			CHECK(tarn_array_is_null(a, i));
			continue;
		}
		size_t n;
		const uint8_t *p = tarn_array_get_bytes(a, i, &n);
		CHECK(!tarn_array_is_null(a, i) && n == strlen(want[i]) &&
		      memcmp(p, want[i], n) == 0);
	}
	CHECK(a->null_count == 2);
	/* exported again, it is a plain utf8 column */
	struct ArrowSchema as;
	OK(tarn_schema_export(b->schema, &as, NULL));
	CHECK_STR(as.children[0]->format, "u");
	CHECK(as.children[0]->dictionary == NULL);
	as.release(&as);
	tarn_batch_free(b);

	/* an index outside the dictionary */
	int8_t bad_idx[] = { 0, 4 };
	const void *bib[2] = { NULL, bad_idx };
	struct ArrowArray dict2 = arr(4, 1, 0, 3, vb, 0, NULL);
	struct ArrowArray col2 = arr(2, 0, 0, 2, bib, 0, NULL);
	col2.dictionary = &dict2;
	tarn_err_clear(&err);
	released_arrays = 0;
	CHECK(import_one(&f, &col2, 2, 0, &b, &err) == TARN_EDATA);
	CHECK_CONTAINS(err.msg, "dictionary index 4 at row 1");
	CHECK(released_arrays == 3);

	/* dictionary-encoded schema, but the array carries no dictionary */
	int8_t ok_idx[] = { 0 };
	const void *okb[2] = { NULL, ok_idx };
	struct ArrowArray col3 = arr(1, 0, 0, 2, okb, 0, NULL);
	tarn_err_clear(&err);
	CHECK(import_one(&f, &col3, 1, 0, &b, &err) == TARN_EDATA);
	CHECK_CONTAINS(err.msg, "no dictionary");
}

/* ---- validation failures ----------------------------------------------------- */

static void expect_fail(struct ArrowSchema *f, struct ArrowArray *col, int64_t len,
			tarn_rc want, const char *needle1, const char *needle2)
{
	struct tarn_batch *b = NULL;
	struct tarn_err err;
	tarn_err_clear(&err);
	released_arrays = 0;
	tarn_rc rc = import_one(f, col, len, 0, &b, &err);
	CHECK(rc == want);
	CHECK(b == NULL);
	CHECK(released_arrays >= 1);
	CHECK_CONTAINS(err.msg, needle1);
	if (needle2)
		CHECK_CONTAINS(err.msg, needle2);
}

TEST(validation_bad_offsets)
{
	int32_t so[] = { 0, 3, 2, 5 };
	const void *sb[3] = { NULL, so, "abcde" };
	struct ArrowArray col = arr(3, 0, 0, 3, sb, 0, NULL);
	struct ArrowSchema f = sch("u", "name", ARROW_FLAG_NULLABLE, 0, NULL);
	expect_fail(&f, &col, 3, TARN_EDATA, "column 'name'", "offsets decrease at row 1");

	int32_t neg[] = { -1, 2 };
	const void *nb[3] = { NULL, neg, "abcde" };
	struct ArrowArray col2 = arr(1, 0, 0, 3, nb, 0, NULL);
	expect_fail(&f, &col2, 1, TARN_EDATA, "'name'", "negative");

	/* list offsets beyond the child's length */
	int32_t lo[] = { 0, 5 };
	int64_t iv[] = { 1, 2, 3 };
	const void *ivb[2] = { NULL, iv };
	struct ArrowArray items = arr(3, 0, 0, 2, ivb, 0, NULL);
	struct ArrowArray *ik[1] = { &items };
	const void *lb[2] = { NULL, lo };
	struct ArrowArray lcol = arr(1, 0, 0, 2, lb, 1, ik);
	struct ArrowSchema it = sch("l", "item", ARROW_FLAG_NULLABLE, 0, NULL);
	struct ArrowSchema *itk[1] = { &it };
	struct ArrowSchema lf = sch("+l", "tags", ARROW_FLAG_NULLABLE, 1, itk);
	expect_fail(&lf, &lcol, 1, TARN_EDATA, "'tags'", "reach item 5 but the child has 3");
}

TEST(validation_bad_utf8)
{
	int32_t so[] = { 0, 2, 4, 5 };
	const char data[] = "ok\xc3\xa9\xff";
	const void *sb[3] = { NULL, so, data };
	struct ArrowArray col = arr(3, 0, 0, 3, sb, 0, NULL);
	struct ArrowSchema f = sch("u", "city", ARROW_FLAG_NULLABLE, 0, NULL);
	expect_fail(&f, &col, 3, TARN_EDATA, "column 'city'", "invalid UTF-8 in row 2");

	/* a valid buffer split inside a character is invalid too */
	int32_t so2[] = { 0, 3, 4 };
	const void *sb2[3] = { NULL, so2, data };
	struct ArrowArray col2 = arr(2, 0, 0, 3, sb2, 0, NULL);
	expect_fail(&f, &col2, 2, TARN_EDATA, "invalid UTF-8 in row 0", NULL);

	/* inside a list: the path names the item */
	int32_t lo[] = { 0, 3 };
	const void *lb[2] = { NULL, lo };
	struct ArrowArray items = arr(3, 0, 0, 3, sb, 0, NULL);
	struct ArrowArray *ik[1] = { &items };
	struct ArrowArray lcol = arr(1, 0, 0, 2, lb, 1, ik);
	struct ArrowSchema it = sch("u", "item", ARROW_FLAG_NULLABLE, 0, NULL);
	struct ArrowSchema *itk[1] = { &it };
	struct ArrowSchema lf = sch("+l", "words", ARROW_FLAG_NULLABLE, 1, itk);
	expect_fail(&lf, &lcol, 1, TARN_EDATA, "column 'words'", "item: invalid UTF-8 in row 2");

	/* bad bytes in a null row are not data: accepted */
	uint8_t valid[] = { 0x03 };
	const void *sb3[3] = { valid, so, data };
	struct ArrowArray col3 = arr(3, 1, 0, 3, sb3, 0, NULL);
	struct tarn_batch *b;
	OK(import_one(&f, &col3, 3, 0, &b, NULL));
	CHECK(tarn_array_is_null(b->cols[0], 2));
	tarn_batch_free(b);
}

TEST(validation_structure)
{
	int32_t v[] = { 1, 2, 3 };
	const void *three[3] = { NULL, v, v };
	struct ArrowArray col = arr(3, 0, 0, 3, three, 0, NULL);
	struct ArrowSchema f = sch("i", "n", ARROW_FLAG_NULLABLE, 0, NULL);
	expect_fail(&f, &col, 3, TARN_EDATA, "'n'", "int32 array has 3 buffers, expected 2");

	const void *two[2] = { NULL, v };
	struct ArrowArray col2 = arr(2, 0, 0, 2, two, 0, NULL);
	expect_fail(&f, &col2, 3, TARN_EDATA, "array has 2 rows but 3 are needed", NULL);

	uint8_t valid[] = { 0x05 }; /* one null among 3 */
	const void *vb[2] = { valid, v };
	struct ArrowArray col3 = arr(3, 2, 0, 2, vb, 0, NULL);
	expect_fail(&f, &col3, 3, TARN_EDATA, "null_count is 2 but the validity bitmap has 1", NULL);

	struct ArrowArray col4 = arr(3, 1, 0, 2, two, 0, NULL);
	expect_fail(&f, &col4, 3, TARN_EDATA, "no validity bitmap", NULL);

	struct ArrowArray col5 = arr(-1, 0, 0, 2, two, 0, NULL);
	expect_fail(&f, &col5, 0, TARN_EDATA, "bad length", NULL);

	struct ArrowArray col6 = arr(3, 0, 0, 2, two, 0, NULL);
	struct ArrowArray stray = arr(3, 0, 0, 2, two, 0, NULL);
	col6.dictionary = &stray;
	expect_fail(&f, &col6, 3, TARN_EDATA, "has a dictionary but its schema is not", NULL);

	/* map with a null key */
	int32_t mo[] = { 0, 2 };
	int32_t ko[] = { 0, 1, 1 };
	uint8_t kvalid[] = { 0x01 };
	const void *kb[3] = { kvalid, ko, "a" };
	struct ArrowArray keys = arr(2, 1, 0, 3, kb, 0, NULL);
	int64_t vals[] = { 1, 2 };
	const void *valb[2] = { NULL, vals };
	struct ArrowArray values = arr(2, 0, 0, 2, valb, 0, NULL);
	struct ArrowArray *ek[2] = { &keys, &values };
	const void *eb[1] = { NULL };
	struct ArrowArray entries = arr(2, 0, 0, 1, eb, 2, ek);
	struct ArrowArray *mk[1] = { &entries };
	const void *mb[2] = { NULL, mo };
	struct ArrowArray mcol = arr(1, 0, 0, 2, mb, 1, mk);
	struct ArrowSchema ks = sch("u", "key", 0, 0, NULL);
	struct ArrowSchema vs = sch("l", "value", ARROW_FLAG_NULLABLE, 0, NULL);
	struct ArrowSchema *esk[2] = { &ks, &vs };
	struct ArrowSchema es = sch("+s", "entries", 0, 2, esk);
	struct ArrowSchema *msk[1] = { &es };
	struct ArrowSchema mf = sch("+m", "attrs", ARROW_FLAG_NULLABLE, 1, msk);
	expect_fail(&mf, &mcol, 1, TARN_EDATA, "'attrs'", "map key is null");

	/* wrong column count against the schema */
	struct tarn_schema *s;
	const char *names[] = { "a", "b" };
	const char *types[] = { "int32", "int32" };
	s = schema_of(2, names, types);
	REQUIRE(s);
	struct ArrowArray c1 = arr(3, 0, 0, 2, two, 0, NULL);
	struct ArrowArray *tk[1] = { &c1 };
	const void *tb[1] = { NULL };
	struct ArrowArray top = arr(3, 0, 0, 1, tb, 1, tk);
	struct tarn_batch *b;
	struct tarn_err err;
	tarn_err_clear(&err);
	released_arrays = 0;
	CHECK(tarn_batch_import(&top, s, &b, &err) == TARN_EDATA);
	CHECK_CONTAINS(err.msg, "1 columns, the schema 2");
	CHECK(top.release == NULL && released_arrays == 2);
	/* already released input */
	tarn_err_clear(&err);
	CHECK(tarn_batch_import(&top, s, &b, &err) == TARN_EUSAGE);
	CHECK_CONTAINS(err.msg, "already released");
	tarn_schema_unref(s);
}

TEST(schema_import_failures)
{
	struct tarn_schema *s;
	struct tarn_err err;
	const char *unsupported[] = { "e", "+w:4", "d:10,2,256", "vu", "tDs", "w:16", "+ud:0,1" };
	for (size_t i = 0; i < sizeof unsupported / sizeof unsupported[0]; i++) {
		struct ArrowSchema f = sch(unsupported[i], "col", ARROW_FLAG_NULLABLE, 0, NULL);
		struct ArrowSchema *fk[1] = { &f };
		struct ArrowSchema top = sch("+s", "", 0, 1, fk);
		tarn_err_clear(&err);
		CHECK(tarn_schema_import(&top, &s, &err) == TARN_EUNSUPPORTED);
		CHECK_CONTAINS(err.msg, "'col'");
		CHECK_CONTAINS(err.msg, "not supported");
	}
	/* top level must be a struct */
	struct ArrowSchema ti = sch("i", "", 0, 0, NULL);
	tarn_err_clear(&err);
	CHECK(tarn_schema_import(&ti, &s, &err) == TARN_EDATA);
	CHECK_CONTAINS(err.msg, "must be a struct");
	/* list with two children */
	struct ArrowSchema a = sch("i", "a", 0, 0, NULL), bb = sch("i", "b", 0, 0, NULL);
	struct ArrowSchema *lk[2] = { &a, &bb };
	struct ArrowSchema l = sch("+l", "lst", 0, 2, lk);
	struct ArrowSchema *fk[1] = { &l };
	struct ArrowSchema top = sch("+s", "", 0, 1, fk);
	tarn_err_clear(&err);
	CHECK(tarn_schema_import(&top, &s, &err) == TARN_EDATA);
	CHECK_CONTAINS(err.msg, "needs 1 children");
	/* malformed decimal, bad precision, negative scale */
	const char *decs[] = { "d:", "d:x,1", "d:39,1", "d:5,-1" };
	tarn_rc want[] = { TARN_EDATA, TARN_EDATA, TARN_EDATA, TARN_EUNSUPPORTED };
	for (int i = 0; i < 4; i++) {
		struct ArrowSchema d = sch(decs[i], "dec", 0, 0, NULL);
		struct ArrowSchema *dk[1] = { &d };
		struct ArrowSchema dt = sch("+s", "", 0, 1, dk);
		tarn_err_clear(&err);
		CHECK(tarn_schema_import(&dt, &s, &err) == want[i]);
		CHECK_CONTAINS(err.msg, "'dec'");
	}
	/* a released schema, a NULL child, a NULL format */
	struct ArrowSchema r = sch("+s", "", 0, 0, NULL);
	r.release = NULL;
	tarn_err_clear(&err);
	CHECK(tarn_schema_import(&r, &s, &err) == TARN_EUSAGE);
	struct ArrowSchema *nk[1] = { NULL };
	struct ArrowSchema nt = sch("+s", "", 0, 1, nk);
	CHECK(tarn_schema_import(&nt, &s, NULL) == TARN_EDATA);
	struct ArrowSchema nf = sch(NULL, "x", 0, 0, NULL);
	struct ArrowSchema *nfk[1] = { &nf };
	struct ArrowSchema nft = sch("+s", "", 0, 1, nfk);
	CHECK(tarn_schema_import(&nft, &s, NULL) == TARN_EDATA);
	/* hostile nesting: 100 nested lists */
	struct ArrowSchema deep[101];
	struct ArrowSchema *deepk[101];
	deep[100] = sch("i", "item", 0, 0, NULL);
	for (int i = 99; i >= 0; i--) {
		deepk[i] = &deep[i + 1];
		deep[i] = sch("+l", "item", 0, 1, &deepk[i]);
	}
	struct ArrowSchema *dtk[1] = { &deep[0] };
	struct ArrowSchema dtop = sch("+s", "", 0, 1, dtk);
	tarn_err_clear(&err);
	CHECK(tarn_schema_import(&dtop, &s, &err) == TARN_ELIMIT);
	CHECK_CONTAINS(err.msg, "nested more than");
}

/* ---- release semantics ------------------------------------------------------- */

TEST(release_and_move)
{
	struct tarn_schema *s;
	struct tarn_batch *b = nested_batch(&s);
	REQUIRE(b);
	struct tarn_batch *keep = copy_batch(b);
	REQUIRE(keep);
	struct ArrowArray aa;
	OK(tarn_batch_export(b, &aa, NULL)); /* b is gone now */
	CHECK(aa.release != NULL && aa.n_children == 4 && aa.offset == 0);
	/* Move column 1 (list<list<string>>) out, as a consumer may. */
	struct ArrowArray moved = *aa.children[1];
	aa.children[1]->release = NULL;
	/* Move the struct's list member out of column 2 as well. */
	struct ArrowArray moved_member = *aa.children[2]->children[1];
	aa.children[2]->children[1]->release = NULL;
	aa.release(&aa);
	CHECK(aa.release == NULL);
	/* the moved arrays are still valid: re-import column 1 through a
	 * struct wrapper built by hand */
	CHECK(moved.length == 5 && moved.n_children == 1);
	const int32_t *off = moved.buffers[1];
	CHECK(off[0] == 0 && off[4] == 6 && off[5] == 10); /* row 4 is null but keeps its items */
	const struct ArrowArray *inner = moved.children[0];
	const struct ArrowArray *strs = inner->children[0];
	const int32_t *so = strs->buffers[1];
	const char *sd = strs->buffers[2];
	CHECK(so[1] - so[0] == 5 && memcmp(sd, "ß0.0", 5) == 0);
	moved.release(&moved);
	CHECK(moved.release == NULL);
	CHECK(moved_member.length == 5);
	moved_member.release(&moved_member);

	/* schema: move a child out, release both */
	struct ArrowSchema as;
	OK(tarn_schema_export(s, &as, NULL));
	struct ArrowSchema ms = *as.children[3];
	as.children[3]->release = NULL;
	as.release(&as);
	CHECK_STR(ms.format, "+m");
	CHECK_STR(ms.children[0]->children[1]->name, "value");
	ms.release(&ms);
	CHECK(ms.release == NULL);
	tarn_batch_free(keep);
	tarn_schema_unref(s);
}

TEST(import_releases_once)
{
	int32_t v[] = { 1, 2 };
	const void *two[2] = { NULL, v };
	struct ArrowSchema f = sch("i", "x", ARROW_FLAG_NULLABLE, 0, NULL);
	/* success */
	struct ArrowArray col = arr(2, 0, 0, 2, two, 0, NULL);
	struct tarn_batch *b;
	released_arrays = 0;
	OK(import_one(&f, &col, 2, 0, &b, NULL));
	CHECK(released_arrays == 2 && col.release == NULL);
	tarn_batch_free(b);
	/* failure deep inside: still released exactly once each */
	struct ArrowArray bad = arr(2, 5, 0, 2, two, 0, NULL);
	released_arrays = 0;
	CHECK(import_one(&f, &bad, 2, 0, &b, NULL) == TARN_EDATA);
	CHECK(released_arrays == 2 && bad.release == NULL);
}

/* ---- stream ------------------------------------------------------------------ */

struct fake_reader {
	struct tarn_reader base;
	int produced, total, fail_at;
	int *closed;
};

static tarn_rc fake_next(struct tarn_reader *r, struct tarn_batch **out, struct tarn_err *err)
{
	struct fake_reader *f = (struct fake_reader *)r;
	if (f->produced == f->fail_at)
		return tarn_err_set(err, TARN_EDATA, "fake.csv:7:3: bad value 'x' in column 'n'");
	if (f->produced == f->total)
		return TARN_OK;
	struct tarn_batch *b;
	TRY(tarn_batch_new(r->schema, 0, &b));
	for (int i = 0; i <= f->produced; i++) {
		tarn_rc rc = tarn_array_append_int(b->cols[0], f->produced * 10 + i);
		if (rc) {
			tarn_batch_free(b);
			return rc;
		}
	}
	tarn_rc rc = tarn_batch_seal(b, err);
	if (rc) {
		tarn_batch_free(b);
		return rc;
	}
	f->produced++;
	*out = b;
	return TARN_OK;
}

static void fake_close(struct tarn_reader *r)
{
	struct fake_reader *f = (struct fake_reader *)r;
	(*f->closed)++;
	tarn_free(f);
}

static const struct tarn_reader_ops fake_ops = { .next = fake_next, .close = fake_close };

static struct tarn_reader *fake_open(int total, int fail_at, int *closed)
{
	struct fake_reader *f = tarn_calloc(1, sizeof *f);
	const char *names[] = { "n" };
	const char *types[] = { "int64" };
	f->base.ops = &fake_ops;
	f->base.schema = schema_of(1, names, types);
	f->total = total;
	f->fail_at = fail_at;
	f->closed = closed;
	return &f->base;
}

TEST(stream_export)
{
	int closed = 0;
	struct ArrowArrayStream st;
	OK(tarn_reader_export_stream(fake_open(3, -1, &closed), &st, NULL));
	struct ArrowSchema as;
	CHECK(st.get_schema(&st, &as) == 0);
	CHECK_STR(as.format, "+s");
	CHECK(as.n_children == 1);
	CHECK_STR(as.children[0]->name, "n");
	CHECK_STR(as.children[0]->format, "l");
	as.release(&as);
	CHECK(st.get_last_error(&st) == NULL);
	for (int k = 0; k < 3; k++) {
		struct ArrowArray aa;
		CHECK(st.get_next(&st, &aa) == 0);
		REQUIRE(aa.release != NULL);
		CHECK(aa.length == k + 1);
		const int64_t *v = aa.children[0]->buffers[1];
		CHECK(v[k] == k * 10 + k);
		aa.release(&aa);
	}
	struct ArrowArray end;
	CHECK(st.get_next(&st, &end) == 0);
	CHECK(end.release == NULL);
	CHECK(closed == 0);
	st.release(&st);
	CHECK(st.release == NULL);
	CHECK(closed == 1);

	/* a reader that fails on its second batch */
	closed = 0;
	OK(tarn_reader_export_stream(fake_open(5, 1, &closed), &st, NULL));
	struct ArrowArray aa;
	CHECK(st.get_next(&st, &aa) == 0 && aa.release);
	aa.release(&aa);
	CHECK(st.get_next(&st, &aa) == EINVAL);
	CHECK(aa.release == NULL);
	CHECK_CONTAINS(st.get_last_error(&st), "fake.csv:7:3");
	CHECK(st.get_next(&st, &aa) == EINVAL); /* stays failed */
	st.release(&st);
	CHECK(closed == 1);
}

int main(void)
{
	RUN(roundtrip_integers_and_floats);
	RUN(roundtrip_decimals);
	RUN(roundtrip_strings_and_binary);
	RUN(roundtrip_temporal);
	RUN(time32_export_out_of_range);
	RUN(roundtrip_nested);
	RUN(roundtrip_all_null_and_empty);
	RUN(nullable_flags_and_names);
	RUN(import_sliced_with_offsets);
	RUN(import_unaligned_validity);
	RUN(import_large_types);
	RUN(import_date64);
	RUN(import_dictionary);
	RUN(validation_bad_offsets);
	RUN(validation_bad_utf8);
	RUN(validation_structure);
	RUN(schema_import_failures);
	RUN(release_and_move);
	RUN(import_releases_once);
	RUN(stream_export);
	return unit_done();
}
