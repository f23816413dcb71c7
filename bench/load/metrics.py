"""Per-endpoint latency samples, fault windows, and the summary table (p50/p95/p99, rate, errors)."""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (no interpolation: every figure reported was a real request)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


@dataclass
class Sample:
    start: float  # monotonic
    latency: float  # seconds
    status: int  # 0 = transport error
    outcome: str  # "ok", "retry", "error"


@dataclass
class Metrics:
    started: float = field(default_factory=time.monotonic)
    samples: dict[str, list[Sample]] = field(default_factory=lambda: defaultdict(list))
    failures: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    fault_windows: list[tuple[str, float, float]] = field(default_factory=list)
    faults: list[dict[str, Any]] = field(default_factory=list)
    load_end: float | None = None
    transport_errors: Counter[str] = field(default_factory=Counter)
    loop_lag_ms: list[float] = field(default_factory=list)  # how late the client's event loop woke up
    # The steady figures cover [started + warmup_s, started + offered_s]: the first seconds of a fresh server
    # (every phone connecting, every worker opening its pool, every courier's first ETA) and the drain after
    # the offered load stops (the counter finishing queued steps) are not the rate the day runs at.
    warmup_s: float = 0.0
    offered_s: float | None = None

    def add(self, endpoint: str, start: float, latency: float, status: int, outcome: str) -> None:
        self.samples[endpoint].append(Sample(start, latency, status, outcome))

    def fail(self, endpoint: str, why: str) -> None:
        self.failures[endpoint].append(why)

    def in_fault(self, moment: float, grace: float = 3.0, until: float | None = None) -> bool:
        """Did [moment, until] overlap a fault window (plus a grace period for reconnecting pools)?"""
        until = moment if until is None else until
        return any(until >= start - 0.5 and moment <= end + grace for _, start, end in self.fault_windows)

    def hit(self, s: Sample) -> bool:
        return self.in_fault(s.start, until=s.start + s.latency)

    def summary(self) -> dict[str, Any]:
        end = self.load_end or time.monotonic()
        elapsed = max(end - self.started, 1e-9)
        w0 = min(self.started + self.warmup_s, end)
        w1 = max(min(end, self.started + self.offered_s) if self.offered_s else end, w0)
        fault_time = sum(max(0.0, min(e + 3.0, w1) - max(s - 0.5, w0)) for _, s, e in self.fault_windows)
        steady = max(w1 - w0 - fault_time, 1e-9)
        rows = {}
        for name, samples in sorted(self.samples.items()):
            ok = [s for s in samples if s.outcome == "ok" and s.start <= end]
            steady_ok = [s for s in ok if w0 <= s.start <= w1 and not self.hit(s)]
            lat = [s.latency * 1000 for s in steady_ok]
            all_lat = [s.latency * 1000 for s in ok]
            warm_lat = [s.latency * 1000 for s in ok if s.start < w0]
            unexpected_5xx = [s for s in samples if s.status >= 500 and not self.hit(s)]
            transport = [s for s in samples if s.status == 0 and not self.hit(s)]
            rows[name] = {
                "ok": len(ok),
                "rate_per_s": len(ok) / elapsed,
                "steady_rate_per_s": len(steady_ok) / steady,
                "p50_ms": percentile(lat, 50),
                "p95_ms": percentile(lat, 95),
                "p99_ms": percentile(lat, 99),
                "max_ms": max(lat, default=None),
                "p99_ms_incl_faults": percentile(all_lat, 99),
                "warmup_p99_ms": percentile(warm_lat, 99),
                "retries": sum(1 for s in samples if s.outcome == "retry"),
                "retries_in_faults": sum(1 for s in samples if s.outcome == "retry" and self.hit(s)),
                "errors": len(self.failures.get(name, [])),
                "unexpected_5xx": len(unexpected_5xx),
                "unexpected_transport": len(transport),
            }
        unexpected = sorted(
            (round(s.start - self.started, 2), name, s.status)
            for name, samples in self.samples.items()
            for s in samples
            if (s.status >= 500 or s.status == 0) and not self.hit(s)
        )
        return {
            "unexpected": unexpected[:40],
            "transport_errors": dict(self.transport_errors.most_common(10)),
            "fault_windows": [
                (n, round(a - self.started, 2), round(b - self.started, 2)) for n, a, b in self.fault_windows
            ],
            "elapsed_s": elapsed,
            "warmup_s": w0 - self.started,
            "steady_s": steady,
            "endpoints": rows,
            "client_loop_lag_ms": {
                "p50": percentile(self.loop_lag_ms, 50),
                "p99": percentile(self.loop_lag_ms, 99),
                "max": max(self.loop_lag_ms, default=None),
            },
            "failures": {k: v[:10] for k, v in self.failures.items() if v},
            "faults": self.faults,
        }


def worst_warmup_p99(summary: dict[str, Any]) -> float | None:
    """The warm-up is left out of the table; its worst p99 is printed beside it instead."""
    return max((r["warmup_p99_ms"] for r in summary["endpoints"].values() if r.get("warmup_p99_ms")), default=None)


def fmt_ms(value: float | None) -> str:
    return "–" if value is None else f"{value:.0f}"


def table(summary: dict[str, Any]) -> str:
    """Markdown table, the same one docs/robustness.md quotes."""
    lines = [
        "| endpoint | ok | req/s (steady) | p50 ms | p95 ms | p99 ms | max ms | retries (in faults) | errors |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, r in summary["endpoints"].items():
        lines.append(
            f"| {name} | {r['ok']} | {r['steady_rate_per_s']:.1f} | {fmt_ms(r['p50_ms'])} | {fmt_ms(r['p95_ms'])} | "
            f"{fmt_ms(r['p99_ms'])} | {fmt_ms(r['max_ms'])} | {r['retries']} ({r['retries_in_faults']}) | "
            f"{r['errors'] + r['unexpected_5xx'] + r['unexpected_transport']} |"
        )
    return "\n".join(lines)
