#!/usr/bin/env bash
# Round trips through the text formats are lossless for every type, on
# generated data with nulls, unicode, quotes and line breaks in fields
# (tests/tools/gen_roundtrip.py, several seeds, one large enough for the
# parallel reader and writer):
#   CSV -> JSONL -> CSV, CSV -> JSON -> CSV, TSV -> JSONL -> TSV: byte for
#     byte, with the types from `tarn schema --json` of the original, and
#     `tarn schema` of the result equal to the original's;
#   JSONL -> CSV -> JSONL, JSON -> CSV -> JSON: the same records value by
#     value (nested structs, lists of structs, lists of lists, maps), the CSV
#     read back with the original schema as --types.
GEN="$(cd "$(dirname "$0")/../tools" && pwd)/gen_roundtrip.py"
source "$(dirname "$0")/lib/cli.bash"

gen() { python3 "$GEN" "$@"; }

# The original's schema as --types text (the schema's JSON from stdout).
types_of() { # file [--types T]
	ok schema --json "$@"
	gen types "$T/out"
}

# text -> MID -> text, byte for byte. Extra arguments go to every convert
# (reader options that force parallel chunks).
text_trip() { # seed rows delim ext mid [convert options...]
	local seed=$1 rows=$2 delim=$3 ext=$4 mid=$5
	shift 5
	local a=a$seed.$ext b=b$seed.$mid c=c$seed.$ext
	gen csv "$seed" "$rows" "$delim" "$a"
	local types
	types=$(types_of "$a")
	ok convert "$@" "$a" "$b"
	ok convert "$@" --types "$types" "$b" "$c"
	if ! cmp -s "$a" "$c"; then
		cmp "$a" "$c" >&2 || true
		python3 - "$a" "$c" <<'PY' >&2
import sys
a, c = (open(p, "rb").read() for p in sys.argv[1:3])
i = next((k for k in range(min(len(a), len(c))) if a[k] != c[k]), min(len(a), len(c)))
print("first difference at byte %d:\n  original: %r\n  result:   %r" % (i, a[max(0, i - 60):i + 60], c[max(0, i - 60):i + 60]))
PY
		fail "$ext -> $mid -> $ext (seed $seed) is not byte-identical"
	fi
	ok schema "$a"
	cp "$T/out" "schema-a$seed"
	ok schema "$c"
	cmp -s "schema-a$seed" "$T/out" || { diff "schema-a$seed" "$T/out" >&2; fail "schema of $c differs"; }
}

# JSON -> CSV -> JSON, value by value.
json_trip() { # seed rows shape ext [convert options...]
	local seed=$1 rows=$2 shape=$3 ext=$4
	shift 4
	local a=j$seed.$ext b=j$seed.csv c=k$seed.$ext maps types
	maps=$(gen maptypes)
	gen json "$seed" "$rows" "$shape" "$a"
	types=$(types_of --types "$maps" "$a")
	ok convert "$@" --types "$maps" "$a" "$b"
	ok convert "$@" --types "$types" "$b" "$c"
	gen compare "$a" "$c" || fail "$ext -> csv -> $ext (seed $seed) changed values"
}

for seed in 1 2 3; do
	text_trip "$seed" 2000 , csv jsonl
	text_trip "$seed" 2000 , csv json
	text_trip "$seed" 2000 tab tsv jsonl
	json_trip "$seed" 1500 lines jsonl
	json_trip "$seed" 1500 array json
done

# Parallel chunks (both readers) and ranges (both writers): small chunks
# on a few MB.
text_trip 4 20000 , csv jsonl -r chunk-size=256K
json_trip 5 15000 lines jsonl -r chunk-size=256K
