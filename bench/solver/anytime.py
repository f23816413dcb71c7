"""``python -m bench.solver.anytime A.csv B.csv ...``: when ours first reaches VROOM's final travel.

The issue's anytime target: ours reaches VROOM's final travel in less than VROOM's own wall time. Our solver
keeps no log of its best plan over time (OR-Tools, PyVRP and our ILS each keep their own), so the curve is
sampled instead: the same days solved with several time limits (``ajib bench --set ajib-days --time-limit T
--peer-cache DIR`` reuses VROOM's answer, which no limit changes). For each day, the smallest limit at which
ours serves as many as VROOM with no more travel, beside VROOM's wall time; "reached within VROOM's time"
when that limit is below it. A coarse grid can only say "by T", never "at T".
"""

from __future__ import annotations

import csv
import sys
from collections import defaultdict
from pathlib import Path


def main(paths: list[str]) -> int:
    ours: dict[tuple[str, str], dict[float, tuple[int, float]]] = defaultdict(dict)
    vroom: dict[tuple[str, str], tuple[int, float, float]] = {}
    for path in paths:
        with Path(path).open(newline="") as f:
            for row in csv.DictReader(f):
                if row["verified"] != "True" or not row["served"]:
                    continue
                key = (row["day"], row["variant"])
                if row["solver"] == "ajib":
                    ours[key][float(row["time_limit_s"])] = (int(row["served"]), float(row["travel_s"]))
                elif row["solver"] == "vroom":
                    vroom[key] = (int(row["served"]), float(row["travel_s"]), float(row["wall_s"]))
    limits = sorted({t for runs in ours.values() for t in runs})
    print("| day | variant | VROOM served / travel (wall s) | " + " | ".join(f"ours at {t:g} s" for t in limits)
          + " | ours reaches VROOM by | within VROOM's wall time |")  # fmt: skip
    print("|---|---|---|" + "---|" * len(limits) + "---|---|")
    within = total = 0
    for key in sorted(vroom, key=lambda k: (k[1], int(k[0].rsplit("s", 1)[1]))):
        if key not in ours:
            continue
        served, travel, wall = vroom[key]
        cells, reached = [], None
        for t in limits:
            got = ours[key].get(t)
            cells.append(f"{got[0]} / {got[1]:,.0f}" if got else "–")
            if got and reached is None and (got[0] > served or (got[0] == served and got[1] <= travel)):
                reached = t
        total += 1
        ok = reached is not None and reached < wall
        within += ok
        by = f"{reached:g} s" if reached is not None else "not within the limits run"
        print(f"| {key[0]} | {key[1]} | {served} / {travel:,.0f} ({wall:.1f}) | " + " | ".join(cells)
              + f" | {by} | {'yes' if ok else 'no'} |")  # fmt: skip
    print(f"\nreached VROOM's final travel within VROOM's wall time on {within} of {total} days")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
