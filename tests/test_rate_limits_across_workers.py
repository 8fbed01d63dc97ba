"""Rate limits hold across worker processes when Redis is configured, and survive Redis outages.

These run real `tessera serve` processes with two workers. Which worker answers a request is
the kernel's choice, so the tests open keep-alive connections until the operating system's
socket tables show that both workers accepted some; every request sent over a connection is
then answered by the worker that owns it, so the tests know how many each worker answered.

Rate limiting does not depend on the database, so these run on SQLite only.
"""

from __future__ import annotations

import asyncio
import subprocess
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import AsyncExitStack
from dataclasses import dataclass

import httpx
import psutil
import pytest
import redis.asyncio as aioredis
from sqlalchemy.ext.asyncio import AsyncEngine

from tessera.ratelimit import KEY_PREFIX
from tests.conftest import LiveServer
from tests.factories import Tenant, make_tenant
from tests.services import RedisServer, find_binary, start_redis, wait_for_port

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

WHOAMI = "/v2/identity/whoami"
LIMIT = 30
# Connections opened at once per batch, and requests sent over each.
BATCH = 16
PER_CONNECTION = 3


@pytest.fixture
async def redis_url(redis_server: RedisServer) -> str:
    """The session's Redis, emptied: API key ids repeat between the tests' databases."""
    client = aioredis.Redis.from_url(redis_server.url)
    try:
        await client.flushdb()
    finally:
        await client.aclose()
    return redis_server.url


@pytest.fixture
def own_redis() -> Iterator[RedisServer]:
    """A Redis of this test's own, for tests that stop it."""
    server = start_redis()
    try:
        yield server
    finally:
        if server.process.poll() is None:
            server.stop()


@dataclass(frozen=True)
class Connection:
    """One keep-alive connection to the server, and the worker process that accepted it."""

    http: httpx.AsyncClient
    worker: int


def owners_by_client_port(server: LiveServer) -> dict[int, int]:
    """For each established connection to the server: the client's port -> the worker's pid."""
    port = int(server.url.rsplit(":", 1)[1])
    owners: dict[int, int] = {}
    for child in psutil.Process(server.process.pid).children(recursive=True):
        for conn in child.net_connections(kind="tcp"):
            if conn.status == psutil.CONN_ESTABLISHED and conn.laddr.port == port:
                owners[conn.raddr.port] = child.pid
    return owners


async def connections_to_both_workers(
    server: LiveServer, stack: AsyncExitStack
) -> list[Connection]:
    """Open batches of simultaneous connections until both workers have accepted some."""
    connections: list[Connection] = []
    for _ in range(8):
        batch = [
            await stack.enter_async_context(
                httpx.AsyncClient(
                    base_url=server.url, limits=httpx.Limits(max_connections=1), timeout=30
                )
            )
            for _ in range(BATCH)
        ]
        responses = await asyncio.gather(*(http.get("/healthz") for http in batch))
        owners = owners_by_client_port(server)
        for http, response in zip(batch, responses, strict=True):
            client_port = response.extensions["network_stream"].get_extra_info("client_addr")[1]
            connections.append(Connection(http, owners[client_port]))
        if len({connection.worker for connection in connections}) == 2:
            return connections
    pytest.fail("the kernel gave every connection to the same worker, batch after batch")


async def send_over_every_connection(
    connections: list[Connection], tenant: Tenant
) -> tuple[list[int], Counter[int]]:
    """PER_CONNECTION requests over each connection, all connections at once.

    Returns the statuses, and how many requests each worker answered."""

    async def send(connection: Connection) -> list[int]:
        return [
            (await connection.http.get(WHOAMI, headers=tenant.auth)).status_code
            for _ in range(PER_CONNECTION)
        ]

    answered = Counter({c.worker: 0 for c in connections})
    for connection in connections:
        answered[connection.worker] += PER_CONNECTION
    results = await asyncio.gather(*(send(connection) for connection in connections))
    return [status for statuses in results for status in statuses], answered


def accepted_by_separate_counters(answered: Counter[int]) -> int:
    """What workers that each count on their own would accept in total."""
    return sum(min(LIMIT, requests) for requests in answered.values())


async def test_two_workers_with_redis_accept_exactly_the_limit_between_them(
    live_server: Callable[..., LiveServer], db: AsyncEngine, redis_url: str
) -> None:
    tenant = await make_tenant(db)
    server = live_server(
        workers=2,
        env={"TESSERA_REDIS_URL": redis_url, "TESSERA_RATE_LIMIT_DEFAULT": f"{LIMIT}/minute"},
    )
    async with AsyncExitStack() as stack:
        connections = await connections_to_both_workers(server, stack)
        statuses, answered = await send_over_every_connection(connections, tenant)
    assert len(answered) == 2
    # Separate counters would have accepted more: only shared ones give exactly the limit.
    assert accepted_by_separate_counters(answered) > LIMIT
    assert statuses.count(200) == LIMIT
    assert statuses.count(429) == len(statuses) - LIMIT


async def test_two_workers_without_redis_each_count_on_their_own(
    live_server: Callable[..., LiveServer], db: AsyncEngine
) -> None:
    """The contrast that makes the test above meaningful: per-worker counters exceed the limit."""
    tenant = await make_tenant(db)
    server = live_server(workers=2, env={"TESSERA_RATE_LIMIT_DEFAULT": f"{LIMIT}/minute"})
    async with AsyncExitStack() as stack:
        connections = await connections_to_both_workers(server, stack)
        statuses, answered = await send_over_every_connection(connections, tenant)
    assert statuses.count(200) == accepted_by_separate_counters(answered) > LIMIT


async def test_the_redis_limiter_keeps_each_callers_window_in_redis(
    live_server: Callable[..., LiveServer], db: AsyncEngine, redis_url: str
) -> None:
    tenant = await make_tenant(db)
    server = live_server(workers=2, env={"TESSERA_REDIS_URL": redis_url})
    async with httpx.AsyncClient(base_url=server.url) as http:
        for _ in range(5):
            assert (await http.get(WHOAMI, headers=tenant.auth)).status_code == 200
    client = aioredis.Redis.from_url(redis_url)
    try:
        keys = [key async for key in client.scan_iter(match=KEY_PREFIX + "*")]
        assert len(keys) == 1
        assert await client.llen(keys[0]) == 5
        assert 0 < await client.ttl(keys[0]) <= 1
    finally:
        await client.aclose()


async def test_shared_limit_answers_429_in_the_envelope_with_rate_limit_headers(
    live_server: Callable[..., LiveServer], db: AsyncEngine, redis_url: str
) -> None:
    tenant = await make_tenant(db)
    server = live_server(
        workers=2, env={"TESSERA_REDIS_URL": redis_url, "TESSERA_RATE_LIMIT_DEFAULT": "3/minute"}
    )
    answers: list[httpx.Response] = []
    for _ in range(4):
        # A connection per request, so that the answers come from either worker.
        async with httpx.AsyncClient(base_url=server.url) as http:
            answers.append(await http.get(WHOAMI, headers=tenant.auth))
    assert [answer.status_code for answer in answers] == [200, 200, 200, 429]
    assert [answer.headers["RateLimit-Remaining"] for answer in answers] == ["2", "1", "0", "0"]
    assert {answer.headers["RateLimit-Limit"] for answer in answers} == {"3"}
    refused = answers[-1]
    assert refused.json() == {"error": {"message": "Rate limit exceeded: at most 3 per 1 minute"}}
    assert refused.headers["content-type"] == "application/json"
    assert refused.headers["Retry-After"] == refused.headers["RateLimit-Reset"]
    assert 55 <= int(refused.headers["Retry-After"]) <= 60
    assert "Retry-After" not in answers[0].headers


async def test_when_redis_is_down_limits_are_counted_per_worker_not_failed(
    live_server: Callable[..., LiveServer], db: AsyncEngine, own_redis: RedisServer
) -> None:
    tenant = await make_tenant(db)
    server = live_server(
        workers=1,
        env={"TESSERA_REDIS_URL": own_redis.url, "TESSERA_RATE_LIMIT_DEFAULT": "3/minute"},
    )
    async with httpx.AsyncClient(base_url=server.url) as http:
        assert (await http.get(WHOAMI, headers=tenant.auth)).status_code == 200
        own_redis.stop()
        answers = [await http.get(WHOAMI, headers=tenant.auth) for _ in range(4)]
    # The worker's own window starts empty: Redis had the first request.
    assert [answer.status_code for answer in answers] == [200, 200, 200, 429]
    assert [answer.headers["RateLimit-Remaining"] for answer in answers] == ["2", "1", "0", "0"]
    server.stop()
    log = server.log.read_text()
    assert log.count("rate_limits_per_worker") == 1
    assert "Traceback" not in log


def restart_redis(port: int) -> subprocess.Popen[bytes]:
    binary = find_binary("redis-server", "redis-server")
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for_port(port)
    return process


async def test_limits_are_shared_again_once_redis_is_back(
    live_server: Callable[..., LiveServer], db: AsyncEngine, own_redis: RedisServer
) -> None:
    tenant = await make_tenant(db)
    server = live_server(workers=1, env={"TESSERA_REDIS_URL": own_redis.url})
    own_redis.stop()
    async with httpx.AsyncClient(base_url=server.url) as http:
        assert (await http.get(WHOAMI, headers=tenant.auth)).status_code == 200
        back = RedisServer(port=own_redis.port, process=restart_redis(own_redis.port))
        try:
            await asyncio.sleep(1.2)  # past the limiter's wait before it tries Redis again
            assert (await http.get(WHOAMI, headers=tenant.auth)).status_code == 200
            client = aioredis.Redis.from_url(back.url)
            try:
                keys = [key async for key in client.scan_iter(match=KEY_PREFIX + "*")]
            finally:
                await client.aclose()
        finally:
            back.stop()
    assert len(keys) == 1
    server.stop()
    assert "rate_limits_shared_again" in server.log.read_text()


async def test_with_redis_outage_refuse_a_redis_outage_is_a_503_in_each_dialect(
    live_server: Callable[..., LiveServer], db: AsyncEngine, own_redis: RedisServer
) -> None:
    tenant = await make_tenant(db)
    server = live_server(
        workers=1, env={"TESSERA_REDIS_URL": own_redis.url, "TESSERA_REDIS_OUTAGE": "refuse"}
    )
    headless = f"/headless/2025-06/{tenant.site.id}/configuration?channel=web"
    async with httpx.AsyncClient(base_url=server.url) as http:
        assert (await http.get(WHOAMI, headers=tenant.auth)).status_code == 200
        own_redis.stop()
        answers = [await http.get(path, headers=tenant.auth) for path in (WHOAMI, headless)]
    for answer in answers:
        assert answer.status_code == 503, answer.text
        assert int(answer.headers["Retry-After"]) >= 1
        assert "Redis" in answer.json()["error"]["message"]
    server.stop()
    log = server.log.read_text()
    assert log.count("rate_limits_refused") == 1
    assert "Traceback" not in log


async def test_with_redis_outage_refuse_requests_are_served_again_once_redis_is_back(
    live_server: Callable[..., LiveServer], db: AsyncEngine, own_redis: RedisServer
) -> None:
    tenant = await make_tenant(db)
    server = live_server(
        workers=1, env={"TESSERA_REDIS_URL": own_redis.url, "TESSERA_REDIS_OUTAGE": "refuse"}
    )
    own_redis.stop()
    async with httpx.AsyncClient(base_url=server.url) as http:
        assert (await http.get(WHOAMI, headers=tenant.auth)).status_code == 503
        back = RedisServer(port=own_redis.port, process=restart_redis(own_redis.port))
        try:
            await asyncio.sleep(1.2)  # past the limiter's wait before it tries Redis again
            assert (await http.get(WHOAMI, headers=tenant.auth)).status_code == 200
        finally:
            back.stop()
