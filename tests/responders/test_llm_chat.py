"""Whole turns through `ChatService` with a scripted model: triage, retrieval, guard and fallback."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from assistant.errors import ConfigError
from assistant.responders.llm import LLMResponder
from assistant.services import Services
from assistant.settings import Settings
from tests.responders.conversation import LLMConversation
from tests.responders.fakes import ScriptedChatModel, SlowChatModel

GOOD = (
    "Probably not on its own. Tight hamstrings are rarely the whole cause of a runner's back "
    "pain [1]. How you control your trunk and hips often matters more [1]."
)


def test_an_llm_answer_cites_only_what_was_retrieved(services: Services) -> None:
    chat = LLMConversation.scripted(services, ScriptedChatModel([GOOD]))
    chat >> "My low back aches on long runs. Is it just tight hamstrings?"
    reply = chat.reply
    assert reply.mode == "llm", chat.audit_notes()
    assert reply.reply.startswith("Probably not on its own.")
    assert reply.citations and {c.id for c in reply.citations} <= set(reply.retrieved_ids)
    assert chat.model.done()


def test_a_dose_from_the_model_never_reaches_the_runner(services: Services) -> None:
    chat = LLMConversation.scripted(
        services, ScriptedChatModel(["Take 400 mg ibuprofen before long runs [1]."])
    )
    chat >> "My low back aches on long runs. Is it just tight hamstrings?"
    assert chat.reply.mode == "grounded"
    assert "400 mg" not in chat.reply.reply
    assert any(n.startswith("llm fallback:") for n in chat.audit_notes())


def test_a_timeout_gives_the_grounded_reply_not_an_error(services: Services) -> None:
    chat = LLMConversation.scripted(services, SlowChatModel(sleep=0.2), timeout_s=0.5)
    chat >> "How does cadence affect my back when I run?"
    assert chat.reply.mode == "grounded"
    assert chat.reply.citations
    assert any("timeout" in n for n in chat.audit_notes())


def test_an_emergency_session_never_asks_the_model(services: Services) -> None:
    chat = LLMConversation.scripted(services, ScriptedChatModel([]))
    chat >> "my back hurts and I can't feel the toilet paper when I wipe"
    assert chat.level == "emergency"
    chat >> "anyway, is it just tight hamstrings?"
    assert chat.level == "emergency"  # a session's level never drops
    assert chat.model.calls == []
    assert all(r.mode == "grounded" for r in chat.replies)


def test_from_settings_validates_the_prompts_at_start_up(services: Services, tmp_path: Path) -> None:
    settings: Settings = services.settings.model_copy(
        update={"llm": "openai-compatible:smollm2", "llm_base_url": "http://127.0.0.1:9/v1"}
    )
    assert isinstance(LLMResponder.from_settings(settings, services.grounded), LLMResponder)

    broken = tmp_path / "prompts"
    shutil.copytree(settings.prompts_dir, broken)
    path = broken / "llm_system.yaml"
    path.write_text(path.read_text().replace("{clinic_name}, a running clinic", "{clinic}, a running clinic"))
    with pytest.raises(ConfigError, match=r"llm_system\.yaml:\d+: template 'system' uses unknown variable"):
        LLMResponder.from_settings(settings.model_copy(update={"prompts_dir": broken}), services.grounded)
