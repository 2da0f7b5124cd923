"""POST /v1/chat/stream (Server-Sent Events) and GET /v1/sessions/{id}, on the real services."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from assistant.api import create_app, stream
from assistant.api.stream import Delta, Meta, word_groups
from assistant.chat import ChatService
from assistant.errors import BackendUnavailable
from assistant.types import Channel, Reply, Triage


@pytest.fixture(scope="module")
def client(services) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(create_app(lambda: services), raise_server_exceptions=False) as c:
        yield c


def events(text: str) -> list[tuple[str, dict[str, Any]]]:
    """Parse a text/event-stream body the way a browser does (one `event:` and `data:` per block)."""
    out = []
    for block in text.split("\n\n"):
        if not block.strip():
            continue
        fields = dict(line.split(": ", 1) for line in block.split("\n") if not line.startswith(":"))
        out.append((fields["event"], json.loads(fields["data"])))
    return out


def streamed(
    client: TestClient, message: str, session_id: str | None = None, token: str | None = None
) -> list[tuple[str, dict[str, Any]]]:
    body = {"message": message, "session_id": session_id, "session_token": token, "channel": "web"}
    with client.stream("POST", "/v1/chat/stream", json=body) as r:
        assert r.status_code == 200, r.read()
        assert r.headers["content-type"].startswith("text/event-stream")
        assert r.headers["cache-control"] == "no-store"
        return events(r.read().decode())


def test_meta_then_text_then_the_whole_reply(client: TestClient) -> None:
    got = streamed(client, "my lower back aches on long runs, is it just tight hamstrings?")

    names = [name for name, _ in got]
    assert names[0] == "meta" and names[-1] == "done" and set(names[1:-1]) == {"delta"}
    assert len(names) >= 4, "a reply of several sentences comes in several pieces"
    meta, done = got[0][1], Reply.model_validate(got[-1][1])
    assert meta == Meta.model_validate(meta).model_dump(mode="json")
    assert meta["session_id"] == done.session_id and meta["turn_id"] == done.turn_id
    assert meta["citations"] == [c.model_dump() for c in done.citations] and done.citations
    assert meta["exercises"] == [e.model_dump() for e in done.exercises]
    assert meta["triage"]["level"] == "none"
    assert "".join(data["text"] for name, data in got if name == "delta") == done.reply
    assert meta["session_token"] and meta["session_token"] == done.session_token, "a new session's token"


def test_an_emergency_is_in_the_first_event(client: TestClient) -> None:
    got = streamed(client, "my back hurts and since yesterday I can't feel the toilet paper when I wipe")
    meta = got[0][1]
    assert meta["triage"]["level"] == "emergency" and meta["triage"]["flags"]
    assert meta["exercises"] == []
    for _, data in got:  # the flag's label is shown; the runner's words are not sent back
        assert "toilet paper" not in json.dumps(data).split('"reply"')[0]
        for flag in (data.get("triage") or {}).get("flags", []):
            assert set(flag) == {"id", "level", "label"}


def test_the_stream_and_the_history_share_the_session(client: TestClient) -> None:
    first = streamed(client, "how many dead bugs should I do?")[-1][1]
    token = first["session_token"]
    second = streamed(client, "how do I make them harder?", first["session_id"], token)[-1][1]
    assert second["session_id"] == first["session_id"]
    assert second["session_token"] is None, "the token is returned once"
    auth = {"Authorization": f"Bearer {token}"}

    r = client.get(f"/v1/sessions/{first['session_id']}", headers=auth)
    assert r.status_code == 200
    body = r.json()
    assert body["session_id"] == first["session_id"]
    assert [t["message"] for t in body["turns"]] == [
        "how many dead bugs should I do?",
        "how do I make them harder?",
    ]
    assert [t["turn_id"] for t in body["turns"]] == [first["turn_id"], second["turn_id"]]
    assert body["turns"][1]["reply"]["reply"] == second["reply"]
    assert (
        client.get(f"/v1/sessions/{first['session_id']}?limit=1", headers=auth).json()["turns"][0]["turn_id"]
        == second["turn_id"]
    )


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        ("/v1/sessions/s_never_seen", 404, "unknown_session"),
        ("/v1/sessions/bad%20id", 422, "invalid_request"),
        ("/v1/sessions/s_x?limit=0", 422, "invalid_request"),
    ],
)
def test_history_errors(client: TestClient, path: str, status: int, code: str) -> None:
    r = client.get(path)
    assert r.status_code == status and r.json()["error"]["code"] == code


@pytest.mark.parametrize(
    ("payload", "status", "code"),
    [
        ({"message": ""}, 422, "empty_message"),
        ({"message": "a" * 5000}, 413, "message_too_long"),
        ({"message": "hi", "session_id": "no spaces"}, 422, "invalid_request"),
        ({"message": "hi", "channel": "fax"}, 422, "invalid_request"),
    ],
)
def test_bad_input_is_a_plain_error_not_a_stream(
    client: TestClient, payload: dict[str, Any], status: int, code: str
) -> None:
    r = client.post("/v1/chat/stream", json=payload)
    assert r.status_code == status
    assert r.headers["content-type"] == "application/json"
    assert r.json()["error"]["code"] == code


def test_a_failure_after_the_stream_began_ends_it_with_an_error_event(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def breaks_midway(
        chat: ChatService, session_id: str | None, message: str, channel: Channel, token: str | None
    ) -> AsyncIterator[Meta | Delta | Reply]:
        yield Meta(
            session_id="s_x",
            turn_id="t_x",
            triage=Triage(),
            intent="education",
            in_scope=True,
            citations=[],
            exercises=[],
            mode="llm",
        )
        yield Delta(text="Hamstrings are ")
        raise BackendUnavailable("The language model stopped answering.")

    monkeypatch.setattr(stream, "turn_stream", breaks_midway)
    got = streamed(client, "is it just tight hamstrings?")
    assert [name for name, _ in got] == ["meta", "delta", "error"]
    assert got[-1][1] == {
        "error": {"code": "unavailable", "message": "The language model stopped answering."}
    }


@given(st.text(alphabet=st.sampled_from(" \n\tab.*[]()é"), max_size=200), st.integers(1, 9))
def test_word_groups_rebuild_the_text(text: str, size: int) -> None:
    pieces = word_groups(text, size)
    assert "".join(pieces) == text
    assert all(len(p.split()) <= size for p in pieces)
    assert all(p for p in pieces)


def test_word_groups_keep_markdown_whole_words() -> None:
    assert word_groups("  **Try this**: bird dog\n\n1. one", 2) == [
        "  **Try this**: ",
        "bird dog\n\n",
        "1. one",
    ]
    assert word_groups("", 3) == []
