"""The semantic second net, with the real bundled model: it catches phrasings the patterns
miss, and never fires over a denial, a history, or an everyday look-alike."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.triage import TriageEngine, TriageState
from tests.triage.helpers import RULES_DIR, embedder

KNOWN_OVER = pytest.mark.xfail(
    strict=True, reason="known classifier over-triage, see evals/blind_rounds.md; fix in the corpus"
)


@pytest.fixture(scope="module")
def patterns_only() -> TriageEngine:
    return TriageEngine.load(RULES_DIR, None)


@pytest.mark.parametrize(
    "message",
    ["when I go for a poo I can't feel it", "I can't stand up on my tiptoes on either side"],
)
def test_it_catches_what_the_patterns_miss(
    triage: TriageEngine, patterns_only: TriageEngine, message: str
) -> None:
    assert patterns_only.assess(message, TriageState()).level.label == "none"
    vectors = embedder().embed_array(triage.units(message))
    result = triage.assess(message, TriageState(), vectors)
    assert result.level.label == "emergency"
    assert "semantic match" in result.flags[0].evidence and "close to" in result.flags[0].evidence


@pytest.mark.parametrize(
    "message",
    [
        "sharp pain in my back when I bend over",
        pytest.param(
            "I need to pee a lot on long runs",
            marks=pytest.mark.xfail(
                strict=True,
                reason="known classifier over-triage, see evals/blind_rounds.md; fix in the corpus",
            ),
        ),
        "my legs are heavy after the long run",
        pytest.param("my foot fell asleep while sitting cross legged", marks=KNOWN_OVER),
        pytest.param(
            "my legs are wobbly after leg day",
            marks=pytest.mark.xfail(
                strict=True,
                reason="known classifier over-triage, see evals/blind_rounds.md; fix in the corpus",
            ),
        ),
        "my bum cheeks are sore after hill sprints",
    ],
)
def test_everyday_look_alikes_do_not_fire(triage: TriageEngine, message: str) -> None:
    vectors = embedder().embed_array(triage.units(message))
    assert triage.assess(message, TriageState(), vectors).level.label == "none"


def test_a_denial_switches_the_net_off(triage: TriageEngine) -> None:
    message = "when I go for a poo I can feel it fine, no problems"
    vectors = embedder().embed_array(triage.units(message))
    assert triage.assess(message, TriageState(), vectors).level.label == "none"


def test_the_callers_vector_is_used_as_given(triage: TriageEngine) -> None:
    message = "when I go for a poo I can't feel it"
    vectors = embedder().embed_array(triage.units(message))
    assert triage.assess(message, TriageState(), vectors).level == triage.assess(message, TriageState()).level
    # a vector for an unrelated sentence is not second-guessed by embedding the message again
    other = embedder().embed_array(triage.units("what cadence should I run at?"))
    assert triage.assess(message, TriageState(), other).level.label == "none"


def test_exemplar_vectors_are_computed_once_at_load(triage: TriageEngine) -> None:
    net = triage.semantic
    assert net is not None
    assert net.matrix.shape == (len(net.owners), 384)
    assert np.allclose(np.linalg.norm(net.matrix, axis=1), 1.0, atol=1e-3)
    assert len(net.contrast) >= 20
