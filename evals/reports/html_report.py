"""One self-contained HTML file: gates and figures, then every case (failing first) with a
drill-down of each turn's message, reply, triage, retrieved ids, citations and checks.

No external assets: the styles and the small filter script are inline, and every text from a
case or a reply is escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from pathlib import Path
from typing import Any

from assistant.types import Reply
from evals.baseline import Comparison
from evals.gates import GateResult
from evals.reports.terminal import fmt
from evals.runner import TurnRun
from evals.suite import CaseVerdict, CheckResult, EvalResult

_CSS = Path(__file__).with_name("report.css").read_text(encoding="utf-8")

_JS = """
document.getElementById('filter').addEventListener('input',function(e){
  var q=e.target.value.toLowerCase();
  document.querySelectorAll('details.case').forEach(function(d){
    d.style.display=d.getAttribute('data-key').indexOf(q)>=0?'':'none';});
});
"""


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def _level(level: str) -> str:
    return f'<span class="badge lv-{_e(level)}">{_e(level)}</span>'


def _gates(gates: Sequence[GateResult]) -> str:
    rows = "".join(
        f"<tr><td>{_e(g.gate.metric)}</td><td class=num>{_e(fmt(g.value))}</td><td>{_e(g.gate.rule)}</td>"
        f'<td class="{"pass" if g.passed else "fail"}">{"pass" if g.passed else "FAIL"}</td>'
        f"<td>{_e(g.gate.why)}</td></tr>"
        for g in sorted(gates, key=lambda g: g.passed)
    )
    return f"<table><tr><th>gate</th><th>value</th><th>rule</th><th></th><th>why</th></tr>{rows}</table>"


def _figures(result: EvalResult) -> str:
    rows = "".join(
        f"<tr><td>{_e(name)}</td><td class=num>{_e(fmt(value))}</td></tr>"
        for name, value in result.figures.items()
    )
    return f"<table><tr><th>figure</th><th>value</th></tr>{rows}</table>"


def _comparison(comparison: Comparison) -> str:
    rows = "".join(
        f"<tr><td>{_e(m.metric)}</td><td class=num>{_e(fmt(m.before))}</td>"
        f"<td class=num>{_e(fmt(m.after))}</td>"
        f"<td class=num>{'' if m.delta is None else f'{m.delta:+.3f}'}</td>"
        f'<td class="{"fail" if m.verdict == "worse" else "pass" if m.verdict == "better" else ""}">'
        f"{_e(m.verdict)}</td></tr>"
        for m in comparison.metrics
        if m.verdict != "same"
    )
    cases = "".join(
        f"<tr><td>{_e(c.id)}</td><td>{_e(c.change)}</td><td>{_e(c.detail)}</td></tr>"
        for c in comparison.cases
    )
    return (
        "<h2>Against the baseline</h2>"
        f"<table><tr><th>figure</th><th>before</th><th>after</th><th>delta</th><th></th></tr>{rows}</table>"
        f"<table><tr><th>case</th><th>change</th><th>detail</th></tr>{cases}</table>"
    )


def _list(items: Sequence[str]) -> str:
    return "<ul>" + "".join(f"<li>{i}</li>" for i in items) + "</ul>" if items else " none"


def _reply(reply: Reply) -> str:
    flags = [
        f"{_e(f.id)} ({_e(f.level)}): {_e(f.label)} <i>“{_e(f.evidence)}”</i>" for f in reply.triage.flags
    ]
    citations = [f"{_e(c.id)}: {_e(c.title)} <small>{_e(c.url)}</small>" for c in reply.citations]
    exercises = [f"{_e(x.id)}: {_e(x.name)}, {_e(x.dose)}" for x in reply.exercises]
    return (
        f'<div class="reply">{_e(reply.reply)}</div>'
        f'<div class="kv"><b>triage</b> {_level(reply.triage.level)} <b>intent</b> {_e(reply.intent)} '
        f"<b>in scope</b> {_e(reply.in_scope)} <b>mode</b> {_e(reply.mode)}</div>"
        f'<div class="kv"><b>flags</b>{_list(flags)}</div>'
        f'<div class="kv"><b>retrieved ids</b> {_e(", ".join(reply.retrieved_ids) or "none")}</div>'
        f'<div class="kv"><b>citations</b>{_list(citations)}</div>'
        f'<div class="kv"><b>exercises</b>{_list(exercises)}</div>'
    )


def _checks(check: CheckResult) -> str:
    rows = "".join(
        f"<tr><td>{_e(r.metric)}</td><td class=num>{_e(fmt(r.value))}</td>"
        f'<td class="{"fail" if r.passed is False else "pass" if r.passed else ""}">'
        f"{'FAIL' if r.passed is False else 'pass' if r.passed else ''}</td><td>{_e(r.detail)}</td></tr>"
        for r in check.results
    )
    exp = check.check.expect
    want = []
    if exp.triage_min is not None and exp.triage_max is not None:
        want.append(f"triage {exp.triage_min.label}..{exp.triage_max.label}")
    if exp.intent:
        want.append(f"intent {' or '.join(exp.intent)}")
    if exp.in_scope is not None:
        want.append(f"in_scope {exp.in_scope}")
    if exp.expected_ids:
        want.append(f"ids {', '.join(exp.expected_ids)}")
    if exp.mentions_any:
        want.append("mentions " + "; ".join("/".join(g) for g in exp.mentions_any))
    if exp.must_not_match:
        want.append("must not match " + " | ".join(exp.must_not_match))
    return (
        f'<div class="kv"><b>expected</b> {_e(" · ".join(want) or "nothing")}</div>'
        f"<table><tr><th>check</th><th>value</th><th></th><th>detail</th></tr>{rows}</table>"
    )


def _turn(n: int, turn: TurnRun, checks: dict[int, CheckResult]) -> str:
    body = f'<div class="turn"><div class="kv"><b>turn {n}</b> · {turn.latency_ms:.0f} ms</div>'
    body += f'<div class="msg">{_e(turn.message)}</div>'
    if turn.error:
        body += f'<div class="fail">error: {_e(turn.error)}</div>'
    if turn.reply:
        body += _reply(turn.reply)
    if n in checks:
        body += _checks(checks[n])
    return body + "</div>"


def _case(verdict: CaseVerdict) -> str:
    case = verdict.run.case
    status = "passing" if verdict.passed else "failing"
    badge = (
        '<span class="badge b-pass">pass</span>'
        if verdict.passed
        else '<span class="badge b-fail">FAIL</span>'
    )
    last = verdict.run.turns[-1].reply if verdict.run.turns else None
    level = _level(last.triage.level) if last else ""
    why = "".join(f'<span class="why">{_e(f)}</span>' for f in verdict.failures)
    checks = {c.check.turn: c for c in verdict.checks}
    turns = "".join(_turn(n, t, checks) for n, t in enumerate(verdict.run.turns, start=1))
    notes = f'<div class="kv"><b>notes</b> {_e(case.notes)}</div>' if case.notes else ""
    key = _e(f"{case.id} {case.category} {status}".lower())
    return (
        f'<details class="case {status}" data-key="{key}"{" open" if not verdict.passed else ""}>'
        f"<summary>{badge} <b>{_e(case.id)}</b> · {_e(case.category)} {level}{why}</summary>"
        f"{notes}{turns}</details>"
    )


def render_html(
    result: EvalResult,
    gates: Sequence[GateResult],
    meta: dict[str, Any],
    comparison: Comparison | None = None,
) -> str:
    failed_gates = [g for g in gates if not g.passed]
    verdicts = result.failing + [v for v in result.verdicts if v.passed]
    passed = len(result.verdicts) - len(result.failing)
    headline = (
        f'<span class="fail">{len(failed_gates)} gate(s) failed</span>'
        if failed_gates
        else f'<span class="pass">all {len(gates)} gates pass</span>'
    )
    meta_line = " · ".join(f"{_e(k)}: {_e(v)}" for k, v in meta.items())
    notes = "".join(f"<p class=kv>{_e(n)}</p>" for n in result.notes)
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>RUNsource evaluation</title><style>{_CSS}</style></head><body><main>"
        f"<h1>RUNsource evaluation</h1><div class=meta>{meta_line}</div>"
        f"<p>{headline} · {passed}/{len(result.verdicts)} cases pass</p>{notes}"
        f"<h2>Gates</h2>{_gates(gates)}"
        f"{_comparison(comparison) if comparison else ''}"
        f"<h2>Cases ({len(verdicts) - passed} failing first, most serious first)</h2>"
        '<input id="filter" placeholder="filter by id, category, failing or passing">'
        + "".join(_case(v) for v in verdicts)
        + f"<h2>All figures</h2>{_figures(result)}"
        f"<script>{_JS}</script></main></body></html>\n"
    )
