"""Content-addressed evidence storage (local and S3-compatible) and the orphan cleaner."""

from __future__ import annotations

import base64
import hashlib
import os
import signal
import socket
import subprocess
import sys
import time
from datetime import timedelta

import httpx
import pytest

from dispatch.clock import utcnow
from dispatch.config import REPO_ROOT
from dispatch.custody.evidence_store import (
    EvidenceKeyError,
    EvidenceStore,
    EvidenceStoreError,
    LocalEvidenceStore,
    clean_orphans,
    clean_partial_writes,
    find_orphans,
)
from dispatch.custody.s3 import S3EvidenceStore
from dispatch.custody.service import HandoverClaim, Upload, actor_for, record_handover
from dispatch.users.models import User
from tests.factories.custody import HOME_LAT, HOME_LON, jpeg_bytes, make_scene, new_key, png_signature


def test_local_store_is_content_addressed_and_atomic(tmp_path):
    """Files land at ab/cd/<sha256>, a second put is a no-op, no temp files are left behind."""
    store = LocalEvidenceStore(tmp_path)
    sha = store.put(b"bukti")
    assert sha == hashlib.sha256(b"bukti").hexdigest()
    assert (tmp_path / sha[:2] / sha[2:4] / sha).read_bytes() == b"bukti"
    assert store.put(b"bukti") == sha and store.exists(sha) and store.get(sha) == b"bukti"
    assert not list(tmp_path.rglob(".tmp-*"))
    assert [o.sha256 for o in store.iter_objects()] == [sha]
    store.delete(sha)
    assert not store.exists(sha) and store.modified_at(sha) is None
    assert isinstance(store, EvidenceStore)


@pytest.mark.parametrize("key", ["../../etc/passwd", "A" * 64, "ab/cd", ""])
def test_keys_that_are_not_hashes_never_become_paths(tmp_path, key):
    """Path traversal through a key is impossible: only lower-case 64-hex keys are accepted."""
    with pytest.raises(EvidenceKeyError):
        LocalEvidenceStore(tmp_path).get(key)


def _handover_with_evidence(db_session, test_settings, store) -> list[str]:
    scene = make_scene(db_session, test_settings)
    user = db_session.get(User, scene.courier.user_id)
    result = record_handover(
        session=db_session,
        settings=test_settings,
        actor=actor_for(session=db_session, user=user),
        claim=HandoverClaim(
            job_id=scene.job.id,
            from_party="applicant",
            to_party="courier",
            recipient_name="Siti",
            device_time=utcnow(),
            lat=HOME_LAT,
            lon=HOME_LON,
            accuracy_m=5,
        ),
        uploads=[Upload("photos", jpeg_bytes(seed=3)), Upload("signature", png_signature(seed=3))],
        idempotency_key=new_key(),
        store=store,
    )
    return [e["sha256"] for e in result.body["evidence"]]


def test_orphan_cleaner_removes_only_old_files_without_rows(db_session, test_settings, tmp_path):
    """Referenced files stay; an orphan younger than the grace period stays; an old orphan goes."""
    store = LocalEvidenceStore(tmp_path)
    referenced = _handover_with_evidence(db_session, test_settings, store)
    old_orphan = store.put(b"left by a rolled-back upload")
    young_orphan = store.put(b"upload still in flight")
    long_ago = time.time() - 3 * 86400
    for sha in [*referenced, old_orphan]:
        os.utime(store.path_for(sha), (long_ago, long_ago))
    now = utcnow()
    assert find_orphans(session=db_session, store=store, now=now, grace=timedelta(hours=1)) == [old_orphan]
    removed = clean_orphans(session=db_session, store=store, now=now, grace=timedelta(hours=1))
    assert removed == [old_orphan]
    assert not store.exists(old_orphan) and store.exists(young_orphan)
    assert all(store.exists(sha) for sha in referenced)


def test_reusing_an_old_orphan_refreshes_it(db_session, tmp_path):
    """An upload that stores bytes identical to an old orphan refreshes its time, so it is not deleted."""
    store = LocalEvidenceStore(tmp_path)
    sha = store.put(b"same bytes")
    os.utime(store.path_for(sha), (time.time() - 86400,) * 2)
    store.put(b"same bytes")
    assert clean_orphans(session=db_session, store=store, now=utcnow(), grace=timedelta(hours=1)) == []


# --- S3 (a real S3-compatible server on loopback: moto) -------------------------------------------


@pytest.fixture
def s3_store(s3_server):
    return S3EvidenceStore(client=s3_server.client(), bucket=s3_server.new_bucket())


def _count_calls(client, operation: str) -> list[str]:
    calls: list[str] = []
    client.meta.events.register(f"before-call.s3.{operation}", lambda **kw: calls.append(operation))
    return calls


def test_s3_store_round_trip_keeps_the_sha256_as_the_objects_checksum(s3_store):
    """put/get/exists/list/delete over real S3 HTTP; S3 keeps our SHA-256 as the object's own checksum."""
    sha = s3_store.put(b"foto dokumen")
    assert sha == hashlib.sha256(b"foto dokumen").hexdigest()
    key = f"evidence/{sha[:2]}/{sha[2:4]}/{sha}"
    head = s3_store.client.head_object(Bucket=s3_store.bucket, Key=key, ChecksumMode="ENABLED")
    assert base64.b64decode(head["ChecksumSHA256"]).hex() == sha
    assert s3_store.get(sha) == b"foto dokumen" and s3_store.exists(sha)
    assert [o.sha256 for o in s3_store.iter_objects()] == [sha]
    assert s3_store.modified_at(sha) is not None
    assert s3_store.put(b"foto dokumen") == sha  # a retry writes the same object
    s3_store.delete(sha)
    assert not s3_store.exists(sha)
    with pytest.raises(FileNotFoundError):
        s3_store.get(sha)
    assert isinstance(s3_store, EvidenceStore)


def test_s3_verification_reads_the_stored_checksum_not_the_file(s3_store):
    """An intact object is checked with a HEAD (no download); bytes replaced behind our back do not match."""
    sha = s3_store.put(b"foto asli")
    gets = _count_calls(s3_store.client, "GetObject")
    assert s3_store.matches(sha) is True
    assert gets == []
    key = f"evidence/{sha[:2]}/{sha[2:4]}/{sha}"
    s3_store.client.put_object(Bucket=s3_store.bucket, Key=key, Body=b"foto palsu")  # no checksum: downloaded
    assert s3_store.matches(sha) is False
    forged = base64.b64encode(hashlib.sha256(b"foto palsu").digest()).decode()
    s3_store.client.put_object(
        Bucket=s3_store.bucket, Key=key, Body=b"foto palsu", ChecksumAlgorithm="SHA256", ChecksumSHA256=forged
    )
    assert s3_store.matches(sha) is False
    with pytest.raises(FileNotFoundError):
        s3_store.matches("0" * 64)


def test_s3_orphans_are_cleaned_too(s3_store, db_session):
    """The orphan cleaner works through the same interface on S3."""
    sha = s3_store.put(b"orphan")
    later = utcnow() + timedelta(days=2)
    assert clean_orphans(session=db_session, store=s3_store, now=later, grace=timedelta(hours=1)) == [sha]
    assert not s3_store.exists(sha)


def test_one_pooled_client_per_process_and_configuration(s3_server, test_settings):
    """Every request builds a store from settings; they all share one boto3 client (and its connections)."""
    settings = test_settings.model_copy(update=s3_server.settings("bukti-x"))
    first, second = S3EvidenceStore.from_settings(settings), S3EvidenceStore.from_settings(settings)
    assert first.client is second.client
    other = settings.model_copy(update={"s3_access_key": "someone-else"})
    assert S3EvidenceStore.from_settings(other).client is not first.client


def test_s3_down_is_an_os_error_counted_in_the_metrics():
    """Nothing listening: the write fails as EvidenceStoreError (an OSError: custody answers 503), counted."""
    from dispatch.custody.s3 import s3_client
    from dispatch.observability.metrics import EVIDENCE_ERRORS

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    store = S3EvidenceStore(client=s3_client(f"http://127.0.0.1:{port}", "a", "b", "us-east-1"), bucket="bukti")
    before = EVIDENCE_ERRORS.labels("s3", "put")._value.get()
    with pytest.raises(EvidenceStoreError):
        store.put(b"x")
    assert EVIDENCE_ERRORS.labels("s3", "put")._value.get() == before + 1
    with pytest.raises(OSError):
        store.check()


def test_s3_thumbnail_is_made_once_and_served_by_a_presigned_link(s3_store):
    """The first request stores the thumbnail beside the evidence; later ones only sign a link to it."""
    sha = s3_store.put(b"original")
    made: list[bytes] = []

    def make(data: bytes) -> bytes:
        made.append(data)
        return b"thumbnail-bytes"

    link = s3_store.thumbnail_link(sha, make)
    assert made == [b"original"]
    assert "X-Amz-Signature=" in link and "X-Amz-Expires=300" in link
    assert httpx.get(link).content == b"thumbnail-bytes"
    assert s3_store.thumbnail_link(sha, make) and made == [b"original"]
    s3_store.delete(sha)  # retention takes the thumbnail with the file
    assert httpx.get(link).status_code == 404


_KILLED_WRITE = """
import os, signal, sys
from pathlib import Path
from dispatch.custody.evidence_store import LocalEvidenceStore
os.replace = lambda *a: os.kill(os.getpid(), signal.SIGKILL)  # killed after the bytes, before the rename
LocalEvidenceStore(Path(sys.argv[1])).put(b"foto yang tidak selesai ditulis")
"""


def _killed_write(root) -> None:
    """A real process killed mid-write: nothing in-process can reproduce what SIGKILL leaves behind."""
    done = subprocess.run([sys.executable, "-c", _KILLED_WRITE, str(root)], cwd=REPO_ROOT, check=False)
    assert done.returncode == -signal.SIGKILL


def test_a_write_killed_mid_file_leaves_a_temp_file_that_the_cleaner_removes(db_session, tmp_path):
    """Never an evidence file (the orphan cleaner cannot see it); removed once older than the grace period."""
    store = LocalEvidenceStore(tmp_path)
    kept = store.put(b"bukti yang lengkap")
    _killed_write(tmp_path)
    temps = list(tmp_path.glob("??/??/.tmp-*"))
    assert len(temps) == 1 and temps[0].read_bytes() == b"foto yang tidak selesai ditulis"
    assert [o.sha256 for o in store.iter_objects()] == [kept]

    now = utcnow()
    assert clean_partial_writes(store=store, now=now, grace=timedelta(hours=1)) == []  # may still be in flight
    later = now + timedelta(hours=2)
    name = str(temps[0].relative_to(tmp_path))
    assert clean_partial_writes(store=store, now=later, grace=timedelta(hours=1), dry_run=True) == [name]
    assert temps[0].exists()
    assert clean_partial_writes(store=store, now=later, grace=timedelta(hours=1)) == [name]
    assert not temps[0].exists()
    assert store.get(kept) == b"bukti yang lengkap"
    assert clean_orphans(session=db_session, store=store, now=later, grace=timedelta(hours=1)) == [kept]


def test_clean_evidence_command_reports_unfinished_writes(database_url, tmp_path, monkeypatch):
    """`ajib clean-evidence` removes orphans and unfinished writes; --dry-run lists them and keeps them."""
    from typer.testing import CliRunner

    from api.cli.main import app
    from dispatch.config import get_settings

    evidence = tmp_path / "evidence"
    _killed_write(evidence)
    temp = next(evidence.glob("??/??/.tmp-*"))
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("AJIB_STATE_DIR", str(tmp_path))
    get_settings.cache_clear()
    try:
        dry = CliRunner().invoke(app, ["clean-evidence", "--grace-hours", "0", "--dry-run"])
        assert dry.exit_code == 0, dry.output
        assert "unfinished writes: 1" in dry.output and temp.exists()
        real = CliRunner().invoke(app, ["clean-evidence", "--grace-hours", "0"])
    finally:
        get_settings.cache_clear()
    assert real.exit_code == 0, real.output
    assert "unfinished writes removed: 1" in real.output and not temp.exists()


def test_s3_has_no_unfinished_writes(s3_store):
    """A PUT either lands whole or not at all, so the S3 store has nothing to clean."""
    s3_store.put(b"x")
    assert s3_store.remove_partial_writes(utcnow() + timedelta(days=1)) == []
