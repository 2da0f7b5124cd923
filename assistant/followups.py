"""Conversation follow-ups, by example: what kind of follow-up a message is, scored on the vector
the turn already has, and the session topic it resolves against.

The topic is what the last answers were about: the sections they were composed from and the
exercises they showed (kept in the session with each reply). A dose, progression, regression,
"what if it hurts" or "how do I do it" follow-up resolves to that section of each topic exercise.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, cast, get_args

import numpy as np
import yaml

from assistant.errors import ConfigError

if TYPE_CHECKING:
    from assistant.embeddings import VectorEmbeddings
    from assistant.sessions import TurnRecord

Kind = Literal["dose", "harder", "easier", "hurts", "how_to", "time_box", "stop", "more"]
KINDS: tuple[Kind, ...] = get_args(Kind)
# The section of an exercise page that answers each kind of follow-up about it.
EXERCISE_SECTION: dict[Kind, str] = {
    "dose": "dose",
    "harder": "progression",
    "easier": "regression",
    "hurts": "cautions",
    "how_to": "how-to-do-it",
}
# A message this close to an example is that kind of follow-up (MiniLM cosine; on the examples'
# paraphrases in tests the kinds scored 0.62-0.9, unrelated questions under 0.5).
MATCH = 0.62


@dataclass(frozen=True)
class Topic:
    """What the session was last talking about."""

    sections: tuple[str, ...] = ()
    exercises: tuple[str, ...] = ()
    question: str = ""

    @classmethod
    def from_history(cls, history: Sequence[TurnRecord]) -> Topic:
        for turn in reversed(history[-3:]):
            reply: dict[str, Any] = turn.reply
            answered = [s for s in reply.get("sections", []) if isinstance(s, str)]
            exercises = [str(e.get("id", "")) for e in reply.get("exercises", []) if isinstance(e, dict)]
            if answered or exercises:
                own = [s.split("#", 1)[0] for s in answered if s.startswith("ex-")]
                return cls(tuple(answered), tuple(dict.fromkeys(own + exercises)), turn.message)
        return cls()

    def __bool__(self) -> bool:
        return bool(self.sections or self.exercises)


@dataclass(frozen=True)
class FollowUp:
    kind: Kind
    score: float
    topic: Topic = field(default_factory=Topic)


class FollowUpDetector:
    """Scores a message vector against the example utterances of each kind of follow-up."""

    def __init__(self, examples: dict[Kind, list[str]], embeddings: VectorEmbeddings) -> None:
        texts = [t for kind in KINDS for t in examples.get(kind, [])]
        self.kinds: list[Kind] = [kind for kind in KINDS for _ in examples.get(kind, [])]
        self.matrix = embeddings.embed_array(texts) if texts else np.zeros((0, 384), dtype=np.float32)

    @classmethod
    def load(cls, path: Path, embeddings: VectorEmbeddings) -> FollowUpDetector:
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise ConfigError(f"{path}: cannot be read as YAML ({exc})") from None
        if not isinstance(raw, dict):
            raise ConfigError(f"{path}: must be a mapping of kind: [example, ...]")
        unknown = sorted(set(raw) - set(KINDS))
        if unknown:
            raise ConfigError(f"{path}: unknown follow-up kind(s) {unknown}; use {list(KINDS)}")
        for kind, examples in raw.items():
            if not isinstance(examples, list) or not all(isinstance(e, str) and e.strip() for e in examples):
                raise ConfigError(f"{path}: '{kind}' must be a list of example sentences")
        return cls(cast(dict[Kind, list[str]], raw), embeddings)

    def classify(self, vector: np.ndarray[Any, np.dtype[np.float32]]) -> tuple[Kind | None, float]:
        """The closest kind and its score; None when no example is close enough."""
        if not len(self.kinds):
            return None, 0.0
        scores = self.matrix @ vector
        best = int(np.argmax(scores))
        score = float(scores[best])
        return (self.kinds[best] if score >= MATCH else None), score
