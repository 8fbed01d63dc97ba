"""Failed authentications are limited per client address, before they can cost a query.

Each dialect is driven in-process with an address of the test's choosing (the ASGI scope's
client, as a server would fill it); the queries the app sends are counted on its own engine.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AsyncExitStack, contextmanager
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from tessera.app import create_app
from tessera.auth.authenticate import api_key
from tessera.auth.stripe_keys import create_stripe_keys
from tessera.config import Settings
from tessera.state import Tessera
from tests.conftest import LiveServer
from tests.factories import Tenant, make_tenant
from tests.services import RedisServer
from tests.test_rate_limits_across_workers import connections_to_both_workers

# Per minute, so that a slow machine cannot let the window move during a test.
BUDGET = 20
ATTACKER = "198.51.100.7"
NEIGHBOUR = "203.0.113.9"
WHOAMI = "/v2/identity/whoami"


def invalid_key(index: int) -> str:
    return f"pat_{index:032x}"


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


class App:
    """The app in-process, its lifespan run, with clients that come from any address."""

    def __init__(self, settings: Settings) -> None:
        self.app = create_app(settings)
        self._clients: list[httpx.AsyncClient] = []

    async def start(self) -> None:
        self._lifespan = self.app.router.lifespan_context(self.app)
        self.state: dict[str, Any] = await self._lifespan.__aenter__() or {}
        self.tessera: Tessera = self.state["tessera"]

    def client(self, address: str) -> httpx.AsyncClient:
        async def with_state(scope: Any, receive: Any, send: Any) -> None:
            scope["state"] = dict(self.state)
            await self.app(scope, receive, send)

        transport = httpx.ASGITransport(app=with_state, client=(address, 50000))
        http = httpx.AsyncClient(transport=transport, base_url="http://testserver")
        self._clients.append(http)
        return http

    @contextmanager
    def queries(self) -> Iterator[list[str]]:
        """The SQL statements the app's engine runs inside the block."""
        sent: list[str] = []

        def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            sent.append(statement)

        engine = self.tessera.engine.sync_engine
        event.listen(engine, "before_cursor_execute", record)
        try:
            yield sent
        finally:
            event.remove(engine, "before_cursor_execute", record)

    async def stop(self) -> None:
        for http in self._clients:
            await http.aclose()
        await self._lifespan.__aexit__(None, None, None)


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[App]:
    served = App(settings.with_(auth_cache_ttl=60.0, rate_limit_auth_failures=f"{BUDGET}/minute"))
    await served.start()
    yield served
    await served.stop()


@pytest.fixture
async def tenant(db: AsyncEngine) -> Tenant:
    return await make_tenant(db)


async def test_a_flood_of_invalid_admin_keys_becomes_429s_that_cost_no_query(app: App) -> None:
    http = app.client(ATTACKER)
    first = [(await http.get(WHOAMI, headers=bearer(invalid_key(i)))) for i in range(BUDGET)]
    assert {answer.status_code for answer in first} == {401}
    with app.queries() as sent:
        flood = [await http.get(WHOAMI, headers=bearer(invalid_key(i))) for i in range(BUDGET, 100)]
    assert {answer.status_code for answer in flood} == {429}
    assert not [statement for statement in sent if "api_keys" in statement]
    refused = flood[-1]
    assert refused.json() == {
        "error": {
            "message": f"Rate limit exceeded: at most {BUDGET} failed authentications per 1 minute"
        }
    }
    assert 0 < int(refused.headers["Retry-After"]) <= 60


async def test_a_valid_admin_key_keeps_working_during_a_flood_from_its_address(
    app: App, tenant: Tenant
) -> None:
    http = app.client(ATTACKER)
    assert (await http.get(WHOAMI, headers=tenant.auth)).status_code == 200
    for i in range(BUDGET + 5):
        await http.get(WHOAMI, headers=bearer(invalid_key(i)))
    assert (await http.get(WHOAMI, headers=bearer(invalid_key(999)))).status_code == 429
    with app.queries() as sent:
        answer = await http.get(WHOAMI, headers=tenant.auth)
    assert answer.status_code == 200
    assert sent == []


async def test_another_address_is_not_refused_for_the_floods_of_one(app: App) -> None:
    attacker = app.client(ATTACKER)
    for i in range(BUDGET + 1):
        await attacker.get(WHOAMI, headers=bearer(invalid_key(i)))
    neighbour = app.client(NEIGHBOUR)
    assert (await neighbour.get(WHOAMI, headers=bearer(invalid_key(500)))).status_code == 401


async def test_one_invalid_key_repeated_costs_one_query(app: App) -> None:
    http = app.client(ATTACKER)
    with app.queries() as sent:
        answers = [await http.get(WHOAMI, headers=bearer(invalid_key(7))) for _ in range(10)]
    assert {answer.status_code for answer in answers} == {401}
    assert len([statement for statement in sent if "api_keys" in statement]) == 1


async def test_valid_keys_stay_cached_after_ten_thousand_distinct_invalid_ones(
    settings: Settings, tenant: Tenant
) -> None:
    """The flood is let through (a budget it cannot reach) to show the cache itself holds."""
    served = App(settings.with_(auth_cache_ttl=600.0, rate_limit_auth_failures="100000/minute"))
    await served.start()
    try:
        http = served.client(ATTACKER)
        assert (await http.get(WHOAMI, headers=tenant.auth)).status_code == 200
        for i in range(10_000):
            assert await api_key(served.tessera, invalid_key(i), ATTACKER, {}) is None
        with served.queries() as sent:
            answer = await http.get(WHOAMI, headers=tenant.auth)
        assert answer.status_code == 200
        assert sent == []
    finally:
        await served.stop()


async def test_a_flood_of_invalid_headless_keys_becomes_429s_that_cost_no_query(
    app: App, tenant: Tenant
) -> None:
    http = app.client(ATTACKER)
    path = f"/headless/2025-06/{tenant.site.id}/configuration?channel=web"
    assert (await http.get(path, headers=tenant.auth)).status_code == 200
    for i in range(BUDGET):
        assert (await http.get(path, headers=bearer(invalid_key(i)))).status_code == 401
    with app.queries() as sent:
        refused = await http.get(path, headers=bearer(invalid_key(BUDGET)))
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "rate_limited"
    assert "Retry-After" in refused.headers
    assert sent == []
    assert (await http.get(path, headers=tenant.auth)).status_code == 200


async def test_wrong_site_secrets_become_429s_while_the_right_one_keeps_working(
    app: App, tenant: Tenant
) -> None:
    http = app.client(ATTACKER)
    path = f"/v2/sites/{tenant.site.id}/webviews/sessions"
    right = basic(tenant.site_token, tenant.site_secret)
    assert (await http.post(path, json={"channel": "app"}, headers=right)).status_code == 201
    for i in range(BUDGET):
        wrong = basic(tenant.site_token, f"guess-{i}")
        assert (await http.post(path, json={"channel": "app"}, headers=wrong)).status_code == 401
    with app.queries() as sent:
        wrong = basic(tenant.site_token, "one-guess-too-many")
        refused = await http.post(path, json={"channel": "app"}, headers=wrong)
    assert refused.status_code == 429
    assert "Retry-After" in refused.headers
    assert sent == []
    assert (await http.post(path, json={"channel": "app"}, headers=right)).status_code == 201


@pytest.mark.parametrize(
    ("prefix", "method", "path", "authenticated"),
    [
        ("sk_test_", "GET", "/v1/customers", 200),
        # Past authentication, the made-up client secret is the request's own 400.
        ("pk_test_", "POST", "/v1/customer_sessions/claim", 400),
    ],
)
async def test_a_flood_of_invalid_stripe_keys_becomes_429s_that_cost_no_query(
    app: App,
    db: AsyncEngine,
    tenant: Tenant,
    prefix: str,
    method: str,
    path: str,
    authenticated: int,
) -> None:
    async with db.begin() as conn:
        keys = await create_stripe_keys(conn, tenant.program_id)
    valid = keys.secret_key if prefix == "sk_test_" else keys.publishable_key
    http = app.client(ATTACKER)

    def send(key: str) -> Any:
        data = {"client_secret": "cuss_secret_nope"} if method == "POST" else None
        return http.request(method, path, data=data, headers=bearer(key))

    assert (await send(valid)).status_code == authenticated
    for i in range(BUDGET):
        assert (await send(f"{prefix}{i:048x}")).status_code == 401
    with app.queries() as sent:
        refused = await send(f"{prefix}{BUDGET:048x}")
    assert refused.status_code == 429
    assert refused.json()["error"]["type"] == "invalid_request_error"
    assert refused.json()["error"]["code"] == "rate_limit"
    assert "Retry-After" in refused.headers
    assert sent == []
    assert (await send(valid)).status_code == authenticated


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_two_workers_with_redis_share_one_failure_budget(
    live_server: Callable[..., LiveServer], redis_server: RedisServer
) -> None:
    redis = aioredis.Redis.from_url(redis_server.url)
    try:
        await redis.flushdb()
    finally:
        await redis.aclose()
    server = live_server(
        workers=2,
        env={
            "TESSERA_REDIS_URL": redis_server.url,
            "TESSERA_RATE_LIMIT_AUTH_FAILURES": f"{BUDGET}/minute",
        },
    )
    async with AsyncExitStack() as stack:
        connections = await connections_to_both_workers(server, stack)
        answers = await asyncio.gather(
            *(
                c.http.get(WHOAMI, headers=bearer(invalid_key(1000 * i + n)))
                for i, c in enumerate(connections)
                for n in range(3)
            )
        )
    statuses = [answer.status_code for answer in answers]
    assert len({c.worker for c in connections}) == 2
    assert statuses.count(401) == BUDGET
    assert statuses.count(429) == len(statuses) - BUDGET
