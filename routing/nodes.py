"""Lay a ``Problem`` out as routing nodes: one node per task, shared depot nodes.

OR-Tools works on node indices; this module owns the mapping so the model builder,
the solution extractor and the re-planner agree on it. A two-ended job is a pickup
node and a delivery node (an office is just a task location, so revisiting it is
multi-trip); a VROOM single-location job is one node. Vehicles that start (or end)
at the same place share one start (end) node, which keeps the node matrices small.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

import numpy as np

from routing.problem import Job, Problem, Task, TimeWindow

__all__ = ["Layout", "Role", "build_layout"]


class Role(Enum):
    START = "start"
    END = "end"
    PICKUP = "pickup"  # first node of a two-node job
    DELIVERY = "delivery"  # second node of a two-node job
    SINGLE_PICKUP = "single_pickup"  # VROOM job picked up here, carried to the vehicle's end
    SINGLE_DELIVERY = "single_delivery"  # VROOM job loaded at the vehicle's start, delivered here


OPEN_END = -1  # location of the end node of routes without an end (travel to it is free)


@dataclass
class Layout:
    """Node arrays for one solve; index ``n`` describes node ``n``."""

    problem: Problem
    jobs: list[int]  # indices into problem.jobs that are modelled
    loc: np.ndarray  # location index per node, OPEN_END for the open end node
    service: np.ndarray  # service seconds per node
    windows: list[tuple[TimeWindow, ...]]
    role: list[Role]
    job_of: np.ndarray  # index into problem.jobs per node, -1 for depots
    delta: np.ndarray  # (nodes, dims) load change when the node is visited
    starts: list[int]  # start node per vehicle
    ends: list[int]  # end node per vehicle
    job_nodes: dict[int, tuple[int, ...]] = field(default_factory=dict)  # job index -> its node(s)
    pairs: list[tuple[int, int]] = field(default_factory=list)
    onboard: dict[int, int] = field(default_factory=dict)  # job index -> vehicle carrying it at the start
    init_load: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.int64))  # (vehicles, dims)

    @property
    def size(self) -> int:
        return len(self.role)

    def window_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """Each node's earliest and latest service start over its windows (0 and the last shift's end without
        one): what the cheap tests of a stop's time (``routing.eject``, ``routing.readback``) hold it to."""
        horizon = max(v.shift.end for v in self.problem.vehicles)
        early = np.array([min((w.start for w in ws), default=0) for ws in self.windows], dtype=np.int64)
        late = np.array([max((w.end for w in ws), default=horizon) for ws in self.windows], dtype=np.int64)
        return early, late

    def node_locations(self) -> np.ndarray:
        """Location per node with the open end mapped to 0 (its travel is zeroed separately)."""
        return np.where(self.loc == OPEN_END, 0, self.loc)


def _task_kind(job: Job) -> tuple[Task | None, Task | None]:
    return job.pickup, job.delivery


def build_layout(problem: Problem, jobs: list[int], onboard: dict[int, int] | None = None) -> Layout:
    """Build the node layout of ``problem`` restricted to the job indices ``jobs``.

    ``onboard`` maps a job (index) already on board to the vehicle (index) carrying it:
    such a job must be a single-delivery job and its amount is that vehicle's initial load.
    """
    onboard = dict(onboard or {})
    dims = problem.dimensions
    loc: list[int] = []
    service: list[int] = []
    windows: list[tuple[TimeWindow, ...]] = []
    role: list[Role] = []
    job_of: list[int] = []
    delta: list[tuple[int, ...]] = []
    zero = (0,) * dims

    def add(location: int, svc: int, tws: tuple[TimeWindow, ...], r: Role, j: int, d: tuple[int, ...]) -> int:
        loc.append(location)
        service.append(svc)
        windows.append(tws)
        role.append(r)
        job_of.append(j)
        delta.append(d)
        return len(loc) - 1

    start_node: dict[int, int] = {}
    end_node: dict[int, int] = {}
    starts, ends = [], []
    for v in problem.vehicles:
        if v.start not in start_node:
            start_node[v.start] = add(v.start, 0, (), Role.START, -1, zero)
        starts.append(start_node[v.start])
    for v in problem.vehicles:
        key = OPEN_END if v.end is None else v.end
        if key not in end_node:
            end_node[key] = add(key, 0, (), Role.END, -1, zero)
        ends.append(end_node[key])

    layout_pairs: list[tuple[int, int]] = []
    job_nodes: dict[int, tuple[int, ...]] = {}
    for j in jobs:
        job = problem.jobs[j]
        amount = tuple(job.amount)
        neg = tuple(-a for a in amount)
        p, d = _task_kind(job)
        if p is not None and d is not None:
            pn = add(p.location, p.service, p.time_windows, Role.PICKUP, j, amount)
            dn = add(d.location, d.service, d.time_windows, Role.DELIVERY, j, neg)
            layout_pairs.append((pn, dn))
            job_nodes[j] = (pn, dn)
        elif p is not None:
            job_nodes[j] = (add(p.location, p.service, p.time_windows, Role.SINGLE_PICKUP, j, amount),)
        else:
            assert d is not None
            job_nodes[j] = (add(d.location, d.service, d.time_windows, Role.SINGLE_DELIVERY, j, neg),)

    init_load = np.zeros((len(problem.vehicles), dims), dtype=np.int64)
    for j, vi in onboard.items():
        init_load[vi] += np.asarray(problem.jobs[j].amount, dtype=np.int64)
    return Layout(
        problem=problem,
        jobs=list(jobs),
        loc=np.asarray(loc, dtype=np.int64),
        service=np.asarray(service, dtype=np.int64),
        windows=windows,
        role=role,
        job_of=np.asarray(job_of, dtype=np.int64),
        delta=np.asarray(delta, dtype=np.int64).reshape(len(loc), dims),
        starts=starts,
        ends=ends,
        job_nodes=job_nodes,
        pairs=layout_pairs,
        onboard=onboard,
        init_load=init_load,
    )
