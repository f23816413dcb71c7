"""Normalising what people type for a courier: phone numbers, number plates, skills, capacities."""

from __future__ import annotations

import math
import re

from dispatch.couriers.errors import InvalidCourier

SKILL_RE = re.compile(r"^[a-z][a-z0-9_]{1,31}$")
PLATE_RE = re.compile(r"^([A-Z]{1,2})\s*(\d{1,4})\s*([A-Z]{0,3})$")
MOBILE_RE = re.compile(r"^\+628\d{7,11}$")


def normalise_phone(text: str) -> str:
    """``0812-3456-7890``, ``62812...`` or ``+62 812 ...`` -> ``+628123456789`` (Indonesian mobiles only)."""
    compact = re.sub(r"[\s\-().]", "", text)
    if compact.startswith("08"):
        compact = "+62" + compact[1:]
    elif compact.startswith("628"):
        compact = "+" + compact
    if not MOBILE_RE.match(compact):
        raise InvalidCourier(
            "invalid_phone",
            f"Nomor HP tidak valid: {text!r} (contoh: 0812-3456-7890).",
            f"Invalid mobile number: {text!r} (e.g. 0812-3456-7890).",
            phone=text,
        )
    return compact


def normalise_plate(text: str) -> str:
    """``b1234xyz`` -> ``B 1234 XYZ``: the way plates are printed and read at the office gate."""
    match = PLATE_RE.match(text.strip().upper())
    if not match:
        raise InvalidCourier(
            "invalid_plate",
            f"Nomor polisi tidak valid: {text!r} (contoh: B 1234 XYZ).",
            f"Invalid number plate: {text!r} (e.g. B 1234 XYZ).",
            vehicle_plate=text,
        )
    return " ".join(part for part in match.groups() if part)


def normalise_skills(skills: list[str] | tuple[str, ...]) -> list[str]:
    """Lower-case tags, sorted and unique, so a job's required skill matches a courier's exactly."""
    result = sorted({s.strip().lower() for s in skills if s.strip()})
    bad = [s for s in result if not SKILL_RE.match(s)]
    if bad:
        raise InvalidCourier(
            "invalid_skill",
            f"Keahlian tidak valid: {', '.join(bad)} (huruf kecil, angka, garis bawah).",
            f"Invalid skill: {', '.join(bad)} (lower-case letters, digits, underscore).",
            skills=bad,
        )
    return result


def check_capacity(docs: int, volume: int) -> None:
    for field, value in (("box_capacity_docs", docs), ("box_capacity_volume", volume)):
        if value < 0:
            raise InvalidCourier(
                "invalid_capacity",
                f"Kapasitas boks tidak boleh negatif ({field}={value}).",
                f"Box capacity cannot be negative ({field}={value}).",
                field=field,
                value=value,
            )


def check_speed_factor(value: float) -> None:
    if not math.isfinite(value) or not 0.2 <= value <= 5:
        raise InvalidCourier(
            "invalid_speed_factor",
            f"Faktor kecepatan harus antara 0,2 dan 5 (diberikan {value}).",
            f"Speed factor must be between 0.2 and 5 (got {value}).",
            speed_factor=value,
        )


def check_name(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise InvalidCourier("invalid_name", "Nama kurir wajib diisi.", "The courier's name is required.")
    return name
