"""Attacks on other runners' conversations, tried against the live app (`uvicorn server:app` in its
own process, Slack and Discord played by local stand-ins).

Every refusal is a 4xx with the error object, and no attack reads or changes a conversation that
is not the attacker's. Personal details in the widget's storage are tested in the browser
(tests/browser/test_widget.py); here: the database and the server's log.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from nacl.signing import SigningKey

from assistant.keys import SessionKeys
from tests.doors.conftest import (
    DISCORD_APP_ID,
    ask_interaction,
    discord_headers,
    door_fields,
    event_callback,
    slack_headers,
    unique,
)
from tests.doors.fake_api import Call, FakeAPI
from tests.scale.servers import ROOT, AppServer, app_env

RED_FLAG = "my back hurts and I can't feel the toilet paper when I wipe"
PII = {
    "name": "Jane Doe",
    "birth": "12/03/1985",
    "street": "42 Elm Street",
    "postcode": "SW1A 1AA",
    "phone": "07700 900123",
    "email": "jane dot doe at gmail dot com",
}
PII_MESSAGE = (
    f"Hi, I'm {PII['name']}, born {PII['birth']}. I live at {PII['street']}, {PII['postcode']}. "
    f"Call me on {PII['phone']} or write to {PII['email']}. {RED_FLAG}"
)


class LoggedAppServer(AppServer):
    """The app with uvicorn's access log on, so the test sees every line an operator would."""

    def command(self) -> list[str]:
        return [c for c in super().command() if c != "--no-access-log"]


@dataclass
class Live:
    url: str
    data: Path
    log: Path
    client: httpx.Client
    keys: SessionKeys

    def db(self) -> sqlite3.Connection:
        return sqlite3.connect(self.data / "sessions.sqlite3")

    def turns(self, session_id: str) -> int:
        with self.db() as db:
            return int(
                db.execute("SELECT count(*) FROM turns WHERE session_id = ?", (session_id,)).fetchone()[0]
            )

    def chat(self, message: str, session_id: str | None = None, token: str | None = None) -> httpx.Response:
        body = {"message": message, "session_id": session_id, "session_token": token, "channel": "api"}
        return self.client.post("/v1/chat", json=body)

    def opened(self, message: str = "how many dead bugs should I do?") -> dict[str, Any]:
        r = self.chat(message)
        assert r.status_code == 200, r.text
        return dict(r.json())


@pytest.fixture(scope="module")
def live(
    tmp_path_factory: pytest.TempPathFactory,
    services: Any,
    slack_api: FakeAPI,
    discord_api: FakeAPI,
    discord_key: SigningKey,
) -> Iterator[Live]:
    work = tmp_path_factory.mktemp("attacks")
    data = work / "data"
    # the index and the model built for the suite; a session database and a secret of its own
    shutil.copytree(
        services.settings.data_dir,
        data,
        ignore=shutil.ignore_patterns("sessions.sqlite3*", "session_secret", "slack_events*"),
    )
    env = app_env(
        data,
        **door_fields(slack_api, discord_api, discord_key),
        rate_limit_ip_per_minute=10**6,
        rate_limit_session_per_minute=10**6,
        log_level="info",
    )
    server = LoggedAppServer(env, work / "server.log", workers=1)
    server.start(timeout=300)
    try:
        keys = SessionKeys((data / "session_secret").read_text().strip().encode())
        with httpx.Client(base_url=server.url, timeout=60) as client:
            yield Live(server.url, data, work / "server.log", client, keys)
    finally:
        server.stop()


def refused(r: httpx.Response, status: int, code: str) -> None:
    assert r.status_code == status, r.text
    assert r.json()["error"]["code"] == code and r.json()["error"]["message"], r.text


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def every_use_is_refused(live: Live, session_id: str, token: str | None, status: int, code: str) -> None:
    """Read, continue (plain and streamed), and delete: all refused alike."""
    headers = bearer(token) if token else {}
    refused(live.client.get(f"/v1/sessions/{session_id}", headers=headers), status, code)
    refused(live.chat("and how often?", session_id, token), status, code)
    body = {"message": "and how often?", "session_id": session_id, "channel": "web"}
    refused(live.client.post("/v1/chat/stream", json=body, headers=headers), status, code)
    refused(live.client.delete(f"/v1/sessions/{session_id}", headers=headers), status, code)


# ---------------------------------------------------------------- Discord and Slack helpers
def discord_ask(live: Live, key: SigningKey, api: FakeAPI, payload: dict[str, Any]) -> Call:
    body = json.dumps(payload).encode()
    r = live.client.post("/discord/interactions", content=body, headers=discord_headers(body, key))
    assert r.status_code == 200, r.text
    path = f"/api/v10/webhooks/{DISCORD_APP_ID}/{payload['token']}/messages/@original"
    [edit] = api.wait_for(lambda c: c.method == "PATCH" and c.path == path)
    return edit


def slack_mention(live: Live, api: FakeAPI, text: str, channel: str, user: str, ts: str, thread: str) -> Call:
    event = {
        "type": "app_mention",
        "user": user,
        "text": f"<@UBOT> {text}",
        "ts": ts,
        "channel": channel,
        "event_ts": ts,
        "thread_ts": thread,
    }
    body = json.dumps(event_callback(event))
    before = len(api.matching(lambda c: c.path.endswith("/chat.postMessage")))
    r = live.client.post(
        "/slack/events", content=body, headers={"Content-Type": "application/json", **slack_headers(body)}
    )
    assert r.status_code == 200, r.text
    posts = api.wait_for(lambda c: c.path.endswith("/chat.postMessage"), count=before + 1)
    [post] = [c for c in posts[before:] if (c.json or {}).get("channel") == channel][-1:]
    return post


def shown(call: Call) -> str:
    return json.dumps(call.json, ensure_ascii=False)


# ---------------------------------------------------------------- the attacks
def test_a_door_session_id_rebuilt_from_public_ids_reaches_nothing(
    live: Live, discord_key: SigningKey, discord_api: FakeAPI, slack_api: FakeAPI
) -> None:
    guild, channel, user = "G777", unique("CH"), "U777"
    discord_ask(
        live, discord_key, discord_api, ask_interaction(RED_FLAG, guild=guild, channel=channel, user=user)
    )
    slack_channel, thread = unique("C"), "1700000100.000100"
    slack_mention(live, slack_api, RED_FLAG, slack_channel, "USLACK", thread, thread)

    def old(*parts: str) -> str:  # the scheme an attacker could rebuild before: sha256 of public ids
        return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]

    real_discord = live.keys.door("discord", guild, channel, "public", user)
    real_slack = live.keys.door("slack", "T1", slack_channel, thread, "USLACK")
    assert live.turns(real_discord) == 1 and live.turns(real_slack) == 1, "the door sessions exist"
    guesses = [
        f"discord_{old(guild, channel, user)}",
        f"slack_{old('T1', slack_channel, thread)}",
        f"d_discord_{old(guild, channel, 'public', user)}",
        real_discord,  # even the real id (it needs the server's secret) is no way in over HTTP
        real_slack,
    ]
    for guess in guesses:
        every_use_is_refused(live, guess, None, 404, "unknown_session")
        every_use_is_refused(live, guess, secrets.token_urlsafe(32), 404, "unknown_session")
    assert live.turns(real_discord) == 1 and live.turns(real_slack) == 1, "nothing was written"
    with live.db() as db:
        assert (
            db.execute(
                "SELECT count(*) FROM sessions WHERE id LIKE 'discord_%' OR id LIKE 'slack_%'"
            ).fetchone()[0]
            == 0
        )


def test_a_guessed_invented_or_deleted_id_is_refused_and_never_created(live: Live) -> None:
    for invented in ("abc", "s_abc", f"s_{secrets.token_urlsafe(12)}", "t_" + "x" * 20):
        every_use_is_refused(live, invented, None, 404, "unknown_session")
        with live.db() as db:
            assert db.execute("SELECT count(*) FROM sessions WHERE id = ?", (invented,)).fetchone()[0] == 0

    gone = live.opened()
    assert (
        live.client.delete(
            f"/v1/sessions/{gone['session_id']}", headers=bearer(gone["session_token"])
        ).status_code
        == 204
    )
    every_use_is_refused(live, gone["session_id"], gone["session_token"], 404, "unknown_session")
    assert live.turns(gone["session_id"]) == 0


def test_a_wrong_token_another_sessions_token_or_a_replayed_one_is_refused(live: Live) -> None:
    a, b = live.opened("is it just tight hamstrings?"), live.opened()
    sid, token = a["session_id"], a["session_token"]
    for attempt in (None, "not-the-token", secrets.token_urlsafe(32), b["session_token"], token[:-1]):
        expected = "bad_session_token"
        every_use_is_refused(live, sid, attempt, 401, expected)
    assert live.turns(sid) == 1, "nothing was added or deleted"
    mine = live.client.get(f"/v1/sessions/{sid}", headers=bearer(token))
    assert mine.status_code == 200 and [t["message"] for t in mine.json()["turns"]] == [
        "is it just tight hamstrings?"
    ]

    assert live.client.delete(f"/v1/sessions/{sid}", headers=bearer(token)).status_code == 204
    every_use_is_refused(live, sid, token, 404, "unknown_session")  # the token replayed after erasure
    feedback = {"turn_id": a["turn_id"], "rating": "up", "session_token": token}
    refused(live.client.post("/v1/feedback", json=feedback), 404, "not_found")
    assert (
        live.client.get(f"/v1/sessions/{b['session_id']}", headers=bearer(b["session_token"])).status_code
        == 200
    )


def test_feedback_on_another_sessions_turn_is_refused(live: Live) -> None:
    a, b = live.opened(), live.opened("what is a good cadence?")

    def rows() -> list[tuple[str, str]]:
        with live.db() as db:
            return db.execute(
                "SELECT rating, comment FROM feedback WHERE turn_id = ?", (a["turn_id"],)
            ).fetchall()

    own = {"turn_id": a["turn_id"], "rating": "up", "session_token": a["session_token"]}
    assert live.client.post("/v1/feedback", json=own).status_code == 201
    for token in (b["session_token"], None, "forged"):
        attack = {"turn_id": a["turn_id"], "rating": "down", "comment": "spam", "session_token": token}
        refused(live.client.post("/v1/feedback", json=attack), 401, "bad_session_token")
        refused(
            live.client.post(
                "/v1/feedback", json={**attack, "session_token": None}, headers=bearer(token or "x")
            ),
            401,
            "bad_session_token",
        )
    assert rows() == [("up", "")]
    again = {**own, "rating": "down", "comment": "on reflection"}
    for _ in range(3):  # as often as they like: one feedback per turn, the last one kept
        assert live.client.post("/v1/feedback", json=again).status_code == 201
    assert rows() == [("down", "on reflection")]


def test_a_private_discord_ask_never_colours_a_public_one(
    live: Live, discord_key: SigningKey, discord_api: FakeAPI
) -> None:
    guild, channel, user = "G1", unique("CH"), "U42"
    private = discord_ask(
        live,
        discord_key,
        discord_api,
        ask_interaction(RED_FLAG, private=True, guild=guild, channel=channel, user=user),
    )
    assert "Emergency" in private.json["content"], "the private answer escalates"
    public = discord_ask(
        live,
        discord_key,
        discord_api,
        ask_interaction(
            "how many dead bugs should I do?", private=False, guild=guild, channel=channel, user=user
        ),
    )
    text = shown(public)
    assert "Emergency" not in text and "🚨" not in text and "toilet" not in text.lower()
    assert "dead bug" in text.lower()
    with live.db() as db:
        states = {
            sid: json.loads(state)["triage"]["level"]
            for sid, state in db.execute(
                "SELECT id, state FROM sessions WHERE id IN (?, ?)",
                (
                    live.keys.door("discord", guild, channel, "private", user),
                    live.keys.door("discord", guild, channel, "public", user),
                ),
            )
        }
    assert sorted(states.values()) == ["emergency", "none"], "two sessions, each with its own triage"


def test_a_shared_slack_thread_keeps_each_members_triage_their_own(live: Live, slack_api: FakeAPI) -> None:
    channel, thread = unique("C"), "1700000200.000100"
    first = slack_mention(live, slack_api, RED_FLAG, channel, "UALICE", thread, thread)
    assert first.json["blocks"][0]["type"] == "header" and "Emergency" in shown(first)

    other = slack_mention(
        live, slack_api, "how many dead bugs should I do?", channel, "UBOB", "1700000200.000500", thread
    )
    text = shown(other)
    assert other.json["blocks"][0]["type"] != "header"
    assert "Emergency" not in text and "toilet" not in text.lower()

    again = slack_mention(
        live, slack_api, "and what about stretching?", channel, "UALICE", "1700000200.000900", thread
    )
    assert again.json["blocks"][0]["type"] == "header", "Alice's own escalation holds in the thread"


def test_no_personal_detail_survives_in_storage_past_the_window_or_in_the_logs(live: Live) -> None:
    reply = live.opened(PII_MESSAGE)
    sid, token = reply["session_id"], reply["session_token"]
    assert reply["triage"]["level"] == "emergency"
    flag_ids = [f["id"] for f in reply["triage"]["flags"]]
    assert flag_ids and all(set(f) == {"id", "level", "label"} for f in reply["triage"]["flags"])
    assert live.client.get(f"/v1/sessions/{sid}", headers=bearer(token)).status_code == 200
    live.client.get("/v1/sessions/s_does_not_exist")  # a 404 is logged too

    with live.db() as db:
        (audit,) = db.execute("SELECT record FROM audit WHERE session_id = ?", (sid,)).fetchone()
        (state,) = db.execute("SELECT state FROM sessions WHERE id = ?", (sid,)).fetchone()
    for detail in PII.values():
        assert detail.lower() not in audit.lower(), f"{detail!r} in the audit trail"
        assert detail.lower() not in state.lower(), f"{detail!r} in the session state"
    assert "toilet" not in state and "evidence" not in json.loads(state)["triage"]["facts"]

    # Past the window (the app redacts every few minutes; `runsource purge` does the same at once).
    env = {
        **os.environ,
        "RUNSOURCE_DATA_DIR": str(live.data),
        "RUNSOURCE_FULL_TEXT_HOURS": "0",
        "HF_HUB_OFFLINE": "1",
    }
    done = subprocess.run(
        [sys.executable, "-m", "assistant.cli", "purge"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    with live.db() as db:
        everything = "\n".join(
            str(row)
            for table in ("sessions", "turns", "audit", "feedback", "audit_erased")
            for row in db.execute(f"SELECT * FROM {table}")
        )
    for detail in PII.values():
        assert detail.lower() not in everything.lower(), f"{detail!r} stored past the window"
    kept = live.client.get(f"/v1/sessions/{sid}", headers=bearer(token)).json()["turns"][0]["message"]
    assert "[name]" in kept and "toilet paper" in kept, "the conversation is still there, redacted"

    time.sleep(0.5)  # let the access log flush
    log = live.log.read_text(errors="replace")
    assert "/v1/sessions/k" in log, "the access log names a keyed hash, not the id"
    for secret in (sid, token, *flag_ids, *PII.values(), "toilet paper"):
        assert secret not in log, f"{secret!r} reached the log"
