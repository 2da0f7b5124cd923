"""The terminal report: figures with their gates, failing cases, and baseline deltas."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from evals.baseline import Comparison
from evals.gates import GateResult
from evals.suite import EvalResult


def fmt(value: float | None) -> str:
    if value is None:
        return "-"
    if float(value).is_integer():
        return f"{value:.0f}"
    return f"{value:.3f}" if abs(value) < 10 else f"{value:.1f}"


def print_summary(
    result: EvalResult, gates: Sequence[GateResult], console: Console, *, max_failures: int = 25
) -> None:
    by_metric = {g.gate.metric: g for g in gates}
    table = Table(title="RUNsource evaluation", title_justify="left")
    table.add_column("figure")
    table.add_column("value", justify="right")
    table.add_column("gate", justify="right")
    table.add_column("")
    for name, value in result.figures.items():
        gate = by_metric.get(name)
        status = "" if gate is None else ("[green]pass[/]" if gate.passed else "[bold red]FAIL[/]")
        table.add_row(name, fmt(value), gate.gate.rule if gate else "", status)
    for gate in gates:
        if gate.gate.metric not in result.figures:
            status = "[green]pass[/]" if gate.passed else "[bold red]FAIL[/]"
            table.add_row(gate.gate.metric, "-", gate.gate.rule, status)
    console.print(table)
    for note in result.notes:
        console.print(note, style="dim", markup=False)

    failing = result.failing
    if failing:
        cases = Table(title=f"{len(failing)} failing case(s)", title_justify="left", show_lines=False)
        cases.add_column("case")
        cases.add_column("category")
        cases.add_column("why")
        for verdict in failing[:max_failures]:
            shown = [f if len(f) <= 160 else f[:157] + "..." for f in verdict.failures[:3]]
            if len(verdict.failures) > 3:
                shown.append(f"... {len(verdict.failures) - 3} more")
            why = "\n".join(shown)
            cases.add_row(escape(verdict.id), escape(verdict.run.case.category), escape(why))
        console.print(cases)
        if len(failing) > max_failures:
            console.print(f"... and {len(failing) - max_failures} more (see the HTML or JSON report)")
    failed = [g for g in gates if not g.passed]
    passed_cases = len(result.verdicts) - len(failing)
    if failed:
        names = ", ".join(f"{g.gate.metric} {g.detail}" for g in failed)
        console.print(f"[bold red]{len(failed)} gate(s) failed:[/] {escape(names)}")
    else:
        console.print(f"[bold green]all {len(gates)} gates pass[/]")
    console.print(f"{passed_cases}/{len(result.verdicts)} cases pass")


def print_comparison(comparison: Comparison, console: Console, *, max_cases: int = 40) -> None:
    table = Table(title="Against the baseline", title_justify="left")
    table.add_column("figure")
    table.add_column("before", justify="right")
    table.add_column("after", justify="right")
    table.add_column("delta", justify="right")
    table.add_column("")
    colours = {"better": "green", "worse": "red", "same": "dim", "new": "cyan", "gone": "yellow"}
    changed = [m for m in comparison.metrics if m.verdict != "same"]
    for m in changed:
        delta = "" if m.delta is None else f"{m.delta:+.3f}"
        verdict = m.verdict
        table.add_row(m.metric, fmt(m.before), fmt(m.after), delta, f"[{colours[verdict]}]{verdict}[/]")
    if changed:
        console.print(table)
    console.print(f"{len(comparison.metrics) - len(changed)} figure(s) unchanged against the baseline.")
    if comparison.cases:
        cases = Table(title="Cases that changed", title_justify="left")
        cases.add_column("case")
        cases.add_column("change")
        cases.add_column("detail")
        for c in comparison.cases[:max_cases]:
            colour = {"now failing": "red", "now passing": "green"}.get(c.change, "yellow")
            cases.add_row(escape(c.id), f"[{colour}]{c.change}[/]", escape(c.detail))
        console.print(cases)
        if len(comparison.cases) > max_cases:
            console.print(f"... and {len(comparison.cases) - max_cases} more")
    else:
        console.print("No case changed against the baseline.")
