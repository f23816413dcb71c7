"""Survey answers are append-only for the application: the office's index cannot be edited after the fact."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import create_engine, text

from dispatch.db.roles import app_url
from dispatch.db.session import normalise_url


@pytest.fixture
def app_conn(database_url):
    eng = create_engine(normalise_url(app_url(database_url)))
    with eng.connect() as conn:
        yield conn
    eng.dispose()


@pytest.mark.parametrize("statement", ["UPDATE survey_responses SET cost = 4", "DELETE FROM survey_responses"])
def test_the_app_role_cannot_change_survey_answers(app_conn, statement):
    with pytest.raises(Exception) as info:
        app_conn.execute(text(statement))
    app_conn.rollback()
    assert isinstance(info.value.orig, psycopg.errors.InsufficientPrivilege)


def test_the_app_role_may_read_and_add_answers(app_conn):
    """SELECT and INSERT stay granted (the INSERT fails on the foreign key here, not on privileges)."""
    app_conn.execute(text("SELECT count(*) FROM survey_responses"))
    with pytest.raises(Exception) as info:
        app_conn.execute(
            text(
                "INSERT INTO survey_responses (job_id, office_id, service_date, requirements, procedure, time,"
                " cost, product, competence, conduct, complaints, facilities)"
                " VALUES (-1, -1, '2026-12-07', 4, 4, 4, 4, 4, 4, 4, 4, 4)"
            )
        )
    app_conn.rollback()
    assert isinstance(info.value.orig, psycopg.errors.ForeignKeyViolation)
