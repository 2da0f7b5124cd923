"""Duplicate replies: the same answer text given to different questions."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from evals.metrics.base import Figures, Metric, MetricResult, Scored
from evals.runner import Checkpoint
from evals.text import normalise, plain


def _answer(check: Checkpoint) -> str:
    assert check.reply is not None
    return normalise(plain(check.reply.answer or check.reply.reply))


class DuplicateReplies(Metric):
    """Of the answers-family replies, the share whose answer text another question also got."""

    name = "answers.duplicate_replies"
    lower_is_better = frozenset({"answers.duplicate_replies"})

    def score(self, check: Checkpoint) -> MetricResult | None:
        if check.reply is None or check.expect.expect is None:
            return None
        return self.result(None)

    def _groups(self, scored: Sequence[Scored]) -> dict[str, set[str]]:
        asked: dict[str, set[str]] = defaultdict(set)
        for check, _ in scored:
            asked[_answer(check)].add(normalise(check.case.turns[check.turn - 1]))
        return asked

    def aggregate(self, scored: Sequence[Scored]) -> Figures:
        if not scored:
            return {self.name: None}
        asked = self._groups(scored)
        dupes = sum(1 for check, _ in scored if len(asked[_answer(check)]) > 1)
        return {self.name: dupes / len(scored)}

    def case_failures(self, scored: Sequence[Scored]) -> dict[str, str]:
        asked = self._groups(scored)
        return {
            check.case.id: f"the same answer as for {len(asked[_answer(check)]) - 1} other question(s)"
            for check, _ in scored
            if len(asked[_answer(check)]) > 1
        }
