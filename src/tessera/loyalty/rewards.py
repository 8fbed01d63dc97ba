"""Redemption: a member spends points on a reward and gets a claimed reward with a unique code.

Callers hold the customer's lock (tessera.store.transactions): the balance, limit, stock and
per-cart checks and the writes that follow see no other redemption of the same member in
between, so N parallel redemptions against one balance never overspend.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from tessera.customers.service import Customer
from tessera.kit.clock import as_utc
from tessera.kit.errors import Conflict, NotFound
from tessera.loyalty import code_pool, ledger
from tessera.loyalty.claim_details import claim_details
from tessera.loyalty.eligibility import MemberFacts, reward_refusal
from tessera.loyalty.program import LoyaltyProgram, Variant, variant_of
from tessera.loyalty.rules import member_tier_id, require_member
from tessera.loyalty.statements import constant, one_of
from tessera.programs.configuration import (
    ActiveSubscriptionProductReward,
    ProductCartReward,
    Reward,
)
from tessera.store.prepared import Prepared
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


@dataclass(frozen=True, slots=True)
class Claim:
    id: int
    customer_id: int
    reward_id: int
    reward_kind: str
    title: str
    state: str
    points_cost: int
    code: str | None
    currency: str
    details: dict[str, Any]
    channel: str
    cart_id: str | None
    claimed_at: datetime
    expires_at: datetime | None
    used_at: datetime | None
    refunded_at: datetime | None


_k = claimed_rewards.c
# The columns of a Claim, in the order of its fields: rows are unpacked by position.
_CLAIM = (
    _k.id,
    _k.customer_id,
    _k.reward_id,
    _k.reward_kind,
    _k.title,
    _k.state,
    _k.points_cost,
    _k.code,
    _k.currency,
    _k.details,
    _k.channel,
    _k.cart_id,
    _k.claimed_at,
    _k.expires_at,
    _k.used_at,
    _k.refunded_at,
)


def _aware(value: datetime | None) -> datetime | None:
    return None if value is None else as_utc(value)


def _claim(row: Any) -> Claim:
    (claim_id, customer_id, reward_id, kind, title, state, cost, code, currency, details,
     channel, cart_id, claimed_at, expires_at, used_at, refunded_at) = row  # fmt: skip
    return Claim(
        claim_id,
        customer_id,
        reward_id,
        kind,
        title,
        state,
        cost,
        code,
        currency,
        dict(details),
        channel,
        cart_id,
        as_utc(claimed_at),
        _aware(expires_at),
        _aware(used_at),
        _aware(refunded_at),
    )


def new_code(prefix: str, groups: int = 4) -> str:
    """``TSR-7KQ2-M9XD-4HPA-WC3N``: 80 random bits, unambiguous characters."""
    parts = ["".join(secrets.choice(_CODE_ALPHABET) for _ in range(4)) for _ in range(groups)]
    return "-".join([prefix, *parts])


_CLAIMS_OF = (
    sa.select(*_CLAIM)
    .where(claimed_rewards.c.customer_id == sa.bindparam("customer_id"))
    .order_by(claimed_rewards.c.claimed_at.desc(), claimed_rewards.c.id.desc())
)


_PREPARED_CLAIMS_OF = Prepared(_CLAIMS_OF)


async def claims_of(conn: AsyncConnection, customer_id: int) -> list[Claim]:
    return [
        _claim(row) for row in await _PREPARED_CLAIMS_OF.rows(conn, {"customer_id": customer_id})
    ]


async def get_claim(conn: AsyncConnection, program_id: int, claim_id: int) -> Claim:
    row = (
        await conn.execute(
            sa.select(*_CLAIM).where(
                claimed_rewards.c.program_id == program_id, claimed_rewards.c.id == claim_id
            )
        )
    ).one_or_none()
    if row is None:
        raise NotFound("claimed reward", f"Claimed reward with ID `{claim_id}` not found")
    return _claim(row)


async def _claim_times(conn: AsyncConnection, customer_id: int, reward_id: int) -> list[datetime]:
    rows = await conn.execute(
        sa.select(claimed_rewards.c.claimed_at).where(
            claimed_rewards.c.customer_id == customer_id,
            claimed_rewards.c.reward_id == reward_id,
            claimed_rewards.c.state != "void",
        )
    )
    return [as_utc(row[0]) for row in rows]


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
        claim_times={reward.id: await _claim_times(conn, customer.id, reward.id)},
        stock_claimed=await stock_claims(conn, program.id, [reward.id]) if stocked else {},
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
    return await get_claim(conn, program.id, claim_id)


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
    return await get_claim(conn, program.id, claim.id)


def claim_times(claims: list[Claim]) -> dict[int, list[datetime]]:
    """Claim times per reward id (void claims left out), for limits and the customer context."""
    times: dict[int, list[datetime]] = {}
    for claim in claims:
        if claim.state != "void":
            times.setdefault(claim.reward_id, []).append(claim.claimed_at)
    return times


@lru_cache(maxsize=256)
def _stock_claims(reward_ids: tuple[int, ...]) -> sa.Select[Any]:
    # Built once per set of stocked rewards (a program version's), the ids written into the SQL.
    return sa.select(claimed_rewards.c.reward_id, claimed_rewards.c.details).where(
        claimed_rewards.c.program_id == sa.bindparam("program_id"),
        one_of(claimed_rewards.c.reward_id, reward_ids),
        claimed_rewards.c.state != constant("void"),
    )


async def stock_claims(
    conn: AsyncConnection, program_id: int, reward_ids: list[int]
) -> dict[tuple[int, str], int]:
    """Claims per (reward, product variant) across the program, in one query: stock used up."""
    if not reward_ids:
        return {}
    rows = await conn.execute(_stock_claims(tuple(reward_ids)), {"program_id": program_id})
    counts: dict[tuple[int, str], int] = {}
    for reward_id, details in rows:
        key = (int(reward_id), str(details.get("variant_id")))
        counts[key] = counts.get(key, 0) + 1
    return counts


@lru_cache(maxsize=256)
def _claims_and_stock(reward_ids: tuple[int, ...]) -> Prepared:
    own = sa.select(*_CLAIM, constant(1).label("own")).where(
        claimed_rewards.c.customer_id == sa.bindparam("customer_id")
    )
    stocked = sa.select(*_CLAIM, constant(0).label("own")).where(
        claimed_rewards.c.program_id == sa.bindparam("program_id"),
        one_of(claimed_rewards.c.reward_id, reward_ids),
        claimed_rewards.c.state != constant("void"),
    )
    return Prepared(sa.union_all(own, stocked).order_by(sa.desc("claimed_at"), sa.desc("id")))


async def claims_and_stock(
    conn: AsyncConnection, program_id: int, customer_id: int, stocked: list[int]
) -> tuple[list[Claim], dict[tuple[int, str], int]]:
    """``claims_of`` the customer and ``stock_claims`` of the stocked rewards, in one query."""
    if not stocked:
        return await claims_of(conn, customer_id), {}
    claims: list[Claim] = []
    counts: dict[tuple[int, str], int] = {}
    params = {"customer_id": customer_id, "program_id": program_id}
    for row in await _claims_and_stock(tuple(stocked)).named(conn, params):
        if row[-1]:
            claims.append(_claim(row[:-1]))
        else:
            key = (int(row.reward_id), str(row.details.get("variant_id")))
            counts[key] = counts.get(key, 0) + 1
    return claims, counts


async def mark_used(
    conn: AsyncConnection, program: LoyaltyProgram, claim: Claim, now: datetime
) -> Claim:
    """A custom reward fulfilled at once (``fulfill_immediately`` or an order that used it)."""
    await conn.execute(
        claimed_rewards.update().where(claimed_rewards.c.id == claim.id).values(used_at=now)
    )
    return await get_claim(conn, program.id, claim.id)
