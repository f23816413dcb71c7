"""When a courier does each stop of a route: the one timing rule of the engine.

Travel from ``a`` to ``b`` takes the matrix seconds divided by the vehicle's speed factor,
rounded half to even (``travel_time``); a courier arrives at the end of the previous
service plus travel, waits at the stop for its window to open, serves, and leaves. Every
rest (lunch, Friday prayer) is taken at a stop — at the previous stop (rest, then ride)
or at the next one (ride, then rest), whichever fits the break's windows.

Two entry points use the rule:

* ``schedule_route`` times a sequence of stops in a given order, as early as possible
  (dispatchers' edits, a slot's simulated plan, the reference the fast searches are
  tested against);
* ``build_route`` lays out a sequence whose service starts a solver already chose (the
  extractor, the re-planner).

``routing.verify`` replays the same rule independently; ``routing.insertion`` uses it to
find where a stop fits.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from routing.problem import Break, Job, Problem, TimeWindow, Vehicle
from routing.solution import Route, Step, StepKind

__all__ = [
    "PlacedBreak",
    "TimedVisit",
    "Travel",
    "Visit",
    "break_windows",
    "build_route",
    "earliest_in",
    "earliest_times",
    "job_visits",
    "keeps_times",
    "latest_in",
    "rests_at_stops",
    "route_visits",
    "schedule_route",
    "travel_time",
    "travel_times",
    "vehicle_travel",
]

Travel = Callable[[int, int], tuple[int, int]]  # (from location, to location) -> (seconds, metres)


def travel_time(duration: int, speed_factor: float) -> int:
    """Seconds a vehicle with ``speed_factor`` needs for a matrix ``duration`` (half to even)."""
    if speed_factor == 1.0:
        return int(duration)
    return round(duration / speed_factor)


def travel_times(durations: np.ndarray, speed_factor: float) -> np.ndarray:
    """``travel_time`` for a whole matrix at once."""
    if speed_factor == 1.0:
        return durations.astype(np.int64)
    return np.rint(durations / speed_factor).astype(np.int64)


def vehicle_travel(problem: Problem, vehicle: Vehicle) -> Travel:
    """(from, to) location -> (seconds, metres) for ``vehicle``."""
    m = problem.matrices[vehicle.profile]
    d, dist, sf = m.durations, m.distances, vehicle.speed_factor
    return lambda a, b: (travel_time(int(d[a, b]), sf), int(dist[a, b]))


def earliest_in(t: int, windows: Sequence[TimeWindow]) -> int | None:
    """Earliest time >= ``t`` inside one of ``windows`` (any time if there are none)."""
    if not windows:
        return t
    best = None
    for w in windows:
        if w.end >= t:
            s = max(t, w.start)
            if best is None or s < best:
                best = s
    return best


def latest_in(t: int, windows: Sequence[TimeWindow]) -> int | None:
    """Latest time <= ``t`` inside one of ``windows`` (any time if there are none)."""
    if not windows:
        return t
    best = None
    for w in windows:
        if w.start <= t:
            s = min(t, w.end)
            if best is None or s > best:
                best = s
    return best


def break_windows(brk: Break, shift: TimeWindow) -> tuple[TimeWindow, ...]:
    """Allowed start windows of ``brk`` clipped so the break lies inside ``shift``."""
    out = []
    for w in brk.windows:
        s, e = max(w.start, shift.start), min(w.end, shift.end - brk.duration)
        if s <= e:
            out.append(TimeWindow(s, e))
    return tuple(out)


@dataclass(frozen=True, slots=True)
class Visit:
    """One stop of a job, not yet timed: what, where, for how long, in which windows, and the load change."""

    job_id: str
    kind: StepKind
    location: int
    service: int
    windows: tuple[TimeWindow, ...]
    delta: tuple[int, ...]


def job_visits(job: Job) -> list[Visit]:
    """The one or two visits ``job`` needs, in the order they must happen."""
    amount = tuple(job.amount)
    minus = tuple(-a for a in amount)
    if job.pickup is not None and job.delivery is not None:
        p, d = job.pickup, job.delivery
        return [
            Visit(job.id, StepKind.PICKUP, p.location, p.service, p.time_windows, amount),
            Visit(job.id, StepKind.DELIVERY, d.location, d.service, d.time_windows, minus),
        ]
    t = job.pickup or job.delivery
    assert t is not None
    delta = amount if job.delivery is None else minus
    return [Visit(job.id, StepKind.JOB, t.location, t.service, t.time_windows, delta)]


def route_visits(problem: Problem, route: Route) -> list[Visit]:
    """The job stops of ``route`` as visits, in route order (steps of jobs not in ``problem`` are left out)."""
    jobs = {j.id: j for j in problem.jobs}
    out = []
    for step in route.steps:
        job = jobs.get(step.job_id or "")
        if job is None or step.kind not in (StepKind.PICKUP, StepKind.DELIVERY, StepKind.JOB):
            continue
        visits = job_visits(job)
        out.append(visits[0] if len(visits) == 1 or step.kind is StepKind.PICKUP else visits[1])
    return out


@dataclass(frozen=True, slots=True)
class TimedVisit:
    """One stop of a route with the service start a solver chose (the input of ``build_route``)."""

    kind: StepKind
    location: int
    service: int
    service_start: int
    delta: tuple[int, ...] = ()
    job_id: str | None = None
    windows: tuple[TimeWindow, ...] | None = None  # when given, the start may move inside them


@dataclass(frozen=True, slots=True)
class PlacedBreak:
    brk: Break
    start: int
    windows: tuple[TimeWindow, ...]  # allowed start windows, clipped to the shift


def _asap(t: int, b: PlacedBreak) -> int | None:
    return earliest_in(t, b.windows)


def _lay_gap(dep: int, nxt: int, travel: int, breaks: list[PlacedBreak]) -> list[tuple[PlacedBreak, int, bool]]:
    """Place ``breaks`` between a departure at ``dep`` and a service start at ``nxt``.

    Returns (break, start, at_next_stop) triples. Tries
    "rest here, then ride" first, then moving breaks one by one to after the ride. If
    no split fits (the window only allows resting mid-ride), keeps the solver's times.
    """
    k = len(breaks)
    for m in range(k, -1, -1):
        t, out, ok = dep, [], True
        for i, b in enumerate(breaks):
            if i == m:
                t += travel
            s = _asap(t, b)
            if s is None:
                ok = False
                break
            out.append((b, s, i >= m))
            t = s + b.brk.duration
        if ok and (t + (travel if m == k else 0)) <= nxt:
            return out
    # Mid-ride rest (allowed by the solver's break model): keep its times, at the previous stop.
    return [(b, b.start, False) for b in breaks]


def _retime(
    vehicle: Vehicle, visits: list[TimedVisit], legs: list[tuple[int, int]], by_gap: dict[int, list[PlacedBreak]]
) -> list[TimedVisit] | None:
    """Earliest schedule where every break is taken at a stop (rest, then ride; or ride, then rest).

    The solver's break model may put a rest in the middle of a ride; moving later stops
    within their windows usually removes that. Returns ``None`` when it cannot, and the
    caller keeps the solver's times.
    """
    n = len(visits)
    out = list(visits)
    pre = by_gap.get(-1, [])
    t = visits[0].service_start
    if pre:
        t = min([t] + [b.start for b in pre])
        for b in pre:
            s = _asap(t, b)
            if s is None:
                return None
            t = s + b.brk.duration
    for i in range(n - 1):
        nxt = visits[i + 1]
        is_end = i == n - 2
        breaks = by_gap.get(i, [])
        best: int | None = None
        for m in range(len(breaks), -1, -1):
            ready, ok = t, True
            for k, b in enumerate(breaks):
                if k == m:
                    ready += legs[i][0]
                s = _asap(ready, b)
                if s is None:
                    ok = False
                    break
                ready = s + b.brk.duration
            if not ok:
                continue
            if m == len(breaks):
                ready += legs[i][0]
            if is_end:
                start: int | None = ready
            elif nxt.windows is None:
                start = nxt.service_start if ready <= nxt.service_start else None
            else:
                start = earliest_in(ready, nxt.windows)
            if start is not None and (best is None or start < best):
                best = start
        if best is None:
            return None
        out[i + 1] = replace(nxt, service_start=best)
        t = best + nxt.service
    t = out[-1].service_start
    for b in by_gap.get(n - 1, []):
        s = _asap(t, b)
        if s is None:
            return None
        t = s + b.brk.duration
    if t > vehicle.shift.end or out[-2].service_start + out[-2].service > vehicle.shift.end:
        return None
    return out


def _legs_and_gaps(
    visits: list[TimedVisit], travel: Travel, breaks: list[PlacedBreak], open_end: bool
) -> tuple[list[tuple[int, int]], dict[int, list[PlacedBreak]]]:
    """Travel of each leg, and which gap each break falls in (-1 before departure, n-1 after the end)."""
    n = len(visits)
    legs = []
    for i in range(n - 1):
        if open_end and i == n - 2:
            legs.append((0, 0))
        else:
            legs.append(travel(visits[i].location, visits[i + 1].location))
    by_gap: dict[int, list[PlacedBreak]] = {}
    for b in sorted(breaks, key=lambda x: x.start):
        g = n - 1
        if b.start + b.brk.duration <= visits[0].service_start:
            g = -1
        else:
            for i in range(n - 1):
                if b.start < visits[i + 1].service_start:
                    g = i
                    break
        by_gap.setdefault(g, []).append(b)
    return legs, by_gap


def rests_at_stops(
    vehicle: Vehicle, visits: list[TimedVisit], travel: Travel, breaks: list[PlacedBreak], open_end: bool
) -> bool:
    """Can every break be taken at a stop (not mid-ride) while keeping all windows and the shift?"""
    if not breaks:
        return True
    legs, by_gap = _legs_and_gaps(visits, travel, breaks, open_end)
    return _retime(vehicle, visits, legs, by_gap) is not None


def earliest_times(
    vehicle: Vehicle, visits: list[TimedVisit], travel: Travel, breaks: list[PlacedBreak], open_end: bool
) -> list[TimedVisit] | None:
    """``visits`` (in this order) re-timed as early as possible inside every window, rest and the shift, or None.

    What ``build_route`` will do with them; a caller that reorders a solver's visits asks this first,
    because ``build_route`` keeps the solver's times for a sequence it cannot re-time. A visit whose
    ``windows`` is None keeps its time (it may not be reached later).
    """
    legs, by_gap = _legs_and_gaps(visits, travel, breaks, open_end)
    return _retime(vehicle, visits, legs, by_gap)


def keeps_times(
    vehicle: Vehicle, visits: list[TimedVisit], travel: Travel, breaks: list[PlacedBreak], open_end: bool
) -> bool:
    """Can ``visits`` be re-timed inside every window, rest and the shift (``earliest_times``)?"""
    return earliest_times(vehicle, visits, travel, breaks, open_end) is not None


def build_route(
    vehicle: Vehicle,
    visits: list[TimedVisit],
    travel: Travel,
    breaks: list[PlacedBreak],
    init_load: tuple[int, ...],
    open_end: bool,
    cost: Callable[[int, int], int],
) -> Route:
    """Lay out ``visits`` (START first, END last) and ``breaks`` as a ``Route``.

    ``travel`` gives vehicle travel seconds and metres between locations; ``cost`` the
    objective cost of an arc from its (seconds, metres). The END visit of an open
    route is not emitted (VROOM convention) and costs no travel.
    """
    assert visits[0].kind is StepKind.START and visits[-1].kind is StepKind.END
    n = len(visits)
    dep = [v.service_start + v.service for v in visits]
    legs, by_gap = _legs_and_gaps(visits, travel, breaks, open_end)
    retimed = _retime(vehicle, visits, legs, by_gap)
    if retimed is not None:
        visits = retimed
        dep = [v.service_start + v.service for v in visits]

    # Ride as late as possible out of the start when nothing is scheduled on the way.
    start_time = visits[0].service_start
    if -1 not in by_gap and 0 not in by_gap and n > 2:
        start_time = max(start_time, visits[1].service_start - legs[0][0])
    dep[0] = start_time

    load = list(init_load)
    steps: list[Step] = []
    dist = dur = waiting = service = 0
    route_cost = int(vehicle.fixed_cost)

    def rest(b: PlacedBreak, arrival: int, start: int, location: int) -> int:
        nonlocal waiting
        steps.append(
            Step(StepKind.BREAK, location, arrival, start, b.brk.duration, tuple(load), None, b.brk.id, dist, dur)
        )
        waiting += start - arrival
        return start + b.brk.duration

    pre = by_gap.get(-1, [])
    first = min([start_time] + [b.start for b in pre])
    steps.append(Step(StepKind.START, visits[0].location, first, first, 0, tuple(load), None, None, 0, 0))
    t = first
    for b in pre:
        t = rest(b, t, max(t, b.start), visits[0].location)
    if pre:
        dep[0] = t  # leave right after the rest: any slack is waiting at the first stop
    for i in range(n - 1):
        sec, metres = legs[i]
        nxt = visits[i + 1]
        is_end = i == n - 2
        target = max(nxt.service_start, dep[i] + sec) if is_end else nxt.service_start
        here = visits[i].location
        there = here if (open_end and is_end) else nxt.location
        laid = _lay_gap(dep[i], target, sec, by_gap.get(i, []))
        t = dep[i]
        for b, s, at_next in laid:
            if not at_next:
                t = rest(b, t, s, here)
        dist += metres
        dur += sec
        route_cost += cost(sec, metres)
        t += sec
        for b, s, at_next in laid:
            if at_next:
                t = rest(b, t, s, there)
        arrival = min(t, target)  # equal unless the solver rests mid-ride (see _lay_gap)
        if is_end:
            if not open_end:
                steps.append(Step(StepKind.END, there, arrival, arrival, 0, tuple(load), None, None, dist, dur))
            break
        for k, d in enumerate(nxt.delta):
            load[k] += d
        waiting += nxt.service_start - arrival
        service += nxt.service
        steps.append(
            Step(
                nxt.kind,
                nxt.location,
                arrival,
                nxt.service_start,
                nxt.service,
                tuple(load),
                nxt.job_id,
                None,
                dist,
                dur,
            )
        )
    post = by_gap.get(n - 1, [])
    if post:
        end_step = None if open_end else steps.pop()
        t = end_step.arrival if end_step else dep[-2]
        loc = steps[-1].location if end_step is None else end_step.location
        for b in post:
            t = rest(b, t, max(t, b.start), loc)
        if end_step:
            steps.append(Step(StepKind.END, loc, t, t, 0, tuple(load), None, None, dist, dur))
    return Route(vehicle.id, tuple(steps), dist, dur, service, waiting, route_cost)


def schedule_route(problem: Problem, vehicle: Vehicle, visits: Sequence[Visit]) -> Route:
    """Time ``visits`` in this order on ``vehicle`` from its start place and shift start, as early as possible.

    The courier waits at a stop for its window; each rest is taken in waiting time before a ride when
    it fits there, else when it could not be taken after the next stop any more. Lateness is kept,
    not hidden: a stop reached after its window is served on arrival and ``routing.verify`` names it,
    so a caller can show a dispatcher exactly what an order of stops breaks. Travel costs its seconds.
    """
    travel = vehicle_travel(problem, vehicle)
    pending = [
        (b, w)
        for b in sorted(vehicle.breaks, key=lambda b: min(x.start for x in b.windows))
        if (w := break_windows(b, vehicle.shift))
    ]
    placed: list[PlacedBreak] = []
    t, here = vehicle.shift.start, vehicle.start
    timed = [TimedVisit(StepKind.START, here, 0, t)]
    end = Visit("", StepKind.END, vehicle.end if vehicle.end is not None else here, 0, (), ())
    for nxt in [*visits, end]:
        sec, _ = travel(here, nxt.location)
        while pending:
            brk, windows = pending[0]
            now = earliest_in(t, windows)
            if now is None:
                pending.pop(0)  # missed: verify reports the break as not taken
                continue
            arrive = t + sec
            start_next = earliest_in(arrive, nxt.windows)
            start_next = arrive if start_next is None else start_next
            after_next = earliest_in(start_next + nxt.service, windows)
            in_waiting = bool(nxt.windows) and now + brk.duration + sec <= start_next
            if nxt is end or after_next is None or in_waiting:
                placed.append(PlacedBreak(brk, now, windows))
                t = now + brk.duration
                pending.pop(0)
            else:
                break
        arrive = t + sec
        start = earliest_in(arrive, nxt.windows)
        start = arrive if start is None else start  # too late for the window: verify flags it
        if nxt is end:
            timed.append(TimedVisit(StepKind.END, nxt.location, 0, arrive))
            break
        timed.append(TimedVisit(nxt.kind, nxt.location, nxt.service, start, nxt.delta, nxt.job_id))
        t, here = start + nxt.service, nxt.location
    init = [0] * len(vehicle.capacity)
    for v in visits:
        if v.kind is StepKind.JOB and all(d <= 0 for d in v.delta):
            init = [a - d for a, d in zip(init, v.delta, strict=True)]  # on board from the start
    return build_route(vehicle, timed, travel, placed, tuple(init), vehicle.end is None, lambda s, m: s)
