"""Fast ruin-and-recreate (SISR) for plain time-window problems, in numpy, between OR-Tools descents.

Why: the ILS in ``routing.ils`` lets OR-Tools repair every ruined plan. That is exact under every
constraint of the model, but one repair is a full greedy descent over the whole plan (100-150 ms
on 100 customers, ~770,000 neighbours), so only 60-120 iterations fit in 10 s and tight-window
instances (Solomon R1/RC1) stay several per cent above the best known. SISR (Christiaens &
Vanden Berghe, Transportation Science 2020) needs no local search at all: it relies on many cheap
iterations of "remove strings of nearby stops, re-insert them greedily with blinks". Here one
iteration costs ~1-2 ms, so tens of times more of them run in the same time.

Scope: only what the insertion test below checks exactly: one node per job (no pickup-delivery
pairs), one time window per stop, shift windows, capacities that only add up along a route (all
deliveries loaded at the start, or all pickups carried to the end), allowed vehicles, task
limits, per-vehicle travel classes, fixed costs and drop penalties. Anything else (breaks,
pairs, several windows, on-board loads, travel limits, balance) makes ``fast_model`` return
None and the caller keeps OR-Tools' repair. The result is always handed back to OR-Tools
(``routing.ils``), whose filters check every constraint again before a plan is accepted.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from routing.nodes import Role

if TYPE_CHECKING:
    from routing.model import Built
    from routing.params import SolveParams

__all__ = ["FastModel", "Plan", "anneal", "fast_model", "recreate", "route_cost"]

_BLINK = 0.01  # SISR's blink rate: a feasible position is skipped with this probability
_INF = np.int64(1) << np.int64(60)


@dataclass(frozen=True)
class FastModel:
    """The OR-Tools model's data in index space (what ``fast_model`` in ``routing.ils`` reads out)."""

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

    @property
    def has_pairs(self) -> bool:
        return bool((self.partner >= 0).any())


class Plan:
    """Routes with the schedule arrays the insertion test needs, kept up to date on every change."""

    def __init__(self, fm: FastModel, routes: list[list[int]]) -> None:
        self.fm = fm
        self.routes = [list(r) for r in routes]
        nv = len(self.routes)
        self.arr: list[np.ndarray] = [np.empty(0, np.int64)] * nv
        self.lat: list[np.ndarray] = [np.empty(0, np.int64)] * nv
        self.reach: list[np.ndarray] = [np.empty(0, np.int64)] * nv  # cumulative legs from the start
        self.profile: list[np.ndarray] = [np.empty(0, np.int64)] * nv  # load after each stop (pairs only)
        self.load = np.zeros((nv, fm.demand.shape[1]), dtype=np.int64)
        self.cost = np.zeros(nv, dtype=np.int64)
        self.count = np.zeros(nv, dtype=np.int64)
        self._flat: tuple[np.ndarray, ...] | None = None
        self._pieces: list[np.ndarray | None] = [None] * nv
        for v in range(nv):
            self._refresh(v)

    def copy(self) -> Plan:
        other = Plan.__new__(Plan)
        other.fm = self.fm
        other.routes = [list(r) for r in self.routes]
        other.arr = list(self.arr)
        other.lat = list(self.lat)
        other.reach = list(self.reach)
        other.profile = list(self.profile)
        other.load = self.load.copy()
        other.cost = self.cost.copy()
        other.count = self.count.copy()
        other._flat = self._flat
        other._pieces = list(self._pieces)
        return other

    def total(self, unassigned: list[int]) -> int:
        return int(self.cost.sum()) + int(self.fm.penalty[unassigned].sum()) if unassigned else int(self.cost.sum())

    def _refresh(self, v: int) -> None:
        """Earliest and latest service starts along route ``v`` (waiting allowed), its load and cost."""
        fm = self.fm
        seq = [int(fm.start[v]), *self.routes[v], int(fm.end[v])]
        nodes = fm.node[seq]
        c = int(fm.vehicle_class[v])
        legs = fm.travel[c, nodes[:-1], nodes[1:]] + fm.service[seq[:-1]]
        lo, hi = fm.lo[seq], fm.hi[seq]
        n = len(seq)
        arr = [0] * n
        lat = [0] * n
        t = int(lo[0])
        legs_l = legs.tolist()
        lo_l, hi_l = lo.tolist(), hi.tolist()
        arr[0] = t
        for k in range(1, n):
            t = max(lo_l[k], t + legs_l[k - 1])
            arr[k] = t
        t = hi_l[-1]
        lat[-1] = t
        for k in range(n - 2, -1, -1):
            t = min(hi_l[k], t - legs_l[k])
            lat[k] = t
        self.arr[v] = np.asarray(arr, dtype=np.int64)
        self.lat[v] = np.asarray(lat, dtype=np.int64)
        if fm.has_pairs:
            self.reach[v] = np.concatenate(([0], np.cumsum(legs)))
            self.profile[v] = np.cumsum(fm.delta[seq], axis=0)
        self.load[v] = fm.demand[self.routes[v]].sum(axis=0) if self.routes[v] else 0
        self.cost[v] = route_cost(fm, v, self.routes[v])
        self.count[v] = len(self.routes[v])
        self._pieces[v] = None
        self._flat = None

    def remove(self, removed: set[int]) -> None:
        for v, r in enumerate(self.routes):
            if any(i in removed for i in r):
                self.routes[v] = [i for i in r if i not in removed]
                self._refresh(v)

    def insert(self, v: int, pos: int, index: int) -> None:
        self.routes[v].insert(pos, index)
        self._refresh(v)

    def insert_pair(self, v: int, i: int, m: int, pickup: int, delivery: int) -> None:
        """Pickup after stop ``i`` of the route (0 = the start), delivery after stop ``m`` (``m == i``: right
        after the pickup); stops counted in the route before the insertion."""
        r = self.routes[v]
        self.routes[v] = [*r[:i], pickup, *r[i:m], delivery, *r[m:]]
        self._refresh(v)

    def flat(self) -> tuple[np.ndarray, ...]:
        """Every insertion position of every route: (vehicle, position, prev index, next index, prev departure,
        next latest start); rebuilt only after a change. Of several empty routes of interchangeable
        vehicles only the first is offered (they would all give the same insertions)."""
        if self._flat is None:
            fm = self.fm
            seen: set[int] = set()
            parts = []
            for v, r in enumerate(self.routes):
                if not r:
                    group = int(fm.twin[v])
                    if group in seen:
                        continue
                    seen.add(group)
                piece = self._pieces[v]
                if piece is None:
                    seq = np.asarray([int(fm.start[v]), *r, int(fm.end[v])], dtype=np.int64)
                    k = len(seq) - 1
                    piece = np.stack(
                        [
                            np.full(k, v, dtype=np.int64),
                            np.arange(k, dtype=np.int64),
                            seq[:-1],
                            seq[1:],
                            self.arr[v][:-1] + fm.service[seq[:-1]],
                            self.lat[v][1:],
                        ]
                    )
                    self._pieces[v] = piece
                parts.append(piece)
            self._flat = tuple(np.concatenate(parts, axis=1))
        return self._flat


def route_cost(fm: FastModel, v: int, route: list[int]) -> int:
    """The objective's cost of one route: its arcs and, when it serves anyone, its fixed cost."""
    if not route:
        return 0
    nodes = fm.node[[int(fm.start[v]), *route, int(fm.end[v])]]
    return int(fm.cost[int(fm.vehicle_class[v]), nodes[:-1], nodes[1:]].sum()) + int(fm.fixed[v])


def _best_position(
    plan: Plan, index: int, rng: np.random.Generator, blink: float = _BLINK
) -> tuple[int, int, int] | None:
    """Cheapest feasible insertion of ``index`` (vehicle, position, added cost), positions blinked at random."""
    fm = plan.fm
    veh, pos, prev, nxt, dep, lat = plan.flat()
    cls = fm.vehicle_class[veh]
    pn, nn, cn = fm.node[prev], fm.node[nxt], fm.node[index]
    start = np.maximum(fm.lo[index], dep + fm.travel[cls, pn, cn])
    ok = start <= fm.hi[index]
    ok &= start + fm.service[index] + fm.travel[cls, cn, nn] <= lat
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
    return int(veh[k]), int(pos[k]), int(added[k])


def _best_pair_position(
    plan: Plan, pickup: int, delivery: int, rng: np.random.Generator, blink: float = _BLINK
) -> tuple[int, int, int, int] | None:
    """Cheapest feasible insertion of a pickup and its delivery in one route: (vehicle, i, m, added cost).

    For a pickup after stop ``i``, the later stops start at ``max(arr[q], y + reach[q] - reach[i+1])``
    (waiting absorbs part of the push), which gives every (i, m) pair at once as a k x k matrix.
    """
    fm = plan.fm
    pn, dn = int(fm.node[pickup]), int(fm.node[delivery])
    amount = fm.delta[pickup]
    lo_p, hi_p, s_p = int(fm.lo[pickup]), int(fm.hi[pickup]), int(fm.service[pickup])
    lo_d, hi_d, s_d = int(fm.lo[delivery]), int(fm.hi[delivery]), int(fm.service[delivery])
    best: tuple[int, int, int, int] | None = None
    seen: set[int] = set()
    for v, r in enumerate(plan.routes):
        if not fm.allowed[pickup, v] or plan.count[v] + 2 > fm.max_tasks[v]:
            continue
        if not r:
            group = int(fm.twin[v])
            if group in seen:
                continue
            seen.add(group)
        c = int(fm.vehicle_class[v])
        seq = np.asarray([int(fm.start[v]), *r, int(fm.end[v])], dtype=np.int64)
        nodes = fm.node[seq]
        k = len(seq) - 1  # insertion positions 0..k-1: after seq[i], before seq[i+1]
        T, C = fm.travel[c], fm.cost[c]
        arr, lat, reach = plan.arr[v], plan.lat[v], plan.reach[v]
        svc = fm.service[seq]
        hi = fm.hi[seq]
        head, tail = nodes[:-1], nodes[1:]
        load = plan.profile[v][:-1]  # load after stop i, i = 0..k-1
        fits = np.all(load + amount <= fm.capacity[v], axis=1)
        xp = np.maximum(lo_p, arr[:-1] + svc[:-1] + T[head, pn])
        okp = (xp <= hi_p) & fits & (rng.random(k) >= blink)
        if not okp.any():
            continue
        dep_p = xp + s_p
        # delivery right after the pickup
        xd = np.maximum(lo_d, dep_p + T[pn, dn])
        ok_a = okp & (xd <= hi_d) & (xd + s_d + T[dn, tail] <= lat[1:])
        add_p = C[head, pn] + C[pn, tail] - C[head, tail]
        cost_a = C[head, pn] + C[pn, dn] + C[dn, tail] - C[head, tail]
        cand_cost = np.where(ok_a, cost_a, _INF)
        ia = int(np.argmin(cand_cost))
        found = (int(cand_cost[ia]), ia, ia)
        if k > 1:
            # delivery after stop m > i
            y = np.maximum(arr[1:], dep_p + T[pn, tail])  # new start of stop i+1
            later = np.arange(k)[None, :] > np.arange(k)[:, None]  # m > i
            ns = np.maximum(arr[None, :k], y[:, None] + reach[None, :k] - reach[1 : k + 1][:, None])
            broken = np.logical_or.accumulate(later & (ns > hi[None, :k]), axis=1)
            xdm = np.maximum(lo_d, ns + svc[None, :k] + T[head, dn][None, :])
            ok_b = later & ~broken & okp[:, None] & (xdm <= hi_d) & (xdm + s_d + T[dn, tail][None, :] <= lat[None, 1:])
            if ok_b.any():
                peak = np.where(later[..., None] | np.eye(k, dtype=bool)[..., None], load[None, :, :], -_INF)
                peak = np.maximum.accumulate(peak, axis=1)
                ok_b &= np.all(peak + amount <= fm.capacity[v], axis=2)
                add_d = C[head, dn] + C[dn, tail] - C[head, tail]
                cost_b = np.where(ok_b, add_p[:, None] + add_d[None, :], _INF)
                flat = int(np.argmin(cost_b))
                if cost_b.flat[flat] < found[0]:
                    found = (int(cost_b.flat[flat]), flat // k, flat % k)
        if found[0] >= _INF:
            continue
        added = found[0] + (int(fm.fixed[v]) if not r else 0)
        if best is None or added < best[3]:
            best = (v, found[1], found[2], added)
    return best


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
        routes = ruin(trial.routes, rng)
        removed = {i for r in trial.routes for i in r} - {i for r in routes for i in r}
        trial.remove(removed)
        left = recreate(trial, [*sorted(removed), *cur_left], rng)
        total = trial.total(left)
        if total < cur_total - temp * math.log(max(rng.random(), 1e-12)):
            cur, cur_left, cur_total = trial, left, total
            if total < best_total:
                best, best_left, best_total = trial.copy(), list(left), total
    return best, best_left, iterations


def fast_model(built: Built, params: SolveParams) -> FastModel | None:
    """``built``'s data for the fast recreate, or None when the model holds something it cannot check."""
    layout, routing, manager = built.layout, built.routing, built.manager
    problem = layout.problem
    vehicles = problem.vehicles
    if (
        (layout.pairs and len(layout.pairs) != len(layout.job_nodes))  # pairs mixed with one-node jobs
        or built.breaks
        or built.keep
        or layout.onboard
        or params.balance_weight > 0
        or any(v.max_travel_time is not None for v in vehicles)
        or any(len(w) > 1 for w in layout.windows)
    ):
        return None
    nv = len(vehicles)
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
        down, up = bool((delta[:, k] < 0).any()), bool((delta[:, k] > 0).any())
        if layout.pairs:
            demand[:, k] = np.abs(delta[:, k])
            continue  # a pair's load is checked along the route's load profile
        if down and up:
            return None  # deliveries from the start mixed with pickups: the peak is not the total
        if down and not single_delivery[delta[:, k] < 0].all():
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
    first: dict[tuple, int] = {}
    twin = np.zeros(nv, dtype=np.int64)
    for v in range(nv):
        key = (
            int(node[start[v]]), int(node[end[v]]), built.vehicle_class[v], int(lo[start[v]]), int(hi[start[v]]),
            tuple(capacity[v]), int(max_tasks[v]), int(fixed[v]), allowed[:, v].tobytes(),
        )  # fmt: skip
        twin[v] = first.setdefault(key, v)
    return FastModel(
        node=node,
        lo=lo,
        hi=hi,
        service=layout.service[node],
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
    )
