"""The ASGI entry point: `uvicorn server:app`. Settings come from RUNSOURCE_* variables."""

from assistant.api import create_app
from assistant.services import build_services
from assistant.settings import Settings

app = create_app(lambda: build_services(Settings()))
