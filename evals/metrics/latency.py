"""Latency per turn, as the harness saw it (in-process call or HTTP round trip): p50 and p95."""

from __future__ import annotations

import math
from collections.abc import Sequence

from evals.metrics.base import Figures, Metric, MetricResult, Scored
from evals.runner import Checkpoint


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (no interpolation), so it is always an observed value."""
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100.0 * len(ordered)))
    return ordered[rank - 1]


class Latency(Metric):
    name = "latency"
    lower_is_better = frozenset({"latency.p50_ms", "latency.p95_ms"})

    def score(self, check: Checkpoint) -> MetricResult | None:
        if not check.latencies_ms:
            return None
        # The value is this checkpoint's slowest turn; the figures use every turn.
        return self.result(max(check.latencies_ms))

    def aggregate(self, scored: Sequence[Scored]) -> Figures:
        turns = [ms for check, _ in scored for ms in check.latencies_ms]
        if not turns:
            return {"latency.p50_ms": None, "latency.p95_ms": None}
        return {"latency.p50_ms": percentile(turns, 50), "latency.p95_ms": percentile(turns, 95)}
