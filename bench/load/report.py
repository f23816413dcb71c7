"""Write a run's figures into docs/robustness.md (between its ``<!-- results -->``/``<!-- profile -->`` markers)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from bench.load.metrics import table, worst_warmup_p99

DOC = Path(__file__).resolve().parents[2] / "docs" / "robustness.md"


def results_markdown(r: dict[str, Any]) -> str:
    t, rec, c, counts = r["targets"], r["reconciliation"], r["cpu"], r["reconciliation"]["counts"]
    faults = "; ".join(f"{f['fault']} at {f['at_s']} s (down {f['down_s']} s)" for f in r["load"]["faults"]) or "none"
    met = t["met"]
    rows = [
        ("command", f"`{r.get('command', 'python -m bench.load')}`"),
        ("run", f"{r.get('finished_at', '?')}, {r['load']['elapsed_s']:.0f} s of load "
                f"(steady window {r['load']['steady_s']:.0f} s: after a {r['load'].get('warmup_s', 0):.0f} s warm-up, "
                f"until the offered load stops, outside fault windows), {r['seed'].get('offices', 1)} offices, "
                f"{r['seed']['couriers']} couriers, {r['seed']['jobs']} jobs"),
        ("machine", f"{r['machine']['cores']} cores, {r['machine']['cpu']}, Python {r['machine']['python']}"),
        ("faults injected", f"{faults}; {r['drops']['mid_upload']} uploads cut mid-body, "
                            f"{r['drops']['before_response']} cut after the body before the answer; "
                            + _races(r.get("races"))),
        ("throughput (steady)", f"{t['position_batches_per_s']} position batches/s, {t['handovers_per_s']} "
                                f"handovers/s (offered {_offered(t)}: {_met(met['positions'] and met['handovers'])})"),
        ("worst p99", f"{t['worst_p99_ms']:.0f} ms (target < 500 ms: {_met(met['p99'])})"),
        ("errors", f"{t['errors']} (never acknowledged, unexpected 4xx, or 5xx/transport error outside faults)"),
        ("warm-up", _warmup(r)),
        ("CPU", f"server {c['server_s']} s ({c.get('server_ms_per_answer', '–')} ms per answered request), "
                f"load client {c['client_s']} s; 1-min load average "
                f"{c['loadavg_1m_before']} → {c['loadavg_1m_after']} on 2 cores"),
        ("reconciliation", f"**{'EXACT' if rec['exact'] else 'NOT EXACT'}**: {counts['handovers_acknowledged']} "
                           f"handovers acknowledged = {counts['handovers_stored']} stored "
                           f"({counts['replays_seen']} answered as replays); {counts['attempts_acknowledged']} "
                           f"attempts = {counts['attempts_stored']} stored; "
                           f"{counts.get('position_batches_acknowledged', 0)} position batches "
                           f"({counts.get('positions_stored', 0)} fixes) stored; {counts['chains_verified']}/"
                           f"{counts['jobs_checked']} chains verify; {counts['evidence_rows']} evidence rows with "
                           f"intact files; {counts['orphan_files_found']} orphan files"),
    ]  # fmt: skip
    return table(r["load"]) + "\n\n| | |\n|---|---|\n" + "\n".join(f"| {k} | {v} |" for k, v in rows)


def _races(races: dict[str, int] | None) -> str:
    if not races:
        return "no double recordings"
    return (f"{races['run']} drops recorded by two counters at once: {races['double_wins']} double wins, "
            f"{races['no_winner']} without a winner")  # fmt: skip


def _offered(t: dict[str, Any]) -> str:
    offered = t.get("offered") or {"position_batches_per_s": 300, "handovers_per_s": 50}  # runs before 12-06
    return f"{offered['position_batches_per_s']:g} and {offered['handovers_per_s']:g}"


def _met(ok: bool) -> str:
    return "met" if ok else "**not met**"


def profile_markdown(r: dict[str, Any]) -> str:
    top = r.get("profile_top") or []
    if not top:
        return "(run with `--profile` for this table)"
    lines = ["| share of worker samples | function |", "|---:|---|"]
    return "\n".join(lines + [f"| {share:.0f} % | `{name}` |" for name, share in top[:14]])


def update_doc(result: dict[str, Any], doc: Path = DOC) -> None:
    text = doc.read_text()
    for marker, body in (("results", results_markdown(result)), ("profile", profile_markdown(result))):
        pattern = re.compile(rf"(<!-- {marker}:start -->\n).*?(\n<!-- {marker}:end -->)", re.S)
        text = pattern.sub(lambda m, body=body: m.group(1) + body + m.group(2), text)
    doc.write_text(text)


def _warmup(r: dict[str, Any]) -> str:
    """The first seconds are left out of the table, so what they cost is said here rather than hidden."""
    worst = worst_warmup_p99(r["load"])
    lag = r["load"].get("client_loop_lag_ms", {})
    text = (
        "no samples" if worst is None else f"worst p99 {worst:.0f} ms in the first {r['load'].get('warmup_s', 0):.0f} s"
    )
    if lag.get("p99") is not None:
        text += f"; the load client's event loop woke late by p99 {lag['p99']:.0f} ms, max {lag['max']:.0f} ms"
    return text
