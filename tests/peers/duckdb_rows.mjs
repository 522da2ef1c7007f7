#!/usr/bin/env node
// duckdb_rows.mjs — prints a Parquet file's rows as DuckDB reads them, one
// canonical JSON row per line (canon.mjs).
//
// Usage: node tests/peers/duckdb_rows.mjs FILE
//        node tests/peers/duckdb_rows.mjs --csv FILE.csv --types-from FILE.parquet
//   The second form reads a CSV file (with header) giving each column the
//   type DuckDB sees in the Parquet file: the reference for a CSV that tarn
//   converted to that Parquet file.
import { DuckDBInstance } from '@duckdb/node-api';
import { duckCanon } from './canon.mjs';

const args = process.argv.slice(2);
const q = (s) => `'${s.replaceAll("'", "''")}'`;
let csv = null, typesFrom = null, file = null;
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--csv') csv = args[++i];
  else if (args[i] === '--types-from') typesFrom = args[++i];
  else file = args[i];
}
if (!(file || (csv && typesFrom))) {
  process.stderr.write('usage: node duckdb_rows.mjs FILE | --csv FILE.csv --types-from FILE.parquet\n');
  process.exit(2);
}
const instance = await DuckDBInstance.create(':memory:', { threads: '2' });
const con = await instance.connect();
try {
  let query = `SELECT * FROM read_parquet(${q(file ?? '')})`;
  if (csv) {
    const d = await con.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet(${q(typesFrom)})`);
    const cols = d.getRows().map(([name, type]) => `${q(String(name))}: ${q(String(type))}`);
    query = `SELECT * FROM read_csv(${q(csv)}, header = true, auto_detect = false, columns = {${cols.join(', ')}})`;
  }
  const reader = await con.runAndReadAll(query);
  const types = reader.columnTypes();
  const out = [];
  for (const row of reader.getRows()) out.push(`[${row.map((v, c) => duckCanon(v, types[c])).join(',')}]`);
  process.stdout.write(out.length ? out.join('\n') + '\n' : '');
} catch (err) {
  process.stderr.write(`duckdb_rows: ${err.message}\n`);
  process.exitCode = 1;
} finally {
  con.closeSync();
  instance.closeSync();
}
