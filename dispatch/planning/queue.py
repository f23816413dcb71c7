"""Where background solves run: a task on procrastinate (a queue kept in PostgreSQL), run by ``ajib worker``.

``request_solve`` inserts the ``SolveRun`` row and defers its task **in the same transaction**
(``JobQueue.defer``), so a run exists if and only if its task does: a crash between the two cannot leave
a run "Menunggu giliran" forever, and a rolled-back request queues nothing. API processes only insert;
they never solve. Any number of ``ajib worker`` processes, on any machine, take tasks from the queue
(``dispatch.tasks``); a task whose worker stopped sending heartbeats (SIGKILL, power cut) is retried on
another, and the run is taken over there (``runner.execute_run`` with ``takeover``).

OR-Tools holds the GIL for its whole search, so a worker never solves on its own threads (its
heartbeats would stop): ``run_isolated`` starts one solver process per run and ticks the run's progress
from the worker meanwhile. The solver process asks the kernel to kill it when the thread that started
it dies (``PR_SET_PDEATHSIG``), so a worker killed with SIGKILL leaves no solver behind. Progress is the
elapsed share of the time limit (the engine always spends its budget), computed in SQL from
``started_at``: 0.05 -> at most 0.95, then 1.0 when the plan is stored.

* ``TaskQueue`` (default): defers on procrastinate, on the request's own connection.
* ``InlineQueue``: runs the solve right after the request's commit, in the calling thread (tests whose
  client shares one connection, scripts); same ``execute_run``.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from sqlalchemy import Float, cast, event, func, update
from sqlalchemy.orm import Session, sessionmaker

from dispatch.clock import utcnow
from dispatch.planning.models import SolveRun
from dispatch.planning.runner import execute_run
from routing import TravelModel
from routing import die_with_parent as engine_die_with_parent

if TYPE_CHECKING:
    import procrastinate
    from procrastinate.jobs import JobDeferrer

__all__ = [
    "SOLVE_QUEUE",
    "SOLVE_TASK",
    "InlineQueue",
    "JobQueue",
    "TaskQueue",
    "die_with_parent",
    "run_isolated",
    "solve_deferrer",
    "solver_context",
    "tick_progress",
    "warm_solver_server",
]

log = logging.getLogger(__name__)

SOLVE_QUEUE = "solves"
SOLVE_TASK = "ajib.solve_run"


@runtime_checkable
class JobQueue(Protocol):
    """Queues committed-or-nothing work: ``defer`` runs inside the caller's transaction."""

    def defer(self, session: Session, run_ids: Sequence[uuid.UUID], *, request_id: str | None = None) -> None: ...


def solve_deferrer(app: procrastinate.App, connection: Any = None, queue: str = SOLVE_QUEUE) -> JobDeferrer:
    """Defers the solve task through ``app``'s own job manager. ``app.tasks[...]`` would not do: the task is
    declared once on a module-level blueprint, and procrastinate binds it to the *last* app that registered it
    (a process holding apps for two databases, e.g. a test worker, would insert through an unopened pool).
    ``queue``: another queue than the workers', where none of them takes or retries it (tests)."""
    from procrastinate.tasks import configure_task

    return configure_task(name=SOLVE_TASK, job_manager=app.job_manager, queue=queue, connection=connection)


class TaskQueue:
    """One procrastinate task per run, inserted on the session's own connection (same transaction)."""

    def __init__(self, app: procrastinate.App) -> None:
        self._app = app

    def defer(self, session: Session, run_ids: Sequence[uuid.UUID], *, request_id: str | None = None) -> None:
        connection = session.connection().connection.driver_connection  # psycopg.Connection in the transaction
        task = solve_deferrer(self._app, connection)
        jobs: list[dict[str, Any]] = [{"run_id": str(rid), "request_id": request_id} for rid in run_ids]
        task.batch_defer(*jobs)


class InlineQueue:
    """Runs each deferred solve when the request's transaction commits, on the given sessions; no ticks."""

    def __init__(self, sessions: sessionmaker[Session], travel: TravelModel) -> None:
        self._sessions = sessions
        self._travel = travel
        self.submitted: list[uuid.UUID] = []

    def defer(self, session: Session, run_ids: Sequence[uuid.UUID], *, request_id: str | None = None) -> None:
        ids = list(run_ids)

        def run(_: Session) -> None:
            for run_id in ids:
                self.submitted.append(run_id)
                execute_run(run_id, sessions=self._sessions, travel=self._travel)

        event.listen(session, "after_commit", run, once=True)


def tick_progress(sessions: sessionmaker[Session], run_id: uuid.UUID) -> None:
    """Move a running run's progress to the elapsed share of its time limit (never backwards, at most 0.95)."""
    limit = func.greatest(cast(SolveRun.params["time_limit_s"].astext, Float), 0.1)
    elapsed = func.extract("epoch", func.clock_timestamp() - SolveRun.started_at)
    share = func.least(0.95, 0.05 + 0.9 * elapsed / limit)
    with sessions() as s:
        s.execute(
            update(SolveRun)
            .where(SolveRun.id == run_id, SolveRun.status == "running")
            .values(progress=func.greatest(SolveRun.progress, share))
        )
        s.commit()


def die_with_parent(worker_pid: int | None = None) -> None:
    """Ask Linux to SIGKILL this process when its parent dies, and exit now if that already happened.

    The parent is the worker itself, or its fork server, which exits as soon as the worker is gone (it
    reads EOF on the worker's pipe): either way a solver never outlives its worker. ``PR_SET_PDEATHSIG`` is
    tied to the parent *thread*, so a worker must start solvers from a thread that waits for them (or
    from the single-threaded fork server).
    """
    parent = os.getppid()
    if parent == 1:  # re-parented before the kernel could watch for it
        os._exit(1)
    engine_die_with_parent(parent)  # the engine's own rule for the processes it forks (routing.lifetime)
    if worker_pid is not None:
        try:
            os.kill(worker_pid, 0)
        except ProcessLookupError:
            os._exit(1)
        except PermissionError:  # pragma: no cover - alive, another user's (never here)
            pass


SOLVER_PRELOAD = ["dispatch.models", "dispatch.planning.queue", "dispatch.observability.logs", "routing.kernels"]


def solver_context() -> Any:
    """Solver processes are forked from a fork server that has already imported OR-Tools, numba's kernels
    and the ORM (a fresh interpreter per solve spent ~10 s importing on a busy 2-core machine); the fork
    server is a clean single-threaded process, so no lock of the threaded worker is inherited."""
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(SOLVER_PRELOAD)
    return ctx


def warm_solver_server() -> None:
    """Start the fork server (and its imports) now, not during the first solve's time limit."""
    from multiprocessing import forkserver

    solver_context()
    forkserver.ensure_running()


def _solve_in_child(
    run_id: str, database_url: str, travel: TravelModel, worker_pid: int, takeover: bool, context: dict[str, Any]
) -> None:  # pragma: no cover - runs in the solver process (covered by the worker tests)
    die_with_parent(worker_pid)
    from dispatch.observability.logs import configure_logging, request_context

    configure_logging(context.get("log_format", "text"))
    import dispatch.models  # noqa: F401 - a fresh process must know every table the ORM relates
    from dispatch.db.session import session_factory

    with request_context(context.get("request_id")):
        execute_run(
            uuid.UUID(run_id),
            sessions=session_factory(database_url, prepare_threshold=context.get("prepare_threshold", 5)),
            travel=travel,
            takeover=takeover,
            worker=context.get("worker"),
        )


def _fail(sessions: sessionmaker[Session], run_id: uuid.UUID, message: str) -> None:
    with sessions() as s:
        run = s.get(SolveRun, run_id)
        if run is not None and run.status in ("queued", "running"):
            run.status, run.finished_at, run.message = "failed", utcnow(), message[:1000]
            s.commit()


def run_isolated(
    run_id: uuid.UUID,
    *,
    sessions: sessionmaker[Session],
    database_url: str,
    travel: TravelModel,
    tick_s: float = 0.5,
    takeover: bool = False,
    context: dict[str, Any] | None = None,
    on_start: Any = None,
) -> int | None:
    """Execute the run in a fresh solver process, ticking its progress from here until it ends.

    One process per run (forked by the warm fork server, see ``solver_context``), waited for here: a
    process pool would outlive the thread that started it, and ``PR_SET_PDEATHSIG`` fires when the
    *thread* that forked a process exits. Returns the solver process's exit code.
    """
    proc = solver_context().Process(
        target=_solve_in_child,
        args=(str(run_id), database_url, travel, os.getpid(), takeover, dict(context or {})),
        name=f"ajib-solve-{run_id}",
        daemon=False,
    )
    proc.start()
    if on_start is not None:
        on_start(proc.pid)
    while True:
        proc.join(timeout=tick_s)
        if proc.exitcode is not None:
            break
        try:
            tick_progress(sessions, run_id)
        except Exception:  # pragma: no cover - progress is best effort
            log.warning("could not record progress of run %s", run_id, exc_info=True)
    if proc.exitcode != 0:
        log.error("solve run %s: solver process exited with %s", run_id, proc.exitcode)
        _fail(sessions, run_id, f"solver process exited with {proc.exitcode}")
    return proc.exitcode
