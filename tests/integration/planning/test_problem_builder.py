"""Database rows of an office-day -> routing.Problem: times, capacities, breaks, locks, on-board documents."""

from __future__ import annotations

from datetime import date

from dispatch.planning.problem_builder import CourierProgress, build_day_problem
from routing.problem import JobKind, TimeWindow
from routing.travel import HaversineTravel
from tests.factories.custody import hand_to_courier
from tests.factories.planning import make_courier, make_job, make_office, make_shift

MONDAY = date(2031, 3, 3)
FRIDAY = date(2031, 3, 7)
TRAVEL = HaversineTravel()


def test_pickup_and_delivery_jobs_map_to_home_and_office_tasks_in_wib_seconds(db_session):
    """A pickup job is home(window) -> office; a delivery job office -> home(window); windows are seconds from
    midnight WIB; amounts are (documents, box volume)."""
    office = make_office(db_session)
    courier = make_courier(db_session, office, docs=12, volume=30, skills=["heavy"], speed_factor=1.2)
    make_shift(db_session, courier, MONDAY, start=(7, 30), end=(16, 0))
    pickup = make_job(db_session, office, MONDAY, lat=-6.25, lon=106.80, window=(8, 10), documents=3, volume=2)
    delivery = make_job(
        db_session, office, MONDAY, kind="delivery", lat=-6.27, lon=106.82, window=(13, 15), service_s=240
    )

    dp = build_day_problem(session=db_session, office_id=office.id, day=MONDAY, travel=TRAVEL)
    p = dp.problem
    jobs = {j.id: j for j in p.jobs}
    pj, dj = jobs[str(pickup.id)], jobs[str(delivery.id)]

    assert pj.kind is JobKind.PICKUP
    assert pj.pickup.time_windows == (TimeWindow(8 * 3600, 10 * 3600),)
    assert pj.pickup.service == 300
    assert pj.delivery.location == dp.office_location and pj.delivery.time_windows == ()
    assert pj.amount == (3, 2)
    assert p.locations[pj.pickup.location].lat == -6.25

    assert dj.kind is JobKind.DELIVERY
    assert dj.pickup.location == dp.office_location
    assert dj.delivery.time_windows == (TimeWindow(13 * 3600, 15 * 3600),)
    assert dj.delivery.service == 240

    (v,) = p.vehicles
    assert v.id == str(courier.id)
    assert v.shift == TimeWindow(7 * 3600 + 1800, 16 * 3600)
    assert v.start == v.end == dp.office_location
    assert v.capacity == (12, 30)
    assert v.skills == frozenset({"heavy"})
    assert v.speed_factor == 1.2
    assert p.matrices["motorbike"].durations.shape == (3, 3)


def test_breaks_become_start_windows_including_friday_prayer(db_session):
    """A break must lie inside its window, so the engine's start window ends one duration earlier; on Friday the
    prayer break (60 min inside 11:30-13:00) is what the courier gets."""
    office = make_office(db_session)
    monday_courier = make_courier(db_session, office)
    friday_courier = make_courier(db_session, office)
    make_shift(db_session, monday_courier, MONDAY)
    make_shift(db_session, friday_courier, FRIDAY)

    monday = build_day_problem(session=db_session, office_id=office.id, day=MONDAY, travel=TRAVEL).problem
    (lunch,) = monday.vehicles[0].breaks
    assert lunch.id.startswith("lunch-")
    assert lunch.duration == 45 * 60
    assert lunch.windows == (TimeWindow(11 * 3600 + 1800, 13 * 3600 + 1800 - 45 * 60),)

    friday = build_day_problem(session=db_session, office_id=office.id, day=FRIDAY, travel=TRAVEL).problem
    (prayer,) = friday.vehicles[0].breaks
    assert prayer.id.startswith("friday_prayer-")
    assert prayer.duration == 3600
    assert prayer.windows == (TimeWindow(11 * 3600 + 1800, 12 * 3600),)


def test_unavailable_shifts_and_other_offices_are_left_out(db_session):
    """Only available shifts of the office's own active couriers become vehicles."""
    office, other = make_office(db_session), make_office(db_session)
    on_duty = make_courier(db_session, office)
    off_duty = make_courier(db_session, office)
    elsewhere = make_courier(db_session, other)
    make_shift(db_session, on_duty, MONDAY)
    make_shift(db_session, off_duty, MONDAY, available=False)
    make_shift(db_session, elsewhere, MONDAY)

    p = build_day_problem(session=db_session, office_id=office.id, day=MONDAY, travel=TRAVEL).problem
    assert [v.id for v in p.vehicles] == [str(on_duty.id)]


def test_locks_pin_jobs_and_a_lock_to_an_absent_courier_is_reported(db_session):
    """Job.locked_courier_id becomes Job.vehicle; locked to a courier without a shift, the job stays out with
    reason locked_vehicle (the engine would reject an unknown vehicle)."""
    office = make_office(db_session)
    a = make_courier(db_session, office)
    absent = make_courier(db_session, office)
    make_shift(db_session, a, MONDAY)
    pinned = make_job(db_session, office, MONDAY, lat=-6.25, lon=106.80, locked_courier_id=a.id)
    stranded = make_job(db_session, office, MONDAY, lat=-6.26, lon=106.81, locked_courier_id=absent.id)
    make_job(db_session, office, MONDAY, lat=-6.26, lon=106.81, status="cancelled")

    dp = build_day_problem(session=db_session, office_id=office.id, day=MONDAY, travel=TRAVEL)
    assert [(j.id, j.vehicle) for j in dp.problem.jobs] == [(str(pinned.id), str(a.id))]
    assert [(e.job.id, e.reason) for e in dp.excluded] == [(stranded.id, "locked_vehicle")]


def test_progress_moves_the_start_and_loads_documents_on_board(db_session):
    """Re-planning: the courier starts where they are when they are ready, a taken break is dropped, and picked-up
    documents become a single delivery to the office locked to the courier who holds them."""
    office = make_office(db_session)
    courier = make_courier(db_session, office)
    shift = make_shift(db_session, courier, MONDAY)
    carried = make_job(
        db_session,
        office,
        MONDAY,
        lat=-6.25,
        lon=106.80,
    )
    hand_to_courier(db_session, carried, courier.id)
    waiting = make_job(db_session, office, MONDAY, lat=-6.26, lon=106.81, window=(13, 15))
    lunch = shift.breaks[0]
    progress = {
        courier.id: CourierProgress(
            courier.id,
            -6.255,
            106.805,
            13 * 3600 + 600,
            taken_breaks=frozenset({lunch.id}),
        )
    }

    dp = build_day_problem(session=db_session, office_id=office.id, day=MONDAY, travel=TRAVEL, progress=progress)
    (v,) = dp.problem.vehicles
    assert dp.problem.locations[v.start].lat == -6.255
    assert v.shift.start == 13 * 3600 + 600
    assert v.breaks == ()
    jobs = {j.id: j for j in dp.problem.jobs}
    on_board = jobs[str(carried.id)]
    assert on_board.pickup is None and on_board.delivery.location == dp.office_location
    assert on_board.vehicle == str(courier.id)
    assert dp.onboard == {str(carried.id): str(courier.id)}
    assert jobs[str(waiting.id)].kind is JobKind.PICKUP
