"""A caller with its own in-memory throttle, for service-level tests of the public use cases."""

from __future__ import annotations

from limits.storage import MemoryStorage

from dispatch.throttle.service import Caller, Rules, Throttle


def make_caller(settings, address: str = "10.0.0.1", throttle: Throttle | None = None) -> Caller:
    throttle = throttle or Throttle(MemoryStorage(), Rules.from_settings(settings), settings.secret_key)
    return Caller(throttle, address)
