"""Travel matrix of an office-day (900 points) on a Jakarta-sized road network: embedded Valhalla, OSRM, haversine.

    .venv/bin/python -m bench.roads [--points 900] [--repeats 3] [--engines haversine,embedded,osrm]
    .venv/bin/python -m bench.roads --extract java-latest.osm.pbf --centre -6.24,106.82   # on real roads

No OpenStreetMap extract of Jakarta can be fetched on the build machines, so the network is the synthetic
city of ``bench/roadnet.py`` (25 x 20 km, ~22,000 junctions at 150 m, arterials, one-way rows, rivers
crossed on arterials only, a toll ring), built once into ``.ajib/bench-roads/``; with ``--extract`` an
operator measures the same on a real extract (built once into ``.ajib/bench-roads/<name>/``). The points are an
office-day's: uniform within 6 km of a centre. Printed per engine: the whole table (wall and CPU
seconds; CPU includes the engine's threads, and the OSRM server's own CPU), one booking's increment
(a new point's row and column through ``MatrixCache``) and one ETA leg (1 x 1). Wall time on a shared
machine also measures the neighbours; CPU time does not.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from bench.roadnet import write_city
from routing import EmbeddedValhalla, HaversineTravel, Location, MatrixCache, OsrmEngine

ROOT = Path(__file__).resolve().parent.parent
CENTRE = (-6.24, 106.82)


def _cpu_of(pid: int | None) -> float:
    if pid is None:
        return 0.0
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _time(fn: Callable[[], object], repeats: int, server: int | None = None) -> tuple[list[float], list[float]]:
    walls, cpus = [], []
    for _ in range(repeats):
        w, c, s = time.perf_counter(), time.process_time(), _cpu_of(server)
        fn()
        walls.append(time.perf_counter() - w)
        cpus.append(time.process_time() - c + _cpu_of(server) - s)
    return walls, cpus


def _city(work: Path, extract: Path | None) -> tuple[Path, Path]:
    from dispatch.roads.tiles import CONFIG_NAME, build_tiles, current_build

    pbf = extract or work / "city.osm.pbf"
    if not pbf.exists():
        write_city(pbf)
    roads = work / "roads"
    if current_build(roads) is None:
        build = build_tiles(pbf, roads)
        print(f"built tiles in {build.seconds:.1f} s")
    return pbf, roads / CONFIG_NAME


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=900)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--engines", default="haversine,embedded,osrm")
    parser.add_argument("--work", type=Path, default=ROOT / ".ajib" / "bench-roads")
    parser.add_argument("--extract", type=Path, help="a real .osm.pbf instead of the synthetic city")
    parser.add_argument("--centre", default=f"{CENTRE[0]},{CENTRE[1]}", help="lat,lon the points surround")
    args = parser.parse_args()
    if args.extract is not None:
        args.work = args.work / args.extract.name.split(".")[0]
    args.work.mkdir(parents=True, exist_ok=True)
    pbf, config = _city(args.work, args.extract)
    rng = np.random.default_rng(7)
    radius = 6_000 / 111_000
    centre = np.array([float(x) for x in args.centre.split(",")])
    pts = centre + rng.uniform(-radius, radius, (args.points + 1, 2))
    locs = [Location(str(i), float(a), float(b)) for i, (a, b) in enumerate(pts[:-1])]
    newcomer = Location("new", float(pts[-1][0]), float(pts[-1][1]))
    engines: dict[str, tuple[object, int | None]] = {}
    servers: list[subprocess.Popen[bytes]] = []
    for name in args.engines.split(","):
        if name == "haversine":
            engines[name] = (HaversineTravel(), None)
        elif name == "embedded":
            engines[name] = (EmbeddedValhalla(config=str(config), concurrency=2), None)
        elif name == "osrm":
            from dispatch.roads.servers import build_osrm, start_osrm

            graph = args.work / "osrm" / (pbf.name.removesuffix(".osm.pbf").removesuffix(".pbf") + ".osrm")
            if not Path(f"{graph}.properties").exists():
                graph = build_osrm(pbf, args.work / "osrm")
            process, url = start_osrm(graph, port=15_500, max_table_size=100)
            servers.append(process)
            engines[name] = (OsrmEngine(base_url=url, max_locations=100, concurrency=2), process.pid)
    rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT).stdout
    when = time.strftime("%F %H:%M %Z")
    network = args.extract.name if args.extract else "synthetic 25 x 20 km city"
    print(f"{args.points} points within 6 km of {args.centre}, {network}; commit {rev.strip()}, {when}")
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print("| engine | whole table wall s (median) | CPU s | one new point (row + column) wall ms | ETA leg 1x1 ms |")
    print("|---|---|---|---|---|")
    try:
        for name, (engine, server) in engines.items():
            engine.matrix(locs[:2])  # open actors / connections
            walls, cpus = _time(lambda e=engine: e.matrix(locs), args.repeats, server)
            cache = MatrixCache(engine)  # type: ignore[arg-type]
            cache.matrix(locs)
            # a slot check: the day's table is known, the candidate home's row and column are asked
            add_w, _ = _time(lambda c=cache: c.matrix([*locs, newcomer], transient=[len(locs)]), args.repeats)
            leg_w, _ = _time(lambda e=engine: e.matrix([locs[0], newcomer]), args.repeats * 5)
            print(
                f"| {name} | {statistics.median(walls):.2f} | {statistics.median(cpus):.2f} | "
                f"{statistics.median(add_w) * 1000:.0f} | {statistics.median(leg_w) * 1000:.1f} |"
            )
    finally:
        for process in servers:
            process.kill()
            process.wait()


if __name__ == "__main__":
    main()
