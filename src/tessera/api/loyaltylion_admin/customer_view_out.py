"""The full customer object of the Admin API (list, update), from the core's CustomerView."""

from __future__ import annotations

from datetime import datetime

from tessera.customers.blocking import state_when_unblocked
from tessera.customers.service import Customer
from tessera.kit.clock import iso_z
from tessera.loyalty.customer_views import CustomerView
from tessera.loyalty.program import LoyaltyProgram
from tessera.loyalty.referral_links import direct_referral_url
from tessera.loyalty.tiers import TierStanding
from tessera.programs.configuration import money_in

from .customer_schemas import CustomerOut, LoyaltyTierOut, ReferrerOut, TierMembershipOut


def _at(moment: datetime) -> str:
    return iso_z(moment, millis=True)


def _bound(value: float | None) -> str | None:
    if value is None:
        return None
    return str(int(value)) if float(value).is_integer() else f"{value:.2f}"


def tier_membership_out(
    program: LoyaltyProgram, standing: TierStanding, currency: str
) -> TierMembershipOut:
    setup = program.document.tiers
    assert setup is not None
    position = setup.levels.index(standing.tier)
    tier = standing.tier
    return TierMembershipOut(
        started_at=_at(standing.started_at),
        expires_at=None if standing.valid_until is None else _at(standing.valid_until),
        manual=False,
        loyalty_tier=LoyaltyTierOut(
            id=tier.id,
            name=program.tier_name(tier.id, program.site.default_language),
            number=position + 1,
            default=position == 0,
            hidden=tier.hidden,
            lower_bound=_bound(money_in(tier.lower_bound, currency)) or "0",
            upper_bound=None
            if standing.next_tier is None
            else _bound(money_in(standing.next_tier.lower_bound, currency)),
            position=position,
        ),
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
