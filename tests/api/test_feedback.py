"""POST /v1/feedback: a rating, a reason and a comment on one reply, stored with its session."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from assistant.api import create_app


@pytest.fixture(scope="module")
def client(services) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(create_app(lambda: services), raise_server_exceptions=False) as c:
        yield c


@pytest.fixture(scope="module")
def opened(client: TestClient) -> dict[str, Any]:
    r = client.post("/v1/chat", json={"message": "what is a good running cadence?", "channel": "web"})
    assert r.status_code == 200
    return dict(r.json())


@pytest.fixture(scope="module")
def turn_id(opened: dict[str, Any]) -> str:
    return str(opened["turn_id"])


@pytest.fixture(scope="module")
def token(opened: dict[str, Any]) -> str:
    return str(opened["session_token"])


def stored(services: Any, turn_id: str) -> list[tuple[str, str | None, str]]:
    rows = (
        services.sessions._db()
        .execute(
            "SELECT rating, reason, comment FROM feedback WHERE turn_id = ? ORDER BY created_at", (turn_id,)
        )
        .fetchall()
    )
    return [tuple(r) for r in rows]


def test_a_thumbs_up_is_stored(client: TestClient, services: Any, turn_id: str, token: str) -> None:
    r = client.post("/v1/feedback", json={"turn_id": turn_id, "rating": "up", "session_token": token})
    assert r.status_code == 201
    assert r.json()["feedback_id"].startswith("f_")
    assert ("up", None, "") in stored(services, turn_id)


@pytest.mark.parametrize("reason", ["unsafe", "wrong", "missed_symptom", "too_alarming", "other"])
def test_a_thumbs_down_keeps_its_reason_and_comment(
    client: TestClient, services: Any, turn_id: str, token: str, reason: str
) -> None:
    comment = f"  it missed that my leg is numb ({reason})  "
    body = {"turn_id": turn_id, "rating": "down", "reason": reason, "comment": comment}
    r = client.post("/v1/feedback", json=body, headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 201
    assert stored(services, turn_id) == [("down", reason, comment.strip())], "one feedback per turn"


def test_feedback_needs_the_sessions_token(client: TestClient, services: Any, turn_id: str) -> None:
    before = stored(services, turn_id)
    missing = client.post("/v1/feedback", json={"turn_id": turn_id, "rating": "up"})
    wrong = client.post("/v1/feedback", json={"turn_id": turn_id, "rating": "up", "session_token": "x" * 43})
    assert missing.status_code == wrong.status_code == 401
    assert missing.json()["error"]["code"] == wrong.json()["error"]["code"] == "bad_session_token"
    assert stored(services, turn_id) == before


def test_personal_details_in_a_comment_are_redacted(
    client: TestClient, services: Any, turn_id: str, token: str
) -> None:
    client.post(
        "/v1/feedback",
        json={
            "turn_id": turn_id,
            "rating": "down",
            "reason": "other",
            "comment": "call me on runner@example.com",
            "session_token": token,
        },
    )
    assert not any("runner@example.com" in c for _, _, c in stored(services, turn_id))


def test_feedback_on_an_unknown_reply_is_404(client: TestClient) -> None:
    r = client.post("/v1/feedback", json={"turn_id": "t_nope", "rating": "up"})
    assert r.status_code == 404
    assert r.json()["error"] == {
        "code": "not_found",
        "message": "No reply with turn_id 't_nope'. Use the turn_id of a reply in this session.",
    }


@pytest.mark.parametrize(
    "payload",
    [
        {"turn_id": "t_x", "rating": "meh"},
        {"turn_id": "t_x", "rating": "down", "reason": "boring"},
        {"turn_id": "t_x", "rating": "down", "comment": "x" * 2001},
        {"turn_id": "not a turn", "rating": "up"},
        {"rating": "up"},
    ],
)
def test_bad_feedback_is_422(client: TestClient, payload: dict[str, Any]) -> None:
    r = client.post("/v1/feedback", json=payload)
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "invalid_request"
