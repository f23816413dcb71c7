"""`ajib roads build | status | calibrate` through typer's CliRunner, on the generated network."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from api.cli.main import app
from dispatch.config import get_settings
from dispatch.roads.travel import straight_line

runner = CliRunner()


@pytest.fixture
def roads_env(monkeypatch, tmp_path, test_settings):
    """A fresh state directory; settings are cached per process, so they are cleared around each run."""
    monkeypatch.setenv("AJIB_STATE_DIR", str(tmp_path))
    monkeypatch.setenv("AJIB_SHARED_DIR", str(test_settings.shared_dir))
    monkeypatch.setenv("AJIB_SECRET_KEY", "cli-test-secret-key-long-enough-for-hs256")
    for name in ("AJIB_TRAVEL", "AJIB_TRAVEL_URL", "AJIB_ROADS_DIR", "AJIB_TRAVEL_CIRCUITY", "AJIB_TRAVEL_SPEED_KMH"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def test_build_then_calibrate_on_the_grid(roads_env, grid_pbf, grid):
    """No tiles: straight lines and a hint where to get an extract. `roads build` makes tiles that `auto` then
    uses; `roads calibrate --write` fits the straight-line model to them and the default reads the fit."""
    status = runner.invoke(app, ["roads", "status"])
    assert status.exit_code == 0 and "straight lines" in status.output and "java-latest.osm.pbf" in status.output

    built = runner.invoke(app, ["roads", "build", str(grid_pbf), "--threads", "1"])
    assert built.exit_code == 0, built.output
    get_settings.cache_clear()
    status = runner.invoke(app, ["roads", "status"])
    assert "embedded valhalla" in status.output and "grid.osm.pbf" in status.output
    assert "the road engine answers" in status.output

    south, west, north, east = grid.bbox
    bbox = f"{south},{west},{north},{east}"
    result = runner.invoke(app, ["roads", "calibrate", "--points", "60", "--bbox", bbox, "--write"])
    assert result.exit_code == 0, result.output
    assert "best fit circuity" in result.output and "p90" in result.output
    stored = json.loads((roads_env / "roads" / "calibration.json").read_text())
    assert 1.0 < stored["circuity"] < 3.0 and stored["source"] == f"bbox {bbox}"
    get_settings.cache_clear()
    model = straight_line(get_settings())
    assert (model.circuity, model.speed_kmh) == (stored["circuity"], stored["speed_kmh"])


def test_building_from_a_missing_file_is_one_clear_line(roads_env):
    """A wrong path: exit 1 with what is wrong, no traceback, no half-built state."""
    result = runner.invoke(app, ["roads", "build", str(roads_env / "nope.osm.pbf")])
    assert result.exit_code == 1 and "no such file" in result.output
    assert not (roads_env / "roads" / "valhalla.json").exists()


def test_a_road_server_without_its_address_is_refused_at_start(tmp_path):
    """AJIB_TRAVEL=valhalla (or osrm) without AJIB_TRAVEL_URL fails when the settings load, not per request."""
    from pydantic import ValidationError

    from dispatch.config import Settings

    with pytest.raises(ValidationError, match="AJIB_TRAVEL_URL"):
        Settings(_env_file=None, travel="valhalla", state_dir=tmp_path, secret_key="k" * 40)
    ok = Settings(
        _env_file=None, travel="osrm", travel_url="http://127.0.0.1:5000", state_dir=tmp_path, secret_key="k" * 40
    )
    assert ok.roads_path == tmp_path / "roads"
