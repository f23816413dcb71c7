"""Receipt pages and PDFs behind unguessable links, and the verification page their QR codes open."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import segno
from sqlalchemy import text

from dispatch.custody.evidence_store import LocalEvidenceStore
from dispatch.custody.receipts import receipt_token
from tests.factories.custody import OFFICE_LAT, OFFICE_LON, make_scene, new_key, post_handover


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def picked_up(client, db_session, test_settings):
    scene = make_scene(db_session, test_settings)
    first = post_handover(client, scene, "courier", "applicant", "courier", key=new_key())
    assert first.status_code == 201, first.text
    second = post_handover(
        client,
        scene,
        "clerk",
        "courier",
        "office",
        key=new_key(),
        lat=OFFICE_LAT,
        lon=OFFICE_LON,
        recipient_name="Agus Kurniawan",
    )
    assert second.status_code == 201, second.text
    return scene, first.json(), second.json()


def tamper(db_session, sql: str, **params) -> None:
    """Bypass the append-only trigger as the table owner, the way an insider with database access could."""
    db_session.execute(text("ALTER TABLE handovers DISABLE TRIGGER handovers_append_only"))
    try:
        db_session.execute(text(sql), params)
    finally:
        db_session.execute(text("ALTER TABLE handovers ENABLE TRIGGER handovers_append_only"))


def test_receipt_page_shows_the_handover_in_both_languages(client, db_session, test_settings):
    """The HTML receipt names the step, signer, hashes and carries a QR code; no phone or address."""
    scene, body, _ = picked_up(client, db_session, test_settings)
    page = client.get(path_of(body["receipt_url"]))
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    assert "Tanda Terima" in html and "Handover Receipt" in html
    assert "Siti Rahayu" in html and body["hash"] in html and scene.job.tracking_code in html
    assert "<svg" in html and body["evidence"][0]["sha256"] in html
    assert scene.job.contact_phone not in html and scene.job.address_text not in html
    assert page.headers["cache-control"] == "no-store" and page.headers["referrer-policy"] == "no-referrer"


def test_receipt_escapes_what_people_typed(client, db_session, test_settings):
    """A recipient name with markup is shown as text, not executed."""
    scene = make_scene(db_session, test_settings)
    response = post_handover(
        client, scene, "courier", "applicant", "courier", key=new_key(), recipient_name="<script>alert(1)</script>"
    )
    html = client.get(path_of(response.json()["receipt_url"])).text
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html


def test_links_without_the_right_token_are_404(client, db_session, test_settings):
    """Wrong, missing or another receipt's token: 404, like an unknown id (links cannot be enumerated)."""
    _, body, second = picked_up(client, db_session, test_settings)
    hid = body["handover_id"]
    wrong = receipt_token(test_settings.secret_key, second["handover_id"])
    for url in (
        f"/receipts/{hid}",
        f"/receipts/{hid}?t={wrong}",
        f"/receipts/{hid}.pdf?t=0",
        f"/verify/{hid}?t=x",
        "/receipts/999999999?t=abc",
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert response.json()["error"]["code"] == "handover_not_found"


def test_receipt_pdf_carries_the_proof_in_its_qr_code_and_as_a_file(client, db_session, test_settings):
    """The PDF embeds the ajib-receipt file and a QR code holding the tlog-proof itself (for the offline page),
    which inflates back to the very proof of the receipt file."""
    import base64
    import zlib

    from dispatch.custody.receipts import offline_qr_payload

    _, body, _ = picked_up(client, db_session, test_settings)
    response = client.get(path_of(body["receipt_pdf_url"]))
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    pdf = response.content
    assert pdf.startswith(b"%PDF")
    assert b"/Subtype /Image" in pdf
    assert b"/EmbeddedFile" in pdf
    url, token = body["receipt_url"].split("?t=")
    proof = client.get(urlsplit(url).path + ".json", params={"t": token}).json()["proof"]
    payload = offline_qr_payload(test_settings.public_base_url, proof)
    assert payload is not None and payload.startswith(f"{test_settings.public_base_url}/verify-offline#r=")
    packed = payload.split("#r=")[1]
    assert zlib.decompress(base64.urlsafe_b64decode(packed + "=" * (-len(packed) % 4)), -15).decode() == proof
    width, height = segno.make(payload, error="l", boost_error=False).symbol_size(scale=3, border=2)
    assert re.search(rb"/Width %d\b" % width, pdf) and re.search(rb"/Height %d\b" % height, pdf)


def test_verify_says_valid_for_an_intact_chain(client, db_session, test_settings):
    """JSON on request and an HTML page for people: both say valid."""
    _, body, second = picked_up(client, db_session, test_settings)
    data = client.get(path_of(body["verify_url"]), headers={"Accept": "application/json"}).json()
    assert data["valid"] is True and data["tampered_at"] is None and data["chain_length"] == 2
    html = client.get(path_of(second["verify_url"])).text
    assert 'data-valid="true"' in html and "SAH" in html and "VALID" in html


def test_verify_finds_a_tampered_row(client, db_session, test_settings):
    """Edit seq 2 with the trigger disabled: verification (from any receipt of the job) says tampered at 2."""
    scene, body, second = picked_up(client, db_session, test_settings)
    tamper(db_session, "UPDATE handovers SET recipient_name = 'Penipu' WHERE job_id = :j AND seq = 2", j=scene.job.id)
    data = client.get(path_of(body["verify_url"]) + "&format=json").json()
    assert (
        data["valid"] is False and data["tampered_at"] == 2 and data["reason"] == "row_differs_from_log: recipient_name"
    )
    html = client.get(path_of(second["verify_url"])).text
    assert 'data-valid="false"' in html and "TIDAK SAH" in html and "TAMPERED" in html
    chain = client.get(f"/api/jobs/{scene.job.id}/custody", headers=scene.auth("clerk")).json()
    assert chain["valid"] is False and chain["tampered_at"] == 2


def test_verify_finds_a_rewritten_hash_chain(client, db_session, test_settings):
    """Changing a GPS point and recomputing nothing else breaks seq 1; the trigger is back on afterwards."""
    scene, body, _ = picked_up(client, db_session, test_settings)
    tamper(
        db_session,
        "UPDATE handovers SET gps = ST_SetSRID(ST_MakePoint(106.9, -6.3), 4326) WHERE job_id = :j AND seq = 1",
        j=scene.job.id,
    )
    data = client.get(path_of(body["verify_url"]), headers={"Accept": "application/json"}).json()
    assert data["valid"] is False and data["tampered_at"] == 1
    enabled = db_session.scalar(text("SELECT tgenabled FROM pg_trigger WHERE tgname = 'handovers_append_only'"))
    assert enabled == "O"


def test_verify_finds_an_altered_evidence_file(client, db_session, test_settings):
    """Overwriting a stored photo's bytes is caught by re-hashing the file."""
    _, body, _ = picked_up(client, db_session, test_settings)
    sha = next(e["sha256"] for e in body["evidence"] if e["kind"] == "photo")
    path = LocalEvidenceStore(test_settings.evidence_path).path_for(sha)
    original = path.read_bytes()
    try:
        path.write_bytes(original[:-10] + b"0123456789")
        data = client.get(path_of(body["verify_url"]), headers={"Accept": "application/json"}).json()
        assert data["valid"] is False and data["reason"] == "file_altered" and data["tampered_at"] == 1
        assert data["files_altered"] == [sha]
    finally:
        path.write_bytes(original)
