"""The custody log's public face: signed checkpoints, proofs, the office's key, witness cosignatures.

Everything here is hashes and signatures (no leaf contents), so it needs no login: anyone may monitor
the log, and a witness posts its cosignatures back (accepted only from the configured witness keys).
"""

from __future__ import annotations

import base64
from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, Field

from api.deps import SessionDep, SettingsDep
from api.errors import responses
from dispatch.clock import utcnow
from dispatch.custody import log
from dispatch.custody.keys import office_verifier, witness_verifiers
from dispatch.custody.witnessing import add_cosignature, checkpoint_at, consistency, inclusion

router = APIRouter(prefix="/api/log", tags=["custody log"])
NOTE: dict[int | str, dict[str, Any]] = {200: {"content": {"text/plain": {}}}}
Size = Annotated[int, Path(ge=1, le=2**62)]


class LogKeys(BaseModel):
    origin: str
    office_key: str = Field(description="verifier key (c2sp.org/signed-note): name+keyid+base64(0x01||Ed25519 key)")
    witness_keys: list[str] = Field(description="witnesses whose cosignatures this log accepts (type 0x04 keys)")


class InclusionProof(BaseModel):
    index: int
    tree_size: int
    leaf_hash: str = Field(description="base64 SHA-256(0x00 || leaf)")
    proof: list[str] = Field(description="RFC 6962 audit path, base64, leaf's sibling first")


class ConsistencyProof(BaseModel):
    size1: int
    size2: int
    proof: list[str] = Field(description="RFC 6962 consistency proof, base64")


class Cosignature(BaseModel):
    size: int = Field(ge=1, description="the tree size of the checkpoint cosigned")
    signature: str = Field(max_length=400, description="the cosignature line: '— <witness> <base64>'")


def _b64(values: list[bytes]) -> list[str]:
    return [base64.b64encode(v).decode() for v in values]


@router.get("/key", response_model=LogKeys, summary="The office's log key and the trusted witnesses")
def keys(settings: SettingsDep) -> LogKeys:
    return LogKeys(
        origin=settings.log_origin,
        office_key=office_verifier(settings).vkey,
        witness_keys=[w.vkey for w in witness_verifiers(settings)],
    )


@router.get(
    "/checkpoint",
    response_class=PlainTextResponse,
    responses={**NOTE, **responses(404)},
    summary="The latest signed checkpoint (c2sp.org/tlog-checkpoint) with its cosignatures",
)
def latest(session: SessionDep) -> PlainTextResponse:
    return PlainTextResponse(log.cosigned_note(session, checkpoint_at(session, None)))


@router.get(
    "/checkpoints/{size}",
    response_class=PlainTextResponse,
    responses={**NOTE, **responses(404, 422)},
    summary="The checkpoint of this tree size (every published checkpoint is kept)",
)
def by_size(size: Size, session: SessionDep) -> PlainTextResponse:
    return PlainTextResponse(log.cosigned_note(session, checkpoint_at(session, size)))


@router.get(
    "/proof/inclusion",
    response_model=InclusionProof,
    responses=responses(422),
    summary="Inclusion proof of a leaf in a tree of a given size",
)
def inclusion_proof(
    session: SessionDep,
    index: Annotated[int, Query(ge=0, le=2**62)],
    tree_size: Annotated[int, Query(ge=1, le=2**62)],
) -> InclusionProof:
    leaf_hash, proof = inclusion(session, index, tree_size)
    return InclusionProof(index=index, tree_size=tree_size, leaf_hash=_b64([leaf_hash])[0], proof=_b64(proof))


@router.get(
    "/proof/consistency",
    response_model=ConsistencyProof,
    responses=responses(422),
    summary="Consistency proof between two tree sizes",
)
def consistency_proof(
    session: SessionDep,
    size1: Annotated[int, Query(alias="from", ge=1, le=2**62)],
    size2: Annotated[int, Query(alias="to", ge=1, le=2**62)],
) -> ConsistencyProof:
    return ConsistencyProof(size1=size1, size2=size2, proof=_b64(consistency(session, size1, size2)))


@router.post(
    "/cosignatures",
    status_code=201,
    responses=responses(404, 422),
    summary="A witness posts its cosignature of a checkpoint (c2sp.org/tlog-cosignature)",
)
def post_cosignature(
    body: Annotated[Cosignature, Body()], session: SessionDep, settings: SettingsDep
) -> dict[str, str | int]:
    row = add_cosignature(
        session, size=body.size, signature_line=body.signature, witnesses=witness_verifiers(settings), now=utcnow()
    )
    return {"size": row.checkpoint_size, "witness": row.witness}
