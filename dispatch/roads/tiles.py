"""The road network on disk: Valhalla tiles built from an OpenStreetMap extract, and their configuration.

Layout of the roads directory (``AJIB_ROADS_DIR``, default ``STATE_DIR/roads``)::

    valhalla.json        the configuration every process opens: the current tiles, and under
                         ``ajib_build`` what was built from which extract, when
    tiles-<build id>/    one build: ``tiles.tar`` (memory-mapped, so every actor and process shares
                         one copy of the tiles in the page cache)

A new build goes to a fresh ``tiles-<id>`` directory and only then is ``valhalla.json`` replaced
(``os.replace``), so a running server keeps answering from the old tiles until it reopens them.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dispatch.roads.errors import RoadBuildFailed, RoadEngineMissing

__all__ = [
    "CONFIG_NAME",
    "RoadBuild",
    "build_tiles",
    "current_build",
    "valhalla_bin",
    "valhalla_config",
    "write_config",
]

log = logging.getLogger(__name__)

CONFIG_NAME = "valhalla.json"
BUILD_KEY = "ajib_build"  # Valhalla ignores keys it does not know
# Pairs one matrix request may carry. Valhalla's public default (2,500) suits a shared server; our
# own engine answers one office-day at a time, so blocks of 500 x 500 keep the request count low.
MATRIX_PAIRS = 250_000
COSTINGS = ("motor_scooter", "motorcycle", "auto")


@dataclass(frozen=True)
class RoadBuild:
    """One tile build: its id (also the cache key of every matrix made on it) and where it came from."""

    build_id: str
    extract: str
    extract_bytes: int
    built_at: str
    valhalla: str
    seconds: float
    tiles: int


def valhalla_bin(name: str) -> Path:
    """Path of a Valhalla executable shipped in the pyvalhalla wheel."""
    try:
        import valhalla
    except ImportError as e:
        raise RoadEngineMissing() from e
    path = Path(valhalla.PYVALHALLA_DIR) / "bin" / name
    if not path.exists():
        raise RoadEngineMissing()
    return path


def valhalla_config(
    tile_dir: Path,
    *,
    tile_extract: Path | None = None,
    listen: str | None = None,
    ipc_dir: Path | None = None,
    max_pairs: int = MATRIX_PAIRS,
    threads: int | None = None,
) -> dict[str, Any]:
    """A Valhalla configuration for our tiles (no admin, time-zone or traffic databases).

    ``listen`` (``tcp://127.0.0.1:8002``) and ``ipc_dir`` matter to ``valhalla_service`` only: its
    internal sockets default to ``/tmp/loopback`` and ``/tmp/interrupt``, which two servers on one
    machine would share.
    """
    try:
        import valhalla
    except ImportError as e:
        raise RoadEngineMissing() from e
    config = valhalla.get_config(tile_extract="", tile_dir="", verbose=False)
    mj = config["mjolnir"]
    mj["tile_dir"] = str(tile_dir)
    mj["tile_extract"] = str(tile_extract) if tile_extract is not None else ""
    mj["concurrency"] = threads or max(os.cpu_count() or 1, 1)
    for key in ("traffic_extract", "admin", "landmarks", "timezone", "transit_dir", "transit_feeds_dir"):
        mj[key] = ""
    mj.setdefault("data_processing", {})["use_admin_db"] = False
    for costing in COSTINGS:
        limits = config["service_limits"][costing]
        limits["max_matrix_location_pairs"] = max_pairs
    # One-to-many searches, not the bidirectional CostMatrix: on the benchmark city it was 4-7x faster for
    # an office-day's table, and its times do not depend on which other points share the request (the
    # CostMatrix's differed by up to 6 s between a whole table and the same table in blocks), so tiled,
    # cached and single-leg answers agree to the second.
    config["thor"]["source_to_target_algorithm"] = "timedistancematrix"
    if listen is not None:
        service = config["httpd"]["service"]
        service["listen"] = listen
        base = ipc_dir or Path(tempfile.mkdtemp(prefix="ajib-valhalla-"))
        service["loopback"] = f"ipc://{base / 'loopback'}"
        service["interrupt"] = f"ipc://{base / 'interrupt'}"
    return config


def write_config(path: Path, config: dict[str, Any]) -> Path:
    """Write ``config`` to ``path`` atomically (readers never see half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    tmp.write_text(json.dumps(config, indent=1))
    os.replace(tmp, path)
    return path


def current_build(roads_dir: Path) -> RoadBuild | None:
    """The build ``valhalla.json`` points at, or None when no tiles were built."""
    path = roads_dir / CONFIG_NAME
    try:
        config = json.loads(path.read_text())
        tiles = Path(config["mjolnir"]["tile_extract"] or config["mjolnir"]["tile_dir"])
        build = RoadBuild(**config[BUILD_KEY])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return build if tiles.exists() else None


def build_tiles(extract: Path, roads_dir: Path, *, threads: int | None = None) -> RoadBuild:
    """Build Valhalla tiles from an ``.osm.pbf`` extract and make them the current road network.

    Motorbikes are costed at query time (``motor_scooter``: no motorways, which in Indonesia are
    the toll roads closed to them), so one build serves every costing.
    """
    extract = extract.resolve()
    if not extract.is_file():
        raise RoadBuildFailed(f"no such file: {extract}")
    binary = valhalla_bin("valhalla_build_tiles")
    roads_dir.mkdir(parents=True, exist_ok=True)
    build_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + f"-{os.getpid()}"
    home = roads_dir / f"tiles-{build_id}"
    tile_dir, tar = home / "graph", home / "tiles.tar"
    staging = roads_dir / f".staging-{build_id}"
    staging.mkdir()
    config = valhalla_config(tile_dir, tile_extract=tar, threads=threads)
    config_path = write_config(staging / CONFIG_NAME, config)
    started = time.monotonic()
    with (staging / "build.log").open("w") as log_file:
        # valhalla_build_tiles works in its current directory (intermediate .bin files)
        done = subprocess.run(
            [str(binary), "-c", str(config_path), str(extract)],
            cwd=staging,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            check=False,
        )
    tiles = sum(1 for _ in tile_dir.rglob("*.gph")) if tile_dir.is_dir() else 0
    if done.returncode == 0 and tiles:
        with (staging / "build.log").open("a") as log_file:
            done = subprocess.run(
                [sys.executable, "-m", "valhalla.valhalla_build_extract", "-c", str(config_path), "-O"],
                cwd=staging,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                check=False,
            )
    if done.returncode != 0 or tiles == 0 or not tar.is_file():
        tail = (staging / "build.log").read_text(errors="replace")[-2000:]
        shutil.rmtree(home, ignore_errors=True)
        raise RoadBuildFailed(f"building tiles exited {done.returncode} with {tiles} tiles:\n{tail}")
    shutil.rmtree(tile_dir, ignore_errors=True)  # the tar holds them all
    import valhalla

    build = RoadBuild(
        build_id=build_id,
        extract=extract.name,
        extract_bytes=extract.stat().st_size,
        built_at=datetime.now(UTC).isoformat(timespec="seconds"),
        valhalla=str(getattr(valhalla, "__version__", "?")),
        seconds=round(time.monotonic() - started, 1),
        tiles=tiles,
    )
    previous = current_build(roads_dir)
    config[BUILD_KEY] = asdict(build)
    write_config(roads_dir / CONFIG_NAME, config)
    shutil.rmtree(staging, ignore_errors=True)
    if previous is not None and previous.build_id != build_id:
        shutil.rmtree(roads_dir / f"tiles-{previous.build_id}", ignore_errors=True)
    log.info("road tiles %s built from %s in %.1f s (%d tiles)", build_id, extract.name, build.seconds, tiles)
    return build
