# tests/integration/lib/cli.bash — helpers the cli_*.sh integration tests
# source (kept out of tests/integration/*.sh so the runner does not treat it
# as a test). Needs $TARN (the binary) and $TARN_TEST_TMP (scratch space).
#
#   expect STATUS tarn-args...   run tarn; stdout → $T/out, stderr → $T/err;
#                                fail unless it exited with STATUS
#   ok tarn-args...              expect 0
#   err_has TEXT / out_has TEXT  fixed-string search in stderr / stdout
#   err_empty                    nothing on stderr
#   out_is TEXT                  stdout is exactly TEXT
#   no_output PATH               PATH absent and no temporary files beside it
#   json_ok FILE                 FILE parses as JSON (python3)
set -euo pipefail
: "${TARN:?set TARN to the tarn binary}"
: "${TARN_TEST_TMP:?set TARN_TEST_TMP to a scratch directory}"
T=$(mktemp -d "$TARN_TEST_TMP/$(basename "$0" .sh).XXXXXX")
cd "$T"

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

show() {
	echo "--- stdout:" >&2
	head -c 3000 "$T/out" >&2 || true
	echo "--- stderr:" >&2
	head -c 3000 "$T/err" >&2 || true
}

expect() {
	local want=$1 st=0
	shift
	"$TARN" "$@" >"$T/out" 2>"$T/err" || st=$?
	if [ "$st" != "$want" ]; then
		show
		fail "tarn $* exited $st, want $want"
	fi
}

ok() { expect 0 "$@"; }

err_has() {
	grep -qF -- "$1" "$T/err" || { show; fail "stderr lacks '$1'"; }
}

out_has() {
	grep -qF -- "$1" "$T/out" || { show; fail "stdout lacks '$1'"; }
}

err_empty() {
	[ ! -s "$T/err" ] || { show; fail "stderr is not empty"; }
}

out_is() {
	local got
	got=$(cat "$T/out")
	[ "$got" = "$1" ] || { show; fail "stdout is '$got', want '$1'"; }
}

no_output() {
	[ ! -e "$1" ] || fail "$1 exists after a failed command"
	local dir
	dir=$(dirname "$1")
	if ls -a "$dir" | grep -q 'tarn-tmp'; then
		ls -a "$dir" >&2
		fail "a temporary file was left in $dir"
	fi
}

json_ok() {
	python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$1" || { show; fail "$1 is not JSON"; }
}

# Lines of a file, as a number.
lines() { wc -l <"$1" | tr -d ' '; }
