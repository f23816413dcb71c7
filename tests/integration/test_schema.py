"""The schema lives in the database: migrations round-trip and constraints reject bad rows."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from dispatch.db.migrate import current_revision, downgrade, upgrade
from dispatch.db.provision import create_test_database, drop_database
from dispatch.db.session import normalise_url


def test_migrations_upgrade_downgrade_and_reupgrade(admin_url: str) -> None:
    """Upgrade builds every table with GiST indexes; downgrade removes them all; upgrade twice is a no-op."""
    name = f"ajib_mig_{uuid.uuid4().hex[:8]}"
    url = create_test_database(admin_url, name)
    try:
        upgrade(url)
        upgrade(url)  # idempotent
        assert current_revision(url) is not None
        eng = create_engine(normalise_url(url))
        with eng.connect() as conn:
            tables = set(inspect(conn).get_table_names())
            assert {"jobs", "handovers", "offices", "admin_areas", "plans", "stops", "positions"} <= tables
            gist = conn.execute(
                text("SELECT count(*) FROM pg_indexes WHERE indexdef ILIKE '%USING gist%' AND schemaname='public'")
            ).scalar_one()
            assert gist >= 8
        downgrade(url, "base")
        with eng.connect() as conn:
            left = set(inspect(conn).get_table_names()) - {"spatial_ref_sys", "alembic_version"}
            assert left == set()
        upgrade(url)
        assert current_revision(url) is not None
        eng.dispose()
    finally:
        drop_database(admin_url, name)


def _office(conn) -> int:
    return conn.execute(
        text(
            "INSERT INTO offices (code, name, level, location, location_derived, location_source, is_active) "
            "VALUES (:c, 'Kantor Uji', 'kecamatan', ST_SetSRID(ST_MakePoint(106.83, -6.2), 4326), true, 'test', true) "
            "RETURNING id"
        ),
        {"c": uuid.uuid4().hex[:10]},
    ).scalar_one()


def _applicant(conn) -> int:
    return conn.execute(
        text("INSERT INTO applicants (name, phone) VALUES ('Budi', '+6281200000000') RETURNING id")
    ).scalar_one()


def _insert_job(conn, *, start: datetime, end: datetime, office: int, applicant: int) -> None:
    conn.execute(
        text(
            "INSERT INTO jobs (kind, status, office_id, applicant_id, application_number, tracking_code, "
            "secret_hash, service_date, window_start, window_end, address_text, location, location_source, "
            "contact_phone, documents_count, box_volume, service_s, priority, skills, identity_check, "
            "custody_party, chain_length, version) VALUES ('pickup', 'booked', :o, :a, 'APP-1', :t, 'x', "
            ":d, :s, :e, 'Jl. Uji 1', ST_SetSRID(ST_MakePoint(106.83, -6.2), 4326), 'gps', '+62812', 1, 1, "
            "300, 0, '{}', 'nik_last4', 'applicant', 0, 1)"
        ),
        {"o": office, "a": applicant, "t": uuid.uuid4().hex[:12], "d": start.date(), "s": start, "e": end},
    )


def test_window_end_before_start_is_rejected(connection) -> None:
    """A booking window must end after it starts — enforced by a CHECK constraint, not only in Python."""
    office, applicant = _office(connection), _applicant(connection)
    start = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
    _insert_job(connection, start=start, end=start + timedelta(hours=2), office=office, applicant=applicant)
    with pytest.raises(IntegrityError, match="ck_jobs_window_end_after_start"), connection.begin_nested():
        _insert_job(connection, start=start, end=start - timedelta(hours=1), office=office, applicant=applicant)


def test_negative_courier_capacity_is_rejected(connection) -> None:
    """A motorbike box cannot have negative capacity."""
    office = _office(connection)
    with pytest.raises(IntegrityError, match="ck_couriers_capacity_docs_nonnegative"), connection.begin_nested():
        connection.execute(
            text(
                "INSERT INTO couriers (code, office_id, name, box_capacity_docs, box_capacity_volume, skills, "
                "speed_factor, is_active) VALUES ('K-NEG', :o, 'Neg', -1, 10, '{}', 1.0, true)"
            ),
            {"o": office},
        )


def test_handover_for_missing_job_is_rejected(connection) -> None:
    """Custody records must point at a real job (foreign key)."""
    with pytest.raises(IntegrityError, match="fk_handovers_job_id_jobs"), connection.begin_nested():
        connection.execute(
            text(
                "INSERT INTO handovers (job_id, seq, from_party, to_party, recipient_name, idempotency_key, "
                "record, hash, flagged) VALUES (999999, 1, 'applicant', 'courier', 'X', 'k1', '{}', "
                ":h, false)"
            ),
            {"h": "a" * 64},
        )


def test_handovers_are_append_only(connection) -> None:
    """A trigger refuses UPDATE and DELETE on handovers: evidence cannot be edited in place."""
    office, applicant = _office(connection), _applicant(connection)
    start = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
    _insert_job(connection, start=start, end=start + timedelta(hours=2), office=office, applicant=applicant)
    job = connection.execute(text("SELECT max(id) FROM jobs")).scalar_one()
    connection.execute(
        text(
            "INSERT INTO handovers (job_id, seq, from_party, to_party, recipient_name, idempotency_key, record, "
            "hash, flagged) VALUES (:j, 1, 'applicant', 'courier', 'X', :k, '{}', :h, false)"
        ),
        {"j": job, "k": uuid.uuid4().hex, "h": "b" * 64},
    )
    for statement in ("UPDATE handovers SET recipient_name = 'Y'", "DELETE FROM handovers"):
        with pytest.raises(DBAPIError, match="append-only"), connection.begin_nested():
            connection.execute(text(statement + " WHERE job_id = :j"), {"j": job})


def test_one_published_plan_per_office_and_day(connection) -> None:
    """Two published versions of the same office-day would confuse couriers; a partial unique index forbids it."""
    office = _office(connection)
    insert = text(
        "INSERT INTO plans (office_id, service_date, version, status, solver_params, kpis) "
        "VALUES (:o, :d, :v, 'published', '{}', '{}')"
    )
    connection.execute(insert, {"o": office, "d": date(2026, 12, 1), "v": 1})
    with pytest.raises(IntegrityError, match="uq_plans_one_published"), connection.begin_nested():
        connection.execute(insert, {"o": office, "d": date(2026, 12, 1), "v": 2})


def test_migrations_have_a_single_head() -> None:
    """Concepts add migrations in parallel; two heads would make `ajib db upgrade` ambiguous."""
    from alembic.script import ScriptDirectory

    from dispatch.db.migrate import alembic_config

    heads = ScriptDirectory.from_config(alembic_config("postgresql://unused/unused")).get_heads()
    assert len(heads) == 1, heads


def test_models_match_migrations(database_url: str) -> None:
    """The ORM and the migrations describe the same schema (autogenerate finds nothing to do)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from dispatch.db.migrations_filter import include_object
    from dispatch.models import Base

    eng = create_engine(normalise_url(database_url))
    with eng.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"include_object": include_object, "compare_type": True})
        diff = compare_metadata(ctx, Base.metadata)
    eng.dispose()
    assert diff == [], diff
