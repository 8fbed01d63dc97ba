"""Truly parallel requests against one member: redemptions never overspend and rule limits hold,
in-process over separate pooled connections and across two live worker processes, on both
databases."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from tessera.loyalty.ledger import approved_balance
from tessera.store.tables import claimed_rewards, customers
from tests.factories import Tenant
from tests.headless.helpers import PREFIX, assert_contract_body, demo_tenant, member

PARALLEL = 12


async def redeem_in_parallel(http: httpx.AsyncClient, tenant: Tenant) -> Counter[int]:
    async def redeem() -> int:
        response = await http.post(
            f"{PREFIX}/{tenant.site.id}/rewards/cart_discount_voucher/redeem?channel=web",
            json={"reward_id": 1, "customer_merchant_id": "1001"},
            headers=tenant.auth,
        )
        assert_contract_body(response)
        if response.status_code == 422:
            assert response.json()["error"]["code"] == "insufficient_points"
        status: int = response.status_code
        return status

    return Counter(await asyncio.gather(*(redeem() for _ in range(PARALLEL))))


async def balance_of(db: AsyncEngine) -> int:
    async with db.connect() as conn:
        customer_id = await conn.scalar(sa.select(customers.c.id))
        assert customer_id is not None
        return await approved_balance(conn, customer_id)


async def test_parallel_redemptions_never_overspend(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await demo_tenant(db, rate_limit="1000/second")
    await member(client, db, tenant, "1001", points=1400)  # 1,500 with joining: three vouchers
    statuses = await redeem_in_parallel(client, tenant)
    assert statuses == Counter({201: 3, 422: PARALLEL - 3})
    assert await balance_of(db) == 0
    async with db.connect() as conn:
        codes = (await conn.execute(sa.select(claimed_rewards.c.code))).scalars().all()
    assert len(set(codes)) == 3


async def test_parallel_pageviews_respect_the_daily_limit(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await demo_tenant(db, rate_limit="1000/second")

    async def view_page() -> int:
        response = await client.post(
            f"{PREFIX}/{tenant.site.id}/customers/1001/sessions?channel=web",
            json={
                "customer": {"email": "1001@example.com"},
                "session": {"page_url": "https://demo.tessera.example/products/tote"},
            },
            headers=tenant.auth,
        )
        assert_contract_body(response)
        status: int = response.status_code
        return status

    # The customer does not exist yet: the first sessions also race to create and enrol it.
    statuses = await asyncio.gather(*(view_page() for _ in range(PARALLEL)))
    assert set(statuses) == {200}
    assert await balance_of(db) == 100 + 5 * 10


async def test_parallel_redemptions_across_two_workers_never_overspend(
    db: AsyncEngine, live_server: Callable[..., Any]
) -> None:
    server = live_server(workers=2)
    tenant = await demo_tenant(db, rate_limit="1000/second")
    async with httpx.AsyncClient(base_url=server.url, timeout=60) as http:
        await member(http, db, tenant, "1001", points=1400)
        statuses = await redeem_in_parallel(http, tenant)
    assert statuses == Counter({201: 3, 422: PARALLEL - 3})
    assert await balance_of(db) == 0


async def test_parallel_custom_rule_completions_across_two_workers_respect_the_limit(
    db: AsyncEngine, live_server: Callable[..., Any]
) -> None:
    server = live_server(workers=2)
    tenant = await demo_tenant(db, rate_limit="1000/second")
    async with httpx.AsyncClient(base_url=server.url, timeout=60) as http:
        await member(http, db, tenant, "1001")

        async def write_review() -> int:
            response = await http.post(
                f"{PREFIX}/{tenant.site.id}/rules/custom/complete?channel=web",
                json={"rule_id": 8, "customer_merchant_id": "1001"},
                headers=tenant.auth,
            )
            assert_contract_body(response)
            if response.status_code == 422:
                assert response.json()["error"]["code"] == "rule_limit_reached"
            status: int = response.status_code
            return status

        statuses = Counter(await asyncio.gather(*(write_review() for _ in range(PARALLEL))))
    # Three reviews a month at 75 points.
    assert statuses == Counter({200: 3, 422: PARALLEL - 3})
    assert await balance_of(db) == 100 + 3 * 75
