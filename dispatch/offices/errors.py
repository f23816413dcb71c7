"""Errors of the offices concept: where a point is, which office serves it, the kelurahan gazetteer."""

from __future__ import annotations

from typing import Any

from dispatch import formats
from dispatch.errors import InvalidInput, NotFound


class OutsideJakarta(InvalidInput):
    """The point is in no kelurahan of DKI Jakarta (the sea, a lake, Bogor, Depok, Tangerang, Bekasi)."""

    default_code = "outside_jakarta"

    def __init__(self, lat: float, lon: float, nearest: dict[str, Any] | None = None) -> None:
        hint_id = hint_en = ""
        if nearest:
            km = nearest["distance_m"] / 1000
            hint_id = f" Kelurahan terdekat: {nearest['name']} ({formats.km(km, 'id')})."
            hint_en = f" Nearest kelurahan: {nearest['name']} ({formats.km(km, 'en')})."
        super().__init__(
            "Lokasi berada di luar wilayah layanan DKI Jakarta (atau di laut/danau). Periksa titik di peta." + hint_id,
            "The location is outside the DKI Jakarta service area (or in the sea or a lake). Check the pin." + hint_en,
            details={"lat": lat, "lon": lon, "nearest_kelurahan": nearest},
        )


class InvalidCoordinates(InvalidInput):
    default_code = "invalid_coordinates"

    def __init__(self, lat: float, lon: float) -> None:
        swapped = -90 <= lon <= 90 and not -90 <= lat <= 90
        hint_id = " Apakah lat dan lon tertukar?" if swapped else ""
        hint_en = " Were lat and lon swapped?" if swapped else ""
        super().__init__(
            f"Koordinat tidak valid: lat={lat}, lon={lon}.{hint_id}",
            f"Invalid coordinates: lat={lat}, lon={lon}.{hint_en}",
            details={"lat": lat, "lon": lon},
        )


class OfficeNotFound(NotFound):
    default_code = "office_not_found"

    def __init__(self, office: int | str) -> None:
        super().__init__(f"Kantor {office} tidak ditemukan.", f"Office {office} not found.", details={"office": office})


class UnknownOffice(InvalidInput):
    """A request body names an office that does not exist (422, unlike a missing URL resource)."""

    default_code = "unknown_office"

    def __init__(self, office_id: int) -> None:
        super().__init__(
            f"Kantor dengan id {office_id} tidak ada.",
            f"There is no office with id {office_id}.",
            details={"office_id": office_id},
        )


class KelurahanNotFound(NotFound):
    default_code = "kelurahan_not_found"

    def __init__(self, code: str) -> None:
        super().__init__(
            f"Kelurahan dengan kode {code} tidak ditemukan.",
            f"No kelurahan with code {code}.",
            details={"code": code},
        )


class SearchTooShort(InvalidInput):
    default_code = "search_too_short"

    def __init__(self, minimum: int) -> None:
        super().__init__(
            f"Ketik minimal {minimum} huruf nama kelurahan.",
            f"Type at least {minimum} letters of the kelurahan name.",
            details={"minimum": minimum},
        )


class OfficeIdRequired(InvalidInput):
    """An administrator acts for no office of their own, so the request must name one."""

    default_code = "office_id_required"

    def __init__(self) -> None:
        super().__init__("Sebutkan kantornya (office_id).", "Name the office (office_id).")
