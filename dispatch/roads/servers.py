"""Road servers on this machine: ``valhalla_service`` on our tiles, and OSRM built from the same extract.

Embedded Valhalla needs no server; run one when several machines share the tiles
(``ajib roads serve``; they set ``AJIB_TRAVEL=valhalla`` and ``AJIB_TRAVEL_URL``). OSRM is the
alternative engine: ``build_osrm`` extracts a graph with our motorbike profile (toll roads closed).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import httpx

from dispatch.roads.errors import NoRoadNetwork, RoadBuildFailed, RoadEngineMissing
from dispatch.roads.tiles import CONFIG_NAME, current_build, valhalla_bin, valhalla_config, write_config
from routing import MOTORBIKE_PROFILE

__all__ = ["build_osrm", "osrm_bin", "start_osrm", "start_valhalla", "wait_until_up"]


def wait_until_up(url: str, process: subprocess.Popen[bytes], timeout_s: float = 30.0) -> None:
    """Poll ``url`` until it answers (any HTTP status), the process dies, or ``timeout_s`` passes."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RoadBuildFailed(f"the road server exited with code {process.returncode} before answering")
        try:
            httpx.get(url, timeout=1.0)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise RoadBuildFailed(f"the road server did not answer at {url} within {timeout_s:.0f} s")


def start_valhalla(
    roads_dir: Path, *, host: str = "127.0.0.1", port: int = 8002, threads: int = 2, max_pairs: int | None = None
) -> tuple[subprocess.Popen[bytes], str]:
    """Start ``valhalla_service`` on the current tiles; returns the process and its root URL."""
    if current_build(roads_dir) is None:
        raise NoRoadNetwork(str(roads_dir))
    import json

    built = json.loads((roads_dir / CONFIG_NAME).read_text())
    mj = built["mjolnir"]
    ipc = roads_dir / f"ipc-{port}"
    ipc.mkdir(exist_ok=True)
    config = valhalla_config(
        Path(mj["tile_dir"]),
        tile_extract=Path(mj["tile_extract"]) if mj.get("tile_extract") else None,
        listen=f"tcp://{host}:{port}",
        ipc_dir=ipc,
        **({"max_pairs": max_pairs} if max_pairs else {}),
    )
    path = write_config(roads_dir / f"service-{port}.json", config)
    process = subprocess.Popen(
        [str(valhalla_bin("valhalla_service")), str(path), str(threads)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://{host}:{port}"
    wait_until_up(f"{url}/status", process)
    return process, url


def osrm_bin(name: str) -> Path:
    """An OSRM executable from the osrm-bindings wheel (``pip install 'ajib[osrm]'``)."""
    try:
        import osrm
    except ImportError as e:
        raise RoadEngineMissing() from e
    path = Path(osrm.__file__).parent / "bin" / name
    if not path.exists():
        raise RoadEngineMissing()
    return path


def build_osrm(extract: Path, out_dir: Path) -> Path:
    """Extract, partition and customise an OSRM graph (MLD) for motorbikes; returns the ``.osrm`` base path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    local = out_dir / extract.name
    shutil.copyfile(extract, local)
    profiles = osrm_bin("osrm-extract").parent.parent / "share" / "profiles"
    env = {**os.environ, "LUA_PATH": f"{profiles}/?.lua;;"}
    base = out_dir / extract.name.removesuffix(".osm.pbf").removesuffix(".pbf")
    steps = [
        [str(osrm_bin("osrm-extract")), "-p", str(MOTORBIKE_PROFILE), str(local)],
        [str(osrm_bin("osrm-partition")), f"{base}.osrm"],
        [str(osrm_bin("osrm-customize")), f"{base}.osrm"],
    ]
    with (out_dir / "build.log").open("w") as log:
        for cmd in steps:
            done = subprocess.run(cmd, cwd=out_dir, env=env, stdout=log, stderr=subprocess.STDOUT, check=False)
            if done.returncode != 0:
                tail = (out_dir / "build.log").read_text(errors="replace")[-2000:]
                raise RoadBuildFailed(f"{Path(cmd[0]).name} exited {done.returncode}:\n{tail}")
    local.unlink()
    return Path(f"{base}.osrm")


def start_osrm(
    graph: Path, *, host: str = "127.0.0.1", port: int = 5000, max_table_size: int = 100
) -> tuple[subprocess.Popen[bytes], str]:
    """Start ``osrm-routed`` (MLD) on ``graph``; returns the process and its root URL."""
    process = subprocess.Popen(
        [
            str(osrm_bin("osrm-routed")),
            "-a",
            "MLD",
            "-i",
            host,
            "-p",
            str(port),
            "--max-table-size",
            str(max_table_size),
            str(graph),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://{host}:{port}"
    wait_until_up(f"{url}/nearest/v1/driving/0,0", process)
    return process, url
