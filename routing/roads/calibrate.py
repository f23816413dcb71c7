"""Fit the straight-line model to a road engine: which circuity and speed make haversine closest to the roads.

The haversine model says a trip takes ``great-circle metres x circuity / speed``. Given pairs the road
engine has timed, the circuity is the median of road metres over great-circle metres, and the speed
minimises the mean absolute *log* error of the times (so being twice too slow counts as much as twice
too fast): the median of the speeds each pair implies. The errors the report gives are what a user
of the default sees: how far, in per cent and in seconds, its times are from the road engine's.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Calibration", "TimeErrors", "fit_haversine", "time_errors"]


@dataclass(frozen=True)
class TimeErrors:
    """How far predicted travel times are from the road engine's, over ``pairs`` pairs."""

    pairs: int
    median_pct: float  # median of |predicted - road| / road, in per cent
    p90_pct: float
    median_s: float  # median of |predicted - road|, in seconds
    p90_s: float
    bias_pct: float  # median of (predicted - road) / road: negative = the model is too optimistic


@dataclass(frozen=True)
class Calibration:
    """The best haversine parameters for the sampled pairs, and how good they are."""

    circuity: float
    speed_kmh: float
    errors: TimeErrors


def time_errors(predicted_s: np.ndarray, road_s: np.ndarray) -> TimeErrors:
    """Relative and absolute errors of ``predicted_s`` against ``road_s`` (pairs with road time > 0)."""
    predicted_s = np.asarray(predicted_s, dtype=np.float64)
    road_s = np.asarray(road_s, dtype=np.float64)
    ok = np.isfinite(predicted_s) & np.isfinite(road_s) & (road_s > 0)
    p, r = predicted_s[ok], road_s[ok]
    if not len(r):
        raise ValueError("no pair with a positive road time to compare")
    rel = (p - r) / r
    return TimeErrors(
        pairs=len(r),
        median_pct=float(np.median(np.abs(rel)) * 100),
        p90_pct=float(np.percentile(np.abs(rel), 90) * 100),
        median_s=float(np.median(np.abs(p - r))),
        p90_s=float(np.percentile(np.abs(p - r), 90)),
        bias_pct=float(np.median(rel) * 100),
    )


def fit_haversine(great_circle_m: np.ndarray, road_s: np.ndarray, road_m: np.ndarray) -> Calibration:
    """Circuity and speed of the haversine model closest to the road engine on these pairs.

    Parameters
    ----------
    great_circle_m
        Straight-line metres of each pair.
    road_s, road_m
        The road engine's seconds and metres for the same pairs (NaN: no route; such pairs and
        pairs under 50 m apart are left out).
    """
    gc = np.asarray(great_circle_m, dtype=np.float64)
    t = np.asarray(road_s, dtype=np.float64)
    d = np.asarray(road_m, dtype=np.float64)
    ok = np.isfinite(t) & np.isfinite(d) & (gc >= 50) & (t > 0) & (d > 0)
    if ok.sum() < 10:
        raise ValueError(f"only {int(ok.sum())} usable pairs; sample more points")
    gc, t, d = gc[ok], t[ok], d[ok]
    circuity = float(np.median(d / gc))
    speed_ms = float(np.median(gc * circuity / t))
    predicted = gc * circuity / speed_ms
    return Calibration(circuity=circuity, speed_kmh=speed_ms * 3.6, errors=time_errors(predicted, t))
