"""C2SP signed notes, checkpoints, cosignatures and tlog-proofs: known answers from Go's sumdb/note."""

from __future__ import annotations

import pytest

from dispatch.custody.tlog import note
from dispatch.custody.tlog.formats import Checkpoint, TlogProof, parse_checkpoint, parse_tlog_proof
from dispatch.custody.tlog.note import NoteError

# golang.org/x/mod/sumdb/note's test keys and note (note_test.go)
PETER_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
PETER_SIG = (
    "\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)
ENOCH_SIG = (
    "\u2014 EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n"
)


def test_signer_key_string_gives_the_known_verifier_key():
    """The key ID is SHA-256(name || 0x0A || 0x01 || key)[:4] and the vkey string is Go's."""
    signer = note.parse_skey(PETER_SKEY)
    assert signer.verifier.vkey == PETER_VKEY
    assert signer.skey == PETER_SKEY
    assert note.parse_vkey(PETER_VKEY).id == 0xC74F20A3


def test_signing_gives_the_known_note():
    """Ed25519 is deterministic: our signature of Go's test text is Go's signature, byte for byte."""
    signer = note.parse_skey(PETER_SKEY)
    signed = note.Note(TEXT, (note.sign_note(TEXT, signer),)).serialise()
    assert signed == TEXT + "\n" + PETER_SIG


def test_open_accepts_known_keys_ignores_unknown_and_rejects_bad_signatures():
    peter, enoch = note.parse_vkey(PETER_VKEY), note.parse_vkey(ENOCH_VKEY)
    message = TEXT + "\n" + PETER_SIG + ENOCH_SIG
    _, good = note.open_note(message, [peter, enoch])
    assert {v.name for v in good} == {"PeterNeumann", "EnochRoot"}
    _, good = note.open_note(message, [enoch])  # Peter's signature is from an unknown key: ignored
    assert [v.name for v in good] == ["EnochRoot"]
    with pytest.raises(NoteError, match="no signature from a trusted key"):
        note.open_note(TEXT + "\n" + ENOCH_SIG, [peter])
    tampered = TEXT.replace("answer", "Answer") + "\n" + PETER_SIG
    with pytest.raises(NoteError, match="invalid signature"):
        note.open_note(tampered, [peter])


@pytest.mark.parametrize("cut", [1, 5, 12, 30, 40, len(PETER_VKEY) - 1])
def test_mangled_verifier_keys_are_refused(cut):
    with pytest.raises(NoteError):
        note.parse_vkey(PETER_VKEY[:cut])
    mangled = PETER_VKEY[:cut] + chr(ord(PETER_VKEY[cut]) + 1) + PETER_VKEY[cut + 1 :]
    with pytest.raises(NoteError):
        note.parse_vkey(mangled)


@pytest.mark.parametrize(
    "message",
    [
        TEXT + PETER_SIG,  # no blank line
        TEXT + "\n" + PETER_SIG.replace("\u2014", "-"),  # not an em dash
        TEXT + "\n" + PETER_SIG.replace("PeterNeumann", "Peter+Neumann"),
        TEXT + "\n" + PETER_SIG[:-1],  # no final newline
        TEXT.replace("problem,", "problem,\x07") + "\n" + PETER_SIG,
    ],
)
def test_malformed_notes_are_refused(message):
    with pytest.raises(NoteError):
        note.open_note(message, [note.parse_vkey(PETER_VKEY)])


def test_checkpoint_round_trip_and_cosignature():
    """A tlog-checkpoint body, signed by the log and cosigned (tlog-cosignature v1) by a witness."""
    log = note.generate_signer("example.org/log")
    witness = note.generate_signer("example.org/witness", note.ALG_COSIGNATURE_V1)
    cp = Checkpoint("example.org/log", 20852163, bytes(range(32)))
    text = cp.body()
    assert text == "example.org/log\n20852163\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n"
    assert parse_checkpoint(text) == cp
    cosig = note.cosign(text, witness, 1679315147)
    assert note.cosignature_message(text, 1679315147).startswith(b"cosignature/v1\ntime 1679315147\nexample.org/log\n")
    signed = note.Note(text, (note.sign_note(text, log), cosig)).serialise()
    opened, good = note.open_note(signed, [log.verifier, witness.verifier])
    assert good == [log.verifier]  # a cosignature is not a note signature
    assert note.verify_cosignature(opened.text, opened.signatures[1], witness.verifier) == 1679315147
    with pytest.raises(NoteError):
        note.verify_cosignature(text.replace("20852163", "20852164"), cosig, witness.verifier)
    assert witness.verifier.vkey.startswith("example.org/witness+")
    assert note.parse_vkey(witness.verifier.vkey) == witness.verifier


def test_tlog_proof_round_trip():
    text = Checkpoint("example.org/log", 3, bytes(32)).body()
    signed = note.Note(text, (note.sign_note(text, note.generate_signer("example.org/log")),)).serialise()
    proof = TlogProof(2, (bytes([1]) * 32, bytes([2]) * 32), signed, extra=b'{"a":1}')
    serialised = proof.serialise()
    assert serialised.startswith("c2sp.org/tlog-proof@v1\nextra eyJhIjoxfQ==\nindex 2\n")
    assert parse_tlog_proof(serialised) == proof
    with pytest.raises(NoteError):
        parse_tlog_proof(serialised.replace("index 2", "index 02"))
