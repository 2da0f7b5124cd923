"""`runsource purge` applies the retention period to the real session database."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from assistant.sessions import AuditRecord, SQLiteSessions, TurnRecord
from assistant.settings import ROOT


def test_purge_deletes_only_sessions_past_retention(tmp_path: Path) -> None:
    store = SQLiteSessions(tmp_path / "sessions.sqlite3")
    for sid, when in (("s_old", 1000.0), ("s_new", 4e9)):
        t = TurnRecord(turn_id=f"t_{sid}", session_id=sid, n=1, created_at=when, message="hi", reply={})
        store.save_turn(t, {}, AuditRecord(turn_id=t.turn_id, session_id=sid, created_at=when, level="none"))
    env = {**os.environ, "RUNSOURCE_DATA_DIR": str(tmp_path), "RUNSOURCE_SESSION_RETENTION_DAYS": "30"}
    out = subprocess.run(
        [sys.executable, "-m", "assistant.cli", "purge"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    assert "removed 1 session(s)" in out.stdout
    assert store.load_state("s_old") is None and store.load_state("s_new") == {}


def test_forget_erases_a_session_and_purge_redacts_past_the_window(tmp_path: Path) -> None:
    store = SQLiteSessions(tmp_path / "sessions.sqlite3")
    for sid in ("s_forget", "s_keep"):
        t = TurnRecord(
            turn_id=f"t_{sid}",
            session_id=sid,
            n=1,
            created_at=time.time() - 7200,
            message="my name is Jane Doe, call 07700 900123",
            reply={"reply": "hello"},
        )
        store.save_turn(t, {}, AuditRecord(turn_id=t.turn_id, session_id=sid, created_at=1.0, level="urgent"))
    env = {**os.environ, "RUNSOURCE_DATA_DIR": str(tmp_path), "RUNSOURCE_FULL_TEXT_HOURS": "1"}

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "assistant.cli", *args], cwd=ROOT, env=env, capture_output=True, text=True
        )

    out = cli("forget", "s_forget")
    assert out.returncode == 0 and "erased s_forget" in out.stdout, out.stderr
    assert store.load_state("s_forget") is None
    assert [r.level for r in store.erased_audit()] == ["urgent"]
    again = cli("forget", "s_forget")
    assert again.returncode == 2 and "no session" in again.stderr

    out = cli("purge")
    assert out.returncode == 0 and "redacted 1 message(s) older than 1 hours" in out.stdout, out.stderr
    [kept] = store.history("s_keep")
    assert "Jane" not in kept.message and "900123" not in kept.message
