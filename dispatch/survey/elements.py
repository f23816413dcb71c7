"""The nine elements of the survey and the index arithmetic of Permenpan RB 14/2017. Pure: no database.

Each element is answered 1–4. The regulation's index: the average answer of each element (NRR per unsur),
weighted equally (bobot 1/9 each) and summed, is the IKM on 1–4; multiplied by 25 it is the *nilai interval
konversi* on 25–100, graded A–D. The regulation's worked example rounds the weight to 0.111; we keep 1/9 exactly
and round only the final value (to two decimals, half up), then grade that rounded value.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

# (column / API key, label id, label en), in the regulation's order (U1..U9)
ELEMENTS: tuple[tuple[str, str, str], ...] = (
    ("requirements", "Persyaratan", "Requirements"),
    ("procedure", "Sistem, mekanisme, dan prosedur", "Procedure"),
    ("time", "Waktu penyelesaian", "Completion time"),
    ("cost", "Biaya/tarif", "Cost/fee"),
    ("product", "Produk spesifikasi jenis pelayanan", "Service product"),
    ("competence", "Kompetensi pelaksana", "Staff competence"),
    ("conduct", "Perilaku pelaksana", "Staff conduct"),
    ("complaints", "Penanganan pengaduan, saran dan masukan", "Complaint handling"),
    ("facilities", "Sarana dan prasarana", "Facilities"),
)
KEYS: tuple[str, ...] = tuple(key for key, _, _ in ELEMENTS)
CONVERSION = Decimal(25)

# (lowest converted value, grade, performance id, performance en): the regulation's table
GRADES: tuple[tuple[Decimal, str, str, str], ...] = (
    (Decimal("88.31"), "A", "Sangat baik", "Very good"),
    (Decimal("76.61"), "B", "Baik", "Good"),
    (Decimal("65.00"), "C", "Kurang baik", "Fair"),
    (Decimal("25.00"), "D", "Tidak baik", "Poor"),
)


@dataclass(frozen=True)
class Index:
    """IKM of a group of answers: per-element averages (NRR), the index on 1–4 and 25–100, and its grade."""

    responses: int
    element_means: tuple[Decimal, ...]
    ikm: Decimal  # 1–4, four decimals (for reading against the regulation's NRR column)
    value: Decimal  # 25–100, two decimals
    grade: str
    label_id: str
    label_en: str


def grade_of(value: Decimal) -> tuple[str, str, str]:
    for floor, grade, label_id, label_en in GRADES:
        if value >= floor:
            return grade, label_id, label_en
    return GRADES[-1][1:]


def index_of(element_sums: Sequence[int], responses: int) -> Index | None:
    """From the sum of answers per element over ``responses`` complete answers (None when there are none)."""
    if responses <= 0:
        return None
    if len(element_sums) != len(KEYS):
        raise ValueError(f"{len(KEYS)} element sums expected")
    means = tuple(Decimal(total) / Decimal(responses) for total in element_sums)
    weighted = sum(means, Decimal(0)) / Decimal(len(KEYS))
    value = (weighted * CONVERSION).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    grade, label_id, label_en = grade_of(value)
    return Index(
        responses=responses,
        element_means=tuple(m.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP) for m in means),
        ikm=weighted.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP),
        value=value,
        grade=grade,
        label_id=label_id,
        label_en=label_en,
    )
