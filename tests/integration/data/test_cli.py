"""The ``ajib`` data commands through typer's CliRunner, against real databases."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from api.cli.main import app
from dispatch.config import get_settings
from dispatch.db.provision import create_test_database, drop_database
from dispatch.db.session import get_engine

runner = CliRunner()


@pytest.fixture
def cli_env(monkeypatch, test_settings):
    """Settings are cached per process: clear them around each run so DATABASE_URL is read again."""

    def env(url: str) -> dict[str, str]:
        monkeypatch.setenv("DATABASE_URL", url)
        monkeypatch.setenv("AJIB_SHARED_DIR", str(test_settings.shared_dir))
        monkeypatch.setenv("AJIB_STATE_DIR", str(test_settings.state_dir))
        get_settings.cache_clear()
        return {"DATABASE_URL": url}

    yield env
    get_settings.cache_clear()


@pytest.fixture
def scratch_url(admin_url: str) -> Iterator[str]:
    """A database of its own: `ajib demo --reset` empties tables, which the shared test database must keep."""
    name = f"ajib_cli_{uuid.uuid4().hex[:8]}"
    url = create_test_database(admin_url, name)
    yield url
    get_engine(url).dispose()
    drop_database(admin_url, name)


def test_help_lists_the_data_commands() -> None:
    """`ajib --help` names load-reference and demo; `ajib demo --help` documents every option."""
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    assert "load-reference" in result.output and "demo" in result.output
    demo = runner.invoke(app, ["demo", "--help"], env={"COLUMNS": "200"})
    assert demo.exit_code == 0
    for option in ("--seed", "--date", "--offices", "--couriers-per-office", "--jobs-per-office", "--scale", "--serve"):
        assert option in demo.output
    assert "--reset" in demo.output


def test_load_reference_on_the_test_database_changes_nothing(cli_env, database_url, reference_data) -> None:
    """On a database that already has the reference data, the command reports every row unchanged."""
    result = runner.invoke(app, ["load-reference"], env=cli_env(database_url))
    assert result.exit_code == 0, result.output
    assert "44 kecamatan" in result.output and "0 inserted, 0 updated" in result.output
    assert "3174080888" in result.output  # Prepedan is reported as kept


def test_load_reference_with_missing_data_dir_is_one_line(cli_env, database_url, tmp_path) -> None:
    """A wrong data directory gives one error line naming it, not a traceback."""
    result = runner.invoke(app, ["load-reference", "--data-dir", str(tmp_path / "nowhere")], env=cli_env(database_url))
    assert result.exit_code == 1
    assert "nowhere" in result.output and "Traceback" not in result.output


def test_demo_seeds_a_fresh_database_then_keeps_it(cli_env, scratch_url) -> None:
    """`ajib demo` migrates, loads the reference data and seeds; a re-run keeps the day; --reset re-seeds."""
    env = cli_env(scratch_url)
    args = ["demo", "--date", "2031-05-30", "--offices", "2", "--couriers-per-office", "2", "--jobs-per-office", "6"]
    first = runner.invoke(app, args, env=env)
    assert first.exit_code == 0, first.output
    assert "Jumat 2031-05-30" in first.output and "6 jobs" in first.output
    assert "ajib-demo" in first.output and "dispatcher.tanahabang" in first.output
    assert "/track/AJB-" in first.output and "/dispatcher/" in first.output and "/docs" in first.output
    again = runner.invoke(app, args, env=env)
    assert again.exit_code == 0 and "already there (kept)" in again.output
    reset = runner.invoke(app, [*args, "--reset"], env=env)
    assert reset.exit_code == 0 and "demo data reset" in reset.output and "6 jobs" in reset.output


def test_demo_rejects_a_bad_date(cli_env, database_url) -> None:
    """--date must be ISO; the error is one line."""
    result = runner.invoke(app, ["demo", "--date", "30/05/2031"], env=cli_env(database_url))
    assert result.exit_code != 0 and "YYYY-MM-DD" in result.output
