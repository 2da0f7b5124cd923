"""What every responder takes and gives back."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

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


class Fallback(Responder, Protocol):
    """The grounded responder's role when another reply fails: its own reply, or fixed wording."""

    def safe(self, turn: TurnInput) -> Draft: ...
