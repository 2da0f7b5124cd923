"""Case files: the format, and errors that name the file and line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.types import Level
from evals.cases import CASES_DIR, CaseErrors, case_files, load_cases, select


def write(folder: Path, name: str, *lines: dict[str, object] | str) -> Path:
    path = folder / name
    path.write_text("\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n")
    return path


def good(**fields: object) -> dict[str, object]:
    data: dict[str, object] = {
        "id": "ok-1",
        "category": "scope",
        "turns": ["what's the weather?"],
        "triage_min": "none",
        "triage_max": "none",
        "in_scope": False,
        "intent": "out_of_scope",
    }
    data.update(fields)
    return data


def errors_of(path: Path) -> list[str]:
    with pytest.raises(CaseErrors) as info:
        load_cases([path])
    return [e.message for e in info.value.errors]


def test_a_good_case_loads_with_defaults(tmp_path: Path) -> None:
    [case] = load_cases([write(tmp_path, "a.jsonl", good())])
    assert case.triage_min == Level.NONE and case.intent == ("out_of_scope",)
    assert case.expected_ids == () and case.mentions_any == () and case.turn_expectations == ()
    [exp] = case.expectations()
    assert exp.turn == 1 and exp.in_scope is False


def test_bad_json_names_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, "a.jsonl", good(), "", '{"id": "broken",')
    [message] = errors_of(path)
    assert message.startswith(f"{path}:3: not valid JSON")


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"triage_min": "high"}, "field 'triage_min': unknown triage level 'high'"),
        ({"triage_min": "urgent", "triage_max": "none"}, "triage_min (urgent) is above triage_max (none)"),
        ({"intent": "chitchat"}, "unknown intent(s) ['chitchat']"),
        ({"must_not_match": ["(unclosed"]}, "is not a valid regex"),
        ({"mentions_any": [["ok"], []]}, "group 2 is empty"),
        ({"turns": []}, "field 'turns'"),
        ({"trige_min": "none"}, "field 'trige_min': unknown field"),
        ({"id": "Has Spaces"}, "field 'id'"),
        (
            {"turn_expectations": [{"turn": 3, "triage_min": "urgent"}]},
            "names turn 3 but the case has 1 turns",
        ),
    ],
)
def test_a_bad_field_is_an_error_naming_file_line_and_field(
    tmp_path: Path, fields: dict[str, object], expected: str
) -> None:
    path = write(tmp_path, "bad.jsonl", good(id="first"), good(**{"id": "second", **fields}))
    [message] = errors_of(path)
    assert message.startswith(f"{path}:2: case {fields.get('id', 'second')!r}:")
    assert expected in message


def test_a_missing_required_field_is_named(tmp_path: Path) -> None:
    data = good()
    del data["in_scope"]
    [message] = errors_of(write(tmp_path, "a.jsonl", data))
    assert "field 'in_scope': required" in message


def test_every_bad_line_is_reported_together(tmp_path: Path) -> None:
    a = write(tmp_path, "a.jsonl", good(id="x", triage_min="nope"))
    write(tmp_path, "b.jsonl", good(id="y"), good(id="y"))
    messages = errors_of(tmp_path)
    assert len(messages) == 2
    assert messages[0].startswith(f"{a}:1:")
    assert "duplicate id 'y' (first at" in messages[1] and "b.jsonl:2" in messages[1]


def test_holdout_files_load_only_when_asked(tmp_path: Path) -> None:
    write(tmp_path, "triage.jsonl", good(id="a"))
    holdout = write(tmp_path, "triage_holdout.jsonl", good(id="b"))
    assert [c.id for c in load_cases([tmp_path])] == ["a"]
    assert [c.id for c in load_cases([tmp_path], holdout=True)] == ["a", "b"]
    assert [c.id for c in load_cases([holdout])] == ["b"]  # named explicitly


def test_turn_expectations_make_checkpoints_and_merge_into_the_last_turn(tmp_path: Path) -> None:
    case = load_cases(
        [
            write(
                tmp_path,
                "m.jsonl",
                good(
                    turns=["a", "b", "c"],
                    triage_min="emergency",
                    triage_max="emergency",
                    in_scope=None,
                    intent=None,
                    must_not_match=["reps"],
                    turn_expectations=[
                        {"turn": 1, "triage_max": "evaluation"},
                        {"turn": 3, "mentions_any": [["911"]], "must_not_match": ["sets"]},
                    ],
                ),
            )
        ]
    )[0]
    first, last = case.expectations()
    assert (first.turn, first.triage_min, first.triage_max) == (1, Level.NONE, Level.EVALUATION)
    assert first.must_not_match == ()
    assert (last.turn, last.triage_min, last.mentions_any) == (3, Level.EMERGENCY, (("911",),))
    assert last.must_not_match == ("reps", "sets")


def test_select_by_id_pattern_category_and_limit(tmp_path: Path) -> None:
    cases = load_cases(
        [write(tmp_path, "a.jsonl", good(id="a-1"), good(id="a-2", category="x"), good(id="b-1"))]
    )
    assert [c.id for c in select(cases, only=["^a-"])] == ["a-1", "a-2"]
    assert [c.id for c in select(cases, categories=["x"])] == ["a-2"]
    assert [c.id for c in select(cases, limit=1)] == ["a-1"]


def test_a_missing_path_is_an_error(tmp_path: Path) -> None:
    from assistant.errors import ConfigError

    with pytest.raises(ConfigError, match="no such case file"):
        case_files([tmp_path / "nope.jsonl"])


def test_the_shipped_case_files_are_valid() -> None:
    cases = load_cases([CASES_DIR], holdout=True)
    assert len(cases) >= 120
