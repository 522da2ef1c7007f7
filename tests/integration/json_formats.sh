#!/usr/bin/env bash
# JSON and JSON Lines through the tarn binary: both shapes in, both out
# (checked with python's json module), schema notes shown by `tarn schema`,
# error messages with their location and exit status 2, reader options via
# -r, on-bad-row, compressed input, and --threads 1 agreeing with the
# parallel reader on a file large enough to be split into chunks.
source "$(dirname "$0")/lib/cli.bash"

cat >events.jsonl <<'EOF'
{"id":1,"user":{"name":"Ada","tags":["a","b"]},"score":9.5,"mixed":1}
{"id":2,"user":{"name":"Bo","tags":[]},"score":7,"mixed":"x"}
{"id":3,"user":null,"score":null}
EOF

# JSONL -> JSON: a top-level array python can load, values kept.
ok convert events.jsonl events.json
json_ok events.json
python3 - events.json <<'PY'
import json, sys
rows = json.load(open(sys.argv[1]))
assert [r["id"] for r in rows] == [1, 2, 3], rows
assert rows[0]["user"] == {"name": "Ada", "tags": ["a", "b"]}, rows[0]
assert rows[1]["score"] == 7.0 and rows[2]["score"] is None, rows
assert rows[0]["mixed"] == "1" and rows[1]["mixed"] == "x" and rows[2]["mixed"] is None, rows
PY

# ... and back: the same JSON Lines text.
ok convert events.json back.jsonl
ok convert back.jsonl again.jsonl
cmp -s back.jsonl again.jsonl || fail "JSON Lines round trip is not a fixed point"
python3 - back.jsonl <<'PY'
import json, sys
for line in open(sys.argv[1]):
    json.loads(line)
PY

# The schema shows nested types and the inference notes.
ok schema events.jsonl
out_has "struct<name: string, tags: list<string>>"
out_has "mixed string and number values; kept as string"

# Errors: location, exit status 2, nothing written.
printf '{"a":1}\n{"a":2,}\n' >bad.jsonl
expect 2 convert bad.jsonl bad.json
err_has "bad.jsonl:2:8 (byte 15): trailing comma before '}'"
no_output bad.json

printf '{"a":1}\n{"a":"x"}\n' >late.jsonl
expect 2 convert -r infer-rows=1 late.jsonl late.csv
err_has 'record 2): key "a": "x" does not fit the column type int64'
ok convert -r infer-rows=1 --on-bad-row skip late.jsonl late.csv
[ "$(lines late.csv)" = 2 ] || fail "skip kept $(lines late.csv) lines"
ok convert -r infer-rows=1 --on-bad-row null-fill late.jsonl late2.jsonl
grep -q '{"a":null}' late2.jsonl || fail "null-fill did not null the misfit"

# --types through the CLI.
ok convert --types id=int32,score=float32 events.jsonl typed.jsonl
ok schema typed.jsonl

# Hostile nesting: a clean limit error, not a crash.
python3 -c 'print("[" * 200000 + "]" * 200000)' >deep.json
expect 2 convert deep.json deep.jsonl
err_has "nesting deeper than max-depth (64)"

# gzip input (suffix and magic) and zstd output.
gzip -c events.jsonl >events.jsonl.gz
ok convert events.jsonl.gz ev.jsonl.zst
zstd -dc ev.jsonl.zst >ev.jsonl
cmp -s ev.jsonl back.jsonl || fail "gzip -> zstd changed the rows"

# A file big enough for parallel chunks: 1 thread and 2 threads agree.
python3 - <<'PY'
import json, random
random.seed(7)
with open("big.jsonl", "w") as f:
    for i in range(150000):
        r = {"i": i, "s": "v%d\u00e9\"q" % i, "f": i / 7, "l": [i, i % 3],
             "o": {"k": i % 2 == 0}}
        if i % 11 == 0:
            r["opt"] = None
        f.write(json.dumps(r) + "\n")
PY
ok --threads 1 convert -r chunk-size=1M big.jsonl one.jsonl
ok --threads 2 convert -r chunk-size=1M big.jsonl two.jsonl
cmp -s one.jsonl two.jsonl || fail "1 and 2 threads disagree"
[ "$(lines two.jsonl)" = 150000 ] || fail "big.jsonl lost rows"
ok count big.jsonl
out_has "150000"
