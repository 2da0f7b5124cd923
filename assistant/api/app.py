"""The FastAPI application: built by `create_app`, services attached at start-up (lifespan)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from assistant.api import routes, stream, widget
from assistant.api.security import EdgeMiddleware
from assistant.doors import discord, slack
from assistant.errors import RateLimited, RunsourceError
from assistant.logs import configure_logging, safe_path
from assistant.services import Services

log = logging.getLogger("runsource.api")
REDACT_EVERY_S = 600  # messages past the full-text window are redacted within ten minutes


def error_body(code: str, message: str) -> dict[str, dict[str, str]]:
    return {"error": {"code": code, "message": message}}


def _validation_message(exc: RequestValidationError) -> tuple[str, str]:
    first = exc.errors()[0] if exc.errors() else {}
    kind = str(first.get("type", ""))
    if kind == "json_invalid":
        return (
            "malformed_json",
            'The request body is not valid JSON. Send an object such as {"message": "..."}.',
        )
    where = ".".join(str(p) for p in first.get("loc", ()) if p != "body") or "body"
    return "invalid_request", f"Field '{where}': {first.get('msg', 'is not valid')}."


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RunsourceError)
    async def _known(request: Request, exc: RunsourceError) -> JSONResponse:
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimited) else None
        if exc.status >= 500:
            log.error("%s on %s: %s", exc.code, safe_path(request.url.path), exc.message)
        return JSONResponse(error_body(exc.code, exc.message), status_code=exc.status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        code, message = _validation_message(exc)
        return JSONResponse(error_body(code, message), status_code=400 if code == "malformed_json" else 422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed", 413: "body_too_large"}.get(
            exc.status_code, "http_error"
        )
        return JSONResponse(error_body(code, str(exc.detail)), status_code=exc.status_code)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s", safe_path(request.url.path))
        return JSONResponse(
            error_body("internal", "Something went wrong on our side. Please try again."),
            status_code=500,
        )


async def redact_past_window(services: Services, every_s: float = REDACT_EVERY_S) -> None:
    """Keeps message text word for word only for `full_text_hours` (every worker runs this; it is
    idempotent and cheap when there is nothing to do)."""
    while True:
        before = time.time() - services.settings.full_text_hours * 3600
        try:
            await run_in_threadpool(services.sessions.redact_older, before)
        except Exception as exc:  # a store outage must not end the loop; the next round retries
            log.warning("redacting old messages failed: %s", type(exc).__name__)
        await asyncio.sleep(every_s)


def create_app(build: Callable[[], Services], *, api_docs: bool = True) -> FastAPI:
    """The app; `build` runs once at start-up, so importing the module stays cheap.

    `api_docs` serves /docs, /redoc and /openapi.json (server.py passes `Settings.serves_api_docs`:
    on in development, off in production unless RUNSOURCE_API_DOCS says otherwise).
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        services = build()
        configure_logging(services.settings, services.chat.keys)
        app.state.services = services
        redactor = asyncio.create_task(redact_past_window(services))
        yield
        redactor.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await redactor

    docs = api_docs
    app = FastAPI(
        title="RUNsource assistant API",
        version="0.1.0",
        description="Education for runners with low back pain: grounded answers, exercises and triage.",
        lifespan=lifespan,
        docs_url="/docs" if docs else None,
        redoc_url="/redoc" if docs else None,
        openapi_url="/openapi.json" if docs else None,
    )
    install_error_handlers(app)
    app.add_middleware(EdgeMiddleware)  # CORS, rate limits, security headers (settings read at start)
    app.include_router(routes.router)
    app.include_router(stream.router)
    app.include_router(widget.router)
    app.include_router(slack.router)
    app.include_router(discord.router)
    return app
