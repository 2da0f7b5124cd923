"""Metrics as small classes, one per module, each with `score(checkpoint)` and `aggregate(...)`."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from evals.metrics.base import Figures, Metric, MetricResult, Scored
from evals.metrics.citations import CitationValidity
from evals.metrics.coverage import ConceptCoverage
from evals.metrics.duplicates import DuplicateReplies
from evals.metrics.escalation import EscalationDiscipline
from evals.metrics.forbidden import ForbiddenContent
from evals.metrics.groundedness import Groundedness
from evals.metrics.latency import Latency
from evals.metrics.length import ReplyLength
from evals.metrics.paraphrase import ParaphraseConsistency
from evals.metrics.readability import Readability
from evals.metrics.refusals import WrongRefusals
from evals.metrics.retrieval_hit import HitAtK
from evals.metrics.retrieval_mrr import ReciprocalRank
from evals.metrics.retrieval_ndcg import NDCGAtK
from evals.metrics.routing import RoutingAccuracy
from evals.metrics.section_hit import SectionHitAt1
from evals.metrics.triage import TriageAccuracy
from evals.targets import Embedder

__all__ = [
    "CitationValidity",
    "ConceptCoverage",
    "DuplicateReplies",
    "EscalationDiscipline",
    "Figures",
    "ForbiddenContent",
    "Groundedness",
    "HitAtK",
    "Latency",
    "Metric",
    "MetricResult",
    "NDCGAtK",
    "ParaphraseConsistency",
    "Readability",
    "ReciprocalRank",
    "ReplyLength",
    "RoutingAccuracy",
    "Scored",
    "SectionHitAt1",
    "TriageAccuracy",
    "WrongRefusals",
    "default_metrics",
]


def default_metrics(
    knowledge: Callable[[Sequence[str]], dict[str, str]],
    embedder: Callable[[], Embedder],
) -> list[Metric]:
    """Every offline metric, in report order; the judge is added separately when configured."""
    return [
        TriageAccuracy(),
        EscalationDiscipline(),
        RoutingAccuracy(),
        HitAtK(3),
        ReciprocalRank(),
        NDCGAtK(5),
        ConceptCoverage(),
        SectionHitAt1(),
        WrongRefusals(),
        DuplicateReplies(),
        ForbiddenContent(),
        CitationValidity(knowledge),
        Groundedness(embedder, knowledge),
        Readability(),
        ReplyLength(),
        Latency(),
        ParaphraseConsistency(embedder),
    ]
