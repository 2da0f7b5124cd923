"""Wrong refusals and honest gaps: questions we can answer must not be turned away, and questions
the knowledge does not cover should say so (not answer a neighbouring topic)."""

from __future__ import annotations

from collections.abc import Sequence

from evals.metrics.base import Figures, Metric, MetricResult, Scored, share
from evals.metrics.routing import DECLINED
from evals.runner import Checkpoint


class WrongRefusals(Metric):
    name = "answers.wrong_refusals"
    lower_is_better = frozenset({"answers.wrong_refusals"})

    def score(self, check: Checkpoint) -> MetricResult | None:
        reply, expect = check.reply, check.expect.expect
        if reply is None or expect is None:
            return None
        turned_away = reply.intent in DECLINED or not reply.in_scope
        if expect == "answer":
            if turned_away or reply.gap:
                how = f"routed {reply.intent}" if turned_away else "answered as a gap"
                return self.result(1.0, False, f"{how}, but the knowledge answers it")
            return self.result(0.0, True)
        said = reply.gap or turned_away
        return self.result(0.0, said, "" if said else "answered a neighbouring topic instead of saying so")

    def aggregate(self, scored: Sequence[Scored]) -> Figures:
        answers = [r.passed is False for c, r in scored if c.expect.expect == "answer"]
        gaps = [r.passed is True for c, r in scored if c.expect.expect == "gap"]
        return {self.name: share(answers), "answers.gaps_admitted": share(gaps)}
