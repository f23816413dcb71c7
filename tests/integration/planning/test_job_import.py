"""CSV import of a day's jobs: every row goes through the booking rules; all rows are booked or none is."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from dispatch.clock import at_local
from dispatch.jobs.models import Job
from dispatch.jobs.placement import place
from dispatch.offices.models import Office
from dispatch.planning.job_import import BadCsv, ImportRefused, import_jobs
from tests.factories.planning import make_courier, make_shift, make_user

DAY = date(2031, 4, 22)  # a Tuesday
NOW = at_local(date(2031, 4, 21), 18)
HOME = (-6.2615, 106.8106)  # Jakarta Selatan

HEADER = "kind,application_number,applicant_name,phone,address_text,window_start,documents,lat,lon,rt_rw\n"


def _office(db_session):
    office = db_session.get(Office, place(session=db_session, lat=HOME[0], lon=HOME[1]).office_id)
    make_shift(db_session, make_courier(db_session, office), DAY)
    return office, make_user(db_session, role="dispatcher", office_id=office.id)


def _import(db_session, settings, office, dispatcher, csv: str):
    return import_jobs(
        session=db_session, settings=settings, user=dispatcher, office_id=office.id, day=DAY,
        content=csv.encode(), now=NOW,
    )  # fmt: skip


def _jobs(db_session) -> int:
    db_session.expire_all()
    return db_session.scalar(select(func.count()).select_from(Job))


GOOD = f"pickup,APP-IMP-001,Siti Aminah,081234567890,Jl. Melati 1,08:00,KTP;Formulir,{HOME[0]},{HOME[1]},001/002\n"


def test_a_good_file_is_booked(db_session, reference_data, test_settings):
    """Every row becomes a booked job of the office, with its documents and window."""
    office, dispatcher = _office(db_session)
    result = _import(db_session, test_settings, office, dispatcher, HEADER + GOOD)
    assert [r["row"] for r in result.created] == [2]
    job = db_session.get(Job, result.created[0]["job_id"])
    assert (job.office_id, job.status, job.documents_count, job.rt_rw) == (office.id, "booked", 2, "001/002")
    assert job.window_start == at_local(DAY, 8)


def test_bad_rows_refuse_the_whole_file_and_are_all_reported(db_session, reference_data, test_settings):
    """A bad phone and an address of another office: 422 listing both rows; the good row is not booked."""
    office, dispatcher = _office(db_session)
    before = _jobs(db_session)
    csv = (
        HEADER
        + GOOD
        + (
            f"delivery,APP-IMP-002,Andi,0812,Jl. Melati 2,10:00,1,{HOME[0]},{HOME[1]},\n"
            f"pickup,APP-IMP-003,Rina,081234567891,Jl. Kenanga 3,13:00,1,-6.1380,106.8130,\n"
        )
    )
    with pytest.raises(ImportRefused) as refused:
        _import(db_session, test_settings, office, dispatcher, csv)
    errors = refused.value.details["errors"]
    assert [e["row"] for e in errors] == [3, 4]
    assert errors[0]["error"] == "invalid_phone"
    assert errors[1]["error"] in ("other_office", "no_serving_office", "outside_jakarta")
    assert _jobs(db_session) == before


@pytest.mark.parametrize("bad_time", ["25:99", "24:00", "13:60", "8", "08:00:00", "-1:30", "０８:００"])
def test_an_impossible_time_refuses_the_file_and_a_retry_does_not_duplicate(
    db_session, reference_data, test_settings, bad_time
):
    """Issue 15: ``25:99`` was a 500 that had already committed the rows before it, so the retry duplicated
    them. Now it is 422 ``import_refused`` (row 2: ``bad_time``), nothing is written, and the corrected file
    books each row exactly once."""
    office, dispatcher = _office(db_session)
    before = _jobs(db_session)

    def second(time: str) -> str:
        return f"pickup,APP-IMP-009,Rina,081234567891,Jl. Kenanga 3,{time},1,{HOME[0]},{HOME[1]},\n"

    with pytest.raises(ImportRefused) as refused:
        _import(db_session, test_settings, office, dispatcher, HEADER + GOOD + second(bad_time))
    assert refused.value.details["errors"] == [
        {"row": 3, "error": "bad_time", "message": refused.value.details["errors"][0]["message"],
         "message_id": refused.value.details["errors"][0]["message_id"]},
    ]  # fmt: skip
    assert _jobs(db_session) == before
    fixed = _import(db_session, test_settings, office, dispatcher, HEADER + GOOD + second("13:00"))
    assert [r["row"] for r in fixed.created] == [2, 3] and _jobs(db_session) == before + 2


def test_a_file_without_the_required_columns_is_refused(db_session, reference_data, test_settings):
    """A CSV missing required columns is refused as a whole (422 bad_csv), nothing is written."""
    office = db_session.get(Office, place(session=db_session, lat=HOME[0], lon=HOME[1]).office_id)
    dispatcher = make_user(db_session, role="dispatcher", office_id=office.id)
    with pytest.raises(BadCsv):
        import_jobs(
            session=db_session,
            settings=test_settings,
            user=dispatcher,
            office_id=office.id,
            day=DAY,
            content=b"kind,phone\npickup,0812\n",
            now=NOW,
        )
