"""A small world for access and fuzz tests: one office with staff, two couriers, two applicants' jobs, a handover.

``AccessWorld.headers(role)`` mints a fresh token per call (a fuzzed ``/api/auth/revoke`` must not lock the
next request out); ``restore()`` undoes what fuzzed admin calls may do to the world's own users and couriers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from dispatch.clock import at_local, today_local, utcnow
from dispatch.config import Settings
from dispatch.couriers.models import Courier, Shift
from dispatch.custody.evidence_store import LocalEvidenceStore
from dispatch.custody.models import Evidence, Handover
from dispatch.custody.receipts import receipt_token
from dispatch.custody.service import Actor, HandoverClaim, Upload, record_handover
from dispatch.jobs.codes import hash_secret, new_secret, new_tracking_code
from dispatch.jobs.models import Job
from dispatch.notifications.models import Notification
from dispatch.planning.models import Plan, Route, SolveRun, Stop
from dispatch.users.models import User
from dispatch.users.service import issue_token
from tests.factories.custody import (
    HOME_LAT,
    HOME_LON,
    OFFICE_LAT,
    OFFICE_LON,
    jpeg_bytes,
    make_job,
    make_office,
    make_scene,
    make_user,
    new_key,
    png_signature,
    point,
)
from tests.factories.jobs import next_bookable_day

ROLES = ("admin", "dispatcher", "clerk", "courier_a", "courier_b", "anonymous")
# applicant name, phone, address of job 1 (courier A, picked up), job 2 (courier B, delivery), job 3 (courier A)
PERSONAL = (
    ("Ani Rahasiawati", "+6281311100011", "Jl. Kenanga Rahasia No. 11"),
    ("Bambang Tersembunyi", "+6281322200022", "Jl. Melati Tersembunyi No. 22"),
    ("Citra Privasi", "+6281333300033", "Jl. Mawar Privasi No. 33"),
)


@dataclass
class AccessWorld:
    session: Session
    settings: Settings
    users: dict[str, int]  # role -> user id
    couriers: dict[str, int]  # courier_a/courier_b -> courier id
    ids: dict[str, Any] = field(default_factory=dict)  # path/query parameter name -> a real value
    secrets: dict[str, str] = field(default_factory=dict)  # tracking code -> secret
    _saved: list[tuple[int, str, int | None]] = field(default_factory=list)

    def token(self, role: str) -> str | None:
        if role not in self.users:
            return None
        user = self.session.get(User, self.users[role])
        kind = "device" if user.role == "courier" else "access"
        token = issue_token(session=self.session, user=user, kind=kind, settings=self.settings, now=utcnow()).token
        self.session.commit()
        return token

    def headers(self, role: str) -> dict[str, str]:
        token = self.token(role)
        return {"Authorization": f"Bearer {token}"} if token else {}

    def restore(self) -> None:
        """Undo fuzzed admin edits of the world's own people (deactivated, re-roled, moved office)."""
        for user_id, role, office_id in self._saved:
            self.session.execute(
                update(User).where(User.id == user_id).values(role=role, office_id=office_id, is_active=True)
            )
        self.session.execute(update(Courier).where(Courier.id.in_(self.couriers.values())).values(is_active=True))
        self.session.commit()


def make_access_world(session: Session, settings: Settings, *, store: LocalEvidenceStore | None = None) -> AccessWorld:
    """Office with admin, dispatcher, clerk; courier A (has the route) and B; job 1 picked up by A; job 2 planned."""
    scene = make_scene(session, settings, kind="pickup")
    admin = make_user(session, "admin", None)
    dispatcher = session.scalar(select(User).where(User.office_id == scene.office.id, User.role == "dispatcher"))
    other_job = make_job(session, scene.office, scene.job.service_date, kind="delivery")
    _add_route(session, scene.plan, scene.other_courier.id, other_job)
    third_job = make_job(session, scene.office, scene.job.service_date, kind="pickup")
    _add_stops(session, scene.stops["pickup"].route_id, third_job, ("pickup", "office_drop"), first_seq=10)
    for job, (name, phone, address) in zip((scene.job, other_job, third_job), PERSONAL, strict=True):
        job.applicant.name, job.applicant.phone, job.contact_phone, job.address_text = name, phone, phone, address
        job.tracking_code = new_tracking_code()  # the real format (the custody factory's codes are not)
    shift = Shift(
        courier_id=scene.courier.id,
        service_date=scene.job.service_date,
        start_at=at_local(scene.job.service_date, 8),
        end_at=at_local(scene.job.service_date, 17),
    )
    run = SolveRun(
        office_id=scene.office.id,
        service_date=scene.job.service_date,
        kind="plan",
        status="done",
        progress=1.0,
        plan_id=scene.plan.id,
    )
    session.add_all([shift, run])
    secrets = {}
    for job in (scene.job, other_job, third_job):
        secret = new_secret()
        job.secret_hash = hash_secret(secret)
        secrets[job.tracking_code] = secret
    session.flush()
    store = store or LocalEvidenceStore(settings.evidence_path)
    courier_user = session.get(User, scene.courier.user_id)
    result = record_handover(
        session=session,
        settings=settings,
        actor=Actor(courier_user.id, "courier", courier_user.office_id, scene.courier.id),
        claim=HandoverClaim(
            job_id=scene.job.id,
            from_party="applicant",
            to_party="courier",
            recipient_name="Agus",
            device_time=utcnow(),
            lat=HOME_LAT,
            lon=HOME_LON,
            accuracy_m=5.0,
        ),
        uploads=[Upload("photos", jpeg_bytes(size=(80, 60))), Upload("signature", png_signature())],
        idempotency_key=new_key(),
        store=store,
    )
    handover_id = result.body["handover_id"]
    evidence_id = session.scalar(select(Evidence.id).where(Evidence.handover_id == handover_id).limit(1))
    notification = session.scalar(select(Notification).where(Notification.job_id == scene.job.id).limit(1))
    notification.status = "dead"  # an admin may requeue a message that gave up
    other_office = make_office(session)
    other_dispatcher = make_user(session, "dispatcher", other_office.id)
    other_clerk = make_user(session, "clerk", other_office.id)
    users = {
        "dispatcher_other_office": other_dispatcher.id,
        "clerk_other_office": other_clerk.id,
        "admin": admin.id,
        "dispatcher": dispatcher.id,
        "clerk": scene.clerk.id,
        "courier_a": scene.courier.user_id,
        "courier_b": scene.other_courier.user_id,
    }
    world = AccessWorld(
        session=session,
        settings=settings,
        users=users,
        couriers={"courier_a": scene.courier.id, "courier_b": scene.other_courier.id},
        secrets=secrets,
    )
    from dispatch.custody import log
    from dispatch.custody.keys import office_signer

    checkpoint = log.publish_checkpoint(session, office_signer(settings), utcnow()) or log.latest_checkpoint(session)
    world.ids = {
        "size": checkpoint.size,
        "office_id": scene.office.id,
        "job_id": scene.job.id,
        "other_job_id": other_job.id,
        "plan_id": scene.plan.id,
        "courier_id": scene.courier.id,
        "stop_id": scene.stops["pickup"].id,
        "handover_id": handover_id,
        "evidence_id": evidence_id,
        "notification_id": notification.id,
        "other_application_number": other_job.application_number,
        "user_id": dispatcher.id,
        "tracking_code": scene.job.tracking_code,
        "other_tracking_code": other_job.tracking_code,
        "third_job_id": third_job.id,
        "third_stop_id": session.scalar(select(Stop.id).where(Stop.job_id == third_job.id, Stop.kind == "pickup")),
        "shift_id": shift.id,
        "run_id": str(run.id),
        "secret": secrets[scene.job.tracking_code],
        "t": receipt_token(settings.secret_key, handover_id),
        "day": today_local().isoformat(),
        "date": today_local().isoformat(),
        "booking_day": next_bookable_day().isoformat(),
    }
    world._saved = [(u.id, u.role, u.office_id) for u in (session.get(User, i) for i in users.values())]
    session.commit()
    return world


def _add_route(session: Session, plan: Plan, courier_id: int, job: Job) -> None:
    """Courier B's route on the same published plan (one published plan per office and day)."""
    route = Route(plan_id=plan.id, courier_id=courier_id)
    session.add(route)
    session.flush()
    _add_stops(session, route.id, job, ("office_load", "delivery"), first_seq=1)


def _add_stops(session: Session, route_id: int, job: Job, kinds: tuple[str, ...], *, first_seq: int) -> None:
    at = at_local(job.service_date, 10)
    for seq, kind in enumerate(kinds, start=first_seq):
        home = kind in ("pickup", "delivery")
        session.add(
            Stop(
                route_id=route_id,
                seq=seq,
                kind=kind,
                job_id=job.id,
                location=point(HOME_LAT, HOME_LON) if home else point(OFFICE_LAT, OFFICE_LON),
                planned_arrival=at,
                planned_start=at,
            )
        )
    session.flush()


def job_of(world: AccessWorld, key: str = "job_id") -> Job:
    return world.session.get(Job, world.ids[key])


def handover_of(world: AccessWorld) -> Handover:
    return world.session.get(Handover, world.ids["handover_id"])
