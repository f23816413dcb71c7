"""Solves on procrastinate: the task is committed with its run (or not at all), a city-wide day is one task
per office, tasks of a dead worker are retried, and a solver process never outlives its worker."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import date

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from dispatch.config import REPO_ROOT
from dispatch.planning import service
from dispatch.planning.errors import NoCouriers
from dispatch.planning.models import SolveRun
from dispatch.planning.queue import SOLVE_QUEUE, SOLVE_TASK, solve_deferrer
from dispatch.tasks import retry_stalled, task_app, task_queue
from tests.factories.day import make_office_day
from tests.factories.planning import make_user

DAY = date(2031, 5, 6)


def _tasks(session: Session) -> list[dict]:
    rows = session.execute(
        text("SELECT task_name, queue_name, args, status::text AS status FROM procrastinate_jobs ORDER BY id")
    )
    return [dict(r._mapping) for r in rows]


def test_the_task_is_deferred_in_the_runs_own_transaction(db_session, test_settings, database_url):
    """After the commit, the run and its task both exist; a request refused before its commit leaves neither."""
    queue = task_queue(test_settings, database_url)
    od = make_office_day(db_session, DAY, couriers=1, jobs=3)
    before = len(_tasks(db_session))
    run = service.request_solve(session=db_session, queue=queue, user=od.dispatcher, office_id=od.office.id, day=DAY)
    tasks = _tasks(db_session)[before:]
    assert len(tasks) == 1
    assert tasks[0]["task_name"] == SOLVE_TASK and tasks[0]["queue_name"] == SOLVE_QUEUE
    assert tasks[0]["args"]["run_id"] == str(run.id) and tasks[0]["status"] == "todo"

    other = make_office_day(db_session, date(2031, 5, 7), couriers=0, jobs=2)
    runs = db_session.query(SolveRun).count()
    with pytest.raises(NoCouriers):
        service.request_solve(
            session=db_session, queue=queue, user=other.dispatcher, office_id=other.office.id, day=date(2031, 5, 7)
        )
    db_session.rollback()
    assert db_session.query(SolveRun).count() == runs and len(_tasks(db_session)) == before + 1


def test_a_rolled_back_transaction_takes_its_task_with_it(db_session, test_settings, database_url):
    """Defer, then roll back: no task row (the queue never holds work for a run that does not exist)."""
    queue = task_queue(test_settings, database_url)
    before = len(_tasks(db_session))
    nested = db_session.begin_nested()
    queue.defer(db_session, [__import__("uuid").uuid4()])
    assert len(_tasks(db_session)) == before + 1
    nested.rollback()
    assert len(_tasks(db_session)) == before


def test_a_city_wide_day_is_one_task_per_office(db_session, test_settings, database_url):
    """Admins plan every office with couriers that day at once: one run and one task each, in one commit."""
    queue = task_queue(test_settings, database_url)
    day = date(2031, 5, 8)
    days = [make_office_day(db_session, day, couriers=1, jobs=2) for _ in range(3)]
    admin = make_user(db_session, role="admin")
    before = len(_tasks(db_session))
    runs = service.request_city_solve(session=db_session, queue=queue, user=admin, day=day, time_limit_s=2)
    assert sorted(r.office_id for r in runs) >= sorted(d.office.id for d in days)
    new = _tasks(db_session)[before:]
    assert {t["args"]["run_id"] for t in new} == {str(r.id) for r in runs}
    again = service.request_city_solve(session=db_session, queue=queue, user=admin, day=day)
    assert {r.id for r in again} == {r.id for r in runs}  # still queued: the same runs, no new tasks
    assert len(_tasks(db_session)) == before + len(runs)


async def _stalled_task(app, queue: str) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    """A solve task 'doing' on a worker whose last heartbeat was an hour ago, in ``queue``: (job id, worker id).

    A queue of its own: a live server's worker in the same database (another test of this pytest worker)
    watches the solve queue for stalled tasks too, and would retry this one first."""
    job_id = await solve_deferrer(app, queue=queue).defer_async(run_id="00000000-0000-0000-0000-000000000000")
    connector = app.connector
    worker_id = (
        await connector.execute_query_one_async(
            "INSERT INTO procrastinate_workers (last_heartbeat) VALUES (now() - interval '1 hour') RETURNING id"
        )
    )["id"]
    await connector.execute_query_async(
        f"UPDATE procrastinate_jobs SET status = 'doing', worker_id = {int(worker_id)} WHERE id = {int(job_id)}"
    )
    return job_id, worker_id


async def _status_and_clean_up(app, job_id: int, worker_id: int) -> str:  # type: ignore[no-untyped-def]
    connector = app.connector
    row = await connector.execute_query_one_async(
        f"SELECT status::text AS status FROM procrastinate_jobs WHERE id = {int(job_id)}"
    )
    await connector.execute_query_async(f"DELETE FROM procrastinate_jobs WHERE id = {int(job_id)}")
    await connector.execute_query_async(f"DELETE FROM procrastinate_workers WHERE id = {int(worker_id)}")
    return str(row["status"])


def test_tasks_of_a_worker_that_stopped_sending_heartbeats_are_retried(database_url, test_settings, own_thread):
    """A task 'doing' on a worker silent for longer than the stalled timeout goes back to 'todo' (attempts kept)."""
    app = task_app(database_url, test_settings.db_prepare_threshold)
    # another app in the same process registers the same blueprint after it (a test worker holds several): deferring
    # must still go through `app`, not through whichever app registered the task last (never opened: AppNotOpen)
    task_app(database_url, (test_settings.db_prepare_threshold or 0) + 1)
    queue = f"test-stalled-{uuid.uuid4().hex[:8]}"

    async def scenario() -> tuple[int, str]:
        async with app.open_async():
            job_id, worker_id = await _stalled_task(app, queue)
            retried = await retry_stalled(app, stalled_s=30, queue=queue)
            return retried, await _status_and_clean_up(app, job_id, worker_id)

    retried, status = own_thread(asyncio.run, scenario())
    assert retried == 1 and status == "todo"


def test_a_stalled_task_another_worker_retried_first_is_skipped_not_an_error(database_url, test_settings, own_thread):
    """Every worker looks for stalled tasks: one retried by another worker between this one's query and its
    retry is skipped (procrastinate refuses a second retry), the call does not fail, and the task stays 'todo'."""
    app = task_app(database_url, test_settings.db_prepare_threshold)
    queue = f"test-stalled-{uuid.uuid4().hex[:8]}"

    async def scenario() -> tuple[int, str]:
        async with app.open_async():
            job_id, worker_id = await _stalled_task(app, queue)
            manager = app.job_manager
            query = manager.get_stalled_jobs

            async def then_another_worker_retries(**kwargs):  # type: ignore[no-untyped-def]
                found = await query(**kwargs)
                for job in found:
                    await manager.retry_job(job)  # the other worker, first
                return found

            manager.get_stalled_jobs = then_another_worker_retries  # type: ignore[method-assign]
            retried = await retry_stalled(app, stalled_s=30, queue=queue)
            return retried, await _status_and_clean_up(app, job_id, worker_id)

    retried, status = own_thread(asyncio.run, scenario())
    assert retried == 0 and status == "todo"


_PARENT = """
import sys, time, threading
from dispatch.planning.queue import die_with_parent
import multiprocessing as mp

def child(parent, armed):
    die_with_parent(parent)
    armed.set()  # the parent reports the pid only now: a busy machine may take seconds to get here
    time.sleep(120)

if __name__ == "__main__":
    import os
    ctx = mp.get_context("spawn")
    def start():
        armed = ctx.Event()
        p = ctx.Process(target=child, args=(os.getpid(), armed))
        p.start()
        armed.wait()
        print(p.pid, flush=True)
        p.join()
    t = threading.Thread(target=start)
    t.start()
    t.join()
"""


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_a_solver_process_dies_with_its_worker_even_on_sigkill(tmp_path):
    """The worker (here: a process starting a solver-like child from a thread, as a task does) is SIGKILLed:
    the child is gone within seconds instead of solving on for nobody."""
    script = tmp_path / "parent.py"
    script.write_text(_PARENT)
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    parent = subprocess.Popen([sys.executable, str(script)], cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True, env=env)
    child = 0
    try:
        child = int(parent.stdout.readline())
        assert _alive(child)
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait(timeout=10)
        deadline = time.monotonic() + 60  # a bound on waiting, not a speed claim
        while _alive(child) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _alive(child), "the solver process outlived its worker"
    finally:
        if parent.poll() is None:
            parent.kill()
        if child and _alive(child):  # the test failed: leave no stray process behind
            os.kill(child, signal.SIGKILL)


def test_a_queued_run_waits_however_long_a_running_one_past_its_limit_is_abandoned(db_session, test_settings,
                                                                                   database_url):  # fmt: skip
    """Workers all busy: a run queued long ago is still live (409 for a second request), not failed; a run
    'running' far past its time limit is failed by the next request, which then queues a new one."""
    from datetime import timedelta

    from dispatch.clock import utcnow
    from dispatch.planning.errors import SolveInProgress

    queue = task_queue(test_settings, database_url)
    od = make_office_day(db_session, date(2031, 5, 9), couriers=1, jobs=2)
    args = {"session": db_session, "queue": queue, "user": od.dispatcher, "office_id": od.office.id,
            "day": date(2031, 5, 9), "time_limit_s": 5}  # fmt: skip
    run = service.request_solve(**args)
    later = utcnow() + timedelta(hours=3)
    with pytest.raises(SolveInProgress):
        service.request_solve(**args, now=later)
    db_session.rollback()
    run = db_session.get(SolveRun, run.id)
    assert run.status == "queued"
    run.status, run.started_at = "running", utcnow()
    db_session.commit()
    fresh = service.request_solve(**args, now=later)
    assert fresh.id != run.id and db_session.get(SolveRun, run.id).status == "failed"
