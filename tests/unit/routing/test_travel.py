"""Travel models: haversine numbers, speed by hour, speed at scale, and the table-service clients."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlsplit

import numpy as np
import pytest

from routing import HaversineTravel, Location, TableServiceTravel, TravelModel, euclidean_matrix
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
        n = len(body["sources"])
        rows = [
            [{"from_index": i, "to_index": j, "time": abs(i - j) * 100, "distance": abs(i - j) * 1.0} for j in range(n)]
            for i in range(n)
        ]
        self._send({"sources_to_targets": rows})


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
    m = TableServiceTravel(fake_server, kind="osrm").matrix(locs)
    assert m.durations[0, 3] == 300 and m.distances[3, 0] == 3000


def test_osrm_unreachable_pair_is_an_error(fake_server):
    """A pair the server cannot route is reported, not silently zero."""
    with pytest.raises(TravelError, match="no route from location 0 to location 2"):
        TableServiceTravel(fake_server, kind="osrm").matrix([MONAS, BUNDARAN_HI, MONAS])


def test_valhalla_sources_to_targets(fake_server):
    """The Valhalla client converts kilometres to metres."""
    m = TableServiceTravel(fake_server, kind="valhalla", profile="motor_scooter").matrix([MONAS, BUNDARAN_HI])
    assert m.durations[0, 1] == 100 and m.distances[0, 1] == 1000


def test_server_down_is_a_travel_error():
    """A refused connection becomes a TravelError naming the service."""
    with pytest.raises(TravelError, match="osrm"):
        TableServiceTravel("http://127.0.0.1:9", timeout_s=0.5).matrix([MONAS, BUNDARAN_HI])
