"""`python -m evals` end to end on a scripted target: exit codes, reports, baselines."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from assistant.types import Reply
from evals import cli
from evals.baseline import compare, load_baseline
from tests.evals.conftest import ScriptedTarget, make_reply

CASES = [
    {
        "id": "weather",
        "category": "scope",
        "turns": ["what's the weather tomorrow?"],
        "triage_min": "none",
        "triage_max": "none",
        "in_scope": False,
        "intent": "out_of_scope",
    },
    {
        "id": "numb",
        "category": "triage",
        "turns": ["I can't feel the toilet paper when I wipe"],
        "triage_min": "emergency",
        "triage_max": "emergency",
        "in_scope": True,
        "mentions_any": [["emergency", "911"]],
    },
]


def answers(emergency_level: str) -> Any:
    def answer(n: int, message: str) -> Reply:
        if "toilet" in message:
            return make_reply(
                "Call 911 or go to the emergency department now.", emergency_level, intent="symptom"
            )
        return make_reply(
            "I can only help with low back pain when running.", intent="out_of_scope", in_scope=False
        )

    return answer


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    cases = tmp_path / "cases"
    cases.mkdir()
    (cases / "mine.jsonl").write_text("\n".join(json.dumps(c) for c in CASES) + "\n")
    gates = tmp_path / "gates.yaml"
    gates.write_text(
        "gates:\n  - {metric: triage.recall.emergency, min: 1.0}\n  - {metric: routing.accuracy, min: 1}\n"
    )
    return {"cases": cases, "gates": gates, "out": tmp_path / "out"}


def main(files: dict[str, Path], monkeypatch: pytest.MonkeyPatch, level: str, *extra: str) -> int:
    monkeypatch.setattr(cli, "build_target", lambda args: ScriptedTarget(answers(level)))
    monkeypatch.delenv("RUNSOURCE_LLM", raising=False)
    args = ["--cases", str(files["cases"]), "--gates", str(files["gates"]), "--out", str(files["out"])]
    return cli.main([*args, "--no-progress", *extra])


def test_passing_gates_exit_0_and_write_all_three_reports(
    files: dict[str, Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(files, monkeypatch, "emergency") == 0
    out = capsys.readouterr().out
    assert "all 2 gates pass" in out and "LLM judge skipped: RUNSOURCE_LLM is not set" in out
    report = json.loads((files["out"] / "report.json").read_text())
    assert report["passed"] is True and report["figures"]["triage.recall.emergency"] == 1.0
    assert (files["out"] / "report.html").read_text().startswith("<!doctype html>")
    ET.parse(files["out"] / "junit.xml")


def test_a_failing_gate_exits_1(
    files: dict[str, Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(files, monkeypatch, "urgent") == 1
    out = capsys.readouterr().out
    assert "1 gate(s) failed" in out and "triage.recall.emergency 0" in out
    assert main(files, monkeypatch, "urgent", "--no-gates") == 0


def test_a_bad_case_line_exits_2_naming_file_and_line(
    files: dict[str, Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = files["cases"] / "bad.jsonl"
    bad.write_text(
        json.dumps(CASES[0] | {"id": "other"}) + "\n" + json.dumps(CASES[0] | {"id": "x", "triage_min": "hi"})
    )
    assert main(files, monkeypatch, "emergency") == 2
    err = capsys.readouterr().err
    assert f"{bad}:2: case 'x': field 'triage_min'" in err.replace("\n", "")


def test_check_validates_without_running(files: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    def no_target(args: Any) -> Any:
        raise AssertionError("--check must not build a target")

    monkeypatch.setattr(cli, "build_target", no_target)
    assert cli.main(["--cases", str(files["cases"]), "--gates", str(files["gates"]), "--check"]) == 0


def test_baseline_deltas_per_metric_and_per_case(
    files: dict[str, Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    baseline = files["out"] / "baseline.json"
    assert main(files, monkeypatch, "emergency", "--save-baseline", str(baseline)) == 0
    saved = load_baseline(baseline)
    assert saved["cases"]["numb"] == {
        "passed": True,
        "level": "emergency",
        "intent": "symptom",
        "failures": [],
        "scores": saved["cases"]["numb"]["scores"],
    }
    capsys.readouterr()
    assert main(files, monkeypatch, "urgent", "--baseline", str(baseline)) == 1
    out = capsys.readouterr().out
    assert "Against the baseline" in out
    assert "triage.recall.emergency" in out and "worse" in out
    assert "numb" in out and "now failing" in out and "emergency -> urgent" in out


def test_compare_directions(files: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    baseline = files["out"] / "b.json"
    main(files, monkeypatch, "emergency", "--save-baseline", str(baseline))
    data = load_baseline(baseline)
    data["figures"]["latency.p50_ms"] = 1e9  # the new run is far faster
    data["figures"]["gone.metric"] = 1.0
    from evals.metrics import ConceptCoverage, Latency, TriageAccuracy
    from evals.runner import run_cases
    from evals.suite import evaluate
    from tests.evals.conftest import make_case

    cases = [make_case(id="numb", turns=["toilet"], triage_min="emergency", triage_max="emergency")]
    result = evaluate(
        run_cases(cases, ScriptedTarget(answers("emergency")), progress=False),
        [TriageAccuracy(), ConceptCoverage(), Latency()],
    )
    deltas = {m.metric: m for m in compare(data, result).metrics}
    assert deltas["latency.p50_ms"].verdict == "better"
    assert deltas["gone.metric"].verdict == "gone"
    assert deltas["triage.recall.emergency"].verdict == "same"
    changes = {(c.id, c.change) for c in compare(data, result).cases}
    assert ("weather", "gone") in changes


def test_a_baseline_that_is_not_one_is_a_clear_error(
    files: dict[str, Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    wrong = files["out"].parent / "wrong.json"
    wrong.write_text('{"hello": 1}')
    assert main(files, monkeypatch, "emergency", "--baseline", str(wrong)) == 2
    assert "not a baseline of version 1; write one with --save-baseline" in capsys.readouterr().err
