"""Groundedness and paraphrase consistency with the real bundled model."""

from __future__ import annotations

from typing import Any

import pytest

from evals.metrics import Groundedness, ParaphraseConsistency
from evals.metrics.groundedness import prompt_templates, template_patterns
from tests.evals.conftest import checkpoint, make_case, make_reply

KNOWLEDGE = {
    "edu-cadence": (
        "## In short\n\nCadence is how many steps you take each minute. Raising it by 5 to 10 percent "
        "lowers the load on your hips and knees and cuts braking. It is not a proven treatment for back "
        "pain.\n\n## What you can do\n\n"
        "Use a metronome on easy runs, in short blocks of one to three minutes."
    ),
    "edu-hamstring-myth": (
        "Research has not shown that people with low back pain have tighter hamstrings. Stretching alone "
        "did no better than no treatment for back pain."
    ),
}


def knowledge(ids: Any) -> dict[str, str]:
    return {i: KNOWLEDGE[i] for i in ids if i in KNOWLEDGE}


@pytest.fixture
def metric(embeddings: Any) -> Groundedness:
    return Groundedness(lambda: embeddings, knowledge, fixed=template_patterns(prompt_templates()))


def test_a_reply_restating_the_content_is_grounded(metric: Groundedness) -> None:
    reply = make_reply(
        "## Cadence\n\nCadence is the number of steps you take per minute. Raising it by 5-10% lowers the "
        "load on your hips and knees. It has not been proven to treat back pain.",
        retrieved_ids=["edu-cadence"],
    )
    result = metric.score(checkpoint(reply=reply))
    assert result is not None and result.value == 1.0


def test_invented_claims_are_not_grounded(metric: Groundedness) -> None:
    reply = make_reply(
        "Raising your cadence by 5-10% lowers the load on your hips and knees. "
        "Magnesium supplements before bed cure sciatica within three days. "
        "Your marathon time will drop by twenty minutes if you buy carbon-plated shoes.",
        retrieved_ids=["edu-cadence"],
    )
    result = metric.score(checkpoint(reply=reply))
    assert result is not None and result.value == pytest.approx(1 / 3)
    assert "Magnesium" in result.detail


def test_fixed_wording_headings_and_sources_are_left_out(metric: Groundedness) -> None:
    safety_net = next(t for t in prompt_templates() if t.startswith("_This is education"))
    reply = make_reply(
        "**Try this** (from the RUNsource programs)\n\n"
        "Stretching alone did no better than no treatment for back pain.\n\n"
        + safety_net.format(
            emergency_number="911",
            emergency_department="the nearest emergency department (ER)",
            clinic_name="Precision Performance",
        )
        + "\n\n**Sources**\n1. [Is my back pain just tight hamstrings?](http://x/edu-hamstring-myth)",
        retrieved_ids=["edu-hamstring-myth"],
    )
    assert metric.claims(reply.reply) == ["Stretching alone did no better than no treatment for back pain."]
    result = metric.score(checkpoint(reply=reply))
    assert result is not None and result.value == 1.0


def test_no_retrieval_or_only_fixed_wording_is_not_measured(metric: Groundedness) -> None:
    assert metric.score(checkpoint(reply=make_reply("Hello there, how can I help you today?"))) is None
    greeting = next(t for t in prompt_templates() if t.startswith("Hi!"))
    text = greeting.format(app_name="RUNsource", clinic_name="Precision Performance")
    assert metric.score(checkpoint(reply=make_reply(text, retrieved_ids=["edu-cadence"]))) is None


def test_paraphrase_groups_agree_or_fail_every_member(embeddings: Any) -> None:
    metric = ParaphraseConsistency(lambda: embeddings)
    same = "Cadence is how many steps you take each minute."
    checks = [
        checkpoint(make_case(id=f"a{n}", paraphrase_of="cadence"), make_reply(same, intent="education"))
        for n in range(3)
    ] + [
        checkpoint(make_case(id="b1", paraphrase_of="numb"), make_reply("Go to A&E now.", level="emergency")),
        checkpoint(make_case(id="b2", paraphrase_of="numb"), make_reply("Try a dead bug.", level="none")),
        checkpoint(make_case(id="lonely", paraphrase_of="alone"), make_reply("x")),
        checkpoint(make_case(id="c"), make_reply("not in a group")),
    ]
    scored = [(c, r) for c in checks if (r := metric.score(c)) is not None]
    assert len(scored) == 6
    figures = metric.aggregate(scored)
    assert figures["paraphrase.groups"] == 2
    assert figures["paraphrase.level_consistency"] == 0.5
    assert figures["paraphrase.intent_consistency"] == 1.0
    similarity = figures["paraphrase.reply_similarity"]
    assert similarity is not None and 0.4 < similarity < 1.0
    failures = metric.case_failures(scored)
    assert set(failures) == {"b1", "b2"}
    assert "b1: emergency, b2: none" in failures["b1"]
