"""Default break rules for a shift (pure, no database): lunch, Friday prayer, long-shift rest."""

from __future__ import annotations

from datetime import date, time

import pytest

from dispatch.couriers.breaks import BreakSpec, default_breaks

MONDAY, FRIDAY = date(2031, 6, 2), date(2031, 5, 30)


@pytest.mark.parametrize(
    ("day", "start", "end", "prayer", "expected"),
    [
        (MONDAY, time(8), time(17), True, [BreakSpec("lunch", 2700, ((time(11, 30), time(13, 30)),))]),
        (FRIDAY, time(8), time(17), True, [BreakSpec("friday_prayer", 4500, ((time(11, 30), time(13, 15)),))]),
        (FRIDAY, time(8), time(17), False, [BreakSpec("lunch", 2700, ((time(11, 30), time(13, 30)),))]),
        # the lunch window is clipped to the shift, and skipped when under 45 minutes remain
        (MONDAY, time(7), time(12, 15), True, [BreakSpec("lunch", 2700, ((time(11, 30), time(12, 15)),))]),
        (MONDAY, time(7), time(12), True, []),
        # a long afternoon shift gets a 30-minute rest around its middle
        (MONDAY, time(13, 15), time(21), True, [BreakSpec("other", 1800, ((time(16, 7), time(18, 7)),))]),
        # Friday shift that misses the prayer window: ordinary rules
        (FRIDAY, time(12), time(17), True, [BreakSpec("lunch", 2700, ((time(12), time(13, 30)),))]),
    ],
)
def test_default_breaks(day, start, end, prayer, expected) -> None:
    """Each shift shape gets the breaks docs/reference-data.md describes."""
    assert list(default_breaks(day, start, end, friday_prayer=prayer)) == expected
