"""Paraphrase consistency: the same question in other words gets the same level and intent."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence

import numpy as np

from evals.metrics.base import Figures, Metric, MetricResult, Scored, mean, share
from evals.runner import Checkpoint
from evals.targets import Embedder
from evals.text import plain


class ParaphraseConsistency(Metric):
    """Per group of cases sharing `paraphrase_of` (last turn only).

    - paraphrase.level_consistency: share of groups whose replies all have one triage level;
    - paraphrase.intent_consistency: the same for intent;
    - paraphrase.reply_similarity: mean pairwise cosine of the replies (bundled MiniLM).
    """

    name = "paraphrase"

    def __init__(self, embedder: Callable[[], Embedder] | None = None) -> None:
        self._embedder = embedder

    def score(self, check: Checkpoint) -> MetricResult | None:
        if check.reply is None or not check.case.paraphrase_of or not check.is_last:
            return None
        level = check.level
        assert level is not None
        return self.result(float(level), detail=f"{check.reply.triage.level}/{check.reply.intent}")

    @staticmethod
    def groups(scored: Sequence[Scored]) -> dict[str, list[Checkpoint]]:
        out: dict[str, list[Checkpoint]] = defaultdict(list)
        for check, _ in scored:
            assert check.case.paraphrase_of is not None
            out[check.case.paraphrase_of].append(check)
        return {name: members for name, members in out.items() if len(members) >= 2}

    def aggregate(self, scored: Sequence[Scored]) -> Figures:
        groups = self.groups(scored)
        levels = [len({c.level for c in members}) == 1 for members in groups.values()]
        intents = [len({c.reply.intent for c in members if c.reply}) == 1 for members in groups.values()]
        similarity: list[float | None] = []
        if self._embedder is not None and groups:
            embedder = self._embedder()
            for members in groups.values():
                vectors = embedder.embed_array([plain(c.reply.reply) for c in members if c.reply])
                sims = vectors @ vectors.T
                upper = sims[np.triu_indices(len(members), k=1)]
                similarity.append(float(upper.mean()))
        return {
            "paraphrase.level_consistency": share(levels),
            "paraphrase.intent_consistency": share(intents),
            "paraphrase.reply_similarity": mean(similarity),
            "paraphrase.groups": float(len(groups)),
        }

    def case_failures(self, scored: Sequence[Scored]) -> dict[str, str]:
        out = {}
        for name, members in self.groups(scored).items():
            if len({c.level for c in members}) > 1:
                seen = ", ".join(f"{c.case.id}: {c.reply.triage.level}" for c in members if c.reply)
                for check in members:
                    out[check.case.id] = f"paraphrase group {name!r} disagrees on triage level ({seen})"
        return out
