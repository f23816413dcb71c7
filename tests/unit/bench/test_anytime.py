"""The anytime reading (bench/solver/anytime.py): the first limit at which ours serves as many as VROOM with no
more travel, counted only when that limit is below VROOM's wall time; unverified answers never count."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from bench.solver.anytime import main

FIELDS = ["day", "variant", "solver", "time_limit_s", "served", "travel_s", "wall_s", "verified"]


def _csv(path: Path, rows: list[tuple[str, str, str, str, int, float, float, bool]]) -> str:
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(FIELDS)
        w.writerows(rows)
    return str(path)


def test_first_limit_reaching_vroom_within_its_wall_time(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a = _csv(tmp_path / "a.csv", [
        ("office-s0", "plain", "vroom", "", 100, 1000.0, 6.0, True),
        ("office-s0", "plain", "ajib", "2", 100, 1100.0, 2.0, True),
        ("office-s1", "plain", "vroom", "", 100, 1000.0, 4.0, True),
        ("office-s1", "plain", "ajib", "2", 99, 900.0, 2.0, True),  # fewer served: not reached
        ("office-s2", "plain", "vroom", "", 100, 1000.0, 9.0, True),
        ("office-s2", "plain", "ajib", "2", 100, 900.0, 2.0, False),  # unverified: ignored
    ])  # fmt: skip
    b = _csv(tmp_path / "b.csv", [
        ("office-s0", "plain", "ajib", "5", 100, 990.0, 5.0, True),  # reached by 5 s, VROOM took 6 s
        ("office-s1", "plain", "ajib", "5", 100, 1000.0, 5.0, True),  # reached by 5 s, VROOM took 4 s: no
        ("office-s2", "plain", "ajib", "5", 100, 1001.0, 5.0, True),  # never reached
    ])  # fmt: skip
    assert main([a, b]) == 0
    out = capsys.readouterr().out
    lines = {line.split(" | ")[0].strip("| "): line for line in out.splitlines() if line.startswith("| office")}
    assert lines["office-s0"].endswith("| 5 s | yes |")
    assert lines["office-s1"].endswith("| 5 s | no |")
    assert lines["office-s2"].endswith("| not within the limits run | no |")
    assert "within VROOM's wall time on 1 of 3 days" in out
