"""`ajib witness`: cosigns checkpoints that extend what it saw, refuses a rewritten log; receipts show it."""

from __future__ import annotations

import base64

import pytest
from sqlalchemy import text

from dispatch.clock import utcnow
from dispatch.custody import log
from dispatch.custody.keys import office_signer, office_verifier
from dispatch.custody.tlog.note import ALG_COSIGNATURE_V1, generate_signer
from dispatch.custody.tlog.receipt import verify_receipt
from dispatch.custody.witness import Witness, WitnessError
from tests.api.test_insider_rewrites import pickup_then_office, receipt, rewrite_log


class ClientLog:
    """The log API through the in-process app (same routes a witness calls over HTTP)."""

    def __init__(self, client) -> None:
        self.client = client

    def checkpoint(self) -> str:
        return self.client.get("/api/log/checkpoint").text

    def consistency(self, size1: int, size2: int) -> list[bytes]:
        r = self.client.get("/api/log/proof/consistency", params={"from": size1, "to": size2})
        r.raise_for_status()
        return [base64.b64decode(h) for h in r.json()["proof"]]

    def post_cosignature(self, size: int, line: str) -> None:
        r = self.client.post("/api/log/cosignatures", json={"size": size, "signature": line})
        assert r.status_code == 201, r.text


@pytest.fixture
def witness_key(app, test_settings):
    key = generate_signer("inspektorat.example/witness", ALG_COSIGNATURE_V1)
    app.state.settings = test_settings.model_copy(update={"witness_keys": [key.verifier.vkey]})
    return key


def test_witness_cosigns_growth_and_receipts_show_it(client, db_session, test_settings, witness_key, tmp_path):
    """Each new checkpoint is cosigned after a verified consistency proof; a receipt carries the cosignature."""
    _, first, _ = pickup_then_office(client, db_session, test_settings)
    log.publish_checkpoint(db_session, office_signer(test_settings), utcnow())
    w = Witness(witness_key, office_verifier(test_settings), ClientLog(client), tmp_path / "w.state")
    assert w.round().startswith("cosigned size")
    assert w.round() is None  # nothing new
    body = receipt(client, first)
    checked = verify_receipt(body, office_verifier(test_settings), [witness_key.verifier])
    assert [name for name, _ in checked.cosigned_by] == ["inspektorat.example/witness"]
    log.append(db_session, kind="purge", leaf=b"later leaf")
    log.publish_checkpoint(db_session, office_signer(test_settings), utcnow())
    assert w.round().startswith("cosigned size")


def test_witness_refuses_a_rewritten_log(client, db_session, test_settings, witness_key, tmp_path):
    """After a rewrite of an already cosigned leaf (re-signed by the office key), the witness cosigns nothing."""
    _, _first, second = pickup_then_office(client, db_session, test_settings)
    log.publish_checkpoint(db_session, office_signer(test_settings), utcnow())
    w = Witness(witness_key, office_verifier(test_settings), ClientLog(client), tmp_path / "w.state")
    w.round()
    rewrite_log(db_session, test_settings, second["log_index"], {second["log_index"]: b'{"forged":true}'})
    log.append(db_session, kind="purge", leaf=b"grow past the old size")
    log.publish_checkpoint(db_session, office_signer(test_settings), utcnow())
    with pytest.raises(WitnessError, match="does not extend"):
        w.round()
    latest = log.latest_checkpoint(db_session).size
    cosigned = db_session.execute(
        text("SELECT count(*) FROM log_cosignatures WHERE checkpoint_size = :s"), {"s": latest}
    ).scalar_one()
    assert cosigned == 0
