"""Request rate limits, per caller, shared across workers through Redis when it is configured.

A moving window: "100/second" means at most 100 requests in any one-second span, so a burst
across a window boundary cannot double the limit.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from functools import lru_cache

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter


@dataclass(frozen=True, slots=True)
class RateLimitState:
    limit: int
    remaining: int
    reset_after: int
    allowed: bool
    description: str

    def headers(self) -> dict[str, str]:
        headers = {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.reset_after),
        }
        if not self.allowed:
            headers["Retry-After"] = str(self.reset_after)
        return headers


@lru_cache(maxsize=256)
def parse_limit(value: str) -> RateLimitItem:
    return parse(value)


def describe(item: RateLimitItem) -> str:
    """``100 per 1 second`` for messages."""
    return f"{item.amount} per {item.multiples} {item.GRANULARITY.name}"


class RateLimiter:
    def __init__(self, redis_url: str | None) -> None:
        storage: Storage
        if redis_url:
            uri = "async+" + redis_url if not redis_url.startswith("async+") else redis_url
            storage = RedisStorage(uri, implementation="redispy")
        else:
            storage = MemoryStorage()
        self.storage = storage
        self._limiter = MovingWindowRateLimiter(storage)

    async def hit(self, limit: str, *identifiers: str) -> RateLimitState:
        item = parse_limit(limit)
        allowed = await self._limiter.hit(item, *identifiers)
        stats = await self._limiter.get_window_stats(item, *identifiers)
        reset_after = max(1, math.ceil(stats.reset_time - time.time()))
        return RateLimitState(
            limit=item.amount,
            remaining=max(0, stats.remaining),
            reset_after=reset_after,
            allowed=allowed,
            description=describe(item),
        )

    async def close(self) -> None:
        # MemoryStorage keeps a timer task; RedisStorage a connection pool.
        reset = getattr(self.storage, "reset", None)
        if isinstance(self.storage, MemoryStorage) and reset is not None:
            await reset()
