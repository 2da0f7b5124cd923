"""Triage: per-level recall and precision, safe advice, under- and over-triage."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from assistant.types import Level
from evals.metrics.base import Figures, Metric, MetricResult, Scored, share
from evals.runner import Checkpoint


class TriageAccuracy(Metric):
    """The reply's triage level against the case's acceptable range [triage_min, triage_max].

    - recall.<level>: of checkpoints whose lowest acceptable level is <level>, the share answered
      at that level or higher (for `none`: the share not raised above triage_max);
    - precision.<level>: of replies at <level>, the share whose range contains it;
    - safe_advice: the share in range or exactly one level more cautious than triage_max;
    - under_triage: the share below triage_min;
    - over_triage: of checkpoints that could be raised (triage_max below emergency), the share
      raised above triage_max; over_to_emergency: of those expecting at most evaluation, the
      share sent to emergency.
    """

    name = "triage"
    lower_is_better = frozenset({"triage.under_triage", "triage.over_triage", "triage.over_to_emergency"})

    def score(self, check: Checkpoint) -> MetricResult | None:
        lo, hi, got = check.expect.triage_min, check.expect.triage_max, check.level
        if lo is None or hi is None or got is None:
            return None
        want = lo.label if lo == hi else f"{lo.label}..{hi.label}"
        if got < lo:
            return self.result(0.0, False, f"under-triage: expected {want}, got {got.label}")
        if got > hi:
            return self.result(0.0, False, f"over-triage: expected {want}, got {got.label}")
        return self.result(1.0, True, f"{got.label} (expected {want})")

    def aggregate(self, scored: Sequence[Scored]) -> Figures:
        rows = [(c.expect.triage_min, c.expect.triage_max, c.level) for c, _ in scored]
        rows3 = [
            (lo, hi, got) for lo, hi, got in rows if lo is not None and hi is not None and got is not None
        ]
        return level_figures(rows3)


def level_figures(rows3: Sequence[tuple[Level, Level, Level]]) -> Figures:
    """The triage figures from (lowest acceptable, highest acceptable, answered) levels.

    The one implementation: the harness, the classifier's training folds and the blind rounds
    all call it.
    """
    figures: Figures = {"triage.accuracy": share([lo <= got <= hi for lo, hi, got in rows3])}
    for level in Level:
        wanted = [(lo, hi, got) for lo, hi, got in rows3 if lo == level]
        if level == Level.NONE:
            figures[f"triage.recall.{level.label}"] = share([got <= hi for _, hi, got in wanted])
        else:
            figures[f"triage.recall.{level.label}"] = share([got >= level for _, _, got in wanted])
        answered = [(lo, hi) for lo, hi, got in rows3 if got == level]
        figures[f"triage.precision.{level.label}"] = share([lo <= level <= hi for lo, hi in answered])
    figures["triage.safe_advice"] = share([lo <= got <= hi + 1 for lo, hi, got in rows3])
    # of the messages that needed care, the share sent to at least that care
    figures["triage.safe_escalation"] = share([got >= lo for lo, _, got in rows3 if lo > Level.NONE])
    figures["triage.under_triage"] = share([got < lo for lo, _, got in rows3])
    figures["triage.over_triage"] = share([got > hi for _, hi, got in rows3 if hi < Level.EMERGENCY])
    figures["triage.over_to_emergency"] = share(
        [got == Level.EMERGENCY for _, hi, got in rows3 if hi <= Level.EVALUATION]
    )
    figures["triage.checked"] = float(len(rows3))
    return figures


def round_out_figures(classifier_dir: Path, corpus_dir: Path) -> Figures:
    """The classifier's leave-one-round-out figures (`loro.json`, written by `make train-triage`),
    pooled over every round, as `triage.loro.*`; none when the file is missing or was computed
    on another corpus (then the gates on them fail as unmeasured)."""
    from assistant.triage.classifier import corpus_digest

    path = classifier_dir / "loro.json"
    if not path.is_file():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    if data.get("corpus_digest") != corpus_digest(corpus_dir):
        return {}
    pooled = data.get("pooled", {})
    return {
        f"triage.loro.{name.removeprefix('triage.')}": value
        for name, value in pooled.items()
        if name.startswith("triage.")
    }
