"""Whether a member may complete a rule or redeem a reward: pure functions of what is already
known (the program, the member's variant, the times they did it before, their balance).

The rule engine and redemption ask these before they write; the Headless API and the Loyalty
Page ask the same to show what a member can do. Nothing here reads the database.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from tessera.loyalty.program import Variant, rule_limit, window_start
from tessera.programs.configuration import (
    ActiveSubscriptionProductReward,
    CartVariableDiscountVoucherReward,
    Limit,
    ProductCartReward,
    Reward,
    Rule,
)

if TYPE_CHECKING:
    from tessera.loyalty.carts import RequirementCheck

StockedReward = ProductCartReward | ActiveSubscriptionProductReward


def count_within(limit: Limit, times: Iterable[datetime], now: datetime) -> int:
    """How many of ``times`` fall in the limit's current window (all of them for ``forever``)."""
    since = window_start(limit.interval, now)
    return sum(1 for at in times if since is None or at >= since)


def limit_reached(limit: Limit | None, times: Iterable[datetime], now: datetime) -> bool:
    return limit is not None and count_within(limit, times, now) >= limit.count


def rule_refusal(
    rule: Rule, variant: Variant, *, channel: str, completed: Iterable[datetime], now: datetime
) -> str | None:
    """Why the member cannot complete ``rule`` now (the contract's error code), or None."""
    if not variant.enabled or channel not in rule.channels:
        return "rule_not_enabled_for_customer"
    if limit_reached(rule_limit(rule), completed, now):
        return "rule_limit_reached"
    return None


def offer_for(
    reward: Reward, variant: Variant, *, channel: str | None, currency: str, country: str | None
) -> bool:
    """Whether the member's variant of ``reward`` is offered on this channel, currency, country
    (``channel`` None: on any; the merchant acting for the member, as the Admin API does)."""
    if not variant.enabled or (channel is not None and channel not in reward.channels):
        return False
    if (
        country is not None
        and reward.countries is not None
        and country.upper() not in reward.countries
    ):
        return False
    return priced_in(reward, currency)


def priced_in(reward: Reward, currency: str) -> bool:
    """A reward whose money has no amount in ``currency`` is not offered in it."""
    for name in (
        "discount",
        "minimum_spend",
        "max_shipping",
        "initial_balance",
        "minimum_discount",
        "maximum_discount",
    ):
        value = getattr(reward, name, None)
        percentage = name == "discount" and getattr(reward, "discount_type", "") == "percentage"
        if isinstance(value, dict) and currency.lower() not in value and not percentage:
            return False
    if isinstance(reward, ProductCartReward):
        total = reward.cart_requirements.minimum_cart_total
        if isinstance(total, dict) and currency.lower() not in total:
            return False
    return True


def stock_left(reward: StockedReward, variant_id: str, claimed: int) -> int | None:
    for variant in reward.product.variants:
        if variant.id == variant_id:
            return None if variant.inventory_count is None else variant.inventory_count - claimed
    return 0


@dataclass(frozen=True, slots=True)
class MemberFacts:
    """What reward eligibility depends on beyond the program: read once, by whoever asks."""

    balance: int  # approved points
    claim_times: Mapping[int, list[datetime]]  # non-void claims per reward id
    stock_claimed: Mapping[tuple[int, str], int]  # claims per (reward, product variant)
    now: datetime


def _in_stock(reward: StockedReward, variant_id: str, facts: MemberFacts) -> bool:
    left = stock_left(reward, variant_id, facts.stock_claimed.get((reward.id, variant_id), 0))
    return left is None or left > 0


def reward_refusal(
    reward: Reward,
    variant: Variant,
    facts: MemberFacts,
    *,
    channel: str | None,
    currency: str,
    country: str | None,
    variant_id: str | None = None,
    cart: RequirementCheck | None = None,
    in_cart: int | None = None,
) -> str | None:
    """Why the member cannot redeem ``reward`` now (the engine's error code), or None.

    ``variant_id``: the product variant asked for (None: any variant in stock will do);
    ``cart``: the cart's check against the reward's requirements, when there is a cart;
    ``in_cart``: the member's active claims of this reward in that cart."""
    if not offer_for(reward, variant, channel=channel, currency=currency, country=country):
        return "reward_not_enabled_for_customer"
    if limit_reached(reward.limit, facts.claim_times.get(reward.id, []), facts.now):
        return "reward_limit_reached"
    if isinstance(reward, CartVariableDiscountVoucherReward):
        return "reward_kind_mismatch"  # spent at checkout, against the order
    if isinstance(reward, ProductCartReward | ActiveSubscriptionProductReward):
        if variant_id is not None:
            if not any(v.id == variant_id for v in reward.product.variants):
                return "invalid_variant_id"
            if not _in_stock(reward, variant_id, facts):
                return "reward_out_of_stock"
        elif not any(_in_stock(reward, v.id, facts) for v in reward.product.variants):
            return "reward_out_of_stock"
    if isinstance(reward, ProductCartReward):
        if cart is not None and not cart.met:
            return "cart_requirements_not_met"
        limit = reward.max_redemptions_per_cart
        if limit is not None and in_cart is not None and in_cart >= limit:
            return "max_cart_redemptions_reached"
    if facts.balance < variant.points:
        return "insufficient_points"
    return None
