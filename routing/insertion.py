"""Where a job's stops fit in a route, and when: every order tried, each timed by the one rule.

``best_insertion`` tries the new visits (one, or a pickup then its delivery) at every position of a
route, times each candidate with ``schedule_route`` and checks it with ``verify_route``; the cheapest
candidate that breaks nothing wins. When none holds, the least-bad one comes back with what it breaks,
so a dispatcher is told which rule stands in the way (and may still force it).

Exact rather than fast: a route has tens of stops, so the few hundred candidates cost milliseconds.
The searches that try millions of insertions (``routing.sisr``, ``routing.kernels``, ``check_slots``)
keep their own incremental tests, and their tests hold them against this rule.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from routing.problem import Problem, Vehicle
from routing.schedule import Visit, schedule_route
from routing.solution import Route
from routing.verify import Violation, verify_route

__all__ = ["Insertion", "best_insertion"]


@dataclass(frozen=True, slots=True)
class Insertion:
    """A route with the new visits in it.

    ``positions`` are the indices of the new visits in the route's visit order; ``violations`` is
    empty when the route breaks nothing.
    """

    route: Route
    positions: tuple[int, ...]
    violations: tuple[Violation, ...]

    @property
    def feasible(self) -> bool:
        return not self.violations


def best_insertion(problem: Problem, vehicle: Vehicle, visits: Sequence[Visit], new: Sequence[Visit]) -> Insertion:
    """The cheapest feasible way to add ``new`` (one or two visits, in order) among ``visits`` on ``vehicle``.

    Cheapest = least travel, then the earliest return. Without a feasible way, the way that breaks the
    fewest rules (then the cheapest), with its violations.
    """
    if len(new) not in (1, 2):
        raise ValueError(f"one or two new visits, got {len(new)}")
    n = len(visits)
    if len(new) == 2:
        positions = [(i, j) for i in range(n + 1) for j in range(i, n + 1)]
    else:
        positions = [(i, i) for i in range(n + 1)]
    best: tuple[tuple[int, int], Insertion] | None = None
    fallback: tuple[tuple[int, int, int], Insertion] | None = None
    for i, j in positions:
        seq = [*visits[:i], new[0], *visits[i:j], *new[1:], *visits[j:]]
        route = schedule_route(problem, vehicle, seq)
        cost = (route.duration, route.steps[-1].arrival)
        if best is not None and cost >= best[0]:
            continue  # cannot beat the feasible way found already (and the fallback no longer matters)
        violations = tuple(verify_route(problem, route))
        found = Insertion(route, (i,) if len(new) == 1 else (i, j + 1), violations)
        if not violations and (best is None or cost < best[0]):
            best = (cost, found)
        key = (len(violations), *cost)
        if fallback is None or key < fallback[0]:
            fallback = (key, found)
    if best is not None:
        return best[1]
    assert fallback is not None
    return fallback[1]
