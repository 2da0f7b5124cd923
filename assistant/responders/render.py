"""The reply's Markdown of the whole, rendered once from its parts (for simple clients).

Doors that can place parts (the widget's footer, a Slack context block) render from the parts
themselves; this is the one place the parts become one Markdown text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from assistant.prompts import Templates
from assistant.settings import Settings
from assistant.types import Citation, ExerciseCard


@dataclass(frozen=True)
class Parts:
    answer: str
    exercises: Sequence[ExerciseCard] = field(default_factory=list)
    safety_net: str = ""
    citations: Sequence[Citation] = field(default_factory=list)


def render_cards(t: Templates, settings: Settings, cards: Sequence[ExerciseCard]) -> str:
    if not cards:
        return ""
    lines = "\n".join(
        t.render("exercise_line", name=c.name, url=c.url, dose=c.dose.rstrip("."), why=c.why) for c in cards
    )
    return t.render("try_this_heading", **settings.clinic_vars()) + "\n\n" + lines


def render_sources(t: Templates, citations: Sequence[Citation]) -> str:
    if not citations:
        return ""
    lines = "\n".join(
        t.render("source_line", n=n, title=c.title, url=c.url) for n, c in enumerate(citations, 1)
    )
    return t.render("sources_heading") + "\n\n" + lines


def render_markdown(t: Templates, settings: Settings, parts: Parts) -> str:
    """Answer, exercise cards, safety net and sources, in that order."""
    blocks = [
        parts.answer,
        render_cards(t, settings, parts.exercises),
        parts.safety_net,
        render_sources(t, parts.citations),
    ]
    return "\n\n".join(b for b in blocks if b.strip())
