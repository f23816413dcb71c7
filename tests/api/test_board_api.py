"""The board's own endpoints over HTTP: urgency and skills on a job, the days as run, names on the day's jobs."""

from __future__ import annotations

from datetime import date

from dispatch.jobs.models import Job
from tests.factories.day import make_office_day
from tests.factories.planning import make_user
from tests.factories.runs import make_run_days
from tests.factories.users import auth_headers

DAY = date(2031, 4, 22)  # a Tuesday


def _code(response, status: int) -> str:
    assert response.status_code == status, response.text
    return response.json()["error"]["code"]


def test_a_job_is_marked_urgent_and_needing_a_skill(client, db_session, test_settings, reference_data):
    """PATCH needs stores priority and lower-cased skills; the day view shows them with the applicant's name,
    application number and kelurahan. Out of range is 422, another office's or no job 404, a cancelled job 409."""
    od = make_office_day(db_session, DAY, couriers=1, jobs=2, seed=1)
    other = make_office_day(db_session, DAY, couriers=1, jobs=1, seed=2)
    h = auth_headers(db_session, od.dispatcher, test_settings)
    job = od.jobs[0]
    ok = client.patch(f"/api/jobs/{job.id}/needs", json={"priority": 100, "skills": ["Kuasa"]}, headers=h)
    assert ok.status_code == 200 and ok.json() == {"job_id": job.id, "priority": 100, "skills": ["kuasa"]}
    day = client.get(f"/api/offices/{od.office.id}/days/{DAY.isoformat()}", headers=h).json()
    row = next(j for j in day["jobs"] if j["job_id"] == job.id)
    assert (row["priority"], row["skills"], row["applicant_name"]) == (100, ["kuasa"], "Budi Santoso")
    assert row["application_number"] == job.application_number and row["kelurahan"]
    assert row["documents"] == ["Formulir permohonan"] or row["documents"] == ["Izin terbit"]
    assert _code(client.patch(f"/api/jobs/{job.id}/needs", json={"priority": 101}, headers=h), 422)
    assert _code(client.patch(f"/api/jobs/{job.id}/needs", json={"priority": 0, "skills": ["a b"]}, headers=h), 422)
    assert _code(client.patch(f"/api/jobs/{other.jobs[0].id}/needs", json={"priority": 1}, headers=h), 404)
    assert _code(client.patch("/api/jobs/987654321/needs", json={"priority": 1}, headers=h), 404)
    closed = db_session.get(Job, od.jobs[1].id)
    closed.status = "cancelled"
    db_session.flush()
    assert _code(client.patch(f"/api/jobs/{closed.id}/needs", json={"priority": 1}, headers=h), 409) == (
        "job_needs_fixed"
    )


def test_the_days_as_run_over_http(client, db_session, test_settings, reference_data):
    """GET performance: the figures of the period, weeks and couriers; a reversed range is 422, an unknown
    office 404, another office's dispatcher 403."""
    run = make_run_days(db_session, DAY)
    dispatcher = make_user(db_session, role="dispatcher", office_id=run.office.id)
    stranger = make_user(db_session, role="dispatcher", office_id=make_office_day(db_session, DAY).office.id)
    h = auth_headers(db_session, dispatcher, test_settings)
    url = f"/api/offices/{run.office.id}/performance"
    body = client.get(url, params={"from": DAY.isoformat(), "to": run.second.isoformat()}, headers=h).json()
    assert body["overall"]["visits"] == 2 and body["overall"]["on_time_share"] == 0.5
    assert body["overall"]["failed_by_reason"] == {"not_home": 1} and body["overall"]["custody_mean_min"] == 40.0
    assert [c["label"] for c in body["couriers"]] == ["Agus", "Bambang"] and len(body["weeks"]) == 2
    assert body["overall"]["ikm"]["value"] == 100.0
    reversed_range = {"from": run.second.isoformat(), "to": DAY.isoformat()}
    assert _code(client.get(url, params=reversed_range, headers=h), 422)
    assert _code(client.get("/api/offices/987654/performance", headers=h), 404)
    assert _code(client.get(url, headers=auth_headers(db_session, stranger, test_settings)), 403)


def test_the_day_names_each_job_by_its_own_applicant_and_documents(
    client, db_session, test_settings, reference_data
) -> None:
    """Names and documents are read as plain rows for a whole list of jobs at once (not per job through the
    ORM): each job still gets its own applicant's name and its own documents, in booking order, ×N for copies,
    and a job with no documents an empty list."""
    from dispatch.jobs.models import Applicant, JobDocument

    od = make_office_day(db_session, DAY, couriers=1, jobs=3, seed=3)
    first, second, third = od.jobs
    siti = Applicant(name="Siti Rahayu", phone=first.contact_phone)
    db_session.add(siti)
    db_session.flush()
    second.applicant_id = siti.id
    db_session.add_all([JobDocument(job_id=second.id, name="KTP", copies=2), JobDocument(job_id=second.id, name="KK")])
    db_session.query(JobDocument).filter(JobDocument.job_id == third.id).delete()
    db_session.flush()
    h = auth_headers(db_session, od.dispatcher, test_settings)
    day = client.get(f"/api/offices/{od.office.id}/days/{DAY.isoformat()}", headers=h).json()
    rows = {j["job_id"]: j for j in day["jobs"]}
    assert rows[second.id]["applicant_name"] == "Siti Rahayu"
    assert rows[first.id]["applicant_name"] != "Siti Rahayu"
    assert rows[second.id]["documents"][-2:] == ["KTP ×2", "KK"]
    assert rows[third.id]["documents"] == []
