#!/usr/bin/env node
// duckdb_dump.mjs — DuckDB's reading of Parquet files, one canonical line per
// row, for comparison with tarn (tests/unit/parquet_corpus.c writes the same
// form from tarn's arrays).
//
// Usage: node tests/peers/duckdb_dump.mjs OUTDIR FILE...
//   For the i-th FILE writes OUTDIR/i.txt: the rows, or a first line
//   "ERROR <message>" when DuckDB cannot read the file.
//
// The canonical form of a row is described in canon.mjs.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { duckCanon } from './canon.mjs';

const [outDir, ...files] = process.argv.slice(2);
if (!outDir) {
  process.stderr.write('usage: node duckdb_dump.mjs OUTDIR FILE...\n');
  process.exit(2);
}
mkdirSync(outDir, { recursive: true });

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
      lines.push(`[${row.map((v, c) => duckCanon(v, types[c])).join(',')}]`);
    }
    writeFileSync(out, lines.length ? lines.join('\n') + '\n' : '');
  } catch (err) {
    writeFileSync(out, `ERROR ${String(err.message).replaceAll('\n', ' ')}\n`);
  }
}
con.closeSync();
instance.closeSync();
