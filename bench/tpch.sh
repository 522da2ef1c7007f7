#!/usr/bin/env bash
# tpch.sh - TPC-H queries on Parquet: tarn against DuckDB, same data, same run.
#
# Usage: bench/tpch.sh          (or: make -C bench tpch)
#   SF=1       scale factor (tables from bench/data/sf$SF/*.csv, written as
#              Parquet by DuckDB once, into bench/data/sf$SF/parquet/)
#   RUNS=3     runs per query and tool; the best wall time counts ("hot":
#              every run after the first finds the files in the page cache)
#   QUERIES=1,6  a subset (default all 22)
#   TARN=path  tarn binary (default build/tarn)
#
# Each run is a fresh process for both tools (tarn query -f; node + DuckDB
# with one view per table), so both pay their start-up: DuckDB's alone
# (node, loading the library) is measured once and printed. Prints per-query
# times, the ratio tarn/DuckDB and the geometric mean of the ratios, and
# writes bench/tpch_results.json.
set -euo pipefail
SF=${SF:-1}
RUNS=${RUNS:-3}
QUERIES=${QUERIES:-$(seq -s, 1 22)}
BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$BENCH")
TARN=${TARN:-$ROOT/build/tarn}
DATA=$BENCH/data/sf$SF
PQ=$DATA/parquet
MEASURE=$ROOT/build/bench/measure
DUCK=(node "$BENCH/duckdb_run.mjs")
TABLES="region nation supplier customer part partsupp orders lineitem"

make -s -C "$BENCH" tools data SF="$SF" >&2
mkdir -p "$PQ"
for t in $TABLES; do
  if [ ! -f "$PQ/$t.parquet" ]; then
    echo "tpch: writing $PQ/$t.parquet with DuckDB" >&2
    "${DUCK[@]}" "COPY (SELECT * FROM read_csv('$DATA/$t.csv')) TO '$PQ/$t.tmp.parquet' (FORMAT parquet)"
    mv "$PQ/$t.tmp.parquet" "$PQ/$t.parquet"
  fi
done
views=""
for t in $TABLES; do views="$views CREATE VIEW $t AS SELECT * FROM '$PQ/$t.parquet';"; done
json_num() { sed -n "s/.*\"$2\":\\(-\\{0,1\\}[0-9.]*\\).*/\\1/p" <<<"$1"; }
best() { # cmd... → best wall of RUNS, or FAILED
  local b="" line w
  for _ in $(seq 1 "$RUNS"); do
    line=$("$MEASURE" -- "$@" 2>/dev/null | tail -n 1) || true
    [ "$(json_num "$line" exit)" = 0 ] || { echo FAILED; return; }
    w=$(json_num "$line" wall_s)
    b=$(awk -v a="$b" -v w="$w" 'BEGIN { print (a == "" || w < a) ? w : a }')
  done
  echo "$b"
}
start=$("$MEASURE" -- "${DUCK[@]}" "SELECT 1" | tail -n 1)
printf '\nTPC-H SF %s from Parquet, best of %s, %s cores; duckdb start-up %s s\n' "$SF" "$RUNS" "$(nproc)" "$(json_num "$start" wall_s)"
DSTART=$(json_num "$start" wall_s)
printf '%-5s %9s %9s %8s %14s\n' query "tarn s" "duckdb s" ratio "ratio-startup"
logsum2=0
logsum=0 n=0 rows=()
for q in ${QUERIES//,/ }; do
  f=$ROOT/tests/sql/tpch/q$(printf %02d "$q").sql
  t=$(best bash -c "'$TARN' query --format csv \"\$(printf \"SET file_search_path = '%s';\\n%s\" '$PQ' \"\$(cat '$f')\")\" >/dev/null")
  d=$(best "${DUCK[@]}" "$views $(cat "$f")")
  r=- r2=-
  if [ "$t" != FAILED ] && [ "$d" != FAILED ]; then
    r=$(awk -v t="$t" -v d="$d" 'BEGIN { printf "%.2f", t / d }')
    # DuckDB's time less its start-up (node + library), floored at 10 ms
    r2=$(awk -v t="$t" -v d="$d" -v s="$DSTART" 'BEGIN { x = d - s; if (x < 0.01) x = 0.01; printf "%.2f", t / x }')
    logsum=$(awk -v s="$logsum" -v r="$r" 'BEGIN { print s + log(r) }')
    logsum2=$(awk -v s="$logsum2" -v r="$r2" 'BEGIN { print s + log(r) }')
    n=$((n + 1))
  fi
  printf 'Q%-4s %9s %9s %8s %14s\n' "$q" "$t" "$d" "$r" "$r2"
  rows+=("{\"query\":$q,\"tarn_s\":\"$t\",\"duckdb_s\":\"$d\",\"ratio\":\"$r\",\"ratio_less_startup\":\"$r2\"}")
done
geo=$(awk -v s="$logsum" -v n="$n" 'BEGIN { if (n) printf "%.2f", exp(s / n); else print "-" }')
geo2=$(awk -v s="$logsum2" -v n="$n" 'BEGIN { if (n) printf "%.2f", exp(s / n); else print "-" }')
printf 'geometric mean of ratios over %s queries: %s (DuckDB start-up subtracted: %s)\n' "$n" "$geo" "$geo2"
{ printf '{"sf":%s,"runs":%s,"duckdb_startup_s":"%s","geomean":"%s","geomean_less_startup":"%s","queries":[' "$SF" "$RUNS" "$DSTART" "$geo" "$geo2"; (IFS=,; printf '%s' "${rows[*]}"); printf ']}\n'; } >"$BENCH/tpch_results.json"
