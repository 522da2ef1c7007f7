#!/usr/bin/env python3
"""sqlfuzz.py - differential SQL testing: random tables, random queries, two
engines, and a shrunk reproducer for every disagreement.

  python3 tests/tools/sqlfuzz.py --seed 1 --queries 500                   # duckdb vs duckdb
  python3 tests/tools/sqlfuzz.py --engine-b tarn --tarn build/tarn --seconds 60
  python3 tests/tools/sqlfuzz.py --engine-b tarn --tarn build/tarn --seconds 3600 --seed $RANDOM

What it does (docs/sql-testing.md, "Differential testing"):
  1. From --seed, generates three tables t1, t2, t3 (ints, doubles,
     DECIMAL(10,2), strings, dates, booleans; NULLs in every column,
     duplicates, a skewed join key, sometimes an empty table) and writes them
     with DuckDB as Parquet, except t3 which is CSV. Every --tables-every
     queries a new set of tables is made.
  2. Generates queries over them: filters in three-valued logic, joins of two
     or three tables (inner, left, right, full, cross), GROUP BY with
     aggregates, FILTER and HAVING, window functions, IN / NOT IN / EXISTS
     subqueries (correlated too), scalar subqueries, set operations, and
     ORDER BY over every output column (a total order) with LIMIT/OFFSET.
  3. Runs each query on both engines (one job each, as `tarn query` would)
     and compares the rows: in order when the query has a total ORDER BY,
     else as multisets; numbers compare as numbers (1.50 = 1.5), doubles
     within a relative 1e-9 (absolute 1e-9 near zero).
  4. On a disagreement, shrinks it: drops rows from the tables and clauses
     from the query while the engines still disagree the same way, then
     prints the SQL, the remaining rows, both results, and the directory
     holding the table files and query.sql.

Exit status: 0 when the engines agreed on every query, 1 on any mismatch, 2
on a usage error. Queries that fail on both engines are counted, not
mismatches (with --verbose the first few are shown: they are generator bugs
or features both lack).

Python 3 standard library only; DuckDB (through bench/duckdb_run.mjs) writes
the table files whatever the engines compared.
"""

import argparse
import datetime
import math
import os
import random
import shutil
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sqlengines  # noqa: E402

# ---- tables ---------------------------------------------------------------------------

COLUMNS = [  # name, SQL type, kind
    ('id', 'INTEGER', 'int'),
    ('k', 'INTEGER', 'int'),
    ('i', 'INTEGER', 'int'),
    ('f', 'DOUBLE', 'float'),
    ('d', 'DECIMAL(10,2)', 'dec'),
    ('g', 'VARCHAR', 'str'),
    ('s', 'VARCHAR', 'str'),
    ('dt', 'DATE', 'date'),
    ('b', 'BOOLEAN', 'bool'),
]
KIND = {name: kind for name, _, kind in COLUMNS}

GROUP_WORDS = ['red', 'green', 'blue', 'Red', 'gray']
STRINGS = ['apple', 'Apple', 'banana', 'b', 'a_b', 'a%b', 'zeta', 'é', 'über', "it's", 'x y', 'pear', 'peach']
PARQUET_ONLY_STRINGS = ['', ' lead', 'trail ']  # CSV readers differ on these (docs/sql-testing.md)
DATE0 = datetime.date(2023, 12, 20)


class Table:
    def __init__(self, name, fmt, rows):
        self.name = name
        self.fmt = fmt  # 'parquet' or 'csv'
        self.rows = rows  # list of tuples in COLUMNS order

    @property
    def path(self):
        return f'{self.name}.{self.fmt}'

    def ref(self):
        """The FROM item that reads the table's file."""
        if self.fmt == 'csv':
            return f"read_csv('{self.path}', header = true)"
        return f"'{self.path}'"


def gen_rows(rng, n, csv):
    nulls = rng.choice([0.0, 0.1, 0.3])

    def maybe(v):
        return None if rng.random() < nulls else v

    strings = STRINGS if csv else STRINGS + PARQUET_ONLY_STRINGS
    rows = []
    for r in range(n):
        k = 1 if rng.random() < 0.4 else rng.randint(0, 8)  # skewed join key
        f = rng.choice([0.0, -0.0, 0.5, 1.25, -3.75, 100.0]) if rng.random() < 0.3 \
            else round(rng.uniform(-200, 200), rng.choice([0, 1, 2, 3]))
        rows.append((
            r + 1,
            maybe(k),
            maybe(rng.randint(-50, 50) if rng.random() < 0.8 else rng.randint(-1000, 1000)),
            maybe(f),
            maybe(rng.randint(-50000, 50000) / 100.0),
            maybe(rng.choice(GROUP_WORDS[:rng.randint(2, 5)])),
            maybe(rng.choice(strings)),
            maybe(DATE0 + datetime.timedelta(days=rng.randint(0, 80))),
            maybe(rng.random() < 0.5),
        ))
    if csv and rows:
        # A CSV column with no value at all would be read as text; give each
        # column one value so that both engines infer the intended type.
        first = list(rows[0])
        fill = (1, 1, 7, 2.5, 3.25, 'red', 'apple', DATE0, True)
        rows[0] = tuple(fill[j] if first[j] is None else first[j] for j in range(len(first)))
    return rows


def gen_tables(rng):
    tables = {}
    for name in ('t1', 't2', 't3'):
        csv = name == 't3'
        if not csv and rng.random() < 0.05:
            n = 0
        else:
            n = rng.randint(3 if csv else 1, 40)
        tables[name] = Table(name, 'csv' if csv else 'parquet', gen_rows(rng, n, csv))
    return tables


def literal(v, kind):
    if v is None:
        return 'NULL'
    if kind == 'bool':
        return 'true' if v else 'false'
    if kind == 'str':
        return "'" + v.replace("'", "''") + "'"
    if kind == 'date':
        return f"DATE '{v.isoformat()}'"
    if kind == 'dec':
        return f"'{v:.2f}'"
    if kind == 'float':
        return repr(float(v))
    return str(v)


def write_table(duck, t, cwd):
    cols = ', '.join(f'CAST({n} AS {ty}) AS {n}' for n, ty, _ in COLUMNS)
    if t.rows:
        values = ', '.join('(' + ', '.join(literal(v, COLUMNS[j][2]) for j, v in enumerate(r)) + ')'
                           for r in t.rows)
        src = f"SELECT {cols} FROM (VALUES {values}) AS v({', '.join(n for n, _, _ in COLUMNS)})"
    else:
        src = 'SELECT ' + ', '.join(f'CAST(NULL AS {ty}) AS {n}' for n, ty, _ in COLUMNS) + ' WHERE false'
    opts = '(FORMAT csv, HEADER true)' if t.fmt == 'csv' else '(FORMAT parquet)'
    res = duck.run(f"COPY ({src} ORDER BY id) TO '{t.path}' {opts}", cwd)
    if res.status != 0:
        raise RuntimeError(f'writing {t.path} failed: {res.error_text()}')


# ---- expressions --------------------------------------------------------------------------

class Gen:
    """Random expressions over the columns of some table aliases. Every
    expression is (sql, kind, exact): kind as in COLUMNS, exact False when a
    float computed differently by two engines may differ in its last bits."""

    def __init__(self, rng, aliases):
        self.rng = rng
        self.aliases = aliases

    def col(self, kinds, alias=None):
        a = alias or self.rng.choice(self.aliases)
        names = [n for n, _, k in COLUMNS if k in kinds]
        return f'{a}.{self.rng.choice(names)}'

    def int_expr(self, depth=0, alias=None):
        r = self.rng.random()
        if depth > 1 or r < 0.45:
            return self.col(('int',), alias)
        c = self.col(('int',), alias)
        return self.rng.choice([
            f'{c} + {self.rng.randint(-5, 5)}',
            f'{c} * {self.rng.randint(-3, 3)}',
            f'{c} - {self.int_expr(depth + 1, alias)}',
            f'abs({c})',
            f'coalesce({c}, {self.rng.randint(-2, 2)})',
            f'{c} % {self.rng.choice([2, 3, 7])}',
            f'length({self.col(("str",), alias)})',
            f'extract(day FROM {self.col(("date",), alias)})',
            f'CASE WHEN {self.pred(depth + 1, alias)} THEN {c} ELSE {self.rng.randint(0, 9)} END',
        ])

    def str_expr(self, depth=0, alias=None):
        c = self.col(('str',), alias)
        if depth > 1 or self.rng.random() < 0.5:
            return c
        return self.rng.choice([
            f'upper({c})', f'lower({c})', f"coalesce({c}, 'none')", f'substring({c}, 1, 2)',
            f"{c} || '-' || {self.col(('str',), alias)}", f"concat({c}, {self.col(('int',), alias)})",
        ])

    def value_expr(self, alias=None):
        """(sql, kind, exact) of a random scalar expression."""
        r = self.rng.random()
        if r < 0.35:
            return self.int_expr(alias=alias), 'int', True
        if r < 0.55:
            return self.str_expr(alias=alias), 'str', True
        if r < 0.65:
            c = self.col(('float',), alias)
            return self.rng.choice([c, f'{c} * 2', f'{c} + {self.col(("int",), alias)}']), 'float', True
        if r < 0.75:
            c = self.col(('dec',), alias)
            return self.rng.choice([c, f'{c} * 2', f'{c} + 1.5', f'{c} - {self.col(("dec",), alias)}']), 'dec', True
        if r < 0.85:
            c = self.col(('date',), alias)
            return self.rng.choice([c, f'{c} + {self.rng.randint(1, 40)}', f"date_trunc('month', {c})"]), 'date', True
        if r < 0.93:
            return self.col(('bool',), alias), 'bool', True
        return self.pred(alias=alias), 'bool', True

    def cmp(self, kind, alias=None):
        op = self.rng.choice(['=', '<>', '<', '<=', '>', '>='])
        if kind == 'int':
            return f'{self.int_expr(alias=alias)} {op} {self.rng.choice([self.int_expr(alias=alias), str(self.rng.randint(-20, 20))])}'
        if kind == 'str':
            return f"{self.str_expr(alias=alias)} {op} {literal(self.rng.choice(STRINGS + GROUP_WORDS), 'str')}"
        if kind == 'float':
            return f"{self.col(('float',), alias)} {op} {self.rng.choice(['0', '1.25', '-50.5', '100'])}"
        if kind == 'dec':
            return f"{self.col(('dec',), alias)} {op} {self.rng.choice(['0', '1.25', '-50.5', '100'])}"
        return f"{self.col(('date',), alias)} {op} DATE '{(DATE0 + datetime.timedelta(days=self.rng.randint(0, 80))).isoformat()}'"

    def pred(self, depth=0, alias=None):
        rng = self.rng
        r = rng.random()
        if depth < 2 and r < 0.25:
            op = rng.choice(['AND', 'OR'])
            return f'({self.pred(depth + 1, alias)} {op} {self.pred(depth + 1, alias)})'
        if depth < 2 and r < 0.32:
            return f'NOT ({self.pred(depth + 1, alias)})'
        r = rng.random()
        if r < 0.45:
            return self.cmp(rng.choice(['int', 'int', 'str', 'float', 'dec', 'date']), alias)
        if r < 0.55:
            c = self.col([k for _, _, k in COLUMNS], alias)
            return f'{c} IS {rng.choice(["", "NOT "])}NULL'
        if r < 0.67:
            vals = [str(rng.randint(-3, 9)) for _ in range(rng.randint(1, 4))]
            if rng.random() < 0.3:
                vals.append('NULL')
            return f"{self.col(('int',), alias)} {rng.choice(['IN', 'NOT IN'])} ({', '.join(vals)})"
        if r < 0.75:
            lo = rng.randint(-30, 10)
            return f"{self.int_expr(alias=alias)} {rng.choice(['BETWEEN', 'NOT BETWEEN'])} {lo} AND {lo + rng.randint(0, 40)}"
        if r < 0.83:
            pat = rng.choice(['a%', '%e%', '_', '%b', 'A%', 'a\\_%', '%'])
            op = rng.choice(['LIKE', 'NOT LIKE', 'ILIKE'])
            esc = " ESCAPE '\\'" if '\\' in pat else ''
            return f"{self.col(('str',), alias)} {op} '{pat}'{esc}"
        if r < 0.92:
            c = self.col(('bool',), alias)
            return rng.choice([c, f'NOT {c}', f'{c} IS NOT TRUE', f'{c} IS DISTINCT FROM {self.col(("bool",), alias)}'])
        return f"coalesce({self.col(('int',), alias)}, 0) > {rng.randint(-5, 5)}"

    def agg(self, alias=None):
        """(sql, kind, exact) of a random aggregate."""
        rng = self.rng
        r = rng.random()
        filt = f' FILTER (WHERE {self.pred(1, alias)})' if rng.random() < 0.15 else ''
        if r < 0.15:
            return f'count(*){filt}', 'int', True
        if r < 0.27:
            return f"count({rng.choice(['DISTINCT ', ''])}{self.col([k for _, _, k in COLUMNS], alias)}){filt}", 'int', True
        if r < 0.40:
            return f'sum({self.int_expr(alias=alias)}){filt}', 'int', True
        if r < 0.47:
            return f"sum({self.col(('dec',), alias)}){filt}", 'dec', True
        if r < 0.52:
            return f"sum({self.col(('float',), alias)}){filt}", 'float', False
        if r < 0.62:
            c = self.col([k for _, _, k in COLUMNS if k != 'bool'], alias)
            return f"{rng.choice(['min', 'max'])}({c}){filt}", KIND[c.split('.')[1]], True
        if r < 0.72:
            c = self.col(('int', 'float', 'dec'), alias)
            return f'avg({c}){filt}', 'float', False
        if r < 0.78:
            return f"{rng.choice(['bool_and', 'bool_or'])}({self.col(('bool',), alias)}){filt}", 'bool', True
        if r < 0.85:
            c = self.col(('str',), alias)
            return f"string_agg({c}, ',' ORDER BY {c}){filt}", 'str', True
        if r < 0.92:
            c = self.col(('int', 'float'), alias)
            return f"{rng.choice(['stddev_pop', 'stddev_samp', 'var_pop'])}({c}){filt}", 'float', False
        c = self.col(('int',), alias)
        return f'median({c}){filt}', 'float', True


# ---- queries ---------------------------------------------------------------------------------

class Query:
    """A SELECT built from parts, so that the shrinker can drop parts.
    Output columns are items (sql, kind, exact); `keys` are grouped (and
    output) when grouped is set; `order` asks for ORDER BY every output
    column, which is a total order of the result."""

    def __init__(self):
        self.items = []
        self.keys = []
        self.grouped = False
        self.from_sql = ''
        self.where = []
        self.having = []
        self.distinct = False
        self.order = None  # list of (asc, nulls_first) per output column, or None
        self.limit = None  # (limit, offset)
        self.setop = None  # (op, Query, Query): this query is left op right
        self.min_items = 1

    def outputs(self):
        if self.setop:
            return self.setop[1].outputs()
        return (self.keys if self.grouped else []) + self.items

    def exact(self):
        return all(e for _, _, e in self.outputs())

    def body_sql(self):
        if self.setop:
            op, left, right = self.setop
            return f'{left.body_sql()} {op} {right.body_sql()}'
        cols = [s for s, _, _ in self.outputs()]
        sql = f"SELECT {'DISTINCT ' if self.distinct else ''}{', '.join(cols)} FROM {self.from_sql}"
        if self.where:
            sql += ' WHERE ' + ' AND '.join(self.where)
        if self.grouped:
            if self.keys:
                sql += ' GROUP BY ' + ', '.join(s for s, _, _ in self.keys)
            if self.having:
                sql += ' HAVING ' + ' AND '.join(self.having)
        return sql

    def sql(self):
        sql = self.body_sql()
        if self.order is not None:
            n = len(self.outputs())
            parts = []
            for j in range(n):
                asc, nf = self.order[j % len(self.order)]
                parts.append(f"{j + 1} {'ASC' if asc else 'DESC'} NULLS {'FIRST' if nf else 'LAST'}")
            sql += ' ORDER BY ' + ', '.join(parts)
            if self.limit:
                sql += f' LIMIT {self.limit[0]}'
                if self.limit[1]:
                    sql += f' OFFSET {self.limit[1]}'
        return sql

    def ordered(self):
        return self.order is not None

    def copy(self):
        q = Query()
        q.__dict__.update({k: (list(v) if isinstance(v, list) else v) for k, v in self.__dict__.items()})
        return q

    def simpler(self):
        """Variants with one part removed, simplest first."""
        out = []
        if self.setop:
            out += [self.setop[1], self.setop[2]]
        if self.limit:
            q = self.copy()
            q.limit = None
            out.append(q)
        elif self.order is not None and not self.setop:
            q = self.copy()
            q.order = None
            out.append(q)
        for j in range(len(self.where)):
            q = self.copy()
            del q.where[j]
            out.append(q)
        for j in range(len(self.having)):
            q = self.copy()
            del q.having[j]
            out.append(q)
        if self.distinct:
            q = self.copy()
            q.distinct = False
            out.append(q)
        for j in range(len(self.keys)):
            q = self.copy()
            del q.keys[j]
            out.append(q)
        if len(self.outputs()) > 1 and len(self.items) > self.min_items:
            for j in range(len(self.items)):
                q = self.copy()
                del q.items[j]
                out.append(q)
        return out


def total_order(rng, q):
    """Adds ORDER BY over every output column (and maybe LIMIT) when the
    output is exact (no float that engines may compute differently)."""
    if q.exact() and rng.random() < 0.5:
        q.order = [(rng.random() < 0.6, rng.random() < 0.5) for _ in range(3)]
        if rng.random() < 0.7:
            q.limit = (rng.randint(0, 12), rng.choice([0, 0, 1, 3]))


def from_joins(rng, tables):
    """FROM text of one to three tables, and the aliases it binds."""
    names = rng.sample(sorted(tables), rng.choice([1, 2, 2, 3]))
    sql = f'{tables[names[0]].ref()} AS {names[0]}'
    for j, n in enumerate(names[1:], 1):
        prev = names[rng.randrange(j)]
        kind = rng.choice(['JOIN', 'LEFT JOIN', 'RIGHT JOIN', 'FULL JOIN', 'JOIN', 'LEFT JOIN', 'CROSS JOIN'])
        if kind == 'CROSS JOIN':
            sql += f' CROSS JOIN {tables[n].ref()} AS {n}'
            continue
        cond = f'{prev}.k = {n}.k'
        r = rng.random()
        if r < 0.2:
            cond += f' AND {prev}.g = {n}.g'
        elif r < 0.35:
            cond += f' AND {n}.i > {prev}.i'
        elif r < 0.45:
            cond = f'{prev}.g = {n}.g'
        sql += f' {kind} {tables[n].ref()} AS {n} ON {cond}'
    return sql, names


def gen_select(rng, tables):
    sql, aliases = from_joins(rng, tables)
    g = Gen(rng, aliases)
    q = Query()
    q.from_sql = sql
    for _ in range(rng.randint(1, 4)):
        q.items.append(g.value_expr())
    for _ in range(rng.choice([0, 1, 1, 2, 3])):
        q.where.append(g.pred())
    q.distinct = rng.random() < 0.15
    total_order(rng, q)
    return q


def gen_group(rng, tables):
    sql, aliases = from_joins(rng, tables)
    g = Gen(rng, aliases)
    q = Query()
    q.from_sql = sql
    q.grouped = True
    for _ in range(rng.choice([0, 1, 1, 2])):
        c = g.col(('int', 'str', 'date', 'bool'))
        q.keys.append((c, KIND[c.split('.')[1]], True) if rng.random() < 0.7 else g.value_expr())
    for _ in range(rng.randint(1, 3)):
        q.items.append(g.agg())
    for _ in range(rng.choice([0, 1, 1, 2])):
        q.where.append(g.pred())
    if q.keys and rng.random() < 0.4:
        a = rng.choice(aliases)
        q.having.append(rng.choice([f'count(*) > {rng.randint(0, 3)}', f'sum({a}.i) > {rng.randint(-20, 20)}',
                                    f'max({a}.k) IS NOT NULL', f'min({a}.s) < {literal(rng.choice(STRINGS), "str")}']))
    total_order(rng, q)
    return q


def gen_window(rng, tables):
    name = rng.choice(sorted(tables))
    g = Gen(rng, [name])
    q = Query()
    q.from_sql = f'{tables[name].ref()} AS {name}'
    a = name
    part = rng.choice(['', f'PARTITION BY {a}.g ', f'PARTITION BY {a}.k ', f'PARTITION BY {a}.b '])
    okey = rng.choice([f'{a}.i', f'{a}.s', f'{a}.dt', f'{a}.d'])
    okey += f" {rng.choice(['ASC', 'DESC'])} NULLS {rng.choice(['FIRST', 'LAST'])}"
    total = f'ORDER BY {okey}, {a}.id'  # id is unique: a total order within partitions
    windows = [
        (f'row_number() OVER ({part}{total})', 'int', True),
        (f'rank() OVER ({part}ORDER BY {okey})', 'int', True),
        (f'dense_rank() OVER ({part}ORDER BY {okey})', 'int', True),
        (f'ntile(3) OVER ({part}{total})', 'int', True),
        (f'sum({a}.i) OVER ({part}{total} ROWS BETWEEN 1 PRECEDING AND CURRENT ROW)', 'int', True),
        (f'sum({a}.i) OVER ({part}ORDER BY {okey})', 'int', True),
        (f'count(*) OVER ({part.strip()})', 'int', True),
        (f'max({a}.s) OVER ({part}{total} ROWS BETWEEN UNBOUNDED PRECEDING AND 1 FOLLOWING)', 'str', True),
        (f'lag({a}.i) OVER ({part}{total})', 'int', True),
        (f'lead({a}.s, 2) OVER ({part}{total})', 'str', True),
        (f'first_value({a}.dt) OVER ({part}{total})', 'date', True),
        (f'min({a}.d) OVER ({part}{total} ROWS BETWEEN 2 PRECEDING AND 2 FOLLOWING)', 'dec', True),
        (f'avg({a}.f) OVER ({part.strip()})', 'float', False),
        (f'percent_rank() OVER ({part}ORDER BY {okey})', 'float', False),
        (f'cume_dist() OVER ({part}ORDER BY {okey})', 'float', False),
    ]
    q.items.append((f'{a}.id', 'int', True))
    q.min_items = 1
    for _ in range(rng.randint(1, 3)):
        q.items.append(rng.choice(windows))
    if rng.random() < 0.3:
        q.items.append(g.value_expr())
    if rng.random() < 0.4:
        q.where.append(g.pred())
    total_order(rng, q)
    return q


def gen_subquery(rng, tables):
    outer, inner = rng.sample(sorted(tables), 2)
    g = Gen(rng, [outer])
    gi = Gen(rng, [inner])
    q = Query()
    q.from_sql = f'{tables[outer].ref()} AS {outer}'
    for _ in range(rng.randint(1, 3)):
        q.items.append(g.value_expr())
    ref = tables[inner].ref()
    inner_pred = f' WHERE {gi.pred()}' if rng.random() < 0.5 else ''
    r = rng.random()
    if r < 0.25:
        col = rng.choice(['k', 'i', 'id'])
        q.where.append(f"{outer}.{col} {rng.choice(['IN', 'NOT IN'])} (SELECT {inner}.{rng.choice(['k', 'i'])} FROM {ref} AS {inner}{inner_pred})")
    elif r < 0.5:
        extra = f' AND {inner}.i {rng.choice(["<", ">", "="])} {outer}.i' if rng.random() < 0.4 else ''
        extra += f' AND {gi.pred()}' if rng.random() < 0.3 else ''
        q.where.append(f"{rng.choice(['EXISTS', 'NOT EXISTS'])} (SELECT 1 FROM {ref} AS {inner} WHERE {inner}.k = {outer}.k{extra})")
    elif r < 0.75:
        agg = rng.choice([('count(*)', 'int'), (f'max({inner}.i)', 'int'), (f'sum({inner}.i)', 'int'),
                          (f'min({inner}.s)', 'str'), (f'count(DISTINCT {inner}.g)', 'int')])
        corr = rng.choice(['k', 'g'])
        q.items.append((f'(SELECT {agg[0]} FROM {ref} AS {inner} WHERE {inner}.{corr} = {outer}.{corr})', agg[1], True))
    else:
        agg = rng.choice(['avg', 'max', 'min'])
        q.where.append(f"{outer}.i {rng.choice(['>', '<=', '='])} (SELECT {agg}({inner}.i) FROM {ref} AS {inner}{inner_pred})")
    if rng.random() < 0.4:
        q.where.append(g.pred())
    total_order(rng, q)
    return q


def gen_setop(rng, tables):
    shape = rng.choice([('k',), ('g',), ('k', 'g'), ('i', 'dt'), ('s',), ('d',)])
    sides = []
    for name in rng.sample(sorted(tables), 2):
        side = Query()
        g = Gen(rng, [name])
        side.from_sql = f'{tables[name].ref()} AS {name}'
        side.items = [(f'{name}.{c}', KIND[c], True) for c in shape]
        side.min_items = len(shape)
        if rng.random() < 0.6:
            side.where.append(g.pred())
        sides.append(side)
    q = Query()
    op = rng.choice(['UNION', 'UNION ALL', 'INTERSECT', 'EXCEPT', 'INTERSECT ALL', 'EXCEPT ALL'])
    q.setop = (op, sides[0], sides[1])
    if rng.random() < 0.5:
        q.order = [(rng.random() < 0.6, rng.random() < 0.5) for _ in range(3)]
        if rng.random() < 0.6:
            q.limit = (rng.randint(0, 10), rng.choice([0, 2]))
    return q


GENERATORS = [(gen_select, 3), (gen_group, 3), (gen_window, 2), (gen_subquery, 2), (gen_setop, 1)]


def gen_query(rng, tables):
    total = sum(w for _, w in GENERATORS)
    r = rng.uniform(0, total)
    for fn, w in GENERATORS:
        if r < w:
            return fn(rng, tables)
        r -= w
    return gen_select(rng, tables)


# ---- comparing results --------------------------------------------------------------------

def canon(v):
    """A comparable, sortable form of a result value."""
    if v is None:
        return (0,)
    if v is True or v is False:
        return (1, v)
    if isinstance(v, sqlengines.Num):
        try:
            x = float(v)
        except ValueError:
            return (3, str(v))
        if not math.isfinite(x):
            return (2, x, str(v))
        # Rounded to 9 significant digits for sorting, so that values equal
        # within the tolerance sort alike (1.50 and 1.5 too).
        return (2, float(f'{x:.9g}'))
    if isinstance(v, str):
        return (3, v)
    return (4, sqlengines.json_text(v, floats=True))


def values_match(a, b):
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, sqlengines.Num) and isinstance(b, sqlengines.Num):
        if '.' not in a and 'e' not in a.lower() and '.' not in b and 'e' not in b.lower():
            return int(a) == int(b)
        x, y = float(a), float(b)
        return math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-9) or (math.isnan(x) and math.isnan(y))
    if isinstance(a, sqlengines.Num) or isinstance(b, sqlengines.Num):
        return False
    if isinstance(a, (bool, str)) or isinstance(b, (bool, str)):
        return type(a) is type(b) and a == b
    return sqlengines.json_text(a, floats=True) == sqlengines.json_text(b, floats=True)


def compare(ra, rb, ordered):
    """None when the row lists agree, else a short description."""
    if len(ra) != len(rb):
        return f'{len(ra)} rows vs {len(rb)} rows'
    if not ordered:
        ra = sorted(ra, key=lambda r: [canon(v) for v in r])
        rb = sorted(rb, key=lambda r: [canon(v) for v in r])
    for n, (x, y) in enumerate(zip(ra, rb), 1):
        if len(x) != len(y):
            return f'row {n}: {len(x)} columns vs {len(y)}'
        for j, (a, b) in enumerate(zip(x, y), 1):
            if not values_match(a, b):
                return f'row {n} column {j}: {sqlengines.render(a)} vs {sqlengines.render(b)}'
    return None


def outcome(res_a, res_b, ordered):
    """('agree' | 'both-failed' | 'a-failed' | 'b-failed' | 'differ', detail)."""
    if not res_a.ok and not res_b.ok:
        return 'both-failed', f'{res_a.error_text()} / {res_b.error_text()}'
    if not res_a.ok:
        return 'a-failed', res_a.error_text()
    if not res_b.ok:
        return 'b-failed', res_b.error_text()
    why = compare(res_a.rows, res_b.rows, ordered)
    return ('differ', why) if why else ('agree', None)


# ---- the run ------------------------------------------------------------------------------------

class Fuzzer:
    def __init__(self, args):
        self.args = args
        self.a = sqlengines.make_engine(args.engine_a, tarn=args.tarn, timeout=args.timeout)
        self.b = sqlengines.make_engine(args.engine_b, tarn=args.tarn, timeout=args.timeout)
        self.duck = sqlengines.DuckDBEngine(timeout=args.timeout)
        self.workdir = args.workdir or tempfile.mkdtemp(prefix='sqlfuzz-')
        os.makedirs(self.workdir, exist_ok=True)
        self.counts = {'agree': 0, 'both-failed': 0, 'mismatch': 0, 'unsupported': 0}
        self.written = {}  # file path -> the rows it holds, to skip rewriting
        self.shown_both_failed = 0

    def close(self):
        for e in (self.a, self.b, self.duck):
            e.close()

    def run_both(self, q, cwd):
        sql = q.sql()
        return outcome(self.a.run(sql, cwd), self.b.run(sql, cwd), q.ordered())

    def run(self):
        args = self.args
        rng = random.Random(args.seed)
        deadline = time.monotonic() + args.seconds if args.seconds else None
        n = 0
        data_dir = os.path.join(self.workdir, 'data')
        tables = None
        while True:
            if args.queries is not None and n >= args.queries:
                break
            if deadline is not None and time.monotonic() >= deadline:
                break
            if tables is None or n % args.tables_every == 0:
                tables = gen_tables(rng)
                os.makedirs(data_dir, exist_ok=True)
                for t in tables.values():
                    write_table(self.duck, t, data_dir)
            q = gen_query(rng, tables)
            n += 1
            kind, detail = self.run_both(q, data_dir)
            if args.verbose > 1:
                print(f'[{n}] {kind}: {q.sql()}', flush=True)
            if args.ignore_unsupported and self.unsupported(kind, detail):
                self.counts['unsupported'] += 1
            elif kind == 'agree':
                self.counts['agree'] += 1
            elif kind == 'both-failed':
                self.counts['both-failed'] += 1
                if args.verbose and self.shown_both_failed < 5:
                    self.shown_both_failed += 1
                    print(f'both engines failed on query {n}: {q.sql()}\n  {detail}', flush=True)
            else:
                self.counts['mismatch'] += 1
                self.report(n, q, tables, kind, detail)
                if self.counts['mismatch'] >= args.max_mismatches:
                    print(f'stopping after {args.max_mismatches} mismatches', flush=True)
                    break
        print(f'{n} queries (seed {args.seed}, {args.engine_a} vs {args.engine_b}): '
              f"{self.counts['agree']} agreed, {self.counts['mismatch']} mismatched, "
              f"{self.counts['both-failed']} failed on both"
              + (f", {self.counts['unsupported']} unsupported (exit 5)" if args.ignore_unsupported else ''))
        return 1 if self.counts['mismatch'] else 0

    def unsupported(self, kind, detail):
        # outcome() puts the failed engine's error_text() first in detail.
        return kind in ('a-failed', 'b-failed') and detail.startswith('exit 5:')

    # -- shrinking and reporting --

    def used(self, q, tables):
        sql = q.sql()
        return [name for name in sorted(tables) if tables[name].path in sql]

    def write(self, t, cwd):
        path = os.path.join(cwd, t.path)
        if self.written.get(path) != t.rows:
            write_table(self.duck, t, cwd)
            self.written[path] = list(t.rows)

    def reproduces(self, q, tables, kind, cwd):
        for name in self.used(q, tables):
            self.write(tables[name], cwd)
        got, _ = self.run_both(q, cwd)
        return got == kind

    def shrink(self, q, tables, kind, cwd):
        budget_end = time.monotonic() + self.args.shrink_seconds
        tables = {k: Table(t.name, t.fmt, list(t.rows)) for k, t in tables.items()}

        def in_budget():
            return time.monotonic() < budget_end

        changed = True
        while changed and in_budget():
            changed = False
            # Simpler queries first: they make row shrinking cheaper.
            for v in q.simpler():
                if not in_budget():
                    break
                if self.reproduces(v, tables, kind, cwd):
                    q = v
                    changed = True
                    break
            if changed:
                continue
            for name in self.used(q, tables):
                t = tables[name]
                chunk = max(1, len(t.rows) // 2)
                while chunk >= 1 and in_budget():
                    start = 0
                    while start < len(t.rows) and in_budget():
                        keep = t.rows[:start] + t.rows[start + chunk:]
                        if t.fmt == 'csv' and len(keep) < 1:
                            start += chunk
                            continue
                        trial = dict(tables)
                        trial[name] = Table(t.name, t.fmt, keep)
                        if self.reproduces(q, trial, kind, cwd):
                            tables[name] = t = trial[name]
                            changed = True
                        else:
                            start += chunk
                    chunk //= 2
        for name in self.used(q, tables):
            self.write(tables[name], cwd)
        return q, tables

    def report(self, n, q, tables, kind, detail):
        rdir = os.path.join(self.workdir, f'mismatch-{n}')
        os.makedirs(rdir, exist_ok=True)
        print(f'\nMISMATCH at query {n} ({kind}: {detail})', flush=True)
        print(f'  original: {q.sql()}', flush=True)
        q, tables = self.shrink(q, tables, kind, rdir)
        sql = q.sql()
        res_a = self.a.run(sql, rdir)
        res_b = self.b.run(sql, rdir)
        _, detail = outcome(res_a, res_b, q.ordered())
        with open(os.path.join(rdir, 'query.sql'), 'w', encoding='utf-8') as f:
            f.write(sql + '\n')
        lines = [f'  reproducer ({detail}), in {rdir}:', f'    {sql}']
        for name in self.used(q, tables):
            t = tables[name]
            lines.append(f'  {t.path} ({len(t.rows)} rows; {", ".join(f"{c} {ty}" for c, ty, _ in COLUMNS)}):')
            for r in t.rows[:30]:
                lines.append('    ' + ', '.join(literal(v, COLUMNS[j][2]) for j, v in enumerate(r)))
            if len(t.rows) > 30:
                lines.append(f'    ... ({len(t.rows) - 30} more)')
        for label, res in ((self.args.engine_a, res_a), (self.args.engine_b, res_b)):
            lines.append(f'  {label}:')
            if res.ok:
                rows = ['\t'.join(sqlengines.render(v) for v in r) for r in res.rows]
                lines += ['    ' + r for r in rows[:20]] or ['    (no rows)']
                if len(rows) > 20:
                    lines.append(f'    ... ({len(rows) - 20} more)')
            else:
                lines.append('    ' + res.error_text().replace('\n', '\n    '))
        lines.append(f'  rerun: cd {rdir} && <engine> "$(cat query.sql)"')
        print('\n'.join(lines), flush=True)


def main():
    ap = argparse.ArgumentParser(description='Differential SQL fuzzing of two engines.')
    ap.add_argument('--seed', type=int, default=1, help='random seed (default 1)')
    ap.add_argument('--queries', type=int, help='stop after N queries')
    ap.add_argument('--seconds', type=float, help='stop after S seconds')
    ap.add_argument('--engine-a', default='duckdb', help='duckdb, tarn or tarn:PATH (default duckdb)')
    ap.add_argument('--engine-b', default='duckdb', help='duckdb, tarn or tarn:PATH (default duckdb)')
    ap.add_argument('--tarn', help='the tarn binary for engine "tarn"')
    ap.add_argument('--tables-every', type=int, default=25, help='new tables every N queries (default 25)')
    ap.add_argument('--timeout', type=float, default=60.0, help='seconds per job (default 60)')
    ap.add_argument('--shrink-seconds', type=float, default=60.0, help='time spent shrinking each mismatch')
    ap.add_argument('--max-mismatches', type=int, default=10, help='stop after N mismatches (default 10)')
    ap.add_argument('--workdir', help='where table files and reproducers go (default: a new temp dir)')
    ap.add_argument('--ignore-unsupported', action='store_true',
                    help='count a query that one engine rejects as unsupported (exit status 5) '
                         'as skipped, not a mismatch: for engines still being written')
    ap.add_argument('-v', '--verbose', action='count', default=0,
                    help='show queries failing on both engines; twice: every query')
    args = ap.parse_args()
    if args.queries is None and args.seconds is None:
        args.queries = 200
    if args.tables_every < 1:
        ap.error('--tables-every must be at least 1')
    try:
        fz = Fuzzer(args)
    except ValueError as e:
        ap.error(str(e))
    print(f'sqlfuzz: work directory {fz.workdir}', flush=True)
    try:
        rc = fz.run()
    finally:
        fz.close()
    if rc == 0 and not args.workdir:
        shutil.rmtree(fz.workdir, ignore_errors=True)
    return rc


if __name__ == '__main__':
    sys.exit(main())
