"""Reply length in words (Markdown stripped): mean, median, p95 and the longest; and the median of
the answer cases' replies (`answers.words_median`)."""

from __future__ import annotations

from collections.abc import Sequence

from evals.metrics.base import Figures, Metric, MetricResult, Scored
from evals.metrics.latency import percentile
from evals.runner import Checkpoint
from evals.text import plain, words


class ReplyLength(Metric):
    name = "length"
    lower_is_better = frozenset(
        {
            "length.words_mean",
            "length.words_median",
            "length.words_p95",
            "length.words_max",
            "answers.words_median",
        }
    )

    def score(self, check: Checkpoint) -> MetricResult | None:
        if check.reply is None:
            return None
        return self.result(float(len(words(plain(check.reply.reply)))))

    def aggregate(self, scored: Sequence[Scored]) -> Figures:
        values = [r.value for _, r in scored if r.value is not None]
        answers = [r.value for c, r in scored if r.value is not None and c.expect.expect is not None]
        if not values:
            return {"length.words_mean": None, "length.words_p95": None, "length.words_max": None}
        return {
            "length.words_mean": sum(values) / len(values),
            "length.words_median": percentile(values, 50),
            "answers.words_median": percentile(answers, 50) if answers else None,
            "length.words_p95": percentile(values, 95),
            "length.words_max": max(values),
        }
