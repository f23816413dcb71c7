"""What an operator relies on: liveness apart from readiness, Prometheus metrics, request ids in answers and
JSON logs, migrations that take turns, settings that refuse an unsafe several-process setup."""

from __future__ import annotations

import json
import logging
import logging.config
import threading
import uuid

import pytest
from pydantic import ValidationError
from sqlalchemy import create_engine, text

from api.app import create_app
from dispatch.config import Settings
from dispatch.db.migrate import current_revision, upgrade
from dispatch.db.provision import create_test_database, drop_database
from dispatch.db.session import get_engine, normalise_url
from dispatch.observability.logs import logging_config


def test_livez_needs_nothing_readyz_needs_database_and_store(client, app, test_settings, tmp_path):
    """/livez answers without touching anything; /readyz is 200 with database and store up, 503 with the
    evidence store unusable (here: its directory is a file), and says which part is down."""
    assert client.get("/livez").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json() == {"status": "ok", "database": "ok", "evidence_store": "ok"}
    blocked = tmp_path / "not-a-dir"
    blocked.write_text("x")
    app.state.settings = test_settings.model_copy(update={"evidence_dir": blocked})
    down = client.get("/readyz")
    assert down.status_code == 503 and down.json()["evidence_store"] == "unavailable"
    assert down.json()["database"] == "ok"


def test_readyz_is_503_when_the_database_is_unreachable(test_settings):
    """A database that refuses connections makes the process unready, but still alive."""
    from fastapi.testclient import TestClient

    settings = test_settings.model_copy(update={"database_url": "postgresql://nobody@127.0.0.1:1/none"})
    with TestClient(create_app(settings)) as c:
        assert c.get("/livez").status_code == 200
        down = c.get("/readyz")
        assert down.status_code == 503 and down.json()["database"] == "unavailable"


def test_metrics_count_requests_and_read_backlogs_from_the_database(client):
    """GET /metrics: request counts and latencies by route template, and our gauges from the database."""
    client.get("/api/health")
    body = client.get("/metrics").text
    assert 'http_requests_total{handler="/api/health",method="GET",status="2xx"}' in body
    assert "http_request_duration_seconds_bucket" in body
    assert "ajib_database_up 1.0" in body
    for name in ("ajib_solve_seconds", "ajib_evidence_store_errors", "ajib_outbox_deliveries"):
        assert name in body


def test_metrics_name_each_path_by_its_route_template_also_when_remembered(client):
    """Several tracking codes, each asked twice (the second time from the route memo), count under one
    template with the status class each got; the metrics endpoint itself is not counted."""
    for code in ("AJB-AAAA1111", "AJB-BBBB2222", "AJB-AAAA1111", "AJB-BBBB2222"):
        assert client.get(f"/api/track/{code}").status_code == 404
    client.get("/metrics")
    body = client.get("/metrics").text
    counted = [line for line in body.splitlines() if line.startswith("http_requests_total{")]
    assert 'http_requests_total{handler="/api/track/{tracking_code}",method="GET",status="4xx"} 4.0' in counted
    assert not any("AJB-" in line or "/metrics" in line for line in counted)


def test_request_id_is_returned_and_made_up_when_missing_or_unsafe(client):
    """A plain caller id comes back as sent; none, or one with spaces/newlines, gets a fresh id."""
    given = client.get("/livez", headers={"X-Request-ID": "abc-123.x"})
    assert given.headers["X-Request-ID"] == "abc-123.x"
    made = client.get("/livez").headers["X-Request-ID"]
    assert len(made) == 32 and made != "abc-123.x"
    hostile = client.get("/livez", headers={"X-Request-ID": "a b\tc"}).headers["X-Request-ID"]
    assert hostile != "a b\tc" and len(hostile) == 32


def test_json_logs_carry_the_request_id(client, capsys):
    """With AJIB_LOG_FORMAT=json every line is one JSON object with the request's id."""
    logging.config.dictConfig(logging_config("json"))
    try:
        client.get("/api/track/NOPE", headers={"X-Request-ID": "trace-me-42"})
        logging.getLogger("ajib.test").warning("outside any request")
    finally:
        logging.config.dictConfig({"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}})
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
    assert lines and all({"time", "level", "logger", "message", "request_id"} <= set(line) for line in lines)
    assert lines[-1]["request_id"] == "-" and lines[-1]["message"] == "outside any request"


def test_several_processes_need_the_secret_key():
    """AJIB_DEPLOYMENT=multi without AJIB_SECRET_KEY is refused (each machine would make up its own)."""
    with pytest.raises(ValidationError, match="AJIB_SECRET_KEY"):
        Settings(_env_file=None, deployment="multi")
    assert Settings(_env_file=None, deployment="multi", secret_key="k" * 40).secret_generated is False


def test_serve_with_several_workers_refuses_a_generated_key(tmp_path, monkeypatch):
    """`ajib serve --workers 2` without AJIB_SECRET_KEY stops with one readable line (nothing started)."""
    from typer.testing import CliRunner

    from api.cli.main import app
    from dispatch.config import get_settings

    monkeypatch.delenv("AJIB_SECRET_KEY", raising=False)
    monkeypatch.setenv("AJIB_STATE_DIR", str(tmp_path))
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["serve", "--workers", "2"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code != 0 and "AJIB_SECRET_KEY" in result.output


def test_prepare_threshold_reaches_the_driver(database_url):
    """AJIB_DB_PREPARE_THRESHOLD=none (pgbouncer, transaction mode) turns psycopg's prepared statements off."""
    assert Settings(_env_file=None, db_prepare_threshold="none").db_prepare_threshold is None
    off = get_engine(database_url, 1, 0, None)
    with off.connect() as conn:
        assert conn.connection.driver_connection.prepare_threshold is None
    on = get_engine(database_url, 1, 0, 5)
    with on.connect() as conn:
        assert conn.connection.driver_connection.prepare_threshold == 5


def test_concurrent_migrations_take_turns(admin_url):
    """Four processes' worth of `ajib db upgrade` at once on an empty database: all succeed, one schema."""
    name = f"ajib_lock_{uuid.uuid4().hex[:8]}"
    url = create_test_database(admin_url, name)
    errors: list[BaseException] = []

    def migrate() -> None:
        try:
            upgrade(url)
        except BaseException as exc:
            errors.append(exc)

    try:
        threads = [threading.Thread(target=migrate) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
        assert errors == []
        assert current_revision(url) is not None
        engine = create_engine(normalise_url(url))
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar_one() == 1
        engine.dispose()
    finally:
        drop_database(admin_url, name)
