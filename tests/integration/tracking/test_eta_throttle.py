"""ETA refreshes are throttled per courier, so frequent position batches stay cheap."""

from __future__ import annotations

from dispatch.tracking import service


def test_eta_refresh_runs_once_per_interval_per_courier(monkeypatch) -> None:
    """Within the interval a second batch of the same courier skips the refresh; another courier does not."""
    clock = iter([100.0, 110.0, 110.0, 131.0])
    monkeypatch.setattr(service.time, "monotonic", lambda: next(clock))
    monkeypatch.setattr(service, "_last_eta_refresh", {})
    assert service._eta_refresh_due(1, 30)  # t=100: first batch refreshes
    assert not service._eta_refresh_due(1, 30)  # t=110: too soon for courier 1
    assert service._eta_refresh_due(2, 30)  # t=110: courier 2 is independent
    assert service._eta_refresh_due(1, 30)  # t=131: interval passed


def test_interval_zero_refreshes_every_batch(monkeypatch) -> None:
    """With the interval at 0 every batch refreshes (what the tests and a tiny deployment may want)."""
    monkeypatch.setattr(service, "_last_eta_refresh", {})
    assert all(service._eta_refresh_due(7, 0) for _ in range(3))
