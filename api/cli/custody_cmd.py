"""``ajib verify-receipt``, ``ajib witness`` and ``ajib checkpoint``: the custody log from the outside.

``verify-receipt`` needs only the receipt file(s) and the office's public key; it touches the network only
with ``--log`` (to fetch a consistency or inclusion proof the receipts do not carry, which it then verifies
itself). ``witness`` is meant to run elsewhere, under another authority, with its own key.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from api.cli.main import fail, one_line_errors


def _office_key(key: str | None) -> str:
    if key:
        return key
    from dispatch.config import get_settings
    from dispatch.custody.keys import office_verifier

    return office_verifier(get_settings()).vkey


@one_line_errors
def verify_receipt_command(
    files: Annotated[list[Path], typer.Argument(help="one receipt, or an older and a newer one", exists=True)],
    key: Annotated[str | None, typer.Option(help="the office's verifier key (default: this installation's)")] = None,
    witness_key: Annotated[list[str] | None, typer.Option(help="a witness verifier key (repeatable)")] = None,
    log: Annotated[str | None, typer.Option(help="log URL to fetch proofs the receipts do not carry")] = None,
) -> None:
    """Verify receipts offline: signature, inclusion, phone signature, cosignatures; with two, that the later
    checkpoint extends the earlier one, and if not, which leaf changed."""
    from dispatch.custody.tlog.note import parse_vkey
    from dispatch.custody.tlog.receipt import ReceiptInvalid, compare, describe, parse_receipt_text, verify_receipt

    if not 1 <= len(files) <= 2:
        fail("give one or two receipt files")
    office = parse_vkey(_office_key(key))
    witnesses = [parse_vkey(k) for k in witness_key or []]
    checked = []
    for path in files:
        try:
            one = verify_receipt(parse_receipt_text(path.read_text(encoding="utf-8")), office, witnesses)
        except (ReceiptInvalid, ValueError) as exc:
            typer.echo(f"{path}: INVALID: {exc}")
            raise typer.Exit(1) from None
        typer.echo(f"{path}: VALID")
        for line in describe(one):
            typer.echo(f"  {line}")
        checked.append(one)
    if len(checked) == 2:
        from dispatch.custody.witness import HttpLog

        result = compare(checked[0], checked[1], office, HttpLog(log) if log else None)
        for line in result.lines:
            typer.echo(line)
        if not result.consistent:
            raise typer.Exit(1)


@one_line_errors
def witness_command(
    log: Annotated[str, typer.Option(help="the log's URL, e.g. https://ajib.example/api/log")],
    key_file: Annotated[Path, typer.Option(help="this witness's private key (generated if missing)")],
    name: Annotated[str, typer.Option(help="this witness's key name, e.g. inspektorat.jakarta.go.id/witness")],
    log_key: Annotated[str, typer.Option(help="the log's (office's) verifier key")],
    state_file: Annotated[Path | None, typer.Option(help="where the last checkpoint seen is kept")] = None,
    once: Annotated[bool, typer.Option("--once", help="one round, then exit")] = False,
    interval: Annotated[float, typer.Option(min=1.0, help="seconds between rounds")] = 30.0,
    print_key: Annotated[bool, typer.Option("--print-key", help="print the verifier key and exit")] = False,
) -> None:
    """Watch a log: verify each new checkpoint extends the last one seen, cosign it, post the cosignature."""
    import time

    from dispatch.custody.keys import witness_signer
    from dispatch.custody.tlog.note import parse_vkey
    from dispatch.custody.witness import HttpLog, Witness, WitnessError

    signer = witness_signer(key_file, name)
    if print_key:
        typer.echo(signer.verifier.vkey)
        return
    state = state_file or key_file.with_suffix(".state")
    witness = Witness(signer, parse_vkey(log_key), HttpLog(log), state)
    while True:
        try:
            outcome = witness.round()
        except WitnessError as exc:
            typer.echo(f"witness: REFUSED: {exc}")
            raise typer.Exit(2) from None
        if outcome:
            typer.echo(f"witness: {outcome}")
        if once:
            return
        time.sleep(interval)


@one_line_errors
def checkpoint_command(
    loop: Annotated[bool, typer.Option("--loop", help="keep publishing (every AJIB_CHECKPOINT_INTERVAL_S)")] = False,
) -> None:
    """Sign and publish a checkpoint if the log grew (``ajib serve`` does this on its own)."""
    from api.cli.main import database_url
    from dispatch.clock import utcnow
    from dispatch.config import get_settings
    from dispatch.custody import log
    from dispatch.custody.keys import office_signer
    from dispatch.custody.witnessing import run_checkpointer
    from dispatch.db.session import session_factory

    settings = get_settings()
    sessions = session_factory(database_url())
    key = office_signer(settings)
    if loop:
        run_checkpointer(sessions, key, interval_s=settings.checkpoint_interval_s, stop=lambda: False)
        return
    with sessions() as session:
        row = log.publish_checkpoint(session, key, utcnow())
    typer.echo(f"checkpoint: size {row.size}" if row else "checkpoint: log unchanged")
    typer.echo(json.dumps({"office_key": key.verifier.vkey}))
