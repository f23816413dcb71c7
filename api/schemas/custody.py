"""Response bodies of the custody endpoints (handover/attempt uploads are multipart forms, see the router)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

Party = Literal["applicant", "courier", "office"]
AttemptReason = Literal["not_home", "wrong_address", "documents_incomplete", "refused", "other"]


class EvidenceRef(BaseModel):
    id: int
    kind: Literal["signature", "photo"]
    sha256: str = Field(description="SHA-256 of the stored (re-encoded, GPS-stripped) file")


class HandoverCreated(BaseModel):
    """A retry with the same Idempotency-Key returns exactly this body again (header `Idempotent-Replayed: true`)."""

    handover_id: int
    job_id: int
    seq: int = Field(description="position in the job's chain, 1-based")
    hash: str
    prev_hash: str | None
    from_party: Party
    to_party: Party
    courier_id: int | None
    flagged: bool = Field(description="accepted but to be reviewed (far from the stop, poor GPS, clock skew)")
    flag_reason: str | None
    distance_to_stop_m: float | None
    job_status: str
    custody_party: Party
    recorded_at: datetime
    evidence: list[EvidenceRef]
    receipt_url: str
    receipt_pdf_url: str
    verify_url: str


class AttemptCreated(BaseModel):
    attempt_id: int
    job_id: int
    job_status: Literal["failed"]
    stop_id: int
    stop_status: str
    custody_party: Party
    reason: AttemptReason
    distance_to_stop_m: float | None
    recorded_at: datetime
    evidence: list[EvidenceRef]


class CustodyLink(BaseModel):
    handover_id: int
    seq: int
    at: datetime
    from_party: Party
    to_party: Party
    courier_id: int | None
    recorded_by_id: int | None
    recipient_name: str
    identity_note: str | None
    lat: float | None
    lon: float | None
    accuracy_m: float | None
    distance_to_stop_m: float | None
    flagged: bool
    flag_reason: str | None
    device_time: datetime | None
    prev_hash: str | None
    hash: str
    evidence: list[EvidenceRef]
    receipt_url: str


class CustodyChain(BaseModel):
    job_id: int
    kind: str
    status: str
    custody_party: Party
    custody_courier_id: int | None
    chain_head: str | None
    chain_length: int
    valid: bool = Field(description="every link recomputes from its columns and evidence hashes")
    tampered_at: int | None = Field(description="seq of the first link that does not verify")
    reason: str | None
    files_altered: list[str] = Field(description="stored evidence files whose bytes no longer match their hash")
    handovers: list[CustodyLink]


class VerifyResult(BaseModel):
    handover_id: int
    job_id: int
    seq: int
    hash: str
    valid: bool
    tampered_at: int | None
    reason: str | None
    chain_length: int
    files_altered: list[str]
    checked_at: datetime
