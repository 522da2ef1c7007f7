// sql_equiv.mjs - checks that pairs of SQL texts mean the same to DuckDB.
//
// Usage: node tests/peers/sql_equiv.mjs CASES.json
//
// CASES.json is {"setup": "SQL run first (may be empty)", "pairs": [[name,
// sqlA, sqlB], ...]}. Each pair runs in one in-memory DuckDB (after the
// setup); both results must be equal, row for row, as JSON. The SQL
// parser's unit test (tests/unit/sql_parse.c) writes the pairs: a query as
// written and tarn's normalized print of it, so a precedence or printing
// mistake shows up as a different answer from the reference engine.
// Prints one line per mismatch and exits 1 if there is any.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(here + '/package.json');
const { DuckDBInstance } = require('@duckdb/node-api');

const cases = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const inst = await DuckDBInstance.create(':memory:', { threads: '1' });
const con = await inst.connect();
if (cases.setup) await con.run(cases.setup);

const show = (v) => JSON.stringify(v, (k, x) => (typeof x === 'bigint' ? x.toString() : x));
async function rows(sql) {
  try {
    const r = await con.runAndReadAll(sql);
    return show(r.getRowsJson());
  } catch (e) {
    return 'ERROR ' + e.message.split('\n')[0];
  }
}

let bad = 0;
for (const [name, a, b] of cases.pairs) {
  const ra = await rows(a), rb = await rows(b);
  if (ra.startsWith('ERROR')) {
    console.log(`${name}: DuckDB rejects the original: ${ra}\n  ${a}`);
    bad++;
  } else if (ra !== rb) {
    console.log(`${name}: results differ\n  original: ${a}\n  printed:  ${b}\n  ${ra}\n  ${rb}`);
    bad++;
  }
}
console.log(`${cases.pairs.length - bad} of ${cases.pairs.length} pairs agree`);
process.exit(bad ? 1 : 0);
