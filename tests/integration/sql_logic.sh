#!/usr/bin/env bash
# sql_logic: the SQL conformance suite (tests/sql/*.test, sqllogictest
# format, docs/sql-testing.md) run against `$TARN query` by
# tests/tools/sqllogic.py. Every record must pass; the runner prints each
# failure with file:line, the SQL, expected and got, and ends with
# "N passed, N failed, N skipped".
#
# Needs $TARN (the tarn binary); $TARN_TEST_TMP is used for scratch space
# when set. Fails at once, saying so, when `tarn query` is not available.
set -euo pipefail
: "${TARN:?set TARN to the tarn binary}"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
export TMPDIR=${TARN_TEST_TMP:-${TMPDIR:-/tmp}}

# shellcheck source=lib/sql_probe.bash
. "$ROOT/tests/integration/lib/sql_probe.bash"
require_tarn_query

exec "$PY" "$ROOT/tests/tools/sqllogic.py" --engine tarn --tarn "$TARN" -q "$ROOT"/tests/sql/*.test
