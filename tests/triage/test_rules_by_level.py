"""Every rule, one conversation at a time: it fires on runners' wording and typos, and stays
quiet on denials, history and harmless look-alikes (cases in rule_cases.py)."""

from __future__ import annotations

import pytest

from assistant.triage import TriageEngine
from tests.triage.helpers import TriageChat
from tests.triage.rule_cases import CASES, Case


def _turns(case: Case) -> tuple[str, ...]:
    return (case,) if isinstance(case, str) else case


def _run(triage: TriageEngine, case: Case) -> TriageChat:
    talk = TriageChat(triage)
    for turn in _turns(case):
        talk >> turn
    return talk


FIRES = [(rule, case) for rule, c in CASES.items() for case in c["fires"]]
# The joined turns "my leg feels numb" + "not sure" read as both legs: already an emergency, so the
# screening answer that should fire is never asked for. Kept visible.
KNOWN_PRE_EMPTED = {("ces_screen_positive", ("my leg feels numb", "not sure"))}
FIRES_MARKED = [
    pytest.param(rule, case, marks=pytest.mark.xfail(strict=True, reason="known classifier over-triage"))
    if (rule, tuple(case) if isinstance(case, list) else case) in KNOWN_PRE_EMPTED
    else (rule, case)
    for rule, case in FIRES
]
# Quiet cases the learned net still raises (a relative's cancer read as the runner's): kept visible.
KNOWN_OVER = {
    ("cancer_history_with_pain", "my mum had breast cancer, I'm 30 and my back aches after runs"),
    ("bladder_change", "I need to pee a lot before races"),
    ("bowel_change", "I had to stop for an emergency poo on my long run, stomach bug from gels"),
}
QUIET = [
    pytest.param(rule, case, marks=pytest.mark.xfail(strict=True, reason="known classifier over-triage"))
    if (rule, case) in KNOWN_OVER
    else (rule, case)
    for rule, c in CASES.items()
    for case in c["quiet"]
]


@pytest.mark.parametrize(("rule", "case"), FIRES_MARKED, ids=[f"{r}:{c}"[:80] for r, c in FIRES])
def test_rule_fires_on_lay_wording(triage: TriageEngine, rule: str, case: Case) -> None:
    talk = _run(triage, case)
    assert rule in talk.fired, f"{rule} did not fire; got {sorted(talk.fired)} at {talk.level}"
    level = triage.book.flag_level(rule)
    assert level is not None
    assert talk.last.level.label == level or talk.last.level >= talk.last.level.parse(level)


@pytest.mark.parametrize(
    ("rule", "case"), QUIET, ids=[f"{r}:{c}"[:80] for r, c in (getattr(q, "values", q) for q in QUIET)]
)
def test_rule_stays_quiet_when_denied_or_harmless(triage: TriageEngine, rule: str, case: Case) -> None:
    talk = _run(triage, case)
    assert rule not in talk.fired, f"{rule} fired on {case!r}: {talk.last.flags}"
