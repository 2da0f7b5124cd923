"""The HTTP door: FastAPI app factory, routes and error translation."""

from assistant.api.app import create_app

__all__ = ["create_app"]
