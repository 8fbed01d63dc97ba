"""Headless API 2025-06: redeeming rewards and refunding product-cart claims."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response
from starlette.routing import Route

from tessera.api.responses import json_response
from tessera.customers.service import find_customer_by_id
from tessera.kit.clock import utcnow
from tessera.kit.errors import Invalid
from tessera.loyalty import claims, redemption, rewards, rules
from tessera.loyalty.program import LoyaltyProgram
from tessera.loyalty.program_cache import program_in_force
from tessera.store.transactions import write_transaction

from . import customer_schemas as out
from . import schemas
from .customer import claimed_reward, customer_body
from .endpoint import WRITE, Call, decode_body, headless_endpoint
from .redeemables import active_cart_redemption

VOUCHER_KINDS = (
    "cart_discount_voucher",
    "free_shipping_voucher",
    "collection_discount_voucher",
    "product_discount_voucher",
    "gift_card",
    "active_subscription_discount_voucher",
)


async def redeem_reward(
    call: Call,
    kind: str,
    reward_id: int,
    customer_merchant_id: str,
    *,
    variant_id: str | None = None,
    cart_id: str | None = None,
    shipping_address_id: int | None = None,
    fulfil: bool = False,
) -> tuple[LoyaltyProgram, claims.Claim, out.Customer]:
    view = call.view
    program = await program_in_force(call.tessera.engine, call.site)
    async with write_transaction(call.tessera.engine) as conn:
        customer, claim = await redemption.redeem_reward(
            conn,
            program,
            customer_merchant_id,
            reward_id,
            kind,
            channel=view.channel,
            currency=view.currency,
            language=view.language,
            country=view.country,
            now=utcnow(),
            variant_id=variant_id,
            cart_id=cart_id,
            shipping_address_id=shipping_address_id,
            fulfil=fulfil,
        )
        shown = await customer_body(conn, program, customer, view)
    return program, claim, shown


def voucher_redeem(kind: str) -> Any:
    @headless_endpoint(scope=WRITE)
    async def redeem(call: Call) -> Response:
        body: schemas.RedeemIn = await decode_body(call, "RedeemRewardRequest", schemas.RedeemIn)
        _, claim, customer = await redeem_reward(
            call, kind, body.reward_id, body.customer_merchant_id
        )
        code_field = "gift_card_code" if kind == "gift_card" else "voucher_code"
        return json_response(
            {
                code_field: claim.code or "",
                "claimed_reward": claimed_reward(claim, call.view, utcnow()),
                "customer": customer,
            },
            201,
        )

    redeem.__name__ = f"redeem_{kind}"
    return redeem


@headless_endpoint(scope=WRITE)
async def redeem_active_subscription_product(call: Call) -> Response:
    body: schemas.RedeemSubscriptionProductIn = await decode_body(
        call,
        "RewardsRedeemActiveSubscriptionProductRequestBody",
        schemas.RedeemSubscriptionProductIn,
    )
    _, claim, customer = await redeem_reward(
        call,
        "active_subscription_product",
        body.reward_id,
        body.customer_merchant_id,
        variant_id=body.variant_id,
        shipping_address_id=None if body.shipping_address is None else body.shipping_address.id,
    )
    return json_response(
        {"claimed_reward": claimed_reward(claim, call.view, utcnow()), "customer": customer}, 201
    )


@headless_endpoint(scope=WRITE)
async def redeem_custom(call: Call) -> Response:
    body: schemas.RedeemCustomIn = await decode_body(
        call, "RewardsRedeemCustomRequestBody", schemas.RedeemCustomIn
    )
    _, claim, customer = await redeem_reward(
        call,
        "custom",
        body.reward_id,
        body.customer_merchant_id,
        fulfil=body.fulfill_immediately or body.usage is not None,
    )
    return json_response(
        {
            "fulfillment_explanation": claim.details.get("fulfillment_explanation"),
            "claimed_reward": claimed_reward(claim, call.view, utcnow()),
            "customer": customer,
        },
        201,
    )


@headless_endpoint(scope=WRITE)
async def redeem_product_cart(call: Call) -> Response:
    body: schemas.RedeemProductCartIn = await decode_body(
        call, "RewardsRedeemProductCartRequestBody", schemas.RedeemProductCartIn
    )
    if not body.cart_id.strip():
        raise Invalid("Invalid request", {"cart_id": "must not be empty"})
    _, claim, customer = await redeem_reward(
        call,
        "product_cart",
        body.reward_id,
        body.customer_merchant_id,
        variant_id=body.variant_id,
        cart_id=body.cart_id,
    )
    return json_response(
        {
            "active_cart_redemption": active_cart_redemption(claim, call.view, None),
            "claimed_reward": claimed_reward(claim, call.view, utcnow()),
            "customer": customer,
        },
        201,
    )


@headless_endpoint(scope=WRITE)
async def refund_product_cart(call: Call) -> Response:
    body: schemas.RefundProductCartIn = await decode_body(
        call, "RewardsRefundProductCartRequestBody", schemas.RefundProductCartIn
    )
    program = await program_in_force(call.tessera.engine, call.site)
    async with write_transaction(call.tessera.engine) as conn:
        claim = await claims.get_claim(conn, program.id, body.claimed_reward_id)
        customer = await find_customer_by_id(conn, program.id, claim.customer_id, for_update=True)
        assert customer is not None
        rules.require_member(customer)
        claim = await rewards.refund(
            conn, program, await claims.get_claim(conn, program.id, claim.id), utcnow()
        )
        shown = await customer_body(conn, program, customer, call.view)
    return json_response(
        {"claimed_reward": claimed_reward(claim, call.view, utcnow()), "customer": shown}, 201
    )


reward_routes = [
    *[
        Route(f"/{{site_id}}/rewards/{kind}/redeem", voucher_redeem(kind), methods=["POST"])
        for kind in VOUCHER_KINDS
    ],
    Route(
        "/{site_id}/rewards/active_subscription_product/redeem",
        redeem_active_subscription_product,
        methods=["POST"],
    ),
    Route("/{site_id}/rewards/custom/redeem", redeem_custom, methods=["POST"]),
    Route("/{site_id}/rewards/product_cart/redeem", redeem_product_cart, methods=["POST"]),
    Route("/{site_id}/rewards/product_cart/refund", refund_product_cart, methods=["POST"]),
]
