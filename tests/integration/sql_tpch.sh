#!/usr/bin/env bash
# sql_tpch: all 22 TPC-H queries (tests/sql/tpch, the standard text with the
# validation parameters) on generated data stored as Parquet (SF 0.01,
# written by DuckDB) return DuckDB's results (tests/tools/tpch_compare.py).
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PEERS=$ROOT/tests/peers
source "$(dirname "$0")/lib/cli.bash"
[ -d "$PEERS/node_modules/@duckdb/node-api" ] || fail "test peers missing: run scripts/install-deps"
make -s -C "$ROOT/bench" tools >/dev/null || fail "cannot build bench/tpchgen"
"$ROOT/build/bench/tpchgen" --sf 0.01 --out csv >/dev/null 2>&1 || fail "tpchgen failed"
sql=""
for t in region nation supplier customer part partsupp orders lineitem; do
	sql="$sql COPY (SELECT * FROM read_csv('csv/$t.csv')) TO '$t.parquet' (FORMAT parquet);"
done
node "$ROOT/bench/duckdb_run.mjs" "$sql" || fail "DuckDB could not write the tables"
python3 "$ROOT/tests/tools/tpch_compare.py" --tarn "$TARN" --data . || fail "TPC-H results differ from DuckDB's"
echo "sql_tpch: ok"
