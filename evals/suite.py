"""Scores runs with metrics: per-checkpoint results, case verdicts and the run's figures."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from evals.metrics.base import Figures, Metric, MetricResult
from evals.runner import CaseRun, Checkpoint


@dataclass
class CheckResult:
    check: Checkpoint
    results: list[MetricResult] = field(default_factory=list)

    @property
    def failures(self) -> list[str]:
        out = [f"{r.metric}: {r.detail}" for r in self.results if r.passed is False]
        if self.check.error:
            out.insert(0, f"error: {self.check.error}")
        return out


@dataclass
class CaseVerdict:
    run: CaseRun
    checks: list[CheckResult]
    extra_failures: list[str] = field(default_factory=list)

    @property
    def id(self) -> str:
        return self.run.case.id

    @property
    def failures(self) -> list[str]:
        out: list[str] = []
        for check in self.checks:
            prefix = f"turn {check.check.turn}: " if len(self.run.case.turns) > 1 else ""
            out.extend(prefix + f for f in check.failures)
        return out + self.extra_failures

    @property
    def passed(self) -> bool:
        return not self.failures

    @property
    def severity(self) -> int:
        """For ordering failures: a missed red flag first, then errors, other triage, the rest."""
        failures = self.failures
        if any("under-triage" in f for f in failures):
            return 0
        if any("error:" in f for f in failures):
            return 1
        if any("triage:" in f or "escalation" in f or "forbidden:" in f for f in failures):
            return 2
        return 3 if failures else 4


@dataclass
class EvalResult:
    figures: Figures
    verdicts: list[CaseVerdict]
    lower_is_better: frozenset[str] = frozenset()
    notes: list[str] = field(default_factory=list)

    @property
    def failing(self) -> list[CaseVerdict]:
        """Failing cases, the most serious first (a missed red flag before a wrong intent)."""
        return sorted((v for v in self.verdicts if not v.passed), key=lambda v: v.severity)


def evaluate(runs: Sequence[CaseRun], metrics: Sequence[Metric]) -> EvalResult:
    """Score every checkpoint of every run with every metric, then aggregate."""
    verdicts = [CaseVerdict(run, [CheckResult(c) for c in run.checkpoints()]) for run in runs]
    figures: Figures = {}
    lower: set[str] = set()
    for metric in metrics:
        scored = []
        for verdict in verdicts:
            for check in verdict.checks:
                result = metric.score(check.check)
                if result is not None:
                    check.results.append(result)
                    scored.append((check.check, result))
        figures.update(metric.aggregate(scored))
        lower |= metric.lower_is_better
        reasons = metric.case_failures(scored)
        for verdict in verdicts:
            if verdict.id in reasons:
                verdict.extra_failures.append(f"{metric.name}: {reasons[verdict.id]}")
    checks = [c for v in verdicts for c in v.checks]
    figures["cases.total"] = float(len(verdicts))
    figures["cases.pass_rate"] = sum(v.passed for v in verdicts) / len(verdicts) if verdicts else None
    figures["cases.errors"] = float(sum(1 for c in checks if c.check.error))
    lower.add("cases.errors")
    return EvalResult(figures, verdicts, frozenset(lower))
