"""The applicant's satisfaction survey after the service, and the office's index (IKM) for staff."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response, status

from api.deps import CallerDep, CurrentStaff, SessionDep
from api.errors import request_language, responses
from api.schemas.survey import IkmGroupOut, IkmOut, IndexOut, SurveyIn, SurveyOut
from dispatch.calendar.errors import NotYourOffice
from dispatch.calendar.service import check_range
from dispatch.clock import today_local, utcnow
from dispatch.survey import service

router = APIRouter(prefix="/api", tags=["survey"])


@router.post(
    "/survey/{tracking_code}",
    response_model=SurveyOut,
    status_code=status.HTTP_201_CREATED,
    responses={
        200: {"model": SurveyOut, "description": "this answer was already stored"},
        **responses(404, 409, 422, 429),
    },
)
def answer_survey(
    tracking_code: str, body: SurveyIn, response: Response, session: SessionDep, caller: CallerDep
) -> SurveyOut:
    """One answer per finished job (permit delivered, or documents at the office): 201 the first time, 200 for
    the same answer again, 409 `survey_already_answered` for a different one, 409 `survey_not_open` before the
    service is complete. Opened with the tracking secret or the last 4 digits of the booking's phone."""
    result = service.submit(
        session=session,
        tracking_code=tracking_code,
        secret=body.secret,
        phone_digits=body.phone_last4,
        answers=body.answers,
        comment=body.comment,
        caller=caller,
        now=utcnow(),
    )
    if result.replayed:
        response.status_code = status.HTTP_200_OK
    return SurveyOut(tracking_code=result.tracking_code, replayed=result.replayed)


@router.get("/ikm", response_model=IkmOut, responses=responses(401, 403, 422))
def ikm(
    request: Request,
    user: CurrentStaff,
    session: SessionDep,
    office_id: Annotated[int | None, Query(ge=1, description="default: your office (admins: every office)")] = None,
    start: Annotated[
        date | None, Query(alias="from", description="service days from (default: 1st of the month)")
    ] = None,
    end: Annotated[date | None, Query(alias="to", description="to (default: today)")] = None,
    group: Literal["office", "courier", "month"] = "courier",
) -> IkmOut:
    """Indeks Kepuasan Masyarakat of the answers in a period: overall and per office, courier or month, on the
    25–100 scale with the regulation's grade (A ≥ 88.31, B ≥ 76.61, C ≥ 65.00, D below)."""
    if user.role != "admin" and user.office_id is not None:
        if office_id is not None and office_id != user.office_id:
            raise NotYourOffice()
        office_id = user.office_id
    last = end or today_local()
    first = start or last.replace(day=1)
    check_range(first, last)
    overall, rows = service.ikm(session=session, office_id=office_id, start=first, end=last, group=group)
    lang = request_language(request)
    return IkmOut(
        office_id=office_id,
        start=first,
        end=last,
        group=group,
        overall=IndexOut.of(overall, lang) if overall else None,
        groups=[IkmGroupOut(key=r.key, label=r.label, index=IndexOut.of(r.index, lang)) for r in rows],
    )
