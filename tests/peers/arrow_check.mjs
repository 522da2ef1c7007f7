#!/usr/bin/env node
// arrow_check.mjs — the apache-arrow (JS) side of tarn's Arrow IPC tests
// (tests/integration/arrow_peers.sh).
//
//   node arrow_check.mjs rows FILE        canonical rows (canon.mjs form), one per line
//   node arrow_check.mjs schema FILE      "name: Type" per field (time zones included)
//   node arrow_check.mjs write DIR        JS-written test files + DIR/<name>.rows references
//
// Rows are read from the raw buffers (Data objects), not through the
// convenience getters, which round timestamps to milliseconds. Values whose
// Arrow type tarn maps to a nearby tarn type are spelled by value, so both
// sides compare equal: float16 like any float, date64 as days, durations as
// integers, intervals as an integer (months) or an object of their parts,
// dictionary-encoded values as the values.
//
// Buffer compression: apache-arrow takes codecs from a registry. LZ4_FRAME is
// implemented below (a plain greedy LZ4 block compressor and a decoder, in the
// LZ4 frame format); ZSTD decodes with fzstd (installed with the peers) and
// encodes with the zstd command-line tool.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as A from 'apache-arrow';
import { decompress as zstdDecompress } from 'fzstd';
import { decimal, floatBits, hex } from './canon.mjs';

// ---- LZ4 frame ---------------------------------------------------------------------------

const P1 = 2654435761, P2 = 2246822519, P3 = 3266489917, P4 = 668265263, P5 = 374761393;
const rotl = (x, r) => ((x << r) | (x >>> (32 - r))) >>> 0;
const mul = (a, b) => Math.imul(a, b) >>> 0;

// XXH32 with seed 0 of fewer than 16 bytes (the frame descriptor checksum).
function xxh32Short(b) {
  let h = (P5 + b.length) >>> 0, i = 0;
  for (; i + 4 <= b.length; i += 4) {
    const w = (b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24)) >>> 0;
    h = mul(rotl((h + mul(w, P3)) >>> 0, 17), P4);
  }
  for (; i < b.length; i++) h = mul(rotl((h + mul(b[i], P5)) >>> 0, 11), P1);
  h ^= h >>> 15; h = mul(h, P2); h ^= h >>> 13; h = mul(h, P3); h ^= h >>> 16;
  return h >>> 0;
}

class Out {
  constructor(n) { this.b = new Uint8Array(Math.max(64, n)); this.n = 0; }
  need(k) { if (this.n + k > this.b.length) { const nb = new Uint8Array(Math.max(this.b.length * 2, this.n + k)); nb.set(this.b.subarray(0, this.n)); this.b = nb; } }
  byte(x) { this.need(1); this.b[this.n++] = x; }
  bytes(a) { this.need(a.length); this.b.set(a, this.n); this.n += a.length; }
  u32(x) { this.need(4); for (let k = 0; k < 4; k++) this.b[this.n++] = (x >>> (8 * k)) & 255; }
  len(x) { while (x >= 255) { this.byte(255); x -= 255; } this.byte(x); }
  done() { return this.b.slice(0, this.n); }
}

// One LZ4 block (greedy, 64K window); the format's end rules: the last 5
// bytes are literals and no match starts in the last 12.
function lz4Block(src) {
  const n = src.length, o = new Out(n + (n >> 8) + 16), table = new Int32Array(1 << 14).fill(-1);
  let anchor = 0, i = 0;
  const emit = (litEnd, off, mlen) => {
    const lit = litEnd - anchor;
    o.byte((Math.min(lit, 15) << 4) | (mlen ? Math.min(mlen - 4, 15) : 0));
    if (lit >= 15) o.len(lit - 15);
    o.bytes(src.subarray(anchor, litEnd));
    if (!mlen) return;
    o.byte(off & 255); o.byte(off >> 8);
    if (mlen - 4 >= 15) o.len(mlen - 4 - 15);
  };
  while (i < n - 12) {
    const w = (src[i] | (src[i + 1] << 8) | (src[i + 2] << 16) | (src[i + 3] << 24)) >>> 0;
    const h = mul(w, P1) >>> 18, ref = table[h];
    table[h] = i;
    if (ref >= 0 && i - ref < 65536 && src[ref] === src[i] && src[ref + 1] === src[i + 1] &&
        src[ref + 2] === src[i + 2] && src[ref + 3] === src[i + 3]) {
      let len = 4;
      while (i + len < n - 5 && src[ref + len] === src[i + len]) len++;
      emit(i, i - ref, len);
      i += len; anchor = i;
    } else i++;
  }
  emit(n, 0, 0);
  return o.done();
}

function lz4FrameEncode(src) {
  const o = new Out(src.length + 64);
  o.u32(0x184d2204);
  const desc = [0x68, 0x70]; // version 1, independent blocks, content size; 4 MB blocks
  for (let k = 0; k < 8; k++) desc.push(k < 4 ? (src.length >>> (8 * k)) & 255 : 0);
  o.bytes(desc);
  o.byte((xxh32Short(Uint8Array.from(desc)) >>> 8) & 255);
  for (let at = 0; at < src.length; at += 4 << 20) {
    const chunk = src.subarray(at, Math.min(src.length, at + (4 << 20)));
    const z = lz4Block(chunk);
    if (z.length < chunk.length) { o.u32(z.length); o.bytes(z); } else { o.u32((chunk.length | 0x80000000) >>> 0); o.bytes(chunk); }
  }
  o.u32(0);
  return o.done();
}

function lz4BlockDecode(src, o) {
  let i = 0;
  while (i < src.length) {
    const tok = src[i++];
    let lit = tok >> 4;
    if (lit === 15) { let b; do { b = src[i++]; lit += b; } while (b === 255); }
    o.bytes(src.subarray(i, i + lit)); i += lit;
    if (i >= src.length) break;
    const off = src[i] | (src[i + 1] << 8); i += 2;
    let ml = tok & 15;
    if (ml === 15) { let b; do { b = src[i++]; ml += b; } while (b === 255); }
    ml += 4;
    if (off === 0 || off > o.n) throw new Error('lz4: bad match offset');
    o.need(ml);
    for (let k = 0; k < ml; k++) o.b[o.n + k] = o.b[o.n - off + k];
    o.n += ml;
  }
}

function lz4FrameDecode(src) {
  const u32 = (k) => (src[k] | (src[k + 1] << 8) | (src[k + 2] << 16) | (src[k + 3] << 24)) >>> 0;
  if (u32(0) !== 0x184d2204) throw new Error('lz4: not an LZ4 frame');
  const flg = src[4];
  let i = 6;
  if (flg & 8) i += 8;
  if (flg & 1) i += 4;
  i++; // header checksum
  const o = new Out(src.length * 4);
  for (;;) {
    const size = u32(i); i += 4;
    if (size === 0) break;
    const n = size & 0x7fffffff;
    if (size & 0x80000000) o.bytes(src.subarray(i, i + n)); else lz4BlockDecode(src.subarray(i, i + n), o);
    i += n;
    if (flg & 0x10) i += 4;
  }
  return o.done();
}

function zstdEncode(src) {
  return new Uint8Array(execFileSync('zstd', ['-q', '-c', '-3'], { input: src, maxBuffer: 1 << 30 }));
}

A.compressionRegistry.set(A.CompressionType.LZ4_FRAME, { encode: lz4FrameEncode, decode: lz4FrameDecode });
A.compressionRegistry.set(A.CompressionType.ZSTD, { encode: zstdEncode, decode: (b) => zstdDecompress(b).slice() });

// ---- canonical rows ----------------------------------------------------------------------

const NS = { [A.TimeUnit.SECOND]: 1000000000n, [A.TimeUnit.MILLISECOND]: 1000000n, [A.TimeUnit.MICROSECOND]: 1000n, [A.TimeUnit.NANOSECOND]: 1n };

function half(u) {
  const s = u >> 15 ? -1 : 1, e = (u >> 10) & 31, f = u & 1023;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

function bytesOf(d, i) {
  const t = d.type.typeId;
  if (t === A.Type.FixedSizeBinary) return d.values.subarray(i * d.type.byteWidth, (i + 1) * d.type.byteWidth);
  if (t === A.Type.BinaryView || t === A.Type.Utf8View) {
    const v = new DataView(d.values.buffer, d.values.byteOffset + i * 16, 16), n = v.getInt32(0, true);
    if (n <= 12) return d.values.subarray(i * 16 + 4, i * 16 + 4 + n);
    return d.variadicBuffers[v.getInt32(8, true)].subarray(v.getInt32(12, true), v.getInt32(12, true) + n);
  }
  return d.values.subarray(Number(d.valueOffsets[i]), Number(d.valueOffsets[i + 1]));
}

// The value at vector-level index k of a (dictionary) vector.
function vecValue(vec, k) {
  for (const d of vec.data) {
    if (k < d.length) return cell(d, k);
    k -= d.length;
  }
  throw new Error('dictionary index out of range');
}

function cell(d, i) {
  if (!d.getValid(i)) return 'null';
  const ty = d.type;
  switch (ty.typeId) {
    case A.Type.Null: return 'null';
    case A.Type.Bool: { const j = d.offset + i; return (d.values[j >> 3] >> (j & 7)) & 1 ? 'true' : 'false'; }
    case A.Type.Int: return String(d.values[i]);
    case A.Type.Float: return floatBits(ty.precision === A.Precision.HALF ? half(d.values[i]) : d.values[i]);
    case A.Type.Decimal: {
      const w = ty.bitWidth / 32;
      let v = 0n;
      for (let k = w - 1; k >= 0; k--) v = (v << 32n) | BigInt(d.values[i * w + k]);
      if (v >> BigInt(ty.bitWidth - 1)) v -= 1n << BigInt(ty.bitWidth);
      return decimal(v, ty.scale);
    }
    case A.Type.Utf8: case A.Type.LargeUtf8: case A.Type.Utf8View:
      return JSON.stringify(new TextDecoder().decode(bytesOf(d, i)));
    case A.Type.Binary: case A.Type.LargeBinary: case A.Type.BinaryView: case A.Type.FixedSizeBinary:
      return `"x:${hex(bytesOf(d, i))}"`;
    case A.Type.Date:
      if (ty.unit === A.DateUnit.DAY) return `"D:${d.values[i]}"`;
      { const ms = BigInt(d.values[i]); let dd = ms / 86400000n; if (ms % 86400000n < 0n) dd -= 1n; return `"D:${dd}"`; }
    case A.Type.Time: return `"t:${BigInt(d.values[i]) * NS[ty.unit]}"`;
    case A.Type.Timestamp: return `"T:${BigInt(d.values[i]) * NS[ty.unit]}"`;
    case A.Type.Duration: return String(d.values[i]);
    case A.Type.Interval:
      if (ty.unit === A.IntervalUnit.YEAR_MONTH) return String(d.values[i]);
      if (ty.unit === A.IntervalUnit.DAY_TIME) return `{"days":${d.values[2 * i]},"milliseconds":${d.values[2 * i + 1]}}`;
      { const v = d.values, ns = (BigInt(v[4 * i + 3]) << 32n) | BigInt(v[4 * i + 2] >>> 0);
        return `{"months":${v[4 * i]},"days":${v[4 * i + 1]},"nanoseconds":${ns}}`; }
    case A.Type.List: case A.Type.LargeList: {
      const c = d.children[0], out = [];
      for (let k = Number(d.valueOffsets[i]); k < Number(d.valueOffsets[i + 1]); k++) out.push(cell(c, k));
      return `[${out.join(',')}]`;
    }
    case A.Type.FixedSizeList: {
      const c = d.children[0], n = ty.listSize, out = [];
      for (let k = i * n; k < (i + 1) * n; k++) out.push(cell(c, k));
      return `[${out.join(',')}]`;
    }
    case A.Type.Struct:
      return `{${ty.children.map((f, k) => `${JSON.stringify(f.name)}:${cell(d.children[k], i)}`).join(',')}}`;
    case A.Type.Map: {
      const e = d.children[0], out = [];
      for (let k = d.valueOffsets[i]; k < d.valueOffsets[i + 1]; k++) out.push(`[${cell(e.children[0], k)},${cell(e.children[1], k)}]`);
      return `[${out.join(',')}]`;
    }
    case A.Type.Dictionary: return vecValue(d.dictionary, Number(d.values[i]));
  }
  throw new Error(`no canonical form for ${ty}`);
}

function rows(table) {
  const out = [];
  for (const batch of table.batches) {
    const cols = table.schema.fields.map((_, k) => batch.data.children[k]);
    for (let i = 0; i < batch.numRows; i++) out.push(`[${cols.map((c) => cell(c, i)).join(',')}]`);
  }
  return out;
}

function load(file) {
  return A.tableFromIPC(readFileSync(file));
}

// ---- what JS writes ------------------------------------------------------------------------

// raw (optional): the exact stored value of row i, set after building (the
// timestamp builders take milliseconds).
function column(type, n, gen, seed, raw) {
  const b = A.makeBuilder({ type, nullValues: [null, undefined] });
  for (let i = 0; i < n; i++) b.append((i + seed) % 9 === 4 ? null : gen(i + seed));
  const v = b.finish().toVector();
  if (raw) for (let i = 0; i < n; i++) if ((i + seed) % 9 !== 4) v.data[0].values[i] = raw(i + seed);
  return v;
}

const f = (name, type, nullable = true) => new A.Field(name, type, nullable);
const dec = (v, w) => { const a = new Uint32Array(w / 32); let x = BigInt.asUintN(w, BigInt(v)); for (let k = 0; k < a.length; k++) { a[k] = Number(x & 0xffffffffn); x >>= 32n; } return a; };

const TYPES = [
  ['b', new A.Bool(), (i) => i % 3 === 0],
  ['i8', new A.Int8(), (i) => (i % 256) - 128],
  ['i16', new A.Int16(), (i) => (i * 37 % 65536) - 32768],
  ['i32', new A.Int32(), (i) => i * 100003 - 7],
  ['i64', new A.Int64(), (i) => BigInt(i) * 1000000007n - 9000000000000n],
  ['u8', new A.Uint8(), (i) => i % 256],
  ['u16', new A.Uint16(), (i) => i * 7 % 65536],
  ['u32', new A.Uint32(), (i) => 4000000000 - i],
  ['u64', new A.Uint64(), (i) => 18000000000000000000n + BigInt(i)],
  ['f16', new A.Float16(), (i) => i / 8 - 100],
  ['f32', new A.Float32(), (i) => i / 7],
  ['f64', new A.Float64(), (i) => i / 3 - 1e6],
  ['d128', new A.Decimal(3, 20, 128), (i) => dec(i * 1234567 - 99999, 128)],
  ['d256', new A.Decimal(2, 30, 256), (i) => dec(BigInt(i) * -12345678901234n, 256)],
  ['s', new A.Utf8(), (i) => `héllo ${i % 50}`],
  ['ls', new A.LargeUtf8(), (i) => `large ${i}`],
  ['sv', new A.Utf8View(), (i) => i % 2 ? `short${i % 10}` : `a view string longer than twelve ${i}`],
  ['bin', new A.Binary(), (i) => Uint8Array.from([i & 255, 0, 255, i % 7])],
  ['lbin', new A.LargeBinary(), (i) => new Uint8Array(i % 5).fill(i & 255)],
  ['bv', new A.BinaryView(), (i) => new Uint8Array(i % 20).fill(7)],
  ['fsb', new A.FixedSizeBinary(3), (i) => Uint8Array.from([i & 255, (i >> 8) & 255, 9])],
  ['dd', new A.DateDay(), (i) => (i * 37 % 40000 - 20000) * 86400000],
  ['dms', new A.DateMillisecond(), (i) => (i * 41 % 40000 - 20000) * 86400000],
  ['ts_s', new A.TimeSecond(), (i) => i * 997 % 86400],
  ['tm_ms', new A.TimeMillisecond(), (i) => i * 99991 % 86400000],
  ['tm_us', new A.TimeMicrosecond(), (i) => BigInt(i) * 9999991n % 86400000000n],
  ['tm_ns', new A.TimeNanosecond(), (i) => BigInt(i) * 999999937n % 86400000000000n],
  ['tsp_s', new A.TimestampSecond(), (i) => i * 3601000],
  ['tsp_ms', new A.TimestampMillisecond('UTC'), (i) => 1600000000000 + i * 1001],
  ['tsp_us', new A.TimestampMicrosecond('America/New_York'), (i) => 0, (i) => 1600000000000000n + BigInt(i) * 1001n],
  ['tsp_ns', new A.TimestampNanosecond('+05:30'), (i) => 0, (i) => BigInt(i) * 999999999937n - 10n ** 15n],
  ['dur_s', new A.DurationSecond(), (i) => BigInt(i - 50)],
  ['dur_ns', new A.DurationNanosecond(), (i) => BigInt(i) * 123456789n],
  ['iv_ym', new A.IntervalYearMonth(), (i) => Int32Array.from([i % 5, i % 11])],
  ['iv_dt', new A.IntervalDayTime(), (i) => Int32Array.from([i, -i * 1000])],
  ['iv_mdn', new A.IntervalMonthDayNano(), (i) => Int32Array.from([i % 12, i % 30, i * 1000, 0])],
  ['l', new A.List(f('item', new A.Int32())), (i) => (i % 5 === 1 ? [] : [i, null, -i])],
  ['ll', new A.LargeList(f('item', new A.Utf8())), (i) => [`x${i}`, null]],
  ['fsl', new A.FixedSizeList(2, f('item', new A.Float64())), (i) => [i / 2, i % 3 ? null : 1e300]],
  ['nested', new A.List(f('item', new A.List(f('item', new A.Int16())))), (i) => [[i % 100], [], null]],
  ['st', new A.Struct([f('a', new A.Int32()), f('b', new A.Utf8()), f('c', new A.List(f('item', new A.Bool())))]), (i) => ({ a: i, b: i % 4 ? 'x' : null, c: [true, i % 2 === 0] })],
  ['m', new A.Map_(f('entries', new A.Struct([f('key', new A.Utf8(), false), f('value', new A.Int64())]), false)), (i) => new Map([[`k${i % 3}`, BigInt(i)], ['z', null]])],
  ['lst', new A.List(f('item', new A.Struct([f('p', new A.Bool()), f('q', new A.Float64())]))), (i) => [{ p: true, q: i + 0.5 }, null]],
  ['nul', new A.Null(), () => null],
];

function typesTable(sizes) {
  const batches = sizes.map((n, bi) => {
    const cols = Object.fromEntries(TYPES.map(([name, type, gen, raw]) => [name, column(type, n, gen, bi * 10007, raw)]));
    return new A.Table(cols).batches[0];
  });
  return new A.Table(batches);
}

// dictType: one A.Dictionary object per column, so that batches agree on
// its id.
function dictVector(values, indices, dictType) {
  const indexType = dictType.indices;
  const dict = values instanceof A.Vector ? values : A.vectorFromArray(values, new A.Utf8());
  const idx = A.makeData({ type: indexType, length: indices.length, nullCount: indices.filter((x) => x === null).length,
    nullBitmap: Uint8Array.from({ length: (indices.length + 7) >> 3 }, (_, k) => indices.slice(k * 8, k * 8 + 8).reduce((a, x, j) => a | (x === null ? 0 : 1 << j), 0)),
    data: indexType.ArrayType.from(indices.map((x) => x ?? 0)) });
  return new A.Vector([A.makeData({ ...idx, type: dictType, dictionary: dict, data: idx.values, nullBitmap: idx.nullBitmap })]);
}

function writeAll(dir) {
  mkdirSync(dir, { recursive: true });
  const save = (name, table, kind, opts, noRows) => {
    const w = kind === 'file' ? new A.RecordBatchFileWriter(opts) : new A.RecordBatchStreamWriter(opts);
    w.writeAll(table);
    writeFileSync(`${dir}/${name}`, w.toUint8Array(true));
    if (noRows) return;
    const back = rows(load(`${dir}/${name}`));
    writeFileSync(`${dir}/${name}.rows`, back.length ? back.join('\n') + '\n' : '');
  };
  const t = typesTable([700, 1, 1300]);
  save('js_types.arrow', t, 'file');
  save('js_types.arrows', t, 'stream');
  save('js_types_lz4.arrow', t, 'file', { compressionType: A.CompressionType.LZ4_FRAME });
  save('js_types_zstd.arrows', t, 'stream', { compressionType: A.CompressionType.ZSTD });

  // Dictionaries: a delta (a dictionary of two chunks) in both formats; a
  // replacement in the stream; int8 and uint16 indices; null indices.
  const vals1 = ['red', 'green', 'blue'], vals2 = ['cyan', 'magenta'];
  const idx = (n, k, s) => Array.from({ length: n }, (_, i) => ((i + s) % 7 === 3 ? null : (i * 3 + s) % k));
  const ct = new A.Dictionary(new A.Utf8(), new A.Int32());
  const d1 = dictVector(vals1, idx(40, 3, 0), ct);
  // The second batch's dictionary is the first one plus a new chunk.
  const deltaDict = new A.Vector([d1.data[0].dictionary.data[0], A.vectorFromArray(vals2, new A.Utf8()).data[0]]);
  const d2 = dictVector(deltaDict, idx(60, 5, 1), ct);
  const small = dictVector(['x', 'y'], idx(30, 2, 2), new A.Dictionary(new A.Utf8(), new A.Int8()));
  const b1 = new A.Table({ c: d1, k: A.vectorFromArray(Array.from({ length: 40 }, (_, i) => i), new A.Int32()) }).batches[0];
  const b2 = new A.Table({ c: d2, k: A.vectorFromArray(Array.from({ length: 60 }, (_, i) => i), new A.Int32()) }).batches[0];
  save('js_dict_delta.arrow', new A.Table([b1, b2]), 'file');
  save('js_dict_delta.arrows', new A.Table([b1, b2]), 'stream');
  const rep = dictVector(['one', 'two', 'three', 'four'], idx(30, 4, 3), ct);
  const b3 = new A.Table({ c: rep, k: A.vectorFromArray(Array.from({ length: 30 }, (_, i) => -i), new A.Int32()) }).batches[0];
  save('js_dict_replace.arrows', new A.Table([b1, b2, b3]), 'stream');
  save('js_dict_i8.arrow', new A.Table({ s: small, u: dictVector(['p', 'q', 'r'], idx(30, 3, 5), new A.Dictionary(new A.Utf8(), new A.Uint16())) }), 'file');

  // One batch longer than tarn's 65536-row batches.
  const n = 150000;
  save('js_big.arrow', new A.Table({
    id: A.vectorFromArray(Int32Array.from({ length: n }, (_, i) => i)),
    s: A.vectorFromArray(Array.from({ length: n }, (_, i) => (i % 11 === 0 ? null : `row ${i}`)), new A.Utf8()),
    l: A.vectorFromArray(Array.from({ length: n }, (_, i) => [i, i + 1]), new A.List(f('item', new A.Int32()))),
  }), 'file');

  // A union: tarn cannot hold it and must say so.
  const ub = A.makeBuilder({ type: new A.DenseUnion([0, 1], [f('i', new A.Int32()), f('s', new A.Utf8())]),
    valueToChildTypeId: (_b, v) => (typeof v === 'number' ? 0 : 1) });
  for (const v of [1, 'a', 2]) ub.append(v);
  const u = ub.finish().toVector();
  save('js_union.arrow', new A.Table({ id: A.vectorFromArray([1, 2, 3], new A.Int32()), u }), 'file', {}, true);
}

// ---- main ----------------------------------------------------------------------------------

const [cmd, arg] = process.argv.slice(2);
try {
  if (cmd === 'rows') {
    const r = rows(load(arg));
    process.stdout.write(r.length ? r.join('\n') + '\n' : '');
  } else if (cmd === 'schema') {
    const t = load(arg);
    process.stdout.write(t.schema.fields.map((x) => `${x.name}: ${x.type}${x.nullable ? '' : ' not null'}`).join('\n') + '\n');
  } else if (cmd === 'write') {
    writeAll(arg);
  } else {
    process.stderr.write('usage: node arrow_check.mjs rows FILE | schema FILE | write DIR\n');
    process.exit(2);
  }
} catch (err) {
  process.stderr.write(`arrow_check: ${err.stack || err.message}\n`);
  process.exitCode = 1;
}
