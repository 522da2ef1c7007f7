#!/usr/bin/env bash
# orc_cli: the ORC format through the tarn binary — CSV -> ORC -> CSV gives
# the same rows for every codec and both file versions, projection with
# -r columns=, the schema, reading the Apache ORC examples, and clean
# failures (corrupt files exit 2 with a message naming the file; a
# whole-file .gz suffix is refused; a bad option is a usage error).
CORPUS=$(cd "$(dirname "$0")/../.." && pwd)/../shared/corpus/orc/examples
source "$(dirname "$0")/lib/cli.bash"

# 30,000 rows: ints, doubles with a fraction, repeated and unique strings,
# dates, timestamps, empty strings and missing values
awk 'BEGIN {
	print "id,grp,price,name,note,day,ts,flag"
	for (i = 0; i < 30000; i++) {
		note = (i % 11 == 0) ? "" : "n" (i * 7919 % 100003)
		price = (i % 13 == 0) ? "" : sprintf("%.2f", (i % 997) / 7.0 - 60)
		printf "%d,%d,%s,name%d,%s,%04d-%02d-%02d,2020-01-%02d %02d:%02d:%02d.%03d,%s\n",
			i, i % 7, price, i % 50, note, 1990 + i % 40, 1 + i % 12, 1 + i % 28,
			1 + i % 28, i % 24, i % 60, (i * 7) % 60, i % 1000, (i % 3 ? "true" : "false")
	}
}' >in.csv
ok convert in.csv ref.csv
for codec in zstd zlib snappy lz4 brotli none; do
	ok convert in.csv "x_$codec.orc" -w compression=$codec -w stripe-size=256K -w row-index-stride=1000
	ok convert "x_$codec.orc" "back_$codec.csv"
	cmp -s ref.csv "back_$codec.csv" || fail "CSV -> ORC ($codec) -> CSV changed the rows"
done
ok convert in.csv v11.orc -w format-version=0.11 -w dictionary-key-size-threshold=1
ok convert v11.orc back_v11.csv
cmp -s ref.csv back_v11.csv || fail "format-version=0.11 changed the rows"

ok count x_zstd.orc
out_is 30000
ok schema x_zstd.orc
out_has "price"
out_has "decimal(18,2)"
out_has "date32"
out_has "timestamp"
# projection: the columns asked for, in that order
ok convert x_zstd.orc proj.csv -r columns=name,id
head -1 proj.csv | grep -qx 'name,id' || fail "projection header: $(head -1 proj.csv)"
[ "$(wc -l <proj.csv)" = 30001 ] || fail "projection lost rows"
expect 6 convert x_zstd.orc nope.csv -r columns=nope
err_has "no column 'nope'"

# bad options and names
expect 1 convert in.csv bad.orc -w compression=lzo
err_has "compression"
no_output bad.orc
expect 1 convert in.csv bad.orc.gz
no_output bad.orc.gz

if [ -d "$CORPUS" ]; then
	ok convert "$CORPUS/TestOrcFile.test1.orc" t1.jsonl
	grep -q '"string1":"hi"' t1.jsonl || fail "TestOrcFile.test1.orc: $(head -c 300 t1.jsonl)"
	ok count "$CORPUS/TestOrcFile.testSeek.orc"
	out_is 32768
	for f in "$CORPUS"/corrupt/*.orc; do
		expect 2 count "$f"
		err_has "$(basename "$f")"
	done
	# ORC -> ORC -> JSONL keeps the rows (unions, decimals, timestamps)
	ok convert "$CORPUS/TestOrcFile.testUnionAndTimestamp.orc" u1.jsonl
	ok convert "$CORPUS/TestOrcFile.testUnionAndTimestamp.orc" u.orc
	ok convert u.orc u2.jsonl
	cmp -s u1.jsonl u2.jsonl || fail "ORC -> ORC changed testUnionAndTimestamp"
fi
echo "orc_cli: ok"
