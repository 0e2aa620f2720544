#!/usr/bin/env python3
"""Deterministic generator of canonical `impact` input for the benchmarks.

    python3 bench/generate.py --observations 2000000 --format csv --files 4 --out bench/data/csv-2000000

Writes K files (part-01.csv ... or part-01.xml ...) holding exactly N observations in total.
The same --seed gives the same observations in CSV and in XML (only the encoding differs).

Data shape: ~200 partners, responses of 3-6 observations, periods YYYY / YYYY-Qn / YYYY-MM /
YYYY-MM-DD (2021-2025), territories mostly real INSEE commune codes, some départements, a few FR;
values use the catalog unit, an alias (t_co2e, t, min) or no unit. About 2% of rows are invalid
(unknown indicator, non-numeric, negative, out of range, non-integer, bad territory, bad period)
and about 3% are resubmissions of an earlier (partner_id, response_id, indicator) with a new
value, often in a later file. Resubmissions only re-send observations that were valid.
Standard library only; rows are built from precomputed strings and written in ~1 MiB chunks.
"""
import argparse
import datetime
import math
import os
import random
import sys
import time

# (id, catalog unit, integer?, alias unit or None, alias factor to catalog unit, value recipe)
# Recipes: ("int", mu, sigma, cap)  lognormal integer;  ("dec", mu, sigma, decimals)  lognormal;
#          ("uni", lo, hi, decimals)  uniform in [lo, hi].
INDICATORS = [
    ("social.beneficiaries", "person", True, None, 1, ("int", 3.5, 1.2, 50000)),
    ("social.volunteers", "person", True, None, 1, ("int", 2.0, 1.0, 2000)),
    ("social.volunteer_hours", "hour", False, None, 1, ("dec", 4.5, 1.2, 1)),
    ("social.jobs_created", "fte", False, None, 1, ("dec", 1.0, 1.0, 2)),
    ("social.microcredits_granted", "loan", True, None, 1, ("int", 2.0, 0.8, 1000)),
    ("social.microcredit_amount", "EUR", False, None, 1, ("dec", 9.0, 1.0, 2)),
    ("social.satisfaction", "score", False, None, 1, ("uni", 1.0, 5.0, 1)),
    ("environmental.co2_avoided", "kg_co2e", False, "t_co2e", 1000, ("dec", 7.0, 1.5, 1)),
    ("environmental.waste_diverted", "kg", False, "t", 1000, ("dec", 7.0, 1.5, 1)),
    ("environmental.devices_refurbished", "device", True, None, 1, ("int", 3.0, 1.0, 20000)),
    ("environmental.km_avoided", "km", False, None, 1, ("dec", 6.0, 1.3, 1)),
    ("digital_inclusion.people_trained", "person", True, None, 1, ("int", 3.0, 1.0, 20000)),
    ("digital_inclusion.mediation_sessions", "session", True, None, 1, ("int", 3.2, 1.0, 20000)),
    ("digital_inclusion.mediation_hours", "hour", False, "min", 1 / 60, ("dec", 4.0, 1.0, 1)),
    ("digital_inclusion.advisors", "person", True, None, 1, ("int", 1.0, 0.7, 20)),
    ("digital_inclusion.autonomy_gain", "ratio", False, None, 1, ("uni", 0.0, 1.0, 2)),
    ("territorial.places_opened", "site", True, None, 1, ("int", 0.3, 0.6, 5)),
    ("territorial.partnerships", "partnership", True, None, 1, ("int", 1.5, 0.8, 200)),
    ("demographic.seniors_supported", "person", True, None, 1, ("int", 3.0, 1.1, 20000)),
    ("demographic.young_people_supported", "person", True, None, 1, ("int", 3.0, 1.1, 20000)),
]

# Real INSEE commune codes (a sample spread over every département, plus big cities).
COMMUNES = (
    "01001 01056 01111 01174 01237 01295 01354 01407 02008 02060 02111 02164 02215 02266 02320 02374 "
    "02425 02480 02530 02580 02634 02686 02739 02790 03008 03058 03108 03160 03211 03261 03311 04051 "
    "04116 04175 04235 05052 05107 05164 06031 06081 06088 06131 07019 07073 07123 07176 07227 07281 "
    "07332 08037 08096 08153 08206 08268 08323 08377 08429 08485 09037 09087 09139 09190 09241 09295 "
    "10008 10060 10111 10162 10212 10263 10316 10367 10421 11026 11077 11128 11179 11229 11280 11332 "
    "11383 11434 12047 12099 12155 12207 12259 13008 13055 13059 13109 14034 14100 14174 14244 14310 "
    "14380 14458 14534 14613 14689 14760 15053 15107 15162 15218 16001 16059 16112 16168 16224 16284 "
    "16351 16406 17037 17089 17142 17196 17247 17299 17349 17405 17457 18022 18072 18122 18173 18224 "
    "18275 19036 19086 19137 19189 19242 21005 21056 21107 21157 21210 21261 21311 21362 21412 21464 "
    "21518 21569 21619 21673 22008 22064 22121 22180 22233 22287 22345 23009 23059 23111 23167 23217 "
    "24004 24061 24121 24179 24240 24297 24355 24414 24474 24528 24585 25054 25110 25173 25225 25278 "
    "25333 25388 25444 25496 25550 25609 26025 26078 26130 26183 26236 26290 26341 27012 27068 27127 "
    "27189 27247 27317 27373 27427 27483 27547 27611 27674 28030 28087 28147 28206 28264 28322 28379 "
    "29012 29064 29117 29176 29232 29286 2A004 2A090 2A249 2B016 2B033 2B102 2B178 2B246 2B327 30024 "
    "30075 30127 30178 30229 30279 30329 31024 31074 31124 31175 31226 31277 31329 31379 31429 31480 "
    "31530 31555 31580 32039 32090 32141 32193 32243 32294 32344 32394 32444 33026 33063 33077 33131 "
    "33181 33232 33284 33336 33390 33442 33494 33546 34041 34091 34141 34172 34191 34241 34292 34343 "
    "35055 35109 35163 35216 35238 35268 35325 36016 36067 36118 36169 36222 37026 37076 37128 37180 "
    "37233 38003 38060 38113 38174 38230 38285 38341 38394 38448 38504 38558 39047 39106 39166 39222 "
    "39282 39339 39401 39461 39520 39583 40051 40101 40152 40202 40253 40304 41025 41079 41134 41189 "
    "41245 42003 42055 42108 42161 42212 42266 42319 43030 43080 43131 43185 43237 44027 44082 44109 "
    "44133 44188 45018 45070 45124 45178 45232 45284 45339 46044 46098 46152 46204 46255 46314 47028 "
    "47078 47129 47182 47232 47286 48010 48075 48140 49011 49114 49236 49344 50044 50117 50193 50265 "
    "50341 50411 50481 50548 50616 51038 51090 51144 51197 51250 51304 51359 51418 51471 51523 51578 "
    "51631 52025 52092 52156 52217 52285 52352 52415 52482 52545 53053 53109 53162 53221 54003 54053 "
    "54103 54153 54203 54253 54304 54358 54410 54462 54514 54564 55014 55070 55128 55189 55254 55313 "
    "55369 55426 55484 55543 56013 56068 56119 56172 56226 57014 57065 57118 57172 57225 57276 57329 "
    "57382 57437 57489 57542 57593 57645 57697 57753 58039 58089 58141 58192 58242 58292 59031 59082 "
    "59133 59184 59234 59287 59338 59350 59393 59445 59496 59548 59599 59651 60032 60084 60135 60185 "
    "60236 60288 60339 60391 60443 60497 60548 60599 60652 61002 61069 61133 61206 61271 61339 61402 "
    "61466 62017 62067 62119 62171 62222 62273 62326 62376 62429 62480 62531 62582 62632 62682 62734 "
    "62784 62835 62886 63028 63080 63131 63182 63233 63284 63335 63386 63436 64013 64066 64117 64170 "
    "64220 64271 64322 64373 64425 64475 64526 65018 65070 65120 65172 65223 65275 65327 65378 65428 "
    "65479 66049 66100 66153 66205 67026 67079 67130 67185 67240 67295 67350 67407 67461 67482 67514 "
    "68009 68063 68115 68167 68218 68271 68325 68378 69046 69099 69123 69159 69214 69275 70017 70070 "
    "70124 70178 70232 70287 70339 70399 70451 70506 70560 71028 71081 71133 71185 71237 71290 71342 "
    "71393 71446 71498 71550 72013 72068 72126 72179 72232 72289 72342 73011 73072 73133 73197 73255 "
    "73313 74042 74096 74153 74208 74267 75056 75107 76041 76099 76154 76205 76259 76313 76365 76416 "
    "76468 76519 76571 76623 76680 76737 77031 77083 77135 77190 77241 77291 77344 77398 77450 77506 "
    "78062 78196 78324 78440 78571 79016 79091 79152 79223 79298 80008 80059 80113 80163 80216 80269 "
    "80324 80376 80431 80488 80544 80599 80655 80707 80765 80820 81035 81086 81139 81191 81244 81295 "
    "82021 82071 82121 82171 83027 83077 83127 84023 84073 84123 85023 85088 85142 85201 85265 86014 "
    "86073 86124 86178 86239 86298 87050 87103 87154 88003 88055 88107 88158 88212 88265 88316 88370 "
    "88428 88478 88528 89049 89108 89167 89223 89280 89337 89397 89453 90023 90076 91086 91240 91457 "
    "91630 92063 94002 95014 95197 95371 95574 97105 97121 97209 97302 97305 97411 97609 97611 "
).split()
BIG_CITIES = ["75056", "69123", "13055", "31555", "33063", "59350", "67482", "44109", "06088",
              "34172", "35238", "2A004", "97105", "97411"]
DEPARTEMENTS = ([f"{d:02d}" for d in range(1, 96) if d != 20] + ["2A", "2B"]
                + ["971", "972", "973", "974", "976"])

NAMED_PARTNERS = [
    "emmaus-connect", "restos-sud", "crea-sol", "tiers-lieux-occitanie", "federation-sud",
    "croix-rouge-idf", "secours-populaire-69", "adie-bretagne", "simplon-co", "ressourcerie-33",
    "envie-hauts-de-france", "habitat-humanisme-38", "wimoov", "france-benevolat-44",
    "les-petits-freres-13", "unis-cite-974", "konexio", "la-cravate-solidaire", "reseau-cocagne",
    "zero-waste-bordeaux",
]
PARTNERS = NAMED_PARTNERS + [f"partner-{i:03d}" for i in range(len(NAMED_PARTNERS) + 1, 201)]

UNKNOWN_INDICATORS = ["social.benificiaries", "environmental.co2", "digital.people_trained",
                      "social.volunteer-hours", "territorial.place_opened", "social.jobs"]
NON_NUMERIC = ["n/a", "abc", "1.2.3", "12a", "x", "?"]
BAD_TERRITORIES = ["99999", "96123", "00123", "2C001", "7505", "123456", "ABCDE"]
BAD_PERIODS = ["2023-13", "2023-Q5", "2023-00", "2023-Q0", "23-Q1", "2023/03", "2023-1"]

RESUBMIT_P = 0.085     # chance that a response slot re-sends earlier observations (~3% of rows)
ROW_BAD_P = 0.012      # chance that one observation is invalid (~1.2% of rows)
RESPONSE_BAD_P = 0.008   # chance that a whole response has a bad territory/period (~0.8%)


def fmt(x, decimals):
    return str(int(round(x))) if decimals == 0 else f"{x:.{decimals}f}"


def value_pools(rng, size=1024):
    """Per indicator: (catalog-unit value strings, alias-unit value strings or None)."""
    pools = []
    for _id, _unit, integer, alias, factor, recipe in INDICATORS:
        base = []
        for _ in range(size):
            kind = recipe[0]
            if kind == "int":
                base.append(min(recipe[3], int(rng.lognormvariate(recipe[1], recipe[2]))))
            elif kind == "dec":
                v = round(rng.lognormvariate(recipe[1], recipe[2]), recipe[3])
                base.append(round(v) if rng.random() < 0.3 else v)  # some whole numbers
            else:
                base.append(round(rng.uniform(recipe[1], recipe[2]), recipe[3]))
        decimals = 0 if integer else (recipe[3] if recipe[0] != "int" else 0)
        strings = [fmt(v, decimals if isinstance(v, float) else 0) for v in base]
        alias_strings = None
        if alias == "min":  # hours -> whole minutes
            alias_strings = [str(int(round(v * 60))) for v in base]
        elif alias:  # kg -> tonnes, 3 decimals
            alias_strings = [f"{v / factor:.3f}" for v in base]
        pools.append((strings, alias_strings))
    return pools


def periods():
    years = [str(y) for y in range(2021, 2026)]
    quarters = [f"{y}-Q{q}" for y in years for q in range(1, 5)]
    months = [f"{y}-{m:02d}" for y in years for m in range(1, 13)]
    d, end, days = datetime.date(2021, 1, 1), datetime.date(2025, 12, 31), []
    while d <= end:
        days.append(d.isoformat())
        d += datetime.timedelta(days=1)
    return years, quarters, months, days


def observations(n, seed):
    """Yields ("submission", partner) and ("response", id, period, territory, rows) events.

    rows is a list of (indicator, value, unit) strings; exactly n rows are yielded in total.
    """
    rng = random.Random(seed)
    rnd, bits = rng.random, rng.getrandbits
    pools = value_pools(random.Random(seed * 7919 + 1))
    years, quarters, months, days = periods()

    # Partner activity is skewed (a few big federations); each reports a theme of indicators.
    weights = [1 / (i + 1) ** 0.8 for i in range(len(PARTNERS))]
    rng.shuffle(weights)
    total = sum(weights)
    partner_table, acc = [], 0.0
    for p, w in enumerate(weights):
        acc += w
        partner_table.extend([p] * (round(acc / total * 4096) - len(partner_table)))
    partner_table.extend([len(PARTNERS) - 1] * (4096 - len(partner_table)))
    themes = [rng.sample(range(len(INDICATORS)), rng.randint(6, 10)) for _ in PARTNERS]
    prefixes = ["".join(w[0] for w in p.split("-")) if not p.startswith("partner-")
                else "p" + p[-3:] for p in PARTNERS]
    counters = [0] * len(PARTNERS)
    history = [[] for _ in PARTNERS]  # valid responses: (id, period, territory, [indicators])

    units = [(u, a if a else u) for _i, u, _n, a, _f, _r in INDICATORS]
    ids = [ind[0] for ind in INDICATORS]

    def value_row(i):
        strings, alias_strings = pools[i]
        r = rnd()
        if r < 0.55:
            return (ids[i], strings[bits(10)], "")
        if r < 0.95 or alias_strings is None:
            return (ids[i], strings[bits(10)], units[i][0])
        return (ids[i], alias_strings[bits(10)], units[i][1])

    def bad_row(i):
        r = rnd()
        unit = units[i][0] if rnd() < 0.5 else ""
        if r < 0.25:
            return (UNKNOWN_INDICATORS[bits(10) % len(UNKNOWN_INDICATORS)], pools[i][0][bits(10)], "")
        if r < 0.5:
            return (ids[i], NON_NUMERIC[bits(10) % len(NON_NUMERIC)], unit)
        if r < 0.8 or not (INDICATORS[i][2] or i in (6, 15)):
            return (ids[i], f"-{1 + bits(8)}", unit)
        if i == 6:  # satisfaction 1..5
            return (ids[i], "7" if rnd() < 0.5 else "0", unit)
        if i == 15:  # autonomy_gain 0..1
            return (ids[i], "1.35", unit)
        return (ids[i], f"{bits(6)}.5", unit)  # non-integer for an integer indicator

    emitted = 0
    while emitted < n:
        p = partner_table[bits(12)]
        yield ("submission", PARTNERS[p])
        for _ in range(1 + int(rnd() * rnd() * 40)):
            if emitted >= n:
                break
            past = history[p]
            if past and rnd() < RESUBMIT_P:
                rid, period, territory, inds = past[int(rnd() * len(past))]
                chosen = inds if len(inds) == 1 else rng.sample(inds, 1 if rnd() < 0.5 else 2)
                rows = [value_row(i) for i in chosen]
            else:
                counters[p] += 1
                rid = f"{prefixes[p]}-{counters[p]:06d}"
                r = rnd()
                period = (years[bits(10) % 5] if r < 0.15 else quarters[bits(10) % 20] if r < 0.55
                          else months[bits(10) % 60] if r < 0.9 else days[int(rnd() * len(days))])
                r = rnd()
                territory = (BIG_CITIES[bits(10) % len(BIG_CITIES)] if r < 0.2
                             else COMMUNES[int(rnd() * len(COMMUNES))] if r < 0.85
                             else DEPARTEMENTS[int(rnd() * len(DEPARTEMENTS))] if r < 0.97
                             else "FR")
                valid = True
                r = rnd()
                if r < RESPONSE_BAD_P / 2:
                    territory, valid = BAD_TERRITORIES[bits(10) % len(BAD_TERRITORIES)], False
                elif r < RESPONSE_BAD_P:
                    period, valid = BAD_PERIODS[bits(10) % len(BAD_PERIODS)], False
                inds = rng.sample(themes[p], 3 + bits(2))
                rows, good = [], []
                for i in inds:
                    if rnd() < ROW_BAD_P:
                        rows.append(bad_row(i))
                    else:
                        rows.append(value_row(i))
                        good.append(i)
                if valid and good:
                    past.append((rid, period, territory, good))
            if emitted + len(rows) > n:
                rows = rows[: n - emitted]
            emitted += len(rows)
            yield ("response", rid, period, territory, rows)


class Writer:
    """Splits the event stream over K files at response boundaries, ~N/K rows each."""

    def __init__(self, out, fmt_name, n, k):
        self.out, self.ext, self.n, self.k = out, fmt_name, n, k
        self.index, self.rows, self.bytes, self.f, self.buf, self.size = 0, 0, 0, None, [], 0
        self.paths = []

    def open_next(self):
        self.close()
        self.index += 1
        path = os.path.join(self.out, f"part-{self.index:02d}.{self.ext}")
        self.paths.append(path)
        self.f = open(path, "wb", buffering=0)
        self.write(self.header())

    def write(self, s):
        self.buf.append(s)
        self.size += len(s)
        if self.size > 1 << 20:
            self.flush()

    def flush(self):
        data = "".join(self.buf).encode("utf-8")
        self.f.write(data)
        self.bytes += len(data)
        self.buf, self.size = [], 0

    def close(self):
        if self.f:
            self.write(self.footer())
            self.flush()
            self.f.close()
            self.f = None

    def due(self):  # time to start the next file?
        return self.index < self.k and self.rows >= self.n * self.index / self.k


class CsvWriter(Writer):
    def header(self):
        return "partner_id,response_id,period,territory,indicator,value,unit\n"

    def footer(self):
        return ""

    def run(self, events):
        self.open_next()
        w = self.write
        for ev in events:
            if ev[0] == "submission":
                partner = ev[1]
                continue
            if self.due():
                self.open_next()
                w = self.write
            _, rid, period, territory, rows = ev
            prefix = f"{partner},{rid},{period},{territory},"
            w("".join([f"{prefix}{ind},{val},{unit}\n" for ind, val, unit in rows]))
            self.rows += len(rows)
        self.close()


class XmlWriter(Writer):
    def header(self):
        return '<?xml version="1.0" encoding="UTF-8"?>\n<submissions>\n'

    def footer(self):
        return (self.close_sub if self.partner else "") + "</submissions>\n"

    close_sub = "  </submission>\n"

    def run(self, events):
        self.partner = None
        self.open_next()
        w = self.write
        for ev in events:
            if ev[0] == "submission":
                if self.partner:
                    w(self.close_sub)
                self.partner = ev[1]
                w(f'  <submission partner="{self.partner}">\n')
                continue
            if self.due():
                self.open_next()  # footer closes the submission; reopen it in the new file
                w = self.write
                w(f'  <submission partner="{self.partner}">\n')
            _, rid, period, territory, rows = ev
            parts = [f'    <response id="{rid}" period="{period}" territory="{territory}">\n']
            for ind, val, unit in rows:
                if unit:
                    parts.append(f'      <value indicator="{ind}" unit="{unit}">{val}</value>\n')
                else:
                    parts.append(f'      <value indicator="{ind}">{val}</value>\n')
            parts.append("    </response>\n")
            w("".join(parts))
            self.rows += len(rows)
        self.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--observations", type=int, required=True, help="total rows N")
    ap.add_argument("--format", choices=["csv", "xml"], required=True)
    ap.add_argument("--files", type=int, default=4, help="number of files K (default 4)")
    ap.add_argument("--out", required=True, help="output directory")
    ap.add_argument("--seed", type=int, default=20240601)
    args = ap.parse_args()
    if args.observations < 1 or args.files < 1:
        ap.error("--observations and --files must be >= 1")
    os.makedirs(args.out, exist_ok=True)
    start = time.perf_counter()
    writer = (CsvWriter if args.format == "csv" else XmlWriter)(
        args.out, args.format, args.observations, args.files)
    writer.run(observations(args.observations, args.seed))
    secs = time.perf_counter() - start
    print(f"wrote {writer.rows} rows, {writer.bytes} bytes in {len(writer.paths)} "
          f"{args.format} files to {args.out} ({secs:.1f} s, {writer.rows / secs:,.0f} rows/s)")


if __name__ == "__main__":
    main()
