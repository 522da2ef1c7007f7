#!/usr/bin/env node
// duckdb_tpch.mjs - times SQL queries hot in one DuckDB connection: the
// DuckDB half of bench/tpch.sh.
//
// Usage: node bench/duckdb_tpch.mjs [--runs N] [--threads N] [--setup SQL] FILE.sql...
//
// Opens one in-memory DuckDB (one thread per core unless --threads says
// otherwise), runs --setup once (tpch.sh creates one view per Parquet
// table), then runs each file's SQL N times (default 3), reading the whole
// result every time (runAndReadAll), and prints one JSON line per query:
// {"query": name, "times": [...], "best_s": min, "cpu_s": process CPU time
// over its runs, "rows": n, "peak_rss_mb": the process's peak RSS so far}.
// A failing query prints {"query": name, "error": message}; the exit status
// is then 1. Start-up (node, loading DuckDB) is outside every timing.

import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';

const benchDir = dirname(fileURLToPath(import.meta.url));
let runs = 3;
let threads = availableParallelism();
let setup = '';
const files = [];
const args = process.argv.slice(2);
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--runs' && i + 1 < args.length) runs = Number(args[++i]);
  else if (args[i] === '--threads' && i + 1 < args.length) threads = Number(args[++i]);
  else if (args[i] === '--setup' && i + 1 < args.length) setup = args[++i];
  else if (args[i].startsWith('--')) usage();
  else files.push(args[i]);
}
if (!files.length || !(runs >= 1) || !(threads >= 1)) usage();

function usage() {
  process.stderr.write('usage: node duckdb_tpch.mjs [--runs N] [--threads N] [--setup SQL] FILE.sql...\n');
  process.exit(2);
}

// Same module lookup as duckdb_run.mjs: the test peers' DuckDB, else bench's.
let moduleDir = null;
for (const dir of [join(benchDir, '..', 'tests', 'peers'), benchDir]) {
  if (existsSync(join(dir, 'node_modules', '@duckdb', 'node-api'))) {
    moduleDir = dir;
    break;
  }
}
if (moduleDir === null) {
  process.stderr.write('duckdb_tpch: @duckdb/node-api is not installed (make -C bench node_modules)\n');
  process.exit(2);
}
const require = createRequire(join(moduleDir, 'package.json'));
const { DuckDBInstance } = await import(pathToFileURL(require.resolve('@duckdb/node-api')).href);

const cpuNow = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

const instance = await DuckDBInstance.create(':memory:', { threads: String(threads) });
const connection = await instance.connect();
let status = 0;
try {
  if (setup) await connection.run(setup);
  for (const f of files) {
    const name = basename(f).replace(/\..*$/, '');
    const sql = readFileSync(f, 'utf8');
    const times = [];
    let rows = 0;
    const cpu0 = cpuNow();
    try {
      for (let r = 0; r < runs; r++) {
        const t0 = performance.now();
        const reader = await connection.runAndReadAll(sql);
        rows = reader.currentRowCount;
        times.push((performance.now() - t0) / 1000);
      }
      const cpu = cpuNow() - cpu0;
      const rss = process.resourceUsage().maxRSS / 1024;
      const best = Math.min(...times);
      process.stdout.write(
        `{"query":${JSON.stringify(name)},"times":[${times.map((t) => t.toFixed(4)).join(',')}],` +
          `"best_s":${best.toFixed(4)},"cpu_s":${cpu.toFixed(3)},"rows":${rows},"peak_rss_mb":${rss.toFixed(1)}}\n`,
      );
    } catch (err) {
      process.stdout.write(`{"query":${JSON.stringify(name)},"error":${JSON.stringify(String(err.message))}}\n`);
      status = 1;
    }
  }
} finally {
  connection.closeSync();
  instance.closeSync();
}
process.exitCode = status;
