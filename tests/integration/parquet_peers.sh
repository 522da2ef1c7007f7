#!/usr/bin/env bash
# parquet_peers: Parquet files written by tarn read back identically by DuckDB
# (@duckdb/node-api) and hyparquet (with hyparquet-compressors), the peers
# installed in tests/peers (scripts/install-deps runs npm install there).
#
# 1. DuckDB writes p0.parquet with every type it can put in Parquet (ints of
#    all widths and signs, floats, decimals stored as INT32/INT64/FLBA,
#    strings repeated and unique, binary, UUID, date, time, timestamps in
#    ms/us/ns and with a zone, lists, nested lists, structs, maps) and nulls
#    everywhere. `tarn convert` rewrites it under each writer option set; the
#    rows DuckDB and hyparquet read from tarn's file must equal DuckDB's rows
#    of p0.parquet.
# 2. `tarn convert x.csv y.parquet`: DuckDB reads y.parquet, and x.csv typed
#    as y.parquet's columns; the rows must be equal, and hyparquet's too.
# Rows are compared in the canonical form of tests/peers/canon.mjs.
PEERS=$(cd "$(dirname "$0")/../peers" && pwd)
source "$(dirname "$0")/lib/cli.bash"
[ -d "$PEERS/node_modules/@duckdb/node-api" ] && [ -d "$PEERS/node_modules/hyparquet" ] ||
	fail "test peers missing: run scripts/install-deps (npm install in tests/peers)"
duck() { node "$PEERS/duckdb_rows.mjs" "$@"; }
hyp() { node "$PEERS/hyparquet_rows.mjs" "$@"; }
same() { node "$PEERS/compare.mjs" "$@"; }

node "$PEERS/../../bench/duckdb_run.mjs" "COPY (
  SELECT
    i::BIGINT AS id,
    CASE WHEN i % 11 = 0 THEN NULL ELSE i % 3 = 0 END AS b,
    CASE WHEN i % 7 = 0 THEN NULL ELSE (i % 250 - 125)::TINYINT END AS i8,
    (i * 7 % 60000 - 30000)::SMALLINT AS i16,
    (i * 131071 % 2000000000 - 1000000000)::INTEGER AS i32,
    CASE WHEN i % 13 = 0 THEN NULL ELSE i * 1000000007 - 9000000000000 END AS i64,
    (i % 250)::UTINYINT AS u8,
    (i % 60000)::USMALLINT AS u16,
    (i::UBIGINT * 99991 % 4294967295)::UINTEGER AS u32,
    (i::UBIGINT * 614891469123651 + 17)::UBIGINT AS u64,
    CASE WHEN i % 17 = 0 THEN NULL ELSE (i / 7.0)::FLOAT END AS f32,
    (i / 3.0 - 1000)::DOUBLE AS f64,
    (i * 1.25 - 500)::DECIMAL(9,2) AS d9,
    (i * 12345.678)::DECIMAL(18,3) AS d18,
    (i * 1234567.891 - 7)::DECIMAL(30,6) AS d30,
    'str_' || (i % 100) AS s_dict,
    md5(i::VARCHAR) AS s_unique,
    CASE WHEN i % 5 = 0 THEN NULL ELSE 'héllo wörld ' || i END AS s_null,
    ('bin' || i)::BLOB AS bin,
    md5((i * 3)::VARCHAR)::UUID AS uu,
    DATE '1970-01-01' + (i * 37 % 40000 - 20000)::INTEGER AS dt,
    TIME '00:00:00' + INTERVAL (i * 997 % 86400) SECOND AS tm,
    TIMESTAMP '2020-01-01 00:00:00.123456' + INTERVAL (i * 3601) SECOND AS ts,
    (TIMESTAMP '1999-12-31 23:59:59' + INTERVAL (i) MINUTE)::TIMESTAMP_MS AS ts_ms,
    (TIMESTAMP '2001-02-03 04:05:06' + INTERVAL (i) SECOND)::TIMESTAMP_NS AS ts_ns,
    (TIMESTAMPTZ '2022-06-01 12:00:00+00' + INTERVAL (i) HOUR) AS ts_tz,
    CASE WHEN i % 6 = 0 THEN NULL ELSE [i, i + 1, NULL] END AS l_int,
    CASE WHEN i % 4 = 0 THEN NULL WHEN i % 4 = 1 THEN [] ELSE ['a' || i, NULL, 'b'] END AS l_str,
    [[i], [], NULL, [i, i]] AS ll,
    CASE WHEN i % 9 = 0 THEN NULL ELSE {'x': i, 'y': 'v' || (i % 10), 'z': [i % 3]} END AS st,
    MAP {'k' || (i % 3): i, 'z': NULL} AS m,
    [{'p': i % 2 = 0, 'q': i::DOUBLE}] AS l_st
  FROM range(0, 12000) t(i)
) TO 'p0.parquet' (FORMAT parquet, ROW_GROUP_SIZE 4000)" || fail "DuckDB could not write p0.parquet"

duck p0.parquet >ref.txt || fail "DuckDB cannot read its own file"
hyp p0.parquet >hyp0.txt || fail "hyparquet cannot read DuckDB's file"
same ref.txt hyp0.txt "hyparquet reading DuckDB's p0.parquet (harness check)" ||
	fail "the harness itself disagrees"

n=0
for opts in \
	"" \
	"-w compression=zstd -w page-version=2" \
	"-w compression=gzip -w compression-level=9 -w row-group-size=64K" \
	"-w compression=lz4 -w dictionary=false" \
	"-w compression=brotli -w page-size=4K" \
	"-w compression=none -w dictionary-size=1K" \
	"-w compression=zstd -w compression-level=19 -w page-version=2 -w row-group-size=256K -w page-size=8K"; do
	n=$((n + 1))
	# shellcheck disable=SC2086
	ok convert p0.parquet "t$n.parquet" $opts
	duck "t$n.parquet" >"duck$n.txt" || fail "DuckDB cannot read tarn's file ($opts)"
	same ref.txt "duck$n.txt" "DuckDB reading tarn's file ($opts)" || fail "DuckDB reads t$n.parquet differently"
	hyp "t$n.parquet" >"hyp$n.txt" || fail "hyparquet cannot read tarn's file ($opts)"
	same ref.txt "hyp$n.txt" "hyparquet reading tarn's file ($opts)" || fail "hyparquet reads t$n.parquet differently"
done

# Row groups by size: the small row-group-size made several.
node "$PEERS/../../bench/duckdb_run.mjs" --print \
	"SELECT count(DISTINCT row_group_id) FROM parquet_metadata('t3.parquet')" >rg.txt
[ "$(tail -n 1 rg.txt)" -gt 3 ] || fail "row-group-size=64K gave $(tail -n 1 rg.txt) row groups"

# CSV in, Parquet out.
node "$PEERS/../../bench/duckdb_run.mjs" "COPY (SELECT id, b, i32, i64, f64, d9, s_dict, s_null, dt, ts
  FROM 'p0.parquet') TO 'x.csv' (HEADER)" || fail "DuckDB could not write x.csv"
ok convert x.csv y.parquet
duck --csv x.csv --types-from y.parquet >csvref.txt || fail "DuckDB cannot read x.csv"
duck y.parquet >ycsv.txt || fail "DuckDB cannot read y.parquet"
same csvref.txt ycsv.txt "DuckDB reading tarn's y.parquet from x.csv" || fail "y.parquet differs from x.csv"
hyp y.parquet >yhyp.txt || fail "hyparquet cannot read y.parquet"
same csvref.txt yhyp.txt "hyparquet reading tarn's y.parquet from x.csv" || fail "hyparquet reads y.parquet differently"

# An empty table keeps its schema.
head -n 1 x.csv >empty.csv
ok convert empty.csv empty.parquet
node "$PEERS/../../bench/duckdb_run.mjs" --print "SELECT count(*) FROM 'empty.parquet'" >cnt.txt
[ "$(tail -n 1 cnt.txt)" = 0 ] || fail "empty.parquet has rows"
echo "parquet_peers: ok"
