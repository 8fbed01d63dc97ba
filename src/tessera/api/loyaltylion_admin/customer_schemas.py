"""Wire shapes of the Admin API's customers and transactions, mirroring admin-v2-customers.yaml."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, UnsetType

from .pagination import CursorOut
from .schemas import CustomerBriefOut

MAX_REASON_LENGTH = 255
MAX_POINTS_ADDED = 1_000_000
MAX_POINTS = 2**31 - 1
# Refuses NUL, which PostgreSQL text cannot hold (the decoder names the field).
NO_NUL = "^[^\x00]*$"
BIRTHDAY_PATTERN = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"

Reason = Annotated[str, msgspec.Meta(max_length=MAX_REASON_LENGTH, pattern=NO_NUL)]


# --- in ---------------------------------------------------------------------------------------


class CustomerChangesIn(msgspec.Struct, forbid_unknown_fields=True):
    # UNSET: leave as it is; None (birthday only): remove it.
    birthday: Annotated[str, msgspec.Meta(pattern=BIRTHDAY_PATTERN)] | UnsetType | None = UNSET
    blocked: bool | UnsetType = UNSET


class UpdateCustomerIn(msgspec.Struct, forbid_unknown_fields=True):
    customer: CustomerChangesIn


class AddPointsIn(msgspec.Struct, forbid_unknown_fields=True):
    points: Annotated[int, msgspec.Meta(ge=1, le=MAX_POINTS_ADDED)]
    reason: Reason | None = None


class RemovePointsIn(msgspec.Struct, forbid_unknown_fields=True):
    points: Annotated[int, msgspec.Meta(ge=1, le=MAX_POINTS)]
    reason: Reason | None = None


# --- customers out ----------------------------------------------------------------------------


class ReferrerOut(msgspec.Struct):
    id: int
    merchant_id: str


class LoyaltyTierOut(msgspec.Struct):
    id: int
    name: str
    number: int
    default: bool
    hidden: bool
    lower_bound: str
    upper_bound: str | None
    position: int


class TierMembershipOut(msgspec.Struct):
    started_at: str
    expires_at: str | None
    manual: bool
    loyalty_tier: LoyaltyTierOut


class CustomerOut(msgspec.Struct):
    id: int
    merchant_id: str
    email: str
    points_approved: int
    points_pending: int
    points_spent: int
    properties: dict[str, str]
    metadata: dict[str, str]
    rewards_claimed: int
    blocked: bool
    guest: bool
    enrolled: bool
    enrolled_at: str | None
    referral_id: str | None
    referred_by: ReferrerOut | None
    loyalty_tier_membership: TierMembershipOut | None
    insights_segment: None
    birthday: str | None
    referral_url: str | None
    linked_merchant_ids: list[str]
    created_at: str
    updated_at: str


class CustomersOut(msgspec.Struct):
    customers: list[CustomerOut]
    cursor: CursorOut


class CustomerEnvelopeOut(msgspec.Struct):
    customer: CustomerOut


# --- transactions out -------------------------------------------------------------------------

ActivityState = Literal["pending", "approved", "declined", "void"]
Resource = Literal["activity", "adjustment", "claimed_reward", "expiry"]


class RuleRefOut(msgspec.Struct):
    id: int
    name: str
    title: str


class ActivityOut(msgspec.Struct):
    id: int
    merchant_id: str | None
    value: float | None
    state: ActivityState
    customer: CustomerBriefOut
    created_at: str
    rule: RuleRefOut | None
    flow: None = None
    resource: None = None


class ClaimedRewardRefOut(msgspec.Struct):
    id: int
    reward_id: int | None
    refund: bool


class AdjustmentOut(msgspec.Struct):
    id: int
    reason: str | None


class ExpiryOut(msgspec.Struct):
    id: int


class TransactionOut(msgspec.Struct):
    id: int
    customer: CustomerBriefOut
    points_approved: int
    points_pending: int
    created_at: str
    resource: Resource
    activity: ActivityOut | None
    claimed_reward: ClaimedRewardRefOut | None
    adjustment: AdjustmentOut | None
    expiry: ExpiryOut | None


class TransactionsOut(msgspec.Struct):
    transactions: list[TransactionOut]
    cursor: CursorOut
