"""Calibrating the straight-line model against road times: the fit recovers a known city, errors are honest."""

from __future__ import annotations

import numpy as np
import pytest

from routing import HaversineTravel, fit_haversine, great_circle_m, time_errors


def _city(n: int = 3000, circuity: float = 1.42, kmh: float = 24.0, noise: float = 0.15, seed: int = 3):
    rng = np.random.default_rng(seed)
    a = np.column_stack((rng.uniform(-6.35, -6.1, n), rng.uniform(106.7, 106.95, n)))
    b = np.column_stack((rng.uniform(-6.35, -6.1, n), rng.uniform(106.7, 106.95, n)))
    gc = np.diag(great_circle_m(a, b)).copy()
    road_m = gc * circuity * rng.lognormal(0, noise, n)
    road_s = road_m / (kmh / 3.6) * rng.lognormal(0, noise, n)
    return gc, road_s, road_m


def test_the_fit_recovers_a_known_city():
    """Road metres 1.42 x straight at 24 km/h with 15 % noise: the fit finds both within a few per cent."""
    gc, road_s, road_m = _city()
    fit = fit_haversine(gc, road_s, road_m)
    assert fit.circuity == pytest.approx(1.42, rel=0.03)
    assert fit.speed_kmh == pytest.approx(24.0, rel=0.05)
    assert 5 < fit.errors.median_pct < 20 and fit.errors.p90_pct > fit.errors.median_pct
    assert abs(fit.errors.bias_pct) < 3


def test_errors_of_a_model_that_is_too_fast():
    """A default 25 % too fast is off by a quarter in the median, and optimistic (negative bias)."""
    gc, road_s, road_m = _city(noise=0.0)
    good = fit_haversine(gc, road_s, road_m)
    fast = HaversineTravel(circuity=good.circuity, speed_kmh=good.speed_kmh * 4 / 3)
    predicted = gc * fast.circuity / (fast.speed() / 3.6)
    errors = time_errors(predicted, road_s)
    assert errors.median_pct == pytest.approx(25.0, abs=0.5) and errors.bias_pct == pytest.approx(-25.0, abs=0.5)


def test_unroutable_and_tiny_pairs_are_left_out():
    """NaN (no route) and pairs under 50 m do not enter the fit; too few pairs is an error, not a number."""
    gc, road_s, road_m = _city(n=40)
    road_s[:5] = np.nan
    gc[5:10] = 10.0
    assert fit_haversine(gc, road_s, road_m).errors.pairs == 30
    with pytest.raises(ValueError, match="usable pairs"):
        fit_haversine(gc[:12], road_s[:12], road_m[:12])
