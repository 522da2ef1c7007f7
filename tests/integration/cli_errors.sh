#!/usr/bin/env bash
# Error paths: each names the problem and its place, exits with the status
# from tarn_rc_exit_code, and leaves no output file (or temporary) behind.
source "$(dirname "$0")/lib/cli.bash"

# Missing input: not found (6).
expect 6 convert nope.csv out.jsonl
err_has "tarn: cannot open 'nope.csv'"
no_output out.jsonl
expect 6 schema nope.csv
expect 6 head nope.csv
expect 6 count nope.csv
expect 6 cat nope.csv
expect 6 sample nope.csv s.csv --method topk --n 1
no_output s.csv

# Output into a directory that does not exist: not found (6).
printf 'a\n1\n' >one.csv
expect 6 convert one.csv no/such/dir/out.csv
err_has "no/such/dir/out.csv"

# A directory is a dataset; one with no readable files is "not found".
mkdir adir
expect 6 count adir
err_has "adir: no readable files there"

# Ragged row: bad data (2), the line number in the message, no output.
printf 'a,b,c\n1,2,3\n4,5,6\n7,8\n10,11,12\n' >ragged.csv
expect 2 convert ragged.csv ragged.jsonl
err_has "tarn: "
err_has ":4"
no_output ragged.jsonl
expect 2 sample ragged.csv rs.csv --method random --n 2
no_output rs.csv
expect 2 count ragged.csv

# --on-bad-row skip / null-fill: the summary says what happened.
ok convert ragged.csv skipped.jsonl --on-bad-row skip
err_has "converted 3 rows"
err_has "skipped 1 bad row"
ok convert ragged.csv filled.jsonl --on-bad-row null-fill
err_has "converted 4 rows"
err_has "filled 1 bad row with nulls"
expect 1 convert ragged.csv x.jsonl --on-bad-row ignore
err_has "--on-bad-row: 'ignore'"
no_output x.jsonl

# Unterminated quote, with the quote named and sniffed: a field that starts
# with '"' keeps quoting on, so the damage is reported, not read as data.
printf 'a,b\n1,"open\n2,3\n' >quote.csv
expect 2 convert quote.csv quote.jsonl -r 'quote="'
err_has "unterminated quoted field starting at line 2"
no_output quote.jsonl
expect 2 convert quote.csv quote.jsonl
err_has "unterminated quoted field starting at line 2, column 3"
no_output quote.jsonl
printf 'a,b\n1,"x"y\n' >after.csv
expect 2 convert after.csv after.jsonl
err_has "after.csv:2:6: unexpected character 'y' after the closing quote"
no_output after.jsonl

# Invalid UTF-8.
printf 'a,b\n1,ok\n2,bad\xff\xfe\n' >utf8.csv
expect 2 convert utf8.csv utf8.jsonl
err_has "UTF-8"
no_output utf8.jsonl
printf '{"a":"ok"}\n{"a":"bad\xc3"}\n' >utf8.jsonl
expect 2 convert utf8.jsonl utf8_out.csv
err_has "UTF-8"
no_output utf8_out.csv

# Malformed JSON Lines: the line is named.
printf '{"a":1}\n{"a":2,}\n{"a":3}\n' >broken.jsonl
expect 2 convert broken.jsonl broken.csv
err_has "broken.jsonl:2"
no_output broken.csv

# Truncated gzip and zstd.
seq 1 20000 | sed 's/^/row,/' | (echo "a,b"; cat) >big.csv
gzip -c big.csv >big.csv.gz
head -c $(( $(stat -c %s big.csv.gz) / 2 )) big.csv.gz >cut.csv.gz
expect 2 convert cut.csv.gz cut.jsonl
err_has "truncated gzip"
no_output cut.jsonl
zstd -q -c big.csv >big.csv.zst
head -c $(( $(stat -c %s big.csv.zst) / 2 )) big.csv.zst >cut.csv.zst
expect 2 count cut.csv.zst
err_has "truncated zstd"

# Writing where one cannot: I/O error (3) unless the name is missing.
if [ "$(id -u)" != 0 ]; then
	mkdir ro && chmod 555 ro
	expect 3 convert one.csv ro/out.csv
	no_output ro/out.csv
fi
