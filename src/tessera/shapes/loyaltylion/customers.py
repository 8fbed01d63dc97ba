"""Customers as the Admin API shows them: the full customer object (list, update, and every
webhook event about a customer), the brief one inside other resources, and loyalty tiers."""

from __future__ import annotations

from datetime import datetime

import msgspec

from tessera.customers.blocking import state_when_unblocked
from tessera.customers.service import Customer
from tessera.kit.clock import iso_z
from tessera.loyalty.customer_views import CustomerView
from tessera.loyalty.ledger import Balances
from tessera.loyalty.program import LoyaltyProgram
from tessera.loyalty.referral_links import direct_referral_url
from tessera.loyalty.tiers import TierStanding
from tessera.programs.configuration import Tier, money_in


class CustomerBriefOut(msgspec.Struct):
    """The customer as activities and transactions show it: as they are now."""

    id: int
    merchant_id: str
    email: str
    points_pending: int
    points_approved: int
    points_spent: int


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


def customer_brief(customer: Customer, balances: Balances) -> CustomerBriefOut:
    return CustomerBriefOut(
        id=customer.id,
        merchant_id=customer.merchant_id,
        email=customer.email,
        points_pending=balances.pending,
        points_approved=balances.approved,
        points_spent=balances.spent,
    )


def _at(moment: datetime) -> str:
    return iso_z(moment, millis=True)


def _bound(value: float | None) -> str | None:
    if value is None:
        return None
    return str(int(value)) if float(value).is_integer() else f"{value:.2f}"


def loyalty_tier_out(program: LoyaltyProgram, tier: Tier, currency: str) -> LoyaltyTierOut:
    """One of the program's tiers; its upper bound is the next tier's lower bound."""
    setup = program.document.tiers
    assert setup is not None
    position = setup.levels.index(tier)
    following = setup.levels[position + 1] if position + 1 < len(setup.levels) else None
    return LoyaltyTierOut(
        id=tier.id,
        name=program.tier_name(tier.id, program.site.default_language),
        number=position + 1,
        default=position == 0,
        hidden=tier.hidden,
        lower_bound=_bound(money_in(tier.lower_bound, currency)) or "0",
        upper_bound=None
        if following is None
        else _bound(money_in(following.lower_bound, currency)),
        position=position,
    )


def tier_membership_out(
    program: LoyaltyProgram, standing: TierStanding, currency: str
) -> TierMembershipOut:
    return TierMembershipOut(
        started_at=_at(standing.started_at),
        expires_at=None if standing.valid_until is None else _at(standing.valid_until),
        manual=False,
        loyalty_tier=loyalty_tier_out(program, standing.tier, currency),
    )


def birthday_of(customer: Customer) -> str | None:
    """An ISO 8601 date; None without a full date (a birthday without a year included)."""
    month, day, year = customer.birthday_month, customer.birthday_day, customer.birthday_year
    if month is None or day is None or year is None:
        return None
    return f"{year:04d}-{month:02d}-{day:02d}"


def customer_out(program: LoyaltyProgram, view: CustomerView) -> CustomerOut:
    customer = view.customer
    # A blocked customer is still what they were (a member or a guest), and blocked.
    state = state_when_unblocked(customer) if customer.state == "blocked" else customer.state
    properties = {
        name: value
        for name, value in (("first_name", customer.first_name), ("last_name", customer.last_name))
        if value
    }
    currency = program.site.default_currency
    return CustomerOut(
        id=customer.id,
        merchant_id=customer.merchant_id,
        email=customer.email,
        points_approved=view.balances.approved,
        points_pending=view.balances.pending,
        points_spent=view.balances.spent,
        properties=properties,
        metadata={},
        rewards_claimed=view.rewards_claimed,
        blocked=customer.state == "blocked",
        guest=state == "guest",
        enrolled=state == "enrolled",
        enrolled_at=None if customer.enrolled_at is None else _at(customer.enrolled_at),
        referral_id=customer.referral_code,
        referred_by=None
        if view.referred_by is None
        else ReferrerOut(id=view.referred_by.id, merchant_id=view.referred_by.merchant_id),
        loyalty_tier_membership=None
        if view.tier is None
        else tier_membership_out(program, view.tier, currency),
        insights_segment=None,
        birthday=birthday_of(customer),
        referral_url=direct_referral_url(program, customer),
        linked_merchant_ids=[],
        created_at=_at(customer.created_at),
        updated_at=_at(customer.updated_at or customer.created_at),
    )
