"""What every responder takes and gives back."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from assistant.types import Citation, ExerciseCard, Mode

if TYPE_CHECKING:
    from assistant.followups import FollowUp
    from assistant.retrieval import Hit
    from assistant.router import Route
    from assistant.sessions import TurnRecord
    from assistant.triage import Assessment


@dataclass(frozen=True)
class TurnInput:
    """Everything the pipeline knows when it is time to write the reply."""

    message: str
    route: Route
    assessment: Assessment
    hits: list[Hit]
    history: list[TurnRecord] = field(default_factory=list)
    follow_up: FollowUp | None = None  # set when the message resolves against the session's topic


@dataclass
class Draft:
    """A reply in parts. `text` is the Markdown of the whole (rendered from the parts by the
    responder that made it); `answer` is the answer alone (None: the whole text is the answer)."""

    text: str
    answer: str | None = None
    safety_net: str = ""
    sections: list[str] = field(default_factory=list)  # the sections the answer was composed from
    gap: bool = False
    citations: list[Citation] = field(default_factory=list)
    exercises: list[ExerciseCard] = field(default_factory=list)
    follow_ups: list[str] = field(default_factory=list)
    mode: Mode = "grounded"
    notes: list[str] = field(default_factory=list)  # why a fallback happened, for the log


class Responder(Protocol):
    def respond(self, turn: TurnInput) -> Draft: ...


class DraftStream(Protocol):
    """Text deltas of one reply; once iteration ends, `draft` is the reply as checked. When
    `replaced` is true the deltas shown so far must be replaced by `draft` (the guard stopped them)."""

    draft: Draft | None
    replaced: bool

    def __iter__(self) -> Iterator[str]: ...

    def __next__(self) -> str: ...


@runtime_checkable
class StreamingResponder(Responder, Protocol):
    """A responder that can also write its reply as it goes (the LLM one); the chat service and
    the stream route check for this protocol, not for an attribute name."""

    def respond_stream(self, turn: TurnInput) -> DraftStream: ...


class Fallback(Responder, Protocol):
    """The grounded responder's role when another reply fails: its own reply, or fixed wording."""

    def safe(self, turn: TurnInput) -> Draft: ...
