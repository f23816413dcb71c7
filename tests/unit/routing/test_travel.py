"""Travel models: haversine numbers, speed by hour, speed at scale, and the table-service clients against
recorded-style answers (the real servers, on a real network, are in tests/roads)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlsplit

import numpy as np
import pytest

from routing import (
    HaversineTravel,
    Location,
    OsrmEngine,
    TravelModel,
    ValhallaEngine,
    euclidean_matrix,
    mean_speed,
    scaled_profile,
)
from routing.roads import UNREACHABLE_S, blocks
from routing.travel import JAKARTA_MOTORBIKE_KMH, TravelError

MONAS = Location("monas", -6.1754, 106.8272)
BUNDARAN_HI = Location("bundaran-hi", -6.1950, 106.8230)


def test_haversine_distance_and_duration():
    """Monas to Bundaran HI is about 2.2 km straight, x1.35 by road, at 22 km/h."""
    m = HaversineTravel().matrix([MONAS, BUNDARAN_HI])
    straight = 2226  # metres, great circle
    assert abs(m.distances[0, 1] - straight * 1.35) < 15
    assert abs(m.durations[0, 1] - m.distances[0, 1] / (22 / 3.6)) <= 1
    assert m.distances[0, 0] == 0 and m.durations.dtype == np.int64
    assert isinstance(HaversineTravel(), TravelModel)


def test_speed_profile_picks_the_planning_hour():
    """The rush-hour speed makes the same trip slower than the midday one."""
    rush = HaversineTravel(speed_profile=JAKARTA_MOTORBIKE_KMH, hour=17).matrix([MONAS, BUNDARAN_HI])
    noon = HaversineTravel(speed_profile=JAKARTA_MOTORBIKE_KMH, hour=11).matrix([MONAS, BUNDARAN_HI])
    assert rush.durations[0, 1] > noon.durations[0, 1]
    assert rush.distances[0, 1] == noon.distances[0, 1]


def test_two_thousand_points():
    """A 2,000-location matrix is built in one vectorised call (its speed: `python -m bench.micro`)."""
    rng = np.random.default_rng(0)
    locs = [Location(str(i), -6.1 - rng.random() * 0.3, 106.7 + rng.random() * 0.3) for i in range(2000)]
    m = HaversineTravel().matrix(locs)
    assert m.durations.shape == (2000, 2000)
    assert m.durations.dtype.kind == "i" and m.distances.dtype.kind == "i"
    assert (np.diag(m.distances) == 0).all() and (m.distances[0, 1:] > 0).all()


def test_euclidean_matrix_scales():
    """Benchmark matrices are the Euclidean distance times the scale, rounded."""
    m = euclidean_matrix(np.array([[0, 0], [3, 4]]), scale=1000)
    assert m.durations[0, 1] == 5000 and m.distances[1, 0] == 5000


class _Fake(BaseHTTPRequestHandler):
    """OSRM /table and Valhalla /sources_to_targets on loopback, 100 s and 1 km per index apart."""

    def log_message(self, *args):  # keep pytest output clean
        pass

    def _send(self, body: dict, code: int = 200) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        url = urlsplit(unquote(self.path))
        assert url.path.startswith("/table/v1/driving/")
        assert "annotations=duration,distance" in url.query.replace("%2C", ",")
        n = len(url.path.rsplit("/", 1)[1].split(";"))
        grid = np.abs(np.subtract.outer(np.arange(n), np.arange(n)))
        durations = (grid * 100.0).tolist()
        if n == 3:
            durations[0][2] = None  # unreachable pair
        self._send({"code": "Ok", "durations": durations, "distances": (grid * 1000.0).tolist()})

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        assert body["verbose"] is False and body["costing"] == "motor_scooter"
        n = len(body["sources"])
        grid = np.abs(np.subtract.outer(np.arange(n), np.arange(len(body["targets"]))))
        self._send({"sources_to_targets": {"durations": (grid * 100).tolist(), "distances": (grid * 1.0).tolist()}})


@pytest.fixture
def fake_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Fake)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_osrm_table(fake_server):
    """The OSRM client asks for durations and distances and returns integer matrices."""
    locs = [MONAS, BUNDARAN_HI, MONAS, BUNDARAN_HI]
    m = OsrmEngine(base_url=fake_server).matrix(locs)
    assert m.durations[0, 3] == 300 and m.distances[3, 0] == 3000


def test_osrm_unreachable_pair_cannot_be_ridden(fake_server):
    """A pair the server cannot route is not silently zero: it takes a day, so no plan uses it."""
    m = OsrmEngine(base_url=fake_server).matrix([MONAS, BUNDARAN_HI, MONAS])
    assert m.durations[0, 2] == UNREACHABLE_S and m.durations[0, 1] == 100


def test_valhalla_sources_to_targets(fake_server):
    """The Valhalla client reads the concise table and converts kilometres to metres."""
    m = ValhallaEngine(base_url=fake_server).matrix([MONAS, BUNDARAN_HI])
    assert m.durations[0, 1] == 100 and m.distances[0, 1] == 1000


def test_server_down_is_a_travel_error():
    """A refused connection becomes a TravelError naming the service."""
    with pytest.raises(TravelError, match="osrm"):
        OsrmEngine(base_url="http://127.0.0.1:9", timeout_s=0.5).matrix([MONAS, BUNDARAN_HI])


def test_blocks_cover_the_table_within_the_caps():
    """Every cell is asked exactly once, and no request exceeds the server's caps."""
    for n_s, n_t, kw in [
        (900, 900, {"max_locations": 100}),
        (1, 900, {"max_locations": 100}),
        (900, 900, {"max_pairs": 2500}),
        (7, 30, {"max_pairs": 16}),
        (50, 50, {"max_locations": 100}),
    ]:
        seen = np.zeros((n_s, n_t), dtype=int)
        for b in blocks(n_s, n_t, square=n_s == n_t, **kw):
            seen[b.sources.start : b.sources.stop, b.targets.start : b.targets.stop] += 1
            points = len(b.sources) if b.same else len(b.sources) + len(b.targets)
            assert points <= kw.get("max_locations", 10**9)
            assert len(b.sources) * len(b.targets) <= kw.get("max_pairs", 10**9)
        assert (seen == 1).all()
    assert len(blocks(50, 50, max_locations=100, square=True)) == 1  # fits: one request, points sent once


def test_plans_ride_at_the_service_hours_mean_and_etas_at_the_hour():
    """The profile's harmonic mean over 08-17 is the plan speed; scaling keeps the shape by hour."""
    mean = mean_speed(JAKARTA_MOTORBIKE_KMH)
    assert 19 < mean < 22
    profile = scaled_profile(22.0)
    assert mean_speed(profile) == pytest.approx(22.0, rel=1e-3)
    assert profile[17] / profile[11] == pytest.approx(JAKARTA_MOTORBIKE_KMH[17] / JAKARTA_MOTORBIKE_KMH[11], rel=1e-3)
    model = HaversineTravel(speed_kmh=22.0, speed_profile=profile)
    assert model.speed() == 22.0 and model.at_hour(17).speed() < 22.0 < model.at_hour(11).speed()
