"""The load harness in CI mode: two API processes (the actors spread over both) with evidence on a real
S3-compatible server on loopback, one of them killed with SIGKILL once, the database cut once, and an exact
reconciliation afterwards (nothing acknowledged lost, nothing duplicated, every chain and file verifies)."""

from __future__ import annotations

import json

from bench.load.__main__ import RESULTS, parse
from bench.load.run import render, run


def test_short_run_survives_kill_and_outage_and_reconciles_exactly(own_thread):
    """Every handover a client saw acknowledged is stored exactly once after a SIGKILL and a DB outage."""
    # small pools: the suite's other worker (and other suites) share PostgreSQL's 100 connections
    opts = parse(["--short", "--apis", "2", "--workers", "1", "--s3", "--db-pool", "8,4"])
    result = own_thread(run, opts)  # its asyncio loop, away from a browser test's Playwright loop
    print(render(result))
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "last-ci.json").write_text(json.dumps(result, indent=2, default=str))

    rec = result["reconciliation"]
    assert rec["exact"], rec["problems"]
    assert result["server_kills"] == 1
    assert result["topology"] == {"apis": 2, "workers_each": 1, "evidence": "s3"}
    assert len(result["load"]["faults"]) == 2
    counts = rec["counts"]
    assert counts["handovers_acknowledged"] > 0
    assert counts["handovers_unacknowledged"] == 0, result["load"]["failures"]
    assert counts["chains_verified"] == counts["jobs_checked"]
    # a request that was never acknowledged, or refused with an unexpected 4xx, is a failure
    assert not result["load"]["failures"], result["load"]["failures"]
    crashes = [u for u in result["load"]["unexpected"] if u[2] == 500]
    assert not crashes, crashes
    # two counters recording the same drop at once: exactly one wins every time
    assert result["races"]["run"] >= 1 and result["races"]["double_wins"] == 0 and result["races"]["no_winner"] == 0
