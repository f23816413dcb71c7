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
from routing.solution import Route, Solution, Step, StepKind, Unassigned, UnassignedReason
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


def run_vroom(problem: Problem, time_limit: float | None, seed: int, *, threads: int = 1) -> Run:
    """VROOM through pyvroom on the same matrices: exploration level 5, ``threads`` threads, ``timeout`` = limit.

    ``time_limit=None`` lets VROOM run to its own end (the AJIB days). VROOM has no seed and treats the
    timeout as an upper bound (it often stops earlier);
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
    timeout = timedelta(seconds=time_limit) if time_limit is not None else None
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


# Prize of an optional client (the days' runs): PyVRP serves all it can first. 10,000,000 left it with no
# feasible plan in 10 s on an office day (its load penalty never outgrew a prize), 100,000 did not.
PRIZE = 100_000  # 28 h of travel: far above any insertion, low enough for PyVRP's load penalties to bite
PRIORITY_PRIZE = 1_000_000


def run_pyvrp(
    problem: Problem,
    time_limit: float,
    seed: int,
    *,
    threads: int = 1,
    objective: str = "distance",
) -> Run:
    """PyVRP's own model of the same data (matrices, windows, amounts): ``MaxRuntime(limit)``.

    PyVRP's solve loop has one thread, so ``threads`` is accepted and ignored (the report says so).

    Covers: depots at the vehicles' start/end places, one vehicle type per distinct (start, end, shift,
    capacity), single-window delivery and pickup jobs (VROOM single-location jobs: deliveries on board from
    the start, pickups to the end) and shipments. Skills only where they constrain nothing (every job fits
    every vehicle); no breaks. Anything else is ``SolverUnavailable``.

    ``objective="distance"`` (the literature) minimises metres with every job required, as the literature
    sets ask; ``"travel_time"`` (the AJIB days, our objective and VROOM's) minimises travel seconds (edge
    "distance" = the duration matrix) with every job optional at a prize far above any travel, higher for
    priority jobs, so a day that cannot be served in full still gets an answer.
    """
    try:
        from pyvrp import ActivityType, Model
        from pyvrp.stop import MaxRuntime
    except ImportError as exc:
        raise SolverUnavailable("pyvrp not installed (pip install .[bench])") from exc
    if objective not in ("distance", "travel_time"):
        raise ValueError(f"objective {objective!r}")
    vehicles = problem.vehicles
    if any(v.breaks for v in vehicles):
        raise SolverUnavailable("PyVRP has no breaks")
    all_skills = frozenset().union(*(v.skills for v in vehicles))
    if any(not j.skills <= v.skills for j in problem.jobs for v in vehicles) or (
        all_skills and any(v.skills != all_skills for v in vehicles)
    ):
        raise SolverUnavailable("PyVRP has no skills (split the problem so that every job fits every vehicle)")
    if len({v.profile for v in vehicles}) != 1:
        raise SolverUnavailable("bench's PyVRP model has one travel profile")
    matrix = problem.matrices[vehicles[0].profile]
    model = Model()

    # only the places used: a sub-problem on a city's matrix stays small
    used = sorted(
        {v.start for v in vehicles}
        | {v.end for v in vehicles if v.end is not None}
        | {t.location for j in problem.jobs for t in (j.pickup, j.delivery) if t is not None}
    )
    locs = {}
    for i in used:
        loc = problem.locations[i]
        locs[i] = model.add_location(x=float(loc.lon or 0.0), y=float(loc.lat or 0.0))
    depot_places = sorted({v.start for v in vehicles} | {v.end for v in vehicles if v.end is not None})
    depots = {}
    for place in depot_places:
        here = [v for v in vehicles if place in (v.start, v.end)]
        depots[place] = model.add_depot(
            locs[place], tw_early=min(v.shift.start for v in here), tw_late=max(v.shift.end for v in here)
        )
    types: dict[tuple, list[Vehicle]] = {}
    for v in vehicles:
        types.setdefault((v.start, v.end if v.end is not None else v.start, v.shift, v.capacity), []).append(v)
    for (start, end, shift, capacity), members in types.items():
        model.add_vehicle_type(
            num_available=len(members),
            capacity=list(capacity),
            start_depot=depots[start],
            end_depot=depots[end],
            tw_early=shift.start,
            tw_late=shift.end,
        )
    optional = objective == "travel_time"

    def window(task):
        if len(task.time_windows) > 1:
            raise SolverUnavailable("PyVRP takes one time window per visit")
        w = task.time_windows[0] if task.time_windows else None
        return (w.start, w.end) if w else (0, max(v.shift.end for v in vehicles))

    def prize(job) -> dict:
        return {"required": False, "prize": PRIORITY_PRIZE if job.priority else PRIZE} if optional else {}

    shipments, clients = [], []
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
                **prize(job),
            )
            shipments.append(job)
        else:
            task = job.delivery if job.pickup is None else job.pickup
            assert task is not None
            early, late = window(task)
            amounts = {"delivery": list(job.amount)} if job.pickup is None else {"pickup": list(job.amount)}
            model.add_client(
                locs[task.location],
                service_duration=task.service,
                tw_early=early,
                tw_late=late,
                **amounts,
                **prize(job),
            )
            clients.append(job)
    cost_matrix = matrix.durations if objective == "travel_time" else matrix.distances
    for a in used:
        for b in used:
            if a != b:
                model.add_edge(locs[a], locs[b], distance=int(cost_matrix[a, b]), duration=int(matrix.durations[a, b]))
    result, wall, cpu = _timed(lambda: model.solve(stop=MaxRuntime(time_limit), seed=seed, display=False))
    pools = [list(members) for members in types.values()]
    routes = [
        _pyvrp_route(pools[route.vehicle_type()].pop(0), route.schedule(), matrix, clients, shipments, ActivityType)
        for route in result.best.routes()
    ]
    served = {s.job_id for r in routes for s in r.steps if s.job_id}
    unassigned = tuple(
        Unassigned(j.id, UnassignedReason.NOT_ENOUGH_TIME, "left out by PyVRP")
        for j in problem.jobs
        if j.id not in served
    )
    solution = Solution.of(routes, unassigned, wall_time_s=wall)
    note = "" if result.is_feasible() else "PyVRP found no feasible solution"
    return Run(solution, wall, note, cpu)


def _pyvrp_route(vehicle: Vehicle, schedule, matrix: Matrix, clients, shipments, activity) -> Route:
    """One PyVRP route as our ``Route``, with PyVRP's own schedule (arrival = start - wait)."""
    load = [0] * len(vehicle.capacity)
    for a in schedule:  # delivery clients are on board from the start
        if a.type == activity.CLIENT and clients[a.idx].pickup is None:
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
            sign = -1 if job.pickup is None else 1  # a delivery leaves the bike, a pickup joins it
            loc = (job.delivery if job.pickup is None else job.pickup).location
            load = [x + sign * y for x, y in zip(load, job.amount, strict=True)]
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
