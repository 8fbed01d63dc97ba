"""LoyaltyLion's webhook events as they are recorded: everything of the request body that
follows ``id``, ``topic`` and ``created_at``, which the dialect's webhook format puts first when
it sends an event (tessera.api.loyaltylion_admin.webhook_format: ``created_at`` is when the
webhook is sent, as the reference says).

- ``program_events/customer.*``: ``{"payload": {id, created_at, kind, unique_until,
  properties}}``, ``created_at`` being when it happened; the properties per topic are the
  reference's, each object in the Admin API's own shape (customer, transaction, reward, tier,
  order).
- ``customers/update``: ``{"customer": {...}}``, at the top level, as the reference's example.
- ``loyalty_emails/unsubscribe``: ``{"payload": {email, id}}``, the unsubscribe list's object.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

import msgspec

from tessera.kit.clock import iso_z
from tessera.loyalty.claims import Claim

from .customers import CustomerOut, LoyaltyTierOut
from .orders import OrderOut
from .rewards import RewardOut
from .transactions import ActivityOut, TransactionOut
from .unsubscribes import UnsubscribeOut


class Enrollment(msgspec.Struct):
    date: str
    # "account_creation": the customer joined as Tessera first saw them; "opt_in": a customer
    # known as a guest joined later (docs/webhooks.md).
    trigger: Literal["account_creation", "opt_in"]


class EnrolledProperties(msgspec.Struct):
    customer: CustomerOut
    enrollment: Enrollment


class PointsEarnedProperties(msgspec.Struct):
    customer: CustomerOut
    transaction: TransactionOut
    available_rewards: list[RewardOut]


class ClaimedRewardProperties(msgspec.Struct):
    customer: CustomerOut
    title: str
    reward_type: Literal["voucher", "gift_card"]
    discount_type: Literal["flat", "percentage"] | None
    voucher_code: str | None
    discount_amount: float | None


class TierChangeProperties(msgspec.Struct):
    customer: CustomerOut
    previous_tier: LoyaltyTierOut
    new_tier: LoyaltyTierOut


class RuleCompletedProperties(msgspec.Struct):
    customer: CustomerOut
    activity: ActivityOut
    order: OrderOut | None
    social_link: None = None  # Tessera keeps no social links
    review: None = None  # nor reviews


class ReferralCompleteProperties(msgspec.Struct):
    referring_customer: CustomerOut
    referred_customer: CustomerOut
    activity: ActivityOut  # the referrer's, of the referral rule
    order: OrderOut  # the referred friend's first paid order


class ApproachingPointsExpirationProperties(msgspec.Struct):
    customer: CustomerOut
    expire_points_at: str
    points_to_expire: int | None
    earned_on: str | None  # when the expiring points were approved (fixed_age expiry only)


Properties = (
    EnrolledProperties
    | PointsEarnedProperties
    | ClaimedRewardProperties
    | TierChangeProperties
    | RuleCompletedProperties
    | ReferralCompleteProperties
    | ApproachingPointsExpirationProperties
)


class ProgramEventOut(msgspec.Struct):
    id: str
    created_at: str
    kind: str
    unique_until: str | None
    properties: Properties


class ProgramEventBody(msgspec.Struct):
    payload: ProgramEventOut


class CustomerUpdateBody(msgspec.Struct):
    customer: CustomerOut


class UnsubscribeBody(msgspec.Struct):
    payload: UnsubscribeOut


def at(moment: datetime) -> str:
    return iso_z(moment, millis=True)


def program_event(kind: str, happened: datetime, properties: Properties) -> bytes:
    """A ``program_events/customer.<kind>`` event's body; its payload has an id of its own."""
    payload = ProgramEventOut(
        id=str(uuid.uuid4()),
        created_at=at(happened),
        kind=f"customer.{kind}",
        unique_until=None,
        properties=properties,
    )
    return msgspec.json.encode(ProgramEventBody(payload))


def customer_update(customer: CustomerOut) -> bytes:
    return msgspec.json.encode(CustomerUpdateBody(customer))


def unsubscribe(entry: UnsubscribeOut) -> bytes:
    return msgspec.json.encode(UnsubscribeBody(entry))


def claimed_reward_properties(
    customer: CustomerOut, claim: Claim
) -> ClaimedRewardProperties | None:
    """What a claim is worth, from what it froze when claimed; None for a claim that is not a
    voucher or a gift card ("currently only triggered for voucher and gift card rewards")."""
    details = claim.details
    discount_type: Literal["flat", "percentage"] | None = None
    amount = None
    if claim.reward_kind == "gift_card":
        reward_type: Literal["voucher", "gift_card"] = "gift_card"
        discount_type, amount = "flat", details.get("initial_balance")
    elif claim.code is not None and claim.reward_kind != "product_cart":
        reward_type = "voucher"
        if "discount_type" in details:
            discount_type = "flat" if details["discount_type"] == "fixed" else "percentage"
            amount = details.get("discount")
        elif "percentage" in details:
            discount_type, amount = "percentage", details["percentage"]
    else:
        return None
    return ClaimedRewardProperties(
        customer=customer,
        title=claim.title,
        reward_type=reward_type,
        discount_type=discount_type,
        voucher_code=claim.code,
        discount_amount=float(amount) if isinstance(amount, int | float) else None,
    )
