#!/usr/bin/env python3
"""Anchor: the cheapest useful DuckDB query over the canonical CSV files.

    bench/.venv/bin/python bench/duckdb_groupby.py INPUT_DIR

Only `SELECT indicator, sum(value) FROM read_csv(...) GROUP BY indicator`: no catalog checks,
no de-duplication, no output files. The value column is read as text and summed with
TRY_CAST, because the invalid rows (e.g. 'n/a') would otherwise stop the CSV reader.
Prints the sums (and the time) to stdout. A floor for what a columnar engine costs on this input.
"""
import glob
import os
import sys
import time

import duckdb


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    files = sorted(glob.glob(os.path.join(sys.argv[1], "*.csv")))
    if not files:
        sys.exit(f"no .csv files in {sys.argv[1]}")
    start = time.perf_counter()
    rows = duckdb.connect().execute(
        "SELECT indicator, sum(TRY_CAST(value AS DOUBLE)) FROM read_csv(?, header = true, "
        "all_varchar = true) GROUP BY indicator ORDER BY indicator", [files]).fetchall()
    for indicator, total in rows:
        print(f"{indicator}\t{total}")
    print(f"duckdb_groupby: {len(rows)} groups ({time.perf_counter() - start:.2f} s)",
          file=sys.stderr)


if __name__ == "__main__":
    main()
