#!/usr/bin/env python3
"""tpch_compare.py — runs TPC-H queries on tarn and on DuckDB over the same
Parquet tables and compares the results.

  tpch_compare.py --tarn BIN --data DIR [--queries 1,2,...] [--sql-dir DIR]

DIR holds region.parquet ... lineitem.parquet. tarn resolves the bare table
names through SET file_search_path; DuckDB gets one view per table. Results
are compared row by row in order (the queries order every row, except ties,
which are compared as multisets), numbers with a relative tolerance of 1e-9
plus half a cent (DuckDB sums DOUBLE columns in a different order). Prints
one line per query and exits 1 when any query fails or differs.
"""
import argparse, csv, io, os, subprocess, sys

TABLES = "region nation supplier customer part partsupp orders lineitem".split()
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def norm(v):
    if v in ("", "NULL", "null"):
        return None
    try:
        return float(v)
    except ValueError:
        return v


def close(a, b):
    if len(a) != len(b):
        return False
    for x, y in zip(a, b):
        if isinstance(x, float) and isinstance(y, float):
            if abs(x - y) > 1e-9 * max(abs(x), abs(y)) + 0.005:
                return False
        elif x != y:
            return False
    return True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tarn", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--queries", default=",".join(str(i) for i in range(1, 23)))
    ap.add_argument("--sql-dir", default=os.path.join(ROOT, "tests", "sql", "tpch"))
    a = ap.parse_args()
    data = os.path.abspath(a.data)
    views = ";\n".join(f"CREATE VIEW {t} AS SELECT * FROM '{data}/{t}.parquet'" for t in TABLES)
    bad = 0
    for n in a.queries.split(","):
        q = open(os.path.join(a.sql_dir, "q%02d.sql" % int(n))).read()
        d = subprocess.run(["node", os.path.join(ROOT, "bench", "duckdb_run.mjs"), "--print",
                            views + ";\n" + q], capture_output=True, text=True)
        if d.returncode:
            print(f"q{n}: DuckDB failed: {d.stderr.strip()[:300]}")
            bad += 1
            continue
        t = subprocess.run([a.tarn, "query", "--format", "csv",
                            f"SET file_search_path = '{data}';\n" + q],
                           capture_output=True, text=True)
        if t.returncode:
            print(f"q{n}: tarn failed (exit {t.returncode}): {t.stderr.strip()[:500]}")
            bad += 1
            continue
        drows = [tuple(norm(x) for x in line.split("\t")) for line in d.stdout.rstrip("\n").split("\n")[1:]]
        tlines = list(csv.reader(io.StringIO(t.stdout)))
        width = len(tlines[0]) if tlines else 0
        # A row of one NULL is an empty CSV line, which csv reads as [].
        trows = [tuple(norm(x) for x in (r or [""] * width)) for r in tlines[1:]]
        ok = len(drows) == len(trows) and all(close(x, y) for x, y in zip(drows, trows))
        if not ok and len(drows) == len(trows):
            key = lambda r: tuple((0, "") if v is None else (1, str(round(v, 2)) if isinstance(v, float) else v) for v in r)
            ok = all(close(x, y) for x, y in zip(sorted(drows, key=key), sorted(trows, key=key)))
        if ok:
            print(f"q{n}: ok ({len(trows)} rows)")
        else:
            bad += 1
            print(f"q{n}: DIFFERS: DuckDB {len(drows)} rows, tarn {len(trows)} rows")
            for x, y in list(zip(drows, trows))[:3]:
                print(f"   duckdb {x}\n   tarn   {y}")
    print(f"{len(a.queries.split(',')) - bad} queries match, {bad} do not")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
