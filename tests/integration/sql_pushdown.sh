#!/usr/bin/env bash
# sql_pushdown: WHERE conjuncts on one table become pruning ranges in its
# scan (Parquet row groups and pages, ORC stripes and row groups, Hive
# partition directories), and CSV scans convert only the columns the query
# needs. Every answer is checked against the same query with the predicate
# hidden from the pushdown (`col + 0`), and the pruning itself by the scan's
# row count and description in EXPLAIN ANALYZE.
source "$(dirname "$0")/lib/cli.bash"
/usr/bin/python3 -c "
import datetime
d0 = datetime.date(2020, 1, 1)
with open('ev.csv', 'w') as f:
    f.write('id,d,s,grp,' + ','.join('c%d' % i for i in range(12)) + '\n')
    for i in range(1, 20001):
        d = d0 + datetime.timedelta(days=i // 100)
        f.write('%d,%s,k%05d,%d,' % (i, d.isoformat(), i, i // 5000)
                + ','.join(str(i * 7 % (c + 3)) for c in range(12)) + '\n')
"
ok convert ev.csv p.parquet -w row-group-size=64K -w page-size=4K
ok convert ev.csv o.orc -w stripe-size=64K
ok convert ev.csv pd/ --partition-by grp

# scan_rows FILE: the rows the (first) scan produced in an EXPLAIN ANALYZE
scan_rows() {
	/usr/bin/python3 -c "
import re, sys
for line in open(sys.argv[1]):
    m = re.match(r'\W*scan .*\[rows=(\d+) ', line)
    if m:
        print(m.group(1)); break
" "$T/out"
}

# same_answer QUERY NAIVE: both print the same rows
same_answer() {
	ok query --format csv "$1"
	cp "$T/out" "$T/fast"
	ok query --format csv "$2"
	cmp -s "$T/fast" "$T/out" || fail "pushdown changed the answer of: $1"
	[ "$(wc -l <"$T/out")" -ge 2 ] || fail "no rows: $1"
}

# pruned QUERY MAX_ROWS TEXT: the scan read at most MAX_ROWS rows and its
# description holds TEXT
pruned() {
	ok query --format csv "EXPLAIN ANALYZE $1"
	out_has "$3"
	local n
	n=$(scan_rows)
	[ -n "$n" ] && [ "$n" -le "$2" ] || fail "scan read $n rows (want <= $2): $1"
}

for f in p.parquet o.orc; do
	Q="SELECT count(*), sum(c1), min(s), max(d) FROM '$f' WHERE"
	same_answer "$Q id BETWEEN 5000 AND 5100" "$Q id + 0 BETWEEN 5000 AND 5100"
	pruned "$Q id BETWEEN 5000 AND 5100" 12000 "pruned by id in [5000, 5100]"
	# several columns, each a range; a constant on the left
	same_answer "$Q 1000 <= id AND d <= DATE '2020-01-15' AND s >= 'k00500'" \
		"$Q 1000 <= id + 0 AND d + 0 <= DATE '2020-01-15' AND s || '' >= 'k00500'"
	pruned "$Q 1000 <= id AND d <= DATE '2020-01-15'" 12000 "pruned by id in [1000, ] and d in [, 2020-01-15]"
	# IN lists prune by their min and max; date against timestamp through the cast
	same_answer "$Q id IN (19990, 19000, 19500)" "$Q id + 0 IN (19990, 19000, 19500)"
	pruned "$Q id IN (19990, 19000, 19500)" 12000 "pruned by id in [19000, 19990]"
	same_answer "$Q d >= TIMESTAMP '2020-07-01 12:00:00'" "$Q d + 0 >= TIMESTAMP '2020-07-01 12:00:00'"
	pruned "$Q d >= TIMESTAMP '2020-07-01 12:00:00'" 12000 "pruned by d in [2020-07-01, ]"
	# strings
	same_answer "$Q s = 'k12345'" "$Q s || '' = 'k12345'"
	pruned "$Q s = 'k12345'" 12000 "pruned by s in ['k12345', 'k12345']"
	# a range no row meets
	ok query --format csv "SELECT count(*) FROM '$f' WHERE id > 30000"
	out_has "0"
	# OR and <> are not ranges: no pruning, the same answer
	same_answer "$Q id < 10 OR id > 19990" "$Q id + 0 < 10 OR id + 0 > 19990"
done

# floats: NaN sorts above every number and statistics leave it out, so
# only upper bounds are pushed
ok query "COPY (SELECT CASE WHEN id = 5 THEN 'NaN'::double ELSE id::double END AS x FROM 'ev.csv') TO 'f.parquet' (FORMAT parquet, ROW_GROUP_SIZE 8192)"
ok query --format csv "SELECT count(*) FROM 'f.parquet' WHERE x > 19000"
out_is 'count(*)
1001'
pruned "SELECT count(*) FROM 'f.parquet' WHERE x < 100" 5000 "pruned by x in [, 100"

# Parquet pages: with a page index, one row group is read only in part
pruned "SELECT count(*) FROM 'p.parquet' WHERE id = 7777" 3000 "pruned by id in [7777, 7777]"

# Hive partitions: files of other directories are not opened
Q="SELECT count(*), sum(c1), min(id), max(id) FROM 'pd' WHERE"
same_answer "$Q grp = 2" "$Q grp + 0 = 2"
pruned "$Q grp = 2" 5000 "files skipped 4 of 5"
same_answer "$Q grp >= 3 AND id <= 16000" "$Q grp + 0 >= 3 AND id + 0 <= 16000"
pruned "$Q grp >= 3 AND id <= 16000" 5000 "pruned by grp in [3, ] and id in [, 16000]"
same_answer "SELECT grp, count(*) FROM read_parquet('pd') WHERE grp IN (1, 3) GROUP BY grp ORDER BY grp" \
	"SELECT grp, count(*) FROM read_parquet('pd') WHERE grp + 0 IN (1, 3) GROUP BY grp ORDER BY grp"

# datasets read only the columns a query names, also where files differ
mkdir evo
printf 'a,b\n1,x\n2,y\n' >evo/f1.csv
printf 'a,c\n3,p\n' >evo/f2.csv
ok query --format csv "SELECT b, c FROM 'evo' ORDER BY a"
out_is 'b,c
x,
y,
,p'
ok query --format csv "SELECT a FROM 'evo' WHERE c = 'p'"
out_is 'a
3'
ok query --format csv "SELECT count(*) FROM 'evo'"
out_is 'count(*)
3'

# CSV: only the needed columns are converted, in the requested order
ok query --format csv "EXPLAIN SELECT sum(c3) FROM 'ev.csv'"
out_has "scan  ev.csv (csv) columns: c3"
same_answer "SELECT sum(c3), sum(c11) FROM 'ev.csv'" "SELECT sum(c3), sum(c11) FROM (SELECT * FROM 'ev.csv')"
ok query --format csv "SELECT * FROM read_csv('ev.csv', columns='c2,id') WHERE id <= 2"
out_is 'c2,id
2,1
4,2'
# an alias column list renames by position: every column is read
ok query --format csv "SELECT x.f FROM 'ev.csv' AS x(a, b, c, d, e, f) WHERE a = 3"
out_is 'f
1'
expect 6 query "SELECT * FROM read_csv('ev.csv', columns='id,nope')"
err_has "no column 'nope'"
expect 1 query "SELECT * FROM read_csv('ev.csv', columns='id,id')"
err_has "selected twice"
echo "sql_pushdown: ok"
