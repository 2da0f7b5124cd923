"""What triage stores per session and what it hands to the router and responders."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from assistant.types import CareName, Flag, Level, LevelName


class TriageState(BaseModel):
    """Stored per session (JSON). Its level never drops within a session."""

    level: LevelName = "none"
    flags: list[Flag] = Field(default_factory=list)
    facts: dict[str, Any] = Field(
        default_factory=dict,
        description="Accumulated facts: age, cancer history, night pain, duration_weeks, ...; "
        "`evidence` maps a fact to the runner's words.",
    )
    pending: list[str] = Field(
        default_factory=list, description="Screening questions asked last turn, to read the answer."
    )


class Assessment(BaseModel):
    """One turn's triage."""

    level: Level
    care: CareName = Field("none", description="Where to go (`Rulebook.care` of the level and flags).")
    flags: list[Flag] = Field(description="Flags fired this turn plus those kept from the session.")
    state: TriageState = Field(description="The new state to store.")
    clarify: list[str] = Field(default_factory=list, description="Screening questions to ask first.")
    about_other: bool = Field(False, description="The symptoms belong to someone else.")
    asking_about_flags: bool = Field(False, description="An educational or hypothetical question.")
    language: str = "en"
    retracted: bool = Field(False, description="The runner says an earlier flag was a mistake.")
    new_flags: list[str] = Field(default_factory=list, description="Ids of the flags fired this turn.")
    answered: list[str] = Field(default_factory=list, description="Screening questions answered this turn.")
