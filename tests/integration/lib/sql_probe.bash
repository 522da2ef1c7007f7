# tests/integration/lib/sql_probe.bash — sourced by the SQL integration
# tests (sql_logic.sh, sql_diff.sh) before they start a long run.
#
#   require_tarn_query   exit 1, saying why (exit status, stdout, stderr),
#                        unless `$TARN query` answers SELECT 1 AS x with
#                        {"x":1}
require_tarn_query() {
	local probe_err probe probe_st=0
	probe_err=$(mktemp)
	probe=$("$TARN" query --format jsonl "SELECT 1 AS x" 2>"$probe_err") || probe_st=$?
	if [ "$probe_st" != 0 ] || [ "$probe" != '{"x":1}' ]; then
		echo "FAIL: tarn query is not available: '$TARN query --format jsonl \"SELECT 1 AS x\"' exited $probe_st" >&2
		echo "  stdout: $(printf '%s' "$probe" | head -c 300)" >&2
		echo "  stderr: $(head -c 300 "$probe_err")" >&2
		rm -f "$probe_err"
		exit 1
	fi
	rm -f "$probe_err"
}
