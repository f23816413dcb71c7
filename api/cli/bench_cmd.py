"""``ajib bench``: literature instances and a synthetic Jakarta day, ours against VROOM and PyVRP."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import Annotated, NoReturn

import typer

__all__ = ["bench_command"]

SETS = ("solomon", "lilim100", "homberger200", "jakarta")
SOLVER_NAMES = ("ajib", "vroom", "pyvrp")
REPO_ROOT = Path(__file__).resolve().parents[2]
RESULTS_DIR = REPO_ROOT / "bench" / "results"


def _fail(message: str) -> NoReturn:
    typer.echo(f"ajib: error: {message}", err=True)
    raise typer.Exit(2)


def _bench_tooling() -> None:
    """Make ``bench.solver`` importable: it is repository tooling next to the engine, not an installed package."""
    if not (REPO_ROOT / "bench" / "solver" / "__init__.py").is_file():
        _fail(f"benchmark tooling not found: {REPO_ROOT / 'bench' / 'solver'} (ajib bench runs from a checkout)")
    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))


def _shared_dir(option: Path | None) -> Path:
    if option is not None:
        return option
    from dispatch.config import get_settings

    return get_settings().shared_dir


def bench_command(
    sets: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            help="Instance set, repeatable: solomon (56 VRPTW), lilim100 (56 PDPTW), homberger200 (60 VRPTW), "
            "jakarta (synthetic day: 5 offices, 100 couriers, 2,000 jobs). Default: solomon.",
            show_default=False,
        ),
    ] = None,
    instances: Annotated[
        str, typer.Option("--instances", help="Glob on instance names (case-insensitive), e.g. 'r1*' or 'lc10?'.")
    ] = "*",
    time_limit: Annotated[
        float, typer.Option("--time-limit", min=0.1, help="Seconds per solver per instance (the same for all).")
    ] = 10.0,
    solvers: Annotated[
        str,
        typer.Option(
            "--solvers",
            help="Comma-separated: ajib,vroom,pyvrp. VROOM and PyVRP come with `pip install .\\[bench]`; "
            "a missing one is skipped with a note.",
        ),
    ] = "ajib,vroom,pyvrp",
    seed: Annotated[int, typer.Option(help="Seed for our solver, PyVRP and the Jakarta day generator.")] = 1,
    threads: Annotated[
        int,
        typer.Option(
            min=1,
            max=2,
            help="Literature sets: threads per solver (ours: workers, VROOM: threads; PyVRP has one). "
            "Solvers still run one at a time.",
        ),
    ] = 1,
    shared_dir: Annotated[
        Path | None,
        typer.Option(
            "--shared-dir",
            help="Directory with benchmarks/ and data/jakarta/ (default: AJIB_SHARED_DIR, else ../shared "
            "next to the repository).",
            show_default=False,
        ),
    ] = None,
    out_dir: Annotated[
        Path, typer.Option("--out-dir", help="Where <name>.md and <name>.csv go.", show_default="bench/results")
    ] = RESULTS_DIR,
    name: Annotated[
        str | None,
        typer.Option(help="Report name (default: the sets and the time limit, e.g. solomon-10s).", show_default=False),
    ] = None,
) -> None:
    """Benchmark our solver against VROOM and PyVRP on literature instances and a Jakarta day.

    Every solution of every solver is checked by the independent verifier.

    Gaps are to the best known solutions, on true (double-precision) Euclidean distance.

    Writes a markdown report and a CSV to --out-dir (default bench/results).
    """
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    _bench_tooling()
    from bench.solver.run import (
        LITERATURE_SETS,
        code_state,
        instance_paths,
        jakarta_plan,
        run_jakarta,
        run_literature,
        summarize,
        write_report,
    )

    code_state()  # the code that runs, recorded now (see its docstring)
    chosen = list(dict.fromkeys(sets or ["solomon"]))
    for s in chosen:
        if s not in SETS:
            _fail(f"--set {s!r}: unknown set; choose from {', '.join(SETS)}")
    solver_list = [s.strip() for s in solvers.split(",") if s.strip()]
    for s in solver_list:
        if s not in SOLVER_NAMES:
            _fail(f"--solvers: unknown solver {s!r}; choose from {', '.join(SOLVER_NAMES)}")
    if not solver_list:
        _fail("--solvers: name at least one solver")
    root = _shared_dir(shared_dir)
    benchmarks = root / "benchmarks"
    literature = [s for s in chosen if s in LITERATURE_SETS]
    if literature and not benchmarks.is_dir():
        _fail(f"benchmark directory not found: {benchmarks} (set --shared-dir or AJIB_SHARED_DIR)")
    if "jakarta" in chosen and not (root / "data" / "jakarta").is_dir():
        _fail(f"Jakarta geodata not found: {root / 'data' / 'jakarta'} (set --shared-dir or AJIB_SHARED_DIR)")
    count = sum(len(instance_paths(benchmarks, s, instances)) for s in literature)
    if literature and count == 0:
        _fail(f"--instances {instances!r}: no instance of {', '.join(literature)} matches")

    console = Console(stderr=True)
    for solver, module in (("vroom", "vroom"), ("pyvrp", "pyvrp")):
        if solver in solver_list:
            try:
                __import__(module)
            except ImportError:
                console.print(
                    f"note: {solver} is not importable (pip install .[bench]); its rows are skipped", markup=False
                )
    total = count * len(solver_list) + (len(jakarta_plan(solver_list)) if "jakarta" in chosen else 0)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task("bench", total=total)

        def advance(label: str) -> None:
            progress.update(task, advance=1, description=label)

        rows = (
            run_literature(benchmarks, literature, solver_list, time_limit, instances, seed, advance, threads)
            if literature
            else []
        )
        jakarta = (
            run_jakarta(root / "data" / "jakarta", solver_list, time_limit, seed, advance)
            if "jakarta" in chosen
            else None
        )
    report = name or f"{'-'.join(chosen)}-{time_limit:g}s"
    command = "ajib bench " + " ".join(shlex.quote(a) for a in sys.argv[2:]) if len(sys.argv) > 1 else "ajib bench"
    md, csv_path = write_report(
        out_dir, report, rows, command=command, time_limit=time_limit, jakarta=jakarta, threads=threads
    )
    for s in summarize(rows):
        gap = s["mean gap %"]
        gap_text = f"{gap:.2f} %" if isinstance(gap, float) else "–"
        typer.echo(
            f"{s['set']:<13} {s['solver']:<6} solved {s['solved']}/{s['instances']} "
            f"(feasible {s['feasible']}), mean gap {gap_text}"
        )
    if jakarta:
        for j in jakarta[0]:
            typer.echo(
                f"jakarta       {j.solver:<6} served {j.served}/{j.jobs}, travel {j.travel_h:.1f} h, "
                f"{j.wall_s:.1f} s, peak {j.peak_rss_mb:.0f} MiB, feasible {j.feasible}"
            )
    typer.echo(f"wrote {md} and {csv_path}")
