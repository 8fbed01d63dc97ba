"""Request rate limits, per caller, shared across workers through Redis when it is configured.

A moving window: "100/second" means at most 100 requests in any one-second span, so a burst
across a window boundary cannot double the limit. Limits are written the way the ``limits``
library parses them ("100/second", "30/minute", "5000 per 1 second").

Each caller's window is the list of the times of its accepted requests. One hit is one step:
drop the times that left the window, accept if fewer than the limit remain, and report what the
RateLimit-* headers need. In Redis that step is one Lua script, so a request costs one round
trip (shared with the requests that arrive meanwhile) and workers (and machines) share the
counters; the script reads Redis's own clock, so machines with skewed clocks still agree.
Without Redis the windows live in the process.

When Redis cannot be reached the limiter fails over, it does not fail the request: for
``OUTAGE_RETRY_SECONDS`` it counts in the process (each worker then enforces the limit on its
own, so N workers accept at most N times the limit), logs one warning per outage, and then lets
one request try Redis again. A Redis outage must not turn every API call into an error, and
per-worker limits are still limits. With ``TESSERA_REDIS_OUTAGE=refuse`` it refuses instead:
every request is answered 503 with Retry-After, in its dialect's envelope, until Redis is back
(for deployments where a limit counted per worker is not acceptable).
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol

import redis.asyncio as aioredis
import structlog
from limits import RateLimitItem, parse
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from tessera.kit.errors import RateLimited
from tessera.store.outage import SharedStateUnavailable

log = structlog.get_logger("tessera.ratelimit")

KEY_PREFIX = "tessera:ratelimit:"
# How long to count in-process after Redis failed, before trying Redis again.
OUTAGE_RETRY_SECONDS = 1.0
# A Redis that is up answers in well under a millisecond; one that hangs must not hold requests.
REDIS_TIMEOUT_SECONDS = 0.5


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


@dataclass(frozen=True, slots=True)
class Window:
    """One hit's outcome: accepted or not, requests now in the window, seconds until one leaves."""

    allowed: bool
    count: int
    reset_after: float


class Windows(Protocol):
    async def acquire(self, key: str, limit: int, seconds: float) -> Window: ...

    async def close(self) -> None: ...


class MemoryWindows:
    """Per-process windows: for each key, the accepted requests' times, oldest first."""

    # Forget idle keys once this many are held, so that memory follows the active callers.
    SWEEP_AT = 10_000

    def __init__(self) -> None:
        self._windows: dict[str, tuple[deque[float], float]] = {}

    async def acquire(self, key: str, limit: int, seconds: float) -> Window:
        now = time.monotonic()
        held = self._windows.get(key)
        if held is None:
            if len(self._windows) >= self.SWEEP_AT:
                self._sweep(now)
            times: deque[float] = deque()
            self._windows[key] = (times, seconds)
        else:
            times = held[0]
        cutoff = now - seconds
        while times and times[0] <= cutoff:
            times.popleft()
        allowed = len(times) < limit
        if allowed:
            times.append(now)
        reset_after = times[0] + seconds - now if times else seconds
        return Window(allowed, len(times), reset_after)

    def _sweep(self, now: float) -> None:
        idle = [
            key
            for key, (times, seconds) in self._windows.items()
            if not times or times[-1] <= now - seconds
        ]
        for key in idle:
            del self._windows[key]

    async def close(self) -> None:
        self._windows.clear()


# One call steps the windows of a batch of requests, in order (a key may appear more than once).
# KEYS[i]: request i's list of accepted request times, newest first; ARGV[2i-1], ARGV[2i]: its
# limit and window in seconds. Returns, per request, {allowed (0/1), count, seconds until the
# oldest leaves}; the last as a string, because Redis truncates Lua numbers to integers.
ACQUIRE_SCRIPT = """
-- Redis 7 replicates a script's effects by default; older versions need asking (for TIME).
redis.replicate_commands()
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local stamp = string.format('%.6f', now)
local replies = {}
for i, key in ipairs(KEYS) do
  local limit = tonumber(ARGV[2 * i - 1])
  local window = tonumber(ARGV[2 * i])
  local cutoff = now - window
  while true do
    local last = redis.call('LINDEX', key, -1)
    if not last or tonumber(last) > cutoff then break end
    redis.call('RPOP', key)
  end
  local count = redis.call('LLEN', key)
  local allowed = 0
  if count < limit then
    redis.call('LPUSH', key, stamp)
    redis.call('PEXPIRE', key, math.ceil(window * 1000))
    count = count + 1
    allowed = 1
  end
  local oldest = tonumber(redis.call('LINDEX', key, -1) or now)
  replies[#replies + 1] = allowed
  replies[#replies + 1] = count
  replies[#replies + 1] = string.format('%.6f', oldest + window - now)
end
return replies
"""
# Requests stepped by one script call at most (its arguments are held in Redis's memory).
MAX_BATCH = 256


@dataclass(slots=True)
class _Hit:
    key: str
    limit: int
    seconds: float
    answer: asyncio.Future[Window]


class RedisWindows:
    """Windows in Redis, shared by every worker and machine that uses the same Redis.

    Concurrent requests share round trips: the hits that arrive while one script call is on its
    way go together in the next, so under load a request costs a share of one call, not a call of
    its own (redis-py spends tens of microseconds of CPU on each). An idle server sends a lone
    hit at once. (All keys of a call must live on one Redis: no Redis Cluster.)"""

    def __init__(self, url: str) -> None:
        self.client: aioredis.Redis = aioredis.Redis.from_url(
            url.removeprefix("async+"),
            socket_timeout=REDIS_TIMEOUT_SECONDS,
            socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
            # No retries: on failure the limiter fails over at once (see the module docstring).
            retry=Retry(NoBackoff(), 0),
        )
        self._acquire = self.client.register_script(ACQUIRE_SCRIPT)
        self._pending: list[_Hit] = []
        self._sender: asyncio.Task[None] | None = None

    async def acquire(self, key: str, limit: int, seconds: float) -> Window:
        hit = _Hit(KEY_PREFIX + key, limit, seconds, asyncio.get_running_loop().create_future())
        self._pending.append(hit)
        if self._sender is None:
            self._sender = asyncio.create_task(self._send_batches())
        return await hit.answer

    async def _send_batches(self) -> None:
        try:
            while self._pending:
                batch = self._pending[:MAX_BATCH]
                del self._pending[:MAX_BATCH]
                await self._send(batch)
        finally:
            self._sender = None

    async def _send(self, batch: list[_Hit]) -> None:
        args: list[float] = []
        for hit in batch:
            args += (hit.limit, hit.seconds)
        try:
            reply: Any = await self._acquire(keys=[hit.key for hit in batch], args=args)
        except BaseException as exc:
            for hit in batch:
                if not hit.answer.done():
                    hit.answer.set_exception(exc)
            if not isinstance(exc, Exception):
                raise
            return
        for index, hit in enumerate(batch):
            allowed, count, reset_after = reply[3 * index : 3 * index + 3]
            if not hit.answer.done():
                hit.answer.set_result(Window(bool(allowed), int(count), float(reset_after)))

    async def close(self) -> None:
        if self._sender is not None:
            await asyncio.shield(self._sender)
        await self.client.aclose()


def _state(item: RateLimitItem, window: Window, allowed: bool) -> RateLimitState:
    return RateLimitState(
        limit=item.amount,
        remaining=max(0, item.amount - window.count),
        reset_after=max(1, math.ceil(window.reset_after)),
        allowed=allowed,
        description=describe(item),
    )


class RateLimiter:
    def __init__(self, redis_url: str | None, *, refuse_without_redis: bool = False) -> None:
        self.local = MemoryWindows()
        self.shared: RedisWindows | None = RedisWindows(redis_url) if redis_url else None
        # TESSERA_REDIS_OUTAGE=refuse: no request is accepted that was not counted in Redis.
        self.refuse_without_redis = refuse_without_redis
        self._outage_until = 0.0
        self._probing = False

    async def hit(self, limit: str, *identifiers: str) -> RateLimitState:
        item = parse_limit(limit)
        key = item.key_for(*identifiers)
        seconds = float(item.get_expiry())
        window = await self._acquire(key, item.amount, seconds)
        return _state(item, window, window.allowed)

    async def peek(self, limit: str, *identifiers: str) -> RateLimitState:
        """The caller's state under ``limit`` without counting a request (a window of limit 0
        accepts nothing, so stepping it only reads): ``allowed`` says whether one more would
        be accepted."""
        item = parse_limit(limit)
        window = await self._acquire(item.key_for(*identifiers), 0, float(item.get_expiry()))
        return _state(item, window, window.count < item.amount)

    async def enforce(self, limit: str, *identifiers: str, headers: dict[str, str]) -> None:
        """Count one request, add the RateLimit headers (sent on refusals too) to ``headers``,
        and raise RateLimited when the caller is over ``limit``."""
        state = await self.hit(limit, *identifiers)
        headers.update(state.headers())
        if not state.allowed:
            raise RateLimited(state.description, state.reset_after)

    async def _acquire(self, key: str, limit: int, seconds: float) -> Window:
        if self.shared is None:
            return await self.local.acquire(key, limit, seconds)
        if self._outage_until:
            if self._probing or time.monotonic() < self._outage_until:
                return await self._without_redis(key, limit, seconds)
            # One request finds out whether Redis is back; the others keep counting locally.
            self._probing = True
        try:
            window = await self.shared.acquire(key, limit, seconds)
        except (RedisError, OSError) as exc:
            if not self._outage_until:
                event, doing = (
                    ("rate_limits_refused", "refusing requests (503)")
                    if self.refuse_without_redis
                    else ("rate_limits_per_worker", "counting per worker")
                )
                log.warning(
                    event,
                    reason=f"Redis is unreachable; {doing} until it is back",
                    error=type(exc).__name__,
                )
            self._outage_until = time.monotonic() + OUTAGE_RETRY_SECONDS
            return await self._without_redis(key, limit, seconds)
        finally:
            self._probing = False
        if self._outage_until:
            self._outage_until = 0.0
            log.warning("rate_limits_shared_again", reason="Redis is reachable again")
        return window

    async def _without_redis(self, key: str, limit: int, seconds: float) -> Window:
        if self.refuse_without_redis:
            raise SharedStateUnavailable("Redis is unreachable")
        return await self.local.acquire(key, limit, seconds)

    async def close(self) -> None:
        await self.local.close()
        if self.shared is not None:
            await self.shared.close()
