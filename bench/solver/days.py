"""``ajib bench --set ajib-days``: the AJIB office-day family, ours beside VROOM and PyVRP in one run.

Per day (size, seed) and variant (``plain``, ``breaks``), in turn, one at a time:

* **ours** through ``ajib solve``'s own path: the VROOM JSON text is read by ``routing.vroom_json.load_input``,
  solved by ``routing.solve`` with ``ajib solve``'s parameters (``--time-limit``, ``--seed``, one worker), written
  by ``write_output`` and read back from that JSON answer (what a user of ``ajib solve`` gets);
* **VROOM** (pyvroom) on the same request: one thread, exploration level 5, no time limit; its wall time is
  recorded (the anytime target compares against it);
* **PyVRP** with the same time limit on the ``plain`` variant only (PyVRP has no breaks).

Every answer is checked by ``routing.verify`` against the problem read from the request. An answer that fails
is kept in the CSV, marked ``verified = no``, and never counted: it cannot be a day's best peer nor a win.
Travel is recomputed from each route's sequence and the request's duration matrix (seconds, one rule for all
solvers), so the comparison does not depend on any solver's own bookkeeping.

The reading follows issue 16's targets: at equal service, ours ÷ best peer travel; served ≥ every peer.
"""

from __future__ import annotations

import csv
import hashlib
import itertools
import json
import os
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from bench.solver.ajib_days import REPORTING_SEEDS, WITH_BREAKS, AjibDay, ajib_days
from bench.solver.peers import Run, SolverUnavailable, run_pyvrp, run_vroom
from bench.solver.run import load_line
from routing.params import SolveParams
from routing.problem import Job, Problem
from routing.solution import Solution, StepKind
from routing.verify import verify
from routing.vroom_json import VroomDocument, load_input, read_output, write_output

__all__ = [
    "DEFAULT_LIMITS",
    "DayRow",
    "day_table",
    "run_ajib_json",
    "run_days",
    "summarize_days",
    "travel_of",
    "write_days_report",
]

QUIET_NOTES = ("skipped: PyVRP has no breaks", "answer reused from", "one VROOM run per office", "one PyVRP run per")
DEFAULT_LIMITS = {"office": 10.0, "kota": 30.0, "city": 60.0, "tiny": 2.0}
Progress = Callable[[str], None]


@dataclass(frozen=True)
class DayRow:
    """One solver on one day variant."""

    day: str  # size-s<seed>
    size: str
    seed: int
    variant: str  # plain or breaks
    solver: str
    jobs: int
    couriers: int
    time_limit_s: float | None  # None: no limit (VROOM)
    served: int | None
    priority_served: int | None  # high-priority jobs served
    travel_s: int | None  # recomputed from the routes and the request's matrix
    distance_m: int | None
    routes: int | None
    wall_s: float | None
    cpu_s: float | None
    load1: float | None  # 1-minute load average when the solve ended
    verified: bool | None  # routing.verify's verdict; None when the solver did not run
    violations: int
    note: str

    @property
    def valid(self) -> bool:
        return bool(self.verified) and self.served is not None and self.travel_s is not None


def travel_of(problem: Problem, solution: Solution) -> tuple[int, int]:
    """(travel seconds, metres) of ``solution`` replayed on ``problem``'s matrices, breaks skipped."""
    profile = {v.id: v.profile for v in problem.vehicles}
    seconds = metres = 0
    for route in solution.routes:
        m = problem.matrices[profile[route.vehicle_id]]
        places = [s.location for s in route.steps if s.kind is not StepKind.BREAK]
        for a, b in itertools.pairwise(places):
            seconds += int(m.durations[a, b])
            metres += int(m.distances[a, b]) if m.distances is not None else 0
    return seconds, metres


def run_ajib_json(text: str, time_limit: float, seed: int) -> Run:
    """Ours exactly as ``ajib solve`` runs it: JSON in, ``SolveParams`` as its flags give, JSON answer out.

    The wall time covers reading the request, solving and writing the answer (``ajib solve`` without
    the process start). The answer is read back from its JSON, so what is verified is what a user gets.
    """
    from routing.solve import solve

    from .peers import _timed

    def call() -> Solution:
        doc = load_input(text)
        params = SolveParams(time_limit_s=time_limit, seed=seed, num_workers=1)  # ajib solve's defaults
        answer = write_output(doc, solve(doc.problem, params))
        return read_output(doc, answer)

    solution, wall, cpu = _timed(call)
    assert isinstance(solution, Solution)
    return Run(solution, wall, "" if solution.status == "ok" else solution.status, cpu)


def _offices(problem: Problem) -> list[Problem]:
    """The day split by office: jobs grouped by their skills, each with the couriers that have them.

    On a city day every job carries its office's skill and every courier has exactly one office's, so the
    parts are independent problems: solving them apart is the same problem, and cheaper for a peer.
    """
    groups: dict[frozenset[str], list[Job]] = {}
    for job in problem.jobs:
        groups.setdefault(job.skills, []).append(job)
    if len(groups) == 1:
        return [problem]
    return [
        Problem(
            problem.locations, tuple(v for v in problem.vehicles if skills <= v.skills), tuple(jobs), problem.matrices
        )
        for skills, jobs in groups.items()
    ]


def _joined(parts: list[Run], note: str) -> Run:
    routes = [r for run in parts for r in run.solution.routes]
    unassigned = [u for run in parts for u in run.solution.unassigned]
    wall = sum(run.wall_s for run in parts)
    cpu = sum(run.cpu_s or 0.0 for run in parts)
    notes = [note, *dict.fromkeys(run.note for run in parts if run.note)]
    return Run(Solution.of(routes, unassigned, wall_time_s=wall), wall, "; ".join(notes), cpu)


def run_vroom_by_office(problem: Problem) -> Run:
    """VROOM, one thread, no time limit; on a city day one run per office (their sum is the wall time).

    VROOM would keep the offices apart by skill anyway; solved whole, a 1,700-job city day ran for many
    minutes on the loaded bench machine. Apart is the same problem, so this only helps VROOM.
    """
    parts = _offices(problem)
    if len(parts) == 1:
        return run_vroom(problem, None, 0, threads=1)
    return _joined([run_vroom(part, None, 0, threads=1) for part in parts], "one VROOM run per office")


def run_pyvrp_by_office(problem: Problem, time_limit: float, seed: int) -> Run:
    """PyVRP on each office's part of the day in turn (it has no skills), the limit shared by job count.

    A one-office day is one PyVRP run with the whole limit. On a city day the jobs of an office may only go
    to its couriers (a skill), which PyVRP cannot say, so each office is its own PyVRP problem; the sum of
    their limits is the day's limit, as for the other solvers.
    """
    parts = _offices(problem)
    if len(parts) == 1:
        return run_pyvrp(problem, time_limit, seed, objective="travel_time")
    runs = [
        run_pyvrp(part, time_limit * len(part.jobs) / len(problem.jobs), seed, objective="travel_time")
        for part in parts
    ]
    return _joined(runs, "one PyVRP run per office (no skills in PyVRP), the limit shared by jobs")


def _cache_path(cache: Path, text: str, solver: str, limit: float | None) -> Path:
    """Where a peer's answer to exactly this request (and limit) is kept: the request's digest names it."""
    digest = hashlib.sha256(text.encode()).hexdigest()[:24]
    return cache / f"{digest}-{solver}{f'-{limit:g}s' if limit is not None else ''}.json"


def _reuse(path: Path, doc: VroomDocument) -> tuple[Run, float, str] | None:
    """A peer's stored answer as a ``Run`` (to be verified again), its load then and when it ran."""
    if not path.is_file():
        return None
    data = json.loads(path.read_text())
    run = Run(read_output(doc, data["answer"]), float(data["wall_s"]), data.get("note", ""), data.get("cpu_s"))
    return run, float(data["load1"]), str(data["when"])


def _store(path: Path, doc: VroomDocument, run: Run) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {
        "answer": write_output(doc, run.solution),
        "wall_s": run.wall_s,
        "cpu_s": run.cpu_s,
        "note": run.note,
        "load1": os.getloadavg()[0],
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }
    path.write_text(json.dumps(data, separators=(",", ":")))


def _row(
    day: AjibDay,
    problem: Problem,
    solver: str,
    limit: float | None,
    run: Run | None,
    note: str,
    load1: float | None = None,
) -> DayRow:
    high = {j.id for j in problem.jobs if j.priority > 0}
    base = {
        "day": f"{day.size}-s{day.seed}",
        "size": day.size,
        "seed": day.seed,
        "variant": day.variant,
        "solver": solver,
        "jobs": len(problem.jobs),
        "couriers": len(problem.vehicles),
        "time_limit_s": limit,
    }
    if run is None:
        empty = dict.fromkeys(("served", "priority_served", "travel_s", "distance_m", "routes", "wall_s", "cpu_s"))
        return DayRow(**base, **empty, load1=os.getloadavg()[0], verified=None, violations=0, note=note)
    load1 = os.getloadavg()[0] if load1 is None else load1
    s = run.solution
    violations = verify(problem, s)
    unassigned = {u.job_id for u in s.unassigned}
    travel, metres = travel_of(problem, s)
    notes = [n for n in (run.note, note) if n]
    if violations:
        more = f" (+{len(violations) - 1} more)" if len(violations) > 1 else ""
        notes.append(f"UNVERIFIED: {violations[0]}{more}")
    return DayRow(
        **base,
        served=len(problem.jobs) - len(unassigned),
        priority_served=len(high - unassigned),
        travel_s=travel,
        distance_m=metres,
        routes=sum(1 for r in s.routes if any(st.job_id for st in r.steps)),
        wall_s=run.wall_s,
        cpu_s=run.cpu_s,
        load1=load1,
        verified=not violations,
        violations=len(violations),
        note="; ".join(notes),
    )


def run_days(
    data_dir: Path | None,
    sizes: Sequence[str],
    seeds: Sequence[int],
    variants: Sequence[str],
    solvers: Sequence[str],
    limits: dict[str, float],
    progress: Progress | None = None,
    peer_cache: Path | None = None,
) -> list[DayRow]:
    """Generate each (size, seed) day and solve its variants with every solver in turn; one row per run.

    A solver that is not installed, cannot express the variant (PyVRP with breaks) or crashes gives a row
    with a note and no figures: the bench goes on.

    ``peer_cache``: a directory where VROOM's and PyVRP's answers are stored, named by the request's digest
    (and the limit); an answer found there is reused instead of solving again, verified again now, and its
    row says when it ran and keeps that run's wall time and load. The peers do not change with our engine,
    so a before/after of ours can be measured without re-running them on a busy machine.
    """
    rows: list[DayRow] = []
    for size in sizes:
        limit = limits[size]
        for seed in seeds:
            days = ajib_days(size, seed, data_dir)
            for variant in variants:
                day = days[variant]
                text = day.json()
                doc = load_input(text)
                problem = doc.problem  # what every answer is verified against
                for solver in solvers:
                    run: Run | None = None
                    note = ""
                    load1: float | None = None
                    solver_limit: float | None = None if solver == "vroom" else limit
                    cached = _cache_path(peer_cache, text, solver, solver_limit) if peer_cache else None
                    reused = _reuse(cached, doc) if cached and solver != "ajib" else None
                    try:
                        if reused is not None:
                            run, load1, when = reused
                            note = f"answer reused from the run of {when} (same request), verified again"
                        elif solver == "ajib":
                            run = run_ajib_json(text, limit, seed)
                        elif solver == "vroom":
                            run = run_vroom_by_office(problem)
                        elif solver == "pyvrp":
                            if variant in WITH_BREAKS:
                                raise SolverUnavailable("PyVRP has no breaks: it runs the plain variant only")
                            run = run_pyvrp_by_office(problem, limit, seed)
                        else:
                            raise SolverUnavailable(f"unknown solver {solver}")
                    except SolverUnavailable as exc:
                        note = f"skipped: {exc}"
                    except Exception as exc:  # a crash is a result of the bench, not its end
                        note = f"error: {type(exc).__name__}: {exc}"
                    if cached and run is not None and reused is None and solver != "ajib":
                        _store(cached, doc, run)
                    rows.append(_row(day, problem, solver, solver_limit, run, note, load1))
                    if progress:
                        progress(f"{day.name} {solver}")
    return rows


@dataclass(frozen=True)
class DayVerdict:
    """One day variant read against the targets: ours vs the best verified peer."""

    day: str
    size: str
    variant: str
    jobs: int
    ours: DayRow | None
    peers: dict[str, DayRow]
    best_peer: str | None  # most served, then least travel, among verified peers
    ratio: float | None  # ours ÷ best peer travel, only at equal service
    served_ok: bool | None  # ours (verified) serves at least as many as every verified peer

    @property
    def served_diff(self) -> int | None:
        if self.ours is None or not self.ours.valid or self.best_peer is None:
            return None
        return (self.ours.served or 0) - (self.peers[self.best_peer].served or 0)


def day_table(rows: Sequence[DayRow]) -> list[DayVerdict]:
    """One verdict per (day, variant), in the rows' order."""
    out: list[DayVerdict] = []
    keys = list(dict.fromkeys((r.day, r.variant) for r in rows))
    for day, variant in keys:
        mine = [r for r in rows if r.day == day and r.variant == variant]
        ours = next((r for r in mine if r.solver == "ajib"), None)
        peers = {r.solver: r for r in mine if r.solver != "ajib"}
        valid = [r for r in peers.values() if r.valid]
        best = min(valid, key=lambda r: (-(r.served or 0), r.travel_s or 0)) if valid else None
        ratio = served_ok = None
        if ours is not None and ours.valid and best is not None:
            served_ok = all((ours.served or 0) >= (r.served or 0) for r in valid)
            if ours.served == best.served:
                ratio = (ours.travel_s or 0) / max(best.travel_s or 1, 1)
        elif ours is not None and not ours.valid and valid:
            served_ok = False  # an unverified answer of ours never counts as a win
        out.append(
            DayVerdict(
                day, mine[0].size, variant, mine[0].jobs, ours, peers, best.solver if best else None, ratio, served_ok
            )
        )
    return out


def summarize_days(rows: Sequence[DayRow]) -> list[dict[str, object]]:
    """Per (size, variant): days, served ≥ every peer, mean / worst ratio at equal service, days above 1.00."""
    verdicts = day_table(rows)
    out: list[dict[str, object]] = []
    for size, variant in dict.fromkeys((v.size, v.variant) for v in verdicts):
        mine = [v for v in verdicts if v.size == size and v.variant == variant]
        ratios = [v.ratio for v in mine if v.ratio is not None]
        worst = max(mine, key=lambda v: v.ratio or 0.0) if ratios else None
        vroom_walls = [v.peers["vroom"].wall_s for v in mine if "vroom" in v.peers and v.peers["vroom"].wall_s]
        ours_rows = [v.ours for v in mine if v.ours is not None]
        out.append(
            {
                "size": size,
                "variant": variant,
                "days": len(mine),
                "ours verified": sum(1 for r in ours_rows if r.verified),
                "served ≥ every peer": f"{sum(1 for v in mine if v.served_ok)}/{len(mine)}",
                "fewer served (days)": sum(1 for v in mine if v.served_diff is not None and v.served_diff < 0),
                "more served (days)": sum(1 for v in mine if v.served_diff is not None and v.served_diff > 0),
                "equal-service days": len(ratios),
                "mean ours÷best": statistics.fmean(ratios) if ratios else None,
                "worst ours÷best": worst.ratio if worst else None,
                "worst day": worst.day if worst else None,
                "days > 1.00": sum(1 for r in ratios if r > 1.0),
                "VROOM mean wall s": statistics.fmean(vroom_walls) if vroom_walls else None,
                **{
                    f"{solver} CPU/wall": _cpu_share(rows, size, variant, solver)
                    for solver in ("ajib", "vroom", "pyvrp")
                },
            }
        )
    return out


def _cpu_share(rows: Sequence[DayRow], size: str, variant: str, solver: str) -> float | None:
    """Mean CPU seconds per wall second a solver got: far below 1 means a starved solve on a loaded machine."""
    shares = [
        r.cpu_s / r.wall_s
        for r in rows
        if r.size == size and r.variant == variant and r.solver == solver and r.cpu_s is not None and r.wall_s
    ]
    return statistics.fmean(shares) if shares else None


def _fmt(value: object, digits: int = 3) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "**NO**"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _cell(row: DayRow | None) -> str:
    """``served / travel s (wall s)``; unverified answers are struck out and flagged."""
    if row is None:
        return "–"
    if row.served is None:
        return "skipped" if row.note.startswith("skipped") else "error"
    text = f"{row.served} / {row.travel_s:,} ({row.wall_s:.1f} s)"
    return text if row.verified else f"~~{text}~~ UNVERIFIED"


def machine_lines() -> list[str]:
    """Commit, code digest, CPU model, nproc and versions: where and with what the figures were made."""
    from bench.solver.run import machine

    info = machine()
    nproc = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    lines = [f"- {k}: {v}" for k, v in info.items() if k != "cores"]
    lines.append(f"- nproc: {nproc}")
    return lines


def write_days_report(
    out_dir: Path,
    name: str,
    rows: Sequence[DayRow],
    *,
    command: str,
    limits: dict[str, float],
    load_start: tuple[float, float, float],
    started: str,
) -> tuple[Path, Path]:
    """Write ``<name>.csv`` (every row) and ``<name>.md`` (machine, summary, one table per size)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    md_path, csv_path = out_dir / f"{name}.md", out_dir / f"{name}.csv"
    with csv_path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow([f.name for f in fields(DayRow)])
        for r in rows:
            writer.writerow(
                ["" if v is None else (f"{v:.3f}" if isinstance(v, float) else v) for v in asdict(r).values()]
            )
    load_end = os.getloadavg()
    loads = [r.load1 for r in rows if r.load1 is not None]
    sizes = list(dict.fromkeys(r.size for r in rows))
    seeds = sorted({r.seed for r in rows})
    held_out = "the held-out reporting seeds" if set(seeds) <= set(REPORTING_SEEDS) else "not only reporting seeds"
    per_solve = (
        f"; 1-min load after each solve: median {statistics.median(loads):.2f}, max {max(loads):.2f}" if loads else ""
    )
    reused = [r for r in rows if "answer reused from" in r.note]
    whens = sorted({r.note.split("answer reused from the run of ", 1)[1][:20] for r in reused})
    reuse_lines = (
        [
            f"Peer answers reused: {len(reused)} of {sum(1 for r in rows if r.solver != 'ajib')} (VROOM and PyVRP",
            "do not change with our engine): each was stored with the wall time and load of its own run "
            f"({whens[0]} to {whens[-1]}),",
            "is the answer to exactly this request (named by its digest) and was verified again in this run.",
        ]
        if reused
        else []
    )
    split = any("run per office" in r.note for r in rows)
    if split:
        reuse_lines.append(
            "City days: VROOM and PyVRP solve each office apart (jobs are tied to their office's couriers; PyVRP"
        )
        reuse_lines.append("has no skills), their wall times summed; PyVRP's limit is shared by the offices' jobs.")
    lines = [f"# Bench: {name} (AJIB office days)", ""]
    lines += [
        f"- command: `{command}`",
        "- time limits (ours and PyVRP): "
        + ", ".join(f"{s} {limits[s]:g} s" for s in sizes)
        + "; VROOM: no limit, one thread, exploration level 5",
        f"- seeds: {seeds} ({held_out})",
        *machine_lines(),
        f"- load average (1/5/15 min) at the start: {load_start[0]:.2f} / {load_start[1]:.2f} / {load_start[2]:.2f}; "
        f"at the end: {load_end[0]:.2f} / {load_end[1]:.2f} / {load_end[2]:.2f}" + (per_solve if loads else ""),
        load_line(loads, [(r.cpu_s, r.wall_s) for r in rows if r.cpu_s is not None and r.wall_s is not None]),
        f"- started {started}, finished {time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())}",
        "",
        "Cells are `served / travel s (wall s)`; travel is recomputed from each route on the request's matrix.",
        "Every answer went through `routing/verify.py`; an UNVERIFIED one is struck out and never counted.",
        "`ours÷best` compares travel with the best verified peer (most served, then least travel) at equal",
        "service only; a day where the served counts differ says so instead. PyVRP runs the plain variant only.",
        *reuse_lines,
        "Anytime (time ours first reaches VROOM's final travel): not measured, our solver keeps no progress log",
        "of its best travel over time; VROOM's wall time is in each cell.",
        "",
    ]
    summary = summarize_days(rows)
    if summary:
        keys = list(summary[0])
        lines += ["## Summary", "", "| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
        lines += ["| " + " | ".join(_fmt(s[k]) for k in keys) + " |" for s in summary]
        lines.append("")
    verdicts = day_table(rows)
    solvers = list(dict.fromkeys(r.solver for r in rows))
    for size in sizes:
        lines += [f"## {size}", ""]
        head = ["day", "variant", "jobs", *solvers, "best peer", "ours÷best"]
        lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        notes: list[str] = []
        for v in (v for v in verdicts if v.size == size):
            cells = [v.day, v.variant, str(v.jobs)]
            for s in solvers:
                r = v.ours if s == "ajib" else v.peers.get(s)
                cells.append(_cell(r))
                shown = [n for n in r.note.split("; ") if n and not n.startswith(QUIET_NOTES)] if r is not None else []
                if shown:
                    notes.append(f"- {v.day} {v.variant} / {s}: {'; '.join(shown)}")
            if v.ratio is not None:
                verdict = _fmt(v.ratio)
            elif v.served_diff is not None:
                verdict = f"served {v.served_diff:+d}"
            else:
                verdict = "–"
            cells += [v.best_peer or "–", verdict]
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
        if notes:
            lines += ["Notes:", "", *notes, ""]
    md_path.write_text("\n".join(lines))
    return md_path, csv_path


def read_days_csv(path: Path) -> list[DayRow]:
    """The rows of a ``write_days_report`` CSV, typed again (to combine runs into one summary)."""
    types = {f.name: f.type for f in fields(DayRow)}
    out = []
    with path.open(newline="") as fh:
        for raw in csv.DictReader(fh):
            values: dict[str, object] = {}
            for key, text in raw.items():
                kind = str(types[key])
                if text == "":
                    values[key] = None if "None" in kind else ""
                elif kind.startswith("bool"):
                    values[key] = text == "True"
                elif kind.startswith("int"):
                    values[key] = int(text)
                elif kind.startswith("float"):
                    values[key] = float(text)
                else:
                    values[key] = text
            out.append(DayRow(**values))  # type: ignore[arg-type]
    return out


def summary_markdown(rows: Sequence[DayRow]) -> str:
    """A short table per (size, variant): mean served and travel per solver, served ≥ peers, ours ÷ best."""
    head = ["size", "variant", "days", "ours served / travel", "VROOM served / travel (wall)",
            "PyVRP served / travel", "served ≥ every peer", "mean ours÷best", "worst", "days > 1.00"]  # fmt: skip
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    summary = {(s["size"], s["variant"]): s for s in summarize_days(rows)}
    for (size, variant), s in summary.items():

        def mean_of(solver: str, size: str = size, variant: str = variant) -> str:
            mine = [r for r in rows if (r.size, r.variant, r.solver) == (size, variant, solver) and r.valid]
            if not mine:
                return "–"
            served = statistics.fmean(r.served or 0 for r in mine)
            travel = statistics.fmean(r.travel_s or 0 for r in mine)
            wall = f" ({statistics.fmean(r.wall_s or 0 for r in mine):.0f} s)" if solver == "vroom" else ""
            return f"{served:.1f} / {travel:,.0f}{wall}"

        cells = [size, variant, str(s["days"]), mean_of("ajib"), mean_of("vroom"), mean_of("pyvrp"),
                 str(s["served ≥ every peer"]), _fmt(s["mean ours÷best"]), _fmt(s["worst ours÷best"]),
                 str(s["days > 1.00"])]  # fmt: skip
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    import sys

    print(summary_markdown([row for arg in sys.argv[1:] for row in read_days_csv(Path(arg))]))
