#!/usr/bin/env bash
# protobuf_peers: the protobuf format against python3-protobuf (Debian's
# /usr/bin/python3) and protoc (protobuf-compiler), driven by
# tests/peers/protobuf_peer.py.
#
# 1. proto3 (every scalar type, nested, repeated packed/unpacked, maps,
#    oneof, optional, enums with a negative value, Timestamp, wrappers, huge
#    field numbers) and proto2 (required, defaults of every kind, groups,
#    packed=true, closed enums, a recursive message, oneof, maps): python
#    writes random delimited messages; the rows tarn reads must hold exactly
#    the messages' values (JSON Lines checked field by field, also with
#    enums=int and absent=default).
# 2. tarn writes: pb -> pb and pb -> parquet -> pb; python parses tarn's
#    stream and every message must equal the original.
# 3. tarn writes from a typed JSON Lines table; python checks the values.
# 4. unknown fields (a newer writer's schema) are skipped; gzip input;
#    descriptor= without protoc; errors (truncation with message index and
#    byte offset, lying lengths, missing protoc, bad .proto, unknown message).
PEER=$(cd "$(dirname "$0")/../peers" && pwd)/protobuf_peer.py
source "$(dirname "$0")/lib/cli.bash"
PY=/usr/bin/python3
command -v protoc >/dev/null || fail "protoc missing: scripts/install-deps installs protobuf-compiler"
$PY -c 'import google.protobuf' || fail "python3-protobuf missing: run scripts/install-deps"
peer() { $PY "$PEER" "$@"; }

# The well-known types as protoc needs them (libprotobuf-dev is not required):
# python3-protobuf ships their _pb2 modules.
mkdir -p google/protobuf
cat >google/protobuf/timestamp.proto <<'EOF'
syntax = "proto3";
package google.protobuf;
message Timestamp { int64 seconds = 1; int32 nanos = 2; }
EOF
cat >google/protobuf/wrappers.proto <<'EOF'
syntax = "proto3";
package google.protobuf;
message DoubleValue { double value = 1; }
message FloatValue { float value = 1; }
message Int64Value { int64 value = 1; }
message UInt64Value { uint64 value = 1; }
message Int32Value { int32 value = 1; }
message UInt32Value { uint32 value = 1; }
message BoolValue { bool value = 1; }
message StringValue { string value = 1; }
message BytesValue { bytes value = 1; }
EOF

cat >all.proto <<'EOF'
syntax = "proto3";
package tarntest;
import "google/protobuf/timestamp.proto";
import "google/protobuf/wrappers.proto";

enum Color { COLOR_UNSPECIFIED = 0; RED = 1; GREEN = 2; BLUE = -3; }
message Inner { int32 a = 1; string s = 2; repeated int64 xs = 3; }
message All {
  int32 i32 = 1; int64 i64 = 2; uint32 u32 = 3; uint64 u64 = 4;
  sint32 s32 = 5; sint64 s64 = 6; fixed32 f32 = 7; fixed64 f64 = 8;
  sfixed32 sf32 = 9; sfixed64 sf64 = 10; float fl = 11; double db = 12;
  bool b = 13; string str = 14; bytes by = 15; Color color = 16;
  Inner inner = 17;
  repeated int32 r_i32 = 18; repeated sint64 r_s64 = 19; repeated double r_db = 20;
  repeated string r_str = 21; repeated Inner r_inner = 22; repeated Color r_color = 23;
  repeated bool r_b = 24; repeated fixed32 r_f32 = 25;
  repeated int32 r_unpacked = 26 [packed = false];
  map<string, int64> m_si = 27; map<int32, Inner> m_inner = 28; map<bool, string> m_bs = 29;
  oneof choice { int32 c_int = 30; string c_str = 31; Inner c_inner = 32; }
  optional int32 opt_i32 = 33; optional string opt_str = 34;
  google.protobuf.Timestamp ts = 35; repeated google.protobuf.Timestamp r_ts = 36;
  google.protobuf.Int64Value w_i64 = 37; google.protobuf.StringValue w_str = 38;
  uint64 big = 1000; int32 far = 536870911;
  repeated float r_fl = 39; repeated uint64 r_u64 = 40; repeated sfixed64 r_sf64 = 41;
  repeated bytes r_by = 42; map<uint64, Color> m_ue = 43;
  google.protobuf.DoubleValue w_db = 44; google.protobuf.BoolValue w_b = 45;
  google.protobuf.BytesValue w_by = 46;
}
EOF

cat >p2.proto <<'EOF'
syntax = "proto2";
package tarntest2;
message P2 {
  required int32 id = 1;
  optional string name = 2 [default = "anon"];
  optional int64 score = 3 [default = -7];
  optional double ratio = 4 [default = 1.5];
  optional bool flag = 5 [default = true];
  optional bytes blob = 6 [default = "a\001b\"c"];
  repeated int32 packed_vals = 7 [packed = true];
  repeated int32 unpacked_vals = 8;
  optional Kind kind = 9 [default = BETA];
  optional group G = 10 { optional int32 gx = 11; optional string gy = 12; }
  repeated group RG = 13 { optional int32 rx = 14; }
  optional P2 child = 15;
  repeated P2 kids = 16;
  optional float fl = 17 [default = -inf];
  optional uint64 u = 18 [default = 18446744073709551615];
  optional sint32 z = 19;
  enum Kind { ALPHA = 5; BETA = 6; GAMMA = -1; }
  oneof pick { int32 p_a = 20; Sub p_sub = 21; }
  message Sub { required string must = 1; optional int32 opt = 2; }
  optional Sub sub = 22;
  map<uint64, Sub> m = 23;
  optional fixed64 fx = 24 [default = 12];
  optional sfixed32 sfx = 25 [default = -12];
}
EOF

# An older version of All: fields 14.. and the maps unknown to it.
cat >old.proto <<'EOF'
syntax = "proto3";
package tarnold;
message All {
  int32 i32 = 1; int64 i64 = 2; uint32 u32 = 3; uint64 u64 = 4;
  sint32 s32 = 5; sint64 s64 = 6; fixed32 f32 = 7; fixed64 f64 = 8;
  sfixed32 sf32 = 9; sfixed64 sf64 = 10; float fl = 11; double db = 12; bool b = 13;
}
EOF
protoc --python_out=. all.proto p2.proto old.proto || fail "protoc --python_out"

A="-r proto=all.proto -r message=tarntest.All"
W="-w proto=all.proto -w message=tarntest.All"

# 1. python writes, tarn reads
peer gen all_pb2 All all.pb 2000 11 || fail "python could not write all.pb"
ok convert all.pb all.jsonl $A
peer check-jsonl all_pb2 All all.pb all.jsonl || fail "tarn's rows of all.pb differ from python's messages"
ok convert all.pb all_int.jsonl $A -r enums=int
peer check-jsonl all_pb2 All all.pb all_int.jsonl enums=int || fail "enums=int rows differ"

peer gen p2_pb2 P2 p2.pb 2000 12 || fail "python could not write p2.pb"
ok convert p2.pb p2.jsonl -r proto=p2.proto
peer check-jsonl p2_pb2 P2 p2.pb p2.jsonl || fail "tarn's rows of p2.pb differ"
ok convert p2.pb p2d.jsonl -r proto=p2.proto -r absent=default
peer check-jsonl p2_pb2 P2 p2.pb p2d.jsonl absent=default || fail "absent=default rows differ"

# the schema as documented
ok schema all.pb $A
out_has "timestamp[ns, UTC]"
out_has "map<int32, struct<a: int32, s: string, xs: list<int64>>>"
ok schema p2.pb -r proto=p2.proto
out_has "struct<gx: int32, gy: string>"

# 2. tarn writes, python reads
ok convert all.pb back.pb $A $W
peer equal all_pb2 All all.pb back.pb || fail "python reads tarn's all.pb back differently"
ok convert p2.pb p2back.pb -r proto=p2.proto -w proto=p2.proto
peer equal p2_pb2 P2 p2.pb p2back.pb || fail "python reads tarn's p2.pb back differently"
ok convert all.pb all.parquet $A
ok convert all.parquet fromparquet.pb $W
peer equal all_pb2 All all.pb fromparquet.pb || fail "pb -> parquet -> pb changed the messages"
# tarn's output is canonical: a second pass gives the same bytes
ok convert back.pb back2.pb $A $W
cmp -s back.pb back2.pb || fail "rewriting tarn's own output changed its bytes"

# 3. tarn writes from another format, with conversions
cat >rows.jsonl <<'EOF'
{"i32": -7, "u64": 18446744073709551615, "fl": 0.25, "color": "BLUE", "r_color": [1, 0], "str": "héllo", "by": "raw", "inner": {"a": 5, "xs": [1, -2]}, "c_str": "pick", "opt_i32": 0, "ts": "2024-02-29 12:34:56.789", "w_i64": -9, "m_si": null}
{"i32": null, "u64": 0, "fl": -1, "color": "RED", "r_color": [], "str": "", "by": "", "inner": null, "c_str": null, "opt_i32": null, "ts": null, "w_i64": null, "m_si": null}
EOF
ok convert rows.jsonl rows.pb $W --types "u64=uint64,color=string,r_color=list<int64>,by=string,inner=struct<a: int32, xs: list<int64>>,ts=timestamp[ms],m_si=map<string, int64>"
$PY - <<'EOF' || fail "python reads tarn's rows.pb wrong"
import sys
sys.path.insert(0, ".")
import all_pb2
from google.protobuf.internal.decoder import _DecodeVarint32
data = open("rows.pb", "rb").read()
msgs, pos = [], 0
while pos < len(data):
    n, pos = _DecodeVarint32(data, pos)
    m = all_pb2.All(); m.ParseFromString(data[pos:pos + n]); msgs.append(m); pos += n
assert len(msgs) == 2, len(msgs)
a, b = msgs
assert a.i32 == -7 and a.u64 == 2**64 - 1 and a.fl == 0.25, a
assert a.color == all_pb2.BLUE and list(a.r_color) == [1, 0], a
assert a.str == "héllo" and a.by == b"raw", a
assert a.HasField("inner") and a.inner.a == 5 and list(a.inner.xs) == [1, -2], a
assert a.WhichOneof("choice") == "c_str" and a.c_str == "pick", a
assert a.HasField("opt_i32") and a.opt_i32 == 0, a
assert a.ts.seconds == 1709210096 and a.ts.nanos == 789000000, a.ts
assert a.HasField("w_i64") and a.w_i64.value == -9, a
assert b.i32 == 0 and b.fl == -1 and b.color == all_pb2.RED and not b.HasField("inner"), b
assert b.WhichOneof("choice") is None and not b.HasField("opt_i32") and not b.HasField("ts"), b
assert not b.HasField("w_i64"), b
EOF

# 4. unknown fields: a reader with an older schema skips what it does not know
ok convert all.pb old.jsonl -r proto=old.proto -r message=tarnold.All
peer check-jsonl old_pb2 All all.pb old.jsonl || fail "unknown fields were not skipped cleanly"

# gzip input, and a compiled descriptor set instead of protoc at run time
gzip -c all.pb >all.pb.gz
ok convert all.pb.gz gz.jsonl $A
cmp -s gz.jsonl all.jsonl || fail "gzip input read differently"
protoc --descriptor_set_out=all.desc --include_imports all.proto || fail "protoc -o"
PROTOC=/nonexistent/protoc "$TARN" convert all.pb desc.jsonl -r descriptor=all.desc -r message=All \
	>/dev/null 2>&1 || fail "descriptor= needed protoc"
cmp -s desc.jsonl all.jsonl || fail "descriptor= read differently"

# errors
head -c 100000 all.pb >trunc.pb
expect 2 convert trunc.pb t.jsonl $A
err_has "message "
err_has "at byte "
err_has "truncated file?"
no_output t.jsonl
printf '\x05\x08\x01' >lie.pb
expect 2 convert lie.pb t.jsonl $A
err_has "message 0 at byte 0: length prefix says 5 bytes but only 2 remain"
printf '\x04\x72\x05ab' >lie2.pb
expect 2 convert lie2.pb t.jsonl $A
err_has "field tarntest.All.str (number 14): length 5 runs past the end of the message"
printf '\x03\x72\x01\xff' >utf.pb
expect 2 convert utf.pb t.jsonl $A
err_has "invalid UTF-8"
printf '\x02\x18\x01' >req.pb
expect 2 convert req.pb t.jsonl -r proto=p2.proto
err_has "required field 'id' is missing"
printf '\xff\xff\xff\xff\x0f' >huge.pb
expect 2 convert huge.pb t.jsonl $A
err_has "max-message-size"
PROTOC=/nonexistent/protoc expect 6 convert all.pb t.jsonl $A
err_has "protobuf-compiler"
err_has "descriptor=FILE"
echo 'syntax = "proto3"; message X { int32 a = 1 }' >bad.proto
expect 1 convert all.pb t.jsonl -r proto=bad.proto
err_has "protoc could not compile bad.proto"
expect 6 convert all.pb t.jsonl -r proto=all.proto -r message=Nope
err_has "no message named 'Nope'"
expect 1 convert all.pb t.jsonl -r proto=all.proto
err_has "message=NAME"
expect 1 convert all.pb t.jsonl
err_has "proto=FILE"
# writer errors name the row and column
printf '{"i32": 3000000000}\n' >big.jsonl
expect 2 convert big.jsonl t.pb $W
err_has "row 0, column 'i32': 3000000000 does not fit a int32 field"
no_output t.pb
printf '{"nope": 1}\n' >nope.jsonl
expect 1 convert nope.jsonl t.pb $W
err_has "column 'nope' has no field of that name"
echo "protobuf_peers: ok"
