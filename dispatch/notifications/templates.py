"""Message texts in Bahasa Indonesia (default) and English, short enough for one or two SMS.

Texts stay in the GSM-7 alphabet (no en dash, no curly quotes) so an SMS segment holds 160 characters.
They never contain the tracking secret: the outbox is readable by staff, and the secret is stored
nowhere in clear (the applicant got it, in the link's fragment, when booking).
"""

from __future__ import annotations

from datetime import date, datetime
from string import Formatter
from typing import Any

from dispatch import formats

TEMPLATES: dict[str, dict[str, str]] = {
    "booking_confirmed": {
        "id": "AJIB: {kind_id} dijadwalkan {date_id}, pukul {window} WIB. Kode lacak {code}. "
        "Lacak dengan kode + 4 digit terakhir HP ini: {track_url}",
        "en": "AJIB: {kind_en} booked for {date_en}, {window} WIB. Tracking code {code}. "
        "Track with the code + last 4 digits of this phone: {track_url}",
    },
    "courier_on_the_way": {
        "id": "AJIB {code}: Kurir {courier_name} sedang menuju alamat Anda, perkiraan tiba pukul {eta} WIB. "
        "{prepare_id} Lacak: {track_url}",
        "en": "AJIB {code}: Courier {courier_name} is on the way to you, expected at {eta} WIB. {prepare_en} "
        "Track: {track_url}",
    },
    "handed_over": {
        "id": "AJIB {code}: {event_id} pada {time} WIB (penerima: {recipient}). Bukti serah terima: {receipt_url} "
        "Lacak: {track_url}",
        "en": "AJIB {code}: {event_en} at {time} WIB (received by: {recipient}). Handover receipt: {receipt_url} "
        "Track: {track_url}",
    },
    # the handover that completes the service (permit delivered, documents at the office): the survey link
    "service_completed": {
        "id": "AJIB {code}: {event_id} pada {time} WIB (penerima: {recipient}). Bukti: {receipt_url} "
        "Mohon nilai layanan kami (1 menit): {survey_url}",
        "en": "AJIB {code}: {event_en} at {time} WIB (received by: {recipient}). Receipt: {receipt_url} "
        "Please rate our service (1 minute): {survey_url}",
    },
    "failed_attempt": {
        "id": "AJIB {code}: Kurir tidak berhasil {action_id} ({reason_id}). Silakan pesan ulang jadwal di "
        "{track_url} atau hubungi kantor layanan.",
        "en": "AJIB {code}: The courier could not {action_en} ({reason_en}). Please rebook at {track_url} "
        "or contact the service office.",
    },
    "permit_ready": {
        "id": "AJIB: Izin untuk permohonan {application_number} sudah terbit. Pesan pengantaran ke rumah di "
        "{booking_url}",
        "en": "AJIB: The permit for application {application_number} has been issued. Book a home delivery at "
        "{booking_url}",
    },
    "booking_cancelled": {
        "id": "AJIB {code}: Pemesanan untuk {date_id} pukul {window} WIB telah dibatalkan. {track_url}",
        "en": "AJIB {code}: Your booking for {date_en}, {window} WIB has been cancelled. {track_url}",
    },
}

KIND_LABELS = {
    "pickup": ("Penjemputan dokumen", "Document pickup"),
    "delivery": ("Pengantaran izin", "Permit delivery"),
}
PREPARE = {
    "pickup": ("Mohon siapkan dokumen dan KTP.", "Please have the documents and your ID card ready."),
    "delivery": ("Mohon siapkan KTP untuk menerima izin.", "Please have your ID card ready to receive the permit."),
}
ACTIONS = {
    "pickup": ("mengambil dokumen", "collect the documents"),
    "delivery": ("mengantar izin", "deliver the permit"),
}
ATTEMPT_REASONS = {
    "not_home": ("tidak ada di rumah", "nobody at home"),
    "wrong_address": ("alamat tidak ditemukan", "address not found"),
    "documents_incomplete": ("dokumen tidak lengkap", "documents incomplete"),
    "refused": ("ditolak", "refused"),
    "other": ("alasan lain", "other reason"),
}
# (job kind, to_party) -> what happened, for the "handed over" message and the tracking timeline
HANDOVER_EVENTS = {
    ("pickup", "courier"): ("Dokumen Anda telah diambil kurir", "Your documents were collected by the courier"),
    ("pickup", "office"): ("Dokumen Anda telah diterima kantor", "Your documents were received at the office"),
    ("delivery", "courier"): ("Izin Anda dibawa kurir dari kantor", "Your permit left the office with the courier"),
    ("delivery", "applicant"): ("Izin telah diserahkan", "The permit was handed over"),
    ("delivery", "office"): ("Izin dikembalikan ke kantor", "The permit was returned to the office"),
}


def date_id(day: date) -> str:
    return formats.long_date(day, "id")


def date_en(day: date) -> str:
    return formats.long_date(day, "en")


def clock(moment: datetime) -> str:
    """08.30: the Indonesian way to write a time, in WIB."""
    return formats.clock(moment, "id")


def window_label(start: datetime, end: datetime, dash: str = "-") -> str:
    return formats.window(start, end, "id", dash)


def fields(template: str) -> set[str]:
    return {
        name for text in TEMPLATES[template].values() for _, name, _, _ in Formatter().parse(text) if name is not None
    }


def render(template: str, language: str, context: dict[str, Any]) -> str:
    """The text of ``template`` in ``language`` ('id' unless 'en'); a missing field is a programming error."""
    texts = TEMPLATES[template]
    return texts["en" if language == "en" else "id"].format(**context)
