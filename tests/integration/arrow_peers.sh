#!/usr/bin/env bash
# arrow_peers: Arrow IPC files round trip between tarn and apache-arrow (JS,
# tests/peers/node_modules/apache-arrow), compared in the canonical row form
# of tests/peers/canon.mjs (tests/peers/arrow_check.mjs reads the raw
# buffers, so nanoseconds and 64-bit integers compare exactly).
#
# 1. apache-arrow writes files with every type it can write (ints, floats
#    incl. float16, decimal128/256, utf8/large/view, binary/large/view/
#    fixed-size, date32/64, time32/64, timestamps in each unit with zones,
#    durations, intervals, list/large_list/fixed_size_list, struct, map,
#    null), nulls everywhere, several record batches; the same compressed
#    with LZ4_FRAME and ZSTD; dictionaries with a delta (file and stream),
#    a replacement (stream), int8/uint16 indices; one 150000-row batch; a
#    union. tarn reads each (the union must be refused by name) and writes
#    it back; apache-arrow must read the rows it wrote. tarn's own delta
#    dictionaries (dictionary=c over batches bringing new values) too.
# 2. tarn writes the all-types table under every writer option set (both
#    formats, lz4, zstd, dictionary=COLS and auto, .feather's lz4 default);
#    apache-arrow must read the same rows, with time zones kept.
# 3. CSV in: `tarn convert x.csv y.arrow` and y.parquet; apache-arrow's rows
#    of y.arrow must equal DuckDB's rows of y.parquet.
PEERS=$(cd "$(dirname "$0")/../peers" && pwd)
source "$(dirname "$0")/lib/cli.bash"
[ -d "$PEERS/node_modules/apache-arrow" ] ||
	fail "test peers missing: run scripts/install-deps (npm install in tests/peers)"
command -v zstd >/dev/null || fail "the zstd tool is missing (scripts/install-deps installs it)"
js() { node "$PEERS/arrow_check.mjs" "$@"; }
same() { node "$PEERS/compare.mjs" "$@"; }

js write js || fail "apache-arrow could not write its test files"

# 1. JS → tarn → JS.
for f in js_types.arrow js_types.arrows js_types_lz4.arrow js_types_zstd.arrows \
	js_dict_delta.arrow js_dict_delta.arrows js_dict_replace.arrows js_dict_i8.arrow js_big.arrow; do
	ok convert "js/$f" "back_$f.arrows"
	js rows "back_$f.arrows" >"back_$f.rows" || fail "apache-arrow cannot read tarn's copy of $f"
	same "js/$f.rows" "back_$f.rows" "tarn reading apache-arrow's $f" || fail "tarn reads $f differently"
done
# Batches stay within 65536 rows and the row count is right.
ok count js/js_big.arrow
out_has 150000
ok schema js/js_types.arrow
out_has "timestamp[us, America/New_York]"
out_has "float16 read as float32"
out_has "interval[month_day_nano] read as struct"
expect 5 convert js/js_union.arrow u.arrow
err_has "field 'u': the Arrow type Union is not supported"
no_output u.arrow

# tarn's dictionary deltas (new values in later batches), read by apache-arrow.
for ext in arrow arrows; do
	ok convert js/js_dict_replace.arrows "delta.$ext" -w dictionary=c
	js rows "delta.$ext" >"delta_$ext.rows" || fail "apache-arrow cannot read tarn's delta.$ext"
	same js/js_dict_replace.arrows.rows "delta_$ext.rows" "apache-arrow reading tarn's deltas ($ext)" ||
		fail "delta.$ext differs"
done

# 2. tarn → JS, every option set.
js rows js/js_types.arrow >ref.rows
n=0
while read -r ext opts; do
	n=$((n + 1))
	# shellcheck disable=SC2086
	ok convert js/js_types.arrow "t$n.$ext" $opts
	js rows "t$n.$ext" >"t$n.rows" || fail "apache-arrow cannot read t$n.$ext ($opts)"
	same ref.rows "t$n.rows" "apache-arrow reading tarn's t$n.$ext ($opts)" || fail "t$n.$ext differs"
	# And tarn reads its own file back to the same rows.
	ok convert "t$n.$ext" "r$n.arrow"
	js rows "r$n.arrow" >"r$n.rows"
	same ref.rows "r$n.rows" "tarn re-reading t$n.$ext" || fail "tarn re-reads t$n.$ext differently"
done <<'EOF'
arrow
arrows
arrow -w compression=lz4
arrows -w compression=lz4
arrow -w compression=zstd
arrows -w compression=zstd -w compression-level=7
arrow -w dictionary=s,ls,sv,bin
arrows -w dictionary=auto -w compression=zstd
ipc -w dictionary=s -w compression=lz4
feather
EOF
js schema t1.arrow >schema.txt
grep -qF "tsp_us: Timestamp<MICROSECOND, America/New_York>" schema.txt || fail "time zone lost: $(cat schema.txt)"
grep -qF "tsp_ns: Timestamp<NANOSECOND, +05:30>" schema.txt || fail "offset zone lost"
grep -qF "ts_s: Time32<SECOND>" schema.txt || fail "time64[s] not written as time32"
js schema t7.arrow | grep -qF "s: Dictionary<Int32, Utf8>" || fail "dictionary=s not dictionary-encoded"
js schema t8.arrows | grep -qF "s: Dictionary<Int32, Utf8>" || fail "dictionary=auto left s plain"
js schema t8.arrows | grep -qF "sv: Utf8" || fail "dictionary=auto encoded a unique column"
# .feather defaults to LZ4 (as pyarrow's Feather writer): smaller than plain.
[ "$(stat -c %s t10.feather)" -lt "$(stat -c %s t1.arrow)" ] || fail ".feather was not compressed"
[ "$(stat -c %s t3.arrow)" -lt "$(stat -c %s t1.arrow)" ] || fail "lz4 did not compress"
[ "$(stat -c %s t5.arrow)" -lt "$(stat -c %s t3.arrow)" ] || fail "zstd compressed less than lz4"
expect 1 convert js/js_types.arrow bad.arrow -w compression=snappy
err_has "snappy"
no_output bad.arrow
expect 1 convert js/js_types.arrow bad.arrow -w dictionary=i32
err_has "only string and binary"

# 3. CSV → Arrow, checked against DuckDB's reading of tarn's Parquet.
cat >x.csv <<'EOF'
id,name,price,when,day,ok
1,alpha,1.25,2024-01-02 03:04:05,2024-01-02,true
2,,2.5,2024-02-03 04:05:06.123456,2023-12-31,false
3,gamma "q",,1999-12-31 23:59:59,1970-01-01,
4,δέλτα,-0.001,2000-02-29 00:00:00,2000-02-29,true
EOF
ok convert x.csv y.arrow
ok convert x.csv y.parquet
js rows y.arrow >y_js.rows || fail "apache-arrow cannot read y.arrow"
node "$PEERS/duckdb_rows.mjs" y.parquet >y_duck.rows || fail "DuckDB cannot read y.parquet"
same y_duck.rows y_js.rows "apache-arrow's y.arrow vs DuckDB's y.parquet" || fail "y.arrow differs"

# An empty table keeps its schema.
head -n 1 x.csv >empty.csv
ok convert empty.csv empty.arrows
js schema empty.arrows >es.txt || fail "apache-arrow cannot read an empty stream"
grep -qF "name: Utf8" es.txt || fail "empty stream lost its schema: $(cat es.txt)"
echo "arrow_peers: ok"
