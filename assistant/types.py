"""The typed reply contract every door is built on (see DESIGN.md, "The reply contract")."""

from __future__ import annotations

from enum import IntEnum
from typing import Literal

from pydantic import BaseModel, Field, field_serializer

Channel = Literal["web", "slack", "discord", "api", "cli", "eval"]
Intent = Literal["education", "exercise", "symptom", "greeting", "out_of_scope", "refusal", "clarify"]
Mode = Literal["grounded", "llm"]
LevelName = Literal["none", "evaluation", "urgent", "emergency"]
# Where the runner should go, decided once from the level and the rules that fired
# (`Rulebook.care`): every door's banner and the escalation wording follow it.
CareName = Literal["none", "evaluation", "in_person", "day_or_two", "same_day", "emergency"]


class Level(IntEnum):
    """Triage levels, ordered so that a higher value is more cautious."""

    NONE = 0
    EVALUATION = 1
    URGENT = 2
    EMERGENCY = 3

    @property
    def label(self) -> LevelName:
        names: dict[int, LevelName] = {
            0: "none",
            1: "evaluation",
            2: "urgent",
            3: "emergency",
        }
        return names[int(self)]

    @classmethod
    def parse(cls, name: str) -> Level:
        try:
            return cls[name.strip().upper()]
        except KeyError:
            raise ValueError(
                f"unknown triage level {name!r}; use none, evaluation, urgent or emergency"
            ) from None


class Flag(BaseModel):
    """One red-flag rule that fired, with the words that made it fire (`evidence`)."""

    id: str
    level: LevelName
    label: str
    evidence: str = ""


class ShownFlag(BaseModel):
    """A flag as replies and stream events show it: the label, never the runner's words."""

    id: str
    level: LevelName
    label: str


class Triage(BaseModel):
    level: LevelName = "none"
    care: CareName = Field(
        "none",
        description="Where to go: none | evaluation (in person or online) | in_person (an in-person "
        "assessment) | day_or_two (a doctor within a day or two) | same_day (a doctor today) | "
        "emergency (emergency care now).",
    )
    flags: list[Flag] = Field(default_factory=list)

    @field_serializer("flags")
    def _shown(self, flags: list[Flag]) -> list[ShownFlag]:
        # The evidence is for the audit trail (redacted there); a reply never carries it.
        return [ShownFlag(id=f.id, level=f.level, label=f.label) for f in flags]


class Citation(BaseModel):
    id: str
    title: str
    url: str
    snippet: str = ""


class ExerciseCard(BaseModel):
    id: str
    name: str
    program: str
    dose: str
    url: str
    why: str = ""


class Reply(BaseModel):
    """What one turn answers, identical on every door."""

    session_id: str
    session_token: str | None = Field(
        None,
        description="The session's secret, only in the reply that created it; every later use "
        "of the session (continue, read, feedback, delete) needs it.",
    )
    turn_id: str
    reply: str = Field(description="Markdown of the whole reply, rendered from the parts (simple clients).")
    answer: str = Field("", description="Markdown of the answer alone.")
    safety_net: str = Field(
        "", description="One short line at level none; the escalation text at raised levels."
    )
    triage: Triage = Field(default_factory=Triage)
    intent: Intent = "education"
    in_scope: bool = True
    citations: list[Citation] = Field(default_factory=list)
    exercises: list[ExerciseCard] = Field(default_factory=list)
    follow_ups: list[str] = Field(default_factory=list)
    mode: Mode = "grounded"
    sections: list[str] = Field(
        default_factory=list, description="Section ids the answer was composed from (the session's topic)."
    )
    gap: bool = Field(False, description="True when the knowledge does not cover the question specifically.")
    retrieved_sections: list[str] = Field(
        default_factory=list,
        description="Section ids ({doc_id}#{heading-slug}) the answer was composed from, then the other "
        "retrieved sections, best first (for evaluation).",
    )
    retrieved_ids: list[str] = Field(
        default_factory=list,
        description="Knowledge ids the retriever returned, best first (for evaluation).",
    )
