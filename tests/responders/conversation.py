"""`chat >> "..."` through a `ChatService` whose responder is the LLM one (see tests/conftest.py)."""

from __future__ import annotations

from typing import Any

from assistant.chat import ChatService
from assistant.prompts import Templates
from assistant.responders.llm import PROMPT_NAMES, PROMPT_VARS, LLMResponder
from tests.conftest import Conversation


class LLMConversation(Conversation):
    """The shared services' pipeline with `responder` in place of the grounded one."""

    def __init__(self, services: Any, responder: LLMResponder) -> None:
        super().__init__(services)
        c = services.chat
        self.responder = responder
        self.chat = ChatService(
            embeddings=c.embeddings,
            retriever=c.retriever,
            triage=c.triage,
            responder=responder,
            fallback=c.fallback,
            guard=c.guard,
            sessions=c.sessions,
            knowledge_version=c.knowledge_version,
            max_chars=c.max_chars,
            k=c.k,
        )

    @classmethod
    def scripted(cls, services: Any, model: Any, **kw: Any) -> LLMConversation:
        s = services.settings
        prompts = Templates.load(s.prompts_dir / "llm_system.yaml", PROMPT_VARS, PROMPT_NAMES)
        return cls(services, LLMResponder(model, services.grounded, services.chat.guard, prompts, s, **kw))

    @property
    def model(self) -> Any:
        return self.responder.model

    def __rshift__(self, message: str) -> LLMConversation:
        reply = self.chat.turn(self.session_id, message, "api", getattr(self, "token", None))
        self.session_id = reply.session_id
        self.token = reply.session_token or getattr(self, "token", None)
        self.replies.append(reply)
        return self

    def audit_notes(self) -> list[str]:
        assert self.session_id
        notes: list[str] = self.services.sessions.audit(self.session_id)[-1].guard
        return notes
