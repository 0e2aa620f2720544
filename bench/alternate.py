#!/usr/bin/env python3
"""The CSV job against DuckDB's bare GROUP BY, runs alternated.

    python3 bench/alternate.py [RUNS] [SIZE...]     # default: 10 runs, sizes 500000 2000000 8000000

`bench/run.sh` times each tool RUNS times in a row, then the next tool: on a shared machine
whose speed drifts over minutes, two tools timed a minute apart can differ by 5-10% for
reasons of their own. Here the two commands take turns (impact, DuckDB, DuckDB, impact, ...),
so that drift hits both alike, and the best and median wall times and their ratios are
printed. Uses the data and the virtual environment `bench/run.sh` made (run it first) and
the release binary (IMPACT to name another). Outputs go to a temporary folder, removed
between runs as `bench/run.sh` does.
"""
import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    sizes = sys.argv[2:] or ["500000", "2000000", "8000000"]
    impact = os.environ.get("IMPACT", os.path.join(ROOT, ".build/release/impact"))
    python = os.path.join(ROOT, "bench/.venv/bin/python")
    for path in [impact, python]:
        if not os.access(path, os.X_OK):
            sys.exit(f"{path} is missing: run bench/run.sh first")
    output = tempfile.mkdtemp(prefix="impact-alternate-")
    print(f"{'size':>8}  {'impact best':>11} {'median':>7}  {'duckdb best':>11} {'median':>7}"
          f"  {'ratio best':>10} {'median':>7}")
    try:
        for size in sizes:
            data = os.path.join(ROOT, f"bench/data/csv-{size}")
            if not os.path.isdir(data):
                sys.exit(f"{data} is missing: run SIZES={size} bench/run.sh first")
            commands = {
                "impact": [impact, "run", "--no-store", "--quiet", "--output", output, data],
                "duckdb": [python, os.path.join(ROOT, "bench/duckdb_groupby.py"), data],
            }
            times = {name: [] for name in commands}
            for run in range(runs):
                order = list(commands) if run % 2 == 0 else list(commands)[::-1]
                for name in order:
                    shutil.rmtree(output, ignore_errors=True)
                    start = time.perf_counter()
                    subprocess.run(commands[name], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                   check=True, cwd=ROOT)
                    times[name].append(time.perf_counter() - start)
            best = {name: min(values) for name, values in times.items()}
            median = {name: sorted(values)[len(values) // 2] for name, values in times.items()}
            print(f"{size:>8}  {best['impact']:>11.3f} {median['impact']:>7.3f}  {best['duckdb']:>11.3f}"
                  f" {median['duckdb']:>7.3f}  {best['impact'] / best['duckdb']:>9.2f}x"
                  f" {median['impact'] / median['duckdb']:>6.2f}x")
    finally:
        shutil.rmtree(output, ignore_errors=True)


if __name__ == "__main__":
    main()
