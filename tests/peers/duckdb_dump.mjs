#!/usr/bin/env node
// duckdb_dump.mjs — DuckDB's reading of Parquet files, one canonical line per
// row, for comparison with tarn (tests/unit/parquet_corpus.c writes the same
// form from tarn's arrays).
//
// Usage: node tests/peers/duckdb_dump.mjs OUTDIR FILE...
//   For the i-th FILE writes OUTDIR/i.txt: the rows, or a first line
//   "ERROR <message>" when DuckDB cannot read the file.
//
// Canonical form of a row: a JSON array of the column values, where
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
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  DuckDBInstance, DuckDBBlobValue, DuckDBDateValue, DuckDBDecimalValue, DuckDBListValue,
  DuckDBMapValue, DuckDBStructValue, DuckDBTimeValue, DuckDBTimestampValue,
  DuckDBTimestampTZValue, DuckDBTimestampNanosecondsValue, DuckDBTimestampMillisecondsValue,
  DuckDBTimestampSecondsValue, DuckDBTimeNSValue, DuckDBTimeTZValue, DuckDBUUIDValue,
  DuckDBArrayValue, DuckDBGeometryValue,
} from '@duckdb/node-api';

const [outDir, ...files] = process.argv.slice(2);
if (!outDir) {
  process.stderr.write('usage: node duckdb_dump.mjs OUTDIR FILE...\n');
  process.exit(2);
}
mkdirSync(outDir, { recursive: true });

const f64 = new Float64Array(1);
const u8 = new Uint8Array(f64.buffer);
function floatBits(x) {
  if (Number.isNaN(x)) return '"nan"';
  f64[0] = x;
  let s = '';
  for (let i = 7; i >= 0; i--) s += u8[i].toString(16).padStart(2, '0');
  return `"f:${s}"`;
}

function hex(bytes) {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

function decimal(v, scale) {
  while (scale > 0 && v % 10n === 0n && v !== 0n) {
    v /= 10n;
    scale--;
  }
  if (v === 0n) scale = 0;
  return `"d:${v}/${scale}"`;
}

function canon(v) {
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
    return `[${v.items.map(canon).join(',')}]`;
  if (v instanceof DuckDBStructValue)
    return `{${Object.entries(v.entries).map(([k, x]) => `${JSON.stringify(k)}:${canon(x)}`).join(',')}}`;
  if (v instanceof DuckDBMapValue)
    return `[${v.entries.map((e) => `[${canon(e.key)},${canon(e.value)}]`).join(',')}]`;
  return JSON.stringify(String(v));
}

// Column types whose DuckDB values are plain JS numbers but are floats.
function isFloatType(t) {
  const s = t.toString();
  return s === 'FLOAT' || s === 'DOUBLE';
}

function canonFloatAware(v, type) {
  if (typeof v === 'number' && isFloatType(type)) return floatBits(v);
  if (v instanceof DuckDBListValue && type.valueType) {
    return `[${v.items.map((x) => canonFloatAware(x, type.valueType)).join(',')}]`;
  }
  if (v instanceof DuckDBStructValue && type.entryTypes) {
    const names = Object.keys(v.entries);
    return `{${names.map((k, i) => `${JSON.stringify(k)}:${canonFloatAware(v.entries[k], type.entryTypes[i])}`).join(',')}}`;
  }
  if (v instanceof DuckDBMapValue && type.keyType) {
    return `[${v.entries.map((e) => `[${canonFloatAware(e.key, type.keyType)},${canonFloatAware(e.value, type.valueType)}]`).join(',')}]`;
  }
  return canon(v);
}

const instance = await DuckDBInstance.create(':memory:', { threads: '2' });
const con = await instance.connect();
for (let i = 0; i < files.length; i++) {
  const out = join(outDir, `${i}.txt`);
  try {
    const path = files[i].replaceAll("'", "''");
    const reader = await con.runAndReadAll(`SELECT * FROM read_parquet('${path}')`);
    const types = reader.columnTypes();
    const lines = [];
    for (const row of reader.getRows()) {
      lines.push(`[${row.map((v, c) => canonFloatAware(v, types[c])).join(',')}]`);
    }
    writeFileSync(out, lines.length ? lines.join('\n') + '\n' : '');
  } catch (err) {
    writeFileSync(out, `ERROR ${String(err.message).replaceAll('\n', ' ')}\n`);
  }
}
con.closeSync();
instance.closeSync();
