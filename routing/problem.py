"""The solver's input model: plain frozen dataclasses, validated at construction.

Times are integer seconds from the problem's own origin (the dispatch layer uses
midnight Asia/Jakarta of the service day); durations in seconds, distances in metres.
Locations are indices into ``Problem.locations``. Malformed input raises
``ProblemError`` here, at construction, so the solver never sees it (STYLE point 3).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np

__all__ = [
    "Break",
    "Job",
    "JobKind",
    "Location",
    "Matrix",
    "Problem",
    "ProblemError",
    "Task",
    "TimeWindow",
    "Vehicle",
]


class ProblemError(ValueError):
    """Raised for malformed input; the message says what and where."""


@dataclass(frozen=True, slots=True)
class TimeWindow:
    """A closed interval ``[start, end]`` in seconds from the problem origin."""

    start: int
    end: int

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ProblemError(f"time window end {self.end} is before start {self.start}")

    def contains(self, t: int) -> bool:
        return self.start <= t <= self.end


@dataclass(frozen=True, slots=True)
class Location:
    """A place; coordinates are optional when explicit matrices are given."""

    id: str
    lat: float | None = None
    lon: float | None = None


@dataclass(frozen=True, slots=True)
class Break:
    """A rest the courier must take inside one of ``windows`` (lunch, Friday prayer)."""

    id: str
    windows: tuple[TimeWindow, ...]
    duration: int

    def __post_init__(self) -> None:
        if not self.windows:
            raise ProblemError(f"break {self.id!r}: at least one time window is required")
        if self.duration < 0:
            raise ProblemError(f"break {self.id!r}: negative duration {self.duration}")


@dataclass(frozen=True, slots=True)
class Vehicle:
    """A courier on a motorbike for one shift.

    ``end`` is ``None`` for an open route (the courier goes home from the last stop).
    ``capacity`` has one entry per load dimension (documents, box volume, ...), the same
    length as every job's ``amount``.
    """

    id: str
    start: int
    end: int | None
    shift: TimeWindow
    capacity: tuple[int, ...]
    breaks: tuple[Break, ...] = ()
    skills: frozenset[str] = frozenset()
    speed_factor: float = 1.0
    max_tasks: int | None = None
    max_travel_time: int | None = None
    fixed_cost: int = 0
    profile: str = "motorbike"

    def __post_init__(self) -> None:
        if any(c < 0 for c in self.capacity):
            raise ProblemError(f"vehicle {self.id!r}: negative capacity {self.capacity}")
        if self.speed_factor <= 0:
            raise ProblemError(f"vehicle {self.id!r}: speed_factor must be > 0")
        if self.max_tasks is not None and self.max_tasks < 0:
            raise ProblemError(f"vehicle {self.id!r}: negative max_tasks")


class JobKind(StrEnum):
    """What a job moves where.

    PICKUP: documents collected at a home and brought to an office (``delivery`` is the office).
    DELIVERY: an issued permit loaded at an office and brought to a home (``pickup`` is the office).
    SHIPMENT: collected at one place and delivered at another (both ends explicit).
    A VROOM single-location job is a PICKUP whose ``delivery`` is ``None`` (carried to the
    vehicle's end) or a DELIVERY whose ``pickup`` is ``None`` (loaded at the vehicle's start).
    """

    PICKUP = "pickup"
    DELIVERY = "delivery"
    SHIPMENT = "shipment"


@dataclass(frozen=True, slots=True)
class Task:
    """One end of a job: where, when and for how long."""

    location: int
    time_windows: tuple[TimeWindow, ...] = ()
    service: int = 0


@dataclass(frozen=True, slots=True)
class Job:
    """A bundle of documents to move.

    ``pickup``/``delivery`` are the two ends; one of them may be ``None`` only for VROOM
    single-location jobs (see ``JobKind``). Offices appear as explicit task locations,
    so a courier may visit an office several times a day (multi-trip).
    ``priority`` (0-100, VROOM's scale) weighs the penalty for leaving the job unserved.
    ``vehicle`` locks the job to one courier.
    """

    id: str
    kind: JobKind
    pickup: Task | None
    delivery: Task | None
    amount: tuple[int, ...]
    skills: frozenset[str] = frozenset()
    priority: int = 0
    vehicle: str | None = None

    def __post_init__(self) -> None:
        if self.pickup is None and self.delivery is None:
            raise ProblemError(f"job {self.id!r}: needs a pickup or a delivery task")
        if self.kind is JobKind.SHIPMENT and (self.pickup is None or self.delivery is None):
            raise ProblemError(f"job {self.id!r}: a shipment needs both pickup and delivery")
        if any(a < 0 for a in self.amount):
            raise ProblemError(f"job {self.id!r}: negative amount {self.amount}")
        if not 0 <= self.priority <= 100:
            raise ProblemError(f"job {self.id!r}: priority {self.priority} not in 0..100")


@dataclass(frozen=True)
class Matrix:
    """Travel matrices for one profile: integer seconds and metres, square."""

    durations: np.ndarray
    distances: np.ndarray

    def __post_init__(self) -> None:
        d, m = self.durations, self.distances
        if d.ndim != 2 or d.shape[0] != d.shape[1]:
            raise ProblemError(f"durations matrix must be square, got shape {d.shape}")
        if m.shape != d.shape:
            raise ProblemError(f"distances shape {m.shape} differs from durations {d.shape}")
        if (d < 0).any() or (m < 0).any():
            raise ProblemError("matrices must not contain negative values")


@dataclass(frozen=True)
class Problem:
    """Everything one solve needs.

    ``matrices`` maps a vehicle profile to its travel matrix over ``locations``.
    Fixed route prefixes for re-planning are passed to ``replan``, not stored here.
    """

    locations: tuple[Location, ...]
    vehicles: tuple[Vehicle, ...]
    jobs: tuple[Job, ...]
    matrices: dict[str, Matrix] = field(default_factory=dict)

    def __post_init__(self) -> None:
        n = len(self.locations)
        dims = {len(v.capacity) for v in self.vehicles} | {len(j.amount) for j in self.jobs}
        if len(dims) > 1:
            raise ProblemError(f"capacity/amount dimensions disagree: {sorted(dims)}")
        seen: set[str] = set()
        for v in self.vehicles:
            if v.id in seen:
                raise ProblemError(f"duplicate vehicle id {v.id!r}")
            seen.add(v.id)
            for loc in (v.start, v.end):
                if loc is not None and not 0 <= loc < n:
                    raise ProblemError(f"vehicle {v.id!r}: location index {loc} out of range 0..{n - 1}")
            if v.profile not in self.matrices:
                raise ProblemError(f"vehicle {v.id!r}: no matrix for profile {v.profile!r}")
        vehicle_ids = seen
        seen = set()
        for j in self.jobs:
            if j.id in seen:
                raise ProblemError(f"duplicate job id {j.id!r}")
            seen.add(j.id)
            for task in (j.pickup, j.delivery):
                if task is not None and not 0 <= task.location < n:
                    raise ProblemError(f"job {j.id!r}: location index {task.location} out of range 0..{n - 1}")
            if j.vehicle is not None and j.vehicle not in vehicle_ids:
                raise ProblemError(f"job {j.id!r}: locked to unknown vehicle {j.vehicle!r}")
        for profile, m in self.matrices.items():
            if m.durations.shape[0] != n:
                raise ProblemError(
                    f"matrix for profile {profile!r} is {m.durations.shape[0]}x{m.durations.shape[0]}, expected {n}x{n}"
                )

    @property
    def dimensions(self) -> int:
        """Number of load dimensions (0 when there are no vehicles or jobs)."""
        for v in self.vehicles:
            return len(v.capacity)
        for j in self.jobs:
            return len(j.amount)
        return 0
