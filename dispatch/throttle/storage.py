"""A ``limits`` storage on the application's PostgreSQL: counts hold across API workers and machines
without another service to run (``make run`` needs none). Any other ``limits`` storage (Redis, memory)
is chosen by URI instead (``AJIB_RATE_LIMIT_STORAGE``).

It implements the sliding-window-counter strategy: two fixed-window counters per key, weighted. An
acquisition is one transaction whose upsert locks the current window's row, so concurrent requests for
the same key queue there and none is counted past the limit.
"""

from __future__ import annotations

import math
import time

from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.storage.base import SlidingWindowCounterSupport, TimestampedSlidingWindow
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.exc import SQLAlchemyError

from dispatch.db.session import normalise_url

_INCR = text(
    """
    INSERT INTO rate_limit_counters (key, count, expires_at) VALUES (:key, :amount, to_timestamp(:expires))
    ON CONFLICT (key) DO UPDATE SET
      count = CASE WHEN rate_limit_counters.expires_at <= to_timestamp(:now) THEN :amount
                   ELSE rate_limit_counters.count + :amount END,
      expires_at = CASE WHEN rate_limit_counters.expires_at <= to_timestamp(:now) THEN to_timestamp(:expires)
                        ELSE rate_limit_counters.expires_at END
    RETURNING count
    """
)
_GET = text("SELECT count FROM rate_limit_counters WHERE key = :key AND expires_at > to_timestamp(:now)")
_GET_TWO = text("SELECT key, count FROM rate_limit_counters WHERE key IN (:a, :b) AND expires_at > to_timestamp(:now)")
_EXPIRY = text("SELECT extract(epoch FROM expires_at) FROM rate_limit_counters WHERE key = :key")
_CLEAR = text("DELETE FROM rate_limit_counters WHERE key = :key")
_PURGE = text("DELETE FROM rate_limit_counters WHERE expires_at <= to_timestamp(:now)")
PURGE_EVERY = 1000  # increments between deletions of lapsed windows (per process)


class PostgresStorage(Storage, SlidingWindowCounterSupport, TimestampedSlidingWindow):
    """Counters in the ``rate_limit_counters`` table; time is this process's clock, as in ``limits``."""

    STORAGE_SCHEME = None  # built from the application's engine, not from a URI

    def __init__(self, engine: Engine, wrap_exceptions: bool = False) -> None:
        super().__init__(wrap_exceptions=wrap_exceptions)
        self.engine = engine
        self._increments = 0

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return SQLAlchemyError

    def _incr(self, conn: Connection, key: str, expiry: float, amount: int, now: float) -> int:
        self._increments += 1
        if self._increments % PURGE_EVERY == 0:
            conn.execute(_PURGE, {"now": now})
        return int(
            conn.execute(_INCR, {"key": key, "amount": amount, "now": now, "expires": now + expiry}).scalar_one()
        )

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        with self.engine.begin() as conn:
            return self._incr(conn, key, expiry, amount, time.time())

    def _get(self, conn: Connection, key: str, now: float) -> int:
        return int(conn.execute(_GET, {"key": key, "now": now}).scalar() or 0)

    def get(self, key: str) -> int:
        with self.engine.connect() as conn:
            return self._get(conn, key, time.time())

    def get_expiry(self, key: str) -> float:
        with self.engine.connect() as conn:
            value = conn.execute(_EXPIRY, {"key": key}).scalar()
        return float(value) if value is not None else time.time()

    def check(self) -> bool:
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except SQLAlchemyError:
            return False
        return True

    def reset(self) -> int | None:
        with self.engine.begin() as conn:
            return conn.execute(text("DELETE FROM rate_limit_counters")).rowcount

    def clear(self, key: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(_CLEAR, {"key": key})

    # ---------------------------------------------------------------- sliding window counter

    def _window(self, conn: Connection, key: str, expiry: int, now: float) -> tuple[int, float, int, float, str]:
        previous_key, current_key = self.sliding_window_keys(key, expiry, now)
        rows = conn.execute(_GET_TWO, {"a": previous_key, "b": current_key, "now": now})
        counts: dict[str, int] = {str(k): int(c) for k, c in rows}
        previous, current = int(counts.get(previous_key, 0)), int(counts.get(current_key, 0))
        previous_ttl = 0.0 if previous == 0 else (1 - (((now - expiry) / expiry) % 1)) * expiry
        current_ttl = (1 - ((now / expiry) % 1)) * expiry + expiry
        return previous, previous_ttl, current, current_ttl, current_key

    def acquire_sliding_window_entry(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool:
        if amount > limit:
            return False
        now = time.time()
        with self.engine.connect() as conn, conn.begin() as transaction:
            previous, previous_ttl, _, _, current_key = self._window(conn, key, expiry, now)
            current = self._incr(conn, current_key, 2 * expiry, amount, now)
            if math.floor(previous * previous_ttl / expiry + current) > limit:
                transaction.rollback()  # not counted: the row lock made the check and the count one step
                return False
        return True

    def get_sliding_window(self, key: str, expiry: int) -> tuple[int, float, int, float]:
        with self.engine.connect() as conn:
            previous, previous_ttl, current, current_ttl, _ = self._window(conn, key, expiry, time.time())
        return previous, previous_ttl, current, current_ttl

    def clear_sliding_window(self, key: str, expiry: int) -> None:
        for window_key in self.sliding_window_keys(key, expiry, time.time()):
            self.clear(window_key)


def storage_for(uri: str, database_url: str | None) -> Storage:
    """``AJIB_RATE_LIMIT_STORAGE``: empty = the application's PostgreSQL, else any ``limits`` storage URI."""
    if uri:
        storage = storage_from_string(uri)
        if not isinstance(storage, Storage):  # "async+redis://...": the endpoints are synchronous
            raise ValueError(f"AJIB_RATE_LIMIT_STORAGE must be a synchronous limits storage, not {uri!r}")
        return storage
    if database_url is None:
        return MemoryStorage()  # no database at all: a tool's in-process app
    # its own small pool: a count is committed at once, whatever becomes of the request's transaction. Pinged
    # before use as the application's pool is (``dispatch.db.session``): after PostgreSQL restarts, a pooled
    # connection is dead, and without the ping the first throttled request after it failed on that connection
    engine = create_engine(
        normalise_url(database_url),
        pool_pre_ping=True,
        pool_size=2,
        max_overflow=8,
        # its connections by name in pg_stat_activity
        connect_args={"connect_timeout": 5, "application_name": "ajib-throttle"},
    )
    return PostgresStorage(engine)
