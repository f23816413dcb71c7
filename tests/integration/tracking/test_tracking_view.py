"""The applicant's tracking view: code + secret only, timeline in Indonesian, the courier only while on the way."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from dispatch.clock import local_day_start, today_local, utcnow
from dispatch.custody.evidence_store import store_from_settings
from dispatch.jobs.codes import new_tracking_code
from dispatch.jobs.errors import TrackingNotFound
from dispatch.throttle.errors import TooManyRequests
from dispatch.tracking import evidence, service
from dispatch.tracking.errors import EvidenceNotFound
from tests.factories.jobs import add_attempt, add_handover, make_tracked_job, png_bytes, publish_route
from tests.factories.planning import make_courier, make_office, make_position
from tests.factories.throttle import make_caller


@pytest.fixture
def day_today(db_session: Session):
    """Today's published route of one courier: first another applicant, then ours, then a third one."""
    office = make_office(db_session)
    courier = make_courier(db_session, office, name="Andi Kurir")
    today = today_local()
    before = make_tracked_job(db_session, office, today, applicant_name="Orang Lain", window=(8, 10))
    ours = make_tracked_job(db_session, office, today, applicant_name="Siti Rahayu", window=(10, 12))
    after = make_tracked_job(db_session, office, today, applicant_name="Pemohon Ketiga", window=(13, 15))
    _, stops = publish_route(db_session, office, today, courier, [before.job, ours.job, after.job])
    db_session.commit()  # a refused lookup rolls the session back (a savepoint here): keep the setup
    return {"office": office, "courier": courier, "before": before, "ours": ours, "after": after, "stops": stops}


def view(session: Session, settings, tracked, caller=None, now=None):
    session.commit()
    return service.track(
        session=session, settings=settings, tracking_code=tracked.code, secret=tracked.secret, caller=caller,
        now=now or utcnow(),
    )  # fmt: skip


def test_unknown_code_and_wrong_secret_are_the_same_404(db_session: Session, test_settings, day_today) -> None:
    """No enumeration: an existing code with a wrong secret answers exactly like a code that does not exist."""
    ours = day_today["ours"]
    answers = []
    for code, secret in ((ours.code, "wrong-secret"), (new_tracking_code(), ours.secret), ("garbage", None)):
        with pytest.raises(TrackingNotFound) as err:
            service.track(session=db_session, settings=test_settings, tracking_code=code, secret=secret,
                          caller=None, now=utcnow())  # fmt: skip
        answers.append((err.value.code, err.value.message_id, err.value.message_en, err.value.details))
    assert len(set(map(str, answers))) == 1
    assert view(db_session, test_settings, ours).tracking_code == ours.code
    # lower case and without dashes is the same code
    code = ours.code.lower().replace("-", "")
    assert service.track(session=db_session, settings=test_settings, tracking_code=code, secret=ours.secret,
                         caller=None, now=utcnow()).tracking_code == ours.code  # fmt: skip


def test_guessing_is_rate_limited_per_client(db_session: Session, test_settings, day_today) -> None:
    """Past the per-client failure limit a client gets 429, even with the right secret; other clients do not."""
    ours = day_today["ours"]
    guesser = make_caller(test_settings, "10.9.9.9")
    limit = guesser.throttle.rules.tracking_failures_client.items[0].amount
    for _ in range(limit):
        with pytest.raises(TrackingNotFound):
            service.track(session=db_session, settings=test_settings, tracking_code=ours.code, secret="x",
                          caller=guesser, now=utcnow())  # fmt: skip
    with pytest.raises(TooManyRequests):
        view(db_session, test_settings, ours, caller=guesser)
    neighbour = make_caller(test_settings, "10.9.9.8", throttle=guesser.throttle)
    assert view(db_session, test_settings, ours, caller=neighbour).status == "planned"


def test_courier_visible_only_while_on_the_way(db_session: Session, test_settings, day_today) -> None:
    """Before: another applicant's stop comes first → no courier. While: ours is next → name, position, ETA.
    After: our documents were collected → no courier any more."""
    s, courier, ours, stops = db_session, day_today["courier"], day_today["ours"], day_today["stops"]
    now = utcnow()
    # a fix of today (Asia/Jakarta): two minutes ago, unless that was before midnight (a CI run at 00:01 WIB)
    at = max(now - timedelta(minutes=2), local_day_start(today_local()))
    make_position(s, courier, lat=-6.25, lon=106.80, at=at)
    assert view(s, test_settings, ours).courier is None  # before: the first applicant is visited first

    stops[1].status = "done"  # the stop before ours
    s.flush()
    seen = view(s, test_settings, ours).courier
    assert seen is not None and seen.name == "Andi Kurir"
    assert (seen.lat, seen.lon) == (-6.25, 106.80)
    assert seen.eta == stops[2].planned_arrival
    stops[2].eta = stops[2].planned_arrival + timedelta(minutes=12)  # refreshed from pings
    s.flush()
    assert view(s, test_settings, ours).courier.eta == stops[2].eta
    # the third applicant does not see the courier yet
    assert view(s, test_settings, day_today["after"]).courier is None

    add_handover(s, ours.job, from_party="applicant", to_party="courier", courier=courier)
    stops[2].status = "done"
    s.flush()
    after = view(s, test_settings, ours)
    assert after.status == "picked_up" and after.courier is None
    assert view(s, test_settings, day_today["after"]).courier is not None


def test_no_courier_on_another_day_or_a_failed_skip(db_session: Session, test_settings, day_today) -> None:
    """Tomorrow's plan shows nothing today; a skipped (rebooked) stop or a failed job shows nothing either."""
    s, ours, stops = db_session, day_today["ours"], day_today["stops"]
    stops[1].status = "done"
    s.flush()
    assert view(s, test_settings, ours, now=utcnow() - timedelta(days=1)).courier is None
    stops[2].status = "skipped"
    s.flush()
    assert view(s, test_settings, ours).courier is None
    stops[2].status = "planned"
    add_attempt(s, ours.job, day_today["courier"])
    assert view(s, test_settings, ours).courier is None


def test_stale_position_gives_eta_without_a_point(db_session: Session, test_settings, day_today) -> None:
    """A position older than 30 minutes is not shown as where the courier is; the ETA still is."""
    s, stops = db_session, day_today["stops"]
    stops[1].status = "done"
    make_position(s, day_today["courier"], lat=-6.2, lon=106.8, at=utcnow() - timedelta(minutes=45))
    seen = view(s, test_settings, day_today["ours"]).courier
    assert seen is not None and seen.lat is None and seen.lon is None and seen.eta is not None


def test_delivery_courier_visible_once_the_permit_left_the_office(db_session: Session, test_settings) -> None:
    """A delivery is 'on the way' only after the office handed the permit to the courier and its stop is next."""
    s = db_session
    office = make_office(s)
    courier = make_courier(s, office, name="Budi Kurir")
    permit = make_tracked_job(s, office, today_local(), kind="delivery")
    _, stops = publish_route(s, office, today_local(), courier, [permit.job])
    assert [st.kind for st in stops] == ["start", "office_load", "delivery", "end"]
    assert view(s, test_settings, permit).courier is None  # permit still at the office
    add_handover(s, permit.job, from_party="office", to_party="courier", courier=courier)
    stops[1].status = "done"
    s.flush()
    assert view(s, test_settings, permit).courier.name == "Budi Kurir"
    add_handover(s, permit.job, from_party="courier", to_party="applicant", courier=courier)
    stops[2].status = "done"
    s.flush()
    done = view(s, test_settings, permit)
    assert done.status == "delivered" and done.courier is None


def test_timeline_in_indonesian_and_english(db_session: Session, test_settings, day_today) -> None:
    """Booked, planned, collected, at the office: from the records themselves, oldest first, in both languages."""
    s, ours, courier = db_session, day_today["ours"], day_today["courier"]
    add_handover(s, ours.job, from_party="applicant", to_party="courier", courier=courier)
    add_handover(s, ours.job, from_party="courier", to_party="office", courier=courier,
                 at=utcnow() + timedelta(minutes=1))  # fmt: skip
    seen = view(s, test_settings, ours)
    assert [e.status for e in seen.timeline] == ["booked", "planned", "picked_up", "at_office"]
    assert seen.timeline[2].label_id == "Dokumen diambil kurir"
    assert seen.timeline[3].label_en == "Documents received at the office"
    assert seen.status_label_id == "Dokumen diterima kantor"


def test_thumbnails_only_of_own_handovers(db_session: Session, test_settings, day_today) -> None:
    """The view links this job's proof images; a link or secret of one job never opens another job's image."""
    s, ours, other, courier = db_session, day_today["ours"], day_today["before"], day_today["courier"]
    store = store_from_settings(test_settings)
    add_handover(s, ours.job, from_party="applicant", to_party="courier", courier=courier,
                 images=[png_bytes("white"), png_bytes("blue")], store=store)  # fmt: skip
    theirs = add_handover(s, other.job, from_party="applicant", to_party="courier", courier=courier,
                          images=[png_bytes("green")], store=store)  # fmt: skip
    seen = view(s, test_settings, ours)
    assert len(seen.handovers) == 1 and len(seen.handovers[0].thumbnails) == 2
    assert seen.handovers[0].receipt_url.startswith(test_settings.public_base_url + "/receipts/")
    url = seen.handovers[0].thumbnails[0]
    evidence_id = int(url.split("/evidence/")[1].split("?")[0])
    token = url.split("?t=")[1]
    now = utcnow()
    jpeg = evidence.thumbnail(session=s, settings=test_settings, tracking_code=ours.code, evidence_id=evidence_id,
                              secret=None, token=token, caller=None, now=now)  # fmt: skip
    assert jpeg[:3] == b"\xff\xd8\xff"
    their_evidence = theirs.evidence[0].id
    with pytest.raises(EvidenceNotFound):  # our secret, their evidence id
        evidence.thumbnail(session=s, settings=test_settings, tracking_code=ours.code, evidence_id=their_evidence,
                           secret=ours.secret, token=None, caller=None, now=now)  # fmt: skip
    with pytest.raises(TrackingNotFound):  # our token, presented for their code
        evidence.thumbnail(session=s, settings=test_settings, tracking_code=other.code, evidence_id=evidence_id,
                           secret=None, token=token, caller=None, now=now)  # fmt: skip
    with pytest.raises(TrackingNotFound):  # expired link
        evidence.thumbnail(session=s, settings=test_settings, tracking_code=ours.code, evidence_id=evidence_id,
                           secret=None, token=token, caller=None, now=now + timedelta(hours=2))  # fmt: skip
