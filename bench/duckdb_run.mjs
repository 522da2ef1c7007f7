#!/usr/bin/env node
// duckdb_run.mjs - runs one DuckDB SQL job for tarn's benchmarks and tests.
//
// Usage: node bench/duckdb_run.mjs [--print | --jsonl [--batch]] [--threads N] "SQL"
//
// Opens an in-memory DuckDB (through @duckdb/node-api) with one thread per
// core unless --threads says otherwise, runs the SQL (one statement or
// several separated by ';') and exits 0, or prints DuckDB's error and exits 1.
// With --print, the last statement's result is written to stdout as
// tab-separated lines with a header (handy for spot checks: DESCRIBE, counts).
// Stdout is otherwise silent so that timing wrappers see only their own output.
//
// With --jsonl, the last statement's result is written as JSON lines in the
// conventions of `tarn query --format jsonl` (docs/sql-testing.md): one
// object per row, keys in column order, values spelled as tarn's JSON writer
// spells them (src/columnar/text.h): decimals with exactly `scale` fraction
// digits, floats in the shortest form that reads back (float32: as a
// float32) with ".0" on integral values, NaN and infinities as null, dates,
// times and timestamps as ISO strings (TIMESTAMPTZ as UTC with "Z"), binary
// as base64, maps with string keys as objects. The session time zone is
// UTC. An error exits with the status tarn gives that class of error
// (1 syntax, 2 bad data/overflow, 3 I/O, 5 unsupported, 6 unknown name or
// file) - a best-effort mapping of DuckDB's error classes.
//
// --jsonl --batch serves many jobs from one process (tests/tools/sqllogic.py
// and sqlfuzz.py, which would otherwise pay node's start-up per query): it
// reads one JSON request per stdin line, {"sql": "...", "cwd": "dir"}, runs
// it in a fresh in-memory database with the working directory `cwd`, and
// answers one JSON line {"status": N, "stdout": "...", "stderr": "...",
// "columns": [...], "types": [...]} (stdout as --jsonl prints it).
//
// Uses tests/peers' @duckdb/node-api when installed, else bench's own; if
// neither is there, runs `npm install --prefix bench` first.

import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';

const benchDir = dirname(fileURLToPath(import.meta.url));

function usage() {
  process.stderr.write('usage: node duckdb_run.mjs [--print | --jsonl [--batch]] [--threads N] "SQL"\n');
  process.exit(2);
}

let print = false;
let jsonl = false;
let batch = false;
let threads = availableParallelism();
let sql = null;
const args = process.argv.slice(2);
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--print') print = true;
  else if (args[i] === '--jsonl') jsonl = true;
  else if (args[i] === '--batch') batch = true;
  else if (args[i] === '--threads' && i + 1 < args.length) threads = Number(args[++i]);
  else if (args[i].startsWith('--')) usage();
  else if (sql === null) sql = args[i];
  else usage();
}
if ((batch ? sql !== null || !jsonl : sql === null) || (print && jsonl) || !(threads >= 1)) usage();

// The test peers (tests/peers, installed by scripts/install-deps) carry the
// same pinned DuckDB; use them when present so that tests never install
// anything while they run. npm's own output goes to stderr: stdout belongs to
// --print.
const peersDir = join(benchDir, '..', 'tests', 'peers');
let moduleDir = null;
for (const dir of [peersDir, benchDir]) {
  if (existsSync(join(dir, 'node_modules', '@duckdb', 'node-api'))) {
    moduleDir = dir;
    break;
  }
}
if (moduleDir === null) {
  process.stderr.write('duckdb_run: installing @duckdb/node-api into bench/node_modules\n');
  execFileSync('npm', ['install', '--prefix', benchDir, '--no-audit', '--no-fund'], {
    stdio: ['ignore', 2, 'inherit'],
  });
  moduleDir = benchDir;
}
const require = createRequire(join(moduleDir, 'package.json'));
const duck = await import(pathToFileURL(require.resolve('@duckdb/node-api')).href);
const { DuckDBInstance } = duck;

if (batch) {
  await serveBatch();
} else if (jsonl) {
  const r = await runJsonl(sql);
  process.stdout.write(r.stdout);
  if (r.stderr) process.stderr.write(r.stderr);
  process.exitCode = r.status;
} else {
  const instance = await DuckDBInstance.create(':memory:', { threads: String(threads) });
  const connection = await instance.connect();
  try {
    if (print) {
      const reader = await connection.runAndReadAll(sql);
      const names = reader.columnNames();
      const lines = [names.join('\t')];
      for (const row of reader.getRowsJson()) lines.push(row.map(cell).join('\t'));
      process.stdout.write(lines.join('\n') + '\n');
    } else {
      await connection.run(sql);
    }
  } catch (err) {
    process.stderr.write(`duckdb_run: ${err.message}\n`);
    process.exitCode = 1;
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

function cell(v) {
  if (v === null) return 'NULL';
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

// ---- --jsonl ------------------------------------------------------------------------

// One job in a fresh database, so that a batch job sees exactly what a
// separate `tarn query` process would: nothing left over from earlier jobs.
async function runJsonl(text) {
  const instance = await DuckDBInstance.create(':memory:', { threads: String(threads) });
  const connection = await instance.connect();
  try {
    await connection.run("SET TimeZone = 'UTC'");
    const reader = await connection.runAndReadAll(text);
    const names = reader.columnNames();
    const types = reader.columnTypes();
    const keys = names.map((n) => JSON.stringify(n));
    let out = '';
    for (const row of reader.getRows()) {
      const parts = row.map((v, i) => `${keys[i]}:${jsonValue(v, types[i])}`);
      out += `{${parts.join(',')}}\n`;
    }
    return { status: 0, stdout: out, stderr: '', columns: names, types: types.map((t) => t.toString()) };
  } catch (err) {
    const msg = String(err && err.message !== undefined ? err.message : err);
    return { status: exitStatus(msg), stdout: '', stderr: `duckdb_run: ${msg}\n`, columns: [], types: [] };
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

// tarn's exit statuses (docs/cli.md) for DuckDB's error classes.
function exitStatus(msg) {
  const m = /^([A-Za-z ]+) Error:/.exec(msg);
  const kind = m ? m[1] : '';
  if (kind === 'Parser') return 1;
  if (kind === 'Binder' || kind === 'Catalog') return 6;
  if (kind === 'Conversion' || kind === 'Out of Range' || kind === 'Invalid Input' || kind === 'Constraint')
    return 2;
  if (kind === 'IO') return /No files found|No such file|does not exist/.test(msg) ? 6 : 3;
  if (kind === 'Not implemented') return 5;
  return 1;
}

async function serveBatch() {
  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of lines) {
    if (!line.trim()) continue;
    let reply;
    try {
      const req = JSON.parse(line);
      if (req.cwd) process.chdir(req.cwd);
      reply = await runJsonl(String(req.sql));
    } catch (err) {
      reply = { status: 70, stdout: '', stderr: `duckdb_run: bad request: ${err.message}\n`, columns: [], types: [] };
    }
    // One write per reply, so that the reader never sees half a line.
    await new Promise((resolve) => process.stdout.write(JSON.stringify(reply) + '\n', resolve));
  }
}

// A value of DuckDB type `type` as tarn's JSON writer spells it.
function jsonValue(v, type) {
  if (v === null || v === undefined) return 'null';
  const T = duck.DuckDBTypeId;
  switch (type.typeId) {
    case T.BOOLEAN:
      return v ? 'true' : 'false';
    case T.TINYINT: case T.SMALLINT: case T.INTEGER: case T.BIGINT: case T.HUGEINT:
    case T.UTINYINT: case T.USMALLINT: case T.UINTEGER: case T.UBIGINT: case T.UHUGEINT:
      return String(v);
    case T.FLOAT:
      return floatText(v, true);
    case T.DOUBLE:
      return floatText(v, false);
    case T.DECIMAL:
      return decimalText(v.value, type.scale);
    case T.DATE:
      return `"${dateText(v.days)}"`;
    case T.TIME:
      return `"${timeText(BigInt(v.micros), 6)}"`;
    case T.TIME_NS:
      return `"${timeText(BigInt(v.nanos), 9)}"`;
    case T.TIMESTAMP:
      return `"${timestampText(BigInt(v.micros), 6)}"`;
    case T.TIMESTAMP_TZ:
      return `"${timestampText(BigInt(v.micros), 6)}Z"`;
    case T.TIMESTAMP_S:
      return `"${timestampText(BigInt(v.seconds), 0)}"`;
    case T.TIMESTAMP_MS:
      return `"${timestampText(BigInt(v.millis), 3)}"`;
    case T.TIMESTAMP_NS:
      return `"${timestampText(BigInt(v.nanos), 9)}"`;
    case T.BLOB:
      return JSON.stringify(Buffer.from(v.bytes).toString('base64'));
    case T.LIST:
    case T.ARRAY:
      return `[${v.items.map((x) => jsonValue(x, type.valueType)).join(',')}]`;
    case T.STRUCT: {
      const names = type.entryNames;
      return `{${names.map((k, i) => `${JSON.stringify(k)}:${jsonValue(v.entries[k], type.entryTypes[i])}`).join(',')}}`;
    }
    case T.MAP: {
      if (type.keyType.typeId === T.VARCHAR)
        return `{${v.entries.map((e) => `${JSON.stringify(e.key)}:${jsonValue(e.value, type.valueType)}`).join(',')}}`;
      return `[${v.entries.map((e) => `{"key":${jsonValue(e.key, type.keyType)},"value":${jsonValue(e.value, type.valueType)}}`).join(',')}]`;
    }
    default:
      // VARCHAR, ENUM, UUID, and types tarn has no column type for
      // (INTERVAL, TIME WITH TIME ZONE, BIT, UNION, ...): DuckDB's own text.
      return JSON.stringify(typeof v === 'string' ? v : String(v));
  }
}

// text.h's float spelling: the shortest digits that read back to the same
// double (float32: the same float32; of equally short ones the nearest -
// what toPrecision gives), plain while the decimal exponent is in -5..16
// (integral values keep ".0"), else d[.ddd]e±XX.
function floatText(x, single) {
  if (!Number.isFinite(x)) return 'null';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  let sci = x.toExponential();
  if (single) {
    for (let p = 1; p <= 9; p++) {
      const s = x.toExponential(p - 1);
      if (Math.fround(Number(s)) === x) {
        sci = s;
        break;
      }
    }
  }
  const m = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(sci);
  const sign = m[1];
  const digits = m[2] + (m[3] || '');
  const e = Number(m[4]);
  if (e < -5 || e > 16) {
    const mant = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const ae = Math.abs(e);
    return `${sign}${mant}e${e < 0 ? '-' : '+'}${ae < 10 ? '0' : ''}${ae}`;
  }
  if (e < 0) return `${sign}0.${'0'.repeat(-e - 1)}${digits}`;
  const intPart = digits.length > e + 1 ? digits.slice(0, e + 1) : digits + '0'.repeat(e + 1 - digits.length);
  const frac = digits.length > e + 1 ? digits.slice(e + 1) : '0';
  return `${sign}${intPart}.${frac}`;
}

function decimalText(unscaled, scale) {
  const neg = unscaled < 0n;
  let s = (neg ? -unscaled : unscaled).toString();
  if (scale > 0) {
    s = s.padStart(scale + 1, '0');
    s = `${s.slice(0, s.length - scale)}.${s.slice(s.length - scale)}`;
  }
  return (neg ? '-' : '') + s;
}

// Days since 1970-01-01 to YYYY-MM-DD (H. Hinnant's civil_from_days); years
// outside 0000..9999 carry a sign, as text.h writes them.
function dateText(days) {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  const ys = y < 0 ? `-${String(-y).padStart(4, '0')}` : y > 9999 ? `+${y}` : String(y).padStart(4, '0');
  return `${ys}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

// v units of 10^-digits seconds since midnight: HH:MM:SS[.fraction],
// the fraction trimmed of trailing zeros.
function timeText(v, digits) {
  const per = 10n ** BigInt(digits);
  let secs = v / per;
  let frac = v % per;
  const h = secs / 3600n;
  secs %= 3600n;
  const pad = (n) => String(n).padStart(2, '0');
  let s = `${pad(h)}:${pad(secs / 60n)}:${pad(secs % 60n)}`;
  if (frac !== 0n) s += '.' + frac.toString().padStart(digits, '0').replace(/0+$/, '');
  return s;
}

function timestampText(v, digits) {
  const perDay = 86400n * 10n ** BigInt(digits);
  let days = v / perDay;
  let rest = v % perDay;
  if (rest < 0n) {
    rest += perDay;
    days -= 1n;
  }
  return `${dateText(Number(days))} ${timeText(rest, digits)}`;
}
