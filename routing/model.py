"""Build the OR-Tools routing model of a node layout.

One formulation for every AJIB case: pickup-and-delivery with time windows, where an
office is an ordinary task location (so a courier may come back to it: multi-trip),
one capacity dimension per load dimension, breaks as interval variables on the time
dimension, and a drop penalty per job far above what serving it can cost.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from ortools.constraint_solver import pywrapcp

from routing.matrices import NodeMatrices, node_matrices, to_lists
from routing.nodes import Layout, Role
from routing.params import SolveParams
from routing.problem import Break, TimeWindow
from routing.schedule import break_windows

__all__ = ["Built", "break_windows", "build_model", "union_bounds"]

TIME = "time"
BIG = 1 << 40


@dataclass
class Built:
    """The model and the handles the extractor needs."""

    layout: Layout
    manager: pywrapcp.RoutingIndexManager
    routing: pywrapcp.RoutingModel
    time: pywrapcp.RoutingDimension
    vehicle_class: list[int]  # class index per vehicle
    classes: list[tuple[str, float]]  # (profile, speed factor) per class
    matrices: list[NodeMatrices]
    breaks: dict[int, list[tuple[Break, pywrapcp.IntervalVar]]] = field(default_factory=dict)
    penalty: dict[int, int] = field(default_factory=dict)  # job index -> drop penalty per node
    keep: set[int] = field(default_factory=set)  # vehicles reported even with an empty route


def union_bounds(windows: tuple[TimeWindow, ...]) -> tuple[int, int, list[tuple[int, int]]]:
    """Hull of ``windows`` and the gaps inside it (sorted, merged)."""
    ws = sorted((w.start, w.end) for w in windows)
    merged: list[list[int]] = []
    for s, e in ws:
        if merged and s <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    gaps = [(merged[i][1] + 1, merged[i + 1][0] - 1) for i in range(len(merged) - 1)]
    return merged[0][0], merged[-1][1], gaps


def _set_windows(var: pywrapcp.IntVar, windows: tuple[TimeWindow, ...]) -> None:
    if not windows:
        return
    lo, hi, gaps = union_bounds(windows)
    var.SetRange(max(lo, var.Min()), min(hi, var.Max()))
    for a, b in gaps:
        var.RemoveInterval(a, b)


def build_model(
    layout: Layout,
    params: SolveParams,
    allowed: dict[int, list[int]],
    base_penalty: int | None = None,
) -> Built:
    """Create manager, model, dimensions and constraints for ``layout``.

    ``allowed`` maps a job index to the vehicles (indices) that may serve it; jobs
    absent from it may use any vehicle.
    """
    problem = layout.problem
    vehicles = problem.vehicles
    nv = len(vehicles)
    manager = pywrapcp.RoutingIndexManager(layout.size, nv, layout.starts, layout.ends)
    routing = pywrapcp.RoutingModel(manager)
    n_index = manager.GetNumberOfIndices()
    node_of_index = np.array([manager.IndexToNode(i) for i in range(n_index)], dtype=np.int64)

    # Travel classes: one set of callbacks per distinct (profile, speed factor).
    classes: list[tuple[str, float]] = []
    vehicle_class = []
    for v in vehicles:
        key = (v.profile, float(v.speed_factor))
        if key not in classes:
            classes.append(key)
        vehicle_class.append(classes.index(key))
    mats = [node_matrices(layout, p, sf) for p, sf in classes]
    service = layout.service
    time_cb, cost_cb, travel_cb = [], [], []
    need_travel_dim = any(v.max_travel_time is not None for v in vehicles)
    max_arc = 1
    scale = params.objective_scale
    for m in mats:
        time_cb.append(routing.RegisterTransitMatrix(to_lists(m.travel + service[:, None])))
        if params.distance_cost == 0 and params.travel_time_cost == 1 and scale == 1:
            cost = m.travel
        else:
            cost = np.rint(scale * (params.travel_time_cost * m.travel + params.distance_cost * m.distance)).astype(
                np.int64
            )
        max_arc = max(max_arc, int(cost.max(initial=0)))
        cb = routing.RegisterTransitMatrix(to_lists(cost))
        cost_cb.append(cb)
        if need_travel_dim:
            travel_cb.append(cb if cost is m.travel else routing.RegisterTransitMatrix(to_lists(m.travel)))
    for vi, v in enumerate(vehicles):
        routing.SetArcCostEvaluatorOfVehicle(cost_cb[vehicle_class[vi]], vi)
        if v.fixed_cost:
            routing.SetFixedCostOfVehicle(int(v.fixed_cost) * scale, vi)

    # Time: cumul = service start; slack = waiting; shifts bound the start and end cumuls.
    horizon = max([v.shift.end for v in vehicles] + [0])
    routing.AddDimensionWithVehicleTransits([time_cb[c] for c in vehicle_class], horizon, horizon, False, TIME)
    time = routing.GetDimensionOrDie(TIME)
    for vi, v in enumerate(vehicles):
        time.CumulVar(routing.Start(vi)).SetRange(v.shift.start, v.shift.end)
        time.CumulVar(routing.End(vi)).SetRange(v.shift.start, v.shift.end)
    for node in range(layout.size):
        if layout.role[node] in (Role.START, Role.END):
            continue
        _set_windows(time.CumulVar(manager.NodeToIndex(node)), layout.windows[node])
    if params.balance_weight > 0:
        time.SetGlobalSpanCostCoefficient(max(1, round(params.balance_weight)) * scale)
    _add_margin_costs(layout, manager, time, params)
    _add_custody_costs(layout, manager, time, params, horizon)

    if need_travel_dim:
        caps = [v.max_travel_time if v.max_travel_time is not None else BIG for v in vehicles]
        routing.AddDimensionWithVehicleTransitAndCapacity(
            [travel_cb[c] for c in vehicle_class], 0, caps, True, "travel"
        )

    task_nodes = np.array([r not in (Role.START, Role.END) for r in layout.role], dtype=np.int64)
    if any(v.max_tasks is not None for v in vehicles):
        cb = routing.RegisterUnaryTransitVector(task_nodes.tolist())
        caps = [v.max_tasks if v.max_tasks is not None else BIG for v in vehicles]
        routing.AddDimensionWithVehicleCapacity(cb, 0, caps, True, "tasks")

    _add_load_dimensions(layout, routing, manager)

    # Pickup before delivery on the same vehicle.
    solver = routing.solver()
    for p, d in layout.pairs:
        pi, di = manager.NodeToIndex(p), manager.NodeToIndex(d)
        routing.AddPickupAndDelivery(pi, di)
        solver.Add(routing.VehicleVar(pi) == routing.VehicleVar(di))
        solver.Add(time.CumulVar(pi) <= time.CumulVar(di))

    # Eligible vehicles, drop penalties.
    max_fixed = max([v.fixed_cost for v in vehicles] + [0]) * scale
    base = base_penalty if base_penalty is not None else 100 * max_arc + max_fixed + 1
    penalty: dict[int, int] = {}
    for j, nodes in layout.job_nodes.items():
        job = problem.jobs[j]
        pen = round(base * (1 + params.priority_weight * job.priority))
        if j in layout.onboard:
            pen = base * 10_000  # documents already on the motorbike: deliver them if at all possible
        penalty[j] = pen
        ok = allowed.get(j)
        for node in nodes:
            index = manager.NodeToIndex(node)
            if ok is not None and len(ok) < nv:
                # SetAllowedVehiclesForIndex's Span<int> does not convert from Python; the
                # vehicle variable's domain says the same (-1 = not performed).
                routing.VehicleVar(index).SetValues([-1, *ok])
            routing.AddDisjunction([index], pen)

    built = Built(layout, manager, routing, time, vehicle_class, classes, mats, penalty=penalty)
    _add_breaks(built, node_of_index)
    return built


def _add_margin_costs(
    layout: Layout, manager: pywrapcp.RoutingIndexManager, time: pywrapcp.RoutingDimension, params: SolveParams
) -> None:
    """Lateness risk: a service start in the last ``margin_s`` of a stop's window costs per second inside.

    A soft upper bound on the stop's time cumul at ``end - margin_s`` (never before the window opens, so
    a window shorter than the margin asks for its start). Only stops with one window: with several, the
    margin of the window the solver picks is not a fixed bound.
    """
    if params.margin_s <= 0 or params.margin_cost <= 0:
        return
    coefficient = max(1, round(params.margin_cost * params.objective_scale))
    for node, windows in enumerate(layout.windows):
        if len(windows) != 1 or layout.role[node] in (Role.START, Role.END):
            continue
        w = windows[0]
        time.SetCumulVarSoftUpperBound(manager.NodeToIndex(node), max(w.start, w.end - params.margin_s), coefficient)


def _add_custody_costs(
    layout: Layout,
    manager: pywrapcp.RoutingIndexManager,
    time: pywrapcp.RoutingDimension,
    params: SolveParams,
    horizon: int,
) -> None:
    """Custody exposure: per second between a two-ended job's collection and its handover.

    ``t_delivery - t_pickup`` is linear in the two cumuls, and OR-Tools costs cumuls through soft bounds:
    a soft upper bound on the handover at the earliest the collection can start (``A``) and a soft lower
    bound on the collection at the latest it can start (``B``) cost ``c * (t_d - A) + c * (B - t_p)``,
    the custody plus a constant ``c * (B - A)`` per served job (both bounds hold with equality on every
    feasible plan, so nothing is clipped). The constant is small beside a job's drop penalty. Documents
    already on board at the start (re-plans) are single nodes: their handover cumul alone is costed.
    """
    if params.custody_cost <= 0:
        return
    coefficient = max(1, round(params.custody_cost * params.objective_scale))
    vehicles = layout.problem.vehicles
    first = min((v.shift.start for v in vehicles), default=0)
    for p, d in layout.pairs:
        pw = layout.windows[p]
        a = max(min((w.start for w in pw), default=first), first)
        b = min(max((w.end for w in pw), default=horizon), horizon)
        time.SetCumulVarSoftUpperBound(manager.NodeToIndex(d), a, coefficient)
        time.SetCumulVarSoftLowerBound(manager.NodeToIndex(p), b, coefficient)
    for j, vi in layout.onboard.items():
        (node,) = layout.job_nodes[j]
        time.SetCumulVarSoftUpperBound(manager.NodeToIndex(node), vehicles[vi].shift.start, coefficient)


def _add_load_dimensions(layout: Layout, routing: pywrapcp.RoutingModel, manager: pywrapcp.RoutingIndexManager) -> None:
    """One capacity dimension per load dimension (see the module notes on single jobs).

    The load after a node is the start load plus the deltas so far. VROOM single
    deliveries are loaded at the start, so the start load must equal what the route
    will deliver: when such jobs mix with pickups, a second dimension counts the
    deliveries still to come (zero at the end) and the two start cumuls are tied.
    """
    problem = layout.problem
    vehicles = problem.vehicles
    solver = routing.solver()
    single_delivery = np.array(
        [r is Role.SINGLE_DELIVERY and layout.job_of[n] not in layout.onboard for n, r in enumerate(layout.role)],
        dtype=bool,
    )
    for k in range(problem.dimensions):
        delta = layout.delta[:, k]
        caps = [int(v.capacity[k]) for v in vehicles]
        init = [int(x) for x in layout.init_load[:, k]] if layout.init_load.size else [0] * len(vehicles)
        if not delta.any() and not any(init):
            continue
        has_sd = bool((delta[single_delivery] != 0).any())
        has_up = bool((delta > 0).any())
        name = f"load{k}"
        if has_sd and not has_up:
            # Load only falls along the route: its peak is the start, what is on board plus all deliveries.
            vec = np.where(single_delivery, -delta, 0)
            cb = routing.RegisterUnaryTransitVector(vec.tolist())
            routing.AddDimensionWithVehicleCapacity(cb, 0, caps, False, name)
            dim = routing.GetDimensionOrDie(name)
            for vi in range(len(vehicles)):
                dim.CumulVar(routing.Start(vi)).SetValue(init[vi])
            continue
        cb = routing.RegisterUnaryTransitVector(delta.tolist())
        routing.AddDimensionWithVehicleCapacity(cb, 0, caps, False, name)
        dim = routing.GetDimensionOrDie(name)
        if not has_sd:
            for vi in range(len(vehicles)):
                dim.CumulVar(routing.Start(vi)).SetValue(init[vi])
            continue
        rest = f"deliveries{k}"
        vec = np.where(single_delivery, delta, 0)
        cb2 = routing.RegisterUnaryTransitVector(vec.tolist())
        routing.AddDimensionWithVehicleCapacity(cb2, 0, caps, False, rest)
        rdim = routing.GetDimensionOrDie(rest)
        for vi in range(len(vehicles)):
            rdim.CumulVar(routing.End(vi)).SetValue(0)
            solver.Add(dim.CumulVar(routing.Start(vi)) == rdim.CumulVar(routing.Start(vi)) + init[vi])


def _add_breaks(built: Built, node_of_index: np.ndarray) -> None:
    """Breaks as fixed-duration intervals; several allowed windows become domain holes."""
    routing, time, layout = built.routing, built.time, built.layout
    solver = routing.solver()
    visit = None
    for vi, v in enumerate(layout.problem.vehicles):
        intervals = []
        for brk in v.breaks:
            windows = break_windows(brk, v.shift)
            if not windows:
                continue  # the break falls outside this courier's shift
            lo, hi, gaps = union_bounds(windows)
            iv = solver.FixedDurationIntervalVar(lo, hi, brk.duration, False, f"break {v.id} {brk.id}")
            for a, b in gaps:
                iv.SafeStartExpr(0).Var().RemoveInterval(a, b)
            intervals.append(iv)
            built.breaks.setdefault(vi, []).append((brk, iv))
            routing.AddIntervalToAssignment(iv)
        if intervals:
            if visit is None:
                visit = [int(x) for x in layout.service[node_of_index]]
            time.SetBreakIntervalsOfVehicle(intervals, vi, visit)
            if len(intervals) > 1:
                # One rest at a time: OR-Tools' break model checks each gap's total only, so
                # without this lunch and prayer could overlap (tests/unit/routing/test_sisr.py).
                solver.Add(solver.DisjunctiveConstraint(intervals, f"rests {v.id}"))
