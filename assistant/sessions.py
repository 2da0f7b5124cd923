"""Conversation sessions, feedback and the audit trail, in SQLite (the embedded default).

One turn is written in one transaction (turn, audit row and the session's new triage state), so
a crash never leaves a half-written turn. WAL mode lets several worker processes share the file.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

from pydantic import BaseModel, Field

from assistant.errors import BackendUnavailable, UnknownSession
from assistant.redact import redact


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_urlsafe(12)}"


class TurnRecord(BaseModel):
    turn_id: str
    session_id: str
    n: int
    created_at: float
    message: str
    reply: dict[str, Any]


class AuditRecord(BaseModel):
    turn_id: str
    session_id: str
    created_at: float
    level: str
    flags: list[dict[str, Any]] = Field(default_factory=list)
    rules_version: str = ""
    knowledge_version: str = ""
    message: str = ""
    guard: list[str] = Field(default_factory=list)


class Feedback(BaseModel):
    turn_id: str
    rating: str
    reason: str | None = None
    comment: str = ""


class SessionStore(Protocol):
    """What the chat service needs from a session backend (SQLite here, Redis when scaled out)."""

    def load_state(self, session_id: str) -> dict[str, Any] | None: ...
    def history(self, session_id: str, limit: int = 20) -> list[TurnRecord]: ...
    def save_turn(self, turn: TurnRecord, state: dict[str, Any], audit: AuditRecord) -> None: ...
    def audit(self, session_id: str) -> list[AuditRecord]: ...
    def add_feedback(self, feedback: Feedback) -> str: ...
    def purge(self, older_than_days: int) -> int: ...
    def ping(self) -> None: ...


_SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY, created_at REAL NOT NULL, updated_at REAL NOT NULL, state TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS turns (
    id TEXT PRIMARY KEY, session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    n INTEGER NOT NULL, created_at REAL NOT NULL, message TEXT NOT NULL, reply TEXT NOT NULL,
    UNIQUE (session_id, n)
);
CREATE TABLE IF NOT EXISTS audit (
    turn_id TEXT PRIMARY KEY, session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    created_at REAL NOT NULL, record TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS feedback (
    id TEXT PRIMARY KEY, turn_id TEXT NOT NULL, session_id TEXT, created_at REAL NOT NULL,
    rating TEXT NOT NULL, reason TEXT, comment TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS turns_by_session ON turns(session_id, n);
CREATE INDEX IF NOT EXISTS audit_by_session ON audit(session_id, created_at);
"""


class SQLiteSessions:
    """Sessions in one SQLite file; safe across threads and processes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._db().executescript(_SCHEMA)

    def _db(self) -> sqlite3.Connection:
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute("PRAGMA foreign_keys=ON")
            self._local.db = db
        return db

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        try:
            db = self._db()
            db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise BackendUnavailable(f"the session database cannot be opened: {exc}") from exc
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        else:
            db.execute("COMMIT")

    def load_state(self, session_id: str) -> dict[str, Any] | None:
        row = self._db().execute("SELECT state FROM sessions WHERE id = ?", (session_id,)).fetchone()
        return json.loads(row[0]) if row else None

    def history(self, session_id: str, limit: int = 20) -> list[TurnRecord]:
        rows = (
            self._db()
            .execute(
                "SELECT id, n, created_at, message, reply FROM turns WHERE session_id = ? "
                "ORDER BY n DESC LIMIT ?",
                (session_id, limit),
            )
            .fetchall()
        )
        return [
            TurnRecord(
                turn_id=r[0],
                session_id=session_id,
                n=r[1],
                created_at=r[2],
                message=r[3],
                reply=json.loads(r[4]),
            )
            for r in reversed(rows)
        ]

    def save_turn(self, turn: TurnRecord, state: dict[str, Any], audit: AuditRecord) -> None:
        """Store one turn; its number is the next free one, so two turns sent at once both land."""
        now = turn.created_at
        with self._tx() as db:
            db.execute(
                "INSERT INTO sessions (id, created_at, updated_at, state) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(id) DO UPDATE SET updated_at = excluded.updated_at, state = excluded.state",
                (turn.session_id, now, now, json.dumps(state)),
            )
            (n,) = db.execute(
                "SELECT COALESCE(MAX(n), 0) + 1 FROM turns WHERE session_id = ?", (turn.session_id,)
            ).fetchone()
            db.execute(
                "INSERT INTO turns (id, session_id, n, created_at, message, reply) VALUES (?, ?, ?, ?, ?, ?)",
                (turn.turn_id, turn.session_id, n, now, turn.message, json.dumps(turn.reply)),
            )
            db.execute(
                "INSERT INTO audit (turn_id, session_id, created_at, record) VALUES (?, ?, ?, ?)",
                (turn.turn_id, turn.session_id, now, audit.model_dump_json()),
            )

    def audit(self, session_id: str) -> list[AuditRecord]:
        rows = (
            self._db()
            .execute("SELECT record FROM audit WHERE session_id = ? ORDER BY created_at", (session_id,))
            .fetchall()
        )
        if not rows and self.load_state(session_id) is None:
            raise UnknownSession(session_id)
        return [AuditRecord.model_validate_json(r[0]) for r in rows]

    def add_feedback(self, feedback: Feedback) -> str:
        fid = new_id("f")
        with self._tx() as db:
            row = db.execute("SELECT session_id FROM turns WHERE id = ?", (feedback.turn_id,)).fetchone()
            if row is None:
                raise UnknownSession(feedback.turn_id)
            db.execute(
                "INSERT INTO feedback (id, turn_id, session_id, created_at, rating, reason, comment) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    fid,
                    feedback.turn_id,
                    row[0],
                    time.time(),
                    feedback.rating,
                    feedback.reason,
                    redact(feedback.comment),
                ),
            )
        return fid

    def feedback_count(self) -> int:
        return int(self._db().execute("SELECT count(*) FROM feedback").fetchone()[0])

    def purge(self, older_than_days: int) -> int:
        cutoff = time.time() - older_than_days * 86400
        with self._tx() as db:
            cur = db.execute("DELETE FROM sessions WHERE updated_at < ?", (cutoff,))
            db.execute("DELETE FROM feedback WHERE created_at < ?", (cutoff,))
            return cur.rowcount

    def ping(self) -> None:
        try:
            self._db().execute("SELECT 1").fetchone()
        except sqlite3.Error as exc:
            raise BackendUnavailable(f"the session database is not answering: {exc}") from exc
