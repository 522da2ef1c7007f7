"""sqlengines.py - the SQL engines tarn's SQL test tools run, behind one
interface, and the canonical value form both tools compare.

Owns: the adapters (tarn's `tarn query --format jsonl` as one process per
job; DuckDB through `node bench/duckdb_run.mjs --jsonl --batch`, one
long-lived node process answering jobs in fresh in-memory databases), the
JSON-lines result parser that keeps numbers as the exact text the engine
printed, and the rendering of values to sqllogictest text (docs/sql-testing.md,
"Value rendering").

Relies on: Python 3 standard library only; node and tests/peers' (or bench's)
@duckdb/node-api for the DuckDB adapter.

A job is one SQL text (statements separated by ';'); it runs in a given
working directory and gives a JobResult: exit status, stdout, stderr, and the
rows of the last statement. Each job starts from an empty database in both
adapters, so tests and fuzz runs replay their set-up statements per job.

Thread-safety: one adapter object per thread (the DuckDB adapter owns a
child process and a pipe); the module's functions are pure.
"""

import json
import math
import os
import queue
import shutil
import subprocess
import tempfile
import threading

REPO = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..'))
DUCKDB_RUN = os.path.join(REPO, 'bench', 'duckdb_run.mjs')


class Num(str):
    """A JSON number kept as the text the engine wrote (1.500 stays 1.500)."""


class Obj(list):
    """A JSON object as its (key, value) pairs in order (duplicates kept)."""


def _num(text):
    return Num(text)


def _const(text):  # NaN, Infinity, -Infinity (not JSON, but tolerated)
    return Num({'NaN': 'nan', 'Infinity': 'inf', '-Infinity': '-inf'}[text])


def parse_jsonl(text):
    """Rows of a --format jsonl output: a list of (names, values) pairs per
    row. Raises ValueError on a line that is not one JSON object."""
    rows = []
    for n, line in enumerate(text.split('\n'), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line, parse_int=_num, parse_float=_num, parse_constant=_const,
                             object_pairs_hook=Obj)
        except ValueError as e:
            raise ValueError(f'output line {n} is not JSON ({e}): {line[:200]}') from None
        if not isinstance(obj, Obj):
            raise ValueError(f'output line {n} is not a JSON object: {line[:200]}')
        rows.append(([k for k, _ in obj], [v for _, v in obj]))
    return rows


class JobResult:
    def __init__(self, status, stdout, stderr, types=None, columns=None):
        self.status = status
        self.stdout = stdout
        self.stderr = stderr
        self.types = types  # engine type names of the result columns, when known
        self.columns = columns
        self.rows = None  # list of value lists, filled by parse()
        self.names = None
        self.parse_error = None

    @property
    def ok(self):
        return self.status == 0 and self.parse_error is None

    def parse(self):
        if self.status != 0:
            return self
        try:
            pairs = parse_jsonl(self.stdout)
        except ValueError as e:
            self.parse_error = str(e)
            return self
        self.rows = [v for _, v in pairs]
        self.names = pairs[0][0] if pairs else (self.columns or None)
        return self

    def error_text(self):
        if self.parse_error:
            return f'unparsable output: {self.parse_error}'
        msg = self.stderr.strip() or '(no message on stderr)'
        return f'exit {self.status}: {msg}'


class TarnEngine:
    """`tarn query --format jsonl SQL`, one process per job."""
    name = 'tarn'

    def __init__(self, binary, timeout=60.0):
        self.binary = os.path.abspath(binary)
        self.timeout = timeout

    def run(self, sql, cwd):
        # Each job replays the file's earlier statements, so it gets a fresh
        # TARN_HOME: lake tables (CREATE TABLE) of an earlier job must not
        # exist yet.
        home = tempfile.mkdtemp(prefix='tarn-home-')
        env = dict(os.environ, TARN_HOME=home)
        try:
            p = subprocess.run([self.binary, 'query', '--format', 'jsonl', sql], cwd=cwd, env=env,
                               stdin=subprocess.DEVNULL, capture_output=True, timeout=self.timeout)
        except subprocess.TimeoutExpired:
            return JobResult(124, '', f'timed out after {self.timeout:g} s\n').parse()
        except OSError as e:
            return JobResult(127, '', f'cannot run {self.binary}: {e}\n').parse()
        finally:
            shutil.rmtree(home, ignore_errors=True)
        out = p.stdout.decode('utf-8', errors='replace')
        err = p.stderr.decode('utf-8', errors='replace')
        if p.returncode < 0:
            err += f'killed by signal {-p.returncode}\n'
            return JobResult(128 - p.returncode, out, err).parse()
        return JobResult(p.returncode, out, err).parse()

    def close(self):
        pass


class DuckDBEngine:
    """DuckDB through one `node bench/duckdb_run.mjs --jsonl --batch`
    process; every job runs in a fresh in-memory database."""
    name = 'duckdb'

    def __init__(self, timeout=60.0, threads=None):
        self.timeout = timeout
        self.threads = threads
        self.proc = None
        self.lines = None

    def _start(self):
        cmd = ['node', DUCKDB_RUN, '--jsonl', '--batch']
        if self.threads:
            cmd += ['--threads', str(self.threads)]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=None, text=True, encoding='utf-8', bufsize=1)
        self.lines = queue.Queue()
        proc, lines = self.proc, self.lines

        def pump():
            for line in proc.stdout:
                lines.put(line)
            lines.put(None)

        threading.Thread(target=pump, daemon=True).start()

    def run(self, sql, cwd):
        if self.proc is None:
            self._start()
        req = json.dumps({'sql': sql, 'cwd': os.path.abspath(cwd)}) + '\n'
        try:
            self.proc.stdin.write(req)
            self.proc.stdin.flush()
            line = self.lines.get(timeout=self.timeout)
        except queue.Empty:
            self.close()
            return JobResult(124, '', f'duckdb timed out after {self.timeout:g} s\n').parse()
        except OSError as e:
            self.close()
            return JobResult(70, '', f'duckdb_run.mjs died: {e}\n').parse()
        if line is None:
            self.close()
            return JobResult(70, '', 'duckdb_run.mjs exited unexpectedly\n').parse()
        r = json.loads(line)
        return JobResult(r['status'], r['stdout'], r['stderr'], r.get('types'), r.get('columns')).parse()

    def close(self):
        if self.proc is not None:
            try:
                self.proc.stdin.close()
            except OSError:
                pass
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc = None


def make_engine(spec, tarn=None, timeout=60.0, threads=None):
    """'duckdb' or 'tarn' (with tarn = the binary) or 'tarn:PATH'."""
    if spec == 'duckdb':
        return DuckDBEngine(timeout=timeout, threads=threads)
    if spec == 'tarn' or spec.startswith('tarn:'):
        binary = spec[5:] if spec.startswith('tarn:') else tarn
        if not binary:
            raise ValueError('the tarn engine needs --tarn PATH (or tarn:PATH)')
        return TarnEngine(binary, timeout=timeout)
    raise ValueError(f"unknown engine '{spec}' (use duckdb, tarn or tarn:PATH)")


# ---- canonical values ------------------------------------------------------------------

def float_text(tok):
    """An R value's canonical text: Python's repr of the double (nan, inf)."""
    x = float(tok)
    if math.isnan(x):
        return 'nan'
    if math.isinf(x):
        return 'inf' if x > 0 else '-inf'
    return repr(x)


def json_text(v, floats=False):
    """A nested value as compact JSON, numbers as the engine wrote them (with
    floats=True: as float_text)."""
    if v is None:
        return 'null'
    if v is True:
        return 'true'
    if v is False:
        return 'false'
    if isinstance(v, Num):
        return float_text(v) if floats else str(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, Obj):
        return '{' + ','.join(json.dumps(k, ensure_ascii=False) + ':' + json_text(x, floats)
                              for k, x in v) + '}'
    return '[' + ','.join(json_text(x, floats) for x in v) + ']'


def render(v, real=False):
    """One value as sqllogictest text: NULL, true/false, (empty) for '',
    strings with tab/newline/CR written as \\t \\n \\r, numbers as printed
    (R columns: float_text), lists and objects as compact JSON."""
    if v is None:
        return 'NULL'
    if v is True:
        return 'true'
    if v is False:
        return 'false'
    if isinstance(v, Num):
        return float_text(v) if real else str(v)
    if isinstance(v, str):
        if v == '':
            return '(empty)'
        return v.replace('\t', '\\t').replace('\n', '\\n').replace('\r', '\\r')
    return json_text(v, floats=real)


def floats_close(a, b, rel=1e-9, abs_tol=1e-12):
    """a, b: rendered texts. True when both read as the same double within
    the tolerance (nan equals nan); False when they differ or do not parse."""
    try:
        x, y = float(a), float(b)
    except ValueError:
        return False
    if math.isnan(x) or math.isnan(y):
        return math.isnan(x) and math.isnan(y)
    if math.isinf(x) or math.isinf(y):
        return x == y
    return math.isclose(x, y, rel_tol=rel, abs_tol=abs_tol)
