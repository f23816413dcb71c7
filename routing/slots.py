"""Which time windows a new job can still get in today's plan, without re-solving.

For each offered window the new job's stops (pickup, then delivery) are tried at every
position pair of every eligible courier's route. Each route is summarised once: for
each step the earliest time it could start (as planned) and the latest time it could
start without making any later step, break or the shift end late (backward pass with
each step's windows); plus the load after each step. An insertion is feasible when the
new stops fit their own windows, the first displaced step can still start by its
latest time, and the load stays within the box in between. Breaks are replayed as
fixed-length steps at their planned place in the sequence.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from routing.params import SolveParams
from routing.problem import Job, JobKind, Problem, Task, TimeWindow, Vehicle
from routing.schedule import earliest_in, latest_in, travel_time
from routing.solution import Route, Solution, Step, StepKind

__all__ = ["SlotCheck", "check_slots"]

_TASKS = (StepKind.PICKUP, StepKind.DELIVERY, StepKind.JOB)


@dataclass(frozen=True, slots=True)
class SlotCheck:
    """The verdict for one offered window.

    ``pickup_position``/``delivery_position`` are indices into the chosen route's
    ``steps`` before which the new stops go (``delivery_position`` counts the route
    after the pickup is inserted); ``None`` for the end a single-location job lacks.
    ``added_travel`` is in seconds.
    """

    window: TimeWindow
    feasible: bool
    vehicle_id: str | None = None
    added_travel: int | None = None
    pickup_position: int | None = None
    delivery_position: int | None = None


@dataclass
class _RouteView:
    """A route flattened for insertion checks (index 0 = START, last = END or last stop)."""

    vehicle: Vehicle
    steps: list[Step]
    loc: list[int]
    dep: list[int]  # planned departure (service start + service) per step
    latest: list[float]  # latest service start keeping every later step feasible
    load: list[tuple[int, ...]]
    tasks: int
    travel: int
    open_end: bool


def _windows_of(problem_jobs: dict[str, Job], vehicle: Vehicle, step: Step) -> tuple[TimeWindow, ...]:
    if step.kind is StepKind.BREAK:
        brk = next((b for b in vehicle.breaks if b.id == step.break_id), None)
        return brk.windows if brk is not None else ()
    job = problem_jobs.get(step.job_id or "")
    if job is None:
        return ()
    if step.kind is StepKind.PICKUP or (step.kind is StepKind.JOB and job.pickup is not None):
        return job.pickup.time_windows if job.pickup else ()
    return job.delivery.time_windows if job.delivery else ()


def _view(problem: Problem, jobs: dict[str, Job], v: Vehicle, route: Route | None) -> _RouteView:
    m = problem.matrices[v.profile].durations
    if route is None:  # an unused courier: an empty route over the shift
        end = [] if v.end is None else [Step(StepKind.END, v.end, v.shift.start, v.shift.start, 0, ())]
        steps = [Step(StepKind.START, v.start, v.shift.start, v.shift.start, 0, ()), *end]
        if v.end is not None:
            t = v.shift.start + travel_time(int(m[v.start, v.end]), v.speed_factor)
            steps[1] = replace(steps[1], arrival=t, service_start=t)
        load = [(0,) * problem.dimensions] * len(steps)
    else:
        steps = list(route.steps)
        load = [tuple(s.load) for s in steps]
    n = len(steps)
    latest: list[float] = [0.0] * n
    nxt: float = v.shift.end
    for k in range(n - 1, -1, -1):
        s = steps[k]
        if k < n - 1:
            leg = travel_time(int(m[s.location, steps[k + 1].location]), v.speed_factor)
            nxt = latest[k + 1] - s.service - leg
        bound = min(nxt, v.shift.end)
        if s.kind is StepKind.START:
            latest[k] = bound
            continue
        lt = latest_in(int(bound), _windows_of(jobs, v, s)) if bound != float("inf") else bound
        latest[k] = lt if lt is not None else -1.0
    tasks = sum(1 for s in steps if s.kind in _TASKS)
    travel = steps[-1].duration if route is not None else (steps[-1].arrival - v.shift.start if n > 1 else 0)
    return _RouteView(
        v,
        steps,
        [s.location for s in steps],
        [s.service_start + s.service for s in steps],
        latest,
        load,
        tasks,
        travel,
        v.end is None,
    )


def _home_task(job: Job, window: TimeWindow) -> Job:
    """The job with ``window`` on its customer side (the home end)."""
    if job.kind is JobKind.DELIVERY or job.pickup is None:
        assert job.delivery is not None
        return replace(job, delivery=replace(job.delivery, time_windows=(window,)))
    return replace(job, pickup=replace(job.pickup, time_windows=(window,)))


def _insert_best(problem: Problem, rv: _RouteView, job: Job) -> tuple[int, int | None, int] | None:
    """Cheapest feasible (pickup gap, delivery gap, added travel) for ``job`` in ``rv``."""
    v = rv.vehicle
    m = problem.matrices[v.profile].durations
    sf = v.speed_factor

    def tt(a: int, b: int) -> int:
        return travel_time(int(m[a, b]), sf)

    tasks: list[Task] = [t for t in (job.pickup, job.delivery) if t is not None]
    if v.max_tasks is not None and rv.tasks + len(tasks) > v.max_tasks:
        return None
    amount = job.amount
    cap = v.capacity
    single_delivery = job.pickup is None
    single_pickup = job.delivery is None
    n = len(rv.steps)
    last_gap = n - 1 if not rv.open_end else n  # gap g = between step g-1 and step g (g >= 1)
    best: tuple[int, int | None, int] | None = None

    def fits(lo: int, hi: int) -> bool:
        """Load plus the job's amount stays within capacity on steps lo..hi-1."""
        return all(x + a <= c for k in range(lo, hi) for x, a, c in zip(rv.load[k], amount, cap, strict=True))

    def leg_after(g: int, here: int, t: int) -> tuple[bool, int]:
        """Leave ``here`` at ``t`` towards step g; feasible?, travel of that leg."""
        if g >= n:  # open end: nothing after
            return True, 0
        leg = tt(here, rv.loc[g])
        return t + leg <= rv.latest[g], leg

    if len(tasks) == 1:
        task = tasks[0]
        for g in range(1, last_gap + 1):
            prev = g - 1
            arrive = rv.dep[prev] + tt(rv.loc[prev], task.location)
            start = earliest_in(arrive, task.time_windows)
            if start is None:
                continue
            ok, leg_out = leg_after(g, task.location, start + task.service)
            if not ok:
                continue
            if single_delivery and not fits(0, g):
                continue
            if single_pickup and not fits(prev, n):
                continue
            old = tt(rv.loc[prev], rv.loc[g]) if g < n else 0
            added = tt(rv.loc[prev], task.location) + leg_out - old
            if v.max_travel_time is not None and rv.travel + added > v.max_travel_time:
                continue
            if best is None or added < best[2]:
                best = (g, None, added)
        return best

    p, d = tasks
    for g in range(1, last_gap + 1):
        prev = g - 1
        if not fits(prev, g):  # the load right after the pickup
            continue
        arrive = rv.dep[prev] + tt(rv.loc[prev], p.location)
        sp = earliest_in(arrive, p.time_windows)
        if sp is None:
            continue
        t_p = sp + p.service
        old_g = tt(rv.loc[prev], rv.loc[g]) if g < n else 0
        added_p = tt(rv.loc[prev], p.location) - old_g
        # Delivery right after the pickup.
        arrive_d = t_p + tt(p.location, d.location)
        sd = earliest_in(arrive_d, d.time_windows)
        if sd is not None and fits(g, g):
            ok, leg_out = leg_after(g, d.location, sd + d.service)
            added = added_p + tt(p.location, d.location) + leg_out
            if (
                ok
                and (v.max_travel_time is None or rv.travel + added <= v.max_travel_time)
                and (best is None or added < best[2])
            ):
                best = (g, g, added)
        # Delivery later: walk the displaced steps forward, one gap at a time.
        t, here = t_p, p.location
        for h in range(g, n):
            step = rv.steps[h]
            arrive_h = t + tt(here, step.location)
            if arrive_h > rv.latest[h] or not fits(h, h + 1):
                break  # this step (and so every later delivery gap) is pushed too late or overloaded
            # Never earlier than planned: conservative, and keeps breaks where they were.
            t = max(arrive_h, step.service_start) + step.service
            here = step.location
            gd = h + 1
            if gd > last_gap:
                break
            sd = earliest_in(t + tt(here, d.location), d.time_windows)
            if sd is None:
                continue
            ok, leg_out = leg_after(gd, d.location, sd + d.service)
            if not ok:
                continue
            old_d = tt(rv.loc[h], rv.loc[gd]) if gd < n else 0
            added = added_p + tt(p.location, rv.loc[g]) + tt(here, d.location) + leg_out - old_d
            if v.max_travel_time is not None and rv.travel + added > v.max_travel_time:
                continue
            if best is None or added < best[2]:
                best = (g, gd, added)
    return best


def check_slots(
    problem: Problem,
    plan: Solution,
    job: Job,
    windows: Sequence[TimeWindow],
    params: SolveParams | None = None,
) -> list[SlotCheck]:
    """Check which of ``windows`` the new ``job`` can be inserted into ``plan`` with.

    Parameters
    ----------
    problem
        The day's problem (couriers, matrices); ``job`` need not be part of it, but its
        locations must index ``problem.locations``.
    plan
        The current plan; no planned stop, break, load or shift may be broken.
    job
        The new job; each window replaces the time windows of its customer-side task
        (the pickup of a PICKUP or SHIPMENT, the delivery of a DELIVERY).
    windows
        The windows to offer.
    params
        Unused for now (the check is a cheap insertion test, not a solve); accepted so
        callers can pass the same parameters they solve with.

    Returns
    -------
    list of SlotCheck
        One verdict per window, in order, with the cheapest insertion when feasible.
    """
    del params
    jobs = {j.id: j for j in problem.jobs}
    routes = {r.vehicle_id: r for r in plan.routes}
    views = []
    for v in problem.vehicles:
        if not job.skills <= v.skills or (job.vehicle is not None and job.vehicle != v.id):
            continue
        if any(a > c for a, c in zip(job.amount, v.capacity, strict=True)):
            continue
        views.append(_view(problem, jobs, v, routes.get(v.id)))
    out = []
    for w in windows:
        candidate = _home_task(job, w)
        best: tuple[int, str, int, int | None] | None = None
        for rv in views:
            found = _insert_best(problem, rv, candidate)
            if found is not None and (best is None or found[2] < best[0]):
                best = (found[2], rv.vehicle.id, found[0], found[1])
        if best is None:
            out.append(SlotCheck(w, False))
        else:
            added, vid, gp, gd = best
            dpos = None if gd is None else gd + 1
            if candidate.pickup is None or candidate.delivery is None:
                dpos = None
            out.append(SlotCheck(w, True, vid, added, gp, dpos))
    return out
