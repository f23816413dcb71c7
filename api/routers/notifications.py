"""The outbox seen by staff; admins can send due messages now or give a dead one another chance."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request

from api.deps import CurrentAdmin, CurrentStaff, SessionDep, SettingsDep
from api.errors import responses
from api.schemas.notifications import DispatchOut, NotificationOut, PermitReadyIn, PermitReadyOut
from dispatch.clock import utcnow
from dispatch.jobs import permits
from dispatch.notifications import sender
from dispatch.notifications import service as notifications
from dispatch.notifications.errors import ApplicationNotFound
from dispatch.notifications.notifier import Notifier, notifier_from_settings

router = APIRouter(prefix="/api/notifications", tags=["notifications"])


def app_notifier(request: Request) -> Notifier:
    """The app's notifier (tests and embedders may set ``app.state.notifier``), else the configured one."""
    notifier = getattr(request.app.state, "notifier", None)
    if notifier is None:
        notifier = notifier_from_settings(request.app.state.settings)
        request.app.state.notifier = notifier
    return notifier


@router.get("", response_model=list[NotificationOut], responses=responses(401, 403))
def list_notifications(
    staff: CurrentStaff,
    session: SessionDep,
    job_id: int | None = None,
    status: Literal["pending", "sending", "sent", "logged", "failed", "dead"] | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[NotificationOut]:
    """A job's messages (oldest first), or the latest messages of any job (newest first); office staff see
    their own office's messages only (recipients' phone numbers are personal data), admins every office's."""
    office_id = None if staff.role == "admin" else (staff.office_id or -1)
    if job_id is not None:
        rows = notifications.notifications_for_job(session=session, job_id=job_id, office_id=office_id)
        rows = [r for r in rows if status is None or r.status == status]
    else:
        rows = notifications.recent_notifications(session=session, limit=limit, status=status, office_id=office_id)
    return [NotificationOut.model_validate(r) for r in rows]


@router.post("/dispatch", response_model=DispatchOut, responses=responses(401, 403))
def dispatch_now(admin: CurrentAdmin, request: Request) -> DispatchOut:
    """Send the messages that are due now (what ``ajib notify --once`` does)."""
    report = sender.send_due(sessions=request.app.state.session_factory, notifier=app_notifier(request))
    return DispatchOut(
        claimed=report.claimed, sent=report.sent, logged=report.logged, retrying=report.retrying, dead=report.dead
    )


@router.post("/{notification_id}/requeue", response_model=DispatchOut, responses=responses(401, 403, 404))
def requeue(notification_id: int, admin: CurrentAdmin, session: SessionDep) -> DispatchOut:
    """Give a dead message fresh attempts (after fixing the gateway or the number)."""
    sender.requeue(session=session, message_id=notification_id)
    return DispatchOut(claimed=0, sent=0, retrying=1, dead=0)


@router.post("/permit-ready", response_model=PermitReadyOut, responses=responses(401, 403, 404, 422))
def permit_ready(
    body: PermitReadyIn, staff: CurrentStaff, session: SessionDep, settings: SettingsDep
) -> PermitReadyOut:
    """Office staff say an application's permit is issued; the same use case as the integration call
    (`POST /api/integrations/permits/issued`): the delivery job is created, linked to the pickup, and the
    applicant is invited once. 404 when AJIB did not collect that application (the integration call can say
    who and where)."""
    try:
        result = permits.issue_permit(
            session=session,
            settings=settings,
            data=permits.PermitIssued(application_number=body.application_number),
            actor_user_id=staff.id,
            now=utcnow(),
        )
    except permits.ApplicantRequired as exc:
        raise ApplicationNotFound(body.application_number) from exc
    return PermitReadyOut(
        queued=result.created, delivery_job_id=result.delivery_job_id, tracking_code=result.tracking_code
    )
