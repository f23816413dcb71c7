"""``ajib roads``: build the road network from an OpenStreetMap extract, serve it, calibrate the default."""

from __future__ import annotations

import signal
import sys
import time
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from dispatch.config import get_settings

__all__ = ["EXTRACT_HINT", "roads_app", "travel_summary"]

MONAS = (-6.1754, 106.8272)  # where `status` asks the engine for a short trip
roads_app = typer.Typer(help="Road network: travel times and route lines along real streets.", no_args_is_help=True)

EXTRACT_HINT = (
    "for travel times along real roads, download an OpenStreetMap extract that covers Jakarta "
    "(Java: https://download.geofabrik.de/asia/indonesia/java-latest.osm.pbf, or all of Indonesia) "
    "and run `ajib roads build java-latest.osm.pbf` (Python >= 3.12; docs/roads.md)"
)


def _fail(message: str) -> NoReturn:
    typer.echo(f"ajib: error: {message}", err=True)
    raise typer.Exit(1)


def travel_summary() -> str:
    """One line for `ajib serve`: which travel model answers, and how to get real roads if none."""
    from dispatch.roads.tiles import current_build
    from dispatch.roads.travel import travel_for

    settings = get_settings()
    try:
        travel = travel_for(settings)
    except ValueError as e:
        return f"travel times: misconfigured ({e})"
    if travel.engine is None:
        hint = "" if settings.travel == "haversine" else f"; {EXTRACT_HINT}"
        return f"travel times: straight lines ({travel.straight.describe()}){hint}"
    build = current_build(settings.roads_path) if travel.configured == "embedded" else None
    built = f" (tiles {build.build_id} from {build.extract})" if build else ""
    return f"travel times: {travel.engine.describe()}{built}; straight lines if it fails"


@roads_app.command("build")
def build_command(
    extract: Annotated[Path, typer.Argument(help="an .osm.pbf extract (Java or Indonesia covers Jakarta)")],
    engine: Annotated[str, typer.Option(help="valhalla (embedded; default) or osrm")] = "valhalla",
    threads: Annotated[int | None, typer.Option(min=1, help="build threads (default: all cores)")] = None,
) -> None:
    """Build motorbike road tiles into the state directory; planning uses them from then on."""
    from dispatch.errors import DomainError
    from dispatch.roads.servers import build_osrm
    from dispatch.roads.tiles import build_tiles

    settings = get_settings()
    try:
        if engine == "osrm":
            graph = build_osrm(extract, settings.roads_path / "osrm")
            typer.echo(f"OSRM graph {graph} built; serve it with `ajib roads serve --engine osrm`")
            return
        if engine != "valhalla":
            _fail("--engine must be valhalla or osrm")
        typer.echo(f"building road tiles from {extract} into {settings.roads_path} (large extracts take a while)")
        build = build_tiles(extract, settings.roads_path, threads=threads)
    except DomainError as e:
        _fail(e.message_en)
    typer.echo(f"built {build.tiles} tiles in {build.seconds:.0f} s (build {build.build_id})")
    typer.echo("slot checks and ETAs use them now (AJIB_TRAVEL=auto or embedded); restart `ajib serve` for plans")


@roads_app.command("status")
def status_command() -> None:
    """Which travel model is in use, the current tiles, and whether the engine answers."""
    from dispatch.roads.calibration import CALIBRATION_NAME
    from dispatch.roads.health import probe
    from dispatch.roads.travel import travel_for

    settings = get_settings()
    typer.echo(travel_summary())
    engine = travel_for(settings).engine
    if engine is not None:
        problem = probe(engine, *MONAS)
        typer.echo("the road engine answers" if problem is None else f"the road engine does not answer: {problem}")
    calibration = settings.roads_path / CALIBRATION_NAME
    if calibration.exists():
        typer.echo(f"straight-line calibration: {calibration}")


@roads_app.command("serve")
def serve_command(
    host: Annotated[str, typer.Option(help="bind address (other machines: their private address)")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port")] = 8002,
    engine: Annotated[str, typer.Option(help="valhalla (default) or osrm")] = "valhalla",
    threads: Annotated[int, typer.Option(min=1, help="server threads")] = 2,
) -> None:
    """Serve the road network over HTTP, for several machines (they set AJIB_TRAVEL=valhalla and AJIB_TRAVEL_URL)."""
    from dispatch.errors import DomainError
    from dispatch.roads.servers import start_osrm, start_valhalla

    settings = get_settings()
    try:
        if engine == "osrm":
            graphs = sorted((settings.roads_path / "osrm").glob("*.osrm.properties"))
            if not graphs:
                _fail("no OSRM graph: run `ajib roads build EXTRACT --engine osrm` first")
            graph = Path(str(graphs[-1]).removesuffix(".properties"))
            process, url = start_osrm(graph, host=host, port=port)
        else:
            process, url = start_valhalla(settings.roads_path, host=host, port=port, threads=threads)
    except DomainError as e:
        _fail(e.message_en)
    typer.echo(f"{engine} serving {url} (pid {process.pid}); Ctrl+C stops it")
    signal.signal(signal.SIGTERM, lambda *_: process.terminate())
    try:
        while process.poll() is None:
            time.sleep(0.5)
    except KeyboardInterrupt:
        process.terminate()
    process.wait(timeout=30)
    sys.exit(process.returncode if process.returncode and process.returncode > 0 else 0)


def _errors(e) -> str:
    return (
        f"median {e.median_pct:.1f} %, p90 {e.p90_pct:.1f} % "
        f"(median {e.median_s:.0f} s, p90 {e.p90_s:.0f} s; bias {e.bias_pct:+.1f} %)"
    )


@roads_app.command("calibrate")
def calibrate_command(
    points: Annotated[int, typer.Option(min=20, max=2000, help="sampled points (pairs = points²)")] = 400,
    seed: Annotated[int, typer.Option(help="sampling seed")] = 1,
    max_km: Annotated[float, typer.Option(help="longest pair kept, km")] = 15.0,
    bbox: Annotated[
        str | None, typer.Option(help="sample in 'south,west,north,east' instead of Jakarta's kelurahan")
    ] = None,
    write: Annotated[bool, typer.Option("--write", help="store the fit as the straight-line default")] = False,
) -> None:
    """Fit the straight-line model's circuity and speed to the road engine on sampled pairs; print the errors."""
    from dispatch.roads.calibration import calibrate, jakarta_points, points_in_box, write_calibration
    from dispatch.roads.travel import travel_for

    settings = get_settings()
    travel = travel_for(settings)
    if travel.engine is None:
        _fail(f"no road engine configured: {EXTRACT_HINT}")
    if bbox:
        try:
            south, west, north, east = (float(x) for x in bbox.split(","))
        except ValueError:
            _fail("--bbox must be four numbers: south,west,north,east")
        sample = points_in_box(points, (south, west, north, east), seed=seed)
        source = f"bbox {bbox}"
    else:
        sample = jakarta_points(points, settings.jakarta_data_dir, seed=seed)
        source = "Jakarta mainland kelurahan"
    report = calibrate(travel.engine, sample, travel.straight, max_km=max_km)
    fit, cur = report.fit, report.current
    typer.echo(f"{report.points} points ({source}), {fit.errors.pairs} pairs, {report.engine}: {report.seconds} s")
    typer.echo(f"in use   {report.current_model}: travel time off by {_errors(cur)}")
    typer.echo(f"best fit circuity {fit.circuity:.3f}, {fit.speed_kmh:.1f} km/h: {_errors(fit.errors)}")
    typer.echo(f"settings: AJIB_TRAVEL_CIRCUITY={fit.circuity:.3f} AJIB_TRAVEL_SPEED_KMH={fit.speed_kmh:.1f}")
    if write:
        path = write_calibration(settings.roads_path, report, source=source)
        typer.echo(f"stored in {path}: the straight-line default uses it unless AJIB_TRAVEL_* say otherwise")
