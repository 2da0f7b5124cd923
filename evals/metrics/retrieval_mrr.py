"""Mean reciprocal rank of the first expected knowledge id."""

from __future__ import annotations

from evals.metrics.base import Metric, MetricResult
from evals.runner import Checkpoint


class ReciprocalRank(Metric):
    name = "retrieval.mrr"

    def score(self, check: Checkpoint) -> MetricResult | None:
        if check.reply is None or not check.expect.expected_ids:
            return None
        wanted = set(check.expect.expected_ids)
        for rank, doc_id in enumerate(check.reply.retrieved_ids, start=1):
            if doc_id in wanted:
                return self.result(1.0 / rank, detail=f"first expected id at rank {rank}")
        return self.result(0.0, detail="no expected id retrieved")
