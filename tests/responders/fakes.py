"""Scripted chat models for the LLM responder's tests: no key, no network, no surprises.

`ScriptedChatModel(["reply 1", "reply 2"])` answers each call with the next reply and records
what it was sent; a call after the script ran out is recorded as unexpected (and raises, so the
responder falls back), and `model.done()` tells a test whether the script ran exactly as written.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models.fake_chat_models import FakeListChatModel, GenericFakeChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGenerationChunk, ChatResult
from pydantic import Field

from assistant.responders.base import TurnInput
from assistant.responders.llm import LLMResponder

TurnMaker = Callable[..., TurnInput]  # the `make_turn` fixture
ResponderMaker = Callable[..., LLMResponder]  # the `make_responder` fixture


class ScriptedChatModel(GenericFakeChatModel):
    """Replies in order; records each call's messages; an extra call is an error."""

    script: list[str] = Field(default_factory=list)
    calls: list[list[BaseMessage]] = Field(default_factory=list)
    unexpected: int = 0

    def __init__(self, script: list[str] | None = None, **kw: Any) -> None:
        replies = list(script or [])
        super().__init__(messages=iter([AIMessage(r) for r in replies]), script=replies, **kw)

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        self.calls.append(messages)
        if len(self.calls) > len(self.script):
            self.unexpected += 1
            raise AssertionError(f"unexpected extra call {len(self.calls)} to the chat model")
        return super()._generate(messages, stop, run_manager, **kwargs)

    def done(self) -> bool:
        return self.unexpected == 0 and len(self.calls) == len(self.script)

    @property
    def prompt(self) -> str:
        """Everything the last call was sent, as one text."""
        return "\n\n".join(str(m.content) for m in self.calls[-1])


class SlowChatModel(FakeListChatModel):
    """Streams one character every `sleep` seconds: long past any sensible deadline."""

    def __init__(self, reply: str = "Hamstrings are rarely the whole story [1].", sleep: float = 0.2) -> None:
        super().__init__(responses=[reply], sleep=sleep)


class RateLimitError(Exception):
    """Shaped like the providers' own (openai, anthropic): the class name and a 429 status."""

    status_code = 429


class RateLimitedChatModel(GenericFakeChatModel):
    """Answers every call the way a provider does when the account is over its rate limit."""

    def __init__(self) -> None:
        super().__init__(messages=iter(()))

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        time.sleep(0.01)
        raise RateLimitError("Rate limit reached for requests")
