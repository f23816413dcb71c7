"""The `limits` storage on PostgreSQL: the sliding-window counter counts exactly, also under concurrency."""

from __future__ import annotations

import threading
import uuid

import pytest
from limits import parse
from limits.strategies import SlidingWindowCounterRateLimiter
from sqlalchemy import text

from dispatch.throttle.storage import PostgresStorage, storage_for


@pytest.fixture
def storage(engine):
    store = PostgresStorage(engine)
    yield store
    store.reset()


def test_a_limit_allows_exactly_its_amount(storage):
    """5 per minute: five hits pass, the sixth is refused and not counted; clearing starts afresh."""
    limiter = SlidingWindowCounterRateLimiter(storage)
    item, who = parse("5/minute"), uuid.uuid4().hex
    assert [limiter.hit(item, who) for _ in range(6)] == [True] * 5 + [False]
    stats = limiter.get_window_stats(item, who)
    assert stats.remaining == 0 and stats.reset_time > 0
    limiter.clear(item, who)
    assert limiter.hit(item, who) and limiter.get_window_stats(item, who).remaining == 4


def test_concurrent_hits_never_pass_the_limit(storage):
    """Twelve requests at once against a limit of 5 (one row lock per window): exactly five get through."""
    limiter = SlidingWindowCounterRateLimiter(storage)
    item, who = parse("5/hour"), uuid.uuid4().hex
    results: list[bool] = []
    start = threading.Barrier(12)

    def hit() -> None:
        start.wait()
        results.append(limiter.hit(item, who))

    threads = [threading.Thread(target=hit) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [False] * 7 + [True] * 5


def test_fixed_window_counters_expire(storage):
    """incr/get/get_expiry as `limits` expects: a lapsed counter starts again at the amount."""
    key = f"k-{uuid.uuid4().hex}"
    assert storage.incr(key, 60) == 1 and storage.incr(key, 60, amount=2) == 3
    assert storage.get(key) == 3 and storage.get_expiry(key) > 0
    assert storage.incr(f"{key}-gone", -1) == 1 and storage.get(f"{key}-gone") == 0  # already lapsed
    assert storage.incr(f"{key}-gone", 60) == 1
    storage.clear(key)
    assert storage.get(key) == 0


def test_the_counters_pool_survives_its_connection_being_cut(database_url, engine):
    """PostgreSQL restarted (here: the counters' pooled connection terminated by the server): the next hit is
    counted on a fresh connection instead of failing on the dead one, and the count so far is kept."""
    storage = storage_for("", database_url)
    assert isinstance(storage, PostgresStorage)
    limiter = SlidingWindowCounterRateLimiter(storage)
    item, who = parse("5/minute"), uuid.uuid4().hex
    try:
        assert limiter.hit(item, who)
        with storage.engine.connect() as pooled:  # the one connection the pool holds, handed back after
            pid = pooled.execute(text("SELECT pg_backend_pid()")).scalar_one()
        with engine.begin() as conn:
            assert conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar_one()
        assert limiter.hit(item, who)
        assert limiter.get_window_stats(item, who).remaining == 3
    finally:
        storage.reset()
        storage.engine.dispose()
