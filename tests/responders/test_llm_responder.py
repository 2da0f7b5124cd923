"""The LLM responder with scripted fake models: what passes, and every way a reply falls back."""

from __future__ import annotations

import re
import time

from langchain_core.messages.utils import count_tokens_approximately

from assistant.responders.grounded import GroundedResponder
from assistant.responders.llm import HISTORY_TOKENS, number_sources
from assistant.types import Flag, Level
from tests.responders.fakes import (
    RateLimitedChatModel,
    ResponderMaker,
    ScriptedChatModel,
    SlowChatModel,
    TurnMaker,
)

HAMSTRINGS = "Is my low back pain when running just tight hamstrings?"
GOOD = (
    "Probably not on its own. Research has not shown that runners with back pain have tighter "
    "hamstrings [1]. The pull you feel can come from a touchy sciatic nerve [1]. How you control "
    "your trunk and pelvis often matters more [2]."
)


def test_a_good_reply_passes_with_exactly_the_cited_sources(
    make_turn: TurnMaker, make_responder: ResponderMaker
) -> None:
    turn = make_turn(HAMSTRINGS)
    sources = number_sources(turn.hits)
    model = ScriptedChatModel([GOOD])
    draft = make_responder(model).respond(turn)

    assert model.done()
    assert draft.mode == "llm", draft.notes
    assert draft.notes == []
    assert [c.id for c in draft.citations] == [sources[0].doc_id, sources[1].doc_id]
    assert draft.text.startswith("Probably not on its own.")
    assert "**Sources**\n\n1. [" in draft.text
    assert "This is education, not a diagnosis" in draft.text  # the safety net, from the templates


def test_the_model_gets_numbered_sources_and_the_rules(
    make_turn: TurnMaker, make_responder: ResponderMaker
) -> None:
    turn = make_turn(HAMSTRINGS)
    model = ScriptedChatModel([GOOD])
    make_responder(model).respond(turn)
    prompt = model.prompt
    assert "[1] Is my back pain just tight hamstrings?" in prompt
    assert "Never name a medicine amount or a dose" in prompt
    assert prompt.rstrip().endswith("citing them as [n].")


def test_citations_are_renumbered_in_order_of_use(
    make_turn: TurnMaker, make_responder: ResponderMaker
) -> None:
    turn = make_turn(HAMSTRINGS)
    sources = number_sources(turn.hits)
    last = len(sources)
    assert last >= 2
    reply = f"Core control matters [{last}]. Hamstring tightness is rarely the cause [1, {last}]."
    draft = make_responder(ScriptedChatModel([reply])).respond(turn)
    assert draft.mode == "llm", draft.notes
    assert draft.text.startswith("Core control matters [1]. Hamstring tightness is rarely the cause [2][1].")
    assert [c.id for c in draft.citations] == [sources[last - 1].doc_id, sources[0].doc_id]


def test_the_grounded_exercise_cards_are_kept_word_for_word(
    make_turn: TurnMaker, make_responder: ResponderMaker, grounded: GroundedResponder
) -> None:
    turn = make_turn("What exercises help more than stretching tight hamstrings for my back?")
    base = grounded.respond(turn)
    draft = make_responder(ScriptedChatModel([GOOD])).respond(turn)
    assert base.exercises and draft.exercises == base.exercises
    cards = base.text[base.text.index("**Try this**") : base.text.index("**Sources**")].strip()
    assert cards in draft.text
    assert draft.follow_ups == base.follow_ups


def test_a_hallucinated_citation_falls_back(
    make_turn: TurnMaker, make_responder: ResponderMaker, grounded: GroundedResponder
) -> None:
    turn = make_turn(HAMSTRINGS)
    draft = make_responder(ScriptedChatModel(["Stretching fixes it [9]."])).respond(turn)
    assert draft.mode == "grounded"
    assert draft.text == grounded.respond(turn).text
    assert any("citation [9] is not one of the" in n for n in draft.notes)


def test_a_stated_dose_falls_back(make_turn: TurnMaker, make_responder: ResponderMaker) -> None:
    turn = make_turn("Can I take ibuprofen before my long run for my back?")
    reply = "Rest helps your back settle [1]. You can take 400 mg ibuprofen before the run [1]."
    draft = make_responder(ScriptedChatModel([reply])).respond(turn)
    assert draft.mode == "grounded"
    assert "400 mg" not in draft.text
    assert any(n.startswith("llm fallback:") for n in draft.notes)


def test_a_diagnosis_falls_back(make_turn: TurnMaker, make_responder: ResponderMaker) -> None:
    turn = make_turn("My back hurts and my leg tingles after runs")
    reply = "From what you describe, you have a herniated disc [1]. Rest for a week [1]."
    draft = make_responder(ScriptedChatModel([reply])).respond(turn)
    assert draft.mode == "grounded"
    assert "herniated" not in draft.text
    assert any(n.startswith("llm fallback:") for n in draft.notes)


EVAL_FLAG = Flag(
    id="pain_below_knee", level="evaluation", label="pain below the knee", evidence="below my knee"
)


def test_evaluation_wording_opens_the_reply_even_when_the_model_drops_it(
    make_turn: TurnMaker, make_responder: ResponderMaker, grounded: GroundedResponder
) -> None:
    turn = make_turn(HAMSTRINGS, level=Level.EVALUATION, flags=[EVAL_FLAG])
    draft = make_responder(ScriptedChatModel([GOOD])).respond(turn)
    assert draft.mode == "llm", draft.notes
    assert draft.text.startswith(grounded.wording.escalation(Level.EVALUATION, turn) + "\n\nProbably not")


def test_a_reply_that_talks_the_runner_out_of_the_evaluation_falls_back(
    make_turn: TurnMaker, make_responder: ResponderMaker, grounded: GroundedResponder
) -> None:
    turn = make_turn(HAMSTRINGS, level=Level.EVALUATION, flags=[EVAL_FLAG])
    for reply in [
        "Tight hamstrings are common [1]. Honestly, you don't need to see a physio for this [1].",
        "Hamstrings are rarely the cause [1]. There is no need to worry about it [1].",
    ]:
        draft = make_responder(ScriptedChatModel([reply])).respond(turn)
        assert draft.mode == "grounded", reply
        assert draft.text == grounded.respond(turn).text
        assert draft.text.startswith(grounded.wording.escalation(Level.EVALUATION, turn))
        assert any(n.startswith("llm fallback:") for n in draft.notes)


def test_urgent_and_emergency_get_the_fixed_escalation_without_asking_the_model(
    make_turn: TurnMaker, make_responder: ResponderMaker, grounded: GroundedResponder
) -> None:
    for level in (Level.URGENT, Level.EMERGENCY):
        turn = make_turn("I can't feel the toilet paper when I wipe and my back hurts", level=level)
        model = ScriptedChatModel([])  # any call is an unexpected one
        draft = make_responder(model).respond(turn)
        assert model.calls == []
        assert draft.text == grounded.respond(turn).text
        assert draft.exercises == []


def test_fixed_wording_is_never_reworded(
    make_turn: TurnMaker, make_responder: ResponderMaker, grounded: GroundedResponder
) -> None:
    cases = [
        make_turn("How much ibuprofen should I take?", intent="refusal"),
        make_turn("What's the best pizza in town?", intent="out_of_scope"),
        make_turn("hi", intent="greeting"),
        make_turn("my leg feels weird", intent="symptom", clarify=["saddle_numbness"]),
    ]
    for turn in cases:
        model = ScriptedChatModel([])
        draft = make_responder(model).respond(turn)
        assert model.calls == [], turn.message
        assert draft.text == grounded.respond(turn).text


def test_a_timeout_falls_back_within_the_deadline(
    make_turn: TurnMaker, make_responder: ResponderMaker
) -> None:
    turn = make_turn(HAMSTRINGS)
    started = time.monotonic()
    draft = make_responder(SlowChatModel(sleep=0.2), timeout_s=0.5).respond(turn)
    assert time.monotonic() - started < 1.5
    assert draft.mode == "grounded"
    assert any("timeout" in n for n in draft.notes)


def test_a_rate_limit_falls_back(make_turn: TurnMaker, make_responder: ResponderMaker) -> None:
    draft = make_responder(RateLimitedChatModel()).respond(make_turn(HAMSTRINGS))
    assert draft.mode == "grounded"
    assert any("rate limited" in n for n in draft.notes)


def test_malformed_replies_fall_back(make_turn: TurnMaker, make_responder: ResponderMaker) -> None:
    turn = make_turn(HAMSTRINGS)
    for reply, reason in [
        ("", "empty reply"),
        ("Hamstrings are rarely the cause of back pain.", "no [n] citation"),
        ("Read more at https://example.com/miracle-cure [1].", "link not from the sources"),
        ("Hamstrings " * 400 + "[1].", "longer than"),
        ("Your answer is:\n[1] Core coordination, not just weak abs.\n2) Red flags.", "list label"),
    ]:
        draft = make_responder(ScriptedChatModel([reply])).respond(turn)
        assert draft.mode == "grounded", reply
        assert any(reason in n for n in draft.notes), (reason, draft.notes)


def test_the_models_own_source_list_and_think_block_are_dropped(
    make_turn: TurnMaker, make_responder: ResponderMaker
) -> None:
    turn = make_turn(HAMSTRINGS)
    reply = f"<think>The runner asks about hamstrings.</think>{GOOD}\n\nSources:\n[1] Hamstrings page"
    draft = make_responder(ScriptedChatModel([reply])).respond(turn)
    assert draft.mode == "llm", draft.notes
    assert "<think>" not in draft.text
    assert "Hamstrings page" not in draft.text


def test_history_is_windowed_to_the_token_budget_without_old_citations(
    make_turn: TurnMaker, make_responder: ResponderMaker
) -> None:
    long_reply = "Earlier answer about cadence [1]. " * 60 + "\n\n**Sources**\n\n1. [Cadence](http://x)"
    history = [(f"question {n} about cadence", long_reply) for n in range(6)]
    turn = make_turn("And how does that relate to my hamstrings?", history=history)
    model = ScriptedChatModel([GOOD])
    responder = make_responder(model)
    responder.respond(turn)
    sent = model.calls[0]
    past = sent[1:-1]
    assert past, "the most recent turns are kept"
    assert past[0].type == "human"
    assert count_tokens_approximately(past) <= HISTORY_TOKENS
    assert "question 5 about cadence" in str(past[-2].content)
    assert not any(re.search(r"\[\d\]", str(m.content)) for m in past)
    assert not any("**Sources**" in str(m.content) for m in past)


def test_second_opinion_is_off_by_default(make_turn: TurnMaker, make_responder: ResponderMaker) -> None:
    model = ScriptedChatModel([GOOD])  # exactly one call: the answer
    make_responder(model).respond(make_turn(HAMSTRINGS))
    assert model.done()


def test_second_opinion_can_raise_the_level(
    make_turn: TurnMaker, make_responder: ResponderMaker, grounded: GroundedResponder
) -> None:
    turn = make_turn("My back hurts at night and I've lost weight without trying", intent="symptom")
    model = ScriptedChatModel(["urgent"])
    draft = make_responder(model, second_opinion=True).respond(turn)
    assert model.done()  # the answer itself was not asked for
    assert draft.text == grounded.wording.escalation(Level.URGENT, turn)
    assert draft.exercises == []
    assert draft.notes[0] == "second opinion raised triage from none to urgent"


def test_second_opinion_never_lowers_the_level(
    make_turn: TurnMaker, make_responder: ResponderMaker, grounded: GroundedResponder
) -> None:
    turn = make_turn(HAMSTRINGS, level=Level.EVALUATION, flags=[EVAL_FLAG])
    model = ScriptedChatModel(["none", GOOD])
    draft = make_responder(model, second_opinion=True).respond(turn)
    assert model.done()
    assert draft.mode == "llm", draft.notes
    assert draft.text.startswith(grounded.wording.escalation(Level.EVALUATION, turn))
    assert "Your answer will appear after a note advising the runner to book" in model.prompt


def test_foreign_contact_details_fall_back(make_turn: TurnMaker, make_responder: ResponderMaker) -> None:
    """The issue passed "email help@evil.example or call +1 555 0100" through the output check."""
    turn = make_turn(HAMSTRINGS)
    for reply, reason in [
        ("Tight hamstrings are rarely the cause [1]. Email help@evil.example or call +1 555 0100.", "email"),
        ("Tight hamstrings are rarely the cause [1]. Call +1 555 0100 for a plan.", "phone number"),
        ("Tight hamstrings are rarely the cause [1]. Call 0800 555 0100 today.", "phone number"),
        ("Tight hamstrings are rarely the cause [1]. See evil.example for a plan.", "domain"),
        ("Tight hamstrings are rarely the cause [1]. Visit Miracle-Cure.co.uk today.", "domain"),
    ]:
        draft = make_responder(ScriptedChatModel([reply])).respond(turn)
        assert draft.mode == "grounded", reply
        assert any(f"contact details not from settings: {reason}" in n for n in draft.notes), draft.notes


def test_the_clinics_own_contact_details_pass(make_turn: TurnMaker, make_responder: ResponderMaker) -> None:
    from assistant.responders.llm_prose import Contacts

    ours = Contacts.of(["https://precisionperformance.example/gait-evaluation"], ["+44 20 7946 0000", "999"])
    assert ours.foreign("Book at precisionperformance.example or call +44 20 7946 0000.") is None
    assert (
        ours.foreign("Call 999 in an emergency. Run 170-180 steps a minute, 3 x 10 reps, e.g. daily.") is None
    )
    assert ours.foreign("Write to team@precisionperformance.example.") is None
    assert ours.foreign("Write to team@evil.example.") == "email team@evil.example"
    assert ours.foreign("Call +1 555 0100.") == "phone number +1 555 0100"
