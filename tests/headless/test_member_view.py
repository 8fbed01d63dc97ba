"""The member's view in an Initialize Session: always read fresh (points written by another
connection show at once), and the configured part of rules and rewards, encoded once per
version, view and tier, follows the member's tier; on both databases."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from tessera.api.loyaltylion_headless.available import member_catalog
from tessera.api.loyaltylion_headless.view import View
from tessera.loyalty.claims import claims_and_stock
from tessera.loyalty.program_cache import ProgramCache
from tests.factories import make_customer
from tests.headless.helpers import call, demo_tenant, member, session


def variant_of(body: dict[str, Any], group: str, entry_id: int) -> dict[str, Any]:
    found: dict[str, Any] = next(
        entry["variant"] for entry in body["customer"][group] if entry["id"] == entry_id
    )
    return found


async def test_points_recorded_by_another_connection_show_in_the_next_session(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await demo_tenant(db)
    before = (await member(client, db, tenant, "1001"))["customer"]["points_approved"]
    await make_customer(db, tenant, "1001", points=70)
    after = await session(client, tenant, "1001")
    assert after["customer"]["points_approved"] == before + 70


async def test_a_member_who_moves_up_a_tier_sees_that_tiers_variants(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await demo_tenant(db)
    first = await member(client, db, tenant, "1001")
    assert variant_of(first, "available_rules", 2)["tier_id"] == 1
    await make_customer(db, tenant, "1001", points=3000)
    top = await session(client, tenant, "1001")
    assert variant_of(top, "available_rules", 2)["tier_id"] == 3
    assert variant_of(top, "available_rules", 2)["result"]["points"] == 8
    assert variant_of(top, "available_rewards", 1)["cost"]["points"] == 400


async def test_the_catalog_is_built_once_per_view_and_tier(db: AsyncEngine) -> None:
    tenant = await demo_tenant(db)
    program = await ProgramCache(db).get(tenant.site)
    view = View(channel="web", language="en", currency="usd", country=None)
    assert member_catalog(program, view, 1) is member_catalog(program, view, 1)
    assert member_catalog(program, view, 3) is not member_catalog(program, view, 1)


async def test_a_claim_of_a_stocked_reward_shows_once_and_counts_once_against_stock(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await demo_tenant(db)
    await member(client, db, tenant, "1001", points=2000)
    await member(client, db, tenant, "1002", points=2000)
    redeem = {"customer_merchant_id": "1001", "reward_id": 7, "variant_id": "80011"}
    await call(
        client,
        tenant,
        "POST",
        "/rewards/product_cart/redeem",
        json={**redeem, "cart_id": "cart-1"},
        status=201,
    )
    program = await ProgramCache(db).get(tenant.site)
    for merchant_id, own in (("1001", 1), ("1002", 0)):
        customer_id = (await session(client, tenant, merchant_id))["customer"]["id"]
        async with db.connect() as conn:
            claims, stock = await claims_and_stock(
                conn, program.id, customer_id, program.stocked_rewards
            )
        assert len(claims) == own
        assert stock == {(7, "80011"): 1}
