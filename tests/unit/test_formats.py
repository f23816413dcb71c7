"""People read Indonesian formats by default and English ones in English, never a mix."""

from __future__ import annotations

from datetime import UTC, date, datetime

from dispatch import formats


def test_indonesian_and_english_formats() -> None:
    start = datetime(2026, 12, 7, 3, 0, tzinfo=UTC)  # 10.00 WIB
    end = datetime(2026, 12, 7, 5, 0, tzinfo=UTC)
    assert formats.appointment(date(2026, 12, 7), start, end) == "Senin, 7 Desember 2026, 10.00–12.00 WIB"
    assert formats.appointment(date(2026, 12, 7), start, end, "en") == "Monday, 7 December 2026, 10:00–12:00 WIB"
    assert formats.time_wib(datetime(2026, 12, 7, 6, 11, tzinfo=UTC)) == "13.11 WIB"
    assert formats.km(3) == "3,0 km" and formats.km(3, "en") == "3.0 km"
    assert formats.km(1234.56) == "1.234,6 km" and formats.km(1234.56, "en") == "1,234.6 km"
