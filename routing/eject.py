"""Serve one more: insert left-out stops, moving one served stop to another route to make room.

Why: on capacity-tight AJIB days (issue 16) the deliveries loaded at the office add up to more than the boxes
hold, so some must stay behind, and every job counts the same. PyVRP's prize-collecting search, and OR-Tools'
descent after it, leave out a few more than VROOM does: the room a left-out bundle needs is there, but split
between routes (two units free on one bike, one on another), or the only gap in time is taken by a stop that
another courier could just as well make. Neither search has a move that inserts one stop while relocating
another; this pass does (an ejection chain of depth one), before OR-Tools reads the plan back.

It works on single-stop jobs (the mixed pickup/delivery day PyVRP plans), and it only adds: a left-out stop
goes in when it fits directly, or when one stop of the route it goes into fits in another route; the cheapest
such move in travel wins; failing that, as many of one route's stops move elsewhere as its box needs where it is
fullest with the new stop in place (often mid-route on a mixed day). A cheap check of capacity and windows (no
rests) filters the candidates; the one
timing rule (``routing.schedule``) and ``routing.verify`` confirm every route changed, rests included, so
nothing here can produce a plan the model refuses; OR-Tools polishes and checks it again afterwards.
"""

from __future__ import annotations

import itertools
import time as _time
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from routing.schedule import job_visits, schedule_route
from routing.verify import verify_route

if TYPE_CHECKING:
    from routing.model import Built

__all__ = ["serve_more"]

_CONFIRM = 6  # cheapest candidates confirmed by the exact rule before giving up on a stop
_REMEMBER = 200_000  # ``best_place`` answers kept (a few tens of MB) before they are dropped


class _Routes:
    """Index routes in node terms, with the cheap feasibility and travel checks."""

    def __init__(self, built: Built) -> None:
        self.built = built
        layout = built.layout
        self.layout = layout
        self.manager = built.manager
        problem = layout.problem
        self.problem = problem
        self.early, self.late = layout.window_bounds()
        self.service = np.asarray(layout.service, dtype=np.int64)
        # single trip: deliveries are on board from the start, pickups stay on board to the end
        self.delta = np.asarray(layout.delta, dtype=np.int64)
        self.load_in = np.maximum(-self.delta, 0)
        # what a stop adds to the box at the start (a delivery) and at the end (a pickup) of a single trip
        self.load_out = self.load_in + self.delta
        self.travel = [built.matrices[built.vehicle_class[vi]].travel for vi in range(len(problem.vehicles))]
        self.cap = [np.asarray(v.capacity, dtype=np.int64) for v in problem.vehicles]
        # ``fits`` runs ~10^5 times a pass: the same data as plain Python numbers, which it reads ~5x faster
        rows: dict[int, list[list[int]]] = {c: built.matrices[c].travel.tolist() for c in set(built.vehicle_class)}
        self._rows = [rows[built.vehicle_class[vi]] for vi in range(len(problem.vehicles))]
        self._early, self._late, self._service = self.early.tolist(), self.late.tolist(), self.service.tolist()
        self._in = [tuple(x) for x in self.load_in.tolist()]
        self._delta = [tuple(x) for x in self.delta.tolist()]
        self._cap = [tuple(v.capacity) for v in problem.vehicles]
        self._places: dict[tuple[int, tuple[int, ...], int, bool], tuple[int, list[int]] | None] = {}

    def fits(self, vi: int, nodes: Sequence[int], capacity: bool = True) -> bool:
        """Capacity and windows without rests: necessary for the exact rule, ~50 times cheaper."""
        layout = self.layout
        travel = self._rows[vi]
        cap = self._cap[vi]
        load = [sum(x) for x in zip(*(self._in[n] for n in nodes), strict=True)] if nodes else [0] * len(cap)
        if capacity and any(a > c for a, c in zip(load, cap, strict=True)):
            return False
        vehicle = self.problem.vehicles[vi]
        t = vehicle.shift.start
        here = layout.starts[vi]
        early, late, service, delta = self._early, self._late, self._service, self._delta
        for node in nodes:
            t = max(t + travel[here][node], early[node])
            if t > late[node]:
                return False
            if capacity:
                load = [a + d for a, d in zip(load, delta[node], strict=True)]
                if any(a > c for a, c in zip(load, cap, strict=True)):
                    return False
            t += service[node]
            here = node
        return bool(t + travel[here][layout.ends[vi]] <= vehicle.shift.end)

    def cost(self, vi: int, nodes: Sequence[int]) -> int:
        travel = self.travel[vi]
        path = [self.layout.starts[vi], *nodes, self.layout.ends[vi]]
        return int(sum(travel[a, b] for a, b in itertools.pairwise(path)))

    def holds(self, vi: int, nodes: Sequence[int]) -> bool:
        problem = self.problem
        visits = [job_visits(problem.jobs[int(self.layout.job_of[n])])[0] for n in nodes]
        return not verify_route(problem, schedule_route(problem, problem.vehicles[vi], visits))

    def ends(self, vi: int, nodes: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        """Load on board at the start (deliveries) and at the end (pickups) of a single trip."""
        idx = list(nodes)
        return self.load_in[idx].sum(axis=0), self.load_out[idx].sum(axis=0)

    def peak(self, nodes: Sequence[int]) -> np.ndarray:
        """The fullest the box gets on a single trip through ``nodes``, per dimension."""
        load = self.load_in[list(nodes)].sum(axis=0) if nodes else np.zeros_like(self.cap[0])
        top = load
        for node in nodes:
            load = load + self.delta[node]
            top = np.maximum(top, load)
        return top

    def best_place(self, vi: int, nodes: list[int], new: int, capacity: bool = True) -> tuple[int, list[int]] | None:
        """Cheapest position of ``new`` in ``nodes`` passing ``fits``: (added travel, route).

        Remembered: a pass asks the same (route, stop) again for every left-out stop while the plan stays."""
        key = (vi, tuple(nodes), new, capacity)
        if key not in self._places:
            if len(self._places) > _REMEMBER:
                self._places.clear()
            self._places[key] = self._best_place(vi, nodes, new, capacity)
        return self._places[key]

    def _best_place(self, vi: int, nodes: list[int], new: int, capacity: bool) -> tuple[int, list[int]] | None:
        base = self.cost(vi, nodes)
        best: tuple[int, list[int]] | None = None
        for k in range(len(nodes) + 1):
            trial = [*nodes[:k], new, *nodes[k:]]
            if not self.fits(vi, trial, capacity):
                continue
            delta = self.cost(vi, trial) - base
            if best is None or delta < best[0]:
                best = (delta, trial)
        return best


def serve_more(built: Built, routes: Sequence[Sequence[int]], deadline: float) -> list[list[int]]:
    """``routes`` (OR-Tools indices per vehicle) with as many left-out single-stop jobs put in as fit by
    direct insertion or one relocation, highest drop penalty first; stops until ``deadline``."""
    manager, layout = built.manager, built.layout
    if layout.pairs:  # a relocated stop would leave its partner behind: pickup-and-delivery days pass unchanged
        return [list(route) for route in routes]
    r = _Routes(built)
    plan = [[manager.IndexToNode(i) for i in route] for route in routes]
    served = {n for route in plan for n in route}
    left = [n for nodes in layout.job_nodes.values() for n in nodes if n not in served and len(nodes) == 1]
    left.sort(key=lambda n: (-built.penalty[int(layout.job_of[n])], int(r.load_in[n].sum()), n))
    for u in left:
        if _time.monotonic() > deadline:
            break
        moves: list[tuple[int, dict[int, list[int]]]] = []
        for vi, nodes in enumerate(plan):
            placed = r.best_place(vi, nodes, u)
            if placed is not None:
                moves.append((placed[0], {vi: placed[1]}))
        if not _apply(r, plan, sorted(moves, key=lambda m: m[0])):
            moves = []
            ends = [r.ends(vi, nodes) for vi, nodes in enumerate(plan)]
            u_in, u_out = r.load_in[u], r.load_out[u]
            for vi, nodes in enumerate(plan):
                if _time.monotonic() > deadline:
                    break
                # a route whose windows leave no gap for u even with room in the box is not tried: making room
                # is what this pass does, making time would need deeper chains
                if r.best_place(vi, nodes, u, capacity=False) is None:
                    continue
                base = r.cost(vi, nodes)
                start, end = ends[vi]
                for k, d in enumerate(nodes):
                    d_in, d_out = r.load_in[d], r.load_out[d]
                    if (start - d_in + u_in > r.cap[vi]).any() or (end - d_out + u_out > r.cap[vi]).any():
                        continue
                    rest = nodes[:k] + nodes[k + 1 :]
                    placed = r.best_place(vi, rest, u)
                    if placed is None:
                        continue
                    added = r.cost(vi, placed[1]) - base
                    for ti, other in enumerate(plan):
                        t_start, t_end = ends[ti]
                        if ti == vi or (t_start + d_in > r.cap[ti]).any() or (t_end + d_out > r.cap[ti]).any():
                            continue
                        moved = r.best_place(ti, other, d)
                        if moved is not None:
                            moves.append((added + moved[0], {vi: placed[1], ti: moved[1]}))
            if not _apply(r, plan, sorted(moves, key=lambda m: m[0])):
                _make_room(r, plan, u, deadline)
    return [[manager.NodeToIndex(n) for n in nodes] for nodes in plan]


def _make_room(r: _Routes, plan: list[list[int]], u: int, deadline: float) -> bool:
    """Put ``u`` in a route whose windows leave it a gap, after moving as many of that route's stops elsewhere
    as its box needs (largest first, each to the cheapest route with room and time): the room a bundle needs is
    often there in total, a unit here and two there. Applied only if every changed route holds.

    The room is measured where the box is fullest with ``u`` in its place, not only at the ends: on a day of
    mixed loads the peak is often mid-route (pickups collected before the afternoon's deliveries are made),
    and a route with room at both ends can still have none there."""
    for vi, nodes in enumerate(plan):
        if _time.monotonic() > deadline:
            return False
        if r.best_place(vi, nodes, u, capacity=False) is None:
            continue
        trial = {k: list(v) for k, v in enumerate(plan)}
        for d in sorted(nodes, key=lambda n: -int(r.load_in[n].sum() + r.load_out[n].sum())):
            placed = r.best_place(vi, trial[vi], u, capacity=False)
            if placed is None:
                break
            top = r.peak(placed[1])
            short = top > r.cap[vi]
            if not short.any():
                break
            if not (r.peak([n for n in placed[1] if n != d]) < top)[short].any():
                continue  # moving d frees nothing that is short
            d_in, d_out = r.load_in[d], r.load_out[d]
            best: tuple[int, int, list[int]] | None = None
            for ti, other in trial.items():
                if ti == vi:
                    continue
                t_start, t_end = r.ends(ti, other)
                if (t_start + d_in > r.cap[ti]).any() or (t_end + d_out > r.cap[ti]).any():
                    continue
                moved = r.best_place(ti, other, d)
                if moved is not None and (best is None or moved[0] < best[0]):
                    best = (moved[0], ti, moved[1])
            if best is not None:
                trial[best[1]] = best[2]
                trial[vi] = [n for n in trial[vi] if n != d]
        placed = r.best_place(vi, trial[vi], u)
        if placed is None:
            continue
        trial[vi] = placed[1]
        changed = {k: v for k, v in trial.items() if v != plan[k]}
        if all(r.holds(k, v) for k, v in changed.items()):
            for k, v in changed.items():
                plan[k] = v
            return True
    return False


def _apply(r: _Routes, plan: list[list[int]], moves: list[tuple[int, dict[int, list[int]]]]) -> bool:
    """The first of the cheapest few ``moves`` whose changed routes hold under the exact rule, applied."""
    for _, change in moves[:_CONFIRM]:
        if all(r.holds(vi, nodes) for vi, nodes in change.items()):
            for vi, nodes in change.items():
                plan[vi] = nodes
            return True
    return False
