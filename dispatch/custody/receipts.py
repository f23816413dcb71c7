"""Receipts for handovers: unguessable links, the facts a receipt shows, and the PDF with its QR code.

A receipt link carries ``t = HMAC-SHA256(secret_key, "receipt:<id>")`` (first 32 hex digits, 128 bits),
so links can be shared with an applicant without a login and cannot be enumerated by id.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import zlib
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import segno
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from dispatch.config import BUSINESS_TZ

if TYPE_CHECKING:
    from dispatch.config import Settings

PARTY_LABELS = {
    "applicant": ("Pemohon", "Applicant"),
    "courier": ("Petugas AJIB", "Courier"),
    "office": ("Kantor", "Office"),
}
KIND_LABELS = {
    "pickup": ("Penjemputan dokumen", "Document pickup"),
    "delivery": ("Pengantaran izin", "Permit delivery"),
}


def receipt_token(secret_key: str, handover_id: int) -> str:
    return hmac.new(secret_key.encode(), f"receipt:{handover_id}".encode(), hashlib.sha256).hexdigest()[:32]


def token_valid(secret_key: str, handover_id: int, token: str | None) -> bool:
    # bytes, not str: compare_digest raises TypeError on non-ASCII text, which a crafted link would send
    expected = receipt_token(secret_key, handover_id).encode()
    return bool(token) and hmac.compare_digest(expected, str(token).encode("utf-8", "surrogatepass"))


def receipt_url(settings: Settings, handover_id: int, *, pdf: bool = False) -> str:
    suffix = ".pdf" if pdf else ""
    base = settings.public_base_url.rstrip("/")
    return f"{base}/receipts/{handover_id}{suffix}?t={receipt_token(settings.secret_key, handover_id)}"


def verify_url(settings: Settings, handover_id: int) -> str:
    base = settings.public_base_url.rstrip("/")
    return f"{base}/verify/{handover_id}?t={receipt_token(settings.secret_key, handover_id)}"


def wib(moment: datetime | None) -> str:
    return moment.astimezone(BUSINESS_TZ).strftime("%d-%m-%Y %H:%M:%S WIB") if moment else "-"


@dataclass(frozen=True)
class ReceiptView:
    """What a receipt shows: no phone numbers, addresses or NIK digits (the link may be forwarded)."""

    handover_id: int
    job_id: int
    job_kind: str
    tracking_code: str
    application_number: str
    office_name: str
    seq: int
    from_party: str
    to_party: str
    recipient_name: str
    courier_name: str | None
    recorded_at: datetime
    device_time: datetime | None
    flagged: bool
    flag_reason: str | None
    distance_to_stop_m: float | None
    documents: tuple[tuple[str, int], ...]
    evidence: tuple[tuple[str, str], ...]  # (kind, sha256)
    prev_hash: str | None
    hash: str
    receipt_url: str
    pdf_url: str
    verify_url: str
    proof_text: str = ""  # the c2sp.org/tlog-proof (extra = the record's leaf)
    bundle_json: str = ""  # the whole ajib-receipt/v1 file
    qr_payload: str = ""  # what the QR code holds: the proof itself when it fits, else the verify link


QR_MAX_BYTES = 2900  # a version-40 QR code at error level L holds 2953 bytes


def offline_qr_payload(base_url: str, proof_text: str) -> str | None:
    """``<base>/verify-offline#r=<base64url(deflate-raw(tlog-proof))>``: the fragment never reaches a server,
    and the offline page verifies it on the phone that scanned it. None when it would not fit a QR code."""
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    packed = packer.compress(proof_text.encode()) + packer.flush()
    payload = f"{base_url.rstrip('/')}/verify-offline#r=" + base64.urlsafe_b64encode(packed).decode().rstrip("=")
    return payload if len(payload) <= QR_MAX_BYTES else None


def _qr(payload: str):
    return segno.make(payload, error="l" if len(payload) > 1200 else "m", boost_error=False)


def qr_svg(payload: str) -> str:
    return _qr(payload).svg_inline(scale=2 if len(payload) > 1200 else 4, border=2)


def qr_png(payload: str, scale: int = 6) -> bytes:
    out = io.BytesIO()
    _qr(payload).save(out, kind="png", scale=scale, border=2)
    return out.getvalue()


def _latin1(text: str) -> str:
    """The PDF's core fonts are Latin-1; anything else becomes '?' rather than breaking the receipt."""
    return text.replace("→", "->").replace("–", "-").replace("—", "-").encode("latin-1", "replace").decode("latin-1")


def render_pdf(view: ReceiptView) -> bytes:
    pdf = FPDF(format=(148, 210))  # A5 in mm
    pdf.set_title(f"AJIB receipt {view.handover_id}")
    pdf.set_creator("AJIB dispatch")
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 14)
    pdf.cell(0, 8, "Tanda Terima Serah Terima / Handover Receipt", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("Helvetica", size=9)
    kind_id, kind_en = KIND_LABELS.get(view.job_kind, (view.job_kind, view.job_kind))
    rows = [
        ("Layanan / Service", f"{kind_id} / {kind_en}"),
        ("Kode lacak / Tracking code", view.tracking_code),
        ("No. permohonan / Application", view.application_number),
        ("Kantor / Office", view.office_name),
        ("Langkah / Step", f"#{view.seq}: {PARTY_LABELS[view.from_party][0]} -> {PARTY_LABELS[view.to_party][0]}"),
        ("Penerima / Recipient", view.recipient_name),
        ("Petugas / Courier", view.courier_name or "-"),
        ("Waktu / Time", wib(view.recorded_at)),
        ("Catatan / Review", view.flag_reason if view.flagged else "-"),
    ]
    rows += [("Dokumen / Documents", f"{name} ({copies}x)") for name, copies in view.documents]
    for label, value in rows:
        pdf.set_font("Helvetica", "B", 9)
        pdf.cell(48, 5.5, _latin1(label))
        pdf.set_font("Helvetica", size=9)
        pdf.multi_cell(0, 5.5, _latin1(str(value)), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)
    pdf.set_font("Courier", size=6.5)
    pdf.multi_cell(0, 3.5, f"hash      {view.hash}\nprev_hash {view.prev_hash or '-'}", new_x=XPos.LMARGIN)
    for kind, sha in view.evidence:
        pdf.multi_cell(0, 3.5, f"{kind:<9} {sha}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)
    payload = view.qr_payload or view.verify_url
    big = payload != view.verify_url
    side = 60 if big else 32
    if pdf.get_y() + side > pdf.h - pdf.b_margin:
        pdf.add_page()
    y = pdf.get_y()
    pdf.image(io.BytesIO(qr_png(payload, scale=3 if big else 6)), x=pdf.l_margin, y=y, w=side, h=side)
    pdf.set_xy(pdf.l_margin + side + 4, y + 4)
    pdf.set_font("Helvetica", size=8)
    note = (
        "Kode QR ini memuat bukti log; pindai untuk memeriksa tanpa internet.\n"
        "This QR code holds the log proof: scan to verify offline.\n"
        if big
        else "Pindai untuk memeriksa keaslian / Scan to verify:\n"
    )
    pdf.multi_cell(0, 4, _latin1(note + view.verify_url), new_x=XPos.LMARGIN)
    if view.proof_text:
        pdf.add_page()
        pdf.set_font("Helvetica", "B", 9)
        pdf.cell(
            0,
            6,
            "Bukti log transparansi / Transparency-log proof (c2sp.org/tlog-proof)",
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
        pdf.set_font("Courier", size=5)
        pdf.multi_cell(0, 2.4, _latin1(view.proof_text.replace("\u2014", "--")), new_x=XPos.LMARGIN)
    if view.bundle_json:
        pdf.embed_file(
            bytes=view.bundle_json.encode(),
            basename=f"ajib-receipt-{view.handover_id}.json",
            desc="ajib-receipt/v1: check with `ajib verify-receipt` or /verify-offline",
        )
    return bytes(pdf.output())
