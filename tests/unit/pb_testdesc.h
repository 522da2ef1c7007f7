/*
 * pb_testdesc.h — FileDescriptorSets built in code for the protobuf unit
 * tests (tests/unit/protobuf.c) and fuzz target (fuzz/protobuf_read.c), so
 * neither needs protoc. Written with the library's own wire writers
 * (formats/protobuf/pb_wire.h) following descriptor.proto's field numbers.
 *
 * pb_test_descset(out) builds one set with two files:
 *
 *   // t3.proto
 *   syntax = "proto3"; package t3;
 *   import "google/protobuf/timestamp.proto"; import "google/protobuf/wrappers.proto";
 *   enum Color { ZERO = 0; RED = 1; BLUE = -3; }
 *   message Inner { int32 a = 1; string s = 2; repeated int64 xs = 3; }
 *   message Node { int32 v = 1; repeated Node kids = 2; }
 *   message All {
 *     int32 i32 = 1; int64 i64 = 2; uint32 u32 = 3; uint64 u64 = 4; sint32 s32 = 5;
 *     sint64 s64 = 6; fixed32 f32 = 7; fixed64 f64 = 8; sfixed32 sf32 = 9;
 *     sfixed64 sf64 = 10; float fl = 11; double db = 12; bool b = 13; string str = 14;
 *     bytes by = 15; Color color = 16; Inner inner = 17; repeated int32 r_i32 = 18;
 *     repeated string r_str = 19; repeated Inner r_inner = 20; repeated Color r_color = 21;
 *     repeated bool r_b = 22; repeated float r_fl = 23 [packed = false];
 *     map<string, int64> m_si = 24; map<int32, Inner> m_inner = 25;
 *     oneof choice { int32 c_int = 26; string c_str = 27; Inner c_inner = 28; }
 *     optional int32 opt = 29; google.protobuf.Timestamp ts = 30;
 *     google.protobuf.Int64Value w_i64 = 31; Node tree = 32; int32 far = 100000;
 *   }
 *   // t2.proto
 *   syntax = "proto2"; package t2;
 *   message P2 {
 *     required int32 id = 1; optional string name = 2 [default = "anon"];
 *     optional sint64 score = 3 [default = -7]; repeated int32 vals = 4 [packed = true];
 *     optional group G = 5 { optional int32 gx = 6; }
 *     optional Kind kind = 7 [default = BETA]; enum Kind { ALPHA = 5; BETA = 6; }
 *   }
 * (the two google/protobuf files are included as --include_imports would).
 */
#ifndef TARN_TESTS_PB_TESTDESC_H
#define TARN_TESTS_PB_TESTDESC_H

#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "formats/protobuf/pb_wire.h"

/* Aborts on allocation failure: test support only. */
#define TD(expr)                          \
	do {                              \
		if ((expr) != TARN_OK)    \
			abort();          \
	} while (0)

static inline void td_str(struct tarn_buf *b, uint32_t num, const char *s)
{
	TD(pb_w_bytes(b, num, s, strlen(s)));
}

static inline void td_int(struct tarn_buf *b, uint32_t num, int64_t v)
{
	TD(pb_w_tag(b, num, PB_WT_VARINT));
	TD(pb_w_varint(b, (uint64_t)v));
}

static inline size_t td_open(struct tarn_buf *b, uint32_t num)
{
	size_t mark;
	TD(pb_w_tag(b, num, PB_WT_LEN));
	TD(pb_w_begin(b, &mark));
	return mark;
}

static inline void td_close(struct tarn_buf *b, size_t mark)
{
	TD(pb_w_end(b, mark));
}

enum { TD_OPT = 1, TD_REQ = 2, TD_REP = 3 };

/* A FieldDescriptorProto (DescriptorProto.field = 2). oneof < 0: none;
 * packed < 0: unset. */
static inline void td_field(struct tarn_buf *b, const char *name, int number, int label, int type,
			    const char *type_name, int oneof, int packed, bool p3opt,
			    const char *def)
{
	size_t m = td_open(b, 2);
	td_str(b, 1, name);
	td_int(b, 3, number);
	td_int(b, 4, label);
	td_int(b, 5, type);
	if (type_name)
		td_str(b, 6, type_name);
	if (def)
		td_str(b, 7, def);
	if (packed >= 0) {
		size_t o = td_open(b, 8);
		td_int(b, 2, packed);
		td_close(b, o);
	}
	if (oneof >= 0)
		td_int(b, 9, oneof);
	if (p3opt)
		td_int(b, 17, 1);
	td_close(b, m);
}

#define TDF(b, name, num, label, type) td_field(b, name, num, label, type, NULL, -1, -1, false, NULL)
#define TDM(b, name, num, label, type, tn) td_field(b, name, num, label, type, tn, -1, -1, false, NULL)

static inline void td_enum(struct tarn_buf *b, uint32_t where, const char *name,
			   const char *const *names, const int *nums, int n)
{
	size_t e = td_open(b, where);
	td_str(b, 1, name);
	for (int i = 0; i < n; i++) {
		size_t v = td_open(b, 2);
		td_str(b, 1, names[i]);
		td_int(b, 2, nums[i]);
		td_close(b, v);
	}
	td_close(b, e);
}

/* A map entry nested type (DescriptorProto.nested_type = 3). */
static inline void td_map_entry(struct tarn_buf *b, const char *name, int ktype, int vtype,
				const char *vtn)
{
	size_t m = td_open(b, 3);
	td_str(b, 1, name);
	TDF(b, "key", 1, TD_OPT, ktype);
	TDM(b, "value", 2, TD_OPT, vtype, vtn);
	size_t o = td_open(b, 7);
	td_int(b, 7, 1); /* map_entry */
	td_close(b, o);
	td_close(b, m);
}

static inline void pb_test_descset(struct tarn_buf *b)
{
	tarn_buf_init(b);
	/* google/protobuf/timestamp.proto and wrappers.proto */
	size_t f = td_open(b, 1);
	td_str(b, 1, "google/protobuf/timestamp.proto");
	td_str(b, 2, "google.protobuf");
	size_t m = td_open(b, 4);
	td_str(b, 1, "Timestamp");
	TDF(b, "seconds", 1, TD_OPT, 3);
	TDF(b, "nanos", 2, TD_OPT, 5);
	td_close(b, m);
	td_str(b, 12, "proto3");
	td_close(b, f);
	f = td_open(b, 1);
	td_str(b, 1, "google/protobuf/wrappers.proto");
	td_str(b, 2, "google.protobuf");
	m = td_open(b, 4);
	td_str(b, 1, "Int64Value");
	TDF(b, "value", 1, TD_OPT, 3);
	td_close(b, m);
	td_str(b, 12, "proto3");
	td_close(b, f);

	/* t2.proto */
	f = td_open(b, 1);
	td_str(b, 1, "t2.proto");
	td_str(b, 2, "t2");
	m = td_open(b, 4);
	td_str(b, 1, "P2");
	TDF(b, "id", 1, TD_REQ, 5);
	td_field(b, "name", 2, TD_OPT, 9, NULL, -1, -1, false, "anon");
	td_field(b, "score", 3, TD_OPT, 18, NULL, -1, -1, false, "-7");
	td_field(b, "vals", 4, TD_REP, 5, NULL, -1, 1, false, NULL);
	TDM(b, "g", 5, TD_OPT, 10, ".t2.P2.G");
	td_field(b, "kind", 7, TD_OPT, 14, ".t2.P2.Kind", -1, -1, false, "BETA");
	size_t g = td_open(b, 3);
	td_str(b, 1, "G");
	TDF(b, "gx", 6, TD_OPT, 5);
	td_close(b, g);
	static const char *const kinds[] = { "ALPHA", "BETA" };
	static const int knums[] = { 5, 6 };
	td_enum(b, 4, "Kind", kinds, knums, 2);
	td_close(b, m);
	td_close(b, f);

	/* t3.proto (last: the main file) */
	f = td_open(b, 1);
	td_str(b, 1, "t3.proto");
	td_str(b, 2, "t3");
	td_str(b, 3, "google/protobuf/timestamp.proto");
	td_str(b, 3, "google/protobuf/wrappers.proto");
	static const char *const colors[] = { "ZERO", "RED", "BLUE" };
	static const int cnums[] = { 0, 1, -3 };
	td_enum(b, 5, "Color", colors, cnums, 3);
	m = td_open(b, 4);
	td_str(b, 1, "Inner");
	TDF(b, "a", 1, TD_OPT, 5);
	TDF(b, "s", 2, TD_OPT, 9);
	TDF(b, "xs", 3, TD_REP, 3);
	td_close(b, m);
	m = td_open(b, 4);
	td_str(b, 1, "Node");
	TDF(b, "v", 1, TD_OPT, 5);
	TDM(b, "kids", 2, TD_REP, 11, ".t3.Node");
	td_close(b, m);
	m = td_open(b, 4);
	td_str(b, 1, "All");
	static const int scal[] = { 5, 3, 13, 4, 17, 18, 7, 6, 15, 16, 2, 1, 8, 9, 12 };
	static const char *const sn[] = { "i32", "i64", "u32", "u64", "s32", "s64", "f32", "f64",
					  "sf32", "sf64", "fl", "db", "b", "str", "by" };
	for (int i = 0; i < 15; i++)
		TDF(b, sn[i], i + 1, TD_OPT, scal[i]);
	TDM(b, "color", 16, TD_OPT, 14, ".t3.Color");
	TDM(b, "inner", 17, TD_OPT, 11, ".t3.Inner");
	TDF(b, "r_i32", 18, TD_REP, 5);
	TDF(b, "r_str", 19, TD_REP, 9);
	TDM(b, "r_inner", 20, TD_REP, 11, ".t3.Inner");
	TDM(b, "r_color", 21, TD_REP, 14, ".t3.Color");
	TDF(b, "r_b", 22, TD_REP, 8);
	td_field(b, "r_fl", 23, TD_REP, 2, NULL, -1, 0, false, NULL);
	TDM(b, "m_si", 24, TD_REP, 11, ".t3.All.MSiEntry");
	TDM(b, "m_inner", 25, TD_REP, 11, ".t3.All.MInnerEntry");
	td_field(b, "c_int", 26, TD_OPT, 5, NULL, 0, -1, false, NULL);
	td_field(b, "c_str", 27, TD_OPT, 9, NULL, 0, -1, false, NULL);
	td_field(b, "c_inner", 28, TD_OPT, 11, ".t3.Inner", 0, -1, false, NULL);
	td_field(b, "opt", 29, TD_OPT, 5, NULL, 1, -1, true, NULL);
	TDM(b, "ts", 30, TD_OPT, 11, ".google.protobuf.Timestamp");
	TDM(b, "w_i64", 31, TD_OPT, 11, ".google.protobuf.Int64Value");
	TDM(b, "tree", 32, TD_OPT, 11, ".t3.Node");
	TDF(b, "far", 100000, TD_OPT, 5);
	td_map_entry(b, "MSiEntry", 9, 3, NULL);
	td_map_entry(b, "MInnerEntry", 5, 11, ".t3.Inner");
	size_t o = td_open(b, 8);
	td_str(b, 1, "choice");
	td_close(b, o);
	o = td_open(b, 8);
	td_str(b, 1, "_opt");
	td_close(b, o);
	td_close(b, m);
	td_str(b, 12, "proto3");
	td_close(b, f);
}

#endif
