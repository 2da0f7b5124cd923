"""Rate limits and door replay records in a real Redis, shared by every worker."""

from __future__ import annotations

import secrets
import threading
import time

from assistant.once import RedisOnce
from assistant.ratelimit import RateLimits
from tests.scale.servers import RedisServer


def test_the_window_is_shared_by_every_worker(redis_server: RedisServer) -> None:
    workers = [RateLimits.in_redis({"ip": 20}, redis_server.url) for _ in range(3)]
    key = secrets.token_hex(4)
    allowed = [w.check("ip", key) is None for _ in range(10) for w in workers]
    assert sum(allowed) == 20
    wait = workers[0].check("ip", key)
    assert wait is not None and 1 <= wait <= 60


def test_concurrent_hits_never_overdraw(redis_server: RedisServer) -> None:
    limits = RateLimits.in_redis({"ip": 50}, redis_server.url)
    key = secrets.token_hex(4)
    allowed: list[bool] = []
    lock = threading.Lock()

    def hit() -> None:
        for _ in range(20):
            ok = limits.check("ip", key) is None
            with lock:
                allowed.append(ok)

    threads = [threading.Thread(target=hit) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(allowed) == 50


def test_a_missing_redis_lets_requests_through() -> None:
    limits = RateLimits.in_redis({"ip": 1}, "redis://127.0.0.1:1/0")
    start = time.monotonic()
    assert [limits.check("ip", "k") for _ in range(3)] == [None, None, None]
    assert time.monotonic() - start < 5


def test_door_requests_are_taken_once_across_workers(redis_server: RedisServer) -> None:
    one, two = RedisOnce(redis_server.url), RedisOnce(redis_server.url)
    key = f"slack:event:{secrets.token_hex(4)}"
    assert one.claim(key, 60) and not two.claim(key, 60)
    assert two.state(key) == "busy"
    one.finish(key, 3600)
    assert two.state(key) == "done" and not two.claim(key, 60)
    other = f"discord:{secrets.token_hex(4)}"
    assert one.claim(other, 0.05)
    time.sleep(0.2)
    assert two.claim(other, 60), "an in-progress claim whose time is up (a crash) is free again"
    two.release(other)
    assert one.claim(other, 60), "a released claim is free again"
