"""Where background solves run: a ``JobQueue`` takes a solve run id and makes sure it gets executed.

The API only calls ``submit(run_id)`` after the ``SolveRun`` row is committed; the worker reads
everything else from that row, so any queue that can carry a UUID works.

OR-Tools holds the GIL for its whole search, so a solve never runs on a thread of the API process (the
API would stop answering, polls included): ``run_isolated`` carries the run out in a separate process
(spawned, so no lock of a threaded server is inherited) and ticks the run's progress from the calling
process meanwhile. Progress is the elapsed share of the time limit (the engine has no per-solution
callback and always spends its budget), computed in SQL from ``started_at``: 0.05 -> at most 0.95, then 1.0
when the plan is stored.

* ``InProcessQueue`` (default): a thread here waits on ``run_isolated`` for each run, one at a time.
* ``InlineQueue``: runs the solve in ``submit`` itself (tests whose client shares one connection, scripts).
* A Postgres-backed queue such as procrastinate, for several machines: ``submit`` defers a task with the
  run id (``solve_task.defer(run_id=str(run_id))``) and the task body, in a worker process, calls
  ``run_isolated(UUID(run_id), sessions=..., database_url=..., travel=...)``. The task row lives in the same
  database, so it can be deferred in the request's own transaction (a crash between commit and submit then
  loses nothing); ``execute_run`` ignores runs no longer ``queued``, so a task delivered twice does no harm.
"""

from __future__ import annotations

import logging
import multiprocessing
import threading
import uuid
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from typing import Protocol, runtime_checkable

from sqlalchemy import Float, cast, func, update
from sqlalchemy.orm import Session, sessionmaker

from dispatch.clock import utcnow
from dispatch.planning.models import SolveRun
from dispatch.planning.runner import execute_run
from routing import TravelModel

__all__ = ["InProcessQueue", "InlineQueue", "JobQueue", "run_isolated", "tick_progress"]

log = logging.getLogger(__name__)


@runtime_checkable
class JobQueue(Protocol):
    """Hands a committed ``SolveRun`` to whatever executes it."""

    def submit(self, run_id: uuid.UUID) -> None: ...


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


def _solve_in_child(run_id: str, database_url: str, travel: TravelModel) -> None:  # pragma: no cover - child
    import dispatch.models  # noqa: F401 - a fresh process must know every table the ORM relates
    from dispatch.db.session import session_factory

    execute_run(uuid.UUID(run_id), sessions=session_factory(database_url), travel=travel)


_POOLS: dict[int, ProcessPoolExecutor] = {}
_POOLS_LOCK = threading.Lock()


def _pool(workers: int) -> ProcessPoolExecutor:
    with _POOLS_LOCK:
        pool = _POOLS.get(workers)
        if pool is None:
            pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"))
            _POOLS[workers] = pool
        return pool


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
    workers: int = 1,
) -> None:
    """Execute the run in a worker process and tick its progress from here until it ends."""
    future: Future[None] = _pool(workers).submit(_solve_in_child, str(run_id), database_url, travel)
    while True:
        try:
            future.result(timeout=tick_s)
            return
        except TimeoutError:
            try:
                tick_progress(sessions, run_id)
            except Exception:  # pragma: no cover - progress is best effort
                log.warning("could not record progress of run %s", run_id, exc_info=True)
        except Exception as exc:  # the child died (BrokenProcessPool) or could not start
            log.exception("solve run %s: worker process failed", run_id)
            _fail(sessions, run_id, f"worker process failed: {type(exc).__name__}: {exc}")
            with _POOLS_LOCK:
                _POOLS.pop(workers, None)
            return


class InProcessQueue:
    """Runs solves one at a time next to the API: a waiting thread here, the search in a worker process."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        database_url: str | None,
        travel: TravelModel,
        *,
        tick_s: float = 0.5,
    ) -> None:
        self._sessions = sessions
        self._url = database_url
        self._travel = travel
        self._tick_s = tick_s
        self._threads = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ajib-solve")

    def submit(self, run_id: uuid.UUID) -> None:
        self._threads.submit(self._run, run_id)

    def _run(self, run_id: uuid.UUID) -> None:
        try:
            if self._url is None:  # no URL to give a worker process: solve here (the API pauses meanwhile)
                execute_run(run_id, sessions=self._sessions, travel=self._travel)
            else:
                run_isolated(
                    run_id, sessions=self._sessions, database_url=self._url, travel=self._travel, tick_s=self._tick_s
                )
        except Exception:  # pragma: no cover - failures are recorded on the run
            log.exception("solve run %s crashed", run_id)

    def shutdown(self, wait: bool = False) -> None:
        self._threads.shutdown(wait=wait, cancel_futures=not wait)


class InlineQueue:
    """Runs the solve before ``submit`` returns, on the given sessions; no progress ticks."""

    def __init__(self, sessions: sessionmaker[Session], travel: TravelModel) -> None:
        self._sessions = sessions
        self._travel = travel
        self.submitted: list[uuid.UUID] = []

    def submit(self, run_id: uuid.UUID) -> None:
        self.submitted.append(run_id)
        execute_run(run_id, sessions=self._sessions, travel=self._travel)
