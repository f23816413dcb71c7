"""PyVRP's search as the first, long phase of a solve; OR-Tools checks and finishes.

Why: on AJIB office days (single-location pickups and deliveries mixed on one route, 2-hour
windows, shift starts, priorities) neither of our own searches is at home. ``routing.sisr``'s
fast insertion could not check a load that first falls (deliveries loaded at the office) and then
rises (documents collected), so the solve fell back to OR-Tools' repair of every ruined plan,
100-700 ms an iteration, and ended 4.5 % (120 jobs, 10 s) to 55 % (400 jobs, 30 s) above PyVRP
(issue 16). PyVRP (0.14: an iterated local search with its own perturbations and operators)
models exactly that part of the problem (mixed pickup/delivery loads, one window per stop,
shifts, heterogeneous vehicle types, optional clients with prizes) in compiled code, and a
well-kept library's search beats a weaker copy written here. The fast recreate now checks such
loads too, and measured against PyVRP on office tuning days it rode 2 % more and served fewer on
capacity-tight ones (docs/benchmarks.md, "Mixed loads in the fast recreate"): PyVRP still leads
where it can run, and the fast recreate searches the mixed days it cannot take.

**The product's own day** is not that VROOM-JSON day: every bundle passes through the office as one
end of a two-ended job, so a courier may go back mid-day (``dispatch.planning``'s problem builder).
Until the tenth session such a day never reached PyVRP (pairs were "unsupported") and our pair-aware
SISR searched it alone, riding 1.13 x VROOM's plan on held-out office days (``ajib bench --variants
trips``). Read as what it is, one place where every trip starts and ends, it is PyVRP's multi-trip
model: each job a single stop at its home, the office a reload depot where the trip's documents come
off and the next trip's permits go on (``through_office``); the routes come back as trips with the
office tasks at each trip's ends. Held out: 0.816 x VROOM's riding, 0.60-0.87 x the SISR path's, every
job served; on kota days (about 400 jobs) 0.82 x VROOM's riding. Only where measured: below 500 jobs and at
most one rest a shift (on a Jakarta day with lunch and prayer on every shift the trips lost jobs)
(docs/benchmarks.md, "The product's day: trips through the office").

**The literature's days** (since the twelfth session): a day of shipments between homes (Li & Lim's)
below 300 jobs, and a day of single stops of one kind from 150 to 300 jobs (Homberger's 200), also go
to PyVRP first: PyVRP's plan polished by OR-Tools and our SISR rode less than our own search there.
Solomon's 100 customers keep our compiled SISR, which did as well (docs/benchmarks.md, "Literature
days: PyVRP first"). Other two-ended jobs go to PyVRP as its shipments under ``pyvrp="on"`` only.

What it does not model stays with OR-Tools, the engine of record. Breaks (lunch, Friday prayer):
PyVRP plans a working day of the shift less the rests' length; OR-Tools places the rests when it
reads the routes back, and a stop a rest no longer leaves room for is taken out first
and put back where it fits (``routing.readback``). A rest longer than the gap between
booked windows can so cost a stop the OR-Tools-only path serves (docs/benchmarks.md, "Break days: two
PyVRP searches"); the AJIB day's lunch fits its free noon hour. Skills and locks, several windows
per stop, task and travel limits and balance make ``unsupported`` name the reason (re-plans with
loads on board never come here), and the caller keeps its own search. The routes always go through
OR-Tools' model (every constraint checked by its filters, then its descent and ILS polish), so
nothing here can return a plan the model would refuse.

Served count first: every job is an optional PyVRP client whose prize (the price of leaving it
out) is above any detour it can cost, scaled by priority as ``routing.model``'s drop penalties are.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from routing.lifetime import Beside, can_fork
from routing.nodes import Role

if TYPE_CHECKING:
    from routing.model import Built
    from routing.params import SolveParams
    from routing.problem import Problem

__all__ = ["available", "leads", "mixed_loads", "pyvrp_routes", "through_office", "unsupported"]


_NO_LIMIT = (1 << 63) - 1  # PyVRP's "no shift duration limit"
# PyVRP's ILS goes back to its best plan after this many iterations without improvement (its default 150,000
# is for longer runs). On six office days (tuning seeds, 10 s, back to back): one job more served on s109 and
# -3.4 % travel on s112, the other four within +-0.6 % (docs/benchmarks.md, "Search design").
_RESTART_AFTER = 5_000
# Tuned for short runs: PyVRP's defaults are for runs of 10^5 iterations or more, and an office day at 10 s
# gets 6,000-10,000 (a kota day at 30 s 12,000-16,000). Its late-acceptance history (default 300) then accepts
# worse plans for much of the run; a shorter one climbs sooner. Its neighbourhood ranks near clients with a
# weight on the wait between their windows (default 0.2); with 2-hour windows shared by many stops the wait
# says little, and riding alone ranks better. PyVRP alone, ten office tuning days (s100-s109, 10 s, two seeds
# each, equal service): travel 0.985 x its defaults with history 50, 0.995 without the wait weight, 0.981 with
# both; six kota tuning days at 30 s: 0.951 on four, one more served on s100 and one fewer on s105. The whole
# solve (ours, best of two seeds): office plain 0.991 and breaks 0.992, kota plain 0.945 on five and two more
# served on s100 (docs/benchmarks.md, "PyVRP's parameters for short runs").
# Only where two searches run at once and the better plan is kept (one office on the machine's two cores). A lone
# search (a city day's offices, one run each on the cores they share) keeps PyVRP's defaults: with history 50
# and wait weight 0 the whole solve served one job fewer than the best peer on three of four held-out city
# variants (and on city tuning s100), and with history 300 and wait weight 0 one or two fewer on all four; the
# defaults served as many as the best peer on all four at 56a3c44 (docs/benchmarks.md, "PyVRP's parameters for
# short runs").
_HISTORY = 50
_WAIT_WEIGHT = 0.0
# A job's prize in longest arcs (x (1 + priority_weight x priority)): served first. With the penalties starting
# at the day's scale (``_start_penalties``), on six kota tuning days (s100-s105, 30 s, one core) 2 served 2,343
# jobs, 5 served 2,349 and 10 and 20 served 2,349 and 2,345 riding more (docs/benchmarks.md, "Search design").
_PRIZE_ARCS, _SMALL_PRIZE_ARCS = 5, 2
# Both only from this many clients (a kota office: 370-430). On city days, whose offices have 100-150 jobs and
# a few seconds of PyVRP each, they served 3 fewer on tuning s101 (1,515 twice against 1,518 twice) and rode
# 1-10 % more on s100 and s102; below this size PyVRP runs as it did before, except that the penalties also start
# at the day's scale where two searches run at once (an office day, 100-150 jobs and 10 s): on twenty office
# tuning days (s100-s119, whole solve, back to back) 3 more served (s100, s104, s109) and travel 0.991 x
# before on the other 17, none above it; ten more (s120-s129) checked it (docs/benchmarks.md, "Penalties at
# the day's scale on office days").
_SCALED_FROM_CLIENTS = 300
# The product's day goes to PyVRP's multi-trip model below the largest office (500 jobs):
# measured on office days (100-150 jobs) and, once the read-back put the repair's cuts back (``routing.readback``),
# on kota days (370-430 jobs): every job served where the trips read back without it lost 1-4 a day
# (docs/benchmarks.md, "The product's day at kota size").
# Not for couriers with two rests (lunch and Friday prayer on one shift, the synthetic Jakarta day's; the
# product gives a shift one): PyVRP plans a day that ignores when they fall, and on that Jakarta day the trips
# served 1,289 / 1,896 of 2,000 (1 / 2 cores) with the cuts put back, against 1,997 / 2,000 with our own search.
_THROUGH_OFFICE_JOBS = 500
_THROUGH_OFFICE_RESTS = 1
# Days of shipments between homes (Li & Lim's) go to PyVRP first below this many jobs, days of single stops of one
# kind (Homberger's) from _SINGLE_STOPS_FROM up to it; elsewhere our own search, as before. Measured (one core,
# docs/benchmarks.md, "Literature days: PyVRP first"): Li & Lim 100 and 200 and Homberger 200 rode less; on
# Solomon's 100 customers our compiled SISR (~550,000 iterations in 10 s) did as well on the tuning half and
# better on the held-out half, and nothing above 200 customers was measured
_LITERATURE_JOBS = 300
_SINGLE_STOPS_FROM = 150
# Single stops of one kind go to PyVRP first up to this many jobs (fifteenth session): on twelve Homberger 400
# instances at 30 s, two PyVRP searches rode 0.992 x PyVRP alone, PyVRP beside our SISR 1.002 x, our SISR
# alone 1.046 x (docs/benchmarks.md, "Literature days: PyVRP beside our own search"); nothing larger measured
_SINGLE_STOPS_TO = 500


def available() -> bool:
    """Whether PyVRP (0.14's model: locations, shipments-era schedules) can be imported; a stripped install
    or an older PyVRP falls back to our own search."""
    try:
        import pyvrp
    except ImportError:  # pragma: no cover - pyvrp is a dependency
        return False
    return hasattr(pyvrp, "Location") and hasattr(pyvrp, "ActivityType")


def unsupported(problem: Problem, params: SolveParams) -> str | None:
    """Why PyVRP cannot take ``problem`` as it is, or None when it can.

    Breaks are not a reason: they are inserted by OR-Tools afterwards (see the module notes).
    """
    vehicles = problem.vehicles
    if not available():
        return "pyvrp is not installed"
    if not problem.jobs or not vehicles:
        return "no jobs"
    if params.balance_weight > 0:
        return "workload balance"
    if any(v.max_tasks is not None or v.max_travel_time is not None for v in vehicles):
        return "task or travel limits"
    for job in problem.jobs:
        if any(len(t.time_windows) > 1 for t in (job.pickup, job.delivery) if t is not None):
            return "several time windows on one stop"
        if job.vehicle is not None:
            return "jobs locked to a courier"
        if job.skills and any(not job.skills <= v.skills for v in vehicles):
            return "skills that not every courier has"
    return None


def through_office(problem: Problem) -> int | None:
    """The office's location when ``problem`` is the product's own day, else None: every job a pair with one
    end at that office and no window there (the clerk takes bundles all day), every courier starting and
    ending there with at most one rest, fewer than ``_THROUGH_OFFICE_JOBS`` jobs. PyVRP then plans it as
    single stops with reloads at the office (``pyvrp_routes``)."""
    if not problem.jobs or not problem.vehicles or len(problem.jobs) >= _THROUGH_OFFICE_JOBS:
        return None
    office = problem.vehicles[0].start
    if any(v.start != office or v.end != office or len(v.breaks) > _THROUGH_OFFICE_RESTS for v in problem.vehicles):
        return None
    for job in problem.jobs:
        if job.pickup is None or job.delivery is None:
            return None
        at = [t for t in (job.pickup, job.delivery) if t.location == office]
        if len(at) != 1 or at[0].time_windows:
            return None
    return office


def leads(problem: Problem, fm: bool = False) -> bool:
    """Whether PyVRP's search plans ``problem`` first under ``pyvrp="auto"``, where it was measured to lead
    (docs/benchmarks.md, "Search design"): a mixed VROOM-JSON day (unless our fast recreate models it, ``fm``),
    the product's own day (``through_office``), below ``_LITERATURE_JOBS`` a day of shipments between homes
    (Li & Lim's) and from ``_SINGLE_STOPS_FROM`` to ``_SINGLE_STOPS_TO`` one of single stops (Homberger's)."""
    if (mixed_loads(problem) and not fm) or through_office(problem) is not None:
        return True
    n = len(problem.jobs)
    if _SINGLE_STOPS_FROM <= n < _SINGLE_STOPS_TO and single_stops(problem):
        return True
    return n < _LITERATURE_JOBS and between_homes(problem)


def beside(problem: Problem) -> bool:
    """Whether, on a spare core, PyVRP's search runs beside our own on ``problem`` under ``pyvrp="auto"``:
    single stops of one kind or shipments between homes where PyVRP does not lead (Solomon's 100 customers,
    Homberger's from ``_SINGLE_STOPS_TO``, Li & Lim's from ``_LITERATURE_JOBS``). Without it the second core sat
    idle there. On Solomon neither search leads: each is ahead on different instances (RC108 and RC104 go
    opposite ways by a point or more), so the better of the two plans beats either alone (0.067 % at 10 s
    against 0.132 % for ours on one core); on twelve Li & Lim 400 instances at 30 s it rode 1.007 x PyVRP alone
    against 1.024 x for our search alone (docs/benchmarks.md, "Literature days: PyVRP beside our own search")."""
    if leads(problem):
        return False
    return (single_stops(problem) and not mixed_loads(problem)) or between_homes(problem)


def single_stops(problem: Problem) -> bool:
    """Every job one stop: a delivery loaded at the courier's start or a pickup carried to the end."""
    return bool(problem.jobs) and all(job.pickup is None or job.delivery is None for job in problem.jobs)


def between_homes(problem: Problem) -> bool:
    """Every job a shipment whose two ends are away from every courier's start and end (a PDPTW such as Li &
    Lim's). Through an office (one end where the couriers start) PyVRP's shipments served far fewer:
    ``through_office`` reads that day as reloads instead."""
    depots = {v.start for v in problem.vehicles} | {v.end for v in problem.vehicles}
    return bool(problem.jobs) and all(
        job.pickup is not None
        and job.delivery is not None
        and job.pickup.location not in depots
        and job.delivery.location not in depots
        for job in problem.jobs
    )


def mixed_loads(problem: Problem) -> bool:
    """Single-location pickups and deliveries on one day: what our fast recreate cannot check (``auto``)."""
    kinds = {job.pickup is None for job in problem.jobs if any(job.amount)}
    return len(kinds) == 2


def _cost_matrix(built: Built, params: SolveParams, c: int) -> np.ndarray:
    """The objective's arc costs of travel class ``c`` (``routing.model``'s rule)."""
    m = built.matrices[c]
    if params.distance_cost == 0 and params.travel_time_cost == 1:
        return m.travel
    return np.rint(params.travel_time_cost * m.travel + params.distance_cost * m.distance).astype(np.int64)


def pyvrp_routes(built: Built, params: SolveParams, seconds: float, seed: int, runs: int = 1) -> list[list[int]] | None:
    """PyVRP's best plan after ``seconds`` as OR-Tools indices per vehicle, or None if it found none.

    ``runs`` 2: a second PyVRP run with the next seed in a forked process at the same time (a core
    the solve would otherwise leave idle); the plan of lower PyVRP cost wins, ties to the first, except where
    the read-back must change the plan (rests, the office handling): there the better one read back
    (``after_readback``).

    Locations are the layout's nodes: depots (start and end nodes) first, then one client per job
    node. Vehicles that share start, end, travel class, shift, capacity and fixed cost are one
    vehicle type; the routes of a type go to its vehicles in order (they are interchangeable).
    """
    import pyvrp
    from pyvrp.search import NeighbourhoodParams
    from pyvrp.stop import MaxIterations, MaxRuntime, MultipleCriteria

    layout, manager = built.layout, built.manager
    problem = layout.problem
    vehicles = problem.vehicles
    depots = [n for n, r in enumerate(layout.role) if r in (Role.START, Role.END)]
    clients = [n for n, r in enumerate(layout.role) if r not in (Role.START, Role.END)]
    order = np.array(depots + clients, dtype=np.int64)
    loc_of_node = {int(n): k for k, n in enumerate(order)}
    dims = problem.dimensions
    horizon = max(v.shift.end for v in vehicles)

    costs = [_cost_matrix(built, params, c) for c in range(len(built.matrices))]
    max_arc = max(int(c.max(initial=0)) for c in costs)
    big = len(clients) >= _SCALED_FROM_CLIENTS
    base = (_PRIZE_ARCS if big else _SMALL_PRIZE_ARCS) * max_arc + max(v.fixed_cost for v in vehicles) + 1
    pyvrp_clients: list[Any] = []
    client_nodes: list[int] = []  # PyVRP client index -> node
    shipments: list[Any] = []
    shipment_nodes: list[tuple[int, int]] = []  # PyVRP shipment index -> (pickup node, delivery node)

    def window(n: int) -> tuple[int, int]:
        windows = layout.windows[n]
        early, late = (windows[0].start, windows[0].end) if windows else (0, horizon)
        return int(max(early, 0)), int(min(late, horizon))

    office = through_office(problem)
    office_of: list[tuple[int, bool]] = []  # reload mode: PyVRP client -> (its job's office node, loaded there)
    for n in clients:
        job = problem.jobs[int(layout.job_of[n])]
        prize = round(base * (1 + params.priority_weight * job.priority))
        role = layout.role[n]
        if office is not None:
            # The product's day: the home end is the client, the office end a reload (``through_office``). Its
            # handling (2 min a bundle) is added to the home's service: the day's total is right, a stop's time
            # is off by the trip's other handlings, and OR-Tools times the routes exactly when it reads them.
            if int(layout.loc[n]) == office:
                continue
            other = layout.job_nodes[int(layout.job_of[n])]
            at_office = other[1] if role is Role.PICKUP else other[0]
            early, late = window(n)
            amount = [int(abs(x)) for x in layout.delta[n]]
            pyvrp_clients.append(
                pyvrp.Client(
                    location=loc_of_node[n],
                    delivery=amount if role is Role.DELIVERY else [0] * dims,
                    pickup=amount if role is Role.PICKUP else [0] * dims,
                    service_duration=int(layout.service[n] + layout.service[at_office]),
                    tw_early=early,
                    tw_late=late,
                    prize=prize,
                    required=False,
                )
            )
            client_nodes.append(n)
            office_of.append((at_office, role is Role.DELIVERY))
            continue
        if role is Role.DELIVERY:
            continue  # with its pickup, as one shipment
        if role is Role.PICKUP:
            d = layout.job_nodes[int(layout.job_of[n])][1]
            (pe, pl), (de, dl) = window(n), window(d)
            shipments.append(
                pyvrp.Shipment(
                    pickup_location=loc_of_node[n],
                    delivery_location=loc_of_node[d],
                    pickup_tw_early=pe,
                    pickup_tw_late=pl,
                    pickup_service_duration=int(layout.service[n]),
                    delivery_tw_early=de,
                    delivery_tw_late=dl,
                    delivery_service_duration=int(layout.service[d]),
                    amount=[int(x) for x in layout.delta[n]],
                    prize=prize,
                    required=False,
                )
            )
            shipment_nodes.append((n, d))
            continue
        delta = layout.delta[n]
        early, late = window(n)
        pyvrp_clients.append(
            pyvrp.Client(
                location=loc_of_node[n],
                delivery=[int(-d) if role is Role.SINGLE_DELIVERY else 0 for d in delta],
                pickup=[int(d) if role is Role.SINGLE_PICKUP else 0 for d in delta],
                service_duration=int(layout.service[n]),
                tw_early=early,
                tw_late=late,
                prize=prize,
                required=False,
            )
        )
        client_nodes.append(n)
    pyvrp_depots = [pyvrp.Depot(location=k) for k in range(len(depots))]
    types: dict[tuple[Any, ...], list[int]] = {}
    for vi, v in enumerate(vehicles):
        key = (
            loc_of_node[layout.starts[vi]], loc_of_node[layout.ends[vi]], built.vehicle_class[vi],
            v.shift.start, v.shift.end, tuple(v.capacity), v.fixed_cost,
            sum(b.duration for b, _ in built.breaks.get(vi, ())),
        )  # fmt: skip
        types.setdefault(key, []).append(vi)
    vehicle_types = [
        pyvrp.VehicleType(
            num_available=len(members),
            capacity=[int(c) for c in cap] if dims else [],
            start_depot=start,
            end_depot=end,
            fixed_cost=int(fixed),
            tw_early=int(early),
            tw_late=int(late),
            # rests are not in PyVRP's model: the working day it plans is the shift less their length
            shift_duration=int(late - early - rest) if rest else _NO_LIMIT,
            unit_distance_cost=1,
            unit_duration_cost=0,
            profile=int(cls),
            reload_depots=[start] if office is not None else [],
        )
        for (start, end, cls, early, late, cap, fixed, rest), members in types.items()
    ]
    idx = np.ix_(order, order)
    distance: list[Any] = [np.ascontiguousarray(c[idx], dtype=np.int64) for c in costs]
    duration: list[Any] = [np.ascontiguousarray(m.travel[idx], dtype=np.int64) for m in built.matrices]
    for d in (*distance, *duration):
        np.fill_diagonal(d, 0)
    data = pyvrp.ProblemData(
        locations=[pyvrp.Location(x=0.0, y=0.0) for _ in order],
        clients=pyvrp_clients,
        depots=pyvrp_depots,
        shipments=shipments,
        vehicle_types=vehicle_types,
        distance_matrices=distance,
        duration_matrices=duration,
    )
    # A capacity or window violation must never pay for a prize: the penalties may grow past the largest one.
    # On a big office, and where two searches run at once, they start where a violation costs about what riding
    # does (``_start_penalties``).
    top = max(c.prize for c in (*pyvrp_clients, *shipments))
    start = _start_penalties(pyvrp, distance, pyvrp_clients, shipments) if big or runs >= 2 else pyvrp.PenaltyParams
    penalty = start(max_penalty=float(max(100_000, 4 * top)))

    ils, neighbourhood = pyvrp.IteratedLocalSearchParams(num_iters_no_improvement=_RESTART_AFTER), NeighbourhoodParams()
    if runs >= 2:  # tuned for two short searches at once (``_HISTORY``)
        ils = pyvrp.IteratedLocalSearchParams(num_iters_no_improvement=_RESTART_AFTER, history_length=_HISTORY)
        neighbourhood = NeighbourhoodParams(weight_wait_time=_WAIT_WEIGHT)

    def stop() -> Any:
        """A fresh criterion for each run: PyVRP's criteria count from their first call."""
        runtime = MaxRuntime(max(seconds, 0.01))
        if params.pyvrp_iterations is None:
            return runtime
        return MultipleCriteria([MaxIterations(params.pyvrp_iterations), runtime])

    def run(s: int) -> tuple[int, list[tuple[int, list[int]]]] | None:
        result = pyvrp.solve(
            data,
            stop=stop(),
            seed=s,
            display=False,
            collect_stats=False,
            params=pyvrp.SolveParams(penalty=penalty, ils=ils, neighbourhood=neighbourhood),
        )
        if not result.best.is_feasible():
            return None
        kind = pyvrp.ActivityType
        if office is not None:
            plan = [
                (r.vehicle_type(), _trips_through_office(r.schedule(), kind, client_nodes, office_of))
                for r in result.best.routes()
            ]
        else:
            node = {
                kind.CLIENT: lambda i: client_nodes[i],
                kind.PICKUP: lambda i: shipment_nodes[i][0],
                kind.DELIVERY: lambda i: shipment_nodes[i][1],
            }
            plan = [
                (r.vehicle_type(), [node[a.type](a.idx) for a in r.schedule() if a.type in node])
                for r in result.best.routes()
            ]
        return int(result.cost()), plan

    def routes_of(found: Found) -> list[list[int]]:
        assert found is not None
        members = [list(m) for m in types.values()]
        routes: list[list[int]] = [[] for _ in vehicles]
        for vtype, nodes in found[1]:
            vi = members[vtype].pop(0)
            routes[vi] = [manager.NodeToIndex(n) for n in nodes]
        return routes

    # Where OR-Tools must change PyVRP's plan to read it back (rests, office handling), the plan to keep is the
    # one that is better once read back, not the one PyVRP prices lower (``after_readback``)
    def read_back(f: Found) -> tuple[int, ...]:
        assert f is not None
        return (*after_readback(built, routes_of(f), costs), f[0])

    readback = office is not None or any(built.breaks.get(vi) for vi in range(len(vehicles)))
    found = run(seed) if runs < 2 else _best_of_two(run, seed, seconds, read_back if readback else None)
    if found is None:
        return None
    return routes_of(found)


def after_readback(built: Built, routes: Sequence[list[int]], costs: Sequence[np.ndarray]) -> tuple[int, int]:
    """What ``routes`` become once OR-Tools can read them back: (jobs left out, cost of the riding).

    Why: PyVRP plans without rests and times each bundle's office handling at its home, so a plan of its can
    break a window once the rests and the handling are where they happen. ``routing.readback`` then cuts
    jobs and puts them back elsewhere, at the price of a detour (about 1,200 s a job on kota trips days, a
    ride out from the office and back). Of two PyVRP plans the cheaper one in PyVRP's prices can so end
    dearer: kota tuning s103 ``trips``, 107,430 against 108,479 in PyVRP's prices, 110,611 against 108,479
    read back (docs/benchmarks.md, "Kota trips: where the read-back costs riding"). The same cut and put-back
    as the read-back itself, run on both plans; ``costs`` is the objective's matrix per travel class.
    """
    from routing.readback import put_back, repair_routes

    layout, manager = built.layout, built.manager

    def jobs(rs: Sequence[list[int]]) -> set[int]:
        return {int(layout.job_of[manager.IndexToNode(i)]) for r in rs for i in r}

    planned = jobs(routes)
    repaired = repair_routes(built, routes)
    cut = planned - jobs(repaired)
    fixed = put_back(built, repaired, sorted(cut)) if cut else repaired
    cost = 0
    for vi, route in enumerate(fixed):
        if route:
            nodes = [layout.starts[vi], *(manager.IndexToNode(i) for i in route), layout.ends[vi]]
            matrix = costs[built.vehicle_class[vi]]
            cost += int(sum(int(matrix[a, b]) for a, b in itertools.pairwise(nodes)))
    return len(layout.job_nodes) - len(jobs(fixed)), cost


Found = tuple[int, list[tuple[int, list[int]]]] | None


def _trips_through_office(
    schedule: Sequence[Any], kind: Any, client_nodes: Sequence[int], office_of: Sequence[tuple[int, bool]]
) -> list[int]:
    """A reload-mode route as nodes: each trip takes its permits from the clerk, rides its homes in PyVRP's order
    and hands its documents to the clerk when it is back (the next trip's permits right after)."""
    nodes: list[int] = []
    trip: list[int] = []

    def close() -> None:
        nodes.extend(office_of[c][0] for c in trip if office_of[c][1])
        nodes.extend(client_nodes[c] for c in trip)
        nodes.extend(office_of[c][0] for c in trip if not office_of[c][1])
        trip.clear()

    for visit in schedule:
        if visit.type == kind.CLIENT:
            trip.append(visit.idx)
        elif visit.type == kind.DEPOT:
            close()
    close()
    return nodes


def _start_penalties(
    pyvrp: Any, distance: Sequence[np.ndarray], clients: Sequence[Any], shipments: Sequence[Any] = ()
) -> type:
    """PyVRP's ``PenaltyParams`` with the penalties starting at the scale of the day's riding.

    Why: PyVRP 0.14 starts its load and time-warp penalties half-way to ``max_penalty``, and that bound must be
    above the largest prize (4 x the priority prize: 2.9 million on kota tuning s101 with prizes of 2 longest
    arcs). Starting at 1.4 million a unit, lowered by 10 % per 500 plans, they stayed above 250,000 for a
    whole 25-s kota run: every plan it tried was feasible, the search could not pass through an overfull box,
    left 2-9 jobs more out than it had to on kota tuning days, and ``routing.eject`` put them back at 6-35 k s
    of riding. Here a unit of load over the box starts at the mean arc's cost per mean bundle and a second of
    time warp at one second of riding; PyVRP's penalty manager raises them (x1.5 per 500 plans) to its target
    share of feasible plans.
    """
    arcs = float(np.mean([d.mean() for d in distance])) if distance else 1.0
    sizes = [sum(c.delivery) + sum(c.pickup) for c in clients] + [sum(s.amount) for s in shipments]
    per_unit = max(arcs / max(float(np.mean(sizes)) if sizes else 1.0, 1.0), 1.0)

    @dataclass
    class StartAtScale(pyvrp.PenaltyParams):  # type: ignore[misc]
        def midpoint_penalties(self, data: Any) -> tuple[list[float], float, float]:
            low = self.min_penalty
            return [max(per_unit, low)] * data.num_load_dimensions, max(1.0, low), max(1.0, low)

    return StartAtScale


def _best_of_two(
    run: Callable[[int], Found], seed: int, seconds: float, key: Callable[[Found], tuple[int, ...]] | None = None
) -> Found:
    """``run(seed)`` here and ``run(seed + 1)`` in a forked process; the lower ``key`` wins (default: PyVRP's
    cost), ties to ``seed``."""
    if not can_fork():  # pragma: no cover - not Linux
        return run(seed)
    other = Beside(lambda: run(seed + 1))
    first = run(seed)
    second = other.result(max(1.0, seconds + 5.0))
    if first is None or second is None:
        return first if second is None else second
    if key is None:
        return second if second[0] < first[0] else first
    return second if key(second) < key(first) else first
