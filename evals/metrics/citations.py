"""Citation validity: every cited source was retrieved and exists; every [n] marker has a source."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from evals.metrics.base import Metric, MetricResult
from evals.runner import Checkpoint

_MARKER = re.compile(r"\[(\d+)\](?!\()")


class CitationValidity(Metric):
    """Share of a reply's citations that are valid; a dangling [n] marker fails the reply."""

    name = "citations.validity"

    def __init__(self, knowledge: Callable[[Sequence[str]], dict[str, str]]) -> None:
        self.knowledge = knowledge

    def score(self, check: Checkpoint) -> MetricResult | None:
        reply = check.reply
        if reply is None:
            return None
        markers = {int(m) for m in _MARKER.findall(reply.reply)}
        if not reply.citations and not markers:
            return None
        known = self.knowledge([c.id for c in reply.citations])
        problems = []
        valid = 0
        for citation in reply.citations:
            if citation.id not in known:
                problems.append(f"{citation.id} does not exist in the knowledge")
            elif citation.id not in reply.retrieved_ids:
                problems.append(f"{citation.id} was cited but not retrieved")
            elif not citation.url:
                problems.append(f"{citation.id} has no url")
            else:
                valid += 1
        dangling = sorted(n for n in markers if not 1 <= n <= len(reply.citations))
        if dangling:
            problems.append(f"marker(s) {dangling} point at no citation")
        value = valid / len(reply.citations) if reply.citations else 0.0
        return self.result(value, not problems, "; ".join(problems))
