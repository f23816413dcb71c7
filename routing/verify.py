"""An independent feasibility check of a ``Solution`` against its ``Problem``.

The solver is OR-Tools; this module deliberately is not (STYLE point 12). It replays
every route from the problem's own data — matrices, windows, shifts, breaks, amounts —
and lists every rule a route breaks, so a modelling bug cannot hide behind a good
objective value. It is used by the tests, by the benchmarks (on our solutions and on
VROOM's and PyVRP's, converted to ``Solution``) and by anyone auditing a plan.

Timing rules replayed (the solver's contract)
---------------------------------------------
* Travel from ``a`` to ``b`` for a vehicle takes ``travel_time(durations[a, b], speed_factor)``
  seconds: the matrix value divided by the speed factor, rounded half to even
  (``round``/``numpy.rint``), the rule the solver uses when it builds its transit callbacks.
* ``arrival = previous service_start + previous service + travel`` (no idling on the road:
  waiting happens at the stop, before service), ``service_start >= arrival``, and the
  service start lies inside one of the task's windows (no window means any time).
* A break is a step where the courier rests: at the previous stop (rest, then ride), on
  arrival at the next one (ride, then rest) or mid-ride (OR-Tools' and VROOM's break
  models allow it); its ``service`` is the break's duration and its *start* lies inside
  one of the break's windows (VROOM's meaning). On a leg with breaks the next arrival lies
  between riding as early as possible around the breaks and resting first, then riding.
  ``Route.service`` counts task service only; time spent on breaks is neither service nor
  travel (waiting before a break is waiting).
* The route's ``START`` departs no earlier than the shift start; the ``END`` arrival (or,
  for an open route, the end of the last service) is no later than the shift end.
* ``Step.load`` is the load after the step; a single-location delivery (``pickup is None``)
  is on board from the start, a single-location pickup stays on board to the end.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

import numpy as np

from routing.schedule import travel_time, travel_times
from routing.solution import Solution, StepKind

if TYPE_CHECKING:
    from routing.problem import Job, Problem, Task, TimeWindow, Vehicle
    from routing.solution import Route, Step

__all__ = ["Rule", "Violation", "travel_time", "travel_times", "verify", "verify_route"]

_TASK_STEPS = (StepKind.PICKUP, StepKind.DELIVERY, StepKind.JOB)


class Rule(StrEnum):
    """Which rule a violation breaks: what a caller decides on (the message is for people)."""

    ROUTE = "route"  # shape: start/end steps and places, unknown or repeated vehicle
    SCHEDULE = "schedule"  # times that do not follow the timing rule (travel, waiting, where a rest is taken)
    TIME_WINDOW = "time_window"  # a task served outside its booked windows
    SHIFT = "shift"  # work outside the courier's shift
    BREAK = "break"  # a rest missing, repeated, too short or outside its windows
    CAPACITY = "capacity"  # more on board than the box holds
    LOAD = "load"  # a reported or negative load that the replay does not give
    TASK = "task"  # a step that does not match its job (unknown job, wrong end, place or service)
    SKILL = "skill"
    LOCK = "lock"  # a job locked to another courier
    MAX_TASKS = "max_tasks"
    MAX_TRAVEL_TIME = "max_travel_time"
    ACCOUNTING = "accounting"  # a job not served exactly once (pickup first, one courier) nor listed unassigned
    TOTALS = "totals"  # reported distances, durations or summary figures that do not add up
    FIXED_PREFIX = "fixed_prefix"  # a re-plan that changed what was already done


@dataclass(frozen=True, slots=True)
class Violation:
    """One broken rule: ``vehicle`` and ``step`` (index into that route's steps) say where, when known.

    ``str()`` is the message, a sentence in English with the numbers behind it.
    """

    rule: Rule
    vehicle: str | None
    step: int | None
    message: str

    def __str__(self) -> str:
        return self.message


def _windows(windows: Sequence[TimeWindow]) -> str:
    return ", ".join(f"[{w.start}, {w.end}]" for w in windows)


def _in_windows(t: int, windows: Sequence[TimeWindow]) -> bool:
    return not windows or any(w.contains(t) for w in windows)


def _task_for(job: Job, kind: StepKind) -> Task | None:
    """The job task a step of ``kind`` performs, or ``None`` if that kind does not fit the job."""
    if job.pickup is not None and job.delivery is not None:
        return {StepKind.PICKUP: job.pickup, StepKind.DELIVERY: job.delivery}.get(kind)
    return (job.pickup or job.delivery) if kind is StepKind.JOB else None


def _load_change(job: Job, kind: StepKind) -> int:
    """+1 when the step puts the job's amount on board, -1 when it takes it off."""
    if kind is StepKind.PICKUP or (kind is StepKind.JOB and job.delivery is None):
        return 1
    return -1


def _label(index: int, step: Step) -> str:
    what = step.job_id if step.job_id is not None else step.break_id
    return f"step {index} ({step.kind.value}{f' {what!r}' if what is not None else ''})"


def verify(
    problem: Problem,
    solution: Solution,
    *,
    fixed_prefix: Mapping[str, Sequence[Step]] | None = None,
) -> list[Violation]:
    """List every rule of ``problem`` that ``solution`` breaks.

    Parameters
    ----------
    problem
        The problem as given to the solver.
    solution
        Any solution over that problem (ours, or a peer solver's converted one).
    fixed_prefix
        For re-plans: vehicle id -> the steps already done or under way (``Replan.prefixes``).
        The vehicle's route must begin with exactly these steps (kind, job/break, location,
        arrival, service start); a vehicle named here must have a route. The prefix is
        history, not plan: its steps and the first step after it may arrive later than the
        replay (the courier left late, a planned stop in between did not happen), never
        earlier; everything else is checked as for any plan.

    Returns
    -------
    list of Violation
        Every broken rule, with the route and step where it is broken and a message
        naming the numbers involved; an empty list means the solution is feasible and
        its reported figures are exact.
    """
    problems: list[Violation] = []
    jobs = {j.id: j for j in problem.jobs}
    vehicles = {v.id: v for v in problem.vehicles}
    served: dict[str, list[tuple[str, int, StepKind]]] = defaultdict(list)

    seen_vehicles: set[str] = set()
    for route in solution.routes:
        where = f"route {route.vehicle_id!r}"
        vehicle = vehicles.get(route.vehicle_id)
        if vehicle is None:
            problems.append(Violation(Rule.ROUTE, route.vehicle_id, None, f"{where}: unknown vehicle"))
            continue
        if route.vehicle_id in seen_vehicles:
            problems.append(Violation(Rule.ROUTE, route.vehicle_id, None, f"{where}: vehicle has more than one route"))
        seen_vehicles.add(route.vehicle_id)
        _note_served(route, served)
        prefix = (fixed_prefix or {}).get(route.vehicle_id)
        problems += _check_route(problem, vehicle, route, jobs, len(prefix) if prefix else None)

    problems += _check_accounting(solution, jobs, served)
    problems += _check_summary(solution)
    for vehicle_id, prefix in (fixed_prefix or {}).items():
        problems += _check_prefix(solution, vehicle_id, prefix)
    return problems


def verify_route(problem: Problem, route: Route) -> list[Violation]:
    """What ``route`` alone breaks: the rules of ``verify`` that concern its own steps and jobs.

    For an edit or an insertion, where the other couriers' routes and the day's accounting are
    not the question. The work is the route's, not the day's: searches call this per candidate.
    """
    vehicle = next((v for v in problem.vehicles if v.id == route.vehicle_id), None)
    if vehicle is None:
        return [Violation(Rule.ROUTE, route.vehicle_id, None, f"route {route.vehicle_id!r}: unknown vehicle")]
    served: dict[str, list[tuple[str, int, StepKind]]] = defaultdict(list)
    _note_served(route, served)
    jobs = {j.id: j for j in problem.jobs}
    own = {job_id: job for job_id, job in jobs.items() if job_id in served}
    return _check_route(problem, vehicle, route, jobs) + _check_accounting(Solution.of([route]), own, served)


def _note_served(route: Route, served: dict[str, list[tuple[str, int, StepKind]]]) -> None:
    """Add ``route``'s task steps to ``served``: job id -> (vehicle, step index, kind) per visit."""
    for i, step in enumerate(route.steps):
        if step.kind in _TASK_STEPS:
            served[step.job_id or ""].append((route.vehicle_id, i, step.kind))


def _check_route(
    problem: Problem, vehicle: Vehicle, route: Route, jobs: Mapping[str, Job], resume: int | None = None
) -> list[Violation]:
    """Replay one route: sequence, times, breaks, loads, skills, limits and reported totals.

    ``resume`` is the index of the first step after a re-plan's fixed prefix: up to there the
    day has happened, and it may have happened later than the replay (the courier was held
    up, a stop planned in between was not carried out): those arrivals may be late, never early.
    """
    vid = route.vehicle_id
    where = f"route {vid!r}"
    out: list[Violation] = []

    def flag(rule: Rule, step: int | None, message: str) -> None:
        out.append(Violation(rule, vid, step, message))

    steps = route.steps
    if not steps or steps[0].kind is not StepKind.START:
        return [Violation(Rule.ROUTE, vid, 0, f"{where}: does not begin with a start step")]
    if steps[0].location != vehicle.start:
        flag(Rule.ROUTE, 0, f"{where}: starts at location {steps[0].location}, vehicle starts at {vehicle.start}")
    has_end = steps[-1].kind is StepKind.END
    if vehicle.end is not None and not has_end:
        flag(Rule.ROUTE, len(steps) - 1, f"{where}: does not finish with an end step")
    if has_end and vehicle.end is not None and steps[-1].location != vehicle.end:
        flag(
            Rule.ROUTE, len(steps) - 1, f"{where}: ends at location {steps[-1].location}, vehicle ends at {vehicle.end}"
        )
    for i, step in enumerate(steps[1:-1] if has_end else steps[1:], start=1):
        if step.kind in (StepKind.START, StepKind.END):
            flag(Rule.ROUTE, i, f"{where}: {_label(i, step)} in the middle of the route")

    matrix = problem.matrices[vehicle.profile]
    breaks = {b.id: b for b in vehicle.breaks}
    capacity = np.asarray(vehicle.capacity, dtype=np.int64)

    # a single-location delivery is loaded at the start; find those on this route first
    load = np.zeros(len(vehicle.capacity), dtype=np.int64)
    for step in steps:
        job = jobs.get(step.job_id or "")
        if step.kind is StepKind.JOB and job is not None and job.pickup is None:
            load += np.asarray(job.amount, dtype=np.int64)
    if (load > capacity).any():
        flag(
            Rule.CAPACITY,
            0,
            f"{where}: start load {tuple(int(x) for x in load)} exceeds capacity {tuple(vehicle.capacity)}",
        )

    distance = duration = service = waiting = tasks = 0
    break_count: Counter[str] = Counter()
    anchor = steps[0]  # the last step that is not a break: legs run between such steps
    resting: list[tuple[int, Step]] = []  # breaks taken since the anchor
    for i, step in enumerate(steps):
        label = f"{where} {_label(i, step)}"
        if i and step.kind is not StepKind.BREAK:
            leg = travel_time(int(matrix.durations[anchor.location, step.location]), vehicle.speed_factor)
            metres = int(matrix.distances[anchor.location, step.location])
            late_ok = resume is not None and i <= resume
            out += _check_leg(vid, anchor, resting, (i, step), (leg, metres), (duration, distance), late_ok)
            distance += metres
            duration += leg
            resting = []
        if step.service_start < step.arrival:
            flag(Rule.SCHEDULE, i, f"{label}: service starts at {step.service_start}, before arrival {step.arrival}")
        waiting += step.service_start - step.arrival
        if step.kind is not StepKind.BREAK:
            service += step.service
            if step.distance != distance:
                flag(Rule.TOTALS, i, f"{label}: reported cumulative distance {step.distance}, recomputed {distance}")
            if step.duration != duration:
                flag(Rule.TOTALS, i, f"{label}: reported cumulative travel time {step.duration}, recomputed {duration}")
        if not vehicle.shift.start <= step.service_start <= vehicle.shift.end:
            flag(
                Rule.SHIFT,
                i,
                f"{label}: at {step.service_start}, outside the shift [{vehicle.shift.start}, {vehicle.shift.end}]",
            )

        if step.kind is StepKind.BREAK:
            resting.append((i, step))
            brk = breaks.get(step.break_id or "")
            if brk is None:
                flag(Rule.BREAK, i, f"{label}: vehicle has no break {step.break_id!r}")
            else:
                break_count[brk.id] += 1
                if step.service != brk.duration:
                    flag(Rule.BREAK, i, f"{label}: lasts {step.service}, the break needs {brk.duration}")
                if not _in_windows(step.service_start, brk.windows):
                    windows = _windows(brk.windows)
                    flag(Rule.BREAK, i, f"{label}: starts at {step.service_start}, outside its windows {windows}")
        elif step.kind in _TASK_STEPS:
            tasks += 1
            out += _check_task(vid, i, label, vehicle, step, jobs.get(step.job_id or ""), load, capacity)
        if step.kind is StepKind.END and vehicle.end is None and i and step.location != anchor.location:
            flag(Rule.ROUTE, i, f"{label}: open route ends at {step.location}, away from the last stop")
        if tuple(int(x) for x in load) != tuple(step.load):
            flag(Rule.LOAD, i, f"{label}: reported load {tuple(step.load)}, recomputed {tuple(int(x) for x in load)}")
        if step.kind is not StepKind.BREAK:
            anchor = step
    if resting:  # breaks after the last stop of an open route
        out += _check_leg(vid, anchor, resting, None, (0, 0), (duration, distance), False)

    last = steps[-1]
    finish = last.arrival if has_end else last.service_start + last.service
    if finish > vehicle.shift.end:
        flag(Rule.SHIFT, len(steps) - 1, f"{where}: finishes at {finish}, after the shift ends at {vehicle.shift.end}")
    for brk in vehicle.breaks:
        if break_count[brk.id] != 1:
            flag(
                Rule.BREAK, None, f"{where}: break {brk.id!r} taken {break_count[brk.id]} times, expected exactly once"
            )
    if vehicle.max_tasks is not None and tasks > vehicle.max_tasks:
        flag(Rule.MAX_TASKS, None, f"{where}: {tasks} tasks, more than max_tasks {vehicle.max_tasks}")
    if vehicle.max_travel_time is not None and duration > vehicle.max_travel_time:
        flag(
            Rule.MAX_TRAVEL_TIME,
            None,
            f"{where}: travels {duration} s, more than max_travel_time {vehicle.max_travel_time}",
        )
    for name, reported, actual in (
        ("distance", route.distance, distance),
        ("duration", route.duration, duration),
        ("service", route.service, service),
        ("waiting", route.waiting, waiting),
    ):
        if reported != actual:
            flag(Rule.TOTALS, None, f"{where}: reported {name} {reported}, recomputed {actual}")
    return out


def _check_leg(
    vid: str,
    start: Step,
    resting: Sequence[tuple[int, Step]],
    end: tuple[int, Step] | None,
    leg: tuple[int, int],
    before: tuple[int, int],
    resume: bool,
) -> list[Violation]:
    """One ride from ``start`` to ``end`` (the next non-break step) with the breaks taken on the way.

    Without breaks the arrival is exactly departure + travel. With breaks the courier may
    rest at the stop, on arrival at the next one, or mid-ride (as OR-Tools' and VROOM's
    break models allow): the arrival must lie between riding as early as possible around
    the breaks and resting first, then riding the whole leg.
    """
    where = f"route {vid!r}"
    travel, metres = leg
    duration_before, distance_before = before
    out: list[Violation] = []
    departure = start.service_start + start.service
    t, left, free = departure, travel, departure
    nxt = end[1] if end else None
    for i, b in resting:
        label = f"{where} {_label(i, b)}"
        places = (start.location,) if nxt is None else (start.location, nxt.location)
        if b.location not in places:
            out.append(
                Violation(
                    Rule.SCHEDULE,
                    vid,
                    i,
                    f"{label}: at location {b.location}, neither where the courier was ({start.location}) "
                    f"nor the next stop ({nxt.location if nxt else None})",
                )
            )
        if b.arrival < free:
            out.append(
                Violation(Rule.SCHEDULE, vid, i, f"{label}: arrival {b.arrival}, before the courier is free at {free}")
            )
        if not duration_before <= b.duration <= duration_before + travel:
            message = f"{label}: reported cumulative travel time {b.duration}, outside the leg's {duration_before}.."
            out.append(Violation(Rule.TOTALS, vid, i, message))
        if not distance_before <= b.distance <= distance_before + metres:
            message = f"{label}: reported cumulative distance {b.distance}, outside the leg's {distance_before}.."
            out.append(Violation(Rule.TOTALS, vid, i, message))
        ride = min(left, max(0, b.service_start - t))
        t, left = max(t + ride, b.service_start) + b.service, left - ride
        free = max(free, b.service_start + b.service)
    if end is None:
        return out
    i, nxt = end
    earliest, latest = t + left, free + travel
    if nxt.arrival < earliest or (nxt.arrival > latest and not resume):
        label = f"{where} {_label(i, nxt)}"
        if resting:
            message = (
                f"{label}: arrival {nxt.arrival}, but leaving at {departure} with {travel} s of travel "
                f"around the breaks allows {earliest}..{latest}"
            )
        else:
            message = (
                f"{label}: arrival {nxt.arrival}, but previous service ends at {departure} "
                f"and travel takes {travel} (expected {earliest})"
            )
        out.append(Violation(Rule.SCHEDULE, vid, i, message))
    return out


def _check_task(
    vid: str,
    i: int,
    label: str,
    vehicle: Vehicle,
    step: Step,
    job: Job | None,
    load: np.ndarray,
    capacity: np.ndarray,
) -> list[Violation]:
    """One job step: right task, place, service, window, skills, lock; updates ``load`` in place."""
    if job is None:
        return [Violation(Rule.TASK, vid, i, f"{label}: unknown job")]
    task = _task_for(job, step.kind)
    if task is None:
        message = f"{label}: a {job.kind.value} job cannot be served by a {step.kind.value} step"
        return [Violation(Rule.TASK, vid, i, message)]
    out: list[Violation] = []

    def flag(rule: Rule, message: str) -> None:
        out.append(Violation(rule, vid, i, f"{label}: {message}"))

    if step.location != task.location:
        flag(Rule.TASK, f"at location {step.location}, the task is at {task.location}")
    if step.service != task.service:
        flag(Rule.TASK, f"service {step.service}, the task needs {task.service}")
    if not _in_windows(step.service_start, task.time_windows):
        flag(Rule.TIME_WINDOW, f"service starts at {step.service_start}, outside {_windows(task.time_windows)}")
    if not job.skills <= vehicle.skills:
        flag(Rule.SKILL, f"vehicle lacks skills {sorted(job.skills - vehicle.skills)}")
    if job.vehicle is not None and job.vehicle != vehicle.id:
        flag(Rule.LOCK, f"job is locked to vehicle {job.vehicle!r}")
    load += _load_change(job, step.kind) * np.asarray(job.amount, dtype=np.int64)
    if (load < 0).any():
        flag(Rule.LOAD, f"load {tuple(int(x) for x in load)} is negative")
    if (load > capacity).any():
        flag(Rule.CAPACITY, f"load {tuple(int(x) for x in load)} exceeds capacity {tuple(vehicle.capacity)}")
    return out


def _check_accounting(
    solution: Solution, jobs: Mapping[str, Job], served: Mapping[str, list[tuple[str, int, StepKind]]]
) -> list[Violation]:
    """Every job served completely on one vehicle (pickup first) or listed once as unassigned."""
    out: list[Violation] = []

    def flag(job_id: str, message: str, vehicle: str | None = None, step: int | None = None) -> None:
        out.append(Violation(Rule.ACCOUNTING, vehicle, step, f"job {job_id!r}: {message}"))

    unassigned = Counter(u.job_id for u in solution.unassigned)
    for job_id in sorted(set(served) - set(jobs)):
        vehicle, index, _ = served[job_id][0]
        flag(job_id, "served but not in the problem", vehicle, index)
    for job_id in sorted(set(unassigned) - set(jobs)):
        flag(job_id, "unassigned but not in the problem")
    for job_id, job in jobs.items():
        visits = served.get(job_id, [])
        where = visits[0][:2] if visits else (None, None)
        if unassigned[job_id] > 1:
            flag(job_id, f"listed {unassigned[job_id]} times as unassigned")
        if visits and unassigned[job_id]:
            flag(job_id, "both served and unassigned", *where)
        if not visits and not unassigned[job_id]:
            flag(job_id, "neither served nor unassigned")
        if not visits:
            continue
        kinds = Counter(kind for _, _, kind in visits)
        two_ends = job.pickup is not None and job.delivery is not None
        expected = Counter({StepKind.PICKUP: 1, StepKind.DELIVERY: 1}) if two_ends else Counter({StepKind.JOB: 1})
        if kinds != expected:
            got = ", ".join(f"{n} {k.value}" for k, n in sorted(kinds.items()))
            want = "one pickup and one delivery" if two_ends else "one job step"
            flag(job_id, f"served by {got}; expected {want}", *where)
            continue
        if two_ends:
            at = {kind: (vehicle, index) for vehicle, index, kind in visits}
            (pv, pi), (dv, di) = at[StepKind.PICKUP], at[StepKind.DELIVERY]
            if pv != dv:
                flag(job_id, f"picked up by {pv!r} but delivered by {dv!r}", dv, di)
            elif pi > di:
                flag(job_id, f"delivered (step {di}) before it is picked up (step {pi})", dv, di)
    return out


def _check_summary(solution: Solution) -> list[Violation]:
    """The summary adds up the routes."""
    s, routes = solution.summary, solution.routes
    out: list[Violation] = []
    for name, reported, actual in (
        ("routes", s.routes, len(routes)),
        ("unassigned", s.unassigned, len(solution.unassigned)),
        ("distance", s.distance, sum(r.distance for r in routes)),
        ("duration", s.duration, sum(r.duration for r in routes)),
        ("service", s.service, sum(r.service for r in routes)),
        ("waiting", s.waiting, sum(r.waiting for r in routes)),
    ):
        if reported != actual:
            out.append(
                Violation(Rule.TOTALS, None, None, f"summary: reported {name} {reported}, routes add up to {actual}")
            )
    return out


def _check_prefix(solution: Solution, vehicle_id: str, prefix: Sequence[Step]) -> list[Violation]:
    """A re-plan keeps what is done or under way: the route begins with the fixed steps."""
    route = next((r for r in solution.routes if r.vehicle_id == vehicle_id), None)
    where = f"route {vehicle_id!r}"
    if route is None:
        message = f"{where}: has a fixed prefix of {len(prefix)} steps but no route"
        return [Violation(Rule.FIXED_PREFIX, vehicle_id, None, message)]
    out: list[Violation] = []
    for i, fixed in enumerate(prefix):
        if i >= len(route.steps):
            out.append(Violation(Rule.FIXED_PREFIX, vehicle_id, i, f"{where}: ends before fixed {_label(i, fixed)}"))
            break
        step = route.steps[i]
        key = (step.kind, step.job_id, step.break_id, step.location, step.arrival, step.service_start)
        want = (fixed.kind, fixed.job_id, fixed.break_id, fixed.location, fixed.arrival, fixed.service_start)
        if key != want:
            message = f"{where} {_label(i, step)}: differs from fixed {_label(i, fixed)}"
            out.append(Violation(Rule.FIXED_PREFIX, vehicle_id, i, message))
    return out
