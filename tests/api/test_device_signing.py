"""Handovers signed on the courier's phone: key registration, the signed claim, refusals, revocation."""

from __future__ import annotations

import base64
import hashlib
import json

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from dispatch.clock import utcnow
from dispatch.custody.keys import office_verifier
from dispatch.custody.records import claim_message
from dispatch.custody.tlog.receipt import verify_receipt
from dispatch.users.models import User
from dispatch.users.service import issue_token
from tests.factories.custody import handover_files, handover_form, make_scene, new_key


def device(client, db_session, test_settings, scene):
    """A phone: a device token and a P-256 key registered with it (as courier.js does with WebCrypto)."""
    user = db_session.get(User, scene.courier.user_id)
    token = issue_token(session=db_session, user=user, kind="device", settings=test_settings, now=utcnow())
    key = ec.generate_private_key(ec.SECP256R1())
    spki = key.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    headers = {"Authorization": f"Bearer {token.token}"}
    r = client.post("/api/courier/device-key", json={"public_key": base64.b64encode(spki).decode()}, headers=headers)
    assert r.status_code == 201, r.text
    return key, r.json()["key_id"], headers, token


def signed_post(client, scene, key, key_id, headers, *, tamper=None, **form_extra):
    form = {
        k: str(v) for k, v in handover_form(scene.job, "applicant", "courier", **form_extra).items() if v is not None
    }
    files = handover_files()
    form["evidence_sha256"] = ",".join(f"{field}:{hashlib.sha256(f[1]).hexdigest()}" for field, f in files)
    der = key.sign(claim_message(form), ec.ECDSA(hashes.SHA256()))
    r, s = decode_dss_signature(der)
    signature = base64.b64encode(r.to_bytes(32, "big") + s.to_bytes(32, "big")).decode()
    if tamper:
        form.update(tamper)
    data = {**form, "device_key_id": key_id, "device_signature": signature}
    return client.post("/api/handovers", data=data, files=files, headers={**headers, "Idempotency-Key": new_key()})


def test_a_signed_handover_is_verified_stored_and_in_the_receipt(client, db_session, test_settings):
    """The phone signs the claim as sent; the server verifies, and the receipt verifier re-checks it offline."""
    scene = make_scene(db_session, test_settings)
    key, key_id, headers, _ = device(client, db_session, test_settings, scene)
    r = signed_post(client, scene, key, key_id, headers)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["device"]["key_id"] == key_id and body["device"]["claim"].startswith("ajib-handover-claim/v1\n")
    url, token = body["receipt_url"].split("?t=")
    receipt = client.get(url.replace("http://127.0.0.1:8000", "") + ".json", params={"t": token}).json()
    checked = verify_receipt(receipt, office_verifier(test_settings))
    assert checked.device == "verified"
    assert json.loads(checked.leaf)["recipient_name"] == "Siti Rahayu"


def test_a_changed_field_or_file_breaks_the_signature(client, db_session, test_settings):
    scene = make_scene(db_session, test_settings)
    key, key_id, headers, _ = device(client, db_session, test_settings, scene)
    r = signed_post(client, scene, key, key_id, headers, tamper={"recipient_name": "Orang Lain"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "device_signature_invalid"


def test_a_registered_phone_must_sign_and_a_revoked_key_is_refused(client, db_session, test_settings):
    scene = make_scene(db_session, test_settings)
    key, key_id, headers, _token = device(client, db_session, test_settings, scene)
    unsigned = client.post(
        "/api/handovers",
        data=handover_form(scene.job, "applicant", "courier"),
        files=handover_files(),
        headers={**headers, "Idempotency-Key": new_key()},
    )
    assert unsigned.status_code == 422 and unsigned.json()["error"]["code"] == "device_signature_required"
    assert client.post("/api/auth/revoke", json={}, headers=headers).status_code == 204
    revoked = signed_post(client, scene, key, key_id, headers)
    assert revoked.status_code == 401  # the device token is revoked with its key
    log_kinds = [
        k for (k,) in db_session.execute(__import__("sqlalchemy").text("SELECT kind FROM log_entries ORDER BY idx"))
    ]
    assert "device_key" in log_kinds and "device_revoked" in log_kinds


def test_required_mode_refuses_unsigned_courier_handovers(client, app, db_session, test_settings):
    app.state.settings = test_settings.model_copy(update={"device_signatures": "required"})
    scene = make_scene(db_session, test_settings)
    r = client.post(
        "/api/handovers",
        data=handover_form(scene.job, "applicant", "courier"),
        files=handover_files(),
        headers={**scene.auth("courier"), "Idempotency-Key": new_key()},
    )
    assert r.status_code == 422 and r.json()["error"]["code"] == "device_signature_required"
