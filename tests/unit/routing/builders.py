"""Small routing problems for the unit tests, built in code or read from tests/data/routing/*.json.

Points lie on a plane in metres and a courier rides 1 m/s, so a matrix entry is both the
seconds and the metres between two points (rounded); tests can reason with plain numbers.

JSON instance format (``load``)::

    {"points": [[x, y], ...],                       # location 0.. in metres
     "vehicles": [{"id", "start", "end", "shift": [a, b], "capacity": [..],
                   "breaks": [{"id", "windows": [[a, b], ...], "duration"}], "skills": [..],
                   "speed_factor", "max_tasks", "max_travel_time", "fixed_cost"}],
     "jobs": [{"id", "kind", "pickup": {"location", "windows": [[a, b]], "service"} | null,
               "delivery": {...} | null, "amount": [..], "skills": [..], "priority", "vehicle"}]}
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from routing.problem import Break, Job, JobKind, Location, Matrix, Problem, Task, TimeWindow, Vehicle

DATA = Path(__file__).resolve().parents[2] / "data" / "routing"
PROFILE = "motorbike"


def plane_matrix(points: list[tuple[float, float]]) -> Matrix:
    """Euclidean metres rounded, used as seconds too (1 m/s)."""
    p = np.asarray(points, dtype=float).reshape(-1, 2)
    d = np.rint(np.sqrt(((p[:, None, :] - p[None, :, :]) ** 2).sum(axis=2))).astype(np.int64)
    return Matrix(durations=d, distances=d.copy())


def problem(points: list[tuple[float, float]], vehicles: list[Vehicle], jobs: list[Job]) -> Problem:
    locs = tuple(Location(f"p{i}") for i in range(len(points)))
    return Problem(locs, tuple(vehicles), tuple(jobs), {PROFILE: plane_matrix(points)})


def vehicle(vid: str = "v1", start: int = 0, end: int | None = 0, shift=(0, 100_000), capacity=(10,), **kw) -> Vehicle:
    return Vehicle(vid, start, end, TimeWindow(*shift), tuple(capacity), **kw)


def task(location: int, *windows: tuple[int, int], service: int = 0) -> Task:
    return Task(location, tuple(TimeWindow(a, b) for a, b in windows), service)


def pickup(jid: str, home: Task, office: Task, amount=(1,), **kw) -> Job:
    """Documents collected at home and brought to an office."""
    return Job(jid, JobKind.PICKUP, home, office, tuple(amount), **kw)


def delivery(jid: str, office: Task, home: Task, amount=(1,), **kw) -> Job:
    """A permit loaded at an office and brought home."""
    return Job(jid, JobKind.DELIVERY, office, home, tuple(amount), **kw)


def single(jid: str, home: Task, amount=(1,), **kw) -> Job:
    """A VROOM single-location delivery job (loaded at the vehicle's start)."""
    return Job(jid, JobKind.DELIVERY, None, home, tuple(amount), **kw)


def _tws(raw: list[list[int]] | None) -> tuple[TimeWindow, ...]:
    return tuple(TimeWindow(a, b) for a, b in raw or ())


def _task(raw: dict[str, Any] | None) -> Task | None:
    if raw is None:
        return None
    return Task(raw["location"], _tws(raw.get("windows")), raw.get("service", 0))


def load(name: str) -> Problem:
    """Read the named instance ``tests/data/routing/<name>.json``."""
    doc = json.loads((DATA / f"{name}.json").read_text())
    vehicles = [
        Vehicle(
            v["id"],
            v["start"],
            v.get("end"),
            TimeWindow(*v["shift"]),
            tuple(v["capacity"]),
            breaks=tuple(Break(b["id"], _tws(b["windows"]), b["duration"]) for b in v.get("breaks", ())),
            skills=frozenset(v.get("skills", ())),
            speed_factor=v.get("speed_factor", 1.0),
            max_tasks=v.get("max_tasks"),
            max_travel_time=v.get("max_travel_time"),
            fixed_cost=v.get("fixed_cost", 0),
        )
        for v in doc["vehicles"]
    ]
    jobs = [
        Job(
            j["id"],
            JobKind(j["kind"]),
            _task(j.get("pickup")),
            _task(j.get("delivery")),
            tuple(j["amount"]),
            skills=frozenset(j.get("skills", ())),
            priority=j.get("priority", 0),
            vehicle=j.get("vehicle"),
        )
        for j in doc["jobs"]
    ]
    return problem([tuple(p) for p in doc["points"]], vehicles, jobs)
