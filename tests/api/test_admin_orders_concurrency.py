"""Truly parallel order requests across two live worker processes, on both databases: the same
order posted at once is stored and paid once, and parallel updates take points back once and
always leave the points the order's final state gives it."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from tessera.store.tables import ledger_entries, orders
from tests.api.order_helpers import PROGRAM, order_body, shop, state
from tests.contract import assert_matches_contract
from tests.factories import make_customer, make_tenant

PARALLEL = 12


async def statuses(requests: list[Any]) -> Counter[int]:
    answers = await asyncio.gather(*requests)
    for response in answers:
        if response.status_code >= 400:
            path = "/v2/orders" if response.request.method == "POST" else "/v2/orders/{merchant_id}"
            body = response.json()
            assert_matches_contract(
                "admin-v2", response.request.method, path, response.status_code, body
            )
    return Counter(response.status_code for response in answers)


async def test_parallel_posts_and_updates_across_two_workers_pay_and_take_back_once(
    db: AsyncEngine, live_server: Callable[..., Any]
) -> None:
    server = live_server(workers=2)
    tenant = await shop(db, rate_limit="1000/second")
    await make_customer(db, tenant, "c1")
    async with httpx.AsyncClient(base_url=server.url, headers=tenant.auth, timeout=60) as http:
        created = await statuses(
            [http.post("/v2/orders", json=order_body()) for _ in range(PARALLEL)]
        )
        assert created == Counter({201: 1, 409: PARALLEL - 1})

        async def balance() -> int:
            order = (await http.get("/v2/orders/o1")).json()["order"]
            return int(order["customer"]["points_approved"])

        assert await balance() == 50
        half = state(refund_status="partially_refunded", total_refunded="50.00")
        updated = await statuses([http.put("/v2/orders/o1", json=half) for _ in range(PARALLEL)])
        assert updated == Counter({204: PARALLEL})
        assert await balance() == 25
        # Refunds and their reversal at once: whichever lands last, the points match it.
        mixed = [
            state(refund_status="refunded", total_refunded="100.00") if n % 2 else state()
            for n in range(PARALLEL)
        ]
        assert await statuses([http.put("/v2/orders/o1", json=body) for body in mixed]) == Counter(
            {204: PARALLEL}
        )
        final = (await http.get("/v2/orders/o1")).json()["order"]
    expected = 0 if final["refund_status"] == "refunded" else 50
    assert final["customer"]["points_approved"] == expected
    async with db.connect() as conn:
        assert await conn.scalar(sa.select(sa.func.count()).select_from(orders)) == 1
        earned = await conn.scalar(
            sa.select(sa.func.count()).where(ledger_entries.c.kind == "earned_points_from_rule")
        )
    assert earned == 1


async def test_a_refund_and_redeems_at_once_across_two_workers_never_overspend(
    db: AsyncEngine, live_server: Callable[..., Any]
) -> None:
    """Each round, an order's 20 points are refunded while two redeems of the 20-point reward
    race it: whatever wins, the balance never goes below 0, at most one redeem spends them, and
    what was spent is exactly what the refund could not take back."""
    server = live_server(workers=2)
    # No tiers: every round's order earns the same 20 points.
    program = {
        "rules": [{**rule, "tier_variants": []} for rule in PROGRAM["rules"]],
        "rewards": PROGRAM["rewards"],
    }
    tenant = await make_tenant(db, program=program, rate_limit="1000/second")
    await make_customer(db, tenant, "c1")
    refund = state(refund_status="refunded", total_refunded="40.00", total_paid="40.00")
    redeem = {"reward_id": 1}
    spent = not_taken_back = 0
    async with httpx.AsyncClient(base_url=server.url, headers=tenant.auth, timeout=60) as http:
        for round_number in range(6):
            merchant_id = f"o{round_number}"
            order = order_body(merchant_id=merchant_id, total="40.00", total_paid="40.00")
            assert (await http.post("/v2/orders", json=order)).status_code == 201
            answers = await asyncio.gather(
                http.put(f"/v2/orders/{merchant_id}", json=refund),
                http.post("/v2/customers/c1/claimed_rewards", json=redeem),
                http.post("/v2/customers/c1/claimed_rewards", json=redeem),
            )
            assert answers[0].status_code == 204, answers[0].text
            redeemed = [a.status_code for a in answers[1:]]
            assert sorted(redeemed) in ([201, 422], [422, 422]), [a.text for a in answers]
            spent += 20 * redeemed.count(201)
            shown = (await http.get(f"/v2/orders/{merchant_id}")).json()["order"]
            not_taken_back += shown["points_not_taken_back"]
            assert shown["customer"]["points_approved"] == 0
    assert spent == not_taken_back
