"""The ``tessera_*`` metrics an operator graphs: sessions minted per dialect, rate-limit
refusals and idempotent replays, counted from the answers each app gave."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tessera.auth.stripe_keys import create_stripe_keys
from tessera.config import Settings
from tests.conftest import app_client
from tests.factories import make_tenant
from tests.headless.helpers import PREFIX, demo_tenant

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


async def metric(client: httpx.AsyncClient, line_start: str) -> float:
    text = (await client.get("/metrics")).text
    values = [line.rsplit(" ", 1)[1] for line in text.splitlines() if line.startswith(line_start)]
    return sum(float(value) for value in values)


async def test_webview_sessions_are_counted_as_minted(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await make_tenant(db)
    path = f"/v2/sites/{tenant.site.id}/webviews/sessions"
    for _ in range(2):
        response = await client.post(path, json={"channel": "app"}, headers=tenant.auth)
        assert response.status_code == 201
    refused = await client.post(path, json={"channel": 5}, headers=tenant.auth)
    assert refused.status_code == 400
    minted = 'tessera_sessions_minted_total{dialect="webview"}'
    assert await metric(client, minted) == 2
    assert await metric(client, 'tessera_sessions_minted_total{dialect="stripe"}') == 0


async def test_headless_sessions_are_counted_as_minted(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await demo_tenant(db)
    response = await client.post(
        f"{PREFIX}/{tenant.site.id}/customers/1001/sessions?channel=web",
        json={"customer": {"email": "1001@example.com"}},
        headers=tenant.auth,
    )
    assert response.status_code in (200, 201), response.text
    assert await metric(client, 'tessera_sessions_minted_total{dialect="headless"}') == 1


async def test_a_replayed_stripe_session_counts_as_a_replay_not_a_second_session(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await make_tenant(db)
    async with db.begin() as conn:
        keys = await create_stripe_keys(conn, tenant.program_id)
    auth = {"Authorization": f"Bearer {keys.secret_key}", **FORM}
    customer = (await client.post("/v1/customers", content="name=Ada", headers=auth)).json()
    form = f"customer={customer['id']}&components[buy_button][enabled]=true"
    once = {**auth, "Idempotency-Key": "session-1"}
    first = await client.post("/v1/customer_sessions", content=form, headers=once)
    second = await client.post("/v1/customer_sessions", content=form, headers=once)
    assert first.status_code == second.status_code == 200
    assert second.headers["Idempotent-Replayed"] == "true"
    assert await metric(client, 'tessera_sessions_minted_total{dialect="stripe"}') == 1
    assert await metric(client, "tessera_idempotent_replays_total") == 1


async def test_rate_limit_refusals_are_counted_by_route(
    settings: Settings, db: AsyncEngine
) -> None:
    tenant = await make_tenant(db, rate_limit="1/minute")
    path = f"/v2/sites/{tenant.site.id}/webviews/sessions"
    async with app_client(settings) as client:
        statuses = [
            (await client.post(path, json={"channel": "app"}, headers=tenant.auth)).status_code
            for _ in range(3)
        ]
        assert statuses == [201, 429, 429]
        refused = await metric(
            client,
            'tessera_rate_limit_refusals_total{route="/v2/sites/{site_id}/webviews/sessions"}',
        )
        minted = await metric(client, 'tessera_sessions_minted_total{dialect="webview"}')
    assert (refused, minted) == (2, 1)


async def test_each_app_counts_only_its_own_answers(settings: Settings, db: AsyncEngine) -> None:
    tenant = await make_tenant(db)
    path = f"/v2/sites/{tenant.site.id}/webviews/sessions"
    async with app_client(settings) as first:
        await first.post(path, json={"channel": "app"}, headers=tenant.auth)
        async with app_client(settings) as second:
            assert await metric(second, 'tessera_sessions_minted_total{dialect="webview"}') == 0
        assert await metric(first, 'tessera_sessions_minted_total{dialect="webview"}') == 1
