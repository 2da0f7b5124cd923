"""Rate limits shared by every worker and machine: the token buckets of `RateLimiter`, kept in Redis.

Same interface as `assistant.api.security.RateLimiter` (`retry_after(key)`), so the edge can use
either; this one makes `RUNSOURCE_RATE_LIMIT_*` hold for the whole fleet instead of per process.
One Lua script per check keeps the read-refill-take step atomic, and Redis's own clock is used so
machines with drifting clocks agree. If Redis cannot be reached the request is let through (the
session store then answers 503 anyway): a limiter must never be the thing that takes chat down.
"""

from __future__ import annotations

import logging

import redis
from redis.backoff import NoBackoff
from redis.exceptions import RedisError
from redis.retry import Retry

__all__ = ["RedisRateLimiter"]

log = logging.getLogger("runsource.ratelimit")

# KEYS[1]: the bucket; ARGV: capacity, refill per second. Returns 0 when allowed, else seconds to wait.
_TAKE = """
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local b = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(b[1]) or capacity
local ts = tonumber(b[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - ts) * rate)
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
else
  wait = math.max(1, math.ceil((1 - tokens) / rate))
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('EXPIRE', KEYS[1], math.ceil(capacity / rate) + 1)
return wait
"""


class RedisRateLimiter:
    """`per_minute` requests per key per minute, refilled continuously, across all processes."""

    def __init__(
        self,
        url: str,
        per_minute: int,
        *,
        prefix: str = "runsource:rl:",
        client: redis.Redis | None = None,
    ) -> None:
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self.prefix = prefix
        # No retries: a limiter that cannot answer at once lets the request through instead.
        self.client = client or redis.Redis.from_url(
            url,
            decode_responses=True,
            socket_connect_timeout=0.5,
            socket_timeout=0.5,
            retry=Retry(NoBackoff(), 0),
        )
        self._take = self.client.register_script(_TAKE)

    def retry_after(self, key: str) -> int | None:
        """Take one token for `key`; None when allowed, else the whole seconds until one is free."""
        try:
            wait = int(self._take(keys=[self.prefix + key], args=[self.capacity, self.rate]))
        except RedisError as exc:
            log.warning(
                "rate limiter could not reach Redis (%s); letting the request through", type(exc).__name__
            )
            return None
        return wait or None
