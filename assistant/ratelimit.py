"""Rate limits on the `limits` library: moving windows, in this process's memory or in Redis.

    RateLimits.wait(rule, *keys)   None when allowed, else whole seconds until the window has room

One rule per thing limited (`RULES`), each `per minute` from settings. The storage is chosen once,
by `assistant.services.make_rate_limits`: Redis when sessions live in Redis (every worker and
machine then shares one count), memory otherwise. If Redis cannot answer at once the request is
let through (the session store then answers 503 anyway): a limiter must never take chat down.
The routes use these through the FastAPI dependencies in `assistant.api.deps`.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Mapping
from typing import Any, Literal

from limits import RateLimitItemPerMinute
from limits.errors import StorageError
from limits.storage import MemoryStorage, RedisStorage, Storage
from limits.strategies import MovingWindowRateLimiter
from starlette.concurrency import run_in_threadpool

__all__ = ["RULES", "RateLimits", "Rule"]

log = logging.getLogger("runsource.ratelimit")

Rule = Literal["ip", "session", "feedback", "door_user", "door_team"]
RULES: tuple[Rule, ...] = ("ip", "session", "feedback", "door_user", "door_team")


class RateLimits:
    """Moving-window limits, one `per minute` figure per rule, on one storage."""

    def __init__(self, per_minute: Mapping[Rule, int], storage: Storage, *, local: bool) -> None:
        self.items = {
            rule: RateLimitItemPerMinute(n, namespace=f"runsource-{rule}") for rule, n in per_minute.items()
        }
        self.storage = storage
        self.window = MovingWindowRateLimiter(storage)
        self.local = local  # memory: answered in the event loop; Redis: a round trip, in a thread

    @classmethod
    def in_memory(cls, per_minute: Mapping[Rule, int]) -> RateLimits:
        return cls(per_minute, MemoryStorage(), local=True)

    @classmethod
    def in_redis(cls, per_minute: Mapping[Rule, int], url: str) -> RateLimits:
        """`url` as redis-py takes it (redis://, rediss:// or unix://)."""
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        # No retries and short timeouts: a limiter that cannot answer at once lets the request through.
        options: dict[str, Any] = {
            "socket_connect_timeout": 0.5,
            "socket_timeout": 0.5,
            "retry": Retry(NoBackoff(), 0),
        }
        uri = "redis+unix" + url.removeprefix("unix") if url.startswith("unix://") else url
        storage = RedisStorage(uri, wrap_exceptions=True, key_prefix="runsource:rl", **options)
        return cls(per_minute, storage, local=False)

    def check(self, rule: Rule, *keys: str) -> int | None:
        """Take one place in `rule`'s window for `keys`; None when allowed, else seconds to wait."""
        item = self.items[rule]
        try:
            if self.window.hit(item, *keys):
                return None
            reset = self.window.get_window_stats(item, *keys).reset_time
        except StorageError as exc:
            log.warning("rate limits could not reach their storage (%s); letting the request through", exc)
            return None
        return max(1, math.ceil(reset - time.time()))

    async def wait(self, rule: Rule, *keys: str) -> int | None:
        """`check`, off the event loop when the storage is across the network."""
        if self.local:
            return self.check(rule, *keys)
        return await run_in_threadpool(self.check, rule, *keys)

    async def first_wait(self, checks: tuple[tuple[Rule, str], ...]) -> int | None:
        """The doors' turn limits in order (per user, then per team or guild): the first wait, else None."""
        for rule, key in checks:
            wait = await self.wait(rule, key)
            if wait is not None:
                return wait
        return None

    def reset(self) -> None:
        """Forget every count (tests and `runsource` maintenance)."""
        self.storage.reset()
