"""Rule files are data validated at start-up: a bad file names the file, the rule and the field."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from assistant.errors import RuleError
from assistant.triage import TriageEngine
from assistant.triage.rules import load_rulebook
from tests.triage.helpers import RULES_DIR

GOOD = """
signs:
  - id: saddle_numbness
    level: emergency
    label: Saddle numbness
    say: numbness around your bottom
    rationale: CES item
    source: CES warning card
    phrases: [numb when I wipe]
"""


def write(tmp_path: Path, text: str, name: str = "rules.yaml") -> Path:
    (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


def test_the_shipped_rules_load_and_have_a_version() -> None:
    book = load_rulebook(RULES_DIR)
    assert len(book.version) == 12
    assert book.signs["saddle_numbness"].level == "emergency"


def test_the_version_changes_with_the_rules(tmp_path: Path) -> None:
    first = load_rulebook(write(tmp_path, GOOD)).version
    second = load_rulebook(write(tmp_path, GOOD + "    exemplars: [can't feel the loo roll]\n")).version
    assert first != second


def test_an_unknown_field_names_file_rule_and_field(tmp_path: Path) -> None:
    with pytest.raises(RuleError) as err:
        load_rulebook(write(tmp_path, GOOD + "    severity: high\n"))
    assert "rules.yaml" in err.value.message
    assert "saddle_numbness" in err.value.message
    assert "severity" in err.value.message


def test_a_bad_regular_expression_names_the_rule(tmp_path: Path) -> None:
    with pytest.raises(RuleError) as err:
        load_rulebook(
            write(tmp_path, GOOD + "    patterns: [{pattern: 'numb (when', example: 'numb when'}]\n")
        )
    assert "saddle_numbness" in err.value.message
    assert "bad regular expression" in err.value.message


def test_an_unknown_term_is_reported(tmp_path: Path) -> None:
    with pytest.raises(RuleError, match="unknown term"):
        load_rulebook(
            write(
                tmp_path,
                GOOD + "    patterns: [{pattern: '{numbness} {w}wipe', example: 'numb when I wipe'}]\n",
            )
        )


def test_a_wrong_level_is_reported(tmp_path: Path) -> None:
    with pytest.raises(RuleError, match=r"saddle_numbness.*level"):
        load_rulebook(write(tmp_path, GOOD.replace("level: emergency", "level: critical")))


def test_broken_yaml_names_the_line(tmp_path: Path) -> None:
    with pytest.raises(RuleError, match=r"rules\.yaml:\d+: not valid YAML"):
        load_rulebook(write(tmp_path, GOOD + "    label: a: b: c\n  - [\n"))


def test_a_duplicate_id_across_files_is_reported(tmp_path: Path) -> None:
    write(tmp_path, GOOD, "a.yaml")
    write(tmp_path, GOOD, "b.yaml")
    with pytest.raises(RuleError, match=r"already defined in a\.yaml"):
        load_rulebook(tmp_path)


def test_a_flag_without_rationale_or_source_is_reported(tmp_path: Path) -> None:
    with pytest.raises(RuleError, match="rationale and a source"):
        load_rulebook(write(tmp_path, GOOD.replace("    source: CES warning card\n", "")))


def test_a_combination_naming_an_unknown_fact_is_reported(tmp_path: Path) -> None:
    combo = """
combinations:
  - id: odd_combo
    level: urgent
    label: Odd
    rationale: r
    source: s
    all: [no_such_fact]
"""
    with pytest.raises(RuleError, match=r"odd_combo.*unknown fact 'no_such_fact'"):
        load_rulebook(write(tmp_path, GOOD + combo))


def test_an_empty_folder_is_reported(tmp_path: Path) -> None:
    with pytest.raises(RuleError, match="no red-flag rule files"):
        load_rulebook(tmp_path)


def test_the_engine_refuses_to_start_on_a_bad_copy_of_the_real_rules(tmp_path: Path) -> None:
    rules = tmp_path / "red_flags"
    shutil.copytree(RULES_DIR, rules)
    path = rules / "urgent.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            "  - id: renal_colic\n", "  - id: renal_colic\n    colour: red\n"
        )
    )
    with pytest.raises(RuleError, match=r"urgent\.yaml.*renal_colic.*colour"):
        TriageEngine.load(rules, None)
