"""RedisSessions against a real redis-server: the same contract as SQLite, plus what Redis adds."""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.errors import BackendUnavailable, UnknownSession, UnknownTurn
from assistant.sessions import (
    AuditRecord,
    Feedback,
    SessionAccess,
    SessionStore,
    SQLiteSessions,
    TurnRecord,
)
from tests.scale.servers import RedisServer

redis = pytest.importorskip("redis")

from assistant.sessions_redis import RedisSessions, safe_url  # noqa: E402


def turn(
    session: str, n: int, message: str = "hello", at: float | None = None
) -> tuple[TurnRecord, AuditRecord]:
    created = at if at is not None else time.time()
    t = TurnRecord(
        turn_id=f"t_{session}_{n}", session_id=session, n=n, created_at=created, message=message,
        reply={"reply": f"answer {n}", "triage": {"level": "none", "flags": []}},
    )  # fmt: skip
    a = AuditRecord(turn_id=t.turn_id, session_id=session, created_at=created, level="none", message=message)
    return t, a


def sid() -> str:
    return f"s_{secrets.token_hex(6)}"


@pytest.fixture(params=["sqlite", "redis"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SessionStore]:
    """Each backend behind the one protocol; Redis gets a key prefix of its own per test."""
    if request.param == "sqlite":
        yield SQLiteSessions(tmp_path / "s.db")
        return
    server: RedisServer = request.getfixturevalue("redis_server")
    redis_store = RedisSessions(server.url, prefix=f"test{secrets.token_hex(4)}:")
    yield redis_store
    redis_store.close()


# The contract, for both backends


def test_a_new_session_has_no_state_and_no_history(store: SessionStore) -> None:
    assert store.load_state("s_none") is None
    assert store.history("s_none") == []
    with pytest.raises(UnknownSession):
        store.audit("s_none")


def test_turns_come_back_in_order_with_state_and_audit(store: SessionStore) -> None:
    s = sid()
    for n in (1, 2, 3):
        t, a = turn(s, n, message=f"question {n}")
        store.save_turn(t, {"triage": {"level": "urgent"}, "n": n}, a)
    assert [t.n for t in store.history(s)] == [1, 2, 3]
    assert [t.message for t in store.history(s, limit=2)] == ["question 2", "question 3"]
    assert store.history(s)[0].reply["reply"] == "answer 1"
    assert store.load_state(s) == {"triage": {"level": "urgent"}, "n": 3}
    assert [a.turn_id for a in store.audit(s)] == [f"t_{s}_{n}" for n in (1, 2, 3)]


def test_history_round_trips_the_turn_exactly(store: SessionStore) -> None:
    s = sid()
    t, a = turn(s, 1, message='ünïcode ✓ and "quotes"\nnew line')
    store.save_turn(t, {}, a)
    assert store.history(s) == [t]


def test_feedback_needs_a_real_turn_and_is_redacted(store: SessionStore) -> None:
    s = sid()
    t, a = turn(s, 1)
    store.save_turn(t, {}, a)
    fid = store.add_feedback(
        Feedback(turn_id=t.turn_id, rating="down", reason="wrong", comment="mail a@b.co")
    )
    assert fid.startswith("f_")
    with pytest.raises(UnknownTurn):
        store.add_feedback(Feedback(turn_id="t_nope", rating="up"))


def test_purge_removes_old_sessions_and_keeps_recent_ones(store: SessionStore) -> None:
    old, new = sid(), sid()
    t, a = turn(old, 1, at=time.time() - 10 * 86400)
    store.save_turn(t, {"x": 1}, a)
    store.add_feedback(Feedback(turn_id=t.turn_id, rating="up"))
    t2, a2 = turn(new, 1)
    store.save_turn(t2, {"x": 2}, a2)
    assert store.purge(older_than_days=5) == 1
    assert store.load_state(old) is None
    assert store.history(old) == []
    with pytest.raises(UnknownSession):
        store.audit(old)
    with pytest.raises(UnknownTurn):  # its turns are gone, so feedback on them is refused
        store.add_feedback(Feedback(turn_id=t.turn_id, rating="up"))
    assert store.load_state(new) == {"x": 2}
    assert store.purge(older_than_days=5) == 0


def test_ping_answers(store: SessionStore) -> None:
    store.ping()


def test_the_token_hash_is_written_once_and_door_sessions_have_none(store: SessionStore) -> None:
    api, door = sid(), f"d_{secrets.token_hex(6)}"
    t, a = turn(api, 1)
    store.save_turn(t, {"v": 1}, a, "hash-of-token")
    t, a = turn(api, 2)
    store.save_turn(t, {"v": 2}, a, "another")  # a later turn can never change the secret
    t, a = turn(door, 1)
    store.save_turn(t, {}, a)
    assert store.access(api) == SessionAccess({"v": 2}, "hash-of-token")
    assert store.access(door) == SessionAccess({}, "")
    assert store.access("s_never") is None
    assert store.turn_session(t.turn_id) == door and store.turn_session("t_nope") is None


def test_a_turn_keeps_one_feedback_and_a_repeat_replaces_it(store: SessionStore) -> None:
    s = sid()
    t, a = turn(s, 1)
    store.save_turn(t, {}, a)
    first = store.add_feedback(Feedback(turn_id=t.turn_id, rating="up"))
    again = store.add_feedback(
        Feedback(turn_id=t.turn_id, rating="down", reason="wrong", comment="call 07700 900123")
    )
    assert first == again
    [(turn_id, kept)] = store.feedback_of(s).items()
    assert turn_id == t.turn_id and (kept.rating, kept.reason) == ("down", "wrong")
    assert "900123" not in kept.comment


def test_erasure_deletes_the_conversation_and_keeps_only_the_audit_minimum(store: SessionStore) -> None:
    s, other = sid(), sid()
    t, a = turn(s, 1, message="I'm Jane Doe, numb when I wipe")
    flags = [{"id": "saddle_numbness", "level": "emergency", "label": "Numb", "evidence": "numb"}]
    a = a.model_copy(update={"level": "emergency", "flags": flags, "rules_version": "r1"})
    store.save_turn(t, {"triage": {}}, a, "h")
    store.add_feedback(Feedback(turn_id=t.turn_id, rating="up", comment="thanks"))
    t2, a2 = turn(other, 1)
    store.save_turn(t2, {}, a2, "h2")
    assert store.erase(s) is True
    assert store.access(s) is None and store.history(s) == [] and store.feedback_of(s) == {}
    assert store.turn_session(t.turn_id) is None
    with pytest.raises(UnknownSession):
        store.audit(s)
    with pytest.raises(UnknownTurn):
        store.add_feedback(Feedback(turn_id=t.turn_id, rating="up"))
    [kept] = [r for r in store.erased_audit() if r.turn_id == t.turn_id]  # type: ignore[attr-defined]
    assert kept.level == "emergency" and kept.rules_version == "r1" and kept.session_id == ""
    assert kept.flags == [{"id": "saddle_numbness", "level": "emergency"}] and kept.message == ""
    assert store.erase(s) is False
    assert len(store.history(other)) == 1, "another session is untouched"


def test_messages_past_the_window_are_redacted_and_newer_ones_kept(store: SessionStore) -> None:
    s = sid()
    old, a = turn(s, 1, message="my name is Jane Doe, 42 Elm Street", at=time.time() - 7200)
    old = old.model_copy(update={"reply": {"reply": "Hi Jane Doe, call 07700 900123", "mode": "grounded"}})
    store.save_turn(old, {}, a, "h")
    new, a = turn(s, 2, message="my name is Jane Doe")
    store.save_turn(new, {}, a)
    assert store.redact_older(time.time() - 3600) == 1
    first, second = store.history(s)
    assert "Jane" not in first.message and "Elm" not in first.message
    assert "900123" not in first.reply["reply"] and first.reply["mode"] == "grounded"
    assert second.message == "my name is Jane Doe"
    assert store.redact_older(time.time() - 3600) == 0
    assert store.redact_older(time.time() + 1) == 1
    assert "Jane" not in store.history(s)[1].message


# Redis only


@pytest.fixture
def rstore(redis_server: RedisServer) -> Iterator[RedisSessions]:
    store = RedisSessions(redis_server.url, prefix=f"test{secrets.token_hex(4)}:")
    yield store
    store.close()


def test_a_retried_write_of_the_same_turn_is_a_no_op(rstore: RedisSessions) -> None:
    s = sid()
    t, a = turn(s, 1)
    rstore.save_turn(t, {"v": 1}, a)
    rstore.save_turn(t, {"v": 2}, a)  # a client retry after a dropped reply
    assert len(rstore.history(s)) == 1
    assert len(rstore.audit(s)) == 1
    assert rstore.load_state(s) == {"v": 1}


def test_purge_takes_feedback_and_the_turn_index_with_it(rstore: RedisSessions) -> None:
    s = sid()
    t, a = turn(s, 1, at=time.time() - 3 * 86400)
    rstore.save_turn(t, {}, a)
    rstore.add_feedback(Feedback(turn_id=t.turn_id, rating="up"))
    assert rstore.feedback_count() == 1
    assert rstore.purge(older_than_days=1) == 1
    assert rstore.feedback_count() == 0
    leftover = list(rstore.client.scan_iter(match=f"{rstore.prefix}*"))
    assert leftover == []


def test_purge_works_in_batches(rstore: RedisSessions, monkeypatch: pytest.MonkeyPatch) -> None:
    import assistant.sessions_redis as module

    monkeypatch.setattr(module, "_PURGE_BATCH", 3)
    old = time.time() - 30 * 86400
    for _ in range(7):
        t, a = turn(sid(), 1, at=old)
        rstore.save_turn(t, {}, a)
    assert rstore.purge(older_than_days=1) == 7


def test_a_long_history_is_purged_a_bounded_step_at_a_time(
    rstore: RedisSessions, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The purge once read a whole session's history in one Lua call; now each call reads at most
    a batch of turns, and the session is finished by the next calls."""
    import assistant.sessions_redis as module

    monkeypatch.setattr(module, "_PURGE_BATCH", 4)
    old = time.time() - 30 * 86400
    long_one, short_one = sid(), sid()
    for n in range(1, 12):
        t, a = turn(long_one, n, at=old)
        rstore.save_turn(t, {}, a)
        if n == 3:
            rstore.add_feedback(Feedback(turn_id=t.turn_id, rating="down"))
    t, a = turn(short_one, 1, at=old)
    rstore.save_turn(t, {}, a)
    steps: list[list[int]] = []
    real = rstore._purge

    def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
        out = real(*args, **kwargs)
        steps.append([int(x) for x in out])
        return out

    monkeypatch.setattr(rstore, "_purge", counted)
    assert rstore.purge(older_than_days=1) == 2
    assert len(steps) >= 4, steps  # 11 turns + 1 feedback + 2 sessions + 1 turn, 4 at a time
    assert list(rstore.client.scan_iter(match=f"{rstore.prefix}[stfa]:*")) == []
    assert list(rstore.client.scan_iter(match=f"{rstore.prefix}turn:*")) == []
    assert rstore.feedback_count() == 0


def test_readers_never_see_half_a_turn(rstore: RedisSessions) -> None:
    """Turn, audit and state land together: a reader in between sees all of a turn or none."""
    s = sid()
    stop = threading.Event()
    torn: list[tuple[int, int, object]] = []

    def read() -> None:
        while not stop.is_set():
            pipe = rstore.client.pipeline(transaction=True)
            pipe.llen(f"{rstore.prefix}t:{s}")
            pipe.llen(f"{rstore.prefix}a:{s}")
            pipe.hget(f"{rstore.prefix}s:{s}", "state")
            turns, audits, state = pipe.execute()
            expected = None if turns == 0 else f'{{"n": {turns}}}'
            if turns != audits or state != expected:
                torn.append((turns, audits, state))

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for n in range(1, 201):
            t, a = turn(s, n)
            rstore.save_turn(t, {"n": n}, a)
    finally:
        stop.set()
        reader.join()
    assert torn == []
    assert len(rstore.history(s, limit=500)) == 200


def test_many_writers_lose_nothing(rstore: RedisSessions) -> None:
    sessions = [sid() for _ in range(8)]

    def write(s: str) -> None:
        for n in range(1, 26):
            t, a = turn(s, n)
            rstore.save_turn(t, {"n": n}, a)

    threads = [threading.Thread(target=write, args=(s,)) for s in sessions]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    for s in sessions:
        assert [t.n for t in rstore.history(s, limit=100)] == list(range(1, 26))


def test_a_stopped_redis_is_a_clear_503_and_recovery_is_automatic(own_redis: RedisServer) -> None:
    store = RedisSessions(own_redis.url)
    s = sid()
    t1, a1 = turn(s, 1)
    store.save_turn(t1, {"n": 1}, a1)

    own_redis.stop()
    started = time.monotonic()
    for call in (store.ping, lambda: store.load_state(s), lambda: store.history(s)):
        with pytest.raises(BackendUnavailable, match="session store"):
            call()
    t2, a2 = turn(s, 2)
    with pytest.raises(BackendUnavailable):
        store.save_turn(t2, {"n": 2}, a2)
    assert time.monotonic() - started < 10, "a dead Redis must fail fast, not hang a worker"

    own_redis.start()  # same port and folder: the AOF brings the data back
    store.ping()
    assert [t.n for t in store.history(s)] == [1]  # the failed turn left nothing
    assert store.load_state(s) == {"n": 1}
    store.save_turn(t2, {"n": 2}, a2)
    assert [t.n for t in store.history(s)] == [1, 2]
    store.close()


def test_acknowledged_turns_survive_a_redis_crash(own_redis: RedisServer) -> None:
    """With appendonly yes and appendfsync always, a SIGKILLed Redis keeps every acknowledged turn."""
    store = RedisSessions(own_redis.url)
    s = sid()
    for n in range(1, 21):
        t, a = turn(s, n)
        store.save_turn(t, {"n": n}, a)
    own_redis.kill()
    own_redis.start()
    assert [t.n for t in store.history(s, limit=50)] == list(range(1, 21))
    assert len(store.audit(s)) == 20
    store.close()


def test_the_password_never_appears_in_errors() -> None:
    assert safe_url("redis://:hunter2@127.0.0.1:1/0") == "redis://:***@127.0.0.1:1/0"
    assert safe_url("redis://app:hunter2@db:6379/0") == "redis://app:***@db:6379/0"
    assert safe_url("redis://127.0.0.1:6379/0") == "redis://127.0.0.1:6379/0"
    store = RedisSessions("redis://:hunter2@127.0.0.1:1/0", connect_timeout_s=0.2)
    with pytest.raises(BackendUnavailable) as info:
        store.ping()
    assert "hunter2" not in info.value.message
    assert "RUNSOURCE_SESSIONS_URL" in info.value.message
