"""Safety wording from `prompts/escalation.yaml`: escalation by level, refusals, screening questions.

The text is data so a clinician can edit it; the code only chooses the template and fills in the
clinic's details from settings and the warning signs from the flags.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from assistant.errors import ConfigError
from assistant.prompts import Templates
from assistant.settings import CLINIC_VARS, Settings
from assistant.triage.rules import Rulebook, load_rulebook
from assistant.types import CareName, Flag, Level

SETTINGS_VARS = set(CLINIC_VARS)
ALLOWED = SETTINGS_VARS | {"signs"}
REFUSALS = {"dose", "diagnosis", "injection", "abuse"}
SCREENING = ("saddle_bladder", "both_legs", "weakness")
REQUIRED = {
    "emergency",
    "emergency_other",
    "urgent",
    "urgent_other",
    "urgent_same_day",
    "urgent_same_day_other",
    "evaluation",
    "evaluation_other",
    "evaluation_in_person",
    "evaluation_leg",
    "evaluation_leg_other",
    "safety_net",
    "warning_signs",
    "retracted",
    "out_of_scope",
    "language",
    "clarify_intro",
    "clarify_outro",
    *(f"refusal_{k}" for k in REFUSALS),
    *(f"clarify_{q}" for q in SCREENING),
}
# In-person flags worded for young runners (NICE NG59 is 16+); other in-person flags are the leg's nerves.
YOUNG = {"under_16", "pars_suspicion", "bone_stress_suspicion"}


@lru_cache(maxsize=8)
def load_templates(path: Path) -> Templates:
    """The escalation wording, validated once per file (a missing entry is a start-up error)."""
    return Templates.load(path, ALLOWED, REQUIRED)


def _templates(settings: Settings) -> Templates:
    return load_templates(settings.prompts_dir / "escalation.yaml")


def _vars(settings: Settings) -> dict[str, str]:
    return settings.clinic_vars()


def _signs(flags: list[Flag], level: Level) -> str:
    """The warning signs at this level, in plain words, joined as a runner would say them."""
    names = list(dict.fromkeys(f.label for f in flags if Level.parse(f.level) == level))
    if not names:
        names = list(dict.fromkeys(f.label for f in flags)) or ["symptoms that need checking"]
    names = names[:3]
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + " and " + names[-1]


@lru_cache(maxsize=8)
def _rulebook(rules_dir: Path) -> Rulebook:
    return load_rulebook(rules_dir)


def care(level: Level, flags: list[Flag], settings: Settings) -> CareName:
    """Where to go: the rulebook's one decision (`Rulebook.care`), for wording built outside a turn
    (a turn's assessment carries it already)."""
    return _rulebook(settings.knowledge_dir / "red_flags").care(level, flags)


def template_name(care: CareName, flags: list[Flag], about_other: bool) -> str:
    """The template of `prompts/escalation.yaml` that words `care`."""
    other = "_other" if about_other else ""
    if care == "in_person":
        return "evaluation_in_person" if any(f.id in YOUNG for f in flags) else f"evaluation_leg{other}"
    names = {
        "none": "safety_net",
        "evaluation": f"evaluation{other}",
        "day_or_two": f"urgent{other}",
        "same_day": f"urgent_same_day{other}",
        "emergency": f"emergency{other}",
    }
    return names[care]


def escalation_text(
    level: Level,
    flags: list[Flag],
    settings: Settings,
    about_other: bool = False,
    where: CareName | None = None,
) -> str:
    """Markdown that opens a reply at `level`; the safety net at level none. `where` is the turn's
    care (`Assessment.care`); without it the rulebook decides it from the flags, the same way."""
    name = template_name(where or care(level, flags, settings), flags, about_other)
    values = _vars(settings)
    if level != Level.NONE:
        values["signs"] = _signs(flags, level)
    return _templates(settings).render(name, **values)


def refusal_text(kind: str, settings: Settings) -> str:
    """dose | diagnosis | injection | abuse | out_of_scope | language."""
    t = _templates(settings)
    if kind in REFUSALS:
        return t.render(f"refusal_{kind}", **_vars(settings))
    if kind in {"out_of_scope", "language"}:
        return t.render(kind, **_vars(settings))
    raise ConfigError(
        f"no refusal wording for {kind!r}; use one of {sorted(REFUSALS)}, out_of_scope, language"
    )


def clarify_text(question_ids: list[str], settings: Settings) -> str:
    """The screening questions, as a short numbered list."""
    t = _templates(settings)
    values = _vars(settings)
    asked = [q for q in question_ids if f"clarify_{q}" in t]
    if not asked:
        return ""
    lines = [t.render("clarify_intro", **values)]
    lines += [f"{n}. {t.render(f'clarify_{q}', **values)}" for n, q in enumerate(asked, 1)]
    lines.append(t.render("clarify_outro", **values))
    return "\n".join(lines[:1]) + "\n\n" + "\n".join(lines[1:-1]) + "\n\n" + lines[-1]


def safety_net(settings: Settings) -> str:
    return _templates(settings).render("safety_net", **_vars(settings))


def warning_signs_text(settings: Settings) -> str:
    """For "what symptoms mean I should go to A&E?": the list, as education, not an alarm."""
    return _templates(settings).render("warning_signs", **_vars(settings))


def retraction_text(settings: Settings) -> str:
    return _templates(settings).render("retracted", **_vars(settings))
