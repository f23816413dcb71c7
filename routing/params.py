"""Search parameters: how long and how the solver searches, and what the objective weighs.

Kept apart from ``Problem`` because the same day is solved with different budgets
(a quick draft for the dispatcher, a longer overnight run, a 2-second re-plan).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["FIRST_SOLUTION_STRATEGIES", "ILS_RECREATES", "IMPROVEMENTS", "METAHEURISTICS", "PYVRP_MODES", "SolveParams"]

FIRST_SOLUTION_STRATEGIES = (
    "AUTOMATIC",
    "PATH_CHEAPEST_ARC",
    "PATH_MOST_CONSTRAINED_ARC",
    "SAVINGS",
    "SWEEP",
    "CHRISTOFIDES",
    "ALL_UNPERFORMED",
    "BEST_INSERTION",
    "PARALLEL_CHEAPEST_INSERTION",
    "SEQUENTIAL_CHEAPEST_INSERTION",
    "LOCAL_CHEAPEST_INSERTION",
    "LOCAL_CHEAPEST_COST_INSERTION",
    "GLOBAL_CHEAPEST_ARC",
    "LOCAL_CHEAPEST_ARC",
    "FIRST_UNBOUND_MIN_VALUE",
)
METAHEURISTICS = (
    "AUTOMATIC",
    "GREEDY_DESCENT",
    "GUIDED_LOCAL_SEARCH",
    "SIMULATED_ANNEALING",
    "TABU_SEARCH",
    "GENERIC_TABU_SEARCH",
)
IMPROVEMENTS = ("ils", "metaheuristic")
ILS_RECREATES = ("auto", "or-tools")
PYVRP_MODES = ("auto", "on", "off")


@dataclass(frozen=True, slots=True)
class SolveParams:
    """Search budget, strategy and objective weights for one solve.

    Parameters
    ----------
    time_limit_s
        Wall-clock budget of the local search, in seconds (the model build and
        the first solution come on top; they take well under a second for an
        office-day and a few seconds for all of Jakarta).
    first_solution_strategy
        OR-Tools ``FirstSolutionStrategy`` name. ``LOCAL_CHEAPEST_INSERTION`` (default)
        is fast on thousands of pickup-delivery nodes and never failed on the tight
        windows of Solomon R1/RC1 and Li & Lim lr1, where ``PATH_CHEAPEST_ARC`` leaves
        jobs out. Global insertion strategies (``PARALLEL_CHEAPEST_INSERTION`` ...)
        are replaced by ``PATH_CHEAPEST_ARC`` above 300 nodes: they took 15 s to build
        a first plan for 500 pickup-delivery nodes.
    second_first_solution_strategy
        Strategy of the second worker when ``num_workers == 2``; the two defaults win
        on different Solomon instances (C1 vs R2/RC1), hence the pair.
    metaheuristic
        OR-Tools ``LocalSearchMetaheuristic`` name, used when ``improvement`` is
        ``"metaheuristic"`` (or the sub-problem is above ``ils_max_nodes``).
    improvement
        ``"ils"`` (default): after the first solution and a greedy descent, ruin and
        repair the plan until the time is up (``routing.ils``; SISR ruin, OR-Tools repairs).
        ``"metaheuristic"``: let OR-Tools' ``metaheuristic`` search the whole time. A
        ``solution_limit`` always means the latter (reproducible runs).
    ils_max_nodes
        Sub-problems with more nodes than this use ``metaheuristic`` instead of the ILS:
        one OR-Tools repair of a big plan takes long enough that few iterations would
        run. Does not apply where the fast recreate (``ils_recreate``) models the problem.
    ils_removed
        Average number of stops one ILS ruin removes (SISR's c-bar).
    ils_recreate
        ``"auto"`` (default): where the model has only what ``routing.sisr`` checks exactly
        (one time window per stop, capacities, also single pickups and deliveries mixed on one
        route, pickup-delivery pairs, skills, task limits, fixed costs, breaks with one window
        each; not several windows, on-board loads or
        travel limits), ruined plans are re-filled by its numpy insertion (thousands of
        iterations), and OR-Tools' descent polishes and re-checks the best plan.
        ``"or-tools"``: OR-Tools repairs every ruined plan (exact under every constraint,
        100-700 ms per iteration).
    ils_iterations
        Stop the ILS after this many rounds of ruin and recreate (a compiled round of ``routing.sisr``
        is one batch), and cool by rounds instead of seconds; ``None`` (default): the time limit alone.
        A budget of work, not of wall time, so a test on a busy machine asks for behaviour, never speed;
        the time limit still applies.
    own_start_nodes
        From this many nodes up, where the fast recreate models the problem, it builds the
        first plan as well, instead of OR-Tools' first-solution strategy and descent (which
        took 16 s for one 890-node Jakarta office); OR-Tools' descent polishes the last
        10 % of the time. Below it (Solomon, Li & Lim, Homberger 200) nothing changes.
    pyvrp
        ``"auto"`` (default): where PyVRP models an AJIB office day (single-location pickups and
        deliveries mixed on one route, as VROOM JSON has them, or the product's own day, every bundle
        through the office, as trips with reloads there) or a literature-shaped day (shipments between
        homes below 300 jobs, single stops of one kind from 150 to 300), PyVRP's search plans first for
        ``pyvrp_share`` of the time, without breaks; OR-Tools reads its routes back (inserting
        breaks), checks them and polishes with the rest (``routing.pyvrp_search``). A mixed day PyVRP
        cannot take goes to the fast recreate, with OR-Tools' ILS beside it on a spare core. ``"on"``:
        wherever PyVRP models the problem (other two-ended jobs as its shipments), also where the
        fast recreate runs on its own. ``"off"``: OR-Tools and our own searches only.
    pyvrp_share
        Share of the time budget PyVRP searches for when it runs.
    pyvrp_iterations
        Stop PyVRP's search after this many of its iterations (each run, where two search at once);
        ``None`` (default): its share of the time alone. Like ``ils_iterations`` a budget of work, so a
        test of PyVRP's phase on a busy machine asks for behaviour, never speed; the time limit still applies.
    seed
        Seeds the search; the same problem, parameters and seed give the same
        routes when the search is limited by ``solution_limit`` rather than time.
    log_search
        Print OR-Tools' search log to stderr.
    distance_cost
        Objective cost per metre travelled.
    travel_time_cost
        Objective cost per second travelled (service and waiting are not costed).
    custody_cost
        Cost per second one bundle spends on a motorbike between its collection and its handover
        (jobs with both ends explicit: documents home -> office, a permit office -> home), against
        ``travel_time_cost`` per second of riding. Documents on a bike can be lost, rained on or
        stolen, and the office wants them early: 0.1 makes a bundle-hour on board worth 6 minutes of
        riding. Realised in OR-Tools at a resolution of 0.01 (see ``objective_scale``). 0 (the engine's
        default, so VROOM JSON and the literature keep their travel objective); the product's planning
        sets its own (``dispatch/planning/runner.py``).
    margin_s, margin_cost
        Lateness risk: a stop whose service starts inside the last ``margin_s`` seconds of its (single)
        time window costs ``margin_cost`` per second it is inside. A plan that serves every stop at its
        closing minute is feasible on paper and late at the first traffic jam; where a courier has slack
        the solver now spends it before the stop, not after. 0 (engine default, as ``custody_cost``).
    prompt_handover
        Documents ride no longer than the route needs. A courier at the place where collected
        documents go (the office of a pickup job) hands over everything collected so far: each pickup
        job's handover moves to the first stop of the route there after its collection (documents on
        board at a re-plan's start: the first stop there). A permit goes on the bike at the last stop at
        the office before its delivery, and as late there as the next stop allows (the courier waits at
        the office rather than at the door). Kept only where the re-timed route still keeps every window, rest
        and the shift. Travel does not change (the courier is there anyway). True by default: no
        dispatcher wants a permit file riding through an office stop.
    balance_weight
        Cost per second of the global span (latest route end minus earliest route
        start); a positive value spreads work over couriers instead of packing the
        fewest routes.
    priority_weight
        How much a priority point multiplies a job's drop penalty: a job of
        priority ``p`` costs ``base * (1 + priority_weight * p)`` when left out,
        where ``base`` is far above any job's insertion cost, so the solver first
        serves as many (priority-weighted) jobs as it can, then saves travel.
    num_workers
        1, or 2 to run two first-solution strategies in two processes and keep
        the better solution (deterministic for a seed: ties go to the first).
        A day that splits into independent groups (one per office) is solved on
        all available cores whatever this says, one worker per group; where PyVRP's
        phase runs (``pyvrp``) on one office, a second core (or a second worker asked
        for) runs a second PyVRP seed, with or without rests.
    gls_lambda
        Guided local search penalty coefficient.
    neighbors_ratio
        Fraction of nearest neighbours the local search operators consider
        (1.0 = all). Small values speed up big instances.
    solution_limit
        Stop after this many solutions (``None`` = no limit); mainly for
        reproducible tests.
    """

    time_limit_s: float = 10.0
    first_solution_strategy: str = "LOCAL_CHEAPEST_INSERTION"
    second_first_solution_strategy: str = "PARALLEL_CHEAPEST_INSERTION"
    metaheuristic: str = "GUIDED_LOCAL_SEARCH"
    improvement: str = "ils"
    ils_max_nodes: int = 1000
    ils_removed: int = 10
    ils_recreate: str = "auto"
    ils_iterations: int | None = None
    own_start_nodes: int = 300
    pyvrp: str = "auto"
    pyvrp_share: float = 0.85
    pyvrp_iterations: int | None = None
    seed: int = 0
    log_search: bool = False
    distance_cost: float = 0.0
    travel_time_cost: float = 1.0
    balance_weight: float = 0.0
    custody_cost: float = 0.0
    margin_s: int = 0
    margin_cost: float = 0.0
    prompt_handover: bool = True
    priority_weight: float = 1.0
    num_workers: int = 1
    gls_lambda: float = 0.1
    neighbors_ratio: float = 1.0
    solution_limit: int | None = None

    def __post_init__(self) -> None:
        if self.time_limit_s <= 0:
            raise ValueError(f"time_limit_s must be > 0, got {self.time_limit_s}")
        for name, value, allowed in (
            ("first_solution_strategy", self.first_solution_strategy, FIRST_SOLUTION_STRATEGIES),
            ("second_first_solution_strategy", self.second_first_solution_strategy, FIRST_SOLUTION_STRATEGIES),
            ("metaheuristic", self.metaheuristic, METAHEURISTICS),
        ):
            if value not in allowed:
                raise ValueError(f"{name}={value!r} is not one of {', '.join(allowed)}")
        if self.improvement not in IMPROVEMENTS:
            raise ValueError(f"improvement={self.improvement!r} is not one of {', '.join(IMPROVEMENTS)}")
        if self.ils_recreate not in ILS_RECREATES:
            raise ValueError(f"ils_recreate={self.ils_recreate!r} is not one of {', '.join(ILS_RECREATES)}")
        if self.pyvrp not in PYVRP_MODES:
            raise ValueError(f"pyvrp={self.pyvrp!r} is not one of {', '.join(PYVRP_MODES)}")
        if not 0 < self.pyvrp_share < 1:
            raise ValueError(f"pyvrp_share must be in (0, 1), got {self.pyvrp_share}")
        for name, budget in (("ils_iterations", self.ils_iterations), ("pyvrp_iterations", self.pyvrp_iterations)):
            if budget is not None and budget < 1:
                raise ValueError(f"{name} must be >= 1 or None, got {budget}")
        if self.ils_removed < 1 or self.ils_max_nodes < 0 or self.own_start_nodes < 0:
            raise ValueError("ils_removed must be >= 1, ils_max_nodes and own_start_nodes >= 0")
        if self.num_workers not in (1, 2):
            raise ValueError(f"num_workers must be 1 or 2, got {self.num_workers}")
        if (
            min(
                self.distance_cost,
                self.travel_time_cost,
                self.balance_weight,
                self.priority_weight,
                self.custody_cost,
                self.margin_s,
                self.margin_cost,
            )
            < 0
        ):
            raise ValueError("objective weights must be >= 0")
        if not 0 < self.neighbors_ratio <= 1:
            raise ValueError(f"neighbors_ratio must be in (0, 1], got {self.neighbors_ratio}")

    @property
    def objective_scale(self) -> int:
        """Integer factor of every cost in the OR-Tools objective.

        OR-Tools takes integer coefficients per second of a cumul; a custody or margin cost below one
        per second (what a dispatcher means: a bundle-hour is worth minutes of riding, not an hour) needs
        the travel costs in hundredths. 1 when those terms are off, so the other figures stay as they were.
        """
        return 100 if self.custody_cost > 0 or (self.margin_cost > 0 and self.margin_s > 0) else 1
