"""Content-addressed evidence storage (local directory or S3-compatible) and the orphan cleaner.

Files are named by the SHA-256 of their bytes, so a retried upload writes nothing new and a stored
file can be checked against the hash in the custody chain. Files are written *before* the database
transaction commits; when that transaction fails, the file has no ``evidence`` row and the orphan
cleaner removes it once it is older than a grace period (deleting on failure would race with a
concurrent request that stored the same bytes and is about to commit).
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from sqlalchemy import select

from dispatch.custody.chain import sha256_hex
from dispatch.custody.models import Evidence
from dispatch.observability.metrics import evidence_error

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from dispatch.config import Settings

SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
DEFAULT_ORPHAN_GRACE = timedelta(hours=6)
_TEMP_PREFIX = ".tmp-"


class EvidenceStoreError(OSError):
    """The store could not be reached or refused the operation (an ``OSError``, like a full disk)."""


class EvidenceKeyError(ValueError):
    """A key that is not a lower-case SHA-256 hex digest (never turned into a path)."""


def check_key(sha256: str) -> str:
    if not SHA256_RE.fullmatch(sha256):
        raise EvidenceKeyError(f"not a sha256 key: {sha256[:80]!r}")
    return sha256


@dataclass(frozen=True)
class StoredObject:
    sha256: str
    modified_at: datetime


@runtime_checkable
class EvidenceStore(Protocol):
    """Where proof files live; every implementation is content-addressed by SHA-256."""

    def put(self, data: bytes) -> str:
        """Store ``data`` durably and return its SHA-256 (a no-op if it is already there)."""
        ...

    def get(self, sha256: str) -> bytes: ...

    def exists(self, sha256: str) -> bool: ...

    def matches(self, sha256: str) -> bool:
        """Whether the stored bytes still hash to ``sha256`` (FileNotFoundError when absent); a store that keeps
        checksums answers without sending the file."""
        ...

    def check(self) -> None:
        """Raise ``OSError`` unless the store can be used now (readiness)."""
        ...

    def prepare(self) -> str:
        """Create what the store needs (directory, bucket) if absent, prove a write/read/delete; says where."""
        ...

    def thumbnail_link(self, sha256: str, make: Callable[[bytes], bytes]) -> str | None:
        """A link a browser can fetch the thumbnail from (made with ``make`` on first use), or None when the
        API must serve the bytes itself."""
        ...

    def delete(self, sha256: str) -> None: ...

    def modified_at(self, sha256: str) -> datetime | None:
        """Last write (or re-use) time, None when absent."""
        ...

    def iter_objects(self) -> Iterator[StoredObject]:
        """Every stored file with its modification time (for the orphan cleaner)."""
        ...

    def remove_partial_writes(self, cutoff: datetime, *, dry_run: bool = False) -> list[str]:
        """Remove what writes killed before completion left behind, if last touched before ``cutoff``.

        Such leftovers never carry a SHA-256 name, so ``iter_objects`` and the orphan cleaner never see them.
        """
        ...


class LocalEvidenceStore:
    """``root/ab/cd/<sha256>``; written to a temp file, fsynced, renamed into place (never half a file)."""

    backend = "local"

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path_for(self, sha256: str) -> Path:
        check_key(sha256)
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def put(self, data: bytes) -> str:
        try:
            return self._put(data)
        except OSError:
            evidence_error(self.backend, "put")
            raise

    def _put(self, data: bytes) -> str:
        sha = sha256_hex(data)
        path = self.path_for(sha)
        if path.exists() and path.stat().st_size == len(data):
            os.utime(path)  # refresh: a file re-used by a new upload is not an old orphan
            return sha
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=_TEMP_PREFIX, dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        _fsync_dir(path.parent)
        return sha

    def get(self, sha256: str) -> bytes:
        return self.path_for(sha256).read_bytes()

    def exists(self, sha256: str) -> bool:
        return self.path_for(sha256).is_file()

    def matches(self, sha256: str) -> bool:
        return sha256_hex(self.get(sha256)) == sha256

    def check(self) -> None:
        """The directory exists (or can be made) and this process may write into it."""
        self.root.mkdir(parents=True, exist_ok=True)
        if not self.root.is_dir() or not os.access(self.root, os.W_OK | os.X_OK):
            raise EvidenceStoreError(f"evidence directory not writable: {self.root}")

    def thumbnail_link(self, sha256: str, make: Callable[[bytes], bytes]) -> str | None:
        return None  # the API reads the file and serves the thumbnail itself

    def prepare(self) -> str:
        self.check()
        probe = self.put(b"ajib evidence store probe")
        self.get(probe)
        self.delete(probe)
        return str(self.root)

    def delete(self, sha256: str) -> None:
        self.path_for(sha256).unlink(missing_ok=True)

    def modified_at(self, sha256: str) -> datetime | None:
        try:
            return datetime.fromtimestamp(self.path_for(sha256).stat().st_mtime).astimezone()
        except FileNotFoundError:
            return None

    def iter_objects(self) -> Iterator[StoredObject]:
        if not self.root.is_dir():
            return
        for path in self.root.glob("??/??/*"):
            if SHA256_RE.fullmatch(path.name) and path.is_file():
                yield StoredObject(path.name, datetime.fromtimestamp(path.stat().st_mtime).astimezone())

    def remove_partial_writes(self, cutoff: datetime, *, dry_run: bool = False) -> list[str]:
        """A process killed between ``mkstemp`` and ``os.replace`` (SIGKILL, OOM, power cut) leaves its temp file."""
        if not self.root.is_dir():
            return []
        stale = []
        for path in self.root.glob(f"??/??/{_TEMP_PREFIX}*"):
            try:
                if datetime.fromtimestamp(path.stat().st_mtime).astimezone() >= cutoff:
                    continue
                if not dry_run:
                    path.unlink()
            except FileNotFoundError:  # finished (renamed) or removed by another cleaner meanwhile
                continue
            stale.append(str(path.relative_to(self.root)))
        return sorted(stale)


def _fsync_dir(directory: Path) -> None:
    """Make the rename itself durable (POSIX); silently skipped where directories cannot be opened."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def store_from_settings(settings: Settings) -> EvidenceStore:
    """The configured backend: ``evidence_backend = local`` (default) or ``s3``."""
    if settings.evidence_backend == "s3":
        from dispatch.custody.s3 import S3EvidenceStore

        return S3EvidenceStore.from_settings(settings)
    return LocalEvidenceStore(settings.evidence_path)


def find_orphans(
    *, session: Session, store: EvidenceStore, now: datetime, grace: timedelta = DEFAULT_ORPHAN_GRACE
) -> list[str]:
    """Stored files that no ``evidence`` row names and that are older than ``grace``.

    The grace period protects files of requests still in flight (written, not yet committed).
    """
    cutoff = now - grace
    candidates = [obj.sha256 for obj in store.iter_objects() if obj.modified_at < cutoff]
    if not candidates:
        return []
    known: set[str] = set()
    for start in range(0, len(candidates), 1000):
        batch = candidates[start : start + 1000]
        known.update(session.scalars(select(Evidence.sha256).where(Evidence.sha256.in_(batch))))
    return sorted(sha for sha in candidates if sha not in known)


def clean_orphans(
    *, session: Session, store: EvidenceStore, now: datetime, grace: timedelta = DEFAULT_ORPHAN_GRACE
) -> list[str]:
    """Delete the files ``find_orphans`` reports and return them (read-only on the database).

    Each file is re-checked right before deletion (still old, still without a row), so an upload that
    re-used the same bytes in the meantime — it refreshes the file's time — keeps its file.
    """
    cutoff = now - grace
    removed = []
    for sha in find_orphans(session=session, store=store, now=now, grace=grace):
        modified = store.modified_at(sha)
        if modified is None or modified >= cutoff:
            continue
        if session.scalar(select(Evidence.id).where(Evidence.sha256 == sha).limit(1)) is None:
            store.delete(sha)
            removed.append(sha)
    return removed


def clean_partial_writes(
    *, store: EvidenceStore, now: datetime, grace: timedelta = DEFAULT_ORPHAN_GRACE, dry_run: bool = False
) -> list[str]:
    """Leftovers of writes that never completed, older than ``grace`` (a write in flight is younger)."""
    return store.remove_partial_writes(now - grace, dry_run=dry_run)
