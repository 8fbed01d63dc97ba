"""The demo program gives realistic members whose every view matches the contract."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from tessera.demo.setup import set_up_demo
from tests.contract import assert_matches_contract
from tests.headless.helpers import CONTRACT, PREFIX

CUSTOMER = PREFIX + "/{site_id}/customers/{merchant_id}"


async def test_demo_members_have_orders_tiers_rewards_and_history(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    async with db.begin() as conn:
        demo = await set_up_demo(conn)
    auth = {"Authorization": f"Bearer {demo.api_key.secret}"}
    states = {}
    for merchant_id in ("1001", "1002", "1003", "1004", "1005"):
        response = await client.get(
            f"{PREFIX}/{demo.site_id}/customers/{merchant_id}?channel=web&language=fr",
            headers=auth,
        )
        assert_matches_contract(CONTRACT, "get", CUSTOMER, response.status_code, response.json())
        states[merchant_id] = response.json()["customer"]
    alice = states["1001"]
    assert alice["tier_membership"]["tier_id"] == 3
    assert len(alice["claimed_rewards"]) == 2
    assert {h["kind"] for h in alice["history"]} >= {
        "earned_points_from_rule",
        "redeemed_points_for_reward",
        "entered_tier",
    }
    assert alice["history"][-1]["label"] == "Niveau Bronze atteint"
    assert [states[m]["state"] for m in ("1003", "1004", "1005")] == [
        "enrolled",
        "guest",
        "blocked",
    ]


async def test_running_the_demo_twice_keeps_its_members(db: AsyncEngine) -> None:
    async with db.begin() as conn:
        await set_up_demo(conn)
    async with db.begin() as conn:
        await set_up_demo(conn)
