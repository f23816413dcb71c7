"""Courier phones' signing keys: registration, revocation and checking a signed handover claim.

The phone makes a non-extractable ECDSA P-256 key (WebCrypto) when it registers; the server keeps the
public key with the device token it came with. Registration and revocation are log leaves, so a key the
office adds for a courier behind their back is visible in the log, and a handover signed after its key's
revocation leaf is refused (and shows as such to any verifier).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import uuid
from datetime import datetime
from typing import TYPE_CHECKING

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from sqlalchemy import select

from dispatch.custody import log
from dispatch.custody.chain import canonical_json, iso_utc
from dispatch.custody.errors import BadDeviceKey, DeviceKeyRevoked, DeviceKeyUnknown, DeviceSignatureInvalid
from dispatch.custody.models import DeviceKey
from dispatch.custody.tlog import ecdsa

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


def load_p256(der: bytes) -> ec.EllipticCurvePublicKey:
    try:
        return ecdsa.load_p256(der)
    except ValueError as exc:
        raise BadDeviceKey(str(exc)) from exc


verify_p1363 = ecdsa.verify_p1363


def b64decode(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError) as exc:
        raise DeviceSignatureInvalid(f"{what} is not base64") from exc


def register_key(
    *, session: Session, courier_id: int, token_jti: uuid.UUID, public_key_b64: str, now: datetime
) -> tuple[DeviceKey, int]:
    """Register (idempotently) the device's public key; returns the key and its log index. Commits."""
    try:
        der = base64.b64decode(public_key_b64.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError) as exc:
        raise BadDeviceKey("not base64") from exc
    spki = load_p256(der).public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    key_id = hashlib.sha256(spki).hexdigest()
    existing = session.scalar(select(DeviceKey).where(DeviceKey.key_id == key_id))
    if existing is not None:
        if existing.courier_id != courier_id or existing.token_jti != token_jti or existing.revoked_at is not None:
            raise DeviceKeyRevoked() if existing.revoked_at else BadDeviceKey("registered to another device")
        return existing, existing.leaf_idx if existing.leaf_idx is not None else -1
    row = DeviceKey(courier_id=courier_id, token_jti=token_jti, key_id=key_id, public_key=spki, registered_at=now)
    session.add(row)
    session.flush()
    leaf = {
        "v": 2,
        "type": "device_key",
        "device_key_id": row.id,
        "courier_id": courier_id,
        "key_id": key_id,
        "public_key": base64.b64encode(spki).decode(),
        "registered_at": iso_utc(now),
    }
    entry = log.append(session, kind="device_key", leaf=canonical_json(leaf))
    row.leaf_idx = entry.idx
    session.commit()
    return row, entry.idx


def revoke_for_tokens(*, session: Session, token_jtis: list[uuid.UUID], now: datetime) -> int:
    """Revoke the keys of these device tokens from now on (a revocation leaf each); the caller commits."""
    if not token_jtis:
        return 0
    keys = session.scalars(
        select(DeviceKey).where(DeviceKey.token_jti.in_(token_jtis), DeviceKey.revoked_at.is_(None))
    ).all()
    for key in keys:
        key.revoked_at = now
        leaf = {
            "v": 2,
            "type": "device_revoked",
            "key_id": key.key_id,
            "courier_id": key.courier_id,
            "revoked_at": iso_utc(now),
        }
        log.append(session, kind="device_revoked", leaf=canonical_json(leaf))
    return len(keys)


def key_for_request(session: Session, *, key_id: str, courier_id: int | None, token_jti: uuid.UUID | None) -> DeviceKey:
    key = session.scalar(select(DeviceKey).where(DeviceKey.key_id == key_id))
    if key is None or key.courier_id != courier_id or key.token_jti != token_jti:
        raise DeviceKeyUnknown()
    if key.revoked_at is not None:
        raise DeviceKeyRevoked()
    return key


def token_has_key(session: Session, token_jti: uuid.UUID | None) -> bool:
    if token_jti is None:
        return False
    return (
        session.scalar(
            select(DeviceKey.id).where(DeviceKey.token_jti == token_jti, DeviceKey.revoked_at.is_(None)).limit(1)
        )
        is not None
    )
