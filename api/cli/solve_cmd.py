"""``ajib solve``: answer a VROOM-format request with our solver, in VROOM's output format."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Annotated, NoReturn

import typer

__all__ = ["solve_command"]

EXIT_INPUT = 2  # malformed or unsupported input (VROOM's "input error" code)
EXIT_INTERNAL = 1


def _fail(message: str, code: int) -> NoReturn:
    """One line on stderr, no traceback: what is wrong and where."""
    typer.echo(f"ajib: error: {' '.join(message.split())}", err=True)
    raise typer.Exit(code)


def solve_command(
    input: Annotated[
        Path,
        typer.Argument(
            help="VROOM-format request (JSON): jobs, shipments, vehicles, and matrices or lon/lat "
            "locations. '-' reads standard input. Supported subset: docs/vroom-json.md.",
            show_default=False,
        ),
    ],
    output: Annotated[
        Path | None,
        typer.Option("-o", "--output", help="Write the VROOM-format answer here instead of standard output."),
    ] = None,
    time_limit: Annotated[
        float,
        typer.Option("--time-limit", min=0.01, help="Solver budget in seconds (model building included)."),
    ] = 10.0,
    seed: Annotated[
        int, typer.Option(help="Search seed: same request, seed and budget give the same kind of plan.")
    ] = 0,
    workers: Annotated[
        int, typer.Option(min=1, max=2, help="1, or 2 to race two first-solution strategies on two cores.")
    ] = 1,
    check: Annotated[
        bool,
        typer.Option(
            "--verify/--no-verify",
            help="Check the answer with the independent verifier (routing/verify.py); "
            "a failed check still writes the answer but exits with status 1.",
        ),
    ] = True,
) -> None:
    """Solve a VROOM-format request and print the answer in VROOM's output format.

    Unassigned tasks carry two extra fields: reason and reason_detail.

    Exit status: 0 solved; 2 malformed input (one line on stderr: what and where); 1 solver or check failed.
    """
    from routing.params import SolveParams
    from routing.problem import ProblemError
    from routing.solve import solve
    from routing.travel import TravelError
    from routing.verify import verify
    from routing.vroom_json import VroomInputError, dumps, load_input, write_output

    name = "<stdin>" if str(input) == "-" else str(input)
    t0 = time.perf_counter()
    try:
        text = sys.stdin.read() if str(input) == "-" else input.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        _fail(f"cannot read {name}: {getattr(exc, 'strerror', None) or exc}", EXIT_INPUT)
    try:
        doc = load_input(text)
    except VroomInputError as exc:
        _fail(f"{name}: {exc}", EXIT_INPUT)
    except (ProblemError, TravelError) as exc:
        _fail(f"{name}: {exc}", EXIT_INPUT)
    for note in doc.notes:
        typer.echo(f"ajib: note: {note}", err=True)
    loaded = time.perf_counter()
    try:
        params = SolveParams(time_limit_s=time_limit, seed=seed, num_workers=workers)
        solution = solve(doc.problem, params)
    except Exception as exc:  # the solver's own failure: one line, not a traceback
        _fail(f"solver failed: {type(exc).__name__}: {exc}", EXIT_INTERNAL)
    solved = time.perf_counter()
    answer = write_output(
        doc,
        solution,
        computing_times={"loading": round((loaded - t0) * 1000), "solving": round((solved - loaded) * 1000)},
    )
    text_out = dumps(answer) + "\n"
    if output is None:
        sys.stdout.write(text_out)
    else:
        try:
            output.write_text(text_out, encoding="utf-8")
        except OSError as exc:
            _fail(f"cannot write {output}: {exc.strerror or exc}", EXIT_INTERNAL)
    if check:
        problems = verify(doc.problem, solution)
        if problems:
            more = f" (+{len(problems) - 1} more)" if len(problems) > 1 else ""
            _fail(f"the answer failed verification: {problems[0]}{more}", EXIT_INTERNAL)
