"""Orders' approval period (``points.order_pending_days``): points stay pending, a refund or
cancellation before the end voids them, and the scheduled pass approves the rest; the clock is
driven by the test, on both databases."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from tessera.kit.clock import utcnow
from tessera.loyalty import ledger
from tessera.points_schedule import approve_order_points
from tessera.state import Tessera
from tests.api.order_helpers import PROGRAM, create, read, update
from tests.factories import Tenant, make_customer, make_tenant

DAYS = 14


async def pending_shop(db: AsyncEngine) -> Tenant:
    program: dict[str, Any] = {**PROGRAM, "points": {"order_pending_days": DAYS}}
    tenant = await make_tenant(db, program=program)
    await make_customer(db, tenant, "c1")
    return tenant


async def balances(db: AsyncEngine, client: httpx.AsyncClient, tenant: Tenant) -> ledger.Balances:
    customer = (await read(client, tenant))["customer"]
    return ledger.Balances(
        approved=customer["points_approved"],
        pending=customer["points_pending"],
        spent=customer["points_spent"],
    )


async def test_an_orders_points_stay_pending_until_the_period_ends(
    client: httpx.AsyncClient, db: AsyncEngine, tessera: Tessera
) -> None:
    tenant = await pending_shop(db)
    await create(client, tenant)  # $100: 50 points
    assert await balances(db, client, tenant) == ledger.Balances(0, 50, 0)
    assert await approve_order_points(tessera, utcnow() + timedelta(days=DAYS - 1)) == 0
    assert await approve_order_points(tessera, utcnow() + timedelta(days=DAYS, minutes=1)) == 50
    assert await balances(db, client, tenant) == ledger.Balances(50, 0, 0)
    # A second pass finds nothing left.
    assert await approve_order_points(tessera, utcnow() + timedelta(days=DAYS + 1)) == 0


async def test_a_cancellation_in_the_period_voids_the_pending_points(
    client: httpx.AsyncClient, db: AsyncEngine, tessera: Tessera
) -> None:
    tenant = await pending_shop(db)
    await create(client, tenant)
    await update(client, tenant, cancellation_status="cancelled")
    assert await balances(db, client, tenant) == ledger.Balances(0, 0, 0)
    assert await approve_order_points(tessera, utcnow() + timedelta(days=DAYS + 1)) == 0
    assert await balances(db, client, tenant) == ledger.Balances(0, 0, 0)


async def test_a_partial_refund_in_the_period_keeps_the_rest_pending_from_the_same_start(
    client: httpx.AsyncClient, db: AsyncEngine, tessera: Tessera
) -> None:
    tenant = await pending_shop(db)
    await create(client, tenant)
    await update(client, tenant, refund_status="partially_refunded", total_refunded="40.00")
    assert await balances(db, client, tenant) == ledger.Balances(0, 30, 0)
    # The same PUT again changes nothing.
    await update(client, tenant, refund_status="partially_refunded", total_refunded="40.00")
    assert await balances(db, client, tenant) == ledger.Balances(0, 30, 0)
    assert await approve_order_points(tessera, utcnow() + timedelta(days=DAYS, minutes=1)) == 30
    assert await balances(db, client, tenant) == ledger.Balances(30, 0, 0)


async def test_a_refund_after_the_period_takes_back_approved_points(
    client: httpx.AsyncClient, db: AsyncEngine, tessera: Tessera
) -> None:
    tenant = await pending_shop(db)
    await create(client, tenant)
    await approve_order_points(tessera, utcnow() + timedelta(days=DAYS, minutes=1))
    await update(client, tenant, refund_status="refunded", total_refunded="100.00")
    assert await balances(db, client, tenant) == ledger.Balances(0, 0, 0)


async def test_the_member_view_says_when_pending_order_points_approve(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await pending_shop(db)
    before = utcnow().replace(microsecond=0)
    await create(client, tenant)
    response = await client.get(
        f"/headless/2025-06/{tenant.site.id}/customers/c1",
        params={"channel": "web"},
        headers=tenant.auth,
    )
    assert response.status_code == 200, response.text
    earned = [
        action
        for action in response.json()["customer"]["history"]
        if action["kind"] == "earned_points_from_rule" and action["rule"]["kind"] == "purchase"
    ]
    assert len(earned) == 1 and earned[0]["state"] == "pending"
    approves = datetime.fromisoformat(earned[0]["points_will_approve_at"].replace("Z", "+00:00"))
    assert before + timedelta(days=DAYS) <= approves <= utcnow() + timedelta(days=DAYS)
