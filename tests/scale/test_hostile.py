"""Hostile input: property tests (hypothesis) and an OpenAPI fuzz run (schemathesis) against the app.

Huge, empty, binary, control characters, deeply nested JSON, wrong types: never a 5xx, never a
traceback, always the error object, and nothing stored from a rejected request. Secrets never
reach the logs; logged and audited text is redacted; the retention purge deletes old sessions.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from assistant.settings import Settings

Response = Any  # the TestClient's response class (httpx or httpx2, by Starlette version)
NO_LIMITS: dict[str, Any] = {
    "rate_limit_ip_per_minute": 1_000_000,
    "rate_limit_session_per_minute": 1_000_000,
}
SECRETS = {
    "slack_bot_token": "xoxb-hostile-test-token-0123456789",
    "slack_signing_secret": "signing-secret-hostile-0123456789",
    "discord_bot_token": "discord-token-hostile-0123456789abcdef",
}
TABLES = ("sessions", "turns", "audit", "feedback")
FUZZ = hsettings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture(scope="module")
def hostile_settings(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The suite's index and model, a session database of its own, secrets set, limits off."""
    return settings.model_copy(
        update={
            **NO_LIMITS,
            "slack_api_url": "http://127.0.0.1:9/",  # nothing listens: no call can leave the machine
            "discord_api_url": "http://127.0.0.1:9",
            "discord_public_key": "0" * 64,
            "discord_app_id": "1234567890",
        }
    )


@pytest.fixture(scope="module")
def hostile_app(hostile_settings: Settings, embeddings: Any) -> FastAPI:
    from pydantic import SecretStr

    from assistant.api import create_app
    from assistant.services import build_services

    s = hostile_settings.model_copy(update={k: SecretStr(v) for k, v in SECRETS.items()})
    services = build_services(s)
    app = create_app(lambda: services)
    app.state.services = services  # schemathesis' ASGI client runs no lifespan
    return app


@pytest.fixture(scope="module")
def client(hostile_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(hostile_app, raise_server_exceptions=False) as c:
        yield c


def stored(app: FastAPI) -> tuple[int, ...]:
    db: Path = app.state.services.settings.db_path
    with sqlite3.connect(db) as conn:
        return tuple(conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES)


def assert_well_refused(resp: Response) -> None:
    """No 5xx and no traceback; any 4xx carries the error object."""
    assert resp.status_code < 500, resp.text[:500]
    assert "Traceback" not in resp.text
    assert 'File "' not in resp.text
    if resp.status_code >= 400:
        body = resp.json()
        assert isinstance(body.get("error"), dict), resp.text[:500]
        assert body["error"].get("code") and body["error"].get("message"), resp.text[:500]


def post_raw(
    client: TestClient, path: str, content: bytes | str, ctype: str = "application/json"
) -> Response:
    return client.post(path, content=content, headers={"content-type": ctype})


def check_chat(
    client: TestClient, app: FastAPI, content: bytes | str, ctype: str = "application/json"
) -> None:
    before = stored(app)
    resp = post_raw(client, "/v1/chat", content, ctype)
    assert_well_refused(resp)
    if resp.status_code != 200:
        assert stored(app) == before, f"a rejected request ({resp.status_code}) stored something"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=50),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=15,
)
control = st.text(
    alphabet=st.characters(codec="utf-8", categories=["Cc", "Cf", "Zs", "Zl", "Zp"]), max_size=40
)
messages = st.one_of(
    st.text(max_size=300),
    control,
    st.text(min_size=3_990, max_size=4_100),
    st.just(""),
    st.just("   \n\t  "),
)


@FUZZ
@given(message=messages, session=st.one_of(st.none(), st.text(max_size=120), json_values))
def test_chat_messages_of_any_shape(
    client: TestClient, hostile_app: FastAPI, message: str, session: Any
) -> None:
    body: dict[str, Any] = {"message": message}
    if session is not None:
        body["session_id"] = session
    check_chat(client, hostile_app, json.dumps(body))


@FUZZ
@given(body=json_values)
def test_chat_bodies_of_the_wrong_type(client: TestClient, hostile_app: FastAPI, body: Any) -> None:
    check_chat(client, hostile_app, json.dumps(body))
    check_chat(client, hostile_app, json.dumps({"message": body, "channel": body}))


@FUZZ
@given(raw=st.binary(max_size=2_000))
def test_chat_binary_bodies(client: TestClient, hostile_app: FastAPI, raw: bytes) -> None:
    check_chat(client, hostile_app, raw)
    check_chat(client, hostile_app, raw, ctype="application/octet-stream")


@pytest.mark.parametrize("depth", [10, 100, 1_000, 5_000, 30_000])
@pytest.mark.parametrize("path", ["/v1/chat", "/v1/chat/stream", "/v1/feedback"])
def test_deeply_nested_json(client: TestClient, hostile_app: FastAPI, depth: int, path: str) -> None:
    before = stored(hostile_app)
    for body in ("[" * depth + "]" * depth, '{"message": ' + "[" * depth + "]" * depth + "}"):
        assert_well_refused(post_raw(client, path, body))
    assert stored(hostile_app) == before


EDGE_BODIES = [
    pytest.param("/v1/chat", '{"message": "\\ud800 lone surrogate"}', id="chat-surrogate"),
    pytest.param("/v1/chat", '{"message": "nul \\u0000 byte"}', id="chat-nul"),
    pytest.param("/v1/chat", '{"message": "hi", "message": 3}', id="chat-duplicate-key"),
    pytest.param("/v1/chat", '{"message": "' + "x" * 70_000 + '"}', id="chat-over-64KiB"),
    pytest.param("/v1/chat", '{"message": "' + "é" * 4_001 + '"}', id="chat-4001-chars"),
    pytest.param("/v1/chat", "", id="chat-empty-body"),
    pytest.param("/v1/chat", "null", id="chat-null"),
    pytest.param("/v1/chat", "{", id="chat-truncated"),
    pytest.param("/v1/chat", '\ufeff{"message": "hi"}', id="chat-bom"),
    pytest.param(
        "/v1/feedback",
        '{"turn_id": "t_x", "rating": "up", "comment": "\\udfff"}',
        id="feedback-surrogate",
    ),
    pytest.param("/v1/feedback", '{"turn_id": "' + "t" * 5_000 + '", "rating": "up"}', id="feedback-long-id"),
]


@pytest.mark.parametrize(("path", "raw"), EDGE_BODIES)
def test_edge_bodies(client: TestClient, hostile_app: FastAPI, path: str, raw: str) -> None:
    before = stored(hostile_app)
    resp = post_raw(client, path, raw.encode("utf-8", "surrogatepass"))
    assert_well_refused(resp)
    if resp.status_code not in (200, 201):
        assert stored(hostile_app) == before


@FUZZ
@given(body=st.one_of(json_values, st.fixed_dictionaries({"turn_id": json_values, "rating": json_values})))
def test_feedback_of_any_shape(client: TestClient, hostile_app: FastAPI, body: Any) -> None:
    before = stored(hostile_app)
    resp = post_raw(client, "/v1/feedback", json.dumps(body))
    assert_well_refused(resp)
    if resp.status_code != 201:
        assert stored(hostile_app) == before


@FUZZ
@given(ident=st.text(min_size=1, max_size=300))
def test_lookups_of_any_id(client: TestClient, ident: str) -> None:
    from urllib.parse import quote

    for path in ("/v1/sessions/", "/v1/knowledge/", "/knowledge/"):
        assert_well_refused(client.get(path + quote(ident, safe="")))


def test_feedback_with_a_lone_surrogate_on_a_real_turn(client: TestClient, hostile_app: FastAPI) -> None:
    turn_id = client.post("/v1/chat", json={"message": "hi"}).json()["turn_id"]
    before = stored(hostile_app)
    raw = json.dumps({"turn_id": turn_id, "rating": "down", "comment": "bad \udfff char"})  # an escape
    resp = post_raw(client, "/v1/feedback", raw)
    assert_well_refused(resp)
    if resp.status_code != 201:
        assert stored(hostile_app) == before


# The OpenAPI fuzz run


def test_openapi_fuzz(hostile_app: FastAPI) -> None:
    """Every operation in the app's own OpenAPI document, with valid and invalid data."""
    schemathesis = pytest.importorskip("schemathesis")
    from schemathesis import GenerationMode

    # Slack and Discord check signatures first; their own tests cover them.
    schema = schemathesis.openapi.from_asgi("/openapi.json", hostile_app).exclude(
        path_regex=r"^/(slack|discord)/"
    )
    seen: set[str] = set()

    def fuzz(mode: GenerationMode) -> None:
        @given(case=schema.as_strategy(generation_mode=mode))
        @hsettings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
        def run(case: Any) -> None:
            seen.add(f"{case.method} {case.path}")
            before = stored(hostile_app)
            resp = case.call()
            where = f"{case.method} {case.formatted_path} ({mode.value})"
            assert resp.status_code < 500, f"{where}: {resp.status_code} {resp.text[:300]}"
            assert "Traceback" not in resp.text
            if resp.status_code >= 400:
                assert "error" in resp.json(), f"{where}: {resp.text[:300]}"
                if case.method == "POST":
                    assert stored(hostile_app) == before, f"{where} was rejected but stored something"

        run()

    fuzz(GenerationMode.POSITIVE)
    fuzz(GenerationMode.NEGATIVE)
    assert {"POST /v1/chat", "POST /v1/feedback", "GET /v1/sessions/{session_id}"} <= seen


# Logs: no secrets, redacted text


PII = "I'm Jo, mail jo.runner@example.com or call +1 415 555 0134; my lower back aches after long runs"


def test_secrets_and_personal_details_never_reach_the_logs(
    client: TestClient, hostile_app: FastAPI, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    reply = client.post("/v1/chat", json={"message": PII}).json()
    client.post("/v1/chat", json={"message": "numbness in my saddle area and I can't pee " + PII})
    client.post("/v1/feedback", json={"turn_id": reply["turn_id"], "rating": "down", "comment": PII})
    client.post("/v1/feedback", json={"turn_id": "t_missing", "rating": "down", "comment": PII})
    post_raw(client, "/v1/chat", "[" * 2_000 + "]" * 2_000)
    client.post("/discord/interactions", json={"type": 1, "data": PII})
    client.post("/v1/chat", json={"message": 42})
    assert_clean(caplog)


def assert_clean(caplog: pytest.LogCaptureFixture) -> None:
    text = caplog.text + "".join(str(r.args) for r in caplog.records)
    for secret in SECRETS.values():
        assert secret not in text
    assert "jo.runner@example.com" not in text
    assert "415 555 0134" not in text


def test_the_slack_door_logs_no_request_body(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    """slack_bolt logs the whole raw body at INFO on a bad signature unless the door quietens it."""
    caplog.set_level(logging.DEBUG)
    client.post("/slack/events", json={"type": "url_verification", "challenge": PII})
    assert_clean(caplog)


def test_audited_text_is_redacted(client: TestClient, hostile_app: FastAPI) -> None:
    reply = client.post("/v1/chat", json={"message": PII}).json()
    audit = hostile_app.state.services.sessions.audit(reply["session_id"])[-1]
    assert "jo.runner@example.com" not in audit.message
    assert "415 555 0134" not in audit.message
    assert "[email]" in audit.message and "[phone]" in audit.message


# Retention


def test_the_retention_purge_deletes_old_sessions(client: TestClient, hostile_app: FastAPI) -> None:
    from assistant.sessions import AuditRecord, TurnRecord

    services = hostile_app.state.services
    days = services.settings.session_retention_days
    old = time.time() - (days + 1) * 86400
    sid = f"s_retention{int(old)}"
    turn = TurnRecord(turn_id=f"t_{sid}", session_id=sid, n=1, created_at=old, message="old", reply={})
    services.sessions.save_turn(
        turn, {}, AuditRecord(turn_id=turn.turn_id, session_id=sid, created_at=old, level="none")
    )
    opened = client.post("/v1/chat", json={"message": "hi"}).json()
    fresh, token = opened["session_id"], opened["session_token"]
    assert services.sessions.load_state(sid) is not None

    assert services.sessions.purge(days) >= 1
    assert client.get(f"/v1/sessions/{sid}").status_code == 404
    assert services.sessions.history(sid) == []
    assert (
        client.get(f"/v1/sessions/{fresh}", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    )
