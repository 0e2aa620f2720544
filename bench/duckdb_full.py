#!/usr/bin/env python3
"""Anchor: DuckDB doing impact's full job in SQL over canonical CSV files.

    bench/.venv/bin/python bench/duckdb_full.py INPUT_DIR OUTPUT_DIR

Reads INPUT_DIR/*.csv (sorted by name = file order), checks every row against the indicator
catalog (known indicator, numeric value, integer where required, range after unit-alias
conversion, territory and period syntax), keeps the last valid observation of each
(partner_id, response_id, indicator) by a window function (file order, then row order),
derives year / département / région, and writes to OUTPUT_DIR:
  accepted.csv    one normalised row per kept observation
  rejected.csv    every invalid row with file, line and reason
  aggregates.csv  the six grouping sets (column `grouping` names the set) with count,
                  responses, partners, sum, avg, min, max
Région comes from /work/shared/reference/departements.csv (override with $DEPARTEMENTS_CSV),
read at run time for the benchmark only. Timings of each step go to stderr.
"""
import csv
import glob
import os
import sys
import time

import duckdb

DEPARTEMENTS_CSV = os.environ.get("DEPARTEMENTS_CSV", "/work/shared/reference/departements.csv")

# indicator, catalog unit, integer?, min, max (NULL = unbounded), alias unit, alias factor
CATALOG = [
    ("social.beneficiaries", "person", True, 0, None, None, None),
    ("social.volunteers", "person", True, 0, None, None, None),
    ("social.volunteer_hours", "hour", False, 0, None, None, None),
    ("social.jobs_created", "fte", False, 0, None, None, None),
    ("social.microcredits_granted", "loan", True, 0, None, None, None),
    ("social.microcredit_amount", "EUR", False, 0, None, None, None),
    ("social.satisfaction", "score", False, 1, 5, None, None),
    ("environmental.co2_avoided", "kg_co2e", False, 0, None, "t_co2e", 1000.0),
    ("environmental.waste_diverted", "kg", False, 0, None, "t", 1000.0),
    ("environmental.devices_refurbished", "device", True, 0, None, None, None),
    ("environmental.km_avoided", "km", False, 0, None, None, None),
    ("digital_inclusion.people_trained", "person", True, 0, None, None, None),
    ("digital_inclusion.mediation_sessions", "session", True, 0, None, None, None),
    ("digital_inclusion.mediation_hours", "hour", False, 0, None, "min", 1 / 60),
    ("digital_inclusion.advisors", "person", True, 0, None, None, None),
    ("digital_inclusion.autonomy_gain", "ratio", False, 0, 1, None, None),
    ("territorial.places_opened", "site", True, 0, None, None, None),
    ("territorial.partnerships", "partnership", True, 0, None, None, None),
    ("demographic.seniors_supported", "person", True, 0, None, None, None),
    ("demographic.young_people_supported", "person", True, 0, None, None, None),
]

COMMUNE_RE = r"(\d{2}|2A|2B)\d{3}|97[1-6]\d{2}"
DEPARTEMENT_RE = r"0[1-9]|[1-8]\d|9[0-5]|2A|2B|97[1-6]"  # '20' is excluded separately
PERIOD_RE = r"\d{4}(-Q[1-4]|-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?"
NUMBER_RE = r"-?\d+(\.\d+)?"


def sql_literal(v):
    if v is None:
        return "NULL"
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return repr(v)
    return "'" + str(v).replace("'", "''") + "'"


def values_table(rows):
    return ",\n    ".join("(" + ", ".join(sql_literal(v) for v in r) + ")" for r in rows)


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    in_dir, out_dir = sys.argv[1], sys.argv[2]
    files = sorted(glob.glob(os.path.join(in_dir, "*.csv")))
    if not files:
        sys.exit(f"no .csv files in {in_dir}")
    os.makedirs(out_dir, exist_ok=True)
    con = duckdb.connect()
    t0 = last = time.perf_counter()

    def step(name, sql):
        nonlocal last
        con.execute(sql)
        now = time.perf_counter()
        print(f"  {name}: {now - last:.2f} s", file=sys.stderr)
        last = now

    units = [(i, u, 1.0) for i, u, *_ in CATALOG] + [(i, a, f) for i, _u, _n, _lo, _hi, a, f
                                                      in CATALOG if a]
    with open(DEPARTEMENTS_CSV, encoding="utf-8") as f:
        regions = [(r["dep_code"], r["region_code"], r["region_name"]) for r in csv.DictReader(f)]

    def table(name, columns, rows):  # a small lookup table from Python values
        cols = ", ".join(f"CAST({c} AS {t}) AS {c}" for c, t in columns)
        names = ", ".join(c for c, _t in columns)
        con.execute(f"CREATE TABLE {name} AS SELECT {cols} FROM (VALUES\n    "
                    f"{values_table(rows)}) t({names})")

    table("catalog", [("indicator", "VARCHAR"), ("unit", "VARCHAR"), ("is_int", "BOOLEAN"),
                      ("lo", "DOUBLE"), ("hi", "DOUBLE")],
          [(i, u, n, lo, hi) for i, u, n, lo, hi, _a, _f in CATALOG])
    table("units", [("indicator", "VARCHAR"), ("unit", "VARCHAR"), ("factor", "DOUBLE")], units)
    table("regions", [("departement", "VARCHAR"), ("region_code", "VARCHAR"),
                      ("region_name", "VARCHAR")], regions)
    table("files", [("file_no", "BIGINT"), ("file", "VARCHAR")],
          [(i, os.path.basename(f)) for i, f in enumerate(files)])
    file_list = "[" + ", ".join(sql_literal(f) for f in files) + "]"
    # 1. Load: every column as text; the table's rowid keeps file order then row order
    #    (insertion order is preserved by default), file_index is the virtual column of read_csv.
    step("load", f"""
CREATE TABLE raw AS
SELECT file_index AS file_no, partner_id, response_id, coalesce(period, '') AS period,
       coalesce(territory, '') AS territory, indicator, value, coalesce(unit, '') AS unit
FROM read_csv({file_list}, header = true, delim = ',', quote = '"', auto_detect = false,
    columns = {{'partner_id': 'VARCHAR', 'response_id': 'VARCHAR', 'period': 'VARCHAR',
               'territory': 'VARCHAR', 'indicator': 'VARCHAR', 'value': 'VARCHAR',
               'unit': 'VARCHAR'}})""")

    # 2. Check every row; reason is NULL for a valid one.
    step("check", f"""
CREATE TABLE checked AS
WITH r AS (
  SELECT raw.rowid AS seq, raw.*,
         CASE WHEN territory = 'FR' THEN 'FR'
              WHEN starts_with(territory, '97') THEN left(territory, 3)
              ELSE left(territory, 2) END AS departement,
         CASE WHEN regexp_full_match(value, '{NUMBER_RE}') THEN CAST(value AS DOUBLE) END AS num
  FROM raw
)
SELECT r.*, c.unit AS catalog_unit, num * u.factor AS norm,
  CASE
    WHEN partner_id IS NULL OR response_id IS NULL THEN 'missing_id'
    WHEN c.indicator IS NULL THEN 'unknown_indicator'
    WHEN num IS NULL THEN 'non_numeric_value'
    WHEN u.factor IS NULL THEN 'unknown_unit'
    WHEN c.is_int AND num <> floor(num) THEN 'not_integer'
    WHEN num * u.factor < c.lo THEN (CASE WHEN num < 0 THEN 'negative_value' ELSE 'out_of_range' END)
    WHEN num * u.factor > c.hi THEN 'out_of_range'
    WHEN NOT (territory = 'FR'
              OR (regexp_full_match(territory, '{COMMUNE_RE}')
                  AND regexp_full_match(departement, '{DEPARTEMENT_RE}') AND departement <> '20')
              OR (regexp_full_match(territory, '{DEPARTEMENT_RE}') AND territory <> '20'))
      THEN 'invalid_territory'
    WHEN NOT regexp_full_match(period, '{PERIOD_RE}') THEN 'invalid_period'
  END AS reason
FROM r
LEFT JOIN catalog c ON c.indicator = r.indicator
LEFT JOIN units u ON u.indicator = r.indicator AND u.unit = (CASE WHEN r.unit = '' THEN c.unit ELSE r.unit END)""")

    # 3. Last valid observation wins per (partner_id, response_id, indicator).
    step("dedupe", """
CREATE TABLE accepted AS
SELECT k.partner_id, k.response_id, k.period, k.territory, k.indicator, k.norm AS value,
       k.catalog_unit AS unit, CAST(left(k.period, 4) AS INTEGER) AS year, k.departement,
       g.region_code, g.region_name, k.file_no, k.seq
FROM (
  SELECT *, row_number() OVER (PARTITION BY partner_id, response_id, indicator
                               ORDER BY file_no DESC, seq DESC) AS rn
  FROM checked WHERE reason IS NULL
) k
LEFT JOIN regions g ON g.departement = k.departement
WHERE k.rn = 1""")

    step("write accepted", f"""
COPY (SELECT partner_id, response_id, period, territory, indicator, value, unit, year,
             departement, region_code FROM accepted ORDER BY seq)
TO {sql_literal(os.path.join(out_dir, 'accepted.csv'))} (HEADER, DELIMITER ',')""")

    step("write rejected", f"""
COPY (SELECT f.file, seq - first_seq + 2 AS line, reason, partner_id, response_id, period,
             territory, indicator, value, unit
      FROM checked
      JOIN (SELECT file_no, min(seq) AS first_seq FROM checked GROUP BY file_no) USING (file_no)
      JOIN files f USING (file_no)
      WHERE reason IS NOT NULL ORDER BY seq)
TO {sql_literal(os.path.join(out_dir, 'rejected.csv'))} (HEADER, DELIMITER ',')""")

    step("aggregate", f"""
COPY (
  SELECT CASE GROUPING(year, region_code, departement, partner_id)  -- bit set = rolled up
           WHEN 15 THEN 'indicator'
           WHEN 7 THEN 'indicator+year'
           WHEN 11 THEN 'indicator+region'
           WHEN 13 THEN 'indicator+departement'
           WHEN 14 THEN 'indicator+partner_id'
           WHEN 3 THEN 'indicator+year+region' END AS grouping,
         indicator, year, region_code, departement, partner_id,
         count(*) AS observations,
         count(DISTINCT partner_id || chr(31) || response_id) AS responses,
         count(DISTINCT partner_id) AS partners,
         sum(value) AS sum, avg(value) AS avg, min(value) AS min, max(value) AS max
  FROM accepted
  GROUP BY GROUPING SETS ((indicator), (indicator, year), (indicator, region_code),
                          (indicator, departement), (indicator, partner_id),
                          (indicator, year, region_code))
  ORDER BY grouping, indicator, year, region_code, departement, partner_id)
TO {sql_literal(os.path.join(out_dir, 'aggregates.csv'))} (HEADER, DELIMITER ',')""")

    counts = con.execute("""SELECT (SELECT count(*) FROM raw), (SELECT count(*) FROM accepted),
        (SELECT count(*) FROM checked WHERE reason IS NOT NULL)""").fetchone()
    print(f"duckdb_full: {counts[0]} rows read, {counts[1]} accepted, {counts[2]} rejected, "
          f"{counts[0] - counts[1] - counts[2]} superseded ({time.perf_counter() - t0:.2f} s)",
          file=sys.stderr)


if __name__ == "__main__":
    main()
