"""A claimed reward's ``redeemable`` as the contract shows it for each reward kind, and a product
reward's redemption in a cart."""

from __future__ import annotations

import msgspec

from tessera.kit.clock import iso_z
from tessera.loyalty import carts
from tessera.loyalty.claims import Claim
from tessera.loyalty.money import CurrencyAmount, PercentageAmount, money, percentage

from . import claimed_schemas as shapes
from .available import iso, requirements_detail
from .view import View


def active_cart_redemption(
    claim: Claim, view: View, cart: carts.Cart | None
) -> shapes.ActiveCartRedemption:
    details = claim.details
    redemption = carts.redemption_id(claim.id)
    state = None
    if cart is not None:
        check = carts.check_requirements(
            details.get("minimum_cart_total"), details.get("minimum_line_item_count"), cart
        )
        state = shapes.CurrentCartState(
            in_cart=cart.id == claim.cart_id and cart.line_for(redemption) is not None,
            cart_requirements_met=check.met,
            cart_requirements_detail=requirements_detail(check, view, claim.currency),
        )
    product = details["product"]
    return shapes.ActiveCartRedemption(
        id=redemption,
        claimed_reward_id=claim.id,
        expires_at=iso(claim.expires_at) or iso_z(claim.claimed_at),
        product=product,
        quantity=1,
        cart_id=claim.cart_id or "",
        cart_line=shapes.ShopifyCartLine(
            merchandise_id=carts.shopify_gid("ProductVariant", product["variant"]["id"]),
            product_id=carts.shopify_gid("Product", product["id"]),
            quantity=1,
            attributes=[shapes.CartLineAttribute(key=carts.REDEMPTION_ATTRIBUTE, value=redemption)],
        ),
        current_cart_state=state,
    )


def redeemable(claim: Claim, view: View, cart: carts.Cart | None) -> shapes.AnyRedeemable:
    d = claim.details
    language = view.language

    def amount(value: float | None) -> CurrencyAmount | None:
        return None if value is None else money(value, claim.currency, language)

    def discount() -> CurrencyAmount | PercentageAmount | None:
        if d.get("discount_type") == "percentage":
            return percentage(float(d.get("discount") or 0), language)
        return amount(d.get("discount"))

    usage = "used" if claim.used_at else "not_used"
    code = claim.code or ""
    expires_at, used_at = iso(claim.expires_at), iso(claim.used_at)
    match claim.reward_kind:
        case "gift_card":
            balance = amount(d.get("initial_balance")) or money(0, claim.currency, language)
            return shapes.GiftCardRedeemable(
                usage_status=usage,
                code_last_characters=code[-4:],
                initial_balance=balance,
                current_balance=money(0, claim.currency, language) if claim.used_at else balance,
                expires_at=expires_at,
            )
        case "cart_discount_voucher":
            return shapes.CartDiscountVoucherRedeemable(
                usage_status=usage,
                code=code,
                discount_type=d.get("discount_type", "fixed"),
                discount=discount(),
                applies_to_order_type=d.get("applies_to_order_type", "all"),
                recurring_cycle_limit=d.get("recurring_cycle_limit"),
                supports_active_subscriptions=False,
                minimum_spend=amount(d.get("minimum_spend")),
                expires_at=expires_at,
                used_at=used_at,
            )
        case "free_shipping_voucher":
            return shapes.FreeShippingVoucherRedeemable(
                usage_status=usage,
                code=code,
                max_shipping=amount(d.get("max_shipping")),
                expires_at=expires_at,
                used_at=used_at,
            )
        case "product_discount_voucher":
            return shapes.ProductDiscountVoucherRedeemable(
                usage_status=usage,
                code=code,
                product=d["product"],
                discount=percentage(float(d["percentage"]), language),
                expires_at=expires_at,
                used_at=used_at,
            )
        case "collection_discount_voucher":
            return shapes.CollectionDiscountVoucherRedeemable(
                usage_status=usage,
                code=code,
                collection=d["collection"],
                discount_type=d.get("discount_type", "percentage"),
                discount=discount(),
                minimum_spend=amount(d.get("minimum_spend")),
                expires_at=expires_at,
                used_at=used_at,
            )
        case "active_subscription_discount_voucher":
            return shapes.ActiveSubscriptionDiscountVoucherRedeemable(
                usage_status=usage,
                code=code,
                discount_type=d.get("discount_type", "fixed"),
                discount=discount(),
                recurring_cycle_limit=d.get("recurring_cycle_limit"),
            )
        case "active_subscription_product":
            # Tessera has no subscription platform (docs/headless.md, "subscription
            # rewards"): address_id is the request's ReCharge address (0: none given, the
            # next recurring order), onetime_id 0 and an empty schedule as nothing was created.
            return shapes.ActiveSubscriptionProductRedeemable(
                usage_status=usage,
                product=d["product"],
                quantity=1,
                subscription_details=shapes.RechargeSubscriptionDetails(
                    address_id=d.get("shipping_address_id") or 0,
                    onetime_id=0,
                    next_subscription_scheduled_at="",
                ),
            )
        case "product_cart":
            return shapes.ProductCartRedeemable(
                usage_status=usage,
                product=d["product"],
                quantity=1,
                used_at=used_at,
                cart_line_identifier=carts.redemption_id(claim.id),
                active_cart_redemption=(
                    active_cart_redemption(claim, view, cart)
                    if carts.is_active_cart_claim(claim)
                    else None
                ),
            )
        case _:
            return shapes.FulfilledRedeemable(
                usage_status=usage,
                kind=claim.reward_kind,
                fulfilment_explanation=d.get("fulfillment_explanation"),
                fulfilled_at=used_at,
                code=claim.code or msgspec.UNSET,
            )
