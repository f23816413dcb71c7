"""Processes the engine forks die with the process that forked them, even when it is SIGKILLed (issue 16).

A parent solving a day with a long budget forks a second worker (``num_workers=2``), a process per group
of offices (``routing.decompose``) or, on a one-office day of mixed pickups and deliveries with a spare core,
PyVRP's second search (``routing.pyvrp_search``); the test kills the parent with SIGKILL and waits for its
children to go. Without ``routing.lifetime`` they searched on for nobody until their deadline (here 300 s).
The wait is a generous bound on an eventual fact, not a speed: nothing is asserted about how fast they go.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]

_PARENT = """
import sys
from routing import SolveParams, solve
from tests.unit.routing.builders import problem, single, task, vehicle

if sys.argv[1] == "pyvrp":  # one office, pickups and deliveries mixed: PyVRP's second search on the spare core
    from tests.unit.routing.builders import office_day

    print("solving", flush=True)
    solve(office_day(3, n_jobs=40), SolveParams(time_limit_s=300.0, num_workers=1))
    sys.exit(0)
groups = int(sys.argv[1])
points = [(0, 0)] + [(100.0 * i, 50.0 * (i % 3)) for i in range(1, 41)]
vehicles = [vehicle(f"v{g}{k}", skills=frozenset({f"office{g}"})) for g in range(groups) for k in range(2)]
jobs = [single(f"j{i}", task(i, service=60), skills=frozenset({f"office{i % groups}"})) for i in range(1, 41)]
print("solving", flush=True)
solve(problem(points, vehicles, jobs), SolveParams(time_limit_s=300.0, num_workers=2))
"""


def _children(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except (FileNotFoundError, ProcessLookupError):
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid and fields[0] != "Z":
            out.append(int(entry.name))
    return out


def _alive(pid: int) -> bool:
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
@pytest.mark.parametrize("groups", ["1", "2", "pyvrp"], ids=["second-worker", "office-groups", "pyvrp-second-search"])
def test_forked_solvers_die_when_their_parent_is_sigkilled(tmp_path, groups):
    script = tmp_path / "parent.py"
    script.write_text(_PARENT)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    parent = subprocess.Popen(
        [sys.executable, str(script), groups], cwd=REPO, stdout=subprocess.PIPE, text=True, env=env
    )
    children: list[int] = []
    try:
        assert parent.stdout is not None and parent.stdout.readline().strip() == "solving"
        bound = time.monotonic() + 120
        while not children and time.monotonic() < bound and parent.poll() is None:
            time.sleep(0.2)
            children = _children(parent.pid)
        assert children, "the parent forked no solver (nothing to test)"
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait(timeout=60)
        bound = time.monotonic() + 60  # the children's own deadline is 300 s away
        while any(_alive(c) for c in children) and time.monotonic() < bound:
            time.sleep(0.2)
        assert not [c for c in children if _alive(c)], "a forked solver outlived its parent"
    finally:
        if parent.poll() is None:
            parent.kill()
        for c in children:  # the test failed: leave no stray process behind
            if _alive(c):
                os.kill(c, signal.SIGKILL)


def test_beside_hands_back_a_closures_result_or_none_when_the_child_dies() -> None:
    """A forked call returns what the closure computed (nothing but the result is pickled); a child that dies
    or raises gives None, and the caller does the work itself (``routing.decompose``, ``routing.solve``)."""
    from routing.lifetime import Beside, can_fork

    if not can_fork():  # pragma: no cover - not Linux
        pytest.skip("no fork here")
    table = {"a": 2}  # a local closure: spawn could not pickle it
    assert Beside(lambda: table["a"] * 21).result(60) == 42
    assert Beside(lambda: os._exit(3)).result(60) is None

    def broken() -> int:
        raise ValueError("the search failed")

    assert Beside(broken).result(60) is None
