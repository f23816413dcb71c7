"""A whole AJIB day over real HTTP against the live server: applicants book through the offered windows, the
dispatcher plans and publishes, couriers fetch their routes and hand documents over with proof, a clerk receives
them at the office, applicants track, a failed visit is rebooked, and a courier dropping out is re-planned."""

from __future__ import annotations

import random
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy.orm import Session

from dispatch.clock import at_local
from dispatch.offices.models import Office
from dispatch.users.models import User
from tests.factories.custody import jpeg_bytes, png_signature
from tests.factories.day import make_office_day
from tests.factories.jobs import next_bookable_day
from tests.factories.planning import OFFICE_LAT, OFFICE_LON, PASSWORD, make_courier, make_shift, make_user

JOBS = 30
HOME = ("pickup", "delivery")
SHIFTS = [((8, 0), (12, 30)), ((8, 0), (12, 30)), ((12, 30), (17, 0)), ((12, 30), (17, 0))]


def login(http: httpx.Client, username: str) -> dict[str, str]:
    r = http.post("/api/auth/token", json={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def run_to_done(http: httpx.Client, response: httpx.Response, headers: dict[str, str]) -> dict[str, Any]:
    """A 202 solve run polled through its status URL until it ends; the run must end `done`."""
    assert response.status_code == 202, response.text
    deadline = time.monotonic() + 90
    while True:
        run = http.get(response.headers["Location"], headers=headers).json()
        if run["status"] in ("done", "failed") or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert run["status"] == "done", run
    return run


def book(http: httpx.Client, day, lat: float, lon: float, kind: str, office_id: int, prefer: int) -> dict | None:
    """Book ``kind`` at (lat, lon) in a window `GET /api/slots` offers (preferring window ``prefer``); None when
    the point belongs to another office or nothing is offered there."""
    slots = http.get("/api/slots", params={"date": day.isoformat(), "lat": lat, "lon": lon, "kind": kind})
    if slots.status_code != 200 or slots.json()["office"]["id"] != office_id:
        return None
    windows = slots.json()["windows"]
    offered = [w for w in windows[prefer:] + windows[:prefer] if w["available"]]
    if not offered:
        return None
    body = {
        "kind": kind,
        "application_number": f"WHOLEDAY/{uuid.uuid4().hex[:12].upper()}",
        "applicant_name": f"Pemohon {uuid.uuid4().hex[:6]}",
        "phone": f"0812{uuid.uuid4().int % 10**8:08d}",  # at most 3 bookings a day per number
        "nik_last4": "4321",
        "address_text": "Jl. Uji Sehari No. 5, Jakarta Selatan",
        "rt_rw": "002/003",
        "lat": lat,
        "lon": lon,
        "date": day.isoformat(),
        "window_start": offered[0]["start"],
        "documents": [{"name": "Formulir permohonan" if kind == "pickup" else "Izin PBG", "copies": 1}],
    }
    r = http.post("/api/bookings", json=body, headers={"Idempotency-Key": f"book-{uuid.uuid4().hex}"})
    assert r.status_code == 201, r.text
    booked = r.json()
    assert booked["status"] == "booked" and booked["office"]["id"] == office_id
    assert booked["window"]["start"] == offered[0]["start"]
    return booked


def handover(
    http: httpx.Client,
    headers: dict[str, str],
    job_id: int,
    from_party: str,
    to_party: str,
    at: tuple[float, float],
    stop_id: int | None = None,
    seed: int = 0,
) -> dict[str, Any]:
    """One handover with a PNG signature, a JPEG photo and an Idempotency-Key; a retry replays the same answer."""
    form = {
        "job_id": str(job_id),
        "from_party": from_party,
        "to_party": to_party,
        "recipient_name": "Penerima Uji",
        "device_time": datetime.now(UTC).isoformat(),
        "lat": str(at[0]),
        "lon": str(at[1]),
        "accuracy_m": "8",
    }
    if stop_id is not None:
        form["stop_id"] = str(stop_id)
    files = [
        ("signature", ("ttd.png", png_signature(seed=seed), "image/png")),
        ("photos", ("foto.jpg", jpeg_bytes(seed=seed), "image/jpeg")),
    ]
    key = {"Idempotency-Key": f"ho-{uuid.uuid4().hex}"}
    r = http.post("/api/handovers", data=form, files=files, headers={**headers, **key})
    assert r.status_code == 201, r.text
    again = http.post("/api/handovers", data=form, files=files, headers={**headers, **key})
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["handover_id"] == r.json()["handover_id"]
    return r.json()


def track(http: httpx.Client, booked: dict[str, Any]) -> dict[str, Any]:
    r = http.get(f"/api/track/{booked['tracking_code']}", headers={"X-Tracking-Secret": booked["secret"]})
    assert r.status_code == 200, r.text
    return r.json()


def done_stops(route: dict[str, Any]) -> list[tuple[str, int | None]]:
    return [(s["kind"], s["job_id"]) for s in sorted(route["stops"], key=lambda s: s["seq"]) if s["status"] == "done"]


def test_a_whole_day_over_real_http(live_server, engine):
    """A day end to end over the network: 30 bookings only in offered windows; plan (202, polled to done) and
    publish; couriers fetch their own routes; a pickup goes applicant→courier→office and a delivery
    office→courier→applicant with signature, photo and Idempotency-Key, and the applicants see each step when
    tracking; both custody chains verify; a failed visit is rebooked as a new job; a courier who drops out gets no
    new stops in the re-plan, whose draft keeps the completed stops done and in their order."""
    day = next_bookable_day()
    rng = random.Random(20310)
    with httpx.Client(base_url=live_server.base_url, timeout=60) as http:
        probe = http.get("/api/slots", params={"date": day.isoformat(), "lat": OFFICE_LAT, "lon": OFFICE_LON})
        assert probe.status_code == 200, probe.text
        office_id = probe.json()["office"]["id"]  # the reference office serving the test office point

        with Session(engine) as session:  # committed: couriers on shift for that office and day, a clerk
            office = session.get(Office, office_id)
            od = make_office_day(session, day, couriers=0, jobs=0, office=office)
            for start, end in SHIFTS:  # morning and afternoon couriers, so the day needs more than one
                courier = make_courier(session, office, docs=40)
                make_shift(session, courier, day, start=start, end=end, lunch=False, friday_prayer=False)
                od.couriers.append(courier)
            clerk = make_user(session, role="clerk", office_id=office_id)
            session.commit()
            usernames = {c.id: session.get(User, c.user_id).username for c in od.couriers}
            dispatcher_name, clerk_name = od.dispatcher.username, clerk.username

        # --- applicants book 30 jobs, each in a window the slot offer shows
        booked: dict[int, dict[str, Any]] = {}
        tries = 0
        while len(booked) < JOBS and tries < 200:
            tries += 1
            lat = OFFICE_LAT + rng.uniform(-0.012, 0.012)
            lon = OFFICE_LON + rng.uniform(-0.012, 0.012)
            kind = "delivery" if len(booked) % 3 == 2 else "pickup"
            b = book(http, day, lat, lon, kind, office_id, prefer=len(booked) % 4)
            if b is not None:
                booked[b["job_id"]] = b
        assert len(booked) == JOBS, f"only {len(booked)} bookings after {tries} tries"

        # --- the dispatcher plans (202, polled) and publishes
        boss = login(http, dispatcher_name)
        r = http.post(f"/api/offices/{office_id}/days/{day}/plans", json={"time_limit_s": 3}, headers=boss)
        run = run_to_done(http, r, boss)
        v1 = http.get(run["plan_url"], headers=boss).json()
        assert v1["kpis"]["verified"] is True
        office_lat_lon = (v1["office"]["lat"], v1["office"]["lon"])
        assert v1["kpis"]["jobs_served"] + v1["kpis"]["unassigned"] == JOBS
        published = http.post(f"/api/plans/{v1['id']}/publish", headers=boss)
        assert published.status_code == 200, published.text
        assert published.json()["status"] == "published"

        # --- couriers log in and fetch their own routes
        routes = [rt for rt in v1["routes"] if any(s["kind"] in HOME for s in rt["stops"])]
        assert len(routes) >= 2, "two couriers at least should have work"
        by_courier: dict[int, dict[str, Any]] = {}
        tokens: dict[int, dict[str, str]] = {}
        for rt in routes:
            cid = rt["courier"]["id"]
            tokens[cid] = login(http, usernames[cid])
            mine = http.get("/api/courier/route", params={"date": day.isoformat()}, headers=tokens[cid])
            assert mine.status_code == 200, mine.text
            body = mine.json()
            assert (body["plan_id"], body["courier"]["id"]) == (v1["id"], cid)
            assert [s["stop_id"] for s in body["stops"]] == [s["stop_id"] for s in rt["stops"]]
            by_courier[cid] = body
        # the courier who keeps working: the one with a delivery and a pickup (else the busiest)
        keeper = max(
            by_courier,
            key=lambda c: (
                {s["kind"] for s in by_courier[c]["stops"]} >= set(HOME),
                sum(s["kind"] in HOME for s in by_courier[c]["stops"]),
            ),
        )
        dropped = next(c for c in by_courier if c != keeper)
        stops = by_courier[keeper]["stops"]
        courier = tokens[keeper]
        clerk_h = login(http, clerk_name)
        pickup = next(s for s in stops if s["kind"] == "pickup")
        assert pickup["action"] == "collect"
        assert track(http, booked[pickup["job_id"]])["status"] == "planned"

        # --- a pickup: applicant→courier at the door, then courier→office at the counter (clerk)
        got = handover(http, courier, pickup["job_id"], "applicant", "courier", (pickup["lat"], pickup["lon"]),
                       pickup["stop_id"], seed=1)  # fmt: skip
        assert (got["job_status"], got["custody_party"], got["courier_id"]) == ("picked_up", "courier", keeper)
        assert track(http, booked[pickup["job_id"]])["status"] == "picked_up"
        dropped_off = handover(http, clerk_h, pickup["job_id"], "courier", "office", office_lat_lon, seed=2)
        assert dropped_off["job_status"] == "at_office" and dropped_off["prev_hash"] == got["hash"]
        seen = track(http, booked[pickup["job_id"]])
        assert seen["status"] == "at_office" and len(seen["handovers"]) == 2
        assert [t["status"] for t in seen["timeline"]][-1] == "at_office"

        # --- a delivery: office→courier by the clerk, then courier→applicant at the door
        delivery = next(s for s in stops if s["kind"] == "delivery")
        assert delivery["action"] == "hand_over"
        out = handover(http, clerk_h, delivery["job_id"], "office", "courier", office_lat_lon, seed=3)
        assert (out["job_status"], out["courier_id"]) == ("out_for_delivery", keeper)
        assert track(http, booked[delivery["job_id"]])["status"] == "out_for_delivery"
        given = handover(http, courier, delivery["job_id"], "courier", "applicant",
                         (delivery["lat"], delivery["lon"]), delivery["stop_id"], seed=4)  # fmt: skip
        assert (given["job_status"], given["custody_party"]) == ("delivered", "applicant")
        assert track(http, booked[delivery["job_id"]])["status"] == "delivered"

        checked = [pickup["job_id"], delivery["job_id"]]

        # --- the custody chains verify
        for job_id in checked:
            chain = http.get(f"/api/jobs/{job_id}/custody", headers=boss)
            assert chain.status_code == 200, chain.text
            assert (chain.json()["valid"], chain.json()["chain_length"]) == (True, 2), chain.json()
            assert chain.json()["tampered_at"] is None

        # --- a failed visit (nobody home), then the applicant rebooks: a new job, the old one stays failed
        other = next(s for s in stops if s["kind"] == "pickup" and s["job_id"] not in checked)
        attempt = http.post(
            "/api/attempts",
            data={"job_id": str(other["job_id"]), "stop_id": str(other["stop_id"]), "reason": "not_home",
                  "device_time": datetime.now(UTC).isoformat(), "lat": str(other["lat"]), "lon": str(other["lon"])},
            files=[("photos", ("pintu.jpg", jpeg_bytes(seed=5), "image/jpeg"))],
            headers={**courier, "Idempotency-Key": f"att-{uuid.uuid4().hex}"},
        )  # fmt: skip
        assert attempt.status_code == 201, attempt.text
        assert attempt.json()["job_status"] == "failed"
        failed = booked[other["job_id"]]
        assert track(http, failed)["status"] == "failed"
        slots = http.get("/api/slots", params={"date": day.isoformat(), "lat": other["lat"], "lon": other["lon"]})
        window = next(w for w in slots.json()["windows"] if w["available"])
        again = http.post(
            f"/api/bookings/{failed['tracking_code']}/rebook",
            json={"secret": failed["secret"], "date": day.isoformat(), "window_start": window["start"]},
        )
        assert again.status_code in (200, 201), again.text
        rebooked = again.json()
        assert rebooked["rebooked_from"] == failed["tracking_code"] != rebooked["tracking_code"]
        assert rebooked["job_id"] != failed["job_id"] and rebooked["status"] == "booked"
        assert track(http, failed)["rebooked_as"] == rebooked["tracking_code"]
        assert track(http, {**rebooked, "secret": failed["secret"]})["status"] == "booked"

        # --- a courier drops out: re-plan without them; the completed stops stay done and in order
        before = http.get(f"/api/plans/{v1['id']}", headers=boss).json()
        kept_done = {rt["courier"]["id"]: done_stops(rt) for rt in before["routes"]}
        assert len(kept_done[keeper]) >= 2 and not kept_done[dropped]
        r = http.post(
            f"/api/offices/{office_id}/days/{day}/replan",
            json={"time_limit_s": 2, "unavailable_courier_ids": [dropped],
                  "as_of": at_local(day, 9).isoformat()},
            headers=boss,
        )  # fmt: skip
        run = run_to_done(http, r, boss)
        assert run["kind"] == "replan"
        v2 = http.get(run["plan_url"], headers=boss).json()
        assert (v2["status"], v2["based_on_id"]) == ("draft", v1["id"])
        assert v2["solver_params"]["unavailable_courier_ids"] == [dropped]
        new_routes = {rt["courier"]["id"]: rt for rt in v2["routes"]}
        assert not [s for s in new_routes.get(dropped, {"stops": []})["stops"] if s["job_id"]]
        assert done_stops(new_routes[keeper]) == kept_done[keeper]
        for cid, done in kept_done.items():
            if done:
                assert done_stops(new_routes[cid]) == done
