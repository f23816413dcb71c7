"""Hostile uploads to POST /api/handovers are refused with a clear 4xx and leave nothing behind.

Each attack is sent by courier A for the door step of job 3 (a step that succeeds with honest files), so
the only reason for a refusal is the file itself. After every refusal: no handover, no evidence row, no
new file in the evidence store, and the job is unchanged.
"""

from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlalchemy import func, select

from dispatch.clock import utcnow
from dispatch.custody.models import Evidence, Handover
from dispatch.jobs.models import Job
from tests.factories.access import make_access_world
from tests.factories.custody import bomb_png, jpeg_bytes, new_key, png_signature, truncated_jpeg

SVG = b"""<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(document.cookie)">
<script>fetch('/api/auth/me')</script><rect width="10" height="10"/></svg>"""


@pytest.fixture
def world(app, db_session, test_settings, reference_data):
    return make_access_world(db_session, test_settings)


def _form(w) -> dict[str, str]:
    return {
        "job_id": str(w.ids["third_job_id"]),
        "from_party": "applicant",
        "to_party": "courier",
        "recipient_name": "Citra",
        "device_time": utcnow().isoformat(),
        "lat": "-6.244",
        "lon": "106.8",
        "accuracy_m": "5",
    }


def _state(w):
    s = w.session
    s.expire_all()
    job = s.get(Job, w.ids["third_job_id"])
    files = sorted(p.name for p in w.settings.evidence_path.rglob("*") if p.is_file())
    return (
        s.scalar(select(func.count()).select_from(Handover)),
        s.scalar(select(func.count()).select_from(Evidence)),
        (job.status, job.custody_party, job.chain_length),
        files,
    )


def _png_as(fmt: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(out, fmt)
    return out.getvalue()


PHOTO_ATTACKS = {
    "png bytes declared as image/jpeg": (("foto.jpg", _png_as("PNG"), "image/jpeg"), 415, "unsupported_image"),
    "text declared as image/jpeg": (("foto.jpg", b"hello, I am text " * 50, "image/jpeg"), 415, "unsupported_image"),
    "html polyglot": (("foto.jpg", b"<html><script>alert(1)</script></html>", "image/jpeg"), 415, "unsupported_image"),
    "svg with script": (("foto.svg", SVG, "image/svg+xml"), 415, "unsupported_image"),
    "svg declared as png": (("foto.png", SVG, "image/png"), 415, "unsupported_image"),
    "gif (not allowed)": (("foto.gif", _png_as("GIF"), "image/gif"), 415, "unsupported_image"),
    "truncated jpeg": (("foto.jpg", truncated_jpeg(), "image/jpeg"), 422, "corrupt_image"),
    "decompression bomb": (("bom.png", bomb_png(), "image/png"), 413, "image_too_large"),
    "path traversal name, not an image": (("../../../../etc/passwd", b"root:x:0:0::/root:/bin/sh\n", None), 415, None),
}


@pytest.mark.parametrize("attack", sorted(PHOTO_ATTACKS))
def test_hostile_photo_is_refused_and_nothing_is_written(attack, client, world):
    """Type is decided by decoding, never by name or declared MIME; bombs are stopped at the header."""
    (name, data, mime), status, code = PHOTO_ATTACKS[attack]
    before = _state(world)
    photo = (name, data, mime) if mime else (name, data)
    response = client.post(
        "/api/handovers",
        data=_form(world),
        files=[("photos", photo), ("signature", ("ttd.png", png_signature(), "image/png"))],
        headers={**world.headers("courier_a"), "Idempotency-Key": new_key()},
    )
    assert response.status_code == status, response.text
    body = response.json()["error"]
    if code:
        assert body["code"] == code
    assert body["message_id"] and body["message_en"]
    assert _state(world) == before


def test_signature_must_be_png(client, world):
    """A JPEG (or SVG) where the PNG signature belongs is refused."""
    before = _state(world)
    for name, data, mime in (("ttd.jpg", jpeg_bytes(size=(60, 40)), "image/jpeg"), ("ttd.svg", SVG, "image/svg+xml")):
        response = client.post(
            "/api/handovers",
            data=_form(world),
            files=[("photos", ("f.jpg", jpeg_bytes(size=(60, 40)), "image/jpeg")), ("signature", (name, data, mime))],
            headers={**world.headers("courier_a"), "Idempotency-Key": new_key()},
        )
        assert response.status_code == 415, response.text
    assert _state(world) == before


def test_fifty_megabyte_body_is_refused_before_it_is_read(client, world):
    """A 50 MB upload is a 413 (by Content-Length), not a memory spike or a 500."""
    before = _state(world)
    huge = b"\xff\xd8\xff" + b"\0" * (50 * 1024 * 1024)
    response = client.post(
        "/api/handovers",
        data=_form(world),
        files=[("photos", ("big.jpg", huge, "image/jpeg")), ("signature", ("ttd.png", png_signature(), "image/png"))],
        headers={**world.headers("courier_a"), "Idempotency-Key": new_key()},
    )
    assert response.status_code == 413, response.text[:300]
    assert response.json()["error"]["code"] == "file_too_large"
    assert _state(world) == before


def test_path_traversal_name_on_a_real_photo_is_ignored(client, world):
    """The client's file name is never used: a real photo named ../../x is stored under its SHA-256 inside the
    evidence store and nowhere else (refusing it would throw away a signature that cannot be re-collected)."""
    root = world.settings.evidence_path
    outside = root.parent / "pwned.jpg"
    response = client.post(
        "/api/handovers",
        data=_form(world),
        files=[
            ("photos", ("../pwned.jpg", jpeg_bytes(size=(60, 40), seed=9), "image/jpeg")),
            ("signature", ("../../ttd.png", png_signature(seed=4), "image/png")),
        ],
        headers={**world.headers("courier_a"), "Idempotency-Key": new_key()},
    )
    assert response.status_code == 201, response.text
    assert not outside.exists()
    for ev in response.json()["evidence"]:
        path = root / ev["sha256"][:2] / ev["sha256"][2:4] / ev["sha256"]
        assert path.is_file() and path.resolve().is_relative_to(root.resolve())
    assert not any("pwned" in p.name or "ttd" in p.name for p in root.rglob("*"))


def test_fifty_megabyte_chunked_body_is_cut_off_while_streaming(client, world):
    """Without a Content-Length (chunked upload) the body is counted as it streams and refused with 413."""
    boundary = "ajibbatas"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="photos"; filename="big.jpg"\r\n'
        "Content-Type: image/jpeg\r\n\r\n"
    ).encode() + b"\xff\xd8\xff"

    def body():
        yield head
        chunk = b"\0" * (1024 * 1024)
        for _ in range(50):
            yield chunk
        yield f"\r\n--{boundary}--\r\n".encode()

    before = _state(world)
    response = client.post(
        "/api/handovers",
        content=body(),
        headers={
            **world.headers("courier_a"),
            "Idempotency-Key": new_key(),
            "Content-Type": f"multipart/form-data; boundary={boundary}",
        },
    )
    assert response.status_code == 413, response.text[:300]
    assert _state(world) == before


UNDECODABLE = {
    "decompression bomb": ("bom.png", bomb_png(), "image/png"),
    "truncated jpeg": ("foto.jpg", truncated_jpeg(), "image/jpeg"),
}


@pytest.mark.parametrize("role", ["courier_b", "clerk"])
def test_an_unauthorised_upload_is_refused_before_any_image_is_decoded(role, client, world, monkeypatch):
    """Issue 15: another courier's six large photos cost 11 s of CPU before the 409. Whoever may not record
    this step is refused (403/409) on role, office, route and custody order first: no decoder runs (counted),
    and a bomb or a broken file — which decoding would answer with 413/422 — gets the same refusal."""
    import dispatch.custody.inputs as inputs

    decodes: list[str] = []
    real = inputs.validate_image

    def counting(data, **kw):
        decodes.append(kw["field"])
        return real(data, **kw)

    monkeypatch.setattr(inputs, "validate_image", counting)
    before = _state(world)
    for name, data, mime in UNDECODABLE.values():
        response = client.post(
            "/api/handovers",
            data=_form(world),
            files=[("photos", (name, data, mime))] * 6 + [("signature", ("ttd.png", png_signature(), "image/png"))],
            headers={**world.headers(role), "Idempotency-Key": new_key()},
        )
        assert response.status_code in (403, 409), response.text
        assert response.json()["error"]["code"] not in ("image_too_large", "corrupt_image")
    attempt = client.post(
        "/api/attempts",
        data={"job_id": str(world.ids["third_job_id"]), "reason": "not_home", "device_time": utcnow().isoformat()},
        files=[("photos", UNDECODABLE["decompression bomb"])],
        headers={**world.headers(role), "Idempotency-Key": new_key()},
    )
    assert attempt.status_code in (403, 409), attempt.text
    assert decodes == []
    assert _state(world) == before
