"""Position batches from the courier's phone: stored once, retried safely, bad fixes rejected one by one."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import event, func, select, text
from sqlalchemy.orm import Session

from dispatch.audit.idempotency import IdempotencyKeyReused
from dispatch.clock import today_local, utcnow
from dispatch.notifications.models import Notification
from dispatch.planning.models import Stop
from dispatch.tracking.models import Position
from dispatch.tracking.service import PositionFix, record_positions
from tests.factories.jobs import make_tracked_job, publish_route
from tests.factories.planning import make_courier, make_office


@pytest.fixture
def courier(db_session: Session):
    return make_courier(db_session, make_office(db_session))


def fixes(start, n: int, step_s: int = 10) -> list[PositionFix]:
    return [
        PositionFix(at=start + timedelta(seconds=i * step_s), lat=-6.25 + i * 1e-4, lon=106.80, accuracy_m=8.0)
        for i in range(n)
    ]


def stored(session: Session, courier_id: int) -> int:
    return session.scalar(select(func.count()).select_from(Position).where(Position.courier_id == courier_id))


def send(session, settings, courier, batch_id, batch, now=None):
    return record_positions(
        session=session, settings=settings, courier_id=courier.id, batch_id=batch_id, fixes=batch, now=now or utcnow()
    )


def test_a_retried_batch_is_stored_once(db_session: Session, test_settings, courier) -> None:
    """The same batch id again gets the first answer back and writes nothing."""
    batch = fixes(utcnow() - timedelta(minutes=5), 20)
    first = send(db_session, test_settings, courier, "batch-0001", batch)
    assert (first.accepted, first.duplicates, first.replayed) == (20, 0, False)
    again = send(db_session, test_settings, courier, "batch-0001", batch)
    assert (again.accepted, again.duplicates, again.replayed) == (20, 0, True)
    assert stored(db_session, courier.id) == 20


def test_a_batch_commits_without_waiting_for_the_wal_flush_and_only_it(test_settings, engine) -> None:
    """Fixes are not evidence (``record_positions``): the transaction storing them commits with
    synchronous_commit off, set by the insert itself; the setting ends with that transaction, so whatever the
    pooled connection runs next (a handover) waits for its WAL flush again. (Committed to the session
    database: the test's usual savepoints would keep the setting alive to the end of the test.)"""
    with Session(engine, expire_on_commit=False) as session:
        courier = make_courier(session, make_office(session))
        session.commit()
    seen: list[str] = []

    def look(session: Session) -> None:
        if not seen:
            seen.append(session.execute(text("SHOW synchronous_commit")).scalar_one())

    with Session(engine, expire_on_commit=False) as session:
        event.listen(session, "before_commit", look)
        send(session, test_settings, courier, "batch-sync-0001", fixes(utcnow() - timedelta(minutes=3), 3))
        event.remove(session, "before_commit", look)
        assert seen == ["off"]
        assert session.execute(text("SHOW synchronous_commit")).scalar_one() == "on"
        assert stored(session, courier.id) == 3


def test_fixes_already_stored_are_duplicates(db_session: Session, test_settings, courier) -> None:
    """Dedupe by (courier, device time): a new batch that repeats fixes (a phone re-sent its queue) adds only new ones;
    a fix repeated inside one batch counts once."""
    start = utcnow() - timedelta(minutes=10)
    send(db_session, test_settings, courier, "batch-a-0001", fixes(start, 10))
    overlapping = fixes(start + timedelta(seconds=50), 10)  # 5 old + 5 new
    result = send(db_session, test_settings, courier, "batch-b-0001", [*overlapping, overlapping[-1]])
    assert (result.accepted, result.duplicates) == (5, 6)
    assert stored(db_session, courier.id) == 15


def test_each_fix_is_stored_as_sent(db_session: Session, test_settings, courier) -> None:
    """What the phone sent is what the row holds: the point (lon/lat order), the device time, and the optional
    accuracy, speed and heading, null where the phone sent none, also when no fix in the batch has them."""
    at = utcnow() - timedelta(minutes=3)
    send(db_session, test_settings, courier, "batch-bare-01", [PositionFix(at=at, lat=-6.2001, lon=106.8165)])
    send(
        db_session,
        test_settings,
        courier,
        "batch-full-01",
        [
            PositionFix(
                at=at + timedelta(seconds=5), lat=-6.21, lon=106.82, accuracy_m=4.5, speed_mps=7.0, heading_deg=0
            )
        ],
    )
    rows = db_session.execute(
        select(
            Position.recorded_at,
            func.ST_Y(Position.location),
            func.ST_X(Position.location),
            func.ST_SRID(Position.location),
            Position.accuracy_m,
            Position.speed_mps,
            Position.heading_deg,
        )
        .where(Position.courier_id == courier.id)
        .order_by(Position.recorded_at)
    ).all()
    assert [tuple(r) for r in rows] == [
        (at, pytest.approx(-6.2001), pytest.approx(106.8165), 4326, None, None, None),
        (at + timedelta(seconds=5), pytest.approx(-6.21), pytest.approx(106.82), 4326, 4.5, 7.0, 0.0),
    ]


def test_same_batch_id_with_other_fixes_is_refused(db_session: Session, test_settings, courier) -> None:
    """Reusing a batch id for different content is a client bug: 422, nothing written."""
    send(db_session, test_settings, courier, "batch-reuse-1", fixes(utcnow() - timedelta(minutes=3), 3))
    with pytest.raises(IdempotencyKeyReused):
        send(db_session, test_settings, courier, "batch-reuse-1", fixes(utcnow() - timedelta(minutes=2), 3))


def test_batch_ids_are_per_courier(db_session: Session, test_settings, courier) -> None:
    """Two phones that happen to pick the same batch id do not see each other's answer."""
    other = make_courier(db_session, make_office(db_session))
    start = utcnow() - timedelta(minutes=3)
    send(db_session, test_settings, courier, "same-batch-id", fixes(start, 2))
    assert send(db_session, test_settings, other, "same-batch-id", fixes(start, 4)).accepted == 4


def test_implausible_fixes_are_rejected_one_by_one(db_session: Session, test_settings, courier) -> None:
    """A fix from the future, one older than 48 h, or with impossible values is reported; the rest is stored."""
    now = utcnow()
    good = fixes(now - timedelta(minutes=1), 2)
    bad = [
        PositionFix(at=now + timedelta(hours=1), lat=-6.2, lon=106.8),
        PositionFix(at=now - timedelta(days=3), lat=-6.2, lon=106.8),
        PositionFix(at=now, lat=float("nan"), lon=106.8),
        PositionFix(at=now, lat=-6.2, lon=106.8, accuracy_m=-1),
        PositionFix(at=now, lat=-6.2, lon=106.8, heading_deg=400),
    ]
    result = send(db_session, test_settings, courier, "batch-mixed-1", [*good, *bad], now=now)
    assert result.accepted == 2 and result.duplicates == 0
    assert [r["reason"] for r in result.rejected] == [
        "in_future", "too_old", "invalid_coordinates", "invalid_accuracy", "invalid_heading",
    ]  # fmt: skip
    assert [r["index"] for r in result.rejected] == [2, 3, 4, 5, 6]


def test_fresh_fix_announces_the_next_applicant_once(db_session: Session, test_settings) -> None:
    """Pings refresh the route's ETAs; when the courier's next visit is an applicant, a fresh ping queues
    'courier on the way' with the ETA, once."""
    office = make_office(db_session)
    courier = make_courier(db_session, office, name="Andi Kurir")
    first = make_tracked_job(db_session, office, today_local()).job
    second = make_tracked_job(db_session, office, today_local()).job
    _, stops = publish_route(db_session, office, today_local(), courier, [first, second])
    now = utcnow()
    send(db_session, test_settings, courier, "batch-ann-1", fixes(now - timedelta(minutes=1), 3), now=now)
    send(db_session, test_settings, courier, "batch-ann-2", fixes(now - timedelta(seconds=5), 1), now=now)
    announced = select(Notification).where(Notification.template == "courier_on_the_way")
    messages = list(db_session.scalars(announced.where(Notification.job_id.in_([first.id, second.id]))))
    assert [(m.job_id, m.dedupe_key) for m in messages] == [(first.id, f"stop:{stops[1].id}:on_the_way")]
    assert "Andi Kurir" in messages[0].body
    db_session.refresh(stops[1])
    assert stops[1].eta is not None  # refreshed from the pings (planning's ETA estimate)
    # old fixes replayed from a phone's queue announce nothing
    stops[1].status = "done"
    db_session.flush()
    send(db_session, test_settings, courier, "batch-ann-3", fixes(now - timedelta(hours=2), 3), now=now)
    assert list(db_session.scalars(announced.where(Notification.job_id == second.id))) == []
    send(db_session, test_settings, courier, "batch-ann-4", fixes(now, 1), now=now)
    assert len(list(db_session.scalars(announced.where(Notification.job_id == second.id)))) == 1


def test_a_handover_holding_the_route_neither_holds_up_nor_fails_a_batch(test_settings, engine) -> None:
    """A handover at a door locks stops of the courier's route until it commits. The batch's ETA refresh
    updates the same stops: once, in one transaction with the fixes, the two deadlocked under load and a
    courier got a 503. Now the fixes commit first, the refresh gives up after a short lock wait, and the next
    batch refreshes. (Committed to the session database, like the other concurrency tests: the lock must be
    another transaction's.)"""
    with Session(engine, expire_on_commit=False) as session:
        office = make_office(session)
        courier = make_courier(session, office)
        job = make_tracked_job(session, office, today_local()).job
        _, stops = publish_route(session, office, today_local(), courier, [job])
        assert stops[1].job_id == job.id and stops[1].eta is None
        session.commit()
    now = utcnow()
    outcome: dict[str, object] = {}
    eta = select(Stop.eta).where(Stop.id == stops[1].id)

    def batch() -> None:
        try:
            with Session(engine, expire_on_commit=False) as session:
                outcome["result"] = send(session, test_settings, courier, "batch-lock-1", fixes(now, 3), now=now)
        except Exception as exc:  # the assertion below shows it
            outcome["error"] = exc

    with engine.connect() as door:
        door.execute(text("SELECT id FROM stops WHERE id = ANY(:ids) FOR UPDATE"), {"ids": [s.id for s in stops]})
        worker = threading.Thread(target=batch)
        worker.start()
        worker.join(timeout=10)  # before the fix this waited for the lock for as long as the handover held it
        finished_under_lock = not worker.is_alive()
        door.rollback()
    worker.join()
    assert finished_under_lock
    assert "error" not in outcome, outcome
    assert outcome["result"].accepted == 3
    with Session(engine) as session:
        assert stored(session, courier.id) == 3  # the fixes are committed
        assert session.scalar(eta) is None  # the refresh gave way to the handover
        send(session, test_settings, courier, "batch-lock-2", fixes(now + timedelta(seconds=30), 1), now=now)
        assert session.scalar(eta) is not None  # and the next batch refreshed
