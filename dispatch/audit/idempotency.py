"""Exactly-once writes for retried requests, keyed by a client-supplied Idempotency-Key.

``run_idempotent`` first *claims* the key with ``INSERT ... ON CONFLICT DO NOTHING`` in the caller's
transaction. A concurrent retry of the same key blocks on the unique index until the first request's
transaction ends: if it committed, the retry reads the stored answer; if it rolled back, the retry's
insert goes through and it does the work itself. So 20 simultaneous retries yield one record and one
answer. Errors are not stored: a refused request writes nothing and may be retried after a fix.

Usage (inside a service, before its single commit)::

    result = run_idempotent(session, "handovers", key, request_fingerprint(payload), lambda: (201, body()))
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from typing import Any, NamedTuple

from sqlalchemy import bindparam, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from dispatch.audit.models import IdempotencyRecord
from dispatch.errors import Conflict, InvalidInput

KEY_RE = re.compile(r"^[A-Za-z0-9._:\-]{8,128}$")
PENDING = 0  # status_code of a claimed key whose work has not finished (never visible to others)


class IdempotencyKeyInvalid(InvalidInput):
    default_code = "idempotency_key_invalid"

    def __init__(self) -> None:
        super().__init__(
            "Header Idempotency-Key wajib diisi: 8–128 karakter huruf, angka, '.', '_', ':' atau '-'.",
            "The Idempotency-Key header is required: 8–128 characters of letters, digits, '.', '_', ':' or '-'.",
        )


class IdempotencyKeyReused(InvalidInput):
    default_code = "idempotency_key_reused"

    def __init__(self) -> None:
        super().__init__(
            "Idempotency-Key ini sudah dipakai untuk permintaan yang berbeda.",
            "This Idempotency-Key was already used for a different request.",
        )


class IdempotencyInProgress(Conflict):
    default_code = "idempotency_in_progress"

    def __init__(self) -> None:
        super().__init__(
            "Permintaan dengan kunci ini sedang diproses; coba lagi sebentar.",
            "A request with this key is being processed; retry shortly.",
        )


class IdempotentResult(NamedTuple):
    status: int
    body: dict[str, Any]
    replayed: bool


# Built once: every keyed write runs these, and a statement built per call pays its construction and cache key
# every time (docs/robustness.md, per-request cost). Core on the table, not the ORM entity: nothing to flush.
_records = IdempotencyRecord.__table__
_CLAIM = (
    pg_insert(_records)
    .values(
        scope=bindparam("scope"),
        key=bindparam("key"),
        request_hash=bindparam("request_hash"),
        status_code=PENDING,
        response={},
    )
    .on_conflict_do_nothing(index_elements=[_records.c.scope, _records.c.key])
    .returning(_records.c.key)
)
_READ = select(_records.c.request_hash, _records.c.status_code, _records.c.response).where(
    _records.c.scope == bindparam("scope"), _records.c.key == bindparam("key")
)
_ANSWER = (
    update(_records)
    .where(_records.c.scope == bindparam("b_scope"), _records.c.key == bindparam("b_key"))
    .values(status_code=bindparam("status_code"), response=bindparam("response"))
)


def check_key(key: str | None) -> str:
    if key is None or not KEY_RE.fullmatch(key):
        raise IdempotencyKeyInvalid()
    return key


def request_fingerprint(payload: Any) -> str:
    """SHA-256 of the canonical JSON of what identifies a request (include the caller and file hashes)."""
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def run_idempotent(
    session: Session,
    scope: str,
    key: str,
    request_hash: str,
    fn: Callable[[], tuple[int, dict[str, Any]]],
) -> IdempotentResult:
    """Run ``fn`` once per (scope, key); a retry gets ``(status, body, replayed=True)`` and writes nothing.

    Same key with a different ``request_hash`` → 422 ``idempotency_key_reused``. Does not commit: the
    claim and ``fn``'s writes become visible together with the caller's single commit.
    """
    check_key(key)
    where = {"scope": scope, "key": key}
    claimed = session.execute(_CLAIM, {**where, "request_hash": request_hash}).scalar_one_or_none()
    if claimed is None:
        row = session.execute(_READ, where).one_or_none()
        if row is None or row.status_code == PENDING:
            raise IdempotencyInProgress()
        if row.request_hash != request_hash:
            raise IdempotencyKeyReused()
        return IdempotentResult(row.status_code, row.response, True)
    status, body = fn()
    session.execute(_ANSWER, {"b_scope": scope, "b_key": key, "status_code": status, "response": body})
    return IdempotentResult(status, body, False)
