#!/usr/bin/env node
// page_index_check.mjs — checks a Parquet file's page index (as hyparquet
// reads it, via hyparquet_page_index.mjs's logic) against the data as DuckDB
// reads it. For every flat column chunk:
//   * the OffsetIndex pages are contiguous, start at the chunk's first data
//     page, end at the chunk's end, first_row_index starts at 0, rises, and
//     stays below the row group's rows;
//   * with a ColumnIndex: per page, DuckDB's min, max and null count over
//     that page's rows equal min_values, max_values (strings up to 64 bytes;
//     floats by value), null_counts and null_pages; boundary_order agrees
//     with the pages' bounds.
// Prints "ok CHUNKS PAGES" or the first difference (exit 1).
//
// Usage: node tests/peers/page_index_check.mjs FILE [COLUMN...]
import { DuckDBInstance } from '@duckdb/node-api';
import { asyncBufferFromFile, parquetMetadataAsync, readColumnIndex, readOffsetIndex } from 'hyparquet';

const [file, ...only] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: node page_index_check.mjs FILE [COLUMN...]\n');
  process.exit(2);
}
const fail = (m) => { process.stdout.write(`page index mismatch: ${m}\n`); process.exit(1); };
const q = (s) => `'${s.replaceAll("'", "''")}'`;
const num = (v) => (typeof v === 'bigint' ? Number(v) : v);
const same = (a, b) => {
  if (a === null || a === undefined || b === null || b === undefined) return a == b;
  if (a instanceof Date) {
    // DuckDB prints dates as 2000-01-01 and timestamps as 2020-01-01 00:00:00
    // (with a zone for TIMESTAMPTZ: 2022-06-01 12:00:00+00)
    let t = String(b).replace(' ', 'T');
    if (!t.includes('T')) t += 'T00:00:00Z';
    else if (/T.*[+-]\d\d$/.test(t)) t += ':00';
    else if (!/T.*[+-]\d\d:\d\d$/.test(t)) t += 'Z';
    return a.getTime() === Date.parse(t);
  }
  if (typeof a === 'bigint' || typeof b === 'bigint') return BigInt(a) === BigInt(b);
  if (typeof a === 'number' && typeof b === 'object') {
    // a DuckDB decimal; hyparquet gives decimals as JS numbers (rounded)
    const x = Number(String(b));
    return Math.abs(a - x) <= 1e-12 * Math.max(1, Math.abs(x));
  }
  if (typeof a === 'number' || typeof b === 'number') return Number(a) === Number(b);
  return String(a) === String(b);
};
const buf = await asyncBufferFromFile(file);
const metadata = await parquetMetadataAsync(buf);
const slice = async (o, n) => ({ view: new DataView(await buf.slice(Number(o), Number(o) + n)), offset: 0 });
const leaves = metadata.schema.filter((e) => !e.num_children);
const instance = await DuckDBInstance.create(':memory:', { threads: '2' });
const con = await instance.connect();
let chunks = 0, pages = 0, rgStart = 0;
for (const [g, rg] of metadata.row_groups.entries()) {
  const nrows = Number(rg.num_rows);
  for (const [c, cc] of rg.columns.entries()) {
    const md = cc.meta_data;
    const name = md.path_in_schema.join('.');
    const where = `row group ${g}, column ${name}`;
    if (only.length && !only.includes(name)) continue;
    if (cc.offset_index_offset === undefined) fail(`${where}: no offset index`);
    const locs = readOffsetIndex(await slice(cc.offset_index_offset, cc.offset_index_length)).page_locations;
    if (!locs.length) fail(`${where}: no pages`);
    if (num(locs[0].offset) !== num(md.data_page_offset)) fail(`${where}: first page at ${locs[0].offset}, data_page_offset ${md.data_page_offset}`);
    if (num(locs[0].first_row_index) !== 0) fail(`${where}: first_row_index[0] = ${locs[0].first_row_index}`);
    for (let i = 1; i < locs.length; i++) {
      if (num(locs[i - 1].offset) + locs[i - 1].compressed_page_size !== num(locs[i].offset)) fail(`${where}: page ${i} not contiguous`);
      if (!(num(locs[i].first_row_index) > num(locs[i - 1].first_row_index) && num(locs[i].first_row_index) < nrows)) fail(`${where}: page ${i} first_row_index ${locs[i].first_row_index}`);
    }
    const last = locs[locs.length - 1];
    const start = num(md.dictionary_page_offset ?? md.data_page_offset);
    if (num(last.offset) + last.compressed_page_size !== start + num(md.total_compressed_size)) fail(`${where}: pages do not end at the chunk's end`);
    chunks++;
    pages += locs.length;
    if (cc.column_index_offset === undefined || md.path_in_schema.length > 1) continue;
    const ci = readColumnIndex(await slice(cc.column_index_offset, cc.column_index_length), leaves[c]);
    if (ci.null_pages.length !== locs.length) fail(`${where}: ${ci.null_pages.length} column index entries for ${locs.length} pages`);
    for (let i = 0; i < locs.length; i++) {
      const lo = rgStart + num(locs[i].first_row_index);
      const hi = rgStart + (i + 1 < locs.length ? num(locs[i + 1].first_row_index) : nrows);
      const col = `"${name.replaceAll('"', '""')}"`;
      const r = await con.runAndReadAll(`SELECT min(${col}), max(${col}), count(*) - count(${col}), count(${col}) FROM read_parquet(${q(file)}, file_row_number = true) WHERE file_row_number >= ${lo} AND file_row_number < ${hi}`);
      const [mn, mx, nulls, nonnull] = r.getRows()[0];
      const pw = `${where}, page ${i} (rows ${lo}..${hi})`;
      if (ci.null_counts && num(ci.null_counts[i]) !== num(nulls)) fail(`${pw}: null_counts ${ci.null_counts[i]}, DuckDB ${nulls}`);
      if (ci.null_pages[i] !== (num(nonnull) === 0)) fail(`${pw}: null_pages ${ci.null_pages[i]}, DuckDB counts ${nonnull} values`);
      if (ci.null_pages[i]) continue;
      const text = typeof mn === 'string';
      if (!(text && String(mn).length > 64) && !same(ci.min_values[i], mn)) fail(`${pw}: min ${ci.min_values[i]}, DuckDB ${mn}`);
      if (!(text && String(mx).length > 64) && !same(ci.max_values[i], mx)) fail(`${pw}: max ${ci.max_values[i]}, DuckDB ${mx}`);
    }
    const nn = [...ci.null_pages.keys()].filter((i) => !ci.null_pages[i]);
    const le = (a, b) => (typeof a === 'string' ? Buffer.compare(Buffer.from(a), Buffer.from(b)) <= 0 : a <= b);
    let asc = true, desc = true;
    for (let k = 1; k < nn.length; k++) {
      const [a, b] = [nn[k - 1], nn[k]];
      asc &&= le(ci.min_values[a], ci.min_values[b]) && le(ci.max_values[a], ci.max_values[b]);
      desc &&= le(ci.min_values[b], ci.min_values[a]) && le(ci.max_values[b], ci.max_values[a]);
    }
    const want = asc ? 'ASCENDING' : desc ? 'DESCENDING' : 'UNORDERED';
    if (ci.boundary_order !== want) fail(`${where}: boundary_order ${ci.boundary_order}, pages say ${want}`);
  }
  rgStart += nrows;
}
process.stdout.write(`ok ${chunks} ${pages}\n`);
