"""run_idempotent: one record per (scope, key), retries replay the first answer, also when concurrent."""

from __future__ import annotations

import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dispatch.audit.idempotency import (
    IdempotencyKeyInvalid,
    IdempotencyKeyReused,
    request_fingerprint,
    run_idempotent,
)
from dispatch.audit.models import AuditEvent, IdempotencyRecord
from dispatch.audit.service import record_event
from dispatch.errors import Conflict


def test_a_retry_replays_and_does_not_run_again(db_session):
    """Second call with the same key and request: same status/body, replayed=True, fn not called."""
    calls = []

    def work():
        calls.append(1)
        return 201, {"id": len(calls)}

    key, fp = f"key-{uuid.uuid4().hex}", request_fingerprint({"a": 1})
    first = run_idempotent(db_session, "test", key, fp, work)
    again = run_idempotent(db_session, "test", key, fp, work)
    assert first == (201, {"id": 1}, False)
    assert again == (201, {"id": 1}, True)
    assert len(calls) == 1


def test_same_key_different_request_is_refused(db_session):
    """Reusing a key for another request is 422 idempotency_key_reused, not a silent replay."""
    key = f"key-{uuid.uuid4().hex}"
    run_idempotent(db_session, "test", key, request_fingerprint({"a": 1}), lambda: (201, {}))
    with pytest.raises(IdempotencyKeyReused) as err:
        run_idempotent(db_session, "test", key, request_fingerprint({"a": 2}), lambda: (201, {}))
    assert err.value.code == "idempotency_key_reused"


def test_scopes_are_independent(db_session):
    """The same key in two scopes are two requests."""
    key, fp = f"key-{uuid.uuid4().hex}", "f" * 64
    assert not run_idempotent(db_session, "scope-a", key, fp, lambda: (201, {"s": "a"})).replayed
    assert not run_idempotent(db_session, "scope-b", key, fp, lambda: (201, {"s": "b"})).replayed


@pytest.mark.parametrize("key", [None, "short", "x" * 129, "spaces are bad", "ünïcode-key"])
def test_keys_must_be_8_to_128_safe_characters(db_session, key):
    """Missing or malformed keys are 422 idempotency_key_invalid."""
    with pytest.raises(IdempotencyKeyInvalid):
        run_idempotent(db_session, "test", key, "f" * 64, lambda: (201, {}))


def test_concurrent_retries_yield_one_record(engine):
    """20 threads with the same key at once (committed transactions): fn runs once, all get its answer."""
    key, fp = f"conc-{uuid.uuid4().hex}", request_fingerprint({"same": True})
    calls = []
    barrier = threading.Barrier(20)

    def one(_: int):
        with Session(engine) as session:
            barrier.wait()

            def work():
                calls.append(1)
                time.sleep(0.2)  # hold the claim while the others pile up on the unique index
                record_event(session=session, action="test.idempotent", object_type="test", object_id=key)
                return 201, {"made": key}

            result = run_idempotent(session, "test-conc", key, fp, work)
            session.commit()
            return result

    with ThreadPoolExecutor(20) as pool:
        results = list(pool.map(one, range(20)))
    assert len(calls) == 1
    assert {r.body["made"] for r in results} == {key}
    assert sum(not r.replayed for r in results) == 1
    with Session(engine) as session:
        assert (
            session.scalar(select(func.count()).select_from(IdempotencyRecord).where(IdempotencyRecord.key == key)) == 1
        )
        assert session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.object_id == key)) == 1


def test_a_failed_first_attempt_leaves_the_key_free(engine):
    """If the work raises, the claim rolls back with it and a retry does the work."""
    key, fp = f"fail-{uuid.uuid4().hex}", "e" * 64

    def boom():
        raise Conflict("gagal", "failed")

    with Session(engine) as session:
        with pytest.raises(Conflict):
            run_idempotent(session, "test-fail", key, fp, boom)
        session.rollback()
        assert not run_idempotent(session, "test-fail", key, fp, lambda: (201, {"ok": 1})).replayed
        session.commit()
