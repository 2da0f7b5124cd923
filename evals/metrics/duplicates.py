"""Duplicate replies: the same answer text given to questions that need different answers.

Two questions need different answers when neither's labelled sections answers the other (a
paraphrase labelled with the same section may get the same answer).
"""

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

    def _duplicates(self, scored: Sequence[Scored]) -> dict[str, int]:
        """Checkpoint label to how many other questions got its answer though they needed another."""
        by_answer: dict[str, list[Checkpoint]] = defaultdict(list)
        for check, _ in scored:
            by_answer[_answer(check)].append(check)
        out: dict[str, int] = {}
        for group in by_answer.values():
            for check in group:
                question = normalise(check.case.turns[check.turn - 1])
                mine = set(check.expect.expected_sections)
                others = {
                    normalise(o.case.turns[o.turn - 1])
                    for o in group
                    if normalise(o.case.turns[o.turn - 1]) != question
                    and not (mine and mine & set(o.expect.expected_sections))
                }
                if others:
                    out[check.label] = len(others)
        return out

    def aggregate(self, scored: Sequence[Scored]) -> Figures:
        if not scored:
            return {self.name: None}
        return {self.name: len(self._duplicates(scored)) / len(scored)}

    def case_failures(self, scored: Sequence[Scored]) -> dict[str, str]:
        dupes = self._duplicates(scored)
        return {
            check.case.id: f"the same answer as for {dupes[check.label]} question(s) that need another"
            for check, _ in scored
            if check.label in dupes
        }
