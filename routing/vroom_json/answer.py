"""Write a ``Solution`` as VROOM's output JSON, and read VROOM's output back as a ``Solution``."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from routing.problem import Job, JobKind
from routing.solution import Route, Solution, Step, StepKind, Summary, Unassigned, UnassignedReason
from routing.vroom_json.document import TASK_STEPS, VroomDocument

__all__ = ["dumps", "read_output", "write_output"]


def _place(doc: VroomDocument, location: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    coords = doc.coordinates[location] if location < len(doc.coordinates) else None
    if coords is not None:
        out["location"] = [coords[0], coords[1]]
    if doc.indexed:
        out["location_index"] = location
    return out


def _amounts(job: Job) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """(delivery, pickup) amounts of a served job in VROOM's accounting."""
    zero = (0,) * len(job.amount)
    if job.pickup is not None and job.delivery is not None:
        return job.amount, job.amount
    return (zero, job.amount) if job.delivery is None else (job.amount, zero)


def _add(a: list[int], b: Sequence[int]) -> None:
    for i, x in enumerate(b):
        a[i] += x


def _step(doc: VroomDocument, route: Route, step: Step) -> tuple[dict[str, Any], int]:
    """One VROOM step and its setup seconds."""
    setup = 0
    out: dict[str, Any] = {"type": step.kind.value}
    if step.kind is StepKind.BREAK:
        out["id"] = doc.breaks[(route.vehicle_id, step.break_id or "")]
        desc = doc.descriptions.get(f"{route.vehicle_id}/{out['id']}")
    elif step.job_id is not None:
        ref = doc.tasks[(step.job_id, step.kind)]
        setup = ref.setup
        out.update(_place(doc, step.location))
        out["id"] = ref.id
        desc = ref.description
    else:
        out.update(_place(doc, step.location))
        desc = None
    if desc is not None:
        out["description"] = desc
    out.update(
        setup=setup,
        service=step.service - setup,
        waiting_time=step.waiting,
        load=list(step.load),
        arrival=step.arrival,
        duration=step.duration,
    )
    if doc.has_distances:
        out["distance"] = step.distance
    out["violations"] = []
    return out, setup


def write_output(
    doc: VroomDocument, solution: Solution, *, computing_times: Mapping[str, int] | None = None
) -> dict[str, Any]:
    """The ``Solution`` as VROOM's output JSON (``code``, ``summary``, ``unassigned``, ``routes``).

    Ids and task types are VROOM's originals; each unassigned task carries our extra
    ``reason`` and ``reason_detail``. ``computing_times`` are milliseconds
    (``loading``, ``solving``, ``routing``).
    """
    problem = doc.problem
    jobs = {j.id: j for j in problem.jobs}
    dims = problem.dimensions
    total_delivery, total_pickup, total_setup, total_priority = [0] * dims, [0] * dims, 0, 0
    routes_out: list[dict[str, Any]] = []
    for route in solution.routes:
        if not any(st.kind in TASK_STEPS for st in route.steps):
            continue  # VROOM lists used vehicles only
        delivery, pickup = [0] * dims, [0] * dims
        steps, setup, priority = [], 0, 0
        for step in route.steps:
            out, step_setup = _step(doc, route, step)
            steps.append(out)
            setup += step_setup
            job = jobs.get(step.job_id or "")
            if job is not None:
                priority += job.priority  # VROOM counts a shipment's priority at both ends
                if step.kind is not StepKind.DELIVERY:
                    d, pk = _amounts(job)
                    _add(delivery, d)
                    _add(pickup, pk)
        out_route: dict[str, Any] = {"vehicle": doc.vehicles[route.vehicle_id], "cost": route.cost}
        if route.vehicle_id in doc.descriptions:
            out_route["description"] = doc.descriptions[route.vehicle_id]
        out_route.update(
            delivery=delivery,
            amount=delivery,  # deprecated VROOM alias of delivery, still emitted by VROOM
            pickup=pickup,
            setup=setup,
            service=sum(st.service for st in route.steps) - setup,  # VROOM counts breaks as service
            duration=route.duration,
            waiting_time=route.waiting,
            priority=priority,
        )
        if doc.has_distances:
            out_route["distance"] = route.distance
        out_route["steps"] = steps
        out_route["violations"] = []
        routes_out.append(out_route)
        _add(total_delivery, delivery)
        _add(total_pickup, pickup)
        total_setup += setup
        total_priority += priority

    unassigned_out: list[dict[str, Any]] = []
    for u in solution.unassigned:
        job = jobs[u.job_id]
        kinds = (StepKind.PICKUP, StepKind.DELIVERY) if job.kind is JobKind.SHIPMENT else (StepKind.JOB,)
        for kind in kinds:
            ref = doc.tasks[(u.job_id, kind)]
            task = (
                job.pickup
                if kind is StepKind.PICKUP or (kind is StepKind.JOB and job.delivery is None)
                else job.delivery
            )
            entry: dict[str, Any] = {"id": ref.id, "type": ref.type}
            if task is not None:
                entry.update(_place(doc, task.location))
            if ref.description is not None:
                entry["description"] = ref.description
            entry.update(reason=u.reason.value, reason_detail=u.detail)
            unassigned_out.append(entry)

    s = solution.summary
    summary: dict[str, Any] = {
        "cost": s.cost,
        "routes": len(routes_out),
        "unassigned": len(unassigned_out),
        "delivery": total_delivery,
        "amount": total_delivery,
        "pickup": total_pickup,
        "setup": total_setup,
        "service": sum(r["service"] for r in routes_out),
        "duration": s.duration,
        "waiting_time": s.waiting,
        "priority": total_priority,
    }
    if doc.has_distances:
        summary["distance"] = s.distance
    summary["violations"] = []
    times = dict(computing_times or {})
    summary["computing_times"] = {
        "loading": int(times.get("loading", 0)),
        "solving": int(times.get("solving", round(s.wall_time_s * 1000))),
        "routing": int(times.get("routing", 0)),
    }
    return {"code": 0, "summary": summary, "unassigned": unassigned_out, "routes": routes_out}


def dumps(output: Mapping[str, Any]) -> str:
    """Serialise an output document the way the CLI prints it (stable, readable)."""
    return json.dumps(output, indent=2, ensure_ascii=False)


def read_output(doc: VroomDocument, output: Mapping[str, Any]) -> Solution:
    """VROOM's output JSON for ``doc`` as our ``Solution``, so VROOM's answers can be verified.

    VROOM gives breaks no location: the courier rests where the previous step was. When
    VROOM reports no distances they are filled in from ``doc``'s matrices (not a claim of
    VROOM's then). Unassigned tasks without our ``reason`` get ``not_enough_time``.
    """
    vehicle_of = {vroom_id: ours for ours, vroom_id in doc.vehicles.items()}
    task_of = {(ref.type, ref.id): (job_id, kind) for (job_id, kind), ref in doc.tasks.items()}
    break_of = {(v, vroom_id): b for (v, b), vroom_id in doc.breaks.items()}
    profile_of = {v.id: v.profile for v in doc.problem.vehicles}
    routes: list[Route] = []
    for r in output.get("routes", []):
        vehicle = vehicle_of[r["vehicle"]]
        distances = doc.problem.matrices[profile_of[vehicle]].distances
        raw_steps = r["steps"]
        steps: list[Step] = []
        distance = service = 0
        for k, st in enumerate(raw_steps):
            kind = StepKind(st["type"])
            job_id = break_id = None
            if kind is StepKind.BREAK:
                break_id = break_of[(vehicle, st["id"])]
                location = _break_location(doc, raw_steps, k, steps[-1])
            else:
                if kind in TASK_STEPS:
                    job_id = task_of[(st["type"], st["id"])][0]
                location = st["location_index"] if "location_index" in st else _index_of(doc, st["location"])
            if steps:
                distance += int(distances[steps[-1].location, location])
            work = int(st.get("setup", 0)) + int(st.get("service", 0))
            if kind is not StepKind.BREAK:
                service += work
            arrival = int(st["arrival"])
            steps.append(
                Step(
                    kind=kind,
                    location=location,
                    arrival=arrival,
                    service_start=arrival + int(st.get("waiting_time", 0)),
                    service=work,
                    load=tuple(st.get("load", ())),
                    job_id=job_id,
                    break_id=break_id,
                    distance=int(st.get("distance", distance)),
                    duration=int(st.get("duration", 0)),
                )
            )
        routes.append(
            Route(
                vehicle_id=vehicle,
                steps=tuple(steps),
                distance=int(r.get("distance", distance)),
                duration=int(r.get("duration", 0)),
                service=service,
                waiting=int(r.get("waiting_time", 0)),
                cost=int(r.get("cost", 0)),
            )
        )
    unassigned: list[Unassigned] = []
    seen: set[str] = set()
    for u in output.get("unassigned", []):
        job_id = task_of[(u["type"], u["id"])][0]
        if job_id in seen:
            continue  # both ends of a shipment are listed
        seen.add(job_id)
        reason = UnassignedReason(u["reason"]) if "reason" in u else UnassignedReason.NOT_ENOUGH_TIME
        unassigned.append(Unassigned(job_id, reason, u.get("reason_detail", "left out by VROOM (no reason given)")))
    s = output.get("summary", {})
    summary = Summary(
        cost=int(s.get("cost", sum(r.cost for r in routes))),
        routes=len(routes),
        unassigned=len(unassigned),
        distance=sum(r.distance for r in routes),
        duration=sum(r.duration for r in routes),
        service=sum(r.service for r in routes),
        waiting=sum(r.waiting for r in routes),
        wall_time_s=s.get("computing_times", {}).get("solving", 0) / 1000,
    )
    return Solution(tuple(routes), tuple(unassigned), summary)


def _break_location(doc: VroomDocument, raw_steps: Sequence[Mapping[str, Any]], k: int, prev: Step) -> int:
    """Where VROOM's courier rests: still at the previous stop, or already at the next one.

    VROOM gives a break no location; its cumulative travel time tells: unchanged since the
    previous step means 'rest, then ride', grown means the ride came first.
    """
    if int(raw_steps[k].get("duration", 0)) == prev.duration:
        return prev.location
    for st in raw_steps[k + 1 :]:
        if st["type"] != "break":
            return st["location_index"] if "location_index" in st else _index_of(doc, st["location"])
    return prev.location


def _index_of(doc: VroomDocument, lonlat: Sequence[float]) -> int:
    return doc.coordinates.index((float(lonlat[0]), float(lonlat[1])))
