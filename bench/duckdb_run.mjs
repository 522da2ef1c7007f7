#!/usr/bin/env node
// duckdb_run.mjs - runs one DuckDB SQL job for tarn's benchmarks.
//
// Usage: node bench/duckdb_run.mjs [--print] [--threads N] "SQL"
//
// Opens an in-memory DuckDB (through @duckdb/node-api) with one thread per
// core unless --threads says otherwise, runs the SQL (one statement or
// several separated by ';') and exits 0, or prints DuckDB's error and exits 1.
// With --print, the last statement's result is written to stdout as
// tab-separated lines with a header (handy for spot checks: DESCRIBE, counts).
// Stdout is otherwise silent so that timing wrappers see only their own output.
//
// Uses tests/peers' @duckdb/node-api when installed, else bench's own; if
// neither is there, runs `npm install --prefix bench` first.

import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';

const benchDir = dirname(fileURLToPath(import.meta.url));

function usage() {
  process.stderr.write('usage: node duckdb_run.mjs [--print] [--threads N] "SQL"\n');
  process.exit(2);
}

let print = false;
let threads = availableParallelism();
let sql = null;
const args = process.argv.slice(2);
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--print') print = true;
  else if (args[i] === '--threads' && i + 1 < args.length) threads = Number(args[++i]);
  else if (args[i].startsWith('--')) usage();
  else if (sql === null) sql = args[i];
  else usage();
}
if (sql === null || !(threads >= 1)) usage();

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
const { DuckDBInstance } = await import(pathToFileURL(require.resolve('@duckdb/node-api')).href);

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

function cell(v) {
  if (v === null) return 'NULL';
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}
