"""``python -m bench.load [--short] [--duration S] [--couriers N] ...``: run, print the table, save JSON."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

from bench.load.run import Options, render, run

RESULTS = Path(__file__).resolve().parent / "results"


def parse(argv: list[str] | None = None) -> Options:
    p = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__)
    p.add_argument("--short", action="store_true", help="CI mode: 25 s, 12 couriers, lower rates, one kill")
    p.add_argument("--duration", type=float, default=60.0, help="seconds of load (default 60)")
    p.add_argument("--couriers", type=int, default=50)
    p.add_argument("--warmup", type=float, default=5.0, help="seconds left out of the steady figures (default 5)")
    p.add_argument("--workers", type=int, default=2, help="uvicorn worker processes (per API process)")
    p.add_argument("--apis", type=int, default=1, help="API processes on their own ports (actors spread over them)")
    p.add_argument("--s3", action="store_true", help="evidence on a real S3-compatible server (moto, loopback)")
    p.add_argument("--db-pool", help="POOL,OVERFLOW database connections per server worker (default 20,10)")
    p.add_argument("--position-rate", type=float, default=300.0, help="target position batches/s")
    p.add_argument("--handover-rate", type=float, default=50.0, help="target handovers/s (door + office)")
    p.add_argument("--no-kill", action="store_true", help="skip the SIGKILL + restart fault")
    p.add_argument("--db-outage", type=float, default=3.0, help="seconds the database refuses connections (0: none)")
    p.add_argument("--drops", type=int, default=6, help="uploads whose connection is dropped (half mid-body)")
    p.add_argument("--races", type=int, default=10, help="office drops recorded twice at once (exactly one may win)")
    p.add_argument("--max-connections", type=int, default=64, help="shared pool (probes only)")
    p.add_argument("--profile", action="store_true", help="py-spy flame graphs of the workers (needs py-spy)")
    p.add_argument("--keep", action="store_true", help="keep the database and state dir for inspection")
    p.add_argument("--update-doc", action="store_true", help="write the figures into docs/robustness.md")
    p.add_argument("--json", type=Path, help="also write the result here (default bench/load/results/last-*.json)")
    a = p.parse_args(argv)
    opts = Options(
        duration_s=a.duration,
        warmup_s=a.warmup,
        couriers=a.couriers,
        workers=a.workers,
        position_rate=a.position_rate,
        handover_rate=a.handover_rate,
        kill=not a.no_kill,
        db_outage_s=a.db_outage,
        drops=a.drops,
        races=a.races,
        max_connections=a.max_connections,
        keep=a.keep,
        profile=a.profile,
        apis=a.apis,
        s3=a.s3,
        db_pool=tuple(int(x) for x in a.db_pool.split(",")) if a.db_pool else None,  # type: ignore[arg-type]
    )
    if a.short:
        opts.duration_s = min(a.duration, 25.0)
        opts.couriers = min(a.couriers, 12)
        opts.position_rate = min(a.position_rate, 60.0)
        opts.handover_rate = min(a.handover_rate, 12.0)
        opts.drops = min(a.drops, 4)
        opts.races = min(a.races, 4)
        opts.db_outage_s = min(a.db_outage, 2.0)
    opts.json_path = a.json  # type: ignore[attr-defined]
    opts.update_doc = a.update_doc  # type: ignore[attr-defined]
    opts.mode = "short" if a.short else "long"  # type: ignore[attr-defined]
    return opts


def main(argv: list[str] | None = None) -> int:
    opts = parse(argv)
    result = run(opts)
    result["command"] = "python -m bench.load " + " ".join(argv if argv is not None else sys.argv[1:])
    result["finished_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    print(render(result))
    path = opts.json_path or RESULTS / f"last-{opts.mode}.json"  # type: ignore[attr-defined]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2, ensure_ascii=False, default=str))
    print(f"result: {path}")
    if opts.update_doc:  # type: ignore[attr-defined]
        from bench.load.report import DOC, update_doc

        update_doc(result)
        print(f"figures written to {DOC}")
    return 0 if result["reconciliation"]["exact"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
