"""Evidence on S3-compatible object storage (AWS S3, MinIO, Ceph, ...) through boto3.

* One client per process and configuration (``s3_client``): boto3 clients are thread-safe and keep a
  connection pool, so requests share warm connections instead of opening one each.
* botocore retries transient failures (standard mode: throttling, 5xx, connection errors) with backoff;
  what still fails is raised as ``EvidenceStoreError`` (an ``OSError``), which custody turns into 503
  ``evidence_store_unavailable`` with nothing recorded.
* Every object is written with its SHA-256 as S3's own checksum (``ChecksumSHA256``): S3 refuses a body
  that does not match, and keeps the checksum, so ``matches`` checks a stored file with one HEAD instead
  of downloading it (custody views verify every file of a job).
* Thumbnails are derived objects under ``thumbnails/`` and are handed to browsers as presigned links,
  so the API neither downloads nor resizes a photo it has shown before.
"""

from __future__ import annotations

import base64
import binascii
import logging
from collections.abc import Iterator
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from dispatch.custody.chain import sha256_hex
from dispatch.custody.evidence_store import SHA256_RE, EvidenceStoreError, StoredObject, check_key
from dispatch.observability.metrics import evidence_error

if TYPE_CHECKING:
    from dispatch.config import Settings

__all__ = ["S3EvidenceStore", "s3_client"]

log = logging.getLogger(__name__)

_MISSING = {"404", "NoSuchKey", "NotFound"}


@lru_cache(maxsize=8)
def s3_client(endpoint_url: str | None, access_key: str, secret_key: str, region: str) -> Any:
    """The process's client for one configuration (thread-safe; pooled connections; retries with backoff)."""
    config = Config(
        retries={"mode": "standard", "max_attempts": 3},
        connect_timeout=3,
        read_timeout=20,
        max_pool_connections=64,
        s3={"addressing_style": "path"},
        signature_version="s3v4",
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
    )
    return boto3.session.Session().client(
        "s3",
        endpoint_url=endpoint_url or None,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        region_name=region,
        config=config,
    )


def _b64(sha_hex: str) -> str:
    return base64.b64encode(bytes.fromhex(sha_hex)).decode()


def _hex(b64: str) -> str | None:
    try:
        return base64.b64decode(b64.split("-", 1)[0], validate=True).hex()
    except (binascii.Error, ValueError):
        return None


class S3EvidenceStore:
    """Objects at ``<bucket>/<prefix>ab/cd/<sha256>``; thumbnails at ``<bucket>/thumbnails/ab/cd/<sha256>.jpg``."""

    backend = "s3"

    def __init__(
        self,
        *,
        client: Any,
        bucket: str,
        prefix: str = "evidence/",
        link_client: Any | None = None,
        link_seconds: int = 300,
    ) -> None:
        self.client = client
        self.bucket = bucket
        self.prefix = prefix
        self.link_client = link_client or client  # signs links with the endpoint browsers reach
        self.link_seconds = link_seconds

    @classmethod
    def from_settings(cls, settings: Settings) -> S3EvidenceStore:
        needed = ("s3_bucket", "s3_access_key", "s3_secret_key")
        missing = [name for name in needed if not getattr(settings, name)]
        if missing:
            raise ValueError(f"evidence_backend=s3 needs {', '.join(missing)}")
        region = settings.s3_region or "us-east-1"
        args = (settings.s3_access_key or "", settings.s3_secret_key or "", region)
        client = s3_client(settings.s3_endpoint_url, *args)
        public = settings.s3_public_url
        link_client = s3_client(public, *args) if public and public != settings.s3_endpoint_url else client
        return cls(
            client=client,
            bucket=settings.s3_bucket or "",
            link_client=link_client,
            link_seconds=settings.s3_presign_seconds,
        )

    def _key(self, sha256: str) -> str:
        check_key(sha256)
        return f"{self.prefix}{sha256[:2]}/{sha256[2:4]}/{sha256}"

    @staticmethod
    def _thumb_key(sha256: str) -> str:
        check_key(sha256)
        return f"thumbnails/{sha256[:2]}/{sha256[2:4]}/{sha256}.jpg"

    def _fail(self, operation: str, exc: Exception) -> EvidenceStoreError:
        evidence_error(self.backend, operation)
        log.warning("s3 %s failed: %s: %s", operation, type(exc).__name__, exc)
        return EvidenceStoreError(f"s3 {operation}: {type(exc).__name__}")

    @staticmethod
    def _missing(exc: ClientError) -> bool:
        error = exc.response.get("Error", {})
        return (
            str(error.get("Code")) in _MISSING or exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") == 404
        )

    def put(self, data: bytes) -> str:
        """Always a PUT (refreshes Last-Modified for the orphan cleaner); S3 checks the body against the hash."""
        sha = sha256_hex(data)
        try:
            self.client.put_object(
                Bucket=self.bucket,
                Key=self._key(sha),
                Body=data,
                ChecksumAlgorithm="SHA256",
                ChecksumSHA256=_b64(sha),
                ContentType="application/octet-stream",
            )
        except (BotoCoreError, ClientError) as exc:
            raise self._fail("put", exc) from exc
        return sha

    def get(self, sha256: str) -> bytes:
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=self._key(sha256))
            return response["Body"].read()
        except ClientError as exc:
            if self._missing(exc):
                raise FileNotFoundError(sha256) from exc
            raise self._fail("get", exc) from exc
        except BotoCoreError as exc:
            raise self._fail("get", exc) from exc

    def _head(self, key: str, *, checksum: bool = False) -> dict[str, Any] | None:
        try:
            extra = {"ChecksumMode": "ENABLED"} if checksum else {}
            return self.client.head_object(Bucket=self.bucket, Key=key, **extra)
        except ClientError as exc:
            if self._missing(exc):
                return None
            raise self._fail("head", exc) from exc
        except BotoCoreError as exc:
            raise self._fail("head", exc) from exc

    def exists(self, sha256: str) -> bool:
        return self._head(self._key(sha256)) is not None

    def modified_at(self, sha256: str) -> datetime | None:
        head = self._head(self._key(sha256))
        return head["LastModified"] if head is not None else None

    def matches(self, sha256: str) -> bool:
        """Does the stored object still hash to its name? One HEAD when S3 kept our checksum; objects
        written without one (by hand, or by an older AJIB) are downloaded and hashed."""
        head = self._head(self._key(sha256), checksum=True)
        if head is None:
            raise FileNotFoundError(sha256)
        stored = head.get("ChecksumSHA256")
        if stored and "-" not in stored:  # a multipart object's checksum is of its parts, not of the file
            return _hex(stored) == sha256
        return sha256_hex(self.get(sha256)) == sha256

    def delete(self, sha256: str) -> None:
        try:
            self.client.delete_object(Bucket=self.bucket, Key=self._key(sha256))
            self.client.delete_object(Bucket=self.bucket, Key=self._thumb_key(sha256))
        except ClientError as exc:
            if not self._missing(exc):
                raise self._fail("delete", exc) from exc
        except BotoCoreError as exc:
            raise self._fail("delete", exc) from exc

    def remove_partial_writes(self, cutoff: datetime, *, dry_run: bool = False) -> list[str]:
        """Nothing to do: a single PUT is atomic on S3, so an interrupted write leaves no object at all."""
        return []

    def iter_objects(self) -> Iterator[StoredObject]:
        try:
            pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=self.prefix)
            for page in pages:
                for item in page.get("Contents", []):
                    name = item["Key"].rsplit("/", 1)[-1]
                    if SHA256_RE.fullmatch(name):
                        yield StoredObject(name, item["LastModified"])
        except (BotoCoreError, ClientError) as exc:
            raise self._fail("list", exc) from exc

    def check(self) -> None:
        """Reachable with these credentials (readiness)."""
        try:
            self.client.head_bucket(Bucket=self.bucket)
        except (BotoCoreError, ClientError) as exc:
            raise self._fail("check", exc) from exc

    def prepare(self) -> str:
        """Create the bucket when absent (any S3-compatible service), then prove a write/read/delete."""
        try:
            self.client.head_bucket(Bucket=self.bucket)
        except ClientError as exc:
            if not self._missing(exc):
                raise self._fail("check", exc) from exc
            try:
                self.client.create_bucket(Bucket=self.bucket)
            except (BotoCoreError, ClientError) as create_exc:
                raise self._fail("create_bucket", create_exc) from create_exc
        except BotoCoreError as exc:
            raise self._fail("check", exc) from exc
        probe = self.put(b"ajib evidence store probe")
        if not self.matches(probe):
            raise EvidenceStoreError("s3 probe object does not read back")
        self.delete(probe)
        return f"s3 bucket {self.bucket}"

    def thumbnail_link(self, sha256: str, make: Any) -> str:
        """A presigned GET of the thumbnail of ``sha256``, made (``make(original_bytes)``) and stored on first use."""
        key = self._thumb_key(sha256)
        if self._head(key) is None:
            thumb = make(self.get(sha256))
            try:
                self.client.put_object(
                    Bucket=self.bucket, Key=key, Body=thumb, ContentType="image/jpeg", CacheControl="private"
                )
            except (BotoCoreError, ClientError) as exc:
                raise self._fail("put", exc) from exc
        try:
            return self.link_client.generate_presigned_url(
                "get_object", Params={"Bucket": self.bucket, "Key": key}, ExpiresIn=self.link_seconds
            )
        except (BotoCoreError, ClientError) as exc:  # pragma: no cover - signing is local
            raise self._fail("presign", exc) from exc
