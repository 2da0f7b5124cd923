"""A local HTTP server standing in for Slack's Web API and Discord's REST API; it records every request.

It answers the few calls our doors make the way the real services do (shape, not content):
Slack `auth.test`, `chat.postMessage` and response_url posts; Discord webhook edits, follow-ups and
command registration. Anything else gets a 404, so an unexpected call shows up in the test.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs


@dataclass
class Call:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    json: Any = None
    form: dict[str, str] = field(default_factory=dict)
    at: float = field(default_factory=time.monotonic)


def _answer(call: Call) -> tuple[int, Any]:
    path, method = call.path, call.method
    if path.endswith("/auth.test"):
        return 200, {
            "ok": True,
            "url": "https://club.slack.com/",
            "team": "Running Club",
            "user": "runsource",
            "team_id": "T1",
            "user_id": "UBOT",
            "bot_id": "BBOT",
            "is_enterprise_install": False,
        }
    if path.endswith("/chat.postMessage"):
        sent = call.json or call.form
        return 200, {
            "ok": True,
            "channel": sent.get("channel"),
            "ts": f"{time.time():.6f}",
            "message": {"type": "message", "text": sent.get("text", ""), "user": "UBOT"},
        }
    if path.startswith("/response/"):
        return 200, "ok"
    if "/webhooks/" in path and method == "PATCH" and path.endswith("/messages/@original"):
        return 200, {"id": "900", "content": (call.json or {}).get("content", "")}
    if "/webhooks/" in path and method == "POST":
        return 200, {"id": "901", "content": (call.json or {}).get("content", "")}
    if "/applications/" in path and method == "PUT":
        return 200, [
            {"id": str(1000 + n), "application_id": path.split("/")[4], **c}
            for n, c in enumerate(call.json or [])
        ]
    return 404, {"ok": False, "error": "unknown_method", "message": f"{method} {path} is not faked"}


class FakeAPI:
    """`with FakeAPI() as api:` serves on 127.0.0.1 at a free port; `api.calls` lists what arrived."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self._lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                call = Call(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                kind = self.headers.get("Content-Type", "")
                if body and "json" in kind:
                    call.json = json.loads(body)
                elif body and "x-www-form-urlencoded" in kind:
                    call.form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
                with outer._lock:
                    outer.calls.append(call)
                status, answer = _answer(call)
                raw = answer.encode() if isinstance(answer, str) else json.dumps(answer).encode()
                self.send_response(status)
                self.send_header(
                    "Content-Type", "text/plain" if isinstance(answer, str) else "application/json"
                )
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            do_GET = do_POST = do_PATCH = do_PUT = _handle

            def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, name="fake-api", daemon=True)

    def __enter__(self) -> FakeAPI:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def matching(self, predicate: Callable[[Call], bool]) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if predicate(c)]

    def wait_for(
        self, predicate: Callable[[Call], bool], count: int = 1, timeout: float = 60.0
    ) -> list[Call]:
        """The matching calls once there are `count` of them; fails after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.matching(predicate)
            if len(found) >= count:
                return found
            time.sleep(0.05)
        raise AssertionError(
            f"expected {count} matching call(s) within {timeout}s; got {self.matching(predicate)}"
        )
