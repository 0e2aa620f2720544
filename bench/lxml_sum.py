#!/usr/bin/env python3
"""Anchor: streaming XML parse with lxml, summing values by indicator.

    bench/.venv/bin/python bench/lxml_sum.py INPUT_DIR

iterparse over INPUT_DIR/*.xml (sorted), `end` events of <value>, <response> and <submission>
only; each <value> adds float(text) to its indicator's sum (non-numeric text is counted and
skipped); each finished <response> or <submission> is cleared and its earlier siblings removed
from the parent, so memory stays flat however large the files are.
No catalog checks, no de-duplication. Prints the sums to stdout.
"""
import glob
import os
import sys
import time

from lxml import etree


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    files = sorted(glob.glob(os.path.join(sys.argv[1], "*.xml")))
    if not files:
        sys.exit(f"no .xml files in {sys.argv[1]}")
    start = time.perf_counter()
    sums, values, skipped = {}, 0, 0
    for path in files:
        for _event, elem in etree.iterparse(path, events=("end",),
                                            tag=("value", "response", "submission")):
            if elem.tag == "value":
                indicator = elem.get("indicator")
                try:
                    v = float(elem.text)
                except (TypeError, ValueError):
                    skipped += 1
                    continue
                sums[indicator] = sums.get(indicator, 0.0) + v
                values += 1
            else:
                elem.clear(keep_tail=False)
                parent = elem.getparent()
                while elem.getprevious() is not None:
                    del parent[0]
    for indicator in sorted(sums):
        print(f"{indicator}\t{sums[indicator]}")
    print(f"lxml_sum: {values} values summed, {skipped} non-numeric skipped "
          f"({time.perf_counter() - start:.2f} s)", file=sys.stderr)


if __name__ == "__main__":
    main()
