"""Custody invariants under random sequences of bookings, (re-)plans, handovers, failed visits and retries.

A hypothesis state machine drives the real custody services on PostGIS (one rolled-back transaction per
example). An independent model of the documented lifecycle (docs/api-contract.md) predicts whether each
step may succeed; the service must agree, and after every step the database must satisfy: one holder per
job, no delivery before pickup (the chain is a prefix of an allowed path), every chain verifies, every
job's status and holder agree with its last handover, and a refused step wrote nothing.
"""

from __future__ import annotations

import os
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    initialize,
    invariant,
    multiple,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from bench.load.reconcile import job_problems
from dispatch.clock import at_local, today_local, utcnow
from dispatch.couriers.models import Courier
from dispatch.custody.evidence_store import LocalEvidenceStore
from dispatch.custody.models import Attempt, Evidence, Handover
from dispatch.custody.service import Actor, AttemptInput, HandoverClaim, Upload, record_attempt, record_handover
from dispatch.errors import DomainError
from dispatch.jobs.models import Job
from dispatch.planning.models import Plan, Route, Stop
from dispatch.users.models import User
from tests.factories.custody import jpeg_bytes, png_signature
from tests.factories.planning import OFFICE_LAT, OFFICE_LON, make_courier, make_job, make_office, make_user, point

PHOTO = jpeg_bytes(size=(64, 48))
SIGNATURE = png_signature()
PARTIES = ("applicant", "courier", "office")
ACTORS = ("courier_a", "courier_b", "clerk")
CLOSED = ("at_office", "delivered", "cancelled")
# (kind, status, from, to) -> (new status, stop kind the step completes, who records it)
STEPS = {
    ("pickup", "planned", "applicant", "courier"): ("picked_up", "pickup", "courier"),
    ("pickup", "picked_up", "courier", "office"): ("at_office", "office_drop", "office"),
    ("delivery", "planned", "office", "courier"): ("out_for_delivery", "office_load", "office"),
    ("delivery", "out_for_delivery", "courier", "applicant"): ("delivered", "delivery", "courier"),
    ("delivery", "failed", "courier", "office"): ("failed", None, "office"),
}


@dataclass
class ModelJob:
    """What the model believes about a job, kept independently of the database."""

    id: int
    kind: str
    status: str = "booked"
    holder: str = ""
    holder_courier: str | None = None
    route: dict[str, str] = field(default_factory=dict)  # stop kind -> courier name on the published plan

    def __post_init__(self) -> None:
        self.holder = self.holder or ("applicant" if self.kind == "pickup" else "office")


class CustodyMachine(RuleBasedStateMachine):
    """One office, two couriers and a clerk; jobs come and go through the custody services."""

    jobs = Bundle("jobs")
    done = Bundle("done")

    def __init__(self) -> None:
        super().__init__()
        self.conn = ENV.engine.connect()
        self.outer = self.conn.begin()
        self.session = Session(bind=self.conn, join_transaction_mode="create_savepoint", expire_on_commit=False)
        self.day = today_local()
        self.office = make_office(self.session)
        self.clerk = make_user(self.session, role="clerk", office_id=self.office.id)
        couriers = [make_courier(self.session, self.office) for _ in range(2)]
        self.couriers = dict(zip(("courier_a", "courier_b"), couriers, strict=True))
        self.users = {"courier_a": couriers[0].user_id, "courier_b": couriers[1].user_id, "clerk": self.clerk.id}
        self.model: dict[int, ModelJob] = {}
        self.plan_version = 0
        self.session.commit()

    def teardown(self) -> None:
        self.session.close()
        self.outer.rollback()
        self.conn.close()

    # --- rules ----------------------------------------------------------------------------------

    @initialize(
        target=jobs,
        kinds=st.lists(st.sampled_from(("pickup", "delivery")), min_size=2, max_size=4),
        assign=st.lists(st.sampled_from(("courier_a", "courier_b")), min_size=8, max_size=8),
    )
    def morning(self, kinds: list[str], assign: list[str]):
        """The day starts with a few booked jobs on a published plan."""
        ids = [self.book(kind) for kind in kinds]
        self.replan(assign)
        return multiple(*ids)

    @rule(target=jobs, kind=st.sampled_from(("pickup", "delivery")))
    def book(self, kind: str) -> int:
        job = make_job(self.session, self.office, self.day, kind=kind, lat=-6.25, lon=106.80, window=(9, 11))
        self.session.commit()
        self.model[job.id] = ModelJob(job.id, kind)
        return job.id

    @rule(assign=st.lists(st.sampled_from(("courier_a", "courier_b")), min_size=8, max_size=8))
    def replan(self, assign: list[str]) -> None:
        """Publish a new plan version (the old one superseded) over every job that is not closed or failed."""
        self.session.execute(
            update(Plan).where(Plan.office_id == self.office.id, Plan.status == "published").values(status="superseded")
        )
        self.plan_version += 1
        plan = Plan(
            office_id=self.office.id,
            service_date=self.day,
            version=self.plan_version,
            status="published",
            published_at=utcnow(),
        )
        self.session.add(plan)
        self.session.flush()
        routes = {}
        for name, courier in self.couriers.items():
            routes[name] = Route(plan_id=plan.id, courier_id=courier.id)
            self.session.add(routes[name])
        self.session.flush()
        seqs = dict.fromkeys(routes, 0)
        for i, mj in enumerate(sorted(self.model.values(), key=lambda j: j.id)):
            mj.route = {}
            if mj.status in CLOSED or mj.status == "failed":
                continue
            name = assign[i % len(assign)]
            kinds = ("pickup", "office_drop") if mj.kind == "pickup" else ("office_load", "delivery")
            for kind in kinds:
                seqs[name] += 1
                at = at_local(self.day, 9)
                self.session.add(
                    Stop(
                        route_id=routes[name].id,
                        seq=seqs[name],
                        kind=kind,
                        job_id=mj.id,
                        location=point(OFFICE_LAT, OFFICE_LON),
                        planned_arrival=at,
                        planned_start=at,
                    )
                )
                mj.route[kind] = name
            if mj.status == "booked":
                mj.status = "planned"
                self.session.execute(update(Job).where(Job.id == mj.id).values(status="planned"))
        self.session.commit()

    @rule(
        target=done,
        job_id=jobs,
        pair=st.sampled_from([(a, b) for a in PARTIES for b in PARTIES if a != b]),
        actor=st.sampled_from(ACTORS),
    )
    def handover(self, job_id: int, pair: tuple[str, str], actor: str):
        """Any transfer by anyone: mostly refused, and the service must refuse exactly what the model refuses."""
        return self._handover(job_id, pair, actor)

    @rule(target=done, job_id=jobs, right_actor=st.booleans(), other=st.sampled_from(ACTORS))
    def advance(self, job_id: int, right_actor: bool, other: str):
        """The job's next documented transfer, by the person who should record it (or by someone else)."""
        mj = self.model[job_id]
        pair = next(((a, b) for (k, s, a, b) in STEPS if (k, s, a) == (mj.kind, mj.status, mj.holder)), None)
        if pair is None:
            return self._handover(job_id, ("courier", "office"), other)
        _, stop, recorder = STEPS[(mj.kind, mj.status, *pair)]
        proper = "clerk" if recorder == "office" else (mj.holder_courier or mj.route.get(stop) or other)
        return self._handover(job_id, pair, proper if right_actor else other)

    def _handover(self, job_id: int, pair: tuple[str, str], actor: str):
        mj = self.model[job_id]
        expected = self._expect_handover(mj, *pair, actor)
        data = HandoverClaim(
            job_id=job_id,
            from_party=pair[0],
            to_party=pair[1],
            recipient_name="Siti Rahayu",
            device_time=utcnow(),
            lat=-6.25,
            lon=106.80,
            accuracy_m=5.0,
        )
        key = f"p-{uuid.uuid4().hex}"
        outcome = self._call(record_handover, actor, data, key, signature=True)
        assert (outcome is not None) == (expected is not None), (
            f"{mj.kind} job in {mj.status} held by {mj.holder}/{mj.holder_courier}, route {mj.route}: "
            f"{pair} by {actor} -> service {'accepted' if outcome else 'refused'}, model expected the opposite"
        )
        STATS[f"handover {'accepted' if outcome else 'refused'}"] += 1
        if outcome is None:
            return None
        mj.status = expected
        mj.holder = pair[1]
        mj.holder_courier = self._courier_of_step(mj, pair, actor) if pair[1] == "courier" else None
        return (actor, data, key, outcome.body)

    @rule(job_id=jobs, actor=st.sampled_from(ACTORS))
    def failed_visit(self, job_id: int, actor: str) -> None:
        mj = self.model[job_id]
        stop = "pickup" if mj.kind == "pickup" else "delivery"
        allowed = (
            actor != "clerk"
            and stop in mj.route
            and mj.route[stop] == actor
            and (mj.status == "planned" or (mj.kind == "delivery" and mj.status == "out_for_delivery"))
            and (mj.holder != "courier" or mj.holder_courier == actor)
        )
        data = AttemptInput(job_id=job_id, reason="not_home", device_time=utcnow())
        outcome = self._call(record_attempt, actor, data, f"a-{uuid.uuid4().hex}", signature=False)
        assert (outcome is not None) == allowed, f"attempt on {mj} by {actor}: service {bool(outcome)}, model {allowed}"
        STATS[f"failed visit {'accepted' if outcome else 'refused'}"] += 1
        if outcome is not None:
            mj.status = "failed"

    @rule(previous=consumes(done))
    def retry_same_key(self, previous) -> None:
        """A retried upload (same key, same bytes) gets the first answer back and writes nothing."""
        if previous is None:
            return
        actor, data, key, body = previous
        before = self._counts()
        outcome = self._call(record_handover, actor, data, key, signature=True)
        assert outcome is not None and outcome.replayed and outcome.body == body
        assert self._counts() == before

    @rule(previous=done)
    def reuse_key_for_other_request(self, previous) -> None:
        """The same key with different content is refused, not silently replayed."""
        if previous is None:
            return
        actor, data, key, _ = previous
        changed = HandoverClaim(**{**data.__dict__, "recipient_name": "Orang Lain"})
        before = self._counts()
        assert self._call(record_handover, actor, changed, key, signature=True) is None
        assert self._counts() == before

    # --- invariants -----------------------------------------------------------------------------

    @invariant()
    def database_agrees_with_custody_rules(self) -> None:
        if not self.model:
            return
        ids = list(self.model)
        jobs = self.session.scalars(select(Job).where(Job.id.in_(ids)).execution_options(populate_existing=True))
        rows = self.session.scalars(select(Handover).where(Handover.job_id.in_(ids))).all()
        by_job: dict[int, list[Handover]] = {}
        for row in rows:
            by_job.setdefault(row.job_id, []).append(row)
        attempted = set(self.session.scalars(select(Attempt.job_id).where(Attempt.job_id.in_(ids))))
        for job in jobs:
            problems = job_problems(job, by_job.get(job.id, []), has_attempt=job.id in attempted)
            assert not problems, problems
            mj = self.model[job.id]
            assert (job.status, job.custody_party) == (mj.status, mj.holder)
            holder = self.couriers[mj.holder_courier].id if mj.holder_courier else None
            assert job.custody_courier_id == holder

    # --- helpers --------------------------------------------------------------------------------

    def _expect_handover(self, mj: ModelJob, a: str, b: str, actor: str) -> str | None:
        step = STEPS.get((mj.kind, mj.status, a, b))
        if mj.status in CLOSED or step is None or a != mj.holder:
            return None
        new_status, stop, recorder = step
        if recorder == "office":
            if actor != "clerk":
                return None
            if (a, b) == ("office", "courier") and not (mj.route.get("office_load") or mj.route.get("delivery")):
                return None  # the office hands out only to a courier with the job on the published plan
            return new_status
        if actor == "clerk" or mj.route.get(stop) != actor:
            return None
        if a == "courier" and mj.holder_courier != actor:
            return None
        return new_status

    def _courier_of_step(self, mj: ModelJob, pair: tuple[str, str], actor: str) -> str:
        if actor != "clerk":
            return actor
        return mj.route.get("office_load") or mj.route["delivery"]

    def _call(self, service, actor: str, data, key: str, *, signature: bool):
        uploads = [Upload("photos", PHOTO)] + ([Upload("signature", SIGNATURE)] if signature else [])
        payload = {"claim": data} if service is record_handover else {"data": data}
        try:
            return service(
                session=self.session,
                settings=ENV.settings,
                actor=actor_of(self.session, self.users[actor]),
                **payload,
                uploads=uploads,
                idempotency_key=key,
                store=ENV.store,
            )
        except DomainError:
            self.session.rollback()
            return None

    def _counts(self) -> tuple[int, int, int]:
        return (
            self.session.scalar(select(func.count()).select_from(Handover)),
            self.session.scalar(select(func.count()).select_from(Evidence)),
            self.session.scalar(select(func.count()).select_from(Attempt)),
        )


@dataclass
class _Env:
    """The session-scoped fixtures, for machines that hypothesis builds without arguments."""

    engine: Any = None
    settings: Any = None
    store: Any = None


ENV = _Env()
STATS: Counter[str] = Counter()  # so a machine that never gets a step through cannot pass vacuously


def test_custody_invariants_hold_under_random_sequences(engine, test_settings, tmp_path):
    """No document in two hands, no delivery before pickup, chains verify, state follows the last handover."""
    ENV.engine, ENV.settings, ENV.store = engine, test_settings, LocalEvidenceStore(tmp_path / "evidence")
    examples = int(os.environ.get("AJIB_PROPERTY_EXAMPLES", "20"))
    run_state_machine_as_test(
        CustodyMachine,
        settings=settings(
            max_examples=examples,
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        ),
    )
    print(dict(STATS))
    assert STATS["handover accepted"] >= examples and STATS["failed visit accepted"] >= 1, STATS


def actor_of(session, user_id: int) -> Actor:
    """The request's actor as the custody router builds it (a courier user carries their courier id)."""
    user = session.get(User, user_id)
    courier_id = (
        session.scalar(select(Courier.id).where(Courier.user_id == user.id)) if user.role == "courier" else None
    )
    return Actor(user.id, user.role, user.office_id, courier_id)
