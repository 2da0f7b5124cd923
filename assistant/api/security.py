"""The HTTP edge: CORS allow-list, a body size cap and security headers, as one ASGI middleware.

    EdgeMiddleware            built once per app; resolves settings on the first request
    └── SecurityHeaders       adds headers (CSP by kind of page) to every response
        └── CORSMiddleware    Starlette's, from `cors_origins`; also wraps 429s so browsers can read them
            └── BodyLimit     413 for a body over 64 KiB (256 KiB for Slack and Discord), before parsing
                └── the app   rate limits are FastAPI dependencies on the routes (`assistant.api.deps`)

Settings are read from `app.state.services` when the first request arrives, because `create_app`
only receives a `build` callable and the services exist once the lifespan has run.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assistant.settings import Settings

__all__ = [
    "BodyLimit",
    "EdgeMiddleware",
    "SecurityHeaders",
    "build_edge",
    "client_ip",
    "content_security_policy",
    "max_body_bytes",
]

MAX_BODY = 64 * 1024  # a 4,000-character message is far below this even fully escaped
MAX_DOOR_BODY = 256 * 1024  # a Slack interactivity payload or Discord interaction, with room to spare
DOOR_PREFIXES = ("/slack/", "/discord/")
_API_PAGES = ("/docs", "/redoc")

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
# FastAPI's API pages (on in development only, see Settings.api_docs) load Swagger UI and ReDoc from
# their CDN and start them with an inline script; nothing else may load or run.
_CDN = "https://cdn.jsdelivr.net"
_API_PAGES_CSP = {
    "default-src": "'none'",
    "script-src": f"'unsafe-inline' {_CDN}",
    "style-src": f"'unsafe-inline' {_CDN} https://fonts.googleapis.com",
    "font-src": "https://fonts.gstatic.com",
    "img-src": "'self' data: https://fastapi.tiangolo.com https://cdn.redoc.ly",
    "worker-src": "blob:",
    "connect-src": "'self'",
    "base-uri": "'none'",
    "form-action": "'none'",
    "frame-ancestors": "'none'",
}


def content_security_policy(path: str, content_type: str) -> str:
    """The CSP for one response: strict for our pages, deny-all for data, the CDN for the API pages."""
    if path.startswith(_API_PAGES) and content_type.startswith("text/html"):
        policy = _API_PAGES_CSP
    elif content_type.startswith("text/html"):
        policy = _KNOWLEDGE_CSP if path.startswith("/knowledge/") else _PAGE_CSP
    else:
        policy = _DATA_CSP
    return "; ".join(f"{k} {v}" for k, v in policy.items())


def client_ip(scope: Scope) -> str:
    """The peer address; run uvicorn with --proxy-headers behind a proxy so this is the runner's."""
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


def max_body_bytes(path: str) -> int:
    """Slack's and Discord's signed payloads can carry more than a chat message; nothing else can."""
    return MAX_DOOR_BODY if path.startswith(DOOR_PREFIXES) else MAX_BODY


class BodyLimit:
    """Refuses a request body over `max_body_bytes(path)` with 413, before any of it is parsed.

    A declared Content-Length over the limit is answered at once, without reading the body; a body
    sent in chunks is counted as it arrives and the read fails with 413 at the first byte too many.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        limit = max_body_bytes(scope["path"])
        message = f"The request body is over {limit // 1024} KiB. Send one message at a time."
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await JSONResponse({"error": {"code": "body_too_large", "message": message}}, status_code=413)(
                scope, receive, send
            )
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            msg = await receive()
            if msg["type"] == "http.request":
                received += len(msg.get("body", b""))
                if received > limit:
                    # FastAPI re-raises an HTTPException from the body read; the error handler answers it
                    raise HTTPException(413, message)
            return msg

        await self.app(scope, counted, send)


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
    cors = CORSMiddleware(
        BodyLimit(app),
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
