#!/usr/bin/env bash
# schema, head, cat and count on small CSV/JSONL files, and a closed stdout
# pipe (`tarn cat | head -1`) ending quietly.
source "$(dirname "$0")/lib/cli.bash"

cat >t.csv <<'CSV'
id,city,amount,note
1,Zürich,12.50,plain
2,São Paulo,7.00,
3,東京,100.25,a very long note that will certainly not fit in a narrow column at all
CSV

# schema: one line per column, with a header; --json parses.
ok schema t.csv
out_has "column"
out_has "nullable"
grep -Eq '^id +int' out || { show; fail "id should be an integer column"; }
grep -Eq '^city +string' out || { show; fail "city should be a string"; }
[ "$(lines out)" = 5 ] || fail "schema printed $(lines out) lines, want 5"
ok schema --json t.csv
json_ok out
python3 - out <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
names = [f["name"] for f in d["fields"]]
assert names == ["id", "city", "amount", "note"], names
assert all({"name", "type", "nullable"} <= set(f) for f in d["fields"]), d
PY
ok schema --types id=string t.csv
grep -Eq '^id +string' out || { show; fail "--types did not change the schema"; }

# head: header, type row, rule, rows; -n; nulls; cut cells; UTF-8 widths.
ok head t.csv
out_has "id"
out_has "Zürich"
out_has "東京"
out_has "null"
out_has "…"
[ "$(lines out)" = 6 ] || fail "head printed $(lines out) lines, want 6"
python3 - out <<'PY'
import sys, unicodedata
rows = open(sys.argv[1], encoding="utf-8").read().splitlines()
# Plain style, widths in terminal columns (East Asian wide characters take
# two): "city" (left-aligned) starts and "amount" (right-aligned) ends at the
# same column on every line.
def cols(s):
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else
               0 if unicodedata.combining(c) else 1 for c in s)
def at(line, col):  # the character at terminal column col
    w = 0
    for i, c in enumerate(line):
        if w >= col:
            return line[i - 2:i] if False else (line[:i], line[i:])
        w += cols(c)
    return (line, "")
hdr = rows[0]
start = cols(hdr[:hdr.index("city")])
end = cols(hdr[:hdr.index("amount") + len("amount")])
for r in [rows[1]] + rows[3:]:
    before, after = at(r, start)
    assert cols(before) == start and before.endswith("  ") and after[:1] != " ", (r, start)
    before, after = at(r, end)
    assert cols(before) == end and not before.endswith(" ") and after.startswith("  "), (r, end)
PY
ok head -n 1 t.csv
[ "$(lines out)" = 4 ] || fail "head -n 1 printed $(lines out) lines"
ok head -n 0 t.csv
[ "$(lines out)" = 3 ] || fail "head -n 0 printed $(lines out) lines"
ok head --max-width 5 t.csv
out_has "Züri…"
out_has "100.25" # numbers are never cut
ok head --style box t.csv
out_has "┌"
out_has "│"

# cat: CSV by default, other formats with --to.
ok cat t.csv
out_has "id,city,amount,note"
[ "$(lines out)" = 4 ] || fail "cat printed $(lines out) lines"
ok cat --to jsonl t.csv
[ "$(lines out)" = 3 ] || fail "cat --to jsonl printed $(lines out) lines"
python3 -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]' out || fail "cat --to jsonl is not JSON Lines"
ok cat --to jsonl - <t.csv
[ "$(lines out)" = 3 ] || fail "cat from stdin printed $(lines out) lines"

# count: just the number; --json.
ok count t.csv
out_is 3
ok count --json t.csv
json_ok out
out_is '{"rows":3}'
printf '{"a":1}\n{"a":2}\n' >two.jsonl
ok count two.jsonl
out_is 2
printf 'a\n' >empty.csv
ok count empty.csv
out_is 0

# A reader that stops early: quiet exit, status 0 even under pipefail.
seq 1 300000 | sed 's/$/,xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx/' | (echo "n,pad"; cat) >big.csv
set +e
first=$("$TARN" cat big.csv 2>pipe.err | head -1)
st=${PIPESTATUS[0]}
set -e
[ "$first" = "n,pad" ] || fail "first line was '$first'"
[ "$st" = 0 ] || fail "tarn cat | head -1 exited $st"
[ ! -s pipe.err ] || { cat pipe.err; fail "tarn cat | head -1 printed to stderr"; }
set +e
"$TARN" head -n 100000 big.csv 2>pipe.err | head -2 >/dev/null
st=${PIPESTATUS[0]}
set -e
[ "$st" = 0 ] || fail "tarn head | head exited $st"
[ ! -s pipe.err ] || { cat pipe.err; fail "tarn head | head printed to stderr"; }
