"""Section hit@1: is the section the answer was composed from one that answers the question?"""

from __future__ import annotations

from collections.abc import Sequence

from evals.metrics.base import Figures, Metric, MetricResult, Scored, mean
from evals.runner import Checkpoint


class SectionHitAt1(Metric):
    name = "answers.section_hit@1"

    def score(self, check: Checkpoint) -> MetricResult | None:
        if check.reply is None or not check.expect.expected_sections:
            return None
        top = check.reply.retrieved_sections[:1]
        hit = bool(top) and top[0] in check.expect.expected_sections
        wanted = ", ".join(check.expect.expected_sections)
        detail = f"answered from {top[0] if top else 'nothing'}; expected {wanted}"
        return self.result(1.0 if hit else 0.0, hit, detail)

    def aggregate(self, scored: Sequence[Scored]) -> Figures:
        follow_ups = [r.value for c, r in scored if c.turn > 1]
        return {
            self.name: mean([r.value for _, r in scored]),
            f"{self.name}.follow_ups": mean(follow_ups),
        }
