#!/usr/bin/env bash
# sql_statements: EXPLAIN (the operator tree with its essentials) and
# EXPLAIN ANALYZE (rows per operator, the same at any thread count), tables
# stored in the lake (CREATE TABLE AS / (cols), INSERT, DROP, OR REPLACE,
# resolution order view > table > file), and `tarn query` options
# (--format, -o, --json, --threads, --memory-limit, --home).
source "$(dirname "$0")/lib/cli.bash"
export TARN_HOME="$T/home"
/usr/bin/python3 -c "
with open('ev.csv', 'w') as f:
    f.write('id,k,v\n')
    for i in range(1, 20001):
        f.write('%d,%d,%d\n' % (i, i % 7, i % 100))
"
printf 'k,label\n0,zero\n1,one\n2,two\n' >labels.csv
ok query "COPY (SELECT * FROM 'ev.csv') TO 'ev.parquet' (FORMAT parquet, ROW_GROUP_SIZE 4096)"

# EXPLAIN: one row per operator, children indented under their parent.
Q="SELECT l.label, count(*) AS n, sum(e.v) AS s FROM 'ev.parquet' e, 'labels.csv' l WHERE e.k = l.k AND e.id <= 7000 GROUP BY l.label ORDER BY n DESC LIMIT 2"
ok query --format csv "EXPLAIN $Q"
out_has "explain_value"
out_has "limit  2 offset 0"
out_has "  sort  top 2 by n DESC"
out_has "hash aggregate  keys: label; aggregates: count_star(*), sum(v)"
out_has "hash join  inner on k = k"
out_has "filter  (id <= 7000)"
out_has "scan  ev.parquet (parquet) columns: id, k, v"
out_has "scan  labels.csv (csv) columns: k, label"
# the tree: the scan is nested deeper than the join, the join deeper than the sort
ok query --format table "EXPLAIN $Q"
/usr/bin/python3 - "$T/out" <<'PY' || fail "EXPLAIN tree shape"
import sys
lines = open(sys.argv[1]).read().splitlines()
depth = {l.strip().split('  ')[0]: (len(l) - len(l.lstrip())) // 2 for l in lines}
assert depth['limit'] == 0 and depth['sort'] == 1, lines
assert depth['hash join'] > depth['hash aggregate'] > depth['sort'], lines
assert depth['scan'] == depth['hash join'] + 1 or depth['scan'] == depth['filter'] + 1, lines
PY

# EXPLAIN ANALYZE: rows out per operator, time, memory, a total line; the
# same row counts with 1 and 4 threads.
for th in 1 4; do
	ok --threads $th query --format table "EXPLAIN ANALYZE $Q"
	/usr/bin/python3 - "$T/out" $th <<'PY' || fail "EXPLAIN ANALYZE counts (threads $th)"
import re, sys
text = open(sys.argv[1]).read()
rows = {}
for line in text.splitlines():
    m = re.match(r'\s*(\S+(?: \S+)?)\s.*\[rows=(\d+) time=([\d.]+) (ms|s) mem=', line)
    if m:
        rows.setdefault(m.group(1), []).append(int(m.group(2)))
scans = sorted(rows['scan'])
# labels.csv, ev.parquet: id <= 7000 is pushed into the Parquet reader,
# which skips the row groups (4096 rows) past it
assert scans[0] == 3 and 7000 <= scans[1] < 20000, rows
assert 'pruned by id in [, 7000]' in text, text
assert rows['filter'] == [7000], rows     # id <= 7000
assert rows['hash join'] == [3000], rows  # k in 0..2: 1000 + 1000 + 1000 rows
assert rows['hash aggregate'] == [3], rows
assert rows['sort'] == [2] and rows['limit'] == [2], rows
total = re.search(r'^total  \[rows=(\d+) wall=[\d.]+ ms peak mem=(\d+) B threads=(\d+)\]', text, re.M)
assert total and total.group(1) == '2' and int(total.group(2)) > 0, text
assert total.group(3) == sys.argv[2], text
PY
done
# ANALYZE of something that is not a query is a clear error
expect 5 query "EXPLAIN COPY (SELECT 1) TO 'x.csv'"
err_has "EXPLAIN takes a query"
[ ! -e x.csv ] || fail "EXPLAIN ran the COPY"
# every output format carries the plan
ok query --format jsonl "EXPLAIN SELECT 1 AS one"
out_has '{"explain_value":"project  1 AS one"}'

# Lake tables: CREATE TABLE AS, INSERT, persisted as Parquet part files.
ok query "CREATE TABLE sums AS SELECT k, sum(v) AS total FROM 'ev.csv' GROUP BY k"
out_is "$(printf 'rows\n7')"
[ -f "$TARN_HOME/lake/tables/sums/part-000001.parquet" ] || fail "no part file"
ok query "INSERT INTO sums VALUES (100, 1), (101, 2)"
out_is "$(printf 'rows\n2')"
[ -f "$TARN_HOME/lake/tables/sums/part-000002.parquet" ] || fail "no second part file"
ok query --format csv "SELECT count(*) AS n, max(k) AS m FROM sums"
out_is "$(printf 'n,m\n9,101')"
# other commands read the table directory as a dataset
ok count "$TARN_HOME/lake/tables/sums"
out_has "9"
# CREATE TABLE (cols) writes a zero-row part so the schema is on disk
ok query "CREATE TABLE typed (id INTEGER NOT NULL, name VARCHAR, price DECIMAL(10,2))"
ok query --format csv "DESCRIBE typed"
out_has "price,\"decimal(10,2)\""
ok query "INSERT INTO typed (name, id) SELECT 'x', 7"
ok query --format csv "SELECT id, name, price FROM typed"
out_is "$(printf 'id,name,price\n7,x,')"
expect 1 query "CREATE TABLE typed AS SELECT 1"
err_has "table 'typed' already exists"
ok query "CREATE OR REPLACE TABLE typed AS SELECT 2 AS z"
ok query --format csv "SELECT * FROM typed"
out_is "$(printf 'z\n2')"
# a failed CREATE leaves no table and no temporary directory
expect 2 query "CREATE TABLE bad AS SELECT CAST(name AS INTEGER) FROM (VALUES ('a')) t(name)"
[ ! -e "$TARN_HOME/lake/tables/bad" ] || fail "a failed CREATE left a table"
if ls -a "$TARN_HOME/lake/tables" | grep -q tmp; then fail "temporary directory left"; fi
# a view shadows a table of the same name within the script; DROP removes it
ok query --format csv "CREATE VIEW sums AS SELECT 1 AS shadow; SELECT * FROM sums"
out_is "$(printf 'shadow\n1')"
ok query "DROP TABLE sums"
[ ! -e "$TARN_HOME/lake/tables/sums" ] || fail "DROP TABLE left the directory"
expect 6 query "SELECT * FROM sums"
ok query "DROP TABLE IF EXISTS sums"
expect 1 query "CREATE TABLE \"a/b\" AS SELECT 1"
err_has "table name"
# --home overrides $TARN_HOME
ok query --home "$T/other" "CREATE TABLE elsewhere AS SELECT 1 AS one"
[ -d "$T/other/lake/tables/elsewhere" ] || fail "--home ignored"

# tarn query options
ok query --json "SELECT k, count(*) AS n FROM 'ev.csv' WHERE k < 2 GROUP BY k ORDER BY k"
json_ok "$T/out"
out_is "$(printf '[\n{"k":0,"n":2857},\n{"k":1,"n":2858}\n]')"
ok query --format tsv "SELECT 1 AS a, 'x' AS b"
out_is "$(printf 'a\tb\n1\tx')"
ok query -o res.parquet "SELECT id FROM 'ev.parquet' WHERE id <= 10"
ok count res.parquet
out_has "10"
ok query --format parquet -o - "SELECT 1 AS a"
head -c 4 "$T/out" | grep -q PAR1 || fail "--format parquet to stdout"
for th in 1 3; do
	ok --threads $th query --format csv "SELECT k, sum(v) AS s FROM 'ev.parquet' GROUP BY k ORDER BY k"
	cp "$T/out" "by_threads_$th.csv"
done
cmp -s by_threads_1.csv by_threads_3.csv || fail "--threads changes the result"
expect 2 query --memory-limit 64K --format csv "SELECT id, count(*) FROM 'ev.parquet' GROUP BY id"
err_has "hash aggregate: query memory limit of 64.0 KiB exceeded"
echo "sql_statements: ok"
