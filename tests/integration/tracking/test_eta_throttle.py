"""ETA refreshes are throttled per courier, so frequent position batches stay cheap, and spread out, so
couriers who started together do not all refresh in the same second."""

from __future__ import annotations

from dispatch.tracking import service


def test_eta_refresh_runs_once_per_interval_per_courier(monkeypatch) -> None:
    """Within the interval a second batch of the same courier skips the refresh; another courier does not."""
    clock = iter([100.0, 110.0, 110.0, 131.0])
    monkeypatch.setattr(service.time, "monotonic", lambda: next(clock))
    monkeypatch.setattr(service.random, "uniform", lambda a, b: 1.0)  # the interval itself
    monkeypatch.setattr(service, "_next_eta_refresh", {})
    assert service._eta_refresh_due(1, 30)  # t=100: first batch refreshes
    assert not service._eta_refresh_due(1, 30)  # t=110: too soon for courier 1
    assert service._eta_refresh_due(2, 30)  # t=110: courier 2 is independent
    assert service._eta_refresh_due(1, 30)  # t=131: interval passed


def test_couriers_who_start_together_refresh_apart(monkeypatch) -> None:
    """200 phones whose first batches came in the same second (a server restart) refresh again between half
    and one and a half intervals later, spread over that span, not all 30 s later in one burst."""
    monkeypatch.setattr(service.time, "monotonic", lambda: 1000.0)
    monkeypatch.setattr(service, "_next_eta_refresh", {})
    assert all(service._eta_refresh_due(c, 30) for c in range(200))
    due = sorted(service._next_eta_refresh.values())
    assert due[0] >= 1015.0 and due[-1] <= 1045.0
    busiest_second = max(sum(1 for d in due if s <= d < s + 1) for s in range(1015, 1045))
    assert busiest_second <= 40  # evenly spread, ~7 a second; all 200 together before


def test_interval_zero_refreshes_every_batch(monkeypatch) -> None:
    """With the interval at 0 every batch refreshes (what the tests and a tiny deployment may want)."""
    monkeypatch.setattr(service, "_next_eta_refresh", {})
    assert all(service._eta_refresh_due(7, 0) for _ in range(3))
