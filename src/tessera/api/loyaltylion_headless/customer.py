"""The contract's Customer (enrolled, guest or blocked) and what hangs off it: claimed rewards,
tier membership, birthdays, referral links, carts. Available rules and rewards are built in
``available``, the history in ``history``."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from urllib.parse import quote

from sqlalchemy.ext.asyncio import AsyncConnection

from tessera.customers.service import Customer
from tessera.kit.clock import iso_z, utcnow
from tessera.loyalty import carts
from tessera.loyalty.money import money, percentage
from tessera.loyalty.program import LoyaltyProgram, variant_of
from tessera.loyalty.referral_links import direct_referral_url
from tessera.loyalty.rewards import Claim
from tessera.loyalty.rules import RuleOutcome
from tessera.loyalty.snapshot import MemberSnapshot, member_snapshot
from tessera.loyalty.tiers import TierStanding

from . import customer_schemas as out
from .available import available_rewards, available_rules, iso, requirements_detail
from .configuration import View
from .history import history
from .texts import points_text


def customer_identity(customer: Customer) -> out.CustomerIdentity:
    return out.CustomerIdentity(
        id=customer.id,
        merchant_id=customer.merchant_id,
        email=customer.email,
        first_name=customer.first_name,
        last_name=customer.last_name,
        state=customer.state,
    )


# --- carts -------------------------------------------------------------------------------------


def active_cart_redemption(claim: Claim, view: View, cart: carts.Cart | None) -> dict[str, Any]:
    details = claim.details
    redemption = carts.redemption_id(claim.id)
    state = None
    if cart is not None:
        check = carts.check_requirements(
            details.get("minimum_cart_total"), details.get("minimum_line_item_count"), cart
        )
        state = {
            "in_cart": cart.id == claim.cart_id and cart.line_for(redemption) is not None,
            "cart_requirements_met": check.met,
            "cart_requirements_detail": requirements_detail(check, view, claim.currency),
        }
    product = details["product"]
    return {
        "id": redemption,
        "claimed_reward_id": claim.id,
        "expires_at": iso(claim.expires_at) or iso_z(claim.claimed_at),
        "product": product,
        "quantity": 1,
        "cart_id": claim.cart_id or "",
        "cart_line": {
            "kind": "shopify",
            "merchandise_id": carts.shopify_gid("ProductVariant", product["variant"]["id"]),
            "product_id": carts.shopify_gid("Product", product["id"]),
            "quantity": 1,
            "attributes": [{"key": carts.REDEMPTION_ATTRIBUTE, "value": redemption}],
        },
        "current_cart_state": state,
    }


# --- claimed rewards ---------------------------------------------------------------------------


def redeemable(claim: Claim, view: View, cart: carts.Cart | None) -> dict[str, Any]:
    d = claim.details
    language = view.language

    def amount(value: float | None) -> dict[str, Any] | None:
        return None if value is None else money(value, claim.currency, language)

    def discount() -> dict[str, Any] | None:
        if d.get("discount_type") == "percentage":
            return percentage(float(d.get("discount") or 0), language)
        return amount(d.get("discount"))

    out: dict[str, Any] = {
        "usage_status": "used" if claim.used_at else "not_used",
        "kind": claim.reward_kind,
    }
    dates = {"expires_at": iso(claim.expires_at), "used_at": iso(claim.used_at)}
    match claim.reward_kind:
        case "gift_card":
            balance = amount(d.get("initial_balance")) or money(0, claim.currency, language)
            out.update(
                code_last_characters=(claim.code or "")[-4:],
                initial_balance=balance,
                current_balance=money(0, claim.currency, language) if claim.used_at else balance,
                expires_at=iso(claim.expires_at),
            )
        case "cart_discount_voucher":
            out.update(
                code=claim.code or "",
                discount_type=d.get("discount_type", "fixed"),
                discount=discount(),
                applies_to_order_type=d.get("applies_to_order_type", "all"),
                recurring_cycle_limit=d.get("recurring_cycle_limit"),
                supports_active_subscriptions=False,
                minimum_spend=amount(d.get("minimum_spend")),
                **dates,
            )
        case "free_shipping_voucher":
            out.update(code=claim.code or "", max_shipping=amount(d.get("max_shipping")), **dates)
        case "product_discount_voucher":
            out.update(
                code=claim.code or "",
                product=d["product"],
                discount=percentage(float(d["percentage"]), language),
                **dates,
            )
        case "collection_discount_voucher":
            out.update(
                code=claim.code or "",
                collection=d["collection"],
                discount_type=d.get("discount_type", "percentage"),
                discount=discount(),
                minimum_spend=amount(d.get("minimum_spend")),
                **dates,
            )
        case "active_subscription_discount_voucher":
            out.update(
                code=claim.code or "",
                discount_type=d.get("discount_type", "fixed"),
                discount=discount(),
                recurring_cycle_limit=d.get("recurring_cycle_limit"),
            )
        case "active_subscription_product":
            # Tessera has no subscription platform (docs/headless.md, "subscription
            # rewards"): address_id is the request's ReCharge address (0: none given, the
            # next recurring order), onetime_id 0 and an empty schedule as nothing was created.
            out.update(
                product=d["product"],
                quantity=1,
                subscription_details={
                    "kind": "recharge",
                    "address_id": d.get("shipping_address_id") or 0,
                    "onetime_id": 0,
                    "next_subscription_scheduled_at": "",
                },
            )
        case "product_cart":
            out.update(
                product=d["product"],
                quantity=1,
                used_at=iso(claim.used_at),
                cart_line_identifier=carts.redemption_id(claim.id),
                active_cart_redemption=(
                    active_cart_redemption(claim, view, cart)
                    if carts.is_active_cart_claim(claim)
                    else None
                ),
            )
        case _:
            out.update(
                fulfilment_explanation=d.get("fulfillment_explanation"),
                fulfilled_at=iso(claim.used_at),
            )
            if claim.code:
                out["code"] = claim.code
    return out


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
        source={"kind": "points_redemption", "points_cost": claim.points_cost},
        redeemable=redeemable(claim, view, cart),
        auto_refund_at=iso(claim.expires_at) if carts.is_active_cart_claim(claim) else None,
    )


# --- tiers, birthdays, referrals ---------------------------------------------------------------


def tier_membership(
    program: LoyaltyProgram, standing: TierStanding | None, view: View
) -> dict[str, Any] | None:
    if standing is None or program.document.tiers is None:
        return None
    mode = program.document.tiers.boundary_mode
    valid_until = iso(standing.valid_until)
    upgrade = None if standing.next_tier is None else standing.next_tier.id
    needed = standing.needed_for_upgrade
    progress: dict[str, Any] = {
        "kind": mode,
        "valid_until": valid_until,
        "upgrade_tier_id": upgrade,
        "forecasted_tier_id": standing.tier.id,
    }
    if mode == "spend":
        progress.update(
            spend_needed_for_renewal=None,
            spend_needed_for_upgrade=None if needed is None else view.amount(needed),
            tier_spend={"now": view.amount(standing.measure), "at_expiration": None},
        )
    else:
        progress.update(
            {
                f"{mode}_needed_for_renewal": None,
                f"{mode}_needed_for_upgrade": None if needed is None else int(needed),
                f"tier_{mode}": {"now": int(standing.measure), "at_expiration": None},
            }
        )
    return {
        "tier_id": standing.tier.id,
        "started_at": iso_z(standing.started_at),
        "expires_at": valid_until,
        "progress": progress,
    }


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


def referral_urls(program: LoyaltyProgram, customer: Customer) -> dict[str, str] | None:
    direct = direct_referral_url(program, customer)
    if direct is None:
        return None
    link = quote(direct, safe="")
    return {
        "direct": direct,
        "facebook": f"https://www.facebook.com/sharer/sharer.php?u={link}",
        "twitter": f"https://twitter.com/intent/tweet?url={link}",
        "email": f"mailto:?body={link}",
        "whatsapp": f"https://wa.me/?text={link}",
        "instagram": direct,
        "device_share": direct,
    }


def enrolled_customer(
    program: LoyaltyProgram, snapshot: MemberSnapshot, view: View, cart: carts.Cart | None = None
) -> out.CustomerEnrolled:
    customer = snapshot.customer
    birthday = None
    if customer.birthday_month is not None and customer.birthday_day is not None:
        birthday = {"month": customer.birthday_month, "day": customer.birthday_day}
        if customer.birthday_year is not None:
            birthday["year"] = customer.birthday_year
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


def rule_outcome_action(outcome: RuleOutcome, view: View) -> dict[str, Any]:
    """The contract's RuleOutcomeAction for a completed rule."""
    return {
        "kind": "earned_points_from_rule",
        "label": variant_of(outcome.rule, None, view.language).title,
        "date": iso_z(outcome.completed_at),
        "points": outcome.points,
        "points_text": points_text(outcome.points, view.language),
        "rule": {"id": outcome.rule.id, "kind": outcome.rule.kind},
        "points_will_approve_at": None,
        "points_will_expire_at": None,
        "state": "approved",
    }


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
