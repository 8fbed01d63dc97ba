"""Active subscription rewards (demo rewards 10 and 11): configured in the program file, shown in
Get Configuration and available_rewards, redeemed through their endpoints; on both databases."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tessera.demo.setup import demo_document_data
from tessera.kit.errors import Invalid
from tessera.programs.configuration import parse_document
from tests.headless.helpers import call, demo_tenant, member, session

DISCOUNT = "/rewards/active_subscription_discount_voucher/redeem"
PRODUCT = "/rewards/active_subscription_product/redeem"


def discount_body(reward_id: int = 10, merchant_id: str = "1001") -> dict[str, Any]:
    return {"reward_id": reward_id, "customer_merchant_id": merchant_id}


def product_body(reward_id: int = 11, variant_id: str = "90011", **extra: Any) -> dict[str, Any]:
    return {
        "reward_id": reward_id,
        "customer_merchant_id": "1001",
        "variant_id": variant_id,
        **extra,
    }


async def test_an_active_subscription_discount_voucher_spends_points_and_gives_a_code(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await demo_tenant(db)
    await member(client, db, tenant, "1001", points=900)
    response = await call(client, tenant, "POST", DISCOUNT, json=discount_body(), status=201)
    body = response.json()
    redeemable = body["claimed_reward"]["redeemable"]
    assert body["voucher_code"] == redeemable["code"]
    assert redeemable["kind"] == "active_subscription_discount_voucher"
    assert redeemable["discount_type"] == "percentage"
    assert redeemable["discount"]["percentage"] == 15
    assert redeemable["recurring_cycle_limit"] == 3
    assert body["customer"]["points_approved"] == 1000 - 600
    assert body["customer"]["claimed_rewards"][0]["id"] == body["claimed_reward"]["id"]


async def test_an_active_subscription_product_records_the_variant_and_the_address(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await demo_tenant(db)
    await member(client, db, tenant, "1001", points=900)
    body = product_body(shipping_address={"kind": "recharge", "id": 4242})
    response = await call(client, tenant, "POST", PRODUCT, json=body, status=201)
    claimed = response.json()["claimed_reward"]
    redeemable = claimed["redeemable"]
    assert redeemable["product"]["id"] == "9001"
    assert redeemable["product"]["variant"]["id"] == "90011"
    assert redeemable["quantity"] == 1
    assert redeemable["subscription_details"] == {
        "kind": "recharge",
        "address_id": 4242,
        "onetime_id": 0,
        "next_subscription_scheduled_at": "",
    }
    assert claimed["source"] == {"kind": "points_redemption", "points_cost": 900}
    assert response.json()["customer"]["points_approved"] == 1000 - 900


async def test_an_active_subscription_product_without_an_address_has_address_id_0(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await demo_tenant(db)
    await member(client, db, tenant, "1001", points=900)
    response = await call(client, tenant, "POST", PRODUCT, json=product_body(), status=201)
    details = response.json()["claimed_reward"]["redeemable"]["subscription_details"]
    assert details["address_id"] == 0


@pytest.mark.parametrize(
    ("path", "body"),
    [(DISCOUNT, discount_body()), (PRODUCT, product_body())],
    ids=["discount", "product"],
)
async def test_too_few_points_is_insufficient_points(
    client: httpx.AsyncClient, db: AsyncEngine, path: str, body: dict[str, Any]
) -> None:
    tenant = await demo_tenant(db)
    await member(client, db, tenant, "1001", points=100)
    response = await call(client, tenant, "POST", path, json=body, status=422)
    assert response.json()["error"]["code"] == "insufficient_points"


@pytest.mark.parametrize(
    ("path", "body"),
    [(DISCOUNT, discount_body(11)), (PRODUCT, product_body(10)), (DISCOUNT, discount_body(1))],
    ids=["product-on-discount", "discount-on-product", "cart-voucher-on-discount"],
)
async def test_another_kind_of_reward_is_reward_kind_mismatch(
    client: httpx.AsyncClient, db: AsyncEngine, path: str, body: dict[str, Any]
) -> None:
    tenant = await demo_tenant(db)
    await member(client, db, tenant, "1001", points=3000)
    response = await call(client, tenant, "POST", path, json=body, status=422)
    assert response.json()["error"]["code"] == "reward_kind_mismatch"


async def test_a_guest_cannot_redeem_a_subscription_reward(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    program = demo_document_data()
    assert isinstance(program, dict)
    tenant = await demo_tenant(db, program={**program, "auto_enrol": False})
    await session(client, tenant, "1001")
    response = await call(client, tenant, "POST", DISCOUNT, json=discount_body(), status=422)
    assert response.json()["error"]["code"] == "customer_not_enrolled"


async def test_the_subscription_product_limit_is_reward_limit_reached(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await demo_tenant(db)
    await member(client, db, tenant, "1001", points=3000)
    await call(client, tenant, "POST", PRODUCT, json=product_body(), status=201)
    response = await call(client, tenant, "POST", PRODUCT, json=product_body(), status=422)
    assert response.json()["error"]["code"] == "reward_limit_reached"


@pytest.mark.parametrize(
    ("variant_id", "code"),
    [("90012", "reward_out_of_stock"), ("nope", "invalid_variant_id")],
    ids=["out-of-stock", "unknown"],
)
async def test_a_variant_that_cannot_be_had_is_refused_without_spending(
    client: httpx.AsyncClient, db: AsyncEngine, variant_id: str, code: str
) -> None:
    tenant = await demo_tenant(db)
    await member(client, db, tenant, "1001", points=900)
    body = product_body(variant_id=variant_id)
    response = await call(client, tenant, "POST", PRODUCT, json=body, status=422)
    assert response.json()["error"]["code"] == code
    after = await session(client, tenant, "1001")
    assert after["customer"]["points_approved"] == 1000


async def test_subscription_rewards_appear_in_the_configuration(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await demo_tenant(db)
    response = await call(client, tenant, "GET", "/configuration", status=200)
    shown = {r["id"]: r for r in response.json()["rewards"]}
    assert shown[10]["kind"] == "active_subscription_discount_voucher"
    assert shown[10]["properties"]["recurring_cycle_limit"] == 3
    assert shown[11]["kind"] == "active_subscription_product"
    variants = shown[11]["properties"]["product"]["variants"]
    assert [v["id"] for v in variants] == ["90011", "90012"]
    assert "cart_requirements" not in shown[11]["properties"]


async def test_subscription_rewards_are_among_a_members_available_rewards(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await demo_tenant(db)
    body = await member(client, db, tenant, "1001", points=900)
    available = {r["id"]: r for r in body["customer"]["available_rewards"]}
    assert available[10]["context"]["can_redeem"] == {"state": "redeemable"}
    assert available[11]["context"]["can_redeem"] == {"state": "redeemable"}


def test_subscription_reward_errors_name_the_path_of_the_bad_field() -> None:
    bad = {
        "rewards": [
            {
                "id": 1,
                "kind": "active_subscription_discount_voucher",
                "points": 5,
                "title": {"en": "a"},
            },
            {
                "id": 2,
                "kind": "active_subscription_product",
                "points": 5,
                "title": {"en": "b"},
                "product": {"id": "1", "title": {"en": "p"}},
            },
            {
                "id": 3,
                "kind": "active_subscription_discount_voucher",
                "points": 5,
                "title": {"en": "c"},
                "discount_type": "percentage",
                "discount": 150,
                "recurring_cycle_limit": 0,
            },
        ],
    }
    with pytest.raises(Invalid) as raised:
        parse_document(bad)
    assert raised.value.details == {
        "$.rewards[0].discount": "is required",
        "$.rewards[2].recurring_cycle_limit": "0 is less than the minimum of 1",
    }
    del bad["rewards"][0], bad["rewards"][1]
    with pytest.raises(Invalid) as raised:
        parse_document(bad)
    assert raised.value.details == {"$.rewards[0].product.variants": "needs at least one variant"}
