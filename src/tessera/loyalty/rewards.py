"""Redemption: a member spends points on a reward and gets a claimed reward with a unique code.

Callers hold the customer's lock (tessera.store.transactions): the balance, limit, stock and
per-cart checks and the writes that follow see no other redemption of the same member in
between, so N parallel redemptions against one balance never overspend.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from tessera.customers.service import Customer
from tessera.kit.errors import Conflict, NotFound
from tessera.loyalty import claims, code_pool, ledger, program_events
from tessera.loyalty.claim_details import claim_details
from tessera.loyalty.claims import Claim
from tessera.loyalty.eligibility import MemberFacts, reward_refusal
from tessera.loyalty.program import LoyaltyProgram, Variant, variant_of
from tessera.loyalty.rules import require_member
from tessera.loyalty.tiers import member_tier_id
from tessera.programs.configuration import (
    ActiveSubscriptionProductReward,
    ProductCartReward,
    Reward,
)
from tessera.store.tables import claimed_rewards

_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
ACTIVE = "approved"


class MaxCartRedemptionsReached(Conflict):
    def __init__(self, limit: int) -> None:
        super().__init__(
            "max_cart_redemptions_reached",
            f"This reward can be redeemed at most {limit} time(s) per cart",
        )
        self.limit = limit


def new_code(prefix: str, groups: int = 4) -> str:
    """``TSR-7KQ2-M9XD-4HPA-WC3N``: 80 random bits, unambiguous characters."""
    parts = ["".join(secrets.choice(_CODE_ALPHABET) for _ in range(4)) for _ in range(groups)]
    return "-".join([prefix, *parts])


def _refused(
    code: str, reward: Reward, variant: Variant, balance: int, variant_id: str | None
) -> Conflict:
    match code:
        case "reward_kind_mismatch":
            return Conflict(code, "This reward is spent at checkout, not redeemed")
        case "reward_not_enabled_for_customer":
            return Conflict(code, f"Reward {reward.id} is not available to this customer here")
        case "reward_limit_reached":
            return Conflict(code, f"Reward {reward.id} has reached its limit")
        case "invalid_variant_id":
            return Conflict(code, f"Variant {variant_id} is not in this reward")
        case "reward_out_of_stock":
            return Conflict(code, "This product variant is out of stock")
        case "max_cart_redemptions_reached":
            assert isinstance(reward, ProductCartReward)
            assert reward.max_redemptions_per_cart is not None
            return MaxCartRedemptionsReached(reward.max_redemptions_per_cart)
    return Conflict(
        "insufficient_points",
        f"This reward costs {variant.points} points; the customer has {balance}",
    )


def find_reward(program: LoyaltyProgram, reward_id: int, kind: str | None) -> Reward:
    """The program's reward ``reward_id``, which must be of ``kind`` (None: of any kind)."""
    reward = program.reward(reward_id)
    if reward is None:
        raise NotFound("reward", f"Reward with ID `{reward_id}` not found")
    if kind is not None and reward.kind != kind:
        raise Conflict(
            "reward_kind_mismatch", f"Reward {reward_id} is a {reward.kind} reward, not {kind}"
        )
    return reward


_PREFIX = {"gift_card": "GIFT", "product_cart": "CART", "custom": "PERK"}


async def redeem(
    conn: AsyncConnection,
    program: LoyaltyProgram,
    customer: Customer,
    reward: Reward,
    *,
    channel: str,
    currency: str,
    language: str,
    country: str | None,
    now: datetime,
    variant_id: str | None = None,
    cart_id: str | None = None,
    shipping_address_id: int | None = None,
    any_channel: bool = False,
) -> Claim:
    """Spend points on ``reward``; raise Conflict with the contract's code when it cannot be.
    ``any_channel``: the merchant redeems on the member's behalf (the Admin API), so the
    reward's channels do not limit it; ``channel`` is still recorded."""
    require_member(customer)
    tier_id = await member_tier_id(conn, program, customer, currency, now)
    variant = variant_of(reward, tier_id, language)
    stocked = isinstance(reward, ProductCartReward | ActiveSubscriptionProductReward)
    facts = MemberFacts(
        balance=await ledger.approved_balance(conn, customer.id),
        claim_times={reward.id: await claims.reward_claim_times(conn, customer.id, reward.id)},
        stock_claimed=await claims.stock_claims(conn, program.id, [reward.id]) if stocked else {},
        now=now,
    )
    in_cart = None
    if isinstance(reward, ProductCartReward) and reward.max_redemptions_per_cart is not None:
        in_cart = int(
            await conn.scalar(
                sa.select(sa.func.count()).where(
                    claimed_rewards.c.customer_id == customer.id,
                    claimed_rewards.c.reward_id == reward.id,
                    claimed_rewards.c.cart_id == cart_id,
                    claimed_rewards.c.state == ACTIVE,
                )
            )
            or 0
        )
    refusal = reward_refusal(
        reward,
        variant,
        facts,
        channel=None if any_channel else channel,
        currency=currency,
        country=country,
        # A product reward needs a variant: none asked for is no variant of the reward.
        variant_id=(variant_id or "") if stocked else None,
        in_cart=in_cart,
    )
    if refusal is not None:
        raise _refused(refusal, reward, variant, facts.balance, variant_id)
    expires_at = None
    if isinstance(reward, ProductCartReward):
        expires_at = now + timedelta(minutes=reward.cart_hold_minutes)
    elif reward.expires_after_days is not None:
        expires_at = now + timedelta(days=reward.expires_after_days)
    code = pooled = None
    if code_pool.hands_out_code(reward):
        # The merchant's own codes when the reward has a pool of them (an empty pool refuses).
        pooled = await code_pool.take_code(conn, program.id, reward.id, now)
        code = pooled.code if pooled is not None else new_code(_PREFIX.get(reward.kind, "TSR"))
    result = await conn.execute(
        claimed_rewards.insert()
        .values(
            program_id=program.id,
            customer_id=customer.id,
            reward_id=reward.id,
            reward_kind=reward.kind,
            title=variant.title,
            state=ACTIVE,
            points_cost=variant.points,
            code=code,
            currency=currency.lower(),
            details=claim_details(reward, currency, language, variant_id, shipping_address_id),
            channel=channel,
            cart_id=cart_id,
            claimed_at=now,
            expires_at=expires_at,
        )
        .returning(claimed_rewards.c.id)
    )
    claim_id = int(result.scalar_one())
    if pooled is not None:
        await code_pool.attach(conn, pooled, claim_id)
    await ledger.record(
        conn,
        program_id=program.id,
        customer_id=customer.id,
        points=-variant.points,
        state="spent",
        reason=f"reward {reward.id}",
        kind="redeemed_points_for_reward",
        reward_id=reward.id,
        claimed_reward_id=claim_id,
        label=variant.title,
        channel=channel,
        at=now,
    )
    claim = await claims.get_claim(conn, program.id, claim_id)
    await program_events.reward_claimed(conn, program, customer, claim, now)
    await program_events.customer_changed(conn, program, customer.id, now)
    return claim


async def refund(
    conn: AsyncConnection,
    program: LoyaltyProgram,
    claim: Claim,
    now: datetime,
    *,
    any_kind: bool = False,
) -> Claim:
    """Give a claim's points back and void it (once; never after it was used). The Headless API
    refunds product_cart claims only; the merchant (``any_kind``, the Admin API) any claim. A
    code from the reward's pool is not put back: the customer has seen it."""
    if not any_kind and claim.reward_kind != "product_cart":
        raise Conflict("reward_kind_mismatch", "Only product_cart rewards can be refunded")
    if claim.state == "void" or claim.refunded_at is not None:
        raise Conflict("reward_already_refunded", "This claimed reward was already refunded")
    if claim.used_at is not None:
        raise Conflict("reward_already_used", "This claimed reward was already used")
    await conn.execute(
        claimed_rewards.update()
        .where(claimed_rewards.c.id == claim.id)
        .values(state="void", refunded_at=now)
    )
    await ledger.record(
        conn,
        program_id=program.id,
        customer_id=claim.customer_id,
        points=claim.points_cost,
        state="spent",
        reason=f"refund of claimed reward {claim.id}",
        kind="redemption_refunded",
        reward_id=claim.reward_id,
        claimed_reward_id=claim.id,
        at=now,
    )
    await program_events.customer_changed(conn, program, claim.customer_id, now)
    return await claims.get_claim(conn, program.id, claim.id)


async def mark_used(
    conn: AsyncConnection, program: LoyaltyProgram, claim: Claim, now: datetime
) -> Claim:
    """A custom reward fulfilled at once (``fulfill_immediately`` or an order that used it)."""
    await conn.execute(
        claimed_rewards.update().where(claimed_rewards.c.id == claim.id).values(used_at=now)
    )
    return await claims.get_claim(conn, program.id, claim.id)
