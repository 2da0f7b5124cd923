"""The website door: `/widget.js` (the embeddable chat), its settings, and the demo clinic page at `/`."""

from __future__ import annotations

import html
from functools import cache
from pathlib import Path
from string import Template

from fastapi import APIRouter
from fastapi.responses import FileResponse, HTMLResponse
from pydantic import BaseModel, Field

from assistant.api.deps import ServicesDep
from assistant.settings import Settings

__all__ = ["STATIC", "WidgetConfig", "demo_page", "router"]

STATIC = Path(__file__).resolve().parent.parent / "static"
router = APIRouter()
_SHORT_CACHE = {"Cache-Control": "public, max-age=300"}


class WidgetConfig(BaseModel):
    """What the widget needs to word escalations and links the same way the replies do."""

    app_name: str
    clinic_name: str
    emergency_number: str
    emergency_department: str
    urgent_care: str = Field(description="Same-day care (urgent replies whose care is same_day).")
    doctor_soon: str = Field(description="A doctor within a day or two (care day_or_two).")
    booking_url: str
    clinic_phone: str
    max_message_chars: int = Field(description="Longer messages are refused (413).")
    idle_minutes: int = Field(description="The widget forgets its session after this long without use.")


@router.get("/widget.js", include_in_schema=False)
def widget_js() -> FileResponse:
    js = "text/javascript; charset=utf-8"
    return FileResponse(STATIC / "widget.js", media_type=js, headers=_SHORT_CACHE)


@router.get("/demo.css", include_in_schema=False)
def demo_css() -> FileResponse:
    return FileResponse(STATIC / "demo.css", media_type="text/css; charset=utf-8", headers=_SHORT_CACHE)


@router.get("/v1/widget/config", response_model=WidgetConfig, tags=["widget"])
def widget_config(services: ServicesDep) -> WidgetConfig:
    """Clinic details the widget shows in its banners and footer."""
    s = services.settings
    return WidgetConfig(
        **s.clinic_vars(), max_message_chars=s.max_message_chars, idle_minutes=s.widget_idle_minutes
    )


@cache
def _demo_template() -> Template:
    return Template((STATIC / "demo.html").read_text(encoding="utf-8"))


def demo_page(settings: Settings) -> str:
    """The demo clinic page; every value is escaped, because settings are text, not markup."""
    values = {
        "clinic_name": settings.clinic_name,
        "app_name": settings.app_name,
        "booking_url": settings.booking_url,
        "emergency_number": settings.emergency_number,
        "public_url": settings.public_url.rstrip("/"),
    }
    return _demo_template().substitute({k: html.escape(v, quote=True) for k, v in values.items()})


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def demo(services: ServicesDep) -> HTMLResponse:
    """A clinic home page with the widget embedded by one script tag, as a customer would."""
    return HTMLResponse(demo_page(services.settings))
