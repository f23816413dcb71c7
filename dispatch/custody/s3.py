"""Evidence on S3-compatible object storage (AWS S3, MinIO, Ceph, ...) through httpx and AWS Signature V4.

Kept deliberately small: path-style URLs, single-request PUT (evidence files are at most a few MB),
``ListObjectsV2`` for the orphan cleaner. The signer is tested against AWS's published example;
the store against a fake S3 on loopback — not against AWS itself.
"""

from __future__ import annotations

import hashlib
import hmac
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING
from urllib.parse import quote, unquote, urlsplit

import httpx

from dispatch.custody.chain import sha256_hex
from dispatch.custody.evidence_store import SHA256_RE, StoredObject, check_key

if TYPE_CHECKING:
    from dispatch.config import Settings

EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
_S3_NS = "{http://s3.amazonaws.com/doc/2006-03-01/}"


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def sigv4_headers(
    *,
    method: str,
    url: str,
    headers: Mapping[str, str],
    payload_sha256: str,
    access_key: str,
    secret_key: str,
    region: str,
    amz_date: str,
    service: str = "s3",
) -> dict[str, str]:
    """Headers to add to a request so S3 accepts it (``Authorization``, ``x-amz-date``, ``x-amz-content-sha256``)."""
    parts = urlsplit(url)
    host = parts.netloc
    all_headers = {k.lower(): " ".join(str(v).split()) for k, v in headers.items()}
    all_headers.update({"host": host, "x-amz-date": amz_date, "x-amz-content-sha256": payload_sha256})
    signed = sorted(all_headers)
    query_pairs = sorted(
        (quote(unquote(k), safe="-_.~"), quote(unquote(v), safe="-_.~"))
        for k, _, v in (pair.partition("=") for pair in parts.query.split("&") if pair)
    )
    canonical_request = "\n".join(
        [
            method.upper(),
            quote(unquote(parts.path or "/"), safe="/-_.~"),
            "&".join(f"{k}={v}" for k, v in query_pairs),
            "".join(f"{name}:{all_headers[name]}\n" for name in signed),
            ";".join(signed),
            payload_sha256,
        ]
    )
    day = amz_date[:8]
    scope = f"{day}/{region}/{service}/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, sha256_hex(canonical_request.encode())])
    key = _hmac(_hmac(_hmac(_hmac(f"AWS4{secret_key}".encode(), day), region), service), "aws4_request")
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    return {
        "x-amz-date": amz_date,
        "x-amz-content-sha256": payload_sha256,
        "Authorization": (
            f"AWS4-HMAC-SHA256 Credential={access_key}/{scope},SignedHeaders={';'.join(signed)},Signature={signature}"
        ),
    }


class S3EvidenceStore:
    """Objects at ``<endpoint>/<bucket>/<prefix>ab/cd/<sha256>``."""

    def __init__(
        self,
        *,
        endpoint_url: str,
        bucket: str,
        access_key: str,
        secret_key: str,
        region: str = "us-east-1",
        prefix: str = "evidence/",
        client: httpx.Client | None = None,
    ) -> None:
        self.endpoint = endpoint_url.rstrip("/")
        self.bucket = bucket
        self.access_key = access_key
        self.secret_key = secret_key
        self.region = region
        self.prefix = prefix
        self.client = client or httpx.Client(timeout=30.0)

    @classmethod
    def from_settings(cls, settings: Settings) -> S3EvidenceStore:
        needed = ("s3_endpoint_url", "s3_bucket", "s3_access_key", "s3_secret_key")
        missing = [name for name in needed if not getattr(settings, name)]
        if missing:
            raise ValueError(f"evidence_backend=s3 needs {', '.join(missing)}")
        return cls(
            endpoint_url=settings.s3_endpoint_url or "",
            bucket=settings.s3_bucket or "",
            access_key=settings.s3_access_key or "",
            secret_key=settings.s3_secret_key or "",
            region=settings.s3_region or "us-east-1",
        )

    def _key(self, sha256: str) -> str:
        check_key(sha256)
        return f"{self.prefix}{sha256[:2]}/{sha256[2:4]}/{sha256}"

    def _request(self, method: str, path: str, *, body: bytes = b"", query: str = "") -> httpx.Response:
        url = f"{self.endpoint}/{self.bucket}/{path}" + (f"?{query}" if query else "")
        amz_date = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        extra = {"content-type": "application/octet-stream"} if method == "PUT" else {}
        headers = {
            **extra,
            **sigv4_headers(
                method=method,
                url=url,
                headers=extra,
                payload_sha256=sha256_hex(body) if body else EMPTY_SHA256,
                access_key=self.access_key,
                secret_key=self.secret_key,
                region=self.region,
                amz_date=amz_date,
            ),
        }
        return self.client.request(method, url, content=body or None, headers=headers)

    def put(self, data: bytes) -> str:
        sha = sha256_hex(data)
        response = self._request("PUT", self._key(sha), body=data)  # always PUT: refreshes Last-Modified
        response.raise_for_status()
        return sha

    def get(self, sha256: str) -> bytes:
        response = self._request("GET", self._key(sha256))
        if response.status_code == 404:
            raise FileNotFoundError(sha256)
        response.raise_for_status()
        return response.content

    def exists(self, sha256: str) -> bool:
        return self.modified_at(sha256) is not None

    def modified_at(self, sha256: str) -> datetime | None:
        response = self._request("HEAD", self._key(sha256))
        if response.status_code == 404:
            return None
        response.raise_for_status()
        stamp = response.headers.get("last-modified")
        return parsedate_to_datetime(stamp) if stamp else datetime.now(UTC)

    def delete(self, sha256: str) -> None:
        response = self._request("DELETE", self._key(sha256))
        if response.status_code not in (200, 204, 404):
            response.raise_for_status()

    def remove_partial_writes(self, cutoff: datetime, *, dry_run: bool = False) -> list[str]:
        """Nothing to do: a single PUT is atomic on S3, so an interrupted write leaves no object at all."""
        return []

    def iter_objects(self) -> Iterator[StoredObject]:
        token: str | None = None
        while True:
            query = f"list-type=2&prefix={quote(self.prefix, safe='')}"
            if token:
                query += f"&continuation-token={quote(token, safe='')}"
            response = self._request("GET", "", query=query)
            response.raise_for_status()
            root = ET.fromstring(response.content)
            for item in root.iter(f"{_S3_NS}Contents"):
                name = (item.findtext(f"{_S3_NS}Key") or "").rsplit("/", 1)[-1]
                stamp = item.findtext(f"{_S3_NS}LastModified") or ""
                if SHA256_RE.fullmatch(name) and stamp:
                    yield StoredObject(name, datetime.fromisoformat(stamp.replace("Z", "+00:00")))
            if (root.findtext(f"{_S3_NS}IsTruncated") or "").lower() != "true":
                return
            token = root.findtext(f"{_S3_NS}NextContinuationToken")
            if not token:
                return
