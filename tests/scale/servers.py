"""Real servers on free loopback ports for the scale tests and `make load`: Redis, Chroma, uvicorn.

Each one is a child process of the test run, bound to 127.0.0.1 only, and is stopped (and on
failure killed) when its context ends. Nothing here talks to any other address.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def redis_available() -> str | None:
    """Why Redis cannot be started here, or None when it can."""
    if shutil.which("redis-server") is None:
        return "redis-server is not installed (apt-get install -y redis-server)"
    try:
        import redis  # noqa: F401
    except ImportError:
        return "the redis Python package is not installed (pip install redis)"
    return None


def chroma_available() -> str | None:
    if _chroma_bin() is None:
        return "the chroma command (from the chromadb package) is not installed"
    return None


def _chroma_bin() -> str | None:
    local = BIN / "chroma"
    return str(local) if local.exists() else shutil.which("chroma")


class Process:
    """A child server: started, waited for until it answers, stopped, killed or restarted."""

    name = "server"

    def __init__(self, log_path: Path) -> None:
        self.log_path = log_path
        self.proc: subprocess.Popen[bytes] | None = None

    def command(self) -> list[str]:  # pragma: no cover - abstract
        raise NotImplementedError

    def environment(self) -> Mapping[str, str] | None:
        return None

    def is_ready(self) -> bool:  # pragma: no cover - abstract
        raise NotImplementedError

    def start(self, timeout: float = 60.0) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        env = self.environment()
        self.proc = subprocess.Popen(
            self.command(),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=ROOT,
            env=dict(env) if env is not None else None,
            start_new_session=True,  # its own process group: stop() ends workers too, nothing else
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited with {self.proc.returncode}; see {self.log_path}:\n{self.tail()}"
                )
            if self.is_ready():
                return
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(
            f"{self.name} did not become ready in {timeout:.0f} s; see {self.log_path}:\n{self.tail()}"
        )

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def _signal_group(self, sig: int) -> None:
        if self.proc is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, sig)

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM to the server's own process group, then SIGKILL if it lingers."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self._signal_group(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self._signal_group(signal.SIGKILL)
                self.proc.wait(5)
        # children (uvicorn workers) may outlive the parent by a moment
        self._signal_group(signal.SIGKILL)
        self.proc = None

    def kill(self) -> None:
        """SIGKILL the whole group at once: a crash, not a shutdown."""
        if self.proc is None:
            return
        self._signal_group(signal.SIGKILL)
        self.proc.wait(10)
        self.proc = None

    def restart(self, timeout: float = 60.0) -> None:
        self.stop()
        self.start(timeout)

    def __enter__(self) -> Process:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class RedisServer(Process):
    """`redis-server` on a free loopback port, no RDB snapshots, AOF on or off."""

    name = "redis-server"

    def __init__(
        self, workdir: Path, *, port: int | None = None, appendonly: bool = True, fsync: str = "everysec"
    ) -> None:
        workdir.mkdir(parents=True, exist_ok=True)
        super().__init__(workdir / "redis.log")
        self.workdir = workdir
        self.port = port or free_port()
        self.appendonly = appendonly
        self.fsync = fsync

    @property
    def url(self) -> str:
        return f"redis://{HOST}:{self.port}/0"

    def command(self) -> list[str]:
        return [
            "redis-server",
            "--port", str(self.port),
            "--bind", HOST,
            "--save", "",
            "--appendonly", "yes" if self.appendonly else "no",
            "--appendfsync", self.fsync,
            "--dir", str(self.workdir),
            "--daemonize", "no",
            "--protected-mode", "yes",
        ]  # fmt: skip

    def is_ready(self) -> bool:
        try:
            with socket.create_connection((HOST, self.port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                return s.recv(64).startswith(b"+PONG")
        except OSError:
            return False


class ChromaServer(Process):
    """`chroma run` (from the chromadb package) on a free loopback port, data in `path`."""

    name = "chroma"

    def __init__(self, path: Path, *, port: int | None = None) -> None:
        path.mkdir(parents=True, exist_ok=True)
        super().__init__(path.parent / f"{path.name}-chroma.log")
        self.path = path
        self.port = port or free_port()

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def command(self) -> list[str]:
        chroma = _chroma_bin()
        if chroma is None:
            raise RuntimeError("the chroma command is not installed (pip install chromadb)")
        return [chroma, "run", "--path", str(self.path), "--host", HOST, "--port", str(self.port)]

    def environment(self) -> Mapping[str, str]:
        return {**os.environ, "ANONYMIZED_TELEMETRY": "False", "CHROMA_TELEMETRY_IMPL": "none"}

    def is_ready(self) -> bool:
        try:
            return httpx.get(f"{self.url}/api/v2/heartbeat", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False


def app_env(data_dir: Path, **settings: str | int | float | None) -> dict[str, str]:
    """The environment for a server or CLI child: the parent's, offline, plus RUNSOURCE_* settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RUNSOURCE_")}
    env.update({"HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false", "PYTHONUNBUFFERED": "1"})
    env["RUNSOURCE_DATA_DIR"] = str(data_dir)
    env["RUNSOURCE_KNOWLEDGE_DIR"] = str(ROOT / "knowledge")
    env["RUNSOURCE_PROMPTS_DIR"] = str(ROOT / "prompts")
    for key, value in settings.items():
        if value is not None:
            env[f"RUNSOURCE_{key.upper()}"] = str(value)
    return env


def ingest(env: Mapping[str, str], timeout: float = 600) -> None:
    """Build the ONNX model and the index once, before several workers start (they would race)."""
    done = subprocess.run(
        # the CLI from this checkout (cwd first on sys.path), whatever `runsource` is installed
        [sys.executable, "-c", "import sys; from assistant.cli import main; sys.exit(main(['ingest']))"],
        env=dict(env),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"runsource ingest failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")


class AppServer(Process):
    """`uvicorn server:app --workers N` on a free loopback port, with the given environment."""

    name = "uvicorn"

    def __init__(
        self, env: Mapping[str, str], log_path: Path, *, workers: int = 2, port: int | None = None
    ) -> None:
        super().__init__(log_path)
        self.env = dict(env)
        self.workers = workers
        self.port = port or free_port()

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def command(self) -> list[str]:
        return [
            sys.executable, "-m", "uvicorn", "server:app",
            "--host", HOST, "--port", str(self.port),
            "--workers", str(self.workers),
            "--no-access-log", "--timeout-graceful-shutdown", "5",
        ]  # fmt: skip

    def environment(self) -> Mapping[str, str]:
        return self.env

    def is_ready(self) -> bool:
        try:
            return httpx.get(f"{self.url}/readyz", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def worker_pids(self) -> list[int]:
        """The worker processes (multiprocessing children of the uvicorn supervisor)."""
        if self.proc is None:
            return []
        out = subprocess.run(
            ["ps", "-ww", "-o", "pid=,args=", "--ppid", str(self.proc.pid)],
            capture_output=True,
            text=True,
            check=False,
        ).stdout
        return [int(line.split()[0]) for line in out.splitlines() if "spawn_main" in line]


@contextlib.contextmanager
def running(*servers: Process) -> Iterator[None]:
    """Start the servers in order; stop them in reverse order, even on failure."""
    started: list[Process] = []
    try:
        for server in servers:
            server.start()
            started.append(server)
        yield
    finally:
        for server in reversed(started):
            server.stop()
