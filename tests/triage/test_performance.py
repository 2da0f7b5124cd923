"""assess() stays well inside the per-turn budget (the embedding is the caller's, computed once)."""

from __future__ import annotations

import statistics
import time

from assistant.triage import TriageEngine, TriageState
from tests.triage.helpers import embedder
from tests.triage.measure import CASES, load_cases


def test_assess_p50_is_under_two_milliseconds(triage: TriageEngine) -> None:
    messages = [t for c in load_cases(CASES / "triage.jsonl") for t in c["turns"]][:150]
    vectors = embedder().embed_array(messages)
    for m, v in zip(messages, vectors, strict=True):
        triage.assess(m, TriageState(), v)
    samples = []
    for m, v in zip(messages, vectors, strict=True):
        start = time.perf_counter()
        triage.assess(m, TriageState(), v)
        samples.append((time.perf_counter() - start) * 1000)
    assert statistics.median(samples) < 2.0, f"p50 {statistics.median(samples):.2f} ms"
