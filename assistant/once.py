"""Requests the doors must act on once: Slack events and trigger ids, Discord interaction ids.

    claim(key, ttl_s)    True the first time (the key is then "in progress" for ttl_s), else False
    finish(key, ttl_s)   the work is done: the key stays taken for ttl_s (a late retry is dropped)
    release(key)         the work failed: forget the key, so Slack's retry is answered

A retry that arrives while the first delivery is still being answered finds the key in progress and
is dropped; a crash mid-answer leaves the key to expire after its in-progress time, so a later
retry is answered instead of silently lost. The store is a SQLite file shared by the workers on one
host, or Redis (chosen once, by `assistant.services.make_once`) for workers on several hosts.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path
from typing import Protocol

__all__ = ["Once", "RedisOnce", "SQLiteOnce"]


class Once(Protocol):
    def claim(self, key: str, ttl_s: float) -> bool: ...

    def finish(self, key: str, ttl_s: float) -> None: ...

    def release(self, key: str) -> None: ...


class SQLiteOnce:
    """Keys in a SQLite file (WAL), each with the time it stops counting."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, timeout=10, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS once (key TEXT PRIMARY KEY, state TEXT NOT NULL, until REAL NOT NULL)"
        )
        self._claims = 0

    def claim(self, key: str, ttl_s: float) -> bool:
        now = time.time()
        with self._lock:
            # A key whose time is up is free again; one statement, so two workers cannot both win.
            cur = self._db.execute(
                "INSERT INTO once (key, state, until) VALUES (?, 'busy', ?) "
                "ON CONFLICT(key) DO UPDATE SET state = 'busy', until = excluded.until WHERE once.until < ?",
                (key, now + ttl_s, now),
            )
            self._claims += 1
            if self._claims % 200 == 0:
                self._db.execute("DELETE FROM once WHERE until < ?", (now,))
            return cur.rowcount == 1

    def finish(self, key: str, ttl_s: float) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO once (key, state, until) VALUES (?, 'done', ?) "
                "ON CONFLICT(key) DO UPDATE SET state = 'done', until = excluded.until",
                (key, time.time() + ttl_s),
            )

    def release(self, key: str) -> None:
        with self._lock:
            self._db.execute("DELETE FROM once WHERE key = ?", (key,))

    def state(self, key: str) -> str | None:
        """'busy', 'done' or None (for tests and the log)."""
        with self._lock:
            row = self._db.execute(
                "SELECT state FROM once WHERE key = ? AND until >= ?", (key, time.time())
            ).fetchone()
        return str(row[0]) if row else None


class RedisOnce:
    """The same in Redis: SET NX with an expiry claims, a plain SET with an expiry finishes."""

    def __init__(self, url: str, prefix: str = "runsource:once:") -> None:
        import redis

        self._redis = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
        self.prefix = prefix

    def claim(self, key: str, ttl_s: float) -> bool:
        return bool(self._redis.set(self.prefix + key, "busy", nx=True, px=max(1, int(ttl_s * 1000))))

    def finish(self, key: str, ttl_s: float) -> None:
        self._redis.set(self.prefix + key, "done", px=max(1, int(ttl_s * 1000)))

    def release(self, key: str) -> None:
        self._redis.delete(self.prefix + key)

    def state(self, key: str) -> str | None:
        value = self._redis.get(self.prefix + key)
        return value.decode() if isinstance(value, bytes) else None
