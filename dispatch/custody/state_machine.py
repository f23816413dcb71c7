"""The custody state machine: which transfer may follow which, and who records it.

Pure rules (no database) so they can be tested exhaustively and reused by the property tests.
The lifecycle is the one in docs/api-contract.md; docs/custody.md explains the choices.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from dispatch.custody.errors import (
    AttemptNotAllowed,
    ClerkRequired,
    CourierRequired,
    CustodyOrder,
    JobClosed,
    NotYourJob,
    NotYourOffice,
)

Recorder = Literal["courier", "office"]
OFFICE_ROLES = ("clerk", "dispatcher", "admin")
CLOSED_STATUSES = ("at_office", "delivered", "cancelled")


@dataclass(frozen=True)
class Step:
    """One allowed transfer: what it needs and what it changes."""

    job_kind: str
    status: str  # the job status it starts from
    from_party: str
    to_party: str
    stop_kind: str | None  # the route stop this transfer completes (None: not a planned stop)
    recorder: Recorder  # who enters it: the courier at the door, or office staff at the counter
    new_status: str


STEPS: tuple[Step, ...] = (
    # pickup: the courier collects at home, the office receives at its counter
    Step("pickup", "planned", "applicant", "courier", "pickup", "courier", "picked_up"),
    Step("pickup", "picked_up", "courier", "office", "office_drop", "office", "at_office"),
    # delivery: the office hands the issued permit out, the courier hands it over at home
    Step("delivery", "planned", "office", "courier", "office_load", "office", "out_for_delivery"),
    Step("delivery", "out_for_delivery", "courier", "applicant", "delivery", "courier", "delivered"),
    # a delivery that failed at the door: the courier brings the permit back (status stays failed)
    Step("delivery", "failed", "courier", "office", None, "office", "failed"),
)
_BY_KEY = {(s.job_kind, s.status, s.from_party, s.to_party): s for s in STEPS}

PARTY_ID = {"applicant": "pemohon", "courier": "petugas", "office": "kantor"}


def plan_step(*, job_kind: str, status: str, custody_party: str, from_party: str, to_party: str) -> Step:
    """The step for this transfer, or the reason it is out of order (409)."""
    if status in CLOSED_STATUSES:
        raise JobClosed(status)
    if from_party == to_party:
        raise CustodyOrder("Pihak pemberi dan penerima sama.", "From and to party are the same.")
    if from_party != custody_party:
        raise CustodyOrder(
            f"Dokumen sedang dipegang {PARTY_ID.get(custody_party, custody_party)}, "
            f"bukan {PARTY_ID.get(from_party, from_party)}.",
            f"The documents are held by the {custody_party}, not the {from_party}.",
            custody_party=custody_party,
            status=status,
        )
    step = _BY_KEY.get((job_kind, status, from_party, to_party))
    if step is None:
        if status == "failed":
            raise JobClosed(status)
        raise CustodyOrder(
            f"Serah terima {PARTY_ID.get(from_party)} → {PARTY_ID.get(to_party)} tidak berlaku "
            f"untuk pekerjaan {job_kind} berstatus '{status}'.",
            f"A {from_party} → {to_party} handover is not allowed for a {job_kind} job in status '{status}'.",
            custody_party=custody_party,
            status=status,
        )
    return step


def check_recorder(step: Step, *, role: str, user_office_id: int | None, job_office_id: int) -> None:
    """The courier records door-side steps; staff of the job's office record counter-side steps."""
    if step.recorder == "courier":
        if role != "courier":
            raise CourierRequired()
        return
    if role not in OFFICE_ROLES:
        raise ClerkRequired()
    if role != "admin" and user_office_id != job_office_id:
        raise NotYourOffice()


def check_door_courier(
    step: Step, *, actor_courier_id: int, route_courier_id: int | None, custody_courier_id: int | None
) -> None:
    """At the door only the courier on the published route (and, when handing over, the one holding it) acts."""
    if route_courier_id != actor_courier_id:
        raise NotYourJob()
    if step.from_party == "courier" and custody_courier_id != actor_courier_id:
        raise NotYourJob()


def attempt_allowed(*, job_kind: str, status: str, custody_party: str) -> str:
    """A failed visit is possible before the documents move at the door; returns the stop kind it fails."""
    if status in ("booked", "planned"):
        return "pickup" if job_kind == "pickup" else "delivery"
    if job_kind == "delivery" and status == "out_for_delivery" and custody_party == "courier":
        return "delivery"
    raise AttemptNotAllowed(status)


INITIAL_PARTY = {"pickup": "applicant", "delivery": "office"}
PRE_CUSTODY_STATUSES = ("booked", "planned", "failed", "cancelled")  # statuses planning and booking own


def status_after(job_kind: str, from_party: str, to_party: str, *, failed: bool = False) -> str:
    """The job status a handover leaves behind (a failed visit after it turns a delivery ``failed``)."""
    step = next(s for s in STEPS if (s.job_kind, s.from_party, s.to_party) == (job_kind, from_party, to_party))
    if failed and step.new_status == "out_for_delivery":
        return "failed"
    return step.new_status
