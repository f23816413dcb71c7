"""Geocoding through geopy against a Nominatim-compatible service on loopback: cached, rate-limited, with
the pin and the kelurahan gazetteer as fallbacks. No test touches the network."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import pairwise
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch.clock import utcnow
from dispatch.jobs import geocoding
from dispatch.jobs.errors import LocationRequired, UnknownKelurahan
from dispatch.jobs.models import GeocodeCache, Job
from dispatch.jobs.service import book
from dispatch.offices.service import locate
from tests.factories.jobs import booking_request, make_booking_office, next_bookable_day

pytestmark = pytest.mark.usefixtures("reference_data")


class FakeNominatim:
    """Speaks Nominatim's ``/search?format=json`` with a fixed answer book; records every request."""

    def __init__(self, answers: dict[str, tuple[float, float]]) -> None:
        self.answers = answers
        self.requests: list[tuple[float, dict[str, list[str]]]] = []
        self.in_flight_s: dict[int, float] = {}  # request number -> how long it is held up before it arrives
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                params = parse_qs(parts.query)
                time.sleep(fake.in_flight_s.get(len(fake.requests), 0.0))
                fake.requests.append((time.monotonic(), params))
                query = params.get("q", [""])[0]
                hits = [
                    {"place_id": 1, "lat": str(lat), "lon": str(lon), "display_name": query, "importance": 0.5}
                    for key, (lat, lon) in fake.answers.items()
                    if key.lower() in query.lower()
                ]
                body = json.dumps(hits[:1]).encode() if parts.path.endswith("/search") else b"[]"
                self.send_response(200 if parts.path.endswith("/search") else 404)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def nominatim() -> Iterator[FakeNominatim]:
    fake = FakeNominatim({"Jl. Melawai Raya": (-6.2441, 106.8000), "Jalan Jauh": (-6.1100, 106.9000)})
    yield fake
    fake.close()


def fresh_geocoder(url: str) -> geocoding.NominatimGeocoder:
    """Not the per-process shared client: each test gets its own rate limiter."""
    return geocoding.NominatimGeocoder(url, "ajib-tests")


def test_geopy_path_asks_once_per_address(db_session: Session, nominatim: FakeNominatim) -> None:
    """The first lookup asks the service (JSON /search, country and Jakarta box given); the second is cached."""
    geocoder = fresh_geocoder(nominatim.url)
    query = f"Jl. Melawai Raya No. 10 {uuid.uuid4().hex[:6]}"
    assert geocoding.cached_geocode(session=db_session, geocoder=geocoder, query=query) == (-6.2441, 106.8)
    assert geocoding.cached_geocode(session=db_session, geocoder=geocoder, query=query.upper()) == (-6.2441, 106.8)
    assert len(nominatim.requests) == 1
    params = nominatim.requests[0][1]
    assert params["format"] == ["json"] and params["countrycodes"] == ["id"] and params["bounded"] == ["1"]
    row = db_session.scalar(select(GeocodeCache).where(GeocodeCache.query == geocoding.normalise_query(query)))
    assert row is not None and row.provider.startswith("nominatim:127.0.0.1")


def test_nothing_found_is_cached_too(db_session: Session, nominatim: FakeNominatim) -> None:
    """'No match' is an answer: a second booking with the same address does not ask again."""
    geocoder = fresh_geocoder(nominatim.url)
    query = f"Gang Tidak Ada {uuid.uuid4().hex[:6]}"
    assert geocoding.cached_geocode(session=db_session, geocoder=geocoder, query=query) is None
    assert geocoding.cached_geocode(session=db_session, geocoder=geocoder, query=query) is None
    assert len(nominatim.requests) == 1


def test_at_most_one_request_per_second(db_session: Session, nominatim: FakeNominatim) -> None:
    """Nominatim's usage policy: consecutive requests of one process are at least a second apart."""
    geocoder = fresh_geocoder(nominatim.url)
    for i in range(3):
        geocoding.cached_geocode(session=db_session, geocoder=geocoder, query=f"Alamat {i} {uuid.uuid4().hex}")
    times = [t for t, _ in nominatim.requests]
    assert len(times) == 3 and all(b - a >= 0.95 for a, b in pairwise(times))


def test_a_request_held_up_in_flight_still_arrives_a_second_before_the_next(
    db_session: Session, nominatim: FakeNominatim
) -> None:
    """The service counts arrivals: the second request reaches it 0.6 s late, and the third must still arrive
    at least a second after it (spacing the starts of calls, as geopy's RateLimiter does, gives 0.4 s)."""
    nominatim.in_flight_s[1] = 0.6
    geocoder = fresh_geocoder(nominatim.url)
    for i in range(3):
        geocoding.cached_geocode(session=db_session, geocoder=geocoder, query=f"Alamat {i} {uuid.uuid4().hex}")
    times = [t for t, _ in nominatim.requests]
    assert len(times) == 3 and times[2] - times[1] >= 0.95, times


def test_pin_wins_then_geocoder_then_gazetteer(db_session: Session, nominatim: FakeNominatim) -> None:
    """A pin is used as given; without one the address is geocoded; a geocoded point far from the chosen
    kelurahan is a wrong match and the kelurahan's own point is used; no geocoder: the kelurahan point."""
    kelurahan = locate(session=db_session, lat=-6.2441, lon=106.8).kelurahan.code
    geocoder = fresh_geocoder(nominatim.url)

    def resolve(lat=None, lon=None, address="Jl. Melawai Raya 10", code=kelurahan, coder=geocoder):
        return geocoding.resolve_location(
            session=db_session, geocoder=coder, lat=lat, lon=lon, address_text=f"{address} {uuid.uuid4().hex[:6]}",
            kelurahan_code=code,
        )  # fmt: skip

    assert resolve(lat=-6.25, lon=106.81) == geocoding.ResolvedLocation(-6.25, 106.81, "gps")
    assert len(nominatim.requests) == 0  # a pin spends no geocoder request
    assert resolve() == geocoding.ResolvedLocation(-6.2441, 106.8, "geocoder")
    far = resolve(address="Jalan Jauh")  # matched in North Jakarta, kelurahan is in the south
    assert far.source == "gazetteer"
    assert locate(session=db_session, lat=far.lat, lon=far.lon).kelurahan.code == kelurahan
    assert resolve(coder=None).source == "gazetteer"
    assert resolve(address="Jalan Jauh", code=None).source == "geocoder"
    with pytest.raises(LocationRequired):
        resolve(address="Tidak Dikenal", code=None)
    with pytest.raises(UnknownKelurahan):
        resolve(code="9999999999")


def test_geocoder_down_falls_back_to_the_gazetteer(db_session: Session, nominatim: FakeNominatim) -> None:
    """A service that does not answer is not cached and does not fail the booking: the kelurahan point is used."""
    url = nominatim.url
    nominatim.close()
    kelurahan = locate(session=db_session, lat=-6.2441, lon=106.8).kelurahan.code
    tag = uuid.uuid4().hex[:8]
    found = geocoding.resolve_location(
        session=db_session, geocoder=geocoding.NominatimGeocoder(url, "ajib-tests", timeout_s=2), lat=None, lon=None,
        address_text=f"Jl. Melawai Raya 10 {tag}", kelurahan_code=kelurahan,
    )  # fmt: skip
    assert found.source == "gazetteer"
    assert db_session.scalar(select(GeocodeCache).where(GeocodeCache.query.like(f"%{tag}%"))) is None


def test_booking_without_pin_uses_the_configured_geocoder(
    db_session: Session, test_settings, nominatim: FakeNominatim
) -> None:
    """With AJIB_GEOCODER_URL set, a booking with an address and no pin is placed by the geocoder."""
    where = make_booking_office(db_session, next_bookable_day())
    nominatim.answers = {"Jl. Kenanga": (where.lat, where.lon)}
    settings = test_settings.model_copy(update={"geocoder_url": nominatim.url + "/"})
    request = booking_request(where, lat=None, lon=None, address_text=f"Jl. Kenanga {uuid.uuid4().hex[:6]}")
    result = book(session=db_session, settings=settings, request=request, now=utcnow())
    assert result.location_source == "geocoder" and result.office_id == where.office.id
    assert db_session.get(Job, result.job_id).location_source == "geocoder"
