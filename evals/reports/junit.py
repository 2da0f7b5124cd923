"""JUnit XML for CI systems: one test per gate, and one per case grouped by category."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from itertools import groupby

from evals.gates import GateResult
from evals.suite import EvalResult


def _suite(parent: ET.Element, name: str, tests: int, failures: int, seconds: float) -> ET.Element:
    return ET.SubElement(
        parent,
        "testsuite",
        name=name,
        tests=str(tests),
        failures=str(failures),
        errors="0",
        skipped="0",
        time=f"{seconds:.3f}",
    )


def render_junit(result: EvalResult, gates: Sequence[GateResult]) -> str:
    root = ET.Element("testsuites", name="runsource-eval")
    gate_suite = _suite(root, "eval.gates", len(gates), sum(not g.passed for g in gates), 0.0)
    for gate in gates:
        case = ET.SubElement(gate_suite, "testcase", classname="eval.gates", name=gate.gate.metric, time="0")
        if not gate.passed:
            failure = ET.SubElement(case, "failure", message=f"{gate.gate.metric}: {gate.detail}")
            failure.text = gate.gate.why
    by_category = sorted(result.verdicts, key=lambda v: v.run.case.category)
    total_tests, total_failures = len(gates), sum(not g.passed for g in gates)
    for category, group in groupby(by_category, key=lambda v: v.run.case.category):
        verdicts = list(group)
        seconds = sum(t.latency_ms for v in verdicts for t in v.run.turns) / 1000.0
        failures = sum(not v.passed for v in verdicts)
        suite = _suite(root, f"eval.cases.{category}", len(verdicts), failures, seconds)
        total_tests += len(verdicts)
        total_failures += failures
        for verdict in verdicts:
            ms = sum(t.latency_ms for t in verdict.run.turns)
            case = ET.SubElement(
                suite,
                "testcase",
                classname=f"eval.cases.{category}",
                name=verdict.id,
                time=f"{ms / 1000:.3f}",
            )
            if not verdict.passed:
                failure = ET.SubElement(case, "failure", message=verdict.failures[0][:500])
                failure.text = "\n".join(verdict.failures)
    root.set("tests", str(total_tests))
    root.set("failures", str(total_failures))
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
