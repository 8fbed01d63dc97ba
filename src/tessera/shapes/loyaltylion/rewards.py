"""Rewards and claimed rewards as the Admin API (and the points_earned webhook) shows them, from
the program file's reward definitions (tessera.programs.configuration) and the claims
(tessera.loyalty.rewards).

The reference lists the fields without their values; the mapping chosen for each is in
docs/admin-api.md. Amounts are in the site's default currency."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import msgspec

from tessera.kit.clock import iso_z
from tessera.loyalty.claims import Claim
from tessera.loyalty.code_pool import hands_out_code
from tessera.loyalty.eligibility import stock_left
from tessera.loyalty.offers import Offer
from tessera.loyalty.program import LoyaltyProgram, variant_of
from tessera.programs.configuration import (
    ActiveSubscriptionDiscountVoucherReward,
    ActiveSubscriptionProductReward,
    CartDiscountVoucherReward,
    CartVariableDiscountVoucherReward,
    CollectionDiscountVoucherReward,
    FreeShippingVoucherReward,
    GiftCardReward,
    ProductCartReward,
    ProductDiscountVoucherReward,
    Reward,
    localized,
    money_in,
)

# Fields Tessera has no notion of are always null (docs/admin-api.md).


class TargetSiteOut(msgspec.Struct):
    id: int
    name: str
    url: str


class TargetCollectionOut(msgspec.Struct):
    id: str
    url: str | None
    restriction_text: str | None


class TargetProductOut(msgspec.Struct):
    inventory_count: int | None  # left to claim; None: not counted
    sort_key: int
    id: str
    variant_id: str | None
    sku: None
    url: str | None
    image_url: str | None
    title: str | None
    handle: str | None


class ExpiryOptionsOut(msgspec.Struct):
    kind: str  # "never" or "duration"
    seconds: int | None


class RewardOut(msgspec.Struct):
    id: int
    title: str
    description: str | None
    sort_key: int
    content: None
    point_cost: int
    method: str
    discount_type: str | None
    discount_amount: float | None
    minimum_spend: float | None
    usage_limit: int | None
    min_redemption_amount: float | None
    max_redemption_amount: float | None
    max_free_shipping: float | None
    site_id: None
    target_site: TargetSiteOut | None
    order_type: str | None
    target_type: str | None
    target_collections: list[TargetCollectionOut]
    target_products: list[TargetProductOut]
    session_options: None
    auto_refund_seconds: int | None
    expiry_options: ExpiryOptionsOut
    redeemable_expiry_options: None
    supported_channels: list[str]
    kind: str
    recurring_cycle_limit: int | None


class RedeemableOut(msgspec.Struct):
    redeemable_type: str  # "voucher", "gift_card" or "fulfilment"
    code: str | None
    discount_amount: float | None
    usage_count: int
    usage_limit: int | None
    fulfilled: bool
    fulfilled_at: str | None
    expires_on: str | None


class SessionOut(msgspec.Struct):
    kind: str
    token: str


class ClaimedRewardOut(msgspec.Struct):
    id: int
    claimed_at: str
    point_cost: int
    redeemable: RedeemableOut
    reward: RewardOut | None  # None: the reward is no longer in the program file
    state: str
    session: SessionOut | None
    auto_refund_at: str | None
    expires_at: str | None


NEVER = ExpiryOptionsOut(kind="never", seconds=None)
DAY = 86_400


def method_of(reward: Reward) -> str:
    """How the customer gets what they claimed."""
    if isinstance(reward, GiftCardReward):
        return "gift_card"
    if isinstance(reward, ProductCartReward):
        return "cart"
    return "voucher" if hands_out_code(reward) else "fulfilment"


def target_type(reward: Reward) -> str | None:
    if isinstance(
        reward,
        CartDiscountVoucherReward | CartVariableDiscountVoucherReward | FreeShippingVoucherReward,
    ):
        return "cart"
    if isinstance(reward, CollectionDiscountVoucherReward):
        return "collection"
    if isinstance(
        reward,
        ProductDiscountVoucherReward | ProductCartReward | ActiveSubscriptionProductReward,
    ):
        return "product"
    if isinstance(reward, ActiveSubscriptionDiscountVoucherReward):
        return "subscription"
    return None


def _discount(reward: Reward, currency: str) -> tuple[str | None, float | None]:
    if isinstance(
        reward,
        CartDiscountVoucherReward
        | CollectionDiscountVoucherReward
        | ActiveSubscriptionDiscountVoucherReward,
    ):
        kind = "flat" if reward.discount_type == "fixed" else "percentage"
        return kind, money_in(reward.discount, currency)
    if isinstance(reward, ProductDiscountVoucherReward):
        return "percentage", reward.percentage
    return None, None


def _products(
    reward: Reward, language: str, stock_claimed: Mapping[tuple[int, str], int]
) -> list[TargetProductOut]:
    if isinstance(reward, ProductDiscountVoucherReward):
        return [
            TargetProductOut(None, 0, reward.product_id, reward.variant_id, None, None,
                             reward.image_url, None, None)
        ]  # fmt: skip
    if not isinstance(reward, ProductCartReward | ActiveSubscriptionProductReward):
        return []
    product = reward.product
    shown = []
    for sort_key, variant in enumerate(product.variants):
        left = stock_left(reward, variant.id, stock_claimed.get((reward.id, variant.id), 0))
        title = localized(variant.title, language) or localized(product.title, language)
        shown.append(
            TargetProductOut(
                inventory_count=None if left is None else max(left, 0),
                sort_key=sort_key,
                id=product.id,
                variant_id=variant.id,
                sku=None,
                url=product.url,
                image_url=product.image_url,
                title=title or None,
                handle=product.handle,
            )
        )
    return shown


def _expiry(reward: Reward) -> ExpiryOptionsOut:
    if isinstance(reward, ProductCartReward):
        return ExpiryOptionsOut(kind="duration", seconds=reward.cart_hold_minutes * 60)
    if reward.expires_after_days is not None:
        return ExpiryOptionsOut(kind="duration", seconds=reward.expires_after_days * DAY)
    return NEVER


def reward_out(
    offer: Offer, currency: str, language: str, stock_claimed: Mapping[tuple[int, str], int]
) -> RewardOut:
    reward, variant = offer.reward, offer.variant
    discount_type, discount_amount = _discount(reward, currency)
    minimum_spend = getattr(reward, "minimum_spend", None)
    if isinstance(reward, CartVariableDiscountVoucherReward):
        minimum_spend = reward.minimum_spend_before_discount
    collections = []
    if isinstance(reward, CollectionDiscountVoucherReward):
        title = localized(reward.collection.title, language)
        collections.append(
            TargetCollectionOut(id=reward.collection.id, url=reward.collection.url,
                                restriction_text=title or None)
        )  # fmt: skip
    low = high = None
    if isinstance(reward, CartVariableDiscountVoucherReward):
        low, high = reward.minimum_discount, reward.maximum_discount
    return RewardOut(
        id=reward.id,
        title=variant.title,
        description=variant.description,
        sort_key=offer.sort_key,
        content=None,
        point_cost=variant.points,
        method=method_of(reward),
        discount_type=discount_type,
        discount_amount=discount_amount,
        minimum_spend=money_in(minimum_spend, currency),
        # A voucher is good for one order.
        usage_limit=1 if method_of(reward) == "voucher" else None,
        min_redemption_amount=money_in(low, currency),
        max_redemption_amount=money_in(high, currency),
        max_free_shipping=money_in(reward.max_shipping, currency)
        if isinstance(reward, FreeShippingVoucherReward)
        else None,
        site_id=None,
        target_site=None,
        order_type=getattr(reward, "applies_to_order_type", None),
        target_type=target_type(reward),
        target_collections=collections,
        target_products=_products(reward, language, stock_claimed),
        session_options=None,
        auto_refund_seconds=reward.cart_hold_minutes * 60
        if isinstance(reward, ProductCartReward)
        else None,
        expiry_options=_expiry(reward),
        redeemable_expiry_options=None,
        supported_channels=list(reward.channels),
        kind=reward.kind,
        recurring_cycle_limit=getattr(reward, "recurring_cycle_limit", None),
    )


def _iso(value: datetime | None) -> str | None:
    return None if value is None else iso_z(value, millis=True)


def claimed_reward_out(program: LoyaltyProgram, claim: Claim) -> ClaimedRewardOut:
    """The claim, with its reward as the program file has it now (None once removed)."""
    site = program.site
    reward = program.reward(claim.reward_id)
    shown = None
    if reward is not None:
        position = next(i for i, r in enumerate(program.document.rewards) if r.id == reward.id)
        variant = variant_of(reward, None, claim.details.get("language", site.default_language))
        offer = Offer(reward=reward, variant=variant, sort_key=position)
        shown = reward_out(offer, claim.currency, site.default_language, {})
    if claim.reward_kind == "gift_card":
        kind = "gift_card"
    else:
        kind = "voucher" if claim.code is not None else "fulfilment"
    fixed = claim.details.get("discount_type") == "fixed"
    discount = claim.details.get("discount") if fixed else None
    cart = claim.reward_kind == "product_cart"
    redeemable = RedeemableOut(
        redeemable_type=kind,
        code=claim.code,
        discount_amount=discount if isinstance(discount, int | float) else None,
        usage_count=0 if claim.used_at is None else 1,
        usage_limit=1 if kind == "voucher" else None,
        fulfilled=claim.used_at is not None,
        fulfilled_at=_iso(claim.used_at),
        expires_on=_iso(claim.expires_at),
    )
    return ClaimedRewardOut(
        id=claim.id,
        claimed_at=iso_z(claim.claimed_at, millis=True),
        point_cost=claim.points_cost,
        redeemable=redeemable,
        reward=shown,
        state=claim.state,
        session=SessionOut(kind="cart", token=claim.cart_id) if cart and claim.cart_id else None,
        auto_refund_at=_iso(claim.expires_at) if cart else None,
        expires_at=_iso(claim.expires_at),
    )
