"""The evaluation harness: golden cases, metrics, gates and reports (`runsource eval`)."""

from __future__ import annotations

from evals.cases import Case, CaseError, CaseErrors, load_cases
from evals.cli import main
from evals.runner import CaseRun, Checkpoint, run_cases
from evals.suite import EvalResult, evaluate
from evals.targets import HttpTarget, InProcessTarget, Target

__all__ = [
    "Case",
    "CaseError",
    "CaseErrors",
    "CaseRun",
    "Checkpoint",
    "EvalResult",
    "HttpTarget",
    "InProcessTarget",
    "Target",
    "evaluate",
    "load_cases",
    "main",
    "run_cases",
]
