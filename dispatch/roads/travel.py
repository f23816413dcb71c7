"""The one travel model of the product: plans, slot checks, re-plans, ETAs and map lines all ask it.

``travel_for(settings)`` reads ``AJIB_TRAVEL`` once per process and returns a ``ProductTravel``:

* a road engine (embedded Valhalla on ``ajib roads build`` tiles, or an OSRM / Valhalla server),
  whose matrices are kept per office-day (``MatrixCache``: a new booking costs a row and a column);
* the straight-line model behind it, calibrated (``ajib roads calibrate --write``) or at the
  defaults, which answers whenever the road engine fails: a booking never fails because a road
  service is down, and what answered is returned beside every matrix (``TravelNote``) so plans
  record it and the board shows it.

It pickles (solves run in spawned processes): engines drop their connections and actors, caches stay
in the process that built them.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dispatch.config import BUSINESS_TZ
from dispatch.roads import health
from dispatch.roads.tiles import CONFIG_NAME, current_build
from routing import (
    JAKARTA_MOTORBIKE_KMH,
    EmbeddedValhalla,
    HaversineTravel,
    Location,
    Matrix,
    MatrixCache,
    OsrmEngine,
    RoadEngine,
    TravelError,
    TravelModel,
    ValhallaEngine,
    scaled_profile,
)

if TYPE_CHECKING:
    from dispatch.config import Settings

__all__ = ["CALIBRATION_NAME", "ProductTravel", "TravelNote", "day_matrix", "straight_line", "travel_for"]

log = logging.getLogger(__name__)

CALIBRATION_NAME = "calibration.json"
DEFAULT_CIRCUITY = 1.35
DEFAULT_SPEED_KMH = 22.0
LatLon = tuple[float, float]


@dataclass(frozen=True)
class TravelNote:
    """Which model gave a set of travel times, and why it is not the configured one if it is not."""

    source: str  # haversine | embedded | valhalla | osrm
    configured: str
    warning: str | None = None

    @property
    def fallback(self) -> bool:
        return self.source != self.configured

    def as_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "configured": self.configured,
            "fallback": self.fallback,
            "warning": self.warning,
        }


def _calibration(roads_dir: Path) -> dict[str, float]:
    try:
        data = json.loads((roads_dir / CALIBRATION_NAME).read_text())
        return {k: float(data[k]) for k in ("circuity", "speed_kmh")}
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def straight_line(settings: Settings) -> HaversineTravel:
    """The straight-line model: settings, else the stored calibration, else 1.35 x great circle at 22 km/h."""
    stored = _calibration(settings.roads_path)
    circuity = settings.travel_circuity or stored.get("circuity", DEFAULT_CIRCUITY)
    speed = settings.travel_speed_kmh or stored.get("speed_kmh", DEFAULT_SPEED_KMH)
    profile = scaled_profile(speed, JAKARTA_MOTORBIKE_KMH) if settings.travel_hourly else None
    return HaversineTravel(circuity=circuity, speed_kmh=speed, speed_profile=profile)


def _engine(settings: Settings) -> tuple[str, RoadEngine | None]:
    """The configured mode and its engine (``auto``: embedded when tiles exist and pyvalhalla imports)."""
    mode = settings.travel
    common: dict[str, Any] = {"concurrency": settings.travel_concurrency}
    if mode == "auto":
        mode = "embedded" if current_build(settings.roads_path) is not None and _has_valhalla() else "haversine"
    if mode == "haversine":
        return mode, None
    if mode == "embedded":
        if settings.travel_max_pairs:
            common["max_pairs"] = settings.travel_max_pairs
        config = settings.roads_path / CONFIG_NAME
        return mode, EmbeddedValhalla(config=str(config), costing=settings.travel_profile or "motor_scooter", **common)
    if not settings.travel_url:
        raise ValueError(f"AJIB_TRAVEL={mode} needs AJIB_TRAVEL_URL (the server's root URL)")
    common["timeout_s"] = settings.travel_timeout_s
    if mode == "osrm":
        if settings.travel_max_locations:
            common["max_locations"] = settings.travel_max_locations
        return mode, OsrmEngine(base_url=settings.travel_url, profile=settings.travel_profile or "driving", **common)
    if settings.travel_max_pairs:
        common["max_pairs"] = settings.travel_max_pairs
    return mode, ValhallaEngine(
        base_url=settings.travel_url, costing=settings.travel_profile or "motor_scooter", **common
    )


def _has_valhalla() -> bool:
    try:
        import valhalla  # noqa: F401
    except ImportError:
        return False
    return True


# Matrices per (engine, office-day): a handful of office-days per process, each up to 2,500 points, and
# on disk for the other processes (roads/matrices/<build>/<scope>.npz; files unused for a week go).
_CACHES: OrderedDict[tuple[Hashable, ...], MatrixCache] = OrderedDict()
_CACHES_LOCK = threading.Lock()
_CACHES_KEPT = 6
_STORE_DAYS = 7


def _store_path(store_dir: Path | None, build: str, scope: Hashable) -> Path | None:
    if store_dir is None:
        return None
    ident = hashlib.sha256(build.encode()).hexdigest()[:16]
    name = "-".join(str(part) for part in (scope if isinstance(scope, tuple) else (scope,)))
    return store_dir / "matrices" / ident / f"{name}.npz"


def _prune(store_dir: Path) -> None:
    """Drop stored matrices nobody used for a week (past days, old tile builds)."""
    cutoff = time.time() - _STORE_DAYS * 86_400
    for path in (store_dir / "matrices").glob("*/*.npz"):
        with contextlib.suppress(OSError):
            if path.stat().st_mtime < cutoff:
                path.unlink()


def _cache(engine: health.Guarded, key: tuple[Hashable, ...], store: Path | None) -> MatrixCache:
    with _CACHES_LOCK:
        cache = _CACHES.get(key)
        if cache is None:
            cache = _CACHES[key] = MatrixCache(engine, store=store)
        _CACHES.move_to_end(key)
        while len(_CACHES) > _CACHES_KEPT:
            _CACHES.popitem(last=False)
        return cache


class ProductTravel:
    """The configured road engine with the straight-line model behind it (``TravelModel``)."""

    def __init__(
        self,
        *,
        configured: str,
        engine: RoadEngine | None,
        straight: HaversineTravel,
        build: str,
        store_dir: Path | None = None,
    ) -> None:
        self.configured = configured
        self.engine = engine
        self.guarded = health.Guarded(engine) if engine is not None else None  # what requests ask
        self.straight = straight
        self.build = build  # tile build id (embedded) or server URL: matrices of another build are not reused
        self.store_dir = store_dir  # where office-day matrices are shared between processes

    @property
    def follows_roads(self) -> bool:
        return self.engine is not None

    def _fallback(self, error: TravelError) -> TravelNote:
        return TravelNote("haversine", self.configured, str(error))

    def _ok(self) -> TravelNote:
        return TravelNote(self.configured, self.configured)

    def matrix(self, locations: Sequence[Location]) -> Matrix:
        return self.day_matrix(locations)[0]

    def day_matrix(
        self, locations: Sequence[Location], scope: Hashable | None = None, transient: Sequence[int] = ()
    ) -> tuple[Matrix, TravelNote]:
        """The matrix of ``locations`` and what made it; ``scope`` (office id, day) keeps it for the next call,
        except the points at ``transient`` positions (a candidate home, couriers' positions)."""
        if self.engine is None:
            return self.straight.matrix(locations), TravelNote("haversine", "haversine")
        assert self.guarded is not None
        try:
            if scope is None:
                return self.guarded.matrix(locations), self._ok()
            cache = _cache(self.guarded, (self.build, scope), _store_path(self.store_dir, self.build, scope))
            return cache.matrix(locations, transient=transient), self._ok()
        except TravelError as e:
            return self.straight.matrix(locations), self._fallback(e)

    def at(self, when: datetime) -> TravelModel:
        """The model for a ride starting at ``when``: the road engine, or straight lines at that hour's speed."""
        return _AtHour(self, when.astimezone(BUSINESS_TZ).hour)

    def legs(self, points: Sequence[LatLon]) -> tuple[list[list[LatLon]], TravelNote]:
        """The line of each leg between consecutive ``points``: along the roads, else straight."""
        if self.engine is None:
            return self.straight.legs(points), TravelNote("haversine", "haversine")
        assert self.guarded is not None
        try:
            return self.guarded.legs(points), self._ok()
        except TravelError as e:
            return self.straight.legs(points), self._fallback(e)

    def status(self, near: LatLon | None = None) -> TravelNote:
        """What the board shows: the configured model, and a warning while the road engine does not answer."""
        if self.engine is None:
            return TravelNote("haversine", "haversine")
        problem: str | None
        if near is not None:
            problem = health.probe(self.engine, *near)
        else:
            failure = health.last_failure(self.engine.describe())
            problem = failure.message if failure is not None else None
        if problem is None:
            return TravelNote(self.configured, self.configured)
        return TravelNote("haversine", self.configured, problem)


class _AtHour:
    def __init__(self, travel: ProductTravel, hour: int) -> None:
        self.travel, self.hour = travel, hour

    def matrix(self, locations: Sequence[Location]) -> Matrix:
        if self.travel.engine is not None:
            matrix, note = self.travel.day_matrix(locations)
            if not note.fallback:
                return matrix
        return self.travel.straight.at_hour(self.hour).matrix(locations)


_PRODUCT: dict[tuple[Hashable, ...], ProductTravel] = {}
_PRODUCT_LOCK = threading.Lock()


def travel_for(settings: Settings) -> ProductTravel:
    """The product's travel model for these settings (one per process and configuration)."""
    mode, engine = _engine(settings)
    build = current_build(settings.roads_path) if mode == "embedded" else None
    straight = straight_line(settings)
    ident = build.build_id if build is not None else getattr(engine, "base_url", "")
    key = (mode, repr(engine), ident, repr(straight))
    with _PRODUCT_LOCK:
        travel = _PRODUCT.get(key)
        if travel is None:
            travel = _PRODUCT[key] = ProductTravel(
                configured=mode, engine=engine, straight=straight, build=ident, store_dir=settings.roads_path
            )
            if engine is not None:
                _prune(settings.roads_path)
        return travel


def day_matrix(
    travel: TravelModel, locations: Sequence[Location], *, scope: Hashable | None = None, transient: Sequence[int] = ()
) -> tuple[Matrix, TravelNote]:
    """``travel``'s matrix and note; a plain ``TravelModel`` (tests, scripts) is its own source."""
    if isinstance(travel, ProductTravel):
        return travel.day_matrix(locations, scope, transient)
    kind = str(getattr(travel, "kind", type(travel).__name__))
    return travel.matrix(locations), TravelNote(kind, kind)
