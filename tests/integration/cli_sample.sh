#!/usr/bin/env bash
# tarn sample: top-K exactness, reservoir size and determinism per seed,
# exact fraction counts, stratified shares (the rare class survives), input
# order kept, formats, and failures leaving no output.
source "$(dirname "$0")/lib/cli.bash"

# 1,000 rows; label by id % 100: 90 "a", 9 "b", 1 "c" in every hundred.
python3 - <<'PY'
with open("in.csv", "w") as f:
    f.write("id,label,value\n")
    for i in range(1000):
        m = i % 100
        f.write(f"{i},{'a' if m < 90 else 'b' if m < 99 else 'c'},{i * 7 % 1000}\n")
PY

# Checks a CSV sample: N data rows, ids strictly increasing (input order),
# every row identical to the input row with that id; prints label counts.
check() { # file rows
	python3 - "$1" "$2" <<'PY'
import sys, collections
path, want = sys.argv[1], int(sys.argv[2])
src = {l.split(",")[0]: l for l in open("in.csv").read().splitlines()[1:]}
rows = open(path).read().splitlines()
assert rows[0] == "id,label,value", rows[0]
rows = rows[1:]
assert len(rows) == want, (len(rows), want)
ids = [int(r.split(",")[0]) for r in rows]
assert ids == sorted(set(ids)), "not in input order / duplicates"
for r in rows:
    assert src[r.split(",")[0]] == r, ("row changed", r)
c = collections.Counter(r.split(",")[1] for r in rows)
print(" ".join(f"{k}={c[k]}" for k in sorted(c)))
PY
}

# topk: exactly the first rows, byte for byte.
ok sample in.csv top.csv --method topk --n 5
head -6 in.csv | cmp -s - top.csv || { cat top.csv; fail "topk is not the first 5 rows"; }
err_has "sampled 5 rows (topk; in.csv → top.csv)"
ok sample in.csv top_all.csv --method topk --n 5000
cmp -s in.csv top_all.csv || fail "topk larger than the input is not the input"
ok sample in.csv - --method topk --n 2
out_is "$(head -3 in.csv)"

# random --n: exact size, input order, same seed same rows, other seed not.
ok sample in.csv r1.csv --method random --n 50 --seed 1
err_has "sampled 50 of 1,000 rows (random, seed 1; in.csv → r1.csv)"
check r1.csv 50 >/dev/null
ok sample in.csv r1b.csv --method random --n 50 --seed 1
cmp -s r1.csv r1b.csv || fail "same seed, different sample"
ok sample in.csv r2.csv --method random --n 50 --seed 2
! cmp -s r1.csv r2.csv || fail "different seeds gave the same sample"
ok sample in.csv r3.csv --method random --n 50
ok sample in.csv r4.csv --method random --n 50 --seed 42
cmp -s r3.csv r4.csv || fail "the default seed is not 42"
ok sample in.csv rall.csv --method random --n 1000
cmp -s in.csv rall.csv || fail "a reservoir as large as the input is not the input"

# random --fraction: exactly round(F x rows).
ok sample in.csv f.csv --method random --fraction 0.1 --seed 5
check f.csv 100 >/dev/null
ok sample in.csv f2.csv --method random --fraction 2.5% --seed 5
check f2.csv 25 >/dev/null

# stratified: 10% keeps the 90/9/1 split exactly; 1% still keeps a "c".
ok sample in.csv s.csv --method stratified --by label --fraction 10%
err_has "stratified by label"
[ "$(check s.csv 100)" = "a=90 b=9 c=1" ] || fail "stratified 10%: $(check s.csv 100)"
ok sample in.csv s1.csv --method stratified --by label --fraction 0.01
[ "$(check s1.csv 10)" = "a=8 b=1 c=1" ] || fail "stratified 1%: $(check s1.csv 10)"
ok sample in.csv sn.csv --method stratified --by label --n 200 --seed 3
[ "$(check sn.csv 200)" = "a=180 b=18 c=2" ] || fail "stratified --n 200: $(check sn.csv 200)"
ok sample in.csv sn2.csv --method stratified --by label --n 200 --seed 3
cmp -s sn.csv sn2.csv || fail "stratified: same seed, different sample"
ok sample in.csv sn3.csv --method stratified --by label --n 200 --seed 4
! cmp -s sn.csv sn3.csv || fail "stratified: different seeds gave the same sample"

# Formats: JSONL in, CSV out by extension; unknown extension keeps the input's.
ok convert in.csv in.jsonl
ok sample in.jsonl sj.csv --method stratified --by label --fraction 10%
[ "$(check sj.csv 100)" = "a=90 b=9 c=1" ] || fail "JSONL stratified: $(check sj.csv 100)"
ok sample in.csv same.sample --method topk --n 3
head -4 in.csv | cmp -s - same.sample || fail "output without an extension is not CSV"
ok sample in.csv z.jsonl.gz --method random --n 10
[ "$(gzip -dc z.jsonl.gz | wc -l)" = 10 ] || fail "compressed sample wrong"

# --json summary.
ok sample in.csv js.csv --method random --n 7 --json
json_ok out
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["rows"]==7 and d["rows_read"]==1000, d' out

# Failures leave nothing.
expect 6 sample in.csv bad.csv --method stratified --by nope --n 5
err_has "no column 'nope'"
err_has "label"
no_output bad.csv
echo "keep" >existing.csv
expect 6 sample in.csv existing.csv --method stratified --by nope --n 5
[ "$(cat existing.csv)" = keep ] || fail "a failed sample clobbered its output"
