"""Named FastAPI dependencies."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from assistant.errors import BackendUnavailable
from assistant.services import Services


def get_services(request: Request) -> Services:
    services: Services | None = getattr(request.app.state, "services", None)
    if services is None:
        raise BackendUnavailable("The assistant is still starting. Try again in a few seconds.")
    return services


ServicesDep = Annotated[Services, Depends(get_services)]
