"""The moving-window limiter in-process, and its behaviour when its Redis cannot be reached."""

from __future__ import annotations

import asyncio

from tessera.ratelimit import RateLimiter
from tests.services import RedisServer, free_port

LIMIT = "2 per 2 seconds"


async def test_a_slot_frees_when_the_oldest_request_leaves_the_window() -> None:
    limiter = RateLimiter(None)
    try:
        first = await limiter.hit(LIMIT, "admin", "key:1")
        await asyncio.sleep(1.0)
        second = await limiter.hit(LIMIT, "admin", "key:1")
        refused = await limiter.hit(LIMIT, "admin", "key:1")
        await asyncio.sleep(1.2)  # the first left the window, the second has not
        again = await limiter.hit(LIMIT, "admin", "key:1")
        still_full = await limiter.hit(LIMIT, "admin", "key:1")
    finally:
        await limiter.close()
    assert [first.allowed, second.allowed, refused.allowed] == [True, True, False]
    assert (refused.remaining, refused.reset_after) == (0, 1)
    assert again.allowed and not still_full.allowed


async def test_callers_and_limits_have_separate_windows() -> None:
    limiter = RateLimiter(None)
    try:
        one = [(await limiter.hit("1/minute", "admin", "key:1")).allowed for _ in range(2)]
        other = (await limiter.hit("1/minute", "admin", "key:2")).allowed
        heavy = (await limiter.hit("1/minute", "webview_sessions", "key:1")).allowed
    finally:
        await limiter.close()
    assert one == [True, False]
    assert other and heavy


async def test_an_unreachable_redis_means_counting_in_the_process() -> None:
    limiter = RateLimiter(f"redis://127.0.0.1:{free_port()}/0")
    try:
        allowed = [(await limiter.hit("3/minute", "admin", "key:1")).allowed for _ in range(4)]
    finally:
        await limiter.close()
    assert allowed == [True, True, True, False]


async def test_concurrent_hits_on_redis_share_calls_and_count_exactly(
    redis_server: RedisServer,
) -> None:
    limiter = RateLimiter(redis_server.url)
    key = f"key:{free_port()}"
    try:
        hits = await asyncio.gather(*(limiter.hit("10/minute", "admin", key) for _ in range(25)))
        other = await limiter.hit("10/minute", "admin", f"{key}:other")
    finally:
        await limiter.close()
    assert [hit.allowed for hit in hits] == [True] * 10 + [False] * 15
    assert [hit.remaining for hit in hits[:10]] == list(range(9, -1, -1))
    assert other.allowed and other.remaining == 9


async def peek_then_fill(limiter: RateLimiter, key: str) -> list[tuple[bool, int]]:
    """Peek three times around two hits under 2/minute: (allowed, remaining) each time."""
    seen = []
    for step in ("peek", "peek", "hit", "peek", "hit", "peek"):
        if step == "hit":
            await limiter.hit("2/minute", "auth_failures", key)
            continue
        state = await limiter.peek("2/minute", "auth_failures", key)
        seen.append((state.allowed, state.remaining))
    return seen


async def test_peeking_counts_nothing_and_says_whether_one_more_would_pass() -> None:
    limiter = RateLimiter(None)
    try:
        seen = await peek_then_fill(limiter, "198.51.100.7")
    finally:
        await limiter.close()
    assert seen == [(True, 2), (True, 2), (True, 1), (False, 0)]


async def test_peeking_on_redis_counts_nothing_either(redis_server: RedisServer) -> None:
    limiter = RateLimiter(redis_server.url)
    try:
        seen = await peek_then_fill(limiter, f"198.51.100.{free_port()}")
    finally:
        await limiter.close()
    assert seen == [(True, 2), (True, 2), (True, 1), (False, 0)]
