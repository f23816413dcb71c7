"""Compiled (numba) kernels of the fast recreate for plain routes: one time window per stop, no rests, no pairs.

Why: on Solomon at 10 s the numpy recreate of ``routing.sisr`` spent 86 % of its time in three calls on
arrays of ~120 elements (the cheapest insertion, a route's schedule, the flattened gap table), so its cost
was per-call overhead and only ~6,000 ruin-and-recreate iterations fitted in 9 s. SISR's published results
come from hundreds of thousands. Here the same tests are loops compiled once (``cache=True``: later
processes load them from numba's cache in ~0.1 s instead of compiling for ~5 s), and a whole recreate is
one call.

A plain plan lives in fixed-width int64 tables with one row per route (``Rows``): the route's indices
with its start and end (``stops``), earliest service starts (``arr``), latest starts that keep every later
stop in its window (``lat``), and how many columns of the row are in use (``size``). The model is the
``model`` tuple of ``FastModel.kernel_model``, in the order of ``MODEL``.

Loads are checked along the route, not as a total: a delivery rides from the start to its stop and a
pickup from its stop to the end, so on an AJIB day that mixes both the box is fullest somewhere in the
middle. ``pre``/``suf`` hold, per column and load dimension, the highest load on the bike up to and from
that column; a delivery fits in a gap when the highest load before it plus its amount fits the box, a
pickup when the highest load after it does. With deliveries only (or pickups only) this is the total, as
before.
"""

from __future__ import annotations

from typing import NamedTuple

import numba
import numpy as np

__all__ = ["MODEL", "Rows", "anneal_rows", "best_insertion", "recreate_rows", "schedule_row", "seed"]

MODEL = (
    "node", "lo", "hi", "service", "travel", "cost", "vehicle_class", "demand", "capacity",
    "max_tasks", "fixed", "allowed", "twin", "penalty", "depot_distance", "delta",
)  # fmt: skip
_INF = np.int64(1) << np.int64(60)


class Rows(NamedTuple):
    """A plain plan's tables (see the module docstring); ``load``/``cost``/``count``/``ok`` per route,
    ``pre``/``suf`` per route, column and load dimension."""

    stops: np.ndarray
    arr: np.ndarray
    lat: np.ndarray
    size: np.ndarray
    load: np.ndarray
    cost: np.ndarray
    count: np.ndarray
    ok: np.ndarray
    pre: np.ndarray
    suf: np.ndarray

    def copy(self) -> Rows:
        return Rows(*(a.copy() for a in self))

    def widened(self, width: int) -> Rows:
        """The same tables with room for ``width`` elements per route."""
        out = []
        for k, a in enumerate(self):
            if k < 3 or a.ndim == 3:
                wide = np.zeros((a.shape[0], width, *a.shape[2:]), dtype=a.dtype)
                wide[:, : a.shape[1]] = a
                a = wide
            out.append(a)
        return Rows(*out)


@numba.njit(cache=True)
def schedule_row(v: int, model: tuple, rows: tuple) -> None:
    """Recompute row ``v``'s schedule, loads and cost after its ``stops`` changed (waiting allowed)."""
    node, lo, hi, service, travel, cost, vehicle_class, demand = model[:8]
    fixed, delta = model[10], model[15]
    stops, arr, lat, size, load, route_cost, count, ok, pre, suf = rows
    n = size[v]
    c = vehicle_class[v]
    t = lo[stops[v, 0]]
    arr[v, 0] = t
    good = True
    total = 0
    for k in range(1, n):
        a, b = stops[v, k - 1], stops[v, k]
        t += service[a] + travel[c, node[a], node[b]]
        if t < lo[b]:
            t = lo[b]
        arr[v, k] = t
        if t > hi[b]:
            good = False
        total += cost[c, node[a], node[b]]
    t = hi[stops[v, n - 1]]
    lat[v, n - 1] = t
    for k in range(n - 2, -1, -1):
        a = stops[v, k]
        t = min(hi[a], t - travel[c, node[a], node[stops[v, k + 1]]] - service[a])
        lat[v, k] = t
    for d in range(load.shape[1]):
        s = on_board = 0
        for k in range(1, n - 1):
            s += demand[stops[v, k], d]
            if delta[stops[v, k], d] < 0:
                on_board -= delta[stops[v, k], d]  # deliveries leave the office on the bike
        load[v, d] = s
        top = on_board
        pre[v, 0, d] = top
        for k in range(1, n):
            on_board += delta[stops[v, k], d]
            top = max(top, on_board)
            pre[v, k, d] = top
        top = on_board
        suf[v, n - 1, d] = top
        for k in range(n - 1, 0, -1):
            on_board -= delta[stops[v, k], d]
            top = max(top, on_board)
            suf[v, k - 1, d] = top
    count[v] = n - 2
    route_cost[v] = total + fixed[v] if n > 2 else 0
    ok[v] = good


@numba.njit(cache=True)
def _best(index: int, model: tuple, rows: tuple, blink: float) -> tuple[int, int, int]:
    """Cheapest feasible insertion (vehicle, gap, added cost) of ``index``, each feasible gap skipped with
    probability ``blink``; vehicle -1 when none. Of unused interchangeable vehicles only the first is tried."""
    node, lo, hi, service, travel, cost, vehicle_class, _, capacity, max_tasks, fixed, allowed, twin = model[:13]
    delta = model[15]
    stops, arr, lat, size, load, _, count, _, pre, suf = rows
    nv, nd = stops.shape[0], load.shape[1]
    seen = np.zeros(nv, dtype=np.bool_)
    cn = node[index]
    lo_i, hi_i, s_i = lo[index], hi[index], service[index]
    best, bv, bg = _INF, -1, -1
    for v in range(nv):
        if count[v] == 0:
            if seen[twin[v]]:
                continue
            seen[twin[v]] = True
        if not allowed[index, v] or count[v] >= max_tasks[v]:
            continue
        fits = True  # the box's fullest moment anywhere on the route (``pre``/``suf``: module notes)
        for d in range(nd):
            x = delta[index, d]
            if (x < 0 and pre[v, 0, d] - x > capacity[v, d]) or (x > 0 and suf[v, size[v] - 1, d] + x > capacity[v, d]):
                fits = False
        if not fits:
            continue
        c = vehicle_class[v]
        extra = fixed[v] if count[v] == 0 else 0
        for g in range(size[v] - 1):
            a, b = stops[v, g], stops[v, g + 1]
            pn, nn = node[a], node[b]
            start = max(lo_i, arr[v, g] + service[a] + travel[c, pn, cn])
            if start > hi_i or start + s_i + travel[c, cn, nn] > lat[v, g + 1]:
                continue
            room = True
            for d in range(nd):
                x = delta[index, d]
                if (x < 0 and pre[v, g, d] - x > capacity[v, d]) or (x > 0 and suf[v, g, d] + x > capacity[v, d]):
                    room = False
            if not room:
                continue
            added = cost[c, pn, cn] + cost[c, cn, nn] - cost[c, pn, nn] + extra
            if added < best and (blink <= 0.0 or np.random.random() >= blink):
                best, bv, bg = added, v, g
    return bv, bg, best


@numba.njit(cache=True)
def seed(value: int) -> None:
    """Seed numba's own generator (compiled code does not see numpy's), e.g. before calling ``_ruin``."""
    np.random.seed(value)


@numba.njit(cache=True)
def best_insertion(index: int, model: tuple, rows: tuple, seed: int, blink: float) -> tuple[int, int, int]:
    """``_best`` with numba's generator seeded from the caller's (so a run is repeatable for a seed)."""
    np.random.seed(seed)
    return _best(index, model, rows, blink)


@numba.njit(cache=True)
def _copy_row(v: int, src: tuple, dst: tuple) -> None:
    n = src[3][v]
    dst[0][v, :n] = src[0][v, :n]
    dst[1][v, :n] = src[1][v, :n]
    dst[2][v, :n] = src[2][v, :n]
    dst[3][v] = n
    dst[4][v, :] = src[4][v, :]
    dst[5][v] = src[5][v]
    dst[6][v] = src[6][v]
    dst[7][v] = src[7][v]
    dst[8][v, :n] = src[8][v, :n]
    dst[9][v, :n] = src[9][v, :n]


@numba.njit(cache=True)
def _save(v: int, rows: tuple, backup: tuple, touched: np.ndarray) -> None:
    """Keep row ``v`` as it was before this iteration's first change to it (the undo of a rejected trial)."""
    if not touched[v]:
        touched[v] = True
        _copy_row(v, rows, backup)


@numba.njit(cache=True)
def _recreate(
    order: np.ndarray, model: tuple, rows: tuple, blink: float, backup: tuple, touched: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    penalty = model[13]
    stops, size = rows[0], rows[3]
    left = np.empty(len(order), dtype=np.int64)
    n_left = 0
    changed = np.zeros(stops.shape[0], dtype=np.bool_)
    for index in order:
        v, g, added = _best(index, model, rows, blink)
        if v < 0 or added >= penalty[index]:
            left[n_left] = index
            n_left += 1
            continue
        _save(v, rows, backup, touched)
        for k in range(size[v], g + 1, -1):
            stops[v, k] = stops[v, k - 1]
        stops[v, g + 1] = index
        size[v] += 1
        schedule_row(v, model, rows)
        changed[v] = True
    return left[:n_left], changed


@numba.njit(cache=True)
def recreate_rows(order: np.ndarray, model: tuple, rows: tuple, seed: int, blink: float) -> tuple:
    """Insert ``order`` one by one at its cheapest feasible gap (SISR's greedy insertion with blinks).

    Returns the indices that fit nowhere or cost more than their drop penalty, and which routes changed.
    The caller makes sure every row has room for all of ``order``.
    """
    np.random.seed(seed)
    return _recreate(order, model, rows, blink, rows, np.ones(rows[0].shape[0], dtype=np.bool_))


@numba.njit(cache=True)
def _ruin(
    model: tuple,
    rows: tuple,
    near: np.ndarray,
    avg_removed: float,
    max_string: float,
    backup: tuple,
    touched: np.ndarray,
) -> np.ndarray:
    """SISR's string removal (as ``routing.ils._ruin``): strings of stops around a random stop's nearest
    stops, from up to a few routes. Returns the removed indices in ascending order."""
    stops, size = rows[0], rows[3]
    nv, n_index = stops.shape[0], near.shape[0]
    veh_of = np.full(n_index, -1, dtype=np.int64)
    pos_of = np.zeros(n_index, dtype=np.int64)
    served = np.empty(n_index, dtype=np.int64)
    ns = used = 0
    for v in range(nv):
        if size[v] > 2:
            used += 1
        for k in range(1, size[v] - 1):
            i = stops[v, k]
            veh_of[i], pos_of[i] = v, k - 1
            served[ns] = i
            ns += 1
    if ns == 0:
        return np.empty(0, dtype=np.int64)
    seed = served[np.random.randint(0, ns)]
    lmax = min(max_string, ns / used)
    ks_max = 4.0 * avg_removed / (1.0 + lmax) - 1.0
    n_routes = int(1.0 + ks_max * np.random.random())
    ruined = np.zeros(nv, dtype=np.bool_)
    gone = np.zeros(n_index, dtype=np.bool_)
    n_ruined = 0
    for i in near[seed]:
        if i < 0 or n_ruined >= n_routes:
            break
        v = veh_of[i]
        if v < 0 or ruined[v] or gone[i]:
            continue
        length_r = size[v] - 2
        length = int(1.0 + min(length_r, lmax) * np.random.random())
        first = np.random.randint(max(0, pos_of[i] - length + 1), min(pos_of[i], length_r - length) + 1)
        for k in range(first, first + length):
            gone[stops[v, k + 1]] = True
        ruined[v] = True
        n_ruined += 1
    for v in np.flatnonzero(ruined):
        _save(v, rows, backup, touched)
        n = 1
        for k in range(1, size[v]):
            if not gone[stops[v, k]]:
                stops[v, n] = stops[v, k]
                n += 1
        size[v] = n
        schedule_row(v, model, rows)
    return np.flatnonzero(gone)


@numba.njit(cache=True)
def _order(removed: np.ndarray, left: np.ndarray, model: tuple) -> np.ndarray:
    """The removed stops, then those left out before, in one of SISR's insertion orders."""
    demand, depot = model[7], model[14]
    order = np.concatenate((removed, left))
    pick = np.random.random()
    if pick < 4 / 11:
        np.random.shuffle(order)
        return order
    key = np.empty(len(order), dtype=np.int64)
    for k in range(len(order)):
        if pick < 8 / 11:
            key[k] = -demand[order[k]].sum()
        elif pick < 10 / 11:
            key[k] = -depot[order[k]]
        else:
            key[k] = depot[order[k]]
    return order[np.argsort(key, kind="mergesort")]


@numba.njit(cache=True)
def anneal_rows(
    model: tuple,
    cur: tuple,
    best: tuple,
    backup: tuple,
    near: np.ndarray,
    left: np.ndarray,
    best_left: np.ndarray,
    state: np.ndarray,
    avg_removed: float,
    max_string: float,
    temp: float,
    iterations: int,
    seed: int,
    blink: float,
) -> None:
    """``iterations`` rounds of SISR's ruin and recreate with simulated annealing at temperature ``temp``.

    ``cur`` is the current plan, ``best`` the best seen; ``left``/``best_left`` hold their unassigned
    indices, and ``state`` is [current total, best total, len(current left), len(best left)], all
    updated in place so that the caller can run the search in slices and watch the clock between them.
    A rejected trial is undone row by row from ``backup`` (only the rows it touched are saved).
    """
    np.random.seed(seed)
    penalty = model[13]
    nv = cur[0].shape[0]
    touched = np.zeros(nv, dtype=np.bool_)
    for _ in range(iterations):
        touched[:] = False
        removed = _ruin(model, cur, near, avg_removed, max_string, backup, touched)
        order = _order(removed, left[: state[2]], model)
        new_left, _ = _recreate(order, model, cur, blink, backup, touched)
        total = cur[5].sum()
        for i in new_left:
            total += penalty[i]
        if total < state[0] - temp * np.log(max(np.random.random(), 1e-12)):
            state[0] = total
            state[2] = len(new_left)
            left[: len(new_left)] = new_left
            if total < state[1]:
                state[1], state[3] = total, len(new_left)
                best_left[: len(new_left)] = new_left
                for v in range(nv):
                    _copy_row(v, cur, best)
        else:
            for v in np.flatnonzero(touched):
                _copy_row(v, backup, cur)


def warm_up() -> float:
    """Compile (or load from numba's cache) every kernel on a two-stop model; returns the seconds it took.

    Called where a cold start would otherwise eat a solve's time budget: by ``make setup`` (so an
    install comes with its cache filled), and at the start of every fast recreate, where it costs ~0.1 s
    once per process when the cache is warm.
    """
    import time

    t0 = time.perf_counter()
    i64 = np.int64
    model = (
        np.array([0, 1, 2, 0], dtype=i64),  # node: start, two stops, end
        np.zeros(4, dtype=i64),
        np.full(4, 100, dtype=i64),
        np.ones(4, dtype=i64),
        np.ones((1, 3, 3), dtype=i64),
        np.ones((1, 3, 3), dtype=i64),
        np.zeros(1, dtype=i64),
        np.ones((4, 1), dtype=i64),
        np.full((1, 1), 10, dtype=i64),
        np.full(1, 10, dtype=i64),
        np.zeros(1, dtype=i64),
        np.ones((4, 1), dtype=np.bool_),
        np.zeros(1, dtype=i64),
        np.full(4, 1000, dtype=i64),
        np.ones(4, dtype=i64),
        np.array([[0], [1], [-1], [0]], dtype=i64),  # delta: a pickup and a delivery
    )
    rows = Rows(
        np.array([[0, 3, 0, 0, 0, 0]], dtype=i64), np.zeros((1, 6), dtype=i64), np.zeros((1, 6), dtype=i64),
        np.array([2], dtype=i64), np.zeros((1, 1), dtype=i64), np.zeros(1, dtype=i64), np.zeros(1, dtype=i64),
        np.ones(1, dtype=np.bool_), np.zeros((1, 6, 1), dtype=i64), np.zeros((1, 6, 1), dtype=i64),
    )  # fmt: skip
    schedule_row(0, model, rows)
    best_insertion(1, model, rows, 1, 0.0)
    recreate_rows(np.array([1], dtype=i64), model, rows, 1, 0.0)
    near = np.array([[-1, -1], [1, 2], [2, 1], [-1, -1]], dtype=i64)
    state = np.array([1 << 40, 1 << 40, 1, 1], dtype=i64)
    left = np.array([2, 0, 0, 0, 0], dtype=i64)
    anneal_rows(model, rows, rows.copy(), rows.copy(), near, left, left.copy(), state, 10.0, 10.0, 1.0, 3, 1, 0.01)
    return time.perf_counter() - t0
