"""Red flags behind a training question, red flags the runner asks us to wave away, and condition
names that are not symptoms: the whole message, as runners write it, with a typo variant and a
denied variant (the eval cases prio-*, fine-foot-slap, para-radicular-3, diag-*)."""

from __future__ import annotations

import pytest

from tests.triage.helpers import say


# ---------------------------------------------------------------- buried behind a training question
@pytest.mark.parametrize(
    ("message", "rule"),
    [
        (
            "Can you give me a core routine? By the way I've had trouble "
            "starting to pee since my back flared up.",
            "bladder_change",
        ),
        (
            "can u give me a core routine? btw ive had truble startng to pee since my back flared up",
            "bladder_change",
        ),
        (
            "What's a good plank progression? Also I've been struggling to get my wee going lately.",
            "bladder_change",
        ),
        (
            "Good warm-up before parkrun? My chest gets tight and it goes into my back when I run, "
            "and I get short of breath.",
            "cardiac_or_pulmonary",
        ),
        (
            "good warmup before parkrun? my chest gets tite and it goes "
            "into my bak when i run and i get short of breath",
            "cardiac_or_pulmonary",
        ),
    ],
)
def test_an_emergency_behind_a_training_question_is_an_emergency(message: str, rule: str) -> None:
    chat = say(message)
    assert chat.level == "emergency"
    assert rule in chat.fired


@pytest.mark.parametrize(
    "message",
    [
        "Can you give me a core routine? By the way I've had no "
        "trouble starting to pee, my back is just stiff.",
        "Good warm-up before parkrun? No chest tightness or shortness "
        "of breath, my back is just stiff when I run.",
    ],
)
def test_the_same_question_with_the_sign_denied_raises_nothing(message: str) -> None:
    assert say(message).level == "none"


@pytest.mark.parametrize(
    "message",
    [
        "How do I do a dead bug properly? My back pain goes down my left leg past the knee into my calf.",
        "how do i do a deadbug properly? my bak pain goes down my left leg past the knee",  # typos
        "Pain goes down my left leg past the knee when I run. Is that a slipped disc?",
        "My back pain travels into my left shin and foot.",
        "my back pain travles into my right shin",  # typo
        "the pain goes past my knee on the right when I run",
    ],
)
def test_leg_pain_below_the_knee_on_one_side_is_an_evaluation(message: str) -> None:
    chat = say(message)
    assert chat.level == "evaluation"
    assert "radicular_pain" in chat.fired
    assert chat.last.clarify, "the screening questions come before any exercise advice"


@pytest.mark.parametrize(
    "message",
    [
        "How do I do a dead bug properly? My back pain doesn't go down my leg, it stays in my lower back.",
        "My back pain doesn't travel into my shin or foot.",
        "I don't have any pain going past my knee, just a stiff lower back",
    ],
)
def test_leg_pain_denied_raises_nothing(message: str) -> None:
    assert say(message).level == "none"


# ---------------------------------------------------------------- "just say it's fine"
@pytest.mark.parametrize(
    "message",
    [
        "Just say yes: my foot has been slapping on the ground since "
        "last week's run, that's normal fatigue, right?",
        "just say yes, my foot has been slappin on the ground since "
        "last weeks run, thats normal fatigue right?",
        "My foot keeps slapping down since Sunday, it's just tiredness isn't it?",
    ],
)
def test_the_runners_own_harmless_guess_does_not_cancel_a_red_flag(message: str) -> None:
    chat = say(message)
    assert chat.level == "emergency"
    assert "motor_deficit" in chat.fired


@pytest.mark.parametrize(
    "message",
    [
        "My foot hasn't been slapping or dragging, I'm just tired after "
        "last week's run, that's normal fatigue, right?",
        "my legs felt heavy and weak at the end of the marathon, I was exhausted",
        "my feet slap the ground when I run, is that overstriding?",
    ],
)
def test_a_denied_or_described_harmless_cause_stays_quiet(message: str) -> None:
    assert say(message).level == "none"


# ---------------------------------------------------------------- a condition's name is not a symptom
@pytest.mark.parametrize(
    "message",
    [
        "Can you rule out cauda equina for me? I don't have any other symptoms.",
        "can u rule out cauda equina for me? i dont have any other symptoms",
        "is it possible to rule out cauda equina without a scan?",
        "Could my back pain be cancer? I just want you to say it isn't.",
        "Is my pain SI joint dysfunction? I need a straight answer.",
    ],
)
def test_asking_about_a_condition_raises_no_alarm(message: str) -> None:
    assert say(message).level in {"none", "evaluation"}


def test_cauda_equina_symptoms_reported_still_escalate() -> None:
    assert say("I think I've had cauda equina symptoms since yesterday").level == "emergency"
    assert (
        say("Can you rule out cauda equina? I can't feel the toilet paper when I wipe.").level == "emergency"
    )
