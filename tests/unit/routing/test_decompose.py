"""solve() splits a day into independent offices and merges the answers."""

from __future__ import annotations

from routing import SolveParams, solve
from routing.decompose import components
from routing.reasons import precheck
from routing.verify import verify
from tests.unit.routing.builders import pickup, problem, task, vehicle

POINTS = [(0, 0), (10_000, 0), (300, 200), (-400, 100), (10_200, 300), (9_700, -200), (200, -500)]


def _two_offices():
    a, b = frozenset({"office:a"}), frozenset({"office:b"})
    vs = [vehicle("a1", 0, 0, skills=a), vehicle("b1", 1, 1, skills=b), vehicle("a2", 0, 0, skills=a)]
    jobs = [
        pickup("ja1", task(2, service=60), task(0), skills=a),
        pickup("jb1", task(4, service=60), task(1), skills=b),
        pickup("ja2", task(3, service=60), task(0), skills=a),
        pickup("jb2", task(5, service=60), task(1), skills=b),
        pickup("ja3", task(6, service=60), task(0), skills=a),
    ]
    return problem(POINTS, vs, jobs)


def test_offices_are_separate_components():
    """Jobs only one office's couriers may serve form one component per office, in vehicle order."""
    p = _two_offices()
    comps = components(p, precheck(p))
    assert [c.vehicles for c in comps] == [(0, 2), (1,)]
    assert [c.jobs for c in comps] == [(0, 2, 4), (1, 3)]


def test_decomposed_solve_serves_everything_and_verifies():
    """A decomposed day comes back as one verified solution, routes in the problem's vehicle order."""
    p = _two_offices()
    s = solve(p, SolveParams(time_limit_s=1.0, solution_limit=50))
    assert verify(p, s) == []
    assert s.unassigned == ()
    order = [v.id for v in p.vehicles]
    ids = [r.vehicle_id for r in s.routes]
    assert ids == sorted(ids, key=order.index)
    assert {r.vehicle_id[0] for r in s.routes} == {"a", "b"}
