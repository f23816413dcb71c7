"""C2SP signed notes (c2sp.org/signed-note): Ed25519 signers and verifiers, key strings, sign and open.

A note is UTF-8 text ending in a newline, a blank line, then signature lines ``— <name> base64(keyID ||
sig)``. Key IDs are ``SHA-256(name || 0x0A || type || public key)[:4]``; verifier keys are written
``<name>+<hex key ID>+base64(type || public key)`` and signer keys ``PRIVATE+KEY+<name>+<hex ID>+base64(type
|| seed)`` as Go's golang.org/x/mod/sumdb/note does, so keys and notes interoperate with its tools.
Type 0x01 signs the note text; type 0x04 (c2sp.org/tlog-cosignature) signs a timestamped message.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import struct
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

ALG_ED25519 = 0x01
ALG_COSIGNATURE_V1 = 0x04
EM_DASH = "\u2014"
MAX_SIGNATURES = 32
_NAME = re.compile(r"^[^\s+]+$")


class NoteError(ValueError):
    """A malformed note or key, or a signature that does not verify."""


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text: str) -> bytes:
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError) as exc:
        raise NoteError(f"not base64: {text[:40]!r}") from exc


def check_name(name: str) -> str:
    if not name or not _NAME.match(name):
        raise NoteError(f"key name {name!r} must be non-empty, without spaces or '+'")
    return name


def key_id(name: str, alg: int, public: bytes) -> int:
    digest = hashlib.sha256(name.encode() + b"\n" + bytes([alg]) + public).digest()
    return struct.unpack(">I", digest[:4])[0]


def _raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


@dataclass(frozen=True)
class Verifier:
    """A trusted public key: name, signature type, raw Ed25519 public key."""

    name: str
    alg: int
    public: bytes

    @property
    def id(self) -> int:
        return key_id(self.name, self.alg, self.public)

    @property
    def vkey(self) -> str:
        return f"{self.name}+{self.id:08x}+{b64(bytes([self.alg]) + self.public)}"

    def verify_raw(self, message: bytes, signature: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(self.public).verify(signature, message)
        except (InvalidSignature, ValueError):
            return False
        return True


def parse_vkey(text: str) -> Verifier:
    """``name+hexid+base64(type||key)``; the ID must match the key (a mangled key is refused)."""
    parts = text.strip().split("+", 2)
    if len(parts) != 3:
        raise NoteError("a verifier key is name+keyid+key")
    name, hex_id, material = parts
    check_name(name)
    raw = unb64(material)
    if len(raw) != 33 or raw[0] not in (ALG_ED25519, ALG_COSIGNATURE_V1):
        raise NoteError("only Ed25519 (0x01) and cosignature/v1 (0x04) keys are supported")
    verifier = Verifier(name, raw[0], raw[1:])
    if not re.fullmatch(r"[0-9a-f]{8}", hex_id) or int(hex_id, 16) != verifier.id:
        raise NoteError("verifier key ID does not match the key")
    return verifier


@dataclass(frozen=True)
class Signer:
    """A private Ed25519 key with the name it signs under."""

    name: str
    alg: int
    seed: bytes

    @property
    def _key(self) -> Ed25519PrivateKey:
        return Ed25519PrivateKey.from_private_bytes(self.seed)

    @property
    def verifier(self) -> Verifier:
        return Verifier(self.name, self.alg, _raw_public(self._key.public_key()))

    @property
    def skey(self) -> str:
        return f"PRIVATE+KEY+{self.name}+{self.verifier.id:08x}+{b64(bytes([self.alg]) + self.seed)}"

    def sign_raw(self, message: bytes) -> bytes:
        return self._key.sign(message)


def generate_signer(name: str, alg: int = ALG_ED25519) -> Signer:
    key = Ed25519PrivateKey.generate()
    seed = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    return Signer(check_name(name), alg, seed)


def parse_skey(text: str) -> Signer:
    parts = text.strip().split("+", 4)
    if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"]:
        raise NoteError("a signer key is PRIVATE+KEY+name+keyid+key")
    name, hex_id, material = parts[2:]
    check_name(name)
    raw = unb64(material)
    if len(raw) != 33 or raw[0] not in (ALG_ED25519, ALG_COSIGNATURE_V1):
        raise NoteError("only Ed25519 (0x01) and cosignature/v1 (0x04) keys are supported")
    signer = Signer(name, raw[0], raw[1:])
    if not re.fullmatch(r"[0-9a-f]{8}", hex_id) or int(hex_id, 16) != signer.verifier.id:
        raise NoteError("signer key ID does not match the key")
    return signer


@dataclass(frozen=True)
class Signature:
    name: str
    id: int
    data: bytes  # what follows the 4-byte key ID

    def line(self) -> str:
        return f"{EM_DASH} {self.name} {b64(struct.pack('>I', self.id) + self.data)}\n"


@dataclass(frozen=True)
class Note:
    text: str
    signatures: tuple[Signature, ...]

    def serialise(self) -> str:
        return self.text + "\n" + "".join(s.line() for s in self.signatures)


def check_text(text: str) -> str:
    if not text.endswith("\n"):
        raise NoteError("note text must end in a newline")
    if any(ord(c) < 0x20 and c != "\n" for c in text):
        raise NoteError("note text has control characters")
    return text


def sign_note(text: str, signer: Signer) -> Signature:
    """An Ed25519 (type 0x01) signature over the note text."""
    if signer.alg != ALG_ED25519:
        raise NoteError("cosignature keys sign with cosign(), not sign_note()")
    check_text(text)
    return Signature(signer.name, signer.verifier.id, signer.sign_raw(text.encode()))


def parse_note(message: str) -> Note:
    """Split text and signature lines (the text ends at the last blank line), checking the format only."""
    if "\r" in message or any(ord(c) < 0x20 and c != "\n" for c in message):
        raise NoteError("note has control characters")
    if not message.endswith("\n"):
        raise NoteError("note must end in a newline")
    cut = message.rfind("\n\n")
    if cut < 0:
        raise NoteError("note has no signature block")
    text, block = message[: cut + 1], message[cut + 2 :]
    lines = block[:-1].split("\n")
    if not block or len(lines) > MAX_SIGNATURES:
        raise NoteError("note has no signatures or too many")
    sigs = []
    for line in lines:
        prefix = EM_DASH + " "
        if not line.startswith(prefix):
            raise NoteError("malformed signature line")
        fields = line[len(prefix) :].split(" ")
        if len(fields) != 2:
            raise NoteError("malformed signature line")
        name, encoded = fields
        check_name(name)
        raw = unb64(encoded)
        if len(raw) < 5:
            raise NoteError("signature too short")
        sigs.append(Signature(name, struct.unpack(">I", raw[:4])[0], raw[4:]))
    return Note(text, tuple(sigs))


def open_note(message: str, verifiers: list[Verifier] | tuple[Verifier, ...]) -> tuple[Note, list[Verifier]]:
    """Verify a note's type-0x01 signatures: every signature from a known key must verify, at least one must.

    Returns the note and the verifiers whose signatures checked; cosignatures are left to
    :func:`verify_cosignature` (their signed message is not the note text).
    """
    note = parse_note(message)
    known = {(v.name, v.id): v for v in verifiers if v.alg == ALG_ED25519}
    good = []
    for sig in note.signatures:
        verifier = known.get((sig.name, sig.id))
        if verifier is None:
            continue  # unknown keys are ignored, as the spec says
        if not verifier.verify_raw(note.text.encode(), sig.data):
            raise NoteError(f"invalid signature for key {verifier.name}+{verifier.id:08x}")
        good.append(verifier)
    if not good:
        raise NoteError("no signature from a trusted key")
    return note, good


def cosignature_message(text: str, timestamp: int) -> bytes:
    return f"cosignature/v1\ntime {timestamp}\n".encode() + text.encode()


def cosign(text: str, signer: Signer, timestamp: int) -> Signature:
    """A c2sp.org/tlog-cosignature Ed25519 cosignature: ``u64 timestamp || Ed25519 signature``."""
    if signer.alg != ALG_COSIGNATURE_V1:
        raise NoteError("a cosigner key has type 0x04")
    if not 0 <= timestamp < 2**63:
        raise NoteError("timestamp out of range")
    check_text(text)
    sig = signer.sign_raw(cosignature_message(text, timestamp))
    return Signature(signer.name, signer.verifier.id, struct.pack(">Q", timestamp) + sig)


def verify_cosignature(text: str, signature: Signature, verifier: Verifier) -> int:
    """The cosignature's timestamp if it verifies, else :class:`NoteError`."""
    if verifier.alg != ALG_COSIGNATURE_V1 or (signature.name, signature.id) != (verifier.name, verifier.id):
        raise NoteError("not a cosignature of this witness")
    if len(signature.data) != 8 + 64:
        raise NoteError("a cosignature is 8 + 64 bytes")
    timestamp = struct.unpack(">Q", signature.data[:8])[0]
    if timestamp >= 2**63 or not verifier.verify_raw(cosignature_message(text, timestamp), signature.data[8:]):
        raise NoteError(f"invalid cosignature from {verifier.name}")
    return timestamp
