"""Micro-benchmarks the routing issue sets targets for, printed rather than asserted in tests.

    .venv/bin/python -m bench.micro [--repeats 40]

1. Travel matrix for 2,000 Jakarta points (target < 1 s).
2. Slot check: four windows against a 500+-stop plan (target p95 <= 100 ms).
Wall and CPU time are both printed: on a shared machine wall time also measures the neighbours.
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np

from routing import Job, JobKind, Location, Problem, SolveParams, Task, TimeWindow, Vehicle, check_slots, solve
from routing.problem import Matrix
from routing.travel import HaversineTravel


def matrix_2000(repeats: int) -> tuple[list[float], list[float]]:
    rng = np.random.default_rng(0)
    locs = [Location(str(i), -6.1 - rng.random() * 0.3, 106.7 + rng.random() * 0.3) for i in range(2000)]
    walls, cpus = [], []
    for _ in range(repeats):
        w, c = time.perf_counter(), time.process_time()
        HaversineTravel().matrix(locs)
        walls.append(time.perf_counter() - w)
        cpus.append(time.process_time() - c)
    return walls, cpus


def _plane(points: list[tuple[int, int]]) -> Matrix:
    p = np.asarray(points, dtype=float)
    d = np.rint(np.sqrt(((p[:, None, :] - p[None, :, :]) ** 2).sum(axis=2))).astype(np.int64)
    return Matrix(durations=d, distances=d.copy())


def slot_check_500(repeats: int) -> tuple[int, list[float], list[float]]:
    rng = np.random.default_rng(1)
    points = [(0, 0)] + [tuple(int(v) for v in rng.integers(-2500, 2500, 2)) for _ in range(300)]
    office = Task(0, (), 30)
    jobs = tuple(
        Job(f"j{i}", JobKind.PICKUP, Task(i, (TimeWindow(int(s), int(s) + 7200),), 300), office, (1,))
        for i, s in zip(range(1, 251), rng.integers(28800, 54000, 250), strict=True)
    )
    vehicles = tuple(Vehicle(f"c{k}", 0, 0, TimeWindow(28800, 64800), (8,)) for k in range(25))
    locations = tuple(Location(f"p{i}") for i in range(len(points)))
    problem = Problem(locations, vehicles, jobs, {"motorbike": _plane(points)})
    plan = solve(problem, SolveParams(time_limit_s=5.0))
    stops = sum(len(r.steps) for r in plan.routes)
    windows = [TimeWindow(a, a + 7200) for a in (28800, 36000, 43200, 50400)]
    walls, cpus = [], []
    for i in range(repeats):
        job = Job(f"n{i}", JobKind.PICKUP, Task(251 + (i % 49), (), 300), office, (1,))
        w, c = time.perf_counter(), time.process_time()
        check_slots(problem, plan, job, windows)
        walls.append(time.perf_counter() - w)
        cpus.append(time.process_time() - c)
    return stops, walls, cpus


def _fmt(values: list[float]) -> str:
    ms = np.asarray(values) * 1000
    return f"p50 {np.percentile(ms, 50):7.1f} ms  p95 {np.percentile(ms, 95):7.1f} ms  max {ms.max():7.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=40)
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")
    walls, cpus = matrix_2000(max(3, args.repeats // 8))
    print(f"matrix 2,000 points   wall {_fmt(walls)}   cpu {_fmt(cpus)}")
    stops, walls, cpus = slot_check_500(args.repeats)
    print(f"slot check, {stops}-stop plan, 4 windows   wall {_fmt(walls)}   cpu {_fmt(cpus)}")


if __name__ == "__main__":
    main()
