"""Against a real OpenAI-compatible server on loopback: llama.cpp with SmolLM2-135M-Instruct.

A 135M model often breaks the rules (no citation, a made-up [n]), so these tests do not ask for
LLM replies; they ask that every turn gives the runner a checked reply, "llm" when it passed the
guard and "grounded" with the reason otherwise, and never an error.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from assistant.guard import OutputGuard
from assistant.llm import build_chat_model
from assistant.prompts import Templates
from assistant.responders.base import Draft, TurnInput
from assistant.responders.grounded import GroundedResponder
from assistant.responders.llm import LLMResponder, number_sources
from assistant.services import Services
from assistant.settings import Settings
from assistant.types import Level
from tests.llm_server import MODEL_ALIAS, LlamaServer, available
from tests.responders.conversation import LLMConversation
from tests.responders.fakes import TurnMaker

pytestmark = [
    pytest.mark.llm_server,
    pytest.mark.skipif(available() is not None, reason=f"llm_server: {available()}"),
]

REPLY_TOKENS = 160  # a 135M model at ~40 tokens/s on 2 cores: keep each turn to a few seconds
QUESTIONS = [
    "Is my low back pain when running just tight hamstrings?",
    "How does running cadence affect my back?",
    "What does the bird dog exercise do for runners?",
]


@pytest.fixture(scope="module")
def llama() -> Iterator[LlamaServer]:
    with LlamaServer() as server:
        yield server


@pytest.fixture
def real_settings(llama: LlamaServer, llm_settings: Settings) -> Settings:
    return llm_settings.model_copy(
        update={
            "llm": f"openai-compatible:{MODEL_ALIAS}",
            "llm_base_url": llama.base_url,
            "llm_timeout_s": 30.0,
        }
    )


@pytest.fixture
def real_responder(
    real_settings: Settings, grounded: GroundedResponder, guard: OutputGuard, prompts: Templates
) -> LLMResponder:
    model = build_chat_model(real_settings, max_tokens=REPLY_TOKENS)
    return LLMResponder(
        model,
        grounded,
        guard,
        prompts,
        real_settings,
        max_sources=2,
        source_chars=600,
        label=real_settings.llm or "",
    )


def check(draft: Draft, turn: TurnInput) -> None:
    assert draft.text.strip()
    if draft.mode == "llm":
        assert draft.notes == []
        sources = {s.doc_id for s in number_sources(turn.hits)}
        assert draft.citations and {c.id for c in draft.citations} <= sources
    else:
        assert any(n.startswith("llm fallback:") for n in draft.notes), draft.notes


def test_real_model_turns_are_checked_replies(real_responder: LLMResponder, make_turn: TurnMaker) -> None:
    for question in QUESTIONS:
        turn = make_turn(question)
        check(real_responder.respond(turn), turn)


def test_real_model_streams(real_responder: LLMResponder, make_turn: TurnMaker) -> None:
    turn = make_turn(QUESTIONS[0])
    stream = real_responder.respond_stream(turn)
    deltas = list(stream)
    assert stream.draft is not None
    check(stream.draft, turn)
    if not stream.replaced:
        assert "".join(deltas) == stream.draft.text


def test_real_model_is_not_asked_at_emergency(
    real_responder: LLMResponder, make_turn: TurnMaker, grounded: GroundedResponder
) -> None:
    turn = make_turn("I can't feel the toilet paper when I wipe", level=Level.EMERGENCY)
    assert real_responder.respond(turn).text == grounded.respond(turn).text


def test_an_unreachable_server_falls_back(
    real_settings: Settings,
    grounded: GroundedResponder,
    guard: OutputGuard,
    prompts: Templates,
    make_turn: TurnMaker,
) -> None:
    dead = real_settings.model_copy(update={"llm_base_url": "http://127.0.0.1:9/v1", "llm_timeout_s": 5.0})
    responder = LLMResponder(build_chat_model(dead), grounded, guard, prompts, dead)
    draft = responder.respond(make_turn(QUESTIONS[0]))
    assert draft.mode == "grounded"
    assert any("unreachable" in n or "provider error" in n for n in draft.notes), draft.notes


def test_turns_end_to_end_through_chat_service(services: Services, llama: LlamaServer) -> None:
    """Wired as services.py wires RUNSOURCE_LLM; the runner never sees an error."""
    settings = services.settings.model_copy(
        update={
            "llm": f"openai-compatible:{MODEL_ALIAS}",
            "llm_base_url": llama.base_url,
            "llm_timeout_s": 30.0,
        }
    )
    responder = LLMResponder.from_settings(settings, services.grounded)
    responder.max_sources, responder.source_chars = 2, 600  # prompt time on 2 cores
    chat = LLMConversation(services, responder)
    chat >> "My low back aches on long runs. Is it just tight hamstrings?"
    chat >> "What exercises help with that?"
    chat >> "I also can't feel the toilet paper when I wipe"
    first, second, third = chat.replies
    for reply in (first, second):
        assert reply.reply.strip() and reply.mode in ("llm", "grounded")
        assert {c.id for c in reply.citations} <= set(reply.retrieved_ids)
    assert third.triage.level == "emergency" and third.mode == "grounded"
    assert "emergency" in third.reply.split("\n\n")[0].lower()
