"""The breaks a courier's shift contains by default: lunch, and Friday prayer for those who go to Jumatan.

A break is ``duration`` to be taken *entirely inside* one of its windows (wall-clock WIB); the planner
chooses when. Decisions (docs/reference-data.md, "Shifts and breaks"):

- Lunch: 45 minutes inside 11:30–13:30, clipped to the shift; skipped when less than 45 minutes remain.
- Friday prayer: on Fridays, for couriers who attend Jumatan, one ``friday_prayer`` break of 75 minutes
  inside 11:30–13:15 (getting to a mosque, khutbah and salat, and a meal afterwards). It *replaces* the
  lunch break that day rather than adding a second stop, so the courier is not taken off the road twice.
- A shift longer than 6 hours that does not reach the lunch window gets a 30-minute rest (``other``)
  around its middle (UU 13/2003 Pasal 79: at least 30 minutes after 4 hours of work).
Who attends Friday prayer is a courier's own choice, recorded per shift (no religion or gender is stored).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time, timedelta

FRIDAY = 4
LUNCH_WINDOW = (time(11, 30), time(13, 30))
LUNCH_S = 45 * 60
PRAYER_WINDOW = (time(11, 30), time(13, 15))
PRAYER_S = 75 * 60
REST_S = 30 * 60
LONG_SHIFT = timedelta(hours=6)


@dataclass(frozen=True)
class BreakSpec:
    kind: str
    duration_s: int
    windows: tuple[tuple[time, time], ...]


def _minutes(t: time) -> int:
    return t.hour * 60 + t.minute


def _time(minutes: int) -> time:
    return time(minutes // 60, minutes % 60)


def is_friday(day: date) -> bool:
    return day.weekday() == FRIDAY


def default_breaks(day: date, start: time, end: time, *, friday_prayer: bool) -> tuple[BreakSpec, ...]:
    """The breaks a shift from ``start`` to ``end`` (WIB, same day) gets when none are given."""
    s, e = _minutes(start), _minutes(end)
    if is_friday(day) and friday_prayer and s <= _minutes(PRAYER_WINDOW[0]) and _minutes(PRAYER_WINDOW[1]) <= e:
        return (BreakSpec("friday_prayer", PRAYER_S, (PRAYER_WINDOW,)),)
    lo, hi = max(s, _minutes(LUNCH_WINDOW[0])), min(e, _minutes(LUNCH_WINDOW[1]))
    if hi - lo >= LUNCH_S // 60:
        return (BreakSpec("lunch", LUNCH_S, ((_time(lo), _time(hi)),)),)
    if timedelta(minutes=e - s) > LONG_SHIFT:
        mid = (s + e) // 2
        return (BreakSpec("other", REST_S, ((_time(mid - 60), _time(mid + 60)),)),)
    return ()
