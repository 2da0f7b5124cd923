"""Forbidden content: no `must_not_match` regex (and no always-forbidden pattern) in the reply."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import yaml

from assistant.errors import ConfigError
from evals.metrics.base import Figures, Metric, MetricResult, Scored, share
from evals.runner import Checkpoint

ALWAYS_FILE = Path(__file__).resolve().parent.parent / "forbidden.yaml"


def load_always(path: Path = ALWAYS_FILE) -> list[tuple[str, re.Pattern[str]]]:
    """The patterns no reply may ever match, as (why, regex), from `evals/forbidden.yaml`."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot be read: {exc}") from None
    out = []
    for n, item in enumerate(data.get("patterns", []), start=1):
        if not isinstance(item, dict) or "regex" not in item or "why" not in item:
            raise ConfigError(f"{path}: pattern {n} needs 'regex' and 'why'")
        try:
            out.append((str(item["why"]), re.compile(str(item["regex"]), re.I)))
        except re.error as exc:
            raise ConfigError(
                f"{path}: pattern {n} ({item['regex']!r}) is not a valid regex: {exc}"
            ) from None
    return out


class ForbiddenContent(Metric):
    """1.0 when nothing forbidden matched; the detail quotes what did."""

    name = "forbidden"
    lower_is_better = frozenset({"forbidden.violation_rate"})

    def __init__(self, always: Sequence[tuple[str, re.Pattern[str]]] | None = None) -> None:
        self.always = list(always) if always is not None else load_always()

    def score(self, check: Checkpoint) -> MetricResult | None:
        if check.reply is None:
            return None
        text = check.reply.reply
        hits = []
        for pattern in check.expect.must_not_match:
            found = re.search(pattern, text, re.I)
            if found:
                hits.append(f"/{pattern}/ matched {found.group(0)!r}")
        for why, regex in self.always:
            found = regex.search(text)
            if found:
                hits.append(f"{why}: {found.group(0)!r}")
        if hits:
            return self.result(0.0, False, "; ".join(hits))
        return self.result(1.0, True)

    def aggregate(self, scored: Sequence[Scored]) -> Figures:
        return {"forbidden.violation_rate": share([r.passed is False for _, r in scored])}
