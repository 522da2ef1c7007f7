/*
 * parquet.c — unit tests of the Parquet format: Thrift compact protocol round
 * trips and hostile inputs, the RLE/bit-packed hybrid, every value encoding,
 * every codec, and writer → reader round trips of every tarn type (nested,
 * nulls, empty tables, huge strings) under every writer option, plus reader
 * errors (naming the file and where) and allocation-failure injection.
 *
 * The corpus test (parquet_corpus.c) and tests/integration/parquet_peers.sh
 * cover the files other writers make and what other readers make of tarn's.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/io.h"
#include "base/mem.h"
#include "columnar/array.h"
#include "columnar/text.h"
#include "formats/format.h"
#include "formats/parquet/parquet_int.h"
#include "formats/parquet/thrift.h"
#include "unit.h"

extern const struct tarn_format tarn_format_parquet;

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;
static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* ---- thrift ----------------------------------------------------------------------- */

TEST(thrift_round_trip)
{
	struct tarn_buf b;
	tarn_buf_init(&b);
	struct thrift_out o;
	thrift_out_init(&o, &b);
	thrift_w_root_begin(&o);
	thrift_w_i32(&o, 1, -123456);
	thrift_w_i64(&o, 2, INT64_MIN);
	thrift_w_bool(&o, 3, true);
	thrift_w_bool(&o, 4, false);
	thrift_w_binary(&o, 5, "hello", 5);
	thrift_w_double(&o, 6, -2.5);
	thrift_w_i8(&o, 7, -7);
	thrift_w_i64(&o, 40, 42); /* delta > 15: long form */
	thrift_w_i32(&o, 20, 7);  /* going back: long form too */
	thrift_w_list(&o, 21, THRIFT_I32, 20); /* long list header */
	for (int i = 0; i < 20; i++)
		thrift_e_i32(&o, i - 10);
	thrift_w_list(&o, 22, THRIFT_BOOL, 3);
	thrift_e_bool(&o, true);
	thrift_e_bool(&o, false);
	thrift_e_bool(&o, true);
	thrift_w_struct_begin(&o, 23);
	thrift_w_i32(&o, 1, 99);
	thrift_w_struct_begin(&o, 2);
	thrift_w_binary(&o, 1, "", 0);
	thrift_w_struct_end(&o);
	thrift_w_struct_end(&o);
	thrift_w_list(&o, 24, THRIFT_STRUCT, 2);
	for (int i = 0; i < 2; i++) {
		thrift_e_struct_begin(&o);
		thrift_w_i64(&o, 1, i);
		thrift_w_struct_end(&o);
	}
	thrift_w_root_end(&o);
	REQUIRE(o.rc == TARN_OK);

	struct thrift_in in;
	thrift_in_init(&in, b.data, b.len);
	struct thrift_field f;
	REQUIRE(thrift_struct_begin(&in, &f));
	int seen = 0;
	while (thrift_next_field(&in, &f)) {
		seen++;
		switch (f.id) {
		case 1: CHECK(thrift_i32(&in) == -123456); break;
		case 2: CHECK(thrift_i64(&in) == INT64_MIN); break;
		case 3: CHECK(thrift_bool_field(&f)); break;
		case 4: CHECK(!thrift_bool_field(&f)); break;
		case 5: {
			size_t n;
			const uint8_t *p = thrift_binary(&in, &n);
			CHECK(n == 5 && memcmp(p, "hello", 5) == 0);
			break;
		}
		case 6: CHECK(thrift_double(&in) == -2.5); break;
		case 7: CHECK(thrift_i8(&in) == -7); break;
		case 40: CHECK(thrift_i64(&in) == 42); break;
		case 20: CHECK(thrift_i32(&in) == 7); break;
		case 21: {
			int et;
			int64_t n = thrift_list(&in, &et);
			CHECK(n == 20 && et == THRIFT_I32);
			for (int i = 0; i < n; i++)
				CHECK(thrift_i32(&in) == i - 10);
			break;
		}
		case 22: {
			int et;
			int64_t n = thrift_list(&in, &et);
			CHECK(n == 3 && et == THRIFT_BOOL);
			CHECK(thrift_bool_elem(&in));
			CHECK(!thrift_bool_elem(&in));
			CHECK(thrift_bool_elem(&in));
			break;
		}
		default: thrift_skip(&in, f.type); /* 23, 24: nested, skipped */
		}
	}
	thrift_struct_end(&in);
	CHECK(!in.bad);
	CHECK(seen == 13);
	CHECK(thrift_offset(&in) == b.len);
	tarn_buf_free(&b);
}

TEST(thrift_hostile)
{
	/* Truncated everywhere: never reads past the end, always flags it. */
	struct tarn_buf b;
	tarn_buf_init(&b);
	struct thrift_out o;
	thrift_out_init(&o, &b);
	thrift_w_root_begin(&o);
	thrift_w_binary(&o, 1, "abcdefgh", 8);
	thrift_w_list(&o, 2, THRIFT_I64, 3);
	thrift_e_i64(&o, 1);
	thrift_e_i64(&o, 1LL << 40);
	thrift_e_i64(&o, -5);
	thrift_w_struct_begin(&o, 3);
	thrift_w_i32(&o, 1, 1);
	thrift_w_struct_end(&o);
	thrift_w_root_end(&o);
	REQUIRE(o.rc == TARN_OK);
	for (size_t cut = 0; cut < b.len; cut++) {
		uint8_t *copy = malloc(cut ? cut : 1);
		memcpy(copy, b.data, cut);
		struct thrift_in in;
		thrift_in_init(&in, copy, cut);
		thrift_skip(&in, THRIFT_STRUCT);
		CHECK(in.bad);
		free(copy);
	}
	/* A list claiming more elements than bytes. */
	uint8_t lie[] = { 0x19, 0xf5, 0xff, 0xff, 0xff, 0x0f, 0x00 };
	struct thrift_in in;
	thrift_in_init(&in, lie, sizeof lie);
	thrift_skip(&in, THRIFT_STRUCT);
	CHECK(in.bad);
	/* Deep nesting is capped. */
	uint8_t deep[400];
	for (size_t i = 0; i < sizeof deep; i++)
		deep[i] = 0x1c; /* field 1, struct */
	thrift_in_init(&in, deep, sizeof deep);
	thrift_skip(&in, THRIFT_STRUCT);
	CHECK(in.bad);
	/* An over-long varint. */
	uint8_t vl[12];
	memset(vl, 0xff, sizeof vl);
	thrift_in_init(&in, vl, sizeof vl);
	(void)thrift_varint(&in);
	CHECK(in.bad);
	tarn_buf_free(&b);
}

TEST(meta_round_trip)
{
	struct pq_file_meta m;
	memset(&m, 0, sizeof m);
	tarn_arena_init(&m.arena, 0);
	struct pq_schema_elem el[3];
	memset(el, 0, sizeof el);
	for (int i = 0; i < 3; i++) {
		el[i].type = -1;
		el[i].type_length = -1;
		el[i].repetition = -1;
		el[i].num_children = -1;
		el[i].converted = PQ_CT_NONE;
		el[i].scale = el[i].precision = -1;
	}
	el[0].name = "schema";
	el[0].num_children = 2;
	el[1].name = "ts";
	el[1].type = PQ_INT64;
	el[1].repetition = PQ_OPTIONAL;
	el[1].logical.kind = PQ_LT_TIMESTAMP;
	el[1].logical.unit = PQ_NANOS;
	el[1].logical.utc = true;
	el[2].name = "d";
	el[2].type = PQ_FLBA;
	el[2].type_length = 9;
	el[2].repetition = PQ_REQUIRED;
	el[2].logical.kind = PQ_LT_DECIMAL;
	el[2].logical.precision = 20;
	el[2].logical.scale = 4;
	el[2].converted = PQ_CT_DECIMAL;
	el[2].precision = 20;
	el[2].scale = 4;
	m.schema = el;
	m.n_schema = 3;
	m.num_rows = 0;
	m.version = 1;
	m.created_by = "unit test";
	struct tarn_buf b;
	tarn_buf_init(&b);
	struct thrift_out o;
	thrift_out_init(&o, &b);
	pq_file_meta_encode(&o, &m);
	REQUIRE(o.rc == TARN_OK);
	struct pq_file_meta r;
	struct tarn_err err = { 0 };
	REQUIRE(pq_file_meta_decode((const uint8_t *)b.data, b.len, &r, "x.parquet", 0, &err) ==
		TARN_OK);
	CHECK(r.n_schema == 3);
	CHECK_STR(r.schema[1].name, "ts");
	CHECK(r.schema[1].logical.kind == PQ_LT_TIMESTAMP && r.schema[1].logical.unit == PQ_NANOS &&
	      r.schema[1].logical.utc);
	CHECK(r.schema[2].logical.kind == PQ_LT_DECIMAL && r.schema[2].logical.precision == 20 &&
	      r.schema[2].logical.scale == 4 && r.schema[2].type_length == 9);
	CHECK_STR(r.created_by, "unit test");
	pq_file_meta_free(&r);
	/* Every truncation is an error naming the file and an offset. */
	for (size_t cut = 0; cut < b.len; cut++) {
		struct tarn_err e = { 0 };
		tarn_rc rc = pq_file_meta_decode((const uint8_t *)b.data, cut, &r, "x.parquet", 100, &e);
		CHECK(rc == TARN_EDATA);
		CHECK_CONTAINS(e.msg, "x.parquet: corrupt Parquet footer");
		CHECK_CONTAINS(e.msg, "byte offset");
		pq_file_meta_free(&r);
	}
	tarn_buf_free(&b);
	tarn_arena_free(&m.arena);
}

/* ---- RLE / bit-packed hybrid ----------------------------------------------------------- */

TEST(rle_round_trip_all_widths)
{
	for (int bw = 0; bw <= 32; bw++) {
		int64_t n = 1000 + (int64_t)(rnd() % 3000);
		uint32_t *v = malloc((size_t)n * sizeof *v), *got = malloc((size_t)n * sizeof *got);
		uint32_t mask = bw == 32 ? 0xffffffffu : (1u << bw) - 1;
		for (int64_t i = 0; i < n; i++) {
			/* runs and noise mixed */
			if (i % 100 < 40)
				v[i] = i ? v[i - 1] : 1;
			else
				v[i] = (uint32_t)rnd();
			v[i] &= mask;
		}
		struct tarn_buf b;
		tarn_buf_init(&b);
		REQUIRE(pq_rle_encode(&b, v, n, bw) == TARN_OK);
		/* decode in odd-sized pieces */
		struct pq_rle d;
		pq_rle_init(&d, (const uint8_t *)b.data, b.len, bw);
		int64_t at = 0;
		while (at < n) {
			int64_t k = 1 + (int64_t)(rnd() % 77);
			if (k > n - at)
				k = n - at;
			int64_t g = pq_rle_get_u32(&d, got + at, k);
			CHECK(g == k);
			if (g != k)
				break;
			at += k;
		}
		CHECK(memcmp(v, got, (size_t)n * sizeof *v) == 0);
		CHECK(!d.bad);
		free(v);
		free(got);
		tarn_buf_free(&b);
	}
}

TEST(rle_u8_levels)
{
	uint8_t lv[5000], got[5000];
	for (int i = 0; i < 5000; i++)
		lv[i] = (uint8_t)(i < 2000 ? 1 : (rnd() % 4));
	struct tarn_buf b;
	tarn_buf_init(&b);
	REQUIRE(pq_rle_encode_u8(&b, lv, 5000, 2) == TARN_OK);
	struct pq_rle d;
	pq_rle_init(&d, (const uint8_t *)b.data, b.len, 2);
	CHECK(pq_rle_get_u8(&d, got, 5000) == 5000);
	CHECK(memcmp(lv, got, 5000) == 0);
	/* asking for more than there is stops at the end, not bad */
	CHECK(pq_rle_get_u8(&d, got, 10) == 0);
	tarn_buf_free(&b);
}

TEST(rle_edge_cases)
{
	struct pq_rle d;
	uint32_t out[64];
	/* RLE run: 10 x value 5 at bw 3 (1 byte value) */
	uint8_t a[] = { 10 << 1, 5 };
	pq_rle_init(&d, a, sizeof a, 3);
	CHECK(pq_rle_get_u32(&d, out, 64) == 10);
	CHECK(out[0] == 5 && out[9] == 5);
	/* value wider than the bit width: malformed */
	uint8_t b[] = { 4 << 1, 9 };
	pq_rle_init(&d, b, sizeof b, 3);
	CHECK(pq_rle_get_u32(&d, out, 4) == 0);
	CHECK(d.bad);
	/* zero-length run: malformed */
	uint8_t c[] = { 0, 1 };
	pq_rle_init(&d, c, sizeof c, 1);
	CHECK(pq_rle_get_u32(&d, out, 1) == 0 && d.bad);
	/* bit-packed run claims 2 groups (16 values, bw 4 = 8 bytes) but only
	 * 4 bytes follow: 8 values decode */
	uint8_t e[] = { (2 << 1) | 1, 0x21, 0x43, 0x65, 0x87 };
	pq_rle_init(&d, e, sizeof e, 4);
	int64_t n = pq_rle_get_u32(&d, out, 16);
	CHECK(n == 8);
	for (int i = 0; i < 8; i++)
		CHECK(out[i] == (uint32_t)(i + 1));
	/* bit width 0: runs of zeros without value bytes */
	uint8_t z[] = { 7 << 1 };
	pq_rle_init(&d, z, sizeof z, 0);
	CHECK(pq_rle_get_u32(&d, out, 7) == 7 && out[6] == 0);
	/* truncated RLE value bytes */
	uint8_t t[] = { 3 << 1, 0x01 };
	pq_rle_init(&d, t, sizeof t, 16);
	CHECK(pq_rle_get_u32(&d, out, 3) == 0 && d.bad);
	/* MSB-first BIT_PACKED levels: 1,0,1,1 at bw 1 = 1011 0000 */
	uint8_t m[] = { 0xb0 };
	uint8_t l8[4];
	CHECK(pq_bitpacked_msb_get_u8(m, 1, 1, 0, l8, 4) == 4);
	CHECK(l8[0] == 1 && l8[1] == 0 && l8[2] == 1 && l8[3] == 1);
}

TEST(unpack_all_widths)
{
	for (int bw = 0; bw <= 64; bw++) {
		uint64_t v[32];
		uint8_t packed[8 * 32 + 16];
		memset(packed, 0, sizeof packed);
		uint64_t mask = bw == 64 ? ~0ULL : (1ULL << bw) - 1;
		unsigned __int128 acc = 0;
		int nbits = 0;
		size_t pos = 0;
		for (int i = 0; i < 32; i++) {
			v[i] = rnd() & mask;
			acc |= (unsigned __int128)v[i] << nbits;
			nbits += bw;
			while (nbits >= 8) {
				packed[pos++] = (uint8_t)acc;
				acc >>= 8;
				nbits -= 8;
			}
		}
		uint64_t got[32];
		pq_unpack32_u64(packed, got, bw);
		CHECK(memcmp(v, got, sizeof v) == 0);
		if (bw <= 32) {
			uint32_t g32[32];
			pq_unpack32_u32(packed, g32, bw);
			for (int i = 0; i < 32; i++)
				CHECK(g32[i] == (uint32_t)v[i]);
		}
	}
}

/* ---- encodings ----------------------------------------------------------------------- */

static struct pq_leaf make_leaf(int phys, enum pq_conv conv, const struct tarn_type *t,
				int32_t tlen)
{
	struct pq_leaf lf;
	memset(&lf, 0, sizeof lf);
	lf.phys = phys;
	lf.conv = conv;
	lf.type = t;
	lf.type_length = tlen;
	lf.path = "c";
	return lf;
}

static struct pq_valdec *new_valdec(void)
{
	struct pq_valdec *v = calloc(1, sizeof *v);
	tarn_buf_init(&v->prev);
	return v;
}

static void free_valdec(struct pq_valdec *v)
{
	pq_valdec_free(v);
	free(v);
}

TEST(delta_binary_packed)
{
	for (int round = 0; round < 40; round++) {
		bool i32 = round & 1;
		int64_t n = round < 4 ? round : 1 + (int64_t)(rnd() % 2000);
		int64_t *v = malloc((size_t)(n ? n : 1) * sizeof *v);
		int64_t x = (int64_t)rnd();
		for (int64_t i = 0; i < n; i++) {
			switch (round % 4) {
			case 0: x += (int64_t)(rnd() % 5); break;              /* sorted */
			case 1: x = (int64_t)rnd(); break;                     /* anything */
			case 2: x = (round & 8) ? INT64_MIN : INT64_MAX; break; /* extremes */
			default: x -= (int64_t)(rnd() % 1000); break;          /* descending */
			}
			v[i] = i32 ? (int32_t)x : x;
		}
		struct tarn_buf b;
		tarn_buf_init(&b);
		REQUIRE(pq_delta_encode(&b, v, n, i32) == TARN_OK);
		const uint8_t *end;
		const char *why;
		CHECK(pq_delta_end((const uint8_t *)b.data, b.len, &end, &why) == TARN_OK);
		CHECK(end == (const uint8_t *)b.data + b.len);
		struct tarn_type t;
		tarn_type_init(&t, i32 ? TARN_T_INT32 : TARN_T_INT64);
		struct pq_leaf lf = make_leaf(i32 ? PQ_INT32 : PQ_INT64,
					      i32 ? PQ_CV_COPY4 : PQ_CV_COPY8, &t, 0);
		struct pq_valdec *vd = new_valdec();
		struct tarn_array *a;
		REQUIRE(tarn_array_new(&t, 0, &a) == TARN_OK);
		REQUIRE(pq_valdec_init(vd, &lf, PQ_ENC_DELTA_BINARY_PACKED, (const uint8_t *)b.data,
				       b.len, NULL) == TARN_OK);
		/* in two calls, to cross a miniblock */
		int64_t h = n / 3;
		CHECK(pq_valdec_read(vd, a, h) == TARN_OK);
		CHECK(pq_valdec_read(vd, a, n - h) == TARN_OK);
		CHECK(a->length == n);
		for (int64_t i = 0; i < n && i < a->length; i++)
			CHECK(tarn_array_get_int(a, i) == v[i]);
		/* one more value than encoded is an error */
		CHECK(pq_valdec_read(vd, a, 1) == TARN_EDATA);
		tarn_array_free(a);
		free_valdec(vd);
		/* every truncation fails cleanly */
		for (size_t cut = 0; cut + 1 < b.len && n > 0; cut += 1 + b.len / 50) {
			struct pq_valdec *v2 = new_valdec();
			struct tarn_array *a2;
			REQUIRE(tarn_array_new(&t, 0, &a2) == TARN_OK);
			/* Either an error, or (the cut only took padding) the
			 * right values: never wrong ones. */
			if (pq_valdec_init(v2, &lf, PQ_ENC_DELTA_BINARY_PACKED, (const uint8_t *)b.data,
					   cut, NULL) == TARN_OK &&
			    pq_valdec_read(v2, a2, n) == TARN_OK)
				for (int64_t i = 0; i < n; i++)
					CHECK(tarn_array_get_int(a2, i) == v[i]);
			tarn_array_free(a2);
			free_valdec(v2);
		}
		tarn_buf_free(&b);
		free(v);
	}
}

/* DELTA_LENGTH_BYTE_ARRAY and DELTA_BYTE_ARRAY built from the DBP encoder. */
TEST(delta_byte_arrays)
{
	const char *words[] = { "apple", "applesauce", "apply", "", "banana", "band", "band",
				"bandana", "c", "zzzzzzzzzz" };
	int n = 10;
	struct tarn_type t;
	tarn_type_init(&t, TARN_T_STRING);
	struct pq_leaf lf = make_leaf(PQ_BYTE_ARRAY, PQ_CV_BYTES, &t, 0);
	int64_t lens[10], pre[10], suf[10];
	for (int i = 0; i < n; i++) {
		lens[i] = (int64_t)strlen(words[i]);
		size_t p = 0;
		if (i)
			while (p < strlen(words[i]) && p < strlen(words[i - 1]) &&
			       words[i][p] == words[i - 1][p])
				p++;
		pre[i] = (int64_t)p;
		suf[i] = lens[i] - pre[i];
	}
	/* DELTA_LENGTH_BYTE_ARRAY: lengths, then the bytes */
	struct tarn_buf b;
	tarn_buf_init(&b);
	REQUIRE(pq_delta_encode(&b, lens, n, true) == TARN_OK);
	for (int i = 0; i < n; i++)
		REQUIRE(tarn_buf_append(&b, words[i], strlen(words[i])) == TARN_OK);
	struct pq_valdec *vd = new_valdec();
	struct tarn_array *a;
	REQUIRE(tarn_array_new(&t, 0, &a) == TARN_OK);
	REQUIRE(pq_valdec_init(vd, &lf, PQ_ENC_DELTA_LENGTH_BYTE_ARRAY, (const uint8_t *)b.data,
			       b.len, NULL) == TARN_OK);
	CHECK(pq_valdec_read(vd, a, n) == TARN_OK);
	for (int i = 0; i < n && i < a->length; i++) {
		size_t len;
		const uint8_t *p = tarn_array_get_bytes(a, i, &len);
		CHECK(len == strlen(words[i]) && memcmp(p, words[i], len) == 0);
	}
	tarn_array_free(a);
	free_valdec(vd);
	/* DELTA_BYTE_ARRAY: prefix lengths, suffix lengths, suffix bytes */
	b.len = 0;
	REQUIRE(pq_delta_encode(&b, pre, n, true) == TARN_OK);
	REQUIRE(pq_delta_encode(&b, suf, n, true) == TARN_OK);
	for (int i = 0; i < n; i++)
		REQUIRE(tarn_buf_append(&b, words[i] + pre[i], (size_t)suf[i]) == TARN_OK);
	vd = new_valdec();
	REQUIRE(tarn_array_new(&t, 0, &a) == TARN_OK);
	REQUIRE(pq_valdec_init(vd, &lf, PQ_ENC_DELTA_BYTE_ARRAY, (const uint8_t *)b.data, b.len,
			       NULL) == TARN_OK);
	CHECK(pq_valdec_read(vd, a, 4) == TARN_OK);
	CHECK(pq_valdec_read(vd, a, n - 4) == TARN_OK);
	for (int i = 0; i < n && i < a->length; i++) {
		size_t len;
		const uint8_t *p = tarn_array_get_bytes(a, i, &len);
		CHECK(len == strlen(words[i]) && memcmp(p, words[i], len) == 0);
	}
	tarn_array_free(a);
	free_valdec(vd);
	/* a prefix longer than the previous value is rejected */
	int64_t badpre[2] = { 0, 9 }, badsuf[2] = { 1, 1 };
	b.len = 0;
	REQUIRE(pq_delta_encode(&b, badpre, 2, true) == TARN_OK);
	REQUIRE(pq_delta_encode(&b, badsuf, 2, true) == TARN_OK);
	REQUIRE(tarn_buf_append(&b, "ab", 2) == TARN_OK);
	vd = new_valdec();
	REQUIRE(tarn_array_new(&t, 0, &a) == TARN_OK);
	REQUIRE(pq_valdec_init(vd, &lf, PQ_ENC_DELTA_BYTE_ARRAY, (const uint8_t *)b.data, b.len,
			       NULL) == TARN_OK);
	CHECK(pq_valdec_read(vd, a, 2) == TARN_EDATA);
	CHECK_CONTAINS(vd->why, "prefix");
	tarn_array_free(a);
	free_valdec(vd);
	tarn_buf_free(&b);
}

TEST(byte_stream_split_and_plain)
{
	/* doubles: BSS of 5 values equals their PLAIN */
	double v[5] = { 1.5, -2.25, 0, 1e300, -0.0 };
	uint8_t bss[40];
	for (int i = 0; i < 5; i++)
		for (int j = 0; j < 8; j++)
			bss[j * 5 + i] = ((const uint8_t *)&v[i])[j];
	struct tarn_type t;
	tarn_type_init(&t, TARN_T_FLOAT64);
	struct pq_leaf lf = make_leaf(PQ_DOUBLE, PQ_CV_COPY8, &t, 0);
	struct pq_valdec *vd = new_valdec();
	struct tarn_array *a;
	REQUIRE(tarn_array_new(&t, 0, &a) == TARN_OK);
	REQUIRE(pq_valdec_init(vd, &lf, PQ_ENC_BYTE_STREAM_SPLIT, bss, 40, NULL) == TARN_OK);
	CHECK(pq_valdec_read(vd, a, 2) == TARN_OK);
	CHECK(pq_valdec_read(vd, a, 3) == TARN_OK);
	CHECK(memcmp(a->values, v, sizeof v) == 0);
	CHECK(pq_valdec_read(vd, a, 1) == TARN_EDATA);
	tarn_array_free(a);
	free_valdec(vd);
	/* BSS length not a multiple of the width */
	vd = new_valdec();
	CHECK(pq_valdec_init(vd, &lf, PQ_ENC_BYTE_STREAM_SPLIT, bss, 39, NULL) == TARN_EDATA);
	free_valdec(vd);
	/* FLBA(3) decimal, BSS */
	struct tarn_type dt;
	tarn_type_init_decimal(&dt, 6, 2);
	struct pq_leaf dl = make_leaf(PQ_FLBA, PQ_CV_BIN_DEC, &dt, 3);
	uint8_t fl[6] = { 0x00, 0xff, 0x30, 0xff, 0x39, 0x38 }; /* 0x003039=12345, 0xffff38=-200 */
	vd = new_valdec();
	REQUIRE(tarn_array_new(&dt, 0, &a) == TARN_OK);
	REQUIRE(pq_valdec_init(vd, &dl, PQ_ENC_BYTE_STREAM_SPLIT, fl, 6, NULL) == TARN_OK);
	CHECK(pq_valdec_read(vd, a, 2) == TARN_OK);
	CHECK(tarn_array_get_decimal(a, 0) == 12345);
	CHECK(tarn_array_get_decimal(a, 1) == -200);
	tarn_array_free(a);
	free_valdec(vd);
	/* PLAIN BYTE_ARRAY: a length running past the page */
	struct tarn_type st;
	tarn_type_init(&st, TARN_T_STRING);
	struct pq_leaf sl = make_leaf(PQ_BYTE_ARRAY, PQ_CV_BYTES, &st, 0);
	uint8_t pb[] = { 2, 0, 0, 0, 'h', 'i', 9, 0, 0, 0, 'x' };
	vd = new_valdec();
	REQUIRE(tarn_array_new(&st, 0, &a) == TARN_OK);
	REQUIRE(pq_valdec_init(vd, &sl, PQ_ENC_PLAIN, pb, sizeof pb, NULL) == TARN_OK);
	CHECK(pq_valdec_read(vd, a, 1) == TARN_OK);
	CHECK(pq_valdec_read(vd, a, 1) == TARN_EDATA);
	CHECK_CONTAINS(vd->why, "runs past the page");
	tarn_array_free(a);
	free_valdec(vd);
	/* PLAIN booleans across calls; RLE booleans */
	struct tarn_type bt;
	tarn_type_init(&bt, TARN_T_BOOL);
	struct pq_leaf bl = make_leaf(PQ_BOOLEAN, PQ_CV_BOOL, &bt, 0);
	uint8_t bits[2] = { 0xa5, 0x01 };
	vd = new_valdec();
	REQUIRE(tarn_array_new(&bt, 0, &a) == TARN_OK);
	REQUIRE(pq_valdec_init(vd, &bl, PQ_ENC_PLAIN, bits, 2, NULL) == TARN_OK);
	CHECK(pq_valdec_read(vd, a, 3) == TARN_OK);
	CHECK(pq_valdec_read(vd, a, 6) == TARN_OK);
	bool want[9] = { 1, 0, 1, 0, 0, 1, 0, 1, 1 };
	for (int i = 0; i < 9; i++)
		CHECK(tarn_bit_get(a->values, i) == want[i]);
	CHECK(pq_valdec_read(vd, a, 8) == TARN_EDATA);
	tarn_array_free(a);
	free_valdec(vd);
	uint8_t rle[] = { 2, 0, 0, 0, 5 << 1, 1 };
	vd = new_valdec();
	REQUIRE(tarn_array_new(&bt, 0, &a) == TARN_OK);
	REQUIRE(pq_valdec_init(vd, &bl, PQ_ENC_RLE, rle, sizeof rle, NULL) == TARN_OK);
	CHECK(pq_valdec_read(vd, a, 5) == TARN_OK);
	CHECK(tarn_bit_get(a->values, 4));
	tarn_array_free(a);
	free_valdec(vd);
}

TEST(dictionary_decode)
{
	struct tarn_type st;
	tarn_type_init(&st, TARN_T_STRING);
	struct pq_leaf sl = make_leaf(PQ_BYTE_ARRAY, PQ_CV_BYTES, &st, 0);
	uint8_t page[] = { 1, 0, 0, 0, 'a', 2, 0, 0, 0, 'b', 'c', 0, 0, 0, 0 };
	struct tarn_array *dict;
	const char *why;
	REQUIRE(pq_dict_decode(&sl, page, sizeof page, 3, &dict, &why) == TARN_OK);
	CHECK(dict->length == 3);
	/* indices 2,1,0,1 at bit width 2, one bit-packed group */
	uint8_t data[] = { 2, (1 << 1) | 1, 0x46, 0x00 };
	struct pq_valdec *vd = new_valdec();
	struct tarn_array *a;
	REQUIRE(tarn_array_new(&st, 0, &a) == TARN_OK);
	REQUIRE(pq_valdec_init(vd, &sl, PQ_ENC_RLE_DICTIONARY, data, sizeof data, dict) == TARN_OK);
	CHECK(pq_valdec_read(vd, a, 4) == TARN_OK);
	char tmp[16] = "";
	for (int i = 0; i < 4; i++) {
		size_t n;
		const uint8_t *p = tarn_array_get_bytes(a, i, &n);
		strncat(tmp, (const char *)p, n);
		strcat(tmp, "|");
	}
	CHECK_STR(tmp, "|bc|a|bc|");
	/* index 3 is out of range */
	uint8_t bad[] = { 2, 1 << 1, 3 };
	tarn_array_free(a);
	free_valdec(vd);
	vd = new_valdec();
	REQUIRE(tarn_array_new(&st, 0, &a) == TARN_OK);
	REQUIRE(pq_valdec_init(vd, &sl, PQ_ENC_RLE_DICTIONARY, bad, sizeof bad, dict) == TARN_OK);
	CHECK(pq_valdec_read(vd, a, 1) == TARN_EDATA);
	CHECK_CONTAINS(vd->why, "out of range");
	tarn_array_free(a);
	free_valdec(vd);
	tarn_array_free(dict);
	/* negative and oversized dictionary counts */
	CHECK(pq_dict_decode(&sl, page, sizeof page, -1, &dict, &why) == TARN_EDATA);
	CHECK(pq_dict_decode(&sl, page, sizeof page, 1000, &dict, &why) == TARN_EDATA);
}

/* ---- codecs ----------------------------------------------------------------------------- */

TEST(codecs_round_trip)
{
	size_t n = 300000;
	uint8_t *src = malloc(n), *dst = malloc(n);
	for (size_t i = 0; i < n; i++)
		src[i] = (uint8_t)(i % 97 < 60 ? 'a' + i % 7 : rnd());
	int codecs[] = { PQ_UNCOMPRESSED, PQ_SNAPPY, PQ_GZIP, PQ_BROTLI, PQ_ZSTD, PQ_LZ4_RAW };
	for (size_t c = 0; c < sizeof codecs / sizeof codecs[0]; c++) {
		struct tarn_buf b;
		tarn_buf_init(&b);
		REQUIRE(pq_compress(codecs[c], 0, src, n, &b) == TARN_OK);
		const char *why;
		memset(dst, 0, n);
		CHECK(pq_decompress(codecs[c], (const uint8_t *)b.data, b.len, dst, n, &why) == TARN_OK);
		CHECK(memcmp(src, dst, n) == 0);
		/* claiming a different size fails */
		if (codecs[c] != PQ_UNCOMPRESSED)
			CHECK(pq_decompress(codecs[c], (const uint8_t *)b.data, b.len, dst, n - 1, &why) !=
			      TARN_OK);
		/* corrupt input fails, never crashes */
		if (b.len > 100 && codecs[c] != PQ_UNCOMPRESSED) {
			for (int k = 0; k < 20; k++)
				b.data[rnd() % b.len] ^= (char)(1 + rnd() % 255);
			tarn_rc rc = pq_decompress(codecs[c], (const uint8_t *)b.data, b.len, dst, n, &why);
			(void)rc;
		}
		tarn_buf_free(&b);
	}
	/* gzip: two concatenated members */
	struct tarn_buf g;
	tarn_buf_init(&g);
	REQUIRE(pq_compress(PQ_GZIP, 1, src, 1000, &g) == TARN_OK);
	REQUIRE(pq_compress(PQ_GZIP, 1, src + 1000, 2000, &g) == TARN_OK);
	const char *why;
	CHECK(pq_decompress(PQ_GZIP, (const uint8_t *)g.data, g.len, dst, 3000, &why) == TARN_OK);
	CHECK(memcmp(src, dst, 3000) == 0);
	tarn_buf_free(&g);
	/* Hadoop LZ4 framing: two frames */
	struct tarn_buf r1, r2, h;
	tarn_buf_init(&r1);
	tarn_buf_init(&r2);
	tarn_buf_init(&h);
	REQUIRE(pq_compress(PQ_LZ4_RAW, 0, src, 5000, &r1) == TARN_OK);
	REQUIRE(pq_compress(PQ_LZ4_RAW, 0, src + 5000, 3000, &r2) == TARN_OK);
	uint8_t hdr[8];
	struct tarn_buf *parts[2] = { &r1, &r2 };
	uint32_t sizes[2] = { 5000, 3000 };
	for (int i = 0; i < 2; i++) {
		uint32_t cs = (uint32_t)parts[i]->len;
		for (int k = 0; k < 4; k++) {
			hdr[k] = (uint8_t)(sizes[i] >> (24 - 8 * k));
			hdr[4 + k] = (uint8_t)(cs >> (24 - 8 * k));
		}
		REQUIRE(tarn_buf_append(&h, hdr, 8) == TARN_OK);
		REQUIRE(tarn_buf_append(&h, parts[i]->data, parts[i]->len) == TARN_OK);
	}
	CHECK(pq_decompress(PQ_LZ4, (const uint8_t *)h.data, h.len, dst, 8000, &why) == TARN_OK);
	CHECK(memcmp(src, dst, 8000) == 0);
	/* ... and a raw block under the LZ4 codec (old parquet-cpp) */
	CHECK(pq_decompress(PQ_LZ4, (const uint8_t *)r1.data, r1.len, dst, 5000, &why) == TARN_OK);
	CHECK(memcmp(src, dst, 5000) == 0);
	/* LZO is not supported */
	CHECK(pq_decompress(PQ_LZO, src, 10, dst, 10, &why) == TARN_EUNSUPPORTED);
	/* an empty ZSTD frame decodes to 0 bytes */
	struct tarn_buf zf;
	tarn_buf_init(&zf);
	REQUIRE(pq_compress(PQ_ZSTD, 0, src, 0, &zf) == TARN_OK);
	CHECK(pq_decompress(PQ_ZSTD, (const uint8_t *)zf.data, zf.len, dst, 0, &why) == TARN_OK);
	tarn_buf_free(&zf);
	tarn_buf_free(&r1);
	tarn_buf_free(&r2);
	tarn_buf_free(&h);
	free(src);
	free(dst);
}

/* ---- writer → reader round trips ------------------------------------------------------- */

static struct tarn_schema *schema_from(const char *const *names, const char *const *types, int n)
{
	struct tarn_schema *s;
	if (tarn_schema_new(n, &s))
		return NULL;
	for (int i = 0; i < n; i++) {
		struct tarn_err err = { 0 };
		if (tarn_field_set_name(&s->fields[i], names[i], strlen(names[i])) ||
		    tarn_type_parse(types[i], &s->fields[i].type, &err)) {
			tarn_schema_unref(s);
			return NULL;
		}
		s->fields[i].nullable = true;
	}
	return s;
}

/* Appends a value of any type to a (random content, nulls one time in
 * five where the field allows). */
static tarn_rc fill_value(struct tarn_array *a, int64_t row, int depth)
{
	const struct tarn_type *t = a->type;
	if (rnd() % 5 == 0 && depth < 4)
		return tarn_array_append_null(a);
	switch (t->id) {
	case TARN_T_NULL: return tarn_array_append_null(a);
	case TARN_T_BOOL: return tarn_array_append_bool(a, rnd() & 1);
	case TARN_T_INT8: return tarn_array_append_int(a, (int8_t)rnd());
	case TARN_T_INT16: return tarn_array_append_int(a, (int16_t)rnd());
	case TARN_T_INT32: return tarn_array_append_int(a, row % 3 ? (int32_t)rnd() : INT32_MIN);
	case TARN_T_INT64: return tarn_array_append_int(a, row % 3 ? (int64_t)rnd() : INT64_MAX);
	case TARN_T_UINT8: return tarn_array_append_uint(a, (uint8_t)rnd());
	case TARN_T_UINT16: return tarn_array_append_uint(a, (uint16_t)rnd());
	case TARN_T_UINT32: return tarn_array_append_uint(a, (uint32_t)rnd());
	case TARN_T_UINT64: return tarn_array_append_uint(a, rnd());
	case TARN_T_FLOAT32: {
		static const double sp[] = { 0.0, -0.0, INFINITY, -INFINITY, 1.5, -1e30 };
		return tarn_array_append_double(a, row % 4 ? (double)(float)((int64_t)rnd() % 100000) / 7
							: sp[rnd() % 6]);
	}
	case TARN_T_FLOAT64: {
		static const double sp[] = { 0.0, -0.0, INFINITY, -INFINITY, 5e-324, 1.7e308 };
		return tarn_array_append_double(a, row % 4 ? (double)((int64_t)rnd() % 1000000) / 3
							: sp[rnd() % 6]);
	}
	case TARN_T_DECIMAL128: {
		tarn_i128 max = 1;
		for (int i = 0; i < t->precision; i++)
			max *= 10;
		tarn_i128 v = (tarn_i128)(rnd() >> 1) * (tarn_i128)(rnd() >> 1);
		v %= max;
		return tarn_array_append_decimal(a, rnd() & 1 ? -v : v);
	}
	case TARN_T_STRING: {
		static const char *const w[] = { "", "a", "héllo", "日本語", "x y z", "dup", "dup" };
		char buf[64];
		int n = rnd() % 3 ? snprintf(buf, sizeof buf, "%s", w[rnd() % 7])
				  : snprintf(buf, sizeof buf, "s%llu", (unsigned long long)(rnd() % 100000));
		return tarn_array_append_bytes(a, buf, (size_t)n);
	}
	case TARN_T_BINARY: {
		uint8_t buf[20];
		size_t n = rnd() % 20;
		for (size_t i = 0; i < n; i++)
			buf[i] = (uint8_t)rnd();
		return tarn_array_append_bytes(a, buf, n);
	}
	case TARN_T_DATE32: return tarn_array_append_int(a, (int32_t)(rnd() % 200000) - 100000);
	case TARN_T_TIME64: {
		int64_t per = tarn_time_unit_per_second((enum tarn_time_unit)t->unit);
		return tarn_array_append_int(a, (int64_t)(rnd() % (uint64_t)(86400 * per)));
	}
	case TARN_T_TIMESTAMP: {
		int64_t x = (int64_t)(rnd() % 4000000000ULL) - 2000000000LL;
		x *= tarn_time_unit_per_second((enum tarn_time_unit)t->unit) / 2;
		return tarn_array_append_int(a, x);
	}
	case TARN_T_LIST:
	case TARN_T_MAP: {
		int n = (int)(rnd() % 4);
		for (int i = 0; i < n; i++) {
			if (t->id == TARN_T_MAP) {
				struct tarn_array *e = a->children[0];
				/* keys are never null */
				TRY(fill_value(e->children[0], row, 99));
				TRY(fill_value(e->children[1], row, depth + 1));
				TRY(tarn_array_struct_end(e, true));
			} else {
				TRY(fill_value(a->children[0], row, depth + 1));
			}
		}
		return tarn_array_list_end(a, true);
	}
	case TARN_T_STRUCT:
		for (int i = 0; i < a->n_children; i++)
			TRY(fill_value(a->children[i], row, depth + 1));
		return tarn_array_struct_end(a, true);
	default: return TARN_EINTERNAL;
	}
}

static void cell(const struct tarn_array *a, int64_t i, struct tarn_buf *out)
{
	out->len = 0;
	if (tarn_array_is_null(a, i) || a->type->id == TARN_T_NULL) {
		(void)!tarn_buf_append(out, "<null>", 6);
		return;
	}
	(void)!tarn_value_to_text(a, i, false, out);
	if (a->type->id == TARN_T_FLOAT32 || a->type->id == TARN_T_FLOAT64) {
		double d = tarn_array_get_double(a, i);
		if (d == 0)
			(void)!tarn_buf_append(out, signbit(d) ? "(-)" : "(+)", 3);
	}
}

/* Writes batches with `wopts`, reads the file back, compares every cell. */
static void round_trip(struct tarn_schema *s, int n_batches, int64_t rows, const char *wopts,
		       const char *ropts)
{
	struct tarn_batch **in = calloc((size_t)n_batches + 1, sizeof *in);
	for (int bi = 0; bi < n_batches; bi++) {
		REQUIRE(tarn_batch_new(s, rows, &in[bi]) == TARN_OK);
		for (int64_t r = 0; r < rows; r++)
			for (int c = 0; c < s->n_fields; c++) {
				tarn_rc rc = s->fields[c].nullable ? fill_value(in[bi]->cols[c], r, 0)
								   : fill_value(in[bi]->cols[c], r, 99);
				REQUIRE(rc == TARN_OK);
			}
		REQUIRE(tarn_batch_seal(in[bi], NULL) == TARN_OK);
	}
	struct tarn_opts *wo, *ro;
	REQUIRE(tarn_opts_new(&wo) == TARN_OK && tarn_opts_new(&ro) == TARN_OK);
	char tmp[256];
	struct tarn_err err = { 0 };
	snprintf(tmp, sizeof tmp, "%s", wopts ? wopts : "");
	for (char *kv = strtok(tmp, " "); kv; kv = strtok(NULL, " "))
		REQUIRE(tarn_opts_parse(wo, kv, &err) == TARN_OK);
	snprintf(tmp, sizeof tmp, "%s", ropts ? ropts : "");
	for (char *kv = strtok(tmp, " "); kv; kv = strtok(NULL, " "))
		REQUIRE(tarn_opts_parse(ro, kv, &err) == TARN_OK);
	struct tarn_output *out;
	REQUIRE(tarn_output_open_mem(&out, &err) == TARN_OK);
	struct tarn_writer *w;
	REQUIRE(tarn_writer_open_output(out, &tarn_format_parquet, s, wo, &w, &err) == TARN_OK);
	for (int bi = 0; bi < n_batches; bi++) {
		tarn_rc rc = tarn_writer_write(w, in[bi], &err);
		if (rc)
			fprintf(stderr, "write: %s\n", err.msg);
		REQUIRE(rc == TARN_OK);
	}
	REQUIRE(tarn_writer_finish(w, &err) == TARN_OK);
	size_t n;
	const uint8_t *bytes = tarn_output_mem(out, &n);
	struct tarn_input *inp;
	REQUIRE(tarn_input_open_mem(bytes, n, "mem.parquet", &inp, &err) == TARN_OK);
	struct tarn_reader *r;
	tarn_rc rc = tarn_reader_open_input(inp, &tarn_format_parquet, ro, &r, &err);
	if (rc)
		fprintf(stderr, "open: %s\n", err.msg);
	REQUIRE(rc == TARN_OK);
	/* Same schema, except that seconds are stored (and read back) as
	 * milliseconds. */
	const struct tarn_schema *rs = tarn_reader_schema(r);
	CHECK(rs->n_fields == s->n_fields);
	for (int c = 0; c < s->n_fields && c < rs->n_fields; c++) {
		struct tarn_buf ta, tb;
		tarn_buf_init(&ta);
		tarn_buf_init(&tb);
		REQUIRE(tarn_type_to_text(&s->fields[c].type, &ta) == TARN_OK);
		REQUIRE(tarn_type_to_text(&rs->fields[c].type, &tb) == TARN_OK);
		REQUIRE(tarn_buf_cstr(&ta) == TARN_OK && tarn_buf_cstr(&tb) == TARN_OK);
		char want[256];
		snprintf(want, sizeof want, "%s", ta.data);
		char *q = strstr(want, "[s");
		if (q) {
			memmove(q + 2, q + 1, strlen(q + 1) + 1);
			q[1] = 'm';
		}
		CHECK_STR(tb.data, want);
		CHECK(rs->fields[c].nullable == s->fields[c].nullable);
		tarn_buf_free(&ta);
		tarn_buf_free(&tb);
	}
	struct tarn_buf x, y;
	tarn_buf_init(&x);
	tarn_buf_init(&y);
	int bi = 0;
	int64_t at = 0, total = 0, bad = 0;
	for (;;) {
		struct tarn_batch *b;
		rc = tarn_reader_next(r, &b, &err);
		if (rc)
			fprintf(stderr, "next: %s\n", err.msg);
		REQUIRE(rc == TARN_OK);
		if (!b)
			break;
		for (int c = 0; c < b->n_cols; c++)
			CHECK(tarn_array_validate(b->cols[c], true, &err) == TARN_OK);
		for (int64_t i = 0; i < b->n_rows; i++, at++, total++) {
			if (at == rows) {
				bi++;
				at = 0;
			}
			for (int c = 0; c < b->n_cols && bi < n_batches; c++) {
				cell(in[bi]->cols[c], at, &x);
				cell(b->cols[c], i, &y);
				if (x.len != y.len || memcmp(x.data, y.data, x.len)) {
					if (bad++ < 5)
						fprintf(stderr, "row %lld col %s: wrote %.*s read %.*s\n",
							(long long)total, s->fields[c].name, (int)x.len, x.data,
							(int)y.len, y.data);
				}
			}
		}
		tarn_batch_free(b);
	}
	CHECK(bad == 0);
	CHECK(total == rows * n_batches);
	tarn_buf_free(&x);
	tarn_buf_free(&y);
	tarn_reader_close(r);
	tarn_writer_close(w);
	tarn_opts_free(wo);
	tarn_opts_free(ro);
	for (int i = 0; i < n_batches; i++)
		tarn_batch_free(in[i]);
	free(in);
}

static const char *const all_names[] = {
	"b", "i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64", "f32", "f64", "d5", "d18",
	"d38", "s", "bin", "dt", "t_s", "t_ms", "t_us", "t_ns", "ts_s", "ts_ms", "ts_us", "ts_ns",
	"ts_tz", "nul", "l", "ls", "ll", "st", "m", "ml", "lst",
};
static const char *const all_types[] = {
	"bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
	"float32", "float64", "decimal(5,2)", "decimal(18,6)", "decimal(38,10)", "string",
	"binary", "date32", "time64[s]", "time64[ms]", "time64[us]", "time64[ns]",
	"timestamp[s]", "timestamp[ms]", "timestamp[us]", "timestamp[ns]", "timestamp[us, UTC]",
	"null", "list<int32>", "list<string>", "list<list<int64>>",
	"struct<a: int32, b: string, c: list<float64>>", "map<string, int32>",
	"map<int64, list<string>>", "list<struct<x: bool, y: decimal(20,3)>>",
};
#define N_ALL (int)(sizeof all_names / sizeof all_names[0])

TEST(round_trip_every_type)
{
	struct tarn_schema *s = schema_from(all_names, all_types, N_ALL);
	REQUIRE(s);
	/* timestamp[s] and time64[s] are stored as milliseconds and read back
	 * as such: compare against the ms types. */
	round_trip(s, 3, 1500, NULL, NULL);
	tarn_schema_unref(s);
}

TEST(round_trip_options)
{
	static const char *const wopts[] = {
		"compression=zstd page-version=2",
		"compression=gzip compression-level=1 page-size=512",
		"compression=brotli dictionary=false",
		"compression=lz4 row-group-size=4K",
		"compression=none dictionary-size=100 statistics=false",
		"compression=snappy delta=false page-size=2K page-version=2",
	};
	const char *names[] = { "i32", "s", "l", "st", "ts_ns", "d38", "m" };
	const char *types[] = { "int32", "string", "list<list<int64>>",
				"struct<a: int32, b: string, c: list<float64>>", "timestamp[ns]",
				"decimal(38,10)", "map<string, int32>" };
	struct tarn_schema *s = schema_from(names, types, 7);
	REQUIRE(s);
	for (size_t i = 0; i < sizeof wopts / sizeof wopts[0]; i++)
		round_trip(s, 2, 3000, wopts[i], i % 2 ? "batch-rows=7" : NULL);
	tarn_schema_unref(s);
}

TEST(round_trip_sorted_ints_use_delta)
{
	const char *names[] = { "k", "t" };
	const char *types[] = { "int64", "timestamp[us]" };
	struct tarn_schema *s = schema_from(names, types, 2);
	REQUIRE(s);
	s->fields[0].nullable = false;
	struct tarn_batch *b;
	REQUIRE(tarn_batch_new(s, 10000, &b) == TARN_OK);
	for (int64_t i = 0; i < 10000; i++) {
		REQUIRE(tarn_array_append_int(b->cols[0], i * 3 + (int64_t)(rnd() % 3)) == TARN_OK);
		REQUIRE(tarn_array_append_int(b->cols[1], 1600000000000000LL + i * 1000) == TARN_OK);
	}
	REQUIRE(tarn_batch_seal(b, NULL) == TARN_OK);
	struct tarn_err err = { 0 };
	struct tarn_opts *wo;
	REQUIRE(tarn_opts_new(&wo) == TARN_OK);
	REQUIRE(tarn_opts_set(wo, "dictionary", "false") == TARN_OK);
	struct tarn_output *out;
	REQUIRE(tarn_output_open_mem(&out, &err) == TARN_OK);
	struct tarn_writer *w;
	REQUIRE(tarn_writer_open_output(out, &tarn_format_parquet, s, wo, &w, &err) == TARN_OK);
	REQUIRE(tarn_writer_write(w, b, &err) == TARN_OK);
	REQUIRE(tarn_writer_finish(w, &err) == TARN_OK);
	size_t n;
	const uint8_t *bytes = tarn_output_mem(out, &n);
	/* The footer lists DELTA_BINARY_PACKED for both columns. */
	uint32_t flen;
	memcpy(&flen, bytes + n - 8, 4);
	struct pq_file_meta m;
	REQUIRE(pq_file_meta_decode(bytes + n - 8 - flen, flen, &m, "mem", 0, &err) == TARN_OK);
	REQUIRE(m.n_row_groups == 1);
	for (int c = 0; c < 2; c++) {
		bool delta = false;
		const struct pq_column_meta *cm = &m.row_groups[0].columns[c].meta;
		for (int e = 0; e < cm->n_encodings; e++)
			delta |= cm->encodings[e] == PQ_ENC_DELTA_BINARY_PACKED;
		CHECK(delta);
		/* stats: min/max of the sorted values */
		CHECK(cm->has_stats && cm->stats.has_min && cm->stats.null_count == 0);
	}
	pq_file_meta_free(&m);
	/* and it reads back */
	struct tarn_input *in;
	REQUIRE(tarn_input_open_mem(bytes, n, "mem.parquet", &in, &err) == TARN_OK);
	struct tarn_reader *r;
	REQUIRE(tarn_reader_open_input(in, &tarn_format_parquet, NULL, &r, &err) == TARN_OK);
	struct tarn_batch *got;
	REQUIRE(tarn_reader_next(r, &got, &err) == TARN_OK && got);
	for (int64_t i = 0; i < 10000; i++) {
		CHECK(tarn_array_get_int(got->cols[0], i) == tarn_array_get_int(b->cols[0], i));
		CHECK(tarn_array_get_int(got->cols[1], i) == tarn_array_get_int(b->cols[1], i));
	}
	tarn_batch_free(got);
	tarn_reader_close(r);
	tarn_writer_close(w);
	tarn_opts_free(wo);
	tarn_batch_free(b);
	tarn_schema_unref(s);
}

TEST(round_trip_empty_and_huge)
{
	/* No rows at all: a valid file with the schema and no batches. */
	struct tarn_schema *s = schema_from(all_names, all_types, N_ALL);
	REQUIRE(s);
	round_trip(s, 0, 0, NULL, NULL);
	tarn_schema_unref(s);
	/* Huge strings: larger than pages, dictionary limits and batches. */
	const char *names[] = { "big", "n" };
	const char *types[] = { "string", "int32" };
	s = schema_from(names, types, 2);
	REQUIRE(s);
	struct tarn_batch *b;
	REQUIRE(tarn_batch_new(s, 4, &b) == TARN_OK);
	size_t big = 40u << 20;
	char *p = malloc(big);
	for (size_t i = 0; i < big; i++)
		p[i] = (char)('a' + i % 26);
	for (int i = 0; i < 4; i++) {
		if (i == 2)
			REQUIRE(tarn_array_append_null(b->cols[0]) == TARN_OK);
		else
			REQUIRE(tarn_array_append_bytes(b->cols[0], p, big - (size_t)i) == TARN_OK);
		REQUIRE(tarn_array_append_int(b->cols[1], i) == TARN_OK);
	}
	REQUIRE(tarn_batch_seal(b, NULL) == TARN_OK);
	struct tarn_err err = { 0 };
	struct tarn_output *out;
	REQUIRE(tarn_output_open_mem(&out, &err) == TARN_OK);
	struct tarn_writer *w;
	REQUIRE(tarn_writer_open_output(out, &tarn_format_parquet, s, NULL, &w, &err) == TARN_OK);
	REQUIRE(tarn_writer_write(w, b, &err) == TARN_OK);
	REQUIRE(tarn_writer_finish(w, &err) == TARN_OK);
	size_t n;
	const uint8_t *bytes = tarn_output_mem(out, &n);
	struct tarn_input *in;
	REQUIRE(tarn_input_open_mem(bytes, n, "mem.parquet", &in, &err) == TARN_OK);
	struct tarn_reader *r;
	REQUIRE(tarn_reader_open_input(in, &tarn_format_parquet, NULL, &r, &err) == TARN_OK);
	int64_t rows = 0;
	for (;;) {
		struct tarn_batch *g;
		REQUIRE(tarn_reader_next(r, &g, &err) == TARN_OK);
		if (!g)
			break;
		for (int64_t i = 0; i < g->n_rows; i++, rows++) {
			if (rows == 2) {
				CHECK(tarn_array_is_null(g->cols[0], i));
				continue;
			}
			size_t len;
			const uint8_t *q = tarn_array_get_bytes(g->cols[0], i, &len);
			CHECK(len == big - (size_t)rows && memcmp(q, p, len) == 0);
		}
		tarn_batch_free(g);
	}
	CHECK(rows == 4);
	tarn_reader_close(r);
	tarn_writer_close(w);
	tarn_batch_free(b);
	free(p);
	/* Only empty strings (arrays without a byte buffer), with and without
	 * the dictionary. */
	for (int dict = 0; dict < 2; dict++) {
		REQUIRE(tarn_batch_new(s, 0, &b) == TARN_OK);
		for (int i = 0; i < 100; i++) {
			REQUIRE(tarn_array_append_bytes(b->cols[0], "", 0) == TARN_OK);
			REQUIRE(tarn_array_append_int(b->cols[1], i) == TARN_OK);
		}
		REQUIRE(tarn_batch_seal(b, NULL) == TARN_OK);
		struct tarn_opts *o;
		REQUIRE(tarn_opts_new(&o) == TARN_OK);
		REQUIRE(tarn_opts_set(o, "dictionary", dict ? "true" : "false") == TARN_OK);
		REQUIRE(tarn_output_open_mem(&out, &err) == TARN_OK);
		REQUIRE(tarn_writer_open_output(out, &tarn_format_parquet, s, o, &w, &err) == TARN_OK);
		REQUIRE(tarn_writer_write(w, b, &err) == TARN_OK);
		REQUIRE(tarn_writer_finish(w, &err) == TARN_OK);
		bytes = tarn_output_mem(out, &n);
		REQUIRE(tarn_input_open_mem(bytes, n, "mem.parquet", &in, &err) == TARN_OK);
		REQUIRE(tarn_reader_open_input(in, &tarn_format_parquet, NULL, &r, &err) == TARN_OK);
		struct tarn_batch *g;
		REQUIRE(tarn_reader_next(r, &g, &err) == TARN_OK && g);
		CHECK(g->n_rows == 100 && g->cols[0]->values_len == 0 && g->cols[0]->values);
		tarn_batch_free(g);
		tarn_reader_close(r);
		tarn_writer_close(w);
		tarn_opts_free(o);
		tarn_batch_free(b);
	}
	tarn_schema_unref(s);
}

/* ---- reader errors and options --------------------------------------------------------- */

static tarn_rc open_bytes(const uint8_t *p, size_t n, const char *opts, struct tarn_reader **r,
			  struct tarn_err *err)
{
	struct tarn_opts *o = NULL;
	if (opts) {
		if (tarn_opts_new(&o) || tarn_opts_parse(o, opts, err))
			return TARN_EUSAGE;
	}
	struct tarn_input *in;
	TRY(tarn_input_open_mem(p, n, "t.parquet", &in, err));
	tarn_rc rc = tarn_reader_open_input(in, &tarn_format_parquet, o, r, err);
	tarn_opts_free(o);
	return rc;
}

/* A small valid file (written by tarn) for the error tests; NULL when an
 * allocation fails (the fault-injection test), with everything released. */
static uint8_t *small_file(size_t *n, const char *wopts)
{
	const char *names[] = { "a", "b", "c" };
	const char *types[] = { "int64", "string", "list<int32>" };
	struct tarn_schema *s = schema_from(names, types, 3);
	struct tarn_batch *b = NULL;
	struct tarn_opts *o = NULL;
	struct tarn_writer *w = NULL;
	struct tarn_output *out = NULL;
	uint8_t *copy = NULL;
	struct tarn_err err = { 0 };
	if (!s || tarn_batch_new(s, 100, &b))
		goto out;
	for (int i = 0; i < 100; i++) {
		if (tarn_array_append_int(b->cols[0], i) || tarn_array_append_bytes(b->cols[1], "xy", 2) ||
		    tarn_array_append_int(b->cols[2]->children[0], i) ||
		    tarn_array_list_end(b->cols[2], true))
			goto out;
	}
	if (tarn_batch_seal(b, NULL))
		goto out;
	if (wopts && (tarn_opts_new(&o) || tarn_opts_parse(o, wopts, &err)))
		goto out;
	if (tarn_output_open_mem(&out, &err))
		goto out;
	if (tarn_writer_open_output(out, &tarn_format_parquet, s, o, &w, &err))
		goto out; /* the output is closed by the failed open */
	if (tarn_writer_write(w, b, &err) || tarn_writer_finish(w, &err))
		goto out;
	const uint8_t *p = tarn_output_mem(out, n);
	copy = malloc(*n);
	memcpy(copy, p, *n);
out:
	tarn_writer_close(w);
	tarn_batch_free(b);
	if (s)
		tarn_schema_unref(s);
	tarn_opts_free(o);
	return copy;
}

static tarn_rc read_all(struct tarn_reader *r, int64_t *rows, struct tarn_err *err)
{
	*rows = 0;
	for (;;) {
		struct tarn_batch *b;
		TRY(tarn_reader_next(r, &b, err));
		if (!b)
			return TARN_OK;
		*rows += b->n_rows;
		tarn_batch_free(b);
	}
}

TEST(reader_errors)
{
	size_t n;
	uint8_t *f = small_file(&n, "compression=none");
	REQUIRE(f);
	struct tarn_reader *r;
	struct tarn_err err = { 0 };
	/* sanity */
	REQUIRE(open_bytes(f, n, NULL, &r, &err) == TARN_OK);
	int64_t rows;
	CHECK(read_all(r, &rows, &err) == TARN_OK && rows == 100);
	tarn_reader_close(r);
	/* wrong magic, truncated, lying footer length */
	uint8_t *g = malloc(n);
	memcpy(g, f, n);
	memcpy(g, "XXXX", 4);
	tarn_err_clear(&err);
	CHECK(open_bytes(g, n, NULL, &r, &err) == TARN_EDATA);
	CHECK_CONTAINS(err.msg, "t.parquet: not a Parquet file");
	tarn_err_clear(&err);
	CHECK(open_bytes(f, n - 3, NULL, &r, &err) == TARN_EDATA);
	CHECK_CONTAINS(err.msg, "truncated");
	memcpy(g, f, n);
	g[n - 8] = 0xff;
	g[n - 7] = 0xff;
	tarn_err_clear(&err);
	CHECK(open_bytes(g, n, NULL, &r, &err) == TARN_EDATA);
	CHECK_CONTAINS(err.msg, "footer");
	CHECK_CONTAINS(err.msg, "byte offset");
	/* encrypted footer */
	memcpy(g, f, n);
	memcpy(g + n - 4, "PARE", 4);
	tarn_err_clear(&err);
	CHECK(open_bytes(g, n, NULL, &r, &err) == TARN_EUNSUPPORTED);
	CHECK_CONTAINS(err.msg, "encrypted Parquet is not supported yet");
	/* a corrupted page: the error names row group, column, page, offset */
	memcpy(g, f, n);
	for (size_t i = 4; i < 40; i++)
		g[i] ^= 0x5a;
	tarn_err_clear(&err);
	tarn_rc rc = open_bytes(g, n, NULL, &r, &err);
	if (rc == TARN_OK) {
		rc = read_all(r, &rows, &err);
		tarn_reader_close(r);
	}
	CHECK(rc == TARN_EDATA);
	CHECK_CONTAINS(err.msg, "row group 0, column 'a', page");
	CHECK_CONTAINS(err.msg, "byte offset");
	/* projection: order as asked, unknown names */
	tarn_err_clear(&err);
	REQUIRE(open_bytes(f, n, "columns=c,a", &r, &err) == TARN_OK);
	CHECK(tarn_schema_num_fields(tarn_reader_schema(r)) == 2);
	CHECK_STR(tarn_schema_field_name(tarn_reader_schema(r), 0), "c");
	CHECK_STR(tarn_schema_field_name(tarn_reader_schema(r), 1), "a");
	struct tarn_batch *b;
	REQUIRE(tarn_reader_next(r, &b, &err) == TARN_OK && b);
	CHECK(tarn_array_get_int(b->cols[1], 7) == 7);
	CHECK(b->cols[0]->offsets[100] == 100);
	tarn_batch_free(b);
	tarn_reader_close(r);
	tarn_err_clear(&err);
	CHECK(open_bytes(f, n, "columns=zz", &r, &err) == TARN_ENOTFOUND);
	CHECK_CONTAINS(err.msg, "zz");
	/* every prefix of the file fails cleanly */
	for (size_t cut = 0; cut < n; cut += 7) {
		tarn_err_clear(&err);
		rc = open_bytes(f, cut, NULL, &r, &err);
		if (rc == TARN_OK) {
			rc = read_all(r, &rows, &err);
			tarn_reader_close(r);
		}
		CHECK(rc != TARN_OK);
	}
	/* random byte flips never crash (the result may or may not be an error) */
	for (int k = 0; k < 300; k++) {
		memcpy(g, f, n);
		for (int j = 0; j < 3; j++)
			g[rnd() % n] = (uint8_t)rnd();
		tarn_err_clear(&err);
		rc = open_bytes(g, n, NULL, &r, &err);
		if (rc == TARN_OK) {
			rc = read_all(r, &rows, &err);
			tarn_reader_close(r);
		}
		if (rc)
			CHECK(err.msg[0] != '\0');
	}
	free(g);
	free(f);
}

TEST(writer_errors)
{
	const char *names[] = { "a" };
	const char *types[] = { "int32" };
	struct tarn_schema *s = schema_from(names, types, 1);
	REQUIRE(s);
	static const char *const bad[] = { "compression=lzo", "compression-level=5",
					   "row-group-size=abc", "page-version=3", "nope=1",
					   "compression=zstd compression-level=99" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct tarn_opts *o;
		struct tarn_err err = { 0 };
		REQUIRE(tarn_opts_new(&o) == TARN_OK);
		char tmp[128];
		snprintf(tmp, sizeof tmp, "%s", bad[i]);
		for (char *kv = strtok(tmp, " "); kv; kv = strtok(NULL, " "))
			REQUIRE(tarn_opts_parse(o, kv, &err) == TARN_OK);
		struct tarn_output *out;
		REQUIRE(tarn_output_open_mem(&out, &err) == TARN_OK);
		struct tarn_writer *w = NULL;
		CHECK(tarn_writer_open_output(out, &tarn_format_parquet, s, o, &w, &err) == TARN_EUSAGE);
		CHECK(err.msg[0] != '\0');
		tarn_opts_free(o);
	}
	/* a null in a not-null column */
	s->fields[0].nullable = false;
	struct tarn_batch *b;
	REQUIRE(tarn_batch_new(s, 2, &b) == TARN_OK);
	REQUIRE(tarn_array_append_int(b->cols[0], 1) == TARN_OK);
	REQUIRE(tarn_array_append_null(b->cols[0]) == TARN_OK);
	REQUIRE(tarn_batch_seal(b, NULL) == TARN_OK);
	struct tarn_err err = { 0 };
	struct tarn_output *out;
	REQUIRE(tarn_output_open_mem(&out, &err) == TARN_OK);
	struct tarn_writer *w;
	REQUIRE(tarn_writer_open_output(out, &tarn_format_parquet, s, NULL, &w, &err) == TARN_OK);
	CHECK(tarn_writer_write(w, b, &err) == TARN_EDATA);
	CHECK_CONTAINS(err.msg, "column 'a'");
	tarn_writer_close(w);
	tarn_batch_free(b);
	tarn_schema_unref(s);
}

TEST(invalid_utf8_and_meta)
{
	const char *names[] = { "s" };
	const char *types[] = { "string" };
	struct tarn_schema *s = schema_from(names, types, 1);
	REQUIRE(s);
	struct tarn_batch *b;
	REQUIRE(tarn_batch_new(s, 3, &b) == TARN_OK);
	REQUIRE(tarn_array_append_bytes(b->cols[0], "ok", 2) == TARN_OK);
	/* a lead byte, then (next value) its continuation: each invalid */
	REQUIRE(tarn_array_append_bytes(b->cols[0], "\xc3", 1) == TARN_OK);
	REQUIRE(tarn_array_append_bytes(b->cols[0], "\xa9", 1) == TARN_OK);
	REQUIRE(tarn_batch_seal(b, NULL) == TARN_OK);
	const char *path = "/tmp/tarn-unit-parquet-utf8.parquet";
	struct tarn_err err = { 0 };
	struct tarn_opts *o;
	REQUIRE(tarn_opts_new(&o) == TARN_OK);
	REQUIRE(tarn_opts_set(o, "dictionary", "false") == TARN_OK);
	struct tarn_writer *w;
	REQUIRE(tarn_writer_open(path, NULL, s, o, &w, &err) == TARN_OK);
	REQUIRE(tarn_writer_write(w, b, &err) == TARN_OK);
	REQUIRE(tarn_writer_finish(w, &err) == TARN_OK);
	tarn_writer_close(w);
	struct tarn_reader *r;
	REQUIRE(tarn_reader_open(path, NULL, NULL, &r, &err) == TARN_OK);
	int64_t rows;
	CHECK(read_all(r, &rows, &err) == TARN_EDATA);
	CHECK_CONTAINS(err.msg, "invalid UTF-8");
	CHECK_CONTAINS(err.msg, "column 's'");
	tarn_reader_close(r);
	/* tarn meta: text and JSON */
	char *text;
	tarn_err_clear(&err);
	REQUIRE(tarn_parquet_meta(path, false, &text, &err) == TARN_OK);
	CHECK_CONTAINS(text, "created by  tarn version");
	CHECK_CONTAINS(text, "optional BYTE_ARRAY s STRING");
	CHECK_CONTAINS(text, "row group 0: 3 rows");
	CHECK_CONTAINS(text, "nulls 0");
	tarn_free(text);
	REQUIRE(tarn_parquet_meta(path, true, &text, &err) == TARN_OK);
	CHECK_CONTAINS(text, "\"row_groups\":[{\"num_rows\":3");
	CHECK_CONTAINS(text, "\"encodings\":[\"PLAIN\",\"RLE\"]");
	tarn_free(text);
	CHECK(tarn_parquet_meta("/nonexistent.parquet", false, &text, &err) != TARN_OK);
	remove(path);
	tarn_opts_free(o);
	tarn_batch_free(b);
	tarn_schema_unref(s);
}

/* Fails the Nth allocation of a write + read cycle for every N: each run
 * must fail cleanly (ASan checks for leaks and bad accesses). */
TEST(allocation_failures)
{
	size_t n;
	uint8_t *f = small_file(&n, NULL);
	REQUIRE(f);
	int ok_runs = 0;
	for (int64_t k = 0; k < 2000; k += 1 + k / 40) {
		tarn_mem_fail_after(k);
		struct tarn_reader *r;
		struct tarn_err err = { 0 };
		tarn_rc rc = open_bytes(f, n, NULL, &r, &err);
		int64_t rows = 0;
		if (rc == TARN_OK) {
			rc = read_all(r, &rows, &err);
			tarn_reader_close(r);
		}
		size_t m;
		uint8_t *g = rc == TARN_OK ? small_file(&m, NULL) : NULL;
		tarn_mem_fail_after(-1);
		if (rc == TARN_OK && g) {
			ok_runs++;
			free(g);
		} else {
			if (rc != TARN_OK && rc != TARN_ENOMEM)
				fprintf(stderr, "fail after %lld: rc %d: %s\n", (long long)k, rc, err.msg);
			CHECK(rc == TARN_OK || rc == TARN_ENOMEM);
			free(g);
		}
	}
	CHECK(ok_runs > 0);
	free(f);
}

/* ---- page index and pruning ------------------------------------------------------------ */

/* rows of (a int64 = row number, s string "k<row/100>" with nulls every 7th,
 * n int32 null for the first half) written with wopts ("k=v;k=v");
 * malloc'd bytes, NULL when the writer refuses. */
static uint8_t *index_file(size_t *n, int64_t rows, const char *wopts)
{
	const char *names[] = { "a", "s", "n" };
	const char *types[] = { "int64", "string", "int32" };
	struct tarn_schema *sch = schema_from(names, types, 3);
	struct tarn_batch *b = NULL;
	struct tarn_opts *o = NULL;
	struct tarn_writer *w = NULL;
	struct tarn_output *out = NULL;
	uint8_t *copy = NULL;
	struct tarn_err err = { 0 };
	if (!sch || tarn_batch_new(sch, rows, &b))
		goto out;
	for (int64_t i = 0; i < rows; i++) {
		char t[32];
		int k = snprintf(t, sizeof t, "k%06lld", (long long)(i / 100));
		if (tarn_array_append_int(b->cols[0], i) ||
		    (i % 7 == 0 ? tarn_array_append_null(b->cols[1])
				: tarn_array_append_bytes(b->cols[1], t, (size_t)k)) ||
		    (i < rows / 2 ? tarn_array_append_null(b->cols[2])
				  : tarn_array_append_int(b->cols[2], i % 1000)))
			goto out;
	}
	if (tarn_batch_seal(b, NULL) || tarn_opts_new(&o))
		goto out;
	char kv[200];
	for (const char *p = wopts; *p;) { /* "k=v;k=v" */
		size_t k = strcspn(p, ";");
		snprintf(kv, sizeof kv, "%.*s", (int)k, p);
		if (tarn_opts_parse(o, kv, &err))
			goto out;
		p += k + (p[k] == ';');
	}
	if (tarn_output_open_mem(&out, &err) ||
	    tarn_writer_open_output(out, &tarn_format_parquet, sch, o, &w, &err))
		goto out;
	if (tarn_writer_write(w, b, &err) || tarn_writer_finish(w, &err))
		goto out;
	const uint8_t *p = tarn_output_mem(out, n);
	copy = malloc(*n);
	memcpy(copy, p, *n);
out:
	if (err.rc)
		fprintf(stderr, "index_file: %s\n", err.msg);
	tarn_writer_close(w);
	tarn_batch_free(b);
	if (sch)
		tarn_schema_unref(sch);
	tarn_opts_free(o);
	return copy;
}

static int64_t get_i64(const uint8_t *p, size_t n)
{
	int64_t v = 0;
	if (n == 8)
		memcpy(&v, p, 8);
	else if (n == 4) {
		int32_t x;
		memcpy(&x, p, 4);
		v = x;
	}
	return v;
}

TEST(page_index_written)
{
	const int64_t rows = 50000;
	size_t n;
	uint8_t *f = index_file(&n, rows, "page-size=2K");
	REQUIRE(f);
	uint8_t *g = index_file(&n, rows, "page-size=2K");
	struct pq_file_meta m;
	struct tarn_err err = { 0 };
	int64_t meta_start;
	REQUIRE(pq_footer_read(f, n, "t.parquet", &m, &meta_start, &err) == TARN_OK);
	CHECK(memcmp(f, g, n) == 0); /* deterministic */
	free(g);
	struct tarn_arena arena;
	tarn_arena_init(&arena, 0);
	int64_t rg_first = 0, pages = 0;
	for (int gi = 0; gi < m.n_row_groups; gi++) {
		const struct pq_row_group *rg = &m.row_groups[gi];
		for (int c = 0; c < 3; c++) {
			const struct pq_column_chunk *cc = &rg->columns[c];
			struct pq_offset_index oi;
			bool has;
			const char *why = NULL;
			REQUIRE(pq_chunk_offset_index(f, n, rg, c, &arena, &oi, &has, &why) == TARN_OK);
			REQUIRE(has);
			CHECK(oi.locs[0].offset == cc->meta.data_page_offset);
			/* the index lies after the data, before the footer */
			CHECK(cc->column_index_offset > oi.locs[oi.n - 1].offset);
			CHECK(cc->offset_index_offset + cc->offset_index_length <= meta_start);
			struct pq_column_index ci;
			REQUIRE(pq_column_index_decode(f + cc->column_index_offset,
						       (size_t)cc->column_index_length, &arena, &ci,
						       &why) == TARN_OK);
			REQUIRE(ci.n == oi.n && ci.null_counts);
			pages += oi.n;
			int64_t nulls = 0;
			for (int i = 0; i < oi.n; i++) {
				int64_t lo = oi.locs[i].first_row;
				int64_t hi = i + 1 < oi.n ? oi.locs[i + 1].first_row : rg->num_rows;
				int64_t r0 = rg_first + lo, r1 = rg_first + hi; /* file rows [r0, r1) */
				nulls += ci.null_counts[i];
				if (c == 0) {
					CHECK(!ci.null_pages[i]);
					CHECK(get_i64(ci.min[i], ci.min_len[i]) == r0);
					CHECK(get_i64(ci.max[i], ci.max_len[i]) == r1 - 1);
					CHECK(ci.null_counts[i] == 0);
				} else if (c == 1) {
					int64_t want = 0;
					for (int64_t r = r0; r < r1; r++)
						want += r % 7 == 0;
					CHECK(ci.null_counts[i] == want);
					char t[32];
					int64_t first = r0 % 7 ? r0 : r0 + 1;
					int64_t last = (r1 - 1) % 7 ? r1 - 1 : r1 - 2;
					int k = snprintf(t, sizeof t, "k%06lld", (long long)(first / 100));
					CHECK(ci.min_len[i] == (size_t)k && memcmp(ci.min[i], t, (size_t)k) == 0);
					k = snprintf(t, sizeof t, "k%06lld", (long long)(last / 100));
					CHECK(ci.max_len[i] == (size_t)k && memcmp(ci.max[i], t, (size_t)k) == 0);
				} else {
					bool all_null = r1 <= rows / 2;
					CHECK(ci.null_pages[i] == all_null);
					if (all_null)
						CHECK(ci.min_len[i] == 0 && ci.max_len[i] == 0);
				}
			}
			CHECK(nulls == (cc->meta.has_stats ? cc->meta.stats.null_count : -1));
			if (c < 2)
				CHECK(ci.boundary == PQ_ASCENDING);
		}
		rg_first += rg->num_rows;
	}
	CHECK(rg_first == rows);
	CHECK(pages > 30);
	/* page header statistics are there too */
	struct pq_page_header h;
	size_t used;
	const char *why;
	const struct pq_column_chunk *c0 = &m.row_groups[0].columns[0];
	REQUIRE(pq_page_header_decode(f + c0->meta.data_page_offset, n, &h, &used, &why) == TARN_OK);
	CHECK(h.has_stats && h.stats.has_min && get_i64(h.stats.min, h.stats.min_len) == 0);
	tarn_arena_free(&arena);
	pq_file_meta_free(&m);
	free(f);

	/* page-index=false: neither index; statistics=false: no column index */
	f = index_file(&n, 5000, "page-size=1K;page-index=false");
	REQUIRE(f);
	REQUIRE(pq_footer_read(f, n, "t.parquet", &m, &meta_start, &err) == TARN_OK);
	CHECK(m.row_groups[0].columns[0].offset_index_offset < 0);
	CHECK(m.row_groups[0].columns[0].column_index_offset < 0);
	pq_file_meta_free(&m);
	free(f);
	f = index_file(&n, 5000, "page-size=1K;statistics=false");
	REQUIRE(f);
	REQUIRE(pq_footer_read(f, n, "t.parquet", &m, &meta_start, &err) == TARN_OK);
	CHECK(m.row_groups[0].columns[0].offset_index_offset > 0);
	CHECK(m.row_groups[0].columns[0].column_index_offset < 0);
	pq_file_meta_free(&m);
	free(f);
}

/* A footer + schema over file bytes, for the pruning tests. */
struct pfile {
	uint8_t *bytes;
	size_t n;
	struct pq_file_meta m;
	struct pq_schema sch;
};

static bool pfile_open(struct pfile *pf, uint8_t *bytes, size_t n)
{
	pf->bytes = bytes;
	pf->n = n;
	struct tarn_err err = { 0 };
	int64_t at;
	struct pq_read_opts o = { .batch_rows = 65536, .max_page = 1 << 30, .max_values = 1 << 26 };
	if (pq_footer_read(bytes, n, "t.parquet", &pf->m, &at, &err) ||
	    pq_schema_build(&pf->m, &o, &pf->sch, "t.parquet", &err)) {
		fprintf(stderr, "pfile_open: %s\n", err.msg);
		return false;
	}
	return true;
}

static void pfile_close(struct pfile *pf)
{
	pq_schema_free(&pf->sch);
	pq_file_meta_free(&pf->m);
	free(pf->bytes);
}

static uint8_t *slurp_file(const char *path, size_t *n)
{
	FILE *fp = fopen(path, "rb");
	if (!fp)
		return NULL;
	fseek(fp, 0, SEEK_END);
	long len = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	uint8_t *p = malloc(len > 0 ? (size_t)len : 1);
	*n = fread(p, 1, (size_t)len, fp);
	fclose(fp);
	return p;
}

/* Row numbers (file order) kept by row group + page pruning of leaf `col`
 * for [lo, hi]: kept[r]. Returns rows kept. */
static int64_t prune_rows(struct pfile *pf, int col, const struct pq_bound *lo,
			  const struct pq_bound *hi, bool *kept, int64_t total)
{
	memset(kept, 0, (size_t)total);
	bool keep_rg[4096];
	if (pf->m.n_row_groups > 4096) {
		CHECK(pf->m.n_row_groups <= 4096);
		return -1;
	}
	const struct pq_leaf *lf = &pf->sch.leaves[col];
	pq_prune_row_groups(&pf->m, lf, lo, hi, keep_rg);
	struct tarn_arena arena;
	tarn_arena_init(&arena, 0);
	int64_t first = 0, n = 0;
	for (int g = 0; g < pf->m.n_row_groups; g++) {
		int64_t rows = pf->m.row_groups[g].num_rows;
		if (keep_rg[g]) {
			struct pq_row_range *rr;
			int nr;
			const char *why = NULL;
			tarn_rc rc = pq_prune_pages(pf->bytes, pf->n, &pf->m, g, lf, lo, hi, &arena, &rr,
						    &nr, &why);
			CHECK(rc == TARN_OK);
			if (rc)
				fprintf(stderr, "prune_pages: %s\n", why);
			for (int i = 0; rc == TARN_OK && i < nr; i++) {
				CHECK(rr[i].first < rr[i].end && rr[i].end <= rows);
				CHECK(i == 0 || rr[i].first > rr[i - 1].end);
				for (int64_t r = rr[i].first; r < rr[i].end && first + r < total; r++)
					kept[first + r] = true, n++;
			}
		}
		first += rows;
	}
	tarn_arena_free(&arena);
	return n;
}

TEST(prune_tarn_file)
{
	const int64_t rows = 60000;
	size_t n;
	uint8_t *f = index_file(&n, rows, "page-size=2K;row-group-size=64K");
	REQUIRE(f);
	struct pfile pf;
	REQUIRE(pfile_open(&pf, f, n));
	CHECK(pf.m.n_row_groups > 2);
	bool *kept = malloc((size_t)rows);
	/* a in [20000, 20099]: those rows kept, few others */
	int64_t lo_v = 20000, hi_v = 20099;
	struct pq_bound lo = { (const uint8_t *)&lo_v, 8 }, hi = { (const uint8_t *)&hi_v, 8 };
	int64_t k = prune_rows(&pf, 0, &lo, &hi, kept, rows);
	for (int64_t r = lo_v; r <= hi_v; r++)
		CHECK(kept[r]);
	CHECK(k >= 100 && k < 3000);
	/* open bounds */
	k = prune_rows(&pf, 0, &lo, NULL, kept, rows);
	CHECK(kept[rows - 1] && !kept[0] && k < rows);
	k = prune_rows(&pf, 0, NULL, &hi, kept, rows);
	CHECK(kept[0] && !kept[rows - 1] && k < rows);
	/* out of range: nothing */
	int64_t big = rows + 10;
	struct pq_bound b = { (const uint8_t *)&big, 8 };
	CHECK(prune_rows(&pf, 0, &b, NULL, kept, rows) == 0);
	/* strings: s == "k000450" lives in rows 45000..45099 */
	struct pq_bound sb = { (const uint8_t *)"k000450", 7 };
	k = prune_rows(&pf, 1, &sb, &sb, kept, rows);
	for (int64_t r = 45000; r < 45100; r++)
		CHECK(kept[r]);
	CHECK(k < rows / 10);
	/* n: null for the first half (null pages and an all-null row group are
	 * dropped), then i % 1000 unordered: a value in range keeps pages */
	int32_t v5 = 5;
	struct pq_bound nb = { (const uint8_t *)&v5, 4 };
	k = prune_rows(&pf, 2, &nb, &nb, kept, rows);
	CHECK(!kept[0] && k < rows);
	for (int64_t r = rows / 2; r < rows; r++)
		if (r % 1000 == 5)
			CHECK(kept[r]);
	free(kept);
	pfile_close(&pf);
}

static const char *corpus_dir(void)
{
	const char *root = getenv("PARQUET_TESTING_DIR");
	return root ? root : "../shared/corpus/parquet-testing";
}

/* Reads column `name` of a corpus file with tarn and checks pruning for
 * [lo, hi] keeps every row whose value is in range (ints by value, bytes
 * byte-wise) and drops some rows when `expect_drop`. */
static void prune_corpus(const char *file, const char *name, const struct pq_bound *lo,
			 const struct pq_bound *hi, bool expect_drop)
{
	char path[512];
	snprintf(path, sizeof path, "%s/data/%s", corpus_dir(), file);
	size_t n;
	uint8_t *bytes = slurp_file(path, &n);
	if (!bytes) {
		fprintf(stderr, "  (skipped: %s not found)\n", path);
		return;
	}
	struct pfile pf;
	REQUIRE(pfile_open(&pf, bytes, n));
	int col = -1;
	for (int i = 0; i < pf.sch.n_leaves; i++)
		if (strcmp(pf.sch.leaves[i].path, name) == 0)
			col = i;
	REQUIRE(col >= 0);
	int64_t total = pf.m.num_rows;
	bool *kept = malloc((size_t)total + 1);
	int64_t k = prune_rows(&pf, col, lo, hi, kept, total);
	int order = pq_leaf_order(&pf.m, &pf.sch.leaves[col]);
	int phys = pf.sch.leaves[col].phys;
	/* the values, read by tarn */
	struct tarn_reader *r;
	struct tarn_err err = { 0 };
	char ropt[300];
	snprintf(ropt, sizeof ropt, "columns=%s", name);
	REQUIRE(open_bytes(pf.bytes, pf.n, ropt, &r, &err) == TARN_OK);
	int64_t row = 0, matches = 0;
	for (;;) {
		struct tarn_batch *b;
		REQUIRE(tarn_reader_next(r, &b, &err) == TARN_OK);
		if (!b)
			break;
		const struct tarn_array *a = b->cols[0];
		for (int64_t i = 0; i < b->n_rows; i++, row++) {
			if (tarn_array_is_null(a, i))
				continue;
			uint8_t tmp[8];
			const uint8_t *v = tmp;
			size_t vn;
			if (phys == PQ_INT32) {
				int32_t x;
				memcpy(&x, a->values + 4 * i, 4);
				memcpy(tmp, &x, 4);
				vn = 4;
			} else if (phys == PQ_INT64) {
				memcpy(tmp, a->values + 8 * i, 8);
				vn = 8;
			} else {
				v = a->values + a->offsets[i];
				vn = (size_t)(a->offsets[i + 1] - a->offsets[i]);
			}
			bool ok1 = true, ok2 = true;
			bool in = (!lo || pq_value_cmp(order, phys, v, vn, lo->p, lo->n, &ok1) >= 0) &&
				  (!hi || pq_value_cmp(order, phys, v, vn, hi->p, hi->n, &ok2) <= 0);
			if (in && ok1 && ok2) {
				matches++;
				if (!kept[row])
					fprintf(stderr, "%s: row %lld in range but pruned\n", file,
						(long long)row);
				CHECK(kept[row]);
			}
		}
		tarn_batch_free(b);
	}
	tarn_reader_close(r);
	CHECK(row == total);
	CHECK(matches > 0);
	if (expect_drop)
		CHECK(k < total);
	fprintf(stderr, "  %s %s: %lld of %lld rows kept, %lld match\n", file, name, (long long)k,
		(long long)total, (long long)matches);
	free(kept);
	pfile_close(&pf);
}

TEST(prune_corpus_files)
{
	int32_t a = 1000, b = 1100;
	struct pq_bound lo = { (const uint8_t *)&a, 4 }, hi = { (const uint8_t *)&b, 4 };
	prune_corpus("alltypes_tiny_pages.parquet", "id", &lo, &hi, true);
	prune_corpus("alltypes_tiny_pages_plain.parquet", "id", &lo, &hi, true);
	int32_t c = 2, d = 3;
	struct pq_bound lo2 = { (const uint8_t *)&c, 4 }, hi2 = { (const uint8_t *)&d, 4 };
	prune_corpus("alltypes_tiny_pages.parquet", "int_col", &lo2, &hi2, false);
	int32_t e = 0, g = 400000000;
	struct pq_bound lo3 = { (const uint8_t *)&e, 4 }, hi3 = { (const uint8_t *)&g, 4 };
	prune_corpus("int32_with_null_pages.parquet", "int32_field", &lo3, &hi3, false);
	struct pq_bound s = { (const uint8_t *)"Hello", 5 };
	prune_corpus("data_index_bloom_encoding_stats.parquet", "String", &s, &s, false);
	prune_corpus("data_index_bloom_encoding_with_length.parquet", "String", &s, &s, false);
	/* FLBA(4), pages in descending order */
	uint8_t f0[4] = { 0, 0, 0, 10 }, f1[4] = { 0, 0, 0, 20 };
	struct pq_bound lo4 = { f0, 4 }, hi4 = { f1, 4 };
	prune_corpus("fixed_length_byte_array.parquet", "flba_field", &lo4, &hi4, true);
}

/* Row texts (all columns, tab-joined) of a reader, appended to *rows. */
static int64_t read_rows_text(struct tarn_reader *r, char ***rows, int64_t *key_col_vals, int key)
{
	int64_t n = 0, cap = 0;
	struct tarn_err err = { 0 };
	char cellb[4096];
	for (;;) {
		struct tarn_batch *b;
		if (tarn_reader_next(r, &b, &err)) {
			fprintf(stderr, "read_rows_text: %s\n", err.msg);
			CHECK(0);
			break;
		}
		if (!b)
			break;
		for (int64_t i = 0; i < b->n_rows; i++) {
			struct tarn_buf t;
			tarn_buf_init(&t);
			for (int c = 0; c < b->n_cols; c++) {
				size_t k = tarn_batch_cell_text(b, c, i, cellb, sizeof cellb);
				CHECK(tarn_buf_append(&t, cellb, k) == TARN_OK);
				CHECK(tarn_buf_putc(&t, '\t') == TARN_OK);
			}
			CHECK(tarn_buf_cstr(&t) == TARN_OK);
			if (n == cap) {
				cap = cap ? cap * 2 : 1024;
				*rows = realloc(*rows, (size_t)cap * sizeof **rows);
			}
			(*rows)[n] = tarn_buf_steal(&t);
			size_t k = tarn_batch_cell_text(b, key, i, cellb, sizeof cellb);
			cellb[k] = 0;
			key_col_vals[n] = strtoll(cellb, NULL, 10);
			n++;
		}
		tarn_batch_free(b);
	}
	return n;
}

/* Reads bytes whole and with pq_reader_prune(column, lo, hi): the pruned
 * read's rows are whole rows of the file (every column aligned, found by
 * the unique integer column `key`), in order, and include every row whose
 * key is in [klo, khi]; fewer rows than the file when expect_fewer. */
static void check_pruned_read(const uint8_t *bytes, size_t n, const char *column, int key,
			      const struct pq_bound *lo, const struct pq_bound *hi, int64_t klo,
			      int64_t khi, bool expect_fewer, int64_t batch_rows)
{
	struct tarn_reader *r;
	struct tarn_err err = { 0 };
	REQUIRE(open_bytes(bytes, n, NULL, &r, &err) == TARN_OK);
	int64_t total;
	char **all = NULL;
	int64_t *keys = malloc(sizeof(int64_t) * 2000000);
	total = read_rows_text(r, &all, keys, key);
	tarn_reader_close(r);
	int64_t kmin = INT64_MAX, kmax = INT64_MIN;
	for (int64_t i = 0; i < total; i++) {
		kmin = keys[i] < kmin ? keys[i] : kmin;
		kmax = keys[i] > kmax ? keys[i] : kmax;
	}
	int64_t span = kmax - kmin + 1;
	int64_t *pos = malloc(sizeof(int64_t) * (size_t)span);
	for (int64_t i = 0; i < span; i++)
		pos[i] = -1;
	for (int64_t i = 0; i < total; i++)
		pos[keys[i] - kmin] = i;
	char bo[64];
	snprintf(bo, sizeof bo, "batch-rows=%lld", (long long)batch_rows);
	REQUIRE(open_bytes(bytes, n, bo, &r, &err) == TARN_OK);
	REQUIRE(pq_reader_prune(r, column, lo, hi, &err) == TARN_OK);
	char **got = NULL;
	int64_t *gkeys = malloc(sizeof(int64_t) * 2000000);
	int64_t m = read_rows_text(r, &got, gkeys, key);
	tarn_reader_close(r);
	int64_t prev = -1, in_range = 0;
	for (int64_t i = 0; i < m; i++) {
		int64_t at = pos[gkeys[i] - kmin];
		REQUIRE(at >= 0);
		if (strcmp(got[i], all[at]) != 0) {
			fprintf(stderr, "pruned row %lld (file row %lld) differs:\n  %s\n  %s\n",
				(long long)i, (long long)at, got[i], all[at]);
			CHECK(0);
			break;
		}
		CHECK(at > prev);
		prev = at;
		in_range += gkeys[i] >= klo && gkeys[i] <= khi;
	}
	int64_t want = 0;
	for (int64_t i = 0; i < total; i++)
		want += keys[i] >= klo && keys[i] <= khi;
	CHECK(in_range == want);
	if (expect_fewer)
		CHECK(m < total);
	fprintf(stderr, "  pruned read on %s: %lld of %lld rows, %lld in range\n", column,
		(long long)m, (long long)total, (long long)want);
	for (int64_t i = 0; i < total; i++)
		tarn_free(all[i]);
	for (int64_t i = 0; i < m; i++)
		tarn_free(got[i]);
	free(all);
	free(got);
	free(keys);
	free(gkeys);
	free(pos);
}

TEST(pruned_reads)
{
	/* tarn's own file: a = row number, a string column, a half-null column */
	size_t n;
	uint8_t *f = index_file(&n, 60000, "page-size=2K;row-group-size=64K");
	REQUIRE(f);
	int64_t a = 20000, b = 20099;
	struct pq_bound lo = { (const uint8_t *)&a, 8 }, hi = { (const uint8_t *)&b, 8 };
	check_pruned_read(f, n, "a", 0, &lo, &hi, a, b, true, 65536);
	check_pruned_read(f, n, "a", 0, &lo, &hi, a, b, true, 7);
	check_pruned_read(f, n, "a", 0, &lo, NULL, a, INT64_MAX, true, 1000);
	int64_t none = 1 << 30;
	struct pq_bound nb = { (const uint8_t *)&none, 8 };
	check_pruned_read(f, n, "a", 0, &nb, NULL, none, INT64_MAX, true, 1000);
	struct pq_bound sb = { (const uint8_t *)"k000450", 7 };
	check_pruned_read(f, n, "s", 0, &sb, &sb, 45000, 45099, true, 65536);
	/* Pages the OffsetIndex lets the reader jump over are never read: a
	 * corrupt one (CRC) before the selected rows in the same row group
	 * fails a full read but not the pruned one. */
	struct pq_file_meta m;
	struct tarn_err err = { 0 };
	int64_t at;
	REQUIRE(pq_footer_read(f, n, "t.parquet", &m, &at, &err) == TARN_OK);
	int64_t first = 0;
	int g = 0;
	while (first + m.row_groups[g].num_rows <= a)
		first += m.row_groups[g++].num_rows;
	struct tarn_arena arena;
	tarn_arena_init(&arena, 0);
	struct pq_offset_index oi;
	bool has;
	const char *why;
	REQUIRE(pq_chunk_offset_index(f, n, &m.row_groups[g], 0, &arena, &oi, &has, &why) == TARN_OK);
	REQUIRE(has && oi.n > 2);
	int64_t tv = first + oi.locs[oi.n - 1].first_row; /* in the last page */
	struct pq_bound tb = { (const uint8_t *)&tv, 8 };
	f[oi.locs[1].offset + oi.locs[1].size - 1] ^= 0x55;
	tarn_arena_free(&arena);
	pq_file_meta_free(&m);
	struct tarn_reader *r;
	int64_t rows;
	REQUIRE(open_bytes(f, n, NULL, &r, &err) == TARN_OK);
	CHECK(read_all(r, &rows, &err) == TARN_EDATA);
	CHECK_CONTAINS(err.msg, "checksum");
	tarn_reader_close(r);
	tarn_err_clear(&err);
	REQUIRE(open_bytes(f, n, NULL, &r, &err) == TARN_OK);
	REQUIRE(pq_reader_prune(r, "a", &tb, &tb, &err) == TARN_OK);
	CHECK(read_all(r, &rows, &err) == TARN_OK);
	CHECK(rows > 0 && rows < 5000);
	tarn_reader_close(r);
	/* misuse: unknown column, twice, after reading */
	REQUIRE(open_bytes(f, n, NULL, &r, &err) == TARN_OK);
	tarn_err_clear(&err);
	CHECK(pq_reader_prune(r, "nope", &lo, &hi, &err) == TARN_ENOTFOUND);
	CHECK(pq_reader_prune(r, "a", &lo, &hi, NULL) == TARN_OK);
	CHECK(pq_reader_prune(r, "a", &lo, &hi, NULL) == TARN_EUSAGE);
	tarn_reader_close(r);
	/* narrowing: a second range past every value leaves no row group */
	REQUIRE(open_bytes(f, n, NULL, &r, &err) == TARN_OK);
	CHECK(pq_reader_narrow(r, "a", &lo, &hi, &err) == TARN_OK); /* the first prunes */
	int64_t far = INT64_C(1) << 50;
	struct pq_bound fb = { (const uint8_t *)&far, 8 };
	CHECK(pq_reader_narrow(r, "nope", &fb, NULL, &err) == TARN_ENOTFOUND);
	CHECK(pq_reader_narrow(r, "a", &fb, NULL, &err) == TARN_OK);
	CHECK(read_all(r, &rows, &err) == TARN_OK);
	CHECK(rows == 0);
	CHECK(pq_reader_narrow(r, "a", &fb, NULL, &err) == TARN_EUSAGE); /* started */
	tarn_reader_close(r);
	free(f);
	/* lists and structs beside the pruned column: pages start at rows */
	const char *names[] = { "id", "l", "st" };
	const char *types[] = { "int64", "list<int32>", "struct<x: int32, y: string>" };
	struct tarn_schema *sch = schema_from(names, types, 3);
	REQUIRE(sch);
	struct tarn_batch *bt;
	REQUIRE(tarn_batch_new(sch, 30000, &bt) == TARN_OK);
	for (int64_t i = 0; i < 30000; i++) {
		CHECK(tarn_array_append_int(bt->cols[0], i) == TARN_OK);
		if (i % 5 == 0) {
			CHECK(tarn_array_append_null(bt->cols[1]) == TARN_OK);
		} else {
			for (int64_t j = 0; j < i % 4; j++)
				CHECK(tarn_array_append_int(bt->cols[1]->children[0], i + j) == TARN_OK);
			CHECK(tarn_array_list_end(bt->cols[1], true) == TARN_OK);
		}
		char t[32];
		int k = snprintf(t, sizeof t, "v%lld", (long long)i);
		CHECK(tarn_array_append_int(bt->cols[2]->children[0], i % 3) == TARN_OK);
		CHECK(tarn_array_append_bytes(bt->cols[2]->children[1], t, (size_t)k) == TARN_OK);
		CHECK(tarn_array_struct_end(bt->cols[2], true) == TARN_OK);
	}
	REQUIRE(tarn_batch_seal(bt, NULL) == TARN_OK);
	for (int v = 1; v <= 2; v++) {
		struct tarn_opts *o;
		struct tarn_output *out;
		struct tarn_writer *w;
		tarn_err_clear(&err);
		REQUIRE(tarn_opts_new(&o) == TARN_OK);
		CHECK(tarn_opts_set(o, "page-size", "1K") == TARN_OK);
		CHECK(tarn_opts_set(o, "page-version", v == 1 ? "1" : "2") == TARN_OK);
		REQUIRE(tarn_output_open_mem(&out, &err) == TARN_OK);
		REQUIRE(tarn_writer_open_output(out, &tarn_format_parquet, sch, o, &w, &err) == TARN_OK);
		REQUIRE(tarn_writer_write(w, bt, &err) == TARN_OK);
		REQUIRE(tarn_writer_finish(w, &err) == TARN_OK);
		size_t cn;
		const uint8_t *p = tarn_output_mem(out, &cn);
		uint8_t *copy = malloc(cn);
		memcpy(copy, p, cn);
		tarn_writer_close(w);
		tarn_opts_free(o);
		int64_t x = 12345, y = 12400;
		struct pq_bound l2 = { (const uint8_t *)&x, 8 }, h2 = { (const uint8_t *)&y, 8 };
		check_pruned_read(copy, cn, "id", 0, &l2, &h2, x, y, true, 100);
		free(copy);
	}
	tarn_batch_free(bt);
	tarn_schema_unref(sch);
}

TEST(pruned_reads_corpus)
{
	char path[512];
	const char *files[] = { "alltypes_tiny_pages.parquet", "alltypes_tiny_pages_plain.parquet" };
	for (int i = 0; i < 2; i++) {
		snprintf(path, sizeof path, "%s/data/%s", corpus_dir(), files[i]);
		size_t n;
		uint8_t *f = slurp_file(path, &n);
		if (!f) {
			fprintf(stderr, "  (skipped: %s not found)\n", path);
			continue;
		}
		int32_t a = 1000, b = 1100;
		struct pq_bound lo = { (const uint8_t *)&a, 4 }, hi = { (const uint8_t *)&b, 4 };
		check_pruned_read(f, n, "id", 0, &lo, &hi, a, b, true, 65536);
		check_pruned_read(f, n, "id", 0, &lo, &hi, a, b, true, 3);
		free(f);
	}
}

/* ---- Bloom filters ------------------------------------------------------------------- */

TEST(xxh64_vectors)
{
	/* xxHash reference values, seed 0 */
	static const struct {
		const char *s;
		uint64_t h;
	} v[] = {
		{ "", 0xEF46DB3751D8E999ULL },
		{ "a", 0xD24EC4F1A98C6E5BULL },
		{ "as", 0x1C330FB2D66BE179ULL },
		{ "asd", 0x631C37CE72A97393ULL },
		{ "asdf", 0x415872F599CEA71EULL },
		{ "abc", 0x44BC2CF5AD770999ULL },
		{ "Nobody inspects the spammish repetition", 0xFBCEA83C8A378BF1ULL },
	};
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		uint64_t h = pq_xxh64(v[i].s, strlen(v[i].s), 0);
		if (h != v[i].h)
			fprintf(stderr, "xxh64('%s') = %016llx\n", v[i].s, (unsigned long long)h);
		CHECK(h == v[i].h);
	}
	/* the empty input with seed 1 */
	CHECK(pq_xxh64("", 0, 1) == 0xD5AFBA1336A3BE4BULL);
	/* sizes: powers of two, 32 bytes to 128 MiB, growing with ndv */
	CHECK(pq_bloom_size(1, 0.01) == 32);
	size_t a = pq_bloom_size(10000, 0.01), b = pq_bloom_size(10000, 0.001);
	CHECK((a & (a - 1)) == 0 && a >= 10000 && b > a);
	CHECK(pq_bloom_size((int64_t)1 << 40, 0.01) == PQ_BLOOM_MAX);
}

/* Fraction of `probes` absent strings ("absent-<i>") the filter lets by. */
static double bloom_fp(const uint8_t *bits, size_t n, int probes)
{
	int hits = 0;
	for (int i = 0; i < probes; i++) {
		char t[32];
		int k = snprintf(t, sizeof t, "absent-%d", i);
		hits += pq_bloom_check(bits, n, pq_xxh64(t, (size_t)k, 0));
	}
	return (double)hits / probes;
}

TEST(bloom_corpus)
{
	char path[512];
	snprintf(path, sizeof path, "%s/data/bloom_filter.xxhash.bin", corpus_dir());
	size_t n;
	uint8_t *raw = slurp_file(path, &n);
	if (!raw) {
		fprintf(stderr, "  (skipped: %s not found)\n", path);
		return;
	}
	/* a bare BloomFilterHeader + bitset: put it at offset 4 of a buffer */
	uint8_t *buf = malloc(n + 4);
	memcpy(buf, "PAR1", 4);
	memcpy(buf + 4, raw, n);
	struct pq_column_meta cm;
	memset(&cm, 0, sizeof cm);
	cm.bloom_filter_offset = 4;
	cm.bloom_filter_length = -1;
	const uint8_t *bits;
	size_t nb;
	const char *why = NULL;
	REQUIRE(pq_bloom_read(buf, n + 4, &cm, &bits, &nb, &why) == TARN_OK);
	REQUIRE(bits && nb >= 32);
	const char *in[] = { "hello", "parquet", "bloom", "filter" };
	for (int i = 0; i < 4; i++) {
		bool maybe = false;
		CHECK(pq_bloom_might_contain(buf, n + 4, &cm, in[i], strlen(in[i]), &maybe, &why) ==
		      TARN_OK);
		CHECK(maybe);
	}
	double fp = bloom_fp(bits, nb, 1000);
	fprintf(stderr, "  bloom_filter.xxhash.bin: %zu bytes, %.1f%% of absent values pass\n", nb,
		100 * fp);
	CHECK(fp < 0.1);
	/* a corrupt size is refused */
	buf[4 + 1] ^= 0x7f;
	CHECK(pq_bloom_read(buf, n + 4, &cm, &bits, &nb, &why) != TARN_OK);
	free(buf);
	free(raw);

	/* data_index_bloom_encoding_*: every value passes, most others do not */
	const char *files[] = { "data_index_bloom_encoding_stats.parquet",
				"data_index_bloom_encoding_with_length.parquet" };
	for (int f = 0; f < 2; f++) {
		snprintf(path, sizeof path, "%s/data/%s", corpus_dir(), files[f]);
		uint8_t *bytes = slurp_file(path, &n);
		if (!bytes)
			continue;
		struct pfile pf;
		REQUIRE(pfile_open(&pf, bytes, n));
		const struct pq_column_meta *m = &pf.m.row_groups[0].columns[0].meta;
		REQUIRE(pq_bloom_read(pf.bytes, pf.n, m, &bits, &nb, &why) == TARN_OK);
		REQUIRE(bits);
		struct tarn_reader *r;
		struct tarn_err err = { 0 };
		REQUIRE(open_bytes(pf.bytes, pf.n, NULL, &r, &err) == TARN_OK);
		struct tarn_batch *b;
		REQUIRE(tarn_reader_next(r, &b, &err) == TARN_OK && b);
		const struct tarn_array *a = b->cols[0];
		for (int64_t i = 0; i < b->n_rows; i++) {
			bool maybe = false;
			CHECK(pq_bloom_might_contain(pf.bytes, pf.n, m, a->values + a->offsets[i],
						     (size_t)(a->offsets[i + 1] - a->offsets[i]), &maybe,
						     &why) == TARN_OK);
			CHECK(maybe);
		}
		tarn_batch_free(b);
		tarn_reader_close(r);
		fp = bloom_fp(bits, nb, 1000);
		fprintf(stderr, "  %s: %.1f%% of absent values pass\n", files[f], 100 * fp);
		CHECK(fp < 0.1);
		pfile_close(&pf);
	}
}

TEST(bloom_written)
{
	const int64_t rows = 40000;
	size_t n;
	uint8_t *f = index_file(&n, rows, "bloom-columns=a,s;row-group-size=256K");
	REQUIRE(f);
	struct pfile pf;
	REQUIRE(pfile_open(&pf, f, n));
	CHECK(pf.m.n_row_groups > 1);
	int64_t first = 0, absent_hits = 0, absent = 0;
	for (int g = 0; g < pf.m.n_row_groups; g++) {
		const struct pq_row_group *rg = &pf.m.row_groups[g];
		const struct pq_column_meta *ma = &rg->columns[0].meta, *ms = &rg->columns[1].meta;
		CHECK(ma->bloom_filter_offset > 0 && ma->bloom_filter_length > 32);
		CHECK(rg->columns[2].meta.bloom_filter_offset < 0);
		const uint8_t *bits;
		size_t nb;
		const char *why;
		REQUIRE(pq_bloom_read(pf.bytes, pf.n, ma, &bits, &nb, &why) == TARN_OK && bits);
		/* sized for the chunk's distinct values at 1% */
		CHECK(nb == pq_bloom_size(rg->num_rows, 0.01));
		for (int64_t r = first; r < first + rg->num_rows; r++) {
			bool maybe;
			CHECK(pq_bloom_might_contain(pf.bytes, pf.n, ma, &r, 8, &maybe, &why) == TARN_OK);
			CHECK(maybe);
			char t[32];
			int k = snprintf(t, sizeof t, "k%06lld", (long long)(r / 100));
			if (r % 7)
				CHECK(pq_bloom_might_contain(pf.bytes, pf.n, ms, t, (size_t)k, &maybe,
							     &why) == TARN_OK &&
				      maybe);
		}
		for (int64_t r = rows; r < rows + 5000; r++) {
			bool maybe;
			CHECK(pq_bloom_might_contain(pf.bytes, pf.n, ma, &r, 8, &maybe, &why) == TARN_OK);
			absent_hits += maybe;
			absent++;
		}
		first += rg->num_rows;
	}
	fprintf(stderr, "  tarn's filters: %.2f%% of absent values pass\n",
		100.0 * (double)absent_hits / (double)absent);
	CHECK(absent_hits * 100 < absent * 3);
	pfile_close(&pf);
	/* the reader still reads the file */
	f = index_file(&n, 1000, "bloom-columns=s;bloom-fpp=0.001;bloom-ndv=100000");
	REQUIRE(f);
	REQUIRE(pfile_open(&pf, f, n));
	CHECK(pf.m.row_groups[0].columns[1].meta.bloom_filter_length >
	      (int32_t)pq_bloom_size(100000, 0.001));
	struct tarn_reader *r;
	struct tarn_err err = { 0 };
	int64_t got;
	REQUIRE(open_bytes(pf.bytes, pf.n, NULL, &r, &err) == TARN_OK);
	CHECK(read_all(r, &got, &err) == TARN_OK && got == 1000);
	tarn_reader_close(r);
	pfile_close(&pf);
	/* option errors */
	const char *bad[] = { "bloom-columns=nope", "bloom-fpp=0", "bloom-fpp=1.5", "bloom-ndv=-3" };
	for (int i = 0; i < 4; i++) {
		f = index_file(&n, 10, bad[i]);
		CHECK(f == NULL);
		free(f);
	}
}

/* Row groups decode on several lanes at once: batches still come in file
 * order, each row group whole, with any batch size. */
TEST(row_groups_in_parallel)
{
	size_t n;
	uint8_t *f = index_file(&n, 200000, "row-group-size=16K;dictionary=false");
	REQUIRE(f);
	struct pfile pf;
	REQUIRE(pfile_open(&pf, f, n));
	CHECK(pf.m.n_row_groups > 20);
	const char *opts[] = { NULL, "batch-rows=333", "batch-rows=1000" };
	for (int k = 0; k < 3; k++) {
		struct tarn_reader *r;
		struct tarn_err err = { 0 };
		REQUIRE(open_bytes(pf.bytes, pf.n, opts[k], &r, &err) == TARN_OK);
		int64_t next = 0;
		bool ok = true;
		for (;;) {
			struct tarn_batch *b;
			REQUIRE(tarn_reader_next(r, &b, &err) == TARN_OK);
			if (!b)
				break;
			const struct tarn_array *a = b->cols[0];
			for (int64_t i = 0; i < b->n_rows && ok; i++) {
				int64_t v;
				memcpy(&v, a->values + 8 * i, 8);
				ok = v == next++;
			}
			tarn_batch_free(b);
		}
		CHECK(ok);
		CHECK(next == 200000);
		tarn_reader_close(r);
	}
	/* A corrupt page in a late row group: every row before it comes
	 * first, then the error naming that row group. */
	int g = pf.m.n_row_groups - 2;
	int64_t before = 0;
	for (int i = 0; i < g; i++)
		before += pf.m.row_groups[i].num_rows;
	struct tarn_arena arena;
	tarn_arena_init(&arena, 0);
	struct pq_offset_index oi;
	bool has;
	const char *why;
	REQUIRE(pq_chunk_offset_index(pf.bytes, pf.n, &pf.m.row_groups[g], 0, &arena, &oi, &has,
				      &why) == TARN_OK && has);
	pf.bytes[oi.locs[0].offset + oi.locs[0].size - 1] ^= 0x21;
	tarn_arena_free(&arena);
	struct tarn_reader *r;
	struct tarn_err err = { 0 };
	REQUIRE(open_bytes(pf.bytes, pf.n, NULL, &r, &err) == TARN_OK);
	int64_t rows = 0;
	tarn_rc rc;
	for (;;) {
		struct tarn_batch *b;
		rc = tarn_reader_next(r, &b, &err);
		if (rc || !b)
			break;
		rows += b->n_rows;
		tarn_batch_free(b);
	}
	CHECK(rc == TARN_EDATA);
	CHECK(rows == before);
	char want[32];
	snprintf(want, sizeof want, "row group %d,", g);
	CHECK_CONTAINS(err.msg, want);
	/* and again on the next call */
	struct tarn_batch *b2 = NULL;
	CHECK(tarn_reader_next(r, &b2, &err) == TARN_EDATA && !b2);
	tarn_reader_close(r);
	pfile_close(&pf);
}

int main(void)
{
	RUN(thrift_round_trip);
	RUN(thrift_hostile);
	RUN(meta_round_trip);
	RUN(rle_round_trip_all_widths);
	RUN(rle_u8_levels);
	RUN(rle_edge_cases);
	RUN(unpack_all_widths);
	RUN(delta_binary_packed);
	RUN(delta_byte_arrays);
	RUN(byte_stream_split_and_plain);
	RUN(dictionary_decode);
	RUN(codecs_round_trip);
	RUN(round_trip_every_type);
	RUN(round_trip_options);
	RUN(round_trip_sorted_ints_use_delta);
	RUN(round_trip_empty_and_huge);
	RUN(reader_errors);
	RUN(writer_errors);
	RUN(invalid_utf8_and_meta);
	RUN(allocation_failures);
	RUN(page_index_written);
	RUN(prune_tarn_file);
	RUN(prune_corpus_files);
	RUN(pruned_reads);
	RUN(pruned_reads_corpus);
	RUN(xxh64_vectors);
	RUN(bloom_corpus);
	RUN(bloom_written);
	RUN(row_groups_in_parallel);
	return unit_done();
}
