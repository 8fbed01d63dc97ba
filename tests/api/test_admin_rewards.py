"""The Admin API's customer rewards: available rewards, redeem and refund, on both databases,
every body checked against the served contract; and pools of imported codes."""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from collections.abc import Callable
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from tessera.api.contract import load_contract
from tessera.kit.clock import utcnow
from tessera.loyalty import code_pool, ledger
from tessera.store.tables import reward_codes
from tests.contract import assert_matches_contract
from tests.factories import Tenant, make_customer
from tests.headless.helpers import assert_contract_body, demo_tenant

CONTRACT = "admin-v2"


def template_of(path: str) -> str:
    for template in load_contract(CONTRACT)["paths"]:
        pattern = "^" + re.sub(r"\\\{[a-z_]+\\\}", "[^/]+", re.escape(template)) + "$"
        if re.match(pattern, path):
            return str(template)
    raise AssertionError(f"{path} is not a path of the contract")


async def call(
    client: httpx.AsyncClient,
    tenant: Tenant,
    method: str,
    path: str,
    status: int,
    *,
    json: Any = None,
    params: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> Any:
    """The call's JSON body, which must have ``status`` and match the contract for it."""
    response = await client.request(
        method, path, json=json, params=params, headers=headers or tenant.auth
    )
    assert response.status_code == status, response.text
    body = response.json()
    assert_matches_contract(CONTRACT, method, template_of(path), status, body)
    return body


def available(merchant_id: str) -> str:
    return f"/v2/customers/{merchant_id}/available_rewards"


def claims(merchant_id: str) -> str:
    return f"/v2/customers/{merchant_id}/claimed_rewards"


def refund(merchant_id: str, claim_id: int) -> str:
    return f"/v2/customers/{merchant_id}/claimed_rewards/{claim_id}/refund"


async def balance(db: AsyncEngine, customer_id: int) -> int:
    async with db.connect() as conn:
        return await ledger.approved_balance(conn, customer_id)


async def import_pool(db: AsyncEngine, tenant: Tenant, reward_id: int, codes: list[str]) -> None:
    async with db.begin() as conn:
        lines = list(enumerate(codes, start=1))
        await code_pool.import_codes(conn, tenant.program_id, reward_id, lines, utcnow())


# --- available rewards -------------------------------------------------------------------------


async def test_available_rewards_are_the_tiers_enabled_rewards_even_without_the_points(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await demo_tenant(db)
    await make_customer(db, tenant, "m1")
    body = await call(client, tenant, "GET", available("m1"), 200)
    # The first tier has rewards 2 and 9 disabled; the customer has no points at all.
    assert [reward["id"] for reward in body["rewards"]] == [1, 3, 4, 5, 6, 7, 8, 10, 11]


async def test_an_available_reward_maps_the_program_files_definition(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await demo_tenant(db)
    await make_customer(db, tenant, "m1")
    rewards = {
        r["id"]: r for r in (await call(client, tenant, "GET", available("m1"), 200))["rewards"]
    }
    voucher = rewards[1]
    assert (voucher["title"], voucher["point_cost"], voucher["kind"]) == (
        "Money-off voucher",
        500,
        "cart_discount_voucher",
    )
    assert (voucher["discount_type"], voucher["discount_amount"], voucher["minimum_spend"]) == (
        "flat",
        5.0,
        20.0,
    )
    assert voucher["method"] == "voucher" and voucher["usage_limit"] == 1
    assert voucher["expiry_options"] == {"kind": "duration", "seconds": 90 * 86_400}
    assert voucher["target_type"] == "cart" and voucher["order_type"] == "all"
    assert voucher["content"] is None and voucher["site_id"] is None
    assert rewards[4]["supported_channels"] == ["web", "mobile"]
    assert rewards[6]["target_collections"] == [
        {
            "id": "summer",
            "url": "https://demo.tessera.example/collections/summer",
            "restriction_text": "Summer collection",
        }
    ]
    bottle = rewards[7]
    assert bottle["method"] == "cart" and bottle["auto_refund_seconds"] == 3600
    assert [(p["variant_id"], p["inventory_count"]) for p in bottle["target_products"]] == [
        ("80011", 40),
        ("80012", 0),
    ]
    assert rewards[8]["method"] == "fulfilment" and rewards[8]["usage_limit"] is None


async def test_a_country_leaves_out_rewards_offered_only_in_others(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await demo_tenant(db)
    await make_customer(db, tenant, "m1")
    elsewhere = await call(client, tenant, "GET", available("m1"), 200, params={"country": "AU"})
    here = await call(client, tenant, "GET", available("m1"), 200, params={"country": "gb"})
    assert 6 not in [r["id"] for r in elsewhere["rewards"]]
    assert 6 in [r["id"] for r in here["rewards"]]


async def test_available_rewards_refuse_a_bad_country_or_site_and_another_programs_site(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant, other = await demo_tenant(db), await demo_tenant(db, name="Other")
    await make_customer(db, tenant, "m1")
    bad = await call(client, tenant, "GET", available("m1"), 400, params={"country": "GBR"})
    assert set(bad["error"]["details"]) == {"country"}
    site = {"site_id": str(other.site.id)}
    await call(client, tenant, "GET", available("m1"), 404, params=site)
    bad = await call(client, tenant, "GET", available("m1"), 400, params={"site_id": "x"})
    assert set(bad["error"]["details"]) == {"site_id"}


async def test_an_unknown_customer_has_no_available_rewards_but_a_404(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await demo_tenant(db)
    await call(client, tenant, "GET", available("nobody"), 404)


# --- redeem ------------------------------------------------------------------------------------


async def test_redeeming_spends_the_points_and_answers_the_claimed_reward(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await demo_tenant(db)
    customer = await make_customer(db, tenant, "m1", points=800)
    body = await call(client, tenant, "POST", claims("m1"), 201, json={"reward_id": 1})
    claimed = body["claimed_reward"]
    assert (claimed["point_cost"], claimed["state"], claimed["reward"]["id"]) == (
        500,
        "approved",
        1,
    )
    redeemable = claimed["redeemable"]
    assert redeemable["redeemable_type"] == "voucher" and redeemable["code"].startswith("TSR-")
    assert (redeemable["discount_amount"], redeemable["fulfilled"]) == (5.0, False)
    assert claimed["expires_at"] is not None and claimed["session"] is None
    assert await balance(db, customer.id) == 300


async def test_a_reward_with_too_few_points_is_a_422_and_spends_nothing(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await demo_tenant(db)
    customer = await make_customer(db, tenant, "m1", points=499)
    body = await call(client, tenant, "POST", claims("m1"), 422, json={"reward_id": 1})
    assert "500 points" in body["error"]["message"]
    assert await balance(db, customer.id) == 499


async def test_a_product_reward_is_redeemed_for_the_variant_asked_for(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await demo_tenant(db)
    await make_customer(db, tenant, "m1", points=2000)
    body = {"reward_id": 11, "variant_id": "90011"}
    claimed = (await call(client, tenant, "POST", claims("m1"), 201, json=body))["claimed_reward"]
    assert claimed["redeemable"] == {
        "redeemable_type": "fulfilment",
        "code": None,
        "discount_amount": None,
        "usage_count": 0,
        "usage_limit": None,
        "fulfilled": False,
        "fulfilled_at": None,
        "expires_on": None,
    }
    out = {"reward_id": 11, "variant_id": "90012"}
    await call(client, tenant, "POST", claims("m1"), 422, json=out)


async def test_redeeming_an_unknown_reward_is_a_404(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await demo_tenant(db)
    await make_customer(db, tenant, "m1", points=800)
    await call(client, tenant, "POST", claims("m1"), 404, json={"reward_id": 999})


async def test_a_redeem_body_with_unknown_fields_or_a_multiplier_is_a_400(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await demo_tenant(db)
    customer = await make_customer(db, tenant, "m1", points=800)
    unknown = {"reward_id": 1, "notify": True}
    body = await call(client, tenant, "POST", claims("m1"), 400, json=unknown)
    assert body["error"]["details"] == {"notify": "is not a known field"}
    twice = {"reward_id": 1, "multiplier": 2}
    body = await call(client, tenant, "POST", claims("m1"), 400, json=twice)
    assert set(body["error"]["details"]) == {"multiplier"}
    await call(client, tenant, "POST", claims("m1"), 201, json={"reward_id": 1, "multiplier": 1})
    assert await balance(db, customer.id) == 300


# --- refund ------------------------------------------------------------------------------------


async def test_a_refund_gives_the_points_back_and_voids_the_claim(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await demo_tenant(db)
    customer = await make_customer(db, tenant, "m1", points=800)
    claimed = await call(client, tenant, "POST", claims("m1"), 201, json={"reward_id": 1})
    claim_id = claimed["claimed_reward"]["id"]
    body = await call(client, tenant, "POST", refund("m1", claim_id), 200)
    assert body["remote_resource_deleted"] is False
    assert (body["claimed_reward"]["id"], body["claimed_reward"]["state"]) == (claim_id, "void")
    assert await balance(db, customer.id) == 800


async def test_refunding_a_claim_twice_is_a_409_and_gives_nothing_more(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await demo_tenant(db)
    customer = await make_customer(db, tenant, "m1", points=800)
    claimed = await call(client, tenant, "POST", claims("m1"), 201, json={"reward_id": 1})
    claim_id = claimed["claimed_reward"]["id"]
    await call(client, tenant, "POST", refund("m1", claim_id), 200)
    await call(client, tenant, "POST", refund("m1", claim_id), 409)
    assert await balance(db, customer.id) == 800


async def test_a_claim_of_another_customer_or_program_is_not_found(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant, other = await demo_tenant(db), await demo_tenant(db, name="Other")
    await make_customer(db, tenant, "m1", points=800)
    await make_customer(db, tenant, "m2")
    foreign = await make_customer(db, other, "m1", points=800)
    claimed = await call(client, tenant, "POST", claims("m1"), 201, json={"reward_id": 1})
    claim_id = claimed["claimed_reward"]["id"]
    await call(client, tenant, "POST", refund("m2", claim_id), 404)
    await call(client, other, "POST", refund("m1", claim_id), 404)
    await call(client, other, "POST", refund("m1", 2**40), 404)
    await call(client, other, "POST", claims("nobody"), 404, json={"reward_id": 1})
    assert await balance(db, foreign.id) == 800


# --- scopes ------------------------------------------------------------------------------------


async def test_reading_needs_read_customers_and_writing_write_customers(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    reader = await demo_tenant(db, scopes=["read_customers"])
    writer = await demo_tenant(db, name="Writer", scopes=["write_customers"])
    orders = await demo_tenant(db, name="Orders", scopes=["write_orders"])
    for tenant in (reader, writer, orders):
        await make_customer(db, tenant, "m1", points=800)
    await call(client, reader, "GET", available("m1"), 200)
    await call(client, writer, "GET", available("m1"), 200)  # write_ includes read_
    await call(client, orders, "GET", available("m1"), 403)
    denied = await call(client, reader, "POST", claims("m1"), 403, json={"reward_id": 1})
    assert denied["error"]["details"] == {"scope": "requires write_customers"}
    await call(client, writer, "POST", claims("m1"), 201, json={"reward_id": 1})


# --- pools of imported codes -------------------------------------------------------------------


async def test_a_reward_with_a_pool_hands_out_its_codes_in_order_then_refuses(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await demo_tenant(db)
    customer = await make_customer(db, tenant, "m1", points=2000)
    await import_pool(db, tenant, 1, ["SHOP-A", "SHOP-B"])
    codes = []
    for _ in range(2):
        body = await call(client, tenant, "POST", claims("m1"), 201, json={"reward_id": 1})
        codes.append(body["claimed_reward"]["redeemable"]["code"])
    assert codes == ["SHOP-A", "SHOP-B"]
    empty = await call(client, tenant, "POST", claims("m1"), 422, json={"reward_id": 1})
    assert "no codes left" in empty["error"]["message"]
    assert await balance(db, customer.id) == 1000


async def test_the_headless_api_takes_pool_codes_and_refuses_when_they_run_out(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await demo_tenant(db)
    customer = await make_customer(db, tenant, "m1", points=2000)
    await import_pool(db, tenant, 3, ["SHIP-1"])
    url = f"/headless/2025-06/{tenant.site.id}/rewards/free_shipping_voucher/redeem?channel=web"
    body = {"reward_id": 3, "customer_merchant_id": "m1"}
    first = await client.post(url, json=body, headers=tenant.auth)
    assert first.status_code == 201 and first.json()["voucher_code"] == "SHIP-1"
    second = await client.post(url, json=body, headers=tenant.auth)
    assert_contract_body(first)
    assert_contract_body(second)
    assert second.status_code == 422
    assert second.json()["error"]["code"] == "reward_out_of_stock"
    assert await balance(db, customer.id) == 1700


async def test_rewards_without_a_pool_keep_generating_codes(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await demo_tenant(db)
    await make_customer(db, tenant, "m1", points=2000)
    await import_pool(db, tenant, 3, ["SHIP-1"])  # another reward's pool
    body = await call(client, tenant, "POST", claims("m1"), 201, json={"reward_id": 1})
    assert body["claimed_reward"]["redeemable"]["code"].startswith("TSR-")


async def test_parallel_redeems_across_two_workers_never_hand_out_a_code_twice(
    db: AsyncEngine, live_server: Callable[..., Any]
) -> None:
    server = live_server(workers=2)
    tenant = await demo_tenant(db, rate_limit="1000/second")
    members = [f"m{n}" for n in range(12)]
    for merchant_id in members:  # different members: their locks do not queue the redeems
        await make_customer(db, tenant, merchant_id, points=500)
    await import_pool(db, tenant, 1, [f"POOL-{n}" for n in range(8)])
    async with httpx.AsyncClient(base_url=server.url, timeout=60) as http:

        async def redeem(merchant_id: str) -> tuple[int, str | None]:
            response = await http.post(
                claims(merchant_id), json={"reward_id": 1}, headers=tenant.auth
            )
            body = response.json()
            path = "/v2/customers/{merchant_id}/claimed_rewards"
            assert_matches_contract(CONTRACT, "POST", path, response.status_code, body)
            if response.status_code != 201:
                return response.status_code, None
            return 201, body["claimed_reward"]["redeemable"]["code"]

        answers = await asyncio.gather(*(redeem(m) for m in members))
    assert Counter(status for status, _ in answers) == Counter({201: 8, 422: 4})
    codes = [code for _, code in answers if code is not None]
    assert sorted(codes) == sorted(f"POOL-{n}" for n in range(8))
    async with db.connect() as conn:
        claimed = (await conn.execute(sa.select(reward_codes.c.claimed_reward_id))).scalars().all()
    assert len(set(claimed)) == 8 and None not in claimed
