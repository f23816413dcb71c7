"""Insider rewrites against the real database, caught by `ajib verify-receipt` with an earlier receipt.

The insider here is the strongest one: the owner role (triggers disabled where needed) *and* the office's
signing key, rewriting rows, chain hashes, log leaves, stored subtrees and checkpoints "the documented way".
The server's own verification is then fooled; a receipt someone kept from before is not.
"""

from __future__ import annotations

import json

import httpx
import pytest
from sqlalchemy import select, text
from typer.testing import CliRunner

from api.cli.main import app as cli
from dispatch.clock import utcnow
from dispatch.custody import log
from dispatch.custody.keys import office_signer
from dispatch.custody.models import Handover, LogEntry
from dispatch.custody.records import HandoverRecord, handover_columns
from dispatch.jobs.models import Job
from tests.factories.custody import OFFICE_LAT, OFFICE_LON, make_scene, new_key, post_handover

runner = CliRunner()
LOG_TABLES = ("log_entries", "log_nodes", "log_checkpoints", "log_cosignatures")


def receipt(client, created: dict) -> dict:
    url = created["receipt_url"].split("?")
    response = client.get(url[0].replace("http://127.0.0.1:8000", "") + ".json?" + url[1])
    assert response.status_code == 200, response.text
    return response.json()


def pickup_then_office(client, db_session, test_settings):
    scene = make_scene(db_session, test_settings)
    first = post_handover(client, scene, "courier", "applicant", "courier", key=new_key())
    assert first.status_code == 201, first.text
    second = post_handover(client, scene, "clerk", "courier", "office", key=new_key(), lat=OFFICE_LAT, lon=OFFICE_LON)
    assert second.status_code == 201, second.text
    return scene, first.json(), second.json()


def triggers(session, enabled: bool, *tables: str) -> None:
    for table in tables:
        session.execute(text(f"ALTER TABLE {table} {'ENABLE' if enabled else 'DISABLE'} TRIGGER USER"))


def rewrite_log(session, settings, start: int, replace: dict[int, bytes | None]) -> None:
    """Rebuild the log from leaf ``start`` with some leaves replaced or dropped, and sign the new tree."""
    old = session.scalars(select(LogEntry).where(LogEntry.idx >= start).order_by(LogEntry.idx)).all()
    saved = [(e.idx, e.kind, e.job_id, e.handover_id, e.attempt_id, bytes(e.leaf)) for e in old]
    triggers(session, False, *LOG_TABLES)
    session.execute(text("DELETE FROM log_cosignatures WHERE checkpoint_size > :k"), {"k": start})
    session.execute(text("DELETE FROM log_checkpoints WHERE size > :k"), {"k": start})
    session.execute(text("DELETE FROM log_nodes WHERE (idx + 1) * (1::bigint << level) > :k"), {"k": start})
    session.execute(text("DELETE FROM log_entries WHERE idx >= :k"), {"k": start})
    triggers(session, True, *LOG_TABLES)
    session.expunge_all()
    for idx, kind, job_id, handover_id, attempt_id, leaf in saved:
        new = replace.get(idx, leaf)
        if new is not None:
            log.append(session, kind=kind, leaf=new, job_id=job_id, handover_id=handover_id, attempt_id=attempt_id)
    log.publish_checkpoint(session, office_signer(settings), utcnow())
    session.expire_all()


def rewrite_row(session, handover_id: int, **changes) -> HandoverRecord:
    """Change a handover's record and recompute its hash (and the row) the documented way."""
    row = session.get(Handover, handover_id)
    record = HandoverRecord.model_validate(row.record).model_copy(update=changes).sealed()
    triggers(session, False, "handovers")
    for name, value in {**handover_columns(record), "record": record.model_dump(mode="json")}.items():
        setattr(row, name, value)
    session.flush()
    triggers(session, True, "handovers")
    return record


def verify_receipts(tmp_path, settings, *receipts: dict, log_url: str | None = None):
    files = []
    for i, body in enumerate(receipts):
        path = tmp_path / f"receipt-{i}.json"
        path.write_text(json.dumps(body))
        files.append(str(path))
    args = ["verify-receipt", *files, "--key", office_signer(settings).verifier.vkey]
    if log_url:
        args += ["--log", log_url]
    return runner.invoke(cli, args)


@pytest.fixture
def log_over_client(client, monkeypatch):
    """`--log http://testserver/api/log` answered by the in-process app (same transaction, real routes)."""

    def get(url, params=None, timeout=None):
        return client.get(url, params=params)

    monkeypatch.setattr(httpx, "get", get)
    return "http://testserver/api/log"


def test_a_fresh_receipt_verifies_offline(client, db_session, test_settings, tmp_path):
    """One receipt, nothing but the office key: the record, evidence hashes and inclusion in a signed tree."""
    _, first, second = pickup_then_office(client, db_session, test_settings)
    result = verify_receipts(tmp_path, test_settings, receipt(client, second))
    assert result.exit_code == 0, result.output
    assert "VALID" in result.output and f"leaf {second['log_index']}" in result.output
    assert second["evidence"][0]["sha256"] in result.output
    both = verify_receipts(tmp_path, test_settings, receipt(client, first), receipt(client, second))
    assert both.exit_code == 0, both.output


def test_rewritten_recipient_name_is_reported_at_its_leaf(client, db_session, test_settings, tmp_path):
    """A recipient renamed, hashes, chain head, log and checkpoint redone and re-signed: the server says valid,
    the applicant's earlier receipt and a new one show the exact leaf and field that changed."""
    scene, first, second = pickup_then_office(client, db_session, test_settings)
    kept = receipt(client, first)
    new1 = rewrite_row(db_session, first["handover_id"], recipient_name="Orang Lain")
    new2 = rewrite_row(db_session, second["handover_id"], prev_hash=new1.hash)
    triggers(db_session, False, "jobs")
    db_session.execute(text("UPDATE jobs SET chain_head = :h WHERE id = :j"), {"h": new2.hash, "j": scene.job.id})
    triggers(db_session, True, "jobs")
    rewrite_log(
        db_session,
        test_settings,
        first["log_index"],
        {first["log_index"]: new1.leaf(), second["log_index"]: new2.leaf()},
    )
    check = client.get(
        f"/verify/{first['handover_id']}", params={"t": first["receipt_url"].split("t=")[1], "format": "json"}
    )
    assert check.json()["valid"] is True  # the server alone is fooled
    result = verify_receipts(tmp_path, test_settings, kept, receipt(client, first))
    assert result.exit_code == 1, result.output
    assert f"leaf {first['log_index']} changed between the receipts" in result.output
    assert "recipient_name: 'Siti Rahayu' -> 'Orang Lain'" in result.output


def test_deleted_last_handover_and_rewound_job_are_reported(
    client, db_session, test_settings, tmp_path, log_over_client
):
    """The office drop deleted, the job rewound to 'picked up', the log rebuilt without it and re-signed:
    the receipt of the deleted step, checked against a new receipt and the log, names the missing leaf."""
    scene, first, second = pickup_then_office(client, db_session, test_settings)
    kept = receipt(client, second)
    rewrite_log(db_session, test_settings, second["log_index"], {second["log_index"]: None})
    triggers(db_session, False, "handovers", "jobs")
    db_session.execute(text("DELETE FROM evidence WHERE handover_id = :h"), {"h": second["handover_id"]})
    db_session.execute(text("DELETE FROM handovers WHERE id = :h"), {"h": second["handover_id"]})
    db_session.execute(
        text(
            "UPDATE jobs SET status = 'picked_up', custody_party = 'courier', custody_courier_id = :c, "
            "chain_head = :head, chain_length = 1 WHERE id = :j"
        ),
        {"c": scene.courier.id, "head": first["hash"], "j": scene.job.id},
    )
    triggers(db_session, True, "handovers", "jobs")
    db_session.expire_all()
    fresh = receipt(client, first)
    result = verify_receipts(tmp_path, test_settings, kept, fresh, log_url=log_over_client)
    assert result.exit_code == 1, result.output
    index = second["log_index"]
    assert f"leaf {index} (handover of job {scene.job.id}, step 2 courier->office)" in result.output, result.output


def test_a_reset_job_cannot_be_picked_up_again(client, db_session, test_settings):
    """Resetting a delivered-to-office job to 'planned' is refused by the database; forced with the trigger
    off, the API still refuses the second pickup (custody comes from the log) and the audit names the step."""
    scene, first, _second = pickup_then_office(client, db_session, test_settings)
    reset = (
        "UPDATE jobs SET status = 'planned', custody_party = 'applicant', custody_courier_id = NULL, "
        "chain_head = NULL, chain_length = 0 WHERE id = :j"
    )
    nested = db_session.begin_nested()
    with pytest.raises(Exception, match="derived from its handovers"):
        db_session.execute(text(reset), {"j": scene.job.id})
    nested.rollback()
    triggers(db_session, False, "jobs")
    db_session.execute(text(reset), {"j": scene.job.id})
    triggers(db_session, True, "jobs")
    db_session.expire_all()
    again = post_handover(client, scene, "courier", "applicant", "courier", key=new_key())
    assert again.status_code == 409 and again.json()["error"]["code"] == "custody_state_mismatch"
    token = first["receipt_url"].split("t=")[1]
    check = client.get(f"/verify/{first['handover_id']}", params={"t": token, "format": "json"}).json()
    assert check["valid"] is False and check["reason"] == "length_mismatch"


def test_a_faked_purge_is_tampering_and_a_real_one_is_reported_as_retention(
    client, db_session, test_settings, tmp_path
):
    """purged_at set and the file deleted without a logged purge: 'file altered' at that step. A real purge
    appends a tombstone, and the receipt verifier says 'evidence purged under retention on ...'."""
    from datetime import timedelta

    from dispatch.custody.evidence_store import store_from_settings
    from dispatch.custody.retention import purge

    scene, first, _second = pickup_then_office(client, db_session, test_settings)
    token = first["receipt_url"].split("t=")[1]
    store = store_from_settings(test_settings)
    sha = first["evidence"][0]["sha256"]
    data = store.get(sha)
    db_session.execute(text("UPDATE evidence SET purged_at = now() WHERE sha256 = :s"), {"s": sha})
    store.delete(sha)
    check = client.get(f"/verify/{first['handover_id']}", params={"t": token, "format": "json"}).json()
    assert check["valid"] is False and check["tampered_at"] == 1 and check["reason"] == "file_altered"
    store.put(data)
    db_session.execute(text("UPDATE evidence SET purged_at = NULL WHERE sha256 = :s"), {"s": sha})
    later = utcnow() + timedelta(days=test_settings.evidence_retention_days + 2)
    db_session.expire_all()
    purge(session=db_session, settings=test_settings, store=store, now=later)
    check = client.get(f"/verify/{first['handover_id']}", params={"t": token, "format": "json"}).json()
    assert check["valid"] is True, check
    result = verify_receipts(tmp_path, test_settings, receipt(client, first))
    assert result.exit_code == 0, result.output
    assert f"evidence purged under retention on {later.date().isoformat()}" in result.output
    job = db_session.get(Job, scene.job.id)
    assert job.status == "at_office"
