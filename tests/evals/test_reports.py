"""Report writers: JSON, self-contained HTML (failing cases first) and JUnit XML."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

import pytest

from assistant.types import Reply
from evals.gates import Gate, check_gates
from evals.metrics import ConceptCoverage, RoutingAccuracy, TriageAccuracy
from evals.reports import render_html, render_junit, report_dict
from evals.runner import run_cases
from evals.suite import EvalResult, evaluate
from tests.evals.conftest import ScriptedTarget, make_case, make_reply


@pytest.fixture
def result() -> EvalResult:
    cases = [
        make_case(id="passes-first-in-file", category="scope", turns=["what's the weather?"]),
        make_case(id="wrong-intent", category="scope", turns=["hello"], intent="greeting"),
        make_case(
            id="missed-emergency",
            category="triage",
            turns=["tell me about cadence", "and I can't feel the toilet paper <b>now</b>"],
            triage_min="emergency",
            triage_max="emergency",
        ),
    ]

    def answer(n: int, message: str) -> Reply:
        flags = ["saddle"] if "toilet" in message else []
        return make_reply(
            f"Reply to <{message}> & more",
            "none",
            flags=flags,
            retrieved_ids=["edu-cadence"],
            citations=["edu-cadence"],
        )

    runs = run_cases(cases, ScriptedTarget(answer), progress=False)
    return evaluate(runs, [TriageAccuracy(), ConceptCoverage(), RoutingAccuracy()])


GATES = [
    Gate("triage.recall.emergency", "min", 1.0, "No missed emergency."),
    Gate("triage.accuracy", "min", 0.1),
]


def test_html_is_self_contained_escaped_and_lists_failing_cases_first(result: EvalResult) -> None:
    html = render_html(result, check_gates(GATES, result.figures), {"target": "scripted"})
    assert html.startswith("<!doctype html>")
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html.split("<h2>Cases")[0])
    assert "<link" not in html and "<script src" not in html
    # failing first, and a missed red flag before a lesser failure that comes earlier in the file
    assert html.index("missed-emergency") < html.index("wrong-intent") < html.index("passes-first-in-file")
    assert "&lt;b&gt;now&lt;/b&gt;" in html and "<b>now</b>" not in html
    assert "under-triage: expected emergency, got none" in html
    assert "1 gate(s) failed" in html
    # the drill-down shows both turns, the flags, retrieved ids and citations
    assert "turn 1" in html and "turn 2" in html
    assert "saddle" in html and "retrieved ids</b> edu-cadence" in html


def test_junit_parses_and_counts_gates_and_cases(result: EvalResult) -> None:
    root = ET.fromstring(render_junit(result, check_gates(GATES, result.figures)))
    assert root.tag == "testsuites"
    assert root.get("tests") == "5" and root.get("failures") == "3"
    suites = {s.get("name"): s for s in root.iter("testsuite")}
    assert set(suites) == {"eval.gates", "eval.cases.scope", "eval.cases.triage"}
    [failure] = suites["eval.cases.triage"].iter("failure")
    assert "under-triage" in (failure.get("message") or "")
    gate_failures = [c.get("name") for c in suites["eval.gates"] if c.find("failure") is not None]
    assert gate_failures == ["triage.recall.emergency"]


def test_json_report_round_trips_every_turn(result: EvalResult) -> None:
    data = json.loads(json.dumps(report_dict(result, check_gates(GATES, result.figures), {"target": "x"})))
    assert data["passed"] is False
    case = next(c for c in data["cases"] if c["id"] == "missed-emergency")
    assert [t["n"] for t in case["turns"]] == [1, 2]
    assert case["turns"][1]["reply"]["triage"]["flags"][0]["id"] == "saddle"
    assert case["checks"][0]["expect"]["triage_min"] == "emergency"
    assert data["figures"]["triage.recall.emergency"] == 0.0
