"""Which office serves a point, and in which kelurahan it lies: the offices concept decides (``locate``).

A point outside Jakarta raises the offices concept's ``OutsideJakarta`` (422 ``outside_jakarta``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from dispatch.errors import InvalidInput
from dispatch.offices.service import locate

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


class NoServingOffice(InvalidInput):
    default_code = "no_serving_office"

    def __init__(self) -> None:
        super().__init__(
            "Belum ada kantor layanan AJIB untuk lokasi ini.", "No AJIB service office serves this location yet."
        )


@dataclass(frozen=True)
class Placement:
    office_id: int
    office_name: str
    kelurahan_code: str | None


def place(*, session: Session, lat: float, lon: float) -> Placement:
    found = locate(session=session, lat=lat, lon=lon)
    if found.office is None:
        raise NoServingOffice()
    return Placement(office_id=found.office.id, office_name=found.office.name, kelurahan_code=found.kelurahan.code)
