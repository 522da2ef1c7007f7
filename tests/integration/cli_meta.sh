# tarn meta: a Parquet file's footer as text and JSON; clear errors otherwise.
source "$(dirname "${BASH_SOURCE[0]}")/lib/cli.bash"

printf 'id,name,price,day\n1,ann,1.50,2024-01-02\n2,,2.25,2024-01-03\n3,cy,,2024-02-29\n' >t.csv
ok convert t.csv t.parquet -w compression=zstd
ok meta t.parquet
out_has "rows        3 in 1 row group"
out_has "price  INT64 ZSTD"
out_has "nulls 1, min 1.50, max 2.25"
out_has "min 2024-01-02, max 2024-02-29"

ok meta --json t.parquet
json_ok "$T/out"
python3 - "$T/out" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["num_rows"] == 3, d["num_rows"]
assert len(d["row_groups"]) == 1
cols = d["row_groups"][0]["columns"]
assert [c["path"] for c in cols] == ["id", "name", "price", "day"], cols
PY

# Page indexes and Bloom filters are shown where present.
ok convert t.csv tb.parquet -w bloom-columns=name
ok meta tb.parquet
grep -q "^  name .*column index, offset index, bloom filter [0-9]* bytes$" "$T/out" || { show; fail "meta lacks the name column's indexes and Bloom filter"; }
grep -q "^  id .*offset index$" "$T/out" || { show; fail "meta: id line"; }
ok meta --json tb.parquet
python3 - "$T/out" <<'PY'
import json, sys
cols = json.load(open(sys.argv[1]))["row_groups"][0]["columns"]
by = {c["path"]: c for c in cols}
assert by["name"]["bloom_filter_length"] > 0 and "bloom_filter_offset" in by["name"], by["name"]
assert "bloom_filter_offset" not in by["id"], by["id"]
assert all(c["column_index_length"] > 0 and c["offset_index_length"] > 0 for c in cols), cols
PY

# Not Parquet, missing, truncated: clear errors, right exit codes.
expect 2 meta t.csv
err_has "t.csv: not a Parquet file"
expect 6 meta missing.parquet
err_has "missing.parquet"
head -c 100 t.parquet >trunc.parquet
expect 2 meta trunc.parquet
err_has "trunc.parquet"
ok meta --help
out_has "row groups"
