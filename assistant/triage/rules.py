"""The red-flag rule files (`knowledge/red_flags/*.yaml`) as typed data, validated at start-up.

A rule file holds any of four sections:

    terms         named pieces of regular expression, used in patterns as {name}
    signs         something the runner says; a sign with a `level` raises a flag, one without
                  a level is a risk factor (a fact) that combinations use
    combinations  flags raised by facts together (age over 50 and night pain, ...)
    screening     the clarifying questions, and how an answer is read

Every problem is a `RuleError` naming the file, the rule id and the field (and the line when the
YAML itself is broken), so a clinician editing a rule sees exactly what to fix.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from assistant.errors import RuleError
from assistant.types import CareName, Flag, Level, LevelName

RuleLevel = Literal["evaluation", "urgent", "emergency"]
# How soon an urgent flag needs a doctor; the reply's wording follows it (prompts/escalation.yaml).
Timeframe = Literal["same_day", "day_or_two"]
Language = Literal["es", "fr", "de", "pt", "it"]

_ID = r"^[a-z][a-z0-9_]*$"
_TERM = re.compile(r"\{([a-z][a-z_0-9]*)\}")
# A gap between words never crosses punctuation: in "just the one leg, no numbness" the leg and
# the numbness are in different clauses. `\S+ ` in a pattern means one such word.
WORD = r"[^\s.,;:!?()\-]+ "
# `{w}` in a pattern allows up to three words in between ("can't {w}feel" matches
# "can't really feel"); `{w6}` allows six.
BUILTIN_TERMS = {"w": rf"(?:{WORD}){{0,3}}", "w6": rf"(?:{WORD}){{0,6}}"}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Pattern(_Strict):
    """A regular expression over normalised text, with a message it matches (a test proves it)."""

    pattern: str = Field(min_length=1)
    example: str = Field(min_length=2, description="A runner's message this pattern matches.")


def texts(patterns: list[Pattern]) -> list[str]:
    return [p.pattern for p in patterns]


class Sign(_Strict):
    """A symptom or risk factor, in clinician wording and in the words runners type."""

    id: str = Field(pattern=_ID)
    label: str = Field(min_length=3, description="Clinician wording, shown in the audit trail.")
    level: RuleLevel | None = Field(None, description="Absent: a risk factor used by combinations.")
    timeframe: Timeframe | None = Field(None, description="Urgent signs: same_day or day_or_two.")
    in_person: bool = Field(False, description="Evaluation signs an online visit cannot assess (nerves).")
    say: str = Field("", description="Lay name of the warning sign, used in the reply.")
    rationale: str = ""
    source: str = ""
    phrases: list[str] = Field(default_factory=list, description="Lay phrasings, matched as written.")
    patterns: list[Pattern] = Field(
        default_factory=list, description="Regular expressions, each with an example."
    )
    translations: dict[Language, list[Pattern]] = Field(default_factory=dict)
    exemplars: list[str] = Field(default_factory=list, description="Extra phrasings for the semantic net.")
    semantic: bool = Field(True, description="May the semantic net raise this sign?")
    history_counts: bool = Field(False, description="A past episode is itself the risk (cancer).")
    recent_only: bool = Field(False, description="An event long ago does not count (trauma).")
    unless: list[Pattern] = Field(default_factory=list, description="Patterns that cancel a match nearby.")
    clarify: list[str] = Field(default_factory=list, description="Screening questions to ask.")

    @field_validator("rationale", "source")
    @classmethod
    def _needed_for_flags(cls, value: str) -> str:
        return value.strip()


class Combination(_Strict):
    """A flag raised by facts that may be harmless alone (age 55) but not together."""

    id: str = Field(pattern=_ID)
    level: RuleLevel
    timeframe: Timeframe | None = Field(None, description="Urgent combinations: same_day or day_or_two.")
    in_person: bool = Field(False, description="Evaluation combinations that need an in-person assessment.")
    label: str = Field(min_length=3)
    say: str = ""
    rationale: str
    source: str
    all: list[str] = Field(default_factory=list, description="Facts that must all be present.")
    any: list[str] = Field(default_factory=list, description="Facts of which `min_any` must be present.")
    min_any: int = Field(1, ge=1)


class Question(_Strict):
    """One screening question; its wording lives in prompts/escalation.yaml under the same id."""

    id: str = Field(pattern=_ID)
    fires: str = Field(description="The sign raised when the answer is yes.")
    topic: list[Pattern] = Field(description="Patterns showing the answer is about this question.")
    means_yes: list[Pattern] = Field(default_factory=list, description="Patterns that answer yes outright.")
    means_no: list[Pattern] = Field(default_factory=list, description="Patterns that answer no outright.")


class RuleFile(_Strict):
    title: str = ""
    about: str = ""
    terms: dict[str, str] = Field(default_factory=dict)
    signs: list[Sign] = Field(default_factory=list)
    combinations: list[Combination] = Field(default_factory=list)
    screening: list[Question] = Field(default_factory=list)
    contrast: list[str] = Field(
        default_factory=list,
        description="Everyday phrasings that resemble red flags but are harmless (semantic net contrast).",
    )


class Rulebook(BaseModel):
    """All rule files merged, with every pattern expanded and compiled."""

    model_config = ConfigDict(arbitrary_types_allowed=True, frozen=True)

    signs: dict[str, Sign]
    combinations: dict[str, Combination]
    questions: dict[str, Question]
    contrast: list[str]
    terms: dict[str, str]
    origin: dict[str, str]  # rule id -> file name
    version: str

    def levels(self) -> dict[str, LevelName]:
        """Every sign and combination that raises a level, with that level."""
        ids = [*self.signs, *self.combinations]
        return {rid: level for rid in ids if (level := self.flag_level(rid)) is not None}

    def history_ids(self) -> set[str]:
        """Rules for which a past episode is itself the risk (cancer): a past tense keeps them."""
        out = {s.id for s in self.signs.values() if s.history_counts}
        out |= {c.id for c in self.combinations.values() if out & {*c.all, *c.any}}
        return out

    def care(self, level: Level, flags: list[Flag]) -> CareName:
        """Where to go, from the level and the rules that fired at it: the one decision every reply,
        banner and door follows. Urgent flags name their timeframe and the sooner wins (none stated
        counts as same day); an evaluation sign an online visit cannot assess means in person."""
        at_level = [f.id for f in flags if Level.parse(f.level) == level]
        if level == Level.EMERGENCY:
            return "emergency"
        if level == Level.URGENT:
            frames = [rule.timeframe if (rule := self._rule(rid)) else None for rid in at_level]
            return "day_or_two" if frames and all(t == "day_or_two" for t in frames) else "same_day"
        if level == Level.EVALUATION:
            in_person = any((rule := self._rule(rid)) is not None and rule.in_person for rid in at_level)
            return "in_person" if in_person else "evaluation"
        return "none"

    def _rule(self, rule_id: str) -> Sign | Combination | None:
        return self.signs.get(rule_id) or self.combinations.get(rule_id)

    def flag_level(self, rule_id: str) -> LevelName | None:
        if rule_id in self.signs:
            return self.signs[rule_id].level
        if rule_id in self.combinations:
            return self.combinations[rule_id].level
        return None


def _read(path: Path) -> RuleFile:
    try:
        data: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise RuleError(f"{path}: cannot be read ({exc})") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        raise RuleError(f"{where}: not valid YAML: {getattr(exc, 'problem', exc)}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise RuleError(f"{path}: must be a mapping with terms, signs, combinations or screening")
    try:
        return RuleFile.model_validate(data)
    except ValidationError as exc:
        raise RuleError(f"{path}: {_describe(exc, data)}") from None


def _describe(exc: ValidationError, data: dict[str, Any]) -> str:
    """Name the rule id and the field, not just a list index."""
    problems = []
    for err in exc.errors():
        loc = list(err["loc"])
        where = ".".join(str(p) for p in loc)
        if len(loc) >= 2 and isinstance(loc[1], int):
            section = data.get(str(loc[0])) or []
            item = section[loc[1]] if loc[1] < len(section) else {}
            rule_id = item.get("id", f"#{loc[1] + 1}") if isinstance(item, dict) else f"#{loc[1] + 1}"
            field = ".".join(str(p) for p in loc[2:]) or "(the entry)"
            where = f"rule '{rule_id}' field '{field}'"
        problems.append(f"{where}: {err['msg']}")
    return "; ".join(problems)


def expand(pattern: str, terms: dict[str, str], where: str) -> str:
    """Replace {name} with its term (recursively), so patterns stay short and readable."""
    seen: set[str] = set()

    def sub(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in BUILTIN_TERMS:
            return BUILTIN_TERMS[name]
        if name not in terms:
            raise RuleError(f"{where}: unknown term {{{name}}}; define it under `terms:`")
        if name in seen:
            raise RuleError(f"{where}: term {{{name}}} refers to itself")
        seen.add(name)
        try:
            return "(?:" + _TERM.sub(sub, terms[name]) + ")"
        finally:
            seen.discard(name)

    return _TERM.sub(sub, pattern)


def compile_pattern(pattern: str, terms: dict[str, str], where: str) -> re.Pattern[str]:
    """A pattern matched on whole words of the normalised text."""
    source = expand(pattern, terms, where).replace(r"\S+ ", WORD)
    try:
        return re.compile(rf"(?<![\w'])(?:{source})(?![\w'])")
    except re.error as exc:
        raise RuleError(f"{where}: bad regular expression {pattern!r}: {exc}") from None


def compile_union(sources: list[str], terms: dict[str, str], where: str) -> re.Pattern[str] | None:
    """Several patterns as one alternation (one pass over the message instead of many)."""
    if not sources:
        return None
    return compile_pattern("|".join(f"(?:{s})" for s in sources), terms, where)


def load_rulebook(rules_dir: Path) -> Rulebook:
    """Read, merge and cross-check every `*.yaml` under `rules_dir`."""
    paths = sorted(rules_dir.glob("*.yaml"))
    if not paths:
        raise RuleError(f"{rules_dir}: no red-flag rule files (*.yaml) found")
    digest = hashlib.sha256()
    files: list[tuple[Path, RuleFile]] = []
    for path in paths:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
        files.append((path, _read(path)))

    terms: dict[str, str] = {}
    origin: dict[str, str] = {}
    signs: dict[str, Sign] = {}
    combos: dict[str, Combination] = {}
    questions: dict[str, Question] = {}
    contrast: list[str] = []
    for path, rf in files:
        contrast.extend(rf.contrast)
        for name, value in rf.terms.items():
            if name in terms or name in BUILTIN_TERMS:
                raise RuleError(f"{path}: term '{name}' is defined twice")
            terms[name] = value
        items: list[Sign | Combination | Question] = [*rf.signs, *rf.combinations, *rf.screening]
        for item in items:
            if item.id in origin:
                raise RuleError(f"{path}: rule '{item.id}' is already defined in {origin[item.id]}")
            origin[item.id] = path.name
            if isinstance(item, Sign):
                signs[item.id] = item
            elif isinstance(item, Combination):
                combos[item.id] = item
            else:
                questions[item.id] = item

    # Cross-references, and every pattern compiles: fail at start-up, never mid-conversation.
    facts = set(signs) | set(DERIVED_FACTS) | {f"screen_{q}" for q in questions}
    for sign in signs.values():
        where = f"{rules_dir / origin[sign.id]}: rule '{sign.id}'"
        if sign.level and not (sign.rationale and sign.source):
            raise RuleError(f"{where}: a sign with a level needs a rationale and a source")
        if not (sign.phrases or sign.patterns or sign.translations):
            raise RuleError(f"{where}: needs phrases or patterns")
        for field, pats in (("patterns", sign.patterns), ("unless", sign.unless)):
            for p in pats:
                compile_pattern(p.pattern, terms, f"{where} field '{field}'")
        for lang, pats in sign.translations.items():
            for p in pats:
                compile_pattern(p.pattern, terms, f"{where} field 'translations.{lang}'")
        for asked in sign.clarify:
            if asked not in questions:
                raise RuleError(f"{where} field 'clarify': unknown screening question '{asked}'")
    for combo in combos.values():
        where = f"{rules_dir / origin[combo.id]}: rule '{combo.id}'"
        if not (combo.all or combo.any):
            raise RuleError(f"{where}: needs `all` or `any`")
        for fact in [*combo.all, *combo.any]:
            if fact not in facts:
                raise RuleError(
                    f"{where}: unknown fact '{fact}' (a sign id or one of {sorted(DERIVED_FACTS)})"
                )
        if combo.min_any > max(1, len(combo.any)):
            raise RuleError(f"{where} field 'min_any': larger than the `any` list")
    for q in questions.values():
        where = f"{rules_dir / origin[q.id]}: rule '{q.id}'"
        if q.fires not in signs or not signs[q.fires].level:
            raise RuleError(f"{where} field 'fires': '{q.fires}' is not a sign with a level")
        for field, pats in (("topic", q.topic), ("means_yes", q.means_yes), ("means_no", q.means_no)):
            for p in pats:
                compile_pattern(p.pattern, terms, f"{where} field '{field}'")
    return Rulebook(
        signs=signs,
        combinations=combos,
        questions=questions,
        contrast=contrast,
        terms=terms,
        origin=origin,
        version=digest.hexdigest()[:12],
    )


# Facts the engine works out itself (from numbers in the message), usable in combinations.
DERIVED_FACTS: dict[str, str] = {
    "age_under_16": "aged under 16",
    "age_under_20": "aged under 20",
    "age_50_plus": "aged 50 or over",
    "age_65_plus": "aged 65 or over",
    "duration_2_weeks": "symptoms for 2 weeks or more",
    "duration_6_weeks": "symptoms for 6 weeks or more",
}
