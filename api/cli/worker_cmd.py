"""``ajib worker``: take solve tasks from the queue in PostgreSQL (procrastinate) until stopped.

Run any number, on any machine that reaches the database: each takes one task at a time per
``--concurrency`` (a solve uses one core for its whole time limit). SIGTERM/SIGINT finish the task in
hand and stop; a worker killed outright has its task retried elsewhere (docs/deploy.md).
"""

from __future__ import annotations

from typing import Annotated

import typer


def worker_command(
    concurrency: Annotated[int, typer.Option(min=1, max=64, help="solves at once (one core each)")] = 1,
    name: Annotated[str | None, typer.Option(help="worker name in logs and solve runs (default host:pid)")] = None,
    metrics_port: Annotated[
        int | None, typer.Option(help="serve Prometheus metrics (solve times) here (default AJIB_WORKER_METRICS_PORT)")
    ] = None,
) -> None:
    """Run background solves (plans and re-plans) deferred by the API."""
    import asyncio

    from api.cli.main import database_url, one_line_errors
    from dispatch.config import get_settings
    from dispatch.observability.logs import configure_logging
    from dispatch.tasks import WorkerConfig, run_worker

    settings = get_settings()
    configure_logging(settings.log_format, settings.log_level)

    @one_line_errors
    def run() -> None:
        url = database_url()
        port = metrics_port or settings.worker_metrics_port
        if port:
            from prometheus_client import start_http_server

            start_http_server(port, addr=settings.worker_metrics_host)
        config = WorkerConfig(settings=settings, database_url=url, concurrency=concurrency, name=name)
        typer.echo(f"ajib worker {config.name}: solves from the queue (Ctrl-C stops after the task in hand)")
        asyncio.run(run_worker(config))

    run()
