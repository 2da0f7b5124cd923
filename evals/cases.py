"""Golden cases: the JSONL format (see `evals/README.md`), validated with file and line on errors."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from assistant.errors import ConfigError
from assistant.types import Intent, Level

CASES_DIR = Path(__file__).resolve().parent / "cases"
INTENTS: frozenset[str] = frozenset(get_args(Intent))
HOLDOUT_MARK = "holdout"


class CaseError(ConfigError):
    """One bad line in a case file."""

    code = "eval_case"

    def __init__(self, path: Path | str, line: int, problem: str) -> None:
        super().__init__(f"{path}:{line}: {problem}")
        self.path = str(path)
        self.line = line


class CaseErrors(ConfigError):
    """Several bad case lines, reported together."""

    code = "eval_case"

    def __init__(self, errors: list[CaseError]) -> None:
        super().__init__("\n".join(e.message for e in errors))
        self.errors = errors


def _level(value: Any) -> Level | None:
    if value is None or isinstance(value, Level):
        return value
    if isinstance(value, str):
        return Level.parse(value)
    raise ValueError("must be one of none, evaluation, urgent, emergency")


def _intents(value: Any) -> tuple[str, ...] | None:
    if value is None:
        return None
    names = [value] if isinstance(value, str) else list(value)
    if not names:
        raise ValueError("must name at least one intent")
    unknown = [n for n in names if n not in INTENTS]
    if unknown:
        raise ValueError(f"unknown intent(s) {unknown}; use {sorted(INTENTS)}")
    return tuple(names)


class _Checks(BaseModel):
    """The fields an expectation can set; shared by a case and its `turn_expectations`."""

    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)

    triage_min: Level | None = None
    triage_max: Level | None = None
    in_scope: bool | None = None
    intent: tuple[str, ...] | None = None
    expected_ids: tuple[str, ...] = ()
    mentions_any: tuple[tuple[str, ...], ...] = ()
    must_not_match: tuple[str, ...] = ()
    expected_sections: tuple[str, ...] = ()
    expect: Literal["answer", "gap"] | None = None

    _level_fields = field_validator("triage_min", "triage_max", mode="before")(_level)
    _intent_field = field_validator("intent", mode="before")(_intents)

    @field_validator("mentions_any")
    @classmethod
    def _groups(cls, groups: tuple[tuple[str, ...], ...]) -> tuple[tuple[str, ...], ...]:
        for n, group in enumerate(groups):
            if not group or any(not w.strip() for w in group):
                raise ValueError(f"group {n + 1} is empty or has a blank word")
        return groups

    @field_validator("must_not_match")
    @classmethod
    def _regexes(cls, patterns: tuple[str, ...]) -> tuple[str, ...]:
        for pattern in patterns:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"{pattern!r} is not a valid regex: {exc}") from None
        return patterns

    @model_validator(mode="after")
    def _order(self) -> _Checks:
        lo, hi = self.triage_min, self.triage_max
        if lo is not None and hi is not None and lo > hi:
            raise ValueError(f"triage_min ({lo.label}) is above triage_max ({hi.label})")
        return self


class TurnExpectation(_Checks):
    """Expectations for one earlier (or the last) turn of a multi-turn case; `turn` counts from 1."""

    turn: int = Field(ge=1)

    @model_validator(mode="after")
    def _fill_range(self) -> TurnExpectation:
        # One bound alone means "at least" or "at most"; the open side is unbounded.
        if (self.triage_min is None) != (self.triage_max is None):
            lo = self.triage_min if self.triage_min is not None else Level.NONE
            hi = self.triage_max if self.triage_max is not None else Level.EMERGENCY
            return self.model_copy(update={"triage_min": lo, "triage_max": hi})
        return self


class Case(_Checks):
    """One golden case: a conversation and what the reply to it must (and must not) do."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$")
    category: str = Field(min_length=1)
    turns: tuple[str, ...] = Field(min_length=1)
    triage_min: Level
    triage_max: Level
    in_scope: bool | None  # required key: null means either is acceptable
    reference: str | None = None
    paraphrase_of: str | None = None
    turn_expectations: tuple[TurnExpectation, ...] = ()
    notes: str = ""

    @field_validator("turns")
    @classmethod
    def _no_blank_turns(cls, turns: tuple[str, ...]) -> tuple[str, ...]:
        for n, turn in enumerate(turns):
            if not turn.strip():
                raise ValueError(f"turn {n + 1} is blank")
        return turns

    @model_validator(mode="after")
    def _turn_numbers(self) -> Case:
        seen: set[int] = set()
        for exp in self.turn_expectations:
            if exp.turn > len(self.turns):
                raise ValueError(
                    f"turn_expectations names turn {exp.turn} but the case has {len(self.turns)} turns"
                )
            if exp.turn in seen:
                raise ValueError(f"turn_expectations names turn {exp.turn} twice")
            seen.add(exp.turn)
        return self

    def expectations(self) -> list[Expectation]:
        """What is checked after which turn, in turn order (the last turn always has one)."""
        last = len(self.turns)
        base = Expectation.from_checks(last, self)
        out: dict[int, Expectation] = {last: base}
        for exp in self.turn_expectations:
            mine = Expectation.from_checks(exp.turn, exp)
            out[exp.turn] = base.merged(mine) if exp.turn == last else mine
        return [out[k] for k in sorted(out)]


@dataclass(frozen=True)
class Expectation:
    """The checks that apply to the reply after turn `turn` (1-based)."""

    turn: int
    triage_min: Level | None = None
    triage_max: Level | None = None
    in_scope: bool | None = None
    intent: tuple[str, ...] | None = None
    expected_ids: tuple[str, ...] = ()
    mentions_any: tuple[tuple[str, ...], ...] = ()
    must_not_match: tuple[str, ...] = ()
    expected_sections: tuple[str, ...] = ()
    expect: str | None = None

    @classmethod
    def from_checks(cls, turn: int, checks: _Checks) -> Expectation:
        return cls(
            turn=turn,
            triage_min=checks.triage_min,
            triage_max=checks.triage_max,
            in_scope=checks.in_scope,
            intent=checks.intent,
            expected_ids=checks.expected_ids,
            mentions_any=checks.mentions_any,
            must_not_match=checks.must_not_match,
            expected_sections=checks.expected_sections,
            expect=checks.expect,
        )

    def merged(self, other: Expectation) -> Expectation:
        """`other`'s fields where it sets them, else this one's."""
        return Expectation(
            turn=other.turn,
            triage_min=other.triage_min if other.triage_min is not None else self.triage_min,
            triage_max=other.triage_max if other.triage_max is not None else self.triage_max,
            in_scope=other.in_scope if other.in_scope is not None else self.in_scope,
            intent=other.intent if other.intent is not None else self.intent,
            expected_ids=other.expected_ids or self.expected_ids,
            mentions_any=other.mentions_any or self.mentions_any,
            must_not_match=tuple(dict.fromkeys(self.must_not_match + other.must_not_match)),
            expected_sections=other.expected_sections or self.expected_sections,
            expect=other.expect or self.expect,
        )


def _describe(error: dict[str, Any]) -> str:
    where = ".".join(str(p) for p in error["loc"])
    message = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        return f"field '{where}': unknown field (check the spelling; see evals/README.md)"
    if error["type"] == "missing":
        return f"field '{where}': required"
    return f"field '{where}': {message}" if where else message


ANSWERS = "answers"


class AnswerCase(BaseModel):
    """An everyday question (or a conversation ending in a follow-up), in the answers format:
    `{"id", "turns", "sections", "concepts", "expect"}` (see evals/README.md, "Answer cases")."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    turns: tuple[str, ...] = Field(min_length=1)
    sections: tuple[str, ...] = ()
    concepts: tuple[tuple[str, ...], ...] = ()
    expect: Literal["answer", "gap"] = "answer"
    notes: str = ""

    @field_validator("sections")
    @classmethod
    def _section_ids(cls, sections: tuple[str, ...]) -> tuple[str, ...]:
        for section in sections:
            if not re.fullmatch(r"[a-z0-9][a-z0-9-]*#[a-z0-9-]+", section):
                raise ValueError(f"{section!r} is not a section id ({{doc_id}}#{{heading-slug}})")
        return sections

    def case(self) -> Case:
        """As a golden case: triage and scope are not judged, the last turn's section and concepts are."""
        return Case(
            id=self.id,
            category=ANSWERS,
            turns=self.turns,
            triage_min=Level.NONE,
            triage_max=Level.EMERGENCY,
            in_scope=None,
            mentions_any=self.concepts,
            expected_sections=self.sections,
            expect=self.expect,
            notes=self.notes,
        )


def parse_line(path: Path, line_no: int, text: str) -> Case:
    """One JSONL line as a Case, or a CaseError naming the file and line."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CaseError(path, line_no, f"not valid JSON: {exc.msg} (column {exc.colno})") from None
    if not isinstance(data, dict):
        raise CaseError(path, line_no, "a case must be a JSON object")
    try:
        if "category" not in data and ("sections" in data or "expect" in data or "concepts" in data):
            return AnswerCase.model_validate(data).case()
        return Case.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(_describe(dict(e)) for e in exc.errors())
        case_id = data.get("id", "?")
        raise CaseError(path, line_no, f"case {case_id!r}: {problems}") from None


def read_file(path: Path) -> tuple[list[tuple[int, Case]], list[CaseError]]:
    """The cases of one file with their line numbers, and the lines that failed."""
    cases: list[tuple[int, Case]] = []
    errors: list[CaseError] = []
    for line_no, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not raw.strip() or raw.lstrip().startswith("//"):
            continue
        try:
            cases.append((line_no, parse_line(path, line_no, raw)))
        except CaseError as exc:
            errors.append(exc)
    return cases, errors


def case_files(paths: Sequence[Path] | None = None, *, holdout: bool = False) -> list[Path]:
    """The files to load: every `*.jsonl` under each folder given (default `evals/cases/`).

    Files whose name contains "holdout" are skipped in folders unless `holdout` is set; a file
    named explicitly is always loaded.
    """
    out: list[Path] = []
    for path in paths or [CASES_DIR]:
        if path.is_dir():
            out.extend(p for p in sorted(path.glob("*.jsonl")) if holdout or HOLDOUT_MARK not in p.name)
        elif path.exists():
            out.append(path)
        else:
            raise ConfigError(f"{path}: no such case file or folder")
    return list(dict.fromkeys(out))


def load_cases(paths: Sequence[Path] | None = None, *, holdout: bool = False) -> list[Case]:
    """Every case in the files; all bad lines and duplicate ids are reported together."""
    cases: list[Case] = []
    errors: list[CaseError] = []
    first_seen: dict[str, str] = {}
    for path in case_files(paths, holdout=holdout):
        found, bad = read_file(path)
        errors.extend(bad)
        for line_no, case in found:
            if case.id in first_seen:
                errors.append(
                    CaseError(path, line_no, f"duplicate id {case.id!r} (first at {first_seen[case.id]})")
                )
                continue
            first_seen[case.id] = f"{path}:{line_no}"
            cases.append(case)
    if errors:
        raise CaseErrors(errors)
    return cases


def select(
    cases: Iterable[Case],
    *,
    only: Sequence[str] = (),
    categories: Sequence[str] = (),
    limit: int | None = None,
) -> list[Case]:
    """Cases whose id matches one of the `only` regexes and whose category is listed."""
    patterns = [re.compile(p) for p in only]
    out = [
        c
        for c in cases
        if (not patterns or any(p.search(c.id) for p in patterns))
        and (not categories or c.category in categories)
    ]
    return out[:limit] if limit is not None else out
