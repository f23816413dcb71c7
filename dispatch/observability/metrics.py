"""Prometheus metrics of our own: solve times, evidence store errors, deliveries, and gauges read from the
database at scrape time (task queue depth, solve runs waiting, outbox and webhook backlog).

Counters and histograms live in the process that does the work (API: evidence errors; worker: solves;
notifier: deliveries). With several server worker processes, ``PROMETHEUS_MULTIPROC_DIR`` makes them
one view (``ajib serve`` sets it). The gauges are global facts of the database, read by one query per
scrape, so every process reports the same value (use ``max`` across targets).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING

from prometheus_client import Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import text

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

__all__ = [
    "DELIVERIES",
    "EVIDENCE_ERRORS",
    "SOLVE_RUNS",
    "SOLVE_SECONDS",
    "DatabaseGauges",
    "evidence_error",
    "observe_solve",
]

log = logging.getLogger(__name__)

SOLVE_SECONDS = Histogram(
    "ajib_solve_seconds",
    "Wall time of a solve run in a worker, from its start to its plan (or failure)",
    ["kind", "outcome"],
    buckets=(1, 2, 5, 10, 20, 30, 60, 120, 300, 600),
)
SOLVE_RUNS = Counter("ajib_solve_runs", "Solve runs finished by this worker", ["kind", "outcome"])
EVIDENCE_ERRORS = Counter(
    "ajib_evidence_store_errors", "Evidence store operations that failed", ["backend", "operation"]
)
DELIVERIES = Counter("ajib_outbox_deliveries", "Messages and webhooks handled by the sender", ["channel", "outcome"])


def observe_solve(kind: str, outcome: str, seconds: float) -> None:
    SOLVE_SECONDS.labels(kind, outcome).observe(max(seconds, 0.0))
    SOLVE_RUNS.labels(kind, outcome).inc()


def evidence_error(backend: str, operation: str) -> None:
    EVIDENCE_ERRORS.labels(backend, operation).inc()


_GAUGES = text(
    """
    SELECT 'queue' AS what, queue_name AS label, status::text AS state, count(*) AS n
      FROM procrastinate_jobs WHERE status IN ('todo', 'doing') GROUP BY queue_name, status
    UNION ALL
    SELECT 'runs', kind, status, count(*) FROM solve_runs
     WHERE status IN ('queued', 'running') GROUP BY kind, status
    UNION ALL
    SELECT 'outbox', channel, status, count(*) FROM notifications
     WHERE status IN ('pending', 'sending', 'failed') GROUP BY channel, status
    UNION ALL
    SELECT 'webhooks', 'webhook', status, count(*) FROM webhook_deliveries
     WHERE status IN ('pending', 'sending', 'failed') GROUP BY status
    """
)


class DatabaseGauges(Collector):
    """Backlogs read from PostgreSQL when Prometheus scrapes (nothing is cached between scrapes)."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def collect(self) -> Iterator[GaugeMetricFamily]:
        queue = GaugeMetricFamily("ajib_task_queue_jobs", "Tasks waiting or running", labels=["queue", "state"])
        runs = GaugeMetricFamily("ajib_solve_runs_open", "Solve runs queued or running", labels=["kind", "state"])
        outbox = GaugeMetricFamily("ajib_outbox_backlog", "Messages not yet sent", labels=["channel", "state"])
        hooks = GaugeMetricFamily("ajib_webhook_backlog", "Webhook deliveries not yet made", labels=["state"])
        up = GaugeMetricFamily("ajib_database_up", "1 when the gauges could be read from the database")
        try:
            with self._sessions() as session:
                rows = session.execute(_GAUGES).all()
        except Exception:  # the scrape must answer even when the database does not
            log.warning("metrics: database gauges unavailable", exc_info=True)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        for what, label, state, n in rows:
            if what == "queue":
                queue.add_metric([label, state], n)
            elif what == "runs":
                runs.add_metric([label, state], n)
            elif what == "outbox":
                outbox.add_metric([label, state], n)
            else:
                hooks.add_metric([state], n)
        yield from (queue, runs, outbox, hooks, up)
