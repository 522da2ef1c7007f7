// canon.mjs — the canonical row form shared by tarn's Parquet tests, and the
// converters from DuckDB's and hyparquet's values to it.
//
// A row is a JSON array of its column values:
//   null, true/false            as JSON
//   integers                    bare decimal digits
//   floats                      "f:" + the 16 hex digits of the IEEE double
//                               holding the value (float32 widened), "nan"
//   decimals                    "d:" + unscaled integer + "/" + scale, with
//                               trailing zeros of the unscaled value removed
//   strings                     JSON string
//   binary, geometry (WKB)      "x:" + lowercase hex
//   date                        "D:" + days since 1970-01-01
//   time                        "t:" + nanoseconds since midnight
//   timestamp                   "T:" + nanoseconds since the epoch (UTC)
//   list                        JSON array
//   struct                      JSON object, fields in order
//   map                         JSON array of [key, value] pairs
// tests/unit/parquet_corpus.c writes the same form from tarn's arrays.
import {
  DuckDBBlobValue, DuckDBDateValue, DuckDBDecimalValue, DuckDBListValue,
  DuckDBMapValue, DuckDBStructValue, DuckDBTimeValue, DuckDBTimestampValue,
  DuckDBTimestampTZValue, DuckDBTimestampNanosecondsValue, DuckDBTimestampMillisecondsValue,
  DuckDBTimestampSecondsValue, DuckDBTimeNSValue, DuckDBTimeTZValue, DuckDBUUIDValue,
  DuckDBArrayValue, DuckDBGeometryValue,
} from '@duckdb/node-api';

const f64 = new Float64Array(1);
const u8 = new Uint8Array(f64.buffer);

export function floatBits(x) {
  if (Number.isNaN(x)) return '"nan"';
  f64[0] = x;
  let s = '';
  for (let i = 7; i >= 0; i--) s += u8[i].toString(16).padStart(2, '0');
  return `"f:${s}"`;
}

export function hex(bytes) {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

export function decimal(v, scale) {
  while (scale > 0 && v % 10n === 0n && v !== 0n) {
    v /= 10n;
    scale--;
  }
  if (v === 0n) scale = 0;
  return `"d:${v}/${scale}"`;
}

// ---- DuckDB ---------------------------------------------------------------------------

function duckValue(v) {
  if (v === null || v === undefined) return 'null';
  switch (typeof v) {
    case 'boolean': return v ? 'true' : 'false';
    case 'bigint': return v.toString();
    case 'number': return Number.isInteger(v) && !Object.is(v, -0) ? String(v) : floatBits(v);
    case 'string': return JSON.stringify(v);
  }
  if (v instanceof DuckDBBlobValue || v instanceof DuckDBGeometryValue) return `"x:${hex(v.bytes)}"`;
  if (v instanceof DuckDBDecimalValue) return decimal(v.value, v.scale);
  if (v instanceof DuckDBDateValue) return `"D:${v.days}"`;
  if (v instanceof DuckDBTimeValue) return `"t:${v.micros * 1000n}"`;
  if (v instanceof DuckDBTimeNSValue) return `"t:${v.nanos}"`;
  if (v instanceof DuckDBTimeTZValue) return `"t:${v.micros * 1000n}"`;
  if (v instanceof DuckDBTimestampValue || v instanceof DuckDBTimestampTZValue)
    return `"T:${v.micros * 1000n}"`;
  if (v instanceof DuckDBTimestampNanosecondsValue) return `"T:${v.nanos}"`;
  if (v instanceof DuckDBTimestampMillisecondsValue) return `"T:${v.millis * 1000000n}"`;
  if (v instanceof DuckDBTimestampSecondsValue) return `"T:${v.seconds * 1000000000n}"`;
  if (v instanceof DuckDBUUIDValue) return JSON.stringify(v.toString());
  if (v instanceof DuckDBListValue || v instanceof DuckDBArrayValue)
    return `[${v.items.map(duckValue).join(',')}]`;
  if (v instanceof DuckDBStructValue)
    return `{${Object.entries(v.entries).map(([k, x]) => `${JSON.stringify(k)}:${duckValue(x)}`).join(',')}}`;
  if (v instanceof DuckDBMapValue)
    return `[${v.entries.map((e) => `[${duckValue(e.key)},${duckValue(e.value)}]`).join(',')}]`;
  return JSON.stringify(String(v));
}

// DuckDB hands floats over as plain numbers, so the column type decides.
export function duckCanon(v, type) {
  const t = type.toString();
  if (typeof v === 'number' && (t === 'FLOAT' || t === 'DOUBLE')) return floatBits(v);
  if (v instanceof DuckDBListValue && type.valueType)
    return `[${v.items.map((x) => duckCanon(x, type.valueType)).join(',')}]`;
  if (v instanceof DuckDBArrayValue && type.valueType)
    return `[${v.items.map((x) => duckCanon(x, type.valueType)).join(',')}]`;
  if (v instanceof DuckDBStructValue && type.entryTypes) {
    const names = Object.keys(v.entries);
    return `{${names.map((k, i) => `${JSON.stringify(k)}:${duckCanon(v.entries[k], type.entryTypes[i])}`).join(',')}}`;
  }
  if (v instanceof DuckDBMapValue && type.keyType)
    return `[${v.entries.map((e) => `[${duckCanon(e.key, type.keyType)},${duckCanon(e.value, type.valueType)}]`).join(',')}]`;
  return duckValue(v);
}

// ---- hyparquet --------------------------------------------------------------------------

// Parsers that keep full precision (hyparquet's defaults make Dates).
export const exactParsers = {
  timestampFromMilliseconds: (ms) => ({ T: BigInt(ms) * 1000000n }),
  timestampFromMicroseconds: (us) => ({ T: BigInt(us) * 1000n }),
  timestampFromNanoseconds: (ns) => ({ T: BigInt(ns) }),
  dateFromDays: (d) => ({ D: d }),
  stringFromBytes: (b) => b && new TextDecoder().decode(b),
  jsonFromBytes: (b) => b && new TextDecoder().decode(b),
  geometryFromBytes: (b) => b,
  geographyFromBytes: (b) => b,
  uuidFromBytes: (b) => {
    if (!b) return undefined;
    const h = hex(b);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  },
};

function isList(node) {
  const e = node.element;
  return (e.converted_type === 'LIST' || e.logical_type?.type === 'LIST') && node.children.length === 1 &&
    node.children[0].element.repetition_type === 'REPEATED';
}

function isMap(node) {
  const e = node.element;
  return (e.converted_type === 'MAP' || e.converted_type === 'MAP_KEY_VALUE' || e.logical_type?.type === 'MAP') &&
    node.children.length === 1 && node.children[0].children.length === 2;
}

// hyparquet's value v for schema node `node`, in canonical form.
export function hypCanon(v, node) {
  if (v === null || v === undefined) return 'null';
  const e = node.element;
  if (isList(node)) {
    let item = node.children[0];
    if (item.children.length === 1) item = item.children[0];
    return `[${v.map((x) => hypCanon(x, item)).join(',')}]`;
  }
  if (isMap(node)) {
    const [k, val] = node.children[0].children;
    const entries = v instanceof Map ? [...v.entries()] : Object.entries(v);
    return `[${entries.map(([kk, vv]) => `[${hypKey(kk, k)},${hypCanon(vv, val)}]`).join(',')}]`;
  }
  if (node.children.length) {
    return `{${node.children.map((c) => `${JSON.stringify(c.element.name)}:${hypCanon(v[c.element.name], c)}`).join(',')}}`;
  }
  const lt = e.logical_type;
  const ct = e.converted_type;
  if (ct === 'DECIMAL' || lt?.type === 'DECIMAL') return JSON.stringify(`d~${v}/${e.scale ?? 0}`);
  if (v && typeof v === 'object' && 'T' in v) return `"T:${v.T}"`;
  if (v && typeof v === 'object' && 'D' in v) return `"D:${v.D}"`;
  if (lt?.type === 'TIME' || ct === 'TIME_MILLIS' || ct === 'TIME_MICROS') {
    const unit = lt?.unit ?? (ct === 'TIME_MILLIS' ? 'MILLIS' : 'MICROS');
    const mul = unit === 'MILLIS' ? 1000000n : unit === 'MICROS' ? 1000n : 1n;
    return `"t:${BigInt(v) * mul}"`;
  }
  switch (e.type) {
    case 'BOOLEAN': return v ? 'true' : 'false';
    case 'INT32':
    case 'INT64': return BigInt(v).toString();
    case 'FLOAT':
    case 'DOUBLE': return floatBits(v);
    case 'BYTE_ARRAY':
    case 'FIXED_LEN_BYTE_ARRAY':
      return v instanceof Uint8Array ? `"x:${hex(v)}"` : JSON.stringify(v);
  }
  return JSON.stringify(String(v));
}

function hypKey(k, node) {
  // hyparquet keeps map keys as object property names (strings).
  const e = node.element;
  if (e.type === 'INT32' || e.type === 'INT64') return BigInt(k).toString();
  return JSON.stringify(String(k));
}

// ---- comparing ---------------------------------------------------------------------------

// Equal canonical rows, where a "d~<number>/<scale>" (hyparquet gives decimals
// as JS numbers) matches "d:<unscaled>/<scale>" to within double precision.
export function rowsEqual(a, b) {
  if (a === b) return true;
  if (typeof a === 'string' && typeof b === 'string') {
    const [x, y] = a.startsWith('d~') ? [a, b] : b.startsWith('d~') ? [b, a] : [null, null];
    if (x && y.startsWith('d:')) {
      const approx = Number(x.slice(2).split('/')[0]);
      const [u, s] = y.slice(2).split('/');
      const exact = Number(u) / 10 ** Number(s);
      return Math.abs(approx - exact) <= 1e-12 * Math.max(1, Math.abs(exact));
    }
    return false;
  }
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((x, i) => rowsEqual(x, b[i]));
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const ka = Object.keys(a), kb = Object.keys(b);
    return ka.length === kb.length && ka.every((k, i) => k === kb[i] && rowsEqual(a[k], b[k]));
  }
  return false;
}
