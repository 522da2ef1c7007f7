#!/usr/bin/env node
// hyparquet_page_index.mjs — prints a Parquet file's page index as hyparquet
// reads it (readColumnIndex / readOffsetIndex), as JSON:
//   [{"row_group":0,"column":"a.b","offset_index":{"page_locations":[...]},
//     "column_index":{...} or null}, ...]
// one entry per column chunk that has an offset index or a column index.
// Min/max values come out as hyparquet converts them (BigInt as numbers via
// toJson, strings as text, dates/timestamps as ISO text).
//
// Usage: node tests/peers/hyparquet_page_index.mjs FILE
import { asyncBufferFromFile, parquetMetadataAsync, readColumnIndex, readOffsetIndex, toJson } from 'hyparquet';

const [file] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: node hyparquet_page_index.mjs FILE\n');
  process.exit(2);
}
try {
  const buf = await asyncBufferFromFile(file);
  const metadata = await parquetMetadataAsync(buf);
  const leaves = metadata.schema.filter((e) => e.num_children === undefined || e.num_children === 0);
  const out = [];
  const reader = async (offset, length) => ({ view: new DataView(await buf.slice(Number(offset), Number(offset) + length)), offset: 0 });
  for (const [g, rg] of metadata.row_groups.entries()) {
    for (const [c, cc] of rg.columns.entries()) {
      const entry = { row_group: g, column: cc.meta_data.path_in_schema.join('.') };
      if (cc.offset_index_offset !== undefined) {
        entry.offset_index = readOffsetIndex(await reader(cc.offset_index_offset, cc.offset_index_length));
      }
      if (cc.column_index_offset !== undefined) {
        entry.column_index = readColumnIndex(await reader(cc.column_index_offset, cc.column_index_length), leaves[c]);
      } else {
        entry.column_index = null;
      }
      if (entry.offset_index || entry.column_index) out.push(entry);
    }
  }
  process.stdout.write(JSON.stringify(toJson(out)) + '\n');
} catch (err) {
  process.stderr.write(`hyparquet_page_index: ${err.stack || err.message}\n`);
  process.exitCode = 1;
}
