"""The HTTP target's handling of the server's answers (transport scripted with httpx)."""

from __future__ import annotations

import json

import httpx
import pytest

from evals.targets import HttpTarget, TargetError
from tests.evals.conftest import make_reply


def target(handler: object) -> HttpTarget:
    client = httpx.Client(base_url="http://eval.test", transport=httpx.MockTransport(handler))  # type: ignore[arg-type]
    t = HttpTarget("http://eval.test/", client=client)
    t.sleep = lambda seconds: None
    return t


def test_a_rate_limited_turn_is_retried_after_the_wait() -> None:
    calls: list[dict[str, object]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(json.loads(request.content))
        if len(calls) < 3:
            return httpx.Response(
                429, headers={"retry-after": "2"}, json={"error": {"code": "rate_limited", "message": "wait"}}
            )
        return httpx.Response(200, content=make_reply("ok", session_id="s_9").model_dump_json())

    reply = target(handler).turn(None, "hello")
    assert reply.reply == "ok" and reply.session_id == "s_9"
    assert calls[0] == {"message": "hello", "session_id": None, "session_token": None, "channel": "eval"}
    assert len(calls) == 3


def test_an_error_answer_is_a_target_error_with_the_server_message() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            413, json={"error": {"code": "message_too_long", "message": "The message has 5000 characters"}}
        )

    with pytest.raises(TargetError, match="answered 413: The message has 5000 characters"):
        target(handler).turn(None, "x" * 5000)


def test_knowledge_texts_are_fetched_once_and_missing_ids_left_out() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        if request.url.path.endswith("/edu-cadence"):
            return httpx.Response(
                200, json={"id": "edu-cadence", "title": "Cadence", "text": "## In short\n\nText."}
            )
        return httpx.Response(404, json={"error": {"code": "not_found", "message": "no"}})

    t = target(handler)
    assert t.knowledge(["edu-cadence", "edu-nope"]) == {"edu-cadence": "## In short\n\nText."}
    assert t.knowledge(["edu-cadence", "edu-nope"]) == {"edu-cadence": "## In short\n\nText."}
    assert seen == ["/v1/knowledge/edu-cadence", "/v1/knowledge/edu-nope"]


def test_an_unreachable_server_says_how_to_fix_it() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused")

    with pytest.raises(TargetError, match=r"cannot reach http://eval.test/healthz .*runsource serve"):
        target(handler).check()
