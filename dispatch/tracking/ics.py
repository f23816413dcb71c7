"""The appointment as an iCalendar file (RFC 5545) the applicant adds to their phone's calendar.

One event per job with a stable UID, so importing the file again after a reschedule updates the event instead
of adding a second one (SEQUENCE follows the job's version). Times carry TZID Asia/Jakarta with its VTIMEZONE.
No secret: the description links to the public tracking page.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from icalendar import Alarm, Calendar, Event

from dispatch.config import BUSINESS_TZ
from dispatch.notifications import templates

if TYPE_CHECKING:
    from dispatch.jobs.models import Job

SUMMARY = {
    "pickup": ("AJIB: kurir menjemput berkas permohonan", "AJIB: courier collects your application documents"),
    "delivery": ("AJIB: kurir mengantar izin", "AJIB: courier delivers your permit"),
}
PREPARE = templates.PREPARE


def job_calendar(job: Job, *, track_url: str, office_name: str, now: datetime, language: str = "id") -> bytes:
    en = language == "en"
    summary = SUMMARY[job.kind][1 if en else 0]
    prepare = PREPARE[job.kind][1 if en else 0]
    code_line = f"{'Tracking code' if en else 'Kode lacak'}: {job.tracking_code}"
    cal = Calendar()
    cal.add("prodid", "-//AJIB//Antar Jemput Izin Bermotor//ID")
    cal.add("version", "2.0")
    cal.add("method", "PUBLISH")
    event = Event()
    event.add("uid", f"{job.tracking_code}@ajib")
    event.add("sequence", max(int(job.version or 1) - 1, 0))
    event.add("dtstamp", now)
    event.add("dtstart", job.window_start.astimezone(BUSINESS_TZ))
    event.add("dtend", job.window_end.astimezone(BUSINESS_TZ))
    event.add("summary", f"{summary} ({job.tracking_code})")
    event.add("location", job.address_text)
    event.add("description", "\n".join((code_line, prepare, f"{office_name}", track_url)))
    event.add("url", track_url)
    event.add("status", "CANCELLED" if job.status == "cancelled" else "CONFIRMED")
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", summary)
    alarm.add("trigger", timedelta(minutes=-60))  # an hour before the window opens
    event.add_component(alarm)
    cal.add_component(event)
    cal.add_missing_timezones()
    return cal.to_ical()
