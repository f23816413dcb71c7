"""Turn a literature instance into a ``Problem`` on a scaled integer Euclidean matrix.

The solvers work in integers, the literature in double precision. We multiply by
``SCALE`` (1000): distances are rounded, travel *durations* are rounded up, so a route
that is feasible in the integer model is also feasible with exact Euclidean travel
times (never the other way round by accident). Gaps are then measured on
``true_distance``, recomputed in double precision from the route sequence.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from routing.problem import Job, JobKind, Location, Matrix, Problem, Task, TimeWindow, Vehicle
from routing.solution import Solution, StepKind

from .instances import Instance

__all__ = ["PROFILE", "SCALE", "euclidean", "to_problem", "true_distance", "vehicles_used"]

SCALE = 1000
PROFILE = "euclid"


def euclidean(instance: Instance) -> np.ndarray:
    """Double-precision Euclidean distances between all nodes (depot is node 0)."""
    dx = instance.x[:, None] - instance.x[None, :]
    dy = instance.y[:, None] - instance.y[None, :]
    return np.hypot(dx, dy)


def _task(instance: Instance, node: int) -> Task:
    window = TimeWindow(round(float(instance.ready[node]) * SCALE), round(float(instance.due[node]) * SCALE))
    return Task(location=node, time_windows=(window,), service=round(float(instance.service[node]) * SCALE))


def to_problem(instance: Instance) -> Problem:
    """Build the ``Problem`` the solvers see: one location per node, a homogeneous fleet.

    Solomon customers become single-location deliveries loaded at the depot; Li & Lim
    requests become shipments. Vehicle shifts are the depot's window; there are no fixed
    costs, so solvers minimise travel (vehicles are reported next to the distance).
    """
    d = euclidean(instance)
    # ceil with a tolerance so exact integers (e.g. 5.0 * 1000) are not pushed up by float noise
    durations = np.ceil(d * SCALE - 1e-6).astype(np.int64)
    distances = np.rint(d * SCALE).astype(np.int64)
    np.fill_diagonal(durations, 0)
    locations = tuple(
        Location(id=str(i), lat=float(instance.y[i]), lon=float(instance.x[i])) for i in range(len(instance.x))
    )
    shift = TimeWindow(round(float(instance.ready[0]) * SCALE), round(float(instance.due[0]) * SCALE))
    vehicles = tuple(
        Vehicle(id=str(k), start=0, end=0, shift=shift, capacity=(instance.capacity,), profile=PROFILE)
        for k in range(instance.fleet)
    )
    jobs: list[Job] = []
    if instance.kind == "vrptw":
        for i in range(1, len(instance.x)):
            jobs.append(
                Job(
                    id=str(i),
                    kind=JobKind.DELIVERY,
                    pickup=None,
                    delivery=_task(instance, i),
                    amount=(int(instance.demand[i]),),
                )
            )
    else:
        for p, q in instance.pairs():
            jobs.append(
                Job(
                    id=f"{p}-{q}",
                    kind=JobKind.SHIPMENT,
                    pickup=_task(instance, p),
                    delivery=_task(instance, q),
                    amount=(int(instance.demand[p]),),
                )
            )
    return Problem(
        locations=locations,
        vehicles=vehicles,
        jobs=tuple(jobs),
        matrices={PROFILE: Matrix(durations=durations, distances=distances)},
    )


def true_distance(instance: Instance, solution: Solution) -> float:
    """Total route length in double precision, from each route's sequence of locations."""
    total = 0.0
    for route in solution.routes:
        nodes = [s.location for s in route.steps if s.kind is not StepKind.BREAK]
        total += math.fsum(
            math.hypot(instance.x[a] - instance.x[b], instance.y[a] - instance.y[b])
            for a, b in itertools.pairwise(nodes)
        )
    return total


def vehicles_used(solution: Solution) -> int:
    """Routes that serve at least one task (an empty start→end route does not count)."""
    return sum(1 for r in solution.routes if any(s.kind not in (StepKind.START, StepKind.END) for s in r.steps))
