"""Every rule with a level has conversation tests, and every rule reads like a clinical document."""

from __future__ import annotations

from assistant.triage import TriageEngine
from tests.triage.rule_cases import CASES


def test_every_rule_with_a_level_has_conversation_cases(triage: TriageEngine) -> None:
    leveled = {s.id for s in triage.book.signs.values() if s.level} | set(triage.book.combinations)
    missing = sorted(leveled - CASES.keys())
    assert not missing, f"rules without conversation tests in rule_cases.py: {missing}"
    unknown = sorted(CASES.keys() - leveled)
    assert not unknown, f"rule_cases.py names rules that do not exist: {unknown}"


def test_every_rule_has_firing_and_quiet_cases() -> None:
    for rule, cases in CASES.items():
        assert cases["fires"], f"{rule}: no message that fires it"
        assert cases["quiet"], f"{rule}: no denial or look-alike that must stay quiet"


def test_signs_are_tested_with_several_wordings(triage: TriageEngine) -> None:
    for sign in triage.book.signs.values():
        if sign.level:
            assert len(CASES[sign.id]["fires"]) >= 2, f"{sign.id}: test at least two lay wordings"


def test_every_flag_rule_names_its_rationale_source_and_lay_name(triage: TriageEngine) -> None:
    rules = [*[s for s in triage.book.signs.values() if s.level], *triage.book.combinations.values()]
    for rule in rules:
        assert rule.rationale and rule.source, f"{rule.id}: rationale and source are required"
        assert rule.say, f"{rule.id}: `say` (the lay name used in replies) is missing"


def test_cauda_equina_escalates_on_any_single_item(triage: TriageEngine) -> None:
    """The brief's conservative choice: any ONE CES item is an emergency (not two or more)."""
    ces = [
        "saddle_numbness",
        "bladder_change",
        "bowel_change",
        "sexual_dysfunction",
        "bilateral_leg_symptoms",
        "motor_deficit",
    ]
    for rule in ces:
        assert triage.book.signs[rule].level == "emergency"
