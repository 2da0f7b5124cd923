"""The output guard: doses, diagnoses, escalation order, exercises at urgent, citations."""

from __future__ import annotations

import pytest

from assistant.guard import OutputGuard
from assistant.types import Level

GUARD = OutputGuard("999")
EDUCATION = (
    "Tight hamstrings are rarely the whole story for a runner's low back [1]. Hip extension, trunk "
    "control and how you load your runs usually matter more.\n\n**Try this**\n- Dead bug: 2-3 sets of "
    "6-10 slow reps per side.\n\n_This is education, not a diagnosis. If you notice numbness around "
    "your bottom or genitals, call 999 or go to the emergency department now._\n\n"
    "1. [Is it just tight hamstrings?](/k/edu)"
)


def check(
    text: str, level: Level = Level.NONE, cited: list[str] | None = None, exercises: bool = False
) -> list[str]:
    return GUARD.check(text, level, cited or [], {"edu-hamstring-myth", "ex-dead-bug"}, exercises)


def test_a_good_education_reply_passes() -> None:
    assert check(EDUCATION, cited=["edu-hamstring-myth"], exercises=True) == []


@pytest.mark.parametrize(
    "text",
    [
        "Take 400 mg of ibuprofen before your run.",
        "You can have two tablets of paracetamol every 4 hours.",
        "Naproxen twice a day with food should help.",
        "Ibuprofen 200mg is usually enough.",
    ],
)
def test_medication_doses_fail(text: str) -> None:
    assert any(v.startswith("medication dose") for v in check(text))


def test_talking_about_pain_relief_without_a_dose_passes() -> None:
    assert check("A pharmacist can advise on pain relief that suits you.") == []


@pytest.mark.parametrize(
    "text",
    [
        "You have a herniated disc.",
        "It sounds like sciatica.",
        "This isn't cauda equina, so don't worry.",
        "It's just tight hamstrings.",
        "You've got piriformis syndrome.",
        "This is not serious.",
        "Your MRI rules out a fracture.",
    ],
)
def test_diagnostic_claims_fail(text: str) -> None:
    assert any(v.startswith("diagnostic claim") for v in check(text))


@pytest.mark.parametrize(
    "text",
    [
        "Is it just tight hamstrings? Usually not.",
        "Sciatica is a name for pain that travels down the leg along the sciatic nerve.",
        "Tight hamstrings are not the cause of most back pain in runners.",
        "It's not just tight hamstrings: hip extension matters too.",
    ],
)
def test_education_about_conditions_is_not_a_diagnosis(text: str) -> None:
    assert check(text) == []


def test_discouraging_care_fails() -> None:
    assert any(v.startswith("discourages care") for v in check("There's no need to see a doctor for this."))


def test_emergency_must_open_with_where_to_go() -> None:
    late = "Here is some background on back pain.\n\nPlease call 999 or go to the emergency department now."
    assert "emergency reply does not open with where to go" in check(late, Level.EMERGENCY)
    first = (
        "**Please call 999 or go to the emergency department (A&E) now.**\n\nDon't wait to see if it settles."
    )
    assert check(first, Level.EMERGENCY) == []


def test_urgent_must_open_with_a_doctor() -> None:
    assert check("**Please get this checked by a doctor within the next day or two.**", Level.URGENT) == []
    assert check("Here are some thoughts.\n\nSee a doctor.", Level.URGENT) == [
        "urgent reply does not open with where to go"
    ]


def test_no_exercises_at_urgent_or_emergency() -> None:
    text = (
        "**Please call 999 or go to the emergency department now.**\n\n"
        "Meanwhile try these exercises: 3 sets of 10 bridges."
    )
    problems = check(text, Level.EMERGENCY, exercises=True)
    assert "exercises suggested at emergency" in problems
    assert any(p.startswith("exercise plan at emergency") for p in problems)


def test_suggesting_to_wait_fails_at_urgent() -> None:
    text = (
        "**Please see a doctor within the next day or two.**\n\n"
        "Try stretching for a week first and see if it settles."
    )
    assert any(p.startswith("suggests waiting") for p in check(text, Level.URGENT))


def test_a_citation_must_have_been_retrieved() -> None:
    assert check("Hips matter [1].", cited=["edu-invented"]) == ["citation not retrieved: edu-invented"]
