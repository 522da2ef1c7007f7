#!/usr/bin/python3
"""avro_peer.py — the python3-avro (Debian) peer for tarn's Avro tests.

Run with /usr/bin/python3 (python3-avro is only visible there).

  avro_peer.py gen DIR
      Writes Avro files with python3-avro into DIR: every Avro type and
      logical type (types_<codec>.avro, one per codec), unions of every kind,
      and the writer halves of the schema-evolution cases (evo_*.avro, with
      the reader schemas evo_*.reader.avsc beside them). Prints the file
      names.

  avro_peer.py check FILE.avro TARN.jsonl [READER.avsc]
      Reads FILE.avro with python3-avro (resolving to READER.avsc when
      given) and checks every row equals the row tarn printed
      (`tarn cat --to jsonl`) under tarn's documented mapping of Avro types
      (docs/formats/avro.md): unions of null and T are nullable T, other
      unions structs of member0..N, enums and UUIDs strings, bytes and fixed
      base64, decimals exact numbers, temporal values in tarn's spelling.
      Exit 0 when equal; otherwise prints the first difference.

  avro_peer.py same A.avro B.avro
      Both files read by python3-avro give equal rows (tarn rewriting a
      file with its own schema, -w schema=...).

  avro_peer.py codecs
      The codecs this peer can read and write (below).

python3-avro 1.11 itself supports the null, deflate and bzip2 codecs (snappy
and zstandard need Python modules Debian does not ship). This script adds
the others to avro.codecs.KNOWN_CODECS so every codec is exercised against
an implementation that is not tarn's: xz through Python's lzma module,
zstandard through the zstd command-line tool, and snappy through a small
decoder/encoder written here from the snappy format description (the
encoder emits literals only, which is valid snappy; the decoder handles
every element type, and real snappy data comes from the Java-written
weather-snappy.avro of the corpus), with the CRC-32 trailer checked.
"""
import base64
import binascii
import datetime
import decimal
import io
import json
import lzma
import math
import os
import shutil
import struct
import subprocess
import sys
import uuid
import warnings

import avro.codecs
import avro.datafile
import avro.io
import avro.schema

warnings.simplefilter("ignore")

# ---- extra codecs ---------------------------------------------------------------------


def _crc_be(data):
    return struct.pack(">I", binascii.crc32(data) & 0xFFFFFFFF)


def _varint(n):
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def snappy_compress(data):
    out = bytearray(_varint(len(data)))
    pos = 0
    while pos < len(data):
        chunk = data[pos : pos + 65536]
        n = len(chunk) - 1
        if n < 60:
            out.append(n << 2)
        elif n < 256:
            out += bytes([60 << 2, n])
        else:
            out += bytes([61 << 2, n & 0xFF, n >> 8])
        out += chunk
        pos += len(chunk)
    return bytes(out)


def snappy_decompress(src):
    pos = 0
    length = 0
    shift = 0
    while True:
        b = src[pos]
        pos += 1
        length |= (b & 0x7F) << shift
        shift += 7
        if b < 0x80:
            break
    out = bytearray()
    while pos < len(src):
        tag = src[pos]
        pos += 1
        kind = tag & 3
        if kind == 0:
            n = tag >> 2
            if n >= 60:
                k = n - 59
                n = int.from_bytes(src[pos : pos + k], "little")
                pos += k
            n += 1
            out += src[pos : pos + n]
            pos += n
            continue
        if kind == 1:
            n = ((tag >> 2) & 7) + 4
            off = ((tag >> 5) << 8) | src[pos]
            pos += 1
        elif kind == 2:
            n = (tag >> 2) + 1
            off = int.from_bytes(src[pos : pos + 2], "little")
            pos += 2
        else:
            n = (tag >> 2) + 1
            off = int.from_bytes(src[pos : pos + 4], "little")
            pos += 4
        if off == 0 or off > len(out):
            raise ValueError("bad snappy copy offset")
        for _ in range(n):
            out.append(out[-off])
    if len(out) != length:
        raise ValueError("snappy length mismatch")
    return bytes(out)


class SnappyCodec(avro.codecs.Codec):
    @staticmethod
    def compress(data):
        c = snappy_compress(data) + _crc_be(data)
        return c, len(c)

    @staticmethod
    def decompress(readers_decoder):
        # the block size and data follow (the count was read)
        data = readers_decoder.read_bytes()
        plain = snappy_decompress(data[:-4])
        if _crc_be(plain) != data[-4:]:
            raise ValueError("snappy CRC-32 mismatch")
        return avro.io.BinaryDecoder(io.BytesIO(plain))


class XzCodec(avro.codecs.Codec):
    @staticmethod
    def compress(data):
        c = lzma.compress(data, format=lzma.FORMAT_XZ)
        return c, len(c)

    @staticmethod
    def decompress(readers_decoder):
        # the block size and data follow (the count was read)
        data = readers_decoder.read_bytes()
        return avro.io.BinaryDecoder(io.BytesIO(lzma.decompress(data, format=lzma.FORMAT_XZ)))


def _zstd(args, data):
    return subprocess.run(["zstd", "-q", "-c"] + args, input=data, stdout=subprocess.PIPE, check=True).stdout


class ZstandardCodec(avro.codecs.Codec):
    @staticmethod
    def compress(data):
        c = _zstd(["-3"], data)
        return c, len(c)

    @staticmethod
    def decompress(readers_decoder):
        # the block size and data follow (the count was read)
        data = readers_decoder.read_bytes()
        return avro.io.BinaryDecoder(io.BytesIO(_zstd(["-d"], data)))


for _name, _cls in (("snappy", SnappyCodec), ("xz", XzCodec), ("zstandard", ZstandardCodec)):
    if _name not in avro.codecs.KNOWN_CODECS:
        if _name == "zstandard" and not shutil.which("zstd"):
            continue
        avro.codecs.KNOWN_CODECS[_name] = _cls

CODECS = sorted(avro.codecs.KNOWN_CODECS)

# ---- test data ------------------------------------------------------------------------

UTC = datetime.timezone.utc

TYPES_SCHEMA = {
    "type": "record",
    "name": "AllTypes",
    "namespace": "tarn.test",
    "fields": [
        {"name": "n", "type": "null"},
        {"name": "b", "type": "boolean"},
        {"name": "i", "type": "int"},
        {"name": "l", "type": "long"},
        {"name": "f", "type": "float"},
        {"name": "d", "type": "double"},
        {"name": "by", "type": "bytes"},
        {"name": "s", "type": "string"},
        {"name": "e", "type": {"type": "enum", "name": "Suit", "symbols": ["SPADES", "HEARTS", "DIAMONDS", "CLUBS"]}},
        {"name": "fx", "type": {"type": "fixed", "name": "Md5", "size": 16}},
        {"name": "arr", "type": {"type": "array", "items": "long"}},
        {"name": "arr_rec", "type": {"type": "array", "items": {"type": "record", "name": "Point", "fields": [
            {"name": "x", "type": "double"}, {"name": "y", "type": ["null", "double"]}]}}},
        {"name": "m", "type": {"type": "map", "values": "string"}},
        {"name": "m_arr", "type": {"type": "map", "values": {"type": "array", "items": ["null", "int"]}}},
        {"name": "rec", "type": {"type": "record", "name": "Inner", "fields": [
            {"name": "a", "type": "int"},
            {"name": "b", "type": ["null", "string"]},
            {"name": "deep", "type": {"type": "record", "name": "Deep", "fields": [{"name": "z", "type": "boolean"}]}}]}},
        {"name": "u_null_first", "type": ["null", "string"]},
        {"name": "u_null_last", "type": ["long", "null"]},
        {"name": "u_general", "type": ["null", "int", "string", "Point"]},
        {"name": "u_no_null", "type": ["double", "string", "boolean"]},
        {"name": "u_single", "type": ["string"]},
        {"name": "dec_bytes", "type": {"type": "bytes", "logicalType": "decimal", "precision": 12, "scale": 3}},
        {"name": "dec_fixed", "type": {"type": "fixed", "name": "Dec9", "size": 9, "logicalType": "decimal", "precision": 20, "scale": 2}},
        {"name": "uuid_s", "type": {"type": "string", "logicalType": "uuid"}},
        {"name": "date", "type": {"type": "int", "logicalType": "date"}},
        {"name": "t_ms", "type": {"type": "int", "logicalType": "time-millis"}},
        {"name": "t_us", "type": {"type": "long", "logicalType": "time-micros"}},
        {"name": "ts_ms", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        {"name": "ts_us", "type": {"type": "long", "logicalType": "timestamp-micros"}},
        {"name": "ts_ns", "type": {"type": "long", "logicalType": "timestamp-nanos"}},
        {"name": "lts_ms", "type": {"type": "long", "logicalType": "local-timestamp-millis"}},
        {"name": "lts_us", "type": {"type": "long", "logicalType": "local-timestamp-micros"}},
        {"name": "lts_ns", "type": {"type": "long", "logicalType": "local-timestamp-nanos"}},
        {"name": "dur", "type": {"type": "fixed", "name": "Dur", "size": 12, "logicalType": "duration"}},
        {"name": "uuid_f", "type": {"type": "fixed", "name": "U16", "size": 16, "logicalType": "uuid"}},
        {"name": "opt_dec", "type": ["null", {"type": "bytes", "logicalType": "decimal", "precision": 38, "scale": 10}]},
        {"name": "opt_date", "type": ["null", {"type": "int", "logicalType": "date"}]},
    ],
}


def types_rows(n):
    rows = []
    for k in range(n):
        neg = -1 if k % 2 else 1
        rows.append({
            "n": None,
            "b": k % 3 == 0,
            "i": [0, 1, -1, 2**31 - 1, -(2**31)][k % 5] if k < 5 else (k * 7919) % 100000 - 50000,
            "l": [0, 2**63 - 1, -(2**63), 1 << 40, -12345][k % 5] if k < 5 else k * 1000003 * neg,
            "f": [0.0, 1.5, -2.25, 3.4028234663852886e38, 1e-45][k % 5] if k < 5 else k / 7.0,
            "d": [0.0, -0.0, 1e308, 5e-324, 0.1][k % 5] if k < 5 else k / 3.0 * neg,
            "by": bytes(range(k % 256))[: k % 17],
            "s": ["", "héllo", "日本語", "a\"b\\c\n", "x" * 300][k % 5] + str(k),
            "e": ["SPADES", "HEARTS", "DIAMONDS", "CLUBS"][k % 4],
            "fx": bytes((k + j) % 256 for j in range(16)),
            "arr": [k * j for j in range(k % 4)],
            "arr_rec": [{"x": k + 0.5, "y": None if j % 2 else float(j)} for j in range(k % 3)],
            "m": {"k%d" % j: "v%d" % (k + j) for j in range(k % 3)},
            "m_arr": {"a": [k, None, -k]} if k % 2 else {},
            "rec": {"a": k, "b": None if k % 4 == 0 else "b%d" % k, "deep": {"z": k % 2 == 0}},
            "u_null_first": None if k % 3 == 0 else "s%d" % k,
            "u_null_last": None if k % 4 == 1 else k * 11,
            "u_general": [None, k, "g%d" % k, {"x": 1.0, "y": None}][k % 4],
            # python3-avro writes a value in the last union branch it fits
            # (a bool fits "double" too), hence "boolean" last.
            "u_no_null": [k % 2 == 0, 2.5 * k, "t%d" % k][k % 3],
            "u_single": "only%d" % k,
            "dec_bytes": decimal.Decimal(k * 1234567 - 500000) / 1000 * neg,
            "dec_fixed": decimal.Decimal("-999999999999999999.99") if k == 1 else decimal.Decimal(k * 98765) / 100,
            "uuid_s": str(uuid.UUID(int=(k * 0x1234567890ABCDEF1234567890ABCDEF) % (1 << 128))),
            "date": datetime.date(1970, 1, 1) + datetime.timedelta(days=(k * 373) % 50000 - 20000),
            "t_ms": datetime.time(k % 24, (k * 7) % 60, (k * 13) % 60, (k * 1000) % 1000000),
            "t_us": datetime.time(23 - k % 24, (k * 11) % 60, (k * 17) % 60, (k * 12347) % 1000000),
            "ts_ms": datetime.datetime(2000, 1, 1, tzinfo=UTC) + datetime.timedelta(milliseconds=k * 86400123 * neg),
            "ts_us": datetime.datetime(1960, 6, 1, tzinfo=UTC) + datetime.timedelta(microseconds=k * 3600000017),
            "ts_ns": k * 1000000000123 * neg,
            "lts_ms": k * 1234567 * neg,
            "lts_us": k * 987654321,
            "lts_ns": (1 << 62) - k if k % 2 else k,
            "dur": struct.pack("<III", k, k * 2, (k * 1000) % (1 << 32)),
            "uuid_f": uuid.UUID(int=(k * 0xFEDCBA9876543210) % (1 << 128)).bytes,
            "opt_dec": None if k % 2 else decimal.Decimal("12345678901234567890.1234567890") * neg,
            "opt_date": None if k % 3 == 1 else datetime.date(2024, 2, 29),
        })
    return rows


# Writer halves of schema evolution: (name, writer schema, rows, reader schema).
EVOLUTION = [
    ("evo_added", {
        "type": "record", "name": "R", "fields": [{"name": "id", "type": "int"}]},
     [{"id": k} for k in range(7)],
     {"type": "record", "name": "R", "fields": [
         {"name": "id", "type": "long"},
         {"name": "flag", "type": "boolean", "default": True},
         {"name": "cnt", "type": "int", "default": -7},
         {"name": "big", "type": "long", "default": 1234567890123},
         {"name": "ratio", "type": "float", "default": 0.5},
         {"name": "dbl", "type": "double", "default": -1.25},
         {"name": "name", "type": "string", "default": "none"},
         # Bytes and fixed defaults ASCII only: python3-avro 1.11 turns them
         # into their UTF-8 encoding, where the specification maps code
         # points 0-255 to bytes (tarn does; tests/unit/avro.c checks that
         # "\u00ff" becomes 0xff).
         {"name": "raw", "type": "bytes", "default": "\u0001A"},
         {"name": "opt", "type": ["null", "string"], "default": None},
         {"name": "opt2", "type": ["string", "null"], "default": "x"},
         {"name": "suit", "type": {"type": "enum", "name": "S", "symbols": ["A", "B"]}, "default": "B"},
         {"name": "fx", "type": {"type": "fixed", "name": "F2", "size": 2}, "default": "\u0000\u007e"},
         {"name": "list", "type": {"type": "array", "items": "int"}, "default": [1, 2, 3]},
         {"name": "map", "type": {"type": "map", "values": "long"}, "default": {"a": 1, "b": 2}},
         {"name": "rec", "type": {"type": "record", "name": "In", "fields": [
             {"name": "p", "type": "int"}, {"name": "q", "type": "string", "default": "qq"}]},
          "default": {"p": 5}},
         {"name": "day", "type": {"type": "int", "logicalType": "date"}, "default": 19000},
     ]}),
    ("evo_removed_promoted", {
        "type": "record", "name": "R", "fields": [
            {"name": "a", "type": "int"},
            {"name": "gone", "type": {"type": "record", "name": "G", "fields": [
                {"name": "x", "type": {"type": "array", "items": {"type": "map", "values": "string"}}},
                {"name": "y", "type": ["null", "bytes", "G2"] if False else ["null", "bytes"]}]}},
            {"name": "b", "type": "int"},
            {"name": "c", "type": "long"},
            {"name": "d", "type": "float"},
            {"name": "gone2", "type": {"type": "fixed", "name": "F3", "size": 3}},
            {"name": "e", "type": "int"},
        ]},
     [{"a": k, "gone": {"x": [{"k": "v"}] * (k % 3), "y": None if k % 2 else b"zz"}, "b": -k * 1000,
       "c": k * (1 << 40), "d": k + 0.25, "gone2": b"abc", "e": k * 3} for k in range(9)],
     {"type": "record", "name": "R", "fields": [
         {"name": "e", "type": "double"},
         {"name": "a", "type": "long"},
         {"name": "b", "type": "float"},
         {"name": "c", "type": "double"},
         {"name": "d", "type": "double"},
     ]}),
    ("evo_enum_union", {
        "type": "record", "name": "R", "fields": [
            {"name": "e", "type": {"type": "enum", "name": "E", "symbols": ["X", "Y", "Z"]}},
            {"name": "u", "type": ["null", "int", "string"]},
            {"name": "plain", "type": "int"},
            {"name": "nu", "type": ["null", "long"]},
        ]},
     [{"e": ["X", "Y", "Z"][k % 3], "u": [None, k, "s%d" % k][k % 3], "plain": k, "nu": None if k % 2 else k}
      for k in range(9)],
     {"type": "record", "name": "R", "fields": [
         {"name": "e", "type": {"type": "enum", "name": "E", "symbols": ["Z", "Y", "X"]}},
         {"name": "u", "type": ["null", "string", "long"]},
         {"name": "plain", "type": ["null", "long"]},
         {"name": "nu", "type": ["null", "double"]},
     ]}),
    # A recursive type (like the interop schema's Node): not a column, but
    # read with a reader schema that leaves the recursion out.
    ("evo_recursive", {
        "type": "record", "name": "Tree", "fields": [
            {"name": "id", "type": "int"},
            {"name": "node", "type": {"type": "record", "name": "Node", "fields": [
                {"name": "label", "type": "string"},
                {"name": "children", "type": {"type": "array", "items": "Node"}}]}},
            {"name": "next", "type": ["null", "Tree"]},
        ]},
     [{"id": k, "node": {"label": "n%d" % k, "children": [
         {"label": "c%d" % j, "children": [{"label": "g", "children": []}] * (j % 2)} for j in range(k % 4)]},
       "next": None if k % 2 else {"id": -k, "node": {"label": "x", "children": []}, "next": None}}
      for k in range(6)],
     {"type": "record", "name": "Tree", "fields": [
         {"name": "node", "type": {"type": "record", "name": "Node", "fields": [
             {"name": "label", "type": "string"}]}},
         {"name": "id", "type": "long"},
     ]}),
]

# ---- comparison with tarn's JSON ---------------------------------------------------------


class Mismatch(Exception):
    pass


def f32(x):
    return struct.unpack("<f", struct.pack("<f", x))[0]


def tarn_ts_units(text, per_second):
    """tarn's timestamp text 'YYYY-MM-DD HH:MM:SS[.frac][Z]' to integer units."""
    text = text.rstrip("Z")
    day, clock = text.split(" ")
    sign = 1
    if day.startswith("-") or day.startswith("+"):
        sign = -1 if day[0] == "-" else 1
        day = day[1:]
    y, m, d = day.split("-")
    y = sign * int(y)
    days = (datetime.date(2000, int(m), int(d)) - datetime.date(1970, 1, 1)).days
    # shift by whole 400-year cycles (146097 days) to reach year y
    days += (y - 2000) // 400 * 146097
    rem = (y - 2000) % 400
    if rem:
        days += (datetime.date(2000 + rem, int(m), int(d)) - datetime.date(2000, int(m), int(d))).days
    secs, frac = (clock.split(".") + [""])[:2]
    hh, mm, ss = (int(v) for v in secs.split(":"))
    units = (days * 86400 + hh * 3600 + mm * 60 + ss) * per_second
    if frac:
        units += int(frac.ljust(9, "0")[:9]) * per_second // 10**9
    return units


def tarn_time_units(text, per_second):
    secs, frac = (text.split(".") + [""])[:2]
    hh, mm, ss = (int(v) for v in secs.split(":"))
    units = (hh * 3600 + mm * 60 + ss) * per_second
    if frac:
        units += int(frac.ljust(9, "0")[:9]) * per_second // 10**9
    return units


def expect_eq(a, b, path):
    if a != b:
        raise Mismatch("%s: python %r, tarn %r" % (path, a, b))


def lt(schema):
    return schema.props.get("logicalType") if hasattr(schema, "props") else None


def compare(schema, v, t, path):
    """Python datum v (read by python3-avro with schema) vs tarn's JSON value t."""
    typ = schema.type
    logical = lt(schema)
    if typ == "union":
        branches = schema.schemas
        non_null = [s for s in branches if s.type != "null"]
        if v is None and any(s.type == "null" for s in branches):
            expect_eq(None, t, path)
            return
        if len(non_null) == 1:
            compare(non_null[0], v, t, path)
            return
        if not isinstance(t, dict):
            raise Mismatch("%s: tarn %r is not a member struct" % (path, t))
        set_members = [k for k, x in t.items() if x is not None]
        if len(set_members) != 1:
            raise Mismatch("%s: tarn sets members %r for %r" % (path, set_members, v))
        idx = int(set_members[0][len("member"):])
        compare(non_null[idx], v, t[set_members[0]], path + "." + set_members[0])
        if non_null[idx].validate(v) is None:
            raise Mismatch("%s: python value %r is not of tarn's branch %d" % (path, v, idx))
        return
    if typ == "null":
        expect_eq(None, t, path)
    elif typ == "boolean":
        expect_eq(v, t, path)
    elif typ in ("int", "long"):
        # python3-avro gives datetime objects for the logical types it
        # knows, and raw numbers for the others and for default values.
        per = {"millis": 1000, "micros": 10**6, "nanos": 10**9}.get(str(logical).rsplit("-", 1)[-1])
        if isinstance(v, datetime.datetime):
            epoch = datetime.datetime(1970, 1, 1, tzinfo=UTC)
            d = v - epoch
            v = (d.days * 86400 + d.seconds) * per + d.microseconds * per // 10**6
        elif isinstance(v, datetime.date):
            v = (v - datetime.date(1970, 1, 1)).days
        elif isinstance(v, datetime.time):
            v = (v.hour * 3600 + v.minute * 60 + v.second) * per + v.microsecond * per // 10**6
        if logical == "date":
            expect_eq((datetime.date(1970, 1, 1) + datetime.timedelta(days=v)).isoformat(), t, path)
        elif logical in ("time-millis", "time-micros"):
            expect_eq(v, tarn_time_units(t, per), path)
        elif logical in ("timestamp-millis", "timestamp-micros", "timestamp-nanos",
                         "local-timestamp-millis", "local-timestamp-micros", "local-timestamp-nanos"):
            if logical.startswith("local") == str(t).endswith("Z"):
                raise Mismatch("%s: tarn %r has the wrong zone for %s" % (path, t, logical))
            expect_eq(v, tarn_ts_units(t, per), path)
        else:
            expect_eq(v, t, path)
    elif typ == "float":
        if math.isnan(v) or math.isinf(v):
            expect_eq(None, t, path)
        else:
            expect_eq(f32(v), f32(float(t)), path)
    elif typ == "double":
        if math.isnan(v) or math.isinf(v):
            expect_eq(None, t, path)
        else:
            expect_eq(v, float(t), path)
    elif typ in ("bytes", "fixed") and logical == "decimal" and isinstance(v, decimal.Decimal):
        prec = schema.props.get("precision", 0)
        if prec > 38:
            expect_eq(float(v), float(t), path)
        else:
            expect_eq(v, decimal.Decimal(t), path)
    elif typ == "fixed" and logical == "uuid" and getattr(schema, "size", 0) == 16:
        expect_eq(str(uuid.UUID(bytes=v)), t, path)
    elif typ == "fixed" and logical == "duration" and getattr(schema, "size", 0) == 12:
        mo, da, ms = struct.unpack("<III", v)
        expect_eq({"months": mo, "days": da, "millis": ms}, t, path)
    elif typ in ("bytes", "fixed"):
        expect_eq(base64.b64encode(v).decode(), t, path)
    elif typ in ("string", "enum"):
        expect_eq(str(v), t, path)
    elif typ == "array":
        if not isinstance(t, list) or len(t) != len(v):
            raise Mismatch("%s: python %r, tarn %r" % (path, v, t))
        for k, (a, b) in enumerate(zip(v, t)):
            compare(schema.items, a, b, "%s[%d]" % (path, k))
    elif typ == "map":
        if not isinstance(t, dict) or sorted(t) != sorted(v):
            raise Mismatch("%s: python %r, tarn %r" % (path, v, t))
        for k in v:
            compare(schema.values, v[k], t[k], "%s[%r]" % (path, k))
    elif typ in ("record", "error"):
        if not isinstance(t, dict):
            raise Mismatch("%s: tarn %r is not an object" % (path, t))
        names = [f.name for f in schema.fields]
        if sorted(names) != sorted(t):
            raise Mismatch("%s: fields %r, tarn has %r" % (path, names, list(t)))
        for f in schema.fields:
            compare(f.type, v[f.name], t[f.name], (path + "." if path else "") + f.name)
    else:
        raise Mismatch("%s: unhandled Avro type %s" % (path, typ))


def read_rows(path, reader_schema=None):
    with open(path, "rb") as fh:
        dr = avro.io.DatumReader(readers_schema=reader_schema)
        with avro.datafile.DataFileReader(fh, dr) as r:
            writer = avro.schema.parse(r.meta["avro.schema"].decode())
            return writer, list(r)


def cmd_check(args):
    path, tarn_jsonl = args[0], args[1]
    reader = avro.schema.parse(open(args[2]).read()) if len(args) > 2 else None
    writer, rows = read_rows(path, reader)
    schema = reader or writer
    with open(tarn_jsonl) as fh:
        tarn_rows = [json.loads(line, parse_float=decimal.Decimal) for line in fh if line.strip()]
    if len(rows) != len(tarn_rows):
        print("%s: python3-avro reads %d rows, tarn %d" % (path, len(rows), len(tarn_rows)))
        return 1
    top_record = schema.type == "record"
    for k, (v, t) in enumerate(zip(rows, tarn_rows)):
        try:
            if top_record:
                compare(schema, v, t, "")
            else:
                compare(schema, v, t["value"], "value")
        except Mismatch as e:
            print("%s: row %d: %s" % (path, k, e))
            return 1
    print("%s: %d rows equal" % (path, len(rows)))
    return 0


def same_value(a, b):
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or (a == b and math.copysign(1, a) == math.copysign(1, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return sorted(a) == sorted(b) and all(same_value(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b))
    return type(a) == type(b) and a == b


def cmd_same(args):
    _, a = read_rows(args[0])
    _, b = read_rows(args[1])
    if len(a) != len(b):
        print("%d rows vs %d" % (len(a), len(b)))
        return 1
    for k, (x, y) in enumerate(zip(a, b)):
        if not same_value(x, y):
            print("row %d differs:\n  %r\n  %r" % (k, x, y))
            return 1
    print("%d rows equal" % len(a))
    return 0


def write_file(path, schema, rows, codec):
    with open(path, "wb") as fh:
        w = avro.datafile.DataFileWriter(fh, avro.io.DatumWriter(), avro.schema.parse(json.dumps(schema)), codec=codec)
        for r in rows:
            w.append(r)
        w.close()


def cmd_gen(args):
    out = args[0]
    os.makedirs(out, exist_ok=True)
    rows = types_rows(300)
    for codec in CODECS:
        p = os.path.join(out, "types_%s.avro" % codec)
        write_file(p, TYPES_SCHEMA, rows, codec)
        print(p)
    with open(os.path.join(out, "types.avsc"), "w") as fh:
        json.dump(TYPES_SCHEMA, fh)
    for name, ws, wrows, rs in EVOLUTION:
        p = os.path.join(out, name + ".avro")
        write_file(p, ws, wrows, "deflate")
        with open(os.path.join(out, name + ".reader.avsc"), "w") as fh:
            json.dump(rs, fh)
        print(p)
    # A top-level union (not a record) and a top-level array.
    write_file(os.path.join(out, "top_union.avro"), ["null", "long", "string"], [None, 5, "x", 7], "null")
    write_file(os.path.join(out, "top_array.avro"), {"type": "array", "items": "int"}, [[1, 2], [], [3]], "null")
    return 0


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "gen":
        return cmd_gen(args)
    if cmd == "check":
        return cmd_check(args)
    if cmd == "same":
        return cmd_same(args)
    if cmd == "codecs":
        print(" ".join(CODECS))
        return 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main())
