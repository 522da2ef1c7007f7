#!/usr/bin/env bash
# The command table, help for every command, --version, usage errors and
# their hints, and option spellings. Needs no file format.
source "$(dirname "$0")/lib/cli.bash"

ok --help
for c in convert schema head cat count sample formats demo; do
	out_has "  $c "
done
out_has "Exit status:"
out_has "70  internal error"
out_has "6   not found"

for c in convert schema head cat count sample formats demo; do
	ok "$c" --help
	out_has "usage: tarn $c"
	out_has "Global options:"
	out_has "Exit status:"
	ok help "$c"
	out_has "usage: tarn $c"
	# -h anywhere on the line wins over other errors
	ok "$c" --no-such-option -h
	out_has "usage: tarn $c"
done
ok convert --help
out_has "--on-bad-row MODE"
out_has "--compression CODEC"
ok sample --help
out_has "--fraction F"
out_has "stratified"

ok --version
out_is "tarn 0.1.0"
ok count --version
out_is "tarn 0.1.0"

# No command: help on stderr, usage status.
expect 1
err_has "usage: tarn"

expect 1 frobnicate
err_has "tarn: unknown command 'frobnicate'"
expect 1 convrt a.csv b.csv
err_has "did you mean 'convert'"
expect 1 --frobnicate
err_has "unknown option '--frobnicate'"
expect 1 --quite count x.csv
err_has "did you mean '--quiet'"

expect 1 convert a.csv b.csv --form csv
err_has "unknown option '--form' for convert (did you mean '--from'?)"
err_has "Run 'tarn convert --help'"
expect 1 head -x a.csv
err_has "unknown option '-x'"
expect 1 head a.csv --rows
err_has "option --rows needs a value"
expect 1 count --json=yes a.csv
err_has "option --json takes no value"
expect 1 convert onlyone.csv
err_has "missing argument"
expect 1 count a.csv b.csv
err_has "unexpected argument 'b.csv'"
expect 1 head -n ten a.csv
err_has "-n: 'ten' is not a whole number"
expect 1 --threads lots count a.csv
err_has "--threads: 'lots'"
expect 1 head --style fancy a.csv
err_has "--style: 'fancy'"

# Sample's own checks come before any file is opened.
expect 1 sample in.csv out.csv --n 5
err_has "--method is required"
expect 1 sample in.csv out.csv --method sideways --n 5
err_has "'sideways' is not topk, random or stratified"
expect 1 sample in.csv out.csv --method random
err_has "exactly one of --n N and --fraction F"
expect 1 sample in.csv out.csv --method random --n 5 --fraction 0.1
err_has "exactly one of"
expect 1 sample in.csv out.csv --method random --fraction 1.5
err_has "--fraction: '1.5'"
expect 1 sample in.csv out.csv --method random --fraction 0
err_has "--fraction: '0'"
expect 1 sample in.csv out.csv --method topk --fraction 0.5
err_has "takes no --fraction"
expect 1 sample in.csv out.csv --method stratified --n 5
err_has "needs --by COL"
expect 1 sample in.csv out.csv --method random --n 5 --by x
err_has "--by is for --method stratified"
expect 1 sample in.csv out.csv --method random --n 5 --seed -1
err_has "--seed: '-1'"
expect 1 convert in.csv - --to csv --json
err_has "--json prints to stdout"

# `--` ends options: a file literally named --help is a positional.
expect 6 count -- --help
err_has "cannot open '--help'"

# Option spellings: --opt=value, -nVALUE, global options after the command.
expect 6 head -n3 --from=csv missing.csv --quiet --threads 2
err_has "missing.csv"

ok formats
for f in csv tsv json jsonl; do out_has "$f "; done
out_has "extensions"
ok formats csv
out_has "csv — "
expect 1 formats cvs
err_has "did you mean 'csv'"
