"""Concept coverage: the reply names at least one word of each `mentions_any` group."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from evals.metrics.base import Figures, Metric, MetricResult, Scored, mean
from evals.runner import Checkpoint
from evals.text import normalise


@lru_cache(maxsize=4096)
def _pattern(word: str) -> re.Pattern[str]:
    # Anchored at the start of a word only, so "stretch" also finds "stretching".
    return re.compile(r"(?<![a-z0-9])" + re.escape(normalise(word)))


def mentions(text: str, word: str) -> bool:
    return bool(_pattern(word).search(normalise(text)))


class ConceptCoverage(Metric):
    """`coverage` over the golden cases; `answers.coverage` over the answer cases (their concepts)."""

    name = "coverage"

    def aggregate(self, scored: Sequence[Scored]) -> Figures:
        return {
            self.name: mean([r.value for c, r in scored if c.expect.expect is None]),
            "answers.coverage": mean([r.value for c, r in scored if c.expect.expect is not None]),
        }

    def score(self, check: Checkpoint) -> MetricResult | None:
        if check.reply is None or not check.expect.mentions_any:
            return None
        text = check.reply.reply
        missing = [g for g in check.expect.mentions_any if not any(mentions(text, w) for w in g)]
        groups = len(check.expect.mentions_any)
        value = (groups - len(missing)) / groups
        if missing:
            names = "; ".join("/".join(g) for g in missing)
            return self.result(value, False, f"missing a mention of: {names}")
        return self.result(value, True)
