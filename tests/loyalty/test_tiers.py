"""Spend and order tiers: orders move a member up, shown with money bounds per the contract."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from tessera.customers.service import find_customer
from tessera.kit.clock import utcnow
from tessera.loyalty.orders import record_purchase
from tessera.loyalty.program import load_program
from tests.factories import Tenant
from tests.headless.helpers import call, demo_tenant, session


def tiered_program(mode: str, bounds: list[object]) -> dict[str, object]:
    return {
        "tiers": {
            "boundary_mode": mode,
            "membership": {"mode": "calendar", "starts_on_month": 1, "starts_on_day": 1},
            "levels": [
                {"id": index + 1, "name": {"en": name}, "lower_bound": bound}
                for index, (name, bound) in enumerate(zip(["Silver", "Gold"], bounds, strict=True))
            ],
        },
        "rules": [
            {"id": 1, "kind": "join_program", "points": 10, "title": {"en": "Join"}},
            {
                "id": 2,
                "kind": "purchase",
                "points": 1,
                "title": {"en": "Buy"},
                "tier_variants": [{"tier_id": 2, "points": 2}],
            },
        ],
    }


async def buy(db: AsyncEngine, tenant: Tenant, *totals: float) -> None:
    async with db.begin() as conn:
        program = await load_program(conn, tenant.site)
        customer = await find_customer(conn, tenant.program_id, "1001")
        assert customer is not None
        for total in totals:
            await record_purchase(
                conn, program, customer, total=total, currency="usd", channel="web", now=utcnow()
            )


async def test_spend_tiers_count_money_spent(client: httpx.AsyncClient, db: AsyncEngine) -> None:
    tenant = await demo_tenant(db, program=tiered_program("spend", [0, {"usd": 100, "eur": 90}]))
    await session(client, tenant, "1001")
    await buy(db, tenant, 60, 50.5)
    body = (await call(client, tenant, "GET", "/customers/1001", status=200)).json()
    membership = body["customer"]["tier_membership"]
    assert membership["tier_id"] == 2
    assert membership["progress"]["tier_spend"]["now"] == {"amount": 110.5, "formatted": "$110.50"}
    assert membership["expires_at"] is not None  # the calendar year's end
    tiers = body["configuration"]["tier_configuration"]["tiers"]
    assert tiers[0]["upper_bound"] == {"amount": 99.99, "formatted": "$99.99"}
    # 60 + 50 points at Silver's 1 point per $1, plus joining.
    assert body["customer"]["points_approved"] == 10 + 60 + 50


async def test_order_tiers_count_orders(client: httpx.AsyncClient, db: AsyncEngine) -> None:
    tenant = await demo_tenant(db, program=tiered_program("orders", [0, 3]))
    await session(client, tenant, "1001")
    await buy(db, tenant, 10, 10)
    before = (await call(client, tenant, "GET", "/customers/1001")).json()["customer"]
    assert before["tier_membership"]["progress"]["orders_needed_for_upgrade"] == 1
    await buy(db, tenant, 10)
    after = (await call(client, tenant, "GET", "/customers/1001")).json()["customer"]
    assert after["tier_membership"]["tier_id"] == 2
    assert [h["label"] for h in after["history"] if h["kind"] == "entered_tier"] == [
        "Entered Gold tier",
        "Entered Silver tier",
    ]


async def test_a_rule_that_crosses_a_points_bound_enters_the_tier_at_once(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    # Joining (10 points) crosses Gold's bound of 10: the join enters Gold in the same session.
    tenant = await demo_tenant(db, program=tiered_program("points", [0, 10]))
    body = await session(client, tenant, "1001")
    assert body["customer"]["tier_membership"]["tier_id"] == 2
    entered = [e["tier"]["id"] for e in body["customer"]["history"] if e["kind"] == "entered_tier"]
    assert entered == [2, 1]


async def test_a_rule_below_the_next_points_bound_keeps_the_tier(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await demo_tenant(db, program=tiered_program("points", [0, 11]))
    body = await session(client, tenant, "1001")
    assert body["customer"]["tier_membership"]["tier_id"] == 1
    entered = [e["tier"]["id"] for e in body["customer"]["history"] if e["kind"] == "entered_tier"]
    assert entered == [1]
