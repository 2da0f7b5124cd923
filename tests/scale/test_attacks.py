"""The attacks of issue 15, re-run against the live app (uvicorn in a child process).

Each test is one attack from the issue, with the figure the issue measured before the fix in its
docstring; the assertions are the bound that now holds. Run with `-s` to see the figures measured.
Slack's and Discord's servers and the hosted LLM are local stand-ins; everything else is real.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import random
import socket
import string
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from nacl.signing import SigningKey

from tests.doors.fake_api import FakeAPI
from tests.scale.servers import HOST, AppServer, app_env, ingest
from tests.scale.slow_llm import SlowLLM

SLACK_SECRET = "attack-signing-secret-0123456789"
APP_ID = "4242424242"
NO_LIMITS = {"rate_limit_ip_per_minute": 1_000_000, "rate_limit_session_per_minute": 1_000_000}


def figure(text: str) -> None:
    print(f"\n[issue 15 figure] {text}")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_s(pid: int) -> float:
    """CPU seconds the process has used (all its threads): a work measure that, unlike wall time,
    does not grow when other work shares the machine."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def worker_pid(server: AppServer) -> int:
    pids = server.worker_pids()
    assert server.proc is not None
    return pids[0] if pids else server.proc.pid


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("attacks")
    ingest(app_env(path / "data"))
    return path


@pytest.fixture(scope="module")
def fake_api() -> Iterator[FakeAPI]:
    with FakeAPI() as api:
        yield api


@pytest.fixture(scope="module")
def discord_key() -> SigningKey:
    return SigningKey.generate()


@pytest.fixture(scope="module")
def app(data_dir: Path, fake_api: FakeAPI, discord_key: SigningKey) -> Iterator[AppServer]:
    """One worker, the grounded responder, Slack and Discord configured, the default door limits."""
    env = app_env(
        data_dir / "data",
        slack_bot_token="xoxb-attack",
        slack_signing_secret=SLACK_SECRET,
        slack_api_url=f"{fake_api.url}/api/",
        discord_public_key=discord_key.verify_key.encode().hex(),
        discord_app_id=APP_ID,
        discord_bot_token="discord-attack",
        discord_api_url=f"{fake_api.url}/api/v10",
        **NO_LIMITS,
    )
    with AppServer(env, data_dir / "app.log", workers=1) as server:
        yield server


def chat(url: str, message: str, timeout: float = 60) -> tuple[int, float]:
    start = time.perf_counter()
    r = httpx.post(f"{url}/v1/chat", json={"message": message}, timeout=timeout)
    return r.status_code, time.perf_counter() - start


# ------------------------------------------------------------------ one message, bounded cost
def test_one_4000_letter_word_costs_milliseconds_not_gigabytes(app: AppServer) -> None:
    """Before: 800 letters 2.0 s; 1,600 letters 13.5 s and 2.3 GB; 4,000 letters 14 GB, then a 500."""
    word = "".join(random.Random(15).choice(string.ascii_lowercase) for _ in range(4000))
    pid = worker_pid(app)
    chat(app.url, "warm up")
    before, cpu = rss_mb(pid), cpu_s(pid)
    status, seconds = chat(app.url, word)
    grown, used = rss_mb(pid) - before, cpu_s(pid) - cpu
    figure(
        f"4,000-letter word: {status} in {seconds * 1000:.0f} ms, worker CPU {used * 1000:.0f} ms, "
        f"RSS +{grown:.1f} MB"
    )
    assert status == 200
    assert used < 1.0, "the issue's target: at most 1 s of CPU for one request"
    assert grown < 100, "the issue's target: at most 100 MB for one request"


def test_a_repeated_flag_phrase_four_at_once(app: AppServer) -> None:
    """Before: "cant wee " to 4,000 characters took 1.8-2.4 s a turn; four at once 9.6 s each."""
    message = ("cant wee " * 450)[:4000]
    times: list[float] = []
    statuses: list[int] = []

    def one() -> None:
        status, seconds = chat(app.url, message)
        statuses.append(status)
        times.append(seconds)

    pid = worker_pid(app)
    cpu = cpu_s(pid)
    one()
    alone = cpu_s(pid) - cpu
    figure(f"'cant wee' x 444 alone: {times[0] * 1000:.0f} ms, worker CPU {alone * 1000:.0f} ms")
    threads = [threading.Thread(target=one) for _ in range(4)]
    cpu = cpu_s(pid)
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    four = cpu_s(pid) - cpu
    figure(
        f"'cant wee' x 444, four at once: slowest {max(times[1:]) * 1000:.0f} ms, "
        f"worker CPU {four * 1000:.0f} ms for the four"
    )
    assert statuses == [200] * 5
    assert alone < 1.0 and four < 4.0, "at most 1 s of CPU a request (before: about 2 s each)"


# ------------------------------------------------------------------ Slack's edge
def slack_headers(body: bytes, ts: str | None = None) -> dict[str, str]:
    ts = ts or str(int(time.time()))
    digest = hmac.new(SLACK_SECRET.encode(), b"v0:" + ts.encode() + b":" + body, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


def raw_post(url: str, path: str, head: dict[str, str], body_part: bytes) -> tuple[str, float]:
    """Sends the headers and a first piece of the body only, and reads what the server answers."""
    port = int(url.rsplit(":", 1)[1])
    start = time.perf_counter()
    with socket.create_connection((HOST, port), timeout=10) as s:
        lines = [f"POST {path} HTTP/1.1", f"Host: {HOST}", *(f"{k}: {v}" for k, v in head.items()), "", ""]
        s.sendall("\r\n".join(lines).encode() + body_part)
        answer = s.recv(65536).decode(errors="replace")
    return answer.split("\r\n", 1)[0], time.perf_counter() - start


def test_an_unsigned_200_mb_form_is_refused_unread(app: AppServer) -> None:
    """Before: parsed before rejection: 68 s of CPU and about 480 MB of memory."""
    pid = worker_pid(app)
    before = rss_mb(pid)
    head = {"Content-Type": "application/x-www-form-urlencoded", "Content-Length": str(200 * 1024 * 1024)}
    status, seconds = raw_post(app.url, "/slack/events", head, b"payload=" + b"%5B" * 1000)
    figure(f"unsigned 200 MB form (declared): '{status}' in {seconds * 1000:.0f} ms")
    assert " 413 " in status
    chunks = (b"%5B" * 65536 for _ in range(80))  # 15 MB sent chunked, no Content-Length
    start = time.perf_counter()
    r = httpx.post(
        f"{app.url}/slack/events",
        content=chunks,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        timeout=30,
    )
    seconds = time.perf_counter() - start
    figure(f"unsigned 15 MB form (chunked): {r.status_code} in {seconds * 1000:.0f} ms")
    assert r.status_code == 413
    assert rss_mb(pid) - before < 50


def test_a_malformed_slack_timestamp_is_a_401(app: AppServer) -> None:
    """Before: `X-Slack-Request-Timestamp: abc` gave a 500 with a traceback in the log."""
    body = b'{"type": "event_callback"}'
    r = httpx.post(
        f"{app.url}/slack/events",
        content=body,
        headers={
            **slack_headers(body),
            "X-Slack-Request-Timestamp": "abc",
            "Content-Type": "application/json",
        },
    )
    figure(f"Slack timestamp 'abc': {r.status_code} {r.json()['error']['code']}")
    assert r.status_code == 401
    assert "Traceback" not in app.tail(200)


def test_a_replayed_slack_command_is_answered_once(app: AppServer, fake_api: FakeAPI) -> None:
    """Before: one signed Slack command sent twice got two answers."""
    hook = f"/response/{uuid.uuid4().hex}"
    form = urlencode(
        {
            "team_id": "TATTACK",
            "channel_id": "CATTACK",
            "user_id": "UATTACK",
            "command": "/runsource",
            "text": "what is a good running cadence?",
            "response_url": fake_api.url + hook,
            "trigger_id": f"1.{uuid.uuid4().hex}",
        }
    ).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded", **slack_headers(form)}
    codes = [
        httpx.post(f"{app.url}/slack/events", content=form, headers=headers).status_code for _ in range(2)
    ]
    fake_api.wait_for(lambda c: c.path == hook)
    time.sleep(1.5)
    answers = len(fake_api.matching(lambda c: c.path == hook))
    figure(f"signed Slack command sent twice: {codes}, {answers} answer(s)")
    assert answers == 1


# ------------------------------------------------------------------ Discord's edge
def interaction(user: str = "UATTACK", guild: str = "GATTACK") -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4().int)[:18],
        "application_id": APP_ID,
        "type": 2,
        "token": f"tok-{uuid.uuid4().hex}",
        "version": 1,
        "channel_id": f"CH{uuid.uuid4().hex[:8]}",
        "guild_id": guild,
        "member": {"user": {"id": user}},
        "data": {
            "id": "1",
            "name": "ask",
            "type": 1,
            "options": [{"name": "question", "type": 3, "value": "hi"}],
        },
    }


def post_interaction(url: str, key: SigningKey, payload: dict[str, Any]) -> httpx.Response:
    body = json.dumps(payload).encode()
    ts = str(int(time.time()))
    headers = {
        "X-Signature-Ed25519": key.sign(ts.encode() + body).signature.hex(),
        "X-Signature-Timestamp": ts,
        "Content-Type": "application/json",
    }
    return httpx.post(f"{url}/discord/interactions", content=body, headers=headers, timeout=30)


def test_seventy_asks_from_one_user_are_rate_limited(app: AppServer, discord_key: SigningKey) -> None:
    """Before: 70 signed Discord `/ask` requests from one user all got 200 and a turn each."""
    guild = f"G{uuid.uuid4().hex[:8]}"
    kinds = [
        post_interaction(app.url, discord_key, interaction(guild=guild)).json()["type"] for _ in range(70)
    ]
    figure(f"70 /ask from one user: {kinds.count(5)} answered, {kinds.count(4)} told to wait")
    assert kinds.count(5) == 10 and kinds.count(4) == 60


def test_a_replayed_interaction_is_edited_once(
    app: AppServer, discord_key: SigningKey, fake_api: FakeAPI
) -> None:
    """Before: one Discord interaction sent three times got three edits."""
    payload = interaction(user=f"U{uuid.uuid4().hex[:8]}", guild=f"G{uuid.uuid4().hex[:8]}")
    codes = [post_interaction(app.url, discord_key, payload).status_code for _ in range(3)]
    edit = f"/api/v10/webhooks/{APP_ID}/{payload['token']}/messages/@original"
    fake_api.wait_for(lambda c: c.path == edit)
    time.sleep(1.5)
    edits = len(fake_api.matching(lambda c: c.path == edit))
    figure(f"one interaction sent three times: {codes}, {edits} edit(s)")
    assert codes == [200, 409, 409] and edits == 1


# ------------------------------------------------------------------ slow LLM streams
@pytest.fixture(scope="module")
def llm_app(data_dir: Path) -> Iterator[tuple[AppServer, SlowLLM]]:
    """One worker with an LLM that sends a token every 1.5 s (the issue's starvation attack)."""
    with SlowLLM(interval=1.5) as llm:
        env = app_env(
            data_dir / "data",
            llm="openai-compatible:slow",
            llm_base_url=llm.base_url,
            llm_timeout_s=12,
            **NO_LIMITS,
        )
        with AppServer(env, data_dir / "llm-app.log", workers=1) as server:
            yield server, llm


def test_45_slow_llm_streams_do_not_starve_health_or_chat(llm_app: tuple[AppServer, SlowLLM]) -> None:
    """Before: 45 open streams made `/healthz` take 11 s and an ordinary chat 16 s."""
    server, llm = llm_app
    question = {"message": "my lower back aches on long runs, is it just tight hamstrings?"}
    outcomes: list[str] = []

    def stream() -> None:
        with httpx.stream("POST", f"{server.url}/v1/chat/stream", json=question, timeout=60) as r:
            done = ""
            for line in r.iter_lines():
                if line.startswith("data: ") and '"mode"' in line and '"reply"' in line:
                    done = json.loads(line[6:]).get("mode", "")
            outcomes.append(f"{r.status_code}:{done}")

    threads = [threading.Thread(target=stream, daemon=True) for _ in range(45)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 20
    while llm.calls < 8 and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(1.0)
    health = []
    with httpx.Client(timeout=30) as client:  # one connection: time the server, not TLS context setup
        for _ in range(20):
            start = time.perf_counter()
            assert client.get(f"{server.url}/healthz").status_code == 200
            health.append(time.perf_counter() - start)
            time.sleep(0.05)
    status, turn_s = chat(server.url, "what is a good running cadence?")
    health.sort()
    figure(
        f"45 slow LLM streams open ({llm.calls} model calls): /healthz p50 {health[10] * 1000:.1f} ms, "
        f"max {health[-1] * 1000:.1f} ms; an ordinary chat {turn_s * 1000:.0f} ms ({status})"
    )
    for t in threads:
        t.join(60)
    modes = {o: outcomes.count(o) for o in set(outcomes)}
    figure(f"the 45 streams ended as {modes}")
    assert llm.calls <= 8 + 1, "at most RUNSOURCE_LLM_MAX_CONCURRENT model calls at once"
    # Wall time, so bounds with room for a busy machine: before, these waited 10.6 s and 12.1 s.
    assert health[10] < 0.25 and health[-1] < 2.0
    assert status == 200 and turn_s < 3.0
    assert len(outcomes) == 45 and all(o.startswith("200:") for o in outcomes)
