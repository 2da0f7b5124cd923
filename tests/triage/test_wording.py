"""Escalation, refusal and screening wording from prompts/escalation.yaml."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.errors import ConfigError
from assistant.guard import OutputGuard
from assistant.settings import ROOT, Settings
from assistant.triage import wording
from assistant.types import Flag, Level
from tests.triage.helpers import DATA_DIR, say


@pytest.fixture(scope="module")
def settings() -> Settings:
    return Settings(
        data_dir=DATA_DIR, prompts_dir=ROOT / "prompts", emergency_number="999", clinic_name="Stride Lab"
    )


def first_line(text: str) -> str:
    return text.strip().splitlines()[0].lower()


def test_emergency_says_where_to_go_first_and_names_the_sign(settings: Settings) -> None:
    chat = say("I can't feel the toilet paper when I wipe")
    text = wording.escalation_text(chat.last.level, chat.last.flags, settings)
    assert "999" in first_line(text) and "emergency department" in first_line(text)
    assert "bottom, genitals or inner thighs" in text
    assert OutputGuard("999").check(text, Level.EMERGENCY, [], set(), False) == []


def test_emergency_for_someone_else_is_worded_for_them(settings: Settings) -> None:
    chat = say("my friend can't feel the toilet paper when she wipes")
    text = wording.escalation_text(
        chat.last.level, chat.last.flags, settings, about_other=chat.last.about_other
    )
    assert first_line(text).startswith("**they should call 999")


def test_urgent_sends_to_a_doctor_without_an_exercise_plan(settings: Settings) -> None:
    chat = say("I had breast cancer and my back has started hurting")
    text = wording.escalation_text(chat.last.level, chat.last.flags, settings)
    assert "doctor" in first_line(text)
    assert "gait evaluation" in text and "cancer" in text
    assert OutputGuard("999").check(text, Level.URGENT, [], set(), False) == []


def test_evaluation_offers_the_gait_evaluation_with_why(settings: Settings) -> None:
    chat = say("it's been 3 weeks and no better")
    text = wording.escalation_text(chat.last.level, chat.last.flags, settings)
    assert "Stride Lab" in first_line(text).title() or "stride lab" in first_line(text)
    assert settings.booking_url in text
    assert "Why:" in text


def test_under_16s_are_sent_to_in_person_care(settings: Settings) -> None:
    chat = say("I'm 14 and my back hurts after running")
    text = wording.escalation_text(chat.last.level, chat.last.flags, settings)
    assert "in-person" in first_line(text)


def test_level_none_gets_the_one_line_safety_net(settings: Settings) -> None:
    text = wording.escalation_text(Level.NONE, [], settings)
    assert "999" in text and "not a diagnosis" in text


@pytest.mark.parametrize("kind", ["dose", "diagnosis", "injection", "abuse", "out_of_scope", "language"])
def test_refusals_pass_the_guard(settings: Settings, kind: str) -> None:
    text = wording.refusal_text(kind, settings)
    assert text
    assert OutputGuard("999").check(text, Level.NONE, [], set(), False) == []


def test_the_dose_refusal_points_to_a_pharmacist_and_gives_no_dose(settings: Settings) -> None:
    text = wording.refusal_text("dose", settings)
    assert "pharmacist" in text and "mg" not in text


def test_every_screening_question_has_wording(settings: Settings) -> None:
    chat = say("pain shoots down my leg when I run")
    text = wording.clarify_text(chat.last.clarify, settings)
    assert text.count("?") == 3
    assert "one leg or both" in text


def test_the_warning_signs_list_is_education(settings: Settings) -> None:
    text = wording.warning_signs_text(settings)
    assert "peeing" in text and "both legs" in text and "999" in text


def test_an_unknown_refusal_kind_is_an_error(settings: Settings) -> None:
    with pytest.raises(ConfigError):
        wording.refusal_text("poetry", settings)


def test_a_template_with_an_unknown_variable_fails_at_load(tmp_path: Path) -> None:
    text = (ROOT / "prompts" / "escalation.yaml").read_text(encoding="utf-8")
    bad = tmp_path / "escalation.yaml"
    bad.write_text(text.replace("{clinic_name}", "{clinic}", 1), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"escalation\.yaml:\d+.*clinic"):
        wording.load_templates(bad)


def test_a_missing_template_fails_at_load(tmp_path: Path) -> None:
    bad = tmp_path / "escalation.yaml"
    bad.write_text("emergency: 'Call {emergency_number}'\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="missing template"):
        wording.load_templates(bad)


def test_signs_are_named_at_most_three(settings: Settings) -> None:
    flags = [Flag(id=f"f{i}", level="emergency", label=f"sign {i}") for i in range(5)]
    text = wording.escalation_text(Level.EMERGENCY, flags, settings)
    assert "sign 0, sign 1 and sign 2" in text and "sign 3" not in text
