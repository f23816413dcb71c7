"""CSV import of a day's jobs: every row goes through the booking rules, bad rows are reported, not fatal."""

from __future__ import annotations

from datetime import date

import pytest

from dispatch.clock import at_local
from dispatch.jobs.models import Job
from dispatch.jobs.placement import place
from dispatch.offices.models import Office
from dispatch.planning.job_import import BadCsv, import_jobs
from tests.factories.planning import make_courier, make_shift, make_user

DAY = date(2031, 4, 22)  # a Tuesday
NOW = at_local(date(2031, 4, 21), 18)
HOME = (-6.2615, 106.8106)  # Jakarta Selatan

HEADER = "kind,application_number,applicant_name,phone,address_text,window_start,documents,lat,lon,rt_rw\n"


def test_rows_are_booked_and_bad_rows_reported(db_session, reference_data, test_settings):
    """Valid rows become booked jobs of the office; a row with a bad phone and a row from another office's area are
    listed with their row number and error code."""
    office = db_session.get(Office, place(session=db_session, lat=HOME[0], lon=HOME[1]).office_id)
    make_shift(db_session, make_courier(db_session, office), DAY)
    dispatcher = make_user(db_session, role="dispatcher", office_id=office.id)
    csv = HEADER + (
        f"pickup,APP-IMP-001,Siti Aminah,081234567890,Jl. Melati 1,08:00,KTP;Formulir,{HOME[0]},{HOME[1]},001/002\n"
        f"delivery,APP-IMP-002,Andi,0812,Jl. Melati 2,10:00,1,{HOME[0]},{HOME[1]},\n"
        f"pickup,APP-IMP-003,Rina,081234567891,Jl. Kenanga 3,13:00,1,-6.1380,106.8130,\n"
    )

    result = import_jobs(
        session=db_session,
        settings=test_settings,
        user=dispatcher,
        office_id=office.id,
        day=DAY,
        content=csv.encode(),
        now=NOW,
    )

    assert [r["row"] for r in result.created] == [1]
    job = db_session.get(Job, result.created[0]["job_id"])
    assert (job.office_id, job.status, job.documents_count, job.rt_rw) == (office.id, "booked", 2, "001/002")
    assert job.window_start == at_local(DAY, 8)
    assert [e["row"] for e in result.errors] == [2, 3]
    assert result.errors[1]["error"] in ("other_office", "no_serving_office", "outside_jakarta")


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
