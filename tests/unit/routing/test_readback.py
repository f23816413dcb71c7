"""Reading another search's plan back into OR-Tools (routing/readback.py): a route planned without rests is cut
back until it holds with them, a job's stops go out together, and what was cut goes back in where the one
timing rule says it holds, at the least riding any such place costs."""

from __future__ import annotations

import itertools
from dataclasses import replace

import pytest

from routing.params import SolveParams
from routing.problem import Break, TimeWindow
from routing.readback import _holds, _route_of, put_back, repair_routes
from routing.solution import StepKind
from routing.solve import solve
from routing.verify import verify

from .builders import built_model, multi_trip_day, pickup, problem, single, task, vehicle

REST = Break("lunch", (TimeWindow(1800, 2100),), 500)


@pytest.mark.parametrize("deadline", [None, 0.0], ids=["in-time", "past-deadline"])
def test_repair_routes_cuts_a_route_back_until_it_holds_with_lunch(deadline: float | None) -> None:
    # One courier, stops booked back to back across the lunch window: planned without the rest, the
    # route has no room for it; the repair takes stops out until lunch fits.
    points = [(0.0, 0.0)] + [(100.0 * (k + 1), 0.0) for k in range(6)]
    jobs = [single(f"d{k}", task(1 + k, (1700 + 120 * k, 1800 + 120 * k), service=60)) for k in range(6)]
    rest = Break("lunch", (TimeWindow(1800, 2100),), 500)
    p = problem(points, [vehicle("a", shift=(0, 4000), capacity=(10,), breaks=(rest,))], jobs)
    built = built_model(p)
    order = [built.manager.NodeToIndex(built.layout.job_nodes[j][0]) for j in range(6)]
    plain = replace(p, vehicles=(replace(p.vehicles[0], breaks=()),))
    assert verify(plain, solve(plain, SolveParams(time_limit_s=0.5))) == []
    repaired = repair_routes(built, [order], deadline)  # past the deadline: cut at the first violation, quickly
    assert 0 < len(repaired[0]) < len(order)
    assert set(repaired[0]) <= set(order)
    from routing.readback import _holds

    assert _holds(built, 0, repaired[0])
    assert not _holds(built, 0, order)


def test_repair_routes_takes_a_pickup_out_with_its_office_drop() -> None:
    """A stop taken out for the rest takes its partner with it: a delivery left without its pickup is no plan."""
    points = [(0.0, 0.0)] + [(100.0 * (k + 1), 0.0) for k in range(4)]
    office = task(0, (0, 4000), service=30)
    jobs = [pickup(f"p{k}", task(1 + k, (1700 + 120 * k, 1800 + 120 * k), service=60), office) for k in range(4)]
    rest = Break("lunch", (TimeWindow(1800, 2100),), 500)
    p = problem(points, [vehicle("a", shift=(0, 4000), capacity=(10,), breaks=(rest,))], jobs)
    built = built_model(p)
    homes = [built.manager.NodeToIndex(built.layout.job_nodes[j][0]) for j in range(4)]
    drops = [built.manager.NodeToIndex(built.layout.job_nodes[j][1]) for j in range(4)]
    repaired = repair_routes(built, [homes + drops])[0]
    assert 0 < len(repaired) < 8
    kept = [j for j in range(4) if homes[j] in repaired]
    assert kept and all(drops[j] in repaired for j in kept)
    assert all(drops[j] not in repaired for j in range(4) if j not in kept)


def _routes(built, solution) -> list[list[int]]:  # type: ignore[no-untyped-def]
    """A solution's routes as OR-Tools indices per vehicle (a pair's first stop is its job's first node)."""
    layout, manager = built.layout, built.manager
    jid = {job.id: j for j, job in enumerate(layout.problem.jobs)}
    steps = {r.vehicle_id: r.steps for r in solution.routes}
    routes = []
    for courier in layout.problem.vehicles:
        seen: dict[str, int] = {}
        order = []
        for step in steps.get(courier.id, ()):
            if step.job_id is None or step.kind is StepKind.BREAK:
                continue
            k = seen.get(step.job_id, 0)
            seen[step.job_id] = k + 1
            order.append(manager.NodeToIndex(layout.job_nodes[jid[step.job_id]][k]))
        routes.append(order)
    return routes


def _travel(built, vi: int, route: list[int]) -> int:  # type: ignore[no-untyped-def]
    layout, manager = built.layout, built.manager
    nodes = [layout.starts[vi], *(manager.IndexToNode(i) for i in route), layout.ends[vi]]
    travel = built.matrices[built.vehicle_class[vi]].travel
    return int(sum(travel[a, b] for a, b in itertools.pairwise(nodes)))


@pytest.mark.parametrize("rests", [False, True], ids=["plain", "lunch"])
@pytest.mark.parametrize("seed", [3, 4, 5])
def test_put_back_finds_the_cheapest_place_the_exact_rule_allows(seed: int, rests: bool) -> None:
    """Every job of a verified plan taken out in turn comes back at the least added riding of all the places
    (any route, every pair of gaps) where the route holds: the cheap bounds that skip most places never skip
    one the exact rule allows."""
    p = multi_trip_day(seed, n_jobs=14, rests=rests)
    s = solve(p, SolveParams(time_limit_s=5, seed=seed, pyvrp="off", solution_limit=100))
    assert verify(p, s) == []
    built = built_model(p)
    layout, manager = built.layout, built.manager
    plan = _routes(built, s)
    checked = 0
    # routes the one rule times as OR-Tools did (its rest placement is greedy, OR-Tools' searched)
    held = [r for vi, r in enumerate(plan) if _holds(built, vi, r)]
    for job in [j for j in layout.job_nodes if any(manager.NodeToIndex(layout.job_nodes[j][0]) in r for r in held)]:
        if checked == 6:
            break
        idx = [manager.NodeToIndex(n) for n in layout.job_nodes[job]]
        without = [[i for i in r if i not in idx] for r in plan]
        if not all(_holds(built, vi, r) for vi, r in enumerate(without)):
            continue  # the repair hands over routes that hold (a stop gone can leave a courier idle before lunch)
        best = None
        for vi, route in enumerate(without):
            for i in range(len(route) + 1):
                for k in range(i, len(route) + 1):
                    trial = route[:i] + idx[:1] + route[i:k] + idx[1:] + route[k:]
                    if _holds(built, vi, trial):
                        added = _travel(built, vi, trial) - _travel(built, vi, route)
                        best = added if best is None else min(best, added)
        assert best is not None  # where it was holds
        back = put_back(built, without, [job])
        changed = [vi for vi in range(len(back)) if back[vi] != without[vi]]
        assert len(changed) == 1
        vi = changed[0]
        assert set(back[vi]) == set(without[vi]) | set(idx)
        assert _holds(built, vi, back[vi])
        assert _travel(built, vi, back[vi]) - _travel(built, vi, without[vi]) == best
        checked += 1
    assert checked >= 4


def test_what_the_repair_cut_goes_to_a_courier_with_room() -> None:
    """Planned without the rest, one courier has every stop back to back across lunch; the repair cuts that
    route until the rest fits, and what it cut goes to the second courier, on a half-day shift without lunch:
    all six served."""
    points = [(0.0, 0.0)] + [(100.0 * (k + 1), 0.0) for k in range(6)]
    jobs = [single(f"d{k}", task(1 + k, (1700 + 120 * k, 1800 + 120 * k), service=60)) for k in range(6)]
    couriers = [
        vehicle("a", shift=(0, 4000), capacity=(10,), breaks=(REST,)),
        vehicle("b", shift=(1000, 4000), capacity=(10,)),  # a half-day shift: no lunch
    ]
    p = problem(points, couriers, jobs)
    built = built_model(p)
    order = [built.manager.NodeToIndex(built.layout.job_nodes[j][0]) for j in range(6)]
    repaired = repair_routes(built, [order, []])
    cut = [built.layout.job_of[built.manager.IndexToNode(i)] for i in order if i not in repaired[0]]
    assert cut
    back = put_back(built, repaired, cut)
    assert sorted(i for r in back for i in r) == sorted(order)
    assert back[1] and all(_holds(built, vi, r) for vi, r in enumerate(back))


def test_put_back_leaves_out_a_job_that_fits_nowhere_and_changes_nothing() -> None:
    """A bundle the box has no room for on the trip under way goes on a second trip when the shift leaves time
    for one; when it does not, the job stays out and the route is as it was."""
    points = [(0.0, 0.0), (100.0, 0.0), (200.0, 0.0)]
    office = task(0, service=30)
    jobs = [
        pickup("a", task(1, (0, 2000), service=60), office, amount=(3,)),
        pickup("big", task(2, (0, 2000), service=60), office, amount=(2,)),
    ]
    p = problem(points, [vehicle("v", shift=(0, 3000), capacity=(4,))], jobs)
    built = built_model(p)
    m, nodes = built.manager, built.layout.job_nodes
    route = [m.NodeToIndex(nodes[0][0]), m.NodeToIndex(nodes[0][1])]
    assert _holds(built, 0, route)
    back = put_back(built, [route], [1])[0]
    assert sorted(m.IndexToNode(i) for i in back) == sorted([*nodes[0], *nodes[1]])
    # a trip of its own: the box (4) never holds both (3 + 2)
    assert max(s.load[0] for s in _route_of(built, 0, back).steps) == 3
    assert _holds(built, 0, back)
    short = replace(p, vehicles=(replace(p.vehicles[0], shift=TimeWindow(0, 600)),))
    built = built_model(short)
    assert _holds(built, 0, route) and not _holds(built, 0, back)
    assert put_back(built, [route], [1]) == [route]
