"""The solver bench: literature instances and a synthetic Jakarta day, ours side by side with VROOM and PyVRP.

Each instance is solved by each solver in turn (one at a time, same time limit, one
thread each), every answer is checked by ``routing.verify``, and distances are
recomputed in double precision from the route sequences, so the gap to the best known
solution is measured on true Euclidean distance whatever the solver's integer scale.
Results go to ``bench/results/<name>.md`` and ``.csv`` (``write_report``).
"""

from __future__ import annotations

import csv
import functools
import os
import platform
import resource
import statistics
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from bench.solver import BksTable, Instance, read_lilim, read_solomon, to_problem, true_distance, vehicles_used
from bench.solver.peers import SOLVERS, Run, SolverUnavailable
from routing.problem import Problem
from routing.verify import verify

__all__ = [
    "LITERATURE_SETS",
    "BenchRow",
    "JakartaRow",
    "code_state",
    "jakarta_plan",
    "machine",
    "run_jakarta",
    "run_literature",
    "write_report",
]

# set name -> (directory under <shared>/benchmarks, reader)
LITERATURE_SETS: dict[str, tuple[str, Callable[[Path], Instance]]] = {
    "solomon": ("solomon", read_solomon),
    "lilim100": ("lilim/100", read_lilim),
    "lilim200": ("lilim/200", read_lilim),
    "lilim400": ("lilim/400", read_lilim),
    "homberger200": ("homberger/200", read_solomon),
    "homberger400": ("homberger/400", read_solomon),
}

Progress = Callable[[str], None]  # called with a label after each unit of work


@dataclass(frozen=True)
class BenchRow:
    """One (instance, solver) result of a literature set."""

    set: str
    instance: str
    solver: str
    vehicles: int | None
    distance: float | None  # true Euclidean, double precision
    gap_pct: float | None  # against bks_distance; only when feasible with nothing unassigned
    bks_vehicles: int | None
    bks_distance: float | None
    bks_kind: str  # which BKS the gap uses: "distance-only (vroom)" or "hierarchical (sintef)"
    hier_vehicles: int | None  # vehicles of the hierarchical BKS (fewest-vehicles convention)
    wall_s: float | None
    cpu_s: float | None  # CPU the solver got; well below wall_s means a loaded machine
    load1: float | None  # 1-minute load average when the solve ended
    feasible: bool | None  # verifier verdict
    unassigned: int | None
    violations: int
    note: str


@dataclass(frozen=True)
class JakartaRow:
    """One solver on the synthetic Jakarta day."""

    solver: str
    jobs: int
    served: int
    unassigned: int
    routes: int
    travel_h: float
    distance_km: float
    wall_s: float
    cpu_s: float
    peak_rss_mb: float
    feasible: bool
    violations: int
    note: str


def instance_paths(benchmarks_dir: Path, set_name: str, pattern: str = "*") -> list[Path]:
    """The instance files of a set whose stem matches ``pattern`` (case-insensitive glob), sorted."""
    import fnmatch

    folder, _ = LITERATURE_SETS[set_name]
    return sorted(
        p for p in (benchmarks_dir / folder).glob("*.txt") if fnmatch.fnmatch(p.stem.lower(), pattern.lower())
    )


def _row(
    set_name: str, inst: Instance, problem: Problem, solver: str, run: Run | None, bks: BksTable, note: str = ""
) -> BenchRow:
    """Score one run: verify it, recompute its true distance, compare with the BKS."""
    ref = bks.reference(inst.name)
    hier = bks.hierarchical(inst.name)
    kind = f"{'distance-only' if ref.convention == 'distance' else 'hierarchical'} ({ref.source})" if ref else "none"
    base = {
        "set": set_name,
        "instance": inst.name,
        "solver": solver,
        "bks_vehicles": ref.vehicles if ref else None,
        "bks_distance": ref.distance if ref else None,
        "bks_kind": kind,
        "hier_vehicles": hier.vehicles if hier else None,
    }
    if run is None:
        return BenchRow(**base, vehicles=None, distance=None, gap_pct=None, wall_s=None, cpu_s=None, load1=None,
                        feasible=None, unassigned=None, violations=0, note=note)  # fmt: skip
    violations = verify(problem, run.solution)
    distance = true_distance(inst, run.solution)
    unassigned = len(run.solution.unassigned)
    feasible = not violations
    gap = 100.0 * (distance - ref.distance) / ref.distance if ref and feasible and unassigned == 0 else None
    notes = [n for n in (run.note, note) if n]
    if violations:
        notes.append(f"verifier: {violations[0]}" + (f" (+{len(violations) - 1} more)" if len(violations) > 1 else ""))
    if unassigned:
        notes.append(f"{unassigned} jobs unassigned")
    return BenchRow(
        **base,
        vehicles=vehicles_used(run.solution),
        distance=distance,
        gap_pct=gap,
        wall_s=run.wall_s,
        cpu_s=run.cpu_s,
        load1=os.getloadavg()[0],
        feasible=feasible,
        unassigned=unassigned,
        violations=len(violations),
        note="; ".join(notes),
    )


def run_literature(
    benchmarks_dir: Path,
    sets: Sequence[str],
    solvers: Sequence[str],
    time_limit: float,
    pattern: str = "*",
    seed: int = 1,
    progress: Progress | None = None,
    threads: int = 1,
) -> list[BenchRow]:
    """Solve every matching instance of ``sets`` with every solver in turn; one row per pair.

    ``threads`` is what each solver may use (ours: workers, VROOM: threads; PyVRP has one):
    the solvers still run one at a time, so a solver with two gets the machine's two cores. With one, each
    solver is held to one core: ours takes a spare core when it sees one (a second search beside the first),
    and a one-thread comparison must not give it that.

    A solver that is not installed, or cannot express an instance, gives a row with a
    note and no figures; a solver that crashes gives a row with the error as note.
    """
    bks = BksTable(benchmarks_dir)
    rows: list[BenchRow] = []
    for set_name in sets:
        _, reader = LITERATURE_SETS[set_name]
        for path in instance_paths(benchmarks_dir, set_name, pattern):
            inst = reader(path)
            problem = to_problem(inst)
            for solver in solvers:
                try:
                    with _cores(threads):
                        run = SOLVERS[solver](problem, time_limit, seed, threads=threads)
                    rows.append(_row(set_name, inst, problem, solver, run, bks))
                except SolverUnavailable as exc:
                    rows.append(_row(set_name, inst, problem, solver, None, bks, f"skipped: {exc}"))
                except Exception as exc:  # a peer's crash is a result of the bench, not its end
                    rows.append(_row(set_name, inst, problem, solver, None, bks, f"error: {type(exc).__name__}: {exc}"))
                if progress:
                    progress(f"{set_name} {inst.name} {solver}")
    return rows


@contextmanager
def _cores(n: int) -> Iterator[None]:
    """This process (and what it forks) on at most ``n`` of its cores while the block runs."""
    if not hasattr(os, "sched_getaffinity"):  # pragma: no cover - not Linux
        yield
        return
    mine = os.sched_getaffinity(0)
    if len(mine) > n:
        os.sched_setaffinity(0, sorted(mine)[:n])
    try:
        yield
    finally:
        os.sched_setaffinity(0, mine)


def _jakarta_child(solver: str, problem, time_limit: float, seed: int, one_core: bool) -> tuple[Run, float]:
    """Runs in a fresh process so its peak RSS is this solver's alone; ``one_core`` pins it to one CPU."""
    from bench.solver.peers import run_ajib

    if one_core and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    if solver == "ajib":
        run = run_ajib(problem, time_limit, seed, distance_objective=False)
    else:
        run = SOLVERS[solver](problem, time_limit, seed)
    peak_kib = max(resource.getrusage(who).ru_maxrss for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    return run, peak_kib / 1024


def jakarta_plan(solvers: Sequence[str]) -> list[tuple[str, str, bool]]:
    """(label, solver, one core?) per Jakarta run: every solver on one core, ours also on all cores.

    Our solver splits the day by office and solves the parts in parallel; pinned to one
    core it is compared like for like with VROOM (one thread), unpinned it shows what the
    machine gives.
    """
    plan = [(s, s, True) for s in solvers]
    n = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    if "ajib" in solvers and n > 1:
        plan.append((f"ajib ({n} cores)", "ajib", False))
    return plan


def run_jakarta(
    data_dir: Path,
    solvers: Sequence[str],
    time_limit: float,
    seed: int = 1,
    progress: Progress | None = None,
    *,
    jobs: int = 2000,
    couriers: int = 100,
) -> tuple[list[JakartaRow], dict[str, object]]:
    """Generate the synthetic Jakarta day and solve it with each solver (ours and VROOM; PyVRP cannot model it).

    Each run is its own spawned process (see ``jakarta_plan``), so the reported peak memory
    (``getrusage`` max RSS, of the largest process when the solver forks workers) is that
    solver's alone.
    """
    import concurrent.futures
    import multiprocessing

    from bench.solver.jakarta import jakarta_day

    day = jakarta_day(data_dir, seed=seed, jobs=jobs, couriers=couriers)
    problem = day.problem
    info: dict[str, object] = {
        "locations": len(problem.locations),
        "jobs": len(problem.jobs),
        "couriers": len(problem.vehicles),
        "offices": len(day.offices),
        "matrix_s": round(day.matrix_seconds, 3),
        "seed": seed,
    }

    def skipped(solver: str, why: str) -> JakartaRow:
        return JakartaRow(solver, len(problem.jobs), 0, 0, 0, 0.0, 0.0, 0.0, 0.0, 0.0, False, 0, f"skipped: {why}")

    def one(label: str, solver: str, one_core: bool) -> JakartaRow:
        if solver == "pyvrp":
            return skipped(label, "the bench's PyVRP model has no breaks, skills or multiple depots")
        ctx = multiprocessing.get_context("spawn")
        try:
            with concurrent.futures.ProcessPoolExecutor(max_workers=1, mp_context=ctx) as pool:
                run, peak = pool.submit(_jakarta_child, solver, problem, time_limit, seed, one_core).result()
        except SolverUnavailable as exc:
            return skipped(label, str(exc))
        s = run.solution
        violations = verify(problem, s)
        return JakartaRow(
            solver=label,
            jobs=len(problem.jobs),
            served=len(problem.jobs) - len(s.unassigned),
            unassigned=len(s.unassigned),
            routes=vehicles_used(s),
            travel_h=s.summary.duration / 3600,
            distance_km=s.summary.distance / 1000,
            wall_s=run.wall_s,
            cpu_s=run.cpu_s or 0.0,
            peak_rss_mb=peak,
            feasible=not violations,
            violations=len(violations),
            note="; ".join(n for n in (run.note, violations[0].message if violations else "") if n),
        )

    rows: list[JakartaRow] = []
    for label, solver, one_core in jakarta_plan(solvers):
        rows.append(one(label, solver, one_core))
        if progress:
            progress(f"jakarta {label}")
    return rows, info


# Load beyond what the solvers used themselves, in CPU-s per wall second, above which a report says other work
# shared the machine
_OTHER_WORK = 0.5


def load_line(loads: Sequence[float], used: Sequence[tuple[float, float]]) -> str:
    """Whether other work shared the machine, judged from the run: the median 1-min load after each solve against
    the median CPU seconds per wall second the solvers themselves used (``used``: (cpu_s, wall_s) per solve).

    Why not assumed: our engine runs two processes, so a load near 2 on a 2-core machine is the bench itself.
    Every report used to call the machine shared; the quiet runs' notes had to say it was not. The 1-min load lags
    and the solvers' own use is a median, so this is an estimate: cpu_s against wall_s per row tells more."""
    if not loads:
        return "- machine load: not recorded"
    load = statistics.median(loads)
    own = statistics.median(cpu / wall for cpu, wall in used if wall > 0) if used else 0.0
    figures = f"1-min load after each solve median {load:.2f} (max {max(loads):.2f}), the solvers' own use {own:.2f}"
    if load - own > _OTHER_WORK:
        return f"- other work shared the machine ({figures} CPU-s per wall s): not quiet-machine figures"
    return f"- no other work to speak of ({figures} CPU-s per wall s)"


def machine() -> dict[str, str]:
    """Where the figures were measured: CPU, cores, OS, Python and solver versions."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = {}
    for module in ("ortools", "vroom", "pyvrp"):
        try:
            from importlib.metadata import version

            versions[module] = version({"vroom": "pyvroom"}.get(module, module))
        except Exception:
            versions[module] = "not installed"
    return {
        "code": code_state(),
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        **{f"{k} version": v for k, v in versions.items()},
    }


@functools.cache
def code_state() -> str:
    """The commit, and a digest of routing/*.py, so figures can be tied to the solver that made them.

    Cached: the bench calls it before the first solve, so a report written half an hour later still
    names the code that ran, not whatever was committed meanwhile.
    """
    import hashlib
    import subprocess

    root = Path(__file__).resolve().parents[2] / "routing"  # the engine the figures belong to
    digest = hashlib.sha256()
    for path in sorted(root.glob("*.py")):
        digest.update(path.read_bytes())
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        head = "unknown"
    return f"commit {head}, routing/*.py sha256 {digest.hexdigest()[:12]}"


def _fmt(value: object, digits: int = 2) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "**NO**"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def summarize(rows: Sequence[BenchRow]) -> list[dict[str, object]]:
    """Per (set, solver): instances, feasible, solved (feasible, all served), mean gap, mean wall time.

    ``mean gap (common)`` averages over the instances every solver of the set solved, so
    solvers are compared on the same instances.
    """
    out: list[dict[str, object]] = []
    by_set: dict[str, list[BenchRow]] = {}
    for r in rows:
        by_set.setdefault(r.set, []).append(r)
    for set_name, set_rows in by_set.items():
        solvers = list(dict.fromkeys(r.solver for r in set_rows))
        ran = [s for s in solvers if any(r.wall_s is not None for r in set_rows if r.solver == s)]
        common = set.intersection(
            *[{r.instance for r in set_rows if r.solver == s and r.gap_pct is not None} for s in ran]
        ) if ran else set()  # fmt: skip
        for solver in solvers:
            mine = [r for r in set_rows if r.solver == solver]
            solved = [r for r in mine if r.gap_pct is not None]
            walls = [r.wall_s for r in mine if r.wall_s is not None]
            cpus = [r.cpu_s / r.wall_s for r in mine if r.cpu_s is not None and r.wall_s]
            out.append(
                {
                    "set": set_name,
                    "solver": solver,
                    "instances": len(mine),
                    "feasible": sum(1 for r in mine if r.feasible),
                    "solved": len(solved),
                    "mean gap %": statistics.fmean(r.gap_pct for r in solved) if solved else None,
                    "mean gap % (common)": statistics.fmean(r.gap_pct for r in solved if r.instance in common)
                    if common
                    else None,
                    "max gap %": max(r.gap_pct for r in solved) if solved else None,
                    "vehicles": sum(r.vehicles or 0 for r in solved),
                    "mean wall s": statistics.fmean(walls) if walls else None,
                    "cpu/wall": statistics.fmean(cpus) if cpus else None,
                }
            )
    return out


def _threads_text(threads: int) -> str:
    if threads == 1:
        return "one thread each"
    return f"{threads} threads for ours (workers) and VROOM, PyVRP has one"


def write_report(
    out_dir: Path,
    name: str,
    rows: Sequence[BenchRow],
    *,
    command: str,
    time_limit: float,
    jakarta: tuple[Sequence[JakartaRow], dict[str, object]] | None = None,
    threads: int = 1,
) -> tuple[Path, Path]:
    """Write ``<name>.md`` (summary, then one table per set) and ``<name>.csv`` (every row)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    md_path, csv_path = out_dir / f"{name}.md", out_dir / f"{name}.csv"
    with csv_path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow([f.name for f in fields(BenchRow)])
        for r in rows:
            writer.writerow(
                ["" if v is None else (f"{v:.4f}" if isinstance(v, float) else v) for v in asdict(r).values()]
            )
        if jakarta:
            writer.writerow([])
            writer.writerow(["jakarta", *[f.name for f in fields(JakartaRow)]])
            for j in jakarta[0]:
                writer.writerow(["jakarta", *[f"{v:.3f}" if isinstance(v, float) else v for v in asdict(j).values()]])

    lines = [f"# Bench: {name}", ""]
    lines += [
        f"- command: `{command}`",
        f"- time limit: {time_limit:g} s per solver per instance, {_threads_text(threads)}",
    ]
    lines += [f"- {k}: {v}" for k, v in machine().items()]
    lines.append(
        load_line(
            [r.load1 for r in rows if r.load1 is not None],
            [(r.cpu_s, r.wall_s) for r in rows if r.cpu_s is not None and r.wall_s is not None],
        )
    )
    lines += [f"- date: {time.strftime('%Y-%m-%d %H:%M %Z')}", ""]
    lines += [
        "Distances are recomputed in double precision from each route's sequence; the gap is to the",
        "distance-only BKS for Solomon (vroom-scripts `_distance` keys) and to SINTEF's hierarchical BKS",
        "(fewest vehicles first) otherwise, so a negative gap there means more vehicles than the BKS.",
        "Solomon R109 and RC103 are measured against the proven optimum on truncated distances instead",
        "(`proven bound` in `bks_kind`): vroom-scripts' entries for them lie below it, where no plan can be.",
        "`feasible` is the verdict of `routing/verify.py`; a gap is only given when feasible with no job",
        "unassigned.",
        "",
    ]
    if rows:
        summary = summarize(rows)
        keys = list(summary[0])
        lines += ["## Summary", "", "| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
        lines += ["| " + " | ".join(_fmt(s[k]) for k in keys) + " |" for s in summary]
        lines.append("")
    if jakarta:
        jrows, info = jakarta
        lines += ["## Jakarta synthetic day", ""]
        lines += [", ".join(f"{k}: {v}" for k, v in info.items()), ""]
        keys = [f.name for f in fields(JakartaRow)]
        lines += ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
        lines += ["| " + " | ".join(_fmt(getattr(j, k)) for k in keys) + " |" for j in jrows]
        lines.append("")
    for set_name in dict.fromkeys(r.set for r in rows):
        set_rows = [r for r in rows if r.set == set_name]
        solvers = list(dict.fromkeys(r.solver for r in set_rows))
        lines += [f"## {set_name}", ""]
        head = ["instance", "BKS veh", "BKS dist", "hier. BKS veh"]
        for s in solvers:
            head += [f"{s} veh", f"{s} dist", f"{s} gap %", f"{s} s", f"{s} ok"]
        lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        notes: list[str] = []
        for inst in dict.fromkeys(r.instance for r in set_rows):
            mine = {r.solver: r for r in set_rows if r.instance == inst}
            first = next(iter(mine.values()))
            cells = [inst, _fmt(first.bks_vehicles), _fmt(first.bks_distance), _fmt(first.hier_vehicles)]
            for s in solvers:
                r = mine[s]
                ok = r.feasible and r.unassigned == 0 if r.feasible is not None else None
                cells += [_fmt(r.vehicles), _fmt(r.distance), _fmt(r.gap_pct), _fmt(r.wall_s, 1), _fmt(ok)]
                if r.note:
                    notes.append(f"- {inst} / {s}: {r.note}")
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
        if notes:
            lines += ["Notes:", "", *notes, ""]
    md_path.write_text("\n".join(lines))
    return md_path, csv_path
