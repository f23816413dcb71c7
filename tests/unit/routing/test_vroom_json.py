"""VROOM JSON: reading VROOM requests, writing VROOM answers, and every malformed-input path."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from routing.problem import JobKind, Matrix, TimeWindow
from routing.solution import StepKind
from routing.verify import verify
from routing.vroom_json import VroomInputError, load_input, parse_input, read_output, write_input, write_output

DATA = Path(__file__).resolve().parents[2] / "data" / "vroom"


def request(name: str) -> dict[str, Any]:
    return json.loads((DATA / f"{name}.json").read_text())


def vroom_solve(data: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
    """VROOM's own answer to a request (through pyvroom), as VROOM output JSON."""
    vroom = pytest.importorskip("vroom")
    path = tmp_path / "request.json"
    path.write_text(json.dumps(data))
    return vroom.Input.from_json(path).solve(exploration_level=5, nb_threads=1).to_dict()


class FlatTravel:
    """A travel model for coordinate requests: 60 s and 500 m between any two places."""

    def matrix(self, locations):
        n = len(locations)
        off = 1 - np.eye(n, dtype=np.int64)
        return Matrix(durations=60 * off, distances=500 * off)


def test_matrix_request_becomes_problem():
    """Jobs, shipments, vehicles, breaks, skills and matrices map onto the Problem with VROOM's meaning."""
    doc = load_input((DATA / "offices_matrix.json").read_text())
    p = doc.problem
    assert [v.id for v in p.vehicles] == ["1", "2"]
    budi, second = p.vehicles
    assert (budi.start, budi.end, budi.capacity) == (0, 0, (4, 10))
    assert budi.shift == TimeWindow(28800, 61200) and budi.skills == {"1", "2"} and budi.max_tasks == 10
    assert budi.breaks[0].id == "10" and budi.breaks[0].duration == 1800
    assert budi.breaks[0].windows == (TimeWindow(43200, 46800),)
    assert second.end is None and second.speed_factor == 1.25 and second.max_travel_time == 7200
    assert second.fixed_cost == 1000 and second.profile == "car"
    jobs = {j.id: j for j in p.jobs}
    assert jobs["job-101"].kind is JobKind.DELIVERY and jobs["job-101"].pickup is None
    assert jobs["job-102"].kind is JobKind.PICKUP and jobs["job-102"].delivery is None
    assert jobs["job-102"].pickup.service == 60 + 300  # setup folded into service
    assert jobs["job-102"].priority == 50
    assert jobs["job-103"].delivery.time_windows == (TimeWindow(36000, 43200), TimeWindow(50400, 57600))
    ship = jobs["shipment-201"]
    assert ship.kind is JobKind.SHIPMENT and ship.amount == (1, 3) and ship.skills == {"1"}
    assert (ship.pickup.location, ship.delivery.location) == (4, 5)
    assert p.matrices["car"].durations[0, 1] == 720 and p.matrices["car"].distances[0, 1] == 4500
    assert doc.tasks[("shipment-201", StepKind.DELIVERY)].description == "to the office"
    assert doc.indexed and doc.has_distances


def test_missing_time_windows_are_unbounded():
    """No vehicle time_window means any time: the shift becomes a horizon no route can reach."""
    doc = load_input((DATA / "legacy_matrix.json").read_text())
    v = doc.problem.vehicles[0]
    assert v.shift.start == 0 and v.shift.end > 2813 * 4
    assert doc.problem.jobs[0].delivery.time_windows == ()
    assert not doc.has_distances  # the legacy matrix has durations only


def test_coordinates_without_matrix_use_travel_model():
    """Places given as [lon, lat] without a matrix get a matrix from the travel model; equal places share one."""
    data = request("jakarta_coordinates")
    data["jobs"][1]["location"] = data["jobs"][0]["location"]
    doc = parse_input(data, travel=FlatTravel())
    assert len(doc.problem.locations) == 4  # office + 3 distinct homes
    assert doc.problem.locations[0].lon == 106.8286 and doc.problem.locations[0].lat == -6.1817
    assert not doc.indexed and doc.coordinates[0] == (106.8286, -6.1817)


def test_coordinates_default_to_haversine():
    """Without a travel model, coordinates go through HaversineTravel (metres and seconds, > 0 off-diagonal)."""
    doc = load_input((DATA / "jakarta_coordinates.json").read_text())
    m = doc.problem.matrices["car"]
    assert m.durations.shape == (5, 5)
    assert (m.distances[~np.eye(5, dtype=bool)] > 0).all()


def test_breaks_without_windows_follow_the_shift():
    """A break without time_windows may start any time in the shift."""
    data = request("offices_matrix")
    del data["vehicles"][0]["breaks"][0]["time_windows"]
    doc = parse_input(data)
    assert doc.problem.vehicles[0].breaks[0].windows == (TimeWindow(28800, 61200),)


def test_break_max_load_is_ignored_with_a_note():
    """max_load on a break is accepted but ignored, and the document says so."""
    data = request("offices_matrix")
    data["vehicles"][0]["breaks"][0]["max_load"] = [1, 1]
    doc = parse_input(data)
    assert any("max_load ignored" in note for note in doc.notes)


def test_vroom_answer_verifies_against_our_reading(tmp_path):
    """VROOM's own solution of a request satisfies every rule of the Problem we read from it.

    This pins our reading of VROOM's semantics (setup, speed factor, breaks, loads of
    single jobs, open routes) to VROOM itself.
    """
    for name in ("offices_matrix", "legacy_matrix"):
        data = request(name)
        doc = parse_input(data)
        solution = read_output(doc, vroom_solve(data, tmp_path))
        assert verify(doc.problem, solution) == [], name


def test_writer_reproduces_vroom_output(tmp_path):
    """Writing VROOM's solution back gives VROOM's own output: ids, types, times, loads, totals."""
    data = request("offices_matrix")
    doc = parse_input(data)
    theirs = vroom_solve(data, tmp_path)
    ours = write_output(doc, read_output(doc, theirs))
    keys = ("cost", "routes", "unassigned", "delivery", "pickup", "setup", "service", "duration", "waiting_time")
    assert {k: ours["summary"][k] for k in keys} == {k: theirs["summary"][k] for k in keys}
    assert ours["summary"]["priority"] == theirs["summary"]["priority"]
    for mine, their in zip(ours["routes"], theirs["routes"], strict=True):
        assert mine["vehicle"] == their["vehicle"] and mine["description"] == their["description"]
        step_keys = ("type", "id", "arrival", "duration", "setup", "service", "waiting_time", "load")
        assert [{k: s.get(k) for k in step_keys} for s in mine["steps"]] == [
            {k: s.get(k) for k in step_keys} for s in their["steps"]
        ]
    assert [(u["id"], u["type"]) for u in ours["unassigned"]] == [(u["id"], u["type"]) for u in theirs["unassigned"]]
    assert all(u["reason"] and u["reason_detail"] for u in ours["unassigned"])


def test_output_round_trip():
    """read_output(write_output(solution)) gives the same solution back."""
    data = request("offices_matrix")
    doc = parse_input(data)
    # a plan built from VROOM's documented output shape by hand: vehicle 2 does the shipment's pickup end only
    output = {
        "code": 0,
        "summary": {"cost": 7, "computing_times": {"solving": 12}},
        "unassigned": [
            {"id": 104, "type": "job", "reason": "no_skill", "reason_detail": "nobody has skill 9"},
        ],
        "routes": [
            {
                "vehicle": 2,
                "cost": 7,
                "duration": 1056,
                "distance": 8500,
                "waiting_time": 0,
                "steps": [
                    {"type": "start", "location_index": 5, "arrival": 28800, "duration": 0, "load": [2, 3]},
                    {"type": "job", "id": 103, "location_index": 3, "arrival": 29856, "duration": 1056,
                     "waiting_time": 6144, "service": 600, "load": [1, 2]},
                ],
            }
        ],
    }  # fmt: skip
    solution = read_output(doc, output)
    again = read_output(doc, write_output(doc, solution))
    assert again.routes == solution.routes and again.unassigned == solution.unassigned
    assert solution.unassigned[0].reason.value == "no_skill"


def test_output_shape_and_original_ids():
    """Output has VROOM's keys and uses the request's integer ids and task types, plus reason fields."""
    data = request("offices_matrix")
    doc = parse_input(data)
    output = {
        "routes": [
            {
                "vehicle": 1, "cost": 0, "duration": 1440, "distance": 9000,
                "steps": [
                    {"type": "start", "location_index": 0, "arrival": 28800, "duration": 0},
                    {"type": "pickup", "id": 201, "location_index": 4, "arrival": 31440, "service": 120,
                     "duration": 2640},
                    {"type": "delivery", "id": 201, "location_index": 5, "arrival": 32280, "service": 120,
                     "duration": 3480},
                    {"type": "break", "id": 10, "arrival": 32400, "waiting_time": 10800, "service": 1800,
                     "duration": 3480},
                    {"type": "end", "location_index": 0, "arrival": 48120, "duration": 6600},
                ],
            }
        ],
        "unassigned": [{"id": 101, "type": "job"}],
    }  # fmt: skip
    out = write_output(doc, read_output(doc, output), computing_times={"loading": 3})
    assert set(out) == {"code", "summary", "unassigned", "routes"} and out["code"] == 0
    assert {"cost", "routes", "unassigned", "delivery", "pickup", "setup", "service", "duration", "waiting_time",
            "priority", "distance", "computing_times"} <= set(out["summary"])  # fmt: skip
    assert out["summary"]["computing_times"]["loading"] == 3
    steps = out["routes"][0]["steps"]
    assert [(s["type"], s.get("id")) for s in steps] == [
        ("start", None), ("pickup", 201), ("delivery", 201), ("break", 10), ("end", None)
    ]  # fmt: skip
    for s in steps:
        assert {"type", "arrival", "duration", "distance", "load", "service", "waiting_time"} <= set(s)
    assert "location" not in steps[3] and steps[1]["location_index"] == 4
    assert steps[3]["description"] == "lunch" and out["routes"][0]["description"] == "Budi"
    assert out["unassigned"] == [
        {"id": 101, "type": "job", "location_index": 1, "description": "deliver permit",
         "reason": "not_enough_time", "reason_detail": "left out by VROOM (no reason given)"}
    ]  # fmt: skip


def test_unassigned_shipment_lists_both_ends():
    """An unassigned shipment appears as its pickup and its delivery, like VROOM does."""
    doc = parse_input(request("offices_matrix"))
    output = {"routes": [], "unassigned": [{"id": 201, "type": "pickup"}, {"id": 201, "type": "delivery"}]}
    solution = read_output(doc, output)
    assert [u.job_id for u in solution.unassigned] == ["shipment-201"]
    out = write_output(doc, solution)
    assert [(u["type"], u["location_index"]) for u in out["unassigned"]] == [("pickup", 4), ("delivery", 5)]


def test_distances_left_out_when_unknown():
    """With durations only (legacy matrix), the output has no distance keys, like VROOM's."""
    doc = parse_input(request("legacy_matrix"))
    output = {"routes": [{"vehicle": 7, "steps": [
        {"type": "start", "location_index": 0, "arrival": 0},
        {"type": "job", "id": 2, "location_index": 2, "arrival": 197, "duration": 197},
        {"type": "end", "location_index": 0, "arrival": 394, "duration": 394},
    ]}], "unassigned": [{"id": 1, "type": "job"}, {"id": 3, "type": "job"}]}  # fmt: skip
    out = write_output(doc, read_output(doc, output))
    assert "distance" not in out["summary"] and "distance" not in out["routes"][0]
    assert all("distance" not in s for s in out["routes"][0]["steps"])


def test_problem_to_request_and_back():
    """Our Problem written as a VROOM request reads back as the same problem (up to ids)."""
    original = parse_input(request("offices_matrix")).problem
    data, _ = write_input(original)
    again = parse_input(json.loads(json.dumps(data))).problem
    assert len(again.jobs) == len(original.jobs) and len(again.vehicles) == len(original.vehicles)
    for a, b in zip(original.jobs, again.jobs, strict=True):
        assert (a.kind, a.pickup, a.delivery, a.amount, a.priority) == (
            b.kind,
            b.pickup,
            b.delivery,
            b.amount,
            b.priority,
        )
        assert len(a.skills) == len(b.skills)
    for a, b in zip(original.vehicles, again.vehicles, strict=True):
        same = ("start", "end", "shift", "capacity", "speed_factor", "max_tasks", "max_travel_time", "fixed_cost")
        assert all(getattr(a, f) == getattr(b, f) for f in same)
        assert [(x.windows, x.duration) for x in a.breaks] == [(x.windows, x.duration) for x in b.breaks]
    assert np.array_equal(again.matrices["car"].durations, original.matrices["car"].durations)


def test_vehicle_lock_becomes_a_skill(tmp_path):
    """A job locked to a courier is, for VROOM, a skill only that courier has; VROOM honours it."""
    from dataclasses import replace

    p = parse_input(request("offices_matrix")).problem
    p = replace(p, jobs=tuple(replace(j, vehicle="2") if j.id == "job-103" else j for j in p.jobs))
    data, doc = write_input(p)
    solution = read_output(doc, vroom_solve(data, tmp_path))
    assert verify(p, solution) == []
    served_by = {s.job_id: r.vehicle_id for r in solution.routes for s in r.steps if s.job_id}
    assert served_by.get("job-103") in (None, "2")


def _set(data: dict, path: str, value: Any) -> None:
    """Set (or with value ... delete) a value at a dotted path with [i] indices."""
    keys: list[Any] = []
    for part in path.replace("]", "").replace("[", ".").split("."):
        keys.append(int(part) if part.isdigit() else part)
    target = data
    for k in keys[:-1]:
        target = target[k]
    if value is ...:
        del target[keys[-1]]
    else:
        target[keys[-1]] = value


ERRORS = [
    ("options", {}, "options: not supported"),
    ("colour", 1, "colour: unknown key"),
    ("vehicles", [], "vehicles: at least one vehicle is required"),
    ("jobs", {}, "jobs: expected an array, got an object"),
    ("vehicles[0].colour", "red", "vehicles[0].colour: unknown key"),
    ("vehicles[0].id", "a", "vehicles[0].id: expected an integer, got a string"),
    ("vehicles[1].id", 1, "vehicles[1]: duplicate vehicle id 1"),
    ("vehicles[0].start_index", ..., "vehicles[0].start: required"),
    ("vehicles[0].end_index", 6, "vehicles[0].end_index: must be <= 5, got 6"),
    ("vehicles[1].capacity", [4], "vehicles[1].capacity: has 1 dimensions, vehicles[0].capacity has 2"),
    ("vehicles[0].time_window", [5], "vehicles[0].time_window: expected [start, end]"),
    ("vehicles[0].time_window", [61200, 28800], "vehicles[0].time_window: end 28800 is before start 61200"),
    ("vehicles[0].skills", ["x"], "vehicles[0].skills[0]: expected an integer, got a string"),
    ("vehicles[0].speed_factor", 0, "vehicles[0].speed_factor: expected a number in (0, 5]"),
    ("vehicles[0].speed_factor", 6.0, "vehicles[0].speed_factor: expected a number in (0, 5]"),
    ("vehicles[0].max_tasks", -1, "vehicles[0].max_tasks: must be >= 0"),
    ("vehicles[0].max_distance", 1000, "vehicles[0].max_distance: not supported"),
    ("vehicles[0].steps", [], "vehicles[0].steps: not supported"),
    ("vehicles[0].profile", "bike", "vehicles[0].profile: no matrix for profile 'bike'"),
    ("vehicles[1].costs.per_km", 5, "vehicles[1].costs.per_km: only VROOM's default 0 is supported"),
    ("vehicles[1].costs.fixed", 1.5, "vehicles[1].costs.fixed: expected an integer"),
    ("vehicles[0].breaks[0].id", ..., "vehicles[0].breaks[0].id: required"),
    ("vehicles[0].breaks[0].time_windows", [], "vehicles[0].breaks[0].time_windows: needs at least one window"),
    ("vehicles[0].breaks[0].time_windows[0]", [46800, 43200], "vehicles[0].breaks[0].time_windows[0]: end 43200"),
    ("vehicles[0].breaks[0].service", -1, "vehicles[0].breaks[0].service: must be >= 0"),
    ("vehicles[0].breaks[0].nap", True, "vehicles[0].breaks[0].nap: unknown key"),
    ("jobs[0].id", ..., "jobs[0].id: required"),
    ("jobs[1].id", 101, "jobs[1]: duplicate job id 101"),
    ("jobs[3].time_windows", [[10, 5]], "jobs[3].time_windows[0]: end 5 is before start 10"),
    ("jobs[2].time_windows[1][0]", "noon", "jobs[2].time_windows[1][0]: expected an integer, got a string"),
    ("jobs[0].location_index", ..., "jobs[0].location_index: required when a matrix is given"),
    ("jobs[0].location_index", 99, "jobs[0].location_index: must be <= 5, got 99"),
    ("jobs[0].location", [200, 0], "jobs[0].location: [200.0, 0.0] is not a valid [lon, lat]"),
    ("jobs[0].delivery", [1], "jobs[0].delivery: has 1 dimensions"),
    ("jobs[0].delivery", [-1, 0], "jobs[0].delivery[0]: must be >= 0"),
    ("jobs[0].pickup", [1, 1], "jobs[0]: both delivery and pickup amounts are non-zero"),
    ("jobs[0].priority", 101, "jobs[0].priority: must be <= 100"),
    ("jobs[0].service", 1.5, "jobs[0].service: expected an integer"),
    ("jobs[0].setup", True, "jobs[0].setup: expected an integer, got a boolean"),
    ("jobs[0].skills", 3, "jobs[0].skills: expected an array"),
    ("jobs[0].description", 3, "jobs[0].description: expected a string"),
    ("jobs[0].setup_per_type", {}, "jobs[0].setup_per_type: not supported"),
    ("jobs[0].amount", [1, 1], "jobs[0].amount: not supported"),
    ("shipments[0].pickup", ..., "shipments[0].pickup: required"),
    ("shipments[0].delivery.id", ..., "shipments[0].delivery.id: required"),
    ("shipments[0].delivery.time_windows", [[3, 2]], "shipments[0].delivery.time_windows[0]: end 2 is before"),
    ("shipments[0].amount", [1], "shipments[0].amount: has 1 dimensions"),
    ("shipments[0].pickup.where", 1, "shipments[0].pickup.where: unknown key"),
    ("matrices.car.durations[2]", [0, 1], "matrices.car.durations[2]: expected 6 values"),
    ("matrices.car.durations[0][1]", -5, "matrices.car.durations[0][1]: must be >= 0, got -5"),
    ("matrices.car.durations[0][1]", 1.5, "matrices.car.durations[0][1]: expected an integer"),
    ("matrices.car.distances", [[0]], "matrices.car.distances: expected 6 rows, got 1"),
    ("matrices.car.durations", ..., "matrices.car.durations: required"),
    ("matrices.car.costs", [[0]], "matrices.car.costs: not supported"),
    ("matrices", [], "matrices: expected an object with one entry per vehicle profile"),
    ("matrix", [[0]], "matrix: give either 'matrices' or the legacy 'matrix', not both"),
]


@pytest.mark.parametrize(("path", "value", "message"), ERRORS, ids=[e[0] + ":" + e[2].split(": ")[-1] for e in ERRORS])
def test_malformed_input_names_the_path(path, value, message):
    """Each malformed or unsupported value raises VroomInputError whose message starts with its JSON path."""
    data = copy.deepcopy(request("offices_matrix"))
    _set(data, path, value)
    with pytest.raises(VroomInputError) as err:
        parse_input(data)
    assert str(err.value).startswith(message), str(err.value)


def test_coordinate_mode_errors():
    """Without a matrix, places need [lon, lat]; matrix indices are an error."""
    data = request("jakarta_coordinates")
    bad = copy.deepcopy(data)
    bad["jobs"][2]["location_index"] = 1
    with pytest.raises(VroomInputError, match=r"^jobs\[2\]\.location_index: needs a custom matrix"):
        parse_input(bad, travel=FlatTravel())
    bad = copy.deepcopy(data)
    del bad["jobs"][1]["location"]
    with pytest.raises(VroomInputError, match=r"^jobs\[1\]\.location: required"):
        parse_input(bad, travel=FlatTravel())
    bad = copy.deepcopy(data)
    bad["vehicles"][0]["start"] = [106.8]
    with pytest.raises(VroomInputError, match=r"^vehicles\[0\]\.start: expected \[lon, lat\]"):
        parse_input(bad, travel=FlatTravel())


def test_not_json_and_not_an_object():
    """Text that is not JSON, or JSON that is not an object, is a VroomInputError too."""
    with pytest.raises(VroomInputError, match=r"not valid JSON: .* line 1 column"):
        load_input("{vehicles: []}")
    with pytest.raises(VroomInputError, match="expected an object, got an array"):
        load_input("[]")
