"""Running cases turn by turn, and scoring them into case verdicts."""

from __future__ import annotations

from typing import Any

from assistant.errors import BackendUnavailable
from assistant.types import Reply
from evals.metrics import ConceptCoverage, TriageAccuracy
from evals.runner import run_cases
from evals.suite import evaluate
from tests.evals.conftest import ScriptedTarget, make_case, make_reply


def test_turns_share_one_session_per_case_and_cases_do_not() -> None:
    seen: list[tuple[int, str]] = []

    def answer(n: int, message: str) -> Reply:
        seen.append((n, message))
        return make_reply(f"turn {n}")

    target = ScriptedTarget(answer)
    runs = run_cases(
        [make_case(id="a", turns=["one", "two", "three"]), make_case(id="b", turns=["again"])],
        target,
        progress=False,
    )
    assert seen == [(1, "one"), (2, "two"), (3, "three"), (1, "again")]
    assert [t.reply.reply for t in runs[0].turns if t.reply] == ["turn 1", "turn 2", "turn 3"]
    assert all(t.latency_ms >= 0 for t in runs[0].turns)


def test_a_failing_turn_ends_its_case_and_fails_it_but_not_the_run() -> None:
    def answer(n: int, message: str) -> Reply:
        if message == "break":
            raise BackendUnavailable("the vector store is down")
        return make_reply()

    runs = run_cases(
        [make_case(id="a", turns=["break", "never sent"]), make_case(id="b")],
        ScriptedTarget(answer),
        progress=False,
    )
    assert len(runs[0].turns) == 1 and runs[0].error == "BackendUnavailable: the vector store is down"
    result = evaluate(runs, [TriageAccuracy()])
    assert [v.passed for v in result.verdicts] == [False, True]
    assert result.verdicts[0].failures == [
        "turn 2: error: never sent: turn 1 failed (BackendUnavailable: the vector store is down)"
    ]
    assert result.figures["cases.errors"] == 1.0
    assert result.figures["cases.pass_rate"] == 0.5


def test_multi_turn_failures_name_the_turn() -> None:
    case = make_case(
        id="m",
        turns=["hi", "numb when I wipe"],
        triage_min="emergency",
        triage_max="emergency",
        turn_expectations=[{"turn": 1, "triage_max": "none", "mentions_any": [["hello"]]}],
    )

    def answer(n: int, message: str) -> Reply:
        return make_reply("Hi!", "none") if n == 1 else make_reply("Try a dead bug.", "none")

    [verdict] = evaluate(
        run_cases([case], ScriptedTarget(answer), progress=False), [TriageAccuracy(), ConceptCoverage()]
    ).verdicts
    assert verdict.failures == [
        "turn 1: coverage: missing a mention of: hello",
        "turn 2: triage: under-triage: expected emergency, got none",
    ]


def test_the_last_checkpoint_exists_even_when_the_case_stopped_early() -> None:
    def answer(n: int, message: str) -> Any:
        raise RuntimeError("crash")

    case = make_case(turns=["a", "b"], turn_expectations=[{"turn": 1, "triage_max": "none"}])
    [run] = run_cases([case], ScriptedTarget(answer), progress=False)
    checks = run.checkpoints()
    assert [c.turn for c in checks] == [1, 2]
    assert checks[0].error == "RuntimeError: crash"
    assert checks[1].reply is None and checks[1].error == "never sent: turn 1 failed (RuntimeError: crash)"
