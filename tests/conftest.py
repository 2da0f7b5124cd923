"""Shared fixtures: the real model, a real Chroma in a temporary folder, real SQLite."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from assistant.embeddings import VectorEmbeddings, load_embeddings
from assistant.settings import ROOT, Settings


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One data folder for the whole run: the ONNX export and the index are built once."""
    return tmp_path_factory.mktemp("runsource-data")


# The suite's shared services count rate limits for the whole run (the limits live in Services);
# tests of the limits themselves build their own (`assistant.services.make_rate_limits`).
NO_LIMITS = {
    "rate_limit_ip_per_minute": 1_000_000,
    "rate_limit_session_per_minute": 1_000_000,
    "rate_limit_door_user_per_minute": 1_000_000,
    "rate_limit_door_team_per_minute": 1_000_000,
}


@pytest.fixture(scope="session")
def settings(data_dir: Path) -> Settings:
    return Settings(
        data_dir=data_dir, knowledge_dir=ROOT / "knowledge", prompts_dir=ROOT / "prompts", **NO_LIMITS
    )


@pytest.fixture(scope="session")
def embeddings(settings: Settings) -> VectorEmbeddings:
    return load_embeddings("onnx", settings.data_dir)


@pytest.fixture(scope="session")
def services(settings: Settings):  # type: ignore[no-untyped-def]
    from assistant.services import build_services

    return build_services(settings)


class Conversation:
    """`chat >> "hi"` sends a turn; `chat.reply` is the last Reply; one session throughout."""

    def __init__(self, services) -> None:  # type: ignore[no-untyped-def]
        self.services = services
        self.session_id: str | None = None
        self.token: str | None = None
        self.replies: list = []

    def __rshift__(self, message: str) -> Conversation:
        reply = self.services.chat.turn(self.session_id, message, "api", self.token)
        self.session_id = reply.session_id
        self.token = reply.session_token or self.token
        self.replies.append(reply)
        return self

    @property
    def reply(self):  # type: ignore[no-untyped-def]
        return self.replies[-1]

    @property
    def level(self) -> str:
        return str(self.reply.triage.level)


@pytest.fixture
def chat(services) -> Iterator[Conversation]:  # type: ignore[no-untyped-def]
    yield Conversation(services)
