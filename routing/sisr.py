"""Fast ruin-and-recreate (SISR) for plain time-window problems, in numpy, between OR-Tools descents.

Why: the ILS in ``routing.ils`` lets OR-Tools repair every ruined plan. That is exact under every
constraint of the model, but one repair is a full greedy descent over the whole plan (100-150 ms
on 100 customers, ~770,000 neighbours), so only 60-120 iterations fit in 10 s and tight-window
instances (Solomon R1/RC1) stay several per cent above the best known. SISR (Christiaens &
Vanden Berghe, Transportation Science 2020) needs no local search at all: it relies on many cheap
iterations of "remove strings of nearby stops, re-insert them greedily with blinks". Here one
iteration costs ~1-2 ms, so tens of times more of them run in the same time.

Scope: only what the insertion test below checks exactly: one time window per stop, shift windows,
capacities that only add up along a route (all deliveries loaded at the start, or all pickups
carried to the end, or both on one route, checked along the route) or pickup-delivery pairs
alone (checked along the load profile), allowed
vehicles, task limits, per-vehicle travel classes, fixed costs, drop penalties, and breaks with
one window each (rests, as route elements; see ``_chain``). Anything else (several windows,
one-node jobs mixed with pairs, on-board loads, travel limits, balance) makes ``fast_model``
return None and the caller keeps OR-Tools' repair. The result is always handed back to OR-Tools
(``routing.ils``), whose filters check every constraint again before a plan is accepted.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING

import numpy as np

from routing import kernels
from routing.model import break_windows
from routing.nodes import Role

if TYPE_CHECKING:
    from routing.model import Built
    from routing.params import SolveParams

__all__ = ["FastModel", "Plan", "anneal", "anneal_plain", "fast_model", "recreate", "reseat_rests", "route_cost"]

_BLINK = 0.01  # SISR's blink rate: a feasible position is skipped with this probability
_INF = np.int64(1) << np.int64(60)
_INF_I, _NEG_I = int(_INF), -int(_INF)
_NO_CHAIN = (0, _NEG_I, _INF_I)  # no rest in a gap: adds nothing, waits for nothing, never too late
# Rows of a route's gap table (``Plan.gaps``), one column per insertion position, i.e. per gap between
# two consecutive elements (stops and breaks): "a" is the last stop before the gap, "b" the first after.
# On a mixed day (``FastModel.mixed``) ``LOADS`` rows follow, per load dimension the highest load on the bike
# up to the gap, then per dimension the highest from it on.
VEH, POS, PREV, NEXT, DEP, PRE_ADD, PRE_FLOOR, PRE_XMAX, SUF_ADD, SUF_FLOOR, SUF_XMAX, LAT, ALOC = range(13)
LOADS = 13


@dataclass(frozen=True)
class FastModel:
    """The OR-Tools model's data in index space (what ``fast_model`` in ``routing.ils`` reads out).

    Breaks are extra indices from ``first_break`` on (one per break of a vehicle, allowed on that
    vehicle only): a route lists them among its stops, in the gap where the courier rests. They
    have no place of their own (``node`` -1); ``service`` is the rest's duration and ``lo``/``hi``
    the window its start must fall in.
    """

    node: np.ndarray  # node of every index
    lo: np.ndarray  # earliest service start per index
    hi: np.ndarray  # latest service start per index
    service: np.ndarray  # per index
    demand: np.ndarray  # (indices, dims) amount that counts towards capacity, >= 0
    travel: np.ndarray  # (classes, nodes, nodes) travel time
    cost: np.ndarray  # (classes, nodes, nodes) arc cost of the objective
    vehicle_class: np.ndarray  # per vehicle
    start: np.ndarray  # start index per vehicle
    end: np.ndarray  # end index per vehicle
    capacity: np.ndarray  # (vehicles, dims)
    max_tasks: np.ndarray  # per vehicle (huge when unlimited)
    fixed: np.ndarray  # fixed cost per vehicle
    allowed: np.ndarray  # (indices, vehicles) bool
    penalty: np.ndarray  # drop penalty per index (0 for starts and ends)
    twin: np.ndarray  # per vehicle, the first vehicle it is interchangeable with (itself if none)
    delta: np.ndarray  # (indices, dims) signed load change at each index (pickup +, delivery -)
    partner: np.ndarray  # per index: the delivery of a pickup, -1 for every other index
    paired: np.ndarray  # per index: True for the delivery of a pair
    first_break: int = -1  # the first break index (= the number of OR-Tools indices); -1: no breaks
    breaks: tuple[tuple[int, ...], ...] = ()  # break indices per vehicle, in OR-Tools' order

    @cached_property
    def has_pairs(self) -> bool:
        return bool((self.partner >= 0).any())

    @cached_property
    def mixed(self) -> bool:
        """Deliveries loaded at the start and pickups carried to the end on one route (no pairs): the box is
        fullest somewhere mid-route, so the insertion test reads the highest load before and after a gap."""
        return not self.has_pairs and bool((self.delta < 0).any() and (self.delta > 0).any())

    @cached_property
    def plain(self) -> bool:
        """No rests and no pairs: plans are held in ``routing.kernels``' tables and recreated there."""
        return self.first_break < 0 and not self.has_pairs

    @cached_property
    def depot_distance(self) -> np.ndarray:
        """Cost from the first vehicle's start to every index: SISR's "far/near first" insertion orders."""
        return self.cost[0, self.node[int(self.start[0])], self.node]

    @cached_property
    def kernel_model(self) -> tuple:
        """The arrays ``routing.kernels`` reads, in the order of its ``MODEL``, each with one dtype always
        (so one compiled version serves every model)."""
        return tuple(
            np.ascontiguousarray(getattr(self, name), dtype=np.bool_ if name == "allowed" else np.int64)
            for name in kernels.MODEL
        )

    @property
    def size(self) -> int:
        """Number of OR-Tools indices (break indices come after them)."""
        return self.first_break if self.first_break >= 0 else len(self.node)


def _chain(lo: list[int], hi: list[int], dur: list[int], elements: range) -> tuple[int, int, int]:
    """Breaks taken one after another from a departure ``x``, as ``(add, floor, xmax)``.

    Resting through them ends at ``max(x + add, floor)`` and is possible iff ``x <= xmax``. The
    ride to the next stop fills waiting first, so that stop is reached at
    ``max(x + add + travel, floor)``: OR-Tools' break model lets a rest fall anywhere in the gap
    between two visits, the ride included, and this is the earliest arrival it allows.
    """
    add, floor, xmax = 0, _NEG_I, _INF_I
    for k in elements:
        xmax = min(xmax, hi[k] - add) if floor <= hi[k] else _NEG_I
        floor = max(floor, lo[k]) + dur[k]
        add += dur[k]
    return add, floor, xmax


def _forward(fm: FastModel, v: int, seq: list[int]) -> tuple:
    """Earliest schedule of the elements ``seq`` (start, stops and rests, end) on vehicle ``v``.

    Returns the positions of the stops in ``seq``, the windows and durations of every element,
    the ride and the rests' chain of every gap between two stops, and per stop: earliest start,
    reach (time from the start with no waiting), latest start that keeps the rests after it
    possible; then whether everything holds.
    """
    fb = fm.first_break
    n = len(seq)
    located = list(range(n)) if fb < 0 else [k for k in range(n) if seq[k] < fb]
    nodes = fm.node[[seq[k] for k in located]]
    lo_l, hi_l, svc_l = fm.lo[seq].tolist(), fm.hi[seq].tolist(), fm.service[seq].tolist()
    rides = fm.travel[int(fm.vehicle_class[v]), nodes[:-1], nodes[1:]].tolist()
    nl = len(located)
    if nl == n:  # no rest: the plain passes
        arr = [0] * n
        t = arr[0] = lo_l[0]
        legs = [a + b for a, b in zip(svc_l, rides, strict=False)]
        for k in range(1, n):
            t += legs[k - 1]
            if t < lo_l[k]:
                t = lo_l[k]
            arr[k] = t
        reach = [0, *itertools.accumulate(legs)]
        ok = all(a <= h for a, h in zip(arr, hi_l, strict=True))
        return located, lo_l, hi_l, svc_l, rides, [_NO_CHAIN] * (n - 1), arr, reach, hi_l, ok
    chains = [
        _chain(lo_l, hi_l, svc_l, range(located[j] + 1, located[j + 1]))
        if located[j + 1] > located[j] + 1
        else _NO_CHAIN
        for j in range(nl - 1)
    ]
    arr, reach, hi_eff = [0] * nl, [0] * nl, [0] * nl
    ok = True
    t = lo_l[0]
    arr[0] = t
    for j in range(nl - 1):
        add, floor, xmax = chains[j]
        dep = t + svc_l[located[j]]
        ok &= dep <= xmax
        t = max(lo_l[located[j + 1]], dep + add + rides[j], floor)
        ok &= t <= hi_l[located[j + 1]]
        arr[j + 1] = t
        reach[j + 1] = reach[j] + svc_l[located[j]] + add + rides[j]
        hi_eff[j] = min(hi_l[located[j]], xmax - svc_l[located[j]])
    hi_eff[-1] = hi_l[-1]
    return located, lo_l, hi_l, svc_l, rides, chains, arr, reach, hi_eff, ok


def reseat_rests(fm: FastModel, v: int, route: list[int]) -> list[int] | None:
    """``route`` with its rests moved to gaps (and an order) where every window holds, or None.

    OR-Tools' break model is looser than this module's in one place: rests before a route's
    start (or after its end) are not checked against each other, so a plan it returns may put
    lunch and prayer at the same time while the courier waits at the office. Reading such a
    plan, the rests are re-seated: the nearest positions to where OR-Tools had them first, each
    partial placement checked (taking a rest out never makes a route later, so a placement that
    fails stays failed).
    """
    rests = [i for i in route if i >= fm.first_break >= 0]
    if not rests:
        return route if _forward(fm, v, [int(fm.start[v]), *route, int(fm.end[v])])[-1] else None
    base = [i for i in route if i not in rests]
    where = {b: sum(1 for i in route[: route.index(b)] if i not in rests) for b in rests}

    def place(current: list[int], todo: list[int]) -> list[int] | None:
        if not todo:
            return current
        b, rest = todo[0], todo[1:]
        stops_before = [k for k, i in enumerate(current) if i not in rests]
        for gap in sorted(range(len(base) + 1), key=lambda g: abs(g - where[b])):
            # after the gap-th stop, before any rest already seated there
            pos = stops_before[gap - 1] + 1 if gap else 0
            for p in range(pos, len(current) + 1):
                if p > pos and current[p - 1] not in rests:
                    break
                cand = [*current[:p], b, *current[p:]]
                if _forward(fm, v, [int(fm.start[v]), *cand, int(fm.end[v])])[-1]:
                    found = place(cand, rest)
                    if found is not None:
                        return found
        return None

    for order in (rests, rests[::-1]) if len(rests) == 2 else (rests,):
        found = place(base, list(order))
        if found is not None:
            return found
    return None


@lru_cache(maxsize=512)
def _plain_template(m: int) -> np.ndarray:
    out = np.zeros((13, m), dtype=np.int64)
    out[[POS, ALOC]] = np.arange(m)
    out[[PRE_FLOOR, SUF_FLOOR]] = _NEG_I
    out[[PRE_XMAX, SUF_XMAX]] = _INF_I
    return out


def _plain_gaps(m: int) -> np.ndarray:
    """A gap table for ``m`` gaps with no rest in any: the rows that do not depend on the route filled."""
    return _plain_template(m).copy()


class Plan:
    """Routes with the schedule arrays the insertion test needs, kept up to date on every change.

    Per route: ``arr``/``lat`` (earliest and latest service start), ``reach`` (time from the start
    with no waiting) and ``hi_eff`` (latest start that keeps the rests after it possible), one
    value per stop, start and end included; ``gaps``, one column per insertion position (rows
    ``VEH`` ... ``ALOC``); ``profile``, the load after every element (pairs only).
    """

    def __init__(self, fm: FastModel, routes: list[list[int]]) -> None:
        self.fm = fm
        self.routes = [list(r) for r in routes]
        nv = len(self.routes)
        empty = np.empty(0, np.int64)
        self.arr: list[np.ndarray] = [empty] * nv
        self.lat: list[np.ndarray] = [empty] * nv
        self.reach: list[np.ndarray] = [empty] * nv
        self.hi_eff: list[np.ndarray] = [empty] * nv
        self.stops: list[np.ndarray] = [empty] * nv  # the indices of start, stops and end
        self.gaps: list[np.ndarray] = [empty] * nv
        self.profile: list[np.ndarray] = [empty] * nv
        self.ok = np.ones(nv, dtype=bool)
        self.load = np.zeros((nv, fm.demand.shape[1]), dtype=np.int64)
        self.cost = np.zeros(nv, dtype=np.int64)
        self.count = np.zeros(nv, dtype=np.int64)
        self._flat: tuple[np.ndarray, ...] | None = None
        self.rows: kernels.Rows | None = None
        if fm.plain:
            width = max([len(r) for r in self.routes] + [0]) + 2 + 16
            dims = fm.demand.shape[1]
            self.rows = kernels.Rows(
                *(np.zeros((nv, width), dtype=np.int64) for _ in range(3)),
                np.zeros(nv, dtype=np.int64), self.load, self.cost, self.count, self.ok,
                *(np.zeros((nv, width, dims), dtype=np.int64) for _ in range(2)),
            )  # fmt: skip
        for v in range(nv):
            self._refresh(v)

    def copy(self) -> Plan:
        other = Plan.__new__(Plan)
        other.fm = self.fm
        other.routes = [list(r) for r in self.routes]
        for name in ("arr", "lat", "reach", "hi_eff", "stops", "gaps", "profile"):
            setattr(other, name, list(getattr(self, name)))
        other.ok = self.ok.copy()
        other.load = self.load.copy()
        other.cost = self.cost.copy()
        other.count = self.count.copy()
        other._flat = self._flat
        other.rows = None
        if self.rows is not None:
            other.rows = self.rows.copy()
            other.load, other.cost, other.count, other.ok = other.rows[4:8]
        return other

    @property
    def feasible(self) -> bool:
        """Whether every route keeps its windows and rests (a plan read from OR-Tools may not, in
        this module's stricter reading of where a rest falls)."""
        return bool(self.ok.all())

    def reseat(self) -> bool:
        """Re-seat the rests of every route that does not hold (see ``reseat_rests``); whether all hold now."""
        for v in np.flatnonzero(~self.ok).tolist():
            found = reseat_rests(self.fm, v, self.routes[v])
            if found is not None:
                self.routes[v] = found
                self._refresh(v)
        return self.feasible

    def job_routes(self) -> list[list[int]]:
        """The routes without their breaks: what OR-Tools and the ruin see."""
        fb = self.fm.first_break
        if fb < 0:
            return [list(r) for r in self.routes]
        return [[i for i in r if i < fb] for r in self.routes]

    def total(self, unassigned: list[int]) -> int:
        return int(self.cost.sum()) + int(self.fm.penalty[unassigned].sum()) if unassigned else int(self.cost.sum())

    def _refresh(self, v: int) -> None:
        """Schedule of route ``v`` (waiting allowed, rests as early as they may be), its load and cost."""
        fm = self.fm
        seq = [int(fm.start[v]), *self.routes[v], int(fm.end[v])]
        if self.rows is not None:
            self._room(len(seq))
            self.rows.stops[v, : len(seq)] = seq
            self.rows.size[v] = len(seq)
            kernels.schedule_row(v, fm.kernel_model, self.rows)
            return
        n = len(seq)
        located, lo_l, hi_l, svc_l, rides, chains, arr, reach, hi_eff, ok = _forward(fm, v, seq)
        stops = np.asarray(seq if len(located) == n else [seq[k] for k in located], dtype=np.int64)
        nl = len(located)
        lat = [0] * nl
        t = hi_l[-1]
        lat[-1] = t
        for j in range(nl - 2, -1, -1):
            add, _, xmax = chains[j]
            t = min(hi_l[located[j]], min(t - add - rides[j], xmax) - svc_l[located[j]])
            lat[j] = t
        self.arr[v] = np.asarray(arr, dtype=np.int64)
        self.lat[v] = np.asarray(lat, dtype=np.int64)
        if nl == n:  # no rest on this route: every gap lies between two stops
            gaps = _plain_gaps(n - 1)
            gaps[VEH] = v
            gaps[PREV], gaps[NEXT] = stops[:-1], stops[1:]
            gaps[DEP] = self.arr[v][:-1] + fm.service[stops[:-1]]
            gaps[LAT] = self.lat[v][1:]
            self.gaps[v] = gaps
        else:
            cols = []
            j = 0
            for g in range(n - 1):
                if j + 1 < nl and located[j + 1] <= g:
                    j += 1
                a, b = located[j], located[j + 1]
                if b == a + 1:
                    pre, suf = _NO_CHAIN, _NO_CHAIN
                else:
                    pre = _chain(lo_l, hi_l, svc_l, range(a + 1, g + 1))
                    suf = _chain(lo_l, hi_l, svc_l, range(g + 1, b))
                dep = arr[j] + svc_l[a] + pre[0]
                cols.append((v, g, seq[a], seq[b], dep, *pre, *suf, lat[j + 1], j))
            self.gaps[v] = np.asarray(cols, dtype=np.int64).T
        if fm.mixed:
            delta = fm.delta[seq]
            on_board = -np.minimum(delta, 0).sum(axis=0) + np.cumsum(delta, axis=0)  # after each element
            before = np.maximum.accumulate(on_board, axis=0)
            after = np.maximum.accumulate(on_board[::-1], axis=0)[::-1]
            self.gaps[v] = np.vstack([self.gaps[v], before[:-1].T, after[:-1].T])
        if fm.has_pairs:  # only the pair insertion reads these
            self.reach[v] = np.asarray(reach, dtype=np.int64)
            self.hi_eff[v] = np.asarray(hi_eff, dtype=np.int64)
        self.stops[v] = stops
        self.ok[v] = ok
        if fm.has_pairs:
            self.profile[v] = np.cumsum(fm.delta[seq], axis=0)
        jobs = stops[1:-1]
        self.load[v] = fm.demand[jobs].sum(axis=0) if len(jobs) else 0
        self.cost[v] = route_cost(fm, v, jobs.tolist())
        self.count[v] = len(jobs)
        self._flat = None

    def _room(self, width: int) -> None:
        """Widen the plain tables to hold ``width`` elements per route (doubling, so rarely)."""
        assert self.rows is not None
        if width > self.rows.stops.shape[1]:
            self.rows = self.rows.widened(max(width, 2 * self.rows.stops.shape[1]))

    def recreate_plain(self, order: list[int], rng: np.random.Generator) -> list[int]:
        """``recreate`` for a plain plan, in one compiled call (``routing.kernels.recreate_rows``)."""
        assert self.rows is not None
        self._room(int(self.rows.size.max(initial=0)) + len(order))
        rows = self.rows
        left, changed = kernels.recreate_rows(
            np.asarray(order, dtype=np.int64), self.fm.kernel_model, rows, int(rng.integers(1 << 31)), _BLINK
        )
        for v in np.flatnonzero(changed).tolist():
            self.routes[v] = rows.stops[v, 1 : rows.size[v] - 1].tolist()
        self._flat = None
        return left.tolist()

    def remove(self, removed: set[int]) -> None:
        for v, r in enumerate(self.routes):
            if any(i in removed for i in r):
                self.routes[v] = [i for i in r if i not in removed]
                self._refresh(v)

    def insert(self, v: int, pos: int, index: int) -> None:
        self.routes[v].insert(pos, index)
        self._refresh(v)

    def insert_pair(self, v: int, i: int, m: int, pickup: int, delivery: int) -> None:
        """Pickup after element ``i`` of the route (0 = the start), delivery after element ``m`` (``m == i``:
        right after the pickup); elements (stops and breaks) counted in the route before the insertion."""
        r = self.routes[v]
        self.routes[v] = [*r[:i], pickup, *r[i:m], delivery, *r[m:]]
        self._refresh(v)

    def flat(self) -> tuple[np.ndarray, ...]:
        """Every insertion position of every route (the rows of ``gaps``); rebuilt only after a change.
        Of several unused vehicles that are interchangeable only the first is offered (they would all
        give the same insertions)."""
        if self._flat is None:
            fm = self.fm
            seen: set[int] = set()
            parts = []
            for v in range(len(self.routes)):
                if self.count[v] == 0:
                    group = int(fm.twin[v])
                    if group in seen:
                        continue
                    seen.add(group)
                parts.append(self.gaps[v])
            self._flat = tuple(np.concatenate(parts, axis=1))
        return self._flat


def route_cost(fm: FastModel, v: int, route: list[int]) -> int:
    """The objective's cost of one route: its arcs and, when it serves anyone, its fixed cost."""
    if fm.first_break >= 0:
        route = [i for i in route if i < fm.first_break]
    if not route:
        return 0
    nodes = fm.node[[int(fm.start[v]), *route, int(fm.end[v])]]
    return int(fm.cost[int(fm.vehicle_class[v]), nodes[:-1], nodes[1:]].sum()) + int(fm.fixed[v])


def _best_position(
    plan: Plan, index: int, rng: np.random.Generator, blink: float = _BLINK
) -> tuple[int, int, int] | None:
    """Cheapest feasible insertion of ``index`` (vehicle, position, added cost), positions blinked at random."""
    fm = plan.fm
    if plan.rows is not None:  # no rests and no pairs: the compiled test
        v, pos, added = kernels.best_insertion(index, fm.kernel_model, plan.rows, int(rng.integers(1 << 31)), blink)
        return None if v < 0 else (int(v), int(pos), int(added))
    g = plan.flat()
    veh = g[VEH]
    cls = fm.vehicle_class[veh]
    pn, nn, cn = fm.node[g[PREV]], fm.node[g[NEXT]], fm.node[index]
    start = np.maximum(fm.lo[index], np.maximum(g[DEP] + fm.travel[cls, pn, cn], g[PRE_FLOOR]))
    ok = start <= fm.hi[index]
    done = start + fm.service[index]
    ok &= done <= g[SUF_XMAX]
    ok &= np.maximum(done + g[SUF_ADD] + fm.travel[cls, cn, nn], g[SUF_FLOOR]) <= g[LAT]
    if fm.mixed:  # a delivery rides from the start to its stop, a pickup from its stop to the end
        route_ok = fm.allowed[index].copy()
        dims = fm.delta.shape[1]
        for d, x in enumerate(fm.delta[index].tolist()):
            if x < 0:
                ok &= g[LOADS + d] - x <= fm.capacity[veh, d]
            elif x > 0:
                ok &= g[LOADS + dims + d] + x <= fm.capacity[veh, d]
    else:
        route_ok = fm.allowed[index] & np.all(plan.load + fm.demand[index] <= fm.capacity, axis=1)
    route_ok &= plan.count < fm.max_tasks
    ok &= route_ok[veh]
    ok &= rng.random(len(ok)) >= blink
    if not ok.any():
        return None
    added = fm.cost[cls, pn, cn] + fm.cost[cls, cn, nn] - fm.cost[cls, pn, nn]
    added = added + np.where(plan.count == 0, fm.fixed, 0)[veh]
    added = np.where(ok, added, _INF)
    k = int(np.argmin(added))
    return int(veh[k]), int(g[POS][k]), int(added[k])


def _best_pair_position(
    plan: Plan, pickup: int, delivery: int, rng: np.random.Generator, blink: float = _BLINK
) -> tuple[int, int, int, int] | None:
    """Cheapest feasible insertion of a pickup and its delivery in one route: (vehicle, i, m, added cost).

    For a pickup in gap ``i``, stop ``q`` after it starts at ``max(arr[q], y + reach[q] - reach[b])``
    where ``y`` is the new start of the first stop ``b`` after the pickup (waiting absorbs part of
    the push; rests only add their duration or wait for their window, which ``arr`` already holds).
    That gives every (i, m) pair at once as a k x k matrix.

    Routes are tried cheapest lower bound first and the rest skipped once the bound reaches the
    best found (``_pair_bounds``): on a 20-courier Jakarta office most routes are never opened.
    """
    fm = plan.fm
    pn, dn = int(fm.node[pickup]), int(fm.node[delivery])
    amount = fm.delta[pickup]
    lo_p, hi_p, s_p = int(fm.lo[pickup]), int(fm.hi[pickup]), int(fm.service[pickup])
    best: tuple[int, int, int, int] | None = None
    for bound, v in _pair_bounds(plan, pickup, delivery):
        if best is not None and bound >= best[3]:
            break
        c = int(fm.vehicle_class[v])
        g = plan.gaps[v]
        k = g.shape[1]  # insertion positions 0..k-1: after element i
        T, C = fm.travel[c], fm.cost[c]
        head, tail = fm.node[g[PREV]], fm.node[g[NEXT]]
        arr, reach, hi_eff = plan.arr[v], plan.reach[v], plan.hi_eff[v]
        stops = plan.stops[v]
        load = plan.profile[v][:-1]  # load after element i, i = 0..k-1
        fits = np.all(load + amount <= fm.capacity[v], axis=1)
        xp = np.maximum(lo_p, np.maximum(g[DEP] + T[head, pn], g[PRE_FLOOR]))
        okp = (xp <= hi_p) & fits & (rng.random(k) >= blink)
        if not okp.any():
            continue
        dep_p = xp + s_p
        add_p = C[head, pn] + C[pn, tail] - C[head, tail]
        add_d = C[head, dn] + C[dn, tail] - C[head, tail]
        pair_cost = C[head, pn] + C[pn, dn] + C[dn, tail] - C[head, tail]

        # delivery right after the pickup
        ok_a = okp & _delivered(g, np.arange(k), dep_p + T[pn, dn], delivery, T[dn, tail], fm)
        cand_cost = np.where(ok_a, pair_cost, _INF)
        ia = int(np.argmin(cand_cost))
        found = (int(cand_cost[ia]), ia, ia)
        aloc = g[ALOC]
        # delivery after a rest in the same gap between two stops (no stop in between)
        lists = None
        for i in range(k - 1):
            if not okp[i] or aloc[i + 1] != aloc[i]:
                continue
            lo_l, hi_l, svc_l = lists = lists or _break_lists(fm, plan.routes[v])
            for m in range(i + 1, k):
                if aloc[m] != aloc[i]:
                    break
                add, floor, xmax = _chain(lo_l, hi_l, svc_l, range(i, m))  # elements i+1..m of the route
                if dep_p[i] <= xmax and _delivered(
                    g, m, np.maximum(dep_p[i] + add + T[pn, dn], floor), delivery, T[dn, tail], fm
                ):
                    cost = int(C[head[i], pn] + C[pn, dn] + C[dn, tail[i]] - C[head[i], tail[i]])
                    if cost < found[0]:
                        found = (cost, i, m)
        if k > 1:
            # delivery after a later stop
            b = aloc + 1  # the first stop after gap i
            y = np.maximum(arr[b], np.maximum(dep_p + g[SUF_ADD] + T[pn, tail], g[SUF_FLOOR]))
            oky = okp & (dep_p <= g[SUF_XMAX])
            nl = len(arr)
            after = np.arange(nl)[None, :] >= b[:, None]
            ns = np.maximum(arr[None, :], y[:, None] + reach[None, :] - reach[b][:, None])  # (k, stops)
            late = np.logical_or.accumulate(after & (ns > hi_eff[None, :]), axis=1)
            late = np.concatenate([np.zeros((k, 1), dtype=bool), late[:, :-1]], axis=1)  # before stop q
            later = aloc[None, :] >= b[:, None]  # (i, m): a stop lies between the pickup and the delivery
            ns_m = ns[:, aloc]
            dep_m = ns_m + fm.service[stops][aloc][None, :]
            ok_b = later & ~late[:, aloc] & oky[:, None] & (ns_m <= fm.hi[stops][aloc][None, :])
            ok_b &= dep_m <= g[PRE_XMAX][None, :]
            if ok_b.any():
                arrival = np.maximum(dep_m + g[PRE_ADD][None, :] + T[head, dn][None, :], g[PRE_FLOOR][None, :])
                ok_b &= _delivered(g, np.arange(k)[None, :], arrival, delivery, T[dn, tail], fm)
            if ok_b.any():
                between = np.arange(k)[None, :] > np.arange(k)[:, None]
                peak = np.where(between[..., None] | np.eye(k, dtype=bool)[..., None], load[None, :, :], -_INF)
                peak = np.maximum.accumulate(peak, axis=1)
                ok_b &= np.all(peak + amount <= fm.capacity[v], axis=2)
                cost_b = np.where(ok_b, add_p[:, None] + add_d[None, :], _INF)
                flat = int(np.argmin(cost_b))
                if cost_b.flat[flat] < found[0]:
                    found = (int(cost_b.flat[flat]), flat // k, flat % k)
        if found[0] >= _INF:
            continue
        added = found[0] + (int(fm.fixed[v]) if plan.count[v] == 0 else 0)
        if best is None or added < best[3]:
            best = (v, found[1], found[2], added)
    return best


def _pair_bounds(plan: Plan, pickup: int, delivery: int) -> list[tuple[int, int]]:
    """(lower bound of the added cost, vehicle) for every route that may take the pair, cheapest first.

    Both bounds are necessary conditions checked on the route as it is: the pickup alone must fit
    some gap and the delivery alone some gap (a pickup before it only makes it later). The added
    cost is at least the cheapest detour of both in one gap, or the cheapest pickup detour plus
    the cheapest delivery detour in any gaps.
    """
    fm = plan.fm
    g = plan.flat()
    veh = g[VEH]
    cls = fm.vehicle_class[veh]
    head, tail = fm.node[g[PREV]], fm.node[g[NEXT]]
    pn, dn = fm.node[pickup], fm.node[delivery]
    T, C = fm.travel, fm.cost
    xp = np.maximum(fm.lo[pickup], np.maximum(g[DEP] + T[cls, head, pn], g[PRE_FLOOR]))
    okp = xp <= fm.hi[pickup]
    xd = np.maximum(fm.lo[delivery], np.maximum(g[DEP] + T[cls, head, dn], g[PRE_FLOOR]))
    done = xd + fm.service[delivery]
    okd = (xd <= fm.hi[delivery]) & (done <= g[SUF_XMAX])
    okd &= np.maximum(done + g[SUF_ADD] + T[cls, dn, tail], g[SUF_FLOOR]) <= g[LAT]
    c_ht = C[cls, head, tail]
    add_p = np.where(okp, C[cls, head, pn] + C[cls, pn, tail] - c_ht, _INF)
    add_d = np.where(okd, C[cls, head, dn] + C[cls, dn, tail] - c_ht, _INF)
    both = np.where(okp & okd, C[cls, head, pn] + C[cls, pn, dn] + C[cls, dn, tail] - c_ht, _INF)
    cuts = np.flatnonzero(np.diff(veh, prepend=-1))
    vs = veh[cuts]
    bound = np.minimum(
        np.minimum.reduceat(both, cuts), np.minimum.reduceat(add_p, cuts) + np.minimum.reduceat(add_d, cuts)
    )
    bound = bound + np.where(plan.count[vs] == 0, fm.fixed[vs], 0)
    keep = (bound < _INF) & fm.allowed[pickup, vs] & (plan.count[vs] + 2 <= fm.max_tasks[vs])
    order = np.argsort(bound[keep], kind="stable")
    return list(zip(bound[keep][order].tolist(), vs[keep][order].tolist(), strict=True))


def _delivered(
    g: np.ndarray, m: np.ndarray | int, arrival: np.ndarray, delivery: int, ride_on: np.ndarray, fm: FastModel
) -> np.ndarray:
    """Whether a delivery reached at ``arrival`` in gap ``m`` keeps its window and the rest of the route
    (``ride_on``: travel from the delivery to the stop after each gap)."""
    xd = np.maximum(fm.lo[delivery], arrival)
    done = xd + fm.service[delivery]
    after = np.maximum(done + g[SUF_ADD][m] + ride_on[m], g[SUF_FLOOR][m])
    return (xd <= fm.hi[delivery]) & (done <= g[SUF_XMAX][m]) & (after <= g[LAT][m])


def _break_lists(fm: FastModel, route: list[int]) -> tuple[list[int], list[int], list[int]]:
    """Windows and durations of a route's elements, numbered as in the route (0 = the first)."""
    return fm.lo[route].tolist(), fm.hi[route].tolist(), fm.service[route].tolist()


def recreate(plan: Plan, removed: list[int], rng: np.random.Generator) -> list[int]:
    """Insert ``removed`` one by one at their cheapest feasible position, in one of SISR's orders;
    return the indices that fit nowhere (or cost more than their drop penalty)."""
    fm = plan.fm
    order = list(removed)
    pick = rng.random()
    if pick < 4 / 11:
        rng.shuffle(order)
    elif pick < 8 / 11:
        order.sort(key=lambda i: -int(fm.demand[i].sum()))
    elif pick < 10 / 11:
        order.sort(key=lambda i: -_depot_distance(fm, i))
    else:
        order.sort(key=lambda i: _depot_distance(fm, i))
    if plan.rows is not None:
        return plan.recreate_plain(order, rng)
    left = []
    for index in order:
        partner = int(fm.partner[index])
        if partner >= 0:
            pair = _best_pair_position(plan, index, partner, rng)
            if pair is None or pair[3] >= fm.penalty[index] + fm.penalty[partner]:
                left += [index, partner]
            else:
                plan.insert_pair(pair[0], pair[1], pair[2], index, partner)
            continue
        if fm.paired[index]:
            continue  # the delivery of a pair travels with its pickup
        best = _best_position(plan, index, rng)
        if best is None or best[2] >= fm.penalty[index]:
            left.append(index)
            continue
        plan.insert(best[0], best[1], index)
    return left


def _depot_distance(fm: FastModel, index: int) -> int:
    return int(fm.cost[0, fm.node[int(fm.start[0])], fm.node[index]])


def anneal(
    plan: Plan,
    unassigned: list[int],
    ruin: Callable[[list[list[int]], np.random.Generator], list[list[int]]],
    rng: np.random.Generator,
    *,
    until: Callable[[], float | None],
    temperature: tuple[float, float],
) -> tuple[Plan, list[int], int]:
    """Ruin and recreate until ``until()`` says stop; simulated annealing from ``temperature[0]`` to
    ``temperature[1]`` (absolute objective units, exponential cooling). Returns the best plan, its
    unassigned indices and the number of iterations."""
    best, best_left = plan.copy(), list(unassigned)
    best_total = cur_total = plan.total(unassigned)
    cur, cur_left = plan, list(unassigned)
    t_hi, t_lo = temperature
    iterations = 0
    while True:
        progress = until()
        if progress is None:
            break
        iterations += 1
        temp = t_hi * (t_lo / t_hi) ** progress if t_hi > 0 and t_lo > 0 else 0.0
        trial = cur.copy()
        jobs = trial.job_routes()  # rests stay where they are; only stops are ruined
        routes = ruin(jobs, rng)
        removed = {i for r in jobs for i in r} - {i for r in routes for i in r}
        trial.remove(removed)
        left = recreate(trial, [*sorted(removed), *cur_left], rng)
        total = trial.total(left)
        if total < cur_total - temp * math.log(max(rng.random(), 1e-12)):
            cur, cur_left, cur_total = trial, left, total
            if total < best_total:
                best, best_left, best_total = trial.copy(), list(left), total
    return best, best_left, iterations


def anneal_plain(
    plan: Plan,
    unassigned: list[int],
    near: np.ndarray,
    rng: np.random.Generator,
    *,
    until: Callable[[], float | None],
    temperature: tuple[float, float],
    avg_removed: float = 10,
    max_string: float = 10,
    slice_iterations: int | None = None,
) -> tuple[Plan, list[int], int]:
    """``anneal`` with SISR's string removal, for a plain plan, compiled (``routing.kernels.anneal_rows``).

    ``near`` holds every task index's nearest task indices, itself first (-1 where there are fewer).
    The search runs in slices of ~10 ms between which ``until()`` is asked again, so the temperature
    follows the clock as in ``anneal`` and a deadline is overshot by one slice at most.
    ``slice_iterations``: every slice that many iterations instead, for a budget of work
    (``SolveParams.ils_iterations``): slices sized by the clock hold fewer iterations on a busy core,
    so the same budget searched less there.
    """
    fm = plan.fm
    if plan.rows is None:
        raise ValueError("anneal_plain needs a plain plan (no rests, no pairs)")
    cur = plan.copy()
    cur._room(min(len(near), int(fm.max_tasks.max())) + 2)
    rows = cur.rows
    assert rows is not None
    best, backup = rows.copy(), rows.copy()
    left = np.zeros(len(near) + 1, dtype=np.int64)
    left[: len(unassigned)] = unassigned
    best_left = left.copy()
    total = plan.total(unassigned)
    state = np.array([total, total, len(unassigned), len(unassigned)], dtype=np.int64)
    t_hi, t_lo = temperature
    iterations, chunk = 0, slice_iterations or 16
    while (progress := until()) is not None:
        temp = t_hi * (t_lo / t_hi) ** progress if t_hi > 0 and t_lo > 0 else 0.0
        t0 = time.perf_counter()
        kernels.anneal_rows(
            fm.kernel_model, rows, best, backup, near, left, best_left, state, float(avg_removed),
            float(max_string), temp, chunk, int(rng.integers(1 << 31)), _BLINK,
        )  # fmt: skip
        iterations += chunk
        if slice_iterations is None:
            elapsed = time.perf_counter() - t0
            chunk = max(1, min(4 * chunk, int(chunk * _SLICE_S / max(elapsed, 1e-6))))
    routes = [best.stops[v, 1 : best.size[v] - 1].tolist() for v in range(len(best.size))]
    return Plan(fm, routes), best_left[: state[3]].tolist(), iterations


_SLICE_S = 0.01


def fast_model(built: Built, params: SolveParams) -> FastModel | None:
    """``built``'s data for the fast recreate, or None when the model holds something it cannot check."""
    layout, routing, manager = built.layout, built.routing, built.manager
    problem = layout.problem
    vehicles = problem.vehicles
    if (
        (layout.pairs and len(layout.pairs) != len(layout.job_nodes))  # pairs mixed with one-node jobs
        or built.keep
        or layout.onboard
        or params.balance_weight > 0
        or any(v.max_travel_time is not None for v in vehicles)
        or any(len(w) > 1 for w in layout.windows)
    ):
        return None
    nv = len(vehicles)
    rests = [
        (v, windows, brk.duration)
        for v, veh in enumerate(vehicles)
        for brk, _ in built.breaks.get(v, ())
        for windows in [break_windows(brk, veh.shift)]
    ]
    if any(len(w) != 1 for _, w, _ in rests):
        return None  # a rest with several windows: the insertion test knows one
    n_index = manager.GetNumberOfIndices()
    node = np.array([manager.IndexToNode(i) for i in range(n_index)], dtype=np.int64)
    horizon = max([v.shift.end for v in vehicles] + [0])
    lo = np.zeros(n_index, dtype=np.int64)
    hi = np.full(n_index, horizon, dtype=np.int64)
    for i in range(n_index):
        windows = layout.windows[node[i]]
        if windows:
            lo[i], hi[i] = max(windows[0].start, 0), min(windows[0].end, horizon)
    start = np.array([routing.Start(v) for v in range(nv)], dtype=np.int64)
    end = np.array([routing.End(v) for v in range(nv)], dtype=np.int64)
    for v, veh in enumerate(vehicles):
        for i in (start[v], end[v]):
            lo[i], hi[i] = veh.shift.start, veh.shift.end

    delta = layout.delta[node]
    single_delivery = np.array([layout.role[n] is Role.SINGLE_DELIVERY for n in node], dtype=bool)
    demand = np.zeros_like(delta)
    for k in range(delta.shape[1]):
        if layout.pairs:
            demand[:, k] = np.abs(delta[:, k])
            continue  # a pair's load is checked along the route's load profile
        # what falls is a delivery loaded at the start; pickups may rise beside them (``FastModel.mixed``)
        if not single_delivery[delta[:, k] < 0].all():
            return None
        demand[:, k] = np.abs(delta[:, k])
    capacity = np.array([[int(c) for c in v.capacity] for v in vehicles], dtype=np.int64).reshape(nv, -1)

    big = np.int64(1) << np.int64(40)
    if params.distance_cost == 0 and params.travel_time_cost == 1:
        cost = np.stack([m.travel for m in built.matrices])
    else:
        cost = np.stack(
            [np.rint(params.travel_time_cost * m.travel + params.distance_cost * m.distance) for m in built.matrices]
        ).astype(np.int64)
    allowed = np.ones((n_index, nv), dtype=bool)
    penalty = np.zeros(n_index, dtype=np.int64)
    for i in range(routing.Size()):
        if routing.IsStart(i):
            continue
        var = routing.VehicleVar(i)
        if var.Size() < nv + 1:
            allowed[i] = [var.Contains(v) for v in range(nv)]
        penalty[i] = built.penalty[int(layout.job_of[node[i]])]
    partner = np.full(n_index, -1, dtype=np.int64)
    paired = np.zeros(n_index, dtype=bool)
    for p, d in layout.pairs:
        partner[manager.NodeToIndex(p)] = manager.NodeToIndex(d)
        paired[manager.NodeToIndex(d)] = True
    max_tasks = np.array([v.max_tasks if v.max_tasks is not None else big for v in vehicles], dtype=np.int64)
    fixed = np.array([int(v.fixed_cost) for v in vehicles], dtype=np.int64)
    service = layout.service[node]
    first: dict[tuple, int] = {}
    twin = np.zeros(nv, dtype=np.int64)
    for v in range(nv):
        key = (
            int(node[start[v]]), int(node[end[v]]), built.vehicle_class[v], int(lo[start[v]]), int(hi[start[v]]),
            tuple(capacity[v]), int(max_tasks[v]), int(fixed[v]), allowed[:, v].tobytes(),
            tuple((w[0].start, w[0].end, d) for u, w, d in rests if u == v),
        )  # fmt: skip
        twin[v] = first.setdefault(key, v)
    first_break, per_vehicle = -1, ()
    if rests:
        # Rests are indices after OR-Tools' own: no place, one window, their duration as service.
        first_break, nr = n_index, len(rests)
        node = np.concatenate([node, np.full(nr, -1, dtype=np.int64)])
        lo = np.concatenate([lo, [w[0].start for _, w, _ in rests]]).astype(np.int64)
        hi = np.concatenate([hi, [w[0].end for _, w, _ in rests]]).astype(np.int64)
        service = np.concatenate([service, [d for _, _, d in rests]]).astype(np.int64)
        pad = np.zeros((nr, delta.shape[1]), dtype=np.int64)
        demand, delta = np.concatenate([demand, pad]), np.concatenate([delta, pad])
        own = np.zeros((nr, nv), dtype=bool)
        own[np.arange(nr), [v for v, _, _ in rests]] = True
        allowed = np.concatenate([allowed, own])
        penalty = np.concatenate([penalty, np.zeros(nr, dtype=np.int64)])
        partner = np.concatenate([partner, np.full(nr, -1, dtype=np.int64)])
        paired = np.concatenate([paired, np.zeros(nr, dtype=bool)])
        per_vehicle = tuple(tuple(n_index + k for k, (u, _, _) in enumerate(rests) if u == v) for v in range(nv))
    return FastModel(
        node=node,
        lo=lo,
        hi=hi,
        service=service,
        demand=demand,
        travel=np.stack([m.travel for m in built.matrices]),
        cost=cost,
        vehicle_class=np.asarray(built.vehicle_class, dtype=np.int64),
        start=start,
        end=end,
        capacity=capacity,
        max_tasks=max_tasks,
        fixed=fixed,
        allowed=allowed,
        penalty=penalty,
        twin=twin,
        delta=delta,
        partner=partner,
        paired=paired,
        first_break=first_break,
        breaks=per_vehicle,
    )
