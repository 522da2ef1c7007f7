#!/usr/bin/env bash
# tarn convert: CSV/TSV/JSONL round trips, the summary line, --json, stdin and
# stdout, gzip/zstd in and out (checked with the gzip and zstd tools),
# --types, reader/writer options, and the output appearing only on success.
source "$(dirname "$0")/lib/cli.bash"

cat >people.csv <<'CSV'
id,name,zip,score,joined
1,Ada,02134,9.5,2021-03-04
2,Bo,10001,7.25,2022-11-30
3,Cé,00501,,2023-01-15
CSV

# CSV → JSONL → CSV keeps every row; the summary goes to stderr.
ok convert people.csv people.jsonl
err_has "converted 3 rows (people.csv → people.jsonl) in "
[ ! -s out ] || fail "convert printed to stdout"
[ "$(lines people.jsonl)" = 3 ] || fail "people.jsonl has $(lines people.jsonl) lines"
python3 - people.jsonl <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert [r["id"] for r in rows] == [1, 2, 3], rows
assert rows[2]["name"] == "Cé", rows
assert rows[2]["score"] is None, rows
PY
ok convert people.jsonl back.csv
err_has "converted 3 rows"
[ "$(lines back.csv)" = 4 ] || fail "back.csv has $(lines back.csv) lines"
grep -q '^id,name,zip,score,joined' back.csv || fail "header lost"

# --types keeps zip codes' leading zeros.
ok convert --types zip=string people.csv typed.jsonl
grep -q '"02134"' typed.jsonl || { cat typed.jsonl; fail "zip lost its leading zero"; }
grep -q '"00501"' typed.jsonl || fail "zip 00501 lost its zeros"

# --quiet: nothing on stderr. --json: one JSON object on stdout.
ok --quiet convert people.csv q.jsonl
err_empty
ok convert people.csv j.jsonl --json
err_empty
json_ok out
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["rows"]==3 and d["from"]=="csv" and d["to"]=="jsonl", d' out

# TSV out and back.
ok convert people.csv people.tsv
head -1 people.tsv | grep -q "$(printf 'id\tname')" || fail "TSV header not tab-separated"
ok convert people.tsv people2.jsonl
cmp -s people.jsonl people2.jsonl || fail "TSV round trip changed the data"

# stdin and stdout.
expect 0 convert - - --from csv --to jsonl <people.csv
[ "$(lines out)" = 3 ] || fail "stdout conversion gave $(lines out) lines"
"$TARN" convert - sniffed.jsonl <people.csv 2>err || fail "stdin with a sniffed format failed"
[ "$(lines sniffed.jsonl)" = 3 ] || fail "sniffed stdin lost rows"
grep -qF "stdin → sniffed.jsonl" err || { cat err; fail "summary does not name stdin"; }
expect 1 convert people.csv -
err_has "--to"

# Compressed output by suffix, checked with the real tools, and read back.
ok convert people.csv people.csv.gz
gzip -t people.csv.gz || fail "not valid gzip"
gzip -dc people.csv.gz | grep -q '^2,Bo,' || fail "gzip content wrong"
ok convert people.csv people.jsonl.zst
zstd -t -q people.jsonl.zst || fail "not valid zstd"
[ "$(zstd -dc people.jsonl.zst | wc -l)" = 3 ] || fail "zstd content wrong"
ok convert people.jsonl.zst from_zst.csv
cmp -s from_zst.csv back.csv || fail "zstd round trip differs"
ok convert people.csv.gz from_gz.jsonl
cmp -s from_gz.jsonl people.jsonl || fail "gzip round trip differs"
# Compression by option, without a suffix; input detected by magic bytes.
ok convert people.csv packed.csv --compression zstd
zstd -t -q packed.csv || fail "--compression zstd did not compress"
ok convert packed.csv unpacked.jsonl
cmp -s unpacked.jsonl people.jsonl || fail "magic-byte detection failed"
gzip -c people.csv >external.csv.gz
zstd -q -c people.csv >external.csv.zst
ok count external.csv.gz
out_is 3
ok count external.csv.zst
out_is 3
expect 1 convert people.csv x.csv --compression lz77
err_has "lz77"

# Reader and writer options are checked against the format's table.
expect 1 convert people.csv x.jsonl -r no_such_option=1
err_has "has no option 'no_such_option'"
no_output x.jsonl
expect 1 convert people.csv x.jsonl -w no_such_option=1
err_has "has no option 'no_such_option'"
no_output x.jsonl
expect 1 convert people.csv x.jsonl -r novalue
err_has "not of the form key=value"

# Unknown formats and unknown extensions.
expect 1 convert people.csv x.jsonl --from parquetish
err_has "unknown format 'parquetish'"
expect 1 convert people.csv x.unknownext
err_has "--to FORMAT"
no_output x.unknownext
expect 1 convert people.csv x.csv --types 'zip=notatype'
no_output x.csv
expect 1 convert people.csv x.csv --types 'zip'
err_has "--types"
no_output x.csv

# Output replaces an existing file only on success.
echo "old content" >keep.jsonl
printf 'a,b\n1,2\n3\n' >ragged.csv
expect 2 convert ragged.csv keep.jsonl
[ "$(cat keep.jsonl)" = "old content" ] || fail "a failed convert clobbered its output"
no_output "$T/none.jsonl"
ok convert people.csv keep.jsonl
[ "$(lines keep.jsonl)" = 3 ] || fail "a good convert did not replace the output"

# Format shorthands reach the format that takes them, and are usage errors
# where neither side's format does.
python3 -c "
print('id,v')
for i in range(20000): print(f'{i},{i*3}')" >many.csv
ok convert many.csv rg.parquet --row-group-size 64K
ok meta --json rg.parquet
python3 -c "import json,sys; d=json.load(open('$T/out')); assert len(d['row_groups']) > 1, len(d['row_groups'])" ||
	fail "--row-group-size did not reach the Parquet writer"
expect 1 convert many.csv x.csv --row-group-size 1K
err_has "--row-group-size: neither the csv reader nor the csv writer takes it"
no_output x.csv
expect 1 head many.csv --schema s.avsc
err_has "--schema: the csv reader does not take it"
expect 1 convert many.csv x.parquet --sparse
err_has "--sparse"
