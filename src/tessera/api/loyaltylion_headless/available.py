"""A member's available rules and rewards: the configured part (id, kind, limit, properties,
variant) encoded once per program version, view and tier, and the member's context (counts,
limits, whether they can redeem) built per request as typed Structs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import msgspec
from babel.dates import format_timedelta

from tessera.kit.clock import iso_z
from tessera.loyalty import carts
from tessera.loyalty.eligibility import MemberFacts, count_within, reward_refusal
from tessera.loyalty.money import money
from tessera.loyalty.program import LoyaltyProgram, Variant, rule_limit, variant_of, window_end
from tessera.loyalty.snapshot import MemberSnapshot
from tessera.programs.configuration import Limit, ProductCartReward, Reward, Rule, money_in

from . import claimed_schemas as shapes
from . import customer_schemas as out
from .configuration import (
    limit_of,
    reward_properties,
    reward_shown,
    reward_variant,
    rule_properties,
    rule_shown,
    rule_variant,
)
from .view import View

_encode = msgspec.json.encode


@dataclass(frozen=True, slots=True)
class ShownRule:
    rule: Rule
    variant: Variant
    limit: Limit | None
    id: int
    kind: str
    limit_json: msgspec.Raw
    properties_json: msgspec.Raw | msgspec.UnsetType
    variant_json: msgspec.Raw


@dataclass(frozen=True, slots=True)
class ShownReward:
    reward: Reward
    variant: Variant
    id: int
    kind: str
    limit_json: msgspec.Raw
    properties_json: msgspec.Raw
    variant_json: msgspec.Raw


@dataclass(frozen=True, slots=True)
class Catalog:
    rules: list[ShownRule]
    rewards: list[ShownReward]


def _catalog(program: LoyaltyProgram, view: View, tier_id: int | None) -> Catalog:
    rules = []
    for rule in program.document.rules:
        variant = variant_of(rule, tier_id, view.language)
        if not variant.enabled or not rule_shown(rule, view):
            continue
        properties = rule_properties(rule)
        rules.append(
            ShownRule(
                rule=rule,
                variant=variant,
                limit=rule_limit(rule),
                id=rule.id,
                kind=rule.kind,
                limit_json=msgspec.Raw(_encode(limit_of(rule))),
                properties_json=msgspec.UNSET
                if properties is None
                else msgspec.Raw(_encode(properties)),
                variant_json=msgspec.Raw(_encode(rule_variant(rule, variant, view))),
            )
        )
    rewards = []
    for reward in program.document.rewards:
        variant = variant_of(reward, tier_id, view.language)
        if not variant.enabled or not reward_shown(reward, view):
            continue
        rewards.append(
            ShownReward(
                reward=reward,
                variant=variant,
                id=reward.id,
                kind=reward.kind,
                limit_json=msgspec.Raw(_encode(limit_of(reward))),
                properties_json=msgspec.Raw(_encode(reward_properties(reward, view))),
                variant_json=msgspec.Raw(_encode(reward_variant(reward, variant, view))),
            )
        )
    return Catalog(rules, rewards)


def member_catalog(program: LoyaltyProgram, view: View, tier_id: int | None) -> Catalog:
    """The rules and rewards a tier's members see in this view, built once per version."""
    key = ("headless-catalog", view.channel, view.language, view.currency, view.country, tier_id)
    found: Catalog | None = program.memo.get(key)
    if found is None:
        found = program.memo[key] = _catalog(program, view, tier_id)
    return found


def iso(moment: datetime | None) -> str | None:
    return None if moment is None else iso_z(moment)


def _reached(limit: Limit, now: datetime, view: View) -> out.LimitReached:
    resets_at = window_end(limit.interval, now)
    if resets_at is None:
        return out.LIMIT_REACHED_FOREVER
    return out.LimitStateReachedUntilReset(
        interval=limit.interval,
        resets_at=iso_z(resets_at),
        resets_at_relative_to_now=format_timedelta(
            resets_at - now, add_direction=True, locale=view.language
        ),
    )


def completion_limit(
    limit: Limit | None, times: list[datetime], now: datetime, view: View
) -> out.RuleCompletionLimitState:
    if limit is None:
        return out.NO_LIMIT
    within = count_within(limit, times, now)
    if within >= limit.count:
        return _reached(limit, now, view)
    return out.RuleLimitNotReached(
        interval=None if limit.interval == "forever" else limit.interval,
        allowed_completions_within_interval=limit.count,
        completion_count_within_interval=within,
        remaining_completions_within_interval=limit.count - within,
    )


def claim_limit(
    limit: Limit | None, times: list[datetime], now: datetime, view: View
) -> out.RewardClaimLimitState:
    if limit is None:
        return out.NO_LIMIT
    within = count_within(limit, times, now)
    if within >= limit.count:
        return _reached(limit, now, view)
    return out.RewardLimitNotReached(
        interval=None if limit.interval == "forever" else limit.interval,
        allowed_claims_within_interval=limit.count,
        claim_count_within_interval=within,
        remaining_claims_within_interval=limit.count - within,
    )


def available_rules(
    program: LoyaltyProgram, snapshot: MemberSnapshot, view: View
) -> list[out.AvailableRule]:
    shown = []
    now = snapshot.now
    for entry in member_catalog(program, view, snapshot.tier_id).rules:
        times = snapshot.completions.get(entry.id, [])
        shown.append(
            out.AvailableRule(
                id=entry.id,
                kind=entry.kind,
                limit=entry.limit_json,
                properties=entry.properties_json,
                variant=entry.variant_json,
                context=out.RuleContext(
                    last_completed_at=iso_z(max(times)) if times else None,
                    completion_count=len(times),
                    completion_limit=completion_limit(entry.limit, times, now, view),
                ),
            )
        )
    return shown


def requirements_detail(
    check: carts.RequirementCheck, view: View, currency: str
) -> shapes.CartRequirementsDetail:
    """The contract's CartRequirementsDetail."""
    total = shapes.TotalRequirement(state=check.total_state)
    if check.total_state == "requirement_not_met":
        total.additional_amount_required = money(check.total_missing, currency, view.language)
    count = shapes.CountRequirement(state=check.count_state)
    if check.count_state == "requirement_not_met":
        count.additional_quantity_required = check.count_missing
    return shapes.CartRequirementsDetail(minimum_cart_total=total, minimum_line_item_quantity=count)


def member_facts(snapshot: MemberSnapshot) -> MemberFacts:
    return MemberFacts(
        balance=snapshot.balances.approved,
        claim_times=snapshot.claim_times,
        stock_claimed=snapshot.variant_claims,
        now=snapshot.now,
    )


def can_redeem(
    reward: Reward,
    variant: Variant,
    snapshot: MemberSnapshot,
    facts: MemberFacts,
    view: View,
    cart: carts.Cart | None,
) -> out.CanRedeem:
    """The contract's CanRedeem: the engine's eligibility in the Headless API's words."""
    check = in_cart = None
    if isinstance(reward, ProductCartReward) and cart is not None:
        check = carts.check_requirements(
            money_in(reward.cart_requirements.minimum_cart_total, view.currency),
            reward.cart_requirements.minimum_line_item_count,
            cart,
        )
        in_cart = sum(
            1
            for claim in snapshot.claims
            if claim.reward_id == reward.id
            and carts.is_active_cart_claim(claim)
            and claim.cart_id == cart.id
        )
    refusal = reward_refusal(
        reward,
        variant,
        facts,
        channel=view.channel,
        currency=view.currency,
        country=view.country,
        cart=check,
        in_cart=in_cart,
    )
    match refusal:
        case None:
            return out.REDEEMABLE
        case "reward_limit_reached":
            return out.CLAIM_LIMIT_REACHED
        case "reward_kind_mismatch":
            return out.UNKNOWN  # decided at checkout, against the order
        case "reward_out_of_stock":
            return out.OUT_OF_STOCK
        case "cart_requirements_not_met":
            assert check is not None
            return out.CanRedeemCartRequirementsNotMet(
                cart_requirements_detail=requirements_detail(check, view, view.currency)
            )
        case "max_cart_redemptions_reached":
            return out.MAX_REDEMPTIONS_FOR_CART_REACHED
    return out.CanRedeemInsufficientPoints(
        additional_points_required=variant.points - snapshot.balances.approved
    )


def available_rewards(
    program: LoyaltyProgram, snapshot: MemberSnapshot, view: View, cart: carts.Cart | None
) -> list[out.AvailableReward]:
    shown = []
    now = snapshot.now
    facts = member_facts(snapshot)
    for entry in member_catalog(program, view, snapshot.tier_id).rewards:
        reward = entry.reward
        times = snapshot.claim_times.get(entry.id, [])
        shown.append(
            out.AvailableReward(
                id=entry.id,
                kind=entry.kind,
                limit=entry.limit_json,
                properties=entry.properties_json,
                variant=entry.variant_json,
                context=out.RewardContext(
                    can_redeem=can_redeem(reward, entry.variant, snapshot, facts, view, cart),
                    last_claimed_at=iso_z(max(times)) if times else None,
                    claim_count=len(times),
                    claim_limit=claim_limit(reward.limit, times, now, view),
                ),
            )
        )
    return shown
