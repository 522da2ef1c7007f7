#!/usr/bin/env bash
# tpch.sh - TPC-H queries on Parquet: tarn against DuckDB, same data, same run,
# each query hot and in-process on both sides (the issue's benchmark).
#
# Usage: bench/tpch.sh          (or: make bench-tpch)
#   SF=1       scale factor (tables from bench/data/sf$SF/*.csv, written as
#              Parquet by DuckDB once, into bench/data/sf$SF/parquet/)
#   RUNS=3     runs per query and engine; the best wall time counts
#   QUERIES=1,6  a subset (default all 22)
#   THREADS=N  threads for both engines (default: one per core)
#
# tarn: build/bench/sqlbench runs every query RUNS times in one process
# through tarn_sql_open (bench/sqlbench.c). DuckDB: bench/duckdb_tpch.mjs
# runs every query RUNS times in one connection, over one view per table.
# Neither timing includes process start-up; the first run of a query warms
# the page cache and the best of the runs counts. Both engines run one after
# the other, query by query (tarn Qn, DuckDB Qn, tarn Qn+1, ...) so that a
# load change on the machine hits both alike. Prints per-query best times,
# CPU seconds over the runs, ratio tarn/DuckDB and the geometric mean of the
# ratios; writes bench/tpch_results.json.
set -euo pipefail
SF=${SF:-1}
RUNS=${RUNS:-3}
QUERIES=${QUERIES:-$(seq -s, 1 22)}
THREADS=${THREADS:-$(nproc)}
BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$BENCH")
DATA=$BENCH/data/sf$SF
PQ=$DATA/parquet
SQLBENCH=$ROOT/build/bench/sqlbench
TABLES="region nation supplier customer part partsupp orders lineitem"

make -s -C "$BENCH" tools sqlbench >&2
if [ ! -f "$PQ/lineitem.parquet" ]; then
  make -s -C "$BENCH" data SF="$SF" >&2
  mkdir -p "$PQ"
fi
for t in $TABLES; do
  if [ ! -f "$PQ/$t.parquet" ]; then
    echo "tpch: writing $PQ/$t.parquet with DuckDB" >&2
    node "$BENCH/duckdb_run.mjs" "COPY (SELECT * FROM read_csv('$DATA/$t.csv')) TO '$PQ/$t.tmp.parquet' (FORMAT parquet)"
    mv "$PQ/$t.tmp.parquet" "$PQ/$t.parquet"
  fi
done
views=""
for t in $TABLES; do views="$views CREATE VIEW $t AS SELECT * FROM '$PQ/$t.parquet';"; done
field() { sed -n "s/.*\"$2\":\\(-\\{0,1\\}[0-9.]*\\).*/\\1/p" <<<"$1"; }

printf '\nTPC-H SF %s from Parquet, hot, in-process, best of %s, %s threads, %s cores; load average %s\n' \
  "$SF" "$RUNS" "$THREADS" "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-5s %9s %9s %8s %9s %9s %8s %8s\n' query "tarn s" "duckdb s" ratio "tarn cpu" "duck cpu" "tarn MB" "duck MB"
logsum=0 cpusum=0 n=0 rows=() worst=0 worstq=-
for q in ${QUERIES//,/ }; do
  f=$ROOT/tests/sql/tpch/q$(printf %02d "$q").sql
  tl=$("$SQLBENCH" --runs "$RUNS" --threads "$THREADS" --path "$PQ" "$f" | tail -n 1) || true
  dl=$(node "$BENCH/duckdb_tpch.mjs" --runs "$RUNS" --threads "$THREADS" --setup "$views" "$f" | tail -n 1) || true
  t=$(field "$tl" best_s) d=$(field "$dl" best_s)
  [ -n "$t" ] || { echo "tpch: tarn Q$q failed: $tl" >&2; t=FAILED; }
  [ -n "$d" ] || { echo "tpch: duckdb Q$q failed: $dl" >&2; d=FAILED; }
  tr=$(field "$tl" rows) dr=$(field "$dl" rows)
  if [ "$t" != FAILED ] && [ "$d" != FAILED ] && [ "$tr" != "$dr" ]; then
    echo "tpch: Q$q row counts differ: tarn $tr, duckdb $dr" >&2
  fi
  r=-
  if [ "$t" != FAILED ] && [ "$d" != FAILED ]; then
    r=$(awk -v t="$t" -v d="$d" 'BEGIN { printf "%.2f", t / d }')
    logsum=$(awk -v s="$logsum" -v r="$r" 'BEGIN { print s + log(r) }')
    cpusum=$(awk -v s="$cpusum" -v t="$(field "$tl" cpu_s)" -v d="$(field "$dl" cpu_s)" 'BEGIN { print s + log(t / d) }')
    n=$((n + 1))
    if awk -v r="$r" -v w="$worst" 'BEGIN { exit !(r > w) }'; then worst=$r worstq=Q$q; fi
  fi
  printf 'Q%-4s %9s %9s %8s %9s %9s %8s %8s\n' "$q" "$t" "$d" "$r" "$(field "$tl" cpu_s)" "$(field "$dl" cpu_s)" \
    "$(field "$tl" peak_rss_mb)" "$(field "$dl" peak_rss_mb)"
  rows+=("{\"query\":$q,\"tarn\":${tl:-null},\"duckdb\":${dl:-null},\"ratio\":\"$r\"}")
done
geo=$(awk -v s="$logsum" -v n="$n" 'BEGIN { if (n) printf "%.2f", exp(s / n); else print "-" }')
geocpu=$(awk -v s="$cpusum" -v n="$n" 'BEGIN { if (n) printf "%.2f", exp(s / n); else print "-" }')
printf 'geometric mean of tarn/DuckDB over %s queries: %s; highest ratio %s (%s); CPU time geomean %s\n' "$n" "$geo" "$worst" "$worstq" "$geocpu"
{
  printf '{"sf":%s,"runs":%s,"threads":%s,"loadavg":"%s","geomean":"%s","cpu_geomean":"%s","queries":[' \
    "$SF" "$RUNS" "$THREADS" "$(cut -d' ' -f1-3 /proc/loadavg)" "$geo" "$geocpu"
  (IFS=,; printf '%s' "${rows[*]}")
  printf ']}\n'
} >"$BENCH/tpch_results.json"
