"""Plan figures a dispatcher compares: kilometres, hours, on-time margin, custody exposure, workload, jobs served,
unassigned and why.

Computed from the stored rows (not the solver's summary or its objective), so an edited or re-planned version is
measured exactly like an optimised one, whatever the engine weighs. On-time is judged at the applicant's door: a
home stop (``pickup``/``delivery``) is on time when its planned service start is inside the booked window; the
margin is how many minutes before the window closes it starts. Custody exposure is how long documents ride on a
motorbike: from the end of their collection (at the home, or the permit at the office) to the start of their
handover (to the clerk, or at the home), summed over bundles. Workload spread is the gap between the longest and
the shortest working day of the couriers used.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from dispatch.jobs.models import Job
from dispatch.planning.models import Plan, Stop
from routing import Route, Violation

__all__ = ["COMPARED", "compare_kpis", "plan_kpis", "violation_rows"]

HOME_KINDS = ("pickup", "delivery")
ON_BOARD = ("pickup", "office_load")  # the documents (or the permit) go on the motorbike here
OFF_BOARD = ("office_drop", "delivery")  # ... and come off here
# metric -> True when a higher value is better (drives the verdict of a comparison)
COMPARED = {
    "distance_km": False,
    "travel_hours": False,
    "working_hours": False,
    "jobs_served": True,
    "unassigned": False,
    "late_stops": False,
    "on_time_share": True,
    "min_margin_min": True,
    "mean_margin_min": True,
    "custody_hours": False,
    "custody_max_min": False,
    "workload_spread_hours": False,
    "couriers_used": False,
}


def _ends(stop: Stop) -> tuple[datetime, datetime]:
    """When the stop's service starts and ends: as done when it was carried out, else as planned."""
    start = stop.planned_start
    end = stop.completed_at or start + timedelta(seconds=stop.service_s)
    return min(start, end), end


def _custody_minutes(plan: Plan) -> list[float]:
    """Per bundle on the plan, the minutes between going on the motorbike and coming off it."""
    out = []
    for route in plan.routes:
        boarded: dict[int, datetime] = {}
        for stop in route.stops:
            if stop.job_id is None or stop.status == "failed":
                continue
            if stop.kind in ON_BOARD:
                boarded[stop.job_id] = _ends(stop)[1]
            elif stop.kind in OFF_BOARD and stop.job_id in boarded:
                out.append(max((_ends(stop)[0] - boarded.pop(stop.job_id)).total_seconds() / 60, 0.0))
    return out


def plan_kpis(plan: Plan, jobs: Mapping[int, Job]) -> dict[str, Any]:
    """Figures of ``plan``; ``jobs`` maps the job ids on it to their rows (windows)."""
    distance = sum(r.distance_m for r in plan.routes)
    travel = sum(r.duration_s for r in plan.routes)
    working = sum((r.end_at - r.start_at).total_seconds() for r in plan.routes if r.start_at and r.end_at)
    served: set[int] = set()
    margins: list[float] = []
    late = 0
    used = 0
    for route in plan.routes:
        job_stops = [s for s in route.stops if s.job_id is not None]
        if any(s.status == "planned" for s in job_stops):
            used += 1
        for stop in job_stops:
            served.add(stop.job_id)  # type: ignore[arg-type]
            job = jobs.get(stop.job_id)  # type: ignore[arg-type]
            if stop.kind not in HOME_KINDS or job is None:
                continue
            margin = (job.window_end - stop.planned_start).total_seconds() / 60
            margins.append(margin)
            if stop.planned_start > job.window_end or stop.planned_start < job.window_start:
                late += 1
    reasons = Counter(u.reason for u in plan.unassigned)
    home = len(margins)
    custody = _custody_minutes(plan)
    days = [
        (r.end_at - r.start_at).total_seconds() / 3600
        for r in plan.routes
        if r.start_at and r.end_at and any(s.job_id is not None and s.status == "planned" for s in r.stops)
    ]
    return {
        "distance_km": round(distance / 1000, 2),
        "travel_hours": round(travel / 3600, 2),
        "working_hours": round(working / 3600, 2),
        "couriers_used": used,
        "jobs_served": len(served),
        "unassigned": len(plan.unassigned),
        "unassigned_by_reason": dict(sorted(reasons.items())),
        "home_stops": home,
        "late_stops": late,
        "on_time_share": round((home - late) / home, 3) if home else 1.0,
        "min_margin_min": round(min(margins), 1) if margins else None,
        "mean_margin_min": round(sum(margins) / home, 1) if home else None,
        "custody_hours": round(sum(custody) / 60, 2),
        "custody_max_min": round(max(custody), 1) if custody else None,
        "workload_spread_hours": round(max(days) - min(days), 2) if days else None,
        "balance_weight": float((plan.solver_params or {}).get("balance_weight", 0.0)),
    }


def violation_rows(violations: Iterable[Violation], routes: Iterable[Route] = ()) -> list[dict[str, Any]]:
    """The verifier's findings as stored and served: the rule, the courier and job where it is broken, the message.

    ``routes`` are the routes the violations' step indices point into (to name the job at that step).
    """
    steps = {r.vehicle_id: r.steps for r in routes}
    out = []
    for v in violations:
        route = steps.get(v.vehicle or "", ())
        step = route[v.step] if v.step is not None and v.step < len(route) else None
        out.append(
            {
                "rule": v.rule.value,
                "courier_id": int(v.vehicle) if v.vehicle is not None and v.vehicle.isdigit() else None,
                "job_id": int(step.job_id) if step is not None and step.job_id is not None else None,
                "message": v.message,
            }
        )
    return out


def compare_kpis(this: Mapping[str, Any], other: Mapping[str, Any] | None) -> dict[str, Any]:
    """Side by side: per metric this plan's value, the other's, the difference and whether this is better."""
    rows = {}
    for metric, higher_better in COMPARED.items():
        a = this.get(metric)
        b = other.get(metric) if other is not None else None
        delta = round(a - b, 3) if isinstance(a, int | float) and isinstance(b, int | float) else None
        better = None
        if delta is not None and delta != 0:
            better = (delta > 0) == higher_better
        rows[metric] = {"this": a, "other": b, "delta": delta, "better": better}
    return rows
