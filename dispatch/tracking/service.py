"""Tracking use cases: the applicant's view of one job, and the courier phone's batched position pings."""

from __future__ import annotations

import logging
import math
import random
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, text
from sqlalchemy.exc import OperationalError

from dispatch.audit.idempotency import request_fingerprint, run_idempotent
from dispatch.config import BUSINESS_TZ
from dispatch.custody.models import Evidence, Handover
from dispatch.custody.receipts import receipt_url
from dispatch.jobs.access import applicant_job
from dispatch.jobs.models import Job
from dispatch.notifications import service as notifications
from dispatch.offices.models import Office
from dispatch.planning.eta import published_route, refresh_route_etas
from dispatch.planning.problem_builder import lat_lon, travel_for
from dispatch.survey import service as surveys
from dispatch.tracking import evidence as proof
from dispatch.tracking import ics, progress, timeline
from dispatch.tracking.errors import InvalidPositions

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from dispatch.config import Settings
    from dispatch.throttle.service import Caller

log = logging.getLogger(__name__)

MAX_BATCH = 500
MAX_FIX_AGE = timedelta(hours=48)  # a phone offline longer than this has nothing useful to say
ANNOUNCE_WITHIN = timedelta(minutes=10)  # only a fresh fix triggers "courier on the way"


@dataclass(frozen=True)
class CourierView:
    name: str
    lat: float | None
    lon: float | None
    eta: datetime
    updated_at: datetime | None
    path: list[tuple[float, float]] = field(default_factory=list)  # courier -> this door (roads or straight)


@dataclass(frozen=True)
class HandoverView:
    id: int
    at: datetime
    from_party: str
    to_party: str
    recipient_name: str
    receipt_url: str
    thumbnails: list[str]


@dataclass(frozen=True)
class TrackingView:
    tracking_code: str
    kind: str
    status: str
    status_label_id: str
    status_label_en: str
    service_date: date
    window_start: datetime
    window_end: datetime
    office_name: str
    timeline: list[timeline.TimelineEntry]
    courier: CourierView | None
    handovers: list[HandoverView]
    rebooked_as: str | None = None
    rebooked_from: str | None = None
    planned_at: datetime | None = None  # the published plan's time at the door, while the visit is ahead
    booked_at: datetime | None = None
    access: str = "full"  # full (secret) | status (code + phone digits: no proof images, no position)
    survey: str | None = None  # open | answered | None (not offered for this job)


def track(
    *,
    session: Session,
    settings: Settings,
    tracking_code: str,
    secret: str | None,
    caller: Caller | None,
    now: datetime,
    phone_digits: str | None = None,
) -> TrackingView:
    """Everything the applicant may see about their job, and nothing about anyone else's. With the secret: all
    of it; with the last four digits of the booking's phone instead: the status view (see ``access``)."""
    job = applicant_job(session, tracking_code, secret, phone_digits, caller)
    access = "full" if secret or not phone_digits else "status"
    label_id, label_en = timeline.STATUS_LABELS[job.status]
    en_route = progress.en_route_to(session, job, now=now)
    courier = None
    if en_route is not None:
        # The courier's position and way only with the secret link, not the phone-digits status view.
        fix = progress.latest_fix(session, en_route.courier.id, now=now) if access == "full" else None
        path: list[tuple[float, float]] = []
        if fix is not None:
            # Only the courier's way to this door: never the other applicants on the route.
            (path,), _ = travel_for(settings).legs([(fix.lat, fix.lon), lat_lon(en_route.stop.location)])
        courier = CourierView(
            name=en_route.courier.name,
            lat=fix.lat if fix else None,
            lon=fix.lon if fix else None,
            eta=en_route.eta.astimezone(BUSINESS_TZ),
            updated_at=fix.at.astimezone(BUSINESS_TZ) if fix else None,
            path=[(round(a, 6), round(b, 6)) for a, b in path],
        )
    planned = progress.planned_time(session, job)
    rebooked_as = session.scalar(
        select(Job.tracking_code)
        .where(Job.rebooked_from_id == job.id, Job.status != "cancelled")
        .order_by(Job.id.desc())
    )
    rebooked_from = None
    if job.rebooked_from_id:
        rebooked_from = session.scalar(select(Job.tracking_code).where(Job.id == job.rebooked_from_id))
    return TrackingView(
        tracking_code=job.tracking_code,
        kind=job.kind,
        status=job.status,
        status_label_id=label_id,
        status_label_en=label_en,
        service_date=job.service_date,
        window_start=job.window_start.astimezone(BUSINESS_TZ),
        window_end=job.window_end.astimezone(BUSINESS_TZ),
        office_name=session.scalar(select(Office.name).where(Office.id == job.office_id)) or "",
        timeline=timeline.build(session, job),
        courier=courier,
        handovers=_handovers(session, settings, job, now, with_proof=access == "full"),
        rebooked_as=rebooked_as,
        rebooked_from=rebooked_from,
        planned_at=planned.astimezone(BUSINESS_TZ) if planned else None,
        booked_at=job.created_at.astimezone(BUSINESS_TZ),
        access=access,
        survey=surveys.survey_state(session, job),
    )


def _handovers(
    session: Session, settings: Settings, job: Job, now: datetime, *, with_proof: bool = True
) -> list[HandoverView]:
    rows = list(session.scalars(select(Handover).where(Handover.job_id == job.id).order_by(Handover.seq)))
    thumbs: dict[int, list[str]] = {row.id: [] for row in rows}
    if rows and with_proof:
        files = session.execute(
            select(Evidence.id, Evidence.handover_id)
            .where(Evidence.handover_id.in_(thumbs), Evidence.purged_at.is_(None))
            .order_by(Evidence.id)
        )
        for evidence_id, handover_id in files:
            thumbs[handover_id].append(proof.thumbnail_url(settings, job, evidence_id, now=now))
    return [
        HandoverView(
            id=row.id,
            at=row.recorded_at.astimezone(BUSINESS_TZ),
            from_party=row.from_party,
            to_party=row.to_party,
            recipient_name=row.recipient_name,
            receipt_url=receipt_url(settings, row.id) if with_proof else "",
            thumbnails=thumbs[row.id],
        )
        for row in rows
    ]


@dataclass(frozen=True)
class PositionFix:
    at: datetime
    lat: float
    lon: float
    accuracy_m: float | None = None
    speed_mps: float | None = None
    heading_deg: float | None = None


@dataclass(frozen=True)
class PositionBatchResult:
    accepted: int
    duplicates: int
    rejected: list[dict[str, Any]] = field(default_factory=list)
    replayed: bool = False


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=BUSINESS_TZ) if moment.tzinfo is None else moment


def _problem(fix: PositionFix, now: datetime) -> str | None:
    """Why a fix is not stored (the rest of the batch still is: one bad fix must not block a phone's queue)."""
    if not (-90 <= fix.lat <= 90 and -180 <= fix.lon <= 180):  # also false for NaN
        return "invalid_coordinates"
    if fix.accuracy_m is not None and not 0 <= fix.accuracy_m < math.inf:
        return "invalid_accuracy"
    if fix.speed_mps is not None and not 0 <= fix.speed_mps < math.inf:
        return "invalid_speed"
    if fix.heading_deg is not None and not 0 <= fix.heading_deg <= 360:
        return "invalid_heading"
    at = _aware(fix.at)
    if at > now + progress.CLOCK_SKEW:
        return "in_future"
    if at < now - MAX_FIX_AGE:
        return "too_old"
    return None


def record_positions(
    *,
    session: Session,
    settings: Settings,
    courier_id: int,
    batch_id: str,
    fixes: list[PositionFix],
    now: datetime,
) -> PositionBatchResult:
    """Store a batch once: a retried batch id answers as the first time; a fix already stored is a duplicate."""
    if not fixes or len(fixes) > MAX_BATCH:
        raise InvalidPositions(f"1–{MAX_BATCH} posisi per kiriman.", f"1–{MAX_BATCH} positions per batch.")
    fingerprint = request_fingerprint(
        [[_aware(f.at).isoformat(), f.lat, f.lon, f.accuracy_m, f.speed_mps, f.heading_deg] for f in fixes]
    )

    def work() -> tuple[int, dict[str, Any]]:
        rejected = []
        rows: dict[datetime, PositionFix] = {}
        for index, fix in enumerate(fixes):
            problem = _problem(fix, now)
            if problem:
                rejected.append({"index": index, "reason": problem})
                continue
            rows.setdefault(_aware(fix.at), fix)
        accepted = 0
        if rows:
            fresh = rows.values()
            accepted = len(
                session.execute(
                    _INSERT_FIXES,
                    {
                        "courier_id": courier_id,
                        "at": list(rows),
                        "lat": [f.lat for f in fresh],
                        "lon": [f.lon for f in fresh],
                        "accuracy": [f.accuracy_m for f in fresh],
                        "speed": [f.speed_mps for f in fresh],
                        "heading": [f.heading_deg for f in fresh],
                    },
                ).all()
            )
            if accepted:
                latest.append(max(rows))
        valid = len(fixes) - len(rejected)
        return 200, {"accepted": accepted, "duplicates": valid - accepted, "rejected": rejected}

    latest: list[datetime] = []
    outcome = run_idempotent(session, f"positions:{courier_id}", batch_id, fingerprint, work)
    session.commit()
    if latest and not outcome.replayed and _eta_refresh_due(courier_id, settings.eta_refresh_interval_s):
        _refresh_after_positions(session, settings, courier_id, latest[0], now)
    return PositionBatchResult(**outcome.body, replayed=outcome.replayed)


def _refresh_after_positions(
    session: Session, settings: Settings, courier_id: int, latest: datetime, now: datetime
) -> None:
    """The ETA refresh and the 'on the way' notice run in their own short transaction, after the fixes are
    committed, and give way to any handover. They update the stops of the courier's route, which a handover
    of that route also updates: in one transaction with the fixes, the two deadlocked under load
    (docs/robustness.md), and a 503 for a handover at a door is the one answer we must not give. ETAs and the
    notice are derived from stored data, so a skipped refresh is simply redone by the next batch. It gives up
    after 50 ms: the phone is waiting for this answer, and a handover holds its stop until its commit, which
    under load was longer than the 200 ms this waited before (docs/robustness.md)."""
    try:
        session.execute(text("SET LOCAL lock_timeout = '50ms'"))
        _after_positions(session, settings, courier_id, latest, now)
        session.commit()
    except OperationalError as exc:  # lock timeout, deadlock victim, or the database went away just now
        session.rollback()
        _next_eta_refresh.pop(courier_id, None)
        log.info("ETA refresh for courier %s skipped: %s", courier_id, type(exc.orig).__name__)


# One statement for the whole batch, whatever its size: arrays unnested server-side. The ORM's multi-row
# VALUES insert was compiled anew for every batch (~40 % of a position batch's server CPU, docs/robustness.md);
# a text statement is parsed once per connection and prepared by psycopg after a few uses.
#
# A position fix is not evidence: if the database server itself crashed, losing its last fraction of a second
# of fixes is acceptable, so a transaction that stores fixes does not wait for its WAL flush at commit (~5 ms
# here). An application crash loses nothing acknowledged; handovers keep synchronous commits. The setting is
# made by this statement (``set_config(..., true)`` lasts to the end of the transaction), not by a SET LOCAL
# of its own: one round trip less on the busiest endpoint.
_INSERT_FIXES = text(
    """
    INSERT INTO positions (courier_id, recorded_at, location, accuracy_m, speed_mps, heading_deg)
    SELECT :courier_id, f.at, ST_SetSRID(ST_MakePoint(f.lon, f.lat), 4326), f.accuracy, f.speed, f.heading
    FROM unnest(
        CAST(:at AS timestamptz[]), CAST(:lat AS float8[]), CAST(:lon AS float8[]),
        CAST(:accuracy AS float8[]), CAST(:speed AS float8[]), CAST(:heading AS float8[])
    ) AS f(at, lat, lon, accuracy, speed, heading)
    CROSS JOIN (SELECT set_config('synchronous_commit', 'off', true)) AS async_commit
    ON CONFLICT (courier_id, recorded_at) DO NOTHING
    RETURNING id
    """
)


# courier id -> monotonic time from which this worker refreshes their ETAs again
_next_eta_refresh: dict[int, float] = {}
_SPREAD = (0.5, 1.5)  # the next refresh of a courier, in intervals from this one


def _eta_refresh_due(courier_id: int, interval_s: float) -> bool:
    """At most one ETA refresh per courier per interval (on average) and worker: it was ~60 % of a position
    batch's cost (docs/robustness.md), and an ETA a few seconds old is as useful to an applicant as a fresh one.

    Each courier's next refresh is drawn between half and one and a half intervals ahead, so couriers whose
    phones started together (the morning, a server restart) do not go on refreshing in the same second: at
    10 × Jakarta's peak, 200 couriers refreshing together every 30 s were a burst of seconds of CPU that held
    every request up (docs/robustness.md)."""
    now = time.monotonic()
    due = _next_eta_refresh.get(courier_id)
    if due is not None and now < due:
        return False
    _next_eta_refresh[courier_id] = now + interval_s * random.uniform(*_SPREAD)
    return True


def _after_positions(session: Session, settings: Settings, courier_id: int, latest: datetime, now: datetime) -> None:
    """New fixes refresh the ETAs of the courier's route today (planning's one-leg estimate, no solver); a fresh
    fix may make the courier's next applicant 'on the way': they are told once, with that ETA."""
    day = now.astimezone(BUSINESS_TZ).date()
    route = published_route(session, courier_id, day)
    if route is None:
        return
    # the new ETAs stay in the session until the end: the stop rows a handover also updates are locked only
    # by the final flush and the commit, not while the notice is decided (reads see the objects' new ETAs)
    with session.no_autoflush:
        refresh_route_etas(session=session, route=route, day=day, now=now, travel=travel_for(settings))
        if now - latest > ANNOUNCE_WITHIN:
            return
        stop = progress.next_visit(session, route.id)
        if stop is None or stop.kind not in ("pickup", "delivery"):
            return
        job = session.get(Job, stop.job_id)
        en_route = progress.en_route_to(session, job, now=now) if job is not None else None
    if en_route is None:
        return
    notifications.notify_courier_on_the_way(
        session=session,
        settings=settings,
        job=job,
        stop_id=stop.id,
        eta=en_route.eta,
        courier_name=en_route.courier.name,
    )


def calendar_file(
    *,
    session: Session,
    settings: Settings,
    tracking_code: str,
    secret: str | None,
    phone_digits: str | None,
    caller: Caller | None,
    now: datetime,
    language: str,
) -> bytes:
    """The appointment as an .ics file, for whoever may see the job's status (secret or phone digits)."""
    job = applicant_job(session, tracking_code, secret, phone_digits, caller)
    office = session.scalar(select(Office.name).where(Office.id == job.office_id)) or ""
    return ics.job_calendar(
        job, track_url=notifications.public_track_url(settings, job.tracking_code), office_name=office, now=now,
        language=language,
    )  # fmt: skip
