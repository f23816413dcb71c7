"""Valhalla: ``sources_to_targets`` for matrices, ``route`` for the lines, over HTTP or in-process.

``ValhallaEngine`` talks to a ``valhalla_service`` (ours on loopback, or any Valhalla server);
``EmbeddedValhalla`` asks pyvalhalla's ``Actor`` in this process, on tiles built by
``valhalla_build_tiles``, with the same requests and answers. The default costing is
``motor_scooter``: Valhalla keeps it off motorways (Indonesia's jalan tol are closed to motorbikes
even where the map does not say so), which its ``motorcycle`` costing does not.
"""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import numpy as np
import polyline

from routing.roads.base import LatLon, RoadEngine, RouteRefused
from routing.roads.http import HttpClientMixin
from routing.travel import TravelError

__all__ = ["DEFAULT_COSTING", "EmbeddedValhalla", "ValhallaEngine"]

DEFAULT_COSTING = "motor_scooter"
# Valhalla error codes about the points (no road near one, unconnected regions, no path), not the server.
_REFUSALS = range(170, 173), range(440, 450)


def _refused(code: object) -> bool:
    return isinstance(code, int) and any(code in r for r in _REFUSALS)


def _points(ll: np.ndarray | list[LatLon]) -> list[dict[str, float]]:
    return [{"lat": round(float(lat), 6), "lon": round(float(lon), 6)} for lat, lon in ll]


@dataclass(frozen=True, kw_only=True)
class _Valhalla(RoadEngine):
    costing: str = DEFAULT_COSTING
    costing_options: Mapping[str, Any] = field(default_factory=dict)
    max_pairs: int | None = 2500

    def _call(self, action: str, request: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def _request(self, extra: dict[str, Any]) -> dict[str, Any]:
        req: dict[str, Any] = {"costing": self.costing, **extra}
        if self.costing_options:
            req["costing_options"] = {self.costing: dict(self.costing_options)}
        return req

    def _block(self, sources: np.ndarray, targets: np.ndarray, same: bool) -> tuple[np.ndarray, np.ndarray]:
        src = _points(sources)
        req = self._request({"sources": src, "targets": src if same else _points(targets), "verbose": False})
        table = self._call("sources_to_targets", req)["sources_to_targets"]
        seconds = np.array([[np.nan if x is None else x for x in row] for row in table["durations"]], dtype=np.float64)
        km = np.array([[np.nan if x is None else x for x in row] for row in table["distances"]], dtype=np.float64)
        return seconds, km * 1000.0

    def _legs(self, points: list[LatLon]) -> list[list[LatLon]]:
        locations = [{**p, "type": "break"} for p in _points(points)]
        req = self._request({"locations": locations, "shape_format": "polyline6", "directions_type": "none"})
        legs = self._call("route", req)["trip"]["legs"]
        return [[(float(a), float(b)) for a, b in polyline.decode(leg["shape"], 6)] for leg in legs]


@dataclass(frozen=True, kw_only=True)
class ValhallaEngine(HttpClientMixin, _Valhalla):
    """A Valhalla server (``valhalla_service``), e.g. ``http://127.0.0.1:8002``.

    ``max_pairs`` is the server's ``service_limits.<costing>.max_matrix_location_pairs``.
    """

    base_url: str
    timeout_s: float = 30.0
    headers: Mapping[str, str] = field(default_factory=dict)

    kind = "valhalla"

    def _call(self, action: str, request: dict[str, Any]) -> dict[str, Any]:
        try:
            r = self._http().post(self._url(action), json=request)
        except httpx.HTTPError as e:
            raise TravelError(f"valhalla request to {self.base_url} failed: {e}") from e
        body: dict[str, Any]
        try:
            answer = r.json()
            body = answer if isinstance(answer, dict) else {}
        except ValueError:
            body = {}
        if r.status_code >= 400 or "error_code" in body:
            message = f"valhalla answered {r.status_code}: {body.get('error_code')} {body.get('error', r.text[:200])}"
            raise (RouteRefused if _refused(body.get("error_code")) else TravelError)(message)
        return body

    def describe(self) -> str:
        return f"valhalla {self.base_url}"


_POOL_LOCK = threading.Lock()
_ACTOR_METHODS = {"sources_to_targets": "matrix"}  # the HTTP action's name on pyvalhalla's Actor


class _ActorPool:
    """Actors opened on demand, at most ``size``; a borrower waits for a free one."""

    def __init__(self, config: str, size: int) -> None:
        self._config = config
        self._free: queue.LifoQueue[Any] = queue.LifoQueue()
        self._slots = threading.Semaphore(size)

    def take(self) -> Any:
        self._slots.acquire()
        try:
            return self._free.get_nowait()
        except queue.Empty:
            pass
        try:
            import valhalla
        except ImportError as e:  # pragma: no cover - depends on the interpreter
            self._slots.release()
            raise TravelError("the embedded road engine needs pyvalhalla (CPython >= 3.12)") from e
        try:
            return valhalla.Actor(self._config)
        except Exception as e:
            self._slots.release()
            raise TravelError(f"cannot open the road tiles of {self._config}: {e}") from e

    def give(self, actor: Any) -> None:
        self._free.put(actor)
        self._slots.release()


@dataclass(frozen=True, kw_only=True)
class EmbeddedValhalla(_Valhalla):
    """Valhalla in this process (pyvalhalla's ``Actor``; CPython >= 3.12), on tiles on disk.

    Parameters
    ----------
    config
        Path of the Valhalla configuration written by ``valhalla_config`` (it names the tiles).

    Up to ``concurrency`` actors answer at once, one request each (an actor is not thread-safe);
    pickling drops them, so a solve's worker process opens its own.
    """

    config: str
    max_pairs: int | None = 250_000

    kind = "embedded"

    @contextmanager
    def _actor(self) -> Iterator[Any]:
        """Borrow one of at most ``concurrency`` actors (each keeps its own cache of decoded tiles)."""
        pool = self.__dict__.get("_pool")
        if pool is None:
            with _POOL_LOCK:
                pool = self.__dict__.get("_pool")
                if pool is None:
                    pool = _ActorPool(self.config, max(self.concurrency, 1))
                    object.__setattr__(self, "_pool", pool)
        actor = pool.take()
        try:
            yield actor
        finally:
            pool.give(actor)

    def _call(self, action: str, request: dict[str, Any]) -> dict[str, Any]:
        with self._actor() as actor:
            try:
                answer = getattr(actor, _ACTOR_METHODS.get(action, action))(json.dumps(request))
            except RuntimeError as e:  # valhalla.ValhallaError
                text = str(e)
                refused = _refused(getattr(e, "code", None)) or any(
                    s in text for s in ("unconnected regions", "No suitable edges", "No path could be found")
                )
                raise (RouteRefused if refused else TravelError)(f"valhalla: {text}") from e
        body: dict[str, Any] = json.loads(answer)
        return body

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.pop("_pool", None)
        return state

    def describe(self) -> str:
        return f"embedded valhalla ({self.config})"
