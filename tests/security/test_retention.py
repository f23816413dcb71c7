"""Retention purge (docs/retention.md): personal data past retention goes, the custody proof stays verifiable."""

from __future__ import annotations

from datetime import timedelta

import pytest
from geoalchemy2.shape import to_shape
from sqlalchemy import select, update

from dispatch.clock import utcnow
from dispatch.couriers.models import Courier
from dispatch.custody.evidence_store import LocalEvidenceStore
from dispatch.custody.models import Evidence, Handover
from dispatch.custody.retention import OPERATIONAL_DAYS, REDACTED, purge
from dispatch.custody.service import Actor, HandoverClaim, Upload, record_handover
from dispatch.custody.verification import verify_job
from dispatch.jobs.models import Applicant, Job
from dispatch.notifications.models import Notification
from dispatch.planning.models import Stop
from dispatch.tracking.models import Position
from dispatch.users.models import User
from tests.factories.custody import (
    HOME_LAT,
    HOME_LON,
    OFFICE_LAT,
    OFFICE_LON,
    jpeg_bytes,
    make_scene,
    new_key,
    png_signature,
)
from tests.factories.planning import make_position

SHARED_SIGNATURE = png_signature(seed=3)


@pytest.fixture
def store(tmp_path):
    return LocalEvidenceStore(tmp_path / "evidence")


def _handover(session, settings, store, user_id: int, job: Job, a: str, b: str, seed: int) -> None:
    at_office = "office" in (a, b)
    record_handover(
        session=session,
        settings=settings,
        actor=actor_of(session, user_id),
        claim=HandoverClaim(
            job_id=job.id,
            from_party=a,
            to_party=b,
            recipient_name="Siti Rahayu",
            device_time=utcnow(),
            lat=OFFICE_LAT if at_office else HOME_LAT,
            lon=OFFICE_LON if at_office else HOME_LON,
            accuracy_m=6.0,
        ),
        uploads=[Upload("photos", jpeg_bytes(seed=seed)), Upload("signature", SHARED_SIGNATURE)],
        idempotency_key=new_key(),
        store=store,
    )


def _full_pickup(session, settings, store, seed: int):
    scene = make_scene(session, settings, kind="pickup")
    _handover(session, settings, store, scene.courier.user_id, scene.job, "applicant", "courier", seed)
    _handover(session, settings, store, scene.clerk.id, scene.job, "courier", "office", seed + 1)
    return scene


def _evidence(session, job_id: int) -> list[Evidence]:
    return list(
        session.scalars(
            select(Evidence).join(Handover, Handover.id == Evidence.handover_id).where(Handover.job_id == job_id)
        )
    )


@pytest.fixture
def aged(db_session, test_settings, store):
    """An old closed job past retention, a recent job sharing its signature bytes, an old open job."""
    old = _full_pickup(db_session, test_settings, store, seed=1)
    recent = _full_pickup(db_session, test_settings, store, seed=5)
    stale_open = make_scene(db_session, test_settings, kind="delivery")
    long_ago = old.job.service_date - timedelta(days=test_settings.evidence_retention_days + 10)
    for job in (old.job, stale_open.job):
        db_session.execute(update(Job).where(Job.id == job.id).values(service_date=long_ago))
    now = utcnow()
    make_position(db_session, old.courier, lat=HOME_LAT, lon=HOME_LON, at=now - timedelta(days=OPERATIONAL_DAYS + 1))
    make_position(db_session, old.courier, lat=HOME_LAT, lon=HOME_LON, at=now - timedelta(minutes=5))
    db_session.execute(
        update(Notification)
        .where(Notification.job_id == old.job.id)
        .values(status="sent", created_at=now - timedelta(days=OPERATIONAL_DAYS + 1))
    )
    db_session.flush()
    db_session.expire_all()
    return old, recent, stale_open


def test_dry_run_counts_and_changes_nothing(db_session, test_settings, store, aged):
    """--dry-run reports what would go and leaves every row and file as it was."""
    old, _recent, _open = aged
    before = {ev.sha256 for ev in _evidence(db_session, old.job.id)}
    report = purge(session=db_session, settings=test_settings, store=store, dry_run=True)
    assert report.evidence_rows >= 4  # counts cover the whole (shared) test database
    assert report.jobs_redacted >= 1 and report.positions_deleted >= 1
    assert report.files_deleted == 2  # the two photos; the shared signature is still needed by the recent job
    db_session.expire_all()
    assert all(ev.purged_at is None for ev in _evidence(db_session, old.job.id))
    assert all(store.exists(sha) for sha in before)
    assert db_session.get(Job, old.job.id).address_text != REDACTED


def test_purge_removes_personal_data_and_keeps_chain_verifiable(db_session, test_settings, store, aged):
    """Files and contact data of jobs past retention go; hashes stay, so the chain and receipts still verify."""
    old, recent, stale_open = aged
    old_evidence = _evidence(db_session, old.job.id)
    photos = {ev.sha256 for ev in old_evidence if ev.kind == "photo"}
    report = purge(session=db_session, settings=test_settings, store=store)
    db_session.expire_all()

    assert report.evidence_rows >= 4 and report.files_deleted == 2 and report.files_shared_kept == 1
    assert not any(store.exists(sha) for sha in photos)
    assert store.exists(shared_digest(db_session, recent.job.id))  # still needed within retention
    assert all(ev.purged_at is not None for ev in _evidence(db_session, old.job.id))
    assert all(ev.purged_at is None for ev in _evidence(db_session, recent.job.id))

    job = db_session.get(Job, old.job.id)
    assert verify_job(db_session, job).valid
    assert verify_job(db_session, job, store).files_altered == ()
    assert job.contact_phone == "-" and job.address_text == REDACTED and job.access_notes is None
    point = to_shape(job.location)
    assert (round(point.y, 2), round(point.x, 2)) == (point.y, point.x)
    home_stops = db_session.scalars(select(Stop).where(Stop.job_id == job.id, Stop.kind == "pickup")).all()
    assert all(to_shape(s.location).x == point.x for s in home_stops)
    applicant = db_session.get(Applicant, job.applicant_id)
    assert (applicant.phone, applicant.nik_last4, applicant.name) == ("-", None, REDACTED)

    untouched = db_session.get(Job, recent.job.id)
    assert untouched.address_text != REDACTED and verify_job(db_session, untouched).valid
    assert stale_open.job.id in report.open_jobs_past_retention
    assert db_session.get(Job, stale_open.job.id).address_text != REDACTED

    assert report.positions_deleted >= 1
    left = db_session.scalars(select(Position).where(Position.courier_id == old.courier.id)).all()
    assert len(left) == 1
    texts = db_session.scalars(select(Notification.body).where(Notification.job_id == old.job.id)).all()
    assert texts and set(texts) == {REDACTED}

    again = purge(session=db_session, settings=test_settings, store=store)
    assert (again.evidence_rows, again.files_deleted) == (0, 0)
    assert db_session.get(Job, old.job.id).version == job.version  # nothing rewritten the second time


def test_purge_finishes_file_deletion_after_a_crash(db_session, test_settings, store, aged):
    """A run that committed but died before deleting files leaves files of purged rows; the next run deletes them."""
    old, _recent, _open = aged
    photos = [ev for ev in _evidence(db_session, old.job.id) if ev.kind == "photo"]
    for ev in photos:
        ev.purged_at = utcnow()
    db_session.flush()
    report = purge(session=db_session, settings=test_settings, store=store)
    assert report.files_deleted == 2
    assert not any(store.exists(ev.sha256) for ev in photos)


def shared_digest(session, job_id: int) -> str:
    return next(ev.sha256 for ev in _evidence(session, job_id) if ev.kind == "signature")


def actor_of(session, user_id: int) -> Actor:
    """The request's actor as the custody router builds it (a courier user carries their courier id)."""
    user = session.get(User, user_id)
    courier_id = (
        session.scalar(select(Courier.id).where(Courier.user_id == user.id)) if user.role == "courier" else None
    )
    return Actor(user.id, user.role, user.office_id, courier_id)


def test_purge_command_dry_run(database_url, tmp_path, monkeypatch):
    """`ajib purge-evidence --dry-run` runs against the configured database and reports without changing it."""
    import typer
    from typer.testing import CliRunner

    from api.cli.retention_cmd import purge_command
    from dispatch.config import get_settings

    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("AJIB_STATE_DIR", str(tmp_path))
    get_settings.cache_clear()
    cli = typer.Typer()
    cli.command("purge-evidence")(purge_command)
    cli.command("noop")(lambda: None)
    try:
        result = CliRunner().invoke(cli, ["purge-evidence", "--dry-run"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert "would remove" in result.output and "evidence rows" in result.output
