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

probe_err=$(mktemp)
probe_st=0
probe=$("$TARN" query --format jsonl "SELECT 1 AS x" 2>"$probe_err") || probe_st=$?
if [ "$probe_st" != 0 ] || [ "$probe" != '{"x":1}' ]; then
	echo "FAIL: tarn query is not available: '$TARN query --format jsonl \"SELECT 1 AS x\"' exited $probe_st" >&2
	echo "  stdout: $(printf '%s' "$probe" | head -c 300)" >&2
	echo "  stderr: $(head -c 300 "$probe_err")" >&2
	rm -f "$probe_err"
	exit 1
fi
rm -f "$probe_err"

exec "$PY" "$ROOT/tests/tools/sqllogic.py" --engine tarn --tarn "$TARN" -q "$ROOT"/tests/sql/*.test
