"""Where background solves run: a ``JobQueue`` takes a solve run id and makes sure it gets executed.

The API only ever calls ``submit(run_id)`` after the ``SolveRun`` row is committed; the worker reads
everything else from that row, so any queue that can carry a UUID works:

* ``InProcessQueue`` (default): a small thread pool inside the API process. Enough for one machine;
  a run whose process dies stays ``running`` until it is older than its time limit plus a grace
  period, after which a new request for the same office-day is accepted (see ``service``).
* ``InlineQueue``: runs the solve synchronously inside ``submit`` (tests, CLI scripts).
* A Postgres-backed queue such as procrastinate, for several machines, implements the same two
  lines: ``submit`` defers a task with the run id (``solve_task.defer(run_id=str(run_id))``), and the
  task body, in a worker process with its own engine, calls
  ``dispatch.planning.runner.execute_run(run_id, sessions=..., travel=...)``. Because the task is
  inserted in the same database, it could even be deferred inside the request's transaction,
  so a crash between commit and submit cannot lose it; ``execute_run`` ignores runs that are no
  longer ``queued``, so a task delivered twice does no harm.
"""

from __future__ import annotations

import logging
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Protocol, runtime_checkable

from sqlalchemy.orm import Session, sessionmaker

from dispatch.planning.runner import execute_run
from routing.travel import TravelModel

__all__ = ["InProcessQueue", "InlineQueue", "JobQueue"]

log = logging.getLogger(__name__)


@runtime_checkable
class JobQueue(Protocol):
    """Hands a committed ``SolveRun`` to whatever executes it."""

    def submit(self, run_id: uuid.UUID) -> None: ...


class InProcessQueue:
    """A thread pool in the API process; each run opens its own sessions from ``sessions``.

    One worker by default: a solve keeps a core busy for its whole time limit, and the machine
    has few. OR-Tools releases the GIL while it searches, so requests are still served.
    """

    def __init__(
        self, sessions: sessionmaker[Session], travel: TravelModel, *, workers: int = 1, tick_s: float = 0.5
    ) -> None:
        self._sessions = sessions
        self._travel = travel
        self._tick_s = tick_s
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ajib-solve")
        self.futures: dict[uuid.UUID, Future[None]] = {}

    def submit(self, run_id: uuid.UUID) -> None:
        self.futures[run_id] = self._pool.submit(self._run, run_id)

    def _run(self, run_id: uuid.UUID) -> None:
        try:
            execute_run(run_id, sessions=self._sessions, travel=self._travel, tick_s=self._tick_s)
        except Exception:  # pragma: no cover - execute_run records failures itself
            log.exception("solve run %s crashed", run_id)
        finally:
            self.futures.pop(run_id, None)

    def shutdown(self, wait: bool = False) -> None:
        self._pool.shutdown(wait=wait, cancel_futures=not wait)


class InlineQueue:
    """Runs the solve before ``submit`` returns; no progress ticks (one connection may be shared)."""

    def __init__(self, sessions: sessionmaker[Session], travel: TravelModel) -> None:
        self._sessions = sessions
        self._travel = travel
        self.submitted: list[uuid.UUID] = []

    def submit(self, run_id: uuid.UUID) -> None:
        self.submitted.append(run_id)
        execute_run(run_id, sessions=self._sessions, travel=self._travel, tick_s=0)
