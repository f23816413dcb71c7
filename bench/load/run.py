"""One run: fresh database, seeded office-day, real server, the simulated day with faults, reconciliation."""

from __future__ import annotations

import asyncio
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy.orm import Session

from bench.load.clients import Available, Day, Plan
from bench.load.metrics import Metrics, fmt_ms, table, worst_warmup_p99
from bench.load.reconcile import reconcile
from bench.load.seed import seed_city_day
from bench.load.server import Database, Server
from dispatch.clock import today_local
from dispatch.custody.evidence_store import store_from_settings
from dispatch.db.session import get_engine

OUR_PACKAGES = ("api/", "dispatch/", "routing/", "maps/")
RESULTS = Path(__file__).resolve().parent / "results"
P99_TARGET_MS = 500.0
CARRIED = 0.95  # a rate counts as carried when the steady window reached this share of what was offered


@dataclass
class Options:
    duration_s: float = 60.0
    couriers: int = 50
    workers: int = 2
    warmup_s: float = 5.0
    position_rate: float = 300.0
    handover_rate: float = 50.0
    kill: bool = True
    db_outage_s: float = 3.0
    drops: int = 6
    races: int = 10
    max_connections: int = 64
    seed: int = 7
    keep: bool = False
    profile: bool = False  # py-spy the server workers during the steady part
    apis: int = 1  # API server processes (each with `workers` uvicorn workers) on their own ports
    s3: bool = False  # evidence on a real S3-compatible server (moto on loopback) instead of a directory
    db_pool: tuple[int, int] | None = None  # (pool size, overflow) per server worker; default the settings'


async def _watch_loop(metrics: Metrics, until: asyncio.Task[None], tick: float = 0.02) -> None:
    """Every latency is measured on the client's one event loop, so a busy client inflates them all: how late
    the loop wakes from a short sleep is printed beside the table, to tell client lag from server time."""
    while not until.done():
        t0 = time.monotonic()
        await asyncio.sleep(tick)
        metrics.loop_lag_ms.append((time.monotonic() - t0 - tick) * 1000)


async def _drive(
    server: Server, db: Database, day: Day, opts: Options, metrics: Metrics, servers: list[Server] | None = None
) -> None:
    loop_task = asyncio.create_task(day.run())
    watcher = asyncio.create_task(_watch_loop(metrics, loop_task))
    if opts.profile:
        asyncio.get_running_loop().run_in_executor(None, _profile, servers or [server], opts)
    plan = [(0.4, "kill")] if opts.kill else []
    if opts.db_outage_s > 0:
        plan.append((0.7, "db_outage"))
    start = time.monotonic()
    for share, fault in plan:
        await asyncio.sleep(max(0.0, start + share * opts.duration_s - time.monotonic()))
        if loop_task.done():
            break
        t0 = time.monotonic()
        if fault == "kill":
            await asyncio.to_thread(server.kill9)
            await asyncio.sleep(1.0)  # the phones see a dead server for a while
            await asyncio.to_thread(server.start)
            metrics.faults.append(
                {
                    "fault": "SIGKILL server (master + workers), restart",
                    "at_s": round(t0 - start, 1),
                    "down_s": round(time.monotonic() - t0, 1),
                }
            )
        else:
            cut = await asyncio.to_thread(db.outage, opts.db_outage_s)
            metrics.faults.append(
                {
                    "fault": f"database refuses connections for {opts.db_outage_s:.0f}s, {cut} backends terminated",
                    "at_s": round(t0 - start, 1),
                    "down_s": round(time.monotonic() - t0, 1),
                }
            )
        metrics.fault_windows.append((fault, t0, time.monotonic()))
    await loop_task
    await watcher


def _profile(servers: list[Server], opts: Options) -> None:
    """py-spy each worker of every API process for a slice of the steady part (before the first fault), as
    collapsed stacks. ``uvicorn --workers 1`` serves in its own process: it has no children to find."""
    time.sleep(opts.duration_s * 0.1)
    pids: list[str] = []
    for server in servers:
        assert server.proc is not None
        own = str(server.proc.pid)
        children = subprocess.run(["pgrep", "-P", own], capture_output=True, text=True).stdout.split()
        pids += children or [own]
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    procs = []
    for pid in pids:
        out = RESULTS / f"profile-{pid}.txt"
        out.parent.mkdir(parents=True, exist_ok=True)
        cmd = [
            spy,
            "record",
            "-p",
            pid,
            "-d",
            str(int(opts.duration_s * 0.25)),
            "-f",
            "raw",
            "-o",
            str(out),
            "--nonblocking",
            "--rate",
            "50",
        ]
        procs.append(subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    for proc in procs:
        proc.wait()


def our_frame(frame: str) -> str | None:
    """A py-spy frame named by function and file if it is ours (or Pillow's, or psycopg's wait), else None."""
    where = frame.rsplit(" (", 1)[-1]
    if where.startswith(OUR_PACKAGES) or where.startswith(("PIL/", "psycopg/connection.py")):
        return frame.split(" (")[0] + " (" + frame.rsplit("/", 1)[-1].split(":")[0] + ")"
    return None


def any_frame(frame: str) -> str:
    """Any py-spy frame, named by function and module path (the library frames are where a request's time goes)."""
    func, _, where = frame.partition(" (")
    return f"{func} ({where.split(':')[0].rsplit('site-packages/', 1)[-1]})"


def profile_summary(
    paths: list[Path], top: int = 25, name_of: Callable[[str], str | None] = our_frame
) -> list[tuple[str, float]]:
    """Share of samples spent in (or under) each function ``name_of`` names, highest first."""
    inclusive: Counter[str] = Counter()
    total = 0
    for path in paths:
        for line in path.read_text().splitlines() if path.exists() else []:
            stack, _, count = line.rpartition(" ")
            if not count.isdigit():
                continue
            total += int(count)
            names = {name for frame in stack.split(";") if (name := name_of(frame)) is not None}
            for name in names:
                inclusive[name] += int(count)
    return [(name, round(100 * n / total, 1)) for name, n in inclusive.most_common(top)] if total else []


def run(opts: Options) -> dict[str, Any]:
    state = Path(tempfile.mkdtemp(prefix="ajib-load-"))
    db = Database.create()
    s3 = None
    extra: dict[str, str] = {}
    if opts.s3:
        from bench.s3server import S3Process

        s3 = S3Process().start()  # its own process: not sharing the load client's interpreter (and GIL)
        extra = s3.env(s3.new_bucket())
    if opts.db_pool is not None:  # per server worker; CI shares PostgreSQL's connections with other tests
        extra = {**extra, "AJIB_DB_POOL_SIZE": str(opts.db_pool[0]), "AJIB_DB_MAX_OVERFLOW": str(opts.db_pool[1])}
    servers = [Server(db, state, workers=opts.workers, extra_env=extra, name="server-1")]
    for i in range(2, opts.apis + 1):
        servers.append(Server(db, state, workers=opts.workers, secret_key=servers[0].secret_key, extra_env=extra,
                              name=f"server-{i}"))  # fmt: skip
    server = servers[0]  # the one the kill fault hits; the others keep serving meanwhile
    try:
        settings = server.settings()
        day = today_local()
        handovers_needed = opts.handover_rate * opts.duration_s
        jobs = max(opts.couriers * 2, int(handovers_needed / 2 * 1.15) + opts.couriers)
        t = time.monotonic()
        with Session(get_engine(db.url)) as session:
            seed = seed_city_day(session, settings, day=day, couriers=opts.couriers, jobs=jobs, seed=opts.seed)
        seed_s = time.monotonic() - t
        for each in servers:
            each.start()
        plan = Plan(
            duration_s=opts.duration_s,
            position_rate=opts.position_rate,
            handover_rate=opts.handover_rate,
            drop_mid_upload=opts.drops // 2,
            drop_before_response=opts.drops - opts.drops // 2,
            races=opts.races,
        )
        metrics = Metrics(warmup_s=opts.warmup_s, offered_s=opts.duration_s)

        async def main() -> Day:
            limits = httpx.Limits(max_connections=opts.max_connections, max_keepalive_connections=opts.max_connections)
            async with httpx.AsyncClient(base_url=server.base_url, timeout=30.0, limits=limits) as client:
                avail = await Available.probe(client)
                sim = Day(client, seed, plan, metrics, avail, base_urls=[s.base_url for s in servers])
                metrics.started = time.monotonic()
                await _drive(server, db, sim, opts, metrics, servers)
                metrics.load_end = time.monotonic()
                return sim

        load_before = os.getloadavg()
        started_cpu = sum(each.group_cpu_seconds() for each in servers)  # imports and start-up: not the load's
        client_cpu = time.process_time()
        sim = asyncio.run(main())
        client_cpu = time.process_time() - client_cpu
        load_after = os.getloadavg()
        for each in servers:
            each.stop()  # before reconciling: nothing in flight, and its CPU time is counted
        server_cpu = sum(each.cpu_s for each in servers) - started_cpu  # a restart's start-up is the fault's
        with Session(get_engine(db.url)) as session:
            report = reconcile(session, sim.ledger, store_from_settings(settings), job_ids=[j.id for j in seed.jobs])
        summary = metrics.summary()
        result = {
            "options": asdict(opts),
            "machine": machine(),
            "seed": {
                "offices": len(seed.offices),
                "couriers": len(seed.couriers),
                "jobs": len(seed.jobs),
                "seconds": round(seed_s, 1),
            },
            "load": summary,
            "drops": sim.drops_done,
            "races": {k: v for k, v in sim.races.items() if k != "left"},
            "skipped": sim.skipped,
            "reconciliation": report.as_dict(),
            "server_kills": sum(each.kills for each in servers),
            "topology": {"apis": len(servers), "workers_each": opts.workers, "evidence": "s3" if s3 else "local"},
            "cpu": {
                "server_s": round(server_cpu, 1),
                # under concurrency, against bench.load.cost's one-at-a-time figures
                "server_ms_per_answer": round(
                    1000 * server_cpu / max(1, sum(r["ok"] for r in summary["endpoints"].values())), 2
                ),
                "client_s": round(client_cpu, 1),
                "loadavg_1m_before": round(load_before[0], 2),
                "loadavg_1m_after": round(load_after[0], 2),
            },
        }
        result["targets"] = targets(summary, opts)
        if opts.profile:
            result["profile_top"] = profile_summary(sorted(RESULTS.glob("profile-*.txt")))
        return result
    finally:
        for each in servers:
            each.stop()
        if s3 is not None:
            s3.stop()
        get_engine(db.url).dispose()
        if not opts.keep:
            db.drop()
            shutil.rmtree(state, ignore_errors=True)


def targets(summary: dict[str, Any], opts: Options) -> dict[str, Any]:
    """Did the box carry what this run offered (``--position-rate``, ``--handover-rate``) at p99 < 500 ms and
    with no error? The offered rates are the target: issue 19's is 150 batches/s and 10 handovers/s."""
    rows = summary["endpoints"]
    pos = rows.get("POST /api/courier/positions")
    handover_rows = [r for name, r in rows.items() if name.startswith("POST /api/handovers")]
    handovers = sum(r["steady_rate_per_s"] for r in handover_rows)
    p99s = [r["p99_ms"] for name, r in rows.items() if r["p99_ms"] is not None]
    errors = sum(r["errors"] + r["unexpected_5xx"] + r["unexpected_transport"] for r in rows.values())
    return {
        "position_batches_per_s": None if pos is None else round(pos["steady_rate_per_s"], 1),
        "handovers_per_s": round(handovers, 1),
        "worst_p99_ms": round(max(p99s), 1) if p99s else None,
        "errors": errors,
        "offered": {"position_batches_per_s": opts.position_rate, "handovers_per_s": opts.handover_rate},
        "met": {
            "positions": pos is not None and pos["steady_rate_per_s"] >= CARRIED * opts.position_rate,
            "handovers": handovers >= CARRIED * opts.handover_rate,
            "p99": bool(p99s) and max(p99s) < P99_TARGET_MS,
            "errors": errors == 0,
        },
    }


def machine() -> dict[str, Any]:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cores": os.cpu_count(), "cpu": cpu, "python": platform.python_version(), "os": platform.platform()}


def render(result: dict[str, Any]) -> str:
    t = result["targets"]
    rec = result["reconciliation"]
    lag = result["load"].get("client_loop_lag_ms", {})
    lines = [
        f"machine: {result['machine']['cores']} cores, {result['machine']['cpu']}",
        f"seeded: {result['seed']['offices']} offices, {result['seed']['couriers']} couriers, "
        f"{result['seed']['jobs']} jobs in {result['seed']['seconds']}s",
        f"load: {result['load']['elapsed_s']:.1f}s; steady window {result['load']['steady_s']:.1f}s (after a "
        f"{result['load'].get('warmup_s', 0):.0f}s warm-up, until the offered load stops, outside fault windows); "
        f"CPU: server {result['cpu']['server_s']}s ({result['cpu'].get('server_ms_per_answer', '–')} ms per "
        f"answered request), load client {result['cpu']['client_s']}s; "
        f"1-min load average {result['cpu']['loadavg_1m_before']} -> {result['cpu']['loadavg_1m_after']} "
        f"(2 cores; other processes included)",
        "",
        table(result["load"]),
        "",
        "load client's event loop woke late by p50 {} / p99 {} / max {} ms (inside every latency above)".format(
            *(fmt_ms(lag.get(k)) for k in ("p50", "p99", "max"))
        ),
        "warm-up (left out of the table): worst p99 {} ms".format(fmt_ms(worst_warmup_p99(result["load"]))),
        "faults: "
        + (
            "; ".join(f"{f['fault']} at {f['at_s']}s (down {f['down_s']}s)" for f in result["load"]["faults"]) or "none"
        ),
        f"dropped connections: {result['drops']['mid_upload']} mid-upload, "
        f"{result['drops']['before_response']} after the upload before the answer; "
        f"{result['races']['run']} double-recorded office drops: {result['races']['double_wins']} double wins, "
        f"{result['races']['no_winner']} with no winner",
        f"targets: positions {t['position_batches_per_s']}/s of {t['offered']['position_batches_per_s']:g} offered, "
        f"handovers {t['handovers_per_s']}/s of {t['offered']['handovers_per_s']:g}, "
        f"worst p99 {t['worst_p99_ms']} ms, errors {t['errors']} -> {t['met']}",
        f"reconciliation: {'EXACT' if rec['exact'] else 'NOT EXACT'} {json.dumps(rec['counts'])}",
    ]
    for name, ok in rec["checks"].items():
        lines.append(f"  [{'ok' if ok else 'FAIL'}] {name}" + ("" if ok else f": {rec['problems'].get(name)}"))
    if result["skipped"]:
        lines.append(
            "not exercised (endpoint missing): " + "; ".join(f"{k}: {v}" for k, v in result["skipped"].items())
        )
    for name, share in result.get("profile_top", [])[:15]:
        lines.append(f"  profile {share:5.1f}%  {name}")
    if result["load"]["failures"]:
        lines.append(f"failures: {json.dumps(result['load']['failures'], ensure_ascii=False)[:2000]}")
    return "\n".join(lines)
