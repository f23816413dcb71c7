"""CPU cost of one request per endpoint, measured one request at a time against the real server.

The load run says how the whole machine copes; this says what each request costs the server
(its worker's CPU) and PostgreSQL (its backends' CPU), with nothing queued: the numbers that decide
how many requests per second two cores can carry. ``python -m bench.load.cost``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
from sqlalchemy.orm import Session

from bench.load.clients import Available, Day, Plan
from bench.load.metrics import Metrics
from bench.load.run import any_frame, profile_summary
from bench.load.seed import seed_city_day
from bench.load.server import Database, Server
from dispatch.clock import today_local
from dispatch.db.session import get_engine

_STATIC = "/static/css/app.css"
_PROFILES = Path(__file__).resolve().parent / "results"


def postgres_cpu_seconds() -> float:
    """CPU of every ``postgres`` process on this host (the server under test has its own database but
    shares the PostgreSQL server; run this on a quiet machine)."""
    total, tick = 0.0, os.sysconf("SC_CLK_TCK")
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        name = text[text.find("(") + 1 : text.rfind(")")]
        if name.startswith("postgres"):
            fields = text.rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


_S3: list = []  # the S3 process of this run, if evidence goes to S3 (its CPU is a column of its own)


def _s3_cpu() -> float:
    return _S3[0].cpu_seconds() if _S3 else 0.0


class Probe:
    """Which endpoints to measure (``--only``), and whether to py-spy the server while each one runs
    (``--profile``): where a request's server CPU goes, one endpoint at a time, with nothing else mixed in."""

    def __init__(self, only: str | None = None, profile: bool = False) -> None:
        self.only, self.profile = only, profile
        self.profiles: dict[str, Path] = {}

    def wants(self, name: str) -> bool:
        return self.only is None or self.only.lower() in name.lower()

    def start(self, server: Server, name: str) -> subprocess.Popen[bytes] | None:
        if not self.profile:
            return None
        assert server.proc is not None
        own = str(server.proc.pid)
        pids = subprocess.run(["pgrep", "-P", own], capture_output=True, text=True).stdout.split() or [own]
        spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
        out = _PROFILES / f"cost-profile-{re.sub(r'[^a-z0-9]+', '-', name.lower()).strip('-')}.txt"
        out.parent.mkdir(parents=True, exist_ok=True)
        self.profiles[name] = out
        # --gil: only samples holding the GIL, i.e. where the worker spends CPU rather than waits
        cmd = [spy, "record", "-p", pids[0], "-f", "raw", "-o", str(out), "--gil", "--rate", "500", "--nonblocking"]
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(1.0)  # py-spy attaches before the first request
        return proc


async def _measure(server: Server, n: int, call: Callable[[int], Awaitable[object]]) -> dict[str, float]:
    walls = []
    cpu0, pg0, client0, s30 = server.group_cpu_seconds(), postgres_cpu_seconds(), time.process_time(), _s3_cpu()
    for i in range(n):
        t = time.perf_counter()
        await call(i)
        walls.append(time.perf_counter() - t)
    client = time.process_time() - client0
    cpu, pg = server.group_cpu_seconds() - cpu0, postgres_cpu_seconds() - pg0
    return {
        "n": n,
        "server_ms": 1000 * cpu / n,
        "postgres_ms": 1000 * pg / n,
        "s3_ms": 1000 * (_s3_cpu() - s30) / n,
        "client_ms": 1000 * client / n,
        "wall_p50_ms": 1000 * statistics.median(walls),
    }


async def _probe(server: Server, sim: Day, n: int, probe: Probe) -> dict[str, dict[str, float]]:
    seed = sim.seed
    couriers = seed.couriers
    pickups = [(c, j) for c in couriers for j in c.jobs if j.kind == "pickup"][:n]
    office = seed.offices[0]
    rows: dict[str, dict[str, float]] = {}
    sim.plan.position_rate = 1.0  # one batch per courier per second of simulated day

    async def measure(name: str, count: int, call: Callable[[int], Awaitable[object]], needed: bool = False) -> None:
        """Measure ``name`` if asked for; run it unmeasured if a later endpoint needs what it leaves behind."""
        if not probe.wants(name):
            if needed:
                for i in range(count):
                    await call(i)
            return
        spy = probe.start(server, name)
        rows[name] = await _measure(server, count, call)
        if spy is not None:
            spy.send_signal(signal.SIGINT)
            spy.wait(timeout=30)

    async def position(i: int) -> None:
        courier = couriers[i % len(couriers)]
        await sim.send_positions(courier)

    async def door(i: int) -> None:
        courier, job = pickups[i]
        assert await sim.door_handover(courier, job)

    async def drop(i: int) -> None:
        courier, job = pickups[i]
        assert await sim.office_handover("drop", job, courier)

    async def track(i: int) -> None:
        job = seed.jobs[i % len(seed.jobs)]
        await sim.send("track", "GET", f"/api/track/{job.tracking_code}", params={"secret": job.secret})

    def read(url: str) -> Callable[[int], Awaitable[object]]:
        headers = {"Authorization": f"Bearer {office.dispatcher_token}"}
        return lambda _i: sim.send(url, "GET", url, headers=headers)

    day = seed.day.isoformat()
    # The floor: what any request costs before our code does anything (HTTP, routing, middleware), and
    # with a database session and one trivial query. Every endpoint pays at least this.
    await measure("floor: GET a small static file", n, lambda _i: sim.send("static", "GET", _STATIC))
    await measure(
        "floor: GET /api/health (session + one SELECT)", n, lambda _i: sim.send("health", "GET", "/api/health")
    )
    await measure("POST /api/courier/positions (5 fixes)", n, position)
    door_name, drop_name = "POST /api/handovers (door, photo + signature)", "POST /api/handovers (office drop)"
    await measure(door_name, len(pickups), door, needed=probe.wants(drop_name))
    await measure(drop_name, len(pickups), drop)
    await measure("GET /api/track/{code}", n, track)
    reads = max(5, n // 10)
    await measure("GET /api/offices/{id}/days/{day}", reads, read(f"/api/offices/{office.office_id}/days/{day}"))
    await measure("GET /api/live/{office}/{day}", reads, read(f"/api/live/{office.office_id}/{day}"))
    await measure("GET /api/plans/{id}", reads, read(f"/api/plans/{office.plan_id}"))
    return rows


def run(
    n: int = 100, couriers: int = 20, workers: int = 1, s3: bool = False, probe: Probe | None = None
) -> dict[str, dict[str, float]]:
    state = Path(tempfile.mkdtemp(prefix="ajib-cost-"))
    db = Database.create()
    extra: dict[str, str] = {}
    if s3:
        from bench.s3server import S3Process

        _S3.append(S3Process().start())
        extra = _S3[0].env(_S3[0].new_bucket())
    server = Server(db, state, workers=workers, extra_env=extra)
    try:
        settings = server.settings()
        with Session(get_engine(db.url)) as session:
            seed = seed_city_day(session, settings, day=today_local(), couriers=couriers, jobs=max(2 * n, 300))
        server.start()

        async def main() -> dict[str, dict[str, float]]:
            async with httpx.AsyncClient(base_url=server.base_url, timeout=30.0) as client:
                avail = await Available.probe(client)
                sim = Day(client, seed, Plan(duration_s=3600.0), Metrics(), avail)
                return await _probe(server, sim, n, probe or Probe())

        return asyncio.run(main())
    finally:
        server.stop()
        db.drop()
        while _S3:
            _S3.pop().stop()


def main() -> None:
    p = argparse.ArgumentParser(prog="python -m bench.load.cost", description=__doc__)
    p.add_argument("-n", type=int, default=100, help="requests per endpoint (reads: n/10)")
    p.add_argument("--couriers", type=int, default=20)
    p.add_argument("--s3", action="store_true", help="evidence on an S3 server process (moto) on loopback")
    p.add_argument("--only", help="measure only the endpoints whose name contains this (e.g. 'door', 'positions')")
    p.add_argument("--profile", action="store_true", help="py-spy the server per endpoint (needs py-spy)")
    a = p.parse_args()
    probe = Probe(only=a.only, profile=a.profile)
    rows = run(n=a.n, couriers=a.couriers, s3=a.s3, probe=probe)
    print("| endpoint | n | server CPU ms | PostgreSQL CPU ms | S3 server CPU ms | load client CPU ms | wall p50 ms |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, r in rows.items():
        print(
            f"| {name} | {r['n']:.0f} | {r['server_ms']:.1f} | {r['postgres_ms']:.1f} | {r['s3_ms']:.1f} "
            f"| {r['client_ms']:.1f} | {r['wall_p50_ms']:.1f} |"
        )

    for name, path in probe.profiles.items():
        print(f"\n{name}: {path}")
        for frame, share in profile_summary([path], top=30, name_of=any_frame):
            print(f"  {share:5.1f}%  {frame}")


if __name__ == "__main__":
    main()
