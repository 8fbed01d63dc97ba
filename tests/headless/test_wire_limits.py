"""Input the database cannot hold (NUL characters, over-long strings, ids beyond int32, amounts
that are not finite) is a 400 naming the field on both databases, never a 500 on PostgreSQL."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.contract import assert_matches_contract
from tests.headless.helpers import CONTRACT, PREFIX, call, demo_tenant, member, template_of

NUL = "a\x00b"
EMAIL = {"customer": {"email": "shopper@example.com"}}


def cart(total: str) -> dict[str, Any]:
    return {
        **EMAIL,
        "cart": {
            "kind": "shopify",
            "id": "cart-1",
            "cost": {"total_amount": {"amount": total, "currency_code": "USD"}},
            "lines": [],
        },
    }


def bottle(cart_id: str) -> dict[str, Any]:
    return {
        "reward_id": 7,
        "customer_merchant_id": "1001",
        "variant_id": "80011",
        "cart_id": cart_id,
    }


# (method, path, body, the field ``details`` must name)
CASES: dict[str, tuple[str, str, Any, str]] = {
    "nul-merchant-id-session": ("POST", "/customers/%00/sessions", EMAIL, "merchant_id"),
    "nul-merchant-id-get": ("GET", "/customers/a%00b", None, "merchant_id"),
    "long-merchant-id": ("POST", f"/customers/{'m' * 256}/sessions", EMAIL, "merchant_id"),
    "nul-email": (
        "POST",
        "/customers/2002/sessions",
        {"customer": {"email": f"{NUL}@example.com"}},
        "customer.email",
    ),
    "long-email": (
        "POST",
        "/customers/2002/sessions",
        {"customer": {"email": f"{'e' * 320}@example.com"}},
        "customer.email",
    ),
    "nul-rule-customer": (
        "POST",
        "/rules/custom/complete",
        {"rule_id": 1, "customer_merchant_id": NUL},
        "customer_merchant_id",
    ),
    "huge-rule-id": (
        "POST",
        "/rules/custom/complete",
        {"rule_id": 2**70, "customer_merchant_id": "1001"},
        "rule_id",
    ),
    "nul-share-customer": (
        "POST",
        "/referrals/shares",
        {"customer_merchant_id": NUL, "channel": "direct"},
        "customer_merchant_id",
    ),
    "nul-referral-id": (
        "POST",
        "/referrals/referee_incentive",
        {"referral_id": NUL, "ip_address": "203.0.113.9", "user_agent": None},
        "referral_id",
    ),
    "nul-user-agent": (
        "POST",
        "/referrals/referee_incentive",
        {"referral_id": "nope", "ip_address": "203.0.113.9", "user_agent": NUL},
        "user_agent",
    ),
    "nul-cart-id": ("POST", "/rewards/product_cart/redeem", bottle(NUL), "cart_id"),
    "long-cart-id": ("POST", "/rewards/product_cart/redeem", bottle("c" * 1000), "cart_id"),
    "nul-voucher-customer": (
        "POST",
        "/rewards/cart_discount_voucher/redeem",
        {"reward_id": 1, "customer_merchant_id": NUL},
        "customer_merchant_id",
    ),
    "int64-claimed-reward-id": (
        "POST",
        "/rewards/product_cart/refund",
        {"claimed_reward_id": 2**40},
        "claimed_reward_id",
    ),
    "bigint-claimed-reward-id": (
        "POST",
        "/rewards/product_cart/refund",
        {"claimed_reward_id": 2**70},
        "claimed_reward_id",
    ),
    "nan-cart-total": (
        "POST",
        "/customers/1001/sessions",
        cart("NaN"),
        "cart.cost.total_amount.amount",
    ),
    "infinite-cart-total": (
        "POST",
        "/customers/1001/sessions",
        cart("1e400"),
        "cart.cost.total_amount.amount",
    ),
}


@pytest.mark.parametrize("case", CASES)
async def test_input_the_database_cannot_hold_is_a_400_naming_the_field(
    client: httpx.AsyncClient, db: AsyncEngine, case: str
) -> None:
    method, path, body, field = CASES[case]
    tenant = await demo_tenant(db)
    # A member with points, so a body that got past the wire would reach the database.
    await member(client, db, tenant, "1001", points=5000)
    response = await call(client, tenant, method, path, json=body, status=400)
    assert field in response.json()["error"]["details"], response.text


async def test_a_site_id_of_non_ascii_digits_is_a_400(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await demo_tenant(db)
    url = f"{PREFIX}/\u00b2/configuration"
    response = await client.get(url, params={"channel": "web"}, headers=tenant.auth)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["details"] == {"site_id": "must be a number"}
    assert_matches_contract(CONTRACT, "get", template_of(url), 400, response.json())


async def test_a_site_id_beyond_int32_is_a_404(client: httpx.AsyncClient, db: AsyncEngine) -> None:
    tenant = await demo_tenant(db)
    url = f"{PREFIX}/{2**64}/configuration"
    response = await client.get(url, params={"channel": "web"}, headers=tenant.auth)
    assert response.status_code == 404, response.text
    assert_matches_contract(CONTRACT, "get", template_of(url), 404, response.json())


async def test_every_stored_string_at_its_column_length_is_stored_and_one_more_is_a_400(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await demo_tenant(db)
    merchant_id, email = "m" * 255, "e" * 308 + "@example.com"
    assert len(email) == 320
    created = await call(
        client,
        tenant,
        "POST",
        f"/customers/{merchant_id}/sessions",
        json={"customer": {"email": email}},
        status=200,
    )
    assert created.json()["customer"]["merchant_id"] == merchant_id
    await member(client, db, tenant, "1001", points=5000)
    redeemed = await call(
        client, tenant, "POST", "/rewards/product_cart/redeem", json=bottle("c" * 255)
    )
    assert redeemed.status_code in (200, 201), redeemed.text
    too_long = {
        "merchant_id": ("POST", f"/customers/{'m' * 256}/sessions", {"customer": {"email": email}}),
        "customer.email": (
            "POST",
            f"/customers/{merchant_id}/sessions",
            {"customer": {"email": "e" + email}},
        ),
        "cart_id": ("POST", "/rewards/product_cart/redeem", bottle("c" * 256)),
    }
    for field, (method, path, body) in too_long.items():
        response = await call(client, tenant, method, path, json=body, status=400)
        assert field in response.json()["error"]["details"], response.text
