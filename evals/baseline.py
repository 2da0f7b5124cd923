"""Baselines: a run's figures and case outcomes saved as JSON, and the deltas of a new run."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.errors import ConfigError
from evals.suite import CaseVerdict, EvalResult

VERSION = 1
NOISE = 1e-9


def case_summary(verdict: CaseVerdict) -> dict[str, Any]:
    last = verdict.checks[-1].check.reply if verdict.checks else None
    scores: dict[str, float] = {}
    for check in verdict.checks:
        for result in check.results:
            if result.value is not None and check.check.is_last:
                scores[result.metric] = result.value
    return {
        "passed": verdict.passed,
        "level": last.triage.level if last else None,
        "intent": last.intent if last else None,
        "failures": verdict.failures,
        "scores": scores,
    }


def to_baseline(result: EvalResult, meta: dict[str, Any]) -> dict[str, Any]:
    return {
        "version": VERSION,
        "meta": meta,
        "figures": result.figures,
        "lower_is_better": sorted(result.lower_is_better),
        "cases": {v.id: case_summary(v) for v in result.verdicts},
    }


def save_baseline(result: EvalResult, path: Path, meta: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(to_baseline(result, meta), indent=2, sort_keys=True) + "\n", encoding="utf-8")


def load_baseline(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ConfigError(
            f"{path}: not a readable baseline ({exc}); write one with --save-baseline"
        ) from None
    if not isinstance(data, dict) or data.get("version") != VERSION or "figures" not in data:
        raise ConfigError(f"{path}: not a baseline of version {VERSION}; write one with --save-baseline")
    return data


@dataclass(frozen=True)
class MetricDelta:
    metric: str
    before: float | None
    after: float | None
    lower_is_better: bool

    @property
    def delta(self) -> float | None:
        if self.before is None or self.after is None:
            return None
        return self.after - self.before

    @property
    def verdict(self) -> str:
        """better, worse, same, new or gone."""
        if self.before is None and self.after is None:
            return "same"
        if self.before is None:
            return "new"
        if self.after is None:
            return "gone"
        delta = self.after - self.before
        if abs(delta) <= NOISE:
            return "same"
        return "better" if (delta < 0) == self.lower_is_better else "worse"


@dataclass(frozen=True)
class CaseDelta:
    id: str
    change: str  # "now failing", "now passing", "level", "new", "gone", "scores"
    detail: str


@dataclass(frozen=True)
class Comparison:
    metrics: list[MetricDelta]
    cases: list[CaseDelta]

    @property
    def regressions(self) -> list[CaseDelta]:
        return [c for c in self.cases if c.change == "now failing"]


def compare(baseline: dict[str, Any], result: EvalResult) -> Comparison:
    """Per-metric and per-case differences between a saved baseline and this run."""
    before_figs: dict[str, float | None] = baseline["figures"]
    lower = set(baseline.get("lower_is_better", [])) | result.lower_is_better
    names = list(dict.fromkeys([*result.figures, *before_figs]))
    metrics = [MetricDelta(n, before_figs.get(n), result.figures.get(n), n in lower) for n in names]
    before_cases: dict[str, dict[str, Any]] = baseline.get("cases", {})
    now = {v.id: case_summary(v) for v in result.verdicts}
    cases: list[CaseDelta] = []
    for case_id, after in now.items():
        before = before_cases.get(case_id)
        if before is None:
            cases.append(CaseDelta(case_id, "new", "not in the baseline"))
            continue
        if before["passed"] and not after["passed"]:
            cases.append(CaseDelta(case_id, "now failing", "; ".join(after["failures"])[:300]))
        elif not before["passed"] and after["passed"]:
            cases.append(CaseDelta(case_id, "now passing", "; ".join(before["failures"])[:300]))
        if before.get("level") != after["level"]:
            cases.append(CaseDelta(case_id, "level", f"{before.get('level')} -> {after['level']}"))
        moved = [
            f"{m} {before['scores'][m]:.2f} -> {v:.2f}"
            for m, v in after["scores"].items()
            if m in before.get("scores", {})
            and abs(v - before["scores"][m]) > 0.05
            and not m.startswith("latency")
        ]
        if moved:
            cases.append(CaseDelta(case_id, "scores", ", ".join(moved)))
    for case_id in before_cases.keys() - now.keys():
        cases.append(CaseDelta(case_id, "gone", "in the baseline, not in this run"))
    order = {"now failing": 0, "level": 1, "now passing": 2, "scores": 3, "new": 4, "gone": 5}
    cases.sort(key=lambda c: (order[c.change], c.id))
    return Comparison(metrics, cases)
