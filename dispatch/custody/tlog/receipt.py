"""Receipts that carry their own proof, and the offline verifier behind ``ajib verify-receipt``.

A receipt file is JSON (``ajib-receipt/v1``): ``proof`` is a c2sp.org/tlog-proof whose ``extra`` line is the
record's leaf bytes, so the record, its evidence hashes, the phone's signature and the log's signed (and
cosigned) checkpoint travel together; ``consistency`` proves that checkpoint extends the checkpoints that
the job's earlier receipts were proved against; ``related`` holds the job's later leaves the receipt
holder should know about (evidence purge tombstones), each as its own tlog-proof. Everything here uses
only the standard library and ``cryptography``: ``static/js/verify.js`` does the same in a browser.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from dispatch.custody.tlog import merkle
from dispatch.custody.tlog.ecdsa import verify_p1363
from dispatch.custody.tlog.formats import Checkpoint, TlogProof, parse_checkpoint, parse_tlog_proof
from dispatch.custody.tlog.note import NoteError, Verifier, open_note, parse_note, verify_cosignature

FORMAT = "ajib-receipt/v1"
# record fields a phone signs, compared with the logged record (the server cannot change them unseen)
SIGNED_FIELDS = ("job_id", "from_party", "to_party", "recipient_name")


def make_receipt(
    proof: TlogProof, *, log_url: str, consistency: list[dict[str, Any]], related: list[TlogProof]
) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "log": log_url,
        "proof": proof.serialise(),
        "consistency": consistency,
        "related": [p.serialise() for p in related],
    }


@dataclass
class Checked:
    """One receipt, verified: what it says and what held."""

    index: int
    checkpoint: Checkpoint
    record: dict[str, Any]
    leaf: bytes
    cosigned_by: list[tuple[str, int]] = field(default_factory=list)
    device: str = "absent"  # "verified" | "absent"
    purges: list[dict[str, Any]] = field(default_factory=list)
    consistency: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


class ReceiptInvalid(ValueError):
    """The receipt does not verify; the message says exactly what failed."""


def _unb64(values: list[str]) -> list[bytes]:
    return [base64.b64decode(v, validate=True) for v in values]


def _verify_proof(
    text: str, office: Verifier, witnesses: list[Verifier]
) -> tuple[TlogProof, Checkpoint, list[tuple[str, int]]]:
    proof = parse_tlog_proof(text)
    note, _ = open_note(proof.checkpoint, [office])
    checkpoint = parse_checkpoint(note.text)
    if checkpoint.origin != office.name:
        raise ReceiptInvalid(f"checkpoint is for log {checkpoint.origin!r}, not {office.name!r}")
    cosigned = []
    for sig in note.signatures:
        witness = next((w for w in witnesses if (w.name, w.id) == (sig.name, sig.id)), None)
        if witness is not None:
            cosigned.append((witness.name, verify_cosignature(note.text, sig, witness)))
    if proof.extra is None:
        raise ReceiptInvalid("the proof carries no record (no extra line)")
    try:
        merkle.verify_inclusion(
            proof.index, checkpoint.size, merkle.leaf_hash(proof.extra), list(proof.path), checkpoint.root
        )
    except merkle.ProofError as exc:
        raise ReceiptInvalid(f"leaf {proof.index} is not in the signed tree of size {checkpoint.size}: {exc}") from exc
    return proof, checkpoint, cosigned


def verify_receipt(receipt: dict[str, Any], office: Verifier, witnesses: list[Verifier] = ()) -> Checked:  # type: ignore[assignment]
    """Check a receipt with nothing but the office's (and optionally witnesses') public keys."""
    if receipt.get("format") != FORMAT:
        raise ReceiptInvalid(f"not an {FORMAT} file")
    try:
        proof, checkpoint, cosigned = _verify_proof(receipt["proof"], office, list(witnesses))
    except (NoteError, KeyError, ValueError) as exc:
        raise ReceiptInvalid(str(exc)) from exc
    record = json.loads(proof.extra or b"{}")
    checked = Checked(proof.index, checkpoint, record, proof.extra or b"", cosigned)
    device = record.get("device")
    if device:
        message = device["claim"].encode()
        if not verify_p1363(base64.b64decode(device["public_key"]), message, base64.b64decode(device["signature"])):
            raise ReceiptInvalid(f"leaf {proof.index}: the courier phone's signature does not verify")
        claimed = dict(line.partition("=")[::2] for line in device["claim"].split("\n")[1:] if line)
        for name in SIGNED_FIELDS:
            if str(claimed.get(name, "")).strip() != str(record.get(name)):
                raise ReceiptInvalid(
                    f"leaf {proof.index}: field {name} is {record.get(name)!r} "
                    f"but the phone signed {claimed.get(name)!r}"
                )
        uploaded = sorted(f"{ev['kind']}:{ev['upload_sha256']}" for ev in record.get("evidence", []))
        signed = sorted(
            ("photo" if p.split(":")[0] == "photos" else p.split(":")[0]) + ":" + p.split(":")[1]
            for p in claimed.get("evidence_sha256", "").split(",")
            if p
        )
        if uploaded != signed:
            raise ReceiptInvalid(f"leaf {proof.index}: the evidence is not what the phone signed")
        checked.device = "verified"
    for item in receipt.get("consistency", []):
        try:
            root1 = base64.b64decode(item["root1"])
            merkle.verify_consistency(item["size1"], checkpoint.size, root1, checkpoint.root, _unb64(item["proof"]))
        except (merkle.ProofError, KeyError, ValueError) as exc:
            raise ReceiptInvalid(
                f"checkpoint {checkpoint.size} does not extend size {item.get('size1')}: {exc}"
            ) from exc
        checked.consistency.append(item)
    for text in receipt.get("related", []):
        try:
            rel, _rel_cp, _ = _verify_proof(text, office, list(witnesses))
        except (NoteError, ValueError) as exc:
            raise ReceiptInvalid(f"a related leaf does not verify: {exc}") from exc
        leaf = json.loads(rel.extra or b"{}")
        if leaf.get("type") == "purge" and leaf.get("job_id") == record.get("job_id"):
            checked.purges.append({**leaf, "index": rel.index})
    return checked


def purge_statement(purge: dict[str, Any]) -> str:
    """ "Evidence purged under retention on <date>", or a warning when the purge came early."""
    when = purge["purged_at"][:10]
    due = date.fromisoformat(purge["service_date"]) + timedelta(days=int(purge["retention_days"]))
    if date.fromisoformat(when) < due:
        return f"evidence purged on {when}, BEFORE its retention period ended on {due} (leaf {purge['index']})"
    return f"evidence purged under retention on {when} (kept {purge['retention_days']} days; leaf {purge['index']})"


@dataclass
class Comparison:
    consistent: bool
    lines: list[str]
    changed_leaf: int | None = None


def _diff(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    keys = sorted(set(a) | set(b))
    return [f"{k}: {a.get(k)!r} -> {b.get(k)!r}" for k in keys if a.get(k) != b.get(k)]


class LogFetch(Protocol):
    """Proofs from the log, fetched when receipts do not carry them (every answer is verified here)."""

    def checkpoint(self) -> str: ...
    def consistency(self, size1: int, size2: int) -> list[bytes]: ...
    def leaf(self, index: int, size: int) -> tuple[bytes, list[bytes]]: ...


def compare(first: Checked, second: Checked, office: Verifier, fetch: LogFetch | None = None) -> Comparison:
    """Does the later checkpoint extend the earlier one? If not, which leaf changed?"""
    older, newer = (first, second) if first.checkpoint.size <= second.checkpoint.size else (second, first)
    a, b = older.checkpoint, newer.checkpoint
    lines: list[str] = []
    if older.index == newer.index and older.leaf != newer.leaf:
        lines.append(f"leaf {older.index} changed between the receipts:")
        lines += ["  " + d for d in _diff(older.record, newer.record)]
        return Comparison(False, lines, older.index)
    if a.size == b.size:
        if a.root != b.root:
            lines.append(f"two different trees were signed for size {a.size}: the log was rewritten (fork)")
            return Comparison(False, lines + _locate([first, second], office, fetch), None)
        return Comparison(True, [f"both receipts are proved against the same checkpoint (size {a.size})"])
    carried = next((c for c in newer.consistency if c["size1"] == a.size), None)
    if carried is not None and base64.b64decode(carried["root1"]) != a.root:
        lines.append(f"the newer receipt extends a different tree of size {a.size} than the older one was proved in")
        return Comparison(False, lines + _locate([first, second], office, fetch), None)
    path = _unb64(carried["proof"]) if carried is not None else None
    if path is None and fetch is not None:
        try:
            path = fetch.consistency(a.size, b.size)
        except Exception as exc:
            lines.append(f"the log gives no consistency proof from size {a.size} to {b.size}: {exc}")
            return Comparison(False, lines + _locate([first, second], office, fetch), None)
    if path is None:
        return Comparison(
            False, [f"no consistency proof from size {a.size} to {b.size} in the receipts: ask the log (--log URL)"]
        )
    try:
        merkle.verify_consistency(a.size, b.size, a.root, b.root, path)
    except merkle.ProofError as exc:
        lines.append(f"checkpoint {b.size} does NOT extend checkpoint {a.size}: {exc}")
        return Comparison(False, lines + _locate([first, second], office, fetch), None)
    return Comparison(True, [f"checkpoint {b.size} extends checkpoint {a.size} (consistency proof verified)"])


def _summary(checked: Checked) -> str:
    r = checked.record
    step = f"{r.get('from_party', '')}->{r.get('to_party', '')}"
    return f"{r.get('type')} of job {r.get('job_id')}, step {r.get('seq', '-')} {step}"


def _locate(receipts: list[Checked], office: Verifier, fetch: LogFetch | None) -> list[str]:
    """Name the receipts' leaves that the log, as it is now, no longer holds."""
    if fetch is None:
        return ["to find the leaf that changed, ask the log (--log URL)"]
    try:
        note, _ = open_note(fetch.checkpoint(), [office])
        current = parse_checkpoint(note.text)
    except (NoteError, ValueError) as exc:
        return [f"the log's current checkpoint does not verify: {exc}"]
    found = []
    for checked in receipts:
        if checked.index >= current.size:
            found.append(f"leaf {checked.index} ({_summary(checked)}) is gone: the log now has {current.size} leaves")
            continue
        try:
            leaf_hash, path = fetch.leaf(checked.index, current.size)
            merkle.verify_inclusion(checked.index, current.size, leaf_hash, path, current.root)
        except Exception as exc:
            found.append(f"the log cannot prove leaf {checked.index}: {exc}")
            continue
        if leaf_hash != merkle.leaf_hash(checked.leaf):
            found.append(
                f"leaf {checked.index} changed: the receipt's record ({_summary(checked)}) is no longer in the log"
            )
    return found or ["every leaf these receipts hold is still in the log; the rewrite is in other leaves"]


def describe(checked: Checked) -> list[str]:
    r = checked.record
    lines = [
        f"leaf {checked.index} of {checked.checkpoint.origin}, tree size {checked.checkpoint.size}: "
        "signed by the office",
        f"record: {r.get('type')} job {r.get('job_id')} step {r.get('seq', '-')} "
        f"{r.get('from_party', '')} -> {r.get('to_party', '')} recipient {r.get('recipient_name', '-')!r} "
        f"at {r.get('recorded_at')}",
    ]
    for ev in r.get("evidence", []):
        lines.append(f"evidence {ev['kind']}: {ev['sha256']}")
    lines.append(
        "courier phone signature: verified" if checked.device == "verified" else "courier phone signature: none"
    )
    for name, stamp in checked.cosigned_by:
        lines.append(f"cosigned by witness {name} at {datetime.fromtimestamp(stamp).isoformat()}")
    for item in checked.consistency:
        lines.append(f"extends the checkpoint of size {item['size1']} (an earlier receipt of this job)")
    for purge in checked.purges:
        lines.append(purge_statement(purge))
    return lines


def parse_receipt_text(text: str) -> dict[str, Any]:
    """A receipt file: our JSON, or a bare .tlog-proof (then with no consistency or related leaves)."""
    stripped = text.lstrip()
    if stripped.startswith("{"):
        return json.loads(stripped)
    parse_note  # noqa: B018 - keep the import honest for bare proofs below
    return {"format": FORMAT, "log": None, "proof": text, "consistency": [], "related": []}
