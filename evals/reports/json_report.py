"""The whole run as one JSON document: meta, figures, gates and every case with its turns."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from evals.cases import Expectation
from evals.gates import GateResult
from evals.suite import CaseVerdict, EvalResult


def expectation_dict(exp: Expectation) -> dict[str, Any]:
    return {
        "turn": exp.turn,
        "triage_min": exp.triage_min.label if exp.triage_min is not None else None,
        "triage_max": exp.triage_max.label if exp.triage_max is not None else None,
        "in_scope": exp.in_scope,
        "intent": list(exp.intent) if exp.intent else None,
        "expected_ids": list(exp.expected_ids),
        "mentions_any": [list(g) for g in exp.mentions_any],
        "must_not_match": list(exp.must_not_match),
    }


def case_dict(verdict: CaseVerdict) -> dict[str, Any]:
    case = verdict.run.case
    return {
        "id": case.id,
        "category": case.category,
        "passed": verdict.passed,
        "failures": verdict.failures,
        "paraphrase_of": case.paraphrase_of,
        "notes": case.notes,
        "turns": [
            {
                "n": n,
                "message": t.message,
                "latency_ms": round(t.latency_ms, 2),
                "error": t.error,
                "reply": t.reply.model_dump(mode="json") if t.reply else None,
            }
            for n, t in enumerate(verdict.run.turns, start=1)
        ],
        "checks": [
            {
                "expect": expectation_dict(c.check.expect),
                "results": [
                    {"metric": r.metric, "value": r.value, "passed": r.passed, "detail": r.detail}
                    for r in c.results
                ],
            }
            for c in verdict.checks
        ],
    }


def gate_dict(result: GateResult) -> dict[str, Any]:
    return {
        "metric": result.gate.metric,
        "rule": result.gate.rule,
        "value": result.value,
        "passed": result.passed,
        "why": result.gate.why,
    }


def report_dict(result: EvalResult, gates: Sequence[GateResult], meta: dict[str, Any]) -> dict[str, Any]:
    return {
        "meta": meta,
        "passed": all(g.passed for g in gates),
        "figures": result.figures,
        "gates": [gate_dict(g) for g in gates],
        "notes": result.notes,
        "cases": [case_dict(v) for v in result.verdicts],
    }
