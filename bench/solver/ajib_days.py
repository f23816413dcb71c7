"""The AJIB office-day family (issue 16): the problem the product exists for, as VROOM JSON, one day per seed.

The literature sets (Solomon, Li & Lim) and the synthetic Jakarta day hide how our engine does on a real
AJIB office day, so this generator builds many of those days, never one to tune on:

* **One office per problem.** ``office``: a kecamatan PTSP office, 8-12 couriers, 100-150 jobs; ``kota``: a
  walikota office, 23-27 couriers, 370-430 jobs; ``city``: several kecamatan offices solved together (each
  office-shaped, jobs tied to their office by a skill), ``CITY_OFFICES`` of them.
* **Jobs** are pickups (documents home -> office: a VROOM job with a ``pickup`` amount, carried to the route's
  end) and deliveries (issued permit office -> home: a ``delivery`` amount, loaded at the start) mixed on one
  route; each office draws its own pickup share in 35-65 %.
* **Capacity** is one box of 10-20 units per office, bundles are 1-3 units, so the total demand is usually
  above what the fleet carries in one trip each (``info["demand"]`` vs ``info["fleet_capacity"]``).
* **Windows** are the four booked 2-hour slots (08-10, 10-12, 13-15, 15-17), loaded unevenly per office
  (Dirichlet weights). Shifts are 9 hours from 08:00; about a quarter of the couriers start 30 min late.
* **Breaks** (variant ``breaks`` only): lunch, 45 min inside 11:30-13:30; on Fridays most couriers take
  Friday prayer instead, 75 min inside 11:30-13:00. The weekday is ``seed % 5`` (Monday = 0), so every
  five seeds hold one Friday. The ``plain`` variant is the same day without breaks (PyVRP has none).
* **Priority**: about 1 job in 12 has priority 100, the rest 0.
* **Trips** (variants ``trips`` and ``trips-breaks``): the same day as the product plans it. Every bundle
  passes through the office as a task of its own job (a VROOM ``shipment``: documents collected at home and
  handed to the clerk, 2 min a bundle; permits taken from the clerk and brought home), so a courier may go
  back to the office mid-day and the box holds what is on the bike *now*, not the whole day's deliveries.
  ``trips`` has no breaks, ``trips-breaks`` the ``breaks`` variant's.
* **Travel**: the product's default ``routing.travel.HaversineTravel()`` (great-circle x circuity at the
  motorbike speed) as an explicit ``matrices`` entry, so every solver sees the same integer seconds/metres.
* **Places**: real office points (``KANTOR CAMAT`` / ``KANTOR WALIKOTA`` in the shared Jakarta geodata) and
  homes uniform over the land kelurahan of the office's kecamatan (kota for ``kota``). Without the geodata,
  homes fall uniformly in a disc around a point in central Jakarta (``info["geodata"]`` says which).

**Seeds.** Seeds 0-9 are the *reporting* seeds (``REPORTING_SEEDS``): held out, the figures in the README
and ``docs/benchmarks.md`` come from them and nothing is tuned on them. Tune on seeds 100 and up
(``TUNING_SEEDS_FROM``). The same (size, seed) always gives the same day: the random stream is seeded with
both, and the geodata are read in a fixed order.

``python -m bench.solver.ajib_days --size office --seed 100 --variant breaks -o day.json`` writes one day
for ``ajib solve day.json`` (or VROOM itself).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from routing.problem import Location
from routing.travel import HaversineTravel

__all__ = [
    "CITY_OFFICES",
    "REPORTING_SEEDS",
    "SHAPES",
    "SIZES",
    "TUNING_SEEDS_FROM",
    "VARIANTS",
    "WITH_BREAKS",
    "AjibDay",
    "ajib_day",
    "ajib_days",
]

SIZES = ("office", "kota", "city")
VARIANTS = ("plain", "breaks", "trips", "trips-breaks")
WITH_BREAKS = ("breaks", "trips-breaks")
REPORTING_SEEDS = range(10)  # held out: report on these, never tune on them
TUNING_SEEDS_FROM = 100  # tune on seeds 100, 101, ...

H = 3600
MIN = 60
WINDOWS = ((8 * H, 10 * H), (10 * H, 12 * H), (13 * H, 15 * H), (15 * H, 17 * H))
WINDOW_SPREAD = 4.0  # Dirichlet concentration of the slots' loads per office: uneven (10-45 %), never all in one
SHIFT_START = 8 * H
SHIFT_LENGTH = 9 * H
LATE_START = 30 * MIN
LATE_SHARE = 0.25
LUNCH = ("lunch", 45 * MIN, (11 * H + 30 * MIN, 13 * H + 30 * MIN))  # name, length, must lie inside
FRIDAY_PRAYER = ("jumatan", 75 * MIN, (11 * H + 30 * MIN, 13 * H))
PRAYING_SHARE = 0.8  # of couriers on a Friday; the others take lunch
FRIDAY = 4  # weekday = seed % 5, Monday = 0
HOME_SERVICE = 5 * MIN  # hand over, signature, photo
OFFICE_SERVICE = 2 * MIN  # one bundle handed to (or taken from) the clerk: dispatch.planning's OFFICE_HANDLING_S
BUNDLE_UNITS = (1, 2, 3)
BUNDLE_P = (0.65, 0.25, 0.10)
CAPACITY = (10, 20)  # one box per office, inclusive
PICKUP_SHARE = (0.35, 0.65)
HIGH_PRIORITY = 100
HIGH_PRIORITY_SHARE = 1 / 12
PROFILE = "motorbike"


@dataclass(frozen=True)
class Shape:
    """Couriers and jobs of one office, each an inclusive range drawn per office."""

    couriers: tuple[int, int]
    jobs: tuple[int, int]


SHAPES = {"office": Shape((8, 12), (100, 150)), "kota": Shape((23, 27), (370, 430))}
# Not part of the family: a day small enough for smoke tests (tests/unit/bench), shaped like an office.
TINY = Shape((2, 3), (15, 20))
# A city day: this many office-shaped kecamatan offices solved together (500-2,250 jobs). The issue's
# 5-45 offices is Jakarta's whole day; beyond ~15 offices (2,000+ jobs) is past the 60 s / 2 GB city-day
# target the bench measures, so the bench draws from this range (ajib_day(..., city_offices=) takes any).
CITY_OFFICES = (5, 15)
_SIZE_CODE = {"office": 1, "kota": 2, "city": 3, "tiny": 9}

# the Jakarta geodata (see <shared>/data/jakarta/SOURCES.md)
KELURAHAN = "kelurahan_dki_jakarta_hdx_bps2020.geojson"
OFFICES = "kantor_pemerintahan_dki_jakarta.geojson"
NOT_LAND = {"id3175555", "id3175888"}  # Danau Sunter lake pseudo-districts
NOT_KELURAHAN = {"id3174080888"}  # 'Prepedan', a non-standard code
ISLANDS = "id3101"  # Kepulauan Seribu: no motorbike routes
FALLBACK_CENTRE = (106.8272, -6.1754)  # (lon, lat), Monas
FALLBACK_RADIUS_KM = {"office": 3.0, "kota": 8.0, "city": 3.0, "tiny": 2.0}


@dataclass(frozen=True)
class AjibDay:
    """One generated day: the VROOM request (``ajib solve``'s input) and what it is made of."""

    name: str  # e.g. "office-s3-breaks"
    size: str
    seed: int
    variant: str
    request: dict[str, Any]
    info: dict[str, Any] = field(default_factory=dict)

    def json(self) -> str:
        """The request as JSON text (what ``ajib solve`` reads)."""
        return json.dumps(self.request, separators=(",", ":"))


@dataclass(frozen=True)
class _Office:
    name: str
    lon: float
    lat: float
    area: Any  # shapely geometry of the homes' land, or None for the fallback disc


@lru_cache(maxsize=2)
def _geodata(data_dir: Path) -> tuple[list[_Office], list[_Office]] | None:
    """(kecamatan offices, walikota offices) with the land their homes are drawn on; ``None`` if absent."""
    kel_path, off_path = data_dir / KELURAHAN, data_dir / OFFICES
    if not (kel_path.is_file() and off_path.is_file()):
        return None
    import shapely
    from shapely.geometry import Point, shape

    districts: dict[str, list[Any]] = {}
    regencies: dict[str, list[Any]] = {}
    for feature in json.loads(kel_path.read_text())["features"]:
        p = feature["properties"]
        if p["regency_code"] == ISLANDS or p["district_code"] in NOT_LAND or p["village_code"] in NOT_KELURAHAN:
            continue
        geom = shape(feature["geometry"])
        districts.setdefault(p["district_code"], []).append(geom)
        regencies.setdefault(p["regency_code"], []).append(geom)
    district_land = {code: shapely.union_all(g) for code, g in sorted(districts.items())}
    regency_land = {code: shapely.union_all(g) for code, g in sorted(regencies.items())}

    camat: dict[str, _Office] = {}
    walikota: dict[str, _Office] = {}
    for feature in json.loads(off_path.read_text())["features"]:
        name = str(feature["properties"].get("NAMOBJ") or "").strip()
        lon, lat = (float(c) for c in feature["geometry"]["coordinates"][:2])
        point = Point(lon, lat)
        if name.startswith("KANTOR CAMAT "):
            for code, land in district_land.items():
                if code not in camat and land.covers(point):
                    camat[code] = _Office(name.title(), lon, lat, land)
                    break
        elif name.startswith("KANTOR WALIKOTA "):
            for code, land in regency_land.items():
                if code not in walikota and land.covers(point):
                    walikota[code] = _Office(name.title(), lon, lat, land)
                    break
    return [camat[c] for c in sorted(camat)], [walikota[c] for c in sorted(walikota)]


def _homes_in(rng: np.random.Generator, area: Any, n: int) -> np.ndarray:
    """``n`` (lon, lat) points uniform over ``area`` (rejection sampling in its bounds)."""
    import shapely

    minx, miny, maxx, maxy = area.bounds
    shapely.prepare(area)
    out: list[np.ndarray] = []
    count = 0
    while count < n:
        xy = rng.uniform((minx, miny), (maxx, maxy), size=(max(2 * n, 16), 2))
        keep = xy[shapely.contains_xy(area, xy[:, 0], xy[:, 1])]
        out.append(keep)
        count += len(keep)
    return np.concatenate(out)[:n]


def _homes_in_disc(rng: np.random.Generator, lon: float, lat: float, radius_km: float, n: int) -> np.ndarray:
    r = radius_km * np.sqrt(rng.uniform(size=n))
    a = rng.uniform(0, 2 * np.pi, size=n)
    dlat = r * np.sin(a) / 111.32
    dlon = r * np.cos(a) / (111.32 * np.cos(np.radians(lat)))
    return np.column_stack((lon + dlon, lat + dlat))


def _pick_offices(rng: np.random.Generator, size: str, count: int, data_dir: Path | None) -> list[_Office]:
    geo = _geodata(data_dir) if data_dir is not None else None
    if geo is not None:
        pool = geo[1] if size == "kota" else geo[0]
        if len(pool) >= count:
            return [pool[int(i)] for i in sorted(rng.choice(len(pool), size=count, replace=False))]
    # no geodata: offices spread around central Jakarta, homes in a disc around each
    out = []
    for k in range(count):
        dx, dy = rng.uniform(-0.08, 0.08, size=2)
        out.append(_Office(f"Office {k + 1} (synthetic)", FALLBACK_CENTRE[0] + dx, FALLBACK_CENTRE[1] + dy, None))
    return out


def _break(vid: int, kind: tuple[str, int, tuple[int, int]]) -> dict[str, Any]:
    name, length, (start, end) = kind
    return {"id": vid * 10 + 1, "description": name, "time_windows": [[start, end - length]], "service": length}


def ajib_days(
    size: str, seed: int, data_dir: str | Path | None = None, *, city_offices: tuple[int, int] = CITY_OFFICES
) -> dict[str, AjibDay]:
    """Every variant of one day: ``{"plain": ..., "breaks": ..., "trips": ..., "trips-breaks": ...}``, the same
    homes, windows, bundles and couriers (``trips``: the jobs as shipments through their office).

    Parameters
    ----------
    size
        ``office``, ``kota`` or ``city`` (see the module docstring); ``tiny`` for smoke tests.
    seed
        Same (size, seed), same day. Report on ``REPORTING_SEEDS`` (0-9); tune on 100 and up.
    data_dir
        ``<shared>/data/jakarta``; ``None`` or missing files give synthetic office points and disc homes.
    city_offices
        Inclusive range of the number of offices of a ``city`` day.
    """
    if size not in (*SIZES, "tiny"):
        raise ValueError(f"size {size!r}: choose from {', '.join(SIZES)} (or tiny, for tests)")
    rng = np.random.default_rng([_SIZE_CODE[size], seed])
    weekday = seed % 5
    friday = weekday == FRIDAY
    n_offices = int(rng.integers(city_offices[0], city_offices[1] + 1)) if size == "city" else 1
    shape = TINY if size == "tiny" else SHAPES["kota" if size == "kota" else "office"]
    offices = _pick_offices(rng, size, n_offices, Path(data_dir) if data_dir is not None else None)
    skills = n_offices > 1

    coords: list[tuple[float, float]] = [(o.lon, o.lat) for o in offices]  # locations 0..k-1 are the offices
    jobs: list[dict[str, Any]] = []
    vehicles: list[dict[str, Any]] = []
    office_info = []
    office_of: dict[int, int] = {}  # job id -> its office's location
    for k, office in enumerate(offices):
        n_jobs = int(rng.integers(shape.jobs[0], shape.jobs[1] + 1))
        n_couriers = int(rng.integers(shape.couriers[0], shape.couriers[1] + 1))
        capacity = int(rng.integers(CAPACITY[0], CAPACITY[1] + 1))
        pickup_share = float(rng.uniform(*PICKUP_SHARE))
        window_weights = rng.dirichlet([WINDOW_SPREAD] * len(WINDOWS))
        if office.area is not None:
            homes = _homes_in(rng, office.area, n_jobs)
        else:
            homes = _homes_in_disc(rng, office.lon, office.lat, FALLBACK_RADIUS_KM[size], n_jobs)
        windows = rng.choice(len(WINDOWS), size=n_jobs, p=window_weights)
        bundles = rng.choice(BUNDLE_UNITS, size=n_jobs, p=BUNDLE_P)
        is_pickup = rng.random(n_jobs) < pickup_share
        high = rng.random(n_jobs) < HIGH_PRIORITY_SHARE
        demand = 0
        for i in range(n_jobs):
            loc = len(coords)
            lon, lat = float(homes[i, 0]), float(homes[i, 1])
            coords.append((lon, lat))
            job_id = len(jobs) + 1
            kind = "pickup" if is_pickup[i] else "delivery"
            job: dict[str, Any] = {
                "id": job_id,
                "description": f"{kind} {office.name}",
                "location": [round(lon, 6), round(lat, 6)],
                "location_index": loc,
                "service": HOME_SERVICE,
                kind: [int(bundles[i])],
                "priority": HIGH_PRIORITY if high[i] else 0,
                "time_windows": [list(WINDOWS[int(windows[i])])],
            }
            if skills:
                job["skills"] = [k + 1]
            jobs.append(job)
            office_of[job_id] = k
            demand += int(bundles[i])
        late = rng.random(n_couriers) < LATE_SHARE
        prays = rng.random(n_couriers) < PRAYING_SHARE
        for c in range(n_couriers):
            vid = len(vehicles) + 1
            start = SHIFT_START + (LATE_START if late[c] else 0)
            vehicle: dict[str, Any] = {
                "id": vid,
                "description": f"{office.name} courier {c + 1}",
                "profile": PROFILE,
                "start": [round(office.lon, 6), round(office.lat, 6)],
                "start_index": k,
                "end": [round(office.lon, 6), round(office.lat, 6)],
                "end_index": k,
                "capacity": [capacity],
                "time_window": [start, start + SHIFT_LENGTH],
                "breaks": [_break(vid, FRIDAY_PRAYER if friday and prays[c] else LUNCH)],
            }
            if skills:
                vehicle["skills"] = [k + 1]
            vehicles.append(vehicle)
        office_info.append(
            {
                "office": office.name,
                "jobs": n_jobs,
                "couriers": n_couriers,
                "capacity": capacity,
                "demand": demand,
                "pickups": int(is_pickup.sum()),
                "late_starts": int(late.sum()),
                "window_jobs": [int((windows == w).sum()) for w in range(len(WINDOWS))],
            }
        )

    locations = [Location(id=str(i), lat=lat, lon=lon) for i, (lon, lat) in enumerate(coords)]
    matrix = HaversineTravel().matrix(locations)
    plain_vehicles = [{k: v for k, v in vehicle.items() if k != "breaks"} for vehicle in vehicles]
    matrices = {PROFILE: {"durations": matrix.durations.tolist(), "distances": matrix.distances.tolist()}}
    info = {
        "offices": len(offices),
        "office_names": [o.name for o in offices],
        "jobs": len(jobs),
        "couriers": len(vehicles),
        "pickups": sum(o["pickups"] for o in office_info),
        "high_priority": sum(1 for j in jobs if j["priority"]),
        "demand": sum(o["demand"] for o in office_info),
        "fleet_capacity": sum(o["capacity"] * o["couriers"] for o in office_info),
        "weekday": ("Mon", "Tue", "Wed", "Thu", "Fri")[weekday],
        "geodata": offices[0].area is not None,
        "travel": HaversineTravel().describe(),
        "per_office": office_info,
    }
    out = {}
    shipments = [_through_office(job, office_of) for job in jobs]
    for variant in VARIANTS:
        request: dict[str, Any] = {"vehicles": vehicles if variant in WITH_BREAKS else plain_vehicles}
        if variant.startswith("trips"):
            request["shipments"] = shipments
        else:
            request["jobs"] = jobs
        request["matrices"] = matrices
        out[variant] = AjibDay(f"{size}-s{seed}-{variant}", size, seed, variant, request, info)
    return out


def _through_office(job: dict[str, Any], office: dict[int, int]) -> dict[str, Any]:
    """``job`` as the product plans it: a shipment between the home and the office, the office end without a
    window (the clerk takes bundles all day) and ``OFFICE_SERVICE`` long."""
    home = {
        "id": job["id"],
        "location": job["location"],
        "location_index": job["location_index"],
        "service": job["service"],
        "time_windows": job["time_windows"],
    }
    clerk = {"id": job["id"], "location_index": office[job["id"]], "service": OFFICE_SERVICE}
    kind = "pickup" if "pickup" in job else "delivery"
    shipment: dict[str, Any] = {
        "amount": job[kind],
        "priority": job["priority"],
        "pickup": home if kind == "pickup" else clerk,
        "delivery": clerk if kind == "pickup" else home,
    }
    if "skills" in job:
        shipment["skills"] = job["skills"]
    return shipment


def ajib_day(size: str, seed: int, variant: str = "breaks", data_dir: str | Path | None = None) -> AjibDay:
    """One variant (``plain`` or ``breaks``) of the (size, seed) day; see ``ajib_days``."""
    if variant not in VARIANTS:
        raise ValueError(f"variant {variant!r}: choose from {', '.join(VARIANTS)}")
    return ajib_days(size, seed, data_dir)[variant]


def _default_data_dir() -> Path | None:
    try:
        from dispatch.config import get_settings

        path: Path = get_settings().shared_dir / "data" / "jakarta"
        return path
    except Exception:  # the generator works without the product's settings (synthetic places)
        return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write one AJIB office day as a VROOM request (ajib solve input).")
    parser.add_argument("--size", choices=SIZES, default="office")
    parser.add_argument("--seed", type=int, default=TUNING_SEEDS_FROM, help="0-9 are held out for reporting")
    parser.add_argument("--variant", choices=VARIANTS, default="breaks")
    parser.add_argument("--data-dir", type=Path, default=None, help="<shared>/data/jakarta (default: settings)")
    parser.add_argument("-o", "--output", type=Path, default=None, help="file (default: standard output)")
    args = parser.parse_args(argv)
    day = ajib_day(args.size, args.seed, args.variant, args.data_dir or _default_data_dir())
    text = day.json() + "\n"
    if args.output:
        args.output.write_text(text)
    else:
        sys.stdout.write(text)
    summary = {k: v for k, v in day.info.items() if k != "per_office"}
    print(f"{day.name}: {json.dumps(summary)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
