"""The triage case files in evals/cases are well formed and cover every level.

Their figures are measured once, by the eval harness (`evals/metrics/triage.py`) against the
gates in `evals/gates.yaml` (tests/evals/test_release_gates.py); nothing here recounts them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.types import Level
from evals.cases import load_cases

CASES = Path(__file__).resolve().parents[2] / "evals" / "cases"
CATEGORIES = {
    "triage",
    "negation",
    "history",
    "hypothetical",
    "other_person",
    "multilingual",
    "multi_turn",
    "adversarial",
    "benign",
}


@pytest.mark.parametrize("name", ["triage.jsonl", "triage_holdout.jsonl"])
def test_case_files_are_well_formed(name: str) -> None:
    cases = load_cases([CASES / name])
    for c in cases:
        assert c.category in CATEGORIES, c.id
        assert c.turns and all(isinstance(t, str) and t for t in c.turns), c.id
        assert c.triage_min <= c.triage_max, c.id


def test_our_set_is_large_and_covers_every_level_and_category() -> None:
    cases = load_cases([CASES / "triage.jsonl"])
    assert len(cases) >= 260
    assert {c.triage_min for c in cases} == set(Level)
    assert {c.category for c in cases} == CATEGORIES
    assert len(load_cases([CASES / "triage_holdout.jsonl"])) >= 60
