#!/usr/bin/env bash
# parquet_bloom: Bloom filters tarn writes (bloom-columns) are found and
# used by the peers: hyparquet's Split Block Bloom Filter code
# (tests/peers/bloom_check.mjs) and DuckDB's parquet_bloom_probe() agree that
# every value written may be present and reject most absent ones; DuckDB
# reads the files the same as the input. Strings of 1..80 bytes cover every
# XXH64 path (32-byte stripes, 8-, 4- and 1-byte tails).
PEERS=$(cd "$(dirname "$0")/../peers" && pwd)
source "$(dirname "$0")/lib/cli.bash"
[ -d "$PEERS/node_modules/@duckdb/node-api" ] && [ -d "$PEERS/node_modules/hyparquet" ] ||
	fail "test peers missing: run scripts/install-deps (npm install in tests/peers)"
duckq() { node "$PEERS/../../bench/duckdb_run.mjs" --print "$1" | tail -n +2; }

python3 - <<'PY'
import random
random.seed(7)
with open("x.csv", "w") as f:
    f.write("id,name,score\n")
    for i in range(20000):
        name = "w" + str(i % 3000) + "x" * (i % 80)
        f.write(f"{i * 7},{name},{(i % 500) / 4}\n")
PY
ok convert x.csv b.parquet -w bloom-columns=id,name -w row-group-size=256K
node "$PEERS/duckdb_rows.mjs" --csv x.csv --types-from b.parquet >ref.txt || fail "DuckDB cannot read x.csv"
node "$PEERS/duckdb_rows.mjs" b.parquet >got.txt || fail "DuckDB cannot read b.parquet"
node "$PEERS/compare.mjs" ref.txt got.txt "DuckDB reading b.parquet" || fail "b.parquet differs from x.csv"

# hyparquet: present values pass in their row group; absent ones mostly not.
present=(w0 w1x "w2999$(printf 'x%.0s' $(seq 1 39))" "w77$(printf 'x%.0s' $(seq 1 77))")
node "$PEERS/bloom_check.mjs" b.parquet name "${present[@]}" nope1 nope2 nope3 w3000 >h.json ||
	fail "hyparquet cannot use the Bloom filters"
python3 - h.json <<'PY' || fail "hyparquet: values missing from the filters, or absent ones pass"
import json, sys
rgs = json.load(open(sys.argv[1]))["row_groups"]
assert len(rgs) > 1 and all(g["filter"] for g in rgs), rgs
# each present value is in some row group; a filter never says no where the value is
assert all(any(g["maybe"][i] for g in rgs) for i in range(4)), rgs
absent = sum(g["maybe"][i] for g in rgs for i in range(4, 8))
assert absent <= 1, rgs
PY
ids=$(seq 0 7 700 | tr '\n' ' ')
node "$PEERS/bloom_check.mjs" b.parquet id $ids >hi.json || fail "hyparquet: id filter"
python3 - hi.json <<'PY' || fail "hyparquet: ids missing from the first row group's filter"
import json, sys
g = json.load(open(sys.argv[1]))["row_groups"][0]
assert all(g["maybe"]), g
PY
node "$PEERS/bloom_check.mjs" b.parquet id $(seq 1 7 7000 | tr '\n' ' ') >ha.json || fail "hyparquet: id filter"
python3 - ha.json <<'PY' || fail "hyparquet: too many absent ids pass"
import json, sys
rgs = json.load(open(sys.argv[1]))["row_groups"]
hits = sum(sum(g["maybe"]) for g in rgs)
total = sum(len(g["maybe"]) for g in rgs)
assert hits * 100 <= total * 3, (hits, total)
PY

# DuckDB's own Bloom filter probe.
[ "$(duckq "SELECT bool_and(bloom_filter_excludes) FROM parquet_bloom_probe('b.parquet', 'name', 'nope1')")" = true ] ||
	fail "DuckDB does not exclude an absent name"
[ "$(duckq "SELECT bool_or(NOT bloom_filter_excludes) FROM parquet_bloom_probe('b.parquet', 'name', 'w1x')")" = true ] ||
	fail "DuckDB excludes a present name"
[ "$(duckq "SELECT bool_or(NOT bloom_filter_excludes) FROM parquet_bloom_probe('b.parquet', 'id', 700)")" = true ] ||
	fail "DuckDB excludes a present id"
[ "$(duckq "SELECT bool_and(bloom_filter_excludes) FROM parquet_bloom_probe('b.parquet', 'id', 701)")" = true ] ||
	fail "DuckDB does not exclude an absent id"
[ "$(duckq "SELECT count(*) FROM parquet_metadata('b.parquet') WHERE path_in_schema = 'score' AND bloom_filter_offset IS NOT NULL")" = 0 ] ||
	fail "a Bloom filter for a column not asked for"

# Option errors name the option.
expect 6 convert x.csv e.parquet -w bloom-columns=nope
err_has "bloom-columns"
no_output e.parquet
echo "parquet_bloom: ok"
