"""Conversation sessions, feedback and the audit trail, in SQLite (the embedded default).

One turn is written in one transaction (turn, audit row and the session's new triage state), so
a crash never leaves a half-written turn. WAL mode lets several worker processes share the file.

What is kept, and for how long (docs/deployment.md says why):
- a session row: its triage state and the SHA-256 of its token (HTTP sessions; "" for chat doors);
- turns: the message and the reply word for word until `redact_older` passes them (the
  `full_text_hours` window), then redacted; deleted with the session;
- audit rows: level, flags with redacted evidence, rule and knowledge versions, redacted message;
  on erasure cut down to level, flag ids and versions (`audit_erased`, unlinked from any session);
- feedback: one per turn, comment redacted; deleted with the session.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from pydantic import BaseModel, Field

from assistant.errors import BackendUnavailable, UnknownSession, UnknownTurn
from assistant.redact import redact, redact_names, redaction


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


def erased_audit(record: AuditRecord) -> AuditRecord:
    """What the audit keeps of an erased conversation: when, the level, flag ids and versions."""
    return AuditRecord(
        turn_id=record.turn_id,
        session_id="",
        created_at=record.created_at,
        level=record.level,
        flags=[{"id": f.get("id", ""), "level": f.get("level", "")} for f in record.flags],
        rules_version=record.rules_version,
        knowledge_version=record.knowledge_version,
    )


# Reply fields that can hold the runner's words (an LLM may echo them); redacted after the window.
REPLY_TEXT_FIELDS = ("reply", "answer", "safety_net")


def redacted_turn(message: str, reply: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """A turn's message and reply with personal details masked (past the full-text window); names
    the runner gave are masked in the reply too, where an LLM may have greeted them by name."""
    masked = redaction(message)
    texts = {
        k: redact_names(redact(v), masked.names)
        for k in REPLY_TEXT_FIELDS
        if isinstance(v := reply.get(k), str)
    }
    return masked.text, {**reply, **texts}


def feedback_id(turn_id: str) -> str:
    """One feedback per turn, so its id follows from the turn's."""
    return "f_" + turn_id.removeprefix("t_")


class Feedback(BaseModel):
    turn_id: str
    rating: str
    reason: str | None = None
    comment: str = ""


@dataclass(frozen=True)
class SessionAccess:
    """A stored session as the chat service sees it before a turn."""

    state: dict[str, Any]
    secret: str  # SHA-256 of the session's token; "" for chat-door sessions (no HTTP access)


class SessionStore(Protocol):
    """What the chat service needs from a session backend (SQLite here, Redis when scaled out)."""

    def load_state(self, session_id: str) -> dict[str, Any] | None: ...
    def access(self, session_id: str) -> SessionAccess | None: ...
    def history(self, session_id: str, limit: int = 20) -> list[TurnRecord]: ...
    def save_turn(
        self, turn: TurnRecord, state: dict[str, Any], audit: AuditRecord, secret: str = ""
    ) -> None: ...
    def audit(self, session_id: str) -> list[AuditRecord]: ...
    def turn_session(self, turn_id: str) -> str | None: ...
    def add_feedback(self, feedback: Feedback) -> str: ...
    def feedback_of(self, session_id: str) -> dict[str, Feedback]: ...
    def erase(self, session_id: str) -> bool: ...
    def redact_older(self, before: float) -> int: ...
    def purge(self, older_than_days: int) -> int: ...
    def ping(self) -> None: ...


_SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY, created_at REAL NOT NULL, updated_at REAL NOT NULL, state TEXT NOT NULL,
    secret TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS turns (
    id TEXT PRIMARY KEY, session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    n INTEGER NOT NULL, created_at REAL NOT NULL, message TEXT NOT NULL, reply TEXT NOT NULL,
    redacted INTEGER NOT NULL DEFAULT 0,
    UNIQUE (session_id, n)
);
CREATE TABLE IF NOT EXISTS audit_erased (
    turn_id TEXT PRIMARY KEY, created_at REAL NOT NULL, record TEXT NOT NULL
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
CREATE INDEX IF NOT EXISTS feedback_by_session ON feedback(session_id);
"""
# Added after the first release: columns and indexes an older database gets on start-up.
_UPGRADES = (
    ("sessions", "secret", "ALTER TABLE sessions ADD COLUMN secret TEXT NOT NULL DEFAULT ''"),
    ("turns", "redacted", "ALTER TABLE turns ADD COLUMN redacted INTEGER NOT NULL DEFAULT 0"),
)
_INDEXES = """
CREATE INDEX IF NOT EXISTS turns_full_text ON turns(created_at) WHERE redacted = 0;
DELETE FROM feedback WHERE rowid NOT IN (SELECT MAX(rowid) FROM feedback GROUP BY turn_id);
CREATE UNIQUE INDEX IF NOT EXISTS feedback_one_per_turn ON feedback(turn_id);
"""


class SQLiteSessions:
    """Sessions in one SQLite file; safe across threads and processes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        db = self._db()
        db.executescript(_SCHEMA)
        for table, column, statement in _UPGRADES:
            if column not in {r[1] for r in db.execute(f"PRAGMA table_info({table})")}:
                db.execute(statement)
        db.executescript(_INDEXES)

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
        found = self.access(session_id)
        return found.state if found else None

    def access(self, session_id: str) -> SessionAccess | None:
        row = self._db().execute("SELECT state, secret FROM sessions WHERE id = ?", (session_id,)).fetchone()
        return SessionAccess(json.loads(row[0]), row[1]) if row else None

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

    def save_turn(
        self, turn: TurnRecord, state: dict[str, Any], audit: AuditRecord, secret: str = ""
    ) -> None:
        """Store one turn; its number is the next free one, so two turns sent at once both land.

        `secret` (the token's hash) is written with a session's first turn and never changed after.
        """
        now = turn.created_at
        with self._tx() as db:
            db.execute(
                "INSERT INTO sessions (id, created_at, updated_at, state, secret) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT(id) DO UPDATE SET updated_at = excluded.updated_at, state = excluded.state",
                (turn.session_id, now, now, json.dumps(state), secret),
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

    def turn_session(self, turn_id: str) -> str | None:
        row = self._db().execute("SELECT session_id FROM turns WHERE id = ?", (turn_id,)).fetchone()
        return str(row[0]) if row else None

    def add_feedback(self, feedback: Feedback) -> str:
        """The turn's one feedback; a second one replaces the first."""
        with self._tx() as db:
            row = db.execute("SELECT session_id FROM turns WHERE id = ?", (feedback.turn_id,)).fetchone()
            if row is None:
                raise UnknownTurn(feedback.turn_id)
            (fid,) = db.execute(
                "INSERT INTO feedback (id, turn_id, session_id, created_at, rating, reason, comment) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(turn_id) DO UPDATE SET "
                "created_at = excluded.created_at, rating = excluded.rating, reason = excluded.reason, "
                "comment = excluded.comment RETURNING id",
                (
                    feedback_id(feedback.turn_id),
                    feedback.turn_id,
                    row[0],
                    time.time(),
                    feedback.rating,
                    feedback.reason,
                    redact(feedback.comment),
                ),
            ).fetchone()
        return str(fid)

    def feedback_of(self, session_id: str) -> dict[str, Feedback]:
        rows = self._db().execute(
            "SELECT turn_id, rating, reason, comment FROM feedback WHERE session_id = ?", (session_id,)
        )
        return {r[0]: Feedback(turn_id=r[0], rating=r[1], reason=r[2], comment=r[3]) for r in rows}

    def erase(self, session_id: str) -> bool:
        """Delete a conversation and its feedback; its audit rows keep level, flag ids and versions."""
        with self._tx() as db:
            if db.execute("SELECT 1 FROM sessions WHERE id = ?", (session_id,)).fetchone() is None:
                return False
            for (raw,) in db.execute(
                "SELECT record FROM audit WHERE session_id = ?", (session_id,)
            ).fetchall():
                kept = erased_audit(AuditRecord.model_validate_json(raw))
                db.execute(
                    "INSERT OR REPLACE INTO audit_erased (turn_id, created_at, record) VALUES (?, ?, ?)",
                    (kept.turn_id, kept.created_at, kept.model_dump_json()),
                )
            db.execute("DELETE FROM feedback WHERE session_id = ?", (session_id,))
            db.execute("DELETE FROM sessions WHERE id = ?", (session_id,))  # turns and audit cascade
        return True

    def erased_audit(self) -> list[AuditRecord]:
        rows = self._db().execute("SELECT record FROM audit_erased ORDER BY created_at").fetchall()
        return [AuditRecord.model_validate_json(r[0]) for r in rows]

    def redact_older(self, before: float) -> int:
        """Redact the message and reply text of turns stored before `before`; returns how many."""
        done = 0
        while True:
            with self._tx() as db:
                rows = db.execute(
                    "SELECT id, message, reply FROM turns WHERE redacted = 0 AND created_at < ? LIMIT 200",
                    (before,),
                ).fetchall()
                for turn_id, message, reply in rows:
                    masked, masked_reply = redacted_turn(message, json.loads(reply))
                    db.execute(
                        "UPDATE turns SET message = ?, reply = ?, redacted = 1 WHERE id = ?",
                        (masked, json.dumps(masked_reply), turn_id),
                    )
            done += len(rows)
            if len(rows) < 200:
                return done

    def feedback_count(self) -> int:
        return int(self._db().execute("SELECT count(*) FROM feedback").fetchone()[0])

    def purge(self, older_than_days: int) -> int:
        cutoff = time.time() - older_than_days * 86400
        with self._tx() as db:
            cur = db.execute("DELETE FROM sessions WHERE updated_at < ?", (cutoff,))
            db.execute(
                "DELETE FROM feedback WHERE created_at < ? OR session_id NOT IN (SELECT id FROM sessions)",
                (cutoff,),
            )
            db.execute("DELETE FROM audit_erased WHERE created_at < ?", (cutoff,))
            return cur.rowcount

    def ping(self) -> None:
        try:
            self._db().execute("SELECT 1").fetchone()
        except sqlite3.Error as exc:
            raise BackendUnavailable(f"the session database is not answering: {exc}") from exc
