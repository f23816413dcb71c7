"""Named limits (settings in ``limits``' notation, e.g. ``"10/10 minutes;60/day"``) and the one way to apply them.

Callers are identified by a keyed hash of what identifies them (address, phone number, username,
office-day), so the counters — in PostgreSQL or Redis — hold no personal data.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import math
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from limits import RateLimitItem, parse_many
from limits.strategies import SlidingWindowCounterRateLimiter

from dispatch.throttle.errors import TooManyRequests

if TYPE_CHECKING:
    from limits.storage import Storage

    from dispatch.config import Settings


@dataclass(frozen=True)
class Rule:
    """One named policy: every item must allow the request (e.g. a per-10-minutes and a per-day limit)."""

    name: str
    items: tuple[RateLimitItem, ...]
    why_id: str
    why_en: str

    @classmethod
    def parse(cls, name: str, spec: str, why_id: str, why_en: str) -> Rule:
        return cls(name, tuple(parse_many(spec)) if spec.strip() else (), why_id, why_en)


@dataclass(frozen=True)
class Rules:
    """Every limit the service applies; the settings that set them are ``AJIB_LIMIT_*``."""

    booking_client: Rule
    booking_phone: Rule
    booking_office_day: Rule
    tracking_failures_client: Rule
    login_failures_client: Rule
    login_failures_account: Rule
    login_failures_device: Rule

    @classmethod
    def from_settings(cls, settings: Settings) -> Rules:
        return cls(
            booking_client=Rule.parse(
                "booking_client",
                settings.limit_bookings_per_client,
                "Terlalu banyak pemesanan dari jaringan Anda.",
                "Too many bookings from your network.",
            ),
            booking_phone=Rule.parse(
                "booking_phone",
                settings.limit_bookings_per_phone,
                "Terlalu banyak pemesanan untuk nomor telepon ini.",
                "Too many bookings for this phone number.",
            ),
            booking_office_day=Rule.parse(
                "booking_office_day",
                settings.limit_bookings_per_office_day,
                "Kantor ini sedang menerima terlalu banyak pemesanan untuk hari itu.",
                "This office is taking too many bookings for that day right now.",
            ),
            tracking_failures_client=Rule.parse(
                "tracking_failures_client",
                settings.limit_tracking_failures_per_client,
                "Terlalu banyak kode pelacakan atau kode rahasia yang salah.",
                "Too many wrong tracking codes or secrets.",
            ),
            login_failures_client=Rule.parse(
                "login_failures_client",
                settings.limit_login_failures_per_client,
                "Terlalu banyak percobaan masuk yang gagal dari jaringan Anda.",
                "Too many failed logins from your network.",
            ),
            login_failures_account=Rule.parse(
                "login_failures_account",
                settings.limit_login_failures_per_account,
                "Terlalu banyak percobaan masuk untuk akun ini dari perangkat yang belum dikenal.",
                "Too many login attempts for this account from unrecognised devices.",
            ),
            login_failures_device=Rule.parse(
                "login_failures_device",
                settings.limit_login_failures_per_device,
                "Terlalu banyak percobaan masuk yang gagal dari perangkat ini.",
                "Too many failed logins from this device.",
            ),
        )


class Throttle:
    """Checks and counts requests against ``Rules`` in a ``limits`` storage shared by every worker."""

    def __init__(self, storage: Storage, rules: Rules, secret: str) -> None:
        self.storage = storage
        self.rules = rules
        self._limiter = SlidingWindowCounterRateLimiter(storage)
        self._secret = secret.encode()

    def _id(self, rule: Rule, identifiers: Iterable[object]) -> str:
        joined = "\x1f".join(str(i) for i in (rule.name, *identifiers))
        return hmac.new(self._secret, joined.encode(), hashlib.sha256).hexdigest()[:32]

    def retry_after(self, rule: Rule, *identifiers: object) -> int | None:
        """Seconds until ``rule`` would allow one more request for these identifiers; None if it does now."""
        ident = self._id(rule, identifiers)
        waits = []
        for item in rule.items:
            if not self._limiter.test(item, ident):
                stats = self._limiter.get_window_stats(item, ident)
                waits.append(max(1, math.ceil(stats.reset_time - time.time())))
        return max(waits) if waits else None

    def check(self, *checks: tuple[Rule, tuple[object, ...]]) -> None:
        """Refuse (429) if any rule is exhausted for its identifiers; counts nothing."""
        for rule, identifiers in checks:
            wait = self.retry_after(rule, *identifiers)
            if wait is not None:
                raise TooManyRequests(rule.name, wait, rule.why_id, rule.why_en)

    def hit(self, *checks: tuple[Rule, tuple[object, ...]]) -> None:
        """Check every rule first, then count one request against each: a refused request costs no budget."""
        self.check(*checks)
        for rule, identifiers in checks:
            ident = self._id(rule, identifiers)
            for item in rule.items:
                if not self._limiter.hit(item, ident):  # a concurrent request took the last place
                    wait = self.retry_after(rule, *identifiers) or 1
                    raise TooManyRequests(rule.name, wait, rule.why_id, rule.why_en)

    def record(self, rule: Rule, *identifiers: object) -> None:
        """Count a failure (wrong password, wrong secret) whether or not the rule still allows more."""
        ident = self._id(rule, identifiers)
        for item in rule.items:
            self._limiter.hit(item, ident)

    def clear(self, rule: Rule, *identifiers: object) -> None:
        ident = self._id(rule, identifiers)
        for item in rule.items:
            self._limiter.clear(item, ident)


def address_key(address: str) -> str:
    """IPv6 hosts get a whole /64 each, so a caller is counted per /64 there and per address for IPv4."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address or "unknown"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


@dataclass(frozen=True)
class Caller:
    """Who sends a public request, for per-caller limits: the address the API trusts and the throttle."""

    throttle: Throttle
    address: str

    @property
    def address_key(self) -> str:
        return address_key(self.address)
