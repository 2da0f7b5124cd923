"""The HTTP edge: CORS allow-list, rate limits and security headers, as one ASGI middleware.

    EdgeMiddleware            built once per app; resolves settings on the first request
    └── SecurityHeaders       adds headers (CSP by kind of page) to every response
        └── CORSMiddleware    Starlette's, from `cors_origins`; also wraps 429s so browsers can read them
            └── RateLimits    per client IP and per session, on chat turns and feedback
                └── the app

Settings are read from `app.state.services` when the first request arrives, because `create_app`
only receives a `build` callable and the services exist once the lifespan has run. The buckets
live in this process's memory, unless sessions live in Redis (`RUNSOURCE_SESSIONS_URL=redis://`):
then every worker and machine shares them there (`assistant.ratelimit_redis`).
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assistant.settings import Settings

__all__ = [
    "EdgeMiddleware",
    "Limiter",
    "RateLimiter",
    "RateLimits",
    "SecurityHeaders",
    "build_edge",
    "content_security_policy",
    "make_limiter",
]

TURN_PATHS = frozenset({"/v1/chat", "/v1/chat/stream"})
FEEDBACK_PATHS = frozenset({"/v1/feedback"})
MAX_LIMITED_BODY = 64 * 1024  # a 4,000-character message is far below this even fully escaped
_NO_CSP_PREFIXES = ("/docs", "/redoc")  # FastAPI's API pages load their own scripts and styles

# The pages we serve run only our own script; the widget's fetches go to the same origin.
_PAGE_CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "connect-src": "'self'",
    "font-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
# Knowledge pages carry one inline <style> block written by routes.py.
_KNOWLEDGE_CSP = {**_PAGE_CSP, "style-src": "'self' 'unsafe-inline'", "script-src": "'none'"}
_DATA_CSP = {"default-src": "'none'", "frame-ancestors": "'none'"}


def content_security_policy(path: str, content_type: str) -> str | None:
    """The CSP for one response: strict for our pages, deny-all for data, none for the API docs."""
    if path.startswith(_NO_CSP_PREFIXES):
        return None
    if content_type.startswith("text/html"):
        policy = _KNOWLEDGE_CSP if path.startswith("/knowledge/") else _PAGE_CSP
    else:
        policy = _DATA_CSP
    return "; ".join(f"{k} {v}" for k, v in policy.items())


class Limiter(Protocol):
    def retry_after(self, key: str) -> int | None: ...


class RateLimiter:
    """Token buckets: `limit` requests per minute per key, refilled continuously."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, last update)
        self._lock = threading.Lock()
        self._next_sweep = 0.0

    def retry_after(self, key: str) -> int | None:
        """Take one token for `key`; None when allowed, else the whole seconds until one is free."""
        now = self.clock()
        with self._lock:
            self._sweep(now)
            tokens, last = self._buckets.get(key, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - last) * self.rate)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                return None
            self._buckets[key] = (tokens, now)
            return max(1, math.ceil((1.0 - tokens) / self.rate))

    def _sweep(self, now: float) -> None:
        # A bucket idle for a full minute is full again, so forgetting it changes nothing.
        if now < self._next_sweep:
            return
        self._next_sweep = now + 60.0
        stale = [k for k, (_, last) in self._buckets.items() if now - last >= 60.0]
        for k in stale:
            del self._buckets[k]

    def __len__(self) -> int:
        return len(self._buckets)


def _error(code: str, message: str) -> bytes:
    return json.dumps({"error": {"code": code, "message": message}}).encode()


async def _respond(send: Send, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


def client_ip(scope: Scope) -> str:
    """The peer address; run uvicorn with --proxy-headers behind a proxy so this is the runner's."""
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


def _session_of(body: bytes) -> str | None:
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):  # deeply nested JSON is refused later, with a 4xx
        return None  # the route answers malformed JSON with its own 400
    session = data.get("session_id") if isinstance(data, dict) else None
    return session if isinstance(session, str) and session else None


def make_limiter(settings: Settings, per_minute: int, name: str) -> Limiter:
    """In this process's memory, or in Redis when the sessions are there (shared by every worker)."""
    url = settings.sessions_url or ""
    if url.startswith(("redis://", "rediss://", "unix://")):
        from assistant.ratelimit_redis import RedisRateLimiter

        return RedisRateLimiter(url, per_minute, prefix=f"runsource:rl:{name}:")
    return RateLimiter(per_minute)


async def _retry_after(limiter: Limiter, key: str) -> int | None:
    if isinstance(limiter, RateLimiter):
        return limiter.retry_after(key)
    return await run_in_threadpool(limiter.retry_after, key)  # a network round trip: off the event loop


class RateLimits:
    """Limits chat turns per IP and per session, and feedback per IP; answers 429 with Retry-After."""

    def __init__(self, app: ASGIApp, *, ip: Limiter, session: Limiter, feedback: Limiter) -> None:
        self.app = app
        self.ip = ip
        self.session = session
        self.feedback = feedback

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope["path"]
        if scope["type"] != "http" or scope["method"] != "POST" or path not in TURN_PATHS | FEEDBACK_PATHS:
            await self.app(scope, receive, send)
            return
        ip = client_ip(scope)
        if path in FEEDBACK_PATHS:
            wait = await _retry_after(self.feedback, ip)
            if wait is not None:
                await self._limited(send, wait)
                return
            await self.app(scope, receive, send)
            return

        body = await _read_body(receive)
        if body is None:
            message = "The request body is over 64 KiB. Send one message at a time."
            await _respond(send, 413, _error("body_too_large", message))
            return
        wait = await _retry_after(self.ip, ip)
        if wait is None:
            session = _session_of(body)
            wait = await _retry_after(self.session, session) if session else None
        if wait is not None:
            await self._limited(send, wait)
            return
        await self.app(scope, _replay(body, receive), send)

    @staticmethod
    async def _limited(send: Send, wait: int) -> None:
        message = f"Too many messages. Please wait {wait} s and try again."
        await _respond(send, 429, _error("rate_limited", message), {"Retry-After": str(wait)})


async def _read_body(receive: Receive) -> bytes | None:
    """The whole request body, or None once it passes MAX_LIMITED_BODY."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_LIMITED_BODY:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def again() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # after the body, only a disconnect can come

    return again


class SecurityHeaders:
    """Adds security headers to every response, leaving any the route set itself."""

    def __init__(self, app: ASGIApp, *, hsts: bool) -> None:
        self.app = app
        self.hsts = hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope["path"]

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.headers_for(path, headers.get("content-type", "")).items():
                    if name not in headers:
                        headers[name] = value
            await send(message)

        await self.app(scope, receive, with_headers)

    def headers_for(self, path: str, content_type: str) -> dict[str, str]:
        headers = {
            "x-content-type-options": "nosniff",
            "referrer-policy": "strict-origin-when-cross-origin",
            "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=()",
        }
        csp = content_security_policy(path, content_type)
        if csp:
            headers["content-security-policy"] = csp
        if content_type.startswith("text/html"):
            headers["x-frame-options"] = "DENY"
            headers["cross-origin-opener-policy"] = "same-origin"
        if path == "/widget.js":
            headers["cross-origin-resource-policy"] = "cross-origin"  # customers' pages load it
        else:
            headers["cross-origin-resource-policy"] = "same-site"
        if path.startswith("/v1/"):
            headers["cache-control"] = "no-store"  # conversations are health information
        if self.hsts:
            headers["strict-transport-security"] = "max-age=31536000; includeSubDomains"
        return headers


def build_edge(app: ASGIApp, settings: Settings) -> ASGIApp:
    """The middleware chain around `app`, configured from settings."""
    limited = RateLimits(
        app,
        ip=make_limiter(settings, settings.rate_limit_ip_per_minute, "ip"),
        session=make_limiter(settings, settings.rate_limit_session_per_minute, "session"),
        feedback=make_limiter(settings, settings.rate_limit_ip_per_minute, "feedback"),
    )
    cors = CORSMiddleware(
        limited,
        allow_origins=[o.rstrip("/") for o in settings.cors_origins],
        allow_methods=["GET", "POST", "DELETE"],
        allow_headers=["Content-Type", "Accept", "Authorization"],
        expose_headers=["Retry-After"],
        max_age=600,
    )
    return SecurityHeaders(cors, hsts=settings.public_url.startswith("https://"))


@dataclass
class _Resolved:
    chain: ASGIApp


class EdgeMiddleware:
    """Registered with `app.add_middleware(EdgeMiddleware)`; builds the chain on first use."""

    def __init__(self, app: ASGIApp, settings: Settings | None = None) -> None:
        self.app = app
        self._settings = settings
        self._resolved: _Resolved | None = None
        self._lock = threading.Lock()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        chain = self._chain(scope)
        await chain(scope, receive, send)

    def _chain(self, scope: Scope) -> ASGIApp:
        if self._resolved is not None:
            return self._resolved.chain
        settings = self._settings or _settings_of(scope)
        if settings is None:
            # Not started yet (no lifespan): serve with default settings, and try again next time.
            return build_edge(self.app, Settings.model_validate({}))
        with self._lock:
            if self._resolved is None:
                self._resolved = _Resolved(build_edge(self.app, settings))
        return self._resolved.chain


def _settings_of(scope: Scope) -> Settings | None:
    app: Any = scope.get("app")
    services = getattr(getattr(app, "state", None), "services", None)
    settings = getattr(services, "settings", None)
    return settings if isinstance(settings, Settings) else None
