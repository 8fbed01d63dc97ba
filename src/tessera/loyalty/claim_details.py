"""What a claimed reward is worth, frozen when it is claimed (amounts in the claim's currency,
the product and variant, the collection...) so that a later program change cannot alter it."""

from __future__ import annotations

from typing import Any

from tessera.programs.configuration import (
    ActiveSubscriptionDiscountVoucherReward,
    ActiveSubscriptionProductReward,
    CartDiscountVoucherReward,
    CollectionDiscountVoucherReward,
    CustomReward,
    FreeShippingVoucherReward,
    GiftCardReward,
    ProductCartReward,
    ProductDiscountVoucherReward,
    Reward,
    localized,
    money_in,
)


def claim_details(
    reward: Reward,
    currency: str,
    language: str,
    variant_id: str | None,
    shipping_address_id: int | None = None,
) -> dict[str, Any]:
    details: dict[str, Any] = {"language": language}
    if isinstance(
        reward,
        CartDiscountVoucherReward
        | CollectionDiscountVoucherReward
        | ActiveSubscriptionDiscountVoucherReward,
    ):
        amount = (
            money_in(reward.discount, currency)
            if reward.discount_type == "fixed"
            else float(reward.discount if not isinstance(reward.discount, dict) else 0)
        )
        details.update(discount_type=reward.discount_type, discount=amount)
        if isinstance(reward, ActiveSubscriptionDiscountVoucherReward):
            details["recurring_cycle_limit"] = reward.recurring_cycle_limit
        else:
            details["minimum_spend"] = money_in(reward.minimum_spend, currency)
        if isinstance(reward, CartDiscountVoucherReward):
            details.update(
                applies_to_order_type=reward.applies_to_order_type,
                recurring_cycle_limit=reward.recurring_cycle_limit,
            )
        elif isinstance(reward, CollectionDiscountVoucherReward):
            details["collection"] = {
                "id": reward.collection.id,
                "title": localized(reward.collection.title, language) or None,
                "url": reward.collection.url,
            }
    elif isinstance(reward, FreeShippingVoucherReward):
        details["max_shipping"] = money_in(reward.max_shipping, currency)
    elif isinstance(reward, GiftCardReward):
        details["initial_balance"] = money_in(reward.initial_balance, currency)
    elif isinstance(reward, ProductDiscountVoucherReward):
        details.update(
            product={
                "id": reward.product_id,
                "image_url": reward.image_url,
                "variant_id": reward.variant_id,
            },
            percentage=reward.percentage,
        )
    elif isinstance(reward, ProductCartReward | ActiveSubscriptionProductReward):
        chosen = next(v for v in reward.product.variants if v.id == variant_id)
        details.update(
            variant_id=variant_id,
            product={
                "id": reward.product.id,
                "handle": reward.product.handle,
                "title": localized(reward.product.title, language),
                "url": reward.product.url,
                "image_url": reward.product.image_url,
                "variant": {
                    "id": chosen.id,
                    "title": localized(chosen.title, language) or None,
                    "inventory_count": chosen.inventory_count,
                },
            },
        )
        if isinstance(reward, ProductCartReward):
            details.update(
                minimum_cart_total=money_in(reward.cart_requirements.minimum_cart_total, currency),
                minimum_line_item_count=reward.cart_requirements.minimum_line_item_count,
            )
        else:
            # No subscription platform to ask: the request's ReCharge address (None: the
            # next recurring order), kept for the integrator who adds the product.
            details["shipping_address_id"] = shipping_address_id
    elif isinstance(reward, CustomReward):
        details.update(
            fulfillment=reward.fulfillment,
            fulfillment_explanation=localized(reward.fulfillment_explanation, language) or None,
        )
    return details
