"""Rows and files the custody tests need, built directly (independent of the planning flow).

``make_scene`` gives an office, a clerk, two couriers with tokens, and one job on a *published* route
of courier A (home stop + office stop). Names are unique per call, so the same helpers work in
rolled-back tests and on the live server's committed database.
"""

from __future__ import annotations

import io
import json
import struct
import uuid
import zlib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from geoalchemy2 import WKTElement
from PIL import ExifTags, Image
from sqlalchemy.orm import Session

from dispatch.clock import at_local, today_local, utcnow
from dispatch.config import Settings
from dispatch.couriers.models import Courier
from dispatch.custody.models import Handover
from dispatch.jobs.models import Applicant, Job, JobDocument
from dispatch.offices.models import Office
from dispatch.planning.models import Plan, Route, Stop
from dispatch.users.models import User
from dispatch.users.service import issue_token

OFFICE_LAT, OFFICE_LON = -6.2615, 106.8106  # Jakarta Selatan
HOME_LAT, HOME_LON = -6.2440, 106.8000  # a home ~2.3 km away


def _unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def point(lat: float, lon: float) -> WKTElement:
    return WKTElement(f"POINT({lon} {lat})", srid=4326)


@dataclass
class CustodyScene:
    office: Office
    clerk: User
    courier: Courier
    other_courier: Courier
    job: Job
    plan: Plan
    stops: dict[str, Stop]
    tokens: dict[str, str] = field(default_factory=dict)  # "clerk", "courier", "other_courier", "dispatcher"

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}


def make_office(session: Session) -> Office:
    code = _unique("CUS")
    office = Office(
        code=code,
        name=f"PTSP Uji {code}",
        level="kota",
        address="Jl. Prapanca Raya No. 9",
        location=point(OFFICE_LAT, OFFICE_LON),
        location_derived=False,
        location_source="test",
    )
    session.add(office)
    session.flush()
    return office


def make_user(session: Session, role: str, office_id: int | None) -> User:
    user = User(
        username=_unique(role), full_name=f"Uji {role}", role=role, password_hash="!unusable", office_id=office_id
    )
    session.add(user)
    session.flush()
    return user


def make_courier(session: Session, office: Office, name: str) -> Courier:
    user = make_user(session, "courier", office.id)
    courier = Courier(code=_unique("KUR"), user_id=user.id, office_id=office.id, name=name, phone="+6281200000001")
    session.add(courier)
    session.flush()
    return courier


def make_job(session: Session, office: Office, day: date, *, kind: str, status: str = "planned") -> Job:
    applicant = Applicant(name="Siti Rahayu", phone="+6281311112222", nik_last4="4321")
    session.add(applicant)
    session.flush()
    job = Job(
        kind=kind,
        status=status,
        office_id=office.id,
        applicant_id=applicant.id,
        application_number=_unique("APP"),
        tracking_code=uuid.uuid4().hex[:12].upper(),
        secret_hash=uuid.uuid4().hex,
        service_date=day,
        window_start=at_local(day, 9),
        window_end=at_local(day, 11),
        address_text="Jl. Uji No. 7, Kebayoran Baru",
        location=point(HOME_LAT, HOME_LON),
        contact_phone=applicant.phone,
        custody_party="applicant" if kind == "pickup" else "office",
    )
    session.add(job)
    session.flush()
    session.add(JobDocument(job_id=job.id, name="Berkas permohonan PBG" if kind == "pickup" else "Izin PBG", copies=2))
    session.flush()
    return job


def make_published_route(
    session: Session, office: Office, day: date, courier: Courier, job: Job, *, status: str = "published"
) -> tuple[Plan, dict[str, Stop]]:
    """A plan (version unique per office/day) with one route: start, the job's two stops, end."""
    version = 1 + len(session.query(Plan).filter_by(office_id=office.id, service_date=day).all())
    plan = Plan(office_id=office.id, service_date=day, version=version, status=status, published_at=utcnow())
    session.add(plan)
    session.flush()
    route = Route(plan_id=plan.id, courier_id=courier.id)
    session.add(route)
    session.flush()
    kinds = ("pickup", "office_drop") if job.kind == "pickup" else ("office_load", "delivery")
    t0 = at_local(day, 8)
    stops: dict[str, Stop] = {}
    for seq, kind in enumerate(("start", *kinds, "end")):
        at_home = kind in ("pickup", "delivery")
        stop = Stop(
            route_id=route.id,
            seq=seq,
            kind=kind,
            job_id=job.id if kind in kinds else None,
            location=point(HOME_LAT, HOME_LON) if at_home else point(OFFICE_LAT, OFFICE_LON),
            planned_arrival=t0 + timedelta(minutes=30 * seq),
            planned_start=t0 + timedelta(minutes=30 * seq),
        )
        session.add(stop)
        stops[kind] = stop
    session.flush()
    return plan, stops


def make_scene(
    session: Session, settings: Settings, *, kind: str = "pickup", day: date | None = None, published: bool = True
) -> CustodyScene:
    day = day or today_local()
    office = make_office(session)
    clerk = make_user(session, "clerk", office.id)
    dispatcher = make_user(session, "dispatcher", office.id)
    courier = make_courier(session, office, "Agus Kurniawan")
    other = make_courier(session, office, "Bambang Setiawan")
    job = make_job(session, office, day, kind=kind, status="planned" if published else "booked")
    plan, stops = make_published_route(session, office, day, courier, job, status="published" if published else "draft")
    scene = CustodyScene(office, clerk, courier, other, job, plan, stops)
    now = utcnow()
    for name, user_id in (
        ("clerk", clerk.id),
        ("dispatcher", dispatcher.id),
        ("courier", courier.user_id),
        ("other_courier", other.user_id),
    ):
        user = session.get(User, user_id)
        scene.tokens[name] = issue_token(session=session, user=user, kind="access", settings=settings, now=now).token
    return scene


# --- evidence files ---------------------------------------------------------------------------------


def jpeg_bytes(*, size: tuple[int, int] = (640, 480), gps: bool = False, seed: int = 0) -> bytes:
    """A noisy photo (so it is not trivially small); optionally with a GPS EXIF block like a phone's."""
    im = Image.effect_noise(size, 40 + seed % 50).convert("RGB")
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "UjiPhone"
    exif[ExifTags.Base.DateTime] = "2025:01:06 09:15:00"
    if gps:
        exif[ExifTags.IFD.GPSInfo] = {
            ExifTags.GPS.GPSLatitudeRef: "S",
            ExifTags.GPS.GPSLatitude: (6.0, 14.0, 38.4),
            ExifTags.GPS.GPSLongitudeRef: "E",
            ExifTags.GPS.GPSLongitude: (106.0, 48.0, 0.0),
        }
    out = io.BytesIO()
    im.save(out, "JPEG", quality=85, exif=exif)
    return out.getvalue()


def png_signature(seed: int = 0) -> bytes:
    im = Image.new("LA", (300, 120), (255, 0))
    for x in range(20, 280):
        y = 60 + int(25 * ((x + seed) % 40 - 20) / 20)
        im.putpixel((x, y), (0, 255))
    out = io.BytesIO()
    im.save(out, "PNG")
    return out.getvalue()


def bomb_png(side: int = 12_000) -> bytes:
    """A tiny PNG that claims ``side``² pixels of 1-bit zeros: a decompression bomb (~150 MP at 12k)."""
    row = b"\x00" + b"\x00" * ((side + 7) // 8)
    comp = zlib.compressobj(9)
    idat = b"".join(comp.compress(row) for _ in range(side)) + comp.flush()

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def truncated_jpeg() -> bytes:
    data = jpeg_bytes(seed=7)
    return data[: len(data) // 2]


# --- requests ---------------------------------------------------------------------------------------


def handover_form(
    job: Job,
    from_party: str,
    to_party: str,
    *,
    lat: float | None = HOME_LAT,
    lon: float | None = HOME_LON,
    accuracy_m: float | None = 8.0,
    recipient_name: str = "Siti Rahayu",
    device_time: datetime | str | None = None,
    **extra: Any,
) -> dict[str, str]:
    if not isinstance(device_time, str):
        device_time = (device_time or utcnow()).isoformat()
    form: dict[str, Any] = {
        "job_id": job.id,
        "from_party": from_party,
        "to_party": to_party,
        "recipient_name": recipient_name,
        "device_time": device_time,
        "lat": lat,
        "lon": lon,
        "accuracy_m": accuracy_m,
        **extra,
    }
    return {k: str(v) for k, v in form.items() if v is not None}


def handover_files(
    *, photos: list[bytes] | None = None, signature: bytes | None = b"", photo_type: str = "image/jpeg"
) -> list[tuple[str, tuple[str, bytes, str]]]:
    files = [
        ("photos", (f"foto{i}.jpg", data, photo_type))
        for i, data in enumerate([jpeg_bytes()] if photos is None else photos)
    ]
    if signature == b"":
        signature = png_signature()
    if signature is not None:
        files.append(("signature", ("ttd.png", signature, "image/png")))
    return files


def post_handover(
    client: Any,
    scene: CustodyScene,
    who: str,
    from_party: str,
    to_party: str,
    *,
    key: str | None = None,
    files: list | None = None,
    **form: Any,
) -> Any:
    headers = scene.auth(who)
    if key is not None:
        headers["Idempotency-Key"] = key
    return client.post(
        "/api/handovers",
        data=handover_form(scene.job, from_party, to_party, **form),
        files=files if files is not None else handover_files(),
        headers=headers,
    )


def strokes_json() -> str:
    return json.dumps([[[10, 10, 0], [20.25, 15.5, 16], [30, 12, 33]], [[40, 40], [45, 41]]])


def new_key() -> str:
    return f"k-{uuid.uuid4().hex}"


def hand_to_courier(session: Session, job: Job, courier_id: int, *, at: datetime | None = None) -> Handover:
    """Put a job in a courier's hands the only way the database allows: a handover row first."""
    return hand_over(session, job, "courier", courier_id, at=at)


def hand_over(
    session: Session, job: Job, to_party: str, courier_id: int | None, *, at: datetime | None = None
) -> Handover:
    """Record the job's next custody step as a handover row (seq, parties and chain from the job's state).

    For planning tests that need documents on board or handed in; custody use cases record real handovers.
    """
    from sqlalchemy import func, select

    from dispatch.custody.records import HandoverRecord, gps_wkt, handover_columns
    from dispatch.custody.state_machine import status_after

    moment = at or utcnow()
    from_party = job.custody_party
    record = HandoverRecord(
        handover_id=int(session.scalar(select(func.nextval("handovers_id_seq"))) or 0),
        job_id=job.id,
        job_kind=job.kind,
        seq=job.chain_length + 1,
        from_party=from_party,
        to_party=to_party,
        courier_id=courier_id if "courier" in (from_party, to_party) else None,
        recorded_by_id=None,
        office_id=job.office_id if "office" in (from_party, to_party) else None,
        stop_id=None,
        recipient_name="Uji",
        identity_note=None,
        signature_strokes_sha256=None,
        gps=None,
        distance_to_stop_m=None,
        flagged=False,
        flag_reason=None,
        device_time=None,
        recorded_at=moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        evidence=(),
        prev_hash=job.chain_head,
    ).sealed()
    row = Handover(
        **handover_columns(record),
        gps=gps_wkt(None),
        idempotency_key=uuid.uuid4().hex,
        record=record.model_dump(mode="json"),
    )
    session.add(row)
    session.flush()
    job.status = status_after(job.kind, from_party, to_party)
    job.custody_party = to_party
    job.custody_courier_id = courier_id if to_party == "courier" else None
    job.chain_head, job.chain_length = record.hash, record.seq
    session.flush()
    return row
