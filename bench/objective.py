"""What the dispatcher's objective terms buy and cost on generated Jakarta office days (issue 16).

    .venv/bin/python -m bench.objective [--seeds 3 4] [--jobs 300] [--time-limit 10] [--solution-limit N]

For each day (one office of ``bench.solver.jakarta.jakarta_day``: pickups and deliveries through the
office, 2-hour windows, lunch and Friday prayer) it solves with the engine's travel-only objective (as before
issue 16: no prompt handover), with the prompt handover alone, and with the product's objective
(``dispatch.planning.runner.planning_params``), and prints served jobs, riding hours, custody exposure
(bundle-hours from the end of a collection to the start of its handover, as the board's KPI) and the on-time
margin of home stops, each plan checked by ``routing.verify``. Figures depend on the machine's load (the
search is time-limited); quote them with the command, commit and load.
"""

from __future__ import annotations

import argparse
import os
from dataclasses import replace
from pathlib import Path

from bench.solver.jakarta import jakarta_day
from routing import Problem, Solution, SolveParams, StepKind, solve, verify
from routing.decompose import components
from routing.reasons import precheck

SHARED = Path(os.environ.get("AJIB_SHARED_DIR", Path(__file__).resolve().parents[2] / "shared"))


def figures(problem: Problem, solution: Solution) -> dict[str, float | int | None]:
    """Served, riding hours, custody (bundle-hours, longest minutes), on-time margin (minutes) of home stops."""
    offices = {t.location for j in problem.jobs for t in (j.pickup, j.delivery) if t is not None and not t.time_windows}
    window = {
        (j.id, t.location): t.time_windows[0]
        for j in problem.jobs
        for t in (j.pickup, j.delivery)
        if t is not None and t.time_windows
    }
    custody: list[int] = []
    margins: list[int] = []
    for route in solution.routes:
        on: dict[str, int] = {}
        for s in route.steps:
            if s.job_id is None:
                continue
            w = window.get((s.job_id, s.location))
            if w is not None and s.location not in offices:
                margins.append(w.end - s.service_start)
            if s.kind is StepKind.PICKUP:
                on[s.job_id] = s.service_start + s.service
            elif s.kind is StepKind.DELIVERY and s.job_id in on:
                custody.append(s.service_start - on.pop(s.job_id))
    return {
        "served": len(problem.jobs) - len(solution.unassigned),
        "riding_h": round(solution.summary.duration / 3600, 2),
        "custody_h": round(sum(custody) / 3600, 1),
        "custody_max_min": round(max(custody) / 60) if custody else None,
        "min_margin_min": round(min(margins) / 60, 1) if margins else None,
        "mean_margin_min": round(sum(margins) / len(margins) / 60, 1) if margins else None,
    }


def main(argv: list[str] | None = None) -> None:
    from dispatch.planning.runner import planning_params

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[3, 4])
    ap.add_argument("--jobs", type=int, default=300, help="jobs of the whole city day (one office is solved)")
    ap.add_argument("--time-limit", type=float, default=10.0)
    ap.add_argument(
        "--solution-limit",
        type=int,
        default=None,
        help="stop the search after this many solutions: every objective then starts from the same plan on "
        "travel, so the table shows what the objective changes, not the clock (the product runs time-limited)",
    )
    args = ap.parse_args(argv)
    limit = {"time_limit_s": args.time_limit, "solution_limit": args.solution_limit}
    configs = {
        "travel only": SolveParams(prompt_handover=False, **limit),
        "prompt handover": SolveParams(**limit),
        "product objective": replace(planning_params(), **limit),
    }
    print("| day | objective | served | riding h | custody bundle-h | longest ride min | min margin | mean margin |")
    print("|---|---|---|---|---|---|---|---|")
    for seed in args.seeds:
        day = jakarta_day(SHARED / "data" / "jakarta", seed=seed, jobs=args.jobs, couriers=20).problem
        office = components(day, precheck(day))[0].problem
        name = f"seed {seed}: {len(office.jobs)} jobs, {len(office.vehicles)} couriers"
        for label, params in configs.items():
            solution = solve(office, params)
            assert verify(office, solution) == [], label
            f = figures(office, solution)
            print(
                f"| {name} | {label} | {f['served']} | {f['riding_h']} | {f['custody_h']} | {f['custody_max_min']} "
                f"| {f['min_margin_min']} | {f['mean_margin_min']} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
