"""Content-addressed evidence storage (local and S3-compatible) and the orphan cleaner."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar
from urllib.parse import parse_qs, urlsplit

import pytest

from dispatch.clock import utcnow
from dispatch.config import REPO_ROOT
from dispatch.custody.evidence_store import (
    EvidenceKeyError,
    EvidenceStore,
    LocalEvidenceStore,
    clean_orphans,
    clean_partial_writes,
    find_orphans,
)
from dispatch.custody.s3 import EMPTY_SHA256, S3EvidenceStore, sigv4_headers
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


# --- S3 -------------------------------------------------------------------------------------------


def test_sigv4_matches_the_aws_documented_example():
    """AWS's published GET-object example (examplebucket/test.txt, Range) signs to its documented signature."""
    headers = sigv4_headers(
        method="GET",
        url="https://examplebucket.s3.amazonaws.com/test.txt",
        headers={"Range": "bytes=0-9"},
        payload_sha256=EMPTY_SHA256,
        access_key="AKIAIOSFODNN7EXAMPLE",
        secret_key="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        region="us-east-1",
        amz_date="20130524T000000Z",
    )
    assert headers["Authorization"].endswith(
        "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,"
        "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
    )


class FakeS3(BaseHTTPRequestHandler):
    """Just enough S3 for the store: checks every request's signature, keeps objects in memory."""

    objects: ClassVar[dict[str, tuple[bytes, float]]] = {}
    rejected: ClassVar[list[str]] = []

    def log_message(self, *args):  # quiet
        pass

    def _authorised(self, body: bytes) -> bool:
        got = self.headers.get("Authorization", "")
        if self.headers.get("x-amz-content-sha256") != hashlib.sha256(body).hexdigest():
            return False
        signed = got.split("SignedHeaders=")[1].split(",")[0].split(";")
        extra = {h: self.headers[h] for h in signed if h not in ("host", "x-amz-date", "x-amz-content-sha256")}
        expected = sigv4_headers(
            method=self.command,
            url=f"http://{self.headers['Host']}{self.path}",
            headers=extra,
            payload_sha256=self.headers["x-amz-content-sha256"],
            access_key="AK",
            secret_key="SK",
            region="us-east-1",
            amz_date=self.headers["x-amz-date"],
        )["Authorization"]
        return got == expected

    def _reply(self, status: int, body: bytes = b"", headers: dict | None = None) -> None:
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if not self._authorised(body):
            self.rejected.append(self.path)
            return self._reply(403)
        parts = urlsplit(self.path)
        key = parts.path.split("/", 2)[2] if parts.path.count("/") >= 2 else ""
        if self.command == "PUT":
            self.objects[key] = (body, time.time())
            return self._reply(200)
        if self.command == "DELETE":
            self.objects.pop(key, None)
            return self._reply(204)
        if self.command == "GET" and not key:
            prefix = parse_qs(parts.query).get("prefix", [""])[0]
            items = "".join(
                f"<Contents><Key>{k}</Key><LastModified>"
                f"{datetime.fromtimestamp(t, UTC).strftime('%Y-%m-%dT%H:%M:%S.000Z')}</LastModified></Contents>"
                for k, (_, t) in sorted(self.objects.items())
                if k.startswith(prefix)
            )
            xml = f'<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><IsTruncated>false</IsTruncated>{items}</ListBucketResult>'
            return self._reply(200, xml.encode(), {"Content-Type": "application/xml"})
        if key not in self.objects:
            return self._reply(404)
        data, stamp = self.objects[key]
        return self._reply(200, data, {"Last-Modified": formatdate(stamp, usegmt=True)})

    do_GET = do_PUT = do_DELETE = do_HEAD = _handle


@pytest.fixture
def fake_s3():
    FakeS3.objects, FakeS3.rejected = {}, []
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeS3)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_s3_store_round_trip_against_a_fake_s3(fake_s3):
    """put/get/exists/list/delete over signed HTTP; every request carries a valid SigV4 signature."""
    store = S3EvidenceStore(endpoint_url=fake_s3, bucket="bukti", access_key="AK", secret_key="SK")
    sha = store.put(b"foto dokumen")
    assert sha == hashlib.sha256(b"foto dokumen").hexdigest()
    assert f"evidence/{sha[:2]}/{sha[2:4]}/{sha}" in FakeS3.objects
    assert store.get(sha) == b"foto dokumen" and store.exists(sha)
    assert [o.sha256 for o in store.iter_objects()] == [sha]
    assert store.modified_at(sha) is not None
    store.delete(sha)
    assert not store.exists(sha)
    with pytest.raises(FileNotFoundError):
        store.get(sha)
    assert FakeS3.rejected == []


def test_s3_orphans_are_cleaned_too(fake_s3, db_session):
    """The orphan cleaner works through the same interface on S3."""
    store = S3EvidenceStore(endpoint_url=fake_s3, bucket="bukti", access_key="AK", secret_key="SK")
    sha = store.put(b"orphan")
    later = utcnow() + timedelta(days=2)
    assert clean_orphans(session=db_session, store=store, now=later, grace=timedelta(hours=1)) == [sha]
    assert not store.exists(sha)


def test_wrong_credentials_are_refused_by_the_fake(fake_s3):
    """Sanity check of the fake: a different secret does not verify."""
    store = S3EvidenceStore(endpoint_url=fake_s3, bucket="bukti", access_key="AK", secret_key="wrong")
    with pytest.raises(Exception):  # noqa: B017 - httpx.HTTPStatusError 403
        store.put(b"x")
    assert FakeS3.rejected


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


def test_s3_has_no_unfinished_writes(fake_s3):
    """A PUT either lands whole or not at all, so the S3 store has nothing to clean."""
    store = S3EvidenceStore(endpoint_url=fake_s3, bucket="bukti", access_key="AK", secret_key="SK")
    store.put(b"x")
    assert store.remove_partial_writes(utcnow() + timedelta(days=1)) == []
