"""Shared by the order tests: a program whose purchase rule has a tier variant, and calls that
check every answer against the contract."""

from __future__ import annotations

from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from tessera.store.tables import ledger_entries
from tests.contract import assert_matches_contract
from tests.factories import Tenant, make_tenant

ORDERS = "/v2/orders"
ORDER = "/v2/orders/{merchant_id}"
PROGRAM: dict[str, Any] = {
    "tiers": {
        "boundary_mode": "spend",
        "membership": {"mode": "calendar", "starts_on_month": 1, "starts_on_day": 1},
        "levels": [
            {"id": 1, "name": {"en": "Silver"}, "lower_bound": 0},
            {"id": 2, "name": {"en": "Gold"}, "lower_bound": 100},
        ],
    },
    "rules": [
        {"id": 1, "kind": "join_program", "points": 10, "title": {"en": "Join"}},
        # 1 point per $2 spent; Gold members 3.
        {
            "id": 2,
            "kind": "purchase",
            "points": 1,
            "per_currency_unit": 2,
            "title": {"en": "Buy"},
            "tier_variants": [{"tier_id": 2, "points": 3}],
        },
        {"id": 3, "kind": "referral", "points": 50, "title": {"en": "Refer a friend"}},
    ],
    "rewards": [
        {
            "id": 1,
            "kind": "cart_discount_voucher",
            "points": 20,
            "discount": 5,
            "title": {"en": "$5 off"},
        }
    ],
    "referee_incentive": {
        "kind": "cart_discount_voucher",
        "discount": 10,
        "text": {"en": "10% off your first order"},
    },
}


async def shop(db: AsyncEngine, **options: Any) -> Tenant:
    return await make_tenant(db, program=PROGRAM, **options)


def template_of(path: str) -> str:
    return ORDERS if path.rstrip("/") == ORDERS else ORDER


async def api(
    client: httpx.AsyncClient,
    tenant: Tenant,
    method: str,
    path: str,
    status: int,
    **options: Any,
) -> httpx.Response:
    """One call with the tenant's key; the answer must have ``status`` and the contract's body."""
    response = await client.request(method, path, headers=tenant.auth, **options)
    assert response.status_code == status, response.text
    body = response.json() if response.content else None
    assert_matches_contract("admin-v2", method, template_of(path), status, body)
    return response


def order_body(**fields: Any) -> dict[str, Any]:
    return {
        "customer_id": "c1",
        "customer_email": "c1@example.com",
        "merchant_id": "o1",
        "total": "100.00",
        "total_shipping": "0",
        "payment_status": "paid",
        **fields,
    }


def state(**fields: str) -> dict[str, str]:
    return {
        "payment_status": "paid",
        "refund_status": "not_refunded",
        "cancellation_status": "not_cancelled",
        "total_paid": "100.00",
        "total_refunded": "0",
        **fields,
    }


async def create(
    client: httpx.AsyncClient, tenant: Tenant, status: int = 201, **fields: Any
) -> httpx.Response:
    return await api(client, tenant, "POST", ORDERS, status, json=order_body(**fields))


async def update(
    client: httpx.AsyncClient,
    tenant: Tenant,
    merchant_id: str = "o1",
    status: int = 204,
    **fields: str,
) -> httpx.Response:
    return await api(client, tenant, "PUT", f"{ORDERS}/{merchant_id}", status, json=state(**fields))


async def read(client: httpx.AsyncClient, tenant: Tenant, merchant_id: str = "o1") -> Any:
    return (await api(client, tenant, "GET", f"{ORDERS}/{merchant_id}", 200)).json()["order"]


async def entries(db: AsyncEngine) -> int:
    async with db.connect() as conn:
        return int(await conn.scalar(sa.select(sa.func.count()).select_from(ledger_entries)) or 0)
