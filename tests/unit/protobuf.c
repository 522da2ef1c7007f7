/*
 * protobuf.c — unit tests for the protobuf format (src/formats/protobuf/):
 * the wire helpers (varints, zigzag, skipping groups), the descriptor
 * decoder and schema compiler (types, presence, maps, oneofs, well-known
 * types, recursion), decoding hand-built messages (packed and unpacked
 * repeats in one message, last-one-wins, sub-message merging, unknown
 * fields and groups, open enums, map entries with missing parts), proto2
 * required/defaults/groups, the writer (round trips, conversions and each
 * error), framing errors with their message index and byte offset,
 * compressed input, and allocation failures.
 *
 * Descriptors come from tests/unit/pb_testdesc.h (built in code), so no test
 * here needs protoc; tests/integration/protobuf_peers.sh covers protoc and
 * python3-protobuf.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "base/mem.h"
#include "formats/format.h"
#include "formats/protobuf/pb_int.h"
#include "pb_testdesc.h"
#include "unit.h"

/* ---- harness ------------------------------------------------------------------ */

static struct pb_schema *compile(const char *message, bool enums_int, bool absent_default,
				 struct tarn_err *err)
{
	/* Built once (before any allocation failure is injected); still
	 * reachable at exit, so not a leak. */
	static struct tarn_buf b;
	if (!b.data)
		pb_test_descset(&b);
	struct pb_descset *d = NULL;
	struct pb_schema *s = NULL;
	struct pb_schema_opts o = { enums_int, absent_default };
	if (pb_descset_decode((const uint8_t *)b.data, b.len, "test", &d, err) == TARN_OK &&
	    pb_schema_compile(d, message, &o, &s, err) != TARN_OK)
		s = NULL;
	return s;
}

/* Rows per batch (and per decoding round) of run(). */
static int64_t g_batch_rows = 3;

struct res {
	tarn_rc rc;
	char err[TARN_ERR_MSG_MAX];
	int64_t rows;
	char cells[16384]; /* "col=text|col=text\n" per row, columns named in `want` */
};

/* Reads the delimited stream p/n as MESSAGE and prints the named columns
 * (comma-separated) of every row into res->cells. */
static void run(const void *p, size_t n, const char *message, bool enums_int, bool absent_default,
		const char *cols, struct res *res)
{
	memset(res, 0, sizeof *res);
	struct tarn_err err;
	tarn_err_clear(&err);
	struct pb_schema *s = compile(message, enums_int, absent_default, &err);
	if (!s) {
		res->rc = err.rc;
		snprintf(res->err, sizeof res->err, "%s", err.msg);
		return;
	}
	struct tarn_input *in;
	struct tarn_reader *r = NULL;
	if (tarn_input_open_mem(p, n, "mem.pb", &in, &err) != TARN_OK) {
		pb_schema_free(s);
		res->rc = err.rc;
		return;
	}
	res->rc = pb_reader_open_schema(in, s, g_batch_rows, 0, &r, &err);
	if (res->rc) {
		tarn_input_close(in);
		snprintf(res->err, sizeof res->err, "%s", err.msg);
		return;
	}
	size_t len = 0;
	for (;;) {
		struct tarn_batch *b;
		res->rc = tarn_reader_next(r, &b, &err);
		if (res->rc || !b)
			break;
		for (int c = 0; c < b->n_cols; c++) {
			struct tarn_err verr;
			tarn_err_clear(&verr);
			CHECK(tarn_array_validate(b->cols[c], true, &verr) == TARN_OK);
		}
		const struct tarn_schema *sch = tarn_batch_schema(b);
		for (int64_t row = 0; row < b->n_rows; row++) {
			char names[512];
			snprintf(names, sizeof names, "%s", cols);
			bool first = true;
			for (char *save = NULL, *c = strtok_r(names, ",", &save); c;
			     c = strtok_r(NULL, ",", &save)) {
				int ci = tarn_schema_find(sch, c);
				char cell[2048] = "?";
				if (ci >= 0) {
					if (tarn_batch_is_null(b, ci, row))
						snprintf(cell, sizeof cell, "null");
					else
						tarn_batch_cell_text(b, ci, row, cell, sizeof cell);
				}
				int w = snprintf(res->cells + len, sizeof res->cells - len, "%s%s=%s",
						 first ? "" : "|", c, cell);
				if (w > 0 && (size_t)w < sizeof res->cells - len)
					len += (size_t)w;
				first = false;
			}
			if (len + 1 < sizeof res->cells)
				res->cells[len++] = '\n';
		}
		res->rows += b->n_rows;
		tarn_batch_free(b);
	}
	res->cells[len] = 0;
	if (res->rc)
		snprintf(res->err, sizeof res->err, "%s", err.msg);
	tarn_reader_close(r);
}

/* Message builder: fields appended to a buffer, then framed. */
static void f_varint(struct tarn_buf *b, uint32_t num, uint64_t v)
{
	TD(pb_w_tag(b, num, PB_WT_VARINT));
	TD(pb_w_varint(b, v));
}

static void f_bytes(struct tarn_buf *b, uint32_t num, const void *p, size_t n)
{
	TD(pb_w_bytes(b, num, p, n));
}

static void f_fixed32(struct tarn_buf *b, uint32_t num, uint32_t v)
{
	TD(pb_w_tag(b, num, PB_WT_I32));
	TD(pb_w_fixed32(b, v));
}

static void f_fixed64(struct tarn_buf *b, uint32_t num, uint64_t v)
{
	TD(pb_w_tag(b, num, PB_WT_I64));
	TD(pb_w_fixed64(b, v));
}

/* Appends message m (its bytes) to stream s with a varint length. */
static void frame(struct tarn_buf *s, const struct tarn_buf *m)
{
	TD(pb_w_varint(s, m->len));
	TD(tarn_buf_append(s, m->data, m->len));
}

/* ---- wire ----------------------------------------------------------------------- */

TEST(wire_varints)
{
	uint64_t vals[] = { 0, 1, 127, 128, 300, 16383, 16384, (uint64_t)INT64_MAX, UINT64_MAX,
			    (uint64_t)-1 };
	for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
		uint8_t buf[16];
		size_t n = pb_put_varint(buf, vals[i]);
		CHECK(n == pb_varint_len(vals[i]));
		uint64_t back = 0;
		const uint8_t *q = pb_get_varint(buf, buf + n, &back);
		CHECK(q == buf + n);
		CHECK(back == vals[i]);
		/* every prefix is truncated */
		for (size_t k = 0; k < n; k++)
			CHECK(pb_get_varint(buf, buf + k, &back) == NULL);
	}
	CHECK(pb_varint_len(UINT64_MAX) == 10);
	uint8_t eleven[11];
	memset(eleven, 0x80, sizeof eleven);
	uint64_t v;
	CHECK(pb_get_varint(eleven, eleven + 11, &v) == NULL);
	CHECK(pb_unzig32(pb_zig32(-1)) == -1);
	CHECK(pb_zig32(-1) == 1 && pb_zig32(1) == 2 && pb_zig32(INT32_MIN) == UINT32_MAX);
	CHECK(pb_unzig64(pb_zig64(INT64_MIN)) == INT64_MIN);
	CHECK(pb_zig64(-2) == 3);
}

TEST(wire_skip_groups)
{
	/* group 1 { varint 2; group 3 { fixed32 4 } ; len 5 } then varint 6 */
	struct tarn_buf b;
	tarn_buf_init(&b);
	f_varint(&b, 2, 150);
	TD(pb_w_tag(&b, 3, PB_WT_SGROUP));
	f_fixed32(&b, 4, 7);
	TD(pb_w_tag(&b, 3, PB_WT_EGROUP));
	f_bytes(&b, 5, "xy", 2);
	size_t content = b.len;
	TD(pb_w_tag(&b, 1, PB_WT_EGROUP));
	size_t after = b.len;
	f_varint(&b, 6, 1);
	const uint8_t *p = (const uint8_t *)b.data, *ge = NULL;
	const char *why = NULL;
	const uint8_t *q = pb_skip(p, p + b.len, 1, PB_WT_SGROUP, &ge, &why);
	CHECK(q == p + after);
	CHECK(ge == p + content);
	/* cut before the end tag: not closed */
	CHECK(pb_skip(p, p + content, 1, PB_WT_SGROUP, NULL, &why) == NULL);
	CHECK_CONTAINS(why, "not closed");
	/* mismatched end group number */
	CHECK(pb_skip(p, p + b.len, 9, PB_WT_SGROUP, NULL, &why) == NULL);
	CHECK(pb_skip(p, p + b.len, 1, 6, NULL, &why) == NULL);
	CHECK_CONTAINS(why, "wire type");
	tarn_buf_free(&b);

	/* nesting past the cap is refused, not recursed into */
	tarn_buf_init(&b);
	for (int i = 0; i < PB_MAX_GROUP_DEPTH + 2; i++)
		TD(pb_w_tag(&b, 1, PB_WT_SGROUP));
	p = (const uint8_t *)b.data;
	CHECK(pb_skip(p, p + b.len, 1, PB_WT_SGROUP, NULL, &why) == NULL);
	CHECK_CONTAINS(why, "deeply");
	tarn_buf_free(&b);
}

TEST(wire_length_fixup)
{
	/* a nested message longer than 127 bytes moves its content */
	struct tarn_buf b;
	tarn_buf_init(&b);
	size_t mark;
	TD(pb_w_begin(&b, &mark));
	char big[300];
	memset(big, 'z', sizeof big);
	f_bytes(&b, 1, big, sizeof big);
	TD(pb_w_end(&b, mark));
	struct pb_in in;
	pb_in_init(&in, b.data, b.len);
	size_t n;
	const uint8_t *body = pb_in_bytes(&in, &n);
	CHECK(!in.why && n == b.len - 2);
	struct pb_in sub;
	pb_in_init(&sub, body, n);
	uint32_t num;
	int wt;
	CHECK(pb_in_tag(&sub, &num, &wt) && num == 1 && wt == PB_WT_LEN);
	size_t k;
	const uint8_t *s = pb_in_bytes(&sub, &k);
	CHECK(k == 300 && s[0] == 'z' && s[299] == 'z');
	tarn_buf_free(&b);
}

/* ---- descriptor and schema ------------------------------------------------------ */

TEST(descriptor_and_schema)
{
	struct tarn_err err;
	tarn_err_clear(&err);
	struct pb_schema *s = compile("t3.All", false, false, &err);
	REQUIRE(s);
	const struct tarn_schema *sc = s->schema;
	char t[512];
	struct {
		const char *col, *type;
		bool nullable;
	} want[] = {
		{ "i32", "int32", false },
		{ "u64", "uint64", false },
		{ "s32", "int32", false },
		{ "f32", "uint32", false },
		{ "sf64", "int64", false },
		{ "fl", "float32", false },
		{ "by", "binary", false },
		{ "color", "string", false },
		{ "inner", "struct<a: int32, s: string, xs: list<int64>>", true },
		{ "r_inner", "list<struct<a: int32, s: string, xs: list<int64>>>", false },
		{ "m_si", "map<string, int64>", false },
		{ "m_inner", "map<int32, struct<a: int32, s: string, xs: list<int64>>>", false },
		{ "c_int", "int32", true },
		{ "c_inner", "struct<a: int32, s: string, xs: list<int64>>", true },
		{ "opt", "int32", true },
		{ "ts", "timestamp[ns, UTC]", true },
		{ "w_i64", "int64", true },
		/* Node recurses: its kids are kept as encoded bytes */
		{ "tree", "struct<v: int32, kids: list<binary>>", true },
		{ "far", "int32", false },
	};
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		int c = tarn_schema_find(sc, want[i].col);
		CHECK(c >= 0);
		if (c < 0)
			continue;
		tarn_schema_field_type_text(sc, c, t, sizeof t);
		CHECK_STR(t, want[i].type);
		CHECK(tarn_schema_field_nullable(sc, c) == want[i].nullable);
	}
	CHECK(tarn_schema_num_fields(sc) == 33);
	pb_schema_free(s);

	/* enums=int */
	s = compile("All", true, false, &err);
	REQUIRE(s);
	tarn_schema_field_type_text(s->schema, tarn_schema_find(s->schema, "r_color"), t, sizeof t);
	CHECK_STR(t, "list<int32>");
	pb_schema_free(s);

	/* proto2: required not null, optional nullable unless absent=default */
	s = compile("t2.P2", false, false, &err);
	REQUIRE(s);
	CHECK(!tarn_schema_field_nullable(s->schema, 0));
	CHECK(tarn_schema_field_nullable(s->schema, 1));
	tarn_schema_field_type_text(s->schema, 4, t, sizeof t);
	CHECK_STR(t, "struct<gx: int32>");
	pb_schema_free(s);
	s = compile("t2.P2", false, true, &err);
	REQUIRE(s);
	CHECK(!tarn_schema_field_nullable(s->schema, 1));
	pb_schema_free(s);

	/* unknown and ambiguous message names */
	tarn_err_clear(&err);
	CHECK(compile("t3.Nope", false, false, &err) == NULL);
	CHECK(err.rc == TARN_ENOTFOUND);
	CHECK_CONTAINS(err.msg, "t3.All");
	tarn_err_clear(&err);
	CHECK(compile(NULL, false, false, &err) == NULL);
	CHECK_CONTAINS(err.msg, "message=NAME");
}

TEST(descriptor_garbage)
{
	struct tarn_err err;
	tarn_err_clear(&err);
	struct pb_descset *d = NULL;
	const uint8_t junk[] = { 0x0a, 0x05, 0x0a, 0x09, 'x' };
	CHECK(pb_descset_decode(junk, sizeof junk, "junk.desc", &d, &err) == TARN_EDATA);
	CHECK_CONTAINS(err.msg, "junk.desc");
	CHECK_CONTAINS(err.msg, "byte");
	tarn_err_clear(&err);
	CHECK(pb_descset_decode(junk, 0, "empty.desc", &d, &err) == TARN_EUSAGE);
	CHECK_CONTAINS(err.msg, "no messages");
}

/* ---- decoding -------------------------------------------------------------------- */

TEST(decode_scalars)
{
	struct tarn_buf s, m;
	tarn_buf_init(&s);
	tarn_buf_init(&m);
	f_varint(&m, 1, (uint64_t)(int64_t)-5); /* int32 as a 10-byte varint */
	f_varint(&m, 2, (uint64_t)INT64_MIN);
	f_varint(&m, 3, UINT32_MAX);
	f_varint(&m, 4, UINT64_MAX);
	f_varint(&m, 5, pb_zig32(-123456));
	f_varint(&m, 6, pb_zig64(INT64_MIN));
	f_fixed32(&m, 7, 4000000000u);
	f_fixed64(&m, 8, 123);
	f_fixed32(&m, 9, (uint32_t)-9);
	f_fixed64(&m, 10, (uint64_t)-10);
	float fl = 1.5f;
	uint32_t flb;
	memcpy(&flb, &fl, 4);
	f_fixed32(&m, 11, flb);
	double db = -0.25;
	uint64_t dbb;
	memcpy(&dbb, &db, 8);
	f_fixed64(&m, 12, dbb);
	f_varint(&m, 13, 2); /* any non-zero varint is true */
	f_bytes(&m, 14, "h\xc3\xa9", 3);
	f_bytes(&m, 15, "\x00\xff", 2);
	f_varint(&m, 16, (uint64_t)(int64_t)-3);
	f_varint(&m, 100000, 42);
	frame(&s, &m);
	m.len = 0;
	frame(&s, &m); /* an empty message: every implicit field at its zero */
	struct res r;
	run(s.data, s.len, "t3.All",
	    false, false, "i32,i64,u32,u64,s32,s64,f32,f64,sf32,sf64,fl,db,b,str,by,color,far", &r);
	CHECK(r.rc == TARN_OK);
	CHECK(r.rows == 2);
	CHECK_STR(r.cells,
		  "i32=-5|i64=-9223372036854775808|u32=4294967295|u64=18446744073709551615|"
		  "s32=-123456|s64=-9223372036854775808|f32=4000000000|f64=123|sf32=-9|sf64=-10|"
		  "fl=1.5|db=-0.25|b=true|str=h\xc3\xa9|by=\\x00ff|color=BLUE|far=42\n"
		  "i32=0|i64=0|u32=0|u64=0|s32=0|s64=0|f32=0|f64=0|sf32=0|sf64=0|fl=0.0|db=0.0|"
		  "b=false|str=|by=\\x|color=ZERO|far=0\n");
	run(s.data, s.len, "t3.All", true, false, "color", &r);
	CHECK_STR(r.cells, "color=-3\ncolor=0\n");
	tarn_buf_free(&s);
	tarn_buf_free(&m);
}

TEST(decode_repeated_merge_oneof_unknown)
{
	struct tarn_buf s, m, sub;
	tarn_buf_init(&s);
	tarn_buf_init(&m);
	tarn_buf_init(&sub);
	/* r_i32: packed [1, -2], then unpacked 3, then packed [4] */
	TD(pb_w_varint(&sub, 1));
	TD(pb_w_varint(&sub, (uint64_t)(int64_t)-2));
	f_bytes(&m, 18, sub.data, sub.len);
	f_varint(&m, 18, 3);
	sub.len = 0;
	TD(pb_w_varint(&sub, 4));
	f_bytes(&m, 18, sub.data, sub.len);
	/* r_fl declared unpacked, sent packed */
	float two[2] = { 0.5f, -1 };
	f_bytes(&m, 23, two, sizeof two);
	/* last one wins for scalars */
	f_varint(&m, 1, 7);
	f_varint(&m, 1, 8);
	/* inner twice: merged (a from the first, s from the second, xs concatenated) */
	sub.len = 0;
	f_varint(&sub, 1, 11);
	f_varint(&sub, 3, 1);
	f_bytes(&m, 17, sub.data, sub.len);
	sub.len = 0;
	f_bytes(&sub, 2, "two", 3);
	f_varint(&sub, 3, 2);
	f_bytes(&m, 17, sub.data, sub.len);
	/* oneof: c_inner, then c_str, then c_inner again (starts fresh) */
	sub.len = 0;
	f_varint(&sub, 1, 99);
	f_bytes(&m, 28, sub.data, sub.len);
	f_bytes(&m, 27, "s", 1);
	sub.len = 0;
	f_bytes(&sub, 2, "fresh", 5);
	f_bytes(&m, 28, sub.data, sub.len);
	/* unknown fields of every wire type, and a known number with the
	 * wrong wire type, are skipped */
	f_varint(&m, 5000, 1);
	f_fixed64(&m, 5001, 1);
	f_fixed32(&m, 5002, 1);
	f_bytes(&m, 5003, "zz", 2);
	TD(pb_w_tag(&m, 5004, PB_WT_SGROUP));
	f_varint(&m, 1, 1);
	TD(pb_w_tag(&m, 5005, PB_WT_SGROUP));
	TD(pb_w_tag(&m, 5005, PB_WT_EGROUP));
	TD(pb_w_tag(&m, 5004, PB_WT_EGROUP));
	f_fixed32(&m, 14, 1); /* str is LEN */
	/* map entries: full, key only, value only, and a repeated key */
	sub.len = 0;
	f_bytes(&sub, 1, "k", 1);
	f_varint(&sub, 2, 5);
	f_bytes(&m, 24, sub.data, sub.len);
	sub.len = 0;
	f_bytes(&sub, 1, "nokey", 5);
	f_bytes(&m, 24, sub.data, sub.len);
	sub.len = 0;
	f_varint(&sub, 2, 6);
	f_bytes(&m, 24, sub.data, sub.len);
	/* m_inner entry without a value: an empty Inner, not null */
	sub.len = 0;
	f_varint(&sub, 1, 3);
	f_bytes(&m, 25, sub.data, sub.len);
	/* open enum: an unknown number keeps its digits */
	f_varint(&m, 21, 1);
	f_varint(&m, 21, 7);
	frame(&s, &m);
	struct res r;
	run(s.data, s.len, "t3.All", false, false,
	    "r_i32,r_fl,i32,inner,c_int,c_str,c_inner,str,m_si,m_inner,r_color", &r);
	CHECK(r.rc == TARN_OK);
	CHECK_STR(r.cells, "r_i32=[1,-2,3,4]|r_fl=[0.5,-1.0]|i32=8|"
			   "inner={\"a\":11,\"s\":\"two\",\"xs\":[1,2]}|c_int=null|c_str=null|"
			   "c_inner={\"a\":0,\"s\":\"fresh\",\"xs\":[]}|str=|"
			   "m_si={\"k\":5,\"nokey\":0,\"\":6}|"
			   "m_inner=[{\"key\":3,\"value\":{\"a\":0,\"s\":\"\",\"xs\":[]}}]|"
			   "r_color=[\"RED\",\"7\"]\n");
	tarn_buf_free(&s);
	tarn_buf_free(&m);
	tarn_buf_free(&sub);
}

TEST(decode_well_known_and_recursion)
{
	struct tarn_buf s, m, sub, kid;
	tarn_buf_init(&s);
	tarn_buf_init(&m);
	tarn_buf_init(&sub);
	tarn_buf_init(&kid);
	f_varint(&sub, 1, (uint64_t)(int64_t)-1);
	f_varint(&sub, 2, 500000000);
	f_bytes(&m, 30, sub.data, sub.len);
	sub.len = 0;
	f_varint(&sub, 1, (uint64_t)(int64_t)-4);
	f_bytes(&m, 31, sub.data, sub.len);
	f_varint(&kid, 1, 2);
	sub.len = 0;
	f_varint(&sub, 1, 1);
	f_bytes(&sub, 2, kid.data, kid.len);
	f_bytes(&m, 32, sub.data, sub.len);
	f_varint(&m, 29, 0); /* proto3 optional set to zero: present */
	frame(&s, &m);
	m.len = 0;
	sub.len = 0;
	f_bytes(&m, 31, sub.data, 0); /* an empty wrapper: present, value 0 */
	frame(&s, &m);
	struct res r;
	run(s.data, s.len, "t3.All", false, false, "ts,w_i64,tree,opt", &r);
	CHECK(r.rc == TARN_OK);
	CHECK_STR(r.cells, "ts=1969-12-31 23:59:59.5Z|w_i64=-4|tree={\"v\":1,\"kids\":[\"CAI=\"]}|"
			   "opt=0\n"
			   "ts=null|w_i64=0|tree=null|opt=null\n");
	/* a Timestamp beyond the nanosecond range */
	s.len = m.len = sub.len = 0;
	f_varint(&sub, 1, (uint64_t)INT64_MAX / 2);
	f_bytes(&m, 30, sub.data, sub.len);
	frame(&s, &m);
	run(s.data, s.len, "t3.All", false, false, "ts", &r);
	CHECK(r.rc == TARN_EDATA);
	CHECK_CONTAINS(r.err, "nanosecond range");
	tarn_buf_free(&s);
	tarn_buf_free(&m);
	tarn_buf_free(&sub);
	tarn_buf_free(&kid);
}

TEST(decode_proto2)
{
	struct tarn_buf s, m, g;
	tarn_buf_init(&s);
	tarn_buf_init(&m);
	tarn_buf_init(&g);
	f_varint(&m, 1, 1);
	TD(pb_w_tag(&m, 5, PB_WT_SGROUP));
	f_varint(&m, 6, 77);
	TD(pb_w_tag(&m, 5, PB_WT_EGROUP));
	TD(pb_w_varint(&g, 1));
	TD(pb_w_varint(&g, 2));
	f_bytes(&m, 4, g.data, g.len); /* packed */
	f_varint(&m, 4, 3);           /* and unpacked */
	frame(&s, &m);
	m.len = 0;
	f_varint(&m, 1, 2);
	f_varint(&m, 7, 5);
	f_varint(&m, 3, pb_zig64(-1));
	frame(&s, &m);
	struct res r;
	run(s.data, s.len, "t2.P2", false, false, "id,name,score,vals,g,kind", &r);
	CHECK(r.rc == TARN_OK);
	CHECK_STR(r.cells, "id=1|name=null|score=null|vals=[1,2,3]|g={\"gx\":77}|kind=null\n"
			   "id=2|name=null|score=-1|vals=[]|g=null|kind=ALPHA\n");
	run(s.data, s.len, "t2.P2", false, true, "name,score,kind", &r);
	CHECK(r.rc == TARN_OK);
	CHECK_STR(r.cells, "name=anon|score=-7|kind=BETA\nname=anon|score=-1|kind=ALPHA\n");
	/* a missing required field */
	m.len = 0;
	f_varint(&m, 3, 2);
	frame(&s, &m);
	run(s.data, s.len, "t2.P2", false, false, "id", &r);
	CHECK(r.rc == TARN_EDATA);
	CHECK_CONTAINS(r.err, "message 2 at byte");
	CHECK_CONTAINS(r.err, "required field 'id' is missing");
	tarn_buf_free(&s);
	tarn_buf_free(&m);
	tarn_buf_free(&g);
}

TEST(decode_errors)
{
	struct res r;
	struct {
		const char *bytes;
		size_t n;
		const char *want;
	} cases[] = {
		{ "\x05\x08\x01", 3, "message 0 at byte 0: length prefix says 5 bytes but only 2" },
		{ "\x02\x08\x01\xff", 4, "message 1 at byte 3: truncated length prefix" },
		{ "\x02\x08\x01\x03\x72\x05x", 7, "message 1 at byte 4: field t3.All.str (number 14): "
						  "length 5 runs past" },
		{ "\x03\x72\x01\xc3", 4, "invalid UTF-8" },
		{ "\x01\x00", 2, "invalid field number" },
		{ "\x01\x0c", 2, "end-group tag outside a group" },
		{ "\x02\x08\xff", 3, "truncated or overlong varint" },
		{ "\x03\x5d\x01\x02", 4, "truncated 4-byte value" },
		{ "\x0b\x08\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 12, "overlong" },
		{ "\x02\x93\x01", 3, "group not closed" },
		{ "\x05\x92\x01\x02\x01\xff", 6, "packed varints: truncated varint" },
		{ "\x04\xba\x01\x01\x00", 5, "packed fixed-width values" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		run(cases[i].bytes, cases[i].n, "t3.All", false, false, "i32", &r);
		CHECK(r.rc == TARN_EDATA);
		CHECK_CONTAINS(r.err, cases[i].want);
	}
	/* an over-long length is refused before anything is allocated */
	struct tarn_err err;
	tarn_err_clear(&err);
	struct pb_schema *s = compile("t3.All", false, false, &err);
	REQUIRE(s);
	const uint8_t huge[] = { 0xff, 0xff, 0xff, 0xff, 0x0f, 0x08 };
	struct tarn_input *in;
	REQUIRE(tarn_input_open_mem(huge, sizeof huge, "huge.pb", &in, &err) == TARN_OK);
	struct tarn_reader *rd;
	REQUIRE(pb_reader_open_schema(in, s, 0, 1024, &rd, &err) == TARN_OK);
	struct tarn_batch *b = NULL;
	CHECK(tarn_reader_next(rd, &b, &err) == TARN_ELIMIT);
	CHECK_CONTAINS(err.msg, "max-message-size");
	tarn_reader_close(rd);
}

/* The same stream gzip-compressed goes through the streaming window. */
TEST(decode_compressed)
{
	struct tarn_buf s, m;
	tarn_buf_init(&s);
	tarn_buf_init(&m);
	for (int i = 0; i < 5000; i++) {
		m.len = 0;
		f_varint(&m, 1, (uint64_t)i);
		char str[64];
		int k = snprintf(str, sizeof str, "row %d", i);
		f_bytes(&m, 14, str, (size_t)k);
		if (i % 100 == 0) { /* a few big messages cross read chunks */
			char *big = calloc(1, 300000);
			REQUIRE(big);
			memset(big, 'q', 300000);
			f_bytes(&m, 19, big, 300000);
			free(big);
		}
		frame(&s, &m);
	}
	uLong cap = compressBound(s.len) + 64;
	uint8_t *gz = malloc(cap);
	REQUIRE(gz);
	z_stream zs;
	memset(&zs, 0, sizeof zs);
	REQUIRE(deflateInit2(&zs, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY) == Z_OK);
	zs.next_in = (Bytef *)s.data;
	zs.avail_in = (uInt)s.len;
	zs.next_out = gz;
	zs.avail_out = (uInt)cap;
	REQUIRE(deflate(&zs, Z_FINISH) == Z_STREAM_END);
	size_t gzn = zs.total_out;
	deflateEnd(&zs);
	struct res plain, packed;
	run(s.data, s.len, "t3.All", false, false, "i32,str", &plain);
	run(gz, gzn, "t3.All", false, false, "i32,str", &packed);
	CHECK(plain.rc == TARN_OK && packed.rc == TARN_OK);
	CHECK(plain.rows == 5000 && packed.rows == 5000);
	CHECK(strcmp(plain.cells, packed.cells) == 0);
	/* whole rounds decoded in parallel morsels give the same rows */
	g_batch_rows = 0;
	run(gz, gzn, "t3.All", false, false, "i32,str", &packed);
	CHECK(packed.rc == TARN_OK && packed.rows == 5000);
	CHECK(strcmp(plain.cells, packed.cells) == 0);
	g_batch_rows = 3;
	/* truncated compressed input: the framing error names the message */
	run(gz, gzn / 2, "t3.All", false, false, "i32", &packed);
	CHECK(packed.rc != TARN_OK);
	free(gz);
	tarn_buf_free(&s);
	tarn_buf_free(&m);
}

/* ---- writing --------------------------------------------------------------------- */

/* Reads stream p/n as MESSAGE, writes it back with the writer, and returns
 * the written bytes (malloc'd) in *out. */
static tarn_rc rewrite(const void *p, size_t n, const char *message, uint8_t **out, size_t *out_n,
		       struct tarn_err *err)
{
	struct pb_schema *rs = compile(message, false, false, err);
	struct pb_schema *ws = compile(message, false, false, err);
	if (!rs || !ws) {
		pb_schema_free(rs);
		pb_schema_free(ws);
		return err->rc;
	}
	struct tarn_input *in;
	if (tarn_input_open_mem(p, n, "mem.pb", &in, err)) {
		pb_schema_free(rs);
		pb_schema_free(ws);
		return err->rc;
	}
	struct tarn_reader *r;
	tarn_rc rc = pb_reader_open_schema(in, rs, 2, 0, &r, err);
	if (rc) {
		tarn_input_close(in);
		pb_schema_free(ws);
		return rc;
	}
	struct tarn_output *o;
	struct tarn_writer *w = NULL;
	rc = tarn_output_open_mem(&o, err);
	if (!rc) {
		rc = pb_writer_open_schema(o, r->schema, ws, &w, err);
		if (rc)
			tarn_output_close(o);
	} else {
		pb_schema_free(ws);
	}
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
	if (!rc) {
		size_t k;
		const uint8_t *bytes = tarn_output_mem(o, &k);
		*out = malloc(k + 1);
		memcpy(*out, bytes, k);
		*out_n = k;
	}
	tarn_writer_close(w);
	tarn_reader_close(r);
	return rc;
}

TEST(write_round_trip)
{
	struct tarn_buf s, m, sub;
	tarn_buf_init(&s);
	tarn_buf_init(&m);
	tarn_buf_init(&sub);
	for (int i = 0; i < 7; i++) {
		m.len = 0;
		f_varint(&m, 1, (uint64_t)(int64_t)(i - 3));
		f_varint(&m, 5, pb_zig32(-i));
		f_bytes(&m, 14, "t\xc3\xa9xt", 5);
		f_varint(&m, 16, i % 2);
		sub.len = 0;
		f_varint(&sub, 1, (uint64_t)i);
		f_varint(&sub, 3, 5);
		f_varint(&sub, 3, 6);
		if (i % 3)
			f_bytes(&m, 17, sub.data, sub.len);
		f_varint(&m, 18, 1);
		f_varint(&m, 18, (uint64_t)(int64_t)-1);
		f_varint(&m, 21, 1);
		sub.len = 0;
		f_bytes(&sub, 1, "key", 3);
		f_varint(&sub, 2, (uint64_t)i);
		f_bytes(&m, 24, sub.data, sub.len);
		if (i % 2)
			f_bytes(&m, 27, "one", 3);
		else
			f_varint(&m, 26, 0);
		sub.len = 0;
		f_varint(&sub, 1, 1700000000);
		f_varint(&sub, 2, 5);
		f_bytes(&m, 30, sub.data, sub.len);
		f_varint(&m, 29, 0);
		f_varint(&m, 100000, 9);
		frame(&s, &m);
	}
	struct tarn_err err;
	tarn_err_clear(&err);
	uint8_t *once = NULL, *twice = NULL;
	size_t n1 = 0, n2 = 0;
	REQUIRE(rewrite(s.data, s.len, "t3.All", &once, &n1, &err) == TARN_OK);
	REQUIRE(rewrite(once, n1, "t3.All", &twice, &n2, &err) == TARN_OK);
	/* tarn's output is canonical: a second pass gives the same bytes */
	CHECK(n1 == n2 && memcmp(once, twice, n1) == 0);
	const char *cols = "i32,s32,str,color,inner,r_i32,r_color,m_si,c_int,c_str,ts,opt,far";
	struct res a, b;
	run(s.data, s.len, "t3.All", false, false, cols, &a);
	run(once, n1, "t3.All", false, false, cols, &b);
	CHECK(a.rc == TARN_OK && b.rc == TARN_OK && a.rows == 7);
	CHECK_STR(b.cells, a.cells);
	free(once);
	free(twice);

	/* proto2 with a group, defaults, packed = true */
	s.len = 0;
	m.len = 0;
	f_varint(&m, 1, 5);
	TD(pb_w_tag(&m, 5, PB_WT_SGROUP));
	f_varint(&m, 6, 8);
	TD(pb_w_tag(&m, 5, PB_WT_EGROUP));
	f_varint(&m, 4, 1);
	f_varint(&m, 4, 2);
	f_bytes(&m, 2, "", 0); /* explicit presence: an empty string is kept */
	frame(&s, &m);
	REQUIRE(rewrite(s.data, s.len, "t2.P2", &once, &n1, &err) == TARN_OK);
	run(s.data, s.len, "t2.P2", false, false, "id,name,vals,g", &a);
	run(once, n1, "t2.P2", false, false, "id,name,vals,g", &b);
	CHECK_STR(b.cells, a.cells);
	CHECK_STR(a.cells, "id=5|name=|vals=[1,2]|g={\"gx\":8}\n");
	/* packed = true: the vals are one LEN field */
	CHECK(memmem(once, n1, "\x22\x02\x01\x02", 4) != NULL);
	free(once);
	tarn_buf_free(&s);
	tarn_buf_free(&m);
	tarn_buf_free(&sub);
}

/* A writer for MESSAGE over a table of type text `schema` ("a: int64,
 * b: string"), with the rows given as a JSON Lines text. */
static tarn_rc write_rows(const char *message, const char *types, const char *jsonl,
			  uint8_t **out, size_t *out_n, struct tarn_err *err)
{
	extern const struct tarn_format tarn_format_jsonl;
	struct tarn_opts *o;
	if (tarn_opts_new(&o) || tarn_opts_set(o, "types", types))
		abort();
	struct tarn_input *in;
	tarn_rc rc = tarn_input_open_mem(jsonl, strlen(jsonl), "rows.jsonl", &in, err);
	struct tarn_reader *r = NULL;
	if (!rc)
		rc = tarn_reader_open_input(in, &tarn_format_jsonl, o, &r, err);
	tarn_opts_free(o);
	if (rc)
		return rc;
	struct pb_schema *ws = compile(message, false, false, err);
	struct tarn_output *out_mem;
	struct tarn_writer *w = NULL;
	rc = ws ? tarn_output_open_mem(&out_mem, err) : err->rc;
	if (!rc) {
		rc = pb_writer_open_schema(out_mem, r->schema, ws, &w, err);
		if (rc)
			tarn_output_close(out_mem);
	} else {
		pb_schema_free(ws);
	}
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
		const uint8_t *bytes = tarn_output_mem(out_mem, &k);
		*out = malloc(k + 1);
		memcpy(*out, bytes, k);
		*out_n = k;
	}
	tarn_writer_close(w);
	tarn_reader_close(r);
	return rc;
}

TEST(write_conversions_and_errors)
{
	struct tarn_err err;
	uint8_t *bytes = NULL;
	size_t n = 0;
	tarn_err_clear(&err);
	/* int64 into int32/uint32/sint64, float64 into float, string enum
	 * names, int enum numbers, string into bytes, timestamps in us */
	REQUIRE(write_rows("t3.All",
			   "i32=int64,u32=int64,s64=int64,fl=float64,color=string,"
			   "r_color=list<int64>,by=string,ts=timestamp[us]",
			   "{\"i32\":-7,\"u32\":4000000000,\"s64\":-1,\"fl\":0.1,\"color\":\"RED\","
			   "\"r_color\":[0,-3],\"by\":\"raw\",\"ts\":\"1969-12-31 23:59:59.999999\"}\n",
			   &bytes, &n, &err) == TARN_OK);
	struct res r;
	run(bytes, n, "t3.All", false, false, "i32,u32,s64,fl,color,r_color,by,ts", &r);
	CHECK(r.rc == TARN_OK);
	CHECK_STR(r.cells, "i32=-7|u32=4000000000|s64=-1|fl=0.1|color=RED|"
			   "r_color=[\"ZERO\",\"BLUE\"]|by=\\x726177|ts=1969-12-31 23:59:59.999999Z\n");
	free(bytes);

	struct {
		const char *types, *rows, *want;
		tarn_rc rc;
	} bad[] = {
		{ "i32=int64", "{\"i32\":3000000000}", "row 0, column 'i32': 3000000000 does not "
						       "fit a int32 field",
		  TARN_EDATA },
		{ "u32=int64", "{\"u32\":1}\n{\"u32\":-1}", "row 1, column 'u32'", TARN_EDATA },
		{ "color=string", "{\"color\":\"PURPLE\"}", "'PURPLE' is not a value of enum t3.Color",
		  TARN_EDATA },
		{ "nope=int64", "{\"nope\":1}", "column 'nope' has no field of that name in message "
						"t3.All",
		  TARN_EUSAGE },
		{ "b=int64", "{\"b\":1}", "column 'b' (int64) cannot be written to protobuf field b",
		  TARN_EUNSUPPORTED },
		{ "c_int=int64,c_str=string", "{\"c_int\":1,\"c_str\":\"x\"}", "oneof choice already "
									      "has a value",
		  TARN_EDATA },
		{ "r_i32=list<int64>", "{\"r_i32\":[1,null]}", "null inside a list", TARN_EDATA },
		{ "inner=struct<a: int64, zz: int64>", "{\"inner\":{\"a\":1,\"zz\":2}}",
		  "column 'inner.zz' has no field", TARN_EUSAGE },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		tarn_err_clear(&err);
		tarn_rc rc = write_rows("t3.All", bad[i].types, bad[i].rows, NULL, NULL, &err);
		CHECK(rc == bad[i].rc);
		CHECK_CONTAINS(err.msg, bad[i].want);
	}
	/* proto2: a null in a required field */
	tarn_err_clear(&err);
	CHECK(write_rows("t2.P2", "id=int64", "{\"id\":null}", NULL, NULL, &err) == TARN_EDATA);
	CHECK_CONTAINS(err.msg, "null in a required field");
}

TEST(sniff)
{
	extern const struct tarn_format tarn_format_protobuf;
	struct tarn_buf s, m;
	tarn_buf_init(&s);
	tarn_buf_init(&m);
	for (int i = 0; i < 3; i++) {
		m.len = 0;
		f_varint(&m, 1, 150);
		f_bytes(&m, 14, "abc", 3);
		frame(&s, &m);
	}
	int conf = tarn_format_protobuf.sniff((const uint8_t *)s.data, s.len);
	CHECK(conf > 0 && conf < 20); /* plausible, never sure */
	const char *csv = "a,b\n1,2\n";
	CHECK(tarn_format_protobuf.sniff((const uint8_t *)csv, strlen(csv)) == 0);
	const uint8_t junk[] = { 0x05, 0x00, 0x01, 0x02, 0x03, 0x04 };
	CHECK(tarn_format_protobuf.sniff(junk, sizeof junk) == 0);
	tarn_buf_free(&s);
	tarn_buf_free(&m);
}

/* ---- allocation failures ----------------------------------------------------------- */

TEST(fault_injection)
{
	struct tarn_buf s, m;
	tarn_buf_init(&s);
	tarn_buf_init(&m);
	for (int i = 0; i < 20; i++) {
		m.len = 0;
		f_varint(&m, 1, (uint64_t)i);
		f_bytes(&m, 14, "abc", 3);
		f_varint(&m, 18, 1);
		f_varint(&m, 18, 2);
		f_bytes(&m, 20, "\x08\x01\x08\x02", 4);
		f_bytes(&m, 17, "\x08\x01", 2);
		f_bytes(&m, 17, "\x12\x01x", 3);
		frame(&s, &m);
	}
	int64_t fails = 0;
	for (int64_t k = 0; k < 100000; k++) {
		tarn_mem_fail_after(k);
		uint8_t *out = NULL;
		size_t n = 0;
		struct tarn_err err;
		tarn_err_clear(&err);
		tarn_rc rc = rewrite(s.data, s.len, "t3.All", &out, &n, &err);
		tarn_mem_fail_after(-1);
		free(out);
		if (rc == TARN_OK)
			break;
		fails++;
		if (rc != TARN_ENOMEM) {
			fprintf(stderr, "k=%lld: %s\n", (long long)k, err.msg);
			CHECK(rc == TARN_ENOMEM);
			break;
		}
	}
	CHECK(fails > 20);
	tarn_buf_free(&s);
	tarn_buf_free(&m);
}

int main(void)
{
	RUN(wire_varints);
	RUN(wire_skip_groups);
	RUN(wire_length_fixup);
	RUN(descriptor_and_schema);
	RUN(descriptor_garbage);
	RUN(decode_scalars);
	RUN(decode_repeated_merge_oneof_unknown);
	RUN(decode_well_known_and_recursion);
	RUN(decode_proto2);
	RUN(decode_errors);
	RUN(decode_compressed);
	RUN(write_round_trip);
	RUN(write_conversions_and_errors);
	RUN(sniff);
	RUN(fault_injection);
	return unit_done();
}
