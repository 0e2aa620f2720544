#!/usr/bin/env bash
# Benchmark `impact` against the anchors an analyst would use, side by side.
#
#   bench/run.sh                         # sizes 500000 and 2000000
#   SIZES=200000 bench/run.sh            # one size
#   BUILD=0 RUNS=3 bench/run.sh          # skip `swift build`, best of 3 runs per tool
#
# Sets up bench/.venv (duckdb==2.0.1, lxml) and xmllint if missing, builds impact in release
# mode, generates canonical CSV and XML into bench/data/{csv,xml}-N (kept between runs), then
# times each tool with /usr/bin/time (wall seconds, max RSS) on warm page cache:
#   impact run (CSV, XML)   full job: checks, last-wins de-duplication, aggregates, outputs
#                           (--no-store: exactly what the anchors do, nothing remembered)
#   impact_1file_1core      the job on the same rows in ONE file (CSV, XML), --workers 1
#   impact_1file            the same with every core: the file is read in parts
#   impact_store_cold       the same CSV job with the store, into a new store
#   impact_store_unchanged  a second run over the same files with that store (nothing new)
#   impact_export_1core     one partner export (French Excel CSV, 4 observations a row) read
#                           through the declarative source of bench/export.yml, --workers 1
#   impact_export           the same with every core: the export is read in parts
#   duckdb_full   (CSV)     the same full job in DuckDB SQL
#   duckdb_groupby (CSV)    SELECT indicator, sum(value) ... GROUP BY indicator only
#   xmllint --stream (XML)  parse only
#   lxml_sum      (XML)     iterparse + sum by indicator
# A missing or failing impact is reported as "impact: failed" and the anchors still run.
# Results: the table on stdout and bench/out/results.tsv; tool logs in bench/out/logs/.
# bench/alternate.py then times the CSV job and DuckDB's bare GROUP BY in turns (drift-proof).
# Environment: SIZES, FILES (files per data set, 4), RUNS (1), BUILD (1), IMPACT (binary path).
set -uo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
BENCH=$ROOT/bench
SIZES=${SIZES:-500000 2000000}
FILES=${FILES:-4}
RUNS=${RUNS:-1}
BUILD=${BUILD:-1}
IMPACT=${IMPACT:-$ROOT/.build/release/impact}
PY=$BENCH/.venv/bin/python
OUT=$BENCH/out
RESULTS=$OUT/results.tsv

log() { printf '== %s\n' "$*" >&2; }

# --- tools -----------------------------------------------------------------------------------
if ! "$PY" -c 'import duckdb, lxml, sys; sys.exit(duckdb.__version__ != "2.0.1")' 2>/dev/null; then
  log "setting up bench/.venv (duckdb==2.0.1, lxml)"
  [ -x "$PY" ] || python3 -m venv "$BENCH/.venv" || exit 1
  "$PY" -m pip install -q duckdb==2.0.1 lxml || exit 1
fi
missing=()
command -v xmllint >/dev/null || missing+=(libxml2-utils)
[ -x /usr/bin/time ] || missing+=(time)
if [ ${#missing[@]} -gt 0 ]; then
  log "installing ${missing[*]}"
  SUDO=; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null || exit 1
fi

mkdir -p "$OUT/logs"
if [ "$BUILD" = 1 ]; then
  log "swift build -c release --product impact"
  if ! swift build -c release --product impact >"$OUT/logs/build.log" 2>&1; then
    echo "impact: build failed (see bench/out/logs/build.log)" >&2
  fi
fi

# --- measuring -------------------------------------------------------------------------------
printf 'tool\tformat\tsize\tseconds\tpeak_kib\n' >"$RESULTS"

# measure TOOL FORMAT SIZE OUTDIR CMD...: best wall time of RUNS runs (and that run's RSS).
measure() {
  local tool=$1 format=$2 size=$3 outdir=$4; shift 4
  local logf="$OUT/logs/$tool-$format-$size.log" timef best="" kib="" i rc secs mem
  timef=$(mktemp)
  for ((i = 1; i <= RUNS; i++)); do
    [ -n "$outdir" ] && rm -rf "$outdir"
    /usr/bin/time -f '%e %M' -o "$timef" "$@" >"$logf" 2>&1
    rc=$?
    if [ $rc -ne 0 ]; then
      echo "$tool ($format, $size): failed (exit $rc, see ${logf#$ROOT/})" >&2
      [ "$tool" = impact ] && echo "impact: failed" >&2
      rm -f "$timef"
      return 0
    fi
    read -r secs mem < <(tail -n 1 "$timef")
    if [ -z "$best" ] || awk "BEGIN{exit !($secs < $best)}"; then best=$secs kib=$mem; fi
  done
  rm -f "$timef"
  printf '%s\t%s\t%s\t%s\t%s\n' "$tool" "$format" "$size" "$best" "$kib" >>"$RESULTS"
  log "$tool $format $size: ${best} s, $((kib / 1024)) MB"
}

# generate FORMAT SIZE [FILES [NAME]]: bench/data/NAME-SIZE, unless already there with the same shape.
generate() {
  local files=${3:-$FILES}
  local dir="$BENCH/data/${4:-$1}-$2"
  if [ "$(cat "$dir/.complete" 2>/dev/null)" != "$2 $files" ]; then
    rm -rf "$dir"
    log "generating $1 $2 in $files file(s)"
    python3 "$BENCH/generate.py" --observations "$2" --format "$1" --files "$files" --out "$dir" \
      || exit 1
    echo "$2 $files" >"$dir/.complete"
  fi
}

# generate_export SIZE: bench/data/export-SIZE, one partner export of SIZE observations.
generate_export() {
  local dir="$BENCH/data/export-$1"
  if [ "$(cat "$dir/.complete" 2>/dev/null)" != "$1" ]; then
    rm -rf "$dir"
    log "generating a partner export of $1 observations"
    python3 "$BENCH/generate_export.py" --observations "$1" --out "$dir" || exit 1
    echo "$1" >"$dir/.complete"
  fi
}

for n in $SIZES; do
  generate_export "$n"
  generate csv "$n"
  generate xml "$n"
  generate csv "$n" 1 csv1
  generate xml "$n" 1 xml1
  csv="$BENCH/data/csv-$n" xml="$BENCH/data/xml-$n" csv1="$BENCH/data/csv1-$n" xml1="$BENCH/data/xml1-$n"
  log "size $n: csv $(du -sh "$csv" | cut -f1), xml $(du -sh "$xml" | cut -f1)"
  export="$BENCH/data/export-$n/ateliers-export.csv"
  cat "$csv"/* "$xml"/* "$csv1"/* "$xml1"/* "$export" >/dev/null  # warm the page cache for everyone

  if [ -x "$IMPACT" ]; then
    measure impact csv "$n" "$OUT/impact-csv-$n" "$IMPACT" run --no-store --output "$OUT/impact-csv-$n" "$csv"
    measure impact xml "$n" "$OUT/impact-xml-$n" "$IMPACT" run --no-store --output "$OUT/impact-xml-$n" "$xml"
    for one in "csv $csv1" "xml $xml1"; do
      read -r fmt data <<<"$one"
      measure impact_1file_1core "$fmt" "$n" "$OUT/impact-1file-$n" \
        "$IMPACT" run --no-store --workers 1 --output "$OUT/impact-1file-$n" "$data"
      measure impact_1file "$fmt" "$n" "$OUT/impact-1file-$n" \
        "$IMPACT" run --no-store --output "$OUT/impact-1file-$n" "$data"
    done
    for workers in 1 0; do
      tool=impact_export; [ $workers = 1 ] && tool=impact_export_1core
      measure $tool export "$n" "$OUT/impact-export-$n" "$IMPACT" run --no-store --pipeline "$BENCH/export.yml" \
        $([ $workers = 1 ] && echo --workers 1) --output "$OUT/impact-export-$n" "$export"
    done
    measure impact_store_cold csv "$n" "$OUT/impact-store-$n" \
      "$IMPACT" run --quiet --output "$OUT/impact-store-$n" "$csv"
    # The store the last cold run left: every further run finds nothing new.
    measure impact_store_unchanged csv "$n" "" "$IMPACT" run --quiet --output "$OUT/impact-store-$n" "$csv"
  else
    echo "impact: failed (no binary at ${IMPACT#$ROOT/})" >&2
  fi
  measure duckdb_full csv "$n" "$OUT/duckdb_full-$n" "$PY" "$BENCH/duckdb_full.py" "$csv" "$OUT/duckdb_full-$n"
  measure duckdb_groupby csv "$n" "" "$PY" "$BENCH/duckdb_groupby.py" "$csv"
  measure xmllint xml "$n" "" xmllint --stream --noout "$xml"/*.xml
  measure lxml_sum xml "$n" "" "$PY" "$BENCH/lxml_sum.py" "$xml"
done

# --- report ----------------------------------------------------------------------------------
python3 - "$RESULTS" <<'EOF'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
print(f"\n{'tool':<24}{'format':<8}{'size':>10}{'seconds':>10}{'peak MB':>10}{'rows/s':>14}")
for r in rows:
    secs, mb = float(r["seconds"]), int(r["peak_kib"]) / 1024
    rate = f"{int(r['size']) / secs:,.0f}" if secs > 0 else "-"
    print(f"{r['tool']:<24}{r['format']:<8}{int(r['size']):>10}{secs:>10.2f}{mb:>10.0f}{rate:>14}")
get = {(r["tool"], r["format"], r["size"]): r for r in rows}
print("\nratios (impact / anchor; time < 1 means impact is faster):")
for size in dict.fromkeys(r["size"] for r in rows):
    for fmt, anchor in [("csv", "duckdb_full"), ("csv", "duckdb_groupby"),
                        ("xml", "xmllint"), ("xml", "lxml_sum")]:
        a, b = get.get(("impact", fmt, size)), get.get((anchor, fmt, size))
        if not a or not b:
            print(f"  {size:>9} impact {fmt.upper()} vs {anchor:<15} n/a (impact failed or missing)")
            continue
        t = float(a["seconds"]) / max(float(b["seconds"]), 0.005)
        m = int(a["peak_kib"]) / max(int(b["peak_kib"]), 1)
        print(f"  {size:>9} impact {fmt.upper()} vs {anchor:<15} time {t:6.2f}x   memory {m:6.2f}x")
    for tool, base, fmt, target in [("impact_1file", "impact_1file_1core", "csv", None),
                                    ("impact_1file", "impact_1file_1core", "xml", None),
                                    ("impact_export", "impact_export_1core", "export", None),
                                    ("impact_store_cold", "impact", "csv", 1.25),
                                    ("impact_store_unchanged", "impact_store_cold", "csv", 0.25)]:
        a, b = get.get((tool, fmt, size)), get.get((base, fmt, size))
        if a and b:
            t = float(a["seconds"]) / max(float(b["seconds"]), 0.005)
            goal = f" (target <= {target})" if target else ""
            print(f"  {size:>9} {tool} {fmt.upper()} vs {base:<22} time {t:6.2f}x{goal}")
EOF
