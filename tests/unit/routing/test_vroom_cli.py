"""`ajib solve`: a VROOM request in, a VROOM-shaped answer out; malformed input is one line and exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli.main import app

DATA = Path(__file__).resolve().parents[2] / "data" / "vroom"
runner = CliRunner()


def solve(*args: str, stdin: str | None = None):
    return runner.invoke(app, ["solve", *args], input=stdin)


@pytest.mark.parametrize("name", ["legacy_matrix", "jakarta_coordinates", "offices_matrix"])
def test_solve_writes_vroom_shaped_answer(name, tmp_path):
    """A valid request exits 0 and the answer has VROOM's keys, the request's ids and every task accounted for."""
    out = tmp_path / "answer.json"
    result = solve(str(DATA / f"{name}.json"), "-o", str(out), "--time-limit", "1", "--seed", "1")
    assert result.exit_code == 0, result.stderr
    answer = json.loads(out.read_text())
    assert answer["code"] == 0 and set(answer) == {"code", "summary", "unassigned", "routes"}
    request = json.loads((DATA / f"{name}.json").read_text())
    tasks = {("job", j["id"]) for j in request.get("jobs", [])}
    for s in request.get("shipments", []):
        tasks |= {("pickup", s["pickup"]["id"]), ("delivery", s["delivery"]["id"])}
    served = {
        (st["type"], st["id"])
        for r in answer["routes"]
        for st in r["steps"]
        if st["type"] not in ("start", "end", "break")
    }
    unassigned = {(u["type"], u["id"]) for u in answer["unassigned"]}
    assert served | unassigned == tasks and not served & unassigned
    assert all(u["reason"] and u["reason_detail"] for u in answer["unassigned"])
    vehicle_ids = {v["id"] for v in request["vehicles"]}
    assert {r["vehicle"] for r in answer["routes"]} <= vehicle_ids
    assert answer["summary"]["unassigned"] == len(answer["unassigned"])


def test_solve_reads_stdin_and_prints_stdout():
    """'-' reads the request from standard input; without -o the answer goes to standard output."""
    result = solve("-", "--time-limit", "1", stdin=(DATA / "legacy_matrix.json").read_text())
    assert result.exit_code == 0, result.stderr
    answer = json.loads(result.stdout)
    assert [r["vehicle"] for r in answer["routes"]] == [7]


def test_unserviceable_job_is_an_answer_not_an_error(tmp_path):
    """A job no courier can serve comes back unassigned with a reason; the command still exits 0."""
    request = json.loads((DATA / "legacy_matrix.json").read_text())
    request["jobs"][0]["skills"] = [42]
    path = tmp_path / "r.json"
    path.write_text(json.dumps(request))
    result = solve(str(path), "--time-limit", "1")
    assert result.exit_code == 0, result.stderr
    unassigned = json.loads(result.stdout)["unassigned"]
    assert [(u["id"], u["reason"]) for u in unassigned] == [(1, "no_skill")]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "not valid JSON"),
        ('{"vehicles": [{"id": 1, "start_index": 0}], "jobs": [{"id": 1, "location_index": 0, '
         '"time_windows": [[10, 5]]}], "matrix": [[0]]}', "jobs[0].time_windows[0]: end 5 is before start 10"),
        ('{"vehicles": [{"id": 1, "start_index": 0, "wings": 2}], "matrix": [[0]]}', "vehicles[0].wings: unknown key"),
        ('{"vehicles": [{"id": 1, "start_index": 0, "max_distance": 9}], "matrix": [[0]]}', "not supported"),
    ],
)  # fmt: skip
def test_malformed_input_exits_2_with_one_line(text, message, tmp_path):
    """Malformed or unsupported input: exit status 2, exactly one line on stderr naming file and path, no traceback."""
    path = tmp_path / "bad.json"
    path.write_text(text)
    result = solve(str(path), "--time-limit", "1")
    assert result.exit_code == 2
    errors = [line for line in result.stderr.splitlines() if line.startswith("ajib: error:")]
    assert len(errors) == 1 and message in errors[0] and str(path) in errors[0], result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""


def test_missing_file_exits_2(tmp_path):
    """A request file that does not exist is reported in one line with exit status 2."""
    result = solve(str(tmp_path / "nope.json"))
    assert result.exit_code == 2
    assert [line for line in result.stderr.splitlines() if line.startswith("ajib: error:")] == [
        f"ajib: error: cannot read {tmp_path / 'nope.json'}: No such file or directory"
    ]


def test_ignored_max_load_is_noted_on_stderr(tmp_path):
    """An accepted-but-ignored key (break max_load) is reported as a note, and the solve still succeeds."""
    request = json.loads((DATA / "legacy_matrix.json").read_text())
    request["vehicles"][0]["breaks"] = [{"id": 1, "service": 60, "max_load": []}]
    path = tmp_path / "r.json"
    path.write_text(json.dumps(request))
    result = solve(str(path), "--time-limit", "1")
    assert result.exit_code == 0, result.stderr
    assert "ajib: note: vehicles[0].breaks[0].max_load ignored" in result.stderr
