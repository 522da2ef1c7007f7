#!/usr/bin/env bash
# sql_diff: differential testing of `$TARN query` against DuckDB with
# tests/tools/sqlfuzz.py: a fixed seed, about 60 seconds of random tables
# and queries (joins, 3VL filters, grouping, windows, subqueries, set
# operations, ORDER BY + LIMIT), compared row by row. A mismatch is shrunk
# and printed (SQL, table rows, both results) and fails the test; the table
# files stay in $TARN_TEST_TMP. A long session is one command, see
# docs/sql-testing.md.
#
# Needs $TARN and the DuckDB test peer (tests/peers, scripts/install-deps).
# Fails at once, saying so, when `tarn query` is not available. Under the
# ASan+UBSan build (TARN_BUILD names it) the budget is 20 s: the same seed,
# fewer queries.
set -euo pipefail
: "${TARN:?set TARN to the tarn binary}"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
SCRATCH=${TARN_TEST_TMP:-${TMPDIR:-/tmp}}
SEED=${SQL_DIFF_SEED:-20240611}
SECONDS_BUDGET=${SQL_DIFF_SECONDS:-45}
case "${TARN_BUILD:-}" in *asan*) SECONDS_BUDGET=${SQL_DIFF_SECONDS:-20} ;; esac

[ -d "$ROOT/tests/peers/node_modules/@duckdb/node-api" ] ||
	{ echo "FAIL: test peers missing: run scripts/install-deps (npm install in tests/peers)" >&2; exit 1; }

# shellcheck source=lib/sql_probe.bash
. "$ROOT/tests/integration/lib/sql_probe.bash"
require_tarn_query

WORK=$(mktemp -d "$SCRATCH/sql_diff.XXXXXX")
# 45 s of queries, then at most one mismatch shrunk for 15 s: about a minute.
exec "$PY" "$ROOT/tests/tools/sqlfuzz.py" --engine-a duckdb --engine-b tarn --tarn "$TARN" \
	--seed "$SEED" --seconds "$SECONDS_BUDGET" --max-mismatches 1 --shrink-seconds 15 --workdir "$WORK"
