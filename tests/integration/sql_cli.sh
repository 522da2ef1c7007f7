#!/usr/bin/env bash
# sql_cli: `tarn query` end to end — output formats (csv, jsonl, table, a
# file with -o), statements (views, COPY ... TO with PARTITION_BY, SET
# file_search_path), files, globs and Hive directories in FROM, table
# functions, and errors that point at line:column with the right exit code
# and leave no output file.
source "$(dirname "$0")/lib/cli.bash"
printf 'id,name,score,day\n1,ann,3.5,2024-01-02\n2,bob,,2024-01-03\n3,cy,7.25,2024-02-01\n4,dee,1.0,2024-02-09\n' >t.csv
printf 'id;tag\n1;x\n3;y\n3;z\n' >tags.csv

ok query --format csv "SELECT id, name FROM 't.csv' WHERE score > 2 ORDER BY id"
out_is "$(printf 'id,name\n1,ann\n3,cy')"
ok query --format jsonl "SELECT count(*) AS n, sum(score) AS s, min(day) AS d FROM 't.csv'"
out_is '{"n":4,"s":11.75,"d":"2024-01-02"}'
# Joins, table functions with options, GROUP BY with HAVING.
ok query --format csv "SELECT t.name, count(*) AS tags FROM 't.csv' t JOIN read_csv('tags.csv', delim=';') g ON t.id = g.id GROUP BY t.name HAVING count(*) > 1"
out_is "$(printf 'name,tags\ncy,2')"
# Several statements: a view, then a query over it.
ok query --format csv "CREATE VIEW v AS SELECT id, score * 2 AS d FROM 't.csv'; SELECT d FROM v WHERE id = 3"
out_is "$(printf 'd\n14.50')"
# A table found by name through the search path.
mkdir -p lake && cp t.csv lake/people.csv
ok query --format csv "SET file_search_path = 'lake'; SELECT count(*) AS n FROM people"
out_is "$(printf 'n\n4')"
# COPY TO a Parquet file and a Hive-partitioned directory, then read both back.
ok query "COPY (SELECT id, name, month(day) AS m FROM 't.csv') TO 'o.parquet' (FORMAT parquet, COMPRESSION zstd)"
out_is "$(printf 'rows\n4')"
ok query "COPY (SELECT id, name, month(day) AS m FROM 't.csv') TO 'parts' (FORMAT parquet, PARTITION_BY (m))"
ok query --format csv "SELECT m, count(*) AS n FROM 'parts/**/*.parquet' GROUP BY m ORDER BY m"
out_is "$(printf 'm,n\n1,2\n2,2')"
# -o writes the result atomically, in the extension's format.
ok query -o res.jsonl "SELECT name FROM 'o.parquet' ORDER BY id DESC LIMIT 1"
[ "$(cat res.jsonl)" = '{"name":"dee"}' ] || fail "-o res.jsonl: $(cat res.jsonl)"
# A table on request; the SQL from a file.
echo "SELECT 1 + 2 AS three" >q.sql
ok query --format table -f q.sql
out_has "three"
out_has "3"

# Errors: position, exit code, nothing written.
expect 1 query "SELECT FROM WHERE"
err_has "syntax error at line 1"
expect 6 query --format csv "SELECT nmae FROM 't.csv'"
err_has "unknown column 'nmae'"
err_has "line 1, column 8"
expect 6 query "SELECT * FROM 'missing.csv'"
err_has "missing.csv"
expect 2 query -o bad.csv "SELECT CAST(name AS INTEGER) FROM 't.csv'"
no_output bad.csv
expect 2 query --format csv "SELECT 9223372036854775807 + id FROM 't.csv'"
err_has "overflow"
expect 6 query "SELECT 1 FROM nosuchtable"
err_has "unknown table 'nosuchtable'"
expect 1 query --memory-limit lots "SELECT 1"
err_has "--memory-limit"
echo "sql_cli: ok"
