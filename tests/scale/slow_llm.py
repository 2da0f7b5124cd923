"""A stand-in for a hosted, OpenAI-compatible LLM that streams one token every `interval` seconds.

The issue's starvation attack: with a model this slow, 45 open streams once held 45 pool threads
and made `/healthz` take 11 s. Bound to 127.0.0.1 on a free port; nothing leaves the machine.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

HOST = "127.0.0.1"
REPLY = (
    "Tight hamstrings are rarely the whole story for a runner's low back [1]. "
    "Hip extension and trunk control matter as much as length [1]. "
    "Build them gradually alongside your running [1]."
)


class SlowLLM:
    """`with SlowLLM(interval=1.5) as llm:` serves `llm.base_url` until the block ends."""

    def __init__(self, interval: float = 1.5, reply: str = REPLY) -> None:
        self.interval = interval
        self.tokens = [w + " " for w in reply.split(" ")]
        self.calls = 0
        self.stop = threading.Event()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # /v1/chat/completions with "stream": true
                length = int(self.headers.get("content-length", "0"))
                self.rfile.read(length)
                owner.calls += 1
                self.send_response(200)
                self.send_header("content-type", "text/event-stream")
                self.send_header("connection", "close")
                self.end_headers()
                try:
                    for token in owner.tokens:
                        if owner.stop.wait(owner.interval):
                            return
                        self._chunk({"content": token}, None)
                    self._chunk({}, "stop")
                    self.wfile.write(b"data: [DONE]\n\n")
                    self.wfile.flush()
                except OSError:  # the app gave up (its timeout) and closed the connection
                    return

            def _chunk(self, delta: dict[str, Any], finish: str | None) -> None:
                chunk = {
                    "id": "chatcmpl-slow",
                    "object": "chat.completion.chunk",
                    "created": int(time.time()),
                    "model": "slow",
                    "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
                }
                self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                self.wfile.flush()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer((HOST, 0), Handler)
        self.server.daemon_threads = True

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.server.server_address[1]}/v1"

    def __enter__(self) -> SlowLLM:
        threading.Thread(target=self.server.serve_forever, name="slow-llm", daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.server.shutdown()
        self.server.server_close()
