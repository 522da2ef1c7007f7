#!/usr/bin/env bash
# tarn demo: builds the sample lake, describes it, and is idempotent (a second
# run leaves byte-identical files and no temporaries).
source "$(dirname "$0")/lib/cli.bash"

ok demo --home "$T/home"
lake="$T/home/lake"
for f in raw/customers.csv raw/transactions.jsonl curated/customers.jsonl \
	curated/transactions.csv samples/customers_by_churned_10pct.csv; do
	[ -s "$lake/$f" ] || fail "demo did not make $f"
	out_has "$f"
done
out_has "Try next:"
out_has "tarn head $lake/raw/customers.csv"
out_has "churned"
out_has "is_fraud"

# Row counts and the planted traps.
[ "$(lines "$lake/raw/customers.csv")" = 5001 ] || fail "customers.csv rows"
[ "$(lines "$lake/raw/transactions.jsonl")" = 5000 ] || fail "transactions rows"
[ "$(lines "$lake/curated/customers.jsonl")" = 5000 ] || fail "curated customers rows"
[ "$(lines "$lake/curated/transactions.csv")" = 5001 ] || fail "curated transactions rows"
python3 - "$lake" <<'PY'
import csv, json, sys, collections
lake = sys.argv[1]
cust = list(csv.DictReader(open(f"{lake}/raw/customers.csv")))
assert len(cust) == 5000
assert any(r["zip"].startswith("0") for r in cust), "no zip with a leading zero"
churn = [r for r in cust if r["churned"] == "true"]
assert 0.1 < len(churn) / len(cust) < 0.5, len(churn)
assert all(r["account_cancel_date"] for r in churn), "cancel date missing for churn"
assert not any(r["account_cancel_date"] for r in cust if r["churned"] == "false")
curated = [json.loads(l) for l in open(f"{lake}/curated/customers.jsonl")]
assert [c["zip"] for c in curated] == [r["zip"] for r in cust], "zip changed in curation"
tx = [json.loads(l) for l in open(f"{lake}/raw/transactions.jsonl")]
fraud = [t for t in tx if t["is_fraud"]]
assert 0.01 < len(fraud) / len(tx) < 0.1, len(fraud)
assert all(t["recovery_ticket_id"] for t in fraud)
assert not any(t["recovery_ticket_id"] for t in tx if not t["is_fraud"])
sample = list(csv.DictReader(open(f"{lake}/samples/customers_by_churned_10pct.csv")))
assert len(sample) == 500, len(sample)
c = collections.Counter(r["churned"] for r in sample)
want = round(500 * len(churn) / 5000)
assert abs(c["true"] - want) <= 1, (c, want)
PY

# Idempotent: same bytes the second time, nothing left over.
(cd "$lake" && find . -type f | sort | xargs md5sum) >first.md5
ok demo --home "$T/home"
(cd "$lake" && find . -type f | sort | xargs md5sum) >second.md5
cmp -s first.md5 second.md5 || { diff first.md5 second.md5; fail "demo is not idempotent"; }
if find "$lake" -name '*tarn-tmp*' | grep -q .; then fail "temporary files left"; fi

# TARN_HOME is the default home.
TARN_HOME="$T/envhome" "$TARN" demo >/dev/null 2>&1 || fail "demo with TARN_HOME failed"
[ -s "$T/envhome/lake/raw/customers.csv" ] || fail "TARN_HOME ignored"

# A home that cannot be created is an error, not a crash.
echo file >"$T/plainfile"
expect 3 demo --home "$T/plainfile/sub"
err_has "tarn: "
