"""Public receipt pages, receipt PDFs and the verification page their QR codes point to.

Links carry an unguessable token (``?t=``); a wrong token is a 404 like a missing receipt.
Pages are small string templates (api/templates/receipts/), Bahasa Indonesia first with English.
"""

from __future__ import annotations

from functools import cache
from html import escape
from string import Template
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse

from api.deps import SessionDep, SettingsDep
from api.errors import responses
from api.schemas.custody import VerifyResult
from dispatch.clock import utcnow
from dispatch.config import REPO_ROOT
from dispatch.custody.evidence_store import store_from_settings
from dispatch.custody.keys import office_verifier, witness_verifiers
from dispatch.custody.receipt_bundle import receipt_for
from dispatch.custody.receipts import KIND_LABELS, PARTY_LABELS, qr_svg, render_pdf, wib
from dispatch.custody.verification import handover_by_token, receipt_view, verify_handover

router = APIRouter(tags=["receipts"])

TEMPLATES = REPO_ROOT / "api" / "templates" / "receipts"
PRIVATE_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex"}
HandoverId = Annotated[int, Path(ge=1, le=2**31 - 1)]
Token = Annotated[str | None, Query(alias="t", description="receipt token from the receipt link")]


@cache
def _template(name: str) -> Template:
    return Template((TEMPLATES / name).read_text(encoding="utf-8"))


def _render(name: str, **values: object) -> str:
    """Every value is HTML-escaped except those whose name ends in ``_html`` / ``_svg`` / ``_block``."""
    safe = {
        k: (str(v) if k.endswith(("_html", "_svg", "_block")) else escape(str(v), quote=True))
        for k, v in values.items()
    }
    return _template(name).substitute(safe)


@router.get("/verify-offline", response_class=HTMLResponse, summary="Check receipt files in the browser, offline")
def verify_offline(settings: SettingsDep) -> HTMLResponse:
    """Works with no network once loaded (or saved): WebCrypto only, nothing fetched."""
    html = _render(
        "offline.html",
        office_key=office_verifier(settings).vkey,
        witness_keys="\n".join(w.vkey for w in witness_verifiers(settings)),
    )
    return HTMLResponse(html, headers={"Cache-Control": "public, max-age=3600"})


@router.get(
    "/receipts/{handover_id}.json",
    responses={200: {"content": {"application/json": {}}}, **responses(404, 422)},
    summary="The receipt as a file that proves itself: record, evidence hashes, tlog-proof (ajib-receipt/v1)",
)
def receipt_json(handover_id: HandoverId, session: SessionDep, settings: SettingsDep, t: Token = None) -> Response:
    row = handover_by_token(session=session, settings=settings, handover_id=handover_id, token=t)
    bundle = receipt_for(session, settings, row.id)
    headers = {**PRIVATE_HEADERS, "Content-Disposition": f'attachment; filename="ajib-receipt-{handover_id}.json"'}
    return JSONResponse(bundle, headers=headers)


@router.get(
    "/receipts/{handover_id}.pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}, **responses(404, 422)},
    summary="Receipt as PDF with a QR code to the verification page",
)
def receipt_pdf(handover_id: HandoverId, session: SessionDep, settings: SettingsDep, t: Token = None) -> Response:
    row = handover_by_token(session=session, settings=settings, handover_id=handover_id, token=t)
    pdf = render_pdf(receipt_view(session=session, settings=settings, handover=row))
    headers = {**PRIVATE_HEADERS, "Content-Disposition": f'inline; filename="ajib-tanda-terima-{handover_id}.pdf"'}
    return Response(pdf, media_type="application/pdf", headers=headers)


@router.get(
    "/receipts/{handover_id}",
    response_class=HTMLResponse,
    responses=responses(404, 422),
    summary="Receipt page (HTML)",
)
def receipt_page(handover_id: HandoverId, session: SessionDep, settings: SettingsDep, t: Token = None) -> HTMLResponse:
    row = handover_by_token(session=session, settings=settings, handover_id=handover_id, token=t)
    view = receipt_view(session=session, settings=settings, handover=row)
    kind_id, kind_en = KIND_LABELS.get(view.job_kind, (view.job_kind, view.job_kind))
    flag_block = ""
    if view.flagged:
        flag_block = (
            '<p class="flag">Ditandai untuk ditinjau <span class="en">/ Flagged for review</span>: '
            f"{escape(view.flag_reason or '')}</p>"
        )
    documents = ", ".join(f"{name} ({copies}×)" for name, copies in view.documents) or "-"
    evidence_html = "<br>".join(f"{escape(kind)}: <code>{escape(sha)}</code>" for kind, sha in view.evidence)
    html = _render(
        "receipt.html",
        handover_id=view.handover_id,
        kind_id=kind_id,
        kind_en=kind_en,
        seq=view.seq,
        flag_block=flag_block,
        tracking_code=view.tracking_code,
        application_number=view.application_number,
        office_name=view.office_name,
        from_label=PARTY_LABELS[view.from_party][0],
        to_label=PARTY_LABELS[view.to_party][0],
        from_en=PARTY_LABELS[view.from_party][1],
        to_en=PARTY_LABELS[view.to_party][1],
        recipient_name=view.recipient_name,
        courier_name=view.courier_name or "-",
        recorded_at=wib(view.recorded_at),
        documents=documents,
        evidence_html=evidence_html or "-",
        hash=view.hash,
        prev_hash=view.prev_hash or "-",
        qr_svg=qr_svg(view.qr_payload or view.verify_url),
        proof_text=view.proof_text,
        json_url=f"/receipts/{view.handover_id}.json?t={t}",
        verify_url=view.verify_url,
        pdf_url=view.pdf_url,
    )
    return HTMLResponse(html, headers=PRIVATE_HEADERS)


@router.get(
    "/verify/{handover_id}",
    response_model=VerifyResult,
    responses={200: {"content": {"text/html": {}}}, **responses(404, 422)},
    summary="Recompute the chain of custody behind a receipt: valid or tampered (HTML, or JSON on request)",
)
def verify(
    handover_id: HandoverId, request: Request, session: SessionDep, settings: SettingsDep, t: Token = None
) -> Response:
    handover, custody = verify_handover(
        session=session, settings=settings, handover_id=handover_id, token=t, store=store_from_settings(settings)
    )
    result = VerifyResult(
        handover_id=handover.id,
        job_id=handover.job_id,
        seq=handover.seq,
        hash=handover.hash,
        valid=custody.valid,
        tampered_at=custody.tampered_at,
        reason=custody.reason,
        chain_length=len(custody.handovers),
        files_altered=list(custody.files_altered),
        checked_at=utcnow(),
    )
    if _wants_json(request):
        return JSONResponse(result.model_dump(mode="json"), headers=PRIVATE_HEADERS)
    if result.valid:
        verdict_id = "SAH — rantai serah terima utuh, tidak ada perubahan."
        verdict_en = "VALID — the chain of custody is intact and unaltered."
    else:
        verdict_id = f"TIDAK SAH — data diubah mulai langkah {result.tampered_at} ({result.reason})."
        verdict_en = f"TAMPERED — records were altered from step {result.tampered_at} on ({result.reason})."
    html = _render(
        "verify.html",
        css="valid" if result.valid else "tampered",
        valid="true" if result.valid else "false",
        verdict_id=verdict_id,
        verdict_en=verdict_en,
        handover_id=handover.id,
        seq=handover.seq,
        chain_length=result.chain_length,
        hash=handover.hash,
        checked_at=wib(result.checked_at),
        receipt_url=f"/receipts/{handover.id}?t={t}",
    )
    return HTMLResponse(html, headers=PRIVATE_HEADERS)


def _wants_json(request: Request) -> bool:
    if request.query_params.get("format") == "json":
        return True
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept
