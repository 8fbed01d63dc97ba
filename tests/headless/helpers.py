"""Shared by the Headless API tests: the demo program as a tenant, calls that check every
response body against the contract, and a customer with points."""

from __future__ import annotations

import re
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from tessera.api.contract import load_contract
from tessera.demo.setup import demo_document_data
from tests.contract import assert_matches_contract
from tests.factories import Tenant, make_customer, make_tenant

PREFIX = "/headless/2025-06"
CONTRACT = "headless-2025-06"
LANGUAGES = ["en", "de", "es", "fr", "it", "nl", "sv"]
CURRENCIES = ["usd", "eur", "gbp", "sek"]


async def demo_tenant(db: AsyncEngine, **options: Any) -> Tenant:
    options.setdefault("program", demo_document_data())
    return await make_tenant(db, languages=LANGUAGES, currencies=CURRENCIES, **options)


def template_of(path: str) -> str:
    """The contract's path template a concrete path matches."""
    for template in load_contract(CONTRACT)["paths"]:
        pattern = "^" + re.sub(r"\\\{[a-z_]+\\\}", "[^/]+", re.escape(template)) + "$"
        if re.match(pattern, path):
            return str(template)
    raise AssertionError(f"{path} is not a path of the contract")


def assert_contract_body(response: httpx.Response) -> None:
    """The response's body matches the contract for its operation and status."""
    path = response.request.url.path
    body = None if response.status_code == 204 else response.json()
    method = response.request.method
    assert_matches_contract(CONTRACT, method, template_of(path), response.status_code, body)


async def call(
    client: httpx.AsyncClient,
    tenant: Tenant,
    method: str,
    path: str,
    *,
    channel: str | None = "web",
    status: int | None = None,
    json: Any = None,
    params: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """Call ``PREFIX/<site>/<path>``; the body must match the contract for its status."""
    url = f"{PREFIX}/{tenant.site.id}{path}"
    query = dict(params or {})
    if channel is not None:
        query.setdefault("channel", channel)
    response = await client.request(
        method, url, json=json, params=query, headers={**tenant.auth, **(headers or {})}
    )
    if status is not None:
        assert response.status_code == status, response.text
    template = template_of(url.split("?")[0])
    body = None if response.status_code == 204 else response.json()
    assert_matches_contract(CONTRACT, method, template, response.status_code, body)
    return response


async def session(
    client: httpx.AsyncClient,
    tenant: Tenant,
    merchant_id: str,
    *,
    channel: str = "web",
    status: int = 200,
    **body: Any,
) -> dict[str, Any]:
    payload = {"customer": {"email": f"{merchant_id}@example.com"}, **body}
    response = await call(
        client,
        tenant,
        "POST",
        f"/customers/{merchant_id}/sessions",
        channel=channel,
        status=status,
        json=payload,
    )
    data: dict[str, Any] = response.json()
    return data


async def member(
    client: httpx.AsyncClient, db: AsyncEngine, tenant: Tenant, merchant_id: str, points: int = 0
) -> dict[str, Any]:
    """An enrolled member (through Initialize Session) with ``points`` more points."""
    await session(client, tenant, merchant_id)
    if points:
        await make_customer(db, tenant, merchant_id, points=points)
    return await session(client, tenant, merchant_id)
