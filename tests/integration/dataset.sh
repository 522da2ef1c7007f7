#!/usr/bin/env bash
# dataset: a directory or a glob reads as one table. tarn reads back the
# Hive-partitioned directories it writes (partition values percent-decoded,
# __HIVE_DEFAULT_PARTITION__ null, types inferred with leading zeros kept as
# strings) to exactly the input's rows, as DuckDB does; CSV files whose
# inferred types differ are unified; mixed layouts, mixed formats, type
# conflicts and empty globs are clear errors.
PEERS=$(cd "$(dirname "$0")/../peers" && pwd)
source "$(dirname "$0")/lib/cli.bash"
[ -d "$PEERS/node_modules/@duckdb/node-api" ] || fail "test peers missing: run scripts/install-deps"
duckq() { node "$PEERS/../../bench/duckdb_run.mjs" --print "$1" | tail -n +2; }

node "$PEERS/../../bench/duckdb_run.mjs" "COPY (
  SELECT CASE WHEN i % 50 = 0 THEN NULL ELSE 2020 + i % 4 END AS year,
    lpad((1 + i % 12)::VARCHAR, 2, '0') AS month,
    (['Paris', 'Saint/Denis', 'a=b', '100%', 'x:y?z', 'São Paulo', 'k#1 [x]', NULL])[1 + i % 8] AS city,
    i AS id, 'note ' || (i * 7 % 13) AS note
  FROM range(0, 5000) t(i)) TO 'x.csv' (HEADER)" || fail "DuckDB could not write x.csv"
ok convert x.csv pd/ --partition-by year,month

# Schema: file columns, then the partition keys with inferred types.
ok schema --json pd
python3 - "$T/out" <<'PY' || fail "dataset schema"
import json, sys
s = json.load(open(sys.argv[1]))
cols = [(c["name"], c["type"]) for c in s["fields"]]
assert cols == [("city", "string"), ("id", "int64"), ("note", "string"), ("year", "int64"), ("month", "string")], cols
PY
ok count pd
out_is 5000

# Rows equal the input, read as a directory and as a ** glob.
check_rows() {
	local q="SELECT year::VARCHAR y, month::VARCHAR m, city::VARCHAR c, id::VARCHAR i, note::VARCHAR n"
	local a="$q FROM read_csv('x.csv', all_varchar=true)"
	local b="$q FROM read_csv('$1', all_varchar=true)"
	[ "$(duckq "SELECT (SELECT count(*) FROM ($a EXCEPT ALL $b)) + (SELECT count(*) FROM ($b EXCEPT ALL $a))")" = 0 ] ||
		fail "$1: rows differ from x.csv"
}
ok convert pd back.csv
check_rows back.csv
ok convert 'pd/**/*.parquet' back2.csv
check_rows back2.csv
cmp back.csv back2.csv || fail "directory and glob read differently"
# A narrower glob: one year only.
ok count 'pd/year=2021/*/*.parquet'
out_is "$(duckq "SELECT count(*) FROM read_csv('x.csv') WHERE year = 2021")"
# Same values as DuckDB's hive_partitioning reading, typed.
[ "$(duckq "SELECT sum(year) FROM read_parquet('pd/**/*.parquet', hive_partitioning=true)")" = \
  "$(duckq "SELECT sum(year::BIGINT) FROM read_csv('back.csv')")" ] || fail "year sums differ"

# CSV files whose inferred types differ: int + float -> float64, int + text -> string.
mkdir -p mix
printf 'a,b,c\n1,x,7\n2,y,8\n' >mix/1.csv
printf 'a,b,d\n2.5,3,true\n' >mix/2.csv
printf 'b,a\nz,4\n' >mix/3.csv
ok schema --json mix
python3 - "$T/out" <<'PY' || fail "unified CSV schema"
import json, sys
s = json.load(open(sys.argv[1]))
cols = [(c["name"], c["type"]) for c in s["fields"]]
assert cols == [("a", "decimal(20,1)"), ("b", "string"), ("c", "int64"), ("d", "bool")], cols
PY
ok cat --to csv mix
out_is "$(printf 'a,b,c,d\n1.0,x,7,\n2.0,y,8,\n2.5,3,,true\n4.0,z,,')"

# Errors.
expect 6 count 'nowhere/*.csv'
err_has "no files match"
mkdir -p empty
expect 6 count empty
err_has "no readable files"
mkdir -p mixed && cp mix/1.csv mixed/ && cp pd/year=2021/month=02/part-00000.parquet mixed/
expect 2 count mixed
err_has "one format"
mkdir -p half/k=1 && cp mix/1.csv half/k=1/a.csv && cp mix/1.csv half/b.csv
expect 2 count half
err_has "partition directories"
mkdir -p pq && cp pd/year=2021/month=02/part-00000.parquet pq/a.parquet
node "$PEERS/../../bench/duckdb_run.mjs" "COPY (SELECT 'x' AS id) TO 'pq/b.parquet' (FORMAT parquet)"
expect 2 count pq
err_has "column 'id'"
# Spark's markers are skipped.
mkdir -p spark && cp mix/1.csv spark/part-0.csv && touch spark/_SUCCESS spark/.part-0.csv.crc
ok count spark
out_is 2
echo "dataset: ok"
