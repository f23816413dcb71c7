"""``ajib bench``: literature sets, a synthetic Jakarta day and the AJIB office days; ours, VROOM and PyVRP."""

from __future__ import annotations

import os
import shlex
import sys
import time
from pathlib import Path
from typing import Annotated, NoReturn

import typer

__all__ = ["bench_command"]

SETS = ("solomon", "lilim100", "lilim200", "lilim400", "homberger200", "homberger400", "jakarta", "ajib-days")
DAY_SIZES = ("office", "kota", "city", "tiny")
DAY_VARIANTS = ("plain", "breaks", "trips", "trips-breaks")
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


def _choices(option: str, text: str, allowed: tuple[str, ...]) -> list[str]:
    chosen = list(dict.fromkeys(x.strip() for x in text.split(",") if x.strip()))
    for x in chosen:
        if x not in allowed:
            _fail(f"{option}: unknown {x!r}; choose from {', '.join(allowed)}")
    if not chosen:
        _fail(f"{option}: name at least one")
    return chosen


def _seeds(text: str) -> list[int]:
    """``N`` -> 0..N-1; ``A-B`` -> A..B; ``A,B`` -> those."""
    try:
        if "," in text:
            out = [int(x) for x in text.split(",") if x.strip()]
        elif "-" in text.strip()[1:]:
            a, b = text.split("-", 1)
            out = list(range(int(a), int(b) + 1))
        else:
            out = list(range(int(text)))
    except ValueError:
        _fail(f"--seeds {text!r}: give a count (10), a range (100-109) or a list (0,3,5)")
    if not out or min(out) < 0:
        _fail(f"--seeds {text!r}: no seeds (or a negative one)")
    return out


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
            help="Instance set, repeatable: solomon (56 VRPTW), lilim100 (56 PDPTW), lilim200 (60 PDPTW), "
            "lilim400 (60 PDPTW), homberger200 (60 VRPTW), homberger400 (60 VRPTW), "
            "jakarta (synthetic day: 5 offices, 100 couriers, 2,000 jobs), "
            "ajib-days (the AJIB office-day family, see --sizes). Default: solomon.",
            show_default=False,
        ),
    ] = None,
    instances: Annotated[
        str, typer.Option("--instances", help="Glob on instance names (case-insensitive), e.g. 'r1*' or 'lc10?'.")
    ] = "*",
    time_limit: Annotated[
        float | None,
        typer.Option(
            "--time-limit",
            min=0.1,
            help="Seconds per solver per instance (the same for all); default 10, and for ajib-days "
            "10 s office / 30 s kota / 60 s city (VROOM runs there without a limit).",
            show_default=False,
        ),
    ] = None,
    sizes: Annotated[
        str,
        typer.Option(
            "--sizes",
            help="ajib-days: comma-separated office (8-12 couriers, 100-150 jobs), kota (~25 couriers, "
            "~400 jobs), city (5-15 offices together); tiny (2-3 couriers, 15-20 jobs) for smoke tests.",
        ),
    ] = "office,kota,city",
    seeds: Annotated[
        str,
        typer.Option(
            "--seeds",
            help="ajib-days: a count N (seeds 0..N-1, the held-out reporting seeds when N <= 10), "
            "a range 'A-B' or a list 'A,B,C'. Tune on seeds 100 and up, never on 0-9.",
        ),
    ] = "10",
    peer_cache: Annotated[
        Path | None,
        typer.Option(
            "--peer-cache",
            help="ajib-days: keep VROOM's and PyVRP's answers here (named by the request's digest) and reuse "
            "them in later runs, verified again (they do not change with our engine).",
            show_default=False,
        ),
    ] = None,
    variants: Annotated[
        str,
        typer.Option(
            "--variants",
            help="ajib-days: plain (no breaks), breaks (lunch / Friday prayer); trips, trips-breaks: the same days "
            "as the product plans them, every bundle through the office (couriers may go back mid-day).",
        ),
    ] = "plain,breaks",
    solvers: Annotated[
        str,
        typer.Option(
            "--solvers",
            help="Comma-separated: ajib,vroom,pyvrp. VROOM and PyVRP come with `pip install .\\[bench]`; "
            "a missing one is skipped with a note.",
        ),
    ] = "ajib,vroom,pyvrp",
    seed: Annotated[
        int,
        typer.Option(help="Seed for our solver, PyVRP and the Jakarta day generator (ajib-days: the day's seed)."),
    ] = 1,
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
    from bench.solver.days import run_days, summarize_days, write_days_report
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
    load_start = os.getloadavg()
    started = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
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
    days = "ajib-days" in chosen
    size_list = _choices("--sizes", sizes, DAY_SIZES)
    variant_list = _choices("--variants", variants, DAY_VARIANTS)
    seed_list = _seeds(seeds)
    from bench.solver.days import DEFAULT_LIMITS

    day_limits = {s: time_limit if time_limit is not None else DEFAULT_LIMITS[s] for s in DAY_SIZES}
    geodata = root / "data" / "jakarta"

    console = Console(stderr=True)
    for solver, module in (("vroom", "vroom"), ("pyvrp", "pyvrp")):
        if solver in solver_list:
            try:
                __import__(module)
            except ImportError:
                console.print(
                    f"note: {solver} is not importable (pip install .[bench]); its rows are skipped", markup=False
                )
    if days and not geodata.is_dir():
        console.print(f"note: no Jakarta geodata at {geodata}: the days use synthetic places", markup=False)
    total = count * len(solver_list) + (len(jakarta_plan(solver_list)) if "jakarta" in chosen else 0)
    if days:
        total += len(size_list) * len(seed_list) * len(variant_list) * len(solver_list)
    limit = time_limit if time_limit is not None else 10.0
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task("bench", total=total)

        def advance(label: str) -> None:
            progress.update(task, advance=1, description=label)

        rows = (
            run_literature(benchmarks, literature, solver_list, limit, instances, seed, advance, threads)
            if literature
            else []
        )
        jakarta = (
            run_jakarta(root / "data" / "jakarta", solver_list, limit, seed, advance) if "jakarta" in chosen else None
        )
        day_rows = (
            run_days(
                geodata if geodata.is_dir() else None,
                size_list,
                seed_list,
                variant_list,
                solver_list,
                day_limits,
                advance,
                peer_cache,
            )
            if days
            else []
        )
    command = "ajib bench " + " ".join(shlex.quote(a) for a in sys.argv[2:]) if len(sys.argv) > 1 else "ajib bench"
    if days:
        day_name = name if name and chosen == ["ajib-days"] else f"ajib-days-{'-'.join(size_list)}"
        if time_limit is not None and not name:
            day_name += f"-{time_limit:g}s"
        md, csv_path = write_days_report(
            out_dir, day_name, day_rows, command=command, limits=day_limits, load_start=load_start, started=started
        )
        for s in summarize_days(day_rows):
            mean = s["mean ours÷best"]
            typer.echo(
                f"ajib-days {s['size']:<6} {s['variant']:<6} served >= every peer {s['served ≥ every peer']}, "
                f"mean ours/best {mean:.3f} over {s['equal-service days']} equal-service days"
                if isinstance(mean, float)
                else f"ajib-days {s['size']:<6} {s['variant']:<6} served >= every peer {s['served ≥ every peer']}"
            )
        typer.echo(f"wrote {md} and {csv_path}")
        if chosen == ["ajib-days"]:
            return
    report = name or f"{'-'.join(c for c in chosen if c != 'ajib-days')}-{limit:g}s"
    md, csv_path = write_report(
        out_dir, report, rows, command=command, time_limit=limit, jakarta=jakarta, threads=threads
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
