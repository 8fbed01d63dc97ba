"""PostgreSQL stopped under a served Tessera: each dialect answers 503 in its own envelope with
Retry-After, never a 500, and serves again by itself once the database is back."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tessera.auth.stripe_keys import create_stripe_keys
from tessera.config import Settings, normalize_database_url
from tessera.store.engine import create_engine
from tessera.store.migrate import migrate
from tests.conftest import LiveServer, _create_database, run_async
from tests.factories import Tenant
from tests.headless.helpers import PREFIX, demo_tenant
from tests.services import PostgresServer, start_postgres

UNLIMITED = "1000000/second"
RECOVERY_SECONDS = 15.0


@pytest.fixture(scope="module")
def own_postgres() -> Iterator[PostgresServer]:
    """A cluster of this module's own, since its tests stop it."""
    base = Path(tempfile.mkdtemp(prefix="tessera-pg-outage-"))
    server = start_postgres(base)
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def outage_database(own_postgres: PostgresServer) -> Iterator[str]:
    """A fresh, migrated database on the module's cluster."""
    name = f"t_{uuid.uuid4().hex[:16]}"
    run_async(_create_database(own_postgres.admin_url, name))
    url = normalize_database_url(own_postgres.url(name))
    run_async(migrate(Settings(database_url=url)))
    yield url


@dataclass
class World:
    tenant: Tenant
    stripe_key: str


async def make_world(database_url: str) -> World:
    engine = create_engine(Settings(database_url=database_url))
    try:
        tenant = await demo_tenant(engine, rate_limit=UNLIMITED)
        async with engine.begin() as conn:
            keys = await create_stripe_keys(conn, tenant.program_id, rate_limit=UNLIMITED)
    finally:
        await engine.dispose()
    return World(tenant=tenant, stripe_key=keys.secret_key)


@dataclass(frozen=True)
class Probe:
    """One request of a dialect that needs the database, and how its envelope looks."""

    name: str
    request: Callable[[World, int], tuple[str, str, dict[str, Any]]]
    envelope: Callable[[Any], bool]


def webview_session(world: World, n: int) -> tuple[str, str, dict[str, Any]]:
    body = {"channel": "app", "customer": {"merchant_id": f"o{n}", "email": f"o{n}@x.example"}}
    return (
        "POST",
        f"/v2/sites/{world.tenant.site.id}/webviews/sessions",
        {"json": body, "headers": world.tenant.auth},
    )


def headless_session(world: World, n: int) -> tuple[str, str, dict[str, Any]]:
    return (
        "POST",
        f"{PREFIX}/{world.tenant.site.id}/customers/h{n}/sessions?channel=web",
        {"json": {"customer": {"email": f"h{n}@x.example"}}, "headers": world.tenant.auth},
    )


def stripe_customer(world: World, n: int) -> tuple[str, str, dict[str, Any]]:
    headers = {
        "Authorization": f"Bearer {world.stripe_key}",
        "Content-Type": "application/x-www-form-urlencoded",
        "Idempotency-Key": f"outage-{uuid.uuid4().hex}",
    }
    return "POST", "/v1/customers", {"content": f"email=s{n}%40x.example", "headers": headers}


def loyalty_page(world: World, n: int) -> tuple[str, str, dict[str, Any]]:
    # An unknown URL token: telling it from a known one takes the database.
    return "GET", f"/webview/{'0' * 64}", {}


def lion_envelope(body: Any) -> bool:
    return isinstance(body, dict) and isinstance(body.get("error", {}).get("message"), str)


def stripe_envelope(body: Any) -> bool:
    error = body.get("error", {}) if isinstance(body, dict) else {}
    return error.get("type") == "api_error" and isinstance(error.get("message"), str)


def html_page(body: Any) -> bool:
    return isinstance(body, str) and "<html" in body.lower()


PROBES = [
    Probe("admin_webview_session", webview_session, lion_envelope),
    Probe("headless_session", headless_session, lion_envelope),
    Probe("stripe_customer", stripe_customer, stripe_envelope),
    Probe("loyalty_page", loyalty_page, html_page),
]


async def send(http: httpx.AsyncClient, probe: Probe, world: World, n: int) -> httpx.Response:
    method, path, options = probe.request(world, n)
    return await http.request(method, path, **options)


def body_of(response: httpx.Response) -> Any:
    if response.headers.get("content-type", "").startswith("application/json"):
        return response.json()
    return response.text


def named_request_id(response: httpx.Response) -> str | None:
    """The request id the error envelope names (None for an HTML page)."""
    body = body_of(response)
    return body["error"]["request_id"] if isinstance(body, dict) else None


def answered_request_id(response: httpx.Response) -> str:
    """The id the answer's headers carry: Stripe's ``Request-Id``, else ``X-Request-Id``."""
    return response.headers.get("request-id") or response.headers["x-request-id"]


@pytest.mark.parametrize("probe", PROBES, ids=[probe.name for probe in PROBES])
async def test_a_stopped_database_is_a_503_with_retry_after_and_then_recovers(
    probe: Probe,
    own_postgres: PostgresServer,
    outage_database: str,
    live_server_on: Callable[..., LiveServer],
) -> None:
    world = await make_world(outage_database)
    server = live_server_on(outage_database, workers=2)
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as http:
        before = await send(http, probe, world, 0)
        assert before.status_code < 500, before.text

        await asyncio.to_thread(own_postgres.stop)
        try:
            during = [await send(http, probe, world, n) for n in range(1, 9)]
        finally:
            await asyncio.to_thread(own_postgres.start)
        for response in during:
            assert response.status_code == 503, response.text
            assert int(response.headers["retry-after"]) >= 1
            assert probe.envelope(body_of(response)), response.text
            assert named_request_id(response) in (None, answered_request_id(response))
        log = server.log.read_text()
        # Each one logged as a warning line, not as a failure with a traceback.
        assert "database_unavailable" in log
        assert "Traceback" not in log and "unhandled_error" not in log, log

        deadline = time.monotonic() + RECOVERY_SECONDS
        statuses: list[int] = []
        while time.monotonic() < deadline:
            after = await send(http, probe, world, 100 + len(statuses))
            statuses.append(after.status_code)
            assert after.status_code in (503,) or after.status_code < 500, after.text
            if after.status_code < 500:
                break
            await asyncio.sleep(0.2)
        assert statuses[-1] < 500, f"not recovered within {RECOVERY_SECONDS}s: {statuses}"
