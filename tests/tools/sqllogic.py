#!/usr/bin/env python3
"""sqllogic.py - runs sqllogictest files (DuckDB flavour) against tarn or
DuckDB, or writes their expected results from an engine (--complete).

  python3 tests/tools/sqllogic.py --engine tarn --tarn build/tarn tests/sql/*.test
  python3 tests/tools/sqllogic.py --engine duckdb tests/sql/*.test
  python3 tests/tools/sqllogic.py --engine duckdb --complete tests/sql/new.test

Records (docs/sql-testing.md has the full rules):
  statement ok | statement error [exit=N] [substring]   SQL [---- message]
  query <types> [nosort|rowsort|valuesort] [label]      SQL ---- rows
  hash-threshold N, skipif <engine>, onlyif <engine>, halt, # comments

Each test file runs in its own scratch directory holding a copy of the
`data/` directory beside the test files. A job is one engine process (tarn)
or one fresh in-memory database (DuckDB): the text of every earlier
successful `statement ok` of the file is replayed before each record, joined
by ';\\n', so tables, views and files made by statements exist for later
queries without a server.

Output: each failure with file:line, the SQL, expected and got; then
"N passed, N failed, N skipped" (records). Exit status 1 on any failure,
2 on a usage or file-format error.

Python 3 standard library only. Files run in parallel (-j), one engine
adapter per worker thread.
"""

import argparse
import concurrent.futures
import hashlib
import os
import re
import shutil
import sys
import tempfile
import threading

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sqlengines  # noqa: E402

SORT_MODES = ('nosort', 'rowsort', 'valuesort')
HASH_RE = re.compile(r'^(\d+) values hashing to ([0-9a-f]{32})$')


class FormatError(Exception):
    pass


class Record:
    def __init__(self, kind, line):
        self.kind = kind  # 'statement', 'query', 'hash-threshold', 'halt'
        self.line = line  # 1-based line of the header
        self.conds = []  # [('skipif'|'onlyif', engine)]
        self.sql = ''
        self.expect_ok = True
        self.exit = None  # statement error exit=N
        self.message = None  # statement error: expected message ('' = any)
        self.types = ''
        self.sort = 'nosort'
        self.label = None
        self.results = None  # list of result lines, None when there is no ----
        self.threshold = 0
        # line indexes (0-based) for --complete: header, '----', end of results
        self.header_idx = None
        self.sep_idx = None
        self.end_idx = None

    def applies(self, engine):
        for cond, name in self.conds:
            if cond == 'skipif' and name == engine:
                return False
            if cond == 'onlyif' and name != engine:
                return False
        return True


def parse_file(path):
    """The records of a test file, and its lines."""
    with open(path, encoding='utf-8') as f:
        lines = f.read().split('\n')
    if lines and lines[-1] == '':
        lines.pop()
    records = []
    i = 0
    n = len(lines)
    conds = []
    while i < n:
        raw = lines[i]
        s = raw.strip()
        if not s:
            if conds:
                raise FormatError(f'{path}:{i + 1}: skipif/onlyif not followed by a record')
            i += 1
            continue
        if s.startswith('#'):
            i += 1
            continue
        words = s.split()
        head = words[0]
        if head in ('skipif', 'onlyif'):
            if len(words) != 2:
                raise FormatError(f'{path}:{i + 1}: {head} takes one engine name')
            conds.append((head, words[1]))
            i += 1
            continue
        rec = Record(head, i + 1)
        rec.conds, conds = conds, []
        rec.header_idx = i
        if head == 'halt':
            records.append(rec)
            i += 1
            continue
        if head == 'hash-threshold':
            if len(words) != 2 or not words[1].isdigit():
                raise FormatError(f'{path}:{i + 1}: hash-threshold takes a number')
            rec.threshold = int(words[1])
            records.append(rec)
            i += 1
            continue
        if head == 'statement':
            if len(words) < 2 or words[1] not in ('ok', 'error'):
                raise FormatError(f'{path}:{i + 1}: expected "statement ok" or "statement error"')
            rec.expect_ok = words[1] == 'ok'
            rest = s.split(None, 2)[2] if len(words) > 2 else ''
            if rec.expect_ok and rest:
                raise FormatError(f'{path}:{i + 1}: "statement ok" takes nothing after it')
            if not rec.expect_ok:
                m = re.match(r'exit=(\d+)\s*(.*)$', rest)
                if m:
                    rec.exit = int(m.group(1))
                    rest = m.group(2)
                rec.message = rest
        elif head == 'query':
            if len(words) < 2:
                raise FormatError(f'{path}:{i + 1}: query needs its column types (e.g. "query IT")')
            rec.types = words[1]
            if not re.fullmatch(r'[A-Z]+', rec.types):
                raise FormatError(f'{path}:{i + 1}: bad column types "{rec.types}"')
            rest = words[2:]
            if rest and rest[0] in SORT_MODES:
                rec.sort = rest.pop(0)
            if rest:
                rec.label = rest.pop(0)
            if rest:
                raise FormatError(f'{path}:{i + 1}: unexpected "{" ".join(rest)}" after the query label')
        elif head == 'loop' or head == 'foreach' or head == 'require' or head == 'load' or head == 'mode':
            raise FormatError(f'{path}:{i + 1}: "{head}" is not supported by this runner')
        else:
            raise FormatError(f'{path}:{i + 1}: unknown record "{head}"')
        # SQL up to '----' or a blank line; comment lines are dropped.
        i += 1
        sql = []
        while i < n and lines[i].strip() and lines[i].strip() != '----':
            if not lines[i].lstrip().startswith('#'):
                sql.append(lines[i])
            i += 1
        if not sql:
            raise FormatError(f'{path}:{rec.line}: record has no SQL')
        rec.sql = '\n'.join(sql).strip()
        if i < n and lines[i].strip() == '----':
            rec.sep_idx = i
            i += 1
            res = []
            while i < n and lines[i] != '' and lines[i].strip() != '':
                res.append(lines[i])
                i += 1
            rec.results = res
            if rec.kind == 'statement':
                if rec.expect_ok:
                    raise FormatError(f'{path}:{rec.line}: "statement ok" has no results')
                if rec.message:
                    raise FormatError(f'{path}:{rec.line}: expected error given twice')
                rec.message = '\n'.join(res)
        rec.end_idx = i
        if rec.kind == 'query' and rec.results is None:
            rec.results = []
        records.append(rec)
    if conds:
        raise FormatError(f'{path}: skipif/onlyif at the end of the file')
    return records, lines


def strip_semicolons(sql):
    sql = sql.strip()
    while sql.endswith(';'):
        sql = sql[:-1].rstrip()
    return sql


def rendered_rows(rec, rows):
    """The got rows as lists of texts, in the record's sort mode."""
    out = []
    for row in rows:
        out.append([sqlengines.render(v, real=(j < len(rec.types) and rec.types[j] == 'R'))
                    for j, v in enumerate(row)])
    if rec.sort == 'rowsort':
        out.sort()
    return out


def flat_values(rec, rows):
    """(values, their column type letters) in the record's sort mode."""
    vals = [(v, rec.types[j % len(rec.types)]) for row in rows for j, v in enumerate(row)]
    if rec.sort == 'valuesort':
        vals.sort(key=lambda p: p[0])
    return [v for v, _ in vals], [t for _, t in vals]


def result_hash(values):
    h = hashlib.md5()
    for v in values:
        h.update(v.encode('utf-8'))
        h.update(b'\n')
    return h.hexdigest()


def expected_rows(rec):
    """The expected lines split into value lists (rowsort: sorted)."""
    rows = [line.split('\t') for line in rec.results]
    if rec.sort == 'rowsort':
        rows.sort()
    return rows


def values_equal(exp, got, letter):
    if exp == got:
        return True
    return letter == 'R' and sqlengines.floats_close(exp, got)


def compare(rec, got_rows):
    """None when the got rows match the record, else a description."""
    ncols = len(rec.types)
    for row in got_rows:
        if len(row) != ncols:
            return f'expected {ncols} column(s) ("query {rec.types}"), got {len(row)}'
    got = rendered_rows(rec, got_rows)
    got_vals, letters = flat_values(rec, got)
    if len(rec.results) == 1:
        m = HASH_RE.match(rec.results[0])
        if m:
            want_n, want_h = int(m.group(1)), m.group(2)
            h = result_hash(got_vals)
            if want_n != len(got_vals) or want_h != h:
                return f'expected {want_n} values hashing to {want_h}, got {len(got_vals)} values hashing to {h}'
            return None
    if rec.sort == 'valuesort':
        exp_vals = sorted(v for row in rec.results for v in row.split('\t'))
        if len(exp_vals) != len(got_vals):
            return f'expected {len(exp_vals)} values, got {len(got_vals)}'
        for e, g, t in zip(exp_vals, got_vals, letters):
            if not values_equal(e, g, t):
                return f'value "{g}" differs from expected "{e}"'
        return None
    exp = expected_rows(rec)
    if len(exp) != len(got):
        return f'expected {len(exp)} row(s), got {len(got)}'
    for r, (erow, grow) in enumerate(zip(exp, got), 1):
        if len(erow) != len(grow):
            return f'row {r}: expected {len(erow)} value(s) in the expected line, the query has {len(grow)} column(s)'
        for j, (e, g) in enumerate(zip(erow, grow)):
            if not values_equal(e, g, rec.types[j]):
                return f'row {r} column {j + 1}: expected "{e}", got "{g}"'
    return None


def result_lines(rec, got_rows, threshold):
    """The lines --complete writes for a result."""
    got = rendered_rows(rec, got_rows)
    vals, _ = flat_values(rec, got)
    if threshold and len(vals) > threshold:
        return [f'{len(vals)} values hashing to {result_hash(vals)}']
    return ['\t'.join(row) for row in got]


INT_TYPES = ('TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT', 'HUGEINT', 'UTINYINT', 'USMALLINT',
             'UINTEGER', 'UBIGINT', 'UHUGEINT')


def completed_types(rec, res):
    """The type letters --complete writes: R for float columns (the engine
    says which, when it can), the author's letter elsewhere, or guesses when
    the number of columns changed."""
    ncols = len(res.rows[0]) if res.rows else (len(res.types) if res.types else len(rec.types))
    letters = list(rec.types) if len(rec.types) == ncols else None
    if res.types and len(res.types) == ncols:
        out = []
        for j, t in enumerate(res.types):
            if t in ('FLOAT', 'DOUBLE'):
                out.append('R')
            elif letters:
                out.append('T' if letters[j] == 'R' else letters[j])
            else:
                out.append('I' if t in INT_TYPES else 'T')
        return ''.join(out)
    if letters:
        return rec.types
    out = []
    for j in range(ncols):
        col = [row[j] for row in res.rows if row[j] is not None]
        out.append('T' if any(not isinstance(v, sqlengines.Num) for v in col) else 'I')
    return ''.join(out)


def error_matches(rec, res):
    """None when a failed job is the failure the record expects."""
    if rec.exit is not None and res.status != rec.exit:
        return f'expected exit status {rec.exit}, got {res.status}'
    want = (rec.message or '').strip()
    if not want:
        return None
    msg = res.stderr
    if want.startswith('<REGEX>:'):
        pat = want[len('<REGEX>:'):]
        return None if re.search(pat, msg, re.S) else f'error message does not match /{pat}/'
    if want.startswith('<!REGEX>:'):
        pat = want[len('<!REGEX>:'):]
        return None if not re.search(pat, msg, re.S) else f'error message matches /{pat}/'
    return None if want in msg else f'error message lacks "{want}"'


class FileRun:
    def __init__(self, path, engine, args):
        self.path = path
        self.engine = engine
        self.args = args
        self.passed = self.failed = self.skipped = 0
        self.out = []
        self.rewrites = {}  # record -> (types, result lines)

    def fail(self, rec, why, got=None, expected=None, prior=()):
        self.failed += 1
        lines = [f'FAIL {self.path}:{rec.line}: {why}']
        if self.args.show_replay and prior:
            lines.append('  replayed first:')
            lines += ['    ' + s + ';' for p in prior for s in p.split('\n')]
        lines.append('  SQL:')
        lines += ['    ' + s for s in rec.sql.split('\n')]
        if expected is not None:
            lines.append('  expected:')
            lines += ['    ' + s for s in (expected or ['(no rows)'])]
        if got is not None:
            lines.append('  got:')
            lines += ['    ' + s for s in (got or ['(no rows)'])]
        self.out.append('\n'.join(lines))

    def run(self):
        records, lines = parse_file(self.path)
        scratch = tempfile.mkdtemp(prefix='sqllogic-')
        try:
            data = os.path.join(os.path.dirname(os.path.abspath(self.path)), 'data')
            if os.path.isdir(data):
                shutil.copytree(data, os.path.join(scratch, 'data'), symlinks=True)
            self.run_records(records, scratch)
        finally:
            if self.args.keep:
                self.out.append(f'(scratch directory kept: {scratch})')
            else:
                shutil.rmtree(scratch, ignore_errors=True)
        if self.args.complete and self.rewrites:
            self.write_completed(lines)
        return self

    def run_records(self, records, cwd):
        prior = []
        labels = {}
        threshold = 0
        name = self.engine.name
        for k, rec in enumerate(records):
            if not rec.applies(name):
                if rec.kind in ('statement', 'query'):
                    self.skipped += 1
                continue
            if rec.kind == 'halt':
                self.skipped += sum(1 for r in records[k + 1:] if r.kind in ('statement', 'query'))
                return
            if rec.kind == 'hash-threshold':
                threshold = rec.threshold
                continue
            text = ';\n'.join(prior + [strip_semicolons(rec.sql)])
            res = self.engine.run(text, cwd)
            if rec.kind == 'statement':
                if rec.expect_ok:
                    if res.status == 0:
                        prior.append(strip_semicolons(rec.sql))
                        self.passed += 1
                    else:
                        self.fail(rec, f'statement failed ({res.error_text()})', prior=prior)
                elif res.status == 0:
                    self.fail(rec, 'statement succeeded, an error was expected', prior=prior)
                else:
                    why = error_matches(rec, res)
                    if why:
                        self.fail(rec, f'{why}; {res.error_text()}', prior=prior)
                    else:
                        self.passed += 1
                continue
            # query
            if not res.ok:
                self.fail(rec, f'query failed ({res.error_text()})', prior=prior)
                continue
            if self.args.complete:
                types = completed_types(rec, res)
                rec.types = types
                self.rewrites[rec.header_idx] = (rec, types, result_lines(rec, res.rows, threshold))
                self.passed += 1
                continue
            why = compare(rec, res.rows) if (rec.results or not rec.label) else None
            if why is None and rec.label:
                got_vals = flat_values(rec, rendered_rows(rec, res.rows))[0]
                h = result_hash(got_vals)
                if rec.label in labels and labels[rec.label][0] != h:
                    why = f'result differs from the earlier query labelled "{rec.label}" (line {labels[rec.label][1]})'
                labels.setdefault(rec.label, (h, rec.line))
            if why:
                ncols = len(rec.types)
                got = ['\t'.join(r) for r in rendered_rows(rec, res.rows)] \
                    if all(len(r) == ncols for r in res.rows) else \
                    ['\t'.join(sqlengines.render(v) for v in r) for r in res.rows]
                self.fail(rec, why, got=got[:self.args.max_rows] + (['...'] if len(got) > self.args.max_rows else []),
                          expected=rec.results[:self.args.max_rows] +
                          (['...'] if len(rec.results) > self.args.max_rows else []), prior=prior)
            else:
                self.passed += 1

    def write_completed(self, lines):
        out = []
        i = 0
        n = len(lines)
        while i < n:
            if i in self.rewrites:
                rec, types, res = self.rewrites[i]
                header = lines[i].split()
                header[1] = types
                out.append(' '.join(header))
                j = i + 1
                end = rec.sep_idx if rec.sep_idx is not None else rec.end_idx
                while j < end:
                    out.append(lines[j])
                    j += 1
                out.append('----')
                out.extend(res)
                i = rec.end_idx
                continue
            out.append(lines[i])
            i += 1
        tmp = self.path + '.tmp'
        with open(tmp, 'w', encoding='utf-8') as f:
            f.write('\n'.join(out) + '\n')
        os.replace(tmp, self.path)


def main():
    ap = argparse.ArgumentParser(description='Run sqllogictest files against tarn or DuckDB.')
    ap.add_argument('files', nargs='+', help='.test files')
    ap.add_argument('--engine', required=True, choices=('tarn', 'duckdb'))
    ap.add_argument('--tarn', help='the tarn binary (with --engine tarn)')
    ap.add_argument('--complete', action='store_true',
                    help="rewrite the files' expected results from the engine's output")
    ap.add_argument('-j', '--jobs', type=int, default=min(4, os.cpu_count() or 1),
                    help='test files run in parallel (default: min(4, cores))')
    ap.add_argument('--timeout', type=float, default=60.0, help='seconds per job (default 60)')
    ap.add_argument('--threads', type=int, help='DuckDB threads per job (default: one per core)')
    ap.add_argument('--keep', action='store_true', help='keep the scratch directories')
    ap.add_argument('--show-replay', action='store_true',
                    help="show the replayed statements in each failure's SQL")
    ap.add_argument('--max-rows', type=int, default=40, help='rows shown per failure (default 40)')
    ap.add_argument('-q', '--quiet', action='store_true', help='only failures and the summary')
    args = ap.parse_args()
    if args.engine == 'tarn' and not args.tarn:
        ap.error('--engine tarn needs --tarn PATH')

    for f in args.files:
        try:
            parse_file(f)
        except (FormatError, OSError, UnicodeDecodeError) as e:
            print(f'sqllogic: {e}', file=sys.stderr)
            return 2

    local = threading.local()
    engines = []
    lock = threading.Lock()

    def engine():
        if not hasattr(local, 'engine'):
            local.engine = sqlengines.make_engine(args.engine, tarn=args.tarn, timeout=args.timeout,
                                                  threads=args.threads)
            with lock:
                engines.append(local.engine)
        return local.engine

    def one(path):
        return FileRun(path, engine(), args).run()

    total = [0, 0, 0]
    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            for fr in pool.map(one, args.files):
                for block in fr.out:
                    print(block, flush=True)
                if not args.quiet:
                    print(f'{fr.path}: {fr.passed} passed, {fr.failed} failed, {fr.skipped} skipped',
                          flush=True)
                total[0] += fr.passed
                total[1] += fr.failed
                total[2] += fr.skipped
    finally:
        for e in engines:
            e.close()
    print(f'{total[0]} passed, {total[1]} failed, {total[2]} skipped')
    return 1 if total[1] else 0


if __name__ == '__main__':
    sys.exit(main())
