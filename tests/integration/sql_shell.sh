#!/usr/bin/env bash
# sql_shell: `tarn sql` — scripts on stdin (statements over several lines,
# comments, dot commands, session state, the first error ends the run with
# its exit status), -c, --mode, and the terminal path through a pty
# (prompts, continuation prompt, Ctrl-C dropping a line and interrupting a
# running statement, errors that do not end the shell, history in
# $TARN_HOME/.sql_history).
source "$(dirname "$0")/lib/cli.bash"
export TARN_HOME="$T/home"
printf 'id,name,score\n1,ann,3.5\n2,bob,\n3,cy,7.25\n' >people.csv

run_stdin() { # STATUS INPUT args...: tarn sql with INPUT on stdin
	local want=$1 input=$2 st=0
	shift 2
	printf '%s' "$input" | "$TARN" sql "$@" >"$T/out" 2>"$T/err" || st=$?
	[ "$st" = "$want" ] || { show; fail "tarn sql $* exited $st, want $want"; }
}

# A script: a statement over three lines with a ';' inside a string and a
# comment, a view that later statements see, SET that persists.
run_stdin 0 "CREATE VIEW v AS
  SELECT id, name -- a comment; not the end
  FROM 'people.csv' WHERE name <> 'x;y';
SELECT count(*) AS n FROM v;
SELECT name FROM v WHERE id = 3;
"
out_is "$(printf 'views\n1\nn\n3\nname\ncy')"

# Dot commands: .mode, .tables, .schema, .timer, .help.
mkdir -p lake && cp people.csv lake/staff.csv
run_stdin 0 ".mode jsonl
SET file_search_path = 'lake';
CREATE TABLE kept AS SELECT id, score FROM staff WHERE score IS NOT NULL;
CREATE VIEW w AS SELECT 1 AS one;
.tables
.schema kept
.timer on
SELECT sum(score) AS s FROM kept;
.help
"
out_has '{"name":"w","type":"view"}'
out_has '{"name":"kept","type":"table"}'
out_has '{"name":"staff","type":"file"}'
out_has '{"column_name":"id","column_type":"int64","null":"YES"}'
out_has '{"s":10.75}'
out_has '.schema [NAME]'
err_has 'Run time:'
# The table is in the lake, for later shells and commands.
[ -f "$TARN_HOME/lake/tables/kept/part-000001.parquet" ] || fail "no part file for table kept"
run_stdin 0 "SELECT count(*) AS n FROM kept;"
out_is "$(printf 'n\n2')"

# The first error ends a script with its exit status; later statements do
# not run. A bad dot command is an error too.
run_stdin 6 "SELECT 1 AS a;
SELECT * FROM nosuch;
SELECT 2 AS b;
"
out_is "$(printf 'a\n1')"
err_has "unknown table 'nosuch'"
err_has "line 1, column 15"
run_stdin 1 ".mode nosuchformat
SELECT 1;
"
err_has "nosuchformat"
# A last statement without ';' still runs; .quit stops reading.
run_stdin 0 "SELECT 5 AS five"
out_is "$(printf 'five\n5')"
run_stdin 0 ".quit
SELECT * FROM nosuch;
"
# -c and --mode.
ok sql -c "SELECT 1 AS x; SELECT 2 AS y" --mode jsonl
out_is '{"y":2}'
expect 1 sql --mode nope -c "SELECT 1"
err_has "--mode"
ok sql --help
out_has ".schema"

# The terminal path, through a pty.
/usr/bin/python3 - "$TARN" <<'PY' || fail "pty session"
import os, pty, select, sys, time

binary = sys.argv[1]
pid, fd = pty.fork()
if pid == 0:
    os.execv(binary, [binary, 'sql'])
out = b''

def read_for(secs):
    global out
    end = time.time() + secs
    while time.time() < end:
        r, _, _ = select.select([fd], [], [], 0.05)
        if r:
            try:
                out += os.read(fd, 65536)
            except OSError:
                return

def wait_for(text, secs=10):
    end = time.time() + secs
    while text.encode() not in out and time.time() < end:
        read_for(0.1)
    if text.encode() not in out:
        sys.exit('pty: never saw %r in:\n%s' % (text, out.decode(errors='replace')))

def send(s):
    os.write(fd, s if isinstance(s, bytes) else s.encode())

wait_for('tarn> ')
send('SELECT 40 +\r')
wait_for('   ...> ')
send('2 AS answer;\r')
wait_for('42')
# Ctrl-C drops a half-typed line; the shell goes on.
send("SELECT 'never")
read_for(0.3)
send(b'\x03')
read_for(0.3)
send('SELECT 7 AS seven;\r')
wait_for('seven')
# An error is printed and the shell goes on.
send('SELECT * FROM nosuch;\r')
wait_for("unknown table 'nosuch'")
# Ctrl-C interrupts a long statement: a self-join of 400k rows on a key
# with 1000 values makes 160M rows to count (many seconds).
with open('big.csv', 'w') as f:
    f.write('a,b\n')
    for i in range(400000):
        f.write('%d,%d\n' % (i, i % 1000))
send("SELECT count(*) FROM 'big.csv' x JOIN 'big.csv' y ON x.b = y.b;\r")
read_for(0.5)
t0 = time.time()
send(b'\x03')
wait_for('interrupted', 30)
if b'160000000' in out:
    sys.exit('pty: the statement finished instead of being interrupted')
send('SELECT 8 AS after;\r')
wait_for('after')
send(b'\x04')
_, st = os.waitpid(pid, 0)
if os.waitstatus_to_exitcode(st) != 0:
    sys.exit('pty: shell exited %d:\n%s' % (os.waitstatus_to_exitcode(st), out.decode(errors='replace')))
if b'never' in out.split(b'seven')[-1]:
    sys.exit('pty: the dropped line ran')
PY
grep -qF "seven" "$TARN_HOME/.sql_history" || fail "history not saved"  # libedit stores spaces as \040
echo "sql_shell: ok"
