"""Response bodies of the custody endpoints (handover/attempt uploads are multipart forms, see the router)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from dispatch.custody.records import HandoverCreated, HandoverRecord, Party

__all__ = ["AttemptCreated", "CustodyChain", "CustodyLink", "HandoverCreated", "VerifyResult"]

AttemptReason = Literal["not_home", "wrong_address", "documents_incomplete", "refused", "other"]


class EvidenceId(BaseModel):
    id: int
    kind: Literal["signature", "photo"]
    sha256: str = Field(description="SHA-256 of the stored (re-encoded, GPS-stripped) file")


class AttemptCreated(BaseModel):
    attempt_id: int
    log_index: int
    job_id: int
    job_status: Literal["failed"]
    stop_id: int
    stop_status: str
    custody_party: Party
    reason: AttemptReason
    distance_to_stop_m: float | None
    recorded_at: datetime
    evidence: list[EvidenceId]


class CustodyLink(HandoverRecord):
    """One handover as the log holds it."""

    log_index: int | None = Field(description="the record's leaf index in the custody log (None: not in the log)")
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
