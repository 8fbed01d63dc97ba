"""A merchant id holding slashes and colons (Shopify's ``gid://shopify/Customer/1``) names the
same customer in a Headless path whether it arrives percent-encoded once or twice (LoyaltyLion's
own TypeScript client encodes it twice), in-process and through a served uvicorn."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.factories import Tenant
from tests.headless.helpers import PREFIX, demo_tenant

GID = "gid://shopify/Customer/1"
# The bytes on the wire, as LoyaltyLion's TypeScript client sends the id (encoded twice).
TWICE = "gid%253A%252F%252Fshopify%252FCustomer%252F1"
ONCE = "gid%3A%2F%2Fshopify%2FCustomer%2F1"


async def open_webview_as_gid(client: httpx.AsyncClient, tenant: Tenant) -> None:
    response = await client.post(
        f"/v2/sites/{tenant.site.id}/webviews/sessions",
        json={"channel": "app", "customer": {"merchant_id": GID, "email": "gid@example.com"}},
        headers=tenant.auth,
    )
    assert response.status_code == 201, response.text
    # The customer joins when the URL is first opened.
    path = httpx.URL(response.json()["webview_session"]["url"]).path
    opened = await client.get(path)
    assert opened.status_code == 303, opened.text


async def get_customer(client: httpx.AsyncClient, tenant: Tenant, raw_id: str) -> httpx.Response:
    # httpx sends a URL's percent-encoding as written.
    url = f"{PREFIX}/{tenant.site.id}/customers/{raw_id}?channel=web"
    return await client.get(url, headers=tenant.auth)


async def test_a_twice_encoded_merchant_id_is_the_customer_the_webview_api_created(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await demo_tenant(db)
    await open_webview_as_gid(client, tenant)
    response = await get_customer(client, tenant, TWICE)
    assert response.status_code == 200, response.text
    assert response.json()["customer"]["merchant_id"] == GID


async def test_a_once_encoded_merchant_id_is_the_same_customer(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await demo_tenant(db)
    await open_webview_as_gid(client, tenant)
    response = await get_customer(client, tenant, ONCE)
    assert response.status_code == 200, response.text
    assert response.json()["customer"]["merchant_id"] == GID


async def test_a_session_for_a_twice_encoded_id_creates_no_second_customer(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await demo_tenant(db)
    await open_webview_as_gid(client, tenant)
    response = await client.post(
        f"{PREFIX}/{tenant.site.id}/customers/{TWICE}/sessions?channel=web",
        json={"customer": {"email": "gid@example.com"}},
        headers=tenant.auth,
    )
    assert response.status_code == 200, response.text
    assert response.json()["customer"]["merchant_id"] == GID


async def test_uvicorn_serves_both_encodings_as_one_customer(
    db: AsyncEngine, live_server: Callable[..., Any]
) -> None:
    tenant = await demo_tenant(db)
    server = live_server()
    async with httpx.AsyncClient(base_url=server.url) as client:
        await open_webview_as_gid(client, tenant)
        for raw_id in (TWICE, ONCE):
            response = await get_customer(client, tenant, raw_id)
            assert response.status_code == 200, (raw_id, response.text)
            assert response.json()["customer"]["merchant_id"] == GID
