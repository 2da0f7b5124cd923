"""`runsource purge` applies the retention period to the real session database."""

from __future__ import annotations

import os
import subprocess
import sys
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
