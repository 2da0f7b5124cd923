"""Escalation wording from one source: each urgent rule's timeframe, one weakness rule, locales."""

from __future__ import annotations

import re

import pytest

from assistant.guard import OutputGuard
from assistant.settings import ROOT, Settings
from assistant.triage import wording as escalation
from assistant.triage.rules import load_rulebook
from assistant.types import Flag, Level
from tests.triage.helpers import say

RULES = ROOT / "knowledge" / "red_flags"
BOOK = load_rulebook(RULES)
URGENT = {
    **{s.id: s for s in BOOK.signs.values() if s.level == "urgent"},
    **{c.id: c for c in BOOK.combinations.values() if c.level == "urgent"},
}
SAME_DAY = re.compile(r"\b(?:today|same day|same-day)\b", re.I)
DAY_OR_TWO = re.compile(r"\bday or two\b", re.I)
US = Settings()
UK = Settings(locale="en-GB")


def test_every_urgent_rule_states_its_timeframe() -> None:
    assert URGENT
    assert {rid for rid, rule in URGENT.items() if rule.timeframe is None} == set()


@pytest.mark.parametrize("settings", [US, UK], ids=["en-US", "en-GB"])
@pytest.mark.parametrize("rule_id", sorted(URGENT))
@pytest.mark.parametrize("about_other", [False, True])
def test_an_urgent_reply_says_its_rules_timeframe_and_never_the_other(
    rule_id: str, settings: Settings, about_other: bool
) -> None:
    flags = [Flag(id=rule_id, level="urgent", label=URGENT[rule_id].say or rule_id)]
    text = escalation.escalation_text(Level.URGENT, flags, settings, about_other=about_other)
    if URGENT[rule_id].timeframe == "same_day":
        assert SAME_DAY.search(text) and not DAY_OR_TWO.search(text)
    else:
        assert DAY_OR_TWO.search(text) and not SAME_DAY.search(text)
    assert settings.emergency_number in text and settings.emergency_department in text
    assert OutputGuard(settings.emergency_number).check(text, Level.URGENT, [], set(), False) == []


def test_the_sooner_timeframe_wins_when_flags_disagree() -> None:
    flags = [
        Flag(id="cancer_history_with_pain", level="urgent", label="cancer"),
        Flag(id="one_sided_weakness", level="urgent", label="weakness"),
    ]
    text = escalation.escalation_text(Level.URGENT, flags, US)
    assert SAME_DAY.search(text) and not DAY_OR_TWO.search(text)


def test_stable_weakness_in_one_leg_is_same_day_care() -> None:
    chat = say("my left leg feels weak since yesterday")
    assert chat.last.level == Level.URGENT
    text = escalation.escalation_text(chat.last.level, chat.last.flags, US)
    assert text.splitlines()[0] == f"**Please see {US.urgent_care}.**"
    # The emergency line names worsening or two-legged weakness, not "weakness in your legs".
    assert "weakness in your legs" not in text
    assert "weakness in both legs, weakness that is getting worse" in text


@pytest.mark.parametrize(
    "message",
    ["both my legs feel weak", "my foot is slapping when I run", "I keep dragging my toes and tripping"],
)
def test_weakness_in_both_legs_or_a_slapping_foot_is_an_emergency(message: str) -> None:
    chat = say(message)
    assert chat.last.level == Level.EMERGENCY
    text = escalation.escalation_text(chat.last.level, chat.last.flags, UK)
    assert text.splitlines()[0] == "**Please call 999 or go to A&E (the emergency department) now.**"


def test_leg_symptoms_go_to_an_in_person_assessment() -> None:
    chat = say("I get a burning pain down the back of my leg to my calf, just the right leg, no numbness")
    assert chat.last.level == Level.EVALUATION
    text = escalation.escalation_text(chat.last.level, chat.last.flags, US)
    first = text.splitlines()[0].lower()
    assert "in-person" in first and "online" not in first


def test_other_evaluations_keep_the_online_option() -> None:
    chat = say("it's been 3 weeks and no better")
    text = escalation.escalation_text(chat.last.level, chat.last.flags, US)
    assert "in person or online" in text.splitlines()[0]


@pytest.mark.parametrize(
    ("settings", "words"),
    [
        (US, ["911", "emergency department (ER)", "urgent care clinic today", "your doctor"]),
        (UK, ["999", "A&E", "GP practice today", "NHS 111"]),
    ],
    ids=["en-US", "en-GB"],
)
def test_each_locale_has_its_own_words(settings: Settings, words: list[str]) -> None:
    emergency = escalation.escalation_text(
        Level.EMERGENCY, [Flag(id="x", level="emergency", label="x")], settings
    )
    same_day = escalation.escalation_text(
        Level.URGENT, [Flag(id="one_sided_weakness", level="urgent", label="x")], settings
    )
    soon = escalation.escalation_text(
        Level.URGENT, [Flag(id="cancer_history_with_pain", level="urgent", label="x")], settings
    )
    text = "\n".join([emergency, same_day, soon, escalation.escalation_text(Level.NONE, [], settings)])
    for word in words:
        assert word in text
    other = UK if settings is US else US
    assert other.emergency_number not in text and other.emergency_department not in text


def test_a_setting_given_explicitly_wins_over_its_locale() -> None:
    settings = Settings(locale="en-GB", emergency_number="112")
    assert settings.emergency_number == "112" and settings.emergency_department.startswith("A&E")


@pytest.mark.parametrize(
    ("message", "care"),
    [
        ("my left leg feels weak since yesterday", "same_day"),
        ("I had breast cancer 5 years ago and now my back aches all the time", "day_or_two"),
        ("I feel really unwell in myself and my back hurts", "day_or_two"),
        (
            "I get a burning pain down the back of my leg to my calf, just the right leg, no numbness",
            "in_person",
        ),
        ("it's been 3 weeks and no better", "evaluation"),
        ("I can't feel the toilet paper when I wipe and my back is killing me", "emergency"),
        ("how many dead bugs should I do?", "none"),
    ],
)
def test_where_to_go_is_decided_once_by_the_rules_and_carried_by_the_reply(message: str, care: str) -> None:
    chat = say(message)
    assert chat.last.care == care
    assert (
        escalation.care(chat.last.level, chat.last.flags, US) == care
    )  # wording built outside a turn agrees


def test_the_door_banner_follows_the_care_today_or_within_a_day_or_two_never_both() -> None:
    from assistant.doors.render import banner
    from assistant.types import Reply, Triage

    def headline(care: str) -> str:
        reply = Reply(session_id="s", turn_id="t", reply="x", triage=Triage(level="urgent", care=care))
        top = banner(reply, UK)
        assert top is not None
        return top.headline

    assert "today" in headline("same_day") and "day or two" not in headline("same_day")
    assert "day or two" in headline("day_or_two") and "today" not in headline("day_or_two")
