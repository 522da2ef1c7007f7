#!/usr/bin/env node
// bloom_check.mjs — asks hyparquet's Split Block Bloom Filter code
// (readBloomFilter, hashParquetValue, sbbfContains) whether each row group's
// filter for COLUMN may contain each VALUE. Prints one JSON line:
//   {"row_groups":[{"filter":true,"bytes":N,"maybe":[true,false,...]}, ...]}
// ("filter":false, "maybe":null where a chunk has none). Values are given as
// text: numbers for integer and float columns, else strings.
// With --xxh64 TEXT... prints hyparquet's XXH64 (seed 0) of each text
// instead, as 16 hex digits per line.
//
// Usage: node tests/peers/bloom_check.mjs FILE COLUMN VALUE...
//        node tests/peers/bloom_check.mjs --xxh64 TEXT...
import { asyncBufferFromFile, parquetMetadataAsync } from 'hyparquet';
import { hashParquetValue, readBloomFilter, sbbfContains } from 'hyparquet/src/bloom.js';
import { xxhash64 } from 'hyparquet/src/xxhash.js';

const args = process.argv.slice(2);
if (args[0] === '--xxh64') {
  const enc = new TextEncoder();
  for (const t of args.slice(1)) process.stdout.write(xxhash64(enc.encode(t)).toString(16).padStart(16, '0') + '\n');
  process.exit(0);
}
const [file, column, ...values] = args;
if (!file || !column) {
  process.stderr.write('usage: node bloom_check.mjs FILE COLUMN VALUE...\n');
  process.exit(2);
}
try {
  const buf = await asyncBufferFromFile(file);
  const metadata = await parquetMetadataAsync(buf);
  const leaves = metadata.schema.filter((e) => !e.num_children);
  const out = [];
  for (const rg of metadata.row_groups) {
    const c = rg.columns.findIndex((cc) => cc.meta_data.path_in_schema.join('.') === column);
    if (c < 0) throw new Error(`no column ${column}`);
    const md = rg.columns[c].meta_data;
    if (md.bloom_filter_offset === undefined) {
      out.push({ filter: false, maybe: null });
      continue;
    }
    const off = Number(md.bloom_filter_offset);
    const len = md.bloom_filter_length ?? Math.min(buf.byteLength - off, 1 << 28);
    const bf = readBloomFilter({ view: new DataView(await buf.slice(off, off + len)), offset: 0 });
    if (!bf) throw new Error('hyparquet cannot use the Bloom filter');
    const el = leaves[c];
    const numeric = ['INT32', 'INT64', 'FLOAT', 'DOUBLE'].includes(el.type);
    const maybe = values.map((v) => {
      const x = numeric ? (el.type === 'INT64' ? BigInt(v) : Number(v)) : v;
      const h = hashParquetValue(x, el);
      if (h === undefined) throw new Error(`hyparquet cannot hash ${v} for ${el.type}`);
      return sbbfContains(bf.blocks, h);
    });
    out.push({ filter: true, bytes: bf.numBytes, maybe });
  }
  process.stdout.write(JSON.stringify({ row_groups: out }) + '\n');
} catch (err) {
  process.stderr.write(`bloom_check: ${err.stack || err.message}\n`);
  process.exitCode = 1;
}
