"""Conversation sessions, feedback and the audit trail in Redis, shared by every worker and machine.

Keys (all under one prefix, default ``runsource:``)::

    s:{session}      hash    created_at, updated_at, state (JSON), secret (token hash; "" for doors)
    t:{session}      list    turns (TurnRecord JSON), oldest first
    a:{session}      list    audit records (AuditRecord JSON), oldest first
    f:{session}      set     feedback ids of the session (so a purge takes them too)
    turn:{turn}      string  the session id of a turn (feedback looks it up)
    fb:{feedback}    string  a Feedback JSON with its session and time (one per turn)
    updated          zset    session ids by last update (the retention purge walks it)
    feedback         zset    feedback ids by creation time
    fulltext         zset    session ids by their oldest turn not yet redacted (`redact_older`)
    audit_erased     zset    what the audit keeps of erased sessions, by time

One turn is written by one Lua script (turn, audit, state and indexes together), so a worker
killed mid-turn or a connection dropped mid-write never leaves a half-written turn, and a
retried write of the same turn is a no-op. Use one Redis primary (with AOF on for durability);
the scripts touch several keys, so Redis Cluster is not supported.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import redis
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.retry import Retry

from assistant.errors import BackendUnavailable, UnknownSession, UnknownTurn
from assistant.redact import redact
from assistant.sessions import (
    AuditRecord,
    Feedback,
    SessionAccess,
    TurnRecord,
    erased_audit,
    feedback_id,
    redacted_turn,
)

__all__ = ["RedisSessions"]

T = TypeVar("T")
log = logging.getLogger("runsource.sessions")

# KEYS: session hash, turns, audit, turn->session, updated zset, fulltext zset
# ARGV: session id, turn id, created_at, state JSON, turn JSON, audit JSON, secret (token hash)
# Returns 1 when written, 0 when that turn id was already stored (an idempotent retry).
_SAVE_TURN = """
if redis.call('EXISTS', KEYS[4]) == 1 then
  return 0
end
redis.call('HSETNX', KEYS[1], 'created_at', ARGV[3])
redis.call('HSETNX', KEYS[1], 'secret', ARGV[7])
redis.call('ZADD', KEYS[6], 'NX', ARGV[3], ARGV[1])
redis.call('HSET', KEYS[1], 'updated_at', ARGV[3], 'state', ARGV[4])
redis.call('RPUSH', KEYS[2], ARGV[5])
redis.call('RPUSH', KEYS[3], ARGV[6])
redis.call('SET', KEYS[4], ARGV[1])
redis.call('ZADD', KEYS[5], ARGV[3], ARGV[1])
return 1
"""

# KEYS: turn->session key, feedback key, feedback zset; ARGV: prefix, feedback id, created_at, JSON
# Returns the session id, or false when the turn is unknown (nothing written then).
_ADD_FEEDBACK = """
local session = redis.call('GET', KEYS[1])
if not session then
  return false
end
redis.call('SET', KEYS[2], ARGV[4])
redis.call('ZADD', KEYS[3], ARGV[3], ARGV[2])
redis.call('SADD', ARGV[1] .. 'f:' .. session, ARGV[2])
return session
"""

# KEYS: updated zset, feedback zset; ARGV: prefix, cutoff, batch size
# One bounded step of the purge: at most `batch` items (turns, feedback ids, sessions, erased-audit
# entries) are read or deleted per call, however long a session's history is. A session whose
# turns do not all fit is trimmed from the front and finished by the next call; it stays in the
# `updated` index until its last key is gone, so a crash between calls leaves it to be found again.
# Returns {sessions deleted, stale feedback deleted, 1 if work is left else 0}.
_PURGE = """
local p = ARGV[1]
local budget = tonumber(ARGV[3])
local done = 0
local old = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[2], 'LIMIT', 0, budget)
for _, sid in ipairs(old) do
  local tkey = p .. 't:' .. sid
  local turns = redis.call('LRANGE', tkey, 0, budget - 1)
  for _, raw in ipairs(turns) do
    local ok, turn = pcall(cjson.decode, raw)
    if ok and turn['turn_id'] then
      redis.call('DEL', p .. 'turn:' .. turn['turn_id'])
    end
  end
  if #turns > 0 then
    redis.call('LTRIM', tkey, #turns, -1)
    budget = budget - #turns
  end
  if redis.call('LLEN', tkey) > 0 or budget <= 0 then
    return {done, 0, 1}
  end
  local fids = redis.call('SPOP', p .. 'f:' .. sid, budget)
  for _, fid in ipairs(fids) do
    redis.call('DEL', p .. 'fb:' .. fid)
    redis.call('ZREM', KEYS[2], fid)
  end
  budget = budget - #fids
  if redis.call('SCARD', p .. 'f:' .. sid) > 0 or budget <= 0 then
    return {done, 0, 1}
  end
  redis.call('UNLINK', p .. 's:' .. sid, tkey, p .. 'a:' .. sid, p .. 'f:' .. sid)
  redis.call('ZREM', KEYS[1], sid)
  redis.call('ZREM', p .. 'fulltext', sid)
  done = done + 1
  budget = budget - 1
  if budget <= 0 then
    return {done, 0, 1}
  end
end
local erased = redis.call('ZRANGEBYSCORE', p .. 'audit_erased', '-inf', '(' .. ARGV[2], 'LIMIT', 0, budget)
if #erased > 0 then
  redis.call('ZREM', p .. 'audit_erased', unpack(erased))
  budget = budget - #erased
  if budget <= 0 then
    return {done, 0, 1}
  end
end
local stale = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', '(' .. ARGV[2], 'LIMIT', 0, budget)
for _, fid in ipairs(stale) do
  redis.call('DEL', p .. 'fb:' .. fid)
  redis.call('ZREM', KEYS[2], fid)
end
local more = 0
if #old == tonumber(ARGV[3]) or #stale == budget then
  more = 1
end
return {done, #stale, more}
"""

_PURGE_BATCH = 500


def safe_url(url: str) -> str:
    """The URL without its password, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    user = f"{parts.username}:***@" if parts.username else ":***@"
    return urlunsplit((parts.scheme, user + host, parts.path, parts.query, parts.fragment))


class RedisSessions:
    """Sessions in Redis (the `SessionStore` protocol); every worker and machine shares one."""

    def __init__(
        self,
        url: str,
        *,
        prefix: str = "runsource:",
        connect_timeout_s: float = 1.0,
        timeout_s: float = 3.0,
    ) -> None:
        self.url = safe_url(url)
        self.prefix = prefix
        # Few, quick retries: a restarted Redis leaves stale pooled connections worth one more try,
        # but a Redis that is down must turn into a 503 within seconds, not hang a worker.
        self.client: redis.Redis = redis.Redis.from_url(
            url,
            decode_responses=True,
            socket_connect_timeout=connect_timeout_s,
            socket_timeout=timeout_s,
            retry=Retry(ExponentialBackoff(cap=0.2, base=0.02), 2),
            retry_on_error=[RedisConnectionError, RedisTimeoutError],
            health_check_interval=30,
        )
        self._save_turn = self.client.register_script(_SAVE_TURN)
        self._add_feedback = self.client.register_script(_ADD_FEEDBACK)
        self._purge = self.client.register_script(_PURGE)

    def _key(self, kind: str, ident: str = "") -> str:
        return f"{self.prefix}{kind}{ident}"

    def _call(self, what: str, fn: Callable[[], T]) -> T:
        """Run one Redis operation; any Redis failure becomes BackendUnavailable (a 503)."""
        try:
            return fn()
        except RedisError as exc:
            # The details (host, port) go to the operator's log; the 503 body names no address.
            log.warning("Redis at %s failed to %s: %s: %s", self.url, what, type(exc).__name__, exc)
            raise BackendUnavailable(
                f"the session store (Redis) failed to {what} ({type(exc).__name__}). "
                "Check that Redis is running and RUNSOURCE_SESSIONS_URL points at it."
            ) from exc

    def load_state(self, session_id: str) -> dict[str, Any] | None:
        found = self.access(session_id)
        return found.state if found else None

    def access(self, session_id: str) -> SessionAccess | None:
        client: Any = self.client
        raw, secret = self._call(
            "load a session", lambda: client.hmget(self._key("s:", session_id), ["state", "secret"])
        )
        if raw is None:
            return None
        return SessionAccess(json.loads(str(raw)), str(secret or ""))

    def history(self, session_id: str, limit: int = 20) -> list[TurnRecord]:
        if limit <= 0:
            return []
        rows: list[str] = self._call(
            "read a session's history",
            lambda: self.client.lrange(self._key("t:", session_id), -limit, -1),  # type: ignore[arg-type,return-value]
        )
        return [TurnRecord.model_validate_json(r) for r in rows]

    def save_turn(
        self, turn: TurnRecord, state: dict[str, Any], audit: AuditRecord, secret: str = ""
    ) -> None:
        sid = turn.session_id
        keys = [
            self._key("s:", sid),
            self._key("t:", sid),
            self._key("a:", sid),
            self._key("turn:", turn.turn_id),
            self._key("updated"),
            self._key("fulltext"),
        ]
        args = [
            sid,
            turn.turn_id,
            repr(turn.created_at),
            json.dumps(state),
            turn.model_dump_json(),
            audit.model_dump_json(),
            secret,
        ]
        self._call("save a turn", lambda: self._save_turn(keys=keys, args=args))

    def audit(self, session_id: str) -> list[AuditRecord]:
        def read() -> tuple[list[str], int]:
            pipe = self.client.pipeline(transaction=True)
            pipe.lrange(self._key("a:", session_id), 0, -1)
            pipe.exists(self._key("s:", session_id))
            rows, exists = pipe.execute()
            return rows, int(exists)

        rows, exists = self._call("read the audit trail", read)
        if not rows and not exists:
            raise UnknownSession(session_id)
        return [AuditRecord.model_validate_json(r) for r in rows]

    def turn_session(self, turn_id: str) -> str | None:
        found = self._call("look up a turn", lambda: self.client.get(self._key("turn:", turn_id)))
        return str(found) if found else None

    def add_feedback(self, feedback: Feedback) -> str:
        """The turn's one feedback (its id follows from the turn's, so a second one replaces it)."""
        fid = feedback_id(feedback.turn_id)
        now = time.time()
        body = json.dumps(
            {
                "id": fid,
                "turn_id": feedback.turn_id,
                "created_at": now,
                "rating": feedback.rating,
                "reason": feedback.reason,
                "comment": redact(feedback.comment),
            }
        )
        keys = [self._key("turn:", feedback.turn_id), self._key("fb:", fid), self._key("feedback")]
        session = self._call(
            "save feedback",
            lambda: self._add_feedback(keys=keys, args=[self.prefix, fid, repr(now), body]),
        )
        if not session:
            raise UnknownTurn(feedback.turn_id)
        return fid

    def feedback_of(self, session_id: str) -> dict[str, Feedback]:
        client: Any = self.client

        def read() -> list[str | None]:
            fids = sorted(client.smembers(self._key("f:", session_id)))
            if not fids:
                return []
            found: list[str | None] = client.mget([self._key("fb:", f) for f in fids])
            return found

        found = [Feedback.model_validate_json(raw) for raw in self._call("read feedback", read) if raw]
        return {f.turn_id: f for f in found}

    def erase(self, session_id: str) -> bool:
        """Delete a conversation and its feedback; its audit entries keep level, flag ids and versions."""
        keys = [self._key(kind, session_id) for kind in ("s:", "t:", "a:", "f:")]

        def run(pipe: Any) -> bool:
            if not pipe.exists(keys[0]):
                return False
            turns = [TurnRecord.model_validate_json(r) for r in pipe.lrange(keys[1], 0, -1)]
            audits = [AuditRecord.model_validate_json(r) for r in pipe.lrange(keys[2], 0, -1)]
            fids = list(pipe.smembers(keys[3]))
            pipe.multi()
            for t in turns:
                pipe.delete(self._key("turn:", t.turn_id))
            for fid in fids:
                pipe.delete(self._key("fb:", fid))
                pipe.zrem(self._key("feedback"), fid)
            for a in audits:
                kept = erased_audit(a)
                pipe.zadd(self._key("audit_erased"), {kept.model_dump_json(): kept.created_at})
            pipe.delete(*keys)
            pipe.zrem(self._key("updated"), session_id)
            pipe.zrem(self._key("fulltext"), session_id)
            return True

        client: Any = self.client
        return bool(
            self._call("erase a session", lambda: client.transaction(run, *keys, value_from_callable=True))
        )

    def erased_audit(self) -> list[AuditRecord]:
        client: Any = self.client
        rows: list[str] = self._call(
            "read the erased audit", lambda: client.zrange(self._key("audit_erased"), 0, -1)
        )
        return [AuditRecord.model_validate_json(r) for r in rows]

    def redact_older(self, before: float) -> int:
        """Redact the message and reply text of turns stored before `before`; returns how many."""
        client: Any = self.client
        due: list[str] = self._call(
            "find turns to redact",
            lambda: client.zrangebyscore(self._key("fulltext"), "-inf", f"({before!r}"),
        )
        return sum(self._redact_session(sid, before) for sid in due)

    def _redact_session(self, session_id: str, before: float) -> int:
        turns_key = self._key("t:", session_id)

        def run(pipe: Any) -> int:
            rows = [TurnRecord.model_validate_json(r) for r in pipe.lrange(turns_key, 0, -1)]
            pipe.multi()
            changed = 0
            for i, t in enumerate(rows):
                if t.created_at < before:
                    message, reply = redacted_turn(t.message, t.reply)
                    if (message, reply) != (t.message, t.reply):
                        pipe.lset(
                            turns_key,
                            i,
                            t.model_copy(update={"message": message, "reply": reply}).model_dump_json(),
                        )
                        changed += 1
            left = [t.created_at for t in rows if t.created_at >= before]
            if left:
                pipe.zadd(self._key("fulltext"), {session_id: min(left)})
            else:
                pipe.zrem(self._key("fulltext"), session_id)
            return changed

        client: Any = self.client
        return int(
            self._call(
                "redact old turns", lambda: client.transaction(run, turns_key, value_from_callable=True)
            )
        )

    def feedback_count(self) -> int:
        return int(self._call("count feedback", lambda: self.client.zcard(self._key("feedback"))))

    def purge(self, older_than_days: int) -> int:
        """Delete sessions (turns, audit, feedback) not updated for `older_than_days`; returns how many."""
        cutoff = repr(time.time() - older_than_days * 86400)
        keys = [self._key("updated"), self._key("feedback")]
        total = 0
        while True:  # bounded steps keep each script short, so Redis never stalls other workers
            sessions, _, more = self._call(
                "purge old sessions",
                lambda: self._purge(keys=keys, args=[self.prefix, cutoff, _PURGE_BATCH]),
            )
            total += int(sessions)
            if not int(more):
                return total

    def ping(self) -> None:
        self._call("answer a ping", self.client.ping)

    def close(self) -> None:
        self.client.close()
