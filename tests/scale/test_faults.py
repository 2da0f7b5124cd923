"""Faults: the vector store or Redis going away mid-run, a worker SIGKILLed mid-turn, an LLM timing out.

What must hold: /readyz turns false, requests get a clear 503 with the error object, nothing
half-written, recovery by itself when the backend returns; every acknowledged turn survives a
crash; a hosted LLM that never answers falls back to the grounded reply within the turn.
"""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from assistant.settings import ROOT, Settings
from tests.scale.servers import HOST, AppServer, ChromaServer, RedisServer, app_env

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")

QUESTION = "my lower back aches on long runs, is it just tight hamstrings?"
Response = Any  # the TestClient's response class (httpx or httpx2, by Starlette version)
NO_LIMITS: dict[str, Any] = {
    "rate_limit_ip_per_minute": 1_000_000,
    "rate_limit_session_per_minute": 1_000_000,
}


@pytest.fixture(scope="session")
def scale_data(tmp_path_factory: pytest.TempPathFactory, settings: Settings, embeddings: Any) -> Path:
    """A data folder with the ONNX model already exported (copied from the suite's own)."""
    path = tmp_path_factory.mktemp("scale-data")
    shutil.copytree(settings.data_dir / "onnx", path / "onnx")
    return path


@pytest.fixture(scope="session")
def chroma_index(chroma_server: ChromaServer, scale_data: Path) -> ChromaServer:
    """The knowledge ingested once into the Chroma server."""
    from assistant.embeddings import load_embeddings
    from assistant.index import KnowledgeIndex

    s = scale_settings(scale_data, chroma_url=chroma_server.url)
    KnowledgeIndex(s, load_embeddings("onnx", scale_data)).ingest()
    return chroma_server


def scale_settings(data_dir: Path, **extra: Any) -> Settings:
    return Settings(
        data_dir=data_dir,
        knowledge_dir=ROOT / "knowledge",
        prompts_dir=ROOT / "prompts",
        **NO_LIMITS,
        **extra,
    )


@pytest.fixture
def scaled(chroma_index: ChromaServer, own_redis: RedisServer, scale_data: Path) -> Iterator[TestClient]:
    """The app in this process on Chroma server + a Redis of this test's own."""
    from assistant.api import create_app
    from assistant.services import build_services

    services = build_services(
        scale_settings(scale_data, chroma_url=chroma_index.url, sessions_url=own_redis.url), ingest=False
    )
    with TestClient(create_app(lambda: services), raise_server_exceptions=False) as client:
        yield client


TOKENS: dict[str, str] = {}  # session id -> its token, as a client keeps them


def turn(client: TestClient, message: str = QUESTION, session_id: str | None = None) -> Response:
    body: dict[str, Any] = {"message": message}
    if session_id:
        body["session_id"] = session_id
        body["session_token"] = TOKENS[session_id]
    resp = client.post("/v1/chat", json=body)
    if resp.status_code == 200 and resp.json().get("session_token"):
        TOKENS[resp.json()["session_id"]] = resp.json()["session_token"]
    return resp


def assert_clear_503(resp: Response) -> None:
    assert resp.status_code == 503, resp.text
    body = resp.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == "unavailable"
    assert body["error"]["message"]
    assert "Traceback" not in resp.text


def stored_turns(client: TestClient, session_id: str) -> list[str]:
    services = client.app.state.services  # type: ignore[attr-defined]
    return [t.turn_id for t in services.sessions.history(session_id, limit=100)]


def test_redis_going_away_is_a_503_and_the_session_resumes(
    scaled: TestClient, own_redis: RedisServer
) -> None:
    first = turn(scaled)
    assert first.status_code == 200, first.text
    sid = first.json()["session_id"]
    assert scaled.get("/readyz").status_code == 200

    own_redis.stop()
    ready = scaled.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["status"] == "unavailable"
    assert_clear_503(turn(scaled, "and what about my hips?", sid))
    assert_clear_503(turn(scaled))  # a new session too

    own_redis.start()
    assert scaled.get("/readyz").status_code == 200
    assert stored_turns(scaled, sid) == [first.json()["turn_id"]]  # the refused turn left nothing
    again = turn(scaled, "what exercises help with that?", sid)
    assert again.status_code == 200, again.text
    assert stored_turns(scaled, sid) == [first.json()["turn_id"], again.json()["turn_id"]]


def test_redis_dying_just_before_the_write_leaves_nothing(
    scaled: TestClient, own_redis: RedisServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    sessions = scaled.app.state.services.sessions  # type: ignore[attr-defined]
    first = turn(scaled)
    sid = first.json()["session_id"]
    real_save = sessions.save_turn

    def dying_save(*args: Any, **kwargs: Any) -> None:
        own_redis.kill()
        real_save(*args, **kwargs)

    monkeypatch.setattr(sessions, "save_turn", dying_save)
    assert_clear_503(turn(scaled, "does stretching help?", sid))
    monkeypatch.setattr(sessions, "save_turn", real_save)

    own_redis.start()
    assert stored_turns(scaled, sid) == [first.json()["turn_id"]]
    assert len(sessions.audit(sid)) == 1
    assert turn(scaled, "does stretching help?", sid).status_code == 200


def test_chroma_going_away_is_a_503_and_recovers(scaled: TestClient, chroma_index: ChromaServer) -> None:
    first = turn(scaled)
    assert first.status_code == 200, first.text
    sid = first.json()["session_id"]
    chroma_index.stop()
    try:
        ready = scaled.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["status"] == "unavailable"
        assert_clear_503(turn(scaled, "which exercises help with that?", sid))
    finally:
        chroma_index.start()
    assert stored_turns(scaled, sid) == [first.json()["turn_id"]]
    assert scaled.get("/readyz").status_code == 200
    again = turn(scaled, "which exercises help with that?", sid)
    assert again.status_code == 200, again.text
    assert again.json()["citations"]


# A worker killed mid-turn


class Runners:
    """Threads holding conversations against a server, recording every acknowledged turn."""

    def __init__(self, url: str, n: int) -> None:
        self.url = url
        self.acked: dict[str, list[str]] = {}
        self.failures = 0
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self.tokens: dict[str, str] = {}
        self._threads = [threading.Thread(target=self._run, args=(i,), daemon=True) for i in range(n)]

    def _run(self, i: int) -> None:
        messages = [QUESTION, "what can I do about it?", "how many of those?", "does stretching help?"]
        with httpx.Client(base_url=self.url, timeout=20) as client:
            sid: str | None = None
            k = 0
            deadline = time.monotonic() + 120
            while not self._stop.is_set() and time.monotonic() < deadline:
                body: dict[str, Any] = {"message": messages[k % len(messages)]}
                if sid:
                    body["session_id"] = sid
                    body["session_token"] = self.tokens[sid]
                try:
                    resp = client.post("/v1/chat", json=body)
                except httpx.HTTPError:
                    with self._lock:
                        self.failures += 1
                    time.sleep(0.05)
                    continue
                if resp.status_code != 200:
                    with self._lock:
                        self.failures += 1
                    time.sleep(0.05)
                    continue
                reply = resp.json()
                with self._lock:
                    self.acked.setdefault(reply["session_id"], []).append(reply["turn_id"])
                    if reply.get("session_token"):
                        self.tokens[reply["session_id"]] = reply["session_token"]
                sid = reply["session_id"]
                k += 1
                if k % 5 == 0:
                    sid = None  # a new runner takes this thread's place

    def count(self) -> int:
        with self._lock:
            return sum(len(v) for v in self.acked.values())

    def wait_for(self, n: int, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while self.count() < n:
            assert time.monotonic() < deadline, f"only {self.count()} turns acknowledged in {timeout} s"
            time.sleep(0.05)

    def __enter__(self) -> Runners:
        for t in self._threads:
            t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(30)


@pytest.mark.parametrize("backend", ["sqlite", "redis"])
def test_acknowledged_turns_survive_sigkill(
    backend: str, tmp_path: Path, scale_data: Path, request: pytest.FixtureRequest
) -> None:
    import os
    import signal

    from assistant.sessions import SQLiteSessions

    data = tmp_path / "data"
    shutil.copytree(scale_data / "onnx", data / "onnx")
    # The index is the (already ingested) Chroma server either way: what is at stake is the session store.
    chroma: ChromaServer = request.getfixturevalue("chroma_index")
    extra: dict[str, Any] = {**NO_LIMITS, "chroma_url": chroma.url}
    if backend == "redis":
        redis_server: RedisServer = request.getfixturevalue("own_redis")
        extra["sessions_url"] = redis_server.url
    env = app_env(data, log_level="warning", **extra)
    app = AppServer(env, tmp_path / "uvicorn.log", workers=2)
    app.start(timeout=180)
    try:
        with Runners(app.url, 6) as runners:
            runners.wait_for(10)
            victims = app.worker_pids()
            assert len(victims) == 2, app.tail()
            os.kill(victims[0], signal.SIGKILL)  # one worker, mid-turn: its in-flight turns are lost
            before = runners.count()
            runners.wait_for(before + 10)  # the other worker (and uvicorn's replacement) go on
            app.kill()  # then the whole server, supervisor and workers, at once
            time.sleep(0.5)
        acked = runners.acked
        assert sum(len(v) for v in acked.values()) >= 20

        app.start(timeout=180)  # after the restart, through any worker of the new server
        with httpx.Client(base_url=app.url, timeout=30) as client:
            lost = []
            for sid, tids in acked.items():
                auth = {"Authorization": f"Bearer {runners.tokens[sid]}"}
                got = client.get(f"/v1/sessions/{sid}", params={"limit": 200}, headers=auth)
                assert got.status_code == 200, got.text
                stored_ids = {t["turn_id"] for t in got.json()["turns"]}
                lost += [t for t in tids if t not in stored_ids]
            assert lost == []

            if backend == "redis":
                from assistant.sessions_redis import RedisSessions

                store: Any = RedisSessions(extra["sessions_url"])
            else:
                store = SQLiteSessions(data / "sessions.sqlite3")
            for sid in acked:  # nothing half-written either: every stored turn has its audit record
                assert [a.turn_id for a in store.audit(sid)] == [t.turn_id for t in store.history(sid, 100)]

            sid, tids = next(iter(acked.items()))  # and the conversation goes on where it was
            body = {"message": "thanks!", "session_id": sid, "session_token": runners.tokens[sid]}
            resp = client.post("/v1/chat", json=body)
            assert resp.status_code == 200, resp.text
            assert [t.turn_id for t in store.history(sid, 100)][-1] == resp.json()["turn_id"]
    finally:
        app.stop()


# A hosted LLM that never answers in time


class _Silent(BaseHTTPRequestHandler):
    """An OpenAI-compatible endpoint that holds every request past the client's timeout."""

    calls = 0
    release = threading.Event()

    def do_POST(self) -> None:
        type(self).calls += 1
        length = int(self.headers.get("content-length", 0))
        self.rfile.read(length)
        self.release.wait(15)  # bounded, and released at teardown
        try:
            self.send_response(504)
            self.end_headers()
        except OSError:
            pass

    do_GET = do_POST

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def silent_llm() -> Iterator[str]:
    _Silent.calls = 0
    _Silent.release = threading.Event()
    server = ThreadingHTTPServer((HOST, 0), _Silent)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{HOST}:{server.server_address[1]}/v1"
    finally:
        _Silent.release.set()
        server.shutdown()
        server.server_close()


@pytest.mark.skipif(
    not (ROOT / "assistant" / "responders" / "llm.py").exists(),
    reason="the LLM responder (assistant/responders/llm.py) has not landed yet",
)
def test_an_llm_that_times_out_falls_back_to_the_grounded_reply(
    silent_llm: str, settings: Settings, embeddings: Any
) -> None:
    from assistant.api import create_app
    from assistant.services import build_services

    timeout = 1.0
    s = settings.model_copy(
        update={
            "llm": "openai-compatible:x",
            "llm_base_url": silent_llm,
            "llm_timeout_s": timeout,
            **NO_LIMITS,
        }
    )
    services = build_services(s)
    with TestClient(create_app(lambda: services), raise_server_exceptions=False) as client:
        started = time.monotonic()
        resp = turn(client)
        elapsed = time.monotonic() - started
    assert resp.status_code == 200, resp.text
    reply = resp.json()
    assert reply["mode"] == "grounded"
    assert reply["citations"], "the grounded fallback still cites the knowledge"
    assert _Silent.calls >= 1, "the LLM was never asked, so nothing timed out"
    assert elapsed < 4 * timeout + 5, f"the turn took {elapsed:.1f} s with a {timeout} s LLM timeout"
    notes = services.sessions.audit(reply["session_id"])[-1].guard
    assert notes, "the audit trail records why the LLM reply was not used"
