"""Our ``Problem`` as a VROOM request, so VROOM can be run on exactly the same instance."""

from __future__ import annotations

from typing import Any

import numpy as np

from routing.problem import Problem, Task
from routing.solution import StepKind
from routing.vroom_json.document import TaskRef, VroomDocument

__all__ = ["write_input"]


def write_input(problem: Problem, *, matrices: bool = True) -> tuple[dict[str, Any], VroomDocument]:
    """Our ``Problem`` as a VROOM request (with matrices), e.g. to run VROOM on the same instance.

    Ids become integers in order; string skills become integers; a job locked to a vehicle
    gets a skill only that vehicle has. Two-ended jobs (office pickups/deliveries included)
    become shipments, single-location jobs become jobs. Returns the request and the
    document that maps VROOM's answer back (``read_output``). ``matrices=False`` leaves the
    (large) matrices out, for callers that hand them to VROOM as arrays.
    """
    skill_ids = {
        name: i
        for i, name in enumerate(
            sorted({s for v in problem.vehicles for s in v.skills} | {s for j in problem.jobs for s in j.skills})
        )
    }
    lock_skill = {v.id: len(skill_ids) + k for k, v in enumerate(problem.vehicles)}
    locked = {j.vehicle for j in problem.jobs if j.vehicle is not None}
    vehicles_json: list[dict[str, Any]] = []
    vehicle_ids: dict[str, int] = {}
    break_ids: dict[tuple[str, str], int] = {}
    for k, v in enumerate(problem.vehicles):
        vehicle_ids[v.id] = k
        obj: dict[str, Any] = {"id": k, "profile": v.profile, "start_index": v.start}
        if v.end is not None:
            obj["end_index"] = v.end
        skills = sorted(skill_ids[s] for s in v.skills) + ([lock_skill[v.id]] if v.id in locked else [])
        obj.update(capacity=list(v.capacity), skills=skills, time_window=[v.shift.start, v.shift.end])
        obj["breaks"] = []
        for b_index, b in enumerate(v.breaks):
            break_ids[(v.id, b.id)] = b_index
            obj["breaks"].append(
                {"id": b_index, "time_windows": [[w.start, w.end] for w in b.windows], "service": b.duration}
            )
        obj["speed_factor"] = v.speed_factor
        if v.max_tasks is not None:
            obj["max_tasks"] = v.max_tasks
        if v.max_travel_time is not None:
            obj["max_travel_time"] = v.max_travel_time
        if v.fixed_cost:
            obj["costs"] = {"fixed": v.fixed_cost}
        vehicles_json.append(obj)

    def step(task: Task, vroom_id: int) -> dict[str, Any]:
        out: dict[str, Any] = {"id": vroom_id, "location_index": task.location, "service": task.service}
        if task.time_windows:
            out["time_windows"] = [[w.start, w.end] for w in task.time_windows]
        return out

    jobs_json: list[dict[str, Any]] = []
    shipments_json: list[dict[str, Any]] = []
    tasks: dict[tuple[str, StepKind], TaskRef] = {}
    for k, job in enumerate(problem.jobs):
        skills = sorted(skill_ids[s] for s in job.skills) + ([lock_skill[job.vehicle]] if job.vehicle else [])
        common = {"skills": skills, "priority": job.priority}
        if job.pickup is not None and job.delivery is not None:
            shipments_json.append(
                {"amount": list(job.amount), **common, "pickup": step(job.pickup, k), "delivery": step(job.delivery, k)}
            )
            tasks[(job.id, StepKind.PICKUP)] = TaskRef(k, "pickup")
            tasks[(job.id, StepKind.DELIVERY)] = TaskRef(k, "delivery")
        else:
            task = job.pickup or job.delivery
            assert task is not None
            amount_key = "pickup" if job.delivery is None else "delivery"
            jobs_json.append({**step(task, k), amount_key: list(job.amount), **common})
            tasks[(job.id, StepKind.JOB)] = TaskRef(k, "job")
    request: dict[str, Any] = {"vehicles": vehicles_json, "jobs": jobs_json, "shipments": shipments_json}
    if matrices:
        request["matrices"] = {
            profile: {"durations": np.asarray(m.durations).tolist(), "distances": np.asarray(m.distances).tolist()}
            for profile, m in problem.matrices.items()
        }
    coordinates = tuple(
        (loc.lon, loc.lat) if loc.lon is not None and loc.lat is not None else None for loc in problem.locations
    )
    doc = VroomDocument(problem, vehicle_ids, tasks, break_ids, coordinates, indexed=True, has_distances=True)
    return request, doc
