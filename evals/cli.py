"""`runsource eval` and `python -m evals`: run the golden cases, score them, gate, report.

Exit codes: 0 every gate passes; 1 a gate failed; 2 the evaluation could not run (a bad case
file, a bad gates file, an unreachable server).
"""

from __future__ import annotations

import argparse
import json
import logging
import platform
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from assistant.errors import RunsourceError
from assistant.settings import Settings
from evals.baseline import Comparison, compare, load_baseline, save_baseline
from evals.cases import CASES_DIR, case_files, load_cases, select
from evals.gates import GATES_FILE, GateResult, check_gates, load_gates
from evals.judge import SKIPPED, JudgeMetric, RubricJudge, model_from_settings
from evals.metrics import Metric, default_metrics
from evals.metrics.triage import round_out_figures
from evals.reports import print_comparison, print_summary, render_html, render_junit, report_dict
from evals.runner import run_cases
from evals.suite import EvalResult, evaluate
from evals.targets import HttpTarget, InProcessTarget, Target

OUT_DIR = Path(__file__).resolve().parent.parent / "build" / "eval"


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="runsource eval",
        description="Run the golden cases through the assistant, score them and check the gates.",
    )
    p.add_argument(
        "--url", help="evaluate a running server (e.g. http://127.0.0.1:8000) instead of in-process"
    )
    p.add_argument(
        "--cases", nargs="+", type=Path, metavar="PATH", help=f"case files or folders (default {CASES_DIR})"
    )
    p.add_argument("--holdout", action="store_true", help="also load *holdout*.jsonl files from case folders")
    p.add_argument("--only", nargs="+", default=[], metavar="REGEX", help="only cases whose id matches")
    p.add_argument("--category", nargs="+", default=[], metavar="NAME", help="only cases of these categories")
    p.add_argument("--limit", type=int, help="at most this many cases")
    p.add_argument("--check", action="store_true", help="validate the case and gate files, run nothing")
    p.add_argument("--gates", type=Path, default=GATES_FILE, help="gates file (default evals/gates.yaml)")
    p.add_argument("--no-gates", action="store_true", help="report only; exit 0 whatever the figures")
    p.add_argument("--out", type=Path, default=OUT_DIR, help="folder for report.json, report.html, junit.xml")
    p.add_argument("--json", type=Path, help="JSON report path (default OUT/report.json)")
    p.add_argument("--html", type=Path, help="HTML report path (default OUT/report.html)")
    p.add_argument("--junit", type=Path, help="JUnit XML path (default OUT/junit.xml)")
    p.add_argument("--no-reports", action="store_true", help="write no report files")
    p.add_argument("--baseline", type=Path, help="print per-metric and per-case deltas against this baseline")
    p.add_argument("--save-baseline", type=Path, metavar="FILE", help="write this run as a baseline")
    p.add_argument(
        "--no-judge", action="store_true", help="skip the LLM judge even when RUNSOURCE_LLM is set"
    )
    p.add_argument("--judge-limit", type=int, help="grade at most this many checkpoints with the judge")
    p.add_argument("--timeout", type=float, default=60.0, help="HTTP timeout per turn in seconds (--url)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--failures", type=int, default=25, help="failing cases listed on the terminal")
    p.add_argument("--verbose", action="store_true", help="show the assistant's log on the terminal")
    return p


def build_target(args: argparse.Namespace) -> Target:
    if args.url:
        target = HttpTarget(args.url, timeout=args.timeout)
        target.check()
        return target
    return InProcessTarget.build()


def build_metrics(target: Target, args: argparse.Namespace, notes: list[str]) -> list[Metric]:
    metrics = default_metrics(target.knowledge, target.embedder)
    if args.no_judge:
        notes.append("LLM judge skipped (--no-judge).")
        return metrics
    model = model_from_settings()
    if model is None:
        notes.append(SKIPPED)
        return metrics
    metrics.append(JudgeMetric(RubricJudge(model), target.knowledge, limit=args.judge_limit))
    return metrics


def write_reports(
    args: argparse.Namespace,
    result: EvalResult,
    gates: list[GateResult],
    meta: dict[str, Any],
    comparison: Comparison | None = None,
) -> list[Path]:
    if args.no_reports:
        return []
    paths = {
        "json": args.json or args.out / "report.json",
        "html": args.html or args.out / "report.html",
        "junit": args.junit or args.out / "junit.xml",
    }
    for path in paths.values():
        path.parent.mkdir(parents=True, exist_ok=True)
    paths["json"].write_text(json.dumps(report_dict(result, gates, meta), indent=2) + "\n", encoding="utf-8")
    paths["html"].write_text(render_html(result, gates, meta, comparison), encoding="utf-8")
    paths["junit"].write_text(render_junit(result, gates), encoding="utf-8")
    return list(paths.values())


@contextmanager
def logs_to_file(path: Path | None) -> Iterator[None]:
    """The assistant's log goes to a file next to the reports, not over the progress bar."""
    if path is None:
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path, mode="w", encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    log = logging.getLogger("runsource")
    saved = (log.handlers[:], log.propagate)
    log.handlers[:] = [handler]
    log.propagate = False
    try:
        yield
    finally:
        log.handlers[:], log.propagate = saved
        handler.close()


def main(argv: list[str] | None = None) -> int:
    from rich.console import Console

    args = parser().parse_args(argv)
    console = Console()
    try:
        files = case_files(args.cases, holdout=args.holdout)
        cases = select(load_cases(files), only=args.only, categories=args.category, limit=args.limit)
        gates = [] if args.no_gates else load_gates(args.gates)
        baseline = load_baseline(args.baseline) if args.baseline else None
        if args.check:
            console.print(f"{len(cases)} cases in {len(files)} file(s) and {len(gates)} gates are valid.")
            return 0
        if not cases:
            print("No case matched; check --cases, --only and --category.", file=sys.stderr)
            return 2
        started = time.time()
        with logs_to_file(None if args.verbose else args.out / "assistant.log"):
            target = build_target(args)
            try:
                runs = run_cases(cases, target, progress=not args.no_progress)
                notes: list[str] = []
                metrics = build_metrics(target, args, notes)
                result = evaluate(runs, metrics)
                rules_dir = Settings().knowledge_dir / "red_flags"
                result.figures.update(round_out_figures(rules_dir / "classifier", rules_dir / "corpus"))
                result.notes.extend(notes)
            finally:
                target.close()
    except RunsourceError as exc:
        print(f"eval could not run: {exc.message}", file=sys.stderr)
        return 2

    gate_results = check_gates(gates, result.figures)
    modes = sorted({t.reply.mode for r in runs for t in r.turns if t.reply})
    meta = {
        "target": target.label,
        "mode": ", ".join(modes) or "-",
        "cases": len(cases),
        "files": ", ".join(p.name for p in files),
        "started": datetime.fromtimestamp(started, UTC).isoformat(timespec="seconds"),
        "seconds": round(time.time() - started, 1),
        "python": platform.python_version(),
    }
    comparison = compare(baseline, result) if baseline else None
    print_summary(result, gate_results, console, max_failures=args.failures)
    if comparison:
        print_comparison(comparison, console)
    for path in write_reports(args, result, gate_results, meta, comparison):
        console.print(f"wrote {path}", style="dim", markup=False, highlight=False)
    if args.save_baseline:
        save_baseline(result, args.save_baseline, meta)
        console.print(f"saved the baseline {args.save_baseline}", style="dim", markup=False, highlight=False)
    return 0 if all(g.passed for g in gate_results) else 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
