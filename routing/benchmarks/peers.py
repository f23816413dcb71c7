"""The three solvers the bench compares, each behind the same call: ``(problem, limit, seed) -> Run``.

Every answer comes back as our ``Solution`` so ``routing.verify`` checks all of them with
the same rules. VROOM and PyVRP are optional (``pip install .[bench]``); a missing one
raises ``SolverUnavailable`` and the bench notes it instead of failing.
"""

from __future__ import annotations

import resource
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from routing.params import SolveParams
from routing.problem import Matrix, Problem, Vehicle
from routing.solution import Route, Solution, Step, StepKind, Summary, Unassigned, UnassignedReason
from routing.vroom_json import read_output, write_input

__all__ = ["SOLVERS", "Run", "SolverUnavailable", "run_ajib", "run_pyvrp", "run_vroom"]


class SolverUnavailable(RuntimeError):
    """A peer solver is not installed, or cannot express the problem."""


@dataclass(frozen=True)
class Run:
    """One solver's answer: the solution in our terms and the wall time of the solve call."""

    solution: Solution
    wall_s: float
    note: str = ""
    cpu_s: float | None = None  # CPU time of this process during the solve: far below wall_s means starved


def _cpu() -> float:
    """CPU seconds of this process and of its finished children (``solve`` forks workers)."""
    ch = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + ch.ru_utime + ch.ru_stime


def _timed(call: Callable[[], object]) -> tuple[object, float, float]:
    """``call()`` with its wall time and the CPU time it used, worker processes included."""
    t0, c0 = time.perf_counter(), _cpu()
    out = call()
    return out, time.perf_counter() - t0, _cpu() - c0


def run_ajib(
    problem: Problem, time_limit: float, seed: int, *, distance_objective: bool = True, threads: int = 1
) -> Run:
    """Our OR-Tools solver with ``threads`` workers (1 or 2); on literature sets it minimises distance."""
    from routing.solve import solve

    params = SolveParams(
        time_limit_s=time_limit,
        seed=seed,
        num_workers=threads,
        distance_cost=1.0 if distance_objective else 0.0,
        travel_time_cost=0.0 if distance_objective else 1.0,
    )
    solution, wall, cpu = _timed(lambda: solve(problem, params))
    return Run(solution, wall, "" if solution.status == "ok" else solution.status, cpu)


def run_vroom(problem: Problem, time_limit: float, seed: int, *, threads: int = 1) -> Run:
    """VROOM through pyvroom on the same matrices: exploration level 5, ``threads`` threads, ``timeout`` = limit.

    VROOM has no seed and treats the timeout as an upper bound (it often stops earlier);
    its wall time is what the bench reports. The request is ``write_input``'s, handed to
    pyvroom as objects with the matrices as arrays (no JSON round trip of big matrices).
    """
    try:
        import vroom
    except ImportError as exc:
        raise SolverUnavailable("pyvroom not installed (pip install .[bench])") from exc
    del seed
    request, doc = write_input(problem, matrices=False)
    vroom_input = _pyvroom_input(vroom, request, problem)
    timeout = timedelta(seconds=time_limit)
    answer, wall, cpu = _timed(lambda: vroom_input.solve(exploration_level=5, nb_threads=threads, timeout=timeout))
    return Run(read_output(doc, answer.to_dict()), wall, cpu_s=cpu)


def _pyvroom_input(vroom, request: dict, problem: Problem):
    """A ``vroom.Input`` for a ``write_input`` request (without matrices) plus the problem's matrices."""
    inp = vroom.Input()
    for profile, m in problem.matrices.items():
        inp.set_durations_matrix(profile, m.durations)
        inp.set_distances_matrix(profile, m.distances)

    def windows(obj: dict) -> list:
        return [vroom.TimeWindow(a, b) for a, b in obj.get("time_windows", ())]

    for v in request["vehicles"]:
        limits = {k: v[k] for k in ("max_tasks", "max_travel_time") if k in v}
        inp.add_vehicle(
            vroom.Vehicle(
                v["id"],
                start=v["start_index"],
                end=v.get("end_index"),
                profile=v["profile"],
                capacity=v["capacity"],
                skills=set(v["skills"]),
                time_window=vroom.TimeWindow(*v["time_window"]),
                breaks=[vroom.Break(b["id"], time_windows=windows(b), service=b["service"]) for b in v["breaks"]],
                speed_factor=v["speed_factor"],
                costs=vroom.VehicleCosts(fixed=v.get("costs", {}).get("fixed", 0)),
                **limits,
            )
        )
    for j in request["jobs"]:
        amounts = {k: vroom.Amount(j[k]) for k in ("delivery", "pickup") if k in j}
        inp.add_job(
            vroom.Job(
                j["id"],
                location=j["location_index"],
                default_service=j["service"],
                skills=set(j["skills"]),
                priority=j["priority"],
                time_windows=windows(j),
                **amounts,
            )
        )
    for s in request["shipments"]:
        ends = [
            vroom.ShipmentStep(
                e["id"], location=e["location_index"], default_service=e["service"], time_windows=windows(e)
            )
            for e in (s["pickup"], s["delivery"])
        ]
        inp.add_job(
            vroom.Shipment(*ends, amount=vroom.Amount(s["amount"]), skills=set(s["skills"]), priority=s["priority"])
        )
    return inp


def run_pyvrp(problem: Problem, time_limit: float, seed: int, *, threads: int = 1) -> Run:
    """PyVRP's own model of the same data (matrices, windows, demands): ``MaxRuntime(limit)``.

    PyVRP's solve loop has one thread, so ``threads`` is accepted and ignored (the report says so).

    Handles what the literature sets need: one depot, one vehicle type, single-window
    delivery jobs (VRPTW) and shipments (PDPTW). Anything else is ``SolverUnavailable``.
    """
    try:
        from pyvrp import ActivityType, Model
        from pyvrp.stop import MaxRuntime
    except ImportError as exc:
        raise SolverUnavailable("pyvrp not installed (pip install .[bench])") from exc
    vehicles = problem.vehicles
    v0 = vehicles[0]
    if len({(v.start, v.end, v.shift, v.capacity, v.profile) for v in vehicles}) != 1 or any(
        v.breaks or v.skills for v in vehicles
    ):
        raise SolverUnavailable("bench's PyVRP model covers one depot and one vehicle type without breaks/skills")
    matrix = problem.matrices[v0.profile]
    model = Model()
    locs = [model.add_location(x=float(loc.lon or 0.0), y=float(loc.lat or 0.0)) for loc in problem.locations]
    depot = model.add_depot(locs[v0.start], tw_early=v0.shift.start, tw_late=v0.shift.end)
    model.add_vehicle_type(
        num_available=len(vehicles),
        capacity=list(v0.capacity),
        start_depot=depot,
        end_depot=depot,
        tw_early=v0.shift.start,
        tw_late=v0.shift.end,
    )

    def window(task):
        if len(task.time_windows) > 1:
            raise SolverUnavailable("PyVRP takes one time window per visit")
        w = task.time_windows[0] if task.time_windows else None
        return (w.start, w.end) if w else (0, v0.shift.end)

    for job in problem.jobs:
        if job.pickup is not None and job.delivery is not None:
            (pe, pl), (de, dl) = window(job.pickup), window(job.delivery)
            model.add_shipment(
                locs[job.pickup.location],
                locs[job.delivery.location],
                pickup_tw_early=pe,
                pickup_tw_late=pl,
                pickup_service_duration=job.pickup.service,
                delivery_tw_early=de,
                delivery_tw_late=dl,
                delivery_service_duration=job.delivery.service,
                amount=list(job.amount),
            )
        elif job.pickup is None and job.delivery is not None:
            early, late = window(job.delivery)
            model.add_client(
                locs[job.delivery.location],
                delivery=list(job.amount),
                service_duration=job.delivery.service,
                tw_early=early,
                tw_late=late,
            )
        else:
            raise SolverUnavailable("bench's PyVRP model has no single-location pickups")
    n = len(locs)
    for a in range(n):
        for b in range(n):
            if a != b:
                model.add_edge(
                    locs[a], locs[b], distance=int(matrix.distances[a, b]), duration=int(matrix.durations[a, b])
                )
    result, wall, cpu = _timed(lambda: model.solve(stop=MaxRuntime(time_limit), seed=seed, display=False))
    shipments = [j for j in problem.jobs if j.pickup is not None and j.delivery is not None]
    clients = [j for j in problem.jobs if j.pickup is None]
    routes = [
        _pyvrp_route(vehicles[k], route.schedule(), matrix, clients, shipments, ActivityType)
        for k, route in enumerate(result.best.routes())
    ]
    served = {s.job_id for r in routes for s in r.steps if s.job_id}
    unassigned = tuple(
        Unassigned(j.id, UnassignedReason.NOT_ENOUGH_TIME, "left out by PyVRP")
        for j in problem.jobs
        if j.id not in served
    )
    summary = Summary(
        cost=sum(r.cost for r in routes),
        routes=len(routes),
        unassigned=len(unassigned),
        distance=sum(r.distance for r in routes),
        duration=sum(r.duration for r in routes),
        service=sum(r.service for r in routes),
        waiting=sum(r.waiting for r in routes),
        wall_time_s=wall,
    )
    note = "" if result.is_feasible() else "PyVRP found no feasible solution"
    return Run(Solution(tuple(routes), unassigned, summary), wall, note, cpu)


def _pyvrp_route(vehicle: Vehicle, schedule, matrix: Matrix, clients, shipments, activity) -> Route:
    """One PyVRP route as our ``Route``, with PyVRP's own schedule (arrival = start - wait)."""
    load = [0] * len(vehicle.capacity)
    for a in schedule:  # delivery clients are on board from the start
        if a.type == activity.CLIENT:
            load = [x + y for x, y in zip(load, clients[a.idx].amount, strict=True)]
    steps: list[Step] = []
    dist = dur = 0
    prev = vehicle.start
    for i, a in enumerate(schedule):
        job = None
        if a.type == activity.DEPOT:
            kind = StepKind.START if i == 0 else StepKind.END
            loc = vehicle.start if i == 0 else (vehicle.end if vehicle.end is not None else prev)
        elif a.type == activity.CLIENT:
            job, kind = clients[a.idx], StepKind.JOB
            loc = job.delivery.location
            load = [x - y for x, y in zip(load, job.amount, strict=True)]
        else:
            job = shipments[a.idx]
            pick = a.type == activity.PICKUP
            kind = StepKind.PICKUP if pick else StepKind.DELIVERY
            loc = (job.pickup if pick else job.delivery).location
            load = [x + (1 if pick else -1) * y for x, y in zip(load, job.amount, strict=True)]
        dist += int(matrix.distances[prev, loc])
        dur += int(matrix.durations[prev, loc])
        prev = loc
        steps.append(
            Step(
                kind=kind,
                location=loc,
                arrival=a.start_time - a.wait_duration,
                service_start=a.start_time,
                service=a.end_time - a.start_time,
                load=tuple(load),
                job_id=job.id if job else None,
                distance=dist,
                duration=dur,
            )
        )
    return Route(
        vehicle_id=vehicle.id,
        steps=tuple(steps),
        distance=dist,
        duration=dur,
        service=sum(s.service for s in steps if s.job_id),
        waiting=sum(s.waiting for s in steps),
        cost=dist,
    )


class SolverRun(Protocol):
    """What the bench calls for each solver: one instance, one time limit, one seed, ``threads`` allowed."""

    def __call__(self, problem: Problem, time_limit: float, seed: int, *, threads: int = 1) -> Run: ...


SOLVERS: dict[str, SolverRun] = {"ajib": run_ajib, "vroom": run_vroom, "pyvrp": run_pyvrp}
