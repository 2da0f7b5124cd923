"""Retrieval hit@k: did any expected knowledge id come back in the top k?"""

from __future__ import annotations

from evals.metrics.base import Metric, MetricResult
from evals.runner import Checkpoint


class HitAtK(Metric):
    def __init__(self, k: int = 3) -> None:
        self.k = k
        self.name = f"retrieval.hit@{k}"

    def score(self, check: Checkpoint) -> MetricResult | None:
        if check.reply is None or not check.expect.expected_ids:
            return None
        top = check.reply.retrieved_ids[: self.k]
        hit = any(doc_id in top for doc_id in check.expect.expected_ids)
        wanted = ", ".join(check.expect.expected_ids)
        detail = f"top {self.k}: {', '.join(top) or 'nothing'}; expected one of {wanted}"
        return self.result(1.0 if hit else 0.0, hit, detail)
