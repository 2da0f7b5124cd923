"""The ASGI entry point: `uvicorn server:app`. Settings come from RUNSOURCE_* variables."""

from assistant.api import create_app
from assistant.services import build_services
from assistant.settings import Settings

settings = Settings()
app = create_app(lambda: build_services(settings), api_docs=settings.serves_api_docs)
