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
	return unit_done();
}
