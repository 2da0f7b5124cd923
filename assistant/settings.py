"""Settings: one pydantic-settings model read from `RUNSOURCE_*` variables (and `.env`).

Every field here is listed in `.env.example`; a test keeps the two in step.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent
REDIS_SCHEMES = ("redis://", "rediss://", "unix://")
CLINIC_VARS = (
    "app_name",
    "clinic_name",
    "emergency_number",
    "emergency_department",
    "booking_url",
    "clinic_phone",
    "urgent_care",
    "doctor_soon",
)
Locale = Literal["en-US", "en-GB"]
# The words for where to go, by locale; a setting given explicitly wins over its locale default.
# Knowledge and prompts name these only as {placeholders} (a content lint test keeps it so).
LOCALES: dict[str, dict[str, str]] = {
    "en-US": {
        "emergency_number": "911",
        "emergency_department": "the nearest emergency department (ER)",
        "urgent_care": "your doctor or an urgent care clinic today",
        "doctor_soon": "your doctor",
    },
    "en-GB": {
        "emergency_number": "999",
        "emergency_department": "A&E (the emergency department)",
        "urgent_care": "your GP practice today, or NHS 111 if you cannot get an appointment",
        "doctor_soon": "your GP practice, or NHS 111 if you cannot get an appointment",
    },
}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RUNSOURCE_", env_file=".env", extra="ignore", frozen=True)

    # Where things live
    data_dir: Path = Field(ROOT / ".runsource", description="Index, session database, ONNX model.")
    knowledge_dir: Path = Field(ROOT / "knowledge", description="Knowledge Markdown and red-flag rules.")
    prompts_dir: Path = Field(ROOT / "prompts", description="Prompt and reply templates.")
    public_url: str = Field(
        "http://127.0.0.1:8000", description="Base URL used to make citation links absolute."
    )
    host: str = "127.0.0.1"
    port: int = 8000
    log_level: str = "info"
    api_docs: bool | None = Field(
        None, description="Serve /docs, /redoc and /openapi.json; unset = only when public_url is http://."
    )

    # Retrieval
    embeddings: Literal["onnx", "sentence-transformers"] = "onnx"
    collection: str = "runsource"
    retrieval_k: int = Field(6, ge=1, le=50)
    chroma_url: str | None = Field(None, description="Chroma server URL; unset = embedded store.")

    # Sessions
    sessions_url: str | None = Field(
        None,
        description="redis://, rediss:// or unix:// for sessions, rate limits and door replay records "
        "shared by every worker; unset = SQLite in data_dir and limits in memory.",
    )
    session_retention_days: int = Field(90, ge=1)
    full_text_hours: float = Field(
        24, ge=0, description="Messages are kept word for word this long, then stored redacted."
    )
    session_secret: SecretStr | None = Field(
        None,
        description="Key for chat-door session ids and logged ids; unset = generated in data_dir.",
    )
    widget_idle_minutes: int = Field(
        30, ge=1, description="The widget forgets its session after this long without use."
    )

    # Input limits and abuse protection
    max_message_chars: int = Field(4000, ge=100)
    rate_limit_ip_per_minute: int = Field(60, ge=1, description="Chat turns per client IP per minute.")
    rate_limit_session_per_minute: int = Field(20, ge=1, description="Chat turns per session per minute.")
    rate_limit_door_user_per_minute: int = Field(
        10, ge=1, description="Slack and Discord questions per user per minute."
    )
    rate_limit_door_team_per_minute: int = Field(
        120, ge=1, description="Slack and Discord questions per workspace or server per minute."
    )
    cors_origins: list[str] = Field(
        default_factory=lambda: ["http://127.0.0.1:8000", "http://localhost:8000"],
        description='Sites allowed to embed the widget (JSON list), e.g. ["https://clinic.example"].',
    )

    # The clinic (escalation and booking wording)
    clinic_name: str = "Precision Performance"
    app_name: str = "RUNsource"
    booking_url: str = "https://precisionperformance.example/gait-evaluation"
    clinic_phone: str = ""
    locale: Locale = Field("en-US", description="Sets the four defaults below: en-US or en-GB.")
    emergency_number: str = Field("", description="Default from the locale: 911 (en-US), 999 (en-GB).")
    emergency_department: str = Field(
        "", description="Default from the locale: the emergency room (en-US), A&E (en-GB)."
    )
    urgent_care: str = Field("", description="Same-day care; default from the locale.")
    doctor_soon: str = Field("", description="A doctor within a day or two; default from the locale.")

    # LLM responder (unset = grounded responder, no key, no network)
    llm: str | None = Field(None, description="e.g. openai:gpt-4o-mini, ollama:llama3.2")
    llm_base_url: str | None = None
    llm_timeout_s: float = Field(20.0, gt=0)
    llm_second_opinion: bool = Field(False, description="Ask the LLM whether to raise a triage level.")
    llm_max_concurrent: int = Field(
        8, ge=1, description="LLM calls at once in one process; a turn beyond them gets the grounded reply."
    )

    # Slack app (unset = /slack/events answers that Slack is not configured)
    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_api_url: str = "https://slack.com/api/"

    # Discord app (unset = /discord/interactions answers that Discord is not configured)
    discord_public_key: str | None = None
    discord_app_id: str | None = None
    discord_bot_token: SecretStr | None = None
    discord_api_url: str = "https://discord.com/api/v10"

    @model_validator(mode="before")
    @classmethod
    def _locale_defaults(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        words = LOCALES.get(str(data.get("locale") or "en-US"), LOCALES["en-US"])
        given = {k: v for k, v in data.items() if v or k not in words}
        return {**words, **given}

    @model_validator(mode="after")
    def _check(self) -> Settings:
        if not self.public_url.startswith(("http://", "https://")):
            raise ValueError("RUNSOURCE_PUBLIC_URL must start with http:// or https://")
        if self.sessions_url and not self.sessions_url.startswith(REDIS_SCHEMES):
            raise ValueError(
                "RUNSOURCE_SESSIONS_URL must be a Redis URL (redis://, rediss:// or unix://), "
                "or unset for SQLite"
            )
        return self

    @property
    def serves_api_docs(self) -> bool:
        """The API pages are on by default in development (http://) and off in production (https://)."""
        if self.api_docs is not None:
            return self.api_docs
        return self.public_url.startswith("http://")

    def clinic_vars(self) -> dict[str, str]:
        """The clinic's details, as the reply templates in prompts/ name them."""
        return {name: str(getattr(self, name)) for name in CLINIC_VARS}

    @property
    def db_path(self) -> Path:
        return self.data_dir / "sessions.sqlite3"

    @property
    def secret_path(self) -> Path:
        return self.data_dir / "session_secret"

    @property
    def chroma_path(self) -> Path:
        return self.data_dir / "chroma"
