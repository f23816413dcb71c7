"""Background tasks on procrastinate (PostgreSQL): the solve task and the ``ajib worker`` loop around it.

Why procrastinate: the queue lives in the database AJIB already has (no broker to run), a task is
deferred in the same transaction as the row it is about, workers on any machine take tasks with
``SELECT ... FOR UPDATE SKIP LOCKED`` and LISTEN/NOTIFY, and each worker sends heartbeats, so the tasks
of a worker that died (SIGKILL, power cut) are found and retried (``retry_stalled``).

Settings used: ``worker_heartbeat_s`` (how often a worker says it is alive), ``worker_stalled_s``
(silence after which its tasks are retried elsewhere), ``worker_listen_notify`` (off behind pgbouncer in
transaction mode: the worker polls instead).
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
import uuid
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import procrastinate
from procrastinate import JobContext
from sqlalchemy.engine import make_url

from dispatch.observability.logs import request_context
from dispatch.observability.metrics import observe_solve
from dispatch.planning.queue import SOLVE_QUEUE, SOLVE_TASK, TaskQueue, run_isolated, warm_solver_server

if TYPE_CHECKING:
    from dispatch.config import Settings

__all__ = ["WorkerConfig", "libpq_url", "retry_stalled", "run_worker", "task_app", "task_queue"]

log = logging.getLogger(__name__)

tasks = procrastinate.Blueprint()


def libpq_url(url: str) -> str:
    """A SQLAlchemy URL (``postgresql+psycopg://``) as libpq wants it (``postgresql://``)."""
    parsed = make_url(url)
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


@lru_cache(maxsize=8)
def task_app(database_url: str, prepare_threshold: int | None = 5) -> procrastinate.App:
    """The procrastinate app for ``database_url``; API processes only defer (never open its pool)."""
    connector = procrastinate.PsycopgConnector(
        conninfo=libpq_url(database_url),
        kwargs={"prepare_threshold": prepare_threshold},
        min_size=1,
        max_size=4,
    )
    app = procrastinate.App(connector=connector)
    app.add_tasks_from(tasks, namespace="")
    return app


def task_queue(settings: Settings, database_url: str) -> TaskQueue:
    return TaskQueue(task_app(database_url, settings.db_prepare_threshold))


@tasks.task(name=SOLVE_TASK, queue=SOLVE_QUEUE, pass_context=True)
def solve_run(context: JobContext, run_id: str, request_id: str | None = None) -> None:
    """Plan or re-plan one office-day (the ``SolveRun`` row says which), in a solver process of its own."""
    extra: dict[str, Any] = context.additional_context or {}
    job = context.job
    # One task per run, so a run already "running" when its task starts means the worker that started it was
    # declared dead (heartbeats stopped) and procrastinate retried the task here: take the run over.
    takeover = True
    with request_context(request_id):
        log.info("solve run %s: start (task %s, attempt %s)", run_id, job.id, (job.attempts or 0) + 1)
        started = time.monotonic()
        code = run_isolated(
            uuid.UUID(run_id),
            sessions=extra["sessions"],
            database_url=extra["database_url"],
            travel=extra["travel"],
            takeover=takeover,
            context={
                "request_id": request_id,
                "worker": extra["worker_name"],
                "log_format": extra["log_format"],
                "prepare_threshold": extra["prepare_threshold"],
            },
            on_start=extra.get("on_solver_start"),
        )
        kind, outcome = _outcome(extra["sessions"], uuid.UUID(run_id))
        observe_solve(kind, outcome if code == 0 else "failed", time.monotonic() - started)
        log.info("solve run %s: %s in %.1f s", run_id, outcome, time.monotonic() - started)


def _outcome(sessions: Any, run_id: uuid.UUID) -> tuple[str, str]:
    from dispatch.planning.models import SolveRun

    with sessions() as s:
        run = s.get(SolveRun, run_id)
        return (run.kind, run.status) if run is not None else ("plan", "missing")


async def retry_stalled(app: procrastinate.App, *, stalled_s: float, queue: str | None = SOLVE_QUEUE) -> int:
    """Put the tasks of workers silent for ``stalled_s`` back in the queue; returns how many this call did.

    Every worker runs this, so another one may retry (or a worker take) a task between the query and the
    retry: procrastinate then refuses the retry ("invalid status"), and that task is skipped, not the rest
    of the list (it once failed a test whose stalled task a live server's worker retried first).
    """
    from procrastinate.exceptions import ConnectorException

    stalled = await app.job_manager.get_stalled_jobs(queue=queue, seconds_since_heartbeat=stalled_s)
    count = 0
    for job in stalled:
        try:
            await app.job_manager.retry_job(job)
        except ConnectorException as exc:
            log.info("task %s (%s) of a stalled worker: not retried here (%s)", job.id, job.task_name, exc)
            continue
        log.warning("task %s (%s) of a stalled worker: retried", job.id, job.task_name)
        count += 1
    return count


class WorkerConfig:
    """What one ``ajib worker`` process needs; built by the CLI from settings."""

    def __init__(
        self,
        *,
        settings: Settings,
        database_url: str,
        concurrency: int = 1,
        name: str | None = None,
    ) -> None:
        self.settings = settings
        self.database_url = database_url
        self.concurrency = concurrency
        self.name = name or f"{socket.gethostname()}:{os.getpid()}"


async def _watch_stalled(app: procrastinate.App, *, every_s: float, stalled_s: float) -> None:
    while True:
        await asyncio.sleep(every_s)
        try:
            await retry_stalled(app, stalled_s=stalled_s)
        except Exception:  # the database may be away for a moment: try again next round
            log.warning("could not look for stalled tasks", exc_info=True)


async def run_worker(config: WorkerConfig) -> None:
    """Take solve tasks until SIGTERM/SIGINT (procrastinate's handlers: the task in hand is finished first)."""
    import dispatch.models  # noqa: F401 - the ORM's relations need every mapper
    from dispatch.db.session import session_factory
    from dispatch.planning.problem_builder import travel_for

    settings = config.settings
    app = task_app(config.database_url, settings.db_prepare_threshold)
    sessions = session_factory(
        config.database_url, pool_size=2, max_overflow=2, prepare_threshold=settings.db_prepare_threshold
    )
    context = {
        "sessions": sessions,
        "database_url": config.database_url,
        "travel": travel_for(settings),
        "worker_name": config.name,
        "log_format": settings.log_format,
        "prepare_threshold": settings.db_prepare_threshold,
    }
    heartbeat = settings.worker_heartbeat_s
    stalled = settings.worker_stalled_s
    await asyncio.to_thread(warm_solver_server)
    async with app.open_async():
        watcher = asyncio.create_task(_watch_stalled(app, every_s=heartbeat, stalled_s=stalled))
        try:
            log.info("worker %s: taking %s tasks (concurrency %s)", config.name, SOLVE_QUEUE, config.concurrency)
            await app.run_worker_async(
                queues=[SOLVE_QUEUE],
                name=config.name,
                concurrency=config.concurrency,
                additional_context=context,
                update_heartbeat_interval=heartbeat,
                stalled_worker_timeout=stalled,
                listen_notify=settings.worker_listen_notify,
                fetch_job_polling_interval=settings.worker_poll_s,
                delete_jobs="successful",
                install_signal_handlers=True,
            )
        finally:
            watcher.cancel()
