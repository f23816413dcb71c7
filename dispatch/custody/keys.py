"""The office's log key and the witnesses it trusts, from settings.

An unset ``log_key`` is generated once into the state directory (mode 600) like the secret key, so a
restart keeps signing with the same key; production sets ``AJIB_LOG_KEY`` from its secret store and
publishes the verifier key (``GET /api/log/key``) where receipt holders can find it.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from dispatch.custody.tlog.note import ALG_COSIGNATURE_V1, Signer, Verifier, generate_signer, parse_skey, parse_vkey

if TYPE_CHECKING:
    from pathlib import Path

    from dispatch.config import Settings


def _generated(path: Path, make: str) -> str:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(make + "\n")
        try:
            os.link(tmp, path)  # the first process's key wins, complete
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return path.read_text().strip()


def office_signer(settings: Settings) -> Signer:
    if settings.log_key:
        signer = parse_skey(settings.log_key)
    else:
        path = settings.state_dir / f"log_key-{settings.log_origin.replace('/', '_')}"
        signer = parse_skey(_generated(path, generate_signer(settings.log_origin).skey))
    if signer.name != settings.log_origin:
        raise ValueError(f"AJIB_LOG_KEY is named {signer.name}, not the log origin {settings.log_origin}")
    return signer


def office_verifier(settings: Settings) -> Verifier:
    return office_signer(settings).verifier


def witness_verifiers(settings: Settings) -> list[Verifier]:
    keys = [parse_vkey(text) for text in settings.witness_keys]
    return [key for key in keys if key.alg == ALG_COSIGNATURE_V1]


def witness_signer(path: Path, name: str) -> Signer:
    """A witness's own key, generated once in its key file."""
    return parse_skey(_generated(path, generate_signer(name, ALG_COSIGNATURE_V1).skey))
