"""The contract's Customer (enrolled, guest or blocked) and what hangs off it: claimed rewards,
tier membership, birthdays, referral links. Available rules and rewards are built in
``available``, the history in ``history``, claimed rewards' redeemables and cart redemptions in
``redeemables``."""

from __future__ import annotations

from datetime import date, datetime
from urllib.parse import quote

import msgspec
from sqlalchemy.ext.asyncio import AsyncConnection

from tessera.customers.service import Customer
from tessera.kit.clock import iso_z, utcnow
from tessera.loyalty import carts
from tessera.loyalty.claims import Claim
from tessera.loyalty.program import LoyaltyProgram, variant_of
from tessera.loyalty.referral_links import direct_referral_url
from tessera.loyalty.rules import RuleOutcome
from tessera.loyalty.snapshot import MemberSnapshot, member_snapshot
from tessera.loyalty.tiers import TierStanding

from . import claimed_schemas as shapes
from . import customer_schemas as out
from .available import available_rewards, available_rules, iso
from .history import history
from .redeemables import active_cart_redemption, redeemable
from .texts import points_text
from .view import View


def customer_identity(customer: Customer) -> out.CustomerIdentity:
    return out.CustomerIdentity(
        id=customer.id,
        merchant_id=customer.merchant_id,
        email=customer.email,
        first_name=customer.first_name,
        last_name=customer.last_name,
        state=customer.state,
    )


# --- claimed rewards ---------------------------------------------------------------------------


def claimed_reward(
    claim: Claim, view: View, now: datetime, cart: carts.Cart | None = None
) -> out.ClaimedReward:
    state = claim.state
    if (
        state == "approved"
        and claim.reward_kind != "product_cart"
        and claim.expires_at is not None
        and claim.expires_at <= now
        and claim.used_at is None
    ):
        state = "expired"
    return out.ClaimedReward(
        id=claim.id,
        claimed_at=iso_z(claim.claimed_at),
        reward_id=claim.reward_id,
        title=claim.title,
        state=state,
        source=shapes.PointsRedemptionSource(points_cost=claim.points_cost),
        redeemable=redeemable(claim, view, cart),
        auto_refund_at=iso(claim.expires_at) if carts.is_active_cart_claim(claim) else None,
    )


# --- tiers, birthdays, referrals ---------------------------------------------------------------


def tier_membership(
    program: LoyaltyProgram, standing: TierStanding | None, view: View
) -> shapes.TierMembership | None:
    if standing is None or program.document.tiers is None:
        return None
    mode = program.document.tiers.boundary_mode
    valid_until = iso(standing.valid_until)
    upgrade = None if standing.next_tier is None else standing.next_tier.id
    needed = standing.needed_for_upgrade
    progress: shapes.SpendProgress | shapes.PointsProgress | shapes.OrdersProgress
    forecast = standing.tier.id
    if mode == "spend":
        progress = shapes.SpendProgress(
            valid_until=valid_until,
            upgrade_tier_id=upgrade,
            forecasted_tier_id=forecast,
            spend_needed_for_renewal=None,
            spend_needed_for_upgrade=None if needed is None else view.amount(needed),
            tier_spend=shapes.MoneyMeasure(now=view.amount(standing.measure), at_expiration=None),
        )
    else:
        measure = shapes.CountMeasure(now=int(standing.measure), at_expiration=None)
        upgrade_count = None if needed is None else int(needed)
        progress = (
            shapes.PointsProgress(
                valid_until=valid_until,
                upgrade_tier_id=upgrade,
                forecasted_tier_id=forecast,
                points_needed_for_renewal=None,
                points_needed_for_upgrade=upgrade_count,
                tier_points=measure,
            )
            if mode == "points"
            else shapes.OrdersProgress(
                valid_until=valid_until,
                upgrade_tier_id=upgrade,
                forecasted_tier_id=forecast,
                orders_needed_for_renewal=None,
                orders_needed_for_upgrade=upgrade_count,
                tier_orders=measure,
            )
        )
    return shapes.TierMembership(
        tier_id=standing.tier.id,
        started_at=iso_z(standing.started_at),
        expires_at=valid_until,
        progress=progress,
    )


def next_birthday(customer: Customer, today: date) -> str | None:
    if customer.birthday_month is None or customer.birthday_day is None:
        return None
    for year in (today.year, today.year + 1, today.year + 2):
        try:
            candidate = date(year, customer.birthday_month, customer.birthday_day)
        except ValueError:
            continue  # 29 February outside a leap year
        if candidate >= today:
            return candidate.isoformat()
    return None


def referral_urls(program: LoyaltyProgram, customer: Customer) -> shapes.ReferralUrls | None:
    direct = direct_referral_url(program, customer)
    if direct is None:
        return None
    link = quote(direct, safe="")
    return shapes.ReferralUrls(
        direct=direct,
        facebook=f"https://www.facebook.com/sharer/sharer.php?u={link}",
        twitter=f"https://twitter.com/intent/tweet?url={link}",
        email=f"mailto:?body={link}",
        whatsapp=f"https://wa.me/?text={link}",
        instagram=direct,
        device_share=direct,
    )


def enrolled_customer(
    program: LoyaltyProgram, snapshot: MemberSnapshot, view: View, cart: carts.Cart | None = None
) -> out.CustomerEnrolled:
    customer = snapshot.customer
    birthday = None
    if customer.birthday_month is not None and customer.birthday_day is not None:
        birthday = shapes.Birthday(
            month=customer.birthday_month,
            day=customer.birthday_day,
            year=msgspec.UNSET if customer.birthday_year is None else customer.birthday_year,
        )
    balances = snapshot.balances
    return out.CustomerEnrolled(
        id=customer.id,
        merchant_id=customer.merchant_id,
        email=customer.email,
        first_name=customer.first_name,
        last_name=customer.last_name,
        points_approved=balances.approved,
        points_pending=balances.pending,
        points_spent=balances.spent,
        enrolled_at=iso_z(customer.enrolled_at or customer.created_at),
        tier_membership=tier_membership(program, snapshot.standing, view),
        birthday=birthday,
        next_birthday=next_birthday(customer, snapshot.now.date()),
        claimed_rewards=[claimed_reward(c, view, snapshot.now, cart) for c in snapshot.claims],
        available_rewards=available_rewards(program, snapshot, view, cart),
        available_rules=available_rules(program, snapshot, view),
        history=history(program, snapshot, view),
        active_cart_redemptions=[
            active_cart_redemption(c, view, cart)
            for c in snapshot.claims
            if carts.is_active_cart_claim(c)
        ],
        email_marketing_consent=out.ConsentState(state=customer.email_marketing),
        referral_urls=referral_urls(program, customer),
    )


def rule_outcome_action(outcome: RuleOutcome, view: View) -> shapes.RuleOutcomeAction:
    """The contract's RuleOutcomeAction for a completed rule."""
    return shapes.RuleOutcomeAction(
        label=variant_of(outcome.rule, None, view.language).title,
        date=iso_z(outcome.completed_at),
        points=outcome.points,
        points_text=points_text(outcome.points, view.language),
        rule=shapes.RuleRef(id=outcome.rule.id, kind=outcome.rule.kind),
        points_will_approve_at=None,
        points_will_expire_at=None,
        state="approved",
    )


async def customer_body(
    conn: AsyncConnection,
    program: LoyaltyProgram,
    customer: Customer,
    view: View,
    cart: carts.Cart | None = None,
) -> out.Customer:
    """The contract's Customer in whichever shape the customer's state calls for."""
    if customer.state != "enrolled":
        return customer_identity(customer)
    snapshot = await member_snapshot(conn, program, customer, view.currency, utcnow())
    return enrolled_customer(program, snapshot, view, cart)
