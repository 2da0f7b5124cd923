"""The HTTP API per the reply contract, on the real services."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from assistant.api import create_app


@pytest.fixture(scope="module")
def client(services) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(create_app(lambda: services), raise_server_exceptions=False) as c:
        yield c


def ask(client: TestClient, message: str, session_id: str | None = None, token: str | None = None) -> dict:  # type: ignore[type-arg]
    body = {"message": message, "session_id": session_id, "session_token": token, "channel": "api"}
    r = client.post("/v1/chat", json=body)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def test_a_question_gets_a_cited_answer_with_exercises(client: TestClient) -> None:
    body = ask(client, "my lower back aches on long runs, is it just tight hamstrings? What exercises help?")
    assert set(body) >= {
        "session_id",
        "turn_id",
        "reply",
        "triage",
        "intent",
        "in_scope",
        "citations",
        "exercises",
        "follow_ups",
        "mode",
    }
    assert body["session_id"].startswith("s_") and body["turn_id"].startswith("t_")
    assert len(body["session_token"]) >= 40, "a new session comes with its token"
    assert body["triage"]["level"] == "none" and body["mode"] == "grounded"
    assert body["in_scope"] is True
    assert "hamstring" in body["reply"].lower()
    assert "[1]" in body["reply"]
    assert body["citations"][0]["url"].startswith("http://127.0.0.1:8000/knowledge/")
    assert 2 <= len(body["exercises"]) <= 3
    assert all(e["dose"] and e["url"] for e in body["exercises"])
    assert body["follow_ups"]


def test_an_emergency_message_gets_the_emergency_reply_first(client: TestClient) -> None:
    body = ask(client, "my back hurts and since yesterday I can't feel the toilet paper when I wipe")
    assert body["triage"]["level"] == "emergency"
    assert body["triage"]["flags"]
    first = body["reply"].split("\n")[0].lower()
    assert "emergency" in first or "911" in first
    assert body["exercises"] == []


def test_the_session_continues_across_turns(client: TestClient) -> None:
    first = ask(client, "how many dead bugs should I do?")
    second = ask(client, "how do I make them harder?", first["session_id"], first["session_token"])
    assert second["session_id"] == first["session_id"]
    assert second["session_token"] is None
    bearer = {"Authorization": f"Bearer {first['session_token']}"}
    third = client.post(
        "/v1/chat", json={"message": "and how often?", "session_id": first["session_id"]}, headers=bearer
    )
    assert third.status_code == 200 and third.json()["session_id"] == first["session_id"]
    assert "ex-dead-bug" in [c["id"] for c in second["citations"]]


@pytest.mark.parametrize(
    ("payload", "status", "code"),
    [
        ({"message": ""}, 422, "empty_message"),
        ({"message": "   \n\t "}, 422, "empty_message"),
        ({"message": "x" * 4001}, 413, "message_too_long"),
        ({"message": 42}, 422, "invalid_request"),
        ({}, 422, "invalid_request"),
        ({"message": "hi", "channel": "fax"}, 422, "invalid_request"),
        ({"message": "hi", "session_id": "../../etc/passwd"}, 422, "invalid_request"),
    ],
)
def test_bad_input_gets_a_clear_4xx(client: TestClient, payload: dict, status: int, code: str) -> None:  # type: ignore[type-arg]
    r = client.post("/v1/chat", json=payload)
    assert r.status_code == status
    assert r.json()["error"]["code"] == code
    assert r.json()["error"]["message"]
    assert "Traceback" not in r.text


def test_malformed_json_gets_a_400(client: TestClient) -> None:
    r = client.post("/v1/chat", content=b'{"message": "hi"', headers={"content-type": "application/json"})
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "malformed_json"


def test_health_readiness_docs_and_knowledge_pages(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["chunks"] > 100
    assert client.get("/docs").status_code == 200
    assert "/v1/chat" in client.get("/openapi.json").json()["paths"]
    page = client.get("/knowledge/edu-hamstring-myth")
    assert page.status_code == 200 and "<h1>" in page.text
    assert client.get("/v1/knowledge/ex-dead-bug").json()["title"] == "Dead bug"
    missing = client.get("/knowledge/nope")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
