"""The metric interface: `score()` one checkpoint, `aggregate()` the scores into figures."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from evals.runner import Checkpoint


@dataclass(frozen=True)
class MetricResult:
    """One metric on one checkpoint.

    `value` is the measured number (None when it cannot be measured); `passed` is False when the
    checkpoint fails this metric, True when it passes, None when the metric does not judge cases.
    """

    metric: str
    value: float | None
    passed: bool | None = None
    detail: str = ""


Scored = tuple[Checkpoint, MetricResult]
Figures = dict[str, float | None]


class Metric:
    """Base of every metric: one small class per module, stateless between runs."""

    name: str = "metric"
    # Figures for which a smaller number is better (used for baseline deltas).
    lower_is_better: ClassVar[frozenset[str]] = frozenset()

    def score(self, check: Checkpoint) -> MetricResult | None:
        """The result on one checkpoint, or None when the metric does not apply to it."""
        raise NotImplementedError

    def aggregate(self, scored: Sequence[Scored]) -> Figures:
        """The run's figures from every checkpoint's result; the mean value by default."""
        return {self.name: mean([r.value for _, r in scored])}

    def case_failures(self, scored: Sequence[Scored]) -> dict[str, str]:
        """Failures only visible across cases (e.g. a paraphrase group): case id to reason."""
        return {}

    def result(self, value: float | None, passed: bool | None = None, detail: str = "") -> MetricResult:
        return MetricResult(self.name, value, passed, detail)


def mean(values: Sequence[float | None]) -> float | None:
    found = [v for v in values if v is not None]
    return sum(found) / len(found) if found else None


def share(flags: Sequence[bool]) -> float | None:
    return sum(flags) / len(flags) if flags else None
