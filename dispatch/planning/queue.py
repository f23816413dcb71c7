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

import ctypes
import logging
import multiprocessing
import os
import signal
import sys
import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from sqlalchemy import Float, cast, event, func, update
from sqlalchemy.orm import Session, sessionmaker

from dispatch.clock import utcnow
from dispatch.planning.models import SolveRun
from dispatch.planning.runner import execute_run
from routing.travel import TravelModel

if TYPE_CHECKING:
    import procrastinate

__all__ = [
    "SOLVE_QUEUE",
    "SOLVE_TASK",
    "InlineQueue",
    "JobQueue",
    "TaskQueue",
    "die_with_parent",
    "run_isolated",
    "tick_progress",
]

log = logging.getLogger(__name__)

SOLVE_QUEUE = "solves"
SOLVE_TASK = "ajib.solve_run"
_PR_SET_PDEATHSIG = 1


@runtime_checkable
class JobQueue(Protocol):
    """Queues committed-or-nothing work: ``defer`` runs inside the caller's transaction."""

    def defer(self, session: Session, run_ids: Sequence[uuid.UUID], *, request_id: str | None = None) -> None: ...


class TaskQueue:
    """One procrastinate task per run, inserted on the session's own connection (same transaction)."""

    def __init__(self, app: procrastinate.App) -> None:
        self._app = app

    def defer(self, session: Session, run_ids: Sequence[uuid.UUID], *, request_id: str | None = None) -> None:
        connection = session.connection().connection.driver_connection  # psycopg.Connection in the transaction
        task = self._app.tasks[SOLVE_TASK].configure(connection=connection)
        task.batch_defer(*({"run_id": str(rid), "request_id": request_id} for rid in run_ids))


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


def die_with_parent(parent_pid: int) -> None:
    """Ask Linux to SIGKILL this process when its parent (the worker thread that started it) dies.

    The parent may already be gone by the time this runs (killed between fork and here): then the
    process has been re-parented and exits at once instead of solving for nobody.
    """
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:  # pragma: no cover - kernel refused
            log.warning("prctl(PR_SET_PDEATHSIG) failed: errno %s", ctypes.get_errno())
    if os.getppid() != parent_pid:
        os._exit(1)


def _solve_in_child(
    run_id: str, database_url: str, travel: TravelModel, parent_pid: int, takeover: bool, context: dict[str, Any]
) -> None:  # pragma: no cover - runs in the solver process (covered by the worker tests)
    die_with_parent(parent_pid)
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

    The process is started from (and waited for by) the calling thread: ``PR_SET_PDEATHSIG`` fires when
    the *thread* that forked a process exits, so a pool whose processes outlive their creating thread
    would be killed early, or never. Returns the solver process's exit code.
    """
    ctx = multiprocessing.get_context("spawn")  # a fresh interpreter: no lock of a threaded worker inherited
    proc = ctx.Process(
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
