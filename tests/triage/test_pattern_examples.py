"""Every pattern in the rule files carries an example, and matches it (STYLE.md habit 13).

The example is read exactly as the engine reads a runner's message (normalised, typos corrected),
so a clinician can see what each pattern is for, and a pattern that stops matching its example
fails here, naming the file, the rule and the pattern.
"""

from __future__ import annotations

import pytest

from assistant.triage import TriageEngine
from assistant.triage.rules import Pattern, compile_pattern, load_rulebook
from tests.triage.helpers import RULES_DIR

BOOK = load_rulebook(RULES_DIR)


def _all_patterns() -> list[tuple[str, Pattern]]:
    out: list[tuple[str, Pattern]] = []
    for sign in BOOK.signs.values():
        where = f"{BOOK.origin[sign.id]}:{sign.id}"
        out += [(f"{where}:patterns", p) for p in sign.patterns]
        out += [(f"{where}:unless", p) for p in sign.unless]
        out += [(f"{where}:translations.{lang}", p) for lang, ps in sign.translations.items() for p in ps]
    for q in BOOK.questions.values():
        where = f"{BOOK.origin[q.id]}:{q.id}"
        for field, ps in (("topic", q.topic), ("means_yes", q.means_yes), ("means_no", q.means_no)):
            out += [(f"{where}:{field}", p) for p in ps]
    return out


PATTERNS = _all_patterns()


def test_there_are_patterns_to_check() -> None:
    assert len(PATTERNS) > 100


@pytest.mark.parametrize(("where", "rule"), PATTERNS, ids=[f"{w}:{n}" for n, (w, _) in enumerate(PATTERNS)])
def test_pattern_matches_its_example(triage: TriageEngine, where: str, rule: Pattern) -> None:
    regex = compile_pattern(rule.pattern, BOOK.terms, where)
    doc, _ = triage.read(rule.example)
    assert regex.search(doc.text), f"{where}: {rule.pattern!r} does not match its example {rule.example!r}"
