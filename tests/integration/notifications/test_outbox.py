"""The outbox: one message per event, texts in Bahasa Indonesia and English, retries with backoff, dead letters."""

from __future__ import annotations

import json
import socketserver
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from dispatch.clock import utcnow
from dispatch.notifications import service as notifications
from dispatch.notifications import templates
from dispatch.notifications.models import Notification
from dispatch.notifications.notifier import HttpGatewayNotifier, LogNotifier, SmtpNotifier
from dispatch.notifications.sender import RetryPolicy, send_due
from tests.factories.jobs import make_tracked_job, next_bookable_day
from tests.factories.planning import make_office

# rows are made due in the distant past and sent "then", so committed messages of other tests are never claimed
EPOCH = datetime(2001, 1, 1, tzinfo=UTC)


class FakeGateway:
    """An SMS gateway on loopback that fails the first ``failures`` requests with ``fail_status``."""

    def __init__(self, failures: int = 0, fail_status: int = 503) -> None:
        self.failures, self.fail_status = failures, fail_status
        self.requests: list[dict] = []
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                gateway.requests.append({"body": body, "key": self.headers.get("Idempotency-Key")})
                status = gateway.fail_status if len(gateway.requests) <= gateway.failures else 200
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"ok": true}' if status == 200 else b'{"error": "busy"}')

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/send"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeGateway:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def job(db_session: Session):
    office = make_office(db_session)
    return make_tracked_job(db_session, office, next_bookable_day()).job


def _make_due(session: Session, job, at: datetime = EPOCH) -> None:
    """Only this test's messages: committed ones of live-server tests must never be claimed here."""
    session.execute(
        update(Notification)
        .where(Notification.job_id == job.id, Notification.next_attempt_at > at)
        .values(next_attempt_at=at)
    )
    session.flush()


def test_the_same_event_queues_one_message(db_session: Session, test_settings, job) -> None:
    """A dedupe key names the event: announcing it twice (a retried request, a re-run hook) writes one row."""
    assert notifications.notify_booking_confirmed(session=db_session, settings=test_settings, job=job)
    assert not notifications.notify_booking_confirmed(session=db_session, settings=test_settings, job=job)
    assert notifications.notify_booking_confirmed(session=db_session, settings=test_settings, job=job, event="r1")
    rows = notifications.notifications_for_job(session=db_session, job_id=job.id)
    assert [r.dedupe_key for r in rows] == [f"job:{job.id}:booking_confirmed", f"job:{job.id}:booking_confirmed:r1"]
    assert rows[0].recipient == job.contact_phone and rows[0].status == "pending"


def test_every_template_renders_in_both_languages(db_session: Session, test_settings, job) -> None:
    """Each event's message has Indonesian and English text, GSM-7 only, and never the tracking secret."""
    now = utcnow()
    s, st = db_session, test_settings
    # messages about a stop, a handover or an attempt are keyed by its id, unique across the database: not small
    # constants, which rows committed by earlier tests (live-server tests commit) may already have used
    unique = 1_000_000_000 + 10 * job.id
    notifications.notify_booking_confirmed(session=s, settings=st, job=job)
    notifications.notify_courier_on_the_way(
        session=s, settings=st, job=job, stop_id=unique, eta=now, courier_name="Andi"
    )
    notifications.notify_handed_over(
        session=s, settings=st, job=job, handover_id=unique + 1, to_party="courier", at=now, recipient_name="Andi",
        receipt_url="http://x/receipts/7?t=abc",
    )  # fmt: skip
    last = "office" if job.kind == "pickup" else "applicant"  # the handover that completes the service
    notifications.notify_handed_over(
        session=s, settings=st, job=job, handover_id=unique + 2, to_party=last, at=now, recipient_name="Loket",
        receipt_url="http://x/receipts/8?t=abc",
    )  # fmt: skip
    notifications.notify_failed_attempt(session=s, settings=st, job=job, attempt_id=unique + 3, reason="not_home")
    notifications.notify_permit_ready(session=s, settings=st, job=job)
    notifications.notify_booking_cancelled(session=s, settings=st, job=job)
    bodies = {r.template: r.body for r in s.scalars(select(Notification).where(Notification.job_id == job.id))}
    assert set(bodies) == set(templates.TEMPLATES)
    track_url = notifications.public_track_url(st, job.tracking_code)
    for name, body in bodies.items():  # every message about a job deep-links to its tracking (or survey) page
        if name not in ("permit_ready", "service_completed"):
            assert track_url in body, (name, body)
    assert f"/survey/{job.tracking_code}" in bodies["service_completed"]
    assert templates.date_id(job.service_date) in bodies["booking_confirmed"]
    assert "sedang menuju" in bodies["courier_on_the_way"] and "Andi" in bodies["courier_on_the_way"]
    assert "pesan ulang" in bodies["failed_attempt"] and "tidak ada di rumah" in bodies["failed_attempt"]
    assert job.tracking_code in bodies["booking_confirmed"] and "#s=" not in bodies["booking_confirmed"]
    for body in bodies.values():
        assert body.isascii(), body
    day = job.service_date
    context = {name: "x" for name in templates.fields("booking_confirmed")} | {"date_en": templates.date_en(day)}
    assert templates.render("booking_confirmed", "en", context).startswith("AJIB: x booked for")


def test_gateway_failures_are_retried_with_backoff_then_sent_once(
    db_session: Session, sessions: sessionmaker[Session], test_settings, job
) -> None:
    """503s are retried after 30 s, then 60 s; the third try succeeds; the gateway sees the dedupe key each time."""
    notifications.notify_booking_confirmed(session=db_session, settings=test_settings, job=job)
    _make_due(db_session, job)
    policy = RetryPolicy(max_attempts=5, base_s=30, cap_s=3600)
    with FakeGateway(failures=2) as gateway:
        notifier = HttpGatewayNotifier(gateway.url)
        first = send_due(sessions=sessions, notifier=notifier, now=EPOCH, policy=policy)
        assert (first.claimed, first.sent, first.retrying) == (1, 0, 1)
        row = db_session.scalar(select(Notification).where(Notification.job_id == job.id).execution_options(
            populate_existing=True))  # fmt: skip
        assert row.status == "failed" and row.attempts == 1
        assert row.next_attempt_at == EPOCH + timedelta(seconds=30) and "503" in row.last_error
        # not due yet: nothing happens
        assert send_due(sessions=sessions, notifier=notifier, now=EPOCH + timedelta(seconds=29)).claimed == 0
        second = send_due(sessions=sessions, notifier=notifier, now=EPOCH + timedelta(seconds=30), policy=policy)
        assert second.retrying == 1
        db_session.refresh(row)
        assert row.next_attempt_at == EPOCH + timedelta(seconds=90)
        third = send_due(sessions=sessions, notifier=notifier, now=EPOCH + timedelta(seconds=90), policy=policy)
        assert third.sent == 1
        assert send_due(sessions=sessions, notifier=notifier, now=EPOCH + timedelta(days=1), policy=policy).claimed == 0
    db_session.refresh(row)
    assert row.status == "sent" and row.attempts == 3 and row.sent_at == EPOCH + timedelta(seconds=90)
    assert len(gateway.requests) == 3
    assert {r["key"] for r in gateway.requests} == {row.dedupe_key}
    assert gateway.requests[0]["body"] == {
        "to": job.contact_phone, "channel": "sms", "message": row.body, "reference": row.dedupe_key,
    }  # fmt: skip


def test_gives_up_after_max_attempts_and_on_permanent_errors(
    db_session: Session, sessions: sessionmaker[Session], test_settings, job
) -> None:
    """A gateway that keeps failing makes the message dead after N tries; a 4xx makes it dead at once."""
    notifications.notify_booking_confirmed(session=db_session, settings=test_settings, job=job)
    notifications.notify_booking_cancelled(session=db_session, settings=test_settings, job=job)
    _make_due(db_session, job)
    policy = RetryPolicy(max_attempts=3, base_s=10)
    with FakeGateway(failures=100) as down:
        moment = EPOCH
        for _ in range(3):
            send_due(sessions=sessions, notifier=HttpGatewayNotifier(down.url), now=moment, policy=policy)
            moment += timedelta(hours=1)
        assert send_due(sessions=sessions, notifier=HttpGatewayNotifier(down.url), now=moment).claimed == 0
    assert len(down.requests) == 6
    rows = notifications.notifications_for_job(session=db_session, job_id=job.id)
    for row in rows:
        db_session.refresh(row)
    assert {(r.status, r.attempts) for r in rows} == {("dead", 3)}

    notifications.notify_booking_confirmed(session=db_session, settings=test_settings, job=job, event="again")
    _make_due(db_session, job)
    with FakeGateway(failures=100, fail_status=400) as refusing:
        report = send_due(sessions=sessions, notifier=HttpGatewayNotifier(refusing.url), now=EPOCH, policy=policy)
    assert (report.claimed, report.dead) == (1, 1) and len(refusing.requests) == 1


def test_unreachable_gateway_is_a_temporary_failure(
    db_session: Session, sessions: sessionmaker[Session], test_settings, job
) -> None:
    """Connection refused is retried later, not given up."""
    notifications.notify_booking_confirmed(session=db_session, settings=test_settings, job=job)
    _make_due(db_session, job)
    with FakeGateway() as gone:
        url = gone.url
    report = send_due(sessions=sessions, notifier=HttpGatewayNotifier(url, timeout_s=2), now=EPOCH)
    assert report.retrying == 1


def test_log_notifier_marks_messages_logged_not_sent(
    db_session: Session, sessions: sessionmaker[Session], test_settings, job
):
    """The default notifier only writes the message to the log: it is `logged`, never `sent` (an operator
    who forgot to configure the gateway must not believe texts went out)."""
    notifications.notify_booking_confirmed(session=db_session, settings=test_settings, job=job)
    _make_due(db_session, job)
    notifier = LogNotifier()
    report = send_due(sessions=sessions, notifier=notifier, now=EPOCH)
    assert (report.sent, report.logged) == (0, 1)
    assert [m.template for m in notifier.sent] == ["booking_confirmed"]
    db_session.expire_all()
    [row] = db_session.scalars(select(Notification).where(Notification.job_id == job.id)).all()
    assert row.status == "logged" and row.sent_at is not None


@pytest.fixture
def committed_messages(engine) -> Iterator[list[int]]:
    """Messages committed for real (two senders need two connections); removed afterwards."""
    ids: list[int] = []
    yield ids
    with Session(engine) as session:
        session.execute(Notification.__table__.delete().where(Notification.id.in_(ids)))
        session.commit()


def test_two_senders_never_send_the_same_message(engine, committed_messages: list[int]) -> None:
    """SKIP LOCKED claims: two senders draining the same outbox at once send each message exactly once."""
    tag = utcnow().strftime("%H%M%S%f")
    with Session(engine) as session:
        for i in range(30):
            notifications.enqueue(
                session=session, template="permit_ready", dedupe_key=f"test-senders:{tag}:{i}",
                recipient="+628111111111", context={"application_number": str(i), "booking_url": "u"}, due_at=EPOCH,
            )  # fmt: skip
        session.commit()
        committed_messages.extend(
            session.scalars(select(Notification.id).where(Notification.dedupe_key.like(f"test-senders:{tag}:%")))
        )
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    start = threading.Barrier(4)

    def drain(url: str) -> None:
        notifier = HttpGatewayNotifier(url)
        start.wait()
        while send_due(sessions=factory, notifier=notifier, now=EPOCH, batch=3).claimed:
            pass

    with FakeGateway() as gateway:
        threads = [threading.Thread(target=drain, args=(gateway.url,)) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    keys = [r["key"] for r in gateway.requests]
    assert len(keys) == len(set(keys)) == 30


class FakeSmtp:
    """Just enough SMTP on loopback to receive one message per connection."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, str]] = []
        outer = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                self.wfile.write(b"220 fake ESMTP\r\n")
                rcpt, data, in_data = "", [], False
                for raw in self.rfile:
                    line = raw.decode().rstrip("\r\n")
                    if in_data:
                        if line == ".":
                            outer.messages.append((rcpt, "\n".join(data)))
                            in_data = False
                            self.wfile.write(b"250 queued\r\n")
                        else:
                            data.append(line)
                        continue
                    verb = line[:4].upper()
                    if verb == "EHLO":
                        self.wfile.write(b"250 fake\r\n")
                    elif verb == "RCPT":
                        rcpt = line.split(":", 1)[1].strip(" <>")
                        self.wfile.write(b"250 ok\r\n")
                    elif verb == "DATA":
                        in_data = True
                        self.wfile.write(b"354 go\r\n")
                    elif verb == "QUIT":
                        self.wfile.write(b"221 bye\r\n")
                        return
                    else:
                        self.wfile.write(b"250 ok\r\n")

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_smtp_notifier_mails_applicants_who_gave_an_address(
    db_session: Session, sessions: sessionmaker[Session], test_settings, job
) -> None:
    """With AJIB_NOTIFIER=smtp messages go by e-mail to the applicant's address; without one nothing is queued."""
    settings = test_settings.model_copy(update={"notifier": "smtp", "smtp_host": "127.0.0.1"})
    assert not notifications.notify_booking_confirmed(session=db_session, settings=settings, job=job)
    job.applicant.email = "siti@example.org"
    db_session.flush()
    assert notifications.notify_booking_confirmed(session=db_session, settings=settings, job=job, event="mail")
    _make_due(db_session, job)
    smtp = FakeSmtp()
    try:
        report = send_due(sessions=sessions, notifier=SmtpNotifier("127.0.0.1", port=smtp.port), now=EPOCH)
    finally:
        smtp.close()
    assert report.sent == 1
    [(to, text)] = smtp.messages
    assert to == "siti@example.org" and job.tracking_code in text
