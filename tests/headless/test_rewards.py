"""Every reward redeem endpoint and the product_cart refund, on both databases."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.factories import Tenant
from tests.headless.helpers import call, demo_tenant, member, session

CART: dict[str, Any] = {
    "kind": "shopify",
    "id": "cart-1",
    "cost": {"total_amount": {"amount": "40.00", "currency_code": "USD"}},
    "lines": [
        {
            "id": "line-1",
            "quantity": 2,
            "cost": {
                "total_amount": {"amount": "40.00", "currency_code": "USD"},
                "amount_per_quantity": {"amount": "20.00", "currency_code": "USD"},
            },
            "merchandise": {"id": "gid://shopify/ProductVariant/555"},
            "attributes": [],
        }
    ],
}


def redeem_body(reward_id: int, merchant_id: str = "1001") -> dict[str, object]:
    return {"reward_id": reward_id, "customer_merchant_id": merchant_id}


async def test_a_cart_discount_voucher_spends_points_and_gives_a_code(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await demo_tenant(db)
    await member(client, db, tenant, "1001", points=900)
    response = await call(
        client,
        tenant,
        "POST",
        "/rewards/cart_discount_voucher/redeem",
        json=redeem_body(1),
        status=201,
    )
    body = response.json()
    assert body["voucher_code"] == body["claimed_reward"]["redeemable"]["code"]
    assert body["customer"]["points_approved"] == 1000 - 500
    assert body["customer"]["points_spent"] == 500
    assert body["customer"]["history"][0]["kind"] == "redeemed_points_for_reward"
    assert body["customer"]["claimed_rewards"][0]["id"] == body["claimed_reward"]["id"]


async def test_every_claim_gets_its_own_code(client: httpx.AsyncClient, db: AsyncEngine) -> None:
    tenant = await demo_tenant(db)
    await member(client, db, tenant, "1001", points=5000)
    codes = set()
    for _ in range(3):
        response = await call(
            client, tenant, "POST", "/rewards/free_shipping_voucher/redeem", json=redeem_body(3)
        )
        codes.add(response.json()["voucher_code"])
    assert len(codes) == 3


async def test_too_few_points_is_422_insufficient_points(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await demo_tenant(db)
    await member(client, db, tenant, "1001")
    response = await call(
        client, tenant, "POST", "/rewards/gift_card/redeem", json=redeem_body(4), status=422
    )
    assert response.json()["error"]["code"] == "insufficient_points"


async def test_a_gift_card_gives_a_gift_card_code(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await demo_tenant(db)
    await member(client, db, tenant, "1001", points=1000)
    response = await call(
        client, tenant, "POST", "/rewards/gift_card/redeem", json=redeem_body(4), status=201
    )
    body = response.json()
    assert body["gift_card_code"].endswith(
        body["claimed_reward"]["redeemable"]["code_last_characters"]
    )
    assert body["claimed_reward"]["redeemable"]["initial_balance"]["formatted"] == "$10"


async def test_the_claim_limit_holds(client: httpx.AsyncClient, db: AsyncEngine) -> None:
    tenant = await demo_tenant(db)
    await member(client, db, tenant, "1001", points=5000)  # Gold: reward 2 is enabled
    await call(
        client,
        tenant,
        "POST",
        "/rewards/cart_discount_voucher/redeem",
        json=redeem_body(2),
        status=201,
    )
    response = await call(
        client,
        tenant,
        "POST",
        "/rewards/cart_discount_voucher/redeem",
        json=redeem_body(2),
        status=422,
    )
    assert response.json()["error"]["code"] == "reward_limit_reached"


async def test_a_reward_disabled_for_the_tier_is_not_enabled_for_the_customer(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await demo_tenant(db)
    await member(client, db, tenant, "1001", points=500)  # Bronze: reward 2 is off
    response = await call(
        client,
        tenant,
        "POST",
        "/rewards/cart_discount_voucher/redeem",
        json=redeem_body(2),
        status=422,
    )
    assert response.json()["error"]["code"] == "reward_not_enabled_for_customer"


async def test_the_wrong_endpoint_for_a_reward_is_reward_kind_mismatch(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await demo_tenant(db)
    await member(client, db, tenant, "1001", points=500)
    response = await call(
        client, tenant, "POST", "/rewards/gift_card/redeem", json=redeem_body(1), status=422
    )
    assert response.json()["error"]["code"] == "reward_kind_mismatch"
    for kind in ("active_subscription_discount_voucher", "collection_discount_voucher"):
        await call(
            client, tenant, "POST", f"/rewards/{kind}/redeem", json=redeem_body(1), status=422
        )
    missing = await call(
        client, tenant, "POST", "/rewards/gift_card/redeem", json=redeem_body(99), status=404
    )
    assert missing.json()["error"]["code"] == "not_found"


async def test_an_unknown_customer_is_404(client: httpx.AsyncClient, db: AsyncEngine) -> None:
    tenant = await demo_tenant(db)
    await call(
        client,
        tenant,
        "POST",
        "/rewards/cart_discount_voucher/redeem",
        json=redeem_body(1, "nobody"),
        status=404,
    )


async def test_a_redeem_checks_the_customer_before_the_reward(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    # docs/headless.md: the customer is looked up (and locked) first.
    tenant = await demo_tenant(db)
    response = await call(
        client,
        tenant,
        "POST",
        "/rewards/cart_discount_voucher/redeem",
        json=redeem_body(99, "nobody"),
        status=404,
    )
    assert "nobody" in response.json()["error"]["message"]


async def test_product_collection_and_custom_rewards_redeem(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await demo_tenant(db)
    await member(client, db, tenant, "1001", points=3000)
    product = await call(
        client,
        tenant,
        "POST",
        "/rewards/product_discount_voucher/redeem",
        json=redeem_body(5),
        status=201,
    )
    assert product.json()["claimed_reward"]["redeemable"]["discount"]["percentage"] == 20
    collection = await call(
        client,
        tenant,
        "POST",
        "/rewards/collection_discount_voucher/redeem",
        json=redeem_body(6),
        status=201,
    )
    assert collection.json()["claimed_reward"]["redeemable"]["collection"]["id"] == "summer"
    custom = await call(
        client,
        tenant,
        "POST",
        "/rewards/custom/redeem",
        json={**redeem_body(8), "fulfill_immediately": True},
        status=201,
    )
    assert custom.json()["fulfillment_explanation"] == "We plant a tree for you within 30 days."
    assert custom.json()["claimed_reward"]["redeemable"]["usage_status"] == "used"


async def test_active_subscription_product_needs_a_subscription_reward(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await demo_tenant(db)
    await member(client, db, tenant, "1001", points=3000)
    response = await call(
        client,
        tenant,
        "POST",
        "/rewards/active_subscription_product/redeem",
        json={**redeem_body(1), "variant_id": "1"},
        status=422,
    )
    assert response.json()["error"]["code"] == "reward_kind_mismatch"


async def redeem_bottle(
    client: httpx.AsyncClient, tenant: Tenant, variant_id: str = "80011", status: int = 201
) -> httpx.Response:
    return await call(
        client,
        tenant,
        "POST",
        "/rewards/product_cart/redeem",
        json={**redeem_body(7), "variant_id": variant_id, "cart_id": "cart-1"},
        status=status,
    )


async def test_a_product_cart_redemption_is_active_in_its_cart(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await demo_tenant(db)
    await member(client, db, tenant, "1001", points=2000)
    body = (await redeem_bottle(client, tenant)).json()
    redemption = body["active_cart_redemption"]
    assert redemption["cart_id"] == "cart-1"
    assert redemption["product"]["variant"]["id"] == "80011"
    assert body["customer"]["active_cart_redemptions"][0]["id"] == redemption["id"]
    again = await redeem_bottle(client, tenant, status=422)
    assert again.json()["error"] == {
        "code": "max_cart_redemptions_reached",
        "message": again.json()["error"]["message"],
        "limit": 1,
    }


async def test_an_out_of_stock_or_unknown_variant_is_refused(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await demo_tenant(db)
    await member(client, db, tenant, "1001", points=2000)
    empty = await redeem_bottle(client, tenant, variant_id="80012", status=422)
    assert empty.json()["error"]["code"] == "reward_out_of_stock"
    unknown = await redeem_bottle(client, tenant, variant_id="nope", status=422)
    assert unknown.json()["error"]["code"] == "invalid_variant_id"


async def test_a_product_cart_refund_returns_the_points_once(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await demo_tenant(db)
    await member(client, db, tenant, "1001", points=2000)
    claim_id = (await redeem_bottle(client, tenant)).json()["claimed_reward"]["id"]
    refund = await call(
        client,
        tenant,
        "POST",
        "/rewards/product_cart/refund",
        json={"claimed_reward_id": claim_id},
        status=201,
    )
    assert refund.json()["claimed_reward"]["state"] == "void"
    assert refund.json()["customer"]["points_approved"] == 2100
    assert refund.json()["customer"]["points_spent"] == 0
    twice = await call(
        client,
        tenant,
        "POST",
        "/rewards/product_cart/refund",
        json={"claimed_reward_id": claim_id},
        status=422,
    )
    assert twice.json()["error"]["code"] == "reward_already_refunded"


async def test_refunding_a_voucher_is_reward_kind_mismatch(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await demo_tenant(db)
    await member(client, db, tenant, "1001", points=900)
    claim = await call(
        client, tenant, "POST", "/rewards/cart_discount_voucher/redeem", json=redeem_body(1)
    )
    response = await call(
        client,
        tenant,
        "POST",
        "/rewards/product_cart/refund",
        json={"claimed_reward_id": claim.json()["claimed_reward"]["id"]},
        status=422,
    )
    assert response.json()["error"]["code"] == "reward_kind_mismatch"


async def test_a_cart_that_no_longer_qualifies_loses_its_free_product(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await demo_tenant(db)
    await member(client, db, tenant, "1001", points=2000)
    redeemed = (await redeem_bottle(client, tenant)).json()["active_cart_redemption"]
    line = {
        "id": "line-free",
        "quantity": 1,
        "cost": {
            "total_amount": {"amount": "0.00", "currency_code": "USD"},
            "amount_per_quantity": {"amount": "0.00", "currency_code": "USD"},
        },
        "merchandise": {"id": redeemed["cart_line"]["merchandise_id"]},
        "attributes": redeemed["cart_line"]["attributes"],
    }
    qualifying = {**CART, "lines": [*CART["lines"], line]}
    kept = await session(client, tenant, "1001", cart=qualifying)
    assert kept["requested_cart_actions"] == []
    state = kept["customer"]["active_cart_redemptions"][0]["current_cart_state"]
    assert state["in_cart"] is True and state["cart_requirements_met"] is True
    too_small = {
        **CART,
        "cost": {"total_amount": {"amount": "10.00", "currency_code": "USD"}},
        "lines": [
            {
                **CART["lines"][0],
                "cost": {
                    "total_amount": {"amount": "10.00", "currency_code": "USD"},
                    "amount_per_quantity": {"amount": "5.00", "currency_code": "USD"},
                },
            },
            line,
        ],
    }
    removed = await session(client, tenant, "1001", cart=too_small)
    action = removed["requested_cart_actions"][0]
    assert action["reason"] == "redemption_cart_requirements_not_met"
    assert action["cart_line_to_remove"]["id"] == "line-free"
    assert removed["customer"]["points_approved"] == 2100
    assert removed["customer"]["active_cart_redemptions"] == []


async def test_an_empty_cart_tells_which_rewards_fit_it(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await demo_tenant(db)
    await member(client, db, tenant, "1001", points=2000)
    body = await session(client, tenant, "1001", cart={"kind": "empty"})
    bottle = next(r for r in body["customer"]["available_rewards"] if r["id"] == 7)
    assert bottle["context"]["can_redeem"]["state"] == "cart_requirements_not_met"
