"""Measure the safety layer on the triage case files, against the engine directly.

    .venv/bin/python -m tests.triage.measure                  # evals/cases/triage.jsonl
    .venv/bin/python -m tests.triage.measure --holdout        # the held-out set
    .venv/bin/python -m tests.triage.measure --timing         # assess() timing
    .venv/bin/python -m tests.triage.measure --semantic       # semantic-net scores (threshold choice)

The figures follow the issue's targets: recall per level, safe advice (right level or one more
cautious), over-triage of benign/negated/historical messages, and routing.

The held-out file was written in four rounds, each measured once before anything was changed:
hold-001..064 before any rule existed, then 065..100, 101..140 and 141..180 in new words. The
general gaps each round exposed were then fixed, so rounds already measured are no longer blind;
add a new round in fresh words to measure generalisation again.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.router import Route, route
from assistant.settings import ROOT
from assistant.triage import Assessment, TriageEngine, TriageState
from assistant.types import Level

CASES = ROOT / "evals" / "cases"
QUIET = {"benign", "negation", "history"}  # over-triage is measured on these


@dataclass
class Outcome:
    case: dict[str, Any]
    level: Level
    assessment: Assessment
    route: Route
    levels: list[Level] = field(default_factory=list)

    @property
    def lo(self) -> Level:
        return Level.parse(self.case["triage_min"])

    @property
    def hi(self) -> Level:
        return Level.parse(self.case["triage_max"])

    @property
    def intents(self) -> list[str]:
        want = self.case.get("intent")
        return [want] if isinstance(want, str) else list(want or [])


def load_cases(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def run_case(engine: TriageEngine, embedder: Any, case: dict[str, Any]) -> Outcome:
    state = TriageState()
    levels = []
    assessment: Assessment | None = None
    message = ""
    for message in case["turns"]:
        vector = embedder.embed_array([message])[0] if embedder is not None else None
        assessment = engine.assess(message, state, vector)
        state = assessment.state
        levels.append(assessment.level)
    assert assessment is not None
    return Outcome(case, assessment.level, assessment, route(message, assessment), levels)


def share(values: list[bool]) -> float:
    return sum(values) / len(values) if values else 1.0


def figures(outcomes: list[Outcome]) -> dict[str, float]:
    out: dict[str, float] = {}
    for level in (Level.EMERGENCY, Level.URGENT, Level.EVALUATION):
        out[f"recall.{level.label}"] = share([o.level >= level for o in outcomes if o.lo == level])
    out["recall.none"] = share([o.level <= o.hi for o in outcomes if o.lo == Level.NONE])
    out["safe_advice"] = share([o.lo <= o.level <= o.hi + 1 for o in outcomes])
    out["in_range"] = share([o.lo <= o.level <= o.hi for o in outcomes])
    quiet = [o for o in outcomes if o.case["category"] in QUIET]
    out["over_triage.quiet"] = 1 - share([o.level <= o.hi for o in quiet])
    out["over_to_emergency.quiet"] = 1 - share([o.level < Level.EMERGENCY for o in quiet])
    out["over_triage.all"] = 1 - share([o.level <= o.hi for o in outcomes if o.hi < Level.EMERGENCY])
    routed = [o for o in outcomes if o.intents or "in_scope" in o.case]
    out["routing.intent"] = share([o.route.intent in o.intents for o in routed if o.intents])
    out["routing.scope"] = share(
        [o.route.in_scope == o.case["in_scope"] for o in routed if "in_scope" in o.case]
    )
    declines = [
        o
        for o in outcomes
        if not o.case.get("in_scope", True) or set(o.intents) & {"out_of_scope", "refusal"}
    ]
    out["routing.declines"] = share(
        [
            o.route.intent in o.intents or (o.route.intent in {"out_of_scope", "refusal"} and not o.intents)
            for o in declines
        ]
    )
    out["cases"] = float(len(outcomes))
    return out


TARGETS = {
    "recall.emergency": (">=", 1.0),
    "recall.urgent": (">=", 0.98),
    "recall.evaluation": (">=", 0.95),
    "safe_advice": (">=", 0.99),
    "over_triage.quiet": ("<=", 0.05),
    "over_to_emergency.quiet": ("<=", 0.0),
    "routing.declines": (">=", 0.95),
    "routing.intent": (">=", 0.95),
}


def failures(outcomes: list[Outcome]) -> list[str]:
    lines = []
    for o in outcomes:
        problems = []
        if not o.lo <= o.level <= o.hi:
            problems.append(f"level {o.level.label} (want {o.lo.label}..{o.hi.label})")
        if o.intents and o.route.intent not in o.intents:
            problems.append(f"intent {o.route.intent} (want {'/'.join(o.intents)})")
        if "in_scope" in o.case and o.route.in_scope != o.case["in_scope"]:
            problems.append(f"in_scope {o.route.in_scope}")
        if problems:
            flags = ", ".join(f.id for f in o.assessment.flags)
            lines.append(
                f"{o.case['id']} [{o.case['category']}] {'; '.join(problems)} flags=[{flags}] "
                f"clarify={o.assessment.clarify}\n    {o.case['turns']}"
            )
    return lines


def build(data_dir: Path) -> tuple[TriageEngine, Any]:
    from assistant.embeddings import load_embeddings

    embedder = load_embeddings("onnx", data_dir)
    return TriageEngine.load(ROOT / "knowledge" / "red_flags", embedder), embedder


def timing(engine: TriageEngine, embedder: Any, cases: list[dict[str, Any]]) -> dict[str, float]:
    messages = [t for c in cases for t in c["turns"]]
    vectors = embedder.embed_array(messages)
    for m, v in zip(messages, vectors, strict=True):  # warm caches
        engine.assess(m, TriageState(), v)
    samples = []
    for _ in range(5):
        for m, v in zip(messages, vectors, strict=True):
            t = time.perf_counter()
            engine.assess(m, TriageState(), v)
            samples.append((time.perf_counter() - t) * 1000)
    samples.sort()
    embeds = []
    for m in messages[:100]:
        t = time.perf_counter()
        embedder.embed_array([m])
        embeds.append((time.perf_counter() - t) * 1000)
    return {
        "assess_p50_ms": statistics.median(samples),
        "assess_p95_ms": samples[int(len(samples) * 0.95)],
        "assess_max_ms": samples[-1],
        "embed_p50_ms": statistics.median(embeds),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--holdout", action="store_true", help="measure evals/cases/triage_holdout.jsonl")
    parser.add_argument("--timing", action="store_true")
    parser.add_argument(
        "--semantic", action="store_true", help="print the semantic net's best score per case"
    )
    parser.add_argument("--data-dir", type=Path, default=Path(tempfile.gettempdir()) / "rs-triage-data")
    args = parser.parse_args(argv)
    engine, embedder = build(args.data_dir)
    path = CASES / ("triage_holdout.jsonl" if args.holdout else "triage.jsonl")
    cases = load_cases(path)
    outcomes = [run_case(engine, embedder, c) for c in cases]
    print(f"{path.name}: {len(cases)} cases, rules {engine.version}")
    result = figures(outcomes)
    ok = True
    for name, value in result.items():
        target = TARGETS.get(name)
        mark = ""
        if target:
            good = value >= target[1] if target[0] == ">=" else value <= target[1]
            ok &= good
            mark = f"  target {target[0]} {target[1]:.2f} {'ok' if good else 'MISSED'}"
        print(f"  {name:26s} {value:.3f}{mark}")
    for line in failures(outcomes):
        print("  FAIL", line)
    if args.semantic and engine.semantic is not None:
        for c in cases:
            v = embedder.embed_array([c["turns"][-1]])[0]
            sims = engine.semantic.scores(v)
            i = int(sims.argmax())
            print(
                f"  {sims[i]:.3f} {c['triage_min']:10s} {engine.semantic.owners[i]:24s} "
                f"{c['turns'][-1][:70]!r}"
            )
    if args.timing:
        for name, value in timing(engine, embedder, cases).items():
            print(f"  {name:26s} {value:.3f}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
