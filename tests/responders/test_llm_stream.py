"""Streaming: deltas a sentence at a time, each checked before the runner sees it."""

from __future__ import annotations

from assistant.responders.grounded import GroundedResponder
from assistant.types import Level
from tests.responders.fakes import ResponderMaker, ScriptedChatModel, TurnMaker
from tests.responders.test_llm_responder import EVAL_FLAG, GOOD, HAMSTRINGS


def test_the_deltas_add_up_to_the_checked_reply(make_turn: TurnMaker, make_responder: ResponderMaker) -> None:
    stream = make_responder(ScriptedChatModel([GOOD])).respond_stream(make_turn(HAMSTRINGS))
    deltas = list(stream)
    assert stream.draft is not None and stream.draft.mode == "llm"
    assert not stream.replaced
    assert len(deltas) >= 3  # sentence by sentence, then the cards, safety net and sources
    assert deltas[0] == "Probably not on its own. "
    assert "".join(deltas) == stream.draft.text


def test_a_stream_that_starts_to_state_a_dose_is_stopped_before_the_dose_shows(
    make_turn: TurnMaker, make_responder: ResponderMaker, grounded: GroundedResponder
) -> None:
    turn = make_turn(HAMSTRINGS)
    reply = (
        "Tight hamstrings are rarely the whole story [1]. For the pain, take 400 mg ibuprofen "
        "before you run [1]. Then stretch gently [1]."
    )
    stream = make_responder(ScriptedChatModel([reply])).respond_stream(turn)
    shown = "".join(stream)
    assert shown == "Tight hamstrings are rarely the whole story [1]. "
    assert "400 mg" not in shown
    assert stream.replaced  # the door shows `draft` (the done event) in place of the deltas
    assert stream.draft is not None and stream.draft.text == grounded.respond(turn).text
    assert any(n.startswith("llm fallback:") for n in stream.draft.notes)


def test_a_stream_that_starts_with_a_diagnosis_shows_only_the_safe_reply(
    make_turn: TurnMaker, make_responder: ResponderMaker, grounded: GroundedResponder
) -> None:
    turn = make_turn(HAMSTRINGS)
    stream = make_responder(ScriptedChatModel(["You have a herniated disc [1]. Rest [1]."])).respond_stream(
        turn
    )
    assert list(stream) == [grounded.respond(turn).text]
    assert not stream.replaced


def test_the_evaluation_wording_streams_first(
    make_turn: TurnMaker, make_responder: ResponderMaker, grounded: GroundedResponder
) -> None:
    turn = make_turn(HAMSTRINGS, level=Level.EVALUATION, flags=[EVAL_FLAG])
    stream = make_responder(ScriptedChatModel([GOOD])).respond_stream(turn)
    first = next(stream)
    assert first == grounded.wording.escalation(Level.EVALUATION, turn) + "\n\n"
    rest = "".join(stream)
    assert stream.draft is not None and first + rest == stream.draft.text


def test_an_emergency_streams_the_fixed_wording_in_one_piece(
    make_turn: TurnMaker, make_responder: ResponderMaker, grounded: GroundedResponder
) -> None:
    turn = make_turn("my back hurts and I can't control my bladder", level=Level.EMERGENCY)
    model = ScriptedChatModel([])
    stream = make_responder(model).respond_stream(turn)
    assert list(stream) == [grounded.respond(turn).text]
    assert model.calls == []


def test_a_saturated_model_gives_the_grounded_reply_at_once(
    make_turn: TurnMaker, make_responder: ResponderMaker, grounded: GroundedResponder
) -> None:
    """RUNSOURCE_LLM_MAX_CONCURRENT calls at once; one more turn is not queued behind them."""
    model = ScriptedChatModel([GOOD, GOOD])
    responder = make_responder(model, max_concurrent=1)
    turn = make_turn(HAMSTRINGS)
    first = responder.respond_stream(turn)
    assert next(first) == "Probably not on its own. "  # the first turn holds the only slot
    second = responder.respond(turn)
    assert second.mode == "grounded" and second.text == grounded.respond(turn).text
    assert any("busy (1 calls at once)" in n for n in second.notes)
    assert len(model.calls) == 1, "the saturated turn never called the model"
    rest = list(first)
    assert first.draft is not None and first.draft.mode == "llm" and rest
    assert responder.respond(turn).mode == "llm", "the slot is free again once the first turn ended"
