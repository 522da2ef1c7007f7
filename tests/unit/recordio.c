/*
 * recordio.c — unit tests for the RecordIO-protobuf format
 * (src/formats/recordio/): files built byte by byte from the specification
 * (dmlc framing with whole and multi-part records, Record messages with
 * dense, sparse, Float64 and Int32 tensors, packed and unpacked values),
 * the reader's columns in both layouts, the writer's exact bytes for the
 * documented example, sparse writing, splitting payloads that hold the
 * magic and reading them back, every framing and layout error, and
 * allocation failures.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "formats/format.h"
#include "formats/protobuf/pb_wire.h"
#include "unit.h"

extern const struct tarn_format tarn_format_recordio, tarn_format_jsonl;

#define OK(expr) REQUIRE((expr) == TARN_OK)

/* ---- building files ------------------------------------------------------------ */

static void put_u32(struct tarn_buf *b, uint32_t v)
{
	if (tarn_buf_append(b, &v, 4))
		abort();
}

/* One framed part: magic, cflag << 29 | n, payload, padding. */
static void part(struct tarn_buf *f, uint32_t cflag, const void *p, size_t n)
{
	put_u32(f, 0xced7230au);
	put_u32(f, cflag << 29 | (uint32_t)n);
	if (tarn_buf_append(f, p, n))
		abort();
	static const char zero[4] = { 0 };
	if (tarn_buf_append(f, zero, (4 - n % 4) % 4))
		abort();
}

/* The wire value of v as tensor kind (2 = float, 3 = double, 7 = int32). */
static tarn_rc put_val(struct tarn_buf *t, int kind, double v)
{
	if (kind == 2) {
		float f = (float)v;
		uint32_t u;
		memcpy(&u, &f, 4);
		return pb_w_fixed32(t, u);
	}
	if (kind == 3) {
		uint64_t u;
		memcpy(&u, &v, 8);
		return pb_w_fixed64(t, u);
	}
	return pb_w_varint(t, (uint64_t)(int64_t)v);
}

/* A tensor message: values, optional keys and shape. packed = false writes
 * the values unpacked. */
static void tensor(struct tarn_buf *t, int kind, const double *v, int n, const uint64_t *keys,
		   int nk, const uint64_t *shape, int ns, bool packed)
{
	t->len = 0;
	if (packed && n) {
		size_t m;
		if (pb_w_tag(t, 1, PB_WT_LEN) || pb_w_begin(t, &m))
			abort();
		for (int i = 0; i < n; i++)
			if (put_val(t, kind, v[i]))
				abort();
		if (pb_w_end(t, m))
			abort();
	} else {
		int wt = kind == 2 ? PB_WT_I32 : kind == 3 ? PB_WT_I64 : PB_WT_VARINT;
		for (int i = 0; i < n; i++)
			if (pb_w_tag(t, 1, wt) || put_val(t, kind, v[i]))
				abort();
	}
	for (int i = 0; i < nk; i++)
		if (pb_w_tag(t, 2, PB_WT_VARINT) || pb_w_varint(t, keys[i]))
			abort();
	for (int i = 0; i < ns; i++)
		if (pb_w_tag(t, 3, PB_WT_VARINT) || pb_w_varint(t, shape[i]))
			abort();
}

/* Appends map entry {"values": Value{kind: tensor}} as field `map_field`. */
static void entry(struct tarn_buf *rec, int map_field, int kind, const struct tarn_buf *t)
{
	size_t e, v;
	if (pb_w_tag(rec, (uint32_t)map_field, PB_WT_LEN) || pb_w_begin(rec, &e) ||
	    pb_w_bytes(rec, 1, "values", 6) || pb_w_tag(rec, 2, PB_WT_LEN) || pb_w_begin(rec, &v) ||
	    pb_w_bytes(rec, (uint32_t)kind, t->data ? t->data : "", t->len) || pb_w_end(rec, v) ||
	    pb_w_end(rec, e))
		abort();
}

/* ---- reading ----------------------------------------------------------------- */

struct res {
	tarn_rc rc;
	char err[TARN_ERR_MSG_MAX];
	char schema[1024];
	char *out; /* JSON Lines of the rows */
	size_t out_n;
};

static void run(const void *p, size_t n, const char *opts, struct res *res)
{
	memset(res, 0, sizeof *res);
	struct tarn_err err;
	tarn_err_clear(&err);
	struct tarn_opts *o;
	if (tarn_opts_new(&o)) {
		res->rc = TARN_ENOMEM; /* under fault injection */
		return;
	}
	char buf[256];
	snprintf(buf, sizeof buf, "%s", opts ? opts : "");
	for (char *save = NULL, *kv = strtok_r(buf, ";", &save); kv; kv = strtok_r(NULL, ";", &save)) {
		res->rc = tarn_opts_parse(o, kv, &err);
		if (res->rc) {
			tarn_opts_free(o);
			return;
		}
	}
	struct tarn_input *in;
	struct tarn_reader *r = NULL;
	struct tarn_writer *w = NULL;
	struct tarn_output *out;
	res->rc = tarn_input_open_mem(p, n, "t.recordio", &in, &err);
	if (!res->rc)
		res->rc = tarn_reader_open_input(in, &tarn_format_recordio, o, &r, &err);
	tarn_opts_free(o);
	if (!res->rc) {
		const struct tarn_schema *s = tarn_reader_schema(r);
		size_t len = 0;
		for (int i = 0; i < tarn_schema_num_fields(s); i++) {
			char t[256];
			tarn_schema_field_type_text(s, i, t, sizeof t);
			len += (size_t)snprintf(res->schema + len, sizeof res->schema - len, "%s%s: %s",
						i ? ", " : "", tarn_schema_field_name(s, i), t);
		}
		res->rc = tarn_output_open_mem(&out, &err);
		if (!res->rc)
			res->rc = tarn_writer_open_output(out, &tarn_format_jsonl, s, NULL, &w, &err);
	}
	while (!res->rc) {
		struct tarn_batch *b;
		res->rc = tarn_reader_next(r, &b, &err);
		if (res->rc || !b)
			break;
		for (int c = 0; c < b->n_cols; c++) {
			struct tarn_err verr;
			tarn_err_clear(&verr);
			CHECK(tarn_array_validate(b->cols[c], true, &verr) == TARN_OK);
		}
		res->rc = tarn_writer_write(w, b, &err);
		tarn_batch_free(b);
	}
	if (!res->rc)
		res->rc = tarn_writer_finish(w, &err);
	if (!res->rc) {
		size_t k;
		const uint8_t *bytes = tarn_output_mem(w->out, &k);
		res->out = calloc(1, k + 1);
		memcpy(res->out, bytes, k);
		res->out_n = k;
	}
	snprintf(res->err, sizeof res->err, "%s", err.msg);
	tarn_writer_close(w);
	tarn_reader_close(r);
}

TEST(read_hand_built)
{
	struct tarn_buf f, rec, t;
	tarn_buf_init(&f);
	tarn_buf_init(&rec);
	tarn_buf_init(&t);
	double v1[] = { 1.5, -2, 0 }, one[] = { 1 }, zero[] = { 0 };
	/* 1: dense, packed, label 1 */
	tensor(&t, 2, v1, 3, NULL, 0, NULL, 0, true);
	entry(&rec, 1, 2, &t);
	tensor(&t, 2, one, 1, NULL, 0, NULL, 0, true);
	entry(&rec, 2, 2, &t);
	if (pb_w_bytes(&rec, 3, "u1", 2))
		abort();
	part(&f, 0, rec.data, rec.len);
	/* 2: sparse keys 0 and 2 of shape [3], values unpacked */
	rec.len = 0;
	double v2[] = { 4, 5.5 };
	uint64_t k2[] = { 0, 2 }, s2[] = { 3 };
	tensor(&t, 2, v2, 2, k2, 2, s2, 1, false);
	entry(&rec, 1, 2, &t);
	tensor(&t, 2, zero, 1, NULL, 0, NULL, 0, true);
	entry(&rec, 2, 2, &t);
	part(&f, 0, rec.data, rec.len);
	/* 3: values whose float bits are the magic, shifted by a uid written
	 * first until some sit on 4-byte boundaries of the payload; split by
	 * hand at each such magic, which is dropped (the reader puts it back) */
	uint32_t magic = 0xced7230au;
	float mf;
	memcpy(&mf, &magic, 4);
	double v3[] = { mf, mf, 7, mf };
	size_t cuts[8], n_cuts = 0;
	for (int pad = 0; pad < 4 && n_cuts < 2; pad++) {
		rec.len = 0;
		char uid[4] = "mmm";
		if (pb_w_bytes(&rec, 3, uid, (size_t)pad))
			abort();
		tensor(&t, 2, v3, 4, NULL, 0, NULL, 0, true);
		entry(&rec, 1, 2, &t);
		n_cuts = 0;
		for (size_t i = 0; i + 4 <= rec.len && n_cuts < 8; i += 4)
			if (memcmp(rec.data + i, &magic, 4) == 0)
				cuts[n_cuts++] = i;
	}
	REQUIRE(n_cuts >= 2);
	size_t at = 0;
	for (size_t i = 0; i < n_cuts; i++) {
		part(&f, i == 0 ? 1 : 2, rec.data + at, cuts[i] - at);
		at = cuts[i] + 4;
	}
	part(&f, 3, rec.data + at, rec.len - at);
	struct tarn_buf alone;
	tarn_buf_init(&alone);
	part(&alone, 0, rec.data, rec.len);
	struct res r, a;
	run(f.data, f.len, NULL, &r);
	run(alone.data, alone.len, NULL, &a);
	CHECK(r.rc == TARN_OK && a.rc == TARN_OK);
	CHECK_STR(r.schema, "features: list<float32>, keys: list<uint64>, shape: list<uint64>, "
			    "label: float32, uid: string");
	const char *third = r.out ? strchr(strchr(r.out, '\n') + 1, '\n') + 1 : "";
	CHECK(strstr(third, "[-1804698900.0,-1804698900.0,7.0,-1804698900.0]") != NULL);
	CHECK(a.out && strstr(a.out, "[-1804698900.0,-1804698900.0,7.0,-1804698900.0]") != NULL);
	CHECK(r.out && strstr(r.out, "{\"features\":[1.5,-2.0,0.0],\"keys\":[],\"shape\":[],"
				     "\"label\":1.0,\"uid\":\"u1\"}\n"
				     "{\"features\":[4.0,5.5],\"keys\":[0,2],\"shape\":[3],"
				     "\"label\":0.0,\"uid\":null}\n{") == r.out);
	free(r.out);
	free(a.out);

	/* features=columns: sparse rows expanded with zeros */
	run(f.data, f.len - 0, "features=columns;infer-rows=2", &r);
	/* record 3 has 4 values, not 3: an error naming it */
	CHECK(r.rc == TARN_EDATA);
	CHECK_CONTAINS(r.err, "record 2 at byte");
	CHECK_CONTAINS(r.err, "4 feature values, but features=columns made 3 columns");
	free(r.out);
	tarn_buf_free(&f);
	tarn_buf_init(&f);
	rec.len = 0;
	tensor(&t, 2, v1, 3, NULL, 0, NULL, 0, true);
	entry(&rec, 1, 2, &t);
	part(&f, 0, rec.data, rec.len);
	rec.len = 0;
	tensor(&t, 2, v2, 2, k2, 2, s2, 1, true);
	entry(&rec, 1, 2, &t);
	part(&f, 0, rec.data, rec.len);
	run(f.data, f.len, "features=columns", &r);
	CHECK(r.rc == TARN_OK);
	CHECK_STR(r.schema, "f0: float32, f1: float32, f2: float32");
	CHECK_STR(r.out, "{\"f0\":1.5,\"f1\":-2.0,\"f2\":0.0}\n{\"f0\":4.0,\"f1\":0.0,\"f2\":5.5}\n");
	free(r.out);
	tarn_buf_free(&f);
	tarn_buf_free(&rec);
	tarn_buf_free(&t);
	tarn_buf_free(&alone);
}

TEST(read_tensor_types)
{
	struct tarn_buf f, rec, t;
	tarn_buf_init(&f);
	tarn_buf_init(&rec);
	tarn_buf_init(&t);
	double a[] = { 0.1, 2 }, b[] = { -3, 4 };
	tensor(&t, 3, a, 2, NULL, 0, NULL, 0, true);
	entry(&rec, 1, 3, &t);
	tensor(&t, 7, b, 2, NULL, 0, NULL, 0, true);
	entry(&rec, 2, 7, &t); /* a two-value Int32 label: a list column */
	part(&f, 0, rec.data, rec.len);
	rec.len = 0;
	tensor(&t, 7, b, 2, NULL, 0, NULL, 0, false);
	entry(&rec, 1, 7, &t); /* Int32 features next to Float64: float64 column */
	part(&f, 0, rec.data, rec.len);
	struct res r;
	run(f.data, f.len, NULL, &r);
	CHECK(r.rc == TARN_OK);
	CHECK_STR(r.schema, "features: list<float64>, label: list<int32>");
	CHECK_STR(r.out, "{\"features\":[0.1,2.0],\"label\":[-3,4]}\n"
			 "{\"features\":[-3.0,4.0],\"label\":null}\n");
	free(r.out);
	/* sampled only the first record: the second one's type does not fit
	 * ... it does (float64 takes int32); a sparse later record does not */
	rec.len = 0;
	uint64_t k[] = { 1 }, s[] = { 5 };
	tensor(&t, 3, a, 1, k, 1, s, 1, true);
	entry(&rec, 1, 3, &t);
	part(&f, 0, rec.data, rec.len);
	run(f.data, f.len, "infer-rows=1", &r);
	CHECK(r.rc == TARN_EDATA);
	CHECK_CONTAINS(r.err, "record 2 at byte");
	CHECK_CONTAINS(r.err, "sparse features (keys), but the first records were dense");
	free(r.out);
	run(f.data, f.len, "infer-rows=1;sparse=true", &r);
	CHECK(r.rc == TARN_OK);
	free(r.out);
	tarn_buf_free(&f);
	tarn_buf_free(&rec);
	tarn_buf_free(&t);
}

TEST(read_errors)
{
	struct tarn_buf f, rec, t;
	tarn_buf_init(&f);
	tarn_buf_init(&rec);
	tarn_buf_init(&t);
	double v[] = { 1 };
	tensor(&t, 2, v, 1, NULL, 0, NULL, 0, true);
	entry(&rec, 1, 2, &t);
	part(&f, 0, rec.data, rec.len);
	size_t good = f.len;
	struct res r;
	struct {
		const char *tail;
		size_t n;
		const char *want;
	} cases[] = {
		{ "\x00\x00\x00\x00\x00\x00\x00\x00", 8, "expected the RecordIO magic" },
		{ "\x0a\x23\xd7", 3, "truncated record header" },
		{ "\x0a\x23\xd7\xce\x10\x00\x00\x00\x01", 9, "length word says 16 bytes but only 1" },
		{ "\x0a\x23\xd7\xce\x00\x00\x00\x60", 8, "a record continues without its first part" },
		{ "\x0a\x23\xd7\xce\x00\x00\x00\x20", 8, "the input ends inside a multi-part record" },
		{ "\x0a\x23\xd7\xce\x00\x00\x00\x20\x0a\x23\xd7\xce\x00\x00\x00\x00", 16,
		  "followed by a new record before its last part" },
		{ "\x0a\x23\xd7\xce\x00\x00\x00\x80", 8, "invalid continuation flag" },
		{ "\x0a\x23\xd7\xce\x02\x00\x00\x00\x0a\x05\x00\x00", 12, "not a valid aialgs.data.Record" },
		{ "\x0a\x23\xd7\xce\x07\x00\x00\x00\x0a\x05\x0a\x01x\x12\x00\x00", 16,
		  "features key 'x'" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		f.len = good;
		if (tarn_buf_append(&f, cases[i].tail, cases[i].n))
			abort();
		run(f.data, f.len, "infer-rows=1", &r);
		CHECK(r.rc != TARN_OK);
		CHECK_CONTAINS(r.err, cases[i].want);
		if (!strstr(r.err, "record 1 at byte"))
			CHECK_CONTAINS(r.err, "record 1 at byte");
		free(r.out);
	}
	/* a length above max-record-size */
	f.len = good;
	part(&f, 0, rec.data, rec.len);
	run(f.data, f.len, "max-record-size=8", &r);
	CHECK(r.rc == TARN_ELIMIT);
	CHECK_CONTAINS(r.err, "max-record-size");
	free(r.out);
	tarn_buf_free(&f);
	tarn_buf_free(&rec);
	tarn_buf_free(&t);
}

/* ---- writing ----------------------------------------------------------------- */

/* Writes JSON Lines text (typed by `types`) as RecordIO with writer options. */
static tarn_rc write_rio(const char *jsonl, const char *types, const char *wopts, char **out,
			 size_t *out_n, struct tarn_err *err)
{
	struct tarn_opts *ro = NULL, *wo = NULL;
	if (tarn_opts_new(&ro) || tarn_opts_new(&wo) || (types && tarn_opts_set(ro, "types", types))) {
		tarn_opts_free(ro);
		tarn_opts_free(wo);
		return TARN_ENOMEM; /* under fault injection */
	}
	char buf[256];
	snprintf(buf, sizeof buf, "%s", wopts ? wopts : "");
	for (char *save = NULL, *kv = strtok_r(buf, ";", &save); kv; kv = strtok_r(NULL, ";", &save)) {
		tarn_rc prc = tarn_opts_parse(wo, kv, err);
		if (prc) {
			tarn_opts_free(ro);
			tarn_opts_free(wo);
			return prc;
		}
	}
	struct tarn_input *in;
	struct tarn_reader *r = NULL;
	struct tarn_writer *w = NULL;
	struct tarn_output *o;
	tarn_rc rc = tarn_input_open_mem(jsonl, strlen(jsonl), "in.jsonl", &in, err);
	if (!rc)
		rc = tarn_reader_open_input(in, &tarn_format_jsonl, ro, &r, err);
	if (!rc)
		rc = tarn_output_open_mem(&o, err);
	if (!rc)
		rc = tarn_writer_open_output(o, &tarn_format_recordio, tarn_reader_schema(r), wo, &w,
					     err);
	tarn_opts_free(ro);
	tarn_opts_free(wo);
	while (!rc) {
		struct tarn_batch *b;
		rc = tarn_reader_next(r, &b, err);
		if (rc || !b)
			break;
		rc = tarn_writer_write(w, b, err);
		tarn_batch_free(b);
	}
	if (!rc)
		rc = tarn_writer_finish(w, err);
	if (!rc && out) {
		size_t k;
		const uint8_t *p = tarn_output_mem(w->out, &k);
		*out = malloc(k + 1);
		memcpy(*out, p, k);
		*out_n = k;
	}
	tarn_writer_close(w);
	tarn_reader_close(r);
	return rc;
}

TEST(write_golden_and_sparse)
{
	struct tarn_err err;
	tarn_err_clear(&err);
	char *out = NULL;
	size_t n = 0;
	OK(write_rio("{\"a\":1,\"b\":2,\"y\":0}\n", "a=int64,b=float64,y=int64", "label=y", &out, &n,
		     &err));
	/* the documented example, byte for byte */
	static const uint8_t golden[] = {
		0x0a, 0x23, 0xd7, 0xce, 0x2c, 0x00, 0x00, 0x00, 0x0a, 0x16, 0x0a, 0x06, 0x76, 0x61,
		0x6c, 0x75, 0x65, 0x73, 0x12, 0x0c, 0x12, 0x0a, 0x0a, 0x08, 0x00, 0x00, 0x80, 0x3f,
		0x00, 0x00, 0x00, 0x40, 0x12, 0x12, 0x0a, 0x06, 0x76, 0x61, 0x6c, 0x75, 0x65, 0x73,
		0x12, 0x08, 0x12, 0x06, 0x0a, 0x04, 0x00, 0x00, 0x00, 0x00,
	};
	CHECK(n == sizeof golden && memcmp(out, golden, n) == 0);
	free(out);

	/* sparse=true keeps the non-zero entries; read back as such */
	OK(write_rio("{\"a\":0,\"b\":2.5,\"c\":0,\"y\":1}\n{\"a\":0,\"b\":0,\"c\":0,\"y\":null}\n",
		     "a=float64,b=float64,c=float64,y=float64", "label=y;sparse=true", &out, &n,
		     &err));
	struct res r;
	run(out, n, NULL, &r);
	CHECK(r.rc == TARN_OK);
	CHECK_STR(r.out, "{\"features\":[2.5],\"keys\":[1],\"shape\":[3],\"label\":1.0}\n"
			 "{\"features\":[],\"keys\":[],\"shape\":[3],\"label\":null}\n");
	free(r.out);
	run(out, n, "features=columns", &r);
	CHECK_STR(r.out, "{\"f0\":0.0,\"f1\":2.5,\"f2\":0.0,\"label\":1.0}\n"
			 "{\"f0\":0.0,\"f1\":0.0,\"f2\":0.0,\"label\":null}\n");
	free(r.out);
	free(out);

	/* list layout with keys and shape, uid: the reader's own columns */
	OK(write_rio("{\"features\":[1,2],\"keys\":[3,9],\"shape\":[10],\"uid\":\"x\"}\n",
		     "features=list<float64>,keys=list<int64>,shape=list<int64>,uid=string", NULL,
		     &out, &n, &err));
	run(out, n, NULL, &r);
	CHECK_STR(r.out, "{\"features\":[1.0,2.0],\"keys\":[3,9],\"shape\":[10],\"uid\":\"x\"}\n");
	free(r.out);
	free(out);
}

TEST(write_escapes_magic)
{
	/* -1.80469888e9 has the float bits of the magic; with enough values one
	 * lands on a 4-byte boundary of the payload */
	struct tarn_err err;
	tarn_err_clear(&err);
	char *out = NULL, *raw = NULL;
	size_t n = 0, rn = 0;
	const char *row = "{\"features\":[-1804698880,-1804698880,-1804698880,-1804698880,5]}\n";
	OK(write_rio(row, "features=list<float32>", NULL, &out, &n, &err));
	OK(write_rio(row, "features=list<float32>", "escape=false", &raw, &rn, &err));
	uint32_t lrec;
	memcpy(&lrec, out + 4, 4);
	CHECK(lrec >> 29 == 1); /* split: first part */
	memcpy(&lrec, raw + 4, 4);
	CHECK(lrec >> 29 == 0);
	CHECK(n > rn - 8);
	struct res a, b;
	run(out, n, NULL, &a);
	run(raw, rn, NULL, &b);
	CHECK(a.rc == TARN_OK && b.rc == TARN_OK);
	CHECK_STR(a.out, b.out);
	CHECK_STR(a.out, "{\"features\":[-1804698900.0,-1804698900.0,-1804698900.0,"
			 "-1804698900.0,5.0]}\n");
	free(a.out);
	free(b.out);
	free(out);
	free(raw);
}

TEST(write_errors)
{
	struct tarn_err err;
	struct {
		const char *rows, *types, *opts, *want;
		tarn_rc rc;
	} bad[] = {
		{ "{\"a\":1,\"s\":\"x\"}", "a=int64,s=string", NULL,
		  "column 's' is string; RecordIO-protobuf features must be numeric",
		  TARN_EUNSUPPORTED },
		{ "{\"a\":1}\n{\"a\":null}", "a=int64", NULL, "row 1, column 'a': null feature value",
		  TARN_EDATA },
		{ "{\"a\":1}", "a=int64", "label=zz", "label=zz: the table has no column", TARN_EUSAGE },
		{ "{\"a\":1,\"y\":\"no\"}", "a=int64,y=string", "label=y",
		  "label column 'y' is string", TARN_EUNSUPPORTED },
		{ "{\"y\":1}", "y=int64", "label=y", "no feature columns", TARN_EUSAGE },
		{ "{\"features\":[1],\"keys\":[0]}", "features=list<float64>,keys=list<int64>", NULL,
		  "need both a 'keys' and a 'shape'", TARN_EUSAGE },
		{ "{\"features\":[1,null]}", "features=list<float64>", NULL, "null inside the list",
		  TARN_EDATA },
		{ "{\"features\":[1,2],\"keys\":[0],\"shape\":[4]}",
		  "features=list<float64>,keys=list<int64>,shape=list<int64>", NULL,
		  "1 keys for 2 values", TARN_EDATA },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		tarn_err_clear(&err);
		tarn_rc rc = write_rio(bad[i].rows, bad[i].types, bad[i].opts, NULL, NULL, &err);
		CHECK(rc == bad[i].rc);
		CHECK_CONTAINS(err.msg, bad[i].want);
	}
}

TEST(fault_injection)
{
	const char *rows = "{\"a\":1,\"b\":0,\"y\":1}\n{\"a\":0,\"b\":3,\"y\":0}\n";
	int64_t fails = 0;
	for (int64_t k = 0; k < 100000; k++) {
		struct tarn_err err;
		tarn_err_clear(&err);
		char *out = NULL;
		size_t n = 0;
		tarn_mem_fail_after(k);
		tarn_rc rc = write_rio(rows, "a=int64,b=int64,y=int64", "label=y;sparse=true", &out,
				       &n, &err);
		struct res r = { 0 };
		if (!rc) {
			run(out, n, NULL, &r);
			rc = r.rc;
		}
		tarn_mem_fail_after(-1);
		free(out);
		free(r.out);
		if (rc == TARN_OK)
			break;
		fails++;
		if (rc != TARN_ENOMEM) {
			fprintf(stderr, "k=%lld: rc %d %s\n", (long long)k, rc, r.err);
			CHECK(rc == TARN_ENOMEM);
			break;
		}
	}
	CHECK(fails > 10);
}

int main(void)
{
	RUN(read_hand_built);
	RUN(read_tensor_types);
	RUN(read_errors);
	RUN(write_golden_and_sparse);
	RUN(write_escapes_magic);
	RUN(write_errors);
	RUN(fault_injection);
	return unit_done();
}
