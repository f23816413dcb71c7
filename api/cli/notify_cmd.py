"""``ajib notify --once | --loop``: drain the outboxes: SMS/WhatsApp/e-mail with the configured notifier, and
webhook deliveries to integrators (signed, retried with backoff).

Run one ``--loop`` per machine, or several: rows are claimed with ``FOR UPDATE SKIP LOCKED``, so senders
never take the same message. ``api.cli.main`` is imported inside the command (main imports this module).
"""

from __future__ import annotations

import signal
import time
from typing import Annotated

import typer


def notify_command(
    once: Annotated[bool, typer.Option("--once", help="send what is due now, then exit")] = False,
    loop: Annotated[bool, typer.Option("--loop", help="keep sending until interrupted (Ctrl-C / SIGTERM)")] = False,
    interval: Annotated[float, typer.Option(min=0.5, help="seconds between rounds with --loop")] = 10.0,
    batch: Annotated[int, typer.Option(min=1, max=500, help="messages claimed per round")] = 50,
    max_attempts: Annotated[int, typer.Option(min=1, max=50, help="tries before a message is dead")] = 6,
) -> None:
    """Send due notifications: retries with exponential backoff, gives up (status dead) after MAX_ATTEMPTS."""
    import dispatch.models  # noqa: F401 - every mapper, so the outbox's foreign keys resolve
    from api.cli.main import database_url, fail, one_line_errors
    from dispatch.config import get_settings
    from dispatch.db.session import session_factory
    from dispatch.notifications.notifier import notifier_from_settings
    from dispatch.notifications.sender import RetryPolicy, send_due
    from dispatch.observability.logs import configure_logging
    from dispatch.webhooks.sender import deliver_due

    settings = get_settings()
    configure_logging(settings.log_format, settings.log_level)

    if once == loop:
        fail("choose exactly one of --once or --loop")
    try:
        notifier = notifier_from_settings(settings)
    except ValueError as exc:
        fail(str(exc))
    policy = RetryPolicy(max_attempts=max_attempts)

    @one_line_errors
    def run() -> None:
        sessions = session_factory(database_url())
        stop = {"now": False}

        def _stop(*_: object) -> None:
            stop["now"] = True

        if loop:
            signal.signal(signal.SIGTERM, _stop)
            signal.signal(signal.SIGINT, _stop)
        while True:
            report = send_due(sessions=sessions, notifier=notifier, batch=batch, policy=policy)
            hooks = deliver_due(sessions=sessions, batch=batch)
            if report.claimed or report.dead or once:
                typer.echo(
                    f"notify: {report.sent} sent, {report.logged} logged (not sent), {report.retrying} to retry, "
                    f"{report.dead} dead "
                    f"({report.claimed} claimed)"
                )
            if hooks.claimed or hooks.dead or once:
                typer.echo(
                    f"webhooks: {hooks.delivered} delivered, {hooks.retrying} to retry, {hooks.dead} dead "
                    f"({hooks.claimed} claimed)"
                )
            if once or stop["now"]:
                return
            if report.claimed >= batch or hooks.claimed >= batch:
                continue  # more is waiting: no pause
            deadline = time.monotonic() + interval
            while time.monotonic() < deadline and not stop["now"]:
                time.sleep(0.2)
            if stop["now"]:
                return

    run()
