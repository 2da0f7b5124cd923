"""Escalation wording, one source: which template of `prompts/escalation.yaml` opens a reply.

The urgent wording follows the `timeframe` of the rule that fired (`knowledge/red_flags/
urgent.yaml`): same-day care, or a doctor within a day or two, never both in one reply; when
flags disagree the sooner wins, and an urgent flag without a timeframe counts as same day. Leg
symptoms at level evaluation go to an in-person assessment, because an online visit cannot
examine nerves. Every other choice is the triage wording's own (`assistant/triage/wording.py`).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from assistant.settings import Settings
from assistant.triage import wording
from assistant.triage.rules import load_rulebook
from assistant.types import Flag, Level

__all__ = ["LEG_SYMPTOMS", "escalation_text", "template_name", "timeframes"]

# Evaluation flags about the leg's nerves: an in-person assessment, not an online one.
LEG_SYMPTOMS = {"radicular_pain", "leg_numbness"}
SAME_DAY = "same_day"


@lru_cache(maxsize=8)
def timeframes(rules_dir: Path) -> dict[str, str]:
    """Rule id -> timeframe, for every urgent sign and combination that states one."""
    book = load_rulebook(rules_dir)
    found: dict[str, str] = {s.id: s.timeframe for s in book.signs.values() if s.timeframe}
    found.update({c.id: c.timeframe for c in book.combinations.values() if c.timeframe})
    return found


def _at(flags: list[Flag], level: Level) -> list[Flag]:
    return [f for f in flags if Level.parse(f.level) == level]


def template_name(level: Level, flags: list[Flag], known: dict[str, str], about_other: bool) -> str | None:
    """The template this module chooses, or None where the triage wording's choice stands."""
    other = "_other" if about_other else ""
    if level == Level.URGENT:
        urgent = _at(flags, Level.URGENT) or flags
        same_day = not urgent or any(known.get(f.id, SAME_DAY) == SAME_DAY for f in urgent)
        return f"urgent_same_day{other}" if same_day else f"urgent{other}"
    young = any(f.id in wording.IN_PERSON for f in flags)  # the triage wording's in-person case
    if level == Level.EVALUATION and not young and any(f.id in LEG_SYMPTOMS for f in _at(flags, level)):
        return f"evaluation_leg{other}"
    return None


def escalation_text(level: Level, flags: list[Flag], settings: Settings, about_other: bool = False) -> str:
    """Markdown that opens a reply at `level`; the safety net at level none."""
    known = timeframes(settings.knowledge_dir / "red_flags")
    name = template_name(level, flags, known, about_other)
    if name is None:
        return wording.escalation_text(level, flags, settings, about_other=about_other)
    values = settings.clinic_vars()
    values["signs"] = wording._signs(flags, level)  # the triage wording's own naming of the signs
    return wording.load_templates(settings.prompts_dir / "escalation.yaml").render(name, **values)
