"""VROOM-compatible JSON: read VROOM's input into a ``Problem``, write a ``Solution`` as VROOM's output.

Existing VROOM users can switch to AJIB without rewriting their requests, and the same
request can be given to VROOM to compare. The supported subset and every difference are
listed in ``docs/vroom-json.md``. Input is checked strictly: an unknown key or a bad
value raises ``VroomInputError`` whose message starts with the JSON path
(``jobs[3].time_windows[0]: end 10 is before start 20``), because a silently ignored key
would be a silently different problem.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from routing.problem import (
    Break,
    Job,
    JobKind,
    Location,
    Matrix,
    Problem,
    ProblemError,
    Task,
    TimeWindow,
    Vehicle,
)
from routing.solution import StepKind

if TYPE_CHECKING:
    from routing.solution import Route, Solution, Step

__all__ = [
    "TaskRef",
    "VroomDocument",
    "VroomInputError",
    "dumps",
    "load_input",
    "parse_input",
    "read_output",
    "write_input",
    "write_output",
]

DEFAULT_PROFILE = "car"  # VROOM's default vehicle profile
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
_TASK_STEPS = (StepKind.JOB, StepKind.PICKUP, StepKind.DELIVERY)
# documented VROOM keys that AJIB does not model: rejected with "not supported" instead of "unknown"
_UNSUPPORTED = {
    "vehicles": {"max_distance": "a distance limit", "steps": "plan mode", "type": "vehicle types"},
    "jobs": {"setup_per_type": "vehicle types", "service_per_type": "vehicle types", "amount": "deprecated"},
    "steps": {"setup_per_type": "vehicle types", "service_per_type": "vehicle types"},
    "matrices": {"costs": "custom cost matrices"},
    "top": {"options": "solver options are command-line flags here"},
}


class VroomInputError(ValueError):
    """Malformed or unsupported VROOM input; ``path`` is the JSON path of the offending value."""

    def __init__(self, path: str, message: str) -> None:
        self.path = path
        super().__init__(f"{path}: {message}" if path else message)


@dataclass(frozen=True, slots=True)
class TaskRef:
    """How one of our job steps is called in VROOM: its integer id, type and extras."""

    id: int
    type: str  # "job", "pickup" or "delivery"
    setup: int = 0
    description: str | None = None


@dataclass(frozen=True)
class VroomDocument:
    """A VROOM request translated to a ``Problem``, with what is needed to answer in VROOM's terms.

    ``tasks`` maps (our job id, step kind) to the VROOM task; ``vehicles`` maps our vehicle
    id to VROOM's; ``breaks`` maps (vehicle id, break id) to VROOM's break id. ``coordinates``
    holds [lon, lat] per location when known; ``indexed`` says places came as matrix indices.
    """

    problem: Problem
    vehicles: dict[str, int]
    tasks: dict[tuple[str, StepKind], TaskRef]
    breaks: dict[tuple[str, str], int]
    coordinates: tuple[tuple[float, float] | None, ...]
    indexed: bool
    has_distances: bool
    descriptions: dict[str, str] = field(default_factory=dict)  # vehicle and break descriptions
    notes: tuple[str, ...] = ()  # accepted-but-ignored input, worth telling the user


# --------------------------------------------------------------------------- value checks


def _type_name(value: Any) -> str:
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}.get(type(value), repr(value))


def _obj(value: Any, path: str, allowed: set[str], unsupported: Mapping[str, str] | None = None) -> dict:
    if not isinstance(value, dict):
        raise VroomInputError(path, f"expected an object, got {_type_name(value)}")
    for key in value:
        where = f"{path}.{key}" if path else key
        if unsupported and key in unsupported:
            raise VroomInputError(where, f"not supported by AJIB ({unsupported[key]}); see docs/vroom-json.md")
        if key not in allowed:
            raise VroomInputError(where, "unknown key")
    return value


def _list(value: Any, path: str) -> list:
    if not isinstance(value, list):
        raise VroomInputError(path, f"expected an array, got {_type_name(value)}")
    return value


def _int(value: Any, path: str, lo: int | None = 0, hi: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise VroomInputError(path, f"expected an integer, got {_type_name(value)}")
    if lo is not None and value < lo:
        raise VroomInputError(path, f"must be >= {lo}, got {value}")
    if hi is not None and value > hi:
        raise VroomInputError(path, f"must be <= {hi}, got {value}")
    return value


def _str(value: Any, path: str) -> str:
    if not isinstance(value, str):
        raise VroomInputError(path, f"expected a string, got {_type_name(value)}")
    return value


def _coords(value: Any, path: str) -> tuple[float, float]:
    items = _list(value, path)
    if len(items) != 2 or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in items):
        raise VroomInputError(path, "expected [lon, lat] as two numbers")
    lon, lat = float(items[0]), float(items[1])
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise VroomInputError(path, f"[{lon}, {lat}] is not a valid [lon, lat]")
    return lon, lat


def _window(value: Any, path: str) -> TimeWindow:
    items = _list(value, path)
    if len(items) != 2:
        raise VroomInputError(path, "expected [start, end]")
    start, end = _int(items[0], f"{path}[0]"), _int(items[1], f"{path}[1]")
    if end < start:
        raise VroomInputError(path, f"end {end} is before start {start}")
    return TimeWindow(start, end)


def _windows(value: Any, path: str) -> tuple[TimeWindow, ...]:
    windows = tuple(_window(w, f"{path}[{i}]") for i, w in enumerate(_list(value, path)))
    if not windows:
        raise VroomInputError(path, "needs at least one window (leave the key out for 'any time')")
    return windows


def _skills(value: Any, path: str) -> frozenset[str]:
    return frozenset(str(_int(s, f"{path}[{i}]")) for i, s in enumerate(_list(value, path)))


# --------------------------------------------------------------------------- parsing


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
    def place(self, obj: dict, path: str, key: str, required: bool = True) -> int | None:
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

    def amount(self, obj: dict, key: str, path: str) -> tuple[int, ...] | None:
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
    def task(self, obj: dict, path: str) -> tuple[Task, int, str | None]:
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
    p: _Parser, raw_vehicles: list
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


def _square(value: Any, path: str, n: int | None) -> np.ndarray:
    """A square matrix of non-negative integers (``n`` rows when the size is already known)."""
    rows = _list(value, path)
    size = len(rows) if n is None else n
    if len(rows) != size:
        raise VroomInputError(path, f"expected {size} rows, got {len(rows)}")
    try:
        arr = np.array(rows)
    except ValueError:
        arr = np.empty(0)
    if arr.shape != (size, size) or arr.dtype.kind not in "iu":
        # find the first bad row or cell for the message (slow path, errors only)
        for r, row in enumerate(rows):
            if len(_list(row, f"{path}[{r}]")) != size:
                raise VroomInputError(f"{path}[{r}]", f"expected {size} values (a square matrix)")
            for c, cell in enumerate(row):
                _int(cell, f"{path}[{r}][{c}]")
        raise VroomInputError(path, "expected a square matrix of integers")
    if size and arr.min() < 0:
        r, c = np.argwhere(arr < 0)[0]
        raise VroomInputError(f"{path}[{r}][{c}]", f"must be >= 0, got {arr[r, c]}")
    return arr.astype(np.int64)


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
    slowest = min((spec["speed_factor"] for spec in specs), default=1.0)
    legs = 2 * len(jobs) + 1
    return p.max_time + work + int(legs * longest / slowest) + 1


def load_input(text: str | bytes, travel: Any | None = None) -> VroomDocument:
    """Decode VROOM JSON text and translate it (``parse_input``); bad JSON is a ``VroomInputError``."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise VroomInputError("", f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    return parse_input(data, travel)


# --------------------------------------------------------------------------- output


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
    total = {"delivery": [0] * dims, "pickup": [0] * dims, "setup": 0, "priority": 0}
    routes_out: list[dict[str, Any]] = []
    for route in solution.routes:
        if not any(st.kind in _TASK_STEPS for st in route.steps):
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
        _add(total["delivery"], delivery)
        _add(total["pickup"], pickup)
        total["setup"] += setup
        total["priority"] += priority

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
        "delivery": total["delivery"],
        "amount": total["delivery"],
        "pickup": total["pickup"],
        "setup": total["setup"],
        "service": sum(r["service"] for r in routes_out),
        "duration": s.duration,
        "waiting_time": s.waiting,
        "priority": total["priority"],
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


# --------------------------------------------------------------------------- the other direction


def read_output(doc: VroomDocument, output: Mapping[str, Any]) -> Solution:
    """VROOM's output JSON for ``doc`` as our ``Solution``, so VROOM's answers can be verified.

    VROOM gives breaks no location: the courier rests where the previous step was. When
    VROOM reports no distances they are filled in from ``doc``'s matrices (not a claim of
    VROOM's then). Unassigned tasks without our ``reason`` get ``not_enough_time``.
    """
    from routing.solution import Route, Solution, Step, Summary, Unassigned, UnassignedReason

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
                if kind in _TASK_STEPS:
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


def write_input(problem: Problem) -> tuple[dict[str, Any], VroomDocument]:
    """Our ``Problem`` as a VROOM request (with matrices), e.g. to run VROOM on the same instance.

    Ids become integers in order; string skills become integers; a job locked to a vehicle
    gets a skill only that vehicle has. Two-ended jobs (office pickups/deliveries included)
    become shipments, single-location jobs become jobs. Returns the request and the
    document that maps VROOM's answer back (``read_output``).
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
    request = {
        "vehicles": vehicles_json,
        "jobs": jobs_json,
        "shipments": shipments_json,
        "matrices": {
            profile: {"durations": np.asarray(m.durations).tolist(), "distances": np.asarray(m.distances).tolist()}
            for profile, m in problem.matrices.items()
        },
    }
    coordinates = tuple(
        (loc.lon, loc.lat) if loc.lon is not None and loc.lat is not None else None for loc in problem.locations
    )
    doc = VroomDocument(problem, vehicle_ids, tasks, break_ids, coordinates, indexed=True, has_distances=True)
    return request, doc
