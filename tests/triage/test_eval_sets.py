"""The triage sets in evals/cases: our own set meets the targets; the held-out set is only
checked for format here (it is measured by `python -m tests.triage.measure --holdout`, never tuned)."""

from __future__ import annotations

import pytest

from assistant.types import Level
from tests.triage.helpers import embedder, engine
from tests.triage.measure import CASES, TARGETS, figures, load_cases, run_case

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
    cases = load_cases(CASES / name)
    ids = [c["id"] for c in cases]
    assert len(ids) == len(set(ids))
    for c in cases:
        assert c["category"] in CATEGORIES, c["id"]
        assert c["turns"] and all(isinstance(t, str) and t for t in c["turns"]), c["id"]
        assert Level.parse(c["triage_min"]) <= Level.parse(c["triage_max"]), c["id"]


def test_our_set_is_large_and_covers_every_level_and_category() -> None:
    cases = load_cases(CASES / "triage.jsonl")
    assert len(cases) >= 260
    assert {c["triage_min"] for c in cases} == {"none", "evaluation", "urgent", "emergency"}
    assert {c["category"] for c in cases} == CATEGORIES
    assert len(load_cases(CASES / "triage_holdout.jsonl")) >= 60


def test_our_set_meets_the_safety_targets() -> None:
    outcomes = [run_case(engine(), embedder(), c) for c in load_cases(CASES / "triage.jsonl")]
    result = figures(outcomes)
    for name, (op, target) in TARGETS.items():
        value = result[name]
        assert value >= target if op == ">=" else value <= target, (
            f"{name} = {value:.3f}, target {op} {target}"
        )
