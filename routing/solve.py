"""``solve``: Problem -> Solution with OR-Tools, optionally on two cores.

Pipeline: pre-checks (reasons.py) drop jobs nobody can serve alone and restrict each
job to the couriers that can; the rest is laid out as nodes (nodes.py), modelled
(model.py), searched, and read back (extract.py). ``time_limit_s`` is the budget of the
whole call: model building is subtracted from the search time. A day whose couriers
and jobs fall into independent groups (one per office: skills, locks) is solved group by
group on all cores (decompose.py), each group's budget in proportion to its size.
"""

from __future__ import annotations

import logging
import time as _time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import partial

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from routing import pyvrp_search, readback
from routing.decompose import Component, components, cores, solve_components
from routing.eject import serve_more
from routing.extract import extract_routes
from routing.ils import IlsResult, improve, improve_fast, load_routes, route_indices
from routing.lifetime import Beside, can_fork
from routing.model import Built, build_model
from routing.nodes import build_layout
from routing.params import SolveParams
from routing.problem import Problem
from routing.reasons import Precheck, left_out, precheck
from routing.sisr import FastModel, fast_model
from routing.solution import Route, Solution, Unassigned

__all__ = ["Hint", "improve_built", "solve", "solve_with"]

_log = logging.getLogger(__name__)

_STATUS = {
    0: "ROUTING_NOT_SOLVED",
    1: "ROUTING_SUCCESS",
    2: "ROUTING_PARTIAL_SUCCESS_LOCAL_OPTIMUM_NOT_REACHED",
    3: "ROUTING_FAIL",
    4: "ROUTING_FAIL_TIMEOUT",
    5: "ROUTING_INVALID",
    6: "ROUTING_INFEASIBLE",
    7: "ROUTING_OPTIMAL",
}
_EXTRACT_MARGIN_S = 0.05
_DECOMPOSED_MARGIN = 0.04  # share of the budget kept back when components are solved apart
# Kept back from the search for the verdicts on the jobs it leaves out (``reasons.left_out``, bounded by its
# stop budget: ~0.1 s on a 1,459-job city day) and the answer, so that the whole call ends in its limit
_VERDICTS_SHARE, _VERDICTS_MAX_S = 0.02, 0.3
_OWN_START_POLISH = 0.1  # share of the budget for OR-Tools' read-back and descent after an own first plan
# share of the time after PyVRP's phase for putting in what it left out (routing.eject); on kota tuning days
# (s101, 30 s) it stopped at this limit with 405 -> 409 served (VROOM 410, OR-Tools alone 407)
_SERVE_MORE = 0.4
_OBJECTIVE_POLISH = 0.15  # share of the budget for the descent that weighs custody and margin (``_weigh``)
# Global insertion heuristics evaluate every (node, position) pair per step: 15 s for 500
# pickup-delivery nodes. Above this many nodes they are replaced by the local variant.
_GLOBAL_INSERTION_MAX_NODES = 300
_GLOBAL_INSERTIONS = {"PARALLEL_CHEAPEST_INSERTION", "SEQUENTIAL_CHEAPEST_INSERTION", "BEST_INSERTION"}


@dataclass(frozen=True)
class Hint:
    """Internal extras for one solve (used by ``replan``)."""

    onboard: Mapping[str, str] = field(default_factory=dict)  # job id -> vehicle id carrying it now
    routes: Mapping[str, Sequence[str]] = field(default_factory=dict)  # vehicle id -> job ids in visit order
    keep: frozenset[str] = frozenset()  # vehicles whose route is output even when it serves nothing


@dataclass
class _Outcome:
    objective: int
    routes: list[Route]
    dropped: list[int]
    status: str


def search_parameters(params: SolveParams, strategy: str, seconds: float) -> pywrapcp.RoutingSearchParameters:
    """OR-Tools search parameters for one worker."""
    sp = pywrapcp.DefaultRoutingSearchParameters()
    sp.first_solution_strategy = getattr(routing_enums_pb2.FirstSolutionStrategy, strategy)
    sp.local_search_metaheuristic = getattr(routing_enums_pb2.LocalSearchMetaheuristic, params.metaheuristic)
    sp.guided_local_search_lambda_coefficient = params.gls_lambda
    sp.use_full_propagation = False
    sp.log_search = params.log_search
    sp.time_limit.FromMilliseconds(max(1, int(seconds * 1000)))
    if params.solution_limit is not None:
        sp.solution_limit = params.solution_limit
    if params.neighbors_ratio < 1:
        sp.ls_operator_neighbors_ratio = params.neighbors_ratio
        sp.ls_operator_min_neighbors = 10
        gci = sp.global_cheapest_insertion_first_solution_parameters
        gci.neighbors_ratio = params.neighbors_ratio
        gci.min_neighbors = 10
    return sp


def improve_built(
    built: Built,
    start: pywrapcp.Assignment | None,
    sp: pywrapcp.RoutingSearchParameters,
    params: SolveParams,
    deadline: float,
    fm: FastModel | None = None,
) -> IlsResult | None:
    """Hand the model's plan to ``routing.ils`` with what it needs to know of the layout (its indices).

    ``fm`` is ``fast_model(built, params)`` when the caller has it. ``start`` None (only with ``fm``):
    the fast recreate builds the first plan too; None comes back if OR-Tools refused its plans.
    """
    layout, manager = built.layout, built.manager
    node_of_index = np.array([manager.IndexToNode(i) for i in range(built.routing.Size())], dtype=np.int64)
    penalty_of = {
        manager.NodeToIndex(node): built.penalty[j] for j, nodes in layout.job_nodes.items() for node in nodes
    }
    if fm is None and params.ils_recreate == "auto":
        fm = fast_model(built, params)
    if fm is not None:
        own_start = start is None
        fast = improve_fast(
            built.routing,
            start,
            sp,
            fm,
            deadline=deadline,
            travel=built.matrices[0].travel,
            node_of_index=node_of_index,
            seed=params.seed,
            avg_removed=params.ils_removed,
            time=built.time,
            rests=[iv for v in sorted(built.breaks) for _, iv in built.breaks[v]],
            polishes=1 if own_start else 4,
            polish_reserve=_OWN_START_POLISH if own_start else 0.03,
            max_iterations=params.ils_iterations,
        )
        if fast is not None or start is None:
            return fast
    if start is None:
        return None
    pairs = [(manager.NodeToIndex(p), manager.NodeToIndex(d)) for p, d in layout.pairs]
    return improve(
        built.routing,
        start,
        sp,
        deadline=deadline,
        travel=built.matrices[0].travel,
        node_of_index=node_of_index,
        pairs=pairs,
        penalty_of=penalty_of,
        seed=params.seed,
        avg_removed=params.ils_removed,
        max_iterations=params.ils_iterations,
    )


def _job_order(pre: Precheck, seed: int) -> list[int]:
    jobs = list(pre.feasible)
    if seed:
        np.random.default_rng(seed).shuffle(jobs)
    return jobs


def _run(
    problem: Problem,
    params: SolveParams,
    pre: Precheck,
    hint: Hint,
    strategy: str,
    deadline: float,
    spare_core: bool = False,
) -> _Outcome:
    """Build, search and extract once with ``strategy``.

    ``spare_core``: a core is free during this run (one worker, one sub-problem), so PyVRP's phase,
    where it runs, runs twice with two seeds at once.

    Custody and margin costs (``objective_scale`` > 1) are weighed by a last descent (``_weigh``, the last
    15 % of the budget): the search runs on travel as it always did. With the terms in the searched model,
    plans on generated Jakarta office days rode 16-45 % more at 10 s (``bench/objective.py``, one loaded
    machine; the cause was not isolated); searched on travel and weighed at the end they rode 0-6 % more.
    """
    final, final_deadline = params, deadline
    if params.objective_scale > 1:
        params = replace(params, custody_cost=0.0, margin_cost=0.0)
        now = _time.monotonic()
        deadline = now + (deadline - now) * (1 - _OBJECTIVE_POLISH)
    vid = {v.id: i for i, v in enumerate(problem.vehicles)}
    jid = {j.id: i for i, j in enumerate(problem.jobs)}
    onboard = {jid[j]: vid[v] for j, v in hint.onboard.items() if jid.get(j) in set(pre.feasible)}
    layout = build_layout(problem, _job_order(pre, params.seed), onboard)
    built = build_model(layout, params, pre.allowed)
    routing, manager = built.routing, built.manager
    for vi, v in enumerate(problem.vehicles):
        if v.id in hint.keep:
            routing.SetVehicleUsedWhenEmpty(True, vi)
            built.keep.add(vi)
    left = deadline - _time.monotonic() - _EXTRACT_MARGIN_S
    if strategy in _GLOBAL_INSERTIONS and layout.size > _GLOBAL_INSERTION_MAX_NODES:
        strategy = "PATH_CHEAPEST_ARC"
    sp = search_parameters(params, strategy, max(left, 0.05))
    ils = params.improvement == "ils" and params.solution_limit is None
    ils_params = params
    if pyvrp_search.mixed_loads(problem) and _pyvrp_may_run(problem, params, hint):
        # PyVRP's search leads on mixed days, polished by OR-Tools' ILS as measured (docs/benchmarks.md,
        # "Mixed loads in the fast recreate"); the fast recreate plans those PyVRP cannot take
        ils_params = replace(params, ils_recreate="or-tools")
    fm = fast_model(built, params) if ils and ils_params.ils_recreate == "auto" else None
    use_ils = ils and (layout.size <= params.ils_max_nodes or fm is not None)
    pyvrp_start = _pyvrp_start(built, params, hint, fm, strategy, deadline, 2 if spare_core else 1)
    own_start = fm is not None and layout.size >= params.own_start_nodes and not hint.routes and pyvrp_start is None
    if use_ils:
        # First solution and one descent to a local optimum; the ILS gets the rest of the time.
        sp.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GREEDY_DESCENT
    assignment = None
    if own_start:
        # Big and modelled by the fast recreate: it builds the first plan too (see ``improve_fast``);
        # the second worker of ``_run_two`` differs by its seed, not by a strategy it would not use.
        routing.CloseModelWithParameters(sp)
        own = replace(params, seed=params.seed + (strategy != params.first_solution_strategy))
        found = improve_built(built, None, sp, own, deadline - _EXTRACT_MARGIN_S, fm)
        if found is not None:
            assignment = found.assignment
        else:  # OR-Tools refused the plan: its own search with the time that is left
            _time_left(sp, deadline)
    if pyvrp_start is not None:
        # PyVRP leaves out a few more than fit on capacity-tight days: make room for them (routing.eject)
        now = _time.monotonic()
        before = sum(len(r) for r in pyvrp_start)
        pyvrp_start = serve_more(built, pyvrp_start, now + _SERVE_MORE * (deadline - now))
        _log.debug("serve_more: %d -> %d stops in %.2f s", before, sum(map(len, pyvrp_start)), _time.monotonic() - now)
        routing.CloseModelWithParameters(sp)
        _time_left(sp, deadline)
        assignment = load_routes(routing, pyvrp_start, sp)
        if assignment is None:
            now = _time.monotonic()
            repaired = readback.repair_routes(built, pyvrp_start, now + 0.3 * (deadline - now))
            served = {layout.job_of[manager.IndexToNode(i)] for r in repaired for i in r}
            out = [j for j in layout.job_nodes if j not in served]
            repaired = readback.put_back(built, repaired, out, now + 0.4 * (deadline - now))
            assignment = load_routes(routing, repaired, _time_left(sp, deadline))
    elif hint.routes:
        routes = []
        for v in problem.vehicles:
            seen: dict[int, int] = {}
            order = []
            for job_id in hint.routes.get(v.id, ()):
                j = jid.get(job_id)
                if j is None or j not in layout.job_nodes:
                    continue
                nodes = layout.job_nodes[j]
                k = seen.get(j, 0)
                if k < len(nodes):
                    order.append(manager.NodeToIndex(nodes[k]))
                    seen[j] = k + 1
            routes.append(order)
        routing.CloseModelWithParameters(sp)
        assignment = load_routes(routing, routes, sp)
    if assignment is None:
        assignment = routing.SolveWithParameters(_time_left(sp, deadline))
    status = _STATUS.get(routing.status(), str(routing.status()))
    if assignment is None:
        # An all-dropped plan is always feasible: start from it rather than return nothing.
        sp.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.ALL_UNPERFORMED
        sp.time_limit.FromMilliseconds(max(100, int((deadline - _time.monotonic()) * 1000)))
        assignment = routing.SolveWithParameters(sp)
    if assignment is None:
        return _Outcome(1 << 62, [], list(layout.job_nodes), status)
    if use_ils and not own_start and deadline - _time.monotonic() > 2 * _EXTRACT_MARGIN_S:
        improved = improve_built(built, assignment, sp, ils_params, deadline - _EXTRACT_MARGIN_S, fm)
        assignment = improved.assignment if improved is not None else assignment
    if final is not params:
        built, assignment = _weigh(final, pre, built, assignment, final_deadline)
        routing, manager = built.routing, built.manager
        params = final
    dropped = [
        j
        for j, nodes in layout.job_nodes.items()
        if assignment.Value(routing.NextVar(manager.NodeToIndex(nodes[0]))) == manager.NodeToIndex(nodes[0])
    ]
    n_solver = len(dropped)
    extracted = extract_routes(built, assignment, params, dropped)
    objective = int(assignment.ObjectiveValue()) + sum(
        built.penalty[j] * len(layout.job_nodes[j]) for j in dropped[n_solver:]
    )
    return _Outcome(objective, extracted, dropped, "ok")


def _time_left(sp: pywrapcp.RoutingSearchParameters, deadline: float) -> pywrapcp.RoutingSearchParameters:
    """``sp`` limited to the time left before ``deadline`` (less the extraction's margin), at least 0.1 s.

    Each OR-Tools call after a refused one gets what is left, not the limit the first call had: with the first
    read-back of PyVRP's plan refused (forced, kota tuning day s102 with breaks, 5 s left), the read-back of the
    plan repaired for the rests ran 3.6 s past the deadline with the old limit, 0.1 s with this one.
    """
    sp.time_limit.FromMilliseconds(max(100, int((deadline - _time.monotonic() - _EXTRACT_MARGIN_S) * 1000)))
    return sp


def _pyvrp_start(
    built: Built, params: SolveParams, hint: Hint, fm: FastModel | None, strategy: str, deadline: float, runs: int
) -> list[list[int]] | None:
    """PyVRP's plan as the start (``routing.pyvrp_search``) where ``params.pyvrp`` asks for it and PyVRP can."""
    if not _pyvrp_may_run(built.layout.problem, params, hint) or built.keep or built.layout.onboard:
        return None
    if params.pyvrp == "auto" and fm is not None and not pyvrp_search.leads(built.layout.problem, fm=True):
        return None
    left = deadline - _time.monotonic()
    # OR-Tools needs time after PyVRP to insert rests and re-insert what they push out: on short budgets
    # 1 s at least (a 2-s solve with lunch served 2 jobs fewer with a 15 % share)
    polish = max((1 - params.pyvrp_share) * left, min(1.0, 0.5 * left))
    seed = params.seed + (strategy != params.first_solution_strategy)
    try:
        return pyvrp_search.pyvrp_routes(built, params, left - polish, seed, runs)
    except Exception:  # an outside library's failure must cost the plan its phase, never the solve
        _log.warning("PyVRP's phase failed; our own search plans this day", exc_info=True)
        return None


def _fast_on_mixed_loads(problem: Problem, params: SolveParams, hint: Hint) -> bool:
    """Whether the fast recreate, not PyVRP, searches a day of single pickups and deliveries mixed."""
    return (
        pyvrp_search.mixed_loads(problem)
        and params.improvement == "ils"
        and params.ils_recreate == "auto"
        and params.solution_limit is None
        and not (hint.routes or hint.onboard or hint.keep)
        and not _pyvrp_may_run(problem, params, hint)
    )


def _pyvrp_may_run(problem: Problem, params: SolveParams, hint: Hint) -> bool:
    """Whether PyVRP's phase may run on ``problem`` (``auto`` also needs the fast recreate's gap, known
    only once the model is built: mixed single pickups and deliveries are that gap)."""
    if params.pyvrp == "off" or params.solution_limit is not None or hint.routes or hint.onboard or hint.keep:
        return False
    if params.pyvrp == "auto" and not pyvrp_search.leads(problem):
        return False
    return pyvrp_search.unsupported(problem, params) is None


def _pyvrp_beside(problem: Problem, params: SolveParams, hint: Hint) -> bool:
    """Whether PyVRP's search runs on the second core beside our own (``pyvrp_search.beside``), where PyVRP
    could run but does not lead. Only when both are bounded alike: beside a search bounded by work
    (``ils_iterations``), a PyVRP bounded by time would run on to the time limit, however far that is."""
    return (
        params.pyvrp == "auto"
        and params.improvement == "ils"
        and (params.ils_iterations is None or params.pyvrp_iterations is not None)
        and pyvrp_search.beside(problem)
        and not _pyvrp_may_run(problem, params, hint)
        and _pyvrp_may_run(problem, replace(params, pyvrp="on"), hint)
    )


def _weigh(
    params: SolveParams, pre: Precheck, built: Built, assignment: pywrapcp.Assignment, deadline: float
) -> tuple[Built, pywrapcp.Assignment]:
    """The plan found on travel, in the model with the whole objective, after a greedy descent there.

    The two models share the layout, so the routes carry over index for index. If OR-Tools refuses the
    plan in the full model (it should not: the terms are soft), the travel model's plan stands.
    """
    full = build_model(built.layout, params, pre.allowed)
    for vi in built.keep:
        full.routing.SetVehicleUsedWhenEmpty(True, vi)
        full.keep.add(vi)
    left = max(deadline - _time.monotonic() - _EXTRACT_MARGIN_S, 0.05)
    sp = search_parameters(params, params.first_solution_strategy, left)
    sp.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GREEDY_DESCENT
    full.routing.CloseModelWithParameters(sp)
    found = load_routes(full.routing, route_indices(built.routing, assignment), sp)
    return (full, found) if found is not None else (built, assignment)


def _run_two(
    problem: Problem,
    params: SolveParams,
    pre: Precheck,
    hint: Hint,
    deadline: float,
    child: tuple[SolveParams, str] | None = None,
) -> _Outcome:
    """Two first-solution strategies on two cores; the lower objective wins, ties go to the first.

    ``child``: the second worker's parameters and strategy instead (OR-Tools' ILS beside the fast recreate
    on a mixed day PyVRP cannot take).
    """
    child_params, child_strategy = child or (params, params.second_first_solution_strategy)
    if not can_fork():  # pragma: no cover - not Linux
        return _run(problem, params, pre, hint, params.first_solution_strategy, deadline)
    other = Beside(lambda: _run(problem, child_params, pre, hint, child_strategy, deadline))
    first = _run(problem, params, pre, hint, params.first_solution_strategy, deadline)
    second = other.result(max(1.0, deadline - _time.monotonic() + 30))
    if second is not None and second.objective < first.objective:
        return second
    return first


def _run_component(comp: Component, params: SolveParams, deadline: float, hint: Hint) -> _Outcome:
    """One independent sub-problem, with one or two workers as ``params`` says."""
    if params.num_workers == 2:
        return _run_two(comp.problem, params, comp.pre, hint, deadline)
    return _run(comp.problem, params, comp.pre, hint, params.first_solution_strategy, deadline)


def _merge(problem: Problem, comps: list[Component], outs: list[_Outcome]) -> _Outcome:
    """Sub-problem outcomes as one: routes in the problem's vehicle order, job indices made global."""
    vid = {v.id: i for i, v in enumerate(problem.vehicles)}
    routes = sorted((r for o in outs for r in o.routes), key=lambda r: vid[r.vehicle_id])
    dropped = [c.jobs[j] for c, o in zip(comps, outs, strict=True) for j in o.dropped]
    status = next((o.status for o in outs if o.status != "ok"), "ok")
    return _Outcome(sum(o.objective for o in outs), routes, dropped, status)


def solve_with(problem: Problem, params: SolveParams, hint: Hint | None = None) -> Solution:
    """``solve`` with internal extras (on-board loads, a starting plan)."""
    t0 = _time.monotonic()
    limit = t0 + params.time_limit_s
    hint = hint or Hint()
    pre = precheck(problem)
    unassigned: list[Unassigned] = list(pre.unassigned)
    comps = components(problem, pre) if pre.feasible and problem.vehicles and not hint.keep else []
    deadline = search_deadline(t0, params.time_limit_s, len(comps) > 1)
    if not pre.feasible or not problem.vehicles:
        out = _Outcome(0, [], [], "ok")
    elif len(comps) > 1:
        run = partial(_run_component, hint=hint)
        out = _merge(problem, comps, solve_components(run, comps, params, deadline))
    elif (params.num_workers == 2 or cores() > 1) and _pyvrp_may_run(problem, params, hint):
        # Two PyVRP searches at once (two seeds, tuned for short runs), the cheaper plan read back by OR-Tools,
        # which puts the rests in: on days with rests as on days without. Until the ninth session a rest day ran
        # one PyVRP search, with PyVRP's defaults (a lone search's), beside our own search on the second core;
        # the two tuned searches served 9 more on twelve kota break tuning days (never fewer) and rode 0.89-0.99 x
        # that on the seven at equal service (docs/benchmarks.md, "Break days: two PyVRP searches")
        out = _run(problem, params, pre, hint, params.first_solution_strategy, deadline, spare_core=True)
    elif (params.num_workers == 2 or cores() > 1) and _fast_on_mixed_loads(problem, params, hint):
        # The fast recreate beside OR-Tools' own ILS on the second core, the lower objective wins: on mixed days
        # PyVRP cannot take it rode 1-18 % less than the ILS on office tuning days, but cannot pass through an
        # overfull box and served one fewer on a capacity-tight one (docs/benchmarks.md, "Mixed loads in the
        # fast recreate")
        child = (replace(params, ils_recreate="or-tools"), params.second_first_solution_strategy)
        out = _run_two(problem, params, pre, hint, deadline, child=child)
    elif (params.num_workers == 2 or cores() > 1) and _pyvrp_beside(problem, params, hint):
        # Our own search and PyVRP's (pyvrp="on": PyVRP first, our polish after) at once, the lower objective
        # wins: on Solomon's days each is ahead on different instances (docs/benchmarks.md, "Literature days:
        # PyVRP beside our own search")
        child = (replace(params, pyvrp="on"), params.first_solution_strategy)
        out = _run_two(problem, params, pre, hint, deadline, child=child)
    elif params.num_workers == 2:
        out = _run_two(problem, params, pre, hint, deadline)
    else:
        out = _run(problem, params, pre, hint, params.first_solution_strategy, deadline, cores() > 1)
    unassigned.extend(left_out(problem, pre, out.routes, sorted(out.dropped), deadline=limit))
    order = {j.id: i for i, j in enumerate(problem.jobs)}
    unassigned.sort(key=lambda u: order[u.job_id])
    return make_solution(out.routes, unassigned, _time.monotonic() - t0, out.status)


def search_deadline(t0: float, time_limit_s: float, decomposed: bool) -> float:
    """When the search must end for a call that started at ``t0`` to end within ``time_limit_s``.

    What comes after the search is kept back: the verdicts on the jobs left out, and with components solved
    apart (``decomposed``) also the merge and the few processes' overshoot when they extract.
    """
    reserve = min(_VERDICTS_SHARE * time_limit_s, _VERDICTS_MAX_S)
    if decomposed:
        reserve = max(reserve, min(_DECOMPOSED_MARGIN * time_limit_s, 2.0))
    return t0 + time_limit_s - reserve


def make_solution(routes: list[Route], unassigned: list[Unassigned], wall: float, status: str = "ok") -> Solution:
    """Assemble a ``Solution`` and its summary (``Solution.of``)."""
    return Solution.of(routes, unassigned, wall, status)


def solve(problem: Problem, params: SolveParams | None = None) -> Solution:
    """Plan routes for ``problem``.

    Parameters
    ----------
    problem
        Couriers, jobs and travel matrices.
    params
        Search budget, strategy and objective weights; defaults to ``SolveParams()``.

    Returns
    -------
    Solution
        One route per courier used, every job not served in ``unassigned`` with a
        reason, and a summary. Infeasible jobs are an answer, not an exception.
    """
    return solve_with(problem, params or SolveParams())
