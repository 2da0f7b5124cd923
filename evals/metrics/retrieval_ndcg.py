"""nDCG@k with binary relevance: expected ids near the top score more."""

from __future__ import annotations

import math

from evals.metrics.base import Metric, MetricResult
from evals.runner import Checkpoint


class NDCGAtK(Metric):
    def __init__(self, k: int = 5) -> None:
        self.k = k
        self.name = f"retrieval.ndcg@{k}"

    def score(self, check: Checkpoint) -> MetricResult | None:
        if check.reply is None or not check.expect.expected_ids:
            return None
        wanted = set(check.expect.expected_ids)
        gains = [1.0 if d in wanted else 0.0 for d in check.reply.retrieved_ids[: self.k]]
        dcg = sum(g / math.log2(rank + 1) for rank, g in enumerate(gains, start=1))
        ideal = sum(1.0 / math.log2(rank + 1) for rank in range(1, min(len(wanted), self.k) + 1))
        return self.result(dcg / ideal)
