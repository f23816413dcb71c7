"""Read a VROOM request into a ``VroomDocument``, strictly (every error names its JSON path)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from routing.problem import Break, Job, JobKind, Location, Matrix, Problem, ProblemError, Task, TimeWindow, Vehicle
from routing.solution import StepKind
from routing.vroom_json.checks import (
    _coords,
    _int,
    _list,
    _obj,
    _skills,
    _square,
    _str,
    _window,
    _windows,
)
from routing.vroom_json.document import DEFAULT_PROFILE, TaskRef, VroomDocument, VroomInputError

__all__ = ["load_input", "parse_input"]

MAX_SPEED_FACTOR = 5.0  # VROOM accepts speed factors in (0, 5]

_VEHICLE_KEYS = {
    "id", "profile", "description", "start", "start_index", "end", "end_index", "capacity", "costs",
    "skills", "time_window", "breaks", "speed_factor", "max_tasks", "max_travel_time",
}  # fmt: skip
_JOB_KEYS = {
    "id", "description", "location", "location_index", "setup", "service", "delivery", "pickup", "skills",
    "priority", "time_windows",
}  # fmt: skip
_SHIPMENT_KEYS = {"amount", "skills", "priority", "pickup", "delivery"}
_STEP_KEYS = {"id", "description", "location", "location_index", "setup", "service", "time_windows"}
_BREAK_KEYS = {"id", "description", "time_windows", "service", "max_load"}
_COST_KEYS = {"fixed", "per_hour", "per_km"}
_MATRIX_KEYS = {"durations", "distances"}
_TOP_KEYS = {"jobs", "shipments", "vehicles", "matrices", "matrix"}
# documented VROOM keys that AJIB does not model: rejected with "not supported" instead of "unknown"
_UNSUPPORTED = {
    "vehicles": {"max_distance": "a distance limit", "steps": "plan mode", "type": "vehicle types"},
    "jobs": {"setup_per_type": "vehicle types", "service_per_type": "vehicle types", "amount": "deprecated"},
    "steps": {"setup_per_type": "vehicle types", "service_per_type": "vehicle types"},
    "matrices": {"costs": "custom cost matrices"},
    "top": {"options": "solver options are command-line flags here"},
}


class _Parser:
    """One pass over a VROOM request; collects places first, then builds the ``Problem``."""

    def __init__(self, data: Any) -> None:
        self.data = _obj(data, "", _TOP_KEYS, _UNSUPPORTED["top"])
        self.matrices_json = self.data.get("matrices")
        legacy = self.data.get("matrix")
        if self.matrices_json is not None and legacy is not None:
            raise VroomInputError("matrix", "give either 'matrices' or the legacy 'matrix', not both")
        self.legacy = legacy
        self.indexed = self.matrices_json is not None or legacy is not None
        # given matrices by profile (None = the legacy matrix, for every profile) and their size
        self.given: dict[str | None, Matrix] = {}
        self.size = 0
        self.has_distances = True
        if self.indexed:
            self._read_matrices()
        self.coords: dict[Any, tuple[float, float]] = {}  # index (indexed) or coordinates -> lon/lat
        self.places: list[Any] = []  # coordinate mode: distinct coordinates in order of appearance
        self.place_of: dict[tuple[float, float], int] = {}
        self.dims: tuple[int, str] | None = None  # (dimensions, path that fixed them)
        self.notes: list[str] = []
        self.max_time = 0

    def _read_matrices(self) -> None:
        if self.legacy is not None:
            durations = _square(self.legacy, "matrix", None)
            self.given[None] = Matrix(durations=durations, distances=np.zeros_like(durations))
            self.size, self.has_distances = len(durations), False
            return
        raw = self.matrices_json
        if not isinstance(raw, dict) or not raw:
            raise VroomInputError("matrices", "expected an object with one entry per vehicle profile")
        n: int | None = None
        for profile, entry in raw.items():
            where = f"matrices.{profile}"
            obj = _obj(entry, where, _MATRIX_KEYS, _UNSUPPORTED["matrices"])
            if "durations" not in obj:
                raise VroomInputError(f"{where}.durations", "required (AJIB needs travel times)")
            durations = _square(obj["durations"], f"{where}.durations", n)
            n = len(durations)
            if "distances" in obj:
                distances = _square(obj["distances"], f"{where}.distances", n)
            else:
                distances, self.has_distances = np.zeros_like(durations), False
            self.given[profile] = Matrix(durations=durations, distances=distances)
        self.size = n or 0

    # places -----------------------------------------------------------------
    def place(self, obj: dict[str, Any], path: str, key: str, required: bool = True) -> int | None:
        """The location index of ``obj``'s ``key`` (``location``) / ``key_index`` (``location_index``)."""
        index_key = f"{key}_index"
        has_coords, has_index = key in obj, index_key in obj
        lonlat = _coords(obj[key], f"{path}.{key}") if has_coords else None
        if self.indexed:
            if not has_index:
                if not required and not has_coords:
                    return None
                raise VroomInputError(f"{path}.{index_key}", "required when a matrix is given")
            index = _int(obj[index_key], f"{path}.{index_key}", 0, self.size - 1)
            if lonlat is not None:
                self.coords.setdefault(index, lonlat)
            return index
        if has_index:
            raise VroomInputError(f"{path}.{index_key}", "needs a custom matrix ('matrices')")
        if lonlat is None:
            if not required:
                return None
            raise VroomInputError(f"{path}.{key}", "required (coordinates [lon, lat])")
        if lonlat not in self.place_of:
            self.place_of[lonlat] = len(self.places)
            self.places.append(lonlat)
        return self.place_of[lonlat]

    def amount(self, obj: dict[str, Any], key: str, path: str) -> tuple[int, ...] | None:
        if key not in obj:
            return None
        where = f"{path}.{key}"
        values = tuple(_int(v, f"{where}[{i}]") for i, v in enumerate(_list(obj[key], where)))
        if self.dims is None:
            self.dims = (len(values), where)
        elif len(values) != self.dims[0]:
            raise VroomInputError(where, f"has {len(values)} dimensions, {self.dims[1]} has {self.dims[0]}")
        return values

    def zeros(self) -> tuple[int, ...]:
        return (0,) * (self.dims[0] if self.dims else 0)

    def time(self, windows: Sequence[TimeWindow]) -> Sequence[TimeWindow]:
        for w in windows:
            self.max_time = max(self.max_time, w.end)
        return windows

    # entities ---------------------------------------------------------------
    def task(self, obj: dict[str, Any], path: str) -> tuple[Task, int, str | None]:
        """A job or shipment step: (task with setup folded into service, setup, description)."""
        location = self.place(obj, path, "location")
        assert location is not None
        setup = _int(obj.get("setup", 0), f"{path}.setup")
        service = _int(obj.get("service", 0), f"{path}.service")
        windows = self.time(_windows(obj["time_windows"], f"{path}.time_windows")) if "time_windows" in obj else ()
        description = _str(obj["description"], f"{path}.description") if "description" in obj else None
        return Task(location, tuple(windows), setup + service), setup, description


def _unique(ids: dict[int, str], value: int, path: str, what: str) -> None:
    if value in ids:
        raise VroomInputError(path, f"duplicate {what} id {value} (also at {ids[value]})")
    ids[value] = path


def parse_input(data: Any, travel: Any | None = None) -> VroomDocument:
    """Translate a decoded VROOM request into a ``VroomDocument``.

    Parameters
    ----------
    data
        The request as decoded JSON (``dict``).
    travel
        A ``TravelModel`` used when places come as coordinates without a matrix;
        defaults to ``routing.travel.HaversineTravel()``.

    Returns
    -------
    VroomDocument
        The ``Problem`` plus the id mappings needed to answer in VROOM's terms.

    Raises
    ------
    VroomInputError
        For unknown keys, wrong types, bad values and unsupported features, with the JSON path.
    """
    p = _Parser(data)
    raw_vehicles = _list(p.data.get("vehicles", []), "vehicles")
    if not raw_vehicles:
        raise VroomInputError("vehicles", "at least one vehicle is required")
    raw_jobs = _list(p.data.get("jobs", []), "jobs")
    raw_shipments = _list(p.data.get("shipments", []), "shipments")

    specs, breaks, descriptions = _vehicles(p, raw_vehicles)  # first: offices lead the location list
    tasks: dict[tuple[str, StepKind], TaskRef] = {}
    jobs: list[Job] = []
    job_ids: dict[int, str] = {}
    for i, raw in enumerate(raw_jobs):
        path = f"jobs[{i}]"
        obj = _obj(raw, path, _JOB_KEYS, _UNSUPPORTED["jobs"])
        if "id" not in obj:
            raise VroomInputError(f"{path}.id", "required")
        vid = _int(obj["id"], f"{path}.id")
        _unique(job_ids, vid, path, "job")
        task, setup, description = p.task(obj, path)
        delivery, pickup = p.amount(obj, "delivery", path), p.amount(obj, "pickup", path)
        if delivery and pickup and any(delivery) and any(pickup):
            raise VroomInputError(path, "both delivery and pickup amounts are non-zero: not supported (split the job)")
        jid = f"job-{vid}"
        carried = pickup if pickup and any(pickup) else None
        jobs.append(
            Job(
                id=jid,
                kind=JobKind.PICKUP if carried else JobKind.DELIVERY,
                pickup=task if carried else None,
                delivery=None if carried else task,
                amount=carried or delivery or (),
                skills=_skills(obj["skills"], f"{path}.skills") if "skills" in obj else frozenset(),
                priority=_int(obj.get("priority", 0), f"{path}.priority", 0, 100),
            )
        )
        tasks[(jid, StepKind.JOB)] = TaskRef(vid, "job", setup, description)

    pickup_ids: dict[int, str] = {}
    delivery_ids: dict[int, str] = {}
    for i, raw in enumerate(raw_shipments):
        path = f"shipments[{i}]"
        obj = _obj(raw, path, _SHIPMENT_KEYS)
        ends: dict[str, tuple[Task, int, str | None, int]] = {}
        for end, seen in (("pickup", pickup_ids), ("delivery", delivery_ids)):
            where = f"{path}.{end}"
            if end not in obj:
                raise VroomInputError(where, "required")
            step = _obj(obj[end], where, _STEP_KEYS, _UNSUPPORTED["steps"])
            if "id" not in step:
                raise VroomInputError(f"{where}.id", "required")
            vid = _int(step["id"], f"{where}.id")
            _unique(seen, vid, where, end)
            ends[end] = (*p.task(step, where), vid)
        jid = f"shipment-{ends['pickup'][3]}"
        jobs.append(
            Job(
                id=jid,
                kind=JobKind.SHIPMENT,
                pickup=ends["pickup"][0],
                delivery=ends["delivery"][0],
                amount=p.amount(obj, "amount", path) or (),
                skills=_skills(obj["skills"], f"{path}.skills") if "skills" in obj else frozenset(),
                priority=_int(obj.get("priority", 0), f"{path}.priority", 0, 100),
            )
        )
        for end, kind in (("pickup", StepKind.PICKUP), ("delivery", StepKind.DELIVERY)):
            task, setup, description, vid = ends[end]
            tasks[(jid, kind)] = TaskRef(vid, end, setup, description)

    # amounts left out mean zero in every dimension (VROOM's rule)
    zeros = p.zeros()
    jobs = [j if j.amount else replace(j, amount=zeros) for j in jobs]
    locations, matrices, coordinates = _matrices(p, specs, travel)
    horizon = _horizon(p, jobs, specs, matrices)
    vehicles = []
    for spec in specs:
        shift = spec.pop("shift") or TimeWindow(0, horizon)
        spec["breaks"] = tuple(Break(bid, windows or (shift,), duration) for bid, windows, duration in spec["breaks"])
        vehicles.append(Vehicle(shift=shift, capacity=spec.pop("capacity") or zeros, **spec))
    try:
        problem = Problem(tuple(locations), tuple(vehicles), tuple(jobs), matrices)
    except ProblemError as exc:
        raise VroomInputError("", str(exc)) from None
    return VroomDocument(
        problem=problem,
        vehicles={v.id: int(v.id) for v in vehicles},
        tasks=tasks,
        breaks=breaks,
        coordinates=tuple(coordinates),
        indexed=p.indexed,
        has_distances=p.has_distances,
        descriptions=descriptions,
        notes=tuple(p.notes),
    )


def _vehicles(
    p: _Parser, raw_vehicles: list[Any]
) -> tuple[list[dict[str, Any]], dict[tuple[str, str], int], dict[str, str]]:
    """Vehicle fields by name; ``shift`` and break windows stay ``None`` where VROOM means 'unbounded'."""
    vehicles: list[dict[str, Any]] = []
    breaks: dict[tuple[str, str], int] = {}
    descriptions: dict[str, str] = {}
    ids: dict[int, str] = {}
    for i, raw in enumerate(raw_vehicles):
        path = f"vehicles[{i}]"
        obj = _obj(raw, path, _VEHICLE_KEYS, _UNSUPPORTED["vehicles"])
        if "id" not in obj:
            raise VroomInputError(f"{path}.id", "required")
        vid = _int(obj["id"], f"{path}.id")
        _unique(ids, vid, path, "vehicle")
        start = p.place(obj, path, "start", required=False)
        if start is None:
            raise VroomInputError(f"{path}.start", "required: AJIB routes begin at a known place")
        end = p.place(obj, path, "end", required=False)
        if "description" in obj:
            descriptions[str(vid)] = _str(obj["description"], f"{path}.description")
        fixed_cost = 0
        if "costs" in obj:
            costs = _obj(obj["costs"], f"{path}.costs", _COST_KEYS)
            fixed_cost = _int(costs.get("fixed", 0), f"{path}.costs.fixed")
            for key, default in (("per_hour", 3600), ("per_km", 0)):
                if key in costs and _int(costs[key], f"{path}.costs.{key}") != default:
                    raise VroomInputError(
                        f"{path}.costs.{key}", f"only VROOM's default {default} is supported (AJIB costs travel time)"
                    )
        speed = obj.get("speed_factor", 1.0)
        if isinstance(speed, bool) or not isinstance(speed, int | float) or not 0 < speed <= MAX_SPEED_FACTOR:
            raise VroomInputError(f"{path}.speed_factor", f"expected a number in (0, {MAX_SPEED_FACTOR:g}]")
        shift = p.time((_window(obj["time_window"], f"{path}.time_window"),))[0] if "time_window" in obj else None
        vehicle_breaks: list[tuple[str, tuple[TimeWindow, ...] | None, int]] = []
        break_ids: dict[int, str] = {}
        for k, raw_break in enumerate(_list(obj.get("breaks", []), f"{path}.breaks")):
            where = f"{path}.breaks[{k}]"
            b = _obj(raw_break, where, _BREAK_KEYS)
            if "id" not in b:
                raise VroomInputError(f"{where}.id", "required")
            bid = _int(b["id"], f"{where}.id")
            _unique(break_ids, bid, where, "break")
            windows = (
                tuple(p.time(_windows(b["time_windows"], f"{where}.time_windows"))) if "time_windows" in b else None
            )
            if "max_load" in b:
                p.notes.append(f"{where}.max_load ignored: AJIB does not limit the load during breaks")
            if "description" in b:
                descriptions[f"{vid}/{bid}"] = _str(b["description"], f"{where}.description")
            vehicle_breaks.append((str(bid), windows, _int(b.get("service", 0), f"{where}.service")))
            breaks[(str(vid), str(bid))] = bid
        max_tasks = _int(obj["max_tasks"], f"{path}.max_tasks") if "max_tasks" in obj else None
        max_travel = _int(obj["max_travel_time"], f"{path}.max_travel_time") if "max_travel_time" in obj else None
        vehicles.append(
            {
                "id": str(vid),
                "start": start,
                "end": end,
                "shift": shift,
                "capacity": p.amount(obj, "capacity", path),
                "breaks": vehicle_breaks,
                "skills": _skills(obj["skills"], f"{path}.skills") if "skills" in obj else frozenset(),
                "speed_factor": float(speed),
                "max_tasks": max_tasks,
                "max_travel_time": max_travel,
                "fixed_cost": fixed_cost,
                "profile": _str(obj.get("profile", DEFAULT_PROFILE), f"{path}.profile"),
            }
        )
    return vehicles, breaks, descriptions


def _matrices(
    p: _Parser, specs: Sequence[dict[str, Any]], travel: Any | None
) -> tuple[list[Location], dict[str, Matrix], list[tuple[float, float] | None]]:
    """Locations and one matrix per vehicle profile: from the request's matrices, else from coordinates."""
    profiles = sorted({spec["profile"] for spec in specs})
    if not p.indexed:
        coordinates: list[tuple[float, float] | None] = list(p.places)
        locations = [Location(id=str(i), lat=lat, lon=lon) for i, (lon, lat) in enumerate(p.places)]
        if travel is None:
            from routing.travel import HaversineTravel

            travel = HaversineTravel()
        matrix = travel.matrix(locations)
        return locations, dict.fromkeys(profiles, matrix), coordinates
    matrices: dict[str, Matrix] = {}
    for i, spec in enumerate(specs):
        matrix = p.given.get(spec["profile"], p.given.get(None))
        if matrix is None:
            raise VroomInputError(f"vehicles[{i}].profile", f"no matrix for profile {spec['profile']!r} in 'matrices'")
        matrices[spec["profile"]] = matrix
    coordinates = [p.coords.get(i) for i in range(p.size)]
    locations = [
        Location(id=str(i), lat=c[1] if c else None, lon=c[0] if c else None) for i, c in enumerate(coordinates)
    ]
    return locations, matrices, coordinates


def _horizon(p: _Parser, jobs: Sequence[Job], specs: Sequence[dict[str, Any]], matrices: Mapping[str, Matrix]) -> int:
    """A shift end no route can reach: stands in for VROOM's 'no time window' (unbounded)."""
    work = sum(t.service for j in jobs for t in (j.pickup, j.delivery) if t is not None)
    work += sum(duration for spec in specs for _, _, duration in spec["breaks"])
    longest = max((int(m.durations.max(initial=0)) for m in matrices.values()), default=0)
    slowest = float(min((spec["speed_factor"] for spec in specs), default=1.0))
    legs = 2 * len(jobs) + 1
    return int(p.max_time) + int(work) + int(legs * longest / slowest) + 1


def load_input(text: str | bytes, travel: Any | None = None) -> VroomDocument:
    """Decode VROOM JSON text and translate it (``parse_input``); bad JSON is a ``VroomInputError``."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise VroomInputError("", f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    return parse_input(data, travel)
