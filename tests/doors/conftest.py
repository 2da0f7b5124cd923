"""Slack and Discord doors on the real services, with local servers standing in for Slack and Discord."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient
from nacl.signing import SigningKey

from assistant.settings import ROOT, Settings
from tests.doors.fake_api import FakeAPI

SLACK_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
SLACK_TOKEN = "xoxb-0000-test"
DISCORD_APP_ID = "1234567890"


@pytest.fixture(scope="session")
def slack_api() -> Iterator[FakeAPI]:
    with FakeAPI() as api:
        yield api


@pytest.fixture(scope="session")
def discord_api() -> Iterator[FakeAPI]:
    with FakeAPI() as api:
        yield api


@pytest.fixture(scope="session")
def discord_key() -> SigningKey:
    """A test key pair: Discord signs with the private half, the app is configured with the public one."""
    return SigningKey.generate()


@pytest.fixture(scope="session")
def door_settings(data_dir, slack_api: FakeAPI, discord_api: FakeAPI, discord_key: SigningKey) -> Settings:  # type: ignore[no-untyped-def]
    return Settings(
        data_dir=data_dir,
        knowledge_dir=ROOT / "knowledge",
        prompts_dir=ROOT / "prompts",
        **door_fields(slack_api, discord_api, discord_key),
    )


def door_fields(slack_api: FakeAPI, discord_api: FakeAPI, discord_key: SigningKey) -> dict[str, str]:
    """The Slack and Discord settings that point the doors at the local stand-ins."""
    return {
        "slack_bot_token": SLACK_TOKEN,
        "slack_signing_secret": SLACK_SECRET,
        "slack_api_url": f"{slack_api.url}/api/",
        "discord_public_key": discord_key.verify_key.encode().hex(),
        "discord_app_id": DISCORD_APP_ID,
        "discord_bot_token": "discord-bot-token",
        "discord_api_url": f"{discord_api.url}/api/v10",
    }


@pytest.fixture(scope="session")
def door_services(services, door_settings: Settings):  # type: ignore[no-untyped-def]
    """The real services (model, index, sessions) with Slack and Discord configured."""
    return dataclasses.replace(services, settings=door_settings)


@pytest.fixture
def client(door_services) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    from assistant.api import create_app

    with TestClient(create_app(lambda: door_services), raise_server_exceptions=False) as c:
        yield c


@pytest.fixture
def unconfigured_client(services) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    from assistant.api import create_app

    bare = dataclasses.replace(
        services,
        settings=Settings(
            data_dir=services.settings.data_dir,
            knowledge_dir=ROOT / "knowledge",
            prompts_dir=ROOT / "prompts",
            slack_bot_token=None,
            slack_signing_secret=None,
            discord_public_key=None,
            discord_app_id=None,
            discord_bot_token=None,
        ),
    )
    with TestClient(create_app(lambda: bare), raise_server_exceptions=False) as c:
        yield c


@pytest.fixture(scope="module")
def live_url(door_services) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """The app on a real uvicorn server, so responses go out before background work finishes."""
    import uvicorn

    from assistant.api import create_app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = uvicorn.Config(
        create_app(lambda: door_services), host="127.0.0.1", port=port, log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


# ------------------------------------------------ Slack requests, signed as Slack signs them
def slack_headers(body: str, *, timestamp: int | None = None, secret: str = SLACK_SECRET) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


def unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:10].upper()}"


def event_callback(event: dict[str, Any], event_id: str | None = None) -> dict[str, Any]:
    return {
        "token": "legacy-verification-token",
        "team_id": "T1",
        "api_app_id": "A0RUNSOURCE",
        "event": event,
        "type": "event_callback",
        "event_id": event_id or unique("Ev"),
        "event_time": int(time.time()),
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": "T1",
                "user_id": "UBOT",
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
    }


def mention(text: str, channel: str, ts: str, thread_ts: str | None = None) -> dict[str, Any]:
    event = {
        "type": "app_mention",
        "user": "URUNNER",
        "text": f"<@UBOT> {text}",
        "ts": ts,
        "channel": channel,
        "event_ts": ts,
    }
    if thread_ts:
        event["thread_ts"] = thread_ts
    return event_callback(event)


def post_event(client: TestClient, payload: dict[str, Any], **headers: str) -> Any:
    body = json.dumps(payload)
    return client.post(
        "/slack/events",
        content=body,
        headers={"Content-Type": "application/json", **slack_headers(body), **headers},
    )


def post_form(client: TestClient, form: dict[str, str]) -> Any:
    body = urlencode(form)
    return client.post(
        "/slack/events",
        content=body,
        headers={"Content-Type": "application/x-www-form-urlencoded", **slack_headers(body)},
    )


# ------------------------------------------------ Discord requests, signed as Discord signs them
def discord_headers(body: bytes, key: SigningKey, *, timestamp: int | None = None) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    signature = key.sign(ts.encode() + body).signature.hex()
    return {"X-Signature-Ed25519": signature, "X-Signature-Timestamp": ts, "Content-Type": "application/json"}


def ask_interaction(
    question: str,
    *,
    private: bool | None = None,
    guild: str | None = "G1",
    channel: str | None = None,
    user: str = "U1",
) -> dict[str, Any]:
    options: list[dict[str, Any]] = [{"name": "question", "type": 3, "value": question}]
    if private is not None:
        options.append({"name": "private", "type": 5, "value": private})
    payload: dict[str, Any] = {
        "id": unique("9"),
        "application_id": DISCORD_APP_ID,
        "type": 2,
        "token": unique("interaction-token-"),
        "version": 1,
        "channel_id": channel or unique("CH"),  # a new channel is a new session
        "data": {"id": "555", "name": "ask", "type": 1, "options": options},
        "context": 0 if guild else 1,
    }
    if guild:
        payload["guild_id"] = guild
        payload["member"] = {"user": {"id": user, "username": "runner"}, "roles": []}
    else:
        payload["user"] = {"id": user, "username": "runner"}
    return payload
