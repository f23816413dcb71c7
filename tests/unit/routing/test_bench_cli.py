"""`ajib bench` end to end on one instance, its input checks, and the synthetic Jakarta day generator."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import shapely
from typer.testing import CliRunner

from api.cli.main import app

SHARED = Path(os.environ.get("AJIB_SHARED_DIR", Path(__file__).resolve().parents[3].parent / "shared"))
runner = CliRunner()


@pytest.mark.skipif(not (SHARED / "benchmarks").is_dir(), reason="shared benchmark dir absent")
def test_bench_one_solomon_instance(tmp_path):
    """`ajib bench --instances c101 --time-limit 1` solves, verifies and writes <name>.md and <name>.csv."""
    args = ["bench", "--set", "solomon", "--instances", "c101", "--time-limit", "1", "--solvers", "ajib"]
    args += ["--shared-dir", str(SHARED), "--out-dir", str(tmp_path), "--name", "one"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.stderr
    assert "solomon       ajib   solved 1/1 (feasible 1)" in result.stdout
    assert (tmp_path / "one.md").is_file() and (tmp_path / "one.csv").is_file()
    assert "| C101 |" in (tmp_path / "one.md").read_text()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--set", "tsplib"], "--set 'tsplib': unknown set"),
        (["--solvers", "ajib,gurobi"], "--solvers: unknown solver 'gurobi'"),
        (["--shared-dir", "/nonexistent"], "benchmark directory not found: /nonexistent/benchmarks"),
        (["--instances", "zz*"], "--instances 'zz*': no instance of solomon matches"),
    ],
)
def test_bench_rejects_bad_options_in_one_line(args, message, tmp_path):
    """Bad bench options exit with status 2 and one line on stderr."""
    if "--shared-dir" not in args:
        args = [*args, "--shared-dir", str(SHARED)]
    if "--instances" in args and not (SHARED / "benchmarks").is_dir():
        pytest.skip("shared benchmark dir absent")
    result = runner.invoke(app, ["bench", *args, "--out-dir", str(tmp_path)])
    assert result.exit_code == 2
    errors = [line for line in result.stderr.splitlines() if line.startswith("ajib: error:")]
    assert len(errors) == 1 and message in errors[0], result.stderr


@pytest.mark.skipif(not (SHARED / "data" / "jakarta").is_dir(), reason="shared Jakarta geodata absent")
def test_jakarta_day_is_deterministic_and_inside_jakarta():
    """The synthetic day is the same for the same seed; homes lie inside the kota polygons; Friday breaks exist."""
    from bench.solver.jakarta import WINDOWS, _kota_polygons, jakarta_day

    data = SHARED / "data" / "jakarta"
    a = jakarta_day(data, seed=7, jobs=40, couriers=10)
    b = jakarta_day(data, seed=7, jobs=40, couriers=10)
    c = jakarta_day(data, seed=8, jobs=40, couriers=10)
    assert [(loc.lat, loc.lon) for loc in a.problem.locations] == [(loc.lat, loc.lon) for loc in b.problem.locations]
    assert [(loc.lat, loc.lon) for loc in a.problem.locations] != [(loc.lat, loc.lon) for loc in c.problem.locations]
    p = a.problem
    assert len(p.jobs) == 40 and len(p.vehicles) == 10 and len(p.locations) == 45
    land = shapely.union_all(list(_kota_polygons(data).values()))
    homes = p.locations[5:]
    assert shapely.contains_xy(land, [h.lon for h in homes], [h.lat for h in homes]).all()
    for job in p.jobs:
        home = job.pickup if job.delivery.location < 5 else job.delivery
        assert home.time_windows[0] in WINDOWS
        office = job.delivery if home is job.pickup else job.pickup
        assert office.location < 5 and job.skills == {f"office:{a.offices[office.location]}"}
    assert all(any(br.id == "lunch" for br in v.breaks) for v in p.vehicles)
    assert any(any(br.id == "jumatan" for br in v.breaks) for v in p.vehicles)
    assert a.matrix_seconds >= 0


@pytest.mark.skipif(not (SHARED / "data" / "jakarta").is_dir(), reason="shared Jakarta geodata absent")
def test_small_jakarta_run_reports_each_solver(tmp_path):
    """run_jakarta solves in a fresh process per solver, verifies, reports peak memory; PyVRP is skipped."""
    from bench.solver.run import run_jakarta, write_report

    rows, info = run_jakarta(SHARED / "data" / "jakarta", ["ajib", "vroom", "pyvrp"], 1.0, jobs=30, couriers=5)
    by = {r.solver: r for r in rows}
    assert info["jobs"] == 30 and info["couriers"] == 5 and info["matrix_s"] >= 0
    assert by["ajib"].feasible and by["ajib"].served + by["ajib"].unassigned == 30 and by["ajib"].peak_rss_mb > 50
    if "skipped" not in by["vroom"].note:
        assert by["vroom"].feasible
    assert by["pyvrp"].note.startswith("skipped:")
    assert [r.solver for r in rows][:3] == ["ajib", "vroom", "pyvrp"]  # one core each, then ours on all cores
    md, _ = write_report(tmp_path, "j", [], command="test", time_limit=1.0, jakarta=(rows, info))
    assert "## Jakarta synthetic day" in md.read_text()
