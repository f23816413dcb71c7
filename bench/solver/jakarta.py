"""A synthetic but Jakarta-shaped day: 5 offices, 100 couriers, 2,000 jobs, generated from a seed.

It answers "does the solver cope with a whole city's day?", which the literature sets
(100-200 customers, Euclidean plane) cannot. Homes are drawn uniformly over the land of the
five kota (no population data exists, see the geodata SOURCES), each served by its kota's office;
the five offices are the five walikota offices, *assumed* to host the PTSP counters.
The day is a Friday: every courier takes lunch, most also Friday prayer.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import shape

from routing.problem import Break, Job, JobKind, Location, Problem, Task, TimeWindow, Vehicle

__all__ = ["JakartaDay", "jakarta_day"]

H = 3600
WINDOWS = (
    TimeWindow(8 * H, 10 * H),
    TimeWindow(10 * H, 12 * H),
    TimeWindow(13 * H, 15 * H),
    TimeWindow(15 * H, 17 * H),
)
SHIFT = TimeWindow(7 * H + 30 * 60, 17 * H + 30 * 60)
LUNCH = Break("lunch", (TimeWindow(11 * H, 14 * H),), 30 * 60)
FRIDAY_PRAYER = Break("jumatan", (TimeWindow(11 * H + 30 * 60, 11 * H + 45 * 60),), 75 * 60)
HOME_SERVICE = 5 * 60  # hand over, signature, photo
OFFICE_SERVICE = 60  # scan the bundle in or out at the counter
BOX_CAPACITY = 12  # document bundles in the motorbike box
# BPS regency codes of the five kota (Kepulauan Seribu, id3101, is islands: no motorbike routes)
KOTA = {
    "id3171": "JAKARTA SELATAN",
    "id3172": "JAKARTA TIMUR",
    "id3173": "JAKARTA PUSAT",
    "id3174": "JAKARTA BARAT",
    "id3175": "JAKARTA UTARA",
}
NOT_LAND = {"id3175555", "id3175888"}  # Danau Sunter lake pseudo-districts
NOT_KELURAHAN = {"id3174080888"}  # 'Prepedan', a non-standard code (see SOURCES.md)


@dataclass(frozen=True)
class JakartaDay:
    """The generated day and what it cost to build."""

    problem: Problem
    offices: tuple[str, ...]
    matrix_seconds: float  # time to build the travel matrix (HaversineTravel)
    seed: int


@lru_cache(maxsize=4)
def _kota_polygons(data_dir: Path) -> dict[str, object]:
    """Union of the land kelurahan polygons of each kota (cached: the GeoJSON is 2.4 MB)."""
    raw = json.loads((data_dir / "kelurahan_dki_jakarta_hdx_bps2020.geojson").read_text())
    parts: dict[str, list] = {code: [] for code in KOTA}
    for feature in raw["features"]:
        props = feature["properties"]
        if props["regency_code"] not in KOTA or props["district_code"] in NOT_LAND:
            continue
        if props["village_code"] in NOT_KELURAHAN:
            continue
        parts[props["regency_code"]].append(shape(feature["geometry"]))
    return {code: shapely.union_all(polys) for code, polys in parts.items()}


def _offices(data_dir: Path, polygons: dict[str, object]) -> dict[str, tuple[float, float]]:
    """(lon, lat) of each kota's walikota office; a point on the kota's surface if the file lacks one."""
    found: dict[str, tuple[float, float]] = {}
    path = data_dir / "kantor_pemerintahan_dki_jakarta.geojson"
    if path.is_file():
        for feature in json.loads(path.read_text())["features"]:
            name = str(feature["properties"].get("NAMOBJ", ""))
            for code, kota in KOTA.items():
                if name == f"KANTOR WALIKOTA {kota}":
                    lon, lat = feature["geometry"]["coordinates"][:2]
                    found[code] = (float(lon), float(lat))
    for code, poly in polygons.items():
        if code not in found:
            p = poly.point_on_surface()
            found[code] = (p.x, p.y)
    return found


def _homes(rng: np.random.Generator, polygon, n: int) -> np.ndarray:
    """``n`` (lon, lat) points uniform inside ``polygon`` (rejection sampling in its bounds)."""
    minx, miny, maxx, maxy = polygon.bounds
    shapely.prepare(polygon)
    out: list[np.ndarray] = [np.empty((0, 2))]
    count = 0
    while count < n:
        xy = rng.uniform((minx, miny), (maxx, maxy), size=(2 * n, 2))
        keep = xy[shapely.contains_xy(polygon, xy[:, 0], xy[:, 1])]
        out.append(keep)
        count += len(keep)
    return np.concatenate(out)[:n]


def _apportion(total: int, weights: np.ndarray) -> np.ndarray:
    """Split ``total`` in proportion to ``weights`` (largest remainder), at least 1 each when possible."""
    share = total * weights / max(weights.sum(), 1)
    out = np.maximum(np.floor(share).astype(int), 1 if total >= len(weights) else 0)
    for i in np.argsort(-(share - np.floor(share))):
        if out.sum() >= total:
            break
        out[i] += 1
    while out.sum() > total:
        out[np.argmax(out)] -= 1
    return out


def jakarta_day(data_dir: str | Path, seed: int = 1, jobs: int = 2000, couriers: int = 100, travel=None) -> JakartaDay:
    """Generate the day deterministically from ``seed``.

    Parameters
    ----------
    data_dir
        ``<shared>/data/jakarta`` (kelurahan polygons, government office points).
    seed
        Same seed, same day.
    jobs, couriers
        Homes are uniform over the city's land, so each kota gets jobs in proportion to its
        area; each office gets couriers in proportion to its jobs.
    travel
        A ``TravelModel``; defaults to ``HaversineTravel()`` (the product's default).

    Returns
    -------
    JakartaDay
        The problem (offices are locations 0-4), and the matrix build time.
    """
    from routing.travel import HaversineTravel

    data_dir = Path(data_dir)
    rng = np.random.default_rng(seed)
    polygons = _kota_polygons(data_dir)
    offices = _offices(data_dir, polygons)
    codes = sorted(KOTA)
    locations = [Location(id=f"office-{code}", lat=offices[code][1], lon=offices[code][0]) for code in codes]
    job_list: list[Job] = []
    vehicles: list[Vehicle] = []
    # homes uniform over the city's land: each kota gets jobs in proportion to its area, and
    # couriers in proportion to its jobs (an office is staffed for its load)
    areas = np.array([polygons[code].area for code in codes])
    job_counts = rng.multinomial(jobs, areas / areas.sum())
    courier_counts = _apportion(couriers, job_counts)
    for k, code in enumerate(codes):
        n_jobs = int(job_counts[k])
        skill = frozenset({f"office:{code}"})
        for lon, lat in _homes(rng, polygons[code], n_jobs):
            home = len(locations)
            locations.append(Location(id=f"home-{home}", lat=float(lat), lon=float(lon)))
            window = WINDOWS[int(rng.integers(len(WINDOWS)))]
            at_home = Task(home, (window,), HOME_SERVICE)
            at_office = Task(k, (), OFFICE_SERVICE)
            bundle = (2,) if rng.random() < 0.15 else (1,)
            if rng.random() < 0.5:  # collect the applicant's documents, bring them to the office
                job = Job(f"J{home:05d}", JobKind.PICKUP, at_home, at_office, bundle, skills=skill)
            else:  # bring an issued permit from the office to the applicant
                job = Job(f"J{home:05d}", JobKind.DELIVERY, at_office, at_home, bundle, skills=skill)
            job_list.append(job)
        for c in range(int(courier_counts[k])):
            prays = rng.random() < 0.7
            vehicles.append(
                Vehicle(
                    id=f"{code}-{c:02d}",
                    start=k,
                    end=k,
                    shift=SHIFT,
                    capacity=(BOX_CAPACITY,),
                    breaks=(LUNCH, FRIDAY_PRAYER) if prays else (LUNCH,),
                    skills=skill,
                )
            )
    travel = travel or HaversineTravel()
    t0 = time.perf_counter()
    matrix = travel.matrix(locations)
    built = time.perf_counter() - t0
    problem = Problem(tuple(locations), tuple(vehicles), tuple(job_list), {vehicles[0].profile: matrix})
    return JakartaDay(problem, tuple(codes), built, seed)
