"""The AJIB office-day family (bench/solver/ajib_days.py) and ``ajib bench --set ajib-days`` (issue 16).

The generator must give the same day for the same seed and the shape the issue asks for; a tiny bench run must
produce verified rows for all three solvers. Nothing here asserts on time or speed.
"""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli.main import app
from bench.solver.ajib_days import (
    CAPACITY,
    FRIDAY_PRAYER,
    LUNCH,
    REPORTING_SEEDS,
    SHAPES,
    TUNING_SEEDS_FROM,
    WINDOWS,
    ajib_day,
    ajib_days,
)
from routing.vroom_json import load_input

SHARED = Path(os.environ.get("AJIB_SHARED_DIR", Path(__file__).resolve().parents[3].parent / "shared"))
GEODATA = SHARED / "data" / "jakarta"
DATA = GEODATA if GEODATA.is_dir() else None


def test_the_reporting_seeds_are_held_out_from_tuning():
    assert max(REPORTING_SEEDS) < TUNING_SEEDS_FROM


@pytest.mark.parametrize("size", ["office", "kota"])
def test_same_seed_same_day_and_another_seed_another_day(size):
    a = ajib_days(size, 3, DATA)
    b = ajib_days(size, 3, DATA)
    assert a["plain"].json() == b["plain"].json()
    assert a["breaks"].json() == b["breaks"].json()
    assert ajib_days(size, 4, DATA)["plain"].json() != a["plain"].json()


def test_an_office_day_has_the_promised_shape():
    days = [ajib_days("office", seed, DATA) for seed in REPORTING_SEEDS]
    slots = {tuple(w) for w in WINDOWS}
    for pair in days:
        plain, breaks = pair["plain"].request, pair["breaks"].request
        shape = SHAPES["office"]
        assert shape.jobs[0] <= len(plain["jobs"]) <= shape.jobs[1]
        assert shape.couriers[0] <= len(plain["vehicles"]) <= shape.couriers[1]
        kinds = {"pickup" if "pickup" in j else "delivery" for j in plain["jobs"]}
        assert kinds == {"pickup", "delivery"}, "pickups and deliveries mixed on one day"
        assert all(len(j["time_windows"]) == 1 and tuple(j["time_windows"][0]) in slots for j in plain["jobs"])
        assert all(1 <= (j.get("pickup") or j.get("delivery"))[0] <= 3 for j in plain["jobs"])
        assert all(CAPACITY[0] <= v["capacity"][0] <= CAPACITY[1] for v in plain["vehicles"])
        assert all(v["time_window"][1] - v["time_window"][0] == 9 * 3600 for v in plain["vehicles"])
        # breaks in the break variant only; otherwise the same day
        assert all("breaks" not in v for v in plain["vehicles"])
        assert all(len(v["breaks"]) == 1 for v in breaks["vehicles"])
        assert breaks["jobs"] == plain["jobs"]
        assert [{k: x for k, x in v.items() if k != "breaks"} for v in breaks["vehicles"]] == plain["vehicles"]
        # both requests are what `ajib solve` reads
        assert len(load_input(json.dumps(breaks)).problem.jobs) == len(plain["jobs"])
    # over the reporting seeds: late starts, high priority, Friday prayer, uneven slots, tight capacity
    vehicles = [v for pair in days for v in pair["breaks"].request["vehicles"]]
    jobs = [j for pair in days for j in pair["plain"].request["jobs"]]
    assert {v["time_window"][0] for v in vehicles} == {8 * 3600, 8 * 3600 + 1800}
    assert 0.04 < sum(1 for j in jobs if j["priority"] > 0) / len(jobs) < 0.15
    services = {b["service"] for v in vehicles for b in v["breaks"]}
    assert services == {LUNCH[1], FRIDAY_PRAYER[1]}
    assert all(pair["plain"].info["weekday"] == "Fri" for pair in days if any(
        b["service"] == FRIDAY_PRAYER[1] for v in pair["breaks"].request["vehicles"] for b in v["breaks"]
    ))  # fmt: skip
    for pair in days:
        per_slot = pair["plain"].info["per_office"][0]["window_jobs"]
        assert max(per_slot) > 1.2 * min(per_slot), "slots are unevenly loaded"
    over = sum(1 for pair in days if pair["plain"].info["demand"] > pair["plain"].info["fleet_capacity"])
    assert over >= len(days) // 2, "the demand is often above one trip of every courier's box"


def test_a_city_day_ties_each_job_to_its_office():
    day = ajib_day("city", 0, "plain", DATA)
    offices = day.info["offices"]
    assert offices >= 5
    req = day.request
    assert {j["skills"][0] for j in req["jobs"]} == set(range(1, offices + 1))
    for v in req["vehicles"]:
        assert v["start_index"] == v["end_index"] == v["skills"][0] - 1, "couriers start and end at their office"


def test_the_trips_variants_are_the_same_day_through_the_office():
    """``trips`` is the product's reading of the day: every job a shipment between its home (its window, 5 min)
    and its office (no window, 2 min at the clerk), the same couriers; ``trips-breaks`` has the breaks."""
    days = ajib_days("city", 1, DATA)
    plain, trips, rested = days["plain"].request, days["trips"].request, days["trips-breaks"].request
    assert "jobs" not in trips and len(trips["shipments"]) == len(plain["jobs"])
    for job, ship in zip(plain["jobs"], trips["shipments"], strict=True):
        kind = "pickup" if "pickup" in job else "delivery"
        home, clerk = (ship["pickup"], ship["delivery"]) if kind == "pickup" else (ship["delivery"], ship["pickup"])
        assert home["location_index"] == job["location_index"] and home["time_windows"] == job["time_windows"]
        assert clerk["location_index"] == job["skills"][0] - 1 and "time_windows" not in clerk
        assert ship["amount"] == job[kind] and ship["skills"] == job["skills"]
    assert trips["vehicles"] == plain["vehicles"] and rested["vehicles"] == days["breaks"].request["vehicles"]
    problem = load_input(days["trips-breaks"].json()).problem
    assert all(j.pickup is not None and j.delivery is not None for j in problem.jobs)
    assert all(v.breaks for v in problem.vehicles)


def test_bench_runs_all_three_solvers_and_verifies_every_answer(tmp_path):
    pytest.importorskip("vroom")
    pytest.importorskip("pyvrp")
    args = ["bench", "--set", "ajib-days", "--sizes", "tiny", "--seeds", "1", "--time-limit", "1"]
    result = CliRunner().invoke(app, [*args, "--out-dir", str(tmp_path), "--shared-dir", str(SHARED)])
    assert result.exit_code == 0, result.output
    with (tmp_path / "ajib-days-tiny-1s.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    ran = {(r["variant"], r["solver"]): r for r in rows}
    for key in [("plain", "ajib"), ("plain", "vroom"), ("plain", "pyvrp"), ("breaks", "ajib"), ("breaks", "vroom")]:
        assert ran[key]["verified"] == "True", ran[key]
        assert int(ran[key]["served"]) > 0
    assert ran[("breaks", "pyvrp")]["verified"] == "" and "no breaks" in ran[("breaks", "pyvrp")]["note"]
    md = (tmp_path / "ajib-days-tiny-1s.md").read_text()
    assert "load average" in md and "nproc" in md and "commit" in md


def test_bench_runs_the_trips_variant_with_every_solver(tmp_path):
    """The product's reading through ``ajib bench``: ours, VROOM and PyVRP (its optional shipments), all verified."""
    pytest.importorskip("vroom")
    pytest.importorskip("pyvrp")
    args = ["bench", "--set", "ajib-days", "--sizes", "tiny", "--seeds", "2", "--variants", "trips", "--name", "t"]
    args += ["--time-limit", "1", "--out-dir", str(tmp_path), "--shared-dir", str(SHARED)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    with (tmp_path / "t.csv").open() as fh:
        rows = {r["solver"]: r for r in csv.DictReader(fh)}
    for solver in ("ajib", "vroom", "pyvrp"):
        assert rows[solver]["verified"] == "True", rows[solver]
        assert int(rows[solver]["served"]) > 0


def test_an_unverified_answer_is_never_counted():
    from bench.solver.days import DayRow, day_table

    def row(solver, served, travel, verified):
        return DayRow("office-s0", "office", 0, "plain", solver, 10, 2, 1.0, served, 0, travel, 0, 1, 1.0, 1.0,
                      0.0, verified, 0 if verified else 1, "")  # fmt: skip

    table = day_table([row("ajib", 10, 1000, True), row("vroom", 10, 900, False), row("pyvrp", 10, 1100, True)])
    (verdict,) = table
    assert verdict.best_peer == "pyvrp", "VROOM's unverified answer cannot be the best peer"
    assert verdict.ratio == pytest.approx(1000 / 1100)
    (mine_bad,) = day_table([row("ajib", 10, 500, False), row("vroom", 10, 900, True)])
    assert mine_bad.ratio is None and mine_bad.served_ok is False
