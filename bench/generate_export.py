#!/usr/bin/env python3
"""Deterministic generator of one partner export for the mapped-source benchmark.

    python3 bench/generate_export.py --observations 2000000 --out bench/data/export-2000000

Writes one French Excel-style CSV (Windows-1252, `;`, a title line above the header,
dd/MM/yyyy dates, decimal commas, postal codes, an Oui/Non column) that bench/export.yml
maps wide to long: four observations a row (N/4 rows). Standard library only.
"""
import argparse
import os
import random
import time

TOWNS = [("75020", "Paris"), ("13003", "Marseille"), ("59000", "Lille"), ("69001", "Lyon"),
         ("42000", "Saint-Étienne"), ("33000", "Bordeaux"), ("97400", "Saint-Denis"),
         ("20000", "Ajaccio"), ("44000", "Nantes"), ("67000", "Strasbourg")]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--observations", type=int, required=True, help="total observations N (4 a row)")
    ap.add_argument("--out", required=True, help="output directory")
    ap.add_argument("--seed", type=int, default=20240601)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    rng = random.Random(args.seed)
    start = time.perf_counter()
    rows = max(1, args.observations // 4)
    path = os.path.join(args.out, "ateliers-export.csv")
    dates = [f"{d:02d}/{m:02d}/{y}" for y in (2023, 2024, 2025) for m in range(1, 13) for d in range(1, 29)]
    with open(path, "wb") as f:
        f.write("Export ateliers - généré le 03/04/2025;;;;;;;;\r\n".encode("cp1252"))
        f.write("Structure;N° atelier;Date de l'atelier;Code postal;Ville;Nb participants;"
                "Durée (min);Satisfaction;Autonomie acquise\r\n".encode("cp1252"))
        chunk = []
        for i in range(rows):
            postal, town = TOWNS[rng.randrange(len(TOWNS))]
            chunk.append(f"structure-{rng.randrange(200)};AT-{i};{dates[rng.randrange(len(dates))]};{postal};"
                         f"{town};{rng.randrange(1, 30)};{rng.randrange(15, 240)};{rng.randrange(1, 5)},"
                         f"{rng.randrange(10)};{'Oui' if rng.random() < 0.6 else 'Non'}\r\n")
            if len(chunk) == 10000:
                f.write("".join(chunk).encode("cp1252"))
                chunk = []
        f.write("".join(chunk).encode("cp1252"))
    secs = time.perf_counter() - start
    print(f"wrote {rows} rows ({rows * 4} observations), {os.path.getsize(path)} bytes to {path} ({secs:.1f} s)")


if __name__ == "__main__":
    main()
