"""Named FastAPI dependencies."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Annotated, TypeVar

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from assistant.api.security import client_ip
from assistant.errors import BackendUnavailable, RateLimited
from assistant.ratelimit import Rule
from assistant.services import Services


def get_services(request: Request) -> Services:
    services: Services | None = getattr(request.app.state, "services", None)
    if services is None:
        raise BackendUnavailable("The assistant is still starting. Try again in a few seconds.")
    return services


async def services_dependency(request: Request) -> Services:
    """`get_services` as a dependency; async, so FastAPI does not hop to a worker thread for it."""
    return get_services(request)


ServicesDep = Annotated[Services, Depends(services_dependency)]

_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="session_token",
    description="The session_token returned with a session's first reply.",
)


async def session_token(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> str | None:
    """The token from `Authorization: Bearer <token>`, if the request has one."""
    return credentials.credentials if credentials else None


TokenDep = Annotated[str | None, Depends(session_token)]


async def enforce(services: Services, rule: Rule, *keys: str) -> None:
    """Raises RateLimited (429 with Retry-After from the window) when `keys` are over `rule`."""
    wait = await services.limits.wait(rule, *keys)
    if wait is not None:
        raise RateLimited(wait)


async def limit_ip_turns(request: Request, services: ServicesDep) -> None:
    """Chat turns per client IP; counted before the body is checked, so junk counts too."""
    await enforce(services, "ip", client_ip(request.scope))


async def limit_feedback(request: Request, services: ServicesDep) -> None:
    await enforce(services, "feedback", client_ip(request.scope))


IpTurnLimit = Depends(limit_ip_turns)
FeedbackLimit = Depends(limit_feedback)


T = TypeVar("T")
_build_lock = threading.Lock()


def built_once(request: Request, name: str, build: Callable[[Services], T]) -> T:
    """An object kept on the app, built from the services on first use (the doors' adapters)."""
    found: T | None = getattr(request.app.state, name, None)
    if found is not None:
        return found
    services = get_services(request)
    with _build_lock:
        found = getattr(request.app.state, name, None)
        if found is None:
            found = build(services)
            setattr(request.app.state, name, found)
    return found
