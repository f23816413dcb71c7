"""The satisfaction index (IKM) of Permenpan RB 14/2017 against a hand-computed example and the grade bounds."""

from __future__ import annotations

from decimal import Decimal

import pytest

from dispatch.survey.elements import KEYS, grade_of, index_of

# Four respondents, nine elements each (U1..U9), worked out by hand:
ANSWERS = [
    (4, 4, 4, 4, 4, 4, 4, 4, 4),
    (3, 3, 3, 4, 3, 3, 4, 2, 3),
    (2, 3, 3, 4, 3, 3, 3, 2, 3),
    (4, 3, 2, 4, 3, 4, 4, 3, 3),
]
# element sums 13 13 12 16 13 14 15 11 13; NRR = sum / 4 = 3.25 3.25 3.00 4.00 3.25 3.50 3.75 2.75 3.25;
# their sum 30.00; weighted (1/9 each) = 3.3333; x 25 = 83.33 -> B (76.61-88.30), "Baik"


def test_hand_computed_example() -> None:
    sums = [sum(row[i] for row in ANSWERS) for i in range(len(KEYS))]
    assert sums == [13, 13, 12, 16, 13, 14, 15, 11, 13]
    index = index_of(sums, len(ANSWERS))
    assert index is not None
    assert [str(m) for m in index.element_means] == [
        "3.2500", "3.2500", "3.0000", "4.0000", "3.2500", "3.5000", "3.7500", "2.7500", "3.2500",
    ]  # fmt: skip
    assert index.ikm == Decimal("3.3333")
    assert index.value == Decimal("83.33")
    assert (index.grade, index.label_id, index.label_en) == ("B", "Baik", "Good")


def test_extremes_and_no_answers() -> None:
    assert index_of([4] * 9, 1).value == Decimal("100.00") and index_of([4] * 9, 1).grade == "A"
    assert index_of([1] * 9, 1).value == Decimal("25.00") and index_of([1] * 9, 1).grade == "D"
    assert index_of([0] * 9, 0) is None
    with pytest.raises(ValueError):
        index_of([4] * 8, 1)


@pytest.mark.parametrize(
    ("value", "grade"),
    [("100", "A"), ("88.31", "A"), ("88.30", "B"), ("76.61", "B"), ("76.60", "C"), ("65.00", "C"), ("64.99", "D"),
     ("25.00", "D")],
)  # fmt: skip
def test_grade_bounds_of_the_regulation(value: str, grade: str) -> None:
    assert grade_of(Decimal(value))[0] == grade


def test_rounding_happens_once_at_the_end() -> None:
    """Sums that average to 3.5324 (the regulation's lowest A on 1-4) give 88.31, an A: no early rounding."""
    # 10,000 respondents: element sums chosen so the weighted mean is exactly 3.5324
    index = index_of([35324] * 9, 10000)
    assert index.ikm == Decimal("3.5324") and index.value == Decimal("88.31") and index.grade == "A"
    index = index_of([35320] * 9, 10000)  # 3.5320 x 25 = 88.30: B
    assert index.value == Decimal("88.30") and index.grade == "B"
