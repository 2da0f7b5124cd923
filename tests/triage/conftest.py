from __future__ import annotations

import pytest

from assistant.triage import TriageEngine
from tests.triage.helpers import TriageChat, engine


@pytest.fixture(scope="session")
def triage() -> TriageEngine:
    """The real engine over knowledge/red_flags, with the real bundled model (no mocks)."""
    return engine()


@pytest.fixture
def chat(triage: TriageEngine) -> TriageChat:
    return TriageChat(triage)
