#!/usr/bin/env bash
# parquet_page_index: the ColumnIndex and OffsetIndex tarn writes, read by
# hyparquet (readColumnIndex / readOffsetIndex) and checked page by page
# against DuckDB's min / max / null count over each page's rows
# (tests/peers/page_index_check.mjs); DuckDB reads the files the same as the
# input, with and without the page index.
PEERS=$(cd "$(dirname "$0")/../peers" && pwd)
source "$(dirname "$0")/lib/cli.bash"
[ -d "$PEERS/node_modules/@duckdb/node-api" ] && [ -d "$PEERS/node_modules/hyparquet" ] ||
	fail "test peers missing: run scripts/install-deps (npm install in tests/peers)"
duck() { node "$PEERS/duckdb_rows.mjs" "$@"; }
same() { node "$PEERS/compare.mjs" "$@"; }
check() { node "$PEERS/page_index_check.mjs" "$@"; }

# Ascending and descending keys, nulls (a null-only stretch makes null
# pages), repeated and unique strings, strings over 64 bytes, doubles with
# signed zeros, dates, timestamps.
node "$PEERS/../../bench/duckdb_run.mjs" "COPY (
  SELECT i AS id, 100000 - 3 * i AS dsc,
    CASE WHEN i % 7 = 0 THEN NULL ELSE (i * 7919 % 100003) - 50000 END AS r,
    CASE WHEN i < 24000 THEN NULL ELSE i % 1000 END AS late,
    's' || (i % 50) AS s,
    CASE WHEN i % 3 = 0 THEN NULL ELSE repeat('x', 60 + i % 10) || i END AS long_s,
    CASE WHEN i % 100 = 0 THEN -0.0 ELSE (i % 997) / 7.0 - 60 END AS f,
    DATE '2000-01-01' + (i % 5000)::INTEGER AS dt,
    TIMESTAMP '2020-01-01 00:00:00' + INTERVAL (i * 61) SECOND AS ts
  FROM range(0, 30000) t(i)
) TO 'x.csv' (HEADER)" || fail "DuckDB could not write x.csv"

n=0
for opts in \
	"-w page-size=4K" \
	"-w page-size=2K -w row-group-size=64K -w compression=zstd" \
	"-w page-size=8K -w page-version=2 -w dictionary=false"; do
	n=$((n + 1))
	# shellcheck disable=SC2086
	ok convert x.csv "p$n.parquet" $opts
	check "p$n.parquet" >"c$n.txt" || { cat "c$n.txt" >&2; fail "page index of p$n.parquet ($opts)"; }
	pages=$(awk '{print $3}' "c$n.txt")
	[ "$pages" -gt 40 ] || fail "p$n.parquet ($opts) has only $pages pages"
	duck --csv x.csv --types-from "p$n.parquet" >ref.txt || fail "DuckDB cannot read x.csv"
	duck "p$n.parquet" >"d$n.txt" || fail "DuckDB cannot read p$n.parquet"
	same ref.txt "d$n.txt" "DuckDB reading p$n.parquet ($opts)" || fail "p$n.parquet differs from x.csv"
done

# Boundary orders: id ascending, dsc descending, r unordered.
node "$PEERS/hyparquet_page_index.mjs" p1.parquet >pi.json || fail "hyparquet cannot read the page index"
python3 - pi.json <<'PY' || fail "boundary orders or first_row_index wrong"
import json, sys
d = {e["column"]: e for e in json.load(open(sys.argv[1])) if e["row_group"] == 0}
assert d["id"]["column_index"]["boundary_order"] == "ASCENDING", d["id"]["column_index"]["boundary_order"]
assert d["dsc"]["column_index"]["boundary_order"] == "DESCENDING"
assert d["r"]["column_index"]["boundary_order"] == "UNORDERED"
# id = row number: each page's min is its first_row_index
for loc, mn in zip(d["id"]["offset_index"]["page_locations"], d["id"]["column_index"]["min_values"]):
    assert loc["first_row_index"] == mn, (loc, mn)
assert any(d["late"]["column_index"]["null_pages"]), "no null pages in 'late'"
PY

# page-index=false: no index, same rows.
ok convert x.csv q.parquet -w page-size=4K -w page-index=false
node "$PEERS/hyparquet_page_index.mjs" q.parquet >qi.json || fail "hyparquet cannot read q.parquet"
[ "$(cat qi.json)" = "[]" ] || fail "page-index=false still wrote an index"
duck q.parquet >dq.txt || fail "DuckDB cannot read q.parquet"
same ref.txt dq.txt "DuckDB reading q.parquet" || fail "q.parquet differs"

# Every physical type and sort order: decimals (INT32 and FLBA), UUID,
# unsigned 64- and 8-bit integers, floats with nulls, zoned timestamps,
# binary.
node "$PEERS/../../bench/duckdb_run.mjs" "COPY (SELECT i::BIGINT AS id,
    (i * 1.25 - 500)::DECIMAL(9,2) AS d9, (i * 1234567.891 - 7)::DECIMAL(30,6) AS d30,
    md5((i * 3)::VARCHAR)::UUID AS uu, (i::UBIGINT * 614891469123651 + 17)::UBIGINT AS u64,
    (i % 250)::UTINYINT AS u8, CASE WHEN i % 17 = 0 THEN NULL ELSE (i / 7.0)::FLOAT END AS f32,
    TIMESTAMPTZ '2022-06-01 12:00:00+00' + INTERVAL (i) HOUR AS ts_tz, ('bin' || i)::BLOB AS bin
  FROM range(0, 20000) t(i)) TO 't0.parquet'" || fail "DuckDB could not write t0.parquet"
ok convert t0.parquet t1.parquet -w page-size=4K
check t1.parquet >ct.txt || { cat ct.txt >&2; fail "page index of t1.parquet"; }

# Nested columns get an offset index (pages start at rows) and DuckDB still
# reads them the same.
node "$PEERS/../../bench/duckdb_run.mjs" "COPY (SELECT i AS id,
    CASE WHEN i % 5 = 0 THEN NULL ELSE [i, i + 1] END AS l,
    {'a': i % 3, 'b': 'v' || i} AS st
  FROM range(0, 20000) t(i)) TO 'n0.parquet'" || fail "DuckDB could not write n0.parquet"
ok convert n0.parquet n1.parquet -w page-size=2K
check n1.parquet >cn.txt || { cat cn.txt >&2; fail "page index of n1.parquet"; }
duck n0.parquet >n0.txt && duck n1.parquet >n1.txt || fail "DuckDB cannot read n0/n1"
same n0.txt n1.txt "DuckDB reading nested n1.parquet" || fail "n1.parquet differs"
echo "parquet_page_index: ok"
