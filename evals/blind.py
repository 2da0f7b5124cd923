"""Turn a blind writer's round into eval cases: `python -m evals.blind ROUND.jsonl ROUND_ID OUT.jsonl`.

Blind writers (who never saw the rules, the corpus, the knowledge or the tests) write one JSON
object a line: `{"turns": [...], "level": "none|evaluation|urgent|emergency", "about": "self|other|none",
"register": "...", "why": "..."}`. Each becomes a triage case expecting exactly that level, in the
case format of evals/README.md, so the harness scores it with the same metrics as every other case.
Score a new round before changing anything in response to it, and record its first-run figures in
evals/blind_rounds.md.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from assistant.types import Level


def convert(source: Path, round_id: str) -> list[dict[str, object]]:
    cases: list[dict[str, object]] = []
    for n, line in enumerate(source.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        row = json.loads(line)
        level = Level.parse(row["level"]).label
        cases.append(
            {
                "id": f"{round_id}-{n:03d}",
                "category": "triage-blind",
                "turns": list(row["turns"]),
                "triage_min": level,
                "triage_max": level,
                "in_scope": None,
                "notes": f"blind round {round_id} ({row.get('register', '')}, about {row.get('about', '')}):"
                f" {row.get('why', '')}",
            }
        )
    return cases


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 3:
        print(__doc__.split("\n")[0], file=sys.stderr)
        return 2
    cases = convert(Path(args[0]), args[1])
    Path(args[2]).write_text(
        "".join(json.dumps(c, ensure_ascii=False) + "\n" for c in cases), encoding="utf-8"
    )
    print(f"{len(cases)} cases -> {args[2]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
