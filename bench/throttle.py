"""What a rate-limited request pays for its count: ``Throttle.hit`` of the booking rule (two windows) on the
PostgreSQL storage (the default) and, for scale, in memory. Printed, never asserted.

    .venv/bin/python -m bench.throttle [-n 500] [--redis redis://127.0.0.1:6379/15]

It creates a scratch database on the local server (as the tests do) and drops it afterwards. Wall time on a
shared machine also measures the neighbours: quote the machine's load with any figure.
"""

from __future__ import annotations

import argparse
import os
import time

from limits.storage import MemoryStorage, storage_from_string
from sqlalchemy.engine import make_url

from dispatch.config import Settings
from dispatch.db.migrate import upgrade
from dispatch.db.provision import create_test_database, drop_database, ensure_database
from dispatch.throttle.service import Rules, Throttle
from dispatch.throttle.storage import storage_for


def measure(throttle: Throttle, n: int) -> tuple[float, float]:
    rule = throttle.rules.booking_client
    for i in range(50):
        throttle.hit((rule, (f"warm-{i}",)))
    samples = []
    for i in range(n):
        started = time.perf_counter()
        throttle.hit((rule, (f"10.{i % 250}.{i // 250}.1",)))
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return samples[len(samples) // 2], samples[int(len(samples) * 0.95)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=500)
    parser.add_argument("--redis", default="", help="also measure a Redis storage at this URI")
    args = parser.parse_args()
    admin = make_url(ensure_database(Settings(_env_file=None))).set(database="postgres")
    admin_url = admin.render_as_string(hide_password=False)
    name = f"ajib_bench_throttle_{os.getpid()}"
    url = create_test_database(admin_url, name)
    try:
        upgrade(url)
        settings = Settings(_env_file=None, database_url=url, secret_key="bench-" * 8,
                            limit_bookings_per_client="1000000/10 minutes;1000000/day")  # fmt: skip
        stores = [("postgresql", storage_for("", url)), ("memory", MemoryStorage())]
        if args.redis:
            stores.append(("redis", storage_from_string(args.redis)))  # type: ignore[arg-type]
        print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        for label, storage in stores:
            p50, p95 = measure(Throttle(storage, Rules.from_settings(settings), settings.secret_key or ""), args.n)
            print(f"{label:>10}: hit() of a two-window rule, n={args.n}: p50 {p50:.2f} ms, p95 {p95:.2f} ms")
    finally:
        drop_database(admin_url, name)


if __name__ == "__main__":
    main()
