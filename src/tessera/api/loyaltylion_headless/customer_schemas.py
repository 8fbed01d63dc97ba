"""Response bodies of a customer as the contract names them, as msgspec Structs: encoding a
Struct is faster than encoding nested dicts, and the contract's shapes are visible here.

Discriminated unions carry their discriminator as the Struct's tag (``state`` or ``kind``).
What is the same for every member of a tier in one view (a rule's or reward's id, kind, limit,
properties and variant) is encoded once per program version and view (``member_catalog``) and
carried as ``msgspec.Raw``. Claimed rewards' ``redeemable``, cart redemptions and tier
membership are in ``claimed_schemas``.
"""

from __future__ import annotations

from typing import Any

import msgspec

from .claimed_schemas import (
    ActiveCartRedemption,
    AnyRedeemable,
    Birthday,
    CartRequirementsDetail,
    PointsRedemptionSource,
    ReferralUrls,
    TierMembership,
)


class Body(msgspec.Struct, kw_only=True):
    pass


# --- limits (RuleCompletionLimitState, RewardClaimLimitState) ----------------------------------


class LimitStateNoLimit(Body, tag_field="state", tag="no_limit"):
    pass


class LimitStateReachedForever(Body, tag_field="state", tag="limit_reached_forever"):
    pass


class LimitStateReachedUntilReset(Body, tag_field="state", tag="limit_reached_until_reset"):
    interval: str
    resets_at: str
    resets_at_relative_to_now: str


class RuleLimitNotReached(Body, tag_field="state", tag="limit_not_reached"):
    interval: str | None
    allowed_completions_within_interval: int
    completion_count_within_interval: int
    remaining_completions_within_interval: int


class RewardLimitNotReached(Body, tag_field="state", tag="limit_not_reached"):
    interval: str | None
    allowed_claims_within_interval: int
    claim_count_within_interval: int
    remaining_claims_within_interval: int


LimitReached = LimitStateNoLimit | LimitStateReachedForever | LimitStateReachedUntilReset
RuleCompletionLimitState = LimitReached | RuleLimitNotReached
RewardClaimLimitState = LimitReached | RewardLimitNotReached

# --- CanRedeem ---------------------------------------------------------------------------------


class CanRedeemRedeemable(Body, tag_field="state", tag="redeemable"):
    pass


class CanRedeemInsufficientPoints(Body, tag_field="state", tag="insufficient_points"):
    additional_points_required: int


class CanRedeemClaimLimitReached(Body, tag_field="state", tag="claim_limit_reached"):
    pass


class CanRedeemCartRequirementsNotMet(Body, tag_field="state", tag="cart_requirements_not_met"):
    cart_requirements_detail: CartRequirementsDetail


class CanRedeemMaxRedemptionsForCartReached(
    Body, tag_field="state", tag="max_redemptions_for_cart_reached"
):
    pass


class CanRedeemOutOfStock(Body, tag_field="state", tag="out_of_stock"):
    pass


class CanRedeemUnknown(Body, tag_field="state", tag="unknown"):
    pass


CanRedeem = (
    CanRedeemRedeemable
    | CanRedeemInsufficientPoints
    | CanRedeemClaimLimitReached
    | CanRedeemCartRequirementsNotMet
    | CanRedeemMaxRedemptionsForCartReached
    | CanRedeemOutOfStock
    | CanRedeemUnknown
)
# The states that need no member figures: one instance each.
REDEEMABLE = CanRedeemRedeemable()
CLAIM_LIMIT_REACHED = CanRedeemClaimLimitReached()
MAX_REDEMPTIONS_FOR_CART_REACHED = CanRedeemMaxRedemptionsForCartReached()
OUT_OF_STOCK = CanRedeemOutOfStock()
UNKNOWN = CanRedeemUnknown()
NO_LIMIT = LimitStateNoLimit()
LIMIT_REACHED_FOREVER = LimitStateReachedForever()

# --- available rules and rewards ---------------------------------------------------------------


class RuleContext(Body):
    last_completed_at: str | None
    completion_count: int
    completion_limit: RuleCompletionLimitState


class AvailableRule(Body, kw_only=True):
    id: int
    kind: str
    limit: msgspec.Raw  # UsageLimit | null
    properties: msgspec.Raw | msgspec.UnsetType = msgspec.UNSET  # the kinds that have any
    variant: msgspec.Raw  # the rule's RuleVariant for the member's tier
    context: RuleContext


class RewardContext(Body):
    can_redeem: CanRedeem
    last_claimed_at: str | None
    claim_count: int
    claim_limit: RewardClaimLimitState


class AvailableReward(Body):
    id: int
    kind: str
    limit: msgspec.Raw  # UsageLimit | null
    properties: msgspec.Raw  # AvailableReward<Kind>'s properties for the view
    variant: msgspec.Raw  # the reward's RewardVariant for the member's tier
    context: RewardContext


# --- history (HistoryAction) -------------------------------------------------------------------


class RuleRef(Body):
    id: int | None
    kind: str


class RewardRef(Body):
    id: int | None
    kind: str


class TierRef(Body):
    id: int | None
    name: str


class HistoryEarnedPointsFromRule(
    Body, tag_field="kind", tag="earned_points_from_rule", kw_only=True
):
    label: str
    date: str
    points: int
    points_text: str
    rule: RuleRef
    points_will_approve_at: str | None = None
    points_will_expire_at: str | None = None
    state: str


class HistoryRedeemedPointsForReward(Body, tag_field="kind", tag="redeemed_points_for_reward"):
    label: str
    date: str
    points: int
    points_text: str
    reward: RewardRef
    claimed_reward_id: int | None
    state: str


class HistoryEnteredTier(Body, tag_field="kind", tag="entered_tier"):
    label: str
    date: str
    tier: TierRef


class HistoryPointsExpired(Body, tag_field="kind", tag="points_expired"):
    label: str
    date: str
    points: int
    points_text: str


class HistoryPointsRemoved(Body, tag_field="kind", tag="points_removed"):
    label: str
    date: str
    points: int
    points_text: str
    state: str


class HistoryPointsAdded(Body, tag_field="kind", tag="points_added", kw_only=True):
    label: str
    date: str
    points: int
    points_text: str
    points_will_expire_at: str | None = None
    state: str


HistoryAction = (
    HistoryEarnedPointsFromRule
    | HistoryRedeemedPointsForReward
    | HistoryEnteredTier
    | HistoryPointsExpired
    | HistoryPointsRemoved
    | HistoryPointsAdded
)

# --- the customer ------------------------------------------------------------------------------


class ConsentState(msgspec.Struct, frozen=True):
    state: str


SMS_UNKNOWN = ConsentState(state="unknown")


class ClaimedReward(Body):
    id: int
    claimed_at: str
    reward_id: int
    title: str
    state: str
    source: PointsRedemptionSource
    redeemable: AnyRedeemable
    auto_refund_at: str | None


class CustomerIdentity(Body):
    """CustomerGuest and CustomerBlocked."""

    id: int
    merchant_id: str
    email: str
    first_name: str | None
    last_name: str | None
    state: str


class CustomerEnrolled(Body, kw_only=True):
    id: int
    merchant_id: str
    email: str
    first_name: str | None
    last_name: str | None
    state: str = "enrolled"
    points_approved: int
    points_pending: int
    points_spent: int
    enrolled_at: str
    tier_membership: TierMembership | None
    birthday: Birthday | None
    next_birthday: str | None
    claimed_rewards: list[ClaimedReward]
    available_rewards: list[AvailableReward]
    available_rules: list[AvailableRule]
    history: list[HistoryAction]
    active_cart_redemptions: list[ActiveCartRedemption]
    email_marketing_consent: ConsentState
    sms_marketing_consent: ConsentState = SMS_UNKNOWN
    receipt_upload_url: str | None = None
    referral_urls: ReferralUrls | None


Customer = CustomerEnrolled | CustomerIdentity


class CustomerSession(Body, kw_only=True):
    """CustomersInitializeSessionResponseBody (and GetCustomer's body, without cart actions)."""

    channel: str
    currency: str
    language: str
    customer: Customer
    configuration: msgspec.Raw  # SiteConfiguration, encoded once per version and view
    requested_cart_actions: list[dict[str, Any]] | msgspec.UnsetType = msgspec.UNSET
