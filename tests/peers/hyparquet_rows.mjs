#!/usr/bin/env node
// hyparquet_rows.mjs — prints a Parquet file's rows as hyparquet reads them,
// one canonical JSON row per line (canon.mjs). All codecs via
// hyparquet-compressors; timestamps and dates read exactly (custom parsers);
// decimals come out as JS numbers ("d~..."), which compare.mjs matches
// approximately.
//
// Usage: node tests/peers/hyparquet_rows.mjs FILE
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects, parquetSchema } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { exactParsers, hypCanon } from './canon.mjs';

const [file] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: node hyparquet_rows.mjs FILE\n');
  process.exit(2);
}
try {
  const buf = await asyncBufferFromFile(file);
  const metadata = await parquetMetadataAsync(buf);
  const schema = parquetSchema(metadata);
  const rows = await parquetReadObjects({ file: buf, metadata, compressors, parsers: exactParsers, utf8: false });
  const out = rows.map((r) => `[${schema.children.map((c) => hypCanon(r[c.element.name], c)).join(',')}]`);
  process.stdout.write(out.length ? out.join('\n') + '\n' : '');
} catch (err) {
  process.stderr.write(`hyparquet_rows: ${err.stack || err.message}\n`);
  process.exitCode = 1;
}
