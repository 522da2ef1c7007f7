#!/usr/bin/python3
"""recordio_peer.py — the python3-protobuf side of tests/integration/recordio_peers.sh.

Run with Debian's /usr/bin/python3 from a directory holding recordio_protobuf_pb2.py
(protoc --python_out=. recordio-protobuf.proto). The RecordIO framing is parsed here
from its specification (dmlc-core recordio): magic 0xced7230a (little-endian on disk),
lrecord = cflag << 29 | length, payload, zero padding to 4 bytes; cflag 1/2/3 parts of
one record are joined with the magic re-inserted between them.

  decode FILE          one JSON object per record on stdout:
                       {"features": [...], "keys": [...], "shape": [...], "label": [...],
                        "uid": ..., "metadata": ..., "configuration": ..., "kind": ...}
                       (keys/shape/label/strings only when present)
  build OUT EXPECT     writes a RecordIO file built by hand, covering dense and sparse
                       Float32/Float64/Int32 tensors, unpacked values, a multi-part record
                       (its payload holds the magic at a 4-byte boundary, split as dmlc
                       does), and a record of two parts around an empty middle; EXPECT gets
                       the rows tarn must read from it, as JSON lines
"""
import json
import struct
import sys

sys.path.insert(0, ".")
import recordio_protobuf_pb2 as pb  # noqa: E402

MAGIC = 0xCED7230A


def read_records(data):
    pos, out = 0, []
    parts = None
    while pos < len(data):
        if len(data) - pos < 8:
            sys.exit("truncated header at byte %d" % pos)
        magic, lrec = struct.unpack_from("<II", data, pos)
        if magic != MAGIC:
            sys.exit("bad magic at byte %d" % pos)
        cflag, length = lrec >> 29, lrec & ((1 << 29) - 1)
        payload = data[pos + 8:pos + 8 + length]
        if len(payload) != length:
            sys.exit("truncated payload at byte %d" % pos)
        pos += 8 + length + (4 - length % 4) % 4
        if cflag == 0:
            if parts is not None:
                sys.exit("whole record inside a multi-part record")
            out.append(payload)
        elif cflag == 1:
            parts = [payload]
        elif cflag in (2, 3):
            if parts is None:
                sys.exit("continuation without a first part")
            parts.append(payload)
            if cflag == 3:
                out.append(struct.pack("<I", MAGIC).join(parts))
                parts = None
        else:
            sys.exit("bad cflag %d" % cflag)
    if parts is not None:
        sys.exit("file ends inside a multi-part record")
    return out


def tensor_of(value):
    kind = value.WhichOneof("value")
    return kind, getattr(value, kind) if kind else None


def decode(path):
    for payload in read_records(open(path, "rb").read()):
        rec = pb.Record()
        rec.ParseFromString(payload)
        row = {}
        if "values" in rec.features:
            kind, t = tensor_of(rec.features["values"])
            row["kind"] = kind
            row["features"] = list(t.values)
            if len(t.keys):
                row["keys"] = list(t.keys)
            if len(t.shape):
                row["shape"] = list(t.shape)
        if "values" in rec.label:
            kind, t = tensor_of(rec.label["values"])
            row["label"] = list(t.values)
            row["label_kind"] = kind
        for f in ("uid", "metadata", "configuration"):
            if rec.HasField(f):
                row[f] = getattr(rec, f)
        print(json.dumps(row, sort_keys=True))


def frame(payload, cflag=0):
    out = struct.pack("<II", MAGIC, cflag << 29 | len(payload)) + payload
    return out + b"\0" * ((4 - len(payload) % 4) % 4)


def dmlc_split(payload):
    """The record as dmlc's RecordIOWriter writes it: cut at each 4-byte aligned
    occurrence of the magic, which is dropped (the reader puts it back)."""
    magic = struct.pack("<I", MAGIC)
    cuts = [i for i in range(0, len(payload) - 3, 4) if payload[i:i + 4] == magic]
    if not cuts:
        return frame(payload)
    out, start = b"", 0
    for n, i in enumerate(cuts):
        out += frame(payload[start:i], 1 if n == 0 else 2)
        start = i + 4
    return out + frame(payload[start:], 3)


def build(out_path, expect_path):
    magic_float = struct.unpack("<f", struct.pack("<I", MAGIC))[0]
    records, expect = [], []

    # 1. dense Float32Tensor + scalar label, uid
    r = pb.Record()
    r.features["values"].float32_tensor.values.extend([1.5, -2.0, 0.0])
    r.label["values"].float32_tensor.values.append(1.0)
    r.uid = "first"
    records.append(frame(r.SerializeToString()))
    expect.append({"features": [1.5, -2.0, 0.0], "keys": [], "shape": [], "label": 1.0,
                   "uid": "first", "metadata": None})

    # 2. sparse Float32Tensor: keys + shape, label 0, metadata
    r = pb.Record()
    t = r.features["values"].float32_tensor
    t.values.extend([4.0, 5.5])
    t.keys.extend([0, 2])
    t.shape.append(3)
    r.label["values"].float32_tensor.values.append(0.0)
    r.metadata = '{"source": "hand"}'
    records.append(frame(r.SerializeToString()))
    expect.append({"features": [4.0, 5.5], "keys": [0, 2], "shape": [3], "label": 0.0,
                   "uid": None, "metadata": '{"source": "hand"}'})

    # 3. a payload holding the magic at a 4-byte boundary: features value whose
    #    float bits are the magic, placed so it lands on an aligned offset;
    #    written as dmlc does (multi-part). Pad with a uid until it aligns.
    for pad in range(8):
        r = pb.Record()
        r.features["values"].float32_tensor.values.extend([magic_float, 7.0, magic_float])
        r.label["values"].float32_tensor.values.append(2.0)
        r.uid = "m" * pad
        payload = r.SerializeToString()
        hits = [i for i in range(0, len(payload) - 3, 4)
                if payload[i:i + 4] == struct.pack("<I", MAGIC)]
        if hits:
            break
    assert hits, "could not place the magic on an aligned offset"
    split = dmlc_split(payload)
    assert struct.unpack_from("<I", split, 4)[0] >> 29 == 1, "expected a multi-part record"
    records.append(split)
    expect.append({"features": [magic_float, 7.0, magic_float], "keys": [], "shape": [],
                   "label": 2.0, "uid": "m" * pad, "metadata": None})

    # 4. unpacked float values (parsers must accept both encodings), built by hand:
    #    Record{features: {"values": Value{float32_tensor{values: 3.0, values: 9.0}}}}
    tensor = b"".join(b"\x0d" + struct.pack("<f", v) for v in (3.0, 9.0))
    value = b"\x12" + bytes([len(tensor)]) + tensor
    entry = b"\x0a\x06values" + b"\x12" + bytes([len(value)]) + value
    payload = b"\x0a" + bytes([len(entry)]) + entry
    records.append(frame(payload))
    expect.append({"features": [3.0, 9.0], "keys": [], "shape": [], "label": None,
                   "uid": None, "metadata": None})

    # 5. a record split into three parts by hand (first, middle, last): the two
    #    magics it contained sit at aligned offsets of the joined payload
    r = pb.Record()
    r.features["values"].float32_tensor.values.extend([magic_float] * 4 + [1.0])
    r.label["values"].float32_tensor.values.append(3.0)
    payload = r.SerializeToString()
    cut = [i for i in range(0, len(payload) - 3, 4) if payload[i:i + 4] == struct.pack("<I", MAGIC)]
    if len(cut) >= 2:
        a, b = cut[0], cut[1]
        records.append(frame(payload[:a], 1) + frame(payload[a + 4:b], 2) + frame(payload[b + 4:], 3))
    else:
        records.append(dmlc_split(payload))
    expect.append({"features": [magic_float] * 4 + [1.0], "keys": [], "shape": [], "label": 3.0,
                   "uid": None, "metadata": None})

    # 6. no label, empty features tensor
    r = pb.Record()
    r.features["values"].float32_tensor.SetInParent()
    records.append(frame(r.SerializeToString()))
    expect.append({"features": [], "keys": [], "shape": [], "label": None, "uid": None,
                   "metadata": None})

    with open(out_path, "wb") as f:
        for rec in records:
            f.write(rec)
    with open(expect_path, "w") as f:
        for e in expect:
            f.write(json.dumps(e) + "\n")


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "decode":
        decode(*args)
    elif cmd == "build":
        build(*args)
    else:
        sys.exit("unknown command " + cmd)


if __name__ == "__main__":
    main()
