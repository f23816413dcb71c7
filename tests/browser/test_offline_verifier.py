"""The offline receipt verifier page in Chromium, with the network cut: WebCrypto only, nothing fetched."""

from __future__ import annotations

import json

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from dispatch.custody.chain import canonical_json
from dispatch.custody.tlog import merkle
from dispatch.custody.tlog.formats import Checkpoint, TlogProof
from dispatch.custody.tlog.note import ALG_COSIGNATURE_V1, Note, cosign, generate_signer, sign_note
from dispatch.custody.tlog.receipt import make_receipt

ORIGIN = "test.example/custody-log"


class MiniLog:
    """A log in memory, signed like the server's (dispatch.custody.log), to make receipt files."""

    def __init__(self, office, witness=None) -> None:
        self.office, self.witness, self.leaves = office, witness, []

    def note(self, size: int) -> str:
        hashes = [merkle.leaf_hash(x) for x in self.leaves[:size]]
        body = Checkpoint(ORIGIN, size, merkle.root_of(hashes)).body()
        sigs = [sign_note(body, self.office)] + ([cosign(body, self.witness, 1_700_000_000)] if self.witness else [])
        return Note(body, tuple(sigs)).serialise()

    def receipt(self, index: int, size: int, since: int | None = None) -> dict:
        hashes = [merkle.leaf_hash(x) for x in self.leaves[:size]]
        subtree = merkle.list_subtree(hashes)
        proof = TlogProof(
            index, tuple(merkle.inclusion_proof(index, size, subtree)), self.note(size), self.leaves[index]
        )
        consistency = []
        if since:
            import base64

            root1 = merkle.root_of(hashes[:since])
            consistency.append(
                {
                    "size1": since,
                    "root1": base64.b64encode(root1).decode(),
                    "proof": [base64.b64encode(h).decode() for h in merkle.consistency_proof(since, size, subtree)],
                }
            )
        return make_receipt(proof, log_url="", consistency=consistency, related=[])


def signed_record(seq: int, name: str, phone) -> bytes:
    claim = f"ajib-handover-claim/v1\njob_id=7\nfrom_party=applicant\nto_party=courier\nrecipient_name={name}\n"
    r, s = decode_dss_signature(phone.sign(claim.encode(), ec.ECDSA(hashes.SHA256())))
    spki = phone.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    import base64

    device = {
        "key_id": "0" * 64,
        "public_key": base64.b64encode(spki).decode(),
        "key_leaf": 0,
        "claim": claim,
        "signature": base64.b64encode(r.to_bytes(32, "big") + s.to_bytes(32, "big")).decode(),
    }
    return canonical_json(
        {
            "type": "handover",
            "job_id": 7,
            "seq": seq,
            "from_party": "applicant",
            "to_party": "courier",
            "recipient_name": name,
            "recorded_at": "2026-12-06T02:00:00.000000Z",
            "evidence": [],
            "device": device,
        }
    )


def test_offline_page_verifies_receipts_and_catches_a_rewrite(new_context, live_server, tmp_path):
    """Loaded once, then offline: one receipt verifies (office signature, inclusion, phone signature,
    cosignature); an older + newer pair is consistent; a rewritten leaf shows as history rewritten."""
    office = generate_signer(ORIGIN)
    witness = generate_signer("inspektorat.example/witness", ALG_COSIGNATURE_V1)
    phone = ec.generate_private_key(ec.SECP256R1())
    log = MiniLog(office, witness)
    log.leaves = [signed_record(1, "Siti Rahayu", phone)] + [
        canonical_json({"type": "other", "n": i}) for i in range(4)
    ]
    older = log.receipt(0, 3)
    log.leaves += [canonical_json({"type": "later", "n": 1}), canonical_json({"type": "later", "n": 2})]
    newer = log.receipt(5, 7, since=3)
    log.leaves[0] = signed_record(1, "Orang Lain", phone)  # the insider rewrites leaf 0 and re-signs
    rewritten = log.receipt(0, 7)
    files = {}
    for name, body in (("older", older), ("newer", newer), ("rewritten", rewritten)):
        files[name] = tmp_path / f"{name}.json"
        files[name].write_text(json.dumps(body))

    context = new_context(phone=False)
    page = context.new_page()
    page.goto("/verify-offline")
    page.wait_for_selector("body[data-ready='1']")
    context.set_offline(True)  # from here on, no network at all
    page.fill("#office-key", office.verifier.vkey)
    page.fill("#witness-keys", witness.verifier.vkey)

    def check(*names: str) -> tuple[str, str]:
        page.set_input_files("#receipt-files", [str(files[n]) for n in names])
        page.click("#verify-button")
        page.wait_for_selector("#verdict:not([hidden])")
        verdict = page.locator("#verdict")
        text = verdict.text_content() + "\n" + page.locator("#details").inner_text()
        return verdict.get_attribute("data-valid"), text

    valid, text = check("older")
    assert valid == "true", text
    assert "courier phone signature: verified" in text and "cosigned by witness inspektorat.example/witness" in text
    valid, text = check("older", "newer")
    assert valid == "true" and "checkpoint 7 extends checkpoint 3" in text, text
    valid, text = check("older", "rewritten")
    assert valid == "false" and "leaf 0 changed between the receipts" in text, text
    assert 'recipient_name: "Siti Rahayu" -> "Orang Lain"' in text
    from dispatch.custody.receipts import offline_qr_payload

    # a scanned receipt QR code: the proof travels in the URL fragment, checked on the phone, offline
    qr = offline_qr_payload(live_server.base_url, older["proof"])
    page.evaluate("h => { location.hash = h; }", "#" + qr.split("#", 1)[1])
    page.wait_for_function("document.getElementById('details').textContent.includes('leaf 0')")
    assert page.locator("#verdict").get_attribute("data-valid") == "true"
    assert "courier phone signature: verified" in page.locator("#details").inner_text()
    page.fill("#office-key", generate_signer(ORIGIN).verifier.vkey)  # someone else's key
    valid, text = check("older")
    assert valid == "false" and "no signature from the office key" in text
