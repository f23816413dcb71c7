"""Proof thumbnails for the applicant: only photos and signatures of their own job's handovers.

An ``<img>`` cannot send the secret in a header, and a secret in a query string ends up in access
logs, so the tracking view hands out short-lived links instead: ``t = <expiry>.<HMAC(job, evidence,
expiry)>``, valid for one image of one job for an hour. The secret itself is still accepted.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import re
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from PIL import Image
from sqlalchemy import select

from dispatch.custody.evidence_store import store_from_settings
from dispatch.custody.models import Evidence, Handover
from dispatch.jobs.access import check_client, job_for_applicant, refuse
from dispatch.jobs.codes import normalise_tracking_code
from dispatch.jobs.models import Job
from dispatch.tracking.errors import EvidenceGone, EvidenceNotFound

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from dispatch.config import Settings
    from dispatch.throttle.service import Caller

LINK_LIFETIME = timedelta(hours=1)
_TOKEN_RE = re.compile(r"(?P<expires>[0-9]{1,12})\.(?P<mac>[0-9a-f]{32})", re.ASCII)
THUMBNAIL_SIDE = 480


def _mac(settings: Settings, job_id: int, evidence_id: int, expires: int) -> str:
    message = f"evidence|{job_id}|{evidence_id}|{expires}".encode()
    return hmac.new((settings.secret_key or "").encode(), message, hashlib.sha256).hexdigest()[:32]


def link_token(settings: Settings, job_id: int, evidence_id: int, *, now: datetime) -> str:
    expires = int((now + LINK_LIFETIME).timestamp())
    return f"{expires}.{_mac(settings, job_id, evidence_id, expires)}"


def token_valid(settings: Settings, job_id: int, evidence_id: int, token: str, *, now: datetime) -> bool:
    """Any string is safe here (non-ASCII included): it either is a live token for this image or it is not."""
    match = _TOKEN_RE.fullmatch(token or "")
    if match is None or int(match["expires"]) < now.timestamp():
        return False
    expected = _mac(settings, job_id, evidence_id, int(match["expires"]))
    return hmac.compare_digest(expected.encode(), match["mac"].encode())


def thumbnail_url(settings: Settings, job: Job, evidence_id: int, *, now: datetime) -> str:
    base = settings.public_base_url.rstrip("/")
    token = link_token(settings, job.id, evidence_id, now=now)
    return f"{base}/api/track/{job.tracking_code}/evidence/{evidence_id}?t={token}"


def _job_by_token(session: Session, settings: Settings, code: str, evidence_id: int, token: str,
                  caller: Caller | None, now: datetime) -> Job:  # fmt: skip
    check_client(caller)
    canonical = normalise_tracking_code(code)
    job = session.scalar(select(Job).where(Job.tracking_code == canonical)) if canonical else None
    if job is None or not token_valid(settings, job.id, evidence_id, token, now=now):
        refuse(caller)
    return job


def thumbnail(
    *,
    session: Session,
    settings: Settings,
    tracking_code: str,
    evidence_id: int,
    secret: str | None,
    token: str | None,
    caller: Caller | None,
    now: datetime,
) -> bytes:
    """A JPEG thumbnail of one proof file of the applicant's own handovers (never attempts, never other jobs)."""
    if token:
        job = _job_by_token(session, settings, tracking_code, evidence_id, token, caller, now)
    else:
        job = job_for_applicant(session=session, tracking_code=tracking_code, secret=secret, caller=caller)
    evidence = session.scalar(
        select(Evidence)
        .join(Handover, Handover.id == Evidence.handover_id)
        .where(Evidence.id == evidence_id, Handover.job_id == job.id)
    )
    if evidence is None:
        raise EvidenceNotFound()
    if evidence.purged_at is not None:
        raise EvidenceGone()
    try:
        data = store_from_settings(settings).get(evidence.sha256)
    except FileNotFoundError as exc:  # removed from storage without the row saying so: gone all the same
        raise EvidenceGone() from exc
    return make_thumbnail(data)


def make_thumbnail(data: bytes, side: int = THUMBNAIL_SIDE) -> bytes:
    """Stored files were decoded and checked on upload; transparency (signatures) goes on white."""
    with Image.open(io.BytesIO(data)) as image:
        image.thumbnail((side, side))
        if image.mode in ("RGBA", "LA", "P"):
            rgba = image.convert("RGBA")
            canvas = Image.new("RGB", rgba.size, "white")
            canvas.paste(rgba, mask=rgba.getchannel("A"))
            image = canvas
        elif image.mode != "RGB":
            image = image.convert("RGB")
        out = io.BytesIO()
        image.save(out, "JPEG", quality=80)
        return out.getvalue()
