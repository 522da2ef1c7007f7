#!/usr/bin/env bash
# parquet_partition: `tarn convert IN OUT_DIR --partition-by a,b` writes a
# Hive-partitioned directory that DuckDB reads (hive_partitioning) back to
# the input's rows; values needing escapes and nulls survive; the partition
# columns are not in the files; a failure (too many partitions, a bad
# column, a non-empty target) leaves nothing behind.
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

# Compares DuckDB's reading of a partitioned directory with x.csv, as text.
same_rows() {
	local dir=$1
	local q="SELECT year::VARCHAR y, month::VARCHAR m, city::VARCHAR c, id::VARCHAR i, note::VARCHAR n"
	local a="$q FROM read_csv('x.csv', all_varchar=true)"
	local b="$q FROM read_parquet('$dir/**/*.parquet', hive_partitioning=true, hive_types_autocast=false)"
	[ "$(duckq "SELECT (SELECT count(*) FROM ($a EXCEPT ALL $b)) + (SELECT count(*) FROM ($b EXCEPT ALL $a))")" = 0 ] ||
		fail "$dir: DuckDB's rows differ from x.csv"
	[ "$(duckq "SELECT count(*) FROM read_parquet('$dir/**/*.parquet', hive_partitioning=true)")" = 5000 ] ||
		fail "$dir: row count"
}

ok convert x.csv pd/ --partition-by year,month
same_rows pd
[ -f "pd/year=2021/month=02/part-00000.parquet" ] || fail "missing pd/year=2021/month=02"
[ -d "pd/year=__HIVE_DEFAULT_PARTITION__" ] || fail "nulls not in __HIVE_DEFAULT_PARTITION__"
want=$(duckq "SELECT count(*) FROM (SELECT DISTINCT year, month FROM read_csv('x.csv', all_varchar=true))")
[ "$(find pd -name '*.parquet' | wc -l)" = "$want" ] || fail "expected $want files, one per (year, month)"
# the files hold only the other columns
[ "$(duckq "SELECT string_agg(column_name, ',' ORDER BY column_name) FROM (DESCRIBE SELECT * FROM read_parquet('pd/year=2021/month=02/part-00000.parquet', hive_partitioning=false))")" = "city,id,note" ] ||
	fail "partition columns inside the files"

# Escaped values (Hive rules) and a null string partition.
ok convert x.csv byc --partition-by city -w compression=zstd
same_rows byc
for d in "city=Saint%2FDenis" "city=a%3Db" "city=100%25" "city=x%3Ay%3Fz" "city=São Paulo" "city=k%231 %5Bx%5D" "city=__HIVE_DEFAULT_PARTITION__"; do
	[ -d "byc/$d" ] || fail "missing byc/$d"
done

# JSON summary.
ok convert x.csv j --partition-by month --json
out_has '"partitions":12'

# Failures leave nothing: too many partitions, unknown column, bad target.
expect 2 convert x.csv f1 --partition-by id --max-open-partitions 100
err_has "max-open-partitions"
[ ! -e f1 ] || fail "f1 left behind"
expect 6 convert x.csv f2 --partition-by nope
[ ! -e f2 ] || fail "f2 left behind"
expect 1 convert x.csv pd --partition-by year
err_has "not empty"
expect 1 convert x.csv - --partition-by year
[ -z "$(ls -A | grep '\.tmp-' || true)" ] || fail "temporary directories left: $(ls -A)"
mkdir empty
ok convert x.csv empty --partition-by year
same_rows empty
echo "parquet_partition: ok"
