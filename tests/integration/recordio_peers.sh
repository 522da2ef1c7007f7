#!/usr/bin/env bash
# recordio_peers: the recordio-protobuf format against python3-protobuf
# (Debian's /usr/bin/python3) with the message definition tarn ships,
# docs/formats/recordio-protobuf.proto, compiled by protoc. The RecordIO
# framing is parsed in Python from the specification
# (tests/peers/recordio_peer.py).
#
# 1. tarn writes (dense columns + label, sparse=true, the list layout with
#    keys/shape, uid/metadata, escape on and off); python decodes every
#    record and checks the values.
# 2. python builds a file by hand (dense, sparse, unpacked values, a payload
#    holding the magic split dmlc-style into parts, a record of three parts,
#    no label, an empty tensor); tarn must read exactly the rows expected, and
#    write them back so that python decodes the same records.
# 3. the documented example record byte for byte; errors.
DOCS=$(cd "$(dirname "$0")/../../docs/formats" && pwd)
PEER=$(cd "$(dirname "$0")/../peers" && pwd)/recordio_peer.py
source "$(dirname "$0")/lib/cli.bash"
PY=/usr/bin/python3
command -v protoc >/dev/null || fail "protoc missing: scripts/install-deps installs protobuf-compiler"
cp "$DOCS/recordio-protobuf.proto" .
protoc --python_out=. recordio-protobuf.proto || fail "the shipped .proto does not compile"
peer() { $PY "$PEER" "$@"; }

# 1. tarn writes
cat >dense.csv <<'EOF'
x1,x2,x3,flag,y
1.5,-2,0,true,1
0,0,7.25,false,0
3,4,5,true,2
EOF
ok convert dense.csv dense.recordio --to recordio-protobuf -w label=y
peer decode dense.recordio >dense.txt || fail "python cannot decode tarn's records"
cat >want.txt <<'EOF'
{"features": [1.5, -2.0, 0.0, 1.0], "kind": "float32_tensor", "label": [1.0], "label_kind": "float32_tensor"}
{"features": [0.0, 0.0, 7.25, 0.0], "kind": "float32_tensor", "label": [0.0], "label_kind": "float32_tensor"}
{"features": [3.0, 4.0, 5.0, 1.0], "kind": "float32_tensor", "label": [2.0], "label_kind": "float32_tensor"}
EOF
diff want.txt dense.txt || fail "python decodes tarn's dense records differently"

ok convert dense.csv sparse.recordio -w label=y -w sparse=true
peer decode sparse.recordio >sparse.txt || fail "python cannot decode tarn's sparse records"
cat >want.txt <<'EOF'
{"features": [1.5, -2.0, 1.0], "keys": [0, 1, 3], "kind": "float32_tensor", "label": [1.0], "label_kind": "float32_tensor", "shape": [4]}
{"features": [7.25], "keys": [2], "kind": "float32_tensor", "label": [0.0], "label_kind": "float32_tensor", "shape": [4]}
{"features": [3.0, 4.0, 5.0, 1.0], "keys": [0, 1, 2, 3], "kind": "float32_tensor", "label": [2.0], "label_kind": "float32_tensor", "shape": [4]}
EOF
diff want.txt sparse.txt || fail "python decodes tarn's sparse records differently"

cat >lists.jsonl <<'EOF'
{"features": [0.5, 2], "keys": [1, 7], "shape": [2, 5], "label": [1, 2], "uid": "a", "metadata": "{\"k\": 1}"}
{"features": [9], "keys": [], "shape": [], "label": null, "uid": null, "metadata": null}
EOF
ok convert lists.jsonl lists.recordio -w label=label \
	--types "features=list<float64>,keys=list<int64>,shape=list<int64>,label=list<float64>,uid=string,metadata=string"
peer decode lists.recordio >lists.txt || fail "python cannot decode tarn's list-layout records"
cat >want.txt <<'EOF'
{"features": [0.5, 2.0], "keys": [1, 7], "kind": "float32_tensor", "label": [1.0, 2.0], "label_kind": "float32_tensor", "metadata": "{\"k\": 1}", "shape": [2, 5], "uid": "a"}
{"features": [9.0], "kind": "float32_tensor"}
EOF
diff want.txt lists.txt || fail "python decodes tarn's list-layout records differently"

# 2. a file built by hand from the specification
peer build hand.recordio expect.jsonl || fail "python could not build hand.recordio"
ok convert hand.recordio hand.jsonl
$PY - <<'EOF' || fail "tarn reads hand.recordio wrong"
import json, struct
f32 = lambda x: struct.unpack("<f", struct.pack("<f", x))[0]
def norm(v):
    if isinstance(v, float):
        return f32(v)
    if isinstance(v, list):
        return [norm(x) for x in v]
    return v
got = [json.loads(l) for l in open("hand.jsonl")]
want = [json.loads(l) for l in open("expect.jsonl")]
assert len(got) == len(want), (len(got), len(want))
for i, (g, w) in enumerate(zip(got, want)):
    assert set(g) == set(w), (i, sorted(g), sorted(w))
    for k in w:
        assert norm(g[k]) == norm(w[k]), (i, k, g[k], w[k])
print("ok: %d hand-built records" % len(got))
EOF
ok schema hand.recordio
out_has "features"
out_has "list<float32>"
ok convert hand.recordio back.recordio -w label=label
peer decode hand.recordio >a.txt || fail "python cannot decode its own file"
peer decode back.recordio >b.txt || fail "python cannot decode tarn's rewrite"
diff a.txt b.txt || fail "tarn's rewrite of hand.recordio decodes differently"
# the magic-holding records were split again (escape=true), and not with escape=false
$PY - <<'EOF' || fail "escape= did not split as dmlc does"
import struct
def flags(path):
    d, pos, out = open(path, "rb").read(), 0, []
    while pos < len(d):
        _, lrec = struct.unpack_from("<II", d, pos)
        n = lrec & ((1 << 29) - 1)
        out.append(lrec >> 29)
        pos += 8 + n + (4 - n % 4) % 4
    return out
assert 1 in flags("back.recordio") and 3 in flags("back.recordio"), flags("back.recordio")
EOF
ok convert hand.recordio raw.recordio -w label=label -w escape=false
peer decode raw.recordio >c.txt || fail "python cannot decode escape=false output"
diff a.txt c.txt || fail "escape=false output decodes differently"
ok convert hand.recordio cols.csv -r features=list
ok convert sparse.recordio cols.csv -r features=columns
out_is ""
head -1 cols.csv | grep -qx "f0,f1,f2,f3,label" || fail "features=columns header: $(head -1 cols.csv)"
sed -n 3p cols.csv | grep -qx "0.0,0.0,7.25,0.0,0.0" || fail "features=columns row: $(sed -n 3p cols.csv)"

# 3. the documented example, byte for byte
printf 'a,b,y\n1,2,0\n' >g.csv
ok convert g.csv g.recordio -w label=y
printf '\x0a\x23\xd7\xce\x2c\x00\x00\x00\x0a\x16\x0a\x06values\x12\x0c\x12\x0a\x0a\x08\x00\x00\x80\x3f\x00\x00\x00\x40\x12\x12\x0a\x06values\x12\x08\x12\x06\x0a\x04\x00\x00\x00\x00' >golden.bin
cmp g.recordio golden.bin || fail "the example record differs from the documented bytes"
# gzip input
gzip -c hand.recordio >hand.recordio.gz
ok convert hand.recordio.gz hgz.jsonl
cmp -s hgz.jsonl hand.jsonl || fail "gzip input read differently"

# errors
head -c 50 hand.recordio >trunc.recordio
expect 2 convert trunc.recordio t.jsonl --from recordio-protobuf
err_has "record 0 at byte 0: length word says"
no_output t.jsonl
printf 'hello world, not recordio' >bad.recordio
expect 2 convert bad.recordio t.jsonl
err_has "expected the RecordIO magic 0a 23 d7 ce"
printf 'a,s\n1,x\n' >str.csv
expect 5 convert str.csv t.recordio
err_has "column 's' is string"
no_output t.recordio
printf 'a\n1\n\n' >null.csv
expect 2 convert null.csv t.recordio --types a=int64
err_has "row 1, column 'a': null feature value"
echo "recordio_peers: ok"
