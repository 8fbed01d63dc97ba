"""What hangs off a customer in the contract, as msgspec Structs: a claimed reward's
``redeemable`` (one shape per reward kind), cart redemptions, tier membership and progress, the
birthday, referral links and a completed rule's action. A claim's ``product`` and
``collection`` are what was claimed, frozen in the claim's stored details, and pass through as
they were stored."""

from __future__ import annotations

from typing import Any

import msgspec
from msgspec import UNSET, UnsetType

from tessera.loyalty.money import CurrencyAmount, PercentageAmount

Discount = CurrencyAmount | PercentageAmount | None


class Out(msgspec.Struct, kw_only=True):
    pass


# --- carts -------------------------------------------------------------------------------------


class TotalRequirement(Out):
    state: str
    additional_amount_required: CurrencyAmount | UnsetType = UNSET


class CountRequirement(Out):
    state: str
    additional_quantity_required: int | UnsetType = UNSET


class CartRequirementsDetail(Out):
    minimum_cart_total: TotalRequirement
    minimum_line_item_quantity: CountRequirement


class CartLineAttribute(Out):
    key: str
    value: str


class ShopifyCartLine(Out, tag_field="kind", tag="shopify"):
    merchandise_id: str
    product_id: str
    quantity: int
    attributes: list[CartLineAttribute]


class CurrentCartState(Out):
    in_cart: bool
    cart_requirements_met: bool
    cart_requirements_detail: CartRequirementsDetail


class ActiveCartRedemption(Out):
    id: str
    claimed_reward_id: int
    expires_at: str
    product: dict[str, Any]
    quantity: int
    cart_id: str
    cart_line: ShopifyCartLine
    current_cart_state: CurrentCartState | None


# --- redeemables, by reward kind ---------------------------------------------------------------


class Redeemable(Out):
    usage_status: str


class GiftCardRedeemable(Redeemable, tag_field="kind", tag="gift_card"):
    code_last_characters: str
    initial_balance: CurrencyAmount
    current_balance: CurrencyAmount
    expires_at: str | None


class CartDiscountVoucherRedeemable(Redeemable, tag_field="kind", tag="cart_discount_voucher"):
    code: str
    discount_type: str
    discount: Discount
    applies_to_order_type: str
    recurring_cycle_limit: int | None
    supports_active_subscriptions: bool
    minimum_spend: CurrencyAmount | None
    expires_at: str | None
    used_at: str | None


class FreeShippingVoucherRedeemable(Redeemable, tag_field="kind", tag="free_shipping_voucher"):
    code: str
    max_shipping: CurrencyAmount | None
    expires_at: str | None
    used_at: str | None


class ProductDiscountVoucherRedeemable(
    Redeemable, tag_field="kind", tag="product_discount_voucher"
):
    code: str
    product: dict[str, Any]
    discount: PercentageAmount
    expires_at: str | None
    used_at: str | None


class CollectionDiscountVoucherRedeemable(
    Redeemable, tag_field="kind", tag="collection_discount_voucher"
):
    code: str
    collection: dict[str, Any]
    discount_type: str
    discount: Discount
    minimum_spend: CurrencyAmount | None
    expires_at: str | None
    used_at: str | None


class ActiveSubscriptionDiscountVoucherRedeemable(
    Redeemable, tag_field="kind", tag="active_subscription_discount_voucher"
):
    code: str
    discount_type: str
    discount: Discount
    recurring_cycle_limit: int | None


class RechargeSubscriptionDetails(Out, tag_field="kind", tag="recharge"):
    address_id: int
    onetime_id: int
    next_subscription_scheduled_at: str


class ActiveSubscriptionProductRedeemable(
    Redeemable, tag_field="kind", tag="active_subscription_product"
):
    product: dict[str, Any]
    quantity: int
    subscription_details: RechargeSubscriptionDetails


class ProductCartRedeemable(Redeemable, tag_field="kind", tag="product_cart"):
    product: dict[str, Any]
    quantity: int
    used_at: str | None
    cart_line_identifier: str
    active_cart_redemption: ActiveCartRedemption | None


class FulfilledRedeemable(Redeemable):
    """Custom rewards (and any kind fulfilled by the store)."""

    kind: str
    fulfilment_explanation: str | None
    fulfilled_at: str | None
    code: str | UnsetType = UNSET


AnyRedeemable = (
    GiftCardRedeemable
    | CartDiscountVoucherRedeemable
    | FreeShippingVoucherRedeemable
    | ProductDiscountVoucherRedeemable
    | CollectionDiscountVoucherRedeemable
    | ActiveSubscriptionDiscountVoucherRedeemable
    | ActiveSubscriptionProductRedeemable
    | ProductCartRedeemable
    | FulfilledRedeemable
)


class PointsRedemptionSource(Out, tag_field="kind", tag="points_redemption"):
    points_cost: int


# --- tiers, birthdays, referrals, rule outcomes ------------------------------------------------


class MoneyMeasure(Out):
    now: CurrencyAmount | None
    at_expiration: CurrencyAmount | None


class CountMeasure(Out):
    now: int
    at_expiration: int | None


class Progress(Out):
    valid_until: str | None
    upgrade_tier_id: int | None
    forecasted_tier_id: int


class SpendProgress(Progress, tag_field="kind", tag="spend"):
    spend_needed_for_renewal: CurrencyAmount | None
    spend_needed_for_upgrade: CurrencyAmount | None
    tier_spend: MoneyMeasure


class PointsProgress(Progress, tag_field="kind", tag="points"):
    points_needed_for_renewal: int | None
    points_needed_for_upgrade: int | None
    tier_points: CountMeasure


class OrdersProgress(Progress, tag_field="kind", tag="orders"):
    orders_needed_for_renewal: int | None
    orders_needed_for_upgrade: int | None
    tier_orders: CountMeasure


class TierMembership(Out):
    tier_id: int
    started_at: str
    expires_at: str | None
    progress: SpendProgress | PointsProgress | OrdersProgress


class Birthday(Out):
    month: int
    day: int
    year: int | UnsetType = UNSET


class ReferralUrls(Out):
    direct: str
    facebook: str
    twitter: str
    email: str
    whatsapp: str
    instagram: str
    device_share: str


class RuleRef(Out):
    id: int
    kind: str


class RuleOutcomeAction(Out, tag_field="kind", tag="earned_points_from_rule"):
    label: str
    date: str
    points: int
    points_text: str
    rule: RuleRef
    points_will_approve_at: str | None
    points_will_expire_at: str | None
    state: str
