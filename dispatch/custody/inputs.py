"""What a custody request carries, checked before any row is touched: actor, fields, uploaded files.

Text is refused if PostgreSQL could not store it (NUL) or if it hides control characters; device times
must be representable; uploads must be the right number of valid images.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel
from sqlalchemy import select

from dispatch.audit.idempotency import request_fingerprint
from dispatch.couriers.models import Courier
from dispatch.custody.errors import EvidenceMissing
from dispatch.custody.images import ValidatedImage, validate_image
from dispatch.errors import InvalidInput
from dispatch.text import has_forbidden_characters

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from dispatch.config import Settings
    from dispatch.users.models import User
    from dispatch.users.service import Identity

MAX_PHOTOS = 6


@dataclass(frozen=True)
class Actor:
    """The logged-in user behind a request; ``courier_id`` is set for couriers, ``token_jti`` names the device."""

    user_id: int
    role: str
    office_id: int | None
    courier_id: int | None
    token_jti: uuid.UUID | None = None


@dataclass(frozen=True)
class SignedClaim:
    """A phone's signature over the claim: the form's claim fields exactly as sent, the key and the signature."""

    fields: dict[str, str | None]
    key_id: str | None
    signature: str | None


CheckedUpload = tuple[str, ValidatedImage, str]  # (kind, stored image, SHA-256 of the bytes as uploaded)


@dataclass(frozen=True)
class Upload:
    field: str  # "signature" or "photos"
    data: bytes
    declared_type: str | None = None


@dataclass(frozen=True)
class AttemptInput:
    job_id: int
    reason: str
    device_time: datetime
    stop_id: int | None = None
    note: str | None = None
    lat: float | None = None
    lon: float | None = None
    accuracy_m: float | None = None


def actor_for(*, session: Session, user: User, token_jti: uuid.UUID | None = None) -> Actor:
    courier_id = None
    if user.role == "courier":
        courier_id = session.scalar(select(Courier.id).where(Courier.user_id == user.id, Courier.is_active.is_(True)))
    return Actor(user.id, user.role, user.office_id, courier_id, token_jti)


def actor_of(identity: Identity) -> Actor:
    """``actor_for`` without its query: the token check already read the user's active courier record."""
    user = identity.user
    courier_id = identity.courier.id if user.role == "courier" and identity.courier is not None else None
    return Actor(user.id, user.role, user.office_id, courier_id, identity.token.jti)


def fingerprint(op: str, actor: Actor, payload: Any, uploads: list[Upload], signed: SignedClaim | None = None) -> str:
    files = [[u.field, hashlib.sha256(u.data).hexdigest()] for u in uploads]
    data = payload.model_dump(mode="json") if isinstance(payload, BaseModel) else asdict(payload)
    sig = None if signed is None else [signed.key_id, signed.signature]
    return request_fingerprint({"op": op, "user": actor.user_id, "input": data, "files": files, "device": sig})


def validate_uploads(uploads: list[Upload], settings: Settings, *, need_signature: bool) -> list[CheckedUpload]:
    photos = [u for u in uploads if u.field == "photos"]
    signatures = [u for u in uploads if u.field == "signature"]
    if not 1 <= len(photos) <= MAX_PHOTOS:
        raise EvidenceMissing(
            f"Sertakan 1–{MAX_PHOTOS} foto.",
            f"Attach 1–{MAX_PHOTOS} photos.",
        )
    if len(signatures) > 1 or (need_signature and not signatures):
        raise EvidenceMissing(
            "Sertakan satu tanda tangan (gambar PNG atau goresan).",
            "Attach one signature (PNG image or strokes).",
        )
    checked: list[CheckedUpload] = [
        (
            "signature",
            validate_image(
                u.data, field="signature", settings=settings, declared_type=u.declared_type, allowed=("PNG",)
            ),
            hashlib.sha256(u.data).hexdigest(),
        )
        for u in signatures
    ]
    checked += [
        (
            "photo",
            validate_image(u.data, field="photos", settings=settings, declared_type=u.declared_type),
            hashlib.sha256(u.data).hexdigest(),
        )
        for u in photos
    ]
    return checked


def clean_text(value: str | None, field: str, *, required: bool = False, multiline: bool = False) -> str | None:
    """Trimmed text, or None; control and bidi-override characters (dispatch.text) are refused."""
    text = (value or "").strip()
    if has_forbidden_characters(text, multiline=multiline):
        raise InvalidInput(
            f"Kolom '{field}' berisi karakter yang tidak diizinkan.",
            f"Field '{field}' contains characters that are not allowed.",
            code="invalid_text",
            details={"field": field},
        )
    if required and not text:
        raise InvalidInput(
            f"Kolom '{field}' wajib diisi.",
            f"Field '{field}' is required.",
            code="field_required",
            details={"field": field},
        )
    return text or None


def check_device_time(value: datetime) -> datetime:
    """Any offset is accepted; absurd years (a broken clock beyond 1970–2200) are refused, not stored."""
    try:
        utc = value.astimezone(UTC)
    except (OverflowError, ValueError):
        utc = None
    if utc is None or not 1970 <= utc.year <= 2200:
        raise InvalidInput(
            "Waktu perangkat tidak valid.",
            "The device time is not valid.",
            code="device_time_invalid",
            details={"field": "device_time"},
        )
    return value
