"""Whether the road engine answers: the last failure this process saw, and a cheap probe for the board.

A road service that stops answering mid-day must not stop bookings: every caller falls back to the
straight-line model. The dispatcher must see that, though, because plans and ETAs are then rougher.
Failures are recorded here (per process); the board asks ``probe`` (a two-point table with a short
timeout, cached for a few seconds), so the warning shows whichever process served the failed request
and disappears once the service answers again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TypeVar

import numpy as np

from dispatch.clock import utcnow
from routing import Location, Matrix, RoadEngine, TravelError

__all__ = ["Failure", "Guarded", "last_failure", "probe", "record_failure", "record_success"]

log = logging.getLogger(__name__)
T = TypeVar("T")

PROBE_TIMEOUT_S = 3.0
PROBE_TTL_S = 20.0
RETRY_S = 30.0  # after a failure, requests go straight to the fallback for this long (the board's probe does not)


@dataclass(frozen=True)
class Failure:
    engine: str
    message: str
    at: datetime


_lock = threading.Lock()
_failures: dict[str, Failure] = {}
_probes: dict[tuple[str, float, float], tuple[float, datetime, str | None]] = {}


def record_failure(engine: str, message: str) -> None:
    with _lock:
        first = engine not in _failures
        _failures[engine] = Failure(engine, message, utcnow())
    if first:
        log.warning("road engine %s failed, using straight-line travel times: %s", engine, message)


def record_success(engine: str) -> None:
    with _lock:
        gone = _failures.pop(engine, None)
    if gone is not None:
        log.warning("road engine %s answers again", engine)


def last_failure(engine: str) -> Failure | None:
    with _lock:
        return _failures.get(engine)


def probe(engine: RoadEngine, lat: float, lon: float) -> str | None:
    """None when ``engine`` answers a two-point table near (lat, lon), else why not.

    The answer is kept a few seconds, unless a request failed since: then the board asks again.
    """
    key = (engine.describe(), round(lat, 3), round(lon, 3))
    now = time.monotonic()
    with _lock:
        hit = _probes.get(key)
        failed = _failures.get(engine.describe())
    if hit is not None and now - hit[0] < PROBE_TTL_S and (failed is None or failed.at <= hit[1]):
        return hit[2]
    asked = utcnow()
    quick: RoadEngine = engine
    timeout = getattr(engine, "timeout_s", None)
    if timeout is not None:  # a server: do not wait the full request timeout to say it is down
        quick = replace(engine, timeout_s=min(timeout, PROBE_TIMEOUT_S))  # type: ignore[call-arg]
    try:
        quick.table(np.array([(lat, lon)]), np.array([(lat + 0.002, lon + 0.002)]))
        problem = None
        record_success(engine.describe())
    except TravelError as e:
        problem = str(e)
        record_failure(engine.describe(), problem)
    finally:
        if quick is not engine and hasattr(quick, "close"):
            quick.close()
    with _lock:
        _probes[key] = (now, asked, problem)
    return problem


class Guarded:
    """A road engine that is not asked again for ``RETRY_S`` after it failed.

    A server that hangs would otherwise make every booking's slot check and every tracking poll wait
    for the request timeout before falling back. The board's probe asks the engine itself; when it
    answers, the failure is cleared and requests go to the engine again.
    """

    def __init__(self, engine: RoadEngine) -> None:
        self.engine = engine
        self.name = engine.describe()

    def _check(self) -> None:
        failure = last_failure(self.name)
        if failure is not None and (utcnow() - failure.at).total_seconds() < RETRY_S:
            raise TravelError(failure.message)

    def _ask(self, call: Callable[[], T]) -> T:
        self._check()
        try:
            answer = call()
        except TravelError as e:
            record_failure(self.name, str(e))
            raise
        if last_failure(self.name) is not None:
            record_success(self.name)
        return answer

    def table(self, sources: np.ndarray, targets: np.ndarray, *, square: bool = False) -> tuple[np.ndarray, np.ndarray]:
        return self._ask(lambda: self.engine.table(sources, targets, square=square))

    def matrix(self, locations: Sequence[Location]) -> Matrix:
        return self._ask(lambda: self.engine.matrix(locations))

    def legs(self, points: Sequence[tuple[float, float]]) -> list[list[tuple[float, float]]]:
        return self._ask(lambda: self.engine.legs(points))
