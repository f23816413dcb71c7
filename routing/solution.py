"""The solver's output model: routes, unassigned jobs with reasons, and a summary.

Mirrors VROOM's output (summary / routes / unassigned) so it maps one-to-one onto
VROOM's JSON, plus a machine-readable reason for every unassigned job.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

__all__ = ["Route", "Solution", "Step", "StepKind", "Summary", "Unassigned", "UnassignedReason"]


class StepKind(StrEnum):
    START = "start"
    PICKUP = "pickup"
    DELIVERY = "delivery"
    JOB = "job"  # a VROOM single-location job (one end of the job is the vehicle's start/end)
    BREAK = "break"
    END = "end"


class UnassignedReason(StrEnum):
    """Why a job was left out, phrased so a dispatcher can act on it."""

    NO_SKILL = "no_skill"  # no courier has every skill the job needs
    OUTSIDE_SHIFTS = "outside_shifts"  # no window overlaps any courier's shift
    UNREACHABLE_IN_WINDOW = "unreachable_in_window"  # too far to reach inside its window from the office
    CAPACITY = "capacity"  # larger than any courier's box, or together with the jobs served more than the boxes hold
    LOCKED_VEHICLE = "locked_vehicle"  # locked to a courier who cannot serve it
    NOT_ENOUGH_TIME = "not_enough_time"  # individually feasible, but the day is full


@dataclass(frozen=True, slots=True)
class Step:
    """One stop on a route, with the times the solver promises.

    ``arrival`` is when the courier gets there, ``service_start`` when work begins
    (later if they wait for the window to open); ``load`` is the load after the step.
    """

    kind: StepKind
    location: int
    arrival: int
    service_start: int
    service: int
    load: tuple[int, ...]
    job_id: str | None = None
    break_id: str | None = None
    distance: int = 0  # cumulative metres from the route start
    duration: int = 0  # cumulative travel seconds from the route start

    @property
    def waiting(self) -> int:
        return self.service_start - self.arrival


@dataclass(frozen=True, slots=True)
class Route:
    vehicle_id: str
    steps: tuple[Step, ...]
    distance: int
    duration: int  # travel seconds
    service: int
    waiting: int
    cost: int


@dataclass(frozen=True, slots=True)
class Unassigned:
    job_id: str
    reason: UnassignedReason
    detail: str  # a sentence in English with the numbers behind the reason


@dataclass(frozen=True, slots=True)
class Summary:
    cost: int
    routes: int
    unassigned: int
    distance: int
    duration: int
    service: int
    waiting: int
    wall_time_s: float


@dataclass(frozen=True, slots=True)
class Solution:
    routes: tuple[Route, ...]
    unassigned: tuple[Unassigned, ...]
    summary: Summary
    status: str = "ok"  # "ok" or the OR-Tools status name when no solution was found

    @classmethod
    def of(
        cls,
        routes: Iterable[Route],
        unassigned: Iterable[Unassigned] = (),
        wall_time_s: float = 0.0,
        status: str = "ok",
    ) -> Solution:
        """A solution whose summary adds up its routes: how every caller assembles one (the verifier checks it)."""
        routes, unassigned = tuple(routes), tuple(unassigned)
        summary = Summary(
            cost=sum(r.cost for r in routes),
            routes=len(routes),
            unassigned=len(unassigned),
            distance=sum(r.distance for r in routes),
            duration=sum(r.duration for r in routes),
            service=sum(r.service for r in routes),
            waiting=sum(r.waiting for r in routes),
            wall_time_s=round(wall_time_s, 3),
        )
        return cls(routes, unassigned, summary, status)
