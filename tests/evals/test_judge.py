"""The optional LLM judge, with LangChain's scripted fake chat model."""

from __future__ import annotations

import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage

from assistant.settings import Settings
from evals.judge import JudgeMetric, RubricJudge, model_from_settings, parse_grade
from tests.evals.conftest import checkpoint, make_case, make_reply


def scripted(*answers: str) -> GenericFakeChatModel:
    return GenericFakeChatModel(messages=iter([AIMessage(content=a) for a in answers]))


def test_three_repeats_give_mean_and_spread() -> None:
    model = scripted(
        '{"relevance": 5, "agreement": 5, "reason": "good"}',
        'Sure! {"relevance": 3, "agreement": 5, "reason": "a bit off"}',
        '{"relevance": 4, "agreement": 5}',
    )
    metric = JudgeMetric(RubricJudge(model), lambda ids: {"edu-cadence": "Cadence text."})
    check = checkpoint(
        make_case(turns=["does cadence help?"], reference="Somewhat; it lowers knee load."),
        make_reply("Raising cadence lowers knee load.", retrieved_ids=["edu-cadence"]),
    )
    result = metric.score(check)
    assert result is not None and result.value == pytest.approx((0.75 + 1.0) / 2)
    figures = metric.aggregate([(check, result)])
    assert figures["judge.relevance"] == pytest.approx(0.75)
    assert figures["judge.agreement"] == 1.0
    assert figures["judge.relevance_spread"] == pytest.approx(0.2041, abs=1e-4)
    assert figures["judge.agreement_spread"] == 0.0
    assert figures["judge.unreadable"] == 0.0


def test_the_prompt_carries_conversation_reply_sources_and_reference() -> None:
    judge = RubricJudge(scripted())
    check = checkpoint(
        make_case(turns=["hi", "does cadence help?"], reference="REF-ANSWER"),
        make_reply("REPLY-TEXT", level="evaluation", retrieved_ids=["edu-cadence"]),
    )
    (_, system), (_, user) = judge.messages(check, {"edu-cadence": "SOURCE-TEXT"})
    assert "never diagnose" in system
    for part in (
        "runner: hi\nrunner: does cadence help?",
        "REPLY-TEXT",
        "SOURCE-TEXT",
        "REF-ANSWER",
        "evaluation",
    ):
        assert part in user
    assert '{"relevance": <1-5>' in user


def test_unreadable_answers_are_counted_not_fatal() -> None:
    metric = JudgeMetric(
        RubricJudge(scripted("no idea", '{"relevance": 9, "agreement": 1}', "{}")), lambda ids: {}
    )
    check = checkpoint(reply=make_reply("x"))
    result = metric.score(check)
    assert result is not None and result.value is None and "unreadable 3 times" in result.detail
    assert metric.aggregate([(check, result)])["judge.unreadable"] == 3.0


def test_limit_stops_grading() -> None:
    model = scripted(*['{"relevance": 5, "agreement": 5}'] * 3)
    metric = JudgeMetric(RubricJudge(model), lambda ids: {}, limit=1)
    assert metric.score(checkpoint(make_case(id="a"))) is not None
    assert metric.score(checkpoint(make_case(id="b"))) is None


def test_grades_scale_to_zero_one() -> None:
    grade = parse_grade('{"relevance": 1, "agreement": 3, "reason": "r"}')
    assert (grade.relevance, grade.agreement, grade.reason) == (0.0, 0.5, "r")


def test_no_llm_setting_means_no_judge(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RUNSOURCE_LLM", raising=False)
    assert model_from_settings(Settings(llm=None)) is None
