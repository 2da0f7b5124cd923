"""Hand-made replies and cases for the harness tests, and a scripted target."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from assistant.types import Citation, ExerciseCard, Flag, Reply, Triage
from evals.cases import Case
from evals.runner import CaseRun, Checkpoint, TurnRun


def make_reply(text: str = "An answer.", level: str = "none", **fields: Any) -> Reply:
    """A Reply as a door would return it; `citations` and `exercises` may be given as ids."""
    citations = [
        c if isinstance(c, Citation) else Citation(id=c, title=c, url=f"http://x/{c}")
        for c in fields.pop("citations", [])
    ]
    exercises = [
        e if isinstance(e, ExerciseCard) else ExerciseCard(id=e, name=e, program="p", dose="d", url="u")
        for e in fields.pop("exercises", [])
    ]
    flags = [Flag(id=f, level=level, label=f) for f in fields.pop("flags", [])]  # type: ignore[arg-type]
    return Reply(
        session_id=fields.pop("session_id", "s_test"),
        turn_id=fields.pop("turn_id", "t_test"),
        reply=text,
        triage=Triage(level=level, flags=flags),  # type: ignore[arg-type]
        citations=citations,
        exercises=exercises,
        **fields,
    )


def make_case(**fields: Any) -> Case:
    data: dict[str, Any] = {
        "id": "c1",
        "category": "test",
        "turns": ["my back hurts"],
        "triage_min": "none",
        "triage_max": "none",
        "in_scope": True,
    }
    data.update(fields)
    return Case.model_validate(data)


def checkpoint(case: Case | None = None, reply: Reply | None = None, **case_fields: Any) -> Checkpoint:
    """The last checkpoint of a one-reply-per-turn run of `case` (every turn answered by `reply`)."""
    case = case or make_case(**case_fields)
    reply = reply or make_reply()
    run = CaseRun(case, [TurnRun(m, reply, 10.0) for m in case.turns])
    return run.checkpoints()[-1]


class ScriptedTarget:
    """A target whose replies come from a function of (turn number, message); no assistant."""

    label = "scripted"

    def __init__(
        self,
        answer: Callable[[int, str], Reply],
        texts: dict[str, str] | None = None,
        embedder: Any = None,
    ) -> None:
        self.answer = answer
        self.texts = texts or {}
        self._embedder = embedder
        self.sessions: dict[str, int] = {}

    def turn(self, session_id: str | None, message: str) -> Reply:
        session = session_id or f"s_{len(self.sessions) + 1}"
        n = self.sessions.get(session, 0) + 1
        self.sessions[session] = n
        return self.answer(n, message).model_copy(update={"session_id": session})

    def knowledge(self, doc_ids: Sequence[str]) -> dict[str, str]:
        return {d: self.texts[d] for d in doc_ids if d in self.texts}

    def embedder(self) -> Any:
        return self._embedder

    def close(self) -> None:
        return None
