"""Database rows of one office-day -> a ``routing.Problem``, and the tables to map the answer back.

Times are seconds from midnight WIB of the service day (``dispatch.clock``). Ids in the problem are
the database ids as strings (job ``"123"``, vehicle = courier ``"45"``), so mapping back is ``int()``.

An AJIB pickup job is ``Job(PICKUP, pickup=Task(home, window), delivery=Task(office))``, a delivery
job ``Job(DELIVERY, pickup=Task(office), delivery=Task(home, window))``: every bundle passes through
the office as an ordinary task, so couriers may come back mid-day (multi-trip). Documents already on
a courier's motorbike (re-planning) become single-delivery jobs locked to that courier.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

import shapely.wkt
from geoalchemy2.elements import WKBElement
from geoalchemy2.shape import to_shape
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from dispatch.clock import seconds_since_day_start
from dispatch.couriers.models import Courier, Shift, ShiftBreak
from dispatch.jobs.models import Job as JobRow
from dispatch.offices.models import Office
from dispatch.planning.errors import OfficeNotFound
from dispatch.roads.travel import TravelNote, day_matrix, travel_for
from routing import Break, Job, JobKind, Location, Problem, Task, TimeWindow, TravelModel, Vehicle

__all__ = [
    "FINISHED_STATUSES",
    "OFFICE_HANDLING_S",
    "ON_BOARD_STATUSES",
    "OPEN_STATUSES",
    "CourierProgress",
    "DayProblem",
    "Excluded",
    "break_start_windows",
    "build_day_problem",
    "day_jobs",
    "day_shifts",
    "lat_lon",
    "travel_for",
]

# Handing one bundle to the office clerk (or taking one permit), signature included.
OFFICE_HANDLING_S = 120
# Jobs a plan must place: waiting for a plan, or on one not yet carried out.
OPEN_STATUSES = ("booked", "planned")
# Documents with a courier (re-planning only): they stay with that courier.
ON_BOARD_STATUSES = ("picked_up", "out_for_delivery")
FINISHED_STATUSES = ("at_office", "delivered")


def lat_lon(geom) -> tuple[float, float]:
    """(lat, lon) of a PostGIS point, whether loaded (WKB) or freshly assigned (WKT element or EWKT text).

    A loaded point is read from its bytes directly: through shapely it was a quarter of the live board's
    server CPU (a few hundred stops, docs/robustness.md). Anything else goes through shapely as before."""
    if isinstance(geom, WKBElement):
        data = geom.data
        point = wkb_point(bytes.fromhex(data) if isinstance(data, str) else bytes(data))
        if point is not None:
            return point
    p = shapely.wkt.loads(geom.split(";", 1)[-1]) if isinstance(geom, str) else to_shape(geom)
    return float(p.y), float(p.x)


_SRID_FLAG = 0x20000000


def wkb_point(data: bytes) -> tuple[float, float] | None:
    """(lat, lon) of a 2-D point in WKB or PostGIS's EWKB (with an SRID), either byte order; None otherwise."""
    if len(data) not in (21, 25) or data[0] not in (0, 1):
        return None
    order = "<" if data[0] == 1 else ">"
    (kind,) = struct.unpack_from(order + "I", data, 1)
    with_srid = bool(kind & _SRID_FLAG)
    if kind & ~_SRID_FLAG != 1 or with_srid != (len(data) == 25):
        return None
    lon, lat = struct.unpack_from(order + "dd", data, 9 if with_srid else 5)
    return float(lat), float(lon)


@dataclass(frozen=True)
class CourierProgress:
    """Where a courier stands mid-day: new work starts at (``lat``, ``lon``) at ``ready_s``.

    ``taken_breaks`` are ShiftBreak ids already taken.
    """

    courier_id: int
    lat: float
    lon: float
    ready_s: int
    taken_breaks: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Excluded:
    """A job of the day kept out of the problem, with the reason the plan will show."""

    job: JobRow
    reason: str
    detail: str


@dataclass
class DayProblem:
    problem: Problem
    day: date
    office: Office
    jobs: dict[str, JobRow]  # problem job id -> row
    couriers: dict[str, Courier]  # vehicle id -> row
    shifts: dict[str, Shift]  # vehicle id -> shift
    onboard: dict[str, str] = field(default_factory=dict)  # job id -> vehicle id carrying it
    excluded: list[Excluded] = field(default_factory=list)
    breaks: dict[str, ShiftBreak] = field(default_factory=dict)  # problem break id -> row
    office_location: int = 0
    travel: TravelNote | None = None  # which model made the matrix (plans record it, the board shows it)
    model: TravelModel | None = None  # the model itself: it also draws the routes' lines

    def coords(self, location: int) -> tuple[float, float]:
        loc = self.problem.locations[location]
        return float(loc.lat), float(loc.lon)  # type: ignore[arg-type]


def break_start_windows(brk: ShiftBreak, day: date, not_before: int | None = None) -> tuple[TimeWindow, ...]:
    """A ShiftBreak's windows hold the whole break; the engine wants windows of its *start*."""
    out = []
    for w in brk.windows:
        start = seconds_since_day_start(day, w.start_at)
        end = seconds_since_day_start(day, w.end_at) - brk.duration_s
        if not_before is not None:
            start = max(start, not_before)
        if end >= start:
            out.append(TimeWindow(start, end))
    return tuple(out)


def day_shifts(session: Session, office_id: int, day: date, *, include_unavailable: bool = False) -> list[Shift]:
    """Available shifts of the office's active couriers on ``day`` (all shifts with ``include_unavailable``)."""
    available = Shift.available.is_(True) if not include_unavailable else Shift.available.is_not(None)
    return list(
        session.scalars(
            select(Shift)
            .join(Courier, Courier.id == Shift.courier_id)
            .where(
                Courier.office_id == office_id,
                Courier.is_active.is_(True),
                Shift.service_date == day,
                available,
            )
            .options(selectinload(Shift.courier), selectinload(Shift.breaks).selectinload(ShiftBreak.windows))
            .order_by(Shift.courier_id)
        )
    )


def day_jobs(session: Session, office_id: int, day: date, statuses: Iterable[str]) -> list[JobRow]:
    return list(
        session.scalars(
            select(JobRow)
            .where(JobRow.office_id == office_id, JobRow.service_date == day, JobRow.status.in_(tuple(statuses)))
            .order_by(JobRow.id)
        )
    )


def build_day_problem(
    *,
    session: Session,
    office_id: int,
    day: date,
    travel: TravelModel,
    progress: dict[int, CourierProgress] | None = None,
    history: Iterable[int] | None = None,
    job_ids: Sequence[int] | None = None,
    extra: Sequence[tuple[str, float, float]] = (),
) -> DayProblem:
    """Build the problem of an office-day.

    Three shapes of the same day:

    * default: every open job, every available shift, couriers leaving the office at shift start;
    * ``progress`` (editing a partly done plan): each listed courier starts where and when the plan
      says they are, without the breaks already taken, and documents they carry become single
      deliveries locked to them;
    * ``history`` (input of ``routing.replan``): the whole day as first planned — couriers whose shift
      was marked unavailable included (the engine keeps their done stops), documents on board as
      ordinary two-ended jobs, plus the finished jobs named in ``history`` (they sit in the kept
      prefixes); the engine derives the rest of the day itself.

    ``job_ids`` restricts the jobs; ``extra`` appends named points to the locations (couriers'
    positions, a slot check's candidate home).
    """
    office = session.get(Office, office_id)
    if office is None:
        raise OfficeNotFound(office_id)
    progress = progress or {}
    finished = set(history) if history is not None else set()
    locations = [Location("office", *lat_lon(office.location))]

    vehicles: list[Vehicle] = []
    couriers: dict[str, Courier] = {}
    shifts: dict[str, Shift] = {}
    breaks_by_id: dict[str, ShiftBreak] = {}
    for shift in day_shifts(session, office_id, day, include_unavailable=history is not None):
        vid = str(shift.courier_id)
        start_s = seconds_since_day_start(day, shift.start_at)
        end_s = seconds_since_day_start(day, shift.end_at)
        start_loc = 0
        taken: frozenset[int] = frozenset()
        prog = progress.get(shift.courier_id)
        if prog is not None:
            start_s = max(start_s, prog.ready_s)
            if start_s >= end_s:
                continue  # the shift is over: nothing new for this courier
            locations.append(Location(f"courier:{shift.courier_id}", prog.lat, prog.lon))
            start_loc = len(locations) - 1
            taken = prog.taken_breaks
        brks = []
        for b in shift.breaks:
            if b.id in taken:
                continue
            windows = break_start_windows(b, day, not_before=start_s if prog is not None else None)
            if not windows:
                continue  # missed or outside what is left of the shift: cannot be planned any more
            bid = f"{b.kind}-{b.id}"
            breaks_by_id[bid] = b
            brks.append(Break(bid, windows, b.duration_s))
        c = shift.courier
        vehicles.append(
            Vehicle(
                id=vid,
                start=start_loc,
                end=0,
                shift=TimeWindow(start_s, end_s),
                capacity=(c.box_capacity_docs, c.box_capacity_volume),
                breaks=tuple(brks),
                skills=frozenset(c.skills or ()),
                speed_factor=float(c.speed_factor),
            )
        )
        couriers[vid] = c
        shifts[vid] = shift

    statuses = OPEN_STATUSES + (ON_BOARD_STATUSES if progress or history is not None else ())
    rows = day_jobs(session, office_id, day, statuses)
    if finished:
        rows += [r for r in day_jobs(session, office_id, day, FINISHED_STATUSES) if r.id in finished]
        rows.sort(key=lambda r: r.id)
    if job_ids is not None:
        wanted = set(job_ids)
        rows = [r for r in rows if r.id in wanted]
    jobs: list[Job] = []
    job_rows: dict[str, JobRow] = {}
    onboard: dict[str, str] = {}
    excluded: list[Excluded] = []
    for row in rows:
        jid = str(row.id)
        carried = row.custody_party == "courier" and history is None
        if carried:
            holder = str(row.custody_courier_id)
            if holder not in couriers:
                excluded.append(
                    Excluded(row, "courier_unavailable", f"documents are with courier {holder}, who has no time left")
                )
                continue
        lock = str(row.locked_courier_id) if row.locked_courier_id is not None else None
        if row.custody_party == "courier" and history is not None and str(row.custody_courier_id) not in couriers:
            excluded.append(
                Excluded(
                    row,
                    "courier_unavailable",
                    f"documents are with courier {row.custody_courier_id}, who has no shift today",
                )
            )
            continue
        if lock is not None and lock not in couriers and not carried:
            excluded.append(
                Excluded(row, "locked_vehicle", f"locked to courier {lock}, who is not available on this day")
            )
            continue
        locations.append(Location(f"job:{row.id}", *lat_lon(row.location)))
        home = Task(
            len(locations) - 1,
            (TimeWindow(seconds_since_day_start(day, row.window_start), seconds_since_day_start(day, row.window_end)),),
            row.service_s,
        )
        at_office = Task(0, (), OFFICE_HANDLING_S)
        amount = (row.documents_count, row.box_volume)
        skills, priority = frozenset(row.skills or ()), row.priority
        if carried:
            # On the motorbike already: only the remaining end is left, on the courier who holds it.
            rest = at_office if row.kind == "pickup" else home
            jobs.append(Job(jid, JobKind.DELIVERY, None, rest, amount, skills, priority, vehicle=holder))
            onboard[jid] = holder
        elif row.kind == "pickup":
            jobs.append(Job(jid, JobKind.PICKUP, home, at_office, amount, skills, priority, vehicle=lock))
        else:
            jobs.append(Job(jid, JobKind.DELIVERY, at_office, home, amount, skills, priority, vehicle=lock))
        job_rows[jid] = row

    for name, lat, lon in extra:
        locations.append(Location(name, lat, lon))
    # couriers' positions and extra points change call to call: they are not kept in the office-day's matrix
    passing = [
        i for i, loc in enumerate(locations) if loc.id.startswith("courier:") or i >= len(locations) - len(extra)
    ]
    matrix, note = day_matrix(travel, locations, scope=(office_id, day), transient=passing)
    problem = Problem(tuple(locations), tuple(vehicles), tuple(jobs), {"motorbike": matrix})
    return DayProblem(
        problem=problem,
        day=day,
        office=office,
        jobs=job_rows,
        couriers=couriers,
        shifts=shifts,
        onboard=onboard,
        excluded=excluded,
        breaks=breaks_by_id,
        travel=note,
        model=travel,
    )
