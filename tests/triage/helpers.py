"""Shared helpers for the triage tests: the real engine with the real model, and a chat helper."""

from __future__ import annotations

import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any

from assistant.embeddings import load_embeddings
from assistant.settings import ROOT
from assistant.triage import Assessment, TriageEngine, TriageState

RULES_DIR = ROOT / "knowledge" / "red_flags"
# One ONNX export shared by every triage test run (the first run exports the model here).
DATA_DIR = Path(tempfile.gettempdir()) / "rs-triage-data"


@lru_cache(maxsize=1)
def embedder() -> Any:
    return load_embeddings("onnx", DATA_DIR)


@lru_cache(maxsize=1)
def engine() -> TriageEngine:
    return TriageEngine.load(RULES_DIR, embedder())


class TriageChat:
    """`chat >> "message"` runs one turn; the state carries over like a real session."""

    def __init__(self, triage: TriageEngine) -> None:
        self.engine = triage
        self.state = TriageState()
        self.turns: list[Assessment] = []
        self.previous: str | None = None

    def __rshift__(self, message: str) -> TriageChat:
        vectors = embedder().embed_array(self.engine.units(message, self.previous))
        result = self.engine.assess(message, self.state, vectors, self.previous)
        self.previous = message
        self.state = result.state
        self.turns.append(result)
        return self

    @property
    def last(self) -> Assessment:
        return self.turns[-1]

    @property
    def level(self) -> str:
        return self.last.level.label

    @property
    def fired(self) -> set[str]:
        """Ids of the flags this session holds."""
        return {f.id for f in self.last.flags}

    @property
    def new(self) -> set[str]:
        return set(self.last.new_flags)


def say(*turns: str) -> TriageChat:
    chat = TriageChat(engine())
    for turn in turns:
        chat >> turn
    return chat
