#!/usr/bin/env node
// compare.mjs — compares two files of canonical rows (canon.mjs); decimals
// given as JS numbers ("d~") match exact ones to double precision. Prints the
// first difference and exits 1 when they differ.
//
// Usage: node tests/peers/compare.mjs EXPECTED ACTUAL [LABEL]
import { readFileSync } from 'node:fs';
import { rowsEqual } from './canon.mjs';

const [a, b, label = 'rows'] = process.argv.slice(2);
const ra = readFileSync(a, 'utf8').split('\n').filter(Boolean);
const rb = readFileSync(b, 'utf8').split('\n').filter(Boolean);
if (ra.length !== rb.length) {
  process.stderr.write(`${label}: ${ra.length} expected rows, ${rb.length} actual\n`);
  process.exit(1);
}
for (let i = 0; i < ra.length; i++) {
  if (!rowsEqual(JSON.parse(ra[i]), JSON.parse(rb[i]))) {
    process.stderr.write(`${label}: row ${i + 1} differs\n  expected: ${ra[i].slice(0, 600)}\n  actual:   ${rb[i].slice(0, 600)}\n`);
    process.exit(1);
  }
}
process.stdout.write(`${label}: ${ra.length} rows equal\n`);
