"""The contract's SiteConfiguration and the rule and reward shapes inside it, as msgspec Structs
(the schemas of the same names in headless-2025-06.yaml). Fields that the contract shows only
for some entries are ``UNSET`` elsewhere, which msgspec leaves out of the encoded object."""

from __future__ import annotations

import msgspec
from msgspec import UNSET, UnsetType

from tessera.loyalty.money import CurrencyAmount, PercentageAmount


class Out(msgspec.Struct, kw_only=True):
    pass


class LimitOut(Out):
    count: int
    interval: str | None


# --- rules -------------------------------------------------------------------------------------


class CustomRuleProperties(Out):
    name: str


class ClickthroughRuleProperties(Out):
    destination_url: str


class ReferralRuleProperties(Out):
    trigger: str


class FacebookLikeRuleProperties(Out):
    facebook_like_url: str


class TwitterFollowRuleProperties(Out):
    twitter_handle: str


class InstagramFollowRuleProperties(Out):
    instagram_handle: str


class TiktokFollowRuleProperties(Out):
    tiktok_handle: str


RuleProperties = (
    CustomRuleProperties
    | ClickthroughRuleProperties
    | ReferralRuleProperties
    | FacebookLikeRuleProperties
    | TwitterFollowRuleProperties
    | InstagramFollowRuleProperties
    | TiktokFollowRuleProperties
)


class PointsResult(Out, tag_field="kind", tag="points"):
    per_currency_unit: float | None
    points: int


class RuleVariantOut(Out):
    tier_id: int | None
    title: str
    description: str | None
    enabled: bool
    result: PointsResult
    result_short_text: str


class RuleOut(Out, kw_only=True):
    id: int
    kind: str
    limit: LimitOut | None
    properties: RuleProperties | UnsetType = UNSET
    variants: list[RuleVariantOut]


# --- rewards -----------------------------------------------------------------------------------

Discount = CurrencyAmount | PercentageAmount


class GiftCardProperties(Out):
    initial_balance: CurrencyAmount | None


class CartDiscountVoucherProperties(Out):
    discount_type: str
    discount: Discount | None
    applies_to_order_type: str
    recurring_cycle_limit: int | None
    supports_active_subscriptions: bool
    minimum_spend: CurrencyAmount | None


class CartVariableDiscountVoucherProperties(Out):
    minimum_discount: CurrencyAmount | None
    maximum_discount: CurrencyAmount | None
    minimum_spend_before_discount: CurrencyAmount | None
    minimum_spend_after_discount: CurrencyAmount | None
    applies_to_order_type: str


class FreeShippingVoucherProperties(Out):
    max_shipping: CurrencyAmount | None


class DiscountedProduct(Out):
    id: str
    image_url: str | None
    variant_id: str | None


class ProductDiscountVoucherProperties(Out):
    product: DiscountedProduct
    discount: PercentageAmount


class CollectionOut(Out):
    id: str
    title: str | None
    url: str | None


class CollectionDiscountVoucherProperties(Out):
    collection: CollectionOut
    discount_type: str
    discount: Discount | None
    minimum_spend: CurrencyAmount | None


class ActiveSubscriptionDiscountVoucherProperties(Out):
    discount_type: str
    discount: Discount | None
    recurring_cycle_limit: int | None


class ProductVariantOut(Out):
    id: str
    title: str | None
    inventory_count: int | None
    sort_key: int


class ProductOut(Out):
    id: str
    handle: str | None
    title: str
    url: str | None
    image_url: str | None
    variants: list[ProductVariantOut]


class CartRequirementsOut(Out):
    minimum_cart_total: CurrencyAmount | None
    minimum_line_item_count: int | None


class ProductProperties(Out, kw_only=True):
    """product_cart and active_subscription_product; the cart fields only for product_cart."""

    product: ProductOut
    max_redemptions_per_cart: int | UnsetType | None = UNSET
    cart_requirements: CartRequirementsOut | UnsetType = UNSET


class VoucherCustomProperties(Out, tag_field="fulfillment_type", tag="voucher"):
    pass


class StoreFulfilledCustomProperties(Out, tag_field="fulfillment_type", tag="store_fulfillment"):
    fulfillment_method: str
    fulfillment_webhook_url: str | None


RewardProperties = (
    GiftCardProperties
    | CartDiscountVoucherProperties
    | CartVariableDiscountVoucherProperties
    | FreeShippingVoucherProperties
    | ProductDiscountVoucherProperties
    | CollectionDiscountVoucherProperties
    | ActiveSubscriptionDiscountVoucherProperties
    | ProductProperties
    | VoucherCustomProperties
    | StoreFulfilledCustomProperties
)


class FixedCost(Out, tag_field="kind", tag="fixed"):
    points: int


class VariableCost(Out, tag_field="kind", tag="variable"):
    unit: str
    points_per_unit: int


class RewardVariantOut(Out):
    tier_id: int | None
    title: str
    description: str | None
    enabled: bool
    cost: FixedCost | VariableCost
    cost_text: str


class RewardOut(Out):
    id: int
    kind: str
    limit: LimitOut | None
    properties: RewardProperties
    variants: list[RewardVariantOut]


# --- tiers -------------------------------------------------------------------------------------

Bound = CurrencyAmount | int


class TierOut(Out):
    id: int
    name: str
    position: int
    hidden: bool
    benefit_ids: list[int]
    kind: str
    lower_bound: Bound
    upper_bound: Bound | None


class MonthDay(Out):
    month: int
    day: int


class Months(Out):
    months: int


class Windows(Out):
    windows: int


class EvaluationPeriod(Out):
    starts_on: MonthDay
    duration: Months


class RollingPolicy(Out, tag_field="mode", tag="rolling"):
    duration_months: int


class CalendarPolicy(Out, tag_field="mode", tag="calendar"):
    evaluation_period: EvaluationPeriod
    duration: Windows


class AnniversaryPolicy(Out, tag_field="mode", tag="enrollment_anniversary"):
    duration: Windows


class LifetimePolicy(Out, tag_field="mode", tag="lifetime"):
    pass


MembershipPolicy = RollingPolicy | CalendarPolicy | AnniversaryPolicy | LifetimePolicy


class BenefitDetails(Out):
    plaintext: str
    html: str


class BenefitOut(Out):
    id: int
    label: str
    secret: bool
    details: BenefitDetails | None


class TierConfigurationOut(Out):
    boundary_mode: str
    tiers: list[TierOut]
    tier_benefits: list[BenefitOut]
    membership: MembershipPolicy


# --- the site configuration --------------------------------------------------------------------


class RefereeIncentiveOut(Out, kw_only=True):
    minimum_spend: CurrencyAmount | None
    incentive_text: str
    kind: str
    discount_kind: str | UnsetType = UNSET
    discount: Discount | UnsetType = UNSET
    maximum_discount: CurrencyAmount | UnsetType = UNSET


class ProgramName(Out):
    name: str


class SiteConfigurationOut(Out, kw_only=True):
    channel: str
    currency: str
    language: str
    program: ProgramName
    tier_configuration: TierConfigurationOut | None
    rules: list[RuleOut]
    rewards: list[RewardOut]
    referee_incentive: RefereeIncentiveOut | UnsetType = UNSET
