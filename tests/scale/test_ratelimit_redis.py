"""The Redis rate limiter: one bucket per key for every worker, atomic, failing open."""

from __future__ import annotations

import secrets
import threading

import pytest

from tests.scale.servers import RedisServer

pytest.importorskip("redis")

from assistant.ratelimit_redis import RedisRateLimiter


def test_the_bucket_is_shared_by_every_worker(redis_server: RedisServer) -> None:
    prefix = f"test-rl-{secrets.token_hex(4)}:"
    workers = [RedisRateLimiter(redis_server.url, 20, prefix=prefix) for _ in range(3)]
    results = [workers[i % 3].retry_after("ip:127.0.0.1") for i in range(30)]
    assert results.count(None) == 20  # not 3 × 20
    assert all(w is not None and 1 <= w <= 60 for w in results[20:])
    assert workers[0].retry_after("ip:10.0.0.9") is None  # other keys have their own bucket


def test_concurrent_takes_never_overdraw(redis_server: RedisServer) -> None:
    limiter = RedisRateLimiter(redis_server.url, 50, prefix=f"test-rl-{secrets.token_hex(4)}:")
    allowed: list[bool] = []
    lock = threading.Lock()

    def take() -> None:
        for _ in range(20):
            ok = limiter.retry_after("session:s_x") is None
            with lock:
                allowed.append(ok)

    threads = [threading.Thread(target=take) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(allowed) in (50, 51)  # 50, plus at most one refilled while the threads ran


def test_a_missing_redis_lets_requests_through() -> None:
    limiter = RedisRateLimiter("redis://127.0.0.1:1/0", 1)
    assert limiter.retry_after("ip:x") is None
    assert limiter.retry_after("ip:x") is None
