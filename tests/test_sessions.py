from __future__ import annotations

from pathlib import Path

import pytest

from assistant.errors import UnknownSession, UnknownTurn
from assistant.sessions import AuditRecord, Feedback, SQLiteSessions, TurnRecord


def turn(session: str, n: int, message: str = "hello") -> tuple[TurnRecord, AuditRecord]:
    t = TurnRecord(
        turn_id=f"t_{session}_{n}",
        session_id=session,
        n=n,
        created_at=1000.0 + n,
        message=message,
        reply={"reply": f"answer {n}"},
    )
    a = AuditRecord(
        turn_id=t.turn_id, session_id=session, created_at=t.created_at, level="none", message=message
    )
    return t, a


def test_turns_survive_a_restart(tmp_path: Path) -> None:
    store = SQLiteSessions(tmp_path / "s.db")
    for n in (1, 2, 3):
        t, a = turn("s_a", n)
        store.save_turn(t, {"triage": {"level": "urgent"}}, a)
    reopened = SQLiteSessions(tmp_path / "s.db")
    assert [t.n for t in reopened.history("s_a")] == [1, 2, 3]
    assert reopened.load_state("s_a") == {"triage": {"level": "urgent"}}
    assert [t.n for t in reopened.history("s_a", limit=2)] == [2, 3]


def test_a_failed_turn_writes_nothing(tmp_path: Path) -> None:
    store = SQLiteSessions(tmp_path / "s.db")
    t, a = turn("s_b", 1)
    store.save_turn(t, {"v": 1}, a)
    with pytest.raises(Exception, match="UNIQUE"):
        store.save_turn(t, {"v": 2}, a)  # the same turn id again: the whole turn is rolled back
    assert store.load_state("s_b") == {"v": 1}
    assert len(store.history("s_b")) == 1


def test_feedback_needs_a_real_turn_and_is_redacted(tmp_path: Path) -> None:
    store = SQLiteSessions(tmp_path / "s.db")
    t, a = turn("s_c", 1)
    store.save_turn(t, {}, a)
    store.add_feedback(
        Feedback(turn_id=t.turn_id, rating="down", reason="wrong", comment="mail me at a@b.co")
    )
    assert store.feedback_count() == 1
    with pytest.raises(UnknownTurn):
        store.add_feedback(Feedback(turn_id="t_nope", rating="up"))


def test_purge_removes_old_sessions(tmp_path: Path) -> None:
    store = SQLiteSessions(tmp_path / "s.db")
    t, a = turn("s_old", 1)
    store.save_turn(t, {}, a)
    assert store.purge(older_than_days=1) == 1
    assert store.load_state("s_old") is None
    with pytest.raises(UnknownSession):
        store.audit("s_old")


def test_two_turns_numbered_alike_both_land(tmp_path: Path) -> None:
    store = SQLiteSessions(tmp_path / "s.db")
    for suffix in ("x", "y"):  # two workers answered at once and both thought this was turn 1
        t, a = turn("s_d", 1, message=suffix)
        t = t.model_copy(update={"turn_id": f"t_{suffix}"})
        store.save_turn(t, {}, a.model_copy(update={"turn_id": t.turn_id}))
    assert [(t.n, t.message) for t in store.history("s_d")] == [(1, "x"), (2, "y")]
